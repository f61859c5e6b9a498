/* SPDX-License-Identifier: MIT */
/*
 * gwd_ctl.c - canrigd's control socket (status, stats, routes, reload,
 * workshop), the rights of its peers, and workshop mode.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ev.h>

#include "gw.h"
#include "gw_cgw.h"
#include "gw_conf.h"
#include "canrigd.h"

static const char *if_state(const struct gif *g)
{
	return !g->open ? (g->dup_of ? g->note : "DOWN") : g->held ? "HELD" : "up";
}

void gwd_print_stats(struct gwd *d, FILE *f)
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
			(unsigned long long)gwd_rx_overflow(&d->ifs[i]),
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
	gwd_doip_print(d, f, 1);
	fflush(f);
}

/* ---- workshop mode ----
 * Opened by command it closes by itself (WS_DEFAULT_MIN, or the minutes
 * asked for); opened by the file (workshop: true) it stays open as long as
 * the file says so: every reload sets it to the file's value, so a file
 * saying false closes what a command opened. */

void gwd_on_ws_expire(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gwd *d = w->data;

	(void)loop;
	(void)revents;
	d->ws_until = 0;
	gw_engine_workshop(d->conf.engine, 0);
	gwd_logmsg(LOG_NOTICE, "workshop mode expired: closed");
}

/* Opens (for minutes > 0, 0: no expiry) or closes workshop mode. */
void gwd_workshop_set(struct gwd *d, int on, double minutes)
{
	ev_timer_stop(d->loop, &d->ws_tm);
	d->ws_until = 0;
	gw_engine_workshop(d->conf.engine, on);
	if (on && minutes > 0) {
		d->ws_until = gwd_now_ns() + (uint64_t)(minutes * 60e9);
		ev_timer_set(&d->ws_tm, minutes * 60, 0);
		ev_timer_start(d->loop, &d->ws_tm);
	}
}

/* After a reload's swap: the file decides (the engine adopted the old mode). */
void gwd_workshop_follow_file(struct gwd *d)
{
	int was = gw_engine_workshop_on(d->conf.engine);

	gwd_workshop_set(d, d->conf.workshop, 0);
	if (d->conf.workshop)
		gwd_logmsg(LOG_NOTICE,
			   "workshop mode on from %s (no expiry; a reload with "
			   "workshop: false closes it)",
			   d->path);
	else if (was)
		gwd_logmsg(LOG_NOTICE,
			   "workshop mode closed by the reload: %s says workshop: false", d->path);
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
			(unsigned long long)gwd_rx_overflow(&d->ifs[i]),
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
	fputc(']', f);
	gwd_doip_json(d, f);
	fprintf(f, "}\n");
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
		CANRIG_VERSION, (double)(gwd_now_ns() - d->started) / 1e9, d->path, d->conf.nifs,
		gwd_plural(d->conf.nifs), up, gw_engine_nroutes(d->conf.engine),
		gwd_plural(gw_engine_nroutes(d->conf.engine)),
		gw_engine_workshop_on(d->conf.engine) ? "on" : "off");
	if (gw_engine_workshop_on(d->conf.engine) && d->ws_until) {
		uint64_t t = gwd_now_ns();

		fprintf(f, " (%.1f min left)",
			d->ws_until > t ? (double)(d->ws_until - t) / 60e9 : 0);
	} else if (gw_engine_workshop_on(d->conf.engine)) {
		fprintf(f, " (from the file, no expiry)");
	}
	fputc('\n', f);
	for (i = 0; i < d->conf.nifs; i++)
		fprintf(f, "  %s (%s): %s\n", d->conf.ifname[i],
			gw_engine_spec(d->conf.engine)->ifs[i].domain, if_state(&d->ifs[i]));
	gwd_doip_print(d, f, 0);
}

static void command(struct gwd *d, const char *line, FILE *f, const struct ucred *who)
{
	if (!strcmp(line, "status")) {
		status_text(d, f);
	} else if (!strcmp(line, "stats")) {
		gwd_offload_fold(d);
		gwd_print_stats(d, f);
	} else if (!strcmp(line, "stats --json")) {
		gwd_offload_fold(d);
		stats_json(d, f);
	} else if (!strcmp(line, "routes")) {
		routes_text(d, f);
	} else if (!strcmp(line, "workshop off")) {
		gwd_workshop_set(d, 0, 0);
		gwd_logmsg(LOG_NOTICE, "workshop mode off by uid %u pid %d", who->uid, who->pid);
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
		gwd_workshop_set(d, 1, m);
		gwd_logmsg(LOG_NOTICE, "workshop mode on for %g min by uid %u pid %d", m, who->uid,
			   who->pid);
		fprintf(f, "workshop mode on for %g min\n", m);
	} else if (!strcmp(line, "doip power") || !strncmp(line, "doip power ", 11)) {
		gwd_doip_power(d, line[10] ? line + 11 : NULL, f, who);
	} else {
		fprintf(f,
			"error: unknown command '%.64s' (status, stats [--json], routes, "
			"reload, workshop on [MINUTES]|off, doip power [MODE])\n",
			line);
	}
}

/* Changes something: only for those allowed to (see above). */
static int ctl_is_write(const char *line)
{
	return !strcmp(line, "reload") || !strncmp(line, "workshop", 8) ||
	       !strncmp(line, "doip power ", 11);
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
void gwd_ctl_rights_resolve(struct gwd *d)
{
	size_t i;

	d->ctl_gid = getegid();
	if (d->conf.control_group[0]) {
		struct group *gr = getgrnam(d->conf.control_group);

		if (gr)
			d->ctl_gid = gr->gr_gid;
		else
			gwd_logmsg(LOG_WARNING, "control_group '%s' does not exist",
				   d->conf.control_group);
	}
	d->nctl_uids = 0;
	for (i = 0; i < d->conf.ncontrol_users; i++) {
		struct passwd *pw = getpwnam(d->conf.control_users[i]);

		if (pw)
			d->ctl_uids[d->nctl_uids++] = pw->pw_uid;
		else
			gwd_logmsg(LOG_WARNING, "control_users: '%s' does not exist",
				   d->conf.control_users[i]);
	}
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

void gwd_ctl_answer(struct ctl_conn *c, const char *text)
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
		gwd_logmsg(LOG_WARNING,
			   "control: '%.32s' refused to uid %u pid %d: permission denied", c->in,
			   c->who.uid, c->who.pid);
		gwd_ctl_answer(c, "error: permission denied");
		return;
	}
	if (!strcmp(c->in, "reload")) {
		struct ctl_conn **q = d->rl.busy ? &d->rl.wait_next : &d->rl.wait_cur;

		gwd_logmsg(LOG_NOTICE, "reload asked by uid %u pid %d", c->who.uid, c->who.pid);
		while (*q)
			q = &(*q)->wnext;
		*q = c;
		c->wnext = NULL;
		gwd_reload_start(d);
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
		gwd_ctl_answer(c, "error: command line too long");
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
				gwd_logmsg(LOG_WARNING, "control: accept: %s; pausing the listener",
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
		c->in_group = cio_peer_in_group(fd, c->who.gid, d->ctl_gid);
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
 * was checked and the instance lock taken (gwd_control_prepare()), so what
 * is at the path now was left by a previous run that died.  Made before
 * daemon(), so one that cannot be made stops the start where whoever
 * started canrigd sees it.  Returns 0 (gwd_watch_control() serves it once
 * the loop exists) or -errno.
 */
int gwd_open_control(struct gwd *d, uid_t uid, gid_t gid)
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
		gwd_logmsg(LOG_WARNING, "chown %s: %s", a.sun_path, strerror(errno));
	d->ctl_fd = fd;
	snprintf(d->ctl_path, sizeof(d->ctl_path), "%s", d->conf.control);
	return 0;
}

/* Serves the socket gwd_open_control() made, on d->loop. */
void gwd_watch_control(struct gwd *d)
{
	ev_io_init(&d->ctl, on_ctl, d->ctl_fd, EV_READ);
	d->ctl.data = d;
	ev_io_start(d->loop, &d->ctl);
	ev_timer_init(&d->ctl_resume, on_ctl_resume, 1, 0);
	d->ctl_resume.data = d;
}

void gwd_close_control(struct gwd *d)
{
	while (d->conns)
		ctl_close(d->conns);
	d->rl.wait_cur = d->rl.wait_next = NULL;
	if (d->ctl_fd < 0)
		return;
	/* a start that failed after gwd_open_control() has no loop yet */
	if (d->loop) {
		ev_io_stop(d->loop, &d->ctl);
		ev_timer_stop(d->loop, &d->ctl_resume);
	}
	close(d->ctl_fd);
	/* the directory is writable by the user canrigd runs as (see
	 * gwd_control_prepare()), so this works after the privileges are gone */
	if (unlink(d->ctl_path))
		gwd_logmsg(LOG_WARNING, "%s: %s", d->ctl_path, strerror(errno));
	d->ctl_fd = -1;
}
