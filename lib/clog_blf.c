/* SPDX-License-Identifier: MIT */
/*
 * clog_blf.c - Vector BLF (binary logging format), read and write.
 *
 * A BLF file is a 144-byte file header ("LOGG", statistics, start and stop
 * time as SYSTEMTIME) followed by objects.  Every object starts with a base
 * header ("LOBJ", header size, header version, object size, object type);
 * log containers (type 10) hold a stream of further objects, stored or
 * zlib-deflated, and one object may run on from one container into the
 * next.  Object headers of version 1 (32 bytes) and 2 (48 bytes) carry flags
 * saying whether the object's 64-bit time counts 10 us or 1 ns steps from
 * the file's start time.
 *
 * The writer emits zlib containers of up to BLF_CONT_SIZE bytes holding
 * CAN_MESSAGE2 (classic and remote frames), CAN_FD_MESSAGE_64 (FD) and
 * CAN_ERROR_EXT (error frames), all with 1 ns times, and every object sized
 * to a multiple of 4 so no padding rule matters.  What BLF has no field for
 * (interface names, the exact start time, the number of fractional digits a
 * candump log printed, candump -x columns, the FD flag bits other than BRS
 * and ESI) goes into APP_TEXT objects of canrig's own source number
 * (BLF_SRC_CANRIG), written before the first frame they apply to: other
 * readers skip them, canrig's reader restores the log byte for byte.  The
 * text is lines of "key value" (docs/log-formats.md).
 *
 * The reader streams: it inflates one container at a time into a bounded
 * object buffer and never holds the file.
 */
#define _GNU_SOURCE
#define ZLIB_CONST
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "clog.h"

#define BLF_FILE_HDR	 144
#define BLF_BASE_HDR	 16
#define BLF_HDR_V1	 32
#define BLF_CONT_HDR	 32 /* base header + the container's own 16 bytes */
#define BLF_CONT_SIZE	 (128 * 1024)
#define BLF_OB_CAP	 (256 * 1024) /* reader: uncompressed objects buffered */
#define BLF_OBJ_MAX	 (64 * 1024)  /* larger objects are skipped as they stream */
#define BLF_FRAME_MAX	 4096	      /* a frame object larger than this is corrupt */
#define BLF_EXTRA_MAX	 1024	      /* longest candump trailing text kept */
#define BLF_ZLEVEL	 1	      /* containers: speed first (bench 1) */
#define BLF_SRC_CANRIG	 0x63726967u  /* APP_TEXT source: "crig" */
#define BLF_META_VERSION "canrig-blf 1\n"

enum {
	BLF_T_CAN_MESSAGE = 1,
	BLF_T_LOG_CONTAINER = 10,
	BLF_T_APP_TEXT = 65,
	BLF_T_CAN_ERROR_EXT = 73,
	BLF_T_CAN_MESSAGE2 = 86,
	BLF_T_CAN_FD_MESSAGE = 100,
	BLF_T_CAN_FD_MESSAGE_64 = 101,
};

#define BLF_TIME_10US 0x1u
#define BLF_TIME_1NS  0x2u

#define BLF_ID_EXT	 0x80000000u
#define BLF_MSG_TX	 0x01u	 /* CAN_MESSAGE(2), CAN_FD_MESSAGE flags */
#define BLF_MSG_RTR	 0x80u	 /* idem */
#define BLF_FD_EDL	 0x01u	 /* CAN_FD_MESSAGE canFdFlags */
#define BLF_FD_BRS	 0x02u	 /* idem */
#define BLF_FD_ESI	 0x04u	 /* idem */
#define BLF_FD64_RTR	 0x0010u /* CAN_FD_MESSAGE_64 flags */
#define BLF_FD64_EDL	 0x1000u
#define BLF_FD64_BRS	 0x2000u
#define BLF_FD64_ESI	 0x4000u
#define BLF_FD_RAW_OTHER 0x0Cu /* cf fd_raw_flags bits BLF has no field for */

/* ---- little-endian fields ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static int blf_probe(const char *buf, size_t n)
{
	return n >= 4 && !memcmp(buf, "LOGG", 4) ? 100 : 0;
}

/* ==== reader ==== */

struct clog_blf_rd {
	int started;	    /* file header read */
	uint64_t file_size; /* as the header says, 0 if not known */
	int done;	    /* end reached or a fatal error reported */
	/* the container (or bare top-level object) being unpacked */
	int in_cont;
	int zlib;	   /* 1: deflated, 0: stored */
	int zend;	   /* the zlib stream has ended */
	uint64_t cin_left; /* its bytes not yet taken from the file */
	uint64_t cont_off; /* its file offset, for messages */
	int zinit;
	z_stream zs;
	/* uncompressed objects: ob[ob_pos..ob_len) */
	size_t ob_pos, ob_len;
	uint64_t skip_left; /* bytes of an oversized object still to drop */
	uint64_t nobj;	    /* objects seen, for messages */
	/* time and names */
	uint64_t base_ns;   /* epoch ns of object time 0 */
	int canrig;	    /* canrig's own metadata seen */
	int digits;	    /* canrig: "digits"; 0 = from each object's time unit */
	unsigned int fdraw; /* canrig: FD flag bits beyond BRS/ESI */
	int xdir;	    /* canrig: frames carry candump -x "R"/"T" */
	size_t extra_len;   /* canrig: one-shot trailing text of the next frame */
	int has_extra;
	int next_tx; /* canrig: the next frame was sent (error frames) */
	char extra[BLF_EXTRA_MAX];
	char name[CLOG_MAX_CHANNELS][CLOG_IFNAME_MAX];
	uint8_t name_len[CLOG_MAX_CHANNELS];
	char tmpname[16];
	uint8_t ob[BLF_OB_CAP];
};

static int rd_fail(struct clog_reader *r, int fatal, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rd_fail(struct clog_reader *r, int fatal, const char *fmt, ...)
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
		r->blf->done = 1;
		r->fatal = 1;
	}
	return -EINVAL;
}

static void blf_reader_close(struct clog_reader *r)
{
	if (r->blf && r->blf->zinit)
		inflateEnd(&r->blf->zs);
	free(r->blf);
	r->blf = NULL;
}

/* SYSTEMTIME (local time, as Vector and python-can write it) to epoch ns. */
static uint64_t systemtime_ns(const uint8_t *p)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = get16(p) - 1900;
	tm.tm_mon = get16(p + 2) - 1;
	tm.tm_mday = get16(p + 6);
	tm.tm_hour = get16(p + 8);
	tm.tm_min = get16(p + 10);
	tm.tm_sec = get16(p + 12);
	tm.tm_isdst = -1;
	if (!get16(p) || tm.tm_mon < 0 || tm.tm_mon > 11)
		return 0; /* an empty start time: times count from 0 */
	t = mktime(&tm);
	if (t == (time_t)-1 || t < 0)
		return 0;
	return (uint64_t)t * 1000000000ull + (uint64_t)(get16(p + 14) % 1000) * 1000000ull;
}

static int read_file_header(struct clog_reader *r, struct clog_blf_rd *st)
{
	ssize_t n = clog_need(r, BLF_FILE_HDR);
	const uint8_t *p = (const uint8_t *)r->buf + r->pos;
	uint32_t hsize;

	if (n < 0)
		return (int)n;
	if (n < 8 || memcmp(p, "LOGG", 4))
		return n < 8 ? rd_fail(r, 1, "truncated at byte %llu",
				       (unsigned long long)clog_offset(r) + (unsigned long long)n)
			     : rd_fail(r, 1, "not a BLF file (no LOGG signature)");
	hsize = get32(p + 4);
	if (hsize < 72 || hsize > 65536)
		return rd_fail(r, 1, "bad file header size %u at byte 4", hsize);
	n = clog_need(r, hsize);
	if (n < 0)
		return (int)n;
	if ((size_t)n < hsize)
		return rd_fail(r, 1, "truncated at byte %llu",
			       (unsigned long long)(clog_offset(r) + (uint64_t)n));
	p = (const uint8_t *)r->buf + r->pos;
	st->base_ns = systemtime_ns(p + 40);
	st->file_size = get64(p + 16);
	r->pos += hsize;
	st->started = 1;
	return 0;
}

/* One text line "key value" of canrig's metadata. */
static void meta_line(struct clog_blf_rd *st, const char *l, size_t n)
{
	const char *sp = memchr(l, ' ', n), *v;
	size_t kl, vl;
	unsigned long long x;
	char num[32];
	char *end;

	if (!sp)
		return;
	kl = (size_t)(sp - l);
	v = sp + 1;
	vl = n - kl - 1;
	if (kl == 5 && !memcmp(l, "extra", 5)) {
		if (vl > BLF_EXTRA_MAX)
			vl = BLF_EXTRA_MAX;
		memcpy(st->extra, v, vl);
		st->extra_len = vl;
		st->has_extra = 1;
		return;
	}
	if (kl == 7 && !memcmp(l, "channel", 7)) {
		const char *sp2 = memchr(v, ' ', vl);
		size_t nl;

		if (!sp2 || (size_t)(sp2 - v) >= sizeof(num))
			return;
		memcpy(num, v, (size_t)(sp2 - v));
		num[sp2 - v] = '\0';
		x = strtoull(num, &end, 10);
		nl = vl - (size_t)(sp2 - v) - 1;
		if (*end || !x || x > CLOG_MAX_CHANNELS || !nl || nl >= CLOG_IFNAME_MAX)
			return;
		memcpy(st->name[x - 1], sp2 + 1, nl);
		st->name_len[x - 1] = (uint8_t)nl;
		return;
	}
	if (vl >= sizeof(num))
		return;
	memcpy(num, v, vl);
	num[vl] = '\0';
	x = strtoull(num, &end, kl == 7 && !memcmp(l, "fdflags", 7) ? 16 : 10);
	if (*end || !vl)
		return;
	if (kl == 5 && !memcmp(l, "start", 5))
		st->base_ns = x;
	else if (kl == 6 && !memcmp(l, "digits", 6))
		st->digits = x <= 9 ? (int)x : 0;
	else if (kl == 7 && !memcmp(l, "fdflags", 7))
		st->fdraw = (unsigned int)x & BLF_FD_RAW_OTHER;
	else if (kl == 4 && !memcmp(l, "xdir", 4))
		st->xdir = x != 0;
	else if (kl == 2 && !memcmp(l, "tx", 2))
		st->next_tx = x != 0;
}

/* APP_TEXT: canrig's metadata is read, anything else skipped (returns 0/1). */
static int app_text(struct clog_blf_rd *st, const uint8_t *b, size_t bl)
{
	const char *t, *end, *nl;
	uint32_t tl;

	if (bl < 16 || get32(b) != BLF_SRC_CANRIG)
		return 0;
	tl = get32(b + 8);
	if (tl > bl - 16)
		tl = (uint32_t)(bl - 16);
	t = (const char *)b + 16;
	end = t + tl;
	if ((size_t)(end - t) < sizeof(BLF_META_VERSION) - 1 ||
	    memcmp(t, BLF_META_VERSION, sizeof(BLF_META_VERSION) - 1))
		return 0;
	st->canrig = 1;
	t += sizeof(BLF_META_VERSION) - 1;
	while (t < end) {
		nl = memchr(t, '\n', (size_t)(end - t));
		if (!nl)
			nl = end;
		meta_line(st, t, (size_t)(nl - t));
		t = nl + 1;
	}
	return 1;
}

static void set_ifname(struct clog_blf_rd *st, struct clog_rec *rec, unsigned int ch)
{
	rec->channel = ch;
	if (ch && ch <= CLOG_MAX_CHANNELS && st->name_len[ch - 1]) {
		rec->ifname = st->name[ch - 1];
		rec->ifname_len = st->name_len[ch - 1];
		return;
	}
	/* as ASC: channel N is can<N-1>; channel 0 (unused by Vector) is can0 too */
	rec->ifname_len =
		(size_t)snprintf(st->tmpname, sizeof(st->tmpname), "can%u", ch ? ch - 1 : 0);
	rec->ifname = st->tmpname;
}

/*
 * Decodes one frame object (body b, bl bytes).  Returns 1 (rec filled),
 * 0 (not a frame: skipped), -EINVAL (a frame that is not valid).
 */
static int frame_obj(struct clog_reader *r, struct clog_blf_rd *st, uint32_t type, const uint8_t *b,
		     size_t bl, struct clog_rec *rec)
{
	struct cf_frame *f = &rec->f;
	uint8_t *d = r->cur.d;
	unsigned int ch, dlc, n, fl, valid;
	uint32_t id;
	int e;

	switch (type) {
	case BLF_T_CAN_MESSAGE:
	case BLF_T_CAN_MESSAGE2:
		if (bl < 16)
			return rd_fail(r, 0, "object %llu: CAN message too short",
				       (unsigned long long)st->nobj);
		ch = get16(b);
		fl = b[2];
		dlc = b[3] & 0x0F;
		id = get32(b + 4);
		f->len = (uint8_t)(dlc > 8 ? 8 : dlc);
		if (fl & BLF_MSG_RTR) {
			f->flags |= CF_RTR;
		} else {
			memcpy(d, b + 8, f->len);
			f->data = d;
		}
		if (fl & BLF_MSG_TX)
			f->dir = CF_DIR_TX;
		break;
	case BLF_T_CAN_FD_MESSAGE:
		if (bl < 20)
			return rd_fail(r, 0, "object %llu: CAN FD message too short",
				       (unsigned long long)st->nobj);
		ch = get16(b);
		fl = b[2];
		dlc = b[3] & 0x0F;
		id = get32(b + 4);
		if (fl & BLF_MSG_TX)
			f->dir = CF_DIR_TX;
		if (!(b[13] & BLF_FD_EDL)) {
			f->len = (uint8_t)(dlc > 8 ? 8 : dlc);
			if (fl & BLF_MSG_RTR)
				f->flags |= CF_RTR;
		} else {
			f->flags |= CF_FD;
			f->len = (uint8_t)cf_dlc2len(dlc);
			if (b[13] & BLF_FD_BRS)
				f->flags |= CF_BRS;
			if (b[13] & BLF_FD_ESI)
				f->flags |= CF_ESI;
		}
		if (!(f->flags & CF_RTR)) {
			valid = b[14];
			n = f->len;
			if (n > valid)
				n = valid;
			if (n > bl - 20)
				n = (unsigned int)(bl - 20);
			memcpy(d, b + 20, n);
			memset(d + n, 0, f->len - n);
			f->data = d;
		}
		break;
	case BLF_T_CAN_FD_MESSAGE_64:
		if (bl < 40)
			return rd_fail(r, 0, "object %llu: CAN FD message too short",
				       (unsigned long long)st->nobj);
		ch = b[0];
		dlc = b[1] & 0x0F;
		valid = b[2];
		id = get32(b + 4);
		fl = get32(b + 12);
		if (b[34])
			f->dir = CF_DIR_TX;
		if (!(fl & BLF_FD64_EDL)) {
			f->len = (uint8_t)(dlc > 8 ? 8 : dlc);
			if (fl & BLF_FD64_RTR)
				f->flags |= CF_RTR;
		} else {
			f->flags |= CF_FD;
			f->len = (uint8_t)cf_dlc2len(dlc);
			if (fl & BLF_FD64_BRS)
				f->flags |= CF_BRS;
			if (fl & BLF_FD64_ESI)
				f->flags |= CF_ESI;
		}
		if (!(f->flags & CF_RTR)) {
			n = f->len;
			if (n > valid)
				n = valid;
			if (n > bl - 40)
				n = (unsigned int)(bl - 40);
			memcpy(d, b + 40, n);
			memset(d + n, 0, f->len - n);
			f->data = d;
		}
		break;
	case BLF_T_CAN_ERROR_EXT:
		if (bl < 32)
			return rd_fail(r, 0, "object %llu: CAN error frame too short",
				       (unsigned long long)st->nobj);
		ch = get16(b);
		dlc = b[10];
		/* the id field holds the SocketCAN error class bits, as
		 * python-can and canrig write them */
		f->flags = CF_ERR;
		f->id = get32(b + 16) & CF_ERR_MASK;
		f->len = (uint8_t)(dlc > 8 ? 8 : dlc);
		memcpy(d, b + 24, f->len);
		f->data = d;
		set_ifname(st, rec, ch);
		return 1;
	default:
		return 0;
	}
	if (id & BLF_ID_EXT)
		f->flags |= CF_EFF;
	f->id = id & CF_EFF_MASK;
	if (f->flags & CF_FD)
		f->fd_raw_flags = (uint8_t)(st->fdraw | (f->flags & CF_BRS ? 1 : 0) |
					    (f->flags & CF_ESI ? 2 : 0));
	e = cf_validate(f);
	if (e)
		return rd_fail(r, 0, "object %llu: %s", (unsigned long long)st->nobj,
			       cf_strerror(e));
	set_ifname(st, rec, ch);
	return 1;
}

/*
 * Takes the next whole object out of ob.  Returns 1 with a record, 2 for an
 * object that is not one (consumed), 0 when ob holds no whole object yet,
 * -EINVAL (r->err says what).
 */
static int next_obj(struct clog_reader *r, struct clog_blf_rd *st, struct clog_rec *rec)
{
	const uint8_t *o;
	size_t avail, k, hs;
	uint32_t osize, type, oflags;
	uint64_t ts;
	int e;

	if (st->skip_left) {
		avail = st->ob_len - st->ob_pos;
		k = avail < st->skip_left ? avail : (size_t)st->skip_left;
		st->ob_pos += k;
		st->skip_left -= k;
		return st->skip_left ? 0 : 2;
	}
	avail = st->ob_len - st->ob_pos;
	if (avail < BLF_BASE_HDR)
		return 0;
	o = st->ob + st->ob_pos;
	/* objects are padded to 4 bytes; writers differ on how: find the next */
	for (k = 0; k < 4 && memcmp(o + k, "LOBJ", 4); k++)
		if (o[k])
			break;
	if (k == 4 || memcmp(o + k, "LOBJ", 4))
		return rd_fail(r, 1, "bad object in the container at byte %llu: no LOBJ signature",
			       (unsigned long long)st->cont_off);
	if (k) {
		st->ob_pos += k;
		return 2;
	}
	hs = get16(o + 4);
	osize = get32(o + 8);
	type = get32(o + 12);
	st->nobj++;
	if (hs < BLF_BASE_HDR || osize < hs)
		return rd_fail(r, 1, "bad object size %u in the container at byte %llu", osize,
			       (unsigned long long)st->cont_off);
	if (osize > BLF_OBJ_MAX) {
		if (type == BLF_T_CAN_MESSAGE || type == BLF_T_CAN_MESSAGE2 ||
		    type == BLF_T_CAN_FD_MESSAGE || type == BLF_T_CAN_FD_MESSAGE_64 ||
		    type == BLF_T_CAN_ERROR_EXT)
			return rd_fail(r, 1, "bad object size %u in the container at byte %llu",
				       osize, (unsigned long long)st->cont_off);
		/* a big object of another kind: drop it as it streams past */
		r->nother++;
		st->skip_left = osize;
		return 2;
	}
	if (avail < osize) {
		st->nobj--;
		return 0;
	}
	st->ob_pos += osize;
	r->line = st->nobj;
	if (osize > BLF_FRAME_MAX && type != BLF_T_APP_TEXT) {
		if (type == BLF_T_CAN_MESSAGE || type == BLF_T_CAN_MESSAGE2 ||
		    type == BLF_T_CAN_FD_MESSAGE || type == BLF_T_CAN_FD_MESSAGE_64 ||
		    type == BLF_T_CAN_ERROR_EXT)
			return rd_fail(r, 1, "bad object size %u in the container at byte %llu",
				       osize, (unsigned long long)st->cont_off);
	}
	if (type == BLF_T_APP_TEXT) {
		if (hs > osize || !app_text(st, o + hs, osize - hs))
			r->nother++;
		return 2;
	}
	if (hs < BLF_HDR_V1) {
		r->nother++;
		return 2;
	}
	oflags = get32(o + 16);
	ts = get64(o + 24);
	e = frame_obj(r, st, type, o + hs, osize - hs, rec);
	if (e == 0) {
		r->nother++;
		return 2;
	}
	if (e < 0)
		return e;
	rec->f.ts_ns = st->base_ns + (oflags & BLF_TIME_10US ? ts * 10000u : ts);
	rec->ts_kind = CLOG_TS_ABS;
	if (st->next_tx) {
		rec->f.dir = CF_DIR_TX;
		st->next_tx = 0;
	}
	rec->ts_digits = (uint8_t)(st->canrig ? st->digits : oflags & BLF_TIME_10US ? 6 : 9);
	if (st->has_extra) {
		rec->extra = st->extra;
		rec->extra_len = st->extra_len;
		st->has_extra = 0;
	} else if (st->xdir) {
		rec->extra = rec->f.dir == CF_DIR_TX ? "T" : "R";
		rec->extra_len = 1;
	}
	return 1;
}

/*
 * Unpacks more of the file into ob.  Returns 1 (progress), 0 (clean end of
 * the file), -EINVAL (truncated or corrupt: r->err), -errno.
 */
static int feed(struct clog_reader *r, struct clog_blf_rd *st)
{
	const uint8_t *p;
	ssize_t n;
	size_t take, room;
	uint32_t hs, osize, type;
	uint64_t off;
	int ze;

	if (st->ob_pos) {
		memmove(st->ob, st->ob + st->ob_pos, st->ob_len - st->ob_pos);
		st->ob_len -= st->ob_pos;
		st->ob_pos = 0;
	}
	if (!st->in_cont) {
		/* the next top-level object; skip up to 3 bytes of padding */
		n = clog_need(r, BLF_CONT_HDR + 3);
		if (n < 0)
			return (int)n;
		p = (const uint8_t *)r->buf + r->pos;
		for (take = 0; take < 4 && take < (size_t)n && p[take] != 'L'; take++)
			if (p[take])
				break;
		if (take == (size_t)n && take < 4)
			return 0; /* the end, maybe after padding */
		r->pos += take;
		n -= (ssize_t)take;
		p += take;
		off = clog_offset(r);
		if (n < BLF_BASE_HDR)
			return rd_fail(r, 1, "truncated at byte %llu",
				       (unsigned long long)(off + (uint64_t)n));
		if (memcmp(p, "LOBJ", 4))
			return rd_fail(r, 1, "bad object at byte %llu: no LOBJ signature",
				       (unsigned long long)off);
		hs = get16(p + 4);
		osize = get32(p + 8);
		type = get32(p + 12);
		if (hs < BLF_BASE_HDR || osize < hs)
			return rd_fail(r, 1, "bad object size %u at byte %llu", osize,
				       (unsigned long long)off);
		st->cont_off = off;
		st->in_cont = 1;
		if (type != BLF_T_LOG_CONTAINER) {
			/* a bare object: pass it through as if stored */
			st->zlib = 0;
			st->zend = 0;
			st->cin_left = osize;
			return 1;
		}
		if (osize < BLF_CONT_HDR || hs != BLF_BASE_HDR)
			return rd_fail(r, 1, "bad container size %u at byte %llu", osize,
				       (unsigned long long)off);
		if (n < BLF_CONT_HDR)
			return rd_fail(r, 1, "truncated at byte %llu",
				       (unsigned long long)(off + (uint64_t)n));
		ze = get16(p + 16);
		if (ze != 0 && ze != 2)
			return rd_fail(r, 1, "container at byte %llu: unknown compression %d",
				       (unsigned long long)off, ze);
		st->zlib = ze == 2;
		st->zend = 0;
		st->cin_left = osize - BLF_CONT_HDR;
		r->pos += BLF_CONT_HDR;
		if (st->zlib) {
			if (!st->zinit) {
				if (inflateInit(&st->zs) != Z_OK)
					return -ENOMEM;
				st->zinit = 1;
			} else {
				inflateReset(&st->zs);
			}
		}
		return 1;
	}
	if (!st->cin_left) {
		if (st->zlib && !st->zend)
			return rd_fail(r, 1,
				       "corrupt container at byte %llu: zlib stream ends early",
				       (unsigned long long)st->cont_off);
		st->in_cont = 0;
		return 1;
	}
	n = clog_need(r, 1);
	if (n < 0)
		return (int)n;
	if (!n)
		return rd_fail(r, 1, "truncated at byte %llu", (unsigned long long)clog_offset(r));
	take = (size_t)n < st->cin_left ? (size_t)n : (size_t)st->cin_left;
	p = (const uint8_t *)r->buf + r->pos;
	room = BLF_OB_CAP - st->ob_len;
	if (!st->zlib || st->zend) {
		if (st->zend) {
			/* padding after the stream, inside the container */
			r->pos += take;
			st->cin_left -= take;
			return 1;
		}
		if (take > room)
			take = room;
		memcpy(st->ob + st->ob_len, p, take);
		st->ob_len += take;
		r->pos += take;
		st->cin_left -= take;
		return 1;
	}
	st->zs.next_in = p;
	st->zs.avail_in = (uInt)(take > (1u << 30) ? (1u << 30) : take);
	st->zs.next_out = st->ob + st->ob_len;
	st->zs.avail_out = (uInt)room;
	ze = inflate(&st->zs, Z_NO_FLUSH);
	take = (size_t)(st->zs.next_in - p);
	r->pos += take;
	st->cin_left -= take;
	st->ob_len = BLF_OB_CAP - st->zs.avail_out;
	if (ze == Z_STREAM_END) {
		st->zend = 1;
		return 1;
	}
	if (ze == Z_OK || (ze == Z_BUF_ERROR && take))
		return 1;
	return rd_fail(r, 1, "corrupt container at byte %llu: %s", (unsigned long long)st->cont_off,
		       ze == Z_DATA_ERROR ? "bad zlib stream" : "zlib error");
}

static int only_padding(const struct clog_blf_rd *st)
{
	size_t i;

	if (st->skip_left)
		return 0;
	for (i = st->ob_pos; i < st->ob_len; i++)
		if (st->ob[i])
			return 0;
	return 1;
}

static int blf_read(struct clog_reader *r, struct clog_rec *rec)
{
	struct clog_blf_rd *st = r->blf;
	int e;

	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return -ENOMEM;
		r->blf = st;
	}
	if (st->done)
		return 0;
	if (!st->started && (e = read_file_header(r, st)))
		return e;
	for (;;) {
		e = next_obj(r, st, rec);
		if (e == 1 || e < 0)
			return e;
		if (e == 2) {
			memset(rec, 0, sizeof(*rec));
			continue;
		}
		e = feed(r, st);
		if (e < 0)
			return e;
		if (e == 0) {
			st->done = 1;
			/* a cut at an object boundary shows in the statistics */
			if (!only_padding(st) || st->in_cont || st->file_size > clog_offset(r))
				return rd_fail(r, 1, "truncated at byte %llu",
					       (unsigned long long)clog_offset(r));
			return 0;
		}
	}
}

/* ==== writer ==== */

/* Deflate's worst case for a full container (deflateBound's, with room). */
#define BLF_ZOUT_MAX (BLF_CONT_SIZE + BLF_CONT_SIZE / 8 + 64)

/* Worker threads at most, and slots: one more than the workers, so the
 * caller fills one while each worker deflates another. */
#define BLF_MAX_WORKERS 4

enum { BLF_SLOT_FREE, BLF_SLOT_QUEUED, BLF_SLOT_RUNNING, BLF_SLOT_DONE };

/* One container: objects in, the finished container object out. */
struct blf_slot {
	size_t in_len;
	size_t out_len; /* 0: nothing to write out */
	int err;
	int state; /* BLF_SLOT_*, under mu while threaded */
	uint8_t in[BLF_CONT_SIZE];
	uint8_t out[BLF_CONT_HDR + BLF_ZOUT_MAX];
};

struct clog_blf_wr {
	int64_t hdr_off; /* where the file header is, -1 if fd cannot seek */
	uint64_t base_ns;
	uint64_t last_ns;
	uint64_t nobj;
	uint64_t file_size, raw_size;
	int digits;	    /* last "digits" written, -1 none yet */
	unsigned int fdraw; /* last "fdflags" written */
	int xdir;	    /* last "xdir" written */
	uint8_t named[CLOG_MAX_CHANNELS];
	/*
	 * Deflate is most of the writer's work: from the second container on
	 * up to one worker thread per CPU deflates the filled slots, each
	 * container its own zlib stream, while the caller fills the next, so
	 * parsing and compressing use every core.  The caller writes the
	 * containers out strictly in the order it filled them, so the output
	 * is the same whatever the number of workers.  zs[i] is worker i's
	 * while it runs; zs[0] is the caller's when there is no worker.
	 */
	z_stream zs[BLF_MAX_WORKERS];
	unsigned int nzs;     /* zs[0..nzs) are initialised */
	unsigned int nworker; /* running workers */
	int tried;
	pthread_t th[BLF_MAX_WORKERS];
	struct blf_wk {
		struct clog_blf_wr *st;
		unsigned int i;
	} wk[BLF_MAX_WORKERS];
	pthread_mutex_t mu;
	pthread_cond_t work; /* a slot was queued, or quit */
	pthread_cond_t done; /* a slot was deflated */
	int quit;	     /* the workers are to end */
	unsigned int next;   /* the next slot a worker takes */
	unsigned int cur;    /* the slot being filled */
	unsigned int head;   /* the oldest slot not written out */
	unsigned int npend;  /* slots handed to the workers, not written out */
	unsigned int nslot;
	struct blf_slot slot[];
};

static void put_systemtime(uint8_t *p, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	memset(p, 0, 16);
	if (!localtime_r(&t, &tm))
		return;
	put16(p, (uint32_t)tm.tm_year + 1900);
	put16(p + 2, (uint32_t)tm.tm_mon + 1);
	put16(p + 4, (uint32_t)tm.tm_wday);
	put16(p + 6, (uint32_t)tm.tm_mday);
	put16(p + 8, (uint32_t)tm.tm_hour);
	put16(p + 10, (uint32_t)tm.tm_min);
	put16(p + 12, (uint32_t)tm.tm_sec);
	put16(p + 14, (uint32_t)(ns / 1000000ull % 1000));
}

static void file_header(const struct clog_blf_wr *st, uint8_t *h)
{
	memset(h, 0, BLF_FILE_HDR);
	memcpy(h, "LOGG", 4);
	put32(h + 4, BLF_FILE_HDR);
	/* application 0 (unknown), BL version 4.7.1.0 */
	h[12] = 4;
	h[13] = 7;
	h[14] = 1;
	put64(h + 16, st->file_size);
	put64(h + 24, st->raw_size);
	put32(h + 32, (uint32_t)st->nobj);
	put32(h + 36, (uint32_t)st->nobj);
	put_systemtime(h + 40, st->base_ns);
	put_systemtime(h + 56, st->nobj ? st->last_ns : st->base_ns);
}

/* Deflates a slot's objects into its container object. */
static void deflate_slot(z_stream *zs, struct blf_slot *sl)
{
	uint8_t *p = sl->out;
	size_t osize;

	deflateReset(zs);
	zs->next_in = sl->in;
	zs->avail_in = (uInt)sl->in_len;
	zs->next_out = p + BLF_CONT_HDR;
	zs->avail_out = BLF_ZOUT_MAX;
	if (deflate(zs, Z_FINISH) != Z_STREAM_END) {
		sl->err = -EIO; /* cannot happen with deflateBound's room */
		return;
	}
	osize = BLF_CONT_HDR + zs->total_out;
	/* pad inside the object: its size stays a multiple of 4 */
	while (osize % 4)
		p[osize++] = 0;
	memset(p, 0, BLF_CONT_HDR);
	memcpy(p, "LOBJ", 4);
	put16(p + 4, BLF_BASE_HDR);
	put16(p + 6, 1);
	put32(p + 8, (uint32_t)osize);
	put32(p + 12, BLF_T_LOG_CONTAINER);
	put16(p + 16, 2); /* zlib */
	put32(p + 24, (uint32_t)sl->in_len);
	sl->out_len = osize;
}

/* Appends a deflated slot's container to the output; empties the slot. */
static int emit_slot(struct clog_writer *w, struct clog_blf_wr *st, struct blf_slot *sl)
{
	char *p;
	int e = sl->err;

	if (sl->out_len && !e) {
		p = clog_wreserve(w, sl->out_len);
		memcpy(p, sl->out, sl->out_len);
		clog_wcommit(w, sl->out_len);
		st->file_size += sl->out_len;
		st->raw_size += BLF_CONT_HDR + sl->in_len;
	}
	sl->in_len = sl->out_len = 0;
	sl->err = 0;
	return e;
}

static void *zworker(void *arg)
{
	struct blf_wk *wk = arg;
	struct clog_blf_wr *st = wk->st;
	struct blf_slot *sl;

	pthread_mutex_lock(&st->mu);
	for (;;) {
		/* slots are queued in ring order: take them in that order */
		while (st->slot[st->next].state != BLF_SLOT_QUEUED && !st->quit)
			pthread_cond_wait(&st->work, &st->mu);
		sl = &st->slot[st->next];
		if (sl->state != BLF_SLOT_QUEUED)
			break;
		sl->state = BLF_SLOT_RUNNING;
		st->next = (st->next + 1) % st->nslot;
		pthread_mutex_unlock(&st->mu);
		deflate_slot(&st->zs[wk->i], sl);
		pthread_mutex_lock(&st->mu);
		sl->state = BLF_SLOT_DONE;
		pthread_cond_signal(&st->done);
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

/*
 * Writes out the oldest pending slots in order: those already deflated,
 * and, waiting for it, the one at the slot to be filled next (all: every
 * pending one).  Returns the first error, having written out all it could.
 */
static int drain(struct clog_writer *w, struct clog_blf_wr *st, int all)
{
	struct blf_slot *sl;
	int e = 0, e2;

	pthread_mutex_lock(&st->mu);
	while (st->npend) {
		sl = &st->slot[st->head];
		if (sl->state != BLF_SLOT_DONE && !all && st->head != st->cur)
			break;
		while (sl->state != BLF_SLOT_DONE)
			pthread_cond_wait(&st->done, &st->mu);
		pthread_mutex_unlock(&st->mu);
		e2 = emit_slot(w, st, sl);
		if (!e)
			e = e2;
		pthread_mutex_lock(&st->mu);
		sl->state = BLF_SLOT_FREE;
		st->head = (st->head + 1) % st->nslot;
		st->npend--;
	}
	pthread_mutex_unlock(&st->mu);
	return e;
}

/* Ends and joins the workers. */
static void stop_workers(struct clog_blf_wr *st)
{
	unsigned int i;

	pthread_mutex_lock(&st->mu);
	st->quit = 1;
	pthread_cond_broadcast(&st->work);
	pthread_mutex_unlock(&st->mu);
	for (i = 0; i < st->nworker; i++)
		pthread_join(st->th[i], NULL);
	st->nworker = 0;
	pthread_cond_destroy(&st->done);
	pthread_cond_destroy(&st->work);
	pthread_mutex_destroy(&st->mu);
}

/* The workers, started once a second container is coming: one per slot
 * but the caller's.  Returns 0 when at least one runs, else -errno (then
 * the caller deflates itself). */
static int start_workers(struct clog_blf_wr *st)
{
	sigset_t all, old;
	unsigned int i;
	int e = 0;

	st->tried = 1;
	if (pthread_mutex_init(&st->mu, NULL))
		return -ENOMEM;
	if (pthread_cond_init(&st->work, NULL))
		goto out_mu;
	if (pthread_cond_init(&st->done, NULL))
		goto out_work;
	/* signals are the caller's to handle (Ctrl-C ends a conversion) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < st->nslot - 1 && i < BLF_MAX_WORKERS; i++) {
		if (i >= st->nzs) {
			if (deflateInit(&st->zs[i], BLF_ZLEVEL) != Z_OK)
				break;
			st->nzs++;
		}
		st->wk[i].st = st;
		st->wk[i].i = i;
		e = pthread_create(&st->th[i], NULL, zworker, &st->wk[i]);
		if (e)
			break;
		st->nworker++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (st->nworker)
		return 0;
	pthread_cond_destroy(&st->done);
out_work:
	pthread_cond_destroy(&st->work);
out_mu:
	pthread_mutex_destroy(&st->mu);
	return e ? -e : -ENOMEM;
}

/*
 * Closes the container being filled: queues it for the workers (and
 * writes out those they finished before, in order), or deflates it here.
 * last: no more will follow (no worker is started for it).  Returns 0 or
 * -errno.
 */
static int flush_container(struct clog_writer *w, struct clog_blf_wr *st, int last)
{
	struct blf_slot *sl = &st->slot[st->cur];

	if (!sl->in_len)
		return 0;
	if (!st->nworker && (last || st->tried || start_workers(st))) {
		deflate_slot(&st->zs[0], sl);
		return emit_slot(w, st, sl);
	}
	pthread_mutex_lock(&st->mu);
	sl->state = BLF_SLOT_QUEUED;
	st->npend++;
	pthread_cond_signal(&st->work);
	pthread_mutex_unlock(&st->mu);
	st->cur = (st->cur + 1) % st->nslot;
	/* the slot to fill next is free once written out */
	return drain(w, st, 0);
}

/* Writes out everything and stops the workers.  Returns 0 or -errno. */
static int finish_containers(struct clog_writer *w, struct clog_blf_wr *st)
{
	int e = flush_container(w, st, 1), e2;

	if (!st->nworker)
		return e;
	e2 = drain(w, st, 1);
	stop_workers(st);
	return e ? e : e2;
}

/* The most a slot of n bytes of objects can take as a container. */
static uint64_t slot_bound(size_t n)
{
	/* compressBound: zlib's bound for deflateInit's default window and
	 * memory level, which BLF_ZLEVEL keeps; then the padding to 4 */
	return n ? BLF_CONT_HDR + compressBound((uLong)n) + 3 : 0;
}

/* What the slots not written out will add: the deflated at their size, the
 * others at their bound (*unsure then set).  Under mu. */
static uint64_t pending_bytes(const struct clog_blf_wr *st, int *unsure)
{
	const struct blf_slot *sl;
	uint64_t n = 0;
	unsigned int i, k;

	*unsure = 0;
	for (i = 0, k = st->head; i < st->npend; i++, k = (k + 1) % st->nslot) {
		sl = &st->slot[k];
		if (sl->state == BLF_SLOT_DONE) {
			n += sl->err ? 0 : sl->out_len;
		} else {
			n += slot_bound(sl->in_len);
			*unsure = 1;
		}
	}
	return n + slot_bound(st->slot[st->cur].in_len);
}

uint64_t clog_blf_size(struct clog_writer *w, uint64_t limit)
{
	struct clog_blf_wr *st = w->blf;
	uint64_t n;
	int unsure;

	if (!st)
		return w->nbytes;
	if (!st->nworker)
		return w->nbytes + slot_bound(st->slot[st->cur].in_len);
	pthread_mutex_lock(&st->mu);
	n = pending_bytes(st, &unsure);
	pthread_mutex_unlock(&st->mu);
	if (unsure && w->nbytes + n >= limit) {
		/* near the limit: what the workers make of their slots decides */
		drain(w, st, 1);
		pthread_mutex_lock(&st->mu);
		n = pending_bytes(st, &unsure);
		pthread_mutex_unlock(&st->mu);
	}
	return w->nbytes + n;
}

/* Room for an object of n bytes in the container; returns where it goes. */
static uint8_t *obj_start(struct clog_writer *w, struct clog_blf_wr *st, size_t n, uint32_t type,
			  uint64_t ts_ns)
{
	struct blf_slot *sl = &st->slot[st->cur];
	uint64_t rel = ts_ns > st->base_ns ? ts_ns - st->base_ns : 0;
	uint8_t *o;

	if (sl->in_len + n > sizeof(sl->in)) {
		if (flush_container(w, st, 0))
			return NULL;
		sl = &st->slot[st->cur];
	}
	o = sl->in + sl->in_len;
	memset(o, 0, n);
	memcpy(o, "LOBJ", 4);
	put16(o + 4, BLF_HDR_V1);
	put16(o + 6, 1);
	put32(o + 8, (uint32_t)n);
	put32(o + 12, type);
	put32(o + 16, BLF_TIME_1NS);
	put64(o + 24, rel);
	sl->in_len += n;
	st->nobj++;
	return o;
}

/* One APP_TEXT of canrig's metadata: BLF_META_VERSION then text. */
static int put_meta(struct clog_writer *w, struct clog_blf_wr *st, uint64_t ts_ns, const char *text,
		    size_t tl)
{
	size_t vl = sizeof(BLF_META_VERSION) - 1, body = vl + tl, n;
	uint8_t *o;

	/* pad the text with newlines: the object stays a multiple of 4 */
	n = BLF_HDR_V1 + 16 + ((body + 3) & ~(size_t)3);
	o = obj_start(w, st, n, BLF_T_APP_TEXT, ts_ns);
	if (!o)
		return -EIO;
	put32(o + 32, BLF_SRC_CANRIG);
	put32(o + 40, (uint32_t)(n - BLF_HDR_V1 - 16));
	memcpy(o + 48, BLF_META_VERSION, vl);
	memcpy(o + 48 + vl, text, tl);
	memset(o + 48 + body, '\n', n - 48 - body);
	return 0;
}

static int name_channel(struct clog_writer *w, struct clog_blf_wr *st, unsigned int ch,
			uint64_t ts_ns)
{
	char t[64 + CLOG_IFNAME_MAX];
	int k;

	st->named[ch - 1] = 1;
	k = snprintf(t, sizeof(t), "channel %u %s\n", ch, w->chan[ch - 1]);
	return put_meta(w, st, ts_ns, t, (size_t)k);
}

/* Returns the 1-based channel of rec, 0 when it has none (skipped). */
static unsigned int blf_channel(struct clog_writer *w, const struct clog_rec *rec)
{
	/* a nameless record gets no channel: it could not be named back */
	return rec->ifname_len ? clog_writer_channel(w, rec) : 0;
}

static int blf_begin(struct clog_writer *w, const struct clog_rec *first)
{
	struct clog_blf_wr *st;
	uint8_t *h;
	char t[64];
	unsigned int i;
	unsigned int nslot;
	long ncpu;
	int k;

	/* a worker per online CPU: the caller's parsing is the smaller part */
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	nslot = 1 + (ncpu < 1 ? 1 : ncpu > BLF_MAX_WORKERS ? BLF_MAX_WORKERS : (unsigned int)ncpu);
	st = malloc(offsetof(struct clog_blf_wr, slot) + nslot * sizeof(struct blf_slot));
	if (!st)
		return -ENOMEM;
	memset(st, 0, offsetof(struct clog_blf_wr, slot));
	st->nslot = nslot;
	for (i = 0; i < nslot; i++) {
		st->slot[i].in_len = st->slot[i].out_len = 0;
		st->slot[i].err = 0;
		st->slot[i].state = BLF_SLOT_FREE;
	}
	if (deflateInit(&st->zs[0], BLF_ZLEVEL) != Z_OK) {
		free(st);
		return -ENOMEM;
	}
	st->nzs = 1;
	w->blf = st;
	st->digits = -1;
	/* the header's start time has 1 ms steps: start at the first
	 * frame's millisecond, so the object times carry the rest */
	st->base_ns = first->f.ts_ns - first->f.ts_ns % 1000000ull;
	st->hdr_off = lseek(w->fd, 0, SEEK_CUR);
	if (st->hdr_off >= 0)
		st->hdr_off += (int64_t)w->wlen;
	if (w->o.nchannels) {
		for (i = 0; i < w->o.nchannels && i < CLOG_MAX_CHANNELS; i++) {
			snprintf(w->chan[i], CLOG_IFNAME_MAX, "%s", w->o.channels[i]);
			w->chan_len[i] = (uint8_t)strlen(w->chan[i]);
		}
		w->nchan = i;
	}
	h = (uint8_t *)clog_wreserve(w, BLF_FILE_HDR);
	file_header(st, h);
	clog_wcommit(w, BLF_FILE_HDR);
	st->file_size = st->raw_size = BLF_FILE_HDR;
	k = snprintf(t, sizeof(t), "start %llu\n", (unsigned long long)st->base_ns);
	return put_meta(w, st, st->base_ns, t, (size_t)k);
}

/* Metadata the next frame needs that was not written yet. */
static int blf_meta(struct clog_writer *w, struct clog_blf_wr *st, const struct clog_rec *rec,
		    unsigned int ch, int xdir, int tx)
{
	char t[128 + BLF_EXTRA_MAX];
	int digits = w->o.ts_digits ? w->o.ts_digits : rec->ts_digits;
	unsigned int fdraw = rec->f.fd_raw_flags & BLF_FD_RAW_OTHER;
	size_t k = 0;
	int e;

	if (!st->named[ch - 1] && (e = name_channel(w, st, ch, rec->f.ts_ns)))
		return e;
	if (digits != st->digits) {
		k += (size_t)snprintf(t + k, sizeof(t) - k, "digits %d\n", digits);
		st->digits = digits;
	}
	if ((rec->f.flags & CF_FD) && fdraw != st->fdraw) {
		k += (size_t)snprintf(t + k, sizeof(t) - k, "fdflags %x\n", fdraw);
		st->fdraw = fdraw;
	}
	if (xdir != st->xdir) {
		k += (size_t)snprintf(t + k, sizeof(t) - k, "xdir %d\n", xdir);
		st->xdir = xdir;
	}
	if (tx && (rec->f.flags & CF_ERR)) /* CAN_ERROR_EXT has no direction bit */
		k += (size_t)snprintf(t + k, sizeof(t) - k, "tx 1\n");
	if (rec->extra_len && !xdir) {
		size_t n = rec->extra_len < BLF_EXTRA_MAX ? rec->extra_len : BLF_EXTRA_MAX;

		memcpy(t + k, "extra ", 6);
		memcpy(t + k + 6, rec->extra, n);
		k += 6 + n;
		t[k++] = '\n';
	}
	return k ? put_meta(w, st, rec->f.ts_ns, t, k) : 0;
}

static int blf_write(struct clog_writer *w, const struct clog_rec *rec)
{
	struct clog_blf_wr *st = w->blf;
	const struct cf_frame *f = &rec->f;
	unsigned int ch, len = f->len;
	uint32_t id = f->id | (f->flags & CF_EFF ? BLF_ID_EXT : 0), fl;
	int xdir, tx, e;
	uint8_t *o;

	if (!st)
		return -ENOMEM;
	ch = blf_channel(w, rec);
	if (!ch) {
		w->nskipped++;
		return 0;
	}
	/* candump -x's " R" / " T" ride on the direction bit */
	xdir = rec->extra_len == 1 && (rec->extra[0] == 'R' || rec->extra[0] == 'T');
	tx = xdir ? rec->extra[0] == 'T' : f->dir == CF_DIR_TX;
	if ((e = blf_meta(w, st, rec, ch, xdir, tx)))
		return e;
	if (f->flags & CF_ERR) {
		o = obj_start(w, st, BLF_HDR_V1 + 32, BLF_T_CAN_ERROR_EXT, f->ts_ns);
		if (!o)
			return -EIO;
		if (len > 8)
			len = 8;
		put16(o + 32, ch);
		o[32 + 10] = (uint8_t)len;
		put32(o + 32 + 16, f->id & CF_ERR_MASK);
		if (f->data)
			memcpy(o + 32 + 24, f->data, len);
	} else if (f->flags & CF_FD) {
		if (len > CF_MAX_LEN)
			len = CF_MAX_LEN;
		o = obj_start(w, st, BLF_HDR_V1 + 40 + ((len + 3) & ~3u), BLF_T_CAN_FD_MESSAGE_64,
			      f->ts_ns);
		if (!o)
			return -EIO;
		o[32] = (uint8_t)ch;
		o[33] = (uint8_t)cf_len2dlc(len);
		o[34] = (uint8_t)len;
		put32(o + 36, id);
		fl = BLF_FD64_EDL | (f->flags & CF_BRS ? BLF_FD64_BRS : 0) |
		     (f->flags & CF_ESI ? BLF_FD64_ESI : 0);
		put32(o + 44, fl);
		o[32 + 34] = (uint8_t)tx;
		if (f->data)
			memcpy(o + 72, f->data, len);
	} else {
		if (len > 8)
			len = 8;
		o = obj_start(w, st, BLF_HDR_V1 + 24, BLF_T_CAN_MESSAGE2, f->ts_ns);
		if (!o)
			return -EIO;
		put16(o + 32, ch);
		o[34] = (uint8_t)((tx ? BLF_MSG_TX : 0) | (f->flags & CF_RTR ? BLF_MSG_RTR : 0));
		o[35] = (uint8_t)len;
		put32(o + 36, id);
		if (!(f->flags & CF_RTR) && f->data)
			memcpy(o + 40, f->data, len);
	}
	if (f->ts_ns > st->last_ns)
		st->last_ns = f->ts_ns;
	return 0;
}

static int blf_end(struct clog_writer *w)
{
	struct clog_blf_wr *st = w->blf;
	uint8_t h[BLF_FILE_HDR];
	int e = 0;

	if (!st)
		return -ENOMEM;
	e = finish_containers(w, st);
	/* the statistics are known now: patch them in where we can seek */
	if (!e && st->hdr_off >= 0 && !clog_writer_flush(w)) {
		file_header(st, h);
		if (pwrite(w->fd, h, sizeof(h), st->hdr_off) != (ssize_t)sizeof(h))
			e = -errno;
	}
	while (st->nzs)
		deflateEnd(&st->zs[--st->nzs]);
	free(st);
	w->blf = NULL;
	return e;
}

const struct clog_format clog_fmt_blf = {
	.name = "blf",
	.probe = blf_probe,
	.read = blf_read,
	.write_begin = blf_begin,
	.write = blf_write,
	.write_end = blf_end,
	.reader_close = blf_reader_close,
};
