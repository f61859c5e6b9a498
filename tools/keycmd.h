/* SPDX-License-Identifier: MIT */
/*
 * keycmd.h - SecurityAccess keys from an external command, for both
 * sides: canrig diag (--key-cmd) computes the key it sends, canrig
 * ecu-sim (security: command:) the key it expects.
 *
 * The template's {level} becomes the level in decimal and {seed} the seed
 * in uppercase hex; /bin/sh runs the result with stdin from /dev/null and
 * its stdout, hex bytes with optional blanks, is the key.  The command
 * gets KEYCMD_TIMEOUT_MS, then its whole process group is killed: a
 * hanging script never hangs us.
 */
#ifndef CANRIG_KEYCMD_H
#define CANRIG_KEYCMD_H

#include <stddef.h>
#include <stdint.h>

#define KEYCMD_TIMEOUT_MS 5000
#define KEYCMD_SEED_MAX	  256

/*
 * Runs tmpl for level and seed[0..n) and writes the key to key (cap
 * bytes), its length to *keylen.  Returns 0, -ETIMEDOUT (killed),
 * -ECHILD (exit status not 0), -EBADMSG (output not hex, or empty),
 * -EOVERFLOW (key longer than cap), -E2BIG (seed too long) or -errno.
 */
int keycmd_run(const char *tmpl, uint8_t level, const uint8_t *seed, size_t n, uint8_t *key,
	       size_t cap, size_t *keylen);

/* Static English text for a keycmd_run() error. */
const char *keycmd_strerror(int err);

#endif /* CANRIG_KEYCMD_H */
