/* SPDX-License-Identifier: MIT */
/* doip_io.c - UDS client over a DoIP tester connection in a libev loop. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "doip_io.h"

#define DOIP_IO_ROUNDS 256	    /* rounds of one pump, against an engine bug */
#define STALL_NS       100000000ull /* a timer this late: our host stood still */

int doip_io_functional(uint16_t ta)
{
	return ta >= 0xE000 && ta <= 0xEFFF;
}

void doip_io_cfg_init(struct doip_io_cfg *c, uint16_t ta)
{
	memset(c, 0, sizeof(*c));
	c->sa = 0x0E80;
	c->ta = ta;
	c->act_type = DOIP_ACT_DEFAULT;
	c->setup_ms = 2000;
	c->rx_cap = 65536;
	c->tx_cap = (1u << 20) + 64;
}

const char *doip_io_ra_name(uint8_t code)
{
	switch (code) {
	case DOIP_RA_UNKNOWN_SA:
		return "unknown source address";
	case DOIP_RA_NO_SOCKET:
		return "no free socket";
	case DOIP_RA_SA_DIFFERS:
		return "another source address registered on this socket";
	case DOIP_RA_SA_ELSEWHERE:
		return "source address already active on another socket";
	case DOIP_RA_NO_AUTH:
		return "authentication missing";
	case DOIP_RA_CONF_REJECTED:
		return "confirmation rejected";
	case DOIP_RA_BAD_TYPE:
		return "unsupported activation type";
	case DOIP_RA_NO_TLS:
		return "TLS required";
	case DOIP_RA_OK:
		return "routing activated";
	case DOIP_RA_OK_CONFIRM:
		return "confirmation required";
	default:
		return "reserved code";
	}
}

const char *doip_io_nack_name(uint8_t code)
{
	switch (code) {
	case DOIP_DN_SA:
		return "invalid source address";
	case DOIP_DN_UNKNOWN_TA:
		return "unknown target address";
	case DOIP_DN_TOO_LARGE:
		return "diagnostic message too large";
	case DOIP_DN_MEMORY:
		return "out of memory";
	case DOIP_DN_UNREACHABLE:
		return "target unreachable";
	case DOIP_DN_UNKNOWN_NET:
		return "unknown network";
	case DOIP_DN_TP_ERROR:
		return "transport protocol error";
	default:
		return "reserved code";
	}
}

static void report(struct doip_io *u, unsigned int ev)
{
	if (ev && u->cb)
		u->cb(u, ev, u->ctx);
}

/* The setup ended: active, or failed with err. */
static void setup_done(struct doip_io *u, int err)
{
	ev_timer_stop(u->loop, &u->setup_tm);
	if (u->state == DOIP_IO_ACTIVE || u->state == DOIP_IO_FAILED)
		return;
	u->failed_in = u->state;
	u->state = err ? DOIP_IO_FAILED : DOIP_IO_ACTIVE;
	if (!u->err)
		u->err = err;
	report(u, DOIP_IO_EV_SETUP);
}

/* The connection is gone (err < 0): a request under way ends -ECOMM. */
static void fail(struct doip_io *u, int err)
{
	uint64_t now = cio_now_ns();

	if (!u->err)
		u->err = err;
	if (u->fd >= 0) {
		ev_io_stop(u->loop, &u->rio);
		ev_io_stop(u->loop, &u->wio);
	}
	if (u->state != DOIP_IO_ACTIVE) {
		setup_done(u, err);
		return;
	}
	if (u->cl.state == UDS_SEND)
		report(u, uds_client_tx_error(&u->cl, UDS_TX_REQUEST, err, now));
	else if (u->cl.state == UDS_WAIT)
		report(u, uds_client_rx_error(&u->cl, u->cfg.ta, err, now));
	u->tx_kind = 0;
	u->await_ack = 0;
}

/* Sends what the engine has; confirms the client's message once all of
 * it is on the socket.  Returns 0 or -errno (the connection failed). */
static int flush(struct doip_io *u)
{
	const uint8_t *p;
	size_t n;
	ssize_t w;

	for (;;) {
		p = doip_conn_output(&u->c, &n);
		if (!n)
			break;
		w = send(u->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(u->loop, &u->wio);
			return 0;
		}
		if (w <= 0) {
			int e = w < 0 ? -errno : -EPIPE;

			fail(u, e);
			return e;
		}
		doip_conn_sent(&u->c, (size_t)w, cio_now_ns());
	}
	ev_io_stop(u->loop, &u->wio);
	if (u->tx_kind) {
		int k = u->tx_kind;

		u->tx_kind = 0;
		/* a request is sent once the entity acknowledges it */
		if (k == UDS_TX_REQUEST)
			u->await_ack = 1;
		else
			report(u, uds_client_sent(&u->cl, k, cio_now_ns()));
	}
	return 0;
}

static void pump(struct doip_io *u)
{
	cio_ev_pump_run(&u->pump);
}

static void on_event(struct doip_io *u, const struct doip_ev *ev, uint64_t now)
{
	const struct doip_msg *m = &ev->m;

	switch (ev->kind) {
	case DOIP_EV_MSG:
		switch (m->type) {
		case DOIP_T_RA_RSP:
			u->ra_code = m->u.ra.code;
			u->ent_la = m->u.ra.la;
			if (u->state == DOIP_IO_ACTIVATING)
				setup_done(u, m->u.ra.code == DOIP_RA_OK ? 0 : -EACCES);
			break;
		case DOIP_T_DIAG_ACK:
			u->acks++;
			if (u->await_ack && m->u.diag.sa == u->cfg.ta) {
				u->await_ack = 0;
				report(u, uds_client_sent(&u->cl, UDS_TX_REQUEST, now));
			}
			break;
		case DOIP_T_DIAG_NACK:
			u->nacks++;
			if (m->u.diag.sa != u->cfg.ta)
				break;
			u->nack = m->u.diag.code;
			u->await_ack = 0;
			report(u,
			       u->cl.state == UDS_SEND
				       ? uds_client_tx_error(&u->cl, UDS_TX_REQUEST, -ENOLINK, now)
				       : uds_client_rx_error(&u->cl, u->cfg.ta, -ENOLINK, now));
			break;
		case DOIP_T_HDR_NACK:
			/* the entity could not read what we sent */
			u->nack = -1;
			fail(u, -EPROTO);
			break;
		default:
			break;
		}
		break;
	case DOIP_EV_DIAG:
		/* to a functional address every ECU answers from its own */
		if (m->u.diag.sa != u->cfg.ta &&
		    !(doip_io_functional(u->cfg.ta) && (u->cl.flags & UDS_REQ_FUNCTIONAL) &&
		      u->cl.state != UDS_IDLE))
			break; /* another ECU's (another tester's leftovers) */
		if (ev->off || m->u.diag.len != ev->total) {
			/* longer than our buffer: no use in half an answer */
			if (!ev->off)
				report(u,
				       uds_client_rx_error(&u->cl, m->u.diag.sa, -EMSGSIZE, now));
			doip_conn_diag_drop(&u->c);
			break;
		}
		report(u,
		       uds_client_input(&u->cl, m->u.diag.sa, m->u.diag.data, m->u.diag.len, now));
		break;
	default:
		break;
	}
}

/* A diagnostic message from our ECU is arriving: its header is in, not
 * all its bytes.  A gateway passing on a long answer sends the header at
 * once and the bytes as the ECU sends them, for as long as that takes. */
static int answer_arriving(const struct doip_io *u)
{
	const struct doip_conn *c = &u->c;

	return (c->rx == DOIP_RX_WHOLE || c->rx == DOIP_RX_STREAM) && c->h.type == DOIP_T_DIAG &&
	       (uint16_t)(c->fix[8] << 8 | c->fix[9]) == u->cfg.ta;
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct doip_io *u = w->data;
	struct doip_ev ev;
	size_t off = 0, n;
	ssize_t r;

	(void)loop;
	(void)revents;
	r = recv(u->fd, u->in, sizeof(u->in), 0);
	if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return;

	if (r <= 0) {
		fail(u, r < 0 ? -errno : -ECONNRESET);
		return;
	}
	while (off < (size_t)r && u->fd >= 0 && !u->err) {
		n = doip_conn_input(&u->c, u->in + off, (size_t)r - off, cio_now_ns(), &ev);
		off += n;
		if (ev.kind == DOIP_EV_TX_FULL) {
			/* our own output (an alive check answer) waits: send it */
			if (flush(u))
				return;
			if (ev_is_active(&u->wio)) {
				/* the entity reads nothing while it sends: give up
				 * rather than hold its bytes */
				fail(u, -ENOBUFS);
				return;
			}
			continue;
		}
		if (ev.kind == DOIP_EV_CLOSED) {
			fail(u, -ECONNRESET);
			return;
		}
		on_event(u, &ev, cio_now_ns());
		if (ev.kind == DOIP_EV_NONE)
			break;
	}
	/* its header came: P2 is suspended, as by ISO-TP's first frame; the
	 * entity closes the socket if the rest cannot come (a gateway whose
	 * ECU stopped mid-way), which ends the request */
	if (u->fd >= 0 && !u->err && answer_arriving(u) && u->rx_arriving != u->c.msgs_in) {
		u->rx_arriving = u->c.msgs_in;
		report(u, uds_client_rx_start(&u->cl, u->cfg.ta, cio_now_ns()));
	}
	if (u->fd >= 0 && !u->err)
		flush(u);
	pump(u);
}

static void on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct doip_io *u = w->data;
	int e = 0;
	socklen_t el = sizeof(e);

	(void)loop;
	(void)revents;
	if (u->state == DOIP_IO_CONNECTING) {
		ev_io_stop(u->loop, &u->wio);
		if (getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &e, &el) || e) {
			fail(u, -(e ? e : errno));
			return;
		}
		u->state = DOIP_IO_ACTIVATING;
		ev_io_start(u->loop, &u->rio);
		doip_conn_ra_request(&u->c, u->cfg.act_type, cio_now_ns());
	}
	flush(u);
	pump(u);
}

static void on_setup_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct doip_io *u = w->data;

	(void)loop;
	(void)revents;
	fail(u, -ETIMEDOUT);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct doip_io *u = w->data;
	uint64_t now = cio_now_ns(), late = cio_ev_pump_late(&u->pump, now);

	(void)loop;
	(void)revents;
	/* an answer already received is in time: read it before P2 judges */
	if (u->fd >= 0 && !u->err) {
		struct pollfd p = {u->fd, POLLIN, 0};

		if (poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP | POLLERR)))
			on_read(u->loop, &u->rio, EV_READ);
	}
	if (late > STALL_NS) {
		u->stalls++;
		uds_client_stalled(&u->cl, late);
	}
	pump(u);
}

/* One round: the client's timers, then what it has to send.  A request
 * goes out as one 0x8001; a functional TesterPresent goes to our ECU too
 * (one target per connection here). */
static int pump_step(void *ctx, uint64_t now)
{
	struct doip_io *u = ctx;
	struct uds_tx tx;
	unsigned int ev, guard = 0;
	int e;

	while ((ev = uds_client_timers(&u->cl, now)) != 0) {
		report(u, ev);
		if (++guard > 4 * UDS_CLIENT_MAX_PEERS)
			break;
	}
	while (u->state == DOIP_IO_ACTIVE && !u->tx_kind && guard++ < 64 &&
	       uds_client_output(&u->cl, now, &tx)) {
		e = u->err ? u->err
			   : doip_conn_send_diag(&u->c, u->cfg.sa, u->cfg.ta, tx.data, tx.len, now);
		if (e) {
			/* a keep-alive that does not fit now waits for its next period */
			report(u, uds_client_tx_error(&u->cl, tx.kind,
						      e == -ENOBUFS ? -EMSGSIZE : e, now));
			continue;
		}
		u->tx_kind = tx.kind;
		if (tx.kind == UDS_TX_REQUEST)
			u->await_ack = 0;
		if (flush(u))
			break;
	}
	return 0;
}

static uint64_t pump_deadline(void *ctx)
{
	return uds_client_deadline(&((struct doip_io *)ctx)->cl);
}

int doip_io_open(struct doip_io *u, struct ev_loop *loop, const struct sockaddr_in *to,
		 const struct doip_io_cfg *cfg, const struct uds_client_cfg *ccfg, doip_io_cb cb,
		 void *ctx)
{
	struct doip_conn_cfg cc;
	int one = 1, e;

	memset(u, 0, sizeof(*u));
	u->cfg = *cfg;
	u->loop = loop;
	u->cb = cb;
	u->ctx = ctx;
	u->fd = -1;
	u->nack = -1;
	u->ra_code = 0xFF;
	uds_client_init(&u->cl, ccfg);
	u->rx = malloc(cfg->rx_cap);
	u->tx = malloc(cfg->tx_cap);
	if (!u->rx || !u->tx)
		return -ENOMEM;
	doip_conn_cfg_init(&cc, DOIP_TESTER, cfg->sa);
	e = doip_conn_init(&u->c, &cc, u->rx, cfg->rx_cap, u->tx, cfg->tx_cap, cio_now_ns());
	if (e)
		return e;
	cio_ev_pump_init(&u->pump, loop, pump_step, pump_deadline, u, DOIP_IO_ROUNDS, on_timer);
	u->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0)
		return -errno;
	setsockopt(u->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ev_io_init(&u->rio, on_read, u->fd, EV_READ);
	ev_io_init(&u->wio, on_write, u->fd, EV_WRITE);
	u->rio.data = u->wio.data = u;
	ev_timer_init(&u->setup_tm, on_setup_timer, cfg->setup_ms / 1000.0, 0);
	u->setup_tm.data = u;
	ev_now_update(loop);
	ev_timer_start(loop, &u->setup_tm);
	u->state = DOIP_IO_CONNECTING;
	/* the outcome of the connect, even at once, comes as writability */
	if (connect(u->fd, (const struct sockaddr *)to, sizeof(*to)) && errno != EINPROGRESS) {
		e = -errno;
		/* said through the loop, as every other setup failure */
		ev_timer_stop(loop, &u->setup_tm);
		ev_timer_set(&u->setup_tm, 0, 0);
		u->err = e;
		ev_timer_start(loop, &u->setup_tm);
		return 0;
	}
	ev_io_start(loop, &u->wio);
	return 0;
}

int doip_io_request(struct doip_io *u, const uint8_t *req, size_t len, unsigned int flags)
{
	int e;

	if (u->err)
		return u->err;
	if (u->state != DOIP_IO_ACTIVE)
		return -ENOTCONN;
	if (!(flags & UDS_REQ_FUNCTIONAL) != !doip_io_functional(u->cfg.ta))
		return -EINVAL;
	if (len + DOIP_HDR_LEN + 4 + DOIP_CONN_TX_MIN > u->cfg.tx_cap)
		return -EMSGSIZE;
	u->nack = -1;
	e = uds_client_request(&u->cl, req, len, flags, cio_now_ns());
	if (!e)
		pump(u);
	return e;
}

void doip_io_close(struct doip_io *u)
{
	if (!u->loop)
		return;
	cio_ev_pump_fini(&u->pump);
	ev_timer_stop(u->loop, &u->setup_tm);
	if (u->fd >= 0) {
		ev_io_stop(u->loop, &u->rio);
		ev_io_stop(u->loop, &u->wio);
		close(u->fd);
		u->fd = -1;
	}
	free(u->rx);
	free(u->tx);
	u->rx = u->tx = NULL;
	u->loop = NULL;
}

/* ---- vehicle identification */

int doip_io_discover(const struct sockaddr_in *to, uint32_t wait_ms, struct doip_io_vid *out,
		     size_t cap)
{
	uint8_t buf[512];
	struct doip_msg m;
	size_t len, n = 0, i;
	uint64_t end;
	int fd, one = 1, e = 0;

	memset(&m, 0, sizeof(m));
	m.ver = DOIP_VER_2012;
	m.type = DOIP_T_VID_REQ;
	if (doip_build(&m, buf, sizeof(buf), &len))
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a broadcast address needs leave; on any other it changes nothing */
	setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to)) != (ssize_t)len) {
		e = -errno;
		goto out;
	}
	end = cio_now_ns() + (uint64_t)wait_ms * 1000000ull;
	for (;;) {
		uint64_t now = cio_now_ns();
		struct pollfd p = {fd, POLLIN, 0};
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r;

		if (now >= end)
			break;
		r = poll(&p, 1, (int)((end - now + 999999) / 1000000));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = -errno;
			break;
		}
		if (!r)
			break;
		r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (r < 0) {
			/* e.g. ECONNREFUSED: nobody listens there (ICMP) */
			if (errno == ECONNREFUSED)
				continue;
			e = -errno;
			break;
		}
		if (doip_parse(buf, (size_t)r, &m, NULL) || m.type != DOIP_T_VID_RSP)
			continue;
		for (i = 0; i < n; i++)
			if (out[i].from.sin_addr.s_addr == from.sin_addr.s_addr &&
			    out[i].m.u.vid.la == m.u.vid.la)
				break;
		if (i < n || n == cap)
			continue;
		out[n].from = from;
		out[n].m = m;
		n++;
	}
out:
	close(fd);
	return e ? e : (int)n;
}
