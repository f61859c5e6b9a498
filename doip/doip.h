/* SPDX-License-Identifier: MIT */
/*
 * doip.h - DoIP (ISO 13400-2:2019) as an I/O-free engine: the codec of
 * every payload type, the byte-stream framing of a TCP_DATA socket, the
 * per-socket state machine of a DoIP entity (or of a tester), and the
 * entity's UDP answers as pure functions.
 *
 * Like isotp.h, nothing here reads a clock or touches a socket: the
 * caller feeds received bytes and a monotonic time in nanoseconds, gets
 * events, drains bytes to send from its own output buffer, and calls
 * doip_conn_timers() when doip_conn_deadline() has passed.  Nothing
 * allocates: the caller gives every buffer.
 *
 * Return values: functions return 0 or -errno.  DoIP codes (header NACK
 * codes, routing activation response codes, diagnostic ACK/NACK codes)
 * are the standard's byte values, always in a uint8_t of their own,
 * never mixed with -errno.
 */
#ifndef CANRIG_DOIP_H
#define CANRIG_DOIP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DOIP_PORT     13400
#define DOIP_HDR_LEN  8
#define DOIP_VIN_LEN  17
#define DOIP_EID_LEN  6
#define DOIP_VER_2012 0x02
#define DOIP_VER_2019 0x03
#define DOIP_VER_ANY  0xFF /* vehicle identification requests only */

/* Payload types. */
#define DOIP_T_HDR_NACK	   0x0000
#define DOIP_T_VID_REQ	   0x0001
#define DOIP_T_VID_REQ_EID 0x0002
#define DOIP_T_VID_REQ_VIN 0x0003
#define DOIP_T_VID_RSP	   0x0004 /* also the vehicle announcement */
#define DOIP_T_RA_REQ	   0x0005
#define DOIP_T_RA_RSP	   0x0006
#define DOIP_T_ALIVE_REQ   0x0007
#define DOIP_T_ALIVE_RSP   0x0008
#define DOIP_T_STATUS_REQ  0x4001
#define DOIP_T_STATUS_RSP  0x4002
#define DOIP_T_POWER_REQ   0x4003
#define DOIP_T_POWER_RSP   0x4004
#define DOIP_T_DIAG	   0x8001
#define DOIP_T_DIAG_ACK	   0x8002
#define DOIP_T_DIAG_NACK   0x8003

/* Generic header NACK codes (payload type 0x0000). */
#define DOIP_HN_PATTERN	  0x00 /* incorrect pattern format: close the socket */
#define DOIP_HN_TYPE	  0x01 /* unknown payload type: discard the message */
#define DOIP_HN_TOO_LARGE 0x02 /* message too large: discard */
#define DOIP_HN_MEMORY	  0x03 /* out of memory: discard */
#define DOIP_HN_LENGTH	  0x04 /* invalid payload length: close the socket */
#define DOIP_HN_N	  5

/* Routing activation response codes (0x0006). */
#define DOIP_RA_UNKNOWN_SA    0x00
#define DOIP_RA_NO_SOCKET     0x01 /* all sockets registered and active */
#define DOIP_RA_SA_DIFFERS    0x02 /* another SA is registered on this socket */
#define DOIP_RA_SA_ELSEWHERE  0x03 /* SA registered and active on another socket */
#define DOIP_RA_NO_AUTH	      0x04
#define DOIP_RA_CONF_REJECTED 0x05
#define DOIP_RA_BAD_TYPE      0x06 /* unsupported activation type */
#define DOIP_RA_NO_TLS	      0x07
#define DOIP_RA_OK	      0x10
#define DOIP_RA_OK_CONFIRM    0x11 /* will be activated, confirmation required */

/* Routing activation types (0x0005). */
#define DOIP_ACT_DEFAULT 0x00
#define DOIP_ACT_WWH_OBD 0x01
#define DOIP_ACT_CENTRAL 0xE0

/* Diagnostic message ACK (0x8002) and NACK (0x8003) codes. */
#define DOIP_DIAG_ACK	    0x00
#define DOIP_DN_SA	    0x02 /* source address not activated here: close */
#define DOIP_DN_UNKNOWN_TA  0x03
#define DOIP_DN_TOO_LARGE   0x04
#define DOIP_DN_MEMORY	    0x05
#define DOIP_DN_UNREACHABLE 0x06 /* target's bus down, or its transfer failed */
#define DOIP_DN_UNKNOWN_NET 0x07
#define DOIP_DN_TP_ERROR    0x08
#define DOIP_DN_N	    9

/* Diagnostic power mode (0x4004). */
#define DOIP_PM_NOT_READY     0x00
#define DOIP_PM_READY	      0x01
#define DOIP_PM_NOT_SUPPORTED 0x02

/* ISO 13400-2 timers, milliseconds: the defaults of struct doip_conn_cfg. */
#define DOIP_T_INITIAL_INACTIVITY_MS 2000   /* accept until routing is active */
#define DOIP_T_GENERAL_INACTIVITY_MS 300000 /* nothing received or sent */
#define DOIP_T_ALIVE_CHECK_MS	     500    /* alive check answer */

/* ---- codec */

struct doip_hdr {
	uint8_t ver, inv;
	uint16_t type;
	uint32_t len; /* payload bytes after the 8-byte header */
};

/* Reads the 8 header bytes at p (no check). */
void doip_hdr_get(const uint8_t *p, struct doip_hdr *h);

/* Writes a header of version ver (and its inverse) to p[0..8). */
void doip_hdr_put(uint8_t *p, uint8_t ver, uint16_t type, uint32_t len);

/*
 * One message, parsed or to build.  Pointers are borrowed from the buffer
 * parsed (valid as long as it is) or from the caller when building.
 */
struct doip_msg {
	uint8_t ver; /* protocol version (building: 0 means DOIP_VER_2012) */
	uint16_t type;
	union {
		uint8_t nack;		   /* 0x0000 */
		uint8_t eid[DOIP_EID_LEN]; /* 0x0002 */
		char vin[DOIP_VIN_LEN];	   /* 0x0003, not NUL-terminated */
		struct doip_vid {	   /* 0x0004 */
			char vin[DOIP_VIN_LEN];
			uint16_t la;
			uint8_t eid[DOIP_EID_LEN], gid[DOIP_EID_LEN];
			uint8_t further;
			uint8_t has_sync, sync; /* the optional VIN/GID sync status */
		} vid;
		struct doip_ra {      /* 0x0005 (sa, type) and 0x0006 (sa, la, code) */
			uint16_t sa;  /* the tester's logical address */
			uint16_t la;  /* 0x0006: the entity's logical address */
			uint8_t type; /* 0x0005: activation type */
			uint8_t code; /* 0x0006: response code */
			uint32_t iso; /* reserved by ISO, 0 */
			uint8_t has_oem;
			uint32_t oem;
		} ra;
		uint16_t alive_sa;	   /* 0x0008 */
		struct doip_status {	   /* 0x4002 */
			uint8_t node_type; /* 0 gateway, 1 node */
			uint8_t mcts, ncts;
			uint8_t has_mds;
			uint32_t mds; /* max data size */
		} status;
		uint8_t power;	   /* 0x4004 */
		struct doip_diag { /* 0x8001, 0x8002, 0x8003 */
			uint16_t sa, ta;
			uint8_t code;	     /* 0x8002/0x8003 */
			const uint8_t *data; /* user data / previous message */
			size_t len;
		} diag;
	} u;
};

/*
 * Payload length rule of a type: *min and *max bytes (equal for fixed
 * lengths, *alt a second allowed length or 0).  Returns 0, -ENOENT for a
 * type ISO 13400-2 does not define.
 */
int doip_type_len(uint16_t type, uint32_t *min, uint32_t *max, uint32_t *alt);

/*
 * Checks header h in the order ISO 13400-2's generic header handler
 * gives: pattern (version and inverse; 0xFF only for identification
 * requests), payload type (accept: a DOIP_ACCEPT_* set), max_len, mem,
 * then the type's payload length.  Returns 0, or -EBADMSG with *nack the
 * header NACK code.
 */
#define DOIP_ACCEPT_ENTITY_TCP 1 /* 0x0005 0x0008 0x8001 (0x0000 ignored) */
#define DOIP_ACCEPT_ENTITY_UDP                                                                     \
	2			 /* 0x0001-0x0003 0x4001 0x4003 (0x0000 0x0004                     \
				  * 0x4002 0x4004 ignored: other entities') */
#define DOIP_ACCEPT_TESTER_TCP 4 /* 0x0000 0x0006 0x0007 0x8001-0x8003 */
#define DOIP_ACCEPT_ANY	       7 /* every defined type */
int doip_hdr_check(const struct doip_hdr *h, unsigned int accept, uint64_t max_len, uint64_t mem,
		   uint8_t *nack);

/*
 * Parses one whole message buf[0..len) (header included, len exactly
 * 8 + payload length) of any defined type.  Returns 0, or -EBADMSG with
 * *nack the header NACK code (nack may be NULL).
 */
int doip_parse(const uint8_t *buf, size_t len, struct doip_msg *m, uint8_t *nack);

/*
 * Builds m into out[0..cap).  Returns 0 with *len the message's length,
 * -ENOBUFS if cap is too small, -EINVAL for an undefined type, a
 * diagnostic message without user data or a payload over 2^32-1 bytes.
 */
int doip_build(const struct doip_msg *m, uint8_t *out, size_t cap, size_t *len);

/* The 12 bytes (header, SA, TA) that start a diagnostic message of
 * user_len bytes, for a caller streaming the user data itself.  Returns
 * 0, -EMSGSIZE if user_len is 0 or user_len + 4 does not fit the length
 * field. */
int doip_diag_hdr_put(uint8_t *p, uint8_t ver, uint16_t sa, uint16_t ta, uint64_t user_len);

/* ---- the entity's UDP side: pure functions of config and state */

struct doip_entity {
	uint8_t ver; /* what the entity sends unasked (0: 0x02) */
	uint16_t la; /* logical address */
	char vin[DOIP_VIN_LEN];
	uint8_t eid[DOIP_EID_LEN], gid[DOIP_EID_LEN];
	uint8_t further_action; /* 0x00, or 0x10: central security */
	uint8_t has_sync;	/* send the VIN/GID sync status byte */
	uint8_t node_type;	/* 0 gateway, 1 node */
	uint8_t mcts;		/* max concurrent TCP_DATA sockets */
	uint8_t has_mds;	/* send the max data size */
	uint32_t mds;		/* max data size */
	uint64_t max_len;	/* largest payload accepted (header NACK 0x02) */
};

struct doip_entity_state {
	uint8_t ncts;  /* TCP_DATA sockets open now */
	uint8_t power; /* DOIP_PM_* */
	uint8_t sync;  /* VIN/GID sync status: 0x00 synchronized, 0x10 not */
};

/* Fills e with defaults: version 0x02, gateway, MCTS 1, max_len
 * 2^32-1, no sync byte, max data size sent (2^32-1). */
void doip_entity_init(struct doip_entity *e);

/* Builds the vehicle announcement / identification response (0x0004) of
 * version ver (0: e->ver).  Returns as doip_build(). */
int doip_entity_vid(const struct doip_entity *e, const struct doip_entity_state *st, uint8_t ver,
		    uint8_t *out, size_t cap, size_t *len);

/*
 * Answers one UDP datagram in[0..len) to the entity: a header NACK, an
 * identification response (plain; by EID or VIN only when they match),
 * the entity status or the power mode.  Returns 0 with *out_len the
 * answer's length (0: no answer, e.g. another entity's announcement, a
 * VIN that is not ours, a datagram shorter than a header), -ENOBUFS if
 * cap < 64.  *nack is set to the header NACK code sent, or 0xFF for none.
 */
int doip_entity_udp(const struct doip_entity *e, const struct doip_entity_state *st,
		    const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len,
		    uint8_t *nack);

/* ---- one TCP_DATA socket */

enum doip_role { DOIP_ENTITY, DOIP_TESTER };

/* A diagnostic target the entity knows (borrowed array: the caller may
 * change reachable at any time). */
struct doip_target {
	uint16_t addr;
	uint8_t reachable; /* 0: NACK 0x06 */
	uint64_t max_len;  /* larger user data: NACK 0x04; 0: no limit */
};

struct doip_conn_cfg {
	uint8_t role;	  /* enum doip_role */
	uint8_t ver;	  /* sent before the peer said which (0: 0x02) */
	uint16_t la;	  /* entity: our logical address; tester: our SA */
	uint64_t max_len; /* largest payload accepted (header NACK 0x02) */
	/* entity: the diagnostic targets, checked before delivery (NACK 0x03,
	 * 0x04, 0x06); NULL: every target is delivered, the caller decides */
	const struct doip_target *targets;
	size_t n_targets;
	uint32_t t_initial_ms, t_general_ms, t_alive_ms; /* 0: no timer */
};

/* Defaults: entity, 0x02, max_len 2^32-1, ISO timers. */
void doip_conn_cfg_init(struct doip_conn_cfg *c, enum doip_role role, uint16_t la);

enum doip_ev_kind {
	DOIP_EV_NONE,	 /* nothing: the input was consumed */
	DOIP_EV_MSG,	 /* ev->m is a whole message for the caller (below) */
	DOIP_EV_DIAG,	 /* a piece of a diagnostic message (ev->m.u.diag) */
	DOIP_EV_TX_FULL, /* output buffer full: drain it, then input again */
	DOIP_EV_PAUSED,	 /* a routing activation awaits doip_conn_ra_reply() */
	DOIP_EV_CLOSED,	 /* the socket is to be closed (c->close_reason);
			  * send the output first */
};

/*
 * An event.  DOIP_EV_MSG carries, for an entity: 0x0005 (answer with
 * doip_conn_ra_reply()), 0x0008 answering doip_conn_alive_check(); for a
 * tester: 0x0000, 0x0006, 0x8002, 0x8003 (previous message data cut to the
 * receive buffer: ev->total says how long it was).  DOIP_EV_DIAG: the user
 * data bytes [off, off + m.u.diag.len) of a diagnostic message of total
 * bytes; one event with off 0 and len == total when it fits the receive
 * buffer, else pieces as the bytes arrive.  Borrowed pointers stay valid
 * until the next call on the connection.
 */
struct doip_ev {
	uint8_t kind; /* enum doip_ev_kind */
	struct doip_msg m;
	uint64_t off, total;
};

/* Why a connection closed (c->close_reason); counted per reason. */
enum doip_close {
	DOIP_CL_NONE,
	DOIP_CL_PATTERN,    /* header NACK 0x00 */
	DOIP_CL_LENGTH,	    /* header NACK 0x04 */
	DOIP_CL_DIAG_SA,    /* diagnostic NACK 0x02 */
	DOIP_CL_RA_REFUSED, /* routing activation refused */
	DOIP_CL_INITIAL,    /* no routing activation in T_TCP_Initial_Inactivity */
	DOIP_CL_GENERAL,    /* T_TCP_General_Inactivity */
	DOIP_CL_ALIVE,	    /* no alive check answer in T_TCP_Alive_Check */
	DOIP_CL_ALIVE_SA,   /* alive check answered with another SA */
	DOIP_CL_CALLER,	    /* doip_conn_close() */
	DOIP_CL_N
};

/* Static name of a close reason ("initial-inactivity"). */
const char *doip_close_name(enum doip_close r);

enum doip_rx_state { DOIP_RX_HDR, DOIP_RX_FIXED, DOIP_RX_WHOLE, DOIP_RX_STREAM, DOIP_RX_SKIP };

#define DOIP_CONN_TX_MIN 64 /* smallest output buffer doip_conn_init takes */
/* Messages queued while a streamed message goes out wait in this much
 * (ACKs, NACKs, short answers; doip_conn_diag_begin()). */
#define DOIP_CONN_LATER 512

struct doip_conn {
	struct doip_conn_cfg cfg;
	uint8_t ver;	      /* what we send: the peer's last version */
	uint8_t close_reason; /* enum doip_close: DOIP_CL_NONE while open */
	uint8_t active;	      /* routing activated on this socket */
	uint8_t ra_pending;   /* 0x0005 delivered, no reply yet */
	uint16_t sa;	      /* entity: the registered tester SA */
	uint16_t ra_sa;	      /* the pending request's SA */
	uint64_t mem;	      /* header NACK 0x03 above this (doip_conn_set_mem) */

	/* receiver */
	enum doip_rx_state rx;
	struct doip_hdr h;
	uint8_t fix[DOIP_HDR_LEN + 40]; /* header and fixed part of the message */
	uint32_t fix_need, fix_have;
	uint8_t *rx_buf; /* caller's */
	size_t rx_cap;
	uint64_t body_len, body_pos; /* variable part (user data) */
	uint64_t skip;		     /* bytes left to discard */
	uint8_t drop_rest;	     /* rest of this diagnostic message unwanted */

	/* output: a byte stream in the caller's buffer */
	uint8_t *tx_buf;
	size_t tx_cap, tx_head, tx_tail;
	/* a diagnostic message streaming out (doip_conn_diag_begin()): its
	 * user data bytes still to put; what is queued meanwhile waits in
	 * later[], since nothing may come between its bytes */
	uint64_t tx_open;
	uint8_t later[DOIP_CONN_LATER];
	size_t later_len;

	/* timers (monotonic ns; 0 off) */
	uint64_t inactivity_deadline, alive_deadline;

	/* statistics */
	uint64_t msgs_in, msgs_out, bytes_in;
	uint64_t nacks_in;		/* header NACKs received by an entity: never answered */
	uint64_t alive_unasked;		/* alive check answers nobody asked for (keep-alives) */
	uint64_t diag_dropped;		/* diagnostic messages cut by doip_conn_diag_drop() */
	uint64_t ignored;		/* accepted types no role handles (none today) */
	uint64_t hdr_nacks[DOIP_HN_N];	/* sent, per code */
	uint64_t diag_nacks[DOIP_DN_N]; /* sent, per code */
	uint64_t closes[DOIP_CL_N];
};

/*
 * Sets up c for a socket accepted (or connected) at now.  rx_buf
 * (borrowed, may be NULL with rx_cap 0) receives diagnostic messages that
 * fit it whole; tx_buf (borrowed, tx_cap >= DOIP_CONN_TX_MIN) holds what
 * the engine sends.  Returns 0, -EINVAL if tx_cap is too small.
 */
int doip_conn_init(struct doip_conn *c, const struct doip_conn_cfg *cfg, uint8_t *rx_buf,
		   size_t rx_cap, uint8_t *tx_buf, size_t tx_cap, uint64_t now);

/*
 * Feeds received bytes buf[0..len) at now.  Consumes them up to the first
 * event and returns how many it consumed; ev says what stopped it
 * (DOIP_EV_NONE: all consumed).  The caller handles ev and calls again
 * with the rest.  Any number of messages per chunk and any split of a
 * message across chunks work.  After DOIP_EV_CLOSED, input is discarded.
 */
size_t doip_conn_input(struct doip_conn *c, const uint8_t *buf, size_t len, uint64_t now,
		       struct doip_ev *ev);

/* Bytes waiting to be sent: returns a pointer to them (borrowed until the
 * next call on c) and their count in *len. */
const uint8_t *doip_conn_output(const struct doip_conn *c, size_t *len);

/* The first n bytes of doip_conn_output() were sent (at now: activity). */
void doip_conn_sent(struct doip_conn *c, size_t n, uint64_t now);

/*
 * Queues a whole message the caller built (e.g. an ECU's answer as
 * 0x8001) behind the engine's output.  Returns 0, -ENOBUFS if it does not
 * fit now (drain, or stream it yourself when the output is empty),
 * -ENOTCONN after close.
 */
int doip_conn_queue(struct doip_conn *c, const uint8_t *msg, size_t len, uint64_t now);

/* Builds and queues a diagnostic message (user data borrowed).  Returns
 * as doip_conn_queue(), and -EINVAL if len is 0. */
int doip_conn_send_diag(struct doip_conn *c, uint16_t sa, uint16_t ta, const uint8_t *data,
			size_t len, uint64_t now);

/*
 * Starts a diagnostic message from sa to ta of len user data bytes that
 * follow with doip_conn_diag_put() as they come (a gateway passing on an
 * answer it does not hold whole): its header is queued now.  Until its
 * last byte is put nothing may come between, so meanwhile: messages
 * queued (doip_conn_queue(), _send_diag(), _diag_ack() ...) wait behind it
 * in DOIP_CONN_LATER bytes (beyond: -ENOBUFS); input stops before the
 * next message (DOIP_EV_TX_FULL, see doip_conn_tx_busy()); no alive
 * check is sent (-EBUSY: the peer reading the stream is alive).  Returns
 * 0, -EBUSY while one is open or messages wait, -ENOBUFS without room for
 * the 12 header bytes, -EINVAL for len 0 or beyond 2^32 - 5, -ENOTCONN.
 */
int doip_conn_diag_begin(struct doip_conn *c, uint16_t sa, uint16_t ta, uint64_t len, uint64_t now);

/* Bytes of the open message doip_conn_diag_put() takes now (output room,
 * at most what is left of it); 0 when none is open. */
size_t doip_conn_diag_room(const struct doip_conn *c);

/* Queues up to n bytes (copied) of the open message; returns how many it
 * took.  After the last one the messages that waited follow. */
size_t doip_conn_diag_put(struct doip_conn *c, const uint8_t *p, size_t n, uint64_t now);

/* A streamed message is open, or messages queued behind it still wait:
 * input waits too (an I/O adapter stops reading until this is 0). */
int doip_conn_tx_busy(const struct doip_conn *c);

/*
 * Entity: answers the pending routing activation with code (DOIP_RA_*).
 * DOIP_RA_OK registers its SA on this socket and ends the initial
 * inactivity timer; codes that refuse close the socket after the answer
 * is sent.  oem: the OEM field to send, or NULL.  Returns 0, -EALREADY if
 * none is pending, -ENOBUFS if the output is full.
 */
int doip_conn_ra_reply(struct doip_conn *c, uint8_t code, const uint32_t *oem, uint64_t now);

/*
 * Entity: acknowledges a diagnostic message to target ta: code 0x00 sends
 * 0x8002, another 0x8003 with that NACK code (0x02 also closes the
 * socket).  prev: bytes of the message to echo (borrowed, may be NULL).
 * Returns 0, -ENOBUFS, -ENOTCONN.
 */
int doip_conn_diag_ack(struct doip_conn *c, uint16_t ta, uint8_t code, const uint8_t *prev,
		       size_t prev_len, uint64_t now);

/* The rest of the diagnostic message now arriving in pieces is not
 * wanted (e.g. after NACKing it on its first piece): it is read and
 * dropped, no more DOIP_EV_DIAG for it.  Nothing if none is arriving. */
void doip_conn_diag_drop(struct doip_conn *c);

/* Entity: sends an alive check request; the answer comes as a
 * DOIP_EV_MSG of type 0x0008, its absence closes the socket
 * (DOIP_CL_ALIVE).  Returns 0 (also when one is already running),
 * -ENOBUFS, -ENOTCONN. */
int doip_conn_alive_check(struct doip_conn *c, uint64_t now);

/* Tester: queues a routing activation request for our SA. */
int doip_conn_ra_request(struct doip_conn *c, uint8_t type, uint64_t now);

/* Checks the timers at now.  Returns the close reason if one closed the
 * socket now, else DOIP_CL_NONE. */
enum doip_close doip_conn_timers(struct doip_conn *c, uint64_t now);

/* When doip_conn_timers() next has work; UINT64_MAX: never. */
uint64_t doip_conn_deadline(const struct doip_conn *c);

/* Header NACK 0x03 for messages longer than mem (default: unlimited). */
void doip_conn_set_mem(struct doip_conn *c, uint64_t mem);

/* Closes c for reason (the caller's own decision); idempotent. */
void doip_conn_close(struct doip_conn *c, enum doip_close reason);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_DOIP_H */
