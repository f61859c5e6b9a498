/* SPDX-License-Identifier: MIT */
/*
 * gw.h - the gateway's rule engine: routes compiled once into lookup
 * tables, then one call per received frame that says where copies of it go
 * and how they were rewritten.  No I/O, no clock, no allocation per frame:
 * the daemon (canrigd) feeds it frames and a monotonic time and sends what
 * comes out.
 *
 * A route has a source interface, destinations, filters (ids, ranges,
 * id/mask, 11/29-bit, classic/FD, length, payload bytes), actions applied
 * in order (id rewrite, can-gw style AND/OR/XOR/SET modifications,
 * checksums and E2E counters, rate limiting, drop), an FD-to-classic
 * policy and an optional diagnostics firewall.  Lookup: a hash on exact
 * ids per source interface, and a fallback list for routes selecting by
 * range or mask; candidates are visited in route order, so first-match and
 * all-match tables both behave as written.
 *
 * Memory: gw_engine_new() copies nothing the caller keeps; the engine owns
 * its routes once built, and gw_engine_free() frees them.  Frames handed
 * out live in the caller's gw_emit array.
 */
#ifndef CANRIG_GW_H
#define CANRIG_GW_H

#include <stddef.h>
#include <stdint.h>

#include "cf.h"
#include "gw_csum.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GW_MAX_IFS  32
#define GW_NAME_MAX 64

/* Why a frame was not forwarded; counters are kept per reason. */
enum gw_drop {
	GW_DROP_FILTERED, /* a route's id matched, its other filters did not */
	GW_DROP_RATE,	  /* rate limit */
	GW_DROP_FIREWALL, /* diagnostics firewall */
	GW_DROP_STALE,	  /* waited longer than the queue's max age */
	GW_DROP_DOWN,	  /* destination interface down */
	GW_DROP_QUEUE,	  /* destination queue full */
	GW_DROP_LOOP,	  /* would go back where it came from */
	GW_DROP_ACTION,	  /* a drop action, or a checksum that cannot apply */
	GW_DROP_TOO_LONG, /* FD frame over 8 bytes to a classic destination */
	GW_DROP_N
};

/* Static name of a drop reason ("rate-limited"). */
const char *gw_drop_name(enum gw_drop d);

struct gw_counters {
	uint64_t matched, forwarded;
	uint64_t dropped[GW_DROP_N];
};

/* can-gw style modification: op on the fields in 'fields'. */
#define GW_MOD_ID   0x01
#define GW_MOD_LEN  0x02
#define GW_MOD_DATA 0x04
enum gw_mod_op { GW_MOD_AND, GW_MOD_OR, GW_MOD_XOR, GW_MOD_SET };

struct gw_mod {
	uint8_t op;	/* enum gw_mod_op */
	uint8_t fields; /* GW_MOD_* */
	uint32_t id;
	uint8_t len;
	uint8_t data[CF_MAX_LEN];
};

enum gw_rate_keep { GW_KEEP_FIRST, GW_KEEP_LATEST };

struct gw_rate {
	uint32_t interval_ms; /* minimum interval per id; 0: token bucket */
	uint32_t rate_per_s;  /* token bucket: refill rate */
	uint32_t burst;	      /*               and depth */
	uint8_t keep;	      /* enum gw_rate_keep */
};

enum gw_action_kind {
	GW_ACT_ID_SET,
	GW_ACT_ID_ADD,
	GW_ACT_MOD,
	GW_ACT_CSUM,
	GW_ACT_RATE,
	GW_ACT_DROP,
};

struct gw_action {
	uint8_t kind; /* enum gw_action_kind */
	union {
		uint32_t id; /* ID_SET value, ID_ADD offset (mod 2^n) */
		struct gw_mod mod;
		struct gw_csum csum;
		struct gw_rate rate;
	} u;
};

/* Id selection: exact ids, ranges, id/mask (optionally inverted). */
struct gw_idsel {
	uint8_t kind;	 /* GW_SEL_EXACT, _RANGE, _MASK */
	uint8_t eff;	 /* 29-bit ids */
	uint8_t invert;	 /* MASK: everything that does not match */
	uint32_t lo, hi; /* EXACT: lo; RANGE: lo..hi; MASK: id, mask */
};
#define GW_SEL_EXACT 0
#define GW_SEL_RANGE 1
#define GW_SEL_MASK  2

struct gw_datamatch {
	uint8_t byte, value, mask;
};

/* Filters on frame kind. */
#define GW_ANY		0
#define GW_SFF_ONLY	1
#define GW_EFF_ONLY	2
#define GW_CLASSIC_ONLY 1
#define GW_FD_ONLY	2

/* FD-to-classic policy of a route with a classic destination. */
#define GW_FD2C_REJECT 0 /* refuse the route at load if FD frames can reach it */
#define GW_FD2C_DROP   1 /* drop FD frames over 8 bytes, send the others classic */

/* Diagnostics firewall of a route (docs/gateway.md, "Firewall"). */
#define GW_FW_AE_MAX  8	   /* address bytes per firewall */
#define GW_FW_N_CR_MS 1000 /* ISO 15765-2 N_Cr: longest gap between CFs */
struct gw_firewall {
	uint8_t allow[32];    /* SIDs always allowed (bitmap) */
	uint8_t workshop[32]; /* SIDs allowed in workshop mode only */
	/* sub-function lists: a SID with an entry of its list allows only
	 * those sub-functions through that list, without one every one; a
	 * request passes if the allow list or (workshop mode on) the
	 * workshop list lets it */
	struct {
		uint8_t sid;
		uint8_t workshop; /* entry of the workshop list */
		uint8_t subs[16]; /* bitmap of sub-functions 0x00..0x7F */
	} sub[16];
	uint8_t nsub;
	/* addressing: nae 0 is normal addressing (PCI first); else every
	 * frame starts with one of the nae extended/mixed address bytes
	 * ae[] and others are refused */
	uint8_t nae;
	uint8_t ae[GW_FW_AE_MAX];
};

/*
 * Judges one whole UDS request req[0..len) (SID first: no ISO-TP, no
 * address byte) against fw as a route's firewall judges a single frame:
 * the allow list, or with workshop set also the workshop list.  For a
 * gateway that sees requests whole (a DoIP tester's firewall).  Returns
 * 1 if allowed, 0 if refused (an empty request too).
 */
int gw_firewall_allows(const struct gw_firewall *fw, int workshop, const uint8_t *req, size_t len);

struct gw_route_spec {
	char name[GW_NAME_MAX];
	uint8_t src;	      /* interface index */
	uint64_t dst;	      /* destination interface bitmap */
	uint8_t allow_same;   /* may route onto the source */
	struct gw_idsel *sel; /* none: every id */
	size_t nsel;
	uint8_t frame; /* GW_ANY / GW_SFF_ONLY / GW_EFF_ONLY */
	uint8_t type;  /* GW_ANY / GW_CLASSIC_ONLY / GW_FD_ONLY */
	uint8_t len_min, len_max;
	struct gw_datamatch *data;
	size_t ndata;
	struct gw_action *act;
	size_t nact;
	uint8_t fd2classic;	/* GW_FD2C_* */
	struct gw_firewall *fw; /* NULL: none */
};

struct gw_if_spec {
	char name[GW_NAME_MAX];
	char domain[GW_NAME_MAX];
	uint8_t fd;	   /* carries CAN FD */
	uint8_t untrusted; /* every route from it needs a firewall */
};

/* A configuration to compile (the loader's product; gw_conf.h). */
struct gw_spec {
	struct gw_if_spec ifs[GW_MAX_IFS];
	size_t nifs;
	struct gw_route_spec *routes;
	size_t nroutes;
	uint8_t first_match; /* else all-match */
	uint8_t hop_limit;   /* 0: cycles are refused */
};

/*
 * One frame to send: a view.  f.data is borrowed: the bytes of the frame
 * that came in when no action changed them, else the engine's own
 * (scratch, or a held frame's).  Valid until the next gw_engine_input()
 * or gw_engine_timers() on the engine, and bytes of the input frame no
 * longer than the caller keeps those: copy what must wait (one copy).
 */
struct gw_emit {
	uint8_t dst;	   /* interface index */
	uint16_t route;	   /* route index, for counters */
	struct cf_frame f; /* header as rewritten; data borrowed, see above */
};

/* Frames one call may change the bytes of; past that, dropped as
 * queue-full (as when out[] is full). */
#define GW_SCRATCH 256

struct gw_engine;

/*
 * Checks spec completely and compiles it: *errmsg (buf of cap bytes) says
 * what is wrong and with which route ("route 'x': ..."), including the
 * firewall rules between routes (a path whose ids a firewall covers is
 * firewalled on every route; see docs/gateway.md).  Returns the
 * engine, or NULL with errno set (EINVAL, ENOMEM).  The routes' pointers
 * are taken over: gw_engine_free() frees sel, data, act and fw of every
 * route (they must come from malloc), the route array too.  On failure
 * they are freed as well.
 */
struct gw_engine *gw_engine_new(struct gw_spec *spec, char *errmsg, size_t cap);

/* Frees e and its routes; NULL is a no-op. */
void gw_engine_free(struct gw_engine *e);

/*
 * Routes frame f received on interface src at time now (ns).  Writes up
 * to max frames to send into out and returns how many; counters are
 * updated (per route: matched, dropped[reason]).  forwarded is not: a
 * frame is forwarded once it went out, which only the caller sees
 * (gw_engine_sent()).
 */
unsigned int gw_engine_input(struct gw_engine *e, unsigned int src, const struct cf_frame *f,
			     uint64_t now, struct gw_emit *out, unsigned int max);

/*
 * Frames held back by keep-latest rate limits that are due at now.
 * Returns how many were written to out.
 */
unsigned int gw_engine_timers(struct gw_engine *e, uint64_t now, struct gw_emit *out,
			      unsigned int max);

/* Counts n frames of route i as forwarded: the caller sent them (the
 * kernel took them).  An index past the end (a route a reload removed)
 * is ignored. */
void gw_engine_sent(struct gw_engine *e, size_t i, uint64_t n);

/* When gw_engine_timers() has work next, or UINT64_MAX. */
uint64_t gw_engine_deadline(const struct gw_engine *e);

/* Workshop mode opens the firewall's workshop lists.  Turning it off
 * also ends the multi-frame requests the firewalls let start. */
void gw_engine_workshop(struct gw_engine *e, int on);

/* Number of routes, a route's name, its counters (live, owned by e). */
size_t gw_engine_nroutes(const struct gw_engine *e);
const char *gw_engine_route_name(const struct gw_engine *e, size_t i);
struct gw_counters *gw_engine_counters(struct gw_engine *e, size_t i);

/* Route i as configured (NULL past the end); valid until gw_engine_free(). */
const struct gw_route_spec *gw_engine_route(const struct gw_engine *e, size_t i);

/* The interfaces as configured, and the workshop mode. */
const struct gw_spec *gw_engine_spec(const struct gw_engine *e);
int gw_engine_workshop_on(const struct gw_engine *e);

/* Copies the counters of routes with the same name from old (a reload
 * keeps them). */
void gw_engine_adopt(struct gw_engine *e, const struct gw_engine *old);

/* The ids the kernel must let through on interface src: exact ids and
 * id/mask pairs in kernel can_filter form (flags included).  Returns the
 * count (may exceed max; then the caller falls back to coarser filters),
 * or -1 when a route on src takes every id. */
int gw_engine_filters(const struct gw_engine *e, unsigned int src, uint32_t *id, uint32_t *mask,
		      unsigned int max);

/*
 * Marks the routes with kernel[i] != 0 as offloaded (to can-gw, see
 * gw_cgw.h): the engine no longer routes them nor asks kernel filters for
 * them; their counters stay and are the caller's to update.  kernel NULL
 * takes every route back.  Flags only: it allocates nothing and returns
 * 0.  Not to be called from inside gw_engine_input().
 */
int gw_engine_offload(struct gw_engine *e, const uint8_t *kernel);

/* The same for route i alone (on: offloaded); past the end: ignored. */
void gw_engine_offload_route(struct gw_engine *e, size_t i, int on);

/* 1 if route i is offloaded, else 0. */
int gw_engine_route_kernel(const struct gw_engine *e, size_t i);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_GW_H */
