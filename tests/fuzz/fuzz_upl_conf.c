/* SPDX-License-Identifier: MIT */
/*
 * fuzz_upl_conf.c - libFuzzer target: arbitrary bytes as canrig uplink's
 * YAML file.  The loader either accepts it, and then every collect entry
 * points into its DBC with a selection of that message's signals, and its
 * when: program is a well-formed postfix one over that DBC's signals with
 * a bounded history, or refuses it with "NAME:LINE:COL: message" and
 * holds nothing.  The seeds (tests/fuzz/seeds/fuzz_upl_conf) reach the
 * when: expression compiler.
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
	unsigned int k, n, depth;
	uint64_t hist = 0;
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
		if (it->nops > UPL_WHEN_OPS_MAX || !!it->when != !!it->nops)
			__builtin_trap();
		for (k = depth = 0; k < it->nops; k++) {
			const struct upl_op *o = &it->ops[k];

			if (o->op <= UPL_OP_NE) {
				if (o->msg >= c.db->nmsgs || o->sig >= c.db->msgs[o->msg].nsigs)
					__builtin_trap();
				depth++;
			} else if (o->op == UPL_OP_NOT) {
				if (!depth)
					__builtin_trap();
			} else if (o->op <= UPL_OP_OR) {
				if (depth < 2)
					__builtin_trap();
				depth--;
			} else {
				__builtin_trap();
			}
		}
		if (it->nops && depth != 1)
			__builtin_trap();
		if (!!it->before_ms != !!it->hist || (it->before_ms && !it->nops))
			__builtin_trap();
		hist += it->hist;
	}
	if (!r && hist > UPL_HIST_MAX)
		__builtin_trap();
	upl_conf_fini(&c);
	return 0;
}
