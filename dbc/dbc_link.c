/* SPDX-License-Identifier: MIT */
/*
 * dbc_link.c - after the last statement: the parser's vectors become the
 * database, and named passes resolve senders, value tables, multiplexing,
 * the decode order, attributes and the public lookup tables.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "dbc_parser.h"

/* key comparators of the public lookup tables (dbc_index_once()) */

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
static int attr_default(const struct dbc_attr_def *d, double *num, const char **str)
{
	if (!d || !d->has_default)
		return 0;
	*num = d->def_num;
	*str = d->def_str;
	if (d->type == DBC_AT_ENUM && d->def_num >= 0 && d->def_num < d->nenums)
		*str = d->enums[(unsigned int)d->def_num];
	return 1;
}

static void apply_msg_attr(struct dbc_message *m, const char *name, double num, const char *str)
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

static void apply_sig_attr(struct dbc_signal *s, const char *name, double num, const char *str)
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
		"GenMsgCycleTime", "GenMsgSendType",	      "VFrameFormat",
		"CANFD_BRS",	   "SystemMessageLongSymbol",
	};
	static const char *const sig_attrs[] = {
		"GenSigStartValue",
		"SystemSignalLongSymbol",
	};
	struct dbc_db *db = p->db;
	struct dbc_priv *pv = db->priv;
	unsigned int i, k;
	size_t j;

	for (k = 0; k < sizeof(msg_attrs) / sizeof(msg_attrs[0]); k++) {
		long di = dbc_find_def(p, msg_attrs[k]);
		double num;
		const char *str;

		if (di < 0 || !attr_default(&db->attr_defs[di], &num, &str))
			continue;
		for (i = 0; i < db->nmsgs; i++)
			apply_msg_attr(&db->msgs[i], msg_attrs[k], num, str);
	}
	for (k = 0; k < sizeof(sig_attrs) / sizeof(sig_attrs[0]); k++) {
		long di = dbc_find_def(p, sig_attrs[k]);
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

		if (m->length > 8 || (m->frame_format && strstr(m->frame_format, "CAN_FD")))
			m->fd = 1;
	}
}

/*
 * The entry of t under h that is one of arr[lo..hi) and equal to str, or
 * -1; *it (0 to start) is left for dbc_htab_set().  For the per-owner sets
 * of finalize(): an owner's strings are the contiguous block [lo, hi).
 */
static long find_in(const struct dbc_htab *t, uint64_t h, const char *const *arr, size_t lo,
		    size_t hi, const char *str, uint32_t *it)
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
			uint64_t h = dbc_name_hash(d->enums[j], strlen(d->enums[j]), i);
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
		dbc_warn_at(p, m->sigs[k].line, 0,
			    "signal %s: multiplexer cycle; "
			    "decoded always",
			    m->sigs[k].name);
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

/* The vectors grew by doubling: their slack goes back, before any pointer
 * into them is taken; then the database owns them.  Enum labels of
 * attribute definitions become pointers. */
static void link_vectors(struct parser *p)
{
	struct dbc_db *db = p->db;
	struct dbc_priv *pv = db->priv;
	size_t i, j;

	if (p->sigs.n && p->sigs.n < p->sigs.cap)
		p->sigs.v = dbc_big_trim(p->sigs.v, &p->sigs.map, p->sigs.n * sizeof(*p->sigs.v));
	if (p->msgs.n && p->msgs.n < p->msgs.cap)
		p->msgs.v = dbc_big_trim(p->msgs.v, &p->msgs.map, p->msgs.n * sizeof(*p->msgs.v));
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

			d->enums = d->nenums ? p->enums.v + p->enum_first.v[k] : NULL;
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
}

/* Signals point at their message and their receivers. */
static void link_signals(struct parser *p)
{
	struct dbc_db *db = p->db;
	struct dbc_priv *pv = db->priv;
	size_t i, j;

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
			s->integral = s->kind == DBC_INT && s->scale == floor(s->scale) &&
				      s->offset == floor(s->offset) && fabs(s->scale) < 9.2e18 &&
				      fabs(s->offset) < 9.2e18;
		}
	}
}

/* Senders: the BO_ one, then the BO_TX_BU_ ones, grouped per message, each
 * name once.  snd (the caller frees it) indexes them.  Returns 0 or
 * -ENOMEM. */
static int link_senders(struct parser *p, struct dbc_htab *snd)
{
	struct dbc_db *db = p->db;
	uint32_t *cnt = calloc(db->nmsgs + 1, sizeof(*cnt));
	size_t i;
	int ret = -ENOMEM;

	if (!cnt)
		goto out_cnt;
	for (i = 0; i < p->senders.n; i++)
		cnt[p->senders.v[i].owner]++;
	{
		size_t total = p->senders.n + db->nmsgs, pos = 0;
		const char **arr = dbc_arena_alloc(&p->arena, (total + 1) * sizeof(*arr));
		uint32_t *fill;

		if (!arr)
			goto out_cnt;
		fill = calloc(db->nmsgs + 1, sizeof(*fill));
		if (!fill || dbc_htab_init(snd, (uint32_t)total) < 0) {
			free(fill);
			goto out_cnt;
		}
		for (i = 0; i < db->nmsgs; i++) {
			struct dbc_message *m = &db->msgs[i];

			fill[i] = (uint32_t)pos;
			m->senders = arr + pos;
			if (m->sender) {
				if (dbc_htab_put(snd,
						 dbc_name_hash(m->sender, strlen(m->sender), i),
						 (uint32_t)pos) < 0) {
					free(fill);
					goto out_cnt;
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
			uint64_t h = dbc_name_hash(r->s, strlen(r->s), r->owner);
			uint32_t it = 0;

			/* each name once per message, in first-seen order */
			if (find_in(snd, h, arr, lo, lo + m->nsenders, r->s, &it) >= 0)
				continue;
			if (dbc_htab_put(snd, h, fill[r->owner]) < 0) {
				free(fill);
				goto out_cnt;
			}
			arr[fill[r->owner]++] = r->s;
			m->nsenders++;
		}
		free(fill);
	}
	ret = 0;
out_cnt:
	free(cnt);
	return ret;
}

/* Value tables: the latest VAL_ per signal, sorted for binary search.
 * Returns 0 or -ENOMEM. */
static int link_choices(struct parser *p)
{
	struct dbc_db *db = p->db;
	struct dbc_priv *pv = db->priv;
	size_t i, j;

	if (p->choices.n)
		qsort(p->choices.v, p->choices.n, sizeof(*p->choices.v), cmp_choice);
	pv->choices = malloc((p->choices.n + 1) * sizeof(*pv->choices));
	if (!pv->choices)
		return -ENOMEM;
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
	return 0;
}

/* Multiplexing: SG_MUL_VAL_ ranges, else the message's M signal.  Returns
 * 0 or -ENOMEM. */
static int link_mux(struct parser *p)
{
	struct dbc_db *db = p->db;
	struct dbc_priv *pv = db->priv;
	size_t i, j;

	pv->ranges = malloc((p->ranges.n + p->ps.n + 1) * sizeof(*pv->ranges));
	if (!pv->ranges)
		return -ENOMEM;
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
					dbc_warn_at(p, s->line, 0,
						    "signal %s: "
						    "SG_MUL_VAL_ selector %s is not "
						    "marked M",
						    s->name, s->selector->name);
				if (s->selector == s) {
					dbc_warn_at(p, s->line, 0,
						    "signal %s "
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
					dbc_warn_at(p, s->line, 0,
						    "signal %s is "
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
	return 0;
}

/* Decode order: selectors before their dependants; cycles are cut.  Adds
 * the steps taken to *steps.  Returns 0 or -ENOMEM. */
static int link_order(struct parser *p, uint64_t *steps)
{
	struct dbc_db *db = p->db;
	struct dbc_priv *pv = db->priv;
	size_t i;

	pv->order = malloc((p->sigs.n + 1) * sizeof(*pv->order));
	if (!pv->order)
		return -ENOMEM;
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
			order_signals(p, m, pv->order + base, &w, steps);
			base += m->nsigs;
		}
		free(w.t);
		free(w.depth);
		free(w.path);
		free(w.cnt);
		free(w.state);
		free(w.cut);
		if (!ok)
			return -ENOMEM;
	}
	return 0;
}

/* Attributes: names resolved, indexed by object, the known ones applied.
 * lab (the caller frees it) indexes enum labels, built when first needed.
 * Returns 0 or -ENOMEM. */
static int link_attrs(struct parser *p, struct dbc_htab *lab)
{
	struct dbc_db *db = p->db;
	struct dbc_priv *pv = db->priv;
	size_t i;

	pv->vals = p->vals.v;
	pv->nvals = (unsigned int)p->vals.n;
	pv->vals_map = p->vals.map;
	VEC_GIVEN(p->vals);
	if (dbc_htab_init(&pv->attr_by_obj, pv->nvals) < 0 ||
	    dbc_htab_init(&pv->def_by_name, db->nattr_defs) < 0)
		return -ENOMEM;
	for (i = 0; i < db->nattr_defs; i++)
		if (dbc_index_once(
			    &pv->def_by_name,
			    dbc_name_hash(db->attr_defs[i].name, strlen(db->attr_defs[i].name), 2),
			    (uint32_t)i, dbc_same_def, db->attr_defs, 0) < 0)
			return -ENOMEM;
	for (i = 0; i < pv->nvals; i++) {
		struct dbc_attrval *v = &pv->vals[i];
		long di = dbc_find_def(p, v->defname);
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

			if (d->nenums && !lab->s && index_labels(p, lab) < 0)
				return -ENOMEM;
			if (d->nenums)
				g = find_in(lab,
					    dbc_name_hash(v->str, strlen(v->str), (uint64_t)di),
					    pv->strs, lo, lo + d->nenums, v->str, &it);
			if (g >= 0)
				v->num = (double)((size_t)g - lo);
		} else if (db->attr_defs[di].type == DBC_AT_ENUM &&
			   (v->num < 0 || v->num >= db->attr_defs[di].nenums)) {
			dbc_warn_at(p, v->line, 0,
				    "attribute \"%s\": value %g is "
				    "not an index of its %u enum labels; ignored",
				    v->defname, v->num, db->attr_defs[di].nenums);
			v->def = UINT32_MAX;
			continue;
		}
		key = ((uint64_t)di << 36) ^ ((uint64_t)v->kind << 32) ^ v->obj;
		if (dbc_index_once(&pv->attr_by_obj, dbc_hash_u64(key), (uint32_t)i, same_obj,
				   pv->vals, 0) < 0)
			return -ENOMEM;
	}
	apply_known_attrs(p);
	return 0;
}

/* The public lookup tables: by id, by name, by J1939 PGN.  Returns 0 or
 * -ENOMEM. */
static int link_tables(struct parser *p)
{
	struct dbc_db *db = p->db;
	struct dbc_priv *pv = db->priv;
	size_t i;

	if (dbc_htab_init(&pv->by_id, db->nmsgs) < 0 || dbc_htab_init(&pv->by_name, db->nmsgs) < 0)
		return -ENOMEM;
	if ((db->flags & DBC_J1939) && dbc_htab_init(&pv->by_pgn, db->nmsgs) < 0)
		return -ENOMEM;
	for (i = 0; i < db->nmsgs; i++) {
		struct dbc_message *m = &db->msgs[i];
		uint64_t key = m->id | ((uint64_t)m->ext << 31);
		const struct dbc_message *old = dbc_find_id(db, m->id, m->ext);

		if (old)
			dbc_warn_at(p, m->line, 0,
				    "message %s: id 0x%X already used "
				    "by %s (line %u); this one wins",
				    m->name, m->id, old->name, old->line);
		if (dbc_index_once(&pv->by_id, dbc_hash_u64(key), (uint32_t)i, same_id, db->msgs,
				   0) < 0)
			return -ENOMEM;
		if (dbc_find_msg_exact(db, m->name))
			dbc_warn_at(p, m->line, 0, "duplicate message name %s", m->name);
		/* by name and by PGN the first message stays */
		if (dbc_index_once(&pv->by_name, dbc_name_hash(m->name, strlen(m->name), 3),
				   (uint32_t)i, same_name, db->msgs, 1) < 0)
			return -ENOMEM;
		if ((db->flags & DBC_J1939) && m->ext &&
		    dbc_index_once(&pv->by_pgn, dbc_hash_u64(dbc_j1939_pgn(m->id)), (uint32_t)i,
				   same_pgn, db->msgs, 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

int dbc_link(struct parser *p)
{
	struct dbc_priv *pv = p->db->priv;
	/* senders per message, enum labels per definition (lazily) */
	struct dbc_htab snd = {0}, lab = {0};
	uint64_t steps = 0; /* of order_signals() */
	int ret;

	link_vectors(p);
	link_signals(p);
	ret = link_senders(p, &snd);
	if (!ret)
		ret = link_choices(p);
	if (!ret)
		ret = link_mux(p);
	if (!ret)
		ret = link_order(p, &steps);
	if (!ret)
		ret = link_attrs(p, &lab);
	if (!ret)
		ret = link_tables(p);
	if (ret)
		goto out;
	pv->load_probes = p->msg_by_rawid.probes + p->sig_by_name.probes + p->node_by_name.probes +
			  p->def_by_name.probes + pv->by_id.probes + pv->by_name.probes +
			  pv->by_pgn.probes + pv->attr_by_obj.probes + pv->def_by_name.probes +
			  snd.probes + lab.probes + steps;
	pv->arena = p->arena;
	p->arena = NULL;
	/* receivers point into strs: the database keeps it */
	pv->recv = p->strs.v;
	pv->recv_map = p->strs.map;
	VEC_GIVEN(p->strs);
out:
	dbc_htab_fini(&snd);
	dbc_htab_fini(&lab);
	return ret;
}
