/* SPDX-License-Identifier: MIT */
/*
 * canrigd.c - the gateway daemon: one raw socket per interface, the rule
 * engine (gw.h) in between, a bounded queue per destination, libev.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/can.h>
#include <linux/can/error.h>
#include <linux/can/netlink.h>
#include <linux/can/raw.h>
#include <linux/capability.h>
#include <linux/rtnetlink.h>

#include "cio.h"
#include "gw.h"
#include "gw_cgw.h"
#include "gw_conf.h"
#include "yml.h"

#ifndef CANRIG_VERSION
#define CANRIG_VERSION "0.1.0"
#endif

#define BATCH	       64
#define MAX_FILTERS    512 /* the kernel's per-socket limit for CAN_RAW */
#define CTL_MAX_CONNS  32  /* control connections at once; more wait in the backlog */
#define WS_DEFAULT_MIN 60  /* workshop on: closes by itself after this */
#define WS_MAX_MIN     1440

struct qent {
	struct cf_frame f;
	uint8_t data[CF_MAX_LEN];
	uint64_t t; /* enqueued */
	uint16_t route;
};

struct gif {
	struct gwd *d;
	unsigned int idx;
	int open;
	struct cio_sock sock;
	struct cio_ring ring;
	ev_io rd, wr;
	struct qent *q;
	uint32_t cap, head, n;
	int held; /* bus-off or carrier off: the queue waits */
	uint64_t rx, tx, lost_down, busoff;
	uint64_t overflow_old;	     /* kernel receive drops of closed sockets */
	uint64_t same_dev;	     /* times refused: its device was open already */
	uint64_t err_local;	     /* error frames a local process sent: ignored */
	unsigned int dup_of;	     /* 1 + the interface whose device it named, or 0 */
	char note[GW_NAME_MAX + 24]; /* why it stays closed, for status */
};

/* "s" unless n is 1 (tools/cli.h has the same for the CLI) */
static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* Frames the kernel dropped because our receive buffer was full. */
static uint64_t rx_overflow(const struct gif *g)
{
	return g->overflow_old + (g->open ? g->sock.kernel_drops : 0);
}

/* Routes offloaded to the kernel's can-gw (offload: kernel). */
struct offload {
	struct gw_cgw nl;
	int open;
	unsigned int gen;
	size_t n;		  /* routes of the engine they belong to */
	struct gw_cgw_route *rt;  /* the plan, one per route */
	struct gw_cgw_inst *inst; /* installed jobs, one per route */
	struct gw_cgw_ctr *seen;  /* kernel totals already counted */
	/* Handover of routes moving from user space into the kernel: until
	 * their source socket shows a frame stamped after the jobs went in
	 * (or runs dry), canrigd still routes them, so frames that arrived
	 * before the jobs are neither lost nor skipped. */
	uint8_t *final;		     /* the engine's marks once handed over */
	uint8_t *moving;	     /* routed by user space before the jobs */
	uint32_t pending;	     /* source interfaces not handed over yet */
	uint64_t t_real;	     /* CLOCK_REALTIME after the jobs went in */
	char saved[GW_PATH_MAX + 8]; /* plain jobs' list: control path + .jobs */
	ev_timer poll_tm;
};

/* A control connection: one command line in, the answer out. */
struct ctl_conn {
	struct gwd *d;
	ev_io io;
	ev_timer tm; /* a client too slow to ask or to read is dropped */
	struct ucred who;
	int in_group; /* the peer is in the control group */
	char in[128];
	size_t nin;
	char *out; /* the answer, being written */
	size_t nout, off;
	struct ctl_conn *next;	/* every connection */
	struct ctl_conn *wnext; /* waiting for a reload */
};

/*
 * A reload parses and compiles the file on a thread of its own, so the
 * loop goes on routing meanwhile; only the swap runs on the loop.
 */
struct reload_job {
	pthread_t th;
	int busy, again;
	ev_async done;
	struct gw_conf nc;	   /* the thread's result */
	struct gw_cgw_route *plan; /* and its offload plan (offload: kernel) */
	int rc;
	char err[512];
	uint64_t t0;
	uint64_t yaml_ns, rules_ns; /* the thread's two parts */
	struct ctl_conn *wait_cur;  /* answered when the running one ends */
	struct ctl_conn *wait_next; /* asked meanwhile: answered after the next */
};

struct gwd {
	struct ev_loop *loop;
	struct offload off;
	struct reload_job rl;
	struct ctl_conn *conns;
	struct gw_conf conf;
	struct gif ifs[GW_MAX_IFS];
	ev_timer rate_tm, retry_tm;
	ev_signal sig[5];
	ev_io ctl, link;
	int ctl_fd, link_fd;
	char ctl_path[GW_PATH_MAX];
	const char *path; /* -c as given: what messages name */
	int dirfd;	  /* where a relative -c is (else AT_FDCWD): reloads
			   * run after daemon()'s chdir("/") */
	int verbose, foreground;
	uint64_t started;
	struct gw_emit out[256];
	/* workshop mode opened by command closes by itself; from the file
	 * it stays open until a reload says otherwise */
	ev_timer ws_tm;
	uint64_t ws_until; /* now_ns() deadline; 0: off or from the file */
	/* control socket: rights resolved from conf (start, reload) */
	uid_t ctl_uids[GW_CTL_USERS_MAX];
	size_t nctl_uids;
	gid_t ctl_gid; /* members may read */
	unsigned int nconns;
	ev_timer ctl_resume; /* the listener paused on EMFILE */
	int ctl_starved;     /* and said so */
	int lock_fd;
	char lock_path[GW_PATH_MAX + 8];
	uid_t start_uid; /* who started canrigd (owns the config) */
};

static int use_syslog;

static void logmsg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logmsg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		fputs("canrigd: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A frame the engine counted as forwarded did not make it after all. */
static void undo(struct gwd *d, uint16_t route, enum gw_drop why)
{
	struct gw_counters *c = gw_engine_counters(d->conf.engine, route);

	if (!c)
		return;
	if (c->forwarded)
		c->forwarded--;
	c->dropped[why]++;
}

/*
 * Queued frames are not forwarded yet (a held destination may keep them
 * long, and lose them as stale): enqueue() takes back the engine's count,
 * sent() counts them again when the kernel took them, and a frame dropped
 * from a queue is only counted as dropped.
 */
static void queued(struct gwd *d, uint16_t route)
{
	struct gw_counters *c = gw_engine_counters(d->conf.engine, route);

	if (c && c->forwarded)
		c->forwarded--;
}

static void sent(struct gwd *d, uint16_t route)
{
	struct gw_counters *c = gw_engine_counters(d->conf.engine, route);

	if (c)
		c->forwarded++;
}

static void drop_queued(struct gwd *d, uint16_t route, enum gw_drop why)
{
	struct gw_counters *c = gw_engine_counters(d->conf.engine, route);

	if (c)
		c->dropped[why]++;
}

static void flush(struct gif *g, uint64_t now);
static void offload_fold(struct gwd *d);
static void offload_install(struct gwd *d, struct gw_cgw_route *plan);
static struct gw_cgw_route *offload_plan(const struct gw_engine *e);
static void offload_reload(struct gwd *d);
static void handover(struct gwd *d, struct gif *g);
static void handover_clear(struct offload *o);

static void enqueue(struct gwd *d, const struct gw_emit *o, uint64_t now)
{
	struct gif *g = &d->ifs[o->dst];
	struct qent *e;

	if (!g->open) {
		g->lost_down++;
		undo(d, o->route, GW_DROP_DOWN);
		return;
	}
	if (g->n == g->cap) {
		undo(d, o->route, GW_DROP_QUEUE);
		return;
	}
	e = &g->q[(g->head + g->n++) % g->cap];
	e->f = o->f;
	memcpy(e->data, o->data, o->f.len);
	e->f.data = e->data;
	e->t = now;
	e->route = o->route;
	queued(d, o->route);
}

/*
 * After a reload's swap with the queues kept: their frames name a route by
 * its index in old, and the new engine may number the routes otherwise.
 * A frame whose route is gone still goes out, counted nowhere.
 */
static void requeue(struct gwd *d, const struct gw_engine *old)
{
	const struct gw_engine *e = d->conf.engine;
	size_t nn = gw_engine_nroutes(e), j;
	unsigned int i, k;

	for (i = 0; i < d->conf.nifs; i++) {
		struct gif *g = &d->ifs[i];

		for (k = 0; k < g->n; k++) {
			struct qent *q = &g->q[(g->head + k) % g->cap];
			const char *name = gw_engine_route_name(old, q->route);

			j = q->route;
			if (name && (j >= nn || strcmp(gw_engine_route_name(e, j), name)))
				for (j = 0; j < nn && strcmp(gw_engine_route_name(e, j), name); j++)
					;
			q->route = name && j < nn ? (uint16_t)j : UINT16_MAX;
		}
	}
}

static void close_if(struct gif *g)
{
	struct gwd *d = g->d;

	if (!g->open)
		return;
	ev_io_stop(d->loop, &g->rd);
	ev_io_stop(d->loop, &g->wr);
	g->overflow_old += g->sock.kernel_drops;
	cio_close(&g->sock);
	cio_ring_fini(&g->ring);
	g->open = 0;
	/* what waited for this interface is lost with it, and counted */
	while (g->n) {
		drop_queued(d, g->q[g->head].route, GW_DROP_DOWN);
		g->lost_down++;
		g->head = (g->head + 1) % g->cap;
		g->n--;
	}
}

static void set_filters(struct gwd *d, struct gif *g)
{
	static uint32_t id[MAX_FILTERS + 1], mask[MAX_FILTERS + 1];
	static struct can_filter f[MAX_FILTERS];
	int n = gw_engine_filters(d->conf.engine, g->idx, id, mask, MAX_FILTERS), i;

	/* too many for the kernel: take everything and let the engine sort */
	if (n < 0 || n > MAX_FILTERS) {
		f[0].can_id = 0;
		f[0].can_mask = 0;
		n = 1;
	} else {
		for (i = 0; i < n; i++) {
			f[i].can_id = id[i];
			f[i].can_mask = mask[i];
		}
	}
	if (cio_set_filters(&g->sock, f, (unsigned int)n))
		logmsg(LOG_WARNING, "%s: cannot set kernel filters", d->conf.ifname[g->idx]);
}

static void refilter(struct gwd *d)
{
	unsigned int i;

	for (i = 0; i < d->conf.nifs; i++)
		if (d->ifs[i].open)
			set_filters(d, &d->ifs[i]);
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents);
static void on_write(struct ev_loop *loop, ev_io *w, int revents);

static int open_if(struct gwd *d, struct gif *g, int quiet)
{
	static const can_err_mask_t err_mask = CAN_ERR_BUSOFF | CAN_ERR_RESTARTED;
	static const int one = 1;
	const char *name = d->conf.ifname[g->idx];
	struct cio_opts o;
	char eb[256];
	unsigned int i;
	int e;

	/* bound to ifindex 0 a CAN_RAW socket receives what canrigd sends on
	 * every interface: never, whatever the file says (gw_conf refuses it;
	 * cio_open() binds 0 for this name only) */
	if (!strcmp(name, "any")) {
		if (!quiet)
			logmsg(LOG_ERR, "any: refused: canrigd binds one device per interface");
		return -EINVAL;
	}
	cio_opts_init(&o);
	o.rcvbuf = (int)d->conf.pol[g->idx].rcvbuf;
	o.no_rx = 1; /* filters come right after, from the rules */
	e = cio_open(&g->sock, name, &o);
	if (e) {
		if (!quiet)
			logmsg(LOG_WARNING, "%s", cio_open_strerror(e, name, eb, sizeof(eb)));
		g->dup_of = 0;
		return e;
	}
	/*
	 * Two sockets of canrigd on one device (an altname, say) would each
	 * receive what the other sends, and route it again: a storm no
	 * check of names can see.  The device's first interface keeps it;
	 * this one stays closed (its empty filter took nothing meanwhile),
	 * counted and logged once per refusal, and is tried again later.
	 */
	for (i = 0; i < d->conf.nifs; i++)
		if (d->ifs[i].open && d->ifs[i].sock.ifindex == g->sock.ifindex)
			break;
	if (i < d->conf.nifs) {
		int ifindex = g->sock.ifindex;

		cio_close(&g->sock);
		if (g->dup_of != i + 1) {
			g->dup_of = i + 1;
			g->same_dev++;
			snprintf(g->note, sizeof(g->note), "DOWN (same device as %s)",
				 d->conf.ifname[i]);
			logmsg(LOG_WARNING,
			       "%s: same device (ifindex %d) as %s: refused, "
			       "stays closed",
			       name, ifindex, d->conf.ifname[i]);
		}
		return -EEXIST;
	}
	g->dup_of = 0;
	e = cio_ring_init(&g->ring, BATCH);
	if (e) {
		cio_close(&g->sock);
		return e;
	}
	/* rx stamps, before any frame can arrive: the offload handover
	 * tells by them which frames came after can-gw's jobs */
	setsockopt(g->sock.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	set_filters(d, g);
	/* bus-off and restart arrive as error frames (real controllers) */
	setsockopt(g->sock.fd, SOL_CAN_RAW, CAN_RAW_ERR_FILTER, &err_mask, sizeof(err_mask));
	/* frames lost before we read them are counted too (rx-overflow) */
	setsockopt(g->sock.fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	g->held = 0;
	ev_io_init(&g->rd, on_read, g->sock.fd, EV_READ);
	ev_io_init(&g->wr, on_write, g->sock.fd, EV_WRITE);
	g->rd.data = g->wr.data = g;
	ev_io_start(d->loop, &g->rd);
	g->open = 1;
	return 0;
}

/* now: the caller's clock reading, one per wakeup (reads are not free
 * everywhere: a system call on clock sources without a vDSO path) */
static void flush(struct gif *g, uint64_t now)
{
	struct gwd *d = g->d;
	struct cf_frame fv[BATCH];
	uint64_t age = (uint64_t)d->conf.pol[g->idx].max_age_ms * 1000000ull;

	while (g->n && g->open && !g->held) {
		unsigned int k = 0, nsent = 0, i;
		int e;

		/* stale frames (after a bus-off, say) are not sent late */
		while (g->n && age && now - g->q[g->head].t > age) {
			drop_queued(d, g->q[g->head].route, GW_DROP_STALE);
			g->head = (g->head + 1) % g->cap;
			g->n--;
		}
		for (i = 0; i < g->n && k < BATCH; i++)
			fv[k++] = g->q[(g->head + i) % g->cap].f;
		if (!k)
			break;
		e = cio_send(&g->sock, fv, k, &nsent);
		g->tx += nsent;
		for (i = 0; i < nsent; i++)
			sent(d, g->q[(g->head + i) % g->cap].route);
		g->head = (g->head + nsent) % g->cap;
		g->n -= nsent;
		if (!e)
			continue;
		if (e == -ENOBUFS || e == -EAGAIN) {
			/* the device queue is full: wait, never spin */
			ev_io_start(d->loop, &g->wr);
			return;
		}
		if (e == -EINVAL && g->n) {
			/* a frame the interface cannot carry: drop just it */
			drop_queued(d, g->q[g->head].route, GW_DROP_ACTION);
			g->head = (g->head + 1) % g->cap;
			g->n--;
			continue;
		}
		logmsg(LOG_WARNING, "%s: send: %s; reopening", d->conf.ifname[g->idx],
		       strerror(-e));
		close_if(g);
	}
}

static void flush_all(struct gwd *d, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < d->conf.nifs; i++)
		if (d->ifs[i].n && !ev_is_active(&d->ifs[i].wr))
			flush(&d->ifs[i], now);
}

static void arm_rate(struct gwd *d)
{
	uint64_t t = gw_engine_deadline(d->conf.engine), now;

	ev_timer_stop(d->loop, &d->rate_tm);
	if (t == UINT64_MAX)
		return;
	ev_now_update(d->loop);
	now = now_ns();
	ev_timer_set(&d->rate_tm, t > now ? (double)(t - now) / 1e9 : 0, 0);
	ev_timer_start(d->loop, &d->rate_tm);
}

/*
 * A held interface keeps its queue: frames wait for the restart and go out
 * then, unless they grew older than max_age_ms meanwhile (dropped as
 * stale), or the queue filled up (dropped as queue-full).
 */
static void hold(struct gif *g, int on, const char *why)
{
	struct gwd *d = g->d;

	if (g->held == on)
		return;
	g->held = on;
	if (on) {
		g->busoff++;
		logmsg(LOG_WARNING, "%s: %s; holding its queue", d->conf.ifname[g->idx], why);
	} else {
		logmsg(LOG_NOTICE, "%s: %s; sending again", d->conf.ifname[g->idx], why);
		flush(g, now_ns());
	}
}

/*
 * Only the controller's error frames count.  Any local process may open
 * CAN_RAW and send one (no privilege needed), and the kernel echoes it to
 * canrigd's socket marked as sent on this host (MSG_DONTROUTE, dir TX):
 * believing it would let anyone hold a domain's queue.  A device without
 * a controller (vcan) can then only be held by its link state.
 */
static void on_error_frame(struct gif *g, const struct cf_frame *f)
{
	if (f->dir != CF_DIR_RX) {
		if (!g->err_local++)
			logmsg(LOG_WARNING,
			       "%s: error frame sent by a local process (id "
			       "0x%08X): ignored; only the controller's count (further ones "
			       "only counted)",
			       g->d->conf.ifname[g->idx], (unsigned int)f->id);
		return;
	}
	if (f->id & CAN_ERR_BUSOFF)
		hold(g, 1, "bus-off");
	else if (f->id & CAN_ERR_RESTARTED)
		hold(g, 0, "controller restarted");
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gif *g = w->data;
	struct gwd *d = g->d;
	int n, i, rounds = 0;

	(void)loop;
	(void)revents;
	/* a few batches, then the other interfaces get their turn */
	while (rounds++ < 8 && (n = cio_recv(&g->sock, &g->ring)) > 0) {
		uint64_t now = now_ns();

		g->rx += (uint64_t)n;
		for (i = 0; i < n; i++) {
			unsigned int k, m;

			if (g->ring.views[i].flags & CF_ERR) {
				on_error_frame(g, &g->ring.views[i]);
				continue;
			}
			/* stamped after the jobs went in: the kernel routes it */
			if ((d->off.pending >> g->idx & 1) &&
			    g->ring.views[i].ts_ns > d->off.t_real)
				handover(d, g);
			m = gw_engine_input(d->conf.engine, g->idx, &g->ring.views[i], now, d->out,
					    256);
			for (k = 0; k < m; k++)
				enqueue(d, &d->out[k], now);
		}
		flush_all(d, now);
		if ((unsigned int)n < g->ring.cap) {
			/* ran dry after the jobs went in: what comes now, they route */
			if (d->off.pending >> g->idx & 1)
				handover(d, g);
			break;
		}
	}
	/* nothing waiting: the handover is done (see offload_install()) */
	if (n == -EAGAIN && (d->off.pending >> g->idx & 1))
		handover(d, g);
	if (rounds && n < 0 && n != -EAGAIN) {
		logmsg(LOG_WARNING, "%s: %s; waiting for it to come back", d->conf.ifname[g->idx],
		       strerror(-n));
		close_if(g);
	}
	arm_rate(d);
}

static void on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gif *g = w->data;

	(void)revents;
	ev_io_stop(loop, &g->wr);
	flush(g, now_ns());
}

static void on_rate(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gwd *d = w->data;
	unsigned int n, k;
	uint64_t now = now_ns();

	(void)loop;
	(void)revents;
	n = gw_engine_timers(d->conf.engine, now, d->out, 256);
	for (k = 0; k < n; k++)
		enqueue(d, &d->out[k], now);
	flush_all(d, now);
	arm_rate(d);
}

/*
 * Interfaces that went away are tried once a second: rtnetlink brings
 * them back at once, this catches what it cannot tell (no netlink, a
 * socket closed after a send error on a link that never changed).
 */
static void on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gwd *d = w->data;
	unsigned int i;

	(void)loop;
	(void)revents;
	for (i = 0; i < d->conf.nifs; i++)
		if (!d->ifs[i].open && !open_if(d, &d->ifs[i], 1)) {
			logmsg(LOG_NOTICE, "%s: back", d->conf.ifname[i]);
			offload_fold(d);
			offload_install(d, NULL);
		}
}

/* Does the configured name lead to ev's device: its name, an altname? */
static int names_dev(const char *name, const struct cio_link_ev *ev)
{
	return !strcmp(name, ev->ifname) || if_nametoindex(name) == (unsigned int)ev->ifindex;
}

/* What a link event means for interface g. */
static void link_ev_if(struct gwd *d, struct gif *g, const struct cio_link_ev *ev)
{
	const char *name = d->conf.ifname[g->idx], *why = NULL;

	if (g->open && g->sock.ifindex == ev->ifindex)
		why = ev->deleted	     ? "deleted"
		      : !ev->up		     ? "down"
		      : !names_dev(name, ev) ? "renamed"
					     : NULL;
	else if (g->open && !ev->deleted && !strcmp(name, ev->ifname))
		why = "replaced"; /* its name went to another device */
	else if (g->open)
		return;
	if (why) {
		logmsg(LOG_WARNING, "%s: %s; waiting for it to come back", name, why);
		close_if(g);
	}
	if (!g->open) {
		if (ev->deleted || !ev->up || !names_dev(name, ev) || open_if(d, g, 1))
			return;
		logmsg(LOG_NOTICE, "%s: back", name);
		/* the kernel dropped the jobs of the old interface */
		offload_fold(d);
		offload_install(d, NULL);
	}
	if (!ev->running || ev->can_state == CAN_STATE_BUS_OFF)
		hold(g, 1, ev->can_state == CAN_STATE_BUS_OFF ? "bus-off" : "no carrier");
	else if (ev->can_state < 0 || ev->can_state <= CAN_STATE_ERROR_PASSIVE)
		hold(g, 0, "carrier back");
}

/*
 * An interface appeared, changed or went away (rtnetlink).  Every
 * configured interface is asked, in the file's order: one event may close
 * one and bring back another, and of two that name one device (an
 * altname) the first keeps it, as at start.
 */
static void on_link_ev(void *arg, const struct cio_link_ev *ev)
{
	struct gwd *d = arg;
	unsigned int i;

	for (i = 0; i < d->conf.nifs; i++)
		link_ev_if(d, &d->ifs[i], ev);
}

static void on_link(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gwd *d = w->data;
	int e;

	(void)loop;
	(void)revents;
	e = cio_link_read(d->link_fd, on_link_ev, d);
	if (e == -ENOBUFS) {
		/* events were lost: ask for every link's state */
		logmsg(LOG_WARNING, "link events lost; asking for a full dump");
		cio_link_dump(d->link_fd);
	} else if (e < 0 && e != -EAGAIN) {
		logmsg(LOG_WARNING, "link events: %s", strerror(-e));
	}
}

static int alloc_queues(struct gwd *d)
{
	unsigned int i;

	for (i = 0; i < d->conf.nifs; i++) {
		struct gif *g = &d->ifs[i];

		g->d = d;
		g->idx = i;
		g->cap = d->conf.pol[i].queue_frames ? d->conf.pol[i].queue_frames : 1024;
		g->q = calloc(g->cap, sizeof(*g->q));
		if (!g->q)
			return -ENOMEM;
	}
	return 0;
}

static void close_all(struct gwd *d)
{
	unsigned int i;

	for (i = 0; i < GW_MAX_IFS; i++) {
		close_if(&d->ifs[i]);
		free(d->ifs[i].q);
		memset(&d->ifs[i], 0, sizeof(d->ifs[i]));
	}
}

static const char *if_state(const struct gif *g)
{
	return !g->open ? (g->dup_of ? g->note : "DOWN") : g->held ? "HELD" : "up";
}

static void print_stats(struct gwd *d, FILE *f)
{
	size_t i, k, n = gw_engine_nroutes(d->conf.engine);

	for (i = 0; i < d->conf.nifs; i++)
		fprintf(f,
			"interface %s: %s, rx %llu, tx %llu, queued %u, lost while down %llu, "
			"rx-overflow %llu, bus-off %llu, same device %llu, local error frames "
			"%llu\n",
			d->conf.ifname[i], if_state(&d->ifs[i]), (unsigned long long)d->ifs[i].rx,
			(unsigned long long)d->ifs[i].tx, d->ifs[i].n,
			(unsigned long long)d->ifs[i].lost_down,
			(unsigned long long)rx_overflow(&d->ifs[i]),
			(unsigned long long)d->ifs[i].busoff,
			(unsigned long long)d->ifs[i].same_dev,
			(unsigned long long)d->ifs[i].err_local);
	for (i = 0; i < n; i++) {
		const struct gw_counters *c = gw_engine_counters(d->conf.engine, i);

		fprintf(f, "route %s: matched %llu, forwarded %llu",
			gw_engine_route_name(d->conf.engine, i), (unsigned long long)c->matched,
			(unsigned long long)c->forwarded);
		for (k = 0; k < GW_DROP_N; k++)
			if (c->dropped[k])
				fprintf(f, ", %s %llu", gw_drop_name((enum gw_drop)k),
					(unsigned long long)c->dropped[k]);
		fputc('\n', f);
	}
	fflush(f);
}

static int same_interfaces(const struct gw_conf *a, const struct gw_conf *b)
{
	size_t i;

	if (a->nifs != b->nifs)
		return 0;
	for (i = 0; i < a->nifs; i++)
		if (strcmp(a->ifname[i], b->ifname[i]) ||
		    a->pol[i].queue_frames != b->pol[i].queue_frames ||
		    a->pol[i].rcvbuf != b->pol[i].rcvbuf)
			return 0;
	return 1;
}

static void ctl_rights_resolve(struct gwd *d);

/*
 * Refuses a configuration file that someone else could change: writable
 * by others, by a group other than root's when started as root (as root,
 * the file decides options.user; a user's own file may be shared with
 * their private group), or owned by anyone but root and the user who
 * started canrigd.  Returns 0, or -EPERM / -errno with the message in err.
 */
static int config_stat_ok(const char *path, const struct stat *st, uid_t starter, char *err,
			  size_t cap)
{
	if ((st->st_mode & S_IWOTH) || (!starter && (st->st_mode & S_IWGRP) && st->st_gid)) {
		snprintf(err, cap, "%s: writable by %s: refused (chmod go-w)", path,
			 st->st_mode & S_IWOTH ? "everyone" : "its group");
		return -EPERM;
	}
	if (st->st_uid != 0 && st->st_uid != starter) {
		snprintf(err, cap, "%s: owned by uid %u, not root%s: refused", path,
			 (unsigned int)st->st_uid, starter ? " nor canrigd's user" : "");
		return -EPERM;
	}
	return 0;
}

static int config_file_ok(const char *path, uid_t starter, char *err, size_t cap)
{
	struct stat st;

	if (stat(path, &st)) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		return -errno;
	}
	return config_stat_ok(path, &st, starter, err, cap);
}

#define CONFIG_MAX (64u << 20) /* as yml_load_file(): a configuration, not data */

/*
 * Reads the configuration for a reload into y: opened relative to
 * d->dirfd (a relative -c is relative to where canrigd started, not to
 * "/" where daemon() went, and needs no more rights than it did there),
 * checked on the open file as config_file_ok() does, then parsed.
 * Messages name the file as given.  Returns 0, or -errno / -EPERM /
 * -EINVAL with the message in err.
 */
static int reload_read(struct gwd *d, struct yml *y, char *err, size_t cap)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t len = 0, room = 0;
	ssize_t n;
	int fd, e;

	memset(y, 0, sizeof(*y)); /* yml_fini()-able whatever happens */
	fd = openat(d->dirfd, d->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st)) {
		e = -errno;
		snprintf(err, cap, "%s: %s", d->path, strerror(-e));
		goto out;
	}
	e = config_stat_ok(d->path, &st, d->start_uid, err, cap);
	if (e)
		goto out;
	for (;;) {
		if (len == room) {
			room = room ? room * 2 : (size_t)st.st_size + 1;
			nb = room <= CONFIG_MAX ? realloc(buf, room) : NULL;
			if (!nb) {
				e = room > CONFIG_MAX ? -EFBIG : -ENOMEM;
				snprintf(err, cap, "%s: %s", d->path, strerror(-e));
				goto out;
			}
			buf = nb;
		}
		n = read(fd, buf + len, room - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = -errno;
			snprintf(err, cap, "%s: %s", d->path, strerror(-e));
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	e = yml_load_mem(y, d->path, buf, len);
	if (e)
		snprintf(err, cap, "%s", yml_errmsg(y)[0] ? yml_errmsg(y) : strerror(-e));
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return e;
}

/*
 * What the system has under an interface name: 0 a CAN device, -ENODEV
 * none (yet), -EMEDIUMTYPE a device of another kind (*type its ARPHRD_),
 * other -errno when it cannot tell.  A unix socket asks: it needs no
 * AF_CAN, so -n says the same on a host without SocketCAN.
 */
static int if_kind(const char *name, int *type)
{
	struct ifreq ifr;
	int fd, e = 0;

	*type = -1;
	if (strlen(name) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		e = -errno;
	else if (ifr.ifr_hwaddr.sa_family != ARPHRD_CAN)
		e = -EMEDIUMTYPE;
	*type = ifr.ifr_hwaddr.sa_family;
	close(fd);
	return e;
}

/*
 * Checks the devices c's interfaces name (file: what messages call the
 * configuration).  One that exists but is not CAN is refused: canrigd
 * would send frames to it, or wait forever for it to become CAN.  An
 * absent one is fine (it is opened when it appears); with warn, each
 * absent one, and each that cannot be checked, gets a warning on stderr.
 * Returns 0, or -EMEDIUMTYPE with the message in err.
 */
static int ifs_check(const struct gw_conf *c, const char *file, int warn, char *err, size_t cap)
{
	size_t i;
	int e, type;

	for (i = 0; i < c->nifs; i++) {
		e = if_kind(c->ifname[i], &type);
		if (e == -EMEDIUMTYPE) {
			char t[32];

			snprintf(t, sizeof(t), "link type %d", type);
			snprintf(err, cap, "%s:%u:%u: %s: not a CAN interface (%s): refused", file,
				 c->ifpos[i][0], c->ifpos[i][1], c->ifname[i],
				 type == ARPHRD_LOOPBACK ? "loopback"
				 : type == ARPHRD_ETHER	 ? "Ethernet"
							 : t);
			return e;
		}
		if (e && warn)
			fprintf(stderr, "canrigd: warning: %s:%u:%u: %s: %s\n", file,
				c->ifpos[i][0], c->ifpos[i][1], c->ifname[i],
				e == -ENODEV ? "no such interface (yet): opened when it appears"
					     : strerror(-e));
	}
	return 0;
}

/* ---- workshop mode ----
 * Opened by command it closes by itself (WS_DEFAULT_MIN, or the minutes
 * asked for); opened by the file (workshop: true) it stays open as long as
 * the file says so: every reload sets it to the file's value, so a file
 * saying false closes what a command opened. */

static void on_ws_expire(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gwd *d = w->data;

	(void)loop;
	(void)revents;
	d->ws_until = 0;
	gw_engine_workshop(d->conf.engine, 0);
	logmsg(LOG_NOTICE, "workshop mode expired: closed");
}

/* Opens (for minutes > 0, 0: no expiry) or closes workshop mode. */
static void workshop_set(struct gwd *d, int on, double minutes)
{
	ev_timer_stop(d->loop, &d->ws_tm);
	d->ws_until = 0;
	gw_engine_workshop(d->conf.engine, on);
	if (on && minutes > 0) {
		d->ws_until = now_ns() + (uint64_t)(minutes * 60e9);
		ev_timer_set(&d->ws_tm, minutes * 60, 0);
		ev_timer_start(d->loop, &d->ws_tm);
	}
}

/* After a reload's swap: the file decides (the engine adopted the old mode). */
static void workshop_follow_file(struct gwd *d)
{
	int was = gw_engine_workshop_on(d->conf.engine);

	workshop_set(d, d->conf.workshop, 0);
	if (d->conf.workshop)
		logmsg(LOG_NOTICE,
		       "workshop mode on from %s (no expiry; a reload with "
		       "workshop: false closes it)",
		       d->path);
	else if (was)
		logmsg(LOG_NOTICE, "workshop mode closed by the reload: %s says workshop: false",
		       d->path);
}

/*
 * Swaps in the configuration the reload thread parsed and checked
 * completely.  It runs on the loop, between two batches: no frame is in
 * flight in user space, and the sockets stay open meanwhile, so the
 * kernel keeps what arrives.
 */
static void reload_apply(struct gwd *d, char *res, size_t cap)
{
	struct gw_conf nc = d->rl.nc;
	unsigned int i;
	uint64_t t1 = now_ns();

	if (d->rl.rc) {
		logmsg(LOG_ERR, "reload refused, old rules kept: %s", d->rl.err);
		snprintf(res, cap, "error: reload refused, old rules kept: %s", d->rl.err);
		return;
	}
	/* the kernel's share of the counters first, so they carry over */
	offload_fold(d);
	gw_engine_adopt(nc.engine, d->conf.engine);
	if (same_interfaces(&nc, &d->conf)) {
		struct gw_engine *old = d->conf.engine;

		d->conf = nc;
		requeue(d, old);
		/* With offload staying on, offload_install() marks the kernel's
		 * routes in the new engine and then filters; filtering here as
		 * well would take every offloaded id into user space for a
		 * moment (frames the engine then skips): one more round of
		 * filter changes while routing waits. */
		if (!nc.offload_kernel || !d->off.open)
			refilter(d);
		/* old still holds the routes the installed jobs were planned from */
		offload_reload(d);
		gw_engine_free(old);
	} else {
		struct gw_conf old = d->conf;

		/* other interfaces: their sockets are made anew, and what they
		 * receive came after every job in the kernel: no handover */
		close_all(d);
		handover_clear(&d->off);
		d->conf = nc;
		if (alloc_queues(d))
			logmsg(LOG_ERR, "reload: out of memory");
		for (i = 0; i < d->conf.nifs; i++)
			open_if(d, &d->ifs[i], 0);
		offload_reload(d);
		gw_conf_fini(&old);
	}
	workshop_follow_file(d);
	ctl_rights_resolve(d);
	snprintf(res, cap,
		 "reloaded %s: %zu route%s in %.3f ms (YAML %.3f ms, rules %.3f ms), "
		 "routing paused %.3f ms",
		 d->path, gw_engine_nroutes(d->conf.engine),
		 plural(gw_engine_nroutes(d->conf.engine)), (double)(now_ns() - d->rl.t0) / 1e6,
		 (double)d->rl.yaml_ns / 1e6, (double)d->rl.rules_ns / 1e6,
		 (double)(now_ns() - t1) / 1e6);
	logmsg(LOG_NOTICE, "%s", res);
	arm_rate(d);
}

/* Parses and compiles on the reload thread; times both parts, since
 * libyaml's share is not ours to make faster. */
static void *reload_main(void *arg)
{
	struct gwd *d = arg;
	struct yml y;
	uint64_t t0 = now_ns(), t1;

	d->rl.rc = reload_read(d, &y, d->rl.err, sizeof(d->rl.err));
	t1 = now_ns();
	if (!d->rl.rc)
		d->rl.rc = gw_conf_load_yml(&d->rl.nc, &y, d->rl.err, sizeof(d->rl.err));
	yml_fini(&y);
	/* an interface that is there but not CAN: refused, as at start */
	if (!d->rl.rc) {
		d->rl.rc = ifs_check(&d->rl.nc, d->path, 0, d->rl.err, sizeof(d->rl.err));
		if (d->rl.rc)
			gw_conf_fini(&d->rl.nc);
	}
	d->rl.plan = !d->rl.rc && d->rl.nc.offload_kernel ? offload_plan(d->rl.nc.engine) : NULL;
	d->rl.yaml_ns = t1 - t0;
	d->rl.rules_ns = now_ns() - t1;
	ev_async_send(d->loop, &d->rl.done);
	return NULL;
}

static void ctl_answer(struct ctl_conn *c, const char *text);

/* Starts a reload, or asks for another one after the one running. */
static void reload_start(struct gwd *d)
{
	sigset_t all, old;
	int e;

	if (d->rl.busy) {
		d->rl.again = 1;
		return;
	}
	d->rl.busy = 1;
	d->rl.t0 = now_ns();
	/* signals stay the loop's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&d->rl.th, NULL, reload_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		/* no thread: the loop pauses for the parse instead */
		reload_main(d);
		d->rl.th = pthread_self();
	}
}

/* The reload thread is done: swap, answer who asked, go again if asked. */
static void on_reload_done(struct ev_loop *loop, ev_async *w, int revents)
{
	struct gwd *d = w->data;
	struct ctl_conn *c;
	char res[768];

	(void)loop;
	(void)revents;
	if (!d->rl.busy)
		return;
	if (!pthread_equal(d->rl.th, pthread_self()))
		pthread_join(d->rl.th, NULL);
	d->rl.busy = 0;
	reload_apply(d, res, sizeof(res));
	while ((c = d->rl.wait_cur)) {
		d->rl.wait_cur = c->wnext;
		ctl_answer(c, res);
	}
	d->rl.wait_cur = d->rl.wait_next;
	d->rl.wait_next = NULL;
	if (d->rl.again || d->rl.wait_cur) {
		d->rl.again = 0;
		reload_start(d);
	}
}

/* At exit: a reload still parsing is waited for and dropped. */
static void reload_stop(struct gwd *d)
{
	if (!d->rl.busy)
		return;
	if (!pthread_equal(d->rl.th, pthread_self()))
		pthread_join(d->rl.th, NULL);
	if (!d->rl.rc)
		gw_conf_fini(&d->rl.nc);
	free(d->rl.plan);
	d->rl.plan = NULL;
	d->rl.busy = 0;
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct gwd *d = w->data;

	(void)revents;
	if (w->signum == SIGHUP)
		reload_start(d);
	else if (w->signum == SIGUSR1)
		print_stats(d, stderr);
	else
		ev_break(loop, EVBREAK_ALL);
}

/* ---- kernel offload ----
 * Routes can-gw computes exactly (gw_cgw.h) are installed there and taken
 * out of the engine; the rest stays in user space.  Their can-gw counters
 * are folded into the routes' own every 10 s and on every stats request:
 * handled is forwarded, can-gw's dropped (destination down or its queue
 * full) counts as destination-down, its deleted (hop limit) as loop. */

/*
 * The index in the current engine of the route named as route i of the
 * plan rt (of another engine, still valid), or -1 when it has none.
 */
static long route_now(struct gwd *d, const struct gw_cgw_route *rt, size_t i)
{
	size_t j, n = gw_engine_nroutes(d->conf.engine);
	const char *name = rt[i].r->name;

	if (i < n && !strcmp(gw_engine_route_name(d->conf.engine, i), name))
		return (long)i;
	for (j = 0; j < n; j++)
		if (!strcmp(gw_engine_route_name(d->conf.engine, j), name))
			return (long)j;
	return -1;
}

/*
 * Adds what can-gw counted for the jobs of o since the last time into the
 * current engine's counters: route for route, or by name when o's plan
 * belongs to the engine a reload replaced (its jobs about to go).
 */
static void fold(struct gwd *d, struct offload *o, int by_name)
{
	size_t i;
	int e;

	if (!d->off.open || !o->n)
		return;
	e = gw_cgw_poll(&d->off.nl, o->inst, o->n);
	if (e) {
		logmsg(LOG_WARNING, "offload: reading can-gw counters: %s", strerror(-e));
		return;
	}
	for (i = 0; i < o->n; i++) {
		long r = by_name ? route_now(d, o->rt, i) : (long)i;
		struct gw_counters *c =
			r < 0 ? NULL : gw_engine_counters(d->conf.engine, (size_t)r);
		const struct gw_cgw_ctr *t = &o->inst[i].total;
		uint64_t h = t->handled - o->seen[i].handled;
		uint64_t dr = t->dropped - o->seen[i].dropped;
		uint64_t de = t->deleted - o->seen[i].deleted;
		unsigned int ndst = o->rt[i].ndst ? o->rt[i].ndst : 1;

		o->seen[i] = *t;
		if (!c)
			continue;
		/* every destination's job sees the same frames */
		c->matched += (h + dr + de) / ndst;
		c->forwarded += h;
		c->dropped[GW_DROP_DOWN] += dr;
		c->dropped[GW_DROP_LOOP] += de;
	}
}

static void offload_fold(struct gwd *d)
{
	fold(d, &d->off, 0);
}

static void offload_free(struct gw_cgw_route *rt, struct gw_cgw_inst *inst, struct gw_cgw_ctr *seen)
{
	free(rt);
	free(inst);
	free(seen);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Forgets a handover (the routes it was for are gone or all in user space). */
static void handover_clear(struct offload *o)
{
	free(o->final);
	free(o->moving);
	o->final = NULL;
	o->moving = NULL;
	o->pending = 0;
}

/*
 * Gives the engine the offload marks: every kernel route, except those
 * still being handed over.  Returns 0 or -ENOMEM (marks as before).
 */
static int handover_marks(struct gwd *d)
{
	struct offload *o = &d->off;
	size_t i, n = gw_engine_nroutes(d->conf.engine);
	uint8_t *k;
	int e;

	if (!o->pending)
		return gw_engine_offload(d->conf.engine, o->final);
	k = malloc(n + 1);
	if (!k)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		k[i] = o->final[i] &&
		       !(o->moving[i] &&
			 (o->pending >> gw_engine_route(d->conf.engine, i)->src & 1));
	e = gw_engine_offload(d->conf.engine, k);
	free(k);
	return e;
}

/*
 * Interface g's moving routes are the kernel's from now on: the engine
 * leaves them, and g's filters drop their ids.  Not called from inside
 * gw_engine_input().
 */
static void handover(struct gwd *d, struct gif *g)
{
	struct offload *o = &d->off;

	o->pending &= ~(1u << g->idx);
	if (handover_marks(d)) {
		/* the engine keeps routing them: doubled frames, none lost */
		logmsg(LOG_WARNING, "offload: %s: out of memory handing routes to the kernel",
		       d->conf.ifname[g->idx]);
		o->pending |= 1u << g->idx;
		return;
	}
	set_filters(d, g);
	if (!o->pending)
		handover_clear(o);
}

/*
 * Was route r in user space before the jobs planned in old (of the
 * engine being replaced, still valid) went in: not offloaded, or still
 * being handed over?  Routes are matched by name, as counters are.
 */
static int was_user(const struct offload *old, const struct gw_route_spec *r, size_t i)
{
	if (i >= old->n || strcmp(old->rt[i].r->name, r->name))
		for (i = 0; i < old->n && strcmp(old->rt[i].r->name, r->name); i++)
			;
	if (i == old->n || old->rt[i].why || !old->rt[i].njobs)
		return 1;
	return old->moving && old->moving[i] && (old->pending >> old->rt[i].r->src & 1);
}

/* Lists the plain jobs of inst for the next instance (gw_cgw_save()). */
static void offload_save(struct gwd *d, const struct gw_cgw_inst *inst, size_t n)
{
	int e = gw_cgw_save(d->off.saved, inst, n);

	if (e)
		logmsg(LOG_WARNING,
		       "offload: %s: %s (should canrigd be killed, its plain "
		       "can-gw jobs would stay)",
		       d->off.saved, strerror(-e));
}

/* Takes the jobs out of the kernel, counters not folded. */
static void offload_drop(struct gwd *d)
{
	struct offload *o = &d->off;
	int e;

	e = gw_cgw_remove(&o->nl, o->inst, o->n);
	if (e)
		logmsg(LOG_WARNING, "offload: removing can-gw jobs: %s", strerror(-e));
	offload_save(d, NULL, 0);
	offload_free(o->rt, o->inst, o->seen);
	o->rt = NULL;
	o->inst = NULL;
	o->seen = NULL;
	o->n = 0;
	handover_clear(o);
}

/* Takes the jobs out of the kernel (counters folded first). */
static void offload_remove(struct gwd *d)
{
	if (!d->off.n)
		return;
	offload_fold(d);
	offload_drop(d);
}

/* Do two plans make the same can-gw jobs (uids aside)? */
static int same_jobs(const struct gw_cgw_route *a, size_t na, const struct gw_cgw_route *b,
		     size_t nb, const uint32_t *ifindex)
{
	static uint8_t ma[GW_CGW_MSG_MAX], mb[GW_CGW_MSG_MAX];
	struct gw_cgw_job ja, jb;
	size_t i, k;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++) {
		if (!a[i].why != !b[i].why || a[i].njobs != b[i].njobs)
			return 0;
		for (k = 0; !a[i].why && k < a[i].njobs; k++) {
			int la, lb;

			if (gw_cgw_route_job(&a[i], k, ifindex, &ja) ||
			    gw_cgw_route_job(&b[i], k, ifindex, &jb))
				return 0;
			la = gw_cgw_encode(ma, sizeof(ma), RTM_NEWROUTE, 0, &ja);
			lb = gw_cgw_encode(mb, sizeof(mb), RTM_NEWROUTE, 0, &jb);
			if (la < 0 || la != lb || memcmp(ma, mb, (size_t)la))
				return 0;
		}
	}
	return 1;
}

/*
 * The offload plan of engine e, one gw_cgw_route per route (it borrows
 * e's routes), or NULL without memory.  Pure: a reload runs it on its
 * thread, so that routing does not wait for it.
 */
static struct gw_cgw_route *offload_plan(const struct gw_engine *e)
{
	size_t i, n = gw_engine_nroutes(e);
	const struct gw_route_spec **routes = calloc(n + 1, sizeof(*routes));
	struct gw_cgw_route *rt = calloc(n + 1, sizeof(*rt));

	if (!routes || !rt) {
		free(routes);
		free(rt);
		return NULL;
	}
	for (i = 0; i < n; i++)
		routes[i] = gw_engine_route(e, i);
	gw_cgw_plan(gw_engine_spec(e), routes, n, rt);
	free(routes);
	return rt;
}

/*
 * Plans the current engine's offload (or takes plan, made by
 * offload_plan() for it, and owns it) and makes the kernel match it.  The
 * jobs installed before (for the engine whose routes the old plan points
 * into, still valid) stay when the new plan makes the same jobs: a reload
 * that changes nothing offloaded touches nothing in the kernel.
 * Otherwise the new jobs go in before the old ones come out, so no frame
 * goes unrouted; a route leaving the kernel may have a frame routed by
 * both.  A route entering it is handed over (see struct offload): frames
 * stamped before its jobs went in are still routed here, so none is
 * lost, and one stamped between the request and the kernel's answer may
 * be routed twice.  Routes whose interfaces are missing stay in user
 * space until they come back.  On an error every route runs in user
 * space.
 */
static void offload_install(struct gwd *d, struct gw_cgw_route *plan)
{
	struct offload *o = &d->off, old = d->off;
	const struct gw_spec *sp;
	uint32_t ifindex[GW_MAX_IFS];
	uint8_t *kernel = NULL;
	size_t i, n, nk = 0, jobs = 0;
	int e = -ENOMEM, installed = 0;

	if (!o->open) {
		free(plan);
		return;
	}
	o->rt = NULL;
	o->inst = NULL;
	o->seen = NULL;
	o->n = 0;
	o->final = NULL;
	o->moving = NULL;
	o->pending = 0;
	sp = gw_engine_spec(d->conf.engine);
	n = gw_engine_nroutes(d->conf.engine);
	/* a second name for an open device is missing here too (open_if()) */
	for (i = 0; i < sp->nifs; i++)
		ifindex[i] = d->ifs[i].dup_of ? 0 : if_nametoindex(sp->ifs[i].name);
	kernel = calloc(n + 1, 1);
	o->rt = plan ? plan : offload_plan(d->conf.engine);
	if (!kernel || !o->rt)
		goto out_fail;
	for (i = 0; i < n; i++) {
		const struct gw_route_spec *r = gw_engine_route(d->conf.engine, i);
		unsigned int k;

		if (o->rt[i].why)
			continue;
		for (k = 0; k < sp->nifs; k++)
			if ((k == r->src || (r->dst >> k & 1)) && !ifindex[k])
				o->rt[i].why = "interface missing";
	}
	if (old.n && same_jobs(old.rt, old.n, o->rt, n, ifindex)) {
		/* keep the jobs and their counters; only the plan is new */
		free(old.rt);
		o->inst = old.inst;
		o->seen = old.seen;
		/* a handover under way goes on: the same jobs, route for route */
		o->moving = old.moving;
		o->pending = old.pending;
		old.moving = NULL;
		old.n = 0;
	} else {
		o->inst = calloc(n + 1, sizeof(*o->inst));
		o->seen = calloc(n + 1, sizeof(*o->seen));
		o->moving = calloc(n + 1, 1);
		if (!o->inst || !o->seen || !o->moving)
			goto out_fail;
		/* two generations take turns: the new jobs never meet the old uids */
		o->gen ^= 1;
		gw_cgw_generation(&o->nl, o->gen);
		/* plain jobs that stay the same are taken over, not doubled */
		e = gw_cgw_install(&o->nl, o->rt, n, ifindex, o->inst, old.inst, old.n);
		if (e)
			goto out_fail;
		/* after the kernel's answer: a frame stamped later met the jobs */
		o->t_real = realtime_ns();
		installed = 1;
		offload_save(d, o->inst, n);
	}
	o->n = n;
	for (i = 0; i < n; i++) {
		const struct gw_route_spec *r = gw_engine_route(d->conf.engine, i);

		kernel[i] = !o->rt[i].why && o->rt[i].njobs;
		nk += kernel[i];
		jobs += kernel[i] ? o->rt[i].njobs : 0;
		if (installed && kernel[i] && was_user(&old, r, i)) {
			o->moving[i] = 1;
			o->pending |= 1u << r->src;
		}
		if (!kernel[i] && d->verbose)
			logmsg(LOG_INFO, "offload: route %s stays in user space: %s", r->name,
			       o->rt[i].why ? o->rt[i].why : "matches nothing");
	}
	o->final = kernel;
	kernel = NULL;
	e = handover_marks(d);
	if (e)
		goto out_fail;
	refilter(d);
	if (old.n) {
		/* what they routed since the reload's fold counts too */
		fold(d, &old, 1);
		e = gw_cgw_remove(&o->nl, old.inst, old.n);
		if (e)
			logmsg(LOG_WARNING, "offload: removing old can-gw jobs: %s", strerror(-e));
		offload_free(old.rt, old.inst, old.seen);
	}
	handover_clear(&old);
	if (!o->pending)
		handover_clear(o);
	/* a source with nothing to read must not wait for its next frame */
	for (i = 0; i < d->conf.nifs; i++)
		if ((o->pending >> i & 1) && d->ifs[i].open)
			ev_feed_event(d->loop, &d->ifs[i].rd, EV_READ);
	logmsg(LOG_NOTICE, "offload: %zu of %zu routes in the kernel's can-gw (%zu jobs)", nk, n,
	       jobs);
	return;

out_fail:
	logmsg(LOG_WARNING, "offload: %s; every route runs in user space", strerror(-e));
	if (o->n)
		offload_remove(d);
	offload_free(o->rt, o->inst, o->seen);
	o->rt = NULL;
	o->inst = NULL;
	o->seen = NULL;
	o->n = 0;
	handover_clear(o);
	if (old.n) {
		gw_cgw_remove(&o->nl, old.inst, old.n);
		offload_free(old.rt, old.inst, old.seen);
	}
	handover_clear(&old);
	offload_save(d, NULL, 0);
	gw_engine_offload(d->conf.engine, NULL);
	refilter(d);
	free(kernel);
}

static void on_offload_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gwd *d = w->data;
	size_t i;

	(void)loop;
	(void)revents;
	offload_fold(d);
	/* the kernel drops a job whose interface goes away: put it back */
	for (i = 0; i < d->off.n; i++)
		if (d->off.inst[i].missing) {
			logmsg(LOG_NOTICE, "offload: can-gw lost jobs of route %s; reinstalling",
			       gw_engine_route_name(d->conf.engine, i));
			offload_remove(d);
			offload_install(d, NULL);
			break;
		}
}

/* Starts offloading (plan as for offload_install(), owned). */
static void offload_start(struct gwd *d, struct gw_cgw_route *plan)
{
	struct offload *o = &d->off;
	int e;

	if (!d->conf.offload_kernel) {
		free(plan);
		return;
	}
	e = gw_cgw_open(&o->nl, 0);
	if (e) {
		logmsg(LOG_WARNING, "offload: netlink: %s; every route runs in user space",
		       strerror(-e));
		free(plan);
		return;
	}
	o->open = 1;
	/* jobs a killed instance left behind would route twice: those with
	 * our uid, and the plain ones it listed next to its control socket */
	snprintf(o->saved, sizeof(o->saved), "%s.jobs", d->conf.control);
	e = gw_cgw_flush(&o->nl, -1);
	if (e > 0)
		logmsg(LOG_NOTICE, "offload: removed %d can-gw jobs left from before", e);
	e = gw_cgw_flush_saved(&o->nl, o->saved);
	if (e > 0)
		logmsg(LOG_NOTICE, "offload: removed %d plain can-gw jobs listed in %s", e,
		       o->saved);
	else if (e < 0)
		logmsg(LOG_WARNING, "offload: %s: %s", o->saved, strerror(-e));
	offload_install(d, plan);
	ev_timer_init(&o->poll_tm, on_offload_poll, 10, 10);
	o->poll_tm.data = d;
	ev_timer_start(d->loop, &o->poll_tm);
}

static void offload_stop(struct gwd *d)
{
	if (!d->off.open)
		return;
	ev_timer_stop(d->loop, &d->off.poll_tm);
	offload_remove(d);
	gw_cgw_close(&d->off.nl);
	d->off.open = 0;
}

/*
 * After a reload's swap: offload: kernel turned on, turned off, or kept
 * (then the jobs follow the new plan).  Turned off, the new engine
 * already routes everything and canrigd's filters take it all, so the
 * jobs come out last: a frame may be routed twice, none goes unrouted.
 * The jobs' counters were folded before the swap.
 */
static void offload_reload(struct gwd *d)
{
	struct offload *o = &d->off;
	struct gw_cgw_route *plan = d->rl.plan;

	d->rl.plan = NULL;
	if (d->conf.offload_kernel && !o->open) {
		offload_start(d, plan);
		return;
	}
	if (d->conf.offload_kernel || !o->open) {
		offload_install(d, plan);
		return;
	}
	free(plan);
	ev_timer_stop(d->loop, &o->poll_tm);
	offload_drop(d);
	gw_cgw_close(&o->nl);
	o->open = 0;
	logmsg(LOG_NOTICE, "offload: off; every route runs in user space");
}

/* ---- the control socket ----
 * One command line in, the answer out, then the connection closes.  Two
 * gates: the socket file (0660, owned by the user canrigd runs as, group
 * options.control_group or that user's group) decides who may connect;
 * the peer's credentials (SO_PEERCRED, SO_PEERGROUPS) decide what it may
 * do.  Reading (status, stats, routes): root, canrigd's own user,
 * control_users and members of the socket's group.  Changing (workshop,
 * reload): root, canrigd's own user and control_users.  Every change, and
 * every refusal, is logged with the caller's uid and pid. */

enum { CTL_READ = 1, CTL_WRITE = 2 };

static void put_counters_json(FILE *f, const struct gw_counters *c)
{
	size_t k;

	fprintf(f, "\"matched\":%llu,\"forwarded\":%llu,\"dropped\":{",
		(unsigned long long)c->matched, (unsigned long long)c->forwarded);
	for (k = 0; k < GW_DROP_N; k++)
		fprintf(f, "%s\"%s\":%llu", k ? "," : "", gw_drop_name((enum gw_drop)k),
			(unsigned long long)c->dropped[k]);
	fputc('}', f);
}

static void stats_json(struct gwd *d, FILE *f)
{
	size_t i, n = gw_engine_nroutes(d->conf.engine);

	fprintf(f, "{\"interfaces\":[");
	for (i = 0; i < d->conf.nifs; i++)
		fprintf(f,
			"%s{\"name\":\"%s\",\"up\":%s,\"held\":%s,\"rx\":%llu,\"tx\":%llu,"
			"\"queued\":%u,\"lost_down\":%llu,\"rx_overflow\":%llu,\"busoff\":%llu,"
			"\"same_device\":%llu,\"err_local\":%llu}",
			i ? "," : "", d->conf.ifname[i], d->ifs[i].open ? "true" : "false",
			d->ifs[i].held ? "true" : "false", (unsigned long long)d->ifs[i].rx,
			(unsigned long long)d->ifs[i].tx, d->ifs[i].n,
			(unsigned long long)d->ifs[i].lost_down,
			(unsigned long long)rx_overflow(&d->ifs[i]),
			(unsigned long long)d->ifs[i].busoff,
			(unsigned long long)d->ifs[i].same_dev,
			(unsigned long long)d->ifs[i].err_local);
	fprintf(f, "],\"routes\":[");
	for (i = 0; i < n; i++) {
		fprintf(f, "%s{\"name\":\"%s\",", i ? "," : "",
			gw_engine_route_name(d->conf.engine, i));
		put_counters_json(f, gw_engine_counters(d->conf.engine, i));
		fputc('}', f);
	}
	fprintf(f, "]}\n");
}

static void routes_text(struct gwd *d, FILE *f)
{
	const struct gw_spec *sp = gw_engine_spec(d->conf.engine);
	size_t i, k, n = gw_engine_nroutes(d->conf.engine);

	for (i = 0; i < n; i++) {
		const struct gw_route_spec *r = gw_engine_route(d->conf.engine, i);

		fprintf(f, "%s: %s ->", r->name, sp->ifs[r->src].name);
		for (k = 0; k < sp->nifs; k++)
			if (r->dst >> k & 1)
				fprintf(f, " %s", sp->ifs[k].name);
		fprintf(f, ", %zu id selections%s, %zu actions%s, ", r->nsel,
			r->nsel ? "" : " (every id)", r->nact, r->fw ? ", firewall" : "");
		/* a route being handed over is the kernel's already */
		if (gw_engine_route_kernel(d->conf.engine, i) || (d->off.final && d->off.final[i]))
			fprintf(f, "kernel can-gw (%zu jobs)\n", d->off.rt[i].njobs);
		else if (d->off.n > i && d->off.rt[i].why)
			fprintf(f, "user space (not offloaded: %s)\n", d->off.rt[i].why);
		else
			fprintf(f, "user space\n");
	}
}

static void status_text(struct gwd *d, FILE *f)
{
	size_t i, up = 0;

	for (i = 0; i < d->conf.nifs; i++)
		up += d->ifs[i].open;
	fprintf(f,
		"canrigd %s: running %.0f s, config %s, %zu interface%s (%zu up), "
		"%zu route%s, workshop %s",
		CANRIG_VERSION, (double)(now_ns() - d->started) / 1e9, d->path, d->conf.nifs,
		plural(d->conf.nifs), up, gw_engine_nroutes(d->conf.engine),
		plural(gw_engine_nroutes(d->conf.engine)),
		gw_engine_workshop_on(d->conf.engine) ? "on" : "off");
	if (gw_engine_workshop_on(d->conf.engine) && d->ws_until) {
		uint64_t t = now_ns();

		fprintf(f, " (%.1f min left)",
			d->ws_until > t ? (double)(d->ws_until - t) / 60e9 : 0);
	} else if (gw_engine_workshop_on(d->conf.engine)) {
		fprintf(f, " (from the file, no expiry)");
	}
	fputc('\n', f);
	for (i = 0; i < d->conf.nifs; i++)
		fprintf(f, "  %s (%s): %s\n", d->conf.ifname[i],
			gw_engine_spec(d->conf.engine)->ifs[i].domain, if_state(&d->ifs[i]));
}

static void command(struct gwd *d, const char *line, FILE *f, const struct ucred *who)
{
	if (!strcmp(line, "status")) {
		status_text(d, f);
	} else if (!strcmp(line, "stats")) {
		offload_fold(d);
		print_stats(d, f);
	} else if (!strcmp(line, "stats --json")) {
		offload_fold(d);
		stats_json(d, f);
	} else if (!strcmp(line, "routes")) {
		routes_text(d, f);
	} else if (!strcmp(line, "workshop off")) {
		workshop_set(d, 0, 0);
		logmsg(LOG_NOTICE, "workshop mode off by uid %u pid %d", who->uid, who->pid);
		fprintf(f, "workshop mode off\n");
	} else if (!strncmp(line, "workshop on", 11) && (!line[11] || line[11] == ' ')) {
		double m = WS_DEFAULT_MIN;
		char *end;

		/* minutes, fractions too (a test waits seconds, not minutes) */
		if (line[11]) {
			m = strtod(line + 12, &end);
			if (end == line + 12 || *end || !(m > 0 && m <= WS_MAX_MIN)) {
				fprintf(f, "error: workshop on [MINUTES]: 0 < MINUTES <= %d\n",
					WS_MAX_MIN);
				return;
			}
		}
		workshop_set(d, 1, m);
		logmsg(LOG_NOTICE, "workshop mode on for %g min by uid %u pid %d", m, who->uid,
		       who->pid);
		fprintf(f, "workshop mode on for %g min\n", m);
	} else {
		fprintf(f,
			"error: unknown command '%.64s' (status, stats [--json], routes, "
			"reload, workshop on [MINUTES]|off)\n",
			line);
	}
}

/* Changes something: only for those allowed to (see above). */
static int ctl_is_write(const char *line)
{
	return !strcmp(line, "reload") || !strncmp(line, "workshop", 8);
}

static unsigned int ctl_rights(struct gwd *d, const struct ctl_conn *c)
{
	size_t i;

	if (c->who.uid == 0 || c->who.uid == geteuid())
		return CTL_READ | CTL_WRITE;
	for (i = 0; i < d->nctl_uids; i++)
		if (c->who.uid == d->ctl_uids[i])
			return CTL_READ | CTL_WRITE;
	return c->in_group ? CTL_READ : 0;
}

/*
 * The names of options.control_group and control_users as ids.  A name
 * that does not resolve gives no rights (logged); the group defaults to
 * the group canrigd runs as.
 */
static void ctl_rights_resolve(struct gwd *d)
{
	size_t i;

	d->ctl_gid = getegid();
	if (d->conf.control_group[0]) {
		struct group *gr = getgrnam(d->conf.control_group);

		if (gr)
			d->ctl_gid = gr->gr_gid;
		else
			logmsg(LOG_WARNING, "control_group '%s' does not exist",
			       d->conf.control_group);
	}
	d->nctl_uids = 0;
	for (i = 0; i < d->conf.ncontrol_users; i++) {
		struct passwd *pw = getpwnam(d->conf.control_users[i]);

		if (pw)
			d->ctl_uids[d->nctl_uids++] = pw->pw_uid;
		else
			logmsg(LOG_WARNING, "control_users: '%s' does not exist",
			       d->conf.control_users[i]);
	}
}

/* Is the peer on fd in group g: its primary group or a supplementary one? */
static int peer_in_group(int fd, gid_t primary, gid_t g)
{
	gid_t small[64], *v = small;
	socklen_t len = sizeof(small);
	int in = primary == g;
	size_t i;

	if (in)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, v, &len)) {
		if (errno != ERANGE || !(v = malloc(len)))
			return 0;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, v, &len))
			len = 0;
	}
	for (i = 0; i < len / sizeof(gid_t); i++)
		in |= v[i] == g;
	if (v != small)
		free(v);
	return in;
}

static void ctl_close(struct ctl_conn *c)
{
	struct gwd *d = c->d;
	struct ctl_conn **p;

	for (p = &d->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	ev_io_stop(d->loop, &c->io);
	ev_timer_stop(d->loop, &c->tm);
	close(c->io.fd);
	free(c->out);
	free(c);
	d->nconns--;
	/* room again (a connection, and an fd): the paused listener goes on */
	if (d->ctl_fd >= 0 && !ev_is_active(&d->ctl)) {
		ev_timer_stop(d->loop, &d->ctl_resume);
		ev_io_start(d->loop, &d->ctl);
	}
}

/* Writes what it can of the answer; the rest when the socket takes it. */
static void ctl_write(struct ctl_conn *c)
{
	ssize_t n;

	while (c->off < c->nout) {
		n = write(c->io.fd, c->out + c->off, c->nout - c->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		c->off += (size_t)n;
	}
	ctl_close(c);
}

static void ctl_send(struct ctl_conn *c)
{
	struct gwd *d = c->d;

	ev_io_stop(d->loop, &c->io);
	ev_io_set(&c->io, c->io.fd, EV_WRITE);
	ev_io_start(d->loop, &c->io);
	ev_timer_stop(d->loop, &c->tm);
	ev_timer_set(&c->tm, 5, 0);
	ev_timer_start(d->loop, &c->tm);
	ctl_write(c);
}

static void ctl_answer(struct ctl_conn *c, const char *text)
{
	free(c->out);
	c->nout = strlen(text) + 1;
	c->out = malloc(c->nout);
	if (!c->out) {
		ctl_close(c);
		return;
	}
	memcpy(c->out, text, c->nout);
	c->out[c->nout - 1] = '\n';
	c->off = 0;
	ctl_send(c);
}

/* A whole command line arrived: run it; a reload answers when it is done. */
static void ctl_line(struct ctl_conn *c)
{
	struct gwd *d = c->d;
	FILE *f;

	c->in[strcspn(c->in, "\r\n")] = 0;
	ev_io_stop(d->loop, &c->io);
	ev_timer_stop(d->loop, &c->tm);
	if (!(ctl_rights(d, c) & (ctl_is_write(c->in) ? CTL_WRITE : CTL_READ))) {
		logmsg(LOG_WARNING, "control: '%.32s' refused to uid %u pid %d: permission denied",
		       c->in, c->who.uid, c->who.pid);
		ctl_answer(c, "error: permission denied");
		return;
	}
	if (!strcmp(c->in, "reload")) {
		struct ctl_conn **q = d->rl.busy ? &d->rl.wait_next : &d->rl.wait_cur;

		logmsg(LOG_NOTICE, "reload asked by uid %u pid %d", c->who.uid, c->who.pid);
		while (*q)
			q = &(*q)->wnext;
		*q = c;
		c->wnext = NULL;
		reload_start(d);
		return;
	}
	f = open_memstream(&c->out, &c->nout);
	if (!f) {
		ctl_close(c);
		return;
	}
	command(d, c->in, f, &c->who);
	if (fclose(f)) {
		ctl_close(c);
		return;
	}
	c->off = 0;
	ctl_send(c);
}

static void on_ctl_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn *c = w->data;
	ssize_t n;

	(void)loop;
	if (revents & EV_WRITE) {
		ctl_write(c);
		return;
	}
	n = read(w->fd, c->in + c->nin, sizeof(c->in) - 1 - c->nin);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		ctl_close(c);
		return;
	}
	c->nin += (size_t)n;
	c->in[c->nin] = 0;
	if (memchr(c->in, '\n', c->nin)) {
		ctl_line(c);
	} else if (c->nin == sizeof(c->in) - 1) {
		ev_io_stop(c->d->loop, &c->io);
		ctl_answer(c, "error: command line too long");
	}
}

static void on_ctl_tm(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	ctl_close(w->data);
}

static void on_ctl_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gwd *d = w->data;

	(void)revents;
	if (d->ctl_fd >= 0 && d->nconns < CTL_MAX_CONNS)
		ev_io_start(loop, &d->ctl);
}

/*
 * New control connections.  Nothing here waits for a client: a client
 * that is slow to ask or to read its answer only holds its own
 * connection, for 5 s at most.  At CTL_MAX_CONNS, or when accept() finds
 * no fd (EMFILE, ENFILE) or memory, the listener pauses: its watcher is
 * level-triggered and would fire forever on the waiting connection.  It
 * goes on when a connection closes, or after a second.
 */
static void on_ctl(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gwd *d = w->data;
	socklen_t wl;
	struct ctl_conn *c;
	int fd, k;

	(void)revents;
	for (k = 0; k < 16; k++) {
		if (d->nconns >= CTL_MAX_CONNS) {
			ev_io_stop(loop, &d->ctl);
			return;
		}
		fd = accept4(d->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				return;
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: try again later (said
			 * once until an accept works again) */
			if (!d->ctl_starved)
				logmsg(LOG_WARNING, "control: accept: %s; pausing the listener",
				       strerror(errno));
			d->ctl_starved = 1;
			ev_io_stop(loop, &d->ctl);
			ev_timer_stop(loop, &d->ctl_resume);
			ev_timer_set(&d->ctl_resume, 1, 0);
			ev_timer_start(loop, &d->ctl_resume);
			return;
		}
		d->ctl_starved = 0;
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->d = d;
		/* no credentials, no rights: never take a zeroed uid for root */
		wl = sizeof(c->who);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->who, &wl) || wl != sizeof(c->who)) {
			close(fd);
			free(c);
			continue;
		}
		c->in_group = peer_in_group(fd, c->who.gid, d->ctl_gid);
		d->nconns++;
		ev_io_init(&c->io, on_ctl_io, fd, EV_READ);
		c->io.data = c;
		ev_timer_init(&c->tm, on_ctl_tm, 5, 0);
		c->tm.data = c;
		ev_io_start(loop, &c->io);
		ev_timer_start(loop, &c->tm);
		c->next = d->conns;
		d->conns = c;
	}
}

/*
 * The control socket, owned by uid:gid (-1: as created).  Its directory
 * was checked and the instance lock taken (control_prepare()), so what
 * is at the path now was left by a previous run that died.  Made before
 * daemon(), so one that cannot be made stops the start where whoever
 * started canrigd sees it.  Returns 0 (watch_control() serves it once
 * the loop exists) or -errno.
 */
static int open_control(struct gwd *d, uid_t uid, gid_t gid)
{
	struct sockaddr_un a;
	struct stat st;
	mode_t old;
	int fd;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (strlen(d->conf.control) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, d->conf.control, strlen(d->conf.control) + 1);
	/* a socket left by a previous run that died is replaced; nothing else */
	if (!lstat(a.sun_path, &st) && !S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(a.sun_path);
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8)) {
		int e = -errno;

		umask(old);
		close(fd);
		return e;
	}
	umask(old);
	/* the user canrigd becomes owns it; operators get its group (not
	 * asked for when it is so already: the unit's filter refuses chown) */
	if (!stat(a.sun_path, &st) &&
	    ((uid != (uid_t)-1 && st.st_uid != uid) || (gid != (gid_t)-1 && st.st_gid != gid)) &&
	    chown(a.sun_path, uid, gid))
		logmsg(LOG_WARNING, "chown %s: %s", a.sun_path, strerror(errno));
	d->ctl_fd = fd;
	snprintf(d->ctl_path, sizeof(d->ctl_path), "%s", d->conf.control);
	return 0;
}

/* Serves the socket open_control() made, on d->loop. */
static void watch_control(struct gwd *d)
{
	ev_io_init(&d->ctl, on_ctl, d->ctl_fd, EV_READ);
	d->ctl.data = d;
	ev_io_start(d->loop, &d->ctl);
	ev_timer_init(&d->ctl_resume, on_ctl_resume, 1, 0);
	d->ctl_resume.data = d;
}

static void close_control(struct gwd *d)
{
	while (d->conns)
		ctl_close(d->conns);
	d->rl.wait_cur = d->rl.wait_next = NULL;
	if (d->ctl_fd < 0)
		return;
	/* a start that failed after open_control() has no loop yet */
	if (d->loop) {
		ev_io_stop(d->loop, &d->ctl);
		ev_timer_stop(d->loop, &d->ctl_resume);
	}
	close(d->ctl_fd);
	/* the directory is writable by the user canrigd runs as (see
	 * control_prepare()), so this works after the privileges are gone */
	if (unlink(d->ctl_path))
		logmsg(LOG_WARNING, "%s: %s", d->ctl_path, strerror(errno));
	d->ctl_fd = -1;
}

/* systemd's readiness protocol, without libsystemd. */
static void sd_notify_ready(void)
{
	const char *p = getenv("NOTIFY_SOCKET");
	struct sockaddr_un a;
	socklen_t len;
	int fd;

	if (!p || (p[0] != '/' && p[0] != '@') || strlen(p) >= sizeof(a.sun_path))
		return;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	strcpy(a.sun_path, p);
	if (p[0] == '@')
		a.sun_path[0] = 0;
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(p));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&a, len);
	close(fd);
}

/* ---- privileges ----
 * Started as root, canrigd opens its sockets and then becomes
 * options.user; without user:, the user "canrigd" if it exists, else
 * "nobody".  It keeps CAP_NET_ADMIN alone, and only when offload is on
 * (can-gw checks it on every change, and offloaded routes must still
 * come out at reload and exit).  Whatever it runs as: no new privileges
 * through exec, an empty bounding set and no ambient capabilities. */

/* Does this process have cap in its permitted set? */
static int have_cap(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];

	memset(c, 0, sizeof(c));
	if (syscall(SYS_capget, &h, c))
		return 0;
	return !!(c[CAP_TO_INDEX(cap)].permitted & CAP_TO_MASK(cap));
}

/*
 * Exactly CAP_NET_ADMIN (net_admin) or nothing, effective and permitted.
 * Already so (the service manager gave just that), capset() is not
 * called: the shipped unit's system call filter refuses it.
 */
static int set_caps(int net_admin)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3], now[_LINUX_CAPABILITY_U32S_3];
	int i, same = 1;

	memset(c, 0, sizeof(c));
	if (net_admin) {
		c[CAP_TO_INDEX(CAP_NET_ADMIN)].effective = CAP_TO_MASK(CAP_NET_ADMIN);
		c[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted = CAP_TO_MASK(CAP_NET_ADMIN);
	}
	memset(now, 0, sizeof(now));
	if (syscall(SYS_capget, &h, now))
		same = 0;
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		same &= now[i].effective == c[i].effective && now[i].permitted == c[i].permitted;
	if (same)
		return 0;
	h.version = _LINUX_CAPABILITY_VERSION_3;
	h.pid = 0;
	return syscall(SYS_capset, &h, c) ? -errno : 0;
}

/*
 * Becomes pw (NULL: stays who it is) keeping CAP_NET_ADMIN if net_admin
 * (and it has it).  Returns 0, or -1 logged: the caller stops, since
 * routing untrusted frames with privileges it meant to drop is worse than
 * not routing.
 */
static int drop_privileges(const struct passwd *pw, int net_admin)
{
	int c;

	net_admin = net_admin && have_cap(CAP_NET_ADMIN);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		logmsg(LOG_ERR, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	/* nothing for an exec either (EINVAL: a kernel without ambient caps) */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		logmsg(LOG_ERR, "clearing ambient capabilities: %s", strerror(errno));
		return -1;
	}
	/* the bounding set needs CAP_SETPCAP, so before the user switch;
	 * without it (started unprivileged) the service manager's is kept */
	if (have_cap(CAP_SETPCAP))
		for (c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0)) {
				logmsg(LOG_ERR, "bounding set: %s", strerror(errno));
				return -1;
			}
	if (pw) {
		if (net_admin && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) {
			logmsg(LOG_ERR, "keepcaps: %s", strerror(errno));
			return -1;
		}
		if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
			logmsg(LOG_ERR, "cannot become '%s': %s", pw->pw_name, strerror(errno));
			return -1;
		}
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)) {
			logmsg(LOG_ERR, "keepcaps: %s", strerror(errno));
			return -1;
		}
		/* for good: there is no way back */
		if (pw->pw_uid && (!setuid(0) || !seteuid(0))) {
			logmsg(LOG_ERR, "uid 0 still reachable after the switch to '%s'",
			       pw->pw_name);
			return -1;
		}
	}
	if (set_caps(net_admin)) {
		logmsg(LOG_ERR, "capset: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Could uid (in group gid) create and remove entries in the directory st? */
static int dir_writable_by(const struct stat *st, uid_t uid, gid_t gid)
{
	if (uid == 0)
		return 1;
	if (st->st_uid == uid)
		return (st->st_mode & S_IWUSR) && (st->st_mode & S_IXUSR);
	if (st->st_gid == gid)
		return (st->st_mode & S_IWGRP) && (st->st_mode & S_IXGRP);
	return (st->st_mode & S_IWOTH) && (st->st_mode & S_IXOTH);
}

/* Can uid (in group gid) reach dir: search permission on every ancestor? */
static int dir_reachable_by(const char *dir, uid_t uid, gid_t gid)
{
	char p[GW_PATH_MAX];
	struct stat st;
	size_t i, n = strlen(dir);

	if (uid == 0 || n >= sizeof(p))
		return uid == 0;
	for (i = 1; i <= n; i++) {
		if (i < n && dir[i] != '/')
			continue;
		memcpy(p, dir, i);
		p[i] = 0;
		if (stat(p, &st))
			return 0;
		if (st.st_uid == uid   ? !(st.st_mode & S_IXUSR)
		    : st.st_gid == gid ? !(st.st_mode & S_IXGRP)
				       : !(st.st_mode & S_IXOTH))
			return 0;
	}
	return 1;
}

/*
 * Before anything touches the control socket's path or can-gw: its
 * directory, and the instance lock.  The directory is made if missing,
 * owned by uid:gid (the user canrigd becomes and its group; -1: as it
 * is) with the operators' group sock_gid, mode 0750.  It is refused when anyone but root and that
 * user could change what is in it: owned by another user, writable by everyone, or writable by a
 * group other than root's and gid.  *dir_ok says whether uid can reach it and create and remove
 * entries there (the socket at exit, offload's CONTROL.jobs).  Then CONTROL.lock is locked: a
 * second canrigd on the same socket stops here, before it could replace the first one's socket or
 * flush its can-gw jobs.  Returns 0, or 1 (printed on stderr).
 */
static int control_prepare(struct gwd *d, uid_t uid, gid_t gid, gid_t sock_gid, int *dir_ok)
{
	char dir[GW_PATH_MAX], *sl, pid[32];
	struct stat st;
	ssize_t n;

	snprintf(dir, sizeof(dir), "%s", d->conf.control);
	sl = strrchr(dir, '/');
	if (sl == dir)
		sl[1] = 0;
	else if (sl)
		*sl = 0;
	if (mkdir(dir, 0750) == 0) {
		/* made here: for the user canrigd becomes, and its operators */
		if ((uid != (uid_t)-1 || sock_gid != (gid_t)-1) && chown(dir, uid, sock_gid))
			fprintf(stderr, "canrigd: chown %s: %s\n", dir, strerror(errno));
		chmod(dir, 0750);
	} else if (errno != EEXIST) {
		fprintf(stderr, "canrigd: control directory %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "canrigd: control directory %s: %s\n", dir,
			errno ? strerror(errno) : "not a directory");
		return 1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid() && st.st_uid != uid) {
		fprintf(stderr,
			"canrigd: control directory %s: owned by uid %u, neither root "
			"nor canrigd's user: refused\n",
			dir, (unsigned int)st.st_uid);
		return 1;
	}
	if ((st.st_mode & S_IWOTH) ||
	    ((st.st_mode & S_IWGRP) && st.st_gid != 0 && st.st_gid != gid)) {
		fprintf(stderr,
			"canrigd: control directory %s: writable by %s: refused (others "
			"could replace the socket or the offload job list)\n",
			dir, st.st_mode & S_IWOTH ? "everyone" : "group");
		return 1;
	}
	if (uid == (uid_t)-1)
		uid = geteuid();
	if (gid == (gid_t)-1)
		gid = getegid();
	*dir_ok = dir_writable_by(&st, uid, gid) && dir_reachable_by(dir, uid, gid);
	snprintf(d->lock_path, sizeof(d->lock_path), "%s.lock", d->conf.control);
	d->lock_fd = open(d->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (d->lock_fd < 0 || fstat(d->lock_fd, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "canrigd: %s: %s\n", d->lock_path,
			d->lock_fd < 0 ? strerror(errno) : "not a regular file");
		return 1;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK) {
			fprintf(stderr, "canrigd: %s: %s\n", d->lock_path, strerror(errno));
			return 1;
		}
		n = pread(d->lock_fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		fprintf(stderr, "canrigd: already running as pid %s (lock %s)\n",
			pid[0] ? pid : "?", d->lock_path);
		return 1;
	}
	return 0;
}

/* The lock names the pid that holds it (after daemon(): the one that stays). */
static void lock_write_pid(struct gwd *d)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%ld\n", (long)getpid());

	if (ftruncate(d->lock_fd, 0) || pwrite(d->lock_fd, b, (size_t)n, 0) != n)
		logmsg(LOG_WARNING, "%s: %s", d->lock_path, strerror(errno));
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: canrigd [-f] [-n] [-v] -c FILE.yaml\n"
		   "       canrigd -h | --help | -V | --version\n"
		   "\n"
		   "CAN / CAN FD gateway: routes, filters and rewrites frames between\n"
		   "interfaces following FILE.yaml (see docs/gateway.md, canrigd(8)).\n"
		   "\n"
		   "  -c FILE        configuration (a relative path stays relative to the\n"
		   "                 directory canrigd started in, for reloads too)\n"
		   "  -n             check the configuration and exit; warns about\n"
		   "                 interfaces that do not exist (yet)\n"
		   "  -f             stay in the foreground, log to stderr (else syslog)\n"
		   "  -v             print the counters when stopping, and why a route\n"
		   "                 stays out of the kernel (offload: kernel)\n"
		   "  -h, --help     this help\n"
		   "  -V, --version  print the version\n"
		   "\n"
		   "Signals: HUP reloads the file (an invalid file is refused and the old\n"
		   "rules keep running), USR1 prints the counters, INT/TERM stop.\n"
		   "Control: canrig gw status|stats [--json]|routes|reload|\n"
		   "workshop on [MINUTES]|off through the control socket (options: control:,\n"
		   "control_group:, control_users:); one canrigd per socket (CONTROL.lock).\n"
		   "A control socket that cannot be made, or an interface that is not CAN,\n"
		   "stops the start.\n"
		   "Started as root it runs as options.user (default: canrigd, else nobody)\n"
		   "with no capabilities but CAP_NET_ADMIN for offload: kernel.\n"
		   "Exit status: 0 ok, 1 runtime error, 2 bad usage or configuration.\n");
}

/* A usage error: one line naming it, one hint; returns 2. */
static int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("canrigd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'canrigd --help'.\n", stderr);
	va_end(ap);
	return 2;
}

/*
 * Whom canrigd becomes once its sockets are open (NULL: nobody else).
 * Not started as root: itself.  As root: options.user ("root" stays uid
 * 0, capabilities dropped all the same); without user:, "canrigd" if it
 * exists, else "nobody" (*dflt set).  Returns 0, or 2 (printed).
 */
static int whom(struct gwd *d, struct passwd **pw, int *dflt)
{
	*pw = NULL;
	*dflt = 0;
	if (geteuid() != 0)
		return 0;
	if (!strcmp(d->conf.user, "root"))
		return 0;
	if (d->conf.user[0]) {
		*pw = getpwnam(d->conf.user);
		if (!*pw) {
			fprintf(stderr, "canrigd: user '%s' does not exist\n", d->conf.user);
			return 2;
		}
		return 0;
	}
	*dflt = 1;
	*pw = getpwnam("canrigd");
	if (!*pw)
		*pw = getpwnam("nobody");
	return 0;
}

int main(int argc, char **argv)
{
	static struct gwd d;
	static const int sigs[5] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, 0};
	static const struct option lopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct passwd *pw, pwc;
	char err[512], pw_name[GW_NAME_MAX];
	int opt, check = 0, i, dflt, dir_ok = 0, stay0 = 0, e;
	unsigned int k, up = 0;
	gid_t sock_gid;

	signal(SIGPIPE, SIG_IGN);
	opterr = 0; /* our own one-line messages */
	while ((opt = getopt_long(argc, argv, ":c:fnvVh", lopts, NULL)) != -1) {
		const char *a = argv[optind - 1];

		switch (opt) {
		case 'c':
			d.path = optarg;
			break;
		case 'f':
			d.foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			d.verbose = 1;
			break;
		case 'V':
			printf("canrigd %s\n", CANRIG_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_err("option -%c needs an argument", optopt);
		default:
			/* a long option is named as typed, without "=value" */
			if (!optopt)
				return usage_err("unknown option %.*s", (int)strcspn(a, "="), a);
			if (optopt == 'h' || optopt == 'V')
				return usage_err("option %.*s takes no argument",
						 (int)strcspn(a, "="), a);
			return usage_err("unknown option -%c", optopt);
		}
	}
	if (optind != argc)
		return usage_err("unexpected argument '%s'", argv[optind]);
	if (!d.path)
		return usage_err("no configuration: -c FILE.yaml is needed");
	d.start_uid = geteuid();
	d.ctl_fd = d.lock_fd = -1;
	e = config_file_ok(d.path, d.start_uid, err, sizeof(err));
	if (!e)
		e = gw_conf_load_file(&d.conf, d.path, err, sizeof(err));
	if (!e)
		e = ifs_check(&d.conf, d.path, check, err, sizeof(err));
	if (e) {
		fprintf(stderr, "canrigd: %s\n", err);
		gw_conf_fini(&d.conf);
		/* as in canrig: a file that cannot be read is 1, a wrong one 2 */
		return e == -ENOENT || e == -EISDIR || e == -EACCES || e == -EIO ? 1 : 2;
	}
	if (check) {
		printf("%s: ok, %zu interface%s, %zu route%s\n", d.path, d.conf.nifs,
		       plural(d.conf.nifs), gw_engine_nroutes(d.conf.engine),
		       plural(gw_engine_nroutes(d.conf.engine)));
		gw_conf_fini(&d.conf);
		return 0;
	}
	/* reloads run after daemon()'s chdir("/"): a relative -c is read
	 * from here all the same (a directory fd, not an absolute path,
	 * which would need every directory above to be searchable by the
	 * user canrigd becomes) */
	d.dirfd = AT_FDCWD;
	if (d.path[0] != '/') {
		d.dirfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (d.dirfd < 0) {
			fprintf(stderr, "canrigd: the current directory (for %s): %s\n", d.path,
				strerror(errno));
			gw_conf_fini(&d.conf);
			return 1;
		}
	}
	i = whom(&d, &pw, &dflt);
	if (i)
		return i;
	if (pw) {
		/* getpwnam()'s buffer is not ours to keep */
		pwc = *pw;
		snprintf(pw_name, sizeof(pw_name), "%s", pw->pw_name);
		pwc.pw_name = pw_name;
		pw = &pwc;
	}
	/* the socket's group: its operators' */
	sock_gid = pw ? pw->pw_gid : (gid_t)-1;
	if (d.conf.control_group[0]) {
		struct group *gr = getgrnam(d.conf.control_group);

		if (!gr) {
			fprintf(stderr, "canrigd: control_group '%s' does not exist\n",
				d.conf.control_group);
			return 2;
		}
		sock_gid = gr->gr_gid;
	}
	/* before anything touches the socket's path or can-gw */
	if (control_prepare(&d, pw ? pw->pw_uid : (uid_t)-1, pw ? pw->pw_gid : (gid_t)-1, sock_gid,
			    &dir_ok))
		return 1;
	/* whom the socket belongs to: settled before it is made (said once
	 * canrigd runs, below) */
	if (pw && !dir_ok && dflt) {
		/* as that user it could neither remove its socket at exit nor
		 * list offload's jobs: uid 0 then, but without capabilities */
		stay0 = 1;
		pw = NULL;
		if (!d.conf.control_group[0])
			sock_gid = (gid_t)-1; /* root's, as the rights check assumes */
	}
	/* a canrigd nobody can reach is not started: routing on without
	 * control would leave every canrig gw failing, and the cause only
	 * in a log */
	i = open_control(&d, pw ? pw->pw_uid : (uid_t)-1, sock_gid);
	if (i) {
		fprintf(stderr,
			"canrigd: cannot create the control socket %s: %s; set "
			"options: control: to a path in a writable local directory\n",
			d.conf.control, strerror(-i));
		return 1;
	}
	if (!d.foreground) {
		if (daemon(0, 0)) {
			fprintf(stderr, "canrigd: cannot daemonize: %s\n", strerror(errno));
			close_control(&d);
			return 1;
		}
		use_syslog = 1;
		openlog("canrigd", LOG_PID, LOG_DAEMON);
	}
	lock_write_pid(&d);
	if (stay0) {
		logmsg(LOG_WARNING,
		       "staying uid 0 (capabilities dropped): '%s' cannot write "
		       "the control directory of %s; set options.user or give canrigd a "
		       "directory of its own",
		       pw_name, d.conf.control);
	} else if (pw && !dir_ok) {
		logmsg(LOG_WARNING,
		       "'%s' cannot write the control directory of %s: the "
		       "socket stays after exit, offload cannot list its jobs",
		       pw->pw_name, d.conf.control);
	} else if (!pw && geteuid() == 0) {
		logmsg(LOG_WARNING, "%s: staying uid 0 (capabilities dropped)",
		       d.conf.user[0] ? "options.user: root" : "no user canrigd or nobody");
	}
	d.loop = ev_default_loop(0);
	ev_timer_init(&d.ws_tm, on_ws_expire, 0, 0);
	d.ws_tm.data = &d;
	if (d.conf.workshop) {
		workshop_set(&d, 1, 0);
		logmsg(LOG_NOTICE,
		       "workshop mode on from %s (no expiry; a reload with "
		       "workshop: false closes it)",
		       d.path);
	}
	if (alloc_queues(&d)) {
		logmsg(LOG_ERR, "out of memory");
		close_control(&d);
		return 1;
	}
	for (k = 0; k < d.conf.nifs; k++)
		up += !open_if(&d, &d.ifs[k], 0);
	if (!up) {
		logmsg(LOG_ERR, "no interface could be opened");
		close_control(&d);
		return 1;
	}
	d.started = now_ns();
	watch_control(&d);
	offload_start(&d, NULL);
	if (drop_privileges(pw, d.off.open)) {
		close_control(&d);
		return 1;
	}
	ctl_rights_resolve(&d);
	logmsg(LOG_NOTICE, "running as uid %u gid %u%s", (unsigned int)getuid(),
	       (unsigned int)getgid(),
	       have_cap(CAP_NET_ADMIN) ? ", with CAP_NET_ADMIN" : ", no capabilities");
	ev_timer_init(&d.rate_tm, on_rate, 0, 0);
	d.rate_tm.data = &d;
	ev_timer_init(&d.retry_tm, on_retry, 1, 1);
	d.retry_tm.data = &d;
	ev_timer_start(d.loop, &d.retry_tm);
	d.link_fd = cio_link_open();
	if (d.link_fd >= 0) {
		ev_io_init(&d.link, on_link, d.link_fd, EV_READ);
		d.link.data = &d;
		ev_io_start(d.loop, &d.link);
	} else {
		logmsg(LOG_WARNING, "no link events (%s); polling interfaces once a second",
		       strerror(-d.link_fd));
	}
	ev_async_init(&d.rl.done, on_reload_done);
	d.rl.done.data = &d;
	ev_async_start(d.loop, &d.rl.done);
	for (i = 0; sigs[i]; i++) {
		ev_signal_init(&d.sig[i], on_signal, sigs[i]);
		d.sig[i].data = &d;
		ev_signal_start(d.loop, &d.sig[i]);
	}
	logmsg(LOG_NOTICE, "running: %zu interface%s (%u open), %zu route%s", d.conf.nifs,
	       plural(d.conf.nifs), up, gw_engine_nroutes(d.conf.engine),
	       plural(gw_engine_nroutes(d.conf.engine)));
	sd_notify_ready();
	ev_run(d.loop, 0);
	reload_stop(&d);
	if (d.verbose)
		print_stats(&d, stderr);
	close_control(&d);
	offload_stop(&d);
	if (d.link_fd >= 0)
		close(d.link_fd);
	close_all(&d);
	gw_conf_fini(&d.conf);
	if (d.dirfd >= 0)
		close(d.dirfd);
	logmsg(LOG_NOTICE, "stopped");
	return 0;
}
