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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cio.h"
#include "clog.h"
#include "cli.h"

#define MAXMAP 32
#define BATCH  CIO_TX_BATCH

static volatile sig_atomic_t stop; /* the signal that asks us to stop */

static void on_signal(int sig)
{
	stop = sig;
}

static void replay_usage(FILE *f)
{
	fprintf(f, "Usage: canrig replay [options] FILE|- [DST=SRC]...\n"
		   "\n"
		   "Send the frames of a log with their original timing: candump -L, or\n"
		   "candump's screen output with -t a, d, z or A, ASC, BLF, pcapng, pcap\n"
		   "or TRC (detected from the content).\n"
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
		   "      --from FMT          input format (candump, asc, blf, pcapng, pcap,\n"
		   "                          trc, candump-screen); default: detect\n"
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
		uint64_t hits; /* frames of the log it took */
	} map[MAXMAP];
	unsigned int nmap;
	/* interfaces of the log no mapping took (the first few), to name
	 * them when a mapping matched nothing */
	char unmapped[8][CLOG_IFNAME_MAX];
	unsigned int nunmapped;
	struct {
		char name[CLOG_IFNAME_MAX];
		int ifindex; /* -1: skip */
	} cache[MAXMAP];
	unsigned int ncache;
	struct cf_frame batch[BATCH]; /* what cio_send() takes: views of bbuf */
	struct cf_buf bbuf[BATCH];
	struct clog_rec brec[BATCH];
	char bname[BATCH][CLOG_IFNAME_MAX];
	uint64_t bline[BATCH]; /* the log line of each batched frame */
	unsigned int nb;
	int verbose;
	struct clog_writer *vw;
	uint64_t sent;
	uint64_t last_line; /* log line of the last frame sent, 0: none yet */
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
			if (name_eq(r->map[i].src, rec->ifname, rec->ifname_len)) {
				r->map[i].hits++;
				return r->map[i].ifindex;
			}
		for (i = 0; i < r->nunmapped; i++)
			if (name_eq(r->unmapped[i], rec->ifname, rec->ifname_len))
				return -1;
		if (r->nunmapped < 8 && rec->ifname_len < CLOG_IFNAME_MAX) {
			memcpy(r->unmapped[r->nunmapped], rec->ifname, rec->ifname_len);
			r->unmapped[r->nunmapped++][rec->ifname_len] = '\0';
		}
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

/* Does a mapping (or, without mappings, anything) take this record? */
static int wanted(const struct replay *r, const struct clog_rec *rec)
{
	unsigned int i;

	if (!r->nmap)
		return 1;
	for (i = 0; i < r->nmap; i++)
		if (name_eq(r->map[i].src, rec->ifname, rec->ifname_len))
			return 1;
	return 0;
}

/* Sends the batch; returns 0, or -1 after an error message.  A signal
 * (stop) leaves the rest unsent. */
static int flush_batch(struct replay *r)
{
	unsigned int done = 0, sent, i, quiet = 0;
	char ebuf[256];
	int e, rc = 0;

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
		rc = -1;
		break;
	}
	if (r->verbose) {
		for (i = 0; i < done; i++)
			clog_write(r->vw, &r->brec[i]);
		clog_writer_flush(r->vw);
	}
	/* what went out counts, an error or a signal after it or not */
	if (done)
		r->last_line = r->bline[done - 1];
	r->sent += done;
	r->nb = 0;
	return rc;
}

/*
 * The one line an interruption prints: where in the log it stopped and how
 * much of this pass went out ("45 of 300 frames sent"; the total only for
 * a file, a pipe would wait for the rest).
 */
static uint64_t count_rest(const struct replay *r, struct clog_reader *rd);

static void summary(const struct replay *r, struct clog_reader *rd, uint64_t seen, uint64_t sent,
		    uint64_t pass, uint64_t nloops)
{
	char where[CLOG_IFNAME_MAX + 256], of[48] = "", lp[48] = "";

	if (r->last_line)
		snprintf(where, sizeof(where), "after %s:%llu", rd->path,
			 (unsigned long long)r->last_line);
	else
		snprintf(where, sizeof(where), "before the first frame of %s", rd->path);
	if (rd->mapped) {
		uint64_t total = seen + count_rest(r, rd);

		snprintf(of, sizeof(of), " of %llu", (unsigned long long)total);
		sent = sent > total ? total : sent;
	}
	if (nloops != 1)
		snprintf(lp, sizeof(lp), " (pass %llu%s%.0llu)", (unsigned long long)pass,
			 nloops ? " of " : "", (unsigned long long)nloops);
	fprintf(stderr, "canrig replay: interrupted %s: %llu%s frame%s sent%s\n", where,
		(unsigned long long)sent, of, cli_plural(of[0] ? 2 : sent), lp);
}

/* A mapping that took no frame: a typo, or the log's names differ. */
static void no_match_warning(const struct replay *r, int i, const char *in)
{
	char names[8 * (CLOG_IFNAME_MAX + 2)] = "";
	size_t k = 0;
	unsigned int j;

	for (j = 0; j < r->nunmapped && k < sizeof(names); j++)
		k += (size_t)snprintf(names + k, sizeof(names) - k, "%s%s", j ? ", " : "",
				      r->unmapped[j]);
	fprintf(stderr, "canrig replay: mapping %s=%s matched no frame in %s%s%s%s\n",
		r->map[i].dst, r->map[i].src, strcmp(in, "-") ? in : "<stdin>",
		k ? " (its frames are on " : "", names, k ? ")" : "");
}

/* After an interruption: the frames of the log not yet read that would
 * have gone out (a regular file only: a pipe would wait for more). */
static uint64_t count_rest(const struct replay *r, struct clog_reader *rd)
{
	struct clog_rec rec;
	uint64_t n = 0;
	int e;

	while ((e = clog_read(rd, &rec)) != 0) {
		if (e == -EINVAL)
			continue;
		if (e < 0)
			break;
		n += (uint64_t)wanted(r, &rec);
	}
	return n;
}

static void sleep_until(uint64_t due)
{
	struct timespec ts = {(time_t)(due / 1000000000ull), (long)(due % 1000000000ull)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
		;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option lo[] = {{"help", no_argument, NULL, 'h'},
					   {"loop", required_argument, NULL, 'l'},
					   {"as-fast-as-possible", no_argument, NULL, 't'},
					   {"rate", required_argument, NULL, 1},
					   {"speed", required_argument, NULL, 2},
					   {"from", required_argument, NULL, 3},
					   {"skip-bad", no_argument, NULL, 4},
					   {"delta", no_argument, NULL, 5},
					   {NULL, 0, NULL, 0}};
	static struct clog_writer vw;
	struct replay *r;
	struct clog_reader rd;
	struct clog_rec rec;
	struct cio_opts o;
	const struct clog_format *fmt = NULL;
	const char *in = NULL;
	char ebuf[256];
	double rate = 0, speed = 1;
	uint64_t loops = 1, skip_ns = 0, v, start, first_ts = 0, prev_ts = 0, skipped = 0, idx = 0,
		 due, bad = 0, gap_ns = 0, pass = 0, sent0 = 0, nloops;
	int opt, rc = EXIT_OK, afap = 0, forever = 0, skip_bad = 0, e, t, i, first;
	int handlers = 0;
	unsigned int rflags = 0;
	struct sigaction sa;

	r = calloc(1, sizeof(*r));
	if (!r)
		return EXIT_RUNTIME;
	r->sock.fd = -1;
	cio_opts_init(&o);
	o.no_rx = 1;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, "I:l:tg:s:xvh", lo)) != -1) {
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
		case 'g':
			/* canplayer's -g: how often it looks for due frames */
			if (cli_parse_u64(optarg, &v) || v > 3600000) {
				cli_err("replay", "-g takes milliseconds (canplayer's gap)");
				rc = EXIT_USAGE;
				goto out;
			}
			gap_ns = v * 1000000ull;
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
			rc = cli_opt_error("replay", opt, argv);
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
	/* the log before the bus: a mistyped name is the likelier mistake,
	 * and it is named even where there is no CAN at all */
	if (strcmp(in, "-")) {
		struct stat st;

		e = stat(in, &st) ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : 0;
		if (!e && access(in, R_OK))
			e = -errno;
		if (e) {
			cli_err("replay", "%s: %s", in, strerror(-e));
			rc = EXIT_RUNTIME;
			goto out;
		}
	}
	e = cio_open(&r->sock, "any", &o);
	if (e) {
		fprintf(stderr, "canrig replay: %s\n",
			cio_open_strerror(e, "any", ebuf, sizeof(ebuf)));
		rc = EXIT_RUNTIME;
		goto out;
	}
	for (i = optind; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t dl = eq ? (size_t)(eq - argv[i]) : 0;

		if (!eq || !dl || dl >= IF_NAMESIZE || !eq[1] ||
		    strlen(eq + 1) >= CLOG_IFNAME_MAX || r->nmap == MAXMAP) {
			cli_err("replay",
				"'%s': mapping must be DST=SRC (canplayer's write-if=log-if)",
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
	nloops = loops;
	cli_stdin_hint("replay", in);
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
		if (!handlers) {
			/* from the first frame on, a signal stops cleanly (exit
			 * 128 + signal, a summary); before, during detection on
			 * a terminal, its default action does */
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = on_signal; /* no SA_RESTART: a waiting read ends */
			sigaction(SIGINT, &sa, NULL);
			sigaction(SIGTERM, &sa, NULL);
			sigaction(SIGHUP, &sa, NULL);
			handlers = 1;
		}
		rd.flags = rflags;
		rd.stop = &stop;
		pass++;
		sent0 = r->sent;
		r->last_line = 0;
		start = cli_mono_ns();
		first = 1;
		skipped = 0;
		idx = 0;
		while (!stop && (e = clog_read(&rd, &rec)) != 0) {
			if (e == -EINVAL) {
				bad += !rd.fatal;
				fprintf(stderr, "canrig replay: %s\n", rd.err);
				/* a torn or corrupt file is lost data: no skipping it */
				if (skip_bad && !rd.fatal)
					continue;
				rc = EXIT_RUNTIME;
				break;
			}
			if (e == -EINTR && stop)
				break;
			if (e < 0) {
				cli_err("replay", "%s: %s", in, strerror(-e));
				rc = EXIT_RUNTIME;
				break;
			}
			if (rec.ts_kind == CLOG_TS_NONE && !afap && rate <= 0) {
				/* canplayer has no timing to go by either: say what does */
				fprintf(stderr,
					"canrig replay: %s:%llu: no timestamp (candump "
					"without -t): use --rate FPS or -t\n",
					rd.path, (unsigned long long)rd.line);
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
				due = (uint64_t)((double)(rec.f.ts_ns > first_ts + skipped
								  ? rec.f.ts_ns - first_ts - skipped
								  : 0) /
						 speed);
			/* -g: canplayer sends what is due, then sleeps the gap;
			 * a frame goes out at the first look at or after its time */
			if (!afap && rate <= 0)
				due = start + (gap_ns ? (due + gap_ns - 1) / gap_ns * gap_ns : due);
			idx++;
			if (due > cli_mono_ns()) {
				if (r->nb && flush_batch(r)) {
					rc = EXIT_RUNTIME;
					break;
				}
				sleep_until(due);
			}
			/* copy into the tx batch: the reader reuses its buffer */
			r->batch[r->nb] = *cf_buf_set(&r->bbuf[r->nb], &rec.f);
			r->batch[r->nb].ifindex = t;
			r->bline[r->nb] = rd.line;
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
		if (stop && rc == EXIT_OK) {
			summary(r, &rd, idx, r->sent - sent0, pass, forever ? 0 : nloops);
			rc = EXIT_SIGNAL(stop);
		}
		if (pass == 1 && rd.nxl) /* once, not per loop */
			fprintf(stderr,
				"canrig replay: %s: %llu CAN XL frame%s skipped (canrig sends CAN "
				"and CAN FD)\n",
				rd.path, (unsigned long long)rd.nxl, cli_plural(rd.nxl));
		clog_reader_close(&rd);
		if (rc != EXIT_OK)
			break;
	}
	if (stop && rc == EXIT_OK && (forever || loops)) {
		/* between two passes: the passes left are what was cut */
		fprintf(stderr, "canrig replay: interrupted after pass %llu: %llu frame%s sent\n",
			(unsigned long long)pass, (unsigned long long)r->sent, cli_plural(r->sent));
		rc = EXIT_SIGNAL(stop);
	}
	if (bad && skip_bad)
		fprintf(stderr, "canrig replay: skipped %llu malformed line%s\n",
			(unsigned long long)bad, cli_plural(bad));
	for (i = 0; rc == EXIT_OK && i < (int)r->nmap; i++)
		if (!r->map[i].hits)
			no_match_warning(r, i, in);
out_close:
	cio_close(&r->sock);
out:
	free(r);
	return rc;
}
