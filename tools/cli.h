/* SPDX-License-Identifier: MIT */
/* cli.h - shared pieces of the canrig command line front end. */
#ifndef CANRIG_CLI_H
#define CANRIG_CLI_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Exit codes shared by every command. */
#define EXIT_OK	     0
#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

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
int cmd_monitor(int argc, char **argv);
int cmd_uplink(int argc, char **argv);

/* Prints "canrig CMD: message" and a newline to stderr. */
void cli_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct option;

/* getopt_long(), remembering optstring and lo for cli_opt_error(). */
int cli_getopt(int argc, char **argv, const char *optstring, const struct option *lo);

/*
 * For a cli_getopt() loop's error branch (main() sets opterr = 0, so
 * getopt prints nothing): prints "canrig CMD: unknown option --frob",
 * "... option -n needs an argument", "... option --x takes no argument"
 * or "... option --p is ambiguous", then "Try 'canrig CMD --help'.".
 * opt is what getopt returned: '?', or an option the command does not
 * handle.  argv may be NULL (the word is then not named).  Reads optopt
 * and optind.  Returns EXIT_USAGE.
 */
int cli_opt_error(const char *cmd, int opt, char **argv);

/* As cli_opt_error() for word, an option where a command was expected
 * (cmd "" for canrig itself).  Returns EXIT_USAGE. */
int cli_bad_option(const char *cmd, const char *word);

/* Prints "canrig CMD: message" and the hint "Try 'canrig CMD --help'.";
 * returns EXIT_USAGE. */
int cli_usage_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Returns CLOCK_MONOTONIC / CLOCK_REALTIME now in ns. */
uint64_t cli_mono_ns(void);
uint64_t cli_real_ns(void);

/* Parse a non-negative decimal number; returns 0 or -1. */
int cli_parse_u64(const char *s, uint64_t *v);

/* Parse a positive floating point number; returns 0 or -1. */
int cli_parse_pos_double(const char *s, double *v);

/*
 * Exit status of a command stopped cleanly by signal sig (SIGINT, SIGTERM):
 * 128 + sig, what a shell reports for a command the signal killed and what
 * candump exits with, so scripts see an interruption either way.
 */
#define EXIT_SIGNAL(sig) (128 + (sig))

struct cio_sock;

/*
 * Opens one IF[,FILTER]... argument as canrig dump takes it (candump's
 * filters, cio_filter_add()) into s, with receive buffer rcvbuf (0: the
 * kernel's) and err_mask for error frames when the filters name none.
 * Says what is wrong as "canrig CMD: ..." and returns 0, 1 for bad syntax
 * (a name, a filter), or cio_open()'s -errno.
 */
int cli_open_ifarg(const char *cmd, struct cio_sock *s, const char *arg, int rcvbuf,
		   uint32_t err_mask);

/* "s" unless n is 1: "1 frame", "0 frames", "2 frames". */
static inline const char *cli_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/*
 * A command about to read a log from path: when that is stdin ("-") and
 * stdin is a terminal, say so on stderr in one line, with how to end it;
 * else it would wait silently for lines the user did not know to type.
 */
static inline void cli_stdin_hint(const char *cmd, const char *path)
{
	if (!strcmp(path, "-") && isatty(STDIN_FILENO))
		fprintf(stderr,
			"canrig %s: reading a log from the terminal; end it "
			"with Ctrl-D\n",
			cmd);
}

#endif /* CANRIG_CLI_H */
