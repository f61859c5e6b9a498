/* SPDX-License-Identifier: MIT */
/*
 * fuzz_clog_trc.c - libFuzzer target: the PEAK TRC reader (given and
 * autodetected), and the TRC and candump writers fed with what it yields.
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
		/* every call consumes a line: more calls than bytes is a hang */
		if (++guard > (int)n + 2)
			__builtin_trap();
		if (e < 0)
			continue;
		if (cf_validate(&rec.f) || rec.ifname_len >= CLOG_IFNAME_MAX)
			__builtin_trap();
		clog_write(&w, &rec);
	}
	clog_writer_fini(&w);
	for (e = 1; e <= 0x80; e <<= 1)
		if ((w.lost & (unsigned int)e) && !clog_lost_str((unsigned int)e)[0])
			__builtin_trap(); /* a loss without words */
	clog_reader_close(&r);
out:
	fclose(null);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run((const char *)data, size, &clog_fmt_trc, &clog_fmt_trc);
	run((const char *)data, size, &clog_fmt_trc, &clog_fmt_candump);
	run((const char *)data, size, NULL, &clog_fmt_trc);
	return 0;
}
