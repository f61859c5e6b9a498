/* SPDX-License-Identifier: MIT */
/*
 * fuzz_uds_did.c - libFuzzer target: arbitrary bytes as a DID dictionary
 * (canrig diag --dids).  The loader must either accept the file, and then
 * every lookup must stay in bounds, or give a "NAME:LINE:COL: message"
 * and leave the dictionary as it was.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "uds_did.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uds_did_dict d;
	const struct uds_did_entry *e;
	char err[512];
	size_t i;
	int r;

	uds_did_init(&d);
	r = uds_did_load_mem(&d, "fuzz.yaml", data, size, err, sizeof(err));
	if (r == -22 && strncmp(err, "fuzz.yaml:", 10))
		__builtin_trap();
	if (r && r != -22 && r != -12)
		__builtin_trap();
	if (r && d.n)
		__builtin_trap(); /* a failed load changes nothing */
	for (i = 0; i < d.n; i++) {
		e = uds_did_find(&d, d.e[i].did);
		if (!e || e->len == 0 || e->scale == 0)
			__builtin_trap();
		if ((e->type == UDS_DID_UINT || e->type == UDS_DID_INT) &&
		    (e->len < 1 || e->len > 8))
			__builtin_trap();
		if (e->name && uds_did_lookup_name(&d, e->name) < 0)
			__builtin_trap();
	}
	/* the built-ins are always there */
	if (!uds_did_find(&d, 0xF190) || uds_did_lookup_name(&d, "VIN") < 0)
		__builtin_trap();
	uds_did_fini(&d);
	return 0;
}
