/* SPDX-License-Identifier: MIT */
/* uds_sim_conf.c - ecu-sim YAML -> struct ecusim_cfg, validated key by key. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uds_sim_conf.h"
#include "yml.h"

#define MAX_MEM_AREA  (16u << 20) /* memory areas are held in RAM */
#define MAX_MEM_TOTAL (64u << 20) /* ... all of them, in one file */
#define MAX_BLOCK     (16u << 20) /* the receive buffer is this big */
#define MAX_RESPONSE  65535u

struct blk {
	struct blk *next;
	max_align_t data[];
};

struct ld {
	struct yml y;
	struct ecusim_cfg *c;
	uint64_t mem_total;
};

static void *alloc(struct ld *l, size_t n)
{
	struct blk *b = calloc(1, sizeof(*b) + (n ? n : 1));

	if (!b)
		return NULL;
	b->next = l->c->blocks;
	l->c->blocks = b;
	return b->data;
}

static int nomem(struct ld *l)
{
	snprintf(l->y.err, sizeof(l->y.err), "%s: out of memory", l->y.name);
	return -ENOMEM;
}

void ecusim_cfg_fini(struct ecusim_cfg *c)
{
	struct blk *b = c->blocks, *next;

	for (; b; b = next) {
		next = b->next;
		free(b);
	}
	memset(c, 0, sizeof(*c));
}

/* ---- small readers: absent keys keep *v */

static int opt_uint(struct ld *l, const yaml_node_t *m, const char *key, uint64_t max, uint64_t *v)
{
	yaml_node_t *n = yml_get(&l->y, m, key);

	return n ? yml_uint(&l->y, n, max, v) : 0;
}

static int opt_u32(struct ld *l, const yaml_node_t *m, const char *key, uint64_t max, uint32_t *v)
{
	uint64_t x = *v;
	int e = opt_uint(l, m, key, max, &x);

	*v = (uint32_t)x;
	return e;
}

static int opt_u8(struct ld *l, const yaml_node_t *m, const char *key, uint64_t max, uint8_t *v)
{
	uint64_t x = *v;
	int e = opt_uint(l, m, key, max, &x);

	*v = (uint8_t)x;
	return e;
}

static int opt_bool(struct ld *l, const yaml_node_t *m, const char *key, int *v)
{
	yaml_node_t *n = yml_get(&l->y, m, key);

	return n ? yml_bool(&l->y, n, v) : 0;
}

static int need_uint(struct ld *l, const yaml_node_t *m, const char *key, uint64_t max, uint64_t *v)
{
	yaml_node_t *n;

	if (yml_need(&l->y, m, key, &n))
		return -EINVAL;
	return yml_uint(&l->y, n, max, v);
}

/* Hex bytes of node n into a new buffer. */
static int hex_alloc(struct ld *l, const yaml_node_t *n, const uint8_t **out, size_t *len)
{
	uint8_t *p;
	size_t k;

	if (yml_hex(&l->y, n, NULL, 0, &k))
		return -EINVAL;
	p = alloc(l, k);
	if (!p)
		return nomem(l);
	if (yml_hex(&l->y, n, p, k, &k))
		return -EINVAL;
	*out = p;
	*len = k;
	return 0;
}

static int str_dup(struct ld *l, const yaml_node_t *n, const char **out)
{
	const char *s;
	char *p;

	if (yml_str(&l->y, n, &s))
		return -EINVAL;
	p = alloc(l, strlen(s) + 1);
	if (!p)
		return nomem(l);
	strcpy(p, s);
	*out = p;
	return 0;
}

static int str_env(struct ld *l, const yaml_node_t *n, const char **out)
{
	char *s, *p;
	int e = yml_str_env(&l->y, n, &s);

	if (e)
		return e == -ENOMEM ? nomem(l) : e;
	p = alloc(l, strlen(s) + 1);
	if (p)
		strcpy(p, s);
	free(s);
	if (!p)
		return nomem(l);
	*out = p;
	return 0;
}

/* A scalar or a list of scalars: calls fn for each. */
static int each_scalar(struct ld *l, const yaml_node_t *n,
		       int (*fn)(struct ld *l, const yaml_node_t *item, void *ctx), void *ctx)
{
	size_t i, len;
	int e;

	if (yml_is_scalar(n))
		return fn(l, n, ctx);
	if (yml_seq(&l->y, n, &len))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		e = fn(l, yml_seq_item(&l->y, n, i), ctx);
		if (e)
			return e;
	}
	return 0;
}

/* ---- sessions and security references */

struct ecu_ld {
	struct ecusim_ecu *ecu;
	struct uds_sim_session *sessions;
	size_t nsessions;
	struct uds_sim_security *security;
	size_t nsecurity;
};

struct ref_ctx {
	struct ecu_ld *el;
	uint8_t *map;
	uint64_t *levels;
};

static int session_id(struct ld *l, const yaml_node_t *n, uint8_t *id)
{
	static const struct {
		const char *name;
		uint8_t id;
	} names[] = {{"default", 1}, {"programming", 2}, {"extended", 3}, {"safety", 4}};
	const char *s;
	uint64_t v;
	size_t i;

	if (yml_str(&l->y, n, &s))
		return -EINVAL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name)) {
			*id = names[i].id;
			return 0;
		}
	if (yml_uint(&l->y, n, 0x7F, &v))
		return -EINVAL;
	if (!v)
		return yml_error(&l->y, n, "session 0 does not exist (0x01..0x7F)");
	*id = (uint8_t)v;
	return 0;
}

static int add_session_ref(struct ld *l, const yaml_node_t *n, void *ctx)
{
	struct ref_ctx *r = ctx;
	uint8_t id;
	size_t i;

	if (session_id(l, n, &id))
		return -EINVAL;
	for (i = 0; i < r->el->nsessions; i++)
		if (r->el->sessions[i].id == id)
			break;
	if (i == r->el->nsessions)
		return yml_error(&l->y, n, "session 0x%02X is not configured", id);
	uds_sim_map_set(r->map, id);
	return 0;
}

static int add_level_ref(struct ld *l, const yaml_node_t *n, void *ctx)
{
	struct ref_ctx *r = ctx;
	uint64_t v;
	size_t i;

	if (yml_uint(&l->y, n, 0x7D, &v))
		return -EINVAL;
	for (i = 0; i < r->el->nsecurity; i++)
		if (r->el->security[i].level == v)
			break;
	if (i == r->el->nsecurity)
		return yml_error(&l->y, n, "security level %llu is not configured",
				 (unsigned long long)v);
	*r->levels |= UDS_SIM_LEVEL_BIT(v);
	return 0;
}

static int sessions_ref(struct ld *l, struct ecu_ld *el, const yaml_node_t *n, uint8_t *map)
{
	struct ref_ctx r = {el, map, NULL};

	return n ? each_scalar(l, n, add_session_ref, &r) : 0;
}

/* "sessions:" and "security:" of mapping m */
static int access_of(struct ld *l, struct ecu_ld *el, const yaml_node_t *m,
		     struct uds_sim_access *a)
{
	struct ref_ctx r = {el, NULL, &a->security};
	yaml_node_t *n;

	if (sessions_ref(l, el, yml_get(&l->y, m, "sessions"), a->sessions))
		return -EINVAL;
	n = yml_get(&l->y, m, "security");
	return n ? each_scalar(l, n, add_level_ref, &r) : 0;
}

/* "read:" / "write:" sub-mappings holding sessions and security */
static int access_sub(struct ld *l, struct ecu_ld *el, const yaml_node_t *m, const char *key,
		      struct uds_sim_access *a)
{
	static const char *const keys[] = {"sessions", "security", NULL};
	yaml_node_t *n = yml_get(&l->y, m, key);

	if (!n)
		return 0;
	if (yml_map_check(&l->y, n, keys))
		return -EINVAL;
	return access_of(l, el, n, a);
}

/* ---- sections */

static int add_service(struct ld *l, const yaml_node_t *n, void *ctx)
{
	uint64_t v;

	if (yml_uint(&l->y, n, 0xFF, &v))
		return -EINVAL;
	if (v < 0x10 || !uds_sim_implements((uint8_t)v))
		return yml_error(&l->y, n, "service 0x%02llX is not implemented",
				 (unsigned long long)v);
	uds_sim_map_set(ctx, (unsigned int)v);
	return 0;
}

static void default_sessions(struct ecu_ld *el)
{
	static const uint8_t ids[] = {0x01, 0x02, 0x03};
	size_t i;

	for (i = 0; i < 3; i++) {
		struct uds_sim_session *s = &el->sessions[i];

		s->id = ids[i];
		s->p2_ms = 50;
		s->p2star_ms = 5000;
		uds_sim_all_services(s->sids);
		if (ids[i] != 0x02) /* transfers only when programming */
			s->sids[0x34 >> 3] &=
				(uint8_t) ~(1u << (0x34 & 7) | 1u << (0x36 & 7) | 1u << (0x37 & 7));
	}
	el->nsessions = 3;
}

static int load_sessions(struct ld *l, struct ecu_ld *el, const yaml_node_t *n)
{
	static const char *const keys[] = {"id", "p2_ms", "p2star_ms", "services", NULL};
	size_t i, k, len;
	int have_default = 0;

	if (!n) {
		el->sessions = alloc(l, 3 * sizeof(*el->sessions));
		if (!el->sessions)
			return nomem(l);
		default_sessions(el);
		return 0;
	}
	if (yml_seq(&l->y, n, &len))
		return -EINVAL;
	el->sessions = alloc(l, len * sizeof(*el->sessions));
	if (!el->sessions)
		return nomem(l);
	for (i = 0; i < len; i++) {
		yaml_node_t *m = yml_seq_item(&l->y, n, i), *v;
		struct uds_sim_session *s = &el->sessions[i];

		if (yml_map_check(&l->y, m, keys) || yml_need(&l->y, m, "id", &v) ||
		    session_id(l, v, &s->id))
			return -EINVAL;
		for (k = 0; k < i; k++)
			if (el->sessions[k].id == s->id)
				return yml_error(&l->y, v, "session 0x%02X defined twice", s->id);
		have_default |= s->id == 1;
		s->p2_ms = 50;
		s->p2star_ms = 5000;
		{
			uint32_t p2 = s->p2_ms;

			if (opt_u32(l, m, "p2_ms", 0xFFFF, &p2) ||
			    opt_u32(l, m, "p2star_ms", 655350, &s->p2star_ms))
				return -EINVAL;
			s->p2_ms = (uint16_t)p2;
		}
		v = yml_get(&l->y, m, "services");
		if (!v)
			uds_sim_all_services(s->sids);
		else if (each_scalar(l, v, add_service, s->sids))
			return -EINVAL;
		el->nsessions++;
	}
	if (!have_default)
		return yml_error(&l->y, n, "the default session (id 0x01) is missing");
	return 0;
}

static int load_security(struct ld *l, struct ecu_ld *el, const yaml_node_t *n)
{
	static const char *const keys[] = {"level", "seed_len", "algorithm", "constant", "command",
					   "seed",  "attempts", "delay_ms",  "sessions", NULL};
	size_t i, k, len;

	if (!n)
		return 0;
	if (yml_seq(&l->y, n, &len))
		return -EINVAL;
	el->security = alloc(l, len * sizeof(*el->security));
	if (!el->security)
		return nomem(l);
	for (i = 0; i < len; i++) {
		yaml_node_t *m = yml_seq_item(&l->y, n, i), *v, *cmd, *seed;
		struct uds_sim_security *s = &el->security[i];
		uint64_t x;
		int have_len;

		if (yml_map_check(&l->y, m, keys) || yml_need(&l->y, m, "level", &v) ||
		    yml_uint(&l->y, v, 0x7D, &x))
			return -EINVAL;
		if (!(x & 1))
			return yml_error(&l->y, v,
					 "security level must be odd "
					 "(the requestSeed sub-function), got %llu",
					 (unsigned long long)x);
		s->level = (uint8_t)x;
		for (k = 0; k < i; k++)
			if (el->security[k].level == s->level)
				return yml_error(&l->y, v, "level %u defined twice", s->level);
		have_len = yml_get(&l->y, m, "seed_len") != NULL;
		s->seed_len = 4;
		s->max_attempts = 3;
		s->delay_ms = 10000;
		if (opt_u8(l, m, "seed_len", UDS_SIM_SEED_MAX, &s->seed_len) ||
		    opt_u32(l, m, "constant", 0xFFFFFFFF, &s->constant) ||
		    opt_u8(l, m, "attempts", 255, &s->max_attempts) ||
		    opt_u32(l, m, "delay_ms", 86400000, &s->delay_ms))
			return -EINVAL;
		if (!s->seed_len)
			return yml_error(&l->y, yml_get(&l->y, m, "seed_len"),
					 "seed_len must be 1..%d", UDS_SIM_SEED_MAX);
		if (!s->max_attempts)
			return yml_error(&l->y, yml_get(&l->y, m, "attempts"),
					 "attempts must be 1..255");
		seed = yml_get(&l->y, m, "seed");
		if (seed) {
			const uint8_t *p;
			size_t sl;

			if (hex_alloc(l, seed, &p, &sl))
				return -EINVAL;
			if (!sl || sl > UDS_SIM_SEED_MAX || (have_len && sl != s->seed_len))
				return yml_error(&l->y, seed,
						 "seed must have seed_len "
						 "(1..%d) bytes",
						 UDS_SIM_SEED_MAX);
			s->seed_len = (uint8_t)sl;
			s->fixed_seed = p;
		}
		cmd = yml_get(&l->y, m, "command");
		v = yml_get(&l->y, m, "algorithm");
		s->algo = cmd ? UDS_SIM_KEY_EXTERNAL : UDS_SIM_KEY_XOR;
		if (v) {
			const char *a;

			if (yml_str(&l->y, v, &a))
				return -EINVAL;
			if (!strcmp(a, "xor"))
				s->algo = UDS_SIM_KEY_XOR;
			else if (!strcmp(a, "add"))
				s->algo = UDS_SIM_KEY_ADD;
			else if (!strcmp(a, "not"))
				s->algo = UDS_SIM_KEY_NOT;
			else if (!strcmp(a, "external"))
				s->algo = UDS_SIM_KEY_EXTERNAL;
			else
				return yml_error(&l->y, v,
						 "unknown algorithm '%s' "
						 "(xor, add, not, external)",
						 a);
		}
		if ((s->algo == UDS_SIM_KEY_EXTERNAL) != (cmd != NULL))
			return yml_error(&l->y, cmd ? cmd : m,
					 cmd ? "command: needs algorithm external (or none)"
					     : "algorithm external needs a command:");
		if (cmd && str_env(l, cmd, &el->ecu->key_cmd[s->level >> 1]))
			return -EINVAL;
		el->nsecurity++; /* before the session check: sessions exist */
		if (sessions_ref(l, el, yml_get(&l->y, m, "sessions"), s->sessions))
			return -EINVAL;
	}
	return 0;
}

/* data:, ascii: or size: of an item; *len 0 if none given */
static int value_of(struct ld *l, const yaml_node_t *m, const uint8_t **data, size_t *len,
		    uint64_t maxsize)
{
	yaml_node_t *d = yml_get(&l->y, m, "data"), *a = yml_get(&l->y, m, "ascii"),
		    *sz = yml_get(&l->y, m, "size");
	uint64_t size = 0;
	uint8_t *p;

	*data = NULL;
	*len = 0;
	if (d && a)
		return yml_error(&l->y, a, "give data: or ascii:, not both");
	if (sz && yml_uint(&l->y, sz, maxsize, &size))
		return -EINVAL;
	if (sz && !size)
		return yml_error(&l->y, sz, "size must be at least 1");
	if (d && hex_alloc(l, d, data, len))
		return -EINVAL;
	if (a) {
		const char *s;

		if (yml_str(&l->y, a, &s))
			return -EINVAL;
		/* the document goes away after loading: copy */
		*len = strlen(s);
		p = alloc(l, *len);
		if (!p)
			return nomem(l);
		memcpy(p, s, *len);
		*data = p;
	}
	if ((d || a) && *len > maxsize)
		return yml_error(&l->y, d ? d : a, "longer than %llu bytes",
				 (unsigned long long)maxsize);
	if ((d || a) && sz && *len != size)
		return yml_error(&l->y, sz,
				 "size %llu does not match the %zu bytes "
				 "of data",
				 (unsigned long long)size, *len);
	if (!d && !a)
		*len = (size_t)size;
	return 0;
}

static int load_dids(struct ld *l, struct ecu_ld *el, const yaml_node_t *n)
{
	static const char *const keys[] = {"id",       "type", "data",	"ascii", "size",
					   "writable", "read", "write", NULL};
	struct uds_sim_did *dids;
	size_t i, k, len;

	if (!n)
		return 0;
	if (yml_seq(&l->y, n, &len))
		return -EINVAL;
	dids = alloc(l, len * sizeof(*dids));
	if (!dids)
		return nomem(l);
	for (i = 0; i < len; i++) {
		yaml_node_t *m = yml_seq_item(&l->y, n, i), *v, *t;
		struct uds_sim_did *d = &dids[i];
		uint64_t x;
		int w = 0;

		if (yml_map_check(&l->y, m, keys) || yml_need(&l->y, m, "id", &v) ||
		    yml_uint(&l->y, v, 0xFFFF, &x))
			return -EINVAL;
		d->id = (uint16_t)x;
		for (k = 0; k < i; k++)
			if (dids[k].id == d->id)
				return yml_error(&l->y, v, "DID 0x%04X defined twice", d->id);
		t = yml_get(&l->y, m, "type");
		d->kind = UDS_SIM_DID_DATA;
		if (t) {
			const char *s;

			if (yml_str(&l->y, t, &s))
				return -EINVAL;
			if (!strcmp(s, "counter"))
				d->kind = UDS_SIM_DID_COUNTER;
			else if (!strcmp(s, "clock"))
				d->kind = UDS_SIM_DID_CLOCK;
			else if (strcmp(s, "data"))
				return yml_error(&l->y, t,
						 "unknown DID type '%s' "
						 "(data, counter, clock)",
						 s);
		}
		if (value_of(l, m, &d->data, &d->len, d->kind == UDS_SIM_DID_DATA ? 4093 : 8))
			return -EINVAL;
		if (!d->len) {
			if (d->kind == UDS_SIM_DID_DATA)
				return yml_error(&l->y, m,
						 "DID 0x%04X needs data:, "
						 "ascii: or size:",
						 d->id);
			d->len = 4;
		}
		if (opt_bool(l, m, "writable", &w))
			return -EINVAL;
		if (w && d->kind != UDS_SIM_DID_DATA)
			return yml_error(&l->y, yml_get(&l->y, m, "writable"),
					 "counter and clock DIDs cannot be writable");
		d->writable = (uint8_t)w;
		if (access_sub(l, el, m, "read", &d->read) ||
		    access_sub(l, el, m, "write", &d->write))
			return -EINVAL;
	}
	el->ecu->sim.dids = dids;
	el->ecu->sim.ndids = len;
	return 0;
}

static int load_snapshots(struct ld *l, const yaml_node_t *n, struct uds_sim_dtc *d)
{
	static const char *const keys[] = {"record", "dids", NULL};
	static const char *const dkeys[] = {"id", "data", NULL};
	struct uds_sim_snapshot *sn;
	size_t i, k, len, nd;

	if (yml_seq(&l->y, n, &len))
		return -EINVAL;
	sn = alloc(l, len * sizeof(*sn));
	if (!sn)
		return nomem(l);
	for (i = 0; i < len; i++) {
		yaml_node_t *m = yml_seq_item(&l->y, n, i), *v, *ds;
		struct uds_sim_did_rec *recs;
		uint64_t x;

		if (yml_map_check(&l->y, m, keys) || yml_need(&l->y, m, "record", &v) ||
		    yml_uint(&l->y, v, 0xFE, &x))
			return -EINVAL;
		if (!x)
			return yml_error(&l->y, v, "snapshot records are 0x01..0xFE");
		sn[i].record = (uint8_t)x;
		if (yml_need(&l->y, m, "dids", &ds) || yml_seq(&l->y, ds, &nd))
			return -EINVAL;
		if (nd > 255)
			return yml_error(&l->y, ds, "at most 255 DIDs per record");
		recs = alloc(l, nd * sizeof(*recs));
		if (!recs)
			return nomem(l);
		for (k = 0; k < nd; k++) {
			yaml_node_t *dm = yml_seq_item(&l->y, ds, k), *dv;

			if (yml_map_check(&l->y, dm, dkeys) || yml_need(&l->y, dm, "id", &dv) ||
			    yml_uint(&l->y, dv, 0xFFFF, &x) || yml_need(&l->y, dm, "data", &dv) ||
			    hex_alloc(l, dv, &recs[k].data, &recs[k].len))
				return -EINVAL;
			recs[k].did = (uint16_t)x;
		}
		sn[i].dids = recs;
		sn[i].ndids = nd;
	}
	d->snapshots = sn;
	d->nsnapshots = len;
	return 0;
}

static int load_extended(struct ld *l, const yaml_node_t *n, struct uds_sim_dtc *d)
{
	static const char *const keys[] = {"record", "data", NULL};
	struct uds_sim_extdata *ext;
	size_t i, len;

	if (yml_seq(&l->y, n, &len))
		return -EINVAL;
	ext = alloc(l, len * sizeof(*ext));
	if (!ext)
		return nomem(l);
	for (i = 0; i < len; i++) {
		yaml_node_t *m = yml_seq_item(&l->y, n, i), *v;
		uint64_t x;

		if (yml_map_check(&l->y, m, keys) || yml_need(&l->y, m, "record", &v) ||
		    yml_uint(&l->y, v, 0xFD, &x))
			return -EINVAL;
		if (!x)
			return yml_error(&l->y, v, "extended data records are 0x01..0xFD");
		ext[i].record = (uint8_t)x;
		if (yml_need(&l->y, m, "data", &v) || hex_alloc(l, v, &ext[i].data, &ext[i].len))
			return -EINVAL;
	}
	d->ext = ext;
	d->next = len;
	return 0;
}

static int load_dtcs(struct ld *l, struct ecu_ld *el, const yaml_node_t *n)
{
	static const char *const keys[] = {"code",	"status",   "permanent",
					   "snapshots", "extended", NULL};
	struct uds_sim_dtc *dtcs;
	size_t i, k, len;

	if (!n)
		return 0;
	if (yml_seq(&l->y, n, &len))
		return -EINVAL;
	dtcs = alloc(l, len * sizeof(*dtcs));
	if (!dtcs)
		return nomem(l);
	for (i = 0; i < len; i++) {
		yaml_node_t *m = yml_seq_item(&l->y, n, i), *v;
		struct uds_sim_dtc *d = &dtcs[i];
		uint64_t x;
		int perm = 0;

		if (yml_map_check(&l->y, m, keys) || yml_need(&l->y, m, "code", &v) ||
		    yml_uint(&l->y, v, 0xFFFFFF, &x))
			return -EINVAL;
		d->code = (uint32_t)x;
		for (k = 0; k < i; k++)
			if (dtcs[k].code == d->code)
				return yml_error(&l->y, v, "DTC 0x%06X defined twice", d->code);
		d->status = 0x09;
		if (opt_u8(l, m, "status", 0xFF, &d->status) || opt_bool(l, m, "permanent", &perm))
			return -EINVAL;
		d->permanent = (uint8_t)perm;
		v = yml_get(&l->y, m, "snapshots");
		if (v && load_snapshots(l, v, d))
			return -EINVAL;
		v = yml_get(&l->y, m, "extended");
		if (v && load_extended(l, v, d))
			return -EINVAL;
	}
	el->ecu->sim.dtcs = dtcs;
	el->ecu->sim.ndtcs = len;
	return 0;
}

static int load_routines(struct ld *l, struct ecu_ld *el, const yaml_node_t *n)
{
	static const char *const keys[] = {"id",       "start",	   "result", "pending_ms",
					   "sessions", "security", NULL};
	struct uds_sim_routine *rs;
	size_t i, k, len;

	if (!n)
		return 0;
	if (yml_seq(&l->y, n, &len))
		return -EINVAL;
	rs = alloc(l, len * sizeof(*rs));
	if (!rs)
		return nomem(l);
	for (i = 0; i < len; i++) {
		yaml_node_t *m = yml_seq_item(&l->y, n, i), *v;
		struct uds_sim_routine *r = &rs[i];
		uint64_t x;

		if (yml_map_check(&l->y, m, keys) || yml_need(&l->y, m, "id", &v) ||
		    yml_uint(&l->y, v, 0xFFFF, &x))
			return -EINVAL;
		r->id = (uint16_t)x;
		for (k = 0; k < i; k++)
			if (rs[k].id == r->id)
				return yml_error(&l->y, v, "routine 0x%04X defined twice", r->id);
		v = yml_get(&l->y, m, "start");
		if (v && hex_alloc(l, v, &r->start_rec, &r->start_len))
			return -EINVAL;
		v = yml_get(&l->y, m, "result");
		if (v && hex_alloc(l, v, &r->result, &r->result_len))
			return -EINVAL;
		if (opt_u32(l, m, "pending_ms", 600000, &r->pending_ms) ||
		    access_of(l, el, m, &r->access))
			return -EINVAL;
	}
	el->ecu->sim.routines = rs;
	el->ecu->sim.nroutines = len;
	return 0;
}

static int load_io(struct ld *l, struct ecu_ld *el, const yaml_node_t *n)
{
	static const char *const keys[] = {"id", "data", "size", "sessions", "security", NULL};
	struct uds_sim_io *ios;
	size_t i, k, len;

	if (!n)
		return 0;
	if (yml_seq(&l->y, n, &len))
		return -EINVAL;
	ios = alloc(l, len * sizeof(*ios));
	if (!ios)
		return nomem(l);
	for (i = 0; i < len; i++) {
		yaml_node_t *m = yml_seq_item(&l->y, n, i), *v;
		struct uds_sim_io *io = &ios[i];
		uint64_t x;

		if (yml_map_check(&l->y, m, keys) || yml_need(&l->y, m, "id", &v) ||
		    yml_uint(&l->y, v, 0xFFFF, &x))
			return -EINVAL;
		io->did = (uint16_t)x;
		for (k = 0; k < i; k++)
			if (ios[k].did == io->did)
				return yml_error(&l->y, v, "IO DID 0x%04X defined twice", io->did);
		for (k = 0; k < el->ecu->sim.ndids; k++)
			if (el->ecu->sim.dids[k].id == io->did)
				return yml_error(&l->y, v,
						 "0x%04X is already a DID in "
						 "dids:",
						 io->did);
		if (value_of(l, m, &io->initial, &io->len, 4000))
			return -EINVAL;
		if (!io->len)
			return yml_error(&l->y, m, "IO DID 0x%04X needs data: or size:", io->did);
		if (access_of(l, el, m, &io->access))
			return -EINVAL;
	}
	el->ecu->sim.ios = ios;
	el->ecu->sim.nios = len;
	return 0;
}

static int load_memory(struct ld *l, struct ecu_ld *el, const yaml_node_t *n)
{
	static const char *const keys[] = {"address",  "size", "fill",	"data",
					   "writable", "read", "write", NULL};
	struct uds_sim_mem *ms;
	size_t i, len;

	if (!n)
		return 0;
	if (yml_seq(&l->y, n, &len))
		return -EINVAL;
	ms = alloc(l, len * sizeof(*ms));
	if (!ms)
		return nomem(l);
	for (i = 0; i < len; i++) {
		yaml_node_t *m = yml_seq_item(&l->y, n, i), *v;
		struct uds_sim_mem *a = &ms[i];
		uint64_t x;
		int w = 0;

		if (yml_map_check(&l->y, m, keys) || need_uint(l, m, "address", 0xFFFFFFFF, &x))
			return -EINVAL;
		a->addr = (uint32_t)x;
		if (yml_need(&l->y, m, "size", &v) || yml_uint(&l->y, v, MAX_MEM_AREA, &x))
			return -EINVAL;
		if (!x || (uint64_t)a->addr + x > 0x100000000ull)
			return yml_error(&l->y, v,
					 "size must be 1..%u and stay "
					 "below 4 GiB",
					 MAX_MEM_AREA);
		a->size = (uint32_t)x;
		l->mem_total += x;
		if (l->mem_total > MAX_MEM_TOTAL)
			return yml_error(&l->y, v,
					 "memory areas of the file add up to "
					 "more than %u MiB",
					 MAX_MEM_TOTAL >> 20);
		if (opt_u8(l, m, "fill", 0xFF, &a->fill) || opt_bool(l, m, "writable", &w))
			return -EINVAL;
		a->writable = (uint8_t)w;
		v = yml_get(&l->y, m, "data");
		if (v && hex_alloc(l, v, &a->init, &a->init_len))
			return -EINVAL;
		if (a->init_len > a->size)
			return yml_error(&l->y, v, "data longer than size");
		if (access_sub(l, el, m, "read", &a->read) ||
		    access_sub(l, el, m, "write", &a->write))
			return -EINVAL;
	}
	el->ecu->sim.mems = ms;
	el->ecu->sim.nmems = len;
	return 0;
}

static int load_download(struct ld *l, struct ecu_ld *el, const yaml_node_t *m)
{
	static const char *const keys[] = {"address",	 "size",     "max_block",
					   "file",	 "sessions", "security",
					   "fail_block", "fail_nrc", NULL};
	struct uds_sim_download *d = &el->ecu->sim.download;
	yaml_node_t *v;
	uint64_t x;

	if (!m)
		return 0;
	if (yml_map_check(&l->y, m, keys) || need_uint(l, m, "address", 0xFFFFFFFF, &x))
		return -EINVAL;
	d->addr = (uint32_t)x;
	if (yml_need(&l->y, m, "size", &v) || yml_uint(&l->y, v, 0xFFFFFFFF, &x))
		return -EINVAL;
	if (!x || (uint64_t)d->addr + x > 0x100000000ull)
		return yml_error(&l->y, v,
				 "size must be at least 1 and the region "
				 "stay below 4 GiB");
	d->size = (uint32_t)x;
	d->max_block = 0x402;
	if (opt_u32(l, m, "max_block", MAX_BLOCK, &d->max_block))
		return -EINVAL;
	if (d->max_block < 3)
		return yml_error(&l->y, yml_get(&l->y, m, "max_block"),
				 "max_block counts SID and counter: 3..%u", MAX_BLOCK);
	v = yml_get(&l->y, m, "file");
	if (v && str_env(l, v, &el->ecu->download_file))
		return -EINVAL;
	d->fail_nrc = 0x72;
	if (opt_u32(l, m, "fail_block", 0xFFFFFFFF, &d->fail_block) ||
	    opt_u8(l, m, "fail_nrc", 0xFF, &d->fail_nrc))
		return -EINVAL;
	/* a final NRC: 0x78 would keep the tester waiting for nothing */
	if (d->fail_nrc < 0x10 || d->fail_nrc == 0x78)
		return yml_error(&l->y, yml_get(&l->y, m, "fail_nrc"),
				 "fail_nrc is a negative response code 0x10..0xFF, not 0x78");
	if (yml_get(&l->y, m, "sessions")) {
		if (access_of(l, el, m, &d->access))
			return -EINVAL;
	} else {
		size_t i;

		for (i = 0; i < el->nsessions && el->sessions[i].id != 0x02; i++)
			;
		if (i == el->nsessions)
			return yml_error(&l->y, m,
					 "download: without sessions: needs "
					 "the programming session 0x02");
		uds_sim_map_set(d->access.sessions, 0x02);
		if (access_of(l, el, m, &d->access))
			return -EINVAL;
	}
	d->enabled = 1;
	return 0;
}

static int load_pending(struct ld *l, struct ecu_ld *el, const yaml_node_t *n)
{
	static const char *const keys[] = {"sid", "ms", NULL};
	struct uds_sim_delay *ds;
	size_t i, len;

	if (!n)
		return 0;
	if (yml_seq(&l->y, n, &len))
		return -EINVAL;
	ds = alloc(l, len * sizeof(*ds));
	if (!ds)
		return nomem(l);
	for (i = 0; i < len; i++) {
		yaml_node_t *m = yml_seq_item(&l->y, n, i), *v;
		uint64_t x;

		if (yml_map_check(&l->y, m, keys) || yml_need(&l->y, m, "sid", &v) ||
		    yml_uint(&l->y, v, 0xFF, &x))
			return -EINVAL;
		if (!uds_sim_implements((uint8_t)x))
			return yml_error(&l->y, v, "service 0x%02llX is not implemented",
					 (unsigned long long)x);
		ds[i].sid = (uint8_t)x;
		if (need_uint(l, m, "ms", 600000, &x))
			return -EINVAL;
		ds[i].ms = (uint32_t)x;
	}
	el->ecu->sim.delays = ds;
	el->ecu->sim.ndelays = len;
	return 0;
}

static int load_obd(struct ld *l, struct ecu_ld *el, const yaml_node_t *m)
{
	static const char *const keys[] = {"pids", "vin", "ecu_name", NULL};
	static const char *const pkeys[] = {"pid", "data", NULL};
	struct uds_sim_obd *o = &el->ecu->sim.obd;
	struct uds_sim_obd_pid *pids = NULL;
	yaml_node_t *n, *v;
	size_t i, k, len = 0;

	if (!m)
		return 0;
	if (yml_map_check(&l->y, m, keys))
		return -EINVAL;
	n = yml_get(&l->y, m, "pids");
	if (n) {
		if (yml_seq(&l->y, n, &len))
			return -EINVAL;
		pids = alloc(l, len * sizeof(*pids));
		if (!pids)
			return nomem(l);
	}
	for (i = 0; i < len; i++) {
		yaml_node_t *pm = yml_seq_item(&l->y, n, i);
		uint64_t x;

		if (yml_map_check(&l->y, pm, pkeys) || yml_need(&l->y, pm, "pid", &v) ||
		    yml_uint(&l->y, v, 0xFF, &x))
			return -EINVAL;
		if (x % 0x20 == 0)
			return yml_error(&l->y, v,
					 "PID 0x%02llX lists supported PIDs: "
					 "it is computed",
					 (unsigned long long)x);
		pids[i].pid = (uint8_t)x;
		for (k = 0; k < i; k++)
			if (pids[k].pid == pids[i].pid)
				return yml_error(&l->y, v, "PID 0x%02X defined twice", pids[i].pid);
		if (yml_need(&l->y, pm, "data", &v) || hex_alloc(l, v, &pids[i].data, &pids[i].len))
			return -EINVAL;
		if (!pids[i].len || pids[i].len > 4)
			return yml_error(&l->y, v, "mode 01 PIDs carry 1..4 bytes");
	}
	o->pids = pids;
	o->npids = len;
	v = yml_get(&l->y, m, "vin");
	if (v) {
		if (str_dup(l, v, &o->vin))
			return -EINVAL;
		if (strlen(o->vin) != 17)
			return yml_error(&l->y, v, "a VIN has 17 characters, not %zu",
					 strlen(o->vin));
	}
	v = yml_get(&l->y, m, "ecu_name");
	if (v) {
		if (str_dup(l, v, &o->ecu_name))
			return -EINVAL;
		if (strlen(o->ecu_name) > 20)
			return yml_error(&l->y, v, "ecu_name has at most 20 characters");
	}
	o->enabled = 1;
	return 0;
}

/* ---- addressing */

static int can_id(struct ld *l, const yaml_node_t *n, uint32_t *id, uint8_t *eff)
{
	uint64_t x;

	if (yml_uint(&l->y, n, 0x1FFFFFFF, &x))
		return -EINVAL;
	*id = (uint32_t)x;
	*eff = x > 0x7FF; /* as written: more than 11 bits is a 29-bit id */
	return 0;
}

static int load_addressing(struct ld *l, struct ecusim_ecu *e, const yaml_node_t *m)
{
	yaml_node_t *rx = yml_get(&l->y, m, "rx"), *tx = yml_get(&l->y, m, "tx"),
		    *a29 = yml_get(&l->y, m, "address29"), *fn;
	struct isotp_cfg *p = &e->phys, *f = &e->func;
	uint64_t x;
	int pad = 1, brs = 0;
	uint8_t tester = 0xF1;

	isotp_cfg_init(p);
	if (a29 && (rx || tx))
		return yml_error(&l->y, a29, "give rx/tx or address29, not both");
	if (a29) {
		if (yml_uint(&l->y, a29, 0xFF, &x) || opt_u8(l, m, "tester", 0xFF, &tester))
			return -EINVAL;
		/* requests 18DA<ecu><tester>, answers 18DA<tester><ecu> */
		isotp_cfg_fixed(p, tester, (uint8_t)x, 0);
	} else {
		if (!rx || !tx)
			return yml_error(&l->y, m,
					 "ECU '%s' needs rx: and tx: ids "
					 "(or address29:)",
					 e->name);
		if (yml_get(&l->y, m, "tester"))
			return yml_error(&l->y, yml_get(&l->y, m, "tester"),
					 "tester: goes with address29:");
		if (can_id(l, rx, &p->rx_id, &p->rx_eff) || can_id(l, tx, &p->tx_id, &p->tx_eff))
			return -EINVAL;
		if (p->rx_id == p->tx_id && p->rx_eff == p->tx_eff)
			return yml_error(&l->y, tx, "rx and tx must differ");
	}
	if (opt_bool(l, m, "padding", &pad) || opt_u8(l, m, "pad_byte", 0xFF, &p->pad_byte) ||
	    opt_u8(l, m, "tx_dl", 64, &p->tx_dl) || opt_bool(l, m, "brs", &brs))
		return -EINVAL;
	p->pad = (uint8_t)pad;
	p->rx_pad_byte = p->pad_byte;
	p->brs = (uint8_t)brs;
	if (p->tx_dl < 8 || !cf_fd_len_valid(p->tx_dl))
		return yml_error(&l->y, yml_get(&l->y, m, "tx_dl"),
				 "tx_dl must be 8 (classic) or 12, 16, 20, 24, 32, 48, 64");
	*f = *p;
	/* single frames only: a first frame to 7DF gets no flow control */
	f->functional = 1;
	fn = yml_get(&l->y, m, "functional");
	if (fn) {
		if (can_id(l, fn, &f->rx_id, &f->rx_eff))
			return -EINVAL;
	} else if (a29) {
		f->rx_id = 0x18DB3300u | tester;
		f->rx_eff = 1;
	} else {
		f->rx_id = p->rx_eff ? 0x18DB33F1u : 0x7DF;
		f->rx_eff = p->rx_eff;
	}
	if (f->rx_id == p->rx_id && f->rx_eff == p->rx_eff)
		return yml_error(&l->y, fn ? fn : m, "functional id equals rx id");
	return 0;
}

/* ---- ECUs */

static int load_ecu(struct ld *l, struct ecusim_ecu *e, const yaml_node_t *m)
{
	static const char *const keys[] = {"name",
					   "rx",
					   "tx",
					   "functional",
					   "address29",
					   "tester",
					   "padding",
					   "pad_byte",
					   "tx_dl",
					   "brs",
					   "s3_ms",
					   "max_response",
					   "prng_seed",
					   "pending_interval_ms",
					   "dtc_status_mask",
					   "sessions",
					   "security",
					   "dids",
					   "dtcs",
					   "routines",
					   "io",
					   "memory",
					   "download",
					   "pending",
					   "obd",
					   "doip_address",
					   NULL};
	struct ecu_ld el = {e, NULL, 0, NULL, 0};
	struct uds_sim_cfg *c = &e->sim;
	yaml_node_t *v;
	uint64_t x;
	int r;

	if (yml_map_check(&l->y, m, keys) || yml_need(&l->y, m, "name", &v) ||
	    str_dup(l, v, &e->name))
		return -EINVAL;
	if (!e->name[0])
		return yml_error(&l->y, v, "the name must not be empty");
	uds_sim_cfg_init(c);
	if (load_addressing(l, e, m) || opt_u32(l, m, "s3_ms", 3600000, &c->s3_ms) ||
	    opt_u32(l, m, "pending_interval_ms", 600000, &c->pending_interval_ms) ||
	    opt_u8(l, m, "dtc_status_mask", 0xFF, &c->dtc_avail_mask) ||
	    opt_uint(l, m, "prng_seed", UINT64_MAX, &c->prng_seed))
		return -EINVAL;
	x = c->max_response;
	if (opt_uint(l, m, "max_response", MAX_RESPONSE, &x))
		return -EINVAL;
	if (x < 8)
		return yml_error(&l->y, yml_get(&l->y, m, "max_response"),
				 "max_response must be 8..%u", MAX_RESPONSE);
	c->max_response = (size_t)x;
	if ((r = load_sessions(l, &el, yml_get(&l->y, m, "sessions"))) ||
	    (r = load_security(l, &el, yml_get(&l->y, m, "security"))) ||
	    (r = load_dids(l, &el, yml_get(&l->y, m, "dids"))) ||
	    (r = load_dtcs(l, &el, yml_get(&l->y, m, "dtcs"))) ||
	    (r = load_routines(l, &el, yml_get(&l->y, m, "routines"))) ||
	    (r = load_io(l, &el, yml_get(&l->y, m, "io"))) ||
	    (r = load_memory(l, &el, yml_get(&l->y, m, "memory"))) ||
	    (r = load_download(l, &el, yml_get(&l->y, m, "download"))) ||
	    (r = load_pending(l, &el, yml_get(&l->y, m, "pending"))) ||
	    (r = load_obd(l, &el, yml_get(&l->y, m, "obd"))))
		return r;
	c->sessions = el.sessions;
	c->nsessions = el.nsessions;
	c->security = el.security;
	c->nsecurity = el.nsecurity;
	e->rx_cap = 4095;
	if (c->download.enabled && c->download.max_block > e->rx_cap)
		e->rx_cap = c->download.max_block;
	return 0;
}

static int same_id(const struct isotp_cfg *a, uint32_t id, uint8_t eff)
{
	return a->rx_id == id && a->rx_eff == eff;
}

static int load_root(struct ld *l)
{
	static const char *const keys[] = {"ecus", "doip", NULL};
	yaml_node_t *root = yml_root(&l->y), *n;
	size_t i, k, len;

	if (!root)
		return yml_error(&l->y, NULL, "empty configuration; expected 'ecus:'");
	if (yml_map_check(&l->y, root, keys) || yml_need(&l->y, root, "ecus", &n) ||
	    yml_seq(&l->y, n, &len))
		return -EINVAL;
	if (!len)
		return yml_error(&l->y, n, "no ECU configured");
	l->c->ecus = alloc(l, len * sizeof(*l->c->ecus));
	if (!l->c->ecus)
		return nomem(l);
	for (i = 0; i < len; i++) {
		yaml_node_t *m = yml_seq_item(&l->y, n, i);
		struct ecusim_ecu *e = &l->c->ecus[i];
		int r = load_ecu(l, e, m);

		if (r)
			return r;
		for (k = 0; k < i; k++) {
			struct ecusim_ecu *o = &l->c->ecus[k];

			if (!strcmp(o->name, e->name))
				return yml_error(&l->y, yml_get(&l->y, m, "name"),
						 "ECU name '%s' used twice", e->name);
			if (same_id(&o->phys, e->phys.rx_id, e->phys.rx_eff))
				return yml_error(&l->y, m,
						 "ECU '%s' receives on the "
						 "same id as '%s'",
						 e->name, o->name);
			if (o->phys.tx_id == e->phys.tx_id && o->phys.tx_eff == e->phys.tx_eff)
				return yml_error(&l->y, m,
						 "ECU '%s' answers on the "
						 "same id as '%s'",
						 e->name, o->name);
		}
		l->c->necus++;
	}
	/* doip: and each ECU's doip_address: (only known keys here) */
	return ecusim_doip_load(l->c, &l->y);
}

/* Parses what y holds (its load already ran: e is its result) into c. */
static int load_doc(struct ecusim_cfg *c, struct ld *l, int e, char *err, size_t errlen)
{
	if (!e)
		e = load_root(l);
	if (e && err && errlen)
		snprintf(err, errlen, "%s", l->y.err[0] ? l->y.err : strerror(-e));
	yml_fini(&l->y);
	if (e)
		ecusim_cfg_fini(c);
	return e;
}

int ecusim_cfg_load(struct ecusim_cfg *c, const char *name, const void *buf, size_t len, char *err,
		    size_t errlen)
{
	struct ld l;

	memset(c, 0, sizeof(*c));
	memset(&l, 0, sizeof(l));
	l.c = c;
	return load_doc(c, &l, yml_load_mem(&l.y, name, buf, len), err, errlen);
}

/* The YAML reader reads the file: its errors (missing, a directory, too
 * big) are worded as for every other configuration. */
int ecusim_cfg_load_file(struct ecusim_cfg *c, const char *path, char *err, size_t errlen)
{
	struct ld l;

	memset(c, 0, sizeof(*c));
	memset(&l, 0, sizeof(l));
	l.c = c;
	return load_doc(c, &l, yml_load_file(&l.y, path), err, errlen);
}
