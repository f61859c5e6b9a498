/* SPDX-License-Identifier: MIT */
/* upl_status.c - canrig uplink --status, text and JSON (upl_status.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>

#include "upl_status.h"

void upl_status_time(char *buf, size_t cap, uint64_t t_ns)
{
	time_t sec = (time_t)(t_ns / 1000000000u);
	struct tm tm;

	if (!gmtime_r(&sec, &tm)) {
		snprintf(buf, cap, "?");
		return;
	}
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned int)(t_ns % 1000000000u / 1000000u));
}

/* seconds from t to now, never negative (the wall clock may step back) */
static double age(uint64_t t_ns, uint64_t now_ns)
{
	return now_ns > t_ns ? (double)(now_ns - t_ns) / 1e9 : 0;
}

static const char *s_(uint64_t n)
{
	return n == 1 ? "" : "s";
}

#define U(x) ((unsigned long long)(x))

int upl_status_text(const struct upl_status *s, uint64_t now_ns, FILE *f)
{
	char t[40];

	fprintf(f, "canrig uplink: pid %ld, spool %s\n", s->pid, s->spool_dir ? s->spool_dir : "?");
	upl_status_time(t, sizeof(t), s->since_ns);
	fprintf(f, "broker %s:%u: %s since %s (%.0f s)\n", s->host ? s->host : "?", s->port,
		s->connected ? "connected" : "disconnected", t, age(s->since_ns, now_ns));
	fprintf(f,
		"collected: %llu frame%s (%llu lost by the kernel), %llu sample%s in %llu "
		"batch%s\n",
		U(s->frames), s_(s->frames), U(s->kernel_drops), U(s->samples), s_(s->samples),
		U(s->batches), s->batches == 1 ? "" : "es");
	fprintf(f,
		"published: %llu message%s (%llu sample%s), acknowledged %llu (%llu sample%s), "
		"in flight %llu\n",
		U(s->published), s_(s->published), U(s->published_samples),
		s_(s->published_samples), U(s->acked), U(s->acked_samples), s_(s->acked_samples),
		U(s->in_flight));
	fprintf(f,
		"spooled: %llu record%s, %llu byte%s in %llu segment%s; dropped for space: %llu "
		"record%s (%llu segment%s); %llu damaged skipped; %llu spool error%s\n",
		U(s->spooled), s_(s->spooled), U(s->spooled_bytes), s_(s->spooled_bytes),
		U(s->segments), s_(s->segments), U(s->dropped), s_(s->dropped),
		U(s->dropped_segments), s_(s->dropped_segments), U(s->skipped), U(s->spool_errors),
		s_(s->spool_errors));
	if (s->last_error && s->last_error[0]) {
		upl_status_time(t, sizeof(t), s->last_error_ns);
		fprintf(f, "last error: %s at %s (%.0f s ago)\n", s->last_error, t,
			age(s->last_error_ns, now_ns));
	} else {
		fprintf(f, "last error: none\n");
	}
	return ferror(f) ? -EIO : 0;
}

/* a JSON string: quotes, backslash and control characters escaped; other
 * bytes as they are (the texts are ours, strerror's and libmosquitto's) */
static void jstr(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void jtime(FILE *f, uint64_t t_ns)
{
	char t[40];

	if (!t_ns) {
		fputs("null", f);
		return;
	}
	upl_status_time(t, sizeof(t), t_ns);
	jstr(f, t);
}

int upl_status_json(const struct upl_status *s, FILE *f)
{
	int err = s->last_error && s->last_error[0];

	fprintf(f, "{\"pid\":%ld,\"spool_dir\":", s->pid);
	jstr(f, s->spool_dir);
	fputs(",\"host\":", f);
	jstr(f, s->host);
	fprintf(f, ",\"port\":%u,\"connected\":%s,\"since\":", s->port,
		s->connected ? "true" : "false");
	jtime(f, s->since_ns);
	fprintf(f,
		",\"frames\":%llu,\"kernel_drops\":%llu,\"samples\":%llu,\"batches\":%llu,"
		"\"published\":%llu,\"published_samples\":%llu,\"acknowledged\":%llu,"
		"\"acknowledged_samples\":%llu,\"in_flight\":%llu,\"spooled\":%llu,"
		"\"spooled_bytes\":%llu,\"segments\":%llu,\"dropped\":%llu,"
		"\"dropped_segments\":%llu,\"skipped\":%llu,\"spool_errors\":%llu,\"last_error\":",
		U(s->frames), U(s->kernel_drops), U(s->samples), U(s->batches), U(s->published),
		U(s->published_samples), U(s->acked), U(s->acked_samples), U(s->in_flight),
		U(s->spooled), U(s->spooled_bytes), U(s->segments), U(s->dropped),
		U(s->dropped_segments), U(s->skipped), U(s->spool_errors));
	if (err)
		jstr(f, s->last_error);
	else
		fputs("null", f);
	fputs(",\"last_error_at\":", f);
	jtime(f, err ? s->last_error_ns : 0);
	fputs("}\n", f);
	return ferror(f) ? -EIO : 0;
}
