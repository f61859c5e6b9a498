/* SPDX-License-Identifier: MIT */
/*
 * test_doip.c - the DoIP codec against hand-computed vectors of ISO
 * 13400-2's layouts, every NACK and response code from its condition, the
 * TCP framing split at every byte and coalesced, large diagnostic messages
 * in pieces, and the socket timers on a fake clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doip.h"
#include "unit.h"

#define MS 1000000ull
#define SA 0x0E80
#define LA 0x1000

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned int v;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static const char VIN[] = "WVWZZZ1JZXW000001";
#define VIN_HEX "57 56 57 5A 5A 5A 31 4A 5A 58 57 30 30 30 30 30 31"

static struct doip_msg msg(uint16_t type)
{
	struct doip_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	return m;
}

/* ---- codec */

static const uint8_t EID[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t GID[6] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5};
static const uint8_t UDS_RDBI[3] = {0x22, 0xF1, 0x90};

static void vectors(struct doip_msg *m, const char **hex, size_t *n)
{
	size_t i = 0;

	m[i] = msg(DOIP_T_HDR_NACK);
	m[i].u.nack = DOIP_HN_LENGTH;
	hex[i++] = "02 FD 00 00 00000001 04";
	m[i] = msg(DOIP_T_VID_REQ);
	hex[i++] = "02 FD 00 01 00000000";
	m[i] = msg(DOIP_T_VID_REQ_EID);
	memcpy(m[i].u.eid, EID, 6);
	hex[i++] = "02 FD 00 02 00000006 001122334455";
	m[i] = msg(DOIP_T_VID_REQ_VIN);
	memcpy(m[i].u.vin, VIN, 17);
	hex[i++] = "02 FD 00 03 00000011" VIN_HEX;
	m[i] = msg(DOIP_T_VID_RSP);
	memcpy(m[i].u.vid.vin, VIN, 17);
	m[i].u.vid.la = LA;
	memcpy(m[i].u.vid.eid, EID, 6);
	memcpy(m[i].u.vid.gid, GID, 6);
	m[i].u.vid.further = 0x10;
	hex[i++] = "02 FD 00 04 00000020" VIN_HEX "1000 001122334455 A0A1A2A3A4A5 10";
	m[i] = m[i - 1];
	m[i].u.vid.has_sync = 1;
	m[i].u.vid.sync = 0x10;
	hex[i++] = "02 FD 00 04 00000021" VIN_HEX "1000 001122334455 A0A1A2A3A4A5 10 10";
	m[i] = msg(DOIP_T_RA_REQ);
	m[i].u.ra.sa = SA;
	m[i].u.ra.type = DOIP_ACT_CENTRAL;
	hex[i++] = "02 FD 00 05 00000007 0E80 E0 00000000";
	m[i] = m[i - 1];
	m[i].u.ra.has_oem = 1;
	m[i].u.ra.oem = 0xDEADBEEF;
	hex[i++] = "02 FD 00 05 0000000B 0E80 E0 00000000 DEADBEEF";
	m[i] = msg(DOIP_T_RA_RSP);
	m[i].u.ra.sa = SA;
	m[i].u.ra.la = LA;
	m[i].u.ra.code = DOIP_RA_OK;
	hex[i++] = "02 FD 00 06 00000009 0E80 1000 10 00000000";
	m[i] = m[i - 1];
	m[i].u.ra.has_oem = 1;
	m[i].u.ra.oem = 0x01020304;
	hex[i++] = "02 FD 00 06 0000000D 0E80 1000 10 00000000 01020304";
	m[i] = msg(DOIP_T_ALIVE_REQ);
	hex[i++] = "02 FD 00 07 00000000";
	m[i] = msg(DOIP_T_ALIVE_RSP);
	m[i].u.alive_sa = SA;
	hex[i++] = "02 FD 00 08 00000002 0E80";
	m[i] = msg(DOIP_T_STATUS_REQ);
	hex[i++] = "02 FD 40 01 00000000";
	m[i] = msg(DOIP_T_STATUS_RSP);
	m[i].u.status.node_type = 1;
	m[i].u.status.mcts = 4;
	m[i].u.status.ncts = 2;
	hex[i++] = "02 FD 40 02 00000003 01 04 02";
	m[i] = m[i - 1];
	m[i].u.status.has_mds = 1;
	m[i].u.status.mds = 0x00010000;
	hex[i++] = "02 FD 40 02 00000007 01 04 02 00010000";
	m[i] = msg(DOIP_T_POWER_REQ);
	hex[i++] = "02 FD 40 03 00000000";
	m[i] = msg(DOIP_T_POWER_RSP);
	m[i].u.power = DOIP_PM_READY;
	hex[i++] = "02 FD 40 04 00000001 01";
	m[i] = msg(DOIP_T_DIAG);
	m[i].u.diag.sa = SA;
	m[i].u.diag.ta = 0x0010;
	m[i].u.diag.data = UDS_RDBI;
	m[i].u.diag.len = 3;
	hex[i++] = "02 FD 80 01 00000007 0E80 0010 22F190";
	m[i] = msg(DOIP_T_DIAG_ACK);
	m[i].u.diag.sa = 0x0010;
	m[i].u.diag.ta = SA;
	hex[i++] = "02 FD 80 02 00000005 0010 0E80 00";
	m[i] = msg(DOIP_T_DIAG_NACK);
	m[i].u.diag.sa = 0x0010;
	m[i].u.diag.ta = SA;
	m[i].u.diag.code = DOIP_DN_UNKNOWN_TA;
	m[i].u.diag.data = UDS_RDBI;
	m[i].u.diag.len = 1;
	hex[i++] = "02 FD 80 03 00000006 0010 0E80 03 22";
	/* ISO 13400-2:2019's version */
	m[i] = msg(DOIP_T_ALIVE_RSP);
	m[i].ver = DOIP_VER_2019;
	m[i].u.alive_sa = 0x0E81;
	hex[i++] = "03 FC 00 08 00000002 0E81";
	*n = i;
}

static void test_codec_vectors(void)
{
	struct doip_msg m[32], p;
	const char *hex[32];
	uint8_t want[128], got[128], again[128];
	size_t n, i, wl, gl, al;
	uint8_t nack;

	vectors(m, hex, &n);
	CU_ASSERT_EQUAL(n, 21);
	for (i = 0; i < n; i++) {
		wl = unhex(hex[i], want);
		CU_ASSERT_EQUAL_FATAL(doip_build(&m[i], got, sizeof(got), &gl), 0);
		CU_ASSERT_EQUAL(gl, wl);
		CU_ASSERT(!memcmp(got, want, wl));
		/* and back: the parsed message builds the same bytes */
		nack = 0xEE;
		CU_ASSERT_EQUAL_FATAL(doip_parse(want, wl, &p, &nack), 0);
		CU_ASSERT_EQUAL(nack, 0xEE);
		CU_ASSERT_EQUAL(p.type, m[i].type);
		CU_ASSERT_EQUAL(p.ver, m[i].ver ? m[i].ver : DOIP_VER_2012);
		CU_ASSERT_EQUAL(doip_build(&p, again, sizeof(again), &al), 0);
		CU_ASSERT_EQUAL(al, wl);
		CU_ASSERT(!memcmp(again, want, wl));
		/* one byte short of room: nothing built */
		CU_ASSERT_EQUAL(doip_build(&m[i], got, wl - 1, &gl), -ENOBUFS);
	}
	/* spot checks of parsed fields */
	wl = unhex(hex[5], want);
	CU_ASSERT_EQUAL(doip_parse(want, wl, &p, NULL), 0);
	CU_ASSERT(!memcmp(p.u.vid.vin, VIN, 17));
	CU_ASSERT_EQUAL(p.u.vid.la, LA);
	CU_ASSERT(!memcmp(p.u.vid.gid, GID, 6));
	CU_ASSERT_EQUAL(p.u.vid.further, 0x10);
	CU_ASSERT(p.u.vid.has_sync && p.u.vid.sync == 0x10);
	wl = unhex(hex[7], want);
	CU_ASSERT_EQUAL(doip_parse(want, wl, &p, NULL), 0);
	CU_ASSERT(p.u.ra.sa == SA && p.u.ra.type == 0xE0 && p.u.ra.has_oem &&
		  p.u.ra.oem == 0xDEADBEEF);
	wl = unhex(hex[14], want);
	CU_ASSERT_EQUAL(doip_parse(want, wl, &p, NULL), 0);
	CU_ASSERT(p.u.status.has_mds && p.u.status.mds == 0x10000 && p.u.status.ncts == 2);
	wl = unhex(hex[17], want);
	CU_ASSERT_EQUAL(doip_parse(want, wl, &p, NULL), 0);
	CU_ASSERT(p.u.diag.sa == SA && p.u.diag.ta == 0x10 && p.u.diag.len == 3);
	CU_ASSERT_PTR_EQUAL(p.u.diag.data, want + 12);
	/* the streaming header of a large diagnostic message */
	CU_ASSERT_EQUAL(doip_diag_hdr_put(got, 0, SA, 0x10, 0xFFFFFFFBu), 0);
	wl = unhex("02 FD 80 01 FFFFFFFF 0E80 0010", want);
	CU_ASSERT(!memcmp(got, want, wl));
	CU_ASSERT_EQUAL(doip_diag_hdr_put(got, 0, SA, 0x10, 0xFFFFFFFCu), -EMSGSIZE);
	p = msg(0x1234);
	CU_ASSERT_EQUAL(doip_build(&p, got, sizeof(got), &gl), -EINVAL);
	/* a diagnostic message carries at least one byte */
	p = msg(DOIP_T_DIAG);
	CU_ASSERT_EQUAL(doip_build(&p, got, sizeof(got), &gl), -EINVAL);
	CU_ASSERT_EQUAL(doip_diag_hdr_put(got, 0, SA, 0x10, 0), -EMSGSIZE);
}

static void test_header_nacks(void)
{
	static const struct {
		const char *hex;
		unsigned int accept;
		uint64_t max, mem;
		int nack; /* -1: accepted */
	} t[] = {
		{"02 FD 00 05 00000007", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, -1},
		{"03 FC 00 05 0000000B", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, -1},
		{"02 FC 00 05 00000007", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, 0},
		{"01 FE 00 05 00000007", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, 0},
		{"04 FB 00 05 00000007", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, 0},
		/* 0xFF: identification requests only */
		{"FF 00 00 01 00000000", DOIP_ACCEPT_ENTITY_UDP, UINT32_MAX, UINT64_MAX, -1},
		{"FF 00 00 03 00000011", DOIP_ACCEPT_ENTITY_UDP, UINT32_MAX, UINT64_MAX, -1},
		{"FF 00 40 01 00000000", DOIP_ACCEPT_ENTITY_UDP, UINT32_MAX, UINT64_MAX, 0},
		{"FF 00 00 05 00000007", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, 0},
		/* pattern is judged before type */
		{"02 FC 12 34 00000000", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, 0},
		{"02 FD 12 34 00000000", DOIP_ACCEPT_ANY, UINT32_MAX, UINT64_MAX, 1},
		{"02 FD 00 01 00000000", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, 1},
		{"02 FD 00 05 00000007", DOIP_ACCEPT_ENTITY_UDP, UINT32_MAX, UINT64_MAX, 1},
		{"02 FD 00 07 00000000", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, 1},
		/* then size, then memory, then the type's length */
		{"02 FD 80 01 00001000", DOIP_ACCEPT_ENTITY_TCP, 0x0FFF, UINT64_MAX, 2},
		{"02 FD 80 01 00001000", DOIP_ACCEPT_ENTITY_TCP, 0x1000, UINT64_MAX, -1},
		{"02 FD 80 01 00001000", DOIP_ACCEPT_ENTITY_TCP, 0x1000, 0x0FFF, 3},
		{"02 FD 00 05 00001000", DOIP_ACCEPT_ENTITY_TCP, 0x0FFF, 0, 2},
		{"02 FD 00 05 00000100", DOIP_ACCEPT_ENTITY_TCP, 0x1000, 0x10, 3},
		{"02 FD 00 05 00000008", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, 4},
		{"02 FD 00 05 00000006", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, 4},
		{"02 FD 80 01 00000004", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, 4},
		{"02 FD 80 01 00000005", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, -1},
		{"02 FD 00 08 00000003", DOIP_ACCEPT_ENTITY_TCP, UINT32_MAX, UINT64_MAX, 4},
		{"02 FD 00 04 0000001F", DOIP_ACCEPT_ENTITY_UDP, UINT32_MAX, UINT64_MAX, 4},
		{"02 FD 00 00 00000002", DOIP_ACCEPT_TESTER_TCP, UINT32_MAX, UINT64_MAX, 4},
		{"02 FD 40 02 00000005", DOIP_ACCEPT_ANY, UINT32_MAX, UINT64_MAX, 4},
		{"02 FD 80 03 00000004", DOIP_ACCEPT_TESTER_TCP, UINT32_MAX, UINT64_MAX, 4},
	};
	struct doip_hdr h;
	uint8_t b[16], nack;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		unhex(t[i].hex, b);
		doip_hdr_get(b, &h);
		nack = 0xEE;
		rc = doip_hdr_check(&h, t[i].accept, t[i].max, t[i].mem, &nack);
		if (t[i].nack < 0) {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_EQUAL(nack, 0xEE);
		} else {
			CU_ASSERT_EQUAL(rc, -EBADMSG);
			CU_ASSERT_EQUAL(nack, t[i].nack);
		}
		if ((rc == 0) != (t[i].nack < 0) || (rc && nack != t[i].nack))
			fprintf(stderr, "\n  header case %zu (%s): rc %d nack %u\n", i, t[i].hex,
				rc, nack);
	}
	/* a whole message whose length field disagrees with its size */
	unhex("02 FD 00 08 00000002 0E", b);
	CU_ASSERT_EQUAL(doip_parse(b, 7, &(struct doip_msg){0}, &nack), -EBADMSG);
	CU_ASSERT_EQUAL(nack, DOIP_HN_LENGTH);
}

/* ---- the entity's UDP side */

static void entity(struct doip_entity *e, struct doip_entity_state *st)
{
	doip_entity_init(e);
	e->la = LA;
	memcpy(e->vin, VIN, 17);
	memcpy(e->eid, EID, 6);
	memcpy(e->gid, GID, 6);
	e->mcts = 4;
	e->mds = 0x1000;
	memset(st, 0, sizeof(*st));
	st->ncts = 1;
	st->power = DOIP_PM_READY;
}

/* Sends hex to the entity; returns the answer as hex in a static buffer. */
static const char *udp(const struct doip_entity *e, const struct doip_entity_state *st,
		       const char *hex, uint8_t *nack)
{
	static char s[256];
	uint8_t in[128], out[128];
	size_t n = unhex(hex, in), ol, i;
	int rc = doip_entity_udp(e, st, in, n, out, sizeof(out), &ol, nack);

	CU_ASSERT_EQUAL(rc, 0);
	s[0] = 0;
	for (i = 0; i < ol && i < 100; i++)
		sprintf(s + 2 * i, "%02X", out[i]);
	return s;
}

static void test_udp_entity(void)
{
	struct doip_entity e;
	struct doip_entity_state st;
	uint8_t nack, out[64], buf[64];
	size_t ol, n;
	char vid[200];

	entity(&e, &st);
	snprintf(vid, sizeof(vid), "%s",
		 "02FD000400000020"
		 "5756575A5A5A314A5A585730303030303110000011223344"
		 "55A0A1A2A3A4A500");
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 0001 00000000", &nack), vid);
	CU_ASSERT_EQUAL(nack, 0xFF);
	/* 0xFF asks in no version: answered in ours; 0x03 in 0x03 */
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "FF 00 0001 00000000", &nack), vid);
	CU_ASSERT_EQUAL(strncmp(udp(&e, &st, "03 FC 0001 00000000", &nack), "03FC0004", 8), 0);
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 0002 00000006 001122334455", &nack), vid);
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 0002 00000006 001122334456", &nack), "");
	CU_ASSERT_EQUAL(nack, 0xFF);
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 0003 00000011" VIN_HEX, &nack), vid);
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 0003 00000011" VIN_HEX, &nack), vid);
	CU_ASSERT_STRING_EQUAL(
		udp(&e, &st, "02 FD 0003 00000011 5756575A5A5A314A5A5857303030303032", &nack), "");
	/* the sync status byte when configured */
	e.has_sync = 1;
	st.sync = 0x10;
	CU_ASSERT_EQUAL(strncmp(udp(&e, &st, "02 FD 0001 00000000", &nack), "02FD000400000021", 16),
			0);
	e.has_sync = 0;
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 4001 00000000", &nack),
			       "02FD40020000000700040100001000");
	e.has_mds = 0;
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 4001 00000000", &nack),
			       "02FD400200000003000401");
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 4003 00000000", &nack), "02FD40040000000101");
	st.power = DOIP_PM_NOT_SUPPORTED;
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "03 FC 4003 00000000", &nack), "03FC40040000000102");
	/* NACKs: pattern, type (TCP-only type on UDP), size, length */
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FC 0001 00000000", &nack), "02FD00000000000100");
	CU_ASSERT_EQUAL(nack, DOIP_HN_PATTERN);
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "FF 00 4001 00000000", &nack), "02FD00000000000100");
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 8001 00000005 0E80001022", &nack),
			       "02FD00000000000101");
	CU_ASSERT_EQUAL(nack, DOIP_HN_TYPE);
	e.max_len = 8;
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 0003 00000011" VIN_HEX, &nack),
			       "02FD00000000000102");
	CU_ASSERT_EQUAL(nack, DOIP_HN_TOO_LARGE);
	e.max_len = UINT32_MAX;
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 0002 00000005 0011223344", &nack),
			       "02FD00000000000104");
	CU_ASSERT_EQUAL(nack, DOIP_HN_LENGTH);
	/* the datagram shorter or longer than its length field says */
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 0002 00000006 0011223344", &nack),
			       "02FD00000000000104");
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 0001 00000000 00", &nack), "02FD00000000000104");
	/* silence: NACKs, other entities' answers, stubs */
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 0000 00000001 01", &nack), "");
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 4004 00000001 01", &nack), "");
	CU_ASSERT_STRING_EQUAL(udp(&e, &st, "02 FD 0001 000000", &nack), "");
	CU_ASSERT_EQUAL(nack, 0xFF);
	/* announcement builder and a small output buffer */
	CU_ASSERT_EQUAL(doip_entity_vid(&e, &st, 0, out, sizeof(out), &ol), 0);
	CU_ASSERT_EQUAL(ol, 40);
	n = unhex("02 FD 0001 00000000", buf);
	CU_ASSERT_EQUAL(doip_entity_udp(&e, &st, buf, n, out, 63, &ol, &nack), -ENOBUFS);
}

/* ---- one TCP_DATA socket */

struct rec {
	uint8_t kind;
	uint16_t type, sa, ta;
	uint8_t code;
	uint64_t total;
	size_t off, len; /* data in fx.data[off .. off + len) */
	unsigned int pieces;
};

struct fx {
	struct doip_conn c;
	uint8_t rx[4096], tx[4096];
	uint8_t out[8192];
	size_t out_len;
	struct rec r[256];
	unsigned int n;
	uint8_t data[1 << 18];
	size_t data_len;
	int ra_code; /* answer to 0x0005; -1: none */
	unsigned int closed, full, paused;
	int keep_output; /* do not drain (TX_FULL tests) */
};

static struct fx *fx_new(enum doip_role role, size_t rx_cap, size_t tx_cap,
			 const struct doip_target *t, size_t nt)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct doip_conn_cfg cfg;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	doip_conn_cfg_init(&cfg, role, role == DOIP_ENTITY ? LA : SA);
	cfg.targets = t;
	cfg.n_targets = nt;
	CU_ASSERT_EQUAL(doip_conn_init(&f->c, &cfg, f->rx, rx_cap, f->tx, tx_cap, 0), 0);
	f->ra_code = DOIP_RA_OK;
	return f;
}

static void drain(struct fx *f, uint64_t now)
{
	size_t n;
	const uint8_t *p = doip_conn_output(&f->c, &n);

	if (f->keep_output)
		return;
	CU_ASSERT_FATAL(f->out_len + n <= sizeof(f->out));
	memcpy(f->out + f->out_len, p, n);
	f->out_len += n;
	doip_conn_sent(&f->c, n, now);
}

static void record(struct fx *f, const struct doip_ev *ev)
{
	struct rec *r;
	const struct doip_diag *d = &ev->m.u.diag;
	int has_data = ev->kind == DOIP_EV_DIAG || ev->m.type == DOIP_T_DIAG_ACK ||
		       ev->m.type == DOIP_T_DIAG_NACK;

	if (ev->kind == DOIP_EV_DIAG && ev->off) {
		/* a later piece: continues the last record */
		CU_ASSERT_FATAL(f->n > 0);
		r = &f->r[f->n - 1];
		CU_ASSERT_EQUAL(r->kind, DOIP_EV_DIAG);
		CU_ASSERT_EQUAL(ev->off, r->len);
		CU_ASSERT_EQUAL(ev->total, r->total);
		CU_ASSERT(r->sa == d->sa && r->ta == d->ta);
		r->pieces++;
	} else {
		CU_ASSERT_FATAL(f->n < 256);
		r = &f->r[f->n++];
		memset(r, 0, sizeof(*r));
		r->kind = ev->kind;
		r->type = ev->m.type;
		r->total = ev->total;
		r->off = f->data_len;
		r->pieces = 1;
		if (has_data) {
			r->sa = d->sa;
			r->ta = d->ta;
			r->code = d->code;
		} else if (ev->m.type == DOIP_T_RA_REQ || ev->m.type == DOIP_T_RA_RSP) {
			r->sa = ev->m.u.ra.sa;
			r->ta = ev->m.u.ra.la;
			r->code = ev->m.type == DOIP_T_RA_REQ ? ev->m.u.ra.type : ev->m.u.ra.code;
		} else if (ev->m.type == DOIP_T_ALIVE_RSP) {
			r->sa = ev->m.u.alive_sa;
		} else if (ev->m.type == DOIP_T_HDR_NACK) {
			r->code = ev->m.u.nack;
		}
	}
	if (has_data) {
		CU_ASSERT(ev->off + d->len <= ev->total);
		CU_ASSERT_FATAL(f->data_len + d->len <= sizeof(f->data));
		memcpy(f->data + f->data_len, d->data, d->len);
		f->data_len += d->len;
		r->len += d->len;
	}
}

/* Feeds a chunk the way an adapter does: input, handle, input the rest. */
static void feed(struct fx *f, const uint8_t *p, size_t len, uint64_t now)
{
	for (;;) {
		struct doip_ev ev;
		size_t n = doip_conn_input(&f->c, p, len, now, &ev);

		CU_ASSERT_FATAL(n <= len);
		p += n;
		len -= n;
		switch (ev.kind) {
		case DOIP_EV_NONE:
			CU_ASSERT_EQUAL(len, 0);
			drain(f, now);
			return;
		case DOIP_EV_MSG:
		case DOIP_EV_DIAG:
			record(f, &ev);
			if (ev.kind == DOIP_EV_MSG && ev.m.type == DOIP_T_RA_REQ && f->ra_code >= 0)
				CU_ASSERT_EQUAL(
					doip_conn_ra_reply(&f->c, (uint8_t)f->ra_code, NULL, now),
					0);
			break;
		case DOIP_EV_TX_FULL:
			f->full++;
			if (f->keep_output)
				return;
			drain(f, now);
			break;
		case DOIP_EV_PAUSED:
			f->paused++;
			CU_ASSERT_EQUAL(n, 0);
			return;
		case DOIP_EV_CLOSED:
			f->closed++;
			CU_ASSERT_EQUAL(len, 0);
			drain(f, now);
			return;
		default:
			CU_FAIL("unknown event");
			return;
		}
	}
}

static void feed_hex(struct fx *f, const char *hex, uint64_t now)
{
	uint8_t b[1024];
	size_t n = unhex(hex, b);

	feed(f, b, n, now);
}

/* The output so far as hex, and forgotten. */
static const char *out_hex(struct fx *f)
{
	static char s[4096];
	size_t i;

	s[0] = 0;
	for (i = 0; i < f->out_len && i < 2000; i++)
		sprintf(s + 2 * i, "%02X", f->out[i]);
	f->out_len = 0;
	return s;
}

#define RA_REQ "02FD0005000000070E800000000000"
#define RA_OK                                                                                      \
	"02FD0006000000090E80100010"                                                               \
	"00000000"
#define DIAG_HEX "02FD8001000000070E80001022F190"

static struct fx *activated(const struct doip_target *t, size_t nt)
{
	struct fx *f = fx_new(DOIP_ENTITY, 4096, 4096, t, nt);

	feed_hex(f, RA_REQ, 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), RA_OK);
	CU_ASSERT(f->c.active && f->c.sa == SA);
	f->n = 0;
	f->data_len = 0;
	return f;
}

static void test_routing_activation(void)
{
	static const uint8_t refused[] = {DOIP_RA_UNKNOWN_SA,	DOIP_RA_NO_SOCKET,
					  DOIP_RA_SA_ELSEWHERE, DOIP_RA_NO_AUTH,
					  DOIP_RA_BAD_TYPE,	DOIP_RA_NO_TLS};
	struct fx *f;
	char want[64];

	f = activated(NULL, 0);
	/* the same SA again: asked again, answered again */
	feed_hex(f, RA_REQ, 1);
	CU_ASSERT_EQUAL(f->n, 1);
	CU_ASSERT(f->r[0].kind == DOIP_EV_MSG && f->r[0].type == DOIP_T_RA_REQ && f->r[0].sa == SA);
	CU_ASSERT_STRING_EQUAL(out_hex(f), RA_OK);
	/* another SA on this socket: 0x02, decided here, and closed */
	feed_hex(f, "02FD0005000000070E810000000000", 2);
	CU_ASSERT_EQUAL(f->n, 1);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD0006000000090E81100002"
					   "00000000");
	CU_ASSERT_EQUAL(f->closed, 1);
	CU_ASSERT_EQUAL(f->c.close_reason, DOIP_CL_RA_REFUSED);
	free(f);

	/* the caller's refusals: each answered, each closes */
	for (size_t i = 0; i < sizeof(refused); i++) {
		f = fx_new(DOIP_ENTITY, 0, 64, NULL, 0);
		f->ra_code = refused[i];
		/* OEM field in the request, an activation type the caller sees */
		feed_hex(f, "02FD00050000000B0E80E000000000AABBCCDD", 0);
		CU_ASSERT_EQUAL(f->r[0].code, DOIP_ACT_CENTRAL);
		snprintf(want, sizeof(want), "02FD0006000000090E801000%02X00000000", refused[i]);
		CU_ASSERT_STRING_EQUAL(out_hex(f), want);
		CU_ASSERT_EQUAL(f->c.close_reason, DOIP_CL_RA_REFUSED);
		CU_ASSERT(!f->c.active);
		feed_hex(f, DIAG_HEX, 0);
		CU_ASSERT_EQUAL(f->n, 1); /* closed: nothing more */
		free(f);
	}

	/* pending: input waits for the answer; the OEM field is answered */
	f = fx_new(DOIP_ENTITY, 4096, 4096, NULL, 0);
	f->ra_code = -1;
	feed_hex(f, RA_REQ DIAG_HEX, 0);
	CU_ASSERT_EQUAL(f->n, 1);
	CU_ASSERT_EQUAL(f->paused, 1);
	{
		uint32_t oem = 0x11223344;
		struct doip_ev ev;
		uint8_t b[64];
		size_t n = unhex(DIAG_HEX, b);

		CU_ASSERT_EQUAL(doip_conn_input(&f->c, b, n, 0, &ev), 0);
		CU_ASSERT_EQUAL(ev.kind, DOIP_EV_PAUSED);
		CU_ASSERT_EQUAL(doip_conn_ra_reply(&f->c, DOIP_RA_OK, &oem, 0), 0);
		CU_ASSERT_EQUAL(doip_conn_ra_reply(&f->c, DOIP_RA_OK, &oem, 0), -EALREADY);
		drain(f, 0);
		CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD00060000000D0E801000100000000011223344");
		feed(f, b, n, 0);
	}
	CU_ASSERT_EQUAL(f->n, 2);
	CU_ASSERT(f->r[1].kind == DOIP_EV_DIAG && f->r[1].len == 3);
	free(f);

	/* confirmation required: stays open, not active */
	f = fx_new(DOIP_ENTITY, 0, 64, NULL, 0);
	f->ra_code = DOIP_RA_OK_CONFIRM;
	feed_hex(f, RA_REQ, 0);
	CU_ASSERT(!f->c.active && !f->c.close_reason);
	free(f);
}

static void test_diag_checks(void)
{
	struct doip_target t[] = {
		{0x0010, 1, 0},
		{0x0011, 1, 4},
		{0x0012, 0, 0},
	};
	struct fx *f;

	/* not activated: 0x02 and closed */
	f = fx_new(DOIP_ENTITY, 4096, 4096, t, 3);
	feed_hex(f, DIAG_HEX, 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD8003000000050010"
					   "0E8002");
	CU_ASSERT_EQUAL(f->c.close_reason, DOIP_CL_DIAG_SA);
	CU_ASSERT_EQUAL(f->c.diag_nacks[DOIP_DN_SA], 1);
	free(f);
	/* activated for another SA: the same */
	f = activated(t, 3);
	feed_hex(f, "02FD8001000000070E81001022F190", 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD8003000000050010"
					   "0E8102");
	CU_ASSERT_EQUAL(f->c.close_reason, DOIP_CL_DIAG_SA);
	CU_ASSERT_EQUAL(f->n, 0);
	free(f);

	/* the target table: unknown, too large, unreachable; the payload is
	 * skipped and the next message still arrives */
	f = activated(t, 3);
	feed_hex(f, "02FD8001000000070E80002022F190" DIAG_HEX, 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD8003000000050020"
					   "0E8003");
	feed_hex(f, "02FD8001000000090E8000112EF1900102" DIAG_HEX, 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD8003000000050011"
					   "0E8004");
	feed_hex(f, "02FD8001000000080E8000112EF19001" DIAG_HEX, 0); /* 4: fits */
	CU_ASSERT_STRING_EQUAL(out_hex(f), "");
	feed_hex(f, "02FD8001000000070E80001222F190" DIAG_HEX, 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD8003000000050012"
					   "0E8006");
	CU_ASSERT_EQUAL(f->n, 5);
	CU_ASSERT(f->r[0].ta == 0x10 && f->r[1].ta == 0x10 && f->r[2].ta == 0x11 &&
		  f->r[2].len == 4 && f->r[4].ta == 0x10);
	CU_ASSERT(!f->c.close_reason);
	/* the caller's codes: ACK, 0x05, 0x07, 0x08 (and the echo) */
	CU_ASSERT_EQUAL(doip_conn_diag_ack(&f->c, 0x10, DOIP_DIAG_ACK, UDS_RDBI, 3, 0), 0);
	CU_ASSERT_EQUAL(doip_conn_diag_ack(&f->c, 0x10, DOIP_DN_MEMORY, NULL, 0, 0), 0);
	CU_ASSERT_EQUAL(doip_conn_diag_ack(&f->c, 0x10, DOIP_DN_UNKNOWN_NET, NULL, 0, 0), 0);
	CU_ASSERT_EQUAL(doip_conn_diag_ack(&f->c, 0x10, DOIP_DN_TP_ERROR, NULL, 0, 0), 0);
	drain(f, 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD8002000000080010"
					   "0E8000"
					   "22F190"
					   "02FD8003000000050010"
					   "0E8005"
					   "02FD8003000000050010"
					   "0E8007"
					   "02FD8003000000050010"
					   "0E8008");
	CU_ASSERT(f->c.diag_nacks[3] == 1 && f->c.diag_nacks[4] == 1 && f->c.diag_nacks[5] == 1 &&
		  f->c.diag_nacks[6] == 1 && f->c.diag_nacks[7] == 1 && f->c.diag_nacks[8] == 1);
	/* the caller's 0x02 closes like ours */
	CU_ASSERT_EQUAL(doip_conn_diag_ack(&f->c, 0x10, DOIP_DN_SA, NULL, 0, 0), 0);
	CU_ASSERT_EQUAL(f->c.close_reason, DOIP_CL_DIAG_SA);
	CU_ASSERT_EQUAL(doip_conn_diag_ack(&f->c, 0x10, DOIP_DN_SA, NULL, 0, 0), -ENOTCONN);
	free(f);
}

static void test_stream_header_nacks(void)
{
	struct fx *f;

	/* 0x00: wrong inverse; NACK and closed, the rest discarded */
	f = activated(NULL, 0);
	feed_hex(f, "02FC8001000000070E80001022F190" DIAG_HEX, 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD00000000000100");
	CU_ASSERT_EQUAL(f->c.close_reason, DOIP_CL_PATTERN);
	CU_ASSERT_EQUAL(f->n, 0);
	free(f);
	/* 0x01: a UDP type on TCP, and a type nobody defined; skipped */
	f = activated(NULL, 0);
	feed_hex(f, "02FD000300000011" VIN_HEX DIAG_HEX "02FD1234000000020000" DIAG_HEX, 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD00000000000101"
					   "02FD00000000000101");
	CU_ASSERT_EQUAL(f->n, 2);
	CU_ASSERT_EQUAL(f->c.hdr_nacks[DOIP_HN_TYPE], 2);
	free(f);
	/* 0x02: over max_len; 0x03: over the memory the caller has */
	f = activated(NULL, 0);
	f->c.cfg.max_len = 6;
	feed_hex(f,
		 "02FD8001000000070E80001022F190"
		 "02FD8001000000060E8000103E00",
		 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD00000000000102");
	CU_ASSERT_EQUAL(f->n, 1);
	CU_ASSERT_EQUAL(f->r[0].len, 2);
	f->c.cfg.max_len = UINT32_MAX;
	doip_conn_set_mem(&f->c, 6);
	feed_hex(f, DIAG_HEX "02FD8001000000060E8000103E00", 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD00000000000103");
	CU_ASSERT_EQUAL(f->n, 2);
	CU_ASSERT(!f->c.close_reason);
	free(f);
	/* 0x04: a routing activation one byte long; closed */
	f = fx_new(DOIP_ENTITY, 0, 64, NULL, 0);
	feed_hex(f, "02FD0005000000080E80000000000000", 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD00000000000104");
	CU_ASSERT_EQUAL(f->c.close_reason, DOIP_CL_LENGTH);
	CU_ASSERT_EQUAL(f->c.closes[DOIP_CL_LENGTH], 1);
	free(f);
	/* a NACK from the tester is never answered */
	f = activated(NULL, 0);
	feed_hex(f, "02FD00000000000101", 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "");
	CU_ASSERT_EQUAL(f->c.nacks_in, 1);
	free(f);
}

/* A stream of every kind an entity reads, ending in a message in pieces. */
static size_t mixed_stream(uint8_t *b, size_t big)
{
	size_t n = 0;

	n += unhex(RA_REQ DIAG_HEX "02FD000800000002 0E80" DIAG_HEX, b + n);
	n += unhex("02FD8001000000050E80001131", b + n);
	n += unhex("02FD00000000000101", b + n);
	doip_diag_hdr_put(b + n, DOIP_VER_2019, SA, 0x12, big);
	n += 12;
	for (size_t i = 0; i < big; i++)
		b[n++] = (uint8_t)(i * 7 + 1);
	n += unhex(DIAG_HEX, b + n);
	return n;
}

static int same_records(const struct fx *a, const struct fx *b)
{
	if (a->n != b->n || a->out_len != b->out_len || memcmp(a->out, b->out, a->out_len))
		return 0;
	for (unsigned int i = 0; i < a->n; i++) {
		const struct rec *x = &a->r[i], *y = &b->r[i];

		if (x->kind != y->kind || x->type != y->type || x->sa != y->sa || x->ta != y->ta ||
		    x->code != y->code || x->total != y->total || x->len != y->len ||
		    memcmp(a->data + x->off, b->data + y->off, x->len))
			return 0;
	}
	return 1;
}

static void test_split_everywhere(void)
{
	static uint8_t b[4096];
	size_t rx_caps[] = {4096, 16};
	size_t n = mixed_stream(b, 200), k, j;

	for (j = 0; j < 2; j++) {
		struct fx *whole = fx_new(DOIP_ENTITY, rx_caps[j], 4096, NULL, 0), *f;
		unsigned int bad = 0;

		feed(whole, b, n, 0);
		CU_ASSERT_EQUAL(whole->n, 6);
		CU_ASSERT_EQUAL(whole->r[4].total, 200);
		CU_ASSERT_EQUAL(whole->r[4].len, 200);
		CU_ASSERT_EQUAL(whole->r[4].pieces, 1); /* contiguous: one view */
		CU_ASSERT(whole->c.alive_unasked == 1 && whole->c.nacks_in == 1);
		CU_ASSERT_EQUAL(whole->c.ignored, 0);
		/* two pieces at every split point */
		for (k = 1; k < n; k++) {
			f = fx_new(DOIP_ENTITY, rx_caps[j], 4096, NULL, 0);
			feed(f, b, k, 0);
			feed(f, b + k, n - k, 0);
			if (!same_records(whole, f)) {
				bad++;
				fprintf(stderr, "\n  split at %zu (rx_cap %zu) differs\n", k,
					rx_caps[j]);
			}
			free(f);
		}
		CU_ASSERT_EQUAL(bad, 0);
		/* and one byte at a time */
		f = fx_new(DOIP_ENTITY, rx_caps[j], 4096, NULL, 0);
		for (k = 0; k < n; k++)
			feed(f, b + k, 1, 0);
		CU_ASSERT(same_records(whole, f));
		if (rx_caps[j] < 200)
			CU_ASSERT_EQUAL(f->r[4].pieces, 200);
		CU_ASSERT_EQUAL(f->c.msgs_in, 8);
		CU_ASSERT_EQUAL(f->c.bytes_in, n);
		free(f);
		free(whole);
	}
}

static void test_coalesced(void)
{
	static uint8_t b[64 * 32];

	for (unsigned int m = 1; m <= 64; m++) {
		struct fx *f = activated(NULL, 0);
		size_t n = 0;

		for (unsigned int i = 0; i < m; i++) {
			uint8_t ud[3] = {0x22, 0xF1, (uint8_t)i};
			size_t l;

			struct doip_msg d = msg(DOIP_T_DIAG);
			d.u.diag.sa = SA;
			d.u.diag.ta = (uint16_t)(0x10 + i);
			d.u.diag.data = ud;
			d.u.diag.len = 1 + i % 3;
			CU_ASSERT_EQUAL(doip_build(&d, b + n, sizeof(b) - n, &l), 0);
			n += l;
		}
		feed(f, b, n, 0);
		CU_ASSERT_EQUAL(f->n, m);
		for (unsigned int i = 0; i < m && i < f->n; i++) {
			CU_ASSERT_EQUAL(f->r[i].ta, 0x10 + i);
			CU_ASSERT_EQUAL(f->r[i].len, 1 + i % 3);
		}
		free(f);
	}
}

static void test_large_in_pieces(void)
{
	static uint8_t b[70000];
	struct fx *f = activated(NULL, 0);
	size_t big = 65536, n = 12, pos;

	/* a receive buffer smaller than the message: pieces as bytes come */
	f->c.rx_cap = 256;
	doip_diag_hdr_put(b, DOIP_VER_2012, SA, 0x10, big);
	for (pos = 0; pos < big; pos++)
		b[n++] = (uint8_t)(pos >> 8 ^ pos);
	n += unhex(DIAG_HEX, b + n);
	for (pos = 0; pos < n; pos += 1000)
		feed(f, b + pos, n - pos < 1000 ? n - pos : 1000, 0);
	CU_ASSERT_EQUAL(f->n, 2);
	CU_ASSERT_EQUAL(f->r[0].total, big);
	CU_ASSERT_EQUAL(f->r[0].len, big);
	CU_ASSERT_EQUAL(f->r[0].pieces, 66); /* 988 bytes, 64 x 1000, the last 548 */
	CU_ASSERT(!memcmp(f->data, b + 12, big));
	CU_ASSERT_EQUAL(f->r[1].len, 3);
	free(f);

	/* the caller refuses it at its first piece and drops the rest */
	f = activated(NULL, 0);
	f->c.rx_cap = 256;
	for (pos = 0; pos < n; pos += 1000) {
		feed(f, b + pos, n - pos < 1000 ? n - pos : 1000, 0);
		if (f->n == 1 && f->r[0].pieces == 1 && f->c.drop_rest == 0) {
			CU_ASSERT_EQUAL(
				doip_conn_diag_ack(&f->c, 0x10, DOIP_DN_TOO_LARGE, NULL, 0, 0), 0);
			doip_conn_diag_drop(&f->c);
		}
	}
	CU_ASSERT_EQUAL(f->n, 2);
	CU_ASSERT_EQUAL(f->c.diag_dropped, 1);
	CU_ASSERT_EQUAL(f->r[0].pieces, 1);
	CU_ASSERT_EQUAL(f->r[0].len, 988);
	CU_ASSERT_EQUAL(f->r[1].len, 3);
	drain(f, 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD8003000000050010"
					   "0E8004");
	/* the largest length field streams too (nothing held) */
	doip_diag_hdr_put(b, DOIP_VER_2012, SA, 0x10, 0xFFFFFFFBu);
	feed(f, b, 12 + 100, 0);
	CU_ASSERT_EQUAL(f->n, 3);
	CU_ASSERT_EQUAL(f->r[2].total, 0xFFFFFFFBu);
	CU_ASSERT_EQUAL(f->c.rx, DOIP_RX_STREAM);
	free(f);
}

static void test_timers(void)
{
	struct fx *f;

	/* initial inactivity: closed at 2 s without activation, whatever comes */
	f = fx_new(DOIP_ENTITY, 0, 64, NULL, 0);
	CU_ASSERT_EQUAL(doip_conn_deadline(&f->c), 2000 * MS);
	feed_hex(f, "02FD00000000000101", 1500 * MS);
	CU_ASSERT_EQUAL(doip_conn_deadline(&f->c), 2000 * MS);
	CU_ASSERT_EQUAL(doip_conn_timers(&f->c, 1999 * MS), DOIP_CL_NONE);
	CU_ASSERT_EQUAL(doip_conn_timers(&f->c, 2000 * MS), DOIP_CL_INITIAL);
	CU_ASSERT_EQUAL(f->c.close_reason, DOIP_CL_INITIAL);
	CU_ASSERT_EQUAL(doip_conn_deadline(&f->c), UINT64_MAX);
	CU_ASSERT_EQUAL(doip_conn_timers(&f->c, 9999 * MS), DOIP_CL_NONE);
	free(f);

	/* activation stops it; general inactivity then runs from the last
	 * traffic either way */
	f = fx_new(DOIP_ENTITY, 4096, 4096, NULL, 0);
	feed_hex(f, RA_REQ, 1000 * MS);
	CU_ASSERT_EQUAL(doip_conn_deadline(&f->c), 301000 * MS);
	CU_ASSERT_EQUAL(doip_conn_timers(&f->c, 2000 * MS), DOIP_CL_NONE);
	feed_hex(f, DIAG_HEX, 100000 * MS);
	CU_ASSERT_EQUAL(doip_conn_deadline(&f->c), 400000 * MS);
	CU_ASSERT_EQUAL(doip_conn_send_diag(&f->c, 0x10, SA, UDS_RDBI, 3, 150000 * MS), 0);
	CU_ASSERT_EQUAL(doip_conn_deadline(&f->c), 450000 * MS);
	drain(f, 160000 * MS);
	CU_ASSERT_STRING_EQUAL(out_hex(f), RA_OK "02FD80010000000700100E8022F190");
	CU_ASSERT_EQUAL(doip_conn_deadline(&f->c), 460000 * MS);
	/* an unasked alive check response keeps the socket alive */
	feed_hex(f, "02FD0008000000020E80", 200000 * MS);
	CU_ASSERT_EQUAL(f->n, 2); /* RA request and the diag; no event for it */
	CU_ASSERT_EQUAL(doip_conn_timers(&f->c, 499999 * MS), DOIP_CL_NONE);
	CU_ASSERT_EQUAL(doip_conn_timers(&f->c, 500000 * MS), DOIP_CL_GENERAL);
	free(f);

	/* alive check: answered, then not answered */
	f = activated(NULL, 0);
	CU_ASSERT_EQUAL(doip_conn_alive_check(&f->c, 10 * MS), 0);
	CU_ASSERT_EQUAL(doip_conn_alive_check(&f->c, 20 * MS), 0); /* one at a time */
	drain(f, 10 * MS);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD000700000000");
	CU_ASSERT_EQUAL(doip_conn_deadline(&f->c), 510 * MS);
	feed_hex(f, "02FD0008000000020E80", 300 * MS);
	CU_ASSERT_EQUAL(f->n, 1);
	CU_ASSERT(f->r[0].type == DOIP_T_ALIVE_RSP && f->r[0].sa == SA);
	CU_ASSERT_EQUAL(doip_conn_timers(&f->c, 510 * MS), DOIP_CL_NONE);
	CU_ASSERT_EQUAL(doip_conn_alive_check(&f->c, 1000 * MS), 0);
	CU_ASSERT_EQUAL(doip_conn_deadline(&f->c), 1500 * MS);
	CU_ASSERT_EQUAL(doip_conn_timers(&f->c, 1499 * MS), DOIP_CL_NONE);
	CU_ASSERT_EQUAL(doip_conn_timers(&f->c, 1500 * MS), DOIP_CL_ALIVE);
	CU_ASSERT_EQUAL(doip_conn_alive_check(&f->c, 1600 * MS), -ENOTCONN);
	free(f);
	/* answered by another SA: that socket is not who it claims */
	f = activated(NULL, 0);
	CU_ASSERT_EQUAL(doip_conn_alive_check(&f->c, 0), 0);
	feed_hex(f, "02FD0008000000020E81", 1 * MS);
	CU_ASSERT_EQUAL(f->c.close_reason, DOIP_CL_ALIVE_SA);
	free(f);
	CU_ASSERT_STRING_EQUAL(doip_close_name(DOIP_CL_INITIAL), "initial-inactivity");
}

static void test_output_full(void)
{
	struct fx *f = activated(NULL, 0);
	uint8_t b[9 * 100];
	size_t n = 0;

	/* 100 NACKed messages into a 64-byte output nobody drains */
	f->c.tx_cap = 64;
	for (int i = 0; i < 100; i++)
		n += unhex("02FD00070000000000", b + n) - 1; /* 8 bytes each */
	f->keep_output = 1;
	feed(f, b, n, 0);
	CU_ASSERT_EQUAL(f->full, 1);
	/* 9-byte NACKs until less than the 21 bytes of a control answer are free */
	CU_ASSERT_EQUAL(f->c.tx_tail, 45);
	CU_ASSERT_EQUAL(f->c.hdr_nacks[DOIP_HN_TYPE], 5);
	CU_ASSERT_EQUAL(f->c.bytes_in, 15 + 5 * 8); /* the activation, then 5 */
	/* drained, the rest goes through */
	f->keep_output = 0;
	drain(f, 0);
	feed(f, b + 40, n - 40, 0);
	CU_ASSERT_EQUAL(f->c.hdr_nacks[DOIP_HN_TYPE], 100);
	CU_ASSERT_EQUAL(f->out_len, 900);
	CU_ASSERT_EQUAL(doip_conn_queue(&f->c, b, 65, 0), -ENOBUFS);
	free(f);
	/* what the caller queues leaves room for the engine's own answer */
	f = activated(NULL, 0);
	f->c.tx_cap = 64;
	f->keep_output = 1;
	CU_ASSERT_EQUAL(doip_conn_queue(&f->c, b, 44, 0), -ENOBUFS);
	CU_ASSERT_EQUAL(doip_conn_queue(&f->c, b, 43, 0), 0);
	CU_ASSERT_EQUAL(doip_conn_send_diag(&f->c, 0x10, SA, UDS_RDBI, 1, 0), -ENOBUFS);
	CU_ASSERT_EQUAL(doip_conn_alive_check(&f->c, 0), -ENOBUFS);
	CU_ASSERT_EQUAL(doip_conn_diag_ack(&f->c, 0x10, 0, NULL, 0, 0), -ENOBUFS);
	feed_hex(f, "02FD000700000000", 0);
	CU_ASSERT_EQUAL(f->c.hdr_nacks[DOIP_HN_TYPE], 1);
	CU_ASSERT_EQUAL(f->c.tx_tail, 43 + 9);
	CU_ASSERT_EQUAL(f->full, 0);
	free(f);
	{
		struct doip_conn c;
		struct doip_conn_cfg cfg;
		uint8_t tx[63];

		doip_conn_cfg_init(&cfg, DOIP_ENTITY, LA);
		CU_ASSERT_EQUAL(doip_conn_init(&c, &cfg, NULL, 0, tx, sizeof(tx), 0), -EINVAL);
	}
}

static void test_tester(void)
{
	struct fx *f = fx_new(DOIP_TESTER, 64, 4096, NULL, 0);
	uint8_t b[200];

	CU_ASSERT_EQUAL(doip_conn_deadline(&f->c), UINT64_MAX);
	CU_ASSERT_EQUAL(doip_conn_ra_request(&f->c, DOIP_ACT_DEFAULT, 0), 0);
	CU_ASSERT_EQUAL(doip_conn_send_diag(&f->c, SA, 0x10, UDS_RDBI, 3, 0), 0);
	drain(f, 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), RA_REQ DIAG_HEX);
	/* the entity's answers, coalesced; the alive check answered by us */
	feed_hex(f,
		 RA_OK "02FD000700000000"
		       "02FD8002000000080010"
		       "0E8000"
		       "22F190"
		       "02FD80010000000B00100E8062F19057565731"
		       "02FD8003000000050011"
		       "0E8006"
		       "02FD00000000000101",
		 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD0008000000020E80");
	CU_ASSERT(f->c.active);
	CU_ASSERT_EQUAL(f->n, 5);
	CU_ASSERT(f->r[0].type == DOIP_T_RA_RSP && f->r[0].code == DOIP_RA_OK && f->r[0].ta == LA);
	CU_ASSERT(f->r[1].type == DOIP_T_DIAG_ACK && f->r[1].len == 3 &&
		  !memcmp(f->data + f->r[1].off, UDS_RDBI, 3));
	CU_ASSERT(f->r[2].kind == DOIP_EV_DIAG && f->r[2].sa == 0x10 && f->r[2].len == 7);
	CU_ASSERT(f->r[3].type == DOIP_T_DIAG_NACK && f->r[3].code == DOIP_DN_UNREACHABLE &&
		  f->r[3].sa == 0x11);
	CU_ASSERT(f->r[4].type == DOIP_T_HDR_NACK && f->r[4].code == 1);
	/* an ACK echoing more than the receive buffer: cut, total says so */
	{
		size_t n = 0;
		struct doip_msg m = msg(DOIP_T_DIAG_ACK);

		memset(b, 0x5A, sizeof(b));
		m.u.diag.sa = 0x10;
		m.u.diag.ta = SA;
		m.u.diag.data = b;
		m.u.diag.len = 100;
		static uint8_t w[200];
		CU_ASSERT_EQUAL(doip_build(&m, w, sizeof(w), &n), 0);
		feed(f, w, 50, 0);
		feed(f, w + 50, n - 50, 0);
		CU_ASSERT_EQUAL(f->n, 6);
		CU_ASSERT_EQUAL(f->r[5].total, 100);
		CU_ASSERT_EQUAL(f->r[5].len, 64);
	}
	/* a request type a tester never receives: NACK 0x01 */
	feed_hex(f, "02FD0005000000070E800000000000", 0);
	CU_ASSERT_STRING_EQUAL(out_hex(f), "02FD00000000000101");
	free(f);
}

/* An ACK or NACK echoing nothing ends exactly at the end of what was
 * read (as a real entity's usually do): its event comes then, not with
 * the next bytes. */
static void test_tester_bare_ack(void)
{
	struct fx *f = fx_new(DOIP_TESTER, 64, 4096, NULL, 0);

	feed_hex(f, RA_OK, 0);
	CU_ASSERT_EQUAL(f->n, 1);
	feed_hex(f,
		 "02FD8003000000050020"
		 "0E8003",
		 0);
	CU_ASSERT_EQUAL_FATAL(f->n, 2);
	CU_ASSERT(f->r[1].type == DOIP_T_DIAG_NACK && f->r[1].code == DOIP_DN_UNKNOWN_TA &&
		  f->r[1].sa == 0x20 && f->r[1].len == 0 && f->r[1].total == 0);
	feed_hex(f,
		 "02FD8002000000050010"
		 "0E8000",
		 0);
	CU_ASSERT_EQUAL_FATAL(f->n, 3);
	CU_ASSERT(f->r[2].type == DOIP_T_DIAG_ACK && f->r[2].code == DOIP_DIAG_ACK &&
		  f->r[2].len == 0);
	free(f);
}

/* An answer streamed out (a gateway passing on what it cannot hold): the
 * header with the whole length first, then its bytes as they are put,
 * nothing between them at any split; what is queued meanwhile follows it;
 * input and alive checks wait for its end. */
static void test_diag_stream_out(void)
{
	static uint8_t big[20000];
	struct fx *f = activated(NULL, 0), *t = fx_new(DOIP_TESTER, 4096, 4096, NULL, 0);
	const uint8_t *p;
	size_t pos = 0, step = 1, n, len;
	struct doip_ev ev;
	uint8_t req[64];

	for (n = 0; n < sizeof(big); n++)
		big[n] = (uint8_t)(n * 7 + (n >> 8));
	CU_ASSERT_EQUAL(doip_conn_diag_begin(&f->c, 0x10, SA, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(doip_conn_diag_begin(&f->c, 0x10, SA, sizeof(big), 0), 0);
	CU_ASSERT_EQUAL(doip_conn_diag_begin(&f->c, 0x11, SA, 10, 0), -EBUSY);
	CU_ASSERT(doip_conn_tx_busy(&f->c));
	CU_ASSERT_EQUAL(doip_conn_diag_room(&f->c), 4096 - 12);
	/* queued meanwhile: they wait, in order */
	CU_ASSERT_EQUAL(doip_conn_diag_ack(&f->c, 0x11, DOIP_DIAG_ACK, NULL, 0, 0), 0);
	CU_ASSERT_EQUAL(doip_conn_send_diag(&f->c, 0x11, SA, (const uint8_t *)"\x62\xF1\x90", 3, 0),
			0);
	CU_ASSERT_EQUAL(doip_conn_send_diag(&f->c, 0x11, SA, big, 600, 0), -ENOBUFS);
	CU_ASSERT_EQUAL(doip_conn_alive_check(&f->c, 0), -EBUSY);
	/* a request comes in: not read before the stream's end */
	n = unhex(DIAG_HEX, req);
	CU_ASSERT_EQUAL(doip_conn_input(&f->c, req, n, 0, &ev), 0);
	CU_ASSERT_EQUAL(ev.kind, DOIP_EV_TX_FULL);
	while (pos < sizeof(big)) {
		len = doip_conn_diag_put(&f->c, big + pos, step, 0);
		CU_ASSERT_FATAL(len > 0);
		pos += len;
		step = step % 61 + 1;
		if (step % 5)
			continue; /* output drained now and then: puts stop at its room */
		p = doip_conn_output(&f->c, &n);
		feed(t, p, n, 0);
		doip_conn_sent(&f->c, n, 0);
	}
	CU_ASSERT_EQUAL(doip_conn_diag_put(&f->c, big, 1, 0), 0);
	CU_ASSERT(!doip_conn_tx_busy(&f->c));
	p = doip_conn_output(&f->c, &n);
	feed(t, p, n, 0);
	doip_conn_sent(&f->c, n, 0);
	CU_ASSERT_EQUAL_FATAL(t->n, 3);
	CU_ASSERT_EQUAL(t->r[0].kind, DOIP_EV_DIAG);
	CU_ASSERT_EQUAL(t->r[0].total, sizeof(big));
	CU_ASSERT_EQUAL(t->r[0].len, sizeof(big));
	CU_ASSERT(t->r[0].sa == 0x10 && t->r[0].ta == SA);
	CU_ASSERT(!memcmp(t->data, big, sizeof(big)));
	CU_ASSERT_EQUAL(t->r[1].type, DOIP_T_DIAG_ACK);
	CU_ASSERT_EQUAL(t->r[1].sa, 0x11);
	CU_ASSERT_EQUAL(t->r[2].kind, DOIP_EV_DIAG);
	CU_ASSERT_EQUAL(t->r[2].len, 3);
	/* input goes on */
	feed(f, req, n = unhex(DIAG_HEX, req), 0);
	CU_ASSERT_EQUAL(f->n, 1);
	CU_ASSERT_EQUAL(f->r[0].kind, DOIP_EV_DIAG);
	CU_ASSERT_EQUAL(doip_conn_diag_room(&f->c), 0);
	free(f);
	free(t);
}

static int register_doip_tests(void)
{
	CU_pSuite s = CU_add_suite("doip (ISO 13400-2 codec and socket engine)", NULL, NULL);

	if (!s || !CU_add_test(s, "every payload type both ways", test_codec_vectors) ||
	    !CU_add_test(s, "header NACK 0x00-0x04 in the standard's order", test_header_nacks) ||
	    !CU_add_test(s, "UDP: identification, status, power, NACKs", test_udp_entity) ||
	    !CU_add_test(s, "routing activation codes", test_routing_activation) ||
	    !CU_add_test(s, "diagnostic NACK 0x02-0x08 and ACK", test_diag_checks) ||
	    !CU_add_test(s, "header NACKs on the stream", test_stream_header_nacks) ||
	    !CU_add_test(s, "framing split at every byte", test_split_everywhere) ||
	    !CU_add_test(s, "1-64 messages in one chunk", test_coalesced) ||
	    !CU_add_test(s, "large message in pieces", test_large_in_pieces) ||
	    !CU_add_test(s, "inactivity and alive check timers", test_timers) ||
	    !CU_add_test(s, "output full pauses input", test_output_full) ||
	    !CU_add_test(s, "a diagnostic message streamed out", test_diag_stream_out) ||
	    !CU_add_test(s, "tester side", test_tester) ||
	    !CU_add_test(s, "tester: bare ACK/NACK at the end of a read", test_tester_bare_ack))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(doip, register_doip_tests)
