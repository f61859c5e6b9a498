/* SPDX-License-Identifier: MIT */
/*
 * isotp_io.h - the thin adapter that runs an ISO-TP channel (isotp.h) on a
 * SocketCAN raw socket (cio.h) inside a libev loop.
 *
 * The adapter owns the socket and its watchers; the engine does the
 * protocol.  Frames go out in batches with sendmmsg; a full queue
 * (ENOBUFS) parks the rest of a batch behind a write watcher, never a
 * spin.  With STmin, each consecutive frame waits for the echo of the
 * previous one (CAN_RAW_RECV_OWN_MSGS) and STmin counts from that echo's
 * timestamp, the very time every listener on the bus stamps it with: no
 * receiver can then measure a gap below STmin.
 */
#ifndef CANRIG_ISOTP_IO_H
#define CANRIG_ISOTP_IO_H

#include <ev.h>

#include "cio.h"
#include "cio_ev.h"
#include "isotp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ISOTP_IO_BATCH	64
#define ISOTP_IO_MAX_CH 32 /* channels on one socket */

struct isotp_io;

/*
 * Called with the engine's events (ISOTP_EV_*).  For ISOTP_EV_RX the
 * message is io->tp.rx_buf[0 .. io->tp.rx_len), valid during the call.
 */
typedef void (*isotp_io_cb)(struct isotp_io *io, unsigned int events, void *ctx);

/* Called for a received frame that no channel's rx_id matches. */
typedef void (*isotp_io_other_cb)(struct isotp_io *io, const struct cf_frame *f, void *ctx);

struct isotp_io {
	struct isotp tp; /* the channel of isotp_io_open() */
	struct cio_sock sock;
	struct cio_ring ring;
	struct ev_loop *loop;
	ev_io rd, wr;
	struct cio_ev_pump pump; /* kick(): frames out, timer for the deadlines */
	isotp_io_cb cb;
	void *ctx;
	/* channels: [0] is tp, more come from isotp_io_add() */
	struct isotp *ch[ISOTP_IO_MAX_CH];
	isotp_io_cb ch_cb[ISOTP_IO_MAX_CH];
	void *ch_ctx[ISOTP_IO_MAX_CH];
	uint8_t echo[ISOTP_IO_MAX_CH]; /* its own frames come back to us */
	unsigned int nch, rr;
	isotp_io_other_cb other;
	void *other_ctx;
	struct can_filter filt[2 * ISOTP_IO_MAX_CH + 1];
	unsigned int nfilt;
	struct cf_buf out[ISOTP_IO_BATCH];
	unsigned int nout, next; /* batch handed out, frames taken so far */
	unsigned int owner;	 /* channel the batch came from */
	int await_echo;		 /* a CF's confirmation waits for its echo */
	int own_on;		 /* CAN_RAW_RECV_OWN_MSGS as set on sock now */
	uint32_t await_id;
	int err;	 /* socket error that stopped the channel */
	uint64_t stalls; /* times the timer fired ISOTP_IO_STALL_NS late */
};

/* A timer firing this late means this process could not run: the time is
 * not charged to the peer (isotp_stalled()). */
#define ISOTP_IO_STALL_NS 20000000ull

/* Monotonic time in nanoseconds, the engine's clock: cio_now_ns(). */
uint64_t isotp_io_now(void);

/*
 * Opens a raw socket on ifname that receives only cfg->rx_id, and starts
 * watching it on loop.  rx_buf (rx_cap bytes) is borrowed for the life of
 * io.  Returns 0 or a cio_open() error (-ENODEV, -EAFNOSUPPORT, ...;
 * -EMSGSIZE when cfg->tx_dl > 8 asks for CAN FD of a classic interface).
 * A socket error later (io->err, sticky) stops the socket and gives every
 * channel ISOTP_EV_RX_ERR | ISOTP_EV_TX_ERR at once.
 */
int isotp_io_open(struct isotp_io *io, struct ev_loop *loop, const char *ifname,
		  const struct isotp_cfg *cfg, uint8_t *rx_buf, size_t rx_cap, isotp_io_cb cb,
		  void *ctx);

/* Starts sending msg (borrowed until TX_DONE/TX_ERR); see isotp_send(). */
int isotp_io_send(struct isotp_io *io, const uint8_t *msg, size_t len);

/* Starts a streamed send on io's channel (ring borrowed until TX_DONE,
 * TX_ERR or close); see isotp_send_stream(). */
int isotp_io_send_stream(struct isotp_io *io, size_t len, uint8_t *ring, size_t ring_cap);

/* Feeds bytes of io's streamed send and sends what became due; returns
 * how many it took (isotp_feed()).  May be called from io's callback. */
size_t isotp_io_feed(struct isotp_io *io, const uint8_t *p, size_t n);

/*
 * Adds channel c (set up by the caller with isotp_init(), borrowed until
 * isotp_io_close()) on the same socket: frames with its rx_id go to it and
 * its frames go out through the socket; cb gets its events with ctx.  The
 * kernel filter is widened to its rx_id unless rx_any is set (a wider
 * filter from isotp_io_filter() already covers it, or it only sends).
 * Returns 0, -ENOSPC (ISOTP_IO_MAX_CH) or a setsockopt error.
 */
int isotp_io_add(struct isotp_io *io, struct isotp *c, int rx_any, isotp_io_cb cb, void *ctx);

/* Starts sending msg on channel c of io; see isotp_send(). */
int isotp_io_send_on(struct isotp_io *io, struct isotp *c, const uint8_t *msg, size_t len);

/*
 * Also receives frames matching id/mask (kernel struct can_filter form);
 * those that no channel takes go to other(io, frame, ctx), which may add a
 * channel for them with isotp_io_add() and feed the frame with
 * isotp_io_input().  Returns 0 or a setsockopt error.
 */
int isotp_io_filter(struct isotp_io *io, uint32_t id, uint32_t mask, isotp_io_other_cb other,
		    void *ctx);

/* Takes every frame already received, then does what is due; for a
 * timer of the caller's own that must not judge the peer before reading
 * what it sent. */
void isotp_io_poll(struct isotp_io *io);

/* Feeds frame f to channel c now, as if it had just been received. */
void isotp_io_input(struct isotp_io *io, struct isotp *c, const struct cf_frame *f);

/* Stops the watchers and closes the socket; safe to call twice. */
void isotp_io_close(struct isotp_io *io);

/* A streamed reception on tp (cfg.rx_stream): the consumer takes room
 * bytes from now on (isotp_rx_room()); the FC it allows goes out now. */
void isotp_io_rx_room(struct isotp_io *io, size_t room);

/* Ends tp's reception in progress (isotp_rx_abort()), no event. */
void isotp_io_rx_abort(struct isotp_io *io);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_ISOTP_IO_H */
