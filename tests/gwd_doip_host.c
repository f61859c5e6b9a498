/* SPDX-License-Identifier: MIT */
/*
 * gwd_doip_host.c - canrigd's DoIP entity (gateway/gwd_doip.c) alone on
 * the host, which has no AF_CAN: the entity of FILE's doip: section on
 * loopback, every interface closed, so every allowed request meets a bus
 * that is down.  What needs no bus is real: identification, activation,
 * the testers' firewalls, the NACKs, the counters.  For
 * tests/cli_gw_doip.sh; not canrigd (no routes, no control socket).
 *
 *   gwd_doip_host FILE   prints "ready" once listening; SIGUSR1 prints
 *                        status, stats and stats --json; SIGTERM ends it
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>

#include "canrigd.h"

/* canrigd.c's, which this program does not link */
void gwd_logmsg(int prio, const char *fmt, ...)
{
	va_list ap;

	(void)prio;
	va_start(ap, fmt);
	fputs("canrigd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static struct gwd d;

static void on_sig(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	if (w->signum == SIGUSR1) {
		printf("--- status\n");
		gwd_doip_print(&d, stdout, 0);
		printf("--- stats\n");
		gwd_doip_print(&d, stdout, 1);
		printf("--- json\n{\"x\":0");
		gwd_doip_json(&d, stdout);
		printf("}\n--- end\n");
		fflush(stdout);
		return;
	}
	ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
	ev_signal s1, s2;
	char err[512];

	if (argc != 2) {
		fprintf(stderr, "usage: gwd_doip_host FILE.yaml\n");
		return 2;
	}
	if (gw_conf_load_file(&d.conf, argv[1], err, sizeof(err))) {
		fprintf(stderr, "gwd_doip_host: %s\n", err);
		return 2;
	}
	d.loop = ev_default_loop(0);
	d.verbose = 1;
	d.started = gwd_now_ns();
	if (gwd_doip_open(&d)) {
		gw_conf_fini(&d.conf);
		return 1;
	}
	ev_signal_init(&s1, on_sig, SIGUSR1);
	ev_signal_init(&s2, on_sig, SIGTERM);
	ev_signal_start(d.loop, &s1);
	ev_signal_start(d.loop, &s2);
	printf("ready\n");
	fflush(stdout);
	ev_run(d.loop, 0);
	gwd_doip_close(&d);
	gw_conf_fini(&d.conf);
	return 0;
}
