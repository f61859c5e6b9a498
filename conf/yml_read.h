/* SPDX-License-Identifier: MIT */
/*
 * yml_read.h - table-driven readers over yml.h: a loader describes the
 * keys of a mapping once (name, required or optional, type, where the
 * value goes) and yml_read_map() checks and reads the mapping against it.
 *
 * Conventions (as yml.h):
 *   - every function returns 0, -EINVAL with "FILE:LINE:COL: message" in
 *     yml_errmsg(), or -ENOMEM;
 *   - a key not in the table is "unknown key 'x'" (at the key), a missing
 *     required one "missing required key 'x'" (at the mapping);
 *   - keys are read in table order, so a later key's callback sees what
 *     the earlier ones stored;
 *   - an absent optional key leaves its field as it was, unless the key
 *     has YML_DEF (then it gets def): list items come zeroed;
 *   - everything the reader allocates (strings, byte strings, list
 *     arrays) comes from one arena (yml_alloc()) that the caller's result
 *     owns and frees with yml_arena_free(): nothing points into the YAML
 *     document, which goes away after loading.
 */
#ifndef CANRIG_YML_READ_H
#define CANRIG_YML_READ_H

#include <stddef.h>
#include <stdint.h>

#include "yml.h"

#ifdef __cplusplus
extern "C" {
#endif

struct yml_rd {
	struct yml *y;
	void **arena; /* allocations chain here (yml_alloc()) */
	void *ctx;    /* the loader's, for its callbacks */
	/* inside a YML_LIST item: the list's array and the item's index, so
	 * a key's callback can check earlier items (duplicates) at once */
	void *list;
	size_t index;
};

/*
 * Called for YML_FUNC with p = the field (dst + off) and i = 0; for
 * YML_MAP after its table was read, with p = the field; for YML_LIST
 * once per item (after its table, if any, was read) with p = the array
 * and i = the item's index, so earlier items can be checked for
 * duplicates.  n is the value (or the item).  Returns 0 or -EINVAL (with
 * a message, e.g. from yml_error()), -ENOMEM.
 */
typedef int (*yml_fn)(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i);

enum yml_type {
	YML_UINT,    /* min..max, decimal or 0x hex, into an integer of size bytes */
	YML_BOOL,    /* true/false, yes/no, on/off: 0 or 1 into size bytes */
	YML_ENUM,    /* one of names: its index (or vals[index]) into size bytes */
	YML_STR,     /* text, copied: const char * */
	YML_STR_ENV, /* as YML_STR with ${NAME} replaced from the environment */
	YML_NUM,     /* a finite real number (strtod syntax): double */
	YML_CANID,   /* 0..0x1FFFFFFF: uint32_t; uint8_t at off2 = more than 11 bits */
	YML_HEX,     /* hex bytes, copied: const uint8_t *, size_t length at off2 */
	YML_MAP,     /* a mapping read with sub into dst + off, then fn */
	YML_LIST,    /* a list of mappings: array (pointer) at off, size_t count at
		      * off2; each item of item_size read with sub, then fn */
	YML_FUNC,    /* fn reads the value */
	YML_KNOWN,   /* allowed here, read by the caller */
};

#define YML_REQ 1u /* missing is an error */
#define YML_DEF 2u /* absent: store def in the integer field (size bytes at off) */

struct yml_key {
	const char *name; /* NULL ends the table */
	enum yml_type type;
	unsigned int flags;
	size_t off, off2;	   /* where the value (and its length / count / flag) goes */
	size_t size;		   /* integer width for YML_UINT, YML_BOOL, YML_ENUM */
	uint64_t min, max;	   /* YML_UINT: min > 0 adds "KEY must be MIN..MAX";
				    * YML_HEX: max bytes (0: any) */
	uint64_t def;		   /* with YML_DEF */
	const char *const *names;  /* YML_ENUM, NULL-terminated */
	const int *vals;	   /* YML_ENUM: the value of each name (NULL: index) */
	const char *what;	   /* YML_ENUM: "unknown WHAT 'x'" (NULL: the key) */
	const struct yml_key *sub; /* YML_MAP, YML_LIST */
	size_t item_size;	   /* YML_LIST */
	yml_fn fn;		   /* YML_FUNC; optional for YML_MAP, YML_LIST */
};

/* A field of struct T for a table entry: its offset and width. */
#define YML_OFF(T, f)  .off = offsetof(T, f), .size = sizeof(((T *)0)->f)
#define YML_OFF2(T, f) .off2 = offsetof(T, f)

/*
 * Table entries, one line each: KEY is the name in the file, T the struct
 * the table fills and f its field; FL is 0 or YML_REQ.
 */
#define YML_KEY_UINT(KEY, T, f, MAX, FL)                                                           \
	{                                                                                          \
		.name = (KEY), .type = YML_UINT, .flags = (FL), YML_OFF(T, f), .max = (MAX)        \
	}
#define YML_KEY_UINT_DEF(KEY, T, f, MAX, DEF)                                                      \
	{                                                                                          \
		.name = (KEY), .type = YML_UINT, .flags = YML_DEF, YML_OFF(T, f), .max = (MAX),    \
		.def = (DEF)                                                                       \
	}
#define YML_KEY_BOOL(KEY, T, f)                                                                    \
	{                                                                                          \
		.name = (KEY), .type = YML_BOOL, YML_OFF(T, f)                                     \
	}
#define YML_KEY_ENUM(KEY, T, f, NAMES, VALS)                                                       \
	{                                                                                          \
		.name = (KEY), .type = YML_ENUM, YML_OFF(T, f), .names = (NAMES), .vals = (VALS)   \
	}
#define YML_KEY_HEX(KEY, T, f, LEN, FL)                                                            \
	{                                                                                          \
		.name = (KEY), .type = YML_HEX, .flags = (FL), YML_OFF(T, f), YML_OFF2(T, LEN)     \
	}
/* fn gets the field; YML_KEY_CALL's fn gets the whole struct */
#define YML_KEY_FN(KEY, T, f, FN, FL)                                                              \
	{                                                                                          \
		.name = (KEY), .type = YML_FUNC, .flags = (FL), YML_OFF(T, f), .fn = (FN)          \
	}
#define YML_KEY_CALL(KEY, FN, FL)                                                                  \
	{                                                                                          \
		.name = (KEY), .type = YML_FUNC, .flags = (FL), .fn = (FN)                         \
	}
#define YML_KEY_MAP(KEY, T, f, SUB, FN)                                                            \
	{                                                                                          \
		.name = (KEY), .type = YML_MAP, YML_OFF(T, f), .sub = (SUB), .fn = (FN)            \
	}
#define YML_KEY_LIST(KEY, T, f, COUNT, SUB, ITEM, FN)                                              \
	{                                                                                          \
		.name = (KEY), .type = YML_LIST, YML_OFF(T, f), YML_OFF2(T, COUNT), .sub = (SUB),  \
		.item_size = sizeof(ITEM), .fn = (FN)                                              \
	}
#define YML_KEY_KNOWN(KEY)                                                                         \
	{                                                                                          \
		.name = (KEY), .type = YML_KNOWN                                                   \
	}

/*
 * Checks mapping m against keys (unknown, duplicate and missing required
 * keys) and reads each present key into dst as its entry says.  Returns 0,
 * -EINVAL or -ENOMEM; on error dst may be partly filled (its allocations
 * are in the arena).
 */
int yml_read_map(struct yml_rd *r, const yaml_node_t *m, const struct yml_key *keys, void *dst);

/*
 * The second half of yml_read_map(): reads keys from mapping m without
 * looking for unknown ones, for a mapping whose keys the caller checked
 * against a wider list (keys that only count in one variant of it).
 */
int yml_read_keys(struct yml_rd *r, const yaml_node_t *m, const struct yml_key *keys, void *dst);

/* Reads the value n as key k says into dst (k->off relative to dst), for
 * a callback whose value goes into another struct than the table's. */
int yml_read_value(struct yml_rd *r, const yaml_node_t *n, const struct yml_key *k, void *dst);

/*
 * Reads list n as the YML_LIST key k says into dst (k->off, k->off2
 * relative to dst), for a callback that checks the whole list after.
 * Returns as yml_read_map().
 */
int yml_read_list(struct yml_rd *r, const yaml_node_t *n, const struct yml_key *k, void *dst);

/* n zeroed bytes from r's arena, or NULL with "FILE: out of memory". */
void *yml_alloc(struct yml_rd *r, size_t n);

/* Copies of a scalar's text / bytes / expanded text into the arena.
 * Return 0, -EINVAL or -ENOMEM. */
int yml_read_str(struct yml_rd *r, const yaml_node_t *n, const char **out);
int yml_read_hex(struct yml_rd *r, const yaml_node_t *n, size_t max, const uint8_t **out,
		 size_t *len);
int yml_read_str_env(struct yml_rd *r, const yaml_node_t *n, const char **out);

/* Frees every allocation of an arena and sets *arena to NULL. */
void yml_arena_free(void **arena);

/*
 * The one way a loader hands an error back: copies y's message (or, if
 * it has none, strerror(-e)) into err (cap bytes; err NULL or cap 0:
 * nothing).  Returns e.
 */
int yml_err_out(const struct yml *y, int e, char *err, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_YML_READ_H */
