/* SPDX-License-Identifier: MIT */
/*
 * fuzz_gw_conf.c - libFuzzer target: arbitrary bytes as a canrigd YAML
 * configuration.  The loader either compiles an engine, which must then
 * route a few frames without harm, or gives one "NAME:LINE:COL: message"
 * line.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gw_emit out[64];
	struct gw_conf c;
	char err[512];
	unsigned int i, k;
	int e;

	e = gw_conf_load_mem(&c, "fuzz.yaml", data, size, err, sizeof(err));
	if (e == -EINVAL && (strncmp(err, "fuzz.yaml:", 10) || strchr(err, '\n')))
		__builtin_trap();
	if (e && e != -EINVAL && e != -ENOMEM)
		__builtin_trap();
	if (e)
		return 0;
	for (i = 0; i < c.nifs; i++)
		for (k = 0; k < 8; k++) {
			uint8_t d[64];
			struct cf_frame f;

			memset(&f, 0, sizeof(f));
			memset(d, (int)(k * 37), sizeof(d));
			d[0] = (uint8_t)(k << 4 | 2);
			f.id = k & 1 ? 0x7E0 + k : 0x18DA00F1u + k;
			f.flags = k & 1 ? 0 : CF_EFF;
			f.len = (uint8_t)(k * 9 % 65 > 8 ? 8 : k * 9 % 65);
			f.data = d;
			gw_engine_input(c.engine, i, &f, (uint64_t)k * 1000000, out, 64);
		}
	gw_engine_timers(c.engine, UINT64_MAX / 2, out, 64);
	gw_conf_fini(&c);
	return 0;
}
