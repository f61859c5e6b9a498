/* SPDX-License-Identifier: MIT */
/*
 * mon.h - the live table behind `canrig monitor`: one row per
 * (interface, id), per-interface bus load, and with a DBC each row's
 * decoded signals.  An engine like the others: frames and a monotonic
 * time in, a table out; no I/O, no terminal, no clock of its own, so the
 * unit tests drive it on a fake clock and the screen and the --once
 * snapshot read the same numbers.
 *
 * Memory is bounded by the number of distinct ids, never the number of
 * frames: a row is allocated when its id is first seen (mon_frame() on a
 * new id), up to mon_opts.max_rows; a frame of a new id past that is
 * counted in mon.rows_full and dropped from the table.  No allocation for
 * a frame of a known id.
 */
#ifndef CANRIG_MON_H
#define CANRIG_MON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cf.h"
#include "dbc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MON_MAX_IFS  16
#define MON_IFNAMSIZ 32		   /* a log's bus names (clog.h) run longer than the kernel's */
#define MON_FADE_NS  1000000000ull /* a changed byte stays marked this long */
#define MON_RATE_NS  1000000000ull /* fps / load window */

struct mon_opts {
	unsigned int max_rows;	 /* distinct (interface, id) rows; 0: 65536 */
	const struct dbc_db *db; /* borrowed, may be NULL; must outlive the mon */
	unsigned int dbc_flags;	 /* DBC_J1939 when the DBC was loaded so */
};

/*
 * Per-signal state of a row (only with a DBC).  The frame path keeps raw
 * integers only (floating point is what an emulated CPU does slowest, and
 * a changing 64-byte frame has dozens of signals): the physical value, its
 * choice label and the physical min/max are worked out when read, by
 * mon_sig_value() and mon_sig_range(), with the same results as decoding
 * every frame (docs/monitor.md).
 */
struct mon_sig {
	union {
		int64_t i;  /* signed integer signals (sign-extended) */
		uint64_t u; /* unsigned ones, float bit patterns */
	} raw;		    /* the last frame's, as dbc_decode() gives it */
	uint8_t present;    /* 0: not seen or its mux branch inactive in the last frame */
	uint8_t seen;	    /* present at least once since the last clear */
	/* private: the range seen (raw ints, or physical) and how to read it;
	 * where the signal's bits are one shift of a 64-bit word of the row's
	 * data at byte "at"; its size and last byte, so that the frame path
	 * reads these 32 bytes, not the DBC's signal */
	uint8_t how, at, shift, size, last;
	union {
		int64_t i;
		uint64_t u;
		double phys;
	} lo, hi;
};

struct mon_row {
	uint8_t bus;   /* index into mon.ifs */
	uint8_t ext;   /* 29-bit id */
	uint8_t len;   /* last frame's payload length */
	uint8_t flags; /* last frame's CF_* flags (FD, BRS, RTR...) */
	uint32_t id;
	const struct dbc_message *msg; /* NULL without a DBC or unknown id */
	uint64_t count;
	uint64_t first_ns, last_ns; /* monotonic times given to mon_frame() */
	uint8_t data[CF_MAX_LEN];   /* last payload */
	/* when each byte last changed (0 never): changed_ns[i], except the
	 * bytes in chg_mask, which changed at chg_ns (later); read it with
	 * mon_byte_changed().  A frame that changes every byte so writes one
	 * time, not 64. */
	uint64_t changed_ns[CF_MAX_LEN];
	uint64_t chg_mask, chg_ns;
	struct mon_sig *sigs; /* msg->nsigs entries, owned by the mon; NULL if !msg */
	uint8_t expanded;     /* view state kept with the row (the screen's) */
	uint8_t flat;	      /* private: no mux, the signals decode in file order */
	/* private: the period estimator (docs/monitor.md), in 1/256 ns;
	 * mon_hz() and mon_jitter_ms() read it */
	int64_t per_q8, dev_q8;
};

struct mon_if {
	char name[MON_IFNAMSIZ];
	uint32_t bitrate, dbitrate; /* bit/s, 0 unknown (then load is -1) */
	uint64_t frames, errors;    /* error frames are counted, not rows */
	uint64_t drops;		    /* the kernel's, as last given by mon_drops() */
	double fps;		    /* over the last MON_RATE_NS window */
	double load;		    /* 0..1 (can exceed 1 on vcan), -1 unknown */
	/* private: the window being filled */
	uint64_t win_start_ns, win_frames, win_bits_nom, win_bits_data;
	uint64_t drops_total, drops_base; /* the kernel's total; its value at mon_clear() */
	uint8_t gone;			  /* the interface went away (the command says so) */
};

enum mon_sort { MON_SORT_ID, MON_SORT_NAME, MON_SORT_RATE, MON_SORT_CHANGE };

struct mon {
	struct mon_opts o;
	struct mon_if ifs[MON_MAX_IFS];
	unsigned int nifs;
	struct mon_row *rows; /* nrows in first-seen order; owned */
	size_t nrows, cap;
	uint64_t rows_full; /* frames of new ids refused: table full */
	uint64_t frames;    /* every frame given */
	/* private: (bus, 11-bit id) -> row index + 1 directly (2048 slots a
	 * bus, made with its first such row); 29-bit ids through a hash */
	uint32_t *sff[MON_MAX_IFS];
	uint32_t *hash;
	size_t hmask, nhashed;
};

/* Returns 0 or -ENOMEM.  o is copied; o->db is borrowed. */
int mon_init(struct mon *m, const struct mon_opts *o);
/* Frees everything mon_init()/mon_frame() allocated; m may be zeroed. */
void mon_fini(struct mon *m);

/* Adds an interface; returns its bus index (>= 0) or -ENOSPC / -EINVAL
 * (name too long).  bitrate/dbitrate 0 when unknown. */
int mon_add_if(struct mon *m, const char *name, uint32_t bitrate, uint32_t dbitrate);

/* The bitrates of bus learnt late (from the kernel, after mon_add_if());
 * 0 leaves the load unknown. */
void mon_set_bitrate(struct mon *m, unsigned int bus, uint32_t bitrate, uint32_t dbitrate);

/* One frame of bus at monotonic time now_ns (not the frame's stamp: a
 * replay passes its own clock).  Returns 0, or -ENOSPC when the frame's
 * id is new and the table is full (counted in rows_full). */
int mon_frame(struct mon *m, unsigned int bus, const struct cf_frame *f, uint64_t now_ns);

/* The kernel's drop counter of bus as now read (SO_RXQ_OVFL total). */
void mon_drops(struct mon *m, unsigned int bus, uint64_t total);

/* Closes the rate windows that ended by now_ns: fps and load.  Call at
 * least every MON_RATE_NS (the screen does at each redraw). */
void mon_tick(struct mon *m, uint64_t now_ns);

/* As mon_tick(), but closes the window being filled whatever its length
 * (when it is not empty of time): the --once snapshot's last figures. */
void mon_flush_rates(struct mon *m, uint64_t now_ns);

/* Age of a row in ns at now_ns. */
static inline uint64_t mon_age(const struct mon_row *r, uint64_t now_ns)
{
	return now_ns > r->last_ns ? now_ns - r->last_ns : 0;
}

/* When byte i (< CF_MAX_LEN) of r last changed; 0 never (since a clear). */
static inline uint64_t mon_byte_changed(const struct mon_row *r, unsigned int i)
{
	return (r->chg_mask >> i) & 1 ? r->chg_ns : r->changed_ns[i];
}

/* 1 if byte i of r changed within MON_FADE_NS before now_ns. */
static inline int mon_byte_hot(const struct mon_row *r, unsigned int i, uint64_t now_ns)
{
	uint64_t t = mon_byte_changed(r, i);

	return t && now_ns - t < MON_FADE_NS;
}

/* The row's smoothed rate, 1 / mean period in Hz; 0 until two frames. */
double mon_hz(const struct mon_row *r);

/* The row's smoothed jitter, mean |period - mean period| in ms. */
double mon_jitter_ms(const struct mon_row *r);

/* Signal sd of a row (r->msg->sigs[k] for s = &r->sigs[k]) as of its last
 * frame, as dbc_decode() with DBC_DEC_LABELS gives it: present, raw, phys
 * and label (the DBC's, borrowed). */
void mon_sig_value(const struct dbc_signal *sd, const struct mon_sig *s, struct dbc_value *v);

/* Returns s->seen; if seen, *min and *max get the physical range over the
 * frames sd was present in since the last clear (NaN values left out). */
int mon_sig_range(const struct dbc_signal *sd, const struct mon_sig *s, double *min, double *max);

/* Forgets counts, rates, min/max and change marks; keeps the rows (and
 * their expanded state) and the interfaces. */
void mon_clear(struct mon *m);

/*
 * Fills out[] with the indices of the rows whose id (hex, as printed) or
 * message name contains filter (case-insensitive; NULL or "" matches
 * every row), sorted by key (ties by bus then id).  Returns how many
 * matched (may exceed n: only n are written).
 */
size_t mon_select(const struct mon *m, enum mon_sort key, const char *filter, uint64_t now_ns,
		  uint32_t *out, size_t n);

/* Bits a frame occupies on the wire: *nom at the nominal rate, *data at
 * the data rate (FD with BRS; else 0).  Stuff bits as the worst case. */
void mon_frame_bits(const struct cf_frame *f, uint64_t *nom, uint64_t *data);

/* The --once snapshot.  Return 0 or -errno (a write error). */
int mon_write_text(const struct mon *m, FILE *out, uint64_t now_ns);
int mon_write_json(const struct mon *m, FILE *out, uint64_t now_ns);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_MON_H */
