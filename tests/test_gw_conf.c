/* SPDX-License-Identifier: MIT */
/* test_gw_conf.c - canrigd's YAML: the minimal file of the issue works
 * as written, the full schema loads, and every kind of mistake gets its
 * one-line FILE:LINE:COL message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbc.h"
#include "gw_conf.h"
#include "unit.h"

static struct gw_conf conf;
static char err[512];

static int load(const char *yaml)
{
	return gw_conf_load_mem(&conf, "t.yaml", yaml, strlen(yaml), err, sizeof(err));
}

static unsigned int route(unsigned int src, uint32_t id, uint8_t flags, struct gw_emit *out)
{
	/* static: the emits may be views of it */
	static uint8_t d[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct cf_frame f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	f.flags = flags;
	f.len = 8;
	f.data = d;
	return gw_engine_input(conf.engine, src, &f, 0, out, 8);
}

static const char minimal[] = "interfaces:\n"
			      "  - {name: vcan0, domain: powertrain}\n"
			      "  - {name: vcan1, domain: body}\n"
			      "routes:\n"
			      "  - name: pt-to-body\n"
			      "    from: vcan0\n"
			      "    to: [vcan1]\n"
			      "    ids: [0x123, 0x200-0x2FF]\n";

static void test_minimal(void)
{
	struct gw_emit out[8];

	CU_ASSERT_EQUAL_FATAL(load(minimal), 0);
	CU_ASSERT_EQUAL(conf.nifs, 2);
	CU_ASSERT_STRING_EQUAL(conf.ifname[1], "vcan1");
	CU_ASSERT_STRING_EQUAL(conf.control, "/run/canrigd/control.sock");
	CU_ASSERT_EQUAL(route(0, 0x123, 0, out), 1);
	CU_ASSERT_EQUAL(out[0].dst, 1);
	CU_ASSERT_EQUAL(route(0, 0x2AB, 0, out), 1);
	CU_ASSERT_EQUAL(route(0, 0x300, 0, out), 0);
	CU_ASSERT_EQUAL(route(1, 0x123, 0, out), 0);
	CU_ASSERT_EQUAL(route(0, 0x123, CF_EFF, out), 0);
	gw_conf_fini(&conf);
	gw_conf_fini(&conf);
}

/* where each interface's name is: canrigd points its messages about the
 * device (absent, not CAN) there */
static void test_ifpos(void)
{
	CU_ASSERT_EQUAL_FATAL(load(minimal), 0);
	CU_ASSERT_EQUAL(conf.ifpos[0][0], 2);
	CU_ASSERT_EQUAL(conf.ifpos[0][1], 12);
	CU_ASSERT_EQUAL(conf.ifpos[1][0], 3);
	CU_ASSERT_EQUAL(conf.ifpos[1][1], 12);
	gw_conf_fini(&conf);
	CU_ASSERT_EQUAL_FATAL(load("interfaces:\n  - domain: x\n    name:  lo\n"
				   "  - name: vcan1\nroutes: []\n"),
			      0);
	CU_ASSERT_EQUAL(conf.ifpos[0][0], 3);
	CU_ASSERT_EQUAL(conf.ifpos[0][1], 12);
	CU_ASSERT_EQUAL(conf.ifpos[1][0], 4);
	CU_ASSERT_EQUAL(conf.ifpos[1][1], 11);
	gw_conf_fini(&conf);
}

static const char full[] =
	"options:\n"
	"  match: first\n"
	"  hop_limit: 2\n"
	"  workshop: false\n"
	"  control: /tmp/gw.sock\n"
	"  queue: {frames: 256, max_age_ms: 50}\n"
	"interfaces:\n"
	"  - {name: vcan0, domain: powertrain, fd: true}\n"
	"  - {name: vcan1, domain: body, txqueue: {frames: 64}, rcvbuf: 0x1000000}\n"
	"  - {name: vcan2, domain: obd}\n"
	"routes:\n"
	"  - name: diag\n"
	"    from: vcan2\n"
	"    to: vcan0\n"
	"    ids: [0x7DF, 0x7E0]\n"
	"    firewall:\n"
	"      allow: [0x22, 0x19, 0x3E, {sid: 0x10, subs: [0x01, 0x03]}]\n"
	"      workshop: [0x2E, 0x31, 0x34, 0x27]\n"
	"  - name: answers\n"
	"    from: vcan0\n"
	"    to: [vcan2]\n"
	"    masks: [{id: 0x7E8, mask: 0x7F8}]\n"
	"    fd_to_classic: drop\n"
	"  - name: rewrite\n"
	"    from: vcan0\n"
	"    to: [vcan1]\n"
	"    ids: [0x100]\n"
	"    type: classic\n"
	"    length: 8\n"
	"    data: [{byte: 0, value: 0x01, mask: 0x0F}]\n"
	"    actions:\n"
	"      - set_id: 0x321\n"
	"      - and: {data: \"F0 FF FF FF FF FF FF FF\"}\n"
	"      - xor_checksum: {from: 0, to: 6, result: 7}\n"
	"      - crc8: {from: 0, to: 5, result: 6, poly: 0x2F, profile: sffid_xor}\n"
	"      - rate: {interval_ms: 100, keep: latest}\n"
	"  - name: e2e\n"
	"    from: vcan1\n"
	"    to: [vcan0]\n"
	"    frame: extended\n"
	"    ids: [0x10-0x20]\n"
	"    actions:\n"
	"      - e2e: {profile: 2, data_ids: \"000102030405060708090A0B0C0D0E0F\"}\n"
	"      - rate: {rate: 100, burst: 5}\n"
	"  - name: back\n"
	"    from: vcan1\n"
	"    to: [vcan0]\n"
	"    ids: [0x555]\n"
	"    actions: [{add_id: 1}, {drop: true}]\n";

static void test_full(void)
{
	struct gw_emit out[8];

	CU_ASSERT_EQUAL_FATAL(load(full), 0);
	CU_ASSERT_STRING_EQUAL(conf.control, "/tmp/gw.sock");
	CU_ASSERT_EQUAL(conf.pol[0].queue_frames, 256);
	CU_ASSERT_EQUAL(conf.pol[1].queue_frames, 64);
	CU_ASSERT_EQUAL(conf.pol[1].max_age_ms, 50);
	CU_ASSERT_EQUAL(conf.pol[0].rcvbuf, GW_RCVBUF_DEFAULT);
	CU_ASSERT_EQUAL(conf.pol[1].rcvbuf, 16u << 20);
	CU_ASSERT_EQUAL(gw_engine_nroutes(conf.engine), 5);
	CU_ASSERT_EQUAL(route(0, 0x100, 0, out), 1);
	CU_ASSERT_EQUAL(out[0].f.id, 0x321);
	CU_ASSERT_EQUAL(out[0].f.data[0], 0x00); /* AND F0 */
	CU_ASSERT_EQUAL(route(0, 0x7E9, 0, out), 1);
	CU_ASSERT_EQUAL(route(1, 0x15, CF_EFF, out), 1);
	CU_ASSERT_EQUAL(route(1, 0x555, 0, out), 0);
	gw_conf_fini(&conf);
}

#define FW_HEAD                                                                                    \
	"interfaces:\n  - {name: vcan0}\n  - {name: vcan2}\nroutes:\n"                             \
	"  - name: diag\n    from: vcan2\n    to: vcan0\n    firewall:\n"

static void test_errors(void)
{
	static const struct {
		const char *yaml, *msg;
	} t[] = {
		{"interfaces: {name: vcan0}\nroutes: []\n", "t.yaml:1:13: expected a list"},
		{"interfaces:\n  - {name: vcan0, domian: pt}\nroutes: []\n",
		 "t.yaml:2:19: unknown key 'domian'"},
		{"interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		 "  - {name: r, from: vcan0, to: [vcan1], ids: [0x12G]}\n",
		 "t.yaml:5:47: bad CAN id '0x12G' (0 to 0x1FFFFFFF)"},
		{"interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		 "  - {name: r, from: vcan0, to: [vcan1], ids: [0x700-0x800]}\n",
		 "t.yaml:5:47: range '0x700-0x800' spans 11- and 29-bit ids; split it, or set "
		 "frame: extended"},
		{"interfaces:\n  - {name: vcan0}\nroutes:\n"
		 "  - {name: r, from: vcan0, to: [vcan9]}\n",
		 "t.yaml:4:33: unknown interface 'vcan9' (not under interfaces:)"},
		{"interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		 "  - {name: a, from: vcan0, to: [vcan1]}\n"
		 "  - {name: b, from: vcan1, to: [vcan0]}\n",
		 "t.yaml:5:3: routes form a cycle: vcan0 -> vcan1 -> vcan0; set hop_limit if it is "
		 "meant"},
		{"interfaces:\n  - {name: vcan0, fd: true}\n  - {name: vcan1}\nroutes:\n"
		 "  - {name: fd, from: vcan0, to: [vcan1]}\n",
		 "t.yaml:5:5: route 'fd': CAN FD frames can reach classic interface vcan1; set "
		 "fd_to_classic: drop, or type: classic"},
		{"interfaces:\n  - {name: vcan0}\nroutes:\n"
		 "  - {name: s, from: vcan0, to: vcan0}\n",
		 "t.yaml:4:5: route 's': routes back onto its source vcan0; set "
		 "allow_same_interface: true if that is meant"},
		{"interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		 "  - {from: vcan0, to: [vcan1]}\n",
		 "t.yaml:5:5: missing required key 'name'"},
		{"interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		 "  - {name: r, from: vcan0, to: [vcan1], actions: [{rate: {keep: first}}]}\n",
		 "t.yaml:5:58: rate: give interval_ms, or rate and burst"},
		{"interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		 "  - {name: r, from: vcan0, to: [vcan1], actions: [{teleport: 1}]}\n",
		 "t.yaml:5:52: unknown key 'teleport'"},
		{"interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		 "  - {name: r, from: vcan0, to: [vcan1], actions: [{xor_checksum: {from: 0, to: "
		 "9, result: 7}}]}\n",
		 "t.yaml:5:5: route 'r': checksum: "},
		{"interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		 "  - {name: r, from: vcan0, to: [vcan1], length: 9-2}\n",
		 "t.yaml:5:49: length: N or MIN-MAX, 0 to 64 bytes (found '9-2')"},
		{"interfaces:\n  - {name: vcan0}\n  - {name: vcan0}\nroutes: []\n",
		 "t.yaml:3:12: interface 'vcan0' is listed twice"},
		{"interfaces:\n  - {name: vcan0, rcvbuf: 4096}\nroutes: []\n",
		 "t.yaml:2:27: rcvbuf: at least 65536 bytes"},
		{"interfaces:\n  - {name: vcan0, rcvbuf: 2147483648}\nroutes: []\n",
		 "t.yaml:2:27: "},
		{"interfaces: [\n", "t.yaml:2:1: "},
		{"", "t.yaml:1:1: empty file: expected interfaces: and routes:"},
		{"routes: []\n", "t.yaml:1:1: missing required key 'interfaces'"},
		/* issue 18: "any" is every interface to the kernel */
		{"interfaces:\n  - {name: vcan0}\n  - {name: any}\nroutes: []\n",
		 "t.yaml:3:12: 'any' is not an interface: a socket bound to it receives "
		 "from every CAN interface"},
		/* firewall lists that failed silently */
		{FW_HEAD "      allow: [{sid: 0x22, subs: [0x01]}]\n",
		 "t.yaml:9:33: SID 0x22 has no sub-functions: subs: would be ignored"},
		{FW_HEAD "      allow: [0x22, {sid: 0x22}]\n",
		 "t.yaml:9:27: SID 0x22 is listed twice in allow"},
		{FW_HEAD "      allow: [{sid: 0x10, subs: []}]\n",
		 "t.yaml:9:33: an empty subs: list allows no sub-function; leave the SID out"},
		{FW_HEAD "      allow: [0x22]\n      address_byte: []\n",
		 "t.yaml:10:21: address_byte: 1 to 8 address bytes"},
		{FW_HEAD "      allow: [0x22]\n      address_byte: [0xF1, 0x55, 0xF1]\n",
		 "t.yaml:10:34: address byte 0xF1 is listed twice"},
		/* the firewall belongs to the path */
		{FW_HEAD
		 "      allow: [0x22]\n"
		 "  - {name: all, from: vcan2, to: vcan0, masks: [{id: 0x700, mask: 0x700}]}\n",
		 "t.yaml:10:5: route 'all': may send ids that the firewall of 'diag' guards "
		 "from vcan2 to vcan0, without a firewall of its own; give it one, or keep "
		 "its ids apart"},
		{FW_HEAD "      allow: [0x22]\n    actions: [{xor: {data: \"00 0C\"}}]\n",
		 "t.yaml:5:5: route 'diag': a firewalled route may not change data or "
		 "length (modification)"},
		{"interfaces:\n  - {name: vcan0}\n  - {name: vcan2, untrusted: true}\n"
		 "routes:\n  - {name: obd, from: vcan2, to: vcan0, ids: [0x7DF]}\n",
		 "t.yaml:5:5: route 'obd': vcan2 is untrusted: every route from it needs "
		 "a firewall"},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_EQUAL(load(t[i].yaml), -EINVAL);
		CU_ASSERT_PTR_NULL(conf.engine);
		if (strncmp(err, t[i].msg, strlen(t[i].msg)))
			fprintf(stderr, "\n  case %zu: got '%s'\n  wanted '%s'\n", i, err,
				t[i].msg);
		CU_ASSERT_EQUAL(strncmp(err, t[i].msg, strlen(t[i].msg)), 0);
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	}
}

/* The control socket's rights: names kept for canrigd to resolve. */
static void test_control_rights(void)
{
	static const char yaml[] = "options:\n"
				   "  control_group: canrig\n"
				   "  control_users: [alice, bob]\n"
				   "interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\n"
				   "routes:\n  - {name: r, from: vcan0, to: vcan1}\n";
	static const char many[] =
		"options:\n"
		"  control_users: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q]\n"
		"interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\n"
		"routes:\n  - {name: r, from: vcan0, to: vcan1}\n";

	CU_ASSERT_EQUAL_FATAL(load(yaml), 0);
	CU_ASSERT_STRING_EQUAL(conf.control_group, "canrig");
	CU_ASSERT_EQUAL(conf.ncontrol_users, 2);
	CU_ASSERT_STRING_EQUAL(conf.control_users[1], "bob");
	gw_conf_fini(&conf);
	CU_ASSERT_EQUAL_FATAL(load(minimal), 0);
	CU_ASSERT_STRING_EQUAL(conf.control_group, "");
	CU_ASSERT_EQUAL(conf.ncontrol_users, 0);
	gw_conf_fini(&conf);
	CU_ASSERT_EQUAL(load(many), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:2:18: at most 16 control_users");
	CU_ASSERT_EQUAL(load("options: {control_users: [\"a b\"]}\n"), -EINVAL);
	CU_ASSERT_EQUAL(load("options: {control_group: []}\n"), -EINVAL);
}

static unsigned int send_hex(unsigned int src, uint32_t id, const char *hex, struct gw_emit *out)
{
	static uint8_t d[64]; /* the emits may be views of it */
	struct cf_frame f;
	unsigned int i, v;

	memset(&f, 0, sizeof(f));
	for (i = 0; hex[2 * i]; i++) {
		sscanf(hex + 2 * i, "%2x", &v);
		d[i] = (uint8_t)v;
	}
	f.id = id;
	f.len = (uint8_t)i;
	f.data = d;
	return gw_engine_input(conf.engine, src, &f, 0, out, 8);
}

/* Issue 18: an untrusted interface, address byte lists, workshop lists
 * that widen allow, match: first falling through to a firewall. */
static void test_trust(void)
{
	struct gw_emit out[8];

	CU_ASSERT_EQUAL_FATAL(
		gw_conf_load_file(&conf, test_data("gw/fw_trust.yaml"), err, sizeof(err)), 0);
	CU_ASSERT(gw_engine_spec(conf.engine)->ifs[1].untrusted);
	CU_ASSERT(!gw_engine_spec(conf.engine)->ifs[0].untrusted);
	CU_ASSERT_EQUAL(send_hex(1, 0x7E0, "0322F190CCCCCCCC", out), 1);
	CU_ASSERT_EQUAL(send_hex(1, 0x7E0, "021003CCCCCCCCCC", out), 1);
	CU_ASSERT_EQUAL(send_hex(1, 0x7E0, "021002CCCCCCCCCC", out), 0);
	/* not 8 bytes: the next route's firewall, not an open road */
	CU_ASSERT_EQUAL(send_hex(1, 0x7E0, "0322F190", out), 1);
	CU_ASSERT_EQUAL(send_hex(1, 0x7E0, "042E0100", out), 0);
	CU_ASSERT_EQUAL(gw_engine_counters(conf.engine, 1)->dropped[GW_DROP_FIREWALL], 1);
	/* both address bytes; others and normal addressing refused */
	CU_ASSERT_EQUAL(send_hex(1, 0x6F1, "210322F190CCCCCC", out), 1);
	CU_ASSERT_EQUAL(out[0].f.id, 0x6F2);
	CU_ASSERT_EQUAL(send_hex(1, 0x6F1, "F10322F190CCCCCC", out), 1);
	CU_ASSERT_EQUAL(send_hex(1, 0x6F1, "550322F190CCCCCC", out), 0);
	CU_ASSERT_EQUAL(send_hex(1, 0x6F1, "032E0100CCCCCCCC", out), 0);
	CU_ASSERT_EQUAL(send_hex(1, 0x6F1, "21032E0100CCCCCC", out), 0);
	/* workshop mode: allow's 10 01/03 or workshop's 10 02 */
	gw_engine_workshop(conf.engine, 1);
	CU_ASSERT_EQUAL(send_hex(1, 0x7E0, "021002CCCCCCCCCC", out), 1);
	CU_ASSERT_EQUAL(send_hex(1, 0x7E0, "021001CCCCCCCCCC", out), 1);
	CU_ASSERT_EQUAL(send_hex(1, 0x7E0, "021004CCCCCCCCCC", out), 0);
	gw_conf_fini(&conf);
}

/* Fuzzer find: carriage returns inside a scalar broke the message into
 * several lines. */
static void test_regress(void)
{
	CU_ASSERT_EQUAL(gw_conf_load_file(&conf, test_data("regress/gw-conf-cr-in-scalar.yaml"),
					  err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":11:26: expected a number"));
	CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	CU_ASSERT_PTR_NULL(strchr(err, '\r'));
}

/*
 * A file of nr routes, each with nids exact ids and nmasks masks, one
 * per line, in a new buffer: route r's first id is on line
 * 9 + r * (4 + nids + (nmasks ? 1 + nmasks : 0)), column 9.
 */
static char *many_ids(unsigned int nr, unsigned int nids, unsigned int nmasks)
{
	size_t cap = 256 + (size_t)nr * (128 + (nids + nmasks) * 40);
	char *buf = malloc(cap), *q = buf;
	unsigned int r, k;

	if (!buf)
		return NULL;
	q += sprintf(q, "interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n");
	for (r = 0; r < nr; r++) {
		q += sprintf(q, "  - name: r%u\n    from: vcan0\n    to: vcan1\n    ids:\n", r);
		for (k = 0; k < nids; k++)
			q += sprintf(q, "      - 0x%X\n", 0x100000u + k);
		if (nmasks)
			q += sprintf(q, "    masks:\n");
		for (k = 0; k < nmasks; k++)
			q += sprintf(q, "      - {id: 0x%X, mask: 0x1FFFFFFF}\n", 0x200000u + k);
	}
	return buf;
}

/* Id selections are capped per route (4096) and in all (65536), at the
 * first item past the cap; the caps themselves load. */
static void test_id_caps(void)
{
	struct gw_emit out[8];
	char *y;

	/* ids: on lines 9 to 9 + 4095 */
	y = many_ids(1, 4096, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	CU_ASSERT_EQUAL(load(y), 0);
	CU_ASSERT_EQUAL(route(0, 0x100FFF, CF_EFF, out), 1);
	gw_conf_fini(&conf);
	free(y);
	y = many_ids(1, 4097, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	CU_ASSERT_EQUAL(load(y), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:4105:9: route 'r0': more than 4096 id "
				    "selections (ids: and masks: items) in one route");
	free(y);
	/* ids: and masks: together: the second mask (line 9 + 4095 + 1 + 2) */
	y = many_ids(1, 4095, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	CU_ASSERT_EQUAL(load(y), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:4106:9: route 'r0': more than 4096 id "
				    "selections (ids: and masks: items) in one route");
	free(y);
	y = many_ids(1, 4095, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	CU_ASSERT_EQUAL(load(y), 0);
	gw_conf_fini(&conf);
	free(y);
	/* 16 routes of 4096 load; a 17th route's first id is one too many:
	 * route r's ids start on line 9 + r * 4100 */
	y = many_ids(16, 4096, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	CU_ASSERT_EQUAL(load(y), 0);
	CU_ASSERT(route(0, 0x100000, CF_EFF, out) >= 1);
	gw_conf_fini(&conf);
	free(y);
	y = many_ids(17, 4096, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	CU_ASSERT_EQUAL(load(y), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "t.yaml:65609:9: route 'r16': more than 65536 id "
				    "selections (ids: and masks: items) in all routes");
	free(y);
}

/* ---- doip: (issue 21) ---- */

/* the minimal file, as written */
static const char doip_minimal[] =
	"interfaces:\n"
	"  - {name: vcan0, domain: powertrain}\n"
	"  - {name: vcan1, domain: body}\n"
	"routes:\n"
	"  - {name: pt-to-body, from: vcan0, to: [vcan1], ids: [0x100]}\n"
	"doip:\n"
	"  listen: 127.0.0.1            # address or interface name; UDP and TCP 13400 (port: to "
	"change)\n"
	"  logical_address: 0x1000      # the gateway's own DoIP address\n"
	"  vin: WVWZZZ1JZXW000001\n"
	"  testers:                      # who may activate routing, and what each may send\n"
	"    - address: 0x0E80\n"
	"      firewall:\n"
	"        allow: [0x22, 0x19, 0x3E, {sid: 0x10, subs: [0x01, 0x03]}]\n"
	"  ecus:                         # logical address -> CAN bus and ISO-TP ids\n"
	"    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}\n"
	"    - {address: 0x0011, interface: vcan0, tx: 0x7E1, rx: 0x7E9}\n";

static int fw_req(const struct gw_firewall *fw, int ws, const char *hex)
{
	uint8_t b[16];
	size_t n = 0;

	while (hex[0] && hex[1] && n < sizeof(b)) {
		unsigned int x;

		sscanf(hex, "%2x", &x);
		b[n++] = (uint8_t)x;
		hex += 2;
	}
	return gw_firewall_allows(fw, ws, b, n);
}

static void test_doip_minimal(void)
{
	const struct gw_doip_conf *d = &conf.doip;
	const struct gw_firewall *fw;

	CU_ASSERT_EQUAL_FATAL(load(doip_minimal), 0);
	CU_ASSERT_EQUAL(gw_engine_nroutes(conf.engine), 1);
	CU_ASSERT(d->on);
	CU_ASSERT_STRING_EQUAL(d->listen, "127.0.0.1");
	CU_ASSERT(!d->listen_is_if);
	CU_ASSERT_EQUAL(d->port, 13400);
	CU_ASSERT_EQUAL(d->la, 0x1000);
	CU_ASSERT_EQUAL(memcmp(d->vin, "WVWZZZ1JZXW000001", 17), 0);
	CU_ASSERT(!d->has_eid && !d->has_gid && !d->announce);
	CU_ASSERT_EQUAL(d->further_action, 0);
	CU_ASSERT_EQUAL(d->max_testers, 4);
	CU_ASSERT_EQUAL_FATAL(d->ntesters, 1);
	CU_ASSERT_EQUAL(d->testers[0].address, 0x0E80);
	CU_ASSERT_EQUAL_FATAL(d->necus, 2);
	CU_ASSERT_EQUAL(d->ecus[1].address, 0x0011);
	CU_ASSERT_EQUAL(d->ecus[1].ifidx, 0);
	CU_ASSERT_EQUAL(d->ecus[1].tp.tx_id, 0x7E1);
	CU_ASSERT_EQUAL(d->ecus[1].tp.rx_id, 0x7E9);
	CU_ASSERT(!d->ecus[1].tp.tx_eff && !d->ecus[1].tp.rx_eff);
	CU_ASSERT_EQUAL(d->ecus[1].tp.tx_ae, -1);
	CU_ASSERT_EQUAL(d->ecus[1].tp.tx_dl, 8);
	CU_ASSERT_EQUAL(d->ecus[1].max_len, GW_DOIP_MAX_LEN_DEF);
	CU_ASSERT_EQUAL(d->ecus[1].max_request, 0xFFFFFFFFu);
	/* the tester's firewall, compiled as a route's */
	fw = &d->testers[0].fw;
	CU_ASSERT(fw_req(fw, 0, "22F190"));
	CU_ASSERT(fw_req(fw, 0, "190209"));
	CU_ASSERT(fw_req(fw, 0, "3E80"));
	CU_ASSERT(fw_req(fw, 0, "1003"));
	CU_ASSERT(fw_req(fw, 0, "1081")); /* 01 with suppress-positive-response */
	CU_ASSERT(!fw_req(fw, 0, "1002"));
	CU_ASSERT(!fw_req(fw, 0, "2EF19000"));
	CU_ASSERT(!fw_req(fw, 1, "2EF19000"));
	CU_ASSERT(!fw_req(fw, 0, ""));
	gw_conf_fini(&conf);
	/* a file without doip: has none */
	CU_ASSERT_EQUAL_FATAL(load(minimal), 0);
	CU_ASSERT(!conf.doip.on);
	gw_conf_fini(&conf);
}

#define DOIP_HEAD "interfaces:\n  - {name: vcan0}\n  - {name: vcan1, fd: true}\nroutes: []\ndoip:\n"

static void test_doip_full(void)
{
	static const char yaml[] = DOIP_HEAD
		"  listen: eth0\n"
		"  port: 13401\n"
		"  logical_address: 0x2000\n"
		"  eid: \"02 00 00 00 10 00\"\n"
		"  gid: 0x0A0B0C0D0E0F\n"
		"  further_action: 0x10\n"
		"  announce: true\n"
		"  max_testers: 2\n"
		"  testers:\n"
		"    - address: 0x0E80\n"
		"      firewall: {allow: [0x22], workshop: [0x2E, {sid: 0x31, subs: [1]}]}\n"
		"    - address: 0x0E00\n"
		"      firewall: {allow: [0x22, 0x2E]}\n"
		"  ecus:\n"
		"    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8, padding: false,\n"
		"       pad_byte: 0xAA, bs: 8, stmin: 0xF5, max_len: 65536, max_request: 1048576}\n"
		"    - {address: 0x1010, interface: vcan1, tx: 0x18DA10F1, rx: 0x18DAF110, tx_dl: "
		"64,\n"
		"       brs: true}\n"
		"    - {address: 0x0011, interface: vcan0, tx: 0x6F1, rx: 0x6F2, tx_ae: 0x11,\n"
		"       rx_ae: 0xF1}\n"
		"  functional:\n"
		"    - {address: 0xE400, interface: vcan0}\n"
		"    - {address: 0xE401, interface: vcan1, tx_dl: 64, brs: true}\n"
		"    - {address: 0xE000, interface: vcan0, tx: 0x7DE, padding: false}\n";
	const struct gw_doip_conf *d = &conf.doip;

	CU_ASSERT_EQUAL_FATAL(load(yaml), 0);
	CU_ASSERT_STRING_EQUAL(d->listen, "eth0");
	CU_ASSERT(d->listen_is_if);
	CU_ASSERT_EQUAL(d->port, 13401);
	CU_ASSERT_EQUAL(d->la, 0x2000);
	CU_ASSERT_EQUAL(memcmp(d->vin, "00000000000000000", 17), 0);
	CU_ASSERT(d->has_eid && d->has_gid && d->announce);
	CU_ASSERT_EQUAL(d->eid[4], 0x10);
	CU_ASSERT_EQUAL(d->gid[5], 0x0F);
	CU_ASSERT_EQUAL(d->further_action, 0x10);
	CU_ASSERT_EQUAL(d->max_testers, 2);
	CU_ASSERT_EQUAL_FATAL(d->ntesters, 2);
	CU_ASSERT(!fw_req(&d->testers[0].fw, 0, "2EF19000"));
	CU_ASSERT(fw_req(&d->testers[0].fw, 1, "2EF19000"));
	CU_ASSERT(fw_req(&d->testers[0].fw, 1, "3101FF00"));
	CU_ASSERT(!fw_req(&d->testers[0].fw, 1, "3102FF00"));
	CU_ASSERT(fw_req(&d->testers[1].fw, 0, "2EF19000"));
	CU_ASSERT_EQUAL_FATAL(d->necus, 3);
	CU_ASSERT(!d->ecus[0].tp.pad);
	CU_ASSERT_EQUAL(d->ecus[0].tp.pad_byte, 0xAA);
	CU_ASSERT_EQUAL(d->ecus[0].tp.bs, 8);
	CU_ASSERT_EQUAL(d->ecus[0].tp.stmin, 0xF5);
	CU_ASSERT_EQUAL(d->ecus[0].max_len, 65536);
	CU_ASSERT_EQUAL(d->ecus[0].max_request, 1048576);
	CU_ASSERT_EQUAL(d->ecus[1].ifidx, 1);
	CU_ASSERT(d->ecus[1].tp.tx_eff && d->ecus[1].tp.rx_eff);
	CU_ASSERT_EQUAL(d->ecus[1].tp.tx_dl, 64);
	CU_ASSERT(d->ecus[1].tp.brs);
	CU_ASSERT_EQUAL(d->ecus[2].tp.tx_ae, 0x11);
	CU_ASSERT_EQUAL(d->ecus[2].tp.rx_ae, 0xF1);
	/* functional: the bus's OBD id unless given (29-bit when its ECUs are) */
	CU_ASSERT_EQUAL_FATAL(d->nfuncs, 3);
	CU_ASSERT_EQUAL(d->funcs[0].address, 0xE400);
	CU_ASSERT_EQUAL(d->funcs[0].ifidx, 0);
	CU_ASSERT_EQUAL(d->funcs[0].tp.tx_id, 0x7DF);
	CU_ASSERT(!d->funcs[0].tp.tx_eff && d->funcs[0].tp.functional && d->funcs[0].tp.pad);
	CU_ASSERT_EQUAL(d->funcs[0].tp.rx_id, 0x7DF);
	CU_ASSERT_EQUAL(d->funcs[1].ifidx, 1);
	CU_ASSERT_EQUAL(d->funcs[1].tp.tx_id, 0x18DB33F1);
	CU_ASSERT(d->funcs[1].tp.tx_eff && d->funcs[1].tp.rx_eff && d->funcs[1].tp.brs);
	CU_ASSERT_EQUAL(d->funcs[1].tp.tx_dl, 64);
	CU_ASSERT_EQUAL(d->funcs[2].address, 0xE000);
	CU_ASSERT_EQUAL(d->funcs[2].tp.tx_id, 0x7DE);
	CU_ASSERT(!d->funcs[2].tp.pad);
	gw_conf_fini(&conf);
}

#define DOIP_T0 DOIP_HEAD "  listen: 127.0.0.1\n  logical_address: 0x1000\n"
#define DOIP_T	DOIP_T0 "  testers: [{address: 0x0E80, firewall: {allow: [0x22]}}]\n"
#define DOIP_E	DOIP_T "  ecus:\n    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8"

static void test_doip_errors(void)
{
	static const struct {
		const char *yaml, *msg;
	} t[] = {
		{DOIP_HEAD "  logical_address: 0x1000\n",
		 "t.yaml:6:3: missing required key 'listen'"},
		{DOIP_HEAD "  listen: 127.0.0.1\n  lsiten: 1\n",
		 "t.yaml:7:3: unknown key 'lsiten'"},
		{DOIP_HEAD "  listen: 127.0.0.256\n",
		 "t.yaml:6:11: listen: '127.0.0.256' is neither an IPv4 address nor an interface "
		 "name"},
		{DOIP_HEAD "  listen: \"::1\"\n",
		 "t.yaml:6:11: listen: '::1': IPv6 is not supported; give an IPv4 address or an "
		 "interface"},
		{DOIP_HEAD "  listen: lo\n  port: 0\n", "t.yaml:7:9: port must be 1..65535"},
		{DOIP_HEAD "  listen: lo\n  logical_address: 0x0E80\n",
		 "t.yaml:7:20: 0x0E80 is not a node's logical address (0x0001..0x0DFF, "
		 "0x1000..0x7FFF)"},
		{DOIP_HEAD "  listen: lo\n  logical_address: 0xE400\n",
		 "t.yaml:7:20: 0xE400 is not a node's logical address"},
		{DOIP_HEAD "  listen: lo\n  logical_address: 0x1000\n  vin: WVWZZZ1JZXW00000\n",
		 "t.yaml:8:8: a VIN has 17 characters, not 16"},
		{DOIP_HEAD "  listen: lo\n  logical_address: 0x1000\n  vin: WVWZZZ1JZXW-00001\n",
		 "t.yaml:8:8: VIN 'WVWZZZ1JZXW-00001': letters and digits only"},
		{DOIP_HEAD "  listen: lo\n  logical_address: 0x1000\n  eid: \"02 00 00\"\n",
		 "t.yaml:8:8: eid has 6 bytes (a MAC address), not 3"},
		{DOIP_HEAD "  listen: lo\n  logical_address: 0x1000\n  further_action: 1\n",
		 "t.yaml:8:19: further_action: 0x00 (none), 0x10 (central security)"},
		{DOIP_HEAD "  listen: lo\n  logical_address: 0x1000\n  announce: 3\n",
		 "t.yaml:8:13: expected true or false, found '3'"},
		{DOIP_HEAD "  listen: lo\n  logical_address: 0x1000\n  max_testers: 17\n",
		 "t.yaml:8:16: max_testers must be 1..16"},
		{DOIP_T0 "  ecus: []\n", "t.yaml:6:3: missing required key 'testers'"},
		{DOIP_T0 "  testers: []\n  ecus: []\n", "t.yaml:8:12: 1 to 32 testers"},
		{DOIP_T0 "  testers: [{address: 0x0E80}]\n",
		 "t.yaml:8:13: missing required key 'firewall'"},
		{DOIP_T0 "  testers: [{address: 0x1000, firewall: {allow: [0x22]}}]\n",
		 "t.yaml:8:23: 0x1000 is not a tester's logical address (0x0E00..0x0FFF)"},
		{DOIP_T0 "  testers:\n    - {address: 0x0E80, firewall: {allow: [0x22]}}\n"
			 "    - {address: 0x0E80, firewall: {allow: [0x22]}}\n",
		 "t.yaml:10:17: tester 0x0E80 is listed twice"},
		{DOIP_T0 "  testers: [{address: 0x0E80, firewall: {allow: [0x22, 0x22]}}]\n",
		 "t.yaml:8:56: SID 0x22 is listed twice in allow"},
		{DOIP_T0 "  testers: [{address: 0x0E80, firewall: {allow: [{sid: 0x22, subs: "
			 "[1]}]}}]\n",
		 "t.yaml:8:68: SID 0x22 has no sub-functions: subs: would be ignored"},
		{DOIP_T0 "  testers: [{address: 0x0E80, firewall: {alow: [0x22]}}]\n",
		 "t.yaml:8:42: unknown key 'alow'"},
		{DOIP_T0 "  testers: [{address: 0x0E80, firewall: {workshop: [0x22]}}]\n",
		 "t.yaml:8:41: missing required key 'allow'"},
		{DOIP_T0 "  testers: [{address: 0x0E80, firewall: {allow: [0x22], address_byte: "
			 "1}}]\n",
		 "t.yaml:8:71: address_byte: a tester's firewall judges whole requests; set an "
		 "ECU's address bytes with tx_ae and rx_ae"},
		{DOIP_T, "t.yaml:6:3: missing required key 'ecus'"},
		{DOIP_T "  ecus: []\n", "t.yaml:9:9: 1 to 64 ECUs"},
		{DOIP_E "}\n    - {address: 0x0010, interface: vcan0, tx: 0x7E1, rx: 0x7E9}\n",
		 "t.yaml:11:17: ECU 0x0010 is listed twice"},
		{DOIP_E "}\n    - {address: 0x0011, interface: vcan0, tx: 0x7E1, rx: 0x7E8}\n",
		 "t.yaml:11:58: ECUs 0x0010 and 0x0011 answer on the same id 0x7E8 on vcan0"},
		{DOIP_E "}\n    - {address: 0x0011, interface: vcan0, tx: 0x7E0, rx: 0x7E9}\n",
		 "t.yaml:11:47: ECUs 0x0010 and 0x0011 take requests on the same id 0x7E0 on "
		 "vcan0"},
		{DOIP_E ", address: 0x0011}\n", "t.yaml:10:65: duplicate key 'address'"},
		{DOIP_E ", interface: vcan9}\n", "t.yaml:10:"},
		{DOIP_E "}\n    - {address: 0x1000, interface: vcan1, tx: 0x7E0, rx: 0x7E8}\n",
		 "t.yaml:11:17: ECU 0x1000 has the gateway's own logical address"},
		{DOIP_E ", tx_dl: 64}\n",
		 "t.yaml:10:72: ECU 0x0010: tx_dl 64 needs CAN FD (fd: true on vcan0)"},
		{DOIP_E ", tx_dl: 13}\n",
		 "t.yaml:10:72: tx_dl: 8 (classic), or 12, 16, 20, 24, 32, 48, 64 (CAN FD)"},
		{DOIP_E ", brs: true}\n",
		 "t.yaml:10:70: ECU 0x0010: brs needs CAN FD (tx_dl 12..64)"},
		{DOIP_E ", stmin: 0x80}\n",
		 "t.yaml:10:72: stmin: 0x00..0x7F (ms) or 0xF1..0xF9 (100..900 us)"},
		{DOIP_E ", tx_ae: 0x10}\n",
		 "t.yaml:10:7: ECU 0x0010: tx_ae and rx_ae go together (extended or mixed "
		 "addressing)"},
		{DOIP_E ", max_len: 4}\n", "t.yaml:10:74: max_len must be 8..16777216"},
		{DOIP_E ", max_len: 5000, max_request: 4999}\n",
		 "t.yaml:10:93: ECU 0x0010: max_request 4999 is below max_len 5000"},
		{DOIP_E ", max_request: 0x100000000}\n",
		 "t.yaml:10:78: number '0x100000000' out of range (0..4294967295)"},
		{DOIP_T
		 "  ecus:\n    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E0}\n",
		 "t.yaml:10:7: ECU 0x0010 sends and receives on the same id 0x7E0"},
		{DOIP_T "  ecus:\n    - {address: 0x0010, interface: vcan0, rx: 0x7E8}\n",
		 "t.yaml:10:7: missing required key 'tx'"},
		{DOIP_E "}\n  functional: [{address: 0x0E80, interface: vcan0}]\n",
		 "t.yaml:11:26: 0x0E80 is not a functional logical address (0xE000..0xEFFF)"},
		{DOIP_E "}\n  functional: [{address: 0xE400, interface: vcan9}]\n",
		 "t.yaml:11:45: unknown interface 'vcan9'"},
		{DOIP_E "}\n  functional: [{address: 0xE400, interface: vcan1}]\n",
		 "t.yaml:11:45: functional 0xE400: no ECU in ecus: is on vcan1 to answer it"},
		{DOIP_E "}\n  functional: [{address: 0xE400, interface: vcan0, tx: 0x7E8}]\n",
		 "t.yaml:11:56: functional 0xE400: id 0x7E8 on vcan0 is ECU 0x0010's own"},
		{DOIP_E "}\n  functional: [{address: 0xE400, interface: vcan0, tx: 0x7E0}]\n",
		 "t.yaml:11:56: functional 0xE400: id 0x7E0 on vcan0 is ECU 0x0010's own"},
		{DOIP_E "}\n  functional:\n    - {address: 0xE400, interface: vcan0}\n"
			"    - {address: 0xE400, interface: vcan0, tx: 0x7DE}\n",
		 "t.yaml:13:17: functional 0xE400 is listed twice"},
		{DOIP_E "}\n  functional: [{address: 0xE400, interface: vcan0, tx_dl: 64}]\n",
		 "t.yaml:11:59: functional 0xE400: tx_dl 64 needs CAN FD (fd: true on vcan0)"},
		{DOIP_E "}\n  functional: [{address: 0xE400, interface: vcan0, brs: true}]\n",
		 "t.yaml:11:57: functional 0xE400: brs needs CAN FD (tx_dl 12..64)"},
		{DOIP_E "}\n  functional: [{address: 0xE400, interface: vcan0, rx: 0x7E8}]\n",
		 "t.yaml:11:52: unknown key 'rx'"},
		{DOIP_E "}\n  functional: [{interface: vcan0}]\n",
		 "t.yaml:11:16: missing required key 'address'"},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_EQUAL(load(t[i].yaml), -EINVAL);
		CU_ASSERT_PTR_NULL(conf.engine);
		CU_ASSERT(!conf.doip.on);
		if (strncmp(err, t[i].msg, strlen(t[i].msg)))
			fprintf(stderr, "\n  doip case %zu: got '%s'\n  wanted '%s'\n", i, err,
				t[i].msg);
		CU_ASSERT_EQUAL(strncmp(err, t[i].msg, strlen(t[i].msg)), 0);
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	}
}

/* ---- doip: what a reload changes (gw_doip_diff) ---- */

#define DIFF_IFS	 "interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes: []\n"
#define DIFF_IFS_SWAPPED "interfaces:\n  - {name: vcan1}\n  - {name: vcan0}\nroutes: []\n"
#define DIFF_DOIP(port, vin, allow, ecus, funcs)                                                   \
	"doip:\n  listen: 127.0.0.1\n  port: " port "\n  logical_address: 0x1000\n  vin: " vin     \
	"\n  testers:\n    - {address: 0x0E80, firewall: {allow: [" allow                          \
	"]}}\n  ecus:\n" ecus funcs
#define ECU10  "    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}\n"
#define ECU11  "    - {address: 0x0011, interface: vcan1, tx: 0x7E1, rx: 0x7E9}\n"
#define ECU11X "    - {address: 0x0011, interface: vcan1, tx: 0x7E1, rx: 0x7E9, bs: 8}\n"
#define ECU12  "    - {address: 0x0012, interface: vcan1, tx: 0x7E2, rx: 0x7EA}\n"
#define FUNC0  "  functional:\n    - {address: 0xE400, interface: vcan0}\n"
#define FUNC1  "  functional:\n    - {address: 0xE400, interface: vcan1}\n"
#define VIN1   "WVWZZZ1JZXW000001"

static struct gw_conf conf_b;

static void diff_of(const char *a, const char *b, struct gw_doip_diff *df)
{
	CU_ASSERT_EQUAL_FATAL(load(a), 0);
	if (gw_conf_load_mem(&conf_b, "b.yaml", b, strlen(b), err, sizeof(err)))
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_EQUAL_FATAL(conf_b.nifs, 2);
	gw_doip_diff(&conf, &conf_b, df);
	gw_conf_fini(&conf);
	gw_conf_fini(&conf_b);
}

static void test_doip_diff(void)
{
	static const char base[] = DIFF_IFS DIFF_DOIP("13400", VIN1, "0x22", ECU10 ECU11, FUNC1);
	struct gw_doip_diff df;

	diff_of(base, base, &df);
	CU_ASSERT(df.same);
	CU_ASSERT(df.from[0] == 0 && df.from[1] == 1 && df.kept[0] && df.kept[1]);
	/* the interfaces renumbered, ECUs and functional address on the same
	 * names: nothing to reopen */
	diff_of(base, DIFF_IFS_SWAPPED DIFF_DOIP("13400", VIN1, "0x22", ECU10 ECU11, FUNC1), &df);
	CU_ASSERT(df.same);
	CU_ASSERT(df.kept[0] && df.kept[1]);
	/* an ECU added (and the list reordered), one changed, one removed */
	diff_of(base, DIFF_IFS DIFF_DOIP("13400", VIN1, "0x22", ECU12 ECU11X, FUNC1), &df);
	CU_ASSERT(!df.same);
	CU_ASSERT(!df.sockets && !df.entity && !df.testers && !df.funcs);
	CU_ASSERT_EQUAL(df.added, 1);
	CU_ASSERT_EQUAL(df.changed, 1);
	CU_ASSERT_EQUAL(df.removed, 1);
	CU_ASSERT_EQUAL(df.from[0], -1);
	CU_ASSERT_EQUAL(df.from[1], 1);
	CU_ASSERT(!df.kept[1]);
	CU_ASSERT_EQUAL(df.to[0], -1);
	CU_ASSERT_EQUAL(df.to[1], 1);
	/* an ECU moved to the other bus is changed, not kept */
	diff_of(base,
		DIFF_IFS DIFF_DOIP(
			"13400", VIN1, "0x22",
			"    - {address: 0x0010, interface: vcan1, tx: 0x7E0, rx: 0x7E8}\n" ECU11,
			FUNC1),
		&df);
	CU_ASSERT(!df.kept[0] && df.kept[1] && df.changed == 1 && !df.added && !df.removed);
	/* each part on its own */
	diff_of(base, DIFF_IFS DIFF_DOIP("13401", VIN1, "0x22", ECU10 ECU11, FUNC1), &df);
	CU_ASSERT(df.sockets && !df.entity && !df.testers && !df.funcs && !df.same);
	diff_of(base, DIFF_IFS DIFF_DOIP("13400", "WVWZZZ1JZXW000002", "0x22", ECU10 ECU11, FUNC1),
		&df);
	CU_ASSERT(!df.sockets && df.entity && !df.testers && !df.funcs && !df.same);
	diff_of(base, DIFF_IFS DIFF_DOIP("13400", VIN1, "0x22, 0x2E", ECU10 ECU11, FUNC1), &df);
	CU_ASSERT(!df.sockets && !df.entity && df.testers && !df.funcs && !df.same);
	diff_of(base, DIFF_IFS DIFF_DOIP("13400", VIN1, "0x22", ECU10 ECU11, FUNC0), &df);
	CU_ASSERT(!df.sockets && !df.entity && !df.testers && df.funcs && !df.same);
	diff_of(base, DIFF_IFS DIFF_DOIP("13400", VIN1, "0x22", ECU10 ECU11, ""), &df);
	CU_ASSERT(df.funcs && !df.same);
	/* the section added or removed; absent on both sides */
	diff_of(base, DIFF_IFS, &df);
	CU_ASSERT(!df.same);
	diff_of(DIFF_IFS, base, &df);
	CU_ASSERT(!df.same);
	diff_of(DIFF_IFS, DIFF_IFS, &df);
	CU_ASSERT(df.same);
}

/* ---- doip: functional: over several buses, power_mode: ---- */

static void test_doip_func_buses(void)
{
	static const char yaml[] = DOIP_HEAD
		"  listen: lo\n"
		"  logical_address: 0x1000\n"
		"  testers: [{address: 0x0E80, firewall: {allow: [0x22]}}]\n"
		"  ecus:\n"
		"    - {address: 0x0010, interface: vcan0, tx: 0x7E0, rx: 0x7E8}\n"
		"    - {address: 0x1010, interface: vcan1, tx: 0x18DA10F1, rx: 0x18DAF110}\n"
		"  functional:\n"
		"    - {address: 0xE400, interfaces: [vcan0, vcan1], padding: false}\n"
		"    - {address: 0xE401, interface: vcan1}\n"
		"    - {address: 0xE402, interfaces: [vcan1]}\n";
	const struct gw_doip_conf *d = &conf.doip;

	CU_ASSERT_EQUAL_FATAL(load(yaml), 0);
	CU_ASSERT_EQUAL_FATAL(d->nfuncs, 4);
	/* one entry per bus, each bus its own functional id, the keys on each */
	CU_ASSERT_EQUAL(d->funcs[0].address, 0xE400);
	CU_ASSERT_EQUAL(d->funcs[0].nbus, 2);
	CU_ASSERT_EQUAL(d->funcs[0].ifidx, 0);
	CU_ASSERT_EQUAL(d->funcs[0].tp.tx_id, 0x7DF);
	CU_ASSERT(!d->funcs[0].tp.tx_eff && !d->funcs[0].tp.pad && d->funcs[0].tp.functional);
	CU_ASSERT_EQUAL(d->funcs[1].address, 0xE400);
	CU_ASSERT_EQUAL(d->funcs[1].nbus, 0);
	CU_ASSERT_EQUAL(d->funcs[1].ifidx, 1);
	CU_ASSERT_EQUAL(d->funcs[1].tp.tx_id, 0x18DB33F1);
	CU_ASSERT(d->funcs[1].tp.tx_eff && !d->funcs[1].tp.pad && d->funcs[1].tp.functional);
	CU_ASSERT_EQUAL(d->funcs[2].address, 0xE401);
	CU_ASSERT_EQUAL(d->funcs[2].nbus, 1);
	CU_ASSERT_EQUAL(d->funcs[3].address, 0xE402);
	CU_ASSERT_EQUAL(d->funcs[3].nbus, 1);
	CU_ASSERT_EQUAL(d->funcs[3].ifidx, 1);
	gw_conf_fini(&conf);
}

#define DOIP_F                                                                                     \
	DOIP_E "}\n    - {address: 0x1010, interface: vcan1, tx: 0x7E0, rx: 0x7E8}\n  "            \
	       "functional:\n"

static void test_doip_func_errors(void)
{
	static char sixteen[2048];
	static const struct {
		const char *yaml, *msg;
	} t[] = {
		{DOIP_F "    - {address: 0xE400, interfaces: [vcan0, vcan9]}\n",
		 "t.yaml:13:45: unknown interface 'vcan9'"},
		{DOIP_F "    - {address: 0xE400, interfaces: [vcan0, vcan0]}\n",
		 "t.yaml:13:45: interfaces: vcan0 is listed twice"},
		{DOIP_F "    - {address: 0xE400, interfaces: []}\n",
		 "t.yaml:13:37: interfaces: one bus at least"},
		{DOIP_F "    - {address: 0xE400, interfaces: vcan0}\n",
		 "t.yaml:13:37: expected a list, found a scalar"},
		{DOIP_F "    - {address: 0xE400, interface: vcan0, interfaces: [vcan1]}\n",
		 "t.yaml:13:7: interface: or interfaces:, not both"},
		{DOIP_F "    - {address: 0xE400}\n",
		 "t.yaml:13:7: missing required key 'interface' (or 'interfaces')"},
		{DOIP_F "    - {address: 0xE400, interfaces: [vcan0]}\n"
			"    - {address: 0xE400, interfaces: [vcan1]}\n",
		 "t.yaml:14:17: functional 0xE400 is listed twice"},
		{DOIP_F "    - {address: 0xE400, interfaces: [vcan0, vcan1], tx: 0x7E0}\n",
		 "t.yaml:13:57: functional 0xE400: id 0x7E0 on vcan0 is ECU 0x0010's own"},
		/* vcan1 is FD, vcan0 is not: the option is checked on each bus */
		{DOIP_F "    - {address: 0xE400, interfaces: [vcan1, vcan0], tx_dl: 64}\n",
		 "t.yaml:13:60: functional 0xE400: tx_dl 64 needs CAN FD (fd: true on vcan0)"},
		{DOIP_E "}\n  functional:\n    - {address: 0xE400, interfaces: [vcan0, vcan1]}\n",
		 "t.yaml:12:45: functional 0xE400: no ECU in ecus: is on vcan1 to answer it"},
		{sixteen,
		 "t.yaml:28:37: interfaces: at most 16 functional entries, one per bus, in "
		 "all"},
	};
	size_t i;
	int k;

	/* 15 entries on one bus, then two more buses: 17 in all */
	snprintf(sixteen, sizeof(sixteen), "%s", DOIP_F);
	for (k = 0; k < 15; k++)
		snprintf(sixteen + strlen(sixteen), sizeof(sixteen) - strlen(sixteen),
			 "    - {address: 0x%04X, interface: vcan0}\n", 0xE400 + k);
	snprintf(sixteen + strlen(sixteen), sizeof(sixteen) - strlen(sixteen),
		 "    - {address: 0xE40F, interfaces: [vcan0, vcan1]}\n");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_EQUAL(load(t[i].yaml), -EINVAL);
		CU_ASSERT(!conf.doip.on);
		if (strncmp(err, t[i].msg, strlen(t[i].msg)))
			fprintf(stderr, "\n  func case %zu: got '%s'\n  wanted '%s'\n", i, err,
				t[i].msg);
		CU_ASSERT_EQUAL(strncmp(err, t[i].msg, strlen(t[i].msg)), 0);
	}
}

/* the signal's DBC: a 3-bit mode with labels, a signed one, a float,
 * one name in two messages, a 29-bit message */
static const char pm_dbc[] =
	"VERSION \"\"\n\nNS_ :\n\nBS_:\n\nBU_: VCU BCM\n\n"
	"BO_ 801 VehicleState: 8 VCU\n"
	" SG_ VehiclePowerMode : 0|3@1+ (1,0) [0|7] \"\" BCM\n"
	" SG_ Trim : 8|4@1- (1,0) [-8|7] \"\" BCM\n"
	" SG_ Level : 32|32@1+ (1,0) [0|0] \"\" BCM\n"
	" SG_ Counter : 16|8@1+ (1,0) [0|255] \"\" BCM\n\n"
	"BO_ 2566848768 BodyState: 8 BCM\n"
	" SG_ Counter : 0|8@1+ (1,0) [0|255] \"\" VCU\n"
	" SG_ Mode : 8|2@1+ (1,0) [0|3] \"\" VCU\n\n"
	"VAL_ 801 VehiclePowerMode 0 \"Off\" 1 \"Acc\" 2 \"Run\" 3 \"Crank\" ;\n"
	"SIG_VALTYPE_ 801 Level : 1;\n";

static char pm_dir[] = "/tmp/canrig-pm.XXXXXX";
static char pm_yaml[128];

static void pm_write(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", pm_dir, name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static const char *pm_yaml_dir_file(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", pm_dir, name);
	return path;
}

/* the YAML named as if in pm_dir: dbc: names are relative to it */
static int pm_load(const char *yaml)
{
	return gw_conf_load_mem(&conf, pm_yaml, yaml, strlen(yaml), err, sizeof(err));
}

#define DOIP_P DOIP_E "}\n  power_mode:\n"

static void pm_setup(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(pm_dir));
	snprintf(pm_yaml, sizeof(pm_yaml), "%s/t.yaml", pm_dir);
	pm_write("body.dbc", pm_dbc);
	CU_ASSERT_EQUAL(mkfifo(pm_yaml_dir_file("fifo"), 0600), 0);
	pm_write("bad.dbc", "VERSION \"\"\n\nBO_ 801 X: 8 VCU\n SG_ A : 0|3@1+ (1,0 [0|7] \"\"\n");
}

static void pm_teardown(void)
{
	char path[256];
	const char *const f[] = {"body.dbc", "bad.dbc", "fifo"};
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", pm_dir, f[i]);
		unlink(path);
	}
	rmdir(pm_dir);
}

static void test_doip_power(void)
{
	static const char yaml[] = DOIP_P "    dbc: body.dbc\n"
					  "    interface: vcan1\n"
					  "    signal: VehiclePowerMode\n"
					  "    ready: [2, Crank]\n"
					  "    timeout_ms: 500\n";
	static const char yaml2[] = DOIP_P "    {dbc: body.dbc, interface: vcan0, "
					   "signal: BodyState.Mode, ready: 1}\n";
	static const char yaml3[] = DOIP_P "    {dbc: body.dbc, interface: vcan0, "
					   "signal: Trim, ready: [-8, 7, 0x3]}\n";
	const struct gw_doip_power *pm = &conf.doip.power;
	char path[256];

	pm_setup();
	CU_ASSERT_EQUAL_FATAL(pm_load(yaml), 0);
	CU_ASSERT(pm->on);
	snprintf(path, sizeof(path), "%s/body.dbc", pm_dir);
	CU_ASSERT_STRING_EQUAL(pm->dbc, path);
	CU_ASSERT_EQUAL(pm->ifidx, 1);
	CU_ASSERT_STRING_EQUAL(pm->msg, "VehicleState");
	CU_ASSERT_STRING_EQUAL(pm->sig, "VehiclePowerMode");
	CU_ASSERT_EQUAL(pm->id, 801);
	CU_ASSERT(!pm->ext);
	CU_ASSERT_EQUAL_FATAL(pm->nready, 2);
	CU_ASSERT_EQUAL(pm->ready[0], 2);
	CU_ASSERT_EQUAL(pm->ready[1], 3); /* the label's raw value */
	CU_ASSERT_EQUAL(pm->timeout_ms, 500);
	/* the DBC, loaded and kept for canrigd */
	CU_ASSERT_PTR_NOT_NULL_FATAL(conf.power_dbc);
	CU_ASSERT_PTR_NOT_NULL(dbc_find_msg(conf.power_dbc, "VehicleState"));
	gw_conf_fini(&conf);
	CU_ASSERT_PTR_NULL(conf.power_dbc);
	/* Message.Signal, a 29-bit message, one value, the default timeout */
	CU_ASSERT_EQUAL_FATAL(pm_load(yaml2), 0);
	CU_ASSERT_STRING_EQUAL(pm->msg, "BodyState");
	CU_ASSERT_EQUAL(pm->id, 0x18FF0100);
	CU_ASSERT(pm->ext);
	CU_ASSERT_EQUAL(pm->ifidx, 0);
	CU_ASSERT_EQUAL_FATAL(pm->nready, 1);
	CU_ASSERT_EQUAL(pm->ready[0], 1);
	CU_ASSERT_EQUAL(pm->timeout_ms, 1000);
	gw_conf_fini(&conf);
	/* a signed signal: its whole range, negative values too */
	CU_ASSERT_EQUAL_FATAL(pm_load(yaml3), 0);
	CU_ASSERT_EQUAL_FATAL(pm->nready, 3);
	CU_ASSERT_EQUAL(pm->ready[0], -8);
	CU_ASSERT_EQUAL(pm->ready[1], 7);
	CU_ASSERT_EQUAL(pm->ready[2], 3);
	gw_conf_fini(&conf);
	/* none without power_mode: */
	CU_ASSERT_EQUAL_FATAL(load(DOIP_E "}\n"), 0);
	CU_ASSERT(!pm->on);
	CU_ASSERT_PTR_NULL(conf.power_dbc);
	gw_conf_fini(&conf);
}

#define PM_OK "{dbc: body.dbc, interface: vcan1, "

static void test_doip_power_errors(void)
{
	static const struct {
		const char *yaml, *msg;
	} t[] = {
		{DOIP_P "    {interface: vcan1, signal: VehiclePowerMode, ready: 2}\n",
		 "t.yaml:12:5: missing required key 'dbc'"},
		{DOIP_P
		 "    {dbc: none.dbc, interface: vcan1, signal: VehiclePowerMode, ready: 2}\n",
		 "t.yaml:12:11: dbc: %s/none.dbc: No such file or directory"},
		{DOIP_P "    {dbc: bad.dbc, interface: vcan1, signal: A, ready: 2}\n",
		 "t.yaml:12:11: dbc: %s/bad.dbc:4:"},
		{DOIP_P "    {dbc: ., interface: vcan1, signal: A, ready: 2}\n",
		 "t.yaml:12:11: dbc: %s/.: Is a directory"},
		{DOIP_P "    {dbc: fifo, interface: vcan1, signal: A, ready: 2}\n",
		 "t.yaml:12:11: dbc: %s/fifo: Invalid argument"},
		{DOIP_P "    " PM_OK "signal: VehiclePowerMode}\n",
		 "t.yaml:12:5: missing required key 'ready'"},
		{DOIP_P "    {dbc: body.dbc, signal: VehiclePowerMode, ready: 2}\n",
		 "t.yaml:12:5: missing required key 'interface'"},
		{DOIP_P
		 "    {dbc: body.dbc, interface: vcan7, signal: VehiclePowerMode, ready: 2}\n",
		 "t.yaml:12:32: unknown interface 'vcan7'"},
		{DOIP_P "    " PM_OK "signal: PowerMode, ready: 2}\n",
		 "t.yaml:12:47: signal: no signal 'PowerMode' in %s/body.dbc"},
		{DOIP_P "    " PM_OK "signal: Counter, ready: 2}\n",
		 "t.yaml:12:47: signal: 'Counter' is in messages VehicleState and BodyState of "
		 "%s/body.dbc: give Message.Signal"},
		{DOIP_P "    " PM_OK "signal: Body.Mode, ready: 2}\n",
		 "t.yaml:12:47: signal: %s/body.dbc has no message 'Body'"},
		{DOIP_P "    " PM_OK "signal: BodyState.Trim, ready: 2}\n",
		 "t.yaml:12:47: signal: message BodyState in %s/body.dbc has no signal 'Trim'"},
		{DOIP_P "    " PM_OK "signal: BodyState., ready: 2}\n",
		 "t.yaml:12:47: signal: a signal's name, or Message.Signal, not 'BodyState.'"},
		{DOIP_P "    " PM_OK "signal: Level, ready: 2}\n",
		 "t.yaml:12:47: signal: VehicleState.Level is a float; power_mode: needs an "
		 "integer "
		 "signal"},
		{DOIP_P "    " PM_OK "signal: VehiclePowerMode, ready: 8}\n",
		 "t.yaml:12:72: ready: raw value 8 does not fit VehiclePowerMode (0..7)"},
		{DOIP_P "    " PM_OK "signal: VehiclePowerMode, ready: -1}\n",
		 "t.yaml:12:72: ready: raw value -1 does not fit VehiclePowerMode (0..7)"},
		{DOIP_P "    " PM_OK "signal: Trim, ready: [8]}\n",
		 "t.yaml:12:61: ready: raw value 8 does not fit Trim (-8..7)"},
		{DOIP_P "    " PM_OK "signal: VehiclePowerMode, ready: [Run, Drive]}\n",
		 "t.yaml:12:78: ready: 'Drive' is neither a raw value nor a value label of "
		 "VehiclePowerMode"},
		{DOIP_P "    " PM_OK "signal: VehiclePowerMode, ready: [Run, 2]}\n",
		 "t.yaml:12:78: ready: 2 is listed twice"},
		{DOIP_P "    " PM_OK "signal: VehiclePowerMode, ready: []}\n",
		 "t.yaml:12:72: ready: 1 to 16 values"},
		{DOIP_P "    " PM_OK "signal: VehiclePowerMode, ready: {a: 1}}\n",
		 "t.yaml:12:72: expected a list, found a mapping"},
		{DOIP_P "    " PM_OK "signal: VehiclePowerMode, ready: 2, timeout_ms: 0}\n",
		 "t.yaml:12:87: timeout_ms must be 1..3600000"},
		{DOIP_P "    " PM_OK "signal: VehiclePowerMode, ready: 2, stale: 1}\n",
		 "t.yaml:12:75: unknown key 'stale'"},
	};
	char want[1024];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_EQUAL(pm_load(t[i].yaml), -EINVAL);
		CU_ASSERT(!conf.doip.on);
		CU_ASSERT_PTR_NULL(conf.power_dbc); /* freed with the rest */
		snprintf(want, sizeof(want), t[i].msg, pm_dir, pm_dir);
		memmove(want + strlen(pm_dir) + 1, want, strlen(want) + 1);
		memcpy(want, pm_yaml, strlen(pm_dir) + 1); /* the YAML's directory first */
		if (strncmp(err, want, strlen(want)))
			fprintf(stderr, "\n  power case %zu: got '%s'\n  wanted '%s'\n", i, err,
				want);
		CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	}
	pm_teardown();
}

static int register_gw_conf_tests(void)
{
	CU_pSuite s = CU_add_suite("gw_conf (canrigd YAML)", NULL, NULL);

	if (!s || !CU_add_test(s, "the issue's minimal file", test_minimal) ||
	    !CU_add_test(s, "where each interface's name is", test_ifpos) ||
	    !CU_add_test(s, "every key", test_full) ||
	    !CU_add_test(s, "every error, one line with file:line:col", test_errors) ||
	    !CU_add_test(s, "control socket rights", test_control_rights) ||
	    !CU_add_test(s, "fuzzer regressions", test_regress) ||
	    !CU_add_test(s, "id selections capped per route and in all", test_id_caps) ||
	    !CU_add_test(s, "trust boundaries (issue 18)", test_trust) ||
	    !CU_add_test(s, "doip: the issue's minimal file", test_doip_minimal) ||
	    !CU_add_test(s, "doip: every key", test_doip_full) ||
	    !CU_add_test(s, "doip: every error, one line with file:line:col", test_doip_errors) ||
	    !CU_add_test(s, "doip: what a reload changes", test_doip_diff) ||
	    !CU_add_test(s, "doip: one functional address over several buses",
			 test_doip_func_buses) ||
	    !CU_add_test(s, "doip: functional buses' errors", test_doip_func_errors) ||
	    !CU_add_test(s, "doip: power_mode from a DBC signal", test_doip_power) ||
	    !CU_add_test(s, "doip: power_mode's errors, the DBC's own included",
			 test_doip_power_errors))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(gw_conf, register_gw_conf_tests)
