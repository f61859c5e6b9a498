/* SPDX-License-Identifier: MIT */
/*
 * upl_conf.c - canrig uplink's YAML loader (upl_conf.h): key tables over
 * conf/yml_read.h, then the checks that need the DBC.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "upl_conf.h"
#include "yml.h"
#include "yml_read.h"

/* A word that goes into an MQTT topic: no wildcard, no level separator. */
static int topic_word(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	const char *s;
	size_t k;
	int e;

	(void)i;
	e = yml_read_str(r, n, &s);
	if (e)
		return e;
	if (!*s || strlen(s) > 64)
		return yml_error(r->y, n, "vehicle: 1 to 64 characters");
	for (k = 0; s[k]; k++)
		if (strchr("/+#{}", s[k]) || (unsigned char)s[k] <= ' ')
			return yml_error(r->y, n, "vehicle: '%c' cannot be in a topic level",
					 s[k] > ' ' ? s[k] : '?');
	*(const char **)p = s;
	return 0;
}

static int topic_fn(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct upl_conf *c = r->ctx;
	const char *s, *v;
	char *out, *o;
	size_t nv = 0, k;
	int e;

	(void)i;
	e = yml_read_str(r, n, &s);
	if (e)
		return e;
	if (!*s)
		return yml_error(r->y, n, "topic: must not be empty");
	for (k = 0; s[k]; k++)
		if (s[k] == '+' || s[k] == '#')
			return yml_error(r->y, n, "topic: '%c' is a subscription wildcard", s[k]);
	for (v = s; (v = strchr(v, '{')); v++) {
		if (strncmp(v, "{vehicle}", 9))
			return yml_error(r->y, n, "topic: the only placeholder is {vehicle}");
		nv++;
	}
	if (strchr(s, '}') && !nv)
		return yml_error(r->y, n, "topic: the only placeholder is {vehicle}");
	out = yml_alloc(r, strlen(s) + nv * strlen(c->vehicle) + 1);
	if (!out)
		return -ENOMEM;
	for (o = out; *s;) {
		if (!strncmp(s, "{vehicle}", 9)) {
			o = stpcpy(o, c->vehicle);
			s += 9;
		} else {
			*o++ = *s++;
		}
	}
	*o = 0;
	if (strlen(out) > 65535)
		return yml_error(r->y, n, "topic: longer than MQTT's 65535 bytes");
	*(const char **)p = out;
	return 0;
}

/* A file the uplink will open later: readable now, or the error is here. */
static int file_fn(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	const char *s;
	int e;

	(void)i;
	e = yml_read_str(r, n, &s);
	if (e)
		return e;
	if (!*s || access(s, R_OK))
		return yml_error(r->y, n, "%s: %s", s, *s ? strerror(errno) : "empty path");
	*(const char **)p = s;
	return 0;
}

static int cred_fn(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct stat st;
	int e = file_fn(r, n, p, i);

	if (e)
		return e;
	if (stat(*(const char **)p, &st))
		return yml_error(r->y, n, "%s: %s", *(const char **)p, strerror(errno));
	/* a password others can read is no secret: refuse, as ssh does */
	if (st.st_mode & 077)
		return yml_error(r->y, n,
				 "%s: readable by others (mode %04o): the credentials file must "
				 "be the service's alone (chmod 600)",
				 *(const char **)p, (unsigned int)(st.st_mode & 07777));
	return 0;
}

static const char *const protocols[] = {"3.1.1", "5", NULL};
static const int protocol_vals[] = {4, 5}; /* MQTT's protocol level byte */

static const struct yml_key broker_keys[] = {
	{.name = "host", .type = YML_STR, .flags = YML_REQ, YML_OFF(struct upl_broker, host)},
	{.name = "port",
	 .type = YML_UINT,
	 YML_OFF(struct upl_broker, port),
	 .min = 1,
	 .max = 65535},
	{.name = "keepalive",
	 .type = YML_UINT,
	 YML_OFF(struct upl_broker, keepalive),
	 .min = 5,
	 .max = 65535},
	{.name = "client_id", .type = YML_STR, YML_OFF(struct upl_broker, client_id)},
	YML_KEY_FN("cafile", struct upl_broker, cafile, file_fn, 0),
	YML_KEY_FN("certfile", struct upl_broker, certfile, file_fn, 0),
	YML_KEY_FN("keyfile", struct upl_broker, keyfile, file_fn, 0),
	YML_KEY_FN("credentials", struct upl_broker, credentials, cred_fn, 0),
	{.name = "protocol",
	 .type = YML_ENUM,
	 YML_OFF(struct upl_broker, protocol),
	 .names = protocols,
	 .vals = protocol_vals,
	 .what = "MQTT version"},
	{0},
};

static int broker_fn(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct upl_broker *b = p;

	(void)i;
	if (!*b->host)
		return yml_error(r->y, n, "broker: host must not be empty");
	if (!!b->certfile != !!b->keyfile)
		return yml_error(r->y, n, "broker: certfile and keyfile go together");
	if (b->certfile && !b->cafile)
		return yml_error(r->y, n, "broker: a client certificate needs cafile (TLS)");
	if (b->client_id && (!*b->client_id || strlen(b->client_id) > 65535))
		return yml_error(r->y, n, "broker: client_id must not be empty");
	return 0;
}

static int dbc_fn(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct upl_conf *c = r->ctx;
	char err[DBC_ERRMSG_MAX];
	struct dbc_opts o = {0, NULL, NULL};
	int e;

	(void)i;
	e = yml_read_str(r, n, (const char **)p);
	if (e)
		return e;
	e = dbc_load_file(c->dbc_path, &o, &c->db, err, sizeof(err));
	if (e)
		return yml_error(r->y, n, "dbc: %s", err);
	return 0;
}

static int ifs_fn(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct upl_conf *c = r->ctx;
	size_t len, k, j;
	int e;

	(void)p;
	(void)i;
	e = yml_seq(r->y, n, &len);
	if (e)
		return e;
	if (!len || len > UPL_IFS_MAX)
		return yml_error(r->y, n, "interfaces: 1 to %d names", UPL_IFS_MAX);
	c->ifs = yml_alloc(r, len * sizeof(*c->ifs));
	if (!c->ifs)
		return -ENOMEM;
	for (k = 0; k < len; k++) {
		yaml_node_t *it = yml_seq_item(r->y, n, k);
		const char *s;

		e = yml_read_str(r, it, &s);
		if (e)
			return e;
		if (!*s || strlen(s) > 15 || strpbrk(s, "/: \t"))
			return yml_error(r->y, it, "'%s' is not an interface name", s);
		for (j = 0; j < k; j++)
			if (!strcmp(c->ifs[j], s))
				return yml_error(r->y, it, "interface %s is listed twice", s);
		c->ifs[k] = s;
	}
	c->nifs = len;
	return 0;
}

/* ---- when: "SIGNAL OP NUMBER" terms with && || ! ( ), compiled once
 * into postfix ops; errors carry the byte offset of the bad token. */

struct wparse {
	const char *s;
	size_t pos;
	const struct dbc_db *db;
	const struct dbc_message *own;
	struct upl_op *ops;
	unsigned int nops, nest;
	size_t errpos;
	char err[200];
};

static int wfail(struct wparse *w, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int wfail(struct wparse *w, size_t at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	w->errpos = at;
	return -EINVAL;
}

static void wskip(struct wparse *w)
{
	while (w->s[w->pos] == ' ' || w->s[w->pos] == '\t' || w->s[w->pos] == '\n' ||
	       w->s[w->pos] == '\r')
		w->pos++;
}

static int wemit(struct wparse *w, size_t at, uint8_t op)
{
	if (w->nops == UPL_WHEN_OPS_MAX)
		return wfail(w, at, "when: more than %d terms and operators", UPL_WHEN_OPS_MAX);
	memset(&w->ops[w->nops], 0, sizeof(w->ops[0]));
	w->ops[w->nops].op = op;
	w->nops++;
	return 0;
}

static int is_word(char ch, int first)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' ||
	       (!first && ch >= '0' && ch <= '9');
}

/* A word at w->pos into buf; 0 or an error. */
static int wword(struct wparse *w, char *buf, size_t cap)
{
	size_t at = w->pos, n;

	if (!is_word(w->s[at], 1)) {
		if (!w->s[at])
			return wfail(w, at, "when: expected a signal name at the end");
		return wfail(w, at, "when: expected a signal name, found '%c'",
			     (unsigned char)w->s[at] > ' ' ? w->s[at] : '?');
	}
	while (is_word(w->s[w->pos], 0))
		w->pos++;
	n = w->pos - at;
	if (n >= cap)
		return wfail(w, at, "when: name longer than %zu characters", cap - 1);
	memcpy(buf, w->s + at, n);
	buf[n] = 0;
	return 0;
}

/* A signal: NAME (of the collected message, else of the one message in the
 * DBC that has it) or MESSAGE.NAME. */
static int wsignal(struct wparse *w, const struct dbc_signal **out)
{
	const struct dbc_message *m = NULL, *other = NULL;
	const struct dbc_signal *sig;
	char a[256], b[256];
	size_t at = w->pos, at2;
	unsigned int i;
	int e;

	e = wword(w, a, sizeof(a));
	if (e)
		return e;
	if (w->s[w->pos] == '.') {
		w->pos++;
		at2 = w->pos;
		e = wword(w, b, sizeof(b));
		if (e)
			return e;
		m = dbc_find_msg(w->db, a);
		if (!m)
			return wfail(w, at, "when: no message '%s' in the DBC", a);
		*out = dbc_find_sig(m, b);
		if (!*out)
			return wfail(w, at2, "when: message %s has no signal '%s'", m->name, b);
		return 0;
	}
	*out = dbc_find_sig(w->own, a);
	if (*out)
		return 0;
	for (i = 0; i < w->db->nmsgs; i++) {
		sig = dbc_find_sig(&w->db->msgs[i], a);
		if (!sig)
			continue;
		if (m) {
			other = sig->msg;
			break;
		}
		m = sig->msg;
		*out = sig;
	}
	if (!m)
		return wfail(w, at, "when: no signal '%s' in the DBC", a);
	if (other)
		return wfail(w, at, "when: signal '%s' is in %s and %s: write MESSAGE.%s", a,
			     m->name, other->name, a);
	return 0;
}

/* A number as strtod reads it, but only decimal: no hex, inf or nan. */
static int wnumber(struct wparse *w, double *v)
{
	const char *s = w->s;
	size_t at = w->pos, p = at, digits = 0;
	char buf[64];

	if (s[p] == '+' || s[p] == '-')
		p++;
	while (s[p] >= '0' && s[p] <= '9')
		p++, digits++;
	if (s[p] == '.')
		for (p++; s[p] >= '0' && s[p] <= '9'; p++)
			digits++;
	if (digits && (s[p] == 'e' || s[p] == 'E')) {
		size_t q = p + 1;

		if (s[q] == '+' || s[q] == '-')
			q++;
		if (s[q] >= '0' && s[q] <= '9') {
			while (s[q] >= '0' && s[q] <= '9')
				q++;
			p = q;
		}
	}
	if (!digits || is_word(s[p], 0) || s[p] == '.')
		return wfail(w, at, "when: expected a number");
	if (p - at >= sizeof(buf))
		return wfail(w, at, "when: number longer than %zu characters", sizeof(buf) - 1);
	memcpy(buf, s + at, p - at);
	buf[p - at] = 0;
	*v = strtod(buf, NULL);
	if (!isfinite(*v))
		return wfail(w, at, "when: number out of range");
	w->pos = p;
	return 0;
}

static int wcompare(struct wparse *w)
{
	static const struct {
		const char *text;
		uint8_t op;
	} ops[] = {{"<=", UPL_OP_LE}, {">=", UPL_OP_GE}, {"==", UPL_OP_EQ},
		   {"!=", UPL_OP_NE}, {"<", UPL_OP_LT},	 {">", UPL_OP_GT}};
	const struct dbc_signal *sig;
	size_t at = w->pos, k;
	double num = 0;
	int e;

	e = wsignal(w, &sig);
	if (e)
		return e;
	wskip(w);
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (!strncmp(w->s + w->pos, ops[k].text, strlen(ops[k].text)))
			break;
	if (k == sizeof(ops) / sizeof(ops[0]))
		return wfail(w, w->pos, "when: expected <, <=, >, >=, == or != after %s",
			     sig->name);
	w->pos += strlen(ops[k].text);
	wskip(w);
	e = wnumber(w, &num);
	if (!e)
		e = wemit(w, at, ops[k].op);
	if (e)
		return e;
	w->ops[w->nops - 1].num = num;
	w->ops[w->nops - 1].msg = (uint32_t)(sig->msg - w->db->msgs);
	w->ops[w->nops - 1].sig = (uint16_t)sig->index;
	return 0;
}

static int wor(struct wparse *w);

static int wunary(struct wparse *w)
{
	size_t at;
	int e;

	wskip(w);
	at = w->pos;
	if (++w->nest > UPL_WHEN_NEST_MAX)
		return wfail(w, at, "when: nested deeper than %d", UPL_WHEN_NEST_MAX);
	if (w->s[at] == '!' && w->s[at + 1] != '=') {
		w->pos++;
		e = wunary(w);
		if (!e)
			e = wemit(w, at, UPL_OP_NOT);
	} else if (w->s[at] == '(') {
		w->pos++;
		e = wor(w);
		if (!e) {
			wskip(w);
			if (w->s[w->pos] != ')')
				e = wfail(w, w->s[w->pos] ? w->pos : at,
					  w->s[w->pos] ? "when: expected ')'"
						       : "when: this '(' is never closed");
			else
				w->pos++;
		}
	} else {
		e = wcompare(w);
	}
	w->nest--;
	return e;
}

/* a && b && ...: left to right */
static int wand(struct wparse *w)
{
	int e = wunary(w);
	size_t at;

	while (!e) {
		wskip(w);
		at = w->pos;
		if (w->s[at] != '&' || w->s[at + 1] != '&')
			break;
		w->pos += 2;
		e = wunary(w);
		if (!e)
			e = wemit(w, at, UPL_OP_AND);
	}
	return e;
}

static int wor(struct wparse *w)
{
	int e = wand(w);
	size_t at;

	while (!e) {
		wskip(w);
		at = w->pos;
		if (w->s[at] != '|' || w->s[at + 1] != '|')
			break;
		w->pos += 2;
		e = wand(w);
		if (!e)
			e = wemit(w, at, UPL_OP_OR);
	}
	return e;
}

/* The error at byte pos of when's text, at its column in the file when the
 * scalar is on one line as written (plain or quoted, no escapes); else at
 * the scalar's start. */
static int when_error(struct yml_rd *r, const yaml_node_t *n, size_t pos, const char *msg)
{
	yaml_node_t at = *n;
	size_t len = n->data.scalar.length, q;

	q = n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	if (n->type == YAML_SCALAR_NODE && n->start_mark.line == n->end_mark.line &&
	    (q || n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) &&
	    n->end_mark.column - n->start_mark.column == len + 2 * q && pos <= len)
		at.start_mark.column += q + pos;
	return yml_error(r->y, &at, "%s", msg);
}

static int when_compile(struct yml_rd *r, struct upl_collect *it, const yaml_node_t *n)
{
	struct upl_conf *c = r->ctx;
	struct upl_op ops[UPL_WHEN_OPS_MAX];
	struct wparse w = {.s = it->when, .db = c->db, .own = it->msg, .ops = ops};
	struct upl_op *keep;
	int e;

	wskip(&w);
	if (!w.s[w.pos])
		return when_error(r, n, w.pos, "when: empty condition");
	e = wor(&w);
	if (!e) {
		wskip(&w);
		if (w.s[w.pos] == ')')
			e = wfail(&w, w.pos, "when: ')' without its '('");
		else if (w.s[w.pos])
			e = wfail(&w, w.pos, "when: expected && or || or the end, found '%c'",
				  (unsigned char)w.s[w.pos] > ' ' ? w.s[w.pos] : '?');
	}
	if (e)
		return when_error(r, n, w.errpos, w.err);
	keep = yml_alloc(r, w.nops * sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	memcpy(keep, ops, w.nops * sizeof(*keep));
	it->ops = keep;
	it->nops = w.nops;
	return 0;
}

/* before_ms: how much history to keep, bounded from the file alone: at
 * most one sample per every_ms interval, else twice what the DBC's cycle
 * time lets the message send. */
static int hist_bound(struct yml_rd *r, struct upl_collect *arr, size_t i, const yaml_node_t *n)
{
	struct upl_conf *c = r->ctx;
	struct upl_collect *it = arr + i;
	uint64_t per, total = 0;
	size_t j;

	if (it->every_ms)
		per = it->before_ms / it->every_ms + 1;
	else if (it->msg->cycle_time > 0)
		per = 2 * (it->before_ms / (uint64_t)it->msg->cycle_time + 1);
	else
		return yml_error(r->y, n,
				 "before_ms: %s has no GenMsgCycleTime in the DBC to bound the "
				 "history kept: sample it with every_ms",
				 it->msg->name);
	for (j = 0; j < i; j++)
		total += arr[j].hist;
	total += per * c->nifs;
	if (total > UPL_HIST_MAX)
		return yml_error(r->y, n,
				 "before_ms: %llu samples of history in all, more than %u: "
				 "shorten before_ms or sample with every_ms",
				 (unsigned long long)total, UPL_HIST_MAX);
	it->hist = (uint32_t)(per * c->nifs);
	return 0;
}

static const struct yml_key collect_keys[] = {
	{.name = "message",
	 .type = YML_STR,
	 .flags = YML_REQ,
	 YML_OFF(struct upl_collect, message)},
	YML_KEY_KNOWN("signals"),
	{.name = "every_ms",
	 .type = YML_UINT,
	 YML_OFF(struct upl_collect, every_ms),
	 .min = 1,
	 .max = UPL_EVERY_MS_MAX},
	YML_KEY_BOOL("on_change", struct upl_collect, on_change),
	{.name = "when", .type = YML_STR, YML_OFF(struct upl_collect, when)},
	{.name = "before_ms",
	 .type = YML_UINT,
	 YML_OFF(struct upl_collect, before_ms),
	 .max = UPL_EVERY_MS_MAX},
	{.name = "after_ms",
	 .type = YML_UINT,
	 YML_OFF(struct upl_collect, after_ms),
	 .max = UPL_EVERY_MS_MAX},
	{0},
};

static int signals_of(struct yml_rd *r, struct upl_collect *it, const yaml_node_t *n)
{
	const struct dbc_message *m = it->msg;
	size_t len, k;
	int e;

	e = yml_seq(r->y, n, &len);
	if (e)
		return e;
	if (!len)
		return yml_error(r->y, n, "signals: name at least one (or leave signals out: all)");
	for (k = 0; k < len; k++) {
		yaml_node_t *s = yml_seq_item(r->y, n, k);
		const struct dbc_signal *sig;
		const char *name;

		e = yml_str(r->y, s, &name);
		if (e)
			return e;
		sig = dbc_find_sig(m, name);
		if (!sig)
			return yml_error(r->y, s, "message %s has no signal '%s'", m->name, name);
		if (it->sel[sig->index])
			return yml_error(r->y, s, "signal %s is listed twice", sig->name);
		it->sel[sig->index] = 1;
		it->nsel++;
	}
	return 0;
}

static int collect_item(struct yml_rd *r, const yaml_node_t *n, void *arr, size_t i)
{
	struct upl_conf *c = r->ctx;
	struct upl_collect *it = (struct upl_collect *)arr + i;
	yaml_node_t *sigs = yml_get(r->y, n, "signals");
	yaml_node_t *msg = yml_get(r->y, n, "message");
	unsigned int k;
	size_t j;

	it->line = (unsigned int)n->start_mark.line + 1;
	it->msg = dbc_find_msg(c->db, it->message);
	if (!it->msg)
		return yml_error(r->y, msg, "no message '%s' in %s", it->message, c->dbc_path);
	for (j = 0; j < i; j++)
		if (((struct upl_collect *)arr)[j].msg == it->msg)
			return yml_error(r->y, msg, "message %s is collected twice (line %u)",
					 it->msg->name, ((struct upl_collect *)arr)[j].line);
	it->sel = yml_alloc(r, it->msg->nsigs + 1);
	if (!it->sel)
		return -ENOMEM;
	if (sigs) {
		int e = signals_of(r, it, sigs);

		if (e)
			return e;
	} else {
		for (k = 0; k < it->msg->nsigs; k++)
			it->sel[k] = 1;
		it->nsel = it->msg->nsigs;
	}
	if (it->every_ms && it->on_change)
		return yml_error(r->y, n, "every_ms and on_change exclude each other");
	it->mode = it->every_ms ? UPL_EVERY_MS : it->on_change ? UPL_ON_CHANGE : UPL_EVERY_FRAME;
	if (it->when) {
		int e = when_compile(r, it, yml_get(r->y, n, "when"));

		if (e)
			return e;
	} else if (it->before_ms || it->after_ms) {
		return yml_error(r->y, yml_get(r->y, n, it->before_ms ? "before_ms" : "after_ms"),
				 "%s needs a when: condition",
				 it->before_ms ? "before_ms" : "after_ms");
	}
	if (it->before_ms)
		return hist_bound(r, arr, i, yml_get(r->y, n, "before_ms"));
	return 0;
}

/* zstd would be a new build dependency (libzstd-dev) that python3 cannot
 * check: deflate (zlib, linked already) only */
static const char *const zips[] = {"none", "deflate", NULL};

static const struct yml_key batch_keys[] = {
	{.name = "max_ms",
	 .type = YML_UINT,
	 .off = offsetof(struct upl_conf, batch.max_ms) - offsetof(struct upl_conf, batch),
	 .size = sizeof(uint32_t),
	 .min = 1,
	 .max = UPL_EVERY_MS_MAX},
	{.name = "max_bytes",
	 .type = YML_UINT,
	 .off = offsetof(struct upl_conf, batch.max_bytes) - offsetof(struct upl_conf, batch),
	 .size = sizeof(uint32_t),
	 .min = UPL_BATCH_BYTES_MIN,
	 .max = UPL_BATCH_BYTES_MAX},
	{.name = "compress",
	 .type = YML_ENUM,
	 .off = offsetof(struct upl_conf, batch.compress) - offsetof(struct upl_conf, batch),
	 .size = sizeof(uint32_t),
	 .names = zips,
	 .what = "compression"},
	{0},
};

static const struct yml_key spool_keys[] = {
	{.name = "dir",
	 .type = YML_STR,
	 .flags = YML_REQ,
	 .off = offsetof(struct upl_conf, spool.dir) - offsetof(struct upl_conf, spool),
	 .size = sizeof(const char *)},
	{.name = "max_mb",
	 .type = YML_UINT,
	 .off = offsetof(struct upl_conf, spool.max_mb) - offsetof(struct upl_conf, spool),
	 .size = sizeof(uint32_t),
	 .min = 1,
	 .max = 65536},
	{0},
};

static int spool_fn(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct upl_conf *c = r->ctx;

	(void)p;
	(void)i;
	if (!*c->spool.dir)
		return yml_error(r->y, n, "spool: dir must not be empty");
	return 0;
}

/* In reading order: topic needs vehicle, collect needs dbc. */
static const struct yml_key top_keys[] = {
	YML_KEY_FN("vehicle", struct upl_conf, vehicle, topic_word, YML_REQ),
	{.name = "broker",
	 .type = YML_MAP,
	 .flags = YML_REQ,
	 YML_OFF(struct upl_conf, broker),
	 .sub = broker_keys,
	 .fn = broker_fn},
	YML_KEY_FN("topic", struct upl_conf, topic, topic_fn, YML_REQ),
	YML_KEY_FN("dbc", struct upl_conf, dbc_path, dbc_fn, YML_REQ),
	YML_KEY_CALL("interfaces", ifs_fn, YML_REQ),
	{.name = "collect",
	 .type = YML_LIST,
	 .flags = YML_REQ,
	 YML_OFF(struct upl_conf, collect),
	 YML_OFF2(struct upl_conf, ncollect),
	 .sub = collect_keys,
	 .item_size = sizeof(struct upl_collect),
	 .fn = collect_item},
	YML_KEY_MAP("batch", struct upl_conf, batch, batch_keys, NULL),
	{.name = "spool",
	 .type = YML_MAP,
	 .flags = YML_REQ,
	 YML_OFF(struct upl_conf, spool),
	 .sub = spool_keys,
	 .fn = spool_fn},
	{0},
};

static int load_doc(struct upl_conf *c, struct yml *y, int e, char *err, size_t cap)
{
	struct yml_rd r = {.y = y, .arena = &c->arena, .ctx = c};
	if (!e && !yml_root(y))
		e = yml_error(y, NULL,
			      "empty file: expected vehicle:, broker:, topic:, dbc:, "
			      "interfaces:, collect:, spool:");
	if (!e)
		e = yml_read_map(&r, yml_root(y), top_keys, c);
	if (!e && !c->ncollect)
		e = yml_error(y, yml_get(y, yml_root(y), "collect"),
			      "collect: name at least one message");
	if (!e && !c->broker.client_id) {
		char *id = yml_alloc(&r, strlen(c->vehicle) + 8);

		if (!id)
			e = -ENOMEM;
		else
			c->broker.client_id = strcat(strcpy(id, "canrig-"), c->vehicle);
	}
	yml_err_out(y, e, err, cap);
	yml_fini(y);
	if (e)
		upl_conf_fini(c);
	return e;
}

static void defaults(struct upl_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->broker.port = UPL_PORT_DEF;
	c->broker.keepalive = UPL_KEEPALIVE_DEF;
	c->broker.protocol = 4;
	c->batch.max_ms = UPL_BATCH_MS_DEF;
	c->batch.max_bytes = UPL_BATCH_BYTES_DEF;
	c->spool.max_mb = UPL_SPOOL_MB_DEF;
}

int upl_conf_load(struct upl_conf *c, const char *path, char *err, size_t cap)
{
	struct yml y;

	defaults(c);
	return load_doc(c, &y, yml_load_file(&y, path), err, cap);
}

int upl_conf_load_mem(struct upl_conf *c, const char *name, const void *buf, size_t len, char *err,
		      size_t cap)
{
	struct yml y;

	defaults(c);
	return load_doc(c, &y, yml_load_mem(&y, name, buf, len), err, cap);
}

void upl_conf_fini(struct upl_conf *c)
{
	dbc_free(c->db);
	yml_arena_free(&c->arena);
	memset(c, 0, sizeof(*c));
}
