/* SPDX-License-Identifier: MIT */
/*
 * mon.c - the table model of `canrig monitor` (mon.h): rows by (bus, id,
 * ext) in an open-addressing hash, a smoothed period per row, changed-byte
 * times, decoded signals, and per-interface rate windows.  The estimators
 * and the bus-load arithmetic are described in docs/monitor.md.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mon.h"

#define MON_DEF_ROWS 65536u
#define MON_MIN_CAP  64u

/*
 * Period smoothing as TCP's RTT estimator (RFC 6298): the mean moves by
 * 1/8 of each new period, the mean absolute deviation by 1/4 of its
 * error.  Cheap (no history), steady within a few frames, and a single
 * late frame moves the rate by an eighth only.
 */
#define PER_GAIN 0.125
#define DEV_GAIN 0.25

static inline uint64_t key_of(unsigned int bus, uint32_t id, int ext)
{
	return ((uint64_t)bus << 32) | ((uint64_t)(ext ? 1 : 0) << 31) | id;
}

static inline size_t slot_of(uint64_t key, size_t mask)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static inline uint64_t row_key(const struct mon_row *r)
{
	return key_of(r->bus, r->id, r->ext);
}

int mon_init(struct mon *m, const struct mon_opts *o)
{
	unsigned int i, most = 0;

	memset(m, 0, sizeof(*m));
	if (o)
		m->o = *o;
	if (!m->o.max_rows)
		m->o.max_rows = MON_DEF_ROWS;
	if (m->o.db) {
		for (i = 0; i < m->o.db->nmsgs; i++)
			if (m->o.db->msgs[i].nsigs > most)
				most = m->o.db->msgs[i].nsigs;
		if (most) {
			m->scratch = calloc(most, sizeof(*m->scratch));
			if (!m->scratch)
				return -ENOMEM;
			m->nscratch = most;
		}
	}
	return 0;
}

void mon_fini(struct mon *m)
{
	size_t i;

	for (i = 0; i < m->nrows; i++)
		free(m->rows[i].sigs);
	free(m->rows);
	free(m->hash);
	free(m->scratch);
	memset(m, 0, sizeof(*m));
}

int mon_add_if(struct mon *m, const char *name, uint32_t bitrate, uint32_t dbitrate)
{
	struct mon_if *p;
	size_t n = strlen(name);

	if (!n || n >= MON_IFNAMSIZ)
		return -EINVAL;
	if (m->nifs >= MON_MAX_IFS)
		return -ENOSPC;
	p = &m->ifs[m->nifs];
	memset(p, 0, sizeof(*p));
	memcpy(p->name, name, n + 1);
	p->bitrate = bitrate;
	/* an FD interface given one rate runs its data phase at it too */
	p->dbitrate = dbitrate ? dbitrate : bitrate;
	p->load = bitrate ? 0 : -1;
	return (int)m->nifs++;
}

void mon_set_bitrate(struct mon *m, unsigned int bus, uint32_t bitrate, uint32_t dbitrate)
{
	struct mon_if *p;

	if (bus >= m->nifs)
		return;
	p = &m->ifs[bus];
	p->bitrate = bitrate;
	p->dbitrate = dbitrate ? dbitrate : bitrate;
	if (!bitrate)
		p->load = -1;
	else if (p->load < 0)
		p->load = 0;
}

/*
 * Bits on the wire as can-utils' canbusload counts them in its default
 * worst-case mode (its canframelen.c): every bit that can be followed by a
 * stuff bit is, so the figure is an upper bound and the load may pass
 * 100%.  Classic: SOF..CRC (34 bits SFF, 54 EFF, + 8 per data byte)
 * carries a stuff bit per 4 after the first, then 13 fixed bits (CRC
 * delimiter, ACK, EOF, IFS): 55 + 10n SFF, 80 + 10n EFF.  FD: the
 * unstuffed frame (SOF, id, 5 control bits, 12 trailing bits, the 17 or
 * 21 bit CRC with its stuff count, 8 per byte) times 5/4; with BRS the data
 * phase (BRS/ESI, DLC, data, CRC) times 5/4 is at the data rate and the
 * rest at the nominal one.  One departure: a remote frame carries no data
 * field, so its DLC adds no bits (canbusload counts them).
 */
void mon_frame_bits(const struct cf_frame *f, uint64_t *nom, uint64_t *data)
{
	int eff = (f->flags & CF_EFF) != 0;
	uint64_t n = (f->flags & CF_RTR) ? 0 : f->len;
	uint64_t crc, total, dp;

	if (!(f->flags & CF_FD)) {
		*nom = (eff ? 80 : 55) + 10 * n;
		*data = 0;
		return;
	}
	crc = n >= 16 ? 21 : 17;
	total = (1 + (eff ? 29 : 11) + crc + 5 + 12 + 8 * n) * 5 / 4;
	dp = 0;
	if (f->flags & CF_BRS)
		dp = (1 + 1 + 4 + crc + 8 * n) * 5 / 4;
	*nom = total - dp;
	*data = dp;
}

/* Doubles the hash (or makes the first); rows stay where they are. */
static int hash_grow(struct mon *m)
{
	size_t size = m->hash ? (m->hmask + 1) * 2 : 256, i, s;
	uint32_t *h = calloc(size, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (i = 0; i < m->nrows; i++) {
		s = slot_of(row_key(&m->rows[i]), size - 1);
		while (h[s])
			s = (s + 1) & (size - 1);
		h[s] = (uint32_t)i + 1;
	}
	free(m->hash);
	m->hash = h;
	m->hmask = size - 1;
	return 0;
}

/* Returns the row of key, or NULL with *slot where it would go. */
static struct mon_row *find(const struct mon *m, uint64_t key, size_t *slot)
{
	size_t s;

	if (!m->hash)
		return NULL;
	for (s = slot_of(key, m->hmask); m->hash[s]; s = (s + 1) & m->hmask) {
		struct mon_row *r = &m->rows[m->hash[s] - 1];

		if (row_key(r) == key)
			return r;
	}
	*slot = s;
	return NULL;
}

/* A row for a new id: the only allocation of the frame path. */
static struct mon_row *add_row(struct mon *m, unsigned int bus, const struct cf_frame *f,
			       uint64_t key)
{
	struct mon_row *r;
	size_t slot = 0, cap;
	const struct dbc_message *msg = NULL;

	if (m->nrows >= m->o.max_rows)
		return NULL;
	if (m->nrows == m->cap) {
		cap = m->cap ? m->cap * 2 : MON_MIN_CAP;
		if (cap > m->o.max_rows)
			cap = m->o.max_rows;
		r = realloc(m->rows, cap * sizeof(*r));
		if (!r)
			return NULL;
		m->rows = r;
		m->cap = cap;
	}
	/* at most half full keeps probes short */
	if (!m->hash || (m->nrows + 1) * 2 > m->hmask + 1)
		if (hash_grow(m))
			return NULL;
	find(m, key, &slot);
	if (m->o.db) {
		/* by the DBC's own rules (J1939: by PGN); a remote frame of a
		 * message gets its row named too */
		struct cf_frame probe = *f;

		probe.flags &= (uint8_t)~CF_RTR;
		msg = dbc_lookup(m->o.db, &probe);
	}
	r = &m->rows[m->nrows];
	memset(r, 0, sizeof(*r));
	r->bus = (uint8_t)bus;
	r->ext = (f->flags & CF_EFF) ? 1 : 0;
	r->id = f->id;
	if (msg && msg->nsigs) {
		r->sigs = calloc(msg->nsigs, sizeof(*r->sigs));
		if (!r->sigs)
			return NULL;
	}
	r->msg = msg;
	m->hash[slot] = (uint32_t)m->nrows + 1;
	m->nrows++;
	return r;
}

static void decode(struct mon *m, struct mon_row *r, const struct cf_frame *f)
{
	const struct dbc_message *msg = r->msg;
	unsigned int i;

	if (!msg || !r->sigs || msg->nsigs > m->nscratch)
		return;
	dbc_decode(msg, f, DBC_DEC_LABELS, m->scratch, NULL);
	for (i = 0; i < msg->nsigs; i++) {
		struct mon_sig *s = &r->sigs[i];
		const struct dbc_value *v = &m->scratch[i];

		s->v = *v;
		if (!v->present || isnan(v->phys))
			continue;
		if (!s->seen || v->phys < s->min)
			s->min = v->phys;
		if (!s->seen || v->phys > s->max)
			s->max = v->phys;
		s->seen = 1;
	}
}

int mon_frame(struct mon *m, unsigned int bus, const struct cf_frame *f, uint64_t now_ns)
{
	struct mon_if *p;
	struct mon_row *r;
	uint64_t key, nom, dat, per;
	size_t slot;
	unsigned int i, len;
	int changed;

	if (bus >= m->nifs)
		return -EINVAL;
	p = &m->ifs[bus];
	if (f->flags & CF_ERR) {
		p->errors++;
		return 0;
	}
	m->frames++;
	p->frames++;
	if (!p->win_start_ns)
		p->win_start_ns = now_ns;
	p->win_frames++;
	mon_frame_bits(f, &nom, &dat);
	p->win_bits_nom += nom;
	p->win_bits_data += dat;

	key = key_of(bus, f->id, (f->flags & CF_EFF) != 0);
	r = find(m, key, &slot);
	if (!r) {
		r = add_row(m, bus, f, key);
		if (!r) {
			m->rows_full++;
			return -ENOSPC;
		}
	}
	len = f->len > CF_MAX_LEN ? CF_MAX_LEN : f->len;
	if (f->flags & CF_RTR) {
		/* a request carries no bytes: nothing changed, nothing to decode */
		changed = 0;
	} else if (!r->count) {
		memcpy(r->data, f->data, len);
		changed = 1; /* first since the start or a clear: decode, mark none */
	} else {
		changed = len != r->len;
		for (i = 0; i < len; i++) {
			if (i >= r->len || f->data[i] != r->data[i]) {
				r->changed_ns[i] = now_ns ? now_ns : 1;
				changed = 1;
			}
		}
		if (changed)
			memcpy(r->data, f->data, len);
	}
	if (r->count) {
		per = now_ns > r->last_ns ? now_ns - r->last_ns : 0;
		if (r->count == 1) {
			r->per_ns = (double)per;
			r->dev_ns = 0;
		} else {
			r->dev_ns += DEV_GAIN * (fabs((double)per - r->per_ns) - r->dev_ns);
			r->per_ns += PER_GAIN * ((double)per - r->per_ns);
		}
		r->hz = r->per_ns > 0 ? 1e9 / r->per_ns : 0;
		r->jitter_ms = r->dev_ns / 1e6;
	} else {
		r->first_ns = now_ns;
	}
	r->last_ns = now_ns;
	r->count++;
	r->flags = f->flags;
	if (!(f->flags & CF_RTR)) {
		r->len = (uint8_t)len;
		/* same bytes, same values: a steady bus costs no decoding */
		if (changed)
			decode(m, r, f);
	}
	return 0;
}

void mon_drops(struct mon *m, unsigned int bus, uint64_t total)
{
	struct mon_if *p;

	if (bus >= m->nifs)
		return;
	p = &m->ifs[bus];
	p->drops_total = total;
	p->drops = total >= p->drops_base ? total - p->drops_base : 0;
}

static void close_window(struct mon_if *p, uint64_t now_ns)
{
	double secs = (double)(now_ns - p->win_start_ns) / 1e9;

	p->fps = (double)p->win_frames / secs;
	if (p->bitrate)
		p->load = ((double)p->win_bits_nom / p->bitrate +
			   (double)p->win_bits_data / p->dbitrate) /
			  secs;
	p->win_start_ns = now_ns;
	p->win_frames = p->win_bits_nom = p->win_bits_data = 0;
}

void mon_tick(struct mon *m, uint64_t now_ns)
{
	unsigned int i;

	for (i = 0; i < m->nifs; i++) {
		struct mon_if *p = &m->ifs[i];

		if (!p->win_start_ns) {
			/* a quiet interface: its window starts now */
			p->win_start_ns = now_ns;
			continue;
		}
		if (now_ns >= p->win_start_ns + MON_RATE_NS)
			close_window(p, now_ns);
	}
}

void mon_flush_rates(struct mon *m, uint64_t now_ns)
{
	unsigned int i;

	for (i = 0; i < m->nifs; i++) {
		struct mon_if *p = &m->ifs[i];

		if (p->win_start_ns && now_ns > p->win_start_ns)
			close_window(p, now_ns);
	}
}

void mon_clear(struct mon *m)
{
	size_t i;
	unsigned int k;

	for (i = 0; i < m->nrows; i++) {
		struct mon_row *r = &m->rows[i];

		r->count = 0;
		r->first_ns = r->last_ns = 0;
		r->hz = r->jitter_ms = r->per_ns = r->dev_ns = 0;
		memset(r->changed_ns, 0, sizeof(r->changed_ns));
		if (r->sigs)
			for (k = 0; k < r->msg->nsigs; k++)
				r->sigs[k].min = r->sigs[k].max = 0, r->sigs[k].seen = 0;
	}
	for (k = 0; k < m->nifs; k++) {
		struct mon_if *p = &m->ifs[k];

		p->frames = p->errors = 0;
		p->drops_base = p->drops_total;
		p->drops = 0;
		p->fps = 0;
		p->load = p->bitrate ? 0 : -1;
		p->win_start_ns = p->win_frames = p->win_bits_nom = p->win_bits_data = 0;
	}
	m->rows_full = 0;
	m->frames = 0;
}

/* ---- selection ------------------------------------------------------- */

/* The id as the table prints it: 3 hex digits, or 8 for a 29-bit id. */
static int fmt_id(const struct mon_row *r, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	int n = r->ext ? 8 : 3, i;

	for (i = n - 1; i >= 0; i--)
		out[n - 1 - i] = hex[(r->id >> (4 * i)) & 0xF];
	out[n] = '\0';
	return n;
}

static int icontains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	for (; *hay; hay++) {
		for (i = 0; i < n && hay[i]; i++)
			if (tolower((unsigned char)hay[i]) != tolower((unsigned char)needle[i]))
				break;
		if (i == n)
			return 1;
	}
	return 0;
}

struct sort_ctx {
	const struct mon *m;
	enum mon_sort key;
};

static uint64_t last_change(const struct mon_row *r)
{
	uint64_t t = 0;
	unsigned int i;

	for (i = 0; i < CF_MAX_LEN; i++)
		if (r->changed_ns[i] > t)
			t = r->changed_ns[i];
	return t;
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *c = arg;
	const struct mon_row *x = &c->m->rows[*(const uint32_t *)a];
	const struct mon_row *y = &c->m->rows[*(const uint32_t *)b];
	int d = 0;

	switch (c->key) {
	case MON_SORT_ID:
		if (x->ext != y->ext)
			return x->ext < y->ext ? -1 : 1;
		if (x->id != y->id)
			return x->id < y->id ? -1 : 1;
		break;
	case MON_SORT_NAME:
		/* named rows first, by name; the rest by id below */
		if (!x->msg != !y->msg)
			return x->msg ? -1 : 1;
		if (x->msg)
			d = strcmp(x->msg->name, y->msg->name);
		break;
	case MON_SORT_RATE:
		if (x->hz != y->hz)
			return x->hz > y->hz ? -1 : 1;
		break;
	case MON_SORT_CHANGE: {
		uint64_t tx = last_change(x), ty = last_change(y);

		if (tx != ty)
			return tx > ty ? -1 : 1;
		break;
	}
	}
	if (d)
		return d;
	if (x->bus != y->bus)
		return x->bus < y->bus ? -1 : 1;
	if (x->ext != y->ext)
		return x->ext < y->ext ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

size_t mon_select(const struct mon *m, enum mon_sort key, const char *filter, uint64_t now_ns,
		  uint32_t *out, size_t n)
{
	struct sort_ctx c = {m, key};
	uint32_t *all = out;
	size_t i, k = 0;
	char id[12];

	(void)now_ns;
	/* all matches are sorted before the first n are kept: a short out
	 * needs room for them all, the one allocation here (not per frame) */
	if (n < m->nrows) {
		all = malloc(m->nrows * sizeof(*all));
		if (!all)
			all = out; /* then unsorted past n: better than nothing */
	}
	for (i = 0; i < m->nrows; i++) {
		const struct mon_row *r = &m->rows[i];

		if (filter && *filter) {
			fmt_id(r, id);
			if (!icontains(id, filter) && !(r->msg && icontains(r->msg->name, filter)))
				continue;
		}
		if (all != out || k < n)
			all[k] = (uint32_t)i;
		k++;
	}
	if (all != out) {
		qsort_r(all, k, sizeof(*all), cmp_rows, &c);
		memcpy(out, all, (k < n ? k : n) * sizeof(*out));
		free(all);
	} else {
		qsort_r(out, k < n ? k : n, sizeof(*out), cmp_rows, &c);
	}
	return k;
}

/* ---- snapshots ------------------------------------------------------- */

static void put_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void put_num(FILE *out, double v, const char *fmt)
{
	if (isfinite(v))
		fprintf(out, fmt, v);
	else
		fputs("null", out);
}

static uint32_t *sorted_all(const struct mon *m, size_t *n)
{
	uint32_t *idx = malloc((m->nrows ? m->nrows : 1) * sizeof(*idx));

	if (idx)
		*n = mon_select(m, MON_SORT_ID, NULL, 0, idx, m->nrows);
	return idx;
}

static int put_hex(FILE *out, const struct mon_row *r, const char *sep)
{
	unsigned int i;

	for (i = 0; i < r->len; i++)
		fprintf(out, "%s%02X", i && sep ? sep : "", r->data[i]);
	return 0;
}

int mon_write_json(const struct mon *m, FILE *out, uint64_t now_ns)
{
	uint32_t *idx;
	size_t n = 0, i;
	unsigned int k;
	char num[40];

	(void)now_ns;
	idx = sorted_all(m, &n);
	if (!idx)
		return -ENOMEM;
	fputs("{\"interfaces\": {", out);
	for (k = 0; k < m->nifs; k++) {
		const struct mon_if *p = &m->ifs[k];

		fputs(k ? ", " : "", out);
		put_json_str(out, p->name);
		fprintf(out, ": {\"frames\": %llu, \"fps\": ", (unsigned long long)p->frames);
		put_num(out, p->fps, "%.1f");
		fputs(", \"load\": ", out);
		if (p->load < 0)
			fputs("null", out);
		else
			put_num(out, p->load, "%.4f");
		fprintf(out, ", \"errors\": %llu, \"drops\": %llu}", (unsigned long long)p->errors,
			(unsigned long long)p->drops);
	}
	fputs("}, \"messages\": [", out);
	for (i = 0; i < n; i++) {
		const struct mon_row *r = &m->rows[idx[i]];
		int labels = 0, first = 1;

		fputs(i ? ", " : "", out);
		fputs("{\"bus\": ", out);
		put_json_str(out, m->ifs[r->bus].name);
		fprintf(out, ", \"id\": %lu, \"ext\": %s, \"name\": ", (unsigned long)r->id,
			r->ext ? "true" : "false");
		if (r->msg)
			put_json_str(out, r->msg->name);
		else
			fputs("null", out);
		fprintf(out, ", \"count\": %llu, \"hz\": ", (unsigned long long)r->count);
		put_num(out, r->hz, "%.3f");
		fprintf(out, ", \"len\": %u, \"data\": \"", r->len);
		put_hex(out, r, NULL);
		fputc('"', out);
		if (m->o.db) {
			fputs(", \"sig\": {", out);
			for (k = 0; r->sigs && k < r->msg->nsigs; k++) {
				const struct mon_sig *s = &r->sigs[k];

				if (!s->v.present)
					continue;
				fputs(first ? "" : ", ", out);
				first = 0;
				put_json_str(out, r->msg->sigs[k].name);
				fputs(": ", out);
				if (isfinite(s->v.phys)) {
					dbc_fmt_phys(&r->msg->sigs[k], &s->v, num);
					fputs(num, out);
				} else {
					fputs("null", out);
				}
				labels |= s->v.label != NULL;
			}
			fputc('}', out);
			/* a choice's label beside its number: "sig" stays numeric */
			if (labels) {
				fputs(", \"labels\": {", out);
				first = 1;
				for (k = 0; k < r->msg->nsigs; k++) {
					const struct mon_sig *s = &r->sigs[k];

					if (!s->v.present || !s->v.label)
						continue;
					fputs(first ? "" : ", ", out);
					first = 0;
					put_json_str(out, r->msg->sigs[k].name);
					fputs(": ", out);
					put_json_str(out, s->v.label);
				}
				fputc('}', out);
			}
		}
		fputc('}', out);
	}
	fputs("]}\n", out);
	free(idx);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}

int mon_write_text(const struct mon *m, FILE *out, uint64_t now_ns)
{
	uint32_t *idx;
	size_t n = 0, i;
	unsigned int k;
	char id[12], num[40];

	idx = sorted_all(m, &n);
	if (!idx)
		return -ENOMEM;
	for (k = 0; k < m->nifs; k++) {
		const struct mon_if *p = &m->ifs[k];

		fprintf(out, "%s: %llu frames, %.1f fps, load ", p->name,
			(unsigned long long)p->frames, p->fps);
		if (p->load < 0)
			fputs("unknown", out);
		else
			fprintf(out, "%.1f%%", p->load * 100);
		fprintf(out, ", %llu errors, %llu drops%s\n", (unsigned long long)p->errors,
			(unsigned long long)p->drops, p->gone ? " (gone)" : "");
	}
	fprintf(out, "%-8s %-8s %-20s %10s %9s %8s %7s %3s %s\n", "BUS", "ID", "NAME", "COUNT",
		"HZ", "JIT(ms)", "AGE(s)", "LEN", "DATA");
	for (i = 0; i < n; i++) {
		const struct mon_row *r = &m->rows[idx[i]];

		fmt_id(r, id);
		fprintf(out, "%-8s %-8s %-20s %10llu %9.2f %8.3f %7.2f %3u ", m->ifs[r->bus].name,
			id, r->msg ? r->msg->name : "-", (unsigned long long)r->count, r->hz,
			r->jitter_ms, r->count ? (double)mon_age(r, now_ns) / 1e9 : 0.0, r->len);
		put_hex(out, r, " ");
		fputc('\n', out);
		for (k = 0; r->sigs && k < r->msg->nsigs; k++) {
			const struct dbc_signal *sd = &r->msg->sigs[k];
			const struct mon_sig *s = &r->sigs[k];

			if (!s->v.present)
				continue;
			dbc_fmt_phys(sd, &s->v, num);
			fprintf(out, "    %s = %s", sd->name, num);
			if (sd->unit && *sd->unit)
				fprintf(out, " %s", sd->unit);
			if (s->v.label)
				fprintf(out, " (%s)", s->v.label);
			if (s->seen)
				fprintf(out, "  [min %g max %g]", s->min, s->max);
			fputc('\n', out);
		}
	}
	free(idx);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
