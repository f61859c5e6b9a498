/* SPDX-License-Identifier: MIT */
/*
 * yml.h - a small layer over libyaml's document API for configuration
 * files: load a file or a buffer, walk mappings and sequences, read
 * scalars as strings, unsigned integers (decimal or 0x hex), booleans or
 * hex byte strings, and report every problem as "FILE:LINE:COL: message"
 * (1-based, from the offending node's start).
 *
 * Conventions:
 *   - every function that can fail returns 0 or -EINVAL (-ENOMEM, -errno
 *     for file errors) and leaves the message in yml_errmsg();
 *   - mappings are checked against the list of keys the caller knows
 *     (yml_map_check()), so a misspelt key is an error, never ignored;
 *   - anchors and aliases are refused at load: a node reachable twice
 *     would let a small file expand into a huge configuration;
 *   - node pointers and strings returned live until yml_fini().
 * Scalars are taken as written: no YAML 1.1 type guessing, so "0x7E0" and
 * "off" are just text until an accessor reads them.
 */
#ifndef CANRIG_YML_H
#define CANRIG_YML_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#ifdef __cplusplus
extern "C" {
#endif

#define YML_ERR_MAX 512

struct yml {
	yaml_document_t doc;
	int loaded;
	char *name;	       /* file name for messages (owned) */
	char err[YML_ERR_MAX]; /* last error, "" if none */
};

/*
 * Reads and parses path (one YAML document).  Returns 0, -EINVAL for a
 * syntax error or an alias, -errno if the file cannot be read.  On error
 * y needs no yml_fini() but may get one.
 */
int yml_load_file(struct yml *y, const char *path);

/* As yml_load_file() on buf (len bytes, borrowed for the call); name is
 * what messages call the file. */
int yml_load_mem(struct yml *y, const char *name, const void *buf, size_t len);

/* Frees the document; safe on a zeroed or finished struct yml. */
void yml_fini(struct yml *y);

/* Returns the last error message ("" if none), valid until the next call. */
const char *yml_errmsg(const struct yml *y);

/* Returns the root node, or NULL for an empty document. */
yaml_node_t *yml_root(struct yml *y);

/*
 * Records "FILE:LINE:COL: message" for node n (NULL: line 1, column 1)
 * and returns -EINVAL, so callers can `return yml_error(...)`.
 */
int yml_error(struct yml *y, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int yml_is_map(const yaml_node_t *n);
int yml_is_seq(const yaml_node_t *n);
int yml_is_scalar(const yaml_node_t *n);

/*
 * Checks that n is a mapping whose keys are plain scalars from known (a
 * NULL-terminated list; NULL: any key) and that no key repeats.  Returns
 * 0 or -EINVAL ("unknown key 'x'" at the key, "expected a mapping").
 */
int yml_map_check(struct yml *y, const yaml_node_t *n, const char *const *known);

/* As yml_map_check() with the known names in a table of structs: the
 * const char * at names, names + stride, ... up to a NULL one. */
int yml_map_check_table(struct yml *y, const yaml_node_t *n, const void *names, size_t stride);

/* Number of pairs of mapping n (0 if n is not a mapping). */
size_t yml_map_len(const yaml_node_t *n);

/* The i-th pair of mapping n: key node, key text, value node. */
void yml_map_pair(struct yml *y, const yaml_node_t *n, size_t i, yaml_node_t **key,
		  const char **keytext, yaml_node_t **value);

/* Returns the value of key in mapping n, or NULL if absent. */
yaml_node_t *yml_get(struct yml *y, const yaml_node_t *n, const char *key);

/* As yml_get(), but a missing key is an error ("missing required key
 * 'x'", at the mapping).  Returns 0 or -EINVAL. */
int yml_need(struct yml *y, const yaml_node_t *n, const char *key, yaml_node_t **value);

/*
 * Checks that n is a sequence and returns 0 with its length, or -EINVAL
 * ("expected a list").
 */
int yml_seq(struct yml *y, const yaml_node_t *n, size_t *len);

/* The i-th item of sequence n (i < its length). */
yaml_node_t *yml_seq_item(struct yml *y, const yaml_node_t *n, size_t i);

/* A scalar's text (NUL-terminated, no embedded NUL).  Returns 0 or
 * -EINVAL ("expected a string/number, found a mapping"). */
int yml_str(struct yml *y, const yaml_node_t *n, const char **s);

/* An unsigned integer: decimal or 0x hex, at most max.  Returns 0 or
 * -EINVAL ("expected a number ...", "... out of range (0..max)"). */
int yml_uint(struct yml *y, const yaml_node_t *n, uint64_t max, uint64_t *v);

/* true/false, yes/no, on/off (any case).  Returns 0 or -EINVAL. */
int yml_bool(struct yml *y, const yaml_node_t *n, int *b);

/*
 * Hex bytes, pairs of digits with optional blanks ("DE AD be ef",
 * "0xDEADBEEF").  With buf NULL only counts: *len gets the byte count.
 * Returns 0, or -EINVAL for a bad digit, an odd count or more than cap
 * bytes.
 */
int yml_hex(struct yml *y, const yaml_node_t *n, uint8_t *buf, size_t cap, size_t *len);

/*
 * A string with ${NAME} replaced by the environment variable NAME.
 * Returns 0 with *out malloc'd (the caller frees it), or -EINVAL for an
 * unset variable or an unterminated "${", -ENOMEM.
 */
int yml_str_env(struct yml *y, const yaml_node_t *n, char **out);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_YML_H */
