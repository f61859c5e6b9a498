/* SPDX-License-Identifier: MIT */
/*
 * isotp.c - ISO-TP segmentation, reassembly and flow control, without I/O.
 *
 * Frame layout (after an optional address byte):
 *   SF  0L data            (classic, L = 1..7)
 *   SF  00 LL data         (escape, CAN_DL > 8)
 *   FF  1H LL data         (length 8..4095)
 *   FF  10 00 LLLLLLLL     (escape, length > 4095)
 *   CF  2N data            (N = sequence number, 1..15, 0, 1, ...)
 *   FC  3S BS STmin        (S: 0 continue, 1 wait, 2 overflow)
 */
#include <errno.h>
#include <string.h>

#include "isotp.h"

#define MS 1000000ull

enum { FS_CTS = 0, FS_WAIT = 1, FS_OVFLW = 2 };

void isotp_cfg_init(struct isotp_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->tx_ae = c->rx_ae = -1;
	c->tx_dl = 8;
	c->pad = 1;
	c->pad_byte = 0xCC;
	c->rx_pad_byte = 0xCC;
	c->wftmax = 10;
	c->force_stmin_us = -1;
	c->n_as = c->n_ar = c->n_bs = c->n_cr = 1000;
}

void isotp_cfg_fixed(struct isotp_cfg *c, uint8_t ta, uint8_t sa, int functional)
{
	c->tx_id = (functional ? 0x18DB0000u : 0x18DA0000u) | (uint32_t)ta << 8 | sa;
	c->rx_id = 0x18DA0000u | (uint32_t)sa << 8 | ta;
	c->tx_eff = c->rx_eff = 1;
}

void isotp_init(struct isotp *c, const struct isotp_cfg *cfg, uint8_t *rx_buf, size_t rx_cap)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	if (c->cfg.tx_dl < 8 || !cf_fd_len_valid(c->cfg.tx_dl))
		c->cfg.tx_dl = 8;
	c->rx_buf = rx_buf;
	c->rx_cap = rx_cap;
}

uint64_t isotp_stmin_ns(uint8_t stmin)
{
	if (stmin <= 0x7F)
		return stmin * MS;
	if (stmin >= 0xF1 && stmin <= 0xF9)
		return (uint64_t)(stmin - 0xF0) * 100000ull;
	return 0x7F * MS; /* reserved: the longest */
}

static unsigned int ae_len(int ae)
{
	return ae >= 0 ? 1 : 0;
}

/* Bytes of payload a single frame can carry on this link. */
static size_t sf_max(const struct isotp *c)
{
	unsigned int a = ae_len(c->cfg.tx_ae);

	return c->cfg.tx_dl > 8 ? c->cfg.tx_dl - 2u - a : 7u - a;
}

size_t isotp_max_len(const struct isotp *c)
{
	if (c->cfg.functional)
		return sf_max(c);
	/* ISO 15765-2:2016 allows the escape first frame on classic links
	 * too, as the kernel's can-isotp does */
	return 0xFFFFFFFFu;
}

/* Starts a frame to send: address byte, returns where the PCI goes. */
static uint8_t *frame_begin(const struct isotp *c, struct cf_buf *o)
{
	memset(&o->f, 0, sizeof(o->f));
	o->f.id = c->cfg.tx_id;
	o->f.data = o->d;
	if (c->cfg.tx_eff)
		o->f.flags |= CF_EFF;
	if (c->cfg.tx_ae >= 0) {
		o->d[0] = (uint8_t)c->cfg.tx_ae;
		return o->d + 1;
	}
	return o->d;
}

/* Sets the final length: padded to full size, or to a valid FD length. */
static void frame_end(const struct isotp *c, struct cf_buf *o, size_t len)
{
	size_t full = len;

	if (c->cfg.tx_dl > 8) {
		/* an FD link: classic-sized frames stay 8 when padded */
		if (c->cfg.pad)
			full = len <= 8 ? 8 : cf_dlc2len(cf_len2dlc((unsigned int)len));
		else
			full = cf_dlc2len(cf_len2dlc((unsigned int)len));
		o->f.flags |= CF_FD;
		if (c->cfg.brs)
			o->f.flags |= CF_BRS;
	} else if (c->cfg.pad) {
		full = 8;
	}
	if (full > len)
		memset(o->d + len, c->cfg.pad_byte, full - len);
	o->f.len = (uint8_t)full;
}

int isotp_send(struct isotp *c, const uint8_t *msg, size_t len, uint64_t now)
{
	(void)now;
	if (c->tx_state != ISOTP_TX_IDLE)
		return -EBUSY;
	if (!len || len > isotp_max_len(c))
		return -EMSGSIZE;
	c->tx_buf = msg;
	c->tx_ring = NULL;
	c->tx_len = len;
	c->tx_pos = 0;
	c->tx_sn = 1;
	c->tx_err = 0;
	c->tx_wft = 0;
	c->tx_deadline = 0;
	c->tx_state = ISOTP_TX_FIRST;
	return 0;
}

int isotp_send_stream(struct isotp *c, size_t len, uint8_t *ring, size_t ring_cap, uint64_t now)
{
	int e;

	if (!ring || ring_cap < 64)
		return -EINVAL;
	e = isotp_send(c, NULL, len, now);
	if (e)
		return e;
	c->tx_ring = ring;
	c->tx_ring_cap = ring_cap;
	c->tx_fed = 0;
	/* the first frame is due now: N_Cs counts from here if starved */
	c->tx_due = now;
	return 0;
}

size_t isotp_feed_room(const struct isotp *c)
{
	size_t room, left;

	if (!c->tx_ring || c->tx_state == ISOTP_TX_IDLE)
		return 0;
	room = c->tx_ring_cap - (c->tx_fed - c->tx_pos);
	left = c->tx_len - c->tx_fed;
	return room < left ? room : left;
}

size_t isotp_feed(struct isotp *c, const uint8_t *p, size_t n)
{
	size_t room = isotp_feed_room(c), at, first;

	if (n > room)
		n = room;
	if (!n)
		return 0;
	at = c->tx_fed % c->tx_ring_cap;
	first = c->tx_ring_cap - at < n ? c->tx_ring_cap - at : n;
	memcpy(c->tx_ring + at, p, first);
	memcpy(c->tx_ring, p + first, n - first);
	c->tx_fed += n;
	return n;
}

/* Copies the next n message bytes (from tx_pos) to dst. */
static void tx_copy(const struct isotp *c, uint8_t *dst, size_t n)
{
	size_t at, first;

	if (!c->tx_ring) {
		memcpy(dst, c->tx_buf + c->tx_pos, n);
		return;
	}
	at = c->tx_pos % c->tx_ring_cap;
	first = c->tx_ring_cap - at < n ? c->tx_ring_cap - at : n;
	memcpy(dst, c->tx_ring + at, first);
	memcpy(dst + first, c->tx_ring, n - first);
}

/* Payload bytes of the next frame to send (first or consecutive). */
static size_t tx_need(const struct isotp *c)
{
	size_t a = ae_len(c->cfg.tx_ae), room;

	if (c->tx_state == ISOTP_TX_FIRST) {
		if (c->tx_len <= sf_max(c))
			return c->tx_len;
		return c->cfg.tx_dl - a - (c->tx_len <= 4095 ? 2u : 6u);
	}
	room = c->cfg.tx_dl - a - 1u;
	return c->tx_len - c->tx_pos < room ? c->tx_len - c->tx_pos : room;
}

/* A streamed send whose next frame's bytes are not fed yet. */
static int tx_starved(const struct isotp *c)
{
	return c->tx_ring && (c->tx_state == ISOTP_TX_FIRST || c->tx_state == ISOTP_TX_CF) &&
	       c->tx_fed - c->tx_pos < tx_need(c);
}

/* How long past tx_due the next frame may wait (N_Cs), 0: no limit. */
static uint64_t cs_wait_ns(const struct isotp *c)
{
	if (c->cfg.n_cs)
		return c->cfg.n_cs * MS;
	return tx_starved(c) ? ISOTP_STREAM_WAIT_MS * MS : 0;
}

void isotp_tx_abort(struct isotp *c)
{
	c->tx_state = ISOTP_TX_IDLE;
	c->tx_buf = NULL;
	c->tx_ring = NULL;
	c->tx_deadline = 0;
}

static unsigned int tx_fail(struct isotp *c, int err, const char *timer)
{
	c->tx_err = err;
	c->timer = timer;
	isotp_tx_abort(c);
	return ISOTP_EV_TX_ERR;
}

static unsigned int rx_fail(struct isotp *c, int err, const char *timer)
{
	c->rx_err = err;
	c->timer = timer;
	c->rx_state = ISOTP_RX_IDLE;
	c->rx_deadline = 0;
	c->rx_fc_due = c->rx_fc_wait = 0;
	return ISOTP_EV_RX_ERR;
}

/* Payload bytes of each consecutive frame of the reception but the last. */
static size_t rx_cf_room(const struct isotp *c)
{
	return c->rx_dl - ae_len(c->cfg.rx_ae) - 1u;
}

/*
 * The FC due in a streamed reception: CTS for the frames the consumer has
 * room for, at most cfg.bs (ISOTP_RX_STREAM_BS when 0), else WAIT; past
 * WFTmax nothing is sent and isotp_timers() aborts at once.
 */
static void rx_fc_decide(struct isotp *c, uint64_t now)
{
	size_t cfp = rx_cf_room(c), left = c->rx_len - c->rx_pos, n;

	c->rx_fc_due = 0;
	if (c->rx_room >= left || c->rx_room >= cfp) {
		size_t bs = c->cfg.bs ? c->cfg.bs : ISOTP_RX_STREAM_BS;

		/* all that is left fits: its frames, the last may be short */
		n = c->rx_room >= left ? (left + cfp - 1) / cfp : c->rx_room / cfp;
		if (n > bs)
			n = bs;
		c->rx_fc_bs = (uint8_t)n;
		c->rx_bs_count = 0;
		c->rx_fc_wait = 0;
		c->rx_wft = 0;
		c->fc_pending = 0x30 + FS_CTS + 1;
		c->rx_deadline = now + c->cfg.n_cr * MS;
		return;
	}
	/* we hold the sender: our N_Cr waits too */
	c->rx_fc_wait = 1;
	c->rx_deadline = 0;
	if (c->rx_wft >= c->cfg.wftmax) {
		c->rx_wait_due = now;
		return;
	}
	c->rx_wft++;
	c->rx_wait_due = now + ISOTP_RX_WAIT_MS * MS;
	c->fc_pending = 0x30 + FS_WAIT + 1;
}

void isotp_rx_room(struct isotp *c, size_t room)
{
	c->rx_room = room;
	if (c->rx_state == ISOTP_RX_CF && c->rx_streamed && c->rx_fc_wait &&
	    (room >= c->rx_len - c->rx_pos || room >= rx_cf_room(c)))
		c->rx_fc_due = 1;
}

void isotp_rx_abort(struct isotp *c)
{
	if (c->rx_state != ISOTP_RX_CF)
		return;
	c->rx_state = ISOTP_RX_IDLE;
	c->rx_deadline = 0;
	c->rx_fc_due = c->rx_fc_wait = 0;
	c->fc_pending = 0x30 + FS_OVFLW + 1;
}

/* ---- output */

static void out_fc(struct isotp *c, struct cf_buf *o)
{
	uint8_t *p = frame_begin(c, o);

	p[0] = (uint8_t)(c->fc_pending - 1);
	p[1] = c->rx_streamed ? c->rx_fc_bs : c->cfg.bs;
	p[2] = c->cfg.stmin;
	frame_end(c, o, (size_t)(p + 3 - o->d));
	c->fc_pending = 0;
}

static void out_first(struct isotp *c, struct cf_buf *o)
{
	uint8_t *p = frame_begin(c, o);
	size_t hdr = (size_t)(p - o->d), room;

	if (c->tx_len <= sf_max(c)) {
		if (c->tx_len <= 7u - hdr) {
			p[0] = (uint8_t)c->tx_len;
			tx_copy(c, p + 1, c->tx_len);
			frame_end(c, o, hdr + 1 + c->tx_len);
		} else {
			p[0] = 0;
			p[1] = (uint8_t)c->tx_len;
			tx_copy(c, p + 2, c->tx_len);
			frame_end(c, o, hdr + 2 + c->tx_len);
		}
		c->tx_pos = c->tx_len;
		c->tx_state = ISOTP_TX_LAST;
		return;
	}
	if (c->tx_len <= 4095) {
		p[0] = (uint8_t)(0x10 | (c->tx_len >> 8));
		p[1] = (uint8_t)c->tx_len;
		p += 2;
	} else {
		p[0] = 0x10;
		p[1] = 0;
		p[2] = (uint8_t)(c->tx_len >> 24);
		p[3] = (uint8_t)(c->tx_len >> 16);
		p[4] = (uint8_t)(c->tx_len >> 8);
		p[5] = (uint8_t)c->tx_len;
		p += 6;
	}
	room = c->cfg.tx_dl - (size_t)(p - o->d);
	tx_copy(c, p, room);
	c->tx_pos = room;
	/* a first frame always fills the link's frame */
	o->f.len = c->cfg.tx_dl;
	if (c->cfg.tx_dl > 8) {
		o->f.flags |= CF_FD;
		if (c->cfg.brs)
			o->f.flags |= CF_BRS;
	}
	c->tx_state = ISOTP_TX_WAIT_FC;
}

static void out_cf(struct isotp *c, struct cf_buf *o)
{
	uint8_t *p = frame_begin(c, o);
	size_t hdr = (size_t)(p - o->d);
	size_t room = c->cfg.tx_dl - hdr - 1, n = c->tx_len - c->tx_pos;

	if (n > room)
		n = room;
	p[0] = (uint8_t)(0x20 | (c->tx_sn & 0x0F));
	c->tx_sn = (uint8_t)((c->tx_sn + 1) & 0x0F);
	tx_copy(c, p + 1, n);
	c->tx_pos += n;
	if (n == room) {
		/* full frames are full link frames, padded or not */
		o->f.len = c->cfg.tx_dl;
		if (c->cfg.tx_dl > 8) {
			o->f.flags |= CF_FD;
			if (c->cfg.brs)
				o->f.flags |= CF_BRS;
		}
	} else {
		frame_end(c, o, hdr + 1 + n);
	}
	if (c->tx_pos == c->tx_len) {
		c->tx_state = ISOTP_TX_LAST;
	} else if (c->tx_bs && --c->tx_bs_left == 0) {
		c->tx_state = ISOTP_TX_WAIT_FC;
	}
}

unsigned int isotp_output(struct isotp *c, uint64_t now, struct cf_buf *out, unsigned int max)
{
	unsigned int n = 0;

	/* one batch at a time: confirm it before asking for the next */
	if (c->unconfirmed)
		return 0;
	if (c->rx_fc_due && !c->fc_pending)
		rx_fc_decide(c, now);
	if (c->fc_pending && n < max)
		out_fc(c, &out[n++]);
	while (n < max) {
		if (c->tx_state == ISOTP_TX_FIRST) {
			if (tx_starved(c))
				break;
			out_first(c, &out[n++]);
			c->unconfirmed_tx++;
			if (c->tx_state == ISOTP_TX_WAIT_FC)
				c->tx_deadline = now + c->cfg.n_bs * MS;
			break;
		}
		if (c->tx_state != ISOTP_TX_CF || now < c->tx_due || tx_starved(c))
			break;
		out_cf(c, &out[n++]);
		c->unconfirmed_tx++;
		if (c->tx_state == ISOTP_TX_WAIT_FC)
			c->tx_deadline = now + c->cfg.n_bs * MS;
		if (c->tx_stmin_ns)
			break;
	}
	if (n) {
		if (!c->unconfirmed)
			c->confirm_deadline = now + (c->cfg.n_as ? c->cfg.n_as : 1) * MS;
		c->unconfirmed += n;
		c->frames_out += n;
	}
	return n;
}

unsigned int isotp_sent(struct isotp *c, unsigned int n, uint64_t now)
{
	/* a batch is [FC] then sender frames, confirmed in that order */
	unsigned int fc = c->unconfirmed - c->unconfirmed_tx, tx;

	if (n > c->unconfirmed)
		n = c->unconfirmed;
	tx = n > fc ? n - fc : 0;
	c->unconfirmed -= n;
	c->unconfirmed_tx -= tx;
	c->confirm_deadline = c->unconfirmed ? now + (c->cfg.n_as ? c->cfg.n_as : 1) * MS : 0;
	/* STmin counts from when the previous CF really went out, plus a
	 * sixteenth (at most 200 us): receivers timestamp frames with some
	 * jitter, and must never see a gap below STmin */
	if (tx && c->tx_state == ISOTP_TX_CF) {
		uint64_t guard = c->tx_stmin_ns / 16;

		c->tx_due = now + c->tx_stmin_ns + (guard > 200000 ? 200000 : guard);
	}
	if (c->tx_state == ISOTP_TX_LAST && !c->unconfirmed_tx) {
		c->tx_state = ISOTP_TX_IDLE;
		c->tx_buf = NULL;
		c->tx_ring = NULL;
		return ISOTP_EV_TX_DONE;
	}
	/* what went out left the ring: the caller may feed again */
	if (tx && c->tx_ring && c->tx_fed < c->tx_len)
		return ISOTP_EV_TX_ROOM;
	return 0;
}

/* ---- input */

static int pad_ok(const struct isotp *c, const struct cf_frame *f, size_t used)
{
	size_t i;

	if ((c->cfg.rx_pad_check & ISOTP_CHK_LEN) && !(f->flags & CF_FD) && f->len != 8)
		return 0;
	if (c->cfg.rx_pad_check & ISOTP_CHK_DATA)
		for (i = used; i < f->len; i++)
			if (f->data[i] != c->cfg.rx_pad_byte)
				return 0;
	return 1;
}

static unsigned int in_fc(struct isotp *c, const uint8_t *p, size_t n, uint64_t now)
{
	uint8_t fs = p[0] & 0x0F;

	if (c->tx_state != ISOTP_TX_WAIT_FC || n < 3)
		return 0;
	switch (fs) {
	case FS_CTS:
		c->tx_bs = p[1];
		c->tx_bs_left = p[1];
		c->tx_stmin_ns = c->cfg.force_stmin_us >= 0 ? (uint64_t)c->cfg.force_stmin_us * 1000
							    : isotp_stmin_ns(p[2]);
		if (c->tx_stmin_ns < (uint64_t)c->cfg.min_gap_us * 1000)
			c->tx_stmin_ns = (uint64_t)c->cfg.min_gap_us * 1000;
		c->tx_wft = 0;
		c->tx_state = ISOTP_TX_CF;
		c->tx_due = now;
		c->tx_deadline = 0;
		return 0;
	case FS_WAIT:
		if (++c->tx_wft > c->cfg.wftmax)
			return tx_fail(c, -ECONNABORTED, NULL);
		c->tx_deadline = now + c->cfg.n_bs * MS;
		return 0;
	case FS_OVFLW:
		return tx_fail(c, -EOVERFLOW, NULL);
	default:
		return tx_fail(c, -EPROTO, NULL);
	}
}

static unsigned int in_sf(struct isotp *c, const struct cf_frame *f, const uint8_t *p, size_t n)
{
	unsigned int ev = 0;
	size_t len = p[0] & 0x0F, hdr = 1;

	if (f->len > 8) {
		/* CAN_DL > 8 requires the escape form */
		if (len || n < 2)
			return 0;
		len = p[1];
		hdr = 2;
	} else if (!len) {
		if (n < 2 || !(f->flags & CF_FD))
			return 0;
		len = p[1]; /* an escape SF in a short FD frame: tolerated */
		hdr = 2;
	}
	if (!len || len > n - hdr)
		return 0;
	if (!pad_ok(c, f, (size_t)(p - f->data) + hdr + len))
		return rx_fail(c, -EBADMSG, NULL);
	if (c->rx_state == ISOTP_RX_CF)
		ev |= rx_fail(c, -ECONNRESET, NULL);
	if (len > c->rx_cap)
		return ev | rx_fail(c, -EMSGSIZE, NULL);
	memcpy(c->rx_buf, p + hdr, len);
	c->rx_len = len;
	return ev | ISOTP_EV_RX;
}

static unsigned int in_ff(struct isotp *c, const struct cf_frame *f, const uint8_t *p, size_t n,
			  uint64_t now)
{
	unsigned int ev = 0;
	size_t len, hdr = 2;
	size_t a = (size_t)(p - f->data);

	/* a first frame fills its frame: 8 bytes, or an FD length > 8 */
	if (f->len < 8 || n < 2)
		return 0;
	len = (size_t)(p[0] & 0x0F) << 8 | p[1];
	if (!len) {
		if (n < 6)
			return 0;
		len = (size_t)p[2] << 24 | (size_t)p[3] << 16 | (size_t)p[4] << 8 | p[5];
		hdr = 6;
		if (len <= 4095)
			return 0;
	}
	/* shorter messages would have fitted a single frame: ignore */
	if (len <= (f->len > 8 ? f->len - 2u - a : 7u - a))
		return 0;
	if (c->rx_state == ISOTP_RX_CF)
		ev |= rx_fail(c, -ECONNRESET, NULL);
	if (len > c->rx_cap && c->cfg.rx_stream) {
		/* the first frame's bytes go at once; the FC waits for the
		 * consumer's room (isotp_output()) */
		c->rx_streamed = 1;
		c->rx_len = len;
		c->rx_piece = p + hdr;
		c->rx_piece_len = n - hdr < len ? n - hdr : len;
		c->rx_pos = c->rx_piece_len;
		c->rx_room = c->rx_room > c->rx_pos ? c->rx_room - c->rx_pos : 0;
		c->rx_sn = 1;
		c->rx_dl = f->len;
		c->rx_bs_count = 0;
		c->rx_wft = 0;
		c->rx_fc_wait = 0;
		c->rx_fc_due = 1;
		c->rx_state = ISOTP_RX_CF;
		c->rx_deadline = 0;
		return ev | ISOTP_EV_RX_FF | ISOTP_EV_RX_PIECE;
	}
	c->rx_streamed = 0;
	if (len > c->rx_cap) {
		c->fc_pending = 0x30 + FS_OVFLW + 1;
		return ev | rx_fail(c, -EMSGSIZE, NULL);
	}
	c->rx_len = len;
	c->rx_pos = n - hdr;
	if (c->rx_pos > len)
		c->rx_pos = len;
	memcpy(c->rx_buf, p + hdr, c->rx_pos);
	c->rx_sn = 1;
	c->rx_dl = f->len;
	c->rx_bs_count = 0;
	c->rx_state = ISOTP_RX_CF;
	c->rx_deadline = now + c->cfg.n_cr * MS;
	c->fc_pending = 0x30 + FS_CTS + 1;
	return ev | ISOTP_EV_RX_FF;
}

/* A streamed reception's consecutive frame: its bytes handed out as they
 * lie; at a block's end the next FC is decided. */
static unsigned int rx_piece(struct isotp *c, const uint8_t *p, size_t take, uint64_t now)
{
	c->rx_piece = p;
	c->rx_piece_len = take;
	c->rx_pos += take;
	c->rx_room = c->rx_room > take ? c->rx_room - take : 0;
	c->rx_sn = (uint8_t)((c->rx_sn + 1) & 0x0F);
	if (c->rx_pos == c->rx_len) {
		c->rx_state = ISOTP_RX_IDLE;
		c->rx_deadline = 0;
		return ISOTP_EV_RX_PIECE;
	}
	c->rx_deadline = now + c->cfg.n_cr * MS;
	if (c->rx_fc_bs && ++c->rx_bs_count == c->rx_fc_bs) {
		c->rx_bs_count = 0;
		c->rx_fc_due = 1;
		c->rx_deadline = 0;
	}
	return ISOTP_EV_RX_PIECE;
}

static unsigned int in_cf(struct isotp *c, const struct cf_frame *f, const uint8_t *p, size_t n,
			  uint64_t now)
{
	size_t take;

	if (c->rx_state != ISOTP_RX_CF)
		return 0;
	if (c->rx_streamed && (c->rx_fc_wait || c->rx_fc_due)) {
		/* before our CTS: the consumer has no room for it */
		c->frames_ignored++;
		return 0;
	}
	if ((p[0] & 0x0F) != c->rx_sn)
		return rx_fail(c, -EILSEQ, NULL);
	take = n - 1;
	if (take >= c->rx_len - c->rx_pos)
		take = c->rx_len - c->rx_pos; /* the last CF may be short */
	else if (f->len != c->rx_dl || !take)
		return 0; /* not the last CF: must be as long as the FF */
	if (!pad_ok(c, f, (size_t)(p - f->data) + 1 + take))
		return rx_fail(c, -EBADMSG, NULL);
	if (c->rx_streamed)
		return rx_piece(c, p + 1, take, now);
	memcpy(c->rx_buf + c->rx_pos, p + 1, take);
	c->rx_pos += take;
	c->rx_sn = (uint8_t)((c->rx_sn + 1) & 0x0F);
	if (c->rx_pos == c->rx_len) {
		c->rx_state = ISOTP_RX_IDLE;
		c->rx_deadline = 0;
		return ISOTP_EV_RX;
	}
	c->rx_deadline = now + c->cfg.n_cr * MS;
	if (c->cfg.bs && ++c->rx_bs_count == c->cfg.bs) {
		c->rx_bs_count = 0;
		c->fc_pending = 0x30 + FS_CTS + 1;
	}
	return 0;
}

unsigned int isotp_input(struct isotp *c, const struct cf_frame *f, uint64_t now)
{
	const uint8_t *p;
	size_t n;

	if (f->id != c->cfg.rx_id || !(f->flags & CF_EFF) != !c->cfg.rx_eff ||
	    (f->flags & (CF_RTR | CF_ERR)) || !f->data)
		return 0;
	p = f->data;
	n = f->len;
	if (c->cfg.rx_ae >= 0) {
		if (n < 2 || p[0] != (uint8_t)c->cfg.rx_ae)
			return 0;
		p++;
		n--;
	}
	if (!n)
		return 0;
	c->frames_in++;
	/* segmented messages are physical only (ISO 15765-2 9.6.1); the
	 * kernel's can-isotp in this role stays silent too */
	if (c->cfg.functional && (p[0] >> 4 == 1 || p[0] >> 4 == 2)) {
		c->frames_ignored++;
		return 0;
	}
	switch (p[0] >> 4) {
	case 0:
		return in_sf(c, f, p, n);
	case 1:
		return in_ff(c, f, p, n, now);
	case 2:
		return in_cf(c, f, p, n, now);
	case 3:
		return in_fc(c, p, n, now);
	default:
		c->frames_ignored++;
		return 0;
	}
}

/* ---- time */

unsigned int isotp_timers(struct isotp *c, uint64_t now)
{
	unsigned int ev = 0;

	if (c->unconfirmed && c->confirm_deadline && now >= c->confirm_deadline) {
		/* a frame handed out was never confirmed as sent */
		c->unconfirmed = 0;
		if (c->unconfirmed_tx) {
			c->unconfirmed_tx = 0;
			ev |= tx_fail(c, -ETIMEDOUT, "N_As");
		} else {
			ev |= rx_fail(c, -ETIMEDOUT, "N_Ar");
		}
		c->confirm_deadline = 0;
	}
	if (c->tx_state == ISOTP_TX_WAIT_FC && c->tx_deadline && now >= c->tx_deadline)
		ev |= tx_fail(c, -ETIMEDOUT, "N_Bs");
	/* N_Cs: the next frame is late, ours (n_cs) or its bytes (a stream) */
	if ((c->tx_state == ISOTP_TX_CF || (c->tx_state == ISOTP_TX_FIRST && c->tx_ring)) &&
	    !c->unconfirmed_tx && cs_wait_ns(c) && now >= c->tx_due + cs_wait_ns(c))
		ev |= tx_fail(c, -ETIMEDOUT, "N_Cs");
	if (c->rx_state == ISOTP_RX_CF && c->rx_deadline && now >= c->rx_deadline)
		ev |= rx_fail(c, -ETIMEDOUT, "N_Cr");
	/* a streamed reception without room: WAIT again, or give up */
	if (c->rx_state == ISOTP_RX_CF && c->rx_fc_wait && !c->rx_fc_due && now >= c->rx_wait_due) {
		if (c->rx_wft >= c->cfg.wftmax) {
			c->fc_pending = 0x30 + FS_OVFLW + 1;
			ev |= rx_fail(c, -ECONNABORTED, "N_WFTmax");
		} else {
			c->rx_fc_due = 1;
		}
	}
	return ev;
}

void isotp_stalled(struct isotp *c, uint64_t ns)
{
	if (c->tx_state == ISOTP_TX_WAIT_FC && c->tx_deadline)
		c->tx_deadline += ns;
	if (c->rx_state == ISOTP_RX_CF && c->rx_deadline)
		c->rx_deadline += ns;
	if (c->rx_state == ISOTP_RX_CF && c->rx_fc_wait)
		c->rx_wait_due += ns;
	if (c->unconfirmed && c->confirm_deadline)
		c->confirm_deadline += ns;
}

uint64_t isotp_deadline(const struct isotp *c)
{
	uint64_t d = UINT64_MAX;

	if (!c->unconfirmed &&
	    (c->fc_pending || c->rx_fc_due || (c->tx_state == ISOTP_TX_FIRST && !tx_starved(c))))
		return 0;
	/* starved: nothing until isotp_feed(), but N_Cs still runs */
	if ((c->tx_state == ISOTP_TX_FIRST || c->tx_state == ISOTP_TX_CF) && !c->unconfirmed &&
	    tx_starved(c))
		d = c->tx_due + cs_wait_ns(c);
	else if (c->tx_state == ISOTP_TX_CF && !c->unconfirmed)
		d = c->tx_due;
	if (c->tx_state == ISOTP_TX_WAIT_FC && c->tx_deadline && c->tx_deadline < d)
		d = c->tx_deadline;
	if (c->rx_state == ISOTP_RX_CF && c->rx_deadline && c->rx_deadline < d)
		d = c->rx_deadline;
	if (c->rx_state == ISOTP_RX_CF && c->rx_fc_wait && !c->rx_fc_due && c->rx_wait_due < d)
		d = c->rx_wait_due;
	if (c->unconfirmed && c->confirm_deadline && c->confirm_deadline < d)
		d = c->confirm_deadline;
	return d;
}

const char *isotp_strerror(int err)
{
	switch (err) {
	case 0:
		return "no error";
	case -ETIMEDOUT:
		return "timeout";
	case -EILSEQ:
		return "wrong sequence number";
	case -EOVERFLOW:
		return "peer reported overflow (FC OVFLW)";
	case -EMSGSIZE:
		return "message larger than the receive buffer";
	case -ECONNABORTED:
		return "too many FC WAIT frames";
	case -EPROTO:
		return "invalid flow control status";
	case -ECONNRESET:
		return "reception interrupted by a new message";
	case -EBADMSG:
		return "padding check failed";
	default:
		return "ISO-TP error";
	}
}

int isotp_classify(const struct cf_frame *f, unsigned int ae, struct isotp_pci *pci)
{
	const uint8_t *p = f->data + ae;
	unsigned int n = f->len > ae ? f->len - ae : 0;

	memset(pci, 0, sizeof(*pci));
	pci->type = ISOTP_PCI_BAD;
	if (!n || (f->flags & (CF_RTR | CF_ERR)))
		return pci->type;
	switch (p[0] >> 4) {
	case 0:
		if (p[0] & 0x0F) {
			pci->total = p[0] & 0x0F;
			pci->off = (uint8_t)(ae + 1);
		} else if (n >= 2 && p[1] > 7) {
			/* the escape SF of CAN FD */
			pci->total = p[1];
			pci->off = (uint8_t)(ae + 2);
		} else {
			return pci->type;
		}
		if (pci->total > n - (pci->off - ae))
			return pci->type;
		pci->type = ISOTP_PCI_SF;
		break;
	case 1:
		if (n < 2)
			return pci->type;
		pci->total = (uint32_t)(p[0] & 0x0F) << 8 | p[1];
		pci->off = (uint8_t)(ae + 2);
		if (!pci->total) {
			if (n < 6)
				return pci->type;
			pci->total = (uint32_t)p[2] << 24 | (uint32_t)p[3] << 16 |
				     (uint32_t)p[4] << 8 | p[5];
			pci->off = (uint8_t)(ae + 6);
		}
		pci->type = ISOTP_PCI_FF;
		break;
	case 2:
		pci->sn = p[0] & 0x0F;
		pci->type = ISOTP_PCI_CF;
		break;
	case 3:
		pci->sn = p[0] & 0x0F;
		pci->type = ISOTP_PCI_FC;
		break;
	default:
		break;
	}
	return pci->type;
}
