/* SPDX-License-Identifier: MIT */
/*
 * upl_conf.h - canrig uplink's YAML file, loaded and checked completely
 * (against the DBC it names too) or refused with one "FILE:LINE:COL:
 * message" line.  The schema is in docs/uplink.md.  A collect entry's
 * when: condition is compiled here, once, into a small postfix program
 * (struct upl_op) that the collection engine runs without parsing or
 * allocating; an error in it points at the column of the bad token.
 */
#ifndef CANRIG_UPL_CONF_H
#define CANRIG_UPL_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "dbc.h"

#define UPL_IFS_MAX	    16
#define UPL_PORT_DEF	    1883
#define UPL_KEEPALIVE_DEF   30 /* s */
#define UPL_BATCH_MS_DEF    1000
#define UPL_BATCH_BYTES_DEF (64u << 10)
#define UPL_BATCH_BYTES_MIN 1024u
#define UPL_BATCH_BYTES_MAX (1u << 20) /* a spool record (UPL_REC_MAX) */
#define UPL_SPOOL_MB_DEF    16
#define UPL_EVERY_MS_MAX    3600000u
#define UPL_WHEN_OPS_MAX    64	  /* terms and operators of one when: (a 64-bit stack) */
#define UPL_WHEN_NEST_MAX   32	  /* nested ( and ! in one when: */
#define UPL_HIST_MAX	    16384 /* before_ms history, samples over all entries */

enum upl_mode {
	UPL_EVERY_FRAME = 0, /* a sample per frame */
	UPL_EVERY_MS,	     /* the latest frame of each every_ms interval */
	UPL_ON_CHANGE,	     /* a frame whose selected signals changed */
};

/* when: ops.  A comparison pushes "signal OP num" (false when the signal's
 * latest frame lacked it, or none came yet); NOT, AND, OR work on the top
 * of the stack.  The program leaves one value: the condition. */
enum upl_op_kind {
	UPL_OP_LT = 0,
	UPL_OP_LE,
	UPL_OP_GT,
	UPL_OP_GE,
	UPL_OP_EQ,
	UPL_OP_NE,
	UPL_OP_NOT,
	UPL_OP_AND,
	UPL_OP_OR,
};

struct upl_op {
	double num;   /* comparisons: the constant */
	uint32_t msg; /* comparisons: index in db->msgs */
	uint16_t sig; /* comparisons: index in that message's sigs */
	uint8_t op;   /* enum upl_op_kind */
};

enum upl_zip { UPL_ZIP_NONE = 0, UPL_ZIP_DEFLATE };

/* One collect: entry. */
struct upl_collect {
	const char *message;	       /* as written */
	const struct dbc_message *msg; /* in upl_conf.db */
	uint8_t *sel;		       /* one byte per signal of msg, 1 = collected */
	unsigned int nsel;	       /* signals collected */
	uint8_t mode;		       /* enum upl_mode */
	uint8_t on_change;	       /* as read */
	uint32_t every_ms;
	unsigned int line;	  /* 1-based, for messages */
	const char *when;	  /* as written; NULL: always collected */
	const struct upl_op *ops; /* when, compiled: nops ops, postfix */
	unsigned int nops;
	uint32_t before_ms; /* history kept before the condition rises */
	uint32_t after_ms;  /* collected on after it falls */
	uint32_t hist;	    /* before_ms: history kept at most (samples, all
			     * interfaces): the engine's ring for this entry */
};

struct upl_broker {
	const char *host;
	uint16_t port;
	uint16_t keepalive;			 /* s */
	const char *client_id;			 /* default "canrig-" + vehicle */
	const char *cafile, *certfile, *keyfile; /* TLS when cafile is set */
	const char *credentials;		 /* a file: "USER:PASSWORD" on one line */
	uint8_t protocol;			 /* MQTT protocol level: 4 (3.1.1) or 5 */
};

struct upl_conf {
	const char *vehicle;
	struct upl_broker broker;
	const char *topic; /* with {vehicle} replaced */
	const char *dbc_path;
	struct dbc_db *db; /* owned */
	const char **ifs;
	size_t nifs;
	struct upl_collect *collect;
	size_t ncollect;
	struct {
		uint32_t max_ms, max_bytes;
		uint32_t compress; /* enum upl_zip */
	} batch;
	struct {
		const char *dir;
		uint32_t max_mb;
	} spool;
	void *arena; /* every string and array above (yml_read.h) */
};

/*
 * Loads path into c (zeroed by the call).  Relative paths in the file
 * (dbc, spool dir, TLS and credential files) are relative to the current
 * directory, as the command line's are.  Returns 0; -EINVAL with
 * "FILE:LINE:COL: message" in err (cap bytes); -errno if the file cannot
 * be read; -ENOMEM.  On error c needs no upl_conf_fini() but may get one.
 */
int upl_conf_load(struct upl_conf *c, const char *path, char *err, size_t cap);

/* As upl_conf_load() on buf (len bytes, borrowed for the call); name is
 * what messages call the file. */
int upl_conf_load_mem(struct upl_conf *c, const char *name, const void *buf, size_t len, char *err,
		      size_t cap);

/* Frees what c holds; safe on a zeroed or finished one. */
void upl_conf_fini(struct upl_conf *c);

#endif
