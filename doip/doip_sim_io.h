/* SPDX-License-Identifier: MIT */
/*
 * doip_sim_io.h - the ECU simulator as a DoIP entity (ISO 13400-2): the
 * thin libev adapter that puts the simulated ECUs of a uds_sim_io_run
 * behind UDP and TCP port 13400, one logical address per ECU.
 *
 * UDP: vehicle identification (plain, by EID, by VIN), entity status and
 * power mode, answered by doip_entity_udp().  TCP: up to DOIP_SIM_MCTS
 * registered sockets (and one more that can only be refused), each a
 * struct doip_conn (doip.h): routing activation for the configured tester
 * range, with the alive check ISO 13400-2 asks for before refusing a
 * tester with 0x01 (no socket free) or 0x03 (its address active on
 * another socket), diagnostic messages ACKed (0x8002)
 * and handed to the ECU of the target address through
 * uds_sim_io_request(); every answer of that ECU (each 0x78 included)
 * goes back as its own 0x8001 to the socket that sent the last request.
 *
 * Messages go through the run's msg callback (uds_sim_io_ops), as the
 * simulator's own do.  Nothing is allocated per message: the buffers of
 * every socket are allocated once in doip_sim_open().
 */
#ifndef CANRIG_DOIP_SIM_IO_H
#define CANRIG_DOIP_SIM_IO_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "doip.h"
#include "doip_srv_io.h"
#include "uds_sim_conf.h"
#include "uds_sim_io.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DOIP_SIM_MCTS	 4		     /* registered TCP_DATA sockets at once */
#define DOIP_SIM_SOCKETS (DOIP_SIM_MCTS + 1) /* + one to refuse with 0x01 */
#define DOIP_SIM_IN_SIZE 4096		     /* read() chunk per socket */

struct doip_sim;

/* One TCP_DATA socket: doip_srv_io.h runs it. */
struct doip_sim_conn {
	struct doip_srv_conn s; /* first: doip_srv_io walks the table by it */
	uint8_t in[DOIP_SIM_IN_SIZE];
};

struct doip_sim {
	struct ev_loop *loop;
	struct uds_sim_io_run *run; /* borrowed: the ECUs */
	const struct ecusim_cfg *cfg;
	struct doip_entity ent;
	struct doip_entity_state st;
	struct doip_target *targets;	    /* one per ECU, same order */
	struct doip_sim_conn *ecu_conn[64]; /* where each ECU's answers go */
	int ufd, lfd;
	ev_io uio, lio;
	struct doip_srv srv; /* runs conns */
	struct doip_sim_conn conns[DOIP_SIM_SOCKETS];
	size_t rx_cap, tx_cap;
	uint64_t refused;	  /* TCP connections beyond DOIP_SIM_SOCKETS */
	uint64_t udp_in, udp_out; /* datagrams */
	uint64_t answers_dropped; /* an ECU answer with no open socket for it */
};

/*
 * Opens UDP and TCP on addr:port (IPv4 dotted address; port 0 is
 * DOIP_PORT) and starts watching them on loop.  run (opened, on any or no
 * CAN interface) and cfg are borrowed until doip_sim_close(); cfg->necus
 * must be at most 64.  Returns 0, -EINVAL (a bad address, too many
 * ECUs), -ENOMEM, or the socket call's -errno (-EADDRINUSE, ...); a
 * failure is said through the run's msg callback.
 */
int doip_sim_open(struct doip_sim *d, struct ev_loop *loop, struct uds_sim_io_run *run,
		  const struct ecusim_cfg *cfg, const char *addr, uint16_t port);

/* Closes every socket and frees the buffers; safe to call twice and after
 * a failed doip_sim_open(). */
void doip_sim_close(struct doip_sim *d);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_DOIP_SIM_IO_H */
