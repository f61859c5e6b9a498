/* SPDX-License-Identifier: MIT */
/*
 * uds_sim_conf.h - the YAML configuration of `canrig ecu-sim`: one or more
 * simulated ECUs, each an engine configuration (uds_sim.h) plus its CAN
 * addressing and the adapter's settings.  The schema is in docs/ecu-sim.md.
 */
#ifndef CANRIG_UDS_SIM_CONF_H
#define CANRIG_UDS_SIM_CONF_H

#include <stddef.h>

#include "isotp.h"
#include "uds_sim.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ECUSIM_LEVELS 64 /* key commands, indexed by level >> 1 */

struct ecusim_ecu {
	const char *name;
	struct uds_sim_cfg sim;		    /* key_fn, sink_fn, cb_ctx left NULL */
	struct isotp_cfg phys;		    /* physical requests in, all answers out */
	struct isotp_cfg func;		    /* functional requests in */
	size_t rx_cap;			    /* longest request to accept */
	const char *key_cmd[ECUSIM_LEVELS]; /* external key command, or NULL */
	const char *download_file;	    /* NULL: downloaded data is only checksummed */
	uint16_t doip_la;		    /* DoIP logical address (doip_address:,
					     * default 0x0010 + index) */
};

/*
 * The simulator as a DoIP entity (the doip: section, docs/ecu-sim.md);
 * always filled: without the section every field has its default.
 */
struct ecusim_doip {
	uint16_t la;		/* the entity's own logical address */
	char vin[17];		/* not NUL-terminated */
	uint8_t eid[6], gid[6]; /* entity and group id */
	uint8_t further_action; /* 0x00, or 0x10: central security */
	uint16_t tester_min;	/* routing activation accepted for */
	uint16_t tester_max;	/* tester addresses in [min, max] */
};

struct ecusim_cfg {
	struct ecusim_ecu *ecus;
	size_t necus;
	struct ecusim_doip doip;
	void *blocks; /* every allocation of the configuration */
};

/*
 * Parses and validates a whole configuration from buf (len bytes; name
 * is the file name used in messages).  Returns 0, -EINVAL with
 * "FILE:LINE:COL: message" in err (errlen bytes), or -ENOMEM.  On error
 * c is left empty (ecusim_cfg_fini() is still allowed).  Strings and
 * tables in c belong to c.
 */
int ecusim_cfg_load(struct ecusim_cfg *c, const char *name, const void *buf, size_t len, char *err,
		    size_t errlen);

/* As ecusim_cfg_load() on the file path; -errno if it cannot be read. */
int ecusim_cfg_load_file(struct ecusim_cfg *c, const char *path, char *err, size_t errlen);

/*
 * Fills c->doip and each ECU's doip_la from the document y holds (its
 * doip: section and each ECU's doip_address: key; defaults without them),
 * once c->ecus is read.  Returns 0, or -EINVAL with the error in y.
 * (uds_sim_conf_doip.c: apart from the ECU reader, whose keys it only
 * reads.)
 */
struct yml;
int ecusim_doip_load(struct ecusim_cfg *c, struct yml *y);

/* Frees c; safe on a zeroed or finished configuration. */
void ecusim_cfg_fini(struct ecusim_cfg *c);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_UDS_SIM_CONF_H */
