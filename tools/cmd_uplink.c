/* SPDX-License-Identifier: MIT */
/*
 * cmd_uplink.c - "canrig uplink": decoded signals to a fleet backend over
 * MQTT with a crash-safe spool (docs/uplink.md).  Options, messages and
 * exit codes; the work is uplink/'s.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "upl_conf.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: canrig uplink -c FILE.yaml [-n]\n"
		   "\n"
		   "Sends the signals FILE.yaml selects, decoded with its DBC, from its CAN\n"
		   "interfaces to an MQTT broker, each sample the object 'canrig dbc decode\n"
		   "--json' prints, through an on-disk spool that outlives broker outages and\n"
		   "crashes.  The file format is in docs/uplink.md.\n"
		   "\n"
		   "Options:\n"
		   "  -c, --config FILE    the uplink's configuration (YAML)\n"
		   "  -n, --check          check the file (and its DBC) and exit\n"
		   "  -h, --help           this text\n"
		   "\n"
		   "Exit status: 0 ok, 1 runtime error (a file that cannot be read), 2 usage or\n"
		   "configuration error (FILE:LINE:COL).\n");
}

/* What -n found, on stdout: enough to see the file says what was meant. */
static void summary(const struct upl_conf *c, const char *path)
{
	size_t i, nsig = 0;

	for (i = 0; i < c->ncollect; i++)
		nsig += c->collect[i].nsel;
	printf("%s: ok: %zu message%s, %zu signal%s from %zu interface%s to %s:%u topic %s%s\n",
	       path, c->ncollect, cli_plural(c->ncollect), nsig, cli_plural(nsig), c->nifs,
	       cli_plural(c->nifs), c->broker.host, c->broker.port, c->topic,
	       c->broker.cafile ? " (TLS)" : "");
}

int cmd_uplink(int argc, char **argv)
{
	static const struct option lo[] = {{"config", required_argument, NULL, 'c'},
					   {"check", no_argument, NULL, 'n'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	const char *path = NULL;
	struct upl_conf c;
	char err[1024];
	int opt, check = 0, e;

	optind = 1;
	while ((opt = cli_getopt(argc, argv, "c:nh", lo)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			return cli_opt_error("uplink", opt, argv);
		}
	}
	if (optind != argc)
		return cli_usage_err("uplink", "unexpected argument '%s'", argv[optind]);
	if (!path)
		return cli_usage_err("uplink", "needs -c FILE.yaml");
	e = upl_conf_load(&c, path, err, sizeof(err));
	if (e) {
		/* a file that cannot be read is 1, a wrong one 2 */
		cli_err("uplink", "%s", err);
		return e == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (check) {
		summary(&c, path);
		upl_conf_fini(&c);
		return EXIT_OK;
	}
	upl_conf_fini(&c);
	cli_err("uplink", "publishing is not built yet (issue 24): only -n works");
	return EXIT_RUNTIME;
}
