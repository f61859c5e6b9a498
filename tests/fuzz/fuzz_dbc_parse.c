/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dbc_parse.c - libFuzzer target: the DBC parser (tolerant and strict),
 * then every lookup, the linter and an encode of each message, so whatever
 * the parser builds is also walked.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dbc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct dbc_db *db)
{
	unsigned int i, j;
	uint8_t buf[CF_MAX_LEN];
	struct cf_frame f;

	dbc_check(db, NULL, NULL);
	for (i = 0; i < db->nmsgs; i++) {
		const struct dbc_message *m = &db->msgs[i];
		uint64_t *raw = calloc(m->nsigs + 1, sizeof(*raw));
		uint8_t *set = calloc(m->nsigs + 1, 1);
		struct dbc_value *v = calloc(m->nsigs + 1, sizeof(*v));

		if (!raw || !set || !v)
			goto next;
		if (dbc_find_msg(db, m->name) == NULL)
			__builtin_trap();
		for (j = 0; j < m->nsigs; j++) {
			if (m->sigs[j].last_byte >= CF_MAX_LEN || m->sigs[j].msg != m ||
			    m->sigs[j].index != j)
				__builtin_trap();
			set[j] = 1;
			raw[j] = 0x5555555555555555ull;
		}
		memset(&f, 0, sizeof(f));
		if (dbc_encode(m, raw, set, buf, &f, NULL) == 0) {
			if (f.len > CF_MAX_LEN)
				__builtin_trap();
			dbc_decode(m, &f, DBC_DEC_LABELS, v, NULL);
		}
	next:
		free(raw);
		free(set);
		free(v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dbc_opts o = {0, NULL, NULL};
	struct dbc_db *db;
	char err[DBC_ERRMSG_MAX];

	if (dbc_load_mem("fuzz", (const char *)data, size, &o, &db, err, sizeof(err)) == 0) {
		walk(db);
		dbc_free(db);
	}
	o.flags = DBC_STRICT | DBC_J1939;
	if (dbc_load_mem("fuzz", (const char *)data, size, &o, &db, err, sizeof(err)) == 0)
		dbc_free(db);
	return 0;
}
