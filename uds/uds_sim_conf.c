/* SPDX-License-Identifier: MIT */
/*
 * uds_sim_conf.c - ecu-sim YAML -> struct ecusim_cfg.  Each mapping of the
 * schema is a key table (yml_read.h); the callbacks hold only what a table
 * cannot say: references between sections, duplicates, keys that depend
 * on each other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uds_sim_conf.h"
#include "yml.h"
#include "yml_read.h"

#define MAX_MEM_AREA  (16u << 20) /* memory areas are held in RAM */
#define MAX_MEM_TOTAL (64u << 20) /* ... all of them, in one file */
#define MAX_BLOCK     (16u << 20) /* the receive buffer is this big */
#define MAX_RESPONSE  (16u << 20) /* one buffer, allocated once */

/* One ECU while it is read: the addressing keys that are no field of
 * struct ecusim_ecu land beside it. */
struct ecu_rd {
	struct ecusim_ecu e;
	uint64_t a29;
	uint8_t tester;
	uint32_t fn_id;
	uint8_t fn_eff;
};

struct ld {
	struct yml y;
	struct yml_rd r;
	struct ecusim_cfg *c;
	struct ecu_rd *ecu; /* the ECU being read: references resolve in it */
	uint64_t mem_total;
};

#define Y(r)  ((r)->y)
#define LD(r) ((struct ld *)(r)->ctx)

void ecusim_cfg_fini(struct ecusim_cfg *c)
{
	yml_arena_free(&c->blocks);
	memset(c, 0, sizeof(*c));
}

/* A scalar or a list of scalars: calls fn for each. */
static int each_scalar(struct yml_rd *r, const yaml_node_t *n,
		       int (*fn)(struct yml_rd *r, const yaml_node_t *item, void *p), void *p)
{
	size_t i, len;
	int e;

	if (yml_is_scalar(n))
		return fn(r, n, p);
	if (yml_seq(Y(r), n, &len))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		e = fn(r, yml_seq_item(Y(r), n, i), p);
		if (e)
			return e;
	}
	return 0;
}

/* ---- sessions and security references */

static int session_id(struct yml_rd *r, const yaml_node_t *n, uint8_t *id)
{
	static const struct {
		const char *name;
		uint8_t id;
	} names[] = {{"default", 1}, {"programming", 2}, {"extended", 3}, {"safety", 4}};
	const char *s;
	uint64_t v;
	size_t i;

	if (yml_str(Y(r), n, &s))
		return -EINVAL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name)) {
			*id = names[i].id;
			return 0;
		}
	if (yml_uint(Y(r), n, 0x7F, &v))
		return -EINVAL;
	if (!v)
		return yml_error(Y(r), n, "session 0 does not exist (0x01..0x7F)");
	*id = (uint8_t)v;
	return 0;
}

static int add_session_ref(struct yml_rd *r, const yaml_node_t *n, void *map)
{
	const struct uds_sim_cfg *c = &LD(r)->ecu->e.sim;
	uint8_t id;
	size_t i;

	if (session_id(r, n, &id))
		return -EINVAL;
	for (i = 0; i < c->nsessions; i++)
		if (c->sessions[i].id == id)
			break;
	if (i == c->nsessions)
		return yml_error(Y(r), n, "session 0x%02X is not configured", id);
	uds_sim_map_set(map, id);
	return 0;
}

static int add_level_ref(struct yml_rd *r, const yaml_node_t *n, void *levels)
{
	const struct uds_sim_cfg *c = &LD(r)->ecu->e.sim;
	uint64_t v;
	size_t i;

	if (yml_uint(Y(r), n, 0x7D, &v))
		return -EINVAL;
	for (i = 0; i < c->nsecurity; i++)
		if (c->security[i].level == v)
			break;
	if (i == c->nsecurity)
		return yml_error(Y(r), n, "security level %llu is not configured",
				 (unsigned long long)v);
	*(uint64_t *)levels |= UDS_SIM_LEVEL_BIT(v);
	return 0;
}

/* "sessions:" into a session map, "security:" into a level mask */
static int sessions_ref(struct yml_rd *r, const yaml_node_t *n, void *map, size_t i)
{
	(void)i;
	return each_scalar(r, n, add_session_ref, map);
}

static int levels_ref(struct yml_rd *r, const yaml_node_t *n, void *levels, size_t i)
{
	(void)i;
	return each_scalar(r, n, add_level_ref, levels);
}

/* sessions: and security: of the struct uds_sim_access at field f of T */
#define ACCESS(T, f)                                                                               \
	YML_KEY_FN("sessions", T, f.sessions, sessions_ref, 0),                                    \
		YML_KEY_FN("security", T, f.security, levels_ref, 0)

/* read: and write: sub-mappings */
static const struct yml_key access_keys[] = {
	YML_KEY_FN("sessions", struct uds_sim_access, sessions, sessions_ref, 0),
	YML_KEY_FN("security", struct uds_sim_access, security, levels_ref, 0),
	{0},
};

/*
 * The key that names a list item, read with the check that no earlier
 * item has it, before the item's other keys: T's field f (an integer of
 * at most max) and the message for a duplicate.
 */
#define ITEM_ID(fn, T, f, max, what)                                                               \
	static int fn(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)                   \
	{                                                                                          \
		const T *items = r->list;                                                          \
		uint64_t x;                                                                        \
                                                                                                   \
		(void)p;                                                                           \
		(void)i;                                                                           \
		if (yml_uint(Y(r), n, (max), &x))                                                  \
			return -EINVAL;                                                            \
		for (i = 0; i < r->index; i++)                                                     \
			if (items[i].f == x)                                                       \
				return yml_error(Y(r), n, what " defined twice", (unsigned int)x); \
		((T *)r->list)[r->index].f = (__typeof__(items[0].f))x;                            \
		return 0;                                                                          \
	}

/* ---- sessions */

static int session_key(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	const struct uds_sim_session *ss = r->list;
	uint8_t id;

	if (session_id(r, n, &id))
		return -EINVAL;
	for (i = 0; i < r->index; i++)
		if (ss[i].id == id)
			return yml_error(Y(r), n, "session 0x%02X defined twice", id);
	*(uint8_t *)p = id;
	return 0;
}

static int add_service(struct yml_rd *r, const yaml_node_t *n, void *sids)
{
	uint64_t v;

	if (yml_uint(Y(r), n, 0xFF, &v))
		return -EINVAL;
	if (v < 0x10 || !uds_sim_implements((uint8_t)v))
		return yml_error(Y(r), n, "service 0x%02llX is not implemented",
				 (unsigned long long)v);
	uds_sim_map_set(sids, (unsigned int)v);
	return 0;
}

static int services(struct yml_rd *r, const yaml_node_t *n, void *sids, size_t i)
{
	(void)i;
	return each_scalar(r, n, add_service, sids);
}

static int session_item(struct yml_rd *r, const yaml_node_t *m, void *arr, size_t i)
{
	struct uds_sim_session *s = (struct uds_sim_session *)arr + i;

	if (!yml_get(Y(r), m, "services"))
		uds_sim_all_services(s->sids);
	return 0;
}

static const struct yml_key session_keys[] = {
	YML_KEY_FN("id", struct uds_sim_session, id, session_key, YML_REQ),
	YML_KEY_UINT_DEF("p2_ms", struct uds_sim_session, p2_ms, 0xFFFF, 50),
	YML_KEY_UINT_DEF("p2star_ms", struct uds_sim_session, p2star_ms, 655350, 5000),
	YML_KEY_FN("services", struct uds_sim_session, sids, services, 0),
	{0},
};

static int default_sessions(struct yml_rd *r, struct uds_sim_cfg *c)
{
	static const uint8_t ids[] = {0x01, 0x02, 0x03};
	struct uds_sim_session *ss = yml_alloc(r, 3 * sizeof(*ss));
	size_t i;

	if (!ss)
		return -ENOMEM;
	for (i = 0; i < 3; i++) {
		struct uds_sim_session *s = &ss[i];

		s->id = ids[i];
		s->p2_ms = 50;
		s->p2star_ms = 5000;
		uds_sim_all_services(s->sids);
		if (ids[i] != 0x02) /* transfers only when programming */
			s->sids[0x34 >> 3] &=
				(uint8_t) ~(1u << (0x34 & 7) | 1u << (0x36 & 7) | 1u << (0x37 & 7));
	}
	c->sessions = ss;
	c->nsessions = 3;
	return 0;
}

/* The list as a whole: the default session must be in it.  Defaults are
 * in place before (default_sessions()): later sections refer to them. */
static int sessions_list(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	static const struct yml_key k = {.name = "sessions",
					 .type = YML_LIST,
					 .off = offsetof(struct uds_sim_cfg, sessions),
					 .off2 = offsetof(struct uds_sim_cfg, nsessions),
					 .sub = session_keys,
					 .item_size = sizeof(struct uds_sim_session),
					 .fn = session_item};
	struct uds_sim_cfg *c = &LD(r)->ecu->e.sim;
	int e;

	(void)p;
	(void)i;
	c->sessions = NULL;
	c->nsessions = 0;
	e = yml_read_list(r, n, &k, c);
	if (e)
		return e;
	for (i = 0; i < c->nsessions; i++)
		if (c->sessions[i].id == 1)
			return 0;
	return yml_error(Y(r), n, "the default session (id 0x01) is missing");
}

/* ---- security */

static int sec_level(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	uint64_t x;

	(void)i;
	if (yml_uint(Y(r), n, 0x7D, &x))
		return -EINVAL;
	if (!(x & 1))
		return yml_error(Y(r), n,
				 "security level must be odd "
				 "(the requestSeed sub-function), got %llu",
				 (unsigned long long)x);
	for (i = 0; i < r->index; i++)
		if (((const struct uds_sim_security *)r->list)[i].level == x)
			return yml_error(Y(r), n, "level %u defined twice", (unsigned int)x);
	*(uint8_t *)p = (uint8_t)x;
	return 0;
}

static const char *const algo_names[] = {"xor", "add", "not", "external", NULL};
static const int algo_vals[] = {UDS_SIM_KEY_XOR, UDS_SIM_KEY_ADD, UDS_SIM_KEY_NOT,
				UDS_SIM_KEY_EXTERNAL};
static const struct yml_key algo_key = {.name = "algorithm",
					.type = YML_ENUM,
					YML_OFF(struct uds_sim_security, algo),
					.names = algo_names,
					.vals = algo_vals};

/* After the numbers, in this order: their ranges, seed:, algorithm: and
 * command:, then sessions: */
static int sec_item(struct yml_rd *r, const yaml_node_t *m, void *arr, size_t i)
{
	struct uds_sim_security *ss = arr, *s = &ss[i];
	struct ecusim_ecu *ecu = &LD(r)->ecu->e;
	yaml_node_t *cmd = yml_get(Y(r), m, "command"), *seed = yml_get(Y(r), m, "seed"),
		    *algo = yml_get(Y(r), m, "algorithm"), *sess = yml_get(Y(r), m, "sessions");
	int e;

	if (!s->seed_len)
		return yml_error(Y(r), yml_get(Y(r), m, "seed_len"), "seed_len must be 1..%d",
				 UDS_SIM_SEED_MAX);
	if (!s->max_attempts)
		return yml_error(Y(r), yml_get(Y(r), m, "attempts"), "attempts must be 1..255");
	if (seed) {
		const uint8_t *p;
		size_t sl;

		if ((e = yml_read_hex(r, seed, 0, &p, &sl)))
			return e;
		if (!sl || sl > UDS_SIM_SEED_MAX ||
		    (yml_get(Y(r), m, "seed_len") && sl != s->seed_len))
			return yml_error(Y(r), seed, "seed must have seed_len (1..%d) bytes",
					 UDS_SIM_SEED_MAX);
		s->seed_len = (uint8_t)sl;
		s->fixed_seed = p;
	}
	s->algo = cmd ? UDS_SIM_KEY_EXTERNAL : UDS_SIM_KEY_XOR;
	if (algo && (e = yml_read_value(r, algo, &algo_key, s)))
		return e;
	if ((s->algo == UDS_SIM_KEY_EXTERNAL) != (cmd != NULL))
		return yml_error(Y(r), cmd ? cmd : m,
				 cmd ? "command: needs algorithm external (or none)"
				     : "algorithm external needs a command:");
	if (cmd && (e = yml_read_str_env(r, cmd, &ecu->key_cmd[s->level >> 1])))
		return e;
	return sess ? sessions_ref(r, sess, s->sessions, 0) : 0;
}

static const struct yml_key sec_keys[] = {
	YML_KEY_FN("level", struct uds_sim_security, level, sec_level, YML_REQ),
	YML_KEY_UINT_DEF("seed_len", struct uds_sim_security, seed_len, UDS_SIM_SEED_MAX, 4),
	YML_KEY_KNOWN("algorithm"),
	YML_KEY_UINT("constant", struct uds_sim_security, constant, 0xFFFFFFFF, 0),
	YML_KEY_KNOWN("command"),
	YML_KEY_KNOWN("seed"),
	YML_KEY_UINT_DEF("attempts", struct uds_sim_security, max_attempts, 255, 3),
	YML_KEY_UINT_DEF("delay_ms", struct uds_sim_security, delay_ms, 86400000, 10000),
	YML_KEY_KNOWN("sessions"),
	{0},
};

/* ---- values: data:, ascii: or size: of a DID or an IO DID */

/* *len 0 if none given */
static int value_of(struct yml_rd *r, const yaml_node_t *m, const uint8_t **data, size_t *len,
		    uint64_t maxsize)
{
	yaml_node_t *d = yml_get(Y(r), m, "data"), *a = yml_get(Y(r), m, "ascii"),
		    *sz = yml_get(Y(r), m, "size");
	uint64_t size = 0;
	int e;

	*data = NULL;
	*len = 0;
	if (d && a)
		return yml_error(Y(r), a, "give data: or ascii:, not both");
	if (sz && yml_uint(Y(r), sz, maxsize, &size))
		return -EINVAL;
	if (sz && !size)
		return yml_error(Y(r), sz, "size must be at least 1");
	if (d && (e = yml_read_hex(r, d, 0, data, len)))
		return e;
	if (a) {
		const char *s;

		if ((e = yml_read_str(r, a, &s)))
			return e;
		*data = (const uint8_t *)s;
		*len = strlen(s);
	}
	if ((d || a) && *len > maxsize)
		return yml_error(Y(r), d ? d : a, "longer than %llu bytes",
				 (unsigned long long)maxsize);
	if ((d || a) && sz && *len != size)
		return yml_error(Y(r), sz, "size %llu does not match the %zu bytes of data",
				 (unsigned long long)size, *len);
	if (!d && !a)
		*len = (size_t)size;
	return 0;
}

/* ---- DIDs */

ITEM_ID(did_id, struct uds_sim_did, id, 0xFFFF, "DID 0x%04X")

static const struct yml_key did_writable = {
	.name = "writable", .type = YML_BOOL, YML_OFF(struct uds_sim_did, writable)};

/* after id: and type:, in this order: the value, writable:, read:, write: */
static int did_item(struct yml_rd *r, const yaml_node_t *m, void *arr, size_t i)
{
	struct uds_sim_did *d = (struct uds_sim_did *)arr + i;
	yaml_node_t *v;
	int e;

	e = value_of(r, m, &d->data, &d->len, d->kind == UDS_SIM_DID_DATA ? 4093 : 8);
	if (e)
		return e;
	if (!d->len) {
		if (d->kind == UDS_SIM_DID_DATA)
			return yml_error(Y(r), m, "DID 0x%04X needs data:, ascii: or size:", d->id);
		d->len = 4;
	}
	v = yml_get(Y(r), m, "writable");
	if (v && (e = yml_read_value(r, v, &did_writable, d)))
		return e;
	if (d->writable && d->kind != UDS_SIM_DID_DATA)
		return yml_error(Y(r), v, "counter and clock DIDs cannot be writable");
	v = yml_get(Y(r), m, "read");
	if (v && (e = yml_read_map(r, v, access_keys, &d->read)))
		return e;
	v = yml_get(Y(r), m, "write");
	return v ? yml_read_map(r, v, access_keys, &d->write) : 0;
}

static const char *const did_kinds[] = {"data", "counter", "clock", NULL};
static const int did_kind_vals[] = {UDS_SIM_DID_DATA, UDS_SIM_DID_COUNTER, UDS_SIM_DID_CLOCK};

static const struct yml_key did_keys[] = {
	YML_KEY_CALL("id", did_id, YML_REQ),
	{.name = "type",
	 .type = YML_ENUM,
	 YML_OFF(struct uds_sim_did, kind),
	 .names = did_kinds,
	 .vals = did_kind_vals,
	 .what = "DID type"},
	YML_KEY_KNOWN("data"),
	YML_KEY_KNOWN("ascii"),
	YML_KEY_KNOWN("size"),
	YML_KEY_KNOWN("writable"),
	YML_KEY_KNOWN("read"),
	YML_KEY_KNOWN("write"),
	{0},
};

/* ---- DTCs */

/* A record number 1..max into a uint8_t; the message names the kind. */
static int record(struct yml_rd *r, const yaml_node_t *n, void *p, unsigned int max,
		  const char *msg)
{
	uint64_t x;

	if (yml_uint(Y(r), n, max, &x))
		return -EINVAL;
	if (!x)
		return yml_error(Y(r), n, "%s", msg);
	*(uint8_t *)p = (uint8_t)x;
	return 0;
}

static int snapshot_record(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)i;
	return record(r, n, p, 0xFE, "snapshot records are 0x01..0xFE");
}

static int ext_record(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)i;
	return record(r, n, p, 0xFD, "extended data records are 0x01..0xFD");
}

static const struct yml_key did_rec_keys[] = {
	YML_KEY_UINT("id", struct uds_sim_did_rec, did, 0xFFFF, YML_REQ),
	YML_KEY_HEX("data", struct uds_sim_did_rec, data, len, YML_REQ),
	{0},
};

/* at most 255, counted before they are read */
static int snapshot_dids(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	static const struct yml_key k = {.name = "dids",
					 .type = YML_LIST,
					 YML_OFF(struct uds_sim_snapshot, dids),
					 YML_OFF2(struct uds_sim_snapshot, ndids),
					 .sub = did_rec_keys,
					 .item_size = sizeof(struct uds_sim_did_rec)};

	(void)i;
	if (yml_seq(Y(r), n, &i))
		return -EINVAL;
	if (i > 255)
		return yml_error(Y(r), n, "at most 255 DIDs per record");
	return yml_read_list(r, n, &k, p);
}

static const struct yml_key snapshot_keys[] = {
	YML_KEY_FN("record", struct uds_sim_snapshot, record, snapshot_record, YML_REQ),
	YML_KEY_CALL("dids", snapshot_dids, YML_REQ),
	{0},
};

static const struct yml_key ext_keys[] = {
	YML_KEY_FN("record", struct uds_sim_extdata, record, ext_record, YML_REQ),
	YML_KEY_HEX("data", struct uds_sim_extdata, data, len, YML_REQ),
	{0},
};

ITEM_ID(dtc_code, struct uds_sim_dtc, code, 0xFFFFFF, "DTC 0x%06X")

static const struct yml_key dtc_keys[] = {
	YML_KEY_CALL("code", dtc_code, YML_REQ),
	YML_KEY_UINT_DEF("status", struct uds_sim_dtc, status, 0xFF, 0x09),
	YML_KEY_BOOL("permanent", struct uds_sim_dtc, permanent),
	YML_KEY_LIST("snapshots", struct uds_sim_dtc, snapshots, nsnapshots, snapshot_keys,
		     struct uds_sim_snapshot, NULL),
	YML_KEY_LIST("extended", struct uds_sim_dtc, ext, next, ext_keys, struct uds_sim_extdata,
		     NULL),
	{0},
};

/* ---- routines and IO DIDs */

ITEM_ID(routine_id, struct uds_sim_routine, id, 0xFFFF, "routine 0x%04X")

static const struct yml_key routine_keys[] = {
	YML_KEY_CALL("id", routine_id, YML_REQ),
	YML_KEY_HEX("start", struct uds_sim_routine, start_rec, start_len, 0),
	YML_KEY_HEX("result", struct uds_sim_routine, result, result_len, 0),
	YML_KEY_UINT("pending_ms", struct uds_sim_routine, pending_ms, 600000, 0),
	ACCESS(struct uds_sim_routine, access),
	{0},
};

static int io_id(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	const struct uds_sim_cfg *c = &LD(r)->ecu->e.sim;
	const struct uds_sim_io *ios = r->list;
	uint64_t x;

	(void)p;
	if (yml_uint(Y(r), n, 0xFFFF, &x))
		return -EINVAL;
	for (i = 0; i < r->index; i++)
		if (ios[i].did == x)
			return yml_error(Y(r), n, "IO DID 0x%04X defined twice", (unsigned int)x);
	for (i = 0; i < c->ndids; i++)
		if (c->dids[i].id == x)
			return yml_error(Y(r), n,
					 "0x%04X is already a DID in dids:", (unsigned int)x);
	*(uint16_t *)p = (uint16_t)x;
	return 0;
}

/* after id:, in this order: the value, then its access */
static int io_item(struct yml_rd *r, const yaml_node_t *m, void *arr, size_t i)
{
	struct uds_sim_io *io = (struct uds_sim_io *)arr + i;
	int e;

	e = value_of(r, m, &io->initial, &io->len, 4000);
	if (e)
		return e;
	if (!io->len)
		return yml_error(Y(r), m, "IO DID 0x%04X needs data: or size:", io->did);
	return yml_read_keys(r, m, access_keys, &io->access);
}

static const struct yml_key io_keys[] = {
	YML_KEY_FN("id", struct uds_sim_io, did, io_id, YML_REQ),
	YML_KEY_KNOWN("data"),
	YML_KEY_KNOWN("size"),
	YML_KEY_KNOWN("sessions"),
	YML_KEY_KNOWN("security"),
	{0},
};

/* ---- memory areas and the download region */

#define MEM(p, f) ((struct uds_sim_mem *)((char *)(p)-offsetof(struct uds_sim_mem, f)))

/* size: against address: and against the file's total */
static int mem_size(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct ld *l = LD(r);
	uint64_t x;

	(void)i;
	if (yml_uint(Y(r), n, MAX_MEM_AREA, &x))
		return -EINVAL;
	if (!x || (uint64_t)MEM(p, size)->addr + x > 0x100000000ull)
		return yml_error(Y(r), n, "size must be 1..%u and stay below 4 GiB", MAX_MEM_AREA);
	*(uint32_t *)p = (uint32_t)x;
	l->mem_total += x;
	if (l->mem_total > MAX_MEM_TOTAL)
		return yml_error(Y(r), n, "memory areas of the file add up to more than %u MiB",
				 MAX_MEM_TOTAL >> 20);
	return 0;
}

static int mem_data(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct uds_sim_mem *a = MEM(p, init);
	int e;

	(void)i;
	e = yml_read_hex(r, n, 0, &a->init, &a->init_len);
	if (e)
		return e;
	if (a->init_len > a->size)
		return yml_error(Y(r), n, "data longer than size");
	return 0;
}

static const struct yml_key mem_keys[] = {
	YML_KEY_UINT("address", struct uds_sim_mem, addr, 0xFFFFFFFF, YML_REQ),
	YML_KEY_FN("size", struct uds_sim_mem, size, mem_size, YML_REQ),
	YML_KEY_UINT("fill", struct uds_sim_mem, fill, 0xFF, 0),
	YML_KEY_BOOL("writable", struct uds_sim_mem, writable),
	YML_KEY_FN("data", struct uds_sim_mem, init, mem_data, 0),
	YML_KEY_MAP("read", struct uds_sim_mem, read, access_keys, NULL),
	YML_KEY_MAP("write", struct uds_sim_mem, write, access_keys, NULL),
	{0},
};

/*
 * download: is checked key by key as it is read (size against address,
 * max_block, fail_nrc), then its access: without sessions: it is the
 * programming session's.
 */
#define DL(p, f) ((struct uds_sim_download *)((char *)(p)-offsetof(struct uds_sim_download, f)))

static int download_size(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct uds_sim_download *d = DL(p, size);
	uint64_t x;

	(void)i;
	if (yml_uint(Y(r), n, 0xFFFFFFFF, &x))
		return -EINVAL;
	if (!x || (uint64_t)d->addr + x > 0x100000000ull)
		return yml_error(Y(r), n,
				 "size must be at least 1 and the region stay below 4 GiB");
	d->size = (uint32_t)x;
	return 0;
}

static int download_max_block(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	uint64_t x;

	(void)i;
	if (yml_uint(Y(r), n, MAX_BLOCK, &x))
		return -EINVAL;
	if (x < 3)
		return yml_error(Y(r), n, "max_block counts SID and counter: 3..%u", MAX_BLOCK);
	*(uint32_t *)p = (uint32_t)x;
	return 0;
}

/* file: is the adapter's, not the engine's */
static int download_file(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)p;
	(void)i;
	return yml_read_str_env(r, n, &LD(r)->ecu->e.download_file);
}

static int download_fail_nrc(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	uint64_t x;

	(void)i;
	if (yml_uint(Y(r), n, 0xFF, &x))
		return -EINVAL;
	/* a final NRC: 0x78 would keep the tester waiting for nothing */
	if (x < 0x10 || x == 0x78)
		return yml_error(Y(r), n,
				 "fail_nrc is a negative response code 0x10..0xFF, not 0x78");
	*(uint8_t *)p = (uint8_t)x;
	return 0;
}

static int download_post(struct yml_rd *r, const yaml_node_t *m, void *p, size_t i)
{
	const struct uds_sim_cfg *c = &LD(r)->ecu->e.sim;
	struct uds_sim_download *d = p;
	yaml_node_t *v = yml_get(Y(r), m, "sessions");
	int e;

	if (v) {
		e = sessions_ref(r, v, d->access.sessions, 0);
		if (e)
			return e;
	} else {
		for (i = 0; i < c->nsessions && c->sessions[i].id != 0x02; i++)
			;
		if (i == c->nsessions)
			return yml_error(Y(r), m,
					 "download: without sessions: needs the programming "
					 "session 0x02");
		uds_sim_map_set(d->access.sessions, 0x02);
	}
	v = yml_get(Y(r), m, "security");
	if (v && (e = levels_ref(r, v, &d->access.security, 0)))
		return e;
	d->enabled = 1;
	return 0;
}

static const struct yml_key download_keys[] = {
	YML_KEY_UINT("address", struct uds_sim_download, addr, 0xFFFFFFFF, YML_REQ),
	YML_KEY_FN("size", struct uds_sim_download, size, download_size, YML_REQ),
	{.name = "max_block",
	 .type = YML_FUNC,
	 .flags = YML_DEF,
	 YML_OFF(struct uds_sim_download, max_block),
	 .def = 0x402,
	 .fn = download_max_block},
	YML_KEY_CALL("file", download_file, 0),
	YML_KEY_UINT("fail_block", struct uds_sim_download, fail_block, 0xFFFFFFFF, 0),
	{.name = "fail_nrc",
	 .type = YML_FUNC,
	 .flags = YML_DEF,
	 YML_OFF(struct uds_sim_download, fail_nrc),
	 .def = 0x72,
	 .fn = download_fail_nrc},
	YML_KEY_KNOWN("sessions"),
	YML_KEY_KNOWN("security"),
	{0},
};

/* ---- response pending delays and OBD */

static int pending_item(struct yml_rd *r, const yaml_node_t *m, void *arr, size_t i)
{
	uint8_t sid = ((const struct uds_sim_delay *)arr)[i].sid;

	if (!uds_sim_implements(sid))
		return yml_error(Y(r), yml_get(Y(r), m, "sid"), "service 0x%02X is not implemented",
				 sid);
	return 0;
}

static const struct yml_key pending_keys[] = {
	YML_KEY_UINT("sid", struct uds_sim_delay, sid, 0xFF, YML_REQ),
	YML_KEY_UINT("ms", struct uds_sim_delay, ms, 600000, YML_REQ),
	{0},
};

static int pid_id(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	const struct uds_sim_obd_pid *ps = r->list;
	uint64_t x;

	if (yml_uint(Y(r), n, 0xFF, &x))
		return -EINVAL;
	if (x % 0x20 == 0)
		return yml_error(Y(r), n, "PID 0x%02X lists supported PIDs: it is computed",
				 (unsigned int)x);
	for (i = 0; i < r->index; i++)
		if (ps[i].pid == x)
			return yml_error(Y(r), n, "PID 0x%02X defined twice", (unsigned int)x);
	*(uint8_t *)p = (uint8_t)x;
	return 0;
}

static int pid_item(struct yml_rd *r, const yaml_node_t *m, void *arr, size_t i)
{
	const struct uds_sim_obd_pid *ps = arr;

	if (!ps[i].len || ps[i].len > 4)
		return yml_error(Y(r), yml_get(Y(r), m, "data"), "mode 01 PIDs carry 1..4 bytes");
	return 0;
}

static const struct yml_key pid_keys[] = {
	YML_KEY_FN("pid", struct uds_sim_obd_pid, pid, pid_id, YML_REQ),
	YML_KEY_HEX("data", struct uds_sim_obd_pid, data, len, YML_REQ),
	{0},
};

static int obd_vin(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	int e = yml_read_str(r, n, p);

	(void)i;
	if (!e && strlen(*(const char **)p) != 17)
		e = yml_error(Y(r), n, "a VIN has 17 characters, not %zu",
			      strlen(*(const char **)p));
	return e;
}

static int obd_name(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	int e = yml_read_str(r, n, p);

	(void)i;
	if (!e && strlen(*(const char **)p) > 20)
		e = yml_error(Y(r), n, "ecu_name has at most 20 characters");
	return e;
}

static int obd_post(struct yml_rd *r, const yaml_node_t *m, void *p, size_t i)
{
	(void)r;
	(void)m;
	(void)i;
	((struct uds_sim_obd *)p)->enabled = 1;
	return 0;
}

static const struct yml_key obd_keys[] = {
	YML_KEY_LIST("pids", struct uds_sim_obd, pids, npids, pid_keys, struct uds_sim_obd_pid,
		     pid_item),
	YML_KEY_FN("vin", struct uds_sim_obd, vin, obd_vin, 0),
	YML_KEY_FN("ecu_name", struct uds_sim_obd, ecu_name, obd_name, 0),
	{0},
};

/* ---- ECUs */

/* Addressing: rx/tx or address29 (+ tester), then the functional id. */
/* Which addressing keys are given, before their values are read. */
static int addressing_keys(struct yml_rd *r, const struct ecu_rd *t, const yaml_node_t *m)
{
	yaml_node_t *rx = yml_get(Y(r), m, "rx"), *tx = yml_get(Y(r), m, "tx"),
		    *a29 = yml_get(Y(r), m, "address29");

	if (a29 && (rx || tx))
		return yml_error(Y(r), a29, "give rx/tx or address29, not both");
	if (a29)
		return 0;
	if (!rx || !tx)
		return yml_error(Y(r), m, "ECU '%s' needs rx: and tx: ids (or address29:)",
				 t->e.name);
	if (yml_get(Y(r), m, "tester"))
		return yml_error(Y(r), yml_get(Y(r), m, "tester"), "tester: goes with address29:");
	return 0;
}

/* tx: read after rx:, and different from it */
static int tx_id(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	static const struct yml_key k = {.name = "tx",
					 .type = YML_CANID,
					 YML_OFF(struct isotp_cfg, tx_id),
					 YML_OFF2(struct isotp_cfg, tx_eff)};
	struct isotp_cfg *c = p;
	int e = yml_read_value(r, n, &k, c);

	(void)i;
	if (!e && c->rx_id == c->tx_id && c->rx_eff == c->tx_eff)
		e = yml_error(Y(r), n, "rx and tx must differ");
	return e;
}

static const struct yml_key functional = {.name = "functional",
					  .type = YML_CANID,
					  YML_OFF(struct ecu_rd, fn_id),
					  YML_OFF2(struct ecu_rd, fn_eff)};

/* The addressing keys' values together, then the functional channel. */
static int addressing(struct yml_rd *r, struct ecu_rd *t, const yaml_node_t *m)
{
	yaml_node_t *a29 = yml_get(Y(r), m, "address29"), *fn = yml_get(Y(r), m, "functional");
	struct isotp_cfg *p = &t->e.phys, *f = &t->e.func;
	int e;

	if (a29)
		/* requests 18DA<ecu><tester>, answers 18DA<tester><ecu> */
		isotp_cfg_fixed(p, t->tester, (uint8_t)t->a29, 0);
	p->rx_pad_byte = p->pad_byte;
	if (p->tx_dl < 8 || !cf_fd_len_valid(p->tx_dl))
		return yml_error(Y(r), yml_get(Y(r), m, "tx_dl"),
				 "tx_dl must be 8 (classic) or 12, 16, 20, 24, 32, 48, 64");
	if (fn && (e = yml_read_value(r, fn, &functional, t)))
		return e;
	*f = *p;
	/* single frames only: a first frame to 7DF gets no flow control */
	f->functional = 1;
	if (fn) {
		f->rx_id = t->fn_id;
		f->rx_eff = t->fn_eff;
	} else if (a29) {
		f->rx_id = 0x18DB3300u | t->tester;
		f->rx_eff = 1;
	} else {
		f->rx_id = p->rx_eff ? 0x18DB33F1u : 0x7DF;
		f->rx_eff = p->rx_eff;
	}
	if (f->rx_id == p->rx_id && f->rx_eff == p->rx_eff)
		return yml_error(Y(r), fn ? fn : m, "functional id equals rx id");
	return 0;
}

static int ecu_name(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	int e = yml_read_str(r, n, p);

	(void)i;
	if (!e && !**(const char **)p)
		e = yml_error(Y(r), n, "the name must not be empty");
	return e;
}

#define ECU(f)	YML_OFF(struct ecu_rd, e.f)
#define SIM(f)	YML_OFF(struct ecu_rd, e.sim.f)
#define SIM2(f) YML_OFF2(struct ecu_rd, e.sim.f)

/*
 * An ECU is read in parts, in the order its checks need: the name (the
 * messages use it), which addressing keys are given, their values, then
 * everything else.  ecu_names is all parts' keys, for the unknown-key
 * check.
 */
static const char *const ecu_names[] = {"name",
					"rx",
					"tx",
					"functional",
					"address29",
					"tester",
					"padding",
					"pad_byte",
					"tx_dl",
					"brs",
					"bs",
					"stmin",
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
					"doip_address", /* uds_sim_conf_doip.c reads it */
					NULL};

static const struct yml_key ecu_name_keys[] = {
	YML_KEY_FN("name", struct ecu_rd, e.name, ecu_name, YML_REQ),
	{0},
};

/* in the order the checks of addressing() want them */
static const struct yml_key ecu_addr_keys[] = {
	{.name = "rx", .type = YML_CANID, ECU(phys.rx_id), YML_OFF2(struct ecu_rd, e.phys.rx_eff)},
	YML_KEY_FN("tx", struct ecu_rd, e.phys, tx_id, 0),
	YML_KEY_UINT("address29", struct ecu_rd, a29, 0xFF, 0),
	YML_KEY_UINT("tester", struct ecu_rd, tester, 0xFF, 0),
	YML_KEY_BOOL("padding", struct ecu_rd, e.phys.pad),
	YML_KEY_UINT("pad_byte", struct ecu_rd, e.phys.pad_byte, 0xFF, 0),
	YML_KEY_UINT("tx_dl", struct ecu_rd, e.phys.tx_dl, 64, 0),
	YML_KEY_BOOL("brs", struct ecu_rd, e.phys.brs),
	/* what its flow control asks of a tester (or a gateway) sending a
	 * long request: a small block paces a sender it cannot keep up with */
	YML_KEY_UINT("bs", struct ecu_rd, e.phys.bs, 0xFF, 0),
	YML_KEY_UINT("stmin", struct ecu_rd, e.phys.stmin, 0xFF, 0),
	YML_KEY_KNOWN("functional"),
	{0},
};

static const struct yml_key ecu_keys[] = {
	YML_KEY_UINT("s3_ms", struct ecu_rd, e.sim.s3_ms, 3600000, 0),
	YML_KEY_UINT("pending_interval_ms", struct ecu_rd, e.sim.pending_interval_ms, 600000, 0),
	YML_KEY_UINT("dtc_status_mask", struct ecu_rd, e.sim.dtc_avail_mask, 0xFF, 0),
	YML_KEY_UINT("prng_seed", struct ecu_rd, e.sim.prng_seed, UINT64_MAX, 0),
	{.name = "max_response",
	 .type = YML_UINT,
	 SIM(max_response),
	 .min = 8,
	 .max = MAX_RESPONSE},
	YML_KEY_CALL("sessions", sessions_list, 0),
	YML_KEY_LIST("security", struct ecu_rd, e.sim.security, e.sim.nsecurity, sec_keys,
		     struct uds_sim_security, sec_item),
	YML_KEY_LIST("dids", struct ecu_rd, e.sim.dids, e.sim.ndids, did_keys, struct uds_sim_did,
		     did_item),
	YML_KEY_LIST("dtcs", struct ecu_rd, e.sim.dtcs, e.sim.ndtcs, dtc_keys, struct uds_sim_dtc,
		     NULL),
	YML_KEY_LIST("routines", struct ecu_rd, e.sim.routines, e.sim.nroutines, routine_keys,
		     struct uds_sim_routine, NULL),
	YML_KEY_LIST("io", struct ecu_rd, e.sim.ios, e.sim.nios, io_keys, struct uds_sim_io,
		     io_item),
	YML_KEY_LIST("memory", struct ecu_rd, e.sim.mems, e.sim.nmems, mem_keys, struct uds_sim_mem,
		     NULL),
	YML_KEY_MAP("download", struct ecu_rd, e.sim.download, download_keys, download_post),
	YML_KEY_LIST("pending", struct ecu_rd, e.sim.delays, e.sim.ndelays, pending_keys,
		     struct uds_sim_delay, pending_item),
	YML_KEY_MAP("obd", struct ecu_rd, e.sim.obd, obd_keys, obd_post),
	{0},
};

static int same_id(const struct isotp_cfg *a, uint32_t id, uint8_t eff)
{
	return a->rx_id == id && a->rx_eff == eff;
}

/* One ECU of ecus:, read into a struct ecu_rd, then checked against the
 * ECUs before it. */
static int ecu_item(struct yml_rd *r, const yaml_node_t *m, void *arr, size_t i)
{
	struct ecusim_ecu *ecus = arr, *e;
	struct ecu_rd t;
	size_t k;
	int err;

	memset(&t, 0, sizeof(t));
	isotp_cfg_init(&t.e.phys);
	uds_sim_cfg_init(&t.e.sim);
	t.tester = 0xF1;
	LD(r)->ecu = &t;
	err = default_sessions(r, &t.e.sim);
	if (!err && yml_map_check(Y(r), m, ecu_names))
		err = -EINVAL;
	if (!err)
		err = yml_read_keys(r, m, ecu_name_keys, &t);
	if (!err)
		err = addressing_keys(r, &t, m);
	if (!err)
		err = yml_read_keys(r, m, ecu_addr_keys, &t);
	if (!err)
		err = addressing(r, &t, m);
	if (!err)
		err = yml_read_keys(r, m, ecu_keys, &t);
	if (err)
		return err;
	t.e.rx_cap = 4095;
	if (t.e.sim.download.enabled && t.e.sim.download.max_block > t.e.rx_cap)
		t.e.rx_cap = t.e.sim.download.max_block;
	LD(r)->ecu = NULL;
	e = &ecus[i];
	*e = t.e;
	for (k = 0; k < i; k++) {
		const struct ecusim_ecu *o = &ecus[k];

		if (!strcmp(o->name, e->name))
			return yml_error(Y(r), yml_get(Y(r), m, "name"), "ECU name '%s' used twice",
					 e->name);
		if (same_id(&o->phys, e->phys.rx_id, e->phys.rx_eff))
			return yml_error(Y(r), m, "ECU '%s' receives on the same id as '%s'",
					 e->name, o->name);
		if (o->phys.tx_id == e->phys.tx_id && o->phys.tx_eff == e->phys.tx_eff)
			return yml_error(Y(r), m, "ECU '%s' answers on the same id as '%s'",
					 e->name, o->name);
	}
	return 0;
}

static const struct yml_key root_keys[] = {
	{.name = "ecus",
	 .type = YML_LIST,
	 .flags = YML_REQ,
	 YML_OFF(struct ecusim_cfg, ecus),
	 YML_OFF2(struct ecusim_cfg, necus),
	 .item_size = sizeof(struct ecusim_ecu),
	 .fn = ecu_item},
	YML_KEY_KNOWN("doip"), /* uds_sim_conf_doip.c reads it */
	{0},
};

/* Parses what l->y holds (its load already ran: e is its result) into c. */
static int load_doc(struct ecusim_cfg *c, struct ld *l, int e, char *err, size_t errlen)
{
	yaml_node_t *root = yml_root(&l->y);

	l->r.y = &l->y;
	l->r.arena = &c->blocks;
	l->r.ctx = l;
	if (!e && !root)
		e = yml_error(&l->y, NULL, "empty configuration; expected 'ecus:'");
	if (!e)
		e = yml_read_map(&l->r, root, root_keys, c);
	if (!e && !c->necus)
		e = yml_error(&l->y, yml_get(&l->y, root, "ecus"), "no ECU configured");
	if (!e)
		e = ecusim_doip_load(c, &l->y);
	yml_err_out(&l->y, e, err, errlen);
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
