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
	CU_ASSERT_STRING_EQUAL(uds_nrc_name(0x78),
			       "requestCorrectlyReceivedResponsePending");
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
		{ { 0x22, 0xF1, 0x90 }, 3, { 0x62, 0xF1, 0x90, 'W' }, 4, 0 },
		{ { 0x10, 0x03 }, 2, { 0x50, 0x03, 0x00, 0x32, 0x01, 0xF4 }, 6, 0 },
		{ { 0x3E, 0x80 }, 2, { 0x7E, 0x00 }, 2, 0 }, /* suppress bit */
		/* negative: the NRC, pending included */
		{ { 0x27, 0x01 }, 2, { 0x7F, 0x27, 0x35 }, 3, 0x35 },
		{ { 0x22, 0xF1, 0x90 }, 3, { 0x7F, 0x22, 0x78 }, 3, 0x78 },
		{ { 0x22, 0xF1, 0x90 }, 3, { 0x7F, 0x22, 0xFF }, 3, 0xFF },
		/* malformed */
		{ { 0x22, 0xF1, 0x90 }, 3, { 0 }, 0, -EBADMSG },
		{ { 0x22, 0xF1, 0x90 }, 3, { 0x7F, 0x22 }, 2, -EBADMSG },
		{ { 0x22, 0xF1, 0x90 }, 3, { 0x7F }, 1, -EBADMSG },
		{ { 0x22, 0xF1, 0x90 }, 3, { 0x7F, 0x22, 0x00 }, 3, -EBADMSG },
		{ { 0x22, 0xF1, 0x90 }, 3, { 0x7F, 0x2E, 0x31 }, 3, -EPROTO },
		{ { 0x22, 0xF1, 0x90 }, 3, { 0x6E, 0xF1, 0x90 }, 3, -EPROTO },
		{ { 0x22, 0xF1, 0x90 }, 3, { 0x22, 0xF1, 0x90 }, 3, -EPROTO },
		{ { 0x10, 0x03 }, 2, { 0x50, 0x02 }, 2, -EILSEQ },
		{ { 0x10, 0x03 }, 2, { 0x50 }, 1, -EBADMSG },
		{ { 0x31, 0x01, 0xFF, 0x00 }, 4, { 0x71, 0x03 }, 2, -EILSEQ },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = uds_check_response(t[i].req, t[i].reqlen, t[i].rsp,
					     t[i].rsplen);

		CU_ASSERT_EQUAL(got, t[i].want);
	}
	/* every 1-3 byte answer to every SID: a defined result, never more */
	{
		uint8_t req[2] = { 0, 0x01 }, rsp[3];
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

int register_uds_tests(void)
{
	CU_pSuite s = CU_add_suite("uds (names, response checks)", NULL, NULL);

	if (!s || !CU_add_test(s, "NRC and service names", test_names) ||
	    !CU_add_test(s, "responses: positive, NRC, malformed", test_check))
		return CU_get_error();
	return 0;
}
