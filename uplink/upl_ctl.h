/* SPDX-License-Identifier: MIT */
/*
 * upl_ctl.h - canrig uplink's control socket: a unix stream socket served
 * on the uplink's libev loop, one command line in, the answer out, then
 * the connection closes (canrigd's model, gateway/gwd_ctl.c).
 *
 * Nothing here waits for a client: sockets are non-blocking, a client
 * that is slow to ask or to read its answer holds only its connection,
 * for timeout seconds at most, and at max_conns connections (or without
 * a free fd) the listener pauses until one closes (or a second passed).
 * Rights: the socket file is 0660 (owner and group: the process's), and
 * the peer's credentials (SO_PEERCRED, SO_PEERGROUPS) must be root, the
 * process's own user, or a member of its group; a refusal is logged with
 * the caller's uid and pid.  Every command only reads.
 */
#ifndef CANRIG_UPL_CTL_H
#define CANRIG_UPL_CTL_H

#include <stddef.h>
#include <stdio.h>

#include <ev.h>

#include "upl_spool.h"

#define UPL_CTL_LINE 128 /* longest command line, with its newline */

/* Writes the answer to line (no newline) into f.  f is a memory stream:
 * the answer is sent after the call, whatever its size. */
typedef void (*upl_ctl_fn)(void *ctx, const char *line, FILE *f);

struct upl_ctl_opts {
	const char *path; /* the socket; borrowed for the call */
	upl_ctl_fn answer;
	void *ctx;
	upl_log_fn log; /* refusals, accept() trouble; may be NULL */
	void *log_ctx;
	double timeout;		/* s per connection (0: 5) */
	unsigned int max_conns; /* at once (0: 8) */
};

struct upl_ctl;

/*
 * Makes the socket at o->path (a socket left there by a process that died
 * is replaced; one a process listens on is -EADDRINUSE; any other file is
 * -EEXIST) and serves it on loop.  Returns 0 with *out, or -errno with a
 * one-line reason in err (-ENAMETOOLONG: the path does not fit a unix
 * socket address).
 */
int upl_ctl_open(struct ev_loop *loop, const struct upl_ctl_opts *o, struct upl_ctl **out,
		 char *err, size_t cap);

/* Closes every connection and the socket, removes its file, frees c;
 * NULL is a no-op. */
void upl_ctl_close(struct upl_ctl *c);

/* Connections open now (tests). */
unsigned int upl_ctl_conns(const struct upl_ctl *c);

#endif
