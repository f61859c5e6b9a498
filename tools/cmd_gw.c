/* SPDX-License-Identifier: MIT */
/* cmd_gw.c - canrig gw: talks to canrigd over its control socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_SOCKET "/run/canrigd/control.sock"

static void usage(FILE *f)
{
	fprintf(f, "Usage: canrig gw [-s SOCKET] status | stats [--json] | routes | reload |\n"
		   "                 workshop on [MINUTES] | workshop off |\n"
		   "                 doip power [ready|not-ready|not-supported]\n"
		   "\n"
		   "Asks the running canrigd through its control socket (default\n" DEFAULT_SOCKET
		   ", or $CANRIGD_CONTROL).\n"
		   "workshop on closes by itself after MINUTES (default 60, at most 1440,\n"
		   "fractions allowed); a reload sets it to what the file says.\n"
		   "doip power sets what the DoIP entity answers a diagnostic power mode\n"
		   "request (0x4003) with (default ready), or without MODE shows it.\n"
		   "status, stats, routes and doip power need read rights; workshop,\n"
		   "reload and doip power MODE write\n"
		   "rights (canrigd(8), CONTROL).\n"
		   "\n"
		   "Options:\n"
		   "  -s, --socket SOCKET  canrigd's control socket\n"
		   "      --json           stats: one JSON object\n"
		   "  -h, --help           this text\n"
		   "\n"
		   "Exit status: 0 ok, 1 canrigd unreachable or refused, 2 usage error.\n");
}

int cmd_gw(int argc, char **argv)
{
	static const struct option lo[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = getenv("CANRIGD_CONTROL");
	char line[64], buf[4096];
	struct sockaddr_un a;
	int opt, json = 0, fd, rc = EXIT_OK;
	size_t got = 0;
	char *msg;
	ssize_t n;

	if (!path)
		path = DEFAULT_SOCKET;
	while ((opt = cli_getopt(argc, argv, "s:h", lo)) != -1) {
		if (opt == 's')
			path = optarg;
		else if (opt == 'j')
			json = 1;
		else if (opt == 'h') {
			usage(stdout);
			return EXIT_OK;
		} else {
			return cli_opt_error("gw", opt, argv);
		}
	}
	if (optind == argc - 1 &&
	    (!strcmp(argv[optind], "status") || !strcmp(argv[optind], "stats") ||
	     !strcmp(argv[optind], "routes") || !strcmp(argv[optind], "reload"))) {
		if (json && strcmp(argv[optind], "stats")) {
			cli_err("gw", "--json goes with stats only");
			return EXIT_USAGE;
		}
		snprintf(line, sizeof(line), "%s%s\n", argv[optind], json ? " --json" : "");
	} else if (optind == argc - 2 && !strcmp(argv[optind], "workshop") &&
		   (!strcmp(argv[optind + 1], "on") || !strcmp(argv[optind + 1], "off"))) {
		snprintf(line, sizeof(line), "workshop %s\n", argv[optind + 1]);
	} else if (optind == argc - 3 && !strcmp(argv[optind], "workshop") &&
		   !strcmp(argv[optind + 1], "on")) {
		char *end;
		double m = strtod(argv[optind + 2], &end);

		/* canrigd checks too; this only spares a round trip */
		if (end == argv[optind + 2] || *end || !(m > 0 && m <= 1440) ||
		    strlen(argv[optind + 2]) > 20) {
			cli_err("gw", "workshop on MINUTES: a number above 0, at most 1440");
			return EXIT_USAGE;
		}
		snprintf(line, sizeof(line), "workshop on %s\n", argv[optind + 2]);
	} else if (optind >= argc - 3 && optind <= argc - 2 && !strcmp(argv[optind], "doip") &&
		   !strcmp(argv[optind + 1], "power") &&
		   (optind == argc - 2 || !strcmp(argv[optind + 2], "ready") ||
		    !strcmp(argv[optind + 2], "not-ready") ||
		    !strcmp(argv[optind + 2], "not-supported"))) {
		if (json) {
			cli_err("gw", "--json goes with stats only");
			return EXIT_USAGE;
		}
		snprintf(line, sizeof(line), "doip power%s%s\n", optind == argc - 2 ? "" : " ",
			 optind == argc - 2 ? "" : argv[optind + 2]);
	} else {
		cli_err("gw",
			"expected status, stats [--json], routes, reload, "
			"workshop on [MINUTES]|off or doip power [MODE]; try 'canrig gw --help'");
		return EXIT_USAGE;
	}
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a.sun_path)) {
		cli_err("gw", "%s: socket path too long", path);
		return EXIT_USAGE;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		cli_err("gw",
			"cannot reach canrigd at %s: %s (is it running? -s or "
			"$CANRIGD_CONTROL name another socket)",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_RUNTIME;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		cli_err("gw", "%s: %s", path, strerror(errno));
		close(fd);
		return EXIT_RUNTIME;
	}
	/* enough of the answer to tell a refusal ("error: ...") from data */
	while (got < 6 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	if (got >= 6 && !memcmp(buf, "error:", 6)) {
		/* one line, as every other message of ours: "canrig gw: ..."
		 * (canrigd's "error:" only marks the refusal on the wire) */
		while (got < sizeof(buf) - 1 &&
		       (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
			got += (size_t)n;
		buf[got] = 0;
		msg = buf + 6 + strspn(buf + 6, " ");
		msg[strcspn(msg, "\n")] = 0;
		cli_err("gw", "%s", msg);
		close(fd);
		return EXIT_RUNTIME;
	}
	fwrite(buf, 1, got, stdout);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	if (n < 0) {
		cli_err("gw", "%s: %s", path, strerror(errno));
		rc = EXIT_RUNTIME;
	}
	close(fd);
	return rc;
}
