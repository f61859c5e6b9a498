/* SPDX-License-Identifier: MIT */
/* test_clog_rot.c - recording into numbered files: limits, when, names, formats. */
#include <errno.h>
#include <string.h>

#include "clog_rot.h"
#include "unit.h"

static void test_parse(void)
{
	static const struct {
		const char *s;
		uint64_t bytes, ns;
	} ok[] = {
		{"20K", 20480, 0},
		{"20k", 20480, 0},
		{"100M", 100ull << 20, 0},
		{"1G", 1ull << 30, 0},
		{"512", 512, 0},
		{"30s", 0, 30000000000ull},
		{"10min", 0, 600000000000ull},
		{"2h", 0, 7200000000000ull},
		{"1d", 0, 86400000000000ull},
	};
	static const char *const bad[] = {"",
					  "0",
					  "0K",
					  "K",
					  "10m",
					  "1.5G",
					  "10 M",
					  "-1",
					  "10x",
					  "10S",
					  "10Mi",
					  "99999999999999999999",
					  "17179869184G"};
	struct clog_rot r;
	const char *why;
	unsigned int i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memset(&r, 0, sizeof(r));
		why = NULL;
		CU_ASSERT_EQUAL(clog_rot_parse(&r, ok[i].s, &why), 0);
		CU_ASSERT_EQUAL(r.max_bytes, ok[i].bytes);
		CU_ASSERT_EQUAL(r.max_ns, ok[i].ns);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0, sizeof(r));
		why = NULL;
		CU_ASSERT_EQUAL(clog_rot_parse(&r, bad[i], &why), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(why);
		CU_ASSERT_EQUAL(r.max_bytes, 0);
		CU_ASSERT_EQUAL(r.max_ns, 0);
	}
	clog_rot_parse(&r, "10m", &why);
	CU_ASSERT_STRING_EQUAL(why, "'m' is ambiguous: say min for minutes or M for MiB");
}

/* Size: the frame that reaches the limit stays; the next one starts a file. */
static void test_due_size(void)
{
	struct clog_rot r = {.max_bytes = 100, .seq = 1};
	uint64_t bytes = 0, ts = 1000;
	unsigned int frames = 0, files = 1;
	int i;

	/* an empty file takes any frame, whatever its header costs */
	CU_ASSERT_EQUAL(clog_rot_due(&r, 500, ts), 0);
	for (i = 0; i < 100; i++, ts++) {
		if (clog_rot_due(&r, bytes, ts)) {
			/* only ever at or past the limit, never before */
			CU_ASSERT(bytes >= 100);
			CU_ASSERT(bytes < 100 + 30);
			clog_rot_next(&r);
			bytes = 0;
			files++;
		}
		clog_rot_frame(&r, ts);
		bytes += 30; /* a 30-byte line */
		frames++;
	}
	/* 4 lines (120 bytes) a file: 25 files, and every frame in one */
	CU_ASSERT_EQUAL(files, 25);
	CU_ASSERT_EQUAL(r.seq, 25);
	CU_ASSERT_EQUAL(r.nframes, 4);
	CU_ASSERT_EQUAL(frames, 100);
}

/* Time: by the frames' own times, from the file's first frame. */
static void test_due_time(void)
{
	struct clog_rot r = {.max_ns = 10, .seq = 1};

	CU_ASSERT_EQUAL(clog_rot_due(&r, 0, 1000), 0);
	clog_rot_frame(&r, 1000);
	CU_ASSERT_EQUAL(clog_rot_due(&r, 0, 1009), 0);
	clog_rot_frame(&r, 1009);
	/* a clock step back: no rotation, and no wrap-around */
	CU_ASSERT_EQUAL(clog_rot_due(&r, 0, 5), 0);
	CU_ASSERT_EQUAL(clog_rot_due(&r, 0, 1010), 1);
	clog_rot_next(&r);
	CU_ASSERT_EQUAL(r.seq, 2);
	CU_ASSERT_EQUAL(clog_rot_due(&r, 0, 1010), 0);
	clog_rot_frame(&r, 1010);
	CU_ASSERT_EQUAL(r.first_ns, 1010);
	CU_ASSERT_EQUAL(clog_rot_due(&r, 1u << 30, 1019), 0); /* no size limit */
	CU_ASSERT_EQUAL(clog_rot_due(&r, 0, 1020), 1);
}

static void test_names(void)
{
	static const struct {
		const char *path;
		unsigned int seq;
		const char *want;
	} cases[] = {
		{"x.log", 1, "x-0001.log"},
		{"x.log", 12, "x-0012.log"},
		{"x.log", 10000, "x-10000.log"},
		{"/tmp/run.1/cap.trc", 2, "/tmp/run.1/cap-0002.trc"},
		{"a.b.asc", 3, "a.b-0003.asc"},
		{"dir.d/noext", 4, "dir.d/noext-0004"},
		{".log", 5, ".log-0005"},
	};
	char out[64];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(clog_rot_name(cases[i].path, cases[i].seq, out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(out, cases[i].want);
	}
	CU_ASSERT_EQUAL(clog_rot_name("x.log", 1, out, 10), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(clog_rot_name("x.log", 1, out, 11), 0);
}

/* The extension is the format's name; .log is candump's. */
static void test_format_for_path(void)
{
	const char *why = NULL;

	CU_ASSERT_PTR_EQUAL(clog_format_for_path("x.log", &why), &clog_fmt_candump);
	CU_ASSERT_PTR_EQUAL(clog_format_for_path("d.x/y.candump", &why), &clog_fmt_candump);
	CU_ASSERT_PTR_EQUAL(clog_format_for_path("x.asc", &why), &clog_fmt_asc);
	CU_ASSERT_PTR_EQUAL(clog_format_for_path("x.trc", &why), &clog_fmt_trc);
	CU_ASSERT_PTR_NULL(clog_format_for_path("x", &why));
	CU_ASSERT_STRING_EQUAL(why, "no extension to name the format");
	CU_ASSERT_PTR_NULL(clog_format_for_path("d.asc/x", &why));
	CU_ASSERT_PTR_NULL(clog_format_for_path(".log", &why));
	CU_ASSERT_PTR_NULL(clog_format_for_path("x.", &why));
	/* read only, or not a format at all */
	CU_ASSERT_PTR_NULL(clog_format_for_path("x.screen", &why));
	CU_ASSERT_STRING_EQUAL(why, "the extension names no format this build writes");
	CU_ASSERT_PTR_NULL(clog_format_for_path("x.txt", &why));
}

static int register_clog_rot_tests(void)
{
	CU_pSuite s = CU_add_suite("clog_rot (recording into numbered files)", NULL, NULL);

	if (!s || !CU_add_test(s, "--rotate SIZE|TIME", test_parse) ||
	    !CU_add_test(s, "size: no frame lost, none early", test_due_size) ||
	    !CU_add_test(s, "time: by the frames' times", test_due_time) ||
	    !CU_add_test(s, "numbered names", test_names) ||
	    !CU_add_test(s, "format from the extension", test_format_for_path))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(clog_rot, register_clog_rot_tests)
