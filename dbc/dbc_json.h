/* SPDX-License-Identifier: MIT */
/*
 * dbc_json.h - one decoded frame as the JSON object "canrig dbc decode
 * --json" prints (and canrig dump -d --json, and canrig uplink's samples):
 *   {"t":T,"bus":"B","id":N,"ext":B,"len":N,"data":"HEX",...,"msg":"M",
 *    "sig":{...},["raw":{...},]"label":{...},"truncated":B}\n
 * Every name, key and label is escaped once, at setup, with its length:
 * per frame there is only copying and numbers.  It sits in dbc/ so the
 * CLI and the uplink engine print from one copy.
 */
#ifndef CANRIG_DBC_JSON_H
#define CANRIG_DBC_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "cf.h"
#include "clog.h"
#include "dbc.h"

#define DBC_JSON_RAW 0x01 /* add "raw" after "sig" */

struct dbc_json;

/* Returns a printer for db (borrowed: must outlive it), or NULL when out
 * of memory. */
struct dbc_json *dbc_json_new(const struct dbc_db *db, unsigned int flags);

/* Releases j; NULL is a no-op. */
void dbc_json_free(struct dbc_json *j);

/*
 * Worst-case bytes of one object (with its newline) for message m (NULL:
 * an id the DBC does not know), plus the bus name's length; also a bound
 * for the text output of tools/dbcout.c.
 */
size_t dbc_json_bound(const struct dbc_json *j, const struct dbc_message *m);

/*
 * Writes rec as one object and its newline into out (dbc_json_bound() +
 * rec->ifname_len bytes, plus 32 of slack: names are copied in fixed-size
 * pieces).  m is dbc_lookup()'s answer for rec->f (NULL: unknown id), vals
 * and rflags what dbc_decode() gave for it.  sel, if not NULL, has one
 * byte per signal of m: only signals with a non-zero byte are written
 * (in "sig", "raw" and "label").  Returns the length (no NUL written).
 */
size_t dbc_json_sample(const struct dbc_json *j, const struct clog_rec *rec,
		       const struct dbc_message *m, const struct dbc_value *vals,
		       unsigned int rflags, const uint8_t *sel, char *out);

/* Longest output of dbc_json_frame_members(). */
#define DBC_JSON_FRAME_MAX (2 * CF_MAX_LEN + 128)

/*
 * The members every decoded object starts with: "id":N,"ext":B,"len":N,
 * "data":"HEX", then "fd","brs","esi" for FD frames only, "rtr" and "err"
 * only when set.  out holds DBC_JSON_FRAME_MAX bytes.  Returns the length.
 */
size_t dbc_json_frame_members(const struct cf_frame *f, char *out);

/*
 * The body of a JSON string for s (no quotes): UTF-8 passes, other bytes
 * become \u00XX (Latin-1), so cp1252 names still give valid JSON.  out
 * holds 6 * strlen(s) bytes.  Returns the length.
 */
size_t dbc_json_escape(const char *s, char *out);

#endif
