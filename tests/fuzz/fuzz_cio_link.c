/* SPDX-License-Identifier: MIT */
/* fuzz_cio_link.c - libFuzzer target: rtnetlink link event parser. */
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include "cio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(void *arg, const struct cio_link_ev *ev)
{
	(void)arg;
	/* names always end inside their buffer */
	if (strnlen(ev->ifname, sizeof(ev->ifname)) == sizeof(ev->ifname))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the kernel hands out aligned buffers; so does the daemon */
	static union {
		uint32_t align;
		uint8_t b[8192];
	} u;
	int n;

	if (size > sizeof(u.b))
		size = sizeof(u.b);
	memcpy(u.b, data, size);
	n = cio_link_parse(u.b, size, check, NULL);
	if (n < 0 && n != -EBADMSG)
		__builtin_trap();
	return 0;
}
