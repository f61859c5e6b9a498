/* SPDX-License-Identifier: MIT */
/*
 * upl_conf.c - canrig uplink's YAML loader (upl_conf.h): key tables over
 * conf/yml_read.h, then the checks that need the DBC.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "upl_conf.h"
#include "yml.h"
#include "yml_read.h"

/* Planned by issue 24, not done yet: an error, never silently ignored.
 * yml_read's callbacks do not see the key: each planned key gets its own. */
#define NOT_YET(NAME)                                                                              \
	static int not_yet_##NAME(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)       \
	{                                                                                          \
		(void)p;                                                                           \
		(void)i;                                                                           \
		return yml_error(r->y, n, "'" #NAME "' is not supported yet");                     \
	}
NOT_YET(when)
NOT_YET(before_ms)
NOT_YET(after_ms)
NOT_YET(compress)

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
	YML_KEY_CALL("when", not_yet_when, 0),
	YML_KEY_CALL("before_ms", not_yet_before_ms, 0),
	YML_KEY_CALL("after_ms", not_yet_after_ms, 0),
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
	return 0;
}

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
	YML_KEY_CALL("compress", not_yet_compress, 0),
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
