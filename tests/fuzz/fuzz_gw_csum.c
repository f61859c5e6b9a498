/* SPDX-License-Identifier: MIT */
/*
 * fuzz_gw_csum.c - libFuzzer target: a fuzzed checksum rule goes through
 * gw_csum_check(), then is applied to and verified on a fuzzed frame held
 * in an exact-size heap buffer (ASan reports any access past its length).
 * Unchecked rules are applied too: bounds must hold whatever the config.
 * Input: [kind][max_len][len][state][id x4][rule bytes ...][payload ...].
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw_csum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Is the resolved result byte (or pair) outside the bytes the rule reads? */
static int result_outside(const struct gw_csum *c, size_t len)
{
	int f, t, r, w = 1;

	switch (c->kind) {
	case GW_CSUM_XOR:
		f = c->u.xsum.from_idx;
		t = c->u.xsum.to_idx;
		r = c->u.xsum.result_idx;
		break;
	case GW_CSUM_CRC8:
		f = c->u.crc8.from_idx;
		t = c->u.crc8.to_idx;
		r = c->u.crc8.result_idx;
		break;
	case GW_CSUM_CRC16:
		f = c->u.crc16.from_idx;
		t = c->u.crc16.to_idx;
		r = c->u.crc16.result_idx;
		w = 2;
		break;
	default:
		return 1; /* E2E never covers its own CRC byte */
	}
	f = f < 0 ? (int)len + f : f;
	t = t < 0 ? (int)len + t : t;
	r = r < 0 ? (int)len + r : r;
	if (f > t) {
		int s = f;

		f = t;
		t = s;
	}
	if (c->kind == GW_CSUM_CRC8 && c->u.crc8.profile == GW_CRC8PRF_16U8 && r <= 1 && r + w > 1)
		return 0;
	return r + w - 1 < f || r > t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_csum c;
	struct gw_e2e_state st, st0;
	const char *why = NULL;
	size_t max_len, len, n;
	uint32_t id;
	uint8_t *frame, *copy, kind, cmode;
	int checked, r;

	if (size < 8)
		return 0;
	memset(&c, 0, sizeof(c));
	kind = (uint8_t)(data[0] % 7);
	max_len = data[1] % 66; /* 0 and 65 must be refused */
	len = data[2] % 65;
	st.counter = data[3] % 17;
	memcpy(&id, data + 4, 4);
	data += 8;
	size -= 8;
	n = size < sizeof(c.u) ? size : sizeof(c.u);
	memcpy(&c.u, data, n);
	c.kind = kind;
	cmode = kind == GW_CSUM_E2E_P01 ? c.u.p01.counter_mode : c.u.p02.counter_mode;
	data += n;
	size -= n;

	checked = gw_csum_check(&c, max_len, &why) == 0;
	if (!checked && (!why || !*why))
		abort();
	if (checked && (max_len < 1 || max_len > 64))
		abort();

	frame = malloc(len ? len : 1);
	copy = malloc(len ? len : 1);
	if (!frame || !copy) {
		free(frame);
		free(copy);
		return 0;
	}
	memset(frame, 0, len);
	memcpy(frame, data, size < len ? size : len);
	memcpy(copy, frame, len);
	st0 = st;

	(void)gw_csum_verify(&c, id, frame, len);
	r = gw_csum_apply(&c, &st, id, frame, len);
	if (r && (memcmp(frame, copy, len) || st.counter != st0.counter))
		abort(); /* a refused frame must be left alone */
	if (r && r != -EMSGSIZE && r != -ERANGE && r != -EINVAL)
		abort();
	if (checked) {
		/* a checked rule always fits a frame of its maximum length */
		if (len == max_len && r == -EMSGSIZE)
			abort();
		if (r == -EINVAL && st0.counter <= (kind == GW_CSUM_E2E_P01 ? 14 : 15))
			abort();
		if (!r && result_outside(&c, len) && gw_csum_verify(&c, id, frame, len))
			abort();
		if (!r && (kind == GW_CSUM_E2E_P01 || kind == GW_CSUM_E2E_P02) &&
		    cmode == GW_E2E_REGENERATE && st.counter == st0.counter)
			abort();
	}
	/* the same rule without a state */
	memcpy(frame, copy, len);
	r = gw_csum_apply(&c, NULL, id, frame, len);
	if (r && memcmp(frame, copy, len))
		abort();
	free(frame);
	free(copy);
	return 0;
}
