/* SPDX-License-Identifier: MIT */
/*
 * cmd_replay.c - "canrig replay": canplayer with batching.  Frames are paced
 * from their log timestamps on CLOCK_MONOTONIC (absolute deadlines, so
 * sleeping never accumulates drift), or at a fixed rate, or as fast as the
 * socket takes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cio.h"
#include "clog.h"
#include "cli.h"

#define MAXMAP 32
#define BATCH CIO_TX_BATCH

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void replay_usage(FILE *f)
{
	fprintf(f,
		"Usage: canrig replay [options] FILE|- [DST=SRC]...\n"
		"\n"
		"Send the frames of a candump log (-L, or candump's screen output with\n"
		"-t a, d, z or A; or an ASC log) with their original timing.\n"
		"DST=SRC sends frames logged on interface SRC out on DST, as canplayer's\n"
		"<write-if>=<log-if>; with mappings, frames of unmapped interfaces are\n"
		"skipped.  Without mappings frames go out where they were logged.\n"
		"\n"
		"Options:\n"
		"  -I FILE                 input file (same as the FILE argument)\n"
		"  -l, --loop N|i          play the file N times, or forever with 'i'\n"
		"  -t, --as-fast-as-possible  ignore timestamps, send back to back\n"
		"      --rate FPS          ignore timestamps, send FPS frames per second\n"
		"      --speed FACTOR      scale time: 2 plays twice as fast\n"
		"  -s SECONDS              skip gaps in the log longer than SECONDS\n"
		"  -x                      don't loop sent frames back to local sockets\n"
		"  -v                      print each frame sent (log format)\n"
		"      --from FMT          input format (candump, asc, candump-screen);\n"
		"                          default: detect\n"
		"      --delta             relative times are candump -t d deltas\n"
		"                          (default: -t z, time since the first frame)\n"
		"      --skip-bad          skip malformed lines (counted) instead of stopping\n"
		"  -h, --help              this text\n");
}

struct replay {
	struct cio_sock sock;
	struct {
		char dst[IF_NAMESIZE];
		char src[CLOG_IFNAME_MAX];
		int ifindex;
	} map[MAXMAP];
	unsigned int nmap;
	struct {
		char name[CLOG_IFNAME_MAX];
		int ifindex; /* -1: skip */
	} cache[MAXMAP];
	unsigned int ncache;
	struct cf_frame batch[BATCH];
	uint8_t bdata[BATCH][CF_MAX_LEN];
	struct clog_rec brec[BATCH];
	char bname[BATCH][CLOG_IFNAME_MAX];
	unsigned int nb;
	int verbose;
	struct clog_writer *vw;
	uint64_t sent;
};

static int name_eq(const char *a, const char *b, size_t bl)
{
	return strlen(a) == bl && !memcmp(a, b, bl);
}

/* Returns ifindex, -1 to skip the frame, or -2 after printing an error. */
static int target(struct replay *r, const struct clog_rec *rec)
{
	char name[CLOG_IFNAME_MAX], ebuf[256];
	unsigned int i;
	int idx, e;

	if (r->nmap) {
		for (i = 0; i < r->nmap; i++)
			if (name_eq(r->map[i].src, rec->ifname, rec->ifname_len))
				return r->map[i].ifindex;
		return -1;
	}
	for (i = 0; i < r->ncache; i++)
		if (name_eq(r->cache[i].name, rec->ifname, rec->ifname_len))
			return r->cache[i].ifindex;
	memcpy(name, rec->ifname, rec->ifname_len);
	name[rec->ifname_len] = '\0';
	e = cio_if_lookup(&r->sock, name, &idx);
	if (e) {
		fprintf(stderr, "canrig replay: %s (named in the log; map it with DST=%s)\n",
			cio_open_strerror(e, name, ebuf, sizeof(ebuf)), name);
		return -2;
	}
	if (r->ncache < MAXMAP) {
		snprintf(r->cache[r->ncache].name, sizeof(r->cache[0].name), "%s", name);
		r->cache[r->ncache++].ifindex = idx;
	}
	return idx;
}

static int flush_batch(struct replay *r)
{
	unsigned int done = 0, sent, i, quiet = 0;
	char ebuf[256];
	int e;

	while (done < r->nb && !stop) {
		e = cio_send(&r->sock, r->batch + done, r->nb - done, &sent);
		done += sent;
		if (!e)
			break;
		if (sent)
			quiet = 0;
		/* full queue: wait, never spin, never drop */
		if ((e == -ENOBUFS || e == -EAGAIN) && quiet++ < 2000) {
			cio_wait_writable(&r->sock, 5);
			continue;
		}
		/* say why (an FD frame to a classic interface, say), not EINVAL */
		cli_err("replay", "%s",
			cio_send_strerror(&r->sock, &r->batch[done], e, ebuf, sizeof(ebuf)));
		return -1;
	}
	if (r->verbose) {
		for (i = 0; i < done; i++)
			clog_write(r->vw, &r->brec[i]);
		clog_writer_flush(r->vw);
	}
	r->sent += done;
	r->nb = 0;
	return 0;
}

static void sleep_until(uint64_t due)
{
	struct timespec ts = { (time_t)(due / 1000000000ull), (long)(due % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
		;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "loop", required_argument, NULL, 'l' },
		{ "as-fast-as-possible", no_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 1 },
		{ "speed", required_argument, NULL, 2 },
		{ "from", required_argument, NULL, 3 },
		{ "skip-bad", no_argument, NULL, 4 },
		{ "delta", no_argument, NULL, 5 },
		{ NULL, 0, NULL, 0 }
	};
	static struct clog_writer vw;
	struct replay *r;
	struct clog_reader rd;
	struct clog_rec rec;
	struct cio_opts o;
	const struct clog_format *fmt = NULL;
	const char *in = NULL;
	char ebuf[256];
	double rate = 0, speed = 1;
	uint64_t loops = 1, skip_ns = 0, v, start, first_ts = 0, prev_ts = 0,
		 skipped = 0, idx = 0, due, bad = 0;
	int opt, rc = EXIT_OK, afap = 0, forever = 0, skip_bad = 0, e, t, i, first;
	unsigned int rflags = 0;
	struct sigaction sa;

	r = calloc(1, sizeof(*r));
	if (!r)
		return EXIT_RUNTIME;
	r->sock.fd = -1;
	cio_opts_init(&o);
	o.no_rx = 1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "I:l:ts:xvh", lo, NULL)) != -1) {
		switch (opt) {
		case 'I':
			in = optarg;
			break;
		case 'l':
			if (!strcmp(optarg, "i")) {
				forever = 1;
			} else if (cli_parse_u64(optarg, &loops) || !loops) {
				cli_err("replay", "--loop takes a positive count or 'i'");
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 't':
			afap = 1;
			break;
		case 1:
			if (cli_parse_pos_double(optarg, &rate)) {
				cli_err("replay", "--rate takes frames per second (> 0)");
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 2:
			if (cli_parse_pos_double(optarg, &speed)) {
				cli_err("replay", "--speed takes a factor (> 0)");
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 3:
			fmt = clog_format_find(optarg);
			if (!fmt) {
				cli_err("replay", "unknown format '%s' (known: %s)", optarg,
					clog_format_names());
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 4:
			skip_bad = 1;
			break;
		case 5:
			rflags |= CLOG_RD_DELTA;
			break;
		case 's':
			if (cli_parse_u64(optarg, &v) || !v) {
				cli_err("replay", "-s takes whole seconds (> 0)");
				rc = EXIT_USAGE;
				goto out;
			}
			skip_ns = v * 1000000000ull;
			break;
		case 'x':
			o.no_loopback = 1;
			break;
		case 'v':
			r->verbose = 1;
			break;
		case 'h':
			replay_usage(stdout);
			goto out;
		default:
			replay_usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (!in && optind < argc && !strchr(argv[optind], '='))
		in = argv[optind++];
	if (!in) {
		cli_err("replay", "no input file; use FILE or - for stdin");
		rc = EXIT_USAGE;
		goto out;
	}
	if (!strcmp(in, "-") && (forever || loops > 1)) {
		cli_err("replay", "--loop needs a file, not stdin");
		rc = EXIT_USAGE;
		goto out;
	}
	e = cio_open(&r->sock, "any", &o);
	if (e) {
		fprintf(stderr, "canrig replay: %s\n", cio_open_strerror(e, "any", ebuf, sizeof(ebuf)));
		rc = EXIT_RUNTIME;
		goto out;
	}
	for (i = optind; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t dl = eq ? (size_t)(eq - argv[i]) : 0;

		if (!eq || !dl || dl >= IF_NAMESIZE || !eq[1] ||
		    strlen(eq + 1) >= CLOG_IFNAME_MAX || r->nmap == MAXMAP) {
			cli_err("replay", "'%s': mapping must be DST=SRC (canplayer's write-if=log-if)",
				argv[i]);
			rc = EXIT_USAGE;
			goto out_close;
		}
		memcpy(r->map[r->nmap].dst, argv[i], dl);
		snprintf(r->map[r->nmap].src, CLOG_IFNAME_MAX, "%s", eq + 1);
		e = cio_if_lookup(&r->sock, r->map[r->nmap].dst, &r->map[r->nmap].ifindex);
		if (e) {
			fprintf(stderr, "canrig replay: %s\n",
				cio_open_strerror(e, r->map[r->nmap].dst, ebuf, sizeof(ebuf)));
			rc = EXIT_USAGE;
			goto out_close;
		}
		r->nmap++;
	}
	if (r->verbose) {
		clog_writer_init(&vw, STDOUT_FILENO, &clog_fmt_candump, NULL);
		r->vw = &vw;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	while (!stop && (forever || loops--)) {
		e = clog_reader_open(&rd, in, fmt);
		if (e) {
			if (e == -EPROTO)
				fprintf(stderr, "canrig replay: %s; name it with --from FMT\n",
					rd.err);
			else
				cli_err("replay", "%s: %s", in, strerror(-e));
			rc = EXIT_RUNTIME;
			break;
		}
		rd.flags = rflags;
		start = cli_mono_ns();
		first = 1;
		skipped = 0;
		idx = 0;
		while (!stop && (e = clog_read(&rd, &rec)) != 0) {
			if (e == -EINVAL) {
				bad++;
				fprintf(stderr, "canrig replay: %s\n", rd.err);
				if (skip_bad)
					continue;
				rc = EXIT_RUNTIME;
				break;
			}
			if (e < 0) {
				cli_err("replay", "%s: %s", in, strerror(-e));
				rc = EXIT_RUNTIME;
				break;
			}
			if (rec.ts_kind == CLOG_TS_NONE && !afap && rate <= 0) {
				/* canplayer has no timing to go by either: say what does */
				fprintf(stderr, "canrig replay: %s:%llu: no timestamp (candump "
					"without -t): use --rate FPS or -t\n", rd.path,
					(unsigned long long)rd.line);
				rc = EXIT_USAGE;
				break;
			}
			t = target(r, &rec);
			if (t == -2) {
				rc = EXIT_RUNTIME;
				break;
			}
			if (t < 0)
				continue;
			if (first) {
				first_ts = prev_ts = rec.f.ts_ns;
				first = 0;
				/* the schedule starts with the first frame sent: time
				 * spent opening and reading up to it (slow on a busy
				 * host) would otherwise shorten the first gaps */
				start = cli_mono_ns();
			}
			if (skip_ns && rec.f.ts_ns > prev_ts + skip_ns)
				skipped += rec.f.ts_ns - prev_ts;
			if (rec.f.ts_ns > prev_ts)
				prev_ts = rec.f.ts_ns;
			if (afap)
				due = 0;
			else if (rate > 0)
				due = start + (uint64_t)((double)idx * 1e9 / rate);
			else
				due = start + (uint64_t)((double)(rec.f.ts_ns > first_ts + skipped ?
							 rec.f.ts_ns - first_ts - skipped : 0) / speed);
			idx++;
			if (due > cli_mono_ns()) {
				if (r->nb && flush_batch(r)) {
					rc = EXIT_RUNTIME;
					break;
				}
				sleep_until(due);
			}
			/* copy into the tx batch: the reader reuses its buffer */
			r->batch[r->nb] = rec.f;
			if (rec.f.len && rec.f.data) {
				memcpy(r->bdata[r->nb], rec.f.data, rec.f.len);
				r->batch[r->nb].data = r->bdata[r->nb];
			}
			r->batch[r->nb].ifindex = t;
			if (r->verbose) {
				r->brec[r->nb] = rec;
				r->brec[r->nb].f = r->batch[r->nb];
				memcpy(r->bname[r->nb], rec.ifname, rec.ifname_len);
				r->brec[r->nb].ifname = r->bname[r->nb];
				r->brec[r->nb].extra = NULL;
				r->brec[r->nb].extra_len = 0;
			}
			r->nb++;
			if (r->nb == BATCH && flush_batch(r)) {
				rc = EXIT_RUNTIME;
				break;
			}
		}
		if (rc == EXIT_OK && r->nb && flush_batch(r))
			rc = EXIT_RUNTIME;
		clog_reader_close(&rd);
		if (rc != EXIT_OK)
			break;
	}
	if (bad && skip_bad)
		fprintf(stderr, "canrig replay: skipped %llu malformed line%s\n",
			(unsigned long long)bad, bad > 1 ? "s" : "");
out_close:
	cio_close(&r->sock);
out:
	free(r);
	return rc;
}
