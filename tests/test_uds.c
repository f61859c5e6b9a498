/* SPDX-License-Identifier: MIT */
/* test_uds.c - UDS names and response checks, with a table of malformed
 * answers each giving its documented error. */
#include <errno.h>
#include <string.h>

#include "uds.h"
#include "unit.h"

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(uds_nrc_name(0x31), "requestOutOfRange");
	CU_ASSERT_STRING_EQUAL(uds_nrc_name(0x78), "requestCorrectlyReceivedResponsePending");
	CU_ASSERT_STRING_EQUAL(uds_nrc_name(0x35), "invalidKey");
	CU_ASSERT_STRING_EQUAL(uds_nrc_name(0xF3), "vehicleManufacturerSpecific");
	CU_ASSERT_STRING_EQUAL(uds_nrc_name(0x15), "reserved");
	CU_ASSERT_STRING_EQUAL(uds_sid_name(0x22), "ReadDataByIdentifier");
	CU_ASSERT_STRING_EQUAL(uds_sid_name(0x62), "ReadDataByIdentifier");
	CU_ASSERT_PTR_NULL(uds_sid_name(0x01));
	CU_ASSERT(uds_has_subfunction(0x10));
	CU_ASSERT(!uds_has_subfunction(0x22));
}

static void test_check(void)
{
	static const struct {
		uint8_t req[4];
		size_t reqlen;
		uint8_t rsp[6];
		size_t rsplen;
		int want;
	} t[] = {
		/* positive */
		{{0x22, 0xF1, 0x90}, 3, {0x62, 0xF1, 0x90, 'W'}, 4, 0},
		{{0x10, 0x03}, 2, {0x50, 0x03, 0x00, 0x32, 0x01, 0xF4}, 6, 0},
		{{0x3E, 0x80}, 2, {0x7E, 0x00}, 2, 0}, /* suppress bit */
		/* negative: the NRC, pending included */
		{{0x27, 0x01}, 2, {0x7F, 0x27, 0x35}, 3, 0x35},
		{{0x22, 0xF1, 0x90}, 3, {0x7F, 0x22, 0x78}, 3, 0x78},
		{{0x22, 0xF1, 0x90}, 3, {0x7F, 0x22, 0xFF}, 3, 0xFF},
		/* malformed */
		{{0x22, 0xF1, 0x90}, 3, {0}, 0, -EBADMSG},
		{{0x22, 0xF1, 0x90}, 3, {0x7F, 0x22}, 2, -EBADMSG},
		{{0x22, 0xF1, 0x90}, 3, {0x7F}, 1, -EBADMSG},
		{{0x22, 0xF1, 0x90}, 3, {0x7F, 0x22, 0x00}, 3, -EBADMSG},
		{{0x22, 0xF1, 0x90}, 3, {0x7F, 0x2E, 0x31}, 3, -EPROTO},
		{{0x22, 0xF1, 0x90}, 3, {0x6E, 0xF1, 0x90}, 3, -EPROTO},
		{{0x22, 0xF1, 0x90}, 3, {0x22, 0xF1, 0x90}, 3, -EPROTO},
		{{0x10, 0x03}, 2, {0x50, 0x02}, 2, -EILSEQ},
		{{0x10, 0x03}, 2, {0x50}, 1, -EBADMSG},
		{{0x31, 0x01, 0xFF, 0x00}, 4, {0x71, 0x03}, 2, -EILSEQ},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = uds_check_response(t[i].req, t[i].reqlen, t[i].rsp, t[i].rsplen);

		CU_ASSERT_EQUAL(got, t[i].want);
	}
	/* every 1-3 byte answer to every SID: a defined result, never more */
	{
		uint8_t req[2] = {0, 0x01}, rsp[3];
		unsigned int s, a, b;

		for (s = 0; s < 256; s++)
			for (a = 0; a < 256; a++)
				for (b = 0; b < 256; b += 17) {
					int r;

					req[0] = (uint8_t)s;
					rsp[0] = (uint8_t)a;
					rsp[1] = (uint8_t)b;
					rsp[2] = (uint8_t)(a ^ b);
					r = uds_check_response(req, 2, rsp, 3);
					CU_ASSERT_FATAL(r == 0 || (r >= 0x10 && r <= 0xFF) ||
							r == -EBADMSG || r == -EPROTO ||
							r == -EILSEQ);
				}
	}
}

static void test_builders(void)
{
	uint8_t b[64];
	const uint16_t dids[2] = {0xF190, 0x0102};
	const uint8_t key[4] = {1, 2, 3, 4};

	CU_ASSERT_EQUAL(uds_req_sub(b, sizeof(b), 0x10, 0x03, 0), 2);
	CU_ASSERT(b[0] == 0x10 && b[1] == 0x03);
	CU_ASSERT_EQUAL(uds_req_sub(b, sizeof(b), 0x3E, 0x00, 1), 2);
	CU_ASSERT_EQUAL(b[1], 0x80);
	CU_ASSERT_EQUAL(uds_req_sub(b, sizeof(b), 0x10, 0x83, 0), -EINVAL);
	CU_ASSERT_EQUAL(uds_req_sub(b, 1, 0x10, 0x03, 0), -ENOSPC);
	CU_ASSERT_EQUAL(uds_req_read_did(b, sizeof(b), dids, 2), 5);
	CU_ASSERT(!memcmp(b, "\x22\xF1\x90\x01\x02", 5));
	CU_ASSERT_EQUAL(uds_req_read_did(b, sizeof(b), dids, 0), -EINVAL);
	CU_ASSERT_EQUAL(uds_req_read_did(b, 4, dids, 2), -ENOSPC);
	CU_ASSERT_EQUAL(uds_req_clear_dtc(b, sizeof(b), 0xFFFFFF), 4);
	CU_ASSERT(!memcmp(b, "\x14\xFF\xFF\xFF", 4));
	CU_ASSERT_EQUAL(uds_req_clear_dtc(b, sizeof(b), 0x1000000), -EINVAL);
	CU_ASSERT_EQUAL(uds_req_routine(b, sizeof(b), 1, 0xFF00, key, 2), 6);
	CU_ASSERT(!memcmp(b, "\x31\x01\xFF\x00\x01\x02", 6));
	CU_ASSERT_EQUAL(uds_req_routine(b, sizeof(b), 4, 0xFF00, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(uds_req_security(b, sizeof(b), 2, key, 4), 6);
	CU_ASSERT(!memcmp(b, "\x27\x02\x01\x02\x03\x04", 6));
	CU_ASSERT_EQUAL(uds_req_security(b, sizeof(b), 0, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(uds_req_comm_control(b, sizeof(b), 3, 1, 0), 3);
	CU_ASSERT(!memcmp(b, "\x28\x03\x01", 3));
	/* address and length format: smallest fit, and checks */
	CU_ASSERT_EQUAL(uds_alfid(0x1000, 0x100), 0x22);
	CU_ASSERT_EQUAL(uds_alfid(0x12345678, 0x10), 0x14);
	CU_ASSERT_EQUAL(uds_alfid(0, 0), 0x11);
	CU_ASSERT_EQUAL(uds_alfid_check(0x44, 0xFFFFFFFF, 0xFFFFFFFF), 0);
	CU_ASSERT_EQUAL(uds_alfid_check(0x12, 0x10000, 1), -EINVAL);
	CU_ASSERT_EQUAL(uds_alfid_check(0x05, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(uds_req_memory(b, sizeof(b), 0x23, 0x24, 0x20481392, 0x0103, NULL, 0), 8);
	CU_ASSERT(!memcmp(b, "\x23\x24\x20\x48\x13\x92\x01\x03", 8));
	CU_ASSERT_EQUAL(uds_req_memory(b, sizeof(b), 0x3D, 0x12, 0x1000, 2, key, 2), 7);
	CU_ASSERT(!memcmp(b, "\x3D\x12\x10\x00\x02\x01\x02", 7));
	CU_ASSERT_EQUAL(uds_req_memory(b, sizeof(b), 0x22, 0x11, 0, 0, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(uds_req_download(b, sizeof(b), 0x00, 0x44, 0x8000, 0x100000), 11);
	CU_ASSERT(!memcmp(b, "\x34\x00\x44\x00\x00\x80\x00\x00\x10\x00\x00", 11));
	CU_ASSERT_EQUAL(uds_req_did_data(b, sizeof(b), 0x2E, 0x0100, key, 3), 6);
	CU_ASSERT(!memcmp(b, "\x2E\x01\x00\x01\x02\x03", 6));
}

static int lens(void *ctx, uint16_t did)
{
	(void)ctx;
	return did == 0x0102 ? 2 : did == 0xF40C ? 2 : -1;
}

struct seen {
	unsigned int n;
	uint16_t did[8];
	size_t len[8];
	int rec[8];
};

static void on_did(void *ctx, uint16_t did, const uint8_t *data, size_t n)
{
	struct seen *s = ctx;

	(void)data;
	if (s->n < 8) {
		s->did[s->n] = did;
		s->len[s->n++] = n;
	}
}

static void on_rec(void *ctx, uint8_t rec, int did, const uint8_t *data, size_t n)
{
	struct seen *s = ctx;

	(void)data;
	if (s->n < 8) {
		s->rec[s->n] = rec;
		s->did[s->n] = (uint16_t)did;
		s->len[s->n++] = n;
	}
}

static void test_parsers(void)
{
	const uint16_t two[2] = {0x0102, 0xF190}, one[1] = {0xF190};
	const uint16_t unk[2] = {0xF190, 0x0102};
	const uint8_t r1[] = {0x62, 0x01, 0x02, 0xAA, 0xBB, 0xF1, 0x90, 'W', 'V'};
	const uint8_t ses[] = {0x50, 0x03, 0x00, 0x32, 0x01, 0xF4};
	const uint8_t dl[] = {0x74, 0x20, 0x04, 0x02};
	const uint8_t cnt[] = {0x59, 0x01, 0xFF, 0x01, 0x00, 0x02};
	const uint8_t list[] = {0x59, 0x02, 0xFF, 0x01, 0x23, 0x45, 0x2F, 0xC1, 0x00, 0x11, 0x08};
	const uint8_t snap[] = {0x59, 0x04, 0x01, 0x23, 0x45, 0x2F, 0x01, 0x02,
				0xF4, 0x0C, 0x12, 0x34, 0xF1, 0x90, 'A'};
	const uint8_t ext[] = {0x59, 0x06, 0x01, 0x23, 0x45, 0x2F, 0x01, 9, 9};
	struct uds_dtc t[4];
	struct seen s;
	uint32_t p2, p2s, mb;
	uint8_t avail, fmt;
	uint16_t c;
	size_t n;
	char buf[9];
	const uint8_t *seed;

	CU_ASSERT_EQUAL(uds_parse_session(ses, sizeof(ses), &p2, &p2s), 0);
	CU_ASSERT_EQUAL(p2, 50);
	CU_ASSERT_EQUAL(p2s, 5000);
	CU_ASSERT_EQUAL(uds_parse_session(ses, 2, &p2, &p2s), -EBADMSG);
	CU_ASSERT_EQUAL(uds_parse_download(dl, sizeof(dl), &mb), 0);
	CU_ASSERT_EQUAL(mb, 0x402);
	CU_ASSERT_EQUAL(uds_parse_download(dl, 3, &mb), -EBADMSG);
	CU_ASSERT_EQUAL(uds_parse_download((const uint8_t *)"\x74\x10\x02", 3, &mb),
			-EBADMSG); /* a block must carry data */
	CU_ASSERT_EQUAL(uds_parse_download((const uint8_t *)"\x74\x00\x10", 3, &mb), -EBADMSG);
	CU_ASSERT_EQUAL(uds_parse_seed((const uint8_t *)"\x67\x01\x00\x00", 4, &seed, &n), 0);
	CU_ASSERT(n == 2 && uds_seed_is_zero(seed, n));
	CU_ASSERT_EQUAL(uds_parse_seed((const uint8_t *)"\x67", 1, &seed, &n), -EBADMSG);

	/* DIDs: known lengths split the answer; the last may take the rest */
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(uds_parse_read_did(r1, sizeof(r1), two, 2, lens, NULL, on_did, &s), 0);
	CU_ASSERT(s.n == 2 && s.did[0] == 0x0102 && s.len[0] == 2 && s.did[1] == 0xF190 &&
		  s.len[1] == 2);
	CU_ASSERT_EQUAL(uds_parse_read_did(r1, sizeof(r1), unk, 2, lens, NULL, NULL, NULL),
			-EBADMSG);
	CU_ASSERT_EQUAL(uds_parse_read_did(r1, sizeof(r1), one, 1, lens, NULL, NULL, NULL),
			-EBADMSG);
	CU_ASSERT_EQUAL(uds_parse_read_did(r1, 4, two, 2, lens, NULL, NULL, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(uds_parse_read_did(r1, 1, two, 2, lens, NULL, NULL, NULL), -EBADMSG);

	/* DTCs */
	CU_ASSERT_EQUAL(uds_parse_dtc_count(cnt, sizeof(cnt), &avail, &fmt, &c), 0);
	CU_ASSERT(avail == 0xFF && fmt == 1 && c == 2);
	CU_ASSERT_EQUAL(uds_parse_dtc_count(cnt, 5, &avail, &fmt, &c), -EBADMSG);
	CU_ASSERT_EQUAL(uds_parse_dtc_list(list, sizeof(list), &avail, t, 4, &n), 0);
	CU_ASSERT(n == 2 && t[0].code == 0x012345 && t[0].status == 0x2F && t[1].code == 0xC10011 &&
		  t[1].status == 0x08);
	CU_ASSERT_EQUAL(uds_parse_dtc_list(list, sizeof(list), &avail, t, 1, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(uds_parse_dtc_list(list, sizeof(list) - 1, &avail, t, 4, &n), -EBADMSG);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(uds_parse_dtc_records(snap, sizeof(snap), t, lens, NULL, on_rec, &s), 0);
	CU_ASSERT(t[0].code == 0x012345 && s.n == 2 && s.rec[0] == 1 && s.did[0] == 0xF40C &&
		  s.len[0] == 2 && s.did[1] == 0xF190 && s.len[1] == 1);
	CU_ASSERT_EQUAL(uds_parse_dtc_records(snap, 9, t, lens, NULL, NULL, NULL), -EBADMSG);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(uds_parse_dtc_records(ext, sizeof(ext), t, NULL, NULL, on_rec, &s), 0);
	CU_ASSERT(s.n == 1 && s.rec[0] == 1 && s.len[0] == 2);
	uds_dtc_str(0x012345, buf);
	CU_ASSERT_STRING_EQUAL(buf, "P0123-45");
	uds_dtc_str(0xC10011, buf);
	CU_ASSERT_STRING_EQUAL(buf, "U0100-11");
	CU_ASSERT_STRING_EQUAL(uds_dtc_status_name(3), "confirmedDTC");
	/* the check value of CRC-32 */
	CU_ASSERT_EQUAL(uds_crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
	CU_ASSERT_EQUAL(
		uds_crc32(uds_crc32(0, (const uint8_t *)"1234", 4), (const uint8_t *)"56789", 5),
		0xCBF43926u);
}

static int register_uds_tests(void)
{
	CU_pSuite s = CU_add_suite("uds (names, response checks)", NULL, NULL);

	if (!s || !CU_add_test(s, "NRC and service names", test_names) ||
	    !CU_add_test(s, "responses: positive, NRC, malformed", test_check) ||
	    !CU_add_test(s, "request builders", test_builders) ||
	    !CU_add_test(s, "answer parsers, DTC names, CRC-32", test_parsers))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(uds, register_uds_tests)
