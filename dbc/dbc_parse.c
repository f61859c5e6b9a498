/* SPDX-License-Identifier: MIT */
/*
 * dbc_parse.c - hand-written, single-pass DBC parser.
 *
 * The input is never NUL-terminated (it is usually an mmap of the file), so
 * every read checks the end.  A bad statement is reported as a warning and
 * the parser resynchronises at the next line that starts with a keyword, so
 * one broken line never costs the rest of the file.  References (CM_, VAL_,
 * BA_, SG_MUL_VAL_ ...) are resolved through hash tables as they are read,
 * which keeps loading linear in the file size.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbc_priv.h"

/*
 * Big blocks.  A big file writes over a hundred MiB of fresh memory, and
 * each 4 KiB page of it costs a fault: on a paravirtualised host about
 * 14 us, most of a 50 MB load.  Past BIG_MIN a vector (or arena chunk)
 * lives in a mapping of its own offered to transparent huge pages, 512
 * times fewer faults; it grows with mremap(), which moves page tables,
 * not bytes.  Where THP is off this is plain memory.  *map is the
 * mapping's length, 0 while the block is malloc's.
 */
#define BIG_MIN ((size_t)4 << 20)
#define BIG_ALIGN ((size_t)2 << 20)

static void *big_grow(void *v, size_t used, size_t *map, size_t n)
{
	size_t len = (n + BIG_ALIGN - 1) & ~(BIG_ALIGN - 1);
	void *nv;

	if (!*map && n < BIG_MIN)
		return realloc(v, n);
	if (*map && len <= *map)
		return v;
	if (*map) {
		nv = mremap(v, *map, len, MREMAP_MAYMOVE);
		if (nv == MAP_FAILED)
			return NULL;
	} else {
		nv = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (nv == MAP_FAILED)
			return NULL;
#ifdef MADV_HUGEPAGE
		(void)madvise(nv, len, MADV_HUGEPAGE);
#endif
		if (used)
			memcpy(nv, v, used);
		free(v);
	}
	*map = len;
	return nv;
}

/* Gives back the tail past n bytes (a mapping shrinks in place). */
static void *big_trim(void *v, size_t *map, size_t n)
{
	size_t len = (n + BIG_ALIGN - 1) & ~(BIG_ALIGN - 1);
	void *nv;

	if (!*map) {
		nv = realloc(v, n);
		return nv ? nv : v;
	}
	if (len < *map && !munmap((char *)v + len, *map - len))
		*map = len;
	return v;
}

void dbc_big_free(void *v, size_t map)
{
	if (v && map)
		munmap(v, map);
	else
		free(v);
}

/* ---- arena: every string and table of a database lives here */

struct dbc_chunk {
	struct dbc_chunk *next;
	size_t used, cap;
	size_t map;     /* length of its own mapping, 0: malloc's */
	size_t total;   /* cap of this chunk and all before it */
	char mem[];
};

static void *arena_alloc(struct dbc_chunk **a, size_t n)
{
	struct dbc_chunk *c = *a;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (!c || c->cap - c->used < n) {
		/* 64 KiB chunks from malloc (reused load after load), and
		 * past BIG_MIN in all 8 MiB mappings like the big vectors' */
		size_t total = c ? c->total : 0;
		size_t cap = total < BIG_MIN ? 65536 : ((size_t)8 << 20) - sizeof(*c);
		size_t map = 0;

		if (cap < n)
			cap = n;
		if (cap >= BIG_MIN) {
			c = big_grow(NULL, 0, &map, sizeof(*c) + cap);
			if (c)
				cap = map - sizeof(*c);
		} else {
			c = malloc(sizeof(*c) + cap);
		}
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->map = map;
		c->total = total + cap;
		c->next = *a;
		*a = c;
	}
	p = c->mem + c->used;
	c->used += n;
	return p;
}

void dbc_arena_free(struct dbc_chunk *c)
{
	while (c) {
		struct dbc_chunk *n = c->next;

		dbc_big_free(c, c->map);
		c = n;
	}
}

/* ---- hashing */

uint64_t dbc_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	while (n--) {
		h ^= *s++;
		h *= 0x100000001b3ull;
	}
	/* FNV's low bits mix poorly, and they pick the slot: finish well */
	return dbc_hash_u64(h);
}

uint64_t dbc_hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

int dbc_htab_init(struct dbc_htab *t, uint32_t want)
{
	uint32_t cap = 16;

	while (cap < want * 2 && cap < (1u << 30))
		cap <<= 1;
	t->s = calloc(cap, sizeof(*t->s));
	t->cap = cap;
	t->n = 0;
	t->probes = 0;
	if (!t->s) {
		t->cap = 0;
		return -ENOMEM;
	}
	return 0;
}

void dbc_htab_fini(struct dbc_htab *t)
{
	free(t->s);
	t->s = NULL;
	t->cap = t->n = 0;
}

static int htab_grow(struct dbc_htab *t)
{
	struct dbc_htab nt;
	uint32_t i;

	if (dbc_htab_init(&nt, t->cap) < 0)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		uint32_t j;

		if (!t->s[i].idx)
			continue;
		for (j = t->s[i].tag & (nt.cap - 1); nt.s[j].idx;
		     j = (j + 1) & (nt.cap - 1))
			;
		nt.s[j] = t->s[i];
		nt.n++;
	}
	nt.probes = t->probes;
	dbc_htab_fini(t);
	*t = nt;
	return 0;
}

int dbc_htab_put(struct dbc_htab *t, uint64_t h, uint32_t idx)
{
	uint32_t j;

	if ((t->n + 1) * 2 > t->cap && htab_grow(t) < 0)
		return -ENOMEM;
	for (j = (uint32_t)h & (t->cap - 1); t->s[j].idx; j = (j + 1) & (t->cap - 1))
		t->probes++;
	t->probes++;
	t->s[j].idx = idx + 1;
	t->s[j].tag = (uint32_t)h;
	t->n++;
	return 0;
}

long dbc_htab_next(const struct dbc_htab *t, uint64_t h, uint32_t *it)
{
	uint32_t j;

	if (!t->cap)
		return -1;
	/* *it counts probes made so far */
	j = ((uint32_t)h + *it) & (t->cap - 1);
	while (t->s[j].idx && *it < t->cap) {
		(*it)++;
		if (t->s[j].tag == (uint32_t)h)
			return (long)t->s[j].idx - 1;
		j = (j + 1) & (t->cap - 1);
	}
	return -1;
}

void dbc_htab_set(struct dbc_htab *t, uint64_t h, uint32_t it, uint32_t idx)
{
	if (t->cap && it)
		t->s[((uint32_t)h + it - 1) & (t->cap - 1)].idx = idx + 1;
}

/* ---- parse state */

struct psig {
	uint32_t msg;
	uint32_t rfirst, nr;     /* receivers in p->strs */
	uint64_t muxval;         /* "mN" */
	int has_muxval;
	long sel;                /* selector from SG_MUL_VAL_, -1 if none */
	uint32_t mulval_stmt;    /* latest SG_MUL_VAL_ statement, 0 none */
	uint32_t val_stmt;       /* latest VAL_ statement, 0 none */
	int kind_set;
};

struct pmsg {
	uint32_t rawid;          /* as written, bit 31 included */
	uint32_t first, n;       /* signals */
};

struct pref {                    /* sender of a message */
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

/* map: see big_grow() */
#define VEC(T) struct { T *v; size_t n, cap, map; }
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

#define VEC_PUSH(p, vec, out)                                                  \
	do {                                                                   \
		if ((vec).n == (vec).cap) {                                    \
			size_t nc = (vec).cap ? (vec).cap * 2 : 64;            \
			void *nv = big_grow((vec).v, (vec).n * sizeof(*(vec).v), \
					    &(vec).map, nc * sizeof(*(vec).v)); \
			if (!nv) {                                             \
				(p)->oom = 1;                                  \
				out = NULL;                                    \
				break;                                         \
			}                                                      \
			(vec).v = nv;                                          \
			(vec).cap = nc;                                        \
		}                                                              \
		out = &(vec).v[(vec).n++];                                     \
		memset(out, 0, sizeof(*out));                                  \
	} while (0)

static void warn_at(struct parser *p, unsigned int line, size_t col,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void warn_at(struct parser *p, unsigned int line, size_t col,
		    const char *fmt, ...)
{
	char text[DBC_ERRMSG_MAX - 64];
	char full[DBC_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (col)
		snprintf(full, sizeof(full), "%s:%u:%zu: %s", p->path, line,
			 col, text);
	else
		snprintf(full, sizeof(full), "%s:%u: %s", p->path, line, text);
	p->db->nwarnings++;
	if (p->flags & DBC_STRICT) {
		if (!p->failed && p->errout)
			snprintf(p->errout, p->errsz, "%s", full);
		p->failed = 1;
		return;
	}
	if (p->o && p->o->warn)
		p->o->warn(p->o->ctx, full);
}

static size_t col_of(const struct parser *p, size_t pos)
{
	return pos - p->line_start + 1;
}

/* Records the first error of a statement; the statement is then dropped. */
static int fail(struct parser *p, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (p->err)
		return -1;
	p->err = 1;
	p->err_pos = pos;
	p->err_line = p->line;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg) - 64, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- lexing */

static int at_end(const struct parser *p)
{
	return p->pos >= p->n;
}

static int cur(const struct parser *p)
{
	return p->pos < p->n ? (unsigned char)p->b[p->pos] : -1;
}

static void newline(struct parser *p)
{
	p->line++;
	p->line_start = p->pos;
}

/* Skips blanks; with nl also newlines. */
static void skip_ws(struct parser *p, int nl)
{
	while (p->pos < p->n) {
		char c = p->b[p->pos];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			p->pos++;
		} else if (c == '\n' && nl) {
			p->pos++;
			newline(p);
		} else if (c == '/' && p->pos + 1 < p->n && p->b[p->pos + 1] == '/') {
			/* some generators leave // comments */
			while (p->pos < p->n && p->b[p->pos] != '\n')
				p->pos++;
		} else {
			break;
		}
	}
}

static int is_punct(int c)
{
	return c == ':' || c == ';' || c == ',' || c == '|' || c == '@' ||
	       c == '(' || c == ')' || c == '[' || c == ']' || c == '"';
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\v';
}

/* Names are raw bytes up to a blank or punctuation. */
static int lex_ident(struct parser *p, const char **s, size_t *len)
{
	size_t st;

	skip_ws(p, 1);
	st = p->pos;
	while (p->pos < p->n && !is_space(cur(p)) && !is_punct(cur(p)))
		p->pos++;
	if (p->pos == st)
		return fail(p, st, at_end(p) ? "expected a name, got end of file"
				   : "expected a name");
	*s = p->b + st;
	*len = p->pos - st;
	return 0;
}

static const char *dup_str(struct parser *p, const char *s, size_t n)
{
	char *d = arena_alloc(&p->arena, n + 1);

	if (!d) {
		p->oom = 1;
		return NULL;
	}
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

static int ident(struct parser *p, const char **out)
{
	const char *s;
	size_t n;

	if (lex_ident(p, &s, &n) < 0)
		return -1;
	*out = dup_str(p, s, n);
	return *out ? 0 : -1;
}

static int peek_is(struct parser *p, const char *kw)
{
	size_t n = strlen(kw);

	skip_ws(p, 1);
	if (p->n - p->pos < n || memcmp(p->b + p->pos, kw, n))
		return 0;
	return p->pos + n == p->n || is_space(p->b[p->pos + n]) ||
	       is_punct(p->b[p->pos + n]);
}

static int expect(struct parser *p, char c)
{
	skip_ws(p, 1);
	if (cur(p) != c)
		return fail(p, p->pos, "expected '%c'", c);
	p->pos++;
	return 0;
}

static int accept(struct parser *p, char c)
{
	skip_ws(p, 1);
	if (cur(p) != c)
		return 0;
	p->pos++;
	return 1;
}

/* Numbers: copied into a small buffer, because the input has no NUL. */
static int lex_num_text(struct parser *p, char *buf, size_t bufsz)
{
	size_t st, k = 0;

	skip_ws(p, 1);
	st = p->pos;
	if (cur(p) == '+' || cur(p) == '-')
		buf[k++] = p->b[p->pos++];
	while (p->pos < p->n && k + 1 < bufsz) {
		int c = cur(p);

		if ((c >= '0' && c <= '9') || c == '.' || c == 'x' || c == 'X' ||
		    (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
			buf[k++] = (char)c;
			p->pos++;
		} else if ((c == '+' || c == '-') && k &&
			   (buf[k - 1] == 'e' || buf[k - 1] == 'E') &&
			   !(k > 1 && (buf[1] == 'x' || buf[1] == 'X'))) {
			buf[k++] = (char)c;
			p->pos++;
		} else {
			break;
		}
	}
	buf[k] = 0;
	if (!k || (k == 1 && (buf[0] == '+' || buf[0] == '-')))
		return fail(p, st, "expected a number");
	return (int)st;
}

/*
 * Plain decimals with at most 15 digits are exact as digits / 10^k, and a
 * division of two exact doubles is correctly rounded: the same result as
 * strtod, without its cost.  Anything else goes to strtod.
 */
static int fast_decimal(const char *s, double *v)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
				      1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	uint64_t m = 0;
	int neg = 0, digits = 0, frac = -1;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || ++digits > 15)
			return 0;
		m = m * 10 + (uint64_t)(*s - '0');
		if (frac >= 0)
			frac++;
	}
	if (!digits)
		return 0;
	*v = (double)m;
	if (frac > 0)
		*v /= p10[frac];
	if (neg)
		*v = -*v;
	return 1;
}

static int num(struct parser *p, double *v)
{
	char buf[80], *end;
	int st = lex_num_text(p, buf, sizeof(buf));

	if (st < 0)
		return -1;
	if (fast_decimal(buf, v))
		return 0;
	*v = strtod(buf, &end);
	if (*end || end == buf) {
		p->pos = (size_t)st;
		return fail(p, (size_t)st, "bad number '%s'", buf);
	}
	return 0;
}

/* Exact integer (decimal or 0x hex), negatives as two's complement. */
static int inum(struct parser *p, uint64_t *v, int *neg)
{
	char buf[80], *end, *s = buf;
	int st = lex_num_text(p, buf, sizeof(buf));
	int minus = 0;

	if (st < 0)
		return -1;
	if (*s == '-' || *s == '+')
		minus = *s++ == '-';
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		*v = strtoull(s + 2, &end, 16);
	} else {
		/* plain decimal, the common case, without strtoull */
		uint64_t x = 0;

		for (end = s; *end >= '0' && *end <= '9'; end++) {
			if (x > (UINT64_MAX - 9) / 10 &&
			    (x > UINT64_MAX / 10 ||
			     (uint64_t)(*end - '0') > UINT64_MAX - x * 10)) {
				errno = ERANGE;
				break;
			}
			x = x * 10 + (uint64_t)(*end - '0');
		}
		*v = x;
	}
	if (*end == '.' || *end == 'e' || *end == 'E') {
		/* "1.0" where an integer belongs: accept integral values */
		double d = strtod(buf, &end);

		if (*end || d != floor(d) || fabs(d) > 9.2e18)
			goto bad;
		*v = (uint64_t)(d < 0 ? -d : d);
	} else if (*end || errno || end == s) {
		goto bad;
	}
	if (neg)
		*neg = minus;
	if (minus)
		*v = (uint64_t)0 - *v;
	return 0;
bad:
	return fail(p, (size_t)st, "bad integer '%s'", buf);
}

static int unum(struct parser *p, uint64_t *v)
{
	int neg;
	size_t st;

	skip_ws(p, 1);
	st = p->pos;
	if (inum(p, v, &neg) < 0)
		return -1;
	if (neg && *v)
		return fail(p, st, "negative value not allowed here");
	return 0;
}

/* "..." with \" and \\ escapes; may span lines. */
static int string(struct parser *p, const char **out)
{
	size_t st, i, k;
	unsigned int sline;
	size_t sls;
	int esc = 0;
	char *d;

	skip_ws(p, 1);
	if (cur(p) != '"')
		return fail(p, p->pos, "expected '\"'");
	st = ++p->pos;
	sline = p->line;
	sls = p->line_start;
	for (i = st; i < p->n; i++) {
		char c = p->b[i];

		if (c == '\\' && i + 1 < p->n &&
		    (p->b[i + 1] == '"' || p->b[i + 1] == '\\')) {
			i++;
			esc = 1;
		} else if (c == '"') {
			break;
		} else if (c == '\n') {
			p->pos = i + 1;
			newline(p);
		}
	}
	if (i >= p->n) {
		p->line = sline;
		p->line_start = sls;
		p->pos = st - 1;
		return fail(p, st - 1, "unterminated string");
	}
	d = arena_alloc(&p->arena, i - st + 1);
	if (!d) {
		p->oom = 1;
		return -1;
	}
	if (!esc) {
		memcpy(d, p->b + st, i - st);
		k = i - st;
	} else {
		size_t j;

		for (j = st, k = 0; j < i; j++) {
			if (p->b[j] == '\\' && j + 1 < i &&
			    (p->b[j + 1] == '"' || p->b[j + 1] == '\\'))
				j++;
			d[k++] = p->b[j];
		}
	}
	d[k] = 0;
	p->pos = i + 1;
	*out = d;
	return 0;
}

/* Every statement but BU_/BO_/SG_ ends in ';'.  A missing one is a warning. */
static void end_stmt(struct parser *p)
{
	skip_ws(p, 1);
	if (cur(p) == ';') {
		p->pos++;
		return;
	}
	warn_at(p, p->line, col_of(p, p->pos), "expected ';'");
}

/* Skips to just past the next ';' outside strings (known sections we keep
 * no data from). */
static void skip_to_semi(struct parser *p)
{
	int instr = 0;

	while (p->pos < p->n) {
		char c = p->b[p->pos++];

		if (c == '\n')
			newline(p);
		else if (c == '\\' && instr && p->pos < p->n && p->b[p->pos] != '\n')
			p->pos++;
		else if (c == '"')
			instr = !instr;
		else if (c == ';' && !instr)
			return;
	}
}

static void skip_line(struct parser *p)
{
	while (p->pos < p->n && p->b[p->pos] != '\n')
		p->pos++;
	if (p->pos < p->n) {
		p->pos++;
		newline(p);
	}
}

/* Is the rest of this line blank? */
static int eol(struct parser *p)
{
	skip_ws(p, 0);
	return at_end(p) || cur(p) == '\n';
}

static long section_of(const char *s, size_t n);

/*
 * Is the parser at the first token of a line, and is it a section
 * keyword?  Lists that should end in ';' stop here (with a warning), as
 * real files forget the ';' now and then.
 */
static int at_new_stmt(struct parser *p)
{
	size_t i, e;

	skip_ws(p, 1);
	for (i = p->line_start; i < p->pos; i++)
		if (p->b[i] != ' ' && p->b[i] != '\t' && p->b[i] != '\r')
			return 0;
	for (e = p->pos; e < p->n && !is_space(p->b[e]) && !is_punct(p->b[e]); e++)
		;
	return e > p->pos && section_of(p->b + p->pos, e - p->pos) >= 0;
}

/*
 * Lists ending in ';': skips separating commas; returns 1 when another
 * item follows, 0 at the ';' (not consumed), the end, or a new statement.
 */
static int list_more(struct parser *p)
{
	for (;;) {
		skip_ws(p, 1);
		if (cur(p) == ';' || at_end(p) || at_new_stmt(p))
			return 0;
		if (cur(p) != ',')
			return 1;
		p->pos++;
	}
}

/* ---- lookups used while parsing */

static uint64_t name_hash(const char *s, size_t n, uint64_t seed)
{
	return dbc_hash_bytes(s, n, seed);
}

typedef int (*same_fn)(const void *ctx, uint32_t a, uint32_t b);

/*
 * Indexes idx under h with one entry per key: an entry that same() says
 * has idx's key is replaced (the later definition wins) or, with
 * keep_first, kept.  n repeats of a key thus cost n short probes, not a
 * cluster of n that every later insert and lookup walks.  Returns 0 or
 * -ENOMEM.
 */
static int index_once(struct dbc_htab *t, uint64_t h, uint32_t idx, same_fn same,
		      const void *ctx, int keep_first)
{
	uint32_t it = 0;
	long i;

	while ((i = dbc_htab_next(t, h, &it)) >= 0)
		if (same(ctx, (uint32_t)i, idx)) {
			if (!keep_first)
				dbc_htab_set(t, h, it, idx);
			return 0;
		}
	return dbc_htab_put(t, h, idx);
}

static int same_rawid(const void *ctx, uint32_t a, uint32_t b)
{
	const struct parser *p = ctx;

	return p->pm.v[a].rawid == p->pm.v[b].rawid;
}

static int same_def(const void *ctx, uint32_t a, uint32_t b)
{
	const struct dbc_attr_def *d = ctx;

	return !strcmp(d[a].name, d[b].name);
}

static int same_obj(const void *ctx, uint32_t a, uint32_t b)
{
	const struct dbc_attrval *v = ctx;

	return v[a].def == v[b].def && v[a].kind == v[b].kind && v[a].obj == v[b].obj;
}

static int same_id(const void *ctx, uint32_t a, uint32_t b)
{
	const struct dbc_message *m = ctx;

	return m[a].id == m[b].id && m[a].ext == m[b].ext;
}

static int same_name(const void *ctx, uint32_t a, uint32_t b)
{
	const struct dbc_message *m = ctx;

	return !strcmp(m[a].name, m[b].name);
}

static int same_pgn(const void *ctx, uint32_t a, uint32_t b)
{
	const struct dbc_message *m = ctx;

	return dbc_j1939_pgn(m[a].id) == dbc_j1939_pgn(m[b].id);
}

static long find_msg(struct parser *p, uint32_t rawid)
{
	uint64_t h = dbc_hash_u64(rawid);
	uint32_t it = 0;
	long i, found = -1;

	/* the last definition of a duplicated id wins, as in cantools */
	while ((i = dbc_htab_next(&p->msg_by_rawid, h, &it)) >= 0)
		if (p->pm.v[i].rawid == rawid && i > found)
			found = i;
	return found;
}

static int msg_ref(struct parser *p, long *mi)
{
	uint64_t id;
	size_t st;

	skip_ws(p, 1);
	st = p->pos;
	if (unum(p, &id) < 0)
		return -1;
	*mi = find_msg(p, (uint32_t)id);
	if (*mi < 0)
		return fail(p, st, "no message with id %llu",
			    (unsigned long long)id);
	return 0;
}

/*
 * Signals of a message are contiguous and usually few: a scan over them
 * is cache-hot, where a global hash costs a cache miss per lookup.  Only
 * messages with more than SCAN_MAX signals go into the hash.
 */
#define SCAN_MAX 32

static long find_sig(struct parser *p, long mi, const char *s, size_t n)
{
	const struct pmsg *pm = &p->pm.v[mi];
	uint64_t h;
	uint32_t it = 0;
	long i;

	if (pm->n <= SCAN_MAX) {
		for (i = (long)pm->first; i < (long)(pm->first + pm->n); i++)
			if (!strncmp(p->sigs.v[i].name, s, n) &&
			    !p->sigs.v[i].name[n])
				return i;
		return -1;
	}
	h = name_hash(s, n, (uint64_t)mi);
	while ((i = dbc_htab_next(&p->sig_by_name, h, &it)) >= 0)
		if (p->ps.v[i].msg == (uint32_t)mi &&
		    !strncmp(p->sigs.v[i].name, s, n) && !p->sigs.v[i].name[n])
			return i;
	return -1;
}

static int sig_ref(struct parser *p, long mi, long *si)
{
	const char *s;
	size_t n;

	if (lex_ident(p, &s, &n) < 0)
		return -1;
	*si = find_sig(p, mi, s, n);
	if (*si < 0)
		return fail(p, (size_t)(s - p->b), "no signal '%.*s' in %s",
			    (int)n, s, p->msgs.v[mi].name);
	return 0;
}

static long find_node(struct parser *p, const char *s, size_t n)
{
	uint64_t h = name_hash(s, n, 1);
	uint32_t it = 0;
	long i;

	while ((i = dbc_htab_next(&p->node_by_name, h, &it)) >= 0)
		if (!strncmp(p->nodes.v[i].name, s, n) && !p->nodes.v[i].name[n])
			return i;
	return -1;
}

static int node_ref(struct parser *p, long *ni)
{
	const char *s;
	size_t n;

	if (lex_ident(p, &s, &n) < 0)
		return -1;
	*ni = find_node(p, s, n);
	if (*ni < 0)
		return fail(p, (size_t)(s - p->b), "no node '%.*s'", (int)n, s);
	return 0;
}

/* ---- sections */

static int p_version(struct parser *p)
{
	return string(p, &p->db->version);
}

/* NS_ : followed by a list of section names, one per line. */
static int p_ns(struct parser *p)
{
	const char *s;
	size_t n;

	if (expect(p, ':') < 0)
		return -1;
	while (!eol(p))
		if (lex_ident(p, &s, &n) < 0)
			return -1;
	while (p->pos < p->n) {
		size_t save = p->pos, sls = p->line_start;
		unsigned int sl = p->line;

		p->pos++; /* the newline */
		newline(p);
		if (eol(p))
			continue;
		/* a list entry is a lone name on its line */
		if (lex_ident(p, &s, &n) < 0 || !eol(p)) {
			p->err = 0;
			p->pos = save;
			p->line = sl;
			p->line_start = sls;
			return 0;
		}
	}
	return 0;
}

static int p_bs(struct parser *p)
{
	uint64_t v;

	if (expect(p, ':') < 0)
		return -1;
	if (eol(p))
		return 0;
	if (cur(p) == ';') {
		p->pos++;
		return 0;
	}
	if (unum(p, &v) < 0)
		return -1;
	p->db->baudrate = v;
	if (accept(p, ':')) {
		if (unum(p, &v) < 0 || expect(p, ',') < 0 || unum(p, &v) < 0)
			return -1;
	}
	accept(p, ';');
	return 0;
}

static int add_node(struct parser *p, const char *s, size_t n, unsigned int line)
{
	struct dbc_node *nd;

	if (find_node(p, s, n) >= 0) {
		warn_at(p, line, col_of(p, (size_t)(s - p->b)),
			"duplicate node '%.*s'", (int)n, s);
		return 0;
	}
	VEC_PUSH(p, p->nodes, nd);
	if (!nd)
		return -1;
	nd->name = dup_str(p, s, n);
	nd->line = line;
	if (!nd->name ||
	    dbc_htab_put(&p->node_by_name, name_hash(s, n, 1),
			 (uint32_t)(p->nodes.n - 1)) < 0) {
		p->oom = 1;
		return -1;
	}
	return 0;
}

static int p_bu(struct parser *p)
{
	if (expect(p, ':') < 0)
		return -1;
	while (!eol(p)) {
		const char *s;
		size_t n;

		if (cur(p) == ';') {
			p->pos++;
			continue;
		}
		if (cur(p) == ',') {
			p->pos++;
			continue;
		}
		if (lex_ident(p, &s, &n) < 0 || add_node(p, s, n, p->line) < 0)
			return -1;
	}
	/* some generators put one node per line below "BU_:" */
	while (p->pos < p->n) {
		size_t save = p->pos, sls = p->line_start, e;
		unsigned int sl = p->line;
		const char *s;
		size_t n;

		p->pos++;
		newline(p);
		skip_ws(p, 0);
		for (e = p->pos; e < p->n && !is_space(p->b[e]) &&
		     !is_punct(p->b[e]); e++)
			;
		if (p->pos == p->line_start || e == p->pos ||
		    section_of(p->b + p->pos, e - p->pos) >= 0) {
			p->pos = save;
			p->line = sl;
			p->line_start = sls;
			return 0;
		}
		while (!eol(p)) {
			if (cur(p) == ',' || cur(p) == ';') {
				p->pos++;
				continue;
			}
			if (lex_ident(p, &s, &n) < 0 ||
			    add_node(p, s, n, p->line) < 0)
				return -1;
		}
	}
	return 0;
}

static int p_bo(struct parser *p)
{
	uint64_t id, dlc;
	const char *name, *sender = NULL;
	size_t st, nst;
	struct dbc_message *m;
	struct pmsg *pm;
	unsigned int line = p->line;

	skip_ws(p, 1);
	st = p->pos;
	if (unum(p, &id) < 0)
		return -1;
	if (id > 0xFFFFFFFFull)
		return fail(p, st, "message id %llu out of range",
			    (unsigned long long)id);
	skip_ws(p, 1);
	nst = p->pos;
	if (ident(p, &name) < 0 || expect(p, ':') < 0 || unum(p, &dlc) < 0)
		return -1;
	if (!eol(p) && ident(p, &sender) < 0)
		return -1;
	if (!eol(p))
		return fail(p, p->pos, "unexpected text after the sender");
	if (dlc > CF_MAX_LEN) {
		warn_at(p, line, col_of(p, nst), "message %s: length %llu "
			"exceeds 64 bytes, clamped", name,
			(unsigned long long)dlc);
		dlc = CF_MAX_LEN;
	}
	VEC_PUSH(p, p->msgs, m);
	if (!m)
		return -1;
	VEC_PUSH(p, p->pm, pm);
	if (!pm)
		return -1;
	m->name = name;
	m->sender = sender;
	m->length = (uint16_t)dlc;
	m->line = line;
	pm->rawid = (uint32_t)id;
	pm->first = (uint32_t)p->sigs.n;
	if (id & 0x80000000u) {
		m->ext = 1;
		m->id = (uint32_t)id & 0x7FFFFFFFu;
		/* VECTOR__INDEPENDENT_SIG_MSG (0xC0000000) is a container,
		 * never a frame: keep it without complaint */
		if (m->id > CF_EFF_MASK && strcmp(name, "VECTOR__INDEPENDENT_SIG_MSG"))
			warn_at(p, line, col_of(p, st), "message %s: id 0x%X "
				"exceeds 29 bits", name, m->id);
	} else {
		m->id = (uint32_t)id;
		if (id > CF_SFF_MASK &&
		    strcmp(name, "VECTOR__INDEPENDENT_SIG_MSG")) {
			/* cantools matches these as extended; so do we */
			m->ext = 1;
			warn_at(p, line, col_of(p, st), "message %s: standard id "
				"0x%llX exceeds 11 bits; kept as extended",
				name, (unsigned long long)id);
		}
	}
	if (index_once(&p->msg_by_rawid, dbc_hash_u64(pm->rawid),
		       (uint32_t)(p->msgs.n - 1), same_rawid, p, 0) < 0) {
		p->oom = 1;
		return -1;
	}
	return 0;
}

static int parse_mux(struct parser *p, const char *s, size_t n, size_t pos,
		     struct dbc_signal *sg, struct psig *ps)
{
	size_t i = 1;
	uint64_t v = 0;

	if (n == 1 && s[0] == 'M') {
		sg->mux = DBC_MUX_SELECTOR;
		return 0;
	}
	if (n == 1 && s[0] == 'm') {
		/* seen in real files; cantools reads it as "M" too */
		warn_at(p, p->line, col_of(p, pos), "signal %s: multiplexer "
			"indicator 'm' read as 'M'", sg->name);
		sg->mux = DBC_MUX_SELECTOR;
		return 0;
	}
	if (s[0] != 'm' || n < 2)
		goto bad;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			goto bad;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 1)
		goto bad;
	sg->mux = DBC_MUX_MUXED;
	ps->muxval = v;
	ps->has_muxval = 1;
	if (i == n)
		return 0;
	if (i + 1 == n && s[i] == 'M') {
		sg->mux |= DBC_MUX_SELECTOR;
		return 0;
	}
bad:
	return fail(p, pos, "bad multiplexer indicator '%.*s'", (int)n, s);
}

static int p_sg(struct parser *p)
{
	struct dbc_signal sg;
	struct psig ps;
	const char *s;
	size_t n, st;
	uint64_t start, size;
	int c;
	long mi = (long)p->msgs.n - 1;
	unsigned int line = p->line;

	memset(&sg, 0, sizeof(sg));
	memset(&ps, 0, sizeof(ps));
	ps.sel = -1;
	if (mi < 0)
		return fail(p, p->pos, "SG_ before any BO_");
	skip_ws(p, 1);
	st = p->pos;
	if (lex_ident(p, &s, &n) < 0)
		return -1;
	if (find_sig(p, mi, s, n) >= 0)
		return fail(p, st, "duplicate signal '%.*s' in %s", (int)n, s,
			    p->msgs.v[mi].name);
	sg.name = dup_str(p, s, n);
	if (!sg.name)
		return -1;
	skip_ws(p, 1);
	if (cur(p) != ':') {
		size_t mpos = p->pos;

		if (lex_ident(p, &s, &n) < 0 || parse_mux(p, s, n, mpos, &sg, &ps) < 0)
			return -1;
	}
	if (expect(p, ':') < 0 || unum(p, &start) < 0 || expect(p, '|') < 0 ||
	    unum(p, &size) < 0 || expect(p, '@') < 0)
		return -1;
	c = cur(p);
	if (c != '0' && c != '1')
		return fail(p, p->pos, "expected byte order 0 or 1");
	sg.big_endian = c == '0';
	p->pos++;
	c = cur(p);
	if (c != '+' && c != '-')
		return fail(p, p->pos, "expected sign '+' or '-'");
	sg.is_signed = c == '-';
	p->pos++;
	if (expect(p, '(') < 0 || num(p, &sg.scale) < 0 || expect(p, ',') < 0 ||
	    num(p, &sg.offset) < 0 || expect(p, ')') < 0 || expect(p, '[') < 0 ||
	    num(p, &sg.min) < 0 || expect(p, '|') < 0 || num(p, &sg.max) < 0 ||
	    expect(p, ']') < 0 || string(p, &sg.unit) < 0)
		return -1;
	ps.rfirst = (uint32_t)p->strs.n;
	while (!eol(p)) {
		const char **r;

		if (cur(p) == ',') {
			p->pos++;
			continue;
		}
		if (cur(p) == ';') { /* seen in the wild */
			p->pos++;
			continue;
		}
		VEC_PUSH(p, p->strs, r);
		if (!r)
			return -1;
		if (ident(p, r) < 0) {
			p->strs.n--;
			return -1;
		}
		ps.nr++;
	}
	if (size == 0 || size > 64)
		return fail(p, st, "signal %s: size %llu is not 1..64", sg.name,
			    (unsigned long long)size);
	sg.start = (uint16_t)(start > 65535 ? 65535 : start);
	sg.size = (uint16_t)size;
	if (start >= 8 * CF_MAX_LEN || dbc_compile_signal(&sg) < 0)
		return fail(p, st, "signal %s: bits %llu|%llu lie outside 64 "
			    "bytes", sg.name, (unsigned long long)start,
			    (unsigned long long)size);
	if (sg.scale == 0) {
		warn_at(p, line, col_of(p, st), "signal %s: scale 0, using 1",
			sg.name);
		sg.scale = 1;
	}
	sg.line = line;
	ps.msg = (uint32_t)mi;
	{
		struct dbc_signal *dst;
		struct psig *pdst;

		VEC_PUSH(p, p->sigs, dst);
		if (!dst)
			return -1;
		VEC_PUSH(p, p->ps, pdst);
		if (!pdst)
			return -1;
		*dst = sg;
		*pdst = ps;
	}
	/* a message's signals are contiguous: SG_ attaches to the last BO_ */
	if (++p->pm.v[mi].n > SCAN_MAX) {
		uint32_t k = p->pm.v[mi].n == SCAN_MAX + 1 ? p->pm.v[mi].first
							 : (uint32_t)p->sigs.n - 1;

		for (; k < p->sigs.n; k++) {
			const char *nm = p->sigs.v[k].name;

			if (dbc_htab_put(&p->sig_by_name,
					 name_hash(nm, strlen(nm), (uint64_t)mi),
					 k) < 0) {
				p->oom = 1;
				return -1;
			}
		}
	}
	return 0;
}

static int p_bo_tx_bu(struct parser *p)
{
	long mi;

	if (msg_ref(p, &mi) < 0 || expect(p, ':') < 0)
		return -1;
	while (list_more(p)) {
		struct pref *r;

		VEC_PUSH(p, p->senders, r);
		if (!r)
			return -1;
		r->owner = (uint32_t)mi;
		if (ident(p, &r->s) < 0) {
			p->senders.n--;
			return -1;
		}
	}
	end_stmt(p);
	return 0;
}

static int p_cm(struct parser *p)
{
	const char *text;
	long mi, si, ni;

	if (peek_is(p, "BU_")) {
		p->pos += 3;
		if (node_ref(p, &ni) < 0 || string(p, &text) < 0)
			return -1;
		p->nodes.v[ni].comment = text;
	} else if (peek_is(p, "BO_")) {
		p->pos += 3;
		if (msg_ref(p, &mi) < 0 || string(p, &text) < 0)
			return -1;
		p->msgs.v[mi].comment = text;
	} else if (peek_is(p, "SG_")) {
		p->pos += 3;
		if (msg_ref(p, &mi) < 0)
			return -1;
		skip_ws(p, 1);
		if (cur(p) == '"') {
			/* "CM_ SG_ 304 "..."" without a signal name, seen in
			 * real files: the comment belongs to the message */
			if (string(p, &text) < 0)
				return -1;
			if (!p->msgs.v[mi].comment)
				p->msgs.v[mi].comment = text;
		} else {
			if (sig_ref(p, mi, &si) < 0 || string(p, &text) < 0)
				return -1;
			p->sigs.v[si].comment = text;
		}
	} else if (peek_is(p, "EV_")) {
		const char *name;

		p->pos += 3;
		if (ident(p, &name) < 0 || string(p, &text) < 0)
			return -1;
	} else {
		if (string(p, &text) < 0)
			return -1;
		p->db->comment = text;
	}
	end_stmt(p);
	return 0;
}

static int choice_list(struct parser *p, long si)
{
	p->stmt++;
	while (list_more(p)) {
		uint64_t v;
		int neg;
		const char *label;
		struct pchoice *c;

		if (inum(p, &v, &neg) < 0 || string(p, &label) < 0)
			return -1;
		if (si < 0)
			continue;
		VEC_PUSH(p, p->choices, c);
		if (!c)
			return -1;
		c->sig = (uint32_t)si;
		c->stmt = p->stmt;
		c->v = (int64_t)v;
		c->label = label;
	}
	if (si >= 0) {
		p->ps.v[si].val_stmt = p->stmt;
		p->sigs.v[si].choices_line = p->line;
	}
	end_stmt(p);
	return 0;
}

static int p_val(struct parser *p)
{
	long mi, si;
	int c;

	skip_ws(p, 1);
	c = cur(p);
	if (!((c >= '0' && c <= '9') || c == '-' || c == '+')) {
		const char *env;

		/* VAL_ on an environment variable: nothing to decode */
		if (ident(p, &env) < 0)
			return -1;
		return choice_list(p, -1);
	}
	if (msg_ref(p, &mi) < 0 || sig_ref(p, mi, &si) < 0)
		return -1;
	{
		unsigned int line = p->line;
		int r = choice_list(p, si);

		p->sigs.v[si].choices_line = line;
		return r;
	}
}

static int p_val_table(struct parser *p)
{
	const char *name;

	if (ident(p, &name) < 0)
		return -1;
	return choice_list(p, -1);
}

static int p_sig_valtype(struct parser *p)
{
	long mi, si;
	uint64_t t;
	size_t st;

	if (msg_ref(p, &mi) < 0 || sig_ref(p, mi, &si) < 0)
		return -1;
	accept(p, ':');
	skip_ws(p, 1);
	st = p->pos;
	if (unum(p, &t) < 0)
		return -1;
	if (t > 2)
		return fail(p, st, "value type %llu is not 0, 1 or 2",
			    (unsigned long long)t);
	if (t == 1 && p->sigs.v[si].size != 32)
		return fail(p, st, "signal %s: float32 needs 32 bits, has %u",
			    p->sigs.v[si].name, p->sigs.v[si].size);
	if (t == 2 && p->sigs.v[si].size != 64)
		return fail(p, st, "signal %s: float64 needs 64 bits, has %u",
			    p->sigs.v[si].name, p->sigs.v[si].size);
	p->sigs.v[si].kind = (uint8_t)t;
	end_stmt(p);
	return 0;
}

static int p_sg_mul_val(struct parser *p)
{
	long mi, si, sel;

	if (msg_ref(p, &mi) < 0 || sig_ref(p, mi, &si) < 0 ||
	    sig_ref(p, mi, &sel) < 0)
		return -1;
	p->stmt++;
	while (list_more(p)) {
		uint64_t lo, hi;
		struct prange *r;
		size_t st = p->pos;

		if (unum(p, &lo) < 0)
			return -1;
		/* "3-5": the '-' was not taken as part of the number */
		if (!accept(p, '-'))
			return fail(p, p->pos, "expected '-' in a range");
		if (unum(p, &hi) < 0)
			return -1;
		if (hi < lo)
			return fail(p, st, "empty range %llu-%llu",
				    (unsigned long long)lo,
				    (unsigned long long)hi);
		VEC_PUSH(p, p->ranges, r);
		if (!r)
			return -1;
		r->sig = (uint32_t)si;
		r->stmt = p->stmt;
		r->lo = lo;
		r->hi = hi;
	}
	p->ps.v[si].sel = sel;
	p->ps.v[si].mulval_stmt = p->stmt;
	end_stmt(p);
	return 0;
}

static long find_def(struct parser *p, const char *s)
{
	size_t n = strlen(s);
	uint64_t h = name_hash(s, n, 2);
	uint32_t it = 0;
	long i, found = -1;
	const struct dbc_attr_def *defs = p->defs.v ? p->defs.v
						   : p->db->attr_defs;

	while ((i = dbc_htab_next(&p->def_by_name, h, &it)) >= 0)
		if (!strcmp(defs[i].name, s) && i > found)
			found = i;
	return found;
}

static int obj_kind(struct parser *p, uint8_t *kind)
{
	static const struct { const char *kw; uint8_t k; } kws[] = {
		{ "BU_", DBC_OBJ_NODE }, { "BO_", DBC_OBJ_MSG },
		{ "SG_", DBC_OBJ_SIG }, { "EV_", DBC_OBJ_ENV },
	};
	size_t i;

	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (peek_is(p, kws[i].kw)) {
			p->pos += 3;
			*kind = kws[i].k;
			return 1;
		}
	*kind = DBC_OBJ_NET;
	return 0;
}

static int p_ba_def(struct parser *p, int rel)
{
	struct dbc_attr_def *d;
	const char *name, *t;
	size_t tn, st;
	uint8_t kind = DBC_OBJ_NET;

	if (rel) {
		const char *relkw;

		if (peek_is(p, "BU_SG_REL_") || peek_is(p, "BU_BO_REL_") ||
		    peek_is(p, "BU_EV_REL_")) {
			if (ident(p, &relkw) < 0)
				return -1;
		}
		kind = DBC_OBJ_REL;
	} else {
		obj_kind(p, &kind);
	}
	if (string(p, &name) < 0)
		return -1;
	skip_ws(p, 1);
	st = p->pos;
	if (lex_ident(p, &t, &tn) < 0)
		return -1;
	VEC_PUSH(p, p->defs, d);
	if (!d)
		return -1;
	d->name = name;
	d->obj = kind;
	if (tn == 3 && !memcmp(t, "INT", 3)) {
		d->type = DBC_AT_INT;
	} else if (tn == 3 && !memcmp(t, "HEX", 3)) {
		d->type = DBC_AT_HEX;
	} else if (tn == 5 && !memcmp(t, "FLOAT", 5)) {
		d->type = DBC_AT_FLOAT;
	} else if (tn == 6 && !memcmp(t, "STRING", 6)) {
		d->type = DBC_AT_STRING;
	} else if (tn == 4 && !memcmp(t, "ENUM", 4)) {
		d->type = DBC_AT_ENUM;
	} else {
		p->defs.n--;
		return fail(p, st, "unknown attribute type '%.*s'", (int)tn, t);
	}
	if (d->type <= DBC_AT_FLOAT) {
		/* bounds are optional in some files */
		skip_ws(p, 1);
		if (cur(p) != ';' && (num(p, &d->min) < 0 || num(p, &d->max) < 0)) {
			p->defs.n--;
			return -1;
		}
	} else if (d->type == DBC_AT_ENUM) {
		uint32_t *ef;

		VEC_PUSH(p, p->enum_first, ef);
		if (!ef)
			return -1;
		*ef = (uint32_t)p->enums.n;
		while (list_more(p)) {
			const char **e;

			VEC_PUSH(p, p->enums, e);
			if (!e)
				return -1;
			if (string(p, e) < 0) {
				p->defs.n--;
				return -1;
			}
			d->nenums++;
		}
		/* enums pointer fixed up at the end: the vector may move */
		d->enums = (const char *const *)(uintptr_t)(p->enum_first.n);
	}
	if (index_once(&p->def_by_name, name_hash(name, strlen(name), 2),
		       (uint32_t)(p->defs.n - 1), same_def, p->defs.v, 0) < 0) {
		p->oom = 1;
		return -1;
	}
	end_stmt(p);
	return 0;
}

/* A value: number or string; *is_str tells which. */
static int attr_value(struct parser *p, double *numv, const char **str,
		      int *is_str)
{
	skip_ws(p, 1);
	if (cur(p) == '"') {
		*is_str = 1;
		return string(p, str);
	}
	*is_str = 0;
	return num(p, numv);
}

static int p_ba_def_def(struct parser *p)
{
	const char *name, *str = NULL;
	double v = 0;
	int is_str;
	long di;
	size_t st;

	skip_ws(p, 1);
	st = p->pos;
	if (string(p, &name) < 0 || attr_value(p, &v, &str, &is_str) < 0)
		return -1;
	di = find_def(p, name);
	if (di < 0) {
		warn_at(p, p->line, col_of(p, st),
			"default for undefined attribute \"%s\"", name);
	} else {
		struct dbc_attr_def *d = &p->defs.v[di];

		d->has_default = 1;
		d->def_num = v;
		d->def_str = is_str ? str : NULL;
	}
	end_stmt(p);
	return 0;
}

static int p_ba(struct parser *p)
{
	const char *name;
	struct dbc_attrval av;
	uint8_t kind;
	long idx = 0, mi;
	struct dbc_attrval *dst;

	memset(&av, 0, sizeof(av));
	if (string(p, &name) < 0)
		return -1;
	obj_kind(p, &kind);
	switch (kind) {
	case DBC_OBJ_NODE:
		if (node_ref(p, &idx) < 0)
			return -1;
		break;
	case DBC_OBJ_MSG:
		if (msg_ref(p, &idx) < 0)
			return -1;
		break;
	case DBC_OBJ_SIG:
		if (msg_ref(p, &mi) < 0 || sig_ref(p, mi, &idx) < 0)
			return -1;
		break;
	case DBC_OBJ_ENV: {
		const char *env;

		if (ident(p, &env) < 0)
			return -1;
		break;
	}
	default:
		break;
	}
	if (attr_value(p, &av.num, &av.str, &av.is_str) < 0)
		return -1;
	if (kind != DBC_OBJ_ENV) {
		VEC_PUSH(p, p->vals, dst);
		if (!dst)
			return -1;
		*dst = av;
		dst->line = p->line;
		dst->defname = name;
		dst->kind = kind;
		dst->obj = (uint32_t)idx;
	}
	end_stmt(p);
	return 0;
}

/* ---- statement loop */

typedef int (*handler_fn)(struct parser *p);

static int p_ba_def0(struct parser *p)
{
	return p_ba_def(p, 0);
}

static int p_ba_def_rel(struct parser *p)
{
	return p_ba_def(p, 1);
}

static int p_skip(struct parser *p)
{
	skip_to_semi(p);
	return 0;
}

static const struct {
	const char *kw;
	handler_fn fn;
} sections[] = {
	{ "VERSION", p_version },
	{ "NS_", p_ns },
	{ "BS_", p_bs },
	{ "BU_", p_bu },
	{ "BO_", p_bo },
	{ "SG_", p_sg },
	{ "BO_TX_BU_", p_bo_tx_bu },
	{ "CM_", p_cm },
	{ "VAL_", p_val },
	{ "VAL_TABLE_", p_val_table },
	{ "SIG_VALTYPE_", p_sig_valtype },
	{ "SG_MUL_VAL_", p_sg_mul_val },
	{ "BA_DEF_", p_ba_def0 },
	{ "BA_DEF_DEF_", p_ba_def_def },
	{ "BA_", p_ba },
	{ "BA_DEF_REL_", p_ba_def_rel },
	/* relation defaults and values carry nothing that decoding uses */
	{ "BA_DEF_DEF_REL_", p_skip },
	{ "BA_REL_", p_skip },
	{ "BA_DEF_SGTYPE_", p_skip },
	{ "BA_SGTYPE_", p_skip },
	{ "SIG_GROUP_", p_skip },
	{ "EV_", p_skip },
	{ "ENVVAR_DATA_", p_skip },
	{ "SGTYPE_", p_skip },
	{ "SGTYPE_VAL_", p_skip },
	{ "SIG_TYPE_REF_", p_skip },
	{ "SIGTYPE_VALTYPE_", p_skip },
	{ "CAT_DEF_", p_skip },
	{ "CAT_", p_skip },
	{ "FILTER", p_skip },
	{ "BU_SG_REL_", p_skip },
	{ "BU_EV_REL_", p_skip },
	{ "BU_BO_REL_", p_skip },
	{ "NS_DESC_", p_skip },
};

static long section_of(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strlen(sections[i].kw) == n && !memcmp(sections[i].kw, s, n))
			return (long)i;
	return -1;
}

/* After a bad statement: go on at the next line starting with a keyword. */
static void resync(struct parser *p)
{
	skip_line(p);
	while (p->pos < p->n) {
		size_t save = p->pos, st;

		while (p->pos < p->n && (cur(p) == ' ' || cur(p) == '\t'))
			p->pos++;
		st = p->pos;
		while (p->pos < p->n && !is_space(cur(p)) && !is_punct(cur(p)))
			p->pos++;
		if (p->pos > st && section_of(p->b + st, p->pos - st) >= 0) {
			p->pos = save;
			return;
		}
		p->pos = save;
		skip_line(p);
	}
}

/*
 * Is this a DBC file at all: does the first word of some line (after
 * blanks, and a UTF-8 byte order mark on the first) name a section?  An
 * empty file, a binary or a CAN log has none, and loading it as an empty
 * database would decode every frame as unknown without a word.  One such
 * line is enough: bad lines around it stay warnings.  Scans only up to the
 * first hit, which in a real file is its first line.
 */
static int any_section(const char *b, size_t n)
{
	size_t i = n >= 3 && !memcmp(b, "\xEF\xBB\xBF", 3) ? 3 : 0, st;

	while (i < n) {
		while (i < n && b[i] != '\n' && is_space(b[i]))
			i++;
		st = i;
		while (i < n && !is_space(b[i]) && !is_punct(b[i]))
			i++;
		if (i > st && section_of(b + st, i - st) >= 0)
			return 1;
		while (i < n && b[i] != '\n')
			i++;
		i++;
	}
	return 0;
}

static void parse_all(struct parser *p)
{
	/* a UTF-8 byte order mark is not part of the first keyword */
	if (p->n >= 3 && !memcmp(p->b, "\xEF\xBB\xBF", 3))
		p->pos = p->line_start = 3;
	while (!p->failed && !p->oom) {
		const char *s;
		size_t n, st;
		long sec;
		unsigned int line;

		skip_ws(p, 1);
		if (at_end(p))
			break;
		st = p->pos;
		line = p->line;
		if (cur(p) == ';') { /* stray ';' */
			p->pos++;
			continue;
		}
		p->err = 0;
		if (lex_ident(p, &s, &n) < 0) {
			warn_at(p, line, col_of(p, st), "unexpected '%c'",
				p->b[st]);
			resync(p);
			continue;
		}
		sec = section_of(s, n);
		if (sec < 0) {
			warn_at(p, line, col_of(p, st),
				"unknown section '%.*s' skipped", (int)(n > 40 ? 40 : n), s);
			resync(p);
			continue;
		}
		if (sections[sec].fn(p) < 0 && !p->oom) {
			if (!p->err)
				fail(p, st, "bad %s", sections[sec].kw);
			/* the error may sit on a later line of the statement */
			warn_at(p, p->err_line, p->err_pos >= p->line_start ?
				col_of(p, p->err_pos) : 0, "%s: %s",
				sections[sec].kw, p->msg);
			if (p->line > p->err_line) {
				p->pos = p->line_start;
				resync(p);
			} else {
				resync(p);
			}
		}
	}
}

/* ---- finalisation */

static int cmp_choice(const void *a, const void *b)
{
	const struct pchoice *x = a, *y = b;

	if (x->sig != y->sig)
		return x->sig < y->sig ? -1 : 1;
	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	if (x->stmt != y->stmt)
		return x->stmt < y->stmt ? -1 : 1;
	return 0;
}

/* The value an attribute def gives by default, as number and label. */
static int attr_default(const struct dbc_attr_def *d, double *num,
			const char **str)
{
	if (!d || !d->has_default)
		return 0;
	*num = d->def_num;
	*str = d->def_str;
	if (d->type == DBC_AT_ENUM && d->def_num >= 0 && d->def_num < d->nenums)
		*str = d->enums[(unsigned int)d->def_num];
	return 1;
}

static void apply_msg_attr(struct dbc_message *m, const char *name,
			   double num, const char *str)
{
	if (!strcmp(name, "GenMsgCycleTime"))
		/* attribute values are doubles from the file: keep the cast
		 * defined (a fuzzer found 1.8e51) */
		m->cycle_time = num > 0 && num < 9.2e18 ? (int64_t)num : 0;
	else if (!strcmp(name, "GenMsgSendType"))
		m->send_type = str;
	else if (!strcmp(name, "VFrameFormat"))
		m->frame_format = str;
	else if (!strcmp(name, "CANFD_BRS"))
		m->brs = str ? !strcmp(str, "1") : num == 1;
	else if (!strcmp(name, "SystemMessageLongSymbol") && str && *str)
		m->long_name = str;
}

static void apply_sig_attr(struct dbc_signal *s, const char *name, double num,
			   const char *str)
{
	if (!strcmp(name, "GenSigStartValue"))
		s->start_raw = num;
	else if (!strcmp(name, "SystemSignalLongSymbol") && str && *str)
		s->long_name = str;
}

/*
 * The attributes decoding uses, in one pass: defaults first, then every
 * BA_ in file order (the last one wins), with no per-object lookups.
 */
static void apply_known_attrs(struct parser *p)
{
	static const char *const msg_attrs[] = {
		"GenMsgCycleTime", "GenMsgSendType", "VFrameFormat",
		"CANFD_BRS", "SystemMessageLongSymbol",
	};
	static const char *const sig_attrs[] = {
		"GenSigStartValue", "SystemSignalLongSymbol",
	};
	struct dbc_db *db = p->db;
	struct dbc_priv *pv = db->priv;
	unsigned int i, k;
	size_t j;

	for (k = 0; k < sizeof(msg_attrs) / sizeof(msg_attrs[0]); k++) {
		long di = find_def(p, msg_attrs[k]);
		double num;
		const char *str;

		if (di < 0 || !attr_default(&db->attr_defs[di], &num, &str))
			continue;
		for (i = 0; i < db->nmsgs; i++)
			apply_msg_attr(&db->msgs[i], msg_attrs[k], num, str);
	}
	for (k = 0; k < sizeof(sig_attrs) / sizeof(sig_attrs[0]); k++) {
		long di = find_def(p, sig_attrs[k]);
		double num;
		const char *str;

		if (di < 0 || !attr_default(&db->attr_defs[di], &num, &str))
			continue;
		for (j = 0; j < p->ps.n; j++)
			apply_sig_attr(&pv->sigs[j], sig_attrs[k], num, str);
	}
	for (i = 0; i < pv->nvals; i++) {
		const struct dbc_attrval *v = &pv->vals[i];
		const struct dbc_attr_def *d;
		const char *str;

		if (v->def == UINT32_MAX)
			continue;
		d = &db->attr_defs[v->def];
		str = v->is_str ? v->str : NULL;
		if (d->type == DBC_AT_ENUM && v->num >= 0 && v->num < d->nenums)
			str = d->enums[(unsigned int)v->num];
		if (v->kind == DBC_OBJ_MSG)
			apply_msg_attr(&db->msgs[v->obj], d->name, v->num, str);
		else if (v->kind == DBC_OBJ_SIG)
			apply_sig_attr(&pv->sigs[v->obj], d->name, v->num, str);
	}
	for (i = 0; i < db->nmsgs; i++) {
		struct dbc_message *m = &db->msgs[i];

		if (m->length > 8 || (m->frame_format &&
				       strstr(m->frame_format, "CAN_FD")))
			m->fd = 1;
	}
}

/*
 * The entry of t under h that is one of arr[lo..hi) and equal to str, or
 * -1; *it (0 to start) is left for dbc_htab_set().  For the per-owner sets
 * of finalize(): an owner's strings are the contiguous block [lo, hi).
 */
static long find_in(const struct dbc_htab *t, uint64_t h, const char *const *arr,
		    size_t lo, size_t hi, const char *str, uint32_t *it)
{
	long i;

	while ((i = dbc_htab_next(t, h, it)) >= 0)
		if ((size_t)i >= lo && (size_t)i < hi && !strcmp(arr[i], str))
			return i;
	return -1;
}

/* Indexes every enum label by (definition, label), the last one of
 * repeated labels winning, as a scan from the first would find it. */
static int index_labels(struct parser *p, struct dbc_htab *t)
{
	struct dbc_db *db = p->db;
	const char *const *strs = p->db->priv->strs;
	size_t i, j;

	if (dbc_htab_init(t, (uint32_t)p->enums.n) < 0)
		return -ENOMEM;
	for (i = 0; i < db->nattr_defs; i++) {
		const struct dbc_attr_def *d = &db->attr_defs[i];
		size_t lo;

		if (d->type != DBC_AT_ENUM || !d->nenums)
			continue;
		lo = (size_t)(d->enums - strs);
		for (j = 0; j < d->nenums; j++) {
			uint64_t h = name_hash(d->enums[j], strlen(d->enums[j]), i);
			uint32_t it = 0;

			if (find_in(t, h, strs, lo, lo + d->nenums, d->enums[j], &it) >= 0)
				dbc_htab_set(t, h, it, (uint32_t)(lo + j));
			else if (dbc_htab_put(t, h, (uint32_t)(lo + j)) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Work space of order_signals(): one entry per signal of a message. */
struct ordws {
	long *t;
	unsigned int *depth, *path, *cnt;
	uint8_t *state, *cut;
};

enum { ORD_NEW, ORD_PATH, ORD_DONE };

static unsigned int sel_of(const struct dbc_message *m, unsigned int x)
{
	return (unsigned int)(m->sigs[x].selector - m->sigs);
}

/*
 * Decode order of m's signals into order[]: by depth (selector steps to
 * the top), file order within a depth.  Signals are taken in file order,
 * and one whose selector chain then runs into a cycle is cut loose
 * (warned, decoded always); a cut signal ends the chains through it.
 * Walking every chain for that is quadratic in a long chain.  Instead
 * t[x], the first signal at whose turn x's chain ends for good (-1: it
 * always ends), follows from x's selector's in one walk: x is cut iff
 * x < t[selector], and a cycle is cut at its first member only.  The
 * depths of the cut graph are then memoised too: each signal is walked
 * twice, counted in *steps.
 */
static void order_signals(struct parser *p, struct dbc_message *m, unsigned int *order,
			  const struct ordws *w, uint64_t *steps)
{
	unsigned int n = m->nsigs, k, x, np, i, j, m0, maxd = 0;

	memset(w->state, ORD_NEW, n);
	memset(w->cut, 0, n);
	for (k = 0; k < n; k++) {
		if (w->state[k] != ORD_NEW)
			continue;
		for (np = 0, x = k;;) {
			(*steps)++;
			w->state[x] = ORD_PATH;
			w->path[np++] = x;
			if (!m->sigs[x].selector)
				break;
			x = sel_of(m, x);
			if (w->state[x] != ORD_NEW)
				break;
		}
		if (!m->sigs[w->path[np - 1]].selector) {
			x = w->path[--np];
			w->t[x] = -1;
			w->state[x] = ORD_DONE;
		} else if (w->state[x] == ORD_PATH) {
			/* a cycle, path[i..np) */
			m0 = x;
			for (i = np; w->path[--i] != x;)
				if (w->path[i] < m0)
					m0 = w->path[i];
			for (j = i; j < np; j++) {
				w->t[w->path[j]] = (long)m0;
				w->state[w->path[j]] = ORD_DONE;
			}
			w->cut[m0] = 1;
			np = i;
		}
		while (np--) {
			long t;

			x = w->path[np];
			t = w->t[sel_of(m, x)];
			w->cut[x] = (long)x < t;
			w->t[x] = w->cut[x] ? (long)x : t;
			w->state[x] = ORD_DONE;
		}
	}
	for (k = 0; k < n; k++) {
		if (!w->cut[k])
			continue;
		warn_at(p, m->sigs[k].line, 0, "signal %s: multiplexer cycle; "
			"decoded always", m->sigs[k].name);
		m->sigs[k].selector = NULL;
		m->sigs[k].nranges = 0;
	}
	memset(w->state, ORD_NEW, n);
	for (k = 0; k < n; k++) {
		for (np = 0, x = k; w->state[x] == ORD_NEW;) {
			(*steps)++;
			w->state[x] = ORD_PATH;
			w->path[np++] = x;
			if (!m->sigs[x].selector)
				break;
			x = sel_of(m, x);
		}
		while (np--) {
			x = w->path[np];
			w->depth[x] = m->sigs[x].selector ? w->depth[sel_of(m, x)] + 1 : 0;
			w->state[x] = ORD_DONE;
			if (w->depth[x] > maxd)
				maxd = w->depth[x];
		}
	}
	memset(w->cnt, 0, (maxd + 2) * sizeof(*w->cnt));
	for (k = 0; k < n; k++)
		w->cnt[w->depth[k] + 1]++;
	for (i = 1; i <= maxd; i++)
		w->cnt[i] += w->cnt[i - 1];
	for (k = 0; k < n; k++)
		order[w->cnt[w->depth[k]]++] = k;
}

static int finalize(struct parser *p)
{
	struct dbc_db *db = p->db;
	struct dbc_priv *pv = db->priv;
	size_t i, j;
	uint32_t *cnt = NULL;
	int ret = -ENOMEM;
	/* senders per message, enum labels per definition (lazily) */
	struct dbc_htab snd = { 0 }, lab = { 0 };
	uint64_t steps = 0; /* of order_signals() */

	/* the vectors grew by doubling: give the slack back, before any
	 * pointer into them is taken */
	if (p->sigs.n && p->sigs.n < p->sigs.cap)
		p->sigs.v = big_trim(p->sigs.v, &p->sigs.map,
				     p->sigs.n * sizeof(*p->sigs.v));
	if (p->msgs.n && p->msgs.n < p->msgs.cap)
		p->msgs.v = big_trim(p->msgs.v, &p->msgs.map,
				     p->msgs.n * sizeof(*p->msgs.v));
	/* move ownership of the vectors into the database */
	db->msgs = p->msgs.v;
	db->nmsgs = (unsigned int)p->msgs.n;
	db->nodes = p->nodes.v;
	db->nnodes = (unsigned int)p->nodes.n;
	db->attr_defs = p->defs.v;
	db->nattr_defs = (unsigned int)p->defs.n;
	pv->msgs_map = p->msgs.map;
	pv->nodes_map = p->nodes.map;
	pv->defs_map = p->defs.map;
	pv->sigs = p->sigs.v;
	pv->sigs_map = p->sigs.map;
	VEC_GIVEN(p->msgs);
	VEC_GIVEN(p->nodes);
	VEC_GIVEN(p->defs);
	VEC_GIVEN(p->sigs);

	for (i = 0; i < db->nattr_defs; i++) {
		struct dbc_attr_def *d = &db->attr_defs[i];

		if (d->type == DBC_AT_ENUM) {
			size_t k = (uintptr_t)d->enums - 1;

			d->enums = d->nenums ? p->enums.v + p->enum_first.v[k]
					     : NULL;
		} else {
			d->enums = NULL;
		}
		if (d->has_default && d->type == DBC_AT_ENUM && d->def_str) {
			/* defaults of enums are written as the label */
			for (j = 0; j < d->nenums; j++)
				if (!strcmp(d->enums[j], d->def_str))
					d->def_num = (double)j;
		}
	}
	pv->strs = p->enums.v; /* keep: enum labels point into it */
	pv->strs_map = p->enums.map;
	VEC_GIVEN(p->enums);

	/* signals: pointers, receivers */
	for (i = 0; i < db->nmsgs; i++) {
		struct dbc_message *m = &db->msgs[i];
		struct pmsg *pm = &p->pm.v[i];

		/* no pointer arithmetic on NULL: a file may have no signals */
		m->sigs = pm->n ? pv->sigs + pm->first : NULL;
		m->nsigs = pm->n;
		m->long_name = m->name;
		for (j = 0; j < m->nsigs; j++) {
			struct dbc_signal *s = &m->sigs[j];
			struct psig *ps = &p->ps.v[pm->first + j];

			s->msg = m;
			s->index = (unsigned int)j;
			s->long_name = s->name;
			s->receivers = ps->nr ? p->strs.v + ps->rfirst : NULL;
			s->nreceivers = ps->nr;
			/* decided once here, not per printed value */
			s->integral = s->kind == DBC_INT &&
				      s->scale == floor(s->scale) &&
				      s->offset == floor(s->offset) &&
				      fabs(s->scale) < 9.2e18 &&
				      fabs(s->offset) < 9.2e18;
		}
	}

	/* senders: the BO_ one, then BO_TX_BU_ ones, grouped per message */
	cnt = calloc(db->nmsgs + 1, sizeof(*cnt));
	if (!cnt)
		goto out;
	for (i = 0; i < p->senders.n; i++)
		cnt[p->senders.v[i].owner]++;
	{
		size_t total = p->senders.n + db->nmsgs, pos = 0;
		const char **arr = arena_alloc(&p->arena, (total + 1) * sizeof(*arr));
		uint32_t *fill;

		if (!arr)
			goto out;
		fill = calloc(db->nmsgs + 1, sizeof(*fill));
		if (!fill || dbc_htab_init(&snd, (uint32_t)total) < 0) {
			free(fill);
			goto out;
		}
		for (i = 0; i < db->nmsgs; i++) {
			struct dbc_message *m = &db->msgs[i];

			fill[i] = (uint32_t)pos;
			m->senders = arr + pos;
			if (m->sender) {
				if (dbc_htab_put(&snd, name_hash(m->sender,
								 strlen(m->sender), i),
						 (uint32_t)pos) < 0) {
					free(fill);
					goto out;
				}
				arr[pos++] = m->sender;
			}
			m->nsenders = (unsigned int)(pos - fill[i]);
			fill[i] = (uint32_t)pos;
			pos += cnt[i];
		}
		for (i = 0; i < p->senders.n; i++) {
			struct pref *r = &p->senders.v[i];
			struct dbc_message *m = &db->msgs[r->owner];
			size_t lo = (size_t)(m->senders - arr);
			uint64_t h = name_hash(r->s, strlen(r->s), r->owner);
			uint32_t it = 0;

			/* each name once per message, in first-seen order */
			if (find_in(&snd, h, arr, lo, lo + m->nsenders, r->s, &it) >= 0)
				continue;
			if (dbc_htab_put(&snd, h, fill[r->owner]) < 0) {
				free(fill);
				goto out;
			}
			arr[fill[r->owner]++] = r->s;
			m->nsenders++;
		}
		free(fill);
	}

	/* choices: the latest VAL_ per signal, sorted for binary search */
	if (p->choices.n)
		qsort(p->choices.v, p->choices.n, sizeof(*p->choices.v),
		      cmp_choice);
	pv->choices = malloc((p->choices.n + 1) * sizeof(*pv->choices));
	if (!pv->choices)
		goto out;
	for (i = 0, j = 0; i < p->choices.n; i++) {
		struct pchoice *c = &p->choices.v[i];
		struct dbc_signal *s = &pv->sigs[c->sig];

		if (c->stmt != p->ps.v[c->sig].val_stmt)
			continue;
		if (j && s->nchoices && pv->choices[j - 1].value == c->v) {
			pv->choices[j - 1].label = c->label; /* repeated value */
			continue;
		}
		if (!s->nchoices)
			s->choices = pv->choices + j;
		pv->choices[j].value = c->v;
		pv->choices[j].label = c->label;
		s->nchoices++;
		j++;
	}

	/* multiplexing: SG_MUL_VAL_ ranges, else the message's M signal */
	pv->ranges = malloc((p->ranges.n + p->ps.n + 1) * sizeof(*pv->ranges));
	if (!pv->ranges)
		goto out;
	j = 0;
	for (i = 0; i < p->ranges.n; i++) {
		struct prange *r = &p->ranges.v[i];
		struct dbc_signal *s = &pv->sigs[r->sig];

		if (r->stmt != p->ps.v[r->sig].mulval_stmt)
			continue;
		if (!s->nranges)
			s->ranges = pv->ranges + j;
		else if (s->ranges + s->nranges != pv->ranges + j)
			continue; /* interleaved statements: keep the first run */
		pv->ranges[j].lo = r->lo;
		pv->ranges[j].hi = r->hi;
		s->nranges++;
		j++;
	}
	for (i = 0; i < db->nmsgs; i++) {
		struct dbc_message *m = &db->msgs[i];
		struct dbc_signal *top = NULL;
		size_t k, nsel = 0;

		for (k = 0; k < m->nsigs; k++)
			if (m->sigs[k].mux & DBC_MUX_SELECTOR) {
				nsel++;
				if (!top || ((top->mux & DBC_MUX_MUXED) &&
					     !(m->sigs[k].mux & DBC_MUX_MUXED)))
					top = &m->sigs[k];
			}
		for (k = 0; k < m->nsigs; k++) {
			struct dbc_signal *s = &m->sigs[k];
			struct psig *ps = &p->ps.v[p->pm.v[i].first + k];

			if (ps->sel >= 0 && s->nranges) {
				s->selector = &pv->sigs[ps->sel];
				if (!(s->selector->mux & DBC_MUX_SELECTOR))
					warn_at(p, s->line, 0, "signal %s: "
						"SG_MUL_VAL_ selector %s is not "
						"marked M", s->name,
						s->selector->name);
				if (s->selector == s) {
					warn_at(p, s->line, 0, "signal %s "
						"selects itself; ignored",
						s->name);
					s->selector = NULL;
					s->nranges = 0;
				}
				continue;
			}
			s->nranges = 0;
			if (!ps->has_muxval)
				continue;
			if (!top || top == s || nsel > 1) {
				if (!top || top == s) {
					warn_at(p, s->line, 0, "signal %s is "
						"multiplexed but %s has no "
						"selector; decoded always",
						s->name, m->name);
					continue;
				}
			}
			s->selector = top;
			s->ranges = pv->ranges + j;
			pv->ranges[j].lo = pv->ranges[j].hi = ps->muxval;
			s->nranges = 1;
			j++;
		}
	}

	/* decode order: selectors before dependants; cycles are cut */
	pv->order = malloc((p->sigs.n + 1) * sizeof(*pv->order));
	if (!pv->order)
		goto out;
	{
		size_t ns = p->sigs.n + 2;
		struct ordws w;
		unsigned int base = 0;
		int ok;

		w.t = malloc(ns * sizeof(*w.t));
		w.depth = malloc(ns * sizeof(*w.depth));
		w.path = malloc(ns * sizeof(*w.path));
		w.cnt = malloc(ns * sizeof(*w.cnt));
		w.state = malloc(ns);
		w.cut = malloc(ns);
		ok = w.t && w.depth && w.path && w.cnt && w.state && w.cut;
		for (i = 0; ok && i < db->nmsgs; i++) {
			struct dbc_message *m = &db->msgs[i];

			m->order = pv->order + base;
			order_signals(p, m, pv->order + base, &w, &steps);
			base += m->nsigs;
		}
		free(w.t);
		free(w.depth);
		free(w.path);
		free(w.cnt);
		free(w.state);
		free(w.cut);
		if (!ok)
			goto out;
	}

	/* attributes: resolve names, index by object, apply known ones */
	pv->vals = p->vals.v;
	pv->nvals = (unsigned int)p->vals.n;
	pv->vals_map = p->vals.map;
	VEC_GIVEN(p->vals);
	if (dbc_htab_init(&pv->attr_by_obj, pv->nvals) < 0 ||
	    dbc_htab_init(&pv->def_by_name, db->nattr_defs) < 0)
		goto out;
	for (i = 0; i < db->nattr_defs; i++)
		if (index_once(&pv->def_by_name,
			       name_hash(db->attr_defs[i].name,
					 strlen(db->attr_defs[i].name), 2),
			       (uint32_t)i, same_def, db->attr_defs, 0) < 0)
			goto out;
	for (i = 0; i < pv->nvals; i++) {
		struct dbc_attrval *v = &pv->vals[i];
		long di = find_def(p, v->defname);
		uint64_t key;

		if (di < 0) {
			v->def = UINT32_MAX;
			continue;
		}
		v->def = (uint32_t)di;
		if (v->is_str && db->attr_defs[di].type == DBC_AT_ENUM) {
			const struct dbc_attr_def *d = &db->attr_defs[di];
			size_t lo = d->nenums ? (size_t)(d->enums - pv->strs) : 0;
			uint32_t it = 0;
			long g = -1;

			if (d->nenums && !lab.s && index_labels(p, &lab) < 0)
				goto out;
			if (d->nenums)
				g = find_in(&lab, name_hash(v->str, strlen(v->str),
							    (uint64_t)di),
					    pv->strs, lo, lo + d->nenums, v->str, &it);
			if (g >= 0)
				v->num = (double)((size_t)g - lo);
		} else if (db->attr_defs[di].type == DBC_AT_ENUM &&
			   (v->num < 0 || v->num >= db->attr_defs[di].nenums)) {
			warn_at(p, v->line, 0, "attribute \"%s\": value %g is "
				"not an index of its %u enum labels; ignored",
				v->defname, v->num, db->attr_defs[di].nenums);
			v->def = UINT32_MAX;
			continue;
		}
		key = ((uint64_t)di << 36) ^ ((uint64_t)v->kind << 32) ^ v->obj;
		if (index_once(&pv->attr_by_obj, dbc_hash_u64(key), (uint32_t)i,
			       same_obj, pv->vals, 0) < 0)
			goto out;
	}
	apply_known_attrs(p);

	/* public lookup tables */
	if (dbc_htab_init(&pv->by_id, db->nmsgs) < 0 ||
	    dbc_htab_init(&pv->by_name, db->nmsgs) < 0)
		goto out;
	if ((db->flags & DBC_J1939) && dbc_htab_init(&pv->by_pgn, db->nmsgs) < 0)
		goto out;
	for (i = 0; i < db->nmsgs; i++) {
		struct dbc_message *m = &db->msgs[i];
		uint64_t key = m->id | ((uint64_t)m->ext << 31);
		const struct dbc_message *old = dbc_find_id(db, m->id, m->ext);

		if (old)
			warn_at(p, m->line, 0, "message %s: id 0x%X already used "
				"by %s (line %u); this one wins", m->name, m->id,
				old->name, old->line);
		if (index_once(&pv->by_id, dbc_hash_u64(key), (uint32_t)i,
			       same_id, db->msgs, 0) < 0)
			goto out;
		if (dbc_find_msg_exact(db, m->name))
			warn_at(p, m->line, 0, "duplicate message name %s",
				m->name);
		/* by name and by PGN the first message stays */
		if (index_once(&pv->by_name, name_hash(m->name, strlen(m->name), 3),
			       (uint32_t)i, same_name, db->msgs, 1) < 0)
			goto out;
		if ((db->flags & DBC_J1939) && m->ext &&
		    index_once(&pv->by_pgn, dbc_hash_u64(dbc_j1939_pgn(m->id)),
			       (uint32_t)i, same_pgn, db->msgs, 1) < 0)
			goto out;
	}
	pv->load_probes = p->msg_by_rawid.probes + p->sig_by_name.probes +
			  p->node_by_name.probes + p->def_by_name.probes +
			  pv->by_id.probes + pv->by_name.probes + pv->by_pgn.probes +
			  pv->attr_by_obj.probes + pv->def_by_name.probes +
			  snd.probes + lab.probes + steps;
	pv->arena = p->arena;
	p->arena = NULL;
	/* receivers point into strs: the database keeps it */
	pv->recv = p->strs.v;
	pv->recv_map = p->strs.map;
	VEC_GIVEN(p->strs);
	ret = 0;
out:
	free(cnt);
	dbc_htab_fini(&snd);
	dbc_htab_fini(&lab);
	return ret;
}

static void parser_fini(struct parser *p)
{
	VEC_FREE(p->msgs);
	VEC_FREE(p->pm);
	VEC_FREE(p->sigs);
	VEC_FREE(p->ps);
	VEC_FREE(p->strs);
	VEC_FREE(p->senders);
	VEC_FREE(p->choices);
	VEC_FREE(p->ranges);
	VEC_FREE(p->nodes);
	VEC_FREE(p->defs);
	VEC_FREE(p->vals);
	VEC_FREE(p->enums);
	VEC_FREE(p->enum_first);
	dbc_htab_fini(&p->msg_by_rawid);
	dbc_htab_fini(&p->sig_by_name);
	dbc_htab_fini(&p->node_by_name);
	dbc_htab_fini(&p->def_by_name);
	dbc_arena_free(p->arena);
}

static void set_err(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

int dbc_load_mem(const char *name, const char *buf, size_t len,
		 const struct dbc_opts *o, struct dbc_db **out, char *err,
		 size_t errsz)
{
	struct parser p;
	struct dbc_db *db;
	int ret = -ENOMEM;
	size_t guess = len / 64 + 16;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.b = buf;
	p.n = len;
	p.line = 1;
	p.path = name;
	p.o = o;
	p.flags = o ? o->flags : 0;
	p.errout = err;
	p.errsz = errsz;
	if (err && errsz)
		err[0] = 0;
	if (!any_section(buf, len)) {
		set_err(err, errsz, "%s: not a DBC file", name);
		return -EINVAL;
	}
	db = calloc(1, sizeof(*db));
	if (!db)
		goto out_oom;
	db->priv = calloc(1, sizeof(*db->priv));
	if (!db->priv)
		goto out_oom;
	db->flags = p.flags;
	p.db = db;
	if (dbc_htab_init(&p.msg_by_rawid, (uint32_t)(guess / 8)) < 0 ||
	    dbc_htab_init(&p.sig_by_name, 64) < 0 ||
	    dbc_htab_init(&p.node_by_name, 64) < 0 ||
	    dbc_htab_init(&p.def_by_name, 64) < 0)
		goto out_oom;
	db->path = dup_str(&p, name, strlen(name));
	if (!db->path)
		goto out_oom;
	parse_all(&p);
	if (p.oom)
		goto out_oom;
	if (!p.failed) {
		ret = finalize(&p);
		if (ret < 0)
			goto out_oom;
	}
	if (p.failed) {
		ret = -EINVAL;
		goto out_free;
	}
	*out = db;
	parser_fini(&p);
	return 0;
out_oom:
	ret = -ENOMEM;
	set_err(err, errsz, "%s: out of memory", name);
out_free:
	if (db && db->priv && !db->priv->arena) {
		db->priv->arena = p.arena;
		p.arena = NULL;
	}
	dbc_free(db);
	parser_fini(&p);
	return ret;
}

int dbc_load_file(const char *path, const struct dbc_opts *o,
		  struct dbc_db **out, char *err, size_t errsz)
{
	struct stat st;
	void *map = NULL;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		set_err(err, errsz, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		set_err(err, errsz, "%s: %s", path, strerror(errno));
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		set_err(err, errsz, "%s: %s", path, strerror(EISDIR));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		set_err(err, errsz, "%s: not a regular file", path);
		goto out_close;
	}
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			ret = -errno;
			set_err(err, errsz, "%s: %s", path, strerror(errno));
			goto out_close;
		}
	}
	ret = dbc_load_mem(path, map ? map : "", (size_t)st.st_size, o, out, err,
			   errsz);
	if (map)
		munmap(map, (size_t)st.st_size);
out_close:
	close(fd);
	return ret;
}
