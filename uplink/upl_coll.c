/* SPDX-License-Identifier: MIT */
/*
 * upl_coll.c - the uplink's collection engine (upl_coll.h).
 *
 * Everything is sized at upl_coll_new(): one state slot per collect entry
 * and interface, the open batch's buffer (max_bytes plus the longest
 * sample), the decode scratch.  Samples are written straight into the
 * batch buffer by dbc_json_sample(), the same printer as canrig dbc decode
 * --json.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

struct upl_coll {
	const struct upl_conf *c;
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
	free(co->by_msg);
	free(co->slots);
	free(co->raws);
	free(co->pres);
	free(co->vals);
	free(co->buf);
	free(co);
}

static void emit(struct upl_coll *co, size_t n)
{
	co->fn(co->ctx, co->buf, n);
	co->st.batches++;
	co->st.bytes += n;
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

static void held_sample(struct upl_coll *co, size_t k, unsigned int ifidx, struct slot *s,
			uint64_t now)
{
	struct clog_rec rec;
	unsigned int rflags = 0;

	memset(&rec, 0, sizeof(rec));
	rec.f = *cf_buf_view(&s->held);
	rec.ifname = co->c->ifs[ifidx];
	rec.ifname_len = strlen(rec.ifname);
	rec.ts_digits = s->digits;
	dbc_decode(co->c->collect[k].msg, &rec.f, 0, co->vals, &rflags);
	sample(co, k, &rec, rflags, now);
	s->has = 0;
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
					held_sample(co, k, i, s, now);
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
	sample(co, (size_t)k, rec, rflags, now);
	return 1;
}

void upl_coll_flush(struct upl_coll *co, uint64_t now)
{
	const struct upl_conf *c = co->c;
	size_t k;
	unsigned int i;

	for (k = 0; k < c->ncollect; k++)
		for (i = 0; c->collect[k].mode == UPL_EVERY_MS && i < c->nifs; i++)
			if (slot_of(co, k, i)->has)
				held_sample(co, k, i, slot_of(co, k, i), now);
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
