/* SPDX-License-Identifier: MIT */
/*
 * ucli.h - what `canrig diag` and `canrig obd` share: addressing options,
 * a blocking request/answer call on top of the event-driven UDS client,
 * and hex helpers.
 */
#ifndef CANRIG_UCLI_H
#define CANRIG_UCLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "doip_io.h"
#include "uds_io.h"

#define UCLI_MAX_RSP UDS_IO_MAX_PEERS /* functional answers kept per request */

/* One ECU's answer to a request, copied out of the ISO-TP buffer. */
struct ucli_rsp {
	uint32_t src;
	int result;    /* 0, NRC or -errno (uds_client.h) */
	uint8_t *data; /* malloc'd, len bytes */
	size_t len;
};

struct ucli {
	const char *cmd; /* "diag" or "obd", for messages */
	const char *ifname;
	/* addressing as given; ucli_check() turns it into cfg */
	int64_t ecu, tx, rx, func;  /* -1: not given */
	int ta, sa;		    /* --29bit TA (-1: not given), --sa */
	const char *sa_arg;	    /* --sa as given (checked in ucli_check()) */
	const char *doip;	    /* --doip HOST[:PORT], or NULL: CAN */
	struct sockaddr_in doip_to; /* ucli_check(): the entity */
	int pad;		    /* -1: default */
	uint8_t pad_byte, tx_dl;
	struct uds_io_cfg cfg;
	struct uds_client_cfg ccfg;
	int json;
	int verbose;
	/* runtime */
	struct ev_loop *loop;
	struct uds_io u;       /* over CAN */
	struct doip_io di;     /* over DoIP */
	struct uds_client *cl; /* the one running: u.cl or di.cl */
	int open, done;
	unsigned int pending; /* 0x78 seen for the current request */
	struct ucli_rsp rsp[UCLI_MAX_RSP];
	unsigned int nrsp, dropped;
};

/* Sets defaults: ECU 7E0/7E8, padding 0xCC, client defaults. */
void ucli_init(struct ucli *c, const char *cmd);

/*
 * Tries to take the addressing / transport option opt (a getopt_long
 * value from UCLI_LONGOPTS, or 'i', 'e', 'p') with its argument.  Returns
 * 1 if it was one (0 not ours, -1 bad value: message printed).
 */
int ucli_opt(struct ucli *c, int opt, const char *arg);

/* Checks the options after parsing; returns 0 or -1 (message printed). */
int ucli_check(struct ucli *c);

/* Long options for getopt_long; values >= 0x100. */
#define UCLI_OPT_TX	 0x100
#define UCLI_OPT_RX	 0x101
#define UCLI_OPT_29	 0x102
#define UCLI_OPT_SA	 0x103
#define UCLI_OPT_NOPAD	 0x104
#define UCLI_OPT_FD	 0x105
#define UCLI_OPT_P2	 0x106
#define UCLI_OPT_P2STAR	 0x107
#define UCLI_OPT_TIMEOUT 0x108
#define UCLI_OPT_NOTP	 0x109
#define UCLI_OPT_FUNC	 0x10A
#define UCLI_OPT_JSON	 0x10B
/* not in UCLI_LONGOPTS: a command offering DoIP lists it itself */
#define UCLI_OPT_DOIP 0x10C
#define UCLI_LONGOPTS                                                                              \
	{"interface", required_argument, NULL, 'i'}, {"ecu", required_argument, NULL, 'e'},        \
		{"tx", required_argument, NULL, UCLI_OPT_TX},                                      \
		{"rx", required_argument, NULL, UCLI_OPT_RX},                                      \
		{"29bit", required_argument, NULL, UCLI_OPT_29},                                   \
		{"sa", required_argument, NULL, UCLI_OPT_SA},                                      \
		{"pad", required_argument, NULL, 'p'},                                             \
		{"no-pad", no_argument, NULL, UCLI_OPT_NOPAD},                                     \
		{"fd", optional_argument, NULL, UCLI_OPT_FD},                                      \
		{"p2", required_argument, NULL, UCLI_OPT_P2},                                      \
		{"p2star", required_argument, NULL, UCLI_OPT_P2STAR},                              \
		{"timeout", required_argument, NULL, UCLI_OPT_TIMEOUT},                            \
		{"no-tester-present", no_argument, NULL, UCLI_OPT_NOTP},                           \
		{"functional-id", required_argument, NULL, UCLI_OPT_FUNC},                         \
	{                                                                                          \
		"json", no_argument, NULL, UCLI_OPT_JSON                                           \
	}

/* The help text for the options above. */
extern const char ucli_opts_help[];

/* The help lines of --doip, for a command that lists it. */
extern const char ucli_doip_help[];

/*
 * Opens the socket (over DoIP: connects and activates routing; the setup
 * runs the loop).  Returns 0 or an exit code (message printed).
 */
int ucli_open(struct ucli *c);
void ucli_close(struct ucli *c);

/* ucli_xfer() flag: runs even after a signal, and waits for the answer
 * through the first signal (P2, P2* and the cap still bound it); only a second
 * signal ends the wait.  For a block that is half on the wire, and for
 * the request that ends a transfer properly (0x37). */
#define UCLI_XFER_NOINTR 0x100

/*
 * Sends req and waits for the answer(s): c->rsp[0 .. c->nrsp).  flags:
 * UDS_REQ_FUNCTIONAL, UCLI_XFER_NOINTR.  Returns the client's result: 0,
 * an NRC (physical), or -errno.  For a functional request 0 means at
 * least one ECU answered; each answer has its own result.  Signals
 * (SIGINT, SIGTERM) end the wait with -EINTR, and once one came every
 * later call returns -EINTR at once (but see UCLI_XFER_NOINTR).
 */
int ucli_xfer(struct ucli *c, const uint8_t *req, size_t len, unsigned int flags);

/* Runs the loop for ms milliseconds (TesterPresent goes on meanwhile).
 * Returns 0, or -EINTR on a signal. */
int ucli_sleep(struct ucli *c, uint32_t ms);

/* The signal (SIGINT, SIGTERM) that asked us to stop, or 0. */
int ucli_signal(void);

/* Sorts n answers by answering id, keeping the order of equal ids
 * (ucli_xfer() does it for functional requests). */
void ucli_rsp_sort(struct ucli_rsp *r, unsigned int n);

/* Frees the answers of the last ucli_xfer(). */
void ucli_rsp_clear(struct ucli *c);

/* The physical answer of the last successful ucli_xfer(), or NULL. */
const struct ucli_rsp *ucli_answer(const struct ucli *c);

/*
 * Prints the one-line error for result (NRC name and code, timeout with
 * the timer's value and the option that raises it, transport error) to
 * stderr, prefixed with what, and returns the exit code: 3 for a negative
 * response, 128 + the signal for -EINTR after a signal, 1 otherwise.
 */
int ucli_fail(const struct ucli *c, const char *what, int result);

/* Parses hex bytes ("0102AB", "01 02 ab", "01:02") into buf; returns the
 * count or -1. */
long ucli_hex(const char *s, uint8_t *buf, size_t cap);

/* Parses a hex number of at most max (with or without 0x); returns 0/-1. */
int ucli_hexnum(const char *s, uint32_t max, uint32_t *v);

/* Writes n bytes as uppercase hex, sep between bytes (0: none). */
void ucli_print_hex(FILE *f, const uint8_t *p, size_t n, char sep);

/* Writes s (n bytes) as a JSON string literal. */
void ucli_json_str(FILE *f, const char *s, size_t n);

/* Exit code for a negative response. */
#define EXIT_NRC 3

#endif /* CANRIG_UCLI_H */
