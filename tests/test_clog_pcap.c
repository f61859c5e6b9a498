/* SPDX-License-Identifier: MIT */
/*
 * test_clog_pcap.c - pcapng and pcap: golden bytes, both byte orders,
 * several sections, time resolutions, round trips of tests/data, torn and
 * corrupt files, pipes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "clog.h"
#include "unit.h"

/* Converts in[0..n) into a malloc'd buffer (*outlen bytes, NUL after). */
static char *conv(const char *in, size_t n, const struct clog_format *from,
		  const struct clog_format *to, size_t *outlen, int *bad, unsigned int *lost)
{
	static struct clog_writer w;
	struct clog_reader r;
	struct clog_rec rec;
	FILE *tmp = tmpfile();
	char *out = NULL;
	off_t len;
	int e;

	*bad = 0;
	if (!tmp)
		return NULL;
	if (clog_reader_open_mem(&r, "mem", in, n, from))
		goto out;
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
	if (lost)
		*lost = w.lost;
	len = lseek(fileno(tmp), 0, SEEK_END);
	out = calloc(1, (size_t)len + 1);
	if (out && pread(fileno(tmp), out, (size_t)len, 0) != len) {
		free(out);
		out = NULL;
	}
	*outlen = (size_t)len;
out:
	fclose(tmp);
	return out;
}

static char *slurp(const char *path, size_t *n)
{
	struct stat st;
	char *b;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	b = calloc(1, (size_t)st.st_size + 1);
	if (b && read(fd, b, (size_t)st.st_size) != st.st_size) {
		free(b);
		b = NULL;
	}
	close(fd);
	*n = (size_t)st.st_size;
	return b;
}

static const char one_classic[] = "(1700000000.000123) vcan0 123#DEADBEEF\n";
static const char one_fd[] = "(1700000000.000500) vcan0 456##5112233445566778899AABBCC\n";

/* pcapng as the specification lays it out, checked byte by byte */
static void test_ng_golden(void)
{
	/* after the section header: the interface, then the packet */
	static const uint8_t idb_epb[] = {
		0x01, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, /* IDB, 44 bytes */
		0xE3, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 227, snaplen 0 */
		0x02, 0x00, 0x05, 0x00, 'v',  'c',  'a',  'n',	/* if_name */
		'0',  0x00, 0x00, 0x00, 0x09, 0x00, 0x01, 0x00, /* if_tsresol */
		0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 10^-6, end */
		0x2C, 0x00, 0x00, 0x00,				/* trailer */
		0x06, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, /* EPB, 48 bytes */
		0x00, 0x00, 0x00, 0x00, 0x24, 0x0A, 0x06, 0x00, /* if 0, ts high */
		0x7B, 0x40, 0x1E, 0x18, 0x10, 0x00, 0x00, 0x00, /* ts low, caplen */
		0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x23, /* len, can_id BE */
		0x04, 0x00, 0x00, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, /* len, flags */
		0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00,
	};
	static const uint8_t shb[] = {0x0A, 0x0D, 0x0D, 0x0A}, bom[] = {0x4D, 0x3C, 0x2B, 0x1A};
	static const uint8_t fd_head[] = {0x00, 0x00, 0x04, 0x56, 0x0C, 0x05, 0x00, 0x00,
					  0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
					  0x99, 0xAA, 0xBB, 0xCC, 0x00, 0x00};
	uint32_t shb_len;
	size_t n;
	char *out;
	int bad;

	out = conv(one_classic, strlen(one_classic), NULL, &clog_fmt_pcapng, &n, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(!memcmp(out, shb, 4));
	CU_ASSERT(!memcmp(out + 8, bom, 4));
	memcpy(&shb_len, out + 4, 4);
	CU_ASSERT_EQUAL_FATAL(n, shb_len + sizeof(idb_epb));
	CU_ASSERT(!memcmp(out + 12, "\x01\x00\x00\x00\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 12));
	CU_ASSERT(!memcmp(out + shb_len, idb_epb, sizeof(idb_epb)));
	free(out);

	/* FD: the canfd_frame, 72 bytes, the flags byte as read (FDF|BRS) */
	out = conv(one_fd, strlen(one_fd), NULL, &clog_fmt_pcapng, &n, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	memcpy(&shb_len, out + 4, 4);
	CU_ASSERT_EQUAL_FATAL(n, shb_len + 44 + 28 + 72 + 4);
	CU_ASSERT(!memcmp(out + shb_len + 44 + 20, "\x48\x00\x00\x00\x48\x00\x00\x00", 8));
	CU_ASSERT(!memcmp(out + shb_len + 44 + 28, fd_head, sizeof(fd_head)));
	free(out);
}

/*
 * An FD frame whose flags byte had no FDF (an older kernel: "##1") goes
 * out with FDF, which tshark needs to see FD, and a comment that gives
 * the byte back; a comment that does not fit its packet changes nothing.
 */
static void test_ng_fdf(void)
{
	static const char in[] = "(1700000000.000001) can0 123##1AA\n";
	/* opt_comment (1), 19 bytes and a pad, then opt_endofopt */
	static const char opt[28] = "\x01\x00\x13\x00"
				    "canrig fdflags=0x01\0"
				    "\0\0\0";
	size_t n, cn, epb;
	char *ng, *back;
	int bad;

	ng = conv(in, strlen(in), NULL, &clog_fmt_pcapng, &n, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ng);
	epb = n - (28 + 72 + sizeof(opt) + 4);
	CU_ASSERT_EQUAL((uint8_t)ng[epb + 28 + 5], 0x05); /* BRS | FDF */
	CU_ASSERT(!memcmp(ng + epb + 28 + 72, opt, sizeof(opt)));
	back = conv(ng, n, NULL, &clog_fmt_candump, &cn, &bad, NULL);
	CU_ASSERT_STRING_EQUAL(back, in);
	free(back);
	ng[epb + 28 + 5] = 0x07; /* BRS | ESI | FDF: no longer "0x01" with FDF */
	back = conv(ng, n, NULL, &clog_fmt_candump, &cn, &bad, NULL);
	CU_ASSERT_STRING_EQUAL(back, "(1700000000.000001) can0 123##7AA\n");
	free(back);
	free(ng);
}

static void test_pcap_golden(void)
{
	static const uint8_t want[] = {
		0x4D, 0x3C, 0xB2, 0xA1, 0x02, 0x00, 0x04, 0x00, /* ns magic, 2.4 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00,
		0xE3, 0x00, 0x00, 0x00,				/* snaplen, 227 */
		0x00, 0xF1, 0x53, 0x65, 0x78, 0xE0, 0x01, 0x00, /* s, ns */
		0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x23,
		0x04, 0x00, 0x00, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x00, 0x00, 0x00,
	};
	unsigned int lost = 0;
	size_t n;
	char *out;
	int bad;

	out = conv(one_classic, strlen(one_classic), NULL, &clog_fmt_pcap, &n, &bad, &lost);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL_FATAL(n, sizeof(want));
	CU_ASSERT(!memcmp(out, want, sizeof(want)));
	/* vcan0 is not what a reader gets back (can0): said to be lost */
	CU_ASSERT_EQUAL(lost, CLOG_LOST_IFNAME);
	free(out);
	out = conv("(1.000000) can0 123#\n", 21, NULL, &clog_fmt_pcap, &n, &bad, &lost);
	CU_ASSERT_EQUAL(lost, 0);
	free(out);
}

/* ---- a little pcapng builder, in either byte order ---- */

struct bld {
	uint8_t b[4096];
	size_t n, start;
	int be;
};

static void b32(struct bld *x, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		x->b[x->n + (size_t)i] = (uint8_t)(x->be ? v >> (24 - 8 * i) : v >> (8 * i));
	x->n += 4;
}

static void b16(struct bld *x, uint16_t v)
{
	x->b[x->n++] = (uint8_t)(x->be ? v >> 8 : v);
	x->b[x->n++] = (uint8_t)(x->be ? v : v >> 8);
}

static void braw(struct bld *x, const void *p, size_t n)
{
	memcpy(x->b + x->n, p, n);
	x->n += n;
	while (x->n % 4)
		x->b[x->n++] = 0;
}

static void bopen(struct bld *x, uint32_t type)
{
	x->start = x->n;
	b32(x, type);
	b32(x, 0);
}

static void bclose(struct bld *x)
{
	uint32_t len = (uint32_t)(x->n - x->start + 4);
	size_t at = x->n;

	b32(x, len);
	x->n = x->start + 4;
	b32(x, len);
	x->n = at + 4;
}

static void bshb(struct bld *x, int be)
{
	x->be = be;
	bopen(x, 0x0A0D0D0A);
	b32(x, 0x1A2B3C4D);
	b16(x, 1);
	b16(x, 0);
	b32(x, 0xFFFFFFFF);
	b32(x, 0xFFFFFFFF);
	bclose(x);
}

static void bopt(struct bld *x, uint16_t code, const void *v, uint16_t len)
{
	b16(x, code);
	b16(x, len);
	braw(x, v, len);
}

/* an EPB with a SocketCAN packet of n bytes: can_id, len, flags, data */
static void bepb(struct bld *x, uint32_t ifid, uint64_t ts, uint32_t can_id, uint8_t len,
		 uint8_t fl, size_t n, uint32_t dir)
{
	uint8_t pkt[72] = {0};
	unsigned int i;

	bopen(x, 6);
	b32(x, ifid);
	b32(x, (uint32_t)(ts >> 32));
	b32(x, (uint32_t)ts);
	b32(x, (uint32_t)n);
	b32(x, (uint32_t)n);
	pkt[0] = (uint8_t)(can_id >> 24); /* always big-endian (LINKTYPE 227) */
	pkt[1] = (uint8_t)(can_id >> 16);
	pkt[2] = (uint8_t)(can_id >> 8);
	pkt[3] = (uint8_t)can_id;
	pkt[4] = len;
	pkt[5] = fl;
	for (i = 0; i < len && i < 64; i++)
		pkt[8 + i] = (uint8_t)(0xA0 + i);
	braw(x, pkt, n);
	if (dir) {
		uint8_t d[4];

		d[0] = (uint8_t)(x->be ? 0 : dir);
		d[1] = d[2] = 0;
		d[3] = (uint8_t)(x->be ? dir : 0);
		bopt(x, 2, d, 4);
		b32(x, 0);
	}
	bclose(x);
}

/* Builds two sections (big-endian, then little-endian) as other tools may. */
static size_t build_two_sections(struct bld *x)
{
	static const uint8_t res_ms = 3, res_pow2 = 0x80 | 10, res_ns = 9;
	uint8_t off[8] = {0};

	memset(x, 0, sizeof(*x));
	bshb(x, 1);
	bopen(x, 1); /* no if_name: can0; milliseconds */
	b16(x, 227);
	b16(x, 0);
	b32(x, 0);
	bopt(x, 9, &res_ms, 1);
	b32(x, 0);
	bclose(x);
	bopen(x, 0x0BAD); /* unknown: skipped */
	b32(x, 0x12345678);
	bclose(x);
	bepb(x, 0, 1700000000123ull, 0x80000000u | 0x1ABCDEF, 3, 0, 16, 0);
	bshb(x, 0); /* a new section: its interfaces start again at 0 */
	bopen(x, 1);
	b16(x, 1); /* Ethernet: its packets are skipped */
	b16(x, 0);
	b32(x, 0);
	bclose(x);
	bopen(x, 1); /* 2^-10 s, if_tsoffset 10 s */
	b16(x, 227);
	b16(x, 0);
	b32(x, 0);
	bopt(x, 2, "busB", 4);
	bopt(x, 9, &res_pow2, 1);
	off[0] = 10;
	bopt(x, 14, off, 8);
	b32(x, 0);
	bclose(x);
	bopen(x, 1); /* nanoseconds, name with a NUL as some writers add */
	b16(x, 227);
	b16(x, 0);
	b32(x, 0);
	bopt(x, 2, "long bus\0", 9);
	bopt(x, 9, &res_ns, 1);
	b32(x, 0);
	bclose(x);
	bopen(x, 1); /* no if_tsresol: microseconds */
	b16(x, 227);
	b16(x, 0);
	b32(x, 0);
	bopt(x, 2, "dflt", 4);
	b32(x, 0);
	bclose(x);
	bepb(x, 0, 1, 0x123, 1, 0, 16, 0);
	/* FD without FDF (older writers): 72 bytes say FD; BRS */
	bepb(x, 1, 1700000000ull * 1024 + 512, 0x7FF, 12, 0x01, 72, 2);
	bepb(x, 2, 1700000000123456789ull, 0x40000000u | 0x321, 5, 0, 16, 1);
	bepb(x, 2, 1700000000123456790ull, 0x20000000u | 0x80, 8, 0, 16, 0);
	bepb(x, 3, 1700000000000001ull, 0x456, 0, 0, 16, 0);
	return x->n;
}

static void test_ng_read_foreign(void)
{
	static struct bld x;
	size_t n = build_two_sections(&x), outlen;
	struct clog_reader r;
	char *out;
	int bad;

	out = conv((const char *)x.b, n, NULL, &clog_fmt_candump, &outlen, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_STRING_EQUAL(out, "(1700000000.123000) can0 01ABCDEF#A0A1A2\n"
				    "(1700000010.500000) busB 7FF##1A0A1A2A3A4A5A6A7A8A9AAAB T\n"
				    "(1700000000.123456789) long_bus 321#R5 R\n"
				    "(1700000000.123456790) long_bus 20000080#A0A1A2A3A4A5A6A7\n"
				    "(1700000000.000001) dflt 456#\n");
	free(out);
	/* the Ethernet packet and the unknown block were counted */
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "x", (const char *)x.b, n, NULL), 0);
	CU_ASSERT_PTR_EQUAL(r.fmt, &clog_fmt_pcapng);
	{
		struct clog_rec rec;

		while (clog_read(&r, &rec) > 0)
			;
	}
	CU_ASSERT_EQUAL(r.pc_nskipped, 2);
	CU_ASSERT_EQUAL(r.nread, 5);
	clog_reader_close(&r);
}

static void test_pcap_read_foreign(void)
{
	/* big-endian, microseconds, as an old tcpdump on a big-endian host */
	static const uint8_t be[] = {
		0xA1, 0xB2, 0xC3, 0xD4, 0x00, 0x02, 0x00, 0x04, 0,    0,    0,	  0, 0,
		0,    0,    0,	  0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0xE3, /* snaplen 72, 227
										   */
		0x65, 0x53, 0xF1, 0x00, 0x00, 0x00, 0x00, 0x07, /* 1700000000.000007 */
		0x00, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x10, /* 10 of 16 captured */
		0x00, 0x00, 0x07, 0xDF, 0x02, 0x00, 0x00, 0x00, 0x01, 0x0D,
	};
	size_t n;
	char *out;
	int bad;

	out = conv((const char *)be, sizeof(be), NULL, &clog_fmt_candump, &n, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_STRING_EQUAL(out, "(1700000000.000007) can0 7DF#010D\n");
	free(out);
}

/* candump -> pcapng -> candump gives the log back byte for byte */
static void roundtrip_file(const char *name)
{
	size_t n, pn, cn;
	char *in = slurp(test_data(name), &n), *ng, *back;
	int bad;

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	ng = conv(in, n, &clog_fmt_candump, &clog_fmt_pcapng, &pn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ng);
	CU_ASSERT_EQUAL(bad, 0);
	back = conv(ng, pn, NULL, &clog_fmt_candump, &cn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(cn, n);
	CU_ASSERT_STRING_EQUAL(back, in);
	if (strcmp(back, in))
		fprintf(stderr, "\n%s: round trip differs\n", name);
	free(back);
	free(ng);
	free(in);
}

static void test_roundtrip_data(void)
{
	roundtrip_file("sample.log");
	roundtrip_file("sample-channels.log");
	roundtrip_file("mixed-fd-ns.log");
	roundtrip_file("asc2log-err.log");
	roundtrip_file("dbc-json.log");
	roundtrip_file("demo.log");
	roundtrip_file("screen/L.log");
	roundtrip_file("screen/Lx.log");
}

/* pcap keeps the frames and times, not the names: all read back as can0 */
static void test_pcap_roundtrip(void)
{
	size_t n, pn, cn, i, j;
	char *in = slurp(test_data("mixed-fd-ns.log"), &n), *pc, *back, *want;
	unsigned int lost;
	int bad, sp = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	pc = conv(in, n, &clog_fmt_candump, &clog_fmt_pcap, &pn, &bad, &lost);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
	CU_ASSERT_EQUAL(lost, CLOG_LOST_IFNAME | CLOG_LOST_EXTRA | CLOG_LOST_FDF);
	back = conv(pc, pn, NULL, &clog_fmt_candump, &cn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL(bad, 0);
	/* the input with every name can0, no R/T, 9 digits, FDF: build it */
	want = calloc(1, 2 * n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	for (i = 0, j = 0; i < n; i++) {
		if (in[i] == '\n')
			sp = 0;
		if (in[i] == ')' && sp == 0) {
			/* 6-digit stamps come back with 9 (nanosecond magic) */
			if (i >= 7 && in[i - 7] == '.')
				j += (size_t)sprintf(want + j, "000");
			j += (size_t)sprintf(want + j, ") can0 ");
			while (in[i + 2] != ' ')
				i++;
			i += 2;
			sp = 1;
			continue;
		}
		if (in[i] == '#' && in[i + 1] == '#') { /* "##N": FDF (4) set */
			j += (size_t)sprintf(want + j, "##%X", cf_hexval(in[i + 2]) | 4);
			i += 2;
			continue;
		}
		if (in[i] == ' ' && sp == 1) { /* " R" / " T" */
			while (in[i + 1] != '\n')
				i++;
			continue;
		}
		want[j++] = in[i];
	}
	CU_ASSERT_STRING_EQUAL(back, want);
	free(want);
	free(back);
	free(pc);
	free(in);
}

/* Every prefix of a file reads its whole blocks, then says where it tore. */
static void test_truncated(void)
{
	static const char log[] = "(1700000000.000001) can0 123#01\n"
				  "(1700000000.000002) can1 456##1AABB\n";
	const struct clog_format *fmts[] = {&clog_fmt_pcapng, &clog_fmt_pcap};
	struct clog_reader r;
	struct clog_rec rec;
	char want[128];
	size_t n, cut, at;
	uint32_t len;
	char whole[512];
	unsigned int k;
	char *bin;
	int bad, e, frames;

	for (k = 0; k < 2; k++) {
		bin = conv(log, strlen(log), NULL, fmts[k], &n, &bad, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(bin);
		CU_ASSERT_FATAL(n < sizeof(whole));
		/* where whole blocks (records) end: a cut there is a whole file */
		memset(whole, 0, sizeof(whole));
		for (at = k ? 24 : 0; at < n; at += len) {
			whole[at] = 1;
			memcpy(&len, bin + at + (k ? 8 : 4), 4);
			len += k ? 16 : 0;
		}
		for (cut = 4; cut < n; cut++) { /* 4: the magic number */
			CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "t", bin, cut, NULL), 0);
			frames = 0;
			while ((e = clog_read(&r, &rec)) > 0)
				frames++;
			if (whole[cut]) {
				CU_ASSERT_EQUAL(e, 0);
			} else {
				CU_ASSERT_EQUAL(e, -EINVAL);
				CU_ASSERT(!strncmp(r.err, "t: truncated at byte ", 21));
				/* and then the end: nothing more to read */
				CU_ASSERT_EQUAL(clog_read(&r, &rec), 0);
			}
			CU_ASSERT(frames <= 1);
			if (whole[cut] ? e != 0 : e != -EINVAL)
				fprintf(stderr, "\ncut %zu of %zu: %d %s\n", cut, n, e, r.err);
			clog_reader_close(&r);
		}
		free(bin);
	}
	/* the offset is the torn block's: a pcap's second record at 24+16+16 */
	bin = conv(log, strlen(log), NULL, &clog_fmt_pcap, &n, &bad, NULL);
	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "t.pcap", bin, n - 1, NULL), 0);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 1);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), -EINVAL);
	snprintf(want, sizeof(want),
		 "t.pcap: truncated at byte 56: the record there needs 88 bytes, 87 left");
	CU_ASSERT_STRING_EQUAL(r.err, want);
	clog_reader_close(&r);
	free(bin);
}

static void expect_corrupt(const char *bin, size_t n, const char *want)
{
	struct clog_reader r;
	struct clog_rec rec;
	int e;

	CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "c", bin, n, &clog_fmt_pcapng), 0);
	while ((e = clog_read(&r, &rec)) > 0)
		;
	CU_ASSERT_EQUAL(e, -EINVAL);
	CU_ASSERT_STRING_EQUAL(r.err, want);
	if (strcmp(r.err, want))
		fprintf(stderr, "\ngot: %s\n", r.err);
	CU_ASSERT_EQUAL(clog_read(&r, &rec), 0);
	clog_reader_close(&r);
}

static void test_corrupt(void)
{
	static struct bld x;
	size_t n = build_two_sections(&x), epb;
	uint8_t save[4];

	/* the first EPB of the big-endian section: after SHB 28, IDB 32, 16 */
	epb = 28 + 32 + 16;
	memcpy(save, x.b + epb + 4, 4);
	memcpy(x.b + epb + 4, "\x00\x00\x00\x0D", 4);
	expect_corrupt((const char *)x.b, n, "c: corrupt block at byte 76: length 13");
	memcpy(x.b + epb + 4, "\x00\x00\x00\x2C", 4); /* it is 48 */
	expect_corrupt((const char *)x.b, n,
		       "c: corrupt block at byte 76: length 44 does not match its trailer 0");
	memcpy(x.b + epb + 4, "\x7F\x00\x00\x00", 4);
	expect_corrupt((const char *)x.b, n,
		       "c: truncated at byte 76: the block there needs 2130706432 bytes, 548 left");
	memcpy(x.b + epb + 4, save, 4);
	/* a packet longer than its block: that block is reported, the rest read */
	memcpy(x.b + epb + 20, "\x00\x00\x01\x00", 4);
	expect_corrupt((const char *)x.b, epb + 48,
		       "c: packet block at byte 76: captured length 256 overruns the block");
	memcpy(x.b + epb + 20, "\x00\x00\x00\x10", 4);
	/* an id out of range for 11 bits */
	memcpy(x.b + epb + 28, "\x00\x00\x08\x00", 4);
	expect_corrupt((const char *)x.b, epb + 48,
		       "c: packet at byte 76: identifier out of range for its format");
	/* no section header first */
	expect_corrupt((const char *)x.b + 28, n - 28,
		       "c: corrupt at byte 0: no section header block first");
}

/* A pipe: the same frames as the mmap, block by block, tiny writes. */
static void test_ng_stream(void)
{
	static const char skip_hdr[] = {0x0D, 0x0B, 0x00, 0x00};
	struct clog_reader r;
	struct clog_rec rec;
	size_t n, pn, i, big = CLOG_STREAM_BUF + 64;
	char *in = slurp(test_data("mixed-fd-ns.log"), &n), *ng, path[64];
	int p[2], bad, e, frames = 0, st;
	uint32_t blen = (uint32_t)big;
	pid_t pid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	ng = conv(in, n, NULL, &clog_fmt_pcapng, &pn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ng);
	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		char *blk = calloc(1, big);

		close(p[0]);
		/* the section header, then an unknown block longer than the stream buffer */
		if (!blk || write(p[1], ng, 48) != 48)
			_exit(1);
		memcpy(blk, skip_hdr, 4);
		memcpy(blk + 4, &blen, 4);
		memcpy(blk + big - 4, &blen, 4);
		if (write(p[1], blk, big) != (ssize_t)big)
			_exit(1);
		for (i = 48; i < pn; i += 7)
			if (write(p[1], ng + i, pn - i < 7 ? pn - i : 7) < 0)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
	CU_ASSERT_EQUAL_FATAL(clog_reader_open(&r, path, NULL), 0);
	CU_ASSERT_EQUAL(r.mapped, 0);
	CU_ASSERT_PTR_EQUAL(r.fmt, &clog_fmt_pcapng);
	while ((e = clog_read(&r, &rec)) > 0)
		frames++;
	CU_ASSERT_EQUAL(e, 0);
	CU_ASSERT_EQUAL(r.pc_nskipped, 1);
	CU_ASSERT_EQUAL(frames, 73);
	clog_reader_close(&r);
	close(p[0]);
	waitpid(pid, &st, 0);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(ng);
	free(in);
}

static void test_detect_magic(void)
{
	struct clog_reader r;

	CU_ASSERT_PTR_EQUAL(clog_format_find("pcapng"), &clog_fmt_pcapng);
	CU_ASSERT_PTR_EQUAL(clog_format_find("pcap"), &clog_fmt_pcap);
	/* a magic number wins even where the rest would pass for text */
	CU_ASSERT_EQUAL(
		clog_reader_open_mem(&r, "x", "\xD4\xC3\xB2\xA1(1.000000) a 1#\n", 21, NULL), 0);
	CU_ASSERT_PTR_EQUAL(r.fmt, &clog_fmt_pcap);
	CU_ASSERT_EQUAL(clog_reader_open_mem(&r, "x", "\x0A\x0D\x0D\x0A", 4, NULL), 0);
	CU_ASSERT_PTR_EQUAL(r.fmt, &clog_fmt_pcapng);
	/* a bad byte-order magic: not pcapng */
	CU_ASSERT_EQUAL(clog_reader_open_mem(&r, "x", "\x0A\x0D\x0D\x0A\x1C\0\0\0XXXX", 12, NULL),
			-EPROTO);
	/* a pcap of another link type says so */
	{
		static const char eth[24] = {
			(char)0xD4, (char)0xC3, (char)0xB2, (char)0xA1, 2, 0, 4, 0, 0, 0, 0, 0,
			0,	    0,		0,	    0,		0, 0, 1, 0, 1, 0, 0, 0};
		struct clog_rec rec;

		CU_ASSERT_EQUAL_FATAL(clog_reader_open_mem(&r, "e", eth, 24, NULL), 0);
		CU_ASSERT_EQUAL(clog_read(&r, &rec), -EINVAL);
		CU_ASSERT_STRING_EQUAL(
			r.err, "e: link type 1 is not SocketCAN CAN (227): no frames to read");
		CU_ASSERT_EQUAL(clog_read(&r, &rec), 0);
	}
}

/* Stamps keep their precision: 9 digits at 10^-9, 6 digits at 10^-6. */
static void test_ng_digits(void)
{
	static const char in[] = "(1700000000.000001) can0 001#\n"
				 "(1700000000.000000002) can0 002#\n"
				 "(1700000000.000003) can0 003#\n";
	size_t n, cn;
	char *ng, *back;
	int bad;

	ng = conv(in, strlen(in), NULL, &clog_fmt_pcapng, &n, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ng);
	back = conv(ng, n, NULL, &clog_fmt_candump, &cn, &bad, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_STRING_EQUAL(back, "(1700000000.000001) can0 001#\n"
				     "(1700000000.000000002) can0 002#\n"
				     "(1700000000.000003) can0 003#\n");
	free(back);
	free(ng);
}

static int register_clog_pcap_tests(void)
{
	CU_pSuite s = CU_add_suite("clog_pcap (pcapng, pcap)", NULL, NULL);

	if (!s || !CU_add_test(s, "pcapng golden bytes", test_ng_golden) ||
	    !CU_add_test(s, "pcap golden bytes", test_pcap_golden) ||
	    !CU_add_test(s, "FD flags without FDF", test_ng_fdf) ||
	    !CU_add_test(s, "pcapng: byte orders, sections, resolutions", test_ng_read_foreign) ||
	    !CU_add_test(s, "pcap: big-endian, microseconds", test_pcap_read_foreign) ||
	    !CU_add_test(s, "candump -> pcapng -> candump, tests/data", test_roundtrip_data) ||
	    !CU_add_test(s, "candump -> pcap -> candump", test_pcap_roundtrip) ||
	    !CU_add_test(s, "truncated files", test_truncated) ||
	    !CU_add_test(s, "corrupt blocks", test_corrupt) ||
	    !CU_add_test(s, "pcapng from a pipe", test_ng_stream) ||
	    !CU_add_test(s, "detection by magic number", test_detect_magic) ||
	    !CU_add_test(s, "timestamp digits kept", test_ng_digits))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(clog_pcap, register_clog_pcap_tests)
