/* SPDX-License-Identifier: MIT */
/*
 * upl_spool.c - the uplink's segment-file spool (upl_spool.h).
 *
 * One append segment is open at a time; the reader loads the segment it
 * is in into one buffer (a segment is bounded, so is the buffer) and
 * parses records from memory with upl_seg_read(), the same code the fuzz
 * target runs.  Segments are kept in an array in sequence order; the
 * reader holds an index into it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "upl_spool.h"

#define ACK_MAGIC 0x41445055u /* "UPDA" */
#define ACK_LEN	  16u

struct seg {
	uint64_t first; /* its name: the seq of the first record it was made for */
	uint64_t last;	/* last valid record's seq (first - 1: none) */
	uint64_t nrec;	/* valid records */
	uint64_t size;	/* bytes on disk */
	int reported;	/* a bad region was logged: not again at every rewind */
};

struct infl {
	uint64_t seq;
	int acked;
};

struct upl_spool {
	int dfd;
	int lfd; /* "lock", flocked for the spool's life: one process per directory */
	struct seg *segs;
	size_t nseg, capseg;
	int wfd; /* the append segment, segs[nseg - 1], or -1 */
	uint64_t max_bytes, total;
	uint32_t seg_bytes;
	int no_sync;
	upl_log_fn log;
	void *log_ctx;
	uint64_t cursor, next_seq;
	/* reader: segment index, offset, the loaded bytes of that segment */
	size_t rd_idx, rd_off;
	uint64_t rd_min; /* records below were handed out or acknowledged */
	uint8_t *buf;
	size_t blen, bcap;
	uint64_t buf_first;
	int buf_ok;
	struct infl ring[UPL_INFLIGHT];
	unsigned int head, n;
	struct upl_spool_stats st;
};

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* The CRC covers length and seq (header bytes 4..15) and the payload. */
static uint32_t rec_crc(const uint8_t *hdr, const void *data, uint32_t len)
{
	uLong c = crc32(0L, Z_NULL, 0);

	c = crc32(c, hdr + 4, 12);
	if (len)
		c = crc32(c, data, len);
	return (uint32_t)c;
}

void upl_rec_header(uint8_t *hdr, uint64_t seq, const void *data, uint32_t len)
{
	put32(hdr, UPL_REC_MAGIC);
	put32(hdr + 4, len);
	put64(hdr + 8, seq);
	put32(hdr + 16, rec_crc(hdr, data, len));
}

/* A valid record at off?  Returns its total length, or 0. */
static size_t rec_at(const uint8_t *buf, size_t len, size_t off, struct upl_rec *r)
{
	const uint8_t *h = buf + off;
	uint32_t n;

	if (len - off < UPL_REC_HDR || get32(h) != UPL_REC_MAGIC)
		return 0;
	n = get32(h + 4);
	if (n == 0 || n > UPL_REC_MAX || n > len - off - UPL_REC_HDR)
		return 0;
	if (get32(h + 16) != rec_crc(h, h + UPL_REC_HDR, n))
		return 0;
	r->seq = get64(h + 8);
	r->data = h + UPL_REC_HDR;
	r->len = n;
	return UPL_REC_HDR + n;
}

int upl_seg_read(const uint8_t *buf, size_t len, size_t *off, struct upl_rec *r)
{
	size_t o = *off, k;
	uint8_t m[4];

	if (o >= len) {
		*off = len;
		return 0;
	}
	k = rec_at(buf, len, o, r);
	if (k) {
		*off = o + k;
		return 1;
	}
	/* resynchronise on the next magic; the CRC then decides */
	put32(m, UPL_REC_MAGIC);
	for (k = o + 1; k + 4 <= len; k++)
		if (buf[k] == m[0] && !memcmp(buf + k, m, 4))
			break;
	if (k + 4 > len)
		k = len;
	r->seq = 0;
	r->data = NULL;
	r->len = (uint32_t)(k - o);
	*off = k;
	return -EBADMSG;
}

static void logf_(struct upl_spool *sp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logf_(struct upl_spool *sp, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!sp->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sp->log(sp->log_ctx, msg);
}

static void seg_name(char *name, uint64_t first)
{
	snprintf(name, 32, "%016llx.seg", (unsigned long long)first);
}

/* Reads the whole of file name (relative to dfd) from offset from into
 * sp->buf at from.  Returns the bytes now in the buffer or -errno. */
static ssize_t load(struct upl_spool *sp, uint64_t first, size_t from, size_t size)
{
	char name[32];
	size_t got = from;
	int fd;

	if (size > sp->bcap) {
		uint8_t *nb = realloc(sp->buf, size);

		if (!nb)
			return -ENOMEM;
		sp->buf = nb;
		sp->bcap = size;
	}
	seg_name(name, first);
	fd = openat(sp->dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < size) {
		ssize_t k = pread(fd, sp->buf + got, size - got, (off_t)got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* shorter than we thought: what is there counts */
		got += (size_t)k;
	}
	close(fd);
	return (ssize_t)got;
}

static int write_cursor(struct upl_spool *sp)
{
	uint8_t b[ACK_LEN];
	int fd, e = 0;

	put32(b, ACK_MAGIC);
	put64(b + 4, sp->cursor);
	put32(b + 12, (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, 12));
	fd = openat(sp->dfd, "ack.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* no fsync: the rename alone survives kill -9; after a power cut a
	 * lost cursor means re-sending, never losing (docs/uplink.md) */
	if (write(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
		e = errno ? -errno : -EIO;
	if (close(fd) && !e)
		e = -errno;
	if (!e && renameat(sp->dfd, "ack.tmp", sp->dfd, "ack"))
		e = -errno;
	return e;
}

static uint64_t seg_pending(const struct upl_spool *sp, const struct seg *s)
{
	uint64_t n;

	if (!s->nrec || s->last < sp->cursor)
		return 0;
	n = s->last - sp->cursor + 1;
	return n < s->nrec ? n : s->nrec;
}

/* Deletes segs[i] (file and entry) and keeps the reader where it was. */
static void seg_remove(struct upl_spool *sp, size_t i)
{
	char name[32];

	if (i == sp->nseg - 1 && sp->wfd >= 0) {
		close(sp->wfd);
		sp->wfd = -1;
	}
	seg_name(name, sp->segs[i].first);
	unlinkat(sp->dfd, name, 0);
	sp->total -= sp->segs[i].size;
	memmove(&sp->segs[i], &sp->segs[i + 1], (sp->nseg - i - 1) * sizeof(*sp->segs));
	sp->nseg--;
	if (i < sp->rd_idx)
		sp->rd_idx--;
	else if (i == sp->rd_idx)
		sp->rd_off = 0;
}

/* Segments holding nothing unacknowledged go. */
static void seg_reap(struct upl_spool *sp)
{
	size_t i = 0;

	while (i < sp->nseg) {
		struct seg *s = &sp->segs[i];

		if (s->nrec ? s->last < sp->cursor : i != sp->nseg - 1 || sp->wfd < 0)
			seg_remove(sp, i);
		else
			i++;
	}
}

/* Drops the oldest segment for space. */
static int seg_drop_oldest(struct upl_spool *sp)
{
	struct seg *s = &sp->segs[0];
	uint64_t lost = seg_pending(sp, s), last = s->last;
	char name[32];
	int e = 0;

	seg_name(name, s->first);
	sp->st.dropped += lost;
	sp->st.dropped_segments++;
	logf_(sp, "spool full: dropped %s (%llu bytes, %llu records not acknowledged)", name,
	      (unsigned long long)s->size, (unsigned long long)lost);
	if (s->nrec && last >= sp->cursor) {
		sp->cursor = last + 1;
		e = write_cursor(sp);
	}
	/* what was in flight from it is gone: its acknowledgement changes nothing */
	while (sp->n && sp->ring[sp->head].seq <= last) {
		sp->head = (sp->head + 1) % UPL_INFLIGHT;
		sp->n--;
	}
	if (sp->rd_min < sp->cursor)
		sp->rd_min = sp->cursor;
	seg_remove(sp, 0);
	return e;
}

static int seg_push(struct upl_spool *sp, uint64_t first)
{
	if (sp->nseg == sp->capseg) {
		size_t nc = sp->capseg ? 2 * sp->capseg : 16;
		struct seg *ns = realloc(sp->segs, nc * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		sp->segs = ns;
		sp->capseg = nc;
	}
	memset(&sp->segs[sp->nseg], 0, sizeof(*sp->segs));
	sp->segs[sp->nseg].first = first;
	sp->segs[sp->nseg].last = first - 1;
	sp->nseg++;
	return 0;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static void read_cursor(struct upl_spool *sp)
{
	uint8_t b[ACK_LEN + 1];
	ssize_t k;
	int fd = openat(sp->dfd, "ack", O_RDONLY | O_CLOEXEC);

	sp->cursor = 0;
	if (fd < 0) {
		if (errno != ENOENT)
			logf_(sp, "cannot read the ack cursor (%s): re-sending the whole spool",
			      strerror(errno));
		return;
	}
	k = read(fd, b, sizeof(b));
	close(fd);
	if (k != ACK_LEN || get32(b) != ACK_MAGIC ||
	    get32(b + 12) != (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, 12)) {
		logf_(sp, "the ack cursor is damaged: re-sending the whole spool");
		return;
	}
	sp->cursor = get64(b + 4);
}

/* Lists the segment files, sorted. */
static int list_segs(struct upl_spool *sp)
{
	int fd = openat(sp->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	int e = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		e = -errno;
		close(fd);
		return e;
	}
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		unsigned long long first;
		char *end;

		if (strlen(n) != 20 || strcmp(n + 16, ".seg") ||
		    strspn(n, "0123456789abcdef") != 16)
			continue;
		first = strtoull(n, &end, 16);
		e = seg_push(sp, first);
		if (e)
			break;
	}
	closedir(d);
	if (!e && sp->nseg)
		qsort(sp->segs, sp->nseg, sizeof(*sp->segs), cmp_seg);
	return e;
}

/* Checks every record of segs[i]; cuts a torn tail off the newest. */
static int scan_seg(struct upl_spool *sp, size_t i)
{
	struct seg *s = &sp->segs[i];
	char name[32];
	struct stat stt;
	size_t off = 0, good_end = 0;
	struct upl_rec r;
	ssize_t k;
	int fd, rc;

	seg_name(name, s->first);
	if (fstatat(sp->dfd, name, &stt, 0))
		return -errno;
	k = load(sp, s->first, 0, (size_t)stt.st_size);
	if (k < 0)
		return (int)k;
	s->size = (uint64_t)k;
	while ((rc = upl_seg_read(sp->buf, (size_t)k, &off, &r)) != 0) {
		if (rc == 1) {
			s->nrec++;
			s->last = r.seq;
			good_end = off;
			continue;
		}
		if (off < (size_t)k) {
			logf_(sp, "%s: corrupt record at offset %zu: %u bytes skipped", name,
			      off - r.len, r.len);
			sp->st.skipped++;
			s->reported = 1;
		}
	}
	if (good_end == (size_t)k)
		return 0;
	/* nothing valid after good_end: a torn tail */
	logf_(sp, "%s: torn record at offset %zu: %zu bytes skipped", name, good_end,
	      (size_t)k - good_end);
	sp->st.skipped++;
	s->reported = 1;
	if (i == sp->nseg - 1) {
		/* the newest is where the cut happened: cut it off for good */
		fd = openat(sp->dfd, name, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (!ftruncate(fd, (off_t)good_end))
				s->size = good_end;
			close(fd);
		}
	}
	return 0;
}

/*
 * Locks DIR/lock (flock, so a killed holder's lock is gone with it) and
 * writes our pid into it, for the message of the next one that tries.
 */
static int lock_dir(struct upl_spool *sp, const char *dir, char *err, size_t cap)
{
	char pid[32];
	struct stat st;
	ssize_t n;
	int k;

	sp->lfd = openat(sp->dfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (sp->lfd < 0 || fstat(sp->lfd, &st) || !S_ISREG(st.st_mode)) {
		int e = sp->lfd < 0 ? -errno : -EINVAL;

		snprintf(err, cap, "%s/lock: %s", dir,
			 sp->lfd < 0 ? strerror(errno) : "not a regular file");
		return e;
	}
	if (flock(sp->lfd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		if (e != EWOULDBLOCK) {
			snprintf(err, cap, "%s/lock: %s", dir, strerror(e));
			return -e;
		}
		n = pread(sp->lfd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		snprintf(err, cap, "spool %s in use by pid %s (lock %s/lock)", dir,
			 pid[0] ? pid : "?", dir);
		return -EBUSY;
	}
	k = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(sp->lfd, 0) || pwrite(sp->lfd, pid, (size_t)k, 0) != k)
		logf_(sp, "%s/lock: cannot write the pid: %s", dir, strerror(errno));
	return 0;
}

int upl_spool_open(const struct upl_spool_opts *o, struct upl_spool **out, char *err, size_t cap)
{
	struct upl_spool *sp = calloc(1, sizeof(*sp));
	size_t i;
	int e;

	*out = NULL;
	if (!sp) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	sp->dfd = -1;
	sp->lfd = -1;
	sp->wfd = -1;
	sp->max_bytes = o->max_bytes;
	sp->seg_bytes = o->seg_bytes;
	if (!sp->seg_bytes) {
		uint64_t sb = o->max_bytes / 16;

		sp->seg_bytes = sb < (64u << 10)  ? 64u << 10
				: sb > (4u << 20) ? 4u << 20
						  : (uint32_t)sb;
	}
	if (sp->seg_bytes < UPL_SEG_MIN || sp->max_bytes < 2ull * sp->seg_bytes) {
		snprintf(err, cap, "spool of %llu bytes too small for %u-byte segments",
			 (unsigned long long)sp->max_bytes, sp->seg_bytes);
		e = -EINVAL;
		goto out_free;
	}
	sp->no_sync = o->no_sync;
	sp->log = o->log;
	sp->log_ctx = o->log_ctx;
	if (mkdir(o->dir, 0700) && errno != EEXIST) {
		e = -errno;
		snprintf(err, cap, "%s: %s", o->dir, strerror(errno));
		goto out_free;
	}
	sp->dfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dfd < 0) {
		e = -errno;
		snprintf(err, cap, "%s: %s", o->dir, strerror(errno));
		goto out_free;
	}
	/* before anything in the directory is read or changed: a second
	 * process would cut "torn" tails the first is writing */
	e = lock_dir(sp, o->dir, err, cap);
	if (e)
		goto out_free;
	unlinkat(sp->dfd, "ack.tmp", 0);
	read_cursor(sp);
	e = list_segs(sp);
	for (i = 0; !e && i < sp->nseg; i++)
		e = scan_seg(sp, i);
	if (e) {
		snprintf(err, cap, "%s: %s", o->dir, strerror(-e));
		goto out_free;
	}
	sp->next_seq = sp->cursor;
	for (i = 0; i < sp->nseg; i++) {
		sp->total += sp->segs[i].size;
		if (sp->segs[i].nrec && sp->segs[i].last + 1 > sp->next_seq)
			sp->next_seq = sp->segs[i].last + 1;
	}
	seg_reap(sp); /* no append segment yet: empty ones go too */
	upl_spool_rewind(sp);
	*out = sp;
	return 0;
out_free:
	upl_spool_close(sp);
	return e;
}

void upl_spool_close(struct upl_spool *sp)
{
	if (!sp)
		return;
	if (sp->wfd >= 0)
		close(sp->wfd);
	if (sp->dfd >= 0)
		close(sp->dfd);
	if (sp->lfd >= 0)
		close(sp->lfd); /* the lock goes with it */
	free(sp->segs);
	free(sp->buf);
	free(sp);
}

static int seg_create(struct upl_spool *sp)
{
	char name[32];
	int e;

	seg_name(name, sp->next_seq);
	e = seg_push(sp, sp->next_seq);
	if (e)
		return e;
	sp->wfd = openat(sp->dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (sp->wfd < 0) {
		e = -errno;
		sp->nseg--;
		return e;
	}
	/* the new name must survive a power cut as the data will */
	if (!sp->no_sync)
		fsync(sp->dfd);
	return 0;
}

int upl_spool_append(struct upl_spool *sp, const void *data, size_t len, uint64_t *seq)
{
	uint8_t hdr[UPL_REC_HDR];
	struct iovec iov[2];
	uint64_t need = UPL_REC_HDR + (uint64_t)len;
	struct seg *s;
	ssize_t k;
	int e;

	if (!len || len > UPL_REC_MAX)
		return -EMSGSIZE;
	if (sp->wfd >= 0 && sp->segs[sp->nseg - 1].size &&
	    sp->segs[sp->nseg - 1].size + need > sp->seg_bytes) {
		close(sp->wfd);
		sp->wfd = -1;
	}
	while (sp->nseg && sp->total + need > sp->max_bytes) {
		if (sp->nseg == 1 && sp->wfd >= 0) {
			if (!sp->segs[0].size)
				break;
			close(sp->wfd);
			sp->wfd = -1;
		}
		e = seg_drop_oldest(sp);
		if (e)
			return e;
	}
	if (sp->wfd < 0) {
		e = seg_create(sp);
		if (e)
			return e;
	}
	s = &sp->segs[sp->nseg - 1];
	upl_rec_header(hdr, sp->next_seq, data, (uint32_t)len);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	do
		k = writev(sp->wfd, iov, 2);
	while (k < 0 && errno == EINTR);
	if (k != (ssize_t)need) {
		e = k < 0 ? -errno : -ENOSPC;
		/* a partial record would be a torn tail: take it back */
		if (ftruncate(sp->wfd, (off_t)s->size))
			e = -errno;
		return e;
	}
	if (!sp->no_sync && fdatasync(sp->wfd))
		return -errno;
	s->size += need;
	s->last = sp->next_seq;
	s->nrec++;
	sp->total += need;
	if (seq)
		*seq = sp->next_seq;
	sp->next_seq++;
	sp->st.appended++;
	return 0;
}

int upl_spool_next(struct upl_spool *sp, const void **data, size_t *len, uint64_t *seq)
{
	struct upl_rec r;
	int rc;

	if (sp->n == UPL_INFLIGHT)
		return 0;
	while (sp->rd_idx < sp->nseg) {
		struct seg *s = &sp->segs[sp->rd_idx];

		if (!sp->buf_ok || sp->buf_first != s->first) {
			sp->blen = 0;
			sp->buf_first = s->first;
			sp->buf_ok = 1;
		}
		if (sp->rd_off >= sp->blen) {
			if (s->size > sp->blen) {
				ssize_t k = load(sp, s->first, sp->blen, (size_t)s->size);

				if (k < 0) {
					sp->buf_ok = 0;
					return (int)k;
				}
				if ((size_t)k > sp->blen) {
					sp->blen = (size_t)k;
					continue;
				}
			}
			if (sp->rd_idx == sp->nseg - 1)
				return 0;
			sp->rd_idx++;
			sp->rd_off = 0;
			continue;
		}
		rc = upl_seg_read(sp->buf, sp->blen, &sp->rd_off, &r);
		if (rc == -EBADMSG) {
			if (!s->reported) {
				char name[32];

				seg_name(name, s->first);
				logf_(sp, "%s: corrupt record at offset %zu: %u bytes skipped",
				      name, sp->rd_off - r.len, r.len);
				sp->st.skipped++;
				s->reported = 1;
			}
			continue;
		}
		if (rc != 1 || r.seq < sp->rd_min)
			continue;
		sp->ring[(sp->head + sp->n) % UPL_INFLIGHT].seq = r.seq;
		sp->ring[(sp->head + sp->n) % UPL_INFLIGHT].acked = 0;
		sp->n++;
		sp->rd_min = r.seq + 1;
		*data = r.data;
		*len = r.len;
		*seq = r.seq;
		return 1;
	}
	return 0;
}

int upl_spool_ack(struct upl_spool *sp, uint64_t seq)
{
	unsigned int i;
	uint64_t old = sp->cursor;

	for (i = 0; i < sp->n; i++)
		if (sp->ring[(sp->head + i) % UPL_INFLIGHT].seq == seq)
			break;
	if (i == sp->n || sp->ring[(sp->head + i) % UPL_INFLIGHT].acked)
		return -ENOENT;
	sp->ring[(sp->head + i) % UPL_INFLIGHT].acked = 1;
	while (sp->n && sp->ring[sp->head].acked) {
		sp->cursor = sp->ring[sp->head].seq + 1;
		sp->head = (sp->head + 1) % UPL_INFLIGHT;
		sp->n--;
		sp->st.acked++;
	}
	if (sp->cursor == old)
		return 0;
	seg_reap(sp);
	return write_cursor(sp);
}

void upl_spool_rewind(struct upl_spool *sp)
{
	size_t i;

	sp->head = sp->n = 0;
	sp->rd_min = sp->cursor;
	for (i = 0; i < sp->nseg; i++)
		if (sp->segs[i].nrec && sp->segs[i].last >= sp->cursor)
			break;
	sp->rd_idx = i < sp->nseg ? i : sp->nseg ? sp->nseg - 1 : 0;
	sp->rd_off = 0;
}

void upl_spool_stats(const struct upl_spool *sp, struct upl_spool_stats *st)
{
	size_t i;

	*st = sp->st;
	st->bytes = sp->total;
	st->segments = sp->nseg;
	st->pending = 0;
	for (i = 0; i < sp->nseg; i++)
		st->pending += seg_pending(sp, &sp->segs[i]);
	st->cursor = sp->cursor;
	st->next_seq = sp->next_seq;
}
