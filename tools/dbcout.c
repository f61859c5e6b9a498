/* SPDX-License-Identifier: MIT */
/*
 * dbcout.c - decoded-frame printers: text as cantools decode here, JSON
 * lines from dbc/dbc_json.c (shared with canrig uplink).
 */
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
	struct dbc_json *json; /* the JSON printer; its bounds serve text too */
	size_t maxbound;
	char *scratch; /* for records too big for the writer's buffer */
};

struct dbcout *dbcout_new(const struct dbc_db *db, unsigned int mode)
{
	struct dbcout *o = calloc(1, sizeof(*o));
	unsigned int i, maxs = 1;

	if (!o)
		return NULL;
	o->db = db;
	o->mode = mode;
	for (i = 0; i < db->nmsgs; i++)
		if (db->msgs[i].nsigs > maxs)
			maxs = db->msgs[i].nsigs;
	o->vals = calloc(maxs, sizeof(*o->vals));
	o->json = dbc_json_new(db, mode & DBCOUT_RAW ? DBC_JSON_RAW : 0);
	if (!o->vals || !o->json)
		goto out_free;
	o->maxbound = dbc_json_bound(o->json, NULL);
	for (i = 0; i < db->nmsgs; i++)
		if (dbc_json_bound(o->json, &db->msgs[i]) > o->maxbound)
			o->maxbound = dbc_json_bound(o->json, &db->msgs[i]);
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
	dbc_json_free(o->json);
	free(o->scratch);
	free(o);
}

static inline char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT(p, lit) put(p, lit, sizeof(lit) - 1)

size_t dbcout_json_frame(const struct cf_frame *f, char *out)
{
	return dbc_json_frame_members(f, out);
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
	bound = dbc_json_bound(o->json, m) + rec->ifname_len;
	p = bound > CLOG_WBUF / 2 ? o->scratch : clog_wreserve(w, bound);
	if (mode == DBCOUT_JSON)
		n = dbc_json_sample(o->json, rec, m, o->vals, rflags, NULL, p);
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
	fwrite(buf, 1, dbc_json_escape(s, buf), f);
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
