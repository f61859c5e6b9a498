/* SPDX-License-Identifier: MIT */
/* cf.c - frame view helpers: DLC mapping, validation, text forms. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cf.h"

static const uint8_t dlc2len_tab[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64};

static const char hexdig[] = "0123456789ABCDEF";

unsigned int cf_dlc2len(unsigned int dlc)
{
	return dlc2len_tab[dlc & 0x0F];
}

unsigned int cf_len2dlc(unsigned int len)
{
	unsigned int dlc;

	if (len <= 8)
		return len;
	for (dlc = 9; dlc < 15; dlc++)
		if (dlc2len_tab[dlc] >= len)
			return dlc;
	return 15;
}

int cf_fd_len_valid(unsigned int len)
{
	return len <= 64 && dlc2len_tab[cf_len2dlc(len)] == len;
}

int cf_validate(const struct cf_frame *f)
{
	int fd = !!(f->flags & CF_FD);

	if ((f->flags & CF_ERR) && (f->flags & (CF_RTR | CF_FD)))
		return -EINVAL;
	if (!fd && (f->flags & (CF_BRS | CF_ESI)))
		return -EINVAL;
	if (fd && (f->flags & CF_RTR))
		return -EPROTO;
	if (f->flags & CF_ERR) {
		if (f->id > CF_ERR_MASK)
			return -ERANGE;
	} else if (f->flags & CF_EFF) {
		if (f->id > CF_EFF_MASK)
			return -ERANGE;
	} else if (f->id > CF_SFF_MASK) {
		return -ERANGE;
	}
	if (fd ? !cf_fd_len_valid(f->len) : f->len > CF_CLASSIC_MAX_LEN)
		return -EMSGSIZE;
	/* a DLC above 8 is only for a classic frame of 8 bytes */
	if (f->len8_dlc && (f->len8_dlc < 9 || f->len8_dlc > 15 || fd || (f->flags & CF_ERR) ||
			    f->len != CF_CLASSIC_MAX_LEN))
		return -EMSGSIZE;
	return 0;
}

const char *cf_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case -EMSGSIZE:
		return "invalid payload length for this frame type";
	case -ERANGE:
		return "identifier out of range for its format";
	case -EPROTO:
		return "RTR is not allowed on CAN FD frames";
	case -EINVAL:
		return "malformed frame";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

/* hex digit value + 1 (0 = not hex): a table, logs are mostly hex digits */
static const uint8_t hexval1[256] = {
	['0'] = 1,  ['1'] = 2,	['2'] = 3,  ['3'] = 4,	['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,	['8'] = 9,  ['9'] = 10, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

int cf_hexval(char c)
{
	return (int)hexval1[(unsigned char)c] - 1;
}

char *cf_put_dec(char *p, uint64_t v, int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < width)
		tmp[n++] = pad;
	while (n)
		*p++ = tmp[--n];
	return p;
}

static int parse_fail(struct cf_perr *err, size_t col, const char *msg)
{
	if (err) {
		err->col = col;
		err->msg = msg;
	}
	return -EINVAL;
}

/* "_X" (s, n bytes) after a classic frame of 8 bytes: its DLC X, 9..F, into
 * f->len8_dlc.  Returns 0, or -1 when it is not that. */
static int len8_suffix(struct cf_frame *f, const char *s, size_t n)
{
	int v;

	if (n != 2 || s[0] != '_' || f->len != CF_CLASSIC_MAX_LEN)
		return -1;
	v = cf_hexval(s[1]);
	if (v < 9)
		return -1;
	f->len8_dlc = (uint8_t)v;
	return 0;
}

int cf_parse(struct cf_frame *f, uint8_t *buf, const char *s, size_t n, struct cf_perr *err)
{
	size_t i, idlen, pos;
	uint32_t id = 0;
	unsigned int maxlen = CF_CLASSIC_MAX_LEN;
	int v, hi, lo;

	memset(f, 0, sizeof(*f));
	f->data = buf;

	for (idlen = 0; idlen < n && s[idlen] != '#'; idlen++)
		;
	if (idlen == n)
		return parse_fail(err, n, "missing '#' after the CAN id");
	if (idlen != 3 && idlen != 8)
		return parse_fail(err, 0, "CAN id must have 3 (11-bit) or 8 (29-bit) hex digits");
	for (i = 0; i < idlen; i++) {
		v = cf_hexval(s[i]);
		if (v < 0)
			return parse_fail(err, i, "bad hex digit in CAN id");
		id = id << 4 | (uint32_t)v;
	}
	if (idlen == 8) {
		if (id & 0x20000000u) {
			f->flags |= CF_ERR;
		} else {
			if (id & 0xC0000000u)
				return parse_fail(err, 0, "29-bit CAN id out of range");
			f->flags |= CF_EFF;
		}
		id &= CF_EFF_MASK;
	}
	f->id = id;
	pos = idlen + 1;

	if (pos < n && (s[pos] == 'R' || s[pos] == 'r')) {
		if (f->flags & CF_ERR)
			return parse_fail(err, pos, "error frames cannot be RTR");
		f->flags |= CF_RTR;
		pos++;
		if (pos < n && s[pos] != '_') {
			v = cf_hexval(s[pos]);
			if (v < 0 || v > 8 || (pos + 1 != n && s[pos + 1] != '_'))
				return parse_fail(err, pos, "RTR length must be one digit 0-8");
			f->len = (uint8_t)v;
			pos++;
		}
		f->data = NULL;
		if (pos < n && (v = len8_suffix(f, s + pos, n - pos)) < 0)
			return parse_fail(err, pos, "_DLC must be one hex digit 9-F after 8 bytes");
		goto out_validate;
	}
	if (pos < n && s[pos] == '#') {
		if (f->flags & CF_ERR)
			return parse_fail(err, pos, "error frames cannot be CAN FD");
		pos++;
		if (pos >= n || (v = cf_hexval(s[pos])) < 0)
			return parse_fail(err, pos,
					  "CAN FD flags must be one hex digit after '##'");
		f->flags |= CF_FD;
		f->fd_raw_flags = (uint8_t)v;
		if (v & 0x01)
			f->flags |= CF_BRS;
		if (v & 0x02)
			f->flags |= CF_ESI;
		maxlen = CF_MAX_LEN;
		pos++;
	}
	while (pos < n) {
		if (s[pos] == '.') {
			pos++;
			continue;
		}
		if (s[pos] == '_' && !(f->flags & (CF_FD | CF_ERR))) {
			/* candump's raw DLC of a classic 8-byte frame: 123#..._C */
			if (len8_suffix(f, s + pos, n - pos) < 0)
				return parse_fail(err, pos,
						  "_DLC must be one hex digit 9-F after 8 bytes");
			break;
		}
		if (f->len >= maxlen)
			return parse_fail(err, pos,
					  maxlen == CF_MAX_LEN
						  ? "more than 64 data bytes"
						  : "more than 8 data bytes in a classic frame");
		hi = cf_hexval(s[pos]);
		if (hi < 0)
			return parse_fail(err, pos, "bad hex digit in data");
		if (pos + 1 >= n)
			return parse_fail(err, pos + 1, "data bytes need two hex digits");
		lo = cf_hexval(s[pos + 1]);
		if (lo < 0)
			return parse_fail(err, pos + 1, "bad hex digit in data");
		buf[f->len++] = (uint8_t)(hi << 4 | lo);
		pos += 2;
	}
out_validate:
	v = cf_validate(f);
	if (v && err) {
		err->col = idlen + 1;
		err->msg = cf_strerror(v);
	}
	return v;
}

static char *put_hex(char *p, uint32_t v, int digits)
{
	int i;

	for (i = digits - 1; i >= 0; i--)
		p[i] = hexdig[v & 0xF], v >>= 4;
	return p + digits;
}

static char *put_id(char *p, const struct cf_frame *f)
{
	if (f->flags & CF_ERR)
		return put_hex(p, f->id | 0x20000000u, 8);
	if (f->flags & CF_EFF)
		return put_hex(p, f->id, 8);
	return put_hex(p, f->id, 3);
}

static unsigned int fd_nibble(const struct cf_frame *f)
{
	unsigned int v = f->fd_raw_flags;

	if (f->flags & CF_BRS)
		v |= 0x01;
	if (f->flags & CF_ESI)
		v |= 0x02;
	return v & 0x0F;
}

size_t cf_format_compact(const struct cf_frame *f, char *out)
{
	char *p = put_id(out, f);
	unsigned int i, len = f->len;

	*p++ = '#';
	if (f->flags & CF_FD) {
		if (len > CF_MAX_LEN)
			len = CF_MAX_LEN;
		*p++ = '#';
		*p++ = hexdig[fd_nibble(f)];
	} else {
		if (len > CF_CLASSIC_MAX_LEN)
			len = CF_CLASSIC_MAX_LEN;
		if (f->flags & CF_RTR) {
			*p++ = 'R';
			if (len)
				*p++ = hexdig[len];
			goto out_dlc;
		}
	}
	for (i = 0; i < len; i++) {
		*p++ = hexdig[f->data[i] >> 4];
		*p++ = hexdig[f->data[i] & 0xF];
	}
out_dlc:
	if (f->len8_dlc > 8 && len == CF_CLASSIC_MAX_LEN && !(f->flags & (CF_FD | CF_ERR))) {
		*p++ = '_';
		*p++ = hexdig[f->len8_dlc & 0xF];
	}
	*p = '\0';
	return (size_t)(p - out);
}

size_t cf_format_long(const struct cf_frame *f, unsigned int opts, char *out)
{
	char *p = out;
	unsigned int i, len = f->len, fd = !!(f->flags & CF_FD);
	unsigned int maxlen = fd ? CF_MAX_LEN : CF_CLASSIC_MAX_LEN;

	if (len > maxlen)
		len = maxlen;
	/* candump pads the id column to a fixed width before the length */
	memset(out, ' ', 15);
	if (f->flags & (CF_ERR | CF_EFF)) {
		put_id(p, f);
		p += 10;
	} else if (opts & CF_LONG_INDENT_SFF) {
		put_hex(p + 5, f->id, 3);
		p += 10;
	} else {
		put_hex(p, f->id, 3);
		p += 5;
	}
	if (!fd) {
		p[1] = '[';
		p[2] = (char)('0' + len);
		p[3] = ']';
		if (f->flags & CF_RTR) {
			p += 5;
			p += sprintf(p, " remote request");
			return (size_t)(p - out);
		}
	} else {
		p[0] = '[';
		p[1] = (char)('0' + len / 10);
		p[2] = (char)('0' + len % 10);
		p[3] = ']';
	}
	p += 5;
	for (i = 0; i < len; i++) {
		*p++ = ' ';
		*p++ = hexdig[f->data[i] >> 4];
		*p++ = hexdig[f->data[i] & 0xF];
	}
	*p = '\0';
	if (len > CF_CLASSIC_MAX_LEN)
		return (size_t)(p - out);
	if (f->flags & CF_ERR) {
		p += sprintf(p, "%*s", (int)(3 * (8 - len) + 13), "ERRORFRAME");
	} else if (opts & CF_LONG_ASCII) {
		p += sprintf(p, "%*s", (int)(3 * (8 - len) + 4), "'");
		for (i = 0; i < len; i++)
			*p++ = (f->data[i] > 0x1F && f->data[i] < 0x7F) ? (char)f->data[i] : '.';
		*p++ = '\'';
		*p = '\0';
	}
	return (size_t)(p - out);
}

/* Word lists follow linux/can/error.h bit order. */
static const char *const err_classes[] = {
	"tx-timeout",
	"lost-arbitration",
	"controller-problem",
	"protocol-violation",
	"transceiver-status",
	"no-acknowledgement-on-tx",
	"bus-off",
	"bus-error",
	"restarted-after-bus-off",
};

static const char *const err_ctrl[] = {
	"rx-overflow",	    "tx-overflow",	"rx-error-warning",	"tx-error-warning",
	"rx-error-passive", "tx-error-passive", "back-to-error-active",
};

static const char *const err_prot_type[] = {
	"single-bit-error",	  "frame-format-error",
	"bit-stuffing-error",	  "tx-dominant-bit-error",
	"tx-recessive-bit-error", "bus-overload",
	"active-error",		  "error-on-tx",
};

static const char *const err_prot_loc[32] = {
	[0x02] = "id.28-to-id.21",
	[0x03] = "start-of-frame",
	[0x04] = "bit-srtr",
	[0x05] = "bit-ide",
	[0x06] = "id.20-to-id.18",
	[0x07] = "id.17-to-id.13",
	[0x08] = "crc-sequence",
	[0x09] = "reserved-bit-0",
	[0x0A] = "data-field",
	[0x0B] = "data-length-code",
	[0x0C] = "bit-rtr",
	[0x0D] = "reserved-bit-1",
	[0x0E] = "id.4-to-id.0",
	[0x0F] = "id.12-to-id.5",
	[0x11] = "active-error-flag",
	[0x12] = "intermission",
	[0x13] = "tolerate-dominant-bits",
	[0x16] = "passive-error-flag",
	[0x17] = "error-delimiter",
	[0x18] = "crc-delimiter",
	[0x19] = "acknowledge-slot",
	[0x1A] = "end-of-frame",
	[0x1B] = "acknowledge-delimiter",
	[0x1C] = "overload-flag",
};

struct sbuf {
	char *p;
	size_t left;
	size_t n;
};

static void sb_put(struct sbuf *b, const char *s)
{
	size_t l = strlen(s);

	b->n += l;
	if (!b->left)
		return;
	if (l >= b->left)
		l = b->left - 1;
	memcpy(b->p, s, l);
	b->p += l;
	b->left -= l;
	*b->p = '\0';
}

static void sb_bits(struct sbuf *b, unsigned int bits, const char *const *names, unsigned int count)
{
	unsigned int i, k = 0;

	for (i = 0; i < count; i++) {
		if (!(bits & (1u << i)))
			continue;
		if (k++)
			sb_put(b, ",");
		sb_put(b, names[i]);
	}
}

size_t cf_format_error(const struct cf_frame *f, const char *sep, char *out, size_t outsz)
{
	struct sbuf b = {out, outsz, 0};
	const uint8_t *d = f->data;
	uint8_t z[8] = {0};
	unsigned int i, k = 0;
	char tmp[64];

	if (!(f->flags & CF_ERR))
		return 0;
	if (outsz)
		out[0] = '\0';
	if (!d || f->len < 8)
		d = z; /* short error frames: treat missing bytes as zero */
	for (i = 0; i < sizeof(err_classes) / sizeof(err_classes[0]); i++) {
		if (!(f->id & (1u << i)))
			continue;
		if (k++)
			sb_put(&b, sep);
		sb_put(&b, err_classes[i]);
		if (i == 1) {
			snprintf(tmp, sizeof(tmp), "{at bit %d}", d[0]);
			sb_put(&b, tmp);
		} else if (i == 2) {
			sb_put(&b, "{");
			sb_bits(&b, d[1], err_ctrl, 7);
			sb_put(&b, "}");
		} else if (i == 3) {
			sb_put(&b, "{{");
			sb_bits(&b, d[2], err_prot_type, 8);
			sb_put(&b, "}{");
			if (d[3] < 32 && err_prot_loc[d[3]])
				sb_put(&b, err_prot_loc[d[3]]);
			else if (d[3])
				sb_put(&b, "unspecified");
			sb_put(&b, "}}");
		}
	}
	if (d[6] || d[7]) {
		sb_put(&b, sep);
		snprintf(tmp, sizeof(tmp), "error-counter-tx-rx{{%d}{%d}}", d[6], d[7]);
		sb_put(&b, tmp);
	}
	return b.n < outsz ? b.n : (outsz ? outsz - 1 : 0);
}
