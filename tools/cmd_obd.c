/* SPDX-License-Identifier: MIT */
/* cmd_obd.c - canrig obd: OBD-II (SAE J1979 / ISO 15031-5) on ISO-TP. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ucli.h"
#include "uds.h"

static const char *const CMD = "obd";

/* Mode 01 PIDs canrig decodes: physical = (a * A + b * B) * scale + offset
 * over the bytes A, B (len 1 or 2). */
struct pid {
	uint8_t pid, len;
	const char *name, *unit;
	double scale, offset;
};

static const struct pid pids[] = {
	{0x04, 1, "EngineLoad", "%", 100.0 / 255, 0},
	{0x05, 1, "CoolantTemperature", "degC", 1, -40},
	{0x0B, 1, "IntakeManifoldPressure", "kPa", 1, 0},
	{0x0C, 2, "EngineRPM", "rpm", 0.25, 0},
	{0x0D, 1, "VehicleSpeed", "km/h", 1, 0},
	{0x0F, 1, "IntakeAirTemperature", "degC", 1, -40},
	{0x10, 2, "MAFAirFlowRate", "g/s", 0.01, 0},
	{0x11, 1, "ThrottlePosition", "%", 100.0 / 255, 0},
	{0x1F, 2, "RunTimeSinceStart", "s", 1, 0},
	{0x2F, 1, "FuelTankLevel", "%", 100.0 / 255, 0},
	{0x33, 1, "BarometricPressure", "kPa", 1, 0},
	{0x46, 1, "AmbientAirTemperature", "degC", 1, -40},
	{0x5C, 1, "EngineOilTemperature", "degC", 1, -40},
};

/* The five the technicians ask for first. */
static const uint8_t live_pids[] = {0x0C, 0x0D, 0x05, 0x04, 0x11};

static const struct pid *find_pid(uint8_t p)
{
	size_t i;

	for (i = 0; i < sizeof(pids) / sizeof(pids[0]); i++)
		if (pids[i].pid == p)
			return &pids[i];
	return NULL;
}

/* Data length of a PID in a mode 01 answer, -1 if canrig cannot tell. */
static int pid_len(uint8_t p)
{
	const struct pid *d;

	if ((p & 0x1F) == 0)
		return 4; /* supported-PID bitmaps 00, 20, 40, ... */
	d = find_pid(p);
	return d ? d->len : -1;
}

struct obd {
	struct ucli c;
	int functional;
	unsigned int answered;
	uint8_t req[8];
};

static void print_ecu(const struct obd *o, uint32_t src)
{
	if (o->c.cfg.tp.rx_eff)
		printf("%08X", src);
	else
		printf("%03X", src);
}

static int usage_err(const char *msg)
{
	cli_err(CMD, "%s; try 'canrig obd --help'", msg);
	return EXIT_USAGE;
}

/*
 * Sends req to every ECU (or the one given with -e) and returns 0 when at
 * least one ECU answered positively, else the exit code (error printed).
 */
static int ask(struct obd *o, const char *what, size_t len)
{
	unsigned int i, ok = 0;
	int r = ucli_xfer(&o->c, o->req, len, o->functional ? UDS_REQ_FUNCTIONAL : 0);

	/* a signal ends it whatever the addressing: exit 128 + signal */
	if (r && (!o->functional || r == -EINTR))
		return ucli_fail(&o->c, what, r);
	for (i = 0; i < o->c.nrsp; i++) {
		const struct ucli_rsp *a = &o->c.rsp[i];

		if (!a->result) {
			ok++;
			continue;
		}
		/* one ECU's refusal is not the others' failure */
		fprintf(stderr, "canrig obd: %s: ECU ", what);
		if (o->c.cfg.tp.rx_eff)
			fprintf(stderr, "%08X", a->src);
		else
			fprintf(stderr, "%03X", a->src);
		if (a->result >= 0x10)
			fprintf(stderr, ": negative response 0x%02X %s\n", a->result,
				uds_nrc_name((uint8_t)a->result));
		else
			fprintf(stderr, ": %s\n", uds_client_strerror(a->result));
	}
	if (!ok) {
		if (r == -ETIMEDOUT || !o->c.nrsp) {
			cli_err(CMD, "%s: no ECU answered", what);
			return EXIT_RUNTIME;
		}
		return o->c.rsp[0].result >= 0x10 ? EXIT_NRC : EXIT_RUNTIME;
	}
	return 0;
}

static void json_begin(struct obd *o, const char *cmd)
{
	if (o->c.json)
		printf("{\"command\":\"%s\",\"ecus\":[", cmd);
	o->answered = 0;
}

static void ecu_begin(struct obd *o, uint32_t src)
{
	if (o->c.json) {
		printf("%s{\"ecu\":\"", o->answered ? "," : "");
		print_ecu(o, src);
		printf("\"");
	} else {
		print_ecu(o, src);
		printf(":");
	}
	o->answered++;
}

static void json_end(struct obd *o)
{
	if (o->c.json)
		printf("]}\n");
}

/* ---- mode 01 ---- */

static void print_value(struct obd *o, uint8_t p, const uint8_t *d, size_t n, int first)
{
	const struct pid *def = find_pid(p);

	if (def && n == def->len) {
		double v = (n == 2 ? d[0] * 256.0 + d[1] : d[0]) * def->scale + def->offset;

		if (o->c.json)
			printf("%s{\"pid\":\"%02X\",\"name\":\"%s\",\"value\":%.6g,\"unit\":\"%"
			       "s\"}",
			       first ? "" : ",", p, def->name, v, def->unit);
		else
			printf("  %02X %s %.6g %s\n", p, def->name, v, def->unit);
		return;
	}
	if (o->c.json) {
		printf("%s{\"pid\":\"%02X\",\"hex\":\"", first ? "" : ",", p);
		ucli_print_hex(stdout, d, n, 0);
		printf("\"}");
	} else {
		printf("  %02X ", p);
		ucli_print_hex(stdout, d, n, ' ');
		printf("\n");
	}
}

/* Walks "41 PID data [PID data]..."; returns 0 or -EBADMSG. */
static int walk_01(struct obd *o, const uint8_t *a, size_t n, int print)
{
	size_t pos = 1;
	int k = 0;

	while (pos < n) {
		uint8_t p = a[pos++];
		int l = pid_len(p);

		/* an unknown PID can only be the last one */
		if (l < 0)
			l = (int)(n - pos);
		if ((size_t)l > n - pos)
			return -EBADMSG;
		if (print)
			print_value(o, p, a + pos, (size_t)l, !k);
		k++;
		pos += (size_t)l;
	}
	return k ? 0 : -EBADMSG;
}

static int mode01(struct obd *o, const uint8_t *list, size_t n)
{
	unsigned int i;
	int rc;

	o->req[0] = 0x01;
	memcpy(o->req + 1, list, n);
	rc = ask(o, "mode 01", n + 1);
	if (rc)
		return rc;
	json_begin(o, "read");
	for (i = 0; i < o->c.nrsp; i++) {
		const struct ucli_rsp *a = &o->c.rsp[i];

		if (a->result || walk_01(o, a->data, a->len, 0))
			continue;
		ecu_begin(o, a->src);
		if (o->c.json)
			printf(",\"pids\":[");
		else
			printf("\n");
		walk_01(o, a->data, a->len, 1);
		if (o->c.json)
			printf("]}");
	}
	json_end(o);
	return 0;
}

static int c_read(struct obd *o, int argc, char **argv)
{
	uint8_t list[6];
	uint32_t v;
	int i;

	if (argc < 2 || argc > 7)
		return usage_err("read PID... (1 to 6 hex PIDs)");
	for (i = 1; i < argc; i++) {
		if (ucli_hexnum(argv[i], 0xFF, &v))
			return usage_err("read: bad PID (hex 00-FF)");
		list[i - 1] = (uint8_t)v;
	}
	return mode01(o, list, (size_t)argc - 1);
}

static int c_live(struct obd *o, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return usage_err("live takes no arguments");
	return mode01(o, live_pids, sizeof(live_pids));
}

/* Supported PIDs: follow each ECU's bitmaps 00, 20, 40, ... as far as
 * it says the next one is supported. */
static int c_pids(struct obd *o, int argc, char **argv)
{
	uint32_t ecus[UCLI_MAX_RSP];
	uint8_t sup[UCLI_MAX_RSP][32];
	unsigned int n = 0, i, k, base;
	int rc;

	(void)argv;
	if (argc != 1)
		return usage_err("pids takes no arguments");
	memset(sup, 0, sizeof(sup));
	for (base = 0; base < 0x100; base += 0x20) {
		unsigned int more = 0;

		o->req[0] = 0x01;
		o->req[1] = (uint8_t)base;
		rc = ask(o, "mode 01 supported PIDs", 2);
		if (rc && base == 0)
			return rc;
		if (rc)
			break;
		for (i = 0; i < o->c.nrsp; i++) {
			const struct ucli_rsp *a = &o->c.rsp[i];

			if (a->result || a->len != 6 || a->data[1] != base)
				continue;
			for (k = 0; k < n && ecus[k] != a->src; k++)
				;
			if (k == n) {
				if (base || n == UCLI_MAX_RSP)
					continue;
				ecus[n++] = a->src;
			}
			memcpy(&sup[k][base / 8], a->data + 2, 4);
			more |= a->data[5] & 1;
		}
		if (!more)
			break;
	}
	json_begin(o, "pids");
	for (k = 0; k < n; k++) {
		unsigned int p, first = 1;

		ecu_begin(o, ecus[k]);
		if (o->c.json)
			printf(",\"pids\":[");
		for (p = 1; p < 0x100; p++) {
			if (!(sup[k][(p - 1) / 8] & (0x80 >> ((p - 1) % 8))))
				continue;
			if (o->c.json)
				printf("%s\"%02X\"", first ? "" : ",", p);
			else
				printf(" %02X", p);
			first = 0;
		}
		if (o->c.json)
			printf("]}");
		else
			printf("\n");
	}
	json_end(o);
	return 0;
}

/* ---- DTCs (modes 03, 07, 0A) and clearing (04) ---- */

static void obd_dtc_str(uint16_t code, char *buf)
{
	static const char sys[4] = {'P', 'C', 'B', 'U'};

	snprintf(buf, 6, "%c%04X", sys[code >> 14], code & 0x3FFF);
}

static int c_dtc(struct obd *o, int argc, char **argv)
{
	uint8_t mode = 0x03;
	unsigned int i;
	size_t k;
	int rc;

	if (argc > 2)
		return usage_err("dtc [stored|pending|permanent]");
	if (argc == 2) {
		if (!strcmp(argv[1], "pending"))
			mode = 0x07;
		else if (!strcmp(argv[1], "permanent"))
			mode = 0x0A;
		else if (strcmp(argv[1], "stored"))
			return usage_err("dtc [stored|pending|permanent]");
	}
	o->req[0] = mode;
	rc = ask(o, "dtc", 1);
	if (rc)
		return rc;
	json_begin(o, "dtc");
	for (i = 0; i < o->c.nrsp; i++) {
		const struct ucli_rsp *a = &o->c.rsp[i];
		size_t cnt;

		/* ISO 15765-4: 43 count then two bytes per DTC */
		if (a->result || a->len < 2 || (a->len - 2) % 2 || a->data[1] != (a->len - 2) / 2) {
			if (!a->result)
				cli_err(CMD, "dtc: malformed answer from %03X", a->src);
			continue;
		}
		cnt = (a->len - 2) / 2;
		ecu_begin(o, a->src);
		if (o->c.json)
			printf(",\"dtcs\":[");
		for (k = 0; k < cnt; k++) {
			char s[8];

			obd_dtc_str((uint16_t)(a->data[2 + 2 * k] << 8 | a->data[3 + 2 * k]), s);
			if (o->c.json)
				printf("%s\"%s\"", k ? "," : "", s);
			else
				printf(" %s", s);
		}
		if (o->c.json)
			printf("]}");
		else
			printf("%s\n", cnt ? "" : " no DTCs");
	}
	json_end(o);
	return 0;
}

static int c_clear(struct obd *o, int argc, char **argv)
{
	unsigned int i;
	int rc;

	(void)argv;
	if (argc != 1)
		return usage_err("clear takes no arguments");
	o->req[0] = 0x04;
	rc = ask(o, "clear", 1);
	if (rc)
		return rc;
	json_begin(o, "clear");
	for (i = 0; i < o->c.nrsp; i++) {
		if (o->c.rsp[i].result)
			continue;
		ecu_begin(o, o->c.rsp[i].src);
		if (o->c.json)
			printf(",\"ok\":true}");
		else
			printf(" DTCs cleared\n");
	}
	json_end(o);
	return 0;
}

/* ---- mode 09 ---- */

static int c_vin(struct obd *o, int argc, char **argv)
{
	unsigned int i;
	int rc;

	(void)argv;
	if (argc != 1)
		return usage_err("vin takes no arguments");
	o->req[0] = 0x09;
	o->req[1] = 0x02;
	rc = ask(o, "vin", 2);
	if (rc)
		return rc;
	json_begin(o, "vin");
	for (i = 0; i < o->c.nrsp; i++) {
		const struct ucli_rsp *a = &o->c.rsp[i];
		size_t off;

		/* 49 02 NODI(01) + 17 characters; some ECUs pad with zeros */
		if (a->result || a->len < 4 || a->data[1] != 0x02)
			continue;
		off = 3;
		while (off < a->len && a->data[off] == 0)
			off++;
		ecu_begin(o, a->src);
		if (o->c.json) {
			printf(",\"vin\":");
			ucli_json_str(stdout, (const char *)a->data + off, a->len - off);
			printf("}");
		} else {
			printf(" VIN %.*s\n", (int)(a->len - off), a->data + off);
		}
	}
	json_end(o);
	return 0;
}

struct command {
	const char *name;
	int (*fn)(struct obd *o, int argc, char **argv);
};

static const struct command commands[] = {
	{"pids", c_pids},   {"read", c_read}, {"live", c_live}, {"dtc", c_dtc},
	{"clear", c_clear}, {"vin", c_vin},   {NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: canrig obd -i IF [-e ECU | --29bit TA] [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"OBD-II (SAE J1979) on ISO-TP.  Without -e, --tx or --29bit the request\n"
		"goes to every ECU (functional 7DF, or 18DB33F1 with --29bit-functional)\n"
		"and each ECU's answer is shown on its own.\n"
		"\n"
		"Commands:\n"
		"  pids                 mode 01: supported PIDs, per ECU\n"
		"  live                 mode 01: RPM, speed, coolant, load, throttle\n"
		"  read PID...          mode 01: up to 6 PIDs (hex), decoded where known\n"
		"  dtc [stored|pending|permanent]   modes 03 / 07 / 0A\n"
		"  clear                mode 04: clear DTCs and freeze frames\n"
		"  vin                  mode 09 PID 02\n"
		"\n"
		"Options:\n"
		"  -h, --help             this text\n"
		"      --29bit-functional  functional requests with 29-bit ids\n"
		"%s"
		"\n"
		"Exit status: 0 ok, 1 runtime error or no ECU answered, 2 usage error,\n"
		"3 negative response, 130 / 143 stopped by SIGINT / SIGTERM.\n",
		ucli_opts_help);
}

#define O_F29 0x200

static const struct option longopts[] = {
	UCLI_LONGOPTS,
	{"29bit-functional", no_argument, NULL, O_F29},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

int cmd_obd(int argc, char **argv)
{
	struct obd *o = calloc(1, sizeof(*o));
	const struct command *c;
	int opt, rc = 0, f29 = 0;

	if (!o)
		return EXIT_RUNTIME;
	ucli_init(&o->c, CMD);
	while ((opt = cli_getopt(argc, argv, "i:e:p:h", longopts)) != -1) {
		int r = ucli_opt(&o->c, opt, optarg);

		if (r < 0) {
			rc = EXIT_USAGE;
			goto out;
		}
		if (r)
			continue;
		if (opt == O_F29) {
			f29 = 1;
			continue;
		}
		if (opt == 'h') {
			usage(stdout);
			goto out;
		}
		rc = cli_opt_error(CMD, opt, argv);
		goto out;
	}
	/* physical only when an ECU was named */
	o->functional = o->c.ecu < 0 && o->c.tx < 0 && o->c.ta < 0;
	if (f29 && o->functional)
		o->c.ta = 0x33;
	if (optind >= argc) {
		rc = usage_err("no command");
		goto out;
	}
	for (c = commands; c->name && strcmp(c->name, argv[optind]); c++)
		;
	if (!c->name) {
		cli_err(CMD, "unknown command '%s'; try 'canrig obd --help'", argv[optind]);
		rc = EXIT_USAGE;
		goto out;
	}
	if (ucli_check(&o->c)) {
		rc = EXIT_USAGE;
		goto out;
	}
	rc = ucli_open(&o->c);
	if (!rc)
		rc = c->fn(o, argc - optind, argv + optind);
	ucli_close(&o->c);
out:
	free(o);
	return rc;
}
