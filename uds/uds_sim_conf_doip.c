/* SPDX-License-Identifier: MIT */
/*
 * uds_sim_conf_doip.c - the doip: section of the ecu-sim YAML (and each
 * ECU's doip_address:), read from the document once the ECUs are: the
 * DoIP entity `canrig ecu-sim --doip` stands as.  Every key has a default,
 * so every file is an entity as it is.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "uds_sim_conf.h"
#include "yml.h"

/* The VIN the entity announces when doip: gives none: the first ECU's
 * F190 DID, else its OBD VIN, else seventeen '0'. */
static void default_vin(struct ecusim_cfg *c)
{
	const struct uds_sim_cfg *s = &c->ecus[0].sim;
	size_t i;

	memset(c->doip.vin, '0', sizeof(c->doip.vin));
	for (i = 0; i < s->ndids; i++)
		if (s->dids[i].id == 0xF190 && s->dids[i].data && s->dids[i].len == 17) {
			memcpy(c->doip.vin, s->dids[i].data, 17);
			return;
		}
	if (s->obd.vin)
		memcpy(c->doip.vin, s->obd.vin, 17);
}

static int uint_key(struct yml *y, const yaml_node_t *m, const char *key, uint64_t max, uint64_t *v)
{
	yaml_node_t *n = m ? yml_get(y, m, key) : NULL;

	return n ? yml_uint(y, n, max, v) : 0;
}

static int id_key(struct yml *y, const yaml_node_t *m, const char *key, uint8_t *id)
{
	yaml_node_t *n = yml_get(y, m, key);
	size_t k;

	if (!n)
		return 0;
	if (yml_hex(y, n, NULL, 0, &k))
		return -EINVAL;
	if (k != 6)
		return yml_error(y, n, "%s has 6 bytes (a MAC address), not %zu", key, k);
	return yml_hex(y, n, id, 6, &k);
}

static int section(struct ecusim_cfg *c, struct yml *y, const yaml_node_t *m)
{
	static const char *const keys[] = {"logical_address", "vin",	      "eid", "gid",
					   "further_action",  "tester_range", NULL};
	struct ecusim_doip *d = &c->doip;
	yaml_node_t *n;
	uint64_t x;
	size_t k;

	if (yml_map_check(y, m, keys))
		return -EINVAL;
	x = d->la;
	if (uint_key(y, m, "logical_address", 0xFFFF, &x))
		return -EINVAL;
	d->la = (uint16_t)x;
	x = d->further_action;
	if (uint_key(y, m, "further_action", 0xFF, &x))
		return -EINVAL;
	d->further_action = (uint8_t)x;
	n = yml_get(y, m, "vin");
	if (n) {
		const char *v;

		if (yml_str(y, n, &v))
			return -EINVAL;
		if (strlen(v) != 17)
			return yml_error(y, n, "a VIN has 17 characters, not %zu", strlen(v));
		memcpy(d->vin, v, 17);
	}
	n = yml_get(y, m, "tester_range");
	if (n) {
		uint64_t lo, hi;

		if (yml_seq(y, n, &k))
			return -EINVAL;
		if (k != 2)
			return yml_error(y, n, "tester_range is [LOW, HIGH]");
		if (yml_uint(y, yml_seq_item(y, n, 0), 0xFFFF, &lo) ||
		    yml_uint(y, yml_seq_item(y, n, 1), 0xFFFF, &hi))
			return -EINVAL;
		if (lo > hi)
			return yml_error(y, n, "tester_range: LOW above HIGH");
		d->tester_min = (uint16_t)lo;
		d->tester_max = (uint16_t)hi;
	}
	return 0;
}

int ecusim_doip_load(struct ecusim_cfg *c, struct yml *y)
{
	const yaml_node_t *root = yml_root(y), *m = yml_get(y, root, "doip");
	const yaml_node_t *ecus = yml_get(y, root, "ecus");
	struct ecusim_doip *d = &c->doip;
	size_t i, k;

	memset(d, 0, sizeof(*d));
	d->la = 0x1000;
	d->tester_min = 0x0E00;
	d->tester_max = 0x0FFF;
	default_vin(c);
	if (m && section(c, y, m))
		return -EINVAL;
	/* a locally administered MAC made of the logical address: unique
	 * per entity on one host without asking any interface */
	d->eid[0] = 0x02;
	d->eid[4] = (uint8_t)(d->la >> 8);
	d->eid[5] = (uint8_t)d->la;
	if (m && id_key(y, m, "eid", d->eid))
		return -EINVAL;
	memcpy(d->gid, d->eid, 6);
	if (m && id_key(y, m, "gid", d->gid))
		return -EINVAL;
	for (i = 0; i < c->necus; i++) {
		struct ecusim_ecu *e = &c->ecus[i];
		const yaml_node_t *em = yml_seq_item(y, ecus, i);
		uint64_t x = 0x0010 + i;

		if (uint_key(y, em, "doip_address", 0xFFFF, &x))
			return -EINVAL;
		e->doip_la = (uint16_t)x;
		if (e->doip_la == d->la)
			return yml_error(y, em, "ECU '%s' has the entity's DoIP address 0x%04X",
					 e->name, d->la);
		for (k = 0; k < i; k++)
			if (c->ecus[k].doip_la == e->doip_la)
				return yml_error(y, em,
						 "ECUs '%s' and '%s' have the same DoIP address "
						 "0x%04X",
						 c->ecus[k].name, e->name, e->doip_la);
	}
	return 0;
}
