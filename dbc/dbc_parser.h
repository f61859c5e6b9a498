/* SPDX-License-Identifier: MIT */
/*
 * dbc_parser.h - the DBC parser's state and lexer, shared by the files of
 * one load: dbc_lex.c (tokens, numbers, strings, diagnostics),
 * dbc_parse.c (statements, the load entry points) and dbc_link.c (the
 * passes that turn what was read into a database).  Not installed; the
 * memory helpers they use are in dbc_priv.h (dbc_mem.c).
 *
 * Every function here takes the parser of the load in progress; none
 * keeps a pointer past the load.  Lexer functions return 0 (or a count,
 * or a character) on success and -1 after recording the statement's first
 * error with dbc_fail(); the statement is then dropped and parsing goes
 * on at the next line that starts with a keyword.
 */
#ifndef CANRIG_DBC_PARSER_H
#define CANRIG_DBC_PARSER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dbc_priv.h"

struct psig {
	uint32_t msg;
	uint32_t rfirst, nr; /* receivers in p->strs */
	uint64_t muxval;     /* "mN" */
	int has_muxval;
	long sel;	      /* selector from SG_MUL_VAL_, -1 if none */
	uint32_t mulval_stmt; /* latest SG_MUL_VAL_ statement, 0 none */
	uint32_t val_stmt;    /* latest VAL_ statement, 0 none */
	int kind_set;
};

struct pmsg {
	uint32_t rawid;	   /* as written, bit 31 included */
	uint32_t first, n; /* signals */
};

struct pref { /* sender of a message */
	uint32_t owner;
	const char *s;
};

struct pchoice {
	uint32_t sig, stmt;
	int64_t v;
	const char *label;
};

struct prange {
	uint32_t sig, stmt;
	uint64_t lo, hi;
};

/* map: see dbc_big_grow() */
#define VEC(T)                                                                                     \
	struct {                                                                                   \
		T *v;                                                                              \
		size_t n, cap, map;                                                                \
	}
#define VEC_FREE(vec) dbc_big_free((vec).v, (vec).map)
/* the block now belongs to someone else, who frees it with its map */
#define VEC_GIVEN(vec) ((vec).v = NULL, (vec).map = 0)

struct parser {
	const char *b;
	size_t n, pos;
	unsigned int line;
	size_t line_start;
	const char *path;
	unsigned int flags;
	const struct dbc_opts *o;
	struct dbc_db *db;
	struct dbc_chunk *arena;

	VEC(struct dbc_message) msgs;
	VEC(struct pmsg) pm;
	VEC(struct dbc_signal) sigs;
	VEC(struct psig) ps;
	VEC(const char *) strs;
	VEC(struct pref) senders;
	VEC(struct pchoice) choices;
	VEC(struct prange) ranges;
	VEC(struct dbc_node) nodes;
	VEC(struct dbc_attr_def) defs;
	VEC(struct dbc_attrval) vals;
	VEC(const char *) enums;
	VEC(uint32_t) enum_first;

	struct dbc_htab msg_by_rawid, sig_by_name, node_by_name, def_by_name;
	uint32_t stmt;

	/* first error of the current statement */
	int err;
	size_t err_pos;
	unsigned int err_line;
	char msg[DBC_ERRMSG_MAX];
	int failed; /* strict mode or out of memory: stop */
	int oom;
	char *errout;
	size_t errsz;
};

#define VEC_PUSH(p, vec, out)                                                                      \
	do {                                                                                       \
		if ((vec).n == (vec).cap) {                                                        \
			size_t nc = (vec).cap ? (vec).cap * 2 : 64;                                \
			void *nv = dbc_big_grow((vec).v, (vec).n * sizeof(*(vec).v), &(vec).map,   \
						nc * sizeof(*(vec).v));                            \
			if (!nv) {                                                                 \
				(p)->oom = 1;                                                      \
				out = NULL;                                                        \
				break;                                                             \
			}                                                                          \
			(vec).v = nv;                                                              \
			(vec).cap = nc;                                                            \
		}                                                                                  \
		out = &(vec).v[(vec).n++];                                                         \
		memset(out, 0, sizeof(*out));                                                      \
	} while (0)

static inline int dbc_is_punct(int c)
{
	return c == ':' || c == ';' || c == ',' || c == '|' || c == '@' || c == '(' || c == ')' ||
	       c == '[' || c == ']' || c == '"';
}

static inline int dbc_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Reports a warning at line:col (col 0: none); in strict mode the first
 * one fails the load. */
void dbc_warn_at(struct parser *p, unsigned int line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Records the first error of a statement; the statement is then dropped.
 * Returns -1. */
int dbc_fail(struct parser *p, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t dbc_col_of(const struct parser *p, size_t pos);
int dbc_lex_at_end(const struct parser *p);
int dbc_lex_cur(const struct parser *p);
void dbc_lex_newline(struct parser *p);
/* Skips blanks; with nl also newlines. */
void dbc_lex_skip_ws(struct parser *p, int nl);
/* Names are raw bytes up to a blank or punctuation. */
int dbc_lex_word(struct parser *p, const char **s, size_t *len);
const char *dbc_lex_dup_str(struct parser *p, const char *s, size_t n);
int dbc_lex_ident(struct parser *p, const char **out);
int dbc_lex_peek_is(struct parser *p, const char *kw);
int dbc_lex_expect(struct parser *p, char c);
int dbc_lex_accept(struct parser *p, char c);
int dbc_lex_num(struct parser *p, double *v);
/* Exact integer (decimal or 0x hex), negatives as two's complement. */
int dbc_lex_inum(struct parser *p, uint64_t *v, int *neg);
int dbc_lex_unum(struct parser *p, uint64_t *v);
/* "..." with \" and \\ escapes; may span lines. */
int dbc_lex_string(struct parser *p, const char **out);
/* Every statement but BU_/BO_/SG_ ends in ';'.  A missing one is a warning. */
void dbc_lex_end_stmt(struct parser *p);
/* Skips to just past the next ';' outside strings (known sections we keep
 * no data from). */
void dbc_lex_skip_to_semi(struct parser *p);
void dbc_lex_skip_line(struct parser *p);
/* Is the rest of this line blank? */
int dbc_lex_eol(struct parser *p);
/*
 * Is the parser at the first token of a line, and is it a section
 * keyword?  Lists that should end in ';' stop here (with a warning), as
 * real files forget the ';' now and then.
 */
int dbc_lex_at_new_stmt(struct parser *p);
/*
 * Lists ending in ';': skips separating commas; returns 1 when another
 * item follows, 0 at the ';' (not consumed), the end, or a new statement.
 */
int dbc_lex_list_more(struct parser *p);

/* Hash of a name (n bytes) for the parser's and the database's tables. */
static inline uint64_t dbc_name_hash(const char *s, size_t n, uint64_t seed)
{
	return dbc_hash_bytes(s, n, seed);
}

/* 1 if entries a and b of the table's array (ctx) have the same key. */
typedef int (*dbc_same_fn)(const void *ctx, uint32_t a, uint32_t b);

/*
 * Indexes idx under h with one entry per key: an entry that same() says
 * has idx's key is replaced (the later definition wins) or, with
 * keep_first, kept.  Returns 0 or -ENOMEM.
 */
int dbc_index_once(struct dbc_htab *t, uint64_t h, uint32_t idx, dbc_same_fn same, const void *ctx,
		   int keep_first);
/* dbc_same_fn of attribute definitions (ctx: their array), by name. */
int dbc_same_def(const void *ctx, uint32_t a, uint32_t b);
/* Index of the attribute definition named s (NUL-terminated), or -1. */
long dbc_find_def(struct parser *p, const char *s);

/* Index of a section keyword (s, n bytes) in the statement table, or -1. */
long dbc_section_of(const char *s, size_t n);

/* Moves what was read into the database (p->db): lookup tables, decode
 * order, attributes.  Returns 0 or -ENOMEM. */
int dbc_link(struct parser *p);

#endif
