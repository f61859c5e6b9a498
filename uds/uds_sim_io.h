/* SPDX-License-Identifier: MIT */
/*
 * uds_sim_io.h - the thin adapter that runs simulated ECUs (uds_sim.h,
 * configured by uds_sim_conf.h) on one SocketCAN interface in a libev
 * loop: per ECU a physical and a functional ISO-TP channel (isotp_io.h),
 * a timer for uds_sim_deadline(), external key commands through the
 * caller and the download file.
 *
 * The caller owns the loop and runs it; this adapter prints nothing and
 * never exits: what the user should hear goes to the caller's msg
 * callback.  A socket error stops the simulation: it is said through
 * msg, kept in s->err, and ev_break(EVBREAK_ALL) ends the caller's
 * ev_run().
 *
 * (struct uds_sim_io, without _run, is the engine's IO-control DID.)
 */
#ifndef CANRIG_UDS_SIM_IO_H
#define CANRIG_UDS_SIM_IO_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "cio_ev.h"
#include "isotp_io.h"
#include "uds_sim.h"
#include "uds_sim_conf.h"

#ifdef __cplusplus
extern "C" {
#endif

enum uds_sim_io_msg {
	UDS_SIM_IO_ERR,	    /* a failure, always worth saying */
	UDS_SIM_IO_VERBOSE, /* what goes on: requests, answers, downloads */
};

struct uds_sim_io_ops {
	/*
	 * One line for the user (no newline), printf-style: fmt and ap are
	 * valid during the call.  VERBOSE lines are made only when verbose
	 * is set.  NULL: nothing is said.
	 */
	void (*msg)(void *ctx, enum uds_sim_io_msg kind, const char *fmt, va_list ap);
	/*
	 * The key for an external security level of ecu: the command
	 * template tmpl (ecu->key_cmd[level >> 1]) run on seed[0 .. n),
	 * key[0 .. *keylen) written, at most cap bytes.  Returns 0 or
	 * -errno; saying why is the caller's.  The loop stands still
	 * meanwhile; the ECU has already said "response pending".  NULL:
	 * external levels are refused (-ENOSYS).
	 */
	int (*key)(void *ctx, const struct ecusim_ecu *ecu, const char *tmpl, uint8_t level,
		   const uint8_t *seed, size_t n, uint8_t *key, size_t cap, size_t *keylen);
	void *ctx;
	int verbose;
};

struct uds_sim_io_run;
struct uds_sim_io_ecu;

/*
 * Takes an answer of ECU e to a request given with uds_sim_io_request()
 * (p[0 .. n) borrowed for the call).  Returns 0, or -errno: the answer is
 * dropped (counted in e->ext_drops, said under verbose).
 */
typedef int (*uds_sim_io_sink_fn)(void *ctx, struct uds_sim_io_ecu *e, const uint8_t *p, size_t n);

/* One simulated ECU; the adapter's, read-only for the caller. */
struct uds_sim_io_ecu {
	struct ecusim_ecu *cfg;
	struct uds_sim_io_run *s;
	struct uds_sim sim;
	struct isotp_io phys, func;
	int phys_open, func_open;
	uint8_t *rx_phys, *rx_func, *tx;
	size_t tx_cap;
	int tx_active; /* an answer is on its way (borrowed by phys) */
	struct cio_ev_pump pump;
	int dl_fd;	    /* the download file, or -1 */
	int ext;	    /* the last request came through uds_sim_io_request():
			     * answers go to the sink, not to CAN */
	uint64_t ext_drops; /* answers the sink refused */
};

struct uds_sim_io_run {
	struct ev_loop *loop;
	struct uds_sim_io_ecu *ecus;
	size_t n; /* ECUs set up so far */
	struct uds_sim_io_ops ops;
	uint64_t t0;		 /* uds_sim_io_open() time; verbose lines count from it */
	int err;		 /* the socket error that stopped it, or 0 */
	uds_sim_io_sink_fn sink; /* answers to uds_sim_io_request() */
	void *sink_ctx;
};

/*
 * Sets up every ECU of cfg on ifname (NULL: on no CAN interface, for
 * requests through uds_sim_io_request() only) and starts watching its sockets on
 * loop (ops copied).  cfg is borrowed, and written to (each ECU's
 * sim.key_fn, sink_fn, cb_ctx), until uds_sim_io_close().  Returns 0, or
 * after saying why through msg (except for the ECU table itself):
 * -ENOMEM, -EINVAL (uds_sim_init() refused an ECU), or a cio_open()
 * error (-ENODEV, -ENETDOWN, -EAFNOSUPPORT, -EMSGSIZE, ...).  On error
 * everything is closed again (uds_sim_io_close() is still allowed).
 */
int uds_sim_io_open(struct uds_sim_io_run *s, struct ev_loop *loop, const char *ifname,
		    struct ecusim_cfg *cfg, const struct uds_sim_io_ops *ops);

/* Where answers to uds_sim_io_request() go (fn and ctx borrowed until
 * uds_sim_io_close()). */
void uds_sim_io_set_sink(struct uds_sim_io_run *s, uds_sim_io_sink_fn fn, void *ctx);

/*
 * A request to ECU e from outside CAN (a DoIP tester), req[0 .. len)
 * borrowed for the call: handled as one received on e's physical (or
 * functional) channel, and from now on e's answers go to the sink until
 * a request comes on CAN again (answers go where the last request came
 * from).  Returns as uds_sim_request().
 */
int uds_sim_io_request(struct uds_sim_io_ecu *e, const uint8_t *req, size_t len, int functional);

/* Stops the watchers, closes the sockets and the download files, frees
 * the ECUs; safe to call twice. */
void uds_sim_io_close(struct uds_sim_io_run *s);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_UDS_SIM_IO_H */
