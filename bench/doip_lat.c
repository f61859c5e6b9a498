/* SPDX-License-Identifier: MIT */
/*
 * doip_lat.c - the request-to-answer probe behind bench/doip.sh: one UDS
 * request (default 22 F190, a multi-frame answer on classic CAN) sent COUNT
 * times, each after the last one's answer plus GAP_US, over DoIP through a
 * gateway or directly over ISO-TP on a CAN interface.  Both paths run the
 * same client (uds_client.h, through doip_io.h or uds_io.h), so what the
 * client itself costs is in both figures and cancels in their difference.
 *
 *   doip_lat [-t MS] doip HOST[:PORT] SA TA[,TA...] COUNT GAP_US [HEX]
 *       routing activation as tester SA (hex), then requests to the ECUs
 *       TA (hex logical addresses), round robin, on that one socket
 *   doip_lat [-t MS] isotp IF TX RX COUNT GAP_US [HEX]
 *       requests on CAN id TX, answers on RX (hex, 11-bit), padded with CC
 *   -t MS: no request starts later than MS after the first (so that a
 *       run fits a window, e.g. another ECU's 0x78 chain, on a slow host)
 *
 * P2 is 5 s: a slow answer on a busy host is a figure, not a failure.
 *
 * A request's latency runs from handing it to the client to its final
 * positive answer (CLOCK_MONOTONIC).  Results on stdout as key=value pairs
 * on one line, times in microseconds: n (positive answers), fail (negative
 * answers, timeouts, transport errors; the first one is said on stderr),
 * pending (0x78 answers seen), min p50 p90 p99 max mean.  Exit 0 if every
 * request got its positive answer, else 1; 2 for a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "doip_io.h"
#include "uds_client.h"
#include "uds_io.h"

#define MAX_TA 16

struct probe {
	struct ev_loop *loop;
	int done, ok, result;
	uint64_t t_ok;
	unsigned long pending;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_client(struct probe *p, const struct uds_client *cl, unsigned int ev)
{
	if (ev & UDS_EV_PENDING)
		p->pending++;
	if ((ev & UDS_EV_RESPONSE) && cl->rsp_result == 0) {
		p->ok = 1;
		p->t_ok = mono_ns();
	}
	if (ev & UDS_EV_DONE) {
		p->result = cl->result;
		p->done = 1;
		ev_break(p->loop, EVBREAK_ONE);
	}
}

static void on_doip(struct doip_io *u, unsigned int ev, void *ctx)
{
	if (ev & DOIP_IO_EV_SETUP)
		ev_break(u->loop, EVBREAK_ONE);
	on_client(ctx, &u->cl, ev & ~(unsigned int)DOIP_IO_EV_SETUP);
}

static void on_uds(struct uds_io *u, unsigned int ev, void *ctx)
{
	on_client(ctx, &u->cl, ev);
}

static void on_nap(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	(void)w;
	ev_break(loop, EVBREAK_ONE);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: doip_lat [-t MS] doip HOST[:PORT] SA TA[,TA...] COUNT GAP_US [HEX]\n"
		"       doip_lat [-t MS] isotp IF TX RX COUNT GAP_US [HEX]\n");
	return 2;
}

static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;

	while (*s) {
		unsigned int v;

		if (*s == ' ') {
			s++;
			continue;
		}
		if (n == cap || sscanf(s, "%2x", &v) != 1 || !s[1])
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	*len = n;
	return n ? 0 : -1;
}

int main(int argc, char **argv)
{
	static uint8_t req[4096];
	struct uds_client_cfg ccfg;
	struct probe p = {0};
	struct doip_io di;
	struct uds_io ui;
	unsigned long ta[MAX_TA], nta = 0, count, gap_us, i, n = 0, fail = 0;
	uint64_t *lat, sum = 0, start = 0, window_ns = 0;
	size_t req_len = 3;
	int doip, e, rc = 0;
	ev_timer nap;
	char *end;

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		window_ns = strtoull(argv[2], &end, 10) * 1000000ull;
		if (*end || !window_ns)
			return usage();
		argv += 2;
		argc -= 2;
	}
	if (argc < 7 || argc > 8)
		return usage();
	doip = !strcmp(argv[1], "doip");
	if (!doip && strcmp(argv[1], "isotp"))
		return usage();
	count = strtoul(argv[5], &end, 10);
	if (*end || !count)
		return usage();
	gap_us = strtoul(argv[6], &end, 10);
	if (*end)
		return usage();
	memcpy(req, "\x22\xF1\x90", 3);
	if (argc == 8 && parse_hex(argv[7], req, sizeof(req), &req_len))
		return usage();
	lat = calloc(count, sizeof(*lat));
	if (!lat)
		return 1;

	p.loop = ev_default_loop(0);
	uds_client_cfg_init(&ccfg);
	ccfg.tp_ms = 0; /* no TesterPresent between the probes */
	ccfg.p2_ms = 5000;
	ccfg.cap_ms = 30000;
	if (doip) {
		struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(13400)};
		struct doip_io_cfg dc;
		char host[64], *c, *t = argv[4];

		snprintf(host, sizeof(host), "%s", argv[2]);
		c = strchr(host, ':');
		if (c) {
			*c = 0;
			to.sin_port = htons((uint16_t)strtoul(c + 1, NULL, 10));
		}
		if (inet_pton(AF_INET, host, &to.sin_addr) != 1)
			return usage();
		do {
			if (nta == MAX_TA)
				return usage();
			ta[nta++] = strtoul(t, &end, 16);
			t = end + 1;
		} while (*end == ',');
		if (*end)
			return usage();
		doip_io_cfg_init(&dc, (uint16_t)ta[0]);
		dc.sa = (uint16_t)strtoul(argv[3], NULL, 16);
		e = doip_io_open(&di, p.loop, &to, &dc, &ccfg, on_doip, &p);
		if (e) {
			fprintf(stderr, "doip_lat: DoIP %s: %s\n", argv[2], strerror(-e));
			return 1;
		}
		while (di.state != DOIP_IO_ACTIVE && di.state != DOIP_IO_FAILED)
			ev_run(p.loop, EVRUN_ONCE);
		if (di.state != DOIP_IO_ACTIVE) {
			fprintf(stderr, "doip_lat: DoIP %s: activation failed: %s (code 0x%02X)\n",
				argv[2], strerror(-di.err), di.ra_code);
			doip_io_close(&di);
			return 1;
		}
	} else {
		struct uds_io_cfg uc;

		uds_io_cfg_11bit(&uc, (uint32_t)strtoul(argv[3], NULL, 16),
				 (uint32_t)strtoul(argv[4], NULL, 16));
		e = uds_io_open(&ui, p.loop, argv[2], &uc, &ccfg, on_uds, &p);
		if (e) {
			fprintf(stderr, "doip_lat: %s: %s\n", argv[2], strerror(-e));
			return 1;
		}
	}

	ev_timer_init(&nap, on_nap, gap_us / 1e6, 0);
	for (i = 0; i < count; i++) {
		uint64_t t0;

		if (gap_us) {
			ev_now_update(p.loop);
			ev_timer_set(&nap, gap_us / 1e6, 0);
			ev_timer_start(p.loop, &nap);
			ev_run(p.loop, 0);
			ev_timer_stop(p.loop, &nap);
		}
		if (!start)
			start = mono_ns();
		else if (window_ns && mono_ns() - start > window_ns)
			break;
		p.done = p.ok = 0;
		p.result = 0;
		/* round robin over the ECUs of one socket: the target is read at
		 * each send and each answer, so it may change between requests */
		if (doip)
			di.cfg.ta = (uint16_t)ta[i % nta];
		t0 = mono_ns();
		e = doip ? doip_io_request(&di, req, req_len, 0)
			 : uds_io_request(&ui, req, req_len, 0);
		if (e) {
			fprintf(stderr, "doip_lat: request %lu: %s\n", i + 1, strerror(-e));
			rc = 1;
			break;
		}
		while (!p.done)
			ev_run(p.loop, EVRUN_ONCE);
		if (p.ok && p.result == 0) {
			lat[n] = (p.t_ok - t0) / 1000;
			sum += lat[n++];
		} else {
			if (!fail)
				fprintf(stderr, "doip_lat: request %lu (to 0x%lX): %s\n", i + 1,
					doip ? ta[i % nta] : strtoul(argv[3], NULL, 16),
					uds_client_strerror(p.result));
			fail++;
		}
	}
	if (doip)
		doip_io_close(&di);
	else
		uds_io_close(&ui);
	if (!n) {
		printf("n=0 fail=%lu pending=%lu\n", fail, p.pending);
		free(lat);
		return 1;
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("n=%lu fail=%lu pending=%lu min=%llu p50=%llu p90=%llu p99=%llu max=%llu "
	       "mean=%llu\n",
	       n, fail, p.pending, (unsigned long long)lat[0], (unsigned long long)lat[(n - 1) / 2],
	       (unsigned long long)lat[(n * 9 - 1) / 10],
	       (unsigned long long)lat[(n * 99 - 1) / 100], (unsigned long long)lat[n - 1],
	       (unsigned long long)(sum / n));
	free(lat);
	return rc || fail ? 1 : 0;
}
