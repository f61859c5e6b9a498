/* SPDX-License-Identifier: MIT */
/*
 * fuzz_upl_conf.c - libFuzzer target: arbitrary bytes as canrig uplink's
 * YAML file.  The loader either accepts it, and then every collect entry
 * points into its DBC with a selection of that message's signals, or
 * refuses it with "NAME:LINE:COL: message" and holds nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "upl_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upl_conf c;
	char err[1024];
	size_t i;
	unsigned int k, n;
	int r;

	r = upl_conf_load_mem(&c, "fuzz.yaml", data, size, err, sizeof(err));
	if (r == -22 && strncmp(err, "fuzz.yaml:", 10))
		__builtin_trap();
	if (r && (c.db || c.arena))
		__builtin_trap();
	for (i = 0; !r && i < c.ncollect; i++) {
		const struct upl_collect *it = &c.collect[i];

		if (!it->msg || it->msg < c.db->msgs || it->msg >= c.db->msgs + c.db->nmsgs)
			__builtin_trap();
		for (k = n = 0; k < it->msg->nsigs; k++)
			n += it->sel[k];
		if (n != it->nsel || !n)
			__builtin_trap();
	}
	upl_conf_fini(&c);
	return 0;
}
