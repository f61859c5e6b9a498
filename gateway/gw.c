/* SPDX-License-Identifier: MIT */
/* gw.c - the gateway's rule engine: compiled routes, one call per frame. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "isotp.h"
#include "uds.h"

#define RATE_SLOTS 1024 /* ids tracked per rate-limited route */
#define RATE_PROBE 32	/* slots an id may live in, from its hash on */
#define FW_SLOTS   16	/* open multi-frame requests per firewalled route */

struct rate_slot {
	uint32_t key;	   /* id | eff << 31, 0xFFFFFFFF: free */
	uint64_t seen;	   /* last frame of this id (eviction age) */
	uint64_t last;	   /* last forwarded (interval) */
	uint64_t tokens;   /* bucket, in 1e-9 tokens */
	uint64_t refilled; /* bucket: when tokens were computed */
	uint64_t due;	   /* held frame: when it may go */
	uint8_t held;
	uint8_t next_act;  /* action after the rate limit */
	struct cf_buf buf; /* the held frame */
};

/* A multi-frame request the firewall let start: its CFs may follow. */
struct fw_open {
	uint32_t key;	   /* key_of(id, eff), 0: free */
	int16_t ae;	   /* address byte, -1: normal addressing */
	uint8_t sn;	   /* next sequence number */
	uint32_t left;	   /* payload bytes still to come */
	uint64_t deadline; /* N_Cr: the next CF by then */
};

struct route {
	struct gw_route_spec s;
	struct gw_counters ctr;
	struct gw_e2e_state *e2e; /* one per CSUM action */
	struct rate_slot *rate;	  /* RATE_SLOTS, if a rate action */
	unsigned int held;
	struct fw_open *fw_open; /* FW_SLOTS, if a firewall */
	uint8_t classic_dst;	 /* some destination is classic */
	uint8_t kernel;		 /* offloaded to can-gw: looked up for
				  * remote frames of its exact ids only */
};

/*
 * Per source interface: exact ids -> route lists, and the rest.  Built
 * once, from every route, offloaded or not: the offload marks are flags
 * the lookups test, so moving a route to the kernel and back allocates
 * nothing (it happens in the receive path, gwd_offload.c).
 */
struct lookup {
	uint32_t *key;		 /* id | eff << 31 | 1 << 30 (used) */
	uint32_t *first, *count; /* into the list pool */
	uint32_t cap;		 /* power of two */
	uint32_t *fallback;	 /* routes not found by exact id */
	uint32_t nfallback;
};

struct gw_engine {
	struct gw_spec spec; /* interfaces, options; routes moved below */
	struct route *r;
	size_t nr;
	struct lookup lk[GW_MAX_IFS];
	uint32_t *pool;
	int workshop;
	unsigned int held; /* frames held by keep-latest limits */
	/* bytes an action changed, for the emits of one call: a frame no
	 * action changes goes out as a view of the bytes it came in with */
	unsigned int nscratch;
	uint8_t scratch[GW_SCRATCH][CF_MAX_LEN];
};

const char *gw_drop_name(enum gw_drop d)
{
	static const char *const n[GW_DROP_N] = {
		"filtered",   "rate-limited", "firewall", "stale",    "destination-down",
		"queue-full", "loop",	      "action",	  "too-long",
	};

	return (unsigned int)d < GW_DROP_N ? n[d] : "?";
}

static uint32_t key_of(uint32_t id, int eff)
{
	return id | (eff ? 1u << 31 : 0) | 1u << 30;
}

static uint32_t hash32(uint32_t k)
{
	k ^= k >> 16;
	k *= 0x7feb352dU;
	k ^= k >> 15;
	k *= 0x846ca68bU;
	k ^= k >> 16;
	return k;
}

/* ---- building ---- */

static void free_spec_route(struct gw_route_spec *s)
{
	free(s->sel);
	free(s->data);
	free(s->act);
	free(s->fw);
}

static void free_lookups(struct lookup *lk, uint32_t *pool)
{
	size_t i;

	for (i = 0; i < GW_MAX_IFS; i++) {
		free(lk[i].key);
		free(lk[i].first);
		free(lk[i].count);
		free(lk[i].fallback);
	}
	free(pool);
}

void gw_engine_free(struct gw_engine *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->nr; i++) {
		free_spec_route(&e->r[i].s);
		free(e->r[i].e2e);
		free(e->r[i].rate);
		free(e->r[i].fw_open);
	}
	free_lookups(e->lk, e->pool);
	free(e->r);
	free(e);
}

static int fail(char *msg, size_t cap, const char *fmt, const char *a, const char *b)
{
	snprintf(msg, cap, fmt, a, b);
	errno = EINVAL;
	return -EINVAL;
}

static int sel_ok(const struct gw_idsel *s)
{
	uint32_t max = s->eff ? CF_EFF_MASK : CF_SFF_MASK;

	if (s->kind == GW_SEL_EXACT)
		return s->lo <= max;
	if (s->kind == GW_SEL_RANGE)
		return s->lo <= s->hi && s->hi <= max;
	return s->kind == GW_SEL_MASK && s->lo <= max && s->hi <= max;
}

static int check_route(const struct gw_spec *sp, const struct gw_route_spec *r, char *msg,
		       size_t cap)
{
	const struct gw_if_spec *src;
	size_t i, maxlen;
	unsigned int d;
	const char *why;

	if (r->src >= sp->nifs)
		return fail(msg, cap, "route '%s': no such source interface%s", r->name, "");
	src = &sp->ifs[r->src];
	if (!r->dst)
		return fail(msg, cap, "route '%s': no destination%s", r->name, "");
	if (sp->nifs < 64 && (r->dst >> sp->nifs))
		return fail(msg, cap, "route '%s': no such destination interface%s", r->name, "");
	if ((r->dst >> r->src & 1) && !r->allow_same)
		return fail(msg, cap,
			    "route '%s': routes back onto its source %s; "
			    "set allow_same_interface: true if that is meant",
			    r->name, src->name);
	if (src->untrusted && !r->fw)
		return fail(msg, cap,
			    "route '%s': %s is untrusted: every route from "
			    "it needs a firewall",
			    r->name, src->name);
	if (r->fw && r->fw->nae > GW_FW_AE_MAX)
		return fail(msg, cap,
			    "route '%s': firewall: more than 8 address "
			    "bytes%s",
			    r->name, "");
	for (i = 0; i < r->nsel; i++)
		if (!sel_ok(&r->sel[i]))
			return fail(msg, cap, "route '%s': id selection %s out of range", r->name,
				    "");
	if (r->len_min > r->len_max || r->len_max > CF_MAX_LEN)
		return fail(msg, cap, "route '%s': bad length range%s", r->name, "");
	for (i = 0; i < r->ndata; i++)
		if (r->data[i].byte >= CF_MAX_LEN)
			return fail(msg, cap, "route '%s': payload match past byte 63%s", r->name,
				    "");
	/* FD frames can reach this route unless they cannot exist here */
	maxlen = src->fd && r->type != GW_CLASSIC_ONLY ? CF_MAX_LEN : 8;
	for (d = 0; d < sp->nifs; d++) {
		if (!(r->dst >> d & 1) || sp->ifs[d].fd || maxlen == 8)
			continue;
		if (r->fd2classic == GW_FD2C_REJECT)
			return fail(msg, cap,
				    "route '%s': CAN FD frames can reach "
				    "classic interface %s; set fd_to_classic: drop, "
				    "or type: classic",
				    r->name, sp->ifs[d].name);
	}
	for (i = 0; i < r->nact; i++) {
		const struct gw_action *a = &r->act[i];

		if (a->kind == GW_ACT_CSUM && gw_csum_check(&a->u.csum, maxlen, &why))
			return fail(msg, cap, "route '%s': checksum: %s", r->name, why);
		if (a->kind == GW_ACT_RATE && !a->u.rate.interval_ms &&
		    (!a->u.rate.rate_per_s || !a->u.rate.burst))
			return fail(msg, cap,
				    "route '%s': rate limit needs an interval "
				    "or a rate and a burst%s",
				    r->name, "");
		if (a->kind == GW_ACT_MOD && (a->u.mod.fields & GW_MOD_LEN) &&
		    a->u.mod.op == GW_MOD_SET && a->u.mod.len > maxlen)
			return fail(msg, cap,
				    "route '%s': set length beyond the frame's "
				    "maximum%s",
				    r->name, "");
		/* the firewall judges the frame as received: what it lets
		 * through must be what is sent */
		if (r->fw &&
		    ((a->kind == GW_ACT_MOD && (a->u.mod.fields & (GW_MOD_LEN | GW_MOD_DATA))) ||
		     a->kind == GW_ACT_CSUM))
			return fail(msg, cap,
				    "route '%s': a firewalled route may not "
				    "change data or length (%s)",
				    r->name, a->kind == GW_ACT_CSUM ? "checksum" : "modification");
	}
	return 0;
}

/* ---- firewall coverage of a path (source, destination) ---- */

/*
 * 1 if some frame may match both a and b.  Conservative: "may" is
 * enough, so a mask is taken as the interval between its smallest and
 * largest id, and an inverted mask overlaps everything.
 */
static int sel_overlap(const struct gw_idsel *a, const struct gw_idsel *b)
{
	uint32_t alo, ahi, blo, bhi, full;

	if ((a->kind == GW_SEL_MASK && a->invert) || (b->kind == GW_SEL_MASK && b->invert))
		return 1;
	if (!a->eff != !b->eff)
		return 0;
	full = a->eff ? CF_EFF_MASK : CF_SFF_MASK;
	if (a->kind == GW_SEL_MASK && b->kind == GW_SEL_MASK)
		return !((a->lo ^ b->lo) & a->hi & b->hi);
	alo = a->kind == GW_SEL_MASK ? a->lo & a->hi : a->lo;
	ahi = a->kind == GW_SEL_MASK ? alo | (~a->hi & full) : a->hi;
	blo = b->kind == GW_SEL_MASK ? b->lo & b->hi : b->lo;
	bhi = b->kind == GW_SEL_MASK ? blo | (~b->hi & full) : b->hi;
	if (a->kind == GW_SEL_EXACT)
		ahi = alo;
	if (b->kind == GW_SEL_EXACT)
		bhi = blo;
	return alo <= bhi && blo <= ahi;
}

/* An id set: nsel selections, or every id (all). */
struct idset {
	const struct gw_idsel *sel;
	size_t nsel;
	int all;
	struct gw_idsel own[2];
};

/*
 * An id set compiled for overlap tests: exact ids and ranges as spans
 * sorted by (eff, lo), masks apart.  Sorted, not pairwise: a firewalled
 * route of 4,096 ids beside 15 others of as many took 0.7 s pairwise.
 */
struct span {
	uint64_t lo, hi; /* eff << 32 | id */
};

struct rset {
	int all;
	struct span *sp;
	size_t nsp;
	const struct gw_idsel **mk;
	size_t nmk;
	const struct gw_idsel *sel; /* every selection, for masks */
	size_t nsel;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

static void rset_fini(struct rset *r)
{
	free(r->sp);
	free(r->mk);
	memset(r, 0, sizeof(*r));
}

/* Returns 0 or -ENOMEM. */
static int rset_init(struct rset *r, const struct idset *s)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->all = s->all;
	r->sel = s->sel;
	r->nsel = s->nsel;
	if (r->all)
		return 0;
	r->sp = malloc((s->nsel + 1) * sizeof(*r->sp));
	r->mk = malloc((s->nsel + 1) * sizeof(*r->mk));
	if (!r->sp || !r->mk) {
		rset_fini(r);
		return -ENOMEM;
	}
	for (i = 0; i < s->nsel; i++) {
		const struct gw_idsel *x = &s->sel[i];
		uint64_t e = (uint64_t) !!x->eff << 32;

		if (x->kind == GW_SEL_MASK && x->invert) {
			/* overlaps everything (sets are never empty) */
			r->all = 1;
		} else if (x->kind == GW_SEL_MASK) {
			r->mk[r->nmk++] = x;
		} else {
			r->sp[r->nsp].lo = e | x->lo;
			r->sp[r->nsp].hi = e | (x->kind == GW_SEL_EXACT ? x->lo : x->hi);
			r->nsp++;
		}
	}
	qsort(r->sp, r->nsp, sizeof(*r->sp), cmp_span);
	return 0;
}

/* 1 if some frame may be in both a and b. */
static int rset_overlap(const struct rset *a, const struct rset *b)
{
	size_t i = 0, j = 0, k;

	if (a->all || b->all)
		return 1;
	/* both sorted by lo: the span that ends first cannot meet a later one */
	while (i < a->nsp && j < b->nsp) {
		if (a->sp[i].lo <= b->sp[j].hi && b->sp[j].lo <= a->sp[i].hi)
			return 1;
		if (a->sp[i].hi < b->sp[j].hi)
			i++;
		else
			j++;
	}
	/* masks are rare: each against the other set's every selection */
	for (k = 0; k < a->nmk; k++)
		for (i = 0; i < b->nsel; i++)
			if (sel_overlap(a->mk[k], &b->sel[i]))
				return 1;
	for (k = 0; k < b->nmk; k++)
		for (i = 0; i < a->nsel; i++)
			if (a->sel[i].kind != GW_SEL_MASK && sel_overlap(b->mk[k], &a->sel[i]))
				return 1;
	return 0;
}

static void ids_in(const struct gw_route_spec *r, struct idset *s)
{
	s->sel = r->sel;
	s->nsel = r->nsel;
	s->all = !r->nsel;
}

/* The ids r may send with: its own, one set_id value, or (any other id
 * action) every id. */
static void ids_out(const struct gw_route_spec *r, struct idset *s)
{
	size_t i;
	int set = 0;
	uint32_t v = 0;

	ids_in(r, s);
	for (i = 0; i < r->nact; i++) {
		const struct gw_action *a = &r->act[i];

		if (a->kind == GW_ACT_ID_SET) {
			set = 1;
			v = a->u.id & CF_EFF_MASK;
		} else if (a->kind == GW_ACT_ID_ADD ||
			   (a->kind == GW_ACT_MOD && (a->u.mod.fields & GW_MOD_ID))) {
			s->all = 1;
			return;
		}
	}
	if (!set)
		return;
	/* an 11-bit value keeps a 29-bit frame 29-bit */
	s->own[0] = (struct gw_idsel){.kind = GW_SEL_EXACT, .eff = 1, .lo = v, .hi = v};
	s->own[1] = (struct gw_idsel){.kind = GW_SEL_EXACT, .eff = 0, .lo = v, .hi = v};
	s->sel = s->own;
	s->nsel = v > CF_SFF_MASK ? 1 : 2;
	s->all = 0;
}

/* The first destination of both routes' (b after a for the message). */
static const char *shared_dst(const struct gw_spec *sp, const struct gw_route_spec *a,
			      const struct gw_route_spec *b)
{
	unsigned int d;

	for (d = 0; d < sp->nifs; d++)
		if ((a->dst & b->dst) >> d & 1)
			return sp->ifs[d].name;
	return NULL;
}

/* Every route's id sets, as received and as sent. */
struct route_sets {
	struct idset in, out;
	struct rset rin, rout;
};

static void free_route_sets(struct route_sets *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		rset_fini(&v[i].rin);
		rset_fini(&v[i].rout);
	}
	free(v);
}

/*
 * The firewall belongs to the path: once a firewalled route carries an id
 * from S to D (as received or as sent), every other route from S to D
 * that may send that id needs a firewall too, in the same addressing
 * mode.  Checked at load, conservatively, so that neither match: all
 * (a second route), match: first (falling through a firewalled route's
 * other filters) nor an id rewrite gets a frame past it.
 */
static int check_paths(const struct gw_engine *e, char *msg, size_t cap)
{
	struct route_sets *v;
	size_t i, j;
	int rc = 0, any = 0;

	for (i = 0; i < e->nr; i++)
		any |= e->r[i].s.fw != NULL;
	if (!any)
		return 0;
	v = calloc(e->nr + 1, sizeof(*v));
	if (!v)
		goto out_nomem;
	for (i = 0; i < e->nr; i++) {
		ids_in(&e->r[i].s, &v[i].in);
		ids_out(&e->r[i].s, &v[i].out);
		if (rset_init(&v[i].rin, &v[i].in) || rset_init(&v[i].rout, &v[i].out))
			goto out_nomem;
	}
	for (i = 0; i < e->nr; i++) {
		const struct gw_route_spec *a = &e->r[i].s;
		const struct rset *ain = &v[i].rin, *aout = &v[i].rout;

		if (!a->fw)
			continue;
		for (j = 0; j < e->nr; j++) {
			const struct gw_route_spec *b = &e->r[j].s;
			const struct rset *bin = &v[j].rin, *bout = &v[j].rout;
			const char *d;

			if (j == i || b->src != a->src || !(d = shared_dst(&e->spec, a, b)))
				continue;
			if (!b->fw && (rset_overlap(bout, ain) || rset_overlap(bout, aout))) {
				/* "route 'x'" names only b: the loader places the
				 * message at the first route so named */
				snprintf(msg, cap,
					 "route '%s': may send ids that the "
					 "firewall of '%s' guards from %s to %s, without a "
					 "firewall of its own; give it one, or keep its ids "
					 "apart",
					 b->name, a->name, e->spec.ifs[b->src].name, d);
				rc = -EINVAL;
				goto out;
			}
			if (!b->fw || j < i || !a->fw->nae == !b->fw->nae)
				continue;
			if (rset_overlap(bin, ain) || rset_overlap(bout, aout) ||
			    rset_overlap(bin, aout) || rset_overlap(bout, ain)) {
				snprintf(msg, cap,
					 "route '%s': its firewall reads %s "
					 "addressing, that of route '%s' %s, for the same ids "
					 "from %s to %s; one path, one addressing mode",
					 a->name, a->fw->nae ? "extended" : "normal", b->name,
					 b->fw->nae ? "extended" : "normal",
					 e->spec.ifs[a->src].name, d);
				rc = -EINVAL;
				goto out;
			}
		}
	}
out:
	free_route_sets(v, e->nr);
	if (rc)
		errno = -rc;
	return rc;
out_nomem:
	free_route_sets(v, e->nr);
	snprintf(msg, cap, "out of memory");
	errno = ENOMEM;
	return -ENOMEM;
}

/* Depth-first search for a cycle in the interface graph. */
static int cycle_from(const struct gw_spec *sp, unsigned int v, uint8_t *state, unsigned int *path,
		      unsigned int depth, char *msg, size_t cap)
{
	size_t i;

	state[v] = 1;
	path[depth] = v;
	for (i = 0; i < sp->nroutes; i++) {
		const struct gw_route_spec *r = &sp->routes[i];
		unsigned int w;

		if (r->src != v)
			continue;
		for (w = 0; w < sp->nifs; w++) {
			if (!(r->dst >> w & 1) || w == v)
				continue;
			if (state[w] == 1) {
				char p[512];
				size_t n = 0;
				unsigned int k, start = 0;

				for (k = 0; k <= depth; k++)
					if (path[k] == w)
						start = k;
				for (k = start; k <= depth && n < sizeof(p) - 80; k++)
					n += (size_t)snprintf(p + n, sizeof(p) - n, "%s -> ",
							      sp->ifs[path[k]].name);
				snprintf(p + n, sizeof(p) - n, "%s", sp->ifs[w].name);
				return fail(msg, cap,
					    "routes form a cycle: %s; set "
					    "hop_limit if it is meant%s",
					    p, "");
			}
			if (!state[w] && cycle_from(sp, w, state, path, depth + 1, msg, cap))
				return -EINVAL;
		}
	}
	state[v] = 2;
	return 0;
}

static int check_loops(const struct gw_spec *sp, char *msg, size_t cap)
{
	uint8_t state[GW_MAX_IFS] = {0};
	unsigned int path[GW_MAX_IFS + 1], v;

	if (sp->hop_limit)
		return 0;
	for (v = 0; v < sp->nifs; v++)
		if (!state[v] && cycle_from(sp, v, state, path, 0, msg, cap))
			return -EINVAL;
	return 0;
}

static int only_exact(const struct gw_route_spec *r)
{
	size_t i;

	if (!r->nsel)
		return 0;
	for (i = 0; i < r->nsel; i++)
		if (r->sel[i].kind != GW_SEL_EXACT)
			return 0;
	return 1;
}

static int build_lookup(struct gw_engine *e, unsigned int src)
{
	struct lookup *lk = &e->lk[src];
	size_t i, j, nexact = 0, pos;
	uint32_t h;

	for (i = 0; i < e->nr; i++) {
		const struct gw_route_spec *r = &e->r[i].s;

		if (r->src != src)
			continue;
		for (j = 0; j < r->nsel; j++)
			nexact += r->sel[j].kind == GW_SEL_EXACT;
		if (!only_exact(r))
			lk->nfallback++;
	}
	lk->cap = 16;
	while (lk->cap < 2 * nexact)
		lk->cap <<= 1;
	lk->key = calloc(lk->cap, sizeof(*lk->key));
	lk->first = calloc(lk->cap, sizeof(*lk->first));
	lk->count = calloc(lk->cap, sizeof(*lk->count));
	lk->fallback = calloc(lk->nfallback + 1, sizeof(*lk->fallback));
	if (!lk->key || !lk->first || !lk->count || !lk->fallback)
		return -ENOMEM;
	/* first pass: count routes per key; second: fill the pool */
	lk->nfallback = 0;
	for (i = 0; i < e->nr; i++) {
		const struct gw_route_spec *r = &e->r[i].s;

		if (r->src != src)
			continue;
		if (!only_exact(r))
			lk->fallback[lk->nfallback++] = (uint32_t)i;
		for (j = 0; j < r->nsel; j++) {
			uint32_t k;

			if (r->sel[j].kind != GW_SEL_EXACT)
				continue;
			k = key_of(r->sel[j].lo, r->sel[j].eff);
			for (h = hash32(k) & (lk->cap - 1); lk->key[h] && lk->key[h] != k;
			     h = (h + 1) & (lk->cap - 1))
				;
			lk->key[h] = k;
			/* the same id twice in one route counts once */
			if (!lk->count[h] || lk->first[h] != i + 1) {
				lk->count[h]++;
				lk->first[h] = (uint32_t)i + 1;
			}
		}
	}
	pos = 0;
	for (h = 0; h < lk->cap; h++) {
		uint32_t n = lk->count[h];

		lk->first[h] = (uint32_t)pos;
		lk->count[h] = 0;
		pos += n;
	}
	return (int)pos;
}

static void fill_lookup(struct gw_engine *e, unsigned int src, uint32_t base)
{
	struct lookup *lk = &e->lk[src];
	size_t i, j;
	uint32_t h;

	for (h = 0; h < lk->cap; h++)
		lk->first[h] += base;
	for (i = 0; i < e->nr; i++) {
		const struct gw_route_spec *r = &e->r[i].s;

		if (r->src != src)
			continue;
		for (j = 0; j < r->nsel; j++) {
			uint32_t k, *list;

			if (r->sel[j].kind != GW_SEL_EXACT)
				continue;
			k = key_of(r->sel[j].lo, r->sel[j].eff);
			for (h = hash32(k) & (lk->cap - 1); lk->key[h] != k;
			     h = (h + 1) & (lk->cap - 1))
				;
			list = e->pool + lk->first[h];
			if (lk->count[h] && list[lk->count[h] - 1] == i)
				continue;
			list[lk->count[h]++] = (uint32_t)i;
		}
	}
}

/* The lookup tables of every interface, from routes not offloaded. */
static int build_lookups(struct gw_engine *e)
{
	int n[GW_MAX_IFS] = {0};
	size_t i, total = 0;

	for (i = 0; i < e->spec.nifs; i++) {
		n[i] = build_lookup(e, (unsigned int)i);
		if (n[i] < 0)
			return -ENOMEM;
		total += (size_t)n[i];
	}
	e->pool = calloc(total + 1, sizeof(*e->pool));
	if (!e->pool)
		return -ENOMEM;
	total = 0;
	for (i = 0; i < e->spec.nifs; i++) {
		fill_lookup(e, (unsigned int)i, (uint32_t)total);
		total += (size_t)n[i];
	}
	return 0;
}

int gw_engine_offload(struct gw_engine *e, const uint8_t *kernel)
{
	size_t i;

	for (i = 0; i < e->nr; i++)
		e->r[i].kernel = kernel ? !!kernel[i] : 0;
	return 0;
}

void gw_engine_offload_route(struct gw_engine *e, size_t i, int on)
{
	if (i < e->nr)
		e->r[i].kernel = !!on;
}

int gw_engine_route_kernel(const struct gw_engine *e, size_t i)
{
	return i < e->nr && e->r[i].kernel;
}

struct name_ref {
	const char *name;
	size_t idx;
};

static int cmp_name(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/*
 * Index of the later of two routes with one name, e->nr if none, or
 * (size_t)-1 without memory.  Sorted, not pairwise: with 500 routes the
 * pairwise check was a sixth of a reload.
 */
static size_t dup_name(const struct gw_engine *e)
{
	struct name_ref *v = malloc((e->nr + 1) * sizeof(*v));
	size_t i, found = e->nr;

	if (!v)
		return (size_t)-1;
	for (i = 0; i < e->nr; i++)
		v[i] = (struct name_ref){e->r[i].s.name, i};
	qsort(v, e->nr, sizeof(*v), cmp_name);
	for (i = 1; i < e->nr; i++)
		if (!strcmp(v[i - 1].name, v[i].name) && (found == e->nr || v[i].idx < found))
			found = v[i].idx;
	free(v);
	return found;
}

struct gw_engine *gw_engine_new(struct gw_spec *spec, char *msg, size_t cap)
{
	struct gw_engine *e = calloc(1, sizeof(*e));
	size_t i, k;

	if (cap)
		msg[0] = 0;
	if (!e)
		goto out_nomem;
	e->spec = *spec;
	e->nr = spec->nroutes;
	e->r = calloc(e->nr + 1, sizeof(*e->r));
	if (!e->r)
		goto out_nomem;
	for (i = 0; i < e->nr; i++)
		e->r[i].s = spec->routes[i];
	free(spec->routes);
	spec->routes = NULL;
	spec->nroutes = 0;
	e->spec.routes = NULL;
	if (e->spec.nifs > GW_MAX_IFS || !e->spec.nifs) {
		fail(msg, cap, "%sbetween 1 and 32 interfaces are needed%s", "", "");
		goto out_free;
	}
	k = (size_t)dup_name(e);
	if (k < e->nr) {
		fail(msg, cap, "route '%s' is defined twice%s", e->r[k].s.name, "");
		goto out_free;
	}
	if (k == (size_t)-1)
		goto out_nomem;
	for (i = 0; i < e->nr; i++) {
		struct route *r = &e->r[i];
		unsigned int d;

		if (check_route(&e->spec, &r->s, msg, cap))
			goto out_free;
		for (d = 0; d < e->spec.nifs; d++)
			if ((r->s.dst >> d & 1) && !e->spec.ifs[d].fd)
				r->classic_dst = 1;
		r->e2e = calloc(r->s.nact + 1, sizeof(*r->e2e));
		if (!r->e2e)
			goto out_nomem;
		if (r->s.fw && !(r->fw_open = calloc(FW_SLOTS, sizeof(*r->fw_open))))
			goto out_nomem;
		for (k = 0; k < r->s.nact; k++)
			if (r->s.act[k].kind == GW_ACT_RATE && !r->rate) {
				/* zeroed: the timer scan reads every slot's
				 * held flag, claimed or not */
				r->rate = calloc(RATE_SLOTS, sizeof(*r->rate));
				if (!r->rate)
					goto out_nomem;
				for (size_t m = 0; m < RATE_SLOTS; m++)
					r->rate[m].key = 0xFFFFFFFFu;
			}
	}
	{
		struct gw_spec tmp = e->spec;

		tmp.routes = NULL;
		tmp.nroutes = e->nr;
		/* the loop check walks the routes through a view of them */
		tmp.routes = malloc((e->nr + 1) * sizeof(*tmp.routes));
		if (!tmp.routes)
			goto out_nomem;
		for (i = 0; i < e->nr; i++)
			tmp.routes[i] = e->r[i].s;
		k = (size_t)check_loops(&tmp, msg, cap);
		free(tmp.routes);
		if (k)
			goto out_free;
	}
	if (check_paths(e, msg, cap))
		goto out_free;
	if (build_lookups(e))
		goto out_nomem;
	return e;
out_nomem:
	if (cap)
		snprintf(msg, cap, "out of memory");
	errno = ENOMEM;
out_free:
	if (!e || !e->r) {
		for (i = 0; i < spec->nroutes; i++)
			free_spec_route(&spec->routes[i]);
		free(spec->routes);
		spec->routes = NULL;
	}
	k = (size_t)errno;
	gw_engine_free(e);
	errno = (int)k;
	return NULL;
}

/* ---- per frame ---- */

static int sel_match(const struct gw_idsel *s, uint32_t id, int eff)
{
	int m;

	if (!s->eff != !eff)
		return s->kind == GW_SEL_MASK && s->invert;
	switch (s->kind) {
	case GW_SEL_EXACT:
		return id == s->lo;
	case GW_SEL_RANGE:
		return id >= s->lo && id <= s->hi;
	default:
		m = (id & s->hi) == (s->lo & s->hi);
		return s->invert ? !m : m;
	}
}

static int ids_match(const struct gw_route_spec *r, const struct cf_frame *f)
{
	size_t i;

	if (!r->nsel)
		return 1;
	for (i = 0; i < r->nsel; i++)
		if (sel_match(&r->sel[i], f->id, f->flags & CF_EFF))
			return 1;
	return 0;
}

static int filters_match(const struct gw_route_spec *r, const struct cf_frame *f)
{
	size_t i;

	if ((r->frame == GW_SFF_ONLY && (f->flags & CF_EFF)) ||
	    (r->frame == GW_EFF_ONLY && !(f->flags & CF_EFF)))
		return 0;
	if ((r->type == GW_CLASSIC_ONLY && (f->flags & CF_FD)) ||
	    (r->type == GW_FD_ONLY && !(f->flags & CF_FD)))
		return 0;
	if (f->len < r->len_min || f->len > r->len_max)
		return 0;
	for (i = 0; i < r->ndata; i++) {
		const struct gw_datamatch *d = &r->data[i];

		if (d->byte >= f->len || (f->data[d->byte] & d->mask) != (d->value & d->mask))
			return 0;
	}
	return 1;
}

/* 1 if the list bits (the workshop list if ws) lets sid (and sub, if
 * has_sub) through. */
static int fw_list_ok(const struct gw_firewall *fw, const uint8_t *bits, int ws, uint8_t sid,
		      int has_sub, uint8_t sub)
{
	unsigned int i;

	if (!(bits[sid >> 3] >> (sid & 7) & 1))
		return 0;
	if (!has_sub)
		return 1;
	for (i = 0; i < fw->nsub; i++)
		if (fw->sub[i].sid == sid && !fw->sub[i].workshop == !ws)
			return fw->sub[i].subs[(sub & 0x7F) >> 3] >> (sub & 7) & 1;
	return 1;
}

int gw_firewall_allows(const struct gw_firewall *fw, int workshop, const uint8_t *req, size_t len)
{
	int has_sub;
	uint8_t sub;

	if (!len)
		return 0;
	has_sub = uds_has_subfunction(req[0]) && len >= 2;
	sub = has_sub ? req[1] : 0;
	return fw_list_ok(fw, fw->allow, 0, req[0], has_sub, sub) ||
	       (workshop && fw_list_ok(fw, fw->workshop, 1, req[0], has_sub, sub));
}

/* The open request of (k, ae), if any and not past N_Cr; an expired one is
 * freed. */
static struct fw_open *fw_find(struct route *r, uint32_t k, int ae, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < FW_SLOTS; i++) {
		struct fw_open *o = &r->fw_open[i];

		if (o->key != k || o->ae != ae)
			continue;
		if (now > o->deadline) {
			o->key = 0;
			return NULL;
		}
		return o;
	}
	return NULL;
}

static struct fw_open *fw_claim(struct route *r, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < FW_SLOTS; i++)
		if (!r->fw_open[i].key || now > r->fw_open[i].deadline)
			return &r->fw_open[i];
	return NULL;
}

/*
 * Returns 1 if the firewall lets f through.  Single and first frames are
 * judged by their SID (and sub-function); consecutive frames pass only
 * in sequence, within N_Cr, and while bytes remain of a first frame it
 * let through on the same id and address byte; flow control only in
 * valid form.  The state is positive: what was not opened is closed.
 */
static int firewall(struct gw_engine *e, struct route *r, const struct cf_frame *f, uint64_t now)
{
	const struct gw_firewall *fw = r->s.fw;
	unsigned int ae = fw->nae ? 1 : 0, i, take;
	uint32_t k = key_of(f->id, f->flags & CF_EFF), total, have;
	int a = -1, ok, has_sub;
	struct isotp_pci pci;
	struct fw_open *o;
	uint8_t sid, sub = 0;

	if (ae) {
		if (!f->len)
			return 0;
		for (i = 0; i < fw->nae && fw->ae[i] != f->data[0]; i++)
			;
		if (i == fw->nae)
			return 0; /* another target, or another addressing mode */
		a = f->data[0];
	}
	o = fw_find(r, k, a, now);
	switch (isotp_classify(f, ae, &pci)) {
	case ISOTP_PCI_CF:
		take = f->len - ae - 1;
		if (!o || pci.sn != o->sn || !take) {
			if (o)
				o->key = 0; /* out of sequence: the request ends */
			return 0;
		}
		o->left = take >= o->left ? 0 : o->left - take;
		o->sn = (uint8_t)((o->sn + 1) & 0x0F);
		o->deadline = now + GW_FW_N_CR_MS * 1000000ull;
		if (!o->left)
			o->key = 0;
		return 1;
	case ISOTP_PCI_FC:
		/* FS 0 CTS, 1 WAIT, 2 OVFLW, with BS and STmin */
		return f->len - ae >= 3 && pci.sn <= 2;
	case ISOTP_PCI_SF:
	case ISOTP_PCI_FF:
		break;
	default:
		return 0; /* not a valid first frame: not a request we allow */
	}
	if (pci.off >= f->len || !pci.total)
		return 0;
	sid = f->data[pci.off];
	has_sub = uds_has_subfunction(sid) && pci.total >= 2 && pci.off + 1 < f->len;
	if (has_sub)
		sub = f->data[pci.off + 1];
	ok = fw_list_ok(fw, fw->allow, 0, sid, has_sub, sub) ||
	     (e->workshop && fw_list_ok(fw, fw->workshop, 1, sid, has_sub, sub));
	if (pci.type == ISOTP_PCI_SF) {
		/* an SF ends the receiver's request in progress */
		if (ok && o)
			o->key = 0;
		return ok;
	}
	/* any first frame ends the previous request: the receiver restarts on
	 * an allowed one, and the refused one's CFs must not pass */
	if (o)
		o->key = 0;
	if (!ok)
		return 0;
	total = pci.total;
	have = f->len - pci.off;
	if (total <= have)
		return 0; /* fits a single frame: no receiver takes it */
	o = fw_claim(r, now);
	if (!o)
		return 0; /* FW_SLOTS requests open: refusing is the safe side */
	o->key = k;
	o->ae = (int16_t)a;
	o->sn = 1;
	o->left = total - have;
	o->deadline = now + GW_FW_N_CR_MS * 1000000ull;
	return 1;
}

static void apply_mod(const struct gw_mod *m, struct cf_frame *f, uint8_t *data)
{
	unsigned int i, n = f->flags & CF_FD ? CF_MAX_LEN : 8;
	uint32_t idmask = f->flags & CF_EFF ? CF_EFF_MASK : CF_SFF_MASK;

	if (m->fields & GW_MOD_ID) {
		switch (m->op) {
		case GW_MOD_AND:
			f->id &= m->id;
			break;
		case GW_MOD_OR:
			f->id |= m->id;
			break;
		case GW_MOD_XOR:
			f->id ^= m->id;
			break;
		default:
			f->id = m->id;
			break;
		}
		f->id &= idmask;
	}
	if (m->fields & GW_MOD_LEN) {
		switch (m->op) {
		case GW_MOD_AND:
			f->len &= m->len;
			break;
		case GW_MOD_OR:
			f->len |= m->len;
			break;
		case GW_MOD_XOR:
			f->len ^= m->len;
			break;
		default:
			f->len = m->len;
			break;
		}
	}
	if (m->fields & GW_MOD_DATA)
		for (i = 0; i < n; i++) {
			switch (m->op) {
			case GW_MOD_AND:
				data[i] &= m->data[i];
				break;
			case GW_MOD_OR:
				data[i] |= m->data[i];
				break;
			case GW_MOD_XOR:
				data[i] ^= m->data[i];
				break;
			default:
				data[i] = m->data[i];
				break;
			}
		}
}

static int len_valid(const struct cf_frame *f)
{
	if (!(f->flags & CF_FD))
		return f->len <= 8;
	return f->len <= CF_MAX_LEN && cf_dlc2len(cf_len2dlc(f->len)) == f->len;
}

#define NS 1000000000ull

/* 1 if slot s is as good as new at now: reusing it for another id
 * changes nothing for the id it had. */
static int rate_idle(const struct gw_rate *rt, const struct rate_slot *s, uint64_t now)
{
	if (s->held)
		return 0;
	if (rt->interval_ms)
		return !s->last || now >= s->last + (uint64_t)rt->interval_ms * 1000000ull;
	return !s->refilled ||
	       (now >= s->refilled &&
		now - s->refilled >= ((uint64_t)rt->burst * NS - s->tokens) / rt->rate_per_s + 1);
}

/*
 * The slot of id key k: it lives within RATE_PROBE slots of its hash.  An
 * id not there takes a free slot, else an idle one, else the one whose id
 * was seen longest ago (a flood of new ids must not starve the next id,
 * so ids age out).  NULL only when every slot in reach holds a frame.
 */
static struct rate_slot *rate_slot(struct route *r, const struct gw_rate *rt, uint32_t k,
				   uint64_t now)
{
	uint32_t h = hash32(k) & (RATE_SLOTS - 1), i;
	struct rate_slot *s, *free_s = NULL, *idle = NULL, *old = NULL;

	for (i = 0; i < RATE_PROBE; i++, h = (h + 1) & (RATE_SLOTS - 1)) {
		s = &r->rate[h];
		if (s->key == k) {
			s->seen = now;
			return s;
		}
		if (s->key == 0xFFFFFFFFu) {
			if (!free_s)
				free_s = s;
		} else if (!idle && rate_idle(rt, s, now)) {
			idle = s;
		} else if (!s->held && (!old || s->seen < old->seen)) {
			old = s;
		}
	}
	s = free_s ? free_s : idle ? idle : old;
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->key = k;
	s->seen = now;
	return s;
}

/* 1: pass now; 0: dropped or held (the slot keeps it). */
static int rate_pass(struct gw_engine *e, struct route *r, const struct gw_rate *rt,
		     const struct cf_frame *f, unsigned int next, uint64_t now)
{
	struct rate_slot *s = rate_slot(r, rt, key_of(f->id, f->flags & CF_EFF), now);
	uint64_t wait;

	if (!s) {
		/* every slot in reach holds a frame: a flood, limited */
		r->ctr.dropped[GW_DROP_RATE]++;
		return 0;
	}
	if (rt->interval_ms) {
		uint64_t iv = (uint64_t)rt->interval_ms * 1000000ull;

		if (!s->last || now >= s->last + iv) {
			s->last = now ? now : 1;
			return 1;
		}
		wait = s->last + iv;
	} else {
		uint64_t full = (uint64_t)rt->burst * NS;

		if (!s->refilled) {
			s->tokens = full;
		} else {
			uint64_t dt = now > s->refilled ? now - s->refilled : 0;

			/* (dt * rate) would overflow after hours idle: a bucket
			 * that has had time to fill is full */
			if (dt > (full - s->tokens) / rt->rate_per_s)
				s->tokens = full;
			else
				s->tokens += dt * rt->rate_per_s;
		}
		s->refilled = now ? now : 1;
		if (s->tokens >= NS) {
			s->tokens -= NS;
			return 1;
		}
		wait = now + (NS - s->tokens + rt->rate_per_s - 1) / rt->rate_per_s;
	}
	if (rt->keep == GW_KEEP_FIRST) {
		r->ctr.dropped[GW_DROP_RATE]++;
		return 0;
	}
	/* keep the latest: it replaces what was held */
	if (s->held)
		r->ctr.dropped[GW_DROP_RATE]++;
	else {
		r->held++;
		e->held++;
	}
	s->held = 1;
	s->due = wait;
	s->next_act = (uint8_t)next;
	cf_buf_set(&s->buf, f);
	return 0;
}

/*
 * Makes f's bytes writable: the first change copies them into the
 * call's scratch, zeroed past len (a longer length must not uncover
 * another frame's bytes).  Returns them, or NULL when the scratch is used
 * up (the caller drops the frame, as for a full out[]).
 */
static uint8_t *writable(struct gw_engine *e, struct cf_frame *f)
{
	uint8_t *d;

	if (e->nscratch == GW_SCRATCH)
		return NULL;
	d = e->scratch[e->nscratch++];
	memset(d, 0, CF_MAX_LEN);
	if (f->data)
		memcpy(d, f->data, f->len < CF_MAX_LEN ? f->len : CF_MAX_LEN);
	f->data = d;
	return d;
}

/*
 * Runs actions from a onwards on f (a view whose bytes are the caller's)
 * and emits it.  Only an action that changes bytes copies them (once).
 */
static unsigned int finish(struct gw_engine *e, unsigned int ri, struct cf_frame *f, size_t a,
			   uint64_t now, struct gw_emit *out, unsigned int max)
{
	struct route *r = &e->r[ri];
	unsigned int n = 0, d;
	uint8_t *data = NULL; /* f's bytes once writable */

	for (; a < r->s.nact; a++) {
		const struct gw_action *ac = &r->s.act[a];
		uint32_t idmask = f->flags & CF_EFF ? CF_EFF_MASK : CF_SFF_MASK;

		switch (ac->kind) {
		case GW_ACT_ID_SET:
			f->id = ac->u.id & CF_EFF_MASK;
			if (f->id > CF_SFF_MASK)
				f->flags |= CF_EFF;
			break;
		case GW_ACT_ID_ADD:
			f->id = (f->id + ac->u.id) & idmask;
			break;
		case GW_ACT_MOD:
			if (!data && !(data = writable(e, f))) {
				r->ctr.dropped[GW_DROP_QUEUE]++;
				return 0;
			}
			apply_mod(&ac->u.mod, f, data);
			if (!len_valid(f)) {
				r->ctr.dropped[GW_DROP_ACTION]++;
				return 0;
			}
			break;
		case GW_ACT_CSUM:
			if (!data && !(data = writable(e, f))) {
				r->ctr.dropped[GW_DROP_QUEUE]++;
				return 0;
			}
			if (gw_csum_apply(&ac->u.csum, &r->e2e[a], f->id, data, f->len)) {
				r->ctr.dropped[GW_DROP_ACTION]++;
				return 0;
			}
			break;
		case GW_ACT_RATE:
			if (!rate_pass(e, r, &ac->u.rate, f, (unsigned int)a + 1, now))
				return 0;
			break;
		default:
			r->ctr.dropped[GW_DROP_ACTION]++;
			return 0;
		}
	}
	for (d = 0; d < e->spec.nifs; d++) {
		struct gw_emit *o;

		if (!(r->s.dst >> d & 1))
			continue;
		if (!e->spec.ifs[d].fd && (f->flags & CF_FD) && f->len > 8) {
			r->ctr.dropped[GW_DROP_TOO_LONG]++;
			continue;
		}
		if (n == max) {
			r->ctr.dropped[GW_DROP_QUEUE]++;
			continue;
		}
		o = &out[n++];
		o->dst = (uint8_t)d;
		o->route = (uint16_t)ri;
		o->f = *f;
		o->f.ifindex = 0;
		o->f.dir = CF_DIR_TX;
		o->f.own = 0;
		if (!e->spec.ifs[d].fd)
			o->f.flags &= (uint8_t) ~(CF_FD | CF_BRS | CF_ESI);
	}
	return n;
}

/* One route that selected f; returns frames emitted, *matched set. */
static unsigned int route_frame(struct gw_engine *e, unsigned int ri, const struct cf_frame *f,
				uint64_t now, struct gw_emit *out, unsigned int max, int *matched)
{
	struct route *r = &e->r[ri];
	struct cf_frame w;

	if (!filters_match(&r->s, f)) {
		r->ctr.dropped[GW_DROP_FILTERED]++;
		return 0;
	}
	*matched = 1;
	r->ctr.matched++;
	if (r->s.fw && !firewall(e, r, f, now)) {
		r->ctr.dropped[GW_DROP_FIREWALL]++;
		return 0;
	}
	w = *f;
	return finish(e, ri, &w, 0, now, out, max);
}

unsigned int gw_engine_input(struct gw_engine *e, unsigned int src, const struct cf_frame *f,
			     uint64_t now, struct gw_emit *out, unsigned int max)
{
	const struct lookup *lk;
	const uint32_t *a = NULL, *b;
	uint32_t na = 0, nb, i = 0, j = 0, h;
	unsigned int n = 0;
	int matched = 0;

	if (src >= e->spec.nifs || (f->flags & CF_ERR))
		return 0;
	e->nscratch = 0;
	lk = &e->lk[src];
	if (lk->cap) {
		uint32_t k = key_of(f->id, f->flags & CF_EFF);

		for (h = hash32(k) & (lk->cap - 1); lk->key[h]; h = (h + 1) & (lk->cap - 1))
			if (lk->key[h] == k) {
				a = e->pool + lk->first[h];
				na = lk->count[h];
				break;
			}
	}
	b = lk->fallback;
	nb = lk->nfallback;
	/* visit both candidate lists in route order */
	while (i < na || j < nb) {
		uint32_t ri;

		if (j >= nb || (i < na && a[i] <= b[j])) {
			ri = a[i++];
			if (j < nb && b[j] == ri)
				j++;
			/* can-gw routes the data frames of an offloaded exact id
			 * (the kernel's hashed filter path takes no remote
			 * frames); its remote frames are ours */
			if (e->r[ri].kernel && !(f->flags & CF_RTR))
				continue;
		} else {
			ri = b[j++];
			/* can-gw takes an offloaded route's masks and ranges
			 * whole, remote frames too */
			if (e->r[ri].kernel || !ids_match(&e->r[ri].s, f))
				continue;
		}
		n += route_frame(e, ri, f, now, out + n, max - n, &matched);
		if (matched && e->spec.first_match)
			break;
	}
	return n;
}

unsigned int gw_engine_timers(struct gw_engine *e, uint64_t now, struct gw_emit *out,
			      unsigned int max)
{
	unsigned int n = 0;
	size_t i, k;

	if (!e->held)
		return 0;
	e->nscratch = 0;
	for (i = 0; i < e->nr && n < max; i++) {
		struct route *r = &e->r[i];

		for (k = 0; r->held && k < RATE_SLOTS && n < max; k++) {
			struct rate_slot *s = &r->rate[k];
			struct cf_frame f;

			if (!s->held || s->due > now)
				continue;
			s->held = 0;
			r->held--;
			e->held--;
			/* it goes now: that is the interval's new start */
			s->last = now;
			if (s->refilled && s->tokens >= NS)
				s->tokens -= NS;
			/* a view of the slot: it keeps its bytes until the
			 * next call */
			f = *cf_buf_view(&s->buf);
			n += finish(e, (unsigned int)i, &f, s->next_act, now, out + n, max - n);
		}
	}
	return n;
}

uint64_t gw_engine_deadline(const struct gw_engine *e)
{
	uint64_t d = UINT64_MAX;
	size_t i, k;

	if (!e->held)
		return d;
	for (i = 0; i < e->nr; i++)
		for (k = 0; e->r[i].held && k < RATE_SLOTS; k++)
			if (e->r[i].rate[k].held && e->r[i].rate[k].due < d)
				d = e->r[i].rate[k].due;
	return d;
}

void gw_engine_workshop(struct gw_engine *e, int on)
{
	size_t i;

	/* what workshop mode let through must not go on after it: the
	 * requests in progress end, and frames a rate limit holds back are
	 * dropped */
	if (e->workshop && !on)
		for (i = 0; i < e->nr; i++) {
			struct route *r = &e->r[i];
			size_t k;

			if (!r->fw_open)
				continue;
			memset(r->fw_open, 0, FW_SLOTS * sizeof(*r->fw_open));
			for (k = 0; r->held && k < RATE_SLOTS; k++)
				if (r->rate[k].held) {
					r->rate[k].held = 0;
					r->held--;
					e->held--;
					r->ctr.dropped[GW_DROP_FIREWALL]++;
				}
		}
	e->workshop = !!on;
}

size_t gw_engine_nroutes(const struct gw_engine *e)
{
	return e->nr;
}

const char *gw_engine_route_name(const struct gw_engine *e, size_t i)
{
	return i < e->nr ? e->r[i].s.name : NULL;
}

struct gw_counters *gw_engine_counters(struct gw_engine *e, size_t i)
{
	return i < e->nr ? &e->r[i].ctr : NULL;
}

void gw_engine_sent(struct gw_engine *e, size_t i, uint64_t n)
{
	if (i < e->nr)
		e->r[i].ctr.forwarded += n;
}

const struct gw_route_spec *gw_engine_route(const struct gw_engine *e, size_t i)
{
	return i < e->nr ? &e->r[i].s : NULL;
}

const struct gw_spec *gw_engine_spec(const struct gw_engine *e)
{
	return &e->spec;
}

int gw_engine_workshop_on(const struct gw_engine *e)
{
	return e->workshop;
}

static int cmp_name_only(const void *a, const void *b)
{
	return strcmp(((const struct name_ref *)a)->name, ((const struct name_ref *)b)->name);
}

/*
 * Sorted and searched, not pairwise: it runs on the loop while routing
 * waits, and with 500 routes the pairwise search took 8-12 ms in the
 * guest.  Names are unique within an engine (gw_engine_new()).
 */
void gw_engine_adopt(struct gw_engine *e, const struct gw_engine *old)
{
	struct name_ref *v = malloc((old->nr + 1) * sizeof(*v)), key, *hit;
	size_t i, k;

	e->workshop = old->workshop;
	if (!v) {
		/* without memory, slowly */
		for (i = 0; i < e->nr; i++)
			for (k = 0; k < old->nr; k++)
				if (!strcmp(e->r[i].s.name, old->r[k].s.name)) {
					e->r[i].ctr = old->r[k].ctr;
					break;
				}
		return;
	}
	for (k = 0; k < old->nr; k++)
		v[k] = (struct name_ref){old->r[k].s.name, k};
	qsort(v, old->nr, sizeof(*v), cmp_name_only);
	for (i = 0; i < e->nr; i++) {
		key.name = e->r[i].s.name;
		hit = bsearch(&key, v, old->nr, sizeof(*v), cmp_name_only);
		if (hit)
			e->r[i].ctr = old->r[hit->idx].ctr;
	}
	free(v);
}

/* Aligned blocks covering lo..hi (prefix decomposition), kernel form. */
static int add_range(uint32_t lo, uint32_t hi, uint32_t full, uint32_t flag, uint32_t *id,
		     uint32_t *mask, unsigned int max, int n)
{
	uint64_t at = lo;

	while (at <= hi) {
		uint64_t size = 1;

		while (size <= full && !(at & ((size << 1) - 1)) && at + (size << 1) - 1 <= hi)
			size <<= 1;
		if ((unsigned int)n < max) {
			id[n] = (uint32_t)at | flag;
			mask[n] = (full & ~(uint32_t)(size - 1)) | 0x80000000u;
		}
		n++;
		at += size;
	}
	return n;
}

int gw_engine_filters(const struct gw_engine *e, unsigned int src, uint32_t *id, uint32_t *mask,
		      unsigned int max)
{
	const struct lookup *lk;
	uint32_t h, i;
	size_t k;
	int n = 0, any = 0;

	if (src >= e->spec.nifs)
		return 0;
	lk = &e->lk[src];
	/* a route in user space that takes every id */
	for (i = 0; i < lk->nfallback; i++)
		if (!e->r[lk->fallback[i]].s.nsel && !e->r[lk->fallback[i]].kernel)
			return -1;
	/* kernel form: CAN_EFF_FLAG 0x80000000 in id and mask (so 11- and
	 * 29-bit ids stay apart), CAN_INV_FILTER 0x20000000 in the id.  An
	 * exact id also has CAN_RTR_FLAG 0x40000000 in its mask: only that
	 * form takes the kernel's constant-time path; remote frames then
	 * come through one extra filter of their own */
	for (h = 0; h < lk->cap; h++) {
		uint32_t key = lk->key[h];
		int eff;

		if (!key)
			continue;
		any = 1;
		/* an offloaded id's data frames are the kernel's: wanted only
		 * when some route of the id is in user space */
		for (i = 0; i < lk->count[h] && e->r[e->pool[lk->first[h] + i]].kernel; i++)
			;
		if (i == lk->count[h])
			continue;
		eff = !!(key & 1u << 31);
		if ((unsigned int)n < max) {
			id[n] = (key & CF_EFF_MASK) | (eff ? 0x80000000u : 0);
			mask[n] = (eff ? CF_EFF_MASK : CF_SFF_MASK) | 0xC0000000u;
		}
		n++;
	}
	if (any) {
		if ((unsigned int)n < max) {
			id[n] = 0x40000000u;
			mask[n] = 0x40000000u;
		}
		n++;
	}
	for (i = 0; i < lk->nfallback; i++) {
		const struct gw_route_spec *r = &e->r[lk->fallback[i]].s;

		if (e->r[lk->fallback[i]].kernel)
			continue;
		for (k = 0; k < r->nsel; k++) {
			const struct gw_idsel *s = &r->sel[k];
			uint32_t full = s->eff ? CF_EFF_MASK : CF_SFF_MASK;
			uint32_t flag = s->eff ? 0x80000000u : 0;

			if (s->kind == GW_SEL_RANGE) {
				n = add_range(s->lo, s->hi, full, flag, id, mask, max, n);
			} else if (s->kind == GW_SEL_MASK) {
				if ((unsigned int)n < max) {
					id[n] = (s->lo & s->hi) | flag |
						(s->invert ? 0x20000000u : 0);
					mask[n] = s->hi | 0x80000000u;
				}
				n++;
			}
		}
	}
	return n;
}
