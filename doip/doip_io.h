/* SPDX-License-Identifier: MIT */
/*
 * doip_io.h - the thin adapter that runs a UDS client (uds_client.h) over
 * one DoIP TCP_DATA connection (doip.h, tester role) in a libev loop: the
 * role uds_io.h plays over ISO-TP.
 *
 * doip_io_open() connects without blocking and sends the routing
 * activation request when the connection stands; the caller runs its loop
 * until the callback reports DOIP_IO_EV_SETUP (u->state is then
 * DOIP_IO_ACTIVE or DOIP_IO_FAILED, with u->err and u->ra_code).  Each
 * request goes out as one 0x8001 from cfg.sa to cfg.ta; the entity's
 * 0x8002 confirms it (P2 runs from there, as ISO 14229-2 has it over
 * DoIP: a gateway may take a long request off the socket well before the
 * ECU has it all), its 0x8003 ends the request with -ECOMM (u->nack has
 * the code), its 0x8001 answers are the client's input (0x78 included, so
 * P2 / P2* are the client's as over ISO-TP), and alive checks are answered
 * by the engine.  Nothing is allocated per message: the buffers are
 * allocated once in doip_io_open().
 *
 * Also here: vehicle identification over UDP (doip_io_discover()).
 */
#ifndef CANRIG_DOIP_IO_H
#define CANRIG_DOIP_IO_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "cio_ev.h"
#include "doip.h"
#include "uds_client.h"

#ifdef __cplusplus
extern "C" {
#endif

struct doip_io_cfg {
	uint16_t sa;	   /* our (the tester's) logical address; default 0x0E80 */
	uint16_t ta;	   /* the ECU's logical address */
	uint8_t act_type;  /* routing activation type; default 0x00 */
	uint32_t setup_ms; /* connect and routing activation at most; 2000 */
	size_t rx_cap;	   /* longest answer; default 65536 */
	size_t tx_cap;	   /* longest request; default 1 MiB + 64 */
};

/* Fills c with the defaults above, for ECU ta. */
void doip_io_cfg_init(struct doip_io_cfg *c, uint16_t ta);

enum doip_io_state {
	DOIP_IO_CONNECTING,
	DOIP_IO_ACTIVATING,
	DOIP_IO_ACTIVE,
	DOIP_IO_FAILED,
};

/* Callback event besides UDS_EV_*: the setup ended (active or failed). */
#define DOIP_IO_EV_SETUP 0x100

struct doip_io;

/* Called with UDS_EV_* (read u->cl) and DOIP_IO_EV_SETUP.  Must not call
 * doip_io_close(); may start the next request. */
typedef void (*doip_io_cb)(struct doip_io *u, unsigned int events, void *ctx);

#define DOIP_IO_IN_SIZE 4096

struct doip_io {
	struct doip_io_cfg cfg;
	struct ev_loop *loop;
	int fd;
	ev_io rio, wio;
	ev_timer setup_tm;
	struct doip_conn c;
	uint8_t *rx, *tx; /* allocated once */
	uint8_t in[DOIP_IO_IN_SIZE];
	struct uds_client cl;
	struct cio_ev_pump pump; /* the client's output and timer */
	int tx_kind;		 /* UDS_TX_* written, not yet all on the socket */
	int await_ack;		 /* our request is on the socket, its 0x8002 not in */
	enum doip_io_state state;
	enum doip_io_state failed_in; /* the state the setup ended in */
	int err;		      /* setup: -ECONNREFUSED, -ETIMEDOUT, -EACCES (refused
				       * activation: ra_code), ...; later: the socket's or
				       * -ECONNRESET when the entity closed it */
	uint8_t ra_code;	      /* the routing activation response code (0xFF: none) */
	uint16_t ent_la;	      /* the entity's logical address (0x0006) */
	int nack;		      /* the last 0x8003 code, or -1 */
	uint64_t rx_arriving;	      /* c.msgs_in of the answer P2 was suspended for */
	uint64_t acks, nacks, stalls;
	doip_io_cb cb;
	void *ctx;
};

/*
 * Starts connecting to the entity at to (copied) and sets up the client
 * (ccfg copied).  Returns 0 (the setup goes on in the loop), -ENOMEM, or
 * socket()'s -errno.  Either way doip_io_close() may be called.
 */
int doip_io_open(struct doip_io *u, struct ev_loop *loop, const struct sockaddr_in *to,
		 const struct doip_io_cfg *cfg, const struct uds_client_cfg *ccfg, doip_io_cb cb,
		 void *ctx);

/* ta is a functional logical address (ISO 13400-2: 0xE000..0xEFFF): every
 * ECU behind it answers from its own address. */
int doip_io_functional(uint16_t ta);

/*
 * Starts a request (req borrowed until UDS_EV_DONE).  Returns 0, -EBUSY,
 * -EINVAL (UDS_REQ_FUNCTIONAL to a physical cfg.ta, or a physical request
 * to a functional one: only functional requests collect every answer), -EMSGSIZE (longer
 * than cfg.tx_cap allows), -ENOTCONN before activation, or u->err.
 */
int doip_io_request(struct doip_io *u, const uint8_t *req, size_t len, unsigned int flags);

/* Closes the socket, stops the watchers and frees the buffers; safe to
 * call twice. */
void doip_io_close(struct doip_io *u);

/* Static English name of a routing activation response code, and of a
 * diagnostic NACK code ("unknown target address"). */
const char *doip_io_ra_name(uint8_t code);
const char *doip_io_nack_name(uint8_t code);

/* One vehicle identification response heard by doip_io_discover(). */
struct doip_io_vid {
	struct sockaddr_in from;
	struct doip_msg m; /* the parsed 0x0004: m.u.vid (its own struct: C++
			    * scopes struct doip_vid inside doip_msg) */
};

/*
 * Sends a vehicle identification request (0x0001) to to (broadcast
 * allowed) and collects the answers for wait_ms into out[0 .. cap),
 * one per entity address and logical address.  Blocks (a poll() loop:
 * a CLI's one-shot).  Returns the number of answers (0..cap) or -errno
 * of the socket calls.
 */
int doip_io_discover(const struct sockaddr_in *to, uint32_t wait_ms, struct doip_io_vid *out,
		     size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_DOIP_IO_H */
