/* SPDX-License-Identifier: MIT */
/*
 * cmd_isotp.c - "canrig isotp send|recv|dump": can-utils' isotpsend,
 * isotprecv and isotpdump on canrig's own userspace ISO-TP (no kernel
 * can-isotp module needed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/can.h>

#include "cio.h"
#include "cli.h"
#include "isotp_io.h"

#define MAX_PDU (1u << 24) /* 16 MiB: more than any flash block */

static void isotp_usage(FILE *f)
{
	fprintf(f, "Usage: canrig isotp send [options] IF   < hex bytes on stdin\n"
		   "       canrig isotp recv [options] IF   > hex bytes on stdout\n"
		   "       canrig isotp dump -s ID -d ID [options] IF\n"
		   "\n"
		   "Drop-in equivalents of can-utils' isotpsend, isotprecv and isotpdump,\n"
		   "on canrig's userspace ISO-TP (ISO 15765-2).  Ids and bytes in hex.\n"
		   "\n"
		   "Options:\n"
		   "  -s ID        our transmit id (8 digits: 29-bit)\n"
		   "  -d ID        the id we receive (8 digits: 29-bit)\n"
		   "  -x A[:RA]    extended addressing: address byte sent [and expected]\n"
		   "  -p [T]:[R]   pad sent frames with T; expect padding R (see -P)\n"
		   "  -P l|c|a     check received padding: length, content, all\n"
		   "  -L MTU:DL:F  link layer: MTU 72 = CAN FD, DL = TX_DL (8..64), F 1 = BRS\n"
		   "  -h, --help   this text\n"
		   "send:\n"
		   "  -D LEN       send LEN bytes 01 02 .. instead of reading stdin\n"
		   "  -f NSECS     ignore the receiver's STmin, wait NSECS between frames\n"
		   "  -t NSECS     at least NSECS between our consecutive frames\n"
		   "  -b           wait until the PDU is sent (always done; accepted)\n"
		   "  --count N    send the PDU N times, one after the other\n"
		   "recv:\n"
		   "  -b BS        block size we ask for (hex), 0 = off\n"
		   "  -m STMIN     STmin we ask for (hex: 00-7F ms, F1-F9 = 100-900 us)\n"
		   "  -w WFT       FC WAIT frames tolerated (hex)\n"
		   "  -l           loop: keep receiving PDUs\n"
		   "dump:\n"
		   "  -x A|any     extended addressing on -s frames   -X A|any  on -d frames\n"
		   "  -a           data as ASCII too    -t a|d|z|A  timestamps\n"
		   "\n"
		   "Unlike the kernel module, padding is off unless -p is given, as in\n"
		   "can-utils.  Exit status: 0 ok, 1 transfer error (timeout, overflow),\n"
		   "2 usage error.\n");
}

static volatile sig_atomic_t stop; /* the signal that asks us to stop */

static void on_signal(int sig)
{
	stop = sig;
}

/* Hex id as can-utils reads it: 8+ digits mean a 29-bit id. */
static int parse_id(const char *s, uint32_t *id, uint8_t *eff)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 16);
	if (errno || *end || end == s)
		return -1;
	*eff = strlen(s) > 7;
	if (v > (*eff ? CAN_EFF_MASK : CAN_SFF_MASK))
		return -1;
	*id = (uint32_t)v;
	return 0;
}

static int parse_hex8(const char *s, uint8_t *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 16);
	if (errno || *end || end == s || x > 0xFF)
		return -1;
	*v = (uint8_t)x;
	return 0;
}

struct opts {
	struct isotp_cfg cfg;
	int have_s, have_d, loop;
	long fixed_len;
	unsigned long count;
	uint64_t gap_ns;
	const char *ifname;
};

/* Options shared by send and recv; returns 0, or 2 after a message. */
static int common_opt(struct opts *o, int opt, const char *arg)
{
	struct isotp_cfg *c = &o->cfg;
	uint8_t a, b;
	unsigned int mtu, dl, fl;
	char *colon;

	switch (opt) {
	case 's':
		if (parse_id(arg, &c->tx_id, &c->tx_eff))
			goto bad;
		o->have_s = 1;
		return 0;
	case 'd':
		if (parse_id(arg, &c->rx_id, &c->rx_eff))
			goto bad;
		o->have_d = 1;
		return 0;
	case 'x':
		colon = strchr(arg, ':');
		if (colon) {
			char first[16];

			if ((size_t)(colon - arg) >= sizeof(first))
				goto bad;
			memcpy(first, arg, (size_t)(colon - arg));
			first[colon - arg] = 0;
			if (parse_hex8(first, &a) || parse_hex8(colon + 1, &b))
				goto bad;
		} else {
			if (parse_hex8(arg, &a))
				goto bad;
			b = a;
		}
		c->tx_ae = a;
		c->rx_ae = b;
		return 0;
	case 'p':
		colon = strchr(arg, ':');
		if (!colon) {
			if (parse_hex8(arg, &c->pad_byte))
				goto bad;
			c->pad = 1;
			return 0;
		}
		if (colon != arg) {
			char first[16];

			if ((size_t)(colon - arg) >= sizeof(first))
				goto bad;
			memcpy(first, arg, (size_t)(colon - arg));
			first[colon - arg] = 0;
			if (parse_hex8(first, &c->pad_byte))
				goto bad;
			c->pad = 1;
		}
		if (colon[1] && parse_hex8(colon + 1, &c->rx_pad_byte))
			goto bad;
		return 0;
	case 'P':
		if (!strcmp(arg, "l"))
			c->rx_pad_check = ISOTP_CHK_LEN;
		else if (!strcmp(arg, "c"))
			c->rx_pad_check = ISOTP_CHK_DATA;
		else if (!strcmp(arg, "a"))
			c->rx_pad_check = ISOTP_CHK_LEN | ISOTP_CHK_DATA;
		else
			goto bad;
		return 0;
	case 'L':
		if (sscanf(arg, "%u:%u:%u", &mtu, &dl, &fl) != 3 || (mtu != 16 && mtu != 72) ||
		    dl < 8 || dl > 64 || !cf_fd_len_valid(dl) || (mtu == 16 && dl != 8) || fl > 255)
			goto bad;
		c->tx_dl = (uint8_t)dl;
		c->brs = (fl & CANFD_BRS) ? 1 : 0;
		return 0;
	default:
		return 1;
	}
bad:
	cli_err("isotp", "bad value '%s' for -%c; try 'canrig isotp --help'", arg, opt);
	return 2;
}

struct run {
	struct ev_loop *loop;
	struct isotp_io io;
	int done, rc, loop_rx;
	const char *what;
	uint64_t pdus, bytes; /* received */
};

static void on_ev(struct isotp_io *io, unsigned int ev, void *ctx)
{
	struct run *r = ctx;
	size_t i;

	if (ev & ISOTP_EV_RX) {
		r->pdus++;
		r->bytes += io->tp.rx_len;
		for (i = 0; i < io->tp.rx_len; i++)
			printf("%02X ", io->tp.rx_buf[i]);
		printf("\n");
		fflush(stdout);
		if (!r->loop_rx)
			r->done = 1;
	}
	if (ev & ISOTP_EV_TX_DONE)
		r->done = 1;
	if (ev & (ISOTP_EV_TX_ERR | ISOTP_EV_RX_ERR)) {
		int err = (ev & ISOTP_EV_TX_ERR) ? io->tp.tx_err : io->tp.rx_err;

		if (io->err) {
			/* the socket failed: say the kernel's reason */
			struct cf_frame f;
			char ebuf[200];

			memset(&f, 0, sizeof(f));
			if (io->tp.cfg.tx_dl > 8)
				f.flags = CF_FD;
			cli_err("isotp", "%s: %s", r->what,
				cio_send_strerror(&io->sock, &f, io->err, ebuf, sizeof(ebuf)));
		} else if (err == -ETIMEDOUT && io->tp.timer)
			cli_err("isotp", "%s: timeout (%s)", r->what, io->tp.timer);
		else
			cli_err("isotp", "%s: %s", r->what, isotp_strerror(err));
		r->rc = EXIT_RUNTIME;
		if (!r->loop_rx || io->err || (ev & ISOTP_EV_TX_ERR))
			r->done = 1;
	}
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	(void)w;
	if (stop)
		ev_break(loop, EVBREAK_ALL);
}

static int run_loop(struct run *r)
{
	ev_timer tick;

	/* signals end the loop at the next tick: no work in handlers */
	ev_timer_init(&tick, on_tick, 0.1, 0.1);
	ev_timer_start(r->loop, &tick);
	while (!r->done && !stop)
		ev_run(r->loop, EVRUN_ONCE);
	ev_timer_stop(r->loop, &tick);
	return stop && !r->done ? EXIT_SIGNAL(stop) : r->rc;
}

static int open_io(struct run *r, struct opts *o, uint8_t *buf, size_t cap)
{
	char ebuf[256];
	int e;

	r->loop = ev_default_loop(0);
	e = isotp_io_open(&r->io, r->loop, o->ifname, &o->cfg, buf, cap, on_ev, r);
	if (e) {
		fprintf(stderr, "canrig isotp: %s\n",
			cio_open_strerror(e, o->ifname, ebuf, sizeof(ebuf)));
		return e == -EAFNOSUPPORT ? EXIT_RUNTIME : EXIT_USAGE;
	}
	return 0;
}

/* Hex bytes from stdin, separated by blanks, as isotpsend reads them. */
static long read_hex(uint8_t *buf, size_t cap)
{
	size_t n = 0;
	unsigned int v;
	int k;

	while ((k = scanf("%2x", &v)) == 1) {
		if (n == cap)
			return -1;
		buf[n++] = (uint8_t)v;
	}
	if (k != EOF)
		return -2;
	return (long)n;
}

static int do_send(struct opts *o)
{
	struct run r;
	uint8_t *msg = malloc(MAX_PDU);
	long n, i;
	int rc, e;

	memset(&r, 0, sizeof(r));
	r.what = "send";
	if (!msg)
		return EXIT_RUNTIME;
	if (o->fixed_len >= 0) {
		n = o->fixed_len;
		for (i = 0; i < n; i++)
			msg[i] = (uint8_t)((i % 0xFF) + 1);
	} else {
		n = read_hex(msg, MAX_PDU);
		if (n == -1 || n == -2) {
			cli_err("isotp",
				n == -1 ? "send: more than %u bytes on stdin"
					: "send: stdin: expected hex bytes like '01 02 AB' (max "
					  "%u)",
				MAX_PDU);
			free(msg);
			return EXIT_USAGE;
		}
	}
	rc = open_io(&r, o, NULL, 0);
	if (rc)
		goto out;
	for (i = 0; i < (long)o->count && !rc; i++) {
		r.done = 0;
		e = isotp_io_send(&r.io, msg, (size_t)n);
		if (e) {
			cli_err("isotp", "send: %zu byte%s: %s", (size_t)n, cli_plural((uint64_t)n),
				e == -EMSGSIZE ? "empty or too long" : strerror(-e));
			rc = EXIT_USAGE;
		} else {
			rc = run_loop(&r);
		}
	}
	if (stop && rc == EXIT_SIGNAL(stop)) {
		const struct isotp *tp = &r.io.tp;

		/* a PDU cut short has no abort frame in ISO-TP: the receiver
		 * times out (N_Cr); say how far it got */
		i--;
		fprintf(stderr, "canrig isotp: send: interrupted; %ld of %lu PDU%s sent", i,
			o->count, cli_plural(o->count));
		if (tp->tx_state != ISOTP_TX_IDLE)
			fprintf(stderr, ", the next stopped after %zu of %zu bytes", tp->tx_pos,
				tp->tx_len);
		fputc('\n', stderr);
	}
	isotp_io_close(&r.io);
out:
	free(msg);
	return rc;
}

static int do_recv(struct opts *o)
{
	struct run r;
	uint8_t *buf = malloc(MAX_PDU);
	int rc;

	memset(&r, 0, sizeof(r));
	r.what = "recv";
	r.loop_rx = o->loop;
	if (!buf)
		return EXIT_RUNTIME;
	rc = open_io(&r, o, buf, MAX_PDU);
	if (!rc) {
		rc = run_loop(&r);
		if (stop && rc == EXIT_SIGNAL(stop)) {
			fprintf(stderr,
				"canrig isotp: recv: interrupted; %llu PDU%s received "
				"(%llu byte%s)",
				(unsigned long long)r.pdus, cli_plural(r.pdus),
				(unsigned long long)r.bytes, cli_plural(r.bytes));
			if (r.io.tp.rx_state == ISOTP_RX_CF)
				fprintf(stderr, ", one stopped after %zu of %zu bytes",
					r.io.tp.rx_pos, r.io.tp.rx_len);
			fputc('\n', stderr);
		}
		isotp_io_close(&r.io);
	}
	free(buf);
	return rc;
}

/* ---- dump */

static const char *const fc_info[4] = {"CTS", "WT", "OVFLW", "reserved"};

static void dump_frame(const struct cf_frame *f, const char *ifname, int ext, int asc, char tsmode,
		       uint64_t *last)
{
	unsigned int i, datidx = 0, pci = f->len > (unsigned int)ext ? f->data[ext] : 0;

	if (tsmode) {
		uint64_t ts = f->ts_ns, d;

		switch (tsmode) {
		case 'a':
			printf("(%llu.%06llu) ", (unsigned long long)(ts / 1000000000ull),
			       (unsigned long long)(ts % 1000000000ull / 1000));
			break;
		case 'A': {
			time_t t = (time_t)(ts / 1000000000ull);
			struct tm tm;
			char s[32];

			localtime_r(&t, &tm);
			strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
			printf("(%s.%06llu) ", s, (unsigned long long)(ts % 1000000000ull / 1000));
			break;
		}
		default:
			if (!*last)
				*last = ts;
			d = ts / 1000 >= *last / 1000 ? ts / 1000 - *last / 1000 : 0;
			printf("(%llu.%06llu) ", (unsigned long long)(d / 1000000),
			       (unsigned long long)(d % 1000000));
			if (tsmode == 'd')
				*last = ts;
		}
	}
	if (f->flags & CF_EFF)
		printf(" %s  %8X", ifname, f->id);
	else
		printf(" %s  %3X", ifname, f->id);
	if (ext)
		printf("{%02X}", f->len ? f->data[0] : 0);
	if (f->flags & CF_FD)
		printf(" [%02d]  ", f->len);
	else
		printf("  [%d]  ", f->len);
	switch (pci & 0xF0) {
	case 0x00:
		if (pci & 0xF) {
			printf("[SF] ln: %-4d data:", pci & 0xF);
			datidx = (unsigned int)ext + 1;
		} else {
			printf("[SF] ln: %-4d data:",
			       f->len > (unsigned int)ext + 1 ? f->data[ext + 1] : 0);
			datidx = (unsigned int)ext + 2;
		}
		break;
	case 0x10: {
		unsigned long len = 0;

		if (f->len > (unsigned int)ext + 1)
			len = (unsigned long)(pci & 0x0F) << 8 | f->data[ext + 1];
		datidx = (unsigned int)ext + 2;
		if (!len && f->len > (unsigned int)ext + 5) {
			len = (unsigned long)f->data[ext + 2] << 24 |
			      (unsigned long)f->data[ext + 3] << 16 |
			      (unsigned long)f->data[ext + 4] << 8 | f->data[ext + 5];
			datidx = (unsigned int)ext + 6;
		}
		printf("[FF] ln: %-4lu data:", len);
		break;
	}
	case 0x20:
		printf("[CF] sn: %X    data:", pci & 0x0F);
		datidx = (unsigned int)ext + 1;
		break;
	case 0x30: {
		unsigned int fs = pci & 0x0F, bs = 0, st = 0;

		if (f->len > (unsigned int)ext + 2) {
			bs = f->data[ext + 1];
			st = f->data[ext + 2];
		}
		printf("[FC] FC: %u = %s # BS: %u %s# STmin: 0x%02X = ", fs,
		       fc_info[fs > 3 ? 3 : fs], bs, bs ? "" : "= off ", st);
		if (st < 0x80)
			printf("%u ms", st);
		else if (st > 0xF0 && st < 0xFA)
			printf("%u us", (st & 0x0F) * 100);
		else
			printf("reserved");
		break;
	}
	default:
		printf("[??]");
	}
	if (datidx && f->len > datidx) {
		printf(" ");
		for (i = datidx; i < f->len; i++)
			printf("%02X ", f->data[i]);
		if (asc) {
			int pad = ((7 - ext) - (int)(f->len - datidx)) * 3 + 5;

			printf("%*s", pad > 4 ? pad : 4, "-  '");
			for (i = datidx; i < f->len; i++)
				putchar(f->data[i] > 0x1F && f->data[i] < 0x7F ? f->data[i] : '.');
			printf("'");
		}
	}
	printf("\n");
}

/* isotpdump has no long options; --help is canrig's */
static const struct option help_lo[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};

static int do_dump(int argc, char **argv)
{
	struct cio_sock s;
	struct cio_ring ring;
	struct cio_opts co;
	uint32_t src = 0, dst = 0;
	uint8_t seff = 0, deff = 0;
	int opt, have_s = 0, have_d = 0, sx = -2, dx = -2, asc = 0, e;
	char tsmode = 0, ebuf[256];
	uint64_t last = 0, shown = 0;
	struct pollfd pfd;
	int rc = EXIT_OK, final = 0;

	optind = 1;
	while ((opt = cli_getopt(argc, argv, "s:d:x:X:cat:uh", help_lo)) != -1) {
		switch (opt) {
		case 's':
			if (parse_id(optarg, &src, &seff))
				goto bad;
			have_s = 1;
			break;
		case 'd':
			if (parse_id(optarg, &dst, &deff))
				goto bad;
			have_d = 1;
			break;
		case 'x':
		case 'X': {
			uint8_t v;
			int *t = opt == 'x' ? &sx : &dx;

			if (!strcmp(optarg, "any"))
				*t = -1;
			else if (parse_hex8(optarg, &v))
				goto bad;
			else
				*t = v;
			break;
		}
		case 'c':
			break; /* colour: output is for pipes and diffs here */
		case 'a':
			asc = 1;
			break;
		case 't':
			if (strlen(optarg) != 1 || !strchr("adzA", optarg[0]))
				goto bad;
			tsmode = optarg[0];
			break;
		case 'h':
			isotp_usage(stdout);
			return EXIT_OK;
		default:
			return cli_opt_error("isotp dump", opt, argv);
		}
	}
	if (dx != -2 && sx == -2) {
		cli_err("isotp", "dump: -X needs -x");
		return EXIT_USAGE;
	}
	if (!have_s || !have_d || argc - optind != 1) {
		cli_err("isotp", "dump needs -s ID -d ID and one interface");
		return EXIT_USAGE;
	}
	cio_opts_init(&co);
	co.filters[0].can_id = src | (seff ? CAN_EFF_FLAG : 0);
	co.filters[0].can_mask = (seff ? CAN_EFF_MASK : CAN_SFF_MASK) | CAN_EFF_FLAG | CAN_RTR_FLAG;
	co.filters[1].can_id = dst | (deff ? CAN_EFF_FLAG : 0);
	co.filters[1].can_mask = (deff ? CAN_EFF_MASK : CAN_SFF_MASK) | CAN_EFF_FLAG | CAN_RTR_FLAG;
	co.nfilters = 2;
	co.rcvbuf = 1 << 20;
	e = cio_open(&s, argv[optind], &co);
	if (e) {
		fprintf(stderr, "canrig isotp: %s\n",
			cio_open_strerror(e, argv[optind], ebuf, sizeof(ebuf)));
		return e == -EAFNOSUPPORT ? EXIT_RUNTIME : EXIT_USAGE;
	}
	if (cio_ring_init(&ring, 64)) {
		cio_close(&s);
		return EXIT_RUNTIME;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pfd.fd = s.fd;
	pfd.events = POLLIN;
	for (;;) {
		int n, i;

		/* after a signal, one last read: what the kernel queued
		 * before it is shown too */
		final = final || stop;
		if (!final && poll(&pfd, 1, 200) <= 0)
			continue;
		n = cio_recv(&s, &ring);
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN) {
			if (final)
				break;
			continue;
		}
		if (n < 0) {
			cli_err("isotp", "dump: %s: %s", argv[optind], strerror(-n));
			rc = EXIT_RUNTIME;
			break;
		}
		for (i = 0; i < n; i++) {
			const struct cf_frame *f = &ring.views[i];
			int is_src = f->id == src && !(f->flags & CF_EFF) == !seff;
			int want = is_src ? sx : dx;

			/* as isotpdump: -x puts every frame in extended
			 * addressing; each side filters on its own address */
			if (want >= 0 && (!f->len || f->data[0] != want))
				continue;
			dump_frame(f, argv[optind], sx != -2, asc, tsmode, &last);
			shown++;
		}
		fflush(stdout);
		if (final && (unsigned int)n < ring.cap)
			break;
	}
	if (stop && rc == EXIT_OK) {
		fprintf(stderr, "canrig isotp: dump: interrupted; %llu frame%s shown\n",
			(unsigned long long)shown, cli_plural(shown));
		rc = EXIT_SIGNAL(stop);
	}
	cio_ring_fini(&ring);
	cio_close(&s);
	return rc;
bad:
	cli_err("isotp", "dump: bad value '%s' for -%c", optarg, opt);
	return EXIT_USAGE;
}

int cmd_isotp(int argc, char **argv)
{
	struct opts o;
	const char *sub;
	int opt, r;
	const char *optstr;
	struct sigaction sa;
	static const struct option lo[] = {{"count", required_argument, NULL, 1},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};

	if (argc < 2)
		return cli_usage_err("isotp", "no command given (send, recv, dump)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		isotp_usage(stdout);
		return EXIT_OK;
	}
	sub = argv[1];
	argc--;
	argv++;
	if (sub[0] == '-')
		return cli_bad_option("isotp", sub);
	if (!strcmp(sub, "dump"))
		return do_dump(argc, argv);
	if (strcmp(sub, "send") && strcmp(sub, "recv")) {
		cli_err("isotp", "unknown command '%s'; try 'canrig isotp --help'", sub);
		return EXIT_USAGE;
	}
	memset(&o, 0, sizeof(o));
	isotp_cfg_init(&o.cfg);
	o.cfg.pad = 0; /* as can-utils: padding only with -p */
	o.fixed_len = -1;
	o.count = 1;
	optstr = !strcmp(sub, "send") ? "s:d:x:p:P:t:f:D:bL:h" : "s:d:x:p:P:b:m:w:lL:h";
	optind = 1;
	while ((opt = cli_getopt(argc, argv, optstr, lo)) != -1) {
		char *end;
		unsigned long v;

		r = common_opt(&o, opt, optarg);
		if (r == 0)
			continue;
		if (r == 2)
			return EXIT_USAGE;
		errno = 0;
		switch (opt) {
		case 'D':
			v = strtoul(optarg, &end, 10);
			if (errno || *end || !v || v > MAX_PDU)
				goto bad;
			o.fixed_len = (long)v;
			break;
		case 'f':
		case 't':
			v = strtoul(optarg, &end, 10);
			if (errno || *end || v > 1000000000ul)
				goto bad;
			if (opt == 'f')
				o.cfg.force_stmin_us = (int32_t)(v / 1000);
			else
				o.gap_ns = v;
			break;
		case 'b':
			if (!strcmp(sub, "send"))
				break; /* we always wait for the end of the PDU */
			if (parse_hex8(optarg, &o.cfg.bs))
				goto bad;
			break;
		case 'm':
			if (parse_hex8(optarg, &o.cfg.stmin))
				goto bad;
			break;
		case 'w':
			if (parse_hex8(optarg, &o.cfg.wftmax))
				goto bad;
			break;
		case 'l':
			o.loop = 1;
			break;
		case 1:
			v = strtoul(optarg, &end, 10);
			if (errno || *end || !v || strcmp(sub, "send"))
				goto bad;
			o.count = v;
			break;
		case 'h':
			isotp_usage(stdout);
			return EXIT_OK;
		default:
			return cli_opt_error(!strcmp(sub, "send") ? "isotp send" : "isotp recv",
					     opt, argv);
		}
	}
	if (!o.have_s || !o.have_d || argc - optind != 1) {
		cli_err("isotp",
			"%s needs -s ID -d ID and one interface; try "
			"'canrig isotp --help'",
			sub);
		return EXIT_USAGE;
	}
	/* -t: a floor under the gap between our frames */
	o.cfg.min_gap_us = (uint32_t)(o.gap_ns / 1000);
	o.ifname = argv[optind];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return !strcmp(sub, "send") ? do_send(&o) : do_recv(&o);
bad:
	cli_err("isotp", "bad value '%s' for -%c; try 'canrig isotp --help'", optarg, opt);
	return EXIT_USAGE;
}
