/* SPDX-License-Identifier: MIT */
/*
 * upl_coll.c - the uplink's collection engine (upl_coll.h).
 *
 * Everything is sized at upl_coll_new(): one state slot per collect entry
 * and interface, the open batch's buffer (max_bytes plus the longest
 * sample), the decode scratch.  Samples are written straight into the
 * batch buffer by dbc_json_sample(), the same printer as canrig dbc decode
 * --json.
 *
 * when: entries: the latest physical value of every DBC signal a condition
 * names is kept in flat arrays (first[msg] + signal index); a frame of such
 * a message updates them and runs the programs of the entries that depend
 * on it (dep_first/dep, by message).  Samples of an entry whose window is
 * closed go to its before_ms ring (frames, decoded again when the window
 * opens) or nowhere.  Compression (batch: compress) happens once per batch,
 * with one deflate stream made at upl_coll_new() and reset per batch.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "dbc_json.h"
#include "upl_coll.h"
#include "upl_spool.h"

struct slot {
	struct cf_buf held; /* every_ms: the interval's latest frame */
	uint64_t due;	    /* every_ms: end of the current interval, 0: none */
	uint64_t *last;	    /* on_change: raw values of the last sample */
	uint8_t *lastp;	    /* on_change: which were present */
	uint8_t has;	    /* held is a frame */
	uint8_t digits;	    /* its timestamp digits */
	uint8_t seen;	    /* on_change: a sample was made */
};

/* A sample kept for before_ms: its frame, decoded when the window opens. */
struct hist {
	struct cf_buf f;
	uint64_t at; /* monotonic time it was made */
	uint8_t ifidx, digits;
};

/* A when: entry's window. */
struct cond {
	struct hist *ring; /* hist slots: oldest at head */
	uint32_t head, n;
	uint64_t after_until; /* with in_after: collecting up to then */
	uint8_t on;	      /* the condition's value */
	uint8_t in_after;
};

struct upl_coll {
	const struct upl_conf *c;
	struct cond *conds;  /* per collect entry */
	struct hist *hists;  /* every ring */
	double *val;	     /* per DBC signal: latest physical value */
	uint8_t *vpres;	     /* ... and whether its latest frame had it */
	uint32_t *first;     /* per DBC message: its first signal in val */
	uint32_t *dep_first; /* per DBC message + 1: range in dep */
	uint32_t *dep;	     /* collect entries whose when: names the message */
	z_stream z;	     /* batch: compress: deflate */
	int zinit;
	char *zbuf;
	struct dbc_json *json;
	int *by_msg; /* per DBC message: collect index, or -1 */
	struct slot *slots;
	uint64_t *raws;
	uint8_t *pres;
	struct dbc_value *vals;
	char *buf;
	size_t len, cap;
	uint64_t batch_due; /* when the open batch goes; 0: it is empty */
	uint64_t next_due;  /* earliest due of a slot with a held frame */
	upl_batch_fn fn;
	void *ctx;
	struct upl_coll_stats st;
};

static inline struct slot *slot_of(struct upl_coll *co, size_t k, unsigned int ifidx)
{
	return &co->slots[k * co->c->nifs + ifidx];
}

static int when_init(struct upl_coll *co, unsigned int *maxs);
static int cond_value(const struct upl_coll *co, const struct upl_collect *cl);

int upl_coll_new(const struct upl_conf *c, upl_batch_fn fn, void *ctx, struct upl_coll **out)
{
	struct upl_coll *co = calloc(1, sizeof(*co));
	size_t k, nraw = 0, maxbound = 0;
	unsigned int i, maxs = 1;
	int e = -ENOMEM;

	*out = NULL;
	if (!co)
		return -ENOMEM;
	co->c = c;
	co->fn = fn;
	co->ctx = ctx;
	co->next_due = UINT64_MAX;
	co->json = dbc_json_new(c->db, 0);
	co->by_msg = malloc((c->db->nmsgs + 1) * sizeof(*co->by_msg));
	co->slots = calloc(c->ncollect * c->nifs + 1, sizeof(*co->slots));
	if (!co->json || !co->by_msg || !co->slots)
		goto out_free;
	e = when_init(co, &maxs);
	if (e)
		goto out_free;
	e = -ENOMEM;
	for (i = 0; i < c->db->nmsgs; i++)
		co->by_msg[i] = -1;
	for (k = 0; k < c->ncollect; k++) {
		const struct dbc_message *m = c->collect[k].msg;
		size_t b = dbc_json_bound(co->json, m);

		co->by_msg[m - c->db->msgs] = (int)k;
		if (m->nsigs > maxs)
			maxs = m->nsigs;
		if (b > maxbound)
			maxbound = b;
		if (c->collect[k].mode == UPL_ON_CHANGE)
			nraw += m->nsigs * c->nifs;
	}
	/* the bus name is escaped into the sample; dbc_json copies names in
	 * fixed 32-byte pieces, hence the slack */
	maxbound += 6 * CLOG_IFNAME_MAX + 64;
	if (maxbound > UPL_REC_MAX) {
		e = -E2BIG;
		goto out_free;
	}
	co->vals = calloc(maxs, sizeof(*co->vals));
	co->raws = calloc(nraw + 1, sizeof(*co->raws));
	co->pres = calloc(nraw + 1, 1);
	co->cap = c->batch.max_bytes + maxbound;
	co->buf = malloc(co->cap);
	if (!co->vals || !co->raws || !co->pres || !co->buf)
		goto out_free;
	if (c->batch.compress == UPL_ZIP_DEFLATE) {
		/* zlib format (RFC 1950), as HTTP's "deflate"; level 1: ndjson
		 * compresses well even so, and the decoder's cost stays the
		 * uplink's (docs/uplink.md) */
		co->zbuf = malloc(co->cap);
		if (!co->zbuf || deflateInit(&co->z, 1) != Z_OK)
			goto out_free;
		co->zinit = 1;
	}
	for (k = 0; k < c->ncollect; k++)
		co->conds[k].on = c->collect[k].nops && cond_value(co, &c->collect[k]);
	nraw = 0;
	for (k = 0; k < c->ncollect; k++) {
		if (c->collect[k].mode != UPL_ON_CHANGE)
			continue;
		for (i = 0; i < c->nifs; i++) {
			struct slot *s = slot_of(co, k, i);

			s->last = co->raws + nraw;
			s->lastp = co->pres + nraw;
			nraw += c->collect[k].msg->nsigs;
		}
	}
	*out = co;
	return 0;
out_free:
	upl_coll_free(co);
	return e;
}

void upl_coll_free(struct upl_coll *co)
{
	if (!co)
		return;
	dbc_json_free(co->json);
	if (co->zinit)
		deflateEnd(&co->z);
	free(co->zbuf);
	free(co->conds);
	free(co->hists);
	free(co->val);
	free(co->vpres);
	free(co->first);
	free(co->dep_first);
	free(co->dep);
	free(co->by_msg);
	free(co->slots);
	free(co->raws);
	free(co->pres);
	free(co->vals);
	free(co->buf);
	free(co);
}

/* The batch as one zlib stream in zbuf, if that is smaller. */
static int deflated(struct upl_coll *co, size_t n, size_t *len)
{
	z_stream *z = &co->z;

	if (deflateReset(z) != Z_OK)
		return 0;
	z->next_in = (Bytef *)co->buf;
	z->avail_in = (uInt)n;
	z->next_out = (Bytef *)co->zbuf;
	z->avail_out = (uInt)(n - 1);
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return 0;
	*len = z->total_out;
	return 1;
}

static void emit(struct upl_coll *co, size_t n)
{
	const char *out = co->buf;
	size_t len = n;

	if (co->zinit) {
		if (deflated(co, n, &len))
			out = co->zbuf;
		else
			co->st.stored++;
	}
	co->fn(co->ctx, out, len);
	co->st.batches++;
	co->st.bytes += len;
	co->st.json += n;
}

/* Decoded frame rec of collect entry k into the open batch. */
static void sample(struct upl_coll *co, size_t k, const struct clog_rec *rec, unsigned int rflags,
		   uint64_t now)
{
	const struct upl_collect *cl = &co->c->collect[k];
	size_t start = co->len, w;

	w = dbc_json_sample(co->json, rec, cl->msg, co->vals, rflags, cl->sel, co->buf + start);
	co->st.samples++;
	if (start && start + w > co->c->batch.max_bytes) {
		/* the batch is full without this one: it goes, this one opens
		 * the next */
		emit(co, start);
		memmove(co->buf, co->buf + start, w);
		start = 0;
	}
	if (!start)
		co->batch_due = now + (uint64_t)co->c->batch.max_ms * 1000000u;
	co->len = start + w;
	if (co->len > co->c->batch.max_bytes) {
		/* one sample longer than a batch: alone */
		emit(co, co->len);
		co->len = 0;
		co->batch_due = 0;
	}
}

/* A kept frame (cf_buf) as the record it came in. */
static void rec_of(struct upl_coll *co, struct clog_rec *rec, struct cf_buf *b, unsigned int ifidx,
		   uint8_t digits)
{
	memset(rec, 0, sizeof(*rec));
	rec->f = *cf_buf_view(b);
	rec->ifname = co->c->ifs[ifidx];
	rec->ifname_len = strlen(rec->ifname);
	rec->ts_digits = digits;
}

static inline uint64_t ms_ns(uint32_t ms)
{
	return (uint64_t)ms * 1000000u;
}

/* Is entry k's window open at time at? */
static inline int collecting(const struct upl_coll *co, size_t k, uint64_t at)
{
	const struct cond *cd = &co->conds[k];

	return !co->c->collect[k].nops || cd->on || (cd->in_after && at <= cd->after_until);
}

/* Entry k's history: drops what is older than before_ms at time at. */
static void hist_prune(struct upl_coll *co, size_t k, uint64_t at)
{
	const struct upl_collect *cl = &co->c->collect[k];
	struct cond *cd = &co->conds[k];

	while (cd->n && cd->ring[cd->head].at + ms_ns(cl->before_ms) < at) {
		co->st.outside++;
		cd->head = cd->head + 1 == cl->hist ? 0 : cd->head + 1;
		cd->n--;
	}
}

static void hist_push(struct upl_coll *co, size_t k, const struct clog_rec *rec, unsigned int ifidx,
		      uint64_t at)
{
	const struct upl_collect *cl = &co->c->collect[k];
	struct cond *cd = &co->conds[k];
	struct hist *h;

	hist_prune(co, k, at);
	if (cd->n == cl->hist) {
		/* more frames than the bound: the oldest goes, counted */
		co->st.overrun++;
		cd->head = cd->head + 1 == cl->hist ? 0 : cd->head + 1;
		cd->n--;
	}
	h = &cd->ring[(cd->head + cd->n) % cl->hist];
	cf_buf_set(&h->f, &rec->f);
	h->at = at;
	h->ifidx = (uint8_t)ifidx;
	h->digits = rec->ts_digits;
	cd->n++;
}

/*
 * A sample of entry k (rec, decoded into co->vals) made at time at: into
 * the open batch if its window is open, else into its history or nowhere.
 * Returns 1 if it went into the batch.
 */
static int offer(struct upl_coll *co, size_t k, const struct clog_rec *rec, unsigned int rflags,
		 unsigned int ifidx, uint64_t at, uint64_t now)
{
	if (collecting(co, k, at)) {
		sample(co, k, rec, rflags, now);
		return 1;
	}
	if (co->c->collect[k].before_ms)
		hist_push(co, k, rec, ifidx, at);
	else
		co->st.outside++;
	return 0;
}

static void held_sample(struct upl_coll *co, size_t k, unsigned int ifidx, struct slot *s,
			uint64_t at, uint64_t now)
{
	struct clog_rec rec;
	unsigned int rflags = 0;

	rec_of(co, &rec, &s->held, ifidx, s->digits);
	dbc_decode(co->c->collect[k].msg, &rec.f, 0, co->vals, &rflags);
	offer(co, k, &rec, rflags, ifidx, at, now);
	s->has = 0;
}

/* The condition rose at now: entry k's history of the last before_ms goes
 * into the batch, in the order it was made. */
static void hist_release(struct upl_coll *co, size_t k, uint64_t now)
{
	const struct upl_collect *cl = &co->c->collect[k];
	struct cond *cd = &co->conds[k];
	struct clog_rec rec;
	unsigned int rflags;

	hist_prune(co, k, now);
	for (; cd->n; cd->n--) {
		struct hist *h = &cd->ring[cd->head];

		rec_of(co, &rec, &h->f, h->ifidx, h->digits);
		rflags = 0;
		dbc_decode(cl->msg, &rec.f, 0, co->vals, &rflags);
		sample(co, k, &rec, rflags, now);
		cd->head = cd->head + 1 == cl->hist ? 0 : cd->head + 1;
	}
}

/* Runs entry cl's program on the latest values. */
static int cond_value(const struct upl_coll *co, const struct upl_collect *cl)
{
	uint64_t st = 0; /* the stack, top at bit 0; nops <= 64 */
	unsigned int i;

	for (i = 0; i < cl->nops; i++) {
		const struct upl_op *o = &cl->ops[i];
		uint32_t v;
		double x;
		int b = 0;

		switch (o->op) {
		case UPL_OP_NOT:
			st ^= 1;
			continue;
		case UPL_OP_AND:
			st = (st >> 2) << 1 | ((st & (st >> 1)) & 1);
			continue;
		case UPL_OP_OR:
			st = (st >> 2) << 1 | ((st | (st >> 1)) & 1);
			continue;
		default:
			break;
		}
		v = co->first[o->msg] + o->sig;
		x = co->val[v];
		if (co->vpres[v]) {
			switch (o->op) {
			case UPL_OP_LT:
				b = x < o->num;
				break;
			case UPL_OP_LE:
				b = x <= o->num;
				break;
			case UPL_OP_GT:
				b = x > o->num;
				break;
			case UPL_OP_GE:
				b = x >= o->num;
				break;
			case UPL_OP_EQ:
				b = x == o->num;
				break;
			default:
				b = x != o->num;
				break;
			}
		}
		st = st << 1 | (uint64_t)b;
	}
	return (int)(st & 1);
}

/* Entry k's condition again, after a frame at now changed its values. */
static void cond_update(struct upl_coll *co, size_t k, uint64_t now)
{
	const struct upl_collect *cl = &co->c->collect[k];
	struct cond *cd = &co->conds[k];
	int v = cond_value(co, cl), open = collecting(co, k, now);
	unsigned int i;

	if (v == cd->on)
		return;
	cd->on = (uint8_t)v;
	cd->in_after = 0;
	if (!v) {
		cd->after_until = now + ms_ns(cl->after_ms);
		cd->in_after = cl->after_ms > 0;
		return;
	}
	co->st.triggers++;
	if (open)
		return; /* still in the last window's after_ms: it goes on */
	/* a new window: on_change starts it with a full sample */
	for (i = 0; cl->mode == UPL_ON_CHANGE && i < co->c->nifs; i++)
		slot_of(co, k, i)->seen = 0;
	hist_release(co, k, now);
}

/* A frame of message m that when: conditions name: its values, then those
 * conditions. */
static void watch(struct upl_coll *co, const struct dbc_message *m, const struct cf_frame *f,
		  uint64_t now)
{
	size_t mi = (size_t)(m - co->c->db->msgs);
	uint32_t base = co->first[mi], j;
	unsigned int i;

	dbc_decode(m, f, 0, co->vals, NULL);
	for (i = 0; i < m->nsigs; i++) {
		co->vpres[base + i] = co->vals[i].present;
		co->val[base + i] = co->vals[i].present ? co->vals[i].phys : 0;
	}
	for (j = co->dep_first[mi]; j < co->dep_first[mi + 1]; j++)
		cond_update(co, co->dep[j], now);
}

/* The when: tables: values of every DBC signal, the entries each message
 * drives, the rings.  *maxs grows to the widest message decoded. */
static int when_init(struct upl_coll *co, unsigned int *maxs)
{
	const struct upl_conf *c = co->c;
	const struct dbc_db *db = c->db;
	size_t k, nhist = 0, ndep = 0;
	uint32_t nsig = 0, i, j;

	co->conds = calloc(c->ncollect + 1, sizeof(*co->conds));
	co->first = calloc(db->nmsgs + 1, sizeof(*co->first));
	co->dep_first = calloc(db->nmsgs + 2, sizeof(*co->dep_first));
	if (!co->conds || !co->first || !co->dep_first)
		return -ENOMEM;
	for (i = 0; i < db->nmsgs; i++) {
		co->first[i] = nsig;
		nsig += db->msgs[i].nsigs;
	}
	/* count the entries per message (once per entry), then place them */
	for (k = 0; k < c->ncollect; k++) {
		const struct upl_collect *cl = &c->collect[k];

		nhist += cl->hist;
		for (j = 0; j < cl->nops; j++) {
			uint32_t m = cl->ops[j].msg, q;

			if (cl->ops[j].op > UPL_OP_NE)
				continue;
			for (q = 0; q < j; q++)
				if (cl->ops[q].op <= UPL_OP_NE && cl->ops[q].msg == m)
					break;
			if (q < j)
				continue;
			co->dep_first[m + 2]++;
			ndep++;
			if (db->msgs[m].nsigs > *maxs)
				*maxs = db->msgs[m].nsigs;
		}
	}
	for (i = 0; i < db->nmsgs; i++)
		co->dep_first[i + 2] += co->dep_first[i + 1];
	co->dep = calloc(ndep + 1, sizeof(*co->dep));
	co->val = calloc(nsig + 1, sizeof(*co->val));
	co->vpres = calloc(nsig + 1, 1);
	co->hists = calloc(nhist + 1, sizeof(*co->hists));
	if (!co->dep || !co->val || !co->vpres || !co->hists)
		return -ENOMEM;
	nhist = 0;
	for (k = 0; k < c->ncollect; k++) {
		const struct upl_collect *cl = &c->collect[k];

		co->conds[k].ring = co->hists + nhist;
		nhist += cl->hist;
		for (j = 0; j < cl->nops; j++) {
			uint32_t m = cl->ops[j].msg, q;

			if (cl->ops[j].op > UPL_OP_NE)
				continue;
			for (q = 0; q < j; q++)
				if (cl->ops[q].op <= UPL_OP_NE && cl->ops[q].msg == m)
					break;
			if (q == j)
				co->dep[co->dep_first[m + 1]++] = (uint32_t)k;
		}
	}
	/* dep_first[m + 1] now ends message m's range, as it should */
	return 0;
}

static inline uint64_t interval_end(uint64_t now, uint32_t every_ms)
{
	uint64_t p = (uint64_t)every_ms * 1000000u;

	return (now / p + 1) * p;
}

void upl_coll_tick(struct upl_coll *co, uint64_t now)
{
	const struct upl_conf *c = co->c;
	size_t k;
	unsigned int i;

	if (now >= co->next_due) {
		co->next_due = UINT64_MAX;
		for (k = 0; k < c->ncollect; k++) {
			if (c->collect[k].mode != UPL_EVERY_MS)
				continue;
			for (i = 0; i < c->nifs; i++) {
				struct slot *s = slot_of(co, k, i);

				if (!s->has)
					continue;
				if (now >= s->due) {
					held_sample(co, k, i, s, s->due, now);
					s->due = interval_end(now, c->collect[k].every_ms);
				} else if (s->due < co->next_due) {
					co->next_due = s->due;
				}
			}
		}
	}
	if (co->batch_due && now >= co->batch_due) {
		emit(co, co->len);
		co->len = 0;
		co->batch_due = 0;
	}
}

uint64_t upl_coll_deadline(const struct upl_coll *co)
{
	uint64_t d = co->next_due;

	if (co->batch_due && co->batch_due < d)
		d = co->batch_due;
	return d;
}

/* on_change: do the selected signals differ from the last sample's? */
static int changed(const struct upl_collect *cl, struct slot *s, const struct dbc_value *v)
{
	unsigned int i;
	int ch = !s->seen;

	for (i = 0; i < cl->msg->nsigs; i++) {
		if (!cl->sel[i])
			continue;
		if (v[i].present != s->lastp[i] || (v[i].present && v[i].raw.u != s->last[i]))
			ch = 1;
		s->lastp[i] = v[i].present;
		s->last[i] = v[i].present ? v[i].raw.u : 0;
	}
	s->seen = 1;
	return ch;
}

int upl_coll_frame(struct upl_coll *co, const struct clog_rec *rec, unsigned int ifidx,
		   uint64_t now)
{
	const struct upl_conf *c = co->c;
	const struct dbc_message *m;
	const struct upl_collect *cl;
	unsigned int rflags = 0;
	struct slot *s;
	int k;

	upl_coll_tick(co, now);
	co->st.frames++;
	m = ifidx < c->nifs ? dbc_lookup(c->db, &rec->f) : NULL;
	if (m && co->dep_first[m - c->db->msgs] != co->dep_first[m - c->db->msgs + 1])
		watch(co, m, &rec->f, now);
	k = m ? co->by_msg[m - c->db->msgs] : -1;
	if (k < 0) {
		co->st.ignored++;
		return 0;
	}
	cl = &c->collect[k];
	s = slot_of(co, (size_t)k, ifidx);
	switch (cl->mode) {
	case UPL_EVERY_MS:
		if (!s->due || now >= s->due)
			s->due = interval_end(now, cl->every_ms);
		if (s->has)
			co->st.replaced++;
		cf_buf_set(&s->held, &rec->f);
		s->digits = rec->ts_digits;
		s->has = 1;
		if (s->due < co->next_due)
			co->next_due = s->due;
		return 0;
	case UPL_ON_CHANGE:
		dbc_decode(m, &rec->f, 0, co->vals, &rflags);
		if (!changed(cl, s, co->vals)) {
			co->st.unchanged++;
			return 0;
		}
		break;
	default:
		dbc_decode(m, &rec->f, 0, co->vals, &rflags);
		break;
	}
	return offer(co, (size_t)k, rec, rflags, ifidx, now, now);
}

void upl_coll_flush(struct upl_coll *co, uint64_t now)
{
	const struct upl_conf *c = co->c;
	size_t k;
	unsigned int i;

	for (k = 0; k < c->ncollect; k++)
		for (i = 0; c->collect[k].mode == UPL_EVERY_MS && i < c->nifs; i++)
			if (slot_of(co, k, i)->has)
				held_sample(co, k, i, slot_of(co, k, i), now, now);
	for (k = 0; k < c->ncollect; k++) {
		/* history no window opened for: never sent */
		co->st.outside += co->conds[k].n;
		co->conds[k].n = 0;
	}
	co->next_due = UINT64_MAX;
	if (co->len)
		emit(co, co->len);
	co->len = 0;
	co->batch_due = 0;
}

void upl_coll_stats(const struct upl_coll *co, struct upl_coll_stats *st)
{
	*st = co->st;
}
