/* SPDX-License-Identifier: MIT */
/*
 * cmd_uplink.c - "canrig uplink": decoded signals to a fleet backend over
 * MQTT with a crash-safe spool (docs/uplink.md).  Options, messages and
 * exit codes; the work is uplink/'s.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#define ZLIB_CONST /* inflate reads the batch, borrowed const */
#include <zlib.h>

#include "cio.h"
#include "cio_ev.h"
#include "cli.h"
#include "clog.h"
#include "upl_coll.h"
#include "upl_conf.h"
#include "upl_mqtt.h"
#include "upl_spool.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: canrig uplink -c FILE.yaml [-n]\n"
		   "       canrig uplink -c FILE.yaml --from-log LOG\n"
		   "\n"
		   "Sends the signals FILE.yaml selects, decoded with its DBC, from its CAN\n"
		   "interfaces to an MQTT broker, each sample the object 'canrig dbc decode\n"
		   "--json' prints, through an on-disk spool that outlives broker outages and\n"
		   "crashes.  The file format is in docs/uplink.md.\n"
		   "\n"
		   "Options:\n"
		   "  -c, --config FILE    the uplink's configuration (YAML)\n"
		   "  -n, --check          check the file (its DBC, TLS and credentials files)\n"
		   "                       and exit\n"
		   "      --from-log LOG   collect from a log (any format dbc decode reads)\n"
		   "                       instead of the interfaces, on the log's clock, and\n"
		   "                       print what would be published instead of sending it\n"
		   "                       (compressed batches decompressed: the JSON)\n"
		   "      --raw            with --from-log: the payloads as published, compressed\n"
		   "                       batches as their zlib streams\n"
		   "  -h, --help           this text\n"
		   "\n"
		   "Runs until SIGINT or SIGTERM (exit status 130, 143).  Exit status: 0 ok,\n"
		   "1 runtime error (a file that cannot be read, the spool, no AF_CAN), 2 usage\n"
		   "or configuration error (FILE:LINE:COL, no such interface).\n");
}

/* What -n found, on stdout: enough to see the file says what was meant. */
static void summary(const struct upl_conf *c, const char *path)
{
	size_t i, nsig = 0;

	for (i = 0; i < c->ncollect; i++)
		nsig += c->collect[i].nsel;
	printf("%s: ok: %zu message%s, %zu signal%s from %zu interface%s to %s:%u topic %s%s\n",
	       path, c->ncollect, cli_plural(c->ncollect), nsig, cli_plural(nsig), c->nifs,
	       cli_plural(c->nifs), c->broker.host, c->broker.port, c->topic,
	       c->broker.cafile ? " (TLS)" : "");
}

struct printer {
	int raw;
	uint64_t bad; /* compressed batches that did not inflate (a bug) */
};

/* --from-log's batches: as published with --raw, else the JSON. */
static void print_batch(void *ctx, const char *data, size_t len)
{
	struct printer *p = ctx;
	unsigned char out[16384];
	z_stream z;
	int r;

	if (p->raw || !upl_payload_deflated(data, len)) {
		fwrite(data, 1, len, stdout);
		return;
	}
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK) {
		p->bad++;
		return;
	}
	z.next_in = (const Bytef *)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		r = inflate(&z, Z_NO_FLUSH);
		fwrite(out, 1, sizeof(out) - z.avail_out, stdout);
	} while (r == Z_OK);
	if (r != Z_STREAM_END || z.avail_in)
		p->bad++;
	inflateEnd(&z);
}

/* --from-log: the collection engine on a log, its batches on stdout. */
static int from_log(const struct upl_conf *c, const char *path, int raw)
{
	struct printer pr = {.raw = raw};
	struct clog_reader r;
	struct clog_rec rec;
	struct upl_coll *co;
	uint64_t now = 0, bad = 0;
	int e, rc = EXIT_OK;

	e = upl_coll_new(c, print_batch, &pr, &co);
	if (e) {
		cli_err("uplink", "%s",
			e == -E2BIG ? "a collected message's sample is larger than "
				      "a spool record (1 MiB)"
				    : strerror(-e));
		return EXIT_RUNTIME;
	}
	cli_stdin_hint("uplink", path);
	e = clog_reader_open(&r, path, NULL);
	if (e) {
		if (e == -EPROTO)
			cli_err("uplink", "%s", r.err);
		else
			cli_err("uplink", "%s: %s", path, strerror(-e));
		upl_coll_free(co);
		return e == -EPROTO ? EXIT_USAGE : EXIT_RUNTIME;
	}
	while ((e = clog_read(&r, &rec)) != 0) {
		size_t i;

		if (e == -EINVAL) {
			fprintf(stderr, "canrig uplink: %s\n", r.err);
			bad++;
			continue;
		}
		if (e < 0) {
			cli_err("uplink", "%s: %s", path, strerror(-e));
			rc = EXIT_RUNTIME;
			break;
		}
		for (i = 0; i < c->nifs; i++)
			if (strlen(c->ifs[i]) == rec.ifname_len &&
			    !memcmp(c->ifs[i], rec.ifname, rec.ifname_len))
				break;
		/* the log's clock stands for the monotonic one; it never
		 * goes back */
		if (rec.f.ts_ns > now)
			now = rec.f.ts_ns;
		upl_coll_frame(co, &rec, (unsigned int)i, now);
	}
	upl_coll_flush(co, now);
	if (pr.bad && rc == EXIT_OK) {
		cli_err("uplink", "%llu compressed batch%s did not decompress",
			(unsigned long long)pr.bad, pr.bad == 1 ? "" : "es");
		rc = EXIT_RUNTIME;
	}
	if (fflush(stdout) && rc == EXIT_OK) {
		cli_err("uplink", "write: %s", strerror(errno));
		rc = EXIT_RUNTIME;
	}
	if (bad && rc == EXIT_OK) {
		cli_err("uplink", "%llu malformed line%s skipped", (unsigned long long)bad,
			cli_plural(bad));
		rc = EXIT_RUNTIME;
	}
	clog_reader_close(&r);
	upl_coll_free(co);
	return rc;
}

/* ---- the uplink itself: interfaces -> engine -> spool -> broker */

#define RING_SLOTS 64

struct up {
	const struct upl_conf *c;
	struct ev_loop *loop;
	struct upl_coll *co;
	struct upl_spool *sp;
	struct upl_mqtt *mq;
	char *ztopic; /* the topic of compressed payloads on MQTT 3.1.1 */
	struct cio_sock sock[UPL_IFS_MAX];
	ev_io rx[UPL_IFS_MAX];
	unsigned int nsock;
	struct cio_ring ring;
	ev_timer tick;
	ev_signal sint, sterm;
	struct {
		int mid;
		uint64_t seq;
	} fl[UPL_INFLIGHT]; /* published, not yet acknowledged */
	unsigned int nfl;
	uint64_t published, spool_err, kernel_drops;
	int sig, err;
};

static void up_log(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "canrig uplink: %s\n", msg);
}

/* Everything the spool holds and the window allows goes out. */
static void pump(struct up *u)
{
	const void *data;
	size_t len;
	uint64_t seq;
	int mid, r, z;

	while (u->mq && upl_mqtt_is_up(u->mq) && u->nfl < UPL_INFLIGHT) {
		r = upl_spool_next(u->sp, &data, &len, &seq);
		if (r < 0) {
			cli_err("uplink", "spool: read: %s", strerror(-r));
			u->spool_err++;
		}
		if (r != 1)
			return;
		z = upl_payload_deflated(data, len);
		/* MQTT 5 says what the payload is in its content type; 3.1.1 has
		 * none, so compressed payloads go to their own topic */
		if (upl_mqtt_publish_as(u->mq,
					z && u->c->broker.protocol != 5 ? u->ztopic : u->c->topic,
					z ? UPL_CT_DEFLATE : UPL_CT_JSON, data, len, &mid))
			return; /* in flight in the spool: sent again after the reconnect */
		u->fl[u->nfl].mid = mid;
		u->fl[u->nfl].seq = seq;
		u->nfl++;
		u->published++;
	}
}

static void on_batch(void *ctx, const char *data, size_t len)
{
	struct up *u = ctx;
	int e = upl_spool_append(u->sp, data, len, NULL);

	if (e) {
		/* not on disk means not sent: said and counted, never silent */
		cli_err("uplink", "spool: append: %s (%zu bytes lost)", strerror(-e), len);
		u->spool_err++;
		return;
	}
	pump(u);
}

static void on_up(void *ctx)
{
	struct up *u = ctx;

	u->nfl = 0;
	upl_spool_rewind(u->sp);
	pump(u);
}

static void on_down(void *ctx)
{
	((struct up *)ctx)->nfl = 0;
}

static void on_acked(void *ctx, int mid)
{
	struct up *u = ctx;
	unsigned int i;
	int e;

	for (i = 0; i < u->nfl; i++)
		if (u->fl[i].mid == mid)
			break;
	if (i == u->nfl)
		return;
	e = upl_spool_ack(u->sp, u->fl[i].seq);
	if (e && e != -ENOENT) {
		cli_err("uplink", "spool: ack cursor: %s", strerror(-e));
		u->spool_err++;
	}
	u->fl[i] = u->fl[--u->nfl];
	pump(u);
}

static void arm(struct up *u)
{
	cio_ev_arm(u->loop, &u->tick, upl_coll_deadline(u->co));
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct up *u = w->data;

	(void)loop;
	(void)revents;
	upl_coll_tick(u->co, cio_now_ns());
	arm(u);
}

static void rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct up *u = w->data;
	unsigned int i = (unsigned int)(w - u->rx);
	struct cio_sock *s = &u->sock[i];
	struct clog_rec rec;
	int n, k;

	(void)revents;
	memset(&rec, 0, sizeof(rec));
	rec.ifname = u->c->ifs[i];
	rec.ifname_len = strlen(rec.ifname);
	rec.ts_digits = 6;
	for (;;) {
		n = cio_recv(s, &u->ring);
		if (n == -EAGAIN)
			break;
		if (n == -EINTR)
			continue;
		if (n < 0) {
			cli_err("uplink", "%s: receive: %s", s->ifname, strerror(-n));
			u->err = 1;
			ev_break(loop, EVBREAK_ALL);
			return;
		}
		for (k = 0; k < n; k++) {
			rec.f = u->ring.views[k];
			if (!rec.f.ts_ns)
				rec.f.ts_ns = cli_real_ns();
			upl_coll_frame(u->co, &rec, i, cio_now_ns());
		}
		if ((unsigned int)n < u->ring.cap)
			break;
	}
	if (s->kernel_drops != u->kernel_drops) {
		/* the socket's queue overflowed: frames the engine never saw */
		cli_err("uplink", "%s: %u frames dropped by the kernel so far", s->ifname,
			s->kernel_drops);
		u->kernel_drops = s->kernel_drops;
	}
	arm(u);
}

static void sig_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct up *u = w->data;

	(void)revents;
	u->sig = w->signum;
	ev_break(loop, EVBREAK_ALL);
}

static int run(const struct upl_conf *c)
{
	struct upl_spool_opts so = {
		.dir = c->spool.dir, .max_bytes = (uint64_t)c->spool.max_mb << 20, .log = up_log};
	struct upl_mqtt_ops mo = {.up = on_up, .down = on_down, .acked = on_acked, .log = up_log};
	struct upl_coll_stats cs;
	struct upl_spool_stats ss;
	struct cio_opts o;
	struct up *u = calloc(1, sizeof(*u));
	char err[512];
	unsigned int i;
	int e, rc = EXIT_RUNTIME;

	if (!u) {
		cli_err("uplink", "out of memory");
		return EXIT_RUNTIME;
	}
	u->c = c;
	u->loop = ev_default_loop(0);
	u->ztopic = malloc(strlen(c->topic) + sizeof(UPL_TOPIC_DEFLATE));
	if (!u->ztopic) {
		cli_err("uplink", "out of memory");
		goto out;
	}
	strcat(strcpy(u->ztopic, c->topic), UPL_TOPIC_DEFLATE);
	mo.ctx = u;
	e = upl_spool_open(&so, &u->sp, err, sizeof(err));
	if (e) {
		cli_err("uplink", "spool: %s", err);
		goto out;
	}
	e = upl_coll_new(c, on_batch, u, &u->co);
	if (e || cio_ring_init(&u->ring, RING_SLOTS)) {
		cli_err("uplink", "%s",
			e == -E2BIG ? "a collected message's sample is larger "
				      "than a spool record (1 MiB)"
				    : "out of memory");
		goto out;
	}
	cio_opts_init(&o);
	for (i = 0; i < c->nifs; i++) {
		e = cio_open(&u->sock[i], c->ifs[i], &o);
		if (e) {
			cli_err("uplink", "%s", cio_open_strerror(e, c->ifs[i], err, sizeof(err)));
			rc = e == -EAFNOSUPPORT ? EXIT_RUNTIME : EXIT_USAGE;
			goto out;
		}
		u->nsock++;
		ev_io_init(&u->rx[i], rx_cb, u->sock[i].fd, EV_READ);
		u->rx[i].data = u;
		ev_io_start(u->loop, &u->rx[i]);
	}
	ev_init(&u->tick, tick_cb);
	u->tick.data = u;
	e = upl_mqtt_open(u->loop, &c->broker, &mo, &u->mq, err, sizeof(err));
	if (e) {
		cli_err("uplink", "%s", err);
		goto out;
	}
	ev_signal_init(&u->sint, sig_cb, SIGINT);
	ev_signal_init(&u->sterm, sig_cb, SIGTERM);
	u->sint.data = u->sterm.data = u;
	ev_signal_start(u->loop, &u->sint);
	ev_signal_start(u->loop, &u->sterm);
	ev_run(u->loop, 0);
	/* what was collected goes to disk; it is sent at the next start */
	upl_coll_flush(u->co, cio_now_ns());
	upl_coll_stats(u->co, &cs);
	upl_spool_stats(u->sp, &ss);
	/* the last error: why the broker has not taken the samples, if so */
	fprintf(stderr,
		"canrig uplink: %llu frames, %llu samples in %llu batches, %llu published, "
		"%llu acknowledged, %llu pending in the spool, %llu dropped for space%s%s\n",
		(unsigned long long)cs.frames, (unsigned long long)cs.samples,
		(unsigned long long)cs.batches, (unsigned long long)u->published,
		(unsigned long long)ss.acked, (unsigned long long)ss.pending,
		(unsigned long long)ss.dropped, *upl_mqtt_last_error(u->mq) ? ", last error: " : "",
		upl_mqtt_last_error(u->mq));
	if (cs.triggers || cs.outside || cs.overrun)
		fprintf(stderr,
			"canrig uplink: when: %llu triggers, %llu samples outside the windows, "
			"%llu lost to the before_ms bound\n",
			(unsigned long long)cs.triggers, (unsigned long long)cs.outside,
			(unsigned long long)cs.overrun);
	if (c->batch.compress)
		fprintf(stderr, "canrig uplink: deflate: %llu bytes of JSON in %llu\n",
			(unsigned long long)cs.json, (unsigned long long)cs.bytes);
	rc = u->err || u->spool_err ? EXIT_RUNTIME : u->sig ? EXIT_SIGNAL(u->sig) : EXIT_OK;
out:
	upl_mqtt_close(u->mq);
	for (i = 0; i < u->nsock; i++) {
		ev_io_stop(u->loop, &u->rx[i]);
		cio_close(&u->sock[i]);
	}
	if (u->loop) {
		ev_timer_stop(u->loop, &u->tick);
		ev_signal_stop(u->loop, &u->sint);
		ev_signal_stop(u->loop, &u->sterm);
	}
	cio_ring_fini(&u->ring);
	upl_coll_free(u->co);
	upl_spool_close(u->sp);
	free(u->ztopic);
	free(u);
	return rc;
}

enum { O_FROM_LOG = 0x200, O_RAW };

int cmd_uplink(int argc, char **argv)
{
	static const struct option lo[] = {{"config", required_argument, NULL, 'c'},
					   {"check", no_argument, NULL, 'n'},
					   {"help", no_argument, NULL, 'h'},
					   {"from-log", required_argument, NULL, O_FROM_LOG},
					   {"raw", no_argument, NULL, O_RAW},
					   {NULL, 0, NULL, 0}};
	const char *path = NULL, *log = NULL;
	struct upl_conf c;
	char err[1024];
	int opt, check = 0, raw = 0, e;

	optind = 1;
	while ((opt = cli_getopt(argc, argv, "c:nh", lo)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case O_FROM_LOG:
			log = optarg;
			break;
		case O_RAW:
			raw = 1;
			break;
		default:
			return cli_opt_error("uplink", opt, argv);
		}
	}
	if (optind != argc)
		return cli_usage_err("uplink", "unexpected argument '%s'", argv[optind]);
	if (!path)
		return cli_usage_err("uplink", "needs -c FILE.yaml");
	if (check && log)
		return cli_usage_err("uplink", "-n and --from-log exclude each other");
	if (raw && !log)
		return cli_usage_err("uplink", "--raw goes with --from-log");
	e = upl_conf_load(&c, path, err, sizeof(err));
	if (e) {
		/* a file that cannot be read is 1, a wrong one 2 */
		cli_err("uplink", "%s", err);
		return e == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	/* the TLS and credentials files' contents, which the loader leaves
	 * to the MQTT adapter (it alone links OpenSSL) */
	e = log ? 0 : upl_mqtt_check(&c.broker, err, sizeof(err));
	if (e) {
		cli_err("uplink", "%s: broker: %s", path, err);
		upl_conf_fini(&c);
		return e == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (check) {
		summary(&c, path);
		upl_conf_fini(&c);
		return EXIT_OK;
	}
	if (log) {
		int rc = from_log(&c, log, raw);

		upl_conf_fini(&c);
		return rc;
	}
	e = run(&c);
	upl_conf_fini(&c);
	return e;
}
