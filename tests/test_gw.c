/* SPDX-License-Identifier: MIT */
/* test_gw.c - the gateway rule engine against expected actions: every
 * filter, every modification, checksums, the rate limiter on a fake
 * clock, firewall decisions and the loop check. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "unit.h"

#define MS 1000000ull

static struct gw_spec spec;
static struct gw_emit out[16];
static char err[256];

/* Three interfaces: 0 pt (FD), 1 body (classic), 2 obd (classic). */
static void spec_init(void)
{
	static const char *const names[3] = {"pt", "body", "obd"};
	int i;

	memset(&spec, 0, sizeof(spec));
	for (i = 0; i < 3; i++) {
		strcpy(spec.ifs[i].name, names[i]);
		strcpy(spec.ifs[i].domain, names[i]);
	}
	spec.ifs[0].fd = 1;
	spec.nifs = 3;
	spec.routes = calloc(64, sizeof(*spec.routes));
}

static struct gw_route_spec *route(const char *name, unsigned int src, uint64_t dst)
{
	struct gw_route_spec *r = &spec.routes[spec.nroutes++];

	strcpy(r->name, name);
	r->src = (uint8_t)src;
	r->dst = dst;
	r->len_max = 64;
	r->fd2classic = GW_FD2C_DROP;
	return r;
}

static void sel(struct gw_route_spec *r, uint8_t kind, uint32_t lo, uint32_t hi, int eff,
		int invert)
{
	r->sel = realloc(r->sel, (r->nsel + 1) * sizeof(*r->sel));
	r->sel[r->nsel++] = (struct gw_idsel){
		.kind = kind, .eff = (uint8_t)eff, .invert = (uint8_t)invert, .lo = lo, .hi = hi};
}

static struct gw_action *act(struct gw_route_spec *r, uint8_t kind)
{
	r->act = realloc(r->act, (r->nact + 1) * sizeof(*r->act));
	memset(&r->act[r->nact], 0, sizeof(r->act[0]));
	r->act[r->nact].kind = kind;
	return &r->act[r->nact++];
}

static struct cf_frame fr(uint32_t id, uint8_t flags, const char *hex, uint8_t *buf)
{
	struct cf_frame f;
	size_t n = strlen(hex) / 2, i;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < n; i++) {
		unsigned int v;

		sscanf(hex + 2 * i, "%2x", &v);
		buf[i] = (uint8_t)v;
	}
	f.id = id;
	f.flags = flags;
	f.len = (uint8_t)n;
	f.data = buf;
	return f;
}

/* As the daemon does: route, then count what "went out" as forwarded.
 * The emits may be views of the input's bytes: b outlives the call. */
static unsigned int in(struct gw_engine *e, unsigned int src, uint32_t id, uint8_t flags,
		       const char *hex, uint64_t now)
{
	static uint8_t b[64];
	struct cf_frame f = fr(id, flags, hex, b);
	unsigned int n = gw_engine_input(e, src, &f, now, out, 16), k;

	for (k = 0; k < n; k++)
		gw_engine_sent(e, out[k].route, 1);
	return n;
}

static unsigned int tm(struct gw_engine *e, uint64_t now)
{
	unsigned int n = gw_engine_timers(e, now, out, 16), k;

	for (k = 0; k < n; k++)
		gw_engine_sent(e, out[k].route, 1);
	return n;
}

static int data_is(const struct gw_emit *o, const char *hex)
{
	uint8_t b[64];
	struct cf_frame f = fr(0, 0, hex, b);

	return o->f.len == f.len && !memcmp(o->f.data, b, f.len);
}

static void test_minimal(void)
{
	struct gw_route_spec *r;
	struct gw_engine *e;
	struct gw_counters *c;

	spec_init();
	r = route("pt-to-body", 0, 1u << 1);
	sel(r, GW_SEL_EXACT, 0x123, 0, 0, 0);
	sel(r, GW_SEL_RANGE, 0x200, 0x2FF, 0, 0);
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(in(e, 0, 0x123, 0, "DEADBEEF", 0), 1);
	CU_ASSERT(out[0].dst == 1 && out[0].f.id == 0x123 && data_is(&out[0], "DEADBEEF"));
	CU_ASSERT_EQUAL(in(e, 0, 0x200, 0, "01", 0), 1);
	CU_ASSERT_EQUAL(in(e, 0, 0x2FF, 0, "01", 0), 1);
	CU_ASSERT_EQUAL(in(e, 0, 0x300, 0, "01", 0), 0);
	CU_ASSERT_EQUAL(in(e, 0, 0x124, 0, "01", 0), 0);
	CU_ASSERT_EQUAL(in(e, 0, 0x1FF, 0, "01", 0), 0);
	/* 29-bit 0x123 is another id; other interfaces route nothing */
	CU_ASSERT_EQUAL(in(e, 0, 0x123, CF_EFF, "01", 0), 0);
	CU_ASSERT_EQUAL(in(e, 1, 0x123, 0, "01", 0), 0);
	c = gw_engine_counters(e, 0);
	CU_ASSERT(c->matched == 3 && c->forwarded == 3);
	gw_engine_free(e);
}

static void test_filters(void)
{
	struct gw_route_spec *r;
	struct gw_engine *e;

	spec_init();
	spec.first_match = 1;
	/* 0: mask 0x100/0x700, classic only, length 2..4, byte 0 low nibble 5 */
	r = route("masked", 0, 1u << 1);
	sel(r, GW_SEL_MASK, 0x100, 0x700, 0, 0);
	r->type = GW_CLASSIC_ONLY;
	r->len_min = 2;
	r->len_max = 4;
	r->data = calloc(1, sizeof(*r->data));
	r->data[0] = (struct gw_datamatch){.byte = 0, .value = 0x05, .mask = 0x0F};
	r->ndata = 1;
	/* 1: inverted mask, 29-bit only */
	r = route("inverted", 0, 1u << 2);
	sel(r, GW_SEL_MASK, 0x18DA0000, 0x1FFF0000, 1, 1);
	r->frame = GW_EFF_ONLY;
	/* 2: FD only, any id */
	r = route("fd", 0, 1u << 2);
	r->type = GW_FD_ONLY;
	r->fd2classic = GW_FD2C_DROP;
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(in(e, 0, 0x1AB, 0, "F5AA", 0), 1);
	CU_ASSERT_EQUAL(out[0].dst, 1);
	CU_ASSERT_EQUAL(in(e, 0, 0x1AB, 0, "F6AA", 0), 0); /* payload */
	CU_ASSERT_EQUAL(in(e, 0, 0x1AB, 0, "05", 0), 0);   /* length */
	CU_ASSERT_EQUAL(in(e, 0, 0x1AB, 0, "0500000000", 0), 0);
	CU_ASSERT_EQUAL(in(e, 0, 0x2AB, 0, "05AA", 0), 0); /* mask */
	CU_ASSERT_EQUAL(gw_engine_counters(e, 0)->dropped[GW_DROP_FILTERED], 3);
	/* FD frame of id 0x1AB: the classic route refuses, the FD one takes it */
	CU_ASSERT_EQUAL(in(e, 0, 0x1AB, CF_FD, "05AA", 0), 1);
	CU_ASSERT(out[0].dst == 2 && !(out[0].f.flags & CF_FD));
	/* inverted: 29-bit ids outside 18DAxxxx */
	CU_ASSERT_EQUAL(in(e, 0, 0x18DB33F1, CF_EFF, "01", 0), 1);
	CU_ASSERT_EQUAL(in(e, 0, 0x18DA10F1, CF_EFF, "01", 0), 0);
	CU_ASSERT_EQUAL(in(e, 0, 0x7DF, 0, "01", 0), 0); /* 11-bit: frame filter */
	/* FD over 8 bytes to a classic interface: dropped, counted */
	CU_ASSERT_EQUAL(in(e, 0, 0x555, CF_FD, "000102030405060708090A0B", 0), 0);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 2)->dropped[GW_DROP_TOO_LONG], 1);
	gw_engine_free(e);
}

static void test_match_modes(void)
{
	struct gw_route_spec *r;
	struct gw_engine *e;

	spec_init();
	r = route("a", 0, 1u << 1);
	sel(r, GW_SEL_EXACT, 0x100, 0, 0, 0);
	r = route("b", 0, 1u << 2);
	sel(r, GW_SEL_RANGE, 0x0FF, 0x101, 0, 0);
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	/* all-match: both, in route order */
	CU_ASSERT_EQUAL(in(e, 0, 0x100, 0, "01", 0), 2);
	CU_ASSERT(out[0].dst == 1 && out[1].dst == 2);
	gw_engine_free(e);

	spec_init();
	spec.first_match = 1;
	r = route("b", 0, 1u << 2);
	sel(r, GW_SEL_RANGE, 0x0FF, 0x101, 0, 0);
	r = route("a", 0, 1u << 1);
	sel(r, GW_SEL_EXACT, 0x100, 0, 0, 0);
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(in(e, 0, 0x100, 0, "01", 0), 1);
	CU_ASSERT_EQUAL(out[0].dst, 2);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 1)->matched, 0);
	gw_engine_free(e);
}

static void test_modifications(void)
{
	struct gw_route_spec *r;
	struct gw_action *a;
	struct gw_engine *e;

	spec_init();
	spec.first_match = 1;
	r = route("set", 1, 1u << 2);
	sel(r, GW_SEL_EXACT, 0x100, 0, 0, 0);
	act(r, GW_ACT_ID_SET)->u.id = 0x18FF0001;
	r = route("add", 1, 1u << 2);
	sel(r, GW_SEL_EXACT, 0x7FF, 0, 0, 0);
	act(r, GW_ACT_ID_ADD)->u.id = 2;
	r = route("mods", 1, 1u << 2);
	sel(r, GW_SEL_EXACT, 0x300, 0, 0, 0);
	a = act(r, GW_ACT_MOD);
	a->u.mod.op = GW_MOD_AND;
	a->u.mod.fields = GW_MOD_DATA | GW_MOD_ID;
	a->u.mod.id = 0x7F0;
	memcpy(a->u.mod.data, "\xF0\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8);
	a = act(r, GW_ACT_MOD);
	a->u.mod.op = GW_MOD_OR;
	a->u.mod.fields = GW_MOD_DATA;
	memcpy(a->u.mod.data, "\x00\x80\x00\x00\x00\x00\x00\x00", 8);
	a = act(r, GW_ACT_MOD);
	a->u.mod.op = GW_MOD_XOR;
	a->u.mod.fields = GW_MOD_DATA;
	memcpy(a->u.mod.data, "\x00\x00\xFF\x00\x00\x00\x00\x00", 8);
	a = act(r, GW_ACT_MOD);
	a->u.mod.op = GW_MOD_SET;
	a->u.mod.fields = GW_MOD_LEN;
	a->u.mod.len = 4;
	r = route("drop", 1, 1u << 2);
	sel(r, GW_SEL_EXACT, 0x400, 0, 0, 0);
	act(r, GW_ACT_DROP);
	r = route("badlen", 1, 1u << 2);
	sel(r, GW_SEL_EXACT, 0x401, 0, 0, 0);
	a = act(r, GW_ACT_MOD);
	a->u.mod.op = GW_MOD_OR;
	a->u.mod.fields = GW_MOD_LEN;
	a->u.mod.len = 0x0F;
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(in(e, 1, 0x100, 0, "01", 0), 1);
	CU_ASSERT(out[0].f.id == 0x18FF0001 && (out[0].f.flags & CF_EFF));
	CU_ASSERT_EQUAL(in(e, 1, 0x7FF, 0, "01", 0), 1);
	CU_ASSERT_EQUAL(out[0].f.id, 0x001); /* 11-bit wrap */
	CU_ASSERT_EQUAL(in(e, 1, 0x30F, 0, "1122334455667788", 0), 0);
	CU_ASSERT_EQUAL(in(e, 1, 0x300, 0, "1122334455667788", 0), 1);
	CU_ASSERT_EQUAL(out[0].f.id, 0x300);
	CU_ASSERT(data_is(&out[0], "10A2CC44"));
	CU_ASSERT_EQUAL(in(e, 1, 0x400, 0, "01", 0), 0);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 3)->dropped[GW_DROP_ACTION], 1);
	/* length 8 | 0x0F = 15: not a classic length, dropped */
	CU_ASSERT_EQUAL(in(e, 1, 0x401, 0, "0102030405060708", 0), 0);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 4)->dropped[GW_DROP_ACTION], 1);
	gw_engine_free(e);
}

static void test_checksums(void)
{
	struct gw_route_spec *r;
	struct gw_action *a;
	struct gw_engine *e;
	struct gw_csum p2;
	uint8_t want;
	int i;

	spec_init();
	r = route("xor", 1, 1u << 2);
	sel(r, GW_SEL_EXACT, 0x100, 0, 0, 0);
	a = act(r, GW_ACT_MOD);
	a->u.mod.op = GW_MOD_SET;
	a->u.mod.fields = GW_MOD_DATA;
	a = act(r, GW_ACT_CSUM);
	a->u.csum.kind = GW_CSUM_XOR;
	a->u.csum.u.xsum =
		(struct gw_xor){.from_idx = 0, .to_idx = 6, .result_idx = 7, .init_xor_val = 0};
	r->act[0].u.mod.op = GW_MOD_OR;
	r = route("e2e", 1, 1u << 2);
	sel(r, GW_SEL_EXACT, 0x200, 0, 0, 0);
	a = act(r, GW_ACT_CSUM);
	a->u.csum.kind = GW_CSUM_E2E_P02;
	a->u.csum.u.p02.counter_mode = GW_E2E_REGENERATE;
	for (i = 0; i < 16; i++)
		a->u.csum.u.p02.data_id_list[i] = (uint8_t)(0x10 + i);
	a->u.csum.u.p02.data_len = 8;
	p2 = a->u.csum;
	e = gw_engine_new(&spec, err, sizeof(err));
	if (!e)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(in(e, 1, 0x100, 0, "0102030405060700", 0), 1);
	want = 1 ^ 2 ^ 3 ^ 4 ^ 5 ^ 6 ^ 7;
	CU_ASSERT_EQUAL(out[0].f.data[7], want);
	/* E2E P2: the counter advances per frame, wraps, the CRC checks */
	for (i = 0; i < 17; i++) {
		CU_ASSERT_EQUAL(in(e, 1, 0x200, 0, "0000AABBCCDDEEFF", 0), 1);
		CU_ASSERT_EQUAL(out[0].f.data[1] & 0x0F, (unsigned int)(i + 1) % 16);
		CU_ASSERT_EQUAL(gw_csum_verify(&p2, 0x200, out[0].f.data, 8), 0);
	}
	/* a frame too short for the rule is not forwarded half-protected */
	CU_ASSERT_EQUAL(in(e, 1, 0x200, 0, "0000AA", 0), 0);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 1)->dropped[GW_DROP_ACTION], 1);
	gw_engine_free(e);
}

static void test_rate(void)
{
	struct gw_route_spec *r;
	struct gw_action *a;
	struct gw_engine *e;
	uint64_t t;
	unsigned int n, sent = 0;

	spec_init();
	spec.first_match = 1;
	r = route("first", 1, 1u << 2);
	sel(r, GW_SEL_EXACT, 0x100, 0, 0, 0);
	sel(r, GW_SEL_EXACT, 0x101, 0, 0, 0);
	a = act(r, GW_ACT_RATE);
	a->u.rate = (struct gw_rate){.interval_ms = 100, .keep = GW_KEEP_FIRST};
	r = route("latest", 1, 1u << 2);
	sel(r, GW_SEL_EXACT, 0x200, 0, 0, 0);
	a = act(r, GW_ACT_RATE);
	a->u.rate = (struct gw_rate){.interval_ms = 100, .keep = GW_KEEP_LATEST};
	act(r, GW_ACT_ID_ADD)->u.id = 1; /* actions after the limit still run */
	r = route("bucket", 1, 1u << 2);
	sel(r, GW_SEL_RANGE, 0x300, 0x3FF, 0, 0);
	a = act(r, GW_ACT_RATE);
	a->u.rate = (struct gw_rate){.rate_per_s = 10, .burst = 3, .keep = GW_KEEP_FIRST};
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	/* keep first: one per 100 ms per id, ids independent */
	CU_ASSERT_EQUAL(in(e, 1, 0x100, 0, "01", 10 * MS), 1);
	CU_ASSERT_EQUAL(in(e, 1, 0x100, 0, "02", 60 * MS), 0);
	CU_ASSERT_EQUAL(in(e, 1, 0x101, 0, "03", 60 * MS), 1);
	CU_ASSERT_EQUAL(in(e, 1, 0x100, 0, "04", 110 * MS), 1);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 0)->dropped[GW_DROP_RATE], 1);
	/* keep latest: the newest of the burst goes when the interval ends */
	CU_ASSERT_EQUAL(in(e, 1, 0x200, 0, "01", 1000 * MS), 1);
	CU_ASSERT_EQUAL(out[0].f.id, 0x201);
	CU_ASSERT_EQUAL(in(e, 1, 0x200, 0, "02", 1020 * MS), 0);
	CU_ASSERT_EQUAL(in(e, 1, 0x200, 0, "03", 1040 * MS), 0);
	CU_ASSERT_EQUAL(gw_engine_deadline(e), 1100 * MS);
	CU_ASSERT_EQUAL(tm(e, 1099 * MS), 0);
	CU_ASSERT_EQUAL(tm(e, 1100 * MS), 1);
	CU_ASSERT(data_is(&out[0], "03") && out[0].f.id == 0x201);
	CU_ASSERT_EQUAL(gw_engine_deadline(e), UINT64_MAX);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 1)->dropped[GW_DROP_RATE], 1);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 1)->forwarded, 2);
	/* the held frame started a new interval */
	CU_ASSERT_EQUAL(in(e, 1, 0x200, 0, "04", 1150 * MS), 0);
	/* token bucket: burst of 3, then 10 per second */
	for (t = 2000 * MS; t < 3000 * MS; t += MS) {
		n = in(e, 1, 0x3AB, 0, "01", t);
		sent += n;
	}
	CU_ASSERT(sent >= 12 && sent <= 13);
	gw_engine_free(e);
}

static void test_firewall(void)
{
	struct gw_route_spec *r;
	struct gw_firewall *fw;
	struct gw_engine *e;

	spec_init();
	r = route("obd-to-pt", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 0, 0);
	sel(r, GW_SEL_EXACT, 0x7DF, 0, 0, 0);
	fw = calloc(1, sizeof(*fw));
	fw->allow[0x22 >> 3] |= 1 << (0x22 & 7);
	fw->allow[0x19 >> 3] |= 1 << (0x19 & 7);
	fw->allow[0x3E >> 3] |= 1 << (0x3E & 7);
	fw->allow[0x10 >> 3] |= 1 << (0x10 & 7);
	fw->workshop[0x2E >> 3] |= 1 << (0x2E & 7);
	/* 0x10: only default (01) and extended (03) sessions */
	fw->sub[0].sid = 0x10;
	fw->sub[0].subs[0] = (1 << 1) | (1 << 3);
	fw->nsub = 1;
	r->fw = fw;
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "0322F190CCCCCCCC", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7DF, 0, "023E80CCCCCCCCCC", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "021003CCCCCCCCCC", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "021083CCCCCCCCCC", 0), 1); /* suppress bit */
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "021002CCCCCCCCCC", 0), 0); /* programming */
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "052E01001234CCCC", 0), 0); /* write */
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "0431010203CCCCCC", 0), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "022701CCCCCCCCCC", 0), 0);
	/* a blocked multi-frame write: its CFs go too; FC passes */
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "10142E0100010203", 0), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "2104050607080910", 0), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "2211121314151617", 0), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "300000CCCCCCCCCC", 0), 1);
	/* an allowed request on that id ends the blocking */
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "100A22F190F18CF1", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "218BF18AF187CCCC", 0), 1);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 0)->dropped[GW_DROP_FIREWALL], 7);
	/* garbage is not a request */
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "", 0), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "0F22", 0), 0);
	/* workshop mode opens 0x2E */
	gw_engine_workshop(e, 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "052E01001234CCCC", 0), 1);
	gw_engine_workshop(e, 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "052E01001234CCCC", 0), 0);
	gw_engine_free(e);
}

#define BIT(a, v) ((a)[(v) >> 3] |= (uint8_t)(1u << ((v)&7)))

/* A firewall allowing 0x22, 0x3E, 0x10 (01, 03), workshop 0x2E, 0x10 (02). */
static struct gw_firewall *fw_new(void)
{
	struct gw_firewall *fw = calloc(1, sizeof(*fw));

	BIT(fw->allow, 0x22);
	BIT(fw->allow, 0x3E);
	BIT(fw->allow, 0x10);
	BIT(fw->workshop, 0x2E);
	BIT(fw->workshop, 0x10);
	fw->sub[0].sid = 0x10;
	fw->sub[0].subs[0] = (1 << 1) | (1 << 3);
	fw->sub[1].sid = 0x10;
	fw->sub[1].workshop = 1;
	fw->sub[1].subs[0] = 1 << 2;
	fw->nsub = 2;
	return fw;
}

/* Consecutive frames pass only inside a request the firewall let start
 * (issue 18, item 4): in sequence, while bytes remain, within N_Cr. */
static void test_fw_cf_state(void)
{
	struct gw_route_spec *r;
	struct gw_engine *e;
	unsigned int i;

	spec_init();
	r = route("diag", 2, 1u << 0);
	sel(r, GW_SEL_RANGE, 0x700, 0x7FF, 0, 0);
	r->fw = fw_new();
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	/* a CF with nothing open; an SF that the ECU would read as 0x2E
	 * behind an address byte 0x21 */
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "21032E0100CCCCCC", 0), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "2000000000000000", 0), 0);
	/* an allowed 20-byte read: FF 6 bytes, CF1 7, CF2 7, then nothing */
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "101422F190F18CF1", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "2101020304050607", MS), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "2201020304050607", 2 * MS), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "2301020304050607", 3 * MS), 0);
	/* out of sequence ends it */
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "101422F190F18CF1", 10 * MS), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "2201020304050607", 11 * MS), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "2101020304050607", 12 * MS), 0);
	/* N_Cr: 1000 ms between frames at most */
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "101422F190F18CF1", 100 * MS), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "2101020304050607", 1100 * MS), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "2201020304050607", 2101 * MS), 0);
	/* a refused FF ends the allowed one before it; an allowed SF does not
	 * open what a refused FF left */
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "101422F190F18CF1", 3000 * MS), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "10142E0100010203", 3000 * MS), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "2104050607080910", 3000 * MS), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "0322F190CCCCCCCC", 3000 * MS), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "2104050607080910", 3000 * MS), 0);
	/* flow control: only valid FC frames */
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "300000CCCCCCCCCC", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "320000", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "3300002E01000102", 0), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "3000", 0), 0);
	/* 16 refused FFs do not make room for a refused request's CFs, as the
	 * old list of blocked ids did */
	CU_ASSERT_EQUAL(in(e, 2, 0x7E1, 0, "10142E0100010203", 0), 0);
	for (i = 0; i < 16; i++)
		in(e, 2, 0x710 + i, 0, "10142E0100010203", 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E1, 0, "2104050607080910", 0), 0);
	/* 16 requests open at once: the 17th is refused until one ends */
	for (i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(in(e, 2, 0x720 + i, 0, "101422F190F18CF1", 5000 * MS), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x730, 0, "101422F190F18CF1", 5000 * MS), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x730, 0, "101422F190F18CF1", 6001 * MS), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x730, 0, "2101020304050607", 6001 * MS), 1);
	/* workshop off ends what workshop mode let start */
	gw_engine_workshop(e, 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E2, 0, "10142E0100010203", 7000 * MS), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E2, 0, "2104050607080910", 7000 * MS), 1);
	gw_engine_workshop(e, 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E2, 0, "2204050607080910", 7000 * MS), 0);
	gw_engine_free(e);
}

/* address_byte: the byte is checked, from a list (issue 18, item 4). */
static void test_fw_address(void)
{
	struct gw_route_spec *r;
	struct gw_engine *e;

	spec_init();
	r = route("diag", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x6F1, 0, 0, 0);
	r->fw = fw_new();
	r->fw->nae = 2;
	r->fw->ae[0] = 0xF1;
	r->fw->ae[1] = 0x55;
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "F10322F190CCCCCC", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "550322F190CCCCCC", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "F1052E01001234CC", 0), 0);
	/* not a listed target */
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "120322F190CCCCCC", 0), 0);
	/* normal-addressed requests read one byte late looked like CFs and
	 * FCs: 2E, 27, 31, 3D, 2F, 28 */
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "032E0100CCCCCCCC", 0), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "022701CCCCCCCCCC", 0), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "0431010203CCCCCC", 0), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "063D010203040506", 0), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "032F0100CCCCCCCC", 0), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "032803CCCCCCCCCC", 0), 0);
	/* an FF per target: their CFs are kept apart */
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "F1101022F190F18C", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "5521010203040506", 0), 0);
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "F121010203040506", 0), 1);
	/* FC behind the address byte */
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "F1300000", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x6F1, 0, "F13000", 0), 0);
	gw_engine_free(e);
}

/* Sub-function lists: workshop widens allow (issue 18, item 11). */
static void test_fw_subs(void)
{
	struct gw_route_spec *r;
	struct gw_engine *e;

	spec_init();
	r = route("diag", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 0, 0);
	r->fw = fw_new();
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "021001", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "021002", 0), 0);
	gw_engine_workshop(e, 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "021002", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "021082", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "021003", 0), 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "021004", 0), 0);
	gw_engine_free(e);
}

static int loads(void)
{
	struct gw_engine *e = gw_engine_new(&spec, err, sizeof(err));

	gw_engine_free(e);
	return e != NULL;
}

/* The firewall belongs to the path from source to destination (issue 18,
 * item 5): what another route could carry past it is refused at load. */
static void test_fw_paths(void)
{
	struct gw_route_spec *r;
	struct gw_action *a;
	struct gw_engine *e;

	/* a catch-all to the same destination */
	spec_init();
	r = route("diag", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 0, 0);
	r->fw = fw_new();
	route("all", 2, 1u << 0 | 1u << 1);
	CU_ASSERT(!loads());
	CU_ASSERT_STRING_EQUAL(err, "route 'all': may send ids that the firewall of "
				    "'diag' guards from obd to pt, without a firewall of its "
				    "own; give it one, or keep its ids apart");
	/* ... to another destination, or with ids apart: fine */
	spec_init();
	r = route("diag", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 0, 0);
	r->fw = fw_new();
	route("all", 2, 1u << 1);
	r = route("other", 2, 1u << 0);
	sel(r, GW_SEL_RANGE, 0x7E8, 0x7EF, 0, 0);
	sel(r, GW_SEL_MASK, 0x100, 0x700, 0, 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 1, 0); /* 29-bit */
	CU_ASSERT(loads());
	/* a wider mask, an inverted one, a range across it */
	spec_init();
	r = route("diag", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 0, 0);
	r->fw = fw_new();
	r = route("wide", 2, 1u << 0);
	sel(r, GW_SEL_MASK, 0x700, 0x700, 0, 0);
	CU_ASSERT(!loads());
	spec_init();
	r = route("diag", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 0, 0);
	r->fw = fw_new();
	r = route("inv", 2, 1u << 0);
	sel(r, GW_SEL_MASK, 0x100, 0x700, 1, 1);
	CU_ASSERT(!loads());
	spec_init();
	r = route("diag", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 0, 0);
	r->fw = fw_new();
	r = route("range", 2, 1u << 0);
	sel(r, GW_SEL_RANGE, 0x700, 0x7E0, 0, 0);
	CU_ASSERT(!loads());
	/* an id rewrite onto the firewalled id, or any add */
	spec_init();
	r = route("diag", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 0, 0);
	r->fw = fw_new();
	r = route("rewrite", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x100, 0, 0, 0);
	act(r, GW_ACT_ID_SET)->u.id = 0x7E0;
	CU_ASSERT(!loads());
	CU_ASSERT_PTR_NOT_NULL(
		strstr(err, "route 'rewrite': may send ids that the firewall of 'diag'"));
	spec_init();
	r = route("diag", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 0, 0);
	r->fw = fw_new();
	r = route("rewrite", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x100, 0, 0, 0);
	act(r, GW_ACT_ID_SET)->u.id = 0x200;
	CU_ASSERT(loads());
	spec_init();
	r = route("diag", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 0, 0);
	r->fw = fw_new();
	r = route("add", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x100, 0, 0, 0);
	act(r, GW_ACT_ID_ADD)->u.id = 1;
	CU_ASSERT(!loads());
	/* two firewalls on one path: fine in one addressing mode only */
	spec_init();
	r = route("diag", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 0, 0);
	r->fw = fw_new();
	r = route("ext", 2, 1u << 0);
	r->fw = fw_new();
	r->fw->nae = 1;
	r->fw->ae[0] = 0xF1;
	CU_ASSERT(!loads());
	CU_ASSERT_STRING_EQUAL(err, "route 'diag': its firewall reads normal addressing, "
				    "that of route 'ext' extended, for the same ids from obd "
				    "to pt; one path, one addressing mode");
	spec_init();
	r = route("diag", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 0, 0);
	r->fw = fw_new();
	r = route("all", 2, 1u << 0);
	r->fw = fw_new();
	CU_ASSERT(loads());
	/* many ids, sorted not paired: interleaved ids stay apart, one
	 * shared id (the last, in a nested range) is found */
	{
		struct gw_route_spec *o;
		uint32_t k;
		int pass;

		for (pass = 0; pass < 2; pass++) {
			spec_init();
			r = route("diag", 2, 1u << 0);
			r->fw = fw_new();
			o = route("many", 2, 1u << 0);
			for (k = 0; k < 3000; k++) {
				sel(r, GW_SEL_EXACT, 0x100000 + 2 * (2999 - k), 0, 1, 0);
				sel(o, GW_SEL_EXACT, 0x100001 + 2 * k, 0, 1, 0);
			}
			sel(o, GW_SEL_RANGE, 0x200000, 0x300000, 1, 0);
			sel(o, GW_SEL_RANGE, 0x200010, 0x200011, 1, 0);
			/* odd and even ids: masks that never meet */
			sel(r, GW_SEL_MASK, 0x1, 0x1, 0, 0);
			sel(o, GW_SEL_MASK, 0x0, 0x1, 0, 0);
			if (pass)
				sel(r, GW_SEL_EXACT, 0x2FFFFF, 0, 1, 0);
			CU_ASSERT(loads() == !pass);
		}
	}
	/* a firewalled route changes no data or length; id rewrites are fine */
	spec_init();
	r = route("diag", 2, 1u << 0);
	r->fw = fw_new();
	a = act(r, GW_ACT_MOD);
	a->u.mod.op = GW_MOD_XOR;
	a->u.mod.fields = GW_MOD_DATA;
	a->u.mod.data[1] = 0x0C;
	CU_ASSERT(!loads());
	CU_ASSERT_STRING_EQUAL(err, "route 'diag': a firewalled route may not change "
				    "data or length (modification)");
	spec_init();
	r = route("diag", 2, 1u << 0);
	r->fw = fw_new();
	a = act(r, GW_ACT_CSUM);
	a->u.csum.kind = GW_CSUM_XOR;
	a->u.csum.u.xsum = (struct gw_xor){.from_idx = 0, .to_idx = 6, .result_idx = 7};
	CU_ASSERT(!loads());
	spec_init();
	r = route("diag", 2, 1u << 0);
	r->fw = fw_new();
	act(r, GW_ACT_ID_SET)->u.id = 0x7E1;
	CU_ASSERT(loads());
	/* an untrusted interface: every route from it has a firewall */
	spec_init();
	spec.ifs[2].untrusted = 1;
	r = route("diag", 2, 1u << 0);
	r->fw = fw_new();
	route("bare", 2, 1u << 1);
	CU_ASSERT(!loads());
	CU_ASSERT_STRING_EQUAL(err, "route 'bare': obd is untrusted: every route from "
				    "it needs a firewall");
	/* match: first, a frame failing the firewalled route's other filters
	 * meets the next route's firewall, not an open road */
	spec_init();
	spec.first_match = 1;
	r = route("diag8", 2, 1u << 0);
	sel(r, GW_SEL_EXACT, 0x7E0, 0, 0, 0);
	r->len_min = r->len_max = 8;
	r->fw = fw_new();
	r = route("rest", 2, 1u << 0);
	r->fw = fw_new();
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "052E01001234", 0), 0);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 1)->dropped[GW_DROP_FIREWALL], 1);
	CU_ASSERT_EQUAL(in(e, 2, 0x7E0, 0, "0322F190", 0), 1);
	gw_engine_free(e);
}

/* Rate limiter: hours idle, and a flood of new ids (issue 18, item 9). */
static void test_rate_limits(void)
{
	struct gw_route_spec *r;
	struct gw_action *a;
	struct gw_engine *e;
	uint64_t t0 = 1000 * MS, t;
	unsigned int i, sent = 0;

	spec_init();
	spec.first_match = 1;
	r = route("fast", 1, 1u << 2);
	sel(r, GW_SEL_EXACT, 0x100, 0, 0, 0);
	a = act(r, GW_ACT_RATE);
	a->u.rate = (struct gw_rate){.rate_per_s = 1000000, .burst = 1};
	r = route("slow", 1, 1u << 2);
	a = act(r, GW_ACT_RATE);
	a->u.rate = (struct gw_rate){.rate_per_s = 10, .burst = 1};
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(in(e, 1, 0x100, 0, "01", t0), 1);
	CU_ASSERT_EQUAL(in(e, 1, 0x100, 0, "01", t0), 0);
	/* 2^64 / 1e6 ns (5.1 h) later: elapsed * rate wraps to almost 0 */
	CU_ASSERT_EQUAL(in(e, 1, 0x100, 0, "01", t0 + 18446744073710ull), 1);
	/* 4096 new ids in 100 ms, then 0x123 at its 10/s: all 20 pass */
	for (i = 0; i < 4096; i++)
		in(e, 1, 0x200 + i % 0x600, (uint8_t)(i >= 0x600 ? CF_EFF : 0), "01",
		   t0 + i * 25000ull);
	for (i = 0, t = t0 + 100 * MS; i < 20; i++, t += 100 * MS)
		sent += in(e, 1, 0x123, 0, "01", t);
	CU_ASSERT_EQUAL(sent, 20);
	/* and the flood's ids are still limited while they last */
	CU_ASSERT_EQUAL(in(e, 1, 0x7FF, CF_EFF, "01", t0 + 100 * MS), 0);
	gw_engine_free(e);
}

static void test_load_errors(void)
{
	struct gw_route_spec *r;
	struct gw_engine *e;

	/* a cycle pt -> body -> obd -> pt */
	spec_init();
	route("a", 0, 1u << 1);
	route("b", 1, 1u << 2);
	route("c", 2, 1u << 0);
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_STRING_EQUAL(err, "routes form a cycle: pt -> body -> obd -> pt; "
				    "set hop_limit if it is meant");
	/* ... allowed with a hop limit */
	spec_init();
	spec.hop_limit = 1;
	route("a", 0, 1u << 1);
	route("b", 1, 1u << 0);
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(e);
	gw_engine_free(e);
	/* routing onto the source */
	spec_init();
	route("self", 1, 1u << 1);
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_STRING_EQUAL(err, "route 'self': routes back onto its source body; "
				    "set allow_same_interface: true if that is meant");
	spec_init();
	r = route("self", 1, 1u << 1);
	r->allow_same = 1;
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(e);
	gw_engine_free(e);
	/* FD to classic without a policy */
	spec_init();
	r = route("fd", 0, 1u << 1);
	r->fd2classic = GW_FD2C_REJECT;
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_STRING_EQUAL(err, "route 'fd': CAN FD frames can reach classic "
				    "interface body; set fd_to_classic: drop, or type: classic");
	spec_init();
	r = route("fd", 0, 1u << 1);
	r->fd2classic = GW_FD2C_REJECT;
	r->type = GW_CLASSIC_ONLY;
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(e);
	gw_engine_free(e);
	/* a bad id, a duplicate name, no destination */
	spec_init();
	r = route("big", 0, 1u << 1);
	sel(r, GW_SEL_EXACT, 0x800, 0, 0, 0);
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NULL(e);
	CU_ASSERT_STRING_EQUAL(err, "route 'big': id selection  out of range");
	spec_init();
	route("x", 0, 1u << 1);
	route("x", 0, 1u << 2);
	CU_ASSERT_PTR_NULL(gw_engine_new(&spec, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "route 'x' is defined twice");
	spec_init();
	route("none", 0, 0);
	CU_ASSERT_PTR_NULL(gw_engine_new(&spec, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "route 'none': no destination");
}

static void test_kernel_filters(void)
{
	struct gw_route_spec *r;
	struct gw_engine *e;
	uint32_t id[64], mask[64];
	int n, i, got200 = 0, got123 = 0;

	spec_init();
	r = route("pt-to-body", 0, 1u << 1);
	sel(r, GW_SEL_EXACT, 0x123, 0, 0, 0);
	sel(r, GW_SEL_RANGE, 0x200, 0x2FF, 0, 0);
	r = route("odd", 0, 1u << 2);
	sel(r, GW_SEL_RANGE, 0x101, 0x106, 0, 0);
	r = route("all", 1, 1u << 2);
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	n = gw_engine_filters(e, 0, id, mask, 64);
	/* 123 exact (+ the remote frame filter), 200-2FF one block,
	 * 101-106: 101, 102-103, 104-105, 106 */
	CU_ASSERT_EQUAL(n, 7);
	for (i = 0; i < n && i < 64; i++) {
		if (id[i] == 0x123 && mask[i] == (0x7FF | 0xC0000000u))
			got123 = 1;
		if (id[i] == 0x200 && mask[i] == (0x700 | 0x80000000u))
			got200 = 1;
	}
	CU_ASSERT(got123 && got200);
	CU_ASSERT_EQUAL(gw_engine_filters(e, 1, id, mask, 64), -1);
	CU_ASSERT_EQUAL(gw_engine_filters(e, 2, id, mask, 64), 0);
	gw_engine_free(e);
}

static void test_offload(void)
{
	struct gw_route_spec *r;
	struct gw_engine *e;
	uint32_t id[64], mask[64];
	uint8_t kernel[3] = {1, 0, 0};

	spec_init();
	r = route("kernel", 0, 1u << 1);
	sel(r, GW_SEL_EXACT, 0x123, 0, 0, 0);
	r = route("user", 0, 1u << 2);
	sel(r, GW_SEL_EXACT, 0x123, 0, 0, 0);
	sel(r, GW_SEL_EXACT, 0x124, 0, 0, 0);
	r = route("masked", 0, 1u << 2);
	sel(r, GW_SEL_MASK, 0x300, 0x700, 0, 0);
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(in(e, 0, 0x123, 0, "01", 0), 2);
	/* offloaded: the kernel routes it, the engine only the other one */
	CU_ASSERT_EQUAL(gw_engine_offload(e, kernel), 0);
	CU_ASSERT(gw_engine_route_kernel(e, 0) && !gw_engine_route_kernel(e, 1));
	CU_ASSERT_EQUAL(in(e, 0, 0x123, 0, "01", 0), 1);
	CU_ASSERT_EQUAL(out[0].dst, 2);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 0)->matched, 1);
	/* its remote frames stay in user space (the kernel job takes data
	 * frames only): both routes */
	CU_ASSERT_EQUAL(in(e, 0, 0x123, CF_RTR, "", 0), 2);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 0)->matched, 2);
	/* 123 and 124 still wanted by "user", plus RTR and the mask */
	CU_ASSERT_EQUAL(gw_engine_filters(e, 0, id, mask, 64), 4);
	kernel[0] = 0;
	kernel[1] = 1;
	kernel[2] = 1;
	CU_ASSERT_EQUAL(gw_engine_offload(e, kernel), 0);
	/* 123 for "kernel" and every remote frame; not 124, whose data
	 * frames only the kernel wants */
	CU_ASSERT_EQUAL(gw_engine_filters(e, 0, id, mask, 64), 2);
	CU_ASSERT(id[0] == 0x123 && mask[0] == 0xC00007FFu);
	CU_ASSERT(id[1] == 0x40000000u && mask[1] == 0x40000000u);
	CU_ASSERT_EQUAL(in(e, 0, 0x124, 0, "01", 0), 0);
	CU_ASSERT_EQUAL(in(e, 0, 0x301, 0, "01", 0), 0);
	CU_ASSERT_EQUAL(in(e, 0, 0x124, CF_RTR, "", 0), 1);
	CU_ASSERT_EQUAL(out[0].dst, 2);
	/* can-gw takes a mask's remote frames as well */
	CU_ASSERT_EQUAL(in(e, 0, 0x301, CF_RTR, "", 0), 0);
	/* everything offloaded: canrigd wants the remote frames only */
	kernel[0] = 1;
	CU_ASSERT_EQUAL(gw_engine_offload(e, kernel), 0);
	CU_ASSERT_EQUAL(gw_engine_filters(e, 0, id, mask, 64), 1);
	CU_ASSERT(id[0] == 0x40000000u && mask[0] == 0x40000000u);
	CU_ASSERT_EQUAL(in(e, 0, 0x123, 0, "01", 0), 0);
	CU_ASSERT_EQUAL(in(e, 0, 0x123, CF_RTR, "", 0), 2);
	kernel[0] = 0;
	CU_ASSERT_EQUAL(gw_engine_offload(e, kernel), 0);
	CU_ASSERT_EQUAL(in(e, 0, 0x123, 0, "01", 0), 1);
	CU_ASSERT_EQUAL(out[0].dst, 1);
	/* all back in user space */
	CU_ASSERT_EQUAL(gw_engine_offload(e, NULL), 0);
	CU_ASSERT_EQUAL(in(e, 0, 0x123, 0, "01", 0), 2);
	CU_ASSERT_EQUAL(in(e, 0, 0x301, 0, "01", 0), 1);
	CU_ASSERT(!gw_engine_route_kernel(e, 1));
	gw_engine_free(e);
}

/*
 * One copy per forwarded frame: an emit is a view of the bytes that came
 * in unless an action changed them; a changed frame gets bytes of its own
 * (zeroed past its length) and the input stays as it was.  forwarded is
 * the caller's count, of frames it sent.
 */
static void test_emit_views(void)
{
	struct gw_route_spec *r;
	struct gw_action *a;
	struct gw_engine *e;
	uint8_t b[8] = {0x11, 0x22, 0x33, 0x44, 0xAA, 0xBB, 0xCC, 0xDD};
	struct cf_frame f;

	spec_init();
	r = route("plain", 0, 1u << 1 | 1u << 2);
	sel(r, GW_SEL_EXACT, 0x100, 0, 0, 0);
	act(r, GW_ACT_ID_SET)->u.id = 0x101; /* the header only */
	r = route("grow", 0, 1u << 1);
	sel(r, GW_SEL_EXACT, 0x100, 0, 0, 0);
	a = act(r, GW_ACT_MOD);
	a->u.mod.op = GW_MOD_SET;
	a->u.mod.fields = GW_MOD_LEN;
	a->u.mod.len = 8;
	e = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	memset(&f, 0, sizeof(f));
	f.id = 0x100;
	f.len = 4;
	f.data = b;
	CU_ASSERT_EQUAL_FATAL(gw_engine_input(e, 0, &f, 0, out, 16), 3);
	CU_ASSERT(out[0].f.data == b && out[1].f.data == b && out[0].f.id == 0x101);
	CU_ASSERT(out[2].f.data != b && out[2].f.len == 8);
	CU_ASSERT_EQUAL(memcmp(out[2].f.data, "\x11\x22\x33\x44\0\0\0\0", 8), 0);
	CU_ASSERT_EQUAL(b[4], 0xAA);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 0)->matched, 1);
	CU_ASSERT_EQUAL(gw_engine_counters(e, 0)->forwarded, 0);
	gw_engine_sent(e, out[0].route, 2);
	gw_engine_sent(e, 99, 1); /* a route a reload removed */
	CU_ASSERT_EQUAL(gw_engine_counters(e, 0)->forwarded, 2);
	gw_engine_free(e);
}

static void test_adopt(void)
{
	struct gw_route_spec *r;
	struct gw_engine *a, *b;

	spec_init();
	r = route("keep", 0, 1u << 1);
	sel(r, GW_SEL_EXACT, 0x123, 0, 0, 0);
	a = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	in(a, 0, 0x123, 0, "01", 0);
	in(a, 0, 0x123, 0, "01", 0);
	spec_init();
	r = route("new", 0, 1u << 2);
	r = route("keep", 0, 1u << 1);
	sel(r, GW_SEL_EXACT, 0x123, 0, 0, 0);
	b = gw_engine_new(&spec, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	gw_engine_adopt(b, a);
	CU_ASSERT_EQUAL(gw_engine_counters(b, 1)->forwarded, 2);
	CU_ASSERT_EQUAL(gw_engine_counters(b, 0)->forwarded, 0);
	gw_engine_free(a);
	gw_engine_free(b);
	gw_engine_free(NULL);

	/* many routes, the new file in another order with some names new:
	 * each keeps its own counters, the new ones start at 0 */
	{
		static char names[2][48][8];
		unsigned int i, k;

		spec_init();
		for (i = 0; i < 40; i++) {
			snprintf(names[0][i], sizeof(names[0][i]), "r%02u", i);
			r = route(names[0][i], 0, 1u << 1);
			sel(r, GW_SEL_EXACT, 0x100 + i, 0, 0, 0);
		}
		a = gw_engine_new(&spec, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		for (i = 0; i < 40; i++)
			for (k = 0; k <= i; k++)
				in(a, 0, 0x100 + i, 0, "01", 0);
		spec_init();
		for (i = 0; i < 48; i++) {
			/* r47 .. r00, then r08 .. r47 were not there */
			snprintf(names[1][i], sizeof(names[1][i]), "r%02u", 47 - i);
			r = route(names[1][i], 0, 1u << 1);
			sel(r, GW_SEL_EXACT, 0x100 + i, 0, 0, 0);
		}
		b = gw_engine_new(&spec, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		gw_engine_adopt(b, a);
		for (i = 0; i < 48; i++) {
			unsigned int was = 47 - i;

			CU_ASSERT_EQUAL(gw_engine_counters(b, i)->forwarded,
					was < 40 ? was + 1 : 0);
			CU_ASSERT_EQUAL(gw_engine_counters(b, i)->matched, was < 40 ? was + 1 : 0);
		}
		gw_engine_free(a);
		gw_engine_free(b);
	}
}

static int register_gw_tests(void)
{
	CU_pSuite s = CU_add_suite("gw (rule engine)", NULL, NULL);

	if (!s || !CU_add_test(s, "minimal config", test_minimal) ||
	    !CU_add_test(s, "filters", test_filters) ||
	    !CU_add_test(s, "first- and all-match", test_match_modes) ||
	    !CU_add_test(s, "modifications", test_modifications) ||
	    !CU_add_test(s, "checksums and E2E", test_checksums) ||
	    !CU_add_test(s, "rate limits, fake clock", test_rate) ||
	    !CU_add_test(s, "diagnostics firewall", test_firewall) ||
	    !CU_add_test(s, "firewall: CFs only inside an allowed request", test_fw_cf_state) ||
	    !CU_add_test(s, "firewall: address bytes", test_fw_address) ||
	    !CU_add_test(s, "firewall: sub-function lists", test_fw_subs) ||
	    !CU_add_test(s, "firewall: the path, not the route", test_fw_paths) ||
	    !CU_add_test(s, "rate limits: long idle, id flood", test_rate_limits) ||
	    !CU_add_test(s, "load errors, loop check", test_load_errors) ||
	    !CU_add_test(s, "kernel filters", test_kernel_filters) ||
	    !CU_add_test(s, "routes offloaded to can-gw", test_offload) ||
	    !CU_add_test(s, "counters across a reload", test_adopt) ||
	    !CU_add_test(s, "emits are views; forwarded counted at send", test_emit_views))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(gw, register_gw_tests)
