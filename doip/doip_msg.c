/* SPDX-License-Identifier: MIT */
/*
 * doip_msg.c - the DoIP codec (ISO 13400-2:2019): the generic header and
 * its checks, every payload type parsed and built, and the entity's UDP
 * answers.  Layouts (after the 8-byte header ver, ~ver, type:16, len:32,
 * all big-endian):
 *   0x0000 code                      0x0001 -          0x0002 EID:6
 *   0x0003 VIN:17                    0x0004 VIN:17 LA:2 EID:6 GID:6 FA [sync]
 *   0x0005 SA:2 type ISO:4 [OEM:4]   0x0006 SA:2 LA:2 code ISO:4 [OEM:4]
 *   0x0007 -                         0x0008 SA:2
 *   0x4001 -                         0x4002 node MCTS NCTS [MDS:4]
 *   0x4003 -                         0x4004 mode
 *   0x8001 SA:2 TA:2 data:1..        0x8002/3 SA:2 TA:2 code [previous data]
 */
#include <errno.h>
#include <string.h>

#include "doip.h"

#define E_TCP DOIP_ACCEPT_ENTITY_TCP
#define E_UDP DOIP_ACCEPT_ENTITY_UDP
#define T_TCP DOIP_ACCEPT_TESTER_TCP

static const struct type_rule {
	uint16_t type;
	uint8_t rx; /* DOIP_ACCEPT_* sets that take it */
	uint32_t min, max, alt;
} rules[] = {
	{DOIP_T_HDR_NACK, E_TCP | E_UDP | T_TCP, 1, 1, 0},
	{DOIP_T_VID_REQ, E_UDP, 0, 0, 0},
	{DOIP_T_VID_REQ_EID, E_UDP, 6, 6, 0},
	{DOIP_T_VID_REQ_VIN, E_UDP, 17, 17, 0},
	{DOIP_T_VID_RSP, E_UDP, 32, 32, 33},
	{DOIP_T_RA_REQ, E_TCP, 7, 7, 11},
	{DOIP_T_RA_RSP, T_TCP, 9, 9, 13},
	{DOIP_T_ALIVE_REQ, T_TCP, 0, 0, 0},
	{DOIP_T_ALIVE_RSP, E_TCP, 2, 2, 0},
	{DOIP_T_STATUS_REQ, E_UDP, 0, 0, 0},
	{DOIP_T_STATUS_RSP, E_UDP, 3, 3, 7},
	{DOIP_T_POWER_REQ, E_UDP, 0, 0, 0},
	{DOIP_T_POWER_RSP, E_UDP, 1, 1, 0},
	/* a diagnostic message carries at least one byte of user data */
	{DOIP_T_DIAG, E_TCP | T_TCP, 5, 0xFFFFFFFFu, 0},
	{DOIP_T_DIAG_ACK, T_TCP, 5, 0xFFFFFFFFu, 0},
	{DOIP_T_DIAG_NACK, T_TCP, 5, 0xFFFFFFFFu, 0},
};

static const struct type_rule *rule(uint16_t type)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].type == type)
			return &rules[i];
	return NULL;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

void doip_hdr_get(const uint8_t *p, struct doip_hdr *h)
{
	h->ver = p[0];
	h->inv = p[1];
	h->type = get16(p + 2);
	h->len = get32(p + 4);
}

void doip_hdr_put(uint8_t *p, uint8_t ver, uint16_t type, uint32_t len)
{
	p[0] = ver;
	p[1] = (uint8_t)~ver;
	put16(p + 2, type);
	put32(p + 4, len);
}

int doip_type_len(uint16_t type, uint32_t *min, uint32_t *max, uint32_t *alt)
{
	const struct type_rule *r = rule(type);

	if (!r)
		return -ENOENT;
	*min = r->min;
	*max = r->max;
	*alt = r->alt;
	return 0;
}

static int is_vid_req(uint16_t type)
{
	return type >= DOIP_T_VID_REQ && type <= DOIP_T_VID_REQ_VIN;
}

int doip_hdr_check(const struct doip_hdr *h, unsigned int accept, uint64_t max_len, uint64_t mem,
		   uint8_t *nack)
{
	const struct type_rule *r;
	uint8_t code;

	if ((h->inv ^ h->ver) != 0xFF || !(h->ver == DOIP_VER_2012 || h->ver == DOIP_VER_2019 ||
					   (h->ver == DOIP_VER_ANY && is_vid_req(h->type)))) {
		code = DOIP_HN_PATTERN;
		goto out_nack;
	}
	r = rule(h->type);
	if (!r || !(r->rx & accept)) {
		code = DOIP_HN_TYPE;
		goto out_nack;
	}
	if (h->len > max_len) {
		code = DOIP_HN_TOO_LARGE;
		goto out_nack;
	}
	if (h->len > mem) {
		code = DOIP_HN_MEMORY;
		goto out_nack;
	}
	if ((h->len < r->min || h->len > r->max) && !(r->alt && h->len == r->alt)) {
		code = DOIP_HN_LENGTH;
		goto out_nack;
	}
	return 0;
out_nack:
	if (nack)
		*nack = code;
	return -EBADMSG;
}

int doip_parse(const uint8_t *buf, size_t len, struct doip_msg *m, uint8_t *nack)
{
	struct doip_hdr h;
	const uint8_t *p = buf + DOIP_HDR_LEN;

	if (len < DOIP_HDR_LEN) {
		/* a header cut short cannot be judged further than this */
		if (nack)
			*nack = DOIP_HN_LENGTH;
		return -EBADMSG;
	}
	doip_hdr_get(buf, &h);
	if (doip_hdr_check(&h, DOIP_ACCEPT_ANY, UINT32_MAX, UINT64_MAX, nack))
		return -EBADMSG;
	if (h.len != len - DOIP_HDR_LEN) {
		if (nack)
			*nack = DOIP_HN_LENGTH;
		return -EBADMSG;
	}
	memset(m, 0, sizeof(*m));
	m->ver = h.ver;
	m->type = h.type;
	switch (h.type) {
	case DOIP_T_HDR_NACK:
		m->u.nack = p[0];
		break;
	case DOIP_T_VID_REQ_EID:
		memcpy(m->u.eid, p, DOIP_EID_LEN);
		break;
	case DOIP_T_VID_REQ_VIN:
		memcpy(m->u.vin, p, DOIP_VIN_LEN);
		break;
	case DOIP_T_VID_RSP:
		memcpy(m->u.vid.vin, p, DOIP_VIN_LEN);
		m->u.vid.la = get16(p + 17);
		memcpy(m->u.vid.eid, p + 19, DOIP_EID_LEN);
		memcpy(m->u.vid.gid, p + 25, DOIP_EID_LEN);
		m->u.vid.further = p[31];
		if (h.len == 33) {
			m->u.vid.has_sync = 1;
			m->u.vid.sync = p[32];
		}
		break;
	case DOIP_T_RA_REQ:
		m->u.ra.sa = get16(p);
		m->u.ra.type = p[2];
		m->u.ra.iso = get32(p + 3);
		if (h.len == 11) {
			m->u.ra.has_oem = 1;
			m->u.ra.oem = get32(p + 7);
		}
		break;
	case DOIP_T_RA_RSP:
		m->u.ra.sa = get16(p);
		m->u.ra.la = get16(p + 2);
		m->u.ra.code = p[4];
		m->u.ra.iso = get32(p + 5);
		if (h.len == 13) {
			m->u.ra.has_oem = 1;
			m->u.ra.oem = get32(p + 9);
		}
		break;
	case DOIP_T_ALIVE_RSP:
		m->u.alive_sa = get16(p);
		break;
	case DOIP_T_STATUS_RSP:
		m->u.status.node_type = p[0];
		m->u.status.mcts = p[1];
		m->u.status.ncts = p[2];
		if (h.len == 7) {
			m->u.status.has_mds = 1;
			m->u.status.mds = get32(p + 3);
		}
		break;
	case DOIP_T_POWER_RSP:
		m->u.power = p[0];
		break;
	case DOIP_T_DIAG:
		m->u.diag.sa = get16(p);
		m->u.diag.ta = get16(p + 2);
		m->u.diag.data = p + 4;
		m->u.diag.len = h.len - 4;
		break;
	case DOIP_T_DIAG_ACK:
	case DOIP_T_DIAG_NACK:
		m->u.diag.sa = get16(p);
		m->u.diag.ta = get16(p + 2);
		m->u.diag.code = p[4];
		m->u.diag.data = p + 5;
		m->u.diag.len = h.len - 5;
		break;
	default: /* the requests without payload */
		break;
	}
	return 0;
}

int doip_build(const struct doip_msg *m, uint8_t *out, size_t cap, size_t *len)
{
	const struct type_rule *r = rule(m->type);
	uint8_t *p = out + DOIP_HDR_LEN;
	uint64_t plen;

	if (!r)
		return -EINVAL;
	/* the payload's length first, so nothing is written when it does not fit */
	switch (m->type) {
	case DOIP_T_VID_RSP:
		plen = m->u.vid.has_sync ? 33 : 32;
		break;
	case DOIP_T_RA_REQ:
	case DOIP_T_RA_RSP:
		plen = r->min + (m->u.ra.has_oem ? 4 : 0);
		break;
	case DOIP_T_STATUS_RSP:
		plen = m->u.status.has_mds ? 7 : 3;
		break;
	case DOIP_T_DIAG:
		/* at least one byte of user data, as the header check demands */
		if (!m->u.diag.len)
			return -EINVAL;
		plen = 4 + (uint64_t)m->u.diag.len;
		break;
	case DOIP_T_DIAG_ACK:
	case DOIP_T_DIAG_NACK:
		plen = 5 + (uint64_t)m->u.diag.len;
		break;
	default:
		plen = r->min;
		break;
	}
	if (plen > UINT32_MAX)
		return -EINVAL;
	if (cap < DOIP_HDR_LEN || plen > cap - DOIP_HDR_LEN)
		return -ENOBUFS;
	doip_hdr_put(out, m->ver ? m->ver : DOIP_VER_2012, m->type, (uint32_t)plen);
	switch (m->type) {
	case DOIP_T_HDR_NACK:
		p[0] = m->u.nack;
		break;
	case DOIP_T_VID_REQ_EID:
		memcpy(p, m->u.eid, DOIP_EID_LEN);
		break;
	case DOIP_T_VID_REQ_VIN:
		memcpy(p, m->u.vin, DOIP_VIN_LEN);
		break;
	case DOIP_T_VID_RSP:
		memcpy(p, m->u.vid.vin, DOIP_VIN_LEN);
		put16(p + 17, m->u.vid.la);
		memcpy(p + 19, m->u.vid.eid, DOIP_EID_LEN);
		memcpy(p + 25, m->u.vid.gid, DOIP_EID_LEN);
		p[31] = m->u.vid.further;
		if (m->u.vid.has_sync)
			p[32] = m->u.vid.sync;
		break;
	case DOIP_T_RA_REQ:
		put16(p, m->u.ra.sa);
		p[2] = m->u.ra.type;
		put32(p + 3, m->u.ra.iso);
		if (m->u.ra.has_oem)
			put32(p + 7, m->u.ra.oem);
		break;
	case DOIP_T_RA_RSP:
		put16(p, m->u.ra.sa);
		put16(p + 2, m->u.ra.la);
		p[4] = m->u.ra.code;
		put32(p + 5, m->u.ra.iso);
		if (m->u.ra.has_oem)
			put32(p + 9, m->u.ra.oem);
		break;
	case DOIP_T_ALIVE_RSP:
		put16(p, m->u.alive_sa);
		break;
	case DOIP_T_STATUS_RSP:
		p[0] = m->u.status.node_type;
		p[1] = m->u.status.mcts;
		p[2] = m->u.status.ncts;
		if (m->u.status.has_mds)
			put32(p + 3, m->u.status.mds);
		break;
	case DOIP_T_POWER_RSP:
		p[0] = m->u.power;
		break;
	case DOIP_T_DIAG:
		put16(p, m->u.diag.sa);
		put16(p + 2, m->u.diag.ta);
		if (m->u.diag.len)
			memcpy(p + 4, m->u.diag.data, m->u.diag.len);
		break;
	case DOIP_T_DIAG_ACK:
	case DOIP_T_DIAG_NACK:
		put16(p, m->u.diag.sa);
		put16(p + 2, m->u.diag.ta);
		p[4] = m->u.diag.code;
		if (m->u.diag.len)
			memcpy(p + 5, m->u.diag.data, m->u.diag.len);
		break;
	default:
		break;
	}
	*len = DOIP_HDR_LEN + (size_t)plen;
	return 0;
}

int doip_diag_hdr_put(uint8_t *p, uint8_t ver, uint16_t sa, uint16_t ta, uint64_t user_len)
{
	if (!user_len || user_len > UINT32_MAX - 4u)
		return -EMSGSIZE;
	doip_hdr_put(p, ver ? ver : DOIP_VER_2012, DOIP_T_DIAG, (uint32_t)(user_len + 4));
	put16(p + 8, sa);
	put16(p + 10, ta);
	return 0;
}

/* ---- the entity's UDP side */

void doip_entity_init(struct doip_entity *e)
{
	memset(e, 0, sizeof(*e));
	e->ver = DOIP_VER_2012;
	e->mcts = 1;
	e->has_mds = 1;
	e->mds = UINT32_MAX;
	e->max_len = UINT32_MAX;
}

int doip_entity_vid(const struct doip_entity *e, const struct doip_entity_state *st, uint8_t ver,
		    uint8_t *out, size_t cap, size_t *len)
{
	struct doip_msg m;

	memset(&m, 0, sizeof(m));
	m.ver = ver ? ver : e->ver;
	m.type = DOIP_T_VID_RSP;
	memcpy(m.u.vid.vin, e->vin, DOIP_VIN_LEN);
	m.u.vid.la = e->la;
	memcpy(m.u.vid.eid, e->eid, DOIP_EID_LEN);
	memcpy(m.u.vid.gid, e->gid, DOIP_EID_LEN);
	m.u.vid.further = e->further_action;
	m.u.vid.has_sync = e->has_sync;
	m.u.vid.sync = st->sync;
	return doip_build(&m, out, cap, len);
}

int doip_entity_udp(const struct doip_entity *e, const struct doip_entity_state *st,
		    const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len,
		    uint8_t *nack)
{
	struct doip_hdr h;
	struct doip_msg m;
	uint8_t code, ver;

	*out_len = 0;
	*nack = 0xFF;
	if (cap < 64)
		return -ENOBUFS;
	if (len < DOIP_HDR_LEN)
		return 0; /* nothing to judge: not even a header */
	doip_hdr_get(in, &h);
	/* a UDP datagram is one message: its size is the memory the length
	 * field asks for, and more than that is all we can ever have */
	if (doip_hdr_check(&h, DOIP_ACCEPT_ENTITY_UDP, e->max_len, len - DOIP_HDR_LEN, &code)) {
		/* a datagram shorter than its header says is cut, not big */
		if (code == DOIP_HN_MEMORY)
			code = DOIP_HN_LENGTH;
		goto out_nack;
	}
	if (h.len != len - DOIP_HDR_LEN) {
		code = DOIP_HN_LENGTH;
		goto out_nack;
	}
	/* answer in the version asked; 0xFF asks for ours */
	ver = h.ver == DOIP_VER_ANY ? (e->ver ? e->ver : DOIP_VER_2012) : h.ver;
	memset(&m, 0, sizeof(m));
	m.ver = ver;
	switch (h.type) {
	case DOIP_T_VID_REQ_EID:
		if (memcmp(in + DOIP_HDR_LEN, e->eid, DOIP_EID_LEN))
			return 0;
		return doip_entity_vid(e, st, ver, out, cap, out_len);
	case DOIP_T_VID_REQ_VIN:
		if (memcmp(in + DOIP_HDR_LEN, e->vin, DOIP_VIN_LEN))
			return 0;
		return doip_entity_vid(e, st, ver, out, cap, out_len);
	case DOIP_T_VID_REQ:
		return doip_entity_vid(e, st, ver, out, cap, out_len);
	case DOIP_T_STATUS_REQ:
		m.type = DOIP_T_STATUS_RSP;
		m.u.status.node_type = e->node_type;
		m.u.status.mcts = e->mcts;
		m.u.status.ncts = st->ncts;
		m.u.status.has_mds = e->has_mds;
		m.u.status.mds = e->mds;
		return doip_build(&m, out, cap, out_len);
	case DOIP_T_POWER_REQ:
		m.type = DOIP_T_POWER_RSP;
		m.u.power = st->power;
		return doip_build(&m, out, cap, out_len);
	default:
		/* 0x0000 (no NACK answers a NACK), and other entities'
		 * announcements and answers seen on the same port */
		return 0;
	}
out_nack:
	memset(&m, 0, sizeof(m));
	m.ver = e->ver;
	m.type = DOIP_T_HDR_NACK;
	m.u.nack = code;
	*nack = code;
	return doip_build(&m, out, cap, out_len);
}
