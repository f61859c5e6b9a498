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
 *                        status, stats and stats --json; SIGHUP reloads
 *                        FILE as canrigd's reload does for the entity
 *                        ("reloaded", or the error); SIGTERM ends it
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
static const char *path;

/* What canrigd's reload_apply() does for the entity: gwd_doip_prepare()
 * (its failure refuses the reload, the old conf stays), the new file's
 * conf in place, then gwd_doip_reloaded(). */
static void reload(void)
{
	static struct gw_conf nc;
	char err[512];

	if (gw_conf_load_file(&nc, path, err, sizeof(err))) {
		printf("reload refused: %s\n", err);
		return;
	}
	if (gwd_doip_prepare(&d, &nc, err, sizeof(err))) {
		gw_conf_fini(&nc);
		printf("reload refused: %s\n", err);
		return;
	}
	gw_conf_fini(&d.conf);
	d.conf = nc;
	gwd_doip_reloaded(&d);
	printf("reloaded\n");
}

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
	if (w->signum == SIGHUP) {
		reload();
		fflush(stdout);
		return;
	}
	ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
	ev_signal s1, s2, s3;
	char err[512];

	if (argc != 2) {
		fprintf(stderr, "usage: gwd_doip_host FILE.yaml\n");
		return 2;
	}
	path = argv[1];
	if (gw_conf_load_file(&d.conf, path, err, sizeof(err))) {
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
	ev_signal_init(&s3, on_sig, SIGHUP);
	ev_signal_start(d.loop, &s3);
	printf("ready\n");
	fflush(stdout);
	ev_run(d.loop, 0);
	gwd_doip_close(&d);
	gw_conf_fini(&d.conf);
	return 0;
}
