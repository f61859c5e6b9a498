/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dbc_decode.c - libFuzzer target: a fuzzed frame (id, flags, length,
 * payload) decoded against the fixed test database, which has Intel,
 * Motorola, 64-bit, float, multiplexed and 64-byte FD messages.  The
 * payload sits in an exact-size buffer, so any read past the frame's
 * length is an ASan report.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dbc_db *db;

static void load(void)
{
	struct dbc_opts o = {DBC_J1939, NULL, NULL};
	const char *dir = getenv("CANRIG_TEST_DATA");
	char path[4096], err[DBC_ERRMSG_MAX];

	snprintf(path, sizeof(path), "%s/test.dbc", dir ? dir : "tests/data");
	if (dbc_load_file(path, &o, &db, err, sizeof(err))) {
		fprintf(stderr, "fuzz_dbc_decode: %s\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dbc_value vals[16];
	const struct dbc_message *m;
	struct cf_frame f;
	uint8_t *payload;
	unsigned int len, i;
	char out[48];

	if (!db)
		load();
	if (size < 5)
		return 0;
	memset(&f, 0, sizeof(f));
	f.id = ((uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 |
		data[3]) &
	       CF_EFF_MASK;
	f.flags = data[4] & (CF_EFF | CF_RTR | CF_FD);
	len = (unsigned int)(size - 5);
	if (len > CF_MAX_LEN)
		len = CF_MAX_LEN;
	/* steer ids towards the database's messages half of the time */
	if (data[4] & 0x80 && db->nmsgs) {
		m = &db->msgs[data[3] % db->nmsgs];
		f.id = m->id;
		f.flags = (uint8_t)((f.flags & ~CF_EFF) | (m->ext ? CF_EFF : 0));
	}
	payload = malloc(len ? len : 1);
	if (!payload)
		return 0;
	memcpy(payload, data + 5, len);
	f.data = payload;
	f.len = (uint8_t)len;
	m = dbc_lookup(db, &f);
	if (m && m->nsigs <= 16) {
		dbc_decode(m, &f, DBC_DEC_LABELS, vals, NULL);
		for (i = 0; i < m->nsigs; i++)
			if (vals[i].present) {
				dbc_fmt_phys(&m->sigs[i], &vals[i], out);
				dbc_fmt_raw(&m->sigs[i], &vals[i], out);
			}
	}
	free(payload);
	return 0;
}
