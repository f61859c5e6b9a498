/* SPDX-License-Identifier: MIT */
/*
 * cf.h - the zero-copy CAN / CAN FD frame view shared by every canrig module.
 *
 * A struct cf_frame describes one frame but never owns its payload: `data`
 * points into whatever buffer already holds the bytes (a recvmmsg ring, an
 * mmap'd capture, a parsed line buffer).  The view is valid exactly as long
 * as that buffer is; copying the struct copies the pointer, not the bytes.
 */
#ifndef CANRIG_CF_H
#define CANRIG_CF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CF_SFF_MASK 0x000007FFu
#define CF_EFF_MASK 0x1FFFFFFFu
#define CF_ERR_MASK 0x1FFFFFFFu

/* Frame flags (struct cf_frame.flags). */
#define CF_EFF 0x01 /* 29-bit identifier */
#define CF_RTR 0x02 /* remote transmission request (classic only) */
#define CF_ERR 0x04 /* error frame; id holds the error class bits */
#define CF_FD  0x08 /* CAN FD frame */
#define CF_BRS 0x10 /* FD bit rate switch */
#define CF_ESI 0x20 /* FD error state indicator */

/* Direction of a received frame. */
enum cf_dir {
	CF_DIR_RX = 0, /* received from the bus */
	CF_DIR_TX = 1, /* our own (or this host's) transmission, echoed back */
};

#define CF_MAX_LEN	   64 /* longest FD payload */
#define CF_CLASSIC_MAX_LEN 8

/*
 * Longest text produced by cf_format_compact() / cf_format_long(),
 * including the terminating NUL.
 */
#define CF_COMPACT_MAX (8 + 3 + 2 * CF_MAX_LEN + CF_MAX_LEN + 1)
#define CF_LONG_MAX    (16 + 3 * CF_MAX_LEN + 64 + 1)
#define CF_ERRTEXT_MAX 512

struct cf_frame {
	const uint8_t *data;  /* borrowed: len bytes; may be NULL if len==0 or RTR */
	uint64_t ts_ns;	      /* rx timestamp, ns since the epoch; 0 if unknown */
	uint32_t id;	      /* 11 or 29 bit id, or error class bits; no flags */
	int ifindex;	      /* interface index; 0 if unknown */
	uint8_t flags;	      /* CF_EFF | CF_RTR | CF_ERR | CF_FD | CF_BRS | CF_ESI */
	uint8_t len;	      /* payload bytes; for RTR the requested length */
	uint8_t fd_raw_flags; /* FD flags byte exactly as seen (kernel may set FDF 0x04) */
	uint8_t dir;	      /* enum cf_dir */
	uint8_t own;	      /* sent by the very socket that received it */
	uint8_t len8_dlc;     /* classic frame of len 8 (data or RTR): the DLC 9..15
			       * it was sent with (can_frame.len8_dlc, candump's
			       * "_X" suffix), else 0 */
};

/*
 * A frame with storage of its own: what a queue slot, a held frame or a
 * log record keeps.  The view f describes it and, once cf_buf_set() ran,
 * f.data points at d.  A struct copy copies that pointer as well (it then
 * points into the original): read a cf_buf through cf_buf_view(), which
 * points it at the bytes of the cf_buf it is given.
 */
struct cf_buf {
	struct cf_frame f;
	uint8_t d[CF_MAX_LEN];
};

/*
 * Copies f, its header and its len bytes (none when f->data is NULL, as
 * a remote frame may have), into b.  f may be b's own view.  Returns b's
 * view, valid as long as b is (and b is not moved).
 */
static inline const struct cf_frame *cf_buf_set(struct cf_buf *b, const struct cf_frame *f)
{
	size_t n = f->len < CF_MAX_LEN ? f->len : CF_MAX_LEN;

	if (f->data && f->data != b->d)
		memcpy(b->d, f->data, n);
	b->f = *f;
	b->f.data = b->d;
	return &b->f;
}

/* Returns b's view with data pointing at b's own bytes (after a struct
 * copy of b, say); valid as long as b is. */
static inline const struct cf_frame *cf_buf_view(struct cf_buf *b)
{
	b->f.data = b->d;
	return &b->f;
}

/* Returns the payload length for a 4-bit DLC (0..15); higher bits ignored. */
unsigned int cf_dlc2len(unsigned int dlc);

/* Returns the smallest DLC whose length holds len bytes (len > 64 gives 15). */
unsigned int cf_len2dlc(unsigned int len);

/* Returns 1 if len is a valid CAN FD payload length, else 0. */
int cf_fd_len_valid(unsigned int len);

/*
 * Validation errors are distinct so callers can say exactly what is wrong.
 * Returns 0 if the frame is well formed, else one of:
 *   -EMSGSIZE  len > 8 on a classic frame, or not an FD length on FD
 *   -ERANGE    id out of range for its format (11 bit > 0x7FF, 29 bit > ...)
 *   -EPROTO    RTR set on an FD frame
 *   -EINVAL    contradictory flags (BRS/ESI without FD, ERR with RTR/FD)
 */
int cf_validate(const struct cf_frame *f);

/* Returns the value 0..15 of hex digit c (either case), or -1. */
int cf_hexval(char c);

/*
 * Writes v in decimal at p (no terminating NUL), right-aligned to at least
 * width characters padded with pad ('0' or ' '); p needs max(width, 20)
 * bytes.  Returns the position after the digits.  Log writers, the DBC
 * decoder and the CLI share it: printf costs more than the rest of a line.
 */
char *cf_put_dec(char *p, uint64_t v, int width, char pad);

/* Returns a static English string for a cf_validate() result. */
const char *cf_strerror(int err);

/*
 * Parse cansend syntax: <id>#{data}, <id>#R{len}, <id>##<flags>{data}, with
 * optional '.' between bytes.  3 hex digits make an 11-bit id, 8 digits a
 * 29-bit id (or an error frame when 0x20000000 is set).  Bytes are decoded
 * into buf (at least CF_MAX_LEN bytes, caller owned) and f->data points at
 * it.  s need not be NUL-terminated: exactly n bytes are read.
 * Returns 0, -EINVAL for bad syntax, or a cf_validate() error.  On error,
 * when err is not NULL, err->col is the 0-based column of the offending
 * character and err->msg a static description.
 */
struct cf_perr {
	size_t col;
	const char *msg;
};

int cf_parse(struct cf_frame *f, uint8_t *buf, const char *s, size_t n, struct cf_perr *err);

/*
 * Format the compact (candump -L / cansend) form into out, which must hold
 * CF_COMPACT_MAX bytes.  Returns the string length (no NUL counted).
 */
size_t cf_format_compact(const struct cf_frame *f, char *out);

/* Layout options for cf_format_long(). */
#define CF_LONG_INDENT_SFF 0x01 /* pad 11-bit ids to line up with 29-bit */
#define CF_LONG_ASCII	   0x02 /* append printable ASCII after the bytes */

/*
 * Format the candump screen form ("123   [4]  DE AD BE EF") into out, which
 * must hold CF_LONG_MAX bytes.  Returns the string length.
 */
size_t cf_format_long(const struct cf_frame *f, unsigned int opts, char *out);

/*
 * Describe an error frame in words (as candump -e does), items joined by
 * sep.  out holds outsz bytes.  Returns the string length, 0 if f is not an
 * error frame.
 */
size_t cf_format_error(const struct cf_frame *f, const char *sep, char *out, size_t outsz);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_CF_H */
