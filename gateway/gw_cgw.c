/* SPDX-License-Identifier: MIT */
/*
 * gw_cgw.c - gateway routes as Linux can-gw jobs: which routes the kernel
 * can take over exactly, their rtnetlink messages, and the socket that
 * installs them and reads their counters.
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
#define TYPE_FD      2

/* receive buffer: the kernel sizes dump skbs up to 32 KiB */
#define RX_MAX 32768

/* NLMSG_HDRLEN is an int; lengths here are unsigned */
#define HDRLEN ((size_t)NLMSG_ALIGN(sizeof(struct nlmsghdr)))

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
	    (f->mask & ~(full | CAN_EFF_FLAG | CAN_RTR_FLAG)) ||
	    (f->id & f->mask & CAN_RTR_FLAG))
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
	static const uint8_t cand[4][2] = { { 0, 1 }, { 0, 0 }, { 1, 1 }, { 1, 0 } };
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

size_t gw_cgw_plan(const struct gw_spec *spec, const struct gw_route_spec *const *routes,
		   size_t n, struct gw_cgw_route *out)
{
	size_t i, ok = 0, fed[GW_MAX_IFS], src[GW_MAX_IFS], nsrc[GW_MAX_IFS] = { 0 };
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
			if (!out[i].why && routes[i]->src < GW_MAX_IFS &&
			    nsrc[routes[i]->src] > 1)
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

/* ---- messages ---------------------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t cap, len;
	int err;
};

/* Appends n bytes zero-padded to aligned, or marks w -EMSGSIZE. */
static void put_raw(struct wbuf *w, const void *data, size_t n, size_t aligned)
{
	if (w->err)
		return;
	if (aligned > w->cap - w->len) {
		w->err = -EMSGSIZE;
		return;
	}
	memcpy(w->p + w->len, data, n);
	memset(w->p + w->len + n, 0, aligned - n);
	w->len += aligned;
}

/* Appends one attribute of n payload bytes, padded. */
static void put_attr(struct wbuf *w, uint16_t type, const void *data, size_t n)
{
	struct rtattr a;

	a.rta_len = (unsigned short)RTA_LENGTH(n);
	a.rta_type = type;
	if (!w->err && RTA_ALIGN(RTA_LENGTH(n)) > w->cap - w->len) {
		w->err = -EMSGSIZE;
		return;
	}
	put_raw(w, &a, sizeof(a), RTA_LENGTH(0));
	put_raw(w, data, n, RTA_ALIGN(n));
}

/* Appends an u32 attribute (host order, as netlink wants). */
static void put_u32(struct wbuf *w, uint16_t type, uint32_t v)
{
	put_attr(w, type, &v, sizeof(v));
}

/* Header and rtcanmsg; the length is patched in by finish(). */
static void begin(struct wbuf *w, void *buf, size_t cap, uint16_t type, uint16_t flags,
		  uint32_t seq, uint16_t gwflags)
{
	struct nlmsghdr nh;
	struct rtcanmsg rc;

	w->p = buf;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
	memset(&nh, 0, sizeof(nh));
	nh.nlmsg_type = type;
	nh.nlmsg_flags = flags;
	nh.nlmsg_seq = seq;
	memset(&rc, 0, sizeof(rc));
	rc.can_family = AF_CAN;
	rc.gwtype = type == RTM_GETROUTE ? 0 : CGW_TYPE_CAN_CAN;
	rc.flags = gwflags;
	put_raw(w, &nh, sizeof(nh), HDRLEN);
	put_raw(w, &rc, sizeof(rc), NLMSG_ALIGN(sizeof(rc)));
}

/* Patches nlmsg_len.  Returns the message length or w's error. */
static int finish(struct wbuf *w)
{
	uint32_t len = (uint32_t)w->len;

	if (w->err)
		return w->err;
	memcpy(w->p + offsetof(struct nlmsghdr, nlmsg_len), &len, sizeof(len));
	return (int)len;
}

/* Appends modification slot (enum gw_cgw_modop) as CGW_MOD_* or CGW_FDMOD_*. */
static void put_mod(struct wbuf *w, const struct gw_cgw_mod *m, unsigned int slot, int fd)
{
	if (fd) {
		struct cgw_fdframe_mod mb;

		memset(&mb, 0, sizeof(mb));
		mb.cf.can_id = m->can_id;
		mb.cf.len = m->len;
		memcpy(mb.cf.data, m->data, CANFD_MAX_DLEN);
		mb.modtype = m->type;
		put_attr(w, (uint16_t)(CGW_FDMOD_AND + slot), &mb, sizeof(mb));
	} else {
		struct cgw_frame_mod mb;

		memset(&mb, 0, sizeof(mb));
		mb.cf.can_id = m->can_id;
		mb.cf.len = m->len;
		memcpy(mb.cf.data, m->data, CAN_MAX_DLEN);
		mb.modtype = m->type;
		put_attr(w, (uint16_t)(CGW_MOD_AND + slot), &mb, sizeof(mb));
	}
}

int gw_cgw_encode(void *buf, size_t cap, uint16_t nltype, uint32_t seq,
		  const struct gw_cgw_job *job)
{
	const struct gw_cgw_key *k = &job->key;
	struct can_filter cf;
	struct wbuf w;
	unsigned int s;

	if (nltype != RTM_NEWROUTE && nltype != RTM_DELROUTE)
		return -EINVAL;
	begin(&w, buf, cap, nltype, NLM_F_REQUEST | NLM_F_ACK, seq, k->flags);
	for (s = 0; s < GW_CGW_NMOD; s++)
		if (job->mod[s].type)
			put_mod(&w, &job->mod[s], s, !!(k->flags & CGW_FLAGS_CAN_FD));
	if (job->crc8) {
		struct cgw_csum_crc8 c;

		memset(&c, 0, sizeof(c));
		c.from_idx = job->crc8->from_idx;
		c.to_idx = job->crc8->to_idx;
		c.result_idx = job->crc8->result_idx;
		c.init_crc_val = job->crc8->init_crc_val;
		c.final_xor_val = job->crc8->final_xor_val;
		memcpy(c.crctab, job->crc8->crctab, sizeof(c.crctab));
		c.profile = job->crc8->profile;
		memcpy(c.profile_data, job->crc8->profile_data, sizeof(job->crc8->profile_data));
		put_attr(&w, CGW_CS_CRC8, &c, sizeof(c));
	}
	if (job->xsum) {
		struct cgw_csum_xor x;

		x.from_idx = job->xsum->from_idx;
		x.to_idx = job->xsum->to_idx;
		x.result_idx = job->xsum->result_idx;
		x.init_xor_val = job->xsum->init_xor_val;
		put_attr(&w, CGW_CS_XOR, &x, sizeof(x));
	}
	if (k->uid)
		put_u32(&w, CGW_MOD_UID, k->uid);
	if (k->lim_hops)
		put_attr(&w, CGW_LIM_HOPS, &k->lim_hops, 1);
	cf.can_id = k->filter_id;
	cf.can_mask = k->filter_mask;
	put_attr(&w, CGW_FILTER, &cf, sizeof(cf));
	put_u32(&w, CGW_SRC_IF, k->src_ifindex);
	put_u32(&w, CGW_DST_IF, k->dst_ifindex);
	return finish(&w);
}

int gw_cgw_encode_del(void *buf, size_t cap, uint32_t seq, const struct gw_cgw_key *key)
{
	struct gw_cgw_job job;

	memset(&job, 0, sizeof(job));
	job.key = *key;
	job.fd = !!(key->flags & CGW_FLAGS_CAN_FD);
	/* a plain job is matched by its content: no modification either */
	if (!key->uid)
		return gw_cgw_encode(buf, cap, RTM_DELROUTE, seq, &job);
	/* a no-op AND on the id: can-gw then reads the uid and matches by it */
	job.mod[GW_CGW_AND].type = CGW_MOD_ID;
	job.mod[GW_CGW_AND].can_id = 0xFFFFFFFFu;
	memset(job.mod[GW_CGW_AND].data, 0xFF, sizeof(job.mod[GW_CGW_AND].data));
	return gw_cgw_encode(buf, cap, RTM_DELROUTE, seq, &job);
}

int gw_cgw_encode_dump(void *buf, size_t cap, uint32_t seq)
{
	struct wbuf w;

	begin(&w, buf, cap, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq, 0);
	return finish(&w);
}

/* ---- dump replies ------------------------------------------------------ */

/* Reads an u32 attribute payload; 0 if it is too short. */
static int get_u32(const uint8_t *p, size_t n, uint32_t *v)
{
	if (n < sizeof(*v))
		return 0;
	memcpy(v, p, sizeof(*v));
	return 1;
}

/* One RTM_NEWROUTE body of blen bytes.  Returns 1 and *d, 0 malformed. */
static int parse_job(const uint8_t *body, size_t blen, struct gw_cgw_dumped *d)
{
	struct rtcanmsg rc;
	struct rtattr a;
	struct can_filter f;
	size_t off = NLMSG_ALIGN(sizeof(rc)), pl, step;
	const uint8_t *pd;
	int ok = 1;

	memcpy(&rc, body, sizeof(rc));
	memset(d, 0, sizeof(*d));
	d->key.flags = rc.flags;
	if (off > blen)
		return 0;
	while (ok && blen - off >= sizeof(a)) {
		memcpy(&a, body + off, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > blen - off)
			return 0;
		pd = body + off + RTA_LENGTH(0);
		pl = a.rta_len - RTA_LENGTH(0);
		switch (a.rta_type) {
		case CGW_HANDLED:
			ok = get_u32(pd, pl, &d->handled);
			break;
		case CGW_DROPPED:
			ok = get_u32(pd, pl, &d->dropped);
			break;
		case CGW_DELETED:
			ok = get_u32(pd, pl, &d->deleted);
			break;
		case CGW_SRC_IF:
			ok = get_u32(pd, pl, &d->key.src_ifindex);
			break;
		case CGW_DST_IF:
			ok = get_u32(pd, pl, &d->key.dst_ifindex);
			break;
		case CGW_MOD_UID:
			ok = get_u32(pd, pl, &d->key.uid);
			d->has_uid = (uint8_t)ok;
			break;
		case CGW_LIM_HOPS:
			ok = pl >= 1;
			if (ok)
				d->key.lim_hops = pd[0];
			break;
		case CGW_FILTER:
			ok = pl >= sizeof(f);
			if (ok) {
				memcpy(&f, pd, sizeof(f));
				d->key.filter_id = f.can_id;
				d->key.filter_mask = f.can_mask;
			}
			break;
		default:
			break;
		}
		step = RTA_ALIGN(a.rta_len);
		off += step < blen - off ? step : blen - off;
	}
	return ok && off == blen;
}

int gw_cgw_parse_dump(const void *buf, size_t len, uint32_t seq, gw_cgw_dump_cb cb, void *arg,
		      struct gw_cgw_pstat *st)
{
	const uint8_t *p = buf;
	struct gw_cgw_pstat dummy;
	struct gw_cgw_dumped d;
	struct nlmsghdr nh;
	size_t off = 0, blen, step;
	const uint8_t *body;
	int e;

	if (!st)
		st = &dummy;
	while (len - off >= sizeof(nh)) {
		memcpy(&nh, p + off, sizeof(nh));
		if (nh.nlmsg_len < HDRLEN || nh.nlmsg_len > len - off)
			return -EBADMSG;
		body = p + off + HDRLEN;
		blen = nh.nlmsg_len - HDRLEN;
		step = NLMSG_ALIGN(nh.nlmsg_len);
		off += step < len - off ? step : len - off;
		if (nh.nlmsg_seq != seq) {
			st->other++;
			continue;
		}
		switch (nh.nlmsg_type) {
		case NLMSG_DONE:
			/* the dump's own error, if any, follows the header */
			if (blen >= sizeof(e)) {
				memcpy(&e, body, sizeof(e));
				if (e < 0)
					return e >= -4095 ? e : -EBADMSG;
			}
			return 1;
		case NLMSG_ERROR:
			if (blen < sizeof(e))
				return -EBADMSG;
			memcpy(&e, body, sizeof(e));
			if (e < 0)
				return e >= -4095 ? e : -EBADMSG;
			st->other++;
			break;
		case RTM_NEWROUTE:
			if (blen < sizeof(struct rtcanmsg)) {
				st->bad++;
				break;
			}
			if (body[0] != AF_CAN) {
				st->foreign++;
				break;
			}
			if (body[1] != CGW_TYPE_CAN_CAN) {
				st->other++;
				break;
			}
			if (!parse_job(body, blen, &d)) {
				st->bad++;
				break;
			}
			st->jobs++;
			cb(arg, &d);
			break;
		default:
			st->other++;
			break;
		}
	}
	return off == len ? 0 : -EBADMSG;
}

/* Same job to the kernel (field by field: the struct has padding). */
static int key_same(const struct gw_cgw_key *a, const struct gw_cgw_key *b)
{
	return a->uid == b->uid && a->src_ifindex == b->src_ifindex &&
	       a->dst_ifindex == b->dst_ifindex && a->filter_id == b->filter_id &&
	       a->filter_mask == b->filter_mask && a->flags == b->flags &&
	       a->lim_hops == b->lim_hops;
}

/*
 * inst's plain job with key k not yet folded by this poll: the first dumped
 * twin counts (someone's identical job would be the second).
 */
static struct gw_cgw_jobstate *plain_of(struct gw_cgw_inst *in, const struct gw_cgw_key *k)
{
	size_t j;

	for (j = 0; j < in->njobs; j++)
		if (!in->job[j].key.uid && !in->job[j].seen && !in->job[j].moved &&
		    key_same(&in->job[j].key, k))
			return &in->job[j];
	return NULL;
}

/* Adds what the kernel counted since js was last seen to in's total. */
static void fold_into(struct gw_cgw_inst *in, struct gw_cgw_jobstate *js,
		      const struct gw_cgw_dumped *d)
{
	uint32_t v[3] = { d->handled, d->dropped, d->deleted };

	/* u32 differences are right across one wrap */
	in->total.handled += (uint32_t)(v[0] - js->last[0]);
	in->total.dropped += (uint32_t)(v[1] - js->last[1]);
	in->total.deleted += (uint32_t)(v[2] - js->last[2]);
	memcpy(js->last, v, sizeof(v));
	js->seen = 1;
}

int gw_cgw_fold(struct gw_cgw_inst *inst, size_t n, const struct gw_cgw_dumped *d)
{
	struct gw_cgw_jobstate *js;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!inst[i].job)
			continue;
		if (!d->has_uid) {
			js = plain_of(&inst[i], &d->key);
			if (!js)
				continue;
		} else {
			if (d->key.uid - inst[i].uid0 >= inst[i].njobs)
				continue;
			js = &inst[i].job[d->key.uid - inst[i].uid0];
			/* a job of another instance that reused the uid is not ours */
			if (!key_same(&js->key, &d->key) || js->moved)
				return 0;
		}
		fold_into(&inst[i], js, d);
		return 1;
	}
	return 0;
}

/* ---- I/O --------------------------------------------------------------- */

int gw_cgw_open(struct gw_cgw *c, unsigned int gen)
{
	struct sockaddr_nl sa;
	struct timeval tv = { 1, 0 };
	int err;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->rx = malloc(RX_MAX);
	if (!c->rx)
		return -ENOMEM;
	c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (c->fd < 0) {
		err = -errno;
		goto out_free;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		err = -errno;
		goto out_close;
	}
	gw_cgw_generation(c, gen);
	return 0;
out_close:
	close(c->fd);
	c->fd = -1;
out_free:
	free(c->rx);
	c->rx = NULL;
	return err;
}

void gw_cgw_close(struct gw_cgw *c)
{
	if (c->rx)
		close(c->fd);
	free(c->rx);
	c->rx = NULL;
	c->fd = -1;
}

void gw_cgw_generation(struct gw_cgw *c, unsigned int gen)
{
	c->gen = gen & 0xF;
	c->next = 0;
}

/* Sends a message of len bytes (len < 0: an encoding error, passed on). */
static int nl_send(struct gw_cgw *c, const void *msg, int len)
{
	struct sockaddr_nl sa;

	if (len < 0)
		return len;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(c->fd, msg, (size_t)len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

/* One read into c->rx.  Returns its length or -errno. */
static int nl_recv(struct gw_cgw *c)
{
	ssize_t r;

	do
		r = recv(c->fd, c->rx, RX_MAX, MSG_TRUNC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
	if (r > RX_MAX)
		return -EMSGSIZE;
	return (int)r;
}

/* The NLMSG_ERROR answering seq in buf: 1 if absent, else its error (0: ACK). */
static int ack_of(const uint8_t *buf, size_t len, uint32_t seq)
{
	struct nlmsghdr nh;
	size_t off = 0, step;
	int e;

	while (len - off >= sizeof(nh)) {
		memcpy(&nh, buf + off, sizeof(nh));
		if (nh.nlmsg_len < HDRLEN || nh.nlmsg_len > len - off)
			return -EBADMSG;
		if (nh.nlmsg_seq == seq && nh.nlmsg_type == NLMSG_ERROR) {
			if (nh.nlmsg_len < HDRLEN + sizeof(e))
				return -EBADMSG;
			memcpy(&e, buf + off + HDRLEN, sizeof(e));
			return e <= 0 && e >= -4095 ? e : -EBADMSG;
		}
		step = NLMSG_ALIGN(nh.nlmsg_len);
		off += step < len - off ? step : len - off;
	}
	return 1;
}

/* Sends a request and waits for its ACK.  Returns 0 or the kernel's -errno. */
static int nl_request(struct gw_cgw *c, const void *msg, int len, uint32_t seq)
{
	int err = nl_send(c, msg, len), r;

	while (!err) {
		r = nl_recv(c);
		if (r < 0)
			return r;
		err = ack_of(c->rx, (size_t)r, seq);
		if (err <= 0)
			return err;
		err = 0;
	}
	return err;
}

/* Runs one dump, handing our family's jobs to cb.  Returns 0 or -errno. */
static int dump(struct gw_cgw *c, gw_cgw_dump_cb cb, void *arg, struct gw_cgw_pstat *st)
{
	uint8_t msg[64];
	uint32_t seq = ++c->seq;
	int err = nl_send(c, msg, gw_cgw_encode_dump(msg, sizeof(msg), seq)), r;

	memset(st, 0, sizeof(*st));
	while (!err) {
		r = nl_recv(c);
		if (r < 0)
			return r;
		err = gw_cgw_parse_dump(c->rx, (size_t)r, seq, cb, arg, st);
		if (err == 1)
			return st->foreign && !st->jobs ? -EOPNOTSUPP : 0;
	}
	return err;
}

/* prev's plain job with key k that an install took over (moved 1) or
 * that is still prev's (moved 0), or NULL */
static struct gw_cgw_jobstate *prev_plain(struct gw_cgw_inst *prev, size_t nprev,
					  const struct gw_cgw_key *k, int moved)
{
	size_t i, j;

	for (i = 0; prev && i < nprev; i++)
		for (j = 0; j < prev[i].njobs; j++)
			if (!prev[i].job[j].key.uid && prev[i].job[j].moved == moved &&
			    key_same(&prev[i].job[j].key, k))
				return &prev[i].job[j];
	return NULL;
}

/*
 * Deletes one job.  Returns 0, or the kernel's -errno: can-gw answers
 * -EINVAL when no job matches, i.e. it was gone already.
 */
static int del_job(struct gw_cgw *c, const struct gw_cgw_key *key)
{
	uint8_t msg[GW_CGW_MSG_MAX];
	int len = gw_cgw_encode_del(msg, sizeof(msg), ++c->seq, key);

	return nl_request(c, msg, len, c->seq);
}

int gw_cgw_install(struct gw_cgw *c, const struct gw_cgw_route *rt, size_t n,
		   const uint32_t *ifindex, struct gw_cgw_inst *inst, struct gw_cgw_inst *prev,
		   size_t nprev)
{
	uint8_t msg[GW_CGW_MSG_MAX];
	struct gw_cgw_jobstate *pj;
	struct gw_cgw_job job;
	size_t i, k;
	int err = 0, len;

	for (i = 0; i < n; i++) {
		inst[i].uid0 = 0;
		inst[i].njobs = 0;
		inst[i].job = NULL;
		inst[i].missing = 0;
	}
	for (i = 0; i < n; i++) {
		if (rt[i].why || !rt[i].njobs)
			continue;
		if (rt[i].njobs > GW_CGW_JOBS_PER_GEN - c->next) {
			err = -ENOSPC;
			goto out_undo;
		}
		inst[i].job = calloc(rt[i].njobs, sizeof(*inst[i].job));
		if (!inst[i].job) {
			err = -ENOMEM;
			goto out_undo;
		}
		inst[i].uid0 = GW_CGW_UID(c->gen, c->next);
		c->next += (uint32_t)rt[i].njobs;
		for (k = 0; k < rt[i].njobs; k++) {
			err = gw_cgw_route_job(&rt[i], k, ifindex, &job);
			if (err)
				goto out_undo;
			if (!gw_cgw_job_plain(&job))
				job.key.uid = inst[i].uid0 + (uint32_t)k;
			/* the same plain job installed before: taken over as it is */
			pj = job.key.uid ? NULL : prev_plain(prev, nprev, &job.key, 0);
			if (pj) {
				inst[i].job[k] = *pj;
				inst[i].job[k].adopted = 1;
				pj->moved = 1;
			} else {
				len = gw_cgw_encode(msg, sizeof(msg), RTM_NEWROUTE, ++c->seq,
						    &job);
				err = nl_request(c, msg, len, c->seq);
				if (err)
					goto out_undo;
				inst[i].job[k].key = job.key;
			}
			inst[i].njobs = k + 1;
		}
	}
	return 0;
out_undo:
	/* adopted jobs go back to prev, the rest out of the kernel */
	for (i = 0; i < n; i++)
		for (k = 0; k < inst[i].njobs; k++)
			if (inst[i].job[k].adopted &&
			    (pj = prev_plain(prev, nprev, &inst[i].job[k].key, 1)))
				pj->moved = 0;
			else
				del_job(c, &inst[i].job[k].key);
	for (i = 0; i < n; i++) {
		free(inst[i].job);
		inst[i].job = NULL;
		inst[i].njobs = 0;
		inst[i].uid0 = 0;
	}
	return err;
}

int gw_cgw_remove(struct gw_cgw *c, struct gw_cgw_inst *inst, size_t n)
{
	size_t i, k;
	int err = 0, r;

	for (i = 0; i < n; i++) {
		for (k = 0; k < inst[i].njobs; k++) {
			/* taken over by a newer install: no longer ours to remove */
			if (inst[i].job[k].moved)
				continue;
			r = del_job(c, &inst[i].job[k].key);
			if (r && r != -EINVAL && !err)
				err = r;
		}
		free(inst[i].job);
		inst[i].job = NULL;
		inst[i].njobs = 0;
		inst[i].uid0 = 0;
		inst[i].missing = 0;
	}
	return err;
}

/* One of our jobs in the sorted index gw_cgw_poll() searches. */
struct jref {
	const struct gw_cgw_key *key;
	struct gw_cgw_inst *in;
	struct gw_cgw_jobstate *js;
};

struct poll_ctx {
	struct gw_cgw_inst *inst;
	size_t n;
	struct jref *idx; /* NULL: no memory, gw_cgw_fold() route by route */
	size_t nidx;
};

static int cmp_u32(uint32_t a, uint32_t b)
{
	return (a > b) - (a < b);
}

/* Orders keys field by field: uid first, so plain jobs (uid 0) lead. */
static int cmp_key(const struct gw_cgw_key *a, const struct gw_cgw_key *b)
{
	int c;

	if ((c = cmp_u32(a->uid, b->uid)) || (c = cmp_u32(a->src_ifindex, b->src_ifindex)) ||
	    (c = cmp_u32(a->dst_ifindex, b->dst_ifindex)) ||
	    (c = cmp_u32(a->filter_id, b->filter_id)) ||
	    (c = cmp_u32(a->filter_mask, b->filter_mask)) || (c = cmp_u32(a->flags, b->flags)))
		return c;
	return cmp_u32(a->lim_hops, b->lim_hops);
}

static int cmp_jref(const void *a, const void *b)
{
	return cmp_key(((const struct jref *)a)->key, ((const struct jref *)b)->key);
}

/*
 * Dump callback of gw_cgw_poll(): folds d into the route owning it.  A
 * sorted index, not a search route by route: with 500 offloaded routes
 * that search held the loop for 6-10 ms per poll in the guest.
 */
static void poll_cb(void *arg, const struct gw_cgw_dumped *d)
{
	struct poll_ctx *p = arg;
	struct gw_cgw_key k = d->key;
	struct jref probe = { &k, NULL, NULL }, *hit;

	if (!p->idx) {
		gw_cgw_fold(p->inst, p->n, d);
		return;
	}
	if (!d->has_uid)
		k.uid = 0;
	else if (!k.uid)
		return; /* uid 0 is nobody's: ours start with the prefix */
	hit = bsearch(&probe, p->idx, p->nidx, sizeof(*hit), cmp_jref);
	/* a plain job's twin (someone's identical job) is not folded twice */
	if (hit && !(hit->js->seen && !k.uid))
		fold_into(hit->in, hit->js, d);
}

int gw_cgw_poll(struct gw_cgw *c, struct gw_cgw_inst *inst, size_t n)
{
	struct poll_ctx p = { inst, n, NULL, 0 };
	struct gw_cgw_pstat st;
	size_t i, k, total = 0;
	int err;

	for (i = 0; i < n; i++) {
		for (k = 0; k < inst[i].njobs; k++)
			inst[i].job[k].seen = 0;
		total += inst[i].njobs;
	}
	p.idx = malloc((total + 1) * sizeof(*p.idx));
	if (p.idx) {
		for (i = 0; i < n; i++)
			for (k = 0; k < inst[i].njobs; k++)
				if (!inst[i].job[k].moved)
					p.idx[p.nidx++] = (struct jref){ &inst[i].job[k].key, &inst[i],
									 &inst[i].job[k] };
		qsort(p.idx, p.nidx, sizeof(*p.idx), cmp_jref);
	}
	err = dump(c, poll_cb, &p, &st);
	free(p.idx);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		inst[i].missing = 0;
		for (k = 0; k < inst[i].njobs; k++)
			inst[i].missing += !inst[i].job[k].seen && !inst[i].job[k].moved;
	}
	return 0;
}

#define FLUSH_BATCH 64

struct flush_ctx {
	int keep_gen;
	size_t n;
	struct gw_cgw_key key[FLUSH_BATCH];
};

/* Dump callback of gw_cgw_flush(): collects our jobs not kept, a batch at a time. */
static void flush_cb(void *arg, const struct gw_cgw_dumped *d)
{
	struct flush_ctx *f = arg;

	if (!d->has_uid || (d->key.uid & GW_CGW_UID_MASK) != GW_CGW_UID_PREFIX ||
	    (int)GW_CGW_UID_GEN(d->key.uid) == f->keep_gen || f->n == FLUSH_BATCH)
		return;
	f->key[f->n++] = d->key;
}

int gw_cgw_flush(struct gw_cgw *c, int keep_gen)
{
	struct gw_cgw_pstat st;
	struct flush_ctx *f;
	size_t i, done;
	int total = 0, err, r;

	f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->keep_gen = keep_gen;
	/* a batch at a time, until a dump finds none or none can be removed */
	for (;;) {
		f->n = 0;
		err = dump(c, flush_cb, f, &st);
		if (err || !f->n)
			break;
		for (i = done = 0; i < f->n; i++) {
			r = del_job(c, &f->key[i]);
			if (!r)
				done++;
			else if (r != -EINVAL)
				err = r;
		}
		total += (int)done;
		if (err || !done)
			break;
	}
	free(f);
	return err ? err : total;
}

/* ---- the plain jobs' list --------------------------------------------- */

#define SAVED_HEAD "# canrigd: plain can-gw jobs it installed; see canrigd(8)\n"
#define SAVED_MAX  (1u << 20)

/* One unsigned number of base at *p (at most lim), then one space or the
 * end.  Returns 0 and advances *p, or -1. */
static int saved_num(const char **p, const char *end, int base, uint32_t lim, uint32_t *v)
{
	const char *q = *p;
	uint64_t x = 0;
	int d, any = 0;

	while (q < end && *q != ' ') {
		if (*q >= '0' && *q <= '9')
			d = *q - '0';
		else if (base == 16 && *q >= 'a' && *q <= 'f')
			d = *q - 'a' + 10;
		else if (base == 16 && *q >= 'A' && *q <= 'F')
			d = *q - 'A' + 10;
		else
			return -1;
		x = x * (uint64_t)base + (uint64_t)d;
		if (x > lim)
			return -1;
		q++;
		any = 1;
	}
	if (!any)
		return -1;
	*v = (uint32_t)x;
	*p = q < end ? q + 1 : q;
	return 0;
}

size_t gw_cgw_parse_saved(const char *buf, size_t len, struct gw_cgw_key *keys, size_t cap,
			  unsigned int *bad)
{
	const char *p = buf, *end = buf + len, *nl;
	size_t n = 0;
	uint32_t v[6];
	unsigned int f;

	*bad = 0;
	while (p < end) {
		const char *q = p;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		p = nl < end ? nl + 1 : end;
		if (q == nl || *q == '#')
			continue;
		for (f = 0; f < 6; f++)
			if (q >= nl || saved_num(&q, nl, f < 2 || f == 5 ? 10 : 16,
						  f == 4 ? 0xFFFF : f == 5 ? 0xFF : 0xFFFFFFFFu,
						  &v[f]))
				break;
		if (f < 6 || q != nl || !v[0] || !v[1]) {
			(*bad)++;
			continue;
		}
		if (n < cap) {
			memset(&keys[n], 0, sizeof(keys[n]));
			keys[n].src_ifindex = v[0];
			keys[n].dst_ifindex = v[1];
			keys[n].filter_id = v[2];
			keys[n].filter_mask = v[3];
			keys[n].flags = (uint16_t)v[4];
			keys[n].lim_hops = (uint8_t)v[5];
		}
		n++;
	}
	return n;
}

int gw_cgw_save(const char *path, const struct gw_cgw_inst *inst, size_t n)
{
	char tmp[4096];
	FILE *f;
	size_t i, k, plain = 0;
	int fd, err = 0;

	for (i = 0; i < n; i++)
		for (k = 0; k < inst[i].njobs; k++)
			plain += !inst[i].job[k].key.uid && !inst[i].job[k].moved;
	if (!plain)
		return unlink(path) && errno != ENOENT ? -errno : 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* a new file of our own: a stale one (a crash between open and
	 * rename) goes first, and nothing planted there is followed */
	if (unlink(tmp) && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out_unlink;
	}
	fputs(SAVED_HEAD, f);
	for (i = 0; i < n; i++)
		for (k = 0; k < inst[i].njobs; k++) {
			const struct gw_cgw_key *y = &inst[i].job[k].key;

			if (y->uid || inst[i].job[k].moved)
				continue;
			fprintf(f, "%u %u %x %x %x %u\n", (unsigned int)y->src_ifindex,
				(unsigned int)y->dst_ifindex, (unsigned int)y->filter_id,
				(unsigned int)y->filter_mask, (unsigned int)y->flags,
				(unsigned int)y->lim_hops);
		}
	if (fflush(f) || ferror(f))
		err = errno ? -errno : -EIO;
	if (fclose(f) && !err)
		err = -errno;
	/* rename: a crash leaves the old list or the new, never half of one */
	if (!err && rename(tmp, path))
		err = -errno;
	if (!err)
		return 0;
out_unlink:
	unlink(tmp);
	return err;
}

int gw_cgw_flush_saved(struct gw_cgw *c, const char *path)
{
	struct gw_cgw_key *keys = NULL;
	char *buf = NULL;
	size_t len = 0, n, i;
	unsigned int bad;
	ssize_t r;
	int fd, err = 0, done = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	buf = malloc(SAVED_MAX);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (len < SAVED_MAX && (r = read(fd, buf + len, SAVED_MAX - len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		len += (size_t)r;
	}
	n = gw_cgw_parse_saved(buf, len, NULL, 0, &bad);
	keys = calloc(n + 1, sizeof(*keys));
	if (!keys) {
		err = -ENOMEM;
		goto out;
	}
	n = gw_cgw_parse_saved(buf, len, keys, n, &bad);
	for (i = 0; i < n; i++) {
		int e = del_job(c, &keys[i]);

		if (!e)
			done++;
		else if (e != -EINVAL && !err)
			err = e; /* EINVAL: gone already (its interface went away) */
	}
	if (!err)
		unlink(path);
out:
	close(fd);
	free(buf);
	free(keys);
	return err ? err : done;
}
