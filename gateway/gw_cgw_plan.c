/* SPDX-License-Identifier: MIT */
/*
 * gw_cgw_plan.c - which gateway routes the kernel's can-gw can take over
 * exactly, compiled into jobs (pure; see gw_cgw.h, layer 1).
 *
 * can-gw's semantics as relied on here (net/can/gw.c, Linux 5.4 to 6.x):
 * per job one struct can_filter; the modifications run AND, OR, XOR, SET,
 * each on id, then length, then data; then, only if some modification
 * ran, the CRC8 checksum and then the XOR checksum.  Checksums and the
 * uid attribute are only read when the message has a modification.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/can.h>
#include <linux/can/gw.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "gw_cgw.h"
#include "gw_cgw_priv.h"

/* Refusal reasons (documented in docs/gateway.md, "Kernel offload"). */
static const char R_INVALID[] = "invalid route";
static const char R_FIREWALL[] = "firewall";
static const char R_PAYLOAD[] = "payload filter";
static const char R_LENFILT[] = "length filter";
static const char R_FD2C[] = "FD to classic";
static const char R_RANGE[] = "id range";
static const char R_INVFRAME[] = "inverted mask with frame filter";
static const char R_OVERLAP[] = "overlapping ids";
static const char R_IDADD[] = "id add";
static const char R_RATE[] = "rate limit";
static const char R_DROP[] = "drop";
static const char R_CSUM[] = "checksum not kernel-exact";
static const char R_CSUM2[] = "two checksums of a kind";
static const char R_ORDER[] = "action order";
static const char R_CSORDER[] = "checksum order";
static const char R_LENMOD[] = "length mod";
static const char R_LENSET[] = "length set";
static const char R_SHORT[] = "checksum on short frames";
static const char R_IDFMT[] = "id mod differs by format";
static const char R_UNKNOWN[] = "unknown action";
static const char R_FIRST[] = "first match";
static const char R_FED[] = "fed by a user-space route";
static const char R_FEEDS[] = "feeds a user-space route";
static const char R_NOMEM[] = "out of memory";

#define FMT_SFF 1
#define FMT_EFF 2

#define TYPE_CLASSIC 1
#define TYPE_FD	     2

/* A can-gw filter of one id selector, and which id formats pass it. */
struct filt {
	uint32_t id, mask;
	uint8_t fmts; /* FMT_SFF | FMT_EFF */
};

/* ---- decision ---------------------------------------------------------- */

/* The id formats r's frame filter admits (FMT_*). */
static uint8_t frame_fmts(const struct gw_route_spec *r)
{
	if (r->frame == GW_SFF_ONLY)
		return FMT_SFF;
	if (r->frame == GW_EFF_ONLY)
		return FMT_EFF;
	return FMT_SFF | FMT_EFF;
}

/*
 * The filter of selector s under r's frame filter.  Returns 1 with *f set,
 * 0 when s selects nothing under that frame filter, -1 with *why set when
 * one can_filter cannot express it.
 */
static int sel_filter(const struct gw_route_spec *r, const struct gw_idsel *s, struct filt *f,
		      const char **why)
{
	uint32_t full = s->eff ? CAN_EFF_MASK : CAN_SFF_MASK;
	uint32_t flag = s->eff ? CAN_EFF_FLAG : 0;
	uint8_t fmt = s->eff ? FMT_EFF : FMT_SFF, allowed = frame_fmts(r);
	uint32_t v, m;
	uint64_t size;

	switch (s->kind) {
	case GW_SEL_EXACT:
		/* data frames only: that form takes the kernel's hashed
		 * receive path, not the list every frame walks; the engine
		 * keeps the remote frames of the id (gw_engine_offload()) */
		v = s->lo;
		m = full | CAN_RTR_FLAG;
		break;
	case GW_SEL_RANGE:
		/* only a range that is one aligned block is one id/mask pair */
		size = (uint64_t)s->hi - s->lo + 1;
		if (s->hi < s->lo || (size & (size - 1)) || (s->lo & (size - 1))) {
			*why = R_RANGE;
			return -1;
		}
		v = s->lo;
		m = full & ~(uint32_t)(size - 1);
		break;
	case GW_SEL_MASK:
		v = s->lo & s->hi;
		m = s->hi;
		break;
	default:
		*why = R_INVALID;
		return -1;
	}
	if (s->kind != GW_SEL_MASK || !s->invert) {
		if (!(allowed & fmt))
			return 0;
		f->id = v | flag;
		f->mask = m | CAN_EFF_FLAG;
		f->fmts = fmt;
		return 1;
	}
	/*
	 * The engine's inverted mask also takes every id of the other format,
	 * as the kernel's inverted filter with CAN_EFF_FLAG in the mask does.
	 */
	if (allowed == (FMT_SFF | FMT_EFF)) {
		f->id = v | flag | CAN_INV_FILTER;
		f->mask = m | CAN_EFF_FLAG;
		f->fmts = FMT_SFF | FMT_EFF;
		return 1;
	}
	if (allowed != fmt) {
		f->id = flag ^ CAN_EFF_FLAG;
		f->mask = CAN_EFF_FLAG;
		f->fmts = allowed;
		return 1;
	}
	*why = R_INVFRAME;
	return -1;
}

/* The filter of a route without selectors: every id its frame filter admits. */
static void all_filter(const struct gw_route_spec *r, struct filt *f)
{
	f->fmts = frame_fmts(r);
	f->id = f->fmts == FMT_EFF ? CAN_EFF_FLAG : 0;
	f->mask = f->fmts == (FMT_SFF | FMT_EFF) ? 0 : CAN_EFF_FLAG;
}

/* Can one frame pass both filters?  Then the kernel would route it twice. */
static int filt_overlap(const struct filt *a, const struct filt *b)
{
	const struct filt *i, *o;

	if ((a->id & CAN_INV_FILTER) && (b->id & CAN_INV_FILTER))
		return 1;
	if (!((a->id | b->id) & CAN_INV_FILTER))
		return ((a->id ^ b->id) & a->mask & b->mask) == 0;
	i = a->id & CAN_INV_FILTER ? a : b;
	o = i == a ? b : a;
	/* disjoint only if o lies inside the one block i leaves out */
	return !((i->mask & ~o->mask) == 0 && (o->id & i->mask) == (i->id & ~CAN_INV_FILTER));
}

/* A filter that is one aligned block of ids of one format: [lo, hi]. */
struct span {
	uint32_t lo, hi;
	uint32_t eff;
};

/*
 * Is f one aligned block of one format's ids (an exact id, an aligned
 * range, a mask of high bits, a whole format)?  Then *sp gets it, and
 * two such filters overlap exactly when their blocks meet.
 */
static int filt_span(const struct filt *f, struct span *sp)
{
	uint32_t eff = f->id & CAN_EFF_FLAG;
	uint32_t full = eff ? CAN_EFF_MASK : CAN_SFF_MASK, low;

	if ((f->id & CAN_INV_FILTER) || !(f->mask & CAN_EFF_FLAG) ||
	    (f->mask & ~(full | CAN_EFF_FLAG | CAN_RTR_FLAG)) || (f->id & f->mask & CAN_RTR_FLAG))
		return 0;
	low = ~f->mask & full;
	if (low & (low + 1))
		return 0;
	sp->lo = f->id & f->mask & full;
	sp->hi = sp->lo | low;
	sp->eff = eff;
	return 1;
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->eff != y->eff)
		return x->eff < y->eff ? -1 : 1;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * Do any two of f[0..n) overlap?  Pairwise is quadratic, seconds for
 * thousands of ids: the blocks (exact ids, ranges) are sorted and swept
 * instead, and only the rest (inverted filters, masks with holes) is
 * compared with everything.  Without memory for the sort, pairwise.
 */
static int any_overlap(const struct filt *f, size_t n, size_t *ncmp)
{
	struct span *sp;
	size_t i, j, ns = 0;
	int hit = 0;

	if (n < 2)
		return 0;
	sp = malloc(n * sizeof(*sp));
	if (!sp) {
		for (i = 1; i < n && !hit; i++)
			for (j = 0; j < i && !hit; j++, (*ncmp)++)
				hit = filt_overlap(&f[i], &f[j]);
		return hit;
	}
	for (i = 0; i < n && !hit; i++) {
		if (filt_span(&f[i], &sp[ns])) {
			ns++;
			continue;
		}
		for (j = 0; j < n && !hit; j++, (*ncmp)++)
			hit = j != i && filt_overlap(&f[i], &f[j]);
	}
	if (!hit && ns > 1) {
		uint32_t top = 0;

		qsort(sp, ns, sizeof(*sp), span_cmp);
		for (i = 0; i < ns && !hit; i++, (*ncmp)++) {
			hit = i && sp[i].eff == sp[i - 1].eff && sp[i].lo <= top;
			if (!i || sp[i].eff != sp[i - 1].eff || sp[i].hi > top)
				top = sp[i].hi;
		}
	}
	free(sp);
	return hit;
}

/* A length a SET may give every frame type the route has. */
static int len_ok(uint8_t types, unsigned int len)
{
	if ((types & TYPE_CLASSIC) && len > CAN_MAX_DLEN)
		return 0;
	return !(types & TYPE_FD) || cf_fd_len_valid(len);
}

/* The engine's modification op (enum gw_mod_op) of a by m. */
static uint32_t op32(uint8_t op, uint32_t a, uint32_t m)
{
	switch (op) {
	case GW_MOD_AND:
		return a & m;
	case GW_MOD_OR:
		return a | m;
	case GW_MOD_XOR:
		return a ^ m;
	default:
		return m;
	}
}

/*
 * The engine's data modifications as a function of each bit, found by
 * running them on an all-zero (z) and an all-one (o) payload of n bytes:
 * a bit is kept, inverted, or forced to 0 or 1.
 */
static void data_sim(const struct gw_route_spec *r, unsigned int n, uint8_t *z, uint8_t *o)
{
	size_t i;
	unsigned int b;

	memset(z, 0, n);
	memset(o, 0xFF, n);
	for (i = 0; i < r->nact; i++) {
		const struct gw_mod *m = &r->act[i].u.mod;

		if (r->act[i].kind != GW_ACT_MOD || !(m->fields & GW_MOD_DATA))
			continue;
		for (b = 0; b < n; b++) {
			z[b] = (uint8_t)op32(m->op, z[b], m->data[b]);
			o[b] = (uint8_t)op32(m->op, o[b], m->data[b]);
		}
	}
}

/*
 * The same for the id of a frame starting in format eff: the engine masks
 * the id to its format after each modification, and set_id can move an
 * 11-bit frame to 29 bits.  *eff_out is the final format.
 */
static void id_sim(const struct gw_route_spec *r, int eff, uint32_t *z, uint32_t *o, int *eff_out)
{
	uint32_t zz = 0, oo = eff ? CF_EFF_MASK : CF_SFF_MASK, fm;
	size_t i;

	for (i = 0; i < r->nact; i++) {
		const struct gw_action *a = &r->act[i];

		if (a->kind == GW_ACT_ID_SET) {
			zz = oo = a->u.id & CF_EFF_MASK;
			if (zz > CF_SFF_MASK)
				eff = 1;
		} else if (a->kind == GW_ACT_MOD && (a->u.mod.fields & GW_MOD_ID)) {
			fm = eff ? CF_EFF_MASK : CF_SFF_MASK;
			zz = op32(a->u.mod.op, zz, a->u.mod.id) & fm;
			oo = op32(a->u.mod.op, oo, a->u.mod.id) & fm;
		}
	}
	*z = zz;
	*o = oo;
	*eff_out = eff;
}

/* Records that bit function value need[v] must be x; 0 on a conflict. */
static int need_set(int8_t *need, int v, int x)
{
	if (need[v] >= 0 && need[v] != x)
		return 0;
	need[v] = (int8_t)x;
	return 1;
}

/*
 * can-gw's AND, OR, XOR operands on the kernel's can_id (flags included)
 * that turn every frame of the formats in fmts exactly as the engine
 * does.  An 11-bit frame has zeros in bits 11-28, so there only the
 * image of 0 matters.  Returns 0, or -1 when the formats need different
 * operands.
 */
static int id_compile(const struct gw_route_spec *r, unsigned int fmts, uint32_t op[3])
{
	/* per bit: the function's value on input 0 and 1; -1 unconstrained */
	int8_t need[32][2];
	/* preferred order: keep, zero, one, invert */
	static const uint8_t cand[4][2] = {{0, 1}, {0, 0}, {1, 1}, {1, 0}};
	uint32_t z, o, zz = 0, oo = 0;
	unsigned int b, c;
	int eff, effo;

	memset(need, -1, sizeof(need));
	for (eff = 0; eff < 2; eff++) {
		if (!(fmts & (eff ? FMT_EFF : FMT_SFF)))
			continue;
		id_sim(r, eff, &z, &o, &effo);
		for (b = 0; b < 29; b++) {
			if (!need_set(need[b], 0, z >> b & 1))
				return -1;
			if ((eff || b < 11) && !need_set(need[b], 1, o >> b & 1))
				return -1;
		}
		if (!need_set(need[31], eff, effo))
			return -1;
	}
	/* CAN_ERR_FLAG and CAN_RTR_FLAG pass unchanged */
	need[29][0] = need[30][0] = 0;
	need[29][1] = need[30][1] = 1;
	for (b = 0; b < 32; b++) {
		for (c = 0; c < 4; c++)
			if ((need[b][0] < 0 || need[b][0] == cand[c][0]) &&
			    (need[b][1] < 0 || need[b][1] == cand[c][1]))
				break;
		zz |= (uint32_t)cand[c][0] << b;
		oo |= (uint32_t)cand[c][1] << b;
	}
	/* keep: AND 1; invert: AND 1, XOR 1; constant c: AND 0, OR c */
	op[GW_CGW_AND] = zz ^ oo;
	op[GW_CGW_OR] = zz & oo;
	op[GW_CGW_XOR] = zz & ~oo;
	return 0;
}

/* Byte set a checksum reads (range, and data[1] for the 16U8 profile) and writes. */
struct bytes {
	uint64_t rd, wr;
};

/* Bit mask of bytes a..b (either order), clipped to 0..63. */
static uint64_t span(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a, i;
	uint64_t m = 0;

	for (i = lo; i <= hi && i < 64; i++)
		if (i >= 0)
			m |= 1ull << i;
	return m;
}

/* can-gw's index: negative ones count from the end of a len-byte frame. */
static int resolve(int idx, unsigned int len)
{
	return idx < 0 ? (int)len + idx : idx;
}

/* Bytes a XOR rule reads and writes on a frame of len bytes. */
static struct bytes xor_bytes(const struct gw_xor *x, unsigned int len)
{
	struct bytes b;

	b.rd = span(resolve(x->from_idx, len), resolve(x->to_idx, len));
	b.wr = span(resolve(x->result_idx, len), resolve(x->result_idx, len));
	return b;
}

/* Bytes a CRC8 rule reads and writes on a frame of len bytes. */
static struct bytes crc8_bytes(const struct gw_crc8 *c, unsigned int len)
{
	struct bytes b;

	b.rd = span(resolve(c->from_idx, len), resolve(c->to_idx, len));
	if (c->profile == GW_CRC8PRF_16U8)
		b.rd |= 2;
	b.wr = span(resolve(c->result_idx, len), resolve(c->result_idx, len));
	return b;
}

/*
 * Compiles the actions.  Returns NULL, or the reason they cannot run in
 * can-gw with the engine's results.
 */
static const char *compile_actions(const struct gw_route_spec *r, struct gw_cgw_route *out)
{
	uint8_t z[2][CF_MAX_LEN], o[2][CF_MAX_LEN], buf[CF_MAX_LEN];
	size_t i, xor_at = 0, crc_at = 0;
	unsigned int t, b, fs;
	int csum = 0;

	for (i = 0; i < r->nact; i++) {
		const struct gw_action *a = &r->act[i];
		const struct gw_csum *c = &a->u.csum;

		switch (a->kind) {
		case GW_ACT_ID_ADD:
			return R_IDADD;
		case GW_ACT_RATE:
			return R_RATE;
		case GW_ACT_DROP:
			return R_DROP;
		case GW_ACT_ID_SET:
			/* can-gw runs every checksum after every modification */
			if (csum)
				return R_ORDER;
			break;
		case GW_ACT_MOD:
			if (csum)
				return R_ORDER;
			if (a->u.mod.op > GW_MOD_SET)
				return R_UNKNOWN;
			if (a->u.mod.fields & GW_MOD_LEN) {
				/*
				 * can-gw's AND/OR/XOR on a classic length work on
				 * the raw DLC (len8_dlc) and check the result only
				 * at the end; the engine drops a frame as soon as
				 * its length is invalid.  Only a valid SET agrees.
				 */
				if (a->u.mod.op != GW_MOD_SET || !len_ok(out->types, a->u.mod.len))
					return R_LENMOD;
				out->set_len = a->u.mod.len;
			}
			break;
		case GW_ACT_CSUM:
			if ((c->kind != GW_CSUM_XOR && c->kind != GW_CSUM_CRC8) ||
			    ((out->types & TYPE_CLASSIC) && !gw_csum_kernel_ok(c, 0)) ||
			    ((out->types & TYPE_FD) && !gw_csum_kernel_ok(c, 1)))
				return R_CSUM;
			if (c->kind == GW_CSUM_XOR) {
				if (out->xsum)
					return R_CSUM2;
				out->xsum = &c->u.xsum;
				xor_at = i;
			} else {
				if (out->crc8)
					return R_CSUM2;
				out->crc8 = &c->u.crc8;
				crc_at = i;
			}
			csum = 1;
			break;
		default:
			return R_UNKNOWN;
		}
	}
	for (t = 0; t < 2; t++) {
		unsigned int n = t ? CF_MAX_LEN : CAN_MAX_DLEN;

		data_sim(r, n, z[t], o[t]);
		for (b = 0; b < n; b++) {
			out->dataop[t][GW_CGW_AND][b] = z[t][b] ^ o[t][b];
			out->dataop[t][GW_CGW_OR][b] = z[t][b] & o[t][b];
			out->dataop[t][GW_CGW_XOR][b] = z[t][b] & (uint8_t)~o[t][b];
		}
		/*
		 * A longer length exposes bytes past the received length: the
		 * engine has zeros there, can-gw whatever the skb held.  Only
		 * bytes the modifications set entirely are the same.
		 */
		if (out->set_len >= 0 && (out->types & (t ? TYPE_FD : TYPE_CLASSIC)))
			for (b = 0; b < (unsigned int)out->set_len && b < n; b++)
				if (z[t][b] != o[t][b])
					return R_LENSET;
	}
	if (out->crc8 || out->xsum) {
		/*
		 * The engine drops a frame too short for a checksum; can-gw
		 * computes over stale bytes (or skips a relative rule) and
		 * sends it.  Only a set length rules short frames out.
		 */
		if (out->set_len < 0)
			return R_SHORT;
		memset(buf, 0, sizeof(buf));
		for (i = 0; i < r->nact; i++)
			if (r->act[i].kind == GW_ACT_CSUM &&
			    gw_csum_apply(&r->act[i].u.csum, NULL, 0, buf, (size_t)out->set_len))
				return R_SHORT;
		/* can-gw runs CRC8 first: a XOR rule before it must not touch its bytes */
		if (out->crc8 && out->xsum && xor_at < crc_at) {
			struct bytes x = xor_bytes(out->xsum, (unsigned int)out->set_len);
			struct bytes c = crc8_bytes(out->crc8, (unsigned int)out->set_len);

			if ((x.wr & (c.rd | c.wr)) || (c.wr & (x.rd | x.wr)))
				return R_CSORDER;
		}
	}
	for (fs = 1; fs < 4; fs++)
		if ((out->filt_fmts >> fs & 1) && id_compile(r, fs, out->idop[fs]))
			return R_IDFMT;
	return NULL;
}

/* Marks out as not offloadable for why; returns err. */
static int refuse(struct gw_cgw_route *out, const char *why, int err)
{
	out->why = why;
	out->njobs = 0;
	return err;
}

int gw_cgw_route_check(const struct gw_spec *spec, const struct gw_route_spec *r,
		       struct gw_cgw_route *out)
{
	const struct gw_if_spec *src;
	const char *why = NULL, *bad = NULL;
	struct filt f, *fl = NULL;
	unsigned int d, maxlen;
	size_t i;
	int rc, ovl;

	memset(out, 0, sizeof(*out));
	out->r = r;
	out->set_len = -1;
	if (!spec || !r || spec->nifs > GW_MAX_IFS || r->src >= spec->nifs || !r->dst ||
	    (spec->nifs < 64 && (r->dst >> spec->nifs)) || (r->nsel && !r->sel) ||
	    (r->nact && !r->act))
		return refuse(out, R_INVALID, -EINVAL);
	src = &spec->ifs[r->src];
	if (r->fw)
		return refuse(out, R_FIREWALL, -EOPNOTSUPP);
	if (r->ndata)
		return refuse(out, R_PAYLOAD, -EOPNOTSUPP);
	if (r->type != GW_FD_ONLY)
		out->types |= TYPE_CLASSIC;
	if (src->fd && r->type != GW_CLASSIC_ONLY)
		out->types |= TYPE_FD;
	out->ntypes = (unsigned int)!!(out->types & TYPE_CLASSIC) + !!(out->types & TYPE_FD);
	maxlen = out->types & TYPE_FD ? CF_MAX_LEN : CAN_MAX_DLEN;
	if (r->len_min > 0 || r->len_max < maxlen)
		return refuse(out, R_LENFILT, -EOPNOTSUPP);
	for (d = 0; d < spec->nifs; d++) {
		if (!(r->dst >> d & 1))
			continue;
		/* the engine sends short FD frames on as classic ones; can-gw cannot */
		if ((out->types & TYPE_FD) && !spec->ifs[d].fd)
			return refuse(out, R_FD2C, -EOPNOTSUPP);
		out->ndst++;
	}
	if (!r->nsel) {
		all_filter(r, &f);
		out->nfilt = 1;
		out->filt_fmts = (uint8_t)(1u << f.fmts);
	} else {
		fl = malloc(r->nsel * sizeof(*fl));
		if (!fl)
			return refuse(out, R_NOMEM, -ENOMEM);
	}
	for (i = 0; i < r->nsel; i++) {
		rc = sel_filter(r, &r->sel[i], &fl[out->nfilt], &bad);
		if (rc < 0)
			break;
		if (!rc)
			continue;
		out->filt_fmts |= (uint8_t)(1u << fl[out->nfilt].fmts);
		out->nfilt++;
	}
	/*
	 * A frame the engine routes once per route must match one job.  Of
	 * the reasons, the one the first offending selector gives: an
	 * overlap among those before a selector can-gw cannot express.
	 */
	ovl = any_overlap(fl, out->nfilt, &out->ncmp);
	free(fl);
	if (ovl)
		return refuse(out, R_OVERLAP, -EOPNOTSUPP);
	if (i < r->nsel)
		return refuse(out, bad, bad == R_INVALID ? -EINVAL : -EOPNOTSUPP);
	why = compile_actions(r, out);
	if (why)
		return refuse(out, why, -EOPNOTSUPP);
	out->njobs = out->nfilt * out->ntypes * out->ndst;
	return 0;
}

/* Notes that route j stays in user space: per interface, the lowest such
 * route sending there (fed[]) and reading there (src[]). */
static void user_route(const struct gw_route_spec *r, size_t j, size_t *fed, size_t *src)
{
	unsigned int x;

	for (x = 0; x < GW_MAX_IFS; x++)
		if ((r->dst >> x & 1) && j < fed[x])
			fed[x] = j;
	if (r->src < GW_MAX_IFS && j < src[r->src])
		src[r->src] = j;
}

size_t gw_cgw_plan(const struct gw_spec *spec, const struct gw_route_spec *const *routes, size_t n,
		   struct gw_cgw_route *out)
{
	size_t i, ok = 0, fed[GW_MAX_IFS], src[GW_MAX_IFS], nsrc[GW_MAX_IFS] = {0};
	unsigned int x;
	int changed = 1;

	for (i = 0; i < n; i++)
		gw_cgw_route_check(spec, routes[i], &out[i]);
	/* can-gw has no notion of "first": every job takes its frames */
	if (spec && spec->first_match) {
		for (i = 0; i < n; i++)
			if (routes[i]->src < GW_MAX_IFS)
				nsrc[routes[i]->src]++;
		for (i = 0; i < n; i++)
			if (!out[i].why && routes[i]->src < GW_MAX_IFS && nsrc[routes[i]->src] > 1)
				refuse(&out[i], R_FIRST, -EOPNOTSUPP);
	}
	/*
	 * Each refusal can make another route's offload wrong: to a fixed
	 * point.  A route's reason is the one the lowest user-space route
	 * involved gives (fed by it, else feeding it), as a walk over every
	 * pair would find it, but from per-interface minima: linear in the
	 * routes per pass, and a pass only repeats when an interface gains
	 * a user-space route, so at most 2 * GW_MAX_IFS + 1 passes.
	 */
	for (x = 0; x < GW_MAX_IFS; x++)
		fed[x] = src[x] = SIZE_MAX;
	for (i = 0; i < n; i++)
		if (out[i].why)
			user_route(routes[i], i, fed, src);
	while (changed) {
		changed = 0;
		for (i = 0; i < n; i++) {
			const struct gw_route_spec *r = routes[i];
			size_t jfed, jfeeds = SIZE_MAX;

			if (out[i].why)
				continue;
			jfed = r->src < GW_MAX_IFS ? fed[r->src] : SIZE_MAX;
			for (x = 0; x < GW_MAX_IFS; x++)
				if ((r->dst >> x & 1) && src[x] < jfeeds)
					jfeeds = src[x];
			if (jfed == SIZE_MAX && jfeeds == SIZE_MAX)
				continue;
			refuse(&out[i], jfed <= jfeeds ? R_FED : R_FEEDS, -EOPNOTSUPP);
			user_route(r, i, fed, src);
			changed = 1;
		}
	}
	for (i = 0; i < n; i++)
		ok += !out[i].why;
	return ok;
}

int gw_cgw_route_job(const struct gw_cgw_route *rt, size_t k, const uint32_t *ifindex,
		     struct gw_cgw_job *job)
{
	const struct gw_route_spec *r = rt->r;
	size_t fi, i, left;
	unsigned int t, di, d, s, n, fs;
	const char *why;
	struct filt f;
	int any = 0;

	if (rt->why || k >= rt->njobs || !rt->ndst || !rt->ntypes)
		return -EINVAL;
	di = (unsigned int)(k % rt->ndst);
	t = (unsigned int)(k / rt->ndst % rt->ntypes);
	fi = k / rt->ndst / rt->ntypes;
	if (rt->ntypes == 1)
		t = rt->types & TYPE_FD ? 1 : 0;
	for (d = 0; d < 64; d++)
		if ((r->dst >> d & 1) && !di--)
			break;
	if (!r->nsel) {
		all_filter(r, &f);
	} else if (rt->nfilt == r->nsel) {
		/* every selector is a filter: job k's is fi's, no walk (a walk
		 * per job is quadratic in the ids) */
		if (sel_filter(r, &r->sel[fi], &f, &why) != 1)
			return -EINVAL;
	} else {
		for (i = 0, left = fi; i < r->nsel; i++)
			if (sel_filter(r, &r->sel[i], &f, &why) == 1 && !left--)
				break;
		if (i == r->nsel)
			return -EINVAL;
	}
	memset(job, 0, sizeof(*job));
	job->src = r->src;
	job->dst = (uint8_t)d;
	job->fd = (uint8_t)t;
	job->key.src_ifindex = ifindex ? ifindex[r->src] : 0;
	job->key.dst_ifindex = ifindex ? ifindex[d] : 0;
	job->key.filter_id = f.id;
	job->key.filter_mask = f.mask;
	/* echo: local sockets on the destination see the frame, as they see
	 * canrigd's own (on vcan nothing else would show it) */
	job->key.flags = CGW_FLAGS_CAN_ECHO;
	if (t)
		job->key.flags |= CGW_FLAGS_CAN_FD;
	if (d == r->src)
		job->key.flags |= CGW_FLAGS_CAN_IIF_TX_OK;
	job->key.lim_hops = GW_CGW_LIM_HOPS;
	fs = f.fmts;
	n = t ? CF_MAX_LEN : CAN_MAX_DLEN;
	for (s = GW_CGW_AND; s <= GW_CGW_XOR; s++) {
		struct gw_cgw_mod *m = &job->mod[s];
		uint8_t idle = s == GW_CGW_AND ? 0xFF : 0x00;
		unsigned int b;

		m->can_id = rt->idop[fs][s];
		memcpy(m->data, rt->dataop[t][s], n);
		if (m->can_id != (s == GW_CGW_AND ? 0xFFFFFFFFu : 0))
			m->type |= CGW_MOD_ID;
		for (b = 0; b < n; b++)
			if (m->data[b] != idle)
				m->type |= CGW_MOD_DATA;
		any |= m->type;
	}
	if (rt->set_len >= 0) {
		job->mod[GW_CGW_SET].type = CGW_MOD_LEN;
		job->mod[GW_CGW_SET].len = (uint8_t)rt->set_len;
		any = 1;
	}
	/*
	 * can-gw computes checksums, and reads a uid, only in a job with a
	 * modification; a no-op one makes a checksum-only job work.  A job with
	 * neither stays plain: any modification makes can-gw copy every frame
	 * where it would clone it (a fifth to a third more per frame, measured).
	 */
	if (!any && (rt->crc8 || rt->xsum))
		job->mod[GW_CGW_AND].type = CGW_MOD_ID;
	job->crc8 = rt->crc8;
	job->xsum = rt->xsum;
	return 0;
}

int gw_cgw_job_plain(const struct gw_cgw_job *job)
{
	unsigned int s;

	for (s = 0; s < GW_CGW_NMOD; s++)
		if (job->mod[s].type)
			return 0;
	return !job->crc8 && !job->xsum;
}
