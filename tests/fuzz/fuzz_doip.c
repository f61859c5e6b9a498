/* SPDX-License-Identifier: MIT */
/*
 * fuzz_doip.c - libFuzzer target: the DoIP codec, the entity's UDP
 * answers and the TCP_DATA socket engine (entity or tester) fed fuzzed
 * byte chunks, clock steps and caller decisions.
 * Input: a config byte, then records [op][len][bytes...].  Each chunk sits
 * in an exact-size buffer, so a read past it is an ASan report; the
 * invariants (events inside their buffers, output made of whole valid
 * messages, deadlines in the future) are checked after every step.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MS 1000000ull

/* Bytes from the output's head to the next message's start: a partial
 * send (as a socket's) leaves the rest of a message at the head. */
static size_t boundary;

/* The output must be whole, valid messages; then up to max is sent. */
static void drain(struct doip_conn *c, uint64_t now, size_t max)
{
	size_t n, pos = boundary, sent;
	const uint8_t *p = doip_conn_output(c, &n);

	if (c->tx_head > c->tx_tail || c->tx_tail > c->tx_cap || pos > n)
		__builtin_trap();
	sent = n < max ? n : max;
	while (pos < n) {
		struct doip_hdr h;
		struct doip_msg m;

		if (n - pos < DOIP_HDR_LEN)
			__builtin_trap();
		doip_hdr_get(p + pos, &h);
		if (h.len > n - pos - DOIP_HDR_LEN)
			__builtin_trap();
		if (doip_parse(p + pos, DOIP_HDR_LEN + h.len, &m, NULL))
			__builtin_trap();
		pos += DOIP_HDR_LEN + h.len;
		if (boundary < sent && pos >= sent)
			boundary = pos;
	}
	boundary = boundary >= sent ? boundary - sent : 0;
	doip_conn_sent(c, sent, now);
}

static void check_ev(const struct doip_conn *c, const struct doip_ev *ev, const uint8_t *in,
		     size_t len)
{
	const struct doip_diag *d = &ev->m.u.diag;
	int has_data = ev->kind == DOIP_EV_DIAG ||
		       (ev->kind == DOIP_EV_MSG &&
			(ev->m.type == DOIP_T_DIAG_ACK || ev->m.type == DOIP_T_DIAG_NACK));

	if (!has_data)
		return;
	if (d->len > ev->total || ev->off > ev->total - d->len)
		__builtin_trap();
	if (!d->len)
		return;
	/* a view of the chunk or of the caller's receive buffer, nothing else */
	if (!((d->data >= in && d->data + d->len <= in + len) ||
	      (c->rx_buf && d->data >= c->rx_buf && d->data + d->len <= c->rx_buf + c->rx_cap)))
		__builtin_trap();
}

static void codec(const uint8_t *in, size_t len)
{
	struct doip_msg m;
	uint8_t out[256], nack = 0xEE;
	size_t ol;

	/* whatever parses builds back to the very same bytes */
	if (!doip_parse(in, len, &m, &nack)) {
		if (len > sizeof(out))
			return;
		if (doip_build(&m, out, sizeof(out), &ol) || ol != len || memcmp(out, in, len))
			__builtin_trap();
	} else if (nack > DOIP_HN_LENGTH) {
		__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rx[300], tx[512], udp_out[128];
	static const struct doip_target targets[] = {{0x10, 1, 0}, {0x11, 1, 8}, {0x12, 0, 0}};
	struct doip_entity e;
	struct doip_entity_state st = {1, DOIP_PM_READY, 0};
	struct doip_conn_cfg cfg;
	struct doip_conn c;
	uint64_t now = 0;
	size_t pos = 1;

	if (size < 1)
		return 0;
	boundary = 0;
	doip_conn_cfg_init(&cfg, (data[0] & 1) ? DOIP_TESTER : DOIP_ENTITY, 0x0E80);
	if (data[0] & 2) {
		cfg.targets = targets;
		cfg.n_targets = 3;
	}
	if (data[0] & 4)
		cfg.max_len = 40;
	if (doip_conn_init(&c, &cfg, (data[0] & 8) ? NULL : rx, (data[0] & 8) ? 0 : sizeof(rx), tx,
			   (data[0] & 16) ? DOIP_CONN_TX_MIN : sizeof(tx), 0))
		__builtin_trap();
	doip_entity_init(&e);
	memcpy(e.vin, "WVWZZZ1JZXW000001", 17);
	while (pos + 2 <= size) {
		uint8_t op = data[pos], n = data[pos + 1];
		uint8_t *chunk;
		size_t len = n, off = 0;

		pos += 2;
		if (len > size - pos)
			len = size - pos;
		chunk = malloc(len ? len : 1);
		if (!chunk)
			return 0;
		memcpy(chunk, data + pos, len);
		pos += len;
		switch (op & 7) {
		case 0: /* a received chunk, handled as an adapter would */
		case 1:
		case 2:
			while (off <= len) {
				struct doip_ev ev;
				size_t k = doip_conn_input(&c, chunk + off, len - off, now, &ev);

				if (k > len - off)
					__builtin_trap();
				if (ev.kind == DOIP_EV_NONE && k != len - off)
					__builtin_trap();
				check_ev(&c, &ev, chunk + off, len - off);
				off += k;
				if (ev.kind == DOIP_EV_MSG && ev.m.type == DOIP_T_RA_REQ)
					doip_conn_ra_reply(&c, op >> 3, NULL, now);
				else if (ev.kind == DOIP_EV_DIAG && (op & 0x80))
					doip_conn_diag_drop(&c);
				else if (ev.kind == DOIP_EV_TX_FULL)
					drain(&c, now, SIZE_MAX);
				else if (ev.kind != DOIP_EV_MSG && ev.kind != DOIP_EV_DIAG)
					break;
			}
			break;
		case 3: /* time passes */
			now += (uint64_t)n * n * 10 * MS;
			doip_conn_timers(&c, now);
			break;
		case 4: /* the caller acts */
			if (n & 1)
				doip_conn_alive_check(&c, now);
			if (n & 2)
				doip_conn_diag_ack(&c, 0x10, n >> 4, chunk, len & 15, now);
			if (n & 4)
				doip_conn_send_diag(&c, 0x10, 0x0E80, chunk, len, now);
			if (n & 8)
				doip_conn_ra_request(&c, 0, now);
			break;
		case 5: /* a datagram to the entity */
		{
			size_t ol;
			uint8_t nack;

			if (doip_entity_udp(&e, &st, chunk, len, udp_out, sizeof(udp_out), &ol,
					    &nack))
				__builtin_trap();
			if (ol > sizeof(udp_out) ||
			    (ol && doip_parse(udp_out, ol, &(struct doip_msg){0}, NULL)))
				__builtin_trap();
			break;
		}
		case 6:
			codec(chunk, len);
			break;
		default:
			drain(&c, now, n);
			break;
		}
		free(chunk);
		{
			uint64_t d = doip_conn_deadline(&c);

			/* after timers ran, nothing is already due; never beyond the
			 * longest timer */
			if (d != UINT64_MAX && (d > now + 300000 * MS + 1 || c.close_reason))
				__builtin_trap();
			if (doip_conn_timers(&c, now) == DOIP_CL_NONE && !c.close_reason &&
			    doip_conn_deadline(&c) <= now && doip_conn_deadline(&c) != UINT64_MAX)
				__builtin_trap();
		}
		if (c.body_pos > c.body_len ||
		    (c.rx == DOIP_RX_WHOLE && c.body_len > c.rx_cap && c.h.type == DOIP_T_DIAG))
			__builtin_trap();
	}
	drain(&c, now, SIZE_MAX);
	return 0;
}
