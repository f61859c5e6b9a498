/* SPDX-License-Identifier: MIT */
/*
 * uds_io.h - the thin adapter that runs a UDS client (uds_client.h) over
 * ISO-TP channels (isotp_io.h) on one SocketCAN socket in a libev loop.
 *
 * Physical requests go to one ECU.  Functional requests go to the
 * functional id as single frames; every ECU that answers on an id inside
 * the discovery range gets its own ISO-TP channel (so its multi-frame
 * answer gets flow control on its own request id), created when its first
 * frame arrives and kept for later requests.
 */
#ifndef CANRIG_UDS_IO_H
#define CANRIG_UDS_IO_H

#include <ev.h>

#include "isotp_io.h"
#include "uds_client.h"

#ifdef __cplusplus
extern "C" {
#endif

#define UDS_IO_MAX_PEERS 16

struct uds_io_cfg {
	struct isotp_cfg tp; /* the physical channel: tx_id request id,
			      * rx_id answer id; padding, FD, timers */
	uint8_t functional;  /* functional requests wanted */
	uint32_t func_id;    /* functional request id (0x7DF, 0x18DB33F1) */
	uint8_t func_eff;
	uint32_t resp_id;   /* answers to functional requests come from */
	uint32_t resp_mask; /* ids matching resp_id under this mask */
	size_t rx_cap;	    /* largest answer; default 65536 */
};

/*
 * Fills c for 11-bit normal addressing: requests on tx, answers on rx,
 * functional 0x7DF with answers from 0x7E8-0x7EF (request id = answer id
 * - 8, the OBD-II convention).
 */
void uds_io_cfg_11bit(struct uds_io_cfg *c, uint32_t tx, uint32_t rx);

/*
 * Fills c for normal fixed 29-bit addressing: ECU ta, tester sa,
 * functional 0x18DB33<sa>, answers 0x18DA<sa><any>.
 */
void uds_io_cfg_29bit(struct uds_io_cfg *c, uint8_t ta, uint8_t sa);

/* Request id of the ECU answering on resp (11-bit: resp - 8; 29-bit:
 * target and source bytes swapped). */
uint32_t uds_io_request_id(const struct uds_io_cfg *c, uint32_t resp);

struct uds_io;

/* Called with the client's events (UDS_EV_*): read u->cl (rsp*, result).
 * Must not call uds_io_close(); may start the next request. */
typedef void (*uds_io_cb)(struct uds_io *u, unsigned int events, void *ctx);

struct uds_io_peer {
	struct isotp tp;
	struct uds_io *u;
	uint8_t *buf;
	int tx_kind; /* UDS_TX_* on its way on this channel, or 0 */
};

struct uds_io {
	struct uds_io_cfg cfg;
	struct ev_loop *loop;
	struct isotp_io io;	 /* channel 0: the physical one */
	struct uds_io_peer phys; /* io.tp's context (its tp is unused) */
	struct uds_io_peer func; /* send-only functional channel */
	struct uds_io_peer peer[UDS_IO_MAX_PEERS];
	unsigned int npeers;
	struct uds_client cl;
	struct cio_ev_pump pump; /* the client's output and timer */
	uint64_t stalls;	 /* the timer fired ISOTP_IO_STALL_NS late */
	uds_io_cb cb;
	void *ctx;
	int err; /* the socket failed */
};

/*
 * Opens the socket on ifname and sets up the channels and the client (ccfg
 * copied).  Allocates the answer buffers once, here.  Returns 0, -ENOMEM
 * or a cio_open() error.
 */
int uds_io_open(struct uds_io *u, struct ev_loop *loop, const char *ifname,
		const struct uds_io_cfg *cfg, const struct uds_client_cfg *ccfg, uds_io_cb cb,
		void *ctx);

/*
 * Starts a request (req borrowed until UDS_EV_DONE).  Functional requests
 * must fit one single frame.  Returns 0, -EBUSY, -EMSGSIZE, -EINVAL
 * (functional without a functional id) or the socket's error.
 */
int uds_io_request(struct uds_io *u, const uint8_t *req, size_t len, unsigned int flags);

/* Stops everything and frees the buffers; safe to call twice. */
void uds_io_close(struct uds_io *u);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_UDS_IO_H */
