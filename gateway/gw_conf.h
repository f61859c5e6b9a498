/* SPDX-License-Identifier: MIT */
/*
 * gw_conf.h - canrigd's YAML configuration: loaded, checked completely and
 * compiled into a rule engine (gw.h), or refused with one
 * "FILE:LINE:COL: message" line.  The schema is in docs/gateway.md.
 */
#ifndef CANRIG_GW_CONF_H
#define CANRIG_GW_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "gw.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GW_PATH_MAX	 256
#define GW_CTL_USERS_MAX 16 /* options: control_users: */

/* Receive buffer per interface socket.  The kernel doubles the value and
 * charges each queued frame its whole buffer: 4 MiB held 10,923 classic
 * frames (Linux 6.1), over a second of a saturated 1 Mbit/s bus. */
#define GW_RCVBUF_DEFAULT (4u << 20)
#define GW_RCVBUF_MIN	  (64u << 10)
#define GW_RCVBUF_MAX	  (1u << 30)

/* Per interface runtime policy (the engine does not need it). */
struct gw_ifpolicy {
	uint32_t queue_frames; /* bounded queue towards the interface */
	uint32_t max_age_ms;   /* frames older than this are dropped */
	uint32_t rcvbuf;       /* receive buffer of its socket, bytes */
};

struct gw_conf {
	struct gw_engine *engine; /* owned */
	struct gw_ifpolicy pol[GW_MAX_IFS];
	char ifname[GW_MAX_IFS][GW_NAME_MAX];
	/* where each name is in the file (1-based line, column): canrigd's
	 * messages about the device it names (absent, not CAN) point there */
	uint32_t ifpos[GW_MAX_IFS][2];
	size_t nifs;
	char control[GW_PATH_MAX]; /* control socket path */
	char user[GW_NAME_MAX];	   /* drop to this user; "" none */
	int workshop;		   /* initial workshop mode */
	int offload_kernel;	   /* offload: kernel */
	/* control socket rights (canrigd's gwd_ctl.c resolves the names): members of
	 * control_group may read (status, stats, routes), control_users may
	 * also change (workshop, reload); root and canrigd's own user may
	 * always do both */
	char control_group[GW_NAME_MAX]; /* "" none */
	char control_users[GW_CTL_USERS_MAX][GW_NAME_MAX];
	size_t ncontrol_users;
};

/*
 * Loads path (or buf of len bytes, named name in messages) into c.
 * Returns 0, or -EINVAL / -errno with the message in err (cap bytes).  On
 * failure c holds nothing to free.
 */
int gw_conf_load_file(struct gw_conf *c, const char *path, char *err, size_t cap);
int gw_conf_load_mem(struct gw_conf *c, const char *name, const void *buf, size_t len, char *err,
		     size_t cap);

struct yml;

/*
 * The second half of gw_conf_load_file(): builds c from y, a document
 * yml_load_file() or yml_load_mem() parsed.  y is borrowed and stays the
 * caller's to yml_fini(); c keeps no pointer into it.  Returns as
 * gw_conf_load_file().
 */
int gw_conf_load_yml(struct gw_conf *c, struct yml *y, char *err, size_t cap);

/* Frees c's engine; safe on a zeroed or finished struct. */
void gw_conf_fini(struct gw_conf *c);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_GW_CONF_H */
