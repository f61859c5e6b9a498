/* SPDX-License-Identifier: MIT */
/* cmd_diag.c - canrig diag: a UDS (ISO 14229) tester on the command line. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "diddict.h"
#include "keycmd.h"
#include "ucli.h"
#include "uds.h"

#define MAX_REQ	 4096
#define MAX_DIDS 64

struct command;

/* One command of a '+' chain. */
struct step {
	const struct command *cmd;
	int argc;
	char **argv;
	uint8_t *img; /* flash: the image, read in the check pass */
	size_t img_len;
};

struct diag {
	struct ucli c;
	const char *key_cmd, *key_lib;
	struct uds_did_dict dict;
	int have_addr, check_crc, functional;
	uint32_t addr;
	int dfi, alfid; /* -1: default */
	uint32_t mask;	/* --mask for io, as given */
	const char *mask_hex;
	int progress;
	uint64_t last_draw;
	uint8_t session; /* set by this chain's last session/reset; 0:
			  * not changed (for messages) */
	/* The whole chain is checked before anything is sent: every command
	 * runs once with checking set, parses and checks its arguments (and
	 * reads its files) and returns before its first request. */
	int checking;
	struct step *step; /* the command being checked or run */
	uint8_t req[MAX_REQ];
};

static const char *const CMD = "diag";

/* ---- output helpers ---- */

static void json_key(const char *k)
{
	printf("\"%s\":", k);
}

static void json_hex(const uint8_t *p, size_t n)
{
	putchar('"');
	ucli_print_hex(stdout, p, n, 0);
	putchar('"');
}

static void print_src(const struct diag *d, uint32_t src)
{
	if (d->c.doip)
		printf("%04X", src); /* a logical address */
	else if (d->c.cfg.tp.rx_eff)
		printf("%08X", src);
	else
		printf("%03X", src);
}

/* Runs one request; on failure prints the error and returns its exit code. */
static int xfer(struct diag *d, const char *what, size_t len, unsigned int flags)
{
	int r = ucli_xfer(&d->c, d->req, len, flags);

	if (r)
		return ucli_fail(&d->c, what, r);
	return 0;
}

/* ---- session, reset, tester present, comm control, dtc setting ---- */

struct word {
	const char *s;
	uint8_t v;
};

/* A named value from t, or a hex number up to max. */
static int word_or_hex(const struct word *t, const char *s, uint32_t max, uint8_t *v)
{
	uint32_t x;

	for (; t && t->s; t++)
		if (!strcmp(t->s, s)) {
			*v = t->v;
			return 0;
		}
	if (ucli_hexnum(s, max, &x))
		return -1;
	*v = (uint8_t)x;
	return 0;
}

static const struct word sessions[] = {
	{"default", 1}, {"programming", 2}, {"extended", 3}, {"safety", 4}, {NULL, 0},
};

static int usage_err(const char *msg)
{
	cli_err(CMD, "%s; try 'canrig diag --help'", msg);
	return EXIT_USAGE;
}

static int c_session(struct diag *d, int argc, char **argv)
{
	const struct ucli_rsp *a;
	uint32_t p2 = 0, p2s = 0;
	uint8_t t;
	int rc, n;

	if (argc != 2 || word_or_hex(sessions, argv[1], 0x7F, &t))
		return usage_err("session default|programming|extended|safety|HEX");
	if (d->checking)
		return 0;
	n = uds_req_sub(d->req, sizeof(d->req), 0x10, t, 0);
	rc = xfer(d, "session", (size_t)n, 0);
	if (rc)
		return rc;
	a = ucli_answer(&d->c);
	if (uds_parse_session(a->data, a->len, &p2, &p2s))
		p2 = p2s = 0;
	d->session = t;
	if (d->c.json) {
		printf("{\"command\":\"session\",\"session\":%u,\"p2_ms\":%u,\"p2star_ms\":%u}\n",
		       t, p2, p2s);
	} else {
		printf("session 0x%02X: ok", t);
		if (a->len >= 6)
			printf(", ECU P2 %u ms, P2* %u ms", p2, p2s);
		printf("\n");
	}
	return 0;
}

static const struct word resets[] = {
	{"hard", 1}, {"key", 2}, {"keyoffon", 2}, {"soft", 3}, {NULL, 0},
};

static int simple(struct diag *d, const char *what, uint8_t sid, uint8_t sub)
{
	int rc, n;

	if (d->checking)
		return 0;
	n = uds_req_sub(d->req, sizeof(d->req), sid, sub, 0);
	rc = xfer(d, what, (size_t)n, 0);
	if (rc)
		return rc;
	if (d->c.json)
		printf("{\"command\":\"%s\",\"sub\":%u,\"ok\":true}\n", what, sub);
	else
		printf("%s 0x%02X: ok\n", what, sub);
	return 0;
}

static int c_reset(struct diag *d, int argc, char **argv)
{
	uint8_t t;
	int rc;

	if (argc != 2 || word_or_hex(resets, argv[1], 0x7F, &t))
		return usage_err("reset hard|soft|key|HEX");
	rc = simple(d, "reset", 0x11, t);
	/* a reset ends every non-default session */
	if (!rc && !d->checking)
		d->session = 0x01;
	return rc;
}

static int c_tester(struct diag *d, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return usage_err("tester takes no arguments");
	return simple(d, "tester", 0x3E, 0);
}

static const struct word comms[] = {
	{"enable", 0}, {"rx-only", 1}, {"tx-only", 2}, {"disable", 3}, {NULL, 0},
};

static int c_comm(struct diag *d, int argc, char **argv)
{
	uint8_t ctl, type = 0x01;
	int n, rc;

	if (argc < 2 || argc > 3 || word_or_hex(comms, argv[1], 0x7F, &ctl) ||
	    (argc == 3 && word_or_hex(NULL, argv[2], 0xFF, &type)))
		return usage_err("comm enable|disable|rx-only|tx-only|HEX [TYPE]");
	if (d->checking)
		return 0;
	n = uds_req_comm_control(d->req, sizeof(d->req), ctl, type, 0);
	rc = xfer(d, "comm", (size_t)n, 0);
	if (rc)
		return rc;
	if (d->c.json)
		printf("{\"command\":\"comm\",\"control\":%u,\"type\":%u,\"ok\":true}\n", ctl,
		       type);
	else
		printf("comm 0x%02X type 0x%02X: ok\n", ctl, type);
	return 0;
}

/* ---- read / write ---- */

static int parse_did(struct diag *d, const char *s, uint16_t *did)
{
	uint32_t v;
	int e = uds_did_lookup_name(&d->dict, s);

	if (e >= 0) {
		*did = (uint16_t)e;
		return 0;
	}
	if (ucli_hexnum(s, 0xFFFF, &v))
		return -1;
	*did = (uint16_t)v;
	return 0;
}

static int did_len(void *ctx, uint16_t did)
{
	const struct uds_did_entry *e = uds_did_find(ctx, did);

	return e && e->len > 0 ? e->len : -1;
}

struct read_out {
	struct diag *d;
	unsigned int n;
	int raw; /* the answer does not fit the dictionary */
};

static void on_did(void *ctx, uint16_t did, const uint8_t *data, size_t n)
{
	struct read_out *o = ctx;
	struct diag *d = o->d;
	const struct uds_did_entry *e = uds_did_find(&d->dict, did);

	if (d->c.json) {
		printf("%s{\"did\":\"%04X\"", o->n ? "," : "", did);
		if (e && e->name) {
			printf(",");
			json_key("name");
			ucli_json_str(stdout, e->name, strlen(e->name));
		}
		printf(",");
		json_key("hex");
		json_hex(data, n);
		if (o->raw) {
			printf(",\"raw\":true}");
		} else {
			printf(",");
			json_key("value");
			diddict_print_value(stdout, e, data, n, 1);
			printf("}");
		}
	} else {
		printf("%04X", did);
		if (e && e->name)
			printf(" %s", e->name);
		printf(": ");
		if (o->raw)
			ucli_print_hex(stdout, data, n, ' ');
		else
			diddict_print_value(stdout, e, data, n, 0);
		printf("\n");
	}
	o->n++;
}

#define READ_SPLIT_FAILED (-1000) /* read_some(): try one DID at a time */

/*
 * Reads dids[0..n) in one request.  Returns 0, an exit code, or
 * READ_SPLIT_FAILED when several DIDs' answer does not split at the
 * dictionary's lengths (nothing printed then).
 */
static int read_some(struct diag *d, const uint16_t *dids, size_t n, struct read_out *o)
{
	const struct uds_did_entry *e;
	const struct ucli_rsp *a;
	int len, rc;

	len = uds_req_read_did(d->req, sizeof(d->req), dids, n);
	rc = xfer(d, "read", (size_t)len, 0);
	if (rc)
		return rc;
	a = ucli_answer(&d->c);
	if (!uds_parse_read_did(a->data, a->len, dids, n, did_len, &d->dict, NULL, NULL)) {
		uds_parse_read_did(a->data, a->len, dids, n, did_len, &d->dict, on_did, o);
		return 0;
	}
	if (n > 1)
		return READ_SPLIT_FAILED;
	/* One DID, echoed right, but not the length the dictionary says
	 * (ECUs differ from ISO 14229-1 and from each other): its bytes as
	 * they came, and a warning. */
	if (uds_parse_read_did(a->data, a->len, dids, 1, NULL, NULL, NULL, NULL))
		return ucli_fail(&d->c, "read", -EBADMSG);
	e = uds_did_find(&d->dict, dids[0]);
	fflush(stdout);
	cli_err(CMD,
		"warning: read %04X%s%s: the ECU answered %zu bytes, the dictionary "
		"says %d; shown raw",
		dids[0], e && e->name ? " " : "", e && e->name ? e->name : "", a->len - 3,
		e ? e->len : -1);
	o->raw = 1;
	uds_parse_read_did(a->data, a->len, dids, 1, NULL, NULL, on_did, o);
	o->raw = 0;
	return 0;
}

static int c_read(struct diag *d, int argc, char **argv)
{
	uint16_t dids[MAX_DIDS];
	struct read_out o = {d, 0, 0};
	size_t n = (size_t)argc - 1, i;
	int rc = 0, known = 1;

	if (argc < 2 || n > MAX_DIDS)
		return usage_err("read DID... (1 to 64 DIDs, hex or dictionary names)");
	for (i = 0; i < n; i++) {
		if (parse_did(d, argv[i + 1], &dids[i])) {
			cli_err(CMD, "read: bad DID '%s' (hex 0000-FFFF or a dictionary name)",
				argv[i + 1]);
			return EXIT_USAGE;
		}
		if (i + 1 < n && did_len(&d->dict, dids[i]) < 0)
			known = 0;
	}
	if (d->checking)
		return 0;
	if (d->c.json)
		printf("{\"command\":\"read\",\"dids\":[");
	/* several DIDs share a request only when every length but the last
	 * is known; otherwise the answer cannot be split */
	if (known)
		rc = read_some(d, dids, n, &o);
	if (rc == READ_SPLIT_FAILED) {
		cli_err(CMD, "warning: read: the answer does not split at the dictionary's "
			     "DID lengths; reading one DID at a time");
		known = 0;
		rc = 0;
	}
	for (i = 0; !known && !rc && i < n; i++)
		rc = read_some(d, &dids[i], 1, &o);
	if (d->c.json && !rc)
		printf("]}\n");
	else if (d->c.json)
		printf("]}\n");
	return rc;
}

static int c_write(struct diag *d, int argc, char **argv)
{
	uint8_t data[MAX_REQ - 3];
	uint16_t did;
	long n;
	int len, rc;

	if (argc != 3)
		return usage_err("write DID HEX");
	if (parse_did(d, argv[1], &did))
		return usage_err("write: bad DID");
	n = diddict_encode(uds_did_find(&d->dict, did), argv[2], data, sizeof(data));
	if (n <= 0)
		return usage_err(
			"write: bad data (hex bytes, or a value the dictionary can encode)");
	if (d->checking)
		return 0;
	len = uds_req_did_data(d->req, sizeof(d->req), 0x2E, did, data, (size_t)n);
	rc = xfer(d, "write", (size_t)len, 0);
	if (rc)
		return rc;
	if (d->c.json)
		printf("{\"command\":\"write\",\"did\":\"%04X\",\"bytes\":%ld,\"ok\":true}\n", did,
		       n);
	else
		printf("%04X: written, %ld byte%s\n", did, n, cli_plural((uint64_t)n));
	return 0;
}

/* ---- DTCs ---- */

static void print_status(uint8_t st, int json)
{
	unsigned int b, k = 0;

	if (json) {
		printf("\"status\":%u,\"status_bits\":[", st);
		for (b = 0; b < 8; b++)
			if (st & (1u << b))
				printf("%s\"%s\"", k++ ? "," : "", uds_dtc_status_name(b));
		printf("]");
		return;
	}
	printf("status 0x%02X", st);
	for (b = 0; b < 8; b++)
		if (st & (1u << b))
			printf("%s%s", k++ ? "," : " ", uds_dtc_status_name(b));
}

static void print_dtc(const struct uds_dtc *t, int json, int first)
{
	char s[9];

	uds_dtc_str(t->code, s);
	if (json) {
		printf("%s{\"dtc\":\"%06X\",\"sae\":\"%s\",", first ? "" : ",", t->code, s);
		print_status(t->status, 1);
		printf("}");
		return;
	}
	printf("%06X %s ", t->code, s);
	print_status(t->status, 0);
	printf("\n");
}

static int dtc_list(struct diag *d, uint8_t sub, const uint8_t *p, size_t np)
{
	struct uds_dtc t[256];
	const struct ucli_rsp *a;
	size_t n, i;
	uint8_t avail;
	int len, rc;

	if (d->checking)
		return 0;
	len = uds_req_read_dtc(d->req, sizeof(d->req), sub, p, np);
	rc = xfer(d, "dtc", (size_t)len, 0);
	if (rc)
		return rc;
	a = ucli_answer(&d->c);
	if (uds_parse_dtc_list(a->data, a->len, &avail, t, 256, &n))
		return ucli_fail(&d->c, "dtc", -EBADMSG);
	if (d->c.json)
		printf("{\"command\":\"dtc\",\"sub\":%u,\"availability\":%u,\"count\":%zu,\"dtcs\":"
		       "[",
		       sub, avail, n);
	for (i = 0; i < n && i < 256; i++)
		print_dtc(&t[i], d->c.json, !i);
	if (d->c.json)
		printf("]}\n");
	else
		printf("%zu DTC%s (status availability mask 0x%02X)\n", n, n == 1 ? "" : "s",
		       avail);
	return 0;
}

static void on_rec(void *ctx, uint8_t rec, int did, const uint8_t *data, size_t n)
{
	struct read_out *o = ctx;
	struct diag *d = o->d;
	const struct uds_did_entry *e = did >= 0 ? uds_did_find(&d->dict, (uint16_t)did) : NULL;

	if (d->c.json) {
		printf("%s{\"record\":%u", o->n++ ? "," : "", rec);
		if (did >= 0)
			printf(",\"did\":\"%04X\"", did);
		printf(",\"hex\":");
		json_hex(data, n);
		if (did >= 0) {
			printf(",\"value\":");
			diddict_print_value(stdout, e, data, n, 1);
		}
		printf("}");
		return;
	}
	printf("  record 0x%02X", rec);
	if (did >= 0) {
		printf(" %04X", did);
		if (e && e->name)
			printf(" %s", e->name);
		printf(": ");
		diddict_print_value(stdout, e, data, n, 0);
	} else {
		printf(": ");
		ucli_print_hex(stdout, data, n, ' ');
	}
	printf("\n");
}

static int dtc_records(struct diag *d, uint8_t sub, int argc, char **argv)
{
	struct read_out o = {d, 0, 0};
	const struct ucli_rsp *a;
	struct uds_dtc t;
	uint8_t p[4];
	uint32_t code, rec = 0xFF;
	int len, rc, raw;

	if (argc < 3 || argc > 4 || ucli_hexnum(argv[2], 0xFFFFFF, &code) ||
	    (argc == 4 && ucli_hexnum(argv[3], 0xFF, &rec)))
		return usage_err("dtc snapshot|extended DTC [RECORD]");
	if (d->checking)
		return 0;
	p[0] = (uint8_t)(code >> 16);
	p[1] = (uint8_t)(code >> 8);
	p[2] = (uint8_t)code;
	p[3] = (uint8_t)rec;
	len = uds_req_read_dtc(d->req, sizeof(d->req), sub, p, 4);
	rc = xfer(d, "dtc", (size_t)len, 0);
	if (rc)
		return rc;
	a = ucli_answer(&d->c);
	if (a->len < 6 || a->data[1] != sub)
		return ucli_fail(&d->c, "dtc", -EBADMSG);
	/* a snapshot can be split only where every DID's length is known;
	 * otherwise its records are shown as they came */
	raw = uds_parse_dtc_records(a->data, a->len, &t, sub == 0x04 ? did_len : NULL, &d->dict,
				    NULL, NULL) != 0;
	t.code = (uint32_t)a->data[2] << 16 | (uint32_t)a->data[3] << 8 | a->data[4];
	t.status = a->data[5];
	if (d->c.json) {
		printf("{\"command\":\"dtc\",\"sub\":%u,\"dtc\":\"%06X\",", sub, t.code);
		print_status(t.status, 1);
		if (raw) {
			printf(",\"records_hex\":");
			json_hex(a->data + 6, a->len - 6);
			printf("}\n");
			return 0;
		}
		printf(",\"records\":[");
	} else {
		print_dtc(&t, 0, 1);
		if (raw) {
			printf("  records (DID lengths unknown, see --dids): ");
			ucli_print_hex(stdout, a->data + 6, a->len - 6, ' ');
			printf("\n");
			return 0;
		}
	}
	uds_parse_dtc_records(a->data, a->len, &t, sub == 0x04 ? did_len : NULL, &d->dict, on_rec,
			      &o);
	if (d->c.json)
		printf("]}\n");
	return 0;
}

static int c_dtc(struct diag *d, int argc, char **argv)
{
	const struct ucli_rsp *a;
	uint32_t v = 0xFF;
	uint8_t p[64], avail, fmt;
	uint16_t cnt;
	int len, rc;
	long n;

	if (argc < 2)
		return usage_err("dtc read|count|supported|clear|snapshot|extended|on|off|raw");
	if (!strcmp(argv[1], "read") || !strcmp(argv[1], "count")) {
		if (argc > 3 || (argc == 3 && ucli_hexnum(argv[2], 0xFF, &v)))
			return usage_err("dtc read|count [MASK]");
		p[0] = (uint8_t)v;
		if (argv[1][0] == 'r')
			return dtc_list(d, 0x02, p, 1);
		if (d->checking)
			return 0;
		len = uds_req_read_dtc(d->req, sizeof(d->req), 0x01, p, 1);
		rc = xfer(d, "dtc", (size_t)len, 0);
		if (rc)
			return rc;
		a = ucli_answer(&d->c);
		if (uds_parse_dtc_count(a->data, a->len, &avail, &fmt, &cnt))
			return ucli_fail(&d->c, "dtc", -EBADMSG);
		if (d->c.json)
			printf("{\"command\":\"dtc\",\"sub\":1,\"availability\":%u,\"format\":%u,"
			       "\"count\":%u}\n",
			       avail, fmt, cnt);
		else
			printf("%u DTC%s match mask 0x%02X (availability 0x%02X, format 0x%02X)\n",
			       cnt, cnt == 1 ? "" : "s", (unsigned int)v, avail, fmt);
		return 0;
	}
	if (!strcmp(argv[1], "supported") && argc == 2)
		return dtc_list(d, 0x0A, NULL, 0);
	if (!strcmp(argv[1], "snapshot"))
		return dtc_records(d, 0x04, argc, argv);
	if (!strcmp(argv[1], "extended"))
		return dtc_records(d, 0x06, argc, argv);
	if (!strcmp(argv[1], "clear")) {
		v = 0xFFFFFF;
		if (argc > 3 || (argc == 3 && ucli_hexnum(argv[2], 0xFFFFFF, &v)))
			return usage_err("dtc clear [GROUP]");
		if (d->checking)
			return 0;
		len = uds_req_clear_dtc(d->req, sizeof(d->req), v);
		rc = xfer(d, "dtc clear", (size_t)len, 0);
		if (rc)
			return rc;
		if (d->c.json)
			printf("{\"command\":\"dtc clear\",\"group\":\"%06X\",\"ok\":true}\n", v);
		else
			printf("DTCs cleared (group %06X)\n", v);
		return 0;
	}
	if ((!strcmp(argv[1], "on") || !strcmp(argv[1], "off")) && argc == 2)
		return simple(d, "dtc-setting", 0x85, argv[1][1] == 'n' ? 1 : 2);
	if (!strcmp(argv[1], "raw") && (argc == 3 || argc == 4)) {
		n = 0;
		if (ucli_hexnum(argv[2], 0x7F, &v) ||
		    (argc == 4 && (n = ucli_hex(argv[3], p, sizeof(p))) < 0))
			return usage_err("dtc raw SUB [HEX]");
		if (d->checking)
			return 0;
		len = uds_req_read_dtc(d->req, sizeof(d->req), (uint8_t)v, p, (size_t)n);
		rc = xfer(d, "dtc", (size_t)len, 0);
		if (rc)
			return rc;
		a = ucli_answer(&d->c);
		if (d->c.json) {
			printf("{\"command\":\"dtc\",\"sub\":%u,\"hex\":", v);
			json_hex(a->data, a->len);
			printf("}\n");
		} else {
			ucli_print_hex(stdout, a->data, a->len, ' ');
			printf("\n");
		}
		return 0;
	}
	return usage_err("dtc read|count|supported|clear|snapshot|extended|on|off|raw");
}

/* ---- security access ---- */

static long key_from_lib(const char *path, uint8_t level, const uint8_t *seed, size_t n,
			 uint8_t *key, size_t cap)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	uds_seedkey_fn fn;
	long k;

	if (!h) {
		cli_err(CMD, "unlock: %s", dlerror());
		return -1;
	}
	*(void **)&fn = dlsym(h, UDS_SEEDKEY_SYMBOL);
	if (!fn) {
		cli_err(CMD, "unlock: %s has no symbol %s", path, UDS_SEEDKEY_SYMBOL);
		dlclose(h);
		return -1;
	}
	k = fn(level, seed, n, key, cap);
	dlclose(h);
	return k > 0 && (size_t)k <= cap ? k : -1;
}

/* The key library loads and has its symbol: known before the chain starts. */
static int key_lib_check(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	int ok;

	if (!h) {
		cli_err(CMD, "unlock: %s", dlerror());
		return EXIT_RUNTIME;
	}
	ok = dlsym(h, UDS_SEEDKEY_SYMBOL) != NULL;
	dlclose(h);
	if (!ok) {
		cli_err(CMD, "unlock: %s has no symbol %s", path, UDS_SEEDKEY_SYMBOL);
		return EXIT_RUNTIME;
	}
	return 0;
}

static int c_unlock(struct diag *d, int argc, char **argv)
{
	const struct ucli_rsp *a;
	const uint8_t *seed;
	uint8_t key[512], sv[512];
	size_t n;
	uint32_t lvl;
	long k;
	int len, rc;

	if (argc != 2 || ucli_hexnum(argv[1], 0x41, &lvl) || !(lvl & 1))
		return usage_err("unlock LEVEL (odd, 01-41) with --key-cmd or --key-lib");
	if (!d->key_cmd && !d->key_lib)
		return usage_err(
			"unlock needs --key-cmd 'PROG {level} {seed}' or --key-lib FILE.so");
	if (d->checking) {
		if (d->key_lib)
			return key_lib_check(d->key_lib);
		if (!d->key_cmd[strspn(d->key_cmd, " \t")])
			return usage_err("unlock: --key-cmd is empty");
		return 0;
	}
	len = uds_req_security(d->req, sizeof(d->req), (uint8_t)lvl, NULL, 0);
	rc = xfer(d, "unlock", (size_t)len, 0);
	if (rc)
		return rc;
	a = ucli_answer(&d->c);
	if (uds_parse_seed(a->data, a->len, &seed, &n) || n > sizeof(sv))
		return ucli_fail(&d->c, "unlock", -EBADMSG);
	if (uds_seed_is_zero(seed, n)) {
		if (d->c.json)
			printf("{\"command\":\"unlock\",\"level\":%u,\"already\":true}\n", lvl);
		else
			printf("level 0x%02X: already unlocked (zero seed)\n", lvl);
		return 0;
	}
	memcpy(sv, seed, n);
	if (d->key_lib) {
		k = key_from_lib(d->key_lib, (uint8_t)lvl, sv, n, key, sizeof(key));
		if (k <= 0) {
			cli_err(CMD, "unlock: the key library gave no key");
			return EXIT_RUNTIME;
		}
	} else {
		size_t kl;
		int e = keycmd_run(d->key_cmd, (uint8_t)lvl, sv, n, key, sizeof(key), &kl);

		if (e) {
			cli_err(CMD, "unlock: key command: %s", keycmd_strerror(e));
			return EXIT_RUNTIME;
		}
		k = (long)kl;
	}
	len = uds_req_security(d->req, sizeof(d->req), (uint8_t)(lvl + 1), key, (size_t)k);
	rc = xfer(d, "unlock", (size_t)len, 0);
	if (rc)
		return rc;
	if (d->c.json) {
		printf("{\"command\":\"unlock\",\"level\":%u,\"seed\":", lvl);
		json_hex(sv, n);
		printf(",\"ok\":true}\n");
	} else {
		printf("level 0x%02X: unlocked\n", lvl);
	}
	return 0;
}

/* ---- routine, io, memory ---- */

static const struct word routines[] = {
	{"start", 1}, {"stop", 2}, {"result", 3}, {"results", 3}, {NULL, 0},
};

static int print_tail(struct diag *d, const char *what, const char *idname, uint32_t id,
		      size_t skip)
{
	const struct ucli_rsp *a = ucli_answer(&d->c);
	size_t n = a->len > skip ? a->len - skip : 0;

	if (d->c.json) {
		printf("{\"command\":\"%s\",\"%s\":\"%04X\",\"hex\":", what, idname, id);
		json_hex(a->data + skip, n);
		printf("}\n");
	} else {
		printf("%s %04X: ok", what, id);
		if (n) {
			printf(", ");
			ucli_print_hex(stdout, a->data + skip, n, ' ');
		}
		printf("\n");
	}
	return 0;
}

static int c_routine(struct diag *d, int argc, char **argv)
{
	uint8_t sub, rec[MAX_REQ - 8];
	uint32_t rid;
	long n = 0;
	int len, rc;

	if (argc < 3 || argc > 4 || word_or_hex(routines, argv[1], 0, &sub) ||
	    ucli_hexnum(argv[2], 0xFFFF, &rid) ||
	    (argc == 4 && (n = ucli_hex(argv[3], rec, sizeof(rec))) < 0))
		return usage_err("routine start|stop|result ID [HEX]");
	if (d->checking)
		return 0;
	len = uds_req_routine(d->req, sizeof(d->req), sub, (uint16_t)rid, rec, (size_t)n);
	rc = xfer(d, "routine", (size_t)len, 0);
	if (rc)
		return rc;
	/* 71 sub id(2) [status record] */
	if (ucli_answer(&d->c)->len < 4)
		return ucli_fail(&d->c, "routine", -EBADMSG);
	return print_tail(d, "routine", "id", rid, 4);
}

static const struct word ioparams[] = {
	{"return", 0}, {"reset", 1}, {"freeze", 2}, {"adjust", 3}, {NULL, 0},
};

static int c_io(struct diag *d, int argc, char **argv)
{
	uint8_t rec[MAX_REQ - 8], param;
	uint16_t did;
	long n = 0, m = 0;
	int len, rc;

	if (argc < 3 || argc > 4 || parse_did(d, argv[1], &did) ||
	    word_or_hex(ioparams, argv[2], 0xFF, &param))
		return usage_err("io DID return|reset|freeze|adjust [STATE-HEX] [--mask HEX]");
	rec[0] = param;
	if (argc == 4 && (n = ucli_hex(argv[3], rec + 1, sizeof(rec) - 1)) < 0)
		return usage_err("io: bad state hex");
	if (d->mask_hex &&
	    (m = ucli_hex(d->mask_hex, rec + 1 + n, sizeof(rec) - 1 - (size_t)n)) < 0)
		return usage_err("io: bad --mask hex");
	if (d->checking)
		return 0;
	len = uds_req_did_data(d->req, sizeof(d->req), 0x2F, did, rec, (size_t)(1 + n + m));
	rc = xfer(d, "io", (size_t)len, 0);
	if (rc)
		return rc;
	/* 6F did(2) param [state] */
	if (ucli_answer(&d->c)->len < 3)
		return ucli_fail(&d->c, "io", -EBADMSG);
	return print_tail(d, "io", "did", did, 3);
}

static uint8_t alfid_for(const struct diag *d, uint32_t addr, uint32_t size)
{
	return d->alfid >= 0 ? (uint8_t)d->alfid : uds_alfid(addr, size);
}

static void hexdump(uint32_t addr, const uint8_t *p, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i += 16) {
		printf("%08X ", (unsigned int)(addr + i));
		for (j = i; j < i + 16; j++) {
			if (j < n)
				printf(" %02X", p[j]);
			else
				printf("   ");
		}
		printf("  |");
		for (j = i; j < i + 16 && j < n; j++)
			putchar(p[j] >= 0x20 && p[j] < 0x7F ? p[j] : '.');
		printf("|\n");
	}
}

static int c_memory(struct diag *d, int argc, char **argv)
{
	const struct ucli_rsp *a;
	uint8_t data[MAX_REQ - 16];
	uint32_t addr, size;
	long n;
	int len, rc;

	if (argc == 4 && !strcmp(argv[1], "read")) {
		uint64_t sz;

		if (ucli_hexnum(argv[2], 0xFFFFFFFF, &addr) || cli_parse_u64(argv[3], &sz) || !sz ||
		    sz > 0xFFFF)
			return usage_err("memory read ADDR(hex) LEN(decimal, 1-65535)");
		size = (uint32_t)sz;
		if (d->alfid >= 0 && uds_alfid_check((uint8_t)d->alfid, addr, size))
			return usage_err("memory: --alfid too small for the address or length");
		if (d->checking)
			return 0;
		len = uds_req_memory(d->req, sizeof(d->req), 0x23, alfid_for(d, addr, size), addr,
				     size, NULL, 0);
		rc = xfer(d, "memory read", (size_t)len, 0);
		if (rc)
			return rc;
		a = ucli_answer(&d->c);
		if (d->c.json) {
			printf("{\"command\":\"memory read\",\"address\":%u,\"hex\":", addr);
			json_hex(a->data + 1, a->len - 1);
			printf("}\n");
		} else {
			hexdump(addr, a->data + 1, a->len - 1);
		}
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "write")) {
		if (ucli_hexnum(argv[2], 0xFFFFFFFF, &addr) ||
		    (n = ucli_hex(argv[3], data, sizeof(data))) <= 0)
			return usage_err("memory write ADDR(hex) HEX");
		if (d->alfid >= 0 && uds_alfid_check((uint8_t)d->alfid, addr, (uint32_t)n))
			return usage_err("memory: --alfid too small for the address or length");
		if (d->checking)
			return 0;
		len = uds_req_memory(d->req, sizeof(d->req), 0x3D, alfid_for(d, addr, (uint32_t)n),
				     addr, (uint32_t)n, data, (size_t)n);
		rc = xfer(d, "memory write", (size_t)len, 0);
		if (rc)
			return rc;
		if (d->c.json)
			printf("{\"command\":\"memory "
			       "write\",\"address\":%u,\"bytes\":%ld,\"ok\":true}\n",
			       addr, n);
		else
			printf("%08X: written, %ld byte%s\n", addr, n, cli_plural((uint64_t)n));
		return 0;
	}
	return usage_err("memory read ADDR LEN | memory write ADDR HEX");
}

/* ---- flash ---- */

static void progress(struct diag *d, size_t done, size_t total, uint64_t t0, int last)
{
	uint64_t now = cli_mono_ns();
	double s = (double)(now - t0) / 1e9;
	unsigned int pct = total ? (unsigned int)(done * 100 / total) : 100;
	int bar = (int)(pct * 30 / 100);

	/* a terminal redraw per block would cost more than the block */
	if (!d->progress || (!last && now - d->last_draw < 100000000ull))
		return;
	d->last_draw = now;
	fprintf(stderr, "\rflash [%-30.*s] %3u%% %zu/%zu B %.1f kB/s", bar,
		"##############################", pct, done, total,
		s > 0 ? (double)done / s / 1000 : 0.0);
	if (last)
		fputc('\n', stderr);
}

/*
 * Reads the image of flash FILE whole into st->img (the step owns it).
 * Returns 0 or the exit code (message printed).
 */
static int load_image(struct diag *d, struct step *sp, const char *path)
{
	struct stat st;
	uint8_t *img;
	size_t size, off;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		cli_err(CMD, "flash: %s: %s", path,
			fd < 0		      ? strerror(errno)
			: S_ISDIR(st.st_mode) ? strerror(EISDIR)
					      : "not a regular file");
		if (fd >= 0)
			close(fd);
		return EXIT_RUNTIME;
	}
	size = (size_t)st.st_size;
	if (!size || size > 0xFFFFFFFFu) {
		close(fd);
		cli_err(CMD, "flash: %s: size %zu out of range", path, size);
		return EXIT_USAGE;
	}
	if (d->alfid >= 0 && uds_alfid_check((uint8_t)d->alfid, d->addr, (uint32_t)size)) {
		close(fd);
		return usage_err("flash: --alfid too small for the address or size");
	}
	img = malloc(size);
	if (!img) {
		close(fd);
		cli_err(CMD, "flash: %s: out of memory for %zu bytes", path, size);
		return EXIT_RUNTIME;
	}
	for (off = 0; off < size; off += (size_t)r) {
		r = read(fd, img + off, size - off);
		if (r <= 0) {
			cli_err(CMD, "flash: %s: read failed", path);
			free(img);
			close(fd);
			return EXIT_RUNTIME;
		}
	}
	close(fd);
	sp->img = img;
	sp->img_len = size;
	return 0;
}

/* The session the ECU was last put in by this chain, for messages. */
static void session_text(const struct diag *d, char *buf, size_t n)
{
	const struct word *w;

	if (!d->session) {
		snprintf(buf, n, "the session it was in before (not changed here)");
		return;
	}
	for (w = sessions; w->s && w->v != d->session; w++)
		;
	snprintf(buf, n, "session 0x%02X%s%s", d->session, w->s ? " " : "", w->s ? w->s : "");
}

/*
 * Ends a download that stopped half-way (a signal, a failed block): sends
 * RequestTransferExit so that the ECU closes the transfer, and says in one
 * line what was accepted and what state the ECU is left in.  Returns rc,
 * or 128 + the signal.
 */
static int flash_abort(struct diag *d, const char *why, size_t done, size_t size, size_t blocks,
		       size_t nblocks, int rc)
{
	char sess[64], ex[160];
	int r, sig;

	d->req[0] = 0x37;
	r = ucli_xfer(&d->c, d->req, 1, UCLI_XFER_NOINTR);
	sig = ucli_signal();
	if (!r)
		snprintf(ex, sizeof(ex),
			 "RequestTransferExit accepted, the download is "
			 "closed");
	else if (r >= 0x10 && r <= 0xFF)
		snprintf(ex, sizeof(ex),
			 "RequestTransferExit refused (0x%02X %s), the "
			 "download may still be open (ECUReset ends it)",
			 r, uds_nrc_name((uint8_t)r));
	else if (r == -ETIMEDOUT)
		snprintf(ex, sizeof(ex),
			 "RequestTransferExit unanswered (%s %u ms), the "
			 "download may still be open (ECUReset ends it)",
			 d->c.cl->timeout ? d->c.cl->timeout : "P2", d->c.cl->timeout_ms);
	else
		snprintf(ex, sizeof(ex),
			 "RequestTransferExit not completed (%s), the "
			 "download may still be open (ECUReset ends it)",
			 r == -EINTR ? "interrupted again" : uds_client_strerror(r));
	session_text(d, sess, sizeof(sess));
	cli_err(CMD,
		"flash: %s after %zu of %zu blocks (%zu of %zu bytes accepted); "
		"%s; the ECU stays in %s with an incomplete image at %X",
		why, blocks, nblocks, done, size, ex, sess, d->addr);
	if (d->c.json)
		printf("{\"command\":\"flash\",\"error\":\"%s\",\"bytes_accepted\":%zu,"
		       "\"bytes\":%zu,\"blocks_accepted\":%zu,\"blocks\":%zu,"
		       "\"transfer_exit\":%d}\n",
		       sig ? "interrupted" : "transfer failed", done, size, blocks, nblocks, r);
	return sig ? 128 + sig : rc;
}

static int c_flash(struct diag *d, int argc, char **argv)
{
	const struct ucli_rsp *a;
	uint8_t *img, *blk = NULL;
	uint32_t max_block, crc;
	size_t size, off = 0, chunk, blocks = 0, nblocks;
	uint8_t bsc = 1;
	uint64_t t0;
	int len, rc = EXIT_RUNTIME;
	char what[128], why[48];

	if (argc != 2 || !d->have_addr)
		return usage_err("flash FILE --address ADDR [--format DFI] [--alfid XX]");
	/* read in the check pass: a missing or unreadable file must stop
	 * the chain before it changes the ECU's session */
	if (!d->step->img && (rc = load_image(d, d->step, argv[1])))
		return rc;
	if (d->checking)
		return 0;
	img = d->step->img;
	size = d->step->img_len;
	crc = uds_crc32(0, img, size);
	len = uds_req_download(d->req, sizeof(d->req), (uint8_t)(d->dfi >= 0 ? d->dfi : 0),
			       alfid_for(d, d->addr, (uint32_t)size), d->addr, (uint32_t)size);
	/* a signal now must not leave a download open that the ECU
	 * accepted after we stopped listening */
	rc = ucli_xfer(&d->c, d->req, (size_t)len, UCLI_XFER_NOINTR);
	if (rc)
		return ucli_fail(&d->c, "flash: RequestDownload", rc);
	a = ucli_answer(&d->c);
	if (uds_parse_download(a->data, a->len, &max_block) || max_block < 3) {
		rc = ucli_fail(&d->c, "flash: RequestDownload", -EBADMSG);
		return flash_abort(d, "RequestDownload answer malformed", 0, size, 0, 0, rc);
	}
	/* the ECU's block length counts SID and counter; our buffer and
	 * ISO-TP's single-message limit bound it too */
	if (max_block > 1u << 20)
		max_block = 1u << 20;
	nblocks = (size + max_block - 3) / (max_block - 2);
	blk = malloc(max_block);
	if (!blk) {
		cli_err(CMD, "flash: out of memory for a block of %u bytes", max_block);
		return flash_abort(d, "out of memory", 0, size, 0, nblocks, EXIT_RUNTIME);
	}
	t0 = cli_mono_ns();
	for (off = 0; off < size; off += chunk) {
		/* a signal between blocks: no further TransferData */
		if (ucli_signal()) {
			if (d->progress)
				fputc('\n', stderr);
			snprintf(why, sizeof(why), "interrupted by %s",
				 ucli_signal() == SIGTERM ? "SIGTERM" : "SIGINT");
			rc = flash_abort(d, why, off, size, blocks, nblocks, 0);
			goto out_free;
		}
		chunk = size - off < max_block - 2 ? size - off : max_block - 2;
		blk[0] = 0x36;
		blk[1] = bsc;
		memcpy(blk + 2, img + off, chunk);
		/* a block half on the wire is finished and its answer taken:
		 * the ECU then knows exactly how far it got */
		rc = ucli_xfer(&d->c, blk, chunk + 2, UCLI_XFER_NOINTR);
		/* 76 counter: the echo must match */
		a = rc ? NULL : ucli_answer(&d->c);
		if (!rc && (a->len < 2 || a->data[1] != bsc))
			rc = -EBADMSG;
		if (rc) {
			if (d->progress)
				fputc('\n', stderr);
			snprintf(what, sizeof(what),
				 "flash: TransferData block %zu (counter 0x%02X, "
				 "offset %zu)",
				 blocks + 1, bsc, off);
			rc = ucli_fail(&d->c, what, rc);
			rc = flash_abort(d, "stopped", off, size, blocks, nblocks, rc);
			goto out_free;
		}
		blocks++;
		bsc++; /* wraps from 0xFF to 0x00 (ISO 14229-1 14.4) */
		progress(d, off + chunk, size, t0, off + chunk == size);
	}
	d->req[0] = 0x37;
	rc = ucli_xfer(&d->c, d->req, 1, UCLI_XFER_NOINTR);
	if (rc) {
		rc = ucli_fail(&d->c, "flash: RequestTransferExit", rc);
		if (ucli_signal())
			rc = 128 + ucli_signal();
		goto out_free;
	}
	a = ucli_answer(&d->c);
	{
		double s = (double)(cli_mono_ns() - t0) / 1e9;
		int have = a->len == 5;
		uint32_t ecu = have ? (uint32_t)a->data[1] << 24 | (uint32_t)a->data[2] << 16 |
					       (uint32_t)a->data[3] << 8 | a->data[4]
				    : 0;

		if (d->c.json) {
			printf("{\"command\":\"flash\",\"bytes\":%zu,\"blocks\":%zu,\"block_len\":%"
			       "u,\"seconds\":%.3f,\"crc32\":\"%08X\",\"exit_record\":",
			       size, blocks, max_block, s, crc);
			json_hex(a->data + 1, a->len - 1);
			printf("}\n");
		} else {
			printf("flash: %zu bytes in %zu blocks of up to %u, %.2f s (%.1f kB/s), "
			       "CRC32 %08X",
			       size, blocks, max_block - 2, s,
			       s > 0 ? (double)size / s / 1000 : 0.0, crc);
			if (a->len > 1) {
				printf(", ECU answered ");
				ucli_print_hex(stdout, a->data + 1, a->len - 1, 0);
			}
			printf("\n");
		}
		rc = 0;
		if (d->check_crc && (!have || ecu != crc)) {
			cli_err(CMD, "flash: ECU CRC32 %s does not match the image's %08X",
				have ? "answer" : "(no 4-byte answer)", crc);
			rc = EXIT_RUNTIME;
		}
		/* the download is complete: a signal during 0x37 changes
		 * nothing on the ECU, but the user asked us to stop */
		if (ucli_signal())
			rc = 128 + ucli_signal();
	}
out_free:
	free(blk);
	return rc;
}

/* ---- raw and scan ---- */

static void print_answer(struct diag *d, const struct ucli_rsp *r, int first)
{
	if (d->c.json) {
		printf("%s{\"ecu\":\"", first ? "" : ",");
		print_src(d, r->src);
		printf("\",\"result\":%d", r->result);
		if (r->result >= 0x10)
			printf(",\"nrc_name\":\"%s\"", uds_nrc_name((uint8_t)r->result));
		else if (r->result < 0)
			printf(",\"error\":\"%s\"", uds_client_strerror(r->result));
		printf(",\"hex\":");
		json_hex(r->data, r->len);
		printf("}");
		return;
	}
	print_src(d, r->src);
	printf(": ");
	if (r->len)
		ucli_print_hex(stdout, r->data, r->len, ' ');
	if (r->result >= 0x10)
		printf("  (negative: 0x%02X %s)", r->result, uds_nrc_name((uint8_t)r->result));
	else if (r->result < 0)
		printf("(%s)", uds_client_strerror(r->result));
	printf("\n");
}

static int c_raw(struct diag *d, int argc, char **argv)
{
	unsigned int i, flags = d->functional ? UDS_REQ_FUNCTIONAL : 0;
	long n;
	int r, rc = 0;

	if (argc != 2 || (n = ucli_hex(argv[1], d->req, sizeof(d->req))) <= 0)
		return usage_err("raw HEX (e.g. '22 F1 90')");
	/* over DoIP a functional -e says it: every ECU behind it answers */
	if (d->c.doip && d->c.ecu >= 0 && doip_io_functional((uint16_t)d->c.ecu))
		flags = UDS_REQ_FUNCTIONAL;
	else if (flags && d->c.doip)
		return usage_err("raw --functional over DoIP: -e is then a functional "
				 "address (E000..EFFF, e.g. E400)");
	if (d->checking)
		return 0;
	r = ucli_xfer(&d->c, d->req, (size_t)n, flags);
	if (d->c.json)
		printf("{\"command\":\"raw\",\"answers\":[");
	for (i = 0; i < d->c.nrsp; i++) {
		print_answer(d, &d->c.rsp[i], !i);
		if (d->c.rsp[i].result >= 0x10 && !flags)
			rc = EXIT_NRC;
	}
	if (d->c.json)
		printf("]}\n");
	if (r && r < 0x10)
		return ucli_fail(&d->c, "raw", r);
	if (r >= 0x10 && !d->c.json)
		cli_err(CMD, "raw: negative response 0x%02X %s", r, uds_nrc_name((uint8_t)r));
	if (!d->c.nrsp && !r && !d->c.json)
		printf("no answer (suppressed positive response)\n");
	return rc;
}

static int c_discover(struct diag *d, int argc, char **argv);

static int c_scan(struct diag *d, int argc, char **argv)
{
	uint32_t ids[UCLI_MAX_RSP];
	char vins[UCLI_MAX_RSP][64];
	unsigned int n = 0, i, k;
	const uint8_t tp[2] = {0x3E, 0x00};
	const uint16_t vin = 0xF190;
	int r, len;

	(void)argv;
	if (argc != 1)
		return usage_err("scan takes no arguments");
	/* over DoIP the entities say who is there */
	if (d->c.doip)
		return c_discover(d, argc, argv);
	if (!d->c.cfg.functional)
		return usage_err("scan needs functional addressing (11-bit or --29bit)");
	if (d->checking)
		return 0;
	/* who is there: everybody answers a functional TesterPresent */
	memcpy(d->req, tp, 2);
	r = ucli_xfer(&d->c, d->req, 2, UDS_REQ_FUNCTIONAL);
	if (r && r != -ETIMEDOUT)
		return ucli_fail(&d->c, "scan", r);
	for (i = 0; i < d->c.nrsp; i++)
		if (d->c.rsp[i].result == 0)
			ids[n++] = d->c.rsp[i].src;
	for (i = 0; i < n; i++)
		vins[i][0] = 0;
	/* then their VINs, in one functional request */
	len = uds_req_read_did(d->req, sizeof(d->req), &vin, 1);
	r = ucli_xfer(&d->c, d->req, (size_t)len, UDS_REQ_FUNCTIONAL);
	for (i = 0; i < d->c.nrsp; i++) {
		const struct ucli_rsp *a = &d->c.rsp[i];

		if (a->result || a->len < 3)
			continue;
		for (k = 0; k < n && ids[k] != a->src; k++)
			;
		if (k == n && n < UCLI_MAX_RSP) {
			/* answered the VIN but not TesterPresent */
			ids[n] = a->src;
			vins[n++][0] = 0;
		}
		if (k < n) {
			size_t l = a->len - 3 < 63 ? a->len - 3 : 63;

			memcpy(vins[k], a->data + 3, l);
			vins[k][l] = 0;
		}
	}
	if (d->c.json) {
		printf("{\"command\":\"scan\",\"ecus\":[");
		for (i = 0; i < n; i++) {
			printf("%s{\"id\":\"", i ? "," : "");
			print_src(d, ids[i]);
			printf("\",\"request_id\":\"");
			print_src(d, uds_io_request_id(&d->c.cfg, ids[i]));
			printf("\"");
			if (vins[i][0]) {
				printf(",\"vin\":");
				ucli_json_str(stdout, vins[i], strlen(vins[i]));
			}
			printf("}");
		}
		printf("]}\n");
	} else {
		for (i = 0; i < n; i++) {
			print_src(d, ids[i]);
			printf(" (requests on ");
			print_src(d, uds_io_request_id(&d->c.cfg, ids[i]));
			printf(")");
			if (vins[i][0])
				printf("  VIN %s", vins[i]);
			printf("\n");
		}
		printf("%u ECU%s answered\n", n, n == 1 ? "" : "s");
	}
	return n ? 0 : EXIT_RUNTIME;
}

/* ---- DoIP vehicle identification ---- */

static void print_id(const uint8_t *p, int json)
{
	unsigned int i;

	for (i = 0; i < DOIP_EID_LEN; i++)
		printf("%s%02X", json || !i ? "" : ":", p[i]);
}

static int c_discover(struct diag *d, int argc, char **argv)
{
	struct doip_io_vid v[UCLI_MAX_RSP];
	int n, i;

	(void)argv;
	if (argc != 1)
		return usage_err("discover takes no arguments");
	if (!d->c.doip)
		return usage_err("discover needs --doip HOST (the DoIP entity, or a broadcast "
				 "address)");
	if (d->checking)
		return 0;
	/* as long as an ECU has for its first answer: --p2 changes it */
	n = doip_io_discover(&d->c.doip_to, d->c.ccfg.p2_ms, v, UCLI_MAX_RSP);
	if (n < 0) {
		cli_err(CMD, "discover: %s:%u: %s", inet_ntoa(d->c.doip_to.sin_addr),
			ntohs(d->c.doip_to.sin_port), strerror(-n));
		return EXIT_RUNTIME;
	}
	if (d->c.json)
		printf("{\"command\":\"discover\",\"entities\":[");
	for (i = 0; i < n; i++) {
		const struct doip_vid *e = &v[i].m.u.vid;

		if (d->c.json) {
			printf("%s{\"ip\":\"%s\",\"vin\":", i ? "," : "",
			       inet_ntoa(v[i].from.sin_addr));
			ucli_json_str(stdout, e->vin, DOIP_VIN_LEN);
			printf(",\"address\":\"%04X\",\"eid\":\"", e->la);
			print_id(e->eid, 1);
			printf("\",\"gid\":\"");
			print_id(e->gid, 1);
			printf("\",\"further_action\":%u", e->further);
			if (e->has_sync)
				printf(",\"sync_status\":%u", e->sync);
			printf("}");
			continue;
		}
		printf("%s: VIN %.17s, address %04X, EID ", inet_ntoa(v[i].from.sin_addr), e->vin,
		       e->la);
		print_id(e->eid, 0);
		printf(", GID ");
		print_id(e->gid, 0);
		printf(", further action 0x%02X", e->further);
		if (e->has_sync)
			printf(", sync status 0x%02X", e->sync);
		printf("\n");
	}
	if (d->c.json)
		printf("]}\n");
	else
		printf("%d DoIP entit%s answered\n", n, n == 1 ? "y" : "ies");
	return n ? 0 : EXIT_RUNTIME;
}

static int c_sleep(struct diag *d, int argc, char **argv)
{
	double s;

	if (argc != 2 || cli_parse_pos_double(argv[1], &s) || s > 86400)
		return usage_err("sleep SECONDS");
	if (d->checking)
		return 0;
	if (ucli_sleep(&d->c, (uint32_t)(s * 1000)))
		return ucli_fail(&d->c, "sleep", -EINTR);
	return 0;
}

/* ---- command table, options ---- */

struct command {
	const char *name;
	int (*fn)(struct diag *d, int argc, char **argv);
};

static const struct command commands[] = {
	{"session", c_session},	  {"reset", c_reset}, {"read", c_read},
	{"write", c_write},	  {"dtc", c_dtc},     {"unlock", c_unlock},
	{"routine", c_routine},	  {"io", c_io},	      {"memory", c_memory},
	{"flash", c_flash},	  {"raw", c_raw},     {"scan", c_scan},
	{"tester", c_tester},	  {"comm", c_comm},   {"sleep", c_sleep},
	{"discover", c_discover}, {NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: canrig diag -i IF [-e ECU | --tx ID --rx ID | --29bit TA] [OPTIONS]\n"
		"                   COMMAND [ARGS] [+ COMMAND [ARGS]]...\n"
		"       canrig diag --doip HOST[:PORT] [--sa SA] -e ADDR [OPTIONS] COMMAND...\n"
		"\n"
		"UDS (ISO 14229) tester over canrig's ISO-TP.  Commands joined by '+' run\n"
		"in order on one connection (TesterPresent keeps the session alive).\n"
		"Without -e, --tx/--rx or --29bit the ECU is 7E0, answering on 7E8 (11-bit\n"
		"physical, the engine ECU of ISO 15765-4); functional requests go to 7DF.\n"
		"\n"
		"Commands:\n"
		"  session default|programming|extended|safety|HEX   0x10\n"
		"  reset hard|soft|key|HEX                             0x11\n"
		"  read DID...                 0x22, DIDs in hex or dictionary names\n"
		"  write DID HEX|VALUE         0x2E, hex bytes as given, else a dictionary value\n"
		"  dtc read|count [MASK]       0x19 02 / 01 (mask default FF)\n"
		"  dtc supported               0x19 0A\n"
		"  dtc snapshot DTC [REC]      0x19 04 (record default FF: all)\n"
		"  dtc extended DTC [REC]      0x19 06\n"
		"  dtc raw SUB [HEX]           0x19, any sub-function, answer in hex\n"
		"  dtc clear [GROUP]           0x14 (group default FFFFFF: all)\n"
		"  dtc on|off                  0x85 ControlDTCSetting\n"
		"  unlock LEVEL                0x27 seed and key (--key-cmd or --key-lib)\n"
		"  routine start|stop|result ID [HEX]                  0x31\n"
		"  io DID return|reset|freeze|adjust [HEX] [--mask HEX] 0x2F\n"
		"  comm enable|disable|rx-only|tx-only|HEX [TYPE]      0x28\n"
		"  memory read ADDR LEN | memory write ADDR HEX        0x23 / 0x3D\n"
		"  flash FILE --address ADDR [--format DFI]            0x34 / 0x36 / 0x37\n"
		"  tester                      0x3E\n"
		"  sleep SECONDS               wait; TesterPresent keeps the session\n"
		"  raw HEX [--functional]      any request; every answer printed\n"
		"  scan                        functional discovery of ECUs and VINs\n"
		"                              (with --doip: as discover)\n"
		"  discover                    DoIP vehicle identification (UDP) to HOST\n"
		"                              (a broadcast address asks everyone): VIN,\n"
		"                              logical address, EID, GID of each entity\n"
		"\n"
		"Options:\n"
		"  -h, --help                 this text\n"
		"      --key-cmd 'PROG {level} {seed}'  key from a command's stdout (hex)\n"
		"      --key-lib FILE.so      key from FILE.so's canrig_seed_key()\n"
		"      --dids FILE.yaml       DID dictionary: names, lengths, formats\n"
		"      --address ADDR         flash: memory address (hex)\n"
		"      --format DFI           flash: dataFormatIdentifier (hex, default 00)\n"
		"      --alfid XX             addressAndLengthFormatIdentifier (hex)\n"
		"      --check-crc            flash: fail unless the 0x37 answer is the\n"
		"                             image's CRC-32\n"
		"      --mask HEX             io: controlEnableMaskRecord\n"
		"      --functional           raw: send to the functional address (with\n"
		"                             --doip: -e E000..EFFF, a functional logical\n"
		"                             address, implies it; each ECU answers from its own)\n"
		"  -v, --verbose              report 0x78 response-pending answers\n"
		"%s"
		"%s"
		"\n"
		"Exit status: 0 ok, 1 runtime error or timeout, 2 usage error,\n"
		"3 negative response (the NRC is named on stderr), 130 / 143 stopped by\n"
		"SIGINT / SIGTERM (a download is ended with 0x37 first and what the ECU\n"
		"accepted is said on stderr).\n",
		ucli_opts_help, ucli_doip_help);
}

enum {
	O_KEYCMD = 0x200,
	O_KEYLIB,
	O_DIDS,
	O_ADDR,
	O_FORMAT,
	O_ALFID,
	O_CRC,
	O_MASK,
	O_FUNCTIONAL,
};

static const struct option longopts[] = {
	UCLI_LONGOPTS,
	{"key-cmd", required_argument, NULL, O_KEYCMD},
	{"key-lib", required_argument, NULL, O_KEYLIB},
	{"dids", required_argument, NULL, O_DIDS},
	{"address", required_argument, NULL, O_ADDR},
	{"format", required_argument, NULL, O_FORMAT},
	{"alfid", required_argument, NULL, O_ALFID},
	{"check-crc", no_argument, NULL, O_CRC},
	{"mask", required_argument, NULL, O_MASK},
	{"functional", no_argument, NULL, O_FUNCTIONAL},
	{"doip", required_argument, NULL, UCLI_OPT_DOIP},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int diag_opt(struct diag *d, int opt, const char *arg)
{
	uint32_t v;
	int r = ucli_opt(&d->c, opt, arg);

	if (r)
		return r < 0 ? EXIT_USAGE : 0;
	switch (opt) {
	case O_KEYCMD:
		d->key_cmd = arg;
		return 0;
	case O_KEYLIB:
		d->key_lib = arg;
		return 0;
	case O_DIDS: {
		char err[512];

		/* a dictionary that cannot be read is 1, one that is wrong 2 */
		r = uds_did_load(&d->dict, arg, err, sizeof(err));
		if (r)
			cli_err(CMD, "%s", err);
		return !r ? 0 : r == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	case O_ADDR:
		if (ucli_hexnum(arg, 0xFFFFFFFF, &d->addr))
			break;
		d->have_addr = 1;
		return 0;
	case O_FORMAT:
		if (ucli_hexnum(arg, 0xFF, &v))
			break;
		d->dfi = (int)v;
		return 0;
	case O_ALFID:
		if (ucli_hexnum(arg, 0xFF, &v) || uds_alfid_check((uint8_t)v, 0, 0))
			break;
		d->alfid = (int)v;
		return 0;
	case O_CRC:
		d->check_crc = 1;
		return 0;
	case O_MASK:
		d->mask_hex = arg;
		return 0;
	case O_FUNCTIONAL:
		d->functional = 1;
		return 0;
	case 'v':
		d->c.verbose = 1;
		return 0;
	case 'h':
		usage(stdout);
		return -1;
	default:
		return cli_opt_error(CMD, opt, NULL);
	}
	cli_err(CMD, "bad value '%s'; try 'canrig diag --help'", arg);
	return EXIT_USAGE;
}

static const struct command *find_cmd(const char *s)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, s))
			return c;
	return NULL;
}

int cmd_diag(int argc, char **argv)
{
	struct diag *d = calloc(1, sizeof(*d));
	struct step *steps = NULL;
	int opt, rc = 0, i, k, n = 0, start;

	if (!d)
		return EXIT_RUNTIME;
	ucli_init(&d->c, CMD);
	uds_did_init(&d->dict);
	d->dfi = d->alfid = -1;
	d->progress = isatty(2);
	while ((opt = cli_getopt(argc, argv, "i:e:p:vh", longopts)) != -1) {
		if (opt == '?') {
			rc = cli_opt_error(CMD, opt, argv);
			goto out;
		}
		rc = diag_opt(d, opt, optarg);
		if (rc)
			goto out;
	}
	if (optind >= argc) {
		rc = usage_err("no command");
		goto out;
	}
	/* the chain, split at '+' */
	for (n = 1, i = optind; i < argc; i++)
		n += !strcmp(argv[i], "+");
	steps = calloc((size_t)n, sizeof(*steps));
	if (!steps) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	for (k = 0, start = optind; k < n; k++, start = i + 1) {
		for (i = start; i < argc && strcmp(argv[i], "+"); i++)
			;
		if (i == start) {
			rc = usage_err("empty command before or after '+'");
			goto out;
		}
		steps[k].cmd = find_cmd(argv[start]);
		if (!steps[k].cmd) {
			cli_err(CMD, "unknown command '%s'; try 'canrig diag --help'", argv[start]);
			rc = EXIT_USAGE;
			goto out;
		}
		steps[k].argc = i - start;
		steps[k].argv = argv + start;
	}
	if (ucli_check(&d->c)) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* a functional address collects every ECU's answer: raw prints them */
	for (k = 0; k < n && d->c.doip && d->c.ecu >= 0 && doip_io_functional((uint16_t)d->c.ecu);
	     k++)
		if (steps[k].cmd->fn != c_raw) {
			cli_err(CMD,
				"-e %04X is a functional address: only raw (each ECU's answer "
				"printed); try 'canrig diag --help'",
				(unsigned int)d->c.ecu);
			rc = EXIT_USAGE;
			goto out;
		}
	/* check every command of the chain (arguments, names, files) before
	 * the first request: a chain must not stop half-way on a typo,
	 * leaving the ECU in another session */
	d->checking = 1;
	for (k = 0; k < n && !rc; k++) {
		d->step = &steps[k];
		rc = steps[k].cmd->fn(d, steps[k].argc, steps[k].argv);
	}
	d->checking = 0;
	if (rc)
		goto out;
	/* discovery alone needs no connection (nor an ECU address) */
	for (k = 0; k < n && d->c.doip; k++)
		if (steps[k].cmd->fn != c_discover && steps[k].cmd->fn != c_scan)
			break;
	if (d->c.doip && k == n) {
		for (k = 0; k < n && !rc; k++)
			rc = steps[k].cmd->fn(d, steps[k].argc, steps[k].argv);
		goto out;
	}
	rc = ucli_open(&d->c);
	if (rc)
		goto out;
	for (k = 0; k < n && !rc; k++) {
		d->step = &steps[k];
		rc = steps[k].cmd->fn(d, steps[k].argc, steps[k].argv);
		fflush(stdout);
	}
	ucli_close(&d->c);
out:
	for (k = 0; steps && k < n; k++)
		free(steps[k].img);
	free(steps);
	uds_did_fini(&d->dict);
	free(d);
	return rc < 0 ? 0 : rc;
}
