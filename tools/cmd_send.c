/* SPDX-License-Identifier: MIT */
/* cmd_send.c - "canrig send": cansend syntax, several frames per call. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cio.h"
#include "cli.h"
#include "dbcout.h"

static void send_usage(FILE *f)
{
	fprintf(f, "Usage: canrig send [options] IF FRAME...\n"
		   "       canrig send [options] IF --dbc FILE.dbc MSG SIG=VALUE...\n"
		   "\n"
		   "Send frames in cansend syntax, in order, with one system call per batch.\n"
		   "\n"
		   "FRAME:\n"
		   "  <id>#{data}            classic frame, 0-8 bytes: 123#DEADBEEF\n"
		   "  <id>#R{len}            remote request: 123#R, 123#R4\n"
		   "  <id>##<flags>{data}    CAN FD, 0-64 bytes; flags 1=BRS 2=ESI: 123##1AABB\n"
		   "  ids: 3 hex digits (11-bit) or 8 (29-bit; bit 0x20000000 set = error frame)\n"
		   "  bytes may be separated by '.': 123#11.22.33\n"
		   "\n"
		   "Options:\n"
		   "  -x           don't loop frames back to local sockets\n"
		   "  --dbc FILE   encode one frame of message MSG from physical signal\n"
		   "               values or choice labels (as 'canrig dbc encode')\n"
		   "  -h, --help   this text\n");
}

/* Waits out a full queue; gives up only after many quiet retries.  On
 * error *done is the index of the frame that was not sent. */
static int send_all(struct cio_sock *s, const struct cf_frame *f, unsigned int n,
		    unsigned int *done)
{
	unsigned int sent, tries = 0;
	int e;

	*done = 0;
	while (*done < n) {
		e = cio_send(s, f + *done, n - *done, &sent);
		*done += sent;
		if (!e)
			break;
		if ((e == -ENOBUFS || e == -EAGAIN) && tries++ < 1000) {
			cio_wait_writable(s, 10);
			continue;
		}
		return e;
	}
	return 0;
}

int cmd_send(int argc, char **argv)
{
	static const struct option lo[] = {{"help", no_argument, NULL, 'h'},
					   {"dbc", required_argument, NULL, 1},
					   {NULL, 0, NULL, 0}};
	const char *dbcpath = NULL;
	struct dbc_db *db = NULL;
	struct cio_sock *s = NULL;
	struct cf_frame *fr = NULL;
	uint8_t *bufs = NULL;
	struct cio_opts o;
	struct cf_perr pe;
	char ebuf[256];
	const char *ifname;
	unsigned int done;
	int opt, rc = EXIT_OK, e, i, n;

	cio_opts_init(&o);
	o.no_rx = 1;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, "xh", lo)) != -1) {
		switch (opt) {
		case 'x':
			o.no_loopback = 1;
			break;
		case 1:
			dbcpath = optarg;
			break;
		case 'h':
			send_usage(stdout);
			return EXIT_OK;
		default:
			return cli_opt_error("send", opt, argv);
		}
	}
	if (argc - optind < 2) {
		cli_err("send",
			"need an interface and at least one frame; try 'canrig send --help'");
		return EXIT_USAGE;
	}
	ifname = argv[optind++];
	n = argc - optind;
	fr = calloc((size_t)n, sizeof(*fr));
	bufs = calloc((size_t)n, CF_MAX_LEN);
	s = calloc(1, sizeof(*s));
	if (!fr || !bufs || !s) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	/* parse everything first: a bad frame must not leave half a batch sent */
	if (dbcpath) {
		rc = dbccli_load("send", dbcpath, 0, &db);
		if (!rc)
			rc = dbccli_encode("send", db, argv[optind], n - 1, argv + optind + 1, bufs,
					   &fr[0]);
		if (rc)
			goto out;
		n = 1;
	}
	for (i = 0; i < n && !dbcpath; i++) {
		const char *a = argv[optind + i];

		if (cf_parse(&fr[i], bufs + (size_t)i * CF_MAX_LEN, a, strlen(a), &pe)) {
			cli_err("send", "'%s':%zu: %s", a, pe.col + 1, pe.msg);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (!strcmp(ifname, "any")) {
		cli_err("send", "cannot send on 'any'; name an interface");
		rc = EXIT_USAGE;
		goto out;
	}
	/* FD frames for a classic interface: refused before any frame goes */
	for (i = 0; i < n; i++)
		if (fr[i].flags & CF_FD)
			o.need_fd = 1;
	e = cio_open(s, ifname, &o);
	if (e) {
		fprintf(stderr, "canrig send: %s\n",
			cio_open_strerror(e, ifname, ebuf, sizeof(ebuf)));
		rc = e == -EAFNOSUPPORT ? EXIT_RUNTIME : EXIT_USAGE;
		goto out;
	}
	e = send_all(s, fr, (unsigned int)n, &done);
	if (e) {
		fprintf(stderr, "canrig send: %s\n",
			cio_send_strerror(s, done < (unsigned int)n ? &fr[done] : NULL, e, ebuf,
					  sizeof(ebuf)));
		rc = EXIT_RUNTIME;
	}
	cio_close(s);
out:
	dbc_free(db);
	free(s);
	free(bufs);
	free(fr);
	return rc;
}
