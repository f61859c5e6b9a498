/* SPDX-License-Identifier: MIT */
/* gw_conf.c - canrigd's YAML configuration into a compiled rule engine. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_conf.h"
#include "uds.h"
#include "yml.h"

struct ld {
	struct yml *y; /* borrowed */
	struct gw_spec spec;
	struct gw_conf *c;
	yaml_node_t **route_node;   /* each route's mapping, for messages */
	char (*names)[GW_NAME_MAX]; /* kept for messages after compiling */
	yaml_node_t *routes_key;
};

#define E(n, ...) yml_error(l->y, (n), __VA_ARGS__)

static int get_uint(struct ld *l, yaml_node_t *n, uint64_t max, uint64_t *v)
{
	return yml_uint(l->y, n, max, v);
}

static int get_int(struct ld *l, yaml_node_t *n, long lo, long hi, long *v)
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

/* An optional number: *v is left alone when key is absent.  Returns 0 or
 * -EINVAL. */
static int opt_u32(struct ld *l, yaml_node_t *n, const char *key, uint32_t max, uint32_t *v)
{
	yaml_node_t *x = yml_get(l->y, n, key);
	uint64_t t;

	if (!x)
		return 0;
	if (get_uint(l, x, max, &t))
		return -EINVAL;
	*v = (uint32_t)t;
	return 0;
}

static int opt_u16(struct ld *l, yaml_node_t *n, const char *key, uint16_t *v)
{
	uint32_t t = *v;

	if (opt_u32(l, n, key, 0xFFFF, &t))
		return -EINVAL;
	*v = (uint16_t)t;
	return 0;
}

static int choice(struct ld *l, yaml_node_t *n, const char *const *words, int *v)
{
	const char *s;
	char list[256] = "";
	int i;

	if (yml_str(l->y, n, &s))
		return -EINVAL;
	for (i = 0; words[i]; i++) {
		if (!strcmp(s, words[i])) {
			*v = i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 words[i]);
	}
	return E(n, "unknown value '%s' (%s)", s, list);
}

static int name_into(struct ld *l, yaml_node_t *n, char *dst, size_t cap)
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

static int find_if(struct ld *l, yaml_node_t *n, uint8_t *idx)
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

static int queue_policy(struct ld *l, yaml_node_t *n, struct gw_ifpolicy *p)
{
	static const char *const keys[] = {"frames", "max_age_ms", NULL};
	yaml_node_t *v;
	uint64_t x;

	if (yml_map_check(l->y, n, keys))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "frames"))) {
		if (get_uint(l, v, 1u << 20, &x))
			return -EINVAL;
		if (!x)
			return E(v, "a queue needs room for at least one frame");
		p->queue_frames = (uint32_t)x;
	}
	return opt_u32(l, n, "max_age_ms", 3600000, &p->max_age_ms);
}

static int options(struct ld *l, yaml_node_t *n, struct gw_ifpolicy *def)
{
	static const char *const keys[] = {
		"match", "hop_limit", "workshop",      "control",	"user",
		"queue", "offload",   "control_group", "control_users", NULL};
	static const char *const matches[] = {"all", "first", NULL};
	static const char *const offl[] = {"none", "kernel", NULL};
	yaml_node_t *v;
	uint64_t x;
	int i;

	if (yml_map_check(l->y, n, keys))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "match"))) {
		if (choice(l, v, matches, &i))
			return -EINVAL;
		l->spec.first_match = (uint8_t)i;
	}
	if ((v = yml_get(l->y, n, "hop_limit"))) {
		if (get_uint(l, v, 255, &x))
			return -EINVAL;
		l->spec.hop_limit = (uint8_t)x;
	}
	if ((v = yml_get(l->y, n, "workshop")) && yml_bool(l->y, v, &l->c->workshop))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "control"))) {
		const char *s;

		if (yml_str(l->y, v, &s))
			return -EINVAL;
		if (s[0] != '/' || strlen(s) >= 108)
			return E(v, "control socket: an absolute path under 108 bytes");
		strcpy(l->c->control, s);
	}
	if ((v = yml_get(l->y, n, "user")) && name_into(l, v, l->c->user, sizeof(l->c->user)))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "queue")) && queue_policy(l, v, def))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "control_group")) &&
	    name_into(l, v, l->c->control_group, sizeof(l->c->control_group)))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "control_users"))) {
		size_t k, nu;

		if (yml_seq(l->y, v, &nu))
			return -EINVAL;
		if (nu > GW_CTL_USERS_MAX)
			return E(v, "at most %d control_users", GW_CTL_USERS_MAX);
		for (k = 0; k < nu; k++)
			if (name_into(l, yml_seq_item(l->y, v, k), l->c->control_users[k],
				      sizeof(l->c->control_users[k])))
				return -EINVAL;
		l->c->ncontrol_users = nu;
	}
	if ((v = yml_get(l->y, n, "offload"))) {
		if (choice(l, v, offl, &i))
			return -EINVAL;
		l->c->offload_kernel = i;
	}
	return 0;
}

static int interfaces(struct ld *l, yaml_node_t *list, const struct gw_ifpolicy *def)
{
	static const char *const keys[] = {"name",   "domain",	  "fd", "txqueue",
					   "rcvbuf", "untrusted", NULL};
	size_t n, i, k;

	if (yml_seq(l->y, list, &n))
		return -EINVAL;
	if (!n || n > GW_MAX_IFS)
		return E(list, "1 to %d interfaces are needed", GW_MAX_IFS);
	for (i = 0; i < n; i++) {
		yaml_node_t *it = yml_seq_item(l->y, list, i), *v;
		struct gw_if_spec *f = &l->spec.ifs[i];
		int b;

		if (yml_map_check(l->y, it, keys) || yml_need(l->y, it, "name", &v) ||
		    name_into(l, v, f->name, sizeof(f->name)))
			return -EINVAL;
		if (strlen(f->name) >= 16)
			return E(v, "'%s': interface names are at most 15 characters", f->name);
		l->c->ifpos[i][0] = (uint32_t)v->start_mark.line + 1;
		l->c->ifpos[i][1] = (uint32_t)v->start_mark.column + 1;
		/* to the kernel "any" is every CAN interface at once */
		if (!strcmp(f->name, "any"))
			return E(v, "'any' is not an interface: a socket bound to it "
				    "receives from every CAN interface");
		for (k = 0; k < i; k++)
			if (!strcmp(l->spec.ifs[k].name, f->name))
				return E(v, "interface '%s' is listed twice", f->name);
		strcpy(f->domain, f->name);
		if ((v = yml_get(l->y, it, "domain")) &&
		    name_into(l, v, f->domain, sizeof(f->domain)))
			return -EINVAL;
		if ((v = yml_get(l->y, it, "fd"))) {
			if (yml_bool(l->y, v, &b))
				return -EINVAL;
			f->fd = (uint8_t)b;
		}
		if ((v = yml_get(l->y, it, "untrusted"))) {
			if (yml_bool(l->y, v, &b))
				return -EINVAL;
			f->untrusted = (uint8_t)b;
		}
		l->c->pol[i] = *def;
		if ((v = yml_get(l->y, it, "txqueue")) && queue_policy(l, v, &l->c->pol[i]))
			return -EINVAL;
		if ((v = yml_get(l->y, it, "rcvbuf"))) {
			uint64_t x;

			if (get_uint(l, v, GW_RCVBUF_MAX, &x))
				return -EINVAL;
			if (x < GW_RCVBUF_MIN)
				return E(v, "rcvbuf: at least %u bytes", GW_RCVBUF_MIN);
			l->c->pol[i].rcvbuf = (uint32_t)x;
		}
		strcpy(l->c->ifname[i], f->name);
		l->spec.nifs = i + 1;
	}
	l->c->nifs = n;
	return 0;
}

/* ---- routes ---- */

static int parse_id(struct ld *l, yaml_node_t *n, const char *s, uint32_t *v)
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
static int sel_cap(struct ld *l, const struct gw_route_spec *r, yaml_node_t *list, size_t n)
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

static int ids(struct ld *l, struct gw_route_spec *r, yaml_node_t *list, int ext)
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

static int masks(struct ld *l, struct gw_route_spec *r, yaml_node_t *list, int ext)
{
	static const char *const keys[] = {"id", "mask", "invert", NULL};
	size_t n, i;
	struct gw_idsel *ns;

	if (yml_seq(l->y, list, &n) || sel_cap(l, r, list, n))
		return -EINVAL;
	ns = realloc(r->sel, (r->nsel + n + 1) * sizeof(*r->sel));
	if (!ns)
		return -ENOMEM;
	r->sel = ns;
	for (i = 0; i < n; i++) {
		yaml_node_t *it = yml_seq_item(l->y, list, i), *v;
		struct gw_idsel *s = &r->sel[r->nsel++];
		uint64_t x;
		int b = 0;

		memset(s, 0, sizeof(*s));
		s->kind = GW_SEL_MASK;
		if (yml_map_check(l->y, it, keys) || yml_need(l->y, it, "id", &v) ||
		    get_uint(l, v, CF_EFF_MASK, &x))
			return -EINVAL;
		s->lo = (uint32_t)x;
		if (yml_need(l->y, it, "mask", &v) || get_uint(l, v, CF_EFF_MASK, &x))
			return -EINVAL;
		s->hi = (uint32_t)x;
		if ((v = yml_get(l->y, it, "invert")) && yml_bool(l->y, v, &b))
			return -EINVAL;
		s->invert = (uint8_t)b;
		s->eff = (uint8_t)(ext || s->lo > CF_SFF_MASK || s->hi > CF_SFF_MASK);
	}
	return 0;
}

static int length(struct ld *l, struct gw_route_spec *r, yaml_node_t *n)
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

static int datamatch(struct ld *l, struct gw_route_spec *r, yaml_node_t *list)
{
	static const char *const keys[] = {"byte", "value", "mask", NULL};
	size_t n, i;

	if (yml_seq(l->y, list, &n))
		return -EINVAL;
	r->data = calloc(n + 1, sizeof(*r->data));
	if (!r->data)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		yaml_node_t *it = yml_seq_item(l->y, list, i), *v;
		struct gw_datamatch *d = &r->data[r->ndata++];
		uint64_t x;

		if (yml_map_check(l->y, it, keys) || yml_need(l->y, it, "byte", &v) ||
		    get_uint(l, v, CF_MAX_LEN - 1, &x))
			return -EINVAL;
		d->byte = (uint8_t)x;
		if (yml_need(l->y, it, "value", &v) || get_uint(l, v, 255, &x))
			return -EINVAL;
		d->value = (uint8_t)x;
		d->mask = 0xFF;
		if ((v = yml_get(l->y, it, "mask"))) {
			if (get_uint(l, v, 255, &x))
				return -EINVAL;
			d->mask = (uint8_t)x;
		}
	}
	return 0;
}

/* can-gw style modification: {id: X, len: N, data: "hex"} */
static int modification(struct ld *l, yaml_node_t *n, uint8_t op, struct gw_mod *m)
{
	static const char *const keys[] = {"id", "len", "data", NULL};
	yaml_node_t *v;
	uint64_t x;
	size_t len;

	if (yml_map_check(l->y, n, keys))
		return -EINVAL;
	m->op = op;
	if ((v = yml_get(l->y, n, "id"))) {
		if (get_uint(l, v, CF_EFF_MASK, &x))
			return -EINVAL;
		m->id = (uint32_t)x;
		m->fields |= GW_MOD_ID;
	}
	if ((v = yml_get(l->y, n, "len"))) {
		if (get_uint(l, v, CF_MAX_LEN, &x))
			return -EINVAL;
		m->len = (uint8_t)x;
		m->fields |= GW_MOD_LEN;
	}
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

static int idx8(struct ld *l, yaml_node_t *n, const char *key, int8_t *v, int need)
{
	yaml_node_t *x = yml_get(l->y, n, key);
	long t;

	if (!x)
		return need ? E(n, "missing required key '%s'", key) : 0;
	if (get_int(l, x, -64, 63, &t))
		return -EINVAL;
	*v = (int8_t)t;
	return 0;
}

static int u8key(struct ld *l, yaml_node_t *n, const char *key, uint8_t *v)
{
	yaml_node_t *x = yml_get(l->y, n, key);
	uint64_t t;

	if (!x)
		return 0;
	if (get_uint(l, x, 255, &t))
		return -EINVAL;
	*v = (uint8_t)t;
	return 0;
}

static int csum_xor(struct ld *l, yaml_node_t *n, struct gw_csum *c)
{
	static const char *const keys[] = {"from", "to", "result", "init", NULL};

	c->kind = GW_CSUM_XOR;
	if (yml_map_check(l->y, n, keys) || idx8(l, n, "from", &c->u.xsum.from_idx, 1) ||
	    idx8(l, n, "to", &c->u.xsum.to_idx, 1) ||
	    idx8(l, n, "result", &c->u.xsum.result_idx, 1) ||
	    u8key(l, n, "init", &c->u.xsum.init_xor_val))
		return -EINVAL;
	return 0;
}

static int csum_crc8(struct ld *l, yaml_node_t *n, struct gw_csum *c)
{
	static const char *const keys[] = {"from", "to",      "result",	      "init", "xor",
					   "poly", "profile", "profile_data", NULL};
	static const char *const profs[] = {"none", "1u8", "16u8", "sffid_xor", NULL};
	struct gw_crc8 *k = &c->u.crc8;
	yaml_node_t *v;
	uint8_t poly = 0x1D;
	size_t len;
	int p;

	c->kind = GW_CSUM_CRC8;
	k->init_crc_val = 0xFF;
	k->final_xor_val = 0xFF;
	if (yml_map_check(l->y, n, keys) || idx8(l, n, "from", &k->from_idx, 1) ||
	    idx8(l, n, "to", &k->to_idx, 1) || idx8(l, n, "result", &k->result_idx, 1) ||
	    u8key(l, n, "init", &k->init_crc_val) || u8key(l, n, "xor", &k->final_xor_val) ||
	    u8key(l, n, "poly", &poly))
		return -EINVAL;
	gw_crc8_table(k->crctab, poly);
	if ((v = yml_get(l->y, n, "profile"))) {
		if (choice(l, v, profs, &p))
			return -EINVAL;
		k->profile = (uint8_t)p;
	}
	if ((v = yml_get(l->y, n, "profile_data"))) {
		if (yml_hex(l->y, v, k->profile_data, sizeof(k->profile_data), &len))
			return -EINVAL;
		if ((k->profile == GW_CRC8PRF_1U8 && len != 1) ||
		    (k->profile == GW_CRC8PRF_16U8 && len != 16))
			return E(v, "profile_data: 1 byte for 1u8, 16 for 16u8");
	}
	return 0;
}

static int csum_crc16(struct ld *l, yaml_node_t *n, struct gw_csum *c)
{
	static const char *const keys[] = {"from", "to", "result", "init", "xor", "order", NULL};
	static const char *const orders[] = {"big", "little", NULL};
	struct gw_crc16 *k = &c->u.crc16;
	yaml_node_t *v;
	int o;

	c->kind = GW_CSUM_CRC16;
	k->init_val = 0xFFFF;
	if (yml_map_check(l->y, n, keys) || idx8(l, n, "from", &k->from_idx, 1) ||
	    idx8(l, n, "to", &k->to_idx, 1) || idx8(l, n, "result", &k->result_idx, 1))
		return -EINVAL;
	if (opt_u16(l, n, "init", &k->init_val) || opt_u16(l, n, "xor", &k->final_xor_val))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "order"))) {
		if (choice(l, v, orders, &o))
			return -EINVAL;
		k->order = (uint8_t)o;
	}
	return 0;
}

static int csum_e2e(struct ld *l, yaml_node_t *n, struct gw_csum *c)
{
	static const char *const keys[] = {
		"profile",	  "data_id",	   "data_ids", "mode",	  "crc_offset",
		"counter_offset", "nibble_offset", "length",   "counter", NULL};
	static const char *const modes[] = {"both", "alt", "low", "nibble", NULL};
	static const char *const ctr[] = {"regenerate", "keep", NULL};
	yaml_node_t *v;
	uint64_t x, prof;
	size_t len;
	int i;

	if (yml_map_check(l->y, n, keys) || yml_need(l->y, n, "profile", &v) ||
	    get_uint(l, v, 2, &prof))
		return -EINVAL;
	if (prof == 1) {
		struct gw_e2e_p01 *p = &c->u.p01;

		c->kind = GW_CSUM_E2E_P01;
		p->crc_offset = 0;
		p->counter_offset = 8;
		p->nibble_offset = 12;
		p->data_len = 8;
		if (yml_need(l->y, n, "data_id", &v) || get_uint(l, v, 0xFFFF, &x))
			return -EINVAL;
		p->data_id = (uint16_t)x;
		if ((v = yml_get(l->y, n, "mode"))) {
			if (choice(l, v, modes, &i))
				return -EINVAL;
			p->mode = (uint8_t)i;
		}
		/* bit offsets: the checksum toolbox checks them against the
		 * frame length at compile time */
		if (opt_u16(l, n, "crc_offset", &p->crc_offset) ||
		    opt_u16(l, n, "counter_offset", &p->counter_offset) ||
		    opt_u16(l, n, "nibble_offset", &p->nibble_offset) ||
		    u8key(l, n, "length", &p->data_len))
			return -EINVAL;
		if ((v = yml_get(l->y, n, "counter"))) {
			if (choice(l, v, ctr, &i))
				return -EINVAL;
			p->counter_mode = (uint8_t)i;
		}
		return 0;
	}
	if (prof == 2) {
		struct gw_e2e_p02 *p = &c->u.p02;

		c->kind = GW_CSUM_E2E_P02;
		p->data_len = 8;
		if (yml_need(l->y, n, "data_ids", &v) ||
		    yml_hex(l->y, v, p->data_id_list, 16, &len))
			return -EINVAL;
		if (len != 16)
			return E(v, "data_ids: 16 bytes, one per counter value");
		if (u8key(l, n, "length", &p->data_len))
			return -EINVAL;
		if ((v = yml_get(l->y, n, "counter"))) {
			if (choice(l, v, ctr, &i))
				return -EINVAL;
			p->counter_mode = (uint8_t)i;
		}
		return 0;
	}
	return E(v, "e2e profile 1 or 2");
}

static int rate(struct ld *l, yaml_node_t *n, struct gw_rate *r)
{
	static const char *const keys[] = {"interval_ms", "rate", "burst", "keep", NULL};
	static const char *const keeps[] = {"first", "latest", NULL};
	yaml_node_t *v;
	int k;

	if (yml_map_check(l->y, n, keys))
		return -EINVAL;
	if (opt_u32(l, n, "interval_ms", 3600000, &r->interval_ms) ||
	    opt_u32(l, n, "rate", 1000000, &r->rate_per_s) ||
	    opt_u32(l, n, "burst", 1000000, &r->burst))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "keep"))) {
		if (choice(l, v, keeps, &k))
			return -EINVAL;
		r->keep = (uint8_t)k;
	}
	if (!r->interval_ms == !r->rate_per_s)
		return E(n, "rate: give interval_ms, or rate and burst");
	if (r->rate_per_s && !r->burst)
		return E(n, "rate: a token bucket needs a burst of at least 1");
	return 0;
}

static int actions(struct ld *l, struct gw_route_spec *r, yaml_node_t *list)
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
static int fw_list(struct ld *l, struct gw_firewall *fw, yaml_node_t *list, uint8_t *bits, int ws)
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
static int fw_ae(struct ld *l, struct gw_firewall *fw, yaml_node_t *v)
{
	size_t n = 1, i, k;
	uint64_t x;

	if (!yml_is_scalar(v) && yml_seq(l->y, v, &n))
		return -EINVAL;
	if (!n || n > GW_FW_AE_MAX)
		return E(v, "address_byte: 1 to %d address bytes", GW_FW_AE_MAX);
	for (i = 0; i < n; i++) {
		yaml_node_t *it = yml_is_scalar(v) ? v : yml_seq_item(l->y, v, i);

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

static int firewall(struct ld *l, struct gw_route_spec *r, yaml_node_t *n)
{
	static const char *const keys[] = {"allow", "workshop", "address_byte", NULL};
	yaml_node_t *v;

	if (yml_map_check(l->y, n, keys))
		return -EINVAL;
	r->fw = calloc(1, sizeof(*r->fw));
	if (!r->fw)
		return -ENOMEM;
	if (yml_need(l->y, n, "allow", &v) || fw_list(l, r->fw, v, r->fw->allow, 0))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "workshop")) && fw_list(l, r->fw, v, r->fw->workshop, 1))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "address_byte")) && fw_ae(l, r->fw, v))
		return -EINVAL;
	return 0;
}

static int one_route(struct ld *l, yaml_node_t *n, struct gw_route_spec *r)
{
	static const char *const keys[] = {
		"name",
		"from",
		"to",
		"ids",
		"masks",
		"frame",
		"type",
		"length",
		"data",
		"actions",
		"firewall",
		"fd_to_classic",
		"allow_same_interface",
		NULL,
	};
	static const char *const frames[] = {"any", "standard", "extended", NULL};
	static const char *const types[] = {"any", "classic", "fd", NULL};
	static const char *const fd2c[] = {"reject", "drop", NULL};
	yaml_node_t *v;
	size_t k, nd;
	int i, b;

	r->len_max = CF_MAX_LEN;
	if (yml_map_check(l->y, n, keys) || yml_need(l->y, n, "name", &v) ||
	    name_into(l, v, r->name, sizeof(r->name)) || yml_need(l->y, n, "from", &v) ||
	    find_if(l, v, &r->src) || yml_need(l->y, n, "to", &v))
		return -EINVAL;
	if (yml_is_scalar(v)) {
		uint8_t d;

		if (find_if(l, v, &d))
			return -EINVAL;
		r->dst = 1ull << d;
	} else {
		if (yml_seq(l->y, v, &nd))
			return -EINVAL;
		if (!nd)
			return E(v, "route '%s' goes nowhere: list at least one interface",
				 r->name);
		for (k = 0; k < nd; k++) {
			uint8_t d;

			if (find_if(l, yml_seq_item(l->y, v, k), &d))
				return -EINVAL;
			r->dst |= 1ull << d;
		}
	}
	if ((v = yml_get(l->y, n, "frame"))) {
		if (choice(l, v, frames, &i))
			return -EINVAL;
		r->frame = (uint8_t)i;
	}
	if ((v = yml_get(l->y, n, "ids")) && ids(l, r, v, r->frame == GW_EFF_ONLY))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "masks")) && masks(l, r, v, r->frame == GW_EFF_ONLY))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "type"))) {
		if (choice(l, v, types, &i))
			return -EINVAL;
		r->type = (uint8_t)i;
	}
	if ((v = yml_get(l->y, n, "length")) && length(l, r, v))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "data")) && datamatch(l, r, v))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "actions")) && actions(l, r, v))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "firewall")) && firewall(l, r, v))
		return -EINVAL;
	if ((v = yml_get(l->y, n, "fd_to_classic"))) {
		if (choice(l, v, fd2c, &i))
			return -EINVAL;
		r->fd2classic = (uint8_t)i;
	}
	if ((v = yml_get(l->y, n, "allow_same_interface"))) {
		if (yml_bool(l->y, v, &b))
			return -EINVAL;
		r->allow_same = (uint8_t)b;
	}
	return 0;
}

static int routes(struct ld *l, yaml_node_t *list)
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
	yaml_node_t *at = l->routes_key;
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

static int load(struct ld *l, char *err, size_t cap)
{
	static const char *const top[] = {"options", "interfaces", "routes", NULL};
	struct gw_ifpolicy def = {1024, 100, GW_RCVBUF_DEFAULT};
	yaml_node_t *root, *v;
	char msg[512];
	size_t i;
	int e;

	root = yml_root(l->y);
	if (!root) {
		e = yml_error(l->y, NULL, "empty file: expected interfaces: and routes:");
		goto out;
	}
	e = yml_map_check(l->y, root, top);
	if (!e && (v = yml_get(l->y, root, "options")))
		e = options(l, v, &def);
	if (!e)
		e = yml_need(l->y, root, "interfaces", &v);
	if (!e)
		e = interfaces(l, v, &def);
	if (!e)
		e = yml_need(l->y, root, "routes", &v);
	if (!e) {
		l->routes_key = v;
		e = routes(l, v);
	}
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
	snprintf(err, cap, "%s", yml_errmsg(l->y)[0] ? yml_errmsg(l->y) : strerror(-e));
	return e;
}

static void defaults(struct gw_conf *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->control, "/run/canrigd/control.sock");
}

int gw_conf_load_yml(struct gw_conf *c, struct yml *y, char *err, size_t cap)
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
	e = load(l, err, cap);
	free(l->route_node);
	free(l->names);
	free(l);
	if (e)
		defaults(c);
	return e;
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
}
