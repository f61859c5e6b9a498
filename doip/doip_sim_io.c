/* SPDX-License-Identifier: MIT */
/* doip_sim_io.c - the simulated ECUs behind a DoIP entity in a libev loop. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cio_ev.h"
#include "doip_sim_io.h"

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

/* ---- one TCP_DATA socket: doip_srv_io.c runs it, these are our parts */

static struct doip_sim_conn *sim_conn(struct doip_srv_conn *k)
{
	return (struct doip_sim_conn *)(void *)k; /* its first member */
}

static void on_closed(struct doip_srv_conn *k)
{
	struct doip_sim *d = k->srv->ctx;
	size_t i;

	if (d->st.ncts)
		d->st.ncts--;
	for (i = 0; i < d->cfg->necus; i++)
		if (d->ecu_conn[i] == sim_conn(k))
			d->ecu_conn[i] = NULL;
	say(d, UDS_SIM_IO_VERBOSE, "doip: %s closed (%s)", k->peer,
	    doip_close_name((enum doip_close)k->c.close_reason));
}

static void on_ra_done(struct doip_srv_conn *k, uint8_t code)
{
	struct doip_sim *d = k->srv->ctx;

	say(d, UDS_SIM_IO_VERBOSE, "doip: %s routing activation for 0x%04X: code 0x%02X", k->peer,
	    k->c.ra_sa, code);
}

/* Routing activation: the tester range, the activation type; then the
 * sockets' part (doip_srv_ra_arbitrate()) for DOIP_SIM_MCTS sockets. */
static void on_ra(struct doip_srv_conn *k, const struct doip_msg *m, uint64_t now)
{
	struct doip_sim *d = k->srv->ctx;
	uint16_t sa = m->u.ra.sa;
	unsigned int wait;

	if (sa < d->cfg->doip.tester_min || sa > d->cfg->doip.tester_max) {
		doip_srv_ra_decided(k, DOIP_RA_UNKNOWN_SA, 0);
		return;
	}
	if (m->u.ra.type != DOIP_ACT_DEFAULT && m->u.ra.type != DOIP_ACT_WWH_OBD) {
		doip_srv_ra_decided(k, DOIP_RA_BAD_TYPE, 0);
		return;
	}
	wait = doip_srv_ra_arbitrate(k, sa, DOIP_SIM_MCTS, now);
	if (wait)
		say(d, UDS_SIM_IO_VERBOSE,
		    "doip: %s routing activation for 0x%04X: %u alive check%s", k->peer, sa, wait,
		    wait == 1 ? "" : "s");
}

/* A whole diagnostic message to one of our ECUs (the engine checked the
 * source and target addresses and the length already). */
static void on_diag(struct doip_srv_conn *k, const struct doip_ev *ev, uint64_t now)
{
	struct doip_sim *d = k->srv->ctx;
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
	d->ecu_conn[i] = sim_conn(k);
	doip_srv_flush(k);
	if (k->fd < 0)
		return;
	uds_sim_io_request(&d->run->ecus[i], ev->m.u.diag.data, ev->m.u.diag.len, 0);
}

static const struct doip_srv_ops sim_ops = {
	.ra = on_ra,
	.ra_done = on_ra_done,
	.diag = on_diag,
	.closed = on_closed,
};

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct doip_sim *d = w->data;
	struct doip_conn_cfg cc;
	struct doip_srv_conn *k;
	int r;

	(void)loop;
	(void)revents;
	doip_conn_cfg_init(&cc, DOIP_ENTITY, d->ent.la);
	cc.targets = d->targets;
	cc.n_targets = d->cfg->necus;
	r = doip_srv_accept(&d->srv, d->lfd, &cc, &k);
	if (r == -EBUSY) /* every socket is taken: refused */
		d->refused++;
	if (r)
		return;
	d->st.ncts++;
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

	if (!k || k->s.fd < 0 || !k->s.c.active) {
		d->answers_dropped++;
		return -ENOTCONN;
	}
	r = doip_conn_send_diag(&k->s.c, e->cfg->doip_la, k->s.c.sa, p, n, now);
	if (r == -ENOBUFS) {
		/* what the peer has not read yet is in the way: try once */
		if (doip_srv_flush(&k->s) || k->s.fd < 0)
			return -ENOTCONN;
		r = doip_conn_send_diag(&k->s.c, e->cfg->doip_la, k->s.c.sa, p, n, now);
	}
	if (!r)
		doip_srv_flush(&k->s);
	return r;
}

/* ---- UDP: vehicle identification */

static void on_udp(struct ev_loop *loop, ev_io *w, int revents)
{
	struct doip_sim *d = w->data;
	struct sockaddr_in from;
	size_t nin, nout;
	int r;

	(void)loop;
	(void)revents;
	r = doip_srv_udp_answer(d->ufd, &d->ent, &d->st, &from, &nin, &nout);
	if (r == -EAGAIN)
		return;
	d->udp_in++;
	if (!r)
		return;
	if (r == 1)
		d->udp_out++;
	say(d, UDS_SIM_IO_VERBOSE, "doip: udp %s:%u: %zu bytes in, %zu out",
	    inet_ntoa(from.sin_addr), ntohs(from.sin_port), nin, nout);
}

/* ---- setup */

static int open_sock(struct doip_sim *d, int type, const struct sockaddr_in *sa)
{
	int fd = doip_srv_open_sock(type, sa), e;

	if (fd < 0) {
		e = fd;
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
	doip_srv_init(&d->srv, loop, &sim_ops, d, d->conns, DOIP_SIM_SOCKETS, sizeof(d->conns[0]));
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
	d->srv.rx_cap = d->rx_cap;
	d->srv.tx_cap = d->tx_cap;
	for (i = 0; i < DOIP_SIM_SOCKETS; i++) {
		struct doip_srv_conn *k = &d->conns[i].s;

		k->in = d->conns[i].in;
		k->in_size = sizeof(d->conns[i].in);
		k->rx = malloc(d->rx_cap);
		k->tx = malloc(d->tx_cap);
		if (!k->rx || !k->tx)
			goto out_nomem;
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
	doip_srv_close(&d->srv);
	for (i = 0; i < DOIP_SIM_SOCKETS; i++) {
		free(d->conns[i].s.rx);
		free(d->conns[i].s.tx);
		d->conns[i].s.rx = d->conns[i].s.tx = NULL;
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
