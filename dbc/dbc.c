/* SPDX-License-Identifier: MIT */
/*
 * dbc.c - compiled signal plans, decode/encode, lookups, value formatting
 * and the linter.
 *
 * A signal's bits are compiled once into at most nine byte steps, so
 * decoding is a short loop of shifts and masks with no per-bit work and no
 * shift by 64 or more.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf.h"
#include "dbc_priv.h"

/* Frame bit (byte*8 + bit-in-byte) of signal bit j (0 = LSB). */
static unsigned int bit_of(const struct dbc_signal *s, unsigned int j)
{
	unsigned int byte, bit, k;

	if (!s->big_endian)
		return s->start + j;
	/* Motorola: start is the MSB, numbered as the "sawtooth": walking
	 * towards the LSB goes down a byte's bits, then to the next byte's
	 * bit 7 */
	k = s->size - 1 - j; /* steps from the MSB */
	byte = s->start / 8;
	bit = s->start % 8;
	if (k <= bit)
		return byte * 8 + bit - k;
	k -= bit + 1;
	return (byte + 1 + k / 8) * 8 + 7 - k % 8;
}

int dbc_compile_signal(struct dbc_signal *s)
{
	unsigned int j = 0;

	s->nsteps = 0;
	s->last_byte = 0;
	while (j < s->size) {
		unsigned int fb = bit_of(s, j), byte = fb / 8, lo = fb % 8;
		unsigned int n = 1;
		struct dbc_step *st;

		if (byte >= CF_MAX_LEN || s->nsteps >= 9)
			return -EINVAL;
		/* extend the run while the next signal bit is the next higher
		 * bit of the same byte */
		while (j + n < s->size && bit_of(s, j + n) == fb + n && (fb + n) / 8 == byte)
			n++;
		st = &s->steps[s->nsteps++];
		st->byte = (uint8_t)byte;
		st->rshift = (uint8_t)lo;
		st->mask = (uint8_t)((1u << n) - 1);
		st->lshift = (uint8_t)j;
		if (byte > s->last_byte)
			s->last_byte = (uint8_t)byte;
		j += n;
	}
	return 0;
}

static inline uint64_t extract(const struct dbc_signal *s, const uint8_t *d)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < s->nsteps; i++) {
		const struct dbc_step *st = &s->steps[i];

		v |= (uint64_t)((d[st->byte] >> st->rshift) & st->mask) << st->lshift;
	}
	return v;
}

uint64_t dbc_extract(const struct dbc_signal *s, const uint8_t *data, unsigned int len)
{
	if (!data || s->last_byte >= len)
		return 0;
	return extract(s, data);
}

void dbc_insert(const struct dbc_signal *s, uint8_t *data, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < s->nsteps; i++) {
		const struct dbc_step *st = &s->steps[i];
		uint8_t m = (uint8_t)(st->mask << st->rshift);

		data[st->byte] = (uint8_t)((data[st->byte] & ~m) |
					   (((v >> st->lshift) & st->mask) << st->rshift));
	}
}

static inline uint64_t sext(const struct dbc_signal *s, uint64_t v)
{
	if (s->is_signed && s->size < 64 && (v >> (s->size - 1)) & 1)
		v |= ~(uint64_t)0 << s->size;
	return v;
}

static inline double phys_of(const struct dbc_signal *s, uint64_t v)
{
	double x;

	switch (s->kind) {
	case DBC_FLOAT32: {
		uint32_t u = (uint32_t)v;
		float f;

		memcpy(&f, &u, sizeof(f));
		x = f;
		break;
	}
	case DBC_FLOAT64:
		memcpy(&x, &v, sizeof(x));
		break;
	default:
		x = s->is_signed ? (double)(int64_t)v : (double)v;
		break;
	}
	return x * s->scale + s->offset;
}

double dbc_phys(const struct dbc_signal *s, uint64_t v)
{
	return phys_of(s, s->kind == DBC_INT ? sext(s, v) : v);
}

int dbc_choice_find(const struct dbc_signal *s, uint64_t v)
{
	int64_t key = (int64_t)(s->kind == DBC_INT ? sext(s, v) : v);
	unsigned int lo = 0, hi = s->nchoices;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (s->choices[mid].value == key)
			return (int)mid;
		if (s->choices[mid].value < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

const char *dbc_label(const struct dbc_signal *s, uint64_t v)
{
	int i = dbc_choice_find(s, v);

	return i < 0 ? NULL : s->choices[i].label;
}

static int in_ranges(const struct dbc_signal *s, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < s->nranges; i++)
		if (v >= s->ranges[i].lo && v <= s->ranges[i].hi)
			return 1;
	return 0;
}

unsigned int dbc_decode(const struct dbc_message *m, const struct cf_frame *f, unsigned int opts,
			struct dbc_value *vals, unsigned int *rflags)
{
	unsigned int k, n = 0, len = f->data ? f->len : 0;

	if (f->flags & CF_RTR)
		len = 0;
	if (rflags)
		*rflags = len < m->length ? DBC_TRUNCATED : 0;
	for (k = 0; k < m->nsigs; k++) {
		unsigned int i = m->order[k];
		const struct dbc_signal *s = &m->sigs[i];
		struct dbc_value *v = &vals[i];
		uint64_t raw;

		v->present = 0;
		v->label = NULL;
		if (s->last_byte >= len)
			continue;
		if (s->selector) {
			const struct dbc_value *sv = &vals[s->selector->index];

			if (!sv->present || !in_ranges(s, sv->raw.u))
				continue;
		}
		raw = extract(s, f->data);
		if (s->kind == DBC_INT)
			raw = sext(s, raw);
		v->raw.u = raw;
		v->phys = phys_of(s, raw);
		if ((opts & DBC_DEC_LABELS) && s->nchoices)
			v->label = dbc_label(s, raw);
		v->present = 1;
		n++;
	}
	return n;
}

int dbc_to_raw(const struct dbc_signal *s, double phys, uint64_t *raw)
{
	double r;

	if (isnan(phys))
		return -EDOM;
	if ((s->min != 0 || s->max != 0) && s->min <= s->max && (phys < s->min || phys > s->max))
		return -ERANGE;
	r = (phys - s->offset) / s->scale;
	if (s->kind == DBC_FLOAT32) {
		float f = (float)r;
		uint32_t u;

		if (isinf(f) && !isinf(r))
			return -ERANGE;
		memcpy(&u, &f, sizeof(u));
		*raw = u;
		return 0;
	}
	if (s->kind == DBC_FLOAT64) {
		memcpy(raw, &r, sizeof(r));
		return 0;
	}
	/*
	 * Ties to even, as Python's round() in cantools, whose encoding we
	 * claim to match.  round() takes ties away from zero; r - round(r) is
	 * exact here, and r / 2 is exact, so the tie case costs no precision.
	 */
	if (fabs(r - round(r)) == 0.5)
		r = 2.0 * round(r / 2.0);
	else
		r = round(r);
	if (s->is_signed) {
		double lim = ldexp(1.0, s->size - 1);

		if (r < -lim || r >= lim)
			return -ERANGE;
		*raw = (uint64_t)(int64_t)r;
		if (s->size < 64)
			*raw &= ((uint64_t)1 << s->size) - 1;
	} else {
		if (r < 0 || r >= ldexp(1.0, s->size))
			return -ERANGE;
		*raw = (uint64_t)r;
	}
	return 0;
}

int dbc_encode(const struct dbc_message *m, const uint64_t *raw, const uint8_t *set, uint8_t *buf,
	       struct cf_frame *f, unsigned int *bad)
{
	uint64_t *v;
	uint8_t *fixed;
	unsigned int i, k;
	int ret = 0;

	v = calloc(m->nsigs + 1, sizeof(*v));
	fixed = calloc(m->nsigs + 1, 1);
	if (!v || !fixed) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_signal *s = &m->sigs[i];

		if (set[i]) {
			v[i] = raw[i];
			fixed[i] = 1;
		} else if (s->kind == DBC_INT) {
			double r = s->start_raw;

			/* a start value is a double from the file: out of
			 * range or NaN starts at 0 rather than being UB */
			if (!(r > -9.2e18 && r < 1.8e19))
				r = 0;
			v[i] = r < 0 ? (uint64_t)(int64_t)r : (uint64_t)r;
			if (s->size < 64)
				v[i] &= ((uint64_t)1 << s->size) - 1;
		} else {
			uint64_t u;

			if (s->kind == DBC_FLOAT32) {
				float fl = (float)s->start_raw;
				uint32_t w;

				memcpy(&w, &fl, sizeof(w));
				u = w;
			} else {
				memcpy(&u, &s->start_raw, sizeof(u));
			}
			v[i] = u;
		}
	}
	/* a given signal pins its selectors to a value that activates it */
	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_signal *s = &m->sigs[i];

		if (!set[i])
			continue;
		for (k = 0; s->selector && k <= m->nsigs; k++) {
			unsigned int si = s->selector->index;

			if (fixed[si]) {
				if (!in_ranges(s, v[si])) {
					if (bad)
						*bad = i;
					ret = -EINVAL;
					goto out;
				}
			} else {
				v[si] = s->ranges[0].lo;
				fixed[si] = 1;
			}
			s = s->selector;
		}
	}
	memset(buf, 0, CF_MAX_LEN);
	for (k = 0; k < m->nsigs; k++) {
		const struct dbc_signal *s = &m->sigs[m->order[k]];
		const struct dbc_signal *c = s;
		int active = 1;

		for (i = 0; c->selector && i <= m->nsigs; i++) {
			if (!in_ranges(c, v[c->selector->index] &
						  (c->selector->size < 64
							   ? ((uint64_t)1 << c->selector->size) - 1
							   : ~(uint64_t)0))) {
				active = 0;
				break;
			}
			c = c->selector;
		}
		if (active && s->last_byte < m->length)
			dbc_insert(s, buf, v[s->index]);
	}
	memset(f, 0, sizeof(*f));
	f->id = m->id;
	f->data = buf;
	f->len = (uint8_t)m->length;
	if (m->ext)
		f->flags |= CF_EFF;
	if (m->fd) {
		f->flags |= CF_FD;
		f->len = (uint8_t)cf_dlc2len(cf_len2dlc(m->length));
		if (m->brs)
			f->flags |= CF_BRS;
	}
out:
	free(v);
	free(fixed);
	return ret;
}

/* ---- lookups */

uint32_t dbc_j1939_pgn(uint32_t id)
{
	uint32_t pgn = (id >> 8) & 0x3FFFF;

	if (((pgn >> 8) & 0xFF) < 240)
		pgn &= 0x3FF00;
	return pgn;
}

const struct dbc_message *dbc_find_id(const struct dbc_db *db, uint32_t id, int ext)
{
	uint64_t key = id | ((uint64_t)(ext ? 1 : 0) << 31);
	uint64_t h = dbc_hash_u64(key);
	uint32_t it = 0;
	long i, found = -1;

	/* the last of duplicated ids wins */
	while ((i = dbc_htab_next(&db->priv->by_id, h, &it)) >= 0)
		if (db->msgs[i].id == id && db->msgs[i].ext == !!ext && i > found)
			found = i;
	return found < 0 ? NULL : &db->msgs[found];
}

const struct dbc_message *dbc_lookup(const struct dbc_db *db, const struct cf_frame *f)
{
	const struct dbc_message *m;

	if (f->flags & (CF_ERR | CF_RTR))
		return NULL;
	m = dbc_find_id(db, f->id, f->flags & CF_EFF);
	if (!m && (db->flags & DBC_J1939) && (f->flags & CF_EFF)) {
		uint32_t pgn = dbc_j1939_pgn(f->id), it = 0;
		long i;

		while ((i = dbc_htab_next(&db->priv->by_pgn, dbc_hash_u64(pgn), &it)) >= 0)
			if (dbc_j1939_pgn(db->msgs[i].id) == pgn)
				return &db->msgs[i];
	}
	return m;
}

const struct dbc_message *dbc_find_msg_exact(const struct dbc_db *db, const char *name)
{
	uint64_t h = dbc_hash_bytes(name, strlen(name), 3);
	uint32_t it = 0;
	long i;

	while ((i = dbc_htab_next(&db->priv->by_name, h, &it)) >= 0)
		if (!strcmp(db->msgs[i].name, name))
			return &db->msgs[i];
	return NULL;
}

const struct dbc_message *dbc_find_msg(const struct dbc_db *db, const char *name)
{
	const struct dbc_message *m = dbc_find_msg_exact(db, name);
	unsigned int k;

	if (m)
		return m;
	/* long names (SystemMessageLongSymbol) are rare: a scan will do */
	for (k = 0; k < db->nmsgs; k++)
		if (db->msgs[k].long_name != db->msgs[k].name &&
		    !strcmp(db->msgs[k].long_name, name))
			return &db->msgs[k];
	return NULL;
}

const struct dbc_signal *dbc_find_sig(const struct dbc_message *m, const char *name)
{
	unsigned int i;

	for (i = 0; i < m->nsigs; i++)
		if (!strcmp(m->sigs[i].name, name))
			return &m->sigs[i];
	for (i = 0; i < m->nsigs; i++)
		if (!strcmp(m->sigs[i].long_name, name))
			return &m->sigs[i];
	return NULL;
}

int dbc_attr(const struct dbc_db *db, enum dbc_obj kind, const void *obj, const char *name,
	     double *num, const char **str)
{
	const struct dbc_priv *pv = db->priv;
	uint64_t h = dbc_hash_bytes(name, strlen(name), 2);
	uint32_t it = 0, idx = 0;
	long di = -1, i;
	const struct dbc_attr_def *d;
	const struct dbc_attrval *best = NULL;

	while ((i = dbc_htab_next(&pv->def_by_name, h, &it)) >= 0)
		if (!strcmp(db->attr_defs[i].name, name) && i > di)
			di = i;
	if (di < 0)
		return 0;
	d = &db->attr_defs[di];
	switch (kind) {
	case DBC_OBJ_NODE:
		idx = (uint32_t)((const struct dbc_node *)obj - db->nodes);
		break;
	case DBC_OBJ_MSG:
		idx = (uint32_t)((const struct dbc_message *)obj - db->msgs);
		break;
	case DBC_OBJ_SIG:
		idx = (uint32_t)((const struct dbc_signal *)obj - pv->sigs);
		break;
	default:
		break;
	}
	{
		uint64_t key = ((uint64_t)di << 36) ^ ((uint64_t)kind << 32) ^ idx;

		it = 0;
		while ((i = dbc_htab_next(&pv->attr_by_obj, dbc_hash_u64(key), &it)) >= 0) {
			const struct dbc_attrval *v = &pv->vals[i];

			/* the last assignment wins */
			if (v->def == (uint32_t)di && v->kind == kind && v->obj == idx &&
			    (!best || v > best))
				best = v;
		}
	}
	if (best) {
		if (num)
			*num = best->num;
		if (str) {
			*str = best->is_str && d->type != DBC_AT_ENUM ? best->str : NULL;
			if (d->type == DBC_AT_ENUM && best->num >= 0 && best->num < d->nenums)
				*str = d->enums[(unsigned int)best->num];
			else if (d->type == DBC_AT_ENUM && best->is_str)
				*str = best->str;
		}
		return 1;
	}
	if (!d->has_default)
		return 0;
	if (num)
		*num = d->def_num;
	if (str) {
		*str = d->def_str;
		if (d->type == DBC_AT_ENUM && !d->def_str && d->def_num >= 0 &&
		    d->def_num < d->nenums)
			*str = d->enums[(unsigned int)d->def_num];
	}
	return 1;
}

void dbc_free(struct dbc_db *db)
{
	struct dbc_priv *pv;

	if (!db)
		return;
	pv = db->priv;
	if (pv) {
		struct dbc_chunk *c = pv->arena;

		dbc_big_free(db->msgs, pv->msgs_map);
		dbc_big_free(db->nodes, pv->nodes_map);
		dbc_big_free(db->attr_defs, pv->defs_map);
		dbc_big_free(pv->sigs, pv->sigs_map);
		free(pv->choices);
		free(pv->ranges);
		dbc_big_free(pv->strs, pv->strs_map);
		dbc_big_free(pv->recv, pv->recv_map);
		free(pv->order);
		dbc_big_free(pv->vals, pv->vals_map);
		dbc_htab_fini(&pv->by_id);
		dbc_htab_fini(&pv->by_pgn);
		dbc_htab_fini(&pv->by_name);
		dbc_htab_fini(&pv->attr_by_obj);
		dbc_htab_fini(&pv->def_by_name);
		dbc_arena_free(c);
		free(pv);
	}
	free(db);
}

/* ---- number formatting */

/* The library's one decimal writer, NUL-terminated for these callers. */
static size_t put_u64(uint64_t v, char *out)
{
	char *e = cf_put_dec(out, v, 0, 0);

	*e = 0;
	return (size_t)(e - out);
}

static size_t put_i64(int64_t v, char *out)
{
	if (v < 0) {
		out[0] = '-';
		return 1 + put_u64((uint64_t)0 - (uint64_t)v, out + 1);
	}
	return put_u64((uint64_t)v, out);
}

typedef unsigned __int128 u128;

/*
 * Shortest decimal that reads back as d, in fixed notation, for
 * 1e-4 <= |d| < 1e16 (where Python's repr uses fixed notation too).
 * d = m * 2^e; every number strictly inside half an ulp either side reads
 * back as d (the bounds too when m is even, as strtod rounds half to even).
 * For k = 0, 1, ... decimals, look for an integer N with N / 10^k in that
 * interval, all in exact 128-bit integer arithmetic scaled by 2^(2-e).
 * Returns the length, or 0 when d is outside the range handled here.
 */
static const u128 p10[22] = {
	1ull,
	10ull,
	100ull,
	1000ull,
	10000ull,
	100000ull,
	1000000ull,
	10000000ull,
	100000000ull,
	1000000000ull,
	10000000000ull,
	100000000000ull,
	1000000000000ull,
	10000000000000ull,
	100000000000000ull,
	1000000000000000ull,
	10000000000000000ull,
	100000000000000000ull,
	1000000000000000000ull,
	10000000000000000000ull,
	(u128)10000000000000000000ull * 10,
	(u128)10000000000000000000ull * 100,
};

/* Candidates with k decimals: [*nlo, *nhi]; empty when *nlo > *nhi. */
static void cand(u128 lo, u128 hi, int sh, int incl, int k, u128 *nlo, u128 *nhi)
{
	u128 l = lo * p10[k], h = hi * p10[k], one = (u128)1 << sh;

	*nlo = incl ? (l + one - 1) >> sh : (l >> sh) + 1;
	*nhi = incl ? h >> sh : (h - 1) >> sh;
}

static size_t shortest_fixed(double d, char *out)
{
	double a = fabs(d);
	uint64_t m;
	int ex, e, sh, k, kl, kh, incl;
	u128 lo, hi, nlo, nhi, n, x, rem, one;
	char digs[48];
	size_t nd = 0, o = 0, i;

	if (!(a >= 1e-4 && a < 1e16))
		return 0;
	/* one to three decimals (12.5, 0.35): cheap, and exact because
	 * the division is correctly rounded; here a * 10^k is so far from
	 * a half-integer that round() finds the candidate if there is one */
	if (a < 1e9) {
		static const double pk[4] = {1, 10, 100, 1000};

		for (k = 1; k <= 3; k++) {
			double r = round(a * pk[k]);

			if (r / pk[k] == a) {
				n = (u128)r;
				goto print;
			}
		}
	}
	{
		uint64_t bits;

		memcpy(&bits, &a, sizeof(bits));
		ex = (int)(bits >> 52);
		m = (bits & (((uint64_t)1 << 52) - 1)) | ((uint64_t)1 << 52);
		e = ex - 1075; /* normal numbers only: a >= 1e-4 */
	}
	if (e >= 0)
		return 0;
	sh = 2 - e;
	one = (u128)1 << sh;
	/* the gap below a power of two is half the one above */
	lo = (u128)4 * m - (m == (uint64_t)1 << 52 ? 1 : 2);
	hi = (u128)4 * m + 2;
	incl = !(m & 1);
	/* a candidate with k decimals gives one with k+1 (append a zero):
	 * binary search for the fewest; 21 always has one at this range */
	kl = 0;
	kh = 21;
	while (kl < kh) {
		k = (kl + kh) / 2;
		cand(lo, hi, sh, incl, k, &nlo, &nhi);
		if (nlo <= nhi)
			kh = k;
		else
			kl = k + 1;
	}
	k = kl;
	cand(lo, hi, sh, incl, k, &nlo, &nhi);
	/* of several candidates, the one nearest d; ties to even */
	x = (u128)4 * m * p10[k];
	n = x >> sh;
	rem = x - (n << sh);
	if (rem > (one >> 1) || (rem == (one >> 1) && (n & 1)))
		n++;
	if (n < nlo)
		n = nlo;
	if (n > nhi)
		n = nhi;
print:
	/* at most 17 significant digits: N fits 64 bits, and 64-bit
	 * division by 10 is much cheaper than 128-bit */
	{
		uint64_t v = (uint64_t)n;

		do {
			digs[nd++] = (char)('0' + (int)(v % 10));
			v /= 10;
		} while (v);
	}
	if (d < 0)
		out[o++] = '-';
	if (nd <= (size_t)k) {
		out[o++] = '0';
		out[o++] = '.';
		for (i = nd; i < (size_t)k; i++)
			out[o++] = '0';
		while (nd)
			out[o++] = digs[--nd];
	} else {
		while (nd > (size_t)k)
			out[o++] = digs[--nd];
		out[o++] = '.';
		if (!k)
			out[o++] = '0';
		while (nd)
			out[o++] = digs[--nd];
	}
	out[o] = 0;
	return o;
}

size_t dbc_fmt_double(double d, char *out)
{
	size_t n;
	int p;

	if (isnan(d))
		return (size_t)sprintf(out, "nan");
	if (isinf(d))
		return (size_t)sprintf(out, d < 0 ? "-inf" : "inf");
	if (d == 0)
		return (size_t)sprintf(out, signbit(d) ? "-0.0" : "0.0");
	if (fabs(d) < 1e16 && d == floor(d)) {
		n = put_i64((int64_t)d, out);
		out[n++] = '.';
		out[n++] = '0';
		out[n] = 0;
		return n;
	}
	n = shortest_fixed(d, out);
	if (n)
		return n;
	/* exponent notation, as Python's repr outside [1e-4, 1e16); the
	 * correctly rounded 15/16/17 digits, trailing zeros dropped */
	for (p = 15; p <= 17; p++) {
		char *e, *z;

		n = (size_t)snprintf(out, 40, "%.*e", p - 1, d);
		if (p < 17 && strtod(out, NULL) != d)
			continue;
		e = strchr(out, 'e');
		for (z = e; z[-1] == '0'; z--)
			;
		if (z[-1] == '.')
			z--;
		memmove(z, e, strlen(e) + 1);
		return strlen(out);
	}
	return n;
}

int dbc_is_integral(const struct dbc_signal *s)
{
	return s->integral;
}

size_t dbc_fmt_raw(const struct dbc_signal *s, const struct dbc_value *v, char *out)
{
	if (s->kind == DBC_FLOAT32) {
		uint32_t u = (uint32_t)v->raw.u;
		float f;

		memcpy(&f, &u, sizeof(f));
		return dbc_fmt_double(f, out);
	}
	if (s->kind == DBC_FLOAT64) {
		double d;

		memcpy(&d, &v->raw.u, sizeof(d));
		return dbc_fmt_double(d, out);
	}
	return s->is_signed ? put_i64(v->raw.i, out) : put_u64(v->raw.u, out);
}

size_t dbc_fmt_phys(const struct dbc_signal *s, const struct dbc_value *v, char *out)
{
	if (dbc_is_integral(s)) {
		int64_t sc = (int64_t)s->scale, of = (int64_t)s->offset, r;

		if (s->is_signed) {
			if (!__builtin_mul_overflow(v->raw.i, sc, &r) &&
			    !__builtin_add_overflow(r, of, &r))
				return put_i64(r, out);
		} else if (sc == 1 && of == 0) {
			return put_u64(v->raw.u, out);
		} else if (v->raw.u <= INT64_MAX &&
			   !__builtin_mul_overflow((int64_t)v->raw.u, sc, &r) &&
			   !__builtin_add_overflow(r, of, &r)) {
			return put_i64(r, out);
		}
		/* beyond int64: fall back to the double */
		{
			size_t n = dbc_fmt_double(v->phys, out);

			if (n >= 2 && !memcmp(out + n - 2, ".0", 2))
				out[n -= 2] = 0;
			return n;
		}
	}
	return dbc_fmt_double(v->phys, out);
}

/* ---- lint */

struct finding {
	dbc_warn_fn fn;
	void *ctx;
	const char *path;
	unsigned int n;
};

static void report(struct finding *fd, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct finding *fd, unsigned int line, const char *fmt, ...)
{
	char text[DBC_ERRMSG_MAX - 64], full[DBC_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s:%u: %s", fd->path, line, text);
	fd->n++;
	if (fd->fn)
		fd->fn(fd->ctx, full);
}

static int ranges_meet(const struct dbc_signal *a, const struct dbc_signal *b)
{
	unsigned int i, j;

	for (i = 0; i < a->nranges; i++)
		for (j = 0; j < b->nranges; j++)
			if (a->ranges[i].lo <= b->ranges[j].hi &&
			    b->ranges[j].lo <= a->ranges[i].hi)
				return 1;
	return 0;
}

/*
 * Can two signals be present in the same frame?  Not when, below the
 * first selector their chains share, they hang off disjoint values.
 */
static int may_coexist(const struct dbc_signal *a, const struct dbc_signal *b, unsigned int depth)
{
	const struct dbc_signal *x, *y;
	unsigned int i, j;

	for (x = a, i = 0; x->selector && i <= depth; x = x->selector, i++)
		for (y = b, j = 0; y->selector && j <= depth; y = y->selector, j++)
			if (x->selector == y->selector)
				return x == y || ranges_meet(x, y);
	return 1;
}

static void raw_span(const struct dbc_signal *s, double *lo, double *hi)
{
	double a, b;

	if (s->kind != DBC_INT) {
		*lo = -HUGE_VAL;
		*hi = HUGE_VAL;
		return;
	}
	if (s->is_signed) {
		a = -ldexp(1.0, s->size - 1);
		b = ldexp(1.0, s->size - 1) - 1;
	} else {
		a = 0;
		b = ldexp(1.0, s->size) - 1;
	}
	*lo = a;
	*hi = b;
}

unsigned int dbc_check(const struct dbc_db *db, dbc_warn_fn fn, void *ctx)
{
	struct finding fd = {fn, ctx, db->path, 0};
	unsigned int i, j, k;

	for (i = 0; i < db->nmsgs; i++) {
		const struct dbc_message *m = &db->msgs[i];
		const struct dbc_message *o = dbc_find_id(db, m->id, m->ext);
		const struct dbc_message *on = dbc_find_msg_exact(db, m->name);

		/* Vector's holder of unplaced signals is no frame */
		if (!strcmp(m->name, "VECTOR__INDEPENDENT_SIG_MSG"))
			continue;
		if (o && o != m)
			report(&fd, m->line,
			       "message %s: id 0x%X also used by "
			       "%s (line %u)",
			       m->name, m->id, o->name, o->line);
		if (on && on != m)
			report(&fd, m->line,
			       "message %s: name also used at "
			       "line %u",
			       m->name, on->line);
		for (j = 0; j < m->nsigs; j++) {
			const struct dbc_signal *s = &m->sigs[j];
			double lo, hi, plo, phi;

			if (s->last_byte >= m->length)
				report(&fd, s->line,
				       "signal %s.%s: ends in byte "
				       "%u, past the message length %u",
				       m->name, s->name, s->last_byte, m->length);
			for (k = 0; k < j; k++) {
				const struct dbc_signal *t = &m->sigs[k];
				unsigned int a, b;
				int clash = 0;

				if (!strcmp(t->name, s->name))
					report(&fd, s->line,
					       "signal %s.%s: "
					       "duplicate name",
					       m->name, s->name);
				if (!may_coexist(s, t, m->nsigs))
					continue;
				for (a = 0; a < s->nsteps && !clash; a++)
					for (b = 0; b < t->nsteps; b++)
						if (s->steps[a].byte == t->steps[b].byte &&
						    ((s->steps[a].mask << s->steps[a].rshift) &
						     (t->steps[b].mask << t->steps[b].rshift))) {
							clash = 1;
							break;
						}
				if (clash)
					report(&fd, s->line,
					       "signal %s.%s: "
					       "overlaps %s (line %u)",
					       m->name, s->name, t->name, t->line);
			}
			raw_span(s, &lo, &hi);
			plo = lo * s->scale + s->offset;
			phi = hi * s->scale + s->offset;
			if (plo > phi) {
				double t = plo;

				plo = phi;
				phi = t;
			}
			if ((s->min != 0 || s->max != 0) && s->kind == DBC_INT) {
				double tol = fabs(s->scale) / 2;

				if (s->min < plo - tol || s->max > phi + tol)
					report(&fd, s->line,
					       "signal %s.%s: "
					       "range [%g|%g] not reachable "
					       "from %u raw bits ([%g|%g])",
					       m->name, s->name, s->min, s->max, s->size, plo, phi);
				if (s->min > s->max)
					report(&fd, s->line,
					       "signal %s.%s: "
					       "minimum %g above maximum %g",
					       m->name, s->name, s->min, s->max);
			}
			for (k = 0; k < s->nchoices && s->kind == DBC_INT; k++) {
				double v = (double)s->choices[k].value;

				if (!s->is_signed && s->choices[k].value < 0 && s->size == 64)
					continue; /* a large unsigned value */
				if (v < lo || v > hi)
					report(&fd, s->choices_line ? s->choices_line : s->line,
					       "signal %s.%s: choice %lld "
					       "(\"%s\") cannot occur in %u "
					       "%s bits",
					       m->name, s->name, (long long)s->choices[k].value,
					       s->choices[k].label, s->size,
					       s->is_signed ? "signed" : "unsigned");
			}
		}
	}
	return fd.n;
}
