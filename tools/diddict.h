/* SPDX-License-Identifier: MIT */
/*
 * diddict.h - DID values as canrig diag prints and parses them, by the
 * dictionary entry (uds/uds_did.h) that describes the DID.
 */
#ifndef CANRIG_DIDDICT_H
#define CANRIG_DIDDICT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "uds_did.h"

/* Prints data as e describes it (e may be NULL), as JSON if json. */
void diddict_print_value(FILE *f, const struct uds_did_entry *e, const uint8_t *data, size_t n,
			 int json);

/*
 * Encodes the text s for e into buf: hex bytes ("0102AB", "01 02 ab") as
 * they are, whatever e says; anything else as e says (ascii: the text;
 * uint/int: a physical value).  Returns the byte count or -1.
 */
long diddict_encode(const struct uds_did_entry *e, const char *s, uint8_t *buf, size_t cap);

#endif /* CANRIG_DIDDICT_H */
