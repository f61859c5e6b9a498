/* SPDX-License-Identifier: MIT */
/* uds_io.c - UDS client over ISO-TP channels in a libev loop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/can.h>

#include "uds_io.h"

void uds_io_cfg_11bit(struct uds_io_cfg *c, uint32_t tx, uint32_t rx)
{
	memset(c, 0, sizeof(*c));
	isotp_cfg_init(&c->tp);
	c->tp.tx_id = tx;
	c->tp.rx_id = rx;
	c->functional = 1;
	c->func_id = 0x7DF;
	c->resp_id = 0x7E8;
	c->resp_mask = 0x7F8;
	c->rx_cap = 65536;
}

void uds_io_cfg_29bit(struct uds_io_cfg *c, uint8_t ta, uint8_t sa)
{
	memset(c, 0, sizeof(*c));
	isotp_cfg_init(&c->tp);
	isotp_cfg_fixed(&c->tp, ta, sa, 0);
	c->functional = 1;
	c->func_id = 0x18DB0000u | 0x33u << 8 | sa;
	c->func_eff = 1;
	c->resp_id = 0x18DA0000u | (uint32_t)sa << 8;
	c->resp_mask = 0x1FFFFF00u;
	c->rx_cap = 65536;
}

uint32_t uds_io_request_id(const struct uds_io_cfg *c, uint32_t resp)
{
	if (c->tp.rx_eff)
		return (resp & 0x1FFF0000u) | (resp & 0xFF) << 8 | ((resp >> 8) & 0xFF);
	return resp - 8;
}

#define UDS_IO_ROUNDS 256 /* rounds of one pump, against an engine bug */

static void pump(struct uds_io *u);

static void report(struct uds_io *u, unsigned int ev)
{
	if (ev && u->cb)
		u->cb(u, ev, u->ctx);
}

/* ISO-TP events of one channel, turned into client input. */
static void on_tp(struct isotp_io *io, unsigned int ev, void *ctx)
{
	struct uds_io_peer *p = ctx;
	struct uds_io *u = p->u;
	/* the physical channel's engine is the adapter's own io.tp */
	struct isotp *tp = p == &u->phys ? &io->tp : &p->tp;
	uint64_t now = cio_now_ns();
	uint32_t src = tp->cfg.rx_id;

	if (ev & ISOTP_EV_TX_DONE && p->tx_kind) {
		report(u, uds_client_sent(&u->cl, p->tx_kind, now));
		p->tx_kind = 0;
	}
	if (ev & ISOTP_EV_TX_ERR && p->tx_kind) {
		report(u, uds_client_tx_error(&u->cl, p->tx_kind, io->err ? io->err : tp->tx_err,
					      now));
		p->tx_kind = 0;
	}
	if (ev & ISOTP_EV_RX_FF)
		report(u, uds_client_rx_start(&u->cl, src, now));
	if (ev & ISOTP_EV_RX)
		report(u, uds_client_input(&u->cl, src, tp->rx_buf, tp->rx_len, now));
	if (ev & ISOTP_EV_RX_ERR)
		report(u, uds_client_rx_error(&u->cl, src, io->err ? io->err : tp->rx_err, now));
	if (io->err)
		u->err = io->err;
	pump(u);
}

/* A frame from an ECU we have no channel for yet: one is made for it. */
static void on_other(struct isotp_io *io, const struct cf_frame *f, void *ctx)
{
	struct uds_io *u = ctx;
	struct uds_io_peer *p;
	struct isotp_cfg c;

	/* the socket also hears our own request id (echoes, other testers) */
	if ((f->id & u->cfg.resp_mask) != (u->cfg.resp_id & u->cfg.resp_mask) ||
	    !(f->flags & CF_EFF) != !u->cfg.tp.rx_eff)
		return;
	if (u->npeers == UDS_IO_MAX_PEERS)
		return;
	if (!(u->cl.flags & UDS_REQ_FUNCTIONAL) || u->cl.state == UDS_IDLE)
		return;
	p = &u->peer[u->npeers];
	if (!p->buf) {
		p->buf = malloc(u->cfg.rx_cap);
		if (!p->buf)
			return;
	}
	c = u->cfg.tp;
	c.rx_id = f->id;
	c.tx_id = uds_io_request_id(&u->cfg, f->id);
	isotp_init(&p->tp, &c, p->buf, u->cfg.rx_cap);
	p->u = u;
	p->tx_kind = 0;
	if (isotp_io_add(io, &p->tp, 1, on_tp, p))
		return;
	u->npeers++;
	isotp_io_input(io, &p->tp, f);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct uds_io *u = w->data;
	uint64_t now = cio_now_ns(), late = cio_ev_pump_late(&u->pump, now);

	(void)loop;
	(void)revents;
	/* an answer already received is in time: read it before P2 judges
	 * (libev runs timers before the reads of the same wakeup) */
	isotp_io_poll(&u->io);
	if (u->io.err)
		return;
	/* and time we could not run is not the ECU's */
	if (late > ISOTP_IO_STALL_NS) {
		u->stalls++;
		uds_client_stalled(&u->cl, late);
	}
	pump(u);
}

static void send_one(struct uds_io *u, const struct uds_tx *tx)
{
	struct uds_io_peer *p = tx->functional ? &u->func : &u->phys;
	struct isotp *tp = tx->functional ? &u->func.tp : &u->io.tp;
	int e;

	if (p->tx_kind) {
		/* a keep-alive may wait for the next period; a request may
		 * not be stuck behind one */
		if (tx->kind == UDS_TX_TESTER)
			return;
		isotp_tx_abort(tp);
	}
	p->tx_kind = tx->kind;
	e = isotp_io_send_on(&u->io, tp, tx->data, tx->len);
	if (e) {
		p->tx_kind = 0;
		report(u, uds_client_tx_error(&u->cl, tx->kind, e, cio_now_ns()));
	}
}

/*
 * One round of the pump: the client's timers, then everything it has to
 * send now.  Returns 0: a round sends all there is; only events that come
 * back in while we send (a single frame is confirmed at once) ask for
 * another, through cio_ev_pump_run().
 */
static int pump_step(void *ctx, uint64_t now)
{
	struct uds_io *u = ctx;
	struct uds_tx tx;
	unsigned int ev, guard = 0;

	while ((ev = uds_client_timers(&u->cl, now)) != 0) {
		report(u, ev);
		if (++guard > 4 * UDS_CLIENT_MAX_PEERS)
			break;
	}
	while (uds_client_output(&u->cl, now, &tx) && guard++ < 64)
		send_one(u, &tx);
	return 0;
}

static uint64_t pump_deadline(void *ctx)
{
	return uds_client_deadline(&((struct uds_io *)ctx)->cl);
}

/* Runs the client until it has nothing more to do now, then arms its
 * timer. */
static void pump(struct uds_io *u)
{
	cio_ev_pump_run(&u->pump);
}

int uds_io_open(struct uds_io *u, struct ev_loop *loop, const char *ifname,
		const struct uds_io_cfg *cfg, const struct uds_client_cfg *ccfg, uds_io_cb cb,
		void *ctx)
{
	struct isotp_cfg fc;
	int e;

	memset(u, 0, sizeof(*u));
	u->cfg = *cfg;
	if (!u->cfg.rx_cap)
		u->cfg.rx_cap = 65536;
	u->loop = loop;
	u->cb = cb;
	u->ctx = ctx;
	u->phys.u = u->func.u = u;
	uds_client_init(&u->cl, ccfg);
	u->phys.buf = malloc(u->cfg.rx_cap);
	if (!u->phys.buf)
		return -ENOMEM;
	e = isotp_io_open(&u->io, loop, ifname, &cfg->tp, u->phys.buf, u->cfg.rx_cap, on_tp,
			  &u->phys);
	if (e)
		goto out_free;
	/* the functional channel only sends single frames */
	fc = cfg->tp;
	fc.tx_id = cfg->func_id;
	fc.tx_eff = cfg->func_eff;
	fc.rx_id = cfg->func_id;
	fc.rx_eff = cfg->func_eff;
	/* nor answers another tester's first frame there with an FC */
	fc.functional = 1;
	isotp_init(&u->func.tp, &fc, NULL, 0);
	e = isotp_io_add(&u->io, &u->func.tp, 1, on_tp, &u->func);
	if (!e && cfg->functional)
		e = isotp_io_filter(&u->io, cfg->resp_id | (cfg->tp.rx_eff ? CAN_EFF_FLAG : 0),
				    cfg->resp_mask | CAN_EFF_FLAG | CAN_RTR_FLAG, on_other, u);
	if (e)
		goto out_close;
	cio_ev_pump_init(&u->pump, loop, pump_step, pump_deadline, u, UDS_IO_ROUNDS, on_timer);
	return 0;
out_close:
	isotp_io_close(&u->io);
out_free:
	free(u->phys.buf);
	u->phys.buf = NULL;
	return e;
}

/* Largest single frame payload on the functional channel. */
static size_t sf_max(const struct isotp_cfg *c)
{
	size_t ae = c->tx_ae >= 0;

	return c->tx_dl > 8 ? (size_t)c->tx_dl - 2 - ae : 7 - ae;
}

int uds_io_request(struct uds_io *u, const uint8_t *req, size_t len, unsigned int flags)
{
	int e;

	if (u->err)
		return u->err;
	if (flags & UDS_REQ_FUNCTIONAL) {
		if (!u->cfg.functional)
			return -EINVAL;
		if (len > sf_max(&u->func.tp.cfg))
			return -EMSGSIZE;
	}
	e = uds_client_request(&u->cl, req, len, flags, cio_now_ns());
	if (!e)
		pump(u);
	return e;
}

void uds_io_close(struct uds_io *u)
{
	unsigned int i;

	if (!u->loop)
		return;
	cio_ev_pump_fini(&u->pump);
	isotp_io_close(&u->io);
	free(u->phys.buf);
	for (i = 0; i < UDS_IO_MAX_PEERS; i++)
		free(u->peer[i].buf);
	u->loop = NULL;
}
