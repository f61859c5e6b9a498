/* SPDX-License-Identifier: MIT */
/*
 * fuzz_gw_fw.c - libFuzzer target, differential: a fuzzed route layout
 * with diagnostics firewalls (several routes, match: first or all, id and
 * data actions, rate limits, normal or extended addressing), a fuzzed
 * sequence of frames through the gateway engine, and every frame it sends
 * to the protected interface fed into canrig's ISO-TP receiver, one per
 * CAN id and address byte, as the ECUs behind it.  No request an ECU
 * reassembles on an id a firewall covers may carry a SID or sub-function
 * the firewall refuses in the mode of the moment.  Layouts the engine
 * refuses at load are skipped: refusing is its answer to those.
 *
 * The oracle knows the lists and which SIDs have sub-functions by itself,
 * not through the engine.  ECUs read frames in the addressing mode the
 * routes declare (docs/gateway.md: one path, one mode); with address bytes
 * of 0x40 and above a normal-addressed ECU listens on the same ids too.
 *
 * Input: [mode][nroutes] + 3 bytes per route (destinations, firewall,
 * ids, filters; two actions; address bytes, frame format, payload filter),
 * then records of [time step][control][len][data...].
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "isotp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PT   1 /* the protected interface */
#define NIDS 8
#define NRX  (NIDS * 3)
#define MS   1000000ull

/* the ids frames are sent with, and the ECUs listen on; EFF: 29-bit */
#define EFF 0x80000000u
static const uint32_t ids[NIDS] = {0x7E0, 0x7DF, 0x7E1, 0x7E5, 0x100, 0x6F1, 0x7E0 | EFF, 0x7FF};

static const uint8_t aes[4][2] = {{0xF1, 0}, {0xF1, 0x55}, {0x21, 0}, {0x21, 0xF1}};
static const uint8_t naes[4] = {1, 2, 1, 2};

/* ---- the oracle's own view of the lists ---- */

static int sid_has_sub(uint8_t sid)
{
	static const uint8_t s[] = {0x10, 0x11, 0x19, 0x27, 0x28, 0x29, 0x2C,
				    0x31, 0x3E, 0x83, 0x85, 0x86, 0x87};
	size_t i;

	for (i = 0; i < sizeof(s); i++)
		if (s[i] == sid)
			return 1;
	return 0;
}

/* allow: 22 19 3E, 10 {01 03}; workshop: 2E 31 27, 10 {02} */
static int allowed(const uint8_t *m, size_t len, int ws)
{
	uint8_t sid = m[0];
	int sub = len >= 2 && sid_has_sub(sid) ? m[1] & 0x7F : -1;

	if (sid == 0x22 || sid == 0x19 || sid == 0x3E)
		return 1;
	if (sid == 0x10 && (sub < 0 || sub == 0x01 || sub == 0x03))
		return 1;
	if (!ws)
		return 0;
	if (sid == 0x2E || sid == 0x31 || sid == 0x27)
		return 1;
	return sid == 0x10 && (sub < 0 || sub == 0x02);
}

#define SET(a, v) ((a)[(v) >> 3] |= (uint8_t)(1u << ((v)&7)))

static struct gw_firewall *make_fw(int ext, unsigned int aset, unsigned int pick)
{
	struct gw_firewall *fw = calloc(1, sizeof(*fw));
	unsigned int i;

	if (!fw)
		return NULL;
	SET(fw->allow, 0x22);
	SET(fw->allow, 0x19);
	SET(fw->allow, 0x3E);
	SET(fw->allow, 0x10);
	SET(fw->workshop, 0x2E);
	SET(fw->workshop, 0x31);
	SET(fw->workshop, 0x27);
	SET(fw->workshop, 0x10);
	fw->sub[0].sid = 0x10;
	SET(fw->sub[0].subs, 0x01);
	SET(fw->sub[0].subs, 0x03);
	fw->sub[1].sid = 0x10;
	fw->sub[1].workshop = 1;
	SET(fw->sub[1].subs, 0x02);
	fw->nsub = 2;
	if (ext) {
		for (i = 0; i < naes[aset]; i++)
			if (pick >> i & 1)
				fw->ae[fw->nae++] = aes[aset][i];
		if (!fw->nae)
			fw->ae[fw->nae++] = aes[aset][0];
	}
	return fw;
}

/* ---- layout ---- */

struct layout {
	uint8_t fw, idk, act[2];
};

static void add_sel(struct gw_route_spec *r, uint8_t kind, uint32_t lo, uint32_t hi, int eff,
		    int inv)
{
	struct gw_idsel *s = &r->sel[r->nsel++];

	s->kind = kind;
	s->lo = lo;
	s->hi = hi;
	s->eff = (uint8_t)eff;
	s->invert = (uint8_t)inv;
}

/* Does route layout l take id (with eff)? The oracle's copy of the ids. */
static int l_in(const struct layout *l, uint32_t id, int eff)
{
	switch (l->idk) {
	case 0:
		return !eff && id == 0x7E0;
	case 1:
		return !eff && (id == 0x7E0 || id == 0x7DF);
	case 2:
		return !eff && (id & 0x7F0) == 0x7E0;
	case 3:
		return 1;
	case 4:
		return !eff && id == 0x100;
	case 5:
		return !eff && id >= 0x6F0 && id <= 0x6FF;
	case 6:
		return eff && id == 0x7E0;
	default:
		return eff || (id & 0x700) != 0x100;
	}
}

/* The id route layout l sends a frame of id with. */
static uint32_t l_out(const struct layout *l, uint32_t id, int *eff)
{
	unsigned int k;

	for (k = 0; k < 2; k++)
		switch (l->act[k]) {
		case 1:
			id = 0x7E0;
			break;
		case 2:
			id = 0x7E1;
			break;
		case 3:
			id = (id + 1) & (*eff ? 0x1FFFFFFFu : 0x7FFu);
			break;
		case 9:
			id &= 0x7F0;
			break;
		default:
			break;
		}
	return id;
}

static void add_act(struct gw_route_spec *r, uint8_t a)
{
	struct gw_action *x = &r->act[r->nact];

	memset(x, 0, sizeof(*x));
	switch (a) {
	case 1:
		x->kind = GW_ACT_ID_SET;
		x->u.id = 0x7E0;
		break;
	case 2:
		x->kind = GW_ACT_ID_SET;
		x->u.id = 0x7E1;
		break;
	case 3:
		x->kind = GW_ACT_ID_ADD;
		x->u.id = 1;
		break;
	case 4:
		x->kind = GW_ACT_MOD;
		x->u.mod.op = GW_MOD_XOR;
		x->u.mod.fields = GW_MOD_DATA;
		x->u.mod.data[1] = 0x0C;
		break;
	case 5:
	case 6:
		x->kind = GW_ACT_RATE;
		x->u.rate.interval_ms = 2;
		x->u.rate.keep = a == 6 ? GW_KEEP_LATEST : GW_KEEP_FIRST;
		break;
	case 7:
		x->kind = GW_ACT_DROP;
		break;
	case 8:
		x->kind = GW_ACT_RATE;
		x->u.rate.rate_per_s = 500;
		x->u.rate.burst = 2;
		break;
	case 9:
		x->kind = GW_ACT_MOD;
		x->u.mod.op = GW_MOD_AND;
		x->u.mod.fields = GW_MOD_ID;
		x->u.mod.id = 0x7F0;
		break;
	case 10:
		x->kind = GW_ACT_MOD;
		x->u.mod.op = GW_MOD_SET;
		x->u.mod.fields = GW_MOD_LEN;
		x->u.mod.len = 8;
		break;
	default:
		return;
	}
	r->nact++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rxbuf[NRX][4200];
	static struct isotp rx[NRX];
	static const char *const names[3] = {"obd", "pt", "body"};
	struct layout l[4];
	struct gw_spec spec;
	struct gw_engine *e;
	struct gw_emit out[16];
	struct cf_buf ob[16];
	struct isotp_cfg cfg;
	char err[256];
	unsigned int nr, i, k, nrx = 0, aset;
	int ext, ws, first, covered[NRX];
	size_t pos;
	uint64_t now = 1;

	if (size < 5)
		return 0;
	first = data[0] & 1;
	ws = !!(data[0] & 2);
	ext = !!(data[0] & 4);
	aset = (data[0] >> 4) & 3;
	nr = 1 + data[1] % 4;
	if (size < 2 + 3 * nr)
		return 0;
	memset(&spec, 0, sizeof(spec));
	for (i = 0; i < 3; i++) {
		strcpy(spec.ifs[i].name, names[i]);
		strcpy(spec.ifs[i].domain, names[i]);
	}
	spec.ifs[0].fd = 1;
	spec.ifs[PT].fd = !!(data[0] & 8);
	spec.ifs[0].untrusted = !!(data[0] & 64);
	spec.nifs = 3;
	spec.first_match = (uint8_t)first;
	spec.routes = calloc(nr, sizeof(*spec.routes));
	if (!spec.routes)
		return 0;
	spec.nroutes = nr;
	for (i = 0; i < nr; i++) {
		const uint8_t *b = data + 2 + 3 * i;
		struct gw_route_spec *r = &spec.routes[i];

		l[i].fw = b[0] & 1;
		l[i].idk = (b[0] >> 1) & 7;
		l[i].act[0] = b[1] & 0x0F;
		l[i].act[1] = b[1] >> 4;
		snprintf(r->name, sizeof(r->name), "r%u", i);
		r->src = 0;
		r->dst = (b[0] & 16 ? 1u << PT : 0) | (b[0] & 32 ? 1u << 2 : 0);
		if (!r->dst)
			r->dst = 1u << PT;
		r->len_max = CF_MAX_LEN;
		r->fd2classic = GW_FD2C_DROP;
		if (b[0] & 64)
			r->len_min = r->len_max = 8;
		if (b[0] & 128)
			r->type = GW_CLASSIC_ONLY;
		r->frame = (uint8_t)((b[2] >> 2) % 3); /* any, 11-bit, 29-bit */
		if (b[2] & 0x80) {
			/* byte 0's high nibble 0: single frames (or address) */
			r->data = calloc(1, sizeof(*r->data));
			if (r->data) {
				r->data[0].mask = 0xF0;
				r->ndata = 1;
			}
		}
		r->sel = calloc(4, sizeof(*r->sel));
		r->act = calloc(2, sizeof(*r->act));
		if (!r->sel || !r->act)
			break;
		switch (l[i].idk) {
		case 0:
			add_sel(r, GW_SEL_EXACT, 0x7E0, 0x7E0, 0, 0);
			break;
		case 1:
			add_sel(r, GW_SEL_EXACT, 0x7E0, 0x7E0, 0, 0);
			add_sel(r, GW_SEL_EXACT, 0x7DF, 0x7DF, 0, 0);
			break;
		case 2:
			add_sel(r, GW_SEL_MASK, 0x7E0, 0x7F0, 0, 0);
			break;
		case 3:
			break;
		case 4:
			add_sel(r, GW_SEL_EXACT, 0x100, 0x100, 0, 0);
			break;
		case 5:
			add_sel(r, GW_SEL_RANGE, 0x6F0, 0x6FF, 0, 0);
			break;
		case 6:
			add_sel(r, GW_SEL_EXACT, 0x7E0, 0x7E0, 1, 0);
			break;
		default:
			add_sel(r, GW_SEL_MASK, 0x100, 0x700, 0, 1);
			break;
		}
		add_act(r, l[i].act[0]);
		add_act(r, l[i].act[1]);
		if (l[i].fw)
			r->fw = make_fw(ext, aset, b[2] & 3);
	}
	e = gw_engine_new(&spec, err, sizeof(err));
	if (!e)
		return 0;
	gw_engine_workshop(e, ws);

	/* the ECUs: every id in the declared mode; a normal one beside
	 * extended ones whose address bytes cannot be read as a PCI */
	isotp_cfg_init(&cfg);
	cfg.tx_dl = spec.ifs[PT].fd ? 64 : 8;
	cfg.tx_id = 0x7E8;
	for (i = 0; i < NIDS; i++) {
		int eff = !!(ids[i] & EFF);
		uint32_t id = ids[i] & 0x1FFFFFFFu;
		int cov = 0, modes[3], nm = 0, m;

		/* covered: some firewalled route to PT takes or sends this id */
		for (k = 0; k < nr; k++) {
			unsigned int j;

			if (!l[k].fw || !(gw_engine_route(e, k)->dst >> PT & 1))
				continue;
			if (l_in(&l[k], id, eff))
				cov = 1;
			for (j = 0; j < NIDS; j++) {
				int e2 = !!(ids[j] & EFF);
				uint32_t o;

				if (!l_in(&l[k], ids[j] & 0x1FFFFFFFu, e2))
					continue;
				o = l_out(&l[k], ids[j] & 0x1FFFFFFFu, &e2);
				if (o == id && e2 == eff)
					cov = 1;
			}
		}
		if (!ext) {
			modes[nm++] = -1;
		} else {
			for (m = 0; m < naes[aset]; m++)
				modes[nm++] = aes[aset][m];
			if (aes[aset][0] >= 0x40)
				modes[nm++] = -1;
		}
		for (m = 0; m < nm; m++) {
			cfg.rx_id = id;
			cfg.rx_eff = (uint8_t)eff;
			cfg.rx_ae = (int16_t)modes[m];
			cfg.tx_ae = cfg.rx_ae;
			isotp_init(&rx[nrx], &cfg, rxbuf[nrx], sizeof(rxbuf[nrx]));
			covered[nrx++] = cov;
		}
	}

	pos = 2 + 3 * nr;
	while (pos + 3 <= size) {
		uint8_t ctl = data[pos + 1];
		unsigned int len = data[pos + 2], n, t;
		struct cf_frame f;
		uint8_t *p;

		now += (uint64_t)data[pos] * 4 * MS;
		pos += 3;
		memset(&f, 0, sizeof(f));
		f.id = ids[ctl & 7] & 0x1FFFFFFFu;
		if (ids[ctl & 7] & EFF)
			f.flags |= CF_EFF;
		if (ctl & 8) {
			f.flags |= CF_FD;
			len = cf_dlc2len(cf_len2dlc(len % (CF_MAX_LEN + 1)));
		} else {
			len %= 9;
		}
		if (ctl & 16) {
			ws = !ws;
			gw_engine_workshop(e, ws);
		}
		if (len > size - pos)
			len = (unsigned int)(size - pos);
		if ((ctl & 8) && len != cf_dlc2len(cf_len2dlc(len)))
			f.flags &= (uint8_t)~CF_FD;
		if (!(f.flags & CF_FD) && len > 8)
			len = 8;
		p = malloc(len ? len : 1);
		if (!p)
			break;
		memcpy(p, data + pos, len);
		pos += len;
		f.data = p;
		f.len = (uint8_t)len;
		n = gw_engine_input(e, 0, &f, now, out, 16);
		/* what a firewalled route lets through is what it received */
		for (k = 0; k < n; k++)
			if (gw_engine_route(e, out[k].route)->fw &&
			    (out[k].f.len != f.len || memcmp(out[k].f.data, p, f.len)))
				__builtin_trap();
		/* the emits are views, valid until the engine's next call:
		 * keep them as the daemon's queue does */
		for (k = 0; k < n; k++)
			out[k].f = *cf_buf_set(&ob[k], &out[k].f);
		if (ctl & 32) {
			unsigned int m = gw_engine_timers(e, now + MS, out + n, 16 - n);

			for (k = n; k < n + m; k++)
				out[k].f = *cf_buf_set(&ob[k], &out[k].f);
			n += m;
		}
		free(p);
		for (k = 0; k < n; k++) {
			if (out[k].dst != PT)
				continue;
			for (i = 0; i < nrx; i++) {
				struct cf_buf fo[16];
				unsigned int ev = isotp_input(&rx[i], &out[k].f, now);

				/* the request an ECU got: allowed, or an id no
				 * firewall covers */
				if ((ev & ISOTP_EV_RX) && covered[i] &&
				    !allowed(rx[i].rx_buf, rx[i].rx_len, ws))
					__builtin_trap();
				t = isotp_output(&rx[i], now, fo, 16);
				isotp_sent(&rx[i], t, now);
			}
		}
		for (i = 0; i < nrx; i++)
			isotp_timers(&rx[i], now);
	}
	gw_engine_free(e);
	return 0;
}
