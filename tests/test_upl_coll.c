/* SPDX-License-Identifier: MIT */
/* test_upl_coll.c - the uplink's collection engine on a fake clock: every
 * frame, every_ms, on_change, the signal selection, batches by max_ms and
 * max_bytes. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "unit.h"
#include "upl_coll.h"
#include "upl_conf.h"

#define MS 1000000ull

static char out[1 << 16];
static size_t outlen;
static unsigned int nbatch;
static size_t batch_len[256];

static void on_batch(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	CU_ASSERT(len > 0 && data[len - 1] == '\n'); /* whole samples only */
	if (nbatch < 256)
		batch_len[nbatch] = len;
	nbatch++;
	if (outlen + len < sizeof(out)) {
		memcpy(out + outlen, data, len);
		outlen += len;
		out[outlen] = 0;
	}
}

static struct upl_conf conf;
static struct upl_coll *co;

static void start(const char *collect, const char *batch)
{
	char y[2048], err[512] = "";
	int e;

	snprintf(y, sizeof(y),
		 "vehicle: V\nbroker: {host: h}\ntopic: t\ndbc: %s\ninterfaces: [vcan0, vcan1]\n"
		 "collect:\n%s\nbatch: %s\nspool: {dir: d}\n",
		 test_data("demo.dbc"), collect, batch);
	e = upl_conf_load_mem(&conf, "t.yaml", y, strlen(y), err, sizeof(err));
	if (e)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_EQUAL_FATAL(e, 0);
	CU_ASSERT_EQUAL_FATAL(upl_coll_new(&conf, on_batch, NULL, &co), 0);
	outlen = 0;
	out[0] = 0;
	nbatch = 0;
}

static void stop(void)
{
	upl_coll_free(co);
	co = NULL;
	upl_conf_fini(&conf);
}

/* A frame on bus (0 vcan0, 1 vcan1) at monotonic ms; its "t" is
 * 1700000000 s + ms. */
static int frame(unsigned int bus, uint32_t id, const char *hex, uint64_t ms)
{
	static const char *const names[] = {"vcan0", "vcan1", "vcan9"};
	uint8_t d[64];
	struct clog_rec rec;
	size_t n = strlen(hex) / 2, i;

	for (i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &d[i]);
	memset(&rec, 0, sizeof(rec));
	rec.f.id = id;
	rec.f.len = (uint8_t)n;
	rec.f.data = d;
	rec.f.ts_ns = 1700000000ull * 1000000000ull + ms * MS;
	rec.ifname = names[bus];
	rec.ifname_len = 5;
	rec.ts_digits = 6;
	return upl_coll_frame(co, &rec, bus, ms * MS);
}

static unsigned int lines(void)
{
	unsigned int n = 0;
	const char *p;

	for (p = out; *p; p++)
		n += *p == '\n';
	return n;
}

static void test_every_frame_selected(void)
{
	struct upl_coll_stats st;

	start("  - {message: EngineData, signals: [Throttle, EngineState]}", "{max_ms: 1000}");
	CU_ASSERT_EQUAL(frame(0, 0xC0, "0C804002", 50), 1);
	CU_ASSERT_EQUAL(frame(1, 0x3B4, "01", 51), 0); /* not collected */
	CU_ASSERT_EQUAL(frame(0, 0x123, "01", 52), 0); /* not in the DBC */
	CU_ASSERT_EQUAL(nbatch, 0);
	upl_coll_flush(co, 60 * MS);
	CU_ASSERT_EQUAL(nbatch, 1);
	CU_ASSERT_STRING_EQUAL(out,
			       "{\"t\":1700000000.050000,\"bus\":\"vcan0\",\"id\":192,"
			       "\"ext\":false,\"len\":4,\"data\":\"0C804002\",\"msg\":"
			       "\"EngineData\",\"sig\":{\"Throttle\":51.2,\"EngineState\":2},"
			       "\"label\":{\"EngineState\":\"Running\"},\"truncated\":false}\n");
	upl_coll_stats(co, &st);
	CU_ASSERT_EQUAL(st.frames, 3);
	CU_ASSERT_EQUAL(st.ignored, 2);
	CU_ASSERT_EQUAL(st.samples, 1);
	CU_ASSERT_EQUAL(st.batches, 1);
	CU_ASSERT_EQUAL(st.bytes, outlen);
	stop();
}

static void test_every_ms(void)
{
	struct upl_coll_stats st;

	start("  - {message: EngineData, signals: [Counter], every_ms: 100}", "{max_ms: 10000}");
	CU_ASSERT_EQUAL(upl_coll_deadline(co), UINT64_MAX);
	frame(0, 0xC0, "01000000", 10);
	CU_ASSERT_EQUAL(upl_coll_deadline(co), 100 * MS);
	frame(0, 0xC0, "02000000", 50);
	frame(1, 0xC0, "07000000", 60); /* the other bus has its own */
	frame(0, 0xC0, "03000000", 99);
	upl_coll_tick(co, 99 * MS);
	upl_coll_flush(co, 99 * MS);
	/* flush ends the intervals early: the latest of each bus */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"bus\":\"vcan0\",\"id\":192,\"ext\":false,\"len\":4,"
					   "\"data\":\"03000000\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"sig\":{\"Counter\":7}"));
	CU_ASSERT_EQUAL(lines(), 2);
	stop();

	start("  - {message: EngineData, signals: [Counter], every_ms: 100}", "{max_ms: 10000}");
	frame(0, 0xC0, "01000000", 10);
	frame(0, 0xC0, "02000000", 50);
	upl_coll_tick(co, 99 * MS);
	CU_ASSERT_EQUAL(upl_coll_deadline(co), 100 * MS); /* still the interval's end */
	upl_coll_tick(co, 100 * MS);
	CU_ASSERT_EQUAL(upl_coll_deadline(co), 10100 * MS); /* now the batch's */
	frame(0, 0xC0, "03000000", 150);
	frame(0, 0xC0, "04000000", 210); /* ends [100,200): 3 out; 4 held */
	upl_coll_tick(co, 450 * MS);	 /* 4 out; [300,400) had nothing */
	upl_coll_tick(co, 1000 * MS);
	upl_coll_flush(co, 1000 * MS);
	CU_ASSERT_EQUAL(lines(), 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"sig\":{\"Counter\":2}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"sig\":{\"Counter\":3}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"sig\":{\"Counter\":4}"));
	CU_ASSERT_PTR_NULL(strstr(out, "\"sig\":{\"Counter\":1}"));
	CU_ASSERT(strstr(out, "Counter\":2") < strstr(out, "Counter\":3"));
	upl_coll_stats(co, &st);
	CU_ASSERT_EQUAL(st.replaced, 1);
	CU_ASSERT_EQUAL(st.samples, 3);
	stop();
}

static void test_on_change(void)
{
	struct upl_coll_stats st;

	start("  - {message: DoorStatus, on_change: true}\n"
	      "  - {message: EngineData, signals: [EngineState], on_change: true}",
	      "{max_ms: 10000}");
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "00", 1), 1); /* the first always */
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "00", 2), 0);
	CU_ASSERT_EQUAL(frame(1, 0x3B4, "00", 3), 1); /* another bus */
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "01", 4), 1);
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "01", 5), 0);
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "00", 6), 1);
	CU_ASSERT_EQUAL(frame(0, 0xC0, "01000001", 7), 1);
	/* only the selected signal counts: the counter moving is no change */
	CU_ASSERT_EQUAL(frame(0, 0xC0, "02000001", 8), 0);
	CU_ASSERT_EQUAL(frame(0, 0xC0, "03000002", 9), 1);
	/* a truncated frame lacks the signal: that is a change too */
	CU_ASSERT_EQUAL(frame(0, 0xC0, "04", 10), 1);
	upl_coll_flush(co, 11 * MS);
	upl_coll_stats(co, &st);
	CU_ASSERT_EQUAL(st.samples, 7);
	CU_ASSERT_EQUAL(st.unchanged, 3);
	CU_ASSERT_EQUAL(lines(), 7);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"sig\":{},\"label\":{},\"truncated\":true}"));
	stop();
}

static void test_batch_max_ms(void)
{
	start("  - {message: DoorStatus}", "{max_ms: 50}");
	frame(0, 0x3B4, "00", 1000);
	CU_ASSERT_EQUAL(upl_coll_deadline(co), 1050 * MS);
	frame(0, 0x3B4, "01", 1020);
	upl_coll_tick(co, 1049 * MS);
	CU_ASSERT_EQUAL(nbatch, 0);
	upl_coll_tick(co, 1050 * MS);
	CU_ASSERT_EQUAL(nbatch, 1);
	CU_ASSERT_EQUAL(lines(), 2);
	CU_ASSERT_EQUAL(upl_coll_deadline(co), UINT64_MAX);
	/* a frame after the deadline first closes the batch that was due */
	frame(0, 0x3B4, "00", 2000);
	frame(0, 0x3B4, "00", 2060);
	CU_ASSERT_EQUAL(nbatch, 2);
	CU_ASSERT_EQUAL(lines(), 3);
	stop();
}

static void test_batch_max_bytes(void)
{
	char all[1 << 16];
	size_t alllen, one;
	unsigned int i;

	/* the same samples with one big batch, then with 1024-byte batches */
	start("  - {message: EngineData}", "{max_ms: 100000}");
	for (i = 0; i < 40; i++) {
		char hex[9];

		snprintf(hex, sizeof(hex), "%02X804000", i);
		frame(i & 1, 0xC0, hex, i);
	}
	upl_coll_flush(co, 100 * MS);
	CU_ASSERT_EQUAL(nbatch, 1);
	memcpy(all, out, outlen + 1);
	alllen = outlen;
	one = (size_t)(strchr(out, '\n') - out) + 1;
	stop();

	start("  - {message: EngineData}", "{max_ms: 100000, max_bytes: 1024}");
	for (i = 0; i < 40; i++) {
		char hex[9];

		snprintf(hex, sizeof(hex), "%02X804000", i);
		frame(i & 1, 0xC0, hex, i);
	}
	upl_coll_flush(co, 100 * MS);
	CU_ASSERT_EQUAL(outlen, alllen);
	CU_ASSERT_STRING_EQUAL(out, all); /* nothing lost, reordered or split */
	CU_ASSERT(nbatch > 1);
	for (i = 0; i < nbatch; i++) {
		CU_ASSERT(batch_len[i] <= 1024);
		/* full: one more sample would not have fitted (but the last) */
		if (i + 1 < nbatch)
			CU_ASSERT(batch_len[i] + one > 1024);
	}
	stop();
}

/* The Counter values of the EngineData samples in out, in order. */
static void counters(char *buf, size_t cap)
{
	const char *p = out;
	size_t n = 0;

	buf[0] = 0;
	while ((p = strstr(p, "\"Counter\":")) && n + 8 < cap) {
		n += (size_t)snprintf(buf + n, cap - n, "%s%ld", n ? "," : "",
				      strtol(p + 10, NULL, 10));
		p += 10;
	}
}

/* The condition on another message's signal, global over the interfaces;
 * absent (truncated, never seen) is false. */
static void test_when_trigger(void)
{
	struct upl_coll_stats st;

	start("  - {message: DoorStatus, when: \"EngineData.Throttle > 50\"}", "{max_ms: 10000}");
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "00", 1), 0); /* nothing seen: false */
	CU_ASSERT_EQUAL(frame(0, 0xC0, "00400000", 2), 0);
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "00", 3), 0); /* 25.6 */
	CU_ASSERT_EQUAL(frame(1, 0xC0, "00800000", 4), 0);
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "01", 5), 1); /* 51.2 on the other bus */
	CU_ASSERT_EQUAL(frame(1, 0x3B4, "01", 6), 1);
	CU_ASSERT_EQUAL(frame(0, 0xC0, "00", 7), 0); /* Throttle absent: false */
	CU_ASSERT_EQUAL(frame(1, 0x3B4, "00", 8), 0);
	CU_ASSERT_EQUAL(frame(0, 0xC0, "00810000", 9), 0);  /* rises again */
	CU_ASSERT_EQUAL(frame(2, 0xC0, "00000000", 10), 0); /* not an interface: ignored */
	CU_ASSERT_EQUAL(frame(1, 0x3B4, "00", 11), 1);
	upl_coll_flush(co, 20 * MS);
	upl_coll_stats(co, &st);
	CU_ASSERT_EQUAL(st.triggers, 2);
	CU_ASSERT_EQUAL(st.samples, 3);
	CU_ASSERT_EQUAL(st.outside, 3);
	CU_ASSERT_EQUAL(lines(), 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"t\":1700000000.005000,\"bus\":\"vcan0\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"t\":1700000000.011000,\"bus\":\"vcan1\""));
	stop();

	/* !(...) of a signal never seen is true: collected from the start */
	start("  - {message: DoorStatus, when: \"!(EngineData.Throttle > 50)\"}",
	      "{max_ms: 10000}");
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "00", 1), 1);
	CU_ASSERT_EQUAL(frame(0, 0xC0, "00800000", 2), 0);
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "00", 3), 0);
	CU_ASSERT_EQUAL(frame(0, 0xC0, "00", 4), 0); /* absent: > is false, ! true */
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "00", 5), 1);
	upl_coll_flush(co, 20 * MS);
	stop();
}

/* before_ms of history at the rise, after_ms after the fall, bounds
 * included; the frame that changes the condition is judged by the new
 * value. */
static void test_when_windows(void)
{
	static const struct {
		unsigned int ms, throttle;
	} f[] = {{0, 0},      {40, 0},	   {100, 0},	{150, 0},    {200, 0x80},
		 {250, 0x80}, {300, 0},	   {350, 0},	{351, 0},    {400, 0x80},
		 {420, 0x10}, {430, 0x90}, {500, 0x10}, {550, 0x10}, {551, 0x10}};
	struct upl_coll_stats st;
	char got[256];
	unsigned int i;

	start("  - {message: EngineData, when: \"Throttle > 50\", before_ms: 100, after_ms: 50}",
	      "{max_ms: 100000}");
	CU_ASSERT_EQUAL(conf.collect[0].hist, 12);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		char hex[9];

		/* Counter = ms / 10; 36 for 351, 99 for 551 */
		snprintf(hex, sizeof(hex), "%02X%02X4000",
			 (f[i].ms == 551   ? 99
			  : f[i].ms == 351 ? 36
					   : f[i].ms / 10) &
				 255,
			 f[i].throttle & 255);
		frame(0, 0xC0, hex, f[i].ms);
	}
	upl_coll_flush(co, 1000 * MS);
	counters(got, sizeof(got));
	/* 0, 4: older than 100 ms at the rise (200); 36: history of the rise
	 * at 400; 42 falls inside 400's window and 43 rises again within
	 * 42's after_ms: one window on; 55 is 50 ms after the fall at 50 */
	CU_ASSERT_STRING_EQUAL(got, "10,15,20,25,30,35,36,40,42,43,50,55");
	if (strcmp(got, "10,15,20,25,30,35,36,40,42,43,50,55"))
		fprintf(stderr, "got %s\n", got);
	upl_coll_stats(co, &st);
	CU_ASSERT_EQUAL(st.triggers, 3);
	CU_ASSERT_EQUAL(st.outside, 3); /* 0, 4, 99 (in the ring at the stop) */
	CU_ASSERT_EQUAL(st.overrun, 0);
	CU_ASSERT_EQUAL(st.samples, 12);
	stop();
}

/* The history ring holds hist frames: more in before_ms drop the oldest,
 * counted. */
static void test_when_ring_bound(void)
{
	struct upl_coll_stats st;
	unsigned int i;

	/* DoorStatus: 200 ms cycle; 2 * (200 / 200 + 1) per interface, 2 of them */
	start("  - {message: DoorStatus, when: \"EngineData.Counter == 7\", before_ms: 200}",
	      "{max_ms: 100000}");
	CU_ASSERT_EQUAL_FATAL(conf.collect[0].hist, 8);
	for (i = 0; i < 20; i++)
		frame(i & 1, 0x3B4, i & 2 ? "01" : "00", 1000 + i);
	upl_coll_stats(co, &st);
	CU_ASSERT_EQUAL(st.overrun, 12);
	CU_ASSERT_EQUAL(frame(0, 0xC0, "07", 1020), 0); /* truncated: Counter is there */
	upl_coll_flush(co, 1100 * MS);
	CU_ASSERT_EQUAL(lines(), 8);
	/* the newest 8, in order: 1012 .. 1019 */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"t\":1700000001.012000,"));
	CU_ASSERT_PTR_NULL(strstr(out, "\"t\":1700000001.011000,"));
	CU_ASSERT(strstr(out, "1700000001.018000") < strstr(out, "1700000001.019000"));
	upl_coll_stats(co, &st);
	CU_ASSERT_EQUAL(st.triggers, 1);
	CU_ASSERT_EQUAL(st.samples, 8);
	stop();
}

/* on_change under a condition: a window starts with a sample; every_ms:
 * an interval's sample belongs to the window open at its end. */
static void test_when_modes(void)
{
	char got[256];

	start("  - {message: DoorStatus, on_change: true, when: \"EngineData.Counter > 0\"}",
	      "{max_ms: 100000}");
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "01", 1), 0);
	CU_ASSERT_EQUAL(frame(0, 0xC0, "01", 2), 0);
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "01", 3), 1); /* unchanged, but the window's first */
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "01", 4), 0);
	CU_ASSERT_EQUAL(frame(0, 0xC0, "00", 5), 0);
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "00", 6), 0); /* changed, window closed */
	CU_ASSERT_EQUAL(frame(0, 0xC0, "02", 7), 0);
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "00", 8), 1);
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "00", 9), 0);
	upl_coll_flush(co, 20 * MS);
	CU_ASSERT_EQUAL(lines(), 2);
	stop();

	/* a rise within after_ms is the same window: no new first sample */
	start("  - {message: DoorStatus, on_change: true, when: \"EngineData.Counter > 0\",\n"
	      "     after_ms: 10}",
	      "{max_ms: 100000}");
	CU_ASSERT_EQUAL(frame(0, 0xC0, "01", 1), 0);
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "01", 2), 1);
	CU_ASSERT_EQUAL(frame(0, 0xC0, "00", 3), 0);  /* falls: open until 13 */
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "01", 4), 0); /* unchanged */
	CU_ASSERT_EQUAL(frame(0, 0xC0, "01", 5), 0);  /* rises within it */
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "01", 6), 0); /* still unchanged */
	CU_ASSERT_EQUAL(frame(0, 0x3B4, "00", 7), 1);
	upl_coll_flush(co, 20 * MS);
	stop();

	start("  - {message: EngineData, every_ms: 100, when: \"DoorStatus.DriverDoor == 1\",\n"
	      "     before_ms: 200}",
	      "{max_ms: 100000}");
	CU_ASSERT_EQUAL(conf.collect[0].hist, 6);
	frame(0, 0xC0, "01000000", 10);
	frame(0, 0xC0, "02000000", 110);
	frame(0, 0xC0, "03000000", 210);
	frame(0, 0xC0, "04000000", 310);
	frame(0, 0x3B4, "01", 350); /* rises: 2 and 3 were made at 200, 300 */
	frame(0, 0xC0, "05000000", 360);
	frame(0, 0x3B4, "00", 400); /* 5 was made at 400, before this frame */
	frame(0, 0xC0, "06000000", 410);
	upl_coll_tick(co, 500 * MS);
	upl_coll_flush(co, 500 * MS);
	counters(got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "2,3,5");
	stop();
}

static size_t inflated(const char *z, size_t len, char *buf, size_t cap)
{
	uLongf n = cap;

	CU_ASSERT_EQUAL_FATAL(uncompress((Bytef *)buf, &n, (const Bytef *)z, len), Z_OK);
	return n;
}

static char zout[1 << 16];
static size_t zlen, zbatches;

static void on_zbatch(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	CU_ASSERT(upl_payload_deflated(data, len));
	CU_ASSERT_EQUAL((unsigned char)data[0], 0x78); /* a zlib header */
	zlen += inflated(data, len, zout + zlen, sizeof(zout) - zlen);
	zbatches++;
}

/* batch: compress: deflate: each batch one zlib stream of the same JSON. */
static void test_compress(void)
{
	static char want[1 << 16];
	struct upl_coll_stats st;
	size_t wantlen = 0, wantbatches = 0;
	unsigned int i, pass;

	zlen = zbatches = 0;
	for (pass = 0; pass < 2; pass++) {
		start("  - {message: EngineData}",
		      pass ? "{max_ms: 100000, max_bytes: 1024, compress: deflate}"
			   : "{max_ms: 100000, max_bytes: 1024}");
		if (pass) {
			upl_coll_free(co);
			CU_ASSERT_EQUAL_FATAL(upl_coll_new(&conf, on_zbatch, NULL, &co), 0);
		}
		for (i = 0; i < 40; i++) {
			char hex[9];

			snprintf(hex, sizeof(hex), "%02X804000", i);
			frame(i & 1, 0xC0, hex, i);
		}
		upl_coll_flush(co, 100 * MS);
		upl_coll_stats(co, &st);
		if (!pass) {
			memcpy(want, out, outlen + 1);
			wantlen = outlen;
			wantbatches = nbatch;
			CU_ASSERT(st.bytes == st.json && st.json == outlen);
			stop();
			continue;
		}
		/* the same batches, byte for byte once inflated */
		CU_ASSERT(wantbatches > 1);
		CU_ASSERT_EQUAL(zbatches, wantbatches);
		CU_ASSERT_EQUAL(st.batches, wantbatches);
		CU_ASSERT_EQUAL(zlen, wantlen);
		CU_ASSERT_EQUAL(memcmp(zout, want, wantlen), 0);
		CU_ASSERT_EQUAL(st.json, wantlen);
		CU_ASSERT(st.bytes < st.json / 2);
		CU_ASSERT_EQUAL(st.stored, 0);
		stop();
	}
}

static int register_upl_coll_tests(void)
{
	CU_pSuite s = CU_add_suite("upl_coll", NULL, NULL);

	if (!s || !CU_add_test(s, "every frame, selected signals", test_every_frame_selected) ||
	    !CU_add_test(s, "every_ms: latest per interval", test_every_ms) ||
	    !CU_add_test(s, "on_change", test_on_change) ||
	    !CU_add_test(s, "batches by max_ms", test_batch_max_ms) ||
	    !CU_add_test(s, "batches by max_bytes", test_batch_max_bytes) ||
	    !CU_add_test(s, "when: trigger, absent signals", test_when_trigger) ||
	    !CU_add_test(s, "when: before_ms and after_ms", test_when_windows) ||
	    !CU_add_test(s, "when: the history's bound", test_when_ring_bound) ||
	    !CU_add_test(s, "when: on_change and every_ms", test_when_modes) ||
	    !CU_add_test(s, "batch compress: deflate", test_compress))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(upl_coll, register_upl_coll_tests)
