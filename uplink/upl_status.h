/* SPDX-License-Identifier: MIT */
/*
 * upl_status.h - what `canrig uplink --status` prints: a snapshot of a
 * running uplink's state and counters, as text lines or one JSON object.
 * No I/O but the FILE given, no clock: times come in the snapshot (wall
 * clock, ns since the epoch) and as the now argument.
 */
#ifndef CANRIG_UPL_STATUS_H
#define CANRIG_UPL_STATUS_H

#include <stdint.h>
#include <stdio.h>

/* Counters count since the process started; strings are borrowed for the
 * call.  A time of 0 means "never". */
struct upl_status {
	long pid;
	const char *host; /* the broker */
	unsigned int port;
	const char *spool_dir;
	int connected;	   /* CONNACK accepted, not lost since */
	uint64_t since_ns; /* when it last connected or disconnected (or started) */
	uint64_t frames;   /* CAN frames read */
	uint64_t samples;  /* samples collected (the collection engine's) */
	uint64_t batches;  /* batches (MQTT messages) made of them */
	uint64_t published, published_samples;	   /* messages handed to the broker
						    * (again after a reconnect), and their samples */
	uint64_t acked, acked_samples;		   /* PUBACKs, and their messages' samples */
	uint64_t in_flight;			   /* published, PUBACK awaited */
	uint64_t spooled, spooled_bytes, segments; /* on disk, not yet acknowledged;
						    * bytes and segment files of the spool */
	uint64_t dropped, dropped_segments;	   /* lost to the spool's bound */
	uint64_t skipped;			   /* corrupt or torn spool records */
	uint64_t spool_errors;			   /* spool reads/writes that failed */
	uint64_t kernel_drops;			   /* frames the sockets' queues lost */
	const char *last_error;			   /* "" or NULL: none */
	uint64_t last_error_ns;
};

/* Writes the text form (a few lines, each ending in '\n') to f; now_ns is
 * the wall clock, for the ages.  Returns 0, or -EIO if f failed. */
int upl_status_text(const struct upl_status *s, uint64_t now_ns, FILE *f);

/* Writes one JSON object and '\n' to f (times as ISO 8601 UTC strings or
 * null).  Returns 0, or -EIO if f failed. */
int upl_status_json(const struct upl_status *s, FILE *f);

/* t_ns (wall clock, ns) as "2026-12-08T01:50:00.123Z" in buf (>= 32 bytes). */
void upl_status_time(char *buf, size_t cap, uint64_t t_ns);

#endif
