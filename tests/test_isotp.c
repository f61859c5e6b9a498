/* SPDX-License-Identifier: MIT */
/*
 * test_isotp.c - the ISO-TP engine on an in-memory bus with a fake clock:
 * every length edge, flow control, timers, padding and addressing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotp.h"
#include "unit.h"

#define MS 1000000ull

/* A bus log: every frame put on the bus, with the time it was sent. */
struct bus {
	struct cf_buf fr[4096];
	uint64_t t[4096];
	unsigned int n;
	unsigned int ev_a, ev_b;
	int drop_fc;	/* the receiver's FCs are lost */
	int no_confirm; /* A's frames are never confirmed */
};

static void note(struct bus *bus, const struct cf_buf *f, uint64_t now)
{
	if (bus->n < 4096) {
		bus->fr[bus->n] = *f;
		cf_buf_view(&bus->fr[bus->n]);
		bus->t[bus->n] = now;
	}
	bus->n++;
}

/* Moves frames both ways until neither side has anything due at now. */
static void pump(struct bus *bus, struct isotp *a, struct isotp *b, uint64_t now)
{
	struct cf_buf out[64];
	unsigned int n, i, moved;

	do {
		moved = 0;
		n = isotp_output(a, now, out, 64);
		for (i = 0; i < n; i++) {
			note(bus, &out[i], now);
			bus->ev_b |= isotp_input(b, &out[i].f, now);
		}
		if (n && !bus->no_confirm)
			bus->ev_a |= isotp_sent(a, n, now);
		moved += n;
		n = isotp_output(b, now, out, 64);
		for (i = 0; i < n; i++) {
			note(bus, &out[i], now);
			if (!bus->drop_fc)
				bus->ev_a |= isotp_input(a, &out[i].f, now);
		}
		if (n)
			bus->ev_b |= isotp_sent(b, n, now);
		moved += n;
	} while (moved);
	bus->ev_a |= isotp_timers(a, now);
	bus->ev_b |= isotp_timers(b, now);
}

/* Runs until both are idle or until limit; returns the end time. */
static uint64_t run(struct bus *bus, struct isotp *a, struct isotp *b, uint64_t now, uint64_t limit)
{
	while (now < limit) {
		uint64_t da, db, d;

		pump(bus, a, b, now);
		da = isotp_deadline(a);
		db = isotp_deadline(b);
		d = da < db ? da : db;
		if (d == UINT64_MAX)
			break;
		now = d > now ? d : now + 1;
	}
	return now;
}

static void pair(struct isotp *a, struct isotp *b, struct isotp_cfg *ca, uint8_t *buf_b,
		 size_t cap_b)
{
	struct isotp_cfg cb = *ca;

	cb.tx_id = ca->rx_id;
	cb.rx_id = ca->tx_id;
	cb.tx_eff = ca->rx_eff;
	cb.rx_eff = ca->tx_eff;
	cb.tx_ae = ca->rx_ae;
	cb.rx_ae = ca->tx_ae;
	isotp_init(a, ca, NULL, 0);
	isotp_init(b, &cb, buf_b, cap_b);
}

static void cfg_classic(struct isotp_cfg *c)
{
	isotp_cfg_init(c);
	c->tx_id = 0x7E0;
	c->rx_id = 0x7E8;
}

/* Sends len bytes A -> B; checks B got them intact. Returns frames used. */
static unsigned int transfer(struct isotp_cfg *cfg, size_t len, struct bus *bus)
{
	static uint8_t msg[1 << 20 | 64], got[1 << 20 | 64];
	struct isotp a, b;
	size_t i;

	for (i = 0; i < len; i++)
		msg[i] = (uint8_t)(i * 7 + (i >> 8));
	memset(bus, 0, sizeof(*bus));
	pair(&a, &b, cfg, got, sizeof(got));
	CU_ASSERT_EQUAL_FATAL(isotp_send(&a, msg, len, 0), 0);
	run(bus, &a, &b, 0, 600 * 1000 * MS);
	CU_ASSERT(bus->ev_a & ISOTP_EV_TX_DONE);
	CU_ASSERT(bus->ev_b & ISOTP_EV_RX);
	CU_ASSERT_EQUAL(b.rx_len, len);
	CU_ASSERT(!memcmp(got, msg, len));
	CU_ASSERT_EQUAL(a.tx_state, ISOTP_TX_IDLE);
	return bus->n;
}

static struct bus bus;

static void test_lengths_classic(void)
{
	struct isotp_cfg c;
	static const size_t lens[] = {1, 6, 7, 8, 13, 14, 62, 63, 64, 4094, 4095};
	size_t i;

	cfg_classic(&c);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		unsigned int frames = transfer(&c, lens[i], &bus);
		/* SF up to 7; else FF (6 bytes) + CFs of 7 + one FC */
		unsigned int want =
			lens[i] <= 7 ? 1 : 1 + (unsigned int)((lens[i] - 6 + 6) / 7) + 1;

		CU_ASSERT_EQUAL(frames, want);
		if (frames != want)
			fprintf(stderr, "len %zu: %u frames, want %u\n", lens[i], frames, want);
	}
	/* single frame layout, padded to 8 with 0xCC */
	transfer(&c, 3, &bus);
	CU_ASSERT_EQUAL(bus.fr[0].f.len, 8);
	CU_ASSERT_EQUAL(bus.fr[0].d[0], 0x03);
	CU_ASSERT_EQUAL(bus.fr[0].d[4], 0xCC);
	CU_ASSERT_EQUAL(bus.fr[0].d[7], 0xCC);
	/* first frame: 1L LL, then a 30 00 00 flow control from B */
	transfer(&c, 4095, &bus);
	CU_ASSERT_EQUAL(bus.fr[0].d[0], 0x1F);
	CU_ASSERT_EQUAL(bus.fr[0].d[1], 0xFF);
	CU_ASSERT_EQUAL(bus.fr[1].f.id, 0x7E8);
	CU_ASSERT_EQUAL(bus.fr[1].d[0], 0x30);
	CU_ASSERT_EQUAL(bus.fr[2].d[0], 0x21);
	CU_ASSERT_EQUAL(bus.fr[16].d[0], 0x2F);
	CU_ASSERT_EQUAL(bus.fr[17].d[0], 0x20); /* SN wraps 15 -> 0 */
	/* past 4095 on classic: the 2016 escape first frame, 10 00 + 32 bits */
	transfer(&c, 4096, &bus);
	CU_ASSERT_EQUAL(bus.fr[0].d[0], 0x10);
	CU_ASSERT_EQUAL(bus.fr[0].d[1], 0x00);
	CU_ASSERT_EQUAL(bus.fr[0].d[4], 0x10);
	CU_ASSERT_EQUAL(bus.fr[0].d[5], 0x00);
	CU_ASSERT_EQUAL(bus.n, 1 + 1 + (4096 - 2 + 6) / 7);
	transfer(&c, 100000, &bus);
	{
		struct isotp a;
		static uint8_t m[4096];

		isotp_init(&a, &c, NULL, 0);
		CU_ASSERT_EQUAL(isotp_send(&a, m, 0, 0), -EMSGSIZE);
		CU_ASSERT_EQUAL(isotp_send(&a, m, 10, 0), 0);
		CU_ASSERT_EQUAL(isotp_send(&a, m, 10, 0), -EBUSY);
	}
	/* padding off: frames as short as their content */
	c.pad = 0;
	transfer(&c, 3, &bus);
	CU_ASSERT_EQUAL(bus.fr[0].f.len, 4);
	transfer(&c, 20, &bus);		     /* FF 6 + CF 7 + CF 7 */
	CU_ASSERT_EQUAL(bus.fr[1].f.len, 3); /* FC unpadded */
	CU_ASSERT_EQUAL(bus.fr[3].f.len, 8);
	CU_ASSERT_EQUAL(bus.fr[3].d[0], 0x22);
	CU_ASSERT_EQUAL(bus.n, 4);
}

static void test_lengths_fd(void)
{
	struct isotp_cfg c;
	static const size_t lens[] = {1, 7, 8, 62, 63, 64, 4095, 4096, 65536, 1 << 20};
	size_t i;

	cfg_classic(&c);
	c.tx_dl = 64;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		transfer(&c, lens[i], &bus);
	/* 7 bytes: classic-style SF in an 8-byte FD frame */
	transfer(&c, 7, &bus);
	CU_ASSERT_EQUAL(bus.fr[0].f.len, 8);
	CU_ASSERT(bus.fr[0].f.flags & CF_FD);
	CU_ASSERT_EQUAL(bus.fr[0].d[0], 0x07);
	/* 8..62 bytes: escape SF 00 LL, padded to an FD length */
	transfer(&c, 62, &bus);
	CU_ASSERT_EQUAL(bus.n, 1);
	CU_ASSERT_EQUAL(bus.fr[0].d[0], 0x00);
	CU_ASSERT_EQUAL(bus.fr[0].d[1], 62);
	CU_ASSERT_EQUAL(bus.fr[0].f.len, 64);
	transfer(&c, 10, &bus);
	CU_ASSERT_EQUAL(bus.fr[0].f.len, 12);
	/* 63: FF with 62 bytes, then one CF */
	transfer(&c, 63, &bus);
	CU_ASSERT_EQUAL(bus.n, 3);
	CU_ASSERT_EQUAL(bus.fr[0].d[0], 0x10);
	CU_ASSERT_EQUAL(bus.fr[0].d[1], 63);
	/* over 4095: escape FF 10 00 + 32-bit length */
	transfer(&c, 4096, &bus);
	CU_ASSERT_EQUAL(bus.fr[0].d[0], 0x10);
	CU_ASSERT_EQUAL(bus.fr[0].d[1], 0x00);
	CU_ASSERT_EQUAL(bus.fr[0].d[4], 0x10);
	CU_ASSERT_EQUAL(bus.fr[0].d[5], 0x00);
	/* last CF of an unpadded FD message: a valid FD length */
	c.pad = 0;
	transfer(&c, 62 + 63 + 10, &bus); /* FF 62, CF 63, CF 10 -> 12 */
	CU_ASSERT_EQUAL(bus.fr[bus.n - 1].f.len, 12);
}

static void test_addressing(void)
{
	struct isotp_cfg c;

	/* extended: address byte first, one byte less per frame */
	cfg_classic(&c);
	c.tx_ae = 0x55;
	c.rx_ae = 0xAA;
	transfer(&c, 6, &bus);
	CU_ASSERT_EQUAL(bus.n, 1);
	CU_ASSERT_EQUAL(bus.fr[0].d[0], 0x55);
	CU_ASSERT_EQUAL(bus.fr[0].d[1], 0x06);
	transfer(&c, 7, &bus);
	CU_ASSERT_EQUAL(bus.n, 3); /* FF + FC + CF */
	CU_ASSERT_EQUAL(bus.fr[1].d[0], 0xAA);
	transfer(&c, 300, &bus);
	/* normal fixed 29-bit */
	cfg_classic(&c);
	isotp_cfg_fixed(&c, 0x33, 0xF1, 0);
	CU_ASSERT_EQUAL(c.tx_id, 0x18DA33F1);
	CU_ASSERT_EQUAL(c.rx_id, 0x18DAF133);
	transfer(&c, 100, &bus);
	CU_ASSERT(bus.fr[0].f.flags & CF_EFF);
	isotp_cfg_fixed(&c, 0x33, 0xF1, 1);
	CU_ASSERT_EQUAL(c.tx_id, 0x18DB33F1);
	/* mixed 29-bit: 18CE with an address extension byte */
	cfg_classic(&c);
	c.tx_id = 0x18CE33F1;
	c.rx_id = 0x18CEF133;
	c.tx_eff = c.rx_eff = 1;
	c.tx_ae = c.rx_ae = 0x07;
	transfer(&c, 50, &bus);
	/* frames for another address byte are not ours */
	{
		struct isotp b;
		uint8_t buf[64];
		uint8_t d[8] = {0x08, 0x02, 0x11, 0x22, 0xCC, 0xCC, 0xCC, 0xCC};
		struct cf_frame f = {.data = d, .id = 0x18CEF133, .len = 8, .flags = CF_EFF};

		isotp_init(&b, &c, buf, sizeof(buf));
		CU_ASSERT_EQUAL(isotp_input(&b, &f, 0), 0);
		d[0] = 0x07;
		CU_ASSERT_EQUAL(isotp_input(&b, &f, 0), ISOTP_EV_RX);
		CU_ASSERT_EQUAL(b.rx_len, 2);
		f.flags = 0; /* an 11-bit frame with the same number */
		CU_ASSERT_EQUAL(isotp_input(&b, &f, 0), 0);
	}
}

/* A receiver driven by hand: inject a frame into a. */
static unsigned int inject(struct isotp *a, uint32_t id, const uint8_t *d, unsigned int len,
			   uint64_t now)
{
	struct cf_frame f = {.data = d, .id = id, .len = (uint8_t)len};

	return isotp_input(a, &f, now);
}

static void test_flow_control(void)
{
	struct isotp_cfg c;
	struct isotp a;
	struct cf_buf out[64];
	static uint8_t msg[100];
	static const uint8_t wait[8] = {0x31, 0, 0, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC};
	static const uint8_t cts[8] = {0x30, 2, 0, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC};
	static const uint8_t ovf[8] = {0x32, 0, 0, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC};
	static const uint8_t bad[8] = {0x35, 0, 0, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC};
	unsigned int i, n;

	cfg_classic(&c);
	c.wftmax = 3;
	isotp_init(&a, &c, NULL, 0);
	isotp_send(&a, msg, sizeof(msg), 0);
	CU_ASSERT_EQUAL(isotp_output(&a, 0, out, 64), 1); /* FF */
	isotp_sent(&a, 1, 0);
	/* WAITs restart N_Bs; up to WFTmax are fine */
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(inject(&a, 0x7E8, wait, 8, (i + 1) * 900 * MS), 0);
		CU_ASSERT_EQUAL(isotp_timers(&a, (i + 1) * 900 * MS + 999 * MS), 0);
	}
	CU_ASSERT_EQUAL(inject(&a, 0x7E8, cts, 8, 3000 * MS), 0);
	/* BS 2: two CFs, then wait for the next FC */
	n = isotp_output(&a, 3000 * MS, out, 64);
	CU_ASSERT_EQUAL(n, 2);
	isotp_sent(&a, n, 3000 * MS);
	CU_ASSERT_EQUAL(isotp_output(&a, 3000 * MS, out, 64), 0);
	CU_ASSERT_EQUAL(a.tx_state, ISOTP_TX_WAIT_FC);
	/* one WAIT too many aborts */
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(inject(&a, 0x7E8, wait, 8, 3001 * MS), 0);
	CU_ASSERT_EQUAL(inject(&a, 0x7E8, wait, 8, 3001 * MS), ISOTP_EV_TX_ERR);
	CU_ASSERT_EQUAL(a.tx_err, -ECONNABORTED);
	CU_ASSERT_EQUAL(a.tx_state, ISOTP_TX_IDLE);

	/* OVFLW from the peer */
	isotp_send(&a, msg, sizeof(msg), 0);
	isotp_sent(&a, isotp_output(&a, 0, out, 64), 0);
	CU_ASSERT_EQUAL(inject(&a, 0x7E8, ovf, 8, 1), ISOTP_EV_TX_ERR);
	CU_ASSERT_EQUAL(a.tx_err, -EOVERFLOW);
	/* an invalid flow status */
	isotp_send(&a, msg, sizeof(msg), 0);
	isotp_sent(&a, isotp_output(&a, 0, out, 64), 0);
	CU_ASSERT_EQUAL(inject(&a, 0x7E8, bad, 8, 1), ISOTP_EV_TX_ERR);
	CU_ASSERT_EQUAL(a.tx_err, -EPROTO);
	/* an FC nobody waits for is ignored */
	CU_ASSERT_EQUAL(inject(&a, 0x7E8, cts, 8, 1), 0);

	/* our receiver answers OVFLW to a message larger than its buffer */
	{
		struct isotp b;
		uint8_t small[50];
		static const uint8_t ff[8] = {0x10, 100, 1, 2, 3, 4, 5, 6};

		isotp_init(&b, &c, small, sizeof(small));
		b.cfg.rx_id = 0x7E8;
		CU_ASSERT_EQUAL(inject(&b, 0x7E8, ff, 8, 0), ISOTP_EV_RX_ERR);
		CU_ASSERT_EQUAL(b.rx_err, -EMSGSIZE);
		CU_ASSERT_EQUAL(isotp_output(&b, 0, out, 64), 1);
		CU_ASSERT_EQUAL(out[0].d[0], 0x32);
	}
}

static void test_sequence_and_restart(void)
{
	struct isotp_cfg c;
	struct isotp b;
	uint8_t buf[256];
	struct cf_buf out[4];
	static const uint8_t ff[8] = {0x10, 20, 1, 2, 3, 4, 5, 6};
	static const uint8_t cf1[8] = {0x21, 7, 8, 9, 10, 11, 12, 13};
	static const uint8_t cf3[8] = {0x23, 7, 8, 9, 10, 11, 12, 13};
	static const uint8_t sf[8] = {0x02, 0xAA, 0xBB, 0, 0, 0, 0, 0};

	cfg_classic(&c);
	c.tx_id = 0x7E8;
	c.rx_id = 0x7E0;
	isotp_init(&b, &c, buf, sizeof(buf));
	CU_ASSERT_EQUAL(inject(&b, 0x7E0, ff, 8, 0), ISOTP_EV_RX_FF);
	CU_ASSERT_EQUAL(b.rx_len, 20);
	CU_ASSERT_EQUAL(isotp_output(&b, 0, out, 4), 1);
	isotp_sent(&b, 1, 0);
	CU_ASSERT_EQUAL(inject(&b, 0x7E0, cf1, 8, 1), 0);
	/* SN 3 where 2 is due */
	CU_ASSERT_EQUAL(inject(&b, 0x7E0, cf3, 8, 2), ISOTP_EV_RX_ERR);
	CU_ASSERT_EQUAL(b.rx_err, -EILSEQ);
	CU_ASSERT_EQUAL(b.rx_state, ISOTP_RX_IDLE);
	/* a stray CF is ignored */
	CU_ASSERT_EQUAL(inject(&b, 0x7E0, cf1, 8, 3), 0);
	/* a new SF during a reception ends the old one, delivers the new */
	CU_ASSERT_EQUAL(inject(&b, 0x7E0, ff, 8, 4), ISOTP_EV_RX_FF);
	isotp_sent(&b, isotp_output(&b, 4, out, 4), 4);
	CU_ASSERT_EQUAL(inject(&b, 0x7E0, sf, 8, 5), ISOTP_EV_RX_ERR | ISOTP_EV_RX);
	CU_ASSERT_EQUAL(b.rx_err, -ECONNRESET);
	CU_ASSERT_EQUAL(b.rx_len, 2);
	CU_ASSERT_EQUAL(buf[1], 0xBB);
	/* an unpadded last CF carries exactly what is left */
	{
		static const uint8_t ff8[8] = {0x10, 8, 1, 2, 3, 4, 5, 6};
		static const uint8_t last[3] = {0x21, 7, 8};

		CU_ASSERT_EQUAL(inject(&b, 0x7E0, ff8, 8, 10), ISOTP_EV_RX_FF);
		isotp_sent(&b, isotp_output(&b, 10, out, 4), 10);
		CU_ASSERT_EQUAL(inject(&b, 0x7E0, last, 3, 11), ISOTP_EV_RX);
		CU_ASSERT_EQUAL(b.rx_len, 8);
		CU_ASSERT_EQUAL(buf[7], 8);
	}
	/* malformed single frames: SF_DL 0, SF_DL past the frame */
	{
		static const uint8_t z[8] = {0x00, 1, 2, 3, 4, 5, 6, 7};
		static const uint8_t l[4] = {0x05, 1, 2, 3};
		static const uint8_t ffshort[8] = {0x10, 5, 1, 2, 3, 4, 5, 6};

		uint8_t *one = malloc(1); /* exact size: ASan sees over-reads */

		one[0] = 0x10; /* a first frame cut to its PCI byte (fuzzer find) */
		CU_ASSERT_EQUAL(inject(&b, 0x7E0, one, 1, 6), 0);
		free(one);
		CU_ASSERT_EQUAL(inject(&b, 0x7E0, z, 8, 6), 0);
		CU_ASSERT_EQUAL(inject(&b, 0x7E0, l, 4, 6), 0);
		CU_ASSERT_EQUAL(inject(&b, 0x7E0, ffshort, 8, 6), 0);
		CU_ASSERT_EQUAL(inject(&b, 0x7E0, ff, 5, 6), 0);
	}
}

static void test_timeouts(void)
{
	struct isotp_cfg c;
	struct isotp a, b;
	static uint8_t msg[100], got[200];
	struct cf_buf out[64];

	cfg_classic(&c);
	/* N_Bs: the receiver's FC never arrives */
	memset(&bus, 0, sizeof(bus));
	pair(&a, &b, &c, got, sizeof(got));
	bus.drop_fc = 1;
	isotp_send(&a, msg, sizeof(msg), 0);
	pump(&bus, &a, &b, 0);
	pump(&bus, &a, &b, 999 * MS);
	CU_ASSERT_EQUAL(bus.ev_a & ISOTP_EV_TX_ERR, 0);
	CU_ASSERT_EQUAL(bus.ev_b & ISOTP_EV_RX_ERR, 0);
	CU_ASSERT_EQUAL(isotp_deadline(&a), 1000 * MS);
	/* N_Cr: the receiver saw the FF and waits for CFs in vain */
	CU_ASSERT_EQUAL(isotp_deadline(&b), 1000 * MS);
	pump(&bus, &a, &b, 1000 * MS);
	CU_ASSERT(bus.ev_a & ISOTP_EV_TX_ERR);
	CU_ASSERT_EQUAL(a.tx_err, -ETIMEDOUT);
	CU_ASSERT_STRING_EQUAL(a.timer, "N_Bs");
	CU_ASSERT(bus.ev_b & ISOTP_EV_RX_ERR);
	CU_ASSERT_EQUAL(b.rx_err, -ETIMEDOUT);
	CU_ASSERT_STRING_EQUAL(b.timer, "N_Cr");

	/* N_As: frames handed out but never confirmed */
	isotp_init(&a, &c, NULL, 0);
	isotp_send(&a, msg, 5, 0);
	CU_ASSERT_EQUAL(isotp_output(&a, 0, out, 64), 1);
	CU_ASSERT_EQUAL(isotp_output(&a, 0, out, 64), 0); /* unconfirmed */
	CU_ASSERT_EQUAL(isotp_timers(&a, 999 * MS), 0);
	CU_ASSERT_EQUAL(isotp_timers(&a, 1000 * MS), ISOTP_EV_TX_ERR);
	CU_ASSERT_STRING_EQUAL(a.timer, "N_As");
	/* N_Ar: our FC never confirmed */
	{
		static const uint8_t ff[8] = {0x10, 20, 1, 2, 3, 4, 5, 6};

		c.tx_id = 0x7E8;
		c.rx_id = 0x7E0;
		c.n_ar = 50;
		c.n_as = 50;
		isotp_init(&b, &c, got, sizeof(got));
		inject(&b, 0x7E0, ff, 8, 0);
		CU_ASSERT_EQUAL(isotp_output(&b, 0, out, 64), 1);
		CU_ASSERT_EQUAL(isotp_timers(&b, 50 * MS), ISOTP_EV_RX_ERR);
		CU_ASSERT_STRING_EQUAL(b.timer, "N_Ar");
	}
	/* N_Cs: a CF due and not handed out in time */
	cfg_classic(&c);
	c.n_cs = 100;
	memset(&bus, 0, sizeof(bus));
	pair(&a, &b, &c, got, sizeof(got));
	isotp_send(&a, msg, sizeof(msg), 0);
	CU_ASSERT_EQUAL(isotp_output(&a, 0, out, 64), 1);
	isotp_input(&b, &out[0].f, 0);
	isotp_sent(&a, 1, 0);
	isotp_output(&b, 0, out, 64);
	isotp_input(&a, &out[0].f, 0);
	isotp_sent(&b, 1, 0);
	CU_ASSERT_EQUAL(isotp_timers(&a, 99 * MS), 0);
	CU_ASSERT_EQUAL(isotp_timers(&a, 100 * MS), ISOTP_EV_TX_ERR);
	CU_ASSERT_STRING_EQUAL(a.timer, "N_Cs");
}

static void test_stmin(void)
{
	struct isotp_cfg c;
	unsigned int i, cfs = 0;

	CU_ASSERT_EQUAL(isotp_stmin_ns(0), 0);
	CU_ASSERT_EQUAL(isotp_stmin_ns(0x7F), 127 * MS);
	CU_ASSERT_EQUAL(isotp_stmin_ns(0xF1), 100000);
	CU_ASSERT_EQUAL(isotp_stmin_ns(0xF9), 900000);
	CU_ASSERT_EQUAL(isotp_stmin_ns(0x80), 127 * MS); /* reserved */
	CU_ASSERT_EQUAL(isotp_stmin_ns(0xFA), 127 * MS);
	/* STmin 5 ms, BS 4: CF gaps never below 5 ms */
	cfg_classic(&c);
	c.stmin = 5;
	c.bs = 4;
	transfer(&c, 200, &bus);
	for (i = 1; i < bus.n; i++) {
		if ((bus.fr[i].d[0] >> 4) != 2 || (bus.fr[i - 1].d[0] >> 4) != 2)
			continue;
		CU_ASSERT(bus.t[i] - bus.t[i - 1] >= 5 * MS);
		cfs++;
	}
	CU_ASSERT(cfs > 20);
	/* 0xF3 = 300 us */
	c.stmin = 0xF3;
	transfer(&c, 100, &bus);
	for (i = 3; i < bus.n; i++)
		if ((bus.fr[i - 1].d[0] >> 4) == 2 && (bus.fr[i].d[0] >> 4) == 2)
			CU_ASSERT(bus.t[i] - bus.t[i - 1] >= 300000);
	/* forcing our own STmin overrides the peer's */
	c.force_stmin_us = 2000;
	transfer(&c, 100, &bus);
	for (i = 3; i < bus.n; i++)
		if ((bus.fr[i - 1].d[0] >> 4) == 2 && (bus.fr[i].d[0] >> 4) == 2)
			CU_ASSERT(bus.t[i] - bus.t[i - 1] >= 2 * MS);
}

static void test_padding_checks(void)
{
	struct isotp_cfg c;
	struct isotp b;
	uint8_t buf[64];
	static const uint8_t good[8] = {0x02, 1, 2, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC};
	static const uint8_t badpad[8] = {0x02, 1, 2, 0xCC, 0x00, 0xCC, 0xCC, 0xCC};
	static const uint8_t shortf[3] = {0x02, 1, 2};

	cfg_classic(&c);
	c.rx_pad_check = ISOTP_CHK_LEN | ISOTP_CHK_DATA;
	isotp_init(&b, &c, buf, sizeof(buf));
	CU_ASSERT_EQUAL(inject(&b, 0x7E8, good, 8, 0), ISOTP_EV_RX);
	CU_ASSERT_EQUAL(inject(&b, 0x7E8, badpad, 8, 0), ISOTP_EV_RX_ERR);
	CU_ASSERT_EQUAL(b.rx_err, -EBADMSG);
	CU_ASSERT_EQUAL(inject(&b, 0x7E8, shortf, 3, 0), ISOTP_EV_RX_ERR);
	b.cfg.rx_pad_check = 0;
	CU_ASSERT_EQUAL(inject(&b, 0x7E8, badpad, 8, 0), ISOTP_EV_RX);
	CU_ASSERT_EQUAL(inject(&b, 0x7E8, shortf, 3, 0), ISOTP_EV_RX);
}

/* Random frames at a receiver: never a crash, never a bad state. */
static void test_garbage(void)
{
	struct isotp_cfg c;
	struct isotp b;
	static uint8_t buf[4096];
	uint8_t d[64];
	uint64_t x = 0x1234567887654321ull, t = 0;
	unsigned int i, k;
	struct cf_buf out[8];

	cfg_classic(&c);
	c.tx_dl = 64;
	isotp_init(&b, &c, buf, sizeof(buf));
	for (i = 0; i < 200000; i++) {
		struct cf_frame f;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memset(&f, 0, sizeof(f));
		f.id = 0x7E8;
		f.len = (uint8_t)cf_dlc2len((unsigned int)(x & 15));
		f.flags = f.len > 8 || (x & 16) ? CF_FD : 0;
		for (k = 0; k < f.len; k++)
			d[k] = (uint8_t)(x >> (k % 8 * 8)) ^ (uint8_t)k;
		/* bias towards protocol frames */
		d[0] = (uint8_t)((d[0] & 0x3F) | (x & 0x100 ? 0x20 : 0));
		f.data = d;
		t += (x >> 20) & 0xFFFFF;
		isotp_input(&b, &f, t);
		isotp_sent(&b, isotp_output(&b, t, out, 8), t);
		isotp_timers(&b, t);
		CU_ASSERT_FATAL(b.rx_pos <= b.rx_len || b.rx_state == ISOTP_RX_IDLE);
		CU_ASSERT_FATAL(b.rx_len <= sizeof(buf) || b.rx_state == ISOTP_RX_IDLE);
	}
}

/* A functional channel (1:n) takes single frames only: a first frame or
 * consecutive frame gets no flow control and starts no N_Cr (issue 19). */
static void test_functional(void)
{
	struct isotp_cfg c;
	struct isotp b;
	static uint8_t buf[4096];
	static const uint8_t ff[8] = {0x10, 0x0A, 0x22, 0xF1, 0x90, 0xF1, 0x8C, 0x55};
	static const uint8_t cf[8] = {0x21, 0x01, 0x02, 0x03, 0xCC, 0xCC, 0xCC, 0xCC};
	static const uint8_t sf[8] = {0x03, 0x22, 0xF1, 0x90, 0xCC, 0xCC, 0xCC, 0xCC};
	static const uint8_t msg[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct cf_buf out[8];
	struct cf_frame f;

	cfg_classic(&c);
	c.rx_id = 0x7DF;
	c.functional = 1;
	isotp_init(&b, &c, buf, sizeof(buf));
	memset(&f, 0, sizeof(f));
	f.id = 0x7DF;
	f.len = 8;
	f.data = ff;
	CU_ASSERT_EQUAL(isotp_input(&b, &f, 0), 0);
	CU_ASSERT_EQUAL(isotp_output(&b, 0, out, 8), 0);
	CU_ASSERT_EQUAL(b.rx_state, ISOTP_RX_IDLE);
	CU_ASSERT_EQUAL(isotp_deadline(&b), UINT64_MAX);
	f.data = cf;
	CU_ASSERT_EQUAL(isotp_input(&b, &f, MS), 0);
	CU_ASSERT_EQUAL(isotp_timers(&b, 5000 * MS), 0);
	CU_ASSERT_EQUAL(b.frames_ignored, 2);
	/* a single frame is a request as ever */
	f.data = sf;
	CU_ASSERT_EQUAL(isotp_input(&b, &f, 6000 * MS), ISOTP_EV_RX);
	CU_ASSERT(b.rx_len == 3 && b.rx_buf[0] == 0x22);
	/* and nothing longer than one single frame is sent */
	CU_ASSERT_EQUAL(isotp_max_len(&b), 7);
	CU_ASSERT_EQUAL(isotp_send(&b, msg, 8, 0), -EMSGSIZE);
	CU_ASSERT_EQUAL(isotp_send(&b, msg, 7, 0), 0);

	/* the same frames on a physical channel: FC at once */
	c.rx_id = 0x7E0;
	c.functional = 0;
	isotp_init(&b, &c, buf, sizeof(buf));
	f.id = 0x7E0;
	f.data = ff;
	CU_ASSERT_EQUAL(isotp_input(&b, &f, 0), ISOTP_EV_RX_FF);
	CU_ASSERT_EQUAL(isotp_output(&b, 0, out, 8), 1);
	CU_ASSERT_EQUAL(out[0].d[0], 0x30);
	isotp_sent(&b, 1, 0);
	/* a stall of our own pushes N_Cr back: the peer is not blamed */
	CU_ASSERT_EQUAL(isotp_deadline(&b), 1000 * MS);
	isotp_stalled(&b, 500 * MS);
	CU_ASSERT_EQUAL(isotp_deadline(&b), 1500 * MS);
	CU_ASSERT_EQUAL(isotp_timers(&b, 1499 * MS), 0);
	CU_ASSERT_EQUAL(isotp_timers(&b, 1500 * MS), ISOTP_EV_RX_ERR);
}

/*
 * A streamed send A -> B of len bytes, fed piece bytes per round with
 * step of fake time between rounds, through a ring of ring_cap bytes.
 * Checks B got the message intact and returns the frames on the bus
 * (the same as isotp_send() of the whole message would need).
 */
static unsigned int stream_transfer(struct isotp_cfg *cfg, size_t len, size_t ring_cap,
				    size_t piece, uint64_t step)
{
	static uint8_t msg[70000], got[70000], ring[4096];
	struct isotp a, b;
	uint64_t now = 0;
	size_t fed = 0, i, guard;

	for (i = 0; i < len; i++)
		msg[i] = (uint8_t)(i * 13 + (i >> 8));
	memset(&bus, 0, sizeof(bus));
	pair(&a, &b, cfg, got, sizeof(got));
	CU_ASSERT_EQUAL_FATAL(isotp_send_stream(&a, len, ring, ring_cap, 0), 0);
	for (guard = 0; guard < 4 * len + 1000; guard++) {
		size_t k = len - fed < piece ? len - fed : piece;

		fed += isotp_feed(&a, msg + fed, k);
		pump(&bus, &a, &b, now);
		if (bus.ev_a & (ISOTP_EV_TX_DONE | ISOTP_EV_TX_ERR))
			break;
		now += step;
	}
	CU_ASSERT_EQUAL(fed, len);
	CU_ASSERT(bus.ev_a & ISOTP_EV_TX_DONE);
	CU_ASSERT_EQUAL(bus.ev_a & ISOTP_EV_TX_ERR, 0);
	CU_ASSERT(bus.ev_b & ISOTP_EV_RX);
	CU_ASSERT_EQUAL(b.rx_len, len);
	CU_ASSERT(!memcmp(got, msg, len));
	CU_ASSERT_EQUAL(a.tx_state, ISOTP_TX_IDLE);
	CU_ASSERT_PTR_NULL(a.tx_ring);
	return bus.n;
}

/* Pieces of every size up to past two frames, rings of the smallest size
 * and a little more (wrapping mid-frame), classic and FD, with and
 * without the escape first frame: the same frames as the whole message. */
static void test_stream_pieces(void)
{
	static const size_t lens[] = {1, 7, 8, 62, 100, 4095, 4096, 5000};
	struct isotp_cfg c;
	size_t li, piece, fd;

	for (fd = 0; fd < 2; fd++) {
		for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
			unsigned int whole;

			cfg_classic(&c);
			if (fd)
				c.tx_dl = 64;
			whole = transfer(&c, lens[li], &bus);
			for (piece = 1; piece <= 130; piece++) {
				CU_ASSERT_EQUAL(stream_transfer(&c, lens[li], 64, piece, MS),
						whole);
				CU_ASSERT_EQUAL(stream_transfer(&c, lens[li], 100, piece, 0),
						whole);
			}
		}
	}
}

/* Starved: the FF and FC go, then no CF until bytes come, however late
 * (within N_Cs); fed, the CFs go at once, and STmin still holds. */
static void test_stream_starve(void)
{
	static uint8_t msg[200], got[300], ring[64];
	struct isotp_cfg c;
	struct isotp a, b;
	unsigned int n, i;
	size_t fed;
	uint64_t t;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	cfg_classic(&c);
	c.stmin = 5;
	memset(&bus, 0, sizeof(bus));
	pair(&a, &b, &c, got, sizeof(got));
	CU_ASSERT_EQUAL(isotp_send_stream(&a, sizeof(msg), ring, sizeof(ring), 0), 0);
	/* nothing fed: nothing sent, the FF waits (deadline: N_Cs) */
	pump(&bus, &a, &b, 0);
	CU_ASSERT_EQUAL(bus.n, 0);
	CU_ASSERT_EQUAL(isotp_deadline(&a), ISOTP_STREAM_WAIT_MS * MS);
	CU_ASSERT_EQUAL(isotp_feed(&a, msg, 5), 5);
	pump(&bus, &a, &b, 0);
	CU_ASSERT_EQUAL(bus.n, 0); /* the FF needs 6 */
	CU_ASSERT_EQUAL(isotp_feed(&a, msg + 5, 10), 10);
	pump(&bus, &a, &b, 10 * MS);
	CU_ASSERT_EQUAL(bus.n, 3); /* FF, FC, one CF of the 9 bytes left */
	n = bus.n;
	/* starved 500 ms: no frame, no error; N_Cs counts from the CF due */
	pump(&bus, &a, &b, 500 * MS);
	CU_ASSERT_EQUAL(bus.n, n);
	CU_ASSERT_EQUAL(bus.ev_a & ISOTP_EV_TX_ERR, 0);
	CU_ASSERT(isotp_deadline(&a) > 500 * MS && isotp_deadline(&a) < UINT64_MAX);
	/* the ring takes no more than it holds */
	CU_ASSERT_EQUAL(isotp_feed_room(&a), 64 - 2);
	CU_ASSERT_EQUAL(isotp_feed(&a, msg + 15, 185), 62);
	pump(&bus, &a, &b, 600 * MS);
	CU_ASSERT_EQUAL(bus.n, n + 1); /* at once, the next after STmin */
	CU_ASSERT_EQUAL(bus.t[n], 600 * MS);
	/* the 77 bytes fed go within 11 STmins, then it starves again */
	run(&bus, &a, &b, 600 * MS, 700 * MS);
	CU_ASSERT(bus.ev_a & ISOTP_EV_TX_ROOM);
	CU_ASSERT_EQUAL(bus.ev_a & ISOTP_EV_TX_ERR, 0);
	for (fed = 77, t = 700 * MS; fed < sizeof(msg); t += 100 * MS) {
		fed += isotp_feed(&a, msg + fed, sizeof(msg) - fed);
		run(&bus, &a, &b, t, t + 100 * MS);
	}
	CU_ASSERT(bus.ev_a & ISOTP_EV_TX_DONE);
	CU_ASSERT(bus.ev_b & ISOTP_EV_RX);
	CU_ASSERT(!memcmp(got, msg, sizeof(msg)));
	for (i = n + 1; i < bus.n; i++)
		if (bus.fr[i].f.id == 0x7E0)
			CU_ASSERT(bus.t[i] - bus.t[i - 1] >= 5 * MS || bus.fr[i - 1].f.id != 0x7E0);
}

/* The 32-bit length of an escape FF, up to 2^32-1, without the bytes. */
static void test_stream_ff32(void)
{
	static uint8_t ring[64], msg[64];
	struct isotp_cfg c;
	struct isotp a;
	struct cf_buf out[4];

	cfg_classic(&c);
	isotp_init(&a, &c, NULL, 0);
	CU_ASSERT_EQUAL(isotp_send_stream(&a, 0xFFFFFFFFu, ring, sizeof(ring), 0), 0);
	CU_ASSERT_EQUAL(isotp_feed(&a, msg, sizeof(msg)), 64);
	CU_ASSERT_EQUAL(isotp_output(&a, 0, out, 4), 1);
	cf_buf_view(&out[0]);
	CU_ASSERT(!memcmp(out[0].f.data, "\x10\x00\xFF\xFF\xFF\xFF", 6));
	isotp_tx_abort(&a);
	isotp_init(&a, &c, NULL, 0);
	CU_ASSERT_EQUAL(isotp_send_stream(&a, 5000, ring, sizeof(ring), 0), 0);
	isotp_feed(&a, msg, 2);
	CU_ASSERT_EQUAL(isotp_output(&a, 0, out, 4), 1);
	cf_buf_view(&out[0]);
	CU_ASSERT(!memcmp(out[0].f.data, "\x10\x00\x00\x00\x13\x88", 6));
	/* refusals: too long, a ring too small, busy */
	isotp_init(&a, &c, NULL, 0);
	if (sizeof(size_t) > 4)
		CU_ASSERT_EQUAL(isotp_send_stream(&a, (size_t)0xFFFFFFFFu + 1, ring, 64, 0),
				-EMSGSIZE);
	CU_ASSERT_EQUAL(isotp_send_stream(&a, 100, ring, 63, 0), -EINVAL);
	CU_ASSERT_EQUAL(isotp_send_stream(&a, 0, ring, 64, 0), -EMSGSIZE);
	CU_ASSERT_EQUAL(isotp_send_stream(&a, 100, ring, 64, 0), 0);
	CU_ASSERT_EQUAL(isotp_send_stream(&a, 100, ring, 64, 0), -EBUSY);
	CU_ASSERT_EQUAL(isotp_send(&a, msg, 10, 0), -EBUSY);
}

/* A feeder that stops: N_Cs ends the transfer (ISOTP_STREAM_WAIT_MS past
 * the frame due, or cfg.n_cs); an abort frees the channel. */
static void test_stream_abort(void)
{
	static uint8_t msg[100], got[200], ring[64];
	struct isotp_cfg c;
	struct isotp a, b;
	unsigned int n;

	cfg_classic(&c);
	memset(&bus, 0, sizeof(bus));
	pair(&a, &b, &c, got, sizeof(got));
	isotp_send_stream(&a, sizeof(msg), ring, sizeof(ring), 0);
	isotp_feed(&a, msg, 20);
	pump(&bus, &a, &b, 10 * MS);
	n = bus.n;
	CU_ASSERT_EQUAL(n, 4); /* FF, FC, 2 CFs: 6 + 7 + 7 */
	CU_ASSERT_EQUAL(isotp_deadline(&a), (10 + ISOTP_STREAM_WAIT_MS) * MS);
	pump(&bus, &a, &b, (9 + ISOTP_STREAM_WAIT_MS) * MS);
	CU_ASSERT_EQUAL(bus.ev_a & ISOTP_EV_TX_ERR, 0);
	pump(&bus, &a, &b, (10 + ISOTP_STREAM_WAIT_MS) * MS);
	CU_ASSERT(bus.ev_a & ISOTP_EV_TX_ERR);
	CU_ASSERT_EQUAL(a.tx_err, -ETIMEDOUT);
	CU_ASSERT_STRING_EQUAL(a.timer, "N_Cs");
	CU_ASSERT_EQUAL(a.tx_state, ISOTP_TX_IDLE);
	CU_ASSERT_EQUAL(isotp_feed(&a, msg + 20, 10), 0);
	CU_ASSERT_EQUAL(bus.n, n);
	/* starved before the FF, with cfg.n_cs */
	c.n_cs = 50;
	isotp_init(&a, &c, NULL, 0);
	isotp_send_stream(&a, sizeof(msg), ring, sizeof(ring), 100 * MS);
	CU_ASSERT_EQUAL(isotp_deadline(&a), 150 * MS);
	CU_ASSERT_EQUAL(isotp_timers(&a, 149 * MS), 0);
	CU_ASSERT_EQUAL(isotp_timers(&a, 150 * MS), ISOTP_EV_TX_ERR);
	/* abort: idle, nothing more taken, a new send goes */
	isotp_init(&a, &c, NULL, 0);
	isotp_send_stream(&a, sizeof(msg), ring, sizeof(ring), 0);
	isotp_feed(&a, msg, 30);
	isotp_tx_abort(&a);
	CU_ASSERT_EQUAL(isotp_feed(&a, msg, 10), 0);
	CU_ASSERT_EQUAL(isotp_feed_room(&a), 0);
	CU_ASSERT_EQUAL(isotp_deadline(&a), UINT64_MAX);
	CU_ASSERT_EQUAL(isotp_send(&a, msg, 10, 0), 0);
}

/* ---- a streamed reception: B hands pieces to a consumer with a sink of
 * cap bytes, emptied every drain_ns (0: never) */

struct sink {
	uint8_t *got;
	size_t pos, used, cap, room; /* room: what B was last told */
	unsigned int pieces, bad, wait_fc, cts_fc;
	uint64_t drain_ns, next_drain;
};

static void sink_ev(struct sink *k, struct isotp *b, unsigned int ev)
{
	if (!(ev & ISOTP_EV_RX_PIECE))
		return;
	/* in order, contiguous, and never beyond the room given (the first
	 * frame's bytes come whatever the room) */
	if (b->rx_pos - b->rx_piece_len != k->pos)
		k->bad++;
	if (!(ev & ISOTP_EV_RX_FF) && b->rx_piece_len > k->room)
		k->bad++;
	memcpy(k->got + k->pos, b->rx_piece, b->rx_piece_len);
	k->pos += b->rx_piece_len;
	k->used += b->rx_piece_len;
	k->pieces++;
	k->room = k->used < k->cap ? k->cap - k->used : 0;
	isotp_rx_room(b, k->room);
}

static void sink_pump(struct bus *bu, struct isotp *a, struct isotp *b, struct sink *k,
		      uint64_t now)
{
	struct cf_buf out[64];
	unsigned int n, i, moved, ev;

	if (k->drain_ns && now >= k->next_drain) {
		k->used = 0;
		k->room = k->cap;
		isotp_rx_room(b, k->room);
		k->next_drain = now + k->drain_ns;
	}
	/* timers first, as isotp_io's rounds do: a WAIT due goes out now */
	bu->ev_b |= isotp_timers(b, now);
	do {
		moved = 0;
		n = isotp_output(a, now, out, 64);
		for (i = 0; i < n; i++) {
			note(bu, &out[i], now);
			ev = isotp_input(b, &out[i].f, now);
			sink_ev(k, b, ev);
			bu->ev_b |= ev;
		}
		if (n)
			bu->ev_a |= isotp_sent(a, n, now);
		moved += n;
		n = isotp_output(b, now, out, 64);
		for (i = 0; i < n; i++) {
			note(bu, &out[i], now);
			if (out[i].f.data[0] == 0x31)
				k->wait_fc++;
			if (out[i].f.data[0] == 0x30)
				k->cts_fc++;
			bu->ev_a |= isotp_input(a, &out[i].f, now);
		}
		if (n)
			bu->ev_b |= isotp_sent(b, n, now);
		moved += n;
	} while (moved);
	bu->ev_a |= isotp_timers(a, now);
	ev = isotp_timers(b, now);
	bu->ev_b |= ev;
}

static uint64_t sink_run(struct bus *bu, struct isotp *a, struct isotp *b, struct sink *k,
			 uint64_t now, uint64_t limit)
{
	while (now < limit) {
		uint64_t da, db, d;

		sink_pump(bu, a, b, k, now);
		da = isotp_deadline(a);
		db = isotp_deadline(b);
		d = da < db ? da : db;
		if (d == UINT64_MAX)
			break; /* both idle: nothing more to drain for */
		if (k->drain_ns && k->next_drain < d)
			d = k->next_drain;
		now = d > now ? d : now + 1;
	}
	return now;
}

/* len bytes A -> B through a sink of cap bytes drained every drain_ns;
 * B's own buffer holds 64.  Returns the FC WAITs B sent. */
static unsigned int rx_stream_transfer(struct isotp_cfg *c, size_t len, size_t cap,
				       uint64_t drain_ns)
{
	static uint8_t msg[300000], got[300000], small[64];
	struct isotp a, b;
	struct sink k;
	size_t i;

	for (i = 0; i < len; i++)
		msg[i] = (uint8_t)(i * 13 + (i >> 9));
	memset(&bus, 0, sizeof(bus));
	memset(&k, 0, sizeof(k));
	memset(got, 0, len);
	k.got = got;
	k.cap = k.room = cap;
	k.drain_ns = drain_ns;
	pair(&a, &b, c, small, sizeof(small));
	b.cfg.rx_stream = 1;
	isotp_rx_room(&b, cap);
	CU_ASSERT_EQUAL_FATAL(isotp_send(&a, msg, len, 0), 0);
	sink_run(&bus, &a, &b, &k, 0, 3600 * 1000 * MS);
	CU_ASSERT(bus.ev_a & ISOTP_EV_TX_DONE);
	CU_ASSERT_EQUAL(bus.ev_a & ISOTP_EV_TX_ERR, 0);
	CU_ASSERT_EQUAL(bus.ev_b & (ISOTP_EV_RX_ERR | ISOTP_EV_RX), 0);
	CU_ASSERT_EQUAL(k.bad, 0);
	CU_ASSERT_EQUAL(k.pos, len);
	CU_ASSERT_EQUAL(b.rx_pos, len);
	CU_ASSERT(b.rx_streamed);
	CU_ASSERT(!memcmp(got, msg, len));
	return k.wait_fc;
}

/* Pieces in order whatever the consumer's room (so at every block size
 * the FC can give), classic and FD, 12- and 32-bit first frames. */
static void test_rx_stream_pieces(void)
{
	static const size_t lens[] = {65, 100, 4095, 4096, 5000, 70000};
	/* from one consecutive frame's bytes up: less never gets a CTS */
	static const size_t caps[] = {7, 8, 13, 14, 62, 63, 64, 100, 127, 1000, 300000};
	struct isotp_cfg c;
	size_t li, ci, fd;

	for (fd = 0; fd < 2; fd++)
		for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
			for (ci = 0; ci < sizeof(caps) / sizeof(caps[0]); ci++) {
				cfg_classic(&c);
				if (fd)
					c.tx_dl = 64;
				if ((fd && caps[ci] < 63) || (lens[li] > 5000 && caps[ci] < 100))
					continue;
				rx_stream_transfer(&c, lens[li], caps[ci], 1 * MS);
			}
	/* the consumer's room bounds the blocks, the configured BS too */
	cfg_classic(&c);
	c.bs = 3;
	rx_stream_transfer(&c, 5000, 1000, 1 * MS);
	CU_ASSERT_EQUAL(bus.fr[1].f.data[1], 3);
	cfg_classic(&c);
	rx_stream_transfer(&c, 5000, 70, 1 * MS);
	CU_ASSERT_EQUAL(bus.fr[1].f.data[0], 0x30);
	CU_ASSERT_EQUAL(bus.fr[1].f.data[1], 9); /* (70 - 6) / 7 */
	/* everything fits: blocks of ISOTP_RX_STREAM_BS all the same */
	rx_stream_transfer(&c, 5000, 5000, 1 * MS);
	CU_ASSERT_EQUAL(bus.fr[1].f.data[1], ISOTP_RX_STREAM_BS);
	/* the last block: only the frames left */
	rx_stream_transfer(&c, 6 + 7 * 10, 5000, 1 * MS);
	CU_ASSERT_EQUAL(bus.fr[1].f.data[1], 10);
}

/* A consumer without room: FC WAIT every ISOTP_RX_WAIT_MS (N_Cr does not
 * run meanwhile), then CTS once room comes back, and the rest arrives. */
static void test_rx_stream_wait(void)
{
	static uint8_t msg[2000], got[2000], small[64];
	struct isotp_cfg c;
	struct isotp a, b;
	struct sink k;
	unsigned int i, w;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i ^ (i >> 3));
	cfg_classic(&c);
	memset(&bus, 0, sizeof(bus));
	memset(&k, 0, sizeof(k));
	k.got = got;
	k.cap = k.room = 100;
	pair(&a, &b, &c, small, sizeof(small));
	b.cfg.rx_stream = 1;
	isotp_rx_room(&b, 100);
	CU_ASSERT_EQUAL(isotp_send(&a, msg, sizeof(msg), 0), 0);
	sink_pump(&bus, &a, &b, &k, 0);
	CU_ASSERT(bus.ev_b & ISOTP_EV_RX_FF);
	/* FF, CTS BS 13 (the 94 bytes left / 7), 13 CFs, the sink full: WAIT */
	CU_ASSERT_EQUAL(bus.fr[1].f.data[1], 13);
	CU_ASSERT_EQUAL(k.pos, 6 + 13 * 7);
	CU_ASSERT_EQUAL(k.wait_fc, 1);
	CU_ASSERT_EQUAL(isotp_deadline(&b), ISOTP_RX_WAIT_MS * MS);
	for (i = 1; i <= 4; i++)
		sink_pump(&bus, &a, &b, &k, i * ISOTP_RX_WAIT_MS * MS);
	/* the sender (N_Bs 1000 ms) kept waiting through 5 WAITs */
	CU_ASSERT_EQUAL(k.wait_fc, 5);
	CU_ASSERT_EQUAL(bus.ev_a & ISOTP_EV_TX_ERR, 0);
	CU_ASSERT_EQUAL(bus.ev_b & ISOTP_EV_RX_ERR, 0);
	CU_ASSERT_EQUAL(k.pos, 6 + 13 * 7);
	/* room again: CTS at once, the next block comes */
	w = bus.n;
	k.used = 0;
	k.room = 100;
	isotp_rx_room(&b, 100);
	CU_ASSERT_EQUAL(isotp_deadline(&b), 0);
	sink_pump(&bus, &a, &b, &k, (4 * ISOTP_RX_WAIT_MS + 1) * MS);
	CU_ASSERT_EQUAL(bus.fr[w].f.data[0], 0x30);
	CU_ASSERT_EQUAL(bus.t[w], (4 * ISOTP_RX_WAIT_MS + 1) * MS);
	CU_ASSERT_EQUAL(k.pos, 6 + 27 * 7);
	k.drain_ns = 10 * MS;
	k.next_drain = (4 * ISOTP_RX_WAIT_MS + 10) * MS;
	sink_run(&bus, &a, &b, &k, (4 * ISOTP_RX_WAIT_MS + 1) * MS, 100000 * MS);
	CU_ASSERT(bus.ev_a & ISOTP_EV_TX_DONE);
	CU_ASSERT_EQUAL(bus.ev_b & ISOTP_EV_RX_ERR, 0);
	CU_ASSERT_EQUAL(k.bad, 0);
	CU_ASSERT_EQUAL(k.pos, sizeof(msg));
	CU_ASSERT(!memcmp(got, msg, sizeof(msg)));
	/* a slower consumer still completes, through many WAITs */
	cfg_classic(&c);
	CU_ASSERT(rx_stream_transfer(&c, 3000, 50, 600 * MS) > 10);
}

/* Past WFTmax WAITs in a row: FC overflow, the reception reported
 * aborted (N_WFTmax), the sender stopped; WFTmax 0: no WAIT at all. */
static void test_rx_stream_wftmax(void)
{
	static uint8_t msg[1000], got[1000], small[64];
	struct isotp_cfg c;
	struct isotp a, b;
	struct sink k;
	unsigned int wft;

	for (wft = 0; wft <= 3; wft++) {
		cfg_classic(&c);
		memset(&bus, 0, sizeof(bus));
		memset(&k, 0, sizeof(k));
		k.got = got;
		k.cap = k.room = 50;
		pair(&a, &b, &c, small, sizeof(small));
		b.cfg.rx_stream = 1;
		b.cfg.wftmax = (uint8_t)wft;
		isotp_rx_room(&b, 50);
		isotp_send(&a, msg, sizeof(msg), 0);
		sink_run(&bus, &a, &b, &k, 0, 100000 * MS);
		CU_ASSERT_EQUAL(k.wait_fc, wft);
		CU_ASSERT(bus.ev_b & ISOTP_EV_RX_ERR);
		CU_ASSERT_EQUAL(b.rx_err, -ECONNABORTED);
		CU_ASSERT_STRING_EQUAL(b.timer, "N_WFTmax");
		CU_ASSERT_EQUAL(b.rx_state, ISOTP_RX_IDLE);
		CU_ASSERT(b.rx_streamed);
		/* the last frame on the bus: B's overflow, which ends A's send */
		CU_ASSERT_EQUAL(bus.fr[bus.n - 1].f.data[0], 0x32);
		CU_ASSERT(bus.ev_a & ISOTP_EV_TX_ERR);
		CU_ASSERT_EQUAL(a.tx_err, -EOVERFLOW);
		/* at the WAIT due after the last (the same round, or the next ns) */
		CU_ASSERT(bus.t[bus.n - 1] - wft * ISOTP_RX_WAIT_MS * MS <= 1);
	}
}

/* Streaming only beyond the buffer and only when asked: a message that
 * fits comes whole; without rx_stream a longer one gets FC overflow as
 * before; a stream cut mid-way (sender gone: N_Cr; a new message) is
 * reported as RX_ERR with rx_streamed set. */
static void test_rx_stream_edges(void)
{
	static uint8_t msg[1000], got[1000], small[64];
	struct isotp_cfg c;
	struct isotp a, b;
	struct sink k;
	struct cf_frame sf;
	uint8_t sfd[8] = {0x02, 0x50, 0x01, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC};

	cfg_classic(&c);
	memset(&bus, 0, sizeof(bus));
	memset(&k, 0, sizeof(k));
	k.got = got;
	k.cap = k.room = 1000;
	pair(&a, &b, &c, small, sizeof(small));
	b.cfg.rx_stream = 1;
	isotp_send(&a, msg, 64, 0);
	sink_run(&bus, &a, &b, &k, 0, 100000 * MS);
	CU_ASSERT(bus.ev_b & ISOTP_EV_RX);
	CU_ASSERT_EQUAL(bus.ev_b & ISOTP_EV_RX_PIECE, 0);
	CU_ASSERT_EQUAL(b.rx_len, 64);
	CU_ASSERT(!b.rx_streamed);
	/* not streaming: overflow, as always */
	memset(&bus, 0, sizeof(bus));
	pair(&a, &b, &c, small, sizeof(small));
	isotp_send(&a, msg, 65, 0);
	run(&bus, &a, &b, 0, 100000 * MS);
	CU_ASSERT_EQUAL(bus.n, 2);
	CU_ASSERT_EQUAL(bus.fr[1].f.data[0], 0x32);
	CU_ASSERT_EQUAL(b.rx_err, -EMSGSIZE);
	CU_ASSERT_EQUAL(bus.ev_b & ISOTP_EV_RX_PIECE, 0);
	/* the sender vanishes mid-way: N_Cr ends the stream */
	memset(&bus, 0, sizeof(bus));
	memset(&k, 0, sizeof(k));
	k.got = got;
	k.cap = k.room = 1000;
	pair(&a, &b, &c, small, sizeof(small));
	b.cfg.rx_stream = 1;
	b.cfg.stmin = 10; /* one CF per 10 ms */
	isotp_rx_room(&b, 1000);
	isotp_send(&a, msg, sizeof(msg), 0);
	sink_pump(&bus, &a, &b, &k, 0);
	sink_pump(&bus, &a, &b, &k, 11 * MS);
	CU_ASSERT_EQUAL(k.pos, 6 + 2 * 7);
	CU_ASSERT_EQUAL(bus.ev_b & ISOTP_EV_RX_ERR, 0);
	isotp_tx_abort(&a);
	CU_ASSERT_EQUAL(isotp_deadline(&b), 1011 * MS);
	sink_run(&bus, &a, &b, &k, 12 * MS, 100000 * MS);
	CU_ASSERT(bus.ev_b & ISOTP_EV_RX_ERR);
	CU_ASSERT_EQUAL(b.rx_err, -ETIMEDOUT);
	CU_ASSERT_STRING_EQUAL(b.timer, "N_Cr");
	CU_ASSERT(b.rx_streamed && b.rx_pos < b.rx_len);
	/* a single frame in the middle: the stream reported cut, the new
	 * message delivered */
	memset(&bus, 0, sizeof(bus));
	pair(&a, &b, &c, small, sizeof(small));
	b.cfg.rx_stream = 1;
	isotp_rx_room(&b, 1000);
	isotp_send(&a, msg, sizeof(msg), 0);
	sink_pump(&bus, &a, &b, &k, 0);
	CU_ASSERT_EQUAL(b.rx_state, ISOTP_RX_CF);
	memset(&sf, 0, sizeof(sf));
	sf.id = 0x7E0;
	sf.len = 8;
	sf.data = sfd;
	isotp_tx_abort(&a);
	CU_ASSERT_EQUAL(isotp_input(&b, &sf, 2 * MS), ISOTP_EV_RX_ERR | ISOTP_EV_RX);
	CU_ASSERT_EQUAL(b.rx_err, -ECONNRESET);
	CU_ASSERT_EQUAL(b.rx_len, 2);
	/* the consumer gives up: overflow tells the sender, nothing more */
	memset(&bus, 0, sizeof(bus));
	pair(&a, &b, &c, small, sizeof(small));
	b.cfg.rx_stream = 1;
	isotp_send(&a, msg, sizeof(msg), 0);
	pump(&bus, &a, &b, 0);
	CU_ASSERT(bus.ev_b & ISOTP_EV_RX_FF);
	isotp_rx_abort(&b);
	run(&bus, &a, &b, 0, 100000 * MS);
	CU_ASSERT_EQUAL(bus.fr[bus.n - 1].f.data[0], 0x32);
	CU_ASSERT_EQUAL(a.tx_err, -EOVERFLOW);
	CU_ASSERT_EQUAL(bus.ev_b & ISOTP_EV_RX_ERR, 0);
	CU_ASSERT_EQUAL(b.rx_state, ISOTP_RX_IDLE);
}

static int register_isotp_tests(void)
{
	CU_pSuite s = CU_add_suite("isotp (ISO 15765-2 engine)", NULL, NULL);

	if (!s || !CU_add_test(s, "classic: every length edge", test_lengths_classic) ||
	    !CU_add_test(s, "FD: escape SF/FF, up to 1 MiB", test_lengths_fd) ||
	    !CU_add_test(s, "extended, fixed and mixed addressing", test_addressing) ||
	    !CU_add_test(s, "FC WAIT, BS, OVFLW", test_flow_control) ||
	    !CU_add_test(s, "sequence numbers, restarts, bad SF/FF", test_sequence_and_restart) ||
	    !CU_add_test(s, "N_As N_Ar N_Bs N_Cs N_Cr", test_timeouts) ||
	    !CU_add_test(s, "STmin ms and us, forced", test_stmin) ||
	    !CU_add_test(s, "receive padding checks", test_padding_checks) ||
	    !CU_add_test(s, "garbage frames", test_garbage) ||
	    !CU_add_test(s, "functional channel: single frames only", test_functional) ||
	    !CU_add_test(s, "stream: pieces split at every boundary", test_stream_pieces) ||
	    !CU_add_test(s, "stream: starved, then fed; STmin holds", test_stream_starve) ||
	    !CU_add_test(s, "stream: 32-bit FF length, refusals", test_stream_ff32) ||
	    !CU_add_test(s, "stream: N_Cs on a stalled feeder, abort", test_stream_abort) ||
	    !CU_add_test(s, "rx stream: pieces in order at every split", test_rx_stream_pieces) ||
	    !CU_add_test(s, "rx stream: FC WAIT, then CTS with room", test_rx_stream_wait) ||
	    !CU_add_test(s, "rx stream: WFTmax exceeded aborts", test_rx_stream_wftmax) ||
	    !CU_add_test(s, "rx stream: fits whole, off, cut mid-way", test_rx_stream_edges))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(isotp, register_isotp_tests)
