/* SPDX-License-Identifier: MIT */
/*
 * gw_conf_doip.c - the doip: section of canrigd's configuration: the
 * entity, its testers (each with the route firewall's schema) and the
 * ECUs behind it.  Read by gw_conf.c's top-level table.
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
#include <sys/stat.h>
#include <unistd.h>

#include "dbc.h"
#include "doip.h"
#include "gw_conf_priv.h"
#include "isotp.h"

/* ---- doip: canrigd as the vehicle's DoIP edge node ---- */

/*
 * ISO 13400-2 logical addresses: nodes (the gateway, its ECUs) are
 * 0x0001..0x0DFF and 0x1000..0x7FFF, testers 0x0E00..0x0FFF; the rest is
 * functional or reserved.  Refused at load: a tester address on an ECU
 * would make answers and requests indistinguishable.
 */
static int node_addr(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	uint64_t x;

	(void)i;
	if (yml_uint(r->y, n, 0xFFFF, &x))
		return -EINVAL;
	if (!x || (x >= 0x0E00 && x <= 0x0FFF) || x > 0x7FFF)
		return yml_error(r->y, n,
				 "0x%04X is not a node's logical address (0x0001..0x0DFF, "
				 "0x1000..0x7FFF)",
				 (unsigned int)x);
	*(uint16_t *)p = (uint16_t)x;
	return 0;
}

static int tester_addr(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	uint64_t x;

	(void)i;
	if (yml_uint(r->y, n, 0xFFFF, &x))
		return -EINVAL;
	if (x < 0x0E00 || x > 0x0FFF)
		return yml_error(r->y, n,
				 "0x%04X is not a tester's logical address (0x0E00..0x0FFF)",
				 (unsigned int)x);
	*(uint16_t *)p = (uint16_t)x;
	return 0;
}

/* An IPv4 address, or the name of the interface whose address it is. */
static int doip_listen(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct ld *l = LD(r);
	struct gw_doip_conf *d = &l->c->doip;
	struct in_addr a;

	(void)p;
	(void)i;
	if (gw_conf_name_into(l, n, d->listen, sizeof(d->listen)))
		return -EINVAL;
	if (inet_pton(AF_INET, d->listen, &a) == 1)
		return 0;
	if (strchr(d->listen, ':'))
		return E(n,
			 "listen: '%s': IPv6 is not supported; give an IPv4 address or an "
			 "interface",
			 d->listen);
	/* digits and dots only: a mistyped address, not a name */
	if (strlen(d->listen) >= 16 || strchr(d->listen, '/') ||
	    !d->listen[strspn(d->listen, "0123456789.")])
		return E(n, "listen: '%s' is neither an IPv4 address nor an interface name",
			 d->listen);
	d->listen_is_if = 1;
	return 0;
}

static int doip_vin(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	const char *s;
	size_t k;

	(void)i;
	if (yml_str(r->y, n, &s))
		return -EINVAL;
	if (strlen(s) != DOIP_VIN_LEN)
		return yml_error(r->y, n, "a VIN has 17 characters, not %zu", strlen(s));
	for (k = 0; k < DOIP_VIN_LEN; k++)
		if (!isalnum((unsigned char)s[k]))
			return yml_error(r->y, n, "VIN '%s': letters and digits only", s);
	memcpy(p, s, DOIP_VIN_LEN);
	return 0;
}

static int id6(struct yml_rd *r, const yaml_node_t *n, uint8_t *p, const char *key)
{
	size_t k;

	if (yml_hex(r->y, n, NULL, 0, &k))
		return -EINVAL;
	if (k != DOIP_EID_LEN)
		return yml_error(r->y, n, "%s has 6 bytes (a MAC address), not %zu", key, k);
	return yml_hex(r->y, n, p, DOIP_EID_LEN, &k);
}

static int doip_eid(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)i;
	LD(r)->c->doip.has_eid = 1;
	return id6(r, n, p, "eid");
}

static int doip_gid(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)i;
	LD(r)->c->doip.has_gid = 1;
	return id6(r, n, p, "gid");
}

static int doip_further(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	uint64_t x;

	(void)i;
	if (yml_uint(r->y, n, 0xFF, &x))
		return -EINVAL;
	if (x >= 0x01 && x <= 0x0F)
		return yml_error(r->y, n,
				 "further_action: 0x00 (none), 0x10 (central security) or "
				 "0x11..0xFF (the manufacturer's); 0x01..0x0F are reserved");
	*(uint8_t *)p = (uint8_t)x;
	return 0;
}

/* The route firewall's schema and compiler, but per tester: it judges
 * whole requests (DoIP carries no ISO-TP frames), so an address byte has
 * nothing to match; the ECU's own are its tx_ae / rx_ae. */
static int tester_fw(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	const yaml_node_t *ab;

	(void)i;
	if (yml_map_check_table(r->y, n, &gw_conf_fw_keys[0].name, sizeof(gw_conf_fw_keys[0])))
		return -EINVAL;
	ab = yml_get(r->y, n, "address_byte");
	if (ab)
		return yml_error(r->y, ab,
				 "address_byte: a tester's firewall judges whole requests; "
				 "set an ECU's address bytes with tx_ae and rx_ae");
	LD(r)->fw = p;
	return yml_read_keys(r, n, gw_conf_fw_keys, p);
}

static const struct yml_key tester_keys[] = {
	YML_KEY_FN("address", struct gw_doip_tester, address, tester_addr, YML_REQ),
	YML_KEY_FN("firewall", struct gw_doip_tester, fw, tester_fw, YML_REQ),
	{0},
};

static int doip_testers(struct yml_rd *r, const yaml_node_t *list, void *p, size_t i)
{
	struct ld *l = LD(r);
	struct gw_doip_conf *d = &l->c->doip;
	size_t n, k;
	int e;

	(void)p;
	if (yml_seq(l->y, list, &n))
		return -EINVAL;
	if (!n || n > GW_DOIP_TESTERS_MAX)
		return E(list, "1 to %d testers", GW_DOIP_TESTERS_MAX);
	for (i = 0; i < n; i++) {
		const yaml_node_t *it = yml_seq_item(l->y, list, i);
		struct gw_doip_tester *t = &d->testers[i];

		memset(t, 0, sizeof(*t));
		e = yml_read_map(r, it, tester_keys, t);
		if (e)
			return e;
		d->ntesters = i + 1;
		for (k = 0; k < i; k++)
			if (d->testers[k].address == t->address)
				return E(yml_get(l->y, it, "address"),
					 "tester 0x%04X is listed twice", t->address);
	}
	return 0;
}

static int ecu_if(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)i;
	return gw_conf_find_if(LD(r), n, p);
}

static int ecu_ae(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	uint64_t x;

	(void)i;
	if (yml_uint(r->y, n, 0xFF, &x))
		return -EINVAL;
	*(int16_t *)p = (int16_t)x;
	return 0;
}

static int ecu_dl(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	uint64_t x;

	(void)i;
	if (yml_uint(r->y, n, 64, &x))
		return -EINVAL;
	if (x != 8 && (x < 12 || (x <= 24 && x % 4) || (x > 24 && x != 32 && x != 48 && x != 64)))
		return yml_error(r->y, n,
				 "tx_dl: 8 (classic), or 12, 16, 20, 24, 32, 48, 64 (CAN FD)");
	*(uint8_t *)p = (uint8_t)x;
	return 0;
}

static int ecu_stmin(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	uint64_t x;

	(void)i;
	if (yml_uint(r->y, n, 0xFF, &x))
		return -EINVAL;
	if (x > 0x7F && (x < 0xF1 || x > 0xF9))
		return yml_error(r->y, n, "stmin: 0x00..0x7F (ms) or 0xF1..0xF9 (100..900 us)");
	*(uint8_t *)p = (uint8_t)x;
	return 0;
}

#define ECU_ID(KEY, f, eff)                                                                        \
	{                                                                                          \
		.name = (KEY), .type = YML_CANID, .flags = YML_REQ,                                \
		YML_OFF(struct gw_doip_ecu, f), YML_OFF2(struct gw_doip_ecu, eff)                  \
	}

static const struct yml_key ecu_keys[] = {
	YML_KEY_FN("address", struct gw_doip_ecu, address, node_addr, YML_REQ),
	YML_KEY_FN("interface", struct gw_doip_ecu, ifidx, ecu_if, YML_REQ),
	ECU_ID("tx", tp.tx_id, tp.tx_eff),
	ECU_ID("rx", tp.rx_id, tp.rx_eff),
	YML_KEY_FN("tx_ae", struct gw_doip_ecu, tp.tx_ae, ecu_ae, 0),
	YML_KEY_FN("rx_ae", struct gw_doip_ecu, tp.rx_ae, ecu_ae, 0),
	YML_KEY_FN("tx_dl", struct gw_doip_ecu, tp.tx_dl, ecu_dl, 0),
	YML_KEY_BOOL("brs", struct gw_doip_ecu, tp.brs),
	YML_KEY_BOOL("padding", struct gw_doip_ecu, tp.pad),
	YML_KEY_UINT("pad_byte", struct gw_doip_ecu, tp.pad_byte, 0xFF, 0),
	YML_KEY_UINT("bs", struct gw_doip_ecu, tp.bs, 0xFF, 0),
	YML_KEY_FN("stmin", struct gw_doip_ecu, tp.stmin, ecu_stmin, 0),
	{.name = "max_len",
	 .type = YML_UINT,
	 .flags = YML_DEF,
	 YML_OFF(struct gw_doip_ecu, max_len),
	 .min = 8,
	 .max = GW_DOIP_MAX_LEN_MAX,
	 .def = GW_DOIP_MAX_LEN_DEF},
	/* default: what DoIP and ISO-TP can carry; larger requests stream */
	{.name = "max_request",
	 .type = YML_UINT,
	 .flags = YML_DEF,
	 YML_OFF(struct gw_doip_ecu, max_request),
	 .min = 8,
	 .max = 0xFFFFFFFFu,
	 .def = 0xFFFFFFFFu},
	{0},
};

/* What one ECU's keys cannot say alone: against its bus, the gateway and
 * the ECUs before it (on one bus, two ECUs on one id would each take the
 * other's answers). */
static int ecu_check(struct ld *l, const yaml_node_t *it, size_t i)
{
	const struct gw_doip_conf *d = &l->c->doip;
	const struct gw_doip_ecu *e = &d->ecus[i];
	const struct isotp_cfg *t = &e->tp;
	const char *bus = l->spec.ifs[e->ifidx].name;
	size_t k;

	if (e->address == d->la)
		return E(yml_get(l->y, it, "address"),
			 "ECU 0x%04X has the gateway's own logical address", e->address);
	if ((t->tx_ae < 0) != (t->rx_ae < 0))
		return E(it,
			 "ECU 0x%04X: tx_ae and rx_ae go together (extended or mixed "
			 "addressing)",
			 e->address);
	if (t->tx_dl > 8 && !l->spec.ifs[e->ifidx].fd)
		return E(yml_get(l->y, it, "tx_dl"),
			 "ECU 0x%04X: tx_dl %u needs CAN FD (fd: true on %s)", e->address, t->tx_dl,
			 bus);
	if (t->brs && t->tx_dl <= 8)
		return E(yml_get(l->y, it, "brs"), "ECU 0x%04X: brs needs CAN FD (tx_dl 12..64)",
			 e->address);
	if (e->max_request < e->max_len)
		return E(yml_get(l->y, it, "max_request"),
			 "ECU 0x%04X: max_request %u is below max_len %u", e->address,
			 e->max_request, e->max_len);
	if (t->tx_id == t->rx_id && t->tx_eff == t->rx_eff && t->tx_ae == t->rx_ae)
		return E(it, "ECU 0x%04X sends and receives on the same id 0x%X", e->address,
			 t->rx_id);
	for (k = 0; k < i; k++) {
		const struct gw_doip_ecu *o = &d->ecus[k];

		if (o->address == e->address)
			return E(yml_get(l->y, it, "address"), "ECU 0x%04X is listed twice",
				 e->address);
		if (o->ifidx != e->ifidx)
			continue;
		if (o->tp.rx_id == t->rx_id && o->tp.rx_eff == t->rx_eff && o->tp.rx_ae == t->rx_ae)
			return E(yml_get(l->y, it, "rx"),
				 "ECUs 0x%04X and 0x%04X answer on the same id 0x%X on %s",
				 o->address, e->address, t->rx_id, bus);
		if (o->tp.tx_id == t->tx_id && o->tp.tx_eff == t->tx_eff && o->tp.tx_ae == t->tx_ae)
			return E(yml_get(l->y, it, "tx"),
				 "ECUs 0x%04X and 0x%04X take requests on the same id 0x%X on %s",
				 o->address, e->address, t->tx_id, bus);
	}
	return 0;
}

static int doip_ecus(struct yml_rd *r, const yaml_node_t *list, void *p, size_t i)
{
	struct ld *l = LD(r);
	struct gw_doip_conf *d = &l->c->doip;
	size_t n;
	int e;

	(void)p;
	if (yml_seq(l->y, list, &n))
		return -EINVAL;
	if (!n || n > GW_DOIP_ECUS_MAX)
		return E(list, "1 to %d ECUs", GW_DOIP_ECUS_MAX);
	for (i = 0; i < n; i++) {
		const yaml_node_t *it = yml_seq_item(l->y, list, i);
		struct gw_doip_ecu *c = &d->ecus[i];

		memset(c, 0, sizeof(*c));
		isotp_cfg_init(&c->tp);
		e = yml_read_map(r, it, ecu_keys, c);
		if (e)
			return e;
		d->necus = i + 1;
		e = ecu_check(l, it, i);
		if (e)
			return e;
	}
	return 0;
}

/*
 * functional: a functional logical address per bus.  ISO 13400-2 gives
 * functional group addresses 0xE000..0xE3FF (ISO/SAE; 0xE000 is WWH-OBD)
 * and 0xE400..0xEFFF (the manufacturer's): no node, tester or entity can
 * hold one, so only a second entry can clash.
 */
static int func_addr(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	uint64_t x;

	(void)i;
	if (yml_uint(r->y, n, 0xFFFF, &x))
		return -EINVAL;
	if (x < 0xE000 || x > 0xEFFF)
		return yml_error(r->y, n,
				 "0x%04X is not a functional logical address (0xE000..0xEFFF)",
				 (unsigned int)x);
	*(uint16_t *)p = (uint16_t)x;
	return 0;
}

/* interfaces: [a, b, ...]: the buses of one functional address, each
 * into an entry of its own from p's (its ifidx) on, nbus on the first. */
static int func_ifs(struct yml_rd *r, const yaml_node_t *list, void *p, size_t i)
{
	struct ld *l = LD(r);
	struct gw_doip_func *f =
		(struct gw_doip_func *)(void *)((char *)p - offsetof(struct gw_doip_func, ifidx));
	size_t room = (size_t)(l->c->doip.funcs + GW_DOIP_FUNCS_MAX - f), n, k;

	if (yml_seq(l->y, list, &n))
		return -EINVAL;
	if (!n)
		return E(list, "interfaces: one bus at least");
	if (n > room)
		return E(list, "interfaces: at most %d functional entries, one per bus, in all",
			 GW_DOIP_FUNCS_MAX);
	for (i = 0; i < n; i++) {
		const yaml_node_t *it = yml_seq_item(l->y, list, i);

		if (gw_conf_find_if(l, it, &f[i].ifidx))
			return -EINVAL;
		for (k = 0; k < i; k++)
			if (f[k].ifidx == f[i].ifidx)
				return E(it, "interfaces: %s is listed twice",
					 l->spec.ifs[f[i].ifidx].name);
	}
	f->nbus = (uint8_t)n;
	return 0;
}

static const struct yml_key func_keys[] = {
	YML_KEY_FN("address", struct gw_doip_func, address, func_addr, YML_REQ),
	YML_KEY_FN("interface", struct gw_doip_func, ifidx, ecu_if, 0),
	YML_KEY_FN("interfaces", struct gw_doip_func, ifidx, func_ifs, 0),
	{.name = "tx",
	 .type = YML_CANID,
	 YML_OFF(struct gw_doip_func, tp.tx_id),
	 YML_OFF2(struct gw_doip_func, tp.tx_eff)},
	YML_KEY_FN("tx_dl", struct gw_doip_func, tp.tx_dl, ecu_dl, 0),
	YML_KEY_BOOL("brs", struct gw_doip_func, tp.brs),
	YML_KEY_BOOL("padding", struct gw_doip_func, tp.pad),
	YML_KEY_UINT("pad_byte", struct gw_doip_func, tp.pad_byte, 0xFF, 0),
	{0},
};

/* What one entry cannot say alone: its bus's ECUs (it needs one, and its
 * id must be none of theirs) and the entries before it.  tx defaults to
 * OBD's functional id: 0x7DF, or 0x18DB33F1 when every ECU of the bus
 * is addressed in 29 bits (ISO 15765-4 normal fixed addressing). */
static int func_check(struct ld *l, const yaml_node_t *it, size_t i, size_t first)
{
	struct gw_doip_conf *d = &l->c->doip;
	struct gw_doip_func *f = &d->funcs[i];
	struct isotp_cfg *t = &f->tp;
	const char *bus = l->spec.ifs[f->ifidx].name;
	const yaml_node_t *tx = yml_get(l->y, it, "tx");
	const yaml_node_t *at = yml_get(l->y, it, "interface");
	size_t k, n11 = 0, n29 = 0;

	if (!at) /* interfaces: the item naming this bus */
		at = yml_seq_item(l->y, yml_get(l->y, it, "interfaces"), i - first);

	for (k = 0; k < d->necus; k++)
		if (d->ecus[k].ifidx == f->ifidx) {
			if (d->ecus[k].tp.tx_eff)
				n29++;
			else
				n11++;
		}
	if (!n11 && !n29)
		return E(at, "functional 0x%04X: no ECU in ecus: is on %s to answer it", f->address,
			 bus);
	if (!tx) {
		t->tx_eff = !n11;
		t->tx_id = n11 ? 0x7DF : 0x18DB33F1;
	}
	t->rx_id = t->tx_id;
	t->rx_eff = t->tx_eff;
	t->functional = 1;
	if (t->tx_dl > 8 && !l->spec.ifs[f->ifidx].fd)
		return E(yml_get(l->y, it, "tx_dl"),
			 "functional 0x%04X: tx_dl %u needs CAN FD (fd: true on %s)", f->address,
			 t->tx_dl, bus);
	if (t->brs && t->tx_dl <= 8)
		return E(yml_get(l->y, it, "brs"),
			 "functional 0x%04X: brs needs CAN FD (tx_dl 12..64)", f->address);
	for (k = 0; k < d->necus; k++) {
		const struct isotp_cfg *e = &d->ecus[k].tp;

		if (d->ecus[k].ifidx != f->ifidx)
			continue;
		if ((e->tx_id == t->tx_id && e->tx_eff == t->tx_eff) ||
		    (e->rx_id == t->tx_id && e->rx_eff == t->tx_eff))
			return E(tx ? tx : it,
				 "functional 0x%04X: id 0x%X on %s is ECU 0x%04X's own", f->address,
				 t->tx_id, bus, d->ecus[k].address);
	}
	/* one entry per address: its buses in one list */
	for (k = 0; k < first; k++)
		if (d->funcs[k].address == f->address)
			return E(yml_get(l->y, it, "address"), "functional 0x%04X is listed twice",
				 f->address);
	return 0;
}

static int doip_funcs(struct yml_rd *r, const yaml_node_t *list, void *p, size_t i)
{
	struct ld *l = LD(r);
	struct gw_doip_conf *d = &l->c->doip;
	size_t n;
	int e;

	(void)p;
	if (yml_seq(l->y, list, &n))
		return -EINVAL;
	if (n > GW_DOIP_FUNCS_MAX)
		return E(list, "at most %d functional addresses", GW_DOIP_FUNCS_MAX);
	for (i = 0; i < n; i++) {
		const yaml_node_t *it = yml_seq_item(l->y, list, i);
		size_t at = d->nfuncs, k;
		struct gw_doip_func *f = &d->funcs[at];

		if (at == GW_DOIP_FUNCS_MAX)
			return E(it, "at most %d functional entries, one per bus, in all",
				 GW_DOIP_FUNCS_MAX);
		memset(f, 0, sizeof(*f));
		isotp_cfg_init(&f->tp);
		e = yml_read_map(r, it, func_keys, f);
		if (e)
			return e;
		if (!yml_get(l->y, it, "interface") == !yml_get(l->y, it, "interfaces"))
			return E(it, "%s",
				 yml_get(l->y, it, "interface")
					 ? "interface: or interfaces:, not both"
					 : "missing required key 'interface' (or 'interfaces')");
		if (!f->nbus)
			f->nbus = 1;
		/* every bus's entry: the keys read, its own bus */
		for (k = 1; k < f->nbus; k++) {
			uint8_t ifidx = f[k].ifidx;

			f[k] = *f;
			f[k].ifidx = ifidx;
			f[k].nbus = 0;
		}
		d->nfuncs = at + f->nbus;
		for (k = at; k < d->nfuncs; k++) {
			e = func_check(l, it, k, at);
			if (e)
				return e;
		}
	}
	return 0;
}

/*
 * power_mode: the diagnostic power mode from a DBC signal.  The DBC is
 * loaded here, on the loader's thread (a reload parses off canrigd's
 * loop), and kept in c->power_dbc for canrigd; everything the file says
 * is checked against it now, so canrigd -n catches every mistake.
 */
#define PM_DBC_MAX (64u << 20) /* as a YAML file: a database, not data */

/* p[0..) resolved against the YAML file's directory: a name relative to
 * it, as the file's author sees it, into out.  Returns 0 or -ENAMETOOLONG. */
static int pm_path(const struct ld *l, const char *p, char *out, size_t cap)
{
	const char *y = l->y->name ? l->y->name : "";
	const char *slash = strrchr(y, '/');
	int n;

	if (p[0] == '/' || !slash)
		n = snprintf(out, cap, "%s", p);
	else
		n = snprintf(out, cap, "%.*s/%s", (int)(slash - y), y, p);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Reads path (relative to dirfd) whole into *buf (malloc'ed, the
 * caller's).  Returns 0 or -errno (-EFBIG beyond PM_DBC_MAX). */
static int pm_read(int dirfd, const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t n = 0;
	ssize_t k;
	int fd, e = 0;

	*buf = NULL;
	/* O_NONBLOCK: a FIFO named here must not hang the loader */
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		e = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		e = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > PM_DBC_MAX) {
		e = -EFBIG;
		goto out;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		e = -ENOMEM;
		goto out;
	}
	while (n < (size_t)st.st_size) {
		k = read(fd, *buf + n, (size_t)st.st_size - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			e = -errno;
			goto out;
		}
		if (!k)
			break; /* shrunk meanwhile: what is there */
		n += (size_t)k;
	}
	*len = n;
out:
	if (e) {
		free(*buf);
		*buf = NULL;
	}
	close(fd);
	return e;
}

/* dbc: the DBC, loaded into c->power_dbc (strict: a warning is a
 * mistake in a file canrigd acts on). */
static int pm_dbc(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct ld *l = LD(r);
	struct gw_doip_power *pm = &l->c->doip.power;
	struct dbc_opts o = {.flags = DBC_STRICT};
	char derr[DBC_ERRMSG_MAX];
	const char *s;
	char *buf;
	size_t len = 0;
	int e;

	(void)p;
	(void)i;
	if (yml_str(r->y, n, &s))
		return -EINVAL;
	if (!s[0])
		return E(n, "dbc: a file name");
	if (pm_path(l, s, pm->dbc, sizeof(pm->dbc)))
		return E(n, "dbc: '%s': name too long", s);
	e = pm_read(l->dirfd, pm->dbc, &buf, &len);
	if (e)
		return E(n, "dbc: %s: %s", pm->dbc, strerror(-e));
	e = dbc_load_mem(pm->dbc, buf, len, &o, &l->c->power_dbc, derr, sizeof(derr));
	free(buf);
	if (e == -ENOMEM)
		return E(n, "dbc: %s: out of memory", pm->dbc);
	if (e)
		return E(n, "dbc: %s", derr);
	return 0;
}

/* signal: Signal, or Message.Signal; looked up once the DBC is in. */
static int pm_name(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct gw_doip_power *pm = &LD(r)->c->doip.power;
	const char *s, *dot;

	(void)p;
	(void)i;
	if (yml_str(r->y, n, &s))
		return -EINVAL;
	dot = strchr(s, '.');
	if (!s[0] || (dot && (dot == s || !dot[1] || strchr(dot + 1, '.'))))
		return yml_error(r->y, n, "signal: a signal's name, or Message.Signal, not '%s'",
				 s);
	if (strlen(s) >= sizeof(pm->sig))
		return yml_error(r->y, n, "signal: '%s': name too long", s);
	if (dot) {
		snprintf(pm->msg, sizeof(pm->msg), "%.*s", (int)(dot - s), s);
		snprintf(pm->sig, sizeof(pm->sig), "%s", dot + 1);
	} else {
		pm->msg[0] = 0;
		snprintf(pm->sig, sizeof(pm->sig), "%s", s);
	}
	return 0;
}

static int pm_if(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	(void)i;
	return gw_conf_find_if(LD(r), n, p);
}

static const struct yml_key pm_keys[] = {
	YML_KEY_CALL("dbc", pm_dbc, YML_REQ),
	YML_KEY_FN("interface", struct gw_doip_power, ifidx, pm_if, YML_REQ),
	YML_KEY_CALL("signal", pm_name, YML_REQ),
	YML_KEY_KNOWN("ready"), /* read against the signal, below */
	{.name = "timeout_ms",
	 .type = YML_UINT,
	 .flags = YML_DEF,
	 YML_OFF(struct gw_doip_power, timeout_ms),
	 .min = 1,
	 .max = 3600000,
	 .def = 1000},
	{0},
};

/* The signal pm names in db: by Message.Signal, or by its name alone
 * when exactly one message has it. */
static const struct dbc_signal *pm_find(struct ld *l, const yaml_node_t *n,
					const struct gw_doip_power *pm, const struct dbc_db *db)
{
	const struct dbc_message *m = NULL;
	const struct dbc_signal *s = NULL, *x;
	unsigned int k;

	if (pm->msg[0]) {
		m = dbc_find_msg(db, pm->msg);
		if (!m) {
			E(n, "signal: %s has no message '%s'", pm->dbc, pm->msg);
			return NULL;
		}
		s = dbc_find_sig(m, pm->sig);
		if (!s)
			E(n, "signal: message %s in %s has no signal '%s'", pm->msg, pm->dbc,
			  pm->sig);
		return s;
	}
	for (k = 0; k < db->nmsgs; k++) {
		x = dbc_find_sig(&db->msgs[k], pm->sig);
		if (!x)
			continue;
		if (s) {
			E(n, "signal: '%s' is in messages %s and %s of %s: give Message.Signal",
			  pm->sig, s->msg->name, x->msg->name, pm->dbc);
			return NULL;
		}
		s = x;
	}
	if (!s)
		E(n, "signal: no signal '%s' in %s", pm->sig, pm->dbc);
	return s;
}

/* One ready: value: a raw value of s (a number, sign allowed when s is
 * signed), or one of its value labels (VAL_). */
static int pm_value(struct ld *l, const yaml_node_t *n, const struct dbc_signal *s, int64_t *v)
{
	const char *t;
	char *end;
	unsigned int k;
	long long x;
	int64_t lo = 0, hi;

	if (yml_str(l->y, n, &t))
		return -EINVAL;
	errno = 0;
	x = strtoll(t, &end, 0);
	if (end == t || *end || errno) {
		for (k = 0; k < s->nchoices; k++)
			if (!strcmp(s->choices[k].label, t)) {
				*v = s->choices[k].value;
				return 0;
			}
		return E(n, "ready: '%s' is neither a raw value nor a value label of %s", t,
			 s->name);
	}
	if (s->size >= 63) {
		hi = INT64_MAX;
		lo = s->is_signed ? INT64_MIN : 0;
	} else if (s->is_signed) {
		hi = ((int64_t)1 << (s->size - 1)) - 1;
		lo = -hi - 1;
	} else {
		hi = ((int64_t)1 << s->size) - 1;
	}
	if (x < lo || x > hi)
		return E(n, "ready: raw value %lld does not fit %s (%lld..%lld)", x, s->name,
			 (long long)lo, (long long)hi);
	*v = x;
	return 0;
}

static int doip_power(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct ld *l = LD(r);
	struct gw_doip_power *pm = &l->c->doip.power;
	const yaml_node_t *rd, *it;
	const struct dbc_signal *s;
	size_t k, j, nr;
	int e;

	(void)p;
	(void)i;
	memset(pm, 0, sizeof(*pm));
	e = yml_read_map(r, n, pm_keys, pm);
	if (e)
		return e;
	s = pm_find(l, yml_get(l->y, n, "signal"), pm, l->c->power_dbc);
	if (!s)
		return -EINVAL;
	snprintf(pm->msg, sizeof(pm->msg), "%s", s->msg->name);
	pm->id = s->msg->id;
	pm->ext = s->msg->ext;
	if (s->kind != DBC_INT)
		return E(yml_get(l->y, n, "signal"),
			 "signal: %s.%s is a float; power_mode: needs an integer signal", pm->msg,
			 s->name);
	rd = yml_get(l->y, n, "ready");
	if (!rd)
		return E(n, "missing required key 'ready'");
	if (yml_is_scalar(rd)) {
		nr = 1;
	} else if (yml_seq(l->y, rd, &nr)) {
		return -EINVAL;
	}
	if (!nr || nr > GW_DOIP_PM_READY_MAX)
		return E(rd, "ready: 1 to %d values", GW_DOIP_PM_READY_MAX);
	for (k = 0; k < nr; k++) {
		it = yml_is_scalar(rd) ? rd : yml_seq_item(l->y, rd, k);
		e = pm_value(l, it, s, &pm->ready[k]);
		if (e)
			return e;
		for (j = 0; j < k; j++)
			if (pm->ready[j] == pm->ready[k])
				return E(it, "ready: %lld is listed twice",
					 (long long)pm->ready[k]);
		pm->nready = k + 1;
	}
	pm->on = 1;
	return 0;
}

static int doip_max_testers(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	uint64_t x;

	(void)i;
	if (yml_uint(r->y, n, 255, &x))
		return -EINVAL;
	if (!x || x > GW_DOIP_SOCKETS_MAX)
		return yml_error(r->y, n, "max_testers must be 1..%d", GW_DOIP_SOCKETS_MAX);
	*(uint8_t *)p = (uint8_t)x;
	return 0;
}

/* in this order: the gateway's address before the ECUs checked against it */
static const struct yml_key doip_keys[] = {
	YML_KEY_CALL("listen", doip_listen, YML_REQ),
	{.name = "port",
	 .type = YML_UINT,
	 .flags = YML_DEF,
	 YML_OFF(struct gw_doip_conf, port),
	 .min = 1,
	 .max = 65535,
	 .def = DOIP_PORT},
	YML_KEY_FN("logical_address", struct gw_doip_conf, la, node_addr, YML_REQ),
	YML_KEY_FN("vin", struct gw_doip_conf, vin, doip_vin, 0),
	YML_KEY_FN("eid", struct gw_doip_conf, eid, doip_eid, 0),
	YML_KEY_FN("gid", struct gw_doip_conf, gid, doip_gid, 0),
	YML_KEY_FN("further_action", struct gw_doip_conf, further_action, doip_further, 0),
	YML_KEY_BOOL("announce", struct gw_doip_conf, announce),
	/* 255: so that 17 reads "must be 1..16", not "out of range (0..16)" */
	{.name = "max_testers",
	 .type = YML_FUNC,
	 .flags = YML_DEF,
	 YML_OFF(struct gw_doip_conf, max_testers),
	 .fn = doip_max_testers,
	 .def = 4},
	YML_KEY_CALL("testers", doip_testers, YML_REQ),
	YML_KEY_CALL("ecus", doip_ecus, YML_REQ),
	YML_KEY_CALL("functional", doip_funcs, 0),
	YML_KEY_CALL("power_mode", doip_power, 0),
	{0},
};

int gw_conf_doip_key(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i)
{
	struct gw_doip_conf *d = &LD(r)->c->doip;

	(void)p;
	(void)i;
	memset(d, 0, sizeof(*d));
	/* no VIN configured: ISO 13400-2 lets the entity send any fixed
	 * value; '0's read as "none" on every tester seen */
	memset(d->vin, '0', sizeof(d->vin));
	d->on = 1;
	return yml_read_map(r, n, doip_keys, d);
}

/* ---- reload: what changed (canrigd's gwd_doip.c applies it) */

/* ECU x of a and y of b: the same bus by name, and the rest the same */
static int ecu_same(const struct gw_conf *a, const struct gw_doip_ecu *x, const struct gw_conf *b,
		    const struct gw_doip_ecu *y)
{
	struct gw_doip_ecu t = *y;

	if (strcmp(a->ifname[x->ifidx], b->ifname[y->ifidx]))
		return 0;
	t.ifidx = x->ifidx;
	return !memcmp(x, &t, sizeof(t));
}

static int funcs_same(const struct gw_conf *a, const struct gw_conf *b)
{
	const struct gw_doip_conf *x = &a->doip, *y = &b->doip;
	size_t i;

	if (x->nfuncs != y->nfuncs)
		return 0;
	for (i = 0; i < x->nfuncs; i++) {
		struct gw_doip_func t = y->funcs[i];

		if (strcmp(a->ifname[x->funcs[i].ifidx], b->ifname[t.ifidx]))
			return 0;
		t.ifidx = x->funcs[i].ifidx;
		if (memcmp(&x->funcs[i], &t, sizeof(t)))
			return 0;
	}
	return 1;
}

void gw_doip_diff(const struct gw_conf *a, const struct gw_conf *b, struct gw_doip_diff *df)
{
	const struct gw_doip_conf *x = &a->doip, *y = &b->doip;
	size_t i, j;

	memset(df, 0, sizeof(*df));
	for (i = 0; i < GW_DOIP_ECUS_MAX; i++)
		df->from[i] = df->to[i] = -1;
	if (!x->on || !y->on) {
		df->same = x->on == y->on;
		return;
	}
	df->sockets = strcmp(x->listen, y->listen) || x->listen_is_if != y->listen_is_if ||
		      x->port != y->port;
	df->entity = x->la != y->la || memcmp(x->vin, y->vin, sizeof(x->vin)) ||
		     x->has_eid != y->has_eid || memcmp(x->eid, y->eid, sizeof(x->eid)) ||
		     x->has_gid != y->has_gid || memcmp(x->gid, y->gid, sizeof(x->gid)) ||
		     x->further_action != y->further_action || x->announce != y->announce ||
		     x->max_testers != y->max_testers;
	df->testers = x->ntesters != y->ntesters ||
		      memcmp(x->testers, y->testers, sizeof(x->testers[0]) * x->ntesters);
	df->funcs = !funcs_same(a, b);
	for (j = 0; j < y->necus; j++) {
		for (i = 0; i < x->necus && x->ecus[i].address != y->ecus[j].address; i++)
			;
		if (i == x->necus) {
			df->added++;
			continue;
		}
		df->from[j] = (int16_t)i;
		df->to[i] = (int16_t)j;
		df->kept[j] = (uint8_t)ecu_same(a, &x->ecus[i], b, &y->ecus[j]);
		if (!df->kept[j])
			df->changed++;
	}
	for (i = 0; i < x->necus; i++)
		if (df->to[i] < 0)
			df->removed++;
	df->same = !df->sockets && !df->entity && !df->testers && !df->funcs && !df->added &&
		   !df->changed && !df->removed;
}
