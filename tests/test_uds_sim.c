/* SPDX-License-Identifier: MIT */
/*
 * test_uds_sim.c - the simulated ECU engine with a fake clock: every
 * service, every NRC path, response pending, S3, the block sequence
 * counter wrap with an independently computed CRC-32, functional
 * addressing and OBD-II; then the YAML loader and its messages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uds_sim_conf.h"
#include "uds.h"
#include "uds_sim.h"
#include "unit.h"
#include "yml.h"

#define MS 1000000ull
#define T0 (1000ull * 1000 * MS) /* not 0: catches "now - t0" slips */

/* ---- the engine ECU of three-ecus.yaml, in C */

static struct uds_sim_session sessions[4];
static const uint8_t vin[] = "WVWZZZ1JZXW000001";
static const uint8_t serial[] = "SN-0000042";
static const uint8_t zero2[2], cafe[] = {0xCA, 0xFE};
static const uint8_t seed1[] = {0x11, 0x22, 0x33, 0x44};

static const struct uds_sim_did_rec snap1[] = {
	{0x010C, (const uint8_t *)"\x0B\xB8", 2},
	{0x0105, (const uint8_t *)"\x5A", 1},
};
static const struct uds_sim_did_rec snap2[] = {
	{0x010C, (const uint8_t *)"\x0F\xA0", 2},
};
static const struct uds_sim_snapshot snaps[] = {{1, snap1, 2}, {2, snap2, 1}};
static const struct uds_sim_extdata exts[] = {
	{1, (const uint8_t *)"\x05", 1},
	{2, (const uint8_t *)"\x00\x10", 2},
};
static const struct uds_sim_dtc dtcs[] = {
	{0x042011, 0x2F, 0, snaps, 2, exts, 2},
	{0x012345, 0x04, 0, NULL, 0, NULL, 0},
	{0xC10000, 0x08, 1, NULL, 0, NULL, 0},
};
static const struct uds_sim_obd_pid pids[] = {
	{0x04, (const uint8_t *)"\x80", 1},	{0x05, (const uint8_t *)"\x7B", 1},
	{0x0C, (const uint8_t *)"\x1A\xF8", 2}, {0x0D, (const uint8_t *)"\x32", 1},
	{0x11, (const uint8_t *)"\x40", 1},	{0x33, (const uint8_t *)"\x65", 1},
};
static const struct uds_sim_delay delays[] = {{0x14, 200}};

static struct uds_sim_did dids[7];
static struct uds_sim_security levels[4];
static struct uds_sim_routine routines[2];
static struct uds_sim_io ios[1];
static struct uds_sim_mem mems[2];
static struct uds_sim_cfg cfg;

/* sink: what a file would hold, checked with our own CRC */
static struct {
	int begins, ends;
	uint64_t bytes, last_off;
	uint32_t crc;
	uint32_t addr;
	int fail;
} sk;

/* bitwise CRC-32 (IEEE 802.3, reflected, as zlib), independent of the engine's table */
static uint32_t ref_crc(uint32_t crc, const uint8_t *p, size_t n)
{
	size_t i;
	int k;

	crc = ~crc;
	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static int test_sink(void *ctx, int op, uint32_t addr, uint64_t off, const uint8_t *data, size_t n)
{
	(void)ctx;
	if (sk.fail)
		return -EIO;
	sk.addr = addr;
	if (op == UDS_SIM_SINK_BEGIN) {
		sk.begins++;
		sk.bytes = 0;
		sk.crc = 0;
	} else if (op == UDS_SIM_SINK_DATA) {
		CU_ASSERT_EQUAL(off, sk.bytes); /* in order, never twice */
		sk.crc = ref_crc(sk.crc, data, n);
		sk.bytes += n;
		sk.last_off = off;
	} else {
		sk.ends++;
	}
	return 0;
}

/* level 3: the key is the seed reversed */
static int test_key(void *ctx, uint8_t level, const uint8_t *seed, size_t n, uint8_t *key,
		    size_t cap, size_t *keylen)
{
	size_t i;

	(void)ctx;
	if (level != 3 || n > cap)
		return -EINVAL;
	for (i = 0; i < n; i++)
		key[i] = seed[n - 1 - i];
	*keylen = n;
	return 0;
}

static void clear_sid(uint8_t *map, unsigned int sid)
{
	map[sid >> 3] &= (uint8_t) ~(1u << (sid & 7));
}

static void build_cfg(void)
{
	static const uint8_t ids[] = {0x01, 0x02, 0x03, 0x40};
	size_t i;

	memset(sessions, 0, sizeof(sessions));
	for (i = 0; i < 4; i++) {
		sessions[i].id = ids[i];
		sessions[i].p2_ms = 50;
		sessions[i].p2star_ms = 5000;
		uds_sim_all_services(sessions[i].sids);
		if (ids[i] != 0x02) {
			clear_sid(sessions[i].sids, 0x34);
			clear_sid(sessions[i].sids, 0x36);
			clear_sid(sessions[i].sids, 0x37);
		}
	}
	/* 0x40: a vendor session that only allows session control and TP */
	memset(sessions[3].sids, 0, UDS_SIM_SID_MAP);
	uds_sim_map_set(sessions[3].sids, 0x10);
	uds_sim_map_set(sessions[3].sids, 0x3E);
	/* 0x23 only in extended */
	clear_sid(sessions[0].sids, 0x23);

	memset(dids, 0, sizeof(dids));
	dids[0] = (struct uds_sim_did){.id = 0xF190, .data = vin, .len = 17};
	dids[1] = (struct uds_sim_did){.id = 0xF18C, .data = serial, .len = 10};
	dids[2] = (struct uds_sim_did){.id = 0x0100, .data = zero2, .len = 2, .writable = 1};
	uds_sim_map_set(dids[2].write.sessions, 0x03);
	dids[2].write.security = UDS_SIM_LEVEL_BIT(1);
	dids[3] = (struct uds_sim_did){.id = 0x0200, .kind = UDS_SIM_DID_COUNTER, .len = 2};
	dids[4] = (struct uds_sim_did){.id = 0x0201, .kind = UDS_SIM_DID_CLOCK, .len = 4};
	dids[5] = (struct uds_sim_did){.id = 0x0300, .data = cafe, .len = 2};
	dids[5].read.security = UDS_SIM_LEVEL_BIT(1) | UDS_SIM_LEVEL_BIT(3);
	dids[6] = (struct uds_sim_did){.id = 0x0400, .data = zero2, .len = 2};
	uds_sim_map_set(dids[6].read.sessions, 0x03); /* extended only */

	memset(levels, 0, sizeof(levels));
	levels[0] = (struct uds_sim_security){.level = 1,
					      .seed_len = 4,
					      .algo = UDS_SIM_KEY_XOR,
					      .constant = 0x12345678,
					      .fixed_seed = seed1,
					      .max_attempts = 3,
					      .delay_ms = 10000};
	uds_sim_map_set(levels[0].sessions, 0x02);
	uds_sim_map_set(levels[0].sessions, 0x03);
	levels[1] =
		(struct uds_sim_security){.level = 3, .seed_len = 4, .algo = UDS_SIM_KEY_EXTERNAL};
	uds_sim_map_set(levels[1].sessions, 0x03);
	levels[2] = (struct uds_sim_security){
		.level = 5, .seed_len = 6, .algo = UDS_SIM_KEY_ADD, .constant = 0x01FF01FF};
	levels[3] = (struct uds_sim_security){.level = 7,
					      .seed_len = 2,
					      .algo = UDS_SIM_KEY_NOT,
					      .max_attempts = 1,
					      .delay_ms = 500};

	memset(routines, 0, sizeof(routines));
	routines[0] = (struct uds_sim_routine){.id = 0xFF00,
					       .start_rec = (const uint8_t *)"\x00",
					       .start_len = 1,
					       .result = (const uint8_t *)"\x00",
					       .result_len = 1,
					       .pending_ms = 300};
	routines[1] = (struct uds_sim_routine){
		.id = 0x0203, .result = (const uint8_t *)"\xAA\xBB", .result_len = 2};
	routines[1].access.security = UDS_SIM_LEVEL_BIT(1);

	memset(ios, 0, sizeof(ios));
	ios[0] = (struct uds_sim_io){.did = 0x4F10, .initial = (const uint8_t *)"\x00", .len = 1};
	uds_sim_map_set(ios[0].access.sessions, 0x03);

	memset(mems, 0, sizeof(mems));
	mems[0] = (struct uds_sim_mem){.addr = 0x20000000,
				       .size = 0x100,
				       .init = (const uint8_t *)"\xDE\xAD\xBE\xEF",
				       .init_len = 4,
				       .writable = 1};
	mems[1] = (struct uds_sim_mem){.addr = 0x30000000, .size = 0x10, .fill = 0xFF};

	uds_sim_cfg_init(&cfg);
	cfg.sessions = sessions;
	cfg.nsessions = 4;
	cfg.prng_seed = 42;
	cfg.pending_interval_ms = 100;
	cfg.dids = dids;
	cfg.ndids = 7;
	cfg.dtcs = dtcs;
	cfg.ndtcs = 3;
	cfg.security = levels;
	cfg.nsecurity = 4;
	cfg.routines = routines;
	cfg.nroutines = 2;
	cfg.ios = ios;
	cfg.nios = 1;
	cfg.mems = mems;
	cfg.nmems = 2;
	cfg.download = (struct uds_sim_download){
		.enabled = 1, .addr = 0x00100000, .size = 0x300000, .max_block = 0x402};
	uds_sim_map_set(cfg.download.access.sessions, 0x02);
	cfg.download.access.security = UDS_SIM_LEVEL_BIT(1);
	cfg.delays = delays;
	cfg.ndelays = 1;
	cfg.obd = (struct uds_sim_obd){.enabled = 1,
				       .pids = pids,
				       .npids = 6,
				       .vin = "WVWZZZ1JZXW000001",
				       .ecu_name = "ECM-EngineControl"};
	cfg.key_fn = test_key;
	cfg.sink_fn = test_sink;
}

/* ---- harness */

static struct uds_sim S;
static uint64_t now;
static uint8_t got[8192];
static size_t got_len;

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned int v;
	int k;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		if (sscanf(s, "%2x%n", &v, &k) != 1 || n == cap)
			break;
		out[n++] = (uint8_t)v;
		s += k;
	}
	return n;
}

static void start(void)
{
	uds_sim_fini(&S);
	build_cfg();
	memset(&sk, 0, sizeof(sk));
	now = T0;
	CU_ASSERT_FATAL(uds_sim_init(&S, &cfg, now) == 0);
}

static void send_req(const char *hex, int functional)
{
	uint8_t b[4200];
	size_t n = unhex(hex, b, sizeof(b));

	CU_ASSERT_EQUAL(uds_sim_request(&S, b, n, functional, now), 0);
}

static int take(void)
{
	return uds_sim_output(&S, now, got, sizeof(got), &got_len) == 1;
}

static void check_got(int line, int have, const char *rsp)
{
	uint8_t want[4200];
	size_t n, i;
	char msg[512];
	int ok, k = 0;

	if (!rsp) {
		snprintf(msg, sizeof(msg), "no answer expected, got %zu bytes %02X %02X %02X",
			 got_len, got[0], got[1], got[2]);
		CU_assertImplementation(!have, (unsigned int)line, msg, __FILE__, "", CU_FALSE);
		return;
	}
	n = unhex(rsp, want, sizeof(want));
	ok = have && got_len == n && !memcmp(got, want, n);
	k = snprintf(msg, sizeof(msg), "want %s, got", rsp);
	for (i = 0; have && i < got_len && i < 40 && k < 400; i++)
		k += snprintf(msg + k, sizeof(msg) - (size_t)k, " %02X", got[i]);
	if (!have)
		snprintf(msg + k, sizeof(msg) - (size_t)k, " nothing");
	CU_assertImplementation(ok, (unsigned int)line, msg, __FILE__, "", CU_FALSE);
}

/* request, then exactly one answer due now (rsp) or none (rsp NULL) */
static void expect(int line, int functional, const char *req, const char *rsp)
{
	send_req(req, functional);
	check_got(line, take(), rsp);
	if (rsp && take())
		check_got(line, 1, NULL);
}

#define X(req, rsp) expect(__LINE__, 0, req, rsp)
#define F(req, rsp) expect(__LINE__, 1, req, rsp)
#define OUT(rsp)    check_got(__LINE__, take(), rsp)

static void unlock1(void)
{
	/* seed 11 22 33 44 ^ 12 34 56 78 */
	X("27 01", "67 01 11 22 33 44");
	X("27 02 03 16 65 3C", "67 02");
}

/* ---- tests */

static void test_sessions(void)
{
	start();
	CU_ASSERT_EQUAL(uds_sim_session(&S), 0x01);
	CU_ASSERT_EQUAL(uds_sim_deadline(&S), UINT64_MAX);
	X("10 03", "50 03 00 32 01 F4");
	CU_ASSERT_EQUAL(uds_sim_session(&S), 0x03);
	X("10 05", "7F 10 12");
	X("10", "7F 10 13");
	X("10 03 00", "7F 10 13");
	X("10 82", NULL); /* suppressed, but switched */
	CU_ASSERT_EQUAL(uds_sim_session(&S), 0x02);
	X("10 01", "50 01 00 32 01 F4");
	X("3E 00", "7E 00");
	X("3E 80", NULL);
	X("3E 01", "7F 3E 12");
	X("3E 00 00", "7F 3E 13");
	X("3E", "7F 3E 13");
	/* 0x11 vs 0x7F: 0x35 unimplemented, 0x23 not in default, 0x34 programming only */
	X("35 00", "7F 35 11");
	X("50 01", "7F 50 11");
	X("23 14 20 00 00 00 04", "7F 23 7F");
	X("34 00 44 00 10 00 00 00 00 00 10", "7F 34 7F");
	X("10 40", "50 40 00 32 01 F4");
	X("22 F1 90", "7F 22 7F");
	X("3E 00", "7E 00");
}

static void test_s3(void)
{
	start();
	X("10 03", "50 03 00 32 01 F4");
	CU_ASSERT_EQUAL(uds_sim_deadline(&S), now + 5000 * MS);
	now += 4000 * MS;
	X("3E 80", NULL); /* keeps the session */
	now += 4999 * MS;
	CU_ASSERT_EQUAL(uds_sim_timers(&S, now), 0);
	CU_ASSERT_EQUAL(uds_sim_session(&S), 0x03);
	now += 1 * MS;
	CU_ASSERT_EQUAL(uds_sim_deadline(&S), now);
	CU_ASSERT_EQUAL(uds_sim_timers(&S, now), 1);
	CU_ASSERT_EQUAL(uds_sim_session(&S), 0x01);
	CU_ASSERT_EQUAL(uds_sim_deadline(&S), UINT64_MAX);
	/* S3 also relocks */
	X("10 03", "50 03 00 32 01 F4");
	unlock1();
	now += 6000 * MS;
	X("10 03", "50 03 00 32 01 F4"); /* timed out first, then a fresh session */
	X("2E 01 00 12 34", "7F 2E 33");
}

/* Lets ms pass in a non-default session without S3 ending it. */
static void keep_alive(unsigned int ms)
{
	while (ms) {
		unsigned int k = ms > 1000 ? 1000 : ms;

		now += k * MS;
		ms -= k;
		X("3E 80", NULL);
	}
}

static void test_security(void)
{
	uint8_t seed[6], key[6];
	char req[64];
	size_t i;
	unsigned int carry = 0;

	start();
	X("27 01", "7F 27 7E"); /* level 1 not in the default session */
	X("27 09", "7F 27 12");
	X("27", "7F 27 13");
	X("10 03", "50 03 00 32 01 F4");
	X("27 02 03 16 65 3C", "7F 27 24"); /* key without seed */
	X("27 01", "67 01 11 22 33 44");
	X("27 02 03 16 65", "7F 27 13");
	X("27 02 03 16 65 3C", "7F 27 24"); /* the seed went with the bad try */
	X("27 01", "67 01 11 22 33 44");
	X("27 02 00 00 00 00", "7F 27 35");
	X("27 01", "67 01 11 22 33 44");
	X("27 02 00 00 00 00", "7F 27 35");
	X("27 01", "67 01 11 22 33 44");
	X("27 02 00 00 00 00", "7F 27 36");
	X("27 01", "7F 27 37");
	keep_alive(9999);
	X("27 01", "7F 27 37");
	now += 1 * MS;
	X("27 01", "67 01 11 22 33 44");
	X("27 02 03 16 65 3C", "67 02");
	X("27 01", "67 01 00 00 00 00"); /* already unlocked */
	X("2E 01 00 12 34", "6E 01 00");
	/* level 3: key from the callback (seed reversed), random seed */
	send_req("27 03", 0);
	CU_ASSERT_FATAL(take() && got_len == 6 && got[0] == 0x67 && got[1] == 0x03);
	snprintf(req, sizeof(req), "27 04 %02X %02X %02X %02X", got[5], got[4], got[3], got[2]);
	X(req, "67 04");
	/* one level at a time: 1 is gone */
	X("2E 01 00 12 34", "7F 2E 33");
	X("22 03 00", "62 03 00 CA FE"); /* readable with 1 or 3 */
	/* any session change relocks */
	X("10 03", "50 03 00 32 01 F4");
	X("22 03 00", "7F 22 33");
	/* level 5: add 0x01FF01FF to a 6-byte big-endian seed */
	send_req("27 05", 0);
	CU_ASSERT_FATAL(take() && got_len == 8);
	memcpy(seed, got + 2, 6);
	for (i = 6; i-- > 0;) {
		unsigned int b = i >= 2 ? (0x01FF01FFu >> (8 * (5 - i))) & 0xFF : 0;
		unsigned int v = seed[i] + b + carry;

		key[i] = (uint8_t)v;
		carry = v >> 8;
	}
	snprintf(req, sizeof(req), "27 06 %02X %02X %02X %02X %02X %02X", key[0], key[1], key[2],
		 key[3], key[4], key[5]);
	X(req, "67 06");
	/* a second seed differs (PRNG), none is all zero */
	X("10 03", "50 03 00 32 01 F4");
	send_req("27 05", 0);
	CU_ASSERT_FATAL(take() && got_len == 8);
	CU_ASSERT(memcmp(seed, got + 2, 6) != 0);
	/* level 7: NOT, one attempt, 500 ms */
	X("27 08 00 00", "7F 27 24"); /* the outstanding seed is level 5's */
	send_req("27 07", 0);
	CU_ASSERT_FATAL(take() && got_len == 4);
	X("27 08 00 00", got[2] == 0xFF && got[3] == 0xFF ? "67 08" : "7F 27 36");
	X("27 07", "7F 27 37");
	now += 500 * MS;
	send_req("27 07", 0);
	CU_ASSERT_FATAL(take() && got_len == 4);
	snprintf(req, sizeof(req), "27 08 %02X %02X", (uint8_t)~got[2], (uint8_t)~got[3]);
	X(req, "67 08");
	X("27 81", NULL); /* SPR: the seed is not sent (useless, but ISO) */
	X("10 01", "50 01 00 32 01 F4");
	X("27 81", "7F 27 7E"); /* NRCs ignore the suppress bit */
}

static void test_dids(void)
{
	start();
	X("22 F1 90", "62 F1 90 57 56 57 5A 5A 5A 31 4A 5A 58 57 30 30 30 30 30 31");
	X("22 F1 90 F1 8C", "62 F1 90 57 56 57 5A 5A 5A 31 4A 5A 58 57 30 30 30 30 30 31"
			    " F1 8C 53 4E 2D 30 30 30 30 30 34 32");
	X("22 12 34", "7F 22 31");
	X("22 12 34 F1 8C", "62 F1 8C 53 4E 2D 30 30 30 30 30 34 32");
	X("22 F1", "7F 22 13");
	X("22", "7F 22 13");
	X("22 F1 90 F1", "7F 22 13");
	/* counter: each read +1; clock: ms since start */
	X("22 02 00", "62 02 00 00 00");
	X("22 02 00", "62 02 00 00 01");
	X("22 02 00 02 00", "62 02 00 00 02 02 00 00 03");
	now += 1234 * MS;
	X("22 02 01", "62 02 01 00 00 04 D2");
	/* secured read; session-limited read counts as unsupported */
	X("22 03 00", "7F 22 33");
	X("22 04 00", "7F 22 31");
	X("22 04 00 F1 86 02 00", "62 02 00 00 04");
	/* write */
	X("2E 01 00 12 34", "7F 2E 31"); /* not in the default session */
	X("10 03", "50 03 00 32 01 F4");
	X("22 04 00", "62 04 00 00 00");
	X("2E 01 00 12 34", "7F 2E 33");
	unlock1();
	X("2E 01 00 12", "7F 2E 13");
	X("2E 01 00 12 34 56", "7F 2E 13");
	X("2E 01 00 12 34", "6E 01 00");
	X("22 01 00", "62 01 00 12 34");
	X("2E F1 90 41", "7F 2E 31");	 /* read-only */
	X("2E 02 00 00 00", "7F 2E 31"); /* counter */
	X("2E 99 99 00", "7F 2E 31");
	X("2E 01 00", "7F 2E 13");
	/* too long for max_response */
	uds_sim_fini(&S);
	cfg.max_response = 16;
	CU_ASSERT_FATAL(uds_sim_init(&S, &cfg, now) == 0);
	X("22 F1 90", "7F 22 14");
	X("22 F1 8C", "62 F1 8C 53 4E 2D 30 30 30 30 30 34 32");
	X("23 14 30 00 00 00 10", "7F 23 7F");
}

static void test_dtcs(void)
{
	start();
	X("19 01 FF", "59 01 FF 01 00 03");
	X("19 01 08", "59 01 FF 01 00 02");
	X("19 01 40", "59 01 FF 01 00 00");
	X("19 02 08", "59 02 FF 04 20 11 2F C1 00 00 08");
	X("19 02 04", "59 02 FF 04 20 11 2F 01 23 45 04");
	X("19 0A", "59 0A FF 04 20 11 2F 01 23 45 04 C1 00 00 08");
	X("19 04 04 20 11 01", "59 04 04 20 11 2F 01 02 01 0C 0B B8 01 05 5A");
	X("19 04 04 20 11 02", "59 04 04 20 11 2F 02 01 01 0C 0F A0");
	X("19 04 04 20 11 FF", "59 04 04 20 11 2F 01 02 01 0C 0B B8 01 05 5A"
			       " 02 01 01 0C 0F A0");
	X("19 04 04 20 11 05", "7F 19 31");
	X("19 04 99 99 99 01", "7F 19 31");
	X("19 04 01 23 45 FF", "59 04 01 23 45 04");
	X("19 06 04 20 11 FF", "59 06 04 20 11 2F 01 05 02 00 10");
	X("19 06 04 20 11 02", "59 06 04 20 11 2F 02 00 10");
	X("19 06 04 20 11 03", "7F 19 31");
	X("19 03", "7F 19 12");
	X("19 01", "7F 19 13");
	X("19 04 04 20 11", "7F 19 13");
	X("19 0A 00", "7F 19 13");
	X("19 82 08", NULL);
	/* clear one, then all (0x14 has a 200 ms pending delay here) */
	X("14 12 34 56", "7F 14 31");
	X("14 FF FF", "7F 14 13");
	X("14 01 23 45", "7F 14 78");
	now += 200 * MS;
	OUT("54");
	X("19 02 FF", "59 02 FF 04 20 11 2F C1 00 00 08");
	X("14 FF FF FF", "7F 14 78");
	now += 100 * MS;
	OUT("7F 14 78");
	now += 100 * MS;
	OUT("54");
	X("19 02 FF", "59 02 FF");
	X("19 0A", "59 0A FF 04 20 11 00 01 23 45 00 C1 00 00 00");
	X("19 04 04 20 11 01", "59 04 04 20 11 00");
	/* availability mask */
	uds_sim_fini(&S);
	cfg.dtc_avail_mask = 0x09;
	CU_ASSERT_FATAL(uds_sim_init(&S, &cfg, now) == 0);
	X("19 02 FF", "59 02 09 04 20 11 09 C1 00 00 08");
	X("19 01 04", "59 01 09 01 00 00");
	/* ControlDTCSetting */
	X("85 02", "C5 02");
	CU_ASSERT_EQUAL(S.dtc_setting_off, 1);
	X("85 81", NULL);
	CU_ASSERT_EQUAL(S.dtc_setting_off, 0);
	X("85 03", "7F 85 12");
	X("85", "7F 85 13");
	X("85 02 FF FF FF", "C5 02"); /* DTCSettingControlOptionRecord ignored */
}

static void test_routines(void)
{
	start();
	X("31 03 FF 00", "7F 31 24");
	X("31 02 FF 00", "7F 31 24");
	X("31 01 12 34", "7F 31 31");
	X("31 04 FF 00", "7F 31 12");
	X("31 01 FF", "7F 31 13");
	/* pending: 0x78 at once, every 100 ms, then the answer at 300 ms */
	X("31 01 FF 00", "7F 31 78");
	CU_ASSERT_EQUAL(uds_sim_deadline(&S), now + 100 * MS);
	now += 99 * MS;
	OUT(NULL);
	now += 1 * MS;
	OUT("7F 31 78");
	/* busy meanwhile; TesterPresent with SPR is just kept */
	X("22 F1 8C", "7F 22 21");
	F("22 F1 8C", NULL);
	X("3E 80", NULL);
	now += 100 * MS;
	OUT("7F 31 78");
	CU_ASSERT_EQUAL(uds_sim_deadline(&S), now + 100 * MS);
	now += 99 * MS;
	OUT(NULL);
	now += 1 * MS;
	OUT("71 01 FF 00 00");
	OUT(NULL);
	X("31 03 FF 00", "71 03 FF 00 00");
	X("31 02 FF 00", "71 02 FF 00");
	X("31 02 FF 00", "7F 31 24");
	X("31 03 FF 00", "71 03 FF 00 00");
	/* SPR with pending: the final answer still comes */
	X("31 81 FF 00", "7F 31 78");
	now += 300 * MS;
	OUT("71 01 FF 00 00");
	/* security */
	X("31 01 02 03", "7F 31 33");
	X("10 03", "50 03 00 32 01 F4");
	unlock1();
	X("31 01 02 03", "71 01 02 03");
	X("31 03 02 03", "71 03 02 03 AA BB");
}

static void test_io_control(void)
{
	start();
	X("2F 4F 10 03 55", "7F 2F 31"); /* extended only */
	X("10 03", "50 03 00 32 01 F4");
	X("2F 4F 10 03 55", "6F 4F 10 03 55");
	X("22 4F 10", "62 4F 10 55");
	X("2F 4F 10 02", "6F 4F 10 02 55");
	X("2F 4F 10 00", "6F 4F 10 00 00");
	X("2F 4F 10 03 66", "6F 4F 10 03 66");
	X("2F 4F 10 01", "6F 4F 10 01 00");
	X("2F 4F 10 04", "7F 2F 31");
	X("2F 12 34 00", "7F 2F 31");
	X("2F 4F 10 03", "7F 2F 13");
	X("2F 4F 10 03 55 66", "7F 2F 13");
	X("2F 4F 10 00 00", "7F 2F 13");
	X("2F 4F", "7F 2F 13");
	/* back to default ends IO control */
	X("2F 4F 10 03 77", "6F 4F 10 03 77");
	X("10 01", "50 01 00 32 01 F4");
	X("10 03", "50 03 00 32 01 F4");
	X("22 4F 10", "62 4F 10 00");
}

static void test_comm_control(void)
{
	start();
	X("28 03 01", "68 03");
	CU_ASSERT_EQUAL(S.comm_ctl, 3);
	CU_ASSERT_EQUAL(S.comm_type, 1);
	X("28 80 03", NULL);
	CU_ASSERT_EQUAL(S.comm_ctl, 0);
	X("28 05 01", "7F 28 12");
	X("28 00 00", "7F 28 31");
	X("28 01", "7F 28 13");
	X("28", "7F 28 13");
}

static void test_memory(void)
{
	start();
	X("10 03", "50 03 00 32 01 F4");
	X("23 14 20 00 00 00 04", "63 DE AD BE EF");
	X("23 44 20 00 00 02 00 00 00 03", "63 BE EF 00");
	X("23 14 30 00 00 00 02", "63 FF FF");
	X("23 05 20 00 00 00 04", "7F 23 31"); /* 0 size bytes */
	X("23 15 20 00 00 00 04", "7F 23 31"); /* 5 address bytes */
	X("23 14 20 00 00 00", "7F 23 13");
	X("23 14 20 00 00 00 04 00", "7F 23 13");
	X("23", "7F 23 13");
	X("23 14 20 00 00 FE 04", "7F 23 31"); /* crosses the end */
	X("23 14 40 00 00 00 04", "7F 23 31");
	X("23 14 20 00 00 00 00", "7F 23 31");
	X("3D 14 20 00 00 10 02 AA BB", "7D 14 20 00 00 10 02");
	X("23 14 20 00 00 0F 04", "63 00 AA BB 00");
	X("3D 14 30 00 00 00 01 AA", "7F 3D 31"); /* read-only area */
	X("3D 14 20 00 00 10 02 AA", "7F 3D 13");
	X("3D 14 20 00 00 10 02 AA BB CC", "7F 3D 13");
	X("3D 14 20 00 00 10 00", "7F 3D 31");
	X("3D 14 20 00 00 10", "7F 3D 13");
	X("3D 00 20", "7F 3D 31");
}

/* Downloads n bytes in blocks of at most 0x400; returns the last answer. */
static void download(size_t n, uint32_t *crc)
{
	static uint8_t blk[0x402];
	size_t off = 0, k, i;
	uint8_t bsc = 1;
	int wrapped = 0;

	*crc = 0;
	while (off < n) {
		k = n - off < 0x400 ? n - off : 0x400;
		blk[0] = 0x36;
		blk[1] = bsc;
		for (i = 0; i < k; i++)
			blk[2 + i] = (uint8_t)((off + i) * 7 + (off + i) / 251);
		*crc = ref_crc(*crc, blk + 2, k);
		CU_ASSERT(uds_sim_request(&S, blk, k + 2, 0, now) == 0);
		CU_ASSERT_FATAL(take() && got_len == 2 && got[0] == 0x76 && got[1] == bsc);
		if (bsc == 0)
			wrapped = 1;
		bsc++;
		off += k;
	}
	CU_ASSERT(n <= 255 * 0x400 || wrapped);
}

static void test_download(void)
{
	uint32_t crc;
	char want[32];

	start();
	X("10 02", "50 02 00 32 01 F4");
	X("36 01 00", "7F 36 24");
	X("37", "7F 37 24");
	X("34 00 44 00 10 00 00 00 00 04 00", "7F 34 33");
	unlock1();
	X("34 00 44 00 0F FF FF 00 00 04 00", "7F 34 31"); /* starts before */
	X("34 00 44 00 3F FF 00 00 00 04 00", "7F 34 31"); /* ends after */
	X("34 11 44 00 10 00 00 00 00 04 00", "7F 34 31"); /* compressed */
	X("34 00 40 00 10 00 00", "7F 34 31");		   /* bad ALFID */
	X("34 00 44 00 10 00 00 00 00 04", "7F 34 13");
	X("34 00 44 00 10 00 00 00 00 00 00", "7F 34 31"); /* size 0 */
	X("34 00 44 00 10 00 00 00 00 08 00", "74 20 04 02");
	CU_ASSERT_EQUAL(sk.begins, 1);
	CU_ASSERT_EQUAL(sk.addr, 0x00100000);
	X("34 00 44 00 10 00 00 00 00 08 00", "7F 34 22"); /* already active */
	X("36 02 00", "7F 36 73");
	X("36 00 00", "7F 36 73");
	X("36 01", "7F 36 13");
	X("36 01 AA BB", "76 01");
	X("36 01 AA BB", "76 01"); /* repeated: accepted, not written again */
	CU_ASSERT_EQUAL(sk.bytes, 2);
	X("36 03 00", "7F 36 73");
	X("37", "7F 37 24"); /* not complete */
	{
		uint8_t big[0x403];

		memset(big, 0, sizeof(big));
		big[0] = 0x36;
		big[1] = 0x02;
		CU_ASSERT(uds_sim_request(&S, big, sizeof(big), 0, now) == 0);
		OUT("7F 36 13");
		CU_ASSERT(uds_sim_request(&S, big, 0x402, 0, now) == 0);
		OUT("76 02");
		CU_ASSERT(uds_sim_request(&S, big, 0x402, 0, now) == 0); /* repeat */
		OUT("76 02");
		big[1] = 0x03;
		CU_ASSERT(uds_sim_request(&S, big, 0x402, 0, now) == 0); /* 0x802 > 0x800 */
		OUT("7F 36 71");
	}
	X("36 04 00", "7F 36 24"); /* the transfer ended */
	X("37", "7F 37 24");
	/* a >256-block image: BSC wraps FF -> 00, CRC checked independently */
	X("34 00 44 00 10 00 00 00 04 B0 01", "74 20 04 02");
	download(0x04B001, &crc);
	CU_ASSERT_EQUAL(sk.bytes, 0x04B001);
	CU_ASSERT_EQUAL(sk.crc, crc);
	CU_ASSERT_EQUAL(uds_crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926);
	snprintf(want, sizeof(want), "77 %02X %02X %02X %02X", crc >> 24, (crc >> 16) & 0xFF,
		 (crc >> 8) & 0xFF, crc & 0xFF);
	X("37", want);
	CU_ASSERT_EQUAL(sk.ends, 1);
	X("37", "7F 37 24");
	/* a failing sink: 0x72 */
	sk.fail = 1;
	X("34 00 44 00 10 00 00 00 00 00 10", "7F 34 72");
	sk.fail = 0;
	X("34 00 44 00 10 00 00 00 00 00 10", "74 20 04 02");
	sk.fail = 1;
	X("36 01 00", "7F 36 72");
	sk.fail = 0;
	/* a session change ends a transfer and relocks */
	X("34 00 44 00 10 00 00 00 00 00 10", "74 20 04 02");
	X("10 02", "50 02 00 32 01 F4");
	X("36 01 00", "7F 36 24");
	X("34 00 44 00 10 00 00 00 00 00 10", "7F 34 33");

	/* download.fail_block: the second new block fails (a repeat of the
	 * first is no new block) and the transfer ends */
	start();
	cfg.download.fail_block = 2;
	cfg.download.fail_nrc = 0x72;
	X("10 02", "50 02 00 32 01 F4");
	unlock1();
	X("34 00 44 00 10 00 00 00 00 00 10", "74 20 04 02");
	X("36 01 AA", "76 01");
	X("36 01 AA", "76 01");
	X("36 02 BB", "7F 36 72");
	CU_ASSERT_EQUAL(sk.bytes, 1);
	X("36 02 BB", "7F 36 24");
	X("37", "7F 37 24");
	/* the next download fails the same way, with another NRC */
	cfg.download.fail_nrc = 0x71;
	X("34 00 44 00 10 00 00 00 00 00 10", "74 20 04 02");
	X("36 01 AA", "76 01");
	X("36 02 BB", "7F 36 71");
	cfg.download.fail_block = 0;
}

static void test_functional(void)
{
	start();
	F("35", NULL);	     /* 0x11 */
	F("22 12 34", NULL); /* 0x31 */
	F("3E 80", NULL);
	F("3E 00", "7E 00");
	F("10 05", NULL);		 /* 0x12 */
	F("27 01", NULL);		 /* 0x7E */
	F("23 14 20 00 00 00 04", NULL); /* 0x7F */
	F("22 F1", "7F 22 13");		 /* other NRCs are sent */
	F("22 03 00", "7F 22 33");
	F("22 F1 8C", "62 F1 8C 53 4E 2D 30 30 30 30 30 34 32");
	F("10 83", NULL);
	CU_ASSERT_EQUAL(uds_sim_session(&S), 0x03);
}

static void test_obd(void)
{
	start();
	X("01 00", "41 00 18 18 80 01");
	X("01 20", "41 20 00 00 20 00");
	X("01 40", "7F 01 31");
	F("01 40", NULL);
	X("01 0C", "41 0C 1A F8");
	X("01 0C 0D", "41 0C 1A F8 0D 32");
	X("01 0C 99 04", "41 0C 1A F8 04 80");
	F("01 00 20", "41 00 18 18 80 01 20 00 00 20 00");
	X("01 04 05 0C 0D 11 33", "41 04 80 05 7B 0C 1A F8 0D 32 11 40 33 65");
	X("01 04 05 0C 0D 11 33 00", "7F 01 13");
	X("01", "7F 01 13");
	X("03", "43 02 04 20 C1 00");
	X("07", "47 02 04 20 01 23");
	X("0A", "4A 01 C1 00");
	X("09 00", "49 00 40 40 00 00");
	X("09 02", "49 02 01 57 56 57 5A 5A 5A 31 4A 5A 58 57 30 30 30 30 30 31");
	F("09 02", "49 02 01 57 56 57 5A 5A 5A 31 4A 5A 58 57 30 30 30 30 30 31");
	X("09 0A", "49 0A 01 45 43 4D 2D 45 6E 67 69 6E 65 43 6F 6E 74 72 6F 6C 00 00 00");
	X("09 04", "7F 09 31");
	F("09 04", NULL);
	X("09", "7F 09 13");
	X("02 00 00", "7F 02 11");
	F("02 00 00", NULL);
	X("04", "44");
	X("03", "43 00");
	X("07", "47 00");
	X("0A", "4A 01 C1 00"); /* permanent DTCs survive mode 04 */
	/* OBD works in any session */
	X("10 40", "50 40 00 32 01 F4");
	X("01 0D", "41 0D 32");
	/* without obd: nothing */
	uds_sim_fini(&S);
	cfg.obd.enabled = 0;
	CU_ASSERT_FATAL(uds_sim_init(&S, &cfg, now) == 0);
	X("01 00", "7F 01 11");
	F("01 00", NULL);
}

static void test_reset(void)
{
	start();
	X("10 03", "50 03 00 32 01 F4");
	unlock1();
	X("28 01 01", "68 01");
	X("11 04", "7F 11 12");
	X("11 01 00", "7F 11 13");
	X("11 01", "51 01");
	CU_ASSERT_EQUAL(uds_sim_session(&S), 0x01);
	CU_ASSERT_EQUAL(S.unlocked, 0);
	CU_ASSERT_EQUAL(S.comm_ctl, 0);
	X("10 03", "50 03 00 32 01 F4");
	X("2E 01 00 12 34", "7F 2E 33");
	X("11 83", NULL);
	CU_ASSERT_EQUAL(uds_sim_session(&S), 0x01);
	X("11 02", "51 02");
}

static void test_bad_config(void)
{
	struct uds_sim s;
	struct uds_sim_session one = {.id = 0x03};
	struct uds_sim_security odd = {.level = 2, .seed_len = 4};
	struct uds_sim_did empty = {.id = 1};

	build_cfg();
	cfg.nsessions = 0;
	CU_ASSERT_EQUAL(uds_sim_init(&s, &cfg, 0), -EINVAL);
	cfg.sessions = &one;
	cfg.nsessions = 1;
	CU_ASSERT_EQUAL(uds_sim_init(&s, &cfg, 0), -EINVAL);
	build_cfg();
	cfg.security = &odd;
	cfg.nsecurity = 1;
	CU_ASSERT_EQUAL(uds_sim_init(&s, &cfg, 0), -EINVAL);
	build_cfg();
	cfg.dids = &empty;
	cfg.ndids = 1;
	CU_ASSERT_EQUAL(uds_sim_init(&s, &cfg, 0), -EINVAL);
	build_cfg();
	cfg.key_fn = NULL;
	CU_ASSERT_EQUAL(uds_sim_init(&s, &cfg, 0), -EINVAL);
	build_cfg();
	cfg.max_response = 7;
	CU_ASSERT_EQUAL(uds_sim_init(&s, &cfg, 0), -EINVAL);
	uds_sim_fini(&s); /* zeroed by the failed init: a no-op */
	CU_ASSERT_EQUAL(uds_sim_request(&S, (const uint8_t *)"", 0, 0, now), -EINVAL);
	{
		uint8_t small[2];
		size_t n;

		start();
		send_req("22 F1 8C", 0);
		CU_ASSERT_EQUAL(uds_sim_output(&S, now, small, 2, &n), -ENOSPC);
		CU_ASSERT(take()); /* still queued */
	}
	uds_sim_fini(&S);
}

/* ---- YAML loader */

static void load_expect_error(const char *file, const char *msg)
{
	struct ecusim_cfg c;
	char err[512], path[600];

	snprintf(path, sizeof(path), "%s", test_data(file));
	CU_ASSERT_EQUAL(ecusim_cfg_load_file(&c, path, err, sizeof(err)), -EINVAL);
	{
		char want[700];

		snprintf(want, sizeof(want), "%s:%s", path, msg);
		if (strcmp(err, want))
			fprintf(stderr, "\n  want: %s\n  got:  %s\n", want, err);
		CU_ASSERT_STRING_EQUAL(err, want);
	}
	ecusim_cfg_fini(&c);
}

static void mem_expect_error(const char *yaml, const char *msg)
{
	struct ecusim_cfg c;
	char err[512];
	int e = ecusim_cfg_load(&c, "t.yaml", yaml, strlen(yaml), err, sizeof(err));

	CU_ASSERT_EQUAL(e, -EINVAL);
	if (e != -EINVAL || strcmp(err, msg))
		fprintf(stderr, "\n  want: %s\n  got:  %s\n", msg, e ? err : "success");
	CU_ASSERT_STRING_EQUAL(err, msg);
	ecusim_cfg_fini(&c);
}

static void test_yaml_errors(void)
{
	load_expect_error("ecu-sim/bad-type.yaml", "6:7: expected a list, found a mapping");
	load_expect_error("ecu-sim/bad-key.yaml", "5:5: unknown key 'pading'");
	load_expect_error("ecu-sim/bad-number.yaml",
			  "3:9: expected a number (decimal or 0x hex), found '0x7G0'");
	load_expect_error("ecu-sim/bad-missing.yaml", "6:9: missing required key 'id'");
	mem_expect_error("", "t.yaml:1:1: empty configuration; expected 'ecus:'");
	mem_expect_error("ecus:\n  - {name: a, rx: 1, tx: 2, download: {address: 0, size: 9,\n"
			 "      fail_block: 1, fail_nrc: 0x78}}\n",
			 "t.yaml:3:32: fail_nrc is a negative response code 0x10..0xFF, not 0x78");
	mem_expect_error("ecus: [\n", "t.yaml:2:1: did not find expected node content "
				      "while parsing a flow node");
	mem_expect_error("ecus:\n  - name: a\n    rx: 0x800000000\n    tx: 1\n",
			 "t.yaml:3:9: number '0x800000000' out of range (0..536870911)");
	mem_expect_error("ecus:\n  - &a {name: a, rx: 1, tx: 2}\n  - *a\n",
			 "t.yaml:2:5: anchors and aliases are not supported");
	mem_expect_error("ecus:\n  - name: a\n    rx: 1\n",
			 "t.yaml:2:5: ECU 'a' needs rx: and tx: ids (or address29:)");
	mem_expect_error("ecus:\n  - {name: a, rx: 1, tx: 2, security: [{level: 2}]}\n",
			 "t.yaml:2:48: security level must be odd (the requestSeed "
			 "sub-function), got 2");
	mem_expect_error("ecus:\n  - {name: a, rx: 1, tx: 2, dids: [{id: 1, size: 2, "
			 "read: {security: 1}}]}\n",
			 "t.yaml:2:70: security level 1 is not configured");
	mem_expect_error("ecus:\n  - {name: a, rx: 1, tx: 2, download: {address: 0, "
			 "size: 4, file: '${CANRIG_NO_SUCH_VAR}/x'}}\n",
			 "t.yaml:2:67: environment variable CANRIG_NO_SUCH_VAR is not set");
	mem_expect_error("ecus:\n  - {name: a, rx: 1, tx: 2}\n  - {name: b, rx: 1, tx: 3}\n",
			 "t.yaml:3:5: ECU 'b' receives on the same id as 'a'");
	mem_expect_error("ecus:\n  - {name: a, rx: 1, tx: 2, sessions: [{id: 3}]}\n",
			 "t.yaml:2:39: the default session (id 0x01) is missing");
	mem_expect_error("ecus:\n  - {name: a, rx: 1, tx: 2, sessions: [{id: 1, "
			 "services: [0x35]}]}\n",
			 "t.yaml:2:59: service 0x35 is not implemented");
	mem_expect_error("ecus:\n  - {name: a, rx: 1, tx: 2, obd: {vin: ABC}}\n",
			 "t.yaml:2:40: a VIN has 17 characters, not 3");
	mem_expect_error("ecus:\n  - {name: a, rx: 1, tx: 2, padding: maybe}\n",
			 "t.yaml:2:38: expected true or false, found 'maybe'");
	mem_expect_error("ecus:\n  - {name: a, rx: 1, tx: 2, dids: [{id: 1, data: 'ABC'}]}\n",
			 "t.yaml:2:50: hex bytes need two digits each in \"ABC\"");
	mem_expect_error("a: 1\n---\nb: 2\n", "t.yaml:3:1: only one YAML document is allowed");
}

/* The doip: section: its defaults (so every existing file is a DoIP
 * entity too), its keys, and what it refuses. */
static void test_yaml_doip(void)
{
	static const char def[] = "ecus:\n"
				  "  - {name: a, rx: 1, tx: 2, dids: [{id: 0xF190, ascii: "
				  "WVWZZZ1JZXW000009}]}\n"
				  "  - {name: b, rx: 3, tx: 4}\n"
				  "  - {name: c, rx: 5, tx: 6, doip_address: 0x0E00}\n";
	static const char set[] = "doip:\n"
				  "  logical_address: 0x2001\n"
				  "  vin: ABCDEFGHJKLMNPRST\n"
				  "  eid: '00 11 22 33 44 55'\n"
				  "  further_action: 0x10\n"
				  "  tester_range: [0x0F00, 0x0F10]\n"
				  "ecus:\n"
				  "  - {name: a, rx: 1, tx: 2, obd: {vin: WVWZZZ1JZXW000009}}\n";
	static const uint8_t eid_def[6] = {0x02, 0, 0, 0, 0x10, 0x00};
	static const uint8_t eid_set[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
	struct ecusim_cfg c;
	char err[512];

	CU_ASSERT_FATAL(ecusim_cfg_load(&c, "t.yaml", def, strlen(def), err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(c.doip.la, 0x1000);
	CU_ASSERT(!memcmp(c.doip.vin, "WVWZZZ1JZXW000009", 17));
	CU_ASSERT(!memcmp(c.doip.eid, eid_def, 6) && !memcmp(c.doip.gid, eid_def, 6));
	CU_ASSERT_EQUAL(c.doip.further_action, 0);
	CU_ASSERT(c.doip.tester_min == 0x0E00 && c.doip.tester_max == 0x0FFF);
	CU_ASSERT_EQUAL(c.ecus[0].doip_la, 0x0010);
	CU_ASSERT_EQUAL(c.ecus[1].doip_la, 0x0011);
	CU_ASSERT_EQUAL(c.ecus[2].doip_la, 0x0E00);
	ecusim_cfg_fini(&c);

	CU_ASSERT_FATAL(ecusim_cfg_load(&c, "t.yaml", set, strlen(set), err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(c.doip.la, 0x2001);
	CU_ASSERT(!memcmp(c.doip.vin, "ABCDEFGHJKLMNPRST", 17));
	/* the group id is the entity id unless given */
	CU_ASSERT(!memcmp(c.doip.eid, eid_set, 6) && !memcmp(c.doip.gid, eid_set, 6));
	CU_ASSERT_EQUAL(c.doip.further_action, 0x10);
	CU_ASSERT(c.doip.tester_min == 0x0F00 && c.doip.tester_max == 0x0F10);
	ecusim_cfg_fini(&c);

	/* without F190, the OBD VIN; without either, seventeen '0' */
	{
		static const char obd[] = "ecus:\n  - {name: a, rx: 1, tx: 2, obd: "
					  "{vin: WVWZZZ1JZXW000007}}\n";
		static const char none[] = "ecus: [{name: a, rx: 1, tx: 2}]\n";

		CU_ASSERT_FATAL(ecusim_cfg_load(&c, "t.yaml", obd, strlen(obd), err, sizeof(err)) ==
				0);
		CU_ASSERT(!memcmp(c.doip.vin, "WVWZZZ1JZXW000007", 17));
		ecusim_cfg_fini(&c);
		CU_ASSERT_FATAL(
			ecusim_cfg_load(&c, "t.yaml", none, strlen(none), err, sizeof(err)) == 0);
		CU_ASSERT(!memcmp(c.doip.vin, "00000000000000000", 17));
		ecusim_cfg_fini(&c);
	}
	/* the flow control it asks for: a block size paces a fast sender */
	{
		static const char fc[] = "ecus: [{name: a, rx: 1, tx: 2, bs: 32, stmin: 0xF5}]\n";

		CU_ASSERT_FATAL(ecusim_cfg_load(&c, "t.yaml", fc, strlen(fc), err, sizeof(err)) ==
				0);
		CU_ASSERT_EQUAL(c.ecus[0].phys.bs, 32);
		CU_ASSERT_EQUAL(c.ecus[0].phys.stmin, 0xF5);
		ecusim_cfg_fini(&c);
	}
	mem_expect_error("ecus:\n  - {name: a, rx: 1, tx: 2}\n  - {name: b, rx: 3, tx: 4, "
			 "doip_address: 0x10}\n",
			 "t.yaml:3:5: ECUs 'a' and 'b' have the same DoIP address 0x0010");
	mem_expect_error("doip: {logical_address: 0x10}\necus: [{name: a, rx: 1, tx: 2}]\n",
			 "t.yaml:2:8: ECU 'a' has the entity's DoIP address 0x0010");
	mem_expect_error("doip: {eid: '00 11'}\necus: [{name: a, rx: 1, tx: 2}]\n",
			 "t.yaml:1:13: eid has 6 bytes (a MAC address), not 2");
	mem_expect_error(
		"doip: {tester_range: [0x0F00, 0x0E00]}\necus: [{name: a, rx: 1, tx: 2}]\n",
		"t.yaml:1:22: tester_range: LOW above HIGH");
	mem_expect_error("doip: {vin: ABC}\necus: [{name: a, rx: 1, tx: 2}]\n",
			 "t.yaml:1:13: a VIN has 17 characters, not 3");
	mem_expect_error("doip: {port: 1}\necus: [{name: a, rx: 1, tx: 2}]\n",
			 "t.yaml:1:8: unknown key 'port'");
}

static void test_yaml_files(void)
{
	struct ecusim_cfg c;
	struct uds_sim s;
	char err[512];
	size_t i;

	setenv("ECUSIM_DIR", "/tmp/canrig-test", 1);
	CU_ASSERT_FATAL(ecusim_cfg_load_file(&c, test_data("ecu-sim/three-ecus.yaml"), err,
					     sizeof(err)) == 0);
	CU_ASSERT_EQUAL(c.necus, 3);
	CU_ASSERT_STRING_EQUAL(c.ecus[0].name, "engine");
	CU_ASSERT_EQUAL(c.ecus[0].phys.rx_id, 0x7E0);
	CU_ASSERT_EQUAL(c.ecus[0].phys.tx_id, 0x7E8);
	CU_ASSERT_EQUAL(c.ecus[0].func.rx_id, 0x7DF);
	CU_ASSERT_EQUAL(c.ecus[0].func.tx_id, 0x7E8);
	CU_ASSERT_EQUAL(c.ecus[0].phys.pad_byte, 0xCC);
	CU_ASSERT_EQUAL(c.ecus[2].phys.pad_byte, 0xAA);
	CU_ASSERT_STRING_EQUAL(c.ecus[0].download_file, "/tmp/canrig-test/engine-flash.bin");
	CU_ASSERT_PTR_NOT_NULL(c.ecus[0].key_cmd[3 >> 1]);
	CU_ASSERT_EQUAL(c.ecus[0].sim.download.size, 0x300000);
	CU_ASSERT_EQUAL(c.ecus[0].rx_cap, 4095);
	for (i = 0; i < c.necus; i++) {
		c.ecus[i].sim.key_fn = test_key;
		CU_ASSERT_FATAL(uds_sim_init(&s, &c.ecus[i].sim, T0) == 0);
		CU_ASSERT(uds_sim_request(&s, (const uint8_t *)"\x22\xF1\x90", 3, 0, T0) == 0);
		CU_ASSERT(uds_sim_output(&s, T0, got, sizeof(got), &got_len) == 1);
		CU_ASSERT(got_len == 20 && !memcmp(got + 3, "WVWZZZ1JZXW000001", 17));
		CU_ASSERT(uds_sim_request(&s, (const uint8_t *)"\x01\x0D", 2, 1, T0) == 0);
		CU_ASSERT(uds_sim_output(&s, T0, got, sizeof(got), &got_len) == 1);
		CU_ASSERT(got_len == 3 && got[0] == 0x41 && got[1] == 0x0D);
		uds_sim_fini(&s);
	}
	ecusim_cfg_fini(&c);

	CU_ASSERT_FATAL(ecusim_cfg_load_file(&c, test_data("ecu-sim/engine29.yaml"), err,
					     sizeof(err)) == 0);
	CU_ASSERT_EQUAL(c.necus, 1);
	CU_ASSERT_EQUAL(c.ecus[0].phys.rx_id, 0x18DA10F1);
	CU_ASSERT_EQUAL(c.ecus[0].phys.tx_id, 0x18DAF110);
	CU_ASSERT_EQUAL(c.ecus[0].func.rx_id, 0x18DB33F1);
	CU_ASSERT(c.ecus[0].phys.rx_eff && c.ecus[0].phys.tx_eff && c.ecus[0].func.rx_eff);
	CU_ASSERT_FATAL(uds_sim_init(&s, &c.ecus[0].sim, T0) == 0);
	CU_ASSERT(uds_sim_request(&s, (const uint8_t *)"\x10\x03", 2, 0, T0) == 0);
	CU_ASSERT(uds_sim_output(&s, T0, got, sizeof(got), &got_len) == 1);
	CU_ASSERT(uds_sim_request(&s, (const uint8_t *)"\x27\x01", 2, 0, T0) == 0);
	CU_ASSERT(uds_sim_output(&s, T0, got, sizeof(got), &got_len) == 1);
	CU_ASSERT(got_len == 6 && !memcmp(got, "\x67\x01\xA5\x5A\x0F\xF0", 6));
	CU_ASSERT(uds_sim_request(&s, (const uint8_t *)"\x27\x02\x5A\xA5\xF0\x0F", 6, 0, T0) == 0);
	CU_ASSERT(uds_sim_output(&s, T0, got, sizeof(got), &got_len) == 1);
	CU_ASSERT(got_len == 2 && got[0] == 0x67);
	uds_sim_fini(&s);
	ecusim_cfg_fini(&c);
	ecusim_cfg_fini(&c); /* twice: a no-op */
	CU_ASSERT_EQUAL(ecusim_cfg_load_file(&c, "/nonexistent/x.yaml", err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/x.yaml: No such file or directory");
}

static void test_yml_accessors(void)
{
	static const char doc[] = "a: 0x1F\nb: 42\nc: On\nd: \"de AD 0xBE\"\n"
				  "e: [1, 2]\nf: ${HOME}x\ng: 0xDEADBEEF\n";
	struct yml y;
	uint64_t v;
	int b;
	uint8_t buf[4];
	size_t n;
	char *s;
	yaml_node_t *r;

	CU_ASSERT_FATAL(yml_load_mem(&y, "m.yaml", doc, strlen(doc)) == 0);
	r = yml_root(&y);
	CU_ASSERT(yml_uint(&y, yml_get(&y, r, "a"), 0xFF, &v) == 0 && v == 0x1F);
	CU_ASSERT(yml_uint(&y, yml_get(&y, r, "b"), 0xFF, &v) == 0 && v == 42);
	CU_ASSERT(yml_uint(&y, yml_get(&y, r, "b"), 41, &v) == -EINVAL);
	CU_ASSERT_STRING_EQUAL(yml_errmsg(&y), "m.yaml:2:4: number '42' out of range (0..41)");
	CU_ASSERT(yml_bool(&y, yml_get(&y, r, "c"), &b) == 0 && b == 1);
	CU_ASSERT(yml_hex(&y, yml_get(&y, r, "d"), buf, sizeof(buf), &n) == -EINVAL);
	CU_ASSERT(yml_hex(&y, yml_get(&y, r, "g"), buf, sizeof(buf), &n) == 0 && n == 4 &&
		  buf[0] == 0xDE && buf[3] == 0xEF);
	CU_ASSERT(yml_hex(&y, yml_get(&y, r, "g"), buf, 3, &n) == -EINVAL);
	CU_ASSERT(yml_uint(&y, yml_get(&y, r, "e"), 9, &v) == -EINVAL);
	CU_ASSERT_STRING_EQUAL(yml_errmsg(&y), "m.yaml:5:4: expected a number, found a list");
	CU_ASSERT(yml_seq(&y, yml_get(&y, r, "e"), &n) == 0 && n == 2);
	CU_ASSERT(yml_uint(&y, yml_seq_item(&y, yml_get(&y, r, "e"), 1), 9, &v) == 0 && v == 2);
	CU_ASSERT(yml_map_check(&y, r, NULL) == 0);
	CU_ASSERT_PTR_NULL(yml_get(&y, r, "zz"));
	CU_ASSERT(yml_need(&y, r, "zz", &r) == -EINVAL);
	CU_ASSERT_STRING_EQUAL(yml_errmsg(&y), "m.yaml:1:1: missing required key 'zz'");
	r = yml_root(&y);
	if (getenv("HOME")) {
		CU_ASSERT_FATAL(yml_str_env(&y, yml_get(&y, r, "f"), &s) == 0);
		CU_ASSERT(!strncmp(s, getenv("HOME"), strlen(getenv("HOME"))));
		CU_ASSERT(s[strlen(s) - 1] == 'x');
		free(s);
	}
	yml_fini(&y);
	yml_fini(&y);
	CU_ASSERT(yml_load_mem(&y, "d.yaml", "a: 1\na: 2\n", 10) == 0);
	CU_ASSERT(yml_map_check(&y, yml_root(&y), NULL) == -EINVAL);
	CU_ASSERT_STRING_EQUAL(yml_errmsg(&y), "d.yaml:2:1: duplicate key 'a'");
	yml_fini(&y);
}

/* libyaml's messages for a tab do not say "tab"; columns count
 * characters, so a stop after "é" (2 bytes) is not taken for the tab
 * one byte before it */
static void test_yml_tabs_dirs(void)
{
	static const char tab[] = "ecus:\n\t- name: x\n", deep[] = "a:\n  - x\n  -\tb\n",
			  utf8[] = "ab:\n  - {\xC3\xA9: 1}\t@\n";
	char dir[] = "/tmp/canrig-yml.XXXXXX";
	struct yml y;

	CU_ASSERT(yml_load_mem(&y, "t.yaml", tab, strlen(tab)) == -EINVAL);
	CU_ASSERT_STRING_EQUAL(yml_errmsg(&y), "t.yaml:2:1: tabs are not allowed for indentation");
	CU_ASSERT(yml_load_mem(&y, "t.yaml", deep, strlen(deep)) == -EINVAL);
	CU_ASSERT_STRING_EQUAL(yml_errmsg(&y), "t.yaml:3:4: tabs are not allowed for indentation");
	CU_ASSERT(yml_load_mem(&y, "u.yaml", utf8, strlen(utf8)) == -EINVAL);
	CU_ASSERT_STRING_EQUAL(yml_errmsg(&y), "u.yaml:2:12: found character that cannot start "
					       "any token while scanning for the next token");
	/* a directory opens with fopen(); the read fails with EISDIR */
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	CU_ASSERT(yml_load_file(&y, dir) == -EISDIR);
	CU_ASSERT(!strncmp(yml_errmsg(&y), dir, strlen(dir)) &&
		  !strcmp(yml_errmsg(&y) + strlen(dir), ": Is a directory"));
	rmdir(dir);
}

static int register_uds_sim_tests(void)
{
	CU_pSuite s = CU_add_suite("uds_sim (simulated ECU engine, ecu-sim YAML)", NULL, NULL);

	if (!s || !CU_add_test(s, "sessions, tester present, 0x11/0x7F", test_sessions) ||
	    !CU_add_test(s, "S3 fallback and relock", test_s3) ||
	    !CU_add_test(s, "security access: 0x24 0x35 0x36 0x37, algorithms", test_security) ||
	    !CU_add_test(s, "read/write DIDs, counter, clock, 0x14", test_dids) ||
	    !CU_add_test(s, "DTCs: 0x19 01 02 04 06 0A, 0x14, 0x85", test_dtcs) ||
	    !CU_add_test(s, "routines, 0x78 pending, 0x21 busy", test_routines) ||
	    !CU_add_test(s, "IO control", test_io_control) ||
	    !CU_add_test(s, "communication control", test_comm_control) ||
	    !CU_add_test(s, "read/write memory by address", test_memory) ||
	    !CU_add_test(s, "download: BSC wrap, 0x73, CRC-32", test_download) ||
	    !CU_add_test(s, "functional addressing NRC suppression", test_functional) ||
	    !CU_add_test(s, "OBD-II modes 01 03 04 07 09 0A", test_obd) ||
	    !CU_add_test(s, "ECU reset", test_reset) ||
	    !CU_add_test(s, "bad engine configurations", test_bad_config) ||
	    !CU_add_test(s, "YAML errors: file:line:col", test_yaml_errors) ||
	    !CU_add_test(s, "YAML files: three ECUs, 29-bit", test_yaml_files) ||
	    !CU_add_test(s, "YAML: the doip: section", test_yaml_doip) ||
	    !CU_add_test(s, "yml accessors", test_yml_accessors) ||
	    !CU_add_test(s, "yml: tabs, directories", test_yml_tabs_dirs))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(uds_sim, register_uds_sim_tests)
