/* SPDX-License-Identifier: MIT */
/*
 * test_cio.c - SocketCAN I/O pieces that need no bus: filter syntax, error
 * texts, rings.  Bus behaviour is covered on vcan by tests/vcan/.
 */
#include <errno.h>
#include <string.h>

#include "cio.h"
#include "unit.h"

static void test_filters(void)
{
	struct cio_opts o;
	const char *msg = NULL;
	int i;

	cio_opts_init(&o);
	CU_ASSERT_EQUAL(cio_filter_add(&o, "123:7FF", &msg), 0);
	CU_ASSERT_EQUAL(o.filters[0].can_id, 0x123);
	CU_ASSERT_EQUAL(o.filters[0].can_mask, 0x7FF);
	CU_ASSERT_EQUAL(cio_filter_add(&o, "12345678:1FFFFFFF", &msg), 0);
	CU_ASSERT_EQUAL(o.filters[1].can_id, 0x12345678 | CAN_EFF_FLAG);
	CU_ASSERT_EQUAL(cio_filter_add(&o, "400~700", &msg), 0);
	CU_ASSERT_EQUAL(o.filters[2].can_id, 0x400 | CAN_INV_FILTER);
	CU_ASSERT_EQUAL(o.filters[2].can_mask, 0x700);
	/* as candump, the error flag is never part of a data filter mask */
	CU_ASSERT_EQUAL(cio_filter_add(&o, "0:FFFFFFFF", &msg), 0);
	CU_ASSERT_EQUAL(o.filters[3].can_mask, 0xFFFFFFFF & ~CAN_ERR_FLAG);
	CU_ASSERT_EQUAL(cio_filter_add(&o, "#FFFFFFFF", &msg), 0);
	CU_ASSERT_EQUAL(o.err_mask, 0xFFFFFFFF);
	CU_ASSERT_EQUAL(cio_filter_add(&o, "j", &msg), 0);
	CU_ASSERT_EQUAL(o.join_filters, 1);
	CU_ASSERT_EQUAL(o.nfilters, 4);
	CU_ASSERT_EQUAL(cio_filter_add(&o, "xyz", &msg), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(msg);
	CU_ASSERT_EQUAL(cio_filter_add(&o, "123:", &msg), -EINVAL);
	CU_ASSERT_EQUAL(cio_filter_add(&o, "123:7FF:1", &msg), -EINVAL);
	CU_ASSERT_EQUAL(cio_filter_add(&o, "#12G", &msg), -EINVAL);
	CU_ASSERT_EQUAL(cio_filter_add(&o, "123456789:1", &msg), -EINVAL);
	CU_ASSERT_EQUAL(o.nfilters, 4);
	for (i = 4; i < CIO_MAX_FILTERS; i++)
		CU_ASSERT_EQUAL_FATAL(cio_filter_add(&o, "1:1", &msg), 0);
	CU_ASSERT_EQUAL(cio_filter_add(&o, "1:1", &msg), -E2BIG);
}

static void test_open_errors(void)
{
	struct cio_sock s;
	char buf[256];
	int e;

	/* no AF_CAN (this build host) or no such device (a CAN host) */
	e = cio_open(&s, "canrig-nope0", &(struct cio_opts){ 0 });
	CU_ASSERT(e == -EAFNOSUPPORT || e == -ENODEV);
	CU_ASSERT_EQUAL(s.fd, -1);
	cio_close(&s);
	CU_ASSERT_EQUAL(cio_open(&s, "a-very-long-interface-name", &(struct cio_opts){ 0 }),
			-ENAMETOOLONG);
	CU_ASSERT_STRING_EQUAL(cio_open_strerror(-ENODEV, "vcan9", buf, sizeof(buf)),
			       "vcan9: no such interface; run ./vcan-setup.sh "
			       "(or check 'ip link show')");
	CU_ASSERT_STRING_EQUAL(cio_open_strerror(-ENETDOWN, "vcan0", buf, sizeof(buf)),
			       "vcan0: interface is down; run 'ip link set vcan0 up'");
}

static void test_ring(void)
{
	struct cio_ring r;

	CU_ASSERT_EQUAL(cio_ring_init(&r, 0), 0);
	CU_ASSERT_EQUAL(r.cap, 1);
	cio_ring_fini(&r);
	CU_ASSERT_EQUAL(cio_ring_init(&r, 100000), 0);
	CU_ASSERT_EQUAL(r.cap, 1024);
	CU_ASSERT_PTR_EQUAL(r.iov[7].iov_base, &r.bufs[7]);
	cio_ring_fini(&r);
	CU_ASSERT_PTR_NULL(r.views);
	cio_ring_fini(&r); /* twice is fine */
}

int register_cio_tests(void)
{
	CU_pSuite s = CU_add_suite("cio (SocketCAN I/O)", NULL, NULL);

	if (!s || !CU_add_test(s, "candump filter syntax", test_filters) ||
	    !CU_add_test(s, "open errors are actionable", test_open_errors) ||
	    !CU_add_test(s, "receive ring", test_ring))
		return CU_get_error();
	return 0;
}
