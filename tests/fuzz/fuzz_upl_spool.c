/* SPDX-License-Identifier: MIT */
/*
 * fuzz_upl_spool.c - libFuzzer target: arbitrary bytes as an uplink spool
 * segment.  The reader must always move forward and stay in the buffer,
 * and every record it returns must be one the writer could have written:
 * its header, rebuilt from its seq and payload, is the bytes it came from.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "upl_spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t hdr[UPL_REC_HDR];
	struct upl_rec r;
	size_t off = 0, prev;
	int rc;

	for (;;) {
		prev = off;
		rc = upl_seg_read(data, size, &off, &r);
		if (off > size)
			__builtin_trap();
		if (rc == 0) {
			if (off != size)
				__builtin_trap();
			break;
		}
		if (off <= prev)
			__builtin_trap(); /* no progress: a hang */
		if (rc == -EBADMSG) {
			if (r.len != off - prev)
				__builtin_trap();
			continue;
		}
		if (rc != 1 || r.len == 0 || r.len > UPL_REC_MAX ||
		    off - prev != UPL_REC_HDR + r.len || r.data != data + prev + UPL_REC_HDR)
			__builtin_trap();
		upl_rec_header(hdr, r.seq, r.data, r.len);
		if (memcmp(hdr, data + prev, UPL_REC_HDR))
			__builtin_trap();
	}
	return 0;
}
