/* SPDX-License-Identifier: MIT */
/*
 * gw_csum.c - can-gw checksums, AUTOSAR CRCs and E2E profiles 1 and 2.
 *
 * The can-gw semantics follow the kernel's net/can/gw.c; where the kernel
 * reads or writes outside the frame's length this code refuses instead
 * (-EMSGSIZE), see docs/gateway-checksums.md.
 */
#include <errno.h>

#include "gw_csum.h"

/*
 * The CRC tables are built by the compiler from their polynomials: each
 * entry is the register after eight MSB-first shift steps.  The unit test
 * rebuilds them bitwise and compares.
 */
#define C8_STEP(c, p) ((((c) << 1) ^ (((c)&0x80) ? (p) : 0)) & 0xFF)
#define C8_2(c, p)    C8_STEP(C8_STEP(c, p), p)
#define C8_4(c, p)    C8_2(C8_2(c, p), p)
#define C8_8(c, p)    C8_4(C8_4(c, p), p)

#define C16_STEP(c, p) ((((c) << 1) ^ (((c)&0x8000) ? (p) : 0)) & 0xFFFF)
#define C16_2(c, p)    C16_STEP(C16_STEP(c, p), p)
#define C16_4(c, p)    C16_2(C16_2(c, p), p)
#define C16_8(c, p)    C16_4(C16_4(c, p), p)

#define T4(f, i)  f(i), f((i) + 1), f((i) + 2), f((i) + 3)
#define T16(f, i) T4(f, i), T4(f, (i) + 4), T4(f, (i) + 8), T4(f, (i) + 12)
#define T64(f, i) T16(f, i), T16(f, (i) + 16), T16(f, (i) + 32), T16(f, (i) + 48)
#define T256(f)	  T64(f, 0), T64(f, 64), T64(f, 128), T64(f, 192)

#define J1850(i) C8_8(i, 0x1D)
#define H2F(i)	 C8_8(i, 0x2F)
#define CCITT(i) C16_8((i) << 8, 0x1021)

static const uint8_t tab_j1850[256] = {T256(J1850)};
static const uint8_t tab_h2f[256] = {T256(H2F)};
static const uint16_t tab_ccitt[256] = {T256(CCITT)};

void gw_crc8_table(uint8_t tab[256], uint8_t poly)
{
	unsigned int i, b, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (b = 0; b < 8; b++)
			c = ((c << 1) ^ ((c & 0x80) ? poly : 0)) & 0xFF;
		tab[i] = (uint8_t)c;
	}
}

uint8_t gw_crc8_update(const uint8_t tab[256], uint8_t crc, const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		crc = tab[crc ^ data[i]];
	return crc;
}

static uint16_t crc16_update(uint16_t crc, const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		crc = (uint16_t)((crc << 8) ^ tab_ccitt[(crc >> 8) ^ data[i]]);
	return crc;
}

/*
 * AUTOSAR chaining: a later call starts from the previous result with its
 * final XOR undone, so the pieces give the CRC of the whole.
 */
uint8_t gw_crc8_sae_j1850(const uint8_t *data, size_t len, uint8_t start, int first)
{
	uint8_t crc = first ? 0xFF : (uint8_t)(start ^ 0xFF);

	return (uint8_t)(gw_crc8_update(tab_j1850, crc, data, len) ^ 0xFF);
}

uint8_t gw_crc8_h2f(const uint8_t *data, size_t len, uint8_t start, int first)
{
	uint8_t crc = first ? 0xFF : (uint8_t)(start ^ 0xFF);

	return (uint8_t)(gw_crc8_update(tab_h2f, crc, data, len) ^ 0xFF);
}

uint16_t gw_crc16_ccitt(const uint8_t *data, size_t len, uint16_t start, int first)
{
	return crc16_update(first ? 0xFFFF : start, data, len);
}

/* ---- can-gw style rules ---------------------------------------------- */

/* can-gw's calc_idx(), plus the frame-length check can-gw does not do. */
static int idx_at(int idx, size_t len)
{
	long r = idx < 0 ? (long)len + idx : idx;

	return (r >= 0 && (size_t)r < len) ? (int)r : -1;
}

/* Resolves a rule's three indices; -EMSGSIZE if one is not in the frame. */
static int idx3(int from, int to, int res, size_t len, int *f, int *t, int *r)
{
	*f = idx_at(from, len);
	*t = idx_at(to, len);
	*r = idx_at(res, len);
	return (*f < 0 || *t < 0 || *r < 0) ? -EMSGSIZE : 0;
}

static int xor_calc(const struct gw_xor *x, const uint8_t *data, size_t len, int *res, uint8_t *val)
{
	int f, t, i, lo, hi;
	uint8_t v = x->init_xor_val;

	if (idx3(x->from_idx, x->to_idx, x->result_idx, len, &f, &t, res))
		return -EMSGSIZE;
	lo = f < t ? f : t;
	hi = f < t ? t : f;
	for (i = lo; i <= hi; i++)
		v ^= data[i];
	*val = v;
	return 0;
}

static int crc8_calc(const struct gw_crc8 *c, uint32_t id, const uint8_t *data, size_t len,
		     int *res, uint8_t *val)
{
	uint8_t crc = c->init_crc_val;
	int f, t, i;

	if (idx3(c->from_idx, c->to_idx, c->result_idx, len, &f, &t, res))
		return -EMSGSIZE;
	if (c->profile == GW_CRC8PRF_16U8 && len < 2)
		return -EMSGSIZE;
	if (f <= t)
		for (i = f; i <= t; i++)
			crc = c->crctab[crc ^ data[i]];
	else
		for (i = f; i >= t; i--)
			crc = c->crctab[crc ^ data[i]];
	/* the extra byte comes after the data, as in gw.c */
	switch (c->profile) {
	case GW_CRC8PRF_1U8:
		crc = c->crctab[crc ^ c->profile_data[0]];
		break;
	case GW_CRC8PRF_16U8:
		crc = c->crctab[crc ^ c->profile_data[data[1] & 0xF]];
		break;
	case GW_CRC8PRF_SFFID_XOR:
		crc = c->crctab[crc ^ (id & 0xFF) ^ ((id >> 8) & 0xFF)];
		break;
	}
	*val = crc ^ c->final_xor_val;
	return 0;
}

static int crc16_calc(const struct gw_crc16 *c, const uint8_t *data, size_t len, int *res,
		      uint16_t *val)
{
	uint16_t crc = c->init_val;
	int f, t, i;

	if (idx3(c->from_idx, c->to_idx, c->result_idx, len, &f, &t, res) ||
	    (size_t)*res + 1 >= len)
		return -EMSGSIZE;
	if (f <= t)
		crc = crc16_update(crc, data + f, (size_t)(t - f + 1));
	else
		for (i = f; i >= t; i--)
			crc = crc16_update(crc, data + i, 1);
	*val = crc ^ c->final_xor_val;
	return 0;
}

static void crc16_put(const struct gw_crc16 *c, uint8_t *p, uint16_t v)
{
	uint8_t hi = (uint8_t)(v >> 8), lo = (uint8_t)v;

	p[0] = c->order == GW_CRC16_LE ? lo : hi;
	p[1] = c->order == GW_CRC16_LE ? hi : lo;
}

int gw_xor_apply(const struct gw_xor *x, uint8_t *data, size_t len)
{
	uint8_t v;
	int r;

	if (xor_calc(x, data, len, &r, &v))
		return -EMSGSIZE;
	data[r] = v;
	return 0;
}

int gw_crc8_apply(const struct gw_crc8 *c, uint32_t id, uint8_t *data, size_t len)
{
	uint8_t v;
	int r;

	if (crc8_calc(c, id, data, len, &r, &v))
		return -EMSGSIZE;
	data[r] = v;
	return 0;
}

int gw_crc16_apply(const struct gw_crc16 *c, uint8_t *data, size_t len)
{
	uint16_t v;
	int r;

	if (crc16_calc(c, data, len, &r, &v))
		return -EMSGSIZE;
	crc16_put(c, data + r, v);
	return 0;
}

/* ---- E2E ---------------------------------------------------------------- */

static unsigned int nib_get(const uint8_t *data, unsigned int bitoff)
{
	uint8_t b = data[bitoff / 8];

	return (bitoff % 8) ? b >> 4 : b & 0xF;
}

static void nib_put(uint8_t *data, unsigned int bitoff, unsigned int v)
{
	uint8_t *b = &data[bitoff / 8];

	if (bitoff % 8)
		*b = (uint8_t)((*b & 0x0F) | (v << 4));
	else
		*b = (uint8_t)((*b & 0xF0) | (v & 0xF));
}

/* Bytes a profile 1 rule covers in this frame, or 0 if it does not fit. */
static size_t p01_span(const struct gw_e2e_p01 *p, size_t len)
{
	size_t n = p->data_len ? p->data_len : len;

	if (n > len || p->crc_offset / 8u >= n || p->counter_offset / 8u >= n)
		return 0;
	if (p->mode == GW_E2E_P01_DATAID_NIBBLE && p->nibble_offset / 8u >= n)
		return 0;
	return n;
}

/*
 * E2E_P01 calls Crc_CalculateCRC8 with start 0xFF and IsFirstCall FALSE
 * and XORs the result with 0xFF at the end: the J1850 polynomial with the
 * register starting at 0 and no final XOR (checked against the vectors in
 * the unit test).
 */
static uint8_t p01_crc(const struct gw_e2e_p01 *p, unsigned int counter, const uint8_t *data,
		       size_t n)
{
	uint8_t id[2] = {(uint8_t)p->data_id, (uint8_t)(p->data_id >> 8)};
	unsigned int cb = p->crc_offset / 8u;
	uint8_t crc = 0;

	switch (p->mode) {
	case GW_E2E_P01_DATAID_ALT:
		crc = gw_crc8_update(tab_j1850, crc, &id[counter & 1], 1);
		break;
	case GW_E2E_P01_DATAID_LOW:
		crc = gw_crc8_update(tab_j1850, crc, &id[0], 1);
		break;
	case GW_E2E_P01_DATAID_NIBBLE:
		id[1] = 0;
		crc = gw_crc8_update(tab_j1850, crc, id, 2);
		break;
	default:
		crc = gw_crc8_update(tab_j1850, crc, id, 2);
		break;
	}
	crc = gw_crc8_update(tab_j1850, crc, data, cb);
	return gw_crc8_update(tab_j1850, crc, data + cb + 1, n - cb - 1);
}

int gw_e2e_p01_protect(const struct gw_e2e_p01 *p, struct gw_e2e_state *st, uint8_t *data,
		       size_t len)
{
	size_t n = p01_span(p, len);
	unsigned int ctr;

	if (!n)
		return -EMSGSIZE;
	if (p->counter_mode == GW_E2E_KEEP) {
		ctr = nib_get(data, p->counter_offset);
		if (ctr > 14)
			return -ERANGE;
	} else {
		if (!st || st->counter > 14)
			return -EINVAL;
		ctr = st->counter;
		nib_put(data, p->counter_offset, ctr);
		st->counter = (uint8_t)((ctr + 1) % 15);
	}
	if (p->mode == GW_E2E_P01_DATAID_NIBBLE)
		nib_put(data, p->nibble_offset, (p->data_id >> 8) & 0xF);
	data[p->crc_offset / 8u] = p01_crc(p, ctr, data, n);
	return 0;
}

int gw_e2e_p01_check(const struct gw_e2e_p01 *p, const uint8_t *data, size_t len, uint8_t *counter)
{
	size_t n = p01_span(p, len);
	unsigned int ctr;

	if (!n)
		return -EMSGSIZE;
	ctr = nib_get(data, p->counter_offset);
	if (ctr > 14)
		return -ERANGE;
	if (counter)
		*counter = (uint8_t)ctr;
	if (p->mode == GW_E2E_P01_DATAID_NIBBLE &&
	    nib_get(data, p->nibble_offset) != ((p->data_id >> 8) & 0xFu))
		return -EBADMSG;
	return data[p->crc_offset / 8u] == p01_crc(p, ctr, data, n) ? 0 : -EBADMSG;
}

static size_t p02_span(const struct gw_e2e_p02 *p, size_t len)
{
	size_t n = p->data_len ? p->data_len : len;

	return (n >= 2 && n <= len) ? n : 0;
}

/* E2E_P02: CRC8H2F over data[1..n), continued over the Data ID. */
static uint8_t p02_crc(const struct gw_e2e_p02 *p, unsigned int counter, const uint8_t *data,
		       size_t n)
{
	uint8_t crc = gw_crc8_h2f(data + 1, n - 1, 0xFF, 1);

	return gw_crc8_h2f(&p->data_id_list[counter & 0xF], 1, crc, 0);
}

int gw_e2e_p02_protect(const struct gw_e2e_p02 *p, struct gw_e2e_state *st, uint8_t *data,
		       size_t len)
{
	size_t n = p02_span(p, len);
	unsigned int ctr;

	if (!n)
		return -EMSGSIZE;
	if (p->counter_mode == GW_E2E_KEEP) {
		ctr = data[1] & 0xF;
	} else {
		if (!st || st->counter > 15)
			return -EINVAL;
		/* AUTOSAR's P02 advances the counter before it is sent */
		ctr = (st->counter + 1u) & 0xF;
		st->counter = (uint8_t)ctr;
		nib_put(data, 8, ctr);
	}
	data[0] = p02_crc(p, ctr, data, n);
	return 0;
}

int gw_e2e_p02_check(const struct gw_e2e_p02 *p, const uint8_t *data, size_t len, uint8_t *counter)
{
	size_t n = p02_span(p, len);

	if (!n)
		return -EMSGSIZE;
	if (counter)
		*counter = data[1] & 0xF;
	return data[0] == p02_crc(p, data[1] & 0xF, data, n) ? 0 : -EBADMSG;
}

/* ---- rules as a whole ----------------------------------------------------- */

static int fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

static int idx_ok(int idx, size_t max_len)
{
	return idx >= -(long)max_len && idx < (long)max_len;
}

static int check_idx(int from, int to, int res, size_t max_len, const char **why)
{
	if (!idx_ok(from, max_len))
		return fail(why, "from index outside the frame (-len .. len-1)");
	if (!idx_ok(to, max_len))
		return fail(why, "to index outside the frame (-len .. len-1)");
	if (!idx_ok(res, max_len))
		return fail(why, "result index outside the frame (-len .. len-1)");
	return 0;
}

static int check_p01(const struct gw_e2e_p01 *p, size_t max_len, const char **why)
{
	size_t n = p->data_len ? p->data_len : max_len;
	unsigned int cb = p->crc_offset / 8u, kb = p->counter_offset / 8u;

	if (p->mode > GW_E2E_P01_DATAID_NIBBLE)
		return fail(why, "unknown E2E profile 1 Data ID mode");
	if (p->counter_mode > GW_E2E_KEEP)
		return fail(why, "counter must be keep or regenerate");
	if (p->data_len > max_len)
		return fail(why, "E2E data length longer than the frame");
	if (p->crc_offset % 8)
		return fail(why, "E2E CRC offset must be a multiple of 8 bits");
	if (p->counter_offset % 4)
		return fail(why, "E2E counter offset must be a multiple of 4 bits");
	if (cb >= n)
		return fail(why, "E2E CRC byte outside the protected data");
	if (kb >= n)
		return fail(why, "E2E counter outside the protected data");
	if (kb == cb)
		return fail(why, "E2E counter overlaps the CRC byte");
	if (p->mode != GW_E2E_P01_DATAID_NIBBLE)
		return 0;
	if (p->nibble_offset % 4)
		return fail(why, "E2E Data ID nibble offset must be a multiple of 4 bits");
	if (p->nibble_offset / 8u >= n)
		return fail(why, "E2E Data ID nibble outside the protected data");
	if (p->nibble_offset / 8u == cb)
		return fail(why, "E2E Data ID nibble overlaps the CRC byte");
	if (p->nibble_offset == p->counter_offset)
		return fail(why, "E2E Data ID nibble overlaps the counter");
	return 0;
}

int gw_csum_check(const struct gw_csum *c, size_t max_len, const char **why)
{
	if (max_len < 1 || max_len > 64)
		return fail(why, "frame length must be 1..64");
	switch (c->kind) {
	case GW_CSUM_XOR:
		return check_idx(c->u.xsum.from_idx, c->u.xsum.to_idx, c->u.xsum.result_idx,
				 max_len, why);
	case GW_CSUM_CRC8:
		if (c->u.crc8.profile > GW_CRC8PRF_SFFID_XOR)
			return fail(why, "unknown CRC8 profile");
		if (c->u.crc8.profile == GW_CRC8PRF_16U8 && max_len < 2)
			return fail(why, "CRC8 profile 16u8 reads data[1]: frames too short");
		return check_idx(c->u.crc8.from_idx, c->u.crc8.to_idx, c->u.crc8.result_idx,
				 max_len, why);
	case GW_CSUM_CRC16:
		if (c->u.crc16.order > GW_CRC16_LE)
			return fail(why, "CRC16 byte order must be big or little endian");
		if (c->u.crc16.result_idx == -1 || c->u.crc16.result_idx >= (long)max_len - 1)
			return fail(why, "CRC16 result needs two bytes inside the frame");
		return check_idx(c->u.crc16.from_idx, c->u.crc16.to_idx, c->u.crc16.result_idx,
				 max_len, why);
	case GW_CSUM_E2E_P01:
		return check_p01(&c->u.p01, max_len, why);
	case GW_CSUM_E2E_P02:
		if (c->u.p02.counter_mode > GW_E2E_KEEP)
			return fail(why, "counter must be keep or regenerate");
		if (max_len < 2 || c->u.p02.data_len == 1 || c->u.p02.data_len > max_len)
			return fail(why, "E2E profile 2 needs 2 bytes up to the frame length");
		return 0;
	}
	return fail(why, "unknown checksum kind");
}

int gw_csum_apply(const struct gw_csum *c, struct gw_e2e_state *st, uint32_t id, uint8_t *data,
		  size_t len)
{
	switch (c->kind) {
	case GW_CSUM_XOR:
		return gw_xor_apply(&c->u.xsum, data, len);
	case GW_CSUM_CRC8:
		return gw_crc8_apply(&c->u.crc8, id, data, len);
	case GW_CSUM_CRC16:
		return gw_crc16_apply(&c->u.crc16, data, len);
	case GW_CSUM_E2E_P01:
		return gw_e2e_p01_protect(&c->u.p01, st, data, len);
	case GW_CSUM_E2E_P02:
		return gw_e2e_p02_protect(&c->u.p02, st, data, len);
	}
	return -EINVAL;
}

int gw_csum_verify(const struct gw_csum *c, uint32_t id, const uint8_t *data, size_t len)
{
	uint16_t v16;
	uint8_t v, want[2];
	int r;

	switch (c->kind) {
	case GW_CSUM_XOR:
		if (xor_calc(&c->u.xsum, data, len, &r, &v))
			return -EMSGSIZE;
		return data[r] == v ? 0 : -EBADMSG;
	case GW_CSUM_CRC8:
		if (crc8_calc(&c->u.crc8, id, data, len, &r, &v))
			return -EMSGSIZE;
		return data[r] == v ? 0 : -EBADMSG;
	case GW_CSUM_CRC16:
		if (crc16_calc(&c->u.crc16, data, len, &r, &v16))
			return -EMSGSIZE;
		crc16_put(&c->u.crc16, want, v16);
		return (data[r] == want[0] && data[r + 1] == want[1]) ? 0 : -EBADMSG;
	case GW_CSUM_E2E_P01:
		return gw_e2e_p01_check(&c->u.p01, data, len, NULL);
	case GW_CSUM_E2E_P02:
		return gw_e2e_p02_check(&c->u.p02, data, len, NULL);
	}
	return -EINVAL;
}

int gw_csum_kernel_ok(const struct gw_csum *c, int fd)
{
	size_t dlen = fd ? 64 : 8;

	switch (c->kind) {
	case GW_CSUM_XOR:
		return !check_idx(c->u.xsum.from_idx, c->u.xsum.to_idx, c->u.xsum.result_idx, dlen,
				  NULL);
	case GW_CSUM_CRC8:
		/*
		 * gw.c's cgw_csum_crc8_rel() loops over and writes to the raw
		 * negative indices (bytes before data[]), so only rules with
		 * no negative index give the same bytes.
		 */
		return c->u.crc8.from_idx >= 0 && c->u.crc8.to_idx >= 0 &&
		       c->u.crc8.result_idx >= 0 && c->u.crc8.profile <= GW_CRC8PRF_SFFID_XOR &&
		       !check_idx(c->u.crc8.from_idx, c->u.crc8.to_idx, c->u.crc8.result_idx, dlen,
				  NULL);
	}
	return 0;
}
