/* SPDX-License-Identifier: MIT */
/*
 * gw_cgw.h - offloading gateway routes into the Linux kernel's can-gw
 * (net/can/gw.c) over rtnetlink.
 *
 * Three layers, each usable alone:
 *
 * 1. Decision (pure): gw_cgw_route_check() says whether can-gw computes
 *    exactly what the engine (gw.c) computes for one route, and if so
 *    compiles it into can-gw jobs; gw_cgw_plan() does it for a whole
 *    configuration, adding the conditions that involve other routes.
 *    Routes that would behave differently in the kernel are refused with a
 *    short static reason; the caller keeps them in user space.
 * 2. Encoding (pure): one job into one RTM_NEWROUTE / RTM_DELROUTE message
 *    in a caller buffer (GW_CGW_MSG_MAX bytes are always enough); the dump
 *    request; the parser of dump replies over a byte buffer.
 * 3. I/O (thin): a NETLINK_ROUTE socket that installs, removes and polls
 *    the jobs of routes and flushes jobs left by an earlier instance.
 *
 * What a route becomes: one can-gw job per (id selector) x (frame type:
 * classic, plus CAN FD when the source is FD and the route admits FD) x
 * (destination).  A route without selectors has one filter for every id.
 * Every job carries CGW_FLAGS_CAN_ECHO and CGW_LIM_HOPS 1.  A job with a
 * modification or a checksum also carries a uid of our own (GW_CGW_UID();
 * can-gw reads a uid only next to a modification, so a checksum-only job
 * gets a no-op one).  A job with neither stays "plain": any modification
 * would make can-gw copy each frame where it now clones it.  Plain jobs
 * are known by their content; gw_cgw_save() lists them in a file so that
 * the next instance can remove what a killed one left.
 * See docs/gateway.md, "Kernel offload", for the refusal reasons.
 */
#ifndef CANRIG_GW_CGW_H
#define CANRIG_GW_CGW_H

#include <stddef.h>
#include <stdint.h>

#include "gw.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Our uids: 0xC4A then a 4-bit generation then a 16-bit job number.  A
 * generation is one set of installed routes (a reload installs the next
 * generation before removing the previous one); gw_cgw_flush() removes
 * jobs with our prefix left over by a crashed instance.
 */
#define GW_CGW_UID_PREFIX 0xC4A00000u
#define GW_CGW_UID_MASK	  0xFFF00000u
#define GW_CGW_UID(gen, n)                                                                         \
	(GW_CGW_UID_PREFIX | ((uint32_t)(gen)&0xF) << 16 | ((uint32_t)(n)&0xFFFF))
#define GW_CGW_UID_GEN(uid) (((uid) >> 16) & 0xF)
#define GW_CGW_JOBS_PER_GEN 0x10000u

/* Longest message gw_cgw_encode() writes (the FD job with every part). */
#define GW_CGW_MSG_MAX 1024

/* The hop limit every job gets (see gw_cgw_encode()). */
#define GW_CGW_LIM_HOPS 1

/* Modification slots, in the order can-gw applies them. */
enum gw_cgw_modop { GW_CGW_AND, GW_CGW_OR, GW_CGW_XOR, GW_CGW_SET, GW_CGW_NMOD };

/*
 * One can-gw modification (struct cgw_frame_mod / cgw_fdframe_mod): type
 * is a mask of CGW_MOD_ID, CGW_MOD_LEN, CGW_MOD_DATA (0: slot unused);
 * can_id carries the kernel's flag bits (CAN_EFF_FLAG ...).
 */
struct gw_cgw_mod {
	uint8_t type;
	uint8_t len;
	uint32_t can_id;
	uint8_t data[CF_MAX_LEN];
};

/*
 * What identifies a job to the kernel: RTM_DELROUTE must repeat flags,
 * hop limit, filter and interfaces, and the uid selects among those.
 */
struct gw_cgw_key {
	uint32_t uid;
	uint32_t src_ifindex, dst_ifindex;
	uint32_t filter_id, filter_mask; /* struct can_filter */
	uint16_t flags;			 /* CGW_FLAGS_* */
	uint8_t lim_hops;		 /* 0: none */
};

/* One job, ready for gw_cgw_encode(). */
struct gw_cgw_job {
	struct gw_cgw_key key;
	uint8_t src, dst; /* spec interface indexes */
	uint8_t fd;	  /* the CAN FD job: CGW_FDMOD_*, 64 data bytes */
	struct gw_cgw_mod mod[GW_CGW_NMOD];
	const struct gw_crc8 *crc8; /* NULL: none; borrowed from the route */
	const struct gw_xor *xsum;  /* NULL: none; borrowed from the route */
};

/*
 * A route checked (and, when why is NULL, compiled) for can-gw.  Filled by
 * gw_cgw_route_check(); it borrows r and the actions' checksum rules, so
 * it is valid as long as the route spec is.  The fields after njobs are
 * the compiled form, read by gw_cgw_route_job() only.
 */
struct gw_cgw_route {
	const struct gw_route_spec *r;
	const char *why; /* NULL: offloadable; else a static reason */
	size_t njobs;
	size_t nfilt; /* filters (id selectors kept) */
	unsigned int ntypes;
	unsigned int ndst;
	uint8_t types;			  /* bit 0: classic job, bit 1: FD job */
	uint8_t filt_fmts;		  /* format sets used: bit 1 SFF only, 2 EFF only, 3 both */
	int16_t set_len;		  /* -1: the length is not set */
	uint32_t idop[4][3];		  /* per format set: AND, OR, XOR */
	uint8_t dataop[2][3][CF_MAX_LEN]; /* classic, FD: AND, OR, XOR */
	const struct gw_crc8 *crc8;
	const struct gw_xor *xsum;
	size_t ncmp; /* filters the overlap check compared or swept: a
		      * count for tests, linear in the selectors */
};

/*
 * Can can-gw do exactly what the engine does with route r of spec (spec
 * gives the interfaces; its routes are not read)?  Fills *out (caller
 * owned) either way.  Returns 0 when it can (out->njobs jobs, possibly 0
 * for a route that matches nothing), -EOPNOTSUPP with out->why set when
 * it cannot, -EINVAL (out->why "invalid route") for a route gw_engine_new()
 * would refuse, -ENOMEM (out->why "out of memory"; the route stays in
 * user space).  Only conditions local to the route are checked here; see
 * gw_cgw_plan() for those between routes.
 */
int gw_cgw_route_check(const struct gw_spec *spec, const struct gw_route_spec *r,
		       struct gw_cgw_route *out);

/*
 * The whole configuration: routes[0..n) as the engine has them (in order;
 * gw_engine_route() gives them), out[0..n) caller owned.  Runs
 * gw_cgw_route_check() on each route, then refuses the offload of a route
 * when, with the other routes staying in user space, the kernel would
 * route differently from the engine: under first-match when another route
 * shares its source ("first match"), when a user-space route sends onto
 * its source ("fed by a user-space route": the kernel would route
 * canrigd's own frames, canrigd never does), or when a user-space route
 * reads one of its destinations ("feeds a user-space route": canrigd would
 * see, and route again, frames the kernel routed).  Repeated until no
 * more routes change.  Returns the number of offloadable routes.
 */
size_t gw_cgw_plan(const struct gw_spec *spec, const struct gw_route_spec *const *routes, size_t n,
		   struct gw_cgw_route *out);

/*
 * Job k (0 .. rt->njobs - 1) of an offloadable route: fills *job (caller
 * owned) with its filter, flags, interfaces (ifindex[i] is the kernel
 * ifindex of spec interface i; NULL leaves them 0), modifications and
 * checksums (borrowed from the route); key.uid is left 0 for the caller.
 * Jobs run selector by selector, then classic before FD, then
 * destination by destination.  Returns 0, or -EINVAL if rt is not
 * offloadable or k is out of range.
 */
int gw_cgw_route_job(const struct gw_cgw_route *rt, size_t k, const uint32_t *ifindex,
		     struct gw_cgw_job *job);

/*
 * Is job plain: no modification and no checksum?  Plain jobs get no uid
 * (gw_cgw_install()).  Returns 1 or 0.
 */
int gw_cgw_job_plain(const struct gw_cgw_job *job);

/*
 * Writes the RTM_NEWROUTE (nltype) or RTM_DELROUTE message of job, with
 * sequence number seq, NLM_F_REQUEST | NLM_F_ACK, into buf (cap bytes,
 * caller owned; GW_CGW_MSG_MAX is enough).  Attributes: the modifications
 * (CGW_MOD_* or, for FD jobs, CGW_FDMOD_*), CGW_CS_CRC8, CGW_CS_XOR,
 * CGW_MOD_UID, CGW_LIM_HOPS (when key.lim_hops), CGW_FILTER, CGW_SRC_IF,
 * CGW_DST_IF.  Returns the message length, -EMSGSIZE if cap is too
 * small, -EINVAL for another nltype.
 */
int gw_cgw_encode(void *buf, size_t cap, uint16_t nltype, uint32_t seq,
		  const struct gw_cgw_job *job);

/*
 * The RTM_DELROUTE message of the job key identifies (from a dump, say):
 * can-gw reads a uid only when the message has a modification, so a no-op
 * one goes with a uid; a plain job (uid 0) is matched by its content, with
 * no modification.  Returns as gw_cgw_encode().
 */
int gw_cgw_encode_del(void *buf, size_t cap, uint32_t seq, const struct gw_cgw_key *key);

/* The RTM_GETROUTE dump request for family AF_CAN.  Returns as gw_cgw_encode(). */
int gw_cgw_encode_dump(void *buf, size_t cap, uint32_t seq);

/* One job of a dump reply. */
struct gw_cgw_dumped {
	struct gw_cgw_key key;
	uint32_t handled, dropped, deleted; /* can-gw's u32 counters; absent = 0 */
	uint8_t has_uid;
};

/* What gw_cgw_parse_dump() skipped, for the caller's diagnosis. */
struct gw_cgw_pstat {
	unsigned int jobs;    /* AF_CAN jobs handed to the callback */
	unsigned int foreign; /* route messages of other families */
	unsigned int bad;     /* AF_CAN messages with malformed attributes */
	unsigned int other;   /* other sequence numbers or message types */
};

typedef void (*gw_cgw_dump_cb)(void *arg, const struct gw_cgw_dumped *d);

/*
 * Parses buf[0..len), one read of a dump reply (any alignment), calling
 * cb for each can-gw job of sequence seq.  Messages of other families are
 * counted in st->foreign: a kernel without can-gw answers an AF_CAN dump
 * with every other family's routes.  Malformed attributes skip their
 * message (st->bad).  st may be NULL; buf stays the caller's.  Returns 1
 * when NLMSG_DONE ended the dump, 0 when more is to come, the kernel's
 * -errno of an NLMSG_ERROR or of NLMSG_DONE, or -EBADMSG when a message
 * header is inconsistent (the rest of buf cannot be framed).
 */
int gw_cgw_parse_dump(const void *buf, size_t len, uint32_t seq, gw_cgw_dump_cb cb, void *arg,
		      struct gw_cgw_pstat *st);

/* ---- installed routes and their counters ---------------------------- */

struct gw_cgw_ctr {
	uint64_t handled, dropped, deleted;
};

struct gw_cgw_jobstate {
	struct gw_cgw_key key; /* key.uid 0: a plain job */
	uint32_t last[3];      /* handled, dropped, deleted as last seen */
	uint8_t seen;	       /* found by the last poll */
	uint8_t adopted;       /* taken over from an earlier install */
	uint8_t moved;	       /* taken over by a later install: not ours */
};

/*
 * One route's jobs in the kernel (caller owned, zeroed to start): uids
 * uid0 .. uid0 + njobs - 1.  job is allocated by gw_cgw_install() and
 * freed by gw_cgw_remove(); total survives both (64-bit, folded from the
 * kernel's u32 counters).  After gw_cgw_poll(), missing > 0 says the
 * kernel dropped jobs (it does when an interface is unregistered): remove
 * and install the route again.
 */
struct gw_cgw_inst {
	uint32_t uid0;
	size_t njobs;
	struct gw_cgw_jobstate *job;
	struct gw_cgw_ctr total;
	size_t missing;
};

/*
 * Folds dumped job d into the route among inst[0..n) that owns its uid,
 * or for a job without uid, the plain job with its key not yet seen (the
 * first of identical twins counts; gw_cgw_poll() clears seen): each
 * counter grows by (new - last) mod 2^32, so a wrap between two polls is
 * counted right (more than 2^32 frames between polls are not).  Returns 1
 * if d was one of inst's jobs, else 0.
 */
int gw_cgw_fold(struct gw_cgw_inst *inst, size_t n, const struct gw_cgw_dumped *d);

/* ---- I/O --------------------------------------------------------------- */

/* A NETLINK_ROUTE socket and its receive buffer; owned by the caller. */
struct gw_cgw {
	int fd;
	uint32_t seq;
	unsigned int gen; /* generation of the uids handed out */
	uint32_t next;	  /* next job number in gen */
	uint8_t *rx;	  /* receive buffer */
};

/*
 * Opens the socket (blocking, 1 s receive timeout) for generation gen
 * (0..15).  Returns 0, or -errno (c then holds nothing to close).
 */
int gw_cgw_open(struct gw_cgw *c, unsigned int gen);

/* Closes c; safe on a zeroed or closed struct.  Installed jobs stay. */
void gw_cgw_close(struct gw_cgw *c);

/* Switches to generation gen: uids start again at job 0 of gen. */
void gw_cgw_generation(struct gw_cgw *c, unsigned int gen);

/*
 * Installs every job of the offloadable routes among rt[0..n) (refused
 * ones are skipped, their inst left empty), one message and one ACK per
 * job; ifindex as for gw_cgw_route_job().  inst[0..n) must hold no jobs
 * (zeroed, or after gw_cgw_remove()); their totals are kept.  A plain job
 * identical to one of the installed prev[0..nprev) (NULL: none) is not
 * added again but taken over, counters and all, and marked moved in prev,
 * so that gw_cgw_remove(prev) leaves it.  All or nothing: on error the
 * jobs added by this call are removed again and those taken over go back
 * to prev.  Returns 0, or the
 * kernel's -errno: -EPERM without CAP_NET_ADMIN, -EOPNOTSUPP when can-gw
 * is not loaded (or the kernel has no AF_CAN), -ENODEV for an interface
 * that is missing or not CAN, -EINVAL for a uid in use by a job with
 * other interfaces or filter; -ENOSPC when the generation has no uids
 * left; -ETIMEDOUT when the kernel did not answer.
 */
int gw_cgw_install(struct gw_cgw *c, const struct gw_cgw_route *rt, size_t n,
		   const uint32_t *ifindex, struct gw_cgw_inst *inst, struct gw_cgw_inst *prev,
		   size_t nprev);

/*
 * Removes the jobs of inst[0..n), except those a later install took over,
 * and frees their state (total stays).  A job the kernel no longer has
 * (-EINVAL from can-gw) counts as removed.
 * Returns 0, or the first other -errno (the remaining jobs are still
 * tried).
 */
int gw_cgw_remove(struct gw_cgw *c, struct gw_cgw_inst *inst, size_t n);

/*
 * Dumps can-gw's jobs and folds the counters of ours into inst[0..n),
 * setting each inst's missing.  Returns 0, -EOPNOTSUPP when the kernel
 * answered with other families' routes only (no can-gw), or -errno.
 */
int gw_cgw_poll(struct gw_cgw *c, struct gw_cgw_inst *inst, size_t n);

/*
 * Removes every job carrying our uid prefix except those of generation
 * keep_gen (-1: keep none), as left by a crashed or killed instance.
 * Returns how many were removed, or -errno.
 */
int gw_cgw_flush(struct gw_cgw *c, int keep_gen);

/*
 * The list of plain jobs, one per line: source and destination ifindex
 * (decimal), filter id, filter mask and flags (hex), hop limit (decimal);
 * '#' starts a comment line.
 *
 * gw_cgw_save() writes the plain jobs of inst[0..n) (not those marked
 * moved) to path, through path.tmp and rename(); with none it removes
 * path.  Returns 0 or -errno.
 *
 * gw_cgw_parse_saved() reads buf[0..len) (any bytes; not NUL-terminated)
 * into keys[0..cap) (caller owned; NULL with cap 0 to count).  Malformed
 * lines are skipped and counted in *bad.  Returns the number of jobs
 * listed, which may exceed cap.
 *
 * gw_cgw_flush_saved() removes from the kernel the jobs listed in path
 * (the file of an instance that was killed), then the file.  Returns how
 * many it removed (0 without a file), or -errno.
 */
int gw_cgw_save(const char *path, const struct gw_cgw_inst *inst, size_t n);
size_t gw_cgw_parse_saved(const char *buf, size_t len, struct gw_cgw_key *keys, size_t cap,
			  unsigned int *bad);
int gw_cgw_flush_saved(struct gw_cgw *c, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_GW_CGW_H */
