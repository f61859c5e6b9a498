/* SPDX-License-Identifier: MIT */
/* clog_rot.c - when a recording starts its next file, and what it is called. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clog_rot.h"

/* value * mul, unless it overflows or is 0 */
static int scale(uint64_t v, uint64_t mul, uint64_t *out)
{
	if (!v || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int clog_rot_parse(struct clog_rot *r, const char *s, const char **why)
{
	static const struct {
		const char *unit;
		uint64_t mul;
		int is_time;
	} units[] = {
		{"", 1, 0},
		{"K", 1024, 0},
		{"k", 1024, 0},
		{"M", 1024 * 1024, 0},
		{"G", 1024ull * 1024 * 1024, 0},
		{"g", 1024ull * 1024 * 1024, 0},
		{"s", 1000000000ull, 1},
		{"min", 60000000000ull, 1},
		{"h", 3600000000000ull, 1},
		{"d", 86400000000000ull, 1},
	};
	uint64_t v = 0;
	const char *p = s;
	unsigned int i;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			goto out_range;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s) {
		*why = "takes a size (20K, 100M, 1G) or a time (30s, 10min, 2h, 1d)";
		return -EINVAL;
	}
	if (!strcmp(p, "m")) {
		*why = "'m' is ambiguous: say min for minutes or M for MiB";
		return -EINVAL;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit))
			continue;
		if (scale(v, units[i].mul, units[i].is_time ? &r->max_ns : &r->max_bytes))
			goto out_range;
		return 0;
	}
	*why = "unit must be K, M or G (1024-based) for a size, s, min, h or d for a time";
	return -EINVAL;
out_range:
	*why = "must be above 0 and below 2^64 bytes or ns";
	return -EINVAL;
}

int clog_rot_due(const struct clog_rot *r, uint64_t bytes, uint64_t ts_ns)
{
	if (!r->nframes)
		return 0;
	if (r->max_bytes && bytes >= r->max_bytes)
		return 1;
	/* frame times, not the clock: a file holds max_ns of traffic */
	return r->max_ns && ts_ns >= r->first_ns && ts_ns - r->first_ns >= r->max_ns;
}

void clog_rot_frame(struct clog_rot *r, uint64_t ts_ns)
{
	if (!r->nframes++)
		r->first_ns = ts_ns;
}

void clog_rot_next(struct clog_rot *r)
{
	r->seq++;
	r->nframes = 0;
	r->first_ns = 0;
}

/* The extension's dot in path's last component, or NULL. */
static const char *ext_of(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');

	/* ".log" alone is a hidden file without an extension */
	return dot && dot != base && dot[1] ? dot : NULL;
}

int clog_rot_name(const char *path, unsigned int seq, char *out, size_t n)
{
	const char *dot = ext_of(path);
	size_t stem = dot ? (size_t)(dot - path) : strlen(path);
	int k;

	k = snprintf(out, n, "%.*s-%04u%s", (int)stem, path, seq, dot ? dot : "");
	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

const struct clog_format *clog_format_for_path(const char *path, const char **why)
{
	const struct clog_format *f;
	const char *dot = ext_of(path);

	if (!dot) {
		*why = "no extension to name the format";
		return NULL;
	}
	/* the extension is the format's name: .log is candump's (alias log) */
	f = clog_format_find(dot + 1);
	if (!f || !f->write) {
		*why = "the extension names no format this build writes";
		return NULL;
	}
	return f;
}
