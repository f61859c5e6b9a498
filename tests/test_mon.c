/* SPDX-License-Identifier: MIT */
/*
 * test_mon.c - the monitor's table model on a fake clock: rates and
 * jitter, changed-byte marks, bus load arithmetic (worked out by hand from
 * the frame layouts, see mon_frame_bits()), selection, clear, the row
 * bound, decoded signals and the two snapshots.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mon.h"
#include "unit.h"

#define MS 1000000ull
#define S  1000000000ull

static const char mux_dbc[] = "VERSION \"\"\n"
			      "BU_: N\n"
			      "BO_ 256 Mux: 8 N\n"
			      " SG_ Sel M : 0|8@1+ (1,0) [0|255] \"\" N\n"
			      " SG_ A m0 : 8|8@1+ (1,0) [0|255] \"\" N\n"
			      " SG_ B m1 : 8|8@1+ (0.5,0) [0|255] \"V\" N\n"
			      "BO_ 512 Alpha: 2 N\n"
			      " SG_ Speed : 0|16@1+ (1,0) [0|65535] \"km/h\" N\n"
			      "VAL_ 256 Sel 0 \"Zero\" 1 \"One\" ;\n";

static struct dbc_db *load_mux(void)
{
	struct dbc_db *db = NULL;
	char err[DBC_ERRMSG_MAX];

	CU_ASSERT_EQUAL_FATAL(
		dbc_load_mem("mux.dbc", mux_dbc, strlen(mux_dbc), NULL, &db, err, sizeof(err)), 0);
	return db;
}

static struct cf_frame fr(uint32_t id, uint8_t flags, const uint8_t *d, uint8_t len)
{
	struct cf_frame f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	f.flags = flags;
	f.data = d;
	f.len = len;
	return f;
}

static struct mon_row *row_of(struct mon *m, unsigned int bus, uint32_t id)
{
	for (size_t i = 0; i < m->nrows; i++)
		if (m->rows[i].bus == bus && m->rows[i].id == id)
			return &m->rows[i];
	return NULL;
}

/* Signal k of r as the screen reads it. */
static double sig_phys(const struct mon_row *r, unsigned int k)
{
	struct dbc_value v;

	mon_sig_value(&r->msg->sigs[k], &r->sigs[k], &v);
	return v.phys;
}

static const char *sig_label(const struct mon_row *r, unsigned int k)
{
	struct dbc_value v;

	mon_sig_value(&r->msg->sigs[k], &r->sigs[k], &v);
	return v.label ? v.label : "(none)";
}

static double sig_min(const struct mon_row *r, unsigned int k)
{
	double lo = NAN, hi;

	mon_sig_range(&r->msg->sigs[k], &r->sigs[k], &lo, &hi);
	return lo;
}

static double sig_max(const struct mon_row *r, unsigned int k)
{
	double lo, hi = NAN;

	mon_sig_range(&r->msg->sigs[k], &r->sigs[k], &lo, &hi);
	return hi;
}

static void test_bits(void)
{
	static const uint8_t d[64];
	struct cf_frame f;
	uint64_t nom, dat;

	/* classic SFF: 34 + 8n stuffable bits, one stuff bit per 4 after the
	 * first, 13 fixed: 8 bytes 34+64=98, +24 stuff (97/4), +13 = 135 */
	f = fr(0x123, 0, d, 8);
	mon_frame_bits(&f, &nom, &dat);
	CU_ASSERT_EQUAL(nom, 135);
	CU_ASSERT_EQUAL(dat, 0);
	f.len = 0; /* 34 + 8 (33/4) + 13 */
	mon_frame_bits(&f, &nom, &dat);
	CU_ASSERT_EQUAL(nom, 55);
	/* EFF: 54 + 8n stuffable: 8 bytes 118 + 29 (117/4) + 13 = 160 */
	f = fr(0x12345678, CF_EFF, d, 8);
	mon_frame_bits(&f, &nom, &dat);
	CU_ASSERT_EQUAL(nom, 160);
	f.len = 3; /* 78 + 19 + 13 */
	mon_frame_bits(&f, &nom, &dat);
	CU_ASSERT_EQUAL(nom, 110);
	/* a remote frame carries no data field whatever its DLC */
	f = fr(0x123, CF_RTR, NULL, 8);
	mon_frame_bits(&f, &nom, &dat);
	CU_ASSERT_EQUAL(nom, 55);
	/* FD SFF 8 bytes, no BRS: (1+11+17+5+12+64) = 110 * 5/4 = 137.5 -> 137 */
	f = fr(0x123, CF_FD, d, 8);
	mon_frame_bits(&f, &nom, &dat);
	CU_ASSERT_EQUAL(nom, 137);
	CU_ASSERT_EQUAL(dat, 0);
	/* FD SFF 64 bytes BRS: all (1+11+21+5+12+512) = 562 * 5/4 = 702;
	 * data phase (1+1+4+21+512) = 539 * 5/4 = 673; nominal 702-673 = 29 */
	f = fr(0x123, CF_FD | CF_BRS, d, 64);
	mon_frame_bits(&f, &nom, &dat);
	CU_ASSERT_EQUAL(dat, 673);
	CU_ASSERT_EQUAL(nom, 29);
	/* FD EFF 12 bytes BRS: all (1+29+17+5+12+96) = 160 * 5/4 = 200;
	 * data (6+17+96) = 119 * 5/4 = 148; nominal 52 */
	f = fr(0x1234567, CF_EFF | CF_FD | CF_BRS, d, 12);
	mon_frame_bits(&f, &nom, &dat);
	CU_ASSERT_EQUAL(dat, 148);
	CU_ASSERT_EQUAL(nom, 52);
}

static void test_load(void)
{
	static const uint8_t d[64];
	struct mon m;
	struct cf_frame f = fr(0x100, CF_FD | CF_BRS, d, 64), c = fr(0x200, 0, d, 8);
	int b0, b1, i;

	CU_ASSERT_EQUAL_FATAL(mon_init(&m, NULL), 0);
	b0 = mon_add_if(&m, "can0", 500000, 2000000);
	b1 = mon_add_if(&m, "vcan0", 0, 0);
	CU_ASSERT_EQUAL(b0, 0);
	CU_ASSERT_EQUAL(b1, 1);
	CU_ASSERT_EQUAL(mon_add_if(&m, "a-bus-name-far-too-long-for-the-table", 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(m.ifs[1].load, -1);
	/* 100 FD frames and 100 classic ones in the first second */
	for (i = 0; i < 100; i++) {
		mon_frame(&m, 0, &f, S + (uint64_t)i * 10 * MS);
		mon_frame(&m, 0, &c, S + (uint64_t)i * 10 * MS + 1);
		mon_frame(&m, 1, &c, S + (uint64_t)i * 10 * MS);
	}
	mon_tick(&m, S + 999 * MS); /* the window is not over yet */
	CU_ASSERT_EQUAL(m.ifs[0].fps, 0);
	mon_tick(&m, 2 * S);
	CU_ASSERT_DOUBLE_EQUAL(m.ifs[0].fps, 200, 1e-9);
	/* (100*29 + 100*135) / 500k + 100*673 / 2M in one second */
	CU_ASSERT_DOUBLE_EQUAL(m.ifs[0].load, 16400.0 / 500000 + 67300.0 / 2000000, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(m.ifs[1].fps, 100, 1e-9);
	CU_ASSERT_EQUAL(m.ifs[1].load, -1); /* no bitrate: unknown */
	/* a quiet second after: zero, not the last figure held */
	mon_tick(&m, 3 * S);
	CU_ASSERT_EQUAL(m.ifs[0].fps, 0);
	CU_ASSERT_EQUAL(m.ifs[0].load, 0);
	/* half a second of frames, flushed as --once does */
	for (i = 0; i < 50; i++)
		mon_frame(&m, 0, &c, 3 * S + (uint64_t)i * 10 * MS);
	mon_flush_rates(&m, 3 * S + 500 * MS);
	CU_ASSERT_DOUBLE_EQUAL(m.ifs[0].fps, 100, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(m.ifs[0].load, 50 * 135 / 500000.0 / 0.5, 1e-12);
	/* error frames are counted, not rows, not frames */
	f = fr(0x4, CF_ERR, d, 8);
	CU_ASSERT_EQUAL(mon_frame(&m, 1, &f, 4 * S), 0);
	CU_ASSERT_EQUAL(m.ifs[1].errors, 1);
	CU_ASSERT_EQUAL(m.ifs[1].frames, 100);
	CU_ASSERT_EQUAL(m.nrows, 3);
	CU_ASSERT_EQUAL(mon_frame(&m, 7, &c, 4 * S), -EINVAL);
	/* a bitrate learnt late (the kernel's answer): the load is known
	 * from the next window on */
	mon_set_bitrate(&m, 1, 125000, 0);
	CU_ASSERT_EQUAL(m.ifs[1].load, 0);
	CU_ASSERT_EQUAL(m.ifs[1].dbitrate, 125000);
	for (i = 0; i < 10; i++)
		mon_frame(&m, 1, &c, 4 * S + (uint64_t)i * MS);
	mon_tick(&m, 5 * S);
	/* the window opened by the flush at 3.5 s: 1.5 s long */
	CU_ASSERT_DOUBLE_EQUAL(m.ifs[1].load, 10 * 135 / 125000.0 / 1.5, 1e-12);
	mon_fini(&m);
}

static void test_rates(void)
{
	static const uint8_t d[8];
	struct mon m;
	struct cf_frame f = fr(0x100, 0, d, 8);
	struct mon_row *r;
	uint64_t t = S;
	int i;

	CU_ASSERT_EQUAL_FATAL(mon_init(&m, NULL), 0);
	mon_add_if(&m, "vcan0", 0, 0);
	mon_frame(&m, 0, &f, t);
	r = row_of(&m, 0, 0x100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(mon_hz(r), 0); /* one frame: no rate yet */
	/* exactly every 10 ms: 100 Hz and no jitter from the second frame */
	for (i = 0; i < 20; i++) {
		t += 10 * MS;
		mon_frame(&m, 0, &f, t);
		CU_ASSERT_DOUBLE_EQUAL(mon_hz(r), 100, 1e-9);
		CU_ASSERT_DOUBLE_EQUAL(mon_jitter_ms(r), 0, 1e-12);
	}
	CU_ASSERT_EQUAL(r->count, 21);
	CU_ASSERT_EQUAL(r->first_ns, S);
	CU_ASSERT_EQUAL(r->last_ns, t);
	CU_ASSERT_EQUAL(mon_age(r, t + 5 * MS), 5 * MS);
	/* 8 and 12 ms alternating: the mean stays near 10 ms, the deviation
	 * climbs toward 2 ms */
	for (i = 0; i < 200; i++) {
		t += (i & 1) ? 12 * MS : 8 * MS;
		mon_frame(&m, 0, &f, t);
	}
	CU_ASSERT(mon_hz(r) > 97 && mon_hz(r) < 103);
	CU_ASSERT(mon_jitter_ms(r) > 1.5 && mon_jitter_ms(r) <= 2.5);
	/* one late frame moves the rate by an eighth of its error at most */
	{
		double before = 1e3 / mon_hz(r);

		t += 50 * MS;
		mon_frame(&m, 0, &f, t);
		CU_ASSERT_DOUBLE_EQUAL(1e3 / mon_hz(r), before + (50 - before) / 8, 1e-6);
	}
	/* a clock that steps back gives a zero period, never a huge one */
	mon_frame(&m, 0, &f, t - 1 * MS);
	CU_ASSERT(mon_hz(r) > 0 && isfinite(mon_hz(r)));
	mon_fini(&m);
}

static void test_changed(void)
{
	uint8_t a[3] = {0x00, 0x11, 0x22}, b[3] = {0x00, 0x11, 0x23}, c[4] = {1, 0x11, 0x23, 9};
	struct mon m;
	struct cf_frame f = fr(0x7FF, 0, a, 3);
	struct mon_row *r;
	unsigned int i;

	CU_ASSERT_EQUAL_FATAL(mon_init(&m, NULL), 0);
	mon_add_if(&m, "vcan0", 0, 0);
	mon_frame(&m, 0, &f, S);
	r = row_of(&m, 0, 0x7FF);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	/* the first frame marks nothing: nothing changed yet */
	for (i = 0; i < CF_MAX_LEN; i++)
		CU_ASSERT_EQUAL(mon_byte_changed(r, i), 0);
	f.data = b;
	mon_frame(&m, 0, &f, S + 10 * MS);
	CU_ASSERT_EQUAL(mon_byte_changed(r, 0), 0);
	CU_ASSERT_EQUAL(mon_byte_changed(r, 1), 0);
	CU_ASSERT_EQUAL(mon_byte_changed(r, 2), S + 10 * MS);
	CU_ASSERT_EQUAL(memcmp(r->data, b, 3), 0);
	CU_ASSERT(mon_byte_hot(r, 2, S + 500 * MS));
	CU_ASSERT(!mon_byte_hot(r, 1, S + 500 * MS));
	/* fades MON_FADE_NS after the change */
	CU_ASSERT(mon_byte_hot(r, 2, S + 10 * MS + MON_FADE_NS - 1));
	CU_ASSERT(!mon_byte_hot(r, 2, S + 10 * MS + MON_FADE_NS));
	/* the same bytes again: the mark keeps its time */
	mon_frame(&m, 0, &f, S + 20 * MS);
	CU_ASSERT_EQUAL(mon_byte_changed(r, 2), S + 10 * MS);
	/* longer: the new byte counts as changed */
	f.data = c;
	f.len = 4;
	mon_frame(&m, 0, &f, S + 30 * MS);
	CU_ASSERT_EQUAL(mon_byte_changed(r, 0), S + 30 * MS);
	CU_ASSERT_EQUAL(mon_byte_changed(r, 2), S + 10 * MS);
	CU_ASSERT_EQUAL(mon_byte_changed(r, 3), S + 30 * MS);
	CU_ASSERT_EQUAL(r->len, 4);
	/* a remote frame of the id counts but leaves the bytes */
	f = fr(0x7FF, CF_RTR, NULL, 4);
	mon_frame(&m, 0, &f, S + 40 * MS);
	CU_ASSERT_EQUAL(r->count, 5);
	CU_ASSERT_EQUAL(memcmp(r->data, c, 4), 0);
	/* the same id as a 29-bit one, or on another bus, is another row */
	mon_add_if(&m, "vcan1", 0, 0);
	f = fr(0x7FF, CF_EFF, a, 3);
	mon_frame(&m, 0, &f, S);
	f.flags = 0;
	mon_frame(&m, 1, &f, S);
	CU_ASSERT_EQUAL(m.nrows, 3);
	mon_fini(&m);
}

static void test_bound(void)
{
	static const uint8_t d[8];
	struct mon m;
	struct mon_opts o = {.max_rows = 4};
	struct cf_frame f = fr(0, 0, d, 8);
	uint32_t id;
	void *rows;

	CU_ASSERT_EQUAL_FATAL(mon_init(&m, &o), 0);
	mon_add_if(&m, "vcan0", 0, 0);
	for (id = 0; id < 4; id++) {
		f.id = id;
		CU_ASSERT_EQUAL(mon_frame(&m, 0, &f, S), 0);
	}
	f.id = 4;
	CU_ASSERT_EQUAL(mon_frame(&m, 0, &f, S), -ENOSPC);
	CU_ASSERT_EQUAL(mon_frame(&m, 0, &f, S), -ENOSPC);
	CU_ASSERT_EQUAL(m.rows_full, 2);
	CU_ASSERT_EQUAL(m.nrows, 4);
	CU_ASSERT(m.cap <= 4);
	/* known ids go on being counted, without moving the table */
	rows = m.rows;
	f.id = 2;
	CU_ASSERT_EQUAL(mon_frame(&m, 0, &f, 2 * S), 0);
	CU_ASSERT_PTR_EQUAL(m.rows, rows);
	CU_ASSERT_EQUAL(row_of(&m, 0, 2)->count, 2);
	CU_ASSERT_EQUAL(m.frames, 7); /* the refused frames were on the bus */
	mon_fini(&m);

	/* many ids: the hash grows and finds every one again */
	CU_ASSERT_EQUAL_FATAL(mon_init(&m, NULL), 0);
	mon_add_if(&m, "vcan0", 0, 0);
	for (id = 0; id < 3000; id++) {
		f.id = id;
		f.flags = (id & 1) ? CF_EFF : 0;
		mon_frame(&m, 0, &f, S);
	}
	for (id = 0; id < 3000; id++) {
		f.id = id;
		f.flags = (id & 1) ? CF_EFF : 0;
		mon_frame(&m, 0, &f, 2 * S);
	}
	CU_ASSERT_EQUAL(m.nrows, 3000);
	for (size_t i = 0; i < m.nrows; i++)
		CU_ASSERT_EQUAL(m.rows[i].count, 2);
	mon_fini(&m);
}

static void test_signals(void)
{
	struct dbc_db *db = load_mux();
	struct mon m;
	struct mon_opts o = {.db = db};
	uint8_t d0[8] = {0, 7}, d1[8] = {1, 8}, d2[8] = {1, 2};
	struct cf_frame f = fr(0x100, 0, d0, 8);
	struct mon_row *r;

	CU_ASSERT_EQUAL_FATAL(mon_init(&m, &o), 0);
	mon_add_if(&m, "vcan0", 0, 0);
	mon_frame(&m, 0, &f, S);
	r = row_of(&m, 0, 0x100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->msg);
	CU_ASSERT_STRING_EQUAL(r->msg->name, "Mux");
	/* Sel 0: A present (7), B not */
	CU_ASSERT(r->sigs[0].present);
	CU_ASSERT_STRING_EQUAL(sig_label(r, 0), "Zero");
	CU_ASSERT(r->sigs[1].present);
	CU_ASSERT_EQUAL(sig_phys(r, 1), 7);
	CU_ASSERT(!r->sigs[2].present);
	CU_ASSERT(!r->sigs[2].seen);
	f.data = d1;
	mon_frame(&m, 0, &f, S + 10 * MS);
	CU_ASSERT(!r->sigs[1].present);
	CU_ASSERT(r->sigs[2].present);
	CU_ASSERT_EQUAL(sig_phys(r, 2), 4);
	f.data = d2;
	mon_frame(&m, 0, &f, S + 20 * MS);
	CU_ASSERT_EQUAL(sig_phys(r, 2), 1);
	/* min/max over the frames each signal was present in */
	CU_ASSERT_EQUAL(sig_min(r, 2), 1);
	CU_ASSERT_EQUAL(sig_max(r, 2), 4);
	CU_ASSERT_EQUAL(sig_min(r, 1), 7);
	CU_ASSERT_EQUAL(sig_max(r, 1), 7);
	CU_ASSERT_EQUAL(sig_min(r, 0), 0);
	CU_ASSERT_EQUAL(sig_max(r, 0), 1);
	/* the same bytes are not decoded again: a value planted in the row
	 * survives an identical frame, and a changed frame replaces it */
	r->sigs[2].raw.u = 198; /* B = 99 */
	mon_frame(&m, 0, &f, S + 30 * MS);
	CU_ASSERT_EQUAL(sig_phys(r, 2), 99);
	f.data = d1;
	mon_frame(&m, 0, &f, S + 40 * MS);
	CU_ASSERT_EQUAL(sig_phys(r, 2), 4);
	/* an id the DBC lacks: a row without a name */
	f = fr(0x555, 0, d0, 8);
	mon_frame(&m, 0, &f, S);
	CU_ASSERT_PTR_NULL(row_of(&m, 0, 0x555)->msg);
	CU_ASSERT_PTR_NULL(row_of(&m, 0, 0x555)->sigs);
	/* after a clear the next frame is decoded again even when its bytes
	 * did not change, so min/max start from it */
	mon_clear(&m);
	CU_ASSERT(!r->sigs[2].seen);
	mon_frame(&m, 0, &(struct cf_frame){.id = 0x100, .data = d1, .len = 8}, 2 * S);
	CU_ASSERT(r->sigs[2].seen);
	CU_ASSERT_EQUAL(sig_min(r, 2), 4);
	CU_ASSERT_EQUAL(sig_max(r, 2), 4);
	mon_fini(&m);
	dbc_free(db);
}

static void feed_four(struct mon *m)
{
	static const uint8_t d[8];
	struct cf_frame f;
	int i;

	/* Mux 100 Hz, Alpha 50 Hz, 0x123 10 Hz, 0x18FF0001 20 Hz (ext) */
	for (i = 0; i <= 100; i++) {
		uint64_t t = S + (uint64_t)i * 10 * MS;

		f = fr(0x100, 0, d, 8);
		mon_frame(m, 0, &f, t);
		if (i % 2 == 0) {
			f = fr(0x200, 0, d, 2);
			mon_frame(m, 0, &f, t);
		}
		if (i % 10 == 0) {
			f = fr(0x123, 0, d, 1);
			mon_frame(m, 0, &f, t);
		}
		if (i % 5 == 0) {
			f = fr(0x18FF0001, CF_EFF, d, 8);
			mon_frame(m, 0, &f, t);
		}
	}
}

static void test_select(void)
{
	struct dbc_db *db = load_mux();
	struct mon m;
	struct mon_opts o = {.db = db};
	uint32_t idx[8], one[1];
	uint8_t x = 1;
	struct cf_frame f = fr(0x123, 0, &x, 1);
	size_t n;

	CU_ASSERT_EQUAL_FATAL(mon_init(&m, &o), 0);
	mon_add_if(&m, "vcan0", 0, 0);
	feed_four(&m);
	n = mon_select(&m, MON_SORT_ID, NULL, 2 * S, idx, 8);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(m.rows[idx[0]].id, 0x100);
	CU_ASSERT_EQUAL(m.rows[idx[1]].id, 0x123);
	CU_ASSERT_EQUAL(m.rows[idx[2]].id, 0x200);
	CU_ASSERT_EQUAL(m.rows[idx[3]].id, 0x18FF0001);
	/* named first by name, then by id */
	n = mon_select(&m, MON_SORT_NAME, "", 2 * S, idx, 8);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(m.rows[idx[0]].id, 0x200); /* Alpha */
	CU_ASSERT_EQUAL(m.rows[idx[1]].id, 0x100); /* Mux */
	CU_ASSERT_EQUAL(m.rows[idx[2]].id, 0x123);
	CU_ASSERT_EQUAL(m.rows[idx[3]].id, 0x18FF0001);
	n = mon_select(&m, MON_SORT_RATE, NULL, 2 * S, idx, 8);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(m.rows[idx[0]].id, 0x100);
	CU_ASSERT_EQUAL(m.rows[idx[1]].id, 0x200);
	CU_ASSERT_EQUAL(m.rows[idx[2]].id, 0x18FF0001);
	CU_ASSERT_EQUAL(m.rows[idx[3]].id, 0x123);
	/* only 0x123 changed, so it leads by recent change */
	mon_frame(&m, 0, &f, 3 * S);
	n = mon_select(&m, MON_SORT_CHANGE, NULL, 3 * S, idx, 8);
	CU_ASSERT_EQUAL(m.rows[idx[0]].id, 0x123);
	/* a short out gets the first of the sorted whole */
	n = mon_select(&m, MON_SORT_RATE, NULL, 3 * S, one, 1);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(m.rows[one[0]].id, 0x100);
	/* filters: name or id as printed, case-insensitive */
	n = mon_select(&m, MON_SORT_ID, "mU", 3 * S, idx, 8);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(m.rows[idx[0]].id, 0x100);
	n = mon_select(&m, MON_SORT_ID, "ff", 3 * S, idx, 8);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(m.rows[idx[0]].id, 0x18FF0001);
	n = mon_select(&m, MON_SORT_ID, "12", 3 * S, idx, 8);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(m.rows[idx[0]].id, 0x123);
	n = mon_select(&m, MON_SORT_ID, "1", 3 * S, idx, 8);
	CU_ASSERT_EQUAL(n, 3); /* 100, 123, 18FF0001 */
	CU_ASSERT_EQUAL(mon_select(&m, MON_SORT_ID, "zz", 3 * S, idx, 8), 0);
	mon_fini(&m);
	dbc_free(db);
}

static void test_clear(void)
{
	struct mon m;
	struct mon_row *r;

	CU_ASSERT_EQUAL_FATAL(mon_init(&m, NULL), 0);
	mon_add_if(&m, "vcan0", 500000, 0);
	feed_four(&m);
	mon_drops(&m, 0, 17);
	mon_tick(&m, 2 * S + 500 * MS);
	CU_ASSERT_EQUAL(m.ifs[0].drops, 17);
	CU_ASSERT(m.ifs[0].fps > 0);
	r = row_of(&m, 0, 0x100);
	r->expanded = 1;
	r->changed_ns[0] = S;
	mon_clear(&m);
	CU_ASSERT_EQUAL(m.nrows, 4); /* rows stay */
	CU_ASSERT_EQUAL(r->count, 0);
	CU_ASSERT_EQUAL(mon_hz(r), 0);
	CU_ASSERT_EQUAL(r->changed_ns[0], 0);
	CU_ASSERT_EQUAL(r->expanded, 1);
	CU_ASSERT_EQUAL(m.ifs[0].frames, 0);
	CU_ASSERT_EQUAL(m.ifs[0].fps, 0);
	CU_ASSERT_EQUAL(m.ifs[0].load, 0);
	CU_ASSERT_EQUAL(m.frames, 0);
	/* drops count from the clear on: the kernel's total is cumulative */
	CU_ASSERT_EQUAL(m.ifs[0].drops, 0);
	mon_drops(&m, 0, 20);
	CU_ASSERT_EQUAL(m.ifs[0].drops, 3);
	/* a rate starts over: no period across the clear */
	{
		static const uint8_t d[8];
		struct cf_frame f = fr(0x100, 0, d, 8);

		mon_frame(&m, 0, &f, 5 * S);
		CU_ASSERT_EQUAL(mon_hz(r), 0);
		mon_frame(&m, 0, &f, 5 * S + 20 * MS);
		CU_ASSERT_DOUBLE_EQUAL(mon_hz(r), 50, 1e-9);
	}
	mon_fini(&m);
	mon_fini(&m); /* on a zeroed mon */
}

/* The snapshot of m at now into a string (static). */
static const char *snap(struct mon *m, uint64_t now, int json)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(json ? mon_write_json(m, f, now) : mon_write_text(m, f, now), 0);
	fclose(f);
	return buf;
}

static void test_snapshots(void)
{
	struct dbc_db *db = load_mux();
	struct mon m;
	struct mon_opts o = {.db = db};
	uint8_t a[8] = {0, 5}, b[8] = {1, 6}, c[2] = {0x34, 0x12}, e[3] = {0xAB, 0xCD, 0xEF};
	const char *s;

	CU_ASSERT_EQUAL_FATAL(mon_init(&m, &o), 0);
	mon_add_if(&m, "vcan0", 0, 0);
	mon_add_if(&m, "can1", 250000, 0);
	mon_frame(&m, 0, &(struct cf_frame){.id = 0x100, .data = a, .len = 8}, S);
	mon_frame(&m, 0, &(struct cf_frame){.id = 0x100, .data = b, .len = 8}, S + 10 * MS);
	mon_frame(&m, 1, &(struct cf_frame){.id = 0x200, .data = c, .len = 2}, S);
	mon_frame(&m, 1, &(struct cf_frame){.id = 0x1ABCDE, .flags = CF_EFF, .data = e, .len = 3},
		  S);
	mon_frame(&m, 1, &(struct cf_frame){.id = 0x1, .flags = CF_ERR, .data = e, .len = 8}, S);
	mon_drops(&m, 1, 3);
	mon_flush_rates(&m, 2 * S);
	s = snap(&m, 2 * S, 1);
	/* can1: (55+20) + (80+30) = 185 bits in one second at 250 kbit/s */
	CU_ASSERT_STRING_EQUAL(
		s,
		"{\"interfaces\": {\"vcan0\": {\"frames\": 2, \"fps\": 2.0, \"load\": null, "
		"\"errors\": 0, \"drops\": 0}, \"can1\": {\"frames\": 2, \"fps\": 2.0, \"load\": "
		"0.0007, \"errors\": 1, \"drops\": 3}}, \"messages\": [{\"bus\": \"vcan0\", "
		"\"id\": 256, \"ext\": false, \"name\": \"Mux\", \"count\": 2, \"hz\": 100.000, "
		"\"len\": 8, \"data\": \"0106000000000000\", \"sig\": {\"Sel\": 1, \"B\": 3.0}, "
		"\"labels\": {\"Sel\": \"One\"}}, {\"bus\": \"can1\", \"id\": 512, \"ext\": "
		"false, \"name\": \"Alpha\", \"count\": 1, \"hz\": 0.000, \"len\": 2, \"data\": "
		"\"3412\", \"sig\": {\"Speed\": 4660}}, {\"bus\": \"can1\", \"id\": 1752286, "
		"\"ext\": true, \"name\": null, \"count\": 1, \"hz\": 0.000, \"len\": 3, "
		"\"data\": \"ABCDEF\", \"sig\": {}}]}\n");
	s = snap(&m, 2 * S, 0);
	CU_ASSERT_STRING_EQUAL(
		s,
		"vcan0: 2 frames, 2.0 fps, load unknown, 0 errors, 0 drops\n"
		"can1: 2 frames, 2.0 fps, load 0.1%, 1 errors, 3 drops\n"
		"BUS      ID       NAME                      COUNT        HZ  JIT(ms)  AGE(s) LEN "
		"DATA\n"
		"vcan0    100      Mux                           2    100.00    0.000    0.99   8 "
		"01 06 00 00 00 00 00 00\n"
		"    Sel = 1 (One)  [min 0 max 1]\n"
		"    B = 3.0 V  [min 3 max 3]\n"
		"can1     200      Alpha                         1      0.00    0.000    1.00   2 "
		"34 12\n"
		"    Speed = 4660 km/h  [min 4660 max 4660]\n"
		"can1     001ABCDE -                             1      0.00    0.000    1.00   3 "
		"AB CD EF\n");
	mon_fini(&m);
	dbc_free(db);

	/* without a DBC: name null, no "sig" */
	CU_ASSERT_EQUAL_FATAL(mon_init(&m, NULL), 0);
	mon_add_if(&m, "vcan0", 0, 0);
	mon_frame(&m, 0, &(struct cf_frame){.id = 0x100, .data = a, .len = 2}, S);
	s = snap(&m, S, 1);
	CU_ASSERT_STRING_EQUAL(s, "{\"interfaces\": {\"vcan0\": {\"frames\": 1, \"fps\": 0.0, "
				  "\"load\": null, \"errors\": 0, \"drops\": 0}}, \"messages\": "
				  "[{\"bus\": \"vcan0\", \"id\": 256, \"ext\": false, \"name\": "
				  "null, \"count\": 1, \"hz\": 0.000, \"len\": 2, \"data\": "
				  "\"0005\"}]}\n");
	mon_fini(&m);
}

/*
 * The frame path keeps raw integers and reads values, labels and min/max
 * when asked (mon_sig_value(), mon_sig_range()): the results must be those
 * of decoding every frame with dbc_decode() and keeping the physical
 * min/max as the model did before, on every kind of signal: unsigned,
 * signed, Motorola, negative scales, a mux branch, a 64-bit raw past 2^53,
 * float32/float64 (random bits: NaN and infinities too), scale 0, an
 * offset of -0.
 */
static const char kinds_dbc[] = "VERSION \"\"\n"
				"BU_: N\n"
				"BO_ 1 Kinds: 32 N\n"
				" SG_ U : 0|12@1+ (0.1,-5) [0|0] \"\" N\n"
				" SG_ Sg : 23|16@0- (0.01,3) [0|0] \"\" N\n"
				" SG_ Neg : 32|8@1+ (-2.5,100) [0|0] \"\" N\n"
				" SG_ NegS : 40|10@1- (-0.3,0) [0|0] \"\" N\n"
				" SG_ Sel M : 56|1@1+ (1,0) [0|0] \"\" N\n"
				" SG_ X m1 : 50|6@1- (2,1) [0|0] \"\" N\n"
				" SG_ F : 64|32@1- (0.5,1) [0|0] \"\" N\n"
				" SG_ SBig : 96|32@1- (0.001,0) [0|0] \"\" N\n"
				" SG_ D : 128|64@1- (1,0) [0|0] \"\" N\n"
				" SG_ Big : 192|64@1+ (3,-1) [0|0] \"\" N\n"
				" SG_ Flat : 57|3@1- (0,-0) [0|0] \"\" N\n"
				" SG_ NZ : 60|4@1- (-1,-0) [0|0] \"\" N\n"
				"SIG_VALTYPE_ 1 F : 1;\n"
				"SIG_VALTYPE_ 1 D : 2;\n"
				/* bits one word load cannot reach, Intel and Motorola, ends of
				 * 64 bytes, and Motorola ones it can */
				"BO_ 2 Tail: 64 N\n"
				" SG_ W : 4|61@1+ (1,0) [0|0] \"\" N\n"
				" SG_ T : 500|12@1- (0.5,0) [0|0] \"\" N\n"
				" SG_ TB : 487|16@0- (-1,2) [0|0] \"\" N\n"
				" SG_ MB : 71|57@0+ (1,0) [0|0] \"\" N\n"
				" SG_ MB2 : 131|61@0+ (2,0) [0|0] \"\" N\n"
				" SG_ M7 : 455|64@0- (1,0) [0|0] \"\" N\n"
				" SG_ L64 : 448|64@1- (1,0) [0|0] \"\" N\n"
				" SG_ Odd : 203|11@0+ (0.25,-3) [0|0] \"\" N\n"
				" SG_ Odd2 : 261|9@1- (4,0) [0|0] \"\" N\n"
				"VAL_ 1 Neg 0 \"Zero\" 1 \"One\" 255 \"Max\" ;\n"
				"VAL_ 1 Sel 0 \"Off\" 1 \"On\" ;\n";

static int same_double(double a, double b)
{
	return (isnan(a) && isnan(b)) || (a == b && signbit(a) == signbit(b));
}

static void test_sig_raw(void)
{
	static const uint8_t lens[] = {8, 12, 16, 20, 24, 32, 48, 64, 64, 64, 64, 64};
	struct dbc_db *db = NULL;
	char err[DBC_ERRMSG_MAX];
	const struct dbc_message *msg[2];
	struct dbc_value ref[16], v;
	double rmin[2][16], rmax[2][16];
	uint8_t rseen[2][16], d[2][64];
	uint64_t x = 0x9E3779B97F4A7C15ull;
	struct mon_opts o;
	struct mon m;
	struct mon_row *r;
	struct cf_frame f;
	unsigned int i, k, b, bad = 0;

	CU_ASSERT_EQUAL_FATAL(dbc_load_mem("kinds.dbc", kinds_dbc, strlen(kinds_dbc), NULL, &db,
					   err, sizeof(err)),
			      0);
	msg[0] = dbc_find_id(db, 1, 0);
	msg[1] = dbc_find_id(db, 2, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg[1]);
	CU_ASSERT_EQUAL_FATAL(msg[0]->nsigs, 12);
	CU_ASSERT_EQUAL(msg[0]->sigs[6].kind, DBC_FLOAT32);
	CU_ASSERT_EQUAL(msg[0]->sigs[8].kind, DBC_FLOAT64);
	/* the parser makes a scale of 0 a 1: set it, a table built otherwise
	 * may have it (negative raws then give -0, the others +0) */
	CU_ASSERT_STRING_EQUAL(msg[0]->sigs[10].name, "Flat");
	msg[0]->sigs[10].scale = 0;
	memset(&o, 0, sizeof(o));
	o.db = db;
	CU_ASSERT_EQUAL_FATAL(mon_init(&m, &o), 0);
	mon_add_if(&m, "vcan0", 0, 0);
	memset(rseen, 0, sizeof(rseen));
	memset(d, 0, sizeof(d));
	for (i = 0; i < 40000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		b = (x >> 32) & 1;
		f = fr(b + 1, CF_FD, d[b], b ? lens[(x >> 40) % sizeof(lens)] : 32);
		/* random bytes; now and then the same again; a clear now and
		 * then (min/max start over) */
		if (i % 7) {
			for (k = 0; k < f.len; k++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				d[b][k] = (uint8_t)x;
			}
			/* small values too, where the signs and the choices are */
			if (i % 5 == 0)
				memset(d[b], (int)(x >> 60), f.len / 2);
		}
		if (i % 9999 == 9998 && i < 30000) {
			mon_clear(&m);
			memset(rseen, 0, sizeof(rseen));
			/* NaN first: not a min or max, and not "seen" */
			memset(d[0] + 8, 0xFF, 4);
			memset(d[0] + 16, 0xFF, 8);
		}
		mon_frame(&m, 0, &f, S + i * MS);
		dbc_decode(msg[b], &f, DBC_DEC_LABELS, ref, NULL);
		r = row_of(&m, 0, b + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		for (k = 0; k < msg[b]->nsigs; k++) {
			const struct dbc_signal *sd = &msg[b]->sigs[k];
			const struct dbc_value *e = &ref[k];
			double lo = 0, hi = 0;
			int seen;

			if (e->present && !isnan(e->phys)) {
				if (!rseen[b][k] || e->phys < rmin[b][k])
					rmin[b][k] = e->phys;
				if (!rseen[b][k] || e->phys > rmax[b][k])
					rmax[b][k] = e->phys;
				rseen[b][k] = 1;
			}
			mon_sig_value(sd, &r->sigs[k], &v);
			seen = mon_sig_range(sd, &r->sigs[k], &lo, &hi);
			if (v.present != e->present || seen != rseen[b][k] ||
			    (e->present && (v.raw.u != e->raw.u || !same_double(v.phys, e->phys) ||
					    v.label != e->label)) ||
			    (seen &&
			     (!same_double(lo, rmin[b][k]) || !same_double(hi, rmax[b][k])))) {
				if (bad++ < 5)
					printf("\n  frame %u, %s: present %d/%d raw %llx/%llx "
					       "min %g/%g max %g/%g",
					       i, sd->name, v.present, e->present,
					       (unsigned long long)v.raw.u,
					       (unsigned long long)e->raw.u, lo, rmin[b][k], hi,
					       rmax[b][k]);
			}
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* the ranges were exercised: negative values, a mux branch, floats */
	r = row_of(&m, 0, 1);
	CU_ASSERT(r->sigs[3].seen && r->sigs[5].seen && r->sigs[6].seen);
	r = row_of(&m, 0, 2);
	for (k = 0; k < msg[1]->nsigs; k++)
		CU_ASSERT(r->sigs[k].seen);
	mon_fini(&m);
	dbc_free(db);
}

/* The integer period estimator against the same one in doubles (the model
 * before): random periods, a step back, a long gap. */
static void test_rates_fixed(void)
{
	static const uint8_t d[1];
	struct cf_frame f = fr(0x123, 0, d, 1);
	struct mon m;
	struct mon_row *r;
	uint64_t x = 12345, t = S, per;
	double ref_per = 0, ref_dev = 0, worst = 0;
	unsigned int i;

	CU_ASSERT_EQUAL_FATAL(mon_init(&m, NULL), 0);
	mon_add_if(&m, "vcan0", 0, 0);
	mon_frame(&m, 0, &f, t);
	r = row_of(&m, 0, 0x123);
	for (i = 1; i < 5000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		per = 100000 + x % (50 * MS); /* 0.1 .. 50 ms, any ns */
		if (i == 2000)
			per = 3600 * S; /* an hour away */
		t += per;
		if (i == 3000)
			t -= 2 * per; /* a step back: a zero period */
		per = t > r->last_ns ? t - r->last_ns : 0;
		if (i == 1) {
			ref_per = (double)per;
		} else {
			ref_dev += 0.25 * (fabs((double)per - ref_per) - ref_dev);
			ref_per += 0.125 * ((double)per - ref_per);
		}
		mon_frame(&m, 0, &f, t);
		/* within a tenth of a ns of the double estimator: the integer
		 * one truncates below 1/256 ns a step, and forgets as it goes */
		if (fabs(1e9 / mon_hz(r) - ref_per) > worst)
			worst = fabs(1e9 / mon_hz(r) - ref_per);
		if (fabs(mon_jitter_ms(r) * 1e6 - ref_dev) > worst)
			worst = fabs(mon_jitter_ms(r) * 1e6 - ref_dev);
	}
	CU_ASSERT(worst < 0.1);
	if (worst >= 0.1)
		printf("\n  off by %g ns", worst);
	mon_clear(&m);
	CU_ASSERT_EQUAL(mon_hz(r), 0);
	CU_ASSERT_EQUAL(mon_jitter_ms(r), 0);
	mon_fini(&m);
}

/* Byte marks through the mask and time against a time per byte kept the
 * way the model did before (a loop over the bytes), payloads of every
 * length, bytes from a small alphabet so that many stay the same. */
static void test_changed_random(void)
{
	uint8_t d[CF_MAX_LEN], old[CF_MAX_LEN];
	uint64_t ref[CF_MAX_LEN], x = 777, t;
	struct cf_frame f = fr(0x42, CF_FD, d, 0);
	struct mon m;
	struct mon_row *r = NULL;
	unsigned int i, k, len, oldlen = 0, bad = 0;

	CU_ASSERT_EQUAL_FATAL(mon_init(&m, NULL), 0);
	mon_add_if(&m, "vcan0", 0, 0);
	memset(ref, 0, sizeof(ref));
	for (i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		len = (x >> 8) % 4 ? oldlen : (unsigned int)(x >> 16) % (CF_MAX_LEN + 1);
		if (i == 0)
			len = 64;
		for (k = 0; k < len; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* mostly unchanged, some bytes change */
			d[k] = (x & 0xF0) ? (k < oldlen ? old[k] : 0) : (uint8_t)(x >> 8) & 3;
		}
		t = S + (uint64_t)i * MS;
		f.len = (uint8_t)len;
		mon_frame(&m, 0, &f, t);
		if (i)
			for (k = 0; k < len; k++)
				if (k >= oldlen || d[k] != old[k])
					ref[k] = t;
		memcpy(old, d, len);
		oldlen = len;
		r = row_of(&m, 0, 0x42);
		for (k = 0; k < CF_MAX_LEN; k++)
			if (mon_byte_changed(r, k) != ref[k] ||
			    mon_byte_hot(r, k, t + 500 * MS) !=
				    (ref[k] && t + 500 * MS - ref[k] < MON_FADE_NS))
				bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	mon_fini(&m);
}

static int register_mon_tests(void)
{
	CU_pSuite s = CU_add_suite("mon (canrig monitor's table model)", NULL, NULL);

	if (!s || !CU_add_test(s, "bits per frame: classic, FD, BRS", test_bits) ||
	    !CU_add_test(s, "fps and bus load windows", test_load) ||
	    !CU_add_test(s, "rate and jitter on a fake clock", test_rates) ||
	    !CU_add_test(s, "changed bytes and their fade", test_changed) ||
	    !CU_add_test(s, "row bound and hash growth", test_bound) ||
	    !CU_add_test(s, "signals: mux, min/max, decode on change", test_signals) ||
	    !CU_add_test(s, "select: sort and filter", test_select) ||
	    !CU_add_test(s, "clear", test_clear) ||
	    !CU_add_test(s, "JSON and text snapshots", test_snapshots) ||
	    !CU_add_test(s, "signals: raw min/max as decoding every frame", test_sig_raw) ||
	    !CU_add_test(s, "rate: integer estimator as the double one", test_rates_fixed) ||
	    !CU_add_test(s, "changed bytes: mask and time as a time per byte", test_changed_random))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(mon, register_mon_tests)
