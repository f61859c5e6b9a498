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
#include "clog.h"
#include "upl_coll.h"
#include "upl_conf.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: canrig uplink -c FILE.yaml [-n]\n"
		   "       canrig uplink -c FILE.yaml --from-log LOG\n"
		   "\n"
		   "Sends the signals FILE.yaml selects, decoded with its DBC, from its CAN\n"
		   "interfaces to an MQTT broker, each sample the object 'canrig dbc decode\n"
		   "--json' prints, through an on-disk spool that outlives broker outages and\n"
		   "crashes.  The file format is in docs/uplink.md.\n"
		   "\n"
		   "Options:\n"
		   "  -c, --config FILE    the uplink's configuration (YAML)\n"
		   "  -n, --check          check the file (and its DBC) and exit\n"
		   "      --from-log LOG   collect from a log (any format dbc decode reads)\n"
		   "                       instead of the interfaces, on the log's clock, and\n"
		   "                       print what would be published instead of sending it\n"
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

static void print_batch(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	fwrite(data, 1, len, stdout);
}

/* --from-log: the collection engine on a log, its batches on stdout. */
static int from_log(const struct upl_conf *c, const char *path)
{
	struct clog_reader r;
	struct clog_rec rec;
	struct upl_coll *co;
	uint64_t now = 0, bad = 0;
	int e, rc = EXIT_OK;

	e = upl_coll_new(c, print_batch, NULL, &co);
	if (e) {
		cli_err("uplink", "%s",
			e == -E2BIG ? "a collected message's sample is larger than "
				      "a spool record (1 MiB)"
				    : strerror(-e));
		return EXIT_RUNTIME;
	}
	cli_stdin_hint("uplink", path);
	e = clog_reader_open(&r, path, NULL);
	if (e) {
		if (e == -EPROTO)
			cli_err("uplink", "%s", r.err);
		else
			cli_err("uplink", "%s: %s", path, strerror(-e));
		upl_coll_free(co);
		return e == -EPROTO ? EXIT_USAGE : EXIT_RUNTIME;
	}
	while ((e = clog_read(&r, &rec)) != 0) {
		size_t i;

		if (e == -EINVAL) {
			fprintf(stderr, "canrig uplink: %s\n", r.err);
			bad++;
			continue;
		}
		if (e < 0) {
			cli_err("uplink", "%s: %s", path, strerror(-e));
			rc = EXIT_RUNTIME;
			break;
		}
		for (i = 0; i < c->nifs; i++)
			if (strlen(c->ifs[i]) == rec.ifname_len &&
			    !memcmp(c->ifs[i], rec.ifname, rec.ifname_len))
				break;
		/* the log's clock stands for the monotonic one; it never
		 * goes back */
		if (rec.f.ts_ns > now)
			now = rec.f.ts_ns;
		upl_coll_frame(co, &rec, (unsigned int)i, now);
	}
	upl_coll_flush(co, now);
	if (fflush(stdout) && rc == EXIT_OK) {
		cli_err("uplink", "write: %s", strerror(errno));
		rc = EXIT_RUNTIME;
	}
	if (bad && rc == EXIT_OK) {
		cli_err("uplink", "%llu malformed line%s skipped", (unsigned long long)bad,
			cli_plural(bad));
		rc = EXIT_RUNTIME;
	}
	clog_reader_close(&r);
	upl_coll_free(co);
	return rc;
}

enum { O_FROM_LOG = 0x200 };

int cmd_uplink(int argc, char **argv)
{
	static const struct option lo[] = {{"config", required_argument, NULL, 'c'},
					   {"check", no_argument, NULL, 'n'},
					   {"help", no_argument, NULL, 'h'},
					   {"from-log", required_argument, NULL, O_FROM_LOG},
					   {NULL, 0, NULL, 0}};
	const char *path = NULL, *log = NULL;
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
		case O_FROM_LOG:
			log = optarg;
			break;
		default:
			return cli_opt_error("uplink", opt, argv);
		}
	}
	if (optind != argc)
		return cli_usage_err("uplink", "unexpected argument '%s'", argv[optind]);
	if (!path)
		return cli_usage_err("uplink", "needs -c FILE.yaml");
	if (check && log)
		return cli_usage_err("uplink", "-n and --from-log exclude each other");
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
	if (log) {
		int rc = from_log(&c, log);

		upl_conf_fini(&c);
		return rc;
	}
	upl_conf_fini(&c);
	cli_err("uplink", "publishing is not built yet (issue 24): only -n and --from-log work");
	return EXIT_RUNTIME;
}
