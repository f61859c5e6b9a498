/* SPDX-License-Identifier: MIT */
/*
 * clog_pcap.c - pcapng and pcap captures of SocketCAN frames.
 *
 * Written from the public specifications: pcapng (IETF draft
 * draft-ietf-opsawg-pcapng), pcap (draft-ietf-opsawg-pcap) and tcpdump.org's
 * LINKTYPE_CAN_SOCKETCAN (227) page.  A packet is the kernel's struct
 * can_frame (16 bytes) or canfd_frame (72 bytes) with can_id in network
 * byte order; without the FDF flag a 72-byte packet is CAN FD.
 *
 * pcapng out: a section header, an interface description when an
 * interface first appears (if_name, if_tsresol) and an enhanced packet
 * block per frame, so the file is whole after every block.  pcapng in:
 * either byte order, several sections, any if_tsresol, unknown blocks and
 * packets of other link types skipped (r->pc_nskipped).  pcap: either byte
 * order, micro- or nanosecond magic; written with nanoseconds.
 *
 * A block is read whole into view (the mmap, or the bounded stream
 * buffer) and a frame's payload points into it: no copy, no allocation.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clog.h"

#ifndef CANRIG_VERSION
#define CANRIG_VERSION "" /* the fuzz build has no -D for it */
#endif

#define LINKTYPE_CAN_SOCKETCAN 227
#define SC_MTU		       16 /* struct can_frame */
#define SC_FD_MTU	       72 /* struct canfd_frame */
#define SC_EFF		       0x80000000u
#define SC_RTR		       0x40000000u
#define SC_ERR		       0x20000000u
#define SC_BRS		       0x01
#define SC_ESI		       0x02
#define SC_FDF		       0x04
#define SC_XLF		       0x80 /* in the length byte: a CAN XL header, not read */

#define NG_SHB	    0x0A0D0D0Au /* the same in either byte order */
#define NG_IDB	    1
#define NG_PB	    2 /* obsolete packet block, still read */
#define NG_SPB	    3
#define NG_EPB	    6
#define NG_BOM	    0x1A2B3C4Du
#define NG_MIN_BLK  12
#define OPT_END	    0
#define OPT_COMMENT 1
/* opt_comment of an FD packet whose flags byte had no FDF: the byte as it was */
#define NG_FDCOM     "canrig fdflags=0x"
#define NG_FDCOM_LEN 19 /* with two hex digits: 20 with the padding */
#define OPT_IF_NAME  2
#define OPT_FLAGS    2 /* epb_flags: bits 0-1 direction, 1 in, 2 out */
#define OPT_TSRESOL  9
#define OPT_TSOFF    14
#define OPT_USERAPP  4

#define PCAP_US	     0xA1B2C3D4u
#define PCAP_NS	     0xA1B23C4Du
#define PCAP_HDR     24
#define PCAP_REC_HDR 16
#define PCAP_MAX_REC (256u * 1024) /* far above any CAN packet: a longer one is corrupt */

/* ---- reading ---- */

static uint16_t get16(const struct clog_reader *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->pc_swap ? __builtin_bswap16(v) : v;
}

static uint32_t get32(const struct clog_reader *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->pc_swap ? __builtin_bswap32(v) : v;
}

static uint64_t get64(const struct clog_reader *r, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return r->pc_swap ? __builtin_bswap64(v) : v;
}

/*
 * "FILE: ..." in r->err; returns -EINVAL.  fatal: nothing after this can
 * be trusted (the framing is lost), so later reads return 0.
 */
__attribute__((format(printf, 3, 4))) static int pc_fail(struct clog_reader *r, int fatal,
							 const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->err, sizeof(r->err), "%s: ", r->path);
	if (n < 0 || (size_t)n >= sizeof(r->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	r->nbad++;
	if (fatal) {
		r->pc_state = 2;
		r->fatal = 1;
	}
	return -EINVAL;
}

static unsigned long long pc_off(const struct clog_reader *r)
{
	return (unsigned long long)(r->pc_base + r->pos);
}

/*
 * Makes n bytes at r->pos readable (a stream reads on, moving what is
 * left to the buffer's front).  Returns 1, 0 when the input ends first,
 * -EINTR (r->stop), -EFBIG (more than the stream buffer) or -errno.
 */
static int pc_need(struct clog_reader *r, size_t n)
{
	ssize_t k;

	while (r->len - r->pos < n) {
		if (r->mapped || r->eof)
			return 0;
		if (n > r->scap)
			return -EFBIG;
		if (r->pos) {
			memmove(r->sbuf, r->sbuf + r->pos, r->len - r->pos);
			r->pc_base += r->pos;
			r->len -= r->pos;
			r->pos = 0;
			r->buf = r->sbuf;
		}
		k = read(r->fd, r->sbuf + r->len, r->scap - r->len);
		if (k < 0) {
			if (errno == EINTR && !(r->stop && *r->stop))
				continue;
			return -errno;
		}
		if (k == 0)
			r->eof = 1;
		r->len += (size_t)k;
	}
	return 1;
}

/* Stream only: passes over n bytes without holding them. */
static int pc_skip(struct clog_reader *r, uint64_t n)
{
	size_t have;
	int e;

	while (n) {
		have = r->len - r->pos;
		if (!have) {
			e = pc_need(r, 1);
			if (e <= 0)
				return e;
			continue;
		}
		if (have > n)
			have = (size_t)n;
		r->pos += have;
		n -= have;
	}
	return 1;
}

/* Everything before off was read; what (a "block", a "record") is torn there. */
static int pc_truncated(struct clog_reader *r, unsigned long long off, const char *what,
			unsigned long long need)
{
	unsigned long long left = (unsigned long long)(r->len - r->pos);

	if (need)
		return pc_fail(r, 1,
			       "truncated at byte %llu: the %s there needs %llu bytes, %llu left",
			       off, what, need, left);
	return pc_fail(r, 1, "truncated at byte %llu: %llu bytes of a %s header", off, left, what);
}

/*
 * One SocketCAN packet (caplen bytes captured of origlen) into rec->f; the
 * payload is a view of p.  Returns 1, 0 for a CAN XL frame (skipped), or
 * -1 with *why.
 */
static int sc_frame(struct clog_rec *rec, const uint8_t *p, uint32_t caplen, uint32_t origlen,
		    const char **why)
{
	struct cf_frame *f = &rec->f;
	uint32_t id;
	uint8_t len, fl;
	int e;

	if (caplen < 8) {
		*why = "packet shorter than the 8-byte CAN header";
		return -1;
	}
	if (p[4] & SC_XLF)
		return 0;
	memcpy(&id, p, 4);
	id = be32toh(id);
	len = p[4];
	fl = p[5];
	f->id = id & CF_EFF_MASK;
	if (id & SC_EFF)
		f->flags |= CF_EFF;
	if (id & SC_RTR)
		f->flags |= CF_RTR;
	if (id & SC_ERR)
		f->flags |= CF_ERR;
	/* older writers leave FDF out: then a canfd_frame's size says FD */
	if ((fl & SC_FDF) || origlen == SC_FD_MTU || caplen == SC_FD_MTU ||
	    len > CF_CLASSIC_MAX_LEN) {
		f->flags |= CF_FD;
		f->fd_raw_flags = fl;
		if (fl & SC_BRS)
			f->flags |= CF_BRS;
		if (fl & SC_ESI)
			f->flags |= CF_ESI;
	}
	if (8u + len > caplen) {
		*why = "packet shorter than its payload length";
		return -1;
	}
	f->len = len;
	f->data = (f->flags & CF_RTR) ? NULL : p + 8;
	/* can_frame.len8_dlc: a classic 8-byte frame's DLC 9..15 */
	if (!(f->flags & (CF_FD | CF_ERR)) && len == CF_CLASSIC_MAX_LEN && p[7] > 8 && p[7] <= 15)
		f->len8_dlc = p[7];
	e = cf_validate(f);
	if (e) {
		*why = cf_strerror(e);
		return -1;
	}
	return 1;
}

/* ---- pcapng ---- */

static int ng_probe(const char *buf, size_t n)
{
	uint32_t v;

	if (n < 4 || memcmp(buf, "\x0A\x0D\x0D\x0A", 4))
		return 0;
	if (n >= 12) {
		memcpy(&v, buf + 8, 4);
		if (v != NG_BOM && v != __builtin_bswap32(NG_BOM))
			return 0;
	}
	return CLOG_PROBE_MAGIC;
}

static uint64_t pow10u(unsigned int e)
{
	uint64_t v = 1;

	while (e--)
		v *= 10;
	return v;
}

static void ng_tsresol(struct clog_pcap_if *ifc, uint8_t v)
{
	unsigned int e = v & 0x7F;

	ifc->pow2 = !!(v & 0x80);
	ifc->shift = (uint8_t)e;
	ifc->mul = 1;
	ifc->div = 1;
	if (ifc->pow2) {
		ifc->digits = e < 20 ? 6 : 9; /* 2^-20 s is finer than a microsecond */
		return;
	}
	if (e <= 9)
		ifc->mul = pow10u(9 - e);
	else
		ifc->div = e - 9 <= 19 ? pow10u(e - 9) : UINT64_MAX;
	ifc->digits = e <= 6 ? 6 : 9;
}

static uint64_t ng_ns(const struct clog_pcap_if *ifc, uint64_t ts)
{
	uint64_t ns;

	if (ifc->pow2)
		ns = (uint64_t)(((unsigned __int128)ts * 1000000000u) >> ifc->shift);
	else
		ns = ts * ifc->mul / ifc->div;
	return ns + (uint64_t)ifc->tsoffset * 1000000000ull;
}

/* Next option in [*p, end): returns 1 with code, len, value; 0 at the end; -1 if torn. */
static int ng_opt(const struct clog_reader *r, const uint8_t **p, const uint8_t *end,
		  uint16_t *code, uint16_t *len, const uint8_t **val)
{
	size_t adv;

	if (end - *p < 4)
		return 0;
	*code = get16(r, *p);
	*len = get16(r, *p + 2);
	*p += 4;
	if (*code == OPT_END)
		return 0;
	if ((size_t)(end - *p) < *len)
		return -1;
	*val = *p;
	adv = ((size_t)*len + 3) & ~(size_t)3;
	*p += adv < (size_t)(end - *p) ? adv : (size_t)(end - *p);
	return 1;
}

static int ng_idb(struct clog_reader *r, const uint8_t *b, uint32_t blen, unsigned long long off)
{
	struct clog_pcap_if *ifc;
	const uint8_t *p = b + 16, *end = b + blen - 4, *val = NULL;
	uint16_t code = 0, len = 0;
	unsigned int i;
	int e;

	if (blen < 20)
		return pc_fail(r, 0, "interface description at byte %llu: %u bytes are too few",
			       off, blen);
	if (r->pc_nif == CLOG_PCAP_MAX_IF)
		return pc_fail(r, 1,
			       "interface description at byte %llu: more than %d in a section", off,
			       CLOG_PCAP_MAX_IF);
	ifc = &r->pc_if[r->pc_nif++];
	memset(ifc, 0, sizeof(*ifc));
	ifc->linktype = get16(r, b + 8);
	ng_tsresol(ifc, 6); /* the default: microseconds */
	while ((e = ng_opt(r, &p, end, &code, &len, &val)) > 0) {
		if (code == OPT_IF_NAME) {
			/* a name as candump prints it: one word, fits a log line */
			for (i = 0; i < len && i < CLOG_IFNAME_MAX - 1 && val[i]; i++)
				ifc->name[i] = val[i] <= ' ' || val[i] == 0x7F ? '_' : (char)val[i];
			ifc->name_len = (uint8_t)i;
		} else if (code == OPT_TSRESOL && len >= 1) {
			ng_tsresol(ifc, val[0]);
		} else if (code == OPT_TSOFF && len >= 8) {
			ifc->tsoffset = (int64_t)get64(r, val);
		}
	}
	if (!ifc->name_len) /* no if_name: named by its index, as asc2log numbers channels */
		ifc->name_len =
			(uint8_t)snprintf(ifc->name, sizeof(ifc->name), "can%u", r->pc_nif - 1);
	if (e < 0)
		return pc_fail(r, 0,
			       "interface description at byte %llu: option %u overruns the block",
			       off, code);
	return 0;
}

/* A packet block: returns 1 with a frame, 0 skipped, -EINVAL. */
static int ng_packet(struct clog_reader *r, struct clog_rec *rec, uint32_t type, const uint8_t *b,
		     uint32_t blen, unsigned long long off)
{
	const struct clog_pcap_if *ifc;
	const uint8_t *data, *p, *val = NULL;
	uint32_t ifid, cap, orig, fl;
	uint64_t ts = 0;
	uint16_t code, len;
	const char *why = NULL;
	int e;

	if (type == NG_SPB) {
		if (blen < 16)
			return pc_fail(r, 0, "packet block at byte %llu: %u bytes are too few", off,
				       blen);
		ifid = 0;
		orig = get32(r, b + 8);
		cap = orig < blen - 16 ? orig : blen - 16;
		data = b + 12;
	} else {
		if (blen < 32)
			return pc_fail(r, 0, "packet block at byte %llu: %u bytes are too few", off,
				       blen);
		ifid = type == NG_PB ? get16(r, b + 8) : get32(r, b + 8);
		ts = (uint64_t)get32(r, b + 12) << 32 | get32(r, b + 16);
		cap = get32(r, b + 20);
		orig = get32(r, b + 24);
		data = b + 28;
		if (cap > blen - 32)
			return pc_fail(
				r, 0,
				"packet block at byte %llu: captured length %u overruns the block",
				off, cap);
	}
	if (ifid >= r->pc_nif)
		return pc_fail(r, 0, "packet at byte %llu: interface %u has no description", off,
			       ifid);
	ifc = &r->pc_if[ifid];
	if (ifc->linktype != LINKTYPE_CAN_SOCKETCAN) {
		r->pc_nskipped++;
		return 0;
	}
	e = sc_frame(rec, data, cap, orig, &why);
	if (e == 0) {
		r->pc_nskipped++;
		r->nxl++;
		return 0;
	}
	if (e < 0)
		return pc_fail(r, 0, "packet at byte %llu: %s", off, why);
	rec->f.ts_ns = ng_ns(ifc, ts);
	rec->ts_digits = ifc->digits;
	rec->ifname = ifc->name;
	rec->ifname_len = ifc->name_len;
	if (type != NG_SPB) {
		p = data + ((cap + 3u) & ~3u);
		while (ng_opt(r, &p, b + blen - 4, &code, &len, &val) > 0) {
			if (code == OPT_COMMENT && len == NG_FDCOM_LEN && (rec->f.flags & CF_FD) &&
			    !memcmp(val, NG_FDCOM, NG_FDCOM_LEN - 2)) {
				int hi = cf_hexval((char)val[17]), lo = cf_hexval((char)val[18]);

				/* only what this very packet's byte is, FDF aside */
				if (hi >= 0 && lo >= 0 &&
				    (unsigned int)(hi << 4 | lo) ==
					    (unsigned int)(rec->f.fd_raw_flags & ~SC_FDF))
					rec->f.fd_raw_flags &= (uint8_t)~SC_FDF;
				continue;
			}
			if (code != OPT_FLAGS || len < 4)
				continue;
			fl = get32(r, val) & 3;
			/* the direction, as candump -x marks it */
			if (fl == 1 || fl == 2) {
				rec->f.dir = fl == 2 ? CF_DIR_TX : CF_DIR_RX;
				rec->extra = fl == 2 ? "T" : "R";
				rec->extra_len = 1;
			}
		}
	}
	return 1;
}

static int ng_read(struct clog_reader *r, struct clog_rec *rec)
{
	const uint8_t *b;
	unsigned long long off;
	uint32_t type, blen, v;
	int e;

	for (;;) {
		if (r->pc_state == 2)
			return 0;
		off = pc_off(r);
		e = pc_need(r, NG_MIN_BLK);
		if (e < 0)
			return e;
		if (!e) {
			if (r->pos == r->len)
				return 0;
			return pc_truncated(r, off, "block", 0);
		}
		b = (const uint8_t *)r->buf + r->pos;
		memcpy(&type, b, 4);
		if (type == NG_SHB) {
			/* a section says its byte order before its length */
			memcpy(&v, b + 8, 4);
			if (v != NG_BOM && v != __builtin_bswap32(NG_BOM))
				return pc_fail(r, 1,
					       "corrupt section header at byte %llu: byte-order "
					       "magic %08x",
					       off, v);
			r->pc_swap = v != NG_BOM;
			r->pc_nif = 0;
			r->pc_state = 1;
		} else if (!r->pc_state) {
			return pc_fail(r, 1, "corrupt at byte %llu: no section header block first",
				       off);
		} else if (r->pc_swap) {
			type = __builtin_bswap32(type);
		}
		blen = get32(r, b + 4);
		if (blen < NG_MIN_BLK || blen % 4)
			return pc_fail(r, 1, "corrupt block at byte %llu: length %u", off, blen);
		if (!r->mapped && blen > r->scap) {
			/* more than the stream buffer: only what is skipped may be this long */
			if (type != NG_SHB && type != NG_IDB) {
				e = pc_skip(r, blen);
				if (e < 0)
					return e;
				if (!e)
					return pc_truncated(r, off, "block", blen);
				r->line++;
				r->pc_nskipped++;
				continue;
			}
			return pc_fail(r, 1,
				       "block at byte %llu: %u bytes, more than a stream holds",
				       off, blen);
		}
		e = pc_need(r, blen);
		if (e < 0)
			return e;
		if (!e)
			return pc_truncated(r, off, "block", blen);
		b = (const uint8_t *)r->buf + r->pos;
		v = get32(r, b + blen - 4);
		if (v != blen)
			return pc_fail(r, 1,
				       "corrupt block at byte %llu: length %u does not match its "
				       "trailer %u",
				       off, blen, v);
		r->pos += blen;
		r->line++;
		switch (type) {
		case NG_SHB:
			if (blen < 28)
				return pc_fail(r, 1,
					       "corrupt section header at byte %llu: %u bytes", off,
					       blen);
			if (get16(r, b + 12) != 1)
				return pc_fail(
					r, 1,
					"section at byte %llu: pcapng version %u.%u is not read",
					off, get16(r, b + 12), get16(r, b + 14));
			continue;
		case NG_IDB:
			e = ng_idb(r, b, blen, off);
			if (e)
				return e;
			continue;
		case NG_EPB:
		case NG_PB:
		case NG_SPB:
			e = ng_packet(r, rec, type, b, blen, off);
			if (e)
				return e;
			continue;
		default:
			r->pc_nskipped++;
			continue;
		}
	}
}

/* ---- pcap ---- */

static int pcap_probe(const char *buf, size_t n)
{
	uint32_t m;

	if (n < 4)
		return 0;
	memcpy(&m, buf, 4);
	if (m == PCAP_US || m == PCAP_NS || m == __builtin_bswap32(PCAP_US) ||
	    m == __builtin_bswap32(PCAP_NS))
		return CLOG_PROBE_MAGIC;
	return 0;
}

static int pcap_header(struct clog_reader *r)
{
	const uint8_t *b;
	uint32_t m, lt;
	int e;

	e = pc_need(r, PCAP_HDR);
	if (e < 0)
		return e;
	if (!e) {
		if (r->pos == r->len)
			return 0;
		return pc_fail(r, 1, "truncated at byte 0: %llu bytes of the %d-byte file header",
			       (unsigned long long)(r->len - r->pos), PCAP_HDR);
	}
	b = (const uint8_t *)r->buf + r->pos;
	memcpy(&m, b, 4);
	r->pc_swap = m == __builtin_bswap32(PCAP_US) || m == __builtin_bswap32(PCAP_NS);
	r->pc_nano = m == PCAP_NS || m == __builtin_bswap32(PCAP_NS);
	if (!r->pc_swap && !r->pc_nano && m != PCAP_US)
		return pc_fail(r, 1, "corrupt at byte 0: not a pcap magic number");
	if (get16(r, b + 4) != 2)
		return pc_fail(r, 1, "pcap version %u.%u is not read", get16(r, b + 4),
			       get16(r, b + 6));
	lt = get32(r, b + 20) & 0x0FFFFFFFu; /* the top bits tell about FCS */
	if (lt != LINKTYPE_CAN_SOCKETCAN)
		return pc_fail(r, 1, "link type %u is not SocketCAN CAN (%d): no frames to read",
			       lt, LINKTYPE_CAN_SOCKETCAN);
	r->pos += PCAP_HDR;
	r->pc_state = 1;
	return 1;
}

static int pcap_read(struct clog_reader *r, struct clog_rec *rec)
{
	const uint8_t *b;
	unsigned long long off;
	uint32_t incl, frac;
	const char *why = NULL;
	int e;

	if (r->pc_state == 0 && (e = pcap_header(r)) <= 0)
		return e;
	for (;;) {
		if (r->pc_state == 2)
			return 0;
		off = pc_off(r);
		e = pc_need(r, PCAP_REC_HDR);
		if (e < 0)
			return e;
		if (!e) {
			if (r->pos == r->len)
				return 0;
			return pc_truncated(r, off, "record", 0);
		}
		b = (const uint8_t *)r->buf + r->pos;
		incl = get32(r, b + 8);
		if (incl > PCAP_MAX_REC)
			return pc_fail(r, 1, "corrupt record at byte %llu: captured length %u", off,
				       incl);
		e = pc_need(r, PCAP_REC_HDR + incl);
		if (e < 0)
			return e;
		if (!e)
			return pc_truncated(r, off, "record", PCAP_REC_HDR + incl);
		b = (const uint8_t *)r->buf + r->pos;
		r->pos += PCAP_REC_HDR + incl;
		r->line++;
		e = sc_frame(rec, b + PCAP_REC_HDR, incl, get32(r, b + 12), &why);
		if (e == 0) {
			r->pc_nskipped++;
			r->nxl++;
			continue;
		}
		if (e < 0)
			return pc_fail(r, 0, "packet at byte %llu: %s", off, why);
		frac = get32(r, b + 4);
		rec->f.ts_ns = (uint64_t)get32(r, b) * 1000000000ull +
			       (r->pc_nano ? frac : (uint64_t)frac * 1000u);
		rec->ts_digits = r->pc_nano ? 9 : 6;
		rec->ifname = "can0"; /* pcap has no names: the first interface */
		rec->ifname_len = 4;
		return 1;
	}
}

/* ---- writing (host byte order: readers follow the magic) ---- */

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

/* An FD frame's flags byte as read (candump's "##N"), BRS and ESI in it. */
static uint8_t fd_flags(const struct cf_frame *f)
{
	return (uint8_t)(f->fd_raw_flags | (f->flags & CF_BRS ? SC_BRS : 0) |
			 (f->flags & CF_ESI ? SC_ESI : 0));
}

/* The kernel's can_frame / canfd_frame for f at p; returns its size. */
static size_t sc_put(uint8_t *p, const struct cf_frame *f)
{
	uint32_t id = f->id & CF_EFF_MASK;
	size_t n = (f->flags & CF_FD) ? SC_FD_MTU : SC_MTU;
	unsigned int len = f->len;

	if (f->flags & CF_EFF)
		id |= SC_EFF;
	if (f->flags & CF_RTR)
		id |= SC_RTR;
	if (f->flags & CF_ERR)
		id |= SC_ERR;
	id = htobe32(id);
	memcpy(p, &id, 4);
	if (len > n - 8)
		len = (unsigned int)(n - 8);
	p[4] = (uint8_t)len;
	p[5] = 0;
	/*
	 * FDF always: tshark 4.0 takes a frame without it for classic CAN,
	 * whatever its size (the spec lets a 72-byte size say FD).
	 */
	if (f->flags & CF_FD)
		p[5] = (uint8_t)(fd_flags(f) | SC_FDF);
	p[6] = 0;
	p[7] = (f->flags & CF_FD) ? 0 : f->len8_dlc; /* can_frame.len8_dlc */
	memset(p + 8, 0, n - 8);
	if (f->data && !(f->flags & CF_RTR))
		memcpy(p + 8, f->data, len);
	return n;
}

static int ng_begin(struct clog_writer *w, const struct clog_rec *first)
{
	static const char app[] = "canrig " CANRIG_VERSION;
	size_t alen = strlen(app), apad = (alen + 3) & ~(size_t)3;
	uint32_t blen = (uint32_t)(28 + 4 + apad + 4);
	uint8_t *s = (uint8_t *)clog_wreserve(w, blen), *p = s;

	(void)first;
	p = put32(p, NG_SHB);
	p = put32(p, blen);
	p = put32(p, NG_BOM);
	p = put16(p, 1);
	p = put16(p, 0);
	memset(p, 0xFF, 8); /* section length: not known while streaming */
	p += 8;
	p = put16(p, OPT_USERAPP);
	p = put16(p, (uint16_t)alen);
	memset(p, 0, apad);
	memcpy(p, app, alen);
	p += apad;
	p = put32(p, OPT_END);
	p = put32(p, blen);
	clog_wcommit(w, (size_t)(p - s));
	return 0;
}

/*
 * The interface id of (rec's name, digits), described on first use.
 * Returns CLOG_MAX_CHANNELS when the table is full.
 */
static unsigned int ng_iface(struct clog_writer *w, const struct clog_rec *rec, int digits)
{
	size_t nlen = rec->ifname_len < CLOG_IFNAME_MAX - 1 ? rec->ifname_len : CLOG_IFNAME_MAX - 1;
	size_t npad = (nlen + 3) & ~(size_t)3;
	unsigned int i = w->pc_last;
	uint32_t blen;
	uint8_t *s, *p;

	if (i < w->nchan && w->chan_len[i] == nlen && w->pc_digits[i] == digits &&
	    (!nlen || !memcmp(w->chan[i], rec->ifname, nlen)))
		return i;
	for (i = 0; i < w->nchan; i++)
		if (w->chan_len[i] == nlen && w->pc_digits[i] == digits &&
		    (!nlen || !memcmp(w->chan[i], rec->ifname, nlen)))
			return w->pc_last = i;
	if (w->nchan == CLOG_MAX_CHANNELS)
		return CLOG_MAX_CHANNELS;
	i = w->nchan++;
	if (nlen)
		memcpy(w->chan[i], rec->ifname, nlen);
	w->chan[i][nlen] = '\0';
	w->chan_len[i] = (uint8_t)nlen;
	w->pc_digits[i] = (uint8_t)digits;
	w->pc_last = i;
	blen = (uint32_t)(16 + (nlen ? 4 + npad : 0) + 8 + 4 + 4);
	s = p = (uint8_t *)clog_wreserve(w, blen);
	p = put32(p, NG_IDB);
	p = put32(p, blen);
	p = put16(p, LINKTYPE_CAN_SOCKETCAN);
	p = put16(p, 0);
	p = put32(p, 0); /* snaplen: no limit */
	if (nlen) {
		p = put16(p, OPT_IF_NAME);
		p = put16(p, (uint16_t)nlen);
		memset(p, 0, npad);
		memcpy(p, rec->ifname, nlen);
		p += npad;
	}
	p = put16(p, OPT_TSRESOL);
	p = put16(p, 1);
	p = put32(p, 0);
	p[-4] = (uint8_t)digits; /* 10^-digits s */
	p = put32(p, OPT_END);
	p = put32(p, blen);
	clog_wcommit(w, (size_t)(p - s));
	return i;
}

/* candump -x's "R" / "T" as an epb_flags direction (1 in, 2 out), else 0. */
static uint32_t ng_dir(struct clog_writer *w, const struct clog_rec *rec)
{
	if (rec->extra_len == 1 && (rec->extra[0] == 'T' || rec->extra[0] == 'R'))
		return rec->extra[0] == 'T' ? 2 : 1;
	if (rec->extra_len)
		w->lost |= CLOG_LOST_EXTRA;
	return rec->f.dir == CF_DIR_TX ? 2 : 0;
}

static int ng_write(struct clog_writer *w, const struct clog_rec *rec)
{
	/* stamps as precise as given (µs from a 6-digit log), unless --ns/--us */
	int digits = (w->o.ts_digits ? w->o.ts_digits : rec->ts_digits) == 6 ? 6 : 9;
	unsigned int ifid = ng_iface(w, rec, digits);
	uint32_t dir = ng_dir(w, rec), blen;
	uint8_t fl;
	uint64_t ts = digits == 6 ? rec->f.ts_ns / 1000u : rec->f.ts_ns;
	uint8_t *s, *p;
	size_t n;

	if (ifid == CLOG_MAX_CHANNELS) {
		w->nskipped++;
		return 0;
	}
	s = p = (uint8_t *)clog_wreserve(w, 28 + SC_FD_MTU + 8 + 4 + NG_FDCOM_LEN + 1 + 4 + 4);
	p = put32(p, NG_EPB);
	p += 4; /* the length, once known */
	p = put32(p, ifid);
	p = put32(p, (uint32_t)(ts >> 32));
	p = put32(p, (uint32_t)ts);
	n = sc_put(p + 8, &rec->f);
	p = put32(p, (uint32_t)n);
	p = put32(p, (uint32_t)n);
	p += n;
	if (dir) {
		p = put16(p, OPT_FLAGS);
		p = put16(p, 4);
		p = put32(p, dir);
	}
	fl = fd_flags(&rec->f);
	if ((rec->f.flags & CF_FD) && !(fl & SC_FDF)) {
		/* the flags byte had no FDF (an older kernel): say so, to give it back */
		p = put16(p, OPT_COMMENT);
		p = put16(p, NG_FDCOM_LEN);
		snprintf((char *)p, NG_FDCOM_LEN + 1, NG_FDCOM "%02x", fl);
		p += NG_FDCOM_LEN + 1; /* the NUL pads it to 4 */
	}
	if (p != s + 28 + n)
		p = put32(p, OPT_END);
	blen = (uint32_t)(p - s + 4);
	p = put32(p, blen);
	put32(s + 4, blen);
	clog_wcommit(w, blen);
	return 0;
}

const struct clog_format clog_fmt_pcapng = {
	.name = "pcapng",
	.probe = ng_probe,
	.read = ng_read,
	.write_begin = ng_begin,
	.write = ng_write,
};

static int pcap_begin(struct clog_writer *w, const struct clog_rec *first)
{
	uint8_t *s = (uint8_t *)clog_wreserve(w, PCAP_HDR), *p = s;

	(void)first;
	p = put32(p, PCAP_NS);
	p = put16(p, 2);
	p = put16(p, 4);
	p = put32(p, 0); /* thiszone */
	p = put32(p, 0); /* sigfigs */
	p = put32(p, 65535);
	p = put32(p, LINKTYPE_CAN_SOCKETCAN);
	clog_wcommit(w, (size_t)(p - s));
	return 0;
}

static int pcap_write(struct clog_writer *w, const struct clog_rec *rec)
{
	uint8_t *s = (uint8_t *)clog_wreserve(w, PCAP_REC_HDR + SC_FD_MTU), *p = s;
	size_t n;

	/* what reading it back would not give: a name but can0, any -x text */
	if (rec->ifname_len && (rec->ifname_len != 4 || memcmp(rec->ifname, "can0", 4)))
		w->lost |= CLOG_LOST_IFNAME;
	if (rec->extra_len)
		w->lost |= CLOG_LOST_EXTRA;
	if ((rec->f.flags & CF_FD) && !(fd_flags(&rec->f) & SC_FDF))
		w->lost |= CLOG_LOST_FDF;
	p = put32(p, (uint32_t)(rec->f.ts_ns / 1000000000u));
	p = put32(p, (uint32_t)(rec->f.ts_ns % 1000000000u));
	n = sc_put(p + 8, &rec->f);
	p = put32(p, (uint32_t)n);
	p = put32(p, (uint32_t)n);
	clog_wcommit(w, (size_t)(p - s) + n);
	return 0;
}

const struct clog_format clog_fmt_pcap = {
	.name = "pcap",
	.probe = pcap_probe,
	.read = pcap_read,
	.write_begin = pcap_begin,
	.write = pcap_write,
};
