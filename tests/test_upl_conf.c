/* SPDX-License-Identifier: MIT */
/* test_upl_conf.c - canrig uplink's YAML: the minimal file, every
 * key, and a FILE:LINE:COL error for each kind of mistake. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "upl_conf.h"

/* The minimal file, as written (tests/data/uplink.yaml). */
static void test_minimal(void)
{
	struct upl_conf c;
	char err[512] = "";
	int e = upl_conf_load(&c, test_data("uplink.yaml"), err, sizeof(err));

	CU_ASSERT_EQUAL_FATAL(e, 0);
	if (e)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_STRING_EQUAL(c.vehicle, "WVWZZZ1JZXW000001");
	CU_ASSERT_STRING_EQUAL(c.broker.host, "127.0.0.1");
	CU_ASSERT_EQUAL(c.broker.port, 1883);
	CU_ASSERT_EQUAL(c.broker.protocol, 4);
	CU_ASSERT_STRING_EQUAL(c.broker.client_id, "canrig-WVWZZZ1JZXW000001");
	CU_ASSERT_PTR_NULL(c.broker.cafile);
	CU_ASSERT_STRING_EQUAL(c.topic, "fleet/WVWZZZ1JZXW000001/signals");
	CU_ASSERT_EQUAL(c.nifs, 1);
	CU_ASSERT_STRING_EQUAL(c.ifs[0], "vcan0");
	CU_ASSERT_EQUAL_FATAL(c.ncollect, 2);
	CU_ASSERT_STRING_EQUAL(c.collect[0].msg->name, "EngineData");
	CU_ASSERT_EQUAL(c.collect[0].nsel, 4);
	CU_ASSERT_EQUAL(c.collect[0].mode, UPL_EVERY_FRAME);
	CU_ASSERT_STRING_EQUAL(c.collect[1].msg->name, "DoorStatus");
	CU_ASSERT_EQUAL(c.collect[1].line, 8);
	CU_ASSERT_EQUAL(c.batch.max_ms, UPL_BATCH_MS_DEF);
	CU_ASSERT_EQUAL(c.batch.max_bytes, UPL_BATCH_BYTES_DEF);
	CU_ASSERT_STRING_EQUAL(c.spool.dir, "/tmp/canrig-uplink");
	CU_ASSERT_EQUAL(c.spool.max_mb, 16);
	upl_conf_fini(&c);
	upl_conf_fini(&c); /* twice is harmless */
}

static int load(struct upl_conf *c, const char *body, char *err, size_t cap)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), body, test_data("demo.dbc"));
	return upl_conf_load_mem(c, "t.yaml", buf, strlen(buf), err, cap);
}

#define HEAD                                                                                       \
	"vehicle: V1\n"                                                                            \
	"broker: {host: h}\n"                                                                      \
	"topic: t/{vehicle}\n"                                                                     \
	"dbc: %s\n"                                                                                \
	"interfaces: [vcan0, vcan1]\n"

static void test_every_key(void)
{
	struct upl_conf c;
	char err[512] = "", cred[64];
	char body[2048];
	FILE *f;
	int e;

	strcpy(cred, "/tmp/canrig-cred-XXXXXX");
	CU_ASSERT_FATAL(mkstemp(cred) >= 0);
	f = fopen(cred, "w");
	fputs("user:secret\n", f);
	fclose(f);
	chmod(cred, 0600);
	snprintf(body, sizeof(body),
		 "vehicle: V1\n"
		 "broker: {host: b.example, port: 8883, keepalive: 60, client_id: car1,\n"
		 "         cafile: %%1$s, certfile: %%1$s, keyfile: %%1$s, credentials: %s,\n"
		 "         protocol: '5'}\n"
		 "topic: a/{vehicle}/b/{vehicle}\n"
		 "dbc: %%1$s\n"
		 "interfaces: [vcan0]\n"
		 "collect:\n"
		 "  - {message: EngineData, signals: [Throttle, CoolantTemp], every_ms: 100}\n"
		 "  - {message: DoorStatus, on_change: true}\n"
		 "  - {message: CCVS, on_change: false}\n"
		 "batch: {max_ms: 250, max_bytes: 2048}\n"
		 "spool: {dir: /tmp/x}\n",
		 cred);
	e = load(&c, body, err, sizeof(err));
	if (e)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_EQUAL_FATAL(e, 0);
	CU_ASSERT_EQUAL(c.broker.port, 8883);
	CU_ASSERT_EQUAL(c.broker.keepalive, 60);
	CU_ASSERT_EQUAL(c.broker.protocol, 5);
	CU_ASSERT_STRING_EQUAL(c.broker.client_id, "car1");
	CU_ASSERT_STRING_EQUAL(c.broker.credentials, cred);
	CU_ASSERT_PTR_NOT_NULL(c.broker.cafile);
	CU_ASSERT_STRING_EQUAL(c.topic, "a/V1/b/V1");
	CU_ASSERT_EQUAL(c.collect[0].mode, UPL_EVERY_MS);
	CU_ASSERT_EQUAL(c.collect[0].every_ms, 100);
	CU_ASSERT_EQUAL(c.collect[0].nsel, 2);
	CU_ASSERT(c.collect[0].sel[1] && c.collect[0].sel[2] && !c.collect[0].sel[0] &&
		  !c.collect[0].sel[3]);
	CU_ASSERT_EQUAL(c.collect[1].mode, UPL_ON_CHANGE);
	CU_ASSERT_EQUAL(c.collect[2].mode, UPL_EVERY_FRAME);
	CU_ASSERT_EQUAL(c.batch.max_ms, 250);
	CU_ASSERT_EQUAL(c.batch.max_bytes, 2048);
	CU_ASSERT_EQUAL(c.spool.max_mb, UPL_SPOOL_MB_DEF);
	upl_conf_fini(&c);

	/* a password others can read is refused */
	chmod(cred, 0644);
	e = load(&c, body, err, sizeof(err));
	CU_ASSERT_EQUAL(e, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.yaml:3:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "readable by others (mode 0644)"));
	unlink(cred);
}

static void test_bad(void)
{
	static const struct {
		const char *body, *want;
	} t[] = {
		{HEAD "collect: [{message: Nope}]\nspool: {dir: d}\n",
		 "t.yaml:6:21: no message 'Nope' in"},
		{HEAD
		 "collect: [{message: EngineData, signals: [Throttle, Bogus]}]\nspool: {dir: d}\n",
		 "t.yaml:6:53: message EngineData has no signal 'Bogus'"},
		{HEAD "collect: [{message: EngineData, signals: [Throttle, Throttle]}]\n"
		      "spool: {dir: d}\n",
		 "t.yaml:6:53: signal Throttle is listed twice"},
		{HEAD "collect: [{message: EngineData, signals: []}]\nspool: {dir: d}\n",
		 "t.yaml:6:42: signals: name at least one"},
		{HEAD "collect: [{message: EngineData, every_ms: 0}]\nspool: {dir: d}\n",
		 "t.yaml:6:43: "},
		{HEAD "collect: [{message: EngineData, every_ms: 12x}]\nspool: {dir: d}\n",
		 "t.yaml:6:43: "},
		{HEAD "collect: [{message: EngineData, every_ms: 5, on_change: true}]\n"
		      "spool: {dir: d}\n",
		 "t.yaml:6:11: every_ms and on_change exclude each other"},
		{HEAD "collect: [{message: EngineData, before_ms: 10}]\nspool: {dir: d}\n",
		 "t.yaml:6:44: before_ms needs a when: condition"},
		{HEAD "collect: [{message: EngineData, after_ms: 10}]\nspool: {dir: d}\n",
		 "t.yaml:6:43: after_ms needs a when: condition"},
		{HEAD
		 "collect: [{message: EngineData}]\nbatch: {compress: zstd}\nspool: {dir: d}\n",
		 "t.yaml:7:19: unknown compression 'zstd' (none, deflate)"},
		{HEAD "collect: [{message: EngineData, colour: red}]\nspool: {dir: d}\n",
		 "t.yaml:6:33: unknown key 'colour'"},
		{HEAD "collect: [{message: EngineData}, {message: EngineData}]\nspool: {dir: d}\n",
		 "t.yaml:6:44: message EngineData is collected twice (line 6)"},
		{HEAD "collect: []\nspool: {dir: d}\n", "collect: name at least one message"},
		{HEAD "collect: [{message: EngineData}]\n", "missing required key 'spool'"},
		{HEAD "collect: [{message: EngineData}]\nspool: {dir: d, max_mb: 0}\n",
		 "t.yaml:7:25: "},
		{HEAD "collect: [{message: EngineData}]\nspool: {dir: d}\nbatch: {max_bytes: 10}\n",
		 "t.yaml:8:20: "},
		{HEAD "collect: [{message: EngineData}]\nspool: {dir: d}\nextra: 1\n",
		 "t.yaml:8:1: unknown key 'extra'"},
		{"vehicle: V1\nbroker: {host: h, port: 70000}\ntopic: t\ndbc: %s\n"
		 "interfaces: [vcan0]\ncollect: [{message: EngineData}]\nspool: {dir: d}\n",
		 "t.yaml:2:25: "},
		{"vehicle: V1\nbroker: {host: h, certfile: %1$s}\ntopic: t\ndbc: %1$s\n"
		 "interfaces: [vcan0]\ncollect: [{message: EngineData}]\nspool: {dir: d}\n",
		 "t.yaml:2:9: broker: certfile and keyfile go together"},
		{"vehicle: V1\nbroker: {host: h, cafile: /nonexistent/ca.pem}\ntopic: t\ndbc: %s\n"
		 "interfaces: [vcan0]\ncollect: [{message: EngineData}]\nspool: {dir: d}\n",
		 "t.yaml:2:27: /nonexistent/ca.pem: No such file or directory"},
		{"vehicle: V1\nbroker: {host: h, protocol: '4'}\ntopic: t\ndbc: %s\n"
		 "interfaces: [vcan0]\ncollect: [{message: EngineData}]\nspool: {dir: d}\n",
		 "t.yaml:2:29: unknown MQTT version '4'"},
		{"vehicle: V/1\nbroker: {host: h}\ntopic: t\ndbc: %s\n"
		 "interfaces: [vcan0]\ncollect: [{message: EngineData}]\nspool: {dir: d}\n",
		 "t.yaml:1:10: vehicle: '/' cannot be in a topic level"},
		{"vehicle: V1\nbroker: {host: h}\ntopic: t/#\ndbc: %s\n"
		 "interfaces: [vcan0]\ncollect: [{message: EngineData}]\nspool: {dir: d}\n",
		 "t.yaml:3:8: topic: '#' is a subscription wildcard"},
		{"vehicle: V1\nbroker: {host: h}\ntopic: t/{vin}\ndbc: %s\n"
		 "interfaces: [vcan0]\ncollect: [{message: EngineData}]\nspool: {dir: d}\n",
		 "t.yaml:3:8: topic: the only placeholder is {vehicle}"},
		{"vehicle: V1\nbroker: {host: h}\ntopic: t\ndbc: /nonexistent.dbc\n"
		 "interfaces: [vcan0]\ncollect: [{message: EngineData}]\nspool: {dir: d}\n",
		 "t.yaml:4:6: dbc: "},
		{"vehicle: V1\nbroker: {host: h}\ntopic: t\ndbc: %s\n"
		 "interfaces: [vcan0, vcan0]\ncollect: [{message: EngineData}]\nspool: {dir: d}\n",
		 "t.yaml:5:21: interface vcan0 is listed twice"},
		{"vehicle: V1\nbroker: {host: h}\ntopic: t\ndbc: %s\n"
		 "interfaces: [averyveryverylongname]\ncollect: [{message: EngineData}]\n"
		 "spool: {dir: d}\n",
		 "t.yaml:5:14: 'averyveryverylongname' is not an interface name"},
		{"vehicle: V1\ntopic: t\ndbc: %s\n"
		 "interfaces: [vcan0]\ncollect: [{message: EngineData}]\nspool: {dir: d}\n",
		 "missing required key 'broker'"},
		{"", "t.yaml:1:1: empty file"},
		{"vehicle: [\n", "t.yaml:"},
	};
	unsigned int i, bad = 0;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct upl_conf c;
		char err[512] = "";
		int e = load(&c, t[i].body, err, sizeof(err));

		if (e != -EINVAL || !strstr(err, t[i].want) || strncmp(err, "t.yaml:", 7)) {
			fprintf(stderr, "\ncase %u: %d '%s', want '%s'\n", i, e, err, t[i].want);
			bad++;
		}
		CU_ASSERT_PTR_NULL(c.db); /* nothing held after a refusal */
		upl_conf_fini(&c);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* when: compiled once into postfix ops; names resolved in the DBC. */
static void test_when(void)
{
	struct upl_conf c;
	char err[512] = "";
	const struct upl_op *o;
	int e;

	e = load(&c,
		 HEAD "collect:\n"
		      "  - message: EngineData\n"
		      "    when: \"Throttle > 50 && !(DoorStatus.DriverDoor == 1 ||\n"
		      "           CoolantTemp <= -10.5) && WheelSpeed != 2e1\"\n"
		      "    before_ms: 100\n"
		      "    after_ms: 200\n"
		      "  - {message: CCVS, every_ms: 100, when: '(((ParkingBrake<1)))', before_ms: "
		      "1000}\n"
		      "  - {message: DoorStatus, when: DriverDoor>=1}\n"
		      "batch: {compress: deflate}\n"
		      "spool: {dir: d}\n",
		 err, sizeof(err));
	if (e)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_EQUAL_FATAL(e, 0);
	CU_ASSERT_EQUAL(c.batch.compress, UPL_ZIP_DEFLATE);
	CU_ASSERT_EQUAL_FATAL(c.collect[0].nops, 8);
	o = c.collect[0].ops;
	/* Throttle > 50, DriverDoor == 1, CoolantTemp <= -10.5, ||, !, &&,
	 * WheelSpeed != 20, && */
	CU_ASSERT(o[0].op == UPL_OP_GT && o[0].num == 50 && o[0].msg == 0 && o[0].sig == 1);
	CU_ASSERT(o[1].op == UPL_OP_EQ && o[1].num == 1 && o[1].msg == 1 && o[1].sig == 0);
	CU_ASSERT(o[2].op == UPL_OP_LE && o[2].num == -10.5 && o[2].msg == 0 && o[2].sig == 2);
	CU_ASSERT(o[3].op == UPL_OP_OR && o[4].op == UPL_OP_NOT && o[5].op == UPL_OP_AND);
	/* a signal of another message, named alone: the one that has it */
	CU_ASSERT(o[6].op == UPL_OP_NE && o[6].num == 20 && o[6].msg == 3 && o[6].sig == 1);
	CU_ASSERT(o[7].op == UPL_OP_AND);
	CU_ASSERT_EQUAL(c.collect[0].before_ms, 100);
	CU_ASSERT_EQUAL(c.collect[0].after_ms, 200);
	/* history: twice the frames of a 50 ms cycle in 100 ms, per interface */
	CU_ASSERT_EQUAL(c.collect[0].hist, 2 * (100 / 50 + 1) * 2);
	/* every_ms: one sample per interval per interface */
	CU_ASSERT_EQUAL(c.collect[1].nops, 1);
	CU_ASSERT_EQUAL(c.collect[1].hist, (1000 / 100 + 1) * 2);
	CU_ASSERT_STRING_EQUAL(c.collect[1].when, "(((ParkingBrake<1)))");
	CU_ASSERT(c.collect[2].nops == 1 && c.collect[2].ops[0].op == UPL_OP_GE);
	CU_ASSERT_EQUAL(c.collect[2].hist, 0);
	upl_conf_fini(&c);
}

/* A bad when: is refused at the column of its bad token. */
static void test_when_bad(void)
{
#define W(EXPR) HEAD "collect: [{message: EngineData, when: \"" EXPR "\"}]\nspool: {dir: d}\n"
	/* the expression's first character is column 40 of line 6 */
	static const struct {
		const char *body, *want;
	} t[] = {
		{W("Throttle > 5x"), "t.yaml:6:51: when: expected a number"},
		{W("Throttle > inf"), "t.yaml:6:51: when: expected a number"},
		{W("Throttle > 1e999"), "t.yaml:6:51: when: number out of range"},
		{W("Throttle = 5"), "t.yaml:6:49: when: expected <, <=, >, >=, == or != after "
				    "Throttle"},
		{W("Bogus > 1"), "t.yaml:6:40: when: no signal 'Bogus' in the DBC"},
		{W("Nope.X > 1"), "t.yaml:6:40: when: no message 'Nope' in the DBC"},
		{W("DoorStatus.Bogus > 1"), "t.yaml:6:51: when: message DoorStatus has no signal "
					    "'Bogus'"},
		{W("  (Throttle > 1"), "t.yaml:6:42: when: this '(' is never closed"},
		{W("(Throttle > 1 Counter"), "t.yaml:6:54: when: expected ')'"},
		{W("Throttle > 1)"), "t.yaml:6:52: when: ')' without its '('"},
		{W("Throttle > 1 &&"), "t.yaml:6:55: when: expected a signal name at the end"},
		{W("Throttle > 1 & Counter > 2"), "t.yaml:6:53: when: expected && or || or the "
						  "end, found '&'"},
		{W("Throttle > 1 || 7 > 1"),
		 "t.yaml:6:56: when: expected a signal name, found '7'"},
		{W(""), "t.yaml:6:40: when: empty condition"},
		{W("   "), "t.yaml:6:43: when: empty condition"},
		{W("((((((((((((((((((((((((((((((((((Throttle > "
		   "1))))))))))))))))))))))))))))))))))"),
		 "t.yaml:6:72: when: nested deeper than 32"},
		{W("Throttle>1||Throttle>1||Throttle>1||Throttle>1||Throttle>1||Throttle>1||"
		   "Throttle>1||Throttle>1||Throttle>1||Throttle>1||Throttle>1||Throttle>1||"
		   "Throttle>1||Throttle>1||Throttle>1||Throttle>1||Throttle>1||Throttle>1||"
		   "Throttle>1||Throttle>1||Throttle>1||Throttle>1||Throttle>1||Throttle>1||"
		   "Throttle>1||Throttle>1||Throttle>1||Throttle>1||Throttle>1||Throttle>1||"
		   "Throttle>1||Throttle>1||Throttle>1"),
		 /* the 33rd term's || makes op 65 */
		 "t.yaml:6:422: when: more than 64 terms and operators"},
		/* plain: no quote before the expression */
		{HEAD "collect:\n  - message: EngineData\n    when: Throttle > 5x\n"
		      "spool: {dir: d}\n",
		 "t.yaml:8:22: when: expected a number"},
		/* an escape moves the columns: the scalar's start then */
		{HEAD "collect:\n  - message: EngineData\n    when: \"Throttle\\t> 5x\"\n"
		      "spool: {dir: d}\n",
		 "t.yaml:8:11: when: expected a number"},
		{HEAD "collect: [{message: CCVS, when: 'WheelSpeed > 1', before_ms: 10}]\n"
		      "spool: {dir: d}\n",
		 "t.yaml:6:62: before_ms: CCVS has no GenMsgCycleTime in the DBC"},
		{HEAD "collect: [{message: EngineData, every_ms: 1, when: 'Counter > 1',\n"
		      "            before_ms: 3600000}]\nspool: {dir: d}\n",
		 "t.yaml:7:24: before_ms: 7200002 samples of history in all, more than 16384"},
		{HEAD "collect: [{message: EngineData, when: 'Counter > 1', before_ms: 1000000}]\n"
		      "spool: {dir: d}\n",
		 "t.yaml:6:65: before_ms: 80004 samples"},
	};
#undef W
	unsigned int i, bad = 0;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct upl_conf c;
		char err[512] = "";
		int e = load(&c, t[i].body, err, sizeof(err));

		if (e != -EINVAL || !strstr(err, t[i].want) || strncmp(err, "t.yaml:", 7)) {
			fprintf(stderr, "\ncase %u: %d '%s', want '%s'\n", i, e, err, t[i].want);
			bad++;
		}
		CU_ASSERT_PTR_NULL(c.db);
		upl_conf_fini(&c);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* A name two messages have is refused unless the message is named. */
static void test_when_ambiguous(void)
{
	char dbc[] = "/tmp/canrig-when-XXXXXX", y[1024], err[512] = "";
	struct upl_conf c;
	FILE *f;
	int fd = mkstemp(dbc), e;

	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	fputs("VERSION \"\"\nBU_: A\nBO_ 1 One: 1 A\n SG_ Speed : 0|8@1+ (1,0) [0|0] \"\" A\n"
	      "BO_ 2 Two: 1 A\n SG_ Speed : 0|8@1+ (1,0) [0|0] \"\" A\n"
	      "BO_ 3 Three: 1 A\n SG_ X : 0|8@1+ (1,0) [0|0] \"\" A\n",
	      f);
	fclose(f);
	snprintf(y, sizeof(y),
		 "vehicle: V\nbroker: {host: h}\ntopic: t\ndbc: %s\ninterfaces: [vcan0]\n"
		 "collect: [{message: Three, when: \"X > 1 && Speed > 1\"}]\nspool: {dir: d}\n",
		 dbc);
	e = upl_conf_load_mem(&c, "t.yaml", y, strlen(y), err, sizeof(err));
	CU_ASSERT_EQUAL(e, -EINVAL);
	if (!strstr(err, "t.yaml:6:44: when: signal"))
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.yaml:6:44: when: signal 'Speed' is in One and Two: "
					   "write MESSAGE.Speed"));
	upl_conf_fini(&c);
	/* its own message's signal wins; MESSAGE.NAME picks */
	snprintf(y, sizeof(y),
		 "vehicle: V\nbroker: {host: h}\ntopic: t\ndbc: %s\ninterfaces: [vcan0]\n"
		 "collect: [{message: Two, when: \"Speed > 1 && One.Speed > 2\"}]\n"
		 "spool: {dir: d}\n",
		 dbc);
	e = upl_conf_load_mem(&c, "t.yaml", y, strlen(y), err, sizeof(err));
	CU_ASSERT_EQUAL_FATAL(e, 0);
	CU_ASSERT(c.collect[0].ops[0].msg == 1 && c.collect[0].ops[1].msg == 0);
	upl_conf_fini(&c);
	unlink(dbc);
}

static int register_upl_conf_tests(void)
{
	CU_pSuite s = CU_add_suite("upl_conf", NULL, NULL);

	if (!s || !CU_add_test(s, "the issue's minimal file", test_minimal) ||
	    !CU_add_test(s, "every key", test_every_key) ||
	    !CU_add_test(s, "bad files: FILE:LINE:COL", test_bad) ||
	    !CU_add_test(s, "when: compiled", test_when) ||
	    !CU_add_test(s, "when: errors at the bad token's column", test_when_bad) ||
	    !CU_add_test(s, "when: a name in two messages", test_when_ambiguous))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(upl_conf, register_upl_conf_tests)
