/* SPDX-License-Identifier: MIT */
/*
 * cmd_ecusim.c - "canrig ecu-sim": simulated ECUs from a YAML file on one
 * CAN interface.  Options, messages and exit codes; the loop's work is
 * the adapter's (uds_sim_io.h), external key commands are keycmd.h's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "doip_sim_io.h"
#include "keycmd.h"
#include "uds_sim_conf.h"
#include "uds_sim.h"
#include "uds_sim_io.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: canrig ecu-sim -i IF -c FILE.yaml [-n] [-v]\n"
		   "       canrig ecu-sim --doip [ADDR[:PORT]] [-i IF] -c FILE.yaml [-v]\n"
		   "\n"
		   "Simulates the UDS (ISO 14229-1) and OBD-II ECUs described in FILE.yaml on\n"
		   "interface IF: sessions, security access, DIDs, DTCs, routines, IO control,\n"
		   "memory, downloads, response pending.  The file format is in docs/ecu-sim.md.\n"
		   "With --doip the ECUs also stand behind a DoIP entity (ISO 13400-2) on UDP\n"
		   "and TCP ADDR:PORT, one logical address each (the file's doip: section).\n"
		   "\n"
		   "Options:\n"
		   "  -i, --interface IF   CAN interface (vcan0, can0); optional with --doip\n"
		   "      --doip [ADDR[:PORT]]  be a DoIP entity on IPv4 ADDR (default 0.0.0.0)\n"
		   "                       and PORT (default 13400)\n"
		   "  -c, --config FILE    the ECU description (YAML); ${VAR} in file: and\n"
		   "                       command: values is taken from the environment\n"
		   "  -n, --check          check the file and exit\n"
		   "  -v, --verbose        one line per request and answer on stderr\n"
		   "  -h, --help           this text\n"
		   "\n"
		   "Runs until SIGINT or SIGTERM.  Exit status: 0 ok, 1 runtime error (no such\n"
		   "interface, socket error, DoIP port in use), 2 usage or configuration error\n"
		   "(FILE:LINE:COL).\n");
}

/* The adapter's lines: failures as every canrig message, the rest (only
 * made under -v) as they are. */
static void sim_msg(void *ctx, enum uds_sim_io_msg kind, const char *fmt, va_list ap)
{
	(void)ctx;
	if (kind == UDS_SIM_IO_ERR)
		fputs("canrig ecu-sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static int sim_key(void *ctx, const struct ecusim_ecu *ecu, const char *tmpl, uint8_t level,
		   const uint8_t *seed, size_t n, uint8_t *key, size_t cap, size_t *keylen)
{
	int r;

	(void)ctx;
	r = keycmd_run(tmpl, level, seed, n, key, cap, keylen);
	if (r)
		cli_err("ecu-sim", "%s: key command '%s': %s", ecu->name, tmpl, keycmd_strerror(r));
	return r;
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* A key function for -n: the engine's checks need one for external levels. */
static int no_key(void *ctx, uint8_t level, const uint8_t *seed, size_t n, uint8_t *key, size_t cap,
		  size_t *keylen)
{
	(void)ctx;
	(void)level;
	(void)seed;
	(void)n;
	(void)key;
	(void)cap;
	(void)keylen;
	return -ENOSYS;
}

static int check_only(struct ecusim_cfg *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->necus; i++) {
		struct uds_sim s;
		int e;

		c->ecus[i].sim.key_fn = no_key;
		e = uds_sim_init(&s, &c->ecus[i].sim, 0);
		if (e) {
			cli_err("ecu-sim", "%s: ECU '%s': %s", path, c->ecus[i].name,
				e == -ENOMEM ? "out of memory"
					     : "configuration rejected by the engine");
			return e == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
		}
		uds_sim_fini(&s);
	}
	printf("%s: %zu ECU%s ok\n", path, c->necus, c->necus == 1 ? "" : "s");
	return EXIT_OK;
}

/* --doip's ADDR[:PORT] (either part may be empty); 0 or -1. */
static int parse_listen(const char *arg, char *addr, size_t cap, uint16_t *port)
{
	const char *colon = strrchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
	uint64_t p;

	*port = 0;
	if (n >= cap)
		return -1;
	memcpy(addr, arg, n);
	addr[n] = 0;
	if (colon && colon[1]) {
		if (cli_parse_u64(colon + 1, &p) || !p || p > 65535)
			return -1;
		*port = (uint16_t)p;
	}
	return 0;
}

enum { O_DOIP = 0x200 };

int cmd_ecusim(int argc, char **argv)
{
	static const struct option lo[] = {{"interface", required_argument, NULL, 'i'},
					   {"config", required_argument, NULL, 'c'},
					   {"check", no_argument, NULL, 'n'},
					   {"verbose", no_argument, NULL, 'v'},
					   {"help", no_argument, NULL, 'h'},
					   {"doip", optional_argument, NULL, O_DOIP},
					   {NULL, 0, NULL, 0}};
	const char *ifname = NULL, *path = NULL;
	char doip_addr[64] = "";
	uint16_t doip_port = 0;
	int doip = 0;
	struct doip_sim ds;
	struct uds_sim_io_ops ops = {.msg = sim_msg, .key = sim_key};
	struct ecusim_cfg cfg;
	struct uds_sim_io_run sim;
	struct ev_loop *loop;
	ev_signal sint, sterm;
	char err[512];
	int opt, check = 0, rc = EXIT_OK, e;

	optind = 1;
	while ((opt = cli_getopt(argc, argv, "i:c:nvh", lo)) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'c':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			ops.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case O_DOIP: {
			/* the address may also be the next word: ecu-sim takes
			 * no operands, so it cannot be anything else */
			const char *a = optarg;

			if (!a && optind < argc && argv[optind][0] != '-')
				a = argv[optind++];
			doip = 1;
			if (a && parse_listen(a, doip_addr, sizeof(doip_addr), &doip_port)) {
				cli_err("ecu-sim",
					"bad value '%s' for --doip (ADDR[:PORT]); try "
					"'canrig ecu-sim --help'",
					a);
				return EXIT_USAGE;
			}
			break;
		}
		default:
			return cli_opt_error("ecu-sim", opt, argv);
		}
	}
	if (optind != argc || !path || (!ifname && !check && !doip)) {
		cli_err("ecu-sim", "needs -i IF and -c FILE.yaml; try 'canrig ecu-sim "
				   "--help'");
		return EXIT_USAGE;
	}
	e = ecusim_cfg_load_file(&cfg, path, err, sizeof(err));
	if (e) {
		/* a file that cannot be read is 1, a wrong one 2 */
		cli_err("ecu-sim", "%s", err);
		return e == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (check) {
		rc = check_only(&cfg, path);
		ecusim_cfg_fini(&cfg);
		return rc;
	}
	loop = ev_default_loop(0);
	memset(&ds, 0, sizeof(ds));
	e = uds_sim_io_open(&sim, loop, ifname, &cfg, &ops);
	if (!e && doip && doip_sim_open(&ds, loop, &sim, &cfg, doip_addr, doip_port)) {
		/* already said; an address in use or not ours is a runtime
		 * matter, as a bus that is down */
		rc = EXIT_RUNTIME;
	} else if (e) {
		/* as every canrig command: a missing, down or non-CAN
		 * interface, or an ECU the engine refuses, is the caller's to
		 * fix (2); no AF_CAN or no memory is not */
		rc = e == -EAFNOSUPPORT || e == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	} else {
		ev_signal_init(&sint, on_signal, SIGINT);
		ev_signal_init(&sterm, on_signal, SIGTERM);
		ev_signal_start(loop, &sint);
		ev_signal_start(loop, &sterm);
		ev_run(loop, 0);
		ev_signal_stop(loop, &sint);
		ev_signal_stop(loop, &sterm);
		/* a signal ends the simulation normally (0); a socket error,
		 * already said, does not */
		rc = sim.err ? EXIT_RUNTIME : EXIT_OK;
	}
	doip_sim_close(&ds);
	uds_sim_io_close(&sim);
	ecusim_cfg_fini(&cfg);
	return rc;
}
