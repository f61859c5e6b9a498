/* SPDX-License-Identifier: MIT */
/*
 * upl_coll.h - canrig uplink's collection engine: frames and monotonic
 * time in, samples grouped into batches out.  No I/O, no clock of its
 * own, no allocation per frame.
 *
 * Per collect: entry (upl_conf.h) and interface:
 *   - UPL_EVERY_FRAME: a sample per frame;
 *   - UPL_EVERY_MS: the latest frame of each every_ms interval (intervals
 *     are multiples of every_ms on the caller's clock), at its end;
 *   - UPL_ON_CHANGE: a frame whose selected signals differ from the last
 *     sample's (the first frame always).
 * A sample is the object canrig dbc decode --json prints for the frame
 * (dbc_json.h) with only the selected signals, and its newline.  Samples
 * join the open batch; a batch is handed out (upl_batch_fn) when the next
 * sample would take it past max_bytes (a sample longer than max_bytes is
 * a batch of its own), when max_ms passed since its first sample, or on
 * upl_coll_flush().  Within a batch samples are in the order they were
 * made; every_ms samples are made at their interval's end, so their "t"
 * may be older than an every-frame sample before them.
 *
 * An entry with when: collects only while its window is open: from the
 * condition's rise (re-evaluated on each frame of a message it names) until
 * after_ms after its fall.  At the rise, the samples the entry made in the
 * before_ms before it (kept in a ring of upl_collect.hist frames) go into
 * the batch first, in order.  With batch: compress: deflate, a batch is
 * handed out as one zlib stream, or as it is if that is not smaller.
 */
#ifndef CANRIG_UPL_COLL_H
#define CANRIG_UPL_COLL_H

#include <stddef.h>
#include <stdint.h>

#include "clog.h"
#include "upl_conf.h"

/* How a payload is announced: MQTT 5 content type, or (3.1.1) a topic
 * suffix for a compressed one. */
#define UPL_CT_JSON	  "application/x-ndjson"
#define UPL_CT_DEFLATE	  "application/x-ndjson+deflate"
#define UPL_TOPIC_DEFLATE "/deflate"

/* Returns 1 if payload (a batch, or a spool record) is a zlib stream, 0 if
 * it is JSON: samples start with '{', a zlib stream never does.  Judged by
 * the bytes, so a record spooled before the configuration changed is still
 * announced as what it is. */
static inline int upl_payload_deflated(const void *data, size_t len)
{
	return len > 0 && *(const unsigned char *)data != '{';
}

/* A finished batch: data (len bytes, newline-separated samples, or their
 * zlib stream with batch: compress: deflate) is borrowed for the call. */
typedef void (*upl_batch_fn)(void *ctx, const char *data, size_t len);

struct upl_coll_stats {
	uint64_t frames;    /* given to upl_coll_frame() */
	uint64_t ignored;   /* of a message, or an interface, not collected */
	uint64_t samples;   /* made */
	uint64_t unchanged; /* on_change frames equal to the last sample */
	uint64_t replaced;  /* every_ms frames a later one in the interval replaced */
	uint64_t batches;   /* handed out */
	uint64_t bytes;	    /* in those batches (compressed, if they were) */
	uint64_t json;	    /* JSON bytes in those batches before compression */
	uint64_t stored;    /* batches deflate did not make smaller: sent as JSON */
	uint64_t triggers;  /* when: conditions that became true */
	uint64_t outside;   /* when: samples outside every window: not sent */
	uint64_t overrun;   /* before_ms history lost to the ring's bound */
};

struct upl_coll;

/*
 * An engine for c (borrowed, with its DBC: both must outlive it), handing
 * batches to fn(ctx, ...).  Returns 0 with *out, -ENOMEM, or -E2BIG if a
 * collected message's longest sample could not fit in a spool record.
 */
int upl_coll_new(const struct upl_conf *c, upl_batch_fn fn, void *ctx, struct upl_coll **out);

/* Frees co (the open batch is lost: flush first); NULL is a no-op. */
void upl_coll_free(struct upl_coll *co);

/*
 * One received frame: rec (borrowed for the call; rec->f.ts_ns is the
 * sample's "t", rec->ifname its "bus") from interface ifidx (an index into
 * c->ifs; out of range: ignored) at monotonic time now_ns.  Runs what is
 * due first (upl_coll_tick()).  Returns 1 if it made a sample, else 0.
 */
int upl_coll_frame(struct upl_coll *co, const struct clog_rec *rec, unsigned int ifidx,
		   uint64_t now_ns);

/* Time passed: ends every_ms intervals and batches whose time has come. */
void upl_coll_tick(struct upl_coll *co, uint64_t now_ns);

/* When upl_coll_tick() has work next (monotonic ns), or UINT64_MAX. */
uint64_t upl_coll_deadline(const struct upl_coll *co);

/* Ends the open every_ms intervals and hands out the open batch now
 * (stopping: nothing collected stays in memory). */
void upl_coll_flush(struct upl_coll *co, uint64_t now_ns);

void upl_coll_stats(const struct upl_coll *co, struct upl_coll_stats *st);

#endif
