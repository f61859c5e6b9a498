/* SPDX-License-Identifier: MIT */
/*
 * seedkey_example.c - an example seed-to-key plug-in for
 * `canrig diag unlock --key-lib`: the key is the seed with its bytes in
 * reverse order, the algorithm of level 3 in tests/data/ecu-sim.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "uds.h"

int canrig_seed_key(uint8_t level, const uint8_t *seed, size_t n, uint8_t *key, size_t cap)
{
	size_t i;

	if (level != 3 || n > cap)
		return -EINVAL;
	for (i = 0; i < n; i++)
		key[i] = seed[n - 1 - i];
	return (int)n;
}
