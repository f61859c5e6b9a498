/* SPDX-License-Identifier: MIT */
/*
 * isotp.h - ISO 15765-2:2016 transport (ISO-TP) as an I/O-free state
 * machine.
 *
 * One struct isotp is one channel: a pair of CAN ids (plus an optional
 * address byte) towards one peer, full duplex.  The caller feeds it
 * received frames with isotp_input(), asks for frames to send with
 * isotp_output(), confirms them with isotp_sent(), and calls
 * isotp_timers() when isotp_deadline() has passed.  All times are
 * monotonic nanoseconds given by the caller, so a fake clock drives the
 * unit tests exactly.  Nothing here allocates: the caller owns the
 * receive buffer and the message being sent.
 *
 * Each call returns a mask of ISOTP_EV_* events.  After ISOTP_EV_RX the
 * message is c->rx_buf[0 .. c->rx_len); it stays valid until the next
 * isotp_input().  Errors are in c->tx_err / c->rx_err (negative errno
 * values, see isotp_strerror()).
 */
#ifndef CANRIG_ISOTP_H
#define CANRIG_ISOTP_H

#include <stddef.h>
#include <stdint.h>

#include "cf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Receive padding checks (struct isotp_cfg.rx_pad_check). */
#define ISOTP_CHK_LEN  0x01 /* classic frames must be 8 bytes long */
#define ISOTP_CHK_DATA 0x02 /* padding bytes must equal rx_pad_byte */

struct isotp_cfg {
	uint32_t tx_id, rx_id;	/* CAN ids, no flag bits */
	uint8_t tx_eff, rx_eff; /* 29-bit ids */
	int16_t tx_ae, rx_ae;	/* extended (N_TA) / mixed (N_AE) address
				 * byte sent / expected first, -1: none */
	uint8_t tx_dl;		/* link data length: 8 classic, 12..64 FD */
	uint8_t brs;		/* FD: bit rate switch */
	uint8_t pad;		/* pad frames to full length */
	uint8_t pad_byte;
	uint8_t rx_pad_check; /* ISOTP_CHK_* */
	uint8_t rx_pad_byte;
	uint8_t bs;		/* block size we ask for in FC; 0 = none */
	uint8_t stmin;		/* STmin we ask for, raw (0-7F ms, F1-F9) */
	uint8_t wftmax;		/* FC WAIT frames accepted in a row */
	int32_t force_stmin_us; /* >= 0: ignore the peer's STmin, use this */
	uint32_t min_gap_us;	/* never less than this between our CFs */
	uint8_t functional;	/* a functional (1:n) channel: ISO 15765-2
				 * allows single frames only, so FF and CF
				 * received are ignored (no FC, no N_Cr) and
				 * longer messages are not sent (-EMSGSIZE) */
	uint8_t rx_stream;	/* a message longer than the receive buffer is
				 * delivered in pieces (ISOTP_EV_RX_PIECE),
				 * the sender paced by FC CTS/WAIT as the
				 * consumer makes room (isotp_rx_room());
				 * 0: FC overflow, as without it */
	/* ISO 15765-2 timers, milliseconds */
	uint32_t n_as; /* our frame sent (confirmed) after output */
	uint32_t n_ar; /* our FC sent (confirmed) after output */
	uint32_t n_bs; /* sender: FC received after FF / block */
	uint32_t n_br; /* receiver: FC due after FF / block end */
	uint32_t n_cs; /* sender: CF sent once it is due */
	uint32_t n_cr; /* receiver: next CF received */
};

/*
 * Defaults: classic 11-bit, no address bytes, padding on with 0xCC, BS 0,
 * STmin 0, WFTmax 10, all timers 1000 ms (N_Br, N_Cs: 0 = immediately).
 */
void isotp_cfg_init(struct isotp_cfg *c);

/* Normal fixed addressing: 29-bit 18DA<TA><SA> (18DB for functional). */
void isotp_cfg_fixed(struct isotp_cfg *c, uint8_t ta, uint8_t sa, int functional);

/* Events. */
#define ISOTP_EV_RX	 0x01 /* a message was received (rx_buf, rx_len) */
#define ISOTP_EV_TX_DONE 0x02 /* the message being sent was sent */
#define ISOTP_EV_RX_ERR	 0x04 /* a reception was aborted (rx_err) */
#define ISOTP_EV_TX_ERR	 0x08 /* a transmission was aborted (tx_err) */
#define ISOTP_EV_RX_FF	 0x10 /* a first frame arrived (rx_len = total) */
#define ISOTP_EV_TX_ROOM 0x20 /* a streamed send took bytes: isotp_feed() more */
/* a streamed reception's next bytes: rx_piece, rx_piece_len; the last
 * when rx_pos == rx_len */
#define ISOTP_EV_RX_PIECE 0x40

/* A streamed send waits at most this long for the bytes of a frame that is
 * due, when cfg.n_cs is 0: below the usual N_Cr of 1000 ms, after which
 * the receiver drops the message anyway. */
#define ISOTP_STREAM_WAIT_MS 900

/* A streamed reception whose consumer has no room repeats FC WAIT this
 * often: inside the sender's N_Bs (1000 ms by default) with room for a
 * late wakeup; WFTmax (10) of them hold a sender 5 s. */
#define ISOTP_RX_WAIT_MS 500

/* Its CTS asks for blocks of at most this many frames when cfg.bs is 0:
 * a burst the receiving socket holds even when its reader is late, and
 * an FC soon enough for the consumer to pause the sender. */
#define ISOTP_RX_STREAM_BS 32

enum isotp_tx_state { ISOTP_TX_IDLE, ISOTP_TX_FIRST, ISOTP_TX_WAIT_FC, ISOTP_TX_CF, ISOTP_TX_LAST };
enum isotp_rx_state { ISOTP_RX_IDLE, ISOTP_RX_CF };

struct isotp {
	struct isotp_cfg cfg;

	/* sender */
	enum isotp_tx_state tx_state;
	const uint8_t *tx_buf; /* borrowed until TX_DONE / TX_ERR */
	size_t tx_len, tx_pos;
	/* a streamed send: bytes [tx_pos, tx_fed) wait in the caller's ring
	 * at offset (position % tx_ring_cap); NULL for a whole message */
	uint8_t *tx_ring;
	size_t tx_ring_cap, tx_fed;
	uint8_t tx_sn;
	uint8_t tx_bs; /* peer's block size; 0 = unlimited */
	unsigned int tx_bs_left;
	uint64_t tx_stmin_ns; /* peer's STmin */
	unsigned int tx_wft;  /* FC WAITs in a row */
	uint64_t tx_due;      /* next CF not before this */
	uint64_t tx_deadline; /* N_Bs (waiting for FC) or 0 */
	int tx_err;

	/* receiver */
	enum isotp_rx_state rx_state;
	uint8_t *rx_buf; /* caller's, rx_cap bytes */
	size_t rx_cap, rx_len, rx_pos;
	uint8_t rx_sn;
	uint8_t rx_dl; /* CAN_DL of the first frame */
	unsigned int rx_bs_count;
	uint64_t rx_deadline; /* N_Cr */
	int rx_err;
	int fc_pending; /* an FC to send: 0 none, else 0x30|FS + 1 */
	/* a streamed reception (cfg.rx_stream, longer than rx_cap): nothing
	 * is copied, each frame's bytes are handed out where they lie */
	uint8_t rx_streamed;	 /* the current (or last) reception streams */
	uint8_t rx_fc_due;	 /* its FC is to be decided at the next output */
	uint8_t rx_fc_wait;	 /* its FC is withheld (WAIT sent) for room */
	uint8_t rx_fc_bs;	 /* the block size of its last CTS */
	unsigned int rx_wft;	 /* WAITs sent in a row */
	uint64_t rx_wait_due;	 /* when the next WAIT (or the abort) is due */
	size_t rx_room;		 /* bytes the consumer takes (isotp_rx_room()) */
	const uint8_t *rx_piece; /* ISOTP_EV_RX_PIECE: borrowed until the next */
	size_t rx_piece_len;	 /* isotp_input() */

	/* frames handed out but not confirmed by isotp_sent() */
	unsigned int unconfirmed;
	unsigned int unconfirmed_tx; /* of them, sender frames */
	uint64_t confirm_deadline;
	const char *timer; /* which timer expired last ("N_Bs" ...) */

	/* statistics */
	uint64_t frames_in, frames_out, frames_ignored;
};

/* Sets up c with cfg (copied) and a receive buffer (borrowed). */
void isotp_init(struct isotp *c, const struct isotp_cfg *cfg, uint8_t *rx_buf, size_t rx_cap);

/* Largest message the configuration can send: 2^32-1 (escape first frame
 * beyond 4095, on classic and FD links alike), one single frame's payload
 * on a functional channel. */
size_t isotp_max_len(const struct isotp *c);

/*
 * Starts sending msg (borrowed until ISOTP_EV_TX_DONE or _TX_ERR).
 * Returns 0, -EBUSY while a message is being sent, -EMSGSIZE if len is 0
 * or too long.
 */
int isotp_send(struct isotp *c, const uint8_t *msg, size_t len, uint64_t now);

/*
 * Starts sending a message of len bytes whose bytes are not all there
 * yet: the caller feeds them in order with isotp_feed(), which copies them
 * into ring (ring_cap >= 64 bytes, the caller's, borrowed until TX_DONE,
 * TX_ERR or isotp_tx_abort()).  Each frame goes out once it is due (FC,
 * STmin, BS as for isotp_send()) and its bytes are fed; until then nothing
 * is sent.  A frame due whose bytes do not come within N_Cs (cfg.n_cs, or
 * ISOTP_STREAM_WAIT_MS when 0) ends the transfer: ISOTP_EV_TX_ERR,
 * -ETIMEDOUT, timer "N_Cs".  ISOTP_EV_TX_ROOM says the ring has room
 * again.  Returns as isotp_send(), and -EINVAL for a ring under 64 bytes.
 */
int isotp_send_stream(struct isotp *c, size_t len, uint8_t *ring, size_t ring_cap, uint64_t now);

/* Copies up to n bytes of the streamed message into its ring.  Returns
 * how many it took: 0 when the ring is full, all is fed, or no streamed
 * send runs. */
size_t isotp_feed(struct isotp *c, const uint8_t *p, size_t n);

/* Bytes isotp_feed() would take now. */
size_t isotp_feed_room(const struct isotp *c);

/* Aborts the transmission in progress (no event). */
void isotp_tx_abort(struct isotp *c);

/*
 * A streamed reception (cfg.rx_stream): the consumer can take room more
 * bytes from now on (absolute, not added).  Pieces handed out count
 * against it; the FC due after the first frame and after each block is
 * CTS with a block size whose frames fit room (the first frame's own
 * bytes are delivered whatever the room), else FC WAIT every
 * ISOTP_RX_WAIT_MS, at most cfg.wftmax in a row: then FC overflow and
 * ISOTP_EV_RX_ERR, -ECONNABORTED, timer "N_WFTmax".  Room given while a
 * WAIT runs sends CTS at the next isotp_output().
 */
void isotp_rx_room(struct isotp *c, size_t room);

/* Ends the reception in progress (no event); the sender is told FC
 * overflow, which stops one waiting for an FC. */
void isotp_rx_abort(struct isotp *c);

/*
 * Feeds one received frame.  Frames for other ids (or address bytes) are
 * ignored.  Returns events.
 */
unsigned int isotp_input(struct isotp *c, const struct cf_frame *f, uint64_t now);

/*
 * Hands out up to max frames due now into out[] (each a cf_buf: its view
 * points at its own bytes; read it through cf_buf_view() after moving it).
 * Returns the number; the caller sends them in order and confirms with
 * isotp_sent().  Nothing more
 * comes out until the batch is confirmed.  With STmin 0 a whole block
 * comes out in one call.
 */
unsigned int isotp_output(struct isotp *c, uint64_t now, struct cf_buf *out, unsigned int max);

/*
 * Confirms that the first n frames handed out were sent at time now (the
 * time STmin counts from).  Returns events (TX_DONE after the last one).
 */
unsigned int isotp_sent(struct isotp *c, unsigned int n, uint64_t now);

/* Checks the timers at time now.  Returns events (RX_ERR/TX_ERR). */
unsigned int isotp_timers(struct isotp *c, uint64_t now);

/*
 * Returns when isotp_output() or isotp_timers() next has work: 0 for now,
 * UINT64_MAX for never (until the next input or send).
 */
uint64_t isotp_deadline(const struct isotp *c);

/* What one frame of an ISO-TP exchange is, read without state (for
 * observers such as the gateway's firewall). */
enum isotp_pci_type { ISOTP_PCI_SF, ISOTP_PCI_FF, ISOTP_PCI_CF, ISOTP_PCI_FC, ISOTP_PCI_BAD };

struct isotp_pci {
	uint8_t type;	/* enum isotp_pci_type */
	uint32_t total; /* SF/FF: message length */
	uint8_t off;	/* SF/FF: first payload byte in f->data */
	uint8_t sn;	/* CF: sequence number; FC: flow status */
};

/*
 * Classifies f, whose PCI follows ae address bytes (0 or 1), into pci.
 * Returns pci->type; ISOTP_PCI_BAD for frames too short or with invalid
 * lengths.  For SF/FF, f->data[pci->off] is the first payload byte (the
 * UDS SID) when pci->off < f->len.
 */
int isotp_classify(const struct cf_frame *f, unsigned int ae, struct isotp_pci *pci);

/* STmin byte to nanoseconds (reserved values count as 127 ms). */
uint64_t isotp_stmin_ns(uint8_t stmin);

/*
 * The caller could not run for ns (its timer fired that late, the host
 * stalled it): every running timeout (N_As/N_Ar, N_Bs, N_Cr) is pushed
 * back by ns, so that a stall of our own is not charged to the peer.
 */
void isotp_stalled(struct isotp *c, uint64_t ns);

/* Returns a static English text for an isotp error (c->tx_err/rx_err). */
const char *isotp_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_ISOTP_H */
