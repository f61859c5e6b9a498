/* SPDX-License-Identifier: MIT */
/*
 * dbc_json.c - decoded frames as JSON objects (dbc_json.h), moved here
 * from tools/dbcout.c so canrig uplink prints its samples with the same
 * code as canrig dbc decode --json.
 */
#include <stdlib.h>
#include <string.h>

#include "dbc_json.h"

struct ostr {
	uint32_t off, len; /* in pool */
};

struct dbc_json {
	const struct dbc_db *db;
	unsigned int flags;
	char *pool;
	struct ostr *msgkey;   /* per message: "name" */
	struct ostr *sigkey;   /* per global signal: "name": */
	struct ostr *labels;   /* per global choice: "label" */
	unsigned int *base;    /* per message: global index of its first signal */
	unsigned int *labbase; /* per global signal: first of its labels */
	int16_t **direct;      /* per global signal: raw -> choice, small ones */
	size_t *bound;	       /* per message: worst-case output bytes */
	size_t maxbound;       /* an unknown id */
};

size_t dbc_json_escape(const char *s, char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	static const char hex[] = "0123456789abcdef";

	while (*p) {
		unsigned int c = *p, n = 0, i;

		if (c >= 0x80) {
			if ((c & 0xE0) == 0xC0 && c >= 0xC2)
				n = 1;
			else if ((c & 0xF0) == 0xE0)
				n = 2;
			else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
				n = 3;
			for (i = 1; i <= n; i++)
				if ((p[i] & 0xC0) != 0x80)
					break;
			if (n && i > n) {
				memcpy(out + o, p, n + 1);
				o += n + 1;
				p += n + 1;
				continue;
			}
		}
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x80) {
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[c >> 4];
			out[o + 5] = hex[c & 15];
			o += 6;
		} else {
			out[o++] = (char)c;
		}
		p++;
	}
	return o;
}

/* Appends "s" (+ suffix) to the pool; returns where it is. */
static struct ostr pool_add(char *pool, size_t *pos, const char *s, const char *suffix)
{
	struct ostr r;
	size_t st = *pos, n;

	pool[(*pos)++] = '"';
	*pos += dbc_json_escape(s, pool + *pos);
	pool[(*pos)++] = '"';
	n = strlen(suffix);
	memcpy(pool + *pos, suffix, n);
	*pos += n;
	r.off = (uint32_t)st;
	r.len = (uint32_t)(*pos - st);
	return r;
}

/* Worst case size of one output record (JSON, or dbcout's text). */
static size_t out_bound(const struct dbc_json *j, const struct dbc_message *m)
{
	/* fixed keys, time, escaped bus name, the frame (text or JSON) */
	size_t n = 256 + 8 * CF_MAX_LEN + 64 + DBC_JSON_FRAME_MAX;
	unsigned int i;

	if (!m)
		return n;
	n += j->msgkey[m - j->db->msgs].len + strlen(m->long_name) + 16;
	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_signal *s = &m->sigs[i];
		size_t lab = 0;
		unsigned int k;

		for (k = 0; k < s->nchoices; k++) {
			size_t l = strlen(s->choices[k].label);

			if (l > lab)
				lab = l;
		}
		n += 3 * (strlen(s->long_name) * 6 + 8) + 2 * 48 + lab * 6 + strlen(s->unit) + 16;
	}
	return n;
}

struct dbc_json *dbc_json_new(const struct dbc_db *db, unsigned int flags)
{
	struct dbc_json *j = calloc(1, sizeof(*j));
	unsigned int i, k, s_, nsig = 0, nlab = 0;
	size_t cap = 1, pos = 0;

	if (!j)
		return NULL;
	j->db = db;
	j->flags = flags;
	for (i = 0; i < db->nmsgs; i++) {
		const struct dbc_message *m = &db->msgs[i];

		nsig += m->nsigs;
		cap += strlen(m->long_name) * 6 + 4;
		for (s_ = 0; s_ < m->nsigs; s_++) {
			const struct dbc_signal *s = &m->sigs[s_];

			cap += strlen(s->long_name) * 6 + 4;
			nlab += s->nchoices;
			for (k = 0; k < s->nchoices; k++)
				cap += strlen(s->choices[k].label) * 6 + 4;
		}
	}
	j->pool = malloc(cap + 64); /* slack for fixed-size copies */
	j->msgkey = calloc(db->nmsgs + 1, sizeof(*j->msgkey));
	j->sigkey = calloc(nsig + 1, sizeof(*j->sigkey));
	j->labels = calloc(nlab + 1, sizeof(*j->labels));
	j->base = calloc(db->nmsgs + 1, sizeof(*j->base));
	j->labbase = calloc(nsig + 1, sizeof(*j->labbase));
	j->direct = calloc(nsig + 1, sizeof(*j->direct));
	j->bound = calloc(db->nmsgs + 1, sizeof(*j->bound));
	if (!j->pool || !j->msgkey || !j->sigkey || !j->labels || !j->base || !j->labbase ||
	    !j->bound || !j->direct)
		goto out_free;
	nsig = nlab = 0;
	for (i = 0; i < db->nmsgs; i++) {
		const struct dbc_message *m = &db->msgs[i];

		j->msgkey[i] = pool_add(j->pool, &pos, m->long_name, "");
		j->base[i] = nsig;
		for (s_ = 0; s_ < m->nsigs; s_++, nsig++) {
			const struct dbc_signal *s = &m->sigs[s_];

			j->sigkey[nsig] = pool_add(j->pool, &pos, s->long_name, ":");
			j->labbase[nsig] = nlab;
			for (k = 0; k < s->nchoices; k++)
				j->labels[nlab++] =
					pool_add(j->pool, &pos, s->choices[k].label, "");
			/* enums are mostly a few bits: index them directly */
			if (s->nchoices && s->kind == DBC_INT && s->size <= 8) {
				int16_t *t = malloc(sizeof(*t) << s->size);

				if (!t)
					goto out_free;
				for (k = 0; k < 1u << s->size; k++)
					t[k] = (int16_t)dbc_choice_find(s, k);
				j->direct[nsig] = t;
			}
		}
	}
	j->maxbound = out_bound(j, NULL);
	for (i = 0; i < db->nmsgs; i++)
		j->bound[i] = out_bound(j, &db->msgs[i]);
	return j;
out_free:
	dbc_json_free(j);
	return NULL;
}

void dbc_json_free(struct dbc_json *j)
{
	if (!j)
		return;
	free(j->pool);
	free(j->msgkey);
	free(j->sigkey);
	free(j->labels);
	free(j->base);
	free(j->labbase);
	if (j->direct) {
		unsigned int i, k, g = 0;

		for (i = 0; i < j->db->nmsgs; i++)
			for (k = 0; k < j->db->msgs[i].nsigs; k++)
				free(j->direct[g++]);
	}
	free(j->direct);
	free(j->bound);
	free(j);
}

size_t dbc_json_bound(const struct dbc_json *j, const struct dbc_message *m)
{
	return m ? j->bound[m - j->db->msgs] : j->maxbound;
}

static inline char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT(p, lit) put(p, lit, sizeof(lit) - 1)

/* Pool strings are padded and the output has slack: most take one
 * fixed-size copy, which the compiler inlines. */
static inline char *put_str(const struct dbc_json *j, char *p, struct ostr s)
{
	if (s.len <= 32)
		memcpy(p, j->pool + s.off, 32);
	else
		memcpy(p, j->pool + s.off, s.len);
	return p + s.len;
}

static inline int is_finite(double d)
{
	return d - d == 0;
}

/* Comma-separated members of one JSON object; which = 0 phys, 1 raw. */
static char *json_values(const struct dbc_json *j, const struct dbc_message *m, unsigned int gi,
			 const struct dbc_value *vals, const uint8_t *sel, int which, char *p)
{
	unsigned int i;
	int first = 1;

	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_value *v = &vals[i];
		const struct dbc_signal *s = &m->sigs[i];

		if (!v->present || (sel && !sel[i]))
			continue;
		if (!first)
			*p++ = ',';
		first = 0;
		p = put_str(j, p, j->sigkey[gi + i]);
		if (which == 0 && s->integral && s->scale == 1 && s->offset == 0) {
			p += dbc_fmt_raw(s, v, p); /* the common case, exact */
		} else if (which == 0) {
			if (!is_finite(v->phys))
				p = PUT(p, "null"); /* JSON has no NaN */
			else
				p += dbc_fmt_phys(s, v, p);
		} else {
			char tmp[48];
			size_t n = dbc_fmt_raw(s, v, tmp);

			if (tmp[0] == 'n' || tmp[n - 1] == 'f')
				p = PUT(p, "null");
			else
				p = put(p, tmp, n);
		}
	}
	return p;
}

/* The frame itself, whether or not the DBC knows it, so JSON loses nothing
 * that text shows (the requested length and "" for a remote frame). */
static char *json_frame_members(const struct cf_frame *f, char *p)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned int i, n = f->data && !(f->flags & CF_RTR) ? f->len : 0;

	p = PUT(p, "\"id\":");
	p = cf_put_dec(p, f->id, 0, 0);
	p = f->flags & CF_EFF ? PUT(p, ",\"ext\":true") : PUT(p, ",\"ext\":false");
	p = PUT(p, ",\"len\":");
	p = cf_put_dec(p, f->len, 0, 0);
	p = PUT(p, ",\"data\":\"");
	for (i = 0; i < n; i++) {
		*p++ = hex[f->data[i] >> 4];
		*p++ = hex[f->data[i] & 15];
	}
	*p++ = '"';
	if (f->flags & CF_FD) {
		p = f->flags & CF_BRS ? PUT(p, ",\"fd\":true,\"brs\":true")
				      : PUT(p, ",\"fd\":true,\"brs\":false");
		p = f->flags & CF_ESI ? PUT(p, ",\"esi\":true") : PUT(p, ",\"esi\":false");
	}
	if (f->flags & CF_RTR)
		p = PUT(p, ",\"rtr\":true");
	if (f->flags & CF_ERR)
		p = PUT(p, ",\"err\":true");
	return p;
}

size_t dbc_json_frame_members(const struct cf_frame *f, char *out)
{
	return (size_t)(json_frame_members(f, out) - out);
}

size_t dbc_json_sample(const struct dbc_json *j, const struct clog_rec *rec,
		       const struct dbc_message *m, const struct dbc_value *vals,
		       unsigned int rflags, const uint8_t *sel, char *out)
{
	char *p = out;
	unsigned int i, gi;
	const struct cf_frame *f = &rec->f;
	int first = 1;
	char ts[40];
	size_t n, k;

	p = PUT(p, "{\"t\":");
	n = clog_format_ts(f->ts_ns, rec->ts_digits ? rec->ts_digits : 6, ts);
	/* without the parentheses, nor leading zeros (invalid in JSON), which
	 * relative times (candump -t d/z) and untimed lines would have */
	for (k = 1; ts[k] == '0' && ts[k + 1] != '.'; k++)
		;
	p = put(p, ts + k, n - 1 - k);
	p = PUT(p, ",\"bus\":\"");
	{
		char name[CLOG_IFNAME_MAX + 1];

		n = rec->ifname_len < CLOG_IFNAME_MAX ? rec->ifname_len : CLOG_IFNAME_MAX;
		memcpy(name, rec->ifname, n);
		name[n] = 0;
		p += dbc_json_escape(name, p);
	}
	p = PUT(p, "\",");
	p = json_frame_members(f, p);
	p = PUT(p, ",\"msg\":");
	if (!m) {
		if (j->flags & DBC_JSON_RAW)
			p = PUT(p, "null,\"sig\":{},\"raw\":{},\"label\":{},"
				   "\"truncated\":false}\n");
		else
			p = PUT(p, "null,\"sig\":{},\"label\":{},"
				   "\"truncated\":false}\n");
		return (size_t)(p - out);
	}
	gi = j->base[m - j->db->msgs];
	p = put_str(j, p, j->msgkey[m - j->db->msgs]);
	p = PUT(p, ",\"sig\":{");
	p = json_values(j, m, gi, vals, sel, 0, p);
	if (j->flags & DBC_JSON_RAW) {
		p = PUT(p, "},\"raw\":{");
		p = json_values(j, m, gi, vals, sel, 1, p);
	}
	p = PUT(p, "},\"label\":{");
	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_value *v = &vals[i];
		const struct dbc_signal *s = &m->sigs[i];
		int c;

		if (!v->present || !s->nchoices || (sel && !sel[i]))
			continue;
		if (j->direct[gi + i])
			c = j->direct[gi + i][v->raw.u & ((1u << s->size) - 1)];
		else
			c = dbc_choice_find(s, v->raw.u);
		if (c < 0)
			continue;
		if (!first)
			*p++ = ',';
		first = 0;
		p = put_str(j, p, j->sigkey[gi + i]);
		p = put_str(j, p, j->labels[j->labbase[gi + i] + (unsigned int)c]);
	}
	if (rflags & DBC_TRUNCATED)
		p = PUT(p, "},\"truncated\":true}\n");
	else
		p = PUT(p, "},\"truncated\":false}\n");
	return (size_t)(p - out);
}
