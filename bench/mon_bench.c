/* SPDX-License-Identifier: MIT */
/*
 * mon_bench.c - the monitor model's CPU per frame, natively and without a
 * bus: bench 18's stream (two buses, every 11-bit id in turn, 64-byte FD
 * frames of random bytes, so every frame changes its row) fed straight to
 * mon_frame(), with and without bench 18's DBC (2048 messages of eight
 * scaled 16-bit signals), plus a redraw-like mon_tick() every 50 ms of
 * the stream's time.  What the capture adds (recvmmsg, the kernel) is not
 * in it: this is the model's share, to find where its time goes.
 *
 *   mon_bench [FRAMES [dbc|nodbc]]   figures as "key=value" lines (one
 *                                    pass only, for a profiler)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbc.h"
#include "mon.h"

#define NIDS  2048u
#define NBUS  2u
#define SLOTS 65536u /* distinct payloads, cycled (a 4 MiB working set) */

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bench/monitor.sh's DBC, the same text */
static char *flood_dbc(size_t *len)
{
	size_t cap = 4u << 20, n = 0;
	char *b = malloc(cap);
	unsigned int id, s;

	if (!b)
		return NULL;
	n += (size_t)snprintf(b + n, cap - n, "VERSION \"\"\n\nBU_: N\n\n");
	for (id = 0; id < NIDS; id++) {
		n += (size_t)snprintf(b + n, cap - n, "BO_ %u M%03X: 64 N\n", id, id);
		for (s = 0; s < 8; s++)
			n += (size_t)snprintf(
				b + n, cap - n,
				" SG_ S%u : %u|16@1+ (0.01,-50) [-50|605.35] \"u\" N\n", s, s * 64);
		n += (size_t)snprintf(b + n, cap - n, "\n");
	}
	for (id = 0; id < NIDS; id++)
		n += (size_t)snprintf(b + n, cap - n, "VAL_ %u S0 0 \"Off\" 1 \"On\" ;\n", id);
	*len = n;
	return b;
}

static double run(const struct dbc_db *db, const uint8_t *pay, unsigned long frames)
{
	struct mon_opts o = {0, db, 0};
	struct mon m;
	struct cf_frame f;
	uint64_t t = 1000000000ull, next_tick = t;
	unsigned long i;
	double c0, c1;

	if (mon_init(&m, &o) || mon_add_if(&m, "vcan0", 0, 0) < 0 ||
	    mon_add_if(&m, "vcan1", 0, 0) < 0) {
		fprintf(stderr, "mon_bench: init failed\n");
		exit(1);
	}
	memset(&f, 0, sizeof(f));
	f.flags = CF_FD | CF_BRS;
	f.len = 64;
	c0 = cpu_s();
	for (i = 0; i < frames; i++) {
		f.id = (uint32_t)(i / NBUS) % NIDS;
		f.data = pay + (size_t)(i % SLOTS) * 64;
		/* about 100k frames/s with some jitter, as the flood */
		t += 8000 + (i * 7919) % 4000;
		mon_frame(&m, (unsigned int)(i % NBUS), &f, t);
		if (t >= next_tick) {
			mon_tick(&m, t);
			next_tick = t + 50000000ull;
		}
	}
	c1 = cpu_s();
	if (m.nrows != NIDS * NBUS)
		fprintf(stderr, "mon_bench: %zu rows?\n", m.nrows);
	mon_fini(&m);
	return (c1 - c0) * 1e9 / (double)frames;
}

int main(int argc, char **argv)
{
	unsigned long frames = argc > 1 ? strtoul(argv[1], NULL, 0) : 2000000ul;
	struct dbc_opts dop = {0, NULL, NULL};
	struct dbc_db *db = NULL;
	char err[DBC_ERRMSG_MAX];
	uint8_t *pay = malloc((size_t)SLOTS * 64);
	size_t len = 0, i;
	char *text = flood_dbc(&len);

	if (!pay || !text || !frames) {
		fprintf(stderr, "usage: mon_bench [FRAMES]\n");
		return 2;
	}
	for (i = 0; i < (size_t)SLOTS * 64; i += 8) {
		uint64_t r = rnd();

		memcpy(pay + i, &r, 8);
	}
	if (dbc_load_mem("flood.dbc", text, len, &dop, &db, err, sizeof(err))) {
		fprintf(stderr, "mon_bench: %s\n", err);
		return 1;
	}
	printf("frames=%lu\n", frames);
	if (argc < 3 || !strcmp(argv[2], "nodbc"))
		printf("ns_per_frame_nodbc=%.1f\n", run(NULL, pay, frames));
	if (argc < 3 || !strcmp(argv[2], "dbc"))
		printf("ns_per_frame_dbc=%.1f\n", run(db, pay, frames));
	dbc_free(db);
	free(text);
	free(pay);
	return 0;
}
