/* SPDX-License-Identifier: MIT */
/* test_yml_read.c - the table-driven key readers of conf/yml_read.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "yml.h"
#include "yml_read.h"

struct pt {
	uint16_t x;
};

struct rec {
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	uint8_t b;
	int e;
	const char *s, *env;
	double num;
	uint32_t id;
	uint8_t eff;
	const uint8_t *hex;
	size_t hexlen;
	struct pt sub;
	struct pt *pts;
	size_t npts;
	int fn_seen;
	uint32_t dflt;
};

static const char *const colours[] = {"red", "green", "blue", NULL};
static const int colour_vals[] = {10, 20, 30};

static int pt_item(struct yml_rd *r, const yaml_node_t *m, void *arr, size_t i)
{
	const struct pt *p = arr;

	if (i && p[i].x <= p[i - 1].x)
		return yml_error(r->y, m, "x must grow");
	return 0;
}

static int fn_key(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)i;
	(void)n;
	*(int *)p = 1;
	*(int *)r->ctx += 1;
	return 0;
}

static const struct yml_key pt_keys[] = {
	{.name = "x", .type = YML_UINT, .flags = YML_REQ, YML_OFF(struct pt, x), .max = 1000},
	{0},
};

static const struct yml_key keys[] = {
	{.name = "u8", .type = YML_UINT, YML_OFF(struct rec, u8), .max = 0xFF},
	{.name = "u16", .type = YML_UINT, YML_OFF(struct rec, u16), .min = 2, .max = 0xFFFF},
	{.name = "u32", .type = YML_UINT, YML_OFF(struct rec, u32), .max = 0xFFFFFFFF},
	{.name = "u64", .type = YML_UINT, YML_OFF(struct rec, u64), .max = UINT64_MAX},
	{.name = "b", .type = YML_BOOL, YML_OFF(struct rec, b)},
	{.name = "e",
	 .type = YML_ENUM,
	 YML_OFF(struct rec, e),
	 .names = colours,
	 .vals = colour_vals,
	 .what = "colour"},
	{.name = "s", .type = YML_STR, YML_OFF(struct rec, s)},
	{.name = "env", .type = YML_STR_ENV, YML_OFF(struct rec, env)},
	{.name = "num", .type = YML_NUM, YML_OFF(struct rec, num)},
	{.name = "id", .type = YML_CANID, YML_OFF(struct rec, id), YML_OFF2(struct rec, eff)},
	{.name = "hex",
	 .type = YML_HEX,
	 YML_OFF(struct rec, hex),
	 YML_OFF2(struct rec, hexlen),
	 .max = 4},
	{.name = "sub", .type = YML_MAP, YML_OFF(struct rec, sub), .sub = pt_keys},
	{.name = "pts",
	 .type = YML_LIST,
	 YML_OFF(struct rec, pts),
	 YML_OFF2(struct rec, npts),
	 .sub = pt_keys,
	 .item_size = sizeof(struct pt),
	 .fn = pt_item},
	{.name = "fn", .type = YML_FUNC, YML_OFF(struct rec, fn_seen), .fn = fn_key},
	{.name = "dflt",
	 .type = YML_UINT,
	 .flags = YML_DEF,
	 YML_OFF(struct rec, dflt),
	 .max = 100,
	 .def = 77},
	{.name = "known", .type = YML_KNOWN},
	{.name = "need", .type = YML_KNOWN, .flags = YML_REQ},
	{0},
};

/* Loads doc and reads its root into *out; returns the reader's result
 * and leaves the message in msg. */
static int rd(const char *doc, struct rec *out, void **arena, char *msg, size_t cap)
{
	struct yml y;
	struct yml_rd r = {.y = &y, .arena = arena};
	int calls = 0, e;

	r.ctx = &calls;
	memset(out, 0, sizeof(*out));
	e = yml_load_mem(&y, "k.yaml", doc, strlen(doc));
	if (!e)
		e = yml_read_map(&r, yml_root(&y), keys, out);
	yml_err_out(&y, e, msg, cap);
	if (!e)
		msg[0] = 0;
	yml_fini(&y);
	return e;
}

#define BAD(doc, want)                                                                             \
	do {                                                                                       \
		CU_ASSERT_EQUAL(rd(doc, &v, &arena, msg, sizeof(msg)), -EINVAL);                   \
		CU_ASSERT_STRING_EQUAL(msg, want);                                                 \
		yml_arena_free(&arena);                                                            \
	} while (0)

static void test_types(void)
{
	static const char doc[] = "need: 1\nu8: 0xFF\nu16: 65535\nu32: 4294967295\n"
				  "u64: 18446744073709551615\nb: Off\ne: blue\ns: hello\n"
				  "num: -1.5e3\nid: 0x7FF\nhex: \"de ad\"\nsub: {x: 7}\n"
				  "pts: [{x: 1}, {x: 5}]\nfn: whatever\nknown: [anything]\n";
	struct rec v;
	void *arena = NULL;
	char msg[512];

	CU_ASSERT_FATAL(rd(doc, &v, &arena, msg, sizeof(msg)) == 0);
	CU_ASSERT_EQUAL(v.u8, 0xFF);
	CU_ASSERT_EQUAL(v.u16, 65535);
	CU_ASSERT_EQUAL(v.u32, 4294967295u);
	CU_ASSERT_EQUAL(v.u64, UINT64_MAX);
	CU_ASSERT_EQUAL(v.b, 0);
	CU_ASSERT_EQUAL(v.e, 30);
	CU_ASSERT_STRING_EQUAL(v.s, "hello");
	CU_ASSERT_PTR_NULL(v.env);
	CU_ASSERT_DOUBLE_EQUAL(v.num, -1500.0, 1e-9);
	CU_ASSERT(v.id == 0x7FF && v.eff == 0);
	CU_ASSERT(v.hexlen == 2 && v.hex[0] == 0xDE && v.hex[1] == 0xAD);
	CU_ASSERT_EQUAL(v.sub.x, 7);
	CU_ASSERT_FATAL(v.npts == 2);
	CU_ASSERT(v.pts[0].x == 1 && v.pts[1].x == 5);
	CU_ASSERT_EQUAL(v.fn_seen, 1);
	CU_ASSERT_EQUAL(v.dflt, 77); /* absent with YML_DEF */
	yml_arena_free(&arena);
	CU_ASSERT_PTR_NULL(arena);

	/* the copies outlive the document; 29-bit ids; enum without vals */
	CU_ASSERT_FATAL(rd("need: 1\nid: 0x800\nb: yes\ndflt: 3\npts: []\n", &v, &arena, msg,
			   sizeof(msg)) == 0);
	CU_ASSERT(v.id == 0x800 && v.eff == 1 && v.b == 1 && v.dflt == 3);
	CU_ASSERT(v.npts == 0 && v.pts != NULL);
	CU_ASSERT_EQUAL(v.fn_seen, 0); /* absent: not called */
	yml_arena_free(&arena);
}

static void test_errors(void)
{
	struct rec v;
	void *arena = NULL;
	char msg[512];

	BAD("need: 1\nbogus: 2\n", "k.yaml:2:1: unknown key 'bogus'");
	BAD("u8: 1\n", "k.yaml:1:1: missing required key 'need'");
	BAD("need: 1\nu8: 1\nu8: 2\n", "k.yaml:3:1: duplicate key 'u8'");
	BAD("[1, 2]\n", "k.yaml:1:1: expected a mapping (key: value), found a list");
	BAD("need: 1\nu8: 256\n", "k.yaml:2:5: number '256' out of range (0..255)");
	BAD("need: 1\nu8: 0x1G\n", "k.yaml:2:5: expected a number (decimal or 0x hex), found "
				   "'0x1G'");
	BAD("need: 1\nu8: [1]\n", "k.yaml:2:5: expected a number, found a list");
	BAD("need: 1\nu16: 1\n", "k.yaml:2:6: u16 must be 2..65535");
	BAD("need: 1\nu32: 4294967296\n",
	    "k.yaml:2:6: number '4294967296' out of range (0..4294967295)");
	BAD("need: 1\nb: maybe\n", "k.yaml:2:4: expected true or false, found 'maybe'");
	BAD("need: 1\ne: pink\n", "k.yaml:2:4: unknown colour 'pink' (red, green, blue)");
	BAD("need: 1\ns: {a: 1}\n", "k.yaml:2:4: expected a value, found a mapping");
	BAD("need: 1\nnum: 1x\n", "k.yaml:2:6: expected a number, found '1x'");
	BAD("need: 1\nnum: inf\n", "k.yaml:2:6: expected a number, found 'inf'");
	BAD("need: 1\nid: 0x20000000\n", "k.yaml:2:5: number '0x20000000' out of range "
					 "(0..536870911)");
	BAD("need: 1\nhex: \"01 02 03 04 05\"\n", "k.yaml:2:6: more than 4 bytes");
	BAD("need: 1\nhex: \"0\"\n", "k.yaml:2:6: hex bytes need two digits each in \"0\"");
	BAD("need: 1\nsub: {y: 1}\n", "k.yaml:2:7: unknown key 'y'");
	BAD("need: 1\nsub: 3\n", "k.yaml:2:6: expected a mapping (key: value), found a scalar");
	BAD("need: 1\npts: {x: 1}\n", "k.yaml:2:6: expected a list, found a mapping");
	BAD("need: 1\npts: [{x: 1}, {}]\n", "k.yaml:2:15: missing required key 'x'");
	BAD("need: 1\npts: [{x: 5}, {x: 1}]\n", "k.yaml:2:15: x must grow");
	BAD("need: 1\ndflt: 101\n", "k.yaml:2:7: number '101' out of range (0..100)");
}

static void test_env(void)
{
	struct rec v;
	void *arena = NULL;
	char msg[512];

	setenv("CANRIG_YR_A", "alpha", 1);
	unsetenv("CANRIG_YR_UNSET");
	CU_ASSERT_FATAL(rd("need: 1\nenv: \"x-${CANRIG_YR_A}/${CANRIG_YR_A}\"\n", &v, &arena, msg,
			   sizeof(msg)) == 0);
	CU_ASSERT_STRING_EQUAL(v.env, "x-alpha/alpha");
	yml_arena_free(&arena);
	/* YML_STR takes ${...} as written */
	CU_ASSERT_FATAL(rd("need: 1\ns: \"${CANRIG_YR_A}\"\n", &v, &arena, msg, sizeof(msg)) == 0);
	CU_ASSERT_STRING_EQUAL(v.s, "${CANRIG_YR_A}");
	yml_arena_free(&arena);
	BAD("need: 1\nenv: \"${CANRIG_YR_UNSET}\"\n",
	    "k.yaml:2:6: environment variable CANRIG_YR_UNSET is not set");
	BAD("need: 1\nenv: \"a${\"\n", "k.yaml:2:6: unterminated or empty ${...} in \"a${\"");
	unsetenv("CANRIG_YR_A");
}

static void test_err_out(void)
{
	struct yml y;
	char err[16];

	memset(&y, 0, sizeof(y));
	CU_ASSERT_EQUAL(yml_err_out(&y, -ENOENT, err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "No such file or");		     /* cut to the buffer */
	CU_ASSERT_EQUAL(yml_err_out(&y, -ENOENT, NULL, 0), -ENOENT); /* no buffer: fine */
	strcpy(err, "untouched");
	CU_ASSERT_EQUAL(yml_err_out(&y, 0, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(err, "untouched");
	CU_ASSERT(yml_load_mem(&y, "e.yaml", "a: [", 4) == -EINVAL);
	CU_ASSERT_EQUAL(yml_err_out(&y, -EINVAL, err, sizeof(err)), -EINVAL);
	CU_ASSERT(!strncmp(err, "e.yaml:", 7));
	yml_fini(&y);
}

static int register_yml_read_tests(void)
{
	CU_pSuite s = CU_add_suite("yml_read (table-driven YAML key readers)", NULL, NULL);

	if (!s || !CU_add_test(s, "every key type, defaults, lists, maps", test_types) ||
	    !CU_add_test(s, "unknown, missing, bounds, wrong kinds", test_errors) ||
	    !CU_add_test(s, "${ENV} expansion", test_env) ||
	    !CU_add_test(s, "errors into the caller's buffer", test_err_out))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(yml_read, register_yml_read_tests)
