/* SPDX-License-Identifier: MIT */
/*
 * dbc_bench.c - measurements behind "make bench" for the DBC library.
 *
 *   dbc_bench load FILE [REPS]      best load time, messages, signals, memory
 *   dbc_bench decode FILE LOG [S]   library decode rate over LOG's frames
 *   dbc_bench gen-log FILE N OUT    N random frames of FILE's messages
 *   dbc_bench gen-dbc MB OUT        a synthetic DBC of about MB megabytes
 *
 * Figures go to stdout as key=value pairs for bench/dbc.sh.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cio_ev.h"
#include "clog.h"
#include "dbc.h"

static double now(void)
{
	return (double)cio_now_ns() / 1e9;
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* resident set in KiB; a database's big blocks are mappings of their
 * own (not malloc's heap), so this is what counts its memory */
static long rss_kb(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static struct dbc_db *load(const char *path)
{
	struct dbc_opts o = {0, NULL, NULL};
	struct dbc_db *db;
	char err[DBC_ERRMSG_MAX];

	if (dbc_load_file(path, &o, &db, err, sizeof(err))) {
		fprintf(stderr, "dbc_bench: %s\n", err);
		exit(1);
	}
	return db;
}

static int cmd_load(const char *path, int reps)
{
	double best = 1e9;
	struct dbc_db *db = NULL;
	unsigned int i, nsig = 0;
	long mem = 0;
	int r;

	for (r = 0; r < reps; r++) {
		long m0 = rss_kb();
		double t = now();

		dbc_free(db);
		db = load(path);
		t = now() - t;
		if (t < best)
			best = t;
		/* the first load: later ones reuse what the last one freed */
		if (!r)
			mem = rss_kb() - m0;
	}
	for (i = 0; i < db->nmsgs; i++)
		nsig += db->msgs[i].nsigs;
	printf("load_ms=%.2f msgs=%u sigs=%u mem_kb=%ld\n", best * 1e3, db->nmsgs, nsig, mem);
	dbc_free(db);
	return 0;
}

struct fr {
	struct cf_frame f;
	uint8_t d[CF_MAX_LEN];
};

static int cmd_decode(const char *path, const char *log, double secs)
{
	struct dbc_db *db = load(path);
	struct clog_reader r;
	struct clog_rec rec;
	struct fr *fr = NULL;
	const struct dbc_message **msg = NULL;
	size_t n = 0, cap = 0, i;
	struct dbc_value vals[1024];
	uint64_t sigs = 0, frames = 0;
	double t, best = 0;
	int e, round;

	if (clog_reader_open(&r, log, NULL)) {
		fprintf(stderr, "dbc_bench: cannot read %s\n", log);
		return 1;
	}
	while ((e = clog_read(&r, &rec)) != 0) {
		if (e < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			fr = realloc(fr, cap * sizeof(*fr));
			msg = realloc(msg, cap * sizeof(*msg));
			if (!fr || !msg)
				return 1;
		}
		fr[n].f = rec.f;
		memcpy(fr[n].d, rec.f.data, rec.f.len);
		n++;
	}
	clog_reader_close(&r);
	for (i = 0; i < n; i++) {
		fr[i].f.data = fr[i].d;
		msg[i] = dbc_lookup(db, &fr[i].f);
		if (msg[i] && msg[i]->nsigs > 1024)
			msg[i] = NULL;
	}
	/* best of three runs, each at least secs/3 long, lookup included */
	for (round = 0; round < 3; round++) {
		uint64_t s = 0, k = 0;

		t = now();
		do {
			for (i = 0; i < n; i++) {
				const struct dbc_message *m = dbc_lookup(db, &fr[i].f);

				if (m && m->nsigs <= 1024)
					s += dbc_decode(m, &fr[i].f, 0, vals, NULL);
			}
			k += n;
		} while (now() - t < secs / 3);
		t = now() - t;
		if (s / t > best) {
			best = (double)s / t;
			sigs = s;
			frames = k;
		}
	}
	printf("frames=%llu signals=%llu signals_per_s=%.0f frames_per_s=%.0f\n",
	       (unsigned long long)frames, (unsigned long long)sigs, best,
	       best * (double)frames / (double)(sigs ? sigs : 1));
	free(fr);
	free(msg);
	dbc_free(db);
	return 0;
}

static int cmd_gen_log(const char *path, unsigned long n, const char *out)
{
	struct dbc_db *db = load(path);
	FILE *f = fopen(out, "w");
	unsigned long i;
	unsigned int *ok, nok = 0, k;

	ok = calloc(db->nmsgs + 1, sizeof(*ok));
	if (!f || !ok)
		return 1;
	for (k = 0; k < db->nmsgs; k++)
		if (db->msgs[k].nsigs &&
		    db->msgs[k].id <= (db->msgs[k].ext ? CF_EFF_MASK : CF_SFF_MASK))
			ok[nok++] = k;
	for (i = 0; i < n && nok; i++) {
		const struct dbc_message *m = &db->msgs[ok[rnd() % nok]];
		struct cf_frame fr;
		uint8_t d[CF_MAX_LEN];
		char txt[CF_COMPACT_MAX];
		unsigned int j;

		memset(&fr, 0, sizeof(fr));
		fr.id = m->id;
		fr.flags = (uint8_t)((m->ext ? CF_EFF : 0) | (m->fd ? CF_FD : 0));
		fr.len = (uint8_t)(m->fd ? cf_dlc2len(cf_len2dlc(m->length)) : m->length);
		for (j = 0; j < fr.len; j++)
			d[j] = (uint8_t)rnd();
		fr.data = d;
		txt[cf_format_compact(&fr, txt)] = 0;
		fprintf(f, "(%lu.%06lu) can0 %s\n", 1700000000ul + i / 1000000, i % 1000000, txt);
	}
	fclose(f);
	free(ok);
	dbc_free(db);
	return 0;
}

/* Realistic shape: attributes, comments and choices, as big files have. */
static int cmd_gen_dbc(double mb, const char *out)
{
	FILE *f = fopen(out, "w");
	unsigned long id = 1, i;
	long target = (long)(mb * 1024 * 1024);

	if (!f)
		return 1;
	fprintf(f, "VERSION \"synthetic\"\n\nNS_ :\n\tCM_\n\tBA_DEF_\n\n"
		   "BS_:\n\nBU_: N1 N2 N3\n\n");
	while (ftell(f) < target * 7 / 10) {
		fprintf(f, "BO_ %lu M%lu: 8 N1\n", id | 0x80000000ul, id);
		for (i = 0; i < 8; i++)
			fprintf(f,
				" SG_ S%lu_%lu : %lu|8@%d%c (0.5,-10) [-10|117.5]"
				" \"unit\" N2,N3\n",
				id, i, i * 8 + (i & 1 ? 7 : 0), i & 1 ? 0 : 1, i & 2 ? '-' : '+');
		fprintf(f, "\n");
		id++;
	}
	fprintf(f, "BA_DEF_ BO_ \"GenMsgCycleTime\" INT 0 10000;\n"
		   "BA_DEF_DEF_ \"GenMsgCycleTime\" 0;\n");
	for (i = 1; i < id && ftell(f) < target; i++) {
		fprintf(f, "CM_ SG_ %lu S%lu_0 \"Signal comment for S%lu_0\";\n", i | 0x80000000ul,
			i, i);
		fprintf(f, "BA_ \"GenMsgCycleTime\" BO_ %lu %lu;\n", i | 0x80000000ul,
			10 * (i % 100));
		fprintf(f, "VAL_ %lu S%lu_1 0 \"Zero\" 1 \"One\" 2 \"Two\" ;\n", i | 0x80000000ul,
			i);
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "load"))
		return cmd_load(argv[2], argc > 3 ? atoi(argv[3]) : 5);
	if (argc >= 4 && !strcmp(argv[1], "decode"))
		return cmd_decode(argv[2], argv[3], argc > 4 ? atof(argv[4]) : 3);
	if (argc == 5 && !strcmp(argv[1], "gen-log"))
		return cmd_gen_log(argv[2], strtoul(argv[3], NULL, 10), argv[4]);
	if (argc == 4 && !strcmp(argv[1], "gen-dbc"))
		return cmd_gen_dbc(atof(argv[2]), argv[3]);
	fprintf(stderr, "usage: dbc_bench load|decode|gen-log|gen-dbc ...\n");
	return 2;
}
