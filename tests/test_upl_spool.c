/* SPDX-License-Identifier: MIT */
/* test_upl_spool.c - the uplink spool on a temporary directory: order,
 * acknowledgements across reopen and kill -9, torn and corrupt records,
 * the size bound and the drop count. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "upl_spool.h"

static char dir[64];
static char logbuf[8192];
static unsigned int nlog;

static void logcb(void *ctx, const char *msg)
{
	(void)ctx;
	nlog++;
	if (strlen(logbuf) + strlen(msg) + 2 < sizeof(logbuf)) {
		strcat(logbuf, msg);
		strcat(logbuf, "\n");
	}
}

static void clear_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			unlink(p);
		}
	closedir(d);
}

static int setup(void)
{
	strcpy(dir, "/tmp/canrig-spool-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void)
{
	clear_dir();
	rmdir(dir);
	return 0;
}

static struct upl_spool *sopen(uint64_t max, uint32_t seg)
{
	struct upl_spool_opts o = {
		.dir = dir, .max_bytes = max, .seg_bytes = seg, .no_sync = 1, .log = logcb};
	struct upl_spool *sp = NULL;
	char err[256];

	logbuf[0] = 0;
	nlog = 0;
	CU_ASSERT_EQUAL_FATAL(upl_spool_open(&o, &sp, err, sizeof(err)), 0);
	return sp;
}

static void put(struct upl_spool *sp, unsigned int i, size_t len)
{
	char b[4096];
	uint64_t seq;

	memset(b, 'a' + (int)(i % 26), sizeof(b));
	snprintf(b, sizeof(b), "rec %u;", i);
	b[strlen(b)] = 'x';
	CU_ASSERT_EQUAL(upl_spool_append(sp, b, len, &seq), 0);
}

/* The next record must be record i (as put() wrote it); returns its seq. */
static uint64_t expect(struct upl_spool *sp, unsigned int i)
{
	const void *d;
	size_t len;
	uint64_t seq = ~0ull;
	char want[32];

	snprintf(want, sizeof(want), "rec %u;", i);
	CU_ASSERT_EQUAL(upl_spool_next(sp, &d, &len, &seq), 1);
	if (seq != ~0ull)
		CU_ASSERT_EQUAL(memcmp(d, want, strlen(want)), 0);
	return seq;
}

static void expect_none(struct upl_spool *sp)
{
	const void *d;
	size_t len;
	uint64_t seq;

	CU_ASSERT_EQUAL(upl_spool_next(sp, &d, &len, &seq), 0);
}

static uint64_t disk_bytes(unsigned int *nseg)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	char p[512];
	uint64_t n = 0;

	*nseg = 0;
	while (d && (de = readdir(d)))
		if (strstr(de->d_name, ".seg")) {
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			if (!stat(p, &st)) {
				n += (uint64_t)st.st_size;
				(*nseg)++;
			}
		}
	if (d)
		closedir(d);
	return n;
}

static void test_append_ack_reopen(void)
{
	struct upl_spool *sp;
	struct upl_spool_stats st;
	unsigned int i;

	clear_dir();
	sp = sopen(1 << 20, 64 << 10);
	for (i = 0; i < 10; i++)
		put(sp, i, 100);
	for (i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(expect(sp, i), i);
	expect_none(sp);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(upl_spool_ack(sp, i), 0);
	CU_ASSERT_EQUAL(upl_spool_ack(sp, 3), -ENOENT); /* not in flight any more */
	upl_spool_stats(sp, &st);
	CU_ASSERT_EQUAL(st.cursor, 5);
	CU_ASSERT_EQUAL(st.pending, 5);
	CU_ASSERT_EQUAL(st.acked, 5);
	upl_spool_close(sp);

	sp = sopen(1 << 20, 64 << 10);
	CU_ASSERT_EQUAL(nlog, 0);
	for (i = 5; i < 10; i++)
		CU_ASSERT_EQUAL(expect(sp, i), i);
	expect_none(sp);
	put(sp, 10, 50); /* numbering goes on */
	CU_ASSERT_EQUAL(expect(sp, 10), 10);
	for (i = 5; i <= 10; i++)
		CU_ASSERT_EQUAL(upl_spool_ack(sp, i), 0);
	upl_spool_stats(sp, &st);
	CU_ASSERT_EQUAL(st.pending, 0);
	/* nothing unacknowledged: only the segment being appended to stays */
	CU_ASSERT(st.segments <= 1);
	upl_spool_close(sp);

	sp = sopen(1 << 20, 64 << 10);
	expect_none(sp);
	upl_spool_stats(sp, &st);
	CU_ASSERT_EQUAL(st.next_seq, 11);
	CU_ASSERT_EQUAL(st.segments, 0);
	upl_spool_close(sp);
}

/* kill -9: a second spool opens the directory the first never closed (a
 * child process that kills itself: the lock must not outlive it). */
static void test_kill9(void)
{
	struct upl_spool *a, *b;
	unsigned int i;
	int st = 0;
	pid_t pid;

	clear_dir();
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		a = sopen(1 << 20, 64 << 10);
		for (i = 0; i < 6; i++)
			put(a, i, 200);
		for (i = 0; i < 6; i++)
			expect(a, i);
		if (upl_spool_ack(a, 0) || upl_spool_ack(a, 1) || upl_spool_ack(a, 2))
			_exit(1);
		raise(SIGKILL);
		_exit(1);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	b = sopen(1 << 20, 64 << 10);
	for (i = 3; i < 6; i++) /* only what was in flight, in order */
		CU_ASSERT_EQUAL(expect(b, i), i);
	expect_none(b);
	upl_spool_close(b);
}

/* A broken connection: what was in flight comes again, nothing else. */
static void test_rewind(void)
{
	struct upl_spool *sp;
	unsigned int i;

	clear_dir();
	sp = sopen(1 << 20, 64 << 10);
	for (i = 0; i < UPL_INFLIGHT + 4; i++)
		put(sp, i, 64);
	for (i = 0; i < UPL_INFLIGHT; i++)
		expect(sp, i);
	expect_none(sp); /* the window is full */
	CU_ASSERT_EQUAL(upl_spool_ack(sp, 1), 0);
	CU_ASSERT_EQUAL(upl_spool_ack(sp, 0), 0);
	upl_spool_rewind(sp);
	for (i = 2; i < UPL_INFLIGHT + 4; i++) {
		CU_ASSERT_EQUAL(expect(sp, i), i);
		CU_ASSERT_EQUAL(upl_spool_ack(sp, i), 0);
	}
	expect_none(sp);
	upl_spool_close(sp);
}

static void seg_path(char *p, size_t cap, uint64_t first)
{
	snprintf(p, cap, "%s/%016llx.seg", dir, (unsigned long long)first);
}

static size_t read_all(const char *p, uint8_t *buf, size_t cap)
{
	int fd = open(p, O_RDONLY);
	ssize_t k = fd >= 0 ? read(fd, buf, cap) : -1;

	if (fd >= 0)
		close(fd);
	return k < 0 ? 0 : (size_t)k;
}

static void write_all(const char *p, const uint8_t *buf, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* A power cut inside the last record, at every byte: the records before
 * it are all there, it is never misread, and numbering goes on. */
static void test_torn_every_byte(void)
{
	static uint8_t orig[4096];
	struct upl_spool *sp;
	char p[512];
	size_t size, start, cut;
	unsigned int i, bad = 0;

	clear_dir();
	sp = sopen(1 << 20, 64 << 10);
	for (i = 0; i < 3; i++)
		put(sp, i, 40 + i);
	upl_spool_close(sp);
	seg_path(p, sizeof(p), 0);
	size = read_all(p, orig, sizeof(orig));
	CU_ASSERT_EQUAL_FATAL(size, 3 * UPL_REC_HDR + 40 + 41 + 42);
	start = size - (UPL_REC_HDR + 42);
	for (cut = start; cut < size; cut++) {
		clear_dir();
		write_all(p, orig, cut);
		sp = sopen(1 << 20, 64 << 10);
		if (cut > start && !strstr(logbuf, "torn record at offset"))
			bad++;
		if (cut == start && nlog)
			bad++;
		CU_ASSERT_EQUAL(expect(sp, 0), 0);
		CU_ASSERT_EQUAL(expect(sp, 1), 1);
		expect_none(sp);
		put(sp, 2, 10);
		upl_spool_close(sp);
		sp = sopen(1 << 20, 64 << 10);
		CU_ASSERT_EQUAL(nlog, 0); /* the tail was cut off once */
		CU_ASSERT_EQUAL(expect(sp, 0), 0);
		CU_ASSERT_EQUAL(expect(sp, 1), 1);
		CU_ASSERT_EQUAL(expect(sp, 2), 2);
		expect_none(sp);
		upl_spool_close(sp);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* One flipped bit mid-segment: that record is skipped with a message, the
 * others are read. */
static void test_corrupt_mid(void)
{
	static uint8_t buf[4096];
	struct upl_spool *sp;
	char p[512];
	size_t size;
	unsigned int i;

	clear_dir();
	sp = sopen(1 << 20, 64 << 10);
	for (i = 0; i < 4; i++)
		put(sp, i, 100);
	upl_spool_close(sp);
	seg_path(p, sizeof(p), 0);
	size = read_all(p, buf, sizeof(buf));
	buf[UPL_REC_HDR + 100 + UPL_REC_HDR + 50] ^= 0x10; /* record 1's payload */
	write_all(p, buf, size);
	sp = sopen(1 << 20, 64 << 10);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(logbuf, "0000000000000000.seg: corrupt record at offset 120"));
	CU_ASSERT_EQUAL(expect(sp, 0), 0);
	CU_ASSERT_EQUAL(expect(sp, 2), 2);
	CU_ASSERT_EQUAL(expect(sp, 3), 3);
	expect_none(sp);
	upl_spool_close(sp);

	/* a length that points past the end is caught the same way */
	buf[UPL_REC_HDR + 100 + UPL_REC_HDR + 50] ^= 0x10;
	buf[UPL_REC_HDR + 100 + 5] = 0x7f;
	write_all(p, buf, size);
	sp = sopen(1 << 20, 64 << 10);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "corrupt record at offset 120"));
	CU_ASSERT_EQUAL(expect(sp, 0), 0);
	CU_ASSERT_EQUAL(expect(sp, 2), 2);
	upl_spool_close(sp);
}

/* max_bytes: the oldest segments go, each counted and logged, and the disk
 * never holds more than max_bytes plus one segment. */
static void test_size_bound(void)
{
	const uint32_t seg = 4096;
	const uint64_t max = 4 * seg;
	struct upl_spool *sp;
	struct upl_spool_stats st;
	unsigned int i, nseg, over = 0, drops;
	uint64_t first;

	clear_dir();
	sp = sopen(max, seg);
	for (i = 0; i < 200; i++) {
		put(sp, i, 1000);
		if (disk_bytes(&nseg) > max + seg)
			over++;
	}
	CU_ASSERT_EQUAL(over, 0);
	upl_spool_stats(sp, &st);
	CU_ASSERT(st.dropped_segments > 0);
	CU_ASSERT_EQUAL(st.dropped + st.pending, 200);
	CU_ASSERT_EQUAL(st.bytes, disk_bytes(&nseg));
	CU_ASSERT_EQUAL(st.segments, nseg);
	drops = 0;
	for (const char *q = logbuf; (q = strstr(q, "spool full: dropped")); q++)
		drops++;
	CU_ASSERT_EQUAL(drops, st.dropped_segments);
	/* the newest survive, in order, from where the drops stopped */
	first = st.dropped;
	for (i = (unsigned int)first; i < 200 && i < first + 10; i++)
		CU_ASSERT_EQUAL(expect(sp, i), i);
	upl_spool_close(sp);
}

/* Records in flight when their segment is dropped: their late
 * acknowledgement changes nothing, the count is exact. */
static void test_drop_inflight(void)
{
	const uint32_t seg = 4096;
	struct upl_spool *sp;
	struct upl_spool_stats st;
	unsigned int i;

	clear_dir();
	sp = sopen(2 * seg, seg);
	for (i = 0; i < 3; i++)
		put(sp, i, 1000);
	expect(sp, 0);
	expect(sp, 1);
	CU_ASSERT_EQUAL(upl_spool_ack(sp, 0), 0);
	for (i = 3; i < 12; i++)
		put(sp, i, 1000);
	upl_spool_stats(sp, &st);
	CU_ASSERT(st.dropped_segments > 0);
	CU_ASSERT_EQUAL(st.acked + st.dropped + st.pending, 12);
	CU_ASSERT_EQUAL(upl_spool_ack(sp, 1), -ENOENT);
	CU_ASSERT_EQUAL(expect(sp, (unsigned int)st.cursor), st.cursor);
	upl_spool_close(sp);
	/* the cursor moved past the dropped records on disk as well */
	sp = sopen(2 * seg, seg);
	CU_ASSERT_EQUAL(expect(sp, (unsigned int)st.cursor), st.cursor);
	upl_spool_close(sp);
}

/* A damaged cursor re-sends (at least once), never skips. */
static void test_bad_cursor(void)
{
	struct upl_spool *sp;
	char p[512];
	unsigned int i;

	clear_dir();
	sp = sopen(1 << 20, 64 << 10);
	for (i = 0; i < 3; i++)
		put(sp, i, 10);
	expect(sp, 0);
	CU_ASSERT_EQUAL(upl_spool_ack(sp, 0), 0);
	upl_spool_close(sp);
	snprintf(p, sizeof(p), "%s/ack", dir);
	write_all(p, (const uint8_t *)"garbage!garbage!", 16);
	sp = sopen(1 << 20, 64 << 10);
	CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "ack cursor is damaged"));
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(expect(sp, i), i);
	upl_spool_close(sp);
}

static void test_seg_read(void)
{
	uint8_t buf[256];
	struct upl_rec r;
	size_t off = 0;

	memset(buf, 0xee, sizeof(buf));
	upl_rec_header(buf + 7, 42, "hello", 5);
	memcpy(buf + 7 + UPL_REC_HDR, "hello", 5);
	CU_ASSERT_EQUAL(upl_seg_read(buf, 7 + UPL_REC_HDR + 5, &off, &r), -EBADMSG);
	CU_ASSERT_EQUAL(off, 7);
	CU_ASSERT_EQUAL(r.len, 7);
	CU_ASSERT_EQUAL(upl_seg_read(buf, 7 + UPL_REC_HDR + 5, &off, &r), 1);
	CU_ASSERT_EQUAL(r.seq, 42);
	CU_ASSERT_EQUAL(r.len, 5);
	CU_ASSERT_EQUAL(memcmp(r.data, "hello", 5), 0);
	CU_ASSERT_EQUAL(upl_seg_read(buf, 7 + UPL_REC_HDR + 5, &off, &r), 0);
	CU_ASSERT_EQUAL(upl_spool_append(NULL, "", 0, NULL), -EMSGSIZE);
}

/* One process per directory: a second open is refused with the holder's
 * pid, and the lock goes when the holder closes (or dies: flock). */
static void test_lock(void)
{
	struct upl_spool_opts o = {.dir = dir, .max_bytes = 1 << 20, .no_sync = 1, .log = logcb};
	struct upl_spool *a, *b = NULL;
	char err[256], want[64];

	clear_dir();
	a = sopen(1 << 20, 0);
	snprintf(want, sizeof(want), "in use by pid %ld (lock ", (long)getpid());
	CU_ASSERT_EQUAL(upl_spool_open(&o, &b, err, sizeof(err)), -EBUSY);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	upl_spool_close(a);
	CU_ASSERT_EQUAL(upl_spool_open(&o, &b, err, sizeof(err)), 0);
	upl_spool_close(b);
}

static int register_upl_spool_tests(void)
{
	CU_pSuite s = CU_add_suite("upl_spool", setup, teardown);

	if (!s || !CU_add_test(s, "append, ack, reopen", test_append_ack_reopen) ||
	    !CU_add_test(s, "kill -9: only in-flight again", test_kill9) ||
	    !CU_add_test(s, "rewind after a lost connection", test_rewind) ||
	    !CU_add_test(s, "torn last record, every byte", test_torn_every_byte) ||
	    !CU_add_test(s, "corrupt record mid-segment", test_corrupt_mid) ||
	    !CU_add_test(s, "max_bytes bound and drops", test_size_bound) ||
	    !CU_add_test(s, "drop of records in flight", test_drop_inflight) ||
	    !CU_add_test(s, "damaged cursor", test_bad_cursor) ||
	    !CU_add_test(s, "segment reader", test_seg_read) ||
	    !CU_add_test(s, "one process per directory", test_lock))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(upl_spool, register_upl_spool_tests)
