/* SPDX-License-Identifier: MIT */
/* isotp_io.c - ISO-TP engines on one cio socket in a libev loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>

#include <linux/can.h>
#include <linux/can/raw.h>
#include <sys/socket.h>

#include "isotp_io.h"

#define ISOTP_IO_ROUNDS 1024 /* batches per kick, against an engine bug */

uint64_t isotp_io_now(void)
{
	return cio_now_ns();
}

static void deliver(struct isotp_io *io, unsigned int i, unsigned int ev)
{
	if (ev && io->ch_cb[i])
		io->ch_cb[i](io, ev, io->ch_ctx[i]);
}

/* A lone consecutive frame with more to follow after STmin: its
 * confirmation waits for its echo. */
static int wants_echo(const struct isotp_io *io, unsigned int n)
{
	const struct isotp *c = io->ch[io->owner];
	const struct cf_buf *f = &io->out[io->next];
	unsigned int pci = c->cfg.tx_ae >= 0;

	return n == 1 && io->echo[io->owner] && c->tx_stmin_ns && c->tx_state == ISOTP_TX_CF &&
	       f->f.len > pci && (f->f.data[pci] >> 4) == 2;
}

/* Our frame's echo, stamped at time ts (CLOCK_REALTIME ns), in the
 * engine's monotonic time. */
static uint64_t echo_time(uint64_t ts)
{
	struct timespec r;
	uint64_t mono = cio_now_ns(), real;

	clock_gettime(CLOCK_REALTIME, &r);
	real = (uint64_t)r.tv_sec * 1000000000ull + (uint64_t)r.tv_nsec;
	if (!ts || ts > real || real - ts > mono)
		return mono;
	return mono - (real - ts);
}

/*
 * The socket failed (io->err): nothing more goes in or out, and every
 * channel hears it now, rather than waiting for a confirmation or a timer
 * that will never come (the timer stops with the socket).  Transmissions
 * end, so their buffers are the caller's again.
 */
static void fail_all(struct isotp_io *io)
{
	unsigned int i;

	ev_io_stop(io->loop, &io->rd);
	ev_io_stop(io->loop, &io->wr);
	cio_ev_pump_stop(&io->pump);
	io->await_echo = 0;
	for (i = 0; i < io->nch; i++) {
		isotp_tx_abort(io->ch[i]);
		deliver(io, i, ISOTP_EV_RX_ERR | ISOTP_EV_TX_ERR);
	}
}

/*
 * Our frames' echoes on (on: 1) or off.  Only STmin needs them: without
 * it each one is copied to us and read for nothing while the receiver
 * works, 585 per 4 KiB classic block, on the CPU the receiver needs.
 * Returns whether they are on now.
 */
static int own_echo(struct isotp_io *io, int on)
{
	if (on != io->own_on &&
	    !setsockopt(io->sock.fd, SOL_CAN_RAW, CAN_RAW_RECV_OWN_MSGS, &on, sizeof(on)))
		io->own_on = on;
	return io->own_on;
}

/* Pushes the rest of the current batch; returns 1 when it is all out. */
static int flush(struct isotp_io *io)
{
	struct cf_frame fv[ISOTP_IO_BATCH];
	unsigned int i, n = io->nout - io->next, sent = 0;
	int e, echo;

	if (!n)
		return 1;
	/* no echo to wait for (it could not be turned on): confirmed now,
	 * STmin counted from the send */
	echo = wants_echo(io, n);
	echo = own_echo(io, echo) && echo;
	for (i = 0; i < n; i++)
		fv[i] = io->out[io->next + i].f;
	e = cio_send(&io->sock, fv, n, &sent);
	io->next += sent;
	if (sent && echo) {
		io->await_echo = 1;
		io->await_id = fv[0].id;
	} else if (sent) {
		deliver(io, io->owner, isotp_sent(io->ch[io->owner], sent, cio_now_ns()));
	}
	if (!e)
		return 1;
	if (e == -ENOBUFS || e == -EAGAIN) {
		/* the queue is full: wait until it drains, never spin */
		ev_io_start(io->loop, &io->wr);
		return 0;
	}
	io->err = e;
	fail_all(io);
	return 0;
}

/* The earliest deadline of all channels; none once the socket failed. */
static uint64_t deadline(void *ctx)
{
	struct isotp_io *io = ctx;
	uint64_t d = UINT64_MAX;
	unsigned int i;

	if (io->err)
		return UINT64_MAX;
	for (i = 0; i < io->nch; i++) {
		uint64_t t = isotp_deadline(io->ch[i]);

		if (t < d)
			d = t;
	}
	return d;
}

/*
 * One round of kick(): the rest of the batch out, then the next batch.
 * One batch is out at a time; channels take turns so that one long
 * transfer cannot starve another channel's flow control.  Returns 1 when
 * a batch was taken (another may follow).
 */
static int kick_step(void *ctx, uint64_t now)
{
	struct isotp_io *io = ctx;
	unsigned int k, i = 0;

	if (io->err)
		return 0;
	/* given up by the engine (N_As) while the echo was awaited */
	if (io->await_echo && !io->ch[io->owner]->unconfirmed)
		io->await_echo = 0;
	if (io->await_echo) {
		for (k = 0; k < io->nch; k++)
			deliver(io, k, isotp_timers(io->ch[k], now));
		return 0;
	}
	if (io->next < io->nout && !flush(io))
		return 0;
	io->nout = io->next = 0;
	/* the flush took time, and the engines judge their peers by it */
	now = cio_now_ns();
	for (k = 0; k < io->nch; k++) {
		i = (io->rr + k) % io->nch;
		deliver(io, i, isotp_timers(io->ch[i], now));
		io->nout = isotp_output(io->ch[i], now, io->out, ISOTP_IO_BATCH);
		if (io->nout)
			break;
	}
	if (!io->nout)
		return 0;
	io->owner = i;
	io->rr = (i + 1) % io->nch;
	return 1;
}

/* Hands frames from the engines to the socket until nothing is due, then
 * arms the timer for the earliest deadline. */
static void kick(struct isotp_io *io)
{
	cio_ev_pump_run(&io->pump);
	if (io->err)
		ev_io_stop(io->loop, &io->wr);
}

static int dispatch(struct isotp_io *io, const struct cf_frame *f, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < io->nch; i++) {
		const struct isotp_cfg *c = &io->ch[i]->cfg;

		if (c->rx_id == f->id && !c->rx_eff == !(f->flags & CF_EFF)) {
			deliver(io, i, isotp_input(io->ch[i], f, now));
			return 1;
		}
	}
	return 0;
}

/* Takes every frame received so far; returns -1 if the socket failed. */
static int rx_drain(struct isotp_io *io)
{
	unsigned int i;
	int n;

	while ((n = cio_recv(&io->sock, &io->ring)) > 0) {
		uint64_t now = cio_now_ns();

		for (i = 0; i < (unsigned int)n; i++) {
			const struct cf_frame *f = &io->ring.views[i];

			if (f->own) {
				/* only the echo we wait for means anything */
				if (io->await_echo && f->id == io->await_id) {
					io->await_echo = 0;
					deliver(io, io->owner,
						isotp_sent(io->ch[io->owner], 1,
							   echo_time(f->ts_ns)));
				}
				continue;
			}
			if (!dispatch(io, f, now) && io->other)
				io->other(io, f, io->other_ctx);
		}
		if ((unsigned int)n < io->ring.cap)
			break;
	}
	if (n < 0 && n != -EAGAIN) {
		io->err = n;
		ev_io_stop(io->loop, &io->rd);
		for (i = 0; i < io->nch; i++)
			deliver(io, i, ISOTP_EV_RX_ERR | ISOTP_EV_TX_ERR);
		return -1;
	}
	return 0;
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct isotp_io *io = w->data;

	(void)loop;
	(void)revents;
	if (!rx_drain(io))
		kick(io);
}

void isotp_io_poll(struct isotp_io *io)
{
	if (!io->err && !rx_drain(io))
		kick(io);
}

static void on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct isotp_io *io = w->data;

	(void)revents;
	ev_io_stop(loop, &io->wr);
	kick(io);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct isotp_io *io = w->data;
	uint64_t now = cio_now_ns(), late = cio_ev_pump_late(&io->pump, now);
	unsigned int i;

	(void)loop;
	(void)revents;
	/* a frame that came in time but was not read yet is in time; libev
	 * runs timers before the reads of the same wakeup */
	if (rx_drain(io))
		return;
	/* a wakeup this late means we could not run (a loaded host): the
	 * peer had the time, we did not look */
	if (late > ISOTP_IO_STALL_NS) {
		io->stalls++;
		for (i = 0; i < io->nch; i++)
			isotp_stalled(io->ch[i], late);
	}
	kick(io);
}

static struct can_filter exact(uint32_t id, int eff)
{
	struct can_filter f;

	f.can_id = id | (eff ? CAN_EFF_FLAG : 0);
	f.can_mask = (eff ? CAN_EFF_MASK : CAN_SFF_MASK) | CAN_EFF_FLAG | CAN_RTR_FLAG;
	return f;
}

int isotp_io_open(struct isotp_io *io, struct ev_loop *loop, const char *ifname,
		  const struct isotp_cfg *cfg, uint8_t *rx_buf, size_t rx_cap, isotp_io_cb cb,
		  void *ctx)
{
	struct cio_opts o;
	int e;

	memset(io, 0, sizeof(*io));
	io->sock.fd = -1;
	io->loop = loop;
	io->cb = cb;
	io->ctx = ctx;
	isotp_init(&io->tp, cfg, rx_buf, rx_cap);
	io->ch[0] = &io->tp;
	io->ch_cb[0] = cb;
	io->ch_ctx[0] = ctx;
	io->nch = 1;
	cio_opts_init(&o);
	/* only our peers' ids reach us, and our own frames' echoes: the
	 * kernel filters, not us */
	io->filt[0] = exact(cfg->rx_id, cfg->rx_eff);
	io->filt[1] = exact(cfg->tx_id, cfg->tx_eff);
	io->nfilt = 2;
	io->echo[0] = 1;
	o.filters[0] = io->filt[0];
	o.filters[1] = io->filt[1];
	o.nfilters = 2;
	o.recv_own = 1;
	io->own_on = 1;
	o.rcvbuf = 1 << 20;
	/* a classic interface is refused now, not at the first FD frame */
	o.need_fd = cfg->tx_dl > 8;
	e = cio_open(&io->sock, ifname, &o);
	if (e)
		return e;
	e = cio_ring_init(&io->ring, 64);
	if (e) {
		cio_close(&io->sock);
		return e;
	}
	ev_io_init(&io->rd, on_read, io->sock.fd, EV_READ);
	ev_io_init(&io->wr, on_write, io->sock.fd, EV_WRITE);
	cio_ev_pump_init(&io->pump, loop, kick_step, deadline, io, ISOTP_IO_ROUNDS, on_timer);
	io->rd.data = io->wr.data = io;
	ev_io_start(loop, &io->rd);
	return 0;
}

static int add_filter(struct isotp_io *io, struct can_filter f)
{
	int e;

	if (io->nfilt == sizeof(io->filt) / sizeof(io->filt[0]))
		return -ENOSPC;
	io->filt[io->nfilt] = f;
	e = cio_set_filters(&io->sock, io->filt, io->nfilt + 1);
	if (!e)
		io->nfilt++;
	return e;
}

int isotp_io_add(struct isotp_io *io, struct isotp *c, int rx_any, isotp_io_cb cb, void *ctx)
{
	int e;

	if (io->nch == ISOTP_IO_MAX_CH)
		return -ENOSPC;
	if (!rx_any) {
		e = add_filter(io, exact(c->cfg.rx_id, c->cfg.rx_eff));
		if (!e)
			e = add_filter(io, exact(c->cfg.tx_id, c->cfg.tx_eff));
		if (e)
			return e;
	}
	io->echo[io->nch] = !rx_any;
	io->ch[io->nch] = c;
	io->ch_cb[io->nch] = cb;
	io->ch_ctx[io->nch] = ctx;
	io->nch++;
	return 0;
}

int isotp_io_filter(struct isotp_io *io, uint32_t id, uint32_t mask, isotp_io_other_cb other,
		    void *ctx)
{
	struct can_filter f = {.can_id = id, .can_mask = mask};

	io->other = other;
	io->other_ctx = ctx;
	return add_filter(io, f);
}

void isotp_io_input(struct isotp_io *io, struct isotp *c, const struct cf_frame *f)
{
	unsigned int i;

	for (i = 0; i < io->nch; i++)
		if (io->ch[i] == c)
			deliver(io, i, isotp_input(c, f, cio_now_ns()));
}

int isotp_io_send_on(struct isotp_io *io, struct isotp *c, const uint8_t *msg, size_t len)
{
	int e;

	if (io->err)
		return io->err;
	e = isotp_send(c, msg, len, cio_now_ns());
	if (!e)
		kick(io);
	return e;
}

int isotp_io_send(struct isotp_io *io, const uint8_t *msg, size_t len)
{
	return isotp_io_send_on(io, &io->tp, msg, len);
}

int isotp_io_send_stream(struct isotp_io *io, size_t len, uint8_t *ring, size_t ring_cap)
{
	int e;

	if (io->err)
		return io->err;
	e = isotp_send_stream(&io->tp, len, ring, ring_cap, cio_now_ns());
	if (!e)
		kick(io);
	return e;
}

size_t isotp_io_feed(struct isotp_io *io, const uint8_t *p, size_t n)
{
	size_t took;

	if (io->err)
		return 0;
	took = isotp_feed(&io->tp, p, n);
	/* the pump guards against re-entry: from a callback it runs again
	 * when the outer round ends */
	if (took)
		kick(io);
	return took;
}

void isotp_io_rx_room(struct isotp_io *io, size_t room)
{
	if (io->err)
		return;
	isotp_rx_room(&io->tp, room);
	kick(io);
}

void isotp_io_rx_abort(struct isotp_io *io)
{
	if (io->err)
		return;
	isotp_rx_abort(&io->tp);
	kick(io);
}

void isotp_io_close(struct isotp_io *io)
{
	if (!io->loop)
		return;
	ev_io_stop(io->loop, &io->wr);
	ev_io_stop(io->loop, &io->rd);
	cio_ev_pump_fini(&io->pump);
	cio_ring_fini(&io->ring);
	cio_close(&io->sock);
	io->loop = NULL;
}
