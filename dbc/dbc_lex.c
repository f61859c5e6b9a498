/* SPDX-License-Identifier: MIT */
/*
 * dbc_lex.c - the DBC lexer: blanks and lines, names, numbers, strings,
 * statement ends and lists, and the parser's diagnostics.  The input is
 * never NUL-terminated (usually an mmap of the file), so every read checks
 * the end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdarg.h>

#include "dbc_parser.h"

void dbc_warn_at(struct parser *p, unsigned int line, size_t col, const char *fmt, ...)
{
	char text[DBC_ERRMSG_MAX - 64];
	char full[DBC_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (col)
		snprintf(full, sizeof(full), "%s:%u:%zu: %s", p->path, line, col, text);
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

size_t dbc_col_of(const struct parser *p, size_t pos)
{
	return pos - p->line_start + 1;
}

int dbc_fail(struct parser *p, size_t pos, const char *fmt, ...)
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

int dbc_lex_at_end(const struct parser *p)
{
	return p->pos >= p->n;
}

int dbc_lex_cur(const struct parser *p)
{
	return p->pos < p->n ? (unsigned char)p->b[p->pos] : -1;
}

void dbc_lex_newline(struct parser *p)
{
	p->line++;
	p->line_start = p->pos;
}

/* Skips blanks; with nl also newlines. */
void dbc_lex_skip_ws(struct parser *p, int nl)
{
	while (p->pos < p->n) {
		char c = p->b[p->pos];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			p->pos++;
		} else if (c == '\n' && nl) {
			p->pos++;
			dbc_lex_newline(p);
		} else if (c == '/' && p->pos + 1 < p->n && p->b[p->pos + 1] == '/') {
			/* some generators leave // comments */
			while (p->pos < p->n && p->b[p->pos] != '\n')
				p->pos++;
		} else {
			break;
		}
	}
}

/* Names are raw bytes up to a blank or punctuation. */
int dbc_lex_word(struct parser *p, const char **s, size_t *len)
{
	size_t st;

	dbc_lex_skip_ws(p, 1);
	st = p->pos;
	while (p->pos < p->n && !dbc_is_space(dbc_lex_cur(p)) && !dbc_is_punct(dbc_lex_cur(p)))
		p->pos++;
	if (p->pos == st)
		return dbc_fail(p, st,
				dbc_lex_at_end(p) ? "expected a name, got end of file"
						  : "expected a name");
	*s = p->b + st;
	*len = p->pos - st;
	return 0;
}

const char *dbc_lex_dup_str(struct parser *p, const char *s, size_t n)
{
	char *d = dbc_arena_alloc(&p->arena, n + 1);

	if (!d) {
		p->oom = 1;
		return NULL;
	}
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

int dbc_lex_ident(struct parser *p, const char **out)
{
	const char *s;
	size_t n;

	if (dbc_lex_word(p, &s, &n) < 0)
		return -1;
	*out = dbc_lex_dup_str(p, s, n);
	return *out ? 0 : -1;
}

int dbc_lex_peek_is(struct parser *p, const char *kw)
{
	size_t n = strlen(kw);

	dbc_lex_skip_ws(p, 1);
	if (p->n - p->pos < n || memcmp(p->b + p->pos, kw, n))
		return 0;
	return p->pos + n == p->n || dbc_is_space(p->b[p->pos + n]) ||
	       dbc_is_punct(p->b[p->pos + n]);
}

int dbc_lex_expect(struct parser *p, char c)
{
	dbc_lex_skip_ws(p, 1);
	if (dbc_lex_cur(p) != c)
		return dbc_fail(p, p->pos, "expected '%c'", c);
	p->pos++;
	return 0;
}

int dbc_lex_accept(struct parser *p, char c)
{
	dbc_lex_skip_ws(p, 1);
	if (dbc_lex_cur(p) != c)
		return 0;
	p->pos++;
	return 1;
}

/* Numbers: copied into a small buffer, because the input has no NUL. */
static int lex_num_text(struct parser *p, char *buf, size_t bufsz)
{
	size_t st, k = 0;

	dbc_lex_skip_ws(p, 1);
	st = p->pos;
	if (dbc_lex_cur(p) == '+' || dbc_lex_cur(p) == '-')
		buf[k++] = p->b[p->pos++];
	while (p->pos < p->n && k + 1 < bufsz) {
		int c = dbc_lex_cur(p);

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
		return dbc_fail(p, st, "expected a number");
	return (int)st;
}

/*
 * Plain decimals with at most 15 digits are exact as digits / 10^k, and a
 * division of two exact doubles is correctly rounded: the same result as
 * strtod, without its cost.  Anything else goes to strtod.
 */
static int fast_decimal(const char *s, double *v)
{
	static const double p10[] = {1,	  1e1, 1e2,  1e3,  1e4,	 1e5,  1e6,  1e7,
				     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
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

int dbc_lex_num(struct parser *p, double *v)
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
		return dbc_fail(p, (size_t)st, "bad number '%s'", buf);
	}
	return 0;
}

/* Exact integer (decimal or 0x hex), negatives as two's complement. */
int dbc_lex_inum(struct parser *p, uint64_t *v, int *neg)
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
			    (x > UINT64_MAX / 10 || (uint64_t)(*end - '0') > UINT64_MAX - x * 10)) {
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
	return dbc_fail(p, (size_t)st, "bad integer '%s'", buf);
}

int dbc_lex_unum(struct parser *p, uint64_t *v)
{
	int neg;
	size_t st;

	dbc_lex_skip_ws(p, 1);
	st = p->pos;
	if (dbc_lex_inum(p, v, &neg) < 0)
		return -1;
	if (neg && *v)
		return dbc_fail(p, st, "negative value not allowed here");
	return 0;
}

/* "..." with \" and \\ escapes; may span lines. */
int dbc_lex_string(struct parser *p, const char **out)
{
	size_t st, i, k;
	unsigned int sline;
	size_t sls;
	int esc = 0;
	char *d;

	dbc_lex_skip_ws(p, 1);
	if (dbc_lex_cur(p) != '"')
		return dbc_fail(p, p->pos, "expected '\"'");
	st = ++p->pos;
	sline = p->line;
	sls = p->line_start;
	for (i = st; i < p->n; i++) {
		char c = p->b[i];

		if (c == '\\' && i + 1 < p->n && (p->b[i + 1] == '"' || p->b[i + 1] == '\\')) {
			i++;
			esc = 1;
		} else if (c == '"') {
			break;
		} else if (c == '\n') {
			p->pos = i + 1;
			dbc_lex_newline(p);
		}
	}
	if (i >= p->n) {
		p->line = sline;
		p->line_start = sls;
		p->pos = st - 1;
		return dbc_fail(p, st - 1, "unterminated string");
	}
	d = dbc_arena_alloc(&p->arena, i - st + 1);
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
void dbc_lex_end_stmt(struct parser *p)
{
	dbc_lex_skip_ws(p, 1);
	if (dbc_lex_cur(p) == ';') {
		p->pos++;
		return;
	}
	dbc_warn_at(p, p->line, dbc_col_of(p, p->pos), "expected ';'");
}

/* Skips to just past the next ';' outside strings (known sections we keep
 * no data from). */
void dbc_lex_skip_to_semi(struct parser *p)
{
	int instr = 0;

	while (p->pos < p->n) {
		char c = p->b[p->pos++];

		if (c == '\n')
			dbc_lex_newline(p);
		else if (c == '\\' && instr && p->pos < p->n && p->b[p->pos] != '\n')
			p->pos++;
		else if (c == '"')
			instr = !instr;
		else if (c == ';' && !instr)
			return;
	}
}

void dbc_lex_skip_line(struct parser *p)
{
	while (p->pos < p->n && p->b[p->pos] != '\n')
		p->pos++;
	if (p->pos < p->n) {
		p->pos++;
		dbc_lex_newline(p);
	}
}

/* Is the rest of this line blank? */
int dbc_lex_eol(struct parser *p)
{
	dbc_lex_skip_ws(p, 0);
	return dbc_lex_at_end(p) || dbc_lex_cur(p) == '\n';
}

/*
 * Is the parser at the first token of a line, and is it a section
 * keyword?  Lists that should end in ';' stop here (with a warning), as
 * real files forget the ';' now and then.
 */
int dbc_lex_at_new_stmt(struct parser *p)
{
	size_t i, e;

	dbc_lex_skip_ws(p, 1);
	for (i = p->line_start; i < p->pos; i++)
		if (p->b[i] != ' ' && p->b[i] != '\t' && p->b[i] != '\r')
			return 0;
	for (e = p->pos; e < p->n && !dbc_is_space(p->b[e]) && !dbc_is_punct(p->b[e]); e++)
		;
	return e > p->pos && dbc_section_of(p->b + p->pos, e - p->pos) >= 0;
}

/*
 * Lists ending in ';': skips separating commas; returns 1 when another
 * item follows, 0 at the ';' (not consumed), the end, or a new statement.
 */
int dbc_lex_list_more(struct parser *p)
{
	for (;;) {
		dbc_lex_skip_ws(p, 1);
		if (dbc_lex_cur(p) == ';' || dbc_lex_at_end(p) || dbc_lex_at_new_stmt(p))
			return 0;
		if (dbc_lex_cur(p) != ',')
			return 1;
		p->pos++;
	}
}
