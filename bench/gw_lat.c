/* SPDX-License-Identifier: MIT */
/*
 * gw_lat.c - the frame source, sink and latency probe behind bench/gw.sh.
 * Plain CAN_RAW sockets, no canrig code: it measures canrigd and the
 * kernel's can-gw alike.
 *
 *   gw_lat send IF ID RATE COUNT
 *       COUNT classic frames with id ID (hex), 8 bytes, the payload a
 *       little-endian sequence number 1..COUNT (as cangen -D i); RATE
 *       frames/s on absolute deadlines (0: as fast as the socket takes
 *       them). ENOBUFS is waited out, never a lost frame.
 *   gw_lat count IF ID [EXPECT [IDLE_MS [NAP_US]]]
 *       counts frames with id ID on IF (8 MiB SO_RCVBUFFORCE, SO_RXQ_OVFL,
 *       SO_TIMESTAMPNS) until EXPECT arrived, an end frame (payload all
 *       FF) came, IDLE_MS (default 3000) passed without a frame after the
 *       first, or SIGINT/SIGTERM.  Sequence gaps after the first frame
 *       are "missing", frames older than one before them "reorder";
 *       "never" counts the numbers between the first and the highest
 *       that did not come at all, "dup" those that came more than once.
 *       The rate runs from the first frame's kernel timestamp to the
 *       last one's. NAP_US > 0: after a read that emptied the socket,
 *       sleep that long before the next, so that a flood wakes the
 *       counter once per nap, not once per frame. Every wake-up is a
 *       context switch on a CPU the gateway under test may need (and
 *       under TCG a dear one); the figures come from kernel timestamps,
 *       so when the counter reads does not change them.
 *   gw_lat lat SRC DST ID RATE COUNT
 *       sends like "send" on SRC and receives each frame on SRC and on DST
 *       with kernel timestamps; the latency of a frame is its DST stamp
 *       minus its SRC stamp, matched by sequence number.
 *   gw_lat relay SRC DST ID
 *       the simplest user-space gateway: read one frame with id ID from
 *       SRC, write it to DST, until SIGTERM. A reference for what any
 *       user-space forwarder pays on this machine (wake-ups, syscalls).
 *   gw_lat cangw SRC DST FILE
 *       replaces all can-gw rules (flush) by one rule SRC -> DST with echo
 *       (as cangw -A -s SRC -d DST -e -f ID:MASK) per line "ID MASK" (hex)
 *       of FILE, over rtnetlink from this one process: what cangw does
 *       with one process per rule. Needs CAP_NET_ADMIN.
 *
 * Results go to stdout as key=value pairs on one line; times in
 * microseconds, rates in frames/s.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/can.h>
#include <linux/can/gw.h>
#include <linux/can/raw.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

#define BATCH	 256
#define RCVBUF	 (8 << 20)
#define END_SEQ	 UINT64_MAX
#define SEEN_MAX (1ull << 24) /* sequence numbers tracked one by one */

static volatile sig_atomic_t stop;

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "gw_lat: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint32_t parse_id(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 16);

	if (*end || v > CAN_EFF_MASK) {
		fprintf(stderr, "gw_lat: bad CAN id '%s'\n", s);
		exit(2);
	}
	return v > CAN_SFF_MASK ? (uint32_t)v | CAN_EFF_FLAG : (uint32_t)v;
}

/* A raw socket on IF: rx = 0 receives nothing (a sender), else only ID,
 * with a big buffer, kernel timestamps and the drop counter. */
static int open_sock(const char *ifname, uint32_t id, int rx)
{
	struct sockaddr_can a;
	struct can_filter f;
	int fd, one = 1, buf = RCVBUF;

	fd = socket(PF_CAN, SOCK_RAW, CAN_RAW);
	if (fd < 0)
		die("socket(PF_CAN)");
	if (rx) {
		f.can_id = id;
		f.can_mask = (id & CAN_EFF_FLAG ? CAN_EFF_MASK : CAN_SFF_MASK) | CAN_EFF_FLAG |
			     CAN_RTR_FLAG;
		if (setsockopt(fd, SOL_CAN_RAW, CAN_RAW_FILTER, &f, sizeof(f)))
			die("CAN_RAW_FILTER");
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)))
			die("SO_RCVBUF");
		if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
			die("SO_TIMESTAMPNS");
		setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	} else if (setsockopt(fd, SOL_CAN_RAW, CAN_RAW_FILTER, NULL, 0)) {
		die("CAN_RAW_FILTER");
	}
	memset(&a, 0, sizeof(a));
	a.can_family = AF_CAN;
	a.can_ifindex = (int)if_nametoindex(ifname);
	if (!a.can_ifindex) {
		fprintf(stderr, "gw_lat: %s: no such interface\n", ifname);
		exit(2);
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("bind");
	return fd;
}

static uint64_t seq_of(const struct can_frame *f)
{
	uint64_t s = 0;
	int i;

	for (i = 7; i >= 0; i--)
		s = s << 8 | f->data[i];
	return s;
}

/* ---- the sender: paced on absolute deadlines, in sendmmsg batches ---- */

struct sender {
	int fd;
	uint32_t id;
	double rate;
	uint64_t count, sent, retries;
	int64_t t0;
	struct can_frame fr[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr mm[BATCH];
};

static void sender_init(struct sender *s, int fd, uint32_t id, double rate, uint64_t count)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->id = id;
	s->rate = rate;
	s->count = count;
	for (i = 0; i < BATCH; i++) {
		s->iov[i].iov_base = &s->fr[i];
		s->iov[i].iov_len = sizeof(struct can_frame);
		s->mm[i].msg_hdr.msg_iov = &s->iov[i];
		s->mm[i].msg_hdr.msg_iovlen = 1;
	}
	s->t0 = now_ns();
}

/* Deadline of the next frame (ns, CLOCK_MONOTONIC), or 0 when done. */
static int64_t sender_next(const struct sender *s)
{
	if (s->sent >= s->count)
		return 0;
	if (s->rate <= 0)
		return s->t0;
	return s->t0 + (int64_t)((double)s->sent * 1e9 / s->rate);
}

/* Sends what is due now; returns the number sent. */
static unsigned int sender_run(struct sender *s)
{
	int64_t now = now_ns();
	uint64_t due, seq;
	unsigned int k, i;
	int n;

	if (s->sent >= s->count)
		return 0;
	due = s->rate <= 0 ? s->count : (uint64_t)((double)(now - s->t0) * s->rate / 1e9) + 1;
	if (due > s->count)
		due = s->count;
	if (due <= s->sent)
		return 0;
	k = due - s->sent > BATCH ? BATCH : (unsigned int)(due - s->sent);
	for (i = 0; i < k; i++) {
		struct can_frame *f = &s->fr[i];
		int b;

		memset(f, 0, sizeof(*f));
		f->can_id = s->id;
		f->can_dlc = 8;
		seq = s->sent + i + 1;
		for (b = 0; b < 8; b++)
			f->data[b] = (uint8_t)(seq >> (8 * b));
	}
	n = sendmmsg(s->fd, s->mm, k, 0);
	if (n < 0) {
		struct pollfd p = {.fd = s->fd, .events = POLLOUT};

		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
			die("sendmmsg");
		/* the queue is full: wait a little, send again */
		s->retries++;
		poll(&p, 1, 1);
		return 0;
	}
	s->sent += (unsigned int)n;
	return (unsigned int)n;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
		;
}

static int do_send(char **av)
{
	struct sender *s = malloc(sizeof(*s));
	int fd = open_sock(av[0], 0, 0);
	int64_t t1;

	if (!s)
		die("malloc");
	sender_init(s, fd, parse_id(av[1]), atof(av[2]), strtoull(av[3], NULL, 10));
	while (!stop && s->sent < s->count) {
		int64_t t = sender_next(s);

		if (t > now_ns())
			sleep_until(t);
		sender_run(s);
	}
	t1 = now_ns();
	printf("sent=%llu secs=%.6f rate=%.0f enobufs=%llu\n", (unsigned long long)s->sent,
	       (double)(t1 - s->t0) / 1e9,
	       t1 > s->t0 ? (double)s->sent * 1e9 / (double)(t1 - s->t0) : 0.0,
	       (unsigned long long)s->retries);
	close(fd);
	free(s);
	return 0;
}

/* ---- receiving: recvmmsg batches with their kernel timestamps ---- */

struct rx {
	int fd;
	uint32_t drops; /* SO_RXQ_OVFL, cumulative */
	struct can_frame fr[BATCH];
	struct iovec iov[BATCH];
	char ctl[BATCH][CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t))];
	struct mmsghdr mm[BATCH];
	int64_t ts[BATCH];
};

static void rx_init(struct rx *r, int fd)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	for (i = 0; i < BATCH; i++) {
		r->iov[i].iov_base = &r->fr[i];
		r->iov[i].iov_len = sizeof(struct can_frame);
	}
}

/* Non-blocking read of up to BATCH frames; returns how many, 0 if none. */
static int rx_read(struct rx *r)
{
	unsigned int i;
	int n;

	for (i = 0; i < BATCH; i++) {
		struct msghdr *h = &r->mm[i].msg_hdr;

		h->msg_name = NULL;
		h->msg_namelen = 0;
		h->msg_iov = &r->iov[i];
		h->msg_iovlen = 1;
		h->msg_control = r->ctl[i];
		h->msg_controllen = sizeof(r->ctl[i]);
		h->msg_flags = 0;
	}
	n = recvmmsg(r->fd, r->mm, BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		die("recvmmsg");
	}
	for (i = 0; i < (unsigned int)n; i++) {
		struct msghdr *h = &r->mm[i].msg_hdr;
		struct cmsghdr *c;

		r->ts[i] = 0;
		for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
			if (c->cmsg_level != SOL_SOCKET)
				continue;
			if (c->cmsg_type == SO_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				r->ts[i] = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
			} else if (c->cmsg_type == SO_RXQ_OVFL) {
				memcpy(&r->drops, CMSG_DATA(c), sizeof(r->drops));
			}
		}
	}
	return n;
}

static int do_count(int ac, char **av)
{
	struct rx *r = malloc(sizeof(*r));
	uint32_t id = parse_id(av[1]);
	uint64_t expect = ac > 2 ? strtoull(av[2], NULL, 10) : 0;
	int idle = ac > 3 ? atoi(av[3]) : 3000;
	uint64_t n = 0, next = 1, missing = 0, reorder = 0, maxseq = 0, firstseq = 0;
	/* which numbers came, to tell a gap from a late or doubled frame */
	uint8_t *seen = calloc(SEEN_MAX / 8, 1);
	uint64_t uniq = 0, dup = 0, never;
	int64_t first = 0, last = 0;
	int end = 0;
	unsigned int nap = ac > 4 ? (unsigned int)atoi(av[4]) : 0;

	if (!r || !seen)
		die("malloc");
	rx_init(r, open_sock(av[0], id, 1));
	while (!stop && !end && (!expect || n < expect)) {
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		int k, i;

		/* before the first frame: wait as long as it takes (SIGTERM) */
		if (poll(&p, 1, n ? idle : 1000) == 0) {
			if (n)
				break;
			continue;
		}
		k = rx_read(r);
		if (nap && k < BATCH)
			usleep(nap);
		for (i = 0; i < k; i++) {
			uint64_t s = seq_of(&r->fr[i]);

			if ((r->fr[i].can_id & CAN_ERR_FLAG) || r->fr[i].can_dlc != 8)
				continue;
			if (s == END_SEQ) {
				end = 1;
				break;
			}
			if (!n) {
				first = r->ts[i];
				firstseq = next = s;
			}
			last = r->ts[i];
			n++;
			if (s > maxseq)
				maxseq = s;
			if (s < SEEN_MAX) {
				if (seen[s / 8] >> (s % 8) & 1) {
					dup++;
				} else {
					seen[s / 8] |= (uint8_t)(1u << (s % 8));
					uniq++;
				}
			}
			if (s >= next) {
				missing += s - next;
				next = s + 1;
			} else {
				reorder++;
			}
		}
	}
	/* numbers past SEEN_MAX are not tracked: counted as arrived */
	never = n && maxseq < SEEN_MAX ? maxseq - firstseq + 1 - uniq : 0;
	printf("frames=%llu drops=%u missing=%llu reorder=%llu never=%llu dup=%llu firstseq=%llu "
	       "maxseq=%llu secs=%.6f rate=%.0f first=%.6f last=%.6f\n",
	       (unsigned long long)n, r->drops, (unsigned long long)missing,
	       (unsigned long long)reorder, (unsigned long long)never, (unsigned long long)dup,
	       (unsigned long long)firstseq, (unsigned long long)maxseq,
	       (double)(last - first) / 1e9,
	       last > first ? (double)(n - 1) * 1e9 / (double)(last - first) : 0.0,
	       (double)first / 1e9, (double)last / 1e9);
	close(r->fd);
	free(r);
	free(seen);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Stamps of frames 1..count as received by r; lost or foreign ones skipped. */
static void take(struct rx *r, int64_t *stamp, uint64_t count, uint64_t *got)
{
	int k, i;

	while ((k = rx_read(r)) > 0)
		for (i = 0; i < k; i++) {
			uint64_t s = seq_of(&r->fr[i]);

			if (s >= 1 && s <= count && !stamp[s]) {
				stamp[s] = r->ts[i];
				(*got)++;
			}
		}
}

static int do_lat(char **av)
{
	uint32_t id = parse_id(av[2]);
	double rate = atof(av[3]);
	uint64_t count = strtoull(av[4], NULL, 10), gs = 0, gd = 0, i, n = 0;
	int64_t *ts = calloc(count + 1, sizeof(int64_t));
	int64_t *td = calloc(count + 1, sizeof(int64_t));
	int64_t *lat = calloc(count + 1, sizeof(int64_t));
	struct rx *rs = malloc(sizeof(*rs)), *rd = malloc(sizeof(*rd));
	struct sender *s = malloc(sizeof(*s));
	int64_t done = 0, sum = 0;
	int txfd;

	if (!ts || !td || !lat || !rs || !rd || !s)
		die("malloc");
	rx_init(rs, open_sock(av[0], id, 1));
	rx_init(rd, open_sock(av[1], id, 1));
	txfd = open_sock(av[0], 0, 0);
	sender_init(s, txfd, id, rate, count);
	while (!stop) {
		struct pollfd p[2] = {{.fd = rs->fd, .events = POLLIN},
				      {.fd = rd->fd, .events = POLLIN}};
		int64_t t = sender_next(s), now = now_ns(), wait;
		struct timespec to;

		if (t && t <= now) {
			sender_run(s);
			continue;
		}
		if (!t && !done)
			done = now;
		/* all sent: what has not come 2 s after the last send is lost */
		if (done && (gd >= count || now - done > 2000000000))
			break;
		wait = t ? t - now : 100000000;
		to.tv_sec = wait / 1000000000;
		to.tv_nsec = wait % 1000000000;
		if (ppoll(p, 2, &to, NULL) > 0) {
			take(rs, ts, count, &gs);
			take(rd, td, count, &gd);
		}
	}
	take(rs, ts, count, &gs);
	take(rd, td, count, &gd);
	for (i = 1; i <= count; i++)
		if (ts[i] && td[i]) {
			lat[n++] = td[i] - ts[i];
			sum += td[i] - ts[i];
		}
	qsort(lat, n, sizeof(*lat), cmp_i64);
#define PCT(p) (n ? (double)lat[(size_t)((double)(n - 1) * (p))] / 1e3 : 0.0)
	printf("sent=%llu src=%llu dst=%llu matched=%llu drops_src=%u drops_dst=%u "
	       "min=%.1f p50=%.1f p90=%.1f p99=%.1f max=%.1f mean=%.1f "
	       "enobufs=%llu\n",
	       (unsigned long long)s->sent, (unsigned long long)gs, (unsigned long long)gd,
	       (unsigned long long)n, rs->drops, rd->drops, PCT(0.0), PCT(0.5), PCT(0.9), PCT(0.99),
	       PCT(1.0), n ? (double)sum / (double)n / 1e3 : 0.0, (unsigned long long)s->retries);
#undef PCT
	return 0;
}

static int do_relay(char **av)
{
	uint32_t id = parse_id(av[2]);
	int in = open_sock(av[0], id, 1), out = open_sock(av[1], 0, 0);
	struct can_frame f;
	ssize_t n;

	while (!stop) {
		n = read(in, &f, sizeof(f));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(f))
			break;
		while (write(out, &f, sizeof(f)) < 0 && !stop) {
			struct pollfd p = {.fd = out, .events = POLLOUT};

			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
				die("write");
			poll(&p, 1, 1);
		}
	}
	return 0;
}

/* ---- can-gw rules over rtnetlink ---- */

struct nlreq {
	struct nlmsghdr nh;
	struct rtcanmsg rtc;
	char attrs[64];
};

static void nl_attr(struct nlreq *r, unsigned short type, const void *data, unsigned short len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = (unsigned short)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Sends one request and waits for its acknowledgement: 0 or -errno. */
static int nl_talk(int fd, struct nlreq *r)
{
	char buf[1024];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	ssize_t n;

	if (send(fd, r, r->nh.nlmsg_len, 0) < 0)
		die("netlink send");
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		die("netlink recv");
	if (NLMSG_OK(h, (unsigned int)n) && h->nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	return 0;
}

static void nl_init(struct nlreq *r, unsigned short type, unsigned short flags, unsigned int seq)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtcanmsg));
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
	r->nh.nlmsg_seq = seq;
	r->rtc.can_family = AF_CAN;
	r->rtc.gwtype = CGW_TYPE_CAN_CAN;
}

static int do_cangw(char **av)
{
	uint32_t src = if_nametoindex(av[0]), dst = if_nametoindex(av[1]);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	unsigned int seq = 1, rules = 0;
	struct nlreq r;
	unsigned long id, mask;
	FILE *f = fopen(av[2], "r");
	int fd, e;
	int64_t t0, t1;

	if (!src || !dst) {
		fprintf(stderr, "gw_lat: %s or %s: no such interface\n", av[0], av[1]);
		return 2;
	}
	if (!f)
		die(av[2]);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("netlink socket");
	t0 = now_ns();
	/* both interfaces 0: every rule goes (cangw -F) */
	nl_init(&r, RTM_DELROUTE, 0, seq++);
	{
		uint32_t none = 0;

		nl_attr(&r, CGW_SRC_IF, &none, sizeof(none));
		nl_attr(&r, CGW_DST_IF, &none, sizeof(none));
	}
	if ((e = nl_talk(fd, &r))) {
		errno = -e;
		die("can-gw flush");
	}
	while (fscanf(f, "%lx %lx", &id, &mask) == 2) {
		struct can_filter flt = {.can_id = (canid_t)id, .can_mask = (canid_t)mask};

		nl_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, seq++);
		r.rtc.flags = CGW_FLAGS_CAN_ECHO;
		nl_attr(&r, CGW_FILTER, &flt, sizeof(flt));
		nl_attr(&r, CGW_SRC_IF, &src, sizeof(src));
		nl_attr(&r, CGW_DST_IF, &dst, sizeof(dst));
		if ((e = nl_talk(fd, &r))) {
			errno = -e;
			die("can-gw add");
		}
		rules++;
	}
	t1 = now_ns();
	printf("rules=%u ms=%.3f\n", rules, (double)(t1 - t0) / 1e6);
	fclose(f);
	close(fd);
	return 0;
}

static void usage(void)
{
	fputs("Usage: gw_lat send IF ID RATE COUNT\n"
	      "       gw_lat count IF ID [EXPECT [IDLE_MS [NAP_US]]]\n"
	      "       gw_lat lat SRC DST ID RATE COUNT\n"
	      "       gw_lat relay SRC DST ID\n"
	      "       gw_lat cangw SRC DST FILE\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && !strcmp(argv[1], "send"))
		return do_send(argv + 2);
	if (argc >= 4 && argc <= 7 && !strcmp(argv[1], "count"))
		return do_count(argc - 2, argv + 2);
	if (argc == 7 && !strcmp(argv[1], "lat"))
		return do_lat(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "relay"))
		return do_relay(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "cangw"))
		return do_cangw(argv + 2);
	usage();
	return 2;
}
