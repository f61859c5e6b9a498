/* SPDX-License-Identifier: MIT */
/*
 * cio.h - SocketCAN raw socket I/O: batched receive into a caller-owned
 * ring (recvmmsg) and batched send (sendmmsg).  Everything is non-blocking;
 * waiting is the caller's business (poll, libev, ...).
 *
 * Error contract for sending (ENOBUFS, EAGAIN, ENETDOWN):
 *   cio_send() never spins and never drops a frame silently.  It always
 *   reports how many frames the kernel accepted in *sent.  On -ENOBUFS or
 *   -EAGAIN (queue full) frames[*sent..n) were NOT sent: wait with
 *   cio_wait_writable() and resubmit them.  On -ENETDOWN the interface went
 *   down; frames from *sent on were not sent and retrying is pointless until
 *   the link is up again.
 */
#ifndef CANRIG_CIO_H
#define CANRIG_CIO_H

#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/can.h>

#include "cf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CIO_MAX_FILTERS 64

/*
 * Same layout as the kernel's struct mmsghdr, which glibc only declares
 * under _GNU_SOURCE; mirrored so this header compiles on its own.
 */
struct cio_mmsg {
	struct msghdr msg_hdr;
	unsigned int msg_len;
};
#define CIO_TX_BATCH 64

/* Socket options, filled by the caller before cio_open(). */
struct cio_opts {
	struct can_filter filters[CIO_MAX_FILTERS]; /* kernel id/mask form */
	unsigned int nfilters;			    /* 0 = receive all data frames */
	int no_rx;				    /* install an empty filter: send-only socket */
	uint32_t err_mask;			    /* CAN_ERR_* classes to receive; 0 = none */
	int join_filters; /* all filters must match (CAN_RAW_JOIN_FILTERS) */
	int recv_own;	  /* receive our own sent frames */
	int no_loopback;  /* don't echo our frames to other local sockets */
	int rcvbuf;	  /* SO_RCVBUF(FORCE) bytes, 0 = kernel default */
	int need_fd;	  /* CAN FD frames will be sent: refuse a classic
			   * interface at open (-EMSGSIZE), since the
			   * kernel accepts CAN_RAW_FD_FRAMES there and
			   * only each FD frame's send fails (EINVAL) */
};

struct cio_sock {
	int fd;
	int ifindex; /* 0 when bound to "any" */
	char ifname[IF_NAMESIZE];
	uint32_t kernel_drops; /* last SO_RXQ_OVFL value (cumulative) */
	struct canfd_frame tx[CIO_TX_BATCH];
	struct cio_mmsg txmsg[CIO_TX_BATCH];
	struct iovec txiov[CIO_TX_BATCH];
	struct sockaddr_can txaddr[CIO_TX_BATCH];
	const struct cio_sock *txself; /* the headers above point into it */
};

/*
 * Receive ring: cap slots of kernel frames plus their views.  Allocated
 * once by cio_ring_init(); cio_recv() never allocates.  views[i].data
 * points into the ring and stays valid until the next cio_recv() on it.
 */
struct cio_ring {
	unsigned int cap;
	unsigned int count; /* frames filled by the last cio_recv() */
	unsigned int dirty; /* slots whose headers need resetting */
	struct cf_frame *views;
	struct canfd_frame *bufs;
	struct cio_mmsg *msgs;
	struct iovec *iov;
	struct sockaddr_can *addrs;
	char *ctrl;
	size_t ctrl_len;
	int no_names; /* the slots ask for no source address (the last
		       * socket was bound to one interface: it is that one) */
};

/* Returns 0 or -ENOMEM.  cap is clamped to 1..1024. */
int cio_ring_init(struct cio_ring *r, unsigned int cap);

/* Frees the ring's memory; safe on a zeroed or finished ring. */
void cio_ring_fini(struct cio_ring *r);

/* Resets o to defaults: receive all data frames, loopback on. */
void cio_opts_init(struct cio_opts *o);

/*
 * Parse one candump filter item ("123:7FF", "12345678~1FFFFFFF", "#FFFFFFFF"
 * error mask, "j" join) and add it to o.  s is NUL-terminated.
 * Returns 0, -EINVAL (bad syntax) or -E2BIG (too many filters); *msg gets
 * a static description on error.
 */
int cio_filter_add(struct cio_opts *o, const char *s, const char **msg);

/*
 * Open a non-blocking CAN_RAW socket with FD frames enabled, bound to ifname
 * ("any" = all CAN interfaces).  Returns 0 or:
 *   -EAFNOSUPPORT  kernel has no AF_CAN
 *   -ENODEV        no such interface
 *   -EMEDIUMTYPE   interface exists but is not a CAN interface
 *   -ENETDOWN      interface is down
 *   -ENAMETOOLONG  name too long
 *   -EMSGSIZE      o->need_fd, but the interface is classic CAN (mtu 16)
 *   other -errno from socket calls.
 */
int cio_open(struct cio_sock *s, const char *ifname, const struct cio_opts *o);

/*
 * Replace the socket's receive filters with f[0..n) (n 0: receive
 * nothing).  Returns 0 or -errno from setsockopt.
 */
int cio_set_filters(struct cio_sock *s, const struct can_filter *f, unsigned int n);

/*
 * Look up a CAN interface for sending on a socket bound to "any".  Returns
 * 0 with *ifindex set, or -ENODEV / -EMEDIUMTYPE / -ENETDOWN /
 * -ENAMETOOLONG as cio_open() does.
 */
int cio_if_lookup(const struct cio_sock *s, const char *ifname, int *ifindex);

/* Closes the socket; safe to call twice. */
void cio_close(struct cio_sock *s);

/*
 * Returns a one-line, actionable description of a cio_open() error for
 * interface ifname, e.g. "vcan0: no such interface; run ./vcan-setup.sh".
 * The text lives in buf (size n) and is returned.
 */
const char *cio_open_strerror(int err, const char *ifname, char *buf, size_t n);

/*
 * Returns the MTU of interface ifname (CAN_MTU 16: classic, CANFD_MTU 72:
 * FD), looked up through s's socket, or -errno (-ENODEV ...).
 */
int cio_if_mtu(const struct cio_sock *s, const char *ifname);

/*
 * Returns a one-line description of cio_send() error err for frame f,
 * the first one not sent: an FD frame refused (-EINVAL) by a classic
 * interface gets the same text as cio_open()'s -EMSGSIZE, anything else
 * "IF: strerror".  The text lives in buf (size n) and is returned.
 */
const char *cio_send_strerror(const struct cio_sock *s, const struct cf_frame *f, int err,
			      char *buf, size_t n);

/*
 * Receive up to r->cap frames without blocking.  Returns the number of
 * frames (>= 1, also stored in r->count), or -EAGAIN when none are queued,
 * or -ENETDOWN / other -errno.  Each view gets data, len, flags, ts_ns
 * (SO_TIMESTAMPNS), ifindex (from the source address) and dir.  Kernel drop
 * counts land in s->kernel_drops.
 */
int cio_recv(struct cio_sock *s, struct cio_ring *r);

/*
 * Send n frames (see the contract at the top of this file).  A frame's
 * ifindex selects the interface when the socket is bound to "any"; 0 means
 * the bound interface.  Returns 0 when all were sent, else a -errno with
 * *sent frames accepted.  An invalid frame (cf_validate()) gives -EINVAL
 * with the frames before it sent: frames[*sent] is the bad one.
 */
int cio_send(struct cio_sock *s, const struct cf_frame *frames, unsigned int n, unsigned int *sent);

/*
 * Wait up to timeout_ms for the socket to accept more frames.  CAN drivers
 * report ENOBUFS without a POLLOUT edge, so this also returns after the
 * timeout.  Returns 0 or -errno.
 */
int cio_wait_writable(struct cio_sock *s, int timeout_ms);

/* Interface name cache so hot paths never ioctl more than once per index. */
#define CIO_NAMES_MAX 64
struct cio_names {
	int idx[CIO_NAMES_MAX];
	char name[CIO_NAMES_MAX][IF_NAMESIZE];
	unsigned int n;
	int maxlen; /* longest name seen, for column alignment */
};

/*
 * Returns the name of ifindex (cached), or "?" if unknown.  The pointer is
 * valid as long as c is.
 */
const char *cio_ifname(struct cio_names *c, int ifindex);

/* ---- link monitoring (rtnetlink) -------------------------------------- */

/*
 * One link event: an interface appeared, changed state or went away.  A
 * CAN controller that goes bus-off turns its carrier off (running 0) until
 * it restarts, and reports the state in IFLA_CAN_STATE.
 */
struct cio_link_ev {
	int ifindex;
	char ifname[IF_NAMESIZE]; /* "" if the message had none */
	int deleted;		  /* RTM_DELLINK */
	int up;			  /* IFF_UP */
	int running;		  /* IFF_RUNNING: carrier on */
	int can_state;		  /* enum can_state, or -1: not reported */
	/* IFLA_CAN_(DATA_)BITTIMING bit/s; 0: not reported (vcan has none) */
	uint32_t bitrate, dbitrate;
};

typedef void (*cio_link_cb)(void *arg, const struct cio_link_ev *ev);

/*
 * Opens a non-blocking NETLINK_ROUTE socket subscribed to link events.
 * Returns the descriptor (the caller closes it) or -errno.
 */
int cio_link_open(void);

/*
 * Asks for the state of every link; the answers arrive on fd as events.
 * Used after -ENOBUFS from cio_link_read(), when events were lost.
 * Returns 0 or -errno.
 */
int cio_link_dump(int fd);

/*
 * Parses len bytes of netlink messages, calling cb for each RTM_NEWLINK /
 * RTM_DELLINK; other messages are skipped.  ev is valid during the call
 * only.  Returns the number of events, or -EBADMSG if a message header or
 * attribute runs past the buffer (events before it were delivered).
 */
int cio_link_parse(const void *buf, size_t len, cio_link_cb cb, void *arg);

/*
 * Reads and parses everything queued on fd.  Returns the number of events
 * (0 when none were queued), -ENOBUFS when the kernel dropped events (ask
 * for a dump), or another -errno.
 */
int cio_link_read(int fd, cio_link_cb cb, void *arg);

/*
 * Is the peer of the unix socket fd in group g: primary (its SO_PEERCRED
 * gid) equal to g, or g among its supplementary groups (SO_PEERGROUPS)?
 * Returns 1 or 0; 0 when the kernel cannot say.  For the control sockets
 * of canrigd and canrig uplink.
 */
int cio_peer_in_group(int fd, gid_t primary, gid_t g);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_CIO_H */
