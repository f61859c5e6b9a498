/* SPDX-License-Identifier: MIT */
/*
 * cmd_monitor.c - "canrig monitor": the live decoded table of the buses
 * (docs/monitor.md).  One libev loop owns everything: the capture sockets
 * (batched receive, as canrig dump), or a log replayed on its own clock;
 * the link socket (bitrates, interfaces that go away); the redraw timer
 * (mon_tick() then monui_draw(), at most 20 Hz); keys; signals.  The
 * model (mon/mon.h) and the screen (tools/monui.h) do no I/O of their own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ev.h>

#include "cio.h"
#include "cio_ev.h"
#include "clog.h"
#include "cli.h"
#include "dbc.h"
#include "mon.h"
#include "monui.h"

#define RING_SLOTS    256
#define BATCHES_MAX   16   /* per socket per wake-up: the others get their turn */
#define REDRAW_S      0.05 /* 20 Hz at most */
#define TICK_S	      0.25 /* --once: the rate windows close on time */
#define REPLAY_BUDGET 4096 /* records per callback at --speed 0 */
#define MAX_DEFERRED  8
#define COALESCE_S    0.001	 /* as canrig dump's pause per wake-up */
#define MAX_RATE      100000000u /* 100 Mbit/s: no CAN runs faster */

struct msock {
	struct cio_sock s;
	int bus; /* -1: bound to "any", buses by the frames' interfaces */
	int open;
	ev_io w;
	struct monc *mc;
};

struct monc {
	struct mon m;
	struct monui ui;
	int ui_on;
	struct ev_loop *loop;
	struct cio_ring ring;
	struct cio_names names;
	struct msock sk[MON_MAX_IFS];
	unsigned int nsk;
	int anybus[CIO_NAMES_MAX]; /* "any": ifindex -> bus, by cio_names slot */
	int linkfd;
	ev_io linkw, keys;
	ev_timer redraw, oncew, replay;
	ev_signal sigint, sigterm, sigwinch;
	uint32_t bitrate, dbitrate; /* --bitrate; 0: the kernel's */
	int once, json;
	double once_s;
	uint64_t nobus; /* frames of a bus past MON_MAX_IFS: dropped */
	/* --replay */
	const char *replay_path;
	struct clog_reader rd;
	int rd_open, started, eof, have_pend;
	struct cf_buf pend;
	char pend_if[CLOG_IFNAME_MAX + 1];
	uint64_t log_first, log_now, wall_start;
	double speed; /* 0: as fast as possible */
	int rc, sig, done;
	char deferred[MAX_DEFERRED][320];
	unsigned int ndeferred;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: canrig monitor [options] IF[,filter]...\n"
		   "       canrig monitor [options] --replay FILE\n"
		   "\n"
		   "A live table of the buses: one row per interface and id with its count,\n"
		   "rate, jitter, length and data (changed bytes marked), decoded signals with\n"
		   "a DBC, and per interface frames/s, bus load, error frames and kernel drops.\n"
		   "\n"
		   "Options:\n"
		   "  -d FILE.dbc       decode with a DBC (also --dbc); --j1939: by PGN\n"
		   "  --bitrate N[:DN]  bit/s for the load (500000, 500k, 1M:2M: FD data\n"
		   "                    phase); default: the kernel's, none on vcan\n"
		   "  --once SECONDS    print the table after SECONDS and exit (a script's\n"
		   "                    snapshot; no terminal needed)\n"
		   "  --json            with --once: one JSON object instead of text\n"
		   "  --replay FILE     read a log (any format canrig reads) instead of\n"
		   "                    interfaces, at its recorded speed\n"
		   "  --speed X         with --replay: X times the recorded speed; 0 as fast\n"
		   "                    as possible\n"
		   "  -r SIZE           socket receive buffer in bytes\n"
		   "  -h, --help        this text\n"
		   "\n"
		   "Filters as in 'canrig dump': id:mask, id~mask, #errmask, j.  Without a\n"
		   "#errmask, error frames of every class are received and counted.\n"
		   "The screen needs a terminal; 'man canrig' lists its keys.\n");
}

/* A message now, or after the screen is gone (it would be overdrawn). */
static void say(struct monc *mc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct monc *mc, const char *fmt, ...)
{
	char line[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!mc->ui_on) {
		fprintf(stderr, "canrig monitor: %s\n", line);
		return;
	}
	if (mc->ndeferred < MAX_DEFERRED)
		snprintf(mc->deferred[mc->ndeferred++], sizeof(mc->deferred[0]), "%s", line);
}

static void ui_off(struct monc *mc)
{
	unsigned int i;

	if (!mc->ui_on)
		return;
	monui_fini(&mc->ui);
	mc->ui_on = 0;
	for (i = 0; i < mc->ndeferred; i++)
		fprintf(stderr, "canrig monitor: %s\n", mc->deferred[i]);
	mc->ndeferred = 0;
}

/* The model's clock: monotonic live; a replay's own, held at its end. */
static uint64_t clock_now(const struct monc *mc)
{
	uint64_t el;

	if (!mc->replay_path)
		return cio_now_ns();
	if (!mc->started)
		return 0;
	if (mc->eof || mc->speed <= 0)
		return mc->log_now;
	el = (uint64_t)((double)(cio_now_ns() - mc->wall_start) * mc->speed);
	return mc->log_first + el > mc->log_now ? mc->log_first + el : mc->log_now;
}

static void stop_all(struct monc *mc)
{
	mc->done = 1;
	ev_break(mc->loop, EVBREAK_ALL);
}

/* --once: the table as it stands, on stdout. */
static void snapshot(struct monc *mc, uint64_t now)
{
	int e;

	mon_flush_rates(&mc->m, now);
	e = mc->json ? mon_write_json(&mc->m, stdout, now) : mon_write_text(&mc->m, stdout, now);
	if (e && mc->rc == EXIT_OK) {
		cli_err("monitor", "write: %s", strerror(-e));
		mc->rc = EXIT_RUNTIME;
	}
}

/* ---- capture --------------------------------------------------------- */

static void gone(struct monc *mc, struct msock *k, const char *why)
{
	if (!k->open)
		return;
	ev_io_stop(mc->loop, &k->w);
	cio_close(&k->s);
	k->open = 0;
	if (k->bus >= 0)
		mc->m.ifs[k->bus].gone = 1;
	say(mc, "%s: interface %s; showing the others", k->s.ifname, why);
}

/* The bus of a frame received on a socket bound to "any". */
static int any_bus(struct monc *mc, int ifindex)
{
	const char *name = cio_ifname(&mc->names, ifindex);
	unsigned int i;
	int b;

	for (i = 0; i < mc->names.n; i++)
		if (mc->names.idx[i] == ifindex)
			break;
	if (i < mc->names.n && mc->anybus[i] >= 0)
		return mc->anybus[i];
	for (b = 0; b < (int)mc->m.nifs; b++)
		if (!strcmp(mc->m.ifs[b].name, name))
			break;
	if (b == (int)mc->m.nifs)
		b = mon_add_if(&mc->m, name, mc->bitrate, mc->dbitrate);
	if (b >= 0 && i < mc->names.n)
		mc->anybus[i] = b;
	return b;
}

static void on_sock(struct ev_loop *loop, ev_io *w, int revents)
{
	struct msock *k = w->data;
	struct monc *mc = k->mc;
	unsigned int b, j;
	int n, bus;

	(void)loop;
	(void)revents;
	for (b = 0; b < BATCHES_MAX; b++) {
		uint64_t now, off;

		n = cio_recv(&k->s, &mc->ring);
		if (n == -EAGAIN)
			break;
		if (n == -EINTR)
			continue;
		if (n == -ENETDOWN) {
			/* the socket stays bound: frames come again when it is up */
			say(mc, "%s: interface went down", k->s.ifname);
			break;
		}
		if (n < 0) {
			gone(mc, k, n == -ENODEV ? "went away" : strerror(-n));
			break;
		}
		/* the kernel's receive times, on the model's monotonic clock:
		 * a batch must not look like frames all at one instant */
		now = cio_now_ns();
		off = cli_real_ns() - now;
		for (j = 0; j < (unsigned int)n; j++) {
			const struct cf_frame *f = &mc->ring.views[j];
			uint64_t t = f->ts_ns > off ? f->ts_ns - off : now;

			bus = k->bus >= 0 ? k->bus : any_bus(mc, f->ifindex);
			if (bus < 0) {
				mc->nobus++;
				continue;
			}
			mon_frame(&mc->m, (unsigned int)bus, f, t < now ? t : now);
		}
		if (k->bus >= 0)
			mon_drops(&mc->m, (unsigned int)k->bus, k->s.kernel_drops);
		if ((unsigned int)n < mc->ring.cap)
			break;
	}
}

static void on_link_ev(void *arg, const struct cio_link_ev *ev)
{
	struct monc *mc = arg;
	unsigned int i;

	for (i = 0; i < mc->nsk; i++) {
		struct msock *k = &mc->sk[i];

		if (k->bus < 0 || !k->open || k->s.ifindex != ev->ifindex)
			continue;
		if (ev->deleted)
			gone(mc, k, "went away");
		else if (!mc->bitrate && ev->bitrate)
			mon_set_bitrate(&mc->m, (unsigned int)k->bus, ev->bitrate, ev->dbitrate);
	}
}

static void on_link(struct ev_loop *loop, ev_io *w, int revents)
{
	struct monc *mc = w->data;
	int e;

	(void)revents;
	e = cio_link_read(mc->linkfd, on_link_ev, mc);
	if (e == -ENOBUFS)
		cio_link_dump(mc->linkfd); /* events lost: ask for the state */
	else if (e < 0 && e != -EAGAIN)
		ev_io_stop(loop, w); /* the table goes on without it */
}

/* ---- replay ------------------------------------------------------------ */

static int replay_bus(struct monc *mc)
{
	unsigned int b;
	int r;

	for (b = 0; b < mc->m.nifs; b++)
		if (!strcmp(mc->m.ifs[b].name, mc->pend_if))
			return (int)b;
	r = mon_add_if(&mc->m, mc->pend_if, mc->bitrate, mc->dbitrate);
	if (r == -ENOSPC && !mc->nobus)
		say(mc, "%s: more than %d buses in the log: its frames are not shown", mc->rd.path,
		    MON_MAX_IFS);
	return r;
}

/* The next record into pend.  Returns 1, 0 at the end, or -1 (said). */
static int replay_next(struct monc *mc)
{
	struct clog_rec rec;
	size_t n;
	int e;

	e = clog_read(&mc->rd, &rec);
	if (e == 0)
		return 0;
	if (e < 0) {
		if (e == -EINVAL)
			say(mc, "%s", mc->rd.err);
		else
			say(mc, "%s: %s", mc->replay_path, strerror(-e));
		return -1;
	}
	cf_buf_set(&mc->pend, &rec.f);
	n = rec.ifname_len < CLOG_IFNAME_MAX ? rec.ifname_len : CLOG_IFNAME_MAX;
	if (n >= MON_IFNAMSIZ)
		n = MON_IFNAMSIZ - 1;
	memcpy(mc->pend_if, rec.ifname, n);
	mc->pend_if[n] = '\0';
	if (!n)
		strcpy(mc->pend_if, "can0");
	mc->have_pend = 1;
	return 1;
}

static void replay_end(struct monc *mc)
{
	mc->eof = 1;
	if (mc->once) {
		snapshot(mc, mc->log_now);
		stop_all(mc);
	}
}

static void on_replay(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct monc *mc = w->data;
	unsigned int budget = REPLAY_BUDGET;
	uint64_t ts, clock, limit;
	int e, bus;

	(void)revents;
	while (budget--) {
		if (!mc->have_pend) {
			e = replay_next(mc);
			if (e < 0) {
				mc->rc = EXIT_RUNTIME;
				stop_all(mc);
				return;
			}
			if (!e) {
				replay_end(mc);
				return;
			}
		}
		ts = cf_buf_view(&mc->pend)->ts_ns;
		if (!mc->started) {
			mc->started = 1;
			mc->log_first = mc->log_now = ts;
			mc->wall_start = cio_now_ns();
		}
		if (mc->once) {
			/* --once S of a log: S seconds of its own time */
			limit = mc->log_first + (uint64_t)(mc->once_s * 1e9);
			if (ts > limit) {
				mc->log_now = limit > mc->log_now ? limit : mc->log_now;
				mc->eof = 1;
				snapshot(mc, mc->log_now);
				stop_all(mc);
				return;
			}
		}
		if (mc->speed > 0 && ts > mc->log_now) {
			clock = clock_now(mc);
			if (ts > clock) {
				double wait = (double)(ts - clock) / 1e9 / mc->speed;

				ev_timer_set(w, wait, 0.);
				ev_timer_start(loop, w);
				return;
			}
		}
		if (ts > mc->log_now)
			mc->log_now = ts;
		bus = replay_bus(mc);
		if (bus >= 0) {
			mon_frame(&mc->m, (unsigned int)bus, cf_buf_view(&mc->pend), mc->log_now);
			mon_tick(&mc->m, mc->log_now);
		} else {
			mc->nobus++;
		}
		mc->have_pend = 0;
	}
	/* more to read: let keys and the screen in between */
	ev_timer_set(w, 0., 0.);
	ev_timer_start(loop, w);
}

/* ---- screen, keys, signals, timers --------------------------------------- */

static void on_redraw(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct monc *mc = w->data;
	uint64_t now = clock_now(mc);

	(void)loop;
	(void)revents;
	mon_tick(&mc->m, now);
	if (mc->ui_on)
		monui_draw(&mc->ui, now);
}

static void on_keys(struct ev_loop *loop, ev_io *w, int revents)
{
	struct monc *mc = w->data;
	uint64_t now = clock_now(mc);
	int ch;

	(void)loop;
	(void)revents;
	while (mc->ui_on && (ch = monui_getch(&mc->ui)) >= 0) {
		switch (monui_key(&mc->ui, ch, now)) {
		case MONUI_QUIT:
			stop_all(mc);
			return;
		case MONUI_CLEAR:
			mon_clear(&mc->m);
			break;
		default:
			break;
		}
	}
	if (mc->ui_on)
		monui_draw(&mc->ui, now); /* a key's effect at once, not at the next tick */
}

static void on_once(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct monc *mc = w->data;
	unsigned int i;

	(void)loop;
	(void)revents;
	/* what the kernel queued up to now belongs in the snapshot */
	for (i = 0; i < mc->nsk; i++)
		if (mc->sk[i].open)
			on_sock(mc->loop, &mc->sk[i].w, EV_READ);
	snapshot(mc, clock_now(mc));
	stop_all(mc);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct monc *mc = w->data;
	unsigned int i;

	(void)loop;
	(void)revents;
	if (w->signum == SIGWINCH) {
		if (mc->ui_on)
			monui_resize(&mc->ui);
		return;
	}
	mc->sig = w->signum;
	ui_off(mc);
	if (mc->once) {
		/* what was seen so far is the user's, the queued frames too */
		for (i = 0; i < mc->nsk; i++)
			if (mc->sk[i].open)
				on_sock(mc->loop, &mc->sk[i].w, EV_READ);
		snapshot(mc, clock_now(mc));
	}
	stop_all(mc);
}

/* ---- options ----------------------------------------------------------- */

/* One rate "500000", "500k", "2M"; returns 0 or -1. */
static int parse_rate(const char *s, size_t n, uint32_t *out)
{
	unsigned long long v = 0, mul = 1;
	size_t i;

	if (!n)
		return -1;
	if (s[n - 1] == 'k' || s[n - 1] == 'K')
		mul = 1000, n--;
	else if (s[n - 1] == 'M')
		mul = 1000000, n--;
	if (!n)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > MAX_RATE)
			return -1;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	v *= mul;
	if (!v || v > MAX_RATE)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_bitrate(const char *s, uint32_t *br, uint32_t *dbr)
{
	const char *colon = strchr(s, ':');

	*dbr = 0;
	if (!colon)
		return parse_rate(s, strlen(s), br);
	return parse_rate(s, (size_t)(colon - s), br) ||
	       parse_rate(colon + 1, strlen(colon + 1), dbr);
}

static int open_ifs(struct monc *mc, int argc, char **argv, int first, int rcvbuf)
{
	int i, e, b;
	unsigned int k;

	for (i = first; i < argc; i++) {
		struct msock *s = &mc->sk[mc->nsk];

		/* error frames of every class unless the filters say which */
		e = cli_open_ifarg("monitor", &s->s, argv[i], rcvbuf, CAN_ERR_MASK);
		/* as canrig dump (man canrig): a missing, down or non-CAN
		 * interface is the arguments', no AF_CAN the machine's */
		if (e)
			return e == -EAFNOSUPPORT || e == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
		mc->nsk++;
		s->open = 1;
		s->mc = mc;
		s->bus = -1;
		if (!strcmp(s->s.ifname, "any"))
			continue;
		for (k = 0; k < mc->m.nifs; k++)
			if (!strcmp(mc->m.ifs[k].name, s->s.ifname)) {
				cli_err("monitor", "%s given twice: its frames would count twice",
					s->s.ifname);
				return EXIT_USAGE;
			}
		b = mon_add_if(&mc->m, s->s.ifname, mc->bitrate, mc->dbitrate);
		if (b < 0) {
			cli_err("monitor", "%s: %s", s->s.ifname, strerror(-b));
			return EXIT_USAGE;
		}
		s->bus = b;
	}
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	static const struct option lo[] = {{"help", no_argument, NULL, 'h'},
					   {"dbc", required_argument, NULL, 'd'},
					   {"j1939", no_argument, NULL, 1},
					   {"bitrate", required_argument, NULL, 2},
					   {"once", required_argument, NULL, 3},
					   {"json", no_argument, NULL, 4},
					   {"replay", required_argument, NULL, 5},
					   {"speed", required_argument, NULL, 6},
					   {NULL, 0, NULL, 0}};
	const char *dbcpath = NULL, *speedarg = NULL;
	unsigned int dflags = 0, i;
	struct dbc_db *db = NULL;
	struct mon_opts mo;
	struct monc *mc;
	uint64_t v;
	int opt, rc = EXIT_OK, rcvbuf = 0, e;
	char *end;

	mc = calloc(1, sizeof(*mc));
	if (!mc)
		return EXIT_RUNTIME;
	mc->linkfd = -1;
	mc->speed = 1;
	for (i = 0; i < CIO_NAMES_MAX; i++)
		mc->anybus[i] = -1;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, "d:r:h", lo)) != -1) {
		switch (opt) {
		case 'd':
			dbcpath = optarg;
			break;
		case 1:
			dflags |= DBC_J1939;
			break;
		case 2:
			if (parse_bitrate(optarg, &mc->bitrate, &mc->dbitrate)) {
				rc = cli_usage_err("monitor",
						   "--bitrate takes N[:DN] in bit/s (500000, 500k, "
						   "1M:2M), not '%s'",
						   optarg);
				goto out;
			}
			break;
		case 3:
			if (cli_parse_pos_double(optarg, &mc->once_s) || mc->once_s > 1e6) {
				rc = cli_usage_err("monitor",
						   "--once takes seconds (0.5, 10), not '%s'",
						   optarg);
				goto out;
			}
			mc->once = 1;
			break;
		case 4:
			mc->json = 1;
			break;
		case 5:
			mc->replay_path = optarg;
			break;
		case 6:
			speedarg = optarg;
			errno = 0;
			mc->speed = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(mc->speed >= 0) ||
			    !isfinite(mc->speed)) {
				rc = cli_usage_err(
					"monitor",
					"--speed takes a factor (1, 10, 0.5; 0 as fast as "
					"possible), not '%s'",
					optarg);
				goto out;
			}
			break;
		case 'r':
			if (cli_parse_u64(optarg, &v) || !v || v > (1u << 30)) {
				rc = cli_usage_err("monitor", "-r takes a buffer size in bytes");
				goto out;
			}
			rcvbuf = (int)v;
			break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			rc = cli_opt_error("monitor", opt, argv);
			goto out;
		}
	}
	if (mc->json && !mc->once) {
		rc = cli_usage_err("monitor", "--json is the --once snapshot's form: give --once");
		goto out;
	}
	if (speedarg && !mc->replay_path) {
		rc = cli_usage_err("monitor", "--speed needs --replay FILE");
		goto out;
	}
	if (mc->replay_path && optind < argc) {
		rc = cli_usage_err("monitor",
				   "--replay reads its buses from the log: no interfaces with it");
		goto out;
	}
	if (!mc->replay_path && optind == argc) {
		rc = cli_usage_err("monitor", "no interface given");
		goto out;
	}
	if (argc - optind > MON_MAX_IFS) {
		rc = cli_usage_err("monitor", "at most %d interfaces", MON_MAX_IFS);
		goto out;
	}
	if (!mc->once && !isatty(STDOUT_FILENO)) {
		rc = cli_usage_err("monitor", "the screen needs a terminal; for a snapshot to a "
					      "file or pipe use --once SECONDS [--json]");
		goto out;
	}
	if (dbcpath) {
		/* strict: a line the parser skips would be signals missing
		 * from a screen that hides stderr; 'canrig dbc check' lists them */
		struct dbc_opts dop = {dflags | DBC_STRICT, NULL, NULL};
		char err[DBC_ERRMSG_MAX];

		if (dbc_load_file(dbcpath, &dop, &db, err, sizeof(err))) {
			cli_err("monitor", "%s", err);
			rc = EXIT_RUNTIME;
			goto out;
		}
	}
	memset(&mo, 0, sizeof(mo));
	mo.db = db;
	mo.dbc_flags = dflags;
	if (mon_init(&mc->m, &mo)) {
		rc = EXIT_RUNTIME;
		goto out_mon;
	}
	if (mc->replay_path) {
		cli_stdin_hint("monitor", mc->replay_path);
		e = clog_reader_open(&mc->rd, mc->replay_path, NULL);
		if (e) {
			if (e == -EPROTO)
				cli_err("monitor", "%s", mc->rd.err);
			else
				cli_err("monitor", "%s: %s", mc->replay_path, strerror(-e));
			rc = EXIT_RUNTIME;
			goto out_mon;
		}
		mc->rd_open = 1;
	} else {
		rc = open_ifs(mc, argc, argv, optind, rcvbuf);
		if (rc)
			goto out_socks;
		if (cio_ring_init(&mc->ring, RING_SLOTS)) {
			rc = EXIT_RUNTIME;
			goto out_socks;
		}
	}

	mc->loop = ev_default_loop(EVFLAG_AUTO);
	if (!mc->loop) {
		cli_err("monitor", "no event loop");
		rc = EXIT_RUNTIME;
		goto out_socks;
	}
	/*
	 * Under load frames arrive one by one, and a wake-up per frame costs
	 * an epoll_wait and a recvmmsg each (canrig dump pauses likewise):
	 * collecting for a millisecond lets batches build up.  The kernel
	 * stamps each frame, so no time shifts; a key waits 1 ms at most.
	 */
	if (mc->nsk)
		ev_set_io_collect_interval(mc->loop, COALESCE_S);
	for (i = 0; i < mc->nsk; i++) {
		ev_io_init(&mc->sk[i].w, on_sock, mc->sk[i].s.fd, EV_READ);
		mc->sk[i].w.data = &mc->sk[i];
		ev_io_start(mc->loop, &mc->sk[i].w);
	}
	if (!mc->replay_path) {
		/* the kernel's bitrates, and word of interfaces that go away */
		mc->linkfd = cio_link_open();
		if (mc->linkfd >= 0) {
			ev_io_init(&mc->linkw, on_link, mc->linkfd, EV_READ);
			mc->linkw.data = mc;
			ev_io_start(mc->loop, &mc->linkw);
			cio_link_dump(mc->linkfd);
		}
	} else {
		ev_timer_init(&mc->replay, on_replay, 0., 0.);
		mc->replay.data = mc;
		ev_timer_start(mc->loop, &mc->replay);
	}
	ev_signal_init(&mc->sigint, on_signal, SIGINT);
	ev_signal_init(&mc->sigterm, on_signal, SIGTERM);
	mc->sigint.data = mc->sigterm.data = mc;
	ev_signal_start(mc->loop, &mc->sigint);
	ev_signal_start(mc->loop, &mc->sigterm);
	if (mc->once) {
		ev_timer_init(&mc->redraw, on_redraw, TICK_S, TICK_S);
		if (!mc->replay_path) {
			ev_timer_init(&mc->oncew, on_once, mc->once_s, 0.);
			mc->oncew.data = mc;
			ev_timer_start(mc->loop, &mc->oncew);
		}
	} else {
		e = monui_init(&mc->ui, &mc->m, getenv("NO_COLOR") ? MONUI_NO_COLOR : 0);
		if (e) {
			if (e == -ENOTTY)
				cli_err("monitor",
					"TERM=%s: not a terminal the screen can drive; "
					"use --once SECONDS [--json]",
					getenv("TERM") ? getenv("TERM") : "");
			else
				cli_err("monitor", "terminal: %s", strerror(-e));
			rc = EXIT_RUNTIME;
			goto out_loop;
		}
		mc->ui_on = 1;
		ev_io_init(&mc->keys, on_keys, monui_fd(&mc->ui), EV_READ);
		mc->keys.data = mc;
		ev_io_start(mc->loop, &mc->keys);
		ev_signal_init(&mc->sigwinch, on_signal, SIGWINCH);
		mc->sigwinch.data = mc;
		ev_signal_start(mc->loop, &mc->sigwinch);
		ev_timer_init(&mc->redraw, on_redraw, 0., REDRAW_S);
	}
	mc->redraw.data = mc;
	ev_timer_start(mc->loop, &mc->redraw);

	ev_run(mc->loop, 0);

	ui_off(mc);
	rc = mc->sig ? EXIT_SIGNAL(mc->sig) : mc->rc;
	if (mc->nobus)
		cli_err("monitor", "%llu frame%s of buses past the first %d not shown",
			(unsigned long long)mc->nobus, cli_plural(mc->nobus), MON_MAX_IFS);
out_loop:
	ui_off(mc);
	ev_loop_destroy(mc->loop);
out_socks:
	if (mc->linkfd >= 0)
		close(mc->linkfd);
	for (i = 0; i < mc->nsk; i++)
		cio_close(&mc->sk[i].s);
	cio_ring_fini(&mc->ring);
	if (mc->rd_open)
		clog_reader_close(&mc->rd);
out_mon:
	mon_fini(&mc->m);
	dbc_free(db);
out:
	free(mc);
	fflush(stdout);
	return rc;
}
