/* SPDX-License-Identifier: MIT */
/*
 * cmd_ecusim.c - "canrig ecu-sim": simulated ECUs from a YAML file on one
 * CAN interface.  The thin adapter around uds_sim.h: ISO-TP channels
 * (isotp_io.h) in a libev loop, timers from uds_sim_deadline(), external
 * key commands and the download file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "keycmd.h"
#include "uds_sim_conf.h"
#include "isotp_io.h"
#include "uds_sim.h"

#define LOG_BYTES 24

struct run;

struct ecu_rt {
	struct ecusim_ecu *cfg;
	struct run *run;
	struct uds_sim sim;
	struct isotp_io phys, func;
	int phys_open, func_open;
	uint8_t *rx_phys, *rx_func, *tx;
	size_t tx_cap;
	int tx_active, in_pump;
	ev_timer tm;
	int dl_fd;
};

struct run {
	struct ev_loop *loop;
	struct ecu_rt *ecus;
	size_t n;
	int verbose;
	int rc;
	uint64_t t0;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: canrig ecu-sim -i IF -c FILE.yaml [-n] [-v]\n"
		   "\n"
		   "Simulates the UDS (ISO 14229-1) and OBD-II ECUs described in FILE.yaml on\n"
		   "interface IF: sessions, security access, DIDs, DTCs, routines, IO control,\n"
		   "memory, downloads, response pending.  The file format is in docs/ecu-sim.md.\n"
		   "\n"
		   "Options:\n"
		   "  -i, --interface IF   CAN interface (vcan0, can0)\n"
		   "  -c, --config FILE    the ECU description (YAML); ${VAR} in file: and\n"
		   "                       command: values is taken from the environment\n"
		   "  -n, --check          check the file and exit\n"
		   "  -v, --verbose        one line per request and answer on stderr\n"
		   "  -h, --help           this text\n"
		   "\n"
		   "Runs until SIGINT or SIGTERM.  Exit status: 0 ok, 1 runtime error (no such\n"
		   "interface, socket error), 2 usage or configuration error (FILE:LINE:COL).\n");
}

static void log_msg(struct run *r, const char *ecu, const char *dir, const uint8_t *p, size_t n)
{
	uint64_t t = isotp_io_now() - r->t0;
	size_t i;

	if (!r->verbose)
		return;
	fprintf(stderr, "(%llu.%06llu) %s %s", (unsigned long long)(t / 1000000000ull),
		(unsigned long long)(t % 1000000000ull / 1000), ecu, dir);
	for (i = 0; i < n && i < LOG_BYTES; i++)
		fprintf(stderr, " %02X", p[i]);
	if (n > LOG_BYTES)
		fprintf(stderr, " ... (%zu bytes)", n);
	fputc('\n', stderr);
}

/* ---- external key command */

/*
 * Says 0x78 (response pending) for sid at once, straight on the socket:
 * an external key command may take longer than P2, and a real ECU busy
 * with a computation says so instead of going quiet.  Only while nothing
 * else is being sent, and without involving the engine, which is in the
 * middle of the request.
 */
static void pending_now(struct ecu_rt *e, uint8_t sid)
{
	const struct isotp_cfg *c = &e->cfg->phys;
	uint8_t d[CF_MAX_LEN];
	struct cf_frame f;
	unsigned int i = 0, sent;

	if (e->tx_active || !e->phys_open)
		return;
	memset(&f, 0, sizeof(f));
	if (c->tx_ae >= 0)
		d[i++] = (uint8_t)c->tx_ae;
	d[i++] = 0x03;
	d[i++] = 0x7F;
	d[i++] = sid;
	d[i++] = 0x78;
	while (c->pad && i < 8)
		d[i++] = c->pad_byte;
	f.id = c->tx_id;
	f.flags = c->tx_eff ? CF_EFF : 0;
	if (c->tx_dl > 8)
		f.flags |= CF_FD | (c->brs ? CF_BRS : 0);
	f.len = (uint8_t)i;
	f.data = d;
	cio_send(&e->phys.sock, &f, 1, &sent);
}

static int key_fn(void *ctx, uint8_t level, const uint8_t *seed, size_t n, uint8_t *key, size_t cap,
		  size_t *keylen)
{
	struct ecu_rt *e = ctx;
	const char *tmpl = e->cfg->key_cmd[level >> 1];
	int r;

	if (!tmpl)
		return -ENOENT;
	pending_now(e, 0x27);
	r = keycmd_run(tmpl, level, seed, n, key, cap, keylen);
	if (r)
		cli_err("ecu-sim", "%s: key command '%s': %s", e->cfg->name, tmpl,
			keycmd_strerror(r));
	return r;
}

/* ---- download file */

static int sink_fn(void *ctx, int op, uint32_t addr, uint64_t off, const uint8_t *data, size_t n)
{
	struct ecu_rt *e = ctx;
	const char *path = e->cfg->download_file;

	if (!path)
		return 0;
	switch (op) {
	case UDS_SIM_SINK_BEGIN:
		if (e->dl_fd >= 0)
			close(e->dl_fd);
		e->dl_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (e->dl_fd < 0) {
			int err = -errno;

			cli_err("ecu-sim", "%s: download file %s: %s", e->cfg->name, path,
				strerror(-err));
			return err;
		}
		if (e->run->verbose)
			fprintf(stderr, "%s: download of %zu bytes at 0x%08X to %s\n", e->cfg->name,
				n, addr, path);
		return 0;
	case UDS_SIM_SINK_DATA:
		while (n) {
			ssize_t k = e->dl_fd < 0 ? -1 : pwrite(e->dl_fd, data, n, (off_t)off);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				int err = e->dl_fd < 0 ? -EBADF : -errno;

				cli_err("ecu-sim", "%s: download file %s: %s", e->cfg->name, path,
					strerror(-err));
				return err;
			}
			data += k;
			off += (uint64_t)k;
			n -= (size_t)k;
		}
		return 0;
	case UDS_SIM_SINK_END:
		if (e->dl_fd >= 0 && close(e->dl_fd)) {
			e->dl_fd = -1;
			return -errno;
		}
		e->dl_fd = -1;
		return 0;
	}
	return -EINVAL;
}

/* ---- the loop */

static void fatal(struct ecu_rt *e, int err)
{
	cli_err("ecu-sim", "%s: %s: %s", e->cfg->name, e->phys.sock.ifname, strerror(-err));
	e->run->rc = EXIT_RUNTIME;
	ev_break(e->run->loop, EVBREAK_ALL);
}

static void arm(struct ecu_rt *e)
{
	uint64_t d = uds_sim_deadline(&e->sim), now;

	ev_timer_stop(e->run->loop, &e->tm);
	if (d == UINT64_MAX)
		return;
	ev_now_update(e->run->loop);
	now = isotp_io_now();
	ev_timer_set(&e->tm, d > now ? (double)(d - now) / 1e9 : 0, 0);
	ev_timer_start(e->run->loop, &e->tm);
}

/* Sends what the engine has due, one message at a time (the ISO-TP
 * channel borrows it until TX_DONE). */
static void pump(struct ecu_rt *e)
{
	size_t len;
	int r;

	if (e->in_pump)
		return;
	e->in_pump = 1;
	for (;;) {
		uint64_t now = isotp_io_now();

		if (uds_sim_timers(&e->sim, now) && e->run->verbose)
			fprintf(stderr, "%s: S3 timeout, back in the default session\n",
				e->cfg->name);
		if (e->tx_active)
			break;
		r = uds_sim_output(&e->sim, now, e->tx, e->tx_cap, &len);
		if (r <= 0)
			break;
		log_msg(e->run, e->cfg->name, "->", e->tx, len);
		e->tx_active = 1;
		r = isotp_io_send(&e->phys, e->tx, len);
		if (r) {
			e->tx_active = 0;
			if (e->phys.err) {
				fatal(e, e->phys.err);
				break;
			}
			cli_err("ecu-sim", "%s: answer of %zu bytes not sent: %s", e->cfg->name,
				len, strerror(-r));
		}
	}
	e->in_pump = 0;
	arm(e);
}

static void on_io(struct ecu_rt *e, struct isotp_io *io, unsigned int ev, int functional)
{
	if (ev & ISOTP_EV_RX) {
		log_msg(e->run, e->cfg->name, functional ? "<= func" : "<-", io->tp.rx_buf,
			io->tp.rx_len);
		uds_sim_request(&e->sim, io->tp.rx_buf, io->tp.rx_len, functional, isotp_io_now());
	}
	if (!functional && (ev & (ISOTP_EV_TX_DONE | ISOTP_EV_TX_ERR)))
		e->tx_active = 0;
	if (io->err) {
		fatal(e, io->err);
		return;
	}
	if ((ev & ISOTP_EV_TX_ERR) && e->run->verbose)
		fprintf(stderr, "%s: answer not delivered: %s\n", e->cfg->name,
			io->tp.timer ? io->tp.timer : isotp_strerror(io->tp.tx_err));
	if ((ev & ISOTP_EV_RX_ERR) && e->run->verbose)
		fprintf(stderr, "%s: request dropped: %s\n", e->cfg->name,
			io->tp.timer ? io->tp.timer : isotp_strerror(io->tp.rx_err));
	pump(e);
}

static void on_phys(struct isotp_io *io, unsigned int ev, void *ctx)
{
	on_io(ctx, io, ev, 0);
}

static void on_func(struct isotp_io *io, unsigned int ev, void *ctx)
{
	on_io(ctx, io, ev, 1);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	pump(w->data);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static int open_ecu(struct run *r, struct ecu_rt *e, const char *ifname)
{
	char ebuf[256];
	int err;

	e->dl_fd = -1;
	e->run = r;
	e->tx_cap = e->cfg->sim.max_response;
	e->rx_phys = malloc(e->cfg->rx_cap);
	e->rx_func = malloc(4095);
	e->tx = malloc(e->tx_cap);
	if (!e->rx_phys || !e->rx_func || !e->tx) {
		cli_err("ecu-sim", "out of memory");
		return EXIT_RUNTIME;
	}
	e->cfg->sim.key_fn = key_fn;
	e->cfg->sim.sink_fn = sink_fn;
	e->cfg->sim.cb_ctx = e;
	err = uds_sim_init(&e->sim, &e->cfg->sim, isotp_io_now());
	if (err) {
		cli_err("ecu-sim", "%s: %s", e->cfg->name,
			err == -ENOMEM ? "out of memory" : "configuration rejected by the engine");
		return err == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	}
	ev_timer_init(&e->tm, on_timer, 0, 0);
	e->tm.data = e;
	err = isotp_io_open(&e->phys, r->loop, ifname, &e->cfg->phys, e->rx_phys, e->cfg->rx_cap,
			    on_phys, e);
	if (!err) {
		e->phys_open = 1;
		err = isotp_io_open(&e->func, r->loop, ifname, &e->cfg->func, e->rx_func, 4095,
				    on_func, e);
		e->func_open = !err;
	}
	if (err) {
		fprintf(stderr, "canrig ecu-sim: %s\n",
			cio_open_strerror(err, ifname, ebuf, sizeof(ebuf)));
		/* as every canrig command: a missing, down or non-CAN
		 * interface is the caller's to fix (2), no AF_CAN is not */
		return err == -EAFNOSUPPORT || err == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	}
	if (r->verbose)
		fprintf(stderr, "%s: on %s, requests %X, answers %X, functional %X\n", e->cfg->name,
			ifname, e->cfg->phys.rx_id, e->cfg->phys.tx_id, e->cfg->func.rx_id);
	return 0;
}

static void close_ecu(struct run *r, struct ecu_rt *e)
{
	if (e->run)
		ev_timer_stop(r->loop, &e->tm);
	if (e->phys_open)
		isotp_io_close(&e->phys);
	if (e->func_open)
		isotp_io_close(&e->func);
	if (e->dl_fd >= 0 && e->run)
		close(e->dl_fd);
	uds_sim_fini(&e->sim);
	free(e->rx_phys);
	free(e->rx_func);
	free(e->tx);
}

/* A key function for -n: the engine's checks need one for external levels. */
static int no_key(void *ctx, uint8_t level, const uint8_t *seed, size_t n, uint8_t *key, size_t cap,
		  size_t *keylen)
{
	(void)ctx;
	(void)level;
	(void)seed;
	(void)n;
	(void)key;
	(void)cap;
	(void)keylen;
	return -ENOSYS;
}

static int check_only(struct ecusim_cfg *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->necus; i++) {
		struct uds_sim s;
		int e;

		c->ecus[i].sim.key_fn = no_key;
		e = uds_sim_init(&s, &c->ecus[i].sim, 0);
		if (e) {
			cli_err("ecu-sim", "%s: ECU '%s': %s", path, c->ecus[i].name,
				e == -ENOMEM ? "out of memory"
					     : "configuration rejected by the engine");
			return e == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
		}
		uds_sim_fini(&s);
	}
	printf("%s: %zu ECU%s ok\n", path, c->necus, c->necus == 1 ? "" : "s");
	return EXIT_OK;
}

int cmd_ecusim(int argc, char **argv)
{
	static const struct option lo[] = {{"interface", required_argument, NULL, 'i'},
					   {"config", required_argument, NULL, 'c'},
					   {"check", no_argument, NULL, 'n'},
					   {"verbose", no_argument, NULL, 'v'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	const char *ifname = NULL, *path = NULL;
	struct ecusim_cfg cfg;
	struct run r;
	ev_signal sint, sterm;
	char err[512];
	int opt, check = 0, rc = EXIT_OK, e;
	size_t i;

	memset(&r, 0, sizeof(r));
	optind = 1;
	while ((opt = cli_getopt(argc, argv, "i:c:nvh", lo)) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'c':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			r.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			return cli_opt_error("ecu-sim", opt, argv);
		}
	}
	if (optind != argc || !path || (!ifname && !check)) {
		cli_err("ecu-sim", "needs -i IF and -c FILE.yaml; try 'canrig ecu-sim "
				   "--help'");
		return EXIT_USAGE;
	}
	e = ecusim_cfg_load_file(&cfg, path, err, sizeof(err));
	if (e) {
		/* a file that cannot be read is 1, a wrong one 2 */
		cli_err("ecu-sim", "%s", err);
		return e == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (check) {
		rc = check_only(&cfg, path);
		ecusim_cfg_fini(&cfg);
		return rc;
	}
	r.loop = ev_default_loop(0);
	r.t0 = isotp_io_now();
	r.n = cfg.necus;
	r.ecus = calloc(cfg.necus, sizeof(*r.ecus));
	if (!r.ecus) {
		ecusim_cfg_fini(&cfg);
		return EXIT_RUNTIME;
	}
	for (i = 0; i < r.n && !rc; i++) {
		r.ecus[i].cfg = &cfg.ecus[i];
		rc = open_ecu(&r, &r.ecus[i], ifname);
	}
	if (!rc) {
		ev_signal_init(&sint, on_signal, SIGINT);
		ev_signal_init(&sterm, on_signal, SIGTERM);
		ev_signal_start(r.loop, &sint);
		ev_signal_start(r.loop, &sterm);
		ev_run(r.loop, 0);
		ev_signal_stop(r.loop, &sint);
		ev_signal_stop(r.loop, &sterm);
		rc = r.rc;
	}
	for (i = 0; i < r.n; i++)
		close_ecu(&r, &r.ecus[i]);
	free(r.ecus);
	ecusim_cfg_fini(&cfg);
	return rc;
}
