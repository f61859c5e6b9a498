/* SPDX-License-Identifier: MIT */
/* test_cf.c - frame view: DLC tables, validation, cansend parsing, text. */
#include <errno.h>
#include <string.h>

#include "cf.h"
#include "unit.h"

static void test_dlc_tables(void)
{
	static const unsigned int want[16] = {0, 1,  2,	 3,  4,	 5,  6,	 7,
					      8, 12, 16, 20, 24, 32, 48, 64};
	unsigned int dlc, len;

	for (dlc = 0; dlc < 16; dlc++) {
		CU_ASSERT_EQUAL(cf_dlc2len(dlc), want[dlc]);
		CU_ASSERT_EQUAL(cf_len2dlc(want[dlc]), dlc);
	}
	/* lengths between the steps round up to the next DLC */
	CU_ASSERT_EQUAL(cf_len2dlc(9), 9);
	CU_ASSERT_EQUAL(cf_len2dlc(13), 10);
	CU_ASSERT_EQUAL(cf_len2dlc(33), 14);
	CU_ASSERT_EQUAL(cf_len2dlc(49), 15);
	CU_ASSERT_EQUAL(cf_len2dlc(200), 15);
	for (len = 0; len <= 70; len++)
		CU_ASSERT_EQUAL(cf_fd_len_valid(len), len <= 8 || len == 12 || len == 16 ||
							      len == 20 || len == 24 || len == 32 ||
							      len == 48 || len == 64);
}

static void test_validate(void)
{
	uint8_t d[64] = {0};
	struct cf_frame f = {.data = d};

	f.len = 8;
	CU_ASSERT_EQUAL(cf_validate(&f), 0);
	f.len = 9;
	CU_ASSERT_EQUAL(cf_validate(&f), -EMSGSIZE);
	f.flags = CF_FD;
	f.len = 13;
	CU_ASSERT_EQUAL(cf_validate(&f), -EMSGSIZE);
	f.len = 64;
	CU_ASSERT_EQUAL(cf_validate(&f), 0);
	f.len = 65;
	CU_ASSERT_EQUAL(cf_validate(&f), -EMSGSIZE);
	f.len = 0;
	f.flags = 0;
	f.id = 0x800;
	CU_ASSERT_EQUAL(cf_validate(&f), -ERANGE);
	f.flags = CF_EFF;
	CU_ASSERT_EQUAL(cf_validate(&f), 0);
	f.id = 0x20000000;
	CU_ASSERT_EQUAL(cf_validate(&f), -ERANGE);
	f.id = 0x123;
	f.flags = CF_FD | CF_RTR;
	CU_ASSERT_EQUAL(cf_validate(&f), -EPROTO);
	f.flags = CF_BRS;
	CU_ASSERT_EQUAL(cf_validate(&f), -EINVAL);
	/* the three rejections are distinct errors with distinct texts */
	CU_ASSERT_STRING_NOT_EQUAL(cf_strerror(-EMSGSIZE), cf_strerror(-ERANGE));
	CU_ASSERT_STRING_NOT_EQUAL(cf_strerror(-ERANGE), cf_strerror(-EPROTO));
}

/* Parse s and format it back; returns the compact text. */
static const char *roundtrip(const char *s, int *err)
{
	static char out[CF_COMPACT_MAX];
	uint8_t buf[CF_MAX_LEN];
	struct cf_frame f;

	*err = cf_parse(&f, buf, s, strlen(s), NULL);
	if (*err)
		return "";
	cf_format_compact(&f, out);
	return out;
}

static void test_parse_good(void)
{
	static const char *const same[] = {
		"123#DEADBEEF",
		"12345678#",
		"123#R",
		"123#R4",
		"7FF#0102030405060708",
		"000#",
		"1FFFFFFF#AA",
		"123##1AABB",
		"123##0",
		"456##5112233445566778899AABBCC",
		"20000080#0000000000000000",
		"00000001#11",
		/* candump's raw DLC 9..F of a classic 8-byte frame (len8_dlc) */
		"123#1122334455667788_C",
		"12345678#0102030405060708_9",
		"123#R8_F",
	};
	unsigned int i;
	int err;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		CU_ASSERT_STRING_EQUAL(roundtrip(same[i], &err), same[i]);
		CU_ASSERT_EQUAL(err, 0);
	}
	/* accepted input that prints canonically */
	CU_ASSERT_STRING_EQUAL(roundtrip("123#de.ad.be.ef", &err), "123#DEADBEEF");
	CU_ASSERT_STRING_EQUAL(roundtrip("1bc#r", &err), "1BC#R");
	CU_ASSERT_STRING_EQUAL(roundtrip("123##1.11.22", &err), "123##11122");
}

static void test_parse_fields(void)
{
	uint8_t buf[CF_MAX_LEN];
	struct cf_frame f;
	char s[200] = "123##3";
	int i;

	CU_ASSERT_EQUAL(cf_parse(&f, buf, "12345678#0102", 13, NULL), 0);
	CU_ASSERT_EQUAL(f.id, 0x12345678);
	CU_ASSERT_EQUAL(f.flags, CF_EFF);
	CU_ASSERT_EQUAL(f.len, 2);
	CU_ASSERT_PTR_EQUAL(f.data, buf); /* the view points into the caller's buffer */
	CU_ASSERT_EQUAL(buf[1], 0x02);
	for (i = 0; i < 64; i++)
		strcat(s, "A5");
	CU_ASSERT_EQUAL(cf_parse(&f, buf, s, strlen(s), NULL), 0);
	CU_ASSERT_EQUAL(f.len, 64);
	CU_ASSERT_EQUAL(f.flags, CF_FD | CF_BRS | CF_ESI);
	CU_ASSERT_EQUAL(cf_parse(&f, buf, "20000004#0004", 13, NULL), 0);
	CU_ASSERT_EQUAL(f.flags, CF_ERR);
	CU_ASSERT_EQUAL(f.id, 0x4);
	CU_ASSERT_EQUAL(cf_parse(&f, buf, "123#R8_A", 8, NULL), 0);
	CU_ASSERT_EQUAL(f.len8_dlc, 10);
	CU_ASSERT_EQUAL(f.len, 8);
	CU_ASSERT_EQUAL(f.flags, CF_RTR);
	/* n bounds the input: no NUL needed */
	CU_ASSERT_EQUAL(cf_parse(&f, buf, "123#11XYZ", 6, NULL), 0);
	CU_ASSERT_EQUAL(f.len, 1);
}

static void test_parse_bad(void)
{
	static const struct {
		const char *s;
		int err;
		size_t col;
	} bad[] = {
		{"12#11", -EINVAL, 0},	    {"123", -EINVAL, 3},
		{"123#1", -EINVAL, 5},	    {"123#GG", -EINVAL, 4},
		{"12G#11", -EINVAL, 2},	    {"123#112233445566778899", -EINVAL, 20},
		{"123##", -EINVAL, 5},	    {"123#R9", -EINVAL, 5},
		{"800#", -ERANGE, 4},	    {"123##1112233445566778899", -EMSGSIZE, 4},
		{"20000001#R", -EINVAL, 9}, {"C0000000#11", -EINVAL, 0},
		{"ccc#R", -ERANGE, 4}, /* fuzz: RTR path left msg unset */
	};
	uint8_t buf[CF_MAX_LEN];
	struct cf_frame f;
	struct cf_perr pe;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&pe, 0, sizeof(pe));
		CU_ASSERT_EQUAL(cf_parse(&f, buf, bad[i].s, strlen(bad[i].s), &pe), bad[i].err);
		CU_ASSERT_EQUAL(pe.col, bad[i].col);
		CU_ASSERT_PTR_NOT_NULL(pe.msg);
	}
}

/* candump's _DLC suffix: only after 8 bytes of a classic frame, one digit 9-F */
static void test_parse_len8_bad(void)
{
	static const char *const bad[] = {"123#11_C", "123#1122334455667788_8", "123#R_9",
					  "123#1122334455667788_", "123##01122334455667788_C"};
	static const size_t col[] = {6, 20, 5, 20, 22};
	uint8_t buf[CF_MAX_LEN];
	struct cf_frame f;
	struct cf_perr pe;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&pe, 0, sizeof(pe));
		CU_ASSERT_EQUAL(cf_parse(&f, buf, bad[i], strlen(bad[i]), &pe), -EINVAL);
		CU_ASSERT_EQUAL(pe.col, col[i]);
	}
}

static void fmt_long(const char *in, unsigned int opts, const char *want)
{
	uint8_t buf[CF_MAX_LEN];
	char out[CF_LONG_MAX];
	struct cf_frame f;

	CU_ASSERT_EQUAL_FATAL(cf_parse(&f, buf, in, strlen(in), NULL), 0);
	cf_format_long(&f, opts, out);
	CU_ASSERT_STRING_EQUAL(out, want);
}

static void test_format_long(void)
{
	/* expected strings are candump's screen output for the same frames */
	fmt_long("123#DEADBEEF", 0, "123   [4]  DE AD BE EF");
	fmt_long("123#DEADBEEF", CF_LONG_INDENT_SFF, "     123   [4]  DE AD BE EF");
	fmt_long("12345678#11223344", 0, "12345678   [4]  11 22 33 44");
	fmt_long("123#R", 0, "123   [0]  remote request");
	fmt_long("123##1DEADBEEF", 0, "123  [04]  DE AD BE EF");
	fmt_long("123##0", 0, "123  [00] ");
	fmt_long("123#", 0, "123   [0] ");
	fmt_long("20000080#0000000000000000", 0,
		 "20000080   [8]  00 00 00 00 00 00 00 00   ERRORFRAME");
	fmt_long("123#41420A", CF_LONG_ASCII, "123   [3]  41 42 0A                  'AB.'");
}

static void test_format_error(void)
{
	uint8_t buf[CF_MAX_LEN];
	char out[CF_ERRTEXT_MAX];
	struct cf_frame f;

	cf_parse(&f, buf, "20000004#0004000000000000", 25, NULL);
	cf_format_error(&f, ",", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "controller-problem{rx-error-warning}");
	cf_parse(&f, buf, "2000008A#0A00080A00000305", 25, NULL);
	cf_format_error(&f, ",", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "lost-arbitration{at bit 10},protocol-violation{{"
				    "tx-dominant-bit-error}{data-field}},bus-error,"
				    "error-counter-tx-rx{{3}{5}}");
	/* a tiny buffer truncates, never overflows */
	CU_ASSERT(cf_format_error(&f, ",", out, 8) <= 7);
	CU_ASSERT_EQUAL(strlen(out), 7);
	cf_parse(&f, buf, "123#", 4, NULL);
	CU_ASSERT_EQUAL(cf_format_error(&f, ",", out, sizeof(out)), 0);
}

static int register_cf_tests(void)
{
	CU_pSuite s = CU_add_suite("cf (frame view)", NULL, NULL);

	if (!s || !CU_add_test(s, "DLC <-> length tables", test_dlc_tables) ||
	    !CU_add_test(s, "validation errors are distinct", test_validate) ||
	    !CU_add_test(s, "cansend syntax round trip", test_parse_good) ||
	    !CU_add_test(s, "parsed fields and zero copy", test_parse_fields) ||
	    !CU_add_test(s, "bad frames give column and reason", test_parse_bad) ||
	    !CU_add_test(s, "bad _DLC suffixes", test_parse_len8_bad) ||
	    !CU_add_test(s, "candump screen format", test_format_long) ||
	    !CU_add_test(s, "error frame text", test_format_error))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(cf, register_cf_tests)
