/* SPDX-License-Identifier: MIT */
/* fuzz_cf_parse.c - libFuzzer target: cansend syntax parser and formatters. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[CF_MAX_LEN];
	char out[CF_LONG_MAX + CF_ERRTEXT_MAX], again[CF_COMPACT_MAX];
	struct cf_frame f, g;
	struct cf_perr pe;
	size_t n;

	if (cf_parse(&f, buf, (const char *)data, size, &pe)) {
		/* errors must point inside (or just past) the input */
		if (pe.col > size || !pe.msg)
			__builtin_trap();
		return 0;
	}
	if (cf_validate(&f))
		__builtin_trap();
	n = cf_format_compact(&f, out);
	if (n >= CF_COMPACT_MAX)
		__builtin_trap();
	/* what we print must parse back to the same frame */
	if (cf_parse(&g, buf, out, n, NULL) || g.id != f.id || g.len != f.len || g.flags != f.flags)
		__builtin_trap();
	cf_format_compact(&g, again);
	if (strcmp(out, again))
		__builtin_trap();
	if (cf_format_long(&f, CF_LONG_ASCII | CF_LONG_INDENT_SFF, out) >= CF_LONG_MAX)
		__builtin_trap();
	cf_format_error(&f, "\n\t", out, CF_ERRTEXT_MAX);
	return 0;
}
