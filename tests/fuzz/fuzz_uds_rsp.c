/* SPDX-License-Identifier: MIT */
/*
 * fuzz_uds_rsp.c - libFuzzer target: every UDS answer parser, and the
 * client engine, fed what an ECU could send.
 * Input: [request length][request...][answer...] once for the parsers;
 * then the rest as records [time step][source][len][answer...] for the
 * client engine on a fake clock.  Answers sit in exact-size heap buffers,
 * so a read past their end is an ASan report.
 */
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uds.h"
#include "uds_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int len_of(void *ctx, uint16_t did)
{
	(void)ctx;
	/* some known, some not: both paths of every parser */
	return did & 1 ? -1 : (int)(did % 7);
}

static void on_did(void *ctx, uint16_t did, const uint8_t *p, size_t n)
{
	volatile uint8_t x = 0;

	(void)ctx;
	(void)did;
	if (n)
		x = p[0] ^ p[n - 1];
	(void)x;
}

static void on_rec(void *ctx, uint8_t rec, int did, const uint8_t *p, size_t n)
{
	(void)rec;
	on_did(ctx, (uint16_t)did, p, n);
}

static void parsers(const uint8_t *req, size_t reqlen, const uint8_t *rsp, size_t len)
{
	uint16_t dids[8];
	struct uds_dtc t[8], one;
	const uint8_t *seed;
	uint32_t a, b;
	uint8_t av, fmt;
	uint16_t cnt;
	size_t n, i;

	uds_check_response(req, reqlen, rsp, len);
	uds_parse_session(rsp, len, &a, &b);
	if (!uds_parse_seed(rsp, len, &seed, &n))
		uds_seed_is_zero(seed, n);
	uds_parse_download(rsp, len, &a);
	uds_parse_dtc_count(rsp, len, &av, &fmt, &cnt);
	uds_parse_dtc_list(rsp, len, &av, t, 8, &n);
	uds_parse_dtc_records(rsp, len, &one, len_of, NULL, on_rec, NULL);
	uds_parse_dtc_records(rsp, len, &one, NULL, NULL, on_rec, NULL);
	/* the DIDs "asked for" are the request's pairs */
	for (n = 0, i = 1; i + 1 < reqlen && n < 8; i += 2)
		dids[n++] = (uint16_t)(req[i] << 8 | req[i + 1]);
	if (n)
		uds_parse_read_did(rsp, len, dids, n, len_of, NULL, on_did, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uds_client_cfg cfg;
	struct uds_client c;
	struct uds_tx tx;
	size_t pos, reqlen;
	uint64_t now = 0;
	uint8_t *req, *rsp;

	if (size < 2)
		return 0;
	reqlen = data[0] % 16 + 1;
	if (1 + reqlen > size)
		return 0;
	req = malloc(reqlen);
	memcpy(req, data + 1, reqlen);
	pos = 1 + reqlen;
	rsp = malloc(size - pos + 1);
	memcpy(rsp, data + pos, size - pos);
	parsers(req, reqlen, rsp, size - pos);
	free(rsp);

	uds_client_cfg_init(&cfg);
	uds_client_init(&c, &cfg);
	uds_client_request(&c, req, reqlen, data[0] & 0x80 ? UDS_REQ_FUNCTIONAL : 0, now);
	if (uds_client_output(&c, now, &tx))
		uds_client_sent(&c, tx.kind, now);
	while (pos + 3 <= size) {
		uint8_t step = data[pos], src = data[pos + 1];
		size_t n = data[pos + 2] % 64;

		pos += 3;
		if (n > size - pos)
			n = size - pos;
		now += (uint64_t)step * 20000000ull;
		uds_client_timers(&c, now);
		while (uds_client_output(&c, now, &tx))
			uds_client_sent(&c, tx.kind, now);
		rsp = malloc(n ? n : 1);
		memcpy(rsp, data + pos, n);
		if (src & 0x80)
			uds_client_rx_start(&c, 0x7E8 + (src & 7), now);
		else if (src & 0x40)
			uds_client_rx_error(&c, 0x7E8 + (src & 7), -ETIMEDOUT, now);
		else
			uds_client_input(&c, 0x7E8 + (src & 7), rsp, n, now);
		free(rsp);
		pos += n;
		/* the engine's promise: a deadline, never a stuck wait */
		if (c.state == UDS_WAIT && uds_client_deadline(&c) == UINT64_MAX)
			abort();
	}
	/* every request ends by the cap at the latest */
	now += (uint64_t)cfg.cap_ms * 1000000ull;
	uds_client_timers(&c, now);
	while (c.state == UDS_WAIT && uds_client_timers(&c, now))
		;
	if (c.state != UDS_IDLE)
		abort();
	free(req);
	return 0;
}
