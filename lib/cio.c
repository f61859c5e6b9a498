/* SPDX-License-Identifier: MIT */
/* cio.c - SocketCAN raw sockets with batched, non-blocking I/O. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <linux/can/netlink.h>
#include <linux/can/raw.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "cio.h"

_Static_assert(sizeof(struct cio_mmsg) == sizeof(struct mmsghdr) &&
		       offsetof(struct cio_mmsg, msg_len) == offsetof(struct mmsghdr, msg_len),
	       "struct cio_mmsg must mirror struct mmsghdr");

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif
#ifndef CANFD_FDF
#define CANFD_FDF 0x04
#endif

/* Room for SCM_TIMESTAMPNS and SO_RXQ_OVFL per message. */
#define CIO_CTRL_LEN (CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t)) + 64)

int cio_ring_init(struct cio_ring *r, unsigned int cap)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	if (cap < 1)
		cap = 1;
	if (cap > 1024)
		cap = 1024;
	r->cap = cap;
	r->ctrl_len = CIO_CTRL_LEN;
	r->views = calloc(cap, sizeof(*r->views));
	r->bufs = calloc(cap, sizeof(*r->bufs));
	r->msgs = calloc(cap, sizeof(*r->msgs));
	r->iov = calloc(cap, sizeof(*r->iov));
	r->addrs = calloc(cap, sizeof(*r->addrs));
	r->ctrl = calloc(cap, r->ctrl_len);
	if (!r->views || !r->bufs || !r->msgs || !r->iov || !r->addrs || !r->ctrl)
		goto out_nomem;
	for (i = 0; i < cap; i++) {
		r->iov[i].iov_base = &r->bufs[i];
		r->iov[i].iov_len = sizeof(r->bufs[i]);
		r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
		r->msgs[i].msg_hdr.msg_iovlen = 1;
		r->msgs[i].msg_hdr.msg_name = &r->addrs[i];
		r->msgs[i].msg_hdr.msg_control = r->ctrl + (size_t)i * r->ctrl_len;
	}
	r->dirty = cap;
	return 0;

out_nomem:
	cio_ring_fini(r);
	return -ENOMEM;
}

void cio_ring_fini(struct cio_ring *r)
{
	free(r->views);
	free(r->bufs);
	free(r->msgs);
	free(r->iov);
	free(r->addrs);
	free(r->ctrl);
	memset(r, 0, sizeof(*r));
}

void cio_opts_init(struct cio_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static int parse_hex32(const char *s, const char *end, uint32_t *v)
{
	uint32_t x = 0;
	const char *p;

	if (s == end || end - s > 8)
		return -EINVAL;
	for (p = s; p < end; p++) {
		int d = cf_hexval(*p);

		if (d < 0)
			return -EINVAL;
		x = x << 4 | (uint32_t)d;
	}
	*v = x;
	return 0;
}

int cio_filter_add(struct cio_opts *o, const char *s, const char **msg)
{
	const char *sep;
	uint32_t id, mask;
	struct can_filter *f;

	if (!strcmp(s, "j") || !strcmp(s, "J")) {
		o->join_filters = 1;
		return 0;
	}
	if (s[0] == '#') {
		if (parse_hex32(s + 1, s + strlen(s), &o->err_mask)) {
			*msg = "error mask must be '#' and up to 8 hex digits";
			return -EINVAL;
		}
		return 0;
	}
	sep = strpbrk(s, ":~");
	if (!sep || parse_hex32(s, sep, &id) || parse_hex32(sep + 1, s + strlen(s), &mask)) {
		*msg = "filter must be <id>:<mask>, <id>~<mask>, #<errmask> or j";
		return -EINVAL;
	}
	if (o->nfilters >= CIO_MAX_FILTERS) {
		*msg = "too many filters";
		return -E2BIG;
	}
	f = &o->filters[o->nfilters++];
	/* as candump: an 8-digit id means a 29-bit id */
	f->can_id = id;
	f->can_mask = mask & ~CAN_ERR_FLAG;
	if (sep - s == 8)
		f->can_id |= CAN_EFF_FLAG;
	if (*sep == '~')
		f->can_id |= CAN_INV_FILTER;
	return 0;
}

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val)) < 0 ? -errno : 0;
}

static int if_check(int fd, const char *ifname, int *ifindex)
{
	struct ifreq ifr;

	if (strlen(ifname) >= IF_NAMESIZE)
		return -ENAMETOOLONG;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0 && ifr.ifr_hwaddr.sa_family != ARPHRD_CAN)
		return -EMEDIUMTYPE;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP))
		return -ENETDOWN;
	return 0;
}

/* The interface's MTU, or -errno. */
static int if_mtu(int fd, const char *ifname)
{
	struct ifreq ifr;

	if (strlen(ifname) >= IF_NAMESIZE)
		return -ENAMETOOLONG;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	return ifr.ifr_mtu;
}

int cio_if_mtu(const struct cio_sock *s, const char *ifname)
{
	return if_mtu(s->fd, ifname);
}

int cio_if_lookup(const struct cio_sock *s, const char *ifname, int *ifindex)
{
	return if_check(s->fd, ifname, ifindex);
}

static int set_filters(int fd, const struct can_filter *f, unsigned int n)
{
	if (setsockopt(fd, SOL_CAN_RAW, CAN_RAW_FILTER, n ? f : NULL, (socklen_t)(n * sizeof(*f))) <
	    0)
		return -errno;
	return 0;
}

int cio_set_filters(struct cio_sock *s, const struct can_filter *f, unsigned int n)
{
	return set_filters(s->fd, f, n);
}

int cio_open(struct cio_sock *s, const char *ifname, const struct cio_opts *o)
{
	struct sockaddr_can addr;
	int fd, err;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (strlen(ifname) >= IF_NAMESIZE)
		return -ENAMETOOLONG;
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);

	fd = socket(PF_CAN, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, CAN_RAW);
	if (fd < 0)
		return -errno;

	memset(&addr, 0, sizeof(addr));
	addr.can_family = AF_CAN;
	if (strcmp(ifname, "any") != 0) {
		err = if_check(fd, ifname, &addr.can_ifindex);
		if (err)
			goto out_close;
		/* CAN XL interfaces (larger mtu) carry FD frames too */
		if (o->need_fd) {
			err = if_mtu(fd, ifname);
			if (err >= 0)
				err = err < (int)CANFD_MTU ? -EMSGSIZE : 0;
			if (err)
				goto out_close;
		}
	}
	s->ifindex = addr.can_ifindex;

	err = set_int(fd, SOL_CAN_RAW, CAN_RAW_FD_FRAMES, 1);
	if (err)
		goto out_close;
	if (o->no_rx || o->nfilters) {
		err = set_filters(fd, o->filters, o->no_rx ? 0 : o->nfilters);
		if (err)
			goto out_close;
	}
	if (o->err_mask && !o->no_rx) {
		can_err_mask_t m = o->err_mask & CAN_ERR_MASK;

		if (setsockopt(fd, SOL_CAN_RAW, CAN_RAW_ERR_FILTER, &m, sizeof(m)) < 0) {
			err = -errno;
			goto out_close;
		}
	}
	if (o->join_filters && (err = set_int(fd, SOL_CAN_RAW, CAN_RAW_JOIN_FILTERS, 1)))
		goto out_close;
	if (o->recv_own && (err = set_int(fd, SOL_CAN_RAW, CAN_RAW_RECV_OWN_MSGS, 1)))
		goto out_close;
	if (o->no_loopback && (err = set_int(fd, SOL_CAN_RAW, CAN_RAW_LOOPBACK, 0)))
		goto out_close;
	if (o->rcvbuf) {
		/* FORCE needs CAP_NET_ADMIN; fall back to the rmem_max-capped one */
		if (set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, o->rcvbuf) &&
		    (err = set_int(fd, SOL_SOCKET, SO_RCVBUF, o->rcvbuf)))
			goto out_close;
	}
	if (!o->no_rx) {
		if ((err = set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1)))
			goto out_close;
		/* best effort: old kernels lack it, and drops are then unknown */
		set_int(fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
	}
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		goto out_close;
	}
	s->fd = fd;
	return 0;

out_close:
	close(fd);
	return err;
}

void cio_close(struct cio_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

const char *cio_open_strerror(int err, const char *ifname, char *buf, size_t n)
{
	switch (err) {
	case -EAFNOSUPPORT:
		snprintf(buf, n,
			 "%s: this kernel has no SocketCAN (AF_CAN); "
			 "load the 'can' module, or run under tests/vm/run-in-guest.sh",
			 ifname);
		break;
	case -ENODEV:
		snprintf(buf, n,
			 "%s: no such interface; run ./vcan-setup.sh "
			 "(or check 'ip link show')",
			 ifname);
		break;
	case -ENETDOWN:
		snprintf(buf, n, "%s: interface is down; run 'ip link set %s up'", ifname, ifname);
		break;
	case -EMEDIUMTYPE:
		snprintf(buf, n, "%s: not a CAN interface", ifname);
		break;
	case -ENAMETOOLONG:
		snprintf(buf, n, "%s: interface name too long (max %d characters)", ifname,
			 IF_NAMESIZE - 1);
		break;
	case -EMSGSIZE:
		/* the kernel knows only these two MTUs for a CAN interface */
		snprintf(buf, n,
			 "%s: interface is classic CAN (mtu 16); CAN FD needs "
			 "an FD interface (mtu 72)",
			 ifname);
		break;
	default:
		snprintf(buf, n, "%s: %s", ifname, strerror(-err));
		break;
	}
	return buf;
}

const char *cio_send_strerror(const struct cio_sock *s, const struct cf_frame *f, int err,
			      char *buf, size_t n)
{
	char name[IF_NAMESIZE];
	const char *ifn = s->ifname;
	int mtu;

	if (f && f->ifindex && f->ifindex != s->ifindex &&
	    if_indextoname((unsigned int)f->ifindex, name))
		ifn = name;
	/* the kernel says only EINVAL; the interface's MTU says why */
	if (err == -EINVAL && f && (f->flags & CF_FD)) {
		mtu = if_mtu(s->fd, ifn);
		if (mtu >= 0 && mtu < (int)CANFD_MTU)
			return cio_open_strerror(-EMSGSIZE, ifn, buf, n);
	}
	snprintf(buf, n, "%s: %s", ifn, strerror(-err));
	return buf;
}

static void view_from_kernel(struct cf_frame *v, const struct canfd_frame *k, size_t nbytes)
{
	v->data = k->data;
	v->flags = 0;
	v->fd_raw_flags = 0;
	if (k->can_id & CAN_ERR_FLAG) {
		v->flags |= CF_ERR;
		v->id = k->can_id & CAN_ERR_MASK;
	} else if (k->can_id & CAN_EFF_FLAG) {
		v->flags |= CF_EFF;
		v->id = k->can_id & CAN_EFF_MASK;
	} else {
		v->id = k->can_id & CAN_SFF_MASK;
	}
	if (nbytes == CANFD_MTU) {
		v->flags |= CF_FD;
		v->fd_raw_flags = k->flags;
		if (k->flags & CANFD_BRS)
			v->flags |= CF_BRS;
		if (k->flags & CANFD_ESI)
			v->flags |= CF_ESI;
		v->len = k->len > CANFD_MAX_DLEN ? CANFD_MAX_DLEN : k->len;
	} else {
		if ((k->can_id & CAN_RTR_FLAG) && !(v->flags & CF_ERR))
			v->flags |= CF_RTR;
		v->len = k->len > CAN_MAX_DLEN ? CAN_MAX_DLEN : k->len;
		/* can_frame.len8_dlc (the byte after the padding): the DLC of an
		 * 8-byte frame when a CC_LEN8_DLC device saw 9..15 */
		v->len8_dlc = 0;
		if (v->len == CAN_MAX_DLEN && k->__res1 > 8 && k->__res1 <= 15 &&
		    !(v->flags & CF_ERR))
			v->len8_dlc = k->__res1;
	}
}

int cio_recv(struct cio_sock *s, struct cio_ring *r)
{
	unsigned int i;
	int n, named = s->ifindex == 0;

	/* a socket bound to one interface gets only its frames: asking the
	 * kernel for each one's address would be two copies per frame for
	 * an answer known already */
	if (named == r->no_names) {
		for (i = 0; i < r->cap; i++)
			r->msgs[i].msg_hdr.msg_name = named ? &r->addrs[i] : NULL;
		r->no_names = !named;
	}
	/* the kernel only touched the slots it filled last time */
	for (i = 0; i < r->dirty; i++) {
		struct msghdr *h = &r->msgs[i].msg_hdr;

		h->msg_namelen = sizeof(r->addrs[i]);
		h->msg_controllen = r->ctrl_len;
		h->msg_flags = 0;
	}
	r->dirty = 0;
	n = recvmmsg(s->fd, (struct mmsghdr *)r->msgs, r->cap, MSG_DONTWAIT, NULL);
	if (n < 0) {
		r->count = 0;
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	if (n == 0) {
		r->count = 0;
		return -EAGAIN;
	}
	r->count = (unsigned int)n;
	r->dirty = (unsigned int)n;
	for (i = 0; i < (unsigned int)n; i++) {
		struct msghdr *h = &r->msgs[i].msg_hdr;
		struct cf_frame *v = &r->views[i];
		struct cmsghdr *c;
		size_t nb = r->msgs[i].msg_len;

		if (nb != CAN_MTU && nb != CANFD_MTU) {
			/* the kernel only delivers whole frames; be paranoid */
			nb = CAN_MTU;
			r->bufs[i].len = 0;
		}
		view_from_kernel(v, &r->bufs[i], nb);
		v->ifindex = named ? r->addrs[i].can_ifindex : s->ifindex;
		v->dir = (h->msg_flags & MSG_DONTROUTE) ? CF_DIR_TX : CF_DIR_RX;
		v->own = !!(h->msg_flags & MSG_CONFIRM);
		v->ts_ns = 0;
		for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
			if (c->cmsg_level != SOL_SOCKET)
				continue;
			if (c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				v->ts_ns =
					(uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
			} else if (c->cmsg_type == SO_RXQ_OVFL) {
				memcpy(&s->kernel_drops, CMSG_DATA(c), sizeof(s->kernel_drops));
			}
		}
	}
	return n;
}

static void frame_to_kernel(struct canfd_frame *k, const struct cf_frame *f)
{
	/* only what goes out: a classic frame is the first CAN_MTU bytes */
	memset(k, 0, (f->flags & CF_FD) ? CANFD_MTU : CAN_MTU);
	if (f->flags & CF_ERR)
		k->can_id = (f->id & CAN_ERR_MASK) | CAN_ERR_FLAG;
	else if (f->flags & CF_EFF)
		k->can_id = (f->id & CAN_EFF_MASK) | CAN_EFF_FLAG;
	else
		k->can_id = f->id & CAN_SFF_MASK;
	if (f->flags & CF_RTR)
		k->can_id |= CAN_RTR_FLAG;
	k->len = f->len;
	if (f->flags & CF_FD) {
		k->flags = (uint8_t)(f->fd_raw_flags & ~CANFD_FDF);
		if (f->flags & CF_BRS)
			k->flags |= CANFD_BRS;
		if (f->flags & CF_ESI)
			k->flags |= CANFD_ESI;
	} else if (f->len8_dlc) {
		k->__res1 = f->len8_dlc; /* can_frame.len8_dlc */
	}
	if (f->len && f->data && !(f->flags & CF_RTR))
		memcpy(k->data, f->data, f->len);
}

/* The parts of the send headers that never change, set once per socket
 * (again if the struct moved: the pointers are into it). */
static void tx_prepare(struct cio_sock *s)
{
	unsigned int i;

	memset(s->txmsg, 0, sizeof(s->txmsg));
	for (i = 0; i < CIO_TX_BATCH; i++) {
		s->txiov[i].iov_base = &s->tx[i];
		s->txmsg[i].msg_hdr.msg_iov = &s->txiov[i];
		s->txmsg[i].msg_hdr.msg_iovlen = 1;
		s->txaddr[i].can_family = AF_CAN;
	}
	s->txself = s;
}

int cio_send(struct cio_sock *s, const struct cf_frame *frames, unsigned int n, unsigned int *sent)
{
	unsigned int done = 0, i, batch;
	int r, bad;

	*sent = 0;
	if (s->txself != s)
		tx_prepare(s);
	while (done < n) {
		batch = n - done > CIO_TX_BATCH ? CIO_TX_BATCH : n - done;
		bad = 0;
		/* checked as it is filled in: what precedes a bad frame goes */
		for (i = 0; i < batch; i++) {
			const struct cf_frame *f = &frames[done + i];
			struct msghdr *h = &s->txmsg[i].msg_hdr;

			if (cf_validate(f)) {
				bad = 1;
				break;
			}
			frame_to_kernel(&s->tx[i], f);
			s->txiov[i].iov_len = (f->flags & CF_FD) ? CANFD_MTU : CAN_MTU;
			if (f->ifindex && f->ifindex != s->ifindex) {
				s->txaddr[i].can_ifindex = f->ifindex;
				h->msg_name = &s->txaddr[i];
				h->msg_namelen = sizeof(s->txaddr[i]);
			} else {
				h->msg_name = NULL;
				h->msg_namelen = 0;
			}
		}
		batch = i;
		if (batch) {
			r = sendmmsg(s->fd, (struct mmsghdr *)s->txmsg, batch, MSG_DONTWAIT);
			if (r < 0) {
				*sent = done;
				return errno == EWOULDBLOCK ? -EAGAIN : -errno;
			}
			done += (unsigned int)r;
			if ((unsigned int)r < batch) {
				/* partial batch: learn why from the next frame */
				continue;
			}
		}
		if (bad) {
			*sent = done;
			return -EINVAL;
		}
	}
	*sent = done;
	return 0;
}

int cio_wait_writable(struct cio_sock *s, int timeout_ms)
{
	struct pollfd p = {.fd = s->fd, .events = POLLOUT};
	int r;

	r = poll(&p, 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	/* even when POLLOUT is reported at once, wait a little before the
	 * retry: the driver queue, not the socket, was full */
	if (r > 0 && timeout_ms > 0) {
		struct timespec ts = {0, 200000};

		nanosleep(&ts, NULL);
	}
	return 0;
}

const char *cio_ifname(struct cio_names *c, int ifindex)
{
	unsigned int i;
	int l;

	for (i = 0; i < c->n; i++)
		if (c->idx[i] == ifindex)
			return c->name[i];
	/* full: reuse a slot; a stale name costs one ioctl, never a wrong one */
	i = c->n < CIO_NAMES_MAX ? c->n++ : (unsigned int)ifindex % CIO_NAMES_MAX;
	c->idx[i] = ifindex;
	if (!ifindex || !if_indextoname((unsigned int)ifindex, c->name[i]))
		snprintf(c->name[i], sizeof(c->name[i]), "?");
	l = (int)strlen(c->name[i]);
	if (l > c->maxlen)
		c->maxlen = l;
	return c->name[i];
}

/* ---- link monitoring ---------------------------------------------------- */

int cio_link_open(void)
{
	struct sockaddr_nl sa;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_LINK;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

int cio_link_dump(int fd)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.ifi.ifi_family = AF_UNSPEC;
	return send(fd, &req, sizeof(req), 0) < 0 ? -errno : 0;
}

/*
 * Next attribute of [*p, *p + *rem): NULL at the end, or (*bad set) if one
 * runs past it.  The RTA_* macros would underflow on an unaligned last
 * attribute, so the bounds are kept here.
 */
static const struct rtattr *rta_next(const unsigned char **p, size_t *rem, int *bad)
{
	const struct rtattr *a = (const void *)*p;
	size_t step;

	if (*rem < sizeof(*a))
		return NULL;
	if (a->rta_len < sizeof(*a) || a->rta_len > *rem) {
		*bad = 1;
		return NULL;
	}
	step = RTA_ALIGN(a->rta_len);
	if (step > *rem)
		step = *rem;
	*p += step;
	*rem -= step;
	return a;
}

/* The bitrate, the first field of struct can_bittiming, of attribute b. */
static uint32_t link_bitrate(const struct rtattr *b)
{
	uint32_t v = 0;

	if (RTA_PAYLOAD(b) >= sizeof(v))
		memcpy(&v, RTA_DATA(b), sizeof(v));
	return v;
}

/* IFLA_LINKINFO -> IFLA_INFO_DATA -> IFLA_CAN_STATE, if the link is CAN;
 * its bit timings' rates into ev on the way. */
static int link_can_state(const struct rtattr *li, int *bad, struct cio_link_ev *ev)
{
	const unsigned char *p = RTA_DATA(li);
	size_t rem = RTA_PAYLOAD(li);
	const struct rtattr *a, *b;
	int state = -1;

	while ((a = rta_next(&p, &rem, bad))) {
		const unsigned char *q = RTA_DATA(a);
		size_t qrem = RTA_PAYLOAD(a);

		if (a->rta_type != IFLA_INFO_DATA)
			continue;
		while ((b = rta_next(&q, &qrem, bad))) {
			if (b->rta_type == IFLA_CAN_STATE && RTA_PAYLOAD(b) >= sizeof(uint32_t)) {
				uint32_t v;

				memcpy(&v, RTA_DATA(b), sizeof(v));
				state = v > 0xffff ? -1 : (int)v;
			} else if (b->rta_type == IFLA_CAN_BITTIMING) {
				ev->bitrate = link_bitrate(b);
			} else if (b->rta_type == IFLA_CAN_DATA_BITTIMING) {
				ev->dbitrate = link_bitrate(b);
			}
		}
	}
	return state;
}

int cio_link_parse(const void *buf, size_t len, cio_link_cb cb, void *arg)
{
	const unsigned char *p = buf;
	size_t rem = len;
	int n = 0, bad = 0;

	while (rem >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nh = (const void *)p;
		const struct ifinfomsg *ifi;
		const struct rtattr *a;
		const unsigned char *ap;
		struct cio_link_ev ev;
		size_t arem, step;

		if (nh->nlmsg_len < sizeof(*nh) || nh->nlmsg_len > rem)
			return -EBADMSG;
		step = NLMSG_ALIGN(nh->nlmsg_len);
		if (step > rem)
			step = rem;
		p += step;
		rem -= step;
		if (nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK)
			continue;
		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
			return -EBADMSG;
		ifi = NLMSG_DATA(nh);
		memset(&ev, 0, sizeof(ev));
		ev.ifindex = ifi->ifi_index;
		ev.deleted = nh->nlmsg_type == RTM_DELLINK;
		ev.up = !!(ifi->ifi_flags & IFF_UP);
		ev.running = !!(ifi->ifi_flags & IFF_RUNNING);
		ev.can_state = -1;
		ap = (const unsigned char *)IFLA_RTA(ifi);
		arem = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
		while ((a = rta_next(&ap, &arem, &bad))) {
			size_t pl = RTA_PAYLOAD(a);

			if (a->rta_type == IFLA_IFNAME) {
				size_t k = strnlen(RTA_DATA(a), pl);

				if (k >= IF_NAMESIZE)
					k = IF_NAMESIZE - 1;
				memcpy(ev.ifname, RTA_DATA(a), k);
				ev.ifname[k] = 0;
			} else if (a->rta_type == IFLA_LINKINFO) {
				ev.can_state = link_can_state(a, &bad, &ev);
			}
		}
		if (bad)
			return -EBADMSG;
		cb(arg, &ev);
		n++;
	}
	return rem ? -EBADMSG : n;
}

int cio_link_read(int fd, cio_link_cb cb, void *arg)
{
	/* netlink messages are aligned: keep the buffer aligned for them */
	static union {
		struct nlmsghdr nh;
		char b[32768];
	} u;
	int total = 0;

	for (;;) {
		ssize_t r = recv(fd, u.b, sizeof(u.b), 0);
		int n;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return total;
			return -errno;
		}
		if (r == 0)
			return total;
		n = cio_link_parse(u.b, (size_t)r, cb, arg);
		if (n < 0)
			return n;
		total += n;
	}
}

int cio_peer_in_group(int fd, gid_t primary, gid_t g)
{
	gid_t small[64], *v = small;
	socklen_t len = sizeof(small);
	int in = 0;
	size_t i;

	if (primary == g)
		return 1;
	/* more groups than fit: the kernel says how many (ERANGE) */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, v, &len)) {
		if (errno != ERANGE || !(v = malloc(len)))
			return 0;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, v, &len))
			len = 0;
	}
	for (i = 0; i < len / sizeof(gid_t); i++)
		in |= v[i] == g;
	if (v != small)
		free(v);
	return in;
}
