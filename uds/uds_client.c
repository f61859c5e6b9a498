/* SPDX-License-Identifier: MIT */
/* uds_client.c - UDS client timing and answer matching, no I/O. */
#include <errno.h>
#include <string.h>

#include "uds.h"
#include "uds_client.h"

#define MS 1000000ull

void uds_client_cfg_init(struct uds_client_cfg *c)
{
	memset(c, 0, sizeof(*c));
	/* udsoncan's defaults for P2/P2*; ISO's 50 ms is too tight for a
	 * tester on a loaded host, and the ECU's own values are adopted */
	c->p2_ms = 1000;
	c->p2star_ms = 5000;
	c->margin_ms = 200;
	c->adopt_timing = UDS_ADOPT_P2 | UDS_ADOPT_P2STAR;
	c->cap_ms = 60000;
	/* ISO 14229-2 S3server is 5 s; half of it leaves room for jitter */
	c->tp_ms = 2000;
	c->tp_functional = 1;
}

void uds_client_init(struct uds_client *c, const struct uds_client_cfg *cfg)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->p2_ns = (uint64_t)cfg->p2_ms * MS;
	c->p2star_ns = (uint64_t)cfg->p2star_ms * MS;
	c->tp_msg[0] = 0x3E;
	c->tp_msg[1] = UDS_SUPPRESS_POS;
	c->state = UDS_IDLE;
}

int uds_client_request(struct uds_client *c, const uint8_t *req, size_t len, unsigned int flags,
		       uint64_t now)
{
	if (c->state != UDS_IDLE)
		return -EBUSY;
	if (!len)
		return -EINVAL;
	c->req = req;
	c->req_len = len;
	c->flags = flags;
	c->suppress = uds_has_subfunction(req[0]) && len >= 2 && (req[1] & UDS_SUPPRESS_POS);
	c->handed = 0;
	c->npeers = 0;
	memset(&c->phys, 0, sizeof(c->phys));
	c->answers = 0;
	c->npending = 0;
	c->result = 0;
	c->timeout = NULL;
	c->timeout_ms = 0;
	c->transport_err = 0;
	c->cap_end = now + (uint64_t)c->cfg.cap_ms * MS;
	c->state = UDS_SEND;
	return 0;
}

static int functional(const struct uds_client *c)
{
	return !!(c->flags & UDS_REQ_FUNCTIONAL);
}

/* The request ends without its answer: one may still come, late. */
static void went_stale(struct uds_client *c)
{
	if (!functional(c))
		c->stale_sid = c->req[0];
}

void uds_client_cancel(struct uds_client *c)
{
	if (c->state == UDS_WAIT || (c->state == UDS_SEND && c->handed))
		went_stale(c);
	c->state = UDS_IDLE;
}

static int tp_active(const struct uds_client *c)
{
	return c->cfg.tp_ms && (c->nondefault || c->state == UDS_WAIT);
}

int uds_client_output(struct uds_client *c, uint64_t now, struct uds_tx *tx)
{
	if (c->state == UDS_SEND && !c->handed) {
		c->handed = 1;
		tx->data = c->req;
		tx->len = c->req_len;
		tx->functional = !!(c->flags & UDS_REQ_FUNCTIONAL);
		tx->kind = UDS_TX_REQUEST;
		return 1;
	}
	if (tp_active(c) && c->state != UDS_SEND && now >= c->tp_due) {
		c->tp_due = now + (uint64_t)c->cfg.tp_ms * MS;
		tx->data = c->tp_msg;
		tx->len = sizeof(c->tp_msg);
		tx->functional = c->cfg.tp_functional;
		tx->kind = UDS_TX_TESTER;
		return 1;
	}
	return 0;
}

static void start_wait(struct uds_client *c, uint64_t now)
{
	c->state = UDS_WAIT;
	c->sent_at = now;
	c->window_end = now + c->p2_ns;
	c->window_open = 1;
	c->phys.deadline = now + c->p2_ns;
	/* any request keeps the ECU's S3 running: the next TesterPresent is
	 * a full period away */
	c->tp_due = now + (uint64_t)c->cfg.tp_ms * MS;
}

unsigned int uds_client_sent(struct uds_client *c, int kind, uint64_t now)
{
	if (kind == UDS_TX_REQUEST && c->state == UDS_SEND && c->handed)
		start_wait(c, now);
	return 0;
}

static unsigned int finish(struct uds_client *c, int result)
{
	c->result = result;
	c->state = UDS_IDLE;
	return UDS_EV_DONE;
}

unsigned int uds_client_tx_error(struct uds_client *c, int kind, int err, uint64_t now)
{
	(void)now;
	if (kind != UDS_TX_REQUEST || c->state != UDS_SEND)
		return 0;
	c->transport_err = err;
	return finish(c, -ECOMM);
}

/* The peer record for src; NULL once the table is full. */
static struct uds_peer *peer_of(struct uds_client *c, uint32_t src, uint64_t now)
{
	struct uds_peer *p;
	unsigned int i;

	if (!functional(c))
		return &c->phys;
	for (i = 0; i < c->npeers; i++)
		if (c->peer[i].src == src)
			return &c->peer[i];
	if (c->npeers == UDS_CLIENT_MAX_PEERS)
		return NULL;
	p = &c->peer[c->npeers++];
	memset(p, 0, sizeof(*p));
	p->src = src;
	p->deadline = now + c->p2_ns;
	return p;
}

/* A request sent and answered before the transport confirmed it. */
static int accepting(struct uds_client *c, uint64_t now)
{
	if (c->state == UDS_SEND && c->handed)
		start_wait(c, now);
	return c->state == UDS_WAIT;
}

unsigned int uds_client_rx_start(struct uds_client *c, uint32_t src, uint64_t now)
{
	struct uds_peer *p;

	if (!accepting(c, now))
		return 0;
	p = peer_of(c, src, now);
	if (p && !p->done)
		p->deadline = UINT64_MAX;
	return 0;
}

static int all_settled(const struct uds_client *c, uint64_t now)
{
	unsigned int i;

	if (now < c->window_end)
		return 0;
	for (i = 0; i < c->npeers; i++)
		if (!c->peer[i].done)
			return 0;
	return 1;
}

static unsigned int functional_end(struct uds_client *c)
{
	/* nobody answering a suppressed request is the expected outcome */
	return finish(c, c->answers || c->suppress ? 0 : -ETIMEDOUT);
}

/* The ECU's value plus the margin, but at least floor_ms: ISO 14229-2's
 * P2client_max is P2server_max plus the network's delay, and a tester on a
 * loaded host cannot honour an ECU's 50 ms (udsoncan's 1 s is the floor). */
static uint64_t floored(uint32_t ecu_ms, uint32_t margin_ms, uint32_t floor_ms)
{
	uint64_t v = (uint64_t)ecu_ms + margin_ms;

	return (v > floor_ms ? v : floor_ms) * MS;
}

/* Learns session and timing from a positive answer. */
static void learn(struct uds_client *c, const uint8_t *rsp, size_t len, uint64_t now)
{
	uint32_t p2, p2s;

	if (c->req[0] == 0x10 && c->req_len >= 2) {
		int nd = (c->req[1] & 0x7F) != 0x01;

		if (nd && !c->nondefault)
			c->tp_due = now + (uint64_t)c->cfg.tp_ms * MS;
		c->nondefault = nd;
		if (c->cfg.adopt_timing && !uds_parse_session(rsp, len, &p2, &p2s)) {
			c->ecu_p2_ms = p2;
			c->ecu_p2star_ms = p2s;
			c->ecu_timing = 1;
			if (c->cfg.adopt_timing & UDS_ADOPT_P2)
				c->p2_ns = floored(p2, c->cfg.margin_ms, c->cfg.p2_ms);
			if (c->cfg.adopt_timing & UDS_ADOPT_P2STAR)
				c->p2star_ns = floored(p2s, c->cfg.margin_ms, c->cfg.p2star_ms);
		}
	} else if (c->req[0] == 0x11) {
		/* a reset ends every non-default session */
		c->nondefault = 0;
	}
}

static int is_tester_echo(const struct uds_client *c, const uint8_t *rsp, size_t len)
{
	if (c->req[0] == 0x3E)
		return 0;
	return rsp[0] == 0x7E || (rsp[0] == UDS_NEGATIVE_RESPONSE && len >= 2 && rsp[1] == 0x3E);
}

/* The late answer to the request that went stale (and not to this one). */
static int is_stale(const struct uds_client *c, const uint8_t *rsp, size_t len)
{
	uint8_t s = c->stale_sid;

	if (!s || functional(c) || s == c->req[0])
		return 0;
	return rsp[0] == (uint8_t)(s + 0x40) ||
	       (rsp[0] == UDS_NEGATIVE_RESPONSE && len >= 2 && rsp[1] == s);
}

unsigned int uds_client_input(struct uds_client *c, uint32_t src, const uint8_t *rsp, size_t len,
			      uint64_t now)
{
	struct uds_peer *p;
	int rc;

	if (!accepting(c, now))
		return 0;
	/* an ECU that ignores the suppress bit of our keep-alive */
	if (len && is_tester_echo(c, rsp, len))
		return 0;
	if (len && is_stale(c, rsp, len)) {
		c->stale_drops++;
		return 0;
	}
	p = peer_of(c, src, now);
	if (!p || p->done)
		return 0;
	rc = uds_check_response(c->req, c->req_len, rsp, len);
	if (rc == UDS_NRC_PENDING) {
		p->pending = 1;
		p->deadline = now + c->p2star_ns;
		c->npending++;
		return UDS_EV_PENDING;
	}
	p->done = 1;
	c->answers++;
	/* an ECU answers one request at a time: the old one is over */
	if (!functional(c))
		c->stale_sid = 0;
	if (!rc)
		learn(c, rsp, len, now);
	c->rsp = rsp;
	c->rsp_len = len;
	c->rsp_src = src;
	c->rsp_result = rc;
	if (!functional(c))
		return UDS_EV_RESPONSE | finish(c, rc);
	return UDS_EV_RESPONSE | (all_settled(c, now) ? functional_end(c) : 0);
}

unsigned int uds_client_rx_error(struct uds_client *c, uint32_t src, int err, uint64_t now)
{
	struct uds_peer *p;

	if (!accepting(c, now))
		return 0;
	p = peer_of(c, src, now);
	if (!p || p->done)
		return 0;
	p->done = 1;
	c->transport_err = err;
	c->rsp = NULL;
	c->rsp_len = 0;
	c->rsp_src = src;
	c->rsp_result = -ECOMM;
	if (!functional(c))
		return UDS_EV_RESPONSE | finish(c, -ECOMM);
	return UDS_EV_RESPONSE | (all_settled(c, now) ? functional_end(c) : 0);
}

unsigned int uds_client_timers(struct uds_client *c, uint64_t now)
{
	unsigned int i;

	if (c->state != UDS_WAIT)
		return 0;
	if (now >= c->cap_end) {
		c->timeout = "cap";
		c->timeout_ms = c->cfg.cap_ms;
		if (functional(c))
			return functional_end(c);
		went_stale(c);
		return finish(c, -ETIMEDOUT);
	}
	if (!functional(c)) {
		if (now < c->phys.deadline)
			return 0;
		if (c->suppress && !c->phys.pending)
			return finish(c, 0);
		c->timeout = c->phys.pending ? "P2*" : "P2";
		c->timeout_ms = (uint32_t)((c->phys.pending ? c->p2star_ns : c->p2_ns) / MS);
		went_stale(c);
		return finish(c, -ETIMEDOUT);
	}
	if (now >= c->window_end)
		c->window_open = 0;
	/* one late ECU per call: each gets its own event */
	for (i = 0; i < c->npeers; i++) {
		struct uds_peer *p = &c->peer[i];

		if (p->done || now < p->deadline)
			continue;
		p->done = 1;
		c->timeout = p->pending ? "P2*" : "P2";
		c->timeout_ms = (uint32_t)((p->pending ? c->p2star_ns : c->p2_ns) / MS);
		c->rsp = NULL;
		c->rsp_len = 0;
		c->rsp_src = p->src;
		c->rsp_result = -ETIMEDOUT;
		return UDS_EV_RESPONSE | (all_settled(c, now) ? functional_end(c) : 0);
	}
	return all_settled(c, now) ? functional_end(c) : 0;
}

void uds_client_stalled(struct uds_client *c, uint64_t ns)
{
	unsigned int i;

	if (c->state != UDS_WAIT)
		return;
	if (c->phys.deadline != UINT64_MAX)
		c->phys.deadline += ns;
	if (c->window_open)
		c->window_end += ns;
	for (i = 0; i < c->npeers; i++)
		if (!c->peer[i].done && c->peer[i].deadline != UINT64_MAX)
			c->peer[i].deadline += ns;
}

uint64_t uds_client_deadline(const struct uds_client *c)
{
	uint64_t d = UINT64_MAX;
	unsigned int i;

	if (c->state == UDS_SEND && !c->handed)
		return 0;
	if (tp_active(c) && c->state != UDS_SEND)
		d = c->tp_due;
	if (c->state != UDS_WAIT)
		return d;
	if (c->cap_end < d)
		d = c->cap_end;
	if (!functional(c)) {
		if (c->phys.deadline < d)
			d = c->phys.deadline;
		return d;
	}
	if (c->window_open && c->window_end < d)
		d = c->window_end;
	for (i = 0; i < c->npeers; i++)
		if (!c->peer[i].done && c->peer[i].deadline < d)
			d = c->peer[i].deadline;
	return d;
}

void uds_client_set_session(struct uds_client *c, int nondefault, uint64_t now)
{
	if (nondefault && !c->nondefault)
		c->tp_due = now + (uint64_t)c->cfg.tp_ms * MS;
	c->nondefault = nondefault;
}

const char *uds_client_strerror(int result)
{
	if (result >= 0x10 && result <= 0xFF)
		return uds_nrc_name((uint8_t)result);
	switch (result) {
	case 0:
		return "positive response";
	case -ETIMEDOUT:
		return "no response (timeout)";
	case -ECOMM:
		return "transport error";
	case -EPROTO:
		return "response to another service (wrong SID echo)";
	case -EILSEQ:
		return "wrong sub-function echoed";
	case -EBADMSG:
		return "response too short or malformed";
	default:
		return strerror(-result);
	}
}
