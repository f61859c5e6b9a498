/* SPDX-License-Identifier: MIT */
/* ucli.c - shared runtime of canrig diag and canrig obd. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cio.h"
#include "cli.h"
#include "ucli.h"
#include "uds.h"

const char ucli_opts_help[] =
	"Addressing and transport:\n"
	"  -i, --interface IF     CAN interface (required)\n"
	"  -e, --ecu ID           ECU request id, hex: 7E0 answers on 7E8 (id + 8);\n"
	"                         a 29-bit 18DA<TA><SA> answers on 18DA<SA><TA>\n"
	"      --tx ID --rx ID    explicit request and answer ids (hex; > 7FF: 29-bit)\n"
	"      --29bit TA         normal fixed 29-bit addressing to ECU TA (hex)\n"
	"      --sa SA            tester address for --29bit (default F1)\n"
	"      --functional-id ID functional request id (default 7DF / 18DB33<SA>)\n"
	"  -p, --pad BYTE         ISO-TP padding byte (default CC)\n"
	"      --no-pad           send frames unpadded\n"
	"      --fd[=DL]          CAN FD frames, TX_DL 64 (or DL)\n"
	"Timing (milliseconds):\n"
	"      --p2 MS            first answer due (default 1000, or the ECU's P2 +\n"
	"                         200 if a session answer announces more); exact\n"
	"      --p2star MS        next answer due after 0x78 (default 5000, or the\n"
	"                         ECU's P2* + 200 if more); exact\n"
	"      --timeout MS       cap on one request, 0x78 chains included (60000)\n"
	"      --no-tester-present  never send TesterPresent (3E 80)\n"
	"Output:\n"
	"      --json             one JSON object per result on stdout\n";

const char ucli_doip_help[] =
	"DoIP (ISO 13400-2), instead of -i:\n"
	"      --doip HOST[:PORT] to the DoIP entity at HOST (port 13400); -e is then\n"
	"                         the ECU's logical address (hex), --sa the tester's\n"
	"                         (default 0E80); routing activation comes first\n";

/* the signal that asked us to stop (SIGINT, SIGTERM), and how many came */
static volatile sig_atomic_t stop, nsig;

void ucli_init(struct ucli *c, const char *cmd)
{
	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	c->ecu = c->tx = c->rx = c->func = -1;
	c->ta = -1;
	c->sa = 0xF1;
	c->pad = -1;
	uds_io_cfg_11bit(&c->cfg, 0x7E0, 0x7E8);
	uds_client_cfg_init(&c->ccfg);
}

int ucli_hexnum(const char *s, uint32_t max, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	x = strtoull(s, &end, 16);
	if (errno || *end || x > max)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int decnum(const char *s, uint32_t max, uint32_t *v)
{
	uint64_t x;

	if (cli_parse_u64(s, &x) || x > max)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int ucli_opt(struct ucli *c, int opt, const char *arg)
{
	uint32_t v;
	const char *what;

	switch (opt) {
	case 'i':
		c->ifname = arg;
		return 1;
	case 'e':
	case UCLI_OPT_TX:
	case UCLI_OPT_RX:
	case UCLI_OPT_FUNC:
		what = opt == 'e'	    ? "-e"
		       : opt == UCLI_OPT_TX ? "--tx"
		       : opt == UCLI_OPT_RX ? "--rx"
					    : "--functional-id";
		if (ucli_hexnum(arg, 0x1FFFFFFF, &v))
			goto bad;
		*(opt == 'e'	       ? &c->ecu
		  : opt == UCLI_OPT_TX ? &c->tx
		  : opt == UCLI_OPT_RX ? &c->rx
				       : &c->func) = v;
		return 1;
	case UCLI_OPT_29:
	case UCLI_OPT_SA:
		what = opt == UCLI_OPT_29 ? "--29bit" : "--sa";
		/* a DoIP tester address has 16 bits: ucli_check() bounds a
		 * CAN one once it knows which */
		if (ucli_hexnum(arg, opt == UCLI_OPT_29 ? 0xFF : 0xFFFF, &v))
			goto bad;
		*(opt == UCLI_OPT_29 ? &c->ta : &c->sa) = (int)v;
		if (opt == UCLI_OPT_SA)
			c->sa_arg = arg;
		return 1;
	case UCLI_OPT_DOIP:
		c->doip = arg;
		return 1;
	case 'p':
		what = "--pad";
		if (ucli_hexnum(arg, 0xFF, &v))
			goto bad;
		c->pad = 1;
		c->pad_byte = (uint8_t)v;
		return 1;
	case UCLI_OPT_NOPAD:
		c->pad = 0;
		return 1;
	case UCLI_OPT_FD:
		what = "--fd";
		v = 64;
		if (arg && decnum(arg, 64, &v))
			goto bad;
		if (v != 8 && v != 12 && v != 16 && v != 20 && v != 24 && v != 32 && v != 48 &&
		    v != 64)
			goto bad;
		c->tx_dl = (uint8_t)v;
		return 1;
	case UCLI_OPT_P2:
	case UCLI_OPT_P2STAR:
	case UCLI_OPT_TIMEOUT:
		what = opt == UCLI_OPT_P2	? "--p2"
		       : opt == UCLI_OPT_P2STAR ? "--p2star"
						: "--timeout";
		if (decnum(arg, 3600000, &v) || !v)
			goto bad;
		if (opt == UCLI_OPT_P2)
			c->ccfg.p2_ms = v;
		else if (opt == UCLI_OPT_P2STAR)
			c->ccfg.p2star_ms = v;
		else
			c->ccfg.cap_ms = v;
		/* an explicit value wins over what the ECU says */
		if (opt == UCLI_OPT_P2)
			c->ccfg.adopt_timing &= (uint8_t)~UDS_ADOPT_P2;
		else if (opt == UCLI_OPT_P2STAR)
			c->ccfg.adopt_timing &= (uint8_t)~UDS_ADOPT_P2STAR;
		return 1;
	case UCLI_OPT_NOTP:
		c->ccfg.tp_ms = 0;
		return 1;
	case UCLI_OPT_JSON:
		c->json = 1;
		return 1;
	default:
		return 0;
	}
bad:
	cli_err(c->cmd, "bad value '%s' for %s; try 'canrig %s --help'", arg ? arg : "", what,
		c->cmd);
	return -1;
}

/* 29-bit normal fixed: 18DA<TA><SA> -> 18DA<SA><TA> */
static uint32_t swap_ta_sa(uint32_t id)
{
	return (id & 0x1FFF0000u) | (id & 0xFF) << 8 | ((id >> 8) & 0xFF);
}

/* --doip HOST[:PORT] into c->doip_to (IPv4, a name is resolved). */
static int doip_target(struct ucli *c)
{
	char host[256];
	const char *colon = strrchr(c->doip, ':');
	size_t n = colon ? (size_t)(colon - c->doip) : strlen(c->doip);
	struct addrinfo hints, *res = NULL;
	uint32_t port = DOIP_PORT;
	int e;

	if (!n || n >= sizeof(host) || (colon && (decnum(colon + 1, 65535, &port) || !port))) {
		cli_err(c->cmd, "bad value '%s' for --doip (HOST[:PORT]); try 'canrig %s --help'",
			c->doip, c->cmd);
		return -1;
	}
	memcpy(host, c->doip, n);
	host[n] = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	e = getaddrinfo(host, NULL, &hints, &res);
	if (e || !res) {
		cli_err(c->cmd, "--doip: cannot resolve '%s': %s", host, gai_strerror(e));
		return -1;
	}
	memcpy(&c->doip_to, res->ai_addr, sizeof(c->doip_to));
	c->doip_to.sin_port = htons((uint16_t)port);
	freeaddrinfo(res);
	return 0;
}

static int check_doip(struct ucli *c)
{
	if (c->ifname) {
		cli_err(c->cmd, "give -i or --doip, not both");
		return -1;
	}
	if (c->tx >= 0 || c->rx >= 0 || c->ta >= 0 || c->func >= 0) {
		cli_err(c->cmd, "--tx, --rx, --29bit and --functional-id are CAN addressing; "
				"with --doip, -e is the ECU's logical address");
		return -1;
	}
	if (c->ecu > 0xFFFF) {
		cli_err(c->cmd, "-e: a DoIP logical address has 16 bits (0000-FFFF)");
		return -1;
	}
	if (!c->sa_arg)
		c->sa = 0x0E80;
	return doip_target(c);
}

int ucli_check(struct ucli *c)
{
	struct uds_io_cfg *g = &c->cfg;
	int n = (c->ecu >= 0) + (c->tx >= 0 || c->rx >= 0) + (c->ta >= 0);

	if (c->doip)
		return check_doip(c);
	if (c->sa > 0xFF) {
		cli_err(c->cmd, "bad value '%s' for --sa; try 'canrig %s --help'", c->sa_arg,
			c->cmd);
		return -1;
	}
	if (!c->ifname) {
		cli_err(c->cmd, "no interface: give -i IF");
		return -1;
	}
	if (n > 1) {
		cli_err(c->cmd, "give only one of -e, --tx/--rx and --29bit");
		return -1;
	}
	if ((c->tx >= 0) != (c->rx >= 0)) {
		cli_err(c->cmd, "--tx and --rx go together");
		return -1;
	}
	if (c->ta >= 0) {
		uds_io_cfg_29bit(g, (uint8_t)c->ta, (uint8_t)c->sa);
	} else {
		uint32_t tx = c->ecu >= 0 ? (uint32_t)c->ecu : c->tx >= 0 ? (uint32_t)c->tx : 0x7E0;
		uint32_t rx = c->rx >= 0 ? (uint32_t)c->rx : tx > 0x7FF ? swap_ta_sa(tx) : tx + 8;

		if (tx > 0x7FF)
			uds_io_cfg_29bit(g, (uint8_t)(tx >> 8), (uint8_t)tx);
		else
			uds_io_cfg_11bit(g, tx, rx);
		g->tp.tx_id = tx;
		g->tp.tx_eff = tx > 0x7FF;
		g->tp.rx_id = rx;
		g->tp.rx_eff = rx > 0x7FF;
		if (rx > 0x7FF && tx <= 0x7FF) {
			/* mixed id sizes: no functional range to listen on */
			g->functional = 0;
		}
	}
	if (c->func >= 0) {
		g->func_id = (uint32_t)c->func;
		g->func_eff = c->func > 0x7FF;
	}
	if (g->tp.tx_id == g->tp.rx_id && g->tp.tx_eff == g->tp.rx_eff) {
		cli_err(c->cmd, "request and answer ids are the same");
		return -1;
	}
	if (c->pad >= 0) {
		g->tp.pad = (uint8_t)c->pad;
		g->tp.pad_byte = c->pad_byte;
	}
	if (c->tx_dl)
		g->tp.tx_dl = c->tx_dl;
	return 0;
}

/* The client's events, over either transport. */
static void on_client(struct ucli *c, struct uds_client *cl, unsigned int ev)
{
	if (ev & UDS_EV_PENDING) {
		c->pending++;
		if (c->verbose)
			fprintf(stderr, "canrig %s: ECU busy (0x78 responsePending), waiting\n",
				c->cmd);
	}
	if (ev & UDS_EV_RESPONSE) {
		if (c->nrsp < UCLI_MAX_RSP) {
			struct ucli_rsp *r = &c->rsp[c->nrsp];

			r->src = cl->rsp_src;
			r->result = cl->rsp_result;
			r->len = cl->rsp_len;
			r->data = malloc(r->len ? r->len : 1);
			if (r->data) {
				if (r->len)
					memcpy(r->data, cl->rsp, r->len);
				c->nrsp++;
			} else {
				c->dropped++;
			}
		} else {
			c->dropped++;
		}
	}
	if (ev & UDS_EV_DONE) {
		c->done = 1;
		ev_break(c->loop, EVBREAK_ONE);
	}
}

static void on_uds(struct uds_io *u, unsigned int ev, void *ctx)
{
	on_client(ctx, &u->cl, ev);
}

static void on_doip(struct doip_io *u, unsigned int ev, void *ctx)
{
	struct ucli *c = ctx;

	if (ev & DOIP_IO_EV_SETUP)
		ev_break(c->loop, EVBREAK_ONE);
	on_client(c, &u->cl, ev & ~(unsigned int)DOIP_IO_EV_SETUP);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	if (!stop)
		stop = w->signum;
	nsig++;
	ev_break(loop, EVBREAK_ALL);
}

int ucli_signal(void)
{
	return stop;
}

static ev_signal sig_int, sig_term;

/* Connects and activates routing: one line and exit code 1 if that fails. */
static int open_doip(struct ucli *c)
{
	struct doip_io_cfg dc;
	char where[80];
	int e;

	doip_io_cfg_init(&dc, (uint16_t)(c->ecu >= 0 ? c->ecu : 0));
	dc.sa = (uint16_t)c->sa;
	snprintf(where, sizeof(where), "DoIP %s:%u", inet_ntoa(c->doip_to.sin_addr),
		 ntohs(c->doip_to.sin_port));
	e = doip_io_open(&c->di, c->loop, &c->doip_to, &dc, &c->ccfg, on_doip, c);
	if (e) {
		cli_err(c->cmd, "%s: %s", where, strerror(-e));
		doip_io_close(&c->di);
		return EXIT_RUNTIME;
	}
	while (c->di.state != DOIP_IO_ACTIVE && c->di.state != DOIP_IO_FAILED && !stop)
		ev_run(c->loop, EVRUN_ONCE);
	if (c->di.state == DOIP_IO_ACTIVE)
		return 0;
	if (stop)
		cli_err(c->cmd, "%s: interrupted by %s", where,
			stop == SIGTERM ? "SIGTERM" : "SIGINT");
	else if (c->di.err == -EACCES)
		cli_err(c->cmd,
			"%s: routing activation refused for tester 0x%04X: code 0x%02X (%s)", where,
			c->sa, c->di.ra_code, doip_io_ra_name(c->di.ra_code));
	else if (c->di.err == -ETIMEDOUT)
		cli_err(c->cmd, "%s: no %s in %u ms", where,
			c->di.failed_in == DOIP_IO_ACTIVATING ? "routing activation answer"
							      : "connection",
			dc.setup_ms);
	else if (c->di.err == -ECONNRESET)
		cli_err(c->cmd, "%s: the entity closed the connection during routing activation",
			where);
	else
		cli_err(c->cmd, "%s: %s", where, strerror(-c->di.err));
	doip_io_close(&c->di);
	return stop ? 128 + stop : EXIT_RUNTIME;
}

int ucli_open(struct ucli *c)
{
	char ebuf[256];
	int e;

	c->loop = ev_default_loop(0);
	if (c->doip) {
		if (c->ecu < 0) {
			cli_err(c->cmd, "--doip needs -e ADDR, the ECU's logical address (hex)");
			return EXIT_USAGE;
		}
		c->cl = &c->di.cl;
		ev_signal_init(&sig_int, on_signal, SIGINT);
		ev_signal_init(&sig_term, on_signal, SIGTERM);
		ev_signal_start(c->loop, &sig_int);
		ev_signal_start(c->loop, &sig_term);
		e = open_doip(c);
		if (e) {
			ev_signal_stop(c->loop, &sig_int);
			ev_signal_stop(c->loop, &sig_term);
			return e;
		}
		c->open = 1;
		return 0;
	}
	c->cl = &c->u.cl;
	e = uds_io_open(&c->u, c->loop, c->ifname, &c->cfg, &c->ccfg, on_uds, c);
	if (e) {
		fprintf(stderr, "canrig %s: %s\n", c->cmd,
			cio_open_strerror(e, c->ifname, ebuf, sizeof(ebuf)));
		return e == -EAFNOSUPPORT || e == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	}
	ev_signal_init(&sig_int, on_signal, SIGINT);
	ev_signal_init(&sig_term, on_signal, SIGTERM);
	ev_signal_start(c->loop, &sig_int);
	ev_signal_start(c->loop, &sig_term);
	c->open = 1;
	return 0;
}

void ucli_rsp_clear(struct ucli *c)
{
	unsigned int i;

	for (i = 0; i < c->nrsp; i++)
		free(c->rsp[i].data);
	c->nrsp = 0;
	c->dropped = 0;
}

void ucli_close(struct ucli *c)
{
	ucli_rsp_clear(c);
	if (!c->open)
		return;
	ev_signal_stop(c->loop, &sig_int);
	ev_signal_stop(c->loop, &sig_term);
	if (c->doip)
		doip_io_close(&c->di);
	else
		uds_io_close(&c->u);
	c->open = 0;
}

int ucli_xfer(struct ucli *c, const uint8_t *req, size_t len, unsigned int flags)
{
	int e, nointr = !!(flags & UCLI_XFER_NOINTR);

	ucli_rsp_clear(c);
	c->done = 0;
	c->pending = 0;
	if (stop && !nointr)
		return -EINTR;
	e = c->doip ? doip_io_request(&c->di, req, len, flags & ~UCLI_XFER_NOINTR)
		    : uds_io_request(&c->u, req, len, flags & ~UCLI_XFER_NOINTR);
	if (e)
		return e == -EBUSY ? -EBUSY : e;
	/* NOINTR: the answer is waited for through the first signal (the
	 * client's timers bound the wait); a second one gives up */
	while (!c->done && (nointr ? nsig < 2 : !stop))
		ev_run(c->loop, EVRUN_ONCE);
	if (!c->done) {
		uds_client_cancel(c->cl);
		return -EINTR;
	}
	/* answers come in whatever order the ECUs manage; lists are read
	 * by id (as 7E8 7E9 ... in OBD-II scan tools) */
	if (flags & UDS_REQ_FUNCTIONAL)
		ucli_rsp_sort(c->rsp, c->nrsp);
	return c->cl->result;
}

void ucli_rsp_sort(struct ucli_rsp *r, unsigned int n)
{
	unsigned int i, k;

	/* insertion sort: a handful of ECUs, and stable */
	for (i = 1; i < n; i++) {
		struct ucli_rsp x = r[i];

		for (k = i; k > 0 && r[k - 1].src > x.src; k--)
			r[k] = r[k - 1];
		r[k] = x;
	}
}

static void on_wake(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	*(int *)w->data = 1;
	ev_break(loop, EVBREAK_ONE);
}

int ucli_sleep(struct ucli *c, uint32_t ms)
{
	ev_timer t;
	int woke = 0;

	ev_now_update(c->loop);
	ev_timer_init(&t, on_wake, ms / 1000.0, 0);
	t.data = &woke;
	ev_timer_start(c->loop, &t);
	while (!woke && !stop)
		ev_run(c->loop, EVRUN_ONCE);
	ev_timer_stop(c->loop, &t);
	return woke ? 0 : -EINTR;
}

const struct ucli_rsp *ucli_answer(const struct ucli *c)
{
	return c->nrsp && c->rsp[0].result == 0 ? &c->rsp[0] : NULL;
}

/* Which timer ran out, its value, and the option that raises it (the
 * "no response (P2 timeout)" head is what scripts already match). */
static void timeout_msg(const struct uds_client *cl, char *msg, size_t n)
{
	const char *t = cl->timeout ? cl->timeout : "P2";
	int star = !strcmp(t, "P2*");

	if (!strcmp(t, "cap")) {
		snprintf(msg, n,
			 "no response (cap timeout): no final answer in %u ms; "
			 "--timeout MS raises it",
			 cl->timeout_ms);
		return;
	}
	if (cl->ecu_timing)
		snprintf(msg, n,
			 "no response (%s timeout): waited %u ms, the ECU announced "
			 "%u ms; --%s MS raises it",
			 t, cl->timeout_ms, star ? cl->ecu_p2star_ms : cl->ecu_p2_ms,
			 star ? "p2star" : "p2");
	else
		snprintf(msg, n, "no response (%s timeout): waited %u ms; --%s MS raises it", t,
			 cl->timeout_ms, star ? "p2star" : "p2");
}

int ucli_fail(const struct ucli *c, const char *what, int result)
{
	const struct uds_client *cl = c->cl ? c->cl : &c->u.cl;
	char msg[256];
	int rc = EXIT_RUNTIME;

	if (c->doip && result == -ECOMM && c->di.nack >= 0) {
		snprintf(msg, sizeof(msg), "DoIP negative acknowledgement 0x%02X (%s) from 0x%04X",
			 c->di.nack, doip_io_nack_name((uint8_t)c->di.nack), c->di.cfg.ta);
	} else if (c->doip && (result == -ECOMM || result == c->di.err) && c->di.err) {
		int e = c->di.err;

		snprintf(msg, sizeof(msg), "DoIP connection: %s",
			 e == -ECONNRESET ? "closed by the entity" : strerror(-e));
	} else if (c->doip && result == -ECOMM) {
		snprintf(msg, sizeof(msg), "DoIP: %s", strerror(-cl->transport_err));
	} else if (result >= 0x10 && result <= 0xFF) {
		snprintf(msg, sizeof(msg), "negative response 0x%02X %s", result,
			 uds_client_strerror(result));
		rc = EXIT_NRC;
	} else if (result == -ETIMEDOUT) {
		timeout_msg(cl, msg, sizeof(msg));
	} else if (!c->doip && c->u.io.err && (result == -ECOMM || result == c->u.io.err)) {
		/* the socket failed: the kernel's reason, not ISO-TP's */
		struct cf_frame f;
		char ebuf[200];

		memset(&f, 0, sizeof(f));
		if (c->cfg.tp.tx_dl > 8)
			f.flags = CF_FD;
		snprintf(msg, sizeof(msg), "%s",
			 cio_send_strerror(&c->u.io.sock, &f, c->u.io.err, ebuf, sizeof(ebuf)));
	} else if (result == -ECOMM) {
		const char *t = c->u.io.tp.timer;

		if (cl->transport_err == -ETIMEDOUT && t)
			snprintf(msg, sizeof(msg), "ISO-TP error: %s timeout", t);
		else
			snprintf(msg, sizeof(msg), "ISO-TP error: %s",
				 isotp_strerror(cl->transport_err));
	} else if (result == -EINTR) {
		snprintf(msg, sizeof(msg), "interrupted by %s",
			 stop == SIGTERM ? "SIGTERM" : "SIGINT");
		if (stop)
			rc = 128 + stop;
	} else if (result == -EMSGSIZE) {
		snprintf(msg, sizeof(msg), "request too long for this transport");
	} else {
		snprintf(msg, sizeof(msg), "%s", uds_client_strerror(result));
	}
	cli_err(c->cmd, "%s: %s", what, msg);
	if (c->json) {
		printf("{\"command\":");
		ucli_json_str(stdout, what, strlen(what));
		printf(",\"error\":");
		ucli_json_str(stdout, msg, strlen(msg));
		if (rc == EXIT_NRC)
			printf(",\"nrc\":%d,\"nrc_name\":\"%s\"", result,
			       uds_nrc_name((uint8_t)result));
		printf("}\n");
	}
	return rc;
}

long ucli_hex(const char *s, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s == ' ' || *s == ':' || *s == '.' || *s == '\t') {
			if (hi >= 0)
				return -1;
			continue;
		}
		if (!isxdigit((unsigned char)*s))
			return -1;
		v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return -1;
		buf[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi >= 0 ? -1 : (long)n;
}

void ucli_print_hex(FILE *f, const uint8_t *p, size_t n, char sep)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i && sep)
			fputc(sep, f);
		fprintf(f, "%02X", p[i]);
	}
}

void ucli_json_str(FILE *f, const char *s, size_t n)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7F)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}
