/* SPDX-License-Identifier: MIT */
/*
 * test_monui.c - the monitor screen without a terminal: its cell formats
 * (age, count, rate, bytes with their change marks) and its key map run
 * headless on a model fed on a fake clock (selection, sort, filter
 * editing, expand, pause freezing the view while frames go on).
 */
#define _GNU_SOURCE
#include <curses.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mon.h"
#include "monui.h"
#include "unit.h"

#define MS 1000000ull
#define S  1000000000ull

static void test_fmt_cells(void)
{
	char b[64];

	CU_ASSERT_EQUAL(monui_fmt_age(0, b, sizeof(b)), 5);
	CU_ASSERT_STRING_EQUAL(b, "0.00s");
	monui_fmt_age(50 * MS, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "0.05s");
	monui_fmt_age(9996 * MS, b, sizeof(b)); /* rounds up: one more column */
	CU_ASSERT_STRING_EQUAL(b, "10.0s");
	monui_fmt_age(999 * S, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "999s");
	monui_fmt_age(1000 * S, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "16m");
	monui_fmt_age(7200 * S, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "2h");
	monui_fmt_age(UINT64_MAX, b, sizeof(b)); /* never wider than the column */
	CU_ASSERT(strlen(b) <= 6);

	monui_fmt_count(9999999, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "9999999");
	monui_fmt_count(12345678, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "12.3M");
	monui_fmt_count(4600000000ull, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "4.6G");
	monui_fmt_count(UINT64_MAX, b, sizeof(b));
	CU_ASSERT(strlen(b) <= 7);

	monui_fmt_hz(0, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "-");
	monui_fmt_hz(5, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "5.00");
	monui_fmt_hz(19.94, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "19.9");
	monui_fmt_hz(123456, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(b, "123456");
	monui_fmt_hz(1e9, b, sizeof(b));
	CU_ASSERT(strlen(b) <= 7);
}

static void test_fmt_data(void)
{
	struct mon_row r;
	char b[3 * CF_MAX_LEN + 1];
	uint64_t hot;
	unsigned int i;

	memset(&r, 0, sizeof(r));
	r.len = 4;
	memcpy(r.data, "\x0c\x80\x40\x00", 4);
	r.changed_ns[1] = 10 * S;
	r.changed_ns[3] = 9 * S; /* a second ago at 10 s: faded */
	CU_ASSERT_EQUAL(monui_fmt_data(&r, 10 * S, 40, 0, b, &hot), 11);
	CU_ASSERT_STRING_EQUAL(b, "0C 80 40 00");
	CU_ASSERT_EQUAL(hot, 0x2);
	/* without colours a changed byte is followed by '*' */
	monui_fmt_data(&r, 10 * S, 40, 1, b, &hot);
	CU_ASSERT_STRING_EQUAL(b, "0C 80*40 00");
	monui_fmt_data(&r, 10 * S + 999 * MS, 40, 1, b, NULL);
	CU_ASSERT_STRING_EQUAL(b, "0C 80*40 00");
	r.changed_ns[3] = 10 * S;
	monui_fmt_data(&r, 11 * S, 40, 1, b, &hot); /* both faded */
	CU_ASSERT_STRING_EQUAL(b, "0C 80 40 00");
	CU_ASSERT_EQUAL(hot, 0);
	monui_fmt_data(&r, 10 * S + 1, 40, 1, b, &hot); /* the last byte's mark */
	CU_ASSERT_STRING_EQUAL(b, "0C 80*40 00*");
	CU_ASSERT_EQUAL(hot, 0xa);

	/* an FD payload wider than the column: the rest counted, "+N" */
	r.len = 64;
	for (i = 0; i < 64; i++) {
		r.data[i] = (uint8_t)i;
		r.changed_ns[i] = 0;
	}
	monui_fmt_data(&r, 10 * S, 12, 0, b, &hot);
	CU_ASSERT_STRING_EQUAL(b, "00 01 02 +61");
	monui_fmt_data(&r, 10 * S, 3 * 64, 0, b, &hot);
	CU_ASSERT_EQUAL(strlen(b), 3 * 64 - 1);
	CU_ASSERT_EQUAL(strncmp(b + 3 * 63, "3F", 2), 0);
	monui_fmt_data(&r, 10 * S, 2, 0, b, &hot); /* no room at all */
	CU_ASSERT(strlen(b) <= 2);
	r.flags = CF_RTR;
	monui_fmt_data(&r, 10 * S, 40, 0, b, &hot);
	CU_ASSERT_STRING_EQUAL(b, "remote");
}

static const char dbc_text[] = "VERSION \"\"\n"
			       "BU_: N\n"
			       "BO_ 256 Mux: 8 N\n"
			       " SG_ Sel M : 0|8@1+ (1,0) [0|255] \"\" N\n"
			       " SG_ A m0 : 8|8@1+ (1,0) [0|255] \"\" N\n"
			       " SG_ B m1 : 8|8@1+ (0.5,0) [0|255] \"V\" N\n"
			       "BO_ 512 Alpha: 2 N\n"
			       " SG_ Speed : 0|16@1+ (1,0) [0|65535] \"km/h\" N\n";

struct fix {
	struct dbc_db *db;
	struct mon m;
	struct monui u;
};

static void feed(struct fix *x, uint32_t id, uint8_t b0, uint64_t now)
{
	uint8_t d[8] = {b0, 1, 2, 3, 4, 5, 6, 7};
	struct cf_frame f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	f.data = d;
	f.len = 8;
	CU_ASSERT_EQUAL(mon_frame(&x->m, 0, &f, now), 0);
}

static int fix_init(struct fix *x)
{
	struct mon_opts o = {0};
	char err[DBC_ERRMSG_MAX];

	memset(x, 0, sizeof(*x));
	if (dbc_load_mem("t.dbc", dbc_text, strlen(dbc_text), NULL, &x->db, err, sizeof(err)))
		return -1;
	o.db = x->db;
	if (mon_init(&x->m, &o) || mon_add_if(&x->m, "vcan0", 0, 0) != 0)
		return -1;
	/* first seen: 0x200 Alpha, 0x100 Mux, 0x7FF unknown */
	feed(x, 0x200, 1, 1 * S);
	feed(x, 0x100, 0, 1 * S + 1 * MS);
	feed(x, 0x7ff, 9, 1 * S + 2 * MS);
	return monui_init_headless(&x->u, &x->m, MONUI_NO_COLOR);
}

static void fix_fini(struct fix *x)
{
	monui_fini(&x->u);
	monui_fini(&x->u); /* twice is safe */
	mon_fini(&x->m);
	dbc_free(x->db);
}

/* the row under the cursor, as drawn (the frozen copy while paused) */
static const struct mon_row *cur(struct fix *x)
{
	return &monui_view(&x->u)->rows[x->u.idx[x->u.sel]];
}

static void keys(struct fix *x, const char *k, uint64_t now)
{
	for (; *k; k++)
		monui_key(&x->u, (unsigned char)*k, now);
}

static void test_keys(void)
{
	struct fix x;
	uint64_t now = 2 * S;

	CU_ASSERT_EQUAL_FATAL(fix_init(&x), 0);
	monui_draw(&x.u, now);
	/* by id: 100, 200, 7FF; the cursor on the first */
	CU_ASSERT_EQUAL(cur(&x)->id, 0x100);
	monui_key(&x.u, KEY_DOWN, now);
	monui_draw(&x.u, now);
	CU_ASSERT_EQUAL(cur(&x)->id, 0x200);
	/* s: by name (Alpha, Mux, the unnamed row last or first: the model's
	 * order); the cursor follows its row, not its place */
	keys(&x, "s", now);
	CU_ASSERT_EQUAL(x.u.sort, MON_SORT_NAME);
	monui_draw(&x.u, now);
	CU_ASSERT_EQUAL(cur(&x)->id, 0x200);
	keys(&x, "sss", now); /* rate, change, back to id */
	CU_ASSERT_EQUAL(x.u.sort, MON_SORT_ID);
	keys(&x, "S", now);
	CU_ASSERT_EQUAL(x.u.sort, MON_SORT_CHANGE);
	keys(&x, "s", now);
	monui_key(&x.u, KEY_END, now);
	monui_draw(&x.u, now);
	CU_ASSERT_EQUAL(cur(&x)->id, 0x7ff);
	monui_key(&x.u, KEY_HOME, now);
	monui_key(&x.u, KEY_UP, now); /* stays on the first */
	monui_draw(&x.u, now);
	CU_ASSERT_EQUAL(cur(&x)->id, 0x100);

	/* Enter expands the row under the cursor, - collapses, e / E all;
	 * a row without signals has nothing to expand */
	monui_key(&x.u, '\r', now);
	CU_ASSERT_EQUAL(cur(&x)->expanded, 1);
	keys(&x, "-", now);
	CU_ASSERT_EQUAL(cur(&x)->expanded, 0);
	keys(&x, " ", now);
	CU_ASSERT_EQUAL(cur(&x)->expanded, 1);
	keys(&x, "E", now);
	CU_ASSERT_EQUAL(x.m.rows[0].expanded + x.m.rows[1].expanded, 0);
	keys(&x, "e", now);
	CU_ASSERT_EQUAL(x.m.rows[0].expanded + x.m.rows[1].expanded, 2);
	CU_ASSERT_EQUAL(x.m.rows[2].expanded, 0);

	/* the filter: typed, edited, applied with Enter, or Esc keeps the old */
	keys(&x, "/7fx", now);
	CU_ASSERT_EQUAL(x.u.editing, 1);
	CU_ASSERT_STRING_EQUAL(x.u.filter, "");
	monui_key(&x.u, KEY_BACKSPACE, now);
	CU_ASSERT_EQUAL(monui_key(&x.u, 'q', now), MONUI_NONE); /* typed, not quit */
	monui_key(&x.u, KEY_BACKSPACE, now);
	keys(&x, "\r", now);
	CU_ASSERT_EQUAL(x.u.editing, 0);
	CU_ASSERT_STRING_EQUAL(x.u.filter, "7f");
	monui_draw(&x.u, now);
	CU_ASSERT_EQUAL(cur(&x)->id, 0x7ff);
	keys(&x, "/al\x1b", now);
	CU_ASSERT_STRING_EQUAL(x.u.filter, "7f");
	keys(&x, "/\x15mu\r", now); /* Ctrl-U clears the line */
	CU_ASSERT_STRING_EQUAL(x.u.filter, "mu");
	monui_draw(&x.u, now);
	CU_ASSERT_EQUAL(cur(&x)->id, 0x100);
	keys(&x, "\x1b", now); /* Esc outside the editor: no filter */
	CU_ASSERT_STRING_EQUAL(x.u.filter, "");

	/* ? shows help, any key leaves it (and does nothing else) */
	keys(&x, "?", now);
	CU_ASSERT_EQUAL(x.u.help, 1);
	CU_ASSERT_EQUAL(monui_key(&x.u, 'q', now), MONUI_NONE);
	CU_ASSERT_EQUAL(x.u.help, 0);
	CU_ASSERT_EQUAL(monui_key(&x.u, 'c', now), MONUI_CLEAR);
	CU_ASSERT_EQUAL(monui_key(&x.u, 'q', now), MONUI_QUIT);
	fix_fini(&x);
}

static void test_pause(void)
{
	struct fix x;
	uint64_t now = 2 * S;

	CU_ASSERT_EQUAL_FATAL(fix_init(&x), 0);
	monui_draw(&x.u, now);
	keys(&x, "p", now);
	CU_ASSERT_EQUAL(x.u.paused, 1);
	/* capture goes on: a new id and more frames reach the model... */
	feed(&x, 0x050, 1, now + 10 * MS);
	feed(&x, 0x7ff, 7, now + 20 * MS);
	CU_ASSERT_EQUAL(x.m.nrows, 4);
	monui_draw(&x.u, now + 50 * MS);
	/* ...but the view is the frozen one: three rows, the old counts */
	monui_key(&x.u, KEY_HOME, now);
	monui_draw(&x.u, now + 60 * MS);
	CU_ASSERT_EQUAL(cur(&x)->id, 0x100);
	monui_key(&x.u, KEY_END, now);
	monui_draw(&x.u, now + 70 * MS);
	CU_ASSERT_EQUAL(cur(&x)->id, 0x7ff);
	CU_ASSERT_EQUAL(cur(&x)->count, 1);
	CU_ASSERT_EQUAL(cur(&x)->data[0], 9);
	/* expanding while paused is kept by the live row */
	keys(&x, "g+", now);
	CU_ASSERT_EQUAL(x.m.rows[1].expanded, 1);
	/* c: the caller clears the model; the frozen view shows that too */
	CU_ASSERT_EQUAL(monui_key(&x.u, 'c', now), MONUI_CLEAR);
	mon_clear(&x.m);
	monui_draw(&x.u, now + 80 * MS);
	CU_ASSERT_EQUAL(x.u.paused, 1);
	CU_ASSERT_EQUAL(cur(&x)->count, 0);
	CU_ASSERT_EQUAL(cur(&x)->expanded, 1);
	/* p again: live, with the row that came meanwhile */
	keys(&x, "p", now);
	CU_ASSERT_EQUAL(x.u.paused, 0);
	feed(&x, 0x7ff, 8, now + 90 * MS);
	monui_draw(&x.u, now + 100 * MS);
	monui_key(&x.u, KEY_HOME, now);
	monui_draw(&x.u, now + 100 * MS);
	CU_ASSERT_EQUAL(cur(&x)->id, 0x050);
	monui_key(&x.u, KEY_END, now);
	monui_draw(&x.u, now + 100 * MS);
	CU_ASSERT_EQUAL(cur(&x)->id, 0x7ff);
	CU_ASSERT_EQUAL(cur(&x)->data[0], 8);
	fix_fini(&x);
}

/* by recent change the order is redone every MONUI_RESORT_NS, not at
 * each redraw; a key sorts at once */
static void test_resort(void)
{
	struct fix x;
	uint64_t t = 2 * S;

	CU_ASSERT_EQUAL_FATAL(fix_init(&x), 0);
	feed(&x, 0x100, 5, t); /* byte 0 changed */
	keys(&x, "sss", t);
	CU_ASSERT_EQUAL(x.u.sort, MON_SORT_CHANGE);
	monui_draw(&x.u, t);
	CU_ASSERT_EQUAL(x.m.rows[x.u.idx[0]].id, 0x100);
	feed(&x, 0x7ff, 6, t + 100 * MS);
	monui_draw(&x.u, t + 200 * MS);
	CU_ASSERT_EQUAL(x.m.rows[x.u.idx[0]].id, 0x100); /* held */
	monui_draw(&x.u, t + MONUI_RESORT_NS);
	CU_ASSERT_EQUAL(x.m.rows[x.u.idx[0]].id, 0x7ff);
	feed(&x, 0x200, 7, t + 510 * MS);
	monui_draw(&x.u, t + 520 * MS);
	CU_ASSERT_EQUAL(x.m.rows[x.u.idx[0]].id, 0x7ff);
	keys(&x, "sS", t + 530 * MS); /* and back: sorted now */
	monui_draw(&x.u, t + 530 * MS);
	CU_ASSERT_EQUAL(x.m.rows[x.u.idx[0]].id, 0x200);
	fix_fini(&x);
}

/* a page of rows moves the cursor a body's height; the view scrolls with
 * it and never leaves the cursor off screen, expanded rows included */
static void test_scroll(void)
{
	struct fix x;
	uint64_t now = 2 * S;
	size_t body = MONUI_HEADLESS_H - 3, i;
	uint32_t id;

	CU_ASSERT_EQUAL_FATAL(fix_init(&x), 0);
	for (id = 0x300; id < 0x300 + 200; id++)
		feed(&x, id, 0, now);
	monui_draw(&x.u, now);
	CU_ASSERT_EQUAL(x.u.top, 0);
	monui_key(&x.u, KEY_NPAGE, now);
	monui_draw(&x.u, now);
	CU_ASSERT_EQUAL(x.u.sel, body - 1);
	CU_ASSERT_EQUAL(x.u.top, 0);
	monui_key(&x.u, KEY_DOWN, now);
	monui_draw(&x.u, now);
	CU_ASSERT_EQUAL(x.u.top, 1);
	monui_key(&x.u, KEY_END, now);
	monui_draw(&x.u, now);
	CU_ASSERT_EQUAL(x.u.sel, 202);
	CU_ASSERT_EQUAL(x.u.top, 203 - body);
	/* all expanded at the top: Mux shows Sel and A (B never seen), Alpha
	 * Speed: the cursor on 0x300 needs the body to start later */
	keys(&x, "e", now);
	monui_key(&x.u, KEY_HOME, now);
	monui_draw(&x.u, now);
	CU_ASSERT_EQUAL(x.u.top, 0);
	for (i = 0; i < body - 4; i++)
		monui_key(&x.u, KEY_DOWN, now);
	monui_draw(&x.u, now);
	/* lines: Mux 3, Alpha 2, then 22 of one: the cursor's is the last */
	CU_ASSERT_EQUAL(cur(&x)->id, 0x300 + body - 6);
	CU_ASSERT_EQUAL(x.u.top, 0);
	monui_key(&x.u, KEY_DOWN, now);
	monui_draw(&x.u, now);
	CU_ASSERT_EQUAL(x.u.top, 1); /* Mux's three lines went */
	/* collapsed, everything fits from row 1 on: nothing moves back */
	keys(&x, "E", now);
	monui_draw(&x.u, now);
	CU_ASSERT_EQUAL(x.u.top, 1);
	fix_fini(&x);
}

static int register_monui_tests(void)
{
	CU_pSuite s = CU_add_suite("monui (monitor screen, headless)", NULL, NULL);

	if (!s || !CU_add_test(s, "age, count and rate cells", test_fmt_cells) ||
	    !CU_add_test(s, "bytes, change marks and overflow", test_fmt_data) ||
	    !CU_add_test(s, "key map: move, sort, expand, filter, help", test_keys) ||
	    !CU_add_test(s, "pause freezes the view, capture goes on", test_pause) ||
	    !CU_add_test(s, "scrolling keeps the cursor on screen", test_scroll) ||
	    !CU_add_test(s, "rate/change order redone twice a second", test_resort))
		return CU_get_error();
	return 0;
}

UNIT_SUITE(monui, register_monui_tests)
