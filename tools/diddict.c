/* SPDX-License-Identifier: MIT */
/* diddict.c - DID dictionary: built-in ISO names plus a YAML file. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diddict.h"
#include "ucli.h"
#include "yml.h"

/* ISO 14229-1:2020 annex C.1, the identifiers every tester knows */
static const struct {
	uint16_t did;
	const char *name;
	enum diddict_type t;
	int len;
} std_dids[] = {
	{0xF180, "BootSoftwareIdentification", DID_AUTO, -1},
	{0xF181, "ApplicationSoftwareIdentification", DID_AUTO, -1},
	{0xF182, "ApplicationDataIdentification", DID_AUTO, -1},
	{0xF183, "BootSoftwareFingerprint", DID_AUTO, -1},
	{0xF184, "ApplicationSoftwareFingerprint", DID_AUTO, -1},
	{0xF185, "ApplicationDataFingerprint", DID_AUTO, -1},
	{0xF186, "ActiveDiagnosticSession", DID_UINT, 1},
	{0xF187, "SparePartNumber", DID_AUTO, -1},
	{0xF188, "ECUSoftwareNumber", DID_AUTO, -1},
	{0xF189, "ECUSoftwareVersionNumber", DID_AUTO, -1},
	{0xF18A, "SystemSupplierIdentifier", DID_AUTO, -1},
	{0xF18B, "ECUManufacturingDate", DID_AUTO, -1},
	{0xF18C, "ECUSerialNumber", DID_AUTO, -1},
	{0xF18D, "SupportedFunctionalUnits", DID_AUTO, -1},
	{0xF18E, "KitAssemblyPartNumber", DID_AUTO, -1},
	{0xF190, "VIN", DID_ASCII, 17},
	{0xF191, "ECUHardwareNumber", DID_AUTO, -1},
	{0xF192, "SupplierECUHardwareNumber", DID_AUTO, -1},
	{0xF193, "SupplierECUHardwareVersionNumber", DID_AUTO, -1},
	{0xF194, "SupplierECUSoftwareNumber", DID_AUTO, -1},
	{0xF195, "SupplierECUSoftwareVersionNumber", DID_AUTO, -1},
	{0xF196, "TypeApprovalNumber", DID_AUTO, -1},
	{0xF197, "SystemName", DID_AUTO, -1},
	{0xF198, "RepairShopCode", DID_AUTO, -1},
	{0xF199, "ProgrammingDate", DID_AUTO, -1},
	{0xF19A, "CalibrationRepairShopCode", DID_AUTO, -1},
	{0xF19B, "CalibrationDate", DID_AUTO, -1},
	{0xF19C, "CalibrationEquipmentSoftwareNumber", DID_AUTO, -1},
	{0xF19D, "ECUInstallationDate", DID_AUTO, -1},
	{0xF19E, "ODXFile", DID_AUTO, -1},
	{0xF19F, "Entity", DID_AUTO, -1},
};
#define NSTD (sizeof(std_dids) / sizeof(std_dids[0]))

static int fill_builtin(struct diddict *d, size_t at)
{
	size_t i;

	for (i = 0; i < NSTD; i++) {
		struct diddict_entry *e = &d->e[at + i];

		memset(e, 0, sizeof(*e));
		e->did = std_dids[i].did;
		e->name = std_dids[i].name;
		e->type = std_dids[i].t;
		e->len = std_dids[i].len;
		e->scale = 1;
	}
	return 0;
}

void diddict_init(struct diddict *d)
{
	memset(d, 0, sizeof(*d));
	d->e = calloc(NSTD, sizeof(*d->e));
	if (d->e) {
		fill_builtin(d, 0);
		d->n = NSTD;
	}
}

void diddict_fini(struct diddict *d)
{
	free(d->e);
	free(d->strings);
	memset(d, 0, sizeof(*d));
}

const struct diddict_entry *diddict_find(const struct diddict *d, uint16_t did)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->e[i].did == did)
			return &d->e[i];
	return NULL;
}

int diddict_lookup_name(const struct diddict *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->e[i].name && !strcmp(d->e[i].name, name))
			return d->e[i].did;
	return -1;
}

static const char *const entry_keys[] = {
	"id", "name", "type", "length", "scale", "offset", "unit", NULL,
};
static const char *const top_keys[] = {"dids", NULL};

static int num(struct yml *y, yaml_node_t *n, double *v)
{
	const char *s;
	char *end;

	if (yml_str(y, n, &s))
		return -EINVAL;
	errno = 0;
	*v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(*v))
		return yml_error(y, n, "expected a number, found '%s'", s);
	return 0;
}

/* Copies s into the string pool at *pos. */
static const char *keep(char *pool, size_t *pos, const char *s)
{
	char *p = pool + *pos;

	strcpy(p, s);
	*pos += strlen(s) + 1;
	return p;
}

static int parse_entry(struct yml *y, yaml_node_t *n, struct diddict_entry *e, char *pool,
		       size_t *pos)
{
	static const char *const types[] = {"auto", "ascii", "hex", "uint", "int"};
	yaml_node_t *v;
	uint64_t x;
	const char *s;
	size_t k;

	if (yml_map_check(y, n, entry_keys) || yml_need(y, n, "id", &v) ||
	    yml_uint(y, v, 0xFFFF, &x))
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->did = (uint16_t)x;
	e->len = -1;
	e->scale = 1;
	if ((v = yml_get(y, n, "name"))) {
		if (yml_str(y, v, &s))
			return -EINVAL;
		if (!*s || strchr(s, ' '))
			return yml_error(y, v, "a DID name is one word");
		e->name = keep(pool, pos, s);
	}
	if ((v = yml_get(y, n, "type"))) {
		if (yml_str(y, v, &s))
			return -EINVAL;
		for (k = 0; k < 5 && strcmp(types[k], s); k++)
			;
		if (k == 5)
			return yml_error(y, v, "unknown type '%s' (auto, ascii, hex, uint, int)",
					 s);
		e->type = (enum diddict_type)k;
	}
	if ((v = yml_get(y, n, "length"))) {
		if (yml_uint(y, v, 4093, &x))
			return -EINVAL;
		if (!x)
			return yml_error(y, v, "length must be at least 1");
		e->len = (int)x;
	}
	if ((e->type == DID_UINT || e->type == DID_INT) && (e->len < 1 || e->len > 8))
		return yml_error(y, n, "a uint/int DID needs a length of 1 to 8");
	if ((v = yml_get(y, n, "scale")) && num(y, v, &e->scale))
		return -EINVAL;
	if (e->scale == 0)
		return yml_error(y, v, "scale must not be 0");
	if ((v = yml_get(y, n, "offset")) && num(y, v, &e->offset))
		return -EINVAL;
	if ((v = yml_get(y, n, "unit"))) {
		if (yml_str(y, v, &s))
			return -EINVAL;
		e->unit = keep(pool, pos, s);
	}
	return 0;
}

/* Bytes the strings of the file need in the pool. */
static size_t pool_size(struct yml *y, yaml_node_t *list, size_t n)
{
	size_t i, sz = 1;

	for (i = 0; i < n; i++) {
		yaml_node_t *it = yml_seq_item(y, list, i), *v;
		const char *s;

		if (!yml_is_map(it))
			continue;
		if ((v = yml_get(y, it, "name")) && yml_is_scalar(v) && !yml_str(y, v, &s))
			sz += strlen(s) + 1;
		if ((v = yml_get(y, it, "unit")) && yml_is_scalar(v) && !yml_str(y, v, &s))
			sz += strlen(s) + 1;
	}
	return sz;
}

int diddict_load(struct diddict *d, const char *path)
{
	struct yml y;
	struct diddict nd;
	yaml_node_t *root, *list;
	size_t n = 0, i, pos = 0;
	int e;

	memset(&y, 0, sizeof(y));
	memset(&nd, 0, sizeof(nd));
	e = yml_load_file(&y, path);
	if (e)
		goto out;
	root = yml_root(&y);
	if (!root) {
		e = yml_error(&y, NULL, "empty file: expected 'dids:'");
		goto out;
	}
	e = yml_map_check(&y, root, top_keys);
	if (!e)
		e = yml_need(&y, root, "dids", &list);
	if (!e)
		e = yml_seq(&y, list, &n);
	if (e)
		goto out;
	e = -ENOMEM;
	nd.e = calloc(n + d->n, sizeof(*nd.e));
	nd.strings = malloc(pool_size(&y, list, n));
	if (!nd.e || !nd.strings)
		goto out;
	for (i = 0; i < n; i++) {
		e = parse_entry(&y, yml_seq_item(&y, list, i), &nd.e[i], nd.strings, &pos);
		if (e)
			goto out;
	}
	/* the file's entries come first, so they win in diddict_find();
	 * a second --dids file replaces the first */
	fill_builtin(&nd, n);
	nd.n = n + NSTD;
	free(d->e);
	free(d->strings);
	*d = nd;
	memset(&nd, 0, sizeof(nd));
	e = 0;
out:
	if (e)
		fprintf(stderr, "canrig diag: %s\n",
			yml_errmsg(&y)[0] ? yml_errmsg(&y) : strerror(-e));
	free(nd.e);
	free(nd.strings);
	yml_fini(&y);
	return e;
}

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

void diddict_print_value(FILE *f, const struct diddict_entry *e, const uint8_t *data, size_t n,
			 int json)
{
	enum diddict_type t = e ? e->type : DID_AUTO;

	if (t == DID_AUTO)
		t = printable(data, n) ? DID_ASCII : DID_HEX;
	if ((t == DID_UINT || t == DID_INT) && (n < 1 || n > 8))
		t = DID_HEX;
	if (t == DID_ASCII) {
		print_ascii(f, data, n, json);
	} else if (t == DID_HEX) {
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
		if (t == DID_INT && n < 8 && (raw >> (8 * n - 1)) & 1)
			raw |= ~0ull << (8 * n);
		v = t == DID_INT ? (double)(int64_t)raw : (double)raw;
		v = v * e->scale + e->offset;
		fprintf(f, "%.15g", v);
		if (e->unit && !json)
			fprintf(f, " %s", e->unit);
	}
}

long diddict_encode(const struct diddict_entry *e, const char *s, uint8_t *buf, size_t cap)
{
	long h = ucli_hex(s, buf, cap);
	size_t n;

	/* hex bytes go as given, whatever the dictionary says the DID holds:
	 * ECUs differ from it, and the tester must be able to write them */
	if (h > 0)
		return h;
	if (e && e->type == DID_ASCII) {
		n = strlen(s);
		if (n > cap || (e->len > 0 && n != (size_t)e->len))
			return -1;
		memcpy(buf, s, n);
		return (long)n;
	}
	if (e && (e->type == DID_UINT || e->type == DID_INT)) {
		char *end;
		double v = strtod(s, &end), r;
		int64_t x;
		int i;

		if (!*s || *end || !isfinite(v))
			return -1;
		r = nearbyint((v - e->offset) / e->scale);
		if (e->type == DID_UINT
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
