/* SPDX-License-Identifier: MIT */
/*
 * uds_client.h - the UDS (ISO 14229-2) client's timing and matching as an
 * I/O-free state machine.
 *
 * It knows nothing of ISO-TP or sockets: the caller hands it whole
 * messages and transport events, with the monotonic time in ns, and asks
 * it what to send (uds_client_output()) and when to call back
 * (uds_client_deadline()).  It does:
 *   - P2 after the request went out, P2* after each NRC 0x78, and an
 *     overall cap so that an ECU answering 0x78 forever cannot hang us;
 *   - P2 / P2* adopted from DiagnosticSessionControl answers (plus a
 *     margin for the network), never below the configured P2 / P2*: an
 *     ECU's 50 ms is its own processing time, not what a tester on a
 *     loaded host and a busy bus can promise to wait;
 *   - a late answer to a request that timed out or was cancelled is
 *     dropped, not taken for the answer to the next request;
 *   - the suppress-positive-response bit: no answer within P2 is success;
 *   - functional requests: every ECU that answers within P2 (or keeps
 *     answering 0x78, or is sending a multi-frame answer) is reported
 *     separately, and the request ends when all have settled;
 *   - TesterPresent (3E 80) every tp_ms while a non-default session is
 *     active or a request is waiting.
 *
 * Results never overlap: 0 positive, 0x10..0xFF an NRC, and negative
 * errno values for local errors:
 *   -ETIMEDOUT  no answer in time (c->timeout names P2, P2* or the cap)
 *   -ECOMM      the transport failed (c->transport_err has its error)
 *   -EPROTO     wrong SID echo, -EILSEQ wrong sub-function echo,
 *   -EBADMSG    too short (see uds_check_response())
 */
#ifndef CANRIG_UDS_CLIENT_H
#define CANRIG_UDS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UDS_CLIENT_MAX_PEERS 32

struct uds_client_cfg {
	uint32_t p2_ms;	       /* first answer due; default 1000; with
				* adopt_timing also the floor */
	uint32_t p2star_ms;    /* next answer due after 0x78; default 5000;
				* with adopt_timing also the floor */
	uint32_t margin_ms;    /* added to the ECU's P2/P2*; default 200 */
	uint8_t adopt_timing;  /* UDS_ADOPT_*: raise P2 / P2* to a 0x50
				* answer's values + margin; default both */
	uint32_t cap_ms;       /* whole request at most; default 60000 */
	uint32_t tp_ms;	       /* TesterPresent period, 0: off; default 2000 */
	uint8_t tp_functional; /* send TesterPresent functionally; default 1 */
};

#define UDS_ADOPT_P2	 0x01
#define UDS_ADOPT_P2STAR 0x02

/* Fills c with the defaults above. */
void uds_client_cfg_init(struct uds_client_cfg *c);

/* Request flags. */
#define UDS_REQ_FUNCTIONAL 0x01 /* to every ECU; collect all answers */

/* Events returned by the calls below. */
#define UDS_EV_RESPONSE 0x01 /* an ECU's final answer: c->rsp* fields */
#define UDS_EV_PENDING	0x02 /* an ECU answered 0x78 */
#define UDS_EV_DONE	0x04 /* the request ended: c->result */

/* What uds_client_output() hands out. */
#define UDS_TX_REQUEST 1
#define UDS_TX_TESTER  2

struct uds_tx {
	const uint8_t *data; /* borrowed until uds_client_sent()/_tx_error() */
	size_t len;
	int functional; /* send to the functional address */
	int kind;	/* UDS_TX_* */
};

enum uds_client_state { UDS_IDLE, UDS_SEND, UDS_WAIT };

struct uds_peer {
	uint32_t src;	   /* answering CAN id */
	uint64_t deadline; /* P2/P2* for it, UINT64_MAX: receiving */
	uint8_t done;
	uint8_t pending; /* 0x78 seen */
};

struct uds_client {
	struct uds_client_cfg cfg;
	uint64_t p2_ns, p2star_ns; /* in force (adopted or configured) */
	enum uds_client_state state;
	const uint8_t *req; /* borrowed until UDS_EV_DONE */
	size_t req_len;
	unsigned int flags;
	int handed;   /* request handed out, not yet sent */
	int suppress; /* suppress bit set in req */
	uint64_t sent_at, window_end, cap_end;
	int window_open; /* functional: window_end still ahead */
	uint64_t tp_due;
	uint8_t tp_msg[2];
	int nondefault;			   /* a non-default session is active */
	uint32_t ecu_p2_ms, ecu_p2star_ms; /* as the ECU announced them */
	int ecu_timing;			   /* ecu_p2*_ms are valid */
	uint8_t stale_sid;		   /* the SID of a request that ended with
					    * no answer (0: none); its late answer
					    * is dropped */
	uint64_t stale_drops;		   /* late answers dropped */
	struct uds_peer peer[UDS_CLIENT_MAX_PEERS];
	unsigned int npeers;
	struct uds_peer phys; /* the one peer of a physical request */

	/* valid with UDS_EV_RESPONSE, during the call only */
	const uint8_t *rsp;
	size_t rsp_len;
	uint32_t rsp_src;
	int rsp_result; /* 0, NRC or -errno for this answer */

	/* valid with UDS_EV_DONE */
	int result;	       /* physical: the answer's; functional: 0
				* if any ECU answered, else -ETIMEDOUT */
	unsigned int answers;  /* final answers received */
	const char *timeout;   /* "P2", "P2*" or "cap" */
	uint32_t timeout_ms;   /* the value of that timer */
	int transport_err;     /* with -ECOMM: the ISO-TP error */
	unsigned int npending; /* 0x78 seen during the request */
};

/* Sets c up with cfg (copied); idle, default session. */
void uds_client_init(struct uds_client *c, const struct uds_client_cfg *cfg);

/*
 * Starts a request; req (len >= 1) is borrowed until UDS_EV_DONE.  Returns
 * 0, -EBUSY if a request is under way, -EINVAL if len is 0.
 */
int uds_client_request(struct uds_client *c, const uint8_t *req, size_t len, unsigned int flags,
		       uint64_t now);

/* Ends the request under way without an event. */
void uds_client_cancel(struct uds_client *c);

/*
 * Returns 1 and fills tx if a message must go out now (the request, or a
 * TesterPresent), else 0.  Confirm it with uds_client_sent() or
 * uds_client_tx_error() (a TesterPresent may be dropped silently).
 */
int uds_client_output(struct uds_client *c, uint64_t now, struct uds_tx *tx);

/* The message of kind (UDS_TX_*) left at time now: P2 starts. */
unsigned int uds_client_sent(struct uds_client *c, int kind, uint64_t now);

/* The transport could not send it (err < 0): the request ends -ECOMM. */
unsigned int uds_client_tx_error(struct uds_client *c, int kind, int err, uint64_t now);

/*
 * src started a multi-frame answer (ISO-TP first frame): P2 is suspended
 * for it, the transport's own timers (N_Cr) take over.
 */
unsigned int uds_client_rx_start(struct uds_client *c, uint32_t src, uint64_t now);

/* A whole answer rsp[0..len) from src (borrowed for the call). */
unsigned int uds_client_input(struct uds_client *c, uint32_t src, const uint8_t *rsp, size_t len,
			      uint64_t now);

/* src's answer broke off in the transport (err < 0). */
unsigned int uds_client_rx_error(struct uds_client *c, uint32_t src, int err, uint64_t now);

/* Checks the timers; returns events. */
unsigned int uds_client_timers(struct uds_client *c, uint64_t now);

/*
 * The caller could not run for ns (its timer fired that late): P2, P2* and
 * the functional window are pushed back by ns, so that a stall of the
 * tester's host is not charged to the ECU (the cap is not: it bounds the
 * user's wait).
 */
void uds_client_stalled(struct uds_client *c, uint64_t ns);

/* Returns when uds_client_timers() or _output() next has work, or
 * UINT64_MAX. */
uint64_t uds_client_deadline(const struct uds_client *c);

/* The session is known to be non-default (1) or default (0), e.g. after
 * the caller's own DiagnosticSessionControl; answers update it too. */
void uds_client_set_session(struct uds_client *c, int nondefault, uint64_t now);

/* Static English text for a result (NRC name, errno text). */
const char *uds_client_strerror(int result);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_UDS_CLIENT_H */
