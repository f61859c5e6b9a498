/* SPDX-License-Identifier: MIT */
/* cmd_log.c - "canrig log convert": streaming conversion between formats. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "clog.h"
#include "cli.h"

#define MAX_WARN 10

static volatile sig_atomic_t stop; /* the signal that asks us to stop */

static void on_signal(int sig)
{
	stop = sig;
}

static void log_usage(FILE *f)
{
	fprintf(f,
		"Usage: canrig log convert [--from FMT] --to FMT [IN|-] [-o OUT]\n"
		"\n"
		"Convert CAN logs.  Formats: %s.  The input format is detected\n"
		"unless --from is given.  ASC output matches can-utils log2asc.\n"
		"candump-screen is what candump prints without -L (any -t, -x, -a, -e);\n"
		"its lines without a time get the time they arrive on a pipe, 0 from a file.\n"
		"\n"
		"Options:\n"
		"  --from FMT           input format\n"
		"  --to FMT             output format (required)\n"
		"  -o, --output OUT     output file (default stdout); written atomically\n"
		"  --channels A,B,...   ASC, BLF, TRC: interface for channel (bus) 1, 2,\n"
		"                       ...; others are skipped (default: number by first\n"
		"                       appearance)\n"
		"  --ns | --us          candump output: 9 or 6 fractional digits\n"
		"                       (default: as read)\n"
		"  --skip-bad           skip malformed lines (reported, counted); a\n"
		"                       truncated or corrupt file still exits 1\n"
		"  --delta              relative input times are candump -t d deltas\n"
		"                       (default: -t z, time since the first frame)\n"
		"  -h, --help           this text\n",
		clog_format_names());
}

static int convert(int argc, char **argv)
{
	static const struct option lo[] = {{"help", no_argument, NULL, 'h'},
					   {"from", required_argument, NULL, 1},
					   {"to", required_argument, NULL, 2},
					   {"output", required_argument, NULL, 'o'},
					   {"channels", required_argument, NULL, 3},
					   {"ns", no_argument, NULL, 4},
					   {"us", no_argument, NULL, 5},
					   {"skip-bad", no_argument, NULL, 6},
					   {"delta", no_argument, NULL, 7},
					   {NULL, 0, NULL, 0}};
	static struct clog_writer w;
	const struct clog_format *from = NULL, *to = NULL;
	const char *in = "-", *out = NULL;
	char *chanbuf = NULL, *tmp = NULL, *tok, *save = NULL;
	const char *chans[CLOG_MAX_CHANNELS];
	struct clog_wopts wo;
	struct clog_reader rd;
	struct clog_rec rec;
	struct sigaction sa;
	struct stat ost;
	int own_fd = 0;
	uint64_t bad = 0, nchskip = 0;
	int opt, rc = EXIT_OK, fd = STDOUT_FILENO, e, skip_bad = 0, delta = 0, chmap = 0;
	int torn = 0; /* the input ended torn: rc is 1, the output is still whole */

	memset(&wo, 0, sizeof(wo));
	optind = 1;
	while ((opt = cli_getopt(argc, argv, "o:h", lo)) != -1) {
		switch (opt) {
		case 1:
		case 2: {
			const struct clog_format *f = clog_format_find(optarg);

			if (!f) {
				cli_err("log", "unknown format '%s' (known: %s)", optarg,
					clog_format_names());
				rc = EXIT_USAGE;
				goto out;
			}
			if (opt == 2 && !f->write) {
				cli_err("log", "%s is read only; --to takes %s", f->name,
					clog_format_write_names());
				rc = EXIT_USAGE;
				goto out;
			}
			if (opt == 1)
				from = f;
			else
				to = f;
			break;
		}
		case 'o':
			out = optarg;
			break;
		case 3:
			free(chanbuf);
			chanbuf = strdup(optarg);
			if (!chanbuf) {
				rc = EXIT_RUNTIME;
				goto out;
			}
			wo.nchannels = 0;
			for (tok = strtok_r(chanbuf, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (wo.nchannels == CLOG_MAX_CHANNELS) {
					cli_err("log", "at most %d channels", CLOG_MAX_CHANNELS);
					rc = EXIT_USAGE;
					goto out;
				}
				chans[wo.nchannels++] = tok;
			}
			wo.channels = chans;
			break;
		case 4:
			wo.ts_digits = 9;
			break;
		case 5:
			wo.ts_digits = 6;
			break;
		case 6:
			skip_bad = 1;
			break;
		case 7:
			delta = 1;
			break;
		case 'h':
			log_usage(stdout);
			goto out;
		default:
			rc = cli_opt_error("log convert", opt, argv);
			goto out;
		}
	}
	if (!to) {
		cli_err("log", "convert needs --to FMT (known: %s)", clog_format_names());
		rc = EXIT_USAGE;
		goto out;
	}
	if (optind < argc)
		in = argv[optind++];
	if (optind < argc) {
		cli_err("log", "unexpected argument '%s'", argv[optind]);
		rc = EXIT_USAGE;
		goto out;
	}
	cli_stdin_hint("log", in);
	e = clog_reader_open(&rd, in, from);
	if (e) {
		if (e == -EPROTO)
			fprintf(stderr, "canrig log: %s; name it with --from FMT\n", rd.err);
		else
			cli_err("log", "%s: %s", in, strerror(-e));
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (wo.nchannels && to != &clog_fmt_asc && to != &clog_fmt_blf && to != &clog_fmt_trc) {
		/* ASC, BLF or TRC in, another format out: the list names channel 1, 2, ... */
		if (rd.fmt != &clog_fmt_asc && rd.fmt != &clog_fmt_blf && rd.fmt != &clog_fmt_trc) {
			cli_err("log",
				"--channels names ASC or BLF channels: it needs ASC or BLF "
				"input or output (%s is %s)",
				in, rd.fmt->name);
			rc = EXIT_USAGE;
			goto out_close;
		}
		chmap = 1;
	}
	/*
	 * From here on a signal stops the conversion cleanly: the output
	 * written so far is flushed (stdout) or dropped (-o: OUT keeps what
	 * it had), and the exit status says which signal.  Before, during
	 * detection, its default action does that (nothing written yet).
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a waiting read ends */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	rd.stop = &stop;
	if (out && strcmp(out, "-") && !stat(out, &ost) && !S_ISREG(ost.st_mode)) {
		/* a device, FIFO or socket is written as it is: renaming over
		 * it would replace /dev/null or a pipe with a file */
		fd = open(out, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			cli_err("log", "%s: %s", out, strerror(errno));
			rc = EXIT_RUNTIME;
			goto out_close;
		}
		own_fd = 1;
	} else if (out && strcmp(out, "-")) {
		/* write beside the target and rename: a failed run leaves no torso */
		if (asprintf(&tmp, "%s.tmp.%ld", out, (long)getpid()) < 0) {
			tmp = NULL;
			rc = EXIT_RUNTIME;
			goto out_close;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			cli_err("log", "%s: %s", out, strerror(errno));
			free(tmp);
			tmp = NULL;
			rc = EXIT_RUNTIME;
			goto out_close;
		}
	}
	if (delta)
		rd.flags |= CLOG_RD_DELTA;
	clog_writer_init(&w, fd, to, &wo);
	while (!stop && (e = clog_read(&rd, &rec)) != 0) {
		if (e == -EINTR && stop)
			break;
		if (e == -EINVAL && rd.fatal) {
			/* torn or corrupt: data is lost, whatever --skip-bad says;
			 * what was read before it is written (and kept, with -o) */
			fprintf(stderr, "%s\n", rd.err);
			rc = EXIT_RUNTIME;
			torn = 1;
			break;
		}
		if (e == -EINVAL) {
			if (bad++ < MAX_WARN || !skip_bad)
				fprintf(stderr, "%s\n", rd.err);
			if (skip_bad)
				continue;
			rc = EXIT_RUNTIME;
			break;
		}
		if (e < 0) {
			cli_err("log", "%s: %s", in, strerror(-e));
			rc = EXIT_RUNTIME;
			break;
		}
		if (chmap) {
			if (!rec.channel || rec.channel > wo.nchannels) {
				nchskip++;
				continue;
			}
			rec.ifname = chans[rec.channel - 1];
			rec.ifname_len = strlen(rec.ifname);
		}
		if (clog_write(&w, &rec))
			break;
	}
	if (stop && rc == EXIT_OK) {
		fprintf(stderr, "canrig log: interrupted at %s:%llu%s%s%s\n", rd.path,
			(unsigned long long)rd.line, tmp ? "; " : "", tmp ? out : "",
			tmp ? " left as it was" : "");
		rc = EXIT_SIGNAL(stop);
	}
	if (clog_writer_fini(&w) && w.werr != -EPIPE) {
		cli_err("log", "write: %s", strerror(-w.werr));
		rc = EXIT_RUNTIME;
		torn = 0;
	}
	if (skip_bad && bad)
		fprintf(stderr, "canrig log: skipped %llu malformed line%s\n",
			(unsigned long long)bad, bad > 1 ? "s" : "");
	if (w.nskipped)
		fprintf(stderr, "canrig log: %llu frame%s on interfaces %s left out\n",
			(unsigned long long)w.nskipped, cli_plural(w.nskipped),
			wo.nchannels ? "not in --channels" : "beyond the format's limit");
	for (e = 1; e <= 0x80; e <<= 1)
		if (w.lost & (unsigned int)e) /* once: the frames went out, this did not */
			fprintf(stderr, "canrig log: %s cannot hold the %s: lost\n", to->name,
				clog_lost_str((unsigned int)e));
	if (nchskip)
		fprintf(stderr,
			"canrig log: %llu frame%s on %s channels not in --channels "
			"left out\n",
			(unsigned long long)nchskip, cli_plural(nchskip),
			rd.fmt == &clog_fmt_blf ? "BLF" : "ASC");
	if (rd.nother)
		fprintf(stderr, "canrig log: %s: %llu object%s of other types skipped\n", rd.path,
			(unsigned long long)rd.nother, cli_plural(rd.nother));
	if (rd.nxl)
		fprintf(stderr,
			"canrig log: %s: %llu CAN XL frame%s skipped (canrig reads CAN and "
			"CAN FD)\n",
			rd.path, (unsigned long long)rd.nxl, cli_plural(rd.nxl));
	if (own_fd && close(fd) < 0 && rc == EXIT_OK) {
		cli_err("log", "%s: %s", out, strerror(errno));
		rc = EXIT_RUNTIME;
	}
	if (tmp) {
		if (close(fd) < 0 && (rc == EXIT_OK || torn)) {
			cli_err("log", "%s: %s", out, strerror(errno));
			rc = EXIT_RUNTIME;
			torn = 0;
		}
		/* a signal now still stops it: OUT is replaced whole or not at all */
		if ((rc == EXIT_OK || torn) && stop) {
			fprintf(stderr, "canrig log: interrupted; %s left as it was\n", out);
			rc = EXIT_SIGNAL(stop);
			torn = 0;
		}
		/* a torn input still gives a whole OUT: every record before the tear */
		if ((rc == EXIT_OK || torn) && rename(tmp, out) < 0) {
			cli_err("log", "%s: %s", out, strerror(errno));
			rc = EXIT_RUNTIME;
			torn = 0;
		}
		if (rc != EXIT_OK && !torn)
			unlink(tmp);
	}
out_close:
	clog_reader_close(&rd);
out:
	free(tmp);
	free(chanbuf);
	return rc;
}

int cmd_log(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_err("log", "no command given (convert)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		log_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "convert"))
		return convert(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		return cli_bad_option("log", argv[1]);
	cli_err("log", "unknown subcommand '%s'; try 'canrig log --help'", argv[1]);
	return EXIT_USAGE;
}
