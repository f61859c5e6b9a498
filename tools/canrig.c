/* SPDX-License-Identifier: MIT */
/* canrig.c - command dispatcher and shared CLI helpers. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cio.h"
#include "cio_ev.h"

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

/* The long options name (len bytes) picks: an exact match, else each one
 * it abbreviates.  Returns how many; *hit is the first. */
static int long_matches(const struct option *lo, const char *name, size_t len,
			const struct option **hit)
{
	const struct option *o;
	int n = 0;

	*hit = NULL;
	for (o = lo; o && o->name; o++) {
		if (strncmp(o->name, name, len))
			continue;
		if (strlen(o->name) == len) {
			*hit = o;
			return 1;
		}
		if (!n++)
			*hit = o;
	}
	return n;
}

/* Whether getopt wants an argument for short option c. */
static int short_needs_arg(const char *optstring, int c)
{
	const char *p;

	optstring += strspn(optstring, "+-:");
	if (c == ':' || c <= 0 || c > 0x7F || !(p = strchr(optstring, c)))
		return 0;
	return p[1] == ':' && p[2] != ':';
}

/* The message for long option word w, if getopt's error was about it:
 * getopt has stepped past the word, and optopt is 0 (unknown, ambiguous)
 * or the option's value.  Returns 0 when the error was a short option's. */
static int long_opt_error(const char *w, const struct option *lo)
{
	const char *name = w + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct option *o;
	int n = long_matches(lo, name, len, &o);

	if (!optopt && n > 1)
		fprintf(stderr, "option --%.*s is ambiguous\n", (int)len, name);
	else if (!optopt)
		fprintf(stderr, "unknown option --%.*s\n", (int)len, name);
	else if (n == 1 && o->val == optopt && o->has_arg == required_argument && !eq)
		fprintf(stderr, "option --%s needs an argument\n", o->name);
	else if (n == 1 && o->val == optopt && o->has_arg == no_argument && eq)
		fprintf(stderr, "option --%s takes no argument\n", o->name);
	else
		return 0; /* a short option in a group after this word */
	return 1;
}

static const char *opt_string = "";
static const struct option *opt_long;

int cli_getopt(int argc, char **argv, const char *optstring, const struct option *lo)
{
	opt_string = optstring;
	opt_long = lo;
	return getopt_long(argc, argv, optstring, lo, NULL);
}

int cli_opt_error(const char *cmd, int opt, char **argv)
{
	const char *w = argv && optind > 0 ? argv[optind - 1] : NULL;
	const char *sp = *cmd ? " " : "";

	fprintf(stderr, "canrig%s%s: ", sp, cmd);
	if (opt != '?' && opt != ':') {
		/* accepted by getopt, but the command has no use for it */
		if (opt > ' ' && opt < 0x7F)
			fprintf(stderr, "unknown option -%c\n", opt);
		else if (w)
			fprintf(stderr, "unknown option %s\n", w);
		else
			fprintf(stderr, "unknown option\n");
	} else if (w && !strncmp(w, "--", 2) && w[2] && long_opt_error(w, opt_long)) {
		;
	} else if (opt == ':' || short_needs_arg(opt_string, optopt)) {
		fprintf(stderr, "option -%c needs an argument\n", optopt);
	} else if (optopt > ' ' && optopt < 0x7F) {
		fprintf(stderr, "unknown option -%c\n", optopt);
	} else {
		fprintf(stderr, "unknown option\n");
	}
	fprintf(stderr, "Try 'canrig%s%s --help'.\n", sp, cmd);
	return EXIT_USAGE;
}

int cli_bad_option(const char *cmd, const char *word)
{
	const char *sp = *cmd ? " " : "";

	fprintf(stderr, "canrig%s%s: unknown option %s\nTry 'canrig%s%s --help'.\n", sp, cmd, word,
		sp, cmd);
	return EXIT_USAGE;
}

int cli_usage_err(const char *cmd, const char *fmt, ...)
{
	const char *sp = *cmd ? " " : "";
	va_list ap;

	fprintf(stderr, "canrig%s%s: ", sp, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'canrig%s%s --help'.\n", sp, cmd);
	return EXIT_USAGE;
}

uint64_t cli_mono_ns(void)
{
	return cio_now_ns();
}

uint64_t cli_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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

int cli_open_ifarg(const char *cmd, struct cio_sock *s, const char *arg, int rcvbuf,
		   uint32_t err_mask)
{
	char ifname[64], buf[256];
	const char *comma = strchr(arg, ','), *msg;
	size_t nl = comma ? (size_t)(comma - arg) : strlen(arg);
	struct cio_opts o;
	char *list, *tok, *save = NULL;
	int e;

	if (!nl || nl >= sizeof(ifname)) {
		cli_err(cmd, "'%s': bad interface name", arg);
		return 1;
	}
	memcpy(ifname, arg, nl);
	ifname[nl] = '\0';
	cio_opts_init(&o);
	o.rcvbuf = rcvbuf;
	if (comma) {
		list = strdup(comma + 1);
		if (!list) {
			cli_err(cmd, "%s", strerror(ENOMEM));
			return -ENOMEM;
		}
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (cio_filter_add(&o, tok, &msg)) {
				cli_err(cmd, "%s: filter '%s': %s", ifname, tok, msg);
				free(list);
				return 1;
			}
		}
		free(list);
	}
	if (!o.err_mask)
		o.err_mask = err_mask;
	e = cio_open(s, ifname, &o);
	if (e)
		cli_err(cmd, "%s", cio_open_strerror(e, ifname, buf, sizeof(buf)));
	return e;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: canrig COMMAND [ARGS]...\n"
		   "\n"
		   "SocketCAN toolkit: capture, send, replay, convert and decode CAN / CAN FD\n"
		   "traffic; UDS and OBD-II diagnostics; control of the canrigd gateway.\n"
		   "\n"
		   "Commands:\n"
		   "  dump IF[,filter]...     print frames like candump (-L log format)\n"
		   "  send IF FRAME...        send frames given in cansend syntax\n"
		   "  replay FILE [DST=SRC]   replay a log like canplayer (every log format)\n"
		   "  log convert ...         convert logs: candump, asc, blf, pcapng, pcap, trc\n"
		   "  dbc dump|decode|encode|check FILE.dbc ...   DBC signal database tools\n"
		   "  isotp send|recv|dump ...  ISO-TP like isotpsend/isotprecv/isotpdump\n"
		   "  diag -i IF -e ECU CMD...  UDS (ISO 14229) tester: DIDs, DTCs, flashing\n"
		   "  obd -i IF CMD...        OBD-II: PIDs, DTCs, VIN, per ECU\n"
		   "  gw status|stats|routes|reload|workshop   control a running canrigd\n"
		   "  ecu-sim -i IF -c FILE.yaml  simulated UDS / OBD-II ECUs from a YAML file\n"
		   "  monitor IF[,filter]...  a live decoded table of the buses\n"
		   "  uplink -c FILE.yaml     decoded signals to an MQTT broker, spooled on disk\n"
		   "\n"
		   "Options:\n"
		   "  -h, --help              this text\n"
		   "  -V, --version           print canrig's version\n"
		   "\n"
		   "Run 'canrig COMMAND --help' for a command's options, 'man canrig' for more.\n"
		   "Exit status: 0 ok, 1 runtime error, 2 usage error (diag, obd: 3 negative\n"
		   "response).\n");
}

int main(int argc, char **argv)
{
	const char *cmd;

	/* a closed pipe (canrig dump | head) must end us quietly via EPIPE */
	signal(SIGPIPE, SIG_IGN);
	/* usage errors are one line of ours (cli_opt_error), not getopt's */
	opterr = 0;
	if (argc < 2)
		return cli_usage_err("", "no command given (dump, send, replay, log, dbc, "
					 "isotp, diag, obd, gw, ecu-sim, monitor, uplink)");
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
	if (!strcmp(cmd, "monitor"))
		return cmd_monitor(argc - 1, argv + 1);
	if (!strcmp(cmd, "uplink"))
		return cmd_uplink(argc - 1, argv + 1);
	if (cmd[0] == '-' && cmd[1])
		return cli_bad_option("", cmd);
	fprintf(stderr, "canrig: unknown command '%s'; try 'canrig --help'\n", cmd);
	return EXIT_USAGE;
}
