/* SPDX-License-Identifier: MIT */
/*
 * doip_encode.c - the DoIP codec on the command line, for cross-checks
 * against an independent implementation (tests/cli_doip.sh, scapy):
 *   doip_encode build   prints "NAME HEX" for a message of every type
 *   doip_encode parse   reads "NAME HEX" lines, prints "NAME key=value..."
 *                       with scapy's field names, or "NAME nack=CODE"
 * Exit status: 0, 1 on a build error or unreadable input, 2 usage.
 */
#include <stdio.h>
#include <string.h>

#include "doip.h"

static const uint8_t EID[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t GID[6] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5};
static const uint8_t UDS[5] = {0x22, 0xF1, 0x90, 0xF1, 0x8C};

static int emit(const char *name, struct doip_msg *m)
{
	uint8_t b[256];
	size_t len;

	if (doip_build(m, b, sizeof(b), &len))
		return 1;
	printf("%s ", name);
	for (size_t i = 0; i < len; i++)
		printf("%02x", b[i]);
	printf("\n");
	return 0;
}

static int build(void)
{
	struct doip_msg m;
	int err = 0;

#define NEW(t, v)                                                                                  \
	do {                                                                                       \
		memset(&m, 0, sizeof(m));                                                          \
		m.type = (t);                                                                      \
		m.ver = (v);                                                                       \
	} while (0)
	NEW(DOIP_T_HDR_NACK, 2);
	m.u.nack = DOIP_HN_LENGTH;
	err |= emit("hdr_nack", &m);
	NEW(DOIP_T_VID_REQ, 2);
	err |= emit("vid_req", &m);
	NEW(DOIP_T_VID_REQ_EID, 2);
	memcpy(m.u.eid, EID, 6);
	err |= emit("vid_req_eid", &m);
	NEW(DOIP_T_VID_REQ_VIN, 3);
	memcpy(m.u.vin, "WVWZZZ1JZXW000001", 17);
	err |= emit("vid_req_vin", &m);
	NEW(DOIP_T_VID_RSP, 2);
	memcpy(m.u.vid.vin, "WVWZZZ1JZXW000001", 17);
	m.u.vid.la = 0x1000;
	memcpy(m.u.vid.eid, EID, 6);
	memcpy(m.u.vid.gid, GID, 6);
	m.u.vid.further = 0x10;
	m.u.vid.has_sync = 1;
	m.u.vid.sync = 0x10;
	err |= emit("vid_rsp", &m);
	NEW(DOIP_T_RA_REQ, 2);
	m.u.ra.sa = 0x0E80;
	m.u.ra.type = DOIP_ACT_CENTRAL;
	m.u.ra.has_oem = 1;
	m.u.ra.oem = 0xDEADBEEF;
	err |= emit("ra_req", &m);
	NEW(DOIP_T_RA_RSP, 2);
	m.u.ra.sa = 0x0E80;
	m.u.ra.la = 0x1000;
	m.u.ra.code = DOIP_RA_SA_ELSEWHERE;
	m.u.ra.has_oem = 1;
	m.u.ra.oem = 0x01020304;
	err |= emit("ra_rsp", &m);
	NEW(DOIP_T_ALIVE_REQ, 2);
	err |= emit("alive_req", &m);
	NEW(DOIP_T_ALIVE_RSP, 3);
	m.u.alive_sa = 0x0E81;
	err |= emit("alive_rsp", &m);
	NEW(DOIP_T_STATUS_REQ, 2);
	err |= emit("status_req", &m);
	NEW(DOIP_T_STATUS_RSP, 2);
	m.u.status.node_type = 1;
	m.u.status.mcts = 4;
	m.u.status.ncts = 2;
	m.u.status.has_mds = 1;
	m.u.status.mds = 0x00010000;
	err |= emit("status_rsp", &m);
	NEW(DOIP_T_POWER_REQ, 2);
	err |= emit("power_req", &m);
	NEW(DOIP_T_POWER_RSP, 2);
	m.u.power = DOIP_PM_NOT_SUPPORTED;
	err |= emit("power_rsp", &m);
	NEW(DOIP_T_DIAG, 2);
	m.u.diag.sa = 0x0E80;
	m.u.diag.ta = 0x0010;
	m.u.diag.data = UDS;
	m.u.diag.len = sizeof(UDS);
	err |= emit("diag", &m);
	NEW(DOIP_T_DIAG_ACK, 2);
	m.u.diag.sa = 0x0010;
	m.u.diag.ta = 0x0E80;
	err |= emit("diag_ack", &m);
	NEW(DOIP_T_DIAG_NACK, 2);
	m.u.diag.sa = 0x0010;
	m.u.diag.ta = 0x0E80;
	m.u.diag.code = DOIP_DN_UNREACHABLE;
	err |= emit("diag_nack", &m);
	return err;
}

static void hex(const char *key, const uint8_t *p, size_t n)
{
	printf(" %s=", key);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void show(const char *name, const struct doip_msg *m)
{
	printf("%s protocol_version=%u payload_type=%u", name, m->ver, m->type);
	switch (m->type) {
	case DOIP_T_HDR_NACK:
		printf(" nack=%u", m->u.nack);
		break;
	case DOIP_T_VID_REQ_EID:
		hex("eid", m->u.eid, 6);
		break;
	case DOIP_T_VID_REQ_VIN:
		hex("vin", (const uint8_t *)m->u.vin, 17);
		break;
	case DOIP_T_VID_RSP:
		hex("vin", (const uint8_t *)m->u.vid.vin, 17);
		printf(" logical_address=%u", m->u.vid.la);
		hex("eid", m->u.vid.eid, 6);
		hex("gid", m->u.vid.gid, 6);
		printf(" further_action=%u", m->u.vid.further);
		if (m->u.vid.has_sync)
			printf(" vin_gid_status=%u", m->u.vid.sync);
		break;
	case DOIP_T_RA_REQ:
		printf(" source_address=%u activation_type=%u reserved_iso=%u", m->u.ra.sa,
		       m->u.ra.type, m->u.ra.iso);
		if (m->u.ra.has_oem)
			printf(" reserved_oem=%u", m->u.ra.oem);
		break;
	case DOIP_T_RA_RSP:
		printf(" logical_address_tester=%u logical_address_doip_entity=%u"
		       " routing_activation_response=%u reserved_iso=%u",
		       m->u.ra.sa, m->u.ra.la, m->u.ra.code, m->u.ra.iso);
		if (m->u.ra.has_oem)
			printf(" reserved_oem=%u", m->u.ra.oem);
		break;
	case DOIP_T_ALIVE_RSP:
		printf(" source_address=%u", m->u.alive_sa);
		break;
	case DOIP_T_STATUS_RSP:
		printf(" node_type=%u max_open_sockets=%u cur_open_sockets=%u",
		       m->u.status.node_type, m->u.status.mcts, m->u.status.ncts);
		if (m->u.status.has_mds)
			printf(" max_data_size=%u", m->u.status.mds);
		break;
	case DOIP_T_POWER_RSP:
		printf(" diagnostic_power_mode=%u", m->u.power);
		break;
	case DOIP_T_DIAG:
	case DOIP_T_DIAG_ACK:
	case DOIP_T_DIAG_NACK:
		printf(" source_address=%u target_address=%u", m->u.diag.sa, m->u.diag.ta);
		if (m->type == DOIP_T_DIAG_ACK)
			printf(" ack_code=%u", m->u.diag.code);
		if (m->type == DOIP_T_DIAG_NACK)
			printf(" nack_code=%u", m->u.diag.code);
		hex("data", m->u.diag.data, m->u.diag.len);
		break;
	default:
		break;
	}
	printf("\n");
}

static int parse(void)
{
	char line[1024], name[64], hx[900];
	uint8_t b[450];

	while (fgets(line, sizeof(line), stdin)) {
		struct doip_msg m;
		size_t n = 0;
		unsigned int v;
		uint8_t nack;

		if (sscanf(line, "%63s %899s", name, hx) != 2)
			return 1;
		while (n < sizeof(b) && sscanf(hx + 2 * n, "%2x", &v) == 1)
			b[n++] = (uint8_t)v;
		if (doip_parse(b, n, &m, &nack))
			printf("%s nack=%u\n", name, nack);
		else
			show(name, &m);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "build"))
		return build() ? 1 : 0;
	if (argc == 2 && !strcmp(argv[1], "parse"))
		return parse();
	fprintf(stderr, "usage: doip_encode build|parse\n");
	return 2;
}
