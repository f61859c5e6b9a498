/* SPDX-License-Identifier: MIT */
/*
 * doip_conn.c - one DoIP TCP_DATA socket as a state machine without I/O:
 * stream framing (header, fixed part, user data whole or in pieces),
 * routing activation, alive check, the diagnostic message checks and the
 * ISO 13400-2 socket timers.
 *
 * The receiver walks each message through HDR (8 bytes into fix[]),
 * FIXED (the type's fixed fields into fix[]), then WHOLE (user data into
 * the caller's buffer, or a view of the input when it is all there),
 * STREAM (views of the input as it arrives) or SKIP (a discarded
 * payload).  Input stops at each event so that a view it hands out is
 * never overwritten before the caller has seen it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "doip.h"

#define MS 1000000ull

/* Longest message the engine itself queues (0x0006 with its OEM field);
 * input waits for this much room, so an answer never lacks it. */
#define CTRL_MAX (DOIP_HDR_LEN + 13)

static const char *const close_names[DOIP_CL_N] = {
	[DOIP_CL_NONE] = "open",
	[DOIP_CL_PATTERN] = "incorrect-pattern",
	[DOIP_CL_LENGTH] = "invalid-length",
	[DOIP_CL_DIAG_SA] = "diag-invalid-sa",
	[DOIP_CL_RA_REFUSED] = "activation-refused",
	[DOIP_CL_INITIAL] = "initial-inactivity",
	[DOIP_CL_GENERAL] = "general-inactivity",
	[DOIP_CL_ALIVE] = "alive-check-timeout",
	[DOIP_CL_ALIVE_SA] = "alive-check-other-sa",
	[DOIP_CL_CALLER] = "closed-by-caller",
};

const char *doip_close_name(enum doip_close r)
{
	return (unsigned int)r < DOIP_CL_N ? close_names[r] : "?";
}

void doip_conn_cfg_init(struct doip_conn_cfg *c, enum doip_role role, uint16_t la)
{
	memset(c, 0, sizeof(*c));
	c->role = (uint8_t)role;
	c->ver = DOIP_VER_2012;
	c->la = la;
	c->max_len = UINT32_MAX;
	/* the socket timers are the entity's; a tester's waits are its
	 * client's business (P2, A_DoIP_Ctrl) */
	if (role == DOIP_ENTITY) {
		c->t_initial_ms = DOIP_T_INITIAL_INACTIVITY_MS;
		c->t_general_ms = DOIP_T_GENERAL_INACTIVITY_MS;
		c->t_alive_ms = DOIP_T_ALIVE_CHECK_MS;
	}
}

int doip_conn_init(struct doip_conn *c, const struct doip_conn_cfg *cfg, uint8_t *rx_buf,
		   size_t rx_cap, uint8_t *tx_buf, size_t tx_cap, uint64_t now)
{
	if (!tx_buf || tx_cap < DOIP_CONN_TX_MIN || (!rx_buf && rx_cap))
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->ver = cfg->ver ? cfg->ver : DOIP_VER_2012;
	c->mem = UINT64_MAX;
	c->rx_buf = rx_buf;
	c->rx_cap = rx_cap;
	c->tx_buf = tx_buf;
	c->tx_cap = tx_cap;
	if (cfg->role == DOIP_ENTITY && cfg->t_initial_ms)
		c->inactivity_deadline = now + cfg->t_initial_ms * MS;
	return 0;
}

void doip_conn_set_mem(struct doip_conn *c, uint64_t mem)
{
	c->mem = mem;
}

void doip_conn_close(struct doip_conn *c, enum doip_close reason)
{
	if (c->close_reason)
		return;
	c->close_reason = (uint8_t)reason;
	c->closes[reason]++;
	c->inactivity_deadline = 0;
	c->alive_deadline = 0;
	c->ra_pending = 0;
}

/* Traffic either way restarts T_TCP_General_Inactivity, once routing is
 * active; before that only activation ends the initial timer. */
static void activity(struct doip_conn *c, uint64_t now)
{
	if (c->active && c->cfg.t_general_ms && !c->close_reason)
		c->inactivity_deadline = now + c->cfg.t_general_ms * MS;
}

/* ---- output */

static size_t tx_free(const struct doip_conn *c)
{
	return c->tx_cap - (c->tx_tail - c->tx_head);
}

/* Room for n bytes at the tail: moves what is pending to the front when
 * that makes room (control messages are small; rarely anything moves). */
static uint8_t *tx_room(struct doip_conn *c, size_t n)
{
	if (n > tx_free(c))
		return NULL;
	if (c->tx_cap - c->tx_tail < n) {
		memmove(c->tx_buf, c->tx_buf + c->tx_head, c->tx_tail - c->tx_head);
		c->tx_tail -= c->tx_head;
		c->tx_head = 0;
	}
	return c->tx_buf + c->tx_tail;
}

/* What waited behind a streamed message follows it once it is all put
 * and the output has room for all of it. */
static void later_flush(struct doip_conn *c)
{
	uint8_t *p;

	if (c->tx_open || !c->later_len)
		return;
	p = tx_room(c, c->later_len);
	if (!p)
		return;
	memcpy(p, c->later, c->later_len);
	c->tx_tail += c->later_len;
	c->later_len = 0;
}

int doip_conn_tx_busy(const struct doip_conn *c)
{
	return c->tx_open || c->later_len;
}

const uint8_t *doip_conn_output(const struct doip_conn *c, size_t *len)
{
	*len = c->tx_tail - c->tx_head;
	return c->tx_buf + c->tx_head;
}

void doip_conn_sent(struct doip_conn *c, size_t n, uint64_t now)
{
	size_t pending = c->tx_tail - c->tx_head;

	if (n > pending)
		n = pending;
	c->tx_head += n;
	if (c->tx_head == c->tx_tail)
		c->tx_head = c->tx_tail = 0;
	if (n)
		activity(c, now);
	later_flush(c);
}

int doip_conn_diag_begin(struct doip_conn *c, uint16_t sa, uint16_t ta, uint64_t len, uint64_t now)
{
	uint8_t *p;

	if (c->close_reason)
		return -ENOTCONN;
	later_flush(c);
	if (doip_conn_tx_busy(c))
		return -EBUSY;
	if (!len || len > UINT32_MAX - 4u)
		return -EINVAL;
	p = tx_room(c, DOIP_HDR_LEN + 4);
	if (!p)
		return -ENOBUFS;
	doip_diag_hdr_put(p, c->ver, sa, ta, len);
	c->tx_tail += DOIP_HDR_LEN + 4;
	c->tx_open = len;
	c->msgs_out++;
	activity(c, now);
	return 0;
}

size_t doip_conn_diag_room(const struct doip_conn *c)
{
	size_t f = tx_free(c);

	if (!c->tx_open || c->close_reason)
		return 0;
	return f < c->tx_open ? f : (size_t)c->tx_open;
}

size_t doip_conn_diag_put(struct doip_conn *c, const uint8_t *p, size_t n, uint64_t now)
{
	size_t room = doip_conn_diag_room(c);
	uint8_t *d;

	if (n > room)
		n = room;
	if (!n)
		return 0;
	d = tx_room(c, n);
	memcpy(d, p, n);
	c->tx_tail += n;
	c->tx_open -= n;
	activity(c, now);
	later_flush(c);
	return n;
}

/*
 * Builds m at the tail of the output, leaving keep bytes free.  What the
 * caller queues leaves CTRL_MAX (RESERVE) for the engine's own answers,
 * so that input, which waits for that much room before each message,
 * always has it.  Returns 0 or -ENOBUFS.
 */
#define RESERVE CTRL_MAX
static int put_msg(struct doip_conn *c, struct doip_msg *m, size_t keep)
{
	size_t len, room;
	uint8_t *p;
	int err;

	m->ver = c->ver;
	later_flush(c);
	if (doip_conn_tx_busy(c)) {
		/* behind a streamed message: nothing may come between its bytes */
		if (doip_build(m, c->later + c->later_len, sizeof(c->later) - c->later_len, &len))
			return -ENOBUFS;
		c->later_len += len;
		c->msgs_out++;
		return 0;
	}
	room = tx_free(c);
	if (room < keep)
		return -ENOBUFS;
	/* the whole free space contiguous at the tail, then build into it */
	p = tx_room(c, room);
	if (!p)
		return -ENOBUFS;
	err = doip_build(m, p, room - keep, &len);
	if (err)
		return err;
	c->tx_tail += len;
	c->msgs_out++;
	return 0;
}

int doip_conn_queue(struct doip_conn *c, const uint8_t *msg, size_t len, uint64_t now)
{
	uint8_t *p;

	if (c->close_reason)
		return -ENOTCONN;
	later_flush(c);
	if (doip_conn_tx_busy(c)) {
		if (len > sizeof(c->later) - c->later_len)
			return -ENOBUFS;
		memcpy(c->later + c->later_len, msg, len);
		c->later_len += len;
		c->msgs_out++;
		activity(c, now);
		return 0;
	}
	if (len > SIZE_MAX - RESERVE || tx_free(c) < len + RESERVE)
		return -ENOBUFS;
	p = tx_room(c, len);
	if (!p)
		return -ENOBUFS;
	memcpy(p, msg, len);
	c->tx_tail += len;
	c->msgs_out++;
	activity(c, now);
	return 0;
}

int doip_conn_send_diag(struct doip_conn *c, uint16_t sa, uint16_t ta, const uint8_t *data,
			size_t len, uint64_t now)
{
	struct doip_msg m;
	int err;

	if (c->close_reason)
		return -ENOTCONN;
	memset(&m, 0, sizeof(m));
	m.type = DOIP_T_DIAG;
	m.u.diag.sa = sa;
	m.u.diag.ta = ta;
	m.u.diag.data = data;
	m.u.diag.len = len;
	err = put_msg(c, &m, RESERVE);
	if (!err)
		activity(c, now);
	return err;
}

static int hdr_nack(struct doip_conn *c, uint8_t code)
{
	struct doip_msg m;

	memset(&m, 0, sizeof(m));
	m.type = DOIP_T_HDR_NACK;
	m.u.nack = code;
	c->hdr_nacks[code]++;
	return put_msg(c, &m, 0);
}

/* 0x8002 / 0x8003 from the target ta to our registered tester. */
static int diag_ack(struct doip_conn *c, uint16_t ta, uint16_t tester, uint8_t code,
		    const uint8_t *prev, size_t prev_len, size_t keep)
{
	struct doip_msg m;

	memset(&m, 0, sizeof(m));
	m.type = code == DOIP_DIAG_ACK ? DOIP_T_DIAG_ACK : DOIP_T_DIAG_NACK;
	m.u.diag.sa = ta;
	m.u.diag.ta = tester;
	m.u.diag.code = code;
	m.u.diag.data = prev;
	m.u.diag.len = prev_len;
	if (code != DOIP_DIAG_ACK && code < DOIP_DN_N)
		c->diag_nacks[code]++;
	return put_msg(c, &m, keep);
}

int doip_conn_diag_ack(struct doip_conn *c, uint16_t ta, uint8_t code, const uint8_t *prev,
		       size_t prev_len, uint64_t now)
{
	int err;

	if (c->close_reason)
		return -ENOTCONN;
	err = diag_ack(c, ta, c->sa, code, prev, prev_len, RESERVE);
	if (err)
		return err;
	activity(c, now);
	if (code == DOIP_DN_SA)
		doip_conn_close(c, DOIP_CL_DIAG_SA);
	return 0;
}

void doip_conn_diag_drop(struct doip_conn *c)
{
	if (c->rx == DOIP_RX_STREAM && c->h.type == DOIP_T_DIAG && !c->drop_rest) {
		c->drop_rest = 1;
		c->diag_dropped++;
	}
}

int doip_conn_ra_reply(struct doip_conn *c, uint8_t code, const uint32_t *oem, uint64_t now)
{
	struct doip_msg m;
	int err;

	if (!c->ra_pending)
		return -EALREADY;
	memset(&m, 0, sizeof(m));
	m.type = DOIP_T_RA_RSP;
	m.u.ra.sa = c->ra_sa;
	m.u.ra.la = c->cfg.la;
	m.u.ra.code = code;
	if (oem) {
		m.u.ra.has_oem = 1;
		m.u.ra.oem = *oem;
	}
	err = put_msg(c, &m, 0);
	if (err)
		return err;
	c->ra_pending = 0;
	switch (code) {
	case DOIP_RA_OK:
		c->active = 1;
		c->sa = c->ra_sa;
		c->inactivity_deadline = 0;
		activity(c, now);
		break;
	case DOIP_RA_OK_CONFIRM:
	case DOIP_RA_CONF_REJECTED:
		/* the socket stays, routing is not active (yet) */
		break;
	default:
		doip_conn_close(c, DOIP_CL_RA_REFUSED);
		break;
	}
	return 0;
}

int doip_conn_alive_check(struct doip_conn *c, uint64_t now)
{
	struct doip_msg m;
	int err;

	if (c->close_reason)
		return -ENOTCONN;
	if (c->alive_deadline)
		return 0;
	/* its answer could not be read before the stream ends */
	if (doip_conn_tx_busy(c))
		return -EBUSY;
	memset(&m, 0, sizeof(m));
	m.type = DOIP_T_ALIVE_REQ;
	err = put_msg(c, &m, RESERVE);
	if (err)
		return err;
	/* 0 ms would be no timer at all: at least 1 ns */
	c->alive_deadline = now + (c->cfg.t_alive_ms ? c->cfg.t_alive_ms * MS : 1);
	return 0;
}

int doip_conn_ra_request(struct doip_conn *c, uint8_t type, uint64_t now)
{
	struct doip_msg m;
	int err;

	if (c->close_reason)
		return -ENOTCONN;
	memset(&m, 0, sizeof(m));
	m.type = DOIP_T_RA_REQ;
	m.u.ra.sa = c->cfg.la;
	m.u.ra.type = type;
	err = put_msg(c, &m, RESERVE);
	if (!err)
		activity(c, now);
	return err;
}

/* ---- timers */

enum doip_close doip_conn_timers(struct doip_conn *c, uint64_t now)
{
	if (c->close_reason)
		return DOIP_CL_NONE;
	if (c->alive_deadline && now >= c->alive_deadline) {
		doip_conn_close(c, DOIP_CL_ALIVE);
		return DOIP_CL_ALIVE;
	}
	if (c->inactivity_deadline && now >= c->inactivity_deadline) {
		enum doip_close r = c->active ? DOIP_CL_GENERAL : DOIP_CL_INITIAL;

		doip_conn_close(c, r);
		return r;
	}
	return DOIP_CL_NONE;
}

uint64_t doip_conn_deadline(const struct doip_conn *c)
{
	uint64_t d = UINT64_MAX;

	if (c->close_reason)
		return d;
	if (c->alive_deadline && c->alive_deadline < d)
		d = c->alive_deadline;
	if (c->inactivity_deadline && c->inactivity_deadline < d)
		d = c->inactivity_deadline;
	return d;
}

/* ---- input */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Fixed bytes of a type (those before its variable part). */
static uint32_t fixed_len(const struct doip_hdr *h)
{
	switch (h->type) {
	case DOIP_T_DIAG:
		return 4;
	case DOIP_T_DIAG_ACK:
	case DOIP_T_DIAG_NACK:
		return 5;
	default:
		return h->len;
	}
}

static void next_msg(struct doip_conn *c)
{
	c->rx = DOIP_RX_HDR;
	c->fix_have = 0;
	c->drop_rest = 0;
}

static void skip(struct doip_conn *c, uint64_t n)
{
	c->fix_have = 0;
	c->skip = n;
	c->rx = n ? DOIP_RX_SKIP : DOIP_RX_HDR;
}

static const struct doip_target *target(const struct doip_conn *c, uint16_t ta)
{
	for (size_t i = 0; i < c->cfg.n_targets; i++)
		if (c->cfg.targets[i].addr == ta)
			return &c->cfg.targets[i];
	return NULL;
}

/* A whole header arrived.  Returns 1 if the message goes on, 0 if it was
 * refused (NACK queued, payload skipped or the socket closed). */
static int on_header(struct doip_conn *c, struct doip_ev *ev)
{
	unsigned int acc =
		c->cfg.role == DOIP_ENTITY ? DOIP_ACCEPT_ENTITY_TCP : DOIP_ACCEPT_TESTER_TCP;
	uint8_t code;

	doip_hdr_get(c->fix, &c->h);
	if (doip_hdr_check(&c->h, acc, c->cfg.max_len, c->mem, &code)) {
		hdr_nack(c, code);
		if (code == DOIP_HN_PATTERN || code == DOIP_HN_LENGTH) {
			/* the stream's framing cannot be trusted any more */
			doip_conn_close(c,
					code == DOIP_HN_PATTERN ? DOIP_CL_PATTERN : DOIP_CL_LENGTH);
			ev->kind = DOIP_EV_CLOSED;
		} else {
			skip(c, c->h.len);
		}
		return 0;
	}
	c->msgs_in++;
	/* answer in the version the peer speaks */
	c->ver = c->h.ver;
	c->fix_need = DOIP_HDR_LEN + fixed_len(&c->h);
	c->rx = DOIP_RX_FIXED;
	return 1;
}

/* Starts the variable part of a 0x8001/0x8002/0x8003 of len bytes. */
static void body_start(struct doip_conn *c, uint64_t len)
{
	c->body_len = len;
	c->body_pos = 0;
	/* acknowledgements echo a message we sent: keep what fits */
	if (c->h.type != DOIP_T_DIAG || len <= c->rx_cap)
		c->rx = DOIP_RX_WHOLE;
	else
		c->rx = DOIP_RX_STREAM;
}

static void ev_diag(const struct doip_conn *c, struct doip_ev *ev, uint8_t kind)
{
	ev->kind = kind;
	memset(&ev->m, 0, sizeof(ev->m));
	ev->m.ver = c->h.ver;
	ev->m.type = c->h.type;
	ev->m.u.diag.sa = get16(c->fix + 8);
	ev->m.u.diag.ta = get16(c->fix + 10);
	if (c->h.type != DOIP_T_DIAG)
		ev->m.u.diag.code = c->fix[12];
	ev->off = 0;
	ev->total = c->body_len;
}

/* Entity: the checks of a diagnostic message once SA and TA are known, in
 * the order of ISO 13400-2's diagnostic message handler. */
static void entity_diag(struct doip_conn *c, struct doip_ev *ev)
{
	uint16_t sa = get16(c->fix + 8), ta = get16(c->fix + 10);
	uint64_t len = c->h.len - 4u;
	const struct doip_target *t;
	uint8_t code = 0;

	if (!c->active || sa != c->sa) {
		diag_ack(c, ta, sa, DOIP_DN_SA, NULL, 0, 0);
		doip_conn_close(c, DOIP_CL_DIAG_SA);
		ev->kind = DOIP_EV_CLOSED;
		return;
	}
	if (c->cfg.targets) {
		t = target(c, ta);
		if (!t)
			code = DOIP_DN_UNKNOWN_TA;
		else if (t->max_len && len > t->max_len)
			code = DOIP_DN_TOO_LARGE;
		else if (!t->reachable)
			code = DOIP_DN_UNREACHABLE;
	}
	if (code) {
		diag_ack(c, ta, sa, code, NULL, 0, 0);
		skip(c, len);
		return;
	}
	body_start(c, len);
}

/* The fixed part is complete: act on the message. */
static void on_fixed(struct doip_conn *c, struct doip_ev *ev)
{
	struct doip_msg m;

	switch (c->h.type) {
	case DOIP_T_DIAG:
		if (c->cfg.role == DOIP_ENTITY)
			entity_diag(c, ev);
		else
			body_start(c, c->h.len - 4u);
		return;
	case DOIP_T_DIAG_ACK:
	case DOIP_T_DIAG_NACK:
		body_start(c, c->h.len - 5u);
		return;
	default:
		break;
	}
	next_msg(c);
	if (doip_parse(c->fix, c->fix_need, &m, NULL)) {
		/* cannot happen: the header was checked; refuse, do not trust */
		doip_conn_close(c, DOIP_CL_LENGTH);
		ev->kind = DOIP_EV_CLOSED;
		return;
	}
	switch (m.type) {
	case DOIP_T_RA_REQ:
		if (c->active && m.u.ra.sa != c->sa) {
			c->ra_pending = 1;
			c->ra_sa = m.u.ra.sa;
			doip_conn_ra_reply(c, DOIP_RA_SA_DIFFERS, NULL, 0);
			ev->kind = DOIP_EV_CLOSED;
			return;
		}
		c->ra_pending = 1;
		c->ra_sa = m.u.ra.sa;
		break;
	case DOIP_T_ALIVE_RSP:
		if (!c->alive_deadline) {
			/* unasked: a tester keeping its socket alive */
			c->alive_unasked++;
			return;
		}
		c->alive_deadline = 0;
		if (c->active && m.u.alive_sa != c->sa) {
			doip_conn_close(c, DOIP_CL_ALIVE_SA);
			ev->kind = DOIP_EV_CLOSED;
			return;
		}
		break;
	case DOIP_T_ALIVE_REQ: /* tester: answer it ourselves */
		memset(&m, 0, sizeof(m));
		m.type = DOIP_T_ALIVE_RSP;
		m.u.alive_sa = c->cfg.la;
		put_msg(c, &m, 0);
		return;
	case DOIP_T_HDR_NACK:
		if (c->cfg.role == DOIP_ENTITY) {
			/* never answer a NACK; the tester learns nothing more */
			c->nacks_in++;
			return;
		}
		break;
	case DOIP_T_RA_RSP:
		if (m.u.ra.code == DOIP_RA_OK) {
			c->active = 1;
			c->sa = c->cfg.la;
		}
		break;
	default:
		/* a type the accept set lets through but nobody handles */
		c->ignored++;
		return;
	}
	ev->kind = DOIP_EV_MSG;
	ev->m = m;
	ev->off = 0;
	ev->total = 0;
}

size_t doip_conn_input(struct doip_conn *c, const uint8_t *buf, size_t len, uint64_t now,
		       struct doip_ev *ev)
{
	size_t pos = 0, n;

	ev->kind = DOIP_EV_NONE;
	if (c->close_reason) {
		ev->kind = DOIP_EV_CLOSED;
		return len;
	}
	if (c->ra_pending) {
		ev->kind = DOIP_EV_PAUSED;
		return 0;
	}
	c->bytes_in += len;
	if (len)
		activity(c, now);
	/* an ACK/NACK echoing nothing is whole once its fixed part is:
	 * one more round delivers it without waiting for more bytes */
	while (pos < len || (c->rx == DOIP_RX_WHOLE && !c->body_len)) {
		switch (c->rx) {
		case DOIP_RX_HDR:
			if (!c->fix_have && (tx_free(c) < CTRL_MAX || doip_conn_tx_busy(c))) {
				c->bytes_in -= len - pos;
				ev->kind = DOIP_EV_TX_FULL;
				return pos;
			}
			/* fall through */
		case DOIP_RX_FIXED:
			if (c->rx == DOIP_RX_HDR)
				c->fix_need = DOIP_HDR_LEN;
			n = c->fix_need - c->fix_have;
			if (n > len - pos)
				n = len - pos;
			memcpy(c->fix + c->fix_have, buf + pos, n);
			c->fix_have += (uint32_t)n;
			pos += n;
			if (c->fix_have < c->fix_need)
				break;
			if (c->rx == DOIP_RX_HDR) {
				if (!on_header(c, ev)) {
					if (ev->kind != DOIP_EV_NONE)
						goto out_event;
					break; /* NACKed: its payload is skipped */
				}
				if (c->fix_need > sizeof(c->fix)) {
					/* no accepted type has a fixed part this long */
					hdr_nack(c, DOIP_HN_LENGTH);
					doip_conn_close(c, DOIP_CL_LENGTH);
					ev->kind = DOIP_EV_CLOSED;
					goto out_event;
				}
				if (c->fix_have < c->fix_need)
					break;
			}
			on_fixed(c, ev);
			if (ev->kind != DOIP_EV_NONE)
				goto out_event;
			break;
		case DOIP_RX_WHOLE: {
			uint64_t keep = c->body_len < c->rx_cap ? c->body_len : c->rx_cap;

			if (!c->body_pos && len - pos >= c->body_len) {
				/* all there: a view of the input, no copy */
				ev_diag(c, ev,
					c->h.type == DOIP_T_DIAG ? DOIP_EV_DIAG : DOIP_EV_MSG);
				ev->m.u.diag.data = buf + pos;
				ev->m.u.diag.len = (size_t)keep;
				pos += c->body_len;
				next_msg(c);
				goto out_event;
			}
			n = len - pos;
			if (n > c->body_len - c->body_pos)
				n = (size_t)(c->body_len - c->body_pos);
			if (c->body_pos < keep) {
				size_t k = n;

				if (k > keep - c->body_pos)
					k = (size_t)(keep - c->body_pos);
				memcpy(c->rx_buf + c->body_pos, buf + pos, k);
			}
			c->body_pos += n;
			pos += n;
			if (c->body_pos == c->body_len) {
				ev_diag(c, ev,
					c->h.type == DOIP_T_DIAG ? DOIP_EV_DIAG : DOIP_EV_MSG);
				ev->m.u.diag.data = c->rx_buf;
				ev->m.u.diag.len = (size_t)keep;
				next_msg(c);
				goto out_event;
			}
			break;
		}
		case DOIP_RX_STREAM:
			n = len - pos;
			if (n > c->body_len - c->body_pos)
				n = (size_t)(c->body_len - c->body_pos);
			if (!c->drop_rest) {
				ev_diag(c, ev, DOIP_EV_DIAG);
				ev->m.u.diag.data = buf + pos;
				ev->m.u.diag.len = n;
				ev->off = c->body_pos;
			}
			c->body_pos += n;
			pos += n;
			if (c->body_pos == c->body_len)
				next_msg(c);
			if (ev->kind != DOIP_EV_NONE)
				goto out_event;
			break;
		case DOIP_RX_SKIP:
			n = len - pos;
			if (n > c->skip)
				n = (size_t)c->skip;
			c->skip -= n;
			pos += n;
			if (!c->skip)
				next_msg(c);
			break;
		}
	}
	return pos;
out_event:
	if (ev->kind == DOIP_EV_CLOSED)
		return len; /* the rest is discarded with the socket */
	c->bytes_in -= len - pos;
	return pos;
}
