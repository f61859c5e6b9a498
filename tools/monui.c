/* SPDX-License-Identifier: MIT */
/*
 * monui.c - the ncurses screen of `canrig monitor` (tools/monui.h).
 *
 * Each line is first formatted as plain text (the pure helpers at the
 * top, also used by the unit tests), then drawn, then attributes are laid
 * over it (selection, changed bytes).  Only the visible window of rows is
 * formatted, so a redraw costs the screen's size, not the table's; the
 * selection (mon_select) is redone only when its result can change.
 */
#define _GNU_SOURCE
#include "monui.h"

#include <curses.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define LINE_MAX_W 1024 /* wider terminals are drawn this wide */

enum { PAIR_BAR = 1, PAIR_HOT, PAIR_TITLE, PAIR_SEL, PAIR_SIG, PAIR_HOT_SEL };

/* One signal line of an expanded row, in display order. */
struct tree_ent {
	unsigned int sig;
	unsigned int depth; /* 0: not multiplexed, 1: under a selector, ... */
};

struct tree {
	struct tree_ent *e;
	unsigned int n;
	int built;
};

struct priv {
	SCREEN *scr;
	int mono; /* no colours: attributes, and '*' after a changed byte */
	/* the frozen copy shown while paused */
	struct mon fz;
	int fz_valid, refreeze;
	uint64_t fz_now;
	size_t fz_rows_cap, fz_sigs_cap;
	struct mon_sig *fz_sigs;
	/* the last selection: u->idx[0..nshown) of the model drawn */
	size_t nshown, matched;
	uint32_t sel_row; /* the model row under the cursor, followed across re-sorts */
	int have_sel;
	int dirty; /* sort, filter or model changed: select again */
	const struct mon *sel_m;
	size_t sel_nrows;
	uint64_t sel_ns; /* when it was last sorted */
	/* column widths, grown as rows appear (rows are never removed) */
	size_t scanned;
	int any_ext, name_max;
	/* the filter being typed */
	char edit[sizeof(((struct monui *)0)->filter)];
	size_t elen;
	/* per DBC message (index in db->msgs): its signals in display order */
	struct tree *trees;
	size_t ntrees;
	int body_h;
};

/* ---- pure formatting (no curses) */

size_t monui_fmt_age(uint64_t ns, char *out, size_t n)
{
	double s = (double)ns / 1e9;
	int r;

	if (s < 9.995)
		r = snprintf(out, n, "%.2fs", s);
	else if (s < 99.95)
		r = snprintf(out, n, "%.1fs", s);
	else if (s < 999.5)
		r = snprintf(out, n, "%.0fs", s);
	else if (s < 6000)
		r = snprintf(out, n, "%um", (unsigned int)(s / 60));
	else if (s < 360000)
		r = snprintf(out, n, "%uh", (unsigned int)(s / 3600));
	else
		r = snprintf(out, n, "%ud", (unsigned int)(s / 86400 > 99999 ? 99999 : s / 86400));
	return r < 0 ? 0 : (size_t)r;
}

size_t monui_fmt_count(uint64_t c, char *out, size_t n)
{
	int r;

	if (c < 10000000)
		r = snprintf(out, n, "%u", (unsigned int)c);
	else if (c < 999950000ull)
		r = snprintf(out, n, "%.1fM", (double)c / 1e6);
	else if (c < 999950000000ull)
		r = snprintf(out, n, "%.1fG", (double)c / 1e9);
	else
		r = snprintf(out, n, "%.0fG", (double)c / 1e9 > 999999 ? 999999 : (double)c / 1e9);
	return r < 0 ? 0 : (size_t)r;
}

size_t monui_fmt_hz(double hz, char *out, size_t n)
{
	int r;

	if (!(hz > 0))
		r = snprintf(out, n, "-");
	else if (hz < 9.995)
		r = snprintf(out, n, "%.2f", hz);
	else if (hz < 9999.95)
		r = snprintf(out, n, "%.1f", hz);
	else if (hz < 999999.5)
		r = snprintf(out, n, "%.0f", hz);
	else
		r = snprintf(out, n, ">1e6");
	return r < 0 ? 0 : (size_t)r;
}

size_t monui_fmt_data(const struct mon_row *r, uint64_t now_ns, unsigned int width, int mark,
		      char *out, uint64_t *hot)
{
	unsigned int i, n = r->len, fit = width / 3, shown;
	size_t o = 0;

	if (hot)
		*hot = 0;
	if (r->flags & CF_RTR)
		return (size_t)sprintf(out, "%.*s", (int)width, "remote");
	if (n > CF_MAX_LEN)
		n = CF_MAX_LEN;
	/* what does not fit is counted: "+NN" in the last byte's place */
	shown = n <= fit ? n : (fit ? fit - 1 : 0);
	for (i = 0; i < shown; i++) {
		int h = mon_byte_hot(r, i, now_ns);

		sprintf(out + o, "%02X", r->data[i]);
		out[o + 2] = mark && h ? '*' : ' ';
		o += 3;
		if (h && hot && i < 64)
			*hot |= 1ull << i;
	}
	if (shown < n && width >= o + 3)
		o += (size_t)sprintf(out + o, "+%u", n - shown);
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = 0;
	return o;
}

/* Copies s into out (at most n - 1 columns), one '?' for each byte or
 * UTF-8 sequence that is no printable ASCII: columns stay columns. */
static size_t put_text(char *out, size_t n, const char *s)
{
	size_t o = 0;

	if (!n)
		return 0;
	for (; s && *s && o + 1 < n; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else if ((c & 0xc0) != 0x80)
			out[o++] = '?';
	}
	out[o] = 0;
	return o;
}

/* Decimals a value of s needs: those of its scale and offset (0.4 -> 1),
 * so 4.800000000000001 shows as 4.8 and a live column keeps its width;
 * -1 when they have none that short (floats). */
static int sig_decimals(const struct dbc_signal *s)
{
	double k = 1;
	int d;

	if (s->kind != DBC_INT)
		return -1;
	for (d = 0; d <= 9; d++, k *= 10) {
		double a = s->scale * k, b = s->offset * k;

		if (fabs(a - round(a)) < 1e-9 * (fabs(a) + 1) &&
		    fabs(b - round(b)) < 1e-9 * (fabs(b) + 1))
			break;
	}
	/* a binary scale (1/256 = 0.00390625) would want 8: its order of
	 * magnitude is enough on screen */
	if (d > 4 && s->scale != 0) {
		int m = (int)ceil(-log10(fabs(s->scale)));

		d = m < d ? m : d;
	}
	return d > 9 ? -1 : d < 0 ? 0 : d;
}

/* The physical value d of s, as sig_decimals() says (out: 40 bytes). */
static void fmt_phys_d(const struct dbc_signal *s, double d, char *out)
{
	int n = sig_decimals(s);

	if (!isfinite(d) || fabs(d) >= 1e15)
		dbc_fmt_double(d, out);
	else if (n >= 0)
		snprintf(out, 40, "%.*f", n, d);
	else
		snprintf(out, 40, "%.6g", d);
}

/* ---- layout */

struct lay {
	int w, h;
	int hdr; /* header lines */
	int body_y, body_h;
	int x_bus, w_bus, x_id, w_id, x_name, w_name, x_cnt, w_cnt, x_hz, w_hz, x_jit, w_jit;
	int x_len, w_len, x_data, w_data, x_age, w_age;
};

/* Widths grow with the rows seen; rows are only ever appended. */
static void scan_rows(struct priv *p, const struct mon *m)
{
	size_t i;

	if (p->scanned > m->nrows)
		p->scanned = 0;
	for (i = p->scanned; i < m->nrows; i++) {
		const struct mon_row *r = &m->rows[i];

		if (r->ext)
			p->any_ext = 1;
		if (r->msg) {
			int l = (int)strlen(r->msg->name);

			if (l > p->name_max)
				p->name_max = l;
		}
	}
	p->scanned = m->nrows;
}

static int if_segment(const struct mon_if *f, char *out, size_t n)
{
	char fps[16], load[16], name[MON_IFNAMSIZ];

	if (f->fps >= 99.95)
		snprintf(fps, sizeof(fps), "%.0f", f->fps);
	else
		snprintf(fps, sizeof(fps), "%.1f", f->fps);
	if (f->load < 0)
		snprintf(load, sizeof(load), "?");
	else
		snprintf(load, sizeof(load), "%.1f%%", f->load * 100);
	put_text(name, sizeof(name), f->name);
	/* an interface that went away keeps its rows; its figures stop */
	return snprintf(out, n, "%s%s %s fps load %s err %llu drop %llu", name,
			f->gone ? " GONE" : "", fps, load, (unsigned long long)f->errors,
			(unsigned long long)f->drops);
}

#define TITLE "canrig monitor"

/* Header lines needed for the interfaces at width w (at least 1). */
static int header_lines(const struct mon *m, int w)
{
	int lines = 1, x = (int)sizeof(TITLE);
	unsigned int i;
	char seg[160];

	for (i = 0; i < m->nifs; i++) {
		int l = if_segment(&m->ifs[i], seg, sizeof(seg)) + 3;

		if (x + l > w && x > 0) {
			lines++;
			x = 0;
		}
		x += l;
	}
	return lines;
}

static void layout(struct lay *L, struct priv *p, const struct mon *m, int w, int h)
{
	int x, rest, need, i, has_db = m->o.db != NULL;
	int ifw = 3;

	memset(L, 0, sizeof(*L));
	L->w = w > LINE_MAX_W - 1 ? LINE_MAX_W - 1 : w;
	L->h = h;
	L->hdr = header_lines(m, L->w);
	if (L->hdr > h - 4)
		L->hdr = h - 4 < 1 ? 1 : h - 4;
	L->body_y = L->hdr + 1;
	L->body_h = h - L->hdr - 2;
	for (i = 0; i < (int)m->nifs; i++) {
		int l = (int)strlen(m->ifs[i].name);

		if (l > ifw)
			ifw = l;
	}
	L->w_bus = ifw;
	L->w_id = p->any_ext ? 8 : 3;
	L->w_name = has_db ? (p->name_max < 4 ? 4 : p->name_max > 24 ? 24 : p->name_max) : 0;
	L->w_cnt = 7;
	L->w_hz = 7;
	L->w_jit = 6;
	L->w_len = 3;
	L->w_age = 6;
	/* narrow: drop jitter, count, age, rate, then shorten the name and
	 * the bus, so the bytes keep at least 4 columns of three */
	for (;;) {
		need = 2 + L->w_bus + 1 + L->w_id + 1 + (L->w_name ? L->w_name + 1 : 0) +
		       (L->w_cnt ? L->w_cnt + 1 : 0) + (L->w_hz ? L->w_hz + 1 : 0) +
		       (L->w_jit ? L->w_jit + 1 : 0) + L->w_len + 1 + (L->w_age ? L->w_age + 1 : 0);
		if (need + 12 <= L->w)
			break;
		if (L->w_jit)
			L->w_jit = 0;
		else if (L->w_cnt)
			L->w_cnt = 0;
		else if (L->w_age)
			L->w_age = 0;
		else if (L->w_hz)
			L->w_hz = 0;
		else if (L->w_name > 8)
			L->w_name = 8;
		else if (L->w_bus > 8)
			L->w_bus = 8; /* a log's long bus names, cut */
		else
			break;
	}
	x = 2;
	L->x_bus = x;
	x += L->w_bus + 1;
	L->x_id = x;
	x += L->w_id + 1;
	L->x_name = x;
	x += L->w_name ? L->w_name + 1 : 0;
	L->x_cnt = x;
	x += L->w_cnt ? L->w_cnt + 1 : 0;
	L->x_hz = x;
	x += L->w_hz ? L->w_hz + 1 : 0;
	L->x_jit = x;
	x += L->w_jit ? L->w_jit + 1 : 0;
	L->x_len = x;
	x += L->w_len + 1;
	L->x_data = x;
	rest = L->w - x - (L->w_age ? L->w_age + 1 : 0);
	L->w_data = rest < 0 ? 0 : rest;
	L->x_age = L->w - L->w_age;
}

/* ---- a line buffer, then onto the screen */

struct lb {
	char b[LINE_MAX_W];
	int w;
};

static void lb_init(struct lb *l, int w)
{
	l->w = w;
	memset(l->b, ' ', (size_t)w);
	l->b[w] = 0;
}

/* s at column x, in width columns (0: to the end), right-aligned if right */
static void lb_put(struct lb *l, int x, int width, int right, const char *s)
{
	int n = (int)strlen(s);

	if (x >= l->w || x < 0)
		return;
	if (width <= 0 || x + width > l->w)
		width = l->w - x;
	if (n > width)
		n = width;
	memcpy(l->b + x + (right ? width - n : 0), s, (size_t)n);
}

/* ---- signals of an expanded row */

static void tree_add(struct tree *t, const struct dbc_message *msg, const struct dbc_signal *parent,
		     unsigned int depth)
{
	unsigned int i;

	if (depth > 8)
		return;
	for (i = 0; i < msg->nsigs && t->n < msg->nsigs; i++) {
		const struct dbc_signal *s = &msg->sigs[i];

		if (s->selector != parent)
			continue;
		t->e[t->n].sig = i;
		t->e[t->n++].depth = depth;
		if (s->mux & DBC_MUX_SELECTOR)
			tree_add(t, msg, s, depth + 1);
	}
}

/* The signals of msg in display order: each selector followed by the
 * signals it selects; built once per message.  NULL on ENOMEM. */
static const struct tree *tree_of(struct priv *p, const struct mon *m,
				  const struct dbc_message *msg)
{
	const struct dbc_db *db = m->o.db;
	size_t k;
	struct tree *t;

	if (!db || msg < db->msgs || msg >= db->msgs + db->nmsgs)
		return NULL;
	k = (size_t)(msg - db->msgs);
	if (!p->trees) {
		p->trees = calloc(db->nmsgs ? db->nmsgs : 1, sizeof(*p->trees));
		if (!p->trees)
			return NULL;
		p->ntrees = db->nmsgs;
	}
	if (k >= p->ntrees)
		return NULL;
	t = &p->trees[k];
	if (!t->built) {
		t->e = calloc(msg->nsigs ? msg->nsigs : 1, sizeof(*t->e));
		if (!t->e)
			return NULL;
		t->n = 0;
		tree_add(t, msg, NULL, 0);
		t->built = 1;
	}
	return t;
}

/*
 * Walks the signal lines of an expanded row: a signal under a selector is
 * shown once seen (since the last clear), greyed when its branch is not
 * the one of the last frame; a selector's dependants only under a shown
 * selector.  Calls fn for each (fn NULL: counts).  Stops after max lines.
 */
typedef void (*sig_fn)(void *ctx, const struct mon_row *r, const struct dbc_signal *s,
		       const struct mon_sig *ms, unsigned int depth);

static int walk_sigs(struct priv *p, const struct mon *m, const struct mon_row *r, int max,
		     sig_fn fn, void *ctx)
{
	const struct tree *t;
	unsigned int i, skip_depth = ~0u;
	int n = 0;

	if (!r->expanded || !r->msg || !r->sigs)
		return 0;
	t = tree_of(p, m, r->msg);
	if (!t)
		return 0;
	for (i = 0; i < t->n && n < max; i++) {
		const struct tree_ent *e = &t->e[i];
		const struct dbc_signal *s = &r->msg->sigs[e->sig];
		const struct mon_sig *ms = &r->sigs[e->sig];

		if (e->depth > skip_depth)
			continue;
		skip_depth = ~0u;
		if (s->selector && !ms->seen && !ms->present) {
			skip_depth = e->depth;
			continue;
		}
		if (fn)
			fn(ctx, r, s, ms, e->depth);
		n++;
	}
	return n;
}

/* Lines row r takes on screen (itself and its shown signals), at most max. */
static int row_lines(struct priv *p, const struct mon *m, const struct mon_row *r, int max)
{
	return 1 + walk_sigs(p, m, r, max - 1, NULL, NULL);
}

/* ---- selection */

static void do_select(struct monui *u, const struct mon *m, uint64_t now)
{
	struct priv *p = u->priv;
	size_t got;

	if (m->nrows > u->idx_cap) {
		size_t cap = u->idx_cap ? u->idx_cap : 64;
		uint32_t *n;

		while (cap < m->nrows)
			cap *= 2;
		n = realloc(u->idx, cap * sizeof(*n));
		if (n) {
			u->idx = n;
			u->idx_cap = cap;
		}
	}
	/* by id or name the order only changes with the rows or the filter;
	 * by rate or change it is redone twice a second, not at every redraw:
	 * a sort of the whole table 20 times a second is CPU taken from
	 * capture, and rows that jump 20 times a second cannot be read */
	if (!p->dirty && p->sel_m == m && p->sel_nrows == m->nrows &&
	    (u->sort == MON_SORT_ID || u->sort == MON_SORT_NAME ||
	     (now >= p->sel_ns && now - p->sel_ns < MONUI_RESORT_NS)))
		return;
	got = u->idx ? mon_select(m, u->sort, u->filter, now, u->idx, u->idx_cap) : 0;
	p->matched = got;
	p->nshown = got < u->idx_cap ? got : u->idx_cap;
	p->dirty = 0;
	p->sel_m = m;
	p->sel_nrows = m->nrows;
	p->sel_ns = now;
}

/* The cursor follows its row through re-sorts; else stays in range. */
static void place_sel(struct monui *u)
{
	struct priv *p = u->priv;
	size_t i;

	if (!p->nshown) {
		u->sel = u->top = 0;
		return;
	}
	if (p->have_sel && !(u->sel < p->nshown && u->idx[u->sel] == p->sel_row)) {
		for (i = 0; i < p->nshown; i++)
			if (u->idx[i] == p->sel_row)
				break;
		if (i < p->nshown)
			u->sel = i;
	}
	if (u->sel >= p->nshown)
		u->sel = p->nshown - 1;
	p->sel_row = u->idx[u->sel];
	p->have_sel = 1;
}

/* Scrolls so the cursor's row is in the body, and no space is left
 * empty at the bottom while rows are above.  O(body lines). */
static void place_top(struct monui *u, const struct mon *m, int body_h)
{
	struct priv *p = u->priv;
	size_t k;
	int lines;

	if (u->top > u->sel)
		u->top = u->sel;
	/* the lowest top that still shows the cursor's first line */
	lines = 1;
	k = u->sel;
	while (k > u->top) {
		int l = row_lines(p, m, &m->rows[u->idx[k - 1]], body_h + 1);

		if (lines + l > body_h)
			break;
		lines += l;
		k--;
	}
	if (k > u->top)
		u->top = k;
	/* pull down rows from above while the body has room */
	lines = 0;
	for (k = u->top; k < p->nshown && lines < body_h; k++)
		lines += row_lines(p, m, &m->rows[u->idx[k]], body_h + 1);
	while (u->top > 0 && lines < body_h) {
		int l = row_lines(p, m, &m->rows[u->idx[u->top - 1]], body_h + 1);

		if (lines + l > body_h)
			break;
		lines += l;
		u->top--;
	}
}

/* ---- the frozen copy */

static int freeze(struct monui *u, uint64_t now)
{
	struct priv *p = u->priv;
	const struct mon *m = u->m;
	struct mon_row *rows = p->fz.rows;
	size_t i, nsig = 0, o = 0;

	for (i = 0; i < m->nrows; i++)
		if (m->rows[i].sigs && m->rows[i].msg)
			nsig += m->rows[i].msg->nsigs;
	if (m->nrows > p->fz_rows_cap) {
		rows = realloc(p->fz.rows, m->nrows * sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		p->fz.rows = rows;
		p->fz_rows_cap = m->nrows;
	}
	if (nsig > p->fz_sigs_cap) {
		struct mon_sig *s = realloc(p->fz_sigs, nsig * sizeof(*s));

		if (!s)
			return -ENOMEM;
		p->fz_sigs = s;
		p->fz_sigs_cap = nsig;
	}
	p->fz = *m;
	p->fz.rows = rows;
	p->fz.cap = p->fz_rows_cap;
	p->fz.hash = NULL; /* a copy to draw, never given a frame */
	p->fz.hmask = 0;
	if (m->nrows)
		memcpy(rows, m->rows, m->nrows * sizeof(*rows));
	for (i = 0; i < m->nrows; i++) {
		if (!rows[i].sigs || !rows[i].msg)
			continue;
		memcpy(p->fz_sigs + o, m->rows[i].sigs, rows[i].msg->nsigs * sizeof(*p->fz_sigs));
		rows[i].sigs = p->fz_sigs + o;
		o += rows[i].msg->nsigs;
	}
	p->fz_now = now;
	p->fz_valid = 1;
	p->refreeze = 0;
	p->dirty = 1;
	return 0;
}

/* ---- drawing */

static attr_t a_bar(const struct priv *p)
{
	return p->mono ? A_REVERSE : (attr_t)COLOR_PAIR(PAIR_BAR);
}

static void draw_line(int y, const struct lb *l, attr_t a)
{
	attrset(a);
	mvaddnstr(y, 0, l->b, l->w);
	attrset(A_NORMAL);
}

static void draw_header(struct monui *u, const struct mon *m, const struct lay *L)
{
	struct priv *p = u->priv;
	struct lb l;
	int y = 0, x;
	unsigned int i;
	char seg[160];

	lb_init(&l, L->w);
	lb_put(&l, 0, 0, 0, TITLE);
	x = (int)sizeof(TITLE);
	for (i = 0; i < m->nifs; i++) {
		int n = if_segment(&m->ifs[i], seg, sizeof(seg));

		if (x + n + 3 > L->w && x > 0) {
			draw_line(y, &l, a_bar(p));
			if (++y >= L->hdr)
				return;
			lb_init(&l, L->w);
			x = 0;
		}
		lb_put(&l, x + 1, 0, 0, seg);
		if (i + 1 < m->nifs)
			lb_put(&l, x + 2 + n, 0, 0, "|");
		x += n + 3;
	}
	draw_line(y, &l, a_bar(p));
}

static void draw_titles(struct monui *u, const struct lay *L)
{
	struct priv *p = u->priv;
	struct lb l;

	lb_init(&l, L->w);
	lb_put(&l, L->x_bus, L->w_bus, 0, "BUS");
	lb_put(&l, L->x_id, L->w_id, 1, "ID");
	if (L->w_name)
		lb_put(&l, L->x_name, L->w_name, 0, "NAME");
	if (L->w_cnt)
		lb_put(&l, L->x_cnt, L->w_cnt, 1, "COUNT");
	if (L->w_hz)
		lb_put(&l, L->x_hz, L->w_hz, 1, "HZ");
	if (L->w_jit)
		lb_put(&l, L->x_jit, L->w_jit, 1, "JIT ms");
	lb_put(&l, L->x_len, L->w_len, 1, "LEN");
	lb_put(&l, L->x_data, L->w_data, 0, "DATA");
	if (L->w_age)
		lb_put(&l, L->x_age, L->w_age, 1, "AGE");
	draw_line(L->body_y - 1, &l,
		  p->mono ? A_UNDERLINE | A_BOLD : (attr_t)COLOR_PAIR(PAIR_TITLE));
}

static void draw_row(struct monui *u, const struct mon *m, const struct lay *L, int y,
		     const struct mon_row *r, uint64_t now, int selected)
{
	struct priv *p = u->priv;
	struct lb l;
	char s[LINE_MAX_W];
	uint64_t hot;
	attr_t a = A_NORMAL, ah;
	unsigned int i;
	double hz = mon_hz(r), jit = mon_jitter_ms(r);

	lb_init(&l, L->w);
	if (selected)
		lb_put(&l, 0, 1, 0, ">");
	if (r->msg && r->msg->nsigs)
		lb_put(&l, 1, 1, 0, r->expanded ? "-" : "+");
	put_text(s, sizeof(s), r->bus < m->nifs ? m->ifs[r->bus].name : "?");
	lb_put(&l, L->x_bus, L->w_bus, 0, s);
	snprintf(s, sizeof(s), r->ext ? "%08X" : "%03X", (unsigned int)r->id);
	lb_put(&l, L->x_id, L->w_id, 1, s);
	if (L->w_name && r->msg) {
		put_text(s, (size_t)L->w_name + 1, r->msg->name);
		lb_put(&l, L->x_name, L->w_name, 0, s);
	}
	if (L->w_cnt) {
		monui_fmt_count(r->count, s, sizeof(s));
		lb_put(&l, L->x_cnt, L->w_cnt, 1, s);
	}
	if (L->w_hz) {
		monui_fmt_hz(hz, s, sizeof(s));
		lb_put(&l, L->x_hz, L->w_hz, 1, s);
	}
	if (L->w_jit) {
		if (hz > 0 && jit < 99999.5)
			snprintf(s, sizeof(s),
				 jit < 9.995   ? "%.2f"
				 : jit < 99.95 ? "%.1f"
					       : "%.0f",
				 jit);
		else
			snprintf(s, sizeof(s), "-");
		lb_put(&l, L->x_jit, L->w_jit, 1, s);
	}
	snprintf(s, sizeof(s), "%u", r->len);
	lb_put(&l, L->x_len, L->w_len, 1, s);
	monui_fmt_data(r, now, (unsigned int)L->w_data, p->mono, s, &hot);
	lb_put(&l, L->x_data, L->w_data, 0, s);
	if (L->w_age) {
		if (r->count)
			monui_fmt_age(mon_age(r, now), s, sizeof(s));
		else
			snprintf(s, sizeof(s), "-"); /* cleared, not seen since */
		lb_put(&l, L->x_age, L->w_age, 1, s);
	}
	if (selected)
		a = p->mono ? A_BOLD : (attr_t)COLOR_PAIR(PAIR_SEL);
	draw_line(y, &l, a);
	if (!hot)
		return;
	ah = p->mono ? A_REVERSE | (selected ? A_BOLD : 0) : A_BOLD;
	for (i = 0; i < 64 && 3 * i + 2 <= (unsigned int)L->w_data; i++)
		if (hot & (1ull << i))
			mvchgat(y, L->x_data + 3 * (int)i, 2, ah,
				p->mono	   ? 0
				: selected ? PAIR_HOT_SEL
					   : PAIR_HOT,
				NULL);
}

struct sig_draw {
	struct monui *u;
	const struct lay *L;
	int y;
};

static void draw_sig(void *ctx, const struct mon_row *r, const struct dbc_signal *s,
		     const struct mon_sig *ms, unsigned int depth)
{
	struct sig_draw *d = ctx;
	const struct lay *L = d->L;
	struct priv *p = d->u->priv;
	struct lb l;
	char name[64], val[48], unit[24], label[40], lo[40], hi[40], txt[LINE_MAX_W];
	int x = L->w_name ? L->x_name : L->x_id, nw;
	const char *lab = NULL;
	struct dbc_value v;
	double vlo, vhi;
	attr_t a;

	(void)r;
	lb_init(&l, L->w);
	put_text(name, sizeof(name), s->name);
	put_text(unit, sizeof(unit), s->unit);
	mon_sig_value(s, ms, &v);
	if (v.present) {
		if (dbc_is_integral(s))
			dbc_fmt_phys(s, &v, val); /* exact, also past 2^53 */
		else
			fmt_phys_d(s, v.phys, val);
		lab = v.label;
	} else {
		snprintf(val, sizeof(val), "-");
	}
	label[0] = 0;
	if (lab) {
		char t[36];

		put_text(t, sizeof(t), lab);
		snprintf(label, sizeof(label), "\"%s\"", t);
	}
	lo[0] = hi[0] = 0;
	if (mon_sig_range(s, ms, &vlo, &vhi)) {
		fmt_phys_d(s, vlo, lo);
		fmt_phys_d(s, vhi, hi);
	}
	nw = 22 - 2 * (int)depth;
	snprintf(txt, sizeof(txt), "%*s%-*s %12s %-6s %-14s%s%s%s%s", 2 * (int)depth + 2, "", nw,
		 name, val, unit, label, ms->seen ? "min " : "", lo, ms->seen ? "  max " : "", hi);
	lb_put(&l, x, 0, 0, txt);
	a = p->mono ? A_NORMAL : (attr_t)COLOR_PAIR(PAIR_SIG);
	if (!ms->present)
		a = A_DIM; /* a branch not in the last frame, or not seen */
	draw_line(d->y++, &l, a);
}

static void draw_status(struct monui *u, const struct mon *m, const struct lay *L)
{
	struct priv *p = u->priv;
	static const char *const sorts[] = {"id", "name", "rate", "change"};
	struct lb l;
	char s[LINE_MAX_W], f[80];
	int n;

	lb_init(&l, L->w);
	if (u->editing) {
		n = snprintf(s, sizeof(s), "filter: %s", p->edit);
		lb_put(&l, 1, 0, 0, s);
		lb_put(&l, L->w - 24 > n + 2 ? L->w - 24 : L->w, 0, 0, "Enter apply  Esc cancel");
		draw_line(L->h - 1, &l, a_bar(p));
		move(L->h - 1, n + 1 < L->w ? n + 1 : L->w - 1);
		return;
	}
	put_text(f, sizeof(f), u->filter);
	n = snprintf(s, sizeof(s), "sort %s%s%s%s%s  rows %zu/%zu  frames %llu", sorts[u->sort & 3],
		     u->filter[0] ? "  filter \"" : "", f, u->filter[0] ? "\"" : "",
		     u->paused ? "  PAUSED" : "", p->matched, m->nrows,
		     (unsigned long long)m->frames);
	if (m->rows_full)
		n += snprintf(s + n, sizeof(s) - (size_t)n, "  table full: %llu frames not shown",
			      (unsigned long long)m->rows_full);
	lb_put(&l, 1, 0, 0, s);
	if (n + 18 <= L->w)
		lb_put(&l, L->w - 15, 0, 0, "? help  q quit");
	draw_line(L->h - 1, &l, a_bar(p));
}

static const char *const help_text[] = {
	"canrig monitor - keys",
	"",
	"  Up/Down k/j      move the cursor          PgUp/PgDn     a page",
	"  Home/End g/G     first / last row",
	"  Enter, Space     expand/collapse the message into its signals (with -d)",
	"  + or Right       expand                   - or Left     collapse",
	"  e / E            expand all / collapse all",
	"  s / S            sort by the next / previous key: id, name, rate, change",
	"  /                filter: id or name substring (Enter applies, Esc cancels)",
	"  Esc              clear the filter",
	"  p                pause: freeze the view (capture goes on)",
	"  c                clear counters, rates, min/max and change marks",
	"  Ctrl-L           redraw",
	"  ?                this page (any key leaves it)",
	"  q                quit",
	"",
	"Changed bytes are highlighted for a second (marked * without colours).",
	"Signals of a multiplexed message are shown under their selector once seen;",
	"those not in the last frame are greyed: no value, their min/max since the clear.",
};

static void draw_help(struct monui *u, int w, int h)
{
	struct lb l;
	int y;

	(void)u;
	for (y = 0; y < h && y < (int)(sizeof(help_text) / sizeof(help_text[0])); y++) {
		lb_init(&l, w > LINE_MAX_W - 1 ? LINE_MAX_W - 1 : w);
		lb_put(&l, 0, 0, 0, help_text[y]);
		draw_line(y, &l, y ? A_NORMAL : A_BOLD);
	}
}

void monui_draw(struct monui *u, uint64_t now_ns)
{
	struct priv *p = u ? u->priv : NULL;
	const struct mon *m;
	struct lay L;
	struct sig_draw sd;
	uint64_t now = now_ns;
	int w, h, y;
	size_t k;

	if (!p)
		return;
	mon_tick(u->m, now_ns);
	m = u->m;
	if (u->paused) {
		if ((p->refreeze || !p->fz_valid) && freeze(u, p->refreeze ? now_ns : p->fz_now))
			u->paused = 0; /* out of memory: show it live */
		if (u->paused) {
			m = &p->fz;
			now = p->fz_now;
		}
	}
	if (p->scr) {
		erase();
		curs_set(0);
		getmaxyx(stdscr, h, w);
	} else {
		w = MONUI_HEADLESS_W; /* the view's state, as on such a screen */
		h = MONUI_HEADLESS_H;
	}
	if (!p->scr && (u->help || w < MONUI_MIN_W || h < MONUI_MIN_H))
		return;
	if (w < MONUI_MIN_W || h < MONUI_MIN_H) {
		char s[80];
		int n = snprintf(s, sizeof(s),
				 "canrig monitor: terminal too small (%dx%d, needs %dx%d)", w, h,
				 MONUI_MIN_W, MONUI_MIN_H);

		if (n > w)
			snprintf(s, sizeof(s), "too small: %dx%d < %dx%d", w, h, MONUI_MIN_W,
				 MONUI_MIN_H);
		mvaddnstr(0, 0, s, w);
		refresh();
		return;
	}
	if (u->help) {
		draw_help(u, w, h);
		refresh();
		return;
	}
	scan_rows(p, m);
	layout(&L, p, m, w, h);
	p->body_h = L.body_h;
	do_select(u, m, now);
	place_sel(u);
	place_top(u, m, L.body_h);
	if (!p->scr)
		return;
	draw_header(u, m, &L);
	draw_titles(u, &L);
	y = L.body_y;
	sd.u = u;
	sd.L = &L;
	for (k = u->top; k < p->nshown && y < L.body_y + L.body_h; k++) {
		const struct mon_row *r = &m->rows[u->idx[k]];

		draw_row(u, m, &L, y++, r, now, k == u->sel);
		sd.y = y;
		walk_sigs(p, m, r, L.body_y + L.body_h - y, draw_sig, &sd);
		y = sd.y;
	}
	draw_status(u, m, &L);
	if (u->editing)
		curs_set(1);
	refresh();
}

/* ---- keys */

/* The row under the cursor in the live model, or NULL. */
static struct mon_row *cursor_row(struct monui *u)
{
	struct priv *p = u->priv;

	if (!p->have_sel || p->sel_row >= u->m->nrows)
		return NULL;
	return &u->m->rows[p->sel_row];
}

static void set_expanded(struct monui *u, struct mon_row *r, int on)
{
	struct priv *p = u->priv;
	size_t i = (size_t)(r - u->m->rows);

	if (!r->msg || !r->msg->nsigs)
		return;
	r->expanded = (uint8_t)on;
	/* the frozen copy shows it too, and keeps it at the next freeze */
	if (p->fz_valid && i < p->fz.nrows)
		p->fz.rows[i].expanded = (uint8_t)on;
}

static void move_sel(struct monui *u, long d)
{
	struct priv *p = u->priv;
	long s = (long)u->sel + d;

	if (!p->nshown)
		return;
	if (s < 0)
		s = 0;
	if (s >= (long)p->nshown)
		s = (long)p->nshown - 1;
	u->sel = (size_t)s;
	p->sel_row = u->idx[u->sel];
	p->have_sel = 1;
}

static enum monui_act edit_key(struct monui *u, int key)
{
	struct priv *p = u->priv;

	switch (key) {
	case 27: /* Esc: the filter as it was */
		u->editing = 0;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		memcpy(u->filter, p->edit, p->elen + 1);
		u->editing = 0;
		p->dirty = 1;
		break;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (p->elen)
			p->edit[--p->elen] = 0;
		break;
	case 21: /* Ctrl-U */
		p->elen = 0;
		p->edit[0] = 0;
		break;
	default:
		if (key >= 0x20 && key < 0x7f && p->elen + 1 < sizeof(p->edit)) {
			p->edit[p->elen++] = (char)key;
			p->edit[p->elen] = 0;
		}
		break;
	}
	return MONUI_NONE;
}

enum monui_act monui_key(struct monui *u, int key, uint64_t now_ns)
{
	struct priv *p = u ? u->priv : NULL;
	struct mon_row *r;
	size_t i;

	if (!p)
		return MONUI_NONE;
	if (key == KEY_RESIZE) {
		monui_resize(u);
		return MONUI_NONE;
	}
	if (u->help) {
		u->help = 0;
		return MONUI_NONE;
	}
	if (u->editing)
		return edit_key(u, key);
	switch (key) {
	case 'q':
	case 'Q':
		return MONUI_QUIT;
	case '?':
	case KEY_F(1):
		u->help = 1;
		break;
	case 's':
		u->sort = (enum mon_sort)((u->sort + 1) % 4);
		p->dirty = 1;
		break;
	case 'S':
		u->sort = (enum mon_sort)((u->sort + 3) % 4);
		p->dirty = 1;
		break;
	case '/':
		u->editing = 1;
		p->elen = strlen(u->filter);
		memcpy(p->edit, u->filter, p->elen + 1);
		break;
	case 27: /* Esc: no filter */
		if (u->filter[0]) {
			u->filter[0] = 0;
			p->dirty = 1;
		}
		break;
	case 'p':
	case 'P':
		if (u->paused) {
			u->paused = 0;
			p->fz_valid = 0;
			p->dirty = 1;
		} else if (!freeze(u, now_ns)) {
			u->paused = 1;
		}
		break;
	case 'c':
	case 'C':
		if (u->paused)
			p->refreeze = 1; /* show the cleared counters, still frozen */
		return MONUI_CLEAR;
	case KEY_UP:
	case 'k':
		move_sel(u, -1);
		break;
	case KEY_DOWN:
	case 'j':
		move_sel(u, 1);
		break;
	case KEY_PPAGE:
		move_sel(u, -(long)(p->body_h > 1 ? p->body_h - 1 : 1));
		break;
	case KEY_NPAGE:
		move_sel(u, p->body_h > 1 ? p->body_h - 1 : 1);
		break;
	case KEY_HOME:
	case 'g':
		move_sel(u, -(long)p->nshown);
		break;
	case KEY_END:
	case 'G':
		move_sel(u, (long)p->nshown);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case ' ':
		r = cursor_row(u);
		if (r)
			set_expanded(u, r, !r->expanded);
		break;
	case '+':
	case KEY_RIGHT:
		r = cursor_row(u);
		if (r)
			set_expanded(u, r, 1);
		break;
	case '-':
	case KEY_LEFT:
		r = cursor_row(u);
		if (r)
			set_expanded(u, r, 0);
		break;
	case 'e':
	case 'E':
		for (i = 0; i < u->m->nrows; i++)
			set_expanded(u, &u->m->rows[i], key == 'e');
		break;
	case 12: /* Ctrl-L */
		if (p->scr)
			clearok(curscr, TRUE);
		break;
	default:
		break;
	}
	return MONUI_NONE;
}

/* ---- terminal */

static int term_can_draw(void);

int monui_init_headless(struct monui *u, struct mon *m, unsigned int flags)
{
	struct priv *p;

	memset(u, 0, sizeof(*u));
	u->m = m;
	u->sort = MON_SORT_ID;
	if (getenv("NO_COLOR"))
		flags |= MONUI_NO_COLOR; /* no-color.org, any value */
	u->flags = flags;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->mono = !!(flags & MONUI_NO_COLOR);
	p->dirty = 1;
	u->priv = p;
	return 0;
}

int monui_init(struct monui *u, struct mon *m, unsigned int flags)
{
	struct priv *p;
	int rc;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		memset(u, 0, sizeof(*u));
		return -ENOTTY;
	}
	rc = monui_init_headless(u, m, flags);
	if (rc)
		return rc;
	p = u->priv;
	flags = u->flags;
	/* newterm, not initscr: a terminal curses cannot drive is an error
	 * to report, not an exit */
	if (!term_can_draw()) {
		monui_fini(u);
		return -ENOTTY;
	}
	p->scr = newterm(NULL, stdout, stdin);
	if (!p->scr) {
		monui_fini(u);
		return -ENOTTY;
	}
	set_term(p->scr);
	cbreak(); /* Ctrl-C stays a signal: the command's clean exit */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25); /* Esc alone cancels without a second's wait */
	curs_set(0);
	if (!(flags & MONUI_NO_COLOR) && has_colors() && start_color() == OK) {
		use_default_colors();
		init_pair(PAIR_BAR, COLOR_WHITE, COLOR_BLUE);
		init_pair(PAIR_HOT, COLOR_RED, -1);
		init_pair(PAIR_TITLE, COLOR_BLACK, COLOR_GREEN);
		init_pair(PAIR_SEL, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_SIG, COLOR_CYAN, -1);
		init_pair(PAIR_HOT_SEL, COLOR_RED, COLOR_CYAN);
	} else {
		u->flags |= MONUI_NO_COLOR;
		p->mono = 1;
	}
	return 0;
}

void monui_fini(struct monui *u)
{
	struct priv *p = u ? u->priv : NULL;
	size_t i;

	if (!u)
		return;
	if (p) {
		if (p->scr) {
			endwin();
			delscreen(p->scr);
		}
		free(p->fz.rows);
		free(p->fz_sigs);
		for (i = 0; i < p->ntrees; i++)
			free(p->trees[i].e);
		free(p->trees);
		free(p);
	}
	free(u->idx);
	u->idx = NULL;
	u->idx_cap = 0;
	u->priv = NULL;
}

void monui_resize(struct monui *u)
{
	struct priv *p = u ? u->priv : NULL;
	struct winsize ws;

	if (!p || !p->scr)
		return;
	/* the command may own SIGWINCH (libev), then curses never saw it */
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col &&
	    (ws.ws_row != LINES || ws.ws_col != COLS))
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
}

const struct mon *monui_view(const struct monui *u)
{
	const struct priv *p = u->priv;

	return p && u->paused && p->fz_valid ? &p->fz : u->m;
}

int monui_fd(const struct monui *u)
{
	(void)u;
	return STDIN_FILENO;
}

int monui_getch(struct monui *u)
{
	struct priv *p = u ? u->priv : NULL;
	int c;

	if (!p || !p->scr)
		return -1;
	c = getch();
	return c == ERR ? -1 : c;
}

/*
 * 1 if TERM names a terminal with cursor addressing.  Asked before
 * newterm(): it accepts TERM=dumb and then draws garbage, and on an
 * unknown TERM it fails leaving memory behind that nothing frees.
 * Last in the file: <term.h> defines capability names (lines, columns...)
 * as macros.
 */
#include <term.h>

static int term_can_draw(void)
{
	const char *cup;
	int err = 0, ok;

	if (setupterm(NULL, STDOUT_FILENO, &err) != OK)
		return 0;
	cup = tigetstr("cup");
	ok = cup && cup != (char *)-1;
	del_curterm(cur_term);
	return ok;
}
