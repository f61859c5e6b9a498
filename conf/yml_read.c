/* SPDX-License-Identifier: MIT */
/* yml_read.c - key tables over yml.c: one reader for every loader's maps. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yml_read.h"

/* One allocation of an arena; data is aligned for any field type. */
struct yml_blk {
	struct yml_blk *next;
	max_align_t data[];
};

void *yml_alloc(struct yml_rd *r, size_t n)
{
	struct yml_blk *b = calloc(1, sizeof(*b) + (n ? n : 1));

	if (!b) {
		snprintf(r->y->err, sizeof(r->y->err), "%s: out of memory",
			 r->y->name ? r->y->name : "-");
		return NULL;
	}
	b->next = *r->arena;
	*r->arena = b;
	return b->data;
}

void yml_arena_free(void **arena)
{
	struct yml_blk *b = *arena, *next;

	for (; b; b = next) {
		next = b->next;
		free(b);
	}
	*arena = NULL;
}

int yml_err_out(const struct yml *y, int e, char *err, size_t cap)
{
	if (e && err && cap)
		snprintf(err, cap, "%s", y->err[0] ? y->err : strerror(-e));
	return e;
}

int yml_read_str(struct yml_rd *r, const yaml_node_t *n, const char **out)
{
	const char *s;
	char *p;

	if (yml_str(r->y, n, &s))
		return -EINVAL;
	p = yml_alloc(r, strlen(s) + 1);
	if (!p)
		return -ENOMEM;
	strcpy(p, s);
	*out = p;
	return 0;
}

int yml_read_str_env(struct yml_rd *r, const yaml_node_t *n, const char **out)
{
	char *s, *p;
	int e = yml_str_env(r->y, n, &s);

	if (e == -ENOMEM)
		snprintf(r->y->err, sizeof(r->y->err), "%s: out of memory",
			 r->y->name ? r->y->name : "-");
	if (e)
		return e;
	p = yml_alloc(r, strlen(s) + 1);
	if (p)
		strcpy(p, s);
	free(s);
	if (!p)
		return -ENOMEM;
	*out = p;
	return 0;
}

/* Counts first, so the copy is exactly as long as the text says. */
int yml_read_hex(struct yml_rd *r, const yaml_node_t *n, size_t max, const uint8_t **out,
		 size_t *len)
{
	uint8_t *p;
	size_t k;

	if (yml_hex(r->y, n, NULL, 0, &k))
		return -EINVAL;
	if (max && k > max)
		return yml_error(r->y, n, "more than %zu bytes", max);
	p = yml_alloc(r, k);
	if (!p)
		return -ENOMEM;
	if (yml_hex(r->y, n, p, k, &k))
		return -EINVAL;
	*out = p;
	*len = k;
	return 0;
}

/* Stores v into an integer field of size bytes (the table says which). */
static void put_int(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1: {
		uint8_t x = (uint8_t)v;

		memcpy(p, &x, 1);
		break;
	}
	case 2: {
		uint16_t x = (uint16_t)v;

		memcpy(p, &x, 2);
		break;
	}
	case 4: {
		uint32_t x = (uint32_t)v;

		memcpy(p, &x, 4);
		break;
	}
	default:
		memcpy(p, &v, 8);
		break;
	}
}

static void put_ptr(void *p, const void *v)
{
	memcpy(p, &v, sizeof(v));
}

static int read_uint(struct yml_rd *r, const yaml_node_t *n, const struct yml_key *k, void *p)
{
	uint64_t v;

	if (yml_uint(r->y, n, k->max, &v))
		return -EINVAL;
	if (v < k->min)
		return yml_error(r->y, n, "%s must be %llu..%llu", k->name,
				 (unsigned long long)k->min, (unsigned long long)k->max);
	put_int(p, k->size, v);
	return 0;
}

static int read_enum(struct yml_rd *r, const yaml_node_t *n, const struct yml_key *k, void *p)
{
	char list[256] = "";
	const char *s;
	size_t i;

	if (yml_str(r->y, n, &s))
		return -EINVAL;
	for (i = 0; k->names[i]; i++)
		if (!strcmp(k->names[i], s)) {
			put_int(p, k->size, k->vals ? (uint64_t)k->vals[i] : i);
			return 0;
		}
	for (i = 0; k->names[i]; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 k->names[i]);
	return yml_error(r->y, n, "unknown %s '%s' (%s)", k->what ? k->what : k->name, s, list);
}

static int read_num(struct yml_rd *r, const yaml_node_t *n, void *p)
{
	const char *s;
	char *end;
	double v;

	if (yml_str(r->y, n, &s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v))
		return yml_error(r->y, n, "expected a number, found '%s'", s);
	memcpy(p, &v, sizeof(v));
	return 0;
}

static int read_canid(struct yml_rd *r, const yaml_node_t *n, void *p, void *eff)
{
	uint64_t v;

	if (yml_uint(r->y, n, 0x1FFFFFFF, &v))
		return -EINVAL;
	put_int(p, 4, v);
	/* as written: more than 11 bits is a 29-bit id */
	put_int(eff, 1, v > 0x7FF);
	return 0;
}

int yml_read_list(struct yml_rd *r, const yaml_node_t *n, const struct yml_key *k, void *dst)
{
	size_t i, len;
	char *arr;
	int e;

	if (yml_seq(r->y, n, &len))
		return -EINVAL;
	arr = yml_alloc(r, len * k->item_size);
	if (!arr)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		const yaml_node_t *it = yml_seq_item(r->y, n, i);
		void *outer = r->list;
		size_t at = r->index;

		r->list = arr;
		r->index = i;
		e = k->sub ? yml_read_map(r, it, k->sub, arr + i * k->item_size) : 0;
		if (!e && k->fn)
			e = k->fn(r, it, arr, i);
		r->list = outer;
		r->index = at;
		if (e)
			return e;
	}
	put_ptr((char *)dst + k->off, arr);
	memcpy((char *)dst + k->off2, &len, sizeof(len));
	return 0;
}

int yml_read_value(struct yml_rd *r, const yaml_node_t *v, const struct yml_key *k, void *dst)
{
	char *p = (char *)dst + k->off;
	const char *s;
	const uint8_t *b;
	size_t len;
	int e;

	switch (k->type) {
	case YML_UINT:
		return read_uint(r, v, k, p);
	case YML_BOOL:
		if (yml_bool(r->y, v, &e))
			return -EINVAL;
		put_int(p, k->size, (uint64_t)e);
		return 0;
	case YML_ENUM:
		return read_enum(r, v, k, p);
	case YML_STR:
	case YML_STR_ENV:
		e = k->type == YML_STR ? yml_read_str(r, v, &s) : yml_read_str_env(r, v, &s);
		if (!e)
			put_ptr(p, s);
		return e;
	case YML_NUM:
		return read_num(r, v, p);
	case YML_CANID:
		return read_canid(r, v, p, (char *)dst + k->off2);
	case YML_HEX:
		e = yml_read_hex(r, v, (size_t)k->max, &b, &len);
		if (!e) {
			put_ptr(p, b);
			memcpy((char *)dst + k->off2, &len, sizeof(len));
		}
		return e;
	case YML_MAP:
		e = yml_read_map(r, v, k->sub, p);
		return e ? e : k->fn ? k->fn(r, v, p, 0) : 0;
	case YML_LIST:
		return yml_read_list(r, v, k, dst);
	case YML_FUNC:
		return k->fn(r, v, p, 0);
	case YML_KNOWN:
		return 0;
	}
	return yml_error(r->y, v, "internal: bad key type for '%s'", k->name);
}

int yml_read_map(struct yml_rd *r, const yaml_node_t *m, const struct yml_key *keys, void *dst)
{
	if (yml_map_check_table(r->y, m, &keys[0].name, sizeof(*keys)))
		return -EINVAL;
	return yml_read_keys(r, m, keys, dst);
}

int yml_read_keys(struct yml_rd *r, const yaml_node_t *m, const struct yml_key *keys, void *dst)
{
	const struct yml_key *k;
	yaml_node_t *v;
	int e;

	for (k = keys; k->name; k++) {
		v = yml_get(r->y, m, k->name);
		if (!v) {
			if (k->flags & YML_REQ)
				return yml_error(r->y, m, "missing required key '%s'", k->name);
			if (k->flags & YML_DEF)
				put_int((char *)dst + k->off, k->size, k->def);
			continue;
		}
		e = yml_read_value(r, v, k, dst);
		if (e)
			return e;
	}
	return 0;
}
