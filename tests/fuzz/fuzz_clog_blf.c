/* SPDX-License-Identifier: MIT */
/*
 * fuzz_clog_blf.c - libFuzzer target: the BLF reader (containers, zlib,
 * objects split over containers, canrig's metadata) and the writers fed
 * with whatever it yields, BLF included.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct clog_writer w;

static void run(const char *buf, size_t n, const struct clog_format *out)
{
	struct clog_reader r;
	struct clog_rec rec;
	uint64_t guard = 0;
	int e;
	FILE *null = fopen("/dev/null", "w");

	if (!null)
		return;
	if (clog_reader_open_mem(&r, "fuzz", buf, n, &clog_fmt_blf))
		goto out;
	clog_writer_init(&w, fileno(null), out, NULL);
	while ((e = clog_read(&r, &rec)) != 0) {
		/* every call takes at least one object (r.line counts them)
		 * or ends the file: more calls than that is a hang */
		if (++guard > r.line + 2)
			__builtin_trap();
		if (e < 0)
			continue;
		if (cf_validate(&rec.f) || rec.ifname_len >= CLOG_IFNAME_MAX ||
		    (rec.extra_len && !rec.extra))
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
	run((const char *)data, size, &clog_fmt_candump);
	run((const char *)data, size, &clog_fmt_blf);
	return 0;
}
