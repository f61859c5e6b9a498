/* SPDX-License-Identifier: MIT */
/* uds_sim_io.c - simulated ECUs on ISO-TP channels in a libev loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uds_sim_io.h"

#define LOG_BYTES      24
#define UDS_SIM_ROUNDS 1024 /* answers per pump, against an engine bug */

static void say(struct uds_sim_io_run *s, enum uds_sim_io_msg kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct uds_sim_io_run *s, enum uds_sim_io_msg kind, const char *fmt, ...)
{
	va_list ap;

	if (!s->ops.msg || (kind == UDS_SIM_IO_VERBOSE && !s->ops.verbose))
		return;
	va_start(ap, fmt);
	s->ops.msg(s->ops.ctx, kind, fmt, ap);
	va_end(ap);
}

/* A request or answer, its first LOG_BYTES bytes, for a verbose user. */
static void log_msg(struct uds_sim_io_ecu *e, const char *dir, const uint8_t *p, size_t n)
{
	uint64_t t = cio_now_ns() - e->s->t0;
	char hex[3 * LOG_BYTES + 40];
	size_t i, k = 0;

	if (!e->s->ops.verbose)
		return;
	hex[0] = 0;
	for (i = 0; i < n && i < LOG_BYTES; i++)
		k += (size_t)snprintf(hex + k, sizeof(hex) - k, " %02X", p[i]);
	if (n > LOG_BYTES)
		snprintf(hex + k, sizeof(hex) - k, " ... (%zu bytes)", n);
	say(e->s, UDS_SIM_IO_VERBOSE, "(%llu.%06llu) %s %s%s",
	    (unsigned long long)(t / 1000000000ull), (unsigned long long)(t % 1000000000ull / 1000),
	    e->cfg->name, dir, hex);
}

/* ---- external key command */

/*
 * Says 0x78 (response pending) for sid at once, straight on the socket:
 * an external key command may take longer than P2, and a real ECU busy
 * with a computation says so instead of going quiet.  Only while nothing
 * else is being sent, and without involving the engine, which is in the
 * middle of the request.
 */
static void pending_now(struct uds_sim_io_ecu *e, uint8_t sid)
{
	const struct isotp_cfg *c = &e->cfg->phys;
	uint8_t d[CF_MAX_LEN];
	struct cf_frame f;
	unsigned int i = 0, sent;

	if (e->ext) {
		const uint8_t p[3] = {0x7F, sid, 0x78};

		if (e->s->sink && e->s->sink(e->s->sink_ctx, e, p, sizeof(p)))
			e->ext_drops++;
		return;
	}
	if (e->tx_active || !e->phys_open)
		return;
	memset(&f, 0, sizeof(f));
	if (c->tx_ae >= 0)
		d[i++] = (uint8_t)c->tx_ae;
	d[i++] = 0x03;
	d[i++] = 0x7F;
	d[i++] = sid;
	d[i++] = 0x78;
	while (c->pad && i < 8)
		d[i++] = c->pad_byte;
	f.id = c->tx_id;
	f.flags = c->tx_eff ? CF_EFF : 0;
	if (c->tx_dl > 8)
		f.flags |= CF_FD | (c->brs ? CF_BRS : 0);
	f.len = (uint8_t)i;
	f.data = d;
	cio_send(&e->phys.sock, &f, 1, &sent);
}

static int key_fn(void *ctx, uint8_t level, const uint8_t *seed, size_t n, uint8_t *key, size_t cap,
		  size_t *keylen)
{
	struct uds_sim_io_ecu *e = ctx;
	const char *tmpl = e->cfg->key_cmd[level >> 1];

	if (!tmpl)
		return -ENOENT;
	pending_now(e, 0x27);
	if (!e->s->ops.key)
		return -ENOSYS;
	return e->s->ops.key(e->s->ops.ctx, e->cfg, tmpl, level, seed, n, key, cap, keylen);
}

/* ---- download file */

static int sink_fn(void *ctx, int op, uint32_t addr, uint64_t off, const uint8_t *data, size_t n)
{
	struct uds_sim_io_ecu *e = ctx;
	const char *path = e->cfg->download_file;

	if (!path)
		return 0;
	switch (op) {
	case UDS_SIM_SINK_BEGIN:
		if (e->dl_fd >= 0)
			close(e->dl_fd);
		e->dl_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (e->dl_fd < 0) {
			int err = -errno;

			say(e->s, UDS_SIM_IO_ERR, "%s: download file %s: %s", e->cfg->name, path,
			    strerror(-err));
			return err;
		}
		say(e->s, UDS_SIM_IO_VERBOSE, "%s: download of %zu bytes at 0x%08X to %s",
		    e->cfg->name, n, addr, path);
		return 0;
	case UDS_SIM_SINK_DATA:
		while (n) {
			ssize_t k = e->dl_fd < 0 ? -1 : pwrite(e->dl_fd, data, n, (off_t)off);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				int err = e->dl_fd < 0 ? -EBADF : -errno;

				say(e->s, UDS_SIM_IO_ERR, "%s: download file %s: %s", e->cfg->name,
				    path, strerror(-err));
				return err;
			}
			data += k;
			off += (uint64_t)k;
			n -= (size_t)k;
		}
		return 0;
	case UDS_SIM_SINK_END:
		if (e->dl_fd >= 0 && close(e->dl_fd)) {
			e->dl_fd = -1;
			return -errno;
		}
		e->dl_fd = -1;
		return 0;
	}
	return -EINVAL;
}

/* ---- the loop */

static void fatal(struct uds_sim_io_ecu *e, int err)
{
	say(e->s, UDS_SIM_IO_ERR, "%s: %s: %s", e->cfg->name, e->phys.sock.ifname, strerror(-err));
	e->s->err = err;
	ev_break(e->s->loop, EVBREAK_ALL);
}

/*
 * One round of the pump: the engine's timers, then its next answer, one
 * message at a time (the ISO-TP channel borrows it until TX_DONE).
 * Returns 1 when an answer was taken (another may be due).
 */
static int pump_step(void *ctx, uint64_t now)
{
	struct uds_sim_io_ecu *e = ctx;
	size_t len;
	int r;

	if (uds_sim_timers(&e->sim, now))
		say(e->s, UDS_SIM_IO_VERBOSE, "%s: S3 timeout, back in the default session",
		    e->cfg->name);
	if (e->tx_active)
		return 0;
	r = uds_sim_output(&e->sim, now, e->tx, e->tx_cap, &len);
	if (r <= 0)
		return 0;
	log_msg(e, "->", e->tx, len);
	if (e->ext) {
		/* the sink copies it: nothing stays borrowed */
		r = e->s->sink ? e->s->sink(e->s->sink_ctx, e, e->tx, len) : -ENOTCONN;
		if (r) {
			e->ext_drops++;
			say(e->s, UDS_SIM_IO_VERBOSE, "%s: answer of %zu bytes dropped: %s",
			    e->cfg->name, len, strerror(-r));
		}
		return 1;
	}
	e->tx_active = 1;
	r = isotp_io_send(&e->phys, e->tx, len);
	if (r) {
		e->tx_active = 0;
		if (e->phys.err) {
			fatal(e, e->phys.err);
			return 0;
		}
		say(e->s, UDS_SIM_IO_ERR, "%s: answer of %zu bytes not sent: %s", e->cfg->name, len,
		    strerror(-r));
	}
	return 1;
}

static uint64_t pump_deadline(void *ctx)
{
	return uds_sim_deadline(&((struct uds_sim_io_ecu *)ctx)->sim);
}

static void on_io(struct uds_sim_io_ecu *e, struct isotp_io *io, unsigned int ev, int functional)
{
	if (ev & ISOTP_EV_RX) {
		log_msg(e, functional ? "<= func" : "<-", io->tp.rx_buf, io->tp.rx_len);
		e->ext = 0;
		uds_sim_request(&e->sim, io->tp.rx_buf, io->tp.rx_len, functional, cio_now_ns());
	}
	if (!functional && (ev & (ISOTP_EV_TX_DONE | ISOTP_EV_TX_ERR)))
		e->tx_active = 0;
	if (io->err) {
		fatal(e, io->err);
		return;
	}
	if (ev & ISOTP_EV_TX_ERR)
		say(e->s, UDS_SIM_IO_VERBOSE, "%s: answer not delivered: %s", e->cfg->name,
		    io->tp.timer ? io->tp.timer : isotp_strerror(io->tp.tx_err));
	if (ev & ISOTP_EV_RX_ERR)
		say(e->s, UDS_SIM_IO_VERBOSE, "%s: request dropped: %s", e->cfg->name,
		    io->tp.timer ? io->tp.timer : isotp_strerror(io->tp.rx_err));
	cio_ev_pump_run(&e->pump);
}

static void on_phys(struct isotp_io *io, unsigned int ev, void *ctx)
{
	on_io(ctx, io, ev, 0);
}

static void on_func(struct isotp_io *io, unsigned int ev, void *ctx)
{
	on_io(ctx, io, ev, 1);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct uds_sim_io_ecu *e = w->data;

	(void)loop;
	(void)revents;
	cio_ev_pump_run(&e->pump);
}

static int open_ecu(struct uds_sim_io_run *s, struct uds_sim_io_ecu *e, const char *ifname)
{
	char ebuf[256];
	int err;

	e->dl_fd = -1;
	e->s = s;
	e->tx_cap = e->cfg->sim.max_response;
	/* every buffer once, here: nothing is allocated per request */
	e->rx_phys = malloc(e->cfg->rx_cap);
	e->rx_func = malloc(4095);
	e->tx = malloc(e->tx_cap);
	if (!e->rx_phys || !e->rx_func || !e->tx) {
		say(s, UDS_SIM_IO_ERR, "out of memory");
		return -ENOMEM;
	}
	e->cfg->sim.key_fn = key_fn;
	e->cfg->sim.sink_fn = sink_fn;
	e->cfg->sim.cb_ctx = e;
	err = uds_sim_init(&e->sim, &e->cfg->sim, cio_now_ns());
	if (err) {
		say(s, UDS_SIM_IO_ERR, "%s: %s", e->cfg->name,
		    err == -ENOMEM ? "out of memory" : "configuration rejected by the engine");
		return err;
	}
	cio_ev_pump_init(&e->pump, s->loop, pump_step, pump_deadline, e, UDS_SIM_ROUNDS, on_timer);
	if (!ifname) {
		e->ext = 1;
		return 0;
	}
	err = isotp_io_open(&e->phys, s->loop, ifname, &e->cfg->phys, e->rx_phys, e->cfg->rx_cap,
			    on_phys, e);
	if (!err) {
		e->phys_open = 1;
		err = isotp_io_open(&e->func, s->loop, ifname, &e->cfg->func, e->rx_func, 4095,
				    on_func, e);
		e->func_open = !err;
	}
	if (err) {
		say(s, UDS_SIM_IO_ERR, "%s", cio_open_strerror(err, ifname, ebuf, sizeof(ebuf)));
		return err;
	}
	say(s, UDS_SIM_IO_VERBOSE, "%s: on %s, requests %X, answers %X, functional %X",
	    e->cfg->name, ifname, e->cfg->phys.rx_id, e->cfg->phys.tx_id, e->cfg->func.rx_id);
	return 0;
}

static void close_ecu(struct uds_sim_io_ecu *e)
{
	/* e->s: set up (at least begun); the rest of the table is zeroes */
	if (e->s)
		cio_ev_pump_fini(&e->pump);
	if (e->phys_open)
		isotp_io_close(&e->phys);
	if (e->func_open)
		isotp_io_close(&e->func);
	if (e->dl_fd >= 0 && e->s)
		close(e->dl_fd);
	uds_sim_fini(&e->sim);
	free(e->rx_phys);
	free(e->rx_func);
	free(e->tx);
}

int uds_sim_io_open(struct uds_sim_io_run *s, struct ev_loop *loop, const char *ifname,
		    struct ecusim_cfg *cfg, const struct uds_sim_io_ops *ops)
{
	size_t i;
	int err;

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	if (ops)
		s->ops = *ops;
	s->t0 = cio_now_ns();
	s->ecus = calloc(cfg->necus, sizeof(*s->ecus));
	if (!s->ecus)
		return -ENOMEM;
	s->n = cfg->necus;
	for (i = 0; i < s->n; i++) {
		s->ecus[i].cfg = &cfg->ecus[i];
		err = open_ecu(s, &s->ecus[i], ifname);
		if (err) {
			uds_sim_io_close(s);
			return err;
		}
	}
	return 0;
}

void uds_sim_io_set_sink(struct uds_sim_io_run *s, uds_sim_io_sink_fn fn, void *ctx)
{
	s->sink = fn;
	s->sink_ctx = ctx;
}

int uds_sim_io_request(struct uds_sim_io_ecu *e, const uint8_t *req, size_t len, int functional)
{
	int r;

	log_msg(e, functional ? "<= func (ext)" : "<- (ext)", req, len);
	e->ext = 1;
	r = uds_sim_request(&e->sim, req, len, functional, cio_now_ns());
	cio_ev_pump_run(&e->pump);
	return r;
}

void uds_sim_io_close(struct uds_sim_io_run *s)
{
	size_t i;

	if (!s->ecus)
		return;
	for (i = 0; i < s->n; i++)
		close_ecu(&s->ecus[i]);
	free(s->ecus);
	s->ecus = NULL;
	s->n = 0;
}
