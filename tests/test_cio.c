/* SPDX-License-Identifier: MIT */
/*
 * test_cio.c - SocketCAN I/O pieces that need no bus: filter syntax, error
 * texts, rings, the send batch.  Bus behaviour is covered on vcan by tests/vcan/.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/can/netlink.h>
#include <linux/rtnetlink.h>

#include "cio.h"
#include "unit.h"

/*
 * cio_send() through a datagram socketpair (the host has no AF_CAN):
 * what reaches the peer is exactly the kernel frames, one datagram each.
 * A bad frame stops the send at itself, the ones before it go; a moved
 * cio_sock (its headers point into it) still sends right.
 */
static void test_send(void)
{
	uint8_t d[3][8] = {{1, 2, 3}, {4, 5, 6, 7, 8, 9, 10, 11}, {0xAA}};
	struct cf_frame f[4];
	struct canfd_frame k;
	struct cio_sock *a = calloc(2, sizeof(*a));
	unsigned int sent = 99, i;
	int sv[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	a[0].fd = sv[0];
	memset(f, 0, sizeof(f));
	for (i = 0; i < 4; i++) {
		f[i].id = 0x100 + i;
		f[i].data = d[i % 3];
		f[i].len = 3;
	}
	f[1].len = 8;
	f[1].flags = CF_EFF;
	f[1].id = 0x18DAF110;
	f[2].len = 9; /* classic: bad */
	CU_ASSERT_EQUAL(cio_send(&a[0], f, 4, &sent), -EINVAL);
	CU_ASSERT_EQUAL(sent, 2);
	CU_ASSERT_EQUAL(recv(sv[1], &k, sizeof(k), MSG_DONTWAIT), (ssize_t)CAN_MTU);
	CU_ASSERT(k.can_id == 0x100 && k.len == 3 && !memcmp(k.data, "\1\2\3", 3));
	CU_ASSERT_EQUAL(recv(sv[1], &k, sizeof(k), MSG_DONTWAIT), (ssize_t)CAN_MTU);
	CU_ASSERT(k.can_id == (0x18DAF110 | CAN_EFF_FLAG) && k.len == 8 && k.data[7] == 11);
	CU_ASSERT_EQUAL(recv(sv[1], &k, sizeof(k), MSG_DONTWAIT), -1);
	/* moved: the headers are made again for the new place */
	memcpy(&a[1], &a[0], sizeof(a[0]));
	memset(&a[0], 0xEE, sizeof(a[0]));
	CU_ASSERT_EQUAL(cio_send(&a[1], &f[3], 1, &sent), 0);
	CU_ASSERT_EQUAL(sent, 1);
	CU_ASSERT_EQUAL(recv(sv[1], &k, sizeof(k), MSG_DONTWAIT), (ssize_t)CAN_MTU);
	CU_ASSERT(k.can_id == 0x103 && k.len == 3 && k.data[0] == 1);
	close(sv[0]);
	close(sv[1]);
	free(a);
}

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
	e = cio_open(&s, "canrig-nope0", &(struct cio_opts){0});
	CU_ASSERT(e == -EAFNOSUPPORT || e == -ENODEV);
	CU_ASSERT_EQUAL(s.fd, -1);
	cio_close(&s);
	CU_ASSERT_EQUAL(cio_open(&s, "a-very-long-interface-name", &(struct cio_opts){0}),
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

/* ---- link events: messages built the way the kernel lays them out ---- */

struct nlbuf {
	union {
		struct nlmsghdr nh;
		unsigned char b[1024];
	} u;
	size_t len;
};

static struct rtattr *put_attr(struct nlbuf *m, unsigned short type, const void *data, size_t n)
{
	struct rtattr *a = (struct rtattr *)(m->u.b + m->len);

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(n);
	if (n)
		memcpy(RTA_DATA(a), data, n);
	m->len += RTA_ALIGN(a->rta_len);
	return a;
}

/* One link message appended; state < 0: no CAN linkinfo. */
static void put_link(struct nlbuf *m, int type, int ifindex, unsigned int flags, const char *name,
		     int state)
{
	size_t start = m->len;
	struct nlmsghdr *nh = (struct nlmsghdr *)(m->u.b + start);
	struct ifinfomsg *ifi;

	memset(nh, 0, NLMSG_LENGTH(sizeof(*ifi)));
	nh->nlmsg_type = (unsigned short)type;
	ifi = NLMSG_DATA(nh);
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	m->len += NLMSG_LENGTH(sizeof(*ifi));
	put_attr(m, IFLA_IFNAME, name, strlen(name) + 1);
	if (state >= 0) {
		struct rtattr *li = put_attr(m, IFLA_LINKINFO, NULL, 0);
		struct rtattr *data;
		uint32_t v = (uint32_t)state;
		struct can_bittiming bt;

		memset(&bt, 0, sizeof(bt));

		put_attr(m, IFLA_INFO_KIND, "can", 4);
		data = put_attr(m, IFLA_INFO_DATA, NULL, 0);
		put_attr(m, IFLA_CAN_STATE, &v, sizeof(v));
		/* after the state: the parser must not stop at it */
		bt.bitrate = 500000;
		put_attr(m, IFLA_CAN_BITTIMING, &bt, sizeof(bt));
		bt.bitrate = 2000000;
		put_attr(m, IFLA_CAN_DATA_BITTIMING, &bt, sizeof(bt));
		data->rta_len = (unsigned short)(m->u.b + m->len - (unsigned char *)data);
		li->rta_len = (unsigned short)(m->u.b + m->len - (unsigned char *)li);
	}
	nh->nlmsg_len = (uint32_t)(m->len - start);
}

static struct cio_link_ev evs[8];
static int nevs;

static void collect(void *arg, const struct cio_link_ev *ev)
{
	(void)arg;
	if (nevs < 8)
		evs[nevs++] = *ev;
}

static void test_link_parse(void)
{
	struct nlbuf m;
	struct nlmsghdr *other;

	memset(&m, 0, sizeof(m));
	put_link(&m, RTM_NEWLINK, 7, IFF_UP | IFF_RUNNING, "vcan1", -1);
	/* a message of another kind is skipped */
	other = (struct nlmsghdr *)(m.u.b + m.len);
	other->nlmsg_len = NLMSG_LENGTH(4);
	other->nlmsg_type = RTM_NEWADDR;
	m.len += NLMSG_ALIGN(other->nlmsg_len);
	put_link(&m, RTM_NEWLINK, 9, IFF_UP, "can0", CAN_STATE_BUS_OFF);
	put_link(&m, RTM_DELLINK, 7, 0, "vcan1", -1);
	nevs = 0;
	CU_ASSERT_EQUAL(cio_link_parse(m.u.b, m.len, collect, NULL), 3);
	CU_ASSERT_EQUAL(nevs, 3);
	CU_ASSERT_STRING_EQUAL(evs[0].ifname, "vcan1");
	CU_ASSERT(evs[0].up && evs[0].running && !evs[0].deleted);
	CU_ASSERT_EQUAL(evs[0].ifindex, 7);
	CU_ASSERT_EQUAL(evs[0].can_state, -1);
	CU_ASSERT_STRING_EQUAL(evs[1].ifname, "can0");
	CU_ASSERT(evs[1].up && !evs[1].running);
	CU_ASSERT_EQUAL(evs[1].can_state, CAN_STATE_BUS_OFF);
	/* the rates canrig monitor's load needs; vcan reports none */
	CU_ASSERT_EQUAL(evs[1].bitrate, 500000);
	CU_ASSERT_EQUAL(evs[1].dbitrate, 2000000);
	CU_ASSERT_EQUAL(evs[0].bitrate, 0);
	CU_ASSERT_EQUAL(evs[0].dbitrate, 0);
	CU_ASSERT(evs[2].deleted && !evs[2].up);

	/* cut anywhere: an error or fewer events, never a read past the end */
	for (size_t cut = 1; cut < m.len; cut++) {
		int n;

		nevs = 0;
		n = cio_link_parse(m.u.b, cut, collect, NULL);
		CU_ASSERT(n == -EBADMSG || (n >= 0 && n < 3));
	}
	/* an attribute claiming more than its message holds */
	memset(&m, 0, sizeof(m));
	put_link(&m, RTM_NEWLINK, 3, IFF_UP, "vcan0", CAN_STATE_ERROR_ACTIVE);
	((struct rtattr *)(m.u.b + NLMSG_LENGTH(sizeof(struct ifinfomsg))))->rta_len = 200;
	nevs = 0;
	CU_ASSERT_EQUAL(cio_link_parse(m.u.b, m.len, collect, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(nevs, 0);
	CU_ASSERT_EQUAL(cio_link_parse(m.u.b, 0, collect, NULL), 0);
}

/* FD asked of a classic interface: one text at open and at send */
static void test_fd_on_classic_text(void)
{
	struct cio_sock s;
	struct cf_frame f;
	char buf[256];

	CU_ASSERT_STRING_EQUAL(cio_open_strerror(-EMSGSIZE, "vcan3", buf, sizeof(buf)),
			       "vcan3: interface is classic CAN (mtu 16); CAN FD needs "
			       "an FD interface (mtu 72)");
	/* an interface that carries FD (lo: mtu 65536), or none: the
	 * kernel's word stands */
	memset(&s, 0, sizeof(s));
	memset(&f, 0, sizeof(f));
	f.flags = CF_FD;
	s.fd = socket(AF_INET, SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(s.fd >= 0);
	CU_ASSERT(cio_if_mtu(&s, "lo") > 72);
	CU_ASSERT(cio_if_mtu(&s, "canrig-nope0") < 0);
	snprintf(s.ifname, sizeof(s.ifname), "lo");
	CU_ASSERT_STRING_EQUAL(cio_send_strerror(&s, &f, -EINVAL, buf, sizeof(buf)),
			       "lo: Invalid argument");
	CU_ASSERT_STRING_EQUAL(cio_send_strerror(&s, NULL, -ENETDOWN, buf, sizeof(buf)),
			       "lo: Network is down");
	snprintf(s.ifname, sizeof(s.ifname), "canrig-nope0");
	CU_ASSERT_STRING_EQUAL(cio_send_strerror(&s, &f, -EINVAL, buf, sizeof(buf)),
			       "canrig-nope0: Invalid argument");
	cio_close(&s);
}

static int register_cio_tests(void)
{
	CU_pSuite s = CU_add_suite("cio (SocketCAN I/O)", NULL, NULL);

	if (!s || !CU_add_test(s, "candump filter syntax", test_filters) ||
	    !CU_add_test(s, "open errors are actionable", test_open_errors) ||
	    !CU_add_test(s, "receive ring", test_ring) ||
	    !CU_add_test(s, "rtnetlink link events", test_link_parse) ||
	    !CU_add_test(s, "CAN FD on a classic interface", test_fd_on_classic_text) ||
	    !CU_add_test(s, "batched send: a bad frame, a moved socket", test_send))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(cio, register_cio_tests)
