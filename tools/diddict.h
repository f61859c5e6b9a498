/* SPDX-License-Identifier: MIT */
/*
 * diddict.h - DID names, lengths and formats for canrig diag: the ISO
 * 14229-1 standard identifiers (F180-F19F) built in, more from a YAML
 * file (--dids FILE.yaml):
 *
 *   dids:
 *     - {id: 0xF190, name: VIN, type: ascii, length: 17}
 *     - {id: 0xF40D, name: VehicleSpeed, type: uint, length: 1, unit: km/h}
 *     - {id: 0x0105, name: Coolant, type: int, length: 1, scale: 1,
 *        offset: -40, unit: degC}
 *
 * type is ascii, hex, uint or int (big-endian); length is in bytes
 * (needed to read several DIDs in one request); physical = raw * scale +
 * offset.
 */
#ifndef CANRIG_DIDDICT_H
#define CANRIG_DIDDICT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum diddict_type { DID_AUTO, DID_ASCII, DID_HEX, DID_UINT, DID_INT };

struct diddict_entry {
	uint16_t did;
	const char *name; /* owned by the dictionary */
	enum diddict_type type;
	int len; /* bytes, -1 unknown */
	double scale, offset;
	const char *unit; /* NULL: none */
};

struct diddict {
	struct diddict_entry *e; /* the file's entries, then built-ins */
	size_t n;
	char *strings; /* names and units of the file's entries */
};

/* Sets d up with the built-in entries only. */
void diddict_init(struct diddict *d);
void diddict_fini(struct diddict *d);

/* Adds the entries of a YAML file (later ones win over built-ins).
 * Returns 0, or -EINVAL / -errno with "FILE:LINE:COL: message" printed. */
int diddict_load(struct diddict *d, const char *path);

/* Returns the entry for did, or NULL; valid until diddict_fini(). */
const struct diddict_entry *diddict_find(const struct diddict *d, uint16_t did);

/* Returns the DID called name, or -1. */
int diddict_lookup_name(const struct diddict *d, const char *name);

/* Prints data as e describes it (e may be NULL), as JSON if json. */
void diddict_print_value(FILE *f, const struct diddict_entry *e, const uint8_t *data, size_t n,
			 int json);

/*
 * Encodes the text s for e into buf: hex bytes ("0102AB", "01 02 ab") as
 * they are, whatever e says; anything else as e says (ascii: the text;
 * uint/int: a physical value).  Returns the byte count or -1.
 */
long diddict_encode(const struct diddict_entry *e, const char *s, uint8_t *buf, size_t cap);

#endif /* CANRIG_DIDDICT_H */
