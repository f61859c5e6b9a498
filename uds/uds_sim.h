/* SPDX-License-Identifier: MIT */
/*
 * uds_sim.h - a simulated ECU: the server side of ISO 14229-1 (UDS) plus
 * the SAE J1979 / ISO 15031-5 OBD-II modes, as an I/O-free engine.
 *
 * The caller fills a struct uds_sim_cfg (the YAML loader of `canrig
 * ecu-sim` does, unit tests do it in C), starts an engine on it with
 * uds_sim_init(), feeds it whole requests (already reassembled by ISO-TP)
 * with uds_sim_request(), and takes the answers one at a time with
 * uds_sim_output().  uds_sim_deadline() says when uds_sim_timers() or
 * uds_sim_output() next has work (a delayed answer, a 0x78 to repeat, the
 * S3 session timeout).  All times are monotonic nanoseconds given by the
 * caller; the engine never reads a clock, a socket or a file.
 *
 * Memory: uds_sim_init() allocates the engine's mutable state once
 * (writable DID values, memory areas, DTC status, the response buffer);
 * nothing is allocated per request.  The configuration and everything it
 * points to is borrowed and must outlive the engine.  Downloaded data is
 * never held: it goes to the caller's sink callback block by block.
 */
#ifndef CANRIG_UDS_SIM_H
#define CANRIG_UDS_SIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bitmaps over session ids (0..127) and service ids (0..255). */
#define UDS_SIM_SESSION_MAP 16
#define UDS_SIM_SID_MAP	    32

static inline void uds_sim_map_set(uint8_t *map, unsigned int bit)
{
	map[bit >> 3] |= (uint8_t)(1u << (bit & 7));
}

static inline int uds_sim_map_has(const uint8_t *map, unsigned int bit)
{
	return (map[bit >> 3] >> (bit & 7)) & 1;
}

/* Security level (odd requestSeed sub-function 0x01..0x7F) as a bit of
 * struct uds_sim_access.security. */
#define UDS_SIM_LEVEL_BIT(level) (1ull << (((level)&0x7F) >> 1))

/*
 * Who may do something: the sessions it is allowed in (all zero: any)
 * and the security levels that unlock it (0: no security needed; several
 * bits: any one of them).
 */
struct uds_sim_access {
	uint8_t sessions[UDS_SIM_SESSION_MAP];
	uint64_t security;
};

struct uds_sim_session {
	uint8_t id;		       /* 0x01 default, 0x02 programming, ... */
	uint16_t p2_ms;		       /* P2server_max sent in the 0x50 answer */
	uint32_t p2star_ms;	       /* P2*server_max (sent in 10 ms units) */
	uint8_t sids[UDS_SIM_SID_MAP]; /* services allowed in this session */
};

enum uds_sim_did_kind {
	UDS_SIM_DID_DATA,    /* fixed or writable bytes */
	UDS_SIM_DID_COUNTER, /* big-endian counter, +1 after each read */
	UDS_SIM_DID_CLOCK,   /* ms since uds_sim_init(), big-endian, truncated */
};

struct uds_sim_did {
	uint16_t id;
	uint8_t kind;	     /* enum uds_sim_did_kind */
	uint8_t writable;    /* 0x2E allowed (DATA only) */
	const uint8_t *data; /* initial value, len bytes; NULL: zeros */
	size_t len;	     /* 1.. */
	struct uds_sim_access read, write;
};

/* One DID and its recorded bytes inside a DTC snapshot record. */
struct uds_sim_did_rec {
	uint16_t did;
	const uint8_t *data;
	size_t len;
};

struct uds_sim_snapshot {
	uint8_t record; /* 0x01..0xFE */
	const struct uds_sim_did_rec *dids;
	size_t ndids;
};

struct uds_sim_extdata {
	uint8_t record; /* 0x01..0xFD */
	const uint8_t *data;
	size_t len;
};

struct uds_sim_dtc {
	uint32_t code;	   /* 24-bit DTC; OBD modes use its upper 16 bits */
	uint8_t status;	   /* initial status byte */
	uint8_t permanent; /* listed by OBD mode 0x0A (survives clearing) */
	const struct uds_sim_snapshot *snapshots;
	size_t nsnapshots;
	const struct uds_sim_extdata *ext;
	size_t next;
};

enum uds_sim_key_algo {
	UDS_SIM_KEY_XOR,      /* key[i] = seed[i] ^ constant byte (i % 4), big-endian */
	UDS_SIM_KEY_ADD,      /* key = seed + constant mod 2^(8n), big-endian */
	UDS_SIM_KEY_NOT,      /* key[i] = ~seed[i] */
	UDS_SIM_KEY_EXTERNAL, /* cfg->key_fn computes it */
};

#define UDS_SIM_SEED_MAX 32
#define UDS_SIM_KEY_MAX	 64

struct uds_sim_security {
	uint8_t level;			       /* odd requestSeed sub-function; key is level + 1 */
	uint8_t seed_len;		       /* 1..UDS_SIM_SEED_MAX */
	uint8_t algo;			       /* enum uds_sim_key_algo */
	uint32_t constant;		       /* for XOR and ADD */
	const uint8_t *fixed_seed;	       /* seed_len bytes, or NULL: random */
	uint8_t max_attempts;		       /* wrong keys before NRC 0x36; 0 means 3 */
	uint32_t delay_ms;		       /* then requestSeed gets 0x37 this long */
	uint8_t sessions[UDS_SIM_SESSION_MAP]; /* where allowed; zero: any */
};

struct uds_sim_routine {
	uint16_t id;
	struct uds_sim_access access;
	const uint8_t *start_rec; /* routineStatusRecord of the start answer */
	size_t start_len;
	const uint8_t *result; /* answer to 0x03 requestRoutineResults */
	size_t result_len;
	uint32_t pending_ms; /* start answers 0x78 first for this long */
};

/* An InputOutputControlByIdentifier DID (also readable with 0x22). */
struct uds_sim_io {
	uint16_t did;
	const uint8_t *initial; /* the ECU's own state, len bytes */
	size_t len;
	struct uds_sim_access access;
};

/* A memory area for 0x23 / 0x3D. */
struct uds_sim_mem {
	uint32_t addr, size;
	const uint8_t *init; /* first init_len bytes; the rest is fill */
	size_t init_len;
	uint8_t fill;
	uint8_t writable;
	struct uds_sim_access read, write;
};

/* The region 0x34 RequestDownload accepts. */
struct uds_sim_download {
	uint8_t enabled;
	uint32_t addr, size;
	uint32_t max_block;	      /* maxNumberOfBlockLength, SID and counter included */
	struct uds_sim_access access; /* session failure: NRC 0x22 */
	uint32_t fail_block;	      /* this new block (1: the first) of every download
				       * gets fail_nrc and ends it (0: never); for
				       * testing a tester's recovery */
	uint8_t fail_nrc;	      /* 0: 0x72 generalProgrammingFailure */
};

/* A response pending delay for a whole service. */
struct uds_sim_delay {
	uint8_t sid;
	uint32_t ms;
};

struct uds_sim_obd_pid {
	uint8_t pid; /* mode 01; multiples of 0x20 are computed, not taken */
	const uint8_t *data;
	size_t len;
};

struct uds_sim_obd {
	uint8_t enabled;
	const struct uds_sim_obd_pid *pids;
	size_t npids;
	const char *vin;      /* 17 characters, or NULL */
	const char *ecu_name; /* up to 20 characters, or NULL */
};

/* Sink operations for downloaded data. */
enum uds_sim_sink_op {
	UDS_SIM_SINK_BEGIN, /* 0x34 accepted: addr, n = announced size */
	UDS_SIM_SINK_DATA,  /* a new block: data at offset off from addr */
	UDS_SIM_SINK_END,   /* 0x37 accepted: n = bytes received */
};

/*
 * Receives downloaded data (op, region start, offset, bytes borrowed for
 * the call).  Returns 0, or -errno: the request then gets NRC 0x72
 * generalProgrammingFailure and the transfer ends.
 */
typedef int (*uds_sim_sink_fn)(void *ctx, int op, uint32_t addr, uint64_t off, const uint8_t *data,
			       size_t n);

/*
 * Computes the expected key for an UDS_SIM_KEY_EXTERNAL level into key
 * (cap bytes) when a seed is handed out.  Returns 0 with *keylen set, or
 * -errno: the seed request then gets NRC 0x22 conditionsNotCorrect.
 */
typedef int (*uds_sim_key_fn)(void *ctx, uint8_t level, const uint8_t *seed, size_t n, uint8_t *key,
			      size_t cap, size_t *keylen);

struct uds_sim_cfg {
	const struct uds_sim_session *sessions; /* must include 0x01 */
	size_t nsessions;
	uint32_t s3_ms;		      /* non-default session timeout */
	size_t max_response;	      /* longest answer (ISO-TP limit), >= 8 */
	uint8_t dtc_avail_mask;	      /* DTCStatusAvailabilityMask */
	uint64_t prng_seed;	      /* seeds for requestSeed */
	uint32_t pending_interval_ms; /* 0x78 repeat; 0: P2* / 2 */

	const struct uds_sim_did *dids;
	size_t ndids;
	const struct uds_sim_dtc *dtcs;
	size_t ndtcs;
	const struct uds_sim_security *security;
	size_t nsecurity;
	const struct uds_sim_routine *routines;
	size_t nroutines;
	const struct uds_sim_io *ios;
	size_t nios;
	const struct uds_sim_mem *mems;
	size_t nmems;
	struct uds_sim_download download;
	const struct uds_sim_delay *delays;
	size_t ndelays;
	struct uds_sim_obd obd;

	uds_sim_key_fn key_fn;	 /* for UDS_SIM_KEY_EXTERNAL levels */
	uds_sim_sink_fn sink_fn; /* for downloads; NULL: data is dropped */
	void *cb_ctx;		 /* passed to both */
};

/*
 * Defaults: no sessions or tables, S3 5000 ms, max_response 4095,
 * availability mask 0xFF, pending interval 0 (P2* / 2).
 */
void uds_sim_cfg_init(struct uds_sim_cfg *c);

/*
 * Fills sids (a UDS_SIM_SID_MAP bitmap) with every service the engine
 * implements.
 */
void uds_sim_all_services(uint8_t *sids);

/* Returns 1 if the engine implements service sid (UDS or OBD mode). */
int uds_sim_implements(uint8_t sid);

struct uds_sim {
	const struct uds_sim_cfg *cfg; /* borrowed */
	uint64_t t0;		       /* uds_sim_init() time, for clock DIDs */
	uint64_t last;		       /* last request or answer, for S3 */
	const struct uds_sim_session *session;
	uint8_t unlocked;		    /* security level unlocked, 0: locked */
	uint8_t supported[UDS_SIM_SID_MAP]; /* in at least one session */

	/* SecurityAccess: the seed handed out and the key it wants */
	uint8_t seed_level; /* 0: none outstanding */
	uint8_t key[UDS_SIM_KEY_MAX];
	size_t keylen;
	uint8_t *attempts;	/* per security level */
	uint64_t *locked_until; /* per security level */
	uint64_t prng;

	/* mutable copies of the configured data (one allocation) */
	uint8_t *store;
	size_t *did_off, *io_off, *mem_off;
	uint8_t *dtc_status, *dtc_cleared, *routine_state;

	uint8_t comm_ctl, comm_type, dtc_setting_off;

	/* download in progress */
	int dl_active;
	uint32_t dl_addr, dl_size;
	uint64_t dl_done;
	uint8_t dl_bsc;	    /* last accepted counter */
	int dl_any;	    /* a block was accepted */
	uint32_t dl_blocks; /* new blocks accepted */
	uint32_t dl_crc;

	/* answers: a final one (maybe delayed), a 0x78, a busy NRC */
	uint8_t *rsp;
	size_t rsp_len;
	int rsp_ready;
	uint64_t rsp_due;
	uint8_t pend_sid; /* answering 0x78 for this SID, 0: not */
	uint64_t pend_next;
	uint8_t busy[3];
	int busy_ready;

	uint64_t requests, responses;
};

/*
 * Starts an engine on cfg (borrowed for the engine's life) at time now.
 * Returns 0, -EINVAL for an unusable configuration (no default session,
 * a DID of length 0, an even security level, max_response < 8, ...) or
 * -ENOMEM.  On error nothing needs freeing.
 */
int uds_sim_init(struct uds_sim *s, const struct uds_sim_cfg *cfg, uint64_t now);

/* Frees what uds_sim_init() allocated; safe on a zeroed or finished engine. */
void uds_sim_fini(struct uds_sim *s);

/*
 * Handles one request (req borrowed for the call) received at now,
 * physically or functionally addressed.  The answer, if any, is then
 * available from uds_sim_output().  A request arriving while an answer is
 * still pending gets NRC 0x21 busyRepeatRequest (functional ones are
 * ignored; a TesterPresent with the suppress bit only keeps the session).
 * Returns 0, or -EINVAL for an empty request.
 */
int uds_sim_request(struct uds_sim *s, const uint8_t *req, size_t len, int functional,
		    uint64_t now);

/*
 * Copies the next message due at now into buf (cap bytes).  Returns 1
 * with *len set, 0 if nothing is due, -ENOSPC if cap is too small (the
 * message stays queued).  Call until it returns 0.
 */
int uds_sim_output(struct uds_sim *s, uint64_t now, uint8_t *buf, size_t cap, size_t *len);

/* Runs the S3 timeout at now.  Returns 1 if the session fell back to
 * default, else 0. */
int uds_sim_timers(struct uds_sim *s, uint64_t now);

/*
 * Returns when uds_sim_output() or uds_sim_timers() next has work: a time
 * (possibly already past), or UINT64_MAX when idle in the default session.
 */
uint64_t uds_sim_deadline(const struct uds_sim *s);

/* Returns the active session id. */
uint8_t uds_sim_session(const struct uds_sim *s);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_UDS_SIM_H */
