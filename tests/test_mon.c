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
	CU_ASSERT_EQUAL(r->hz, 0); /* one frame: no rate yet */
	/* exactly every 10 ms: 100 Hz and no jitter from the second frame */
	for (i = 0; i < 20; i++) {
		t += 10 * MS;
		mon_frame(&m, 0, &f, t);
		CU_ASSERT_DOUBLE_EQUAL(r->hz, 100, 1e-9);
		CU_ASSERT_DOUBLE_EQUAL(r->jitter_ms, 0, 1e-12);
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
	CU_ASSERT(r->hz > 97 && r->hz < 103);
	CU_ASSERT(r->jitter_ms > 1.5 && r->jitter_ms <= 2.5);
	/* one late frame moves the rate by an eighth of its error at most */
	{
		double before = 1e3 / r->hz;

		t += 50 * MS;
		mon_frame(&m, 0, &f, t);
		CU_ASSERT_DOUBLE_EQUAL(1e3 / r->hz, before + (50 - before) / 8, 1e-6);
	}
	/* a clock that steps back gives a zero period, never a huge one */
	mon_frame(&m, 0, &f, t - 1 * MS);
	CU_ASSERT(r->hz > 0 && isfinite(r->hz));
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
		CU_ASSERT_EQUAL(r->changed_ns[i], 0);
	f.data = b;
	mon_frame(&m, 0, &f, S + 10 * MS);
	CU_ASSERT_EQUAL(r->changed_ns[0], 0);
	CU_ASSERT_EQUAL(r->changed_ns[1], 0);
	CU_ASSERT_EQUAL(r->changed_ns[2], S + 10 * MS);
	CU_ASSERT_EQUAL(memcmp(r->data, b, 3), 0);
	CU_ASSERT(mon_byte_hot(r, 2, S + 500 * MS));
	CU_ASSERT(!mon_byte_hot(r, 1, S + 500 * MS));
	/* fades MON_FADE_NS after the change */
	CU_ASSERT(mon_byte_hot(r, 2, S + 10 * MS + MON_FADE_NS - 1));
	CU_ASSERT(!mon_byte_hot(r, 2, S + 10 * MS + MON_FADE_NS));
	/* the same bytes again: the mark keeps its time */
	mon_frame(&m, 0, &f, S + 20 * MS);
	CU_ASSERT_EQUAL(r->changed_ns[2], S + 10 * MS);
	/* longer: the new byte counts as changed */
	f.data = c;
	f.len = 4;
	mon_frame(&m, 0, &f, S + 30 * MS);
	CU_ASSERT_EQUAL(r->changed_ns[0], S + 30 * MS);
	CU_ASSERT_EQUAL(r->changed_ns[2], S + 10 * MS);
	CU_ASSERT_EQUAL(r->changed_ns[3], S + 30 * MS);
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
	CU_ASSERT(r->sigs[0].v.present);
	CU_ASSERT_STRING_EQUAL(r->sigs[0].v.label, "Zero");
	CU_ASSERT(r->sigs[1].v.present);
	CU_ASSERT_EQUAL(r->sigs[1].v.phys, 7);
	CU_ASSERT(!r->sigs[2].v.present);
	CU_ASSERT(!r->sigs[2].seen);
	f.data = d1;
	mon_frame(&m, 0, &f, S + 10 * MS);
	CU_ASSERT(!r->sigs[1].v.present);
	CU_ASSERT(r->sigs[2].v.present);
	CU_ASSERT_EQUAL(r->sigs[2].v.phys, 4);
	f.data = d2;
	mon_frame(&m, 0, &f, S + 20 * MS);
	CU_ASSERT_EQUAL(r->sigs[2].v.phys, 1);
	/* min/max over the frames each signal was present in */
	CU_ASSERT_EQUAL(r->sigs[2].min, 1);
	CU_ASSERT_EQUAL(r->sigs[2].max, 4);
	CU_ASSERT_EQUAL(r->sigs[1].min, 7);
	CU_ASSERT_EQUAL(r->sigs[1].max, 7);
	CU_ASSERT_EQUAL(r->sigs[0].min, 0);
	CU_ASSERT_EQUAL(r->sigs[0].max, 1);
	/* the same bytes are not decoded again: a value planted in the row
	 * survives an identical frame, and a changed frame replaces it */
	r->sigs[2].v.phys = 99;
	mon_frame(&m, 0, &f, S + 30 * MS);
	CU_ASSERT_EQUAL(r->sigs[2].v.phys, 99);
	f.data = d1;
	mon_frame(&m, 0, &f, S + 40 * MS);
	CU_ASSERT_EQUAL(r->sigs[2].v.phys, 4);
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
	CU_ASSERT_EQUAL(r->sigs[2].min, 4);
	CU_ASSERT_EQUAL(r->sigs[2].max, 4);
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
	CU_ASSERT_EQUAL(r->hz, 0);
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
		CU_ASSERT_EQUAL(r->hz, 0);
		mon_frame(&m, 0, &f, 5 * S + 20 * MS);
		CU_ASSERT_DOUBLE_EQUAL(r->hz, 50, 1e-9);
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
	    !CU_add_test(s, "JSON and text snapshots", test_snapshots))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(mon, register_mon_tests)
