/* SPDX-License-Identifier: MIT */
/*
 * clog.h - CAN log formats: a small format layer with streaming readers that
 * yield cf_frame views and buffered writers.
 *
 * Formats today: "candump" (can-utils compact log, read+write), "asc"
 * (Vector ASCII, read+write), "blf" (Vector binary, read+write, in
 * clog_blf.c) and "candump-screen" (what candump prints
 * without -L, with any -t a|d|z|A, -x, -a or -e; read only).  A format is a struct clog_format with
 * a probe for autodetection and optional read / write callbacks, so binary formats (BLF, pcap) slot
 * in later without touching callers.
 *
 * Readers mmap regular files and stream pipes/stdin through a bounded
 * buffer; records are views into that buffer plus a small per-reader payload
 * buffer, valid until the next clog_read() call.
 */
#ifndef CANRIG_CLOG_H
#define CANRIG_CLOG_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CLOG_IFNAME_MAX 32
#define CLOG_ERRMSG_MAX 512
#define CLOG_STREAM_BUF (1u << 20) /* longest line accepted from a stream */

/* One log record.  Borrowed pointers live until the next clog_read(). */
struct clog_rec {
	struct cf_frame f;  /* f.data points into the reader */
	const char *ifname; /* not NUL-terminated: use ifname_len */
	size_t ifname_len;
	const char *extra; /* trailing candump -x info ("R", "T"), or NULL */
	size_t extra_len;
	uint8_t ts_digits;    /* fractional digits seen/wanted: 6 or 9 */
	uint8_t ts_kind;      /* enum clog_ts_kind: where f.ts_ns came from */
	unsigned int channel; /* ASC channel number (1-based) if known, else 0 */
};

/*
 * Where a record's time came from.  Only the screen format has lines
 * without an absolute time (candump without -t, or -t d / -t z).
 */
enum clog_ts_kind {
	CLOG_TS_ABS = 0, /* absolute, from the line (seconds since the epoch) */
	CLOG_TS_REL,	 /* relative, from the line: seconds since the first
			  * frame (-t z, or -t d deltas added up) */
	CLOG_TS_NONE,	 /* the line has none: the wall-clock time the line was
			  * read on a pipe or terminal (a live capture), 0 from
			  * a regular file (so decoding a file is repeatable) */
};

struct clog_reader;
struct clog_writer;

struct clog_format {
	const char *name;
	/* Returns a confidence 0..100 that buf (file start, n bytes) is ours. */
	int (*probe)(const char *buf, size_t n);
	/* Returns 1 with a record, 0 at end, -EINVAL for a bad line, -errno. */
	int (*read)(struct clog_reader *r, struct clog_rec *rec);
	int (*write_begin)(struct clog_writer *w, const struct clog_rec *first);
	int (*write)(struct clog_writer *w, const struct clog_rec *rec);
	int (*write_end)(struct clog_writer *w);
	/* Frees what read allocated in the reader (may be NULL). */
	void (*reader_close)(struct clog_reader *r);
};

extern const struct clog_format clog_fmt_candump;
extern const struct clog_format clog_fmt_asc;
extern const struct clog_format clog_fmt_screen;
extern const struct clog_format clog_fmt_pcapng; /* clog_pcap.c */
extern const struct clog_format clog_fmt_pcap;	 /* clog_pcap.c */
extern const struct clog_format clog_fmt_trc;	 /* PEAK TRC, clog_trc.c */

/*
 * A probe's score for a binary format's magic number: above every text
 * probe, and enough on its own (a pipe needs no whole line to decide).
 */
#define CLOG_PROBE_MAGIC 100
extern const struct clog_format clog_fmt_blf;

/*
 * Returns the format called name ("candump"/"log", "asc", "blf",
 * "candump-screen"/"screen"), or NULL.
 */
const struct clog_format *clog_format_find(const char *name);

/* Returns a static, comma separated list of known format names. */
const char *clog_format_names(void);

/* Returns the same list for the formats that can be written (--to, dump -l). */
const char *clog_format_write_names(void);

/* pcapng: the interfaces one section describes (clog_pcap.c) */
#define CLOG_PCAP_MAX_IF 64

struct clog_pcap_if {
	char name[CLOG_IFNAME_MAX];
	uint8_t name_len;
	uint8_t digits;	   /* 6 or 9: what the resolution can tell apart */
	uint8_t pow2;	   /* if_tsresol is 2^-shift, else 10^-exp */
	uint8_t shift;	   /* pow2: the exponent */
	uint16_t linktype; /* only 227 (SocketCAN) is read, the rest skipped */
	uint64_t mul, div; /* 10^-exp: ns = ts * mul / div */
	int64_t tsoffset;  /* if_tsoffset, seconds */
};

struct clog_reader {
	const struct clog_format *fmt;
	const char *path; /* borrowed, for messages; "-" or "<stdin>" */
	int fd;
	int mapped; /* buf is an mmap of the whole file */
	const char *buf;
	size_t len, pos;
	char *sbuf; /* owned stream buffer when not mapped */
	size_t scap;
	int eof;
	uint64_t line;		   /* 1-based number of the current/last line */
	uint64_t nread;		   /* records returned */
	uint64_t nbad;		   /* malformed lines seen */
	char err[CLOG_ERRMSG_MAX]; /* "file:line:col: message" of the last error */
	/*
	 * Set with an -EINVAL that ends the input: the file is truncated
	 * (inside an object, block or its last line) or its framing is
	 * corrupt, so nothing after it can be read.  Data was lost: a caller
	 * fails (exit 1) even when it skips bad lines, after writing every
	 * record returned before it.
	 */
	int fatal;
	int line_open;	   /* text: the last line had no newline (the input ended) */
	struct cf_buf cur; /* bytes of the current record (its f.data) */
	/* ASC state */
	uint64_t asc_base_ns;
	int asc_hex;	  /* base hex (1) or dec (0) */
	int asc_relative; /* timestamps relative (delta) */
	uint64_t asc_last_ns;
	char asc_ifname[CLOG_IFNAME_MAX];
	/* set by the caller before the first clog_read() */
	unsigned int flags; /* CLOG_RD_* */
	/*
	 * Optional (NULL: none): a signal handler's flag.  When a read of a
	 * pipe or terminal is interrupted by a signal (a handler installed
	 * without SA_RESTART) and *stop is then non-zero, clog_read() returns
	 * -EINTR instead of waiting on for the next line: Ctrl-C ends it.
	 */
	const volatile sig_atomic_t *stop;
	/* screen state */
	uint64_t scr_rel_ns; /* -t d: the deltas added up so far */
	char scr_lt_key[16]; /* -t A: "YYYY-MM-DD HH:MM" of scr_lt_sec */
	int64_t scr_lt_sec;  /* its epoch seconds (mktime is slow per line) */
	/* pcap / pcapng state (clog_pcap.c) */
	uint64_t pc_base;     /* file offset of buf[0]: a stream moves its buffer */
	uint64_t pc_nskipped; /* blocks of unknown type, packets not SocketCAN */
	int pc_state;	      /* 0 before the file header, 1 reading, 2 stopped */
	int pc_swap;	      /* the file (section) is in the other byte order */
	int pc_nano;	      /* pcap: nanosecond magic */
	unsigned int pc_nif;  /* pcapng: interfaces of the current section */
	struct clog_pcap_if pc_if[CLOG_PCAP_MAX_IF];
	/* binary formats */
	uint64_t sbase;	 /* stream mode: file offset of buf[0], for messages */
	uint64_t nother; /* objects of kinds the reader does not know, skipped */
	uint64_t nxl;	 /* pcap(ng): CAN XL frames, skipped (in pc_nskipped too) */
	/* BLF state (lib/clog_blf.c): allocated by the first read, freed by
	 * clog_reader_close() */
	struct clog_blf_rd *blf;
	/* TRC state (clog_trc.c) */
	unsigned int trc_ver;		  /* $FILEVERSION: 11 for 1.1, 21 for 2.1 */
	unsigned int trc_ncol;		  /* letters in trc_cols; 0 until known */
	char trc_cols[16];		  /* $COLUMNS letters in line order */
	uint64_t trc_base_ns;		  /* $STARTTIME, down to a microsecond */
	char trc_ifname[CLOG_IFNAME_MAX]; /* "can<bus-1>" of the last record */
};

/*
 * Reader flag: relative screen timestamps "(000.010000)" are candump -t d
 * deltas, to be added up.  Without it they are read as -t z (time since the
 * first frame): the two print the same way and a line cannot tell them apart.
 */
#define CLOG_RD_DELTA 0x01

/*
 * Open path ("-" = stdin) for reading.  fmt NULL autodetects.  Returns 0,
 * -ENOENT etc. from open/mmap, -ENOMEM, or -EPROTO when autodetection fails
 * (r->err says why; the caller adds how to name the format).  On success
 * call clog_reader_close() when done.
 *
 * On a pipe or terminal, detection decides on the first line that holds
 * anything, and each record is returned as soon as its line has arrived:
 * nothing waits for a buffer to fill, so a live capture streams.
 */
int clog_reader_open(struct clog_reader *r, const char *path, const struct clog_format *fmt);

/* Same as clog_reader_open() on an in-memory buffer (borrowed). */
int clog_reader_open_mem(struct clog_reader *r, const char *name, const char *buf, size_t len,
			 const struct clog_format *fmt);

/*
 * Read the next record.  Returns 1 (rec filled), 0 (end of input), -EINVAL
 * (malformed line: r->err holds "file:line:col: message"; the reader has
 * moved past the line, so the caller may skip it and go on, unless
 * r->fatal says the input ends there: truncated or corrupt), -EINTR (see
 * stop), or -errno.  A malformed last line without a newline is taken for
 * a file cut there: fatal, with "truncated at byte N" in r->err.
 */
int clog_read(struct clog_reader *r, struct clog_rec *rec);

/* Releases the reader's buffers and closes its file (not stdin). */
void clog_reader_close(struct clog_reader *r);

/*
 * Text-format helper for format implementations: returns the next line
 * (without its newline or CR) in *line and *n, 1 on success, 0 at end, -errno.
 * Increments r->line.
 */
int clog_next_line(struct clog_reader *r, const char **line, size_t *n);

/*
 * Binary-format helper for format implementations: makes at least want
 * bytes (<= CLOG_STREAM_BUF) readable at r->buf + r->pos, reading more from
 * a stream as needed.  Returns how many are there (fewer than want only at
 * the end of the input), -EINTR (see stop) or -errno.
 */
ssize_t clog_need(struct clog_reader *r, size_t want);

/* Returns the input offset of r->buf + r->pos (for messages). */
uint64_t clog_offset(const struct clog_reader *r);

/* Record a "file:line:col: msg" error in r and return -EINVAL. */
int clog_fail(struct clog_reader *r, size_t col, const char *msg);

/*
 * Text-format helper: the blank-separated (space, tab) words of one line
 * l..end, p the next position.  clog_next_tok() puts the next word in *s
 * and *n (a view into the line) and returns 1, or 0 at the line's end.
 * Inline: ASC and TRC readers call it for every word of every frame.
 */
struct clog_tok {
	const char *l, *p, *end;
};

static inline int clog_next_tok(struct clog_tok *t, const char **s, size_t *n)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
	if (t->p == t->end)
		return 0;
	*s = t->p;
	while (t->p < t->end && *t->p != ' ' && *t->p != '\t')
		t->p++;
	*n = (size_t)(t->p - *s);
	return 1;
}

/* Writer options. */
struct clog_wopts {
	const char *const *channels; /* ASC: interface per channel 1..n, or NULL */
	unsigned int nchannels;	     /* 0 = number channels by first appearance */
	int ts_digits;		     /* candump: 6 or 9; 0 = keep each record's */
};

#define CLOG_WBUF	  (256 * 1024)
#define CLOG_MAX_CHANNELS 64

struct clog_writer {
	const struct clog_format *fmt;
	struct clog_wopts o;
	int fd;
	int began;
	int ifname_width;  /* candump: right-align names to this width */
	uint64_t first_ns; /* ASC: time base */
	unsigned int nchan;
	char chan[CLOG_MAX_CHANNELS][CLOG_IFNAME_MAX];
	uint8_t chan_len[CLOG_MAX_CHANNELS];
	size_t wlen;
	int werr;	   /* sticky -errno from write(2) */
	uint64_t nwritten; /* records written */
	uint64_t nskipped; /* records the format cannot hold */
	unsigned int lost; /* CLOG_LOST_*: what the format could not carry */
	/* pcapng: chan[] are its interfaces, each with its stamps' digits */
	uint8_t pc_digits[CLOG_MAX_CHANNELS];
	unsigned int pc_last; /* interface of the last record (a cache) */
	/* BLF state (lib/clog_blf.c): allocated by write_begin, freed by
	 * write_end (clog_writer_fini()) */
	struct clog_blf_wr *blf;
	uint64_t nbytes; /* bytes committed since init: the file's size so far */
	char wbuf[CLOG_WBUF];
};

/*
 * What a format could not carry (struct clog_writer.lost): the frames are
 * written, this part of them is not.  A converter says so once.
 */
#define CLOG_LOST_IFNAME  0x01 /* interface names (pcap has none: read back as can0) */
#define CLOG_LOST_EXTRA	  0x02 /* text after a frame other than candump -x's R / T */
#define CLOG_LOST_FDF	  0x04 /* an FD flags byte without FDF (pcap: comes back with it) */
#define CLOG_LOST_SUBUS	  0x08 /* time below a microsecond (TRC) */
#define CLOG_LOST_ERRBITS 0x10 /* error frame details the format has no room for (TRC) */
#define CLOG_LOST_FDRAW	  0x20 /* FD flag bits other than BRS and ESI, FDF too (TRC) */
#define CLOG_LOST_EARLY	  0x40 /* times before the file's start, written as it (TRC) */
#define CLOG_LOST_LEN8DLC 0x80 /* a classic frame's DLC 9..15 (all but candump, pcap(ng)) */

/* Returns what a CLOG_LOST_* bit names, e.g. "interface names", or "". */
const char *clog_lost_str(unsigned int bit);

/*
 * Start a writer on fd (not owned: the caller closes it).  o may be NULL.
 * Returns 0 or -EINVAL when fmt cannot write.
 */
int clog_writer_init(struct clog_writer *w, int fd, const struct clog_format *fmt,
		     const struct clog_wopts *o);

/* Buffer one record.  Returns 0, or a sticky -errno from an earlier flush. */
int clog_write(struct clog_writer *w, const struct clog_rec *rec);

/* Write out buffered bytes.  Returns 0 or -errno (EPIPE included). */
int clog_writer_flush(struct clog_writer *w);

/* Finish the format (trailer), flush.  Returns 0 or -errno. */
int clog_writer_fini(struct clog_writer *w);

/*
 * The bytes the output would hold if it were finished now, for a rotation
 * by size (dump -l --rotate SIZE): w->nbytes for the text formats and
 * pcap/pcapng.  BLF adds the containers not written out yet, each deflated
 * one at its size and the one being filled (and any still deflating) at
 * zlib's bound for its objects, so the value never falls short of the
 * file; when that bound reaches limit, it first waits for the deflating
 * ones to be exact.  Returns the byte count.
 */
uint64_t clog_writer_size(struct clog_writer *w, uint64_t limit);

/* BLF's part of clog_writer_size() (clog_blf.c). */
uint64_t clog_blf_size(struct clog_writer *w, uint64_t limit);

/* Reserve n bytes in the output buffer, flushing first if needed. */
char *clog_wreserve(struct clog_writer *w, size_t n);

/* Commit n bytes of the last reservation. */
void clog_wcommit(struct clog_writer *w, size_t n);

/*
 * For writers with numbered channels (ASC, BLF, TRC): the 1-based channel
 * of rec's interface, from o.channels when given, else numbered by first
 * appearance; 0 when it has none (not listed, or more than
 * CLOG_MAX_CHANNELS): the caller skips the record.
 */
unsigned int clog_writer_channel(struct clog_writer *w, const struct clog_rec *rec);

/*
 * Format "(SSSSSSSSSS.FFFFFF)" for ts_ns with digits 6 or 9 into out
 * (>= 32 bytes).  Returns the length.
 */
size_t clog_format_ts(uint64_t ts_ns, int digits, char *out);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_CLOG_H */
