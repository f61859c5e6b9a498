/* SPDX-License-Identifier: MIT */
/* clog.c - log reader/writer core and the candump compact log format. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "clog.h"

static const struct clog_format *const formats[] = { &clog_fmt_candump,
						     &clog_fmt_asc };
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

const struct clog_format *clog_format_find(const char *name)
{
	unsigned int i;

	if (!strcmp(name, "log"))
		return &clog_fmt_candump;
	for (i = 0; i < NFORMATS; i++)
		if (!strcmp(formats[i]->name, name))
			return formats[i];
	return NULL;
}

const char *clog_format_names(void)
{
	return "candump (alias log), asc";
}

int clog_fail(struct clog_reader *r, size_t col, const char *msg)
{
	snprintf(r->err, sizeof(r->err), "%s:%llu:%zu: %s", r->path,
		 (unsigned long long)r->line, col, msg);
	r->nbad++;
	return -EINVAL;
}

/* Stream mode: move the unread tail to the front and read more. */
static int refill(struct clog_reader *r)
{
	ssize_t n;

	if (r->mapped || r->eof)
		return 0;
	if (r->pos) {
		memmove(r->sbuf, r->sbuf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->len == r->scap)
		return -ENOBUFS;
	do
		n = read(r->fd, r->sbuf + r->len, r->scap - r->len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		r->eof = 1;
	r->len += (size_t)n;
	r->buf = r->sbuf;
	return (int)(n > 0);
}

int clog_next_line(struct clog_reader *r, const char **line, size_t *n)
{
	const char *nl;
	size_t l;
	int e;

	for (;;) {
		nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		if (nl || r->mapped || r->eof)
			break;
		e = refill(r);
		if (e == -ENOBUFS) {
			/* a line longer than the stream buffer: drop it whole */
			r->line++;
			r->pos = r->len;
			while ((e = refill(r)) > 0 || e == -ENOBUFS) {
				nl = memchr(r->buf, '\n', r->len);
				if (nl) {
					r->pos = (size_t)(nl - r->buf) + 1;
					return clog_fail(r, 1, "line too long");
				}
				r->pos = r->len;
			}
			return clog_fail(r, 1, "line too long");
		}
		if (e < 0)
			return e;
	}
	if (r->pos >= r->len && !nl)
		return 0;
	*line = r->buf + r->pos;
	l = nl ? (size_t)(nl - *line) : r->len - r->pos;
	r->pos += l + (nl ? 1 : 0);
	if (l && (*line)[l - 1] == '\r')
		l--;
	*n = l;
	r->line++;
	return 1;
}

static int detect(struct clog_reader *r)
{
	unsigned int i;
	int best = 0, score;
	size_t n;

	if (!r->mapped) {
		/* read enough of the stream to look at a few lines */
		while (!r->eof && r->len < 4096)
			if (refill(r) < 0)
				break;
	}
	n = r->len - r->pos < 65536 ? r->len - r->pos : 65536;
	for (i = 0; i < NFORMATS; i++) {
		score = formats[i]->probe(r->buf + r->pos, n);
		if (score > best) {
			best = score;
			r->fmt = formats[i];
		}
	}
	if (!r->fmt) {
		if (n == 0) { /* an empty input is an empty candump log */
			r->fmt = &clog_fmt_candump;
			return 0;
		}
		snprintf(r->err, sizeof(r->err),
			 "%s: unknown log format (known: %s); use --from",
			 r->path, clog_format_names());
		return -EPROTO;
	}
	return 0;
}

int clog_reader_open_mem(struct clog_reader *r, const char *name,
			 const char *buf, size_t len,
			 const struct clog_format *fmt)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->path = name;
	r->buf = buf;
	r->len = len;
	r->mapped = 1;
	r->fmt = fmt;
	r->asc_hex = 1;
	if (!fmt)
		return detect(r);
	return 0;
}

int clog_reader_open(struct clog_reader *r, const char *path,
		     const struct clog_format *fmt)
{
	struct stat st;
	void *m;
	int err;

	memset(r, 0, sizeof(*r));
	r->fmt = fmt;
	r->asc_hex = 1;
	if (!strcmp(path, "-")) {
		r->path = "<stdin>";
		r->fd = STDIN_FILENO;
	} else {
		r->path = path;
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0)
			return -errno;
	}
	if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		/* prefault what fits comfortably: one call instead of a
		 * page fault per 4 KiB */
		m = mmap(NULL, (size_t)st.st_size, PROT_READ,
			 MAP_PRIVATE | (st.st_size <= (256 << 20) ? MAP_POPULATE : 0),
			 r->fd, 0);
		if (m != MAP_FAILED) {
			madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
			r->buf = m;
			r->len = (size_t)st.st_size;
			r->mapped = 1;
		}
	}
	if (!r->mapped) {
		r->scap = CLOG_STREAM_BUF;
		r->sbuf = malloc(r->scap);
		if (!r->sbuf) {
			err = -ENOMEM;
			goto out_close;
		}
		r->buf = r->sbuf;
	}
	if (!fmt && (err = detect(r)))
		goto out_close;
	return 0;

out_close:
	clog_reader_close(r);
	return err;
}

void clog_reader_close(struct clog_reader *r)
{
	if (r->mapped && r->fd >= 0 && r->buf)
		munmap((void *)(uintptr_t)r->buf, r->len);
	free(r->sbuf);
	r->sbuf = NULL;
	r->buf = NULL;
	if (r->fd > STDIN_FILENO)
		close(r->fd);
	r->fd = -1;
}

int clog_read(struct clog_reader *r, struct clog_rec *rec)
{
	int e;

	if (!r->fmt->read)
		return -EOPNOTSUPP;
	memset(rec, 0, sizeof(*rec));
	e = r->fmt->read(r, rec);
	if (e > 0)
		r->nread++;
	return e;
}

/* ---- writer core ---- */

int clog_writer_init(struct clog_writer *w, int fd, const struct clog_format *fmt,
		     const struct clog_wopts *o)
{
	memset(w, 0, offsetof(struct clog_writer, wbuf));
	if (!fmt->write)
		return -EINVAL;
	w->fmt = fmt;
	w->fd = fd;
	if (o)
		w->o = *o;
	return 0;
}

int clog_writer_flush(struct clog_writer *w)
{
	size_t off = 0;
	ssize_t n;

	while (off < w->wlen && !w->werr) {
		n = write(w->fd, w->wbuf + off, w->wlen - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			w->werr = -errno;
			break;
		}
		off += (size_t)n;
	}
	w->wlen = 0;
	return w->werr;
}

char *clog_wreserve(struct clog_writer *w, size_t n)
{
	if (w->wlen + n > sizeof(w->wbuf))
		clog_writer_flush(w);
	return w->wbuf + w->wlen;
}

void clog_wcommit(struct clog_writer *w, size_t n)
{
	w->wlen += n;
}

int clog_write(struct clog_writer *w, const struct clog_rec *rec)
{
	int e;

	if (w->werr)
		return w->werr;
	if (!w->began) {
		w->began = 1;
		if (w->fmt->write_begin && (e = w->fmt->write_begin(w, rec)))
			return e;
	}
	e = w->fmt->write(w, rec);
	if (!e)
		w->nwritten++;
	return e ? e : w->werr;
}

int clog_writer_fini(struct clog_writer *w)
{
	int e = 0;

	if (w->began && w->fmt->write_end)
		e = w->fmt->write_end(w);
	if (clog_writer_flush(w))
		return w->werr;
	return e;
}

char *clog_put_dec(char *p, uint64_t v, int width, char pad)
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

size_t clog_format_ts(uint64_t ts_ns, int digits, char *out)
{
	/* seconds change rarely on a busy bus: keep their digits */
	static __thread uint64_t last_sec = UINT64_MAX;
	static __thread char sec_txt[24];
	static __thread size_t sec_len;
	char *p = out;
	uint64_t frac = ts_ns % 1000000000ull, sec = ts_ns / 1000000000ull;

	*p++ = '(';
	if (sec != last_sec) {
		sec_len = (size_t)(clog_put_dec(sec_txt, sec, 10, '0') - sec_txt);
		last_sec = sec;
	}
	memcpy(p, sec_txt, sec_len);
	p += sec_len;
	*p++ = '.';
	if (digits == 9)
		p = clog_put_dec(p, frac, 9, '0');
	else
		p = clog_put_dec(p, frac / 1000, 6, '0');
	*p++ = ')';
	*p = '\0';
	return (size_t)(p - out);
}

/* ---- candump compact log ---- */

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Skips blanks, sets *tok to the next field; returns the end of it. */
static const char *next_field(const char *p, const char *end, const char **tok)
{
	const char *e, *t;

	while (p < end && is_space(*p))
		p++;
	*tok = p;
	/* fields run to 140 characters (FD frames): let memchr find the end */
	e = memchr(p, ' ', (size_t)(end - p));
	if (!e)
		e = end;
	t = memchr(p, '\t', (size_t)(e - p));
	return t ? t : e;
}

static int candump_probe(const char *buf, size_t n)
{
	size_t i = 0;
	int lines = 0, good = 0;

	while (i < n && lines < 8) {
		const char *l = buf + i, *e = memchr(l, '\n', n - i);
		size_t len = e ? (size_t)(e - l) : n - i;

		i += len + 1;
		/* the reader skips leading blanks (cantools' examples have one) */
		while (len && is_space(*l)) {
			l++;
			len--;
		}
		if (!len || l[0] == '#')
			continue;
		lines++;
		if (l[0] == '(' && len > 3 && l[1] >= '0' && l[1] <= '9' &&
		    memchr(l, ')', len) && memchr(l, '#', len))
			good++;
	}
	if (!lines)
		return 0;
	return good * 100 / lines >= 50 ? 90 : 0;
}

static int candump_read(struct clog_reader *r, struct clog_rec *rec)
{
	const char *l, *p, *end, *tok;
	uint64_t sec = 0, frac = 0;
	unsigned int nd;
	struct cf_perr pe;
	size_t n;
	int e;

	for (;;) {
		e = clog_next_line(r, &l, &n);
		if (e <= 0)
			return e;
		p = l;
		end = l + n;
		while (p < end && is_space(*p))
			p++;
		if (p == end || *p == '#')
			continue; /* blank lines and # comments */
		break;
	}
	if (*p != '(')
		return clog_fail(r, (size_t)(p - l) + 1, "expected '(' and a timestamp");
	p++;
	for (nd = 0; p < end && *p >= '0' && *p <= '9'; p++, nd++)
		sec = sec * 10 + (uint64_t)(*p - '0');
	if (!nd || nd > 12)
		return clog_fail(r, (size_t)(p - l) + 1, "bad timestamp seconds");
	if (p == end || *p != '.')
		return clog_fail(r, (size_t)(p - l) + 1, "expected '.' in timestamp");
	p++;
	for (nd = 0; p < end && *p >= '0' && *p <= '9'; p++, nd++) {
		if (nd < 9)
			frac = frac * 10 + (uint64_t)(*p - '0');
	}
	if (nd != 6 && nd != 9)
		return clog_fail(r, (size_t)(p - l) + 1,
				 "timestamp needs 6 or 9 fractional digits");
	if (nd == 6)
		frac *= 1000;
	if (p == end || *p != ')')
		return clog_fail(r, (size_t)(p - l) + 1, "expected ')' after timestamp");
	p++;
	if (p == end || !is_space(*p))
		return clog_fail(r, (size_t)(p - l) + 1, "expected space after timestamp");
	p = next_field(p, end, &tok);
	if (p == tok)
		return clog_fail(r, (size_t)(p - l) + 1, "missing interface name");
	if ((size_t)(p - tok) >= CLOG_IFNAME_MAX)
		return clog_fail(r, (size_t)(tok - l) + 1, "interface name too long");
	rec->ifname = tok;
	rec->ifname_len = (size_t)(p - tok);
	p = next_field(p, end, &tok);
	if (p == tok)
		return clog_fail(r, (size_t)(p - l) + 1, "missing CAN frame");
	e = cf_parse(&rec->f, r->data, tok, (size_t)(p - tok), &pe);
	if (e)
		return clog_fail(r, (size_t)(tok - l) + pe.col + 1, pe.msg);
	while (p < end && is_space(*p))
		p++;
	if (p < end) {
		const char *x = end;

		while (x > p && is_space(x[-1]))
			x--;
		rec->extra = p;
		rec->extra_len = (size_t)(x - p);
		if (p[0] == 'T' && (rec->extra_len == 1 || is_space(p[1])))
			rec->f.dir = CF_DIR_TX;
	}
	rec->f.ts_ns = sec * 1000000000ull + frac;
	rec->ts_digits = (uint8_t)nd;
	return 1;
}

static int candump_write(struct clog_writer *w, const struct clog_rec *rec)
{
	char *p = clog_wreserve(w, 64 + 2 * CLOG_IFNAME_MAX + CF_COMPACT_MAX +
					   rec->extra_len);
	char *s = p;
	int digits = w->o.ts_digits ? w->o.ts_digits : rec->ts_digits;
	size_t pad;

	p += clog_format_ts(rec->f.ts_ns, digits, p);
	*p++ = ' ';
	/* candump right-aligns names to the longest one seen so far */
	if ((int)rec->ifname_len < w->ifname_width) {
		pad = (size_t)w->ifname_width - rec->ifname_len;
		memset(p, ' ', pad);
		p += pad;
	}
	if (rec->ifname_len)
		memcpy(p, rec->ifname, rec->ifname_len);
	p += rec->ifname_len;
	*p++ = ' ';
	p += cf_format_compact(&rec->f, p);
	if (rec->extra_len) {
		*p++ = ' ';
		memcpy(p, rec->extra, rec->extra_len);
		p += rec->extra_len;
	}
	*p++ = '\n';
	clog_wcommit(w, (size_t)(p - s));
	return 0;
}

const struct clog_format clog_fmt_candump = {
	.name = "candump",
	.probe = candump_probe,
	.read = candump_read,
	.write = candump_write,
};
