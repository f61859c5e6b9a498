/* SPDX-License-Identifier: MIT */
/*
 * test_gw_cgw.c - the can-gw offload: which routes are accepted and why
 * the others are not, the jobs a route becomes, the exact bytes of the
 * rtnetlink messages, the dump parser on built, truncated and broken
 * replies, counter folding across u32 wraps, the whole-configuration
 * plan; and, for every random route the decision accepts, the engine
 * against a model of can-gw (written from net/can/gw.c's semantics) on
 * random frames.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/can.h>
#include <linux/can/gw.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "gw_cgw.h"
#include "unit.h"

#define HDR ((size_t)NLMSG_ALIGN(sizeof(struct nlmsghdr)))

/* ---- routes ------------------------------------------------------------ */

/* Interfaces: 0 a (FD), 1 b (classic), 2 c (FD), 3 d (classic). */
static struct gw_spec sp;
static struct gw_idsel sels[8];
static struct gw_action acts[8];
static struct gw_route_spec rs;
static struct gw_cgw_route rt;
static const uint32_t ifx[4] = {11, 12, 13, 14};

static void setup(unsigned int src, uint64_t dst)
{
	static const char *const names[4] = {"a", "b", "c", "d"};
	unsigned int i;

	memset(&sp, 0, sizeof(sp));
	for (i = 0; i < 4; i++) {
		strcpy(sp.ifs[i].name, names[i]);
		strcpy(sp.ifs[i].domain, names[i]);
	}
	sp.ifs[0].fd = sp.ifs[2].fd = 1;
	sp.nifs = 4;
	memset(&rs, 0, sizeof(rs));
	memset(sels, 0, sizeof(sels));
	memset(acts, 0, sizeof(acts));
	strcpy(rs.name, "r");
	rs.src = (uint8_t)src;
	rs.dst = dst;
	rs.len_max = 64;
	rs.fd2classic = GW_FD2C_DROP;
	rs.sel = sels;
	rs.act = acts;
}

static void add_sel(uint8_t kind, uint32_t lo, uint32_t hi, int eff, int inv)
{
	struct gw_idsel *s = &sels[rs.nsel++];

	s->kind = kind;
	s->lo = lo;
	s->hi = hi;
	s->eff = (uint8_t)eff;
	s->invert = (uint8_t)inv;
}

static struct gw_action *add_act(uint8_t kind)
{
	struct gw_action *a = &acts[rs.nact++];

	memset(a, 0, sizeof(*a));
	a->kind = kind;
	return a;
}

static struct gw_mod *add_mod(uint8_t op, uint8_t fields)
{
	struct gw_action *a = add_act(GW_ACT_MOD);

	a->u.mod.op = op;
	a->u.mod.fields = fields;
	return &a->u.mod;
}

/* SET of length len and every data byte (to 0x5A): what checksums need. */
static void add_set_len(uint8_t len)
{
	struct gw_mod *m = add_mod(GW_MOD_SET, GW_MOD_LEN | GW_MOD_DATA);

	m->len = len;
	memset(m->data, 0x5A, sizeof(m->data));
}

static struct gw_xor *add_xor(int from, int to, int res)
{
	struct gw_action *a = add_act(GW_ACT_CSUM);

	a->u.csum.kind = GW_CSUM_XOR;
	a->u.csum.u.xsum.from_idx = (int8_t)from;
	a->u.csum.u.xsum.to_idx = (int8_t)to;
	a->u.csum.u.xsum.result_idx = (int8_t)res;
	return &a->u.csum.u.xsum;
}

static struct gw_crc8 *add_crc8(int from, int to, int res)
{
	struct gw_action *a = add_act(GW_ACT_CSUM);

	a->u.csum.kind = GW_CSUM_CRC8;
	a->u.csum.u.crc8.from_idx = (int8_t)from;
	a->u.csum.u.crc8.to_idx = (int8_t)to;
	a->u.csum.u.crc8.result_idx = (int8_t)res;
	gw_crc8_table(a->u.csum.u.crc8.crctab, 0x1D);
	return &a->u.csum.u.crc8;
}

static const char *why(void)
{
	gw_cgw_route_check(&sp, &rs, &rt);
	return rt.why ? rt.why : "ok";
}

/* ---- decision: acceptance and jobs -------------------------------------- */

static void test_jobs(void)
{
	struct gw_cgw_job j;

	/* one exact 11-bit id, classic to classic: one plain job (nothing
	 * modified, no checksum: can-gw clones the frame, no uid) */
	setup(1, 1u << 3);
	add_sel(GW_SEL_EXACT, 0x123, 0x123, 0, 0);
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	CU_ASSERT_EQUAL(gw_cgw_route_check(&sp, &rs, &rt), 0);
	CU_ASSERT_EQUAL(rt.njobs, 1);
	CU_ASSERT_EQUAL_FATAL(gw_cgw_route_job(&rt, 0, ifx, &j), 0);
	CU_ASSERT_EQUAL(j.key.filter_id, 0x123);
	/* data frames only: the kernel's hashed path; remote ones stay ours */
	CU_ASSERT_EQUAL(j.key.filter_mask, CAN_SFF_MASK | CAN_EFF_FLAG | CAN_RTR_FLAG);
	CU_ASSERT_EQUAL(j.key.flags, CGW_FLAGS_CAN_ECHO);
	CU_ASSERT_EQUAL(j.key.lim_hops, 1);
	CU_ASSERT(j.key.src_ifindex == 12 && j.key.dst_ifindex == 14 && !j.fd && !j.key.uid);
	CU_ASSERT(!j.mod[GW_CGW_AND].type && !j.mod[GW_CGW_OR].type && !j.mod[GW_CGW_XOR].type &&
		  !j.mod[GW_CGW_SET].type);
	CU_ASSERT(!j.crc8 && !j.xsum);
	CU_ASSERT_EQUAL(gw_cgw_job_plain(&j), 1);
	CU_ASSERT_EQUAL(gw_cgw_route_job(&rt, 1, ifx, &j), -EINVAL);

	/* three selectors times two destinations (classic source: classic jobs) */
	setup(1, 1u << 0 | 1u << 3);
	add_sel(GW_SEL_EXACT, 0x123, 0x123, 0, 0);
	add_sel(GW_SEL_EXACT, 0x18DA10F1, 0x18DA10F1, 1, 0);
	add_sel(GW_SEL_MASK, 0x400, 0x700, 0, 0);
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	CU_ASSERT_EQUAL(rt.njobs, 6);
	gw_cgw_route_job(&rt, 1, ifx, &j);
	CU_ASSERT(j.key.filter_id == 0x123 && j.key.dst_ifindex == 14);
	gw_cgw_route_job(&rt, 2, ifx, &j);
	CU_ASSERT(j.key.filter_id == (0x18DA10F1 | CAN_EFF_FLAG) && j.key.dst_ifindex == 11);
	CU_ASSERT_EQUAL(j.key.filter_mask, CAN_EFF_MASK | CAN_EFF_FLAG | CAN_RTR_FLAG);
	gw_cgw_route_job(&rt, 5, ifx, &j);
	CU_ASSERT(j.key.filter_id == 0x400 && j.key.filter_mask == (0x700 | CAN_EFF_FLAG));
	CU_ASSERT_EQUAL(j.key.dst_ifindex, 14);

	/* FD source to FD destination, every id: a classic and an FD job */
	setup(0, 1u << 2);
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	CU_ASSERT_EQUAL(rt.njobs, 2);
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT(!j.fd && j.key.flags == CGW_FLAGS_CAN_ECHO);
	CU_ASSERT(j.key.filter_id == 0 && j.key.filter_mask == 0);
	gw_cgw_route_job(&rt, 1, ifx, &j);
	CU_ASSERT(j.fd && j.key.flags == (CGW_FLAGS_CAN_ECHO | CGW_FLAGS_CAN_FD));
	rs.type = GW_CLASSIC_ONLY;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	CU_ASSERT_EQUAL(rt.njobs, 1);
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT(!j.fd);
	rs.type = GW_FD_ONLY;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	CU_ASSERT_EQUAL(rt.njobs, 1);
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT(j.fd && (j.key.flags & CGW_FLAGS_CAN_FD));
	/* FD only on a classic source matches nothing: nothing to install */
	setup(1, 1u << 3);
	rs.type = GW_FD_ONLY;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	CU_ASSERT_EQUAL(rt.njobs, 0);

	/* a range that is one aligned block is one filter */
	setup(1, 1u << 3);
	add_sel(GW_SEL_RANGE, 0x200, 0x2FF, 0, 0);
	add_sel(GW_SEL_RANGE, 0x18DA0000, 0x18DAFFFF, 1, 0);
	add_sel(GW_SEL_RANGE, 0x7FF, 0x7FF, 0, 0);
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	CU_ASSERT_EQUAL(rt.njobs, 3);
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT(j.key.filter_id == 0x200 && j.key.filter_mask == (0x700 | CAN_EFF_FLAG));
	gw_cgw_route_job(&rt, 1, ifx, &j);
	CU_ASSERT(j.key.filter_id == (0x18DA0000 | CAN_EFF_FLAG) &&
		  j.key.filter_mask == (0x1FFF0000 | CAN_EFF_FLAG));
	gw_cgw_route_job(&rt, 2, ifx, &j);
	CU_ASSERT(j.key.filter_id == 0x7FF && j.key.filter_mask == (0x7FF | CAN_EFF_FLAG));

	/* the frame filter folds into the EFF flag of the filter */
	setup(1, 1u << 3);
	rs.frame = GW_SFF_ONLY;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT(j.key.filter_id == 0 && j.key.filter_mask == CAN_EFF_FLAG);
	rs.frame = GW_EFF_ONLY;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT(j.key.filter_id == CAN_EFF_FLAG && j.key.filter_mask == CAN_EFF_FLAG);
	/* a 29-bit id under "standard" selects nothing: no job for it */
	setup(1, 1u << 3);
	rs.frame = GW_SFF_ONLY;
	add_sel(GW_SEL_EXACT, 0x18DA10F1, 0x18DA10F1, 1, 0);
	add_sel(GW_SEL_EXACT, 0x7E0, 0x7E0, 0, 0);
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	CU_ASSERT_EQUAL(rt.njobs, 1);
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT_EQUAL(j.key.filter_id, 0x7E0);

	/* inverted masks: the engine's also takes every id of the other format */
	setup(1, 1u << 3);
	add_sel(GW_SEL_MASK, 0x100, 0x700, 0, 1);
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT(j.key.filter_id == (0x100 | CAN_INV_FILTER) &&
		  j.key.filter_mask == (0x700 | CAN_EFF_FLAG));
	rs.frame = GW_EFF_ONLY;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT(j.key.filter_id == CAN_EFF_FLAG && j.key.filter_mask == CAN_EFF_FLAG);

	/* routing back onto the source needs CGW_FLAGS_CAN_IIF_TX_OK there only */
	setup(1, 1u << 1 | 1u << 3);
	rs.allow_same = 1;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	CU_ASSERT_EQUAL(rt.njobs, 2);
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT(j.key.dst_ifindex == 12 &&
		  j.key.flags == (CGW_FLAGS_CAN_ECHO | CGW_FLAGS_CAN_IIF_TX_OK));
	gw_cgw_route_job(&rt, 1, ifx, &j);
	CU_ASSERT(j.key.dst_ifindex == 14 && j.key.flags == CGW_FLAGS_CAN_ECHO);

	/* a length filter admitting every length of the route is no filter */
	setup(1, 1u << 3);
	rs.len_max = 8;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	setup(0, 1u << 2);
	rs.len_max = 8;
	CU_ASSERT_STRING_EQUAL(why(), "length filter");
	rs.type = GW_CLASSIC_ONLY;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
}

/* ---- decision: modifications compiled ----------------------------------- */

static void test_mods(void)
{
	struct gw_cgw_job j;
	struct gw_mod *m;
	struct gw_crc8 *c;
	unsigned int i;

	/* set_id to an 11-bit id keeps the format: AND keeps the flags */
	setup(1, 1u << 3);
	add_act(GW_ACT_ID_SET)->u.id = 0x321;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT(j.mod[GW_CGW_AND].type == CGW_MOD_ID &&
		  j.mod[GW_CGW_AND].can_id == (CAN_EFF_FLAG | CAN_RTR_FLAG | CAN_ERR_FLAG));
	CU_ASSERT(j.mod[GW_CGW_OR].type == CGW_MOD_ID && j.mod[GW_CGW_OR].can_id == 0x321);
	CU_ASSERT(!j.mod[GW_CGW_XOR].type && !j.mod[GW_CGW_SET].type);
	/* to a 29-bit id: every frame leaves as EFF */
	acts[0].u.id = 0x12345678;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT_EQUAL(j.mod[GW_CGW_AND].can_id, CAN_RTR_FLAG | CAN_ERR_FLAG);
	CU_ASSERT_EQUAL(j.mod[GW_CGW_OR].can_id, 0x12345678 | CAN_EFF_FLAG);

	/* XOR of the id on 11-bit frames: only bits the format has */
	setup(1, 1u << 3);
	add_sel(GW_SEL_EXACT, 0x123, 0x123, 0, 0);
	add_mod(GW_MOD_XOR, GW_MOD_ID)->id = 0xFFFFFFF;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT(!j.mod[GW_CGW_AND].type && !j.mod[GW_CGW_OR].type);
	CU_ASSERT(j.mod[GW_CGW_XOR].type == CGW_MOD_ID && j.mod[GW_CGW_XOR].can_id == 0x7FF);
	/* a SET of the id after an OR: the OR is dead, one constant remains */
	setup(1, 1u << 3);
	add_sel(GW_SEL_EXACT, 0x18DA10F1, 0x18DA10F1, 1, 0);
	add_mod(GW_MOD_OR, GW_MOD_ID)->id = 0x1F;
	add_mod(GW_MOD_SET, GW_MOD_ID)->id = 0x18DAF110;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT_EQUAL(j.mod[GW_CGW_AND].can_id, CAN_EFF_FLAG | CAN_RTR_FLAG | CAN_ERR_FLAG);
	CU_ASSERT_EQUAL(j.mod[GW_CGW_OR].can_id, 0x18DAF110);
	CU_ASSERT(!j.mod[GW_CGW_XOR].type);

	/* data: AND, OR, XOR, SET in any order become one AND/OR/XOR triple */
	setup(1, 1u << 3);
	m = add_mod(GW_MOD_XOR, GW_MOD_DATA);
	memset(m->data, 0, sizeof(m->data));
	m->data[0] = 0x0F;
	m = add_mod(GW_MOD_AND, GW_MOD_DATA);
	memset(m->data, 0xFF, sizeof(m->data));
	m->data[1] = 0xF0;
	m = add_mod(GW_MOD_OR, GW_MOD_DATA);
	memset(m->data, 0, sizeof(m->data));
	m->data[2] = 0x81;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT(j.mod[GW_CGW_AND].type == CGW_MOD_DATA && j.mod[GW_CGW_AND].data[1] == 0xF0 &&
		  j.mod[GW_CGW_AND].data[2] == 0x7E && j.mod[GW_CGW_AND].data[0] == 0xFF);
	CU_ASSERT(j.mod[GW_CGW_OR].type == CGW_MOD_DATA && j.mod[GW_CGW_OR].data[2] == 0x81);
	CU_ASSERT(j.mod[GW_CGW_XOR].type == CGW_MOD_DATA && j.mod[GW_CGW_XOR].data[0] == 0x0F);
	for (i = 3; i < 8; i++)
		CU_ASSERT(j.mod[GW_CGW_AND].data[i] == 0xFF && !j.mod[GW_CGW_OR].data[i] &&
			  !j.mod[GW_CGW_XOR].data[i]);

	/* a fixed length and payload, CRC8 then XOR: both checksums go */
	setup(1, 1u << 3);
	add_act(GW_ACT_ID_SET)->u.id = 0x100;
	add_set_len(8);
	c = add_crc8(0, 6, 7);
	c->profile = GW_CRC8PRF_SFFID_XOR;
	add_xor(0, 3, 4);
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	gw_cgw_route_job(&rt, 0, ifx, &j);
	CU_ASSERT(j.mod[GW_CGW_SET].type == CGW_MOD_LEN && j.mod[GW_CGW_SET].len == 8);
	CU_ASSERT(j.mod[GW_CGW_AND].type == (CGW_MOD_ID | CGW_MOD_DATA));
	CU_ASSERT(j.mod[GW_CGW_OR].type == (CGW_MOD_ID | CGW_MOD_DATA) &&
		  j.mod[GW_CGW_OR].data[0] == 0x5A);
	CU_ASSERT(j.crc8 == &acts[2].u.csum.u.crc8 && j.xsum == &acts[3].u.csum.u.xsum);
	CU_ASSERT_EQUAL(gw_cgw_job_plain(&j), 0);
	/* XOR listed first but on bytes the CRC8 does not touch: same result */
	setup(1, 1u << 3);
	add_set_len(8);
	add_xor(0, 2, 3);
	add_crc8(4, 6, 7);
	CU_ASSERT_STRING_EQUAL(why(), "ok");
}

/* ---- decision: every refusal -------------------------------------------- */

static void test_refusals(void)
{
	struct gw_firewall fw;
	struct gw_datamatch dm = {0, 0x05, 0x0F};
	struct gw_mod *m;

	setup(9, 1u << 3);
	CU_ASSERT_STRING_EQUAL(why(), "invalid route");
	CU_ASSERT_EQUAL(gw_cgw_route_check(&sp, &rs, &rt), -EINVAL);
	setup(1, 1u << 7);
	CU_ASSERT_STRING_EQUAL(why(), "invalid route");

	setup(1, 1u << 3);
	memset(&fw, 0, sizeof(fw));
	rs.fw = &fw;
	CU_ASSERT_STRING_EQUAL(why(), "firewall");
	CU_ASSERT_EQUAL(gw_cgw_route_check(&sp, &rs, &rt), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(rt.njobs, 0);

	setup(1, 1u << 3);
	rs.data = &dm;
	rs.ndata = 1;
	CU_ASSERT_STRING_EQUAL(why(), "payload filter");

	setup(1, 1u << 3);
	rs.len_min = 1;
	CU_ASSERT_STRING_EQUAL(why(), "length filter");
	setup(1, 1u << 3);
	rs.len_max = 7;
	CU_ASSERT_STRING_EQUAL(why(), "length filter");

	/* FD source to a classic destination, FD frames admitted */
	setup(0, 1u << 1);
	CU_ASSERT_STRING_EQUAL(why(), "FD to classic");
	rs.type = GW_CLASSIC_ONLY;
	CU_ASSERT_STRING_EQUAL(why(), "ok");

	setup(1, 1u << 3);
	add_sel(GW_SEL_RANGE, 0x200, 0x2FE, 0, 0);
	CU_ASSERT_STRING_EQUAL(why(), "id range");
	sels[0].lo = 0x201;
	sels[0].hi = 0x202; /* two ids, not aligned */
	CU_ASSERT_STRING_EQUAL(why(), "id range");
	sels[0].lo = 0x202;
	sels[0].hi = 0x203;
	CU_ASSERT_STRING_EQUAL(why(), "ok");

	setup(1, 1u << 3);
	add_sel(GW_SEL_MASK, 0x100, 0x700, 0, 1);
	rs.frame = GW_SFF_ONLY;
	CU_ASSERT_STRING_EQUAL(why(), "inverted mask with frame filter");

	/* overlapping selectors: can-gw would send such a frame twice */
	setup(1, 1u << 3);
	add_sel(GW_SEL_EXACT, 0x123, 0x123, 0, 0);
	add_sel(GW_SEL_MASK, 0x100, 0x700, 0, 0);
	CU_ASSERT_STRING_EQUAL(why(), "overlapping ids");
	setup(1, 1u << 3);
	add_sel(GW_SEL_EXACT, 0x123, 0x123, 0, 0);
	add_sel(GW_SEL_EXACT, 0x123, 0x123, 0, 0);
	CU_ASSERT_STRING_EQUAL(why(), "overlapping ids");
	sels[1].eff = 1; /* 29-bit 0x123 is another id */
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	setup(1, 1u << 3);
	add_sel(GW_SEL_EXACT, 0x123, 0x123, 0, 0);
	add_sel(GW_SEL_MASK, 0x000, 0x700, 0, 1); /* everything but 0x0XX */
	CU_ASSERT_STRING_EQUAL(why(), "overlapping ids");
	sels[0].lo = sels[0].hi = 0x023; /* inside the block left out */
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	add_sel(GW_SEL_EXACT, 0x18DA10F1, 0x18DA10F1, 1, 0); /* the inverted takes all EFF */
	CU_ASSERT_STRING_EQUAL(why(), "overlapping ids");
	setup(1, 1u << 3);
	add_sel(GW_SEL_MASK, 0x000, 0x700, 0, 1);
	add_sel(GW_SEL_MASK, 0x100, 0x700, 0, 1);
	CU_ASSERT_STRING_EQUAL(why(), "overlapping ids");

	setup(1, 1u << 3);
	add_act(GW_ACT_ID_ADD)->u.id = 1;
	CU_ASSERT_STRING_EQUAL(why(), "id add");
	setup(1, 1u << 3);
	add_act(GW_ACT_RATE)->u.rate.interval_ms = 10;
	CU_ASSERT_STRING_EQUAL(why(), "rate limit");
	setup(1, 1u << 3);
	add_act(GW_ACT_DROP);
	CU_ASSERT_STRING_EQUAL(why(), "drop");
	setup(1, 1u << 3);
	add_act(99);
	CU_ASSERT_STRING_EQUAL(why(), "unknown action");

	/* checksums can-gw does not compute the same way */
	setup(1, 1u << 3);
	add_set_len(8);
	add_act(GW_ACT_CSUM)->u.csum.kind = GW_CSUM_CRC16;
	CU_ASSERT_STRING_EQUAL(why(), "checksum not kernel-exact");
	setup(1, 1u << 3);
	add_set_len(8);
	add_crc8(0, -2, -1);
	CU_ASSERT_STRING_EQUAL(why(), "checksum not kernel-exact");
	setup(1, 1u << 3);
	add_set_len(8);
	add_xor(0, 9, 7); /* past a classic frame */
	CU_ASSERT_STRING_EQUAL(why(), "checksum not kernel-exact");
	setup(1, 1u << 3);
	add_set_len(8);
	add_xor(0, 2, 3);
	add_xor(4, 6, 7);
	CU_ASSERT_STRING_EQUAL(why(), "two checksums of a kind");
	setup(1, 1u << 3);
	add_set_len(8);
	add_crc8(0, 2, 3);
	add_crc8(4, 6, 7);
	CU_ASSERT_STRING_EQUAL(why(), "two checksums of a kind");

	/* a modification after a checksum: can-gw runs checksums last */
	setup(1, 1u << 3);
	add_set_len(8);
	add_xor(0, 6, 7);
	add_act(GW_ACT_ID_SET)->u.id = 0x100;
	CU_ASSERT_STRING_EQUAL(why(), "action order");
	setup(1, 1u << 3);
	add_set_len(8);
	add_xor(0, 6, 7);
	add_mod(GW_MOD_OR, GW_MOD_DATA);
	CU_ASSERT_STRING_EQUAL(why(), "action order");
	/* XOR before a CRC8 that reads its result: can-gw runs CRC8 first */
	setup(1, 1u << 3);
	add_set_len(8);
	add_xor(0, 5, 6);
	add_crc8(0, 6, 7);
	CU_ASSERT_STRING_EQUAL(why(), "checksum order");
	acts[1].u.csum.u.xsum.result_idx = -1; /* resolved: byte 7, the CRC's result */
	acts[1].u.csum.u.xsum.to_idx = 3;
	CU_ASSERT_STRING_EQUAL(why(), "checksum order");

	/* lengths */
	setup(1, 1u << 3);
	add_mod(GW_MOD_AND, GW_MOD_LEN)->len = 7;
	CU_ASSERT_STRING_EQUAL(why(), "length mod");
	setup(0, 1u << 2);
	m = add_mod(GW_MOD_SET, GW_MOD_LEN | GW_MOD_DATA);
	m->len = 12; /* an FD length, not for the classic job */
	CU_ASSERT_STRING_EQUAL(why(), "length mod");
	rs.type = GW_FD_ONLY;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	m->len = 9; /* no FD length */
	CU_ASSERT_STRING_EQUAL(why(), "length mod");
	setup(1, 1u << 3);
	add_mod(GW_MOD_SET, GW_MOD_LEN)->len = 8;
	CU_ASSERT_STRING_EQUAL(why(), "length set");
	setup(1, 1u << 3);
	m = add_mod(GW_MOD_SET, GW_MOD_LEN | GW_MOD_DATA);
	m->len = 4;
	add_mod(GW_MOD_XOR, GW_MOD_DATA)->data[3] = 1; /* a set bit flipped stays set */
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	m->fields = GW_MOD_LEN;
	CU_ASSERT_STRING_EQUAL(why(), "length set");
	/* per bit: an AND with 0 sets bytes too, up to the new length */
	m->len = 2;
	acts[1].u.mod.op = GW_MOD_AND;
	memset(acts[1].u.mod.data, 0, sizeof(acts[1].u.mod.data));
	acts[1].u.mod.data[2] = 0xFF;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	acts[1].u.mod.data[1] = 0x01;
	CU_ASSERT_STRING_EQUAL(why(), "length set");

	/* checksums need every frame long enough */
	setup(1, 1u << 3);
	add_mod(GW_MOD_OR, GW_MOD_DATA);
	add_xor(0, 6, 7);
	CU_ASSERT_STRING_EQUAL(why(), "checksum on short frames");
	setup(1, 1u << 3);
	add_set_len(4);
	add_xor(0, 6, 7);
	CU_ASSERT_STRING_EQUAL(why(), "checksum on short frames");
	acts[1].u.csum.u.xsum.to_idx = -2;
	acts[1].u.csum.u.xsum.result_idx = -1;
	CU_ASSERT_STRING_EQUAL(why(), "ok");

	/* one job for both formats, but the formats need different operands */
	setup(1, 1u << 3);
	add_mod(GW_MOD_OR, GW_MOD_ID)->id = 0x800;
	CU_ASSERT_STRING_EQUAL(why(), "id mod differs by format");
	rs.frame = GW_EFF_ONLY;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	setup(1, 1u << 3);
	add_mod(GW_MOD_SET, GW_MOD_ID)->id = 0x12345;
	CU_ASSERT_STRING_EQUAL(why(), "id mod differs by format");
	acts[0].u.mod.id = 0x345;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
}

/* ---- the whole configuration ------------------------------------------- */

static struct gw_route_spec pr[4];

static struct gw_route_spec *proute(unsigned int i, unsigned int src, uint64_t dst, int user)
{
	memset(&pr[i], 0, sizeof(pr[i]));
	snprintf(pr[i].name, sizeof(pr[i].name), "r%u", i);
	pr[i].src = (uint8_t)src;
	pr[i].dst = dst;
	pr[i].len_max = 64;
	pr[i].type = GW_CLASSIC_ONLY;
	if (user)
		pr[i].ndata = 1; /* a payload filter keeps it in user space */
	return &pr[i];
}

static const char *reason(const struct gw_cgw_route *r)
{
	return r->why ? r->why : "ok";
}

/*
 * Many ids: the overlap check sorts the blocks instead of comparing every
 * pair (8 million pairs for 4096 ids; 64,000 took seconds), so the count
 * of filters it looked at stays linear; jobs are still exact, and the
 * reason is still the first offending selector's.
 */
static void test_many_ids(void)
{
	enum { N = 4096 };
	struct gw_idsel *big = calloc(N + 2, sizeof(*big));
	struct gw_cgw_job job;
	size_t k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	setup(1, 1u << 3);
	rs.sel = big;
	for (k = 0; k < N; k++) {
		big[k].kind = GW_SEL_EXACT;
		big[k].lo = big[k].hi = 0x100000u + (uint32_t)k * 7;
		big[k].eff = 1;
	}
	rs.nsel = N;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	CU_ASSERT_EQUAL(rt.njobs, N);
	CU_ASSERT(rt.ncmp <= 2 * N);
	CU_ASSERT_EQUAL(gw_cgw_route_job(&rt, N - 1, ifx, &job), 0);
	CU_ASSERT_EQUAL(job.key.filter_id, (0x100000u + (N - 1) * 7) | CAN_EFF_FLAG);
	CU_ASSERT_EQUAL(job.key.filter_mask, CAN_EFF_MASK | CAN_EFF_FLAG | CAN_RTR_FLAG);
	CU_ASSERT_EQUAL(gw_cgw_route_job(&rt, 17, ifx, &job), 0);
	CU_ASSERT_EQUAL(job.key.filter_id, (0x100000u + 17 * 7) | CAN_EFF_FLAG);
	CU_ASSERT_EQUAL(gw_cgw_route_job(&rt, N, ifx, &job), -EINVAL);

	/* the first id again, last: routed twice */
	big[N] = big[0];
	rs.nsel = N + 1;
	CU_ASSERT_STRING_EQUAL(why(), "overlapping ids");
	CU_ASSERT(rt.ncmp <= 2 * (N + 1));
	/* an aligned block over an id in the middle */
	big[N].kind = GW_SEL_RANGE;
	big[N].lo = (0x100000u + 2048 * 7 - 3) & ~3u; /* 0x1037FC-0x1037FF */
	big[N].hi = big[N].lo + 3;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	big[N].lo &= ~15u;
	big[N].hi = big[N].lo + 15;
	CU_ASSERT_STRING_EQUAL(why(), "overlapping ids");
	/* a mask with holes is compared with every filter: ids ending in
	 * 0xF (0x10003F, k = 9), then those with bit 28 too (none) */
	big[N].kind = GW_SEL_MASK;
	big[N].lo = 0x0F;
	big[N].hi = 0x0F;
	CU_ASSERT_STRING_EQUAL(why(), "overlapping ids");
	big[N].lo = 0x1000000F;
	big[N].hi = 0x1000000F;
	CU_ASSERT_STRING_EQUAL(why(), "ok");
	CU_ASSERT_EQUAL(rt.njobs, N + 1);

	/* the first offending selector decides: an id range that is no
	 * aligned block before the overlap, or after it */
	big[N].kind = GW_SEL_RANGE;
	big[N].lo = 0x100001;
	big[N].hi = 0x100003;
	big[N + 1] = big[0];
	rs.nsel = N + 2;
	CU_ASSERT_STRING_EQUAL(why(), "id range");
	big[N] = big[0];
	big[N + 1].kind = GW_SEL_RANGE;
	big[N + 1].lo = 0x100001;
	big[N + 1].hi = 0x100003;
	CU_ASSERT_STRING_EQUAL(why(), "overlapping ids");
	free(big);
}

static void test_plan(void)
{
	const struct gw_route_spec *p[4] = {&pr[0], &pr[1], &pr[2], &pr[3]};
	struct gw_cgw_route out[4];

	setup(0, 1);
	/* independent routes */
	proute(0, 0, 1u << 1, 0);
	proute(1, 2, 1u << 3, 1);
	CU_ASSERT_EQUAL(gw_cgw_plan(&sp, p, 2, out), 1);
	CU_ASSERT_STRING_EQUAL(reason(&out[0]), "ok");
	CU_ASSERT_STRING_EQUAL(reason(&out[1]), "payload filter");
	/* a user-space route sends onto the source of an offloaded one */
	proute(1, 2, 1u << 0, 1);
	CU_ASSERT_EQUAL(gw_cgw_plan(&sp, p, 2, out), 0);
	CU_ASSERT_STRING_EQUAL(reason(&out[0]), "fed by a user-space route");
	/* ... or reads one of its destinations */
	proute(1, 1, 1u << 3, 1);
	CU_ASSERT_EQUAL(gw_cgw_plan(&sp, p, 2, out), 0);
	CU_ASSERT_STRING_EQUAL(reason(&out[0]), "feeds a user-space route");
	/* a chain: refusing one route refuses the one feeding it too */
	proute(0, 0, 1u << 1, 0);
	proute(1, 1, 1u << 3, 0);
	proute(2, 3, 1u << 2, 1);
	CU_ASSERT_EQUAL(gw_cgw_plan(&sp, p, 3, out), 0);
	CU_ASSERT_STRING_EQUAL(reason(&out[1]), "feeds a user-space route");
	CU_ASSERT_STRING_EQUAL(reason(&out[0]), "feeds a user-space route");
	pr[2].ndata = 0; /* all three in the kernel: fine */
	CU_ASSERT_EQUAL(gw_cgw_plan(&sp, p, 3, out), 3);
	/* first match: routes sharing a source stay in user space */
	proute(0, 0, 1u << 2, 0);
	proute(1, 0, 1u << 2, 0);
	proute(2, 1, 1u << 3, 0);
	sp.first_match = 1;
	CU_ASSERT_EQUAL(gw_cgw_plan(&sp, p, 3, out), 1);
	CU_ASSERT_STRING_EQUAL(reason(&out[0]), "first match");
	CU_ASSERT_STRING_EQUAL(reason(&out[1]), "first match");
	CU_ASSERT_STRING_EQUAL(reason(&out[2]), "ok");
	sp.first_match = 0;
	CU_ASSERT_EQUAL(gw_cgw_plan(&sp, p, 3, out), 3);
}

/* ---- messages ---------------------------------------------------------- */

/* Payload and length of attribute type in msg, or NULL. */
static const uint8_t *attr(const uint8_t *msg, size_t len, uint16_t type, size_t *plen)
{
	size_t off = HDR + NLMSG_ALIGN(sizeof(struct rtcanmsg));
	struct rtattr a;

	while (off + sizeof(a) <= len) {
		memcpy(&a, msg + off, sizeof(a));
		if (a.rta_len < sizeof(a))
			return NULL;
		if (a.rta_type == type) {
			*plen = a.rta_len - sizeof(a);
			return msg + off + sizeof(a);
		}
		off += RTA_ALIGN(a.rta_len);
	}
	return NULL;
}

static int attr_is(const uint8_t *msg, size_t len, uint16_t type, const void *want, size_t n)
{
	size_t pl = 0;
	const uint8_t *p = attr(msg, len, type, &pl);

	return p && pl == n && !memcmp(p, want, n);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void test_encode(void)
{
	uint8_t msg[GW_CGW_MSG_MAX + 16], want[300], small[GW_CGW_MSG_MAX];
	struct gw_cgw_job j;
	struct gw_crc8 c8;
	struct gw_xor x = {0, 6, 7, 0x5C};
	struct nlmsghdr nh;
	uint32_t v;
	uint8_t u8;
	size_t pl, i;
	int len, n;

	memset(&j, 0, sizeof(j));
	memset(&c8, 0, sizeof(c8));
	gw_crc8_table(c8.crctab, 0x2F);
	c8.from_idx = 1;
	c8.to_idx = 6;
	c8.result_idx = 0;
	c8.init_crc_val = 0xFF;
	c8.final_xor_val = 0xAA;
	c8.profile = GW_CRC8PRF_16U8;
	for (i = 0; i < 16; i++)
		c8.profile_data[i] = (uint8_t)(0x10 + i);
	j.key = (struct gw_cgw_key){.uid = GW_CGW_UID(2, 7),
				    .src_ifindex = 3,
				    .dst_ifindex = 4,
				    .filter_id = 0x123,
				    .filter_mask = 0x7FF | CAN_EFF_FLAG,
				    .flags = CGW_FLAGS_CAN_ECHO,
				    .lim_hops = 1};
	j.mod[GW_CGW_AND].type = CGW_MOD_ID;
	j.mod[GW_CGW_AND].can_id = 0xE0000000u;
	j.mod[GW_CGW_OR].type = CGW_MOD_ID | CGW_MOD_DATA;
	j.mod[GW_CGW_OR].can_id = 0x321;
	for (i = 0; i < 8; i++)
		j.mod[GW_CGW_OR].data[i] = (uint8_t)(0xA0 + i);
	j.mod[GW_CGW_SET].type = CGW_MOD_LEN;
	j.mod[GW_CGW_SET].len = 8;
	j.crc8 = &c8;
	j.xsum = &x;
	memset(msg, 0xEE, sizeof(msg));
	len = gw_cgw_encode(msg, sizeof(msg), RTM_NEWROUTE, 77, &j);
	/* 16 + 4, three 17-byte mods (24 each), CRC8 286 (288), XOR 8,
	 * uid 8, hops 5 (8), filter 12, two ifindexes 8 each */
	CU_ASSERT_EQUAL_FATAL(len, 16 + 4 + 3 * 24 + 288 + 8 + 8 + 8 + 12 + 8 + 8);
	CU_ASSERT_EQUAL(msg[len], 0xEE);
	memcpy(&nh, msg, sizeof(nh));
	CU_ASSERT(nh.nlmsg_len == (uint32_t)len && nh.nlmsg_type == RTM_NEWROUTE &&
		  nh.nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK) && nh.nlmsg_seq == 77 &&
		  nh.nlmsg_pid == 0);
	CU_ASSERT(msg[16] == AF_CAN && msg[17] == CGW_TYPE_CAN_CAN);
	CU_ASSERT(msg[18] == CGW_FLAGS_CAN_ECHO && msg[19] == 0);
	/* struct cgw_frame_mod: can_frame (id, len, pad, res0, len8_dlc, data) then modtype */
	memset(want, 0, sizeof(want));
	put32(want, 0xE0000000u);
	memset(want + 8, 0, 8);
	want[16] = CGW_MOD_ID;
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_MOD_AND, want, 17));
	memset(want, 0, sizeof(want));
	put32(want, 0x321);
	for (i = 0; i < 8; i++)
		want[8 + i] = (uint8_t)(0xA0 + i);
	want[16] = CGW_MOD_ID | CGW_MOD_DATA;
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_MOD_OR, want, 17));
	memset(want, 0, sizeof(want));
	want[4] = 8;
	want[16] = CGW_MOD_LEN;
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_MOD_SET, want, 17));
	CU_ASSERT_PTR_NULL(attr(msg, (size_t)len, CGW_MOD_XOR, &pl));
	CU_ASSERT_PTR_NULL(attr(msg, (size_t)len, CGW_FDMOD_AND, &pl));
	/* struct cgw_csum_crc8: from, to, result, init, final, table, profile, 20 bytes */
	memset(want, 0, sizeof(want));
	want[0] = 1;
	want[1] = 6;
	want[2] = 0;
	want[3] = 0xFF;
	want[4] = 0xAA;
	memcpy(want + 5, c8.crctab, 256);
	want[261] = GW_CRC8PRF_16U8;
	for (i = 0; i < 16; i++)
		want[262 + i] = (uint8_t)(0x10 + i);
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_CS_CRC8, want, 282));
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_CS_XOR, "\x00\x06\x07\x5C", 4));
	v = GW_CGW_UID(2, 7);
	CU_ASSERT_EQUAL(v, 0xC4A20007u);
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_MOD_UID, &v, 4));
	u8 = 1;
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_LIM_HOPS, &u8, 1));
	put32(want, 0x123);
	put32(want + 4, 0x7FF | CAN_EFF_FLAG);
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_FILTER, want, 8));
	v = 3;
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_SRC_IF, &v, 4));
	v = 4;
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_DST_IF, &v, 4));

	/* every buffer too small fails without writing past its end */
	for (n = 0; n < len; n++) {
		memset(small, 0xEE, sizeof(small));
		if (gw_cgw_encode(small, (size_t)n, RTM_NEWROUTE, 1, &j) != -EMSGSIZE ||
		    small[n] != 0xEE) {
			CU_FAIL("short buffer");
			break;
		}
	}
	CU_ASSERT_EQUAL(gw_cgw_encode(msg, sizeof(msg), RTM_GETROUTE, 1, &j), -EINVAL);

	/* the FD job: struct cgw_fdframe_mod under CGW_FDMOD_* */
	j.key.flags |= CGW_FLAGS_CAN_FD;
	j.fd = 1;
	j.mod[GW_CGW_OR].data[63] = 0x3F;
	len = gw_cgw_encode(msg, sizeof(msg), RTM_DELROUTE, 78, &j);
	CU_ASSERT_EQUAL_FATAL(len, 16 + 4 + 3 * 80 + 288 + 8 + 8 + 8 + 12 + 8 + 8);
	CU_ASSERT(len <= GW_CGW_MSG_MAX);
	memcpy(&nh, msg, sizeof(nh));
	CU_ASSERT_EQUAL(nh.nlmsg_type, RTM_DELROUTE);
	CU_ASSERT_EQUAL(msg[18], CGW_FLAGS_CAN_ECHO | CGW_FLAGS_CAN_FD);
	memset(want, 0, sizeof(want));
	put32(want, 0x321);
	for (i = 0; i < 8; i++)
		want[8 + i] = (uint8_t)(0xA0 + i);
	want[8 + 63] = 0x3F;
	want[72] = CGW_MOD_ID | CGW_MOD_DATA;
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_FDMOD_OR, want, 73));
	CU_ASSERT_PTR_NULL(attr(msg, (size_t)len, CGW_MOD_OR, &pl));

	/* delete by key: a no-op AND so that the uid is read */
	j.key.flags = CGW_FLAGS_CAN_ECHO;
	len = gw_cgw_encode_del(msg, sizeof(msg), 79, &j.key);
	CU_ASSERT_EQUAL_FATAL(len, 16 + 4 + 24 + 8 + 8 + 12 + 8 + 8);
	memcpy(&nh, msg, sizeof(nh));
	CU_ASSERT(nh.nlmsg_type == RTM_DELROUTE && nh.nlmsg_seq == 79);
	memset(want, 0xFF, 16);
	want[4] = want[5] = want[6] = want[7] = 0;
	want[16] = CGW_MOD_ID;
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_MOD_AND, want, 17));
	v = GW_CGW_UID(2, 7);
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_MOD_UID, &v, 4));
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_LIM_HOPS, &u8, 1));
	j.key.flags |= CGW_FLAGS_CAN_FD;
	len = gw_cgw_encode_del(msg, sizeof(msg), 79, &j.key);
	CU_ASSERT(attr(msg, (size_t)len, CGW_FDMOD_AND, &pl) && pl == 73);
	/* a plain job is deleted by its content: no modification, no uid */
	j.key.uid = 0;
	len = gw_cgw_encode_del(msg, sizeof(msg), 81, &j.key);
	CU_ASSERT_EQUAL_FATAL(len, 16 + 4 + 8 + 12 + 8 + 8);
	CU_ASSERT_PTR_NULL(attr(msg, (size_t)len, CGW_FDMOD_AND, &pl));
	CU_ASSERT_PTR_NULL(attr(msg, (size_t)len, CGW_MOD_AND, &pl));
	CU_ASSERT_PTR_NULL(attr(msg, (size_t)len, CGW_MOD_UID, &pl));
	CU_ASSERT(attr_is(msg, (size_t)len, CGW_LIM_HOPS, &u8, 1));

	/* the dump request */
	len = gw_cgw_encode_dump(msg, sizeof(msg), 80);
	CU_ASSERT_EQUAL_FATAL(len, 20);
	memcpy(&nh, msg, sizeof(nh));
	CU_ASSERT(nh.nlmsg_type == RTM_GETROUTE && nh.nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP) &&
		  nh.nlmsg_seq == 80 && msg[16] == AF_CAN);
	CU_ASSERT_EQUAL(gw_cgw_encode_dump(msg, 19, 80), -EMSGSIZE);
}

/* ---- dump replies ------------------------------------------------------ */

struct mb {
	uint8_t b[4096];
	size_t len, start;
};

static void m_begin(struct mb *m, uint16_t type, uint32_t seq)
{
	struct nlmsghdr nh;

	memset(&nh, 0, sizeof(nh));
	nh.nlmsg_type = type;
	nh.nlmsg_flags = NLM_F_MULTI;
	nh.nlmsg_seq = seq;
	m->start = m->len;
	memcpy(m->b + m->len, &nh, sizeof(nh));
	m->len += sizeof(nh);
}

static void m_raw(struct mb *m, const void *p, size_t n)
{
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void m_pad(struct mb *m)
{
	while (m->len % 4)
		m->b[m->len++] = 0;
}

static void m_attr(struct mb *m, uint16_t type, const void *p, size_t n)
{
	struct rtattr a = {(unsigned short)(sizeof(a) + n), type};

	m_raw(m, &a, sizeof(a));
	m_raw(m, p, n);
	m_pad(m);
}

static void m_u32(struct mb *m, uint16_t type, uint32_t v)
{
	m_attr(m, type, &v, 4);
}

static void m_end(struct mb *m)
{
	uint32_t l = (uint32_t)(m->len - m->start);

	memcpy(m->b + m->start, &l, 4);
}

static void m_job(struct mb *m, uint32_t seq, uint8_t family, uint32_t uid, uint32_t handled)
{
	uint8_t rc[4] = {family, CGW_TYPE_CAN_CAN, CGW_FLAGS_CAN_ECHO, 0};
	struct can_filter f = {0x123, 0x7FF | CAN_EFF_FLAG};
	uint8_t hops = 1;

	m_begin(m, RTM_NEWROUTE, seq);
	m_raw(m, rc, 4);
	if (handled)
		m_u32(m, CGW_HANDLED, handled);
	m_u32(m, CGW_DELETED, 5);
	m_attr(m, CGW_LIM_HOPS, &hops, 1);
	if (uid)
		m_u32(m, CGW_MOD_UID, uid);
	m_attr(m, CGW_FILTER, &f, sizeof(f));
	m_u32(m, CGW_SRC_IF, 3);
	m_u32(m, CGW_DST_IF, 4);
	m_end(m);
}

static void m_int(struct mb *m, uint16_t type, uint32_t seq, int e)
{
	m_begin(m, type, seq);
	m_raw(m, &e, sizeof(e));
	if (type == NLMSG_ERROR) {
		struct nlmsghdr orig;

		memset(&orig, 0, sizeof(orig));
		m_raw(m, &orig, sizeof(orig));
	}
	m_end(m);
}

struct got {
	unsigned int n;
	struct gw_cgw_dumped d[8];
};

static void got_cb(void *arg, const struct gw_cgw_dumped *d)
{
	struct got *g = arg;

	if (g->n < 8)
		g->d[g->n] = *d;
	g->n++;
}

/* Parses buf[0..len) from an exact-size heap copy (ASan sees overreads). */
static int parse(const uint8_t *buf, size_t len, uint32_t seq, struct got *g,
		 struct gw_cgw_pstat *st)
{
	uint8_t *p = malloc(len ? len : 1);
	int rc;

	memcpy(p, buf, len);
	memset(g, 0, sizeof(*g));
	if (st)
		memset(st, 0, sizeof(*st));
	rc = gw_cgw_parse_dump(p, len, seq, got_cb, g, st);
	free(p);
	return rc;
}

static void test_parse(void)
{
	static struct mb m, k;
	struct gw_cgw_pstat st;
	struct gw_cgw_job j;
	struct got g;
	uint8_t buf[GW_CGW_MSG_MAX + 1];
	size_t cut, ends[4];
	unsigned int i;
	int rc, bad = 0, len;

	/* two jobs, a foreign route, another sequence, then DONE */
	memset(&m, 0, sizeof(m));
	m_job(&m, 9, AF_CAN, GW_CGW_UID(1, 2), 1000);
	ends[0] = m.len;
	m_job(&m, 9, AF_CAN, 0, 0);
	ends[1] = m.len;
	m_job(&m, 9, AF_INET, 0, 0);
	m_job(&m, 8, AF_CAN, GW_CGW_UID(1, 3), 1);
	ends[2] = m.len;
	m_int(&m, NLMSG_DONE, 9, 0);
	ends[3] = m.len;
	rc = parse(m.b, m.len, 9, &g, &st);
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT_EQUAL_FATAL(g.n, 2);
	CU_ASSERT(st.jobs == 2 && st.foreign == 1 && st.other == 1 && st.bad == 0);
	CU_ASSERT(g.d[0].has_uid && g.d[0].key.uid == GW_CGW_UID(1, 2));
	CU_ASSERT(g.d[0].handled == 1000 && g.d[0].dropped == 0 && g.d[0].deleted == 5);
	CU_ASSERT(g.d[0].key.src_ifindex == 3 && g.d[0].key.dst_ifindex == 4);
	CU_ASSERT(g.d[0].key.filter_id == 0x123);
	CU_ASSERT(g.d[0].key.filter_mask == (0x7FF | CAN_EFF_FLAG));
	CU_ASSERT(g.d[0].key.flags == CGW_FLAGS_CAN_ECHO && g.d[0].key.lim_hops == 1);
	CU_ASSERT(!g.d[1].has_uid && g.d[1].handled == 0);
	/* without DONE: more to come; at message ends: the jobs so far */
	CU_ASSERT_EQUAL(parse(m.b, ends[0], 9, &g, NULL), 0);
	CU_ASSERT_EQUAL(g.n, 1);
	CU_ASSERT_EQUAL(parse(m.b, ends[2], 9, &g, NULL), 0);
	CU_ASSERT_EQUAL(g.n, 2);
	CU_ASSERT_EQUAL(parse(m.b, 0, 9, &g, NULL), 0);
	/* every cut: no overread (heap copy), only 0, 1 or -EBADMSG; the end
	 * only with DONE; at message boundaries the jobs before them */
	for (cut = 0; cut <= m.len; cut++) {
		static const unsigned int before[4] = {1, 2, 2, 2};

		rc = parse(m.b, cut, 9, &g, NULL);
		if (rc != 0 && rc != 1 && rc != -EBADMSG)
			bad++;
		if ((rc == 1) != (cut == ends[3]) || g.n > 2)
			bad++;
		for (i = 0; i < 4; i++)
			if (cut == ends[i] && (rc < 0 || g.n != before[i]))
				bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* any alignment */
	memmove(m.b + 1, m.b, m.len);
	CU_ASSERT_EQUAL(parse(m.b + 1, m.len, 9, &g, NULL), 1);
	CU_ASSERT_EQUAL(g.n, 2);

	/* errors */
	memset(&k, 0, sizeof(k));
	m_int(&k, NLMSG_ERROR, 9, 0); /* an ACK is not the end */
	m_job(&k, 9, AF_CAN, 5, 1);
	m_int(&k, NLMSG_ERROR, 9, -EPERM);
	CU_ASSERT_EQUAL(parse(k.b, k.len, 9, &g, &st), -EPERM);
	CU_ASSERT(g.n == 1 && st.other == 1);
	memset(&k, 0, sizeof(k));
	m_int(&k, NLMSG_DONE, 9, -ENOBUFS);
	CU_ASSERT_EQUAL(parse(k.b, k.len, 9, &g, NULL), -ENOBUFS);
	memset(&k, 0, sizeof(k));
	m_int(&k, NLMSG_ERROR, 9, -100000); /* no errno */
	CU_ASSERT_EQUAL(parse(k.b, k.len, 9, &g, NULL), -EBADMSG);
	memset(&k, 0, sizeof(k));
	m_int(&k, NLMSG_ERROR, 8, -EPERM); /* another request's */
	CU_ASSERT_EQUAL(parse(k.b, k.len, 9, &g, NULL), 0);

	/* broken headers: framing is lost */
	memset(&k, 0, sizeof(k));
	m_job(&k, 9, AF_CAN, 5, 1);
	put32(k.b, 8);
	CU_ASSERT_EQUAL(parse(k.b, k.len, 9, &g, NULL), -EBADMSG);
	put32(k.b, (uint32_t)k.len + 4);
	CU_ASSERT_EQUAL(parse(k.b, k.len, 9, &g, NULL), -EBADMSG);
	put32(k.b, (uint32_t)k.len);
	CU_ASSERT_EQUAL(parse(k.b, k.len + 5, 9, &g, NULL), -EBADMSG); /* trailing bytes */

	/* broken attributes: that message is skipped, the next one read */
	for (i = 0; i < 2; i++) {
		uint16_t v = i ? 0x7FFF : 3; /* past the message; below its header */

		memset(&k, 0, sizeof(k));
		m_job(&k, 9, AF_CAN, 5, 1);
		memcpy(k.b + HDR + 4, &v, 2); /* the first attribute's rta_len */
		m_job(&k, 9, AF_CAN, 6, 2);
		rc = parse(k.b, k.len, 9, &g, &st);
		CU_ASSERT(rc == 0 && st.bad == 1 && g.n == 1 && g.d[0].key.uid == 6);
	}
	/* an u32 of 2 bytes, a filter of 4 bytes, a body shorter than rtcanmsg */
	memset(&k, 0, sizeof(k));
	m_begin(&k, RTM_NEWROUTE, 9);
	m_raw(&k, "\x1d\x01\x01\x00", 4);
	m_attr(&k, CGW_HANDLED, "\x01\x02", 2);
	m_end(&k);
	m_begin(&k, RTM_NEWROUTE, 9);
	m_raw(&k, "\x1d\x01\x01\x00", 4);
	m_attr(&k, CGW_FILTER, "\x01\x02\x03\x04", 4);
	m_end(&k);
	m_begin(&k, RTM_NEWROUTE, 9);
	m_raw(&k, "\x1d\x01", 2);
	m_end(&k);
	m_pad(&k);
	m_job(&k, 9, AF_CAN, 6, 2);
	CU_ASSERT_EQUAL(parse(k.b, k.len, 9, &g, &st), 0);
	CU_ASSERT(st.bad == 3 && g.n == 1);

	/* what gw_cgw_encode() writes reads back as the same key */
	setup(1, 1u << 3);
	add_sel(GW_SEL_EXACT, 0x18DA10F1, 0x18DA10F1, 1, 0);
	add_act(GW_ACT_ID_SET)->u.id = 0x7E8;
	CU_ASSERT_STRING_EQUAL_FATAL(why(), "ok");
	gw_cgw_route_job(&rt, 0, ifx, &j);
	j.key.uid = GW_CGW_UID(5, 99);
	len = gw_cgw_encode(buf, sizeof(buf), RTM_NEWROUTE, 9, &j);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL(parse(buf, (size_t)len, 9, &g, &st), 0);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT(g.d[0].has_uid && g.d[0].key.uid == j.key.uid && g.d[0].key.src_ifindex == 12 &&
		  g.d[0].key.dst_ifindex == 14 && g.d[0].key.filter_id == j.key.filter_id &&
		  g.d[0].key.filter_mask == j.key.filter_mask && g.d[0].key.flags == j.key.flags &&
		  g.d[0].key.lim_hops == 1);
}

/* ---- counters ---------------------------------------------------------- */

static void test_fold(void)
{
	struct gw_cgw_jobstate js[2];
	struct gw_cgw_inst in[2];
	struct gw_cgw_dumped d;
	unsigned int i;

	memset(js, 0, sizeof(js));
	memset(in, 0, sizeof(in));
	in[1].uid0 = GW_CGW_UID(3, 10);
	in[1].njobs = 2;
	in[1].job = js;
	for (i = 0; i < 2; i++) {
		js[i].key = (struct gw_cgw_key){.uid = in[1].uid0 + i,
						.src_ifindex = 3,
						.dst_ifindex = 4,
						.flags = CGW_FLAGS_CAN_ECHO,
						.lim_hops = 1};
	}
	memset(&d, 0, sizeof(d));
	d.key = js[1].key;
	d.has_uid = 1;
	d.handled = 0xFFFFFFF0u;
	d.dropped = 3;
	CU_ASSERT_EQUAL(gw_cgw_fold(in, 2, &d), 1);
	CU_ASSERT(in[1].total.handled == 0xFFFFFFF0u && in[1].total.dropped == 3);
	CU_ASSERT(js[1].seen && !js[0].seen);
	/* the u32 wrapped: 0x20 more */
	d.handled = 0x10;
	CU_ASSERT_EQUAL(gw_cgw_fold(in, 2, &d), 1);
	CU_ASSERT_EQUAL(in[1].total.handled, 0x100000010ull);
	CU_ASSERT_EQUAL(in[1].total.dropped, 3);
	/* past 2^33 in steps of 2^31 */
	for (i = 0; i < 4; i++) {
		d.handled += 0x80000000u;
		gw_cgw_fold(in, 2, &d);
	}
	CU_ASSERT_EQUAL(in[1].total.handled, 0x300000010ull);
	/* the other job adds to the same route */
	d.key = js[0].key;
	d.handled = 5;
	d.deleted = 7;
	CU_ASSERT_EQUAL(gw_cgw_fold(in, 2, &d), 1);
	CU_ASSERT(in[1].total.handled == 0x300000015ull && in[1].total.deleted == 7);
	/* not ours: unknown uid, no uid, same uid with another key */
	d.key.uid = in[1].uid0 + 2;
	CU_ASSERT_EQUAL(gw_cgw_fold(in, 2, &d), 0);
	d.key.uid = in[1].uid0 - 1;
	CU_ASSERT_EQUAL(gw_cgw_fold(in, 2, &d), 0);
	d.key = js[0].key;
	d.has_uid = 0;
	CU_ASSERT_EQUAL(gw_cgw_fold(in, 2, &d), 0);
	d.has_uid = 1;
	d.key.dst_ifindex = 5;
	d.handled = 1000;
	CU_ASSERT_EQUAL(gw_cgw_fold(in, 2, &d), 0);
	CU_ASSERT_EQUAL(in[1].total.handled, 0x300000015ull);

	/* plain jobs (no uid) are known by their content, once per poll:
	 * an identical twin dumped after ours is someone else's */
	memset(&in[0], 0, sizeof(in[0]));
	js[0].key.uid = js[1].key.uid = 0;
	js[1].key.filter_id = 0x124;
	js[0].seen = js[1].seen = 0;
	in[1].total = (struct gw_cgw_ctr){0, 0, 0};
	memset(js[0].last, 0, sizeof(js[0].last));
	memset(js[1].last, 0, sizeof(js[1].last));
	memset(&d, 0, sizeof(d));
	d.key = js[1].key;
	d.handled = 40;
	CU_ASSERT_EQUAL(gw_cgw_fold(in, 2, &d), 1);
	CU_ASSERT(js[1].seen && !js[0].seen && in[1].total.handled == 40);
	d.handled = 1000;
	CU_ASSERT_EQUAL(gw_cgw_fold(in, 2, &d), 0);
	CU_ASSERT_EQUAL(in[1].total.handled, 40);
	/* a uid job's dump never matches a plain job, nor another filter */
	d.key = js[0].key;
	d.key.uid = GW_CGW_UID(3, 10);
	d.has_uid = 1;
	CU_ASSERT_EQUAL(gw_cgw_fold(in, 2, &d), 0);
	d.key = js[0].key;
	d.has_uid = 0;
	d.key.filter_mask ^= 1;
	CU_ASSERT_EQUAL(gw_cgw_fold(in, 2, &d), 0);
	/* a job taken over by a later install is no longer this route's */
	d.key = js[0].key;
	js[0].moved = 1;
	CU_ASSERT_EQUAL(gw_cgw_fold(in, 2, &d), 0);
	js[0].moved = 0;
	d.handled = 2;
	CU_ASSERT_EQUAL(gw_cgw_fold(in, 2, &d), 1);
	CU_ASSERT_EQUAL(in[1].total.handled, 42);
}

/* ---- the plain jobs' list ---------------------------------------------- */

static void test_saved(void)
{
	static const char text[] = "# a comment\n"
				   "3 4 123 c00007ff 1 1\n"
				   "\n"
				   "3 4 123 c00007ff 1\n"     /* a field short */
				   "3 4 123 c00007ff 1 1 9\n" /* one too many */
				   "0 4 123 7ff 1 1\n"	      /* no ifindex 0 */
				   "3 4 1x3 7ff 1 1\n"	      /* not hex */
				   "3 4 123 7ff 10000 1\n"    /* flags over 16 bits */
				   "3 4 123 7ff 1 256\n"      /* hops over 8 bits */
				   "3 4 100000000 7ff 1 1\n"  /* id over 32 bits */
				   "3  4 123 7ff 1 1\n"	      /* two spaces */
				   "12 11 80000000 0 9 1";    /* FD job, no newline */
	struct gw_cgw_key k[4];
	struct gw_cgw_jobstate js[3];
	struct gw_cgw_inst in[2];
	char path[64], buf[512];
	unsigned int bad;
	size_t n;
	FILE *f;

	n = gw_cgw_parse_saved(text, strlen(text), k, 4, &bad);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(bad, 8);
	CU_ASSERT(k[0].src_ifindex == 3 && k[0].dst_ifindex == 4 && k[0].filter_id == 0x123 &&
		  k[0].filter_mask == 0xC00007FF && k[0].flags == 1 && k[0].lim_hops == 1 &&
		  !k[0].uid);
	CU_ASSERT(k[1].src_ifindex == 12 && k[1].dst_ifindex == 11 &&
		  k[1].filter_id == 0x80000000u && k[1].filter_mask == 0 && k[1].flags == 9);
	/* counting only; a cut anywhere never reads past the length */
	CU_ASSERT_EQUAL(gw_cgw_parse_saved(text, strlen(text), NULL, 0, &bad), 2);
	CU_ASSERT_EQUAL(gw_cgw_parse_saved(text, 13, k, 4, &bad), 0);
	CU_ASSERT_EQUAL(bad, 1);
	CU_ASSERT_EQUAL(gw_cgw_parse_saved(text, 0, k, 4, &bad), 0);

	/* written: plain jobs only, not those taken over; read back the same */
	memset(js, 0, sizeof(js));
	memset(in, 0, sizeof(in));
	js[0].key = (struct gw_cgw_key){.src_ifindex = 3,
					.dst_ifindex = 4,
					.filter_id = 0x123,
					.filter_mask = 0xC00007FF,
					.flags = CGW_FLAGS_CAN_ECHO,
					.lim_hops = 1};
	js[1].key = js[0].key;
	js[1].key.uid = GW_CGW_UID(0, 1);
	js[2].key = js[0].key;
	js[2].key.filter_id = 0x124;
	in[1].job = js;
	in[1].njobs = 3;
	snprintf(path, sizeof(path), "/tmp/canrig-saved-%d", (int)getpid());
	CU_ASSERT_EQUAL_FATAL(gw_cgw_save(path, in, 2), 0);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	CU_ASSERT_EQUAL(gw_cgw_parse_saved(buf, n, k, 4, &bad), 2);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(k[0].filter_id == 0x123 && k[1].filter_id == 0x124 &&
		  k[0].filter_mask == 0xC00007FF && k[1].lim_hops == 1 &&
		  k[1].flags == CGW_FLAGS_CAN_ECHO && k[1].src_ifindex == 3);
	js[2].moved = 1;
	CU_ASSERT_EQUAL(gw_cgw_save(path, in, 2), 0);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	CU_ASSERT_EQUAL(gw_cgw_parse_saved(buf, n, k, 4, &bad), 1);
	/* nothing plain left: no file */
	js[0].moved = 1;
	CU_ASSERT_EQUAL(gw_cgw_save(path, in, 2), 0);
	CU_ASSERT(access(path, F_OK) && errno == ENOENT);
	CU_ASSERT_EQUAL(gw_cgw_save(path, in, 2), 0);
	CU_ASSERT_EQUAL(gw_cgw_save("/nonexistent-dir/x", in, 0), 0);
	js[0].moved = 0;
	CU_ASSERT_EQUAL(gw_cgw_save("/nonexistent-dir/x", in, 2), -ENOENT);
}

/* The temporary list is a new file of our own: a symlink planted at
 * PATH.tmp (the control directory was writable by someone else, or a
 * crash left one) is neither followed nor renamed into place. */
static void test_saved_tmp(void)
{
	struct gw_cgw_jobstate js[1];
	struct gw_cgw_inst in[1];
	char path[64], tmp[80], victim[64], buf[64];
	struct stat st;
	FILE *f;
	size_t n;

	memset(js, 0, sizeof(js));
	memset(in, 0, sizeof(in));
	js[0].key = (struct gw_cgw_key){.src_ifindex = 3,
					.dst_ifindex = 4,
					.filter_id = 0x123,
					.filter_mask = 0xC00007FF,
					.lim_hops = 1};
	in[0].job = js;
	in[0].njobs = 1;
	snprintf(path, sizeof(path), "/tmp/canrig-savedl-%d", (int)getpid());
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "/tmp/canrig-victim-%d", (int)getpid());
	f = fopen(victim, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("precious\n", f);
	fclose(f);
	unlink(tmp);
	CU_ASSERT_EQUAL_FATAL(symlink(victim, tmp), 0);
	CU_ASSERT_EQUAL(gw_cgw_save(path, in, 1), 0);
	f = fopen(victim, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	CU_ASSERT_STRING_EQUAL(buf, "precious\n");
	CU_ASSERT(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	CU_ASSERT(lstat(tmp, &st) && errno == ENOENT);
	unlink(path);
	unlink(tmp);
	unlink(victim);
}

/* ---- the engine against a model of can-gw ------------------------------ */

static uint32_t rnd_s = 0x2545F491;

static uint32_t rnd(void)
{
	rnd_s ^= rnd_s << 13;
	rnd_s ^= rnd_s >> 17;
	rnd_s ^= rnd_s << 5;
	return rnd_s;
}

/* A frame as can-gw holds it: can_id with flags, and the bytes past len. */
struct kf {
	uint32_t can_id;
	uint8_t len, fd;
	uint8_t data[64];
};

/* can_rcv_list_find() and can_rcv_filter(): does a job's filter take it? */
static int k_filter(uint32_t id, uint32_t mask, uint32_t can_id)
{
	uint32_t inv = id & CAN_INV_FILTER;

	if ((mask & CAN_EFF_FLAG) && !(id & CAN_EFF_FLAG))
		mask &= CAN_SFF_MASK | CAN_EFF_FLAG | CAN_RTR_FLAG;
	id &= mask;
	if (inv)
		return (can_id & mask) != id;
	return !mask || (can_id & mask) == id;
}

static uint32_t k_op(unsigned int slot, uint32_t a, uint32_t k)
{
	switch (slot) {
	case GW_CGW_AND:
		return a & k;
	case GW_CGW_OR:
		return a | k;
	case GW_CGW_XOR:
		return a ^ k;
	default:
		return k;
	}
}

static int k_idx(int idx, int len)
{
	return idx < 0 ? len + idx : idx;
}

/* can-gw's checksums: no length check; negative indices resolved */
static void k_crc8(const struct gw_crc8 *c, struct kf *f)
{
	uint8_t crc = c->init_crc_val;
	int i, from = c->from_idx, to = c->to_idx;

	CU_ASSERT(from >= 0 && to >= 0 && c->result_idx >= 0);
	if (from <= to)
		for (i = from; i <= to; i++)
			crc = c->crctab[crc ^ f->data[i]];
	else
		for (i = from; i >= to; i--)
			crc = c->crctab[crc ^ f->data[i]];
	if (c->profile == GW_CRC8PRF_1U8)
		crc = c->crctab[crc ^ c->profile_data[0]];
	else if (c->profile == GW_CRC8PRF_16U8)
		crc = c->crctab[crc ^ c->profile_data[f->data[1] & 0xF]];
	else if (c->profile == GW_CRC8PRF_SFFID_XOR)
		crc = c->crctab[crc ^ (f->can_id & 0xFF) ^ (f->can_id >> 8 & 0xFF)];
	f->data[c->result_idx] = crc ^ c->final_xor_val;
}

static void k_xor(const struct gw_xor *x, struct kf *f)
{
	int from = k_idx(x->from_idx, f->len), to = k_idx(x->to_idx, f->len);
	int res = k_idx(x->result_idx, f->len), i;
	uint8_t v = x->init_xor_val;

	if (from < 0 || to < 0 || res < 0)
		return;
	if (from <= to)
		for (i = from; i <= to; i++)
			v ^= f->data[i];
	else
		for (i = from; i >= to; i--)
			v ^= f->data[i];
	f->data[res] = v;
}

/* One job on one frame, as can_can_gw_rcv() does.  Returns 1 if sent. */
static int k_run(const struct gw_cgw_job *j, struct kf *f)
{
	unsigned int s, b, n = j->fd ? 64 : 8;
	int any = 0;

	if (!f->fd != !j->fd || !k_filter(j->key.filter_id, j->key.filter_mask, f->can_id))
		return 0;
	for (s = 0; s < GW_CGW_NMOD; s++) {
		const struct gw_cgw_mod *m = &j->mod[s];

		if (!m->type)
			continue;
		any = 1;
		if (m->type & CGW_MOD_ID)
			f->can_id = k_op(s, f->can_id, m->can_id);
		if (m->type & CGW_MOD_LEN)
			f->len = (uint8_t)k_op(s, f->len, m->len);
		if (m->type & CGW_MOD_DATA)
			for (b = 0; b < n; b++)
				f->data[b] = (uint8_t)k_op(s, f->data[b], m->data[b]);
	}
	if (any) {
		if (f->len > n)
			return 0;
		if (j->crc8)
			k_crc8(j->crc8, f);
		if (j->xsum)
			k_xor(j->xsum, f);
	}
	return 1;
}

static void rnd_fill(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd();
}

static uint32_t rnd_id(int eff)
{
	return eff ? rnd() & CF_EFF_MASK : rnd() & CF_SFF_MASK;
}

static void rnd_route(void)
{
	unsigned int src = rnd() % 4, i, n, k;
	uint64_t dst = 0;
	int eff;

	while (!dst)
		dst = rnd() & 15;
	setup(src, dst);
	if (dst >> src & 1)
		rs.allow_same = 1;
	if (rnd() % 3 == 0)
		rs.frame = (uint8_t)(rnd() % 3);
	if (rnd() % 3 == 0)
		rs.type = (uint8_t)(rnd() % 3);
	n = rnd() % 4;
	for (i = 0; i < n; i++) {
		eff = rnd() % 2;
		switch (rnd() % 4) {
		case 0:
			k = rnd_id(eff);
			add_sel(GW_SEL_EXACT, k, k, eff, 0);
			break;
		case 1:
			k = 1u << (rnd() % 8);
			add_sel(GW_SEL_RANGE, rnd_id(eff) & ~(k - 1), 0, eff, 0);
			sels[rs.nsel - 1].hi = sels[rs.nsel - 1].lo + k - 1;
			break;
		default:
			k = rnd_id(eff) & rnd_id(eff);
			add_sel(GW_SEL_MASK, rnd_id(eff), k, eff, rnd() % 3 == 0);
			break;
		}
	}
	/* a third of the routes are built for checksums: ids, a set payload, CRC8, XOR */
	n = rnd() % 5;
	for (i = 0; i < n; i++) {
		struct gw_mod *m;

		switch (rnd() % 7) {
		case 0:
			add_act(GW_ACT_ID_SET)->u.id = rnd_id((int)(rnd() % 2));
			break;
		case 1:
		case 2:
		case 3:
			m = add_mod((uint8_t)(rnd() % 4), (uint8_t)(1 + rnd() % 7));
			m->id = rnd() % 2 ? rnd() & 0x7FF : rnd();
			m->id &= CF_EFF_MASK;
			m->len = (uint8_t)(rnd() % 2 ? rnd() % 9 : cf_dlc2len(rnd() % 16));
			rnd_fill(m->data, sizeof(m->data));
			break;
		case 4:
			add_set_len((uint8_t)(rnd() % 9));
			rnd_fill(acts[rs.nact - 1].u.mod.data, 64);
			break;
		case 5:
			add_xor((int)(rnd() % 16) - 8, (int)(rnd() % 16) - 8, (int)(rnd() % 16) - 8)
				->init_xor_val = (uint8_t)rnd();
			break;
		default: {
			struct gw_crc8 *c;

			c = add_crc8((int)(rnd() % 8), (int)(rnd() % 8), (int)(rnd() % 8));

			c->profile = (uint8_t)(rnd() % 4);
			c->init_crc_val = (uint8_t)rnd();
			c->final_xor_val = (uint8_t)rnd();
			gw_crc8_table(c->crctab, (uint8_t)rnd());
			rnd_fill(c->profile_data, 16);
			break;
		}
		}
	}
	if (rnd() % 3 == 0) {
		rs.nact = 0;
		if (rnd() % 2)
			add_act(GW_ACT_ID_SET)->u.id = rnd_id((int)(rnd() % 2));
		add_set_len((uint8_t)(2 + rnd() % 7));
		rnd_fill(acts[rs.nact - 1].u.mod.data, 64);
		if (rnd() % 2)
			add_mod(GW_MOD_XOR, GW_MOD_DATA)->data[rnd() % 8] = (uint8_t)rnd();
		if (rnd() % 2) {
			struct gw_crc8 *c = add_crc8(0, (int)(rnd() % 2), 1 + (int)(rnd() % 2));

			c->profile = (uint8_t)(rnd() % 4);
			rnd_fill(c->profile_data, 16);
		}
		if (rnd() % 2)
			add_xor((int)(rnd() % 2) - 1, (int)(rnd() % 2) - 2, (int)(rnd() % 2) - 1);
	}
}

/* The engine for the current route (it takes copies the engine may own). */
static struct gw_engine *engine(void)
{
	struct gw_spec es = sp;
	struct gw_route_spec *r = calloc(1, sizeof(*r));
	char e[256];

	*r = rs;
	r->sel = malloc((rs.nsel + 1) * sizeof(*r->sel));
	r->act = malloc((rs.nact + 1) * sizeof(*r->act));
	memcpy(r->sel, rs.sel, rs.nsel * sizeof(*r->sel));
	memcpy(r->act, rs.act, rs.nact * sizeof(*r->act));
	es.routes = r;
	es.nroutes = 1;
	return gw_engine_new(&es, e, sizeof(e));
}

static void rnd_frame(struct cf_frame *f, struct kf *k, uint8_t *data)
{
	int eff = rnd() % 2, fd = sp.ifs[rs.src].fd && rnd() % 2;
	uint32_t id = rnd_id(eff);

	if (rs.nsel && rnd() % 4) {
		const struct gw_idsel *s = &sels[rnd() % rs.nsel];

		eff = s->eff;
		id = s->kind == GW_SEL_MASK ? (s->lo & s->hi) | (rnd_id(eff) & ~s->hi)
					    : s->lo + (rnd() % (s->hi - s->lo + 1));
	}
	memset(f, 0, sizeof(*f));
	f->id = id;
	f->flags = (uint8_t)((eff ? CF_EFF : 0) | (fd ? CF_FD : 0));
	if (!fd && rnd() % 8 == 0)
		f->flags |= CF_RTR;
	f->len = (uint8_t)(fd ? cf_dlc2len(rnd() % 16) : rnd() % 9);
	rnd_fill(k->data, 64); /* can-gw sees stale bytes past len */
	memcpy(data, k->data, 64);
	f->data = data;
	k->can_id = id | (eff ? CAN_EFF_FLAG : 0) | (f->flags & CF_RTR ? CAN_RTR_FLAG : 0);
	k->len = f->len;
	k->fd = (uint8_t)fd;
}

/* The kernel's can_id of an engine frame: the id with its flags. */
static uint32_t can_id_of(const struct cf_frame *f)
{
	return f->id | (f->flags & CF_EFF ? CAN_EFF_FLAG : 0) |
	       (f->flags & CF_RTR ? CAN_RTR_FLAG : 0);
}

static void test_model(void)
{
	static struct gw_emit eo[16], eu[16];
	static const uint8_t one = 1;
	unsigned int routes, accepted = 0, outputs = 0, frames = 0, bad = 0, i, n, m, nu;
	unsigned int user_rtr = 0;
	struct gw_cgw_job j;
	struct gw_engine *e, *eoff;
	struct cf_frame f;
	struct kf k, ko;
	uint8_t data[64];
	size_t jk;
	unsigned int with_csum = 0, with_fd = 0, with_inv = 0, with_id = 0;

	for (routes = 0; routes < 6000; routes++) {
		rnd_route();
		if (gw_cgw_route_check(&sp, &rs, &rt))
			continue;
		e = engine();
		if (!e)
			continue; /* the engine refuses it (a checksum past the frame...) */
		/* the same route offloaded: what user space still does */
		eoff = engine();
		if (!eoff || gw_engine_offload(eoff, &one)) {
			bad++;
			gw_engine_free(e);
			gw_engine_free(eoff);
			break;
		}
		accepted++;
		with_csum += rt.crc8 && rt.xsum;
		with_fd += rt.ntypes == 2;
		for (i = 0; i < rs.nsel; i++)
			with_inv += sels[i].invert;
		for (i = 0; i < rs.nact; i++)
			with_id +=
				acts[i].kind == GW_ACT_ID_SET ||
				(acts[i].kind == GW_ACT_MOD && (acts[i].u.mod.fields & GW_MOD_ID));
		for (i = 0; i < 200; i++) {
			rnd_frame(&f, &k, data);
			n = gw_engine_input(e, rs.src, &f, 0, eo, 16);
			frames++;
			for (jk = 0, m = 0; jk < rt.njobs; jk++) {
				gw_cgw_route_job(&rt, jk, ifx, &j);
				ko = k;
				if (!k_run(&j, &ko))
					continue;
				outputs++;
				/* in destination order, as the engine emits them */
				if (m >= n || eo[m].dst != j.dst) {
					bad++;
					continue;
				}
				if (ko.can_id != can_id_of(&eo[m].f) || ko.len != eo[m].f.len ||
				    !ko.fd != !(eo[m].f.flags & CF_FD) ||
				    (!(eo[m].f.flags & CF_RTR) &&
				     memcmp(ko.data, eo[m].f.data, ko.len)))
					bad++;
				m++;
			}
			/* what the kernel leaves (remote frames of exact ids),
			 * user space does, and never both */
			nu = gw_engine_input(eoff, rs.src, &f, 0, eu, 16);
			if (nu) {
				user_rtr++;
				if (m || nu != n || !(f.flags & CF_RTR))
					bad++;
				for (m = 0; m < nu && m < n; m++)
					if (eu[m].dst != eo[m].dst ||
					    can_id_of(&eu[m].f) != can_id_of(&eo[m].f) ||
					    eu[m].f.len != eo[m].f.len)
						bad++;
			}
			if (m != n)
				bad++;
		}
		gw_engine_free(e);
		gw_engine_free(eoff);
		if (bad) {
			printf("\nmodel mismatch on route %u (%zu actions)\n", routes, rs.nact);
			break;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* the comparison must have had something to compare */
	CU_ASSERT(accepted > 300);
	CU_ASSERT(outputs > frames / 10);
	CU_ASSERT(with_csum > 50 && with_fd > 50 && with_inv > 20 && with_id > 300);
	CU_ASSERT(user_rtr > 50);
}

/* ---- I/O that works anywhere -------------------------------------------- */

static void test_io(void)
{
	struct gw_cgw c;
	int rc;

	memset(&c, 0, sizeof(c));
	gw_cgw_close(&c);
	CU_ASSERT_EQUAL_FATAL(gw_cgw_open(&c, 17), 0);
	CU_ASSERT_EQUAL(c.gen, 1);
	CU_ASSERT(c.fd >= 0 && c.rx);
	/* without can-gw the kernel answers with other families' routes;
	 * with it (the qemu guest), there is nothing of ours to flush */
	rc = gw_cgw_flush(&c, -1);
	CU_ASSERT(rc == -EOPNOTSUPP || rc >= 0);
	gw_cgw_close(&c);
	gw_cgw_close(&c);
}

static int register_gw_cgw_tests(void)
{
	CU_pSuite s = CU_add_suite("gw_cgw (can-gw offload)", NULL, NULL);

	if (!s || !CU_add_test(s, "jobs of accepted routes", test_jobs) ||
	    !CU_add_test(s, "modifications compiled", test_mods) ||
	    !CU_add_test(s, "every refusal reason", test_refusals) ||
	    !CU_add_test(s, "whole configuration plan", test_plan) ||
	    !CU_add_test(s, "many ids: linear overlap check", test_many_ids) ||
	    !CU_add_test(s, "message bytes", test_encode) ||
	    !CU_add_test(s, "dump parser, broken replies", test_parse) ||
	    !CU_add_test(s, "counter folding across wraps", test_fold) ||
	    !CU_add_test(s, "plain jobs' list", test_saved) ||
	    !CU_add_test(s, "plain jobs' list: no symlink followed", test_saved_tmp) ||
	    !CU_add_test(s, "engine against a can-gw model", test_model) ||
	    !CU_add_test(s, "socket", test_io))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(gw_cgw, register_gw_cgw_tests)
