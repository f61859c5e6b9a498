/* SPDX-License-Identifier: MIT */
/* upl_ctl.c - canrig uplink's control socket (upl_ctl.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cio.h"
#include "upl_ctl.h"

struct conn {
	struct upl_ctl *c;
	struct conn *next;
	ev_io io;
	ev_timer tm;
	char in[UPL_CTL_LINE + 1];
	size_t nin;
	char *out;
	size_t nout, off;
};

struct upl_ctl {
	struct ev_loop *loop;
	struct upl_ctl_opts o;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	ev_io lis;
	ev_timer resume;
	struct conn *conns;
	unsigned int nconns;
	int starved; /* accept() found no fd: said once */
};

static void say(struct upl_ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct upl_ctl *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!c->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->o.log(c->o.log_ctx, msg);
}

static void conn_close(struct conn *k)
{
	struct upl_ctl *c = k->c;
	struct conn **p;

	for (p = &c->conns; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	ev_io_stop(c->loop, &k->io);
	ev_timer_stop(c->loop, &k->tm);
	close(k->io.fd);
	free(k->out);
	free(k);
	c->nconns--;
	/* room again: the paused listener goes on */
	if (!ev_is_active(&c->lis)) {
		ev_timer_stop(c->loop, &c->resume);
		ev_io_start(c->loop, &c->lis);
	}
}

/* Writes what the socket takes; the rest when it is writable again. */
static void conn_write(struct conn *k)
{
	ssize_t n;

	while (k->off < k->nout) {
		n = send(k->io.fd, k->out + k->off, k->nout - k->off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		k->off += (size_t)n;
	}
	conn_close(k);
}

/* Is the peer root, our user, or in our group (primary or supplementary)? */
static int allowed(int fd, const struct ucred *who)
{
	if (who->uid == 0 || who->uid == geteuid())
		return 1;
	return cio_peer_in_group(fd, who->gid, getegid());
}

/* A whole line arrived (or too much): answer it. */
static void conn_line(struct conn *k, const char *too_long)
{
	struct upl_ctl *c = k->c;
	struct ucred who;
	socklen_t wl = sizeof(who);
	FILE *f;

	k->in[strcspn(k->in, "\r\n")] = 0;
	f = open_memstream(&k->out, &k->nout);
	if (!f) {
		conn_close(k);
		return;
	}
	/* no credentials, no rights: never take a zeroed uid for root */
	if (getsockopt(k->io.fd, SOL_SOCKET, SO_PEERCRED, &who, &wl) || wl != sizeof(who)) {
		fprintf(f, "error: permission denied\n");
	} else if (!allowed(k->io.fd, &who)) {
		say(c, "control: '%.32s' refused to uid %u pid %d: permission denied", k->in,
		    (unsigned int)who.uid, (int)who.pid);
		fprintf(f, "error: permission denied\n");
	} else if (too_long) {
		fprintf(f, "error: %s\n", too_long);
	} else {
		c->o.answer(c->o.ctx, k->in, f);
	}
	if (fclose(f)) {
		conn_close(k);
		return;
	}
	k->off = 0;
	ev_io_stop(c->loop, &k->io);
	ev_io_set(&k->io, k->io.fd, EV_WRITE);
	ev_io_start(c->loop, &k->io);
	/* the same bound for reading the answer as for asking */
	ev_timer_stop(c->loop, &k->tm);
	ev_timer_set(&k->tm, c->o.timeout, 0);
	ev_timer_start(c->loop, &k->tm);
	conn_write(k);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *k = w->data;
	ssize_t n;

	(void)loop;
	if (revents & EV_WRITE) {
		conn_write(k);
		return;
	}
	n = recv(w->fd, k->in + k->nin, UPL_CTL_LINE - k->nin, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(k);
		return;
	}
	k->nin += (size_t)n;
	k->in[k->nin] = 0;
	if (memchr(k->in, '\n', k->nin) || strlen(k->in) < k->nin)
		conn_line(k, strlen(k->in) < k->nin ? "NUL in the command line" : NULL);
	else if (k->nin == UPL_CTL_LINE)
		conn_line(k, "command line too long");
}

static void on_tm(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	conn_close(w->data);
}

static void on_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct upl_ctl *c = w->data;

	(void)revents;
	if (c->nconns < c->o.max_conns)
		ev_io_start(loop, &c->lis);
}

/* The listener is level-triggered: with a connection waiting and no room
 * for it, it would fire forever; so it pauses instead. */
static void pause_lis(struct upl_ctl *c, int with_timer)
{
	ev_io_stop(c->loop, &c->lis);
	if (with_timer) {
		ev_timer_stop(c->loop, &c->resume);
		ev_timer_set(&c->resume, 1, 0);
		ev_timer_start(c->loop, &c->resume);
	}
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct upl_ctl *c = w->data;
	struct conn *k;
	int fd, i;

	(void)revents;
	for (i = 0; i < 16; i++) {
		if (c->nconns >= c->o.max_conns) {
			pause_lis(c, 0); /* a close starts it again */
			return;
		}
		fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				return;
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: later */
			if (!c->starved)
				say(c, "control: accept: %s; pausing the listener",
				    strerror(errno));
			c->starved = 1;
			pause_lis(c, 1);
			return;
		}
		c->starved = 0;
		k = calloc(1, sizeof(*k));
		if (!k) {
			close(fd);
			pause_lis(c, 1);
			return;
		}
		k->c = c;
		c->nconns++;
		ev_io_init(&k->io, on_io, fd, EV_READ);
		k->io.data = k;
		ev_timer_init(&k->tm, on_tm, c->o.timeout, 0);
		k->tm.data = k;
		ev_io_start(loop, &k->io);
		ev_timer_start(loop, &k->tm);
		k->next = c->conns;
		c->conns = k;
	}
}

/* Does a process listen on the socket at a?  (A dead one's refuses.) */
static int alive(const struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return 0;
	/* non-blocking: a full backlog (EAGAIN) is alive too, and no wait */
	r = connect(fd, (const struct sockaddr *)a, sizeof(*a)) == 0 ||
	    (errno != ECONNREFUSED && errno != ENOENT);
	close(fd);
	return r;
}

int upl_ctl_open(struct ev_loop *loop, const struct upl_ctl_opts *o, struct upl_ctl **out,
		 char *err, size_t cap)
{
	struct upl_ctl *c;
	struct sockaddr_un a;
	struct stat st;
	mode_t old;
	int e;

	*out = NULL;
	memset(&a, 0, sizeof(a));
	if (strlen(o->path) >= sizeof(a.sun_path)) {
		snprintf(err, cap, "%s: too long for a unix socket (at most %zu bytes)", o->path,
			 sizeof(a.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	/* a socket left by a process that died is replaced; nothing else */
	if (!lstat(o->path, &st) && !S_ISSOCK(st.st_mode)) {
		snprintf(err, cap, "%s: exists and is not a socket", o->path);
		return -EEXIST;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	c->loop = loop;
	c->o = *o;
	if (!(c->o.timeout > 0))
		c->o.timeout = 5;
	if (!c->o.max_conns)
		c->o.max_conns = 8;
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, o->path, strlen(o->path) + 1);
	memcpy(c->path, o->path, strlen(o->path) + 1);
	/* --ctl may name one path for two uplinks of two spools: the second
	 * must not take the first one's socket away */
	if (alive(&a)) {
		snprintf(err, cap, "%s: in use by a running process", o->path);
		free(c);
		return -EADDRINUSE;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		e = -errno;
		snprintf(err, cap, "%s: socket: %s", o->path, strerror(errno));
		free(c);
		return e;
	}
	unlink(o->path);
	old = umask(0117); /* 0660: owner and group */
	if (bind(c->fd, (struct sockaddr *)&a, sizeof(a)) || listen(c->fd, 8)) {
		e = -errno;
		umask(old);
		snprintf(err, cap, "%s: %s", o->path, strerror(-e));
		close(c->fd);
		free(c);
		return e;
	}
	umask(old);
	ev_io_init(&c->lis, on_accept, c->fd, EV_READ);
	c->lis.data = c;
	ev_io_start(loop, &c->lis);
	ev_timer_init(&c->resume, on_resume, 1, 0);
	c->resume.data = c;
	*out = c;
	return 0;
}

void upl_ctl_close(struct upl_ctl *c)
{
	if (!c)
		return;
	while (c->conns)
		conn_close(c->conns);
	ev_io_stop(c->loop, &c->lis);
	ev_timer_stop(c->loop, &c->resume);
	close(c->fd);
	unlink(c->path);
	free(c);
}

unsigned int upl_ctl_conns(const struct upl_ctl *c)
{
	return c->nconns;
}
