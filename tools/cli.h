/* SPDX-License-Identifier: MIT */
/* cli.h - shared pieces of the canrig command line front end. */
#ifndef CANRIG_CLI_H
#define CANRIG_CLI_H

#include <stdint.h>

/* Exit codes shared by every command. */
#define EXIT_OK 0
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* Each returns an exit code.  argv[0] is the command name. */
int cmd_dump(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_dbc(int argc, char **argv);
int cmd_isotp(int argc, char **argv);
int cmd_diag(int argc, char **argv);
int cmd_obd(int argc, char **argv);
int cmd_gw(int argc, char **argv);
int cmd_ecusim(int argc, char **argv);

/* Prints "canrig CMD: message" and a newline to stderr. */
void cli_err(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Returns CLOCK_MONOTONIC / CLOCK_REALTIME now in ns. */
uint64_t cli_mono_ns(void);
uint64_t cli_real_ns(void);

/* Parse a non-negative decimal number; returns 0 or -1. */
int cli_parse_u64(const char *s, uint64_t *v);

/* Parse a positive floating point number; returns 0 or -1. */
int cli_parse_pos_double(const char *s, double *v);

#endif /* CANRIG_CLI_H */
