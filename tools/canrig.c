/* SPDX-License-Identifier: MIT */
/* canrig.c - command dispatcher and shared CLI helpers. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#ifndef CANRIG_VERSION
#define CANRIG_VERSION "0.1.0"
#endif

void cli_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "canrig %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t cli_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t cli_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int cli_parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

int cli_parse_pos_double(const char *s, double *v)
{
	char *end;
	double x;

	if (!s || !*s)
		return -1;
	errno = 0;
	x = strtod(s, &end);
	if (errno || *end || !(x > 0) || !isfinite(x))
		return -1;
	*v = x;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: canrig COMMAND [ARGS]...\n"
		"\n"
		"SocketCAN toolkit: capture, send, replay and convert CAN / CAN FD traffic.\n"
		"\n"
		"Commands:\n"
		"  dump IF[,filter]...     print frames like candump (-L log format)\n"
		"  send IF FRAME...        send frames given in cansend syntax\n"
		"  replay FILE [dst=src]   replay a candump log like canplayer\n"
		"  log convert ...         convert between candump log and Vector ASC\n"
		"  dbc dump|decode|encode|check FILE.dbc ...   DBC signal database tools\n"
		"  isotp send|recv|dump ...  ISO-TP like isotpsend/isotprecv/isotpdump\n"
		"  diag -i IF -e ECU CMD...  UDS (ISO 14229) tester: DIDs, DTCs, flashing\n"
		"  obd -i IF CMD...        OBD-II: PIDs, DTCs, VIN, per ECU\n"
		"  gw status|stats|routes|reload|workshop   control a running canrigd\n"
		"  ecu-sim -i IF -c FILE.yaml  simulated UDS / OBD-II ECUs from a YAML file\n"
		"\n"
		"Run 'canrig COMMAND --help' for a command's options, 'man canrig' for more.\n"
		"Exit status: 0 ok, 1 runtime error, 2 usage error.\n");
}

int main(int argc, char **argv)
{
	const char *cmd;

	/* a closed pipe (canrig dump | head) must end us quietly via EPIPE */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("canrig %s\n", CANRIG_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "dump"))
		return cmd_dump(argc - 1, argv + 1);
	if (!strcmp(cmd, "send"))
		return cmd_send(argc - 1, argv + 1);
	if (!strcmp(cmd, "replay"))
		return cmd_replay(argc - 1, argv + 1);
	if (!strcmp(cmd, "log"))
		return cmd_log(argc - 1, argv + 1);
	if (!strcmp(cmd, "dbc"))
		return cmd_dbc(argc - 1, argv + 1);
	if (!strcmp(cmd, "isotp"))
		return cmd_isotp(argc - 1, argv + 1);
	if (!strcmp(cmd, "diag"))
		return cmd_diag(argc - 1, argv + 1);
	if (!strcmp(cmd, "obd"))
		return cmd_obd(argc - 1, argv + 1);
	if (!strcmp(cmd, "gw"))
		return cmd_gw(argc - 1, argv + 1);
	if (!strcmp(cmd, "ecu-sim"))
		return cmd_ecusim(argc - 1, argv + 1);
	fprintf(stderr, "canrig: unknown command '%s'; try 'canrig --help'\n", cmd);
	return EXIT_USAGE;
}
