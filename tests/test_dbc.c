/* SPDX-License-Identifier: MIT */
/*
 * test_dbc.c - DBC parser, decode and encode, against values worked out by
 * hand from the bit layouts in tests/data/test.dbc.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbc.h"
#include "dbc_priv.h"
#include "unit.h"

struct warns {
	unsigned int n;
	char msg[16][DBC_ERRMSG_MAX];
};

static void collect(void *ctx, const char *msg)
{
	struct warns *w = ctx;

	if (w->n < 16)
		snprintf(w->msg[w->n], DBC_ERRMSG_MAX, "%s", msg);
	w->n++;
}

static struct dbc_db *load_test(unsigned int flags, struct warns *w)
{
	struct dbc_opts o = {flags, collect, w};
	struct dbc_db *db = NULL;
	char err[DBC_ERRMSG_MAX];
	int e;

	memset(w, 0, sizeof(*w));
	e = dbc_load_file(test_data("test.dbc"), &o, &db, err, sizeof(err));
	CU_ASSERT_EQUAL(e, 0);
	if (e)
		fprintf(stderr, "load: %s\n", err);
	return db;
}

static struct dbc_db *load_str(const char *s, unsigned int flags, struct warns *w)
{
	struct dbc_opts o = {flags, collect, w};
	struct dbc_db *db = NULL;
	char err[DBC_ERRMSG_MAX];

	memset(w, 0, sizeof(*w));
	if (dbc_load_mem("mem.dbc", s, strlen(s), &o, &db, err, sizeof(err)))
		snprintf(w->msg[0], DBC_ERRMSG_MAX, "%s", err);
	return db;
}

/* A frame over an exact-size heap copy, so ASan sees any over-read. */
static struct cf_frame *frame(uint32_t id, int ext, const uint8_t *d, unsigned int len)
{
	struct cf_frame *f = calloc(1, sizeof(*f) + (len ? len : 1));
	uint8_t *buf = (uint8_t *)(f + 1);

	memcpy(buf, d, len);
	f->id = id;
	f->len = (uint8_t)len;
	f->data = buf;
	f->flags = (uint8_t)((ext ? CF_EFF : 0) | (len > 8 ? CF_FD : 0));
	return f;
}

static const uint8_t D[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF};
static const uint8_t FF[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

/* Decodes d as message id; vals must hold the message's signals. */
static const struct dbc_message *dec(const struct dbc_db *db, uint32_t id, int ext,
				     const uint8_t *d, unsigned int len, struct dbc_value *vals,
				     unsigned int *rf)
{
	struct cf_frame *f = frame(id, ext, d, len);
	const struct dbc_message *m = dbc_lookup(db, f);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	dbc_decode(m, f, DBC_DEC_LABELS, vals, rf);
	free(f);
	return m;
}

static int sig(const struct dbc_message *m, const char *name)
{
	const struct dbc_signal *s = dbc_find_sig(m, name);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return (int)s->index;
}

static void test_load_sections(void)
{
	struct warns w;
	struct dbc_db *db = load_test(0, &w);
	const struct dbc_message *m;
	const struct dbc_signal *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db->nmsgs, 12);
	CU_ASSERT_STRING_EQUAL(db->version, "1.0");
	CU_ASSERT_EQUAL(db->baudrate, 500000);
	CU_ASSERT_EQUAL(db->nnodes, 3);
	CU_ASSERT_STRING_EQUAL(db->nodes[2].name, "3rdNode");
	CU_ASSERT_STRING_EQUAL(db->nodes[0].comment, "Engine ECU");
	CU_ASSERT_STRING_EQUAL(db->comment, "Network comment");
	/* two warnings, each with file:line:col */
	CU_ASSERT_EQUAL(w.n, 2);
	CU_ASSERT(strstr(w.msg[0], "test.dbc:69:5: ") != NULL);
	CU_ASSERT(strstr(w.msg[0], "0x800") != NULL);
	CU_ASSERT(strstr(w.msg[1], "test.dbc:82:1: unknown section 'FOO_'") != NULL);

	m = dbc_find_msg(db, "Intel");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->comment, "A message comment\nspanning two lines "
					   "with \"quotes\"");
	CU_ASSERT_EQUAL(m->nsenders, 3);
	CU_ASSERT_STRING_EQUAL(m->senders[2], "3rdNode");
	CU_ASSERT_EQUAL(m->cycle_time, 100);
	CU_ASSERT_STRING_EQUAL(m->send_type, "Cyclic");
	s = dbc_find_sig(m, "s12");
	CU_ASSERT_DOUBLE_EQUAL(s->scale, 0.25, 0);
	CU_ASSERT_STRING_EQUAL(s->unit, "\xb0"
					"C"); /* raw Latin-1 byte */
	CU_ASSERT_EQUAL(dbc_find_sig(m, "b7")->nreceivers, 2);
	CU_ASSERT_STRING_EQUAL(dbc_find_sig(m, "u8")->comment, "byte one");
	s = dbc_find_sig(m, "u27_with_a_really_long_name_over_32_chars");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s->name, "u27");
	CU_ASSERT_STRING_EQUAL(dbc_find_msg(db, "Moto")->comment, "comment with no signal name");
	/* defaults apply where no BA_ is given */
	CU_ASSERT_STRING_EQUAL(dbc_find_msg(db, "Moto")->send_type, "Event");
	CU_ASSERT_EQUAL(dbc_find_msg(db, "Moto")->cycle_time, 0);
	m = dbc_find_msg(db, "FdMsg");
	CU_ASSERT(m->ext && m->fd && m->id == 0x400 && m->length == 64);
	CU_ASSERT_STRING_EQUAL(m->frame_format, "ExtendedCAN_FD");
	CU_ASSERT(dbc_find_msg(db, "Floats")->fd); /* 12 bytes */
	CU_ASSERT(!dbc_find_msg(db, "Moto")->fd);
	CU_ASSERT_DOUBLE_EQUAL(dbc_find_sig(dbc_find_msg(db, "Mux"), "common")->start_raw, 42, 0);
	m = dbc_find_msg(db, "NoExtBit");
	CU_ASSERT(m->ext && m->id == 0x800);
	{
		const char *str = NULL;

		CU_ASSERT_EQUAL(dbc_attr(db, DBC_OBJ_NET, NULL, "BusType", NULL, &str), 1);
		CU_ASSERT_STRING_EQUAL(str, "CAN FD");
		CU_ASSERT_EQUAL(dbc_attr(db, DBC_OBJ_NET, NULL, "NoSuch", NULL, &str), 0);
	}
	dbc_free(db);
	dbc_free(NULL);

	/* strict: the first warning fails the load, with its position */
	{
		struct dbc_opts o = {DBC_STRICT, NULL, NULL};
		char err[DBC_ERRMSG_MAX];

		CU_ASSERT_EQUAL(dbc_load_file(test_data("test.dbc"), &o, &db, err, sizeof(err)),
				-EINVAL);
		CU_ASSERT_PTR_NULL(db);
		CU_ASSERT(strstr(err, "test.dbc:69:5: ") != NULL);
	}
}

static void test_intel(void)
{
	struct warns w;
	struct dbc_db *db = load_test(0, &w);
	struct dbc_value v[8];
	const struct dbc_message *m;
	unsigned int rf;

	m = dec(db, 0x100, 0, D, 8, v, &rf);
	CU_ASSERT_EQUAL(rf, 0);
	CU_ASSERT_EQUAL(v[sig(m, "b1")].raw.u, 1); /* byte0 bit0 */
	CU_ASSERT_EQUAL(v[sig(m, "b7")].raw.u, 0); /* 0x01 >> 1 */
	CU_ASSERT_EQUAL(v[sig(m, "u8")].raw.u, 0x23);
	CU_ASSERT_EQUAL(v[sig(m, "u9")].raw.u, 0x145); /* 0x45 | (0x67&1)<<8 */
	/* bits 25..36: 0x67>>1 = 0x33, then (0x89 & 0x1F) << 7 */
	CU_ASSERT_EQUAL(v[sig(m, "s12")].raw.i, 0x33 + (0x09 << 7));
	CU_ASSERT_DOUBLE_EQUAL(v[sig(m, "s12")].phys, 1203 * 0.25 - 10, 1e-12);
	/* bits 37..63: 0x89>>5, 0xAB<<3, 0xCD<<11, 0xEF<<19 */
	CU_ASSERT_EQUAL(v[sig(m, "u27")].raw.u, 4 + (0xABu << 3) + (0xCDu << 11) + (0xEFu << 19));

	m = dec(db, 0x100, 0, FF, 8, v, NULL);
	CU_ASSERT_EQUAL(v[sig(m, "s12")].raw.i, -1);
	CU_ASSERT_DOUBLE_EQUAL(v[sig(m, "s12")].phys, -10.25, 0);
	CU_ASSERT_EQUAL(v[sig(m, "u9")].raw.u, 511);
	CU_ASSERT_EQUAL(v[sig(m, "b7")].raw.u, 127);
	dbc_free(db);
}

static void test_motorola(void)
{
	struct warns w;
	struct dbc_db *db = load_test(0, &w);
	struct dbc_value v[8];
	const struct dbc_message *m;

	m = dec(db, 0x101, 0, D, 8, v, NULL);
	CU_ASSERT_EQUAL(v[sig(m, "m1")].raw.u, 0); /* byte0 bit7 */
	CU_ASSERT_EQUAL(v[sig(m, "m7")].raw.u, 1); /* byte0 bits 6..0 */
	/* MSB at byte1 bit7: all of byte1, then byte2 bits 7..4 */
	CU_ASSERT_EQUAL(v[sig(m, "m12")].raw.i, (0x23 << 4) | (0x45 >> 4));
	/* MSB at byte2 bit3: byte2 bits 3..0, then byte3 bits 7..3 */
	CU_ASSERT_EQUAL(v[sig(m, "m9")].raw.u, ((0x45 & 0xF) << 5) | (0x67 >> 3));
	m = dec(db, 0x101, 0, FF, 8, v, NULL);
	CU_ASSERT_EQUAL(v[sig(m, "m12")].raw.i, -1);
	CU_ASSERT_EQUAL(v[sig(m, "m9")].raw.u, 511);
	dbc_free(db);
}

static void test_wide(void)
{
	struct warns w;
	struct dbc_db *db = load_test(0, &w);
	struct dbc_value v[2];
	const struct dbc_message *m;
	char out[40];

	m = dec(db, 0x102, 0, D, 8, v, NULL);
	CU_ASSERT_EQUAL(v[0].raw.u, 0xEFCDAB8967452301ull);
	CU_ASSERT(v[0].raw.i < 0);
	dbc_fmt_phys(&m->sigs[0], &v[0], out);
	CU_ASSERT_STRING_EQUAL(out, "-1167088121787636991"); /* exact, no double */
	m = dec(db, 0x103, 0, D, 8, v, NULL);
	CU_ASSERT_EQUAL(v[0].raw.u, 0x0123456789ABCDEFull);
	dbc_fmt_phys(&m->sigs[0], &v[0], out);
	CU_ASSERT_STRING_EQUAL(out, "81985529216486895");
	m = dec(db, 0x104, 0, D, 8, v, NULL);
	CU_ASSERT_EQUAL(v[0].raw.u, 0xEFCDAB8967452301ull >> 1);
	m = dec(db, 0x103, 0, FF, 8, v, NULL);
	dbc_fmt_phys(&m->sigs[0], &v[0], out);
	CU_ASSERT_STRING_EQUAL(out, "18446744073709551615");
	dbc_free(db);
}

static void test_float(void)
{
	struct warns w;
	struct dbc_db *db = load_test(0, &w);
	struct dbc_value v[2];
	/* 1.5f little endian, then -2.25 big endian from byte 4 */
	static const uint8_t d[12] = {0x00, 0x00, 0xC0, 0x3F, 0xC0, 0x02, 0, 0, 0, 0, 0, 0};
	const struct dbc_message *m = dec(db, 0x105, 0, d, 12, v, NULL);

	CU_ASSERT_EQUAL(m->sigs[0].kind, DBC_FLOAT32);
	CU_ASSERT_EQUAL(m->sigs[1].kind, DBC_FLOAT64);
	CU_ASSERT_DOUBLE_EQUAL(v[0].phys, 1.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(v[1].phys, -2.25, 0);
	dbc_free(db);
}

static void test_choices(void)
{
	struct warns w;
	struct dbc_db *db = load_test(0, &w);
	struct dbc_value v[2];
	static const uint8_t d[2] = {0x0F, 0x03};
	const struct dbc_message *m = dec(db, 0x106, 0, d, 2, v, NULL);

	CU_ASSERT_EQUAL(v[0].raw.i, -1);
	CU_ASSERT_STRING_EQUAL(v[0].label, "Error"); /* negative VAL_ */
	CU_ASSERT_STRING_EQUAL(v[1].label, "D");
	CU_ASSERT_EQUAL(m->sigs[0].nchoices, 3);
	CU_ASSERT_EQUAL(m->sigs[0].choices[0].value, -1); /* sorted */
	CU_ASSERT_PTR_NULL(dbc_label(&m->sigs[0], 5));
	CU_ASSERT_STRING_EQUAL(dbc_label(&m->sigs[0], 3), "Run");
	dbc_free(db);
}

static void test_mux(void)
{
	struct warns w;
	struct dbc_db *db = load_test(0, &w);
	struct dbc_value v[4];
	const struct dbc_message *m;
	static const uint8_t d1[8] = {0x01, 0x10, 0x20, 0, 0, 0, 0, 0x07};
	static const uint8_t x1[2] = {0x54, 0x99}, x2[2] = {0x53, 0x99}, x3[2] = {0x52, 0x99},
			     x4[2] = {0x32, 0x99};
	uint8_t x[8] = {0};
	unsigned int n;

	m = dec(db, 0x107, 0, d1, 8, v, NULL);
	CU_ASSERT_EQUAL(v[sig(m, "sel")].raw.u, 1);
	CU_ASSERT(!v[sig(m, "a")].present);
	CU_ASSERT(v[sig(m, "b")].present);
	CU_ASSERT_DOUBLE_EQUAL(v[sig(m, "b")].phys, 0x2010 * 0.5, 0);
	CU_ASSERT_EQUAL(v[sig(m, "common")].raw.u, 7);

	/* extended: top -> mid (2, 4-6) -> leaf (5); other on top = 3 */
	memcpy(x, x1, 2);
	m = dec(db, 0x108, 0, x, 8, v, NULL);
	CU_ASSERT(v[sig(m, "mid")].present && v[sig(m, "leaf")].present);
	CU_ASSERT(!v[sig(m, "other")].present);
	CU_ASSERT_EQUAL(v[sig(m, "leaf")].raw.u, 0x99);
	memcpy(x, x2, 2);
	m = dec(db, 0x108, 0, x, 8, v, NULL);
	CU_ASSERT(!v[sig(m, "mid")].present && !v[sig(m, "leaf")].present);
	CU_ASSERT(v[sig(m, "other")].present);
	memcpy(x, x3, 2);
	m = dec(db, 0x108, 0, x, 8, v, NULL);
	CU_ASSERT(v[sig(m, "leaf")].present);
	memcpy(x, x4, 2);
	m = dec(db, 0x108, 0, x, 8, v, NULL);
	CU_ASSERT(v[sig(m, "mid")].present && !v[sig(m, "leaf")].present);
	/* a 1-byte frame: selectors present, leaf not; nothing read past */
	{
		struct cf_frame *f = frame(0x108, 0, x1, 1);
		unsigned int rf;

		n = dbc_decode(m, f, 0, v, &rf);
		CU_ASSERT_EQUAL(n, 2);
		CU_ASSERT_EQUAL(rf, DBC_TRUNCATED);
		free(f);
	}
	dbc_free(db);
}

static void test_fd_truncated(void)
{
	struct warns w;
	struct dbc_db *db = load_test(0, &w);
	struct dbc_value v[3];
	uint8_t d[64];
	const struct dbc_message *m;
	unsigned int rf, i;

	for (i = 0; i < 64; i++)
		d[i] = (uint8_t)i;
	m = dec(db, 0x400, 1, d, 64, v, &rf);
	CU_ASSERT_EQUAL(rf, 0);
	CU_ASSERT_EQUAL(v[0].raw.u, 0);
	CU_ASSERT_EQUAL(v[1].raw.u, (31u << 8) | 32u); /* bytes 31, 32 BE */
	CU_ASSERT_EQUAL(v[2].raw.u, 63);
	/* 32 bytes: "first" only; mid16 needs byte 32 */
	m = dec(db, 0x400, 1, d, 32, v, &rf);
	CU_ASSERT_EQUAL(rf, DBC_TRUNCATED);
	CU_ASSERT(v[0].present && !v[1].present && !v[2].present);
	/* 0 bytes and RTR: nothing, and no read at all */
	{
		struct cf_frame f;

		memset(&f, 0, sizeof(f));
		f.id = 0x400;
		f.flags = CF_EFF;
		CU_ASSERT_EQUAL(dbc_decode(m, &f, 0, v, &rf), 0);
		f.flags |= CF_RTR;
		f.len = 8;
		CU_ASSERT_PTR_NULL(dbc_lookup(db, &f));
		CU_ASSERT_EQUAL(dbc_decode(m, &f, 0, v, &rf), 0);
	}
	/* the 11-bit id 0x400 is another frame */
	{
		struct cf_frame *f = frame(0x400, 0, d, 8);

		CU_ASSERT_PTR_NULL(dbc_lookup(db, f));
		free(f);
	}
	dbc_free(db);
}

static void test_j1939(void)
{
	struct warns w;
	struct dbc_db *db = load_test(0, &w), *dj;
	struct cf_frame *f = frame(0x0CF00400, 1, D, 8); /* prio 3, SA 0 */
	struct cf_frame *g = frame(0x18FEF100, 1, D, 8); /* other PGN */

	CU_ASSERT_PTR_NULL(dbc_lookup(db, f));
	dbc_free(db);
	dj = load_test(DBC_J1939, &w);
	CU_ASSERT_PTR_NOT_NULL(dbc_lookup(dj, f));
	CU_ASSERT_STRING_EQUAL(dbc_lookup(dj, f)->name, "EEC1");
	CU_ASSERT_PTR_NULL(dbc_lookup(dj, g));
	CU_ASSERT_EQUAL(dbc_j1939_pgn(0x18EA00FE), 0xEA00); /* PDU1: DA cleared */
	CU_ASSERT_EQUAL(dbc_j1939_pgn(0x18EA55FE), 0xEA00);
	CU_ASSERT_EQUAL(dbc_j1939_pgn(0x18FEF1FE), 0xFEF1); /* PDU2 */
	dbc_free(dj);
	free(f);
	free(g);
}

static void test_encode(void)
{
	struct warns w;
	struct dbc_db *db = load_test(0, &w);
	const struct dbc_message *m = dbc_find_msg(db, "Mux");
	uint64_t raw[4] = {0};
	uint8_t set[4] = {0}, buf[CF_MAX_LEN];
	struct cf_frame f;
	unsigned int bad;
	const struct dbc_signal *b = dbc_find_sig(m, "b");

	/* rounds to nearest: 4104.3 / 0.5 = 8208.6 -> 8209 */
	CU_ASSERT_EQUAL(dbc_to_raw(b, 4104.3, &raw[b->index]), 0);
	CU_ASSERT_EQUAL(raw[b->index], 8209);
	CU_ASSERT_EQUAL(dbc_to_raw(b, 4104.2, &raw[b->index]), 0);
	CU_ASSERT_EQUAL(raw[b->index], 8208);
	CU_ASSERT_EQUAL(dbc_to_raw(b, 32768, &raw[b->index]), -ERANGE);
	CU_ASSERT_EQUAL(dbc_to_raw(b, -1, &raw[b->index]), -ERANGE);
	CU_ASSERT_EQUAL(dbc_to_raw(b, NAN, &raw[b->index]), -EDOM);
	raw[b->index] = 0x2010;
	set[b->index] = 1;
	CU_ASSERT_EQUAL(dbc_encode(m, raw, set, buf, &f, &bad), 0);
	/* sel set to 1 for b; common takes GenSigStartValue 42 */
	CU_ASSERT_EQUAL(f.len, 8);
	CU_ASSERT_EQUAL(f.id, 0x107);
	CU_ASSERT_EQUAL(buf[0], 1);
	CU_ASSERT_EQUAL(buf[1], 0x10);
	CU_ASSERT_EQUAL(buf[2], 0x20);
	CU_ASSERT_EQUAL(buf[7], 42);
	/* a and b need different selector values */
	set[dbc_find_sig(m, "a")->index] = 1;
	CU_ASSERT_EQUAL(dbc_encode(m, raw, set, buf, &f, &bad), -EINVAL);

	/* range check against [min|max] */
	m = dbc_find_msg(db, "Intel");
	CU_ASSERT_EQUAL(dbc_to_raw(dbc_find_sig(m, "s12"), 501.75, raw), 0);
	CU_ASSERT_EQUAL(dbc_to_raw(dbc_find_sig(m, "s12"), 502, raw), -ERANGE);
	CU_ASSERT_EQUAL(dbc_to_raw(dbc_find_sig(m, "s12"), -10.25, raw), 0);
	CU_ASSERT_EQUAL(*raw, 0xFFF); /* -1 in 12 bits */

	/* extended mux: leaf pins mid = 5 and top = 2 */
	m = dbc_find_msg(db, "XMux");
	memset(set, 0, sizeof(set));
	set[dbc_find_sig(m, "leaf")->index] = 1;
	raw[dbc_find_sig(m, "leaf")->index] = 0x99;
	CU_ASSERT_EQUAL(dbc_encode(m, raw, set, buf, &f, &bad), 0);
	CU_ASSERT_EQUAL(buf[0], 0x52);
	CU_ASSERT_EQUAL(buf[1], 0x99);

	/* FD and extended flags */
	m = dbc_find_msg(db, "FdMsg");
	memset(set, 0, sizeof(set));
	CU_ASSERT_EQUAL(dbc_encode(m, raw, set, buf, &f, &bad), 0);
	CU_ASSERT_EQUAL(f.flags & (CF_FD | CF_EFF), CF_FD | CF_EFF);
	CU_ASSERT_EQUAL(f.len, 64);
	dbc_free(db);
}

/* decode(encode(x)) == x within one LSB, for random values of every signal */
static void test_roundtrip(void)
{
	struct warns w;
	struct dbc_db *db = load_test(0, &w);
	unsigned int i, j, k, checked = 0;
	uint64_t seed = 0x9E3779B97F4A7C15ull;

	for (i = 0; i < db->nmsgs; i++) {
		const struct dbc_message *m = &db->msgs[i];
		uint64_t *raw = calloc(m->nsigs + 1, sizeof(*raw));
		uint8_t *set = calloc(m->nsigs + 1, 1), buf[CF_MAX_LEN];
		struct dbc_value *v = calloc(m->nsigs + 1, sizeof(*v));

		for (j = 0; j < m->nsigs; j++) {
			const struct dbc_signal *s = &m->sigs[j];

			for (k = 0; k < 200; k++) {
				struct cf_frame f;
				uint64_t r, back;
				double phys;

				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				r = s->size < 64 ? seed & (((uint64_t)1 << s->size) - 1) : seed;
				if (s->kind == DBC_FLOAT32) {
					float fl = (float)((double)(int32_t)seed / 1024);
					uint32_t u;

					memcpy(&u, &fl, 4);
					r = u;
				} else if (s->kind == DBC_FLOAT64) {
					double d = (double)(int64_t)seed / 4096;

					memcpy(&r, &d, 8);
				}
				phys = dbc_phys(s, r);
				if ((s->min != 0 || s->max != 0) &&
				    (phys < s->min || phys > s->max))
					continue;
				memset(set, 0, m->nsigs);
				set[j] = 1;
				CU_ASSERT_EQUAL_FATAL(dbc_to_raw(s, phys, &raw[j]), 0);
				CU_ASSERT_EQUAL_FATAL(dbc_encode(m, raw, set, buf, &f, NULL), 0);
				dbc_decode(m, &f, 0, v, NULL);
				CU_ASSERT_FATAL(v[j].present);
				back = v[j].raw.u;
				if (s->kind == DBC_INT && s->is_signed && s->size < 64)
					back &= ((uint64_t)1 << s->size) - 1;
				if (s->kind == DBC_INT && s->size > 53) {
					/* phys is a double: 53 bits survive */
					CU_ASSERT(fabs(v[j].phys - phys) <=
						  fabs(phys) * 2.3e-16 + fabs(s->scale));
				} else {
					CU_ASSERT(fabs(v[j].phys - phys) <=
						  fabs(s->scale) * 1.0001);
					if (s->kind == DBC_INT)
						CU_ASSERT_EQUAL(back, r);
				}
				checked++;
			}
		}
		free(raw);
		free(set);
		free(v);
	}
	CU_ASSERT(checked > 3000);
	dbc_free(db);
}

static void test_tolerant(void)
{
	struct warns w;
	struct dbc_db *db;
	/* CRLF, a bad SG_ line in the middle, no final newline */
	const char *s = "VERSION \"\"\r\n\r\nBU_: A\r\n"
			"BO_ 1 M1: 8 A\r\n"
			" SG_ ok1 : 0|8@1+ (1,0) [0|0] \"\" A\r\n"
			" SG_ bad : 8|@1+ (1,0) [0|0] \"\" A\r\n"
			" SG_ ok2 : 16|8@1+ (.5,-.25) [0|0] \"\" A\r\n"
			"BO_ 2 M2: 8 A\r\n"
			" SG_ 9lives : 0|8@1+ (1,0) [0|0] \"\" A\r\n"
			"VAL_ 1 ok1 1 \"one\" 2 \"two\" ;\r\n"
			"CM_ SG_ 1 nosuch \"x\";\r\n"
			"VAL_ 2 9lives 0 \"zero\"";

	db = load_str(s, 0, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db->nmsgs, 2);
	CU_ASSERT_EQUAL(db->msgs[0].nsigs, 2);
	CU_ASSERT_DOUBLE_EQUAL(db->msgs[0].sigs[1].scale, 0.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(db->msgs[0].sigs[1].offset, -0.25, 0);
	CU_ASSERT_EQUAL(db->msgs[0].sigs[0].nchoices, 2);
	CU_ASSERT_STRING_EQUAL(db->msgs[1].sigs[0].name, "9lives");
	CU_ASSERT_EQUAL(db->msgs[1].sigs[0].nchoices, 1);
	CU_ASSERT_EQUAL(w.n, 3);
	CU_ASSERT(strstr(w.msg[0], "mem.dbc:6:14: SG_: expected a number") != NULL);
	CU_ASSERT(strstr(w.msg[1], "mem.dbc:11:11: CM_: no signal 'nosuch'") != NULL);
	CU_ASSERT(strstr(w.msg[2], "mem.dbc:12:") != NULL); /* missing ';' */
	dbc_free(db);

	/* strict turns the first into an error */
	db = load_str(s, DBC_STRICT, &w);
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT(strstr(w.msg[0], "mem.dbc:6:14:") != NULL);

	/* garbage around statements loads (with warnings), never crashes */
	db = load_str("\"unterminated\nBO_ 5 X: 8 A\n", 0, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db->nmsgs, 1);
	CU_ASSERT(w.n >= 1);
	dbc_free(db);
	db = load_str("BO_ 5 X: 8 A\n SG_ s : 600|8@1+ (1,0) [0|0] \"\" A\n"
		      " SG_ t : 0|65@1+ (1,0) [0|0] \"\" A\n",
		      0, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db->msgs[0].nsigs, 0);
	CU_ASSERT_EQUAL(w.n, 2);
	dbc_free(db);
}

/* Loads len bytes of s; returns the result, err gets the message. */
static int load_len(const char *s, size_t len, struct dbc_db **db, char *err)
{
	struct dbc_opts o = {0, NULL, NULL};

	return dbc_load_mem("x.dbc", s, len, &o, db, err, DBC_ERRMSG_MAX);
}

/*
 * "Anything is a DBC" (issue 19): text where no line starts with a section
 * keyword is not a DBC file, an error rather than an empty database; one
 * such line makes the file a DBC, and bad lines stay warnings.
 */
static void test_not_dbc(void)
{
	static const char bin[] = "\x7f"
				  "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"
				  "\x03\0>\0\x01\0\0\0\n\0BO_\0";
	static const char *const nots[] = {
		"",
		"\n\n   \r\n",
		"(1700000000.000100) vcan0 123#1122334455667788\n"
		"(1700000000.000200) vcan0 1F334455#DEADBEEF\n",
		"  vcan0  123   [8]  11 22 33 44 55 66 77 88\n",
		"date Mon Dec 7 10:00:00.000 am 2026\nbase hex  timestamps absolute\n"
		"   0.001000 1  123             Rx   d 2 01 02\n",
		"BO 1 M: 8 A\nbo_ 1 M: 8 A\n",
		"x BO_ 1 M: 8 A\n", /* a keyword not first on its line */
		"\xEF\xBB\xBF\n",
	};
	struct dbc_db *db = NULL;
	char err[DBC_ERRMSG_MAX];
	struct warns w;
	unsigned int i;

	for (i = 0; i < sizeof(nots) / sizeof(nots[0]); i++) {
		CU_ASSERT_EQUAL(load_len(nots[i], strlen(nots[i]), &db, err), -EINVAL);
		CU_ASSERT_PTR_NULL(db);
		CU_ASSERT_STRING_EQUAL(err, "x.dbc: not a DBC file");
	}
	/* binary, with NUL bytes, even one right after a "BO_" */
	CU_ASSERT_EQUAL(load_len(bin, sizeof(bin) - 1, &db, err), -EINVAL);
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT_STRING_EQUAL(err, "x.dbc: not a DBC file");

	/* one keyword line is a DBC, indented, after a BOM or a bad line */
	db = load_str("\xEF\xBB\xBFVERSION \"1\"\n", 0, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db->nmsgs, 0);
	CU_ASSERT_EQUAL(w.n, 0);
	dbc_free(db);
	db = load_str("\t BU_: A\n", 0, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db->nnodes, 1);
	dbc_free(db);
	db = load_str("this is no statement\nBO_ 1 M: 8 A\n", 0, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db->nmsgs, 1);
	CU_ASSERT_EQUAL(w.n, 1);
	CU_ASSERT(strstr(w.msg[0], "mem.dbc:1:1: unknown section 'this'") != NULL);
	dbc_free(db);
	/* a keyword with a bad statement still marks the file as a DBC */
	db = load_str("BO_ x\n", 0, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db->nmsgs, 0);
	CU_ASSERT_EQUAL(w.n, 1);
	dbc_free(db);
}

/* Messages past 32 signals switch from a scan to the hash: both resolve. */
static void test_many_signals(void)
{
	char *buf = malloc(16384), *q = buf;
	struct warns w;
	struct dbc_db *db;
	unsigned int i;

	q += sprintf(q, "BO_ 1 Big: 64 X\n");
	for (i = 0; i < 40; i++)
		q += sprintf(q, " SG_ s%u : %u|8@1+ (1,0) [0|0] \"\" X\n", i, i * 8);
	q += sprintf(q, " SG_ s35 : 400|8@1+ (1,0) [0|0] \"\" X\n"); /* dup */
	q += sprintf(q, "BO_ 2 Small: 8 X\n SG_ s35 : 0|8@1+ (1,0) [0|0] \"\" X\n");
	q += sprintf(q, "CM_ SG_ 1 s35 \"big\";\nCM_ SG_ 1 s3 \"three\";\n"
			"CM_ SG_ 2 s35 \"small\";\nVAL_ 1 s39 1 \"one\";\n");
	db = load_str(buf, 0, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db->msgs[0].nsigs, 40);
	CU_ASSERT_EQUAL(w.n, 1);
	CU_ASSERT(strstr(w.msg[0], "mem.dbc:42:6: SG_: duplicate signal 's35'") != NULL);
	CU_ASSERT_STRING_EQUAL(db->msgs[0].sigs[35].comment, "big");
	CU_ASSERT_STRING_EQUAL(db->msgs[0].sigs[3].comment, "three");
	CU_ASSERT_STRING_EQUAL(db->msgs[1].sigs[0].comment, "small");
	CU_ASSERT_EQUAL(db->msgs[0].sigs[39].nchoices, 1);
	dbc_free(db);
	free(buf);
}

/*
 * A file big enough that its vectors and string arena outgrow the heap
 * and move into mappings of their own (4 MiB up): everything must still
 * be where the small path puts it.
 */
static void test_big_database(void)
{
	enum { NM = 4000, NS = 8 };
	size_t cap = (size_t)NM * (NS * 64 + 1400) + 64;
	char *buf = malloc(cap), *q = buf, note[1201];
	const struct dbc_message *m;
	struct warns w;
	struct dbc_db *db;
	unsigned int i, k, nsig = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memset(note, 'n', sizeof(note) - 1);
	note[sizeof(note) - 1] = 0;
	for (i = 0; i < NM; i++) {
		q += sprintf(q, "BO_ %u M%u: 8 X\n", 0x80000000u + i + 1, i);
		for (k = 0; k < NS; k++)
			q += sprintf(q, " SG_ s%u_%u : %u|8@1+ (1,%u) [0|0] \"\" Y\n", i, k, k * 8,
				     i);
		q += sprintf(q, "CM_ BO_ %u \"%u %s\";\n", 0x80000000u + i + 1, i, note);
	}
	CU_ASSERT_FATAL((size_t)(q - buf) < cap);
	db = load_str(buf, 0, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(w.n, 0);
	CU_ASSERT_EQUAL(db->nmsgs, NM);
	for (i = 0; i < db->nmsgs; i++)
		nsig += db->msgs[i].nsigs;
	CU_ASSERT_EQUAL(nsig, NM * NS);
	m = dbc_find_id(db, NM, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->name, "M3999");
	CU_ASSERT_EQUAL(m->nsigs, NS);
	CU_ASSERT_STRING_EQUAL(m->sigs[NS - 1].name, "s3999_7");
	CU_ASSERT_EQUAL(m->sigs[NS - 1].offset, 3999.0);
	CU_ASSERT_STRING_EQUAL(m->sigs[0].receivers[0], "Y");
	CU_ASSERT(m->comment && !strncmp(m->comment, "3999 nnn", 8) &&
		  strlen(m->comment) == 5 + sizeof(note) - 1);
	CU_ASSERT(db->msgs[0].comment && !strncmp(db->msgs[0].comment, "0 nnn", 5));
	CU_ASSERT_PTR_EQUAL(dbc_find_sig(&db->msgs[17], "s17_3"), &db->msgs[17].sigs[3]);
	dbc_free(db);
	free(buf);
}

static void check_collect(void *ctx, const char *msg)
{
	collect(ctx, msg);
}

static void test_check(void)
{
	struct warns w, f;
	struct dbc_db *db;
	const char *s = "BO_ 1 A: 2 X\n"
			" SG_ s1 : 0|8@1+ (1,0) [0|0] \"\" X\n"
			" SG_ s2 : 4|8@1+ (1,0) [0|0] \"\" X\n"	 /* overlaps s1 */
			" SG_ s3 : 16|8@1+ (1,0) [0|0] \"\" X\n" /* past 2 bytes */
			"BO_ 2 B: 8 X\n"
			" SG_ r : 0|4@1+ (1,0) [0|100] \"\" X\n" /* 0..15 only */
			" SG_ c : 8|2@1+ (1,0) [0|3] \"\" X\n"
			"BO_ 1 A2: 8 X\n"		       /* dup id */
			"VAL_ 2 c 0 \"zero\" 7 \"seven\" ;\n"; /* 7 > 3 */
	unsigned int n;

	db = load_str(s, 0, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	memset(&f, 0, sizeof(f));
	n = dbc_check(db, check_collect, &f);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT(strstr(f.msg[0], "mem.dbc:1: message A: id 0x1 also used by A2") != NULL);
	CU_ASSERT(strstr(f.msg[1], "mem.dbc:3: signal A.s2: overlaps s1") != NULL);
	CU_ASSERT(strstr(f.msg[2], "mem.dbc:4: signal A.s3: ends in byte 2") != NULL);
	CU_ASSERT(strstr(f.msg[3], "mem.dbc:6: signal B.r: range") != NULL);
	CU_ASSERT(strstr(f.msg[4], "mem.dbc:9: signal B.c: choice 7") != NULL);
	/* the duplicate id is a load warning too */
	CU_ASSERT_EQUAL(w.n, 1);
	CU_ASSERT(strstr(w.msg[0], "mem.dbc:8: message A2: id 0x1 already used") != NULL);
	dbc_free(db);

	/* the test database has mux branches sharing bits: not an overlap */
	db = load_test(0, &w);
	memset(&f, 0, sizeof(f));
	CU_ASSERT_EQUAL(dbc_check(db, check_collect, &f), 0);
	dbc_free(db);
}

static void test_fmt_double(void)
{
	static const struct {
		double d;
		const char *s;
	} t[] = {
		{0.1, "0.1"},
		{12.5, "12.5"},
		{247.51, "247.51"},
		{3.0, "3.0"},
		{-0.25, "-0.25"},
		{1e-5, "1e-05"},
		{1.0 / 3, "0.3333333333333333"},
		{0.1 + 0.2, "0.30000000000000004"},
		{1e16, "1e+16"},
		{123456789.125, "123456789.125"},
		{0.0, "0.0"},
		{2.5e-7, "2.5e-07"},
	};
	char out[40];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		dbc_fmt_double(t[i].d, out);
		CU_ASSERT_STRING_EQUAL(out, t[i].s);
		CU_ASSERT_EQUAL(strtod(out, NULL), t[i].d);
	}
}

/* inputs that once crashed the fuzzers load cleanly now */
static void test_regressions(void)
{
	DIR *dir = opendir(test_data("regress"));
	struct dirent *e;
	unsigned int n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	while ((e = readdir(dir)) != NULL) {
		struct dbc_opts o = {0, NULL, NULL};
		struct dbc_db *db = NULL;
		char path[512], err[DBC_ERRMSG_MAX];

		if (strncmp(e->d_name, "dbc-", 4))
			continue;
		snprintf(path, sizeof(path), "regress/%s", e->d_name);
		dbc_load_file(test_data(path), &o, &db, err, sizeof(err));
		if (db) {
			unsigned int k;

			dbc_check(db, NULL, NULL);
			/* and encode every message from its start values */
			for (k = 0; k < db->nmsgs; k++) {
				const struct dbc_message *m = &db->msgs[k];
				uint64_t *raw = calloc(m->nsigs + 1, sizeof(*raw));
				uint8_t *set = calloc(m->nsigs + 1, 1);
				uint8_t buf[CF_MAX_LEN];
				struct cf_frame f;

				CU_ASSERT_EQUAL(dbc_encode(m, raw, set, buf, &f, NULL), 0);
				free(raw);
				free(set);
			}
		}
		dbc_free(db);
		n++;
	}
	closedir(dir);
	CU_ASSERT(n >= 1);
}

/*
 * Repeated keys at scale: 20000 messages on one id, 20000 definitions of
 * one attribute and 20000 values of it for one message, 20000 messages
 * of one name, of one J1939 PGN, 20000 senders and enum labels.  The
 * right one must win, and the load must stay linear: the slots its hash
 * inserts looked at (a count, not a time) stay a small multiple of the
 * statements, where one cluster per repeated key made them ~N^2/2.
 */
static void test_repeats_linear(void)
{
	enum { N = 20000 };
	size_t cap = (size_t)N * 400 + 4096;
	char *buf = malloc(cap), *q = buf;
	const struct dbc_message *m;
	struct warns w;
	struct dbc_opts o = {DBC_J1939, collect, &w};
	struct dbc_db *db = NULL;
	const char *str = NULL;
	char err[DBC_ERRMSG_MAX];
	struct cf_frame *f;
	double num = -1;
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	q += sprintf(q, "BU_: A\n");
	for (i = 0; i < N; i++)
		q += sprintf(q, "BO_ 256 Same%u: 8 A\n SG_ s : 0|8@1+ (1,0) [0|0] \"\" A\n", i);
	for (i = 0; i < N; i++)
		q += sprintf(q, "BO_ %u Dup: 8 A\n", 0x80100000u + i);
	/* PGN 0xEA00 (request) to N destination and source addresses */
	for (i = 0; i < N; i++)
		q += sprintf(q, "BO_ %u J%u: 8 A\n", 0x80000000u | 0x18EA0000u | i, i);
	q += sprintf(q, "BO_TX_BU_ 256 :");
	for (i = 0; i < N; i++)
		q += sprintf(q, "%sN%u", i ? "," : " ", i % (N / 2));
	q += sprintf(q, ";\nBA_DEF_ BO_ \"E\" ENUM");
	for (i = 0; i < N; i++)
		q += sprintf(q, "%s\"e%u\"", i ? "," : " ", i % (N / 2));
	q += sprintf(q, ";\n");
	for (i = 0; i < N; i++)
		q += sprintf(q, "BA_DEF_ BO_ \"GenMsgCycleTime\" INT 0 100000;\n"
				"BA_DEF_DEF_ \"GenMsgCycleTime\" 5;\n");
	for (i = 0; i < N; i++)
		q += sprintf(q,
			     "BA_ \"GenMsgCycleTime\" BO_ 256 %u;\n"
			     "BA_ \"E\" BO_ 256 \"e%u\";\n",
			     i + 1, i % 50);
	CU_ASSERT_FATAL((size_t)(q - buf) < cap);
	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL_FATAL(
		dbc_load_mem("rep.dbc", buf, (size_t)(q - buf), &o, &db, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(db->nmsgs, 3 * N);
	/* N-1 repeated ids, N-1 repeated names */
	CU_ASSERT_EQUAL(w.n, 2 * (N - 1));
	CU_ASSERT(strstr(w.msg[0], "rep.dbc:4: message Same1: id 0x100 already used by "
				   "Same0 (line 2); this one wins") != NULL);
	if (w.n != 2 * (N - 1))
		fprintf(stderr, "%u: %s / %s\n", w.n, w.msg[0], w.msg[15]);
	m = dbc_find_id(db, 256, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->name, "Same19999");
	/* the last BA_ wins, whichever of the repeated definitions */
	CU_ASSERT_EQUAL(m->cycle_time, N);
	CU_ASSERT_EQUAL(dbc_attr(db, DBC_OBJ_MSG, m, "GenMsgCycleTime", &num, NULL), 1);
	CU_ASSERT_EQUAL(num, N);
	CU_ASSERT_EQUAL(dbc_attr(db, DBC_OBJ_MSG, &db->msgs[0], "GenMsgCycleTime", &num, NULL), 1);
	CU_ASSERT_EQUAL(num, 5);
	/* enum labels by name: "e49" is label 49 and again N/2+49 */
	CU_ASSERT_EQUAL(dbc_attr(db, DBC_OBJ_MSG, m, "E", &num, &str), 1);
	CU_ASSERT_EQUAL(num, N / 2 + 49);
	CU_ASSERT_STRING_EQUAL(str, "e49");
	/* the BO_ sender, then each BO_TX_BU_ name once */
	CU_ASSERT_EQUAL(m->nsenders, 1 + N / 2);
	CU_ASSERT_STRING_EQUAL(m->senders[1], "N0");
	CU_ASSERT_STRING_EQUAL(m->senders[N / 2], "N9999");
	/* by name and by PGN the first stays */
	m = dbc_find_msg(db, "Dup");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->id, 0x100000);
	f = frame(0x18EAFFFE, 1, D, 8);
	m = dbc_lookup(db, f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->name, "J0");
	free(f);
	/* about 9N statements and 17N index entries */
	CU_ASSERT(db->priv->load_probes < (uint64_t)N * 100);
	if (db->priv->load_probes >= (uint64_t)N * 100)
		fprintf(stderr, "load probes %llu\n", (unsigned long long)db->priv->load_probes);
	dbc_free(db);
	free(buf);
}

/*
 * Multiplexer chains: a chain of N selectors orders linearly (steps are
 * counted with the hash probes), and cycles are cut as a walk in file
 * order cuts them: a signal whose chain then runs into a cycle, including
 * one that leads into it (S0, S1), not one whose chain meets a signal cut
 * before it (S2 after S1, S4 after S3).
 */
static void test_mux_chain_linear(void)
{
	enum { N = 20000 };
	size_t cap = (size_t)N * 96 + 1024;
	char *buf = malloc(cap), *q = buf;
	const struct dbc_message *m;
	struct warns w;
	struct dbc_db *db;
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	q += sprintf(q, "BO_ 1 Chain: 8 X\n");
	for (i = 0; i < N; i++)
		q += sprintf(q, " SG_ S%u %s : 0|8@1+ (1,0) [0|0] \"\" X\n", i, i ? "m0M" : "M");
	for (i = 1; i < N; i++)
		q += sprintf(q, "SG_MUL_VAL_ 1 S%u S%u 0-0;\n", i, i - 1);
	CU_ASSERT_FATAL((size_t)(q - buf) < cap);
	db = load_str(buf, 0, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(w.n, 0);
	m = &db->msgs[0];
	CU_ASSERT_EQUAL_FATAL(m->nsigs, N);
	for (i = 0; i < N; i++)
		if (m->order[i] != i)
			break;
	CU_ASSERT_EQUAL(i, N);
	CU_ASSERT_PTR_EQUAL(m->sigs[N - 1].selector, &m->sigs[N - 2]);
	CU_ASSERT(db->priv->load_probes < (uint64_t)N * 20);
	dbc_free(db);

	/* S0 -> S2 -> S1 -> S3 <-> S4 */
	db = load_str("BO_ 1 Cyc: 8 X\n"
		      " SG_ S0 m0M : 0|8@1+ (1,0) [0|0] \"\" X\n"
		      " SG_ S1 m0M : 0|8@1+ (1,0) [0|0] \"\" X\n"
		      " SG_ S2 m0M : 0|8@1+ (1,0) [0|0] \"\" X\n"
		      " SG_ S3 m0M : 0|8@1+ (1,0) [0|0] \"\" X\n"
		      " SG_ S4 m0M : 0|8@1+ (1,0) [0|0] \"\" X\n"
		      "SG_MUL_VAL_ 1 S0 S2 0-0;\nSG_MUL_VAL_ 1 S2 S1 0-0;\n"
		      "SG_MUL_VAL_ 1 S1 S3 0-0;\nSG_MUL_VAL_ 1 S3 S4 0-0;\n"
		      "SG_MUL_VAL_ 1 S4 S3 0-0;\n",
		      0, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(w.n, 3);
	CU_ASSERT(strstr(w.msg[0], "mem.dbc:2: signal S0: multiplexer cycle") != NULL);
	CU_ASSERT(strstr(w.msg[1], "mem.dbc:3: signal S1: multiplexer cycle") != NULL);
	CU_ASSERT(strstr(w.msg[2], "mem.dbc:5: signal S3: multiplexer cycle") != NULL);
	m = &db->msgs[0];
	CU_ASSERT_PTR_NULL(m->sigs[0].selector);
	CU_ASSERT_PTR_NULL(m->sigs[1].selector);
	CU_ASSERT_PTR_EQUAL(m->sigs[2].selector, &m->sigs[1]);
	CU_ASSERT_PTR_NULL(m->sigs[3].selector);
	CU_ASSERT_PTR_EQUAL(m->sigs[4].selector, &m->sigs[3]);
	/* depth 0: S0 S1 S3, then S2 S4 */
	CU_ASSERT(m->order[0] == 0 && m->order[1] == 1 && m->order[2] == 3 && m->order[3] == 2 &&
		  m->order[4] == 4);
	dbc_free(db);
	free(buf);
}

/*
 * Encoding rounds like cantools: Python's round() (ties to even) of the double
 * (phys - offset) / scale.  Expected raws are what Python gives; 0.6 / 0.4 is
 * 1.4999999999999998 as a double, so it is no tie and must stay 1.
 */
static void test_encode_ties_even(void)
{
	static const struct {
		const char *sig;
		double phys;
		int64_t raw;
	} c[] = {
		{"u", 0.2, 0},	  {"u", 0.6, 1},  {"u", 1.0, 2},   {"u", 1.4, 3},
		{"u", 1.8, 4},	  {"s", 1.25, 2}, {"s", 1.75, 4},  {"s", -1.25, -2},
		{"s", -1.75, -4}, {"s", 0.25, 0}, {"s", -0.25, 0}, {"s", -0.75, -2},
		{"o", 0, 0},	  {"o", 1, 2},	  {"o", 2, 2},	   {"o", -1, 0},
		{"t", 0.25, 2},	  {"t", 0.35, 3}, {"t", 0.45, 4},
	};
	const char *dbc = "VERSION \"\"\nBU_: A\n"
			  "BO_ 1 M: 8 A\n"
			  " SG_ u : 0|8@1+ (0.4,0) [0|100] \"\" A\n"
			  " SG_ s : 8|16@1- (0.5,0) [0|0] \"\" A\n"
			  " SG_ o : 24|8@1- (1,-0.5) [0|0] \"\" A\n"
			  " SG_ t : 32|8@1+ (0.1,0) [0|0] \"\" A\n";
	struct warns w;
	struct dbc_db *db = load_str(dbc, 0, &w);
	const struct dbc_message *m;
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	m = dbc_find_msg(db, "M");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const struct dbc_signal *sg = dbc_find_sig(m, c[i].sig);
		uint64_t raw = 0, want = (uint64_t)c[i].raw;

		CU_ASSERT_PTR_NOT_NULL_FATAL(sg);
		if (sg->size < 64)
			want &= ((uint64_t)1 << sg->size) - 1;
		CU_ASSERT_EQUAL(dbc_to_raw(sg, c[i].phys, &raw), 0);
		if (raw != want)
			fprintf(stderr, "%s=%g: raw %llu, want %llu\n", c[i].sig, c[i].phys,
				(unsigned long long)raw, (unsigned long long)want);
		CU_ASSERT_EQUAL(raw, want);
	}
	dbc_free(db);
}

static int register_dbc_tests(void)
{
	CU_pSuite s = CU_add_suite("dbc (DBC parser, decode, encode)", NULL, NULL);

	if (!s || !CU_add_test(s, "all sections, attributes, comments", test_load_sections) ||
	    !CU_add_test(s, "Intel signals, 1-27 bits, signed", test_intel) ||
	    !CU_add_test(s, "Motorola sawtooth signals", test_motorola) ||
	    !CU_add_test(s, "63/64-bit signals exact", test_wide) ||
	    !CU_add_test(s, "float32/float64", test_float) ||
	    !CU_add_test(s, "choices, negative values", test_choices) ||
	    !CU_add_test(s, "simple and extended multiplexing", test_mux) ||
	    !CU_add_test(s, "FD 64 bytes, truncated frames", test_fd_truncated) ||
	    !CU_add_test(s, "J1939 PGN lookup", test_j1939) ||
	    !CU_add_test(s, "encode: rounding, ranges, mux", test_encode) ||
	    !CU_add_test(s, "decode(encode(x)) round trip", test_roundtrip) ||
	    !CU_add_test(s, "tolerant parsing, strict mode", test_tolerant) ||
	    !CU_add_test(s, "not a DBC file: empty, binary, logs", test_not_dbc) ||
	    !CU_add_test(s, "lint findings", test_check) ||
	    !CU_add_test(s, "messages with many signals", test_many_signals) ||
	    !CU_add_test(s, "a database past the big-block size", test_big_database) ||
	    !CU_add_test(s, "shortest round-trip doubles", test_fmt_double) ||
	    !CU_add_test(s, "fuzzer crash inputs", test_regressions) ||
	    !CU_add_test(s, "repeated ids, names, attributes: linear", test_repeats_linear) ||
	    !CU_add_test(s, "multiplexer chains and cycles: linear", test_mux_chain_linear) ||
	    !CU_add_test(s, "encode rounds ties to even (cantools)", test_encode_ties_even))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(dbc, register_dbc_tests)
