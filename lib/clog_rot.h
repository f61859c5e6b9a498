/* SPDX-License-Identifier: MIT */
/*
 * clog_rot.h - recording into a series of log files: the size or time at
 * which the next file starts, the files' names, and the format a file name
 * asks for.  Pure: no I/O, no clock; the caller writes the files.
 *
 * The names: with rotation, FILE "x.log" becomes x-0001.log, x-0002.log,
 * ... (more digits after 9999); without it, x.log itself.
 */
#ifndef CANRIG_CLOG_ROT_H
#define CANRIG_CLOG_ROT_H

#include <stddef.h>
#include <stdint.h>

#include "clog.h"

#ifdef __cplusplus
extern "C" {
#endif

struct clog_rot {
	uint64_t max_bytes; /* start a new file at this size; 0: no limit */
	uint64_t max_ns;    /* ... or when its frames span this long; 0: no limit */
	uint64_t first_ns;  /* time of the current file's first frame */
	uint64_t nframes;   /* frames in the current file */
	unsigned int seq;   /* the current file's number, from 1; 0: none open */
};

/*
 * Parses a --rotate value: a size ("20K", "100M", "1G": 1024-based; a
 * bare number is bytes) into r->max_bytes, or a time ("30s", "10min",
 * "2h", "1d") into r->max_ns.  Returns 0, or -EINVAL with *why set to a
 * static one-line reason (no value printed).
 */
int clog_rot_parse(struct clog_rot *r, const char *s, const char **why);

/*
 * Whether the frame at ts_ns must go into a new file, the current one
 * holding `bytes` bytes: 1 when a limit is reached (never for an empty
 * file, so no file is left without a frame), else 0.
 */
int clog_rot_due(const struct clog_rot *r, uint64_t bytes, uint64_t ts_ns);

/* Notes that a frame at ts_ns went into the current file. */
void clog_rot_frame(struct clog_rot *r, uint64_t ts_ns);

/* Moves to the next file: r->seq + 1, no frames yet. */
void clog_rot_next(struct clog_rot *r);

/*
 * Writes the name of file seq of the series for path into out: path with
 * "-NNNN" before its extension (at least 4 digits).  Returns 0, or
 * -ENAMETOOLONG when it does not fit in n bytes.
 */
int clog_rot_name(const char *path, unsigned int seq, char *out, size_t n);

/*
 * The writable format path's extension names (".log" candump, ".asc",
 * ".trc", and whatever else clog_format_find() knows by the extension's
 * name).  Returns it, or NULL with *why set: no extension, or one that
 * names no format this build writes.
 */
const struct clog_format *clog_format_for_path(const char *path, const char **why);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_CLOG_ROT_H */
