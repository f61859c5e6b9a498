/* SPDX-License-Identifier: MIT */
/*
 * upl_spool.h - canrig uplink's store-and-forward spool: records (one
 * MQTT payload each) appended to segment files in a directory, handed
 * out in order for publishing, and removed only once acknowledged.
 *
 * On disk (docs/uplink.md): files "%016x.seg" named by the sequence
 * number of their first record, each a run of records
 *   u32 magic "UPLR" | u32 length | u64 seq | u32 crc32 | payload
 * (little endian; the CRC covers length, seq and payload), and "ack", the
 * cursor: every record below it is acknowledged.  The cursor is replaced
 * atomically (write "ack.tmp", rename) on every acknowledgement, so a
 * kill -9 re-sends only what was in flight.  A record that fails its
 * length or CRC check is skipped with a message, never misread: a torn
 * tail (power cut) or a corrupt record mid-segment, after which the
 * reader looks for the next valid record.
 *
 * Bounds: at most max_bytes of segments, plus the record being appended;
 * when the next record would not fit, the oldest segments go first, and
 * the records they held that were not acknowledged are counted as
 * dropped and logged.
 *
 * Not thread-safe; one process per directory: "lock" in it is flocked
 * from open to close (a killed process's lock goes with it) and names the
 * holder's pid.
 * Functions return 0 or -errno unless they say otherwise.
 */
#ifndef CANRIG_UPL_SPOOL_H
#define CANRIG_UPL_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define UPL_REC_HDR   20u	  /* magic, length, seq, crc */
#define UPL_REC_MAX   (1u << 20)  /* largest payload */
#define UPL_REC_MAGIC 0x524c5055u /* "UPLR" little endian */
#define UPL_INFLIGHT  64u	  /* records handed out and not yet acknowledged */
#define UPL_SEG_MIN   4096u

/* Called with one line (no newline) for what a user should know: a
 * corrupt or torn record skipped, a segment dropped for space. */
typedef void (*upl_log_fn)(void *ctx, const char *msg);

struct upl_spool_opts {
	const char *dir;    /* created (0700) if missing; borrowed for the call */
	uint64_t max_bytes; /* bound on the segments (>= 2 * seg_bytes) */
	uint32_t seg_bytes; /* a segment is closed when the next record would
			     * take it past this (0: max_bytes / 16, clamped to
			     * 64 KiB .. 4 MiB) */
	int no_sync;	    /* 1: no fdatasync per append (tests, benchmarks) */
	upl_log_fn log;	    /* may be NULL */
	void *log_ctx;
};

struct upl_spool_stats {
	uint64_t appended;	   /* records written since open */
	uint64_t acked;		   /* acknowledgements that moved a record out */
	uint64_t dropped;	   /* unacknowledged records lost to max_bytes */
	uint64_t dropped_segments; /* segments deleted for space */
	uint64_t skipped;	   /* corrupt or torn regions passed over */
	uint64_t bytes;		   /* segment bytes on disk now */
	uint64_t segments;	   /* segment files now */
	uint64_t pending;	   /* records not yet acknowledged (from the
				    * counts of their segments) */
	uint64_t cursor;	   /* every seq below this is acknowledged or dropped */
	uint64_t next_seq;	   /* the seq the next append gets */
};

struct upl_spool;

/*
 * Opens (or creates) the spool in o->dir: reads the cursor, scans every
 * segment (checking each record, logging what it skips, cutting a torn
 * tail off the newest segment) and positions the reader at the first
 * unacknowledged record.  Returns 0 with *sp set (free with
 * upl_spool_close()), or -errno with a one-line reason in err: -EBUSY
 * when another open spool (any process) holds the directory, err then
 * naming its pid.
 */
int upl_spool_open(const struct upl_spool_opts *o, struct upl_spool **sp, char *err, size_t cap);

/* Closes the files and frees sp; NULL is a no-op.  Nothing is lost by not
 * calling it (kill -9): every append is already written. */
void upl_spool_close(struct upl_spool *sp);

/*
 * Appends len bytes (1..UPL_REC_MAX) as one record, dropping the oldest
 * segments first if needed, and (unless no_sync) fdatasyncs it.  Returns
 * 0 with *seq (may be NULL) its sequence number, -EMSGSIZE, -errno for a
 * write error (the record is then not in the spool).
 */
int upl_spool_append(struct upl_spool *sp, const void *data, size_t len, uint64_t *seq);

/*
 * The next record to publish, in order: returns 1 with *data, *len, *seq
 * (data borrowed until the next call on sp), 0 when there is none or
 * UPL_INFLIGHT records await their acknowledgement, -errno on a read
 * error.  The record is then in flight until upl_spool_ack() or
 * upl_spool_rewind().
 */
int upl_spool_next(struct upl_spool *sp, const void **data, size_t *len, uint64_t *seq);

/*
 * The broker acknowledged record seq (in any order among those in
 * flight).  Moves the cursor over the acknowledged prefix, writes it and
 * deletes segments that hold nothing unacknowledged.  Returns 0, -ENOENT
 * for a seq not in flight (ignored), -errno if the cursor cannot be
 * written.
 */
int upl_spool_ack(struct upl_spool *sp, uint64_t seq);

/* The connection is gone: what was in flight is handed out again, from the
 * cursor on. */
void upl_spool_rewind(struct upl_spool *sp);

void upl_spool_stats(const struct upl_spool *sp, struct upl_spool_stats *st);

/* ---- the segment reader, on a buffer (also the fuzz target's entry) */

struct upl_rec {
	uint64_t seq;
	const uint8_t *data; /* into the buffer */
	uint32_t len;
};

/*
 * Reads the record at *off of buf (len bytes).  Returns 1 with *r and *off
 * past it; 0 at the end (*off == len); -EBADMSG when the bytes at *off are
 * not a valid record: *off then moves to the next offset where one could
 * start (a magic), or to len, and r->len gets the bytes skipped.
 * *off <= len always.
 */
int upl_seg_read(const uint8_t *buf, size_t len, size_t *off, struct upl_rec *r);

/* Writes the header of a record (seq, data, len) into hdr[UPL_REC_HDR]. */
void upl_rec_header(uint8_t *hdr, uint64_t seq, const void *data, uint32_t len);

#endif
