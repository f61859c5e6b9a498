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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <ev.h>
#define ZLIB_CONST /* inflate reads the batch, borrowed const */
#include <zlib.h>

#include "cio.h"
#include "cio_ev.h"
#include "cli.h"
#include "clog.h"
#include "upl_coll.h"
#include "upl_conf.h"
#include "upl_ctl.h"
#include "upl_mqtt.h"
#include "upl_spool.h"
#include "upl_status.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: canrig uplink -c FILE.yaml [-n] [--ctl PATH]\n"
		   "       canrig uplink -c FILE.yaml --from-log LOG\n"
		   "       canrig uplink --status [--json] (-c FILE.yaml | --ctl PATH)\n"
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
		   "      --status         ask the running uplink (FILE.yaml's, or the one at\n"
		   "                       --ctl PATH): broker, counters, spool, last error\n"
		   "      --json           --status as one JSON object\n"
		   "      --ctl PATH       its control socket (default SPOOLDIR/ctl)\n"
		   "  -h, --help           this text\n"
		   "\n"
		   "Runs until SIGINT or SIGTERM (exit status 130, 143); one uplink per spool\n"
		   "directory (SPOOLDIR/lock).  Exit status: 0 ok, 1 runtime error (a file\n"
		   "that cannot be read, the spool or its lock, no AF_CAN, no uplink answering\n"
		   "--status), 2 usage or configuration error (FILE:LINE:COL, no such\n"
		   "interface).\n");
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
	struct upl_ctl *ctl;
	char *ztopic; /* the topic of compressed payloads on MQTT 3.1.1 */
	struct cio_sock sock[UPL_IFS_MAX];
	ev_io rx[UPL_IFS_MAX];
	unsigned int nsock;
	struct cio_ring ring;
	ev_timer tick;
	ev_signal sint, sterm;
	struct {
		int mid;
		uint64_t seq, nsamples;
	} fl[UPL_INFLIGHT]; /* published, not yet acknowledged */
	unsigned int nfl;
	uint64_t published, spool_err, kernel_drops;
	/* --status: samples of what was published and acknowledged, since
	 * when connected or not, our own last error (the broker's is
	 * upl_mqtt's) */
	uint64_t published_samples, acked, acked_samples, since_ns;
	int connected;
	char err_text[200];
	uint64_t err_ns;
	int sig, err;
};

static void up_log(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "canrig uplink: %s\n", msg);
}

/* A spool error: said, counted, and kept for --status. */
static void spool_fail(struct up *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void spool_fail(struct up *u, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->err_text, sizeof(u->err_text), fmt, ap);
	va_end(ap);
	u->err_ns = cli_real_ns();
	u->spool_err++;
	cli_err("uplink", "%s", u->err_text);
}

/* samples in a payload: one per line */
static uint64_t count_lines(const void *data, size_t len)
{
	const char *p = data, *end = p + len;
	uint64_t n = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		p++;
	}
	return n;
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
		if (r < 0)
			spool_fail(u, "spool: read: %s", strerror(-r));
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
		u->fl[u->nfl].nsamples = count_lines(data, len);
		u->published_samples += u->fl[u->nfl].nsamples;
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
		spool_fail(u, "spool: append: %s (%zu bytes lost)", strerror(-e), len);
		return;
	}
	pump(u);
}

static void on_up(void *ctx)
{
	struct up *u = ctx;

	u->nfl = 0;
	u->connected = 1;
	u->since_ns = cli_real_ns();
	upl_spool_rewind(u->sp);
	pump(u);
}

static void on_down(void *ctx)
{
	struct up *u = ctx;

	u->nfl = 0;
	if (u->connected)
		u->since_ns = cli_real_ns();
	u->connected = 0;
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
	u->acked++;
	u->acked_samples += u->fl[i].nsamples;
	e = upl_spool_ack(u->sp, u->fl[i].seq);
	if (e && e != -ENOENT)
		spool_fail(u, "spool: ack cursor: %s", strerror(-e));
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

/* The control socket's commands: status, status --json. */
static void ctl_answer(void *ctx, const char *line, FILE *f)
{
	struct up *u = ctx;
	struct upl_coll_stats cs;
	struct upl_spool_stats ss;
	struct upl_status st;
	uint64_t mq_ns = 0;
	unsigned int i;
	const char *mq_err = u->mq ? upl_mqtt_error(u->mq, &mq_ns) : "";

	if (strcmp(line, "status") && strcmp(line, "status --json")) {
		fprintf(f, "error: unknown command '%.64s' (status [--json])\n", line);
		return;
	}
	upl_coll_stats(u->co, &cs);
	upl_spool_stats(u->sp, &ss);
	memset(&st, 0, sizeof(st));
	st.pid = (long)getpid();
	st.host = u->c->broker.host;
	st.port = u->c->broker.port;
	st.spool_dir = u->c->spool.dir;
	st.connected = u->connected;
	st.since_ns = u->since_ns;
	st.frames = cs.frames;
	st.samples = cs.samples;
	st.batches = cs.batches;
	st.published = u->published;
	st.published_samples = u->published_samples;
	st.acked = u->acked;
	st.acked_samples = u->acked_samples;
	st.in_flight = u->nfl;
	st.spooled = ss.pending;
	st.spooled_bytes = ss.bytes;
	st.segments = ss.segments;
	st.dropped = ss.dropped;
	st.dropped_segments = ss.dropped_segments;
	st.skipped = ss.skipped;
	st.spool_errors = u->spool_err;
	for (i = 0; i < u->nsock; i++) /* u->kernel_drops is the last one's */
		st.kernel_drops += u->sock[i].kernel_drops;
	/* the later of the broker's and our own */
	st.last_error = mq_err;
	st.last_error_ns = mq_ns;
	if (u->err_ns > mq_ns || !mq_err[0]) {
		st.last_error = u->err_text;
		st.last_error_ns = u->err_ns;
	}
	if (!strcmp(line, "status"))
		upl_status_text(&st, cli_real_ns(), f);
	else
		upl_status_json(&st, f);
}

static int run(const struct upl_conf *c, const char *ctl_path)
{
	struct upl_spool_opts so = {
		.dir = c->spool.dir, .max_bytes = (uint64_t)c->spool.max_mb << 20, .log = up_log};
	struct upl_mqtt_ops mo = {.up = on_up, .down = on_down, .acked = on_acked, .log = up_log};
	struct upl_ctl_opts co = {.path = ctl_path, .answer = ctl_answer, .log = up_log};
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
	/* a busy bus woke us for every frame: read in 1 ms batches instead,
	 * as canrig dump does; batches leave every max_ms, so nobody sees it */
	ev_set_io_collect_interval(u->loop, 0.001);
	u->since_ns = cli_real_ns();
	u->ztopic = malloc(strlen(c->topic) + sizeof(UPL_TOPIC_DEFLATE));
	if (!u->ztopic) {
		cli_err("uplink", "out of memory");
		goto out;
	}
	strcat(strcpy(u->ztopic, c->topic), UPL_TOPIC_DEFLATE);
	mo.ctx = u;
	co.ctx = u;
	e = upl_spool_open(&so, &u->sp, err, sizeof(err));
	if (e) {
		/* -EBUSY: another uplink has it; err names its pid */
		cli_err("uplink", "%s%s", e == -EBUSY ? "" : "spool: ", err);
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
	/* after the spool's lock: a socket file there now is a dead one's */
	e = upl_ctl_open(u->loop, &co, &u->ctl, err, sizeof(err));
	if (e) {
		cli_err("uplink", "control socket %s%s", err,
			e == -ENAMETOOLONG ? "; --ctl PATH names a shorter one" : "");
		rc = e == -ENAMETOOLONG ? EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
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
	upl_ctl_close(u->ctl);
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

/* SPOOLDIR/ctl: beside its spool, so two uplinks never share one */
static int ctl_default(char *buf, size_t cap, const struct upl_conf *c)
{
	int n = snprintf(buf, cap, "%s/ctl", c->spool.dir);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

#define STATUS_WAIT 10 /* s: an uplink that does not answer in this is stuck */

/* --status: one question to the running uplink, its answer on stdout. */
static int ask_status(const char *path, int json)
{
	const char *q = json ? "status --json\n" : "status\n";
	struct timeval tv = {.tv_sec = STATUS_WAIT};
	struct sockaddr_un a;
	char buf[4096], *msg;
	size_t got = 0;
	ssize_t n;
	int fd, rc = EXIT_OK;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a.sun_path))
		return cli_usage_err("uplink", "%s: too long for a unix socket", path);
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		cli_err("uplink", "no uplink answers at %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_RUNTIME;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (send(fd, q, strlen(q), MSG_NOSIGNAL) != (ssize_t)strlen(q)) {
		cli_err("uplink", "%s: %s", path, strerror(errno));
		close(fd);
		return EXIT_RUNTIME;
	}
	/* the whole answer first: a refusal ("error: ...") becomes our one
	 * line, and a half answer is never printed */
	while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_err("uplink", "%s: %s", path,
				errno == EAGAIN ? "no answer (is the uplink stuck?)"
						: strerror(errno));
			close(fd);
			return EXIT_RUNTIME;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	if (!got) {
		cli_err("uplink", "%s: closed without an answer", path);
		return EXIT_RUNTIME;
	}
	if (!strncmp(buf, "error:", 6)) {
		msg = buf + 6 + strspn(buf + 6, " ");
		msg[strcspn(msg, "\n")] = 0;
		cli_err("uplink", "%s: %s", path, msg);
		return EXIT_RUNTIME;
	}
	fwrite(buf, 1, got, stdout);
	if (fflush(stdout)) {
		cli_err("uplink", "write: %s", strerror(errno));
		rc = EXIT_RUNTIME;
	}
	return rc;
}

enum { O_FROM_LOG = 0x200, O_RAW, O_STATUS, O_JSON, O_CTL };

int cmd_uplink(int argc, char **argv)
{
	static const struct option lo[] = {{"config", required_argument, NULL, 'c'},
					   {"check", no_argument, NULL, 'n'},
					   {"help", no_argument, NULL, 'h'},
					   {"from-log", required_argument, NULL, O_FROM_LOG},
					   {"status", no_argument, NULL, O_STATUS},
					   {"json", no_argument, NULL, O_JSON},
					   {"ctl", required_argument, NULL, O_CTL},
					   {"raw", no_argument, NULL, O_RAW},
					   {NULL, 0, NULL, 0}};
	const char *path = NULL, *log = NULL, *ctl = NULL;
	struct upl_conf c;
	char err[1024], ctlbuf[4200];
	int opt, check = 0, raw = 0, status = 0, json = 0, e;

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
		case O_STATUS:
			status = 1;
			break;
		case O_JSON:
			json = 1;
			break;
		case O_CTL:
			ctl = optarg;
			break;
		default:
			return cli_opt_error("uplink", opt, argv);
		}
	}
	if (optind != argc)
		return cli_usage_err("uplink", "unexpected argument '%s'", argv[optind]);
	if (json && !status)
		return cli_usage_err("uplink", "--json goes with --status");
	if (status && (check || log))
		return cli_usage_err("uplink", "--status excludes %s", check ? "-n" : "--from-log");
	if (ctl && log)
		return cli_usage_err("uplink", "--ctl and --from-log exclude each other");
	if (ctl && !ctl[0])
		return cli_usage_err("uplink", "--ctl: an empty path");
	if (status && ctl)
		return ask_status(ctl, json); /* -c is then not read */
	if (!path)
		return cli_usage_err("uplink", status ? "--status needs -c FILE.yaml or --ctl PATH"
						      : "needs -c FILE.yaml");
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
	if (!ctl) {
		if (ctl_default(ctlbuf, sizeof(ctlbuf), &c)) {
			cli_err("uplink", "spool directory name too long");
			upl_conf_fini(&c);
			return EXIT_USAGE;
		}
		ctl = ctlbuf;
	}
	if (status) {
		e = ask_status(ctl, json);
		upl_conf_fini(&c);
		return e;
	}
	if (log) {
		int rc = from_log(&c, log, raw);

		upl_conf_fini(&c);
		return rc;
	}
	e = run(&c, ctl);
	upl_conf_fini(&c);
	return e;
}
