/* SPDX-License-Identifier: MIT */
/*
 * isotp_io.h - the thin adapter that runs an ISO-TP channel (isotp.h) on a
 * SocketCAN raw socket (cio.h) inside a libev loop.
 *
 * The adapter owns the socket and its watchers; the engine does the
 * protocol.  Frames go out in batches with sendmmsg; a full queue
 * (ENOBUFS) parks the rest of a batch behind a write watcher, never a
 * spin.  STmin counts from when the kernel took the previous frame.
 */
#ifndef CANRIG_ISOTP_IO_H
#define CANRIG_ISOTP_IO_H

#include <ev.h>

#include "cio.h"
#include "isotp.h"

#define ISOTP_IO_BATCH 64

struct isotp_io;

/*
 * Called with the engine's events (ISOTP_EV_*).  For ISOTP_EV_RX the
 * message is io->tp.rx_buf[0 .. io->tp.rx_len), valid during the call.
 */
typedef void (*isotp_io_cb)(struct isotp_io *io, unsigned int events,
			    void *ctx);

struct isotp_io {
	struct isotp tp;
	struct cio_sock sock;
	struct cio_ring ring;
	struct ev_loop *loop;
	ev_io rd, wr;
	ev_timer tm;
	isotp_io_cb cb;
	void *ctx;
	struct isotp_frame out[ISOTP_IO_BATCH];
	unsigned int nout, next; /* batch handed out, frames taken so far */
	int err;                 /* socket error that stopped the channel */
};

/* Monotonic time in nanoseconds, the engine's clock. */
uint64_t isotp_io_now(void);

/*
 * Opens a raw socket on ifname that receives only cfg->rx_id, and starts
 * watching it on loop.  rx_buf (rx_cap bytes) is borrowed for the life of
 * io.  Returns 0 or a cio_open() error (-ENODEV, -EAFNOSUPPORT, ...).
 */
int isotp_io_open(struct isotp_io *io, struct ev_loop *loop, const char *ifname,
		  const struct isotp_cfg *cfg, uint8_t *rx_buf, size_t rx_cap,
		  isotp_io_cb cb, void *ctx);

/* Starts sending msg (borrowed until TX_DONE/TX_ERR); see isotp_send(). */
int isotp_io_send(struct isotp_io *io, const uint8_t *msg, size_t len);

/* Stops the watchers and closes the socket; safe to call twice. */
void isotp_io_close(struct isotp_io *io);

#endif /* CANRIG_ISOTP_IO_H */
