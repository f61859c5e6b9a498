/* SPDX-License-Identifier: MIT */
/* uds_did.c - DID dictionary: built-in ISO names plus a YAML file. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "uds_did.h"
#include "yml.h"
#include "yml_read.h"

/* ISO 14229-1:2020 annex C.1, the identifiers every tester knows */
#define STD(id, nm, t, l)                                                                          \
	{                                                                                          \
		.did = (id), .name = (nm), .type = (t), .len = (l), .scale = 1                     \
	}
static const struct uds_did_entry std_dids[] = {
	STD(0xF180, "BootSoftwareIdentification", UDS_DID_AUTO, -1),
	STD(0xF181, "ApplicationSoftwareIdentification", UDS_DID_AUTO, -1),
	STD(0xF182, "ApplicationDataIdentification", UDS_DID_AUTO, -1),
	STD(0xF183, "BootSoftwareFingerprint", UDS_DID_AUTO, -1),
	STD(0xF184, "ApplicationSoftwareFingerprint", UDS_DID_AUTO, -1),
	STD(0xF185, "ApplicationDataFingerprint", UDS_DID_AUTO, -1),
	STD(0xF186, "ActiveDiagnosticSession", UDS_DID_UINT, 1),
	STD(0xF187, "SparePartNumber", UDS_DID_AUTO, -1),
	STD(0xF188, "ECUSoftwareNumber", UDS_DID_AUTO, -1),
	STD(0xF189, "ECUSoftwareVersionNumber", UDS_DID_AUTO, -1),
	STD(0xF18A, "SystemSupplierIdentifier", UDS_DID_AUTO, -1),
	STD(0xF18B, "ECUManufacturingDate", UDS_DID_AUTO, -1),
	STD(0xF18C, "ECUSerialNumber", UDS_DID_AUTO, -1),
	STD(0xF18D, "SupportedFunctionalUnits", UDS_DID_AUTO, -1),
	STD(0xF18E, "KitAssemblyPartNumber", UDS_DID_AUTO, -1),
	STD(0xF190, "VIN", UDS_DID_ASCII, 17),
	STD(0xF191, "ECUHardwareNumber", UDS_DID_AUTO, -1),
	STD(0xF192, "SupplierECUHardwareNumber", UDS_DID_AUTO, -1),
	STD(0xF193, "SupplierECUHardwareVersionNumber", UDS_DID_AUTO, -1),
	STD(0xF194, "SupplierECUSoftwareNumber", UDS_DID_AUTO, -1),
	STD(0xF195, "SupplierECUSoftwareVersionNumber", UDS_DID_AUTO, -1),
	STD(0xF196, "TypeApprovalNumber", UDS_DID_AUTO, -1),
	STD(0xF197, "SystemName", UDS_DID_AUTO, -1),
	STD(0xF198, "RepairShopCode", UDS_DID_AUTO, -1),
	STD(0xF199, "ProgrammingDate", UDS_DID_AUTO, -1),
	STD(0xF19A, "CalibrationRepairShopCode", UDS_DID_AUTO, -1),
	STD(0xF19B, "CalibrationDate", UDS_DID_AUTO, -1),
	STD(0xF19C, "CalibrationEquipmentSoftwareNumber", UDS_DID_AUTO, -1),
	STD(0xF19D, "ECUInstallationDate", UDS_DID_AUTO, -1),
	STD(0xF19E, "ODXFile", UDS_DID_AUTO, -1),
	STD(0xF19F, "Entity", UDS_DID_AUTO, -1),
};
#define NSTD (sizeof(std_dids) / sizeof(std_dids[0]))

void uds_did_init(struct uds_did_dict *d)
{
	memset(d, 0, sizeof(*d));
}

void uds_did_fini(struct uds_did_dict *d)
{
	yml_arena_free(&d->blocks);
	memset(d, 0, sizeof(*d));
}

const struct uds_did_entry *uds_did_find(const struct uds_did_dict *d, uint16_t did)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->e[i].did == did)
			return &d->e[i];
	for (i = 0; i < NSTD; i++)
		if (std_dids[i].did == did)
			return &std_dids[i];
	return NULL;
}

int uds_did_lookup_name(const struct uds_did_dict *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->e[i].name && !strcmp(d->e[i].name, name))
			return d->e[i].did;
	for (i = 0; i < NSTD; i++)
		if (!strcmp(std_dids[i].name, name))
			return std_dids[i].did;
	return -1;
}

/* ---- the file */

static int did_name(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	const char *s;
	int e;

	(void)i;
	e = yml_read_str(r, n, &s);
	if (e)
		return e;
	if (!*s || strchr(s, ' '))
		return yml_error(r->y, n, "a DID name is one word");
	*(const char **)p = s;
	return 0;
}

static int did_length(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	uint64_t x;

	(void)i;
	if (yml_uint(r->y, n, 4093, &x))
		return -EINVAL;
	if (!x)
		return yml_error(r->y, n, "length must be at least 1");
	*(int *)p = (int)x;
	return 0;
}

static int did_scale(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	static const struct yml_key k = {.name = "scale", .type = YML_NUM};
	int e = yml_read_value(r, n, &k, p);

	(void)i;
	if (!e && *(double *)p == 0)
		e = yml_error(r->y, n, "scale must not be 0");
	return e;
}

static const char *const types[] = {"auto", "ascii", "hex", "uint", "int", NULL};

/* An entry is read in two parts: what says how long the value is, then
 * how to show it; the type and the length are checked in between. */
static const struct yml_key entry_keys[] = {
	YML_KEY_UINT("id", struct uds_did_entry, did, 0xFFFF, YML_REQ),
	YML_KEY_FN("name", struct uds_did_entry, name, did_name, 0),
	YML_KEY_ENUM("type", struct uds_did_entry, type, types, NULL),
	{.name = "length",
	 .type = YML_FUNC,
	 .flags = YML_DEF,
	 YML_OFF(struct uds_did_entry, len),
	 .def = (uint64_t)-1,
	 .fn = did_length},
	YML_KEY_KNOWN("scale"),
	YML_KEY_KNOWN("offset"),
	YML_KEY_KNOWN("unit"),
	{0},
};

static const struct yml_key show_keys[] = {
	YML_KEY_FN("scale", struct uds_did_entry, scale, did_scale, 0),
	{.name = "offset", .type = YML_NUM, YML_OFF(struct uds_did_entry, offset)},
	{.name = "unit", .type = YML_STR, YML_OFF(struct uds_did_entry, unit)},
	{0},
};

static int entry_item(struct yml_rd *r, const yaml_node_t *m, void *arr, size_t i)
{
	struct uds_did_entry *e = (struct uds_did_entry *)arr + i;

	if ((e->type == UDS_DID_UINT || e->type == UDS_DID_INT) && (e->len < 1 || e->len > 8))
		return yml_error(r->y, m, "a uint/int DID needs a length of 1 to 8");
	e->scale = 1;
	return yml_read_keys(r, m, show_keys, e);
}

static const struct yml_key top_keys[] = {
	{.name = "dids",
	 .type = YML_LIST,
	 .flags = YML_REQ,
	 YML_OFF(struct uds_did_dict, e),
	 YML_OFF2(struct uds_did_dict, n),
	 .sub = entry_keys,
	 .item_size = sizeof(struct uds_did_entry),
	 .fn = entry_item},
	{0},
};

/* Reads what y holds (its load already ran: e is its result) and, if
 * the whole file is good, puts it in place of d's file entries. */
static int load_doc(struct uds_did_dict *d, struct yml *y, int e, char *err, size_t cap)
{
	struct uds_did_dict nd;
	struct yml_rd r = {.y = y, .arena = &nd.blocks};

	memset(&nd, 0, sizeof(nd));
	if (!e && !yml_root(y))
		e = yml_error(y, NULL, "empty file: expected 'dids:'");
	if (!e)
		e = yml_read_map(&r, yml_root(y), top_keys, &nd);
	yml_err_out(y, e, err, cap);
	yml_fini(y);
	if (e) {
		yml_arena_free(&nd.blocks);
		return e;
	}
	uds_did_fini(d);
	*d = nd;
	return 0;
}

int uds_did_load(struct uds_did_dict *d, const char *path, char *err, size_t cap)
{
	struct yml y;

	return load_doc(d, &y, yml_load_file(&y, path), err, cap);
}

int uds_did_load_mem(struct uds_did_dict *d, const char *name, const void *buf, size_t len,
		     char *err, size_t cap)
{
	struct yml y;

	return load_doc(d, &y, yml_load_mem(&y, name, buf, len), err, cap);
}
