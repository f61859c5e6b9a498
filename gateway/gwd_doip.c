/* SPDX-License-Identifier: MIT */
/*
 * gwd_doip.c - canrigd as the vehicle's DoIP entity (ISO 13400-2): UDP
 * identification, TCP_DATA sockets each run by a doip_conn engine
 * (doip.h), routing activation against the doip: testers, each
 * diagnostic message judged by its tester's firewall and carried to its
 * ECU over canrig's ISO-TP (isotp_io.h), every answer carried back.
 *
 * One ISO-TP socket per ECU, not the gateway's per-interface sockets:
 * the kernel filter of each takes only that ECU's answer id, isotp_io
 * already paces consecutive frames by their echo, and a transfer to one
 * ECU (or a full route queue on its bus) never waits behind another's:
 * no head-of-line blocking across ECUs, at one descriptor per ECU.
 *
 * The ACK (0x8002) of a forwarded request is sent when ISO-TP has sent it
 * (TX_DONE), so a transfer that fails can still be NACKed 0x06 as the
 * issue asks; the ECU's answer can only follow its request, so the ACK
 * still comes first.  Buffers are allocated once at gwd_doip_open().
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "canrigd.h"
#include "doip.h"
#include "gw_conf.h"
#include "isotp_io.h"

#define CONN_IN	 4096 /* recv() chunk per socket */
#define NRC_SEC	 0x33 /* securityAccessDenied: the firewall refused */
#define NRC_BUSY 0x21 /* busyRepeatRequest: the ECU's channel is sending */
/* Per ECU: a request beyond max_len streams through this much; a few
 * hundred ms of a classic bus, so a tester's TCP bursts never stall it */
#define GWD_DOIP_RING (64u << 10)

static const char *const refuse_names[GWD_DOIP_REF_N] = {
	"firewall", "unknown-target", "too-large", "unreachable", "busy", "transfer-failed",
};

const char *gwd_doip_refuse_name(enum gwd_doip_refuse r)
{
	return (unsigned int)r < GWD_DOIP_REF_N ? refuse_names[r] : "?";
}

/* ---- one TCP_DATA socket: doip_srv_io.c runs it, these are our parts */

static struct gwd_doip_conn *gwd_conn(struct doip_srv_conn *k)
{
	return (struct gwd_doip_conn *)(void *)k; /* its first member */
}

static struct gwd_doip_conn *stream_end(struct gwd_doip_ecu *e);
static void longans_closed(struct gwd_doip_conn *k);

static void on_closed(struct doip_srv_conn *sk)
{
	struct gwd_doip_conn *k = gwd_conn(sk);
	struct gwd_doip *g = sk->srv->ctx;
	size_t i;

	if (g->st.ncts)
		g->st.ncts--;
	longans_closed(k);
	/* answers still due go nowhere now: counted at the ECU */
	for (i = 0; i < g->necus; i++) {
		struct gwd_doip_ecu *e = &g->ecus[i];

		if (e->owner == k)
			e->owner = NULL;
		if (e->feeder == k) {
			/* its request cannot be completed: the ECU's N_Cr
			 * ends its side, the channel is free now */
			isotp_tx_abort(&e->io.tp);
			stream_end(e);
			e->sending = 0;
			e->tx_errors++;
		}
	}
	k->stream = NULL;
	k->nhead = 0;
	g->closes[k->s.c.close_reason < DOIP_CL_N ? k->s.c.close_reason : DOIP_CL_CALLER]++;
	if (g->d->verbose)
		gwd_logmsg(LOG_INFO, "doip: tester %s (0x%04X) closed (%s)", k->s.peer, k->s.c.sa,
			   doip_close_name((enum doip_close)k->s.c.close_reason));
}

static int tester_of(const struct gwd_doip *g, uint16_t sa)
{
	size_t i;

	for (i = 0; i < g->cfg.ntesters; i++)
		if (g->cfg.testers[i].address == sa)
			return (int)i;
	return -1;
}

static void on_ra_done(struct doip_srv_conn *sk, uint8_t code)
{
	struct gwd_doip_conn *k = gwd_conn(sk);
	struct gwd_doip *g = sk->srv->ctx;
	int t = tester_of(g, k->s.c.ra_sa);

	if (t >= 0) {
		if (code == DOIP_RA_OK) {
			g->tstat[t].activations++;
			k->tester = t;
			k->since = gwd_now_ns();
		} else {
			g->tstat[t].ra_refused++;
		}
	}
	gwd_logmsg(code == DOIP_RA_OK ? LOG_INFO : LOG_NOTICE,
		   "doip: tester %s routing activation for 0x%04X: code 0x%02X", k->s.peer,
		   k->s.c.ra_sa, code);
}

/* Routing activation: a configured tester, a supported activation type;
 * then the sockets' part (doip_srv_ra_arbitrate()) for max_testers. */
static void on_ra(struct doip_srv_conn *sk, const struct doip_msg *m, uint64_t now)
{
	struct gwd_doip_conn *k = gwd_conn(sk);
	struct gwd_doip *g = sk->srv->ctx;

	if (tester_of(g, m->u.ra.sa) < 0) {
		g->ra_unknown++;
		doip_srv_ra_decided(sk, DOIP_RA_UNKNOWN_SA, 0);
		return;
	}
	if (m->u.ra.type != DOIP_ACT_DEFAULT && m->u.ra.type != DOIP_ACT_WWH_OBD) {
		doip_srv_ra_decided(sk, DOIP_RA_BAD_TYPE, 0);
		return;
	}
	k->act_type = m->u.ra.type;
	doip_srv_ra_arbitrate(sk, m->u.ra.sa, g->cfg.max_testers, now);
}

/* ---- the ECUs */

static void ecu_ev(struct isotp_io *io, unsigned int ev, void *ctx);
/* functional addressing's part of an ECU's answers (below) */
static struct gwd_doip_conn *ecu_answer_to(struct gwd_doip_ecu *e, const uint8_t *p, size_t n,
					   struct gwd_doip_conn *phys);
static void ecu_phys_sent(struct gwd_doip_ecu *e);

/* Its bus as canrigd's own socket sees it: open and not held (bus-off,
 * carrier off).  By name: a reload may renumber the interfaces. */
static int ecu_bus_up(const struct gwd_doip_ecu *e)
{
	const struct gwd *d = e->g->d;
	size_t i;

	for (i = 0; i < d->conf.nifs; i++)
		if (!strcmp(d->conf.ifname[i], e->ifname))
			return d->ifs[i].open && !d->ifs[i].held;
	return 0;
}

/* Opens the ECU's ISO-TP socket if it is not (its interface may have
 * come later, or the socket failed).  Returns 0 or -errno. */
static int ecu_open(struct gwd_doip_ecu *e)
{
	int r;

	if (e->open && !e->io.err)
		return 0;
	if (e->open) {
		isotp_io_close(&e->io);
		e->open = 0;
		e->sending = 0;
	}
	r = isotp_io_open(&e->io, e->g->loop, e->ifname, &e->cfg.tp, e->rx, e->cfg.max_len, ecu_ev,
			  e);
	if (!r)
		e->open = 1;
	/* an answer beyond max_len streams to its tester ("long answers") */
	if (!r)
		e->io.tp.cfg.rx_stream = 1;
	return r;
}

static struct gwd_doip_ecu *ecu_of(struct gwd_doip *g, uint16_t ta)
{
	size_t i;

	for (i = 0; i < g->necus; i++)
		if (g->ecus[i].cfg.address == ta)
			return &g->ecus[i];
	return NULL;
}

/* The tester socket that sent e's last request, if it is still there. */
static struct gwd_doip_conn *ecu_owner(struct gwd_doip_ecu *e)
{
	struct gwd_doip_conn *k = e->owner;

	if (!k || k->s.fd < 0 || !k->s.c.active || k->s.c.sa != e->owner_sa)
		return NULL;
	return k;
}

/* An answer from ECU e (or the gateway speaking for it) to k: queued
 * behind what k has not sent yet, once more after a flush if full. */
static int answer(struct gwd_doip_conn *k, uint16_t from, const uint8_t *p, size_t n)
{
	uint64_t now = gwd_now_ns();
	int r;

	r = doip_conn_send_diag(&k->s.c, from, k->s.c.sa, p, n, now);
	if (r == -ENOBUFS) {
		if (doip_srv_flush(&k->s))
			return -ENOTCONN;
		r = doip_conn_send_diag(&k->s.c, from, k->s.c.sa, p, n, now);
	}
	if (!r)
		doip_srv_flush(&k->s);
	return r;
}

static void refuse(struct gwd_doip_conn *k, uint16_t ta, uint8_t code, enum gwd_doip_refuse why)
{
	struct gwd_doip *g = k->s.srv->ctx;

	if (k->tester >= 0)
		g->tstat[k->tester].refused[why]++;
	doip_conn_diag_ack(&k->s.c, ta, code, NULL, 0, gwd_now_ns());
	/* per message: only with -v, so a tester cannot flood the log */
	if (g->d->verbose)
		gwd_logmsg(LOG_INFO, "doip: tester 0x%04X to ECU 0x%04X: NACK 0x%02X (%s)",
			   k->s.c.sa, ta, code, gwd_doip_refuse_name(why));
}

/* e's streamed request ends here (sent, failed, its tester gone): its
 * tester's socket reads on, the rest of its message dropped if some is
 * still to come.  Returns the feeder, or NULL. */
static struct gwd_doip_conn *stream_end(struct gwd_doip_ecu *e)
{
	struct gwd_doip_conn *k = e->feeder;

	e->feeder = NULL;
	e->held = NULL;
	e->held_len = 0;
	if (!k)
		return NULL;
	if (k->stream == e) {
		k->stream = NULL;
		if (k->s.fd >= 0)
			doip_conn_diag_drop(&k->s.c);
	}
	return k;
}

/* Moves bytes of e's feeder into the ring until it is full; once all it
 * holds is in, its socket reads on (its next piece may come at once).
 * The feeder's bytes stay valid while it is held (doip_srv_hold()). */
static void stream_feed(struct gwd_doip_ecu *e)
{
	struct gwd_doip_conn *k = e->feeder;
	size_t n;

	/* a feed sends frames, whose confirmation (an echo read outside the
	 * pump) may say TX_ROOM again from within: this loop goes on */
	if (e->feeding)
		return;
	e->feeding = 1;
	while (e->held_len && e->feeder == k) {
		n = isotp_io_feed(&e->io, e->held, e->held_len);
		if (!n || e->feeder != k)
			break; /* full: TX_ROOM comes back; or ended meanwhile */
		e->held += n;
		e->held_len -= n;
	}
	e->feeding = 0;
	if (e->feeder != k || e->held_len)
		return;
	e->held = NULL;
	if (k->stream != e)
		e->feeder = NULL; /* its last piece is in: nothing more to come */
	doip_srv_release(&k->s);
}

/* Bytes p[0..n) of k's request streaming into e (called from k's
 * ops->diag): into the ring, and what does not fit is held there (k
 * reads nothing more) until TX_ROOM.  last: no more pieces come. */
static void stream_in(struct gwd_doip_ecu *e, struct gwd_doip_conn *k, const uint8_t *p, size_t n,
		      int last)
{
	size_t took;

	if (e->feeder != k)
		return;
	if (last)
		k->stream = NULL;
	while (n && e->feeder == k) {
		took = isotp_io_feed(&e->io, p, n);
		if (!took)
			break;
		p += took;
		n -= took;
	}
	if (e->feeder != k)
		return; /* the transfer ended meanwhile (TX_ERR) */
	if (n) {
		e->held = p;
		e->held_len = n;
		doip_srv_hold(&k->s);
	} else if (last) {
		e->feeder = NULL;
	}
}

/* ---- long answers: beyond the ECU's max_len, streamed, never held
 *
 * ISO-TP hands such an answer out frame by frame (cfg.rx_stream).  Its
 * first frame opens a 0x8001 of the whole length on its tester's socket
 * (doip_conn_diag_begin()); each frame's bytes go into that socket's
 * output as they come, and the ECU is allowed (FC CTS block size) only
 * as many as the output has room for: a tester that does not read fills
 * it, and the ECU gets FC WAIT until the socket drains (ops->drained).
 * The socket's output buffer, allocated once, is the only buffer, so
 * memory stays the same whatever the length.  Once the header is out the
 * tester counts on that many bytes, and a DoIP message cannot be cut
 * short nor taken back: if the ECU's transfer fails mid-way (N_Cr, a
 * wrong sequence number, its bus gone, WFTmax), that tester's socket is
 * closed, the only way to tell it the answer is void (counted: cut).
 * While it streams, the socket's input waits before its next message and
 * other answers to it wait behind (doip_conn's later[], 512 bytes); an
 * answer that does not fit there, or a second long answer, is dropped
 * (counted).
 */

/* What e's tester has room for beyond the stash: the ECU may send that. */
static void longans_room(struct gwd_doip_ecu *e)
{
	struct gwd_doip_conn *k = e->ans_to;
	size_t room = k ? doip_conn_diag_room(&k->s.c) : 0;

	isotp_io_rx_room(&e->io, room > e->nstash ? room - e->nstash : 0);
}

/* The stream to k ended (all put, or cut): k reads on. */
static void longans_end(struct gwd_doip_ecu *e)
{
	struct gwd_doip_conn *k = e->ans_to;

	e->ans_to = NULL;
	e->nstash = 0;
	if (!k)
		return;
	k->ans_from = NULL;
	doip_srv_flush(&k->s);
	if (k->s.fd >= 0)
		doip_srv_resume(&k->s);
}

/* Puts the stash, then p[0..n), into the tester's output; what does not
 * fit is stashed (only a first frame's bytes can be: the others come
 * within the room given).  Ends the stream when all is put. */
static void longans_put(struct gwd_doip_ecu *e, const uint8_t *p, size_t n)
{
	struct gwd_doip_conn *k = e->ans_to;
	uint64_t now = gwd_now_ns();
	size_t t;

	if (e->nstash) {
		t = doip_conn_diag_put(&k->s.c, e->stash, e->nstash, now);
		memmove(e->stash, e->stash + t, e->nstash - t);
		e->nstash -= t;
	}
	if (!e->nstash) {
		t = doip_conn_diag_put(&k->s.c, p, n, now);
		p += t;
		n -= t;
	}
	if (n > sizeof(e->stash) - e->nstash)
		n = sizeof(e->stash) - e->nstash; /* cannot happen: room was given */
	memcpy(e->stash + e->nstash, p, n);
	e->nstash += n;
	if (!k->s.c.tx_open) {
		longans_end(e);
		return;
	}
	/* a TCP segment per block (its FC due) or KiB, not per CAN frame:
	 * both stacks pay per segment, and the first frame's goes at once */
	doip_conn_output(&k->s.c, &t);
	if (!e->io.tp.rx_fc_due && t < 1024 && p) {
		longans_room(e);
		return;
	}
	if (doip_srv_flush(&k->s) || k->s.fd < 0)
		return; /* closed: on_closed() ended it */
	longans_room(e);
}

/* The ECU's stream to its tester failed after its header went: the
 * tester's socket is closed (see above). */
static void longans_cut(struct gwd_doip_ecu *e)
{
	struct gwd_doip_conn *k = e->ans_to;

	e->answers_cut++;
	gwd_logmsg(LOG_WARNING,
		   "doip: ECU 0x%04X: its answer of %zu bytes stopped after %zu (%s%s%s); closing "
		   "tester %s (0x%04X): a DoIP message cannot be cut short",
		   e->cfg.address, e->io.tp.rx_len, e->io.tp.rx_pos,
		   isotp_strerror(e->io.tp.rx_err), e->io.tp.timer ? " " : "",
		   e->io.tp.timer ? e->io.tp.timer : "", k->s.peer, k->s.c.sa);
	k->ans_from = NULL;
	e->ans_to = NULL;
	e->nstash = 0;
	doip_conn_close(&k->s.c, DOIP_CL_CALLER);
	doip_srv_free(&k->s);
}

/* Tester k is gone: the ECU streaming to it is stopped (FC overflow). */
static void longans_closed(struct gwd_doip_conn *k)
{
	struct gwd_doip_ecu *e = k->ans_from;

	k->ans_from = NULL;
	if (!e || e->ans_to != k)
		return;
	e->ans_to = NULL;
	e->nstash = 0;
	e->answers_dropped++;
	isotp_io_rx_abort(&e->io);
}

/* Tester k's socket took bytes: the ECU streaming to it may go on. */
static void on_drained(struct doip_srv_conn *sk)
{
	struct gwd_doip_ecu *e = gwd_conn(sk)->ans_from;

	if (!e)
		return;
	if (e->nstash)
		longans_put(e, NULL, 0);
	else
		longans_room(e);
}

/* ISO-TP's streamed reception events of ECU e (k: whom its answer is for). */
static void longans_ev(struct gwd_doip_ecu *e, unsigned int ev, struct gwd_doip_conn *k)
{
	struct isotp *tp = &e->io.tp;
	struct gwd_doip *g = e->g;

	/* first: a stream cut (its reception failed, or a new message
	 * interrupted it: then a new one may start below) */
	if ((ev & ISOTP_EV_RX_ERR) && e->ans_to)
		longans_cut(e);
	if (!(ev & ISOTP_EV_RX_PIECE))
		return;
	if (ev & ISOTP_EV_RX_FF) {
		k = ecu_answer_to(e, tp->rx_piece, tp->rx_piece_len, k);
		e->answers++;
		/* no tester, or its output taken by another long answer */
		if (!k || k->ans_from ||
		    doip_conn_diag_begin(&k->s.c, e->cfg.address, k->s.c.sa, tp->rx_len,
					 gwd_now_ns())) {
			e->answers_dropped++;
			isotp_io_rx_abort(&e->io);
			return;
		}
		e->ans_to = k;
		e->nstash = 0;
		k->ans_from = e;
		e->answers_streamed++;
		if (k->tester >= 0)
			g->tstat[k->tester].answers++;
		if (g->d->verbose)
			gwd_logmsg(LOG_INFO, "doip: ECU 0x%04X: answer of %zu bytes streams to %s",
				   e->cfg.address, tp->rx_len, k->s.peer);
	}
	if (e->ans_to)
		longans_put(e, tp->rx_piece, tp->rx_piece_len);
}

static void ecu_ev(struct isotp_io *io, unsigned int ev, void *ctx)
{
	struct gwd_doip_ecu *e = ctx;
	struct gwd_doip_conn *k = ecu_owner(e);
	struct gwd_doip *g = e->g;

	if (ev & ISOTP_EV_TX_DONE) {
		e->sending = 0;
		ecu_phys_sent(e);
		if (k) {
			doip_conn_diag_ack(&k->s.c, e->cfg.address, DOIP_DIAG_ACK, NULL, 0,
					   gwd_now_ns());
			doip_srv_flush(&k->s);
			k = ecu_owner(e);
		}
	}
	/* a socket error (its bus went down) reaches every channel, sending
	 * or not: only a transfer in flight failed, and only its tester is
	 * NACKed, not the last one that asked */
	if ((ev & ISOTP_EV_TX_ERR) && e->sending) {
		/* a streamed request whose bytes stopped coming (N_Cs): the
		 * tester's transfer failed, not the ECU's bus */
		int stalled =
			e->feeder && !e->held_len && io->tp.timer && !strcmp(io->tp.timer, "N_Cs");
		struct gwd_doip_conn *f = stream_end(e);

		e->sending = 0;
		e->tx_errors++;
		if (g->d->verbose)
			gwd_logmsg(LOG_INFO, "doip: ECU 0x%04X: transfer failed: %s%s%s",
				   e->cfg.address, isotp_strerror(io->tp.tx_err),
				   io->tp.timer ? " " : "", io->tp.timer ? io->tp.timer : "");
		if (k) {
			refuse(k, e->cfg.address, stalled ? DOIP_DN_TP_ERROR : DOIP_DN_UNREACHABLE,
			       GWD_DOIP_REF_TP);
			doip_srv_flush(&k->s);
		}
		/* its socket reads on: the rest of the message is dropped */
		if (f && f->s.fd >= 0)
			doip_srv_release(&f->s);
		k = ecu_owner(e);
	}
	if ((ev & ISOTP_EV_TX_ROOM) && e->held_len)
		stream_feed(e);
	k = ecu_owner(e);
	if (ev & (ISOTP_EV_RX_ERR | ISOTP_EV_RX_PIECE))
		longans_ev(e, ev, k);
	if (ev & ISOTP_EV_RX) {
		k = ecu_answer_to(e, io->tp.rx_buf, io->tp.rx_len, k);
		e->answers++;
		if (!k || answer(k, e->cfg.address, io->tp.rx_buf, io->tp.rx_len))
			e->answers_dropped++;
		else if (k->tester >= 0)
			g->tstat[k->tester].answers++;
	}
	if (ev & ISOTP_EV_RX_ERR)
		e->rx_errors++;
}

/* ---- functional addressing (doip: functional:)
 *
 * A request to a functional address goes out once, as one single frame
 * on its bus's functional id (its own send-only socket: the ECUs'
 * sockets take only their answer ids).  Each ECU of that bus then
 * "owes" that tester the answers with the request's SID (0x78s too) for
 * FUNC_WINDOW_NS after the request or its last 0x78: its own socket
 * carries them back from its own logical address, as a physical answer.
 * An ECU that is sending another tester's request, or whose answer
 * another tester is waiting for, is left out (counted busy): its answers
 * could not be told apart, and they go to the tester that asked it
 * physically.  A physical request to an ECU ends what it owed.
 */
#define FUNC_WINDOW_NS 5000000000ull /* ISO 14229-2 P2*server_max, 5 s */

static void func_ev(struct isotp_io *io, unsigned int ev, void *ctx);

static struct gwd_doip_func *func_of(struct gwd_doip *g, uint16_t ta)
{
	size_t i;

	for (i = 0; g->funcs && i < g->cfg.nfuncs; i++)
		if (g->funcs[i].cfg.address == ta)
			return &g->funcs[i];
	return NULL;
}

static int func_bus_up(const struct gwd_doip_func *f)
{
	const struct gwd *d = f->g->d;
	size_t i;

	for (i = 0; i < d->conf.nifs; i++)
		if (!strcmp(d->conf.ifname[i], f->ifname))
			return d->ifs[i].open && !d->ifs[i].held;
	return 0;
}

static int func_open(struct gwd_doip_func *f)
{
	int r;

	if (f->open && !f->io.err)
		return 0;
	if (f->open) {
		isotp_io_close(&f->io);
		f->open = 0;
		f->sending = 0;
	}
	r = isotp_io_open(&f->io, f->g->loop, f->ifname, &f->cfg.tp, f->rx, sizeof(f->rx), func_ev,
			  f);
	if (!r)
		f->open = 1;
	return r;
}

/* The largest request one single frame of f carries. */
static size_t func_sf_max(const struct gwd_doip_func *f)
{
	size_t ae = f->cfg.tp.tx_ae >= 0;

	return f->cfg.tp.tx_dl > 8 ? (size_t)f->cfg.tp.tx_dl - 2 - ae : 7 - ae;
}

/* Our socket only sends: another tester's single frame on the id is
 * read and ignored (FFs are not answered: cfg.functional). */
static void func_ev(struct isotp_io *io, unsigned int ev, void *ctx)
{
	struct gwd_doip_func *f = ctx;

	(void)io;
	if (ev & (ISOTP_EV_TX_DONE | ISOTP_EV_TX_ERR))
		f->sending = 0;
	if (ev & ISOTP_EV_TX_ERR) {
		size_t i;

		f->tx_errors++;
		/* nothing went out: nothing is owed */
		for (i = 0; i < f->g->necus; i++)
			if (f->g->ecus[i].cfg.ifidx == f->cfg.ifidx)
				f->g->ecus[i].fowner = NULL;
		gwd_logmsg(LOG_WARNING, "doip: functional 0x%04X on %s: the request did not go out",
			   f->cfg.address, f->ifname);
	}
}

/* Busy for a functional request of k: sending, or another tester waits
 * for its answer. */
static int ecu_busy_for(const struct gwd_doip_ecu *e, const struct gwd_doip_conn *k, uint64_t now)
{
	if (e->sending || (e->ans_to && e->ans_to != k))
		return 1;
	return now < e->await_until && e->owner && e->owner != k;
}

/* The functional request req[0..len) of k to f: every check passed. */
static int func_send(struct gwd_doip_conn *k, struct gwd_doip_func *f, const uint8_t *req,
		     size_t len, uint64_t now)
{
	struct gwd_doip *g = f->g;
	size_t i;
	int r;

	memcpy(f->req, req, len);
	f->sending = 1;
	r = isotp_io_send(&f->io, f->req, len);
	if (r) {
		f->sending = 0;
		f->tx_errors++;
		return r;
	}
	f->requests++;
	for (i = 0; i < g->necus; i++) {
		struct gwd_doip_ecu *e = &g->ecus[i];

		if (e->cfg.ifidx != f->cfg.ifidx)
			continue;
		/* its socket must be open to hear the answer */
		if (ecu_busy_for(e, k, now) || ecu_open(e)) {
			f->ecus_busy++;
			continue;
		}
		f->ecus_asked++;
		e->fowner = k;
		e->fowner_sa = k->s.c.sa;
		e->fsid = req[0];
		e->f_until = now + FUNC_WINDOW_NS;
	}
	return 0;
}

/* A functional request from k: refused as a physical one would be (the
 * firewall answers 7F SID 33 from the functional address), else ACKed
 * once its frame is handed to the socket: the ECUs' answers come in on
 * their own sockets and could overtake a confirmation on this one. */
static void func_diag(struct gwd_doip_conn *k, struct gwd_doip_func *f, const struct doip_ev *ev,
		      uint64_t now)
{
	struct gwd_doip *g = f->g;
	uint16_t ta = f->cfg.address;
	const uint8_t *req = ev->m.u.diag.data;
	size_t len = ev->m.u.diag.len;
	int whole = !ev->off && len == ev->total;

	if (!whole || ev->total > func_sf_max(f)) {
		refuse(k, ta, DOIP_DN_TOO_LARGE, GWD_DOIP_REF_TOO_LARGE);
	} else if (k->tester < 0 ||
		   !gw_firewall_allows(&g->cfg.testers[k->tester].fw,
				       gw_engine_workshop_on(g->d->conf.engine), req, len)) {
		uint8_t nr[3] = {0x7F, req[0], NRC_SEC};

		if (k->tester >= 0)
			g->tstat[k->tester].refused[GWD_DOIP_REF_FIREWALL]++;
		doip_conn_diag_ack(&k->s.c, ta, DOIP_DIAG_ACK, NULL, 0, now);
		if (g->d->verbose)
			gwd_logmsg(
				LOG_NOTICE,
				"doip: tester 0x%04X to functional 0x%04X: SID 0x%02X refused by "
				"its firewall",
				k->s.c.sa, ta, req[0]);
		answer(k, ta, nr, sizeof(nr));
	} else if (!func_bus_up(f) || func_open(f)) {
		refuse(k, ta, DOIP_DN_UNREACHABLE, GWD_DOIP_REF_UNREACHABLE);
	} else if (f->sending) {
		uint8_t nr[3] = {0x7F, req[0], NRC_BUSY};

		g->tstat[k->tester].refused[GWD_DOIP_REF_BUSY]++;
		doip_conn_diag_ack(&k->s.c, ta, DOIP_DIAG_ACK, NULL, 0, now);
		answer(k, ta, nr, sizeof(nr));
	} else if (func_send(k, f, req, len, now)) {
		refuse(k, ta, DOIP_DN_UNREACHABLE, GWD_DOIP_REF_TP);
	} else {
		g->tstat[k->tester].forwarded++;
		doip_conn_diag_ack(&k->s.c, ta, DOIP_DIAG_ACK, NULL, 0, now);
		doip_srv_flush(&k->s);
	}
	if (!whole && k->s.fd >= 0)
		doip_conn_diag_drop(&k->s.c);
}

/* A physical request went out to e: what it owed a functional request
 * is over, its answer is awaited. */
static void ecu_phys_sent(struct gwd_doip_ecu *e)
{
	e->fowner = NULL;
	e->await_until = gwd_now_ns() + FUNC_WINDOW_NS;
}

/*
 * Whom ECU e's answer p[0..n) goes to: the tester of a functional
 * request it still owes (same SID), else its physical owner (phys, from
 * ecu_owner()).  Keeps the windows: a 0x78 extends one, a final answer
 * ends it.
 */
static struct gwd_doip_conn *ecu_answer_to(struct gwd_doip_ecu *e, const uint8_t *p, size_t n,
					   struct gwd_doip_conn *phys)
{
	uint64_t now = gwd_now_ns();
	int neg = n >= 2 && p[0] == 0x7F;
	uint8_t sid = neg ? p[1] : n ? (uint8_t)(p[0] - 0x40) : 0;
	int pending = neg && n >= 3 && p[2] == 0x78;
	struct gwd_doip_conn *k = e->fowner;

	if (k && now < e->f_until && n && sid == e->fsid) {
		if (pending)
			e->f_until = now + FUNC_WINDOW_NS;
		else
			e->fowner = NULL;
		e->f_answers++;
		if (k->s.fd < 0 || !k->s.c.active || k->s.c.sa != e->fowner_sa)
			return NULL; /* it left: dropped, counted by the caller */
		return k;
	}
	if (pending)
		e->await_until = now + FUNC_WINDOW_NS;
	else
		e->await_until = 0;
	return phys;
}

/*
 * A diagnostic message (or a piece of one) from tester socket k.  Whole
 * and up to the ECU's max_len: copied and sent as one ISO-TP message.
 * Larger, up to max_request: streamed through the ECU's ring as it
 * arrives (isotp_send_stream()), k's input held while the ring is full,
 * so memory stays at the ring whatever the length.
 */
static void on_diag(struct doip_srv_conn *sk, const struct doip_ev *ev, uint64_t now)
{
	struct gwd_doip_conn *k = gwd_conn(sk);
	struct gwd_doip *g = sk->srv->ctx;
	uint16_t ta = ev->m.u.diag.ta;
	const uint8_t *data = ev->m.u.diag.data, *req = data;
	size_t len = ev->m.u.diag.len, rlen = len;
	struct gwd_doip_ecu *e = ecu_of(g, ta);
	int whole = !ev->off && len == ev->total, refused = 1;
	uint8_t hd[2];

	if (ev->off && k->stream) {
		stream_in(k->stream, k, data, len, ev->off + len == ev->total);
		return;
	}
	if (ev->off && !(ev->off == 1 && k->nhead))
		return; /* the rest of one refused: dropped by the engine */
	if (ev->off) {
		/* the firewall judges SID and sub-function: both are here now */
		hd[0] = k->head;
		hd[1] = data[0];
		k->nhead = 0;
		req = hd;
		rlen = 2;
	} else {
		if (k->tester >= 0)
			g->tstat[k->tester].requests++;
		if (!e && func_of(g, ta)) {
			func_diag(k, func_of(g, ta), ev, now);
			return;
		}
		if (!whole && len == 1 && e) {
			k->head = data[0];
			k->nhead = 1;
			return;
		}
	}
	if (!e) {
		refuse(k, ta, DOIP_DN_UNKNOWN_TA, GWD_DOIP_REF_UNKNOWN);
	} else if (ev->total > e->cfg.max_request) {
		refuse(k, ta, DOIP_DN_TOO_LARGE, GWD_DOIP_REF_TOO_LARGE);
	} else if (k->tester < 0 ||
		   !gw_firewall_allows(&g->cfg.testers[k->tester].fw,
				       gw_engine_workshop_on(g->d->conf.engine), req, rlen)) {
		/* acknowledged, then refused in UDS as the ECU would: the
		 * tester's stack sees an answer, CAN sees nothing */
		uint8_t nr[3] = {0x7F, req[0], NRC_SEC};

		if (k->tester >= 0)
			g->tstat[k->tester].refused[GWD_DOIP_REF_FIREWALL]++;
		doip_conn_diag_ack(&k->s.c, ta, DOIP_DIAG_ACK, NULL, 0, now);
		if (g->d->verbose)
			gwd_logmsg(LOG_NOTICE,
				   "doip: tester 0x%04X to ECU 0x%04X: SID 0x%02X refused by its "
				   "firewall",
				   k->s.c.sa, ta, req[0]);
		answer(k, ta, nr, sizeof(nr));
	} else if (!ecu_bus_up(e) || ecu_open(e)) {
		refuse(k, ta, DOIP_DN_UNREACHABLE, GWD_DOIP_REF_UNREACHABLE);
	} else if (ecu_busy_for(e, k, now)) {
		/* sending, or another tester awaits its answer: the answers go
		 * to the last requester, so this one would take them */
		uint8_t nr[3] = {0x7F, req[0], NRC_BUSY};

		g->tstat[k->tester].refused[GWD_DOIP_REF_BUSY]++;
		doip_conn_diag_ack(&k->s.c, ta, DOIP_DIAG_ACK, NULL, 0, now);
		answer(k, ta, nr, sizeof(nr));
	} else if (whole && len <= e->cfg.max_len) {
		/* isotp borrows the request until TX_DONE: our copy, as the
		 * engine's buffer is reused by the next message */
		refused = 0;
		memcpy(e->req, req, len);
		e->owner = k;
		e->owner_sa = k->s.c.sa;
		e->sending = 1;
		if (isotp_io_send(&e->io, e->req, len)) {
			e->sending = 0;
			refuse(k, ta, DOIP_DN_UNREACHABLE, GWD_DOIP_REF_TP);
		} else {
			e->requests++;
			g->tstat[k->tester].forwarded++;
		}
	} else if (isotp_io_send_stream(&e->io, (size_t)ev->total, e->ring, GWD_DOIP_RING)) {
		refuse(k, ta, DOIP_DN_UNREACHABLE, GWD_DOIP_REF_TP);
	} else {
		refused = 0;
		e->owner = k;
		e->owner_sa = k->s.c.sa;
		e->sending = 1;
		e->requests++;
		g->tstat[k->tester].forwarded++;
		e->feeder = k;
		k->stream = whole ? NULL : e;
		if (ev->off) /* the first byte, kept for the firewall */
			isotp_io_feed(&e->io, &k->head, 1);
		stream_in(e, k, data, len, whole || ev->off + len == ev->total);
	}
	if (refused && !whole && k->s.fd >= 0)
		doip_conn_diag_drop(&k->s.c);
}

static const struct doip_srv_ops gwd_ops = {
	.ra = on_ra,
	.ra_done = on_ra_done,
	.diag = on_diag,
	.closed = on_closed,
	.drained = on_drained,
};

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gwd_doip *g = w->data;
	struct doip_conn_cfg cc;
	struct gwd_doip_conn *k;
	struct doip_srv_conn *sk;
	int r;

	(void)loop;
	(void)revents;
	doip_conn_cfg_init(&cc, DOIP_ENTITY, g->ent.la);
	/* no target table: on_diag() judges each target itself, to count
	 * every refusal per tester and reason */
	r = doip_srv_accept(&g->srv, g->lfd, &cc, &sk);
	if (r == -EBUSY) /* every socket taken, the one kept to refuse with 0x01 too */
		g->refused++;
	if (r)
		return;
	k = gwd_conn(sk);
	k->tester = -1;
	k->since = 0;
	k->stream = NULL;
	k->nhead = 0;
	k->ans_from = NULL;
	g->st.ncts++;
	g->accepted++;
	if (g->d->verbose)
		gwd_logmsg(LOG_INFO, "doip: tester %s connected", k->s.peer);
}

/* ---- UDP: vehicle identification, entity status, power mode */

static void on_udp(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gwd_doip *g = w->data;
	struct sockaddr_in from;
	size_t nin, nout;
	int r;

	(void)loop;
	(void)revents;
	r = doip_srv_udp_answer(g->ufd, &g->ent, &g->st, &from, &nin, &nout);
	if (r == -EAGAIN)
		return;
	g->udp_in++;
	if (!r)
		g->udp_unanswered++;
	else if (r == 1)
		g->udp_out++;
	else
		g->udp_send_err++;
}

/* ---- functional addresses: their sockets and counters */

/* One socket per functional address, opened now if its bus is there
 * (else at its first request, as an ECU's).  Returns 0 or -ENOMEM. */
static int funcs_open(struct gwd_doip *g)
{
	size_t i;

	if (!g->cfg.nfuncs)
		return 0;
	g->funcs = calloc(g->cfg.nfuncs, sizeof(*g->funcs));
	if (!g->funcs)
		return -ENOMEM;
	for (i = 0; i < g->cfg.nfuncs; i++) {
		struct gwd_doip_func *f = &g->funcs[i];

		f->g = g;
		f->cfg = g->cfg.funcs[i];
		snprintf(f->ifname, sizeof(f->ifname), "%s", g->d->conf.ifname[f->cfg.ifidx]);
		func_open(f);
	}
	return 0;
}

static void funcs_close(struct gwd_doip *g)
{
	size_t i;

	for (i = 0; g->funcs && i < g->cfg.nfuncs; i++)
		if (g->funcs[i].open)
			isotp_io_close(&g->funcs[i].io);
	free(g->funcs);
	g->funcs = NULL;
}

static void funcs_print(const struct gwd_doip *g, FILE *f)
{
	size_t i;

	for (i = 0; g->funcs && i < g->cfg.nfuncs; i++) {
		const struct gwd_doip_func *x = &g->funcs[i];

		fprintf(f,
			"doip functional 0x%04X on %s (0x%X): requests %llu, ECUs asked %llu, "
			"ECUs busy %llu, transfer errors %llu\n",
			x->cfg.address, x->ifname, x->cfg.tp.tx_id, (unsigned long long)x->requests,
			(unsigned long long)x->ecus_asked, (unsigned long long)x->ecus_busy,
			(unsigned long long)x->tx_errors);
	}
	for (i = 0; g->funcs && i < g->necus; i++)
		if (g->ecus[i].f_answers)
			fprintf(f, "doip ecu 0x%04X: answers to functional requests %llu\n",
				g->ecus[i].cfg.address, (unsigned long long)g->ecus[i].f_answers);
	/* beyond max_len ("long answers"): only where there were some */
	for (i = 0; i < g->necus; i++)
		if (g->ecus[i].answers_streamed)
			fprintf(f, "doip ecu 0x%04X: long answers streamed %llu, cut %llu\n",
				g->ecus[i].cfg.address,
				(unsigned long long)g->ecus[i].answers_streamed,
				(unsigned long long)g->ecus[i].answers_cut);
}

/* The "functional" member of the doip object of stats --json. */
static void funcs_json(const struct gwd_doip *g, FILE *f)
{
	size_t i;

	fprintf(f, ",\"functional\":[");
	for (i = 0; g->funcs && i < g->cfg.nfuncs; i++) {
		const struct gwd_doip_func *x = &g->funcs[i];

		fprintf(f,
			"%s{\"address\":%u,\"interface\":\"%s\",\"id\":%u,\"requests\":%llu,"
			"\"ecus_asked\":%llu,\"ecus_busy\":%llu,\"tx_errors\":%llu}",
			i ? "," : "", x->cfg.address, x->ifname, x->cfg.tp.tx_id,
			(unsigned long long)x->requests, (unsigned long long)x->ecus_asked,
			(unsigned long long)x->ecus_busy, (unsigned long long)x->tx_errors);
	}
	fprintf(f, "]");
}

/* ---- diagnostic power mode (0x4003 / 0x4004), set by the control socket */

static const char *const power_names[] = {"not-ready", "ready", "not-supported"};

static const char *power_name(uint8_t p)
{
	return p < 3 ? power_names[p] : "?";
}

void gwd_doip_power(struct gwd *d, const char *mode, FILE *f, const struct ucred *who)
{
	struct gwd_doip *g = d->doip;
	uint8_t p;

	if (!g) {
		fprintf(f, "error: doip power: %s has no doip: section\n", d->path);
		return;
	}
	if (!mode) {
		fprintf(f, "doip power mode %s\n", power_name(g->st.power));
		return;
	}
	for (p = 0; p < 3 && strcmp(mode, power_names[p]); p++)
		;
	if (p == 3) {
		fprintf(f, "error: doip power: ready, not-ready or not-supported, not '%.32s'\n",
			mode);
		return;
	}
	/* plain state: the next 0x4003 is answered with it */
	g->st.power = p;
	gwd_logmsg(LOG_NOTICE, "doip: power mode %s by uid %u pid %d", power_name(p), who->uid,
		   who->pid);
	fprintf(f, "doip power mode %s\n", power_name(p));
}

/* status: what the entity says of itself beyond its sockets */
static void status_more(const struct gwd_doip *g, FILE *f)
{
	fprintf(f, "doip: power mode %s", power_name(g->st.power));
	if (g->cfg.announce)
		fprintf(f, ", announcements sent %llu, failed %llu",
			(unsigned long long)g->ann_sent, (unsigned long long)g->ann_err);
	fputc('\n', f);
}

/* ---- status and counters (the control socket's status, stats) */

void gwd_doip_print(struct gwd *d, FILE *f, int stats)
{
	struct gwd_doip *g = d->doip;
	uint64_t now = gwd_now_ns();
	size_t i, r;

	if (!g)
		return;
	if (!stats) {
		fprintf(f, "doip: entity 0x%04X, %u of %u tester sockets registered\n", g->ent.la,
			(unsigned int)g->st.ncts, (unsigned int)g->cfg.max_testers);
		status_more(g, f);
		for (i = 0; i < g->nconns; i++) {
			const struct gwd_doip_conn *k = &g->conns[i];

			if (k->s.fd < 0)
				continue;
			if (!k->s.c.active)
				fprintf(f, "doip tester ?: %s, not activated\n", k->s.peer);
			else
				fprintf(f, "doip tester 0x%04X: %s, activation %s, since %.1f s\n",
					k->s.c.sa, k->s.peer,
					k->act_type == DOIP_ACT_WWH_OBD ? "wwh-obd" : "default",
					(double)(now - k->since) / 1e9);
		}
		return;
	}
	fprintf(f,
		"doip: tcp accepted %llu, refused %llu, activations from unknown testers %llu, "
		"udp in %llu, out %llu, unanswered %llu, send errors %llu\n",
		(unsigned long long)g->accepted, (unsigned long long)g->refused,
		(unsigned long long)g->ra_unknown, (unsigned long long)g->udp_in,
		(unsigned long long)g->udp_out, (unsigned long long)g->udp_unanswered,
		(unsigned long long)g->udp_send_err);
	for (i = 0; i < g->cfg.ntesters; i++) {
		const struct gwd_doip_tstat *t = &g->tstat[i];

		fprintf(f,
			"doip tester 0x%04X: activations %llu, activations refused %llu, "
			"requests %llu, forwarded %llu, answers %llu",
			g->cfg.testers[i].address, (unsigned long long)t->activations,
			(unsigned long long)t->ra_refused, (unsigned long long)t->requests,
			(unsigned long long)t->forwarded, (unsigned long long)t->answers);
		for (r = 0; r < GWD_DOIP_REF_N; r++)
			if (t->refused[r])
				fprintf(f, ", %s %llu",
					gwd_doip_refuse_name((enum gwd_doip_refuse)r),
					(unsigned long long)t->refused[r]);
		fputc('\n', f);
	}
	for (i = 0; i < g->necus; i++) {
		const struct gwd_doip_ecu *e = &g->ecus[i];

		fprintf(f,
			"doip ecu 0x%04X on %s: requests %llu, answers %llu, transfer errors %llu, "
			"receive errors %llu, answers dropped %llu\n",
			e->cfg.address, e->ifname, (unsigned long long)e->requests,
			(unsigned long long)e->answers, (unsigned long long)e->tx_errors,
			(unsigned long long)e->rx_errors, (unsigned long long)e->answers_dropped);
	}
	funcs_print(g, f);
}

/* The counters as the "doip" member of stats --json (its leading comma
 * included); nothing without a doip: section. */
void gwd_doip_json(struct gwd *d, FILE *f)
{
	struct gwd_doip *g = d->doip;
	size_t i, r;

	if (!g)
		return;
	fprintf(f,
		",\"doip\":{\"accepted\":%llu,\"refused\":%llu,\"ra_unknown\":%llu,"
		"\"udp_in\":%llu,\"udp_out\":%llu,\"udp_unanswered\":%llu,"
		"\"udp_send_err\":%llu,\"testers\":[",
		(unsigned long long)g->accepted, (unsigned long long)g->refused,
		(unsigned long long)g->ra_unknown, (unsigned long long)g->udp_in,
		(unsigned long long)g->udp_out, (unsigned long long)g->udp_unanswered,
		(unsigned long long)g->udp_send_err);
	for (i = 0; i < g->cfg.ntesters; i++) {
		const struct gwd_doip_tstat *t = &g->tstat[i];

		fprintf(f,
			"%s{\"address\":%u,\"activations\":%llu,\"ra_refused\":%llu,"
			"\"requests\":%llu,\"forwarded\":%llu,\"answers\":%llu,\"refused\":{",
			i ? "," : "", g->cfg.testers[i].address, (unsigned long long)t->activations,
			(unsigned long long)t->ra_refused, (unsigned long long)t->requests,
			(unsigned long long)t->forwarded, (unsigned long long)t->answers);
		for (r = 0; r < GWD_DOIP_REF_N; r++)
			fprintf(f, "%s\"%s\":%llu", r ? "," : "",
				gwd_doip_refuse_name((enum gwd_doip_refuse)r),
				(unsigned long long)t->refused[r]);
		fprintf(f, "}}");
	}
	fprintf(f, "],\"ecus\":[");
	for (i = 0; i < g->necus; i++) {
		const struct gwd_doip_ecu *e = &g->ecus[i];

		fprintf(f,
			"%s{\"address\":%u,\"interface\":\"%s\",\"requests\":%llu,"
			"\"answers\":%llu,\"tx_errors\":%llu,\"rx_errors\":%llu,"
			"\"answers_dropped\":%llu,\"answers_streamed\":%llu,\"answers_cut\":%llu}",
			i ? "," : "", e->cfg.address, e->ifname, (unsigned long long)e->requests,
			(unsigned long long)e->answers, (unsigned long long)e->tx_errors,
			(unsigned long long)e->rx_errors, (unsigned long long)e->answers_dropped,
			(unsigned long long)e->answers_streamed,
			(unsigned long long)e->answers_cut);
	}
	fprintf(f, "]");
	funcs_json(g, f);
	fprintf(f, "}");
}

/* Only the testers (and their firewalls) differ between a and b? */
static int only_testers_differ(const struct gw_doip_conf *a, const struct gw_doip_conf *b)
{
	static struct gw_doip_conf t; /* ~20 KiB: not on the stack; the loop's thread only */

	t = *a;
	memcpy(t.testers, b->testers, sizeof(t.testers));
	t.ntesters = b->ntesters;
	return !memcmp(&t, b, sizeof(t));
}

/*
 * A reload: the testers and their firewalls apply at once (plain data;
 * counters follow each address, sockets of a tester no longer listed
 * close); anything else (listen, addresses, ECUs) needs new sockets and
 * is only logged, to take effect at the next start.  Both sides come
 * from zeroed memory, so memcmp is exact.
 */
void gwd_doip_reloaded(struct gwd *d)
{
	const struct gw_doip_conf *c = &d->conf.doip;
	static struct gwd_doip_tstat ts[GW_DOIP_TESTERS_MAX];
	struct gwd_doip *g = d->doip;
	int idx[GW_DOIP_SOCKETS_MAX + 1];
	size_t i, gone = 0;

	if (!g || !c->on) {
		if (!g != !c->on)
			gwd_logmsg(LOG_WARNING,
				   "reload: the doip: section was %s; that takes effect "
				   "at the next start of canrigd",
				   g ? "removed" : "added");
		return;
	}
	if (!memcmp(c, &g->cfg, sizeof(*c)))
		return;
	if (!only_testers_differ(c, &g->cfg)) {
		gwd_logmsg(LOG_WARNING, "reload: the doip: section changed beyond its testers; "
					"that takes effect at the next start of canrigd");
		return;
	}
	/* first the new list and counters, then the closes: closing one
	 * socket may answer another's activation, which reads the list */
	memset(ts, 0, sizeof(ts));
	for (i = 0; i < c->ntesters; i++) {
		int o = tester_of(g, c->testers[i].address);

		if (o >= 0)
			ts[i] = g->tstat[o];
	}
	for (i = 0; i < g->nconns; i++) {
		const struct gwd_doip_conn *k = &g->conns[i];
		size_t j;

		idx[i] = -2; /* not activated now: left alone below */
		if (k->s.fd < 0 || k->tester < 0)
			continue;
		idx[i] = -1;
		for (j = 0; j < c->ntesters; j++)
			if (c->testers[j].address == g->cfg.testers[k->tester].address)
				idx[i] = (int)j;
	}
	memcpy(g->tstat, ts, sizeof(ts));
	memcpy(g->cfg.testers, c->testers, sizeof(c->testers));
	g->cfg.ntesters = c->ntesters;
	for (i = 0; i < g->nconns; i++) {
		struct gwd_doip_conn *k = &g->conns[i];

		/* activated meanwhile (a close above decided it): by the new list */
		if (k->s.fd < 0 || idx[i] == -2)
			continue;
		k->tester = idx[i];
		if (idx[i] < 0) {
			gone++;
			doip_conn_close(&k->s.c, DOIP_CL_CALLER);
			doip_srv_free(&k->s);
		}
	}
	gwd_logmsg(LOG_NOTICE, "reload: doip: %zu tester%s and their firewalls applied%s",
		   c->ntesters, gwd_plural(c->ntesters),
		   gone ? "; sockets of removed testers closed" : "");
}

/* ---- vehicle announcements (announce: true)
 *
 * ISO 13400-2: A_DoIP_Announce_Num (3) announcements, the identification
 * answer's body as payload 0x0004, A_DoIP_Announce_Interval (500 ms)
 * apart, the first after A_DoIP_Announce_Wait (random, 0..500 ms, so
 * that entities powered up together do not all speak at once); to UDP
 * port `port` at the broadcast address of the listen address's network.
 */
#define ANN_NUM		3
#define ANN_INTERVAL_S	0.5
#define ANN_WAIT_MAX_MS 500

static void on_announce(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gwd_doip *g = w->data;
	uint8_t out[128];
	size_t n;

	(void)revents;
	if (!doip_entity_vid(&g->ent, &g->st, 0, out, sizeof(out), &n) &&
	    sendto(g->ufd, out, n, 0, (const struct sockaddr *)&g->ann_to, sizeof(g->ann_to)) ==
		    (ssize_t)n)
		g->ann_sent++;
	else
		g->ann_err++;
	if (--g->ann_left <= 0)
		ev_timer_stop(loop, w);
}

/* Where announcements go: the broadcast address of a's interface, or of
 * its network from the netmask where the interface has none (loopback:
 * 127.255.255.255, which Linux delivers on the host); INADDR_ANY, or an
 * address no interface holds: the limited broadcast 255.255.255.255. */
static struct in_addr bcast_of(struct in_addr a, char *ifname, size_t cap)
{
	struct in_addr b = {.s_addr = INADDR_BROADCAST};
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa))
		return b;
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(void *)i->ifa_addr;

		if (!in || in->sin_family != AF_INET || in->sin_addr.s_addr != a.s_addr)
			continue;
		snprintf(ifname, cap, "%s", i->ifa_name);
		if ((i->ifa_flags & IFF_BROADCAST) && i->ifa_broadaddr)
			b = ((const struct sockaddr_in *)(void *)i->ifa_broadaddr)->sin_addr;
		else if (i->ifa_netmask)
			b.s_addr = a.s_addr | ~((const struct sockaddr_in *)(void *)i->ifa_netmask)
						       ->sin_addr.s_addr;
		break;
	}
	freeifaddrs(ifa);
	return b;
}

static void announce_start(struct gwd_doip *g, const struct sockaddr_in *sa)
{
	double wait = (double)((gwd_now_ns() ^ (uint64_t)getpid()) % (ANN_WAIT_MAX_MS + 1)) / 1e3;

	if (!g->cfg.announce)
		return;
	memset(&g->ann_to, 0, sizeof(g->ann_to));
	g->ann_to.sin_family = AF_INET;
	g->ann_to.sin_port = sa->sin_port;
	g->ann_to.sin_addr = bcast_of(sa->sin_addr, g->ann_if, sizeof(g->ann_if));
	g->ann_if_running = 1; /* it holds the address we just bound */
	g->ann_left = ANN_NUM;
	ev_timer_init(&g->ann_tm, on_announce, wait, ANN_INTERVAL_S);
	g->ann_tm.data = g;
	ev_timer_start(g->loop, &g->ann_tm);
	gwd_logmsg(LOG_INFO, "doip: %d vehicle announcements to %s:%u, the first in %.0f ms",
		   ANN_NUM, inet_ntoa(g->ann_to.sin_addr), ntohs(g->ann_to.sin_port), wait * 1e3);
}

/* A link event (canrigd's rtnetlink watcher): the listen address's
 * interface back up (up and running after it was not) announces the
 * vehicle again, as ISO 13400-2 asks after every link-up. */
void gwd_doip_link(struct gwd *d, const struct cio_link_ev *ev)
{
	struct gwd_doip *g = d->doip;
	int run;
	double wait;

	if (!g || !g->cfg.announce || !g->ann_if[0] || strcmp(ev->ifname, g->ann_if))
		return;
	run = !ev->deleted && ev->up && ev->running;
	if (run && !g->ann_if_running) {
		wait = (double)((gwd_now_ns() ^ (uint64_t)getpid()) % (ANN_WAIT_MAX_MS + 1)) / 1e3;
		g->ann_left = ANN_NUM;
		ev_timer_stop(g->loop, &g->ann_tm);
		ev_timer_set(&g->ann_tm, wait, ANN_INTERVAL_S);
		ev_timer_start(g->loop, &g->ann_tm);
		gwd_logmsg(LOG_INFO, "doip: %s up: %d vehicle announcements again", g->ann_if,
			   ANN_NUM);
	}
	g->ann_if_running = run;
}

/* ---- setup */

/* The IPv4 address of interface name (listen: an interface). */
static int if_addr(const char *name, struct in_addr *a)
{
	struct ifaddrs *ifa, *i;
	int r = -EADDRNOTAVAIL;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    !strcmp(i->ifa_name, name)) {
			*a = ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
			r = 0;
			break;
		}
	freeifaddrs(ifa);
	return r;
}

/* The MAC of the interface holding address a (the default EID); zeros
 * when none has one (loopback). */
static void eid_of(struct in_addr a, uint8_t *eid)
{
	struct ifaddrs *ifa, *i;
	struct ifreq ifr;
	int fd;

	memset(eid, 0, DOIP_EID_LEN);
	if (getifaddrs(&ifa))
		return;
	memset(&ifr, 0, sizeof(ifr));
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr.s_addr == a.s_addr) {
			snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->ifa_name);
			break;
		}
	freeifaddrs(ifa);
	if (!ifr.ifr_name[0])
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr))
		memcpy(eid, ifr.ifr_hwaddr.sa_data, DOIP_EID_LEN);
	close(fd);
}

static int open_sock(int type, const struct sockaddr_in *sa)
{
	int fd = doip_srv_open_sock(type, sa), e;

	if (fd < 0) {
		e = fd;
		gwd_logmsg(LOG_ERR, "doip: %s port %u on %s: %s",
			   type == SOCK_STREAM ? "TCP" : "UDP", ntohs(sa->sin_port),
			   inet_ntoa(sa->sin_addr), strerror(-e));
		return e;
	}
	return fd;
}

int gwd_doip_open(struct gwd *d)
{
	const struct gw_doip_conf *c = &d->conf.doip;
	struct sockaddr_in sa;
	struct gwd_doip *g;
	size_t i;
	int e;

	if (!c->on)
		return 0;
	g = calloc(1, sizeof(*g));
	if (!g)
		goto out_nomem;
	d->doip = g;
	g->d = d;
	g->loop = d->loop;
	/* the entity keeps the doip: section it started with (a reload
	 * does not change it yet: docs/doip-gateway-plan.md) */
	g->cfg = *c;
	g->ufd = g->lfd = -1;
	g->nconns = (size_t)c->max_testers + 1; /* + one to refuse with 0x01 */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(c->port);
	if (c->listen_is_if) {
		e = if_addr(c->listen, &sa.sin_addr);
		if (e) {
			gwd_logmsg(LOG_ERR, "doip: listen: %s has no IPv4 address: %s", c->listen,
				   strerror(-e));
			goto out_err;
		}
	} else if (inet_pton(AF_INET, c->listen, &sa.sin_addr) != 1) {
		e = -EINVAL; /* the loader checked it */
		goto out_err;
	}
	doip_entity_init(&g->ent);
	g->ent.la = c->la;
	memcpy(g->ent.vin, c->vin, DOIP_VIN_LEN);
	if (c->has_eid)
		memcpy(g->ent.eid, c->eid, DOIP_EID_LEN);
	else
		eid_of(sa.sin_addr, g->ent.eid);
	memcpy(g->ent.gid, c->has_gid ? c->gid : g->ent.eid, DOIP_EID_LEN);
	g->ent.further_action = c->further_action;
	g->ent.mcts = c->max_testers;
	g->st.power = DOIP_PM_READY;
	g->necus = c->necus;
	g->ecus = calloc(c->necus, sizeof(*g->ecus));
	g->conns = calloc(g->nconns, sizeof(*g->conns));
	if (!g->ecus || !g->conns)
		goto out_nomem;
	/* free slots before anything can fail: the cleanup closes the others */
	doip_srv_init(&g->srv, g->loop, &gwd_ops, g, g->conns, g->nconns, sizeof(*g->conns));
	g->rx_cap = 8;
	for (i = 0; i < c->necus; i++) {
		struct gwd_doip_ecu *x = &g->ecus[i];

		x->g = g;
		x->cfg = c->ecus[i];
		snprintf(x->ifname, sizeof(x->ifname), "%s", d->conf.ifname[x->cfg.ifidx]);
		x->rx = malloc(x->cfg.max_len);
		x->req = malloc(x->cfg.max_len);
		/* only with requests beyond max_len; untouched pages cost nothing */
		x->ring = x->cfg.max_request > x->cfg.max_len ? malloc(GWD_DOIP_RING) : NULL;
		if (!x->rx || !x->req || (!x->ring && x->cfg.max_request > x->cfg.max_len))
			goto out_nomem;
		if (x->cfg.max_len > g->rx_cap)
			g->rx_cap = x->cfg.max_len;
		/* absent bus: opened at its first request */
		ecu_open(x);
	}
	if (funcs_open(g))
		goto out_nomem;
	/* room for an answer and a 0x78 behind what is unsent */
	g->tx_cap = 2 * (g->rx_cap + 12) + 256;
	g->srv.rx_cap = g->rx_cap;
	g->srv.tx_cap = g->tx_cap;
	for (i = 0; i < g->nconns; i++) {
		struct gwd_doip_conn *k = &g->conns[i];

		k->tester = -1;
		k->s.rx = malloc(g->rx_cap);
		k->s.tx = malloc(g->tx_cap);
		k->s.in = malloc(CONN_IN);
		k->s.in_size = CONN_IN;
		if (!k->s.rx || !k->s.tx || !k->s.in)
			goto out_nomem;
	}
	e = open_sock(SOCK_DGRAM, &sa);
	if (e < 0)
		goto out_err;
	g->ufd = e;
	e = open_sock(SOCK_STREAM, &sa);
	if (e < 0)
		goto out_err;
	g->lfd = e;
	ev_io_init(&g->uio, on_udp, g->ufd, EV_READ);
	ev_io_init(&g->lio, on_accept, g->lfd, EV_READ);
	g->uio.data = g->lio.data = g;
	ev_io_start(g->loop, &g->uio);
	ev_io_start(g->loop, &g->lio);
	announce_start(g, &sa);
	gwd_logmsg(LOG_NOTICE,
		   "doip: entity 0x%04X on %s:%u (UDP and TCP), %zu tester%s, %zu ECU%s", c->la,
		   inet_ntoa(sa.sin_addr), c->port, c->ntesters, gwd_plural(c->ntesters), c->necus,
		   gwd_plural(c->necus));
	return 0;
out_nomem:
	gwd_logmsg(LOG_ERR, "doip: out of memory");
	e = -ENOMEM;
out_err:
	gwd_doip_close(d);
	return e;
}

void gwd_doip_close(struct gwd *d)
{
	struct gwd_doip *g = d->doip;
	size_t i;

	if (!g)
		return;
	doip_srv_close(&g->srv);
	funcs_close(g);
	if (g->cfg.announce)
		ev_timer_stop(g->loop, &g->ann_tm);
	for (i = 0; g->conns && i < g->nconns; i++) {
		free(g->conns[i].s.rx);
		free(g->conns[i].s.tx);
		free(g->conns[i].s.in);
	}
	for (i = 0; g->ecus && i < g->necus; i++) {
		if (g->ecus[i].open)
			isotp_io_close(&g->ecus[i].io);
		free(g->ecus[i].rx);
		free(g->ecus[i].req);
		free(g->ecus[i].ring);
	}
	if (g->ufd >= 0) {
		ev_io_stop(g->loop, &g->uio);
		close(g->ufd);
	}
	if (g->lfd >= 0) {
		ev_io_stop(g->loop, &g->lio);
		close(g->lfd);
	}
	free(g->conns);
	free(g->ecus);
	free(g);
	d->doip = NULL;
}
