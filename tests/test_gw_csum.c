/* SPDX-License-Identifier: MIT */
/*
 * test_gw_csum.c - the gateway's checksum toolbox against published
 * vectors and against small bitwise models written here from the sources
 * (net/can/gw.c for can-gw, the AUTOSAR call sequences for CRC and E2E),
 * so a table, an index or an order mistake in gw_csum.c shows up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_csum.h"
#include "unit.h"

/* ---- independent bitwise models ----------------------------------------- */

static uint8_t ref_crc8(uint8_t poly, uint8_t reg, const uint8_t *d, size_t n)
{
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		reg ^= d[i];
		for (b = 0; b < 8; b++)
			reg = (uint8_t)((reg & 0x80) ? (reg << 1) ^ poly : reg << 1);
	}
	return reg;
}

static uint16_t ref_crc16(uint16_t reg, const uint8_t *d, size_t n)
{
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		reg ^= (uint16_t)(d[i] << 8);
		for (b = 0; b < 8; b++)
			reg = (uint16_t)((reg & 0x8000) ? (reg << 1) ^ 0x1021 : reg << 1);
	}
	return reg;
}

/* AUTOSAR Crc_CalculateCRC8 / CRC8H2F as the spec describes the chaining */
static uint8_t ref_autosar8(uint8_t poly, const uint8_t *d, size_t n, uint8_t start, int first)
{
	uint8_t reg = first ? 0xFF : (uint8_t)(start ^ 0xFF);

	return (uint8_t)(ref_crc8(poly, reg, d, n) ^ 0xFF);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void fill(uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = (uint8_t)rnd();
}

/* ---- CRC routines ----------------------------------------------------------- */

/*
 * AUTOSAR "Specification of CRC Routines" check tables (section 7.2,
 * CRC8 / CRC8H2F / CRC16), as transcribed in github.com/Igor-Misic/AUTOSAR
 * CRC/main.cpp ("Specification of CRC Routines page 22/23").
 */
static const struct {
	uint8_t d[9];
	size_t n;
	uint8_t j1850, h2f;
	uint16_t ccitt;
} vec[] = {
	{{0x00, 0x00, 0x00, 0x00}, 4, 0x59, 0x12, 0x84C0},
	{{0xF2, 0x01, 0x83}, 3, 0x37, 0xC2, 0xD374},
	{{0x0F, 0xAA, 0x00, 0x55}, 4, 0x79, 0xC6, 0x2023},
	{{0x00, 0xFF, 0x55, 0x11}, 4, 0xB8, 0x77, 0xB8F9},
	{{0x33, 0x22, 0x55, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF}, 9, 0xCB, 0x11, 0xF53F},
	{{0x92, 0x6B, 0x55}, 3, 0x8C, 0x33, 0x0745},
	{{0xFF, 0xFF, 0xFF, 0xFF}, 4, 0x74, 0x6C, 0x1D0F},
};

static void test_crc_vectors(void)
{
	const uint8_t *check = (const uint8_t *)"123456789";
	size_t i, k;

	CU_ASSERT_EQUAL(gw_crc8_sae_j1850(check, 9, 0, 1), 0x4B);
	CU_ASSERT_EQUAL(gw_crc8_h2f(check, 9, 0, 1), 0xDF);
	CU_ASSERT_EQUAL(gw_crc16_ccitt(check, 9, 0, 1), 0x29B1);
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		CU_ASSERT_EQUAL(gw_crc8_sae_j1850(vec[i].d, vec[i].n, 0x00, 1), vec[i].j1850);
		CU_ASSERT_EQUAL(gw_crc8_h2f(vec[i].d, vec[i].n, 0x00, 1), vec[i].h2f);
		CU_ASSERT_EQUAL(gw_crc16_ccitt(vec[i].d, vec[i].n, 0x0000, 1), vec[i].ccitt);
		/* the same through the models, so the models are right too */
		CU_ASSERT_EQUAL(ref_autosar8(0x1D, vec[i].d, vec[i].n, 0, 1), vec[i].j1850);
		CU_ASSERT_EQUAL(ref_autosar8(0x2F, vec[i].d, vec[i].n, 0, 1), vec[i].h2f);
		CU_ASSERT_EQUAL(ref_crc16(0xFFFF, vec[i].d, vec[i].n), vec[i].ccitt);
		/* continued over two buffers at every split point */
		for (k = 0; k <= vec[i].n; k++) {
			uint8_t a = gw_crc8_sae_j1850(vec[i].d, k, 0x5A, 1);
			uint8_t b = gw_crc8_h2f(vec[i].d, k, 0xA5, 1);
			uint16_t c = gw_crc16_ccitt(vec[i].d, k, 0x1234, 1);

			CU_ASSERT_EQUAL(gw_crc8_sae_j1850(vec[i].d + k, vec[i].n - k, a, 0),
					vec[i].j1850);
			CU_ASSERT_EQUAL(gw_crc8_h2f(vec[i].d + k, vec[i].n - k, b, 0), vec[i].h2f);
			CU_ASSERT_EQUAL(gw_crc16_ccitt(vec[i].d + k, vec[i].n - k, c, 0),
					vec[i].ccitt);
		}
	}
	/* an empty buffer: init ^ xorout */
	CU_ASSERT_EQUAL(gw_crc8_sae_j1850(check, 0, 0, 1), 0x00);
	CU_ASSERT_EQUAL(gw_crc16_ccitt(check, 0, 0, 1), 0xFFFF);
}

static void test_crc_tables(void)
{
	uint8_t tab[256], buf[64], b;
	unsigned int i, poly, bad = 0;
	size_t n;

	/* gw_crc8_table() for every polynomial, every entry */
	for (poly = 0; poly < 256; poly++) {
		gw_crc8_table(tab, (uint8_t)poly);
		for (i = 0; i < 256; i++) {
			b = (uint8_t)i;
			bad += tab[i] != ref_crc8((uint8_t)poly, 0, &b, 1);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* the built-in tables: one byte from the init register reaches each entry */
	for (i = 0; i < 256; i++) {
		b = (uint8_t)i;
		bad += gw_crc8_sae_j1850(&b, 1, 0, 1) != ref_autosar8(0x1D, &b, 1, 0, 1);
		bad += gw_crc8_h2f(&b, 1, 0, 1) != ref_autosar8(0x2F, &b, 1, 0, 1);
		bad += gw_crc16_ccitt(&b, 1, 0, 1) != ref_crc16(0xFFFF, &b, 1);
		/* and from other registers through the chained form */
		bad += gw_crc16_ccitt(&b, 1, (uint16_t)(i * 257), 0) !=
		       ref_crc16((uint16_t)(i * 257), &b, 1);
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* random buffers */
	gw_crc8_table(tab, 0x07);
	for (i = 0; i < 2000; i++) {
		n = rnd() % 65;
		fill(buf, n);
		bad += gw_crc8_sae_j1850(buf, n, 0, 1) != ref_autosar8(0x1D, buf, n, 0, 1);
		bad += gw_crc8_h2f(buf, n, 0, 1) != ref_autosar8(0x2F, buf, n, 0, 1);
		bad += gw_crc16_ccitt(buf, n, 0, 1) != ref_crc16(0xFFFF, buf, n);
		bad += gw_crc8_update(tab, 0x42, buf, n) != ref_crc8(0x07, 0x42, buf, n);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* ---- can-gw ------------------------------------------------------------ */

/*
 * net/can/gw.c on a 64-byte frame buffer: cgw_csum_*_rel when an index is
 * negative (resolved against the frame length, nothing done if one is
 * still negative), else _pos (from <= to) or _neg.  The crctab lookup is
 * replaced by the bitwise CRC of the polynomial.  One deliberate
 * difference: gw.c's cgw_csum_crc8_rel loops over and stores to the raw
 * negative indices (bytes before data[]); the model uses the resolved ones
 * as its XOR twin does, which is what gw_csum.c implements.
 */
static int kidx(int idx, int len)
{
	return idx < 0 ? len + idx : idx;
}

static void kern_xor(const struct gw_xor *x, uint8_t *d, int len)
{
	int f = x->from_idx, t = x->to_idx, r = x->result_idx, i;
	uint8_t v = x->init_xor_val;

	if (f < 0 || t < 0 || r < 0) {
		f = kidx(f, len);
		t = kidx(t, len);
		r = kidx(r, len);
		if (f < 0 || t < 0 || r < 0)
			return;
	}
	if (f <= t)
		for (i = f; i <= t; i++)
			v ^= d[i];
	else
		for (i = f; i >= t; i--)
			v ^= d[i];
	d[r] = v;
}

static void kern_crc8(const struct gw_crc8 *c, uint8_t poly, uint32_t can_id, uint8_t *d, int len)
{
	int f = c->from_idx, t = c->to_idx, r = c->result_idx, i;
	uint8_t crc = c->init_crc_val, b;

	if (f < 0 || t < 0 || r < 0) {
		f = kidx(f, len);
		t = kidx(t, len);
		r = kidx(r, len);
		if (f < 0 || t < 0 || r < 0)
			return;
	}
	if (f <= t)
		for (i = f; i <= t; i++)
			crc = ref_crc8(poly, crc, &d[i], 1);
	else
		for (i = f; i >= t; i--)
			crc = ref_crc8(poly, crc, &d[i], 1);
	switch (c->profile) {
	case 1:
		crc = ref_crc8(poly, crc, &c->profile_data[0], 1);
		break;
	case 2:
		crc = ref_crc8(poly, crc, &c->profile_data[d[1] & 0xF], 1);
		break;
	case 3:
		b = (uint8_t)((can_id & 0xFF) ^ (can_id >> 8 & 0xFF));
		crc = ref_crc8(poly, crc, &b, 1);
		break;
	}
	d[r] = crc ^ c->final_xor_val;
}

/* Do all of a rule's resolved indices land inside a frame of len bytes? */
static int fits(int f, int t, int r, int len, int need)
{
	f = kidx(f, len);
	t = kidx(t, len);
	r = kidx(r, len);
	return f >= 0 && f < len && t >= 0 && t < len && r >= 0 && r + need <= len;
}

static void test_cangw_xor(void)
{
	struct gw_xor x;
	uint8_t fr[64], want[64], got[64];
	int f, t, r, len, ret, bad = 0, done = 0, refused = 0;
	unsigned int i;

	/* classic: every index combination and every length */
	for (len = 0; len <= 8; len++)
		for (f = -8; f < 8; f++)
			for (t = -8; t < 8; t++)
				for (r = -8; r < 8; r++) {
					x.from_idx = (int8_t)f;
					x.to_idx = (int8_t)t;
					x.result_idx = (int8_t)r;
					x.init_xor_val = (uint8_t)rnd();
					fill(fr, sizeof(fr));
					memcpy(want, fr, sizeof(fr));
					memcpy(got, fr, sizeof(fr));
					ret = gw_xor_apply(&x, got, (size_t)len);
					if (fits(f, t, r, len, 1)) {
						kern_xor(&x, want, len);
						bad += ret != 0 || memcmp(got, want, sizeof(got));
						done++;
					} else {
						bad += ret != -EMSGSIZE ||
						       memcmp(got, fr, sizeof(fr));
						refused++;
					}
				}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(done > 10000 && refused > 10000);
	/* FD: random combinations over the +-64 range */
	for (i = 0; i < 200000; i++) {
		len = (int)(rnd() % 65);
		x.from_idx = (int8_t)((int)(rnd() % 128) - 64);
		x.to_idx = (int8_t)((int)(rnd() % 128) - 64);
		x.result_idx = (int8_t)((int)(rnd() % 128) - 64);
		x.init_xor_val = (uint8_t)rnd();
		fill(fr, sizeof(fr));
		memcpy(want, fr, sizeof(fr));
		memcpy(got, fr, sizeof(fr));
		ret = gw_xor_apply(&x, got, (size_t)len);
		if (fits(x.from_idx, x.to_idx, x.result_idx, len, 1)) {
			kern_xor(&x, want, len);
			bad += ret != 0 || memcmp(got, want, sizeof(got));
		} else {
			bad += ret != -EMSGSIZE || memcmp(got, fr, sizeof(fr));
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* by hand: -1 is the last byte of this frame, from > to is the same XOR */
	{
		uint8_t d[5] = {0x01, 0x02, 0x04, 0x08, 0x00};
		struct gw_xor h = {
			.from_idx = -2, .to_idx = 0, .result_idx = -1, .init_xor_val = 0x80};

		CU_ASSERT_EQUAL(gw_xor_apply(&h, d, 5), 0);
		CU_ASSERT_EQUAL(d[4], 0x8F);
		CU_ASSERT_EQUAL(gw_xor_apply(&h, d, 3), 0); /* to 0 .. 1, into d[2] */
		CU_ASSERT_EQUAL(d[2], 0x83);
	}
}

static void test_cangw_crc8(void)
{
	static const uint8_t polys[] = {0x1D, 0x2F, 0x07};
	static const uint32_t ids[] = {0x123, 0x7FF, 0x000, 0x12345678, 0x1FFFFFFF};
	struct gw_crc8 c;
	uint8_t fr[64], want[64], got[64], tabs[3][256];
	int f, t, r, len, ret, bad = 0, done = 0, prof;
	unsigned int i, pi;
	uint32_t id;

	for (pi = 0; pi < 3; pi++)
		gw_crc8_table(tabs[pi], polys[pi]);
	memset(&c, 0, sizeof(c));
	for (i = 0; i < 16; i++)
		c.profile_data[i] = (uint8_t)(0x11 * i + 3);
	/* classic: every profile, index combination and length */
	for (prof = 0; prof <= 3; prof++) {
		c.profile = (uint8_t)prof;
		for (len = 0; len <= 8; len++)
			for (f = -8; f < 8; f++)
				for (t = -8; t < 8; t++)
					for (r = -8; r < 8; r++) {
						uint8_t poly = polys[pi = rnd() % 3];

						memcpy(c.crctab, tabs[pi], 256);
						c.from_idx = (int8_t)f;
						c.to_idx = (int8_t)t;
						c.result_idx = (int8_t)r;
						c.init_crc_val = (uint8_t)rnd();
						c.final_xor_val = (uint8_t)rnd();
						id = ids[rnd() % 5];
						fill(fr, sizeof(fr));
						memcpy(want, fr, sizeof(fr));
						memcpy(got, fr, sizeof(fr));
						ret = gw_crc8_apply(&c, id, got, (size_t)len);
						if (fits(f, t, r, len, 1) &&
						    (prof != 2 || len >= 2)) {
							kern_crc8(&c, poly, id, want, len);
							bad += ret != 0 ||
							       memcmp(got, want, sizeof(got));
							done++;
						} else {
							bad += ret != -EMSGSIZE ||
							       memcmp(got, fr, sizeof(fr));
						}
					}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(done > 40000);
	/* FD: random */
	for (i = 0; i < 100000; i++) {
		uint8_t poly = polys[pi = rnd() % 3];

		memcpy(c.crctab, tabs[pi], 256);
		len = (int)(rnd() % 65);
		c.profile = (uint8_t)(rnd() % 4);
		c.from_idx = (int8_t)((int)(rnd() % 128) - 64);
		c.to_idx = (int8_t)((int)(rnd() % 128) - 64);
		c.result_idx = (int8_t)((int)(rnd() % 128) - 64);
		c.init_crc_val = (uint8_t)rnd();
		c.final_xor_val = (uint8_t)rnd();
		id = rnd() & 0x1FFFFFFF;
		fill(fr, sizeof(fr));
		memcpy(want, fr, sizeof(fr));
		memcpy(got, fr, sizeof(fr));
		ret = gw_crc8_apply(&c, id, got, (size_t)len);
		if (fits(c.from_idx, c.to_idx, c.result_idx, len, 1) &&
		    (c.profile != 2 || len >= 2)) {
			kern_crc8(&c, poly, id, want, len);
			bad += ret != 0 || memcmp(got, want, sizeof(got));
		} else {
			bad += ret != -EMSGSIZE || memcmp(got, fr, sizeof(fr));
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* by hand: J1850 parameters walked backwards equal the reversed bytes */
	{
		uint8_t d[8] = {1, 2, 3, 4, 5, 6, 7, 0}, rev[7] = {7, 6, 5, 4, 3, 2, 1};
		uint8_t e[4] = {9, 8, 7, 0}, rev2[3] = {7, 8, 9};

		memset(&c, 0, sizeof(c));
		gw_crc8_table(c.crctab, 0x1D);
		c.init_crc_val = 0xFF;
		c.final_xor_val = 0xFF;
		c.from_idx = 6;
		c.to_idx = 0;
		c.result_idx = 7;
		CU_ASSERT_EQUAL(gw_crc8_apply(&c, 0, d, 8), 0);
		CU_ASSERT_EQUAL(d[7], gw_crc8_sae_j1850(rev, 7, 0, 1));
		c.from_idx = -2; /* the same rule relative to the end */
		c.to_idx = -8;
		c.result_idx = -1;
		d[7] = 0;
		CU_ASSERT_EQUAL(gw_crc8_apply(&c, 0, d, 8), 0);
		CU_ASSERT_EQUAL(d[7], gw_crc8_sae_j1850(rev, 7, 0, 1));
		/* on a 4-byte frame it becomes from 2 to 0, into data[3] */
		c.to_idx = -4;
		CU_ASSERT_EQUAL(gw_crc8_apply(&c, 0, e, 4), 0);
		CU_ASSERT_EQUAL(e[3], gw_crc8_sae_j1850(rev2, 3, 0, 1));
		/* SFFID_XOR folds bits 8-15 of the id, all of them (gw.c) */
		{
			uint8_t p[3] = {0xAA, 0x00, 0x00}, q[2] = {0xAA, 0x78 ^ 0x56};

			c.profile = GW_CRC8PRF_SFFID_XOR;
			c.from_idx = 0;
			c.to_idx = 0;
			c.result_idx = 2;
			CU_ASSERT_EQUAL(gw_crc8_apply(&c, 0x12345678, p, 3), 0);
			CU_ASSERT_EQUAL(p[2], gw_crc8_sae_j1850(q, 2, 0, 1));
			q[1] = 0x23 ^ 0x01;
			CU_ASSERT_EQUAL(gw_crc8_apply(&c, 0x123, p, 3), 0);
			CU_ASSERT_EQUAL(p[2], gw_crc8_sae_j1850(q, 2, 0, 1));
		}
		/* 16U8 reads data[1] before the result is stored into it */
		{
			uint8_t p[2] = {0x10, 0x05}, q[2] = {0x10, 0};

			c.profile = GW_CRC8PRF_16U8;
			for (i = 0; i < 16; i++)
				c.profile_data[i] = (uint8_t)(0xA0 + i);
			c.result_idx = 1;
			q[1] = 0xA5;
			CU_ASSERT_EQUAL(gw_crc8_apply(&c, 0, p, 2), 0);
			CU_ASSERT_EQUAL(p[1], gw_crc8_sae_j1850(q, 2, 0, 1));
		}
	}
}

static void test_crc16_rule(void)
{
	struct gw_crc16 c = {.from_idx = 0,
			     .to_idx = 8,
			     .result_idx = 9,
			     .order = GW_CRC16_BE,
			     .init_val = 0xFFFF};
	uint8_t d[11], fr[64], got[64], tmp[9];
	uint16_t v;
	unsigned int i;
	int bad = 0, len, ret;

	memcpy(d, "123456789", 9);
	CU_ASSERT_EQUAL(gw_crc16_apply(&c, d, 11), 0);
	CU_ASSERT(d[9] == 0x29 && d[10] == 0xB1);
	c.order = GW_CRC16_LE;
	c.result_idx = -2;
	CU_ASSERT_EQUAL(gw_crc16_apply(&c, d, 11), 0);
	CU_ASSERT(d[9] == 0xB1 && d[10] == 0x29);
	/* on 9 bytes: over d[0..8] as they were, into d[7] (low), d[8] */
	memcpy(tmp, d, 9);
	v = gw_crc16_ccitt(tmp, 9, 0, 1);
	CU_ASSERT_EQUAL(gw_crc16_apply(&c, d, 9), 0);
	CU_ASSERT(d[7] == (uint8_t)v && d[8] == v >> 8);
	/* random rules against the bitwise model */
	for (i = 0; i < 100000; i++) {
		int f, t, r, j;
		uint16_t reg;

		len = (int)(rnd() % 65);
		c.from_idx = (int8_t)((int)(rnd() % 128) - 64);
		c.to_idx = (int8_t)((int)(rnd() % 128) - 64);
		c.result_idx = (int8_t)((int)(rnd() % 128) - 64);
		c.order = (uint8_t)(rnd() & 1);
		c.init_val = (uint16_t)rnd();
		c.final_xor_val = (uint16_t)rnd();
		fill(fr, sizeof(fr));
		memcpy(got, fr, sizeof(fr));
		ret = gw_crc16_apply(&c, got, (size_t)len);
		if (!fits(c.from_idx, c.to_idx, c.result_idx, len, 2)) {
			bad += ret != -EMSGSIZE || memcmp(got, fr, sizeof(fr));
			continue;
		}
		f = kidx(c.from_idx, len);
		t = kidx(c.to_idx, len);
		r = kidx(c.result_idx, len);
		reg = c.init_val;
		for (j = f; f <= t ? j <= t : j >= t; j += f <= t ? 1 : -1)
			reg = ref_crc16(reg, &fr[j], 1);
		reg ^= c.final_xor_val;
		fr[r + (c.order == GW_CRC16_LE)] = (uint8_t)(reg >> 8);
		fr[r + (c.order != GW_CRC16_LE)] = (uint8_t)reg;
		bad += ret != 0 || memcmp(got, fr, sizeof(fr));
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* ---- E2E ---------------------------------------------------------------- */

/*
 * E2E_P01 CRC as AUTOSAR's flow chart calls the CRC library: start 0xFF
 * with IsFirstCall FALSE for the Data ID, chained over the data before and
 * after the CRC byte, final XOR 0xFF.
 */
static uint8_t ref_p01(const struct gw_e2e_p01 *p, unsigned int ctr, const uint8_t *d, size_t n)
{
	uint8_t lo = (uint8_t)p->data_id, hi = (uint8_t)(p->data_id >> 8), zero = 0, crc;
	size_t cb = p->crc_offset / 8u;

	switch (p->mode) {
	case GW_E2E_P01_DATAID_BOTH:
		crc = ref_autosar8(0x1D, &lo, 1, 0xFF, 0);
		crc = ref_autosar8(0x1D, &hi, 1, crc, 0);
		break;
	case GW_E2E_P01_DATAID_ALT:
		crc = ref_autosar8(0x1D, (ctr % 2) ? &hi : &lo, 1, 0xFF, 0);
		break;
	case GW_E2E_P01_DATAID_LOW:
		crc = ref_autosar8(0x1D, &lo, 1, 0xFF, 0);
		break;
	default:
		crc = ref_autosar8(0x1D, &lo, 1, 0xFF, 0);
		crc = ref_autosar8(0x1D, &zero, 1, crc, 0);
		break;
	}
	if (cb > 0)
		crc = ref_autosar8(0x1D, d, cb, crc, 0);
	if (cb + 1 < n)
		crc = ref_autosar8(0x1D, d + cb + 1, n - cb - 1, crc, 0);
	return crc ^ 0xFF;
}

static void test_e2e_p01_vectors(void)
{
	/*
	 * github.com/zariiii9003/autosar-e2e test/test_p01.py: Data ID 0x123,
	 * 8 zero bytes, CRC in byte 0, counter in the low nibble of byte 1,
	 * Data ID nibble in its high nibble; counter 0, then counter 1.
	 */
	static const struct {
		uint8_t mode;
		uint8_t f0[2], f1[2];
	} v[] = {
		{GW_E2E_P01_DATAID_BOTH, {0xCC, 0x00}, {0x91, 0x01}},
		{GW_E2E_P01_DATAID_ALT, {0xCE, 0x00}, {0x02, 0x01}},
		{GW_E2E_P01_DATAID_LOW, {0xCE, 0x00}, {0x93, 0x01}},
		{GW_E2E_P01_DATAID_NIBBLE, {0x2A, 0x10}, {0x77, 0x11}},
	};
	struct gw_e2e_p01 p = {.data_id = 0x123,
			       .crc_offset = 0,
			       .counter_offset = 8,
			       .nibble_offset = 12,
			       .data_len = 8,
			       .counter_mode = GW_E2E_REGENERATE};
	struct gw_e2e_state st;
	uint8_t d[8], ctr;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		p.mode = v[i].mode;
		memset(d, 0, sizeof(d));
		st.counter = 0;
		CU_ASSERT_EQUAL(gw_e2e_p01_protect(&p, &st, d, 8), 0);
		CU_ASSERT(d[0] == v[i].f0[0] && d[1] == v[i].f0[1]);
		CU_ASSERT_EQUAL(d[0], ref_p01(&p, 0, d, 8));
		CU_ASSERT_EQUAL(gw_e2e_p01_check(&p, d, 8, &ctr), 0);
		CU_ASSERT_EQUAL(ctr, 0);
		CU_ASSERT_EQUAL(st.counter, 1);
		CU_ASSERT_EQUAL(gw_e2e_p01_protect(&p, &st, d, 8), 0);
		CU_ASSERT(d[0] == v[i].f1[0] && d[1] == v[i].f1[1]);
		CU_ASSERT_EQUAL(gw_e2e_p01_check(&p, d, 8, &ctr), 0);
		CU_ASSERT_EQUAL(ctr, 1);
		CU_ASSERT(!memcmp(d + 2, "\0\0\0\0\0\0", 6));
	}
	/* the same test file's negative checks */
	p.mode = GW_E2E_P01_DATAID_BOTH;
	memcpy(d, "\xcc\x10\0\0\0\0\0\0", 8);
	CU_ASSERT_EQUAL(gw_e2e_p01_check(&p, d, 8, NULL), -EBADMSG);
	p.mode = GW_E2E_P01_DATAID_LOW;
	memcpy(d, "\x93\x11\0\0\0\0\0\0", 8);
	CU_ASSERT_EQUAL(gw_e2e_p01_check(&p, d, 8, NULL), -EBADMSG);
	p.mode = GW_E2E_P01_DATAID_NIBBLE;
	memcpy(d, "\x77\x21\0\0\0\0\0\0", 8);
	CU_ASSERT_EQUAL(gw_e2e_p01_check(&p, d, 8, NULL), -EBADMSG);
	/* counter 15 is reserved */
	memcpy(d, "\x77\x1F\0\0\0\0\0\0", 8);
	CU_ASSERT_EQUAL(gw_e2e_p01_check(&p, d, 8, NULL), -ERANGE);
}

static void test_e2e_p01_counter(void)
{
	struct gw_e2e_p01 p = {.data_id = 0xBEEF,
			       .mode = GW_E2E_P01_DATAID_ALT,
			       .crc_offset = 56,
			       .counter_offset = 4,
			       .data_len = 8};
	struct gw_e2e_state st = {0};
	uint8_t d[8], before[8], ctr;
	unsigned int i, modes = 0;
	int bad = 0;

	/* 0 .. 14, then 0 again; CRC in the last byte, counter in byte 0's high nibble */
	fill(d, 8);
	for (i = 0; i < 31; i++) {
		CU_ASSERT_EQUAL(gw_e2e_p01_protect(&p, &st, d, 8), 0);
		CU_ASSERT_EQUAL(d[0] >> 4, i % 15);
		CU_ASSERT_EQUAL(d[7], ref_p01(&p, i % 15, d, 8));
		CU_ASSERT_EQUAL(st.counter, (i + 1) % 15);
	}
	st.counter = 14;
	CU_ASSERT_EQUAL(gw_e2e_p01_protect(&p, &st, d, 8), 0);
	CU_ASSERT_EQUAL(d[0] >> 4, 14);
	CU_ASSERT_EQUAL(st.counter, 0);
	CU_ASSERT_EQUAL(gw_e2e_p01_protect(&p, &st, d, 8), 0);
	CU_ASSERT_EQUAL(d[0] >> 4, 0);
	/* a broken state or a missing one changes nothing */
	st.counter = 15;
	memcpy(before, d, 8);
	CU_ASSERT_EQUAL(gw_e2e_p01_protect(&p, &st, d, 8), -EINVAL);
	CU_ASSERT_EQUAL(gw_e2e_p01_protect(&p, NULL, d, 8), -EINVAL);
	CU_ASSERT(!memcmp(d, before, 8) && st.counter == 15);
	/* keep: the frame's counter stays, the CRC follows it, st is not touched */
	p.counter_mode = GW_E2E_KEEP;
	st.counter = 3;
	d[0] = (uint8_t)((d[0] & 0x0F) | 0x90);
	CU_ASSERT_EQUAL(gw_e2e_p01_protect(&p, &st, d, 8), 0);
	CU_ASSERT_EQUAL(d[0] >> 4, 9);
	CU_ASSERT_EQUAL(d[7], ref_p01(&p, 9, d, 8));
	CU_ASSERT_EQUAL(st.counter, 3);
	CU_ASSERT_EQUAL(gw_e2e_p01_protect(&p, NULL, d, 8), 0);
	CU_ASSERT_EQUAL(gw_e2e_p01_check(&p, d, 8, &ctr), 0);
	CU_ASSERT_EQUAL(ctr, 9);
	d[0] |= 0xF0;
	memcpy(before, d, 8);
	CU_ASSERT_EQUAL(gw_e2e_p01_protect(&p, NULL, d, 8), -ERANGE);
	CU_ASSERT(!memcmp(d, before, 8));
	/* random layouts and Data IDs against the model, all four modes */
	for (i = 0; i < 20000; i++) {
		struct gw_csum c = {.kind = GW_CSUM_E2E_P01};
		uint8_t f[64], want;
		size_t n = 2 + rnd() % 63;
		int r;

		c.u.p01.data_id = (uint16_t)rnd();
		c.u.p01.mode = (uint8_t)(rnd() % 4);
		c.u.p01.crc_offset = (uint16_t)(8 * (rnd() % n));
		c.u.p01.counter_offset = (uint16_t)(4 * (rnd() % (2 * n)));
		c.u.p01.nibble_offset = (uint16_t)(4 * (rnd() % (2 * n)));
		c.u.p01.data_len = (uint8_t)((rnd() & 1) ? n : 0);
		c.u.p01.counter_mode = (uint8_t)(rnd() & 1);
		if (gw_csum_check(&c, n, NULL))
			continue;
		fill(f, n);
		st.counter = (uint8_t)(rnd() % 15);
		if (c.u.p01.counter_mode == GW_E2E_KEEP) {
			uint8_t *b = &f[c.u.p01.counter_offset / 8];

			if (c.u.p01.counter_offset % 8)
				*b = (uint8_t)((*b & 0x0F) | ((rnd() % 15) << 4));
			else
				*b = (uint8_t)((*b & 0xF0) | (rnd() % 15));
		}
		r = gw_csum_apply(&c, &st, 0, f, n);
		ctr = (uint8_t)((c.u.p01.counter_offset % 8) ? f[c.u.p01.counter_offset / 8] >> 4
							     : f[c.u.p01.counter_offset / 8] & 0xF);
		want = ref_p01(&c.u.p01, ctr, f, n);
		bad += r != 0 || f[c.u.p01.crc_offset / 8] != want ||
		       gw_csum_verify(&c, 0, f, n) != 0;
		modes |= 1u << c.u.p01.mode;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(modes, 0xF);
}

static void test_e2e_p02(void)
{
	struct gw_e2e_p02 p = {.counter_mode = GW_E2E_REGENERATE, .data_len = 8};
	struct gw_e2e_state st = {0};
	uint8_t d[8], before[8], ctr, want;
	unsigned int i;
	int bad = 0;

	/* zero data, zero Data IDs: github.com/zariiii9003/autosar-e2e test_p02.py */
	memset(d, 0, 8);
	CU_ASSERT_EQUAL(gw_e2e_p02_protect(&p, &st, d, 8), 0);
	CU_ASSERT(!memcmp(d, "\x45\x01\0\0\0\0\0\0", 8));
	/* AUTOSAR PRS E2E Protocol R20-11 Table 6.28 "E2E Profile 2 example
	 * protect result" (as quoted in Vector's CAPL Crc_CalculateCRC8H2F
	 * documentation): Data IDs 0x01..0x10, counter 1 */
	for (i = 0; i < 16; i++)
		p.data_id_list[i] = (uint8_t)(i + 1);
	memset(d, 0, 8);
	st.counter = 0;
	CU_ASSERT_EQUAL(gw_e2e_p02_protect(&p, &st, d, 8), 0);
	CU_ASSERT(!memcmp(d, "\x1B\x01\0\0\0\0\0\0", 8));
	CU_ASSERT_EQUAL(gw_e2e_p02_check(&p, d, 8, &ctr), 0);
	CU_ASSERT_EQUAL(ctr, 1);
	/* autosar-e2e again: bytes 0..7, Data IDs 0..15 */
	for (i = 0; i < 16; i++)
		p.data_id_list[i] = (uint8_t)i;
	for (i = 0; i < 8; i++)
		d[i] = (uint8_t)i;
	st.counter = 1;
	CU_ASSERT_EQUAL(gw_e2e_p02_protect(&p, &st, d, 8), 0);
	CU_ASSERT(!memcmp(d, "\xbc\x02\x02\x03\x04\x05\x06\x07", 8));
	CU_ASSERT_EQUAL(gw_e2e_p02_check(&p, d, 8, NULL), 0);
	CU_ASSERT_EQUAL(
		gw_e2e_p02_check(&p, (const uint8_t *)"\xbc\x01\x02\x03\x04\x05\x06\x07", 8, NULL),
		-EBADMSG);
	p.counter_mode = GW_E2E_KEEP;
	for (i = 0; i < 8; i++)
		d[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(gw_e2e_p02_protect(&p, NULL, d, 8), 0);
	CU_ASSERT(!memcmp(d, "\x61\x01\x02\x03\x04\x05\x06\x07", 8));
	/* keep accepts 15, leaves the high nibble and st alone */
	d[1] = 0xAF;
	st.counter = 7;
	CU_ASSERT_EQUAL(gw_e2e_p02_protect(&p, &st, d, 8), 0);
	CU_ASSERT(d[1] == 0xAF && st.counter == 7);
	CU_ASSERT_EQUAL(gw_e2e_p02_check(&p, d, 8, &ctr), 0);
	CU_ASSERT_EQUAL(ctr, 15);
	/* regenerate: 15 wraps to 0; high nibble of byte 1 kept */
	p.counter_mode = GW_E2E_REGENERATE;
	st.counter = 14;
	CU_ASSERT_EQUAL(gw_e2e_p02_protect(&p, &st, d, 8), 0);
	CU_ASSERT(d[1] == 0xAF && st.counter == 15);
	CU_ASSERT_EQUAL(gw_e2e_p02_protect(&p, &st, d, 8), 0);
	CU_ASSERT(d[1] == 0xA0 && st.counter == 0);
	CU_ASSERT_EQUAL(gw_e2e_p02_check(&p, d, 8, NULL), 0);
	st.counter = 16;
	memcpy(before, d, 8);
	CU_ASSERT_EQUAL(gw_e2e_p02_protect(&p, &st, d, 8), -EINVAL);
	CU_ASSERT(!memcmp(d, before, 8) && st.counter == 16);
	/* 40 frames against the model (AUTOSAR's two chained CRC8H2F calls) */
	st.counter = 0;
	for (i = 0; i < 40; i++) {
		uint8_t f[64];
		size_t n = 2 + rnd() % 63;

		fill(f, 64);
		p.data_len = (uint8_t)((rnd() & 1) ? n : 0);
		CU_ASSERT_EQUAL(gw_e2e_p02_protect(&p, &st, f, n), 0);
		bad += (f[1] & 0xF) != (i + 1) % 16;
		want = ref_autosar8(0x2F, f + 1, n - 1, 0xFF, 1);
		want = ref_autosar8(0x2F, &p.data_id_list[(i + 1) % 16], 1, want, 0);
		bad += f[0] != want;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* ---- rules as a whole ------------------------------------------------------- */

/* A valid rule of each kind for classic frames of 8 bytes. */
static void sample_rules(struct gw_csum r[6])
{
	memset(r, 0, 6 * sizeof(r[0]));
	r[0].kind = GW_CSUM_XOR;
	r[0].u.xsum = (struct gw_xor){
		.from_idx = 0, .to_idx = -2, .result_idx = -1, .init_xor_val = 0x5A};
	r[1].kind = GW_CSUM_CRC8;
	r[1].u.crc8.from_idx = 1;
	r[1].u.crc8.to_idx = 6;
	r[1].u.crc8.result_idx = 7;
	r[1].u.crc8.init_crc_val = 0xFF;
	r[1].u.crc8.final_xor_val = 0xFF;
	r[1].u.crc8.profile = GW_CRC8PRF_SFFID_XOR;
	gw_crc8_table(r[1].u.crc8.crctab, 0x1D);
	r[2].kind = GW_CSUM_CRC16;
	r[2].u.crc16 =
		(struct gw_crc16){.from_idx = 2, .to_idx = 7, .result_idx = 0, .init_val = 0xFFFF};
	r[3].kind = GW_CSUM_E2E_P01;
	r[3].u.p01 = (struct gw_e2e_p01){.data_id = 0x123,
					 .mode = GW_E2E_P01_DATAID_NIBBLE,
					 .crc_offset = 0,
					 .counter_offset = 8,
					 .nibble_offset = 12,
					 .data_len = 8};
	r[4].kind = GW_CSUM_E2E_P02;
	r[4].u.p02.data_len = 8;
	r[5].kind = GW_CSUM_CRC8;
	r[5].u.crc8 = r[1].u.crc8;
	r[5].u.crc8.profile = GW_CRC8PRF_16U8;
	r[5].u.crc8.from_idx = -1;
	r[5].u.crc8.to_idx = 2;
	r[5].u.crc8.result_idx = 0;
}

static void test_bounds(void)
{
	struct gw_csum r[6];
	struct gw_e2e_state st;
	unsigned int k;
	size_t len;
	int ret;

	sample_rules(r);
	for (k = 0; k < 6; k++) {
		CU_ASSERT_EQUAL(gw_csum_check(&r[k], 8, NULL), 0);
		for (len = 0; len <= 8; len++) {
			/* exact size, so ASan sees any access past len */
			uint8_t *d = malloc(len ? len : 1), *copy = malloc(len ? len : 1);

			CU_ASSERT_FATAL(d && copy);
			fill(d, len);
			memcpy(copy, d, len);
			st.counter = 4;
			ret = gw_csum_apply(&r[k], &st, 0x321, d, len);
			if (len < 8 && k != 0 && k != 5) {
				CU_ASSERT_EQUAL(ret, -EMSGSIZE);
				CU_ASSERT(!memcmp(d, copy, len));
				CU_ASSERT_EQUAL(st.counter, 4);
				CU_ASSERT_EQUAL(gw_csum_verify(&r[k], 0x321, d, len), -EMSGSIZE);
			} else if (ret == 0) {
				CU_ASSERT_EQUAL(gw_csum_verify(&r[k], 0x321, d, len), 0);
			} else {
				CU_ASSERT_EQUAL(ret, -EMSGSIZE);
				CU_ASSERT(!memcmp(d, copy, len));
			}
			free(d);
			free(copy);
		}
	}
	/* the relative rules fit shorter frames: XOR from 2 bytes, CRC8 16u8 from 3 */
	{
		uint8_t d[3] = {1, 2, 3};

		CU_ASSERT_EQUAL(gw_csum_apply(&r[0], NULL, 0, d, 1), -EMSGSIZE);
		CU_ASSERT_EQUAL(gw_csum_apply(&r[0], NULL, 0, d, 2), 0);
		CU_ASSERT_EQUAL(d[1], 0x5A ^ 1);
		CU_ASSERT_EQUAL(gw_csum_apply(&r[5], NULL, 0, d, 2), -EMSGSIZE);
		CU_ASSERT_EQUAL(gw_csum_apply(&r[5], NULL, 0, d, 3), 0);
	}
	/* E2E with data_len 0 covers whatever the frame has */
	{
		struct gw_e2e_p01 p = r[3].u.p01;
		uint8_t d[3] = {0};

		p.data_len = 0;
		st.counter = 0;
		CU_ASSERT_EQUAL(gw_e2e_p01_protect(&p, &st, d, 1), -EMSGSIZE);
		CU_ASSERT_EQUAL(gw_e2e_p01_protect(&p, &st, d, 2), 0);
		CU_ASSERT_EQUAL(d[0], ref_p01(&p, 0, d, 2));
		CU_ASSERT_EQUAL(d[2], 0);
	}
	/* apply then verify, then a flipped bit is seen */
	for (k = 0; k < 6; k++) {
		uint8_t d[8];
		unsigned int i;

		for (i = 0; i < 200; i++) {
			fill(d, 8);
			st.counter = (uint8_t)(rnd() % 15);
			CU_ASSERT_EQUAL(gw_csum_apply(&r[k], &st, 0x7FF, d, 8), 0);
			CU_ASSERT_EQUAL(gw_csum_verify(&r[k], 0x7FF, d, 8), 0);
			d[k == 0 ? 7 : k == 1 ? 7 : 0] ^= (uint8_t)(1u << (rnd() % 8));
			CU_ASSERT_EQUAL(gw_csum_verify(&r[k], 0x7FF, d, 8), -EBADMSG);
		}
	}
}

static void test_check(void)
{
	static const struct {
		struct gw_csum c;
		size_t max_len;
		int want;
	} t[] = {
		{{.kind = GW_CSUM_XOR, .u.xsum = {0, 7, -1, 0}}, 8, 0},
		{{.kind = GW_CSUM_XOR, .u.xsum = {-8, 7, -8, 0}}, 8, 0},
		{{.kind = GW_CSUM_XOR, .u.xsum = {0, 8, 1, 0}}, 8, -EINVAL},
		{{.kind = GW_CSUM_XOR, .u.xsum = {-9, 0, 1, 0}}, 8, -EINVAL},
		{{.kind = GW_CSUM_XOR, .u.xsum = {0, 1, 8, 0}}, 8, -EINVAL},
		{{.kind = GW_CSUM_XOR, .u.xsum = {0, 40, -64, 0}}, 64, 0},
		{{.kind = GW_CSUM_XOR, .u.xsum = {0, 40, -64, 0}}, 8, -EINVAL},
		{{.kind = GW_CSUM_XOR, .u.xsum = {0, 1, 2, 0}}, 0, -EINVAL},
		{{.kind = GW_CSUM_XOR, .u.xsum = {0, 1, 2, 0}}, 65, -EINVAL},
		{{.kind = 0}, 8, -EINVAL},
		{{.kind = 6}, 8, -EINVAL},
		{{.kind = GW_CSUM_CRC8, .u.crc8 = {.to_idx = 6, .result_idx = 7, .profile = 3}},
		 8,
		 0},
		{{.kind = GW_CSUM_CRC8, .u.crc8 = {.to_idx = 6, .result_idx = 7, .profile = 4}},
		 8,
		 -EINVAL},
		{{.kind = GW_CSUM_CRC8, .u.crc8 = {.result_idx = -1, .profile = 2}}, 1, -EINVAL},
		{{.kind = GW_CSUM_CRC8, .u.crc8 = {.to_idx = -9, .result_idx = 7}}, 8, -EINVAL},
		{{.kind = GW_CSUM_CRC16, .u.crc16 = {.to_idx = 5, .result_idx = 6}}, 8, 0},
		{{.kind = GW_CSUM_CRC16, .u.crc16 = {.to_idx = 5, .result_idx = -2}}, 8, 0},
		{{.kind = GW_CSUM_CRC16, .u.crc16 = {.to_idx = 5, .result_idx = 7}}, 8, -EINVAL},
		{{.kind = GW_CSUM_CRC16, .u.crc16 = {.to_idx = 5, .result_idx = -1}}, 8, -EINVAL},
		{{.kind = GW_CSUM_CRC16, .u.crc16 = {.to_idx = 5, .result_idx = -9}}, 8, -EINVAL},
		{{.kind = GW_CSUM_CRC16, .u.crc16 = {.result_idx = 0, .order = 2}}, 8, -EINVAL},
		{{.kind = GW_CSUM_E2E_P01, .u.p01 = {.counter_offset = 8}}, 8, 0},
		{{.kind = GW_CSUM_E2E_P01, .u.p01 = {.counter_offset = 8, .mode = 4}}, 8, -EINVAL},
		{{.kind = GW_CSUM_E2E_P01, .u.p01 = {.counter_offset = 8, .counter_mode = 2}},
		 8,
		 -EINVAL},
		{{.kind = GW_CSUM_E2E_P01, .u.p01 = {.crc_offset = 4, .counter_offset = 8}},
		 8,
		 -EINVAL},
		{{.kind = GW_CSUM_E2E_P01, .u.p01 = {.counter_offset = 6}}, 8, -EINVAL},
		{{.kind = GW_CSUM_E2E_P01, .u.p01 = {.counter_offset = 4}}, 8, -EINVAL},
		{{.kind = GW_CSUM_E2E_P01, .u.p01 = {.crc_offset = 64, .counter_offset = 8}},
		 8,
		 -EINVAL},
		{{.kind = GW_CSUM_E2E_P01, .u.p01 = {.counter_offset = 68}}, 8, -EINVAL},
		{{.kind = GW_CSUM_E2E_P01,
		  .u.p01 = {.crc_offset = 32, .counter_offset = 8, .data_len = 4}},
		 8,
		 -EINVAL},
		{{.kind = GW_CSUM_E2E_P01, .u.p01 = {.counter_offset = 8, .data_len = 9}},
		 8,
		 -EINVAL},
		{{.kind = GW_CSUM_E2E_P01,
		  .u.p01 = {.counter_offset = 8, .mode = 3, .nibble_offset = 12}},
		 8,
		 0},
		{{.kind = GW_CSUM_E2E_P01,
		  .u.p01 = {.counter_offset = 8, .mode = 3, .nibble_offset = 14}},
		 8,
		 -EINVAL},
		{{.kind = GW_CSUM_E2E_P01,
		  .u.p01 = {.counter_offset = 8, .mode = 3, .nibble_offset = 8}},
		 8,
		 -EINVAL},
		{{.kind = GW_CSUM_E2E_P01,
		  .u.p01 = {.counter_offset = 8, .mode = 3, .nibble_offset = 4}},
		 8,
		 -EINVAL},
		{{.kind = GW_CSUM_E2E_P01,
		  .u.p01 = {.counter_offset = 8, .mode = 3, .nibble_offset = 64}},
		 8,
		 -EINVAL},
		{{.kind = GW_CSUM_E2E_P02, .u.p02 = {.data_len = 0}}, 8, 0},
		{{.kind = GW_CSUM_E2E_P02, .u.p02 = {.data_len = 2}}, 8, 0},
		{{.kind = GW_CSUM_E2E_P02, .u.p02 = {.data_len = 1}}, 8, -EINVAL},
		{{.kind = GW_CSUM_E2E_P02, .u.p02 = {.data_len = 9}}, 8, -EINVAL},
		{{.kind = GW_CSUM_E2E_P02, .u.p02 = {.counter_mode = 2}}, 8, -EINVAL},
		{{.kind = GW_CSUM_E2E_P02, .u.p02 = {.data_len = 0}}, 1, -EINVAL},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *why = NULL;
		int got = gw_csum_check(&t[i].c, t[i].max_len, &why);

		CU_ASSERT_EQUAL(got, t[i].want);
		if (got != t[i].want)
			fprintf(stderr, "check case %zu: got %d (%s)\n", i, got, why ? why : "");
		if (t[i].want) {
			CU_ASSERT(why && *why);
		} else {
			CU_ASSERT_PTR_NULL(why);
		}
	}
	/* an unknown kind is refused when applied too */
	{
		uint8_t d[8] = {0};

		CU_ASSERT_EQUAL(gw_csum_apply(&t[9].c, NULL, 0, d, 8), -EINVAL);
		CU_ASSERT_EQUAL(gw_csum_verify(&t[9].c, 0, d, 8), -EINVAL);
	}
}

static void test_kernel_ok(void)
{
	struct gw_csum r[6];

	sample_rules(r);
	CU_ASSERT_EQUAL(gw_csum_kernel_ok(&r[0], 0), 1); /* XOR, relative */
	CU_ASSERT_EQUAL(gw_csum_kernel_ok(&r[1], 0), 1); /* CRC8, absolute */
	CU_ASSERT_EQUAL(gw_csum_kernel_ok(&r[2], 0), 0); /* CRC16: canrig only */
	CU_ASSERT_EQUAL(gw_csum_kernel_ok(&r[3], 0), 0); /* E2E */
	CU_ASSERT_EQUAL(gw_csum_kernel_ok(&r[4], 0), 0);
	CU_ASSERT_EQUAL(gw_csum_kernel_ok(&r[5], 0), 0); /* CRC8 with a negative index */
	r[0].u.xsum.to_idx = 40;
	CU_ASSERT_EQUAL(gw_csum_kernel_ok(&r[0], 0), 0);
	CU_ASSERT_EQUAL(gw_csum_kernel_ok(&r[0], 1), 1);
	/*
	 * E2E profile 2 with a kept counter on fixed-length frames is can-gw's
	 * CRC8 16U8 profile with the H2F table, init and final XOR 0xFF, data[1]
	 * to the last byte into data[0]: that is how such a route is offloaded.
	 */
	{
		struct gw_crc8 k;
		struct gw_e2e_p02 p = {.counter_mode = GW_E2E_KEEP};
		uint8_t a[64], b[64];
		unsigned int i;
		size_t n;
		int bad = 0;

		memset(&k, 0, sizeof(k));
		gw_crc8_table(k.crctab, 0x2F);
		k.init_crc_val = 0xFF;
		k.final_xor_val = 0xFF;
		k.profile = GW_CRC8PRF_16U8;
		k.from_idx = 1;
		k.result_idx = 0;
		for (i = 0; i < 2000; i++) {
			n = 2 + rnd() % 63;
			fill(p.data_id_list, 16);
			memcpy(k.profile_data, p.data_id_list, 16);
			p.data_len = (uint8_t)n;
			k.to_idx = (int8_t)(n - 1);
			fill(a, n);
			memcpy(b, a, n);
			bad += gw_e2e_p02_protect(&p, NULL, a, n) != 0;
			bad += gw_crc8_apply(&k, 0, b, n) != 0;
			bad += memcmp(a, b, n) != 0;
		}
		CU_ASSERT_EQUAL(bad, 0);
	}
}

static int register_gw_csum_tests(void)
{
	CU_pSuite s = CU_add_suite("gw_csum (can-gw, AUTOSAR CRC, E2E)", NULL, NULL);

	if (!s || !CU_add_test(s, "AUTOSAR CRC check values and chaining", test_crc_vectors) ||
	    !CU_add_test(s, "CRC tables against bitwise CRCs", test_crc_tables) ||
	    !CU_add_test(s, "can-gw XOR: every index combination", test_cangw_xor) ||
	    !CU_add_test(s, "can-gw CRC8: profiles, indices, order", test_cangw_crc8) ||
	    !CU_add_test(s, "CRC16 rule", test_crc16_rule) ||
	    !CU_add_test(s, "E2E profile 1 vectors and check", test_e2e_p01_vectors) ||
	    !CU_add_test(s, "E2E profile 1 counter: wrap, keep, layouts", test_e2e_p01_counter) ||
	    !CU_add_test(s, "E2E profile 2", test_e2e_p02) ||
	    !CU_add_test(s, "short frames, apply and verify", test_bounds) ||
	    !CU_add_test(s, "config check", test_check) ||
	    !CU_add_test(s, "kernel can-gw offload", test_kernel_ok))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(gw_csum, register_gw_csum_tests)
