/* SPDX-License-Identifier: MIT */
/*
 * canrigd.c - the gateway daemon: one raw socket per interface, the rule
 * engine (gw.h) in between, a bounded queue per destination, libev.
 * Here: main(), the interfaces, their queues, the receive and send path;
 * the other jobs are in gwd_*.c (see canrigd.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <ev.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/can.h>
#include <linux/can/error.h>
#include <linux/can/netlink.h>
#include <linux/can/raw.h>
#include <linux/capability.h>

#include "cio.h"
#include "gw.h"
#include "gw_cgw.h"
#include "gw_conf.h"
#include "canrigd.h"

/* Frames the kernel dropped because our receive buffer was full. */
uint64_t gwd_rx_overflow(const struct gif *g)
{
	return g->overflow_old + (g->open ? g->sock.kernel_drops : 0);
}

static int use_syslog;

void gwd_logmsg(int prio, const char *fmt, ...)
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

/*
 * A frame is forwarded when the kernel took it (flush()): a queued one
 * may still be lost (a held destination keeps it, and it grows stale),
 * and is then only counted as dropped, for its reason.
 */
static void drop_queued(struct gwd *d, uint16_t route, enum gw_drop why)
{
	struct gw_counters *c = gw_engine_counters(d->conf.engine, route);

	if (c)
		c->dropped[why]++;
}

static void flush(struct gif *g, uint64_t now);

static void enqueue(struct gwd *d, const struct gw_emit *o, uint64_t now)
{
	struct gif *g = &d->ifs[o->dst];
	struct qent *e;

	if (!g->open) {
		g->lost_down++;
		drop_queued(d, o->route, GW_DROP_DOWN);
		return;
	}
	if (g->n == g->cap) {
		drop_queued(d, o->route, GW_DROP_QUEUE);
		return;
	}
	e = &g->q[(g->head + g->n++) % g->cap];
	cf_buf_set(&e->b, &o->f);
	e->t = now;
	e->route = o->route;
}

/*
 * After a reload's swap with the queues kept: their frames name a route by
 * its index in old, and the new engine may number the routes otherwise.
 * A frame whose route is gone still goes out, counted nowhere.
 */
void gwd_requeue(struct gwd *d, const struct gw_engine *old)
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

void gwd_set_filters(struct gwd *d, struct gif *g)
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
		gwd_logmsg(LOG_WARNING, "%s: cannot set kernel filters", d->conf.ifname[g->idx]);
}

void gwd_refilter(struct gwd *d)
{
	unsigned int i;

	for (i = 0; i < d->conf.nifs; i++)
		if (d->ifs[i].open)
			gwd_set_filters(d, &d->ifs[i]);
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents);
static void on_write(struct ev_loop *loop, ev_io *w, int revents);

int gwd_open_if(struct gwd *d, struct gif *g, int quiet)
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
			gwd_logmsg(LOG_ERR, "any: refused: canrigd binds one device per interface");
		return -EINVAL;
	}
	cio_opts_init(&o);
	o.rcvbuf = (int)d->conf.pol[g->idx].rcvbuf;
	o.no_rx = 1; /* filters come right after, from the rules */
	e = cio_open(&g->sock, name, &o);
	if (e) {
		if (!quiet)
			gwd_logmsg(LOG_WARNING, "%s", cio_open_strerror(e, name, eb, sizeof(eb)));
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
			gwd_logmsg(LOG_WARNING,
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
	gwd_set_filters(d, g);
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
			fv[k++] = *cf_buf_view(&g->q[(g->head + i) % g->cap].b);
		if (!k)
			break;
		e = cio_send(&g->sock, fv, k, &nsent);
		g->tx += nsent;
		for (i = 0; i < nsent; i++)
			gw_engine_sent(d->conf.engine, g->q[(g->head + i) % g->cap].route, 1);
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
		gwd_logmsg(LOG_WARNING, "%s: send: %s; reopening", d->conf.ifname[g->idx],
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

void gwd_arm_rate(struct gwd *d)
{
	cio_ev_arm(d->loop, &d->rate_tm, gw_engine_deadline(d->conf.engine));
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
		gwd_logmsg(LOG_WARNING, "%s: %s; holding its queue", d->conf.ifname[g->idx], why);
	} else {
		gwd_logmsg(LOG_NOTICE, "%s: %s; sending again", d->conf.ifname[g->idx], why);
		flush(g, gwd_now_ns());
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
			gwd_logmsg(LOG_WARNING,
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
	int n, i, rounds = 0, dry = 0;

	(void)loop;
	(void)revents;
	/* a few batches, then the other interfaces get their turn */
	while (rounds++ < 8 && (n = cio_recv(&g->sock, &g->ring)) > 0) {
		uint64_t now = gwd_now_ns();

		g->rx += (uint64_t)n;
		for (i = 0; i < n; i++) {
			unsigned int k, m;

			if (g->ring.views[i].flags & CF_ERR) {
				on_error_frame(g, &g->ring.views[i]);
				continue;
			}
			/* the offload handover: stamped after the jobs went in,
			 * the kernel routes it (gwd_offload.c); the bit is tested
			 * here so the common frame pays no call */
			if (d->off.pending >> g->idx & 1)
				gwd_offload_rx(d, g, &g->ring.views[i]);
			m = gw_engine_input(d->conf.engine, g->idx, &g->ring.views[i], now, d->out,
					    256);
			for (k = 0; k < m; k++)
				enqueue(d, &d->out[k], now);
		}
		flush_all(d, now);
		if ((unsigned int)n < g->ring.cap) {
			dry = 1;
			break;
		}
	}
	/* ran dry, or nothing waiting, after the jobs went in: what comes
	 * now, they route (see gwd_offload_install()) */
	if ((dry || n == -EAGAIN) && (d->off.pending >> g->idx & 1))
		gwd_offload_rx(d, g, NULL);
	if (rounds && n < 0 && n != -EAGAIN) {
		gwd_logmsg(LOG_WARNING, "%s: %s; waiting for it to come back",
			   d->conf.ifname[g->idx], strerror(-n));
		close_if(g);
	}
	gwd_arm_rate(d);
}

static void on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gif *g = w->data;

	(void)revents;
	ev_io_stop(loop, &g->wr);
	flush(g, gwd_now_ns());
}

static void on_rate(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gwd *d = w->data;
	unsigned int n, k;
	uint64_t now = gwd_now_ns();

	(void)loop;
	(void)revents;
	n = gw_engine_timers(d->conf.engine, now, d->out, 256);
	for (k = 0; k < n; k++)
		enqueue(d, &d->out[k], now);
	flush_all(d, now);
	gwd_arm_rate(d);
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
		if (!d->ifs[i].open && !gwd_open_if(d, &d->ifs[i], 1)) {
			gwd_logmsg(LOG_NOTICE, "%s: back", d->conf.ifname[i]);
			gwd_offload_fold(d);
			gwd_offload_install(d, NULL);
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
		gwd_logmsg(LOG_WARNING, "%s: %s; waiting for it to come back", name, why);
		close_if(g);
	}
	if (!g->open) {
		if (ev->deleted || !ev->up || !names_dev(name, ev) || gwd_open_if(d, g, 1))
			return;
		gwd_logmsg(LOG_NOTICE, "%s: back", name);
		/* the kernel dropped the jobs of the old interface */
		gwd_offload_fold(d);
		gwd_offload_install(d, NULL);
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
	gwd_doip_link(d, ev);
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
		gwd_logmsg(LOG_WARNING, "link events lost; asking for a full dump");
		cio_link_dump(d->link_fd);
	} else if (e < 0 && e != -EAGAIN) {
		gwd_logmsg(LOG_WARNING, "link events: %s", strerror(-e));
	}
}

int gwd_alloc_queues(struct gwd *d)
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

void gwd_close_all(struct gwd *d)
{
	unsigned int i;

	for (i = 0; i < GW_MAX_IFS; i++) {
		close_if(&d->ifs[i]);
		free(d->ifs[i].q);
		memset(&d->ifs[i], 0, sizeof(d->ifs[i]));
	}
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
int gwd_ifs_check(const struct gw_conf *c, const char *file, int warn, char *err, size_t cap)
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

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct gwd *d = w->data;

	(void)revents;
	if (w->signum == SIGHUP)
		gwd_reload_start(d);
	else if (w->signum == SIGUSR1)
		gwd_print_stats(d, stderr);
	else
		ev_break(loop, EVBREAK_ALL);
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
	e = gwd_config_file_ok(d.path, d.start_uid, err, sizeof(err));
	if (!e)
		e = gw_conf_load_file(&d.conf, d.path, err, sizeof(err));
	if (!e)
		e = gwd_ifs_check(&d.conf, d.path, check, err, sizeof(err));
	if (e) {
		fprintf(stderr, "canrigd: %s\n", err);
		gw_conf_fini(&d.conf);
		/* as in canrig: a file that cannot be read is 1, a wrong one 2 */
		return e == -ENOENT || e == -EISDIR || e == -EACCES || e == -EIO ? 1 : 2;
	}
	if (check) {
		printf("%s: ok, %zu interface%s, %zu route%s", d.path, d.conf.nifs,
		       gwd_plural(d.conf.nifs), gw_engine_nroutes(d.conf.engine),
		       gwd_plural(gw_engine_nroutes(d.conf.engine)));
		if (d.conf.doip.on)
			printf(", DoIP entity 0x%04X: %zu tester%s, %zu ECU%s", d.conf.doip.la,
			       d.conf.doip.ntesters, gwd_plural(d.conf.doip.ntesters),
			       d.conf.doip.necus, gwd_plural(d.conf.doip.necus));
		printf("\n");
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
	i = gwd_whom(&d, &pw, &dflt);
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
	if (gwd_control_prepare(&d, pw ? pw->pw_uid : (uid_t)-1, pw ? pw->pw_gid : (gid_t)-1,
				sock_gid, &dir_ok))
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
	i = gwd_open_control(&d, pw ? pw->pw_uid : (uid_t)-1, sock_gid);
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
			gwd_close_control(&d);
			return 1;
		}
		use_syslog = 1;
		openlog("canrigd", LOG_PID, LOG_DAEMON);
	}
	gwd_lock_write_pid(&d);
	if (stay0) {
		gwd_logmsg(LOG_WARNING,
			   "staying uid 0 (capabilities dropped): '%s' cannot write "
			   "the control directory of %s; set options.user or give canrigd a "
			   "directory of its own",
			   pw_name, d.conf.control);
	} else if (pw && !dir_ok) {
		gwd_logmsg(LOG_WARNING,
			   "'%s' cannot write the control directory of %s: the "
			   "socket stays after exit, offload cannot list its jobs",
			   pw->pw_name, d.conf.control);
	} else if (!pw && geteuid() == 0) {
		gwd_logmsg(LOG_WARNING, "%s: staying uid 0 (capabilities dropped)",
			   d.conf.user[0] ? "options.user: root" : "no user canrigd or nobody");
	}
	d.loop = ev_default_loop(0);
	ev_timer_init(&d.ws_tm, gwd_on_ws_expire, 0, 0);
	d.ws_tm.data = &d;
	if (d.conf.workshop) {
		gwd_workshop_set(&d, 1, 0);
		gwd_logmsg(LOG_NOTICE,
			   "workshop mode on from %s (no expiry; a reload with "
			   "workshop: false closes it)",
			   d.path);
	}
	if (gwd_alloc_queues(&d)) {
		gwd_logmsg(LOG_ERR, "out of memory");
		gwd_close_control(&d);
		return 1;
	}
	for (k = 0; k < d.conf.nifs; k++)
		up += !gwd_open_if(&d, &d.ifs[k], 0);
	if (!up) {
		gwd_logmsg(LOG_ERR, "no interface could be opened");
		gwd_close_control(&d);
		return 1;
	}
	d.started = gwd_now_ns();
	/* before the privileges go: a port below 1024 may be configured */
	if (gwd_doip_open(&d)) {
		gwd_close_all(&d);
		gwd_close_control(&d);
		return 1;
	}
	gwd_watch_control(&d);
	gwd_offload_start(&d, NULL);
	if (gwd_drop_privileges(pw, d.off.open)) {
		gwd_close_control(&d);
		return 1;
	}
	gwd_ctl_rights_resolve(&d);
	gwd_logmsg(LOG_NOTICE, "running as uid %u gid %u%s", (unsigned int)getuid(),
		   (unsigned int)getgid(),
		   gwd_have_cap(CAP_NET_ADMIN) ? ", with CAP_NET_ADMIN" : ", no capabilities");
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
		gwd_logmsg(LOG_WARNING, "no link events (%s); polling interfaces once a second",
			   strerror(-d.link_fd));
	}
	ev_async_init(&d.rl.done, gwd_on_reload_done);
	d.rl.done.data = &d;
	ev_async_start(d.loop, &d.rl.done);
	for (i = 0; sigs[i]; i++) {
		ev_signal_init(&d.sig[i], on_signal, sigs[i]);
		d.sig[i].data = &d;
		ev_signal_start(d.loop, &d.sig[i]);
	}
	gwd_logmsg(LOG_NOTICE, "running: %zu interface%s (%u open), %zu route%s", d.conf.nifs,
		   gwd_plural(d.conf.nifs), up, gw_engine_nroutes(d.conf.engine),
		   gwd_plural(gw_engine_nroutes(d.conf.engine)));
	gwd_sd_notify_ready();
	ev_run(d.loop, 0);
	gwd_reload_stop(&d);
	if (d.verbose)
		gwd_print_stats(&d, stderr);
	gwd_close_control(&d);
	gwd_doip_close(&d);
	gwd_offload_stop(&d);
	if (d.link_fd >= 0)
		close(d.link_fd);
	gwd_close_all(&d);
	gw_conf_fini(&d.conf);
	if (d.dirfd >= 0)
		close(d.dirfd);
	gwd_logmsg(LOG_NOTICE, "stopped");
	return 0;
}
