/* SPDX-License-Identifier: MIT */
/*
 * fuzz_isotp_rx.c - libFuzzer target: the ISO-TP receiver (and the sender's
 * flow-control handling) fed a fuzzed sequence of frames and clock steps.
 * Input: records of [time step][flags][len][data...].  The payload of each
 * frame sits in an exact-size buffer, so a read past its length is an ASan
 * report; the engine's invariants are checked after every step.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isotp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rxbuf[8192], msg[3000];
	struct isotp_cfg cfg;
	struct isotp c;
	struct cf_buf out[16];
	size_t pos = 0;
	uint64_t now = 0;

	if (size < 2)
		return 0;
	isotp_cfg_init(&cfg);
	cfg.tx_id = 0x7E0;
	cfg.rx_id = 0x7E8;
	cfg.tx_dl = (data[0] & 1) ? 64 : 8;
	cfg.rx_ae = (data[0] & 2) ? 0x55 : -1;
	cfg.tx_ae = cfg.rx_ae;
	cfg.rx_pad_check = (data[0] >> 2) & 3;
	cfg.bs = data[1] & 7;
	isotp_init(&c, &cfg, rxbuf, (data[0] & 16) ? 100 : sizeof(rxbuf));
	if (data[0] & 32)
		isotp_send(&c, msg, (data[0] & 64) ? 5 : sizeof(msg), 0);
	pos = 2;
	while (pos + 3 <= size) {
		struct cf_frame f;
		uint8_t *p;
		unsigned int len = data[pos + 2] % (CF_MAX_LEN + 1), n;

		now += (uint64_t)data[pos] * 7000000ull;
		memset(&f, 0, sizeof(f));
		f.id = 0x7E8;
		f.flags = data[pos + 1] & (CF_FD | CF_EFF);
		if (f.flags & CF_EFF)
			f.id = 0x7E8; /* same number, other format: must be ignored */
		pos += 3;
		if (len > size - pos)
			len = (unsigned int)(size - pos);
		p = malloc(len ? len : 1);
		if (!p)
			return 0;
		memcpy(p, data + pos, len);
		pos += len;
		f.data = p;
		f.len = (uint8_t)len;
		isotp_input(&c, &f, now);
		{
			/* the stateless classifier the gateway firewall uses */
			struct isotp_pci pci;

			if (isotp_classify(&f, len & 1, &pci) <= ISOTP_PCI_FF &&
			    (pci.off > f.len || pci.total > 0xFFFFFFFFu))
				__builtin_trap();
		}
		free(p);
		n = isotp_output(&c, now, out, 16);
		if (n > 16)
			__builtin_trap();
		isotp_sent(&c, n, now);
		isotp_timers(&c, now);
		if (c.rx_state == ISOTP_RX_CF && (c.rx_pos > c.rx_len || c.rx_len > c.rx_cap))
			__builtin_trap();
		if (c.tx_pos > c.tx_len)
			__builtin_trap();
	}
	return 0;
}
