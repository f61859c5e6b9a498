/* SPDX-License-Identifier: MIT */
/*
 * monui.h - the full-screen (ncurses) view of `canrig monitor`.  It only
 * draws a struct mon (mon/mon.h) and turns keys into view changes; the
 * command (cmd_monitor.c) owns the event loop, the capture or replay,
 * and calls in: monui_key() for each key read from the terminal,
 * monui_draw() from its redraw timer (at most 20 Hz), monui_resize() on
 * SIGWINCH.  Capture therefore never waits for the screen.
 *
 * Time is the caller's: now_ns is the same monotonic (or replay) clock
 * given to mon_frame(), so a replay shows its own ages and rates.
 */
#ifndef CANRIG_MONUI_H
#define CANRIG_MONUI_H

#include <stddef.h>
#include <stdint.h>

#include "mon.h"

#define MONUI_NO_COLOR 0x01 /* NO_COLOR set, or the terminal has none */

/* Smaller than this, the screen is one line saying so. */
#define MONUI_MIN_W 40
#define MONUI_MIN_H 5
/* Sorted by rate or recent change, the rows are re-sorted this often
 * (and at once on a key, a new row or a new filter). */
#define MONUI_RESORT_NS	 500000000ull
#define MONUI_HEADLESS_W 100
#define MONUI_HEADLESS_H 30

/* What a key asks of the caller. */
enum monui_act {
	MONUI_NONE = 0,	 /* handled (or ignored) */
	MONUI_QUIT = 1,	 /* q: leave */
	MONUI_CLEAR = 2, /* c: the caller runs mon_clear() (the model is its) */
};

struct monui {
	struct mon *m; /* borrowed, outlives the monui */
	enum mon_sort sort;
	char filter[64]; /* substring of id or name; "" none */
	int paused;	 /* the view frozen; capture goes on */
	int help;	 /* the ? page shown */
	unsigned int flags;
	/* private: selection, scroll, filter editing, the frozen copy */
	size_t sel, top;
	int editing;
	uint32_t *idx;
	size_t idx_cap;
	void *priv;
};

/* Enters curses mode on the terminal.  Returns 0, -ENOTTY (stdin or
 * stdout not a terminal, or one curses cannot drive: TERM unknown or
 * dumb), or -ENOMEM.  flags: MONUI_*; NO_COLOR in the environment (any
 * value) adds MONUI_NO_COLOR, as does a terminal without colours: then
 * changed bytes are reversed and followed by '*'. */
int monui_init(struct monui *u, struct mon *m, unsigned int flags);
/* As monui_init() without a terminal (the unit tests): keys and
 * monui_draw() change the view state (selection, scroll, frozen copy) as
 * on a MONUI_HEADLESS_W x _H screen, and nothing is drawn.  0 or -ENOMEM. */
int monui_init_headless(struct monui *u, struct mon *m, unsigned int flags);
/* Leaves curses mode, restores the terminal; safe on a zeroed u and
 * twice (the caller calls it from its signal path too). */
void monui_fini(struct monui *u);

/* One key (as curses' getch() returns it, KEY_RESIZE included). */
enum monui_act monui_key(struct monui *u, int key, uint64_t now_ns);

/* Redraws the whole screen from the model (or the frozen copy when
 * paused).  A terminal too small gets one line saying so. */
void monui_draw(struct monui *u, uint64_t now_ns);

/* The table as drawn: the frozen copy while paused (valid until the
 * next key or draw), else u->m. */
const struct mon *monui_view(const struct monui *u);

/* The terminal changed size. */
void monui_resize(struct monui *u);

/* The terminal's file descriptor to watch for keys (stdin). */
int monui_fd(const struct monui *u);

/* The next key typed, as monui_key() takes it, or -1 when none is
 * waiting (never blocks), so the command needs no curses header. */
int monui_getch(struct monui *u);

/*
 * The screen's cell formats, pure (no terminal; the unit tests use them).
 * Each writes a NUL-terminated string into out (n bytes) and returns its
 * length.
 */
/* An age: "0.05s", "12.3s", "999s", "16m", "27h", "3d" (at most 6 columns). */
size_t monui_fmt_age(uint64_t ns, char *out, size_t n);
/* A count: exact up to 9999999, then "12.3M", "4.6G" (at most 7 columns). */
size_t monui_fmt_count(uint64_t c, char *out, size_t n);
/* A rate in Hz: "-" before two frames, "9.99", "100.0", "12345" (<= 7). */
size_t monui_fmt_hz(double hz, char *out, size_t n);
/*
 * r's payload as hex bytes in width columns (3 a byte, separator after):
 * the bytes that do not fit are replaced, with the last one that did, by
 * "+N"; a remote frame is "remote".  With mark, a byte changed within
 * MON_FADE_NS before now_ns is followed by '*' instead of ' '.  *hot (may
 * be NULL) gets bit i set for each such byte shown.  out holds
 * 3 * CF_MAX_LEN + 1 bytes.
 */
size_t monui_fmt_data(const struct mon_row *r, uint64_t now_ns, unsigned int width, int mark,
		      char *out, uint64_t *hot);

#endif /* CANRIG_MONUI_H */
