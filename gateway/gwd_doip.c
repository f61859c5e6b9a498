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
		if (g->ecus[i].g && g->ecus[i].cfg.address == ta) /* g: not a free slot */
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
 * A request to a functional address goes out once on each of its buses
 * that is up (interfaces:; one down is skipped and counted), as one single
 * frame on that bus's functional id (its own send-only socket per bus:
 * the ECUs' sockets take only their answer ids).  Each ECU of those buses then
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
	int sending = f->sending;

	(void)io;
	if (ev & (ISOTP_EV_TX_DONE | ISOTP_EV_TX_ERR))
		f->sending = 0;
	/* a socket error (its bus went down) reaches an idle socket too:
	 * only a request in flight failed */
	if ((ev & ISOTP_EV_TX_ERR) && sending) {
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

/* Which buses of the functional address whose first entry is f are up
 * (up[i] for f[i]; a bus down or held is skipped and counted), and
 * whether one of those still sends (*busy).  Returns how many are up. */
static size_t func_buses(struct gwd_doip_func *f, uint8_t *up, int *busy)
{
	size_t nb = f->cfg.nbus ? f->cfg.nbus : 1, i, n = 0;

	for (i = 0; i < nb; i++) {
		up[i] = func_bus_up(&f[i]) && !func_open(&f[i]);
		if (!up[i]) {
			f[i].bus_down++;
			continue;
		}
		n++;
		if (f[i].sending)
			*busy = 1;
	}
	return n;
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
	size_t len = ev->m.u.diag.len, nb = f->cfg.nbus ? f->cfg.nbus : 1, i, sent = 0;
	int whole = !ev->off && len == ev->total, busy = 0;
	uint8_t up[GW_DOIP_FUNCS_MAX];

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
	} else if (!func_buses(f, up, &busy)) {
		refuse(k, ta, DOIP_DN_UNREACHABLE, GWD_DOIP_REF_UNREACHABLE);
	} else if (busy) {
		uint8_t nr[3] = {0x7F, req[0], NRC_BUSY};

		g->tstat[k->tester].refused[GWD_DOIP_REF_BUSY]++;
		doip_conn_diag_ack(&k->s.c, ta, DOIP_DIAG_ACK, NULL, 0, now);
		answer(k, ta, nr, sizeof(nr));
	} else {
		/* one frame per bus that is up; those whose send fails are
		 * counted at their entry, NACKed only if none went */
		for (i = 0; i < nb; i++)
			if (up[i] && !func_send(k, &f[i], req, len, now))
				sent++;
		if (!sent) {
			refuse(k, ta, DOIP_DN_UNREACHABLE, GWD_DOIP_REF_TP);
		} else {
			g->tstat[k->tester].forwarded++;
			doip_conn_diag_ack(&k->s.c, ta, DOIP_DIAG_ACK, NULL, 0, now);
			doip_srv_flush(&k->s);
		}
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
			"ECUs busy %llu, transfer errors %llu, bus down %llu\n",
			x->cfg.address, x->ifname, x->cfg.tp.tx_id, (unsigned long long)x->requests,
			(unsigned long long)x->ecus_asked, (unsigned long long)x->ecus_busy,
			(unsigned long long)x->tx_errors, (unsigned long long)x->bus_down);
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
			"\"ecus_asked\":%llu,\"ecus_busy\":%llu,\"tx_errors\":%llu,"
			"\"bus_down\":%llu}",
			i ? "," : "", x->cfg.address, x->ifname, x->cfg.tp.tx_id,
			(unsigned long long)x->requests, (unsigned long long)x->ecus_asked,
			(unsigned long long)x->ecus_busy, (unsigned long long)x->tx_errors,
			(unsigned long long)x->bus_down);
	}
	fprintf(f, "]");
}

/* ---- diagnostic power mode (0x4003 / 0x4004), set by the control socket
 * or, with power_mode:, by a DBC signal */

static const char *const power_names[] = {"not-ready", "ready", "not-supported"};

static const char *power_name(uint8_t p)
{
	return p < 3 ? power_names[p] : "?";
}

/*
 * power_mode: a CAN_RAW socket of its own on the signal's bus, its kernel
 * filter the message's id alone: the routing sockets' filters stay as
 * the routes made them, and the loop wakes for nothing else.  "ready"
 * while the last frame's raw value is one of ready: and that frame is
 * less than timeout_ms old; else "not ready" (no frame yet, stale, or
 * another value).  A frame without the signal (another multiplexer
 * branch, too short) changes nothing.  The timer also reopens a socket
 * that failed (its bus absent or gone).
 */
#define PM_RING 16

static void pm_set(struct gwd_doip_pm *pm)
{
	struct gwd_doip *g = pm->g;
	uint8_t p = DOIP_PM_NOT_READY;
	size_t i;

	uint64_t now;

	for (i = 0; pm->fresh && i < pm->cfg.nready; i++)
		if (pm->raw == pm->cfg.ready[i])
			p = DOIP_PM_READY;
	if (p == g->st.power)
		return;
	g->st.power = p;
	/* the bus decides how often it changes: one line a second at most
	 * (every change with -v), so a flapping signal cannot flood the log */
	now = gwd_now_ns();
	if (!g->d->verbose && now - pm->logged < 1000000000ull && pm->logged)
		return;
	pm->logged = now;
	gwd_logmsg(LOG_NOTICE, "doip: power mode %s (%s.%s on %s: %s%lld)", power_name(p),
		   pm->cfg.msg, pm->cfg.sig, pm->ifname, pm->fresh ? "raw " : "stale, last raw ",
		   (long long)pm->raw);
}

static void pm_sock_close(struct gwd_doip_pm *pm)
{
	if (!pm->open)
		return;
	ev_io_stop(pm->g->loop, &pm->rd);
	cio_close(&pm->sock);
	pm->open = 0;
}

static void pm_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gwd_doip_pm *pm = w->data;
	const struct dbc_value *v;
	unsigned int i, batches;
	int r;

	(void)loop;
	(void)revents;
	/* a few batches at most: the loop has other work */
	for (batches = 0; batches < 4; batches++) {
		r = cio_recv(&pm->sock, &pm->ring);
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			/* its bus went down or away: the timer reopens it */
			pm->sock_errors++;
			pm_sock_close(pm);
			return;
		}
		for (i = 0; i < pm->ring.count; i++) {
			const struct cf_frame *f = &pm->ring.views[i];

			if ((f->flags & (CF_ERR | CF_RTR)) || f->id != pm->cfg.id ||
			    !(f->flags & CF_EFF) != !pm->cfg.ext)
				continue;
			dbc_decode(pm->msg, f, 0, pm->vals, NULL);
			v = &pm->vals[pm->sig->index];
			if (!v->present) {
				pm->absent++;
				continue;
			}
			pm->raw = pm->sig->is_signed ? v->raw.i : (int64_t)v->raw.u;
			pm->frames++;
			pm->fresh = 1;
			ev_timer_again(pm->g->loop, &pm->tm);
			pm_set(pm);
		}
	}
}

/* Opens the signal's socket if it is not.  Returns 0 or -errno. */
static int pm_sock_open(struct gwd_doip_pm *pm)
{
	struct cio_opts o;
	int r;

	if (pm->open)
		return 0;
	cio_opts_init(&o);
	o.filters[0].can_id = pm->cfg.id | (pm->cfg.ext ? CAN_EFF_FLAG : 0);
	o.filters[0].can_mask =
		(pm->cfg.ext ? CAN_EFF_MASK : CAN_SFF_MASK) | CAN_EFF_FLAG | CAN_RTR_FLAG;
	o.nfilters = 1;
	r = cio_open(&pm->sock, pm->ifname, &o);
	if (r)
		return r;
	pm->open = 1;
	ev_io_init(&pm->rd, pm_on_read, pm->sock.fd, EV_READ);
	pm->rd.data = pm;
	ev_io_start(pm->g->loop, &pm->rd);
	return 0;
}

static void pm_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gwd_doip_pm *pm = w->data;

	(void)loop;
	(void)revents;
	if (pm->fresh) {
		pm->fresh = 0;
		pm->stale++;
		gwd_logmsg(LOG_WARNING, "doip: power mode signal %s.%s on %s: no frame for %u ms",
			   pm->cfg.msg, pm->cfg.sig, pm->ifname, pm->cfg.timeout_ms);
		pm_set(pm);
	}
	pm_sock_open(pm);
}

static void pm_free(struct gwd_doip *g)
{
	struct gwd_doip_pm *pm = g->pm;

	if (!pm)
		return;
	pm_sock_close(pm);
	ev_timer_stop(g->loop, &pm->tm);
	cio_ring_fini(&pm->ring);
	free(pm->vals);
	dbc_free(pm->db);
	free(pm);
	g->pm = NULL;
}

/*
 * The power mode's source from c, with db (c's DBC, loaded and checked by
 * the loader; taken over, freed on failure too).  Same bus and message
 * as now (a reload): socket, state and counters stay, the rest (DBC,
 * ready values, timeout) is swapped.  Returns 0 or -ENOMEM.
 */
static int pm_apply(struct gwd_doip *g, const struct gw_doip_power *c, struct dbc_db *db)
{
	struct gwd_doip_pm *pm = g->pm;
	const char *ifname = g->d->conf.ifname[c->ifidx];
	const struct dbc_message *m = db ? dbc_find_msg(db, c->msg) : NULL;
	const struct dbc_signal *s = m ? dbc_find_sig(m, c->sig) : NULL;
	struct dbc_value *vals;
	struct dbc_db *old;

	if (!c->on || !s) {
		dbc_free(db);
		if (pm) {
			pm_free(g);
			g->st.power = DOIP_PM_READY;
			gwd_logmsg(LOG_NOTICE, "doip: power mode by the control socket again: %s",
				   power_name(g->st.power));
		}
		return 0;
	}
	if (pm && (strcmp(pm->ifname, ifname) || pm->cfg.id != c->id || pm->cfg.ext != c->ext))
		pm_free(g);
	pm = g->pm;
	if (!pm) {
		pm = calloc(1, sizeof(*pm));
		if (!pm || cio_ring_init(&pm->ring, PM_RING)) {
			free(pm);
			dbc_free(db);
			return -ENOMEM;
		}
		pm->g = g;
		snprintf(pm->ifname, sizeof(pm->ifname), "%s", ifname);
		ev_timer_init(&pm->tm, pm_on_timer, 0, 0);
		pm->tm.data = pm;
		g->pm = pm;
	}
	vals = calloc(m->nsigs ? m->nsigs : 1, sizeof(*vals));
	if (!vals) {
		dbc_free(db);
		pm_free(g);
		return -ENOMEM;
	}
	free(pm->vals);
	pm->vals = vals;
	old = pm->db;
	pm->db = db;
	pm->msg = m;
	pm->sig = s;
	dbc_free(old);
	pm->cfg = *c;
	pm->tm.repeat = (double)c->timeout_ms / 1e3;
	ev_timer_again(g->loop, &pm->tm);
	pm_sock_open(pm); /* an absent bus: the timer tries again, status says so */
	pm_set(pm);
	return 0;
}

/* power_mode:'s counters: a line of gw stats, or the "power_mode" member
 * of stats --json (nothing without power_mode:). */
static void pm_stats(const struct gwd_doip *g, FILE *f, int json)
{
	const struct gwd_doip_pm *pm = g->pm;

	if (!pm)
		return;
	if (json)
		fprintf(f,
			",\"power_mode\":{\"signal\":\"%s.%s\",\"interface\":\"%s\","
			"\"mode\":\"%s\",\"frames\":%llu,\"absent\":%llu,\"stale\":%llu,"
			"\"socket_errors\":%llu}",
			pm->cfg.msg, pm->cfg.sig, pm->ifname, power_name(g->st.power),
			(unsigned long long)pm->frames, (unsigned long long)pm->absent,
			(unsigned long long)pm->stale, (unsigned long long)pm->sock_errors);
	else
		fprintf(f,
			"doip power mode signal %s.%s on %s: frames %llu, without the signal %llu, "
			"stale %llu, socket errors %llu\n",
			pm->cfg.msg, pm->cfg.sig, pm->ifname, (unsigned long long)pm->frames,
			(unsigned long long)pm->absent, (unsigned long long)pm->stale,
			(unsigned long long)pm->sock_errors);
}

/* A reload: power_mode: re-read (its DBC too) and applied at once, the
 * rest of doip: as gwd_doip_reloaded() decides.  The new conf's DBC is
 * taken (or freed) here in every case, so no conf keeps one. */
static void pm_reloaded(struct gwd *d)
{
	struct gwd_doip *g = d->doip;
	struct dbc_db *db = d->conf.power_dbc;

	d->conf.power_dbc = NULL;
	if (!g || !d->conf.doip.on) {
		dbc_free(db);
		return;
	}
	if (pm_apply(g, &d->conf.doip.power, db))
		gwd_logmsg(LOG_ERR, "reload: doip: power_mode: out of memory");
	/* applied: the comparisons of the rest see no difference here */
	g->cfg.power = d->conf.doip.power;
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
		fprintf(f, "doip power mode %s", power_name(g->st.power));
		if (g->pm)
			fprintf(f, " (from signal %s.%s on %s)", g->pm->cfg.msg, g->pm->cfg.sig,
				g->pm->ifname);
		fputc('\n', f);
		return;
	}
	/* the file's signal wins: a command would only hold until its
	 * next frame, and would say "ready" for a vehicle that is not */
	if (g->pm) {
		fprintf(f,
			"error: doip power: the mode follows signal %s.%s on %s (power_mode: in "
			"%s); remove it there to set the mode by command\n",
			g->pm->cfg.msg, g->pm->cfg.sig, g->pm->ifname, d->path);
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
	const struct gwd_doip_pm *pm = g->pm;

	fprintf(f, "doip: power mode %s", power_name(g->st.power));
	if (pm) {
		fprintf(f, " from signal %s.%s on %s (", pm->cfg.msg, pm->cfg.sig, pm->ifname);
		if (!pm->open)
			fprintf(f, "socket not open: %s", pm->frames ? "bus gone" : "bus absent");
		else if (pm->fresh)
			fprintf(f, "raw %lld", (long long)pm->raw);
		else if (pm->frames)
			fprintf(f, "stale: no frame for %u ms", pm->cfg.timeout_ms);
		else
			fprintf(f, "no frame yet");
		fputc(')', f);
	}
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

		if (!e->g)
			continue; /* a slot a reload freed */
		fprintf(f,
			"doip ecu 0x%04X on %s: requests %llu, answers %llu, transfer errors %llu, "
			"receive errors %llu, answers dropped %llu\n",
			e->cfg.address, e->ifname, (unsigned long long)e->requests,
			(unsigned long long)e->answers, (unsigned long long)e->tx_errors,
			(unsigned long long)e->rx_errors, (unsigned long long)e->answers_dropped);
	}
	funcs_print(g, f);
	pm_stats(g, f, 0);
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
	for (i = 0, r = 0; i < g->necus; i++) {
		const struct gwd_doip_ecu *e = &g->ecus[i];

		if (!e->g)
			continue; /* a slot a reload freed */
		fprintf(f,
			"%s{\"address\":%u,\"interface\":\"%s\",\"requests\":%llu,"
			"\"answers\":%llu,\"tx_errors\":%llu,\"rx_errors\":%llu,"
			"\"answers_dropped\":%llu,\"answers_streamed\":%llu,\"answers_cut\":%llu}",
			r++ ? "," : "", e->cfg.address, e->ifname, (unsigned long long)e->requests,
			(unsigned long long)e->answers, (unsigned long long)e->tx_errors,
			(unsigned long long)e->rx_errors, (unsigned long long)e->answers_dropped,
			(unsigned long long)e->answers_streamed,
			(unsigned long long)e->answers_cut);
	}
	fprintf(f, "]");
	funcs_json(g, f);
	pm_stats(g, f, 1);
	fprintf(f, "}");
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

static void doip_free(struct gwd_doip *g);
static int funcs_open(struct gwd_doip *g);

/* Where c's entity listens (listen: an address, or an interface's). */
static int listen_addr(const struct gw_doip_conf *c, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(c->port);
	if (c->listen_is_if)
		return if_addr(c->listen, &sa->sin_addr);
	if (inet_pton(AF_INET, c->listen, &sa->sin_addr) != 1)
		return -EINVAL; /* the loader checked it */
	return 0;
}

/*
 * The entity of conf's doip: section (conf->ifname names its ECUs'
 * buses), in *out.  ufd, lfd: its sockets already open (a reload's), or
 * -1 to open them here (taken over either way).  funcs: open the
 * functional addresses' sockets now (a reload does it after the swap:
 * funcs_open() names buses from d->conf).  Returns 0 or -errno (logged).
 */
static int doip_new(struct gwd *d, const struct gw_conf *conf, int ufd, int lfd, int funcs,
		    struct gwd_doip **out)
{
	const struct gw_doip_conf *c = &conf->doip;
	struct sockaddr_in sa;
	struct gwd_doip *g;
	size_t i;
	int e;

	g = calloc(1, sizeof(*g));
	if (!g) {
		if (ufd >= 0)
			close(ufd);
		if (lfd >= 0)
			close(lfd);
		goto out_nomem;
	}
	g->d = d;
	g->loop = d->loop;
	/* the doip: section in force; a reload changes it (gwd_doip_reloaded()) */
	g->cfg = *c;
	g->ufd = ufd;
	g->lfd = lfd;
	g->nconns = (size_t)c->max_testers + 1; /* + one to refuse with 0x01 */
	e = listen_addr(c, &sa);
	if (e) {
		gwd_logmsg(LOG_ERR, "doip: listen: %s has no IPv4 address: %s", c->listen,
			   strerror(-e));
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
	/* slots for as many as a reload may bring: an ECU's or a socket's
	 * watchers cannot move, so neither table is ever reallocated
	 * (untouched pages cost nothing) */
	g->ecus = calloc(GW_DOIP_ECUS_MAX, sizeof(*g->ecus));
	g->conns = calloc(GW_DOIP_SOCKETS_MAX + 1, sizeof(*g->conns));
	if (!g->ecus || !g->conns)
		goto out_nomem;
	/* free slots before anything can fail: the cleanup closes the others */
	doip_srv_init(&g->srv, g->loop, &gwd_ops, g, g->conns, GW_DOIP_SOCKETS_MAX + 1,
		      sizeof(*g->conns));
	g->srv.n = g->nconns;
	for (i = c->necus; i < GW_DOIP_ECUS_MAX; i++)
		g->ecus[i].cfg.ifidx = UINT8_MAX; /* free slot: on no bus */
	g->rx_cap = 8;
	for (i = 0; i < c->necus; i++) {
		struct gwd_doip_ecu *x = &g->ecus[i];

		x->g = g;
		x->cfg = c->ecus[i];
		snprintf(x->ifname, sizeof(x->ifname), "%s", conf->ifname[x->cfg.ifidx]);
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
	if (funcs && funcs_open(g))
		goto out_nomem;
	/* power_mode:'s DBC is the entity's from here on; a reload's new
	 * entity takes it after the swap (pm_reloaded()), from the conf
	 * that is then d->conf */
	if (funcs) {
		e = pm_apply(g, &c->power, d->conf.power_dbc);
		d->conf.power_dbc = NULL;
		if (e)
			goto out_nomem;
	}
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
	if (g->ufd < 0) {
		e = open_sock(SOCK_DGRAM, &sa);
		if (e < 0)
			goto out_err;
		g->ufd = e;
	}
	if (g->lfd < 0) {
		e = open_sock(SOCK_STREAM, &sa);
		if (e < 0)
			goto out_err;
		g->lfd = e;
	}
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
	*out = g;
	return 0;
out_nomem:
	gwd_logmsg(LOG_ERR, "doip: out of memory");
	e = -ENOMEM;
out_err:
	doip_free(g);
	return e;
}

int gwd_doip_open(struct gwd *d)
{
	if (!d->conf.doip.on)
		return 0;
	return doip_new(d, &d->conf, -1, -1, 1, &d->doip);
}

void gwd_doip_close(struct gwd *d)
{
	doip_free(d->doip);
	d->doip = NULL;
}

static void doip_free(struct gwd_doip *g)
{
	size_t i;

	if (!g)
		return;
	doip_srv_close(&g->srv);
	funcs_close(g);
	pm_free(g);
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
}

/* ---- reload (docs/doip.md, "Reload")
 *
 * Everything that can fail is done first, in gwd_doip_prepare(), while
 * the running file is still in force: new sockets, the buffers of added
 * or changed ECUs and of grown tester sockets.  gwd_doip_reloaded() then
 * only moves what was made into place.  Unchanged ECUs keep their
 * ISO-TP socket and whatever is in flight on it; a tester's socket stays
 * unless its tester left the list.
 */
struct gwd_doip_prep {
	struct gw_doip_diff df;
	struct gwd_doip *add;	   /* the doip: section added: its entity, open */
	int ufd, lfd;		   /* listen or port changed: the new sockets, else -1 */
	struct sockaddr_in sa;	   /* where the entity listens after the reload */
	uint8_t eid[DOIP_EID_LEN]; /* the default EID there (no eid:) */
	struct {
		uint8_t *rx, *req, *ring;
	} ecu[GW_DOIP_ECUS_MAX]; /* per ECU of the new list, added or changed */
	struct {
		uint8_t *rx, *tx, *in;
	} conn[GW_DOIP_SOCKETS_MAX + 1]; /* grown buffers, or a new slot's */
	size_t nconns, rx_cap, tx_cap;
};

static void prep_free(struct gwd_doip_prep *p)
{
	size_t i;

	if (!p)
		return;
	doip_free(p->add);
	if (p->ufd >= 0)
		close(p->ufd);
	if (p->lfd >= 0)
		close(p->lfd);
	for (i = 0; i < GW_DOIP_ECUS_MAX; i++) {
		free(p->ecu[i].rx);
		free(p->ecu[i].req);
		free(p->ecu[i].ring);
	}
	for (i = 0; i <= GW_DOIP_SOCKETS_MAX; i++) {
		free(p->conn[i].rx);
		free(p->conn[i].tx);
		free(p->conn[i].in);
	}
	free(p);
}

/* One of the entity's sockets for a reload; the message goes to err. */
static int prep_sock(int type, const struct sockaddr_in *sa, char *err, size_t cap)
{
	int fd = doip_srv_open_sock(type, sa);

	if (fd < 0)
		snprintf(err, cap, "doip: %s port %u on %s: %s",
			 type == SOCK_STREAM ? "TCP" : "UDP", ntohs(sa->sin_port),
			 inet_ntoa(sa->sin_addr), strerror(-fd));
	return fd;
}

int gwd_doip_prepare(struct gwd *d, const struct gw_conf *nc, char *err, size_t cap)
{
	const struct gw_doip_conf *c = &nc->doip;
	struct gwd_doip *g = d->doip;
	struct gwd_doip_prep *p;
	socklen_t sl = sizeof(struct sockaddr_in);
	size_t i, rx = 8;
	int e = -ENOMEM;

	gwd_doip_unprepare(d);
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, cap, "doip: out of memory");
		return -ENOMEM;
	}
	p->ufd = p->lfd = -1;
	gw_doip_diff(&d->conf, nc, &p->df);
	if (!c->on)
		goto out_ok;
	if (g ? p->df.sockets : 1) {
		e = listen_addr(c, &p->sa);
		if (e) {
			snprintf(err, cap, "doip: listen: %s has no IPv4 address: %s", c->listen,
				 strerror(-e));
			goto out_err;
		}
		/* the new sockets first: a port taken refuses the reload */
		e = prep_sock(SOCK_DGRAM, &p->sa, err, cap);
		if (e < 0)
			goto out_err;
		p->ufd = e;
		e = prep_sock(SOCK_STREAM, &p->sa, err, cap);
		if (e < 0)
			goto out_err;
		p->lfd = e;
	}
	if (!g) {
		e = doip_new(d, nc, p->ufd, p->lfd, 0, &p->add);
		p->ufd = p->lfd = -1; /* taken over, closed on failure */
		if (e) {
			snprintf(err, cap, "doip: the entity of the new doip: section: %s",
				 strerror(-e));
			goto out_err;
		}
		goto out_ok;
	}
	if (!p->df.sockets && getsockname(g->ufd, (struct sockaddr *)&p->sa, &sl))
		memset(&p->sa, 0, sizeof(p->sa));
	if (!c->has_eid)
		eid_of(p->sa.sin_addr, p->eid);
	e = -ENOMEM;
	for (i = 0; i < c->necus; i++) {
		const struct gw_doip_ecu *x = &c->ecus[i];

		if (x->max_len > rx)
			rx = x->max_len;
		if (p->df.from[i] >= 0 && p->df.kept[i])
			continue;
		p->ecu[i].rx = malloc(x->max_len);
		p->ecu[i].req = malloc(x->max_len);
		p->ecu[i].ring = x->max_request > x->max_len ? malloc(GWD_DOIP_RING) : NULL;
		if (!p->ecu[i].rx || !p->ecu[i].req ||
		    (!p->ecu[i].ring && x->max_request > x->max_len)) {
			snprintf(err, cap, "doip: ECU 0x%04X: out of memory", x->address);
			goto out_err;
		}
	}
	/* tester sockets: buffers grow with max_len (never shrink: a
	 * message may be in them), the table with max_testers */
	p->rx_cap = rx > g->rx_cap ? rx : g->rx_cap;
	p->tx_cap = 2 * (p->rx_cap + 12) + 256; /* as gwd_doip_open() */
	if (p->tx_cap < g->tx_cap)
		p->tx_cap = g->tx_cap;
	p->nconns = (size_t)c->max_testers + 1;
	if (p->nconns < g->nconns)
		p->nconns = g->nconns;
	for (i = 0; i < p->nconns; i++) {
		int fresh = i >= g->nconns;

		if (!fresh && p->rx_cap == g->rx_cap && p->tx_cap == g->tx_cap)
			continue;
		p->conn[i].rx = malloc(p->rx_cap);
		p->conn[i].tx = malloc(p->tx_cap);
		p->conn[i].in = fresh ? malloc(CONN_IN) : NULL;
		if (!p->conn[i].rx || !p->conn[i].tx || (fresh && !p->conn[i].in)) {
			snprintf(err, cap, "doip: tester sockets: out of memory");
			goto out_err;
		}
	}
out_ok:
	d->doip_prep = p;
	return 0;
out_err:
	prep_free(p);
	return e < 0 ? e : -EINVAL;
}

void gwd_doip_unprepare(struct gwd *d)
{
	prep_free(d->doip_prep);
	d->doip_prep = NULL;
}

/* The testers' list and firewalls: counters follow each address,
 * sockets of a tester no longer listed close.  Returns how many closed. */
static size_t testers_apply(struct gwd_doip *g, const struct gw_doip_conf *c)
{
	static struct gwd_doip_tstat ts[GW_DOIP_TESTERS_MAX];
	int idx[GW_DOIP_SOCKETS_MAX + 1];
	size_t i, gone = 0;

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
	return gone;
}

/*
 * ECU e leaves (removed, or its settings changed): a request still being
 * sent to it is aborted and its tester NACKed 0x06 (the answer to one
 * already sent and ACKed cannot come any more: the tester's own timer
 * ends that wait); its socket and buffers go.  A tester whose streamed
 * request fed it is returned in *held (its input resumes once the
 * ECUs are consistent again), else NULL.
 */
static void ecu_leave(struct gwd_doip_ecu *e, struct gwd_doip_conn **held)
{
	struct gwd_doip_conn *k = ecu_owner(e);

	*held = NULL;
	if (e->sending) {
		if (e->open)
			isotp_tx_abort(&e->io.tp);
		*held = stream_end(e);
		e->sending = 0;
		if (k) {
			refuse(k, e->cfg.address, DOIP_DN_UNREACHABLE, GWD_DOIP_REF_UNREACHABLE);
			if (e->g->d->verbose)
				gwd_logmsg(LOG_INFO,
					   "doip: reload: ECU 0x%04X left while tester 0x%04X's "
					   "request was being sent: NACK 0x06",
					   e->cfg.address, k->s.c.sa);
		}
	}
	if (e->open)
		isotp_io_close(&e->io);
	e->open = 0;
	free(e->rx);
	free(e->req);
	free(e->ring);
	e->rx = e->req = e->ring = NULL;
	e->owner = e->fowner = e->feeder = NULL;
	e->held = NULL;
	e->held_len = 0;
	e->f_until = e->await_until = 0;
}

/* The ECUs: removed ones leave their slot free, changed ones reopen in
 * theirs with the new settings (their counters follow the address),
 * added ones take a free slot, unchanged ones are left as they are (only
 * their interface's index may change).  Testers whose streamed request
 * fed a leaving ECU are added to held[]. */
static void ecus_apply(struct gwd_doip *g, const struct gw_conf *nc, struct gwd_doip_prep *p,
		       struct gwd_doip_conn **held, size_t *nheld)
{
	const struct gw_doip_conf *c = &nc->doip;
	struct gwd_doip_ecu *slot[GW_DOIP_ECUS_MAX];
	size_t i, j;

	for (j = 0; j < c->necus; j++)
		slot[j] = p->df.from[j] >= 0 ? ecu_of(g, c->ecus[j].address) : NULL;
	for (i = 0; i < g->necus; i++) {
		struct gwd_doip_ecu *e = &g->ecus[i];

		if (!e->g)
			continue;
		for (j = 0; j < c->necus && slot[j] != e; j++)
			;
		if (j < c->necus && p->df.kept[j])
			continue;
		ecu_leave(e, &held[*nheld]);
		if (held[*nheld])
			(*nheld)++;
		if (j == c->necus) { /* removed: its slot is free */
			memset(e, 0, sizeof(*e));
			e->cfg.ifidx = UINT8_MAX;
		}
	}
	for (j = 0; j < c->necus; j++) {
		struct gwd_doip_ecu *e = slot[j];
		const struct gw_doip_ecu *x = &c->ecus[j];

		if (e && p->df.kept[j]) {
			e->cfg = *x;
			continue;
		}
		if (!e) {
			/* there is one: c has at most GW_DOIP_ECUS_MAX */
			for (i = 0; i < GW_DOIP_ECUS_MAX && g->ecus[i].g; i++)
				;
			e = &g->ecus[i];
			memset(e, 0, sizeof(*e));
			e->g = g;
		}
		e->cfg = *x;
		snprintf(e->ifname, sizeof(e->ifname), "%s", nc->ifname[x->ifidx]);
		e->rx = p->ecu[j].rx;
		e->req = p->ecu[j].req;
		e->ring = p->ecu[j].ring;
		p->ecu[j].rx = p->ecu[j].req = p->ecu[j].ring = NULL;
		ecu_open(e); /* absent bus: opened at its first request */
	}
	for (g->necus = GW_DOIP_ECUS_MAX; g->necus && !g->ecus[g->necus - 1].g; g->necus--)
		;
}

/* Tester sockets: grown buffers (what they hold copied), more slots. */
static void conns_apply(struct gwd_doip *g, struct gwd_doip_prep *p)
{
	size_t i;

	for (i = 0; i < p->nconns; i++) {
		struct gwd_doip_conn *k = &g->conns[i];

		if (!p->conn[i].rx)
			continue;
		if (i >= g->nconns) {
			k->tester = -1;
			k->s.in = p->conn[i].in;
			k->s.in_size = CONN_IN;
		} else {
			/* both are linear buffers: what is in them stays where it is */
			if (k->s.fd >= 0) {
				memcpy(p->conn[i].rx, k->s.rx, g->rx_cap);
				memcpy(p->conn[i].tx, k->s.tx, g->tx_cap);
				k->s.c.rx_buf = p->conn[i].rx;
				k->s.c.rx_cap = p->rx_cap;
				k->s.c.tx_buf = p->conn[i].tx;
				k->s.c.tx_cap = p->tx_cap;
			}
			free(k->s.rx);
			free(k->s.tx);
		}
		k->s.rx = p->conn[i].rx;
		k->s.tx = p->conn[i].tx;
		p->conn[i].rx = p->conn[i].tx = p->conn[i].in = NULL;
	}
	g->nconns = g->srv.n = p->nconns;
	g->rx_cap = g->srv.rx_cap = p->rx_cap;
	g->tx_cap = g->srv.tx_cap = p->tx_cap;
}

/* Functional addresses: made anew when they changed (a request on one is
 * a single frame, sent at once: nothing is in flight), else only their
 * interface's index follows a renumbering. */
static void funcs_apply(struct gwd_doip *g, const struct gw_doip_diff *df)
{
	size_t i;

	if (df->funcs || !g->funcs) {
		funcs_close(g);
		if (funcs_open(g))
			gwd_logmsg(LOG_ERR, "reload: doip: functional addresses: out of memory; "
					    "requests to them get NACK 0x03");
		return;
	}
	for (i = 0; i < g->cfg.nfuncs; i++)
		g->funcs[i].cfg = g->cfg.funcs[i];
}

/* The listening sockets: the new ones (open already) replace the old;
 * tester sockets accepted on the old address stay. */
static void sockets_apply(struct gwd_doip *g, struct gwd_doip_prep *p)
{
	ev_io_stop(g->loop, &g->uio);
	ev_io_stop(g->loop, &g->lio);
	close(g->ufd);
	close(g->lfd);
	g->ufd = p->ufd;
	g->lfd = p->lfd;
	p->ufd = p->lfd = -1;
	ev_io_set(&g->uio, g->ufd, EV_READ);
	ev_io_set(&g->lio, g->lfd, EV_READ);
	ev_io_start(g->loop, &g->uio);
	ev_io_start(g->loop, &g->lio);
}

/* What the entity says of itself: answered from the next message on. */
static void entity_apply(struct gwd_doip *g, const struct gw_doip_conf *c,
			 const struct gwd_doip_prep *p)
{
	size_t i;

	g->ent.la = c->la;
	memcpy(g->ent.vin, c->vin, DOIP_VIN_LEN);
	memcpy(g->ent.eid, c->has_eid ? c->eid : p->eid, DOIP_EID_LEN);
	memcpy(g->ent.gid, c->has_gid ? c->gid : g->ent.eid, DOIP_EID_LEN);
	g->ent.further_action = c->further_action;
	/* fewer than are registered now: those stay, the next activation
	 * is refused (0x01, after alive checks) until one leaves */
	g->ent.mcts = c->max_testers;
	for (i = 0; i < g->nconns; i++)
		if (g->conns[i].s.fd >= 0)
			g->conns[i].s.c.cfg.la = c->la;
}

void gwd_doip_reloaded(struct gwd *d)
{
	struct gwd_doip_prep *p = d->doip_prep;
	const struct gw_doip_conf *c = &d->conf.doip;
	struct gwd_doip_conn *held[GW_DOIP_ECUS_MAX];
	struct gwd_doip *g = d->doip;
	size_t i, nheld = 0, gone;
	int ann_was;

	d->doip_prep = NULL;
	if (!p) {
		pm_reloaded(d); /* its DBC is read again at every reload */
		return;		/* not prepared: nothing else to apply */
	}
	if (g && !c->on) {
		gwd_doip_close(d);
		pm_reloaded(d); /* frees the new conf's DBC, if any */
		gwd_logmsg(LOG_NOTICE, "reload: doip: section removed, the entity stopped");
		goto out;
	}
	if (!g && c->on) {
		d->doip = g = p->add;
		p->add = NULL;
		funcs_apply(g, &p->df);
		pm_reloaded(d);
		gwd_logmsg(LOG_NOTICE, "reload: doip: section added, the entity started");
		goto out;
	}
	if (!g)
		goto out;
	ann_was = g->cfg.announce;
	pm_reloaded(d);
	if (p->df.entity || p->df.sockets)
		entity_apply(g, c, p);
	if (p->ufd >= 0)
		sockets_apply(g, p);
	conns_apply(g, p);
	ecus_apply(g, &d->conf, p, held, &nheld);
	gone = testers_apply(g, c);
	/* the rest of the section as it now is; the testers are in already */
	{
		struct gw_doip_tester t[GW_DOIP_TESTERS_MAX];

		memcpy(t, g->cfg.testers, sizeof(t));
		g->cfg = *c;
		memcpy(g->cfg.testers, t, sizeof(t));
	}
	funcs_apply(g, &p->df);
	if (ann_was && (!c->announce || p->df.sockets))
		ev_timer_stop(g->loop, &g->ann_tm);
	if (c->announce && (!ann_was || p->df.sockets))
		announce_start(g, &p->sa);
	/* the NACKs queued above out; testers held by a leaving ECU read on */
	for (i = 0; i < g->nconns; i++)
		if (g->conns[i].s.fd >= 0)
			doip_srv_flush(&g->conns[i].s);
	for (i = 0; i < nheld; i++)
		doip_srv_release(&held[i]->s);
	if (p->df.same)
		goto out;
	gwd_logmsg(LOG_NOTICE,
		   "reload: doip: entity 0x%04X on %s:%u, %zu tester%s%s, %zu ECU%s (%zu added, "
		   "%zu changed, %zu removed)%s",
		   c->la, inet_ntoa(p->sa.sin_addr), c->port, c->ntesters, gwd_plural(c->ntesters),
		   gone ? " (sockets of removed testers closed)" : "", c->necus,
		   gwd_plural(c->necus), p->df.added, p->df.changed, p->df.removed,
		   p->df.sockets ? "; new listening sockets, tester sockets kept" : "");
out:
	prep_free(p);
}
