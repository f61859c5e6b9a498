/* SPDX-License-Identifier: MIT */
/*
 * dbcout.h - decoded-frame output shared by "canrig dbc decode" and
 * "canrig dump -d": cantools-style text, single-line text, or JSON lines.
 */
#ifndef CANRIG_DBCOUT_H
#define CANRIG_DBCOUT_H

#include <stdio.h>

#include "clog.h"
#include "dbc.h"
#include "dbc_json.h"

#define DBCOUT_HUMAN	0
#define DBCOUT_SINGLE	1
#define DBCOUT_JSON	2
#define DBCOUT_MODE	0x0f
#define DBCOUT_RAW	0x10 /* JSON: add "raw" */
#define DBCOUT_NOCHOICE 0x20 /* text: numbers instead of choice labels */

struct dbcout;

/*
 * Returns a new printer for db (borrowed: must outlive it), or NULL when
 * out of memory.  Names are escaped once here, not per frame.
 */
struct dbcout *dbcout_new(const struct dbc_db *db, unsigned int mode);

/* Releases o; NULL is a no-op. */
void dbcout_free(struct dbcout *o);

/* Decodes rec and appends its output to w.  Returns 1 if the id was known. */
int dbcout_frame(struct dbcout *o, struct clog_writer *w, const struct clog_rec *rec);

/* Longest output of dbcout_json_frame(). */
#define DBCOUT_JSON_FRAME_MAX DBC_JSON_FRAME_MAX

/*
 * Writes frame f as the JSON members every decoded object starts with:
 * "id":N,"ext":B,"len":N,"data":"HEX", then "fd","brs","esi" for FD frames
 * only, "rtr" and "err" only when set.  out holds DBCOUT_JSON_FRAME_MAX
 * bytes.  Returns the length (no NUL written).
 */
size_t dbcout_json_frame(const struct cf_frame *f, char *out);

/* Writes s to f as a JSON string (the escaping decode uses), or null for
 * NULL (and when out of memory). */
void dbcout_json_str(FILE *f, const char *s);

/* ---- CLI helpers shared by dbc, dump -d and send --dbc */

/*
 * The message called arg (name or long name), else the one with hex id
 * arg as cansend writes it: "C0" or "0xC0"; eight digits, or a value
 * above 7FF, is an extended id, and a shorter one finds an extended id
 * when no standard message has it.  Returns NULL if there is none.
 */
const struct dbc_message *dbccli_find_msg(const struct dbc_db *db, const char *arg);

/* Prints "canrig CMD: no message 'ARG' in FILE", with the hex id when ARG
 * is the decimal id of a message. */
void dbccli_no_msg(const char *cmd, const struct dbc_db *db, const char *arg);

/*
 * Loads path for command cmd, printing the first few warnings to stderr.
 * Returns 0 with *db set, or 1 (the file is missing, unreadable or not a
 * DBC file, or --strict and a warning) after printing a one-line error.
 */
int dbccli_load(const char *cmd, const char *path, unsigned int flags, struct dbc_db **db);

/*
 * Encodes message msg from "SIG=VALUE" args (physical values or choice
 * labels) into buf/f.  Returns 0, or 2 after printing an error.
 */
int dbccli_encode(const char *cmd, const struct dbc_db *db, const char *msg, int nargs,
		  char *const *args, uint8_t *buf, struct cf_frame *f);

#endif
