/* SPDX-License-Identifier: MIT */
/*
 * test_clog_blf.c - the BLF format: exact round trips through candump, what
 * other writers produce (hand-built files: stored and deflated containers,
 * CAN_MESSAGE, CAN_FD_MESSAGE, 10 us times, version 2 headers, objects split
 * over containers, unknown objects), truncated and corrupt input, streams.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <zlib.h>

#include "clog.h"
#include "clog_rot.h"
#include "unit.h"

static char *slurp_n(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long l;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	l = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = calloc(1, (size_t)l + 1);
	if (b && fread(b, 1, (size_t)l, f) != (size_t)l) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (n)
		*n = (size_t)l;
	return b;
}

/* Reads whatever is in fd from offset 0 into a malloc'd buffer. */
static char *fd_contents(int fd, size_t *n)
{
	off_t l = lseek(fd, 0, SEEK_END);
	char *b = calloc(1, (size_t)l + 1);

	if (b && pread(fd, b, (size_t)l, 0) != l) {
		free(b);
		return NULL;
	}
	*n = (size_t)l;
	return b;
}

/* Converts buf (format from, NULL: detect) to `to` in a tmpfile; o may be NULL. */
static char *conv(const char *buf, size_t len, const struct clog_format *from,
		  const struct clog_format *to, const struct clog_wopts *o, size_t *outlen,
		  int *bad, char *lasterr)
{
	static struct clog_writer w;
	struct clog_reader r;
	struct clog_rec rec;
	FILE *tmp = tmpfile();
	char *out;
	int e;

	*bad = 0;
	if (!tmp)
		return NULL;
	if (clog_reader_open_mem(&r, "mem", buf, len, from)) {
		fclose(tmp);
		return NULL;
	}
	clog_writer_init(&w, fileno(tmp), to, o);
	while ((e = clog_read(&r, &rec)) != 0) {
		if (e < 0) {
			(*bad)++;
			if (lasterr)
				snprintf(lasterr, CLOG_ERRMSG_MAX, "%s", r.err);
			continue;
		}
		clog_write(&w, &rec);
	}
	CU_ASSERT_EQUAL(clog_writer_fini(&w), 0);
	clog_reader_close(&r);
	out = fd_contents(fileno(tmp), outlen);
	fclose(tmp);
	return out;
}

static uint32_t rd32(const char *p)
{
	const uint8_t *u = (const uint8_t *)p;

	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void roundtrip_file(const char *name)
{
	size_t n, bn, cn;
	char *log = slurp_n(test_data(name), &n), *blf, *back;
	int bad;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	blf = conv(log, n, &clog_fmt_candump, &clog_fmt_blf, NULL, &bn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blf);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(bn > 144 && !memcmp(blf, "LOGG", 4));
	/* detected by its magic, read back byte for byte */
	back = conv(blf, bn, NULL, &clog_fmt_candump, NULL, &cn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(cn, n);
	CU_ASSERT(cn == n && !memcmp(back, log, n));
	free(back);
	free(blf);
	free(log);
}

static void test_roundtrip(void)
{
	/* every FD length with every flag nibble, 6 and 9 digits, -x columns,
	 * remote frames, error frames, three interfaces */
	roundtrip_file("mixed-fd.log");
	roundtrip_file("sample.log");
	roundtrip_file("demo.log");
	roundtrip_file("screen/Lx.log");
}

/* Many containers: the worker thread deflates while the next one fills. */
static void test_many_containers(void)
{
	size_t cap = 64u << 20, n = 0, bn, cn, off, ncont = 0;
	char *log = malloc(cap), *blf, *back;
	int bad, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	for (i = 0; i < 40000; i++)
		n += (size_t)snprintf(log + n, cap - n, "(1700000000.%06d) can%d %03X##%d%064X\n",
				      i * 7 % 1000000, i % 3, i % 2048, i % 4, i);
	blf = conv(log, n, &clog_fmt_candump, &clog_fmt_blf, NULL, &bn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blf);
	for (off = 144; off + 16 <= bn && !memcmp(blf + off, "LOBJ", 4); off += rd32(blf + off + 8))
		ncont++;
	CU_ASSERT_EQUAL(off, bn); /* containers end to end, the last one whole */
	CU_ASSERT(ncont > 20);
	CU_ASSERT_EQUAL(rd32(blf + 16), bn);
	back = conv(blf, bn, NULL, &clog_fmt_candump, NULL, &cn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(cn == n && !memcmp(back, log, n));
	free(back);
	free(blf);
	free(log);
}

static void test_header_stats(void)
{
	const char *in = "(1700000000.123456) can0 123#11\n"
			 "(1700000001.000000) can1 456#22\n";
	size_t bn;
	char *blf;
	int bad;

	setenv("TZ", "UTC", 1);
	tzset();
	blf = conv(in, strlen(in), NULL, &clog_fmt_blf, NULL, &bn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blf);
	CU_ASSERT_EQUAL(rd32(blf + 4), 144);
	CU_ASSERT_EQUAL(rd32(blf + 16), bn); /* file size, patched at the end */
	/* objects: start, channel 1, digits, frame, channel 2, frame */
	CU_ASSERT_EQUAL(rd32(blf + 32), 6);
	/* start 2023-11-14 22:13:20.123 UTC, stop 22:13:21.000 */
	CU_ASSERT_EQUAL(rd32(blf + 40) & 0xFFFF, 2023);
	CU_ASSERT_EQUAL(rd32(blf + 48) & 0xFFFF, 22);
	CU_ASSERT_EQUAL(rd32(blf + 52) >> 16, 123);
	CU_ASSERT_EQUAL(rd32(blf + 68) & 0xFFFF, 21);
	CU_ASSERT_EQUAL(rd32(blf + 68) >> 16, 0);
	/* one zlib container right after the header */
	CU_ASSERT(!memcmp(blf + 144, "LOBJ", 4));
	CU_ASSERT_EQUAL(rd32(blf + 144 + 12), 10);
	CU_ASSERT_EQUAL(rd32(blf + 144 + 16) & 0xFFFF, 2);
	CU_ASSERT_EQUAL(rd32(blf + 144 + 8) % 4, 0);
	free(blf);
}

/* ---- hand-built files, as other writers make them ---- */

struct bb {
	uint8_t b[65536];
	size_t n;
};

static void b16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void b32(uint8_t *p, uint32_t v)
{
	b16(p, v);
	b16(p + 2, v >> 16);
}

static void file_hdr(struct bb *f)
{
	memset(f->b, 0, 144);
	memcpy(f->b, "LOGG", 4);
	b32(f->b + 4, 144);
	/* 2023-11-14 22:13:20.500 */
	b16(f->b + 40, 2023);
	b16(f->b + 42, 11);
	b16(f->b + 46, 14);
	b16(f->b + 48, 22);
	b16(f->b + 50, 13);
	b16(f->b + 52, 20);
	b16(f->b + 54, 500);
	f->n = 144;
}

/* An object with a version 1 (hv 1) or 2 header, body bl bytes, padding
 * as python-can writes it (size % 4).  Returns its size. */
static size_t obj(struct bb *o, uint32_t type, int hv, uint32_t flags, uint64_t ts,
		  const uint8_t *body, size_t bl)
{
	size_t hs = hv == 2 ? 48 : 32, size = hs + bl;
	uint8_t *p = o->b + o->n;

	memset(p, 0, size + 3);
	memcpy(p, "LOBJ", 4);
	b16(p + 4, (uint32_t)hs);
	b16(p + 6, (uint32_t)hv);
	b32(p + 8, (uint32_t)size);
	b32(p + 12, type);
	b32(p + 16, flags);
	b32(p + 24, (uint32_t)ts);
	b32(p + 28, (uint32_t)(ts >> 32));
	memcpy(p + hs, body, bl);
	o->n += size + size % 4;
	return size;
}

/* Appends data (n bytes of objects) to f as one container, deflated or stored. */
static void container(struct bb *f, const uint8_t *data, size_t n, int deflated)
{
	uint8_t *p = f->b + f->n;
	uLongf zl = sizeof(f->b) - f->n - 64;
	size_t size;

	memset(p, 0, 32);
	if (deflated) {
		CU_ASSERT_EQUAL_FATAL(compress(p + 32, &zl, data, n), Z_OK);
	} else {
		zl = n;
		memcpy(p + 32, data, n);
	}
	size = 32 + zl;
	memcpy(p, "LOBJ", 4);
	b16(p + 4, 16);
	b16(p + 6, 1);
	b32(p + 8, (uint32_t)size);
	b32(p + 12, 10);
	b16(p + 16, deflated ? 2 : 0);
	b32(p + 24, (uint32_t)n);
	memset(p + size, 0, 3);
	f->n += size + size % 4;
}

/* Reads all of buf as BLF into a candump text (static), counting errors. */
static const char *read_all(const char *buf, size_t n, int *bad, uint64_t *nother, char *err)
{
	static char out[16384];
	static struct clog_writer w;
	struct clog_reader r;
	struct clog_rec rec;
	FILE *tmp = tmpfile();
	size_t l;
	char *s;
	int e;

	*bad = 0;
	out[0] = '\0';
	CU_ASSERT_FATAL(tmp != NULL);
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "f.blf", buf, n, NULL), 0);
	CU_ASSERT_PTR_EQUAL(r.fmt, &clog_fmt_blf);
	clog_writer_init(&w, fileno(tmp), &clog_fmt_candump, NULL);
	while ((e = clog_read(&r, &rec)) != 0) {
		if (e < 0) {
			(*bad)++;
			if (err)
				snprintf(err, CLOG_ERRMSG_MAX, "%s", r.err);
			continue;
		}
		clog_write(&w, &rec);
	}
	clog_writer_fini(&w);
	if (nother)
		*nother = r.nother;
	clog_reader_close(&r);
	s = fd_contents(fileno(tmp), &l);
	fclose(tmp);
	if (s && l < sizeof(out))
		memcpy(out, s, l + 1);
	free(s);
	return out;
}

static void test_foreign(void)
{
	static struct bb f, in;
	uint8_t body[128];
	char err[CLOG_ERRMSG_MAX];
	uint64_t nother;
	const char *out;
	size_t half;
	int bad, i;

	setenv("TZ", "UTC", 1);
	tzset();
	file_hdr(&f);
	in.n = 0;
	/* CAN_MESSAGE, channel 1, 10 us units: 0.5 s + 12340 us */
	memset(body, 0, sizeof(body));
	b16(body, 1);
	body[3] = 3;
	b32(body + 4, 0x123);
	memcpy(body + 8, "\x01\x02\x03", 3);
	obj(&in, 1, 1, 1, 1234, body, 16);
	/* an unknown object (type 999) and another app text: both skipped */
	obj(&in, 999, 1, 2, 0, body, 5);
	memset(body, 0, sizeof(body));
	obj(&in, 65, 1, 2, 0, body, 20);
	/* CAN_MESSAGE2, channel 2, remote, extended, 1 ns, version 2 header */
	memset(body, 0, sizeof(body));
	b16(body, 2);
	body[2] = 0x80 | 0x01;
	body[3] = 5;
	b32(body + 4, 0x80000000u | 0x1ABCDEF);
	obj(&in, 86, 2, 2, 7, body, 24);
	/* CAN_FD_MESSAGE, channel 1, FD + BRS + ESI, 12 bytes */
	memset(body, 0, sizeof(body));
	b16(body, 1);
	body[3] = 9;
	b32(body + 4, 0x7FF);
	body[13] = 0x7;
	body[14] = 12;
	for (i = 0; i < 12; i++)
		body[20 + i] = (uint8_t)(0xA0 + i);
	obj(&in, 100, 1, 2, 1000000000ull, body, 84);
	/* CAN_FD_MESSAGE_64, channel 3, FD + BRS, 20 bytes (object not a
	 * multiple of 4 long: 72 + 20 + 1 ext byte) */
	memset(body, 0, sizeof(body));
	body[0] = 3;
	body[1] = 11;
	body[2] = 20;
	b32(body + 4, 0x80000000u | 0x18DAF110);
	b32(body + 12, 0x1000 | 0x2000);
	body[34] = 1;
	for (i = 0; i < 20; i++)
		body[40 + i] = (uint8_t)i;
	obj(&in, 101, 1, 2, 2000000000ull, body, 61);
	/* CAN_ERROR_EXT, channel 1: python-can's error frame */
	memset(body, 0, sizeof(body));
	b16(body, 1);
	body[10] = 8;
	b32(body + 16, 0x80000000u | 0x80);
	body[24 + 1] = 0x10;
	obj(&in, 73, 1, 2, 3000000000ull, body, 32);
	/* split the objects over two containers, mid-object: one stored,
	 * one deflated */
	half = in.n / 2 + 3;
	container(&f, in.b, half, 0);
	container(&f, in.b + half, in.n - half, 1);
	/* a bare object at the top level too */
	memset(body, 0, sizeof(body));
	b16(body, 4);
	body[3] = 1;
	b32(body + 4, 0x001);
	body[8] = 0xEE;
	in.n = 0;
	obj(&in, 86, 1, 2, 4000000000ull, body, 24);
	memcpy(f.b + f.n, in.b, in.n);
	f.n += in.n;

	out = read_all((const char *)f.b, f.n, &bad, &nother, err);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(nother, 2);
	CU_ASSERT_STRING_EQUAL(out, "(1700000000.512340) can0 123#010203\n"
				    "(1700000000.500000007) can1 01ABCDEF#R5\n"
				    "(1700000001.500000000) can0 7FF##3A0A1A2A3A4A5A6A7A8A9AAAB\n"
				    "(1700000002.500000000) can2 18DAF110##1"
				    "000102030405060708090A0B0C0D0E0F10111213\n"
				    "(1700000003.500000000) can0 20000080#0010000000000000\n"
				    "(1700000004.500000000) can3 001#EE\n");
}

static void test_truncated(void)
{
	size_t n, bn, k;
	char *log = slurp_n(test_data("sample.log"), &n), *blf, *out, want[64],
	     err[CLOG_ERRMSG_MAX];
	int bad, lines, e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	blf = conv(log, n, &clog_fmt_candump, &clog_fmt_blf, NULL, &bn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blf);
	/* every cut: the frames before it, then "truncated at byte N" */
	for (k = 4; k < bn; k++) {
		size_t on;

		err[0] = '\0';
		out = conv(blf, k, NULL, &clog_fmt_candump, NULL, &on, &bad, err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(out);
		snprintf(want, sizeof(want), "mem: truncated at byte %zu", k);
		e = 0;
		if (bad != 1 || strcmp(err, want)) {
			/* only the container's padding may be missing quietly */
			e = !(bad == 0 && k >= bn - 3);
		}
		CU_ASSERT_EQUAL(e, 0);
		if (e)
			printf("cut at %zu: %d errors, last '%s'\n", k, bad, err);
		/* what was read is a prefix of the log */
		CU_ASSERT(on <= n && !memcmp(out, log, on));
		lines = 0;
		for (size_t i = 0; i < on; i++)
			lines += out[i] == '\n';
		CU_ASSERT(on == 0 || out[on - 1] == '\n');
		free(out);
	}
	/* the last cut lost at most the zlib trailer: every frame is there */
	out = conv(blf, bn - 1, NULL, &clog_fmt_candump, NULL, &k, &bad, err);
	CU_ASSERT(k == n && !memcmp(out, log, n));
	free(out);
	free(blf);
	free(log);
}

static void test_corrupt(void)
{
	static struct bb f;
	uint8_t objs[256];
	char err[CLOG_ERRMSG_MAX];
	size_t n, bn;
	const char *out;
	char *blf, *log;
	int bad;

	/* a bad zlib stream: an error with the container's offset */
	log = slurp_n(test_data("sample.log"), &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	blf = conv(log, n, &clog_fmt_candump, &clog_fmt_blf, NULL, &bn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blf);
	blf[144 + 40] ^= 0x55;
	blf[144 + 41] ^= 0x55;
	out = read_all(blf, bn, &bad, NULL, err);
	CU_ASSERT_EQUAL(bad, 1);
	CU_ASSERT_STRING_EQUAL(err, "f.blf: corrupt container at byte 144: bad zlib stream");
	free(blf);
	free(log);

	/* an object inside a container that says it is 20 bytes, shorter
	 * than its header: the container's offset */
	file_hdr(&f);
	memset(objs, 0, sizeof(objs));
	memcpy(objs, "LOBJ", 4);
	b16(objs + 4, 32);
	b16(objs + 6, 1);
	b32(objs + 8, 20);
	b32(objs + 12, 86);
	container(&f, objs, 64, 1);
	out = read_all((const char *)f.b, f.n, &bad, NULL, err);
	CU_ASSERT_EQUAL(bad, 1);
	CU_ASSERT_STRING_EQUAL(err, "f.blf: bad object size 20 in the container at byte 144");
	CU_ASSERT_STRING_EQUAL(out, "");

	/* a frame object claiming 1 MiB */
	file_hdr(&f);
	b32(objs + 8, 1u << 20);
	container(&f, objs, 64, 0);
	out = read_all((const char *)f.b, f.n, &bad, NULL, err);
	CU_ASSERT_EQUAL(bad, 1);
	CU_ASSERT_STRING_EQUAL(err, "f.blf: bad object size 1048576 in the container at byte 144");

	/* junk where the next top-level object should be */
	file_hdr(&f);
	memcpy(f.b + 144, "XOBJ", 4);
	f.n += 40;
	out = read_all((const char *)f.b, f.n, &bad, NULL, err);
	CU_ASSERT_EQUAL(bad, 1);
	CU_ASSERT_STRING_EQUAL(err, "f.blf: bad object at byte 144: no LOBJ signature");

	/* a header that claims to be 64 KiB + 1 long */
	file_hdr(&f);
	b32(f.b + 4, 65537);
	out = read_all((const char *)f.b, f.n, &bad, NULL, err);
	CU_ASSERT_EQUAL(bad, 1);
	CU_ASSERT_STRING_EQUAL(err, "f.blf: bad file header size 65537 at byte 4");
}

static void test_channels_option(void)
{
	const char *in = "(1700000000.000001) vcan0 123#11\n"
			 "(1700000000.000002) vcan9 124#22\n"
			 "(1700000000.000003) vcan1 125#33\n";
	static const char *const names[] = {"vcan1", "vcan0"};
	struct clog_wopts o = {.channels = names, .nchannels = 2};
	size_t bn, on;
	char *blf, *out;
	int bad;

	blf = conv(in, strlen(in), NULL, &clog_fmt_blf, &o, &bn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blf);
	out = conv(blf, bn, NULL, &clog_fmt_candump, NULL, &on, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, "(1700000000.000001) vcan0 123#11\n"
				    "(1700000000.000003) vcan1 125#33\n");
	free(out);
	free(blf);
}

/* Streams a BLF through a pipe a few bytes at a time: the same frames. */
static void test_stream_pipe(void)
{
	size_t n, bn, k;
	char *log = slurp_n(test_data("mixed-fd.log"), &n), *blf, *got;
	static struct clog_writer w;
	struct clog_reader r;
	struct clog_rec rec;
	int p[2], bad, e;
	FILE *tmp;
	pid_t pid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	blf = conv(log, n, &clog_fmt_candump, &clog_fmt_blf, NULL, &bn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blf);
	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (!pid) {
		close(p[0]);
		for (k = 0; k < bn; k += 7)
			if (write(p[1], blf + k, bn - k < 7 ? bn - k : 7) < 0)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	tmp = tmpfile();
	CU_ASSERT_FATAL(tmp != NULL);
	CU_ASSERT_EQUAL_FATAL(dup2(p[0], 100), 100);
	close(p[0]);
	CU_ASSERT_EQUAL_FATAL(clog_reader_open(&r, "/dev/fd/100", NULL), 0);
	CU_ASSERT_EQUAL(r.mapped, 0);
	CU_ASSERT_PTR_EQUAL(r.fmt, &clog_fmt_blf);
	clog_writer_init(&w, fileno(tmp), &clog_fmt_candump, NULL);
	bad = 0;
	while ((e = clog_read(&r, &rec)) != 0) {
		if (e < 0) {
			bad++;
			continue;
		}
		clog_write(&w, &rec);
	}
	clog_writer_fini(&w);
	clog_reader_close(&r);
	close(100);
	waitpid(pid, NULL, 0);
	CU_ASSERT_EQUAL(bad, 0);
	got = fd_contents(fileno(tmp), &k);
	CU_ASSERT(got && k == n && !memcmp(got, log, n));
	free(got);
	fclose(tmp);
	free(blf);
	free(log);
}

/* Writing to a pipe: no statistics patched in, still a readable file. */
static void test_write_pipe(void)
{
	const char *in = "(1700000000.000001) vcan0 123#11\n";
	static struct clog_writer w;
	struct clog_reader r;
	struct clog_rec rec;
	char buf[4096];
	ssize_t got;
	int p[2], bad;
	const char *out;

	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "m", in, strlen(in), NULL), 0);
	clog_writer_init(&w, p[1], &clog_fmt_blf, NULL);
	while (clog_read(&r, &rec) > 0)
		clog_write(&w, &rec);
	CU_ASSERT_EQUAL(clog_writer_fini(&w), 0);
	clog_reader_close(&r);
	close(p[1]);
	got = read(p[0], buf, sizeof(buf));
	close(p[0]);
	CU_ASSERT_FATAL(got > 144);
	CU_ASSERT_EQUAL(rd32(buf + 32), 0); /* no object count: could not seek */
	out = read_all(buf, (size_t)got, &bad, NULL, NULL);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_STRING_EQUAL(out, in);
}

/*
 * dump -l x.blf --rotate SIZE: with the size clog_writer_size() gives,
 * every file but the last ends within one container of SIZE (at most a
 * frame's objects past it, never a container or the ones still deflating
 * past it; at most one container's worth of objects short), and the
 * files together hold every frame.
 */
static void test_rotate_size(void)
{
	const uint64_t limit = 512 * 1024;
	size_t cap = 32u << 20, n = 0, fn, cn, all = 0;
	char *log = malloc(cap), *back = malloc(cap), *f, *c;
	static struct clog_writer w;
	struct clog_reader r;
	struct clog_rec rec;
	struct clog_rot rot;
	const char *why;
	uint32_t x = 22;
	FILE *tmp = NULL;
	int i, j, bad, nfiles = 0;

	CU_ASSERT_FATAL(log && back);
	for (i = 0; i < 60000; i++) {
		/* half the bytes random: containers deflate to about half */
		n += (size_t)snprintf(log + n, cap - n, "(1700000000.%06d) can%d %03X##1", i * 13,
				      i % 2, i % 2048);
		for (j = 0; j < 64; j++) {
			x = x * 1103515245u + 12345u;
			n += (size_t)snprintf(log + n, cap - n, "%02X",
					      j % 2 ? (x >> 16) & 0xff : (uint32_t)j);
		}
		log[n++] = '\n';
	}
	memset(&rot, 0, sizeof(rot));
	CU_ASSERT_EQUAL_FATAL(clog_rot_parse(&rot, "512K", &why), 0);
	rot.seq = 1;
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "in.log", log, n, &clog_fmt_candump), 0);
	for (;;) {
		i = clog_read(&r, &rec);
		CU_ASSERT_FATAL(i >= 0);
		if (tmp && (!i || clog_rot_due(&rot, clog_writer_size(&w, limit), rec.f.ts_ns))) {
			CU_ASSERT_EQUAL(clog_writer_fini(&w), 0);
			f = fd_contents(fileno(tmp), &fn);
			fclose(tmp);
			tmp = NULL;
			CU_ASSERT_PTR_NOT_NULL_FATAL(f);
			if (i) { /* not the last file */
				CU_ASSERT(fn <= limit + 512);
				CU_ASSERT(fn + 128 * 1024 + 512 >= limit);
				if (fn > limit + 512 || fn + 128 * 1024 + 512 < limit)
					fprintf(stderr, "\n  file %d: %zu bytes\n", nfiles + 1, fn);
			}
			c = conv(f, fn, NULL, &clog_fmt_candump, NULL, &cn, &bad, NULL);
			CU_ASSERT_EQUAL(bad, 0);
			CU_ASSERT_FATAL(c && all + cn <= cap);
			memcpy(back + all, c, cn);
			all += cn;
			free(c);
			free(f);
			nfiles++;
			clog_rot_next(&rot);
		}
		if (!i)
			break;
		if (!tmp) {
			tmp = tmpfile();
			CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);
			clog_writer_init(&w, fileno(tmp), &clog_fmt_blf, NULL);
		}
		clog_write(&w, &rec);
		clog_rot_frame(&rot, rec.f.ts_ns);
	}
	clog_reader_close(&r);
	CU_ASSERT(nfiles >= 4);
	CU_ASSERT(all == n && !memcmp(back, log, n));
	free(back);
	free(log);
}

static int register_clog_blf_tests(void)
{
	CU_pSuite s = CU_add_suite("clog_blf (BLF log format)", NULL, NULL);

	if (!s || !CU_add_test(s, "candump -> BLF -> candump byte for byte", test_roundtrip) ||
	    !CU_add_test(s, "file header statistics", test_header_stats) ||
	    !CU_add_test(s, "many containers", test_many_containers) ||
	    !CU_add_test(s, "--rotate SIZE: within one container", test_rotate_size) ||
	    !CU_add_test(s, "other writers' objects", test_foreign) ||
	    !CU_add_test(s, "truncated at every byte", test_truncated) ||
	    !CU_add_test(s, "corrupt containers and objects", test_corrupt) ||
	    !CU_add_test(s, "--channels", test_channels_option) ||
	    !CU_add_test(s, "read from a pipe", test_stream_pipe) ||
	    !CU_add_test(s, "write to a pipe", test_write_pipe))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(clog_blf, register_clog_blf_tests)
