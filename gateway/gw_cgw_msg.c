/* SPDX-License-Identifier: MIT */
/*
 * gw_cgw_msg.c - can-gw jobs as rtnetlink messages, the parser of dump
 * replies, folding the kernel's counters into an instance, and the parser
 * of the plain jobs' list (pure; see gw_cgw.h, layer 2).
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
int gw_cgw_key_same(const struct gw_cgw_key *a, const struct gw_cgw_key *b)
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
		    gw_cgw_key_same(&in->job[j].key, k))
			return &in->job[j];
	return NULL;
}

/* Adds what the kernel counted since js was last seen to in's total. */
void gw_cgw_fold_into(struct gw_cgw_inst *in, struct gw_cgw_jobstate *js,
		      const struct gw_cgw_dumped *d)
{
	uint32_t v[3] = {d->handled, d->dropped, d->deleted};

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
			if (!gw_cgw_key_same(&js->key, &d->key) || js->moved)
				return 0;
		}
		gw_cgw_fold_into(&inst[i], js, d);
		return 1;
	}
	return 0;
}

/* ---- the plain jobs' list --------------------------------------------- */

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
						 f == 4	  ? 0xFFFF
						 : f == 5 ? 0xFF
							  : 0xFFFFFFFFu,
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
