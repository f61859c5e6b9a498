/* SPDX-License-Identifier: MIT */
/* cmd_log.c - "canrig log convert": streaming conversion between formats. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clog.h"
#include "cli.h"

#define MAX_WARN 10

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
		"  --channels A,B,...   ASC: interface for channel 1, 2, ...; others are\n"
		"                       skipped (default: number by first appearance)\n"
		"  --ns | --us          candump output: 9 or 6 fractional digits\n"
		"                       (default: as read)\n"
		"  --skip-bad           skip malformed lines (reported, counted)\n"
		"  --delta              relative input times are candump -t d deltas\n"
		"                       (default: -t z, time since the first frame)\n"
		"  -h, --help           this text\n",
		clog_format_names());
}

static int convert(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' },
					    { "from", required_argument, NULL, 1 },
					    { "to", required_argument, NULL, 2 },
					    { "output", required_argument, NULL, 'o' },
					    { "channels", required_argument, NULL, 3 },
					    { "ns", no_argument, NULL, 4 },
					    { "us", no_argument, NULL, 5 },
					    { "skip-bad", no_argument, NULL, 6 },
					    { "delta", no_argument, NULL, 7 },
					    { NULL, 0, NULL, 0 } };
	static struct clog_writer w;
	const struct clog_format *from = NULL, *to = NULL;
	const char *in = "-", *out = NULL;
	char *chanbuf = NULL, *tmp = NULL, *tok, *save = NULL;
	const char *chans[CLOG_MAX_CHANNELS];
	struct clog_wopts wo;
	struct clog_reader rd;
	struct clog_rec rec;
	uint64_t bad = 0;
	int opt, rc = EXIT_OK, fd = STDOUT_FILENO, e, skip_bad = 0, delta = 0;

	memset(&wo, 0, sizeof(wo));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
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
				cli_err("log", "%s is read only; --to takes candump or asc",
					f->name);
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
			log_usage(stderr);
			rc = EXIT_USAGE;
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
	e = clog_reader_open(&rd, in, from);
	if (e) {
		if (e == -EPROTO)
			fprintf(stderr, "canrig log: %s; name it with --from FMT\n", rd.err);
		else
			cli_err("log", "%s: %s", in, strerror(-e));
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (out && strcmp(out, "-")) {
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
	while ((e = clog_read(&rd, &rec)) != 0) {
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
		if (clog_write(&w, &rec))
			break;
	}
	if (clog_writer_fini(&w) && w.werr != -EPIPE) {
		cli_err("log", "write: %s", strerror(-w.werr));
		rc = EXIT_RUNTIME;
	}
	if (skip_bad && bad)
		fprintf(stderr, "canrig log: skipped %llu malformed line%s\n",
			(unsigned long long)bad, bad > 1 ? "s" : "");
	if (w.nskipped)
		fprintf(stderr, "canrig log: %llu frame%s on interfaces not in --channels left out\n",
			(unsigned long long)w.nskipped, w.nskipped > 1 ? "s" : "");
	if (tmp) {
		if (close(fd) < 0 && rc == EXIT_OK) {
			cli_err("log", "%s: %s", out, strerror(errno));
			rc = EXIT_RUNTIME;
		}
		if (rc == EXIT_OK && rename(tmp, out) < 0) {
			cli_err("log", "%s: %s", out, strerror(errno));
			rc = EXIT_RUNTIME;
		}
		if (rc != EXIT_OK)
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
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		log_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[1], "convert"))
		return convert(argc - 1, argv + 1);
	cli_err("log", "unknown subcommand '%s'; try 'canrig log --help'", argv[1]);
	return EXIT_USAGE;
}
