/* SPDX-License-Identifier: MIT */
/* yml.c - libyaml document helpers with FILE:LINE:COL messages. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "yml.h"

#define MAX_FILE (64u << 20) /* a configuration, not a data set */

const char *yml_errmsg(const struct yml *y)
{
	return y->err;
}

static void verr(struct yml *y, size_t line, size_t col, const char *fmt, va_list ap)
{
	int n = snprintf(y->err, sizeof(y->err), "%s:%zu:%zu: ", y->name ? y->name : "-", line,
			 col);
	char *p;

	if (n < 0 || (size_t)n >= sizeof(y->err))
		return;
	vsnprintf(y->err + n, sizeof(y->err) - (size_t)n, fmt, ap);
	/* messages quote the file's text: it must not break the one line */
	for (p = y->err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			*p = '?';
}

int yml_error(struct yml *y, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(y, n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int mark_error(struct yml *y, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int mark_error(struct yml *y, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(y, m.line + 1, m.column + 1, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static yaml_node_t *node(struct yml *y, int id)
{
	return yaml_document_get_node(&y->doc, id);
}

/* Refuses nodes reachable twice (aliases); iterative, so deep nesting
 * cannot exhaust the stack. */
static int check_tree(struct yml *y)
{
	yaml_node_t *root = yaml_document_get_root_node(&y->doc);
	size_t count = (size_t)(y->doc.nodes.top - y->doc.nodes.start), sp = 0;
	unsigned char *seen;
	int *stack, e = 0;

	if (!root)
		return 0;
	seen = calloc(count + 1, 1);
	stack = malloc((count + 1) * sizeof(*stack));
	if (!seen || !stack) {
		free(seen);
		free(stack);
		snprintf(y->err, sizeof(y->err), "%s: out of memory", y->name);
		return -ENOMEM;
	}
	stack[sp++] = 1;
	seen[1] = 1;
	while (sp && !e) {
		yaml_node_t *n = node(y, stack[--sp]);
		int kids[2], nk, k;
		yaml_node_item_t *it;
		yaml_node_pair_t *p;

		if (n->type == YAML_SEQUENCE_NODE) {
			for (it = n->data.sequence.items.start;
			     it < n->data.sequence.items.top && !e; it++) {
				if (seen[*it]) {
					e = yml_error(y, node(y, *it),
						      "anchors and aliases are not supported");
					break;
				}
				seen[*it] = 1;
				stack[sp++] = *it;
			}
		} else if (n->type == YAML_MAPPING_NODE) {
			for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top && !e;
			     p++) {
				kids[0] = p->key;
				kids[1] = p->value;
				nk = 2;
				for (k = 0; k < nk; k++) {
					if (seen[kids[k]]) {
						e = yml_error(
							y, node(y, kids[k]),
							"anchors and aliases are not supported");
						break;
					}
					seen[kids[k]] = 1;
					stack[sp++] = kids[k];
				}
			}
		}
	}
	free(seen);
	free(stack);
	return e;
}

/* Whether the character libyaml stopped at is a tab: its messages for a
 * tab ("cannot start any token", "violates indentation") do not say so.
 * Columns count characters, so UTF-8 continuation bytes are skipped. */
static int tab_at(const char *buf, size_t len, yaml_mark_t m)
{
	size_t i = 0, line = 0, col = 0;

	while (i < len && line < m.line)
		if (buf[i++] == '\n')
			line++;
	for (; i < len && buf[i] != '\n'; i++) {
		if (((unsigned char)buf[i] & 0xC0) == 0x80)
			continue;
		if (col++ == m.column)
			return buf[i] == '\t';
	}
	return 0;
}

int yml_load_mem(struct yml *y, const char *name, const void *buf, size_t len)
{
	yaml_parser_t p;
	yaml_document_t extra;
	int e = 0;

	memset(y, 0, sizeof(*y));
	y->name = strdup(name ? name : "-");
	if (!y->name)
		return -ENOMEM;
	if (!yaml_parser_initialize(&p)) {
		snprintf(y->err, sizeof(y->err), "%s: out of memory", y->name);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, buf, len);
	if (!yaml_parser_load(&p, &y->doc)) {
		if (p.error == YAML_MEMORY_ERROR)
			e = -ENOMEM;
		else if (tab_at(buf, len, p.problem_mark))
			e = mark_error(y, p.problem_mark, "tabs are not allowed for indentation");
		else if (p.context)
			e = mark_error(y, p.problem_mark, "%s %s",
				       p.problem ? p.problem : "syntax error", p.context);
		else
			e = mark_error(y, p.problem_mark, "%s",
				       p.problem ? p.problem : "syntax error");
		goto out;
	}
	y->loaded = 1;
	/* a second document would be silently ignored: refuse it */
	if (!yaml_parser_load(&p, &extra)) {
		e = mark_error(y, p.problem_mark, "%s", p.problem ? p.problem : "syntax error");
		goto out;
	}
	if (yaml_document_get_root_node(&extra))
		e = yml_error(y, yaml_document_get_root_node(&extra),
			      "only one YAML document is allowed");
	yaml_document_delete(&extra);
	if (!e)
		e = check_tree(y);
out:
	yaml_parser_delete(&p);
	if (e) {
		char keep[YML_ERR_MAX];

		memcpy(keep, y->err, sizeof(keep));
		yml_fini(y);
		memcpy(y->err, keep, sizeof(keep));
	}
	return e;
}

int yml_load_file(struct yml *y, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	struct stat st;
	int e;

	memset(y, 0, sizeof(*y));
	if (!f) {
		e = -errno;
		snprintf(y->err, sizeof(y->err), "%s: %s", path, strerror(-e));
		return e;
	}
	/* fopen() opens a directory and only the read fails: name the
	 * reason, not "read error" */
	if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
		e = -EISDIR;
		snprintf(y->err, sizeof(y->err), "%s: %s", path, strerror(-e));
		goto out;
	}
	errno = 0;
	for (;;) {
		if (len == cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			nb = cap <= MAX_FILE ? realloc(buf, cap) : NULL;
			if (!nb) {
				e = cap > MAX_FILE ? -EFBIG : -ENOMEM;
				snprintf(y->err, sizeof(y->err), "%s: %s", path, strerror(-e));
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		e = errno ? -errno : -EIO;
		snprintf(y->err, sizeof(y->err), "%s: %s", path, strerror(-e));
		goto out;
	}
	e = yml_load_mem(y, path, buf, len);
out:
	free(buf);
	fclose(f);
	return e;
}

void yml_fini(struct yml *y)
{
	if (y->loaded)
		yaml_document_delete(&y->doc);
	free(y->name);
	memset(y, 0, sizeof(*y));
}

yaml_node_t *yml_root(struct yml *y)
{
	return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

int yml_is_map(const yaml_node_t *n)
{
	return n && n->type == YAML_MAPPING_NODE;
}

int yml_is_seq(const yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE;
}

int yml_is_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

static const char *kind(const yaml_node_t *n)
{
	return yml_is_map(n) ? "a mapping" : yml_is_seq(n) ? "a list" : "a scalar";
}

size_t yml_map_len(const yaml_node_t *n)
{
	if (!yml_is_map(n))
		return 0;
	return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static const char *scalar_text(const yaml_node_t *n)
{
	return yml_is_scalar(n) ? (const char *)n->data.scalar.value : NULL;
}

void yml_map_pair(struct yml *y, const yaml_node_t *n, size_t i, yaml_node_t **key,
		  const char **keytext, yaml_node_t **value)
{
	const yaml_node_pair_t *p = n->data.mapping.pairs.start + i;
	yaml_node_t *k = node(y, p->key);

	if (key)
		*key = k;
	if (keytext)
		*keytext = scalar_text(k);
	if (value)
		*value = node(y, p->value);
}

/* The j-th name of a table of stride bytes per entry. */
static const char *name_at(const void *names, size_t stride, size_t j)
{
	const char *p;

	memcpy(&p, (const char *)names + j * stride, sizeof(p));
	return p;
}

int yml_map_check(struct yml *y, const yaml_node_t *n, const char *const *known)
{
	return yml_map_check_table(y, n, known, sizeof(*known));
}

int yml_map_check_table(struct yml *y, const yaml_node_t *n, const void *known, size_t stride)
{
	size_t i, j, len;

	if (!yml_is_map(n))
		return yml_error(y, n, "expected a mapping (key: value), found %s", kind(n));
	len = yml_map_len(n);
	for (i = 0; i < len; i++) {
		yaml_node_t *k;
		const char *t, *u;

		yml_map_pair(y, n, i, &k, &t, NULL);
		if (!t)
			return yml_error(y, k, "keys must be plain names, found %s", kind(k));
		if (known) {
			for (j = 0;
			     name_at(known, stride, j) && strcmp(name_at(known, stride, j), t); j++)
				;
			if (!name_at(known, stride, j))
				return yml_error(y, k, "unknown key '%s'", t);
		}
		for (j = 0; j < i; j++) {
			yml_map_pair(y, n, j, NULL, &u, NULL);
			if (u && !strcmp(u, t))
				return yml_error(y, k, "duplicate key '%s'", t);
		}
	}
	return 0;
}

yaml_node_t *yml_get(struct yml *y, const yaml_node_t *n, const char *key)
{
	size_t i, len = yml_map_len(n);

	for (i = 0; i < len; i++) {
		yaml_node_t *v;
		const char *t;

		yml_map_pair(y, n, i, NULL, &t, &v);
		if (t && !strcmp(t, key))
			return v;
	}
	return NULL;
}

int yml_need(struct yml *y, const yaml_node_t *n, const char *key, yaml_node_t **value)
{
	*value = yml_get(y, n, key);
	if (!*value)
		return yml_error(y, n, "missing required key '%s'", key);
	return 0;
}

int yml_seq(struct yml *y, const yaml_node_t *n, size_t *len)
{
	if (!yml_is_seq(n))
		return yml_error(y, n, "expected a list, found %s", kind(n));
	*len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	return 0;
}

yaml_node_t *yml_seq_item(struct yml *y, const yaml_node_t *n, size_t i)
{
	return node(y, n->data.sequence.items.start[i]);
}

int yml_str(struct yml *y, const yaml_node_t *n, const char **s)
{
	if (!yml_is_scalar(n))
		return yml_error(y, n, "expected a value, found %s", kind(n));
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return yml_error(y, n, "NUL character in a string");
	*s = (const char *)n->data.scalar.value;
	return 0;
}

int yml_uint(struct yml *y, const yaml_node_t *n, uint64_t max, uint64_t *v)
{
	const char *s, *p;
	uint64_t x = 0;
	unsigned int base = 10;
	int d, any = 0;

	if (!yml_is_scalar(n))
		return yml_error(y, n, "expected a number, found %s", kind(n));
	if (yml_str(y, n, &s))
		return -EINVAL;
	p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return yml_error(y, n,
					 "expected a number (decimal or 0x hex), "
					 "found '%s'",
					 s);
		if (x > (UINT64_MAX - (uint64_t)d) / base)
			return yml_error(y, n, "number '%s' out of range (0..%llu)", s,
					 (unsigned long long)max);
		x = x * base + (uint64_t)d;
		any = 1;
	}
	if (!any)
		return yml_error(y, n,
				 "expected a number (decimal or 0x hex), "
				 "found '%s'",
				 s);
	if (x > max)
		return yml_error(y, n, "number '%s' out of range (0..%llu)", s,
				 (unsigned long long)max);
	*v = x;
	return 0;
}

int yml_bool(struct yml *y, const yaml_node_t *n, int *b)
{
	static const char *const t[] = {"true", "yes", "on", NULL};
	static const char *const f[] = {"false", "no", "off", NULL};
	const char *s;
	size_t i;

	if (!yml_is_scalar(n))
		return yml_error(y, n, "expected true or false, found %s", kind(n));
	s = (const char *)n->data.scalar.value;
	for (i = 0; t[i]; i++) {
		if (!strcasecmp(s, t[i])) {
			*b = 1;
			return 0;
		}
		if (!strcasecmp(s, f[i])) {
			*b = 0;
			return 0;
		}
	}
	return yml_error(y, n, "expected true or false, found '%s'", s);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int yml_hex(struct yml *y, const yaml_node_t *n, uint8_t *buf, size_t cap, size_t *len)
{
	const char *s, *p;
	size_t count = 0;
	int hi = -1, v;

	if (!yml_is_scalar(n))
		return yml_error(y, n, "expected hex bytes like \"DE AD BE EF\", found %s",
				 kind(n));
	if (yml_str(y, n, &s))
		return -EINVAL;
	p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			if (hi >= 0)
				goto odd;
			continue;
		}
		v = hexval(*p);
		if (v < 0)
			return yml_error(y, n, "bad hex digit '%c' in \"%s\"", *p, s);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (buf && count >= cap)
			return yml_error(y, n, "more than %zu bytes", cap);
		if (buf)
			buf[count] = (uint8_t)(hi << 4 | v);
		count++;
		hi = -1;
	}
	if (hi >= 0)
		goto odd;
	*len = count;
	return 0;
odd:
	return yml_error(y, n, "hex bytes need two digits each in \"%s\"", s);
}

int yml_str_env(struct yml *y, const yaml_node_t *n, char **out)
{
	const char *s, *p, *end, *val;
	char *r = NULL, name[256];
	size_t len = 0, cap = 0, k;

	if (yml_str(y, n, &s))
		return -EINVAL;
	for (p = s; *p;) {
		if (p[0] == '$' && p[1] == '{') {
			end = strchr(p + 2, '}');
			if (!end || (size_t)(end - p - 2) >= sizeof(name) || end == p + 2) {
				free(r);
				return yml_error(y, n, "unterminated or empty ${...} in \"%s\"", s);
			}
			memcpy(name, p + 2, (size_t)(end - p - 2));
			name[end - p - 2] = 0;
			val = getenv(name);
			if (!val) {
				free(r);
				return yml_error(y, n, "environment variable %s is not set", name);
			}
			k = strlen(val);
			p = end + 1;
		} else {
			/* literal text up to the next "${" */
			val = p;
			end = strstr(p + 1, "${");
			k = end ? (size_t)(end - p) : strlen(p);
			p += k;
		}
		if (len + k + 1 > cap) {
			char *nr;

			cap = (len + k + 1) * 2;
			nr = realloc(r, cap);
			if (!nr) {
				free(r);
				return -ENOMEM;
			}
			r = nr;
		}
		memcpy(r + len, val, k);
		len += k;
	}
	if (!r) {
		r = strdup("");
		if (!r)
			return -ENOMEM;
	} else {
		r[len] = 0;
	}
	*out = r;
	return 0;
}
