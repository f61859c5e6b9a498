/* SPDX-License-Identifier: MIT */
/*
 * gw_conf.c - canrigd's YAML configuration into a compiled rule engine.
 * Mappings are key tables (yml_read.h); the lists the engine takes over
 * (ids, masks, data, actions) stay malloc'd here, as gw_engine_new()
 * frees them with free().
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbc.h"
#include "doip.h"
#include "gw_conf.h"
#include "uds.h"
#include "yml.h"
#include "yml_read.h"

#include "gw_conf_priv.h"

static int get_uint(struct ld *l, const yaml_node_t *n, uint64_t max, uint64_t *v)
{
	return yml_uint(l->y, n, max, v);
}

static int get_int(struct ld *l, const yaml_node_t *n, long lo, long hi, long *v)
{
	const char *s;
	char *end;

	if (yml_str(l->y, n, &s))
		return -EINVAL;
	errno = 0;
	*v = strtol(s, &end, 0);
	if (!*s || *end || errno)
		return E(n, "expected a number, found '%s'", s);
	if (*v < lo || *v > hi)
		return E(n, "%ld out of range (%ld..%ld)", *v, lo, hi);
	return 0;
}

/* The words of a choice; its message says "unknown value 'x' (a, b)". */
#define CHOICE(key, T, f, words)                                                                   \
	{                                                                                          \
		.name = (key), .type = YML_ENUM, YML_OFF(T, f), .names = (words), .what = "value"  \
	}

int gw_conf_name_into(struct ld *l, const yaml_node_t *n, char *dst, size_t cap)
{
	const char *s;

	if (yml_str(l->y, n, &s))
		return -EINVAL;
	if (!*s || strlen(s) >= cap || strpbrk(s, " \t\n'\""))
		return E(n, "'%s' is not a usable name (1..%zu characters, no blanks or quotes)", s,
			 cap - 1);
	strcpy(dst, s);
	return 0;
}

/* A name into a char[GW_NAME_MAX] field. */
static int name_key(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)i;
	return gw_conf_name_into(LD(r), n, p, GW_NAME_MAX);
}

int gw_conf_find_if(struct ld *l, const yaml_node_t *n, uint8_t *idx)
{
	const char *s;
	size_t i;

	if (yml_str(l->y, n, &s))
		return -EINVAL;
	for (i = 0; i < l->spec.nifs; i++)
		if (!strcmp(l->spec.ifs[i].name, s)) {
			*idx = (uint8_t)i;
			return 0;
		}
	return E(n, "unknown interface '%s' (not under interfaces:)", s);
}

/* ---- options, interfaces ---- */

static int queue_frames(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct ld *l = LD(r);
	uint64_t x;

	(void)i;
	if (yml_uint(l->y, n, 1u << 20, &x))
		return -EINVAL;
	if (!x)
		return E(n, "a queue needs room for at least one frame");
	*(uint32_t *)p = (uint32_t)x;
	return 0;
}

static const struct yml_key queue_keys[] = {
	YML_KEY_FN("frames", struct gw_ifpolicy, queue_frames, queue_frames, 0),
	YML_KEY_UINT("max_age_ms", struct gw_ifpolicy, max_age_ms, 3600000, 0),
	{0},
};

static int opt_match(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	static const char *const matches[] = {"all", "first", NULL};
	static const struct yml_key k = CHOICE("match", struct gw_spec, first_match, matches);

	(void)p;
	(void)i;
	return yml_read_value(r, n, &k, &LD(r)->spec);
}

static int opt_hop_limit(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	static const struct yml_key k = {.name = "hop_limit",
					 .type = YML_UINT,
					 YML_OFF(struct gw_spec, hop_limit),
					 .max = 255};

	(void)p;
	(void)i;
	return yml_read_value(r, n, &k, &LD(r)->spec);
}

static int opt_control(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct ld *l = LD(r);
	const char *s;

	(void)i;
	if (yml_str(l->y, n, &s))
		return -EINVAL;
	if (s[0] != '/' || strlen(s) >= 108)
		return E(n, "control socket: an absolute path under 108 bytes");
	strcpy(p, s);
	return 0;
}

static int opt_queue(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)p;
	(void)i;
	return yml_read_map(r, n, queue_keys, LD(r)->def);
}

static int opt_control_users(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct ld *l = LD(r);
	size_t k, nu;

	(void)p;
	(void)i;
	if (yml_seq(l->y, n, &nu))
		return -EINVAL;
	if (nu > GW_CTL_USERS_MAX)
		return E(n, "at most %d control_users", GW_CTL_USERS_MAX);
	for (k = 0; k < nu; k++)
		if (gw_conf_name_into(l, yml_seq_item(l->y, n, k), l->c->control_users[k],
				      sizeof(l->c->control_users[k])))
			return -EINVAL;
	l->c->ncontrol_users = nu;
	return 0;
}

static const char *const offl[] = {"none", "kernel", NULL};

/* options: into struct gw_conf; match: and hop_limit: are the engine's */
static const struct yml_key option_keys[] = {
	YML_KEY_CALL("match", opt_match, 0),
	YML_KEY_CALL("hop_limit", opt_hop_limit, 0),
	YML_KEY_BOOL("workshop", struct gw_conf, workshop),
	YML_KEY_FN("control", struct gw_conf, control, opt_control, 0),
	YML_KEY_FN("user", struct gw_conf, user, name_key, 0),
	YML_KEY_CALL("queue", opt_queue, 0),
	YML_KEY_FN("control_group", struct gw_conf, control_group, name_key, 0),
	YML_KEY_CALL("control_users", opt_control_users, 0),
	CHOICE("offload", struct gw_conf, offload_kernel, offl),
	{0},
};

static int if_name(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct ld *l = LD(r);
	struct gw_if_spec *f = p;
	size_t k;

	(void)i;
	if (gw_conf_name_into(l, n, f->name, sizeof(f->name)))
		return -EINVAL;
	if (strlen(f->name) >= 16)
		return E(n, "'%s': interface names are at most 15 characters", f->name);
	l->c->ifpos[l->cur_if][0] = (uint32_t)n->start_mark.line + 1;
	l->c->ifpos[l->cur_if][1] = (uint32_t)n->start_mark.column + 1;
	/* to the kernel "any" is every CAN interface at once */
	if (!strcmp(f->name, "any"))
		return E(n, "'any' is not an interface: a socket bound to it "
			    "receives from every CAN interface");
	for (k = 0; k < l->cur_if; k++)
		if (!strcmp(l->spec.ifs[k].name, f->name))
			return E(n, "interface '%s' is listed twice", f->name);
	strcpy(f->domain, f->name);
	return 0;
}

static int if_txqueue(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)p;
	(void)i;
	return yml_read_map(r, n, queue_keys, &LD(r)->c->pol[LD(r)->cur_if]);
}

static int if_rcvbuf(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct ld *l = LD(r);
	uint64_t x;

	(void)p;
	(void)i;
	if (yml_uint(l->y, n, GW_RCVBUF_MAX, &x))
		return -EINVAL;
	if (x < GW_RCVBUF_MIN)
		return E(n, "rcvbuf: at least %u bytes", GW_RCVBUF_MIN);
	l->c->pol[l->cur_if].rcvbuf = (uint32_t)x;
	return 0;
}

/* an interfaces: item into struct gw_if_spec; its queue into c->pol[] */
static const struct yml_key if_keys[] = {
	YML_KEY_CALL("name", if_name, YML_REQ),
	YML_KEY_FN("domain", struct gw_if_spec, domain, name_key, 0),
	YML_KEY_BOOL("fd", struct gw_if_spec, fd),
	YML_KEY_BOOL("untrusted", struct gw_if_spec, untrusted),
	YML_KEY_CALL("txqueue", if_txqueue, 0),
	YML_KEY_CALL("rcvbuf", if_rcvbuf, 0),
	{0},
};

static int interfaces(struct yml_rd *r, const yaml_node_t *list, void *p, size_t i)
{
	struct ld *l = LD(r);
	size_t n;

	(void)p;
	if (yml_seq(l->y, list, &n))
		return -EINVAL;
	if (!n || n > GW_MAX_IFS)
		return E(list, "1 to %d interfaces are needed", GW_MAX_IFS);
	for (i = 0; i < n; i++) {
		struct gw_if_spec *f = &l->spec.ifs[i];

		l->cur_if = i;
		l->c->pol[i] = *l->def;
		if (yml_read_map(r, yml_seq_item(l->y, list, i), if_keys, f))
			return -EINVAL;
		strcpy(l->c->ifname[i], f->name);
		l->spec.nifs = i + 1;
	}
	l->c->nifs = n;
	return 0;
}

/* ---- routes ---- */

static int parse_id(struct ld *l, const yaml_node_t *n, const char *s, uint32_t *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 0);
	if (!*s || *s == '-' || *end || errno || x > CF_EFF_MASK)
		return E(n, "bad CAN id '%s' (0 to 0x1FFFFFFF)", s);
	*v = (uint32_t)x;
	return 0;
}

/*
 * Id selections (ids: and masks: items) per route and in the file.  Far
 * above real configurations (a big DBC has some 2,000 messages), they
 * bound what a file can cost: the engine walks a route's ranges and
 * masks per frame, the kernel filters give up past 512 anyway, and each
 * offloaded selection is a can-gw job (65,536 uids per generation).
 */
#define GW_SEL_PER_ROUTE 4096
#define GW_SEL_TOTAL	 65536

/*
 * Refuses n more selections for route r, at the first item past a cap.
 * Counts the routes before r (at most 4096 of them) each time rather
 * than keep a total that every other path would have to maintain.
 */
static int sel_cap(struct ld *l, const struct gw_route_spec *r, const yaml_node_t *list, size_t n)
{
	size_t k, before = 0;

	for (k = 0; k < l->spec.nroutes && &l->spec.routes[k] != r; k++)
		before += l->spec.routes[k].nsel;
	if (r->nsel + n > GW_SEL_PER_ROUTE)
		return E(yml_seq_item(l->y, list, GW_SEL_PER_ROUTE - r->nsel),
			 "route '%s': more than %d id selections (ids: and masks: "
			 "items) in one route",
			 r->name, GW_SEL_PER_ROUTE);
	if (before + r->nsel + n > GW_SEL_TOTAL)
		return E(yml_seq_item(l->y, list, GW_SEL_TOTAL - before - r->nsel),
			 "route '%s': more than %d id selections (ids: and masks: "
			 "items) in all routes",
			 r->name, GW_SEL_TOTAL);
	return 0;
}

static int ids(struct ld *l, struct gw_route_spec *r, const yaml_node_t *list, int ext)
{
	size_t n, i;

	if (yml_seq(l->y, list, &n))
		return -EINVAL;
	if (!n)
		return E(list,
			 "an empty id list selects nothing; leave ids: out to route every id");
	if (sel_cap(l, r, list, n))
		return -EINVAL;
	r->sel = calloc(n + 8, sizeof(*r->sel));
	if (!r->sel)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		yaml_node_t *it = yml_seq_item(l->y, list, i);
		struct gw_idsel *s = &r->sel[r->nsel++];
		char buf[64], *dash;
		const char *str;

		if (yml_str(l->y, it, &str))
			return -EINVAL;
		if (strlen(str) >= sizeof(buf))
			return E(it, "bad CAN id '%s'", str);
		strcpy(buf, str);
		dash = strchr(buf, '-');
		if (dash) {
			*dash = 0;
			s->kind = GW_SEL_RANGE;
			if (parse_id(l, it, buf, &s->lo) || parse_id(l, it, dash + 1, &s->hi))
				return -EINVAL;
			if (s->lo > s->hi)
				return E(it, "range '%s' runs backwards", str);
		} else {
			s->kind = GW_SEL_EXACT;
			if (parse_id(l, it, buf, &s->lo))
				return -EINVAL;
			s->hi = s->lo;
		}
		s->eff = (uint8_t)(ext || s->hi > CF_SFF_MASK);
		if (s->eff && s->lo <= CF_SFF_MASK && s->hi > CF_SFF_MASK && !ext)
			return E(it,
				 "range '%s' spans 11- and 29-bit ids; split it, or set frame: "
				 "extended",
				 str);
	}
	return 0;
}

static const struct yml_key mask_keys[] = {
	YML_KEY_UINT("id", struct gw_idsel, lo, CF_EFF_MASK, YML_REQ),
	YML_KEY_UINT("mask", struct gw_idsel, hi, CF_EFF_MASK, YML_REQ),
	YML_KEY_BOOL("invert", struct gw_idsel, invert),
	{0},
};

static int masks(struct ld *l, struct gw_route_spec *r, const yaml_node_t *list, int ext)
{
	size_t n, i;
	struct gw_idsel *ns;
	int e;

	if (yml_seq(l->y, list, &n) || sel_cap(l, r, list, n))
		return -EINVAL;
	ns = realloc(r->sel, (r->nsel + n + 1) * sizeof(*r->sel));
	if (!ns)
		return -ENOMEM;
	r->sel = ns;
	for (i = 0; i < n; i++) {
		struct gw_idsel *s = &r->sel[r->nsel++];

		memset(s, 0, sizeof(*s));
		s->kind = GW_SEL_MASK;
		e = yml_read_map(&l->r, yml_seq_item(l->y, list, i), mask_keys, s);
		if (e)
			return e;
		s->eff = (uint8_t)(ext || s->lo > CF_SFF_MASK || s->hi > CF_SFF_MASK);
	}
	return 0;
}

static int length(struct ld *l, struct gw_route_spec *r, const yaml_node_t *n)
{
	const char *s;
	unsigned int a, b;
	char c;

	if (yml_str(l->y, n, &s))
		return -EINVAL;
	if (sscanf(s, "%u-%u%c", &a, &b, &c) == 2 || sscanf(s, "%u%c", &a, &c) == 1) {
		if (!strchr(s, '-'))
			b = a;
		if (a <= b && b <= CF_MAX_LEN) {
			r->len_min = (uint8_t)a;
			r->len_max = (uint8_t)b;
			return 0;
		}
	}
	return E(n, "length: N or MIN-MAX, 0 to 64 bytes (found '%s')", s);
}

static const struct yml_key datamatch_keys[] = {
	YML_KEY_UINT("byte", struct gw_datamatch, byte, CF_MAX_LEN - 1, YML_REQ),
	YML_KEY_UINT("value", struct gw_datamatch, value, 255, YML_REQ),
	YML_KEY_UINT_DEF("mask", struct gw_datamatch, mask, 255, 0xFF),
	{0},
};

static int datamatch(struct ld *l, struct gw_route_spec *r, const yaml_node_t *list)
{
	size_t n, i;
	int e;

	if (yml_seq(l->y, list, &n))
		return -EINVAL;
	r->data = calloc(n + 1, sizeof(*r->data));
	if (!r->data)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		e = yml_read_map(&l->r, yml_seq_item(l->y, list, i), datamatch_keys,
				 &r->data[r->ndata++]);
		if (e)
			return e;
	}
	return 0;
}

static const struct yml_key mod_keys[] = {
	YML_KEY_UINT("id", struct gw_mod, id, CF_EFF_MASK, 0),
	YML_KEY_UINT("len", struct gw_mod, len, CF_MAX_LEN, 0),
	YML_KEY_KNOWN("data"),
	{0},
};

/* can-gw style modification: {id: X, len: N, data: "hex"} */
static int modification(struct ld *l, const yaml_node_t *n, uint8_t op, struct gw_mod *m)
{
	yaml_node_t *v;
	size_t len;
	int e;

	m->op = op;
	e = yml_read_map(&l->r, n, mod_keys, m);
	if (e)
		return e;
	if (yml_get(l->y, n, "id"))
		m->fields |= GW_MOD_ID;
	if (yml_get(l->y, n, "len"))
		m->fields |= GW_MOD_LEN;
	if ((v = yml_get(l->y, n, "data"))) {
		/* bytes not given act as identity: AND FF, others 00 */
		memset(m->data, op == GW_MOD_AND ? 0xFF : 0, sizeof(m->data));
		if (yml_hex(l->y, v, m->data, sizeof(m->data), &len))
			return -EINVAL;
		if (op == GW_MOD_SET && len != 8 && len != CF_MAX_LEN)
			return E(v, "set: data gives all 8 (or 64) bytes, as can-gw does");
		m->fields |= GW_MOD_DATA;
	}
	if (!m->fields)
		return E(n, "a modification names id, len or data");
	return 0;
}

/* A byte index, negative from the end as can-gw counts. */
static int idx8(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	long t;

	(void)i;
	if (get_int(LD(r), n, -64, 63, &t))
		return -EINVAL;
	*(int8_t *)p = (int8_t)t;
	return 0;
}

#define IDX(key, T, f)                                                                             \
	{                                                                                          \
		.name = (key), .type = YML_FUNC, .flags = YML_REQ, YML_OFF(T, f), .fn = idx8       \
	}

static const struct yml_key xor_keys[] = {
	IDX("from", struct gw_xor, from_idx),
	IDX("to", struct gw_xor, to_idx),
	IDX("result", struct gw_xor, result_idx),
	YML_KEY_UINT("init", struct gw_xor, init_xor_val, 255, 0),
	{0},
};

static int csum_xor(struct ld *l, const yaml_node_t *n, struct gw_csum *c)
{
	c->kind = GW_CSUM_XOR;
	return yml_read_map(&l->r, n, xor_keys, &c->u.xsum);
}

static const char *const profs[] = {"none", "1u8", "16u8", "sffid_xor", NULL};

/* poly: is no field: the table is computed from it */
static int crc8_poly(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	uint64_t poly;

	(void)i;
	if (yml_uint(r->y, n, 255, &poly))
		return -EINVAL;
	gw_crc8_table(p, (uint8_t)poly);
	return 0;
}

static const struct yml_key crc8_keys[] = {
	IDX("from", struct gw_crc8, from_idx),
	IDX("to", struct gw_crc8, to_idx),
	IDX("result", struct gw_crc8, result_idx),
	YML_KEY_UINT("init", struct gw_crc8, init_crc_val, 255, 0),
	YML_KEY_UINT("xor", struct gw_crc8, final_xor_val, 255, 0),
	YML_KEY_FN("poly", struct gw_crc8, crctab, crc8_poly, 0),
	CHOICE("profile", struct gw_crc8, profile, profs),
	YML_KEY_KNOWN("profile_data"),
	{0},
};

static int csum_crc8(struct ld *l, const yaml_node_t *n, struct gw_csum *c)
{
	struct gw_crc8 *k = &c->u.crc8;
	yaml_node_t *v;
	size_t len;
	int e;

	c->kind = GW_CSUM_CRC8;
	k->init_crc_val = 0xFF;
	k->final_xor_val = 0xFF;
	gw_crc8_table(k->crctab, 0x1D);
	e = yml_read_map(&l->r, n, crc8_keys, k);
	if (e)
		return e;
	if ((v = yml_get(l->y, n, "profile_data"))) {
		if (yml_hex(l->y, v, k->profile_data, sizeof(k->profile_data), &len))
			return -EINVAL;
		if ((k->profile == GW_CRC8PRF_1U8 && len != 1) ||
		    (k->profile == GW_CRC8PRF_16U8 && len != 16))
			return E(v, "profile_data: 1 byte for 1u8, 16 for 16u8");
	}
	return 0;
}

static const char *const orders[] = {"big", "little", NULL};

static const struct yml_key crc16_keys[] = {
	IDX("from", struct gw_crc16, from_idx),
	IDX("to", struct gw_crc16, to_idx),
	IDX("result", struct gw_crc16, result_idx),
	YML_KEY_UINT("init", struct gw_crc16, init_val, 0xFFFF, 0),
	YML_KEY_UINT("xor", struct gw_crc16, final_xor_val, 0xFFFF, 0),
	CHOICE("order", struct gw_crc16, order, orders),
	{0},
};

static int csum_crc16(struct ld *l, const yaml_node_t *n, struct gw_csum *c)
{
	c->kind = GW_CSUM_CRC16;
	c->u.crc16.init_val = 0xFFFF;
	return yml_read_map(&l->r, n, crc16_keys, &c->u.crc16);
}

/* every key of either profile: a key of the other one is not an error */
static const char *const e2e_all[] = {
	"profile",	  "data_id",	   "data_ids", "mode",	  "crc_offset",
	"counter_offset", "nibble_offset", "length",   "counter", NULL};
static const char *const modes[] = {"both", "alt", "low", "nibble", NULL};
static const char *const ctr[] = {"regenerate", "keep", NULL};

/* bit offsets: the checksum toolbox checks them against the frame length
 * at compile time */
static const struct yml_key p01_keys[] = {
	YML_KEY_UINT("data_id", struct gw_e2e_p01, data_id, 0xFFFF, YML_REQ),
	CHOICE("mode", struct gw_e2e_p01, mode, modes),
	YML_KEY_UINT("crc_offset", struct gw_e2e_p01, crc_offset, 0xFFFF, 0),
	YML_KEY_UINT("counter_offset", struct gw_e2e_p01, counter_offset, 0xFFFF, 0),
	YML_KEY_UINT("nibble_offset", struct gw_e2e_p01, nibble_offset, 0xFFFF, 0),
	YML_KEY_UINT("length", struct gw_e2e_p01, data_len, 255, 0),
	CHOICE("counter", struct gw_e2e_p01, counter_mode, ctr),
	{0},
};

static int p02_ids(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	size_t len;

	(void)i;
	if (yml_hex(r->y, n, p, 16, &len))
		return -EINVAL;
	if (len != 16)
		return yml_error(r->y, n, "data_ids: 16 bytes, one per counter value");
	return 0;
}

static const struct yml_key p02_keys[] = {
	YML_KEY_FN("data_ids", struct gw_e2e_p02, data_id_list, p02_ids, YML_REQ),
	YML_KEY_UINT("length", struct gw_e2e_p02, data_len, 255, 0),
	CHOICE("counter", struct gw_e2e_p02, counter_mode, ctr),
	{0},
};

static int csum_e2e(struct ld *l, const yaml_node_t *n, struct gw_csum *c)
{
	yaml_node_t *v;
	uint64_t prof;

	if (yml_map_check(l->y, n, e2e_all) || yml_need(l->y, n, "profile", &v) ||
	    get_uint(l, v, 2, &prof))
		return -EINVAL;
	if (prof == 1) {
		struct gw_e2e_p01 *p = &c->u.p01;

		c->kind = GW_CSUM_E2E_P01;
		p->crc_offset = 0;
		p->counter_offset = 8;
		p->nibble_offset = 12;
		p->data_len = 8;
		return yml_read_keys(&l->r, n, p01_keys, p);
	}
	if (prof == 2) {
		c->kind = GW_CSUM_E2E_P02;
		c->u.p02.data_len = 8;
		return yml_read_keys(&l->r, n, p02_keys, &c->u.p02);
	}
	return E(v, "e2e profile 1 or 2");
}

static const char *const keeps[] = {"first", "latest", NULL};

static const struct yml_key rate_keys[] = {
	YML_KEY_UINT("interval_ms", struct gw_rate, interval_ms, 3600000, 0),
	YML_KEY_UINT("rate", struct gw_rate, rate_per_s, 1000000, 0),
	YML_KEY_UINT("burst", struct gw_rate, burst, 1000000, 0),
	CHOICE("keep", struct gw_rate, keep, keeps),
	{0},
};

static int rate(struct ld *l, const yaml_node_t *n, struct gw_rate *r)
{
	int e = yml_read_map(&l->r, n, rate_keys, r);

	if (e)
		return e;
	if (!r->interval_ms == !r->rate_per_s)
		return E(n, "rate: give interval_ms, or rate and burst");
	if (r->rate_per_s && !r->burst)
		return E(n, "rate: a token bucket needs a burst of at least 1");
	return 0;
}

static int actions(struct ld *l, struct gw_route_spec *r, const yaml_node_t *list)
{
	static const char *const kinds[] = {
		"set_id", "add_id", "and", "or",   "xor",  "set", "xor_checksum",
		"crc8",	  "crc16",  "e2e", "rate", "drop", NULL,
	};
	size_t n, i;

	if (yml_seq(l->y, list, &n))
		return -EINVAL;
	r->act = calloc(n + 1, sizeof(*r->act));
	if (!r->act)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		yaml_node_t *it = yml_seq_item(l->y, list, i), *key, *v;
		struct gw_action *a = &r->act[r->nact++];
		const char *k;
		uint64_t x;
		int w, b;

		if (!yml_is_map(it) || yml_map_len(it) != 1)
			return E(it, "an action is a mapping with one key (%s)",
				 "set_id, add_id, and, or, xor, set, xor_checksum, crc8, crc16, "
				 "e2e, rate, drop");
		if (yml_map_check(l->y, it, kinds))
			return -EINVAL;
		yml_map_pair(l->y, it, 0, &key, &k, &v);
		for (w = 0; strcmp(kinds[w], k); w++)
			;
		switch (w) {
		case 0:
		case 1:
			a->kind = w ? GW_ACT_ID_ADD : GW_ACT_ID_SET;
			if (get_uint(l, v, CF_EFF_MASK, &x))
				return -EINVAL;
			a->u.id = (uint32_t)x;
			break;
		case 2:
		case 3:
		case 4:
		case 5:
			a->kind = GW_ACT_MOD;
			if (modification(l, v, (uint8_t)(w - 2), &a->u.mod))
				return -EINVAL;
			break;
		case 6:
		case 7:
		case 8:
		case 9:
			a->kind = GW_ACT_CSUM;
			if ((w == 6   ? csum_xor
			     : w == 7 ? csum_crc8
			     : w == 8 ? csum_crc16
				      : csum_e2e)(l, v, &a->u.csum))
				return -EINVAL;
			break;
		case 10:
			a->kind = GW_ACT_RATE;
			if (rate(l, v, &a->u.rate))
				return -EINVAL;
			break;
		default:
			a->kind = GW_ACT_DROP;
			if (yml_bool(l->y, v, &b))
				return -EINVAL;
			if (!b)
				r->nact--;
			break;
		}
	}
	return 0;
}

/*
 * A SID list item: 0x22, or {sid: 0x10, subs: [0x01, 0x03]}; ws: the
 * workshop list.  A SID once per list; subs: only on SIDs that have
 * sub-functions (elsewhere it would be ignored, and every request of the
 * SID pass).
 */
static int fw_list(struct ld *l, struct gw_firewall *fw, const yaml_node_t *list, uint8_t *bits,
		   int ws)
{
	static const char *const keys[] = {"sid", "subs", NULL};
	size_t n, i, k, ns;

	if (yml_seq(l->y, list, &n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		yaml_node_t *it = yml_seq_item(l->y, list, i), *v = it, *subs;
		uint64_t sid, sub;

		if (yml_is_map(it)) {
			if (yml_map_check(l->y, it, keys) || yml_need(l->y, it, "sid", &v) ||
			    get_uint(l, v, 0xFF, &sid))
				return -EINVAL;
			if ((subs = yml_get(l->y, it, "subs"))) {
				if (!uds_has_subfunction((uint8_t)sid))
					return E(subs,
						 "SID 0x%02X has no sub-functions: subs: "
						 "would be ignored",
						 (unsigned int)sid);
				if (fw->nsub == sizeof(fw->sub) / sizeof(fw->sub[0]))
					return E(it, "at most 16 services with sub-function lists");
				if (yml_seq(l->y, subs, &ns))
					return -EINVAL;
				if (!ns)
					return E(subs,
						 "an empty subs: list allows no sub-function; "
						 "leave the SID out");
				fw->sub[fw->nsub].sid = (uint8_t)sid;
				fw->sub[fw->nsub].workshop = (uint8_t)ws;
				for (k = 0; k < ns; k++) {
					if (get_uint(l, yml_seq_item(l->y, subs, k), 0x7F, &sub))
						return -EINVAL;
					fw->sub[fw->nsub].subs[sub >> 3] |=
						(uint8_t)(1u << (sub & 7));
				}
				fw->nsub++;
			}
		} else if (get_uint(l, it, 0xFF, &sid)) {
			return -EINVAL;
		}
		if (bits[sid >> 3] >> (sid & 7) & 1)
			return E(v, "SID 0x%02X is listed twice in %s", (unsigned int)sid,
				 ws ? "workshop" : "allow");
		bits[sid >> 3] |= (uint8_t)(1u << (sid & 7));
	}
	return 0;
}

/* address_byte: one number or a list (one per target on these ids). */
static int fw_ae(struct ld *l, struct gw_firewall *fw, const yaml_node_t *v)
{
	size_t n = 1, i, k;
	uint64_t x;

	if (!yml_is_scalar(v) && yml_seq(l->y, v, &n))
		return -EINVAL;
	if (!n || n > GW_FW_AE_MAX)
		return E(v, "address_byte: 1 to %d address bytes", GW_FW_AE_MAX);
	for (i = 0; i < n; i++) {
		const yaml_node_t *it = yml_is_scalar(v) ? v : yml_seq_item(l->y, v, i);

		if (get_uint(l, it, 255, &x))
			return -EINVAL;
		for (k = 0; k < fw->nae; k++)
			if (fw->ae[k] == x)
				return E(it, "address byte 0x%02X is listed twice",
					 (unsigned int)x);
		fw->ae[fw->nae++] = (uint8_t)x;
	}
	return 0;
}

static int fw_allow(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct gw_firewall *fw = LD(r)->fw;

	(void)i;
	return fw_list(LD(r), fw, n, p, p == fw->workshop);
}

static int fw_addr(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)i;
	return fw_ae(LD(r), p, n);
}

const struct yml_key gw_conf_fw_keys[] = {
	YML_KEY_FN("allow", struct gw_firewall, allow, fw_allow, YML_REQ),
	YML_KEY_FN("workshop", struct gw_firewall, workshop, fw_allow, 0),
	YML_KEY_CALL("address_byte", fw_addr, 0),
	{0},
};

static int firewall(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct gw_route_spec *rt = LD(r)->route;

	(void)p;
	(void)i;
	if (yml_map_check_table(r->y, n, &gw_conf_fw_keys[0].name, sizeof(gw_conf_fw_keys[0])))
		return -EINVAL;
	rt->fw = calloc(1, sizeof(*rt->fw));
	if (!rt->fw)
		return -ENOMEM;
	LD(r)->fw = rt->fw;
	return yml_read_keys(r, n, gw_conf_fw_keys, rt->fw);
}

static int route_from(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)i;
	return gw_conf_find_if(LD(r), n, p);
}

static int route_to(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct ld *l = LD(r);
	uint64_t *dst = p;
	size_t k, nd;
	uint8_t d;

	(void)i;
	if (yml_is_scalar(n)) {
		if (gw_conf_find_if(l, n, &d))
			return -EINVAL;
		*dst = 1ull << d;
		return 0;
	}
	if (yml_seq(l->y, n, &nd))
		return -EINVAL;
	if (!nd)
		return E(n, "route '%s' goes nowhere: list at least one interface", l->route->name);
	for (k = 0; k < nd; k++) {
		if (gw_conf_find_if(l, yml_seq_item(l->y, n, k), &d))
			return -EINVAL;
		*dst |= 1ull << d;
	}
	return 0;
}

/* ids: and masks: read as extended ids only with frame: extended, read
 * before them */
static int route_ids(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct gw_route_spec *rt = LD(r)->route;

	(void)p;
	(void)i;
	return ids(LD(r), rt, n, rt->frame == GW_EFF_ONLY);
}

static int route_masks(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct gw_route_spec *rt = LD(r)->route;

	(void)p;
	(void)i;
	return masks(LD(r), rt, n, rt->frame == GW_EFF_ONLY);
}

static int route_length(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)p;
	(void)i;
	return length(LD(r), LD(r)->route, n);
}

static int route_data(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)p;
	(void)i;
	return datamatch(LD(r), LD(r)->route, n);
}

static int route_actions(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)p;
	(void)i;
	return actions(LD(r), LD(r)->route, n);
}

static const char *const frames[] = {"any", "standard", "extended", NULL};
static const char *const types[] = {"any", "classic", "fd", NULL};
static const char *const fd2c[] = {"reject", "drop", NULL};

static const struct yml_key route_keys[] = {
	YML_KEY_FN("name", struct gw_route_spec, name, name_key, YML_REQ),
	YML_KEY_FN("from", struct gw_route_spec, src, route_from, YML_REQ),
	YML_KEY_FN("to", struct gw_route_spec, dst, route_to, YML_REQ),
	CHOICE("frame", struct gw_route_spec, frame, frames),
	YML_KEY_CALL("ids", route_ids, 0),
	YML_KEY_CALL("masks", route_masks, 0),
	CHOICE("type", struct gw_route_spec, type, types),
	YML_KEY_CALL("length", route_length, 0),
	YML_KEY_CALL("data", route_data, 0),
	YML_KEY_CALL("actions", route_actions, 0),
	YML_KEY_CALL("firewall", firewall, 0),
	CHOICE("fd_to_classic", struct gw_route_spec, fd2classic, fd2c),
	YML_KEY_BOOL("allow_same_interface", struct gw_route_spec, allow_same),
	{0},
};

static int one_route(struct ld *l, yaml_node_t *n, struct gw_route_spec *r)
{
	r->len_max = CF_MAX_LEN;
	l->route = r;
	return yml_read_map(&l->r, n, route_keys, r);
}

static int routes(struct ld *l, const yaml_node_t *list)
{
	size_t n, i;
	int e;

	if (yml_seq(l->y, list, &n))
		return -EINVAL;
	if (n > 4096)
		return E(list, "%zu routes: at most 4096", n);
	l->spec.routes = calloc(n + 1, sizeof(*l->spec.routes));
	l->route_node = calloc(n + 1, sizeof(*l->route_node));
	l->names = calloc(n + 1, sizeof(*l->names));
	if (!l->spec.routes || !l->route_node || !l->names)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		yaml_node_t *it = yml_seq_item(l->y, list, i);

		l->spec.nroutes = i + 1;
		l->route_node[i] = it;
		e = one_route(l, it, &l->spec.routes[i]);
		if (e)
			return e;
		strcpy(l->names[i], l->spec.routes[i].name);
	}
	return 0;
}

/* Places an engine error at its route's position in the file. */
static void place(struct ld *l, size_t nroutes, const char *msg, char *err, size_t cap)
{
	const yaml_node_t *at = l->routes_key;
	size_t i;

	for (i = 0; i < nroutes; i++) {
		char pat[GW_NAME_MAX + 16];

		snprintf(pat, sizeof(pat), "route '%s'", l->names[i]);
		if (strstr(msg, pat)) {
			at = l->route_node[i];
			break;
		}
	}
	yml_error(l->y, at, "%s", msg);
	snprintf(err, cap, "%s", yml_errmsg(l->y));
}

static int routes_key(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)p;
	(void)i;
	LD(r)->routes_key = n;
	return routes(LD(r), n);
}

static int options_key(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)p;
	(void)i;
	return yml_read_map(r, n, option_keys, LD(r)->c);
}

/* in this order: routes and doip: name the interfaces, interfaces take
 * the options' queue as their default */
static const struct yml_key top_keys[] = {
	YML_KEY_CALL("options", options_key, 0),
	YML_KEY_CALL("interfaces", interfaces, YML_REQ),
	YML_KEY_CALL("routes", routes_key, YML_REQ),
	YML_KEY_CALL("doip", gw_conf_doip_key, 0),
	{0},
};

static int load(struct ld *l, char *err, size_t cap)
{
	struct gw_ifpolicy def = {1024, 100, GW_RCVBUF_DEFAULT};
	yaml_node_t *root;
	char msg[512];
	size_t i;
	int e;

	l->def = &def;
	l->r.y = l->y;
	l->r.arena = &l->arena;
	l->r.ctx = l;
	root = yml_root(l->y);
	if (!root) {
		e = yml_error(l->y, NULL, "empty file: expected interfaces: and routes:");
		goto out;
	}
	e = yml_read_map(&l->r, root, top_keys, l);
	if (e)
		goto out;
	/* the engine takes the routes over, freed or kept */
	i = l->spec.nroutes;
	l->c->engine = gw_engine_new(&l->spec, msg, sizeof(msg));
	if (!l->c->engine) {
		e = -errno;
		place(l, i, msg, err, cap);
		return e;
	}
	return 0;
out:
	for (i = 0; i < l->spec.nroutes; i++) {
		free(l->spec.routes[i].sel);
		free(l->spec.routes[i].data);
		free(l->spec.routes[i].act);
		free(l->spec.routes[i].fw);
	}
	free(l->spec.routes);
	l->spec.routes = NULL;
	yml_arena_free(&l->arena);
	return yml_err_out(l->y, e, err, cap);
}

static void defaults(struct gw_conf *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->control, "/run/canrigd/control.sock");
}

int gw_conf_load_yml_at(struct gw_conf *c, struct yml *y, int dirfd, char *err, size_t cap)
{
	struct ld *l = calloc(1, sizeof(*l));
	int e;

	defaults(c);
	if (!l) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	l->c = c;
	l->y = y;
	l->dirfd = dirfd;
	e = load(l, err, cap);
	free(l->route_node);
	free(l->names);
	free(l);
	if (e) {
		dbc_free(c->power_dbc);
		defaults(c);
	}
	return e;
}

int gw_conf_load_yml(struct gw_conf *c, struct yml *y, char *err, size_t cap)
{
	return gw_conf_load_yml_at(c, y, AT_FDCWD, err, cap);
}

/* Loads from a file (buf NULL: name is its path) or from buf. */
static int load_any(struct gw_conf *c, const char *name, const void *buf, size_t len, char *err,
		    size_t cap)
{
	struct yml y;
	int e;

	e = buf ? yml_load_mem(&y, name, buf, len) : yml_load_file(&y, name);
	if (e) {
		defaults(c);
		snprintf(err, cap, "%s", yml_errmsg(&y)[0] ? yml_errmsg(&y) : strerror(-e));
	} else {
		e = gw_conf_load_yml(c, &y, err, cap);
	}
	yml_fini(&y);
	return e;
}

int gw_conf_load_mem(struct gw_conf *c, const char *name, const void *buf, size_t len, char *err,
		     size_t cap)
{
	/* an empty buffer is still a buffer, not a path */
	return load_any(c, name, buf ? buf : "", len, err, cap);
}

int gw_conf_load_file(struct gw_conf *c, const char *path, char *err, size_t cap)
{
	return load_any(c, path, NULL, 0, err, cap);
}

void gw_conf_fini(struct gw_conf *c)
{
	gw_engine_free(c->engine);
	c->engine = NULL;
	dbc_free(c->power_dbc);
	c->power_dbc = NULL;
}
