/* SPDX-License-Identifier: MIT */
/* test_uds_client.c - the UDS client engine on a fake clock: P2, 0x78
 * chains and the cap, suppressed answers, functional collection,
 * TesterPresent, and malformed answers each giving the documented error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uds_sim_conf.h"
#include "isotp.h"
#include "uds_client.h"
#include "uds_did.h"
#include "uds_sim.h"
#include "unit.h"

#define MS 1000000ull

static struct uds_client cl;
static struct uds_client_cfg cfg;

static void setup(void)
{
	uds_client_cfg_init(&cfg);
	uds_client_init(&cl, &cfg);
}

/* Starts req at now and confirms it sent; returns the output seen. */
static struct uds_tx start(const uint8_t *req, size_t len, unsigned int flags, uint64_t now)
{
	struct uds_tx tx;

	memset(&tx, 0, sizeof(tx));
	CU_ASSERT_EQUAL(uds_client_request(&cl, req, len, flags, now), 0);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), 0);
	CU_ASSERT_EQUAL(uds_client_output(&cl, now, &tx), 1);
	CU_ASSERT_EQUAL(tx.kind, UDS_TX_REQUEST);
	CU_ASSERT_EQUAL(uds_client_sent(&cl, UDS_TX_REQUEST, now), 0);
	return tx;
}

static const uint8_t rdid[] = {0x22, 0xF1, 0x90};
static const uint8_t pos[] = {0x62, 0xF1, 0x90, 'W'};
static const uint8_t pend[] = {0x7F, 0x22, 0x78};

static void test_physical(void)
{
	struct uds_tx tx;

	setup();
	tx = start(rdid, 3, 0, 0);
	CU_ASSERT(tx.data == rdid && tx.len == 3 && !tx.functional);
	CU_ASSERT_EQUAL(uds_client_request(&cl, rdid, 3, 0, 0), -EBUSY);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), 1000 * MS);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 999 * MS), 0);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, pos, 4, 10 * MS),
			UDS_EV_RESPONSE | UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, 0);
	CU_ASSERT(cl.rsp == pos && cl.rsp_len == 4 && cl.rsp_src == 0x7E8);
	/* a late second answer changes nothing */
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, pos, 4, 11 * MS), 0);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), UINT64_MAX);

	/* nothing at all: P2 */
	start(rdid, 3, 0, 0);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 1000 * MS), UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, -ETIMEDOUT);
	CU_ASSERT_STRING_EQUAL(cl.timeout, "P2");

	/* an answer before the transport confirmed the request */
	CU_ASSERT_EQUAL(uds_client_request(&cl, rdid, 3, 0, 0), 0);
	CU_ASSERT_EQUAL(uds_client_output(&cl, 0, &tx), 1);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, pos, 4, MS), UDS_EV_RESPONSE | UDS_EV_DONE);
	CU_ASSERT_EQUAL(uds_client_sent(&cl, UDS_TX_REQUEST, 2 * MS), 0);
	CU_ASSERT_EQUAL(cl.state, UDS_IDLE);
}

static void test_pending_chain(void)
{
	uint64_t t = 0;
	int i;

	setup();
	/* TesterPresent would be the nearest deadline here */
	cfg.tp_ms = 0;
	uds_client_init(&cl, &cfg);
	start(rdid, 3, 0, 0);
	/* five 0x78 in a row, each just before P2* runs out */
	for (i = 0; i < 5; i++) {
		t += (i ? 4900 : 900) * MS;
		CU_ASSERT_EQUAL(uds_client_timers(&cl, t), 0);
		CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, pend, 3, t), UDS_EV_PENDING);
		CU_ASSERT_EQUAL(uds_client_deadline(&cl), t + 5000 * MS);
	}
	CU_ASSERT_EQUAL(cl.npending, 5);
	t += 4999 * MS;
	CU_ASSERT_EQUAL(uds_client_timers(&cl, t), 0);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, pos, 4, t), UDS_EV_RESPONSE | UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, 0);

	/* 0x78, then silence: P2* */
	start(rdid, 3, 0, 0);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, pend, 3, 100 * MS), UDS_EV_PENDING);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 5099 * MS), 0);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 5100 * MS), UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, -ETIMEDOUT);
	CU_ASSERT_STRING_EQUAL(cl.timeout, "P2*");

	/* 0x78 forever: the cap ends it */
	cfg.cap_ms = 12000;
	uds_client_init(&cl, &cfg);
	start(rdid, 3, 0, 0);
	for (t = 0; t < 20000 * MS; t += 1000 * MS) {
		unsigned int ev = uds_client_timers(&cl, t);

		if (ev) {
			CU_ASSERT_EQUAL(ev, UDS_EV_DONE);
			break;
		}
		CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, pend, 3, t), UDS_EV_PENDING);
	}
	CU_ASSERT_EQUAL(t, 12000 * MS);
	CU_ASSERT_EQUAL(cl.result, -ETIMEDOUT);
	CU_ASSERT_STRING_EQUAL(cl.timeout, "cap");
	/* a 0x78 for another service is no reason to wait */
	start(rdid, 3, 0, 0);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, (const uint8_t *)"\x7F\x2E\x78", 3, MS),
			UDS_EV_RESPONSE | UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, -EPROTO);
}

static void test_suppress(void)
{
	const uint8_t req[2] = {0x10, 0x83};

	setup();
	start(req, 2, 0, 0);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 1000 * MS), UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, 0);
	CU_ASSERT_EQUAL(cl.answers, 0);
	/* negative answers still come, and count */
	start(req, 2, 0, 0);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, (const uint8_t *)"\x7F\x10\x22", 3, MS),
			UDS_EV_RESPONSE | UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, 0x22);
	/* after 0x78 the final answer is owed even with the bit set */
	start(req, 2, 0, 0);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, (const uint8_t *)"\x7F\x10\x78", 3, MS),
			UDS_EV_PENDING);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 1000 * MS), 0);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 5001 * MS), UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, -ETIMEDOUT);
}

static void test_functional(void)
{
	const uint8_t vin[] = {0x22, 0xF1, 0x90};
	uint32_t got[4];
	unsigned int ev, n = 0;
	struct uds_tx tx;

	setup();
	cfg.tp_ms = 0;
	uds_client_init(&cl, &cfg);
	tx = start(vin, 3, UDS_REQ_FUNCTIONAL, 0);
	CU_ASSERT(tx.functional);
	/* 7E8 at once, 7E9 busy (0x78), 7EA multi-frame in progress */
	ev = uds_client_input(&cl, 0x7E8, pos, 4, 5 * MS);
	CU_ASSERT_EQUAL(ev, UDS_EV_RESPONSE);
	got[n++] = cl.rsp_src;
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E9, pend, 3, 6 * MS), UDS_EV_PENDING);
	CU_ASSERT_EQUAL(uds_client_rx_start(&cl, 0x7EA, 7 * MS), 0);
	/* the window closes; two ECUs are still owed */
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 1000 * MS), 0);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), 5006 * MS);
	ev = uds_client_input(&cl, 0x7EA, pos, 4, 1200 * MS);
	CU_ASSERT_EQUAL(ev, UDS_EV_RESPONSE);
	got[n++] = cl.rsp_src;
	/* the same ECU again: ignored */
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, pos, 4, 1300 * MS), 0);
	ev = uds_client_input(&cl, 0x7E9, (const uint8_t *)"\x7F\x22\x31", 3, 2000 * MS);
	CU_ASSERT_EQUAL(ev, UDS_EV_RESPONSE | UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.rsp_result, 0x31);
	got[n++] = cl.rsp_src;
	CU_ASSERT(n == 3 && got[0] == 0x7E8 && got[1] == 0x7EA && got[2] == 0x7E9);
	CU_ASSERT_EQUAL(cl.result, 0);
	CU_ASSERT_EQUAL(cl.answers, 3);

	/* an ECU that says 0x78 and goes quiet gets its own timeout */
	start(vin, 3, UDS_REQ_FUNCTIONAL, 0);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, pend, 3, MS), UDS_EV_PENDING);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E9, pos, 4, MS), UDS_EV_RESPONSE);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 1000 * MS), 0);
	ev = uds_client_timers(&cl, 5001 * MS);
	CU_ASSERT_EQUAL(ev, UDS_EV_RESPONSE | UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.rsp_src, 0x7E8);
	CU_ASSERT_EQUAL(cl.rsp_result, -ETIMEDOUT);
	CU_ASSERT_EQUAL(cl.result, 0);

	/* nobody there */
	start(vin, 3, UDS_REQ_FUNCTIONAL, 0);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), 1000 * MS);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 1000 * MS), UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, -ETIMEDOUT);

	/* a broken multi-frame answer is that ECU's error only */
	start(vin, 3, UDS_REQ_FUNCTIONAL, 0);
	CU_ASSERT_EQUAL(uds_client_rx_start(&cl, 0x7E8, MS), 0);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E9, pos, 4, MS), UDS_EV_RESPONSE);
	CU_ASSERT_EQUAL(uds_client_rx_error(&cl, 0x7E8, -ETIMEDOUT, 1100 * MS),
			UDS_EV_RESPONSE | UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.rsp_result, -ECOMM);
	CU_ASSERT_EQUAL(cl.transport_err, -ETIMEDOUT);
	CU_ASSERT_EQUAL(cl.result, 0);
}

static void test_session_and_tester(void)
{
	const uint8_t ext[2] = {0x10, 0x03};
	const uint8_t ans[6] = {0x50, 0x03, 0x00, 0x32, 0x01, 0xF4};
	struct uds_tx tx;
	uint64_t t;
	unsigned int tps = 0;

	setup();
	start(ext, 2, 0, 0);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, ans, 6, 10 * MS),
			UDS_EV_RESPONSE | UDS_EV_DONE);
	/* the ECU's 50 ms + margin is below the 1000 ms floor; its 5000 ms
	 * P2* plus the margin is above it */
	CU_ASSERT_EQUAL(cl.p2_ns, 1000 * MS);
	CU_ASSERT_EQUAL(cl.p2star_ns, 5200 * MS);
	CU_ASSERT(cl.nondefault);
	/* idle in a non-default session: TesterPresent every 2 s */
	CU_ASSERT_EQUAL(uds_client_output(&cl, 1000 * MS, &tx), 0);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), 2010 * MS);
	CU_ASSERT_EQUAL(uds_client_output(&cl, 2010 * MS, &tx), 1);
	CU_ASSERT(tx.kind == UDS_TX_TESTER && tx.functional && tx.len == 2 && tx.data[0] == 0x3E &&
		  tx.data[1] == 0x80);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), 4010 * MS);

	/* waiting through a long 0x78 chain keeps it going too */
	start(rdid, 3, 0, 5000 * MS);
	for (t = 5000 * MS; t < 14000 * MS; t += 100 * MS) {
		if (uds_client_output(&cl, t, &tx)) {
			CU_ASSERT_EQUAL(tx.kind, UDS_TX_TESTER);
			tps++;
		}
		if (t % (4000 * MS) == 0)
			uds_client_input(&cl, 0x7E8, pend, 3, t);
	}
	CU_ASSERT_EQUAL(tps, 4);
	/* an ECU that answers our 3E 80 anyway is not taken for the answer */
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, (const uint8_t *)"\x7E\x00", 2, t), 0);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, pos, 4, t), UDS_EV_RESPONSE | UDS_EV_DONE);
	/* ECUReset ends the session: no more keep-alive */
	start((const uint8_t *)"\x11\x01", 2, 0, t);
	uds_client_input(&cl, 0x7E8, (const uint8_t *)"\x51\x01", 2, t);
	CU_ASSERT(!cl.nondefault);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), UINT64_MAX);
	CU_ASSERT_EQUAL(uds_client_output(&cl, t + 60000 * MS, &tx), 0);

	/* switched off */
	cfg.tp_ms = 0;
	uds_client_init(&cl, &cfg);
	uds_client_set_session(&cl, 1, 0);
	CU_ASSERT_EQUAL(uds_client_output(&cl, 60000 * MS, &tx), 0);
	/* fixed timing is not adopted */
	cfg.adopt_timing = 0;
	uds_client_init(&cl, &cfg);
	start(ext, 2, 0, 0);
	uds_client_input(&cl, 0x7E8, ans, 6, MS);
	CU_ASSERT_EQUAL(cl.p2_ns, 1000 * MS);
}

/*
 * Which timer runs after a session change (issue 19): the ECU's announced
 * P2/P2* plus the margin, never below the configured values (the floor);
 * the timeout names the timer and its value; a late answer to a request
 * that timed out is not taken for the next request's answer.
 */
static void test_timeout_choice(void)
{
	const uint8_t prog[2] = {0x10, 0x02};
	/* P2 50 ms, P2* 5000 ms (500 x 10 ms): the bundled simulator's */
	const uint8_t fast[6] = {0x50, 0x02, 0x00, 0x32, 0x01, 0xF4};
	/* P2 3000 ms, P2* 8000 ms */
	const uint8_t slow[6] = {0x50, 0x02, 0x0B, 0xB8, 0x03, 0x20};
	/* P2* 100 ms */
	const uint8_t short_star[6] = {0x50, 0x02, 0x00, 0x0A, 0x00, 0x0A};
	const uint8_t td[4] = {0x36, 0x01, 0xAA, 0xBB};
	const uint8_t td_pend[3] = {0x7F, 0x36, 0x78};
	const uint8_t td_ok[2] = {0x76, 0x01};
	const uint8_t exit_req[1] = {0x37};
	const uint8_t exit_ok[1] = {0x77};
	uint64_t t;

	setup();
	cfg.tp_ms = 0;
	uds_client_init(&cl, &cfg);
	start(prog, 2, 0, 0);
	uds_client_input(&cl, 0x7E8, fast, 6, MS);
	CU_ASSERT(cl.ecu_timing && cl.ecu_p2_ms == 50 && cl.ecu_p2star_ms == 5000);
	/* a 36 answered after 900 ms is in time: 50 + 200 would have failed */
	t = 10 * MS;
	start(td, 4, 0, t);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), t + 1000 * MS);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, t + 900 * MS), 0);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, td_ok, 2, t + 900 * MS),
			UDS_EV_RESPONSE | UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, 0);
	/* after 0x78: P2* = 5000 + 200 */
	t = 2000 * MS;
	start(td, 4, 0, t);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, td_pend, 3, t + 10 * MS), UDS_EV_PENDING);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), t + 5210 * MS);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, t + 5210 * MS), UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, -ETIMEDOUT);
	CU_ASSERT_STRING_EQUAL(cl.timeout, "P2*");
	CU_ASSERT_EQUAL(cl.timeout_ms, 5200);

	/* an ECU announcing more than the floor gets it, plus the margin */
	uds_client_init(&cl, &cfg);
	start(prog, 2, 0, 0);
	uds_client_input(&cl, 0x7E8, slow, 6, MS);
	t = 10 * MS;
	start(td, 4, 0, t);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), t + 3200 * MS);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, t + 3199 * MS), 0);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, t + 3200 * MS), UDS_EV_DONE);
	CU_ASSERT_STRING_EQUAL(cl.timeout, "P2");
	CU_ASSERT_EQUAL(cl.timeout_ms, 3200);
	/* its late answer is dropped while 0x37 waits for its own */
	t += 3300 * MS;
	start(exit_req, 1, 0, t);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, td_ok, 2, t + MS), 0);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, (const uint8_t *)"\x7F\x36\x24", 3, t + MS),
			0);
	CU_ASSERT_EQUAL(cl.stale_drops, 2);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, exit_ok, 1, t + 2 * MS),
			UDS_EV_RESPONSE | UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, 0);
	/* answered: the next wrong echo is an error again */
	start(exit_req, 1, 0, t + 3 * MS);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, td_ok, 2, t + 4 * MS),
			UDS_EV_RESPONSE | UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, -EPROTO);

	/* a P2* below the floor: the floor (5000) */
	uds_client_init(&cl, &cfg);
	start(prog, 2, 0, 0);
	uds_client_input(&cl, 0x7E8, short_star, 6, MS);
	CU_ASSERT_EQUAL(cl.p2_ns, 1000 * MS);
	CU_ASSERT_EQUAL(cl.p2star_ns, 5000 * MS);

	/* a raised configured P2 is the floor too */
	cfg.p2_ms = 4000;
	uds_client_init(&cl, &cfg);
	start(prog, 2, 0, 0);
	uds_client_input(&cl, 0x7E8, slow, 6, MS);
	CU_ASSERT_EQUAL(cl.p2_ns, 4000 * MS);
	/* canrig diag --p2 500: P2 exactly that, P2* still the ECU's */
	cfg.p2_ms = 500;
	cfg.adopt_timing = UDS_ADOPT_P2STAR;
	uds_client_init(&cl, &cfg);
	start(prog, 2, 0, 0);
	uds_client_input(&cl, 0x7E8, slow, 6, MS);
	CU_ASSERT_EQUAL(cl.p2_ns, 500 * MS);
	CU_ASSERT_EQUAL(cl.p2star_ns, 8200 * MS);
	/* the cap names itself */
	cfg.cap_ms = 300;
	uds_client_init(&cl, &cfg);
	start(td, 4, 0, 0);
	uds_client_input(&cl, 0x7E8, td_pend, 3, MS);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 300 * MS), UDS_EV_DONE);
	CU_ASSERT_STRING_EQUAL(cl.timeout, "cap");
	CU_ASSERT_EQUAL(cl.timeout_ms, 300);

	/* a stall of the tester's own (its timer fired 700 ms late) is not
	 * charged to the ECU; the cap is */
	setup();
	cfg.tp_ms = 0;
	cfg.cap_ms = 2000;
	uds_client_init(&cl, &cfg);
	start(rdid, 3, 0, 0);
	uds_client_stalled(&cl, 700 * MS);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), 1700 * MS);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 1699 * MS), 0);
	CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, pos, 4, 1699 * MS),
			UDS_EV_RESPONSE | UDS_EV_DONE);
	start(rdid, 3, 0, 0);
	uds_client_stalled(&cl, 5000 * MS);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), 2000 * MS);
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 2000 * MS), UDS_EV_DONE);
	CU_ASSERT_STRING_EQUAL(cl.timeout, "cap");
	/* idle: nothing to push */
	uds_client_stalled(&cl, 5000 * MS);
	CU_ASSERT_EQUAL(uds_client_deadline(&cl), UINT64_MAX);
}

static void test_transport_errors(void)
{
	struct uds_tx tx;

	setup();
	CU_ASSERT_EQUAL(uds_client_request(&cl, rdid, 3, 0, 0), 0);
	CU_ASSERT_EQUAL(uds_client_output(&cl, 0, &tx), 1);
	CU_ASSERT_EQUAL(uds_client_tx_error(&cl, UDS_TX_REQUEST, -ETIMEDOUT, MS), UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, -ECOMM);
	CU_ASSERT_EQUAL(cl.transport_err, -ETIMEDOUT);
	start(rdid, 3, 0, 0);
	CU_ASSERT_EQUAL(uds_client_rx_start(&cl, 0x7E8, MS), 0);
	/* P2 no longer applies once the answer is on its way */
	CU_ASSERT_EQUAL(uds_client_timers(&cl, 2000 * MS), 0);
	CU_ASSERT_EQUAL(uds_client_rx_error(&cl, 0x7E8, -EILSEQ, 2100 * MS),
			UDS_EV_RESPONSE | UDS_EV_DONE);
	CU_ASSERT_EQUAL(cl.result, -ECOMM);
	CU_ASSERT_EQUAL(uds_client_request(&cl, rdid, 0, 0, 0), -EINVAL);
	CU_ASSERT_STRING_EQUAL(uds_client_strerror(0x33), "securityAccessDenied");
	CU_ASSERT_STRING_EQUAL(uds_client_strerror(-ETIMEDOUT), "no response (timeout)");
}

/* Malformed answers from a fuzz-like table: each ends the request with
 * its documented error, none crashes or leaves the client waiting. */
static void test_malformed(void)
{
	static const struct {
		uint8_t req[4];
		size_t reqlen;
		uint8_t rsp[8];
		size_t rsplen;
		int want;
	} t[] = {
		{{0x22, 0xF1, 0x90}, 3, {0}, 0, -EBADMSG},
		{{0x22, 0xF1, 0x90}, 3, {0x7F}, 1, -EBADMSG},
		{{0x22, 0xF1, 0x90}, 3, {0x7F, 0x22}, 2, -EBADMSG},
		{{0x22, 0xF1, 0x90}, 3, {0x7F, 0x22, 0x05}, 3, -EBADMSG},
		{{0x22, 0xF1, 0x90}, 3, {0x7F, 0x19, 0x31}, 3, -EPROTO},
		{{0x22, 0xF1, 0x90}, 3, {0x59, 0x02, 0xFF}, 3, -EPROTO},
		{{0x22, 0xF1, 0x90}, 3, {0xFF, 0xFF, 0xFF, 0xFF}, 4, -EPROTO},
		{{0x10, 0x03}, 2, {0x50}, 1, -EBADMSG},
		{{0x10, 0x03}, 2, {0x50, 0x01, 0, 0x32, 1, 0xF4}, 6, -EILSEQ},
		{{0x27, 0x01}, 2, {0x67, 0x03, 1, 2}, 4, -EILSEQ},
		{{0x31, 0x01, 0xFF, 0x00}, 4, {0x71}, 1, -EBADMSG},
		{{0x11, 0x01}, 2, {0x7F, 0x11, 0x10}, 3, 0x10},
	};
	size_t i;

	setup();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		start(t[i].req, t[i].reqlen, 0, 0);
		CU_ASSERT_EQUAL(uds_client_input(&cl, 0x7E8, t[i].rsp, t[i].rsplen, MS),
				UDS_EV_RESPONSE | UDS_EV_DONE);
		CU_ASSERT_EQUAL(cl.result, t[i].want);
		CU_ASSERT_EQUAL(cl.state, UDS_IDLE);
	}
	/* a session answer too short for timing changes nothing else */
	start((const uint8_t *)"\x10\x03", 2, 0, 0);
	uds_client_input(&cl, 0x7E8, (const uint8_t *)"\x50\x03", 2, MS);
	CU_ASSERT_EQUAL(cl.result, 0);
	CU_ASSERT_EQUAL(cl.p2_ns, 1000 * MS);
}

/* ---- the client over ISO-TP against three simulated ECUs, on an
 * in-memory bus with a fake clock ---- */

#define NECU 3
#define TCH  4 /* tester channels: 7E0/7E8, 7DF, 7E1/7E9, 7E2/7EA */

struct bus {
	struct ecusim_cfg cfg;
	struct {
		struct uds_sim sim;
		struct isotp phys, func;
		uint8_t rxp[4096], rxf[64], out[4096];
		size_t out_len; /* answer waiting for the channel */
	} ecu[NECU];
	struct isotp ch[TCH];
	uint8_t buf[TCH][4096];
	int kind[TCH];
	struct uds_client cl;
	uint64_t now;
	unsigned int answers, done, tps;
	uint32_t src[8];
	int res[8];
	uint8_t first[8][24];
	size_t len[8];
};

static struct bus *bus;

static void client_ev(unsigned int ev)
{
	if (ev & UDS_EV_RESPONSE && bus->answers < 8) {
		unsigned int i = bus->answers++;

		bus->src[i] = bus->cl.rsp_src;
		bus->res[i] = bus->cl.rsp_result;
		bus->len[i] = bus->cl.rsp_len;
		memcpy(bus->first[i], bus->cl.rsp, bus->cl.rsp_len < 24 ? bus->cl.rsp_len : 24);
	}
	if (ev & UDS_EV_DONE)
		bus->done = 1;
}

static void tester_ev(int i, unsigned int ev)
{
	struct isotp *c = &bus->ch[i];

	if (ev & ISOTP_EV_TX_DONE && bus->kind[i]) {
		client_ev(uds_client_sent(&bus->cl, bus->kind[i], bus->now));
		bus->kind[i] = 0;
	}
	if (ev & ISOTP_EV_RX_FF)
		client_ev(uds_client_rx_start(&bus->cl, c->cfg.rx_id, bus->now));
	if (ev & ISOTP_EV_RX)
		client_ev(uds_client_input(&bus->cl, c->cfg.rx_id, c->rx_buf, c->rx_len, bus->now));
	if (ev & ISOTP_EV_RX_ERR)
		client_ev(uds_client_rx_error(&bus->cl, c->cfg.rx_id, c->rx_err, bus->now));
}

static void ecu_ev(int e, int functional, unsigned int ev)
{
	struct isotp *c = functional ? &bus->ecu[e].func : &bus->ecu[e].phys;

	if (ev & ISOTP_EV_RX)
		uds_sim_request(&bus->ecu[e].sim, c->rx_buf, c->rx_len, functional, bus->now);
}

/* Every engine on the bus, the tester's channels first. */
static struct isotp *engine(int k, int *e, int *func)
{
	if (k < TCH)
		return &bus->ch[k];
	k -= TCH;
	*e = k / 2;
	*func = k % 2;
	return *func ? &bus->ecu[*e].func : &bus->ecu[*e].phys;
}

static void deliver(int k, unsigned int ev)
{
	int e = 0, f = 0;

	engine(k, &e, &f);
	if (k < TCH)
		tester_ev(k, ev);
	else
		ecu_ev(e, f, ev);
}

/* One millisecond of bus time. */
static void bus_step(void)
{
	struct cf_buf q[256];
	int from[256];
	unsigned int nq = 0, i, n;
	int k, e, f;
	struct uds_tx tx;

	for (k = 0; k < TCH + 2 * NECU; k++) {
		struct isotp *c = engine(k, &e, &f);

		deliver(k, isotp_timers(c, bus->now));
		n = isotp_output(c, bus->now, q + nq, 256 - nq);
		for (i = 0; i < n; i++)
			from[nq + i] = k;
		nq += n;
		if (n)
			deliver(k, isotp_sent(c, n, bus->now));
	}
	/* like SocketCAN, a sender does not hear its own frames */
	for (i = 0; i < nq; i++)
		for (k = 0; k < TCH + 2 * NECU; k++)
			if (k != from[i])
				deliver(k, isotp_input(engine(k, &e, &f), &q[i].f, bus->now));
	client_ev(uds_client_timers(&bus->cl, bus->now));
	while (uds_client_output(&bus->cl, bus->now, &tx)) {
		int ch = tx.functional ? 1 : 0;

		if (!isotp_send(&bus->ch[ch], tx.data, tx.len, bus->now)) {
			bus->kind[ch] = tx.kind;
			if (tx.kind == UDS_TX_TESTER)
				bus->tps++;
		}
	}
	for (e = 0; e < NECU; e++) {
		struct isotp *c = &bus->ecu[e].phys;

		uds_sim_timers(&bus->ecu[e].sim, bus->now);
		if (c->tx_state != ISOTP_TX_IDLE)
			continue;
		if (uds_sim_output(&bus->ecu[e].sim, bus->now, bus->ecu[e].out,
				   sizeof(bus->ecu[e].out), &bus->ecu[e].out_len) == 1)
			isotp_send(c, bus->ecu[e].out, bus->ecu[e].out_len, bus->now);
	}
	bus->now += MS;
}

/* level 3 of the engine ECU: the seed reversed */
static int rev_key(void *ctx, uint8_t level, const uint8_t *seed, size_t n, uint8_t *key,
		   size_t cap, size_t *keylen)
{
	size_t i;

	(void)ctx;
	(void)level;
	if (n > cap)
		return -EINVAL;
	for (i = 0; i < n; i++)
		key[i] = seed[n - 1 - i];
	*keylen = n;
	return 0;
}

static int bus_up(uint32_t tp_ms)
{
	static const uint32_t tx[TCH] = {0x7E0, 0x7DF, 0x7E1, 0x7E2};
	static const uint32_t rx[TCH] = {0x7E8, 0x7DF, 0x7E9, 0x7EA};
	struct uds_client_cfg cc;
	char err[512];
	int i;

	bus = calloc(1, sizeof(*bus));
	setenv("ECUSIM_DIR", "/tmp", 1);
	if (ecusim_cfg_load_file(&bus->cfg, test_data("ecu-sim/three-ecus.yaml"), err,
				 sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	for (i = 0; i < NECU; i++) {
		struct ecusim_ecu *c = &bus->cfg.ecus[i];

		c->sim.sink_fn = NULL;
		c->sim.key_fn = rev_key;
		if (uds_sim_init(&bus->ecu[i].sim, &c->sim, 0)) {
			fprintf(stderr, "uds_sim_init failed for %s\n", c->name);
			return -1;
		}
		isotp_init(&bus->ecu[i].phys, &c->phys, bus->ecu[i].rxp, 4096);
		isotp_init(&bus->ecu[i].func, &c->func, bus->ecu[i].rxf, 64);
	}
	for (i = 0; i < TCH; i++) {
		struct isotp_cfg c;

		isotp_cfg_init(&c);
		c.tx_id = tx[i];
		c.rx_id = rx[i];
		isotp_init(&bus->ch[i], &c, bus->buf[i], 4096);
	}
	uds_client_cfg_init(&cc);
	cc.tp_ms = tp_ms;
	uds_client_init(&bus->cl, &cc);
	return 0;
}

static void bus_down(void)
{
	int i;

	for (i = 0; i < NECU; i++)
		uds_sim_fini(&bus->ecu[i].sim);
	ecusim_cfg_fini(&bus->cfg);
	free(bus);
}

/* Runs req to the end (at most 20 s of bus time). */
static int bus_request(const char *req, size_t len, unsigned int flags)
{
	uint64_t end = bus->now + 20000 * MS;

	bus->answers = bus->done = 0;
	if (uds_client_request(&bus->cl, (const uint8_t *)req, len, flags, bus->now))
		return -1;
	while (!bus->done && bus->now < end)
		bus_step();
	return bus->done ? bus->cl.result : -1;
}

static void test_bus(void)
{
	static const char vin[] = "WVWZZZ1JZXW000001";
	uint64_t t0;
	unsigned int i, seen = 0;

	if (bus_up(2000)) {
		CU_FAIL("three-ecus.yaml does not load");
		return;
	}
	/* functional VIN: three multi-frame answers, each on its own */
	CU_ASSERT_EQUAL(bus_request("\x22\xF1\x90", 3, UDS_REQ_FUNCTIONAL), 0);
	CU_ASSERT_EQUAL(bus->answers, 3);
	for (i = 0; i < bus->answers && i < 3; i++) {
		CU_ASSERT_EQUAL(bus->res[i], 0);
		CU_ASSERT_EQUAL(bus->len[i], 20);
		CU_ASSERT(!memcmp(bus->first[i] + 3, vin, 17));
		seen |= 1u << (bus->src[i] - 0x7E8);
	}
	CU_ASSERT_EQUAL(seen, 7);
	/* the routine answers 0x78 for 300 ms, every 100 ms */
	t0 = bus->now;
	CU_ASSERT_EQUAL(bus_request("\x31\x01\xFF\x00", 4, 0), 0);
	CU_ASSERT(bus->cl.npending >= 2);
	CU_ASSERT(bus->now - t0 >= 300 * MS && bus->now - t0 < 400 * MS);
	CU_ASSERT(bus->answers == 1 && bus->len[0] == 5);
	/* NRCs come through as such */
	CU_ASSERT_EQUAL(bus_request("\x22\x12\x34", 3, 0), 0x31);
	CU_ASSERT_EQUAL(bus_request("\x2E\x01\x00\x12\x34", 5, 0), 0x31);
	/* the extended session survives 8 s idle thanks to TesterPresent */
	CU_ASSERT_EQUAL(bus_request("\x10\x03", 2, 0), 0);
	t0 = bus->now;
	while (bus->now < t0 + 8000 * MS)
		bus_step();
	CU_ASSERT(bus->tps >= 3);
	CU_ASSERT_EQUAL(uds_sim_session(&bus->ecu[0].sim), 0x03);
	bus_down();

	/* without it the ECU falls back to the default session (S3) */
	if (bus_up(0))
		return;
	CU_ASSERT_EQUAL(bus_request("\x10\x03", 2, 0), 0);
	t0 = bus->now;
	while (bus->now < t0 + 8000 * MS)
		bus_step();
	CU_ASSERT_EQUAL(bus->tps, 0);
	CU_ASSERT_EQUAL(uds_sim_session(&bus->ecu[0].sim), 0x01);
	bus_down();
}

/* The DID dictionary a tester reads names and formats from: built-ins,
 * a file's entries before them, and a wrong file changing nothing. */
static void test_did_dict(void)
{
	static const char good[] =
		"dids:\n  - {id: 0xF190, name: Vin17, type: ascii, length: 17}\n"
		"  - {id: 0x0105, name: Coolant, type: int, length: 1, scale: 0.5,"
		" offset: -40, unit: degC}\n  - {id: 0x0200}\n";
	static const char wrong[] = "dids:\n  - {id: 1, type: uint}\n",
			  other[] = "dids: [{id: 7, name: Seven}]";
	struct uds_did_dict d;
	const struct uds_did_entry *e;
	char err[512];

	uds_did_init(&d);
	e = uds_did_find(&d, 0xF190);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT(!strcmp(e->name, "VIN") && e->type == UDS_DID_ASCII && e->len == 17);
	CU_ASSERT_EQUAL(uds_did_lookup_name(&d, "ActiveDiagnosticSession"), 0xF186);
	CU_ASSERT_PTR_NULL(uds_did_find(&d, 0x0105));
	CU_ASSERT_EQUAL(uds_did_load(&d, test_data("bad-dids.yaml"), err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "bad-dids.yaml:4:49: unknown key 'lenght'") != NULL);
	CU_ASSERT_EQUAL(d.n, 0);
	CU_ASSERT_FATAL(uds_did_load_mem(&d, "d.yaml", good, strlen(good), err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(d.n, 3);
	e = uds_did_find(&d, 0xF190); /* the file's entry wins */
	CU_ASSERT(e && !strcmp(e->name, "Vin17"));
	CU_ASSERT_EQUAL(uds_did_lookup_name(&d, "VIN"),
			0xF190); /* the built-in's name still works */
	e = uds_did_find(&d, 0x0105);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT(e->type == UDS_DID_INT && e->len == 1 && e->scale == 0.5 && e->offset == -40 &&
		  !strcmp(e->unit, "degC"));
	e = uds_did_find(&d, 0x0200);
	CU_ASSERT(e && !e->name && e->type == UDS_DID_AUTO && e->len == -1 && e->scale == 1);
	/* wrong: the loaded entries stay */
	CU_ASSERT_EQUAL(uds_did_load_mem(&d, "w.yaml", wrong, strlen(wrong), err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "w.yaml:2:5: a uint/int DID needs a length of 1 to 8");
	CU_ASSERT_EQUAL(d.n, 3);
	CU_ASSERT_EQUAL(uds_did_load_mem(&d, "e.yaml", "", 0, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "e.yaml:1:1: empty file: expected 'dids:'");
	CU_ASSERT_EQUAL(uds_did_load(&d, "/nonexistent/d.yaml", err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/d.yaml: No such file or directory");
	/* a second file replaces the first */
	CU_ASSERT_FATAL(uds_did_load_mem(&d, "s.yaml", other, strlen(other), err, sizeof(err)) ==
			0);
	CU_ASSERT(d.n == 1 && !uds_did_find(&d, 0x0105) && uds_did_lookup_name(&d, "Seven") == 7);
	uds_did_fini(&d);
	uds_did_fini(&d); /* twice: a no-op */
}

static int register_uds_client_tests(void)
{
	CU_pSuite s = CU_add_suite("uds_client (fake clock)", NULL, NULL);

	if (!s || !CU_add_test(s, "physical request, P2", test_physical) ||
	    !CU_add_test(s, "0x78 chains, P2*, cap", test_pending_chain) ||
	    !CU_add_test(s, "suppressed positive response", test_suppress) ||
	    !CU_add_test(s, "functional collection", test_functional) ||
	    !CU_add_test(s, "session timing, TesterPresent", test_session_and_tester) ||
	    !CU_add_test(s, "timeout choice: ECU's P2/P2*, floor, late answers",
			 test_timeout_choice) ||
	    !CU_add_test(s, "transport errors", test_transport_errors) ||
	    !CU_add_test(s, "malformed answers table", test_malformed) ||
	    !CU_add_test(s, "over ISO-TP against 3 simulated ECUs", test_bus) ||
	    !CU_add_test(s, "DID dictionary: built-ins, a file, errors", test_did_dict))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(uds_client, register_uds_client_tests)
