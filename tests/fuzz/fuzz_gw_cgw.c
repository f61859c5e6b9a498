/* SPDX-License-Identifier: MIT */
/*
 * fuzz_gw_cgw.c - libFuzzer target: the can-gw dump reply parser.
 * Input byte 0 picks the mode:
 *   0: the rest is a raw reply (framing, headers, every message type);
 *   1: the rest is the attribute area of one well-framed AF_CAN job, so
 *      attribute parsing is reached at once;
 *   2: the rest fills a job that gw_cgw_encode() writes and the parser
 *      reads back: it must come back as exactly that job's key;
 *   3: the rest is a plain jobs' list (gw_cgw_parse_saved()), read from
 *      an exact-size heap copy; counting and filling must agree.
 * Replies are parsed from exact-size heap copies (ASan sees overreads),
 * aligned and one byte off.  Parsed jobs are folded into installed routes
 * whose totals may only grow.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/can/gw.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "gw_cgw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEQ 0x5EC

static struct gw_cgw_jobstate js[4];
static struct gw_cgw_inst inst[2];

struct seen {
	unsigned int n;
	struct gw_cgw_dumped last;
};

static void cb(void *arg, const struct gw_cgw_dumped *d)
{
	struct seen *s = arg;
	struct gw_cgw_ctr before = inst[0].total;

	if (d->has_uid > 1)
		__builtin_trap();
	gw_cgw_fold(inst, 2, d);
	if (inst[0].total.handled < before.handled || inst[0].total.dropped < before.dropped ||
	    inst[0].total.deleted < before.deleted)
		__builtin_trap();
	s->n++;
	s->last = *d;
}

/* Field by field: the struct has a padding byte the input fills. */
static int key_eq(const struct gw_cgw_key *a, const struct gw_cgw_key *b)
{
	return a->uid == b->uid && a->src_ifindex == b->src_ifindex &&
	       a->dst_ifindex == b->dst_ifindex && a->filter_id == b->filter_id &&
	       a->filter_mask == b->filter_mask && a->flags == b->flags &&
	       a->lim_hops == b->lim_hops;
}

/* Parses a heap copy of buf at offset off; checks the result's range. */
static int parse_at(const uint8_t *buf, size_t len, size_t off, struct seen *s)
{
	struct gw_cgw_pstat st;
	uint8_t *p = malloc(len + off + 1);
	int rc;

	if (!p)
		return 0;
	memcpy(p + off, buf, len);
	memset(&st, 0, sizeof(st));
	memset(s, 0, sizeof(*s));
	rc = gw_cgw_parse_dump(p + off, len, SEQ, cb, s, &st);
	free(p);
	if (rc > 1 || rc < -4095 || st.jobs != s->n)
		__builtin_trap();
	return rc;
}

static void parse_both(const uint8_t *buf, size_t len)
{
	struct seen a, b;
	int ra = parse_at(buf, len, 0, &a), rb = parse_at(buf, len, 1, &b);

	/* alignment must not matter */
	if (ra != rb || a.n != b.n)
		__builtin_trap();
}

static void setup(void)
{
	unsigned int i;

	memset(js, 0, sizeof(js));
	memset(inst, 0, sizeof(inst));
	inst[0].uid0 = GW_CGW_UID(1, 0);
	inst[0].njobs = 4;
	inst[0].job = js;
	for (i = 0; i < 4; i++) {
		js[i].key.uid = inst[0].uid0 + i;
		js[i].key.flags = CGW_FLAGS_CAN_ECHO;
		js[i].key.lim_hops = 1;
	}
}

static void saved(const uint8_t *data, size_t size)
{
	struct gw_cgw_key k[8];
	unsigned int bad, bad2;
	char *p = malloc(size + 1);
	size_t n, m, i;

	if (!p)
		return;
	memcpy(p, data, size);
	n = gw_cgw_parse_saved(p, size, NULL, 0, &bad);
	m = gw_cgw_parse_saved(p, size, k, 8, &bad2);
	free(p);
	if (n != m || bad != bad2)
		__builtin_trap();
	for (i = 0; i < m && i < 8; i++)
		if (!k[i].src_ifindex || !k[i].dst_ifindex || k[i].uid)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[8192];
	struct gw_cgw_job job;
	struct nlmsghdr nh;
	struct gw_crc8 crc8;
	struct gw_xor xsum;
	struct seen s;
	size_t n;
	int len;

	if (!size)
		return 0;
	setup();
	switch (data[0] % 4) {
	case 0:
		parse_both(data + 1, size - 1);
		break;
	case 1:
		n = size - 1;
		if (n > sizeof(buf) - 20)
			n = sizeof(buf) - 20;
		memset(&nh, 0, sizeof(nh));
		nh.nlmsg_len = (uint32_t)(20 + n);
		nh.nlmsg_type = RTM_NEWROUTE;
		nh.nlmsg_seq = SEQ;
		memcpy(buf, &nh, sizeof(nh));
		buf[16] = AF_CAN;
		buf[17] = CGW_TYPE_CAN_CAN;
		buf[18] = CGW_FLAGS_CAN_ECHO;
		buf[19] = 0;
		memcpy(buf + 20, data + 1, n);
		parse_both(buf, 20 + n);
		break;
	case 3:
		saved(data + 1, size - 1);
		break;
	default:
		memset(&job, 0, sizeof(job));
		memset(&crc8, 0, sizeof(crc8));
		memset(&xsum, 0, sizeof(xsum));
		n = size - 1 < sizeof(job) ? size - 1 : sizeof(job);
		memcpy(&job, data + 1, n);
		job.crc8 = job.mod[0].data[0] & 1 ? &crc8 : NULL;
		job.xsum = job.mod[0].data[0] & 2 ? &xsum : NULL;
		len = gw_cgw_encode(buf, GW_CGW_MSG_MAX, RTM_NEWROUTE, SEQ, &job);
		if (len <= 0 || len > GW_CGW_MSG_MAX)
			__builtin_trap();
		if (parse_at(buf, (size_t)len, 0, &s) != 0 || s.n != 1 ||
		    !key_eq(&s.last.key, &job.key) || s.last.has_uid != !!job.key.uid)
			__builtin_trap();
		break;
	}
	return 0;
}
