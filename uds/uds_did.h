/* SPDX-License-Identifier: MIT */
/*
 * uds_did.h - a DID dictionary: names, lengths and formats of data
 * identifiers for a UDS tester (canrig diag).  The ISO 14229-1 standard
 * identifiers (F180-F19F) are built in, more come from a YAML file:
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
#ifndef CANRIG_UDS_DID_H
#define CANRIG_UDS_DID_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum uds_did_type { UDS_DID_AUTO, UDS_DID_ASCII, UDS_DID_HEX, UDS_DID_UINT, UDS_DID_INT };

struct uds_did_entry {
	uint16_t did;
	const char *name; /* owned by the dictionary */
	enum uds_did_type type;
	int len; /* bytes, -1 unknown */
	double scale, offset;
	const char *unit; /* NULL: none */
};

struct uds_did_dict {
	const struct uds_did_entry *e; /* the file's entries (before the built-ins) */
	size_t n;
	void *blocks; /* every allocation of the file's entries */
};

/* Sets d up with the built-in entries only (allocates nothing). */
void uds_did_init(struct uds_did_dict *d);

/* Frees the file's entries; d keeps the built-ins. */
void uds_did_fini(struct uds_did_dict *d);

/*
 * Reads the entries of a YAML file into d; they win over the built-ins,
 * and a second file replaces the first.  Returns 0, -EINVAL with
 * "FILE:LINE:COL: message" in err (cap bytes), -errno if the file cannot
 * be read ("FILE: reason") or -ENOMEM.  On error d is as before.
 */
int uds_did_load(struct uds_did_dict *d, const char *path, char *err, size_t cap);

/* As uds_did_load() on buf (len bytes); name is the file name for
 * messages. */
int uds_did_load_mem(struct uds_did_dict *d, const char *name, const void *buf, size_t len,
		     char *err, size_t cap);

/* Returns the entry for did (the file's first, then the built-ins), or
 * NULL; valid until the next load or uds_did_fini(). */
const struct uds_did_entry *uds_did_find(const struct uds_did_dict *d, uint16_t did);

/* Returns the DID called name, or -1. */
int uds_did_lookup_name(const struct uds_did_dict *d, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_UDS_DID_H */
