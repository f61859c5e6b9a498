/* SPDX-License-Identifier: MIT */
/*
 * gw_cgw.c - the NETLINK_ROUTE socket that installs can-gw jobs, removes
 * them, reads their counters and flushes what an earlier instance left,
 * and the plain jobs' list file (thin I/O; see gw_cgw.h, layer 3).
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

/* receive buffer: the kernel sizes dump skbs up to 32 KiB */
#define RX_MAX 32768
/* ---- I/O --------------------------------------------------------------- */

int gw_cgw_open(struct gw_cgw *c, unsigned int gen)
{
	struct sockaddr_nl sa;
	struct timeval tv = {1, 0};
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
			    gw_cgw_key_same(&prev[i].job[j].key, k))
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
				len = gw_cgw_encode(msg, sizeof(msg), RTM_NEWROUTE, ++c->seq, &job);
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
	struct jref probe = {&k, NULL, NULL}, *hit;

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
		gw_cgw_fold_into(hit->in, hit->js, d);
}

int gw_cgw_poll(struct gw_cgw *c, struct gw_cgw_inst *inst, size_t n)
{
	struct poll_ctx p = {inst, n, NULL, 0};
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
					p.idx[p.nidx++] = (struct jref){&inst[i].job[k].key,
									&inst[i], &inst[i].job[k]};
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
