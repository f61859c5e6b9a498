/* SPDX-License-Identifier: MIT */
/* test_gw_conf.c - canrigd's YAML: the minimal file of the issue works
 * as written, the full schema loads, and every kind of mistake gets its
 * one-line FILE:LINE:COL message. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gw_conf.h"
#include "unit.h"

static struct gw_conf conf;
static char err[512];

static int load(const char *yaml)
{
	return gw_conf_load_mem(&conf, "t.yaml", yaml, strlen(yaml), err,
				sizeof(err));
}

static unsigned int route(unsigned int src, uint32_t id, uint8_t flags,
			  struct gw_emit *out)
{
	uint8_t d[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct cf_frame f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	f.flags = flags;
	f.len = 8;
	f.data = d;
	return gw_engine_input(conf.engine, src, &f, 0, out, 8);
}

static const char minimal[] =
	"interfaces:\n"
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

static void test_errors(void)
{
	static const struct {
		const char *yaml, *msg;
	} t[] = {
		{ "interfaces: {name: vcan0}\nroutes: []\n",
		  "t.yaml:1:13: expected a list" },
		{ "interfaces:\n  - {name: vcan0, domian: pt}\nroutes: []\n",
		  "t.yaml:2:19: unknown key 'domian'" },
		{ "interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		  "  - {name: r, from: vcan0, to: [vcan1], ids: [0x12G]}\n",
		  "t.yaml:5:47: bad CAN id '0x12G' (0 to 0x1FFFFFFF)" },
		{ "interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		  "  - {name: r, from: vcan0, to: [vcan1], ids: [0x700-0x800]}\n",
		  "t.yaml:5:47: range '0x700-0x800' spans 11- and 29-bit ids; split it, or set frame: extended" },
		{ "interfaces:\n  - {name: vcan0}\nroutes:\n"
		  "  - {name: r, from: vcan0, to: [vcan9]}\n",
		  "t.yaml:4:33: unknown interface 'vcan9' (not under interfaces:)" },
		{ "interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		  "  - {name: a, from: vcan0, to: [vcan1]}\n"
		  "  - {name: b, from: vcan1, to: [vcan0]}\n",
		  "t.yaml:5:3: routes form a cycle: vcan0 -> vcan1 -> vcan0; set hop_limit if it is meant" },
		{ "interfaces:\n  - {name: vcan0, fd: true}\n  - {name: vcan1}\nroutes:\n"
		  "  - {name: fd, from: vcan0, to: [vcan1]}\n",
		  "t.yaml:5:5: route 'fd': CAN FD frames can reach classic interface vcan1; set fd_to_classic: drop, or type: classic" },
		{ "interfaces:\n  - {name: vcan0}\nroutes:\n"
		  "  - {name: s, from: vcan0, to: vcan0}\n",
		  "t.yaml:4:5: route 's': routes back onto its source vcan0; set allow_same_interface: true if that is meant" },
		{ "interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		  "  - {from: vcan0, to: [vcan1]}\n",
		  "t.yaml:5:5: missing required key 'name'" },
		{ "interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		  "  - {name: r, from: vcan0, to: [vcan1], actions: [{rate: {keep: first}}]}\n",
		  "t.yaml:5:58: rate: give interval_ms, or rate and burst" },
		{ "interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		  "  - {name: r, from: vcan0, to: [vcan1], actions: [{teleport: 1}]}\n",
		  "t.yaml:5:52: unknown key 'teleport'" },
		{ "interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		  "  - {name: r, from: vcan0, to: [vcan1], actions: [{xor_checksum: {from: 0, to: 9, result: 7}}]}\n",
		  "t.yaml:5:5: route 'r': checksum: " },
		{ "interfaces:\n  - {name: vcan0}\n  - {name: vcan1}\nroutes:\n"
		  "  - {name: r, from: vcan0, to: [vcan1], length: 9-2}\n",
		  "t.yaml:5:49: length: N or MIN-MAX, 0 to 64 bytes (found '9-2')" },
		{ "interfaces:\n  - {name: vcan0}\n  - {name: vcan0}\nroutes: []\n",
		  "t.yaml:3:12: interface 'vcan0' is listed twice" },
		{ "interfaces:\n  - {name: vcan0, rcvbuf: 4096}\nroutes: []\n",
		  "t.yaml:2:27: rcvbuf: at least 65536 bytes" },
		{ "interfaces:\n  - {name: vcan0, rcvbuf: 2147483648}\nroutes: []\n",
		  "t.yaml:2:27: " },
		{ "interfaces: [\n", "t.yaml:2:1: " },
		{ "", "t.yaml:1:1: empty file: expected interfaces: and routes:" },
		{ "routes: []\n", "t.yaml:1:1: missing required key 'interfaces'" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_EQUAL(load(t[i].yaml), -EINVAL);
		CU_ASSERT_PTR_NULL(conf.engine);
		if (strncmp(err, t[i].msg, strlen(t[i].msg)))
			fprintf(stderr, "\n  case %zu: got '%s'\n  wanted '%s'\n", i,
				err, t[i].msg);
		CU_ASSERT_EQUAL(strncmp(err, t[i].msg, strlen(t[i].msg)), 0);
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	}
}

/* Fuzzer find: carriage returns inside a scalar broke the message into
 * several lines. */
static void test_regress(void)
{
	CU_ASSERT_EQUAL(gw_conf_load_file(&conf, test_data("regress/gw-conf-cr-in-scalar.yaml"),
					  err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":11:26: expected a number"));
	CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	CU_ASSERT_PTR_NULL(strchr(err, '\r'));
}

int register_gw_conf_tests(void)
{
	CU_pSuite s = CU_add_suite("gw_conf (canrigd YAML)", NULL, NULL);

	if (!s || !CU_add_test(s, "the issue's minimal file", test_minimal) ||
	    !CU_add_test(s, "every key", test_full) ||
	    !CU_add_test(s, "every error, one line with file:line:col", test_errors) ||
	    !CU_add_test(s, "fuzzer regressions", test_regress))
		return CU_get_error();
	return 0;
}
