/* SPDX-License-Identifier: MIT */
/*
 * cmd_dump.c - "canrig dump": candump's everyday behaviour and output,
 * with batched receive and one write per batch instead of a flush per frame.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>

#include "cio.h"
#include "clog.h"
#include "clog_rot.h"
#include "cli.h"
#include "dbcout.h"

#define MAXSOCK	    16
#define RING_SLOTS  256
#define COALESCE_NS 1000000L /* 1 ms: invisible on screen; ~8 frames of a 1 Mbit/s bus */

static volatile sig_atomic_t stop; /* the signal that asks us to stop */

static void on_signal(int sig)
{
	stop = sig;
}

/*
 * candump's -d is its drop monitor, ours a DBC: "-d vcan0" from candump
 * habit.  An argument that is no file and reads as an interface name
 * (or takes the only interface) gets that said instead of ENOENT.
 */
static int dbc_arg_is_candump_habit(const char *arg, int nifs)
{
	size_t n = strcspn(arg, ",");

	if (!access(arg, F_OK))
		return 0;
	if (!nifs)
		return 1;
	return n && n < IF_NAMESIZE && !memchr(arg, '/', n) && !memchr(arg, '.', n);
}

static void dump_usage(FILE *f)
{
	fprintf(f, "Usage: canrig dump [options] IF[,filter]...\n"
		   "\n"
		   "Print CAN and CAN FD frames received on the given interfaces ('any' for\n"
		   "all), in candump's screen format or, with -L, its log format.\n"
		   "\n"
		   "Options:\n"
		   "  -t a|d|z|A   timestamps: absolute, delta, from zero, absolute with date\n"
		   "  -L           candump log format: (time) IF FRAME\n"
		   "  -n COUNT     exit after COUNT frames\n"
		   "  -x           extra info: RX/TX and BRS/ESI flags\n"
		   "  -e           describe error frames in words\n"
		   "  -a           add printable ASCII after the data\n"
		   "  -d FILE.dbc  decode frames with a DBC (as 'canrig dbc decode');\n"
		   "               also --dbc FILE.dbc\n"
		   "  --json, --single-line, --raw, --no-decode-choices, --j1939\n"
		   "               decoded output options, with -d\n"
		   "  --drops      report kernel drops (DROPCOUNT lines; candump's -d)\n"
		   "  -r SIZE      socket receive buffer in bytes\n"
		   "  -T MSECS     exit after MSECS without a frame\n"
		   "  -D           don't exit when an interface goes down\n"
		   "  -9           nanosecond timestamps in -L and -t a output\n"
		   "  -l FILE      write a log file instead, in the format its extension\n"
		   "               names (.log candump, .asc, .trc, ...)\n"
		   "  --rotate SIZE|TIME\n"
		   "               with -l: start a new file at SIZE (20K, 100M, 1G) or\n"
		   "               after TIME of frames (30s, 10min, 2h, 1d); FILE x.log\n"
		   "               becomes x-0001.log, x-0002.log, ...\n"
		   "  --stats      print received and dropped counts to stderr at exit\n"
		   "  -h, --help   this text\n"
		   "\n"
		   "Filters (hex), comma separated after the interface, as in candump:\n"
		   "  id:mask      pass when received_id & mask == id & mask\n"
		   "  id~mask      pass when received_id & mask != id & mask\n"
		   "  #errmask     receive error frames of these classes\n"
		   "  j            all filters must match (join)\n"
		   "An 8-digit id means a 29-bit id.\n"
		   "\n"
		   "Example: canrig dump -L vcan0,123:7FF,400~700 any,#FFFFFFFF\n");
}

struct dump {
	struct cio_sock sock[MAXSOCK];
	unsigned int nsock;
	struct cio_names names;
	struct cio_ring ring;
	struct clog_writer *w;
	struct dbcout *dbc;
	char tsmode;
	int logfmt, extra, errtext, ascii, dropmon, down_ok, ns;
	unsigned int view;
	uint64_t last_ts;
	uint64_t count, limit;
	uint32_t last_drops[MAXSOCK];
	uint64_t drops;
	uint64_t batches;
	/* -l FILE: the recording, one file or a numbered series */
	const char *logpath;		  /* FILE as given; NULL: no -l */
	const struct clog_format *recfmt; /* what its extension names */
	struct clog_rot rot;
	struct clog_wopts wo;
	const char *chans[MAXSOCK]; /* bus/channel N of ASC, TRC: the Nth interface */
	int logfd;		    /* the file being written; -1: none */
	int logerr;		    /* the next file could not be started: exit 1 */
	unsigned int lost;	    /* CLOG_LOST_* of the files finished */
	char logname[4096];	    /* the file being written */
};

/* Opens file d->rot.seq of the recording and starts the writer on it.
 * Returns 0, or -errno (said on stderr). */
static int log_open(struct dump *d)
{
	int e = 0;

	if (d->rot.max_bytes || d->rot.max_ns)
		e = clog_rot_name(d->logpath, d->rot.seq, d->logname, sizeof(d->logname));
	else if (strlen(d->logpath) >= sizeof(d->logname))
		e = -ENAMETOOLONG;
	else
		strcpy(d->logname, d->logpath);
	if (e) {
		cli_err("dump", "%s: %s", d->logpath, strerror(-e));
		return e;
	}
	d->logfd = open(d->logname, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (d->logfd < 0) {
		e = -errno;
		cli_err("dump", "%s: %s", d->logname, strerror(-e));
		return e;
	}
	clog_writer_init(d->w, d->logfd, d->recfmt, &d->wo);
	d->w->ifname_width = d->names.maxlen; /* candump: aligned as in -L */
	return 0;
}

/* Finishes the file being written: trailer, flush, close.  Returns 0 or
 * -errno (said on stderr). */
static int log_close(struct dump *d)
{
	int e;

	if (d->logfd < 0)
		return 0;
	d->lost |= d->w->lost;
	e = clog_writer_fini(d->w);
	if (close(d->logfd) < 0 && !e)
		e = -errno;
	d->logfd = -1;
	if (e)
		cli_err("dump", "%s: %s", d->logname, strerror(-e));
	return e;
}

/* The current file is full: close it complete and start the next. */
static int log_rotate(struct dump *d)
{
	int e = log_close(d);

	if (e)
		return e;
	clog_rot_next(&d->rot);
	return log_open(d);
}

static void put_ts(struct dump *d, const struct cf_frame *f)
{
	char *p = clog_wreserve(d->w, 64);
	uint64_t ts = f->ts_ns ? f->ts_ns : cli_real_ns(), diff;
	int k = 0;

	switch (d->tsmode) {
	case 'a':
		k = (int)clog_format_ts(ts, d->ns ? 9 : 6, p);
		p[k++] = ' ';
		break;
	case 'A': {
		time_t t = (time_t)(ts / 1000000000ull);
		struct tm tm;

		localtime_r(&t, &tm);
		k = (int)strftime(p, 32, "(%Y-%m-%d %H:%M:%S", &tm);
		k += sprintf(p + k, ".%06llu) ", (unsigned long long)(ts % 1000000000ull / 1000));
		break;
	}
	case 'd':
	case 'z':
		/* as candump: microsecond arithmetic, never negative */
		if (!d->last_ts)
			d->last_ts = ts;
		diff = ts / 1000 >= d->last_ts / 1000 ? ts / 1000 - d->last_ts / 1000 : 0;
		k = sprintf(p, "(%03llu.%06llu) ", (unsigned long long)(diff / 1000000),
			    (unsigned long long)(diff % 1000000));
		if (d->tsmode == 'd')
			d->last_ts = ts;
		break;
	default:
		break;
	}
	clog_wcommit(d->w, (size_t)k);
}

static void out_frame(struct dump *d, const struct cf_frame *f)
{
	const char *name = cio_ifname(&d->names, f->ifindex);
	size_t nl = strlen(name);
	char *p, *s;
	static const char *const xinfo[4] = {"- -", "B -", "- E", "B E"};
	unsigned int fx = ((f->flags & CF_BRS) ? 1 : 0) | ((f->flags & CF_ESI) ? 2 : 0);

	if (f->flags & CF_EFF)
		d->view |= CF_LONG_INDENT_SFF;
	d->w->ifname_width = d->names.maxlen;
	if (d->logfmt || d->dbc || d->logpath) {
		struct clog_rec rec;

		memset(&rec, 0, sizeof(rec));
		rec.f = *f;
		if (!rec.f.ts_ns)
			rec.f.ts_ns = cli_real_ns();
		rec.ifname = name;
		rec.ifname_len = nl;
		rec.ts_digits = d->ns ? 9 : 6;
		if (d->extra) {
			rec.extra = f->dir == CF_DIR_TX ? "T" : "R";
			rec.extra_len = 1;
		}
		if (d->logpath) {
			/* the frame goes to this file or, past its limit, the next:
			 * never nowhere (on failure logerr ends the capture) */
			if (clog_rot_due(&d->rot, d->w->nbytes, rec.f.ts_ns) && log_rotate(d)) {
				d->logerr = 1;
				return;
			}
			clog_write(d->w, &rec);
			clog_rot_frame(&d->rot, rec.f.ts_ns);
		} else if (d->dbc) {
			dbcout_frame(d->dbc, d->w, &rec);
		} else {
			clog_write(d->w, &rec);
		}
		return;
	}
	p = s = clog_wreserve(d->w, 8);
	*p++ = ' ';
	clog_wcommit(d->w, (size_t)(p - s));
	if (d->tsmode)
		put_ts(d, f);
	p = s = clog_wreserve(d->w, CF_LONG_MAX + CF_ERRTEXT_MAX + 64);
	*p++ = ' ';
	if ((int)nl < d->names.maxlen) {
		memset(p, ' ', (size_t)d->names.maxlen - nl);
		p += d->names.maxlen - (int)nl;
	}
	memcpy(p, name, nl);
	p += nl;
	if (d->extra)
		p += sprintf(p, "  %s %s", f->dir == CF_DIR_TX ? "TX" : "RX", xinfo[fx]);
	*p++ = ' ';
	*p++ = ' ';
	p += cf_format_long(f, d->view, p);
	if (d->errtext && (f->flags & CF_ERR)) {
		*p++ = '\n';
		*p++ = '\t';
		p += cf_format_error(f, "\n\t", p, CF_ERRTEXT_MAX);
	}
	*p++ = '\n';
	clog_wcommit(d->w, (size_t)(p - s));
}

static void check_drops(struct dump *d, unsigned int i)
{
	struct cio_sock *s = &d->sock[i];
	uint32_t n = s->kernel_drops - d->last_drops[i];
	char *p;
	int k;

	if (!n)
		return;
	d->drops += n;
	d->last_drops[i] = s->kernel_drops;
	if (!d->dropmon)
		return;
	if (d->logpath) { /* not into a log file: a reader would choke on it */
		fprintf(stderr,
			"DROPCOUNT: dropped %u CAN frame%s on '%s' socket (total drops %u)\n", n,
			n > 1 ? "s" : "", s->ifname, s->kernel_drops);
		return;
	}
	p = clog_wreserve(d->w, 160);
	k = snprintf(p, 160, "DROPCOUNT: dropped %u CAN frame%s on '%s' socket (total drops %u)\n",
		     n, n > 1 ? "s" : "", s->ifname, s->kernel_drops);
	clog_wcommit(d->w, (size_t)k);
}

/* Returns 0 to go on, 1 when done, or an exit code + 100 on error. */
static int drain(struct dump *d, unsigned int i)
{
	int n, k;

	for (;;) {
		n = cio_recv(&d->sock[i], &d->ring);
		if (n == -EAGAIN)
			return 0;
		if (n == -EINTR)
			continue;
		if (n < 0) {
			if (n == -ENETDOWN) {
				if (d->down_ok) {
					fprintf(stderr, "%s: interface down\n", d->sock[i].ifname);
					return 0;
				}
				cli_err("dump", "%s: interface went down", d->sock[i].ifname);
			} else {
				cli_err("dump", "%s: receive: %s", d->sock[i].ifname, strerror(-n));
			}
			return 100 + EXIT_RUNTIME;
		}
		check_drops(d, i);
		d->batches++;
		for (k = 0; k < n; k++) {
			out_frame(d, &d->ring.views[k]);
			if (d->logerr)
				return 100 + EXIT_RUNTIME;
			if (d->limit && ++d->count >= d->limit)
				return 1;
			if (!d->limit)
				d->count++;
		}
		if (d->w->werr)
			return d->w->werr == -EPIPE ? 1 : 100 + EXIT_RUNTIME;
		if ((unsigned int)n < d->ring.cap)
			return 0; /* queue drained */
	}
}

static int open_arg(struct dump *d, const char *arg, int rcvbuf)
{
	size_t nl = strcspn(arg, ",");
	int e = cli_open_ifarg("dump", &d->sock[d->nsock], arg, rcvbuf, 0);

	/* no AF_CAN or no memory is the machine's, the rest the arguments' */
	if (e)
		return e == -EAFNOSUPPORT || e == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	if ((int)nl > d->names.maxlen)
		d->names.maxlen = (int)nl;
	d->nsock++;
	return 0;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option lo[] = {{"help", no_argument, NULL, 'h'},
					   {"stats", no_argument, NULL, 1},
					   {"drops", no_argument, NULL, 2},
					   {"json", no_argument, NULL, 3},
					   {"single-line", no_argument, NULL, 4},
					   {"raw", no_argument, NULL, 5},
					   {"no-decode-choices", no_argument, NULL, 6},
					   {"j1939", no_argument, NULL, 7},
					   {"dbc", required_argument, NULL, 'd'},
					   {"rotate", required_argument, NULL, 8},
					   {NULL, 0, NULL, 0}};
	const char *dbcpath = NULL, *rotarg = NULL, *why;
	unsigned int dmode = DBCOUT_HUMAN, dextra = 0, dflags = 0;
	struct dbc_db *db = NULL;
	static struct clog_writer w;
	struct dump *d;
	struct pollfd pfd[MAXSOCK];
	uint64_t v, timeout_ms = 0;
	int opt, rc = EXIT_OK, stats = 0, rcvbuf = 0, r, done = 0, intr = 0;
	unsigned int i;
	struct sigaction sa;

	d = calloc(1, sizeof(*d));
	if (!d)
		return EXIT_RUNTIME;
	d->logfd = -1;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, "t:Ln:xead:r:T:D9hl:", lo)) != -1) {
		switch (opt) {
		case 't':
			if (strlen(optarg) != 1 || !strchr("adzA", optarg[0])) {
				cli_err("dump", "-t takes a, d, z or A");
				rc = EXIT_USAGE;
				goto out;
			}
			d->tsmode = optarg[0];
			break;
		case 'L':
			d->logfmt = 1;
			break;
		case 'n':
			if (cli_parse_u64(optarg, &d->limit) || !d->limit) {
				cli_err("dump", "-n takes a positive count");
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 'x':
			d->extra = 1;
			break;
		case 'e':
			d->errtext = 1;
			break;
		case 'a':
			d->ascii = 1;
			d->view |= CF_LONG_ASCII;
			break;
		case 'd':
			dbcpath = optarg;
			break;
		case 2:
			d->dropmon = 1;
			break;
		case 3:
			dmode = DBCOUT_JSON;
			break;
		case 4:
			dmode = DBCOUT_SINGLE;
			break;
		case 5:
			dextra |= DBCOUT_RAW;
			break;
		case 6:
			dextra |= DBCOUT_NOCHOICE;
			break;
		case 7:
			dflags |= DBC_J1939;
			break;
		case 'r':
			if (cli_parse_u64(optarg, &v) || !v || v > (1u << 30)) {
				cli_err("dump", "-r takes a buffer size in bytes");
				rc = EXIT_USAGE;
				goto out;
			}
			rcvbuf = (int)v;
			break;
		case 'T':
			if (cli_parse_u64(optarg, &timeout_ms) || !timeout_ms ||
			    timeout_ms > 86400000u) {
				cli_err("dump", "-T takes milliseconds");
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 'D':
			d->down_ok = 1;
			break;
		case '9':
			d->ns = 1;
			break;
		case 1:
			stats = 1;
			break;
		case 'l':
			d->logpath = optarg;
			break;
		case 8:
			rotarg = optarg;
			break;
		case 'h':
			dump_usage(stdout);
			goto out;
		default:
			rc = cli_opt_error("dump", opt, argv);
			goto out;
		}
	}
	if (rotarg && !d->logpath) {
		cli_err("dump", "--rotate needs -l FILE");
		rc = EXIT_USAGE;
		goto out;
	}
	if (rotarg && clog_rot_parse(&d->rot, rotarg, &why)) {
		cli_err("dump", "--rotate %s: %s", rotarg, why);
		rc = EXIT_USAGE;
		goto out;
	}
	if (d->logpath) {
		d->recfmt = clog_format_for_path(d->logpath, &why);
		if (!d->recfmt) {
			cli_err("dump", "-l %s: %s (known: %s)", d->logpath, why,
				clog_format_names());
			rc = EXIT_USAGE;
			goto out;
		}
		if (dbcpath || d->errtext || d->ascii || d->tsmode) {
			cli_err("dump", "-l writes a log file: no -t, -e, -a or -d with it");
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (dbcpath && dbc_arg_is_candump_habit(dbcpath, argc - optind)) {
		cli_err("dump", "-d takes a DBC file here; candump's -d is --drops");
		rc = EXIT_USAGE;
		goto out;
	}
	if (d->logfmt && (d->errtext || d->ascii)) {
		cli_err("dump", "-L cannot be combined with -e or -a");
		rc = EXIT_USAGE;
		goto out;
	}
	if (dbcpath && (d->logfmt || d->errtext || d->ascii)) {
		cli_err("dump", "-d prints decoded frames: no -L, -e or -a with it");
		rc = EXIT_USAGE;
		goto out;
	}
	if (!dbcpath && (dmode != DBCOUT_HUMAN || dextra || dflags)) {
		cli_err("dump", "decoding options need -d FILE.dbc");
		rc = EXIT_USAGE;
		goto out;
	}
	if (dbcpath) {
		rc = dbccli_load("dump", dbcpath, dflags, &db);
		if (rc)
			goto out;
		d->dbc = dbcout_new(db, dmode | dextra);
		if (!d->dbc) {
			rc = EXIT_RUNTIME;
			goto out;
		}
	}
	if (optind == argc) {
		cli_err("dump", "no interface given; try 'canrig dump --help'");
		rc = EXIT_USAGE;
		goto out;
	}
	if (argc - optind > MAXSOCK) {
		cli_err("dump", "at most %d interfaces", MAXSOCK);
		rc = EXIT_USAGE;
		goto out;
	}
	for (r = optind; r < argc; r++)
		if ((rc = open_arg(d, argv[r], rcvbuf)))
			goto out_close;
	if (cio_ring_init(&d->ring, RING_SLOTS)) {
		rc = EXIT_RUNTIME;
		goto out_close;
	}
	clog_writer_init(&w, STDOUT_FILENO, &clog_fmt_candump, NULL);
	d->w = &w;
	if (d->logpath) {
		/* ASC channels and TRC buses: the Nth interface given is N in
		 * every file of the series (by first appearance with "any") */
		for (i = 0; i < d->nsock && strcmp(d->sock[i].ifname, "any"); i++)
			d->chans[i] = d->sock[i].ifname;
		if (i == d->nsock) {
			d->wo.channels = d->chans;
			d->wo.nchannels = d->nsock;
		}
		d->wo.ts_digits = d->ns ? 9 : 6;
		d->rot.seq = 1;
		if (log_open(d)) {
			rc = EXIT_RUNTIME;
			goto out_ring;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	for (i = 0; i < d->nsock; i++) {
		pfd[i].fd = d->sock[i].fd;
		pfd[i].events = POLLIN;
	}
	while (!stop && !done) {
		r = poll(pfd, d->nsock, timeout_ms ? (int)timeout_ms : -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			cli_err("dump", "poll: %s", strerror(errno));
			rc = EXIT_RUNTIME;
			break;
		}
		if (r == 0)
			break; /* -T: quiet for long enough */
		for (i = 0; i < d->nsock && !done; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLERR)))
				continue;
			r = drain(d, i);
			if (r >= 100) {
				rc = r - 100;
				done = 1;
			} else if (r == 1) {
				done = 1;
			}
		}
		/*
		 * Under load frames arrive one by one, and waking per frame
		 * costs a poll, a recvmmsg and a write each, as in candump.
		 * One short pause per wake-up lets the next batch build up
		 * (the kernel timestamps frames, so nothing shifts).
		 */
		if (!done && !stop)
			nanosleep(&(struct timespec){0, COALESCE_NS}, NULL);
		/* one write per wake-up keeps output live without a flush per frame */
		if (clog_writer_flush(&w)) {
			if (w.werr != -EPIPE) {
				cli_err("dump", "write: %s", strerror(-w.werr));
				rc = EXIT_RUNTIME;
			}
			break;
		}
	}
	if (stop && !done && rc == EXIT_OK) {
		/* what the kernel queued before the signal is the user's too:
		 * a pipe reader gets every frame received until the stop */
		for (i = 0; i < d->nsock && !done; i++) {
			r = drain(d, i);
			if (r >= 100)
				rc = r - 100;
			done = r != 0;
		}
		intr = rc == EXIT_OK;
		if (intr)
			rc = EXIT_SIGNAL(stop);
	}
	for (i = 0; i < d->nsock; i++)
		check_drops(d, i); /* a DROPCOUNT line still goes out with the rest */
	if (clog_writer_flush(&w) && w.werr != -EPIPE && rc == EXIT_OK) {
		cli_err("dump", "write: %s", strerror(-w.werr));
		rc = EXIT_RUNTIME;
	}
	/* the last file complete (a format's trailer) on every way out */
	if (log_close(d) && (rc == EXIT_OK || intr))
		rc = EXIT_RUNTIME;
	/* as log convert says it: once each, after the files are written */
	for (v = 1; v <= 0x80; v <<= 1)
		if (d->lost & (unsigned int)v)
			fprintf(stderr, "canrig dump: %s cannot hold the %s: lost\n",
				d->recfmt->name, clog_lost_str((unsigned int)v));
	if (stats || intr) {
		fprintf(stderr, "canrig dump: %s%llu frame%s received, %llu dropped by the kernel",
			intr ? "interrupted; " : "", (unsigned long long)d->count,
			cli_plural(d->count), (unsigned long long)d->drops);
		if (stats)
			fprintf(stderr, " (%llu receive batch%s)", (unsigned long long)d->batches,
				d->batches == 1 ? "" : "es");
		fputc('\n', stderr);
	}
out_ring:
	cio_ring_fini(&d->ring);
out_close:
	for (i = 0; i < d->nsock; i++)
		cio_close(&d->sock[i]);
out:
	dbcout_free(d->dbc);
	dbc_free(db);
	free(d);
	return rc;
}
