/* SPDX-License-Identifier: MIT */
/*
 * fuzz_uds_sim.c - libFuzzer target: the simulated ECU engine fed a fuzzed
 * sequence of requests and clock steps, with a configuration like the
 * engine ECU of tests/data/ecu-sim/three-ecus.yaml.  Input: records of
 * [time step][flags][len][request...]; flags bit 0 = functional.  Each
 * request sits in an exact-size buffer (ASan sees any over-read), every
 * answer is drained and checked for shape.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uds_sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t zero2[2];
static const struct uds_sim_did_rec snap1[] = {
	{0x010C, (const uint8_t *)"\x0B\xB8", 2},
	{0x0105, (const uint8_t *)"\x5A", 1},
};
static const struct uds_sim_snapshot snaps[] = {{1, snap1, 2}};
static const struct uds_sim_extdata exts[] = {{1, (const uint8_t *)"\x05", 1}};
static const struct uds_sim_dtc dtcs[] = {
	{0x042011, 0x2F, 0, snaps, 1, exts, 1},
	{0x012345, 0x04, 0, NULL, 0, NULL, 0},
	{0xC10000, 0x08, 1, NULL, 0, NULL, 0},
};
static const struct uds_sim_obd_pid pids[] = {
	{0x0C, (const uint8_t *)"\x1A\xF8", 2},
	{0x0D, (const uint8_t *)"\x32", 1},
	{0x33, (const uint8_t *)"\x65", 1},
};
static const struct uds_sim_delay delays[] = {{0x14, 200}};

static struct uds_sim_session sessions[3];
static struct uds_sim_did dids[5];
static struct uds_sim_security levels[3];
static struct uds_sim_routine routines[2];
static struct uds_sim_io ios[1];
static struct uds_sim_mem mems[2];
static struct uds_sim_cfg cfg;
static uint64_t sunk;

static int sink(void *ctx, int op, uint32_t addr, uint64_t off, const uint8_t *p, size_t n)
{
	(void)ctx;
	(void)addr;
	if (op == UDS_SIM_SINK_DATA) {
		if (n && p[n - 1] == 0xEE && p[0] == 0xEE)
			return -5; /* the failure path too */
		sunk = off + n;
	}
	return 0;
}

static int key(void *ctx, uint8_t level, const uint8_t *seed, size_t n, uint8_t *k, size_t cap,
	       size_t *kl)
{
	size_t i;

	(void)ctx;
	(void)level;
	if (n > cap)
		return -22;
	for (i = 0; i < n; i++)
		k[i] = seed[n - 1 - i];
	*kl = n;
	return seed[0] == 0x42 ? -5 : 0;
}

static void setup(void)
{
	static const uint8_t ids[] = {1, 2, 3};
	size_t i;

	for (i = 0; i < 3; i++) {
		sessions[i].id = ids[i];
		sessions[i].p2_ms = 50;
		sessions[i].p2star_ms = i == 2 ? 0 : 5000;
		uds_sim_all_services(sessions[i].sids);
	}
	dids[0] = (struct uds_sim_did){
		.id = 0xF190, .data = (const uint8_t *)"WVWZZZ1JZXW000001", .len = 17};
	dids[1] = (struct uds_sim_did){.id = 0x0100, .data = zero2, .len = 2, .writable = 1};
	dids[1].write.security = UDS_SIM_LEVEL_BIT(1);
	dids[2] = (struct uds_sim_did){.id = 0x0200, .kind = UDS_SIM_DID_COUNTER, .len = 2};
	dids[3] = (struct uds_sim_did){.id = 0x0201, .kind = UDS_SIM_DID_CLOCK, .len = 8};
	dids[4] = (struct uds_sim_did){.id = 0x0300, .data = zero2, .len = 2};
	uds_sim_map_set(dids[4].read.sessions, 3);
	levels[0] = (struct uds_sim_security){.level = 1,
					      .seed_len = 4,
					      .algo = UDS_SIM_KEY_XOR,
					      .constant = 0x12345678,
					      .fixed_seed = (const uint8_t *)"\x11\x22\x33\x44",
					      .delay_ms = 1000};
	levels[1] = (struct uds_sim_security){
		.level = 3, .seed_len = 32, .algo = UDS_SIM_KEY_EXTERNAL, .max_attempts = 1};
	levels[2] = (struct uds_sim_security){
		.level = 5, .seed_len = 7, .algo = UDS_SIM_KEY_ADD, .constant = 0xFFFFFFFF};
	routines[0] = (struct uds_sim_routine){.id = 0xFF00,
					       .start_rec = (const uint8_t *)"\x00",
					       .start_len = 1,
					       .result = (const uint8_t *)"\x00",
					       .result_len = 1,
					       .pending_ms = 300};
	routines[1] = (struct uds_sim_routine){.id = 0x0203};
	routines[1].access.security = UDS_SIM_LEVEL_BIT(1);
	ios[0] = (struct uds_sim_io){.did = 0x4F10, .len = 3};
	mems[0] = (struct uds_sim_mem){.addr = 0x20000000,
				       .size = 0x100,
				       .init = (const uint8_t *)"\xDE\xAD",
				       .init_len = 2,
				       .writable = 1};
	mems[1] = (struct uds_sim_mem){.addr = 0xFFFFFFF0, .size = 0x10, .fill = 0xFF};
	uds_sim_cfg_init(&cfg);
	cfg.sessions = sessions;
	cfg.nsessions = 3;
	cfg.max_response = 300;
	cfg.dids = dids;
	cfg.ndids = 5;
	cfg.dtcs = dtcs;
	cfg.ndtcs = 3;
	cfg.security = levels;
	cfg.nsecurity = 3;
	cfg.routines = routines;
	cfg.nroutines = 2;
	cfg.ios = ios;
	cfg.nios = 1;
	cfg.mems = mems;
	cfg.nmems = 2;
	cfg.download = (struct uds_sim_download){
		.enabled = 1, .addr = 0xFFFF0000, .size = 0x10000, .max_block = 0x82};
	cfg.delays = delays;
	cfg.ndelays = 1;
	cfg.obd = (struct uds_sim_obd){.enabled = 1,
				       .pids = pids,
				       .npids = 3,
				       .vin = "WVWZZZ1JZXW000001",
				       .ecu_name = "ECM-EngineControl-XYZ"};
	cfg.key_fn = key;
	cfg.sink_fn = sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct uds_sim s;
	uint8_t out[512];
	size_t pos = 0, len;
	uint64_t now = 1000000000ull;
	int r, guard;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (uds_sim_init(&s, &cfg, now))
		__builtin_trap();
	while (pos + 3 <= size) {
		size_t n = data[pos + 2];
		uint8_t *req, flags = data[pos + 1];

		now += (uint64_t)data[pos] * 13000000ull;
		if (n > size - pos - 3)
			n = size - pos - 3;
		req = malloc(n ? n : 1);
		if (!req)
			break;
		memcpy(req, data + pos + 3, n);
		uds_sim_timers(&s, now);
		r = uds_sim_request(&s, req, n, flags & 1, now);
		free(req);
		if (r && !(r == -22 && n == 0))
			__builtin_trap();
		pos += 3 + n;
		/* drain, with time moving to each deadline */
		for (guard = 0; guard < 64; guard++) {
			uint64_t d;

			r = uds_sim_output(&s, now, out, sizeof(out), &len);
			if (r < 0 || r > 1)
				__builtin_trap();
			if (r == 1) {
				if (!len || len > cfg.max_response)
					__builtin_trap();
				if (out[0] == 0x7F && len != 3)
					__builtin_trap();
				continue;
			}
			d = uds_sim_deadline(&s);
			if (d == UINT64_MAX || (flags & 2))
				break;
			if (d > now)
				now = d;
			else if (!uds_sim_timers(&s, now))
				break;
		}
	}
	uds_sim_fini(&s);
	return 0;
}
