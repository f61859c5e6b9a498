/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ecusim_cfg.c - libFuzzer target: arbitrary bytes as an ecu-sim YAML
 * configuration.  The loader must either accept the file, and then the
 * engine must accept every ECU in it, or give a "NAME:LINE:COL: message".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uds_sim_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int key(void *ctx, uint8_t level, const uint8_t *seed, size_t n, uint8_t *k, size_t cap,
	       size_t *kl)
{
	(void)ctx;
	(void)level;
	(void)seed;
	(void)n;
	(void)k;
	(void)cap;
	(void)kl;
	return -38;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ecusim_cfg c;
	char err[512];
	size_t i;
	int e;

	e = ecusim_cfg_load(&c, "fuzz.yaml", data, size, err, sizeof(err));
	if (e == -22 && strncmp(err, "fuzz.yaml:", 10))
		__builtin_trap();
	if (e && e != -22 && e != -12)
		__builtin_trap();
	for (i = 0; !e && i < c.necus; i++) {
		struct uds_sim s;

		c.ecus[i].sim.key_fn = key;
		/* a 16 MiB memory area may legitimately fail to allocate */
		e = uds_sim_init(&s, &c.ecus[i].sim, 0);
		if (e == -22)
			__builtin_trap();
		if (!e) {
			uds_sim_request(&s, (const uint8_t *)"\x22\xF1\x90", 3, 0, 0);
			uds_sim_fini(&s);
		}
		e = 0;
	}
	ecusim_cfg_fini(&c);
	return 0;
}
