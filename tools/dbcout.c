/* SPDX-License-Identifier: MIT */
/* dbcout.c - decoded-frame printers (text as cantools decode, JSON lines). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dbcout.h"

struct dbcout {
	const struct dbc_db *db;
	unsigned int mode;
	struct dbc_value *vals;
	/* JSON keys ("name":) per signal and message names, escaped once */
	char *keys;
	size_t *sig_off;   /* per global signal index: offset into keys */
	size_t *msg_off;   /* per message: escaped "name" */
	unsigned int *base; /* per message: global index of its first signal */
	size_t *bound;     /* per message: worst-case output bytes */
	size_t maxbound;
	char *scratch;     /* for records too big for the writer's buffer */
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

static size_t out_bound(const struct dbcout *o, const struct dbc_message *m);

struct dbcout *dbcout_new(const struct dbc_db *db, unsigned int mode)
{
	struct dbcout *o = calloc(1, sizeof(*o));
	unsigned int i, j, maxs = 1, nsig = 0;
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
		for (j = 0; j < m->nsigs; j++)
			cap += strlen(m->sigs[j].long_name) * 6 + 4;
	}
	o->vals = calloc(maxs, sizeof(*o->vals));
	o->keys = malloc(cap);
	o->sig_off = calloc(nsig + 1, sizeof(*o->sig_off));
	o->msg_off = calloc(db->nmsgs + 1, sizeof(*o->msg_off));
	o->base = calloc(db->nmsgs + 1, sizeof(*o->base));
	if (!o->vals || !o->keys || !o->sig_off || !o->msg_off || !o->base)
		goto out_free;
	nsig = 0;
	for (i = 0; i < db->nmsgs; i++) {
		const struct dbc_message *m = &db->msgs[i];

		o->msg_off[i] = pos;
		o->keys[pos++] = '"';
		pos += json_escape(m->long_name, o->keys + pos);
		o->keys[pos++] = '"';
		o->keys[pos++] = 0;
		o->base[i] = nsig;
		for (j = 0; j < m->nsigs; j++) {
			o->sig_off[nsig++] = pos;
			o->keys[pos++] = '"';
			pos += json_escape(m->sigs[j].long_name, o->keys + pos);
			o->keys[pos++] = '"';
			o->keys[pos++] = ':';
			o->keys[pos++] = 0;
		}
	}
	o->bound = calloc(db->nmsgs + 1, sizeof(*o->bound));
	if (!o->bound)
		goto out_free;
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
	free(o->keys);
	free(o->sig_off);
	free(o->msg_off);
	free(o->base);
	free(o->bound);
	free(o->scratch);
	free(o);
}

static char *put(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static size_t json_frame(struct dbcout *o, const struct clog_rec *rec,
			 const struct dbc_message *m, unsigned int rflags,
			 char *out)
{
	char *p = out;
	unsigned int i, first, gi = 0;
	const struct cf_frame *f = &rec->f;

	p = put(p, "{\"t\":");
	{
		char ts[40];
		size_t n = clog_format_ts(f->ts_ns, rec->ts_digits ? rec->ts_digits
								 : 6, ts);

		memcpy(p, ts + 1, n - 2); /* without the parentheses */
		p += n - 2;
	}
	p = put(p, ",\"bus\":\"");
	{
		char name[CLOG_IFNAME_MAX + 1];
		size_t n = rec->ifname_len < CLOG_IFNAME_MAX ? rec->ifname_len
							     : CLOG_IFNAME_MAX;

		memcpy(name, rec->ifname, n);
		name[n] = 0;
		p += json_escape(name, p);
	}
	p = put(p, "\",\"id\":");
	p = clog_put_dec(p, f->id, 0, 0);
	p = put(p, (f->flags & CF_EFF) ? ",\"ext\":true,\"msg\":"
				       : ",\"ext\":false,\"msg\":");
	if (!m) {
		p = put(p, "null,\"sig\":{},\"label\":{},\"truncated\":false}\n");
		return (size_t)(p - out);
	}
	gi = o->base[m - o->db->msgs];
	p = put(p, o->keys + o->msg_off[m - o->db->msgs]);
	p = put(p, ",\"sig\":{");
	first = 1;
	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_value *v = &o->vals[i];

		if (!v->present)
			continue;
		if (!first)
			*p++ = ',';
		first = 0;
		p = put(p, o->keys + o->sig_off[gi + i]);
		if (v->phys != v->phys || v->phys - v->phys != 0)
			p = put(p, "null"); /* JSON has no NaN or infinity */
		else
			p += dbc_fmt_phys(&m->sigs[i], v, p);
	}
	if (o->mode & DBCOUT_RAW) {
		p = put(p, "},\"raw\":{");
		first = 1;
		for (i = 0; i < m->nsigs; i++) {
			const struct dbc_value *v = &o->vals[i];

			if (!v->present)
				continue;
			if (!first)
				*p++ = ',';
			first = 0;
			p = put(p, o->keys + o->sig_off[gi + i]);
			{
				char tmp[40];
				size_t n = dbc_fmt_raw(&m->sigs[i], v, tmp);

				if (tmp[0] == 'n' || tmp[0] == 'i' ||
				    (tmp[0] == '-' && tmp[1] == 'i'))
					p = put(p, "null");
				else {
					memcpy(p, tmp, n);
					p += n;
				}
			}
		}
	}
	p = put(p, "},\"label\":{");
	first = 1;
	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_value *v = &o->vals[i];

		if (!v->present || !v->label)
			continue;
		if (!first)
			*p++ = ',';
		first = 0;
		p = put(p, o->keys + o->sig_off[gi + i]);
		*p++ = '"';
		p += json_escape(v->label, p);
		*p++ = '"';
	}
	p = put(p, (rflags & DBC_TRUNCATED) ? "},\"truncated\":true}\n"
					    : "},\"truncated\":false}\n");
	return (size_t)(p - out);
}

/* Worst case size of one output record. */
static size_t out_bound(const struct dbcout *o, const struct dbc_message *m)
{
	size_t n = 256 + 8 * CF_MAX_LEN;
	unsigned int i;

	if (!m)
		return n;
	n += strlen(o->keys + o->msg_off[m - o->db->msgs]) + strlen(m->long_name) + 16;
	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_signal *s = &m->sigs[i];
		size_t lab = 0;
		unsigned int k;

		for (k = 0; k < s->nchoices; k++) {
			size_t l = strlen(s->choices[k].label);

			if (l > lab)
				lab = l;
		}
		n += 3 * (strlen(s->long_name) * 6 + 8) + 2 * 48 + lab * 6 +
		     strlen(s->unit) + 16;
	}
	return n;
}

static size_t text_frame(struct dbcout *o, const struct clog_rec *rec,
			 const struct dbc_message *m, unsigned int rflags,
			 char *out)
{
	char *p = out;
	const struct cf_frame *f = &rec->f;
	int single = (o->mode & DBCOUT_MODE) == DBCOUT_SINGLE;
	unsigned int i, first = 1;

	p += clog_format_ts(f->ts_ns, rec->ts_digits ? rec->ts_digits : 6, p);
	*p++ = ' ';
	memcpy(p, rec->ifname, rec->ifname_len);
	p += rec->ifname_len;
	*p++ = ' ';
	p += cf_format_compact(f, p);
	p = put(p, " :: ");
	if (!m) {
		p = put(p, "Unknown frame id ");
		p = clog_put_dec(p, f->id, 0, 0);
		p += sprintf(p, " (0x%x)\n", (unsigned int)f->id);
		return (size_t)(p - out);
	}
	p = put(p, m->long_name);
	p = put(p, single ? "(" : "(\n");
	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_value *v = &o->vals[i];
		const struct dbc_signal *s = &m->sigs[i];

		if (!v->present)
			continue;
		if (!first)
			p = put(p, single ? ", " : ",\n");
		first = 0;
		if (!single)
			p = put(p, "    ");
		p = put(p, s->long_name);
		*p++ = ':';
		*p++ = ' ';
		if (v->label && !(o->mode & DBCOUT_NOCHOICE)) {
			p = put(p, v->label);
			continue;
		}
		p += dbc_fmt_phys(s, v, p);
		if (s->unit[0]) {
			*p++ = ' ';
			p = put(p, s->unit);
		}
	}
	p = put(p, single ? ")" : "\n)");
	if (rflags & DBC_TRUNCATED)
		p += sprintf(p, " [truncated: %u of %u bytes]", f->len,
			     m->length);
	*p++ = '\n';
	return (size_t)(p - out);
}

int dbcout_frame(struct dbcout *o, struct clog_writer *w,
		 const struct clog_rec *rec)
{
	const struct dbc_message *m = dbc_lookup(o->db, &rec->f);
	unsigned int rflags = 0, mode = o->mode & DBCOUT_MODE;
	char *p;
	size_t n, bound;

	if (m)
		dbc_decode(m, &rec->f, DBC_DEC_LABELS, o->vals, &rflags);
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

int dbccli_load(const char *cmd, const char *path, unsigned int flags,
		struct dbc_db **db)
{
	struct warnctx wc = { cmd, 0 };
	struct dbc_opts o = { flags, show_warning, &wc };
	char err[DBC_ERRMSG_MAX];
	int e;

	e = dbc_load_file(path, &o, db, err, sizeof(err));
	if (e) {
		fprintf(stderr, "canrig %s: %s\n", cmd, err);
		return e == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	}
	if (wc.n > WARN_SHOWN)
		fprintf(stderr, "canrig %s: %u more warnings; 'canrig dbc check "
			"%s' lists them all\n", cmd, wc.n - WARN_SHOWN, path);
	return 0;
}

/* Exact integers for 64-bit raw values when scaling is the identity. */
static int exact_int(const struct dbc_signal *s, const char *v, uint64_t *raw)
{
	char *end;

	if (s->kind != DBC_INT || s->scale != 1 || s->offset != 0 ||
	    strpbrk(v, ".eEnN") || (s->min != 0 || s->max != 0))
		return 0;
	errno = 0;
	if (v[0] == '-') {
		long long x = strtoll(v, &end, 0);

		if (errno || *end || !s->is_signed)
			return 0;
		if (s->size < 64 && (x < -(1ll << (s->size - 1)) ||
				     x >= (1ll << (s->size - 1))))
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

int dbccli_encode(const char *cmd, const struct dbc_db *db, const char *msg,
		  int nargs, char *const *args, uint8_t *buf,
		  struct cf_frame *f)
{
	const struct dbc_message *m = dbc_find_msg(db, msg);
	uint64_t *raw = NULL;
	uint8_t *set = NULL;
	unsigned int bad = 0;
	int i, rc = EXIT_USAGE, e;

	if (!m) {
		char *end;
		unsigned long id = strtoul(msg, &end, 16);

		/* a hex id works as well as a name */
		if (!*end && end != msg)
			m = dbc_find_id(db, (uint32_t)id, id > CF_SFF_MASK);
		if (!m) {
			fprintf(stderr, "canrig %s: no message '%s' in %s\n", cmd,
				msg, db->path);
			return EXIT_USAGE;
		}
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
			fprintf(stderr, "canrig %s: '%s': expected SIGNAL=VALUE\n",
				cmd, a);
			goto out;
		}
		memcpy(name, a, (size_t)(eq - a));
		name[eq - a] = 0;
		s = dbc_find_sig(m, name);
		if (!s) {
			fprintf(stderr, "canrig %s: message %s has no signal '%s'\n",
				cmd, m->name, name);
			goto out;
		}
		if (set[s->index]) {
			fprintf(stderr, "canrig %s: signal %s given twice\n", cmd,
				name);
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
			fprintf(stderr, "canrig %s: %s: '%s' is neither a number "
				"nor one of its choices\n", cmd, name, eq + 1);
			goto out;
		}
		e = dbc_to_raw(s, v, &raw[s->index]);
		if (e) {
			fprintf(stderr, "canrig %s: %s: %s is out of range", cmd,
				name, eq + 1);
			if (s->min != 0 || s->max != 0)
				fprintf(stderr, " [%g|%g]", s->min, s->max);
			fprintf(stderr, " (%u-bit %s, scale %g, offset %g)\n",
				s->size, s->is_signed ? "signed" : "unsigned",
				s->scale, s->offset);
			goto out;
		}
	}
	e = dbc_encode(m, raw, set, buf, f, &bad);
	if (e == -EINVAL) {
		fprintf(stderr, "canrig %s: %s: conflicts with the multiplexer "
			"value another signal needs\n", cmd, m->sigs[bad].name);
		goto out;
	}
	rc = e ? EXIT_RUNTIME : EXIT_OK;
out:
	free(raw);
	free(set);
	return rc;
}
