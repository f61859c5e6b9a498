/* SPDX-License-Identifier: MIT */
/* doip_sim_io.c - the simulated ECUs behind a DoIP entity in a libev loop. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cio_ev.h"
#include "doip_sim_io.h"

#define UDP_MAX 512 /* an identification request is 8..25 bytes */

static void say(struct doip_sim *d, enum uds_sim_io_msg kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct doip_sim *d, enum uds_sim_io_msg kind, const char *fmt, ...)
{
	const struct uds_sim_io_ops *o = &d->run->ops;
	va_list ap;

	if (!o->msg || (kind == UDS_SIM_IO_VERBOSE && !o->verbose))
		return;
	va_start(ap, fmt);
	o->msg(o->ctx, kind, fmt, ap);
	va_end(ap);
}

/* ---- one TCP_DATA socket */

static void conn_process(struct doip_sim_conn *k);
static void ra_decided(struct doip_sim_conn *k, uint8_t code, int resume);

static void conn_free(struct doip_sim_conn *k)
{
	struct doip_sim *d = k->d;
	struct doip_sim_conn *w = k->alive_for;
	size_t i;

	if (k->fd < 0)
		return;
	k->alive_for = NULL;
	for (i = 0; i < DOIP_SIM_SOCKETS; i++)
		if (d->conns[i].alive_for == k)
			d->conns[i].alive_for = NULL;
	k->ra_wait = 0;
	ev_io_stop(d->loop, &k->rio);
	ev_io_stop(d->loop, &k->wio);
	ev_timer_stop(d->loop, &k->tm);
	close(k->fd);
	k->fd = -1;
	if (d->st.ncts)
		d->st.ncts--;
	for (i = 0; i < d->cfg->necus; i++)
		if (d->ecu_conn[i] == k)
			d->ecu_conn[i] = NULL;
	say(d, UDS_SIM_IO_VERBOSE, "doip: %s closed (%s)", k->peer,
	    doip_close_name((enum doip_close)k->c.close_reason));
	/* a socket that did not answer its alive check is gone: the
	 * activation waiting for it gets the place */
	if (w && w->fd >= 0 && w->ra_wait)
		ra_decided(w, DOIP_RA_OK, 1);
}

/* Sends what the engine has; the rest waits for the write watcher.
 * Returns 0, or -errno when the socket failed (it is then closed). */
static int conn_flush(struct doip_sim_conn *k)
{
	const uint8_t *p;
	size_t n;
	ssize_t w;

	for (;;) {
		p = doip_conn_output(&k->c, &n);
		if (!n)
			break;
		w = send(k->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(k->d->loop, &k->wio);
			return 0;
		}
		if (w <= 0) {
			int e = w < 0 ? -errno : -EPIPE;

			doip_conn_close(&k->c, DOIP_CL_CALLER);
			conn_free(k);
			return e;
		}
		doip_conn_sent(&k->c, (size_t)w, cio_now_ns());
	}
	ev_io_stop(k->d->loop, &k->wio);
	return 0;
}

static void conn_arm(struct doip_sim_conn *k)
{
	cio_ev_arm(k->d->loop, &k->tm, doip_conn_deadline(&k->c));
}

/* The answer to k's routing activation; resume: decided later than its
 * input stopped (alive checks), so its input goes on from here. */
static void ra_decided(struct doip_sim_conn *k, uint8_t code, int resume)
{
	struct doip_sim *d = k->d;
	size_t i;

	k->ra_wait = 0;
	for (i = 0; i < DOIP_SIM_SOCKETS; i++)
		if (d->conns[i].alive_for == k)
			d->conns[i].alive_for = NULL;
	say(d, UDS_SIM_IO_VERBOSE, "doip: %s routing activation for 0x%04X: code 0x%02X", k->peer,
	    k->c.ra_sa, code);
	doip_conn_ra_reply(&k->c, code, NULL, cio_now_ns());
	if (resume)
		conn_process(k);
}

/* Alive-checks j for k's activation.  Returns 1 if the check runs. */
static int check_alive(struct doip_sim_conn *k, struct doip_sim_conn *j, uint64_t now)
{
	/* one activation at a time per socket checked; another one is
	 * answered as if j had answered */
	if (j->alive_for || doip_conn_alive_check(&j->c, now))
		return 0;
	j->alive_for = k;
	k->ra_wait++;
	cio_ev_arm(j->d->loop, &j->tm, doip_conn_deadline(&j->c));
	return 1;
}

/*
 * Routing activation: the tester range, the activation type; then one
 * socket per tester address (0x03) and at most DOIP_SIM_MCTS registered
 * sockets (0x01), each refusal only after the sockets in the way failed
 * to answer an alive check (ISO 13400-2): a tester that vanished without
 * closing must not lock the entity.
 */
static void on_ra(struct doip_sim_conn *k, const struct doip_msg *m, uint64_t now)
{
	struct doip_sim *d = k->d;
	struct doip_sim_conn *same = NULL;
	uint16_t sa = m->u.ra.sa;
	size_t i, active = 0;

	if (sa < d->cfg->doip.tester_min || sa > d->cfg->doip.tester_max) {
		ra_decided(k, DOIP_RA_UNKNOWN_SA, 0);
		return;
	}
	if (m->u.ra.type != DOIP_ACT_DEFAULT && m->u.ra.type != DOIP_ACT_WWH_OBD) {
		ra_decided(k, DOIP_RA_BAD_TYPE, 0);
		return;
	}
	if (k->c.active) { /* the same SA again on its own socket */
		ra_decided(k, DOIP_RA_OK, 0);
		return;
	}
	for (i = 0; i < DOIP_SIM_SOCKETS; i++) {
		struct doip_sim_conn *j = &d->conns[i];

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
		conn_flush(same);
	} else if (active >= DOIP_SIM_MCTS) {
		k->ra_code = DOIP_RA_NO_SOCKET;
		for (i = 0; i < DOIP_SIM_SOCKETS; i++) {
			struct doip_sim_conn *j = &d->conns[i];

			if (j != k && j->fd >= 0 && j->c.active && check_alive(k, j, now))
				conn_flush(j);
		}
	} else {
		ra_decided(k, DOIP_RA_OK, 0);
		return;
	}
	if (!k->ra_wait)
		ra_decided(k, k->ra_code, 0);
	else
		say(d, UDS_SIM_IO_VERBOSE,
		    "doip: %s routing activation for 0x%04X: %u alive check%s", k->peer, sa,
		    k->ra_wait, k->ra_wait == 1 ? "" : "s");
}

/* j answered its alive check: the activation waiting for it is refused
 * once every socket checked for it answered. */
static void on_alive(struct doip_sim_conn *j)
{
	struct doip_sim_conn *k = j->alive_for;

	j->alive_for = NULL;
	if (!k || k->fd < 0 || !k->ra_wait)
		return;
	if (--k->ra_wait == 0)
		ra_decided(k, k->ra_code, 1);
}

/* A whole diagnostic message to one of our ECUs (the engine checked the
 * source and target addresses and the length already). */
static void on_diag(struct doip_sim_conn *k, const struct doip_ev *ev, uint64_t now)
{
	struct doip_sim *d = k->d;
	uint16_t ta = ev->m.u.diag.ta;
	size_t i;

	if (ev->off || ev->m.u.diag.len != ev->total) {
		/* longer than the receive buffer: cannot happen, as each
		 * target's max_len is at most the buffer, but never half */
		doip_conn_diag_ack(&k->c, ta, DOIP_DN_TOO_LARGE, NULL, 0, now);
		doip_conn_diag_drop(&k->c);
		return;
	}
	for (i = 0; i < d->cfg->necus; i++)
		if (d->cfg->ecus[i].doip_la == ta)
			break;
	if (i == d->cfg->necus) {
		doip_conn_diag_ack(&k->c, ta, DOIP_DN_UNKNOWN_TA, NULL, 0, now);
		return;
	}
	/* ACK first: the answer, even an immediate one, follows it */
	doip_conn_diag_ack(&k->c, ta, DOIP_DIAG_ACK, NULL, 0, now);
	d->ecu_conn[i] = k;
	conn_flush(k);
	if (k->fd < 0)
		return;
	uds_sim_io_request(&d->run->ecus[i], ev->m.u.diag.data, ev->m.u.diag.len, 0);
}

/* Feeds what was read to the engine until it is consumed or the output
 * is full (then reading pauses until the peer takes our bytes). */
static void conn_process(struct doip_sim_conn *k)
{
	struct doip_ev ev;
	uint64_t now;
	size_t n;

	while (k->fd >= 0) {
		now = cio_now_ns();
		n = doip_conn_input(&k->c, k->in + k->in_off, k->in_len - k->in_off, now, &ev);
		k->in_off += n;
		switch (ev.kind) {
		case DOIP_EV_MSG:
			if (ev.m.type == DOIP_T_RA_REQ)
				on_ra(k, &ev.m, now);
			else if (ev.m.type == DOIP_T_ALIVE_RSP)
				on_alive(k);
			break;
		case DOIP_EV_DIAG:
			on_diag(k, &ev, now);
			break;
		case DOIP_EV_TX_FULL:
			conn_flush(k);
			if (k->fd >= 0 && ev_is_active(&k->wio)) {
				/* the peer does not read: neither do we */
				ev_io_stop(k->d->loop, &k->rio);
				return;
			}
			break;
		case DOIP_EV_CLOSED:
			conn_flush(k);
			conn_free(k);
			return;
		default:
			break;
		}
		if (k->fd < 0)
			return;
		if (ev.kind == DOIP_EV_PAUSED || (ev.kind == DOIP_EV_MSG && k->c.ra_pending)) {
			/* an activation waits for alive checks: so does this
			 * socket's input (ra_decided() goes on with it) */
			conn_flush(k);
			if (k->fd >= 0) {
				ev_io_stop(k->d->loop, &k->rio);
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
	conn_flush(k);
	if (k->fd >= 0) {
		ev_io_start(k->d->loop, &k->rio);
		conn_arm(k);
	}
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct doip_sim_conn *k = w->data;
	ssize_t r;

	(void)loop;
	(void)revents;
	if (k->in_off < k->in_len)
		return; /* still paused on output */
	r = recv(k->fd, k->in, sizeof(k->in), 0);
	if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (r <= 0) {
		doip_conn_close(&k->c, DOIP_CL_CALLER);
		conn_free(k);
		return;
	}
	k->in_off = 0;
	k->in_len = (size_t)r;
	conn_process(k);
}

static void on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct doip_sim_conn *k = w->data;

	(void)loop;
	(void)revents;
	if (conn_flush(k) || k->fd < 0)
		return;
	if (!ev_is_active(&k->wio) && k->in_off < k->in_len)
		conn_process(k);
}

static void on_conn_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct doip_sim_conn *k = w->data;

	(void)loop;
	(void)revents;
	if (doip_conn_timers(&k->c, cio_now_ns()) != DOIP_CL_NONE) {
		conn_flush(k);
		conn_free(k);
		return;
	}
	conn_flush(k);
	if (k->fd >= 0)
		conn_arm(k);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct doip_sim *d = w->data;
	struct doip_conn_cfg cc;
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	struct doip_sim_conn *k = NULL;
	int fd, one = 1;
	size_t i;

	(void)revents;
	fd = accept4(d->lfd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < DOIP_SIM_SOCKETS && !k; i++)
		if (d->conns[i].fd < 0)
			k = &d->conns[i];
	if (!k) {
		/* every socket is taken: ISO 13400-2 lets the entity refuse
		 * the connection itself */
		d->refused++;
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	k->fd = fd;
	k->in_off = k->in_len = 0;
	snprintf(k->peer, sizeof(k->peer), "%s:%u", inet_ntoa(peer.sin_addr), ntohs(peer.sin_port));
	doip_conn_cfg_init(&cc, DOIP_ENTITY, d->ent.la);
	cc.targets = d->targets;
	cc.n_targets = d->cfg->necus;
	doip_conn_init(&k->c, &cc, k->rx, d->rx_cap, k->tx, d->tx_cap, cio_now_ns());
	ev_io_init(&k->rio, on_read, fd, EV_READ);
	ev_io_init(&k->wio, on_write, fd, EV_WRITE);
	k->rio.data = k->wio.data = k;
	ev_io_start(loop, &k->rio);
	d->st.ncts++;
	conn_arm(k);
	say(d, UDS_SIM_IO_VERBOSE, "doip: %s connected", k->peer);
}

/* ---- the answers of the ECUs */

static int sink(void *ctx, struct uds_sim_io_ecu *e, const uint8_t *p, size_t n)
{
	struct doip_sim *d = ctx;
	size_t i = (size_t)(e - d->run->ecus);
	struct doip_sim_conn *k = i < d->cfg->necus ? d->ecu_conn[i] : NULL;
	uint64_t now = cio_now_ns();
	int r;

	if (!k || k->fd < 0 || !k->c.active) {
		d->answers_dropped++;
		return -ENOTCONN;
	}
	r = doip_conn_send_diag(&k->c, e->cfg->doip_la, k->c.sa, p, n, now);
	if (r == -ENOBUFS) {
		/* what the peer has not read yet is in the way: try once */
		if (conn_flush(k) || k->fd < 0)
			return -ENOTCONN;
		r = doip_conn_send_diag(&k->c, e->cfg->doip_la, k->c.sa, p, n, now);
	}
	if (!r)
		conn_flush(k);
	return r;
}

/* ---- UDP: vehicle identification */

static void on_udp(struct ev_loop *loop, ev_io *w, int revents)
{
	struct doip_sim *d = w->data;
	uint8_t in[UDP_MAX], out[UDP_MAX];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	size_t olen = 0;
	uint8_t nack;
	ssize_t r;

	(void)loop;
	(void)revents;
	r = recvfrom(d->ufd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
	if (r < 0)
		return;
	d->udp_in++;
	if (doip_entity_udp(&d->ent, &d->st, in, (size_t)r, out, sizeof(out), &olen, &nack) ||
	    !olen)
		return;
	if (sendto(d->ufd, out, olen, 0, (struct sockaddr *)&from, fl) == (ssize_t)olen)
		d->udp_out++;
	say(d, UDS_SIM_IO_VERBOSE, "doip: udp %s:%u: %zu bytes in, %zu out",
	    inet_ntoa(from.sin_addr), ntohs(from.sin_port), (size_t)r, olen);
}

/* ---- setup */

static int open_sock(struct doip_sim *d, int type, const struct sockaddr_in *sa)
{
	int fd, one = 1, e;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* TCP: a restart must not wait out TIME_WAIT; UDP: never, there it
	 * would let a second entity share the port silently */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	else
		setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) ||
	    (type == SOCK_STREAM && listen(fd, 8))) {
		e = -errno;
		close(fd);
		say(d, UDS_SIM_IO_ERR, "doip: %s port %u on %s: %s",
		    type == SOCK_STREAM ? "TCP" : "UDP", ntohs(sa->sin_port),
		    inet_ntoa(sa->sin_addr), strerror(-e));
		return e;
	}
	return fd;
}

int doip_sim_open(struct doip_sim *d, struct ev_loop *loop, struct uds_sim_io_run *run,
		  const struct ecusim_cfg *cfg, const char *addr, uint16_t port)
{
	struct sockaddr_in sa;
	size_t i;
	int e;

	memset(d, 0, sizeof(*d));
	d->loop = loop;
	d->run = run;
	d->cfg = cfg;
	d->ufd = d->lfd = -1;
	for (i = 0; i < DOIP_SIM_SOCKETS; i++) {
		d->conns[i].fd = -1;
		d->conns[i].d = d;
	}
	if (cfg->necus > sizeof(d->ecu_conn) / sizeof(d->ecu_conn[0])) {
		say(d, UDS_SIM_IO_ERR, "doip: at most %zu ECUs behind one entity",
		    sizeof(d->ecu_conn) / sizeof(d->ecu_conn[0]));
		return -EINVAL;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port ? port : DOIP_PORT);
	if (!addr || !*addr)
		addr = "0.0.0.0";
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		say(d, UDS_SIM_IO_ERR, "doip: '%s' is not an IPv4 address", addr);
		return -EINVAL;
	}
	doip_entity_init(&d->ent);
	d->ent.la = cfg->doip.la;
	memcpy(d->ent.vin, cfg->doip.vin, DOIP_VIN_LEN);
	memcpy(d->ent.eid, cfg->doip.eid, DOIP_EID_LEN);
	memcpy(d->ent.gid, cfg->doip.gid, DOIP_EID_LEN);
	d->ent.further_action = cfg->doip.further_action;
	d->ent.mcts = DOIP_SIM_MCTS;
	d->st.power = DOIP_PM_READY;
	d->targets = calloc(cfg->necus, sizeof(*d->targets));
	if (!d->targets)
		goto out_nomem;
	for (i = 0; i < cfg->necus; i++) {
		d->targets[i].addr = cfg->ecus[i].doip_la;
		d->targets[i].reachable = 1;
		d->targets[i].max_len = cfg->ecus[i].rx_cap;
		if (cfg->ecus[i].rx_cap > d->rx_cap)
			d->rx_cap = cfg->ecus[i].rx_cap;
		/* room for an answer and a 0x78 behind what is unsent */
		if (2 * (cfg->ecus[i].sim.max_response + 12) + 256 > d->tx_cap)
			d->tx_cap = 2 * (cfg->ecus[i].sim.max_response + 12) + 256;
	}
	for (i = 0; i < DOIP_SIM_SOCKETS; i++) {
		d->conns[i].rx = malloc(d->rx_cap);
		d->conns[i].tx = malloc(d->tx_cap);
		if (!d->conns[i].rx || !d->conns[i].tx)
			goto out_nomem;
		ev_timer_init(&d->conns[i].tm, on_conn_timer, 0, 0);
		d->conns[i].tm.data = &d->conns[i];
	}
	e = open_sock(d, SOCK_DGRAM, &sa);
	if (e < 0)
		goto out_err;
	d->ufd = e;
	e = open_sock(d, SOCK_STREAM, &sa);
	if (e < 0)
		goto out_err;
	d->lfd = e;
	ev_io_init(&d->uio, on_udp, d->ufd, EV_READ);
	ev_io_init(&d->lio, on_accept, d->lfd, EV_READ);
	d->uio.data = d->lio.data = d;
	ev_io_start(loop, &d->uio);
	ev_io_start(loop, &d->lio);
	uds_sim_io_set_sink(run, sink, d);
	for (i = 0; i < cfg->necus; i++)
		say(d, UDS_SIM_IO_VERBOSE, "%s: DoIP logical address 0x%04X", cfg->ecus[i].name,
		    cfg->ecus[i].doip_la);
	say(d, UDS_SIM_IO_VERBOSE, "doip: entity 0x%04X on %s:%u (UDP and TCP)", d->ent.la, addr,
	    ntohs(sa.sin_port));
	return 0;
out_nomem:
	say(d, UDS_SIM_IO_ERR, "out of memory");
	e = -ENOMEM;
out_err:
	doip_sim_close(d);
	return e;
}

void doip_sim_close(struct doip_sim *d)
{
	size_t i;

	if (!d->loop)
		return;
	for (i = 0; i < DOIP_SIM_SOCKETS; i++) {
		conn_free(&d->conns[i]);
		free(d->conns[i].rx);
		free(d->conns[i].tx);
		d->conns[i].rx = d->conns[i].tx = NULL;
	}
	if (d->ufd >= 0) {
		ev_io_stop(d->loop, &d->uio);
		close(d->ufd);
	}
	if (d->lfd >= 0) {
		ev_io_stop(d->loop, &d->lio);
		close(d->lfd);
	}
	d->ufd = d->lfd = -1;
	if (d->run)
		uds_sim_io_set_sink(d->run, NULL, NULL);
	free(d->targets);
	d->targets = NULL;
	d->loop = NULL;
}
