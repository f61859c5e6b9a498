/* SPDX-License-Identifier: MIT */
/* test_clog.c - log formats: exact round trips, errors, streaming, ASC. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "clog.h"
#include "unit.h"

/* Convert buf with format `to` into a malloc'd string via a pipe-less tmpfile. */
static char *convert_mem(const char *buf, const struct clog_format *from,
			 const struct clog_format *to, int *bad)
{
	static struct clog_writer w;
	struct clog_reader r;
	struct clog_rec rec;
	FILE *tmp = tmpfile();
	char *out;
	long n;
	int e;

	*bad = 0;
	if (!tmp || clog_reader_open_mem(&r, "mem", buf, strlen(buf), from))
		return NULL;
	clog_writer_init(&w, fileno(tmp), to, NULL);
	while ((e = clog_read(&r, &rec)) != 0) {
		if (e < 0) {
			(*bad)++;
			continue;
		}
		clog_write(&w, &rec);
	}
	clog_writer_fini(&w);
	clog_reader_close(&r);
	n = lseek(fileno(tmp), 0, SEEK_END);
	out = calloc(1, (size_t)n + 1);
	if (out && pread(fileno(tmp), out, (size_t)n, 0) != n) {
		free(out);
		out = NULL;
	}
	fclose(tmp);
	return out;
}

static void test_candump_roundtrip(void)
{
	const char *in = "(1700000000.000123) vcan0 123#DEADBEEF\n"
			 "(1700000000.000200) vcan1 12345678#11223344 T\n"
			 "(1700000000.000300) vcan0 123#R\n"
			 "(1700000000.000400) vcan0 123#R4\n"
			 "(1700000000.000500) vcan0 456##5112233445566778899AABBCC\n"
			 "(1700000000.000600) vcan0 456##7\n"
			 "(1700000000.001000) vcan0 20000080#0000000000000000\n"
			 "(1700000000.123456789) can10 7FF#\n"
			 "(0000000001.000000) x 000#00 R\n";
	char *out;
	int bad;

	out = convert_mem(in, &clog_fmt_candump, &clog_fmt_candump, &bad);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_STRING_EQUAL(out, in);
	free(out);
}

static void test_candump_normalises(void)
{
	char *out;
	int bad;

	/* dotted, lower case, CRLF, blank and comment lines, extra spaces */
	out = convert_mem("# comment\r\n\r\n(1700000000.000001)  vcan0   123#de.ad\r\n"
			  "(1700000000.000002) vcan0 1bc##1aa.bb",
			  &clog_fmt_candump, &clog_fmt_candump, &bad);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_STRING_EQUAL(out, "(1700000000.000001) vcan0 123#DEAD\n"
				    "(1700000000.000002) vcan0 1BC##1AABB\n");
	free(out);
}

static void expect_error(const char *line, const char *want)
{
	struct clog_reader r;
	struct clog_rec rec;

	char buf[256];

	/* a whole line, newline included: without it the file is torn there */
	snprintf(buf, sizeof(buf), "%s\n", line);
	CU_ASSERT_EQUAL_FATAL(
		clog_reader_open_mem(&r, "f.log", buf, strlen(buf), &clog_fmt_candump), 0);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), -EINVAL);
	CU_ASSERT_STRING_EQUAL(r.err, want);
	clog_reader_close(&r);
}

static void test_candump_errors(void)
{
	expect_error("vcan0 123#11", "f.log:1:1: expected '(' and a timestamp");
	expect_error("(1700000000.123) vcan0 123#11",
		     "f.log:1:16: timestamp needs 6 or 9 fractional digits");
	expect_error("(1700000000.000001 vcan0 123#11", "f.log:1:19: expected ')' after timestamp");
	expect_error("(1700000000.000001) vcan0 123#1G", "f.log:1:32: bad hex digit in data");
	expect_error("(1700000000.000001) vcan0", "f.log:1:26: missing CAN frame");
	expect_error("\n\n(1700000000.000001) vcan0 800#11",
		     "f.log:3:31: identifier out of range for its format");
	expect_error("(x.000001) vcan0 123#11", "f.log:1:2: bad timestamp seconds");
}

static void test_skip_bad_goes_on(void)
{
	const char *in = "(1700000000.000001) vcan0 123#11\n"
			 "garbage\n"
			 "(1700000000.000002) vcan0 123#1\n"
			 "(1700000000.000003) vcan0 124#22\n";
	struct clog_reader r;
	struct clog_rec rec;

	clog_reader_open_mem(&r, "f", in, strlen(in), NULL);
	CU_ASSERT_PTR_EQUAL(r.fmt, &clog_fmt_candump);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 1);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), -EINVAL);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), -EINVAL);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 1);
	CU_ASSERT_EQUAL(rec.f.id, 0x124);
	CU_ASSERT_EQUAL(rec.f.data[0], 0x22);
	CU_ASSERT_EQUAL(rec.f.ts_ns, 1700000000000003000ull);
	CU_ASSERT_EQUAL(r.line, 4);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 0);
	CU_ASSERT_EQUAL(r.nbad, 2);
	CU_ASSERT_EQUAL(r.nread, 2);
	clog_reader_close(&r);
}

/* a bad line in the middle is skippable; a bad last line with no newline is a
 * file cut there: fatal, "truncated at byte N" */
static void test_torn_last_line(void)
{
	const char *in = "(1700000000.000001) vcan0 123#11\n"
			 "garbage\n"
			 "(1700000000.000002) vcan0 124#2";
	const char *ok = "(1700000000.000001) vcan0 123#11\n(1700000000.000002) vcan0 124#22";
	struct clog_reader r;
	struct clog_rec rec;

	clog_reader_open_mem(&r, "f", in, strlen(in), NULL);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 1);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), -EINVAL);
	CU_ASSERT_FALSE(r.fatal);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), -EINVAL);
	CU_ASSERT_TRUE(r.fatal);
	CU_ASSERT_STRING_EQUAL(r.err, "f:3:32: truncated at byte 72: the file ends inside this "
				      "line (data bytes need two hex digits)");
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 0);
	clog_reader_close(&r);
	/* a last line without a newline that reads whole is a record */
	clog_reader_open_mem(&r, "f", ok, strlen(ok), NULL);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 1);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 1);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 0);
	CU_ASSERT_FALSE(r.fatal);
	clog_reader_close(&r);
}

/* the list --to and dump -l give is every format with a writer, and only those */
static void test_write_names(void)
{
	char names[512], wnames[512], *tok, *save = NULL, *p;
	const struct clog_format *f;
	int n = 0;

	snprintf(wnames, sizeof(wnames), "%s", clog_format_write_names());
	for (tok = strtok_r(wnames, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " ");
		tok[strcspn(tok, " ")] = 0;
		f = clog_format_find(tok);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_PTR_NOT_NULL(f->write);
		n++;
	}
	snprintf(names, sizeof(names), "%s", clog_format_names());
	save = NULL;
	for (tok = strtok_r(names, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " ");
		tok[strcspn(tok, " ")] = 0;
		f = clog_format_find(tok);
		if (!f) /* "read only)" of the alias note */
			continue;
		p = strstr(clog_format_write_names(), tok);
		CU_ASSERT_EQUAL(!!f->write, p != NULL);
		n -= !!f->write;
	}
	CU_ASSERT_EQUAL(n, 0);
}

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

static void test_asc_write_matches_log2asc(void)
{
	char *log = slurp(test_data("sample.log"));
	char *asc = slurp(test_data("sample.asc"));
	char *out;
	int bad;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_PTR_NOT_NULL_FATAL(asc);
	/* the golden file was written by can-utils log2asc with TZ=UTC */
	setenv("TZ", "UTC", 1);
	out = convert_mem(log, NULL, &clog_fmt_asc, &bad);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_STRING_EQUAL(out, asc);
	free(out);
	free(log);
	free(asc);
}

static void test_asc_read(void)
{
	char *asc = slurp(test_data("sample.asc"));
	struct clog_reader r;
	struct clog_rec rec;
	int n = 0, e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(asc);
	setenv("TZ", "UTC", 1);
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "a", asc, strlen(asc), NULL), 0);
	CU_ASSERT_PTR_EQUAL(r.fmt, &clog_fmt_asc);
	while ((e = clog_read(&r, &rec)) == 1) {
		n++;
		if (n == 1) {
			CU_ASSERT_EQUAL(rec.f.ts_ns, 1700000000000000000ull);
			CU_ASSERT_EQUAL(rec.f.id, 0x123);
			CU_ASSERT_EQUAL(rec.f.len, 4);
			CU_ASSERT_EQUAL(rec.f.data[3], 0xEF);
			CU_ASSERT_EQUAL(rec.ifname_len, 4);
			CU_ASSERT_NSTRING_EQUAL(rec.ifname, "can0", 4);
		} else if (n == 2) {
			CU_ASSERT_EQUAL(rec.f.flags, CF_EFF);
			CU_ASSERT_EQUAL(rec.f.dir, CF_DIR_TX);
		} else if (n == 4) {
			CU_ASSERT_EQUAL(rec.f.flags, CF_RTR);
			CU_ASSERT_EQUAL(rec.f.len, 4);
		} else if (n == 5) {
			CU_ASSERT_EQUAL(rec.f.flags, CF_FD | CF_BRS);
			CU_ASSERT_EQUAL(rec.f.len, 12);
		} else if (n == 7) {
			CU_ASSERT(rec.f.flags & CF_ERR);
		} else if (n == 9) {
			CU_ASSERT_EQUAL(rec.f.len, 64);
			CU_ASSERT_EQUAL(rec.f.data[63], (63 * 7) & 0xFF);
			CU_ASSERT_EQUAL(rec.f.ts_ns, 1700000001999877000ull);
		}
	}
	CU_ASSERT_EQUAL(e, 0);
	CU_ASSERT_EQUAL(n, 10);
	clog_reader_close(&r);
	free(asc);
}

static void test_detect(void)
{
	struct clog_reader r;

	CU_ASSERT_EQUAL(clog_reader_open_mem(&r, "x", "hello\nworld\n", 12, NULL), -EPROTO);
	CU_ASSERT(strstr(r.err, "unknown log format") != NULL);
	CU_ASSERT_PTR_EQUAL(clog_format_find("asc"), &clog_fmt_asc);
	CU_ASSERT_PTR_EQUAL(clog_format_find("log"), &clog_fmt_candump);
	CU_ASSERT_PTR_EQUAL(clog_format_find("blf"), &clog_fmt_blf);
	CU_ASSERT_PTR_EQUAL(clog_format_find("candump-screen"), &clog_fmt_screen);
	CU_ASSERT_PTR_EQUAL(clog_format_find("screen"), &clog_fmt_screen);
}

/* The stream path (pipes, stdin) must give the same records as mmap. */
static void test_stream(void)
{
	struct clog_reader r;
	struct clog_rec rec;
	char path[64], *big;
	int p[2], n = 0, e;
	pid_t pid;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		big = malloc(CLOG_STREAM_BUF + 10);
		memset(big, 'x', CLOG_STREAM_BUF + 9);
		big[CLOG_STREAM_BUF + 9] = '\n';
		for (i = 0; i < 5000; i++) {
			char l[64];
			int k = snprintf(l, sizeof(l), "(1700000000.%06zu) vcan0 123#%02zX\n", i,
					 i & 0xFF);

			if (write(p[1], l, (size_t)k) != k)
				_exit(1);
			if (i == 2500 && write(p[1], big, CLOG_STREAM_BUF + 10) < 0)
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
	CU_ASSERT_EQUAL_FATAL(clog_reader_open(&r, path, NULL), 0);
	CU_ASSERT_EQUAL(r.mapped, 0);
	while ((e = clog_read(&r, &rec)) != 0) {
		if (e < 0) {
			CU_ASSERT(strstr(r.err, "line too long") != NULL);
			continue;
		}
		CU_ASSERT_EQUAL(rec.f.data[0], (uint8_t)n);
		n++;
	}
	CU_ASSERT_EQUAL(n, 5000);
	CU_ASSERT_EQUAL(r.nbad, 1);
	clog_reader_close(&r);
	close(p[0]);
}

/*
 * A live pipe: each record comes back as soon as its line is there, while
 * the writer keeps the pipe open (candump -L can0 | canrig dbc decode ...).
 * The writer waits for the reader's go-ahead; if it never comes, it sends
 * a late line and closes, which the reader must then not see.
 */
static void live_one(const char *line, uint32_t id)
{
	static const char late[] = "(1700000000.000002) vcan0 7FF#\n";
	struct clog_reader r;
	struct clog_rec rec;
	void (*old)(int);
	int data[2], ack[2], st;
	char path[64];
	pid_t pid;

	CU_ASSERT_EQUAL_FATAL(pipe(data), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(ack), 0);
	old = signal(SIGPIPE, SIG_IGN);
	pid = fork();
	if (pid == 0) {
		struct pollfd p = {.fd = ack[0], .events = POLLIN};

		close(data[0]);
		close(ack[1]);
		if (write(data[1], line, strlen(line)) < 0)
			_exit(1);
		if (poll(&p, 1, 10000) != 1 && write(data[1], late, sizeof(late) - 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(data[1]);
	close(ack[0]);
	snprintf(path, sizeof(path), "/dev/fd/%d", data[0]);
	CU_ASSERT_EQUAL_FATAL(clog_reader_open(&r, path, NULL), 0);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 1);
	CU_ASSERT_EQUAL(rec.f.id, id);
	CU_ASSERT_EQUAL(write(ack[1], "k", 1), 1);
	close(ack[1]);
	/* only the end: the late line would mean we had waited for it */
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 0);
	clog_reader_close(&r);
	close(data[0]);
	waitpid(pid, &st, 0);
	signal(SIGPIPE, old);
}

static void test_stream_live(void)
{
	live_one("(1700000000.000001) vcan0 123#11\n", 0x123);
	live_one("  vcan0  456   [1]  11\n", 0x456);
	live_one(" (1700000000.000001)  can0  TX - -  12345678   [1]  11\n", 0x12345678);
}

/* stop_tick: SIGALRM sets the stop flag; if a reader ignores it, the 20th
 * tick writes a line so that the read ends (and the test fails, not hangs) */
static volatile sig_atomic_t stop_flag, stop_ticks;
static int stop_wfd = -1;

static void stop_tick(int sig)
{
	static const char line[] = "(1700000000.000002) vcan0 456#22\n";

	(void)sig;
	stop_flag = 1;
	if (++stop_ticks == 20 && write(stop_wfd, line, sizeof(line) - 1) < 0)
		stop_flag = 2;
}

/* A signal with the stop flag set ends a read that waits on a pipe. */
static void test_stream_stop(void)
{
	static const char first[] = "(1700000000.000001) vcan0 123#11\n";
	struct itimerval it = {{0, 20000}, {0, 20000}}, off = {{0, 0}, {0, 0}};
	struct sigaction sa, old;
	struct clog_reader r;
	struct clog_rec rec;
	char path[64];
	int p[2], e;

	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	CU_ASSERT_EQUAL_FATAL(write(p[1], first, sizeof(first) - 1), (ssize_t)sizeof(first) - 1);
	snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
	CU_ASSERT_EQUAL_FATAL(clog_reader_open(&r, path, NULL), 0);
	r.stop = &stop_flag;
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 1);
	stop_wfd = p[1];
	stop_flag = stop_ticks = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_tick; /* no SA_RESTART: read() sees EINTR */
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	e = clog_read(&r, &rec); /* nothing more on the pipe: waits */
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	CU_ASSERT_EQUAL(e, -EINTR);
	CU_ASSERT(stop_ticks < 20);
	clog_reader_close(&r);
	close(p[0]);
	close(p[1]);
}

/*
 * The golden captures in tests/data/screen/ are the same 23 frames (classic,
 * FD with BRS/ESI, 29-bit, remote, error frames, the DBC demo's messages)
 * as printed at once by can-utils 2020.11 candump in the qemu guest with
 * TZ=UTC: -L, -L -x, and the screen format with no -t, -t a|d|z|A, -x,
 * -t a -x, and -e -a.
 */
static void screen_vs_log(const char *screen, const char *log, unsigned int flags)
{
	char *sb = slurp(test_data(screen)), *lb = slurp(test_data(log));
	struct clog_reader rs, rl;
	struct clog_rec a, b;
	uint64_t first = 0;
	int n = 0, es, el, x = strstr(screen, "-x") != NULL;
	char ta = strstr(screen, "-ta")	  ? 'a'
		  : strstr(screen, "-tA") ? 'A'
		  : strstr(screen, "-td") ? 'd'
		  : strstr(screen, "-tz") ? 'z'
					  : 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lb);
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&rs, screen, sb, strlen(sb), NULL), 0);
	CU_ASSERT_PTR_EQUAL(rs.fmt, &clog_fmt_screen);
	rs.flags = flags;
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&rl, log, lb, strlen(lb), NULL), 0);
	CU_ASSERT_PTR_EQUAL(rl.fmt, &clog_fmt_candump);
	for (;;) {
		es = clog_read(&rs, &a);
		el = clog_read(&rl, &b);
		CU_ASSERT_EQUAL(es, el);
		if (es != 1 || el != 1) {
			if (es < 0)
				fprintf(stderr, "%s\n", rs.err);
			break;
		}
		if (!n)
			first = b.f.ts_ns;
		n++;
		CU_ASSERT_EQUAL(a.f.id, b.f.id);
		CU_ASSERT_EQUAL(a.f.len, b.f.len);
		/* only -x shows BRS and ESI */
		CU_ASSERT_EQUAL(a.f.flags, x ? b.f.flags : b.f.flags & ~(CF_BRS | CF_ESI));
		if (a.f.len && !(a.f.flags & CF_RTR))
			CU_ASSERT(a.f.data && !memcmp(a.f.data, b.f.data, a.f.len));
		CU_ASSERT(a.ifname_len == b.ifname_len &&
			  !memcmp(a.ifname, b.ifname, a.ifname_len));
		CU_ASSERT_EQUAL(a.f.dir, b.f.dir);
		CU_ASSERT_EQUAL(a.extra_len, b.extra_len);
		if (a.extra_len == b.extra_len && a.extra_len)
			CU_ASSERT(!memcmp(a.extra, b.extra, a.extra_len));
		CU_ASSERT_EQUAL(a.ts_digits, 6);
		switch (ta) {
		case 'a':
		case 'A':
			CU_ASSERT_EQUAL(a.ts_kind, CLOG_TS_ABS);
			CU_ASSERT_EQUAL(a.f.ts_ns, b.f.ts_ns);
			break;
		case 'd':
		case 'z':
			CU_ASSERT_EQUAL(a.ts_kind, CLOG_TS_REL);
			CU_ASSERT_EQUAL(a.f.ts_ns, b.f.ts_ns - first);
			break;
		default:
			/* a file without times reads as 0: repeatable output */
			CU_ASSERT_EQUAL(a.ts_kind, CLOG_TS_NONE);
			CU_ASSERT_EQUAL(a.f.ts_ns, 0);
		}
	}
	CU_ASSERT_EQUAL(n, 23);
	CU_ASSERT_EQUAL(rs.nbad, 0);
	clog_reader_close(&rs);
	clog_reader_close(&rl);
	free(sb);
	free(lb);
}

static void test_screen_golden(void)
{
	setenv("TZ", "UTC", 1); /* -t A prints local time; captured with TZ=UTC */
	screen_vs_log("screen/screen.txt", "screen/L.log", 0);
	screen_vs_log("screen/screen-ta.txt", "screen/L.log", 0);
	screen_vs_log("screen/screen-tA.txt", "screen/L.log", 0);
	screen_vs_log("screen/screen-tz.txt", "screen/L.log", 0);
	screen_vs_log("screen/screen-td.txt", "screen/L.log", CLOG_RD_DELTA);
	screen_vs_log("screen/screen-x.txt", "screen/Lx.log", 0);
	screen_vs_log("screen/screen-ta-x.txt", "screen/Lx.log", 0);
	screen_vs_log("screen/screen-e-a.txt", "screen/L.log", 0);
}

static void expect_screen_error(const char *line, const char *want)
{
	struct clog_reader r;
	struct clog_rec rec;

	char buf[256];

	/* a whole line, newline included: without it the file is torn there */
	snprintf(buf, sizeof(buf), "%s\n", line);
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "s.txt", buf, strlen(buf), &clog_fmt_screen),
			      0);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), -EINVAL);
	CU_ASSERT_STRING_EQUAL(r.err, want);
	if (strcmp(r.err, want))
		fprintf(stderr, "\n  got  %s\n  want %s\n", r.err, want);
	clog_reader_close(&r);
}

static void test_screen_errors(void)
{
	expect_screen_error("  vcan0  123   [9]  01 02 03 04 05 06 07 08 09",
			    "s.txt:1:16: length must be 0-8 in [N] or a CAN FD length in [NN]");
	expect_screen_error("  vcan0  123  [09]  01",
			    "s.txt:1:15: length must be 0-8 in [N] or a CAN FD length in [NN]");
	expect_screen_error("  vcan0  123   [3]  DE AD",
			    "s.txt:1:26: fewer data bytes than the length says");
	expect_screen_error("  vcan0  123   [2]  DE AD BE",
			    "s.txt:1:27: unexpected text after the data");
	expect_screen_error("  vcan0  12   [1]  11",
			    "s.txt:1:10: CAN id must have 3 (11-bit) or 8 (29-bit) hex digits");
	expect_screen_error("  vcan0  123   [1]  1G", "s.txt:1:21: bad hex byte in data");
	expect_screen_error(" (1700000000.05)  vcan0  123   [1]  11",
			    "s.txt:1:16: timestamp needs 6 or 9 fractional digits");
	expect_screen_error(" (1700000000.050000  vcan0  123   [1]  11",
			    "s.txt:1:2: expected ')' after timestamp");
	expect_screen_error("  vcan0  TX X -  123   [1]  11",
			    "s.txt:1:13: expected 'B' or '-' (candump -x BRS column)");
	expect_screen_error("  vcan0  TX B -  123   [1]  11",
			    "s.txt:1:18: BRS or ESI (candump -x) on a classic frame");
	expect_screen_error("  vcan0", "s.txt:1:8: missing CAN id");
	expect_screen_error("\n\n  vcan0  800   [1]  11",
			    "s.txt:3:10: identifier out of range for its format");
}

/* -t d and -t z print alike: the reader adds deltas up only when told. */
static void test_screen_delta(void)
{
	static const char in[] = " (000.000000)  can0  123   [0] \n"
				 " (000.010000)  can0  123   [0] \n"
				 " (001.020000)  can0  123   [0] \n";
	static const char ns[] = " (1700000000.123456789)  can0  123   [0] \n";
	static const uint64_t want[2][3] = {{0, 10000000, 1020000000}, {0, 10000000, 1030000000}};
	struct clog_reader r;
	struct clog_rec rec;
	int d, i;

	for (d = 0; d < 2; d++) {
		CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "d", in, sizeof(in) - 1, NULL), 0);
		CU_ASSERT_PTR_EQUAL(r.fmt, &clog_fmt_screen);
		r.flags = d ? CLOG_RD_DELTA : 0;
		for (i = 0; i < 3; i++) {
			CU_ASSERT_EQUAL(clog_read(&r, &rec), 1);
			CU_ASSERT_EQUAL(rec.f.ts_ns, want[d][i]);
			CU_ASSERT_EQUAL(rec.ts_kind, CLOG_TS_REL);
		}
		CU_ASSERT_EQUAL(clog_read(&r, &rec), 0);
		clog_reader_close(&r);
	}
	/* canrig dump -9 -t a keeps nanoseconds */
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "n", ns, sizeof(ns) - 1, NULL), 0);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 1);
	CU_ASSERT_EQUAL(rec.f.ts_ns, 1700000000123456789ull);
	CU_ASSERT_EQUAL(rec.ts_digits, 9);
	CU_ASSERT_EQUAL(rec.ts_kind, CLOG_TS_ABS);
	clog_reader_close(&r);
}

static void test_format_ts(void)
{
	char b[32];

	clog_format_ts(1700000000123456789ull, 6, b);
	CU_ASSERT_STRING_EQUAL(b, "(1700000000.123456)");
	clog_format_ts(1700000000123456789ull, 9, b);
	CU_ASSERT_STRING_EQUAL(b, "(1700000000.123456789)");
	clog_format_ts(5000000001ull, 6, b);
	CU_ASSERT_STRING_EQUAL(b, "(0000000005.000000)");
}

/* Inputs that once crashed a fuzzer: each must now fail cleanly. */
static void test_regressions(void)
{
	static const char *const files[] = {"regress/rtr-bad-id.txt", "regress/asc-rtr-bad-id.txt",
					    "regress/asc-fd-txrq.txt"};
	const struct clog_format *fmts[] = {NULL, &clog_fmt_candump, &clog_fmt_asc};
	struct clog_reader r;
	struct clog_rec rec;
	unsigned int i, k;
	int e, errors;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *buf = slurp(test_data(files[i]));

		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		for (k = 0; k < 3; k++) {
			if (clog_reader_open_mem(&r, files[i], buf, strlen(buf), fmts[k]))
				continue;
			errors = 0;
			while ((e = clog_read(&r, &rec)) != 0) {
				if (e < 0) {
					errors++;
					CU_ASSERT(strstr(r.err, files[i]) == r.err);
				} else {
					CU_ASSERT_PTR_NOT_NULL(rec.ifname);
				}
			}
			CU_ASSERT(errors > 0 || k == 2 || i == 2);
			clog_reader_close(&r);
		}
		free(buf);
	}
}

/*
 * ASC -> candump equals can-utils asc2log: the golden .log is asc2log's own
 * output (TZ=UTC, en_US locale so it parses the "pm" date).  Error frames
 * must carry CAN_ERR_BUSERROR and the date's milliseconds must be kept.
 */
/* No record at all (a recording of a quiet bus): every format that has a
 * header still writes it, and the file reads back, detected, as empty. */
static void test_empty_is_valid(void)
{
	static const char *const names[] = {"blf", "pcapng", "pcap", "asc", "trc"};
	static struct clog_writer w;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct clog_format *f = clog_format_find(names[i]);
		struct clog_reader r;
		struct clog_rec rec;
		FILE *tmp = tmpfile();
		char *buf;
		long n;

		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);
		CU_ASSERT_EQUAL(clog_writer_init(&w, fileno(tmp), f, NULL), 0);
		CU_ASSERT_EQUAL(clog_writer_fini(&w), 0);
		n = lseek(fileno(tmp), 0, SEEK_END);
		CU_ASSERT(n > 0);
		buf = calloc(1, (size_t)n + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		CU_ASSERT_EQUAL(pread(fileno(tmp), buf, (size_t)n, 0), n);
		/* NULL: detected from the content, as the tools do */
		CU_ASSERT_EQUAL(clog_reader_open_mem(&r, names[i], buf, (size_t)n, NULL), 0);
		CU_ASSERT_PTR_EQUAL(r.fmt, f);
		CU_ASSERT_EQUAL(clog_read(&r, &rec), 0);
		clog_reader_close(&r);
		free(buf);
		fclose(tmp);
	}
}

static void test_asc_matches_asc2log(void)
{
	char *asc = slurp(test_data("asc2log-err.asc"));
	char *log = slurp(test_data("asc2log-err.log"));
	char *out;
	int bad;

	CU_ASSERT_PTR_NOT_NULL_FATAL(asc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	setenv("TZ", "UTC", 1);
	out = convert_mem(asc, NULL, &clog_fmt_candump, &bad);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, log);
	free(out);
	free(log);
	free(asc);
}

static int register_clog_tests(void)
{
	CU_pSuite s = CU_add_suite("clog (log formats)", NULL, NULL);

	if (!s || !CU_add_test(s, "candump exact round trip", test_candump_roundtrip) ||
	    !CU_add_test(s, "candump input variants", test_candump_normalises) ||
	    !CU_add_test(s, "malformed lines: file:line:col", test_candump_errors) ||
	    !CU_add_test(s, "bad lines can be skipped", test_skip_bad_goes_on) ||
	    !CU_add_test(s, "a torn last line is fatal", test_torn_last_line) ||
	    !CU_add_test(s, "the writable formats' list", test_write_names) ||
	    !CU_add_test(s, "ASC output equals log2asc", test_asc_write_matches_log2asc) ||
	    !CU_add_test(s, "ASC input", test_asc_read) ||
	    !CU_add_test(s, "format detection", test_detect) ||
	    !CU_add_test(s, "streaming from a pipe", test_stream) ||
	    !CU_add_test(s, "a live pipe streams line by line", test_stream_live) ||
	    !CU_add_test(s, "a signal with stop set ends a waiting read", test_stream_stop) ||
	    !CU_add_test(s, "candump screen captures = -L", test_screen_golden) ||
	    !CU_add_test(s, "screen format errors: file:line:col", test_screen_errors) ||
	    !CU_add_test(s, "screen -t d deltas add up", test_screen_delta) ||
	    !CU_add_test(s, "timestamp text", test_format_ts) ||
	    !CU_add_test(s, "fuzzer crash inputs", test_regressions) ||
	    !CU_add_test(s, "ASC to candump equals asc2log", test_asc_matches_asc2log) ||
	    !CU_add_test(s, "no record: a valid, empty file", test_empty_is_valid))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(clog, register_clog_tests)
