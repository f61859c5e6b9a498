/* SPDX-License-Identifier: MIT */
/*
 * doip_srv_io.h - the entity side of DoIP TCP_DATA sockets in a libev
 * loop: the socket glue around the I/O-free struct doip_conn (doip.h),
 * shared by every DoIP entity of canrig (the ECU simulator's
 * doip_sim_io.c, canrigd's gwd_doip.c), so that reading, flushing,
 * pausing and the routing activation's alive checks are written once.
 *
 * The owner keeps a table of its own per-socket structs, each with a
 * struct doip_srv_conn as its FIRST member (so one stride walks the
 * table and the owner gets its struct back with a cast), and allocates
 * each socket's buffers once; this module owns each socket's fd, its
 * watchers and deadline timer while it is open, and calls the owner back
 * through struct doip_srv_ops for what differs: the activation's
 * policy, the diagnostic messages, the bookkeeping of a close.  Nothing
 * is allocated here, per message or otherwise.
 */
#ifndef CANRIG_DOIP_SRV_IO_H
#define CANRIG_DOIP_SRV_IO_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include <ev.h>

#include "doip.h"

#ifdef __cplusplus
extern "C" {
#endif

struct doip_srv;

struct doip_srv_conn {
	struct doip_srv *srv;
	int fd; /* -1: free slot */
	ev_io rio, wio;
	ev_timer tm; /* doip_conn_deadline() */
	struct doip_conn c;
	uint8_t *rx, *tx, *in; /* the owner's, allocated once: rx_cap, tx_cap, in_size */
	size_t in_size;
	size_t in_off, in_len; /* bytes read, not yet fed to c */
	char peer[64];	       /* "a.b.c.d:port" */
	/* a routing activation here waits for alive checks of others */
	unsigned int ra_wait;		 /* answers still due */
	uint8_t ra_code;		 /* to send if all answer (0x01 or 0x03) */
	struct doip_srv_conn *alive_for; /* our alive check decides its RA */
	/* the owner holds the bytes of the last DOIP_EV_DIAG piece (a view
	 * of in[]): nothing more is read or fed until doip_srv_release() */
	uint8_t hold;
};

/* The owner's part.  Each may close sockets (doip_srv_free()); the
 * module checks k->fd after each. */
struct doip_srv_ops {
	/* A routing activation request: answer it with doip_srv_ra_decided()
	 * or hand it to doip_srv_ra_arbitrate(). */
	void (*ra)(struct doip_srv_conn *k, const struct doip_msg *m, uint64_t now);
	/* k's activation is answered with code now (counters, log): called
	 * just before the engine queues the answer. */
	void (*ra_done)(struct doip_srv_conn *k, uint8_t code);
	/* A diagnostic message or a piece of one (DOIP_EV_DIAG). */
	void (*diag)(struct doip_srv_conn *k, const struct doip_ev *ev, uint64_t now);
	/* k's fd is closed (k->c still tells why and who): forget it. */
	void (*closed)(struct doip_srv_conn *k);
	/* Optional: the peer took some of k's output (its socket was full),
	 * so a message streaming out (doip_conn_diag_begin()) may go on. */
	void (*drained)(struct doip_srv_conn *k);
};

struct doip_srv {
	struct ev_loop *loop;
	const struct doip_srv_ops *ops;
	void *ctx; /* the owner's, for its callbacks */
	char *base;
	size_t n, stride;
	size_t rx_cap, tx_cap; /* of every socket's rx and tx */
};

/*
 * Sets up n sockets of stride bytes each at conns (each starting with a
 * struct doip_srv_conn; zeroed memory), all free; conns, ops and ctx are
 * borrowed until doip_srv_close().  The owner then sets each one's rx, tx
 * (rx_cap, tx_cap bytes) and in (in_size bytes).
 */
void doip_srv_init(struct doip_srv *s, struct ev_loop *loop, const struct doip_srv_ops *ops,
		   void *ctx, void *conns, size_t n, size_t stride);

/* Socket i of the table (i < s->n). */
static inline struct doip_srv_conn *doip_srv_at(const struct doip_srv *s, size_t i)
{
	return (struct doip_srv_conn *)(void *)(s->base + i * s->stride);
}

/*
 * Accepts one connection on the listening socket lfd (non-blocking) into
 * a free slot, its engine set up by cc, and starts reading it; *out is
 * the slot.  Returns 0; -EBUSY when every slot is taken (the connection
 * is closed at once, as ISO 13400-2 lets the entity refuse it); or
 * accept4()'s -errno (nothing to do).
 */
int doip_srv_accept(struct doip_srv *s, int lfd, const struct doip_conn_cfg *cc,
		    struct doip_srv_conn **out);

/* Sends what the engine has; the rest waits for the write watcher.
 * Returns 0, or -errno when the socket failed or is closed (it is then
 * free). */
int doip_srv_flush(struct doip_srv_conn *k);

/* From ops->diag: the piece's bytes stay where they are (the owner
 * consumes them later); k reads nothing more until doip_srv_release().
 * Backpressure for a request streaming onto a slower bus. */
void doip_srv_hold(struct doip_srv_conn *k);

/* The held bytes are consumed: k's input goes on (may call ops->diag
 * again, and close k). */
void doip_srv_release(struct doip_srv_conn *k);

/* A message that streamed out (doip_conn_diag_begin()) is all put: k's
 * input, stopped before its next message meanwhile, goes on (may call
 * ops->diag, and close k).  Nothing while k is held or still busy. */
void doip_srv_resume(struct doip_srv_conn *k);

/* Closes k (nothing if free): stops its watchers, calls ops->closed, and
 * answers an activation that was waiting for k's alive check. */
void doip_srv_free(struct doip_srv_conn *k);

/* Answers k's routing activation with code; resume: decided later than
 * its input stopped (alive checks), so its input goes on from here. */
void doip_srv_ra_decided(struct doip_srv_conn *k, uint8_t code, int resume);

/*
 * The sockets' part of a routing activation for sa (its address and
 * type already accepted): one socket per tester address (0x03), at most
 * mcts registered sockets (0x01), each refusal only after the sockets in
 * the way failed an alive check (ISO 13400-2): a tester that vanished
 * without closing must not lock the entity.  Returns the number of alive
 * checks the answer waits for; 0: answered.
 */
unsigned int doip_srv_ra_arbitrate(struct doip_srv_conn *k, uint16_t sa, size_t mcts, uint64_t now);

/*
 * Opens an entity's socket: type SOCK_DGRAM (broadcasts allowed) or
 * SOCK_STREAM (listening), non-blocking, bound to sa.  TCP reuses its
 * address (a restart must not wait out TIME_WAIT); UDP does not (two
 * entities would share the port silently).  Returns the fd or -errno;
 * the message is the caller's.
 */
int doip_srv_open_sock(int type, const struct sockaddr_in *sa);

/*
 * Reads one datagram from the entity's UDP socket fd and answers it
 * (doip_entity_udp()) to its sender.  Returns -EAGAIN when nothing was
 * read, else 1 answered, 0 nothing to answer, or -errno of the failed
 * send.  *from, *n_in and *n_out (bytes) are for the caller's counters
 * and log.
 */
int doip_srv_udp_answer(int fd, const struct doip_entity *ent, const struct doip_entity_state *st,
			struct sockaddr_in *from, size_t *n_in, size_t *n_out);

/* Closes every socket (ops->closed for each open one); the buffers stay
 * the owner's.  Safe to call twice. */
void doip_srv_close(struct doip_srv *s);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_DOIP_SRV_IO_H */
