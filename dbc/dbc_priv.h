/* SPDX-License-Identifier: MIT */
/* dbc_priv.h - internals shared by the DBC parser and the plan compiler. */
#ifndef CANRIG_DBC_PRIV_H
#define CANRIG_DBC_PRIV_H

#include "dbc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Open-addressing table of 32-bit indices; the caller compares keys.  A
 * slot keeps the index next to a hash tag, so a probe is one cache line. */
struct dbc_hslot {
	uint32_t idx; /* index + 1, 0 = empty */
	uint32_t tag; /* low 32 bits of the key hash */
};

struct dbc_htab {
	struct dbc_hslot *s;
	uint32_t cap, n;
	uint64_t probes; /* slots dbc_htab_put() looked at: a test's measure
			  * of clustering, which would make loads quadratic */
};

struct dbc_chunk;

struct dbc_priv {
	struct dbc_chunk *arena;
	struct dbc_htab by_id;	 /* id | ext << 31 -> message */
	struct dbc_htab by_pgn;	 /* J1939 PGN -> message (DBC_J1939 only) */
	struct dbc_htab by_name; /* message name -> message */
	/* owned arrays behind the public pointers */
	struct dbc_signal *sigs;
	/* each block's mapping length, 0: malloc's (dbc_big_free()) */
	size_t msgs_map, nodes_map, defs_map, sigs_map, strs_map, recv_map, vals_map;
	struct dbc_choice *choices;
	struct dbc_range *ranges;
	const char **strs; /* enum labels of attribute definitions */
	const char **recv; /* signal receivers */
	unsigned int *order;
	/* attribute values, for dbc_attr() */
	struct dbc_attrval *vals;
	unsigned int nvals;
	struct dbc_htab attr_by_obj; /* (def, kind, obj) -> value */
	struct dbc_htab def_by_name;
	/* slots examined by every insert of the load (dbc_htab.probes of all
	 * its tables): linear in the file when every key is inserted once */
	uint64_t load_probes;
};

struct dbc_attrval {
	uint32_t def; /* index in db->attr_defs */
	uint8_t kind; /* enum dbc_obj */
	uint32_t obj; /* node/message/signal index */
	const char *defname;
	unsigned int line;
	int is_str;
	double num;
	const char *str;
};

/* n bytes from the arena *a (a new chunk when the last is full), aligned
 * for any type; NULL when out of memory.  Freed with the arena. */
void *dbc_arena_alloc(struct dbc_chunk **a, size_t n);
void dbc_arena_free(struct dbc_chunk *c);
/*
 * Grows vector v (used bytes in use) to n bytes: realloc() while small,
 * past a few MiB a mapping of its own (*map: its length, 0 while v is
 * malloc's).  Returns the new block, or NULL with v untouched.
 */
void *dbc_big_grow(void *v, size_t used, size_t *map, size_t n);
/* Gives back the tail past n bytes (a mapping shrinks in place); returns
 * the block, v itself when realloc() failed. */
void *dbc_big_trim(void *v, size_t *map, size_t n);
/* Frees a vector that may be a mapping of map bytes (0: malloc's). */
void dbc_big_free(void *v, size_t map);
uint64_t dbc_hash_u64(uint64_t x);
uint64_t dbc_hash_bytes(const void *p, size_t n, uint64_t seed);
int dbc_htab_init(struct dbc_htab *t, uint32_t want);
void dbc_htab_fini(struct dbc_htab *t);
/*
 * Inserts idx under hash h; returns 0 or -ENOMEM.  The table takes
 * duplicate keys, but every key must go in once: n entries of one key
 * make a cluster that each insert and lookup walks, quadratic in n.  A
 * later definition replaces the entry with dbc_htab_set() instead.
 */
int dbc_htab_put(struct dbc_htab *t, uint64_t h, uint32_t idx);
/* Iterates candidates for h: pass *it = 0 first; returns idx or -1. */
long dbc_htab_next(const struct dbc_htab *t, uint64_t h, uint32_t *it);
/* Replaces the candidate dbc_htab_next(t, h, &it) returned last by idx. */
void dbc_htab_set(struct dbc_htab *t, uint64_t h, uint32_t it, uint32_t idx);

/* Message by its DBC name only (no long names). */
const struct dbc_message *dbc_find_msg_exact(const struct dbc_db *db, const char *name);

/* Compiles the extraction steps of s; returns 0 or -EINVAL if it does not
 * fit in CF_MAX_LEN bytes. */
int dbc_compile_signal(struct dbc_signal *s);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_DBC_PRIV_H */
