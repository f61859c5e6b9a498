/* SPDX-License-Identifier: MIT */
/* test_clog_trc.c - PEAK TRC logs: writer golden, round trips, versions, errors, loss. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clog.h"
#include "unit.h"

static struct clog_writer w;

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = calloc(1, (size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

/*
 * Converts buf (format from, NULL: detect) to `to` in a malloc'd string;
 * *bad counts malformed lines, *lost gets the writer's CLOG_LOST_* bits.
 */
static char *conv(const char *buf, const struct clog_format *from, const struct clog_format *to,
		  const struct clog_wopts *o, int *bad, unsigned int *lost)
{
	struct clog_reader r;
	struct clog_rec rec;
	FILE *tmp = tmpfile();
	char *out;
	long n;
	int e;

	*bad = 0;
	if (!tmp || clog_reader_open_mem(&r, "mem", buf, strlen(buf), from)) {
		if (tmp)
			fclose(tmp);
		return NULL;
	}
	clog_writer_init(&w, fileno(tmp), to, o);
	while ((e = clog_read(&r, &rec)) != 0) {
		if (e < 0) {
			(*bad)++;
			continue;
		}
		clog_write(&w, &rec);
	}
	clog_writer_fini(&w);
	clog_reader_close(&r);
	if (lost)
		*lost = w.lost;
	n = lseek(fileno(tmp), 0, SEEK_END);
	out = calloc(1, (size_t)n + 1);
	if (out && pread(fileno(tmp), out, (size_t)n, 0) != n) {
		free(out);
		out = NULL;
	}
	fclose(tmp);
	return out;
}

/* What TRC holds: names can<N-1>, microseconds, classic/FD/RTR, Tx marks. */
static const char lossless[] =
	"(1700000000.000123) can0 123#DEADBEEF\n"
	"(1700000000.000200) can1 12345678#11223344 T\n"
	"(1700000000.000300) can0 123#R\n"
	"(1700000000.000400) can0 123#R4\n"
	"(1700000000.000500) can0 456##1112233445566778899AABBCC\n"
	"(1700000000.000600) can0 456##3\n"
	"(1700000000.000700) can0 457##2\n"
	"(1700000000.000800) can0 458##0\n"
	"(1700000001.999999) can1 7FF#\n"
	"(1700000002.000000) can2 1FFFFFFF##000070E151C232A31383F464D545B626970777E858C939AA1A8AF"
	"B6BDC4CBD2D9E0E7EEF5FC030A11181F262D343B424950575E656C737A81888F969DA4ABB2B9\n"
	"(1700000002.000001) can0 20000208#0000840300000201\n"
	"(1700000002.000002) can0 20000208#0000020000000000 T\n"
	"(1700003600.500000) can0 000#0102030405060708\n";

static void test_write_golden(void)
{
	char *log = slurp(test_data("sample.log"));
	char *trc = slurp(test_data("sample.trc"));
	char *out;
	unsigned int lost;
	int bad;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_PTR_NOT_NULL_FATAL(trc);
	/* $STARTTIME is local time: the golden file was written with TZ=UTC */
	setenv("TZ", "UTC", 1);
	tzset();
	out = conv(log, NULL, &clog_fmt_trc, NULL, &bad, &lost);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, trc);
	/* vcan0..2 are not can0..2; an error-frame class TRC has no room for;
	 * the kernel's FDF bit in "##5" */
	CU_ASSERT_EQUAL(lost, CLOG_LOST_IFNAME | CLOG_LOST_ERRBITS | CLOG_LOST_FDRAW);
	free(out);
	free(log);
	free(trc);
}

/* candump -> TRC -> candump gives the input back, in any time zone. */
static void test_roundtrip(void)
{
	static const char *const zones[] = {"UTC", "Europe/Berlin", "America/New_York",
					    "Asia/Kolkata"};
	char *trc, *back;
	unsigned int lost, i;
	int bad;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		setenv("TZ", zones[i], 1);
		tzset();
		trc = conv(lossless, &clog_fmt_candump, &clog_fmt_trc, NULL, &bad, &lost);
		CU_ASSERT_PTR_NOT_NULL_FATAL(trc);
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT_EQUAL(lost, 0);
		back = conv(trc, NULL, &clog_fmt_candump, NULL, &bad, NULL);
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(back);
		CU_ASSERT_STRING_EQUAL(back, lossless);
		free(trc);
		free(back);
	}
	setenv("TZ", "UTC", 1);
	tzset();
}

/* Each loss is reported, and only when it happened. */
static void test_loss(void)
{
	static const struct {
		const char *in;
		unsigned int lost;
	} cases[] = {
		{"(1700000000.000123456) can0 123#11\n", CLOG_LOST_SUBUS},
		{"(1700000000.000123) vcan0 123#11\n", CLOG_LOST_IFNAME},
		{"(1700000000.000123) can0 123#11 X\n", CLOG_LOST_EXTRA},
		{"(1700000000.000123) can0 123#11 R\n", 0}, /* the Rx column */
		{"(1700000000.000123) can0 123##511\n", CLOG_LOST_FDRAW},
		{"(1700000000.000123) can0 20000004#0004000000000000\n", CLOG_LOST_ERRBITS},
		{"(1700000000.000123) can0 123#11\n(1699999999.000000) can0 123#22\n",
		 CLOG_LOST_EARLY},
		{"(1700000000.000123) can0 123#11\n(1700000000.000124) can1 123#R2 T\n", 0},
	};
	char *out;
	unsigned int lost, i;
	int bad;

	setenv("TZ", "UTC", 1);
	tzset();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = conv(cases[i].in, &clog_fmt_candump, &clog_fmt_trc, NULL, &bad, &lost);
		CU_ASSERT_PTR_NOT_NULL(out);
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT_EQUAL(lost, cases[i].lost);
		free(out);
	}
	/* every bit TRC sets has words */
	for (i = 1; i <= 0x40; i <<= 1)
		CU_ASSERT(clog_lost_str(i)[0] != '\0');
	CU_ASSERT_STRING_EQUAL(clog_lost_str(CLOG_LOST_SUBUS), "time below a microsecond");
}

/* --channels: bus N is the Nth name; other interfaces are left out. */
static void test_channels(void)
{
	static const char *const names[] = {"vcan1", "vcan0"};
	struct clog_wopts o = {.channels = names, .nchannels = 2};
	const char *in = "(1700000000.000000) vcan0 123#11\n"
			 "(1700000000.000001) vcan9 123#22\n"
			 "(1700000000.000002) vcan1 123#33\n";
	char *out;
	unsigned int lost;
	int bad;

	setenv("TZ", "UTC", 1);
	tzset();
	out = conv(in, &clog_fmt_candump, &clog_fmt_trc, &o, &bad, &lost);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	/* numbered without the frame left out */
	CU_ASSERT(strstr(out, "\n      1         0.") != NULL);
	CU_ASSERT(strstr(out, " DT 2      0123 Rx -  1    11\n      2         0.") != NULL);
	CU_ASSERT(strstr(out, " DT 1      0123 Rx -  1    33\n") != NULL);
	CU_ASSERT(strstr(out, "    22") == NULL);
	CU_ASSERT_EQUAL(w.nskipped, 1);
	free(out);
}

static void expect(const char *file, const char *want)
{
	char *in = slurp(test_data(file)), *out;
	int bad;

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	setenv("TZ", "UTC", 1);
	tzset();
	out = conv(in, NULL, &clog_fmt_candump, NULL, &bad, NULL);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, want);
	free(out);
	free(in);
}

/* 1.1: Rx/Tx/Error/Warng types, 0.1 ms times, "RTR" for remote requests. */
static void test_read_v11(void)
{
	expect("trc-v11.trc", "(1699963200.000000) can0 123#1122\n"
			      "(1699963200.100100) can0 1ABCDEF0#0102030405060708 T\n"
			      "(1699963200.200200) can0 7FF#R3\n"
			      "(1699963200.300300) can0 20000208#0000040200000403\n"
			      "(1699963201.000000) can0 000#\n");
}

/* 2.0: its own $COLUMNS, a byte count (l) instead of a DLC, ST and EV passed over. */
static void test_read_v20(void)
{
	expect("trc-v20.trc", "(1699963200.001500) can0 300#0000000004000000\n"
			      "(1699963200.002000) can0 301##1000102030405060708090A0B T\n"
			      "(1699963200.005250) can0 302#R2\n");
}

/* What python-can 4.1.0's TRCWriter writes (its $STARTTIME says 2080). */
static void test_read_python_can(void)
{
	expect("trc-python-can.trc", "(3496663088.840448) can0 123#1122\n"
				     "(3496663088.940449) can1 1ABCDEF0#0101010101010101\n");
}

/* Every 2.1 type, read field by field. */
static void test_read_types(void)
{
	static const char in[] = ";$FILEVERSION=2.1\n"
				 ";$STARTTIME=25569.5\n"
				 "      1         0.001 FD 3      0100 Rx -  9    "
				 "00 01 02 03 04 05 06 07 08 09 0A 0B\n"
				 "      2         0.002 FE 1      0100 Rx -  0\n"
				 "      3         0.003 BI 1  00000100 Tx -  1    AA\n"
				 "      4         0.004 ER 2         - Tx -  5    01 00 11 22 33\n"
				 "      5         0.005 EC 1 ...\n"
				 "      6         0.006 RR 1      07FF Rx -  8\n";
	struct clog_reader r;
	struct clog_rec rec;

	setenv("TZ", "UTC", 1);
	tzset();
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "t", in, strlen(in), NULL), 0);
	CU_ASSERT_PTR_EQUAL_FATAL(r.fmt, &clog_fmt_trc);
	CU_ASSERT_EQUAL_FATAL(clog_read(&r, &rec), 1);
	CU_ASSERT_EQUAL(rec.f.ts_ns, 43200000000000ull + 1000);
	CU_ASSERT_EQUAL(rec.f.flags, CF_FD);
	CU_ASSERT_EQUAL(rec.f.len, 12);
	CU_ASSERT_EQUAL(rec.f.data[11], 0x0B);
	CU_ASSERT_EQUAL(rec.channel, 3);
	CU_ASSERT_NSTRING_EQUAL(rec.ifname, "can2", 4);
	CU_ASSERT_EQUAL_FATAL(clog_read(&r, &rec), 1);
	CU_ASSERT_EQUAL(rec.f.flags, CF_FD | CF_ESI);
	CU_ASSERT_EQUAL(rec.f.len, 0);
	CU_ASSERT_EQUAL_FATAL(clog_read(&r, &rec), 1);
	CU_ASSERT_EQUAL(rec.f.flags, CF_FD | CF_BRS | CF_ESI | CF_EFF);
	CU_ASSERT_EQUAL(rec.f.id, 0x100);
	CU_ASSERT_EQUAL(rec.f.dir, CF_DIR_TX);
	CU_ASSERT_EQUAL_FATAL(clog_read(&r, &rec), 1);
	/* bit error while sending, ECC 0x11, rx 0x22, tx 0x33 */
	CU_ASSERT_EQUAL(rec.f.flags, CF_ERR);
	CU_ASSERT_EQUAL(rec.f.id, 0x208u);
	CU_ASSERT_EQUAL(rec.f.len, 8);
	CU_ASSERT_EQUAL(rec.f.data[2], 0x81);
	CU_ASSERT_EQUAL(rec.f.data[3], 0x11);
	CU_ASSERT_EQUAL(rec.f.data[6], 0x33);
	CU_ASSERT_EQUAL(rec.f.data[7], 0x22);
	CU_ASSERT_EQUAL_FATAL(clog_read(&r, &rec), 1);
	CU_ASSERT_EQUAL(rec.f.flags, CF_RTR);
	CU_ASSERT_EQUAL(rec.f.len, 8);
	CU_ASSERT_EQUAL(rec.f.ts_ns, 43200000000000ull + 6000);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 0);
	CU_ASSERT_EQUAL(r.nread, 5);
	clog_reader_close(&r);
}

/* Bad lines: file:line:col, and the reader goes on after them. */
static void test_errors(void)
{
	static const struct {
		const char *line, *err;
	} cases[] = {
		{"      1         0.001 XX 1      0100 Rx -  1    00",
		 "t:2:23: unknown message type"},
		{"      1         0.001 DT 1      01G0 Rx -  1    00", "t:2:33: bad CAN id"},
		{"      1         0.001 DT 1      0100 Rx -  2    00",
		 "t:2:51: fewer data bytes than the length says"},
		{"      1         0.001 DT 1      0100 Rx - 99", "t:2:43: bad length"},
		{"      1         0.001 FD 1      0100 Rx - 16", "t:2:43: bad CAN FD length"},
		{"      1         x.001 DT 1      0100 Rx -  1    00", "t:2:17: bad time offset"},
		{"      1         0.001 DT 0      0100 Rx -  1    00", "t:2:26: bad bus number"},
		{"      1         0.001 DT 1      0100 Up -  1    00", "t:2:38: expected Rx or Tx"},
		{"      1         0.001 DT 1      0100", "t:2:37: line ends early"},
		{"      1         0.001 DT 1      0100 Rx -  1    0x0", "t:2:49: bad data byte"},
	};
	char buf[256];
	struct clog_reader r;
	struct clog_rec rec;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf),
			 ";$FILEVERSION=2.1\n%s\n"
			 "      2         0.002 DT 1      0100 Rx -  0\n",
			 cases[i].line);
		CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "t", buf, strlen(buf), NULL), 0);
		CU_ASSERT_EQUAL(clog_read(&r, &rec), -EINVAL);
		CU_ASSERT_STRING_EQUAL(r.err, cases[i].err);
		CU_ASSERT_EQUAL(clog_read(&r, &rec), 1);
		CU_ASSERT_EQUAL(rec.f.ts_ns, 2000); /* 0.002 ms */
		clog_reader_close(&r);
	}
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "t", ";$FILEVERSION=3.0\n", 18, NULL), 0);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), -EINVAL);
	CU_ASSERT_STRING_EQUAL(r.err, "t:1:15: unknown $FILEVERSION");
	clog_reader_close(&r);
	strcpy(buf, ";$FILEVERSION=2.1\n;$COLUMNS=N,O,T,X\n");
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "t", buf, strlen(buf), NULL), 0);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), -EINVAL);
	CU_ASSERT_STRING_EQUAL(r.err, "t:2:17: $COLUMNS: expected letters of N,O,T,B,I,d,R,L,l,D");
	clog_reader_close(&r);
}

static void test_detect(void)
{
	struct clog_reader r;
	const char *v11 = "\n;$FILEVERSION=1.1\n     1)  1.0  Rx  0123  0\n";

	CU_ASSERT_PTR_EQUAL(clog_format_find("trc"), &clog_fmt_trc);
	CU_ASSERT(strstr(clog_format_names(), "trc") != NULL);
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "x", v11, strlen(v11), NULL), 0);
	CU_ASSERT_PTR_EQUAL(r.fmt, &clog_fmt_trc);
	clog_reader_close(&r);
	/* a UTF-8 byte order mark before it */
	CU_ASSERT_EQUAL_FATAL(
		clog_reader_open_mem(&r, "x", "\xEF\xBB\xBF;$FILEVERSION=2.1\n", 21, NULL), 0);
	CU_ASSERT_PTR_EQUAL(r.fmt, &clog_fmt_trc);
	clog_reader_close(&r);
}

static int register_clog_trc_tests(void)
{
	CU_pSuite s = CU_add_suite("clog_trc (PEAK TRC logs)", NULL, NULL);

	if (!s || !CU_add_test(s, "TRC output golden", test_write_golden) ||
	    !CU_add_test(s, "candump -> TRC -> candump, any time zone", test_roundtrip) ||
	    !CU_add_test(s, "what TRC loses is reported", test_loss) ||
	    !CU_add_test(s, "--channels numbers the buses", test_channels) ||
	    !CU_add_test(s, "version 1.1 input", test_read_v11) ||
	    !CU_add_test(s, "version 2.0 input", test_read_v20) ||
	    !CU_add_test(s, "python-can's TRC input", test_read_python_can) ||
	    !CU_add_test(s, "2.1 message types", test_read_types) ||
	    !CU_add_test(s, "malformed lines: file:line:col", test_errors) ||
	    !CU_add_test(s, "format detection", test_detect))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(clog_trc, register_clog_trc_tests)
