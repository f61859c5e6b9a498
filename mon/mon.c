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
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "mon.h"

#define MON_DEF_ROWS 65536u
#define MON_MIN_CAP  64u

/*
 * Period smoothing as TCP's RTT estimator (RFC 6298): the mean moves by
 * 1/8 of each new period, the mean absolute deviation by 1/4 of its
 * error.  Cheap (no history), steady within a few frames, and a single
 * late frame moves the rate by an eighth only.  Kept in integers of 1/256
 * ns as TCP keeps its scaled srtt: no floating point per frame (an
 * emulated CPU does that slowest), and the truncation stays below 1/256 ns.
 * A period is capped at 2^46 ns (19.5 h) so that nothing overflows.
 */
#define PER_MAX_NS (1ull << 46)

/* How a signal's range is kept (mon_sig.how). */
#define HOW_SIGNED 0x01 /* raw lo/hi as int64_t, else uint64_t */
#define HOW_DOWN   0x02 /* negative scale: the least raw is the greatest value */
#define HOW_PHYS   0x04 /* physical lo/hi, decoded per frame (floats, odd scales) */
#define HOW_LE	   0x08 /* raw = (little-endian word at "at" >> shift) & mask */
#define HOW_BE	   0x10 /* the same of a big-endian word (Motorola) */
#define HOW_SEXT   0x20 /* a signed integer narrower than 64 bits */
#define HOW_MUXED  0x40 /* present only for some values of its selector */

#define SFF_IDS 2048u

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
	memset(m, 0, sizeof(*m));
	if (o)
		m->o = *o;
	if (!m->o.max_rows)
		m->o.max_rows = MON_DEF_ROWS;
	return 0;
}

void mon_fini(struct mon *m)
{
	size_t i;

	for (i = 0; i < m->nrows; i++)
		free(m->rows[i].sigs);
	for (i = 0; i < MON_MAX_IFS; i++)
		free(m->sff[i]);
	free(m->rows);
	free(m->hash);
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

/* 11-bit ids (the common case) are looked up directly, not hashed. */
static inline int direct(int ext, uint32_t id)
{
	return !ext && id < SFF_IDS;
}

/* Doubles the hash (or makes the first); rows stay where they are. */
static int hash_grow(struct mon *m)
{
	size_t size = m->hash ? (m->hmask + 1) * 2 : 256, i, s;
	uint32_t *h = calloc(size, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (i = 0; i < m->nrows; i++) {
		if (direct(m->rows[i].ext, m->rows[i].id))
			continue;
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

/* Returns the hashed row of key, or NULL with *slot where it would go. */
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

/* 8 bytes as a little-endian word: byte i in bits 8i..8i+7. */
static inline uint64_t le64_at(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* 8 bytes as a big-endian word: byte 0 in bits 56..63. */
static inline uint64_t be64_at(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/*
 * Where one load and shift get the bits of sd out of a row's data (64
 * bytes: a word at byte 56 at most): Intel, its least bit at start;
 * Motorola, its top bit at start, the bits that follow in the next bytes'
 * top bits, which a big-endian word keeps in a row.  Others (a word past
 * the row, bits past one word) go step by step (extract()).
 */
static void word_of(const struct dbc_signal *sd, struct mon_sig *s)
{
	unsigned int at = sd->start / 8, bit = sd->start % 8;

	if (at > CF_MAX_LEN - 8 || !sd->size || sd->size > 64)
		return;
	if (!sd->big_endian && bit + sd->size <= 64) {
		s->how |= HOW_LE;
		s->shift = (uint8_t)bit;
	} else if (sd->big_endian && sd->size <= 57 + bit) {
		s->how |= HOW_BE;
		s->shift = (uint8_t)(57 + bit - sd->size);
	}
	s->at = (uint8_t)at;
}

/*
 * How the range of sd is kept: raw integers when the physical value is a
 * monotonic function of them, x * scale + offset with both finite and
 * scale not 0: then the least and greatest raws give exactly the least and
 * greatest values (rounding is monotonic too; at most one signed zero can
 * come out).  Else physical values as decoded: floats, a NaN or infinite
 * scale or offset, and scale 0, whose -0 and +0 (negative raws, offset -0)
 * the old min/max told apart by which came first.
 */
static uint8_t how_of(const struct dbc_signal *sd)
{
	if (sd->kind != DBC_INT || !isfinite(sd->scale) || !isfinite(sd->offset) || sd->scale == 0)
		return HOW_PHYS;
	return (uint8_t)((sd->is_signed ? HOW_SIGNED : 0) | (sd->scale < 0 ? HOW_DOWN : 0));
}

/* A row for a new id: the only allocation of the frame path. */
static struct mon_row *add_row(struct mon *m, unsigned int bus, const struct cf_frame *f,
			       uint64_t key)
{
	struct mon_row *r;
	size_t slot = 0, cap;
	const struct dbc_message *msg = NULL;
	int ext = (f->flags & CF_EFF) != 0, dir = direct(ext, f->id);
	unsigned int k;

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
	if (dir) {
		if (!m->sff[bus]) {
			m->sff[bus] = calloc(SFF_IDS, sizeof(*m->sff[bus]));
			if (!m->sff[bus])
				return NULL;
		}
	} else {
		/* at most half full keeps probes short */
		if (!m->hash || (m->nhashed + 1) * 2 > m->hmask + 1)
			if (hash_grow(m))
				return NULL;
		find(m, key, &slot);
	}
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
	r->ext = (uint8_t)ext;
	r->id = f->id;
	if (msg && msg->nsigs) {
		r->sigs = calloc(msg->nsigs, sizeof(*r->sigs));
		if (!r->sigs)
			return NULL;
		for (k = 0; k < msg->nsigs; k++) {
			const struct dbc_signal *sd = &msg->sigs[k];
			struct mon_sig *s = &r->sigs[k];

			s->how = how_of(sd);
			if (sd->kind == DBC_INT && sd->is_signed && sd->size && sd->size < 64)
				s->how |= HOW_SEXT;
			if (sd->selector)
				s->how |= HOW_MUXED;
			s->size = (uint8_t)sd->size;
			s->last = sd->last_byte;
			word_of(sd, s);
		}
		r->flat = 1;
		for (k = 0; k < msg->nsigs; k++)
			if (msg->sigs[k].selector)
				r->flat = 0;
	}
	r->msg = msg;
	if (dir) {
		m->sff[bus][f->id] = (uint32_t)m->nrows + 1;
	} else {
		m->hash[slot] = (uint32_t)m->nrows + 1;
		m->nhashed++;
	}
	m->nrows++;
	return r;
}

/* The raw bits of sd in data, by its compiled plan (dbc.h); the caller
 * checked sd->last_byte < the frame's length. */
static inline uint64_t extract(const struct dbc_signal *sd, const uint8_t *d)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < sd->nsteps; i++) {
		const struct dbc_step *st = &sd->steps[i];

		v |= (uint64_t)((d[st->byte] >> st->rshift) & st->mask) << st->lshift;
	}
	return v;
}

static inline int in_ranges(const struct dbc_signal *sd, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < sd->nranges; i++)
		if (v >= sd->ranges[i].lo && v <= sd->ranges[i].hi)
			return 1;
	return 0;
}

/*
 * dbc_decode()'s rules (presence, mux selectors in m->order, sign
 * extension), but raw only: the values and labels are read later
 * (mon_sig_value()), and the range is kept in raw integers where that
 * gives the same min/max (how_of()).
 */
static void decode(struct mon_row *r)
{
	const struct dbc_message *msg = r->msg;
	unsigned int k, n = msg->nsigs, len = r->len;

	for (k = 0; k < n; k++) {
		unsigned int i = r->flat ? k : msg->order[k];
		struct mon_sig *s = &r->sigs[i];
		unsigned int how = s->how;
		uint64_t raw;

		s->present = 0;
		if (s->last >= len)
			continue;
		if (how & HOW_MUXED) {
			const struct dbc_signal *sd = &msg->sigs[i];
			const struct mon_sig *sel = &r->sigs[sd->selector->index];

			if (!sel->present || !in_ranges(sd, sel->raw.u))
				continue;
		}
		/* from the row's copy: 64 bytes, so a word may pass the frame's
		 * end (the bits past it are masked off) */
		if (how & HOW_LE)
			raw = (le64_at(r->data + s->at) >> s->shift) & (~0ull >> (64 - s->size));
		else if (how & HOW_BE)
			raw = (be64_at(r->data + s->at) >> s->shift) & (~0ull >> (64 - s->size));
		else
			raw = extract(&msg->sigs[i], r->data);
		if ((how & HOW_SEXT) && (raw >> (s->size - 1)) & 1)
			raw |= ~0ull << s->size;
		s->raw.u = raw;
		s->present = 1;
		if (how & HOW_PHYS) {
			double x = dbc_phys(&msg->sigs[i], raw);

			if (isnan(x))
				continue;
			if (!s->seen || x < s->lo.phys)
				s->lo.phys = x;
			if (!s->seen || x > s->hi.phys)
				s->hi.phys = x;
		} else if (!s->seen) {
			s->lo.u = s->hi.u = raw;
		} else if (how & HOW_SIGNED) {
			if ((int64_t)raw < s->lo.i)
				s->lo.i = (int64_t)raw;
			else if ((int64_t)raw > s->hi.i)
				s->hi.i = (int64_t)raw;
		} else {
			if (raw < s->lo.u)
				s->lo.u = raw;
			else if (raw > s->hi.u)
				s->hi.u = raw;
		}
		s->seen = 1;
	}
}

void mon_sig_value(const struct dbc_signal *sd, const struct mon_sig *s, struct dbc_value *v)
{
	memset(v, 0, sizeof(*v));
	v->raw.u = s->raw.u;
	v->present = s->present;
	if (!s->present)
		return;
	v->phys = dbc_phys(sd, s->raw.u);
	if (sd->nchoices)
		v->label = dbc_label(sd, s->raw.u);
}

int mon_sig_range(const struct dbc_signal *sd, const struct mon_sig *s, double *min, double *max)
{
	double a, b;

	if (!s->seen)
		return 0;
	if (s->how & HOW_PHYS) {
		*min = s->lo.phys;
		*max = s->hi.phys;
		return 1;
	}
	/* x * scale + offset rounds monotonically: the extreme raws give
	 * exactly the extreme values dbc_phys() gave the frames */
	a = dbc_phys(sd, s->lo.u);
	b = dbc_phys(sd, s->hi.u);
	*min = (s->how & HOW_DOWN) ? b : a;
	*max = (s->how & HOW_DOWN) ? a : b;
	return 1;
}

double mon_hz(const struct mon_row *r)
{
	return r->count >= 2 && r->per_q8 > 0 ? 256e9 / (double)r->per_q8 : 0;
}

double mon_jitter_ms(const struct mon_row *r)
{
	return r->count >= 2 ? (double)r->dev_q8 / 256e6 : 0;
}

/* Bit i set for each byte i of x that is not zero: the top bit of each
 * byte says so, then one multiply gathers the eight (no two of its
 * partial products meet, so nothing carries into the top byte). */
static inline uint64_t nonzero_bytes(uint64_t x)
{
	const uint64_t lo7 = 0x7F7F7F7F7F7F7F7Full;
	uint64_t y = (((x & lo7) + lo7) | x) & ~lo7;

	return ((y >> 7) * 0x0102040810204080ull) >> 56;
}

/* Mask of the bytes of a (len) that differ from b, without a loop per
 * byte; b becomes a. */
static inline uint64_t diff_copy(const uint8_t *a, uint8_t *b, unsigned int len)
{
	uint64_t mk = 0, x;
	unsigned int w = 0, i;

#ifdef __SSE2__
	/* x86-64 always has it: 16 bytes compared in three instructions */
	for (; w + 16 <= len; w += 16) {
		__m128i va = _mm_loadu_si128((const __m128i *)(const void *)(a + w));
		__m128i vb = _mm_loadu_si128((const __m128i *)(const void *)(b + w));
		unsigned int eq = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(va, vb));

		mk |= (uint64_t)(~eq & 0xFFFFu) << w;
		_mm_storeu_si128((__m128i *)(void *)(b + w), va);
	}
#endif
	for (; w + 8 <= len; w += 8) {
		memcpy(&x, a + w, sizeof(x));
		mk |= nonzero_bytes(le64_at(a + w) ^ le64_at(b + w)) << w;
		memcpy(b + w, &x, sizeof(x));
	}
	for (i = w; i < len; i++) {
		if (a[i] != b[i])
			mk |= 1ull << i;
		b[i] = a[i];
	}
	return mk;
}

/* Bits lo..hi-1 (hi <= 64). */
static inline uint64_t bit_range(unsigned int lo, unsigned int hi)
{
	uint64_t below_hi = hi >= 64 ? ~0ull : (1ull << hi) - 1;
	uint64_t below_lo = lo >= 64 ? ~0ull : (1ull << lo) - 1;

	return below_hi & ~below_lo;
}

/* Byte marks: the bytes in mk changed at t.  Bytes of the previous change
 * that did not change again get its time written out; the rest is one
 * mask and one time. */
static inline void mark_changed(struct mon_row *r, uint64_t mk, uint64_t t)
{
	uint64_t out = r->chg_mask & ~mk;

	while (out) {
		r->changed_ns[__builtin_ctzll(out)] = r->chg_ns;
		out &= out - 1;
	}
	r->chg_mask = mk;
	r->chg_ns = t;
}

int mon_frame(struct mon *m, unsigned int bus, const struct cf_frame *f, uint64_t now_ns)
{
	struct mon_if *p;
	struct mon_row *r;
	uint64_t key, nom, dat, per, mk;
	size_t slot;
	unsigned int len;
	int changed, ext;
	uint32_t idx;

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

	ext = (f->flags & CF_EFF) != 0;
	key = 0;
	if (direct(ext, f->id)) {
		idx = m->sff[bus] ? m->sff[bus][f->id] : 0;
		r = idx ? &m->rows[idx - 1] : NULL;
	} else {
		key = key_of(bus, f->id, ext);
		r = find(m, key, &slot);
	}
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
		/* a longer frame's new bytes count as changed, whatever the
		 * bytes past the old length held */
		mk = diff_copy(f->data, r->data, len);
		if (len > r->len)
			mk |= bit_range(r->len, len);
		changed = mk || len != r->len; /* the steady bus: no change */
		if (mk)
			mark_changed(r, mk, now_ns ? now_ns : 1);
	}
	if (r->count) {
		int64_t p8, err;

		per = now_ns > r->last_ns ? now_ns - r->last_ns : 0;
		p8 = (int64_t)((per < PER_MAX_NS ? per : PER_MAX_NS) << 8);
		if (r->count == 1) {
			r->per_q8 = p8;
			r->dev_q8 = 0;
		} else {
			err = p8 - r->per_q8;
			r->dev_q8 += ((err < 0 ? -err : err) - r->dev_q8) / 4;
			r->per_q8 += err / 8;
		}
	} else {
		r->first_ns = now_ns;
	}
	r->last_ns = now_ns;
	r->count++;
	r->flags = f->flags;
	if (!(f->flags & CF_RTR)) {
		r->len = (uint8_t)len;
		/* same bytes, same values: a steady bus costs no decoding */
		if (changed && r->sigs)
			decode(r);
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
		r->per_q8 = r->dev_q8 = 0;
		memset(r->changed_ns, 0, sizeof(r->changed_ns));
		r->chg_mask = r->chg_ns = 0;
		if (r->sigs)
			for (k = 0; k < r->msg->nsigs; k++)
				r->sigs[k].seen = 0;
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
	uint64_t t = r->chg_mask ? r->chg_ns : 0;
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
	case MON_SORT_RATE: {
		double hx = mon_hz(x), hy = mon_hz(y);

		if (hx != hy)
			return hx > hy ? -1 : 1;
		break;
	}
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
		put_num(out, mon_hz(r), "%.3f");
		fprintf(out, ", \"len\": %u, \"data\": \"", r->len);
		put_hex(out, r, NULL);
		fputc('"', out);
		if (m->o.db) {
			fputs(", \"sig\": {", out);
			for (k = 0; r->sigs && k < r->msg->nsigs; k++) {
				struct dbc_value v;

				mon_sig_value(&r->msg->sigs[k], &r->sigs[k], &v);
				if (!v.present)
					continue;
				fputs(first ? "" : ", ", out);
				first = 0;
				put_json_str(out, r->msg->sigs[k].name);
				fputs(": ", out);
				if (isfinite(v.phys)) {
					dbc_fmt_phys(&r->msg->sigs[k], &v, num);
					fputs(num, out);
				} else {
					fputs("null", out);
				}
				labels |= v.label != NULL;
			}
			fputc('}', out);
			/* a choice's label beside its number: "sig" stays numeric */
			if (labels) {
				fputs(", \"labels\": {", out);
				first = 1;
				for (k = 0; k < r->msg->nsigs; k++) {
					struct dbc_value v;

					mon_sig_value(&r->msg->sigs[k], &r->sigs[k], &v);
					if (!v.present || !v.label)
						continue;
					fputs(first ? "" : ", ", out);
					first = 0;
					put_json_str(out, r->msg->sigs[k].name);
					fputs(": ", out);
					put_json_str(out, v.label);
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
			id, r->msg ? r->msg->name : "-", (unsigned long long)r->count, mon_hz(r),
			mon_jitter_ms(r), r->count ? (double)mon_age(r, now_ns) / 1e9 : 0.0,
			r->len);
		put_hex(out, r, " ");
		fputc('\n', out);
		for (k = 0; r->sigs && k < r->msg->nsigs; k++) {
			const struct dbc_signal *sd = &r->msg->sigs[k];
			struct dbc_value v;
			double lo, hi;

			mon_sig_value(sd, &r->sigs[k], &v);
			if (!v.present)
				continue;
			dbc_fmt_phys(sd, &v, num);
			fprintf(out, "    %s = %s", sd->name, num);
			if (sd->unit && *sd->unit)
				fprintf(out, " %s", sd->unit);
			if (v.label)
				fprintf(out, " (%s)", v.label);
			if (mon_sig_range(sd, &r->sigs[k], &lo, &hi))
				fprintf(out, "  [min %g max %g]", lo, hi);
			fputc('\n', out);
		}
	}
	free(idx);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
