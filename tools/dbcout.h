/* SPDX-License-Identifier: MIT */
/*
 * dbcout.h - decoded-frame output shared by "canrig dbc decode" and
 * "canrig dump -d": cantools-style text, single-line text, or JSON lines.
 */
#ifndef CANRIG_DBCOUT_H
#define CANRIG_DBCOUT_H

#include "clog.h"
#include "dbc.h"

#define DBCOUT_HUMAN  0
#define DBCOUT_SINGLE 1
#define DBCOUT_JSON   2
#define DBCOUT_MODE   0x0f
#define DBCOUT_RAW    0x10 /* JSON: add "raw" */
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
int dbcout_frame(struct dbcout *o, struct clog_writer *w,
		 const struct clog_rec *rec);

/* ---- CLI helpers shared by dbc, dump -d and send --dbc */

/*
 * Loads path for command cmd, printing the first few warnings to stderr.
 * Returns 0 with *db set, or an exit code (2 for a bad file, 1 otherwise)
 * after printing a one-line error.
 */
int dbccli_load(const char *cmd, const char *path, unsigned int flags,
		struct dbc_db **db);

/*
 * Encodes message msg from "SIG=VALUE" args (physical values or choice
 * labels) into buf/f.  Returns 0, or 2 after printing an error.
 */
int dbccli_encode(const char *cmd, const struct dbc_db *db, const char *msg,
		  int nargs, char *const *args, uint8_t *buf,
		  struct cf_frame *f);

#endif
