/* SPDX-License-Identifier: MIT */
/*
 * gw_csum.h - checksums and counters the gateway recomputes after it has
 * rewritten a CAN / CAN FD payload: the Linux can-gw XOR and CRC8 rules
 * (same bytes as the kernel, so a route can move between user space and
 * the kernel), the AUTOSAR CRC routines (CRC8 SAE J1850, CRC8H2F,
 * CRC16 CCITT-FALSE) and AUTOSAR E2E profiles 1 and 2 (protect and check).
 *
 * No I/O and no allocation.  A rule (struct gw_csum) is validated once,
 * when the configuration is loaded, with gw_csum_check(); applying it to a
 * frame then costs only the bounds checks against that frame's length.
 * Payloads are borrowed: `data` is the caller's buffer of `len` bytes and
 * nothing is touched outside it.  When a frame is too short for a rule the
 * payload is left exactly as it was and -EMSGSIZE is returned; every other
 * error also leaves the payload (and the counter state) unchanged.
 *
 * Byte indices of the can-gw style rules (XOR, CRC8, CRC16) are signed as
 * in can-gw: 0..63 count from the start of the payload, -1..-64 from its
 * end (-1 is the last byte of this frame).
 */
#ifndef CANRIG_GW_CSUM_H
#define CANRIG_GW_CSUM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- CRC primitives ------------------------------------------------- */

/*
 * Fills tab with the MSB-first (non-reflected) CRC8 table of poly (the
 * polynomial without its x^8 term, e.g. 0x1D), as can-gw's crctab wants it.
 * tab is caller owned.  Returns nothing: it cannot fail.
 */
void gw_crc8_table(uint8_t tab[256], uint8_t poly);

/*
 * Runs the CRC8 register crc over data[0..len) with table tab (from
 * gw_crc8_table()), MSB first, no final XOR.  Returns the new register.
 */
uint8_t gw_crc8_update(const uint8_t tab[256], uint8_t crc, const uint8_t *data, size_t len);

/*
 * AUTOSAR Crc_CalculateCRC8 (SAE J1850: poly 0x1D, init 0xFF, xorout 0xFF)
 * and Crc_CalculateCRC8H2F (poly 0x2F, init 0xFF, xorout 0xFF).  With
 * first != 0 the CRC starts afresh and start is ignored; with first == 0
 * it continues from start, the value a previous call returned, so a CRC
 * over several buffers equals the CRC over their concatenation.
 * Returns the CRC (final XOR applied).
 */
uint8_t gw_crc8_sae_j1850(const uint8_t *data, size_t len, uint8_t start, int first);
uint8_t gw_crc8_h2f(const uint8_t *data, size_t len, uint8_t start, int first);

/*
 * AUTOSAR Crc_CalculateCRC16: CCITT-FALSE (poly 0x1021, init 0xFFFF,
 * xorout 0), chained like the CRC8 functions above.  Returns the CRC.
 */
uint16_t gw_crc16_ccitt(const uint8_t *data, size_t len, uint16_t start, int first);

/* ---- rules ------------------------------------------------------------ */

/* Kinds of rule (struct gw_csum.kind). */
enum gw_csum_kind {
	GW_CSUM_XOR = 1,     /* can-gw CGW_CS_XOR */
	GW_CSUM_CRC8 = 2,    /* can-gw CGW_CS_CRC8 */
	GW_CSUM_CRC16 = 3,   /* CRC16 CCITT over a byte range, canrig only */
	GW_CSUM_E2E_P01 = 4, /* AUTOSAR E2E profile 1 */
	GW_CSUM_E2E_P02 = 5, /* AUTOSAR E2E profile 2 */
};

/*
 * can-gw struct cgw_csum_xor: data[result] = init ^ data[from] ^ ... ^
 * data[to] (from > to walks backwards, which XOR does not notice).
 */
struct gw_xor {
	int8_t from_idx, to_idx, result_idx;
	uint8_t init_xor_val;
};

/* CRC8 profiles: the values of can-gw's CGW_CRC8PRF_*. */
enum gw_crc8_profile {
	GW_CRC8PRF_UNSPEC = 0,	  /* the data bytes only */
	GW_CRC8PRF_1U8 = 1,	  /* then profile_data[0] */
	GW_CRC8PRF_16U8 = 2,	  /* then profile_data[data[1] & 0xF] */
	GW_CRC8PRF_SFFID_XOR = 3, /* then (id & 0xFF) ^ (id >> 8 & 0xFF) */
};

/*
 * can-gw struct cgw_csum_crc8: crc = init; crc = crctab[crc ^ data[i]] for
 * i from from_idx to to_idx (backwards when from > to); then one extra
 * byte per profile; data[result] = crc ^ final_xor_val.
 */
struct gw_crc8 {
	int8_t from_idx, to_idx, result_idx;
	uint8_t init_crc_val;
	uint8_t final_xor_val;
	uint8_t profile; /* enum gw_crc8_profile */
	uint8_t crctab[256];
	uint8_t profile_data[16];
};

/* Byte order of a CRC16 result (struct gw_crc16.order). */
enum gw_crc16_order {
	GW_CRC16_BE = 0, /* high byte at result_idx */
	GW_CRC16_LE = 1, /* low byte at result_idx */
};

/*
 * CRC16 CCITT (poly 0x1021, MSB first) over data[from..to] in can-gw's
 * index convention, the register starting at init_val, XORed with
 * final_xor_val, stored in data[result], data[result + 1].  CCITT-FALSE
 * (AUTOSAR CRC16) is init 0xFFFF, final XOR 0.
 */
struct gw_crc16 {
	int8_t from_idx, to_idx, result_idx;
	uint8_t order; /* enum gw_crc16_order */
	uint16_t init_val;
	uint16_t final_xor_val;
};

/* AUTOSAR E2E_P01DataIDMode, same values. */
enum gw_e2e_p01_mode {
	GW_E2E_P01_DATAID_BOTH = 0,   /* low byte, then high byte */
	GW_E2E_P01_DATAID_ALT = 1,    /* low byte on even counters, high on odd */
	GW_E2E_P01_DATAID_LOW = 2,    /* low byte only */
	GW_E2E_P01_DATAID_NIBBLE = 3, /* low byte, then 0; the high byte's low
				       * nibble is sent in the frame */
};

/* What protect does with the counter (counter_mode of the E2E rules). */
enum gw_e2e_counter {
	GW_E2E_REGENERATE = 0, /* write the caller's counter, then advance it */
	GW_E2E_KEEP = 1,       /* keep the frame's counter, recompute the CRC */
};

/*
 * E2E profile 1.  Offsets are in bits as AUTOSAR gives them: crc_offset a
 * multiple of 8, counter_offset and nibble_offset multiples of 4 (a
 * multiple of 8 is the byte's low nibble, otherwise the high nibble).
 * data_len is AUTOSAR's DataLength in bytes: the CRC covers data[0 ..
 * data_len) without the CRC byte; 0 means the whole payload of each frame.
 */
struct gw_e2e_p01 {
	uint16_t data_id;
	uint8_t mode;	      /* enum gw_e2e_p01_mode */
	uint8_t counter_mode; /* enum gw_e2e_counter */
	uint16_t crc_offset;
	uint16_t counter_offset;
	uint16_t nibble_offset; /* DATAID_NIBBLE only; AUTOSAR default 12 */
	uint8_t data_len;
};

/*
 * E2E profile 2: CRC8H2F in data[0], counter in the low nibble of data[1],
 * the CRC over data[1 .. data_len) then data_id_list[counter].  data_len 0
 * means the whole payload of each frame.
 */
struct gw_e2e_p02 {
	uint8_t data_id_list[16];
	uint8_t counter_mode; /* enum gw_e2e_counter */
	uint8_t data_len;
};

/*
 * Counter state of one protected route (one per route and CAN id), owned
 * by the caller and zeroed to start.  As AUTOSAR's protect state: for
 * profile 1 the counter the next frame gets (0..14), for profile 2 the
 * counter of the last frame sent (0..15; the next frame gets one more).
 */
struct gw_e2e_state {
	uint8_t counter;
};

/* One rule: kind says which member of u is meant. */
struct gw_csum {
	uint8_t kind; /* enum gw_csum_kind */
	union {
		struct gw_xor xsum;
		struct gw_crc8 crc8;
		struct gw_crc16 crc16;
		struct gw_e2e_p01 p01;
		struct gw_e2e_p02 p02;
	} u;
};

/*
 * Validates a rule for frames of at most max_len (1..64) bytes: 8 for a
 * classic route, 64 for FD, as can-gw's CGW_FLAGS_CAN_FD does.  Returns 0,
 * or -EINVAL with *why (when why is not NULL) set to a static English
 * reason.  c stays the caller's.
 */
int gw_csum_check(const struct gw_csum *c, size_t max_len, const char **why);

/*
 * Applies a checked rule to data[0..len): recomputes the checksum (and for
 * E2E the counter) in place.  id is the CAN id the frame will be sent with
 * (only GW_CRC8PRF_SFFID_XOR uses it, bits 0-15).  st is the route's
 * counter state, needed by E2E rules in GW_E2E_REGENERATE mode and
 * advanced by them; it may be NULL otherwise.  Returns 0, or with data and
 * *st unchanged: -EMSGSIZE if the frame is too short for the rule, -ERANGE
 * if a kept profile 1 counter is 15 (reserved), -EINVAL if st is missing
 * or out of range, or the kind is unknown.
 */
int gw_csum_apply(const struct gw_csum *c, struct gw_e2e_state *st, uint32_t id, uint8_t *data,
		  size_t len);

/*
 * Receive side: does data[0..len) carry the checksum the rule would
 * write?  Returns 0 if so, -EBADMSG if not (for E2E profile 1 also a wrong
 * Data ID nibble), -ERANGE for a profile 1 counter of 15, -EMSGSIZE if the
 * frame is too short, -EINVAL for an unknown kind.
 */
int gw_csum_verify(const struct gw_csum *c, uint32_t id, const uint8_t *data, size_t len);

/*
 * Returns 1 if the kernel's can-gw computes the same payload bytes for
 * this rule on frames long enough for it (so the route may be offloaded
 * with the same struct cgw_csum_* values), else 0.  fd: the route carries
 * CAN FD frames (indices up to +-64 instead of +-8).  See
 * docs/gateway-checksums.md for what can-gw does differently.
 */
int gw_csum_kernel_ok(const struct gw_csum *c, int fd);

/* ---- the same, one kind at a time (same returns as above) ------------- */

int gw_xor_apply(const struct gw_xor *x, uint8_t *data, size_t len);
int gw_crc8_apply(const struct gw_crc8 *c, uint32_t id, uint8_t *data, size_t len);
int gw_crc16_apply(const struct gw_crc16 *c, uint8_t *data, size_t len);

/* E2E protect (sender side); st as for gw_csum_apply(). */
int gw_e2e_p01_protect(const struct gw_e2e_p01 *p, struct gw_e2e_state *st, uint8_t *data,
		       size_t len);
int gw_e2e_p02_protect(const struct gw_e2e_p02 *p, struct gw_e2e_state *st, uint8_t *data,
		       size_t len);

/*
 * E2E check (receiver side, without AUTOSAR's sequence state machine):
 * returns as gw_csum_verify(); on 0, and on -EBADMSG, *counter (when not
 * NULL) is the frame's counter.
 */
int gw_e2e_p01_check(const struct gw_e2e_p01 *p, const uint8_t *data, size_t len, uint8_t *counter);
int gw_e2e_p02_check(const struct gw_e2e_p02 *p, const uint8_t *data, size_t len, uint8_t *counter);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_GW_CSUM_H */
