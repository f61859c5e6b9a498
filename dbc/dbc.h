/* SPDX-License-Identifier: MIT */
/*
 * dbc.h - DBC database: a tolerant single-pass parser over a mapped file,
 * and per-message decode/encode plans compiled at load time.
 *
 * Ownership: a struct dbc_db owns every string, message, signal and table
 * it exposes; all pointers obtained from it stay valid until dbc_free().
 * The database is immutable after load, so several threads may decode
 * with it at once.  Decoding reads frames through a borrowed cf_frame and
 * allocates nothing.
 */
#ifndef CANRIG_DBC_H
#define CANRIG_DBC_H

#include <stddef.h>
#include <stdint.h>

#include "cf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Load options (struct dbc_opts.flags). */
#define DBC_STRICT 0x01 /* any warning fails the load */
#define DBC_J1939  0x02 /* extended ids are looked up by PGN */

/*
 * Called once per warning with "file:line:col: text" (no newline).  The
 * string is only valid during the call.
 */
typedef void (*dbc_warn_fn)(void *ctx, const char *msg);

struct dbc_opts {
	unsigned int flags;
	dbc_warn_fn warn; /* NULL: warnings are counted, not reported */
	void *ctx;
};

#define DBC_ERRMSG_MAX 512

enum dbc_kind { DBC_INT = 0, DBC_FLOAT32 = 1, DBC_FLOAT64 = 2 };

/* Multiplexing role flags (struct dbc_signal.mux). */
#define DBC_MUX_SELECTOR 0x01 /* "M": other signals depend on this one */
#define DBC_MUX_MUXED	 0x02 /* "mN": present only for some selector values */

struct dbc_choice {
	int64_t value; /* raw value (sign-extended for signed signals) */
	const char *label;
};

struct dbc_range {
	uint64_t lo, hi; /* inclusive raw selector values */
};

/* One extraction step: v |= ((data[byte] >> rshift) & mask) << lshift. */
struct dbc_step {
	uint8_t byte, rshift, mask, lshift;
};

struct dbc_message;

struct dbc_signal {
	const char *name;
	const char *unit;
	const char *comment;   /* NULL if none */
	const char *long_name; /* SystemSignalLongSymbol, else name */
	const char *const *receivers;
	unsigned int nreceivers;
	const struct dbc_message *msg;
	unsigned int index; /* position in msg->sigs */
	unsigned int line;  /* 1-based line of its SG_ */

	uint16_t start, size; /* as written in the file */
	uint8_t big_endian;   /* "@0" (Motorola) */
	uint8_t is_signed;
	uint8_t kind;	  /* enum dbc_kind */
	uint8_t mux;	  /* DBC_MUX_* */
	uint8_t integral; /* integer kind, integral scale and offset:
			   * physical values are exact integers */
	double scale, offset, min, max;

	/* Decoded only when selector is present and its raw value is in one
	 * of ranges; NULL selector means always present. */
	const struct dbc_signal *selector;
	const struct dbc_range *ranges;
	unsigned int nranges;

	const struct dbc_choice *choices; /* sorted by value */
	unsigned int nchoices;
	unsigned int choices_line; /* line of its VAL_, 0 if none */

	double start_raw; /* GenSigStartValue (raw), 0 by default */

	/* compiled plan */
	uint8_t nsteps;
	uint8_t last_byte; /* highest payload byte touched */
	struct dbc_step steps[9];
};

struct dbc_message {
	const char *name;
	const char *long_name; /* SystemMessageLongSymbol, else name */
	const char *comment;
	const char *sender;	    /* NULL if none; Vector's placeholder node is
				     * kept as written */
	const char *const *senders; /* BO_ sender then BO_TX_BU_ ones */
	unsigned int nsenders;
	uint32_t id;	 /* 11 or 29-bit id, no flag bits */
	uint8_t ext, fd; /* extended id, CAN FD (VFrameFormat or length) */
	uint8_t brs;
	uint16_t length; /* bytes */
	unsigned int line;

	struct dbc_signal *sigs; /* nsigs, in file order */
	unsigned int nsigs;
	/* signal indices with every selector before its dependants */
	const unsigned int *order;

	int64_t cycle_time;	  /* GenMsgCycleTime ms, 0 if none */
	const char *send_type;	  /* GenMsgSendType label, NULL if none */
	const char *frame_format; /* VFrameFormat label, NULL if none */
};

struct dbc_node {
	const char *name;
	const char *comment;
	unsigned int line;
};

/* Attribute definitions and values, kept generic for tools. */
enum dbc_obj { DBC_OBJ_NET = 0, DBC_OBJ_NODE, DBC_OBJ_MSG, DBC_OBJ_SIG, DBC_OBJ_ENV, DBC_OBJ_REL };
enum dbc_atype { DBC_AT_INT = 0, DBC_AT_HEX, DBC_AT_FLOAT, DBC_AT_STRING, DBC_AT_ENUM };

struct dbc_attr_def {
	const char *name;
	uint8_t obj, type;
	double min, max;
	const char *const *enums;
	unsigned int nenums;
	int has_default;
	double def_num;
	const char *def_str;
};

struct dbc_db {
	const char *path;
	const char *version;
	const char *comment; /* network comment */
	uint64_t baudrate;   /* BS_ value, 0 if none */

	struct dbc_message *msgs;
	unsigned int nmsgs;
	struct dbc_node *nodes;
	unsigned int nnodes;
	struct dbc_attr_def *attr_defs;
	unsigned int nattr_defs;

	unsigned int flags; /* the DBC_* load flags */
	unsigned int nwarnings;
	/* private from here on */
	struct dbc_priv *priv;
};

/*
 * Load path (mapped read-only).  On success *out holds a new database, to be
 * released with dbc_free().  Returns 0; -errno from open/mmap; -ENOMEM;
 * -EINVAL when DBC_STRICT is set and there was a warning, or when the text
 * is not a DBC file: no line starts with a section keyword (VERSION, NS_,
 * BS_, BU_, BO_, SG_, CM_, BA_DEF_, BA_, VAL_, ... any keyword of the
 * format), as in an empty file, a binary or a CAN log ("file: not a DBC
 * file").  On failure err (errsz bytes, may be NULL) holds a one-line
 * "file:line:col: message".
 */
int dbc_load_file(const char *path, const struct dbc_opts *o, struct dbc_db **out, char *err,
		  size_t errsz);

/* Same over an in-memory buffer (borrowed for the call only). */
int dbc_load_mem(const char *name, const char *buf, size_t len, const struct dbc_opts *o,
		 struct dbc_db **out, char *err, size_t errsz);

/* Releases everything; NULL is a no-op. */
void dbc_free(struct dbc_db *db);

/* Returns the message for an id (CF_EFF in flags selects 29-bit), or NULL. */
const struct dbc_message *dbc_find_id(const struct dbc_db *db, uint32_t id, int ext);

/* Returns the message a frame decodes with, or NULL (error/RTR: NULL). */
const struct dbc_message *dbc_lookup(const struct dbc_db *db, const struct cf_frame *f);

/* Returns the message or signal called name (exact bytes), or NULL. */
const struct dbc_message *dbc_find_msg(const struct dbc_db *db, const char *name);
const struct dbc_signal *dbc_find_sig(const struct dbc_message *m, const char *name);

/*
 * Attribute value for object obj (a node, message or signal pointer, or
 * NULL for the network): looks at explicit BA_ values, then the default.
 * Returns 1 and sets *num or *str (a string, or the enum label), 0 if the
 * attribute is neither set nor defaulted.
 */
int dbc_attr(const struct dbc_db *db, enum dbc_obj kind, const void *obj, const char *name,
	     double *num, const char **str);

/* Decoded value of one signal. */
struct dbc_value {
	union {
		int64_t i;  /* signed signals (sign-extended) */
		uint64_t u; /* unsigned signals, float bit patterns */
	} raw;
	double phys;
	const char *label; /* choice label if requested and one matches */
	uint8_t present;   /* 0: inactive mux branch or past the frame */
};

#define DBC_DEC_LABELS 0x01 /* look up choice labels */

/* Result flags of dbc_decode(). */
#define DBC_TRUNCATED 0x01 /* frame shorter than the message */

/*
 * Decode frame f as message m into vals[m->nsigs].  Never reads past
 * f->len.  Returns the number of signals present; *rflags (may be NULL)
 * gets DBC_TRUNCATED when f->len < m->length.
 */
unsigned int dbc_decode(const struct dbc_message *m, const struct cf_frame *f, unsigned int opts,
			struct dbc_value *vals, unsigned int *rflags);

/* Returns the raw bits of s in data[len], or 0 if s is not wholly inside. */
uint64_t dbc_extract(const struct dbc_signal *s, const uint8_t *data, unsigned int len);

/* Returns the physical value of raw bits v. */
double dbc_phys(const struct dbc_signal *s, uint64_t v);

/* Returns the index in s->choices of raw value v, or -1. */
int dbc_choice_find(const struct dbc_signal *s, uint64_t v);

/* Returns the label of raw value v (raw bits as extracted), or NULL. */
const char *dbc_label(const struct dbc_signal *s, uint64_t v);

/* Returns 1 if s is an integer signal with integral scale and offset. */
int dbc_is_integral(const struct dbc_signal *s);

/*
 * Formats the physical value of v into out (at least 32 bytes): an exact
 * integer for integral signals, else as dbc_fmt_double().  Non-finite
 * values give "nan", "inf", "-inf".  Returns the length.
 */
size_t dbc_fmt_phys(const struct dbc_signal *s, const struct dbc_value *v, char *out);

/* Formats the raw value of v (decimal, signed if s is) into out. */
size_t dbc_fmt_raw(const struct dbc_signal *s, const struct dbc_value *v, char *out);

/*
 * Physical value to raw bits, rounding to the nearest raw value.  Returns
 * 0, or -ERANGE when it is outside [min,max] (if the DBC sets a range) or
 * does not fit the signal's width, or -EDOM for NaN.
 */
int dbc_to_raw(const struct dbc_signal *s, double phys, uint64_t *raw);

/* Writes raw bits v of s into data (length at least s->last_byte+1). */
void dbc_insert(const struct dbc_signal *s, uint8_t *data, uint64_t v);

/*
 * Encode: raw[i] is used for signal i when set[i] is nonzero, else its
 * GenSigStartValue.  Selectors of given signals are set to the first value
 * of the branch, and only active signals are written.  buf holds
 * CF_MAX_LEN bytes; f is filled to point at it.  Returns 0, or -EINVAL when
 * two given signals need different selector values (*bad = index of the
 * signal that conflicts).
 */
int dbc_encode(const struct dbc_message *m, const uint64_t *raw, const uint8_t *set, uint8_t *buf,
	       struct cf_frame *f, unsigned int *bad);

/* Returns the J1939 PGN of a 29-bit id (destination byte cleared for PDU1). */
uint32_t dbc_j1939_pgn(uint32_t id);

/*
 * Formats d as the shortest decimal that reads back as d (like Python's
 * repr) into out (at least 32 bytes).  Returns the length.
 */
size_t dbc_fmt_double(double d, char *out);

/*
 * Lint: calls fn once per finding with "file:line: text".  Returns the
 * number of findings.
 */
unsigned int dbc_check(const struct dbc_db *db, dbc_warn_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_DBC_H */
