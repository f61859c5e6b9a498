/* SPDX-License-Identifier: MIT */
/* doip_srv_io.c - the entity side of DoIP TCP_DATA sockets in a libev loop. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cio_ev.h"
#include "doip_srv_io.h"

static void conn_process(struct doip_srv_conn *k);

static void on_read(struct ev_loop *loop, ev_io *w, int revents);
static void on_write(struct ev_loop *loop, ev_io *w, int revents);
static void on_conn_timer(struct ev_loop *loop, ev_timer *w, int revents);

void doip_srv_init(struct doip_srv *s, struct ev_loop *loop, const struct doip_srv_ops *ops,
		   void *ctx, void *conns, size_t n, size_t stride)
{
	size_t i;

	s->loop = loop;
	s->ops = ops;
	s->ctx = ctx;
	s->base = conns;
	s->n = n;
	s->stride = stride;
	/* free slots before anything can fail: the owner's cleanup closes
	 * the others */
	for (i = 0; i < n; i++) {
		struct doip_srv_conn *k = doip_srv_at(s, i);

		k->srv = s;
		k->fd = -1;
		ev_timer_init(&k->tm, on_conn_timer, 0, 0);
		k->tm.data = k;
	}
}

void doip_srv_free(struct doip_srv_conn *k)
{
	struct doip_srv *s = k->srv;
	struct doip_srv_conn *w = k->alive_for;
	size_t i;

	if (k->fd < 0)
		return;
	k->alive_for = NULL;
	for (i = 0; i < s->n; i++)
		if (doip_srv_at(s, i)->alive_for == k)
			doip_srv_at(s, i)->alive_for = NULL;
	k->ra_wait = 0;
	k->hold = 0;
	ev_io_stop(s->loop, &k->rio);
	ev_io_stop(s->loop, &k->wio);
	ev_timer_stop(s->loop, &k->tm);
	close(k->fd);
	k->fd = -1;
	s->ops->closed(k);
	/* a socket that did not answer its alive check is gone: the
	 * activation waiting for it gets the place */
	if (w && w->fd >= 0 && w->ra_wait)
		doip_srv_ra_decided(w, DOIP_RA_OK, 1);
}

int doip_srv_flush(struct doip_srv_conn *k)
{
	const uint8_t *p;
	size_t n;
	ssize_t w;

	while (k->fd >= 0) {
		p = doip_conn_output(&k->c, &n);
		if (!n)
			break;
		w = send(k->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(k->srv->loop, &k->wio);
			return 0;
		}
		if (w <= 0) {
			int e = w < 0 ? -errno : -EPIPE;

			doip_conn_close(&k->c, DOIP_CL_CALLER);
			doip_srv_free(k);
			return e;
		}
		doip_conn_sent(&k->c, (size_t)w, cio_now_ns());
	}
	if (k->fd >= 0)
		ev_io_stop(k->srv->loop, &k->wio);
	return k->fd >= 0 ? 0 : -ENOTCONN;
}

static void conn_arm(struct doip_srv_conn *k)
{
	cio_ev_arm(k->srv->loop, &k->tm, doip_conn_deadline(&k->c));
}

void doip_srv_ra_decided(struct doip_srv_conn *k, uint8_t code, int resume)
{
	struct doip_srv *s = k->srv;
	size_t i;

	k->ra_wait = 0;
	for (i = 0; i < s->n; i++)
		if (doip_srv_at(s, i)->alive_for == k)
			doip_srv_at(s, i)->alive_for = NULL;
	s->ops->ra_done(k, code);
	doip_conn_ra_reply(&k->c, code, NULL, cio_now_ns());
	if (resume)
		conn_process(k);
}

/* Alive-checks j for k's activation.  Returns 1 if the check runs. */
static int check_alive(struct doip_srv_conn *k, struct doip_srv_conn *j, uint64_t now)
{
	/* one activation at a time per socket checked; another one is
	 * answered as if j had answered */
	if (j->alive_for || doip_conn_alive_check(&j->c, now))
		return 0;
	j->alive_for = k;
	k->ra_wait++;
	cio_ev_arm(j->srv->loop, &j->tm, doip_conn_deadline(&j->c));
	return 1;
}

unsigned int doip_srv_ra_arbitrate(struct doip_srv_conn *k, uint16_t sa, size_t mcts, uint64_t now)
{
	struct doip_srv *s = k->srv;
	struct doip_srv_conn *same = NULL;
	size_t i, active = 0;

	if (k->c.active) { /* the same SA again on its own socket */
		doip_srv_ra_decided(k, DOIP_RA_OK, 0);
		return 0;
	}
	for (i = 0; i < s->n; i++) {
		struct doip_srv_conn *j = doip_srv_at(s, i);

		if (j == k || j->fd < 0 || !j->c.active)
			continue;
		active++;
		if (j->c.sa == sa)
			same = j;
	}
	k->ra_wait = 0;
	if (same) {
		k->ra_code = DOIP_RA_SA_ELSEWHERE;
		check_alive(k, same, now);
		doip_srv_flush(same);
	} else if (active >= mcts) {
		k->ra_code = DOIP_RA_NO_SOCKET;
		for (i = 0; i < s->n; i++) {
			struct doip_srv_conn *j = doip_srv_at(s, i);

			if (j != k && j->fd >= 0 && j->c.active && check_alive(k, j, now))
				doip_srv_flush(j);
		}
	} else {
		doip_srv_ra_decided(k, DOIP_RA_OK, 0);
		return 0;
	}
	if (!k->ra_wait)
		doip_srv_ra_decided(k, k->ra_code, 0);
	return k->ra_wait;
}

/* j answered its alive check: the activation waiting for it is refused
 * once every socket checked for it answered. */
static void on_alive(struct doip_srv_conn *j)
{
	struct doip_srv_conn *k = j->alive_for;

	j->alive_for = NULL;
	if (!k || k->fd < 0 || !k->ra_wait)
		return;
	if (--k->ra_wait == 0)
		doip_srv_ra_decided(k, k->ra_code, 1);
}

/* Feeds what was read to the engine until it is consumed or the output
 * is full (then reading pauses until the peer takes our bytes). */
static void conn_process(struct doip_srv_conn *k)
{
	const struct doip_srv_ops *o = k->srv->ops;
	struct doip_ev ev;
	uint64_t now;
	size_t n;

	if (k->hold)
		return; /* doip_srv_release() goes on */
	while (k->fd >= 0) {
		now = cio_now_ns();
		n = doip_conn_input(&k->c, k->in + k->in_off, k->in_len - k->in_off, now, &ev);
		k->in_off += n;
		switch (ev.kind) {
		case DOIP_EV_MSG:
			if (ev.m.type == DOIP_T_RA_REQ)
				o->ra(k, &ev.m, now);
			else if (ev.m.type == DOIP_T_ALIVE_RSP)
				on_alive(k);
			break;
		case DOIP_EV_DIAG:
			o->diag(k, &ev, now);
			if (k->fd >= 0 && k->hold) {
				/* the piece's view into in[] must stay: no recv */
				doip_srv_flush(k);
				if (k->fd >= 0) {
					ev_io_stop(k->srv->loop, &k->rio);
					conn_arm(k);
				}
				return;
			}
			break;
		case DOIP_EV_TX_FULL:
			doip_srv_flush(k);
			/* a message streaming out ends first: doip_srv_resume() */
			if (k->fd >= 0 && (ev_is_active(&k->wio) || doip_conn_tx_busy(&k->c))) {
				/* the peer does not read: neither do we */
				ev_io_stop(k->srv->loop, &k->rio);
				return;
			}
			break;
		case DOIP_EV_CLOSED:
			doip_srv_flush(k);
			doip_srv_free(k);
			return;
		default:
			break;
		}
		if (k->fd < 0)
			return;
		if (ev.kind == DOIP_EV_PAUSED || (ev.kind == DOIP_EV_MSG && k->c.ra_pending)) {
			/* an activation waits for alive checks: so does this
			 * socket's input (doip_srv_ra_decided() goes on with it) */
			doip_srv_flush(k);
			if (k->fd >= 0) {
				ev_io_stop(k->srv->loop, &k->rio);
				conn_arm(k);
			}
			return;
		}
		if (ev.kind == DOIP_EV_NONE)
			break;
	}
	if (k->fd < 0)
		return;
	if (k->in_off == k->in_len)
		k->in_off = k->in_len = 0;
	doip_srv_flush(k);
	if (k->fd >= 0) {
		ev_io_start(k->srv->loop, &k->rio);
		conn_arm(k);
	}
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct doip_srv_conn *k = w->data;
	ssize_t r;

	(void)loop;
	(void)revents;
	if (k->in_off < k->in_len)
		return; /* still paused on output */
	r = recv(k->fd, k->in, k->in_size, 0);
	if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (r <= 0) {
		doip_conn_close(&k->c, DOIP_CL_CALLER);
		doip_srv_free(k);
		return;
	}
	k->in_off = 0;
	k->in_len = (size_t)r;
	conn_process(k);
}

static void on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct doip_srv_conn *k = w->data;

	(void)loop;
	(void)revents;
	if (doip_srv_flush(k) || k->fd < 0)
		return;
	/* room in the output: a message streaming out may go on */
	if (k->srv->ops->drained) {
		k->srv->ops->drained(k);
		if (k->fd < 0)
			return;
	}
	if (!ev_is_active(&k->wio) && k->in_off < k->in_len && !k->hold &&
	    !doip_conn_tx_busy(&k->c))
		conn_process(k);
}

static void on_conn_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct doip_srv_conn *k = w->data;

	(void)loop;
	(void)revents;
	if (doip_conn_timers(&k->c, cio_now_ns()) != DOIP_CL_NONE) {
		doip_srv_flush(k);
		doip_srv_free(k);
		return;
	}
	doip_srv_flush(k);
	if (k->fd >= 0)
		conn_arm(k);
}

void doip_srv_hold(struct doip_srv_conn *k)
{
	k->hold = 1;
}

void doip_srv_resume(struct doip_srv_conn *k)
{
	if (k->fd < 0 || k->hold || doip_conn_tx_busy(&k->c))
		return;
	conn_process(k);
}

void doip_srv_release(struct doip_srv_conn *k)
{
	if (k->fd < 0 || !k->hold)
		return;
	k->hold = 0;
	conn_process(k);
}

/* a tester socket's kernel send buffer (the kernel doubles it) */
#define SRV_SNDBUF (64 * 1024)

int doip_srv_accept(struct doip_srv *s, int lfd, const struct doip_conn_cfg *cc,
		    struct doip_srv_conn **out)
{
	struct doip_srv_conn *k = NULL;
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	int fd, one = 1, sndbuf = SRV_SNDBUF;
	size_t i;

	fd = accept4(lfd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (i = 0; i < s->n && !k; i++)
		if (doip_srv_at(s, i)->fd < 0)
			k = doip_srv_at(s, i);
	if (!k) {
		close(fd);
		return -EBUSY;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* a fixed send buffer, not the kernel's autotuned one (up to
	 * tcp_wmem's 4 MiB): a tester that stops reading then stops a long
	 * answer within SRV_SNDBUF (FC WAIT to its ECU), and cannot make
	 * the kernel hold megabytes per socket for it */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	k->fd = fd;
	k->hold = 0;
	k->in_off = k->in_len = 0;
	snprintf(k->peer, sizeof(k->peer), "%s:%u", inet_ntoa(peer.sin_addr), ntohs(peer.sin_port));
	doip_conn_init(&k->c, cc, k->rx, s->rx_cap, k->tx, s->tx_cap, cio_now_ns());
	ev_io_init(&k->rio, on_read, fd, EV_READ);
	ev_io_init(&k->wio, on_write, fd, EV_WRITE);
	k->rio.data = k->wio.data = k;
	ev_io_start(s->loop, &k->rio);
	conn_arm(k);
	*out = k;
	return 0;
}

void doip_srv_close(struct doip_srv *s)
{
	size_t i;

	for (i = 0; s->base && i < s->n; i++)
		doip_srv_free(doip_srv_at(s, i));
}

int doip_srv_open_sock(int type, const struct sockaddr_in *sa)
{
	int fd, one = 1, e;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	else
		setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) ||
	    (type == SOCK_STREAM && listen(fd, 8))) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

#define UDP_MAX 512 /* an identification request is 8..25 bytes */

int doip_srv_udp_answer(int fd, const struct doip_entity *ent, const struct doip_entity_state *st,
			struct sockaddr_in *from, size_t *n_in, size_t *n_out)
{
	uint8_t in[UDP_MAX], out[UDP_MAX];
	socklen_t fl = sizeof(*from);
	uint8_t nack;
	ssize_t r;

	*n_in = *n_out = 0;
	r = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)from, &fl);
	if (r < 0)
		return -EAGAIN;
	*n_in = (size_t)r;
	if (doip_entity_udp(ent, st, in, (size_t)r, out, sizeof(out), n_out, &nack) || !*n_out)
		return 0;
	r = sendto(fd, out, *n_out, 0, (struct sockaddr *)from, fl);
	if (r < 0)
		return -errno;
	return r == (ssize_t)*n_out ? 1 : -EIO;
}
