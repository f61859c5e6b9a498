/* SPDX-License-Identifier: MIT */
/*
 * dbc_mem.c - the DBC module's memory: big vectors (huge-page mappings
 * past a few MiB), the arena that holds every string and table of a
 * database, and the open-addressing hash table the parser and the
 * lookups share.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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
#define BIG_MIN	  ((size_t)4 << 20)
#define BIG_ALIGN ((size_t)2 << 20)

void *dbc_big_grow(void *v, size_t used, size_t *map, size_t n)
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
		nv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
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
void *dbc_big_trim(void *v, size_t *map, size_t n)
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
	size_t map;   /* length of its own mapping, 0: malloc's */
	size_t total; /* cap of this chunk and all before it */
	char mem[];
};

void *dbc_arena_alloc(struct dbc_chunk **a, size_t n)
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
			c = dbc_big_grow(NULL, 0, &map, sizeof(*c) + cap);
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
		for (j = t->s[i].tag & (nt.cap - 1); nt.s[j].idx; j = (j + 1) & (nt.cap - 1))
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
