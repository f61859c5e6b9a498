/* SPDX-License-Identifier: MIT */
/* cmd_dbc.c - "canrig dbc": dump, decode, encode and check DBC files. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clog.h"
#include "dbc.h"
#include "dbcout.h"

static void dbc_usage(FILE *f)
{
	fprintf(f,
		"Usage: canrig dbc COMMAND [options] FILE.dbc ...\n"
		"\n"
		"Commands:\n"
		"  dump FILE.dbc [MSG]            messages, signals, choices and bit layouts\n"
		"                                 (MSG: a name, or a hex id: C0, 0xC0)\n"
		"  decode FILE.dbc [LOG|-]        decode a log to signals: candump -L,\n"
		"                                 candump's screen output, or ASC\n"
		"  encode FILE.dbc MSG SIG=V...   print a frame in cansend syntax\n"
		"  check FILE.dbc                 lint: overlaps, lengths, ranges, choices\n"
		"\n"
		"Options (all commands):\n"
		"  --strict       any parser warning is an error\n"
		"  --j1939        match 29-bit ids by J1939 PGN\n"
		"  -h, --help     this text\n"
		"  --json         dump: the tables as JSON; encode: the frame as JSON;\n"
		"                 decode: one JSON object per frame\n"
		"  -h, --help     this text\n"
		"Options (decode):\n"
		"  --raw          with --json: add raw values\n"
		"  -s, --single-line   one line per frame\n"
		"  -c, --no-decode-choices   numbers instead of choice labels\n"
		"  --from FMT     input format (default: detected from the first line):\n"
		"                 %s\n"
		"  --delta        relative input times are candump -t d deltas\n"
		"                 (default: -t z, time since the first frame)\n"
		"  --line-buffered  write out every decoded frame at once, also into\n"
		"                 a pipe (always so on a terminal)\n"
		"Lines without a time (candump without -t) are timed on arrival when\n"
		"read from a pipe, and at 0 when read from a file.\n"
		"\n"
		"Exit status: 0 ok, 1 runtime error (a DBC that cannot be read or\n"
		"loaded too) or findings (check) or bad log lines (decode), 2 usage\n"
		"error.\n",
		clog_format_names());
}

/* ---- dump */

static const char sym[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static void layout(const struct dbc_message *m)
{
	unsigned int len = m->length ? m->length : 1, b, bit, i;
	char(*cell)[8] = calloc(len, 8);

	if (!cell)
		return;
	memset(cell, '.', (size_t)len * 8);
	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_signal *s = &m->sigs[i];
		char c = i < sizeof(sym) - 1 ? sym[i] : '#';
		unsigned int k;

		for (k = 0; k < s->nsteps; k++) {
			const struct dbc_step *st = &s->steps[k];

			if (st->byte >= len)
				continue;
			for (bit = 0; bit < 8; bit++)
				if ((st->mask << st->rshift) & (1u << bit)) {
					char *x = &cell[st->byte][bit];

					*x = *x == '.' ? c : '*';
				}
		}
	}
	printf("  Layout (bit 7 left; '*' = signals sharing the bit through "
	       "multiplexing):\n\n");
	printf("            7 6 5 4 3 2 1 0\n");
	for (b = 0; b < len; b++) {
		printf("     %4u | ", b);
		for (bit = 8; bit-- > 0;)
			printf("%c ", cell[b][bit]);
		printf("|\n");
	}
	printf("\n");
	free(cell);
}

static void dump_msg(const struct dbc_db *db, const struct dbc_message *m)
{
	unsigned int i, k;

	printf("  ------------------------------------------------------------\n\n");
	printf("  Name:       %s\n", m->name);
	if (m->long_name != m->name)
		printf("  Long name:  %s\n", m->long_name);
	printf("  Id:         0x%x (%s)\n", m->id, m->ext ? "extended" : "standard");
	printf("  Length:     %u byte%s%s\n", m->length, cli_plural(m->length),
	       m->fd ? (m->brs ? " (CAN FD, BRS)" : " (CAN FD)") : "");
	if (m->cycle_time)
		printf("  Cycle time: %lld ms\n", (long long)m->cycle_time);
	else
		printf("  Cycle time: - ms\n");
	if (m->send_type)
		printf("  Send type:  %s\n", m->send_type);
	printf("  Senders:   ");
	for (i = 0; i < m->nsenders; i++)
		printf("%s %s", i ? "," : "", m->senders[i]);
	printf("\n");
	if (m->comment)
		printf("  Comment:    %s\n", m->comment);
	printf("\n");
	layout(m);
	printf("  Signals:\n\n");
	for (i = 0; i < m->nsigs; i++) {
		const struct dbc_signal *s = &m->sigs[i];
		char sc[40], of[40];

		dbc_fmt_double(s->scale, sc);
		dbc_fmt_double(s->offset, of);
		printf("    %c %s\n", i < sizeof(sym) - 1 ? sym[i] : '#', s->name);
		printf("        Bits:     start %u, %u bit%s, %s, %s%s\n", s->start, s->size,
		       s->size == 1 ? "" : "s",
		       s->big_endian ? "big endian (Motorola)" : "little endian (Intel)",
		       s->kind == DBC_FLOAT32	? "float32"
		       : s->kind == DBC_FLOAT64 ? "float64"
		       : s->is_signed		? "signed"
						: "unsigned",
		       (s->mux & DBC_MUX_SELECTOR) ? ", multiplexer" : "");
		printf("        Scale:    %s, offset %s", sc, of);
		if (s->min != 0 || s->max != 0)
			printf(", range [%g|%g]", s->min, s->max);
		printf("%s%s\n", s->unit[0] ? ", unit " : "", s->unit);
		if (s->selector) {
			printf("        Present:  when %s is", s->selector->name);
			for (k = 0; k < s->nranges; k++) {
				if (s->ranges[k].lo == s->ranges[k].hi)
					printf("%s %llu", k ? "," : "",
					       (unsigned long long)s->ranges[k].lo);
				else
					printf("%s %llu-%llu", k ? "," : "",
					       (unsigned long long)s->ranges[k].lo,
					       (unsigned long long)s->ranges[k].hi);
			}
			printf("\n");
		}
		if (s->start_raw != 0)
			printf("        Initial:  %g (raw)\n", s->start_raw);
		if (s->nreceivers) {
			printf("        Receivers:");
			for (k = 0; k < s->nreceivers; k++)
				printf("%s %s", k ? "," : "", s->receivers[k]);
			printf("\n");
		}
		if (s->comment)
			printf("        Comment:  %s\n", s->comment);
		for (k = 0; k < s->nchoices; k++)
			printf("        %s %lld %s\n",
			       k ? "         " : "Choices:", (long long)s->choices[k].value,
			       s->choices[k].label);
		printf("\n");
	}
	(void)db;
}

/* ---- dump --json: the tables as cantools names them, one document */

/* A double, or null for NaN/inf which JSON cannot hold. */
static void json_num(double d)
{
	char b[40];

	if (d - d != 0) {
		fputs("null", stdout);
		return;
	}
	b[dbc_fmt_double(d, b)] = 0;
	fputs(b, stdout);
}

static void json_strs(const char *const *v, unsigned int n)
{
	unsigned int i;

	putchar('[');
	for (i = 0; i < n; i++) {
		if (i)
			putchar(',');
		dbcout_json_str(stdout, v[i]);
	}
	putchar(']');
}

static void json_sig(const struct dbc_signal *s)
{
	unsigned int k;

	fputs("{\"name\":", stdout);
	dbcout_json_str(stdout, s->name);
	fputs(",\"long_name\":", stdout);
	dbcout_json_str(stdout, s->long_name);
	printf(",\"start\":%u,\"length\":%u,\"byte_order\":\"%s\",\"is_signed\":%s,"
	       "\"is_float\":%s,\"scale\":",
	       s->start, s->size, s->big_endian ? "big_endian" : "little_endian",
	       s->is_signed ? "true" : "false", s->kind != DBC_INT ? "true" : "false");
	json_num(s->scale);
	fputs(",\"offset\":", stdout);
	json_num(s->offset);
	/* [0|0] in a DBC means no range */
	if (s->min != 0 || s->max != 0) {
		fputs(",\"minimum\":", stdout);
		json_num(s->min);
		fputs(",\"maximum\":", stdout);
		json_num(s->max);
	} else {
		fputs(",\"minimum\":null,\"maximum\":null", stdout);
	}
	fputs(",\"unit\":", stdout);
	dbcout_json_str(stdout, s->unit);
	printf(",\"is_multiplexer\":%s,\"multiplexer_signal\":",
	       s->mux & DBC_MUX_SELECTOR ? "true" : "false");
	dbcout_json_str(stdout, s->selector ? s->selector->name : NULL);
	/* ranges, not cantools' expanded list: SG_MUL_VAL_ may span 2^32 */
	fputs(",\"multiplexer_ranges\":", stdout);
	if (s->selector) {
		putchar('[');
		for (k = 0; k < s->nranges; k++)
			printf("%s[%llu,%llu]", k ? "," : "", (unsigned long long)s->ranges[k].lo,
			       (unsigned long long)s->ranges[k].hi);
		putchar(']');
	} else {
		fputs("null", stdout);
	}
	fputs(",\"raw_initial\":", stdout);
	json_num(s->start_raw);
	fputs(",\"receivers\":", stdout);
	json_strs(s->receivers, s->nreceivers);
	fputs(",\"comment\":", stdout);
	dbcout_json_str(stdout, s->comment);
	fputs(",\"choices\":[", stdout);
	for (k = 0; k < s->nchoices; k++) {
		printf("%s{\"value\":%lld,\"label\":", k ? "," : "",
		       (long long)s->choices[k].value);
		dbcout_json_str(stdout, s->choices[k].label);
		putchar('}');
	}
	fputs("]}", stdout);
}

static void json_msg(const struct dbc_message *m)
{
	unsigned int i;

	fputs("{\"name\":", stdout);
	dbcout_json_str(stdout, m->name);
	fputs(",\"long_name\":", stdout);
	dbcout_json_str(stdout, m->long_name);
	printf(",\"frame_id\":%u,\"is_extended_frame\":%s,\"length\":%u,"
	       "\"is_fd\":%s,\"brs\":%s,\"cycle_time\":",
	       m->id, m->ext ? "true" : "false", m->length, m->fd ? "true" : "false",
	       m->brs ? "true" : "false");
	if (m->cycle_time)
		printf("%lld", (long long)m->cycle_time);
	else
		fputs("null", stdout);
	fputs(",\"send_type\":", stdout);
	dbcout_json_str(stdout, m->send_type);
	fputs(",\"senders\":", stdout);
	json_strs(m->senders, m->nsenders);
	fputs(",\"comment\":", stdout);
	dbcout_json_str(stdout, m->comment);
	fputs(",\"signals\":[", stdout);
	for (i = 0; i < m->nsigs; i++) {
		fputs(i ? ",\n" : "\n", stdout);
		json_sig(&m->sigs[i]);
	}
	fputs("]}", stdout);
}

static void json_db(const struct dbc_db *db)
{
	unsigned int i;

	fputs("{\"file\":", stdout);
	dbcout_json_str(stdout, db->path);
	fputs(",\"version\":", stdout);
	dbcout_json_str(stdout, db->version);
	fputs(",\"baudrate\":", stdout);
	if (db->baudrate)
		printf("%llu", (unsigned long long)db->baudrate);
	else
		fputs("null", stdout);
	fputs(",\"nodes\":[", stdout);
	for (i = 0; i < db->nnodes; i++) {
		fputs(i ? "," : "", stdout);
		fputs("{\"name\":", stdout);
		dbcout_json_str(stdout, db->nodes[i].name);
		fputs(",\"comment\":", stdout);
		dbcout_json_str(stdout, db->nodes[i].comment);
		putchar('}');
	}
	fputs("],\"messages\":[", stdout);
	for (i = 0; i < db->nmsgs; i++) {
		fputs(i ? ",\n" : "\n", stdout);
		json_msg(&db->msgs[i]);
	}
	fputs("]}\n", stdout);
}

static int do_dump(struct dbc_db *db, const char *only, int json)
{
	unsigned int i;

	if (only) {
		const struct dbc_message *m = dbccli_find_msg(db, only);

		if (!m) {
			dbccli_no_msg("dbc", db, only);
			return EXIT_USAGE;
		}
		if (json) {
			json_msg(m);
			putchar('\n');
		} else {
			dump_msg(db, m);
		}
		return EXIT_OK;
	}
	if (json) {
		json_db(db);
		return EXIT_OK;
	}
	printf("File:     %s\n", db->path);
	if (db->version && db->version[0])
		printf("Version:  %s\n", db->version);
	if (db->baudrate)
		printf("Baudrate: %llu\n", (unsigned long long)db->baudrate);
	printf("Nodes:    ");
	for (i = 0; i < db->nnodes; i++)
		printf("%s%s", i ? ", " : "", db->nodes[i].name);
	printf("\nMessages: %u\n\n", db->nmsgs);
	for (i = 0; i < db->nmsgs; i++)
		dump_msg(db, &db->msgs[i]);
	return EXIT_OK;
}

/* ---- decode */

/* Decoding options beside the output mode. */
struct decode_opts {
	const struct clog_format *from; /* NULL: detect */
	unsigned int rflags;		/* CLOG_RD_* */
	int line_buffered;
};

static int do_decode(struct dbc_db *db, const char *path, unsigned int mode,
		     const struct decode_opts *d)
{
	struct clog_reader r;
	struct clog_writer w;
	struct clog_rec rec;
	struct dbcout *o;
	int e, rc = EXIT_OK, line;
	uint64_t bad = 0;

	o = dbcout_new(db, mode);
	if (!o) {
		cli_err("dbc", "out of memory");
		return EXIT_RUNTIME;
	}
	cli_stdin_hint("dbc", path);
	e = clog_reader_open(&r, path, d->from);
	if (e) {
		if (e == -EPROTO)
			cli_err("dbc", "%s; name it with --from FMT", r.err);
		else
			cli_err("dbc", "%s: %s", path, strerror(-e));
		dbcout_free(o);
		return e == -EPROTO ? EXIT_USAGE : EXIT_RUNTIME;
	}
	r.flags = d->rflags;
	/* a person watching, or --line-buffered: each frame as it comes */
	line = d->line_buffered || isatty(STDOUT_FILENO);
	clog_writer_init(&w, STDOUT_FILENO, &clog_fmt_candump, NULL);
	for (;;) {
		e = clog_read(&r, &rec);
		if (e == 0)
			break;
		if (e == -EINVAL) {
			/* report, keep going: one bad line costs no other data */
			clog_writer_flush(&w);
			fprintf(stderr, "canrig dbc: %s\n", r.err);
			bad++;
			continue;
		}
		if (e < 0) {
			cli_err("dbc", "%s: %s", path, strerror(-e));
			rc = EXIT_RUNTIME;
			break;
		}
		dbcout_frame(o, &w, &rec);
		if (line)
			clog_writer_flush(&w);
		if (w.werr)
			break;
	}
	if (clog_writer_flush(&w) && w.werr != -EPIPE) {
		cli_err("dbc", "write: %s", strerror(-w.werr));
		rc = EXIT_RUNTIME;
	}
	if (bad && rc == EXIT_OK) {
		cli_err("dbc", "%llu malformed line%s skipped", (unsigned long long)bad,
			bad == 1 ? "" : "s");
		rc = EXIT_RUNTIME;
	}
	if (r.nxl)
		fprintf(stderr,
			"canrig dbc: %s: %llu CAN XL frame%s skipped (canrig reads CAN and "
			"CAN FD)\n",
			r.path, (unsigned long long)r.nxl, r.nxl == 1 ? "" : "s");
	clog_reader_close(&r);
	dbcout_free(o);
	return rc;
}

/* ---- check */

static void print_finding(void *ctx, const char *msg)
{
	(void)ctx;
	printf("%s\n", msg);
}

static int do_check(const char *path, unsigned int flags)
{
	struct dbc_opts o = {flags, print_finding, NULL};
	struct dbc_db *db;
	char err[DBC_ERRMSG_MAX];
	unsigned int n;
	int e;

	e = dbc_load_file(path, &o, &db, err, sizeof(err));
	if (e) {
		fprintf(stderr, "canrig dbc: %s\n", err);
		return EXIT_RUNTIME;
	}
	n = dbc_check(db, print_finding, NULL) + db->nwarnings;
	fprintf(stderr, "%s: %u messages, %u finding%s\n", path, db->nmsgs, n, n == 1 ? "" : "s");
	dbc_free(db);
	return n ? EXIT_RUNTIME : EXIT_OK;
}

int cmd_dbc(int argc, char **argv)
{
	static const struct option lo[] = {{"help", no_argument, NULL, 'h'},
					   {"strict", no_argument, NULL, 1},
					   {"j1939", no_argument, NULL, 2},
					   {"json", no_argument, NULL, 3},
					   {"raw", no_argument, NULL, 4},
					   {"single-line", no_argument, NULL, 's'},
					   {"no-decode-choices", no_argument, NULL, 'c'},
					   {"from", required_argument, NULL, 5},
					   {"delta", no_argument, NULL, 6},
					   {"line-buffered", no_argument, NULL, 7},
					   {NULL, 0, NULL, 0}};
	struct decode_opts dopt = {NULL, 0, 0};
	unsigned int flags = 0, mode = DBCOUT_HUMAN, extra = 0;
	struct dbc_db *db = NULL;
	const char *sub, *dec_only = NULL; /* an option only decode reads */
	int opt, rc;

	if (argc < 2)
		return cli_usage_err("dbc", "no command given (dump, decode, encode, check)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		dbc_usage(stdout);
		return EXIT_OK;
	}
	sub = argv[1];
	if (sub[0] == '-')
		return cli_bad_option("dbc", sub);
	argc--;
	argv++;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, "+hsc", lo)) != -1) {
		switch (opt) {
		case 1:
			flags |= DBC_STRICT;
			break;
		case 2:
			flags |= DBC_J1939;
			break;
		case 3:
			mode = DBCOUT_JSON;
			break;
		case 4:
			extra |= DBCOUT_RAW;
			dec_only = "--raw";
			break;
		case 's':
			mode = DBCOUT_SINGLE;
			dec_only = "-s";
			break;
		case 'c':
			extra |= DBCOUT_NOCHOICE;
			dec_only = "-c";
			break;
		case 5:
			dec_only = "--from";
			dopt.from = clog_format_find(optarg);
			if (!dopt.from) {
				cli_err("dbc", "unknown format '%s' (known: %s)", optarg,
					clog_format_names());
				return EXIT_USAGE;
			}
			break;
		case 6:
			dopt.rflags |= CLOG_RD_DELTA;
			dec_only = "--delta";
			break;
		case 7:
			dopt.line_buffered = 1;
			dec_only = "--line-buffered";
			break;
		case 'h':
			dbc_usage(stdout);
			return EXIT_OK;
		default: {
			char name[32];

			snprintf(name, sizeof(name), "dbc %s", sub);
			return cli_opt_error(name, opt, argv);
		}
		}
	}
	if (optind >= argc) {
		cli_err("dbc", "%s: no DBC file given; try 'canrig dbc --help'", sub);
		return EXIT_USAGE;
	}
	/* refused, not ignored: the output would not be what was asked for */
	if ((!strcmp(sub, "check") || !strcmp(sub, "dump") || !strcmp(sub, "encode")) &&
	    (dec_only || (mode == DBCOUT_JSON && !strcmp(sub, "check")))) {
		cli_err("dbc", "%s does not take %s (%s)", sub, dec_only ? dec_only : "--json",
			dec_only ? "decode does" : "dump, decode and encode do");
		return EXIT_USAGE;
	}
	if (!strcmp(sub, "check")) {
		if (argc - optind != 1) {
			cli_err("dbc", "check takes one file");
			return EXIT_USAGE;
		}
		return do_check(argv[optind], flags);
	}
	if (strcmp(sub, "dump") && strcmp(sub, "decode") && strcmp(sub, "encode")) {
		cli_err("dbc", "unknown command '%s'; try 'canrig dbc --help'", sub);
		return EXIT_USAGE;
	}
	rc = dbccli_load("dbc", argv[optind], flags, &db);
	if (rc)
		return rc;
	if (!strcmp(sub, "dump")) {
		if (argc - optind > 2) {
			cli_err("dbc", "dump takes a file and at most one message");
			rc = EXIT_USAGE;
		} else {
			rc = do_dump(db, argc - optind == 2 ? argv[optind + 1] : NULL,
				     mode == DBCOUT_JSON);
		}
	} else if (!strcmp(sub, "decode")) {
		if (argc - optind > 2) {
			cli_err("dbc", "decode takes a file and at most one log");
			rc = EXIT_USAGE;
		} else {
			rc = do_decode(db, argc - optind == 2 ? argv[optind + 1] : "-",
				       mode | extra, &dopt);
		}
	} else {
		uint8_t buf[CF_MAX_LEN];
		struct cf_frame f;
		char out[CF_COMPACT_MAX + DBCOUT_JSON_FRAME_MAX];

		if (argc - optind < 2) {
			cli_err("dbc", "encode needs a message name");
			rc = EXIT_USAGE;
		} else {
			rc = dbccli_encode("dbc", db, argv[optind + 1], argc - optind - 2,
					   argv + optind + 2, buf, &f);
			if (!rc && mode == DBCOUT_JSON) {
				/* the decode --json members, and cansend's text */
				const struct dbc_message *m = dbccli_find_msg(db, argv[optind + 1]);

				fputs("{\"msg\":", stdout);
				dbcout_json_str(stdout, m->long_name);
				out[dbcout_json_frame(&f, out)] = 0;
				printf(",%s,\"frame\":\"", out);
				out[cf_format_compact(&f, out)] = 0;
				printf("%s\"}\n", out);
			} else if (!rc) {
				out[cf_format_compact(&f, out)] = 0;
				printf("%s\n", out);
			}
		}
	}
	dbc_free(db);
	return rc;
}
