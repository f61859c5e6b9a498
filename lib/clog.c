/* SPDX-License-Identifier: MIT */
/* clog.c - log reader/writer core and the candump compact log format. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "clog.h"

static const struct clog_format *const formats[] = {
	&clog_fmt_candump, &clog_fmt_asc, &clog_fmt_screen, &clog_fmt_pcapng,
	&clog_fmt_pcap,	   &clog_fmt_blf, &clog_fmt_trc};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

const struct clog_format *clog_format_find(const char *name)
{
	unsigned int i;

	if (!strcmp(name, "log"))
		return &clog_fmt_candump;
	if (!strcmp(name, "screen"))
		return &clog_fmt_screen;
	for (i = 0; i < NFORMATS; i++)
		if (!strcmp(formats[i]->name, name))
			return formats[i];
	return NULL;
}

const char *clog_format_names(void)
{
	return "candump (alias log), asc, blf, pcapng, pcap, trc, candump-screen (alias screen; "
	       "read "
	       "only)";
}

uint64_t clog_writer_size(struct clog_writer *w, uint64_t limit)
{
	return w->blf ? clog_blf_size(w, limit) : w->nbytes;
}

const char *clog_format_write_names(void)
{
	/* tests/test_clog.c checks it against the formats' write callbacks */
	return "candump (alias log), asc, blf, pcapng, pcap, trc";
}

const char *clog_lost_str(unsigned int bit)
{
	switch (bit) {
	case CLOG_LOST_IFNAME:
		return "interface names";
	case CLOG_LOST_EXTRA:
		return "text after the frames";
	case CLOG_LOST_FDF:
		return "FD flags without FDF";
	case CLOG_LOST_SUBUS:
		return "time below a microsecond";
	case CLOG_LOST_ERRBITS:
		return "error frame details";
	case CLOG_LOST_FDRAW:
		return "FD flag bits other than BRS and ESI";
	case CLOG_LOST_EARLY:
		return "times before the first frame";
	case CLOG_LOST_LEN8DLC:
		return "DLC 9-15 of classic frames (candump's _X)";
	default:
		return "";
	}
}

int clog_fail(struct clog_reader *r, size_t col, const char *msg)
{
	snprintf(r->err, sizeof(r->err), "%s:%llu:%zu: %s", r->path, (unsigned long long)r->line,
		 col, msg);
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
		r->sbase += r->pos;
		memmove(r->sbuf, r->sbuf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->len == r->scap)
		return -ENOBUFS;
	do
		n = read(r->fd, r->sbuf + r->len, r->scap - r->len);
	while (n < 0 && errno == EINTR && !(r->stop && *r->stop));
	if (n < 0)
		return -errno;
	if (n == 0)
		r->eof = 1;
	r->len += (size_t)n;
	r->buf = r->sbuf;
	return (int)(n > 0);
}

ssize_t clog_need(struct clog_reader *r, size_t want)
{
	int e;

	while (r->len - r->pos < want && !r->mapped && !r->eof) {
		e = refill(r);
		if (e < 0)
			return e;
	}
	return (ssize_t)(r->len - r->pos);
}

uint64_t clog_offset(const struct clog_reader *r)
{
	return r->sbase + r->pos;
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
	r->line_open = !nl;
	if (l && (*line)[l - 1] == '\r')
		l--;
	*n = l;
	r->line++;
	return 1;
}

/* Stream mode: is there a whole line that is not blank or a # comment? */
static int have_first_line(const struct clog_reader *r)
{
	const char *p = r->buf + r->pos, *end = r->buf + r->len;

	for (; p < end; p++) {
		if (*p == '#') {
			p = memchr(p, '\n', (size_t)(end - p));
			if (!p)
				return 0;
		} else if (!is_space(*p) && *p != '\n' && *p != '\r') {
			return memchr(p, '\n', (size_t)(end - p)) != NULL;
		}
	}
	return 0;
}

static void probe_all(struct clog_reader *r, size_t n)
{
	unsigned int i;
	int best = 0, score;

	for (i = 0; i < NFORMATS; i++) {
		score = formats[i]->probe(r->buf + r->pos, n);
		if (score > best) {
			best = score;
			r->fmt = formats[i];
		}
	}
}

/* A binary format's magic number decides on the first bytes alone. */
static int probe_magic(struct clog_reader *r)
{
	size_t n = r->len - r->pos < 65536 ? r->len - r->pos : 65536;
	unsigned int i;

	for (i = 0; i < NFORMATS; i++) {
		if (formats[i]->probe(r->buf + r->pos, n) >= CLOG_PROBE_MAGIC) {
			r->fmt = formats[i];
			return 1;
		}
	}
	return 0;
}

static int detect(struct clog_reader *r)
{
	const char *nl;
	size_t n = 0;

	/*
	 * A live pipe may send one line and then wait for the bus: decide on
	 * the first line that says something, and read on (up to 4 KiB) only
	 * while no format claims what is there.  Waiting for a full buffer
	 * would hold back a live capture until the bus had filled it.
	 */
	for (;;) {
		if (r->len - r->pos >= 4 && probe_magic(r))
			break;
		if (r->mapped || r->eof || have_first_line(r)) {
			n = r->len - r->pos;
			if (!r->mapped && !r->eof) {
				/* whole lines only: a torn last line is no evidence */
				nl = memrchr(r->buf + r->pos, '\n', n);
				n = nl ? (size_t)(nl - (r->buf + r->pos)) + 1 : 0;
			}
			if (n > 65536)
				n = 65536;
			probe_all(r, n);
			if (r->fmt || r->mapped || r->eof || r->len - r->pos >= 4096)
				break;
		}
		if (refill(r) < 0)
			break;
	}
	if (!r->fmt) {
		if (r->len == r->pos) { /* an empty input is an empty candump log */
			r->fmt = &clog_fmt_candump;
			return 0;
		}
		snprintf(r->err, sizeof(r->err), "%s: unknown log format (known: %s)", r->path,
			 clog_format_names());
		return -EPROTO;
	}
	return 0;
}

int clog_reader_open_mem(struct clog_reader *r, const char *name, const char *buf, size_t len,
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

int clog_reader_open(struct clog_reader *r, const char *path, const struct clog_format *fmt)
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
			 MAP_PRIVATE | (st.st_size <= (256 << 20) ? MAP_POPULATE : 0), r->fd, 0);
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
	if (r->fmt && r->fmt->reader_close)
		r->fmt->reader_close(r);
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
	if (e == -EINVAL && r->line_open && !r->fatal && r->pos >= r->len) {
		/* a text file cut inside its last line: torn, not a bad line */
		char msg[CLOG_ERRMSG_MAX];
		const char *c = strchr(r->err, ':');

		/* "file:line:col: msg" -> "file:line:col: truncated ... (msg)" */
		c = c ? strchr(c + 1, ':') : NULL;
		c = c ? strchr(c + 1, ':') : NULL;
		if (c && c[1] == ' ') {
			snprintf(msg, sizeof(msg),
				 "%.*s: truncated at byte %llu: the file ends "
				 "inside this line (%s)",
				 (int)(c - r->err), r->err, (unsigned long long)clog_offset(r),
				 c + 2);
			memcpy(r->err, msg, sizeof(r->err));
		}
		r->fatal = 1;
	}
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
	w->nbytes += n; /* for dump -l --rotate SIZE, without a syscall per frame */
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
	/* only these carry can_frame.len8_dlc: the others write the 8 bytes */
	if (rec->f.len8_dlc && w->fmt != &clog_fmt_candump && w->fmt != &clog_fmt_pcapng &&
	    w->fmt != &clog_fmt_pcap)
		w->lost |= CLOG_LOST_LEN8DLC;
	e = w->fmt->write(w, rec);
	if (!e)
		w->nwritten++;
	return e ? e : w->werr;
}

unsigned int clog_writer_channel(struct clog_writer *w, const struct clog_rec *rec)
{
	unsigned int i;

	if (!w->nchan && w->o.nchannels) {
		/* copy the fixed list once; unknown names then map to 0 */
		for (i = 0; i < w->o.nchannels && i < CLOG_MAX_CHANNELS; i++) {
			snprintf(w->chan[i], CLOG_IFNAME_MAX, "%s", w->o.channels[i]);
			w->chan_len[i] = (uint8_t)strlen(w->chan[i]);
		}
		w->nchan = i;
	}
	for (i = 0; i < w->nchan; i++)
		if (w->chan_len[i] == rec->ifname_len &&
		    !memcmp(w->chan[i], rec->ifname, rec->ifname_len))
			return i + 1;
	if (w->o.nchannels || w->nchan == CLOG_MAX_CHANNELS || rec->ifname_len >= CLOG_IFNAME_MAX)
		return 0;
	memcpy(w->chan[w->nchan], rec->ifname, rec->ifname_len);
	w->chan[w->nchan][rec->ifname_len] = '\0';
	w->chan_len[w->nchan] = (uint8_t)rec->ifname_len;
	return ++w->nchan;
}

int clog_writer_fini(struct clog_writer *w)
{
	int e = 0;

	/* no record at all (a quiet bus, an empty log): the format's header
	 * still goes out, so a BLF, pcapng or ASC file is valid and opens */
	if (!w->began && w->fmt->write_begin && !w->werr) {
		struct clog_rec none;
		struct timespec ts;

		memset(&none, 0, sizeof(none));
		clock_gettime(CLOCK_REALTIME, &ts);
		none.f.ts_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		none.ts_digits = 6;
		w->began = 1;
		e = w->fmt->write_begin(w, &none);
	}
	if (w->began && w->fmt->write_end && !e)
		e = w->fmt->write_end(w);
	if (clog_writer_flush(w))
		return w->werr;
	return e;
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
		sec_len = (size_t)(cf_put_dec(sec_txt, sec, 10, '0') - sec_txt);
		last_sec = sec;
	}
	memcpy(p, sec_txt, sec_len);
	p += sec_len;
	*p++ = '.';
	if (digits == 9)
		p = cf_put_dec(p, frac, 9, '0');
	else
		p = cf_put_dec(p, frac / 1000, 6, '0');
	*p++ = ')';
	*p = '\0';
	return (size_t)(p - out);
}

/* ---- candump compact log ---- */

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
		if (l[0] == '(' && len > 3 && l[1] >= '0' && l[1] <= '9' && memchr(l, ')', len) &&
		    memchr(l, '#', len))
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
	e = cf_parse(&rec->f, r->cur.d, tok, (size_t)(p - tok), &pe);
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
	char *p = clog_wreserve(w, 64 + 2 * CLOG_IFNAME_MAX + CF_COMPACT_MAX + rec->extra_len);
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

/* ---- candump screen format (candump without -L) ---- */

/*
 * Layout, as can-utils 2020.11 candump (and canrig dump) print it:
 *   " (TIME)  IF  [RX|TX B|- E|-]  ID  [N]  XX XX ...  [ERRORFRAME|'ascii']"
 * TIME is optional: "(1700000000.050000)" for -t a (10 digits of seconds),
 * "(000.010000)" for -t d / -t z, "(2026-12-07 10:00:00.123456)" for -t A.
 * IF is right-aligned, an 11-bit ID is indented once a 29-bit one was
 * seen, and the length tells the frame kind: " [4]" classic, "[04]" CAN FD.
 * candump -e puts its error text on tab-indented lines below the frame.
 */
enum { SCR_TS_NONE, SCR_TS_ABS, SCR_TS_REL };

struct scr_line {
	int ts_kind;
	uint64_t ts_ns;
	uint8_t ts_digits; /* 6, or 9 from canrig dump -9 -t a */
	int xinfo;	   /* -x columns were there */
	size_t col;	   /* on error: 0-based column */
	const char *msg;   /* on error: what is wrong */
};

static int scr_fail(struct scr_line *s, const char *l, const char *p, const char *msg)
{
	s->col = (size_t)(p - l);
	s->msg = msg;
	return -1;
}

static const char *skip_blank(const char *p, const char *end)
{
	while (p < end && is_space(*p))
		p++;
	return p;
}

/* Reads exactly n decimal digits at *p; returns -1 if they are not there. */
static int get_dec(const char **p, const char *end, unsigned int n, int *v)
{
	int x = 0;

	if ((size_t)(end - *p) < n)
		return -1;
	while (n--) {
		if (**p < '0' || **p > '9')
			return -1;
		x = x * 10 + (**p - '0');
		(*p)++;
	}
	*v = x;
	return 0;
}

/* "2026-12-07 10:00:00" in local time, as candump -t A prints it. */
static int scr_local_time(struct clog_reader *r, const char *p, const char *end, int64_t *sec)
{
	const char *q = p;
	struct tm tm;
	time_t t;
	int y, mo, d, h, mi, s;

	if (get_dec(&q, end, 4, &y) || *q++ != '-' || get_dec(&q, end, 2, &mo) || *q++ != '-' ||
	    get_dec(&q, end, 2, &d) || *q++ != ' ' || get_dec(&q, end, 2, &h) || *q++ != ':' ||
	    get_dec(&q, end, 2, &mi) || *q++ != ':' || get_dec(&q, end, 2, &s))
		return -1;
	/* DST changes on minute boundaries: one mktime per minute is exact */
	if (r && !memcmp(r->scr_lt_key, p, 16)) {
		*sec = r->scr_lt_sec + s;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	if (r) {
		memcpy(r->scr_lt_key, p, 16);
		r->scr_lt_sec = (int64_t)t;
	}
	*sec = (int64_t)t + s;
	return 0;
}

/* "(...)" at p; returns the position after ')' or NULL (s says why). */
static const char *scr_time(struct clog_reader *r, const char *l, const char *p, const char *end,
			    struct scr_line *s)
{
	const char *close = memchr(p, ')', (size_t)(end - p)), *q = p + 1;
	uint64_t sec = 0, frac = 0;
	unsigned int nd;
	int64_t lsec;

	if (!close) {
		scr_fail(s, l, p, "expected ')' after timestamp");
		return NULL;
	}
	if (close - q >= 19 && q[4] == '-') {
		if (scr_local_time(r, q, close, &lsec) || lsec < 0) {
			scr_fail(s, l, q, "bad date and time (candump -t A)");
			return NULL;
		}
		sec = (uint64_t)lsec;
		q += 19;
		s->ts_kind = SCR_TS_ABS;
	} else {
		for (nd = 0; q < close && *q >= '0' && *q <= '9'; q++, nd++)
			sec = sec * 10 + (uint64_t)(*q - '0');
		if (!nd || nd > 12) {
			scr_fail(s, l, q, "bad timestamp seconds");
			return NULL;
		}
		/* -t a prints 10 digits of seconds, -t d and -t z at least 3 */
		s->ts_kind = nd >= 10 ? SCR_TS_ABS : SCR_TS_REL;
	}
	if (q == close || *q != '.') {
		scr_fail(s, l, q, "expected '.' in timestamp");
		return NULL;
	}
	q++;
	for (nd = 0; q < close && *q >= '0' && *q <= '9'; q++, nd++)
		if (nd < 9)
			frac = frac * 10 + (uint64_t)(*q - '0');
	if (nd != 6 && nd != 9) {
		scr_fail(s, l, q, "timestamp needs 6 or 9 fractional digits");
		return NULL;
	}
	if (q != close) {
		scr_fail(s, l, q, "expected ')' after timestamp");
		return NULL;
	}
	s->ts_ns = sec * 1000000000ull + (nd == 6 ? frac * 1000 : frac);
	s->ts_digits = (uint8_t)nd;
	q++;
	if (q < end && !is_space(*q)) {
		scr_fail(s, l, q, "expected space after timestamp");
		return NULL;
	}
	return q;
}

/* One -x flag column: c or '-' alone. */
static const char *scr_flag(const char *p, const char *end, char c, int *on)
{
	if (p < end && (*p == c || *p == '-') && (p + 1 == end || is_space(p[1]))) {
		*on = *p == c;
		return p + 1;
	}
	return NULL;
}

/*
 * Parses one screen line into rec (payload into data, CF_MAX_LEN bytes).
 * r (may be NULL) only caches local time.  Returns 1 with a frame, 0 for a
 * line without one (blank, '#' comment, candump -e's error text, DROPCOUNT
 * notes), -1 with s->col and s->msg.
 */
static int scr_parse(struct clog_reader *r, const char *l, size_t n, struct clog_rec *rec,
		     uint8_t *data, struct scr_line *s)
{
	const char *p = l, *end = l + n, *tok, *idtok;
	unsigned int len, i, idlen;
	uint32_t id = 0;
	int hi, lo, brs = 0, esi = 0, e;

	memset(s, 0, sizeof(*s));
	if (n && l[0] == '\t')
		return 0; /* candump -e: the words under an error frame */
	p = skip_blank(p, end);
	if (p == end || *p == '#')
		return 0;
	if ((size_t)(end - p) >= 10 && !memcmp(p, "DROPCOUNT:", 10))
		return 0;
	if (*p == '(') {
		p = scr_time(r, l, p, end, s);
		if (!p)
			return -1;
		p = skip_blank(p, end);
	}
	tok = p;
	while (p < end && !is_space(*p))
		p++;
	if (p == tok)
		return scr_fail(s, l, p, "missing interface name");
	if ((size_t)(p - tok) >= CLOG_IFNAME_MAX)
		return scr_fail(s, l, tok, "interface name too long");
	rec->ifname = tok;
	rec->ifname_len = (size_t)(p - tok);
	p = skip_blank(p, end);
	/* -x: "RX - -" or "TX B E" (ids are hex: no R, T or X in them) */
	if (end - p >= 3 && (p[0] == 'R' || p[0] == 'T') && p[1] == 'X' && is_space(p[2])) {
		rec->f.dir = p[0] == 'T' ? CF_DIR_TX : CF_DIR_RX;
		s->xinfo = 1;
		p = skip_blank(p + 2, end);
		tok = scr_flag(p, end, 'B', &brs);
		if (!tok)
			return scr_fail(s, l, p, "expected 'B' or '-' (candump -x BRS column)");
		p = skip_blank(tok, end);
		tok = scr_flag(p, end, 'E', &esi);
		if (!tok)
			return scr_fail(s, l, p, "expected 'E' or '-' (candump -x ESI column)");
		p = skip_blank(tok, end);
	}
	if (p == end)
		return scr_fail(s, l, p, "missing CAN id");
	tok = idtok = p;
	while (p < end && cf_hexval(*p) >= 0)
		id = id << 4 | (uint32_t)cf_hexval(*p++);
	idlen = (unsigned int)(p - tok);
	if ((idlen != 3 && idlen != 8) || (p < end && !is_space(*p)))
		return scr_fail(s, l, tok, "CAN id must have 3 (11-bit) or 8 (29-bit) hex digits");
	if (idlen == 8) {
		if (id & 0x20000000u)
			rec->f.flags |= CF_ERR;
		else if (id & 0xC0000000u)
			return scr_fail(s, l, tok, "29-bit CAN id out of range");
		else
			rec->f.flags |= CF_EFF;
		id &= CF_EFF_MASK;
	}
	rec->f.id = id;
	p = skip_blank(p, end);
	tok = p;
	if (p == end || *p != '[')
		return scr_fail(s, l, p, "expected '[' and the length");
	p++;
	/* " [8]" is a classic frame, "[08]" a CAN FD frame */
	if (end - p >= 2 && p[0] >= '0' && p[0] <= '8' && p[1] == ']') {
		len = (unsigned int)(p[0] - '0');
		p += 2;
	} else if (end - p >= 3 && p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' &&
		   p[2] == ']' && cf_fd_len_valid((unsigned int)((p[0] - '0') * 10 + p[1] - '0'))) {
		len = (unsigned int)((p[0] - '0') * 10 + p[1] - '0');
		rec->f.flags |= CF_FD;
		p += 3;
	} else {
		return scr_fail(s, l, tok, "length must be 0-8 in [N] or a CAN FD length in [NN]");
	}
	rec->f.len = (uint8_t)len;
	if (brs)
		rec->f.flags |= CF_BRS;
	if (esi)
		rec->f.flags |= CF_ESI;
	tok = skip_blank(p, end);
	if (!(rec->f.flags & CF_FD) && (size_t)(end - tok) >= 14 &&
	    !memcmp(tok, "remote request", 14)) {
		rec->f.flags |= CF_RTR;
		p = tok + 14;
	} else {
		rec->f.data = data;
		for (i = 0; i < len; i++) {
			tok = skip_blank(p, end);
			if (tok == p || tok == end)
				return scr_fail(s, l, tok, "fewer data bytes than the length says");
			hi = cf_hexval(tok[0]);
			lo = tok + 1 < end ? cf_hexval(tok[1]) : -1;
			if (hi < 0 || lo < 0 || (tok + 2 < end && !is_space(tok[2])))
				return scr_fail(s, l, tok, "bad hex byte in data");
			data[i] = (uint8_t)(hi << 4 | lo);
			p = tok + 2;
		}
	}
	/* what may follow: "ERRORFRAME" (error frames), 'ascii' (candump -a) */
	tok = skip_blank(p, end);
	if (tok < end && (tok == p || *tok != '\'') &&
	    !((rec->f.flags & CF_ERR) && tok > p && (size_t)(end - tok) == 10 &&
	      !memcmp(tok, "ERRORFRAME", 10)))
		return scr_fail(s, l, tok, "unexpected text after the data");
	if ((brs || esi) && !(rec->f.flags & CF_FD))
		return scr_fail(s, l, idtok, "BRS or ESI (candump -x) on a classic frame");
	e = cf_validate(&rec->f);
	if (e)
		return scr_fail(s, l, idtok, cf_strerror(e));
	return 1;
}

static int screen_probe(const char *buf, size_t n)
{
	struct clog_rec rec;
	struct scr_line s;
	uint8_t data[CF_MAX_LEN];
	size_t i = 0;
	int lines = 0, good = 0, e;

	while (i < n && lines < 8) {
		const char *l = buf + i, *nl = memchr(l, '\n', n - i);
		size_t len = nl ? (size_t)(nl - l) : n - i;

		i += len + 1;
		if (len && l[len - 1] == '\r')
			len--;
		memset(&rec, 0, sizeof(rec));
		e = scr_parse(NULL, l, len, &rec, data, &s);
		if (e == 0)
			continue;
		lines++;
		if (e > 0)
			good++;
	}
	/* above candump's 90: an -a text column may hold a '#' */
	return lines && good * 100 / lines >= 50 ? 92 : 0;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int screen_read(struct clog_reader *r, struct clog_rec *rec)
{
	struct scr_line s;
	const char *l;
	size_t n;
	int e;

	for (;;) {
		e = clog_next_line(r, &l, &n);
		if (e <= 0)
			return e;
		e = scr_parse(r, l, n, rec, r->cur.d, &s);
		if (e < 0)
			return clog_fail(r, s.col + 1, s.msg);
		if (e > 0)
			break;
	}
	switch (s.ts_kind) {
	case SCR_TS_ABS:
		rec->f.ts_ns = s.ts_ns;
		rec->ts_kind = CLOG_TS_ABS;
		break;
	case SCR_TS_REL:
		if (r->flags & CLOG_RD_DELTA) {
			r->scr_rel_ns += s.ts_ns;
			rec->f.ts_ns = r->scr_rel_ns;
		} else {
			rec->f.ts_ns = s.ts_ns;
		}
		rec->ts_kind = CLOG_TS_REL;
		break;
	default:
		/* a live capture is timed on arrival; a file stays repeatable */
		rec->f.ts_ns = r->mapped ? 0 : wall_ns();
		rec->ts_kind = CLOG_TS_NONE;
	}
	rec->ts_digits = s.ts_digits ? s.ts_digits : 6;
	if (s.xinfo) {
		/* as candump -L -x writes it, so a conversion keeps it */
		rec->extra = rec->f.dir == CF_DIR_TX ? "T" : "R";
		rec->extra_len = 1;
	}
	return 1;
}

const struct clog_format clog_fmt_screen = {
	.name = "candump-screen",
	.probe = screen_probe,
	.read = screen_read,
};
