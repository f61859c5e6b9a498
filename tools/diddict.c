/* SPDX-License-Identifier: MIT */
/* diddict.c - DID values as canrig diag prints and parses them. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diddict.h"
#include "ucli.h"

static int printable(const uint8_t *p, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7E)
			return 0;
	return 1;
}

static void print_ascii(FILE *f, const uint8_t *p, size_t n, int json)
{
	size_t i;

	if (json) {
		ucli_json_str(f, (const char *)p, n);
		return;
	}
	fputc('"', f);
	for (i = 0; i < n; i++)
		if (p[i] >= 0x20 && p[i] < 0x7F)
			fputc(p[i], f);
		else
			fprintf(f, "\\x%02X", p[i]);
	fputc('"', f);
}

void diddict_print_value(FILE *f, const struct uds_did_entry *e, const uint8_t *data, size_t n,
			 int json)
{
	enum uds_did_type t = e ? e->type : UDS_DID_AUTO;

	if (t == UDS_DID_AUTO)
		t = printable(data, n) ? UDS_DID_ASCII : UDS_DID_HEX;
	if ((t == UDS_DID_UINT || t == UDS_DID_INT) && (n < 1 || n > 8))
		t = UDS_DID_HEX;
	if (t == UDS_DID_ASCII) {
		print_ascii(f, data, n, json);
	} else if (t == UDS_DID_HEX) {
		if (json)
			fputc('"', f);
		ucli_print_hex(f, data, n, json ? 0 : ' ');
		if (json)
			fputc('"', f);
	} else {
		uint64_t raw = 0;
		double v;
		size_t i;

		for (i = 0; i < n; i++)
			raw = raw << 8 | data[i];
		if (t == UDS_DID_INT && n < 8 && (raw >> (8 * n - 1)) & 1)
			raw |= ~0ull << (8 * n);
		v = t == UDS_DID_INT ? (double)(int64_t)raw : (double)raw;
		v = v * e->scale + e->offset;
		fprintf(f, "%.15g", v);
		if (e->unit && !json)
			fprintf(f, " %s", e->unit);
	}
}

long diddict_encode(const struct uds_did_entry *e, const char *s, uint8_t *buf, size_t cap)
{
	long h = ucli_hex(s, buf, cap);
	size_t n;

	/* hex bytes go as given, whatever the dictionary says the DID holds:
	 * ECUs differ from it, and the tester must be able to write them */
	if (h > 0)
		return h;
	if (e && e->type == UDS_DID_ASCII) {
		n = strlen(s);
		if (n > cap || (e->len > 0 && n != (size_t)e->len))
			return -1;
		memcpy(buf, s, n);
		return (long)n;
	}
	if (e && (e->type == UDS_DID_UINT || e->type == UDS_DID_INT)) {
		char *end;
		double v = strtod(s, &end), r;
		int64_t x;
		int i;

		if (!*s || *end || !isfinite(v))
			return -1;
		r = nearbyint((v - e->offset) / e->scale);
		if (e->type == UDS_DID_UINT
			    ? (r < 0 || r > ldexp(1, 8 * e->len) - 1)
			    : (r < -ldexp(1, 8 * e->len - 1) || r > ldexp(1, 8 * e->len - 1) - 1))
			return -1;
		if ((size_t)e->len > cap)
			return -1;
		x = (int64_t)r;
		for (i = 0; i < e->len; i++)
			buf[i] = (uint8_t)((uint64_t)x >> (8 * (e->len - 1 - i)));
		return e->len;
	}
	return ucli_hex(s, buf, cap);
}
