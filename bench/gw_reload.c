/* SPDX-License-Identifier: MIT */
/*
 * gw_reload.c - the CPU work of a canrigd reload, timed natively: no CAN
 * needed, so it runs on the host even where the bus benchmarks need the
 * emulated guest (bench/run.sh).
 *
 *   gw_reload FILE ROUNDS
 *
 * Each round does what canrigd's reload does off the sockets, in its
 * order: libyaml parses FILE (yml_load_file), the configuration is checked
 * and compiled into a rule engine (gw_conf_load_yml), the new engine
 * adopts the old one's counters by route name (gw_engine_adopt), and the
 * old configuration is freed. The first round has nothing to adopt from
 * and warms the caches; it is left out of the figures.
 *
 * Prints one line of key=value pairs: routes, rounds, and min/med/max in
 * milliseconds of yaml, rules, swap (adopt + free) and total.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cio_ev.h"
#include "gw.h"
#include "gw_conf.h"
#include "yml.h"

enum { T_YAML, T_RULES, T_SWAP, T_TOTAL, T_N };

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char *const names[T_N] = {"yaml", "rules", "swap", "total"};
	struct gw_conf old, nc;
	uint64_t *t[T_N];
	char err[512];
	long rounds;
	int have_old = 0, i, k, rc = 1;
	struct yml y;

	if (argc != 3 || (rounds = strtol(argv[2], NULL, 10)) < 2) {
		fputs("usage: gw_reload FILE ROUNDS (ROUNDS >= 2)\n", stderr);
		return 2;
	}
	for (k = 0; k < T_N; k++)
		if (!(t[k] = calloc((size_t)rounds, sizeof(uint64_t)))) {
			perror("gw_reload");
			return 1;
		}
	for (i = 0; i < rounds; i++) {
		uint64_t t0 = cio_now_ns(), t1, t2, t3;

		if (yml_load_file(&y, argv[1])) {
			fprintf(stderr, "gw_reload: %s\n", yml_errmsg(&y));
			goto out;
		}
		t1 = cio_now_ns();
		if (gw_conf_load_yml(&nc, &y, err, sizeof(err))) {
			yml_fini(&y);
			fprintf(stderr, "gw_reload: %s\n", err);
			goto out;
		}
		yml_fini(&y);
		t2 = cio_now_ns();
		if (have_old) {
			gw_engine_adopt(nc.engine, old.engine);
			gw_conf_fini(&old);
		}
		old = nc;
		have_old = 1;
		t3 = cio_now_ns();
		t[T_YAML][i] = t1 - t0;
		t[T_RULES][i] = t2 - t1;
		t[T_SWAP][i] = t3 - t2;
		t[T_TOTAL][i] = t3 - t0;
	}
	printf("routes=%zu rounds=%ld", gw_engine_nroutes(old.engine), rounds - 1);
	for (k = 0; k < T_N; k++) {
		uint64_t *v = t[k] + 1; /* round 0 left out */
		size_t n = (size_t)rounds - 1;

		qsort(v, n, sizeof(*v), cmp_u64);
		printf(" %s_min=%.3f %s_med=%.3f %s_max=%.3f", names[k], (double)v[0] / 1e6,
		       names[k], (double)v[n / 2] / 1e6, names[k], (double)v[n - 1] / 1e6);
	}
	putchar('\n');
	rc = 0;
out:
	if (have_old)
		gw_conf_fini(&old);
	for (k = 0; k < T_N; k++)
		free(t[k]);
	return rc;
}
