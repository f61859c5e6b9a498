/* SPDX-License-Identifier: MIT */
/*
 * fuzz_clog_read.c - libFuzzer target: log readers (autodetected, candump
 * and ASC) and the writers fed with whatever they yield.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct clog_writer w;

static void run(const char *buf, size_t n, const struct clog_format *fmt,
		const struct clog_format *out)
{
	struct clog_reader r;
	struct clog_rec rec;
	int e, guard = 0;
	FILE *null = fopen("/dev/null", "w");

	if (!null)
		return;
	if (clog_reader_open_mem(&r, "fuzz", buf, n, fmt))
		goto out;
	clog_writer_init(&w, fileno(null), out, NULL);
	while ((e = clog_read(&r, &rec)) != 0) {
		/* every call consumes input: more calls than bytes is a hang
		 * (BLF: more than its objects, r.line, which zlib may pack
		 * into fewer bytes) */
		if (++guard > (int)n + 2 + (int)r.line)
			__builtin_trap();
		if (e < 0)
			continue;
		if (cf_validate(&rec.f) || rec.ifname_len >= CLOG_IFNAME_MAX)
			__builtin_trap();
		clog_write(&w, &rec);
	}
	clog_writer_fini(&w);
	clog_reader_close(&r);
out:
	fclose(null);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run((const char *)data, size, NULL, &clog_fmt_candump);
	run((const char *)data, size, &clog_fmt_candump, &clog_fmt_asc);
	run((const char *)data, size, &clog_fmt_asc, &clog_fmt_candump);
	return 0;
}
