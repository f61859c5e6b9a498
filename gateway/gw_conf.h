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
#include "isotp.h"

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

/*
 * The doip: section: canrigd as the vehicle's DoIP edge node (ISO
 * 13400-2).  Fixed arrays, not pointers: a reload copies struct gw_conf
 * by value, and nothing here needs freeing.
 */
#define GW_DOIP_TESTERS_MAX 32 /* testers: entries */
#define GW_DOIP_ECUS_MAX    64 /* ecus: entries */
#define GW_DOIP_SOCKETS_MAX 16 /* max_testers (ISO 13400-2 MCTS) */
#define GW_DOIP_MAX_LEN_DEF 4095
#define GW_DOIP_MAX_LEN_MAX (16u << 20)
#define GW_DOIP_FUNCS_MAX   16 /* functional: entries */

/* A tester allowed to activate routing, and what it may send. */
struct gw_doip_tester {
	uint16_t address;      /* its logical address, 0x0E00..0x0FFF */
	struct gw_firewall fw; /* its own firewall (address bytes unused) */
};

/* An ECU behind the gateway: its DoIP address and its ISO-TP channel. */
struct gw_doip_ecu {
	uint16_t address;
	uint8_t ifidx;	      /* interfaces: index of its bus */
	struct isotp_cfg tp;  /* tx: the id canrigd sends requests on, rx: the
			       * ECU's answers; per-ECU options */
	uint32_t max_len;     /* largest answer, and largest request held whole */
	uint32_t max_request; /* largest request: beyond max_len it streams
			       * onto ISO-TP (gwd_doip.c); >= max_len */
};

/* A functional logical address (0xE000..0xEFFF) on one bus: one single
 * frame on that bus's functional id, every ECU of the bus answering from
 * its own.  An address over several buses (interfaces: [a, b]) is one
 * entry per bus, next to each other, the first with nbus set. */
struct gw_doip_func {
	uint16_t address;
	uint8_t ifidx;	     /* interfaces: index of its bus */
	uint8_t nbus;	     /* the first entry of an address: its entries
			      * (buses), these and the next nbus - 1; 0 on those */
	struct isotp_cfg tp; /* tx (= rx): the functional id; padding, tx_dl */
};

/* power_mode: the diagnostic power mode (0x4004) follows a DBC signal. */
#define GW_DOIP_PM_READY_MAX 16
struct gw_doip_power {
	uint8_t on;			     /* power_mode: is given */
	uint8_t ifidx;			     /* interfaces: index of the signal's bus */
	uint8_t ext;			     /* its message has a 29-bit id */
	uint32_t id;			     /* its message's CAN id */
	char dbc[GW_PATH_MAX];		     /* the DBC, relative to the YAML's directory */
	char msg[GW_NAME_MAX];		     /* the message in the DBC */
	char sig[GW_NAME_MAX];		     /* the signal in it */
	int64_t ready[GW_DOIP_PM_READY_MAX]; /* raw values meaning "ready" */
	size_t nready;
	uint32_t timeout_ms; /* no frame for this long: "not ready" */
};

struct gw_doip_conf {
	int on;			  /* the file has a doip: section */
	char listen[GW_NAME_MAX]; /* IPv4 address, or an interface name */
	uint8_t listen_is_if;
	uint16_t port;
	uint16_t la;	/* the gateway's logical address */
	char vin[17];	/* DOIP_VIN_LEN, not NUL-terminated */
	uint8_t eid[6]; /* DOIP_EID_LEN */
	uint8_t gid[6];
	uint8_t has_eid; /* else the listen interface's MAC (canrigd) */
	uint8_t has_gid; /* else the EID */
	uint8_t further_action;
	uint8_t announce; /* three announcements on link-up */
	uint8_t max_testers;
	struct gw_doip_tester testers[GW_DOIP_TESTERS_MAX];
	size_t ntesters;
	struct gw_doip_ecu ecus[GW_DOIP_ECUS_MAX];
	size_t necus;
	struct gw_doip_func funcs[GW_DOIP_FUNCS_MAX];
	size_t nfuncs;
	struct gw_doip_power power;
};

struct dbc_db;

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
	struct gw_doip_conf doip;
	/* power_mode:'s DBC, loaded and checked (owned; not in doip, which
	 * is plain data compared with memcmp).  canrigd's DoIP entity takes
	 * it over and sets this NULL; gw_conf_fini() frees it otherwise. */
	struct dbc_db *power_dbc;
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

/* As gw_conf_load_yml(), with the files the YAML names (power_mode:'s
 * DBC) opened relative to dirfd (AT_FDCWD: the current directory) and
 * to the YAML's own directory: a reload runs after daemon()'s
 * chdir("/"). */
int gw_conf_load_yml_at(struct gw_conf *c, struct yml *y, int dirfd, char *err, size_t cap);

/* Frees c's engine and DBC; safe on a zeroed or finished struct. */
void gw_conf_fini(struct gw_conf *c);

/*
 * What a reload changes in the doip: section, from a (running) to b (the
 * new file); canrigd's gwd_doip.c applies it.  ECUs and functional
 * addresses are compared with their interface's name, not its index (a
 * reload may renumber the interfaces).  Both must come from zeroed memory
 * (the loaders' structs do): structs are compared byte for byte.
 */
struct gw_doip_diff {
	uint8_t same;	 /* nothing of the doip: section differs */
	uint8_t sockets; /* listen or port: new UDP and TCP sockets */
	uint8_t entity;	 /* logical address, vin, eid, gid, further_action,
			  * announce or max_testers */
	uint8_t testers; /* the testers: list or a firewall */
	uint8_t funcs;	 /* functional: */
	/* per ECU of b: the ECU of a with its address, or -1 (added);
	 * kept: it continues that one unchanged (bus, ids, ISO-TP options,
	 * max_len, max_request) */
	int16_t from[GW_DOIP_ECUS_MAX];
	uint8_t kept[GW_DOIP_ECUS_MAX];
	/* per ECU of a: its index in b, or -1 (removed) */
	int16_t to[GW_DOIP_ECUS_MAX];
	size_t added, changed, removed;
};

/* Fills df from a->doip to b->doip (either may be off: then only same
 * says anything).  No I/O, nothing allocated. */
void gw_doip_diff(const struct gw_conf *a, const struct gw_conf *b, struct gw_doip_diff *df);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_GW_CONF_H */
