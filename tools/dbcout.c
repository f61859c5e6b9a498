/* SPDX-License-Identifier: MIT */
/*
 * dbcout.c - decoded-frame printers (text as cantools decode, JSON lines).
 *
 * Every name, key and label that JSON output needs is escaped once, at
 * setup, with its length: per frame there is only copying and numbers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dbcout.h"

struct ostr {
	uint32_t off, len; /* in pool */
};

struct dbcout {
	const struct dbc_db *db;
	unsigned int mode;
	struct dbc_value *vals;
	char *pool;
	struct ostr *msgkey;   /* per message: "name" */
	struct ostr *sigkey;   /* per global signal: "name": */
	struct ostr *labels;   /* per global choice: "label" */
	unsigned int *base;    /* per message: global index of its first signal */
	unsigned int *labbase; /* per global signal: first of its labels */
	int16_t **direct;      /* per global signal: raw -> choice, small ones */
	size_t *bound;	       /* per message: worst-case output bytes */
	size_t maxbound;
	char *scratch; /* for records too big for the writer's buffer */
};

/* JSON string body: UTF-8 passes, other bytes become \u00XX (Latin-1),
 * so cp1252/Latin-1 names still give valid JSON. */
static size_t json_escape(const char *s, char *out)
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
	*pos += json_escape(s, pool + *pos);
	pool[(*pos)++] = '"';
	n = strlen(suffix);
	memcpy(pool + *pos, suffix, n);
	*pos += n;
	r.off = (uint32_t)st;
	r.len = (uint32_t)(*pos - st);
	return r;
}

static size_t out_bound(const struct dbcout *o, const struct dbc_message *m);

struct dbcout *dbcout_new(const struct dbc_db *db, unsigned int mode)
{
	struct dbcout *o = calloc(1, sizeof(*o));
	unsigned int i, j, k, maxs = 1, nsig = 0, nlab = 0;
	size_t cap = 1, pos = 0;

	if (!o)
		return NULL;
	o->db = db;
	o->mode = mode;
	for (i = 0; i < db->nmsgs; i++) {
		const struct dbc_message *m = &db->msgs[i];

		if (m->nsigs > maxs)
			maxs = m->nsigs;
		nsig += m->nsigs;
		cap += strlen(m->long_name) * 6 + 4;
		for (j = 0; j < m->nsigs; j++) {
			const struct dbc_signal *s = &m->sigs[j];

			cap += strlen(s->long_name) * 6 + 4;
			nlab += s->nchoices;
			for (k = 0; k < s->nchoices; k++)
				cap += strlen(s->choices[k].label) * 6 + 4;
		}
	}
	o->vals = calloc(maxs, sizeof(*o->vals));
	o->pool = malloc(cap + 64); /* slack for fixed-size copies */
	o->msgkey = calloc(db->nmsgs + 1, sizeof(*o->msgkey));
	o->sigkey = calloc(nsig + 1, sizeof(*o->sigkey));
	o->labels = calloc(nlab + 1, sizeof(*o->labels));
	o->base = calloc(db->nmsgs + 1, sizeof(*o->base));
	o->labbase = calloc(nsig + 1, sizeof(*o->labbase));
	o->direct = calloc(nsig + 1, sizeof(*o->direct));
	o->bound = calloc(db->nmsgs + 1, sizeof(*o->bound));
	if (!o->vals || !o->pool || !o->msgkey || !o->sigkey || !o->labels || !o->base ||
	    !o->labbase || !o->bound || !o->direct)
		goto out_free;
	nsig = nlab = 0;
	for (i = 0; i < db->nmsgs; i++) {
		const struct dbc_message *m = &db->msgs[i];

		o->msgkey[i] = pool_add(o->pool, &pos, m->long_name, "");
		o->base[i] = nsig;
		for (j = 0; j < m->nsigs; j++, nsig++) {
			const struct dbc_signal *s = &m->sigs[j];

			o->sigkey[nsig] = pool_add(o->pool, &pos, s->long_name, ":");
			o->labbase[nsig] = nlab;
			for (k = 0; k < s->nchoices; k++)
				o->labels[nlab++] =
					pool_add(o->pool, &pos, s->choices[k].label, "");
			/* enums are mostly a few bits: index them directly */
			if (s->nchoices && s->kind == DBC_INT && s->size <= 8) {
				int16_t *t = malloc(sizeof(*t) << s->size);

				if (!t)
					goto out_free;
				for (k = 0; k < 1u << s->size; k++)
					t[k] = (int16_t)dbc_choice_find(s, k);
				o->direct[nsig] = t;
			}
		}
	}
	o->maxbound = out_bound(o, NULL);
	for (i = 0; i < db->nmsgs; i++) {
		o->bound[i] = out_bound(o, &db->msgs[i]);
		if (o->bound[i] > o->maxbound)
			o->maxbound = o->bound[i];
	}
	if (o->maxbound > CLOG_WBUF / 2) {
		o->scratch = malloc(o->maxbound);
		if (!o->scratch)
			goto out_free;
	}
	return o;
out_free:
	dbcout_free(o);
	return NULL;
}

void dbcout_free(struct dbcout *o)
{
	if (!o)
		return;
	free(o->vals);
	free(o->pool);
	free(o->msgkey);
	free(o->sigkey);
	free(o->labels);
	free(o->base);
	free(o->labbase);
	if (o->direct) {
		unsigned int i, j, g = 0;

		for (i = 0; i < o->db->nmsgs; i++)
			for (j = 0; j < o->db->msgs[i].nsigs; j++)
				free(o->direct[g++]);
	}
	free(o->direct);
	free(o->bound);
	free(o->scratch);
	free(o);
}

static inline char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT(p, lit) put(p, lit, sizeof(lit) - 1)

/* Pool strings are padded and the output has slack: most take one
 * fixed-size copy, which the compiler inlines. */
static inline char *put_str(const struct dbcout *o, char *p, struct ostr s)
{
	if (s.len <= 32)
		memcpy(p, o->pool + s.off, 32);
	else
		memcpy(p, o->pool + s.off, s.len);
	return p + s.len;
}

static inline int is_finite(double d)
{
	return d - d == 0;
}

/* Comma-separated members of one JSON object; which = 0 phys, 1 raw. */
static char *json_values(const struct dbcout *o, const struct dbc_message *m, unsigned int gi,
			 int which, char *p)
{
	unsigned int i;
	int first = 1;

	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_value *v = &o->vals[i];
		const struct dbc_signal *s = &m->sigs[i];

		if (!v->present)
			continue;
		if (!first)
			*p++ = ',';
		first = 0;
		p = put_str(o, p, o->sigkey[gi + i]);
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

/*
 * The frame itself, whether or not the DBC knows it, so JSON loses nothing
 * that text shows: "id":N,"ext":B,"len":N,"data":"HEX" (the requested
 * length and "" for a remote frame), then "fd","brs","esi" for FD frames
 * only, "rtr" and "err" only when set.  At most DBCOUT_JSON_FRAME_MAX.
 */
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

size_t dbcout_json_frame(const struct cf_frame *f, char *out)
{
	return (size_t)(json_frame_members(f, out) - out);
}

static size_t json_frame(struct dbcout *o, const struct clog_rec *rec, const struct dbc_message *m,
			 unsigned int rflags, char *out)
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
		p += json_escape(name, p);
	}
	p = PUT(p, "\",");
	p = json_frame_members(f, p);
	p = PUT(p, ",\"msg\":");
	if (!m) {
		if (o->mode & DBCOUT_RAW)
			p = PUT(p, "null,\"sig\":{},\"raw\":{},\"label\":{},"
				   "\"truncated\":false}\n");
		else
			p = PUT(p, "null,\"sig\":{},\"label\":{},"
				   "\"truncated\":false}\n");
		return (size_t)(p - out);
	}
	gi = o->base[m - o->db->msgs];
	p = put_str(o, p, o->msgkey[m - o->db->msgs]);
	p = PUT(p, ",\"sig\":{");
	p = json_values(o, m, gi, 0, p);
	if (o->mode & DBCOUT_RAW) {
		p = PUT(p, "},\"raw\":{");
		p = json_values(o, m, gi, 1, p);
	}
	p = PUT(p, "},\"label\":{");
	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_value *v = &o->vals[i];
		const struct dbc_signal *s = &m->sigs[i];
		int c;

		if (!v->present || !s->nchoices)
			continue;
		if (o->direct[gi + i])
			c = o->direct[gi + i][v->raw.u & ((1u << s->size) - 1)];
		else
			c = dbc_choice_find(s, v->raw.u);
		if (c < 0)
			continue;
		if (!first)
			*p++ = ',';
		first = 0;
		p = put_str(o, p, o->sigkey[gi + i]);
		p = put_str(o, p, o->labels[o->labbase[gi + i] + (unsigned int)c]);
	}
	if (rflags & DBC_TRUNCATED)
		p = PUT(p, "},\"truncated\":true}\n");
	else
		p = PUT(p, "},\"truncated\":false}\n");
	return (size_t)(p - out);
}

/* Worst case size of one output record. */
static size_t out_bound(const struct dbcout *o, const struct dbc_message *m)
{
	/* fixed keys, time, escaped bus name, the frame (text or JSON) */
	size_t n = 256 + 8 * CF_MAX_LEN + 64 + DBCOUT_JSON_FRAME_MAX;
	unsigned int i;

	if (!m)
		return n;
	n += o->msgkey[m - o->db->msgs].len + strlen(m->long_name) + 16;
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

static size_t text_frame(struct dbcout *o, const struct clog_rec *rec, const struct dbc_message *m,
			 unsigned int rflags, char *out)
{
	char *p = out;
	const struct cf_frame *f = &rec->f;
	int single = (o->mode & DBCOUT_MODE) == DBCOUT_SINGLE;
	unsigned int i, first = 1;

	p += clog_format_ts(f->ts_ns, rec->ts_digits ? rec->ts_digits : 6, p);
	*p++ = ' ';
	p = put(p, rec->ifname, rec->ifname_len);
	*p++ = ' ';
	p += cf_format_compact(f, p);
	p = PUT(p, " :: ");
	if (!m) {
		p = PUT(p, "Unknown frame id ");
		p = cf_put_dec(p, f->id, 0, 0);
		p += sprintf(p, " (0x%x)\n", (unsigned int)f->id);
		return (size_t)(p - out);
	}
	p = put(p, m->long_name, strlen(m->long_name));
	p = single ? PUT(p, "(") : PUT(p, "(\n");
	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_value *v = &o->vals[i];
		const struct dbc_signal *s = &m->sigs[i];
		const char *label;

		if (!v->present)
			continue;
		if (!first)
			p = single ? PUT(p, ", ") : PUT(p, ",\n");
		first = 0;
		if (!single)
			p = PUT(p, "    ");
		p = put(p, s->long_name, strlen(s->long_name));
		*p++ = ':';
		*p++ = ' ';
		label = s->nchoices && !(o->mode & DBCOUT_NOCHOICE) ? dbc_label(s, v->raw.u) : NULL;
		if (label) {
			p = put(p, label, strlen(label));
			continue;
		}
		p += dbc_fmt_phys(s, v, p);
		if (s->unit[0]) {
			*p++ = ' ';
			p = put(p, s->unit, strlen(s->unit));
		}
	}
	p = single ? PUT(p, ")") : PUT(p, "\n)");
	if (rflags & DBC_TRUNCATED)
		p += sprintf(p, " [truncated: %u of %u bytes]", f->len, m->length);
	*p++ = '\n';
	return (size_t)(p - out);
}

int dbcout_frame(struct dbcout *o, struct clog_writer *w, const struct clog_rec *rec)
{
	const struct dbc_message *m = dbc_lookup(o->db, &rec->f);
	unsigned int rflags = 0, mode = o->mode & DBCOUT_MODE;
	char *p;
	size_t n, bound;

	if (m)
		dbc_decode(m, &rec->f, 0, o->vals, &rflags);
	bound = (m ? o->bound[m - o->db->msgs] : o->maxbound) + rec->ifname_len;
	p = bound > CLOG_WBUF / 2 ? o->scratch : clog_wreserve(w, bound);
	if (mode == DBCOUT_JSON)
		n = json_frame(o, rec, m, rflags, p);
	else
		n = text_frame(o, rec, m, rflags, p);
	if (p != o->scratch) {
		clog_wcommit(w, n);
	} else {
		size_t off = 0;

		while (off < n) {
			size_t k = n - off > CLOG_WBUF / 2 ? CLOG_WBUF / 2 : n - off;

			memcpy(clog_wreserve(w, k), p + off, k);
			clog_wcommit(w, k);
			off += k;
		}
	}
	return m != NULL;
}

/* ---- CLI helpers */

#define WARN_SHOWN 5

struct warnctx {
	const char *cmd;
	unsigned int n;
};

static void show_warning(void *ctx, const char *msg)
{
	struct warnctx *w = ctx;

	if (w->n++ < WARN_SHOWN)
		fprintf(stderr, "canrig %s: warning: %s\n", w->cmd, msg);
}

void dbcout_json_str(FILE *f, const char *s)
{
	char *buf;

	if (!s) {
		fputs("null", f);
		return;
	}
	buf = malloc(strlen(s) * 6 + 1);
	if (!buf) { /* still valid JSON */
		fputs("null", f);
		return;
	}
	putc('"', f);
	fwrite(buf, 1, json_escape(s, buf), f);
	putc('"', f);
	free(buf);
}

const struct dbc_message *dbccli_find_msg(const struct dbc_db *db, const char *arg)
{
	const struct dbc_message *m = dbc_find_msg(db, arg);
	const char *h = arg;
	unsigned long id;
	size_t n;

	if (m)
		return m;
	if (h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
		h += 2;
	n = strlen(h);
	if (!n || n > 8 || strspn(h, "0123456789abcdefABCDEF") != n)
		return NULL;
	id = strtoul(h, NULL, 16);
	if (id > CF_EFF_MASK)
		return NULL;
	/* cansend's rule: eight digits make an extended id */
	if (id <= CF_SFF_MASK && n < 8) {
		m = dbc_find_id(db, (uint32_t)id, 0);
		if (m)
			return m;
	}
	return dbc_find_id(db, (uint32_t)id, 1);
}

void dbccli_no_msg(const char *cmd, const struct dbc_db *db, const char *arg)
{
	const struct dbc_message *m = NULL;
	unsigned long id;
	size_t n = strlen(arg);

	/* the decimal id of a BO_ line is the likely mistake: name the hex */
	if (n && n <= 10 && strspn(arg, "0123456789") == n) {
		id = strtoul(arg, NULL, 10);
		if (id <= CF_EFF_MASK) {
			m = dbc_find_id(db, (uint32_t)id, id > CF_SFF_MASK);
			if (!m && id <= CF_SFF_MASK)
				m = dbc_find_id(db, (uint32_t)id, 1);
		}
	}
	if (m)
		fprintf(stderr,
			"canrig %s: no message '%s' in %s; ids are hex: "
			"%s is 0x%X\n",
			cmd, arg, db->path, m->name, (unsigned int)m->id);
	else
		fprintf(stderr, "canrig %s: no message '%s' in %s\n", cmd, arg, db->path);
}

int dbccli_load(const char *cmd, const char *path, unsigned int flags, struct dbc_db **db)
{
	struct warnctx wc = {cmd, 0};
	struct dbc_opts o = {flags, show_warning, &wc};
	char err[DBC_ERRMSG_MAX];
	int e;

	e = dbc_load_file(path, &o, db, err, sizeof(err));
	if (e) {
		/* a missing, unreadable or bad file: runtime, not usage */
		fprintf(stderr, "canrig %s: %s\n", cmd, err);
		return EXIT_RUNTIME;
	}
	if (wc.n > WARN_SHOWN)
		fprintf(stderr,
			"canrig %s: %u more warnings; 'canrig dbc check "
			"%s' lists them all\n",
			cmd, wc.n - WARN_SHOWN, path);
	return 0;
}

/* Exact integers for 64-bit raw values when scaling is the identity. */
static int exact_int(const struct dbc_signal *s, const char *v, uint64_t *raw)
{
	char *end;

	if (s->kind != DBC_INT || s->scale != 1 || s->offset != 0 || strpbrk(v, ".eEnN") ||
	    (s->min != 0 || s->max != 0))
		return 0;
	errno = 0;
	if (v[0] == '-') {
		long long x = strtoll(v, &end, 0);

		if (errno || *end || !s->is_signed)
			return 0;
		if (s->size < 64 && (x < -(1ll << (s->size - 1)) || x >= (1ll << (s->size - 1))))
			return 0;
		*raw = (uint64_t)x;
		if (s->size < 64)
			*raw &= ((uint64_t)1 << s->size) - 1;
		return 1;
	}
	*raw = strtoull(v, &end, 0);
	if (errno || *end || end == v)
		return 0;
	if (s->is_signed ? (s->size < 64 && *raw >= (1ull << (s->size - 1))) ||
				   (s->size == 64 && *raw > INT64_MAX)
			 : s->size < 64 && *raw >> s->size)
		return 0;
	return 1;
}

int dbccli_encode(const char *cmd, const struct dbc_db *db, const char *msg, int nargs,
		  char *const *args, uint8_t *buf, struct cf_frame *f)
{
	const struct dbc_message *m = dbccli_find_msg(db, msg);
	uint64_t *raw = NULL;
	uint8_t *set = NULL;
	unsigned int bad = 0;
	int i, rc = EXIT_USAGE, e;

	if (!m) {
		dbccli_no_msg(cmd, db, msg);
		return EXIT_USAGE;
	}
	raw = calloc(m->nsigs + 1, sizeof(*raw));
	set = calloc(m->nsigs + 1, 1);
	if (!raw || !set) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	for (i = 0; i < nargs; i++) {
		const char *a = args[i], *eq = strchr(a, '=');
		const struct dbc_signal *s;
		char name[256];
		unsigned int k;
		double v;
		char *end;

		if (!eq || eq == a || (size_t)(eq - a) >= sizeof(name)) {
			fprintf(stderr, "canrig %s: '%s': expected SIGNAL=VALUE\n", cmd, a);
			goto out;
		}
		memcpy(name, a, (size_t)(eq - a));
		name[eq - a] = 0;
		s = dbc_find_sig(m, name);
		if (!s) {
			fprintf(stderr, "canrig %s: message %s has no signal '%s'\n", cmd, m->name,
				name);
			goto out;
		}
		if (set[s->index]) {
			fprintf(stderr, "canrig %s: signal %s given twice\n", cmd, name);
			goto out;
		}
		set[s->index] = 1;
		if (exact_int(s, eq + 1, &raw[s->index]))
			continue;
		for (k = 0; k < s->nchoices; k++)
			if (!strcmp(s->choices[k].label, eq + 1))
				break;
		if (k < s->nchoices) {
			raw[s->index] = (uint64_t)s->choices[k].value;
			if (s->size < 64)
				raw[s->index] &= ((uint64_t)1 << s->size) - 1;
			continue;
		}
		errno = 0;
		v = strtod(eq + 1, &end);
		if (errno == ERANGE || *end || end == eq + 1) {
			fprintf(stderr,
				"canrig %s: %s: '%s' is neither a number "
				"nor one of its choices\n",
				cmd, name, eq + 1);
			goto out;
		}
		e = dbc_to_raw(s, v, &raw[s->index]);
		if (e) {
			fprintf(stderr, "canrig %s: %s: %s is out of range", cmd, name, eq + 1);
			if (s->min != 0 || s->max != 0)
				fprintf(stderr, " [%g|%g]", s->min, s->max);
			fprintf(stderr, " (%u-bit %s, scale %g, offset %g)\n", s->size,
				s->is_signed ? "signed" : "unsigned", s->scale, s->offset);
			goto out;
		}
	}
	e = dbc_encode(m, raw, set, buf, f, &bad);
	if (e == -EINVAL) {
		fprintf(stderr,
			"canrig %s: %s: conflicts with the multiplexer "
			"value another signal needs\n",
			cmd, m->sigs[bad].name);
		goto out;
	}
	rc = e ? EXIT_RUNTIME : EXIT_OK;
out:
	free(raw);
	free(set);
	return rc;
}
