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

/* What a key asks of the caller. */
enum monui_act {
	MONUI_NONE = 0,	 /* handled (or ignored) */
	MONUI_QUIT = 1,	 /* q: leave */
	MONUI_CLEAR = 2, /* c: the caller runs mon_clear() (the model is its) */
};

struct monui {
	struct mon *m;	  /* borrowed, outlives the monui */
	enum mon_sort sort;
	char filter[64];  /* substring of id or name; "" none */
	int paused;	  /* the view frozen; capture goes on */
	int help;	  /* the ? page shown */
	unsigned int flags;
	/* private: selection, scroll, filter editing, the frozen copy */
	size_t sel, top;
	int editing;
	uint32_t *idx;
	size_t idx_cap;
	void *priv;
};

/* Enters curses mode on the terminal.  Returns 0, -ENOTTY (not a
 * terminal), or -ENOMEM.  flags: MONUI_*. */
int monui_init(struct monui *u, struct mon *m, unsigned int flags);
/* Leaves curses mode, restores the terminal; safe on a zeroed u and
 * twice (the caller calls it from its signal path too). */
void monui_fini(struct monui *u);

/* One key (as curses' getch() returns it, KEY_RESIZE included). */
enum monui_act monui_key(struct monui *u, int key, uint64_t now_ns);

/* Redraws the whole screen from the model (or the frozen copy when
 * paused).  A terminal too small gets one line saying so. */
void monui_draw(struct monui *u, uint64_t now_ns);

/* The terminal changed size. */
void monui_resize(struct monui *u);

/* The terminal's file descriptor to watch for keys (stdin). */
int monui_fd(const struct monui *u);

#endif /* CANRIG_MONUI_H */
