/* SPDX-License-Identifier: MIT */
/* isotp_io.c - ISO-TP engine on a cio socket in a libev loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>

#include <linux/can.h>

#include "isotp_io.h"

uint64_t isotp_io_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void kick(struct isotp_io *io);

static void deliver(struct isotp_io *io, unsigned int ev)
{
	if (ev && io->cb)
		io->cb(io, ev, io->ctx);
}

/* Pushes the rest of the current batch; returns 1 when it is all out. */
static int flush(struct isotp_io *io)
{
	struct cf_frame fv[ISOTP_IO_BATCH];
	unsigned int i, n = io->nout - io->next, sent = 0;
	int e;

	if (!n)
		return 1;
	for (i = 0; i < n; i++)
		fv[i] = io->out[io->next + i].f;
	e = cio_send(&io->sock, fv, n, &sent);
	io->next += sent;
	if (sent)
		deliver(io, isotp_sent(&io->tp, sent, isotp_io_now()));
	if (!e)
		return 1;
	if (e == -ENOBUFS || e == -EAGAIN) {
		/* the queue is full: wait until it drains, never spin */
		ev_io_start(io->loop, &io->wr);
		return 0;
	}
	io->err = e;
	return 0;
}

static void arm_timer(struct isotp_io *io)
{
	uint64_t d = isotp_deadline(&io->tp), now;

	ev_timer_stop(io->loop, &io->tm);
	if (d == UINT64_MAX)
		return;
	/* libev counts from its cached time: refresh it, or we fire early */
	ev_now_update(io->loop);
	now = isotp_io_now();
	ev_timer_set(&io->tm, d > now ? (double)(d - now) / 1e9 : 0, 0);
	ev_timer_start(io->loop, &io->tm);
}

/* Hands frames from the engine to the socket until nothing is due. */
static void kick(struct isotp_io *io)
{
	unsigned int guard = 0;

	while (!io->err && guard++ < 1024) {
		uint64_t now;

		if (io->next < io->nout && !flush(io))
			break;
		now = isotp_io_now();
		deliver(io, isotp_timers(&io->tp, now));
		io->nout = isotp_output(&io->tp, now, io->out, ISOTP_IO_BATCH);
		io->next = 0;
		if (!io->nout)
			break;
	}
	if (io->err) {
		ev_io_stop(io->loop, &io->wr);
		ev_timer_stop(io->loop, &io->tm);
		return;
	}
	arm_timer(io);
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct isotp_io *io = w->data;
	unsigned int i;
	int n;

	(void)loop;
	(void)revents;
	while ((n = cio_recv(&io->sock, &io->ring)) > 0) {
		uint64_t now = isotp_io_now();

		for (i = 0; i < (unsigned int)n; i++)
			deliver(io, isotp_input(&io->tp, &io->ring.views[i], now));
		if ((unsigned int)n < io->ring.cap)
			break;
	}
	if (n < 0 && n != -EAGAIN) {
		io->err = n;
		ev_io_stop(io->loop, &io->rd);
		deliver(io, ISOTP_EV_RX_ERR | ISOTP_EV_TX_ERR);
		return;
	}
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

	(void)loop;
	(void)revents;
	kick(io);
}

int isotp_io_open(struct isotp_io *io, struct ev_loop *loop, const char *ifname,
		  const struct isotp_cfg *cfg, uint8_t *rx_buf, size_t rx_cap,
		  isotp_io_cb cb, void *ctx)
{
	struct cio_opts o;
	int e;

	memset(io, 0, sizeof(*io));
	io->sock.fd = -1;
	io->loop = loop;
	io->cb = cb;
	io->ctx = ctx;
	isotp_init(&io->tp, cfg, rx_buf, rx_cap);
	cio_opts_init(&o);
	/* only our peer's id reaches us: the kernel filters, not us */
	o.filters[0].can_id = cfg->rx_id | (cfg->rx_eff ? CAN_EFF_FLAG : 0);
	o.filters[0].can_mask = (cfg->rx_eff ? CAN_EFF_MASK : CAN_SFF_MASK) |
				CAN_EFF_FLAG | CAN_RTR_FLAG;
	o.nfilters = 1;
	o.rcvbuf = 1 << 20;
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
	ev_timer_init(&io->tm, on_timer, 0, 0);
	io->rd.data = io->wr.data = io->tm.data = io;
	ev_io_start(loop, &io->rd);
	return 0;
}

int isotp_io_send(struct isotp_io *io, const uint8_t *msg, size_t len)
{
	int e;

	if (io->err)
		return io->err;
	e = isotp_send(&io->tp, msg, len, isotp_io_now());
	if (!e)
		kick(io);
	return e;
}

void isotp_io_close(struct isotp_io *io)
{
	if (!io->loop)
		return;
	ev_io_stop(io->loop, &io->rd);
	ev_io_stop(io->loop, &io->wr);
	ev_timer_stop(io->loop, &io->tm);
	cio_ring_fini(&io->ring);
	cio_close(&io->sock);
	io->loop = NULL;
}
