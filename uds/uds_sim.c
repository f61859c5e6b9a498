/* SPDX-License-Identifier: MIT */
/*
 * uds_sim.c - the simulated ECU engine: UDS (ISO 14229-1) services with
 * their negative response codes in the order of ISO 14229-1 figures 5-7,
 * and the OBD-II modes of SAE J1979 / ISO 15031-5.  No I/O, no clock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uds.h"
#include "uds_sim.h"

#define MS 1000000ull

/* the UDS vocabulary this file needs (uds.h belongs to the client) */
#define SID_NEG 0x7F
#define POS	0x40
#define SPR	0x80

#define NRC_SNS	    0x11 /* serviceNotSupported */
#define NRC_SFNS    0x12 /* subFunctionNotSupported */
#define NRC_IMLOIF  0x13 /* incorrectMessageLengthOrInvalidFormat */
#define NRC_RTL	    0x14 /* responseTooLong */
#define NRC_BRR	    0x21 /* busyRepeatRequest */
#define NRC_CNC	    0x22 /* conditionsNotCorrect */
#define NRC_RSE	    0x24 /* requestSequenceError */
#define NRC_ROOR    0x31 /* requestOutOfRange */
#define NRC_SAD	    0x33 /* securityAccessDenied */
#define NRC_IK	    0x35 /* invalidKey */
#define NRC_ENOA    0x36 /* exceededNumberOfAttempts */
#define NRC_RTDNE   0x37 /* requiredTimeDelayNotExpired */
#define NRC_TDS	    0x71 /* transferDataSuspended */
#define NRC_GPF	    0x72 /* generalProgrammingFailure */
#define NRC_WBSC    0x73 /* wrongBlockSequenceCounter */
#define NRC_RCRRP   0x78 /* requestCorrectlyReceived-ResponsePending */
#define NRC_SFNSIAS 0x7E /* subFunctionNotSupportedInActiveSession */
#define NRC_SNSIAS  0x7F /* serviceNotSupportedInActiveSession */

#define NO_ANSWER (-1)

#define DEFAULT_SESSION 0x01

/* DTC status bits the OBD modes read */
#define DTC_PENDING   0x04
#define DTC_CONFIRMED 0x08

static const uint8_t uds_services[] = {0x10, 0x11, 0x14, 0x19, 0x22, 0x23, 0x27, 0x28, 0x2E,
				       0x2F, 0x31, 0x34, 0x36, 0x37, 0x3D, 0x3E, 0x85};
static const uint8_t obd_modes[] = {0x01, 0x03, 0x04, 0x07, 0x09, 0x0A};

int uds_sim_implements(uint8_t sid)
{
	size_t i;

	for (i = 0; i < sizeof(uds_services); i++)
		if (uds_services[i] == sid)
			return 1;
	for (i = 0; i < sizeof(obd_modes); i++)
		if (obd_modes[i] == sid)
			return 1;
	return 0;
}

void uds_sim_all_services(uint8_t *sids)
{
	size_t i;

	memset(sids, 0, UDS_SIM_SID_MAP);
	for (i = 0; i < sizeof(uds_services); i++)
		uds_sim_map_set(sids, uds_services[i]);
}

/* services whose second byte is a sub-function with the suppress bit */
static int has_sub(uint8_t sid)
{
	switch (sid) {
	case 0x10:
	case 0x11:
	case 0x19:
	case 0x27:
	case 0x28:
	case 0x31:
	case 0x3E:
	case 0x85:
		return 1;
	}
	return 0;
}

void uds_sim_cfg_init(struct uds_sim_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->s3_ms = 5000;
	c->max_response = 4095;
	c->dtc_avail_mask = 0xFF;
}

/* ---- response writer: overflow is remembered, answered with 0x14 */

struct wr {
	uint8_t *p;
	size_t n, cap;
	int over;
};

static void put(struct wr *w, const void *src, size_t n)
{
	if (w->over || n > w->cap - w->n) {
		w->over = 1;
		return;
	}
	if (n)
		memcpy(w->p + w->n, src, n);
	w->n += n;
}

static void put8(struct wr *w, uint8_t v)
{
	put(w, &v, 1);
}

static void put16(struct wr *w, uint16_t v)
{
	put8(w, (uint8_t)(v >> 8));
	put8(w, (uint8_t)v);
}

static void put24(struct wr *w, uint32_t v)
{
	put8(w, (uint8_t)(v >> 16));
	put16(w, (uint16_t)v);
}

static void put_fill(struct wr *w, uint8_t v, size_t n)
{
	while (n-- && !w->over)
		put8(w, v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be(const uint8_t *p, unsigned int n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* ---- lookups */

static int map_empty(const uint8_t *m, size_t n)
{
	while (n--)
		if (*m++)
			return 0;
	return 1;
}

static const struct uds_sim_session *find_session(const struct uds_sim *s, uint8_t id)
{
	size_t i;

	for (i = 0; i < s->cfg->nsessions; i++)
		if (s->cfg->sessions[i].id == id)
			return &s->cfg->sessions[i];
	return NULL;
}

static int session_ok(const struct uds_sim *s, const uint8_t *sessions)
{
	return map_empty(sessions, UDS_SIM_SESSION_MAP) ||
	       uds_sim_map_has(sessions, s->session->id & 0x7F);
}

/*
 * 0 if a is satisfied now, else the NRC: session_nrc when the active
 * session is not allowed, 0x33 when no unlocking level is active.
 */
static int access_nrc(const struct uds_sim *s, const struct uds_sim_access *a, int session_nrc)
{
	if (!session_ok(s, a->sessions))
		return session_nrc;
	if (a->security && !(s->unlocked && (a->security & UDS_SIM_LEVEL_BIT(s->unlocked))))
		return NRC_SAD;
	return 0;
}

static int find_did(const struct uds_sim *s, uint16_t id)
{
	size_t i;

	for (i = 0; i < s->cfg->ndids; i++)
		if (s->cfg->dids[i].id == id)
			return (int)i;
	return -1;
}

static int find_io(const struct uds_sim *s, uint16_t id)
{
	size_t i;

	for (i = 0; i < s->cfg->nios; i++)
		if (s->cfg->ios[i].did == id)
			return (int)i;
	return -1;
}

static int find_dtc(const struct uds_sim *s, uint32_t code)
{
	size_t i;

	for (i = 0; i < s->cfg->ndtcs; i++)
		if (s->cfg->dtcs[i].code == code)
			return (int)i;
	return -1;
}

/* ---- state changes */

static void relock(struct uds_sim *s)
{
	s->unlocked = 0;
	s->seed_level = 0;
}

static void reset_io(struct uds_sim *s)
{
	size_t i;

	for (i = 0; i < s->cfg->nios; i++) {
		const struct uds_sim_io *io = &s->cfg->ios[i];

		if (io->initial)
			memcpy(s->store + s->io_off[i], io->initial, io->len);
		else
			memset(s->store + s->io_off[i], 0, io->len);
	}
}

/* ISO 14229-1: any transition but default -> default relocks; falling
 * back to default also ends IO control, CommunicationControl and
 * ControlDTCSetting.  A transfer never survives a session change. */
static void set_session(struct uds_sim *s, const struct uds_sim_session *to)
{
	int was_default = s->session->id == DEFAULT_SESSION;

	if (!(was_default && to->id == DEFAULT_SESSION)) {
		relock(s);
		s->dl_active = 0;
	}
	if (to->id == DEFAULT_SESSION && !was_default) {
		reset_io(s);
		s->comm_ctl = 0;
		s->comm_type = 0;
		s->dtc_setting_off = 0;
	}
	s->session = to;
}

static void clear_dtc(struct uds_sim *s, size_t i)
{
	s->dtc_status[i] = 0;
	s->dtc_cleared[i] = 1;
}

/* ---- services */

static int svc_session(struct uds_sim *s, const uint8_t *req, size_t len, struct wr *w)
{
	const struct uds_sim_session *to;

	if (len < 2)
		return NRC_IMLOIF;
	to = find_session(s, req[1] & 0x7F);
	if (!to)
		return NRC_SFNS;
	if (len != 2)
		return NRC_IMLOIF;
	set_session(s, to);
	put8(w, 0x50);
	put8(w, req[1] & 0x7F);
	put16(w, to->p2_ms);
	put16(w, (uint16_t)(to->p2star_ms / 10 > 0xFFFF ? 0xFFFF : to->p2star_ms / 10));
	return 0;
}

static int svc_reset(struct uds_sim *s, const uint8_t *req, size_t len, struct wr *w)
{
	uint8_t sub;

	if (len < 2)
		return NRC_IMLOIF;
	sub = req[1] & 0x7F;
	if (sub < 1 || sub > 3)
		return NRC_SFNS;
	if (len != 2)
		return NRC_IMLOIF;
	set_session(s, find_session(s, DEFAULT_SESSION));
	relock(s);
	s->dl_active = 0;
	reset_io(s);
	s->comm_ctl = s->comm_type = s->dtc_setting_off = 0;
	put8(w, 0x51);
	put8(w, sub);
	return 0;
}

static int svc_tester_present(const uint8_t *req, size_t len, struct wr *w)
{
	if (len < 2)
		return NRC_IMLOIF;
	if ((req[1] & 0x7F) != 0)
		return NRC_SFNS;
	if (len != 2)
		return NRC_IMLOIF;
	put8(w, 0x7E);
	put8(w, 0x00);
	return 0;
}

static uint64_t prng_next(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545F4914F6CDD1Dull;
}

static int compute_key(struct uds_sim *s, const struct uds_sim_security *l, const uint8_t *seed)
{
	size_t i, n = l->seed_len;
	unsigned int carry = 0;

	switch (l->algo) {
	case UDS_SIM_KEY_XOR:
		for (i = 0; i < n; i++)
			s->key[i] = seed[i] ^ (uint8_t)(l->constant >> (8 * (3 - i % 4)));
		break;
	case UDS_SIM_KEY_ADD:
		/* big-endian add, the constant in the last four bytes */
		for (i = n; i-- > 0;) {
			size_t from_end = n - 1 - i;
			unsigned int b = from_end < 4 ? (l->constant >> (8 * from_end)) & 0xFF : 0;
			unsigned int v = seed[i] + b + carry;

			s->key[i] = (uint8_t)v;
			carry = v >> 8;
		}
		break;
	case UDS_SIM_KEY_NOT:
		for (i = 0; i < n; i++)
			s->key[i] = (uint8_t)~seed[i];
		break;
	default: {
		int e;

		if (!s->cfg->key_fn)
			return -ENOSYS;
		e = s->cfg->key_fn(s->cfg->cb_ctx, l->level, seed, n, s->key, sizeof(s->key), &n);
		if (e)
			return e;
		if (n > sizeof(s->key))
			return -EOVERFLOW;
	}
	}
	s->keylen = n;
	return 0;
}

static int svc_security(struct uds_sim *s, const uint8_t *req, size_t len, uint64_t now,
			struct wr *w)
{
	const struct uds_sim_security *l = NULL;
	uint8_t sub, level, seed[UDS_SIM_SEED_MAX];
	size_t i, li = 0;
	unsigned int max;

	if (len < 2)
		return NRC_IMLOIF;
	sub = req[1] & 0x7F;
	level = (sub & 1) ? sub : (uint8_t)(sub - 1);
	for (i = 0; sub && sub < 0x7F && i < s->cfg->nsecurity; i++)
		if (s->cfg->security[i].level == level) {
			l = &s->cfg->security[i];
			li = i;
		}
	if (!l)
		return NRC_SFNS;
	if (!session_ok(s, l->sessions))
		return NRC_SFNSIAS;
	max = l->max_attempts ? l->max_attempts : 3;
	if (sub & 1) {
		if (s->locked_until[li] > now)
			return NRC_RTDNE;
		put8(w, 0x67);
		put8(w, sub);
		if (s->unlocked == level) {
			put_fill(w, 0, l->seed_len);
			return 0;
		}
		if (l->fixed_seed) {
			memcpy(seed, l->fixed_seed, l->seed_len);
		} else {
			uint64_t r = 0;

			for (i = 0; i < l->seed_len; i++) {
				if (i % 8 == 0)
					r = prng_next(&s->prng);
				seed[i] = (uint8_t)(r >> (8 * (i % 8)));
			}
		}
		/* an all-zero seed would mean "already unlocked" */
		if (map_empty(seed, l->seed_len))
			seed[l->seed_len - 1] = 1;
		if (compute_key(s, l, seed)) {
			s->seed_level = 0;
			return NRC_CNC;
		}
		s->seed_level = level;
		put(w, seed, l->seed_len);
		return 0;
	}
	if (s->seed_level != level)
		return NRC_RSE;
	s->seed_level = 0;
	if (len - 2 != s->keylen)
		return NRC_IMLOIF;
	if (memcmp(req + 2, s->key, s->keylen)) {
		if (++s->attempts[li] >= max) {
			s->attempts[li] = 0;
			s->locked_until[li] = now + (uint64_t)l->delay_ms * MS;
			return NRC_ENOA;
		}
		return NRC_IK;
	}
	s->attempts[li] = 0;
	s->unlocked = level;
	put8(w, 0x67);
	put8(w, sub);
	return 0;
}

/* Writes the current value of DID i (advancing counters). */
static void read_did(struct uds_sim *s, size_t i, uint64_t now, struct wr *w)
{
	const struct uds_sim_did *d = &s->cfg->dids[i];
	uint8_t *v = s->store + s->did_off[i];
	size_t k;

	put16(w, d->id);
	if (d->kind == UDS_SIM_DID_CLOCK) {
		uint64_t ms = (now - s->t0) / MS;

		for (k = d->len; k-- > 0;) {
			v[k] = (uint8_t)ms;
			ms >>= 8;
		}
		put(w, v, d->len);
		return;
	}
	put(w, v, d->len);
	if (d->kind == UDS_SIM_DID_COUNTER)
		for (k = d->len; k-- > 0;)
			if (++v[k])
				break;
}

static int svc_read_did(struct uds_sim *s, const uint8_t *req, size_t len, uint64_t now,
			struct wr *w)
{
	size_t k, found = 0;
	int pass, e;

	if (len < 3 || (len - 1) % 2)
		return NRC_IMLOIF;
	/* pass 0 checks everything, pass 1 answers: no side effect on NRCs */
	for (pass = 0; pass < 2; pass++) {
		if (pass)
			put8(w, 0x62);
		for (k = 1; k < len; k += 2) {
			uint16_t id = get16(req + k);
			int i = find_did(s, id), j;

			if (i >= 0) {
				e = access_nrc(s, &s->cfg->dids[i].read, NRC_ROOR);
				if (e == NRC_ROOR)
					continue; /* not in this session: as unknown */
				if (e)
					return e;
				if (pass)
					read_did(s, (size_t)i, now, w);
				found++;
				continue;
			}
			j = find_io(s, id);
			if (j < 0 || !session_ok(s, s->cfg->ios[j].access.sessions))
				continue;
			found++;
			if (pass) {
				put16(w, id);
				put(w, s->store + s->io_off[j], s->cfg->ios[j].len);
			}
		}
		/* ISO 14229-1: 0x31 only when none of the DIDs is supported */
		if (!found)
			return NRC_ROOR;
	}
	return 0;
}

static int svc_write_did(struct uds_sim *s, const uint8_t *req, size_t len, struct wr *w)
{
	const struct uds_sim_did *d;
	int i, e;

	if (len < 4)
		return NRC_IMLOIF;
	i = find_did(s, get16(req + 1));
	if (i < 0)
		return NRC_ROOR;
	d = &s->cfg->dids[i];
	if (!d->writable || d->kind != UDS_SIM_DID_DATA)
		return NRC_ROOR;
	e = access_nrc(s, &d->write, NRC_ROOR);
	if (e)
		return e;
	if (len - 3 != d->len)
		return NRC_IMLOIF;
	memcpy(s->store + s->did_off[i], req + 3, d->len);
	put8(w, 0x6E);
	put(w, req + 1, 2);
	return 0;
}

static int svc_io_control(struct uds_sim *s, const uint8_t *req, size_t len, struct wr *w)
{
	const struct uds_sim_io *io;
	uint8_t opt, *state;
	int i, e;

	if (len < 4)
		return NRC_IMLOIF;
	i = find_io(s, get16(req + 1));
	if (i < 0)
		return NRC_ROOR;
	io = &s->cfg->ios[i];
	if (!session_ok(s, io->access.sessions))
		return NRC_ROOR;
	opt = req[3];
	if (opt > 3)
		return NRC_ROOR;
	if (len != (opt == 3 ? 4 + io->len : 4))
		return NRC_IMLOIF;
	e = access_nrc(s, &io->access, NRC_ROOR);
	if (e)
		return e;
	state = s->store + s->io_off[i];
	switch (opt) {
	case 0: /* returnControlToECU */
	case 1: /* resetToDefault */
		if (io->initial)
			memcpy(state, io->initial, io->len);
		else
			memset(state, 0, io->len);
		break;
	case 2: /* freezeCurrentState */
		break;
	case 3: /* shortTermAdjustment */
		memcpy(state, req + 4, io->len);
		break;
	}
	put8(w, 0x6F);
	put(w, req + 1, 2);
	put8(w, opt);
	put(w, state, io->len);
	return 0;
}

static int svc_routine(struct uds_sim *s, const uint8_t *req, size_t len, struct wr *w,
		       uint32_t *delay)
{
	const struct uds_sim_routine *r = NULL;
	uint8_t sub;
	size_t i;
	int e;

	if (len < 4)
		return NRC_IMLOIF;
	sub = req[1] & 0x7F;
	if (sub < 1 || sub > 3)
		return NRC_SFNS;
	for (i = 0; i < s->cfg->nroutines && !r; i++)
		if (s->cfg->routines[i].id == get16(req + 2))
			r = &s->cfg->routines[i];
	if (!r)
		return NRC_ROOR;
	i--;
	e = access_nrc(s, &r->access, NRC_ROOR);
	if (e)
		return e;
	/* state: 0 never started, 1 running, 2 stopped */
	if (sub == 2 && s->routine_state[i] != 1)
		return NRC_RSE;
	if (sub == 3 && s->routine_state[i] == 0)
		return NRC_RSE;
	put8(w, 0x71);
	put8(w, sub);
	put(w, req + 2, 2);
	if (sub == 1) {
		s->routine_state[i] = 1;
		put(w, r->start_rec, r->start_len);
		*delay = r->pending_ms;
	} else if (sub == 2) {
		s->routine_state[i] = 2;
	} else {
		put(w, r->result, r->result_len);
	}
	return 0;
}

static int svc_comm_control(struct uds_sim *s, const uint8_t *req, size_t len, struct wr *w)
{
	uint8_t ctl;

	if (len < 2)
		return NRC_IMLOIF;
	ctl = req[1] & 0x7F;
	if (ctl > 3) /* 04/05 need a node id this ECU does not have */
		return NRC_SFNS;
	if (len != 3)
		return NRC_IMLOIF;
	if (!(req[2] & 0x03))
		return NRC_ROOR;
	s->comm_ctl = ctl;
	s->comm_type = req[2];
	put8(w, 0x68);
	put8(w, ctl);
	return 0;
}

static int svc_dtc_setting(struct uds_sim *s, const uint8_t *req, size_t len, struct wr *w)
{
	uint8_t sub;

	if (len < 2)
		return NRC_IMLOIF;
	sub = req[1] & 0x7F;
	if (sub != 1 && sub != 2)
		return NRC_SFNS;
	s->dtc_setting_off = sub == 2;
	put8(w, 0xC5);
	put8(w, sub);
	return 0;
}

static int svc_clear_dtc(struct uds_sim *s, const uint8_t *req, size_t len, struct wr *w)
{
	uint32_t group;
	size_t i;
	int k;

	if (len != 4)
		return NRC_IMLOIF;
	group = get_be(req + 1, 3);
	if (group == 0xFFFFFF) {
		for (i = 0; i < s->cfg->ndtcs; i++)
			clear_dtc(s, i);
	} else {
		k = find_dtc(s, group);
		if (k < 0)
			return NRC_ROOR;
		clear_dtc(s, (size_t)k);
	}
	put8(w, 0x54);
	return 0;
}

static void put_dtc(struct uds_sim *s, size_t i, struct wr *w)
{
	put24(w, s->cfg->dtcs[i].code);
	put8(w, s->dtc_status[i] & s->cfg->dtc_avail_mask);
}

static int svc_read_dtc(struct uds_sim *s, const uint8_t *req, size_t len, struct wr *w)
{
	const struct uds_sim_dtc *d;
	uint8_t sub, avail = s->cfg->dtc_avail_mask, rec;
	size_t i, k;
	int di, found = 0;

	if (len < 2)
		return NRC_IMLOIF;
	sub = req[1] & 0x7F;
	switch (sub) {
	case 0x01:
	case 0x02: {
		uint16_t count = 0;

		if (len != 3)
			return NRC_IMLOIF;
		put8(w, 0x59);
		put8(w, sub);
		put8(w, avail);
		if (sub == 0x01)
			put8(w, 0x01); /* ISO 14229-1 DTC format */
		for (i = 0; i < s->cfg->ndtcs; i++) {
			if (!(s->dtc_status[i] & avail & req[2]))
				continue;
			count++;
			if (sub == 0x02)
				put_dtc(s, i, w);
		}
		if (sub == 0x01)
			put16(w, count);
		return 0;
	}
	case 0x04:
	case 0x06:
		if (len != 6)
			return NRC_IMLOIF;
		di = find_dtc(s, get_be(req + 2, 3));
		if (di < 0)
			return NRC_ROOR;
		d = &s->cfg->dtcs[di];
		rec = req[5];
		if (sub == 0x04) {
			for (k = 0; k < d->nsnapshots; k++)
				found |= rec == 0xFF || d->snapshots[k].record == rec;
		} else {
			for (k = 0; k < d->next; k++)
				found |= rec == 0xFF || d->ext[k].record == rec;
		}
		if (!found && rec != 0xFF)
			return NRC_ROOR;
		put8(w, 0x59);
		put8(w, sub);
		put_dtc(s, (size_t)di, w);
		if (s->dtc_cleared[di])
			return 0; /* records went with the clear */
		if (sub == 0x04) {
			for (k = 0; k < d->nsnapshots; k++) {
				const struct uds_sim_snapshot *sn = &d->snapshots[k];

				if (rec != 0xFF && sn->record != rec)
					continue;
				put8(w, sn->record);
				put8(w, (uint8_t)sn->ndids);
				for (i = 0; i < sn->ndids; i++) {
					put16(w, sn->dids[i].did);
					put(w, sn->dids[i].data, sn->dids[i].len);
				}
			}
		} else {
			for (k = 0; k < d->next; k++) {
				if (rec != 0xFF && d->ext[k].record != rec)
					continue;
				put8(w, d->ext[k].record);
				put(w, d->ext[k].data, d->ext[k].len);
			}
		}
		return 0;
	case 0x0A:
		if (len != 2)
			return NRC_IMLOIF;
		put8(w, 0x59);
		put8(w, sub);
		put8(w, avail);
		for (i = 0; i < s->cfg->ndtcs; i++)
			put_dtc(s, i, w);
		return 0;
	}
	return NRC_SFNS;
}

/*
 * Parses addressAndLengthFormatIdentifier + address + size at p (avail
 * bytes).  Returns 0, NRC 0x31 for a bad format, 0x13 when avail is not
 * exactly what the format needs plus extra.
 */
static int parse_alfid(const uint8_t *p, size_t avail, size_t extra, uint32_t *addr, uint32_t *size,
		       size_t *used)
{
	unsigned int na, ns;

	if (avail < 1)
		return NRC_IMLOIF;
	na = p[0] & 0x0F;
	ns = p[0] >> 4;
	if (na < 1 || na > 4 || ns < 1 || ns > 4)
		return NRC_ROOR;
	if (avail < 1 + na + ns || (extra != (size_t)-1 && avail != 1 + na + ns + extra))
		return NRC_IMLOIF;
	*addr = get_be(p + 1, na);
	*size = get_be(p + 1 + na, ns);
	*used = 1 + na + ns;
	return 0;
}

static int find_mem(const struct uds_sim *s, uint32_t addr, uint32_t size)
{
	size_t i;

	for (i = 0; i < s->cfg->nmems; i++) {
		const struct uds_sim_mem *m = &s->cfg->mems[i];

		if (addr >= m->addr && (uint64_t)addr + size <= (uint64_t)m->addr + m->size)
			return (int)i;
	}
	return -1;
}

static int svc_read_mem(struct uds_sim *s, const uint8_t *req, size_t len, struct wr *w)
{
	uint32_t addr, size;
	size_t used;
	int e, i;

	if (len < 2)
		return NRC_IMLOIF;
	e = parse_alfid(req + 1, len - 1, 0, &addr, &size, &used);
	if (e)
		return e;
	i = find_mem(s, addr, size);
	if (!size || i < 0 || size > w->cap - 1)
		return NRC_ROOR;
	e = access_nrc(s, &s->cfg->mems[i].read, NRC_ROOR);
	if (e)
		return e;
	put8(w, 0x63);
	put(w, s->store + s->mem_off[i] + (addr - s->cfg->mems[i].addr), size);
	return 0;
}

static int svc_write_mem(struct uds_sim *s, const uint8_t *req, size_t len, struct wr *w)
{
	uint32_t addr, size;
	size_t used;
	int e, i;

	if (len < 2)
		return NRC_IMLOIF;
	e = parse_alfid(req + 1, len - 1, (size_t)-1, &addr, &size, &used);
	if (e)
		return e;
	if (!size)
		return NRC_ROOR;
	if (len - 1 - used != size)
		return NRC_IMLOIF;
	i = find_mem(s, addr, size);
	if (i < 0 || !s->cfg->mems[i].writable)
		return NRC_ROOR;
	e = access_nrc(s, &s->cfg->mems[i].write, NRC_ROOR);
	if (e)
		return e;
	memcpy(s->store + s->mem_off[i] + (addr - s->cfg->mems[i].addr), req + 1 + used, size);
	put8(w, 0x7D);
	put(w, req + 1, used);
	return 0;
}

static int sink(struct uds_sim *s, int op, uint64_t off, const uint8_t *p, size_t n)
{
	if (!s->cfg->sink_fn)
		return 0;
	return s->cfg->sink_fn(s->cfg->cb_ctx, op, s->dl_addr, off, p, n);
}

static int svc_download(struct uds_sim *s, const uint8_t *req, size_t len, struct wr *w)
{
	const struct uds_sim_download *dl = &s->cfg->download;
	uint32_t addr, size, mb = dl->max_block;
	size_t used;
	unsigned int nb;
	int e;

	if (len < 3)
		return NRC_IMLOIF;
	e = parse_alfid(req + 2, len - 2, 0, &addr, &size, &used);
	if (e)
		return e;
	if (req[1] != 0x00) /* no compression or encryption here */
		return NRC_ROOR;
	if (!dl->enabled || !size || addr < dl->addr ||
	    (uint64_t)addr + size > (uint64_t)dl->addr + dl->size)
		return NRC_ROOR;
	e = access_nrc(s, &dl->access, NRC_CNC);
	if (e)
		return e;
	if (s->dl_active)
		return NRC_CNC;
	s->dl_addr = addr;
	if (sink(s, UDS_SIM_SINK_BEGIN, 0, NULL, size))
		return NRC_GPF;
	s->dl_active = 1;
	s->dl_size = size;
	s->dl_done = 0;
	s->dl_bsc = 0;
	s->dl_any = 0;
	s->dl_blocks = 0;
	s->dl_crc = 0;
	nb = mb > 0xFFFFFF ? 4 : mb > 0xFFFF ? 3 : mb > 0xFF ? 2 : 1;
	put8(w, 0x74);
	put8(w, (uint8_t)(nb << 4));
	while (nb--)
		put8(w, (uint8_t)(mb >> (8 * nb)));
	return 0;
}

static int svc_transfer(struct uds_sim *s, const uint8_t *req, size_t len, struct wr *w)
{
	size_t n;

	if (len < 2)
		return NRC_IMLOIF;
	if (!s->dl_active)
		return NRC_RSE;
	if (len > s->cfg->download.max_block)
		return NRC_IMLOIF;
	n = len - 2;
	if (req[1] == (uint8_t)(s->dl_bsc + 1)) {
		if (!n)
			return NRC_IMLOIF;
		/* the configured failure: as a flash write that failed */
		if (s->cfg->download.fail_block &&
		    s->dl_blocks + 1 == s->cfg->download.fail_block) {
			s->dl_active = 0;
			return s->cfg->download.fail_nrc ? s->cfg->download.fail_nrc : NRC_GPF;
		}
		if (s->dl_done + n > s->dl_size) {
			s->dl_active = 0;
			return NRC_TDS;
		}
		if (sink(s, UDS_SIM_SINK_DATA, s->dl_done, req + 2, n)) {
			s->dl_active = 0;
			return NRC_GPF;
		}
		s->dl_crc = uds_crc32(s->dl_crc, req + 2, n);
		s->dl_done += n;
		s->dl_bsc = req[1];
		s->dl_any = 1;
		s->dl_blocks++;
	} else if (!(s->dl_any && req[1] == s->dl_bsc)) {
		return NRC_WBSC;
	}
	/* else the repeat of the last block: answered, not written again */
	put8(w, 0x76);
	put8(w, req[1]);
	return 0;
}

static int svc_transfer_exit(struct uds_sim *s, struct wr *w)
{
	if (!s->dl_active || s->dl_done < s->dl_size)
		return NRC_RSE;
	s->dl_active = 0;
	if (sink(s, UDS_SIM_SINK_END, s->dl_done, NULL, (size_t)s->dl_done))
		return NRC_GPF;
	put8(w, 0x77);
	put8(w, (uint8_t)(s->dl_crc >> 24));
	put24(w, s->dl_crc & 0xFFFFFF);
	return 0;
}

/* ---- OBD-II */

static int obd_supported(const struct uds_sim_obd *o, unsigned int pid)
{
	size_t i;

	if (pid % 0x20 == 0) {
		if (pid == 0)
			return 1;
		for (i = 0; i < o->npids; i++)
			if (o->pids[i].pid > pid && o->pids[i].pid % 0x20)
				return 1;
		return 0;
	}
	for (i = 0; i < o->npids; i++)
		if (o->pids[i].pid == pid)
			return 1;
	return 0;
}

static void obd_bitmap(struct wr *w, uint32_t bits)
{
	put16(w, (uint16_t)(bits >> 16));
	put16(w, (uint16_t)bits);
}

static int obd_dtcs(struct uds_sim *s, uint8_t mode, struct wr *w)
{
	size_t i, count = 0, at;

	put8(w, (uint8_t)(mode + POS));
	at = w->n;
	put8(w, 0);
	for (i = 0; i < s->cfg->ndtcs; i++) {
		const struct uds_sim_dtc *d = &s->cfg->dtcs[i];
		int in = mode == 0x03	? (s->dtc_status[i] & DTC_CONFIRMED) != 0
			 : mode == 0x07 ? (s->dtc_status[i] & DTC_PENDING) != 0
					: d->permanent;

		if (!in)
			continue;
		put16(w, (uint16_t)(d->code >> 8));
		count++;
	}
	if (!w->over)
		w->p[at] = (uint8_t)(count > 0xFF ? 0xFF : count);
	return 0;
}

static int svc_obd(struct uds_sim *s, const uint8_t *req, size_t len, int functional, struct wr *w)
{
	const struct uds_sim_obd *o = &s->cfg->obd;
	size_t i, k, found = 0;
	/* J1979: an ECU with nothing to say about a PID stays silent */
	int none = functional ? NO_ANSWER : NRC_ROOR;

	switch (req[0]) {
	case 0x01:
		if (len < 2 || len > 7)
			return NRC_IMLOIF;
		put8(w, 0x41);
		for (k = 1; k < len; k++) {
			uint8_t pid = req[k];

			if (!obd_supported(o, pid))
				continue;
			found++;
			put8(w, pid);
			if (pid % 0x20 == 0) {
				uint32_t bits = 0;
				unsigned int b;

				for (b = 1; b <= 32 && pid + b <= 0xFF; b++)
					if (obd_supported(o, pid + b))
						bits |= 1u << (32 - b);
				obd_bitmap(w, bits);
				continue;
			}
			for (i = 0; i < o->npids; i++)
				if (o->pids[i].pid == pid) {
					put(w, o->pids[i].data, o->pids[i].len);
					break;
				}
		}
		return found ? 0 : none;
	case 0x03:
	case 0x07:
	case 0x0A:
		if (len != 1)
			return NRC_IMLOIF;
		return obd_dtcs(s, req[0], w);
	case 0x04:
		if (len != 1)
			return NRC_IMLOIF;
		for (i = 0; i < s->cfg->ndtcs; i++)
			clear_dtc(s, i);
		put8(w, 0x44);
		return 0;
	case 0x09:
		if (len != 2)
			return NRC_IMLOIF;
		put8(w, 0x49);
		put8(w, req[1]);
		switch (req[1]) {
		case 0x00:
			obd_bitmap(w, (o->vin ? 1u << (32 - 0x02) : 0) |
					      (o->ecu_name ? 1u << (32 - 0x0A) : 0));
			return 0;
		case 0x02:
			if (!o->vin)
				return none;
			put8(w, 1);
			put(w, o->vin, strlen(o->vin));
			return 0;
		case 0x0A:
			if (!o->ecu_name)
				return none;
			put8(w, 1);
			k = strlen(o->ecu_name);
			put(w, o->ecu_name, k > 20 ? 20 : k);
			put_fill(w, 0, k > 20 ? 0 : 20 - k);
			return 0;
		}
		return none;
	}
	return NRC_SNS;
}

/* ---- dispatch */

static int dispatch(struct uds_sim *s, const uint8_t *req, size_t len, int functional, uint64_t now,
		    struct wr *w, uint32_t *delay)
{
	uint8_t sid = req[0];
	size_t i;
	int r;

	if (sid <= 0x0F) {
		if (!s->cfg->obd.enabled)
			return NRC_SNS;
		r = svc_obd(s, req, len, functional, w);
		goto out;
	}
	if (!uds_sim_map_has(s->supported, sid))
		return NRC_SNS;
	if (!uds_sim_map_has(s->session->sids, sid))
		return NRC_SNSIAS;
	switch (sid) {
	case 0x10:
		r = svc_session(s, req, len, w);
		break;
	case 0x11:
		r = svc_reset(s, req, len, w);
		break;
	case 0x14:
		r = svc_clear_dtc(s, req, len, w);
		break;
	case 0x19:
		r = svc_read_dtc(s, req, len, w);
		break;
	case 0x22:
		r = svc_read_did(s, req, len, now, w);
		break;
	case 0x23:
		r = svc_read_mem(s, req, len, w);
		break;
	case 0x27:
		r = svc_security(s, req, len, now, w);
		break;
	case 0x28:
		r = svc_comm_control(s, req, len, w);
		break;
	case 0x2E:
		r = svc_write_did(s, req, len, w);
		break;
	case 0x2F:
		r = svc_io_control(s, req, len, w);
		break;
	case 0x31:
		r = svc_routine(s, req, len, w, delay);
		break;
	case 0x34:
		r = svc_download(s, req, len, w);
		break;
	case 0x36:
		r = svc_transfer(s, req, len, w);
		break;
	case 0x37:
		r = svc_transfer_exit(s, w);
		break;
	case 0x3D:
		r = svc_write_mem(s, req, len, w);
		break;
	case 0x3E:
		r = svc_tester_present(req, len, w);
		break;
	case 0x85:
		r = svc_dtc_setting(s, req, len, w);
		break;
	default:
		return NRC_SNS;
	}
out:
	if (r == 0 && !*delay)
		for (i = 0; i < s->cfg->ndelays; i++)
			if (s->cfg->delays[i].sid == sid)
				*delay = s->cfg->delays[i].ms;
	return r;
}

/* ISO 14229-1: functionally addressed requests never get these */
static int functional_silent(int nrc)
{
	return nrc == NRC_SNS || nrc == NRC_SFNS || nrc == NRC_ROOR || nrc == NRC_SFNSIAS ||
	       nrc == NRC_SNSIAS;
}

int uds_sim_request(struct uds_sim *s, const uint8_t *req, size_t len, int functional, uint64_t now)
{
	struct wr w = {s->rsp, 0, s->cfg->max_response, 0};
	uint32_t delay = 0;
	int r, spr;

	if (!len)
		return -EINVAL;
	s->requests++;
	uds_sim_timers(s, now);
	if (s->rsp_ready) {
		if (req[0] == 0x3E && len == 2 && req[1] == SPR) {
			s->last = now;
			return 0;
		}
		if (functional || s->busy_ready)
			return 0;
		s->busy[0] = SID_NEG;
		s->busy[1] = req[0];
		s->busy[2] = NRC_BRR;
		s->busy_ready = 1;
		return 0;
	}
	s->last = now;
	spr = has_sub(req[0]) && len >= 2 && (req[1] & SPR);
	r = dispatch(s, req, len, functional, now, &w, &delay);
	if (r == NO_ANSWER)
		return 0;
	if (r == 0 && w.over)
		r = NRC_RTL;
	if (r > 0) {
		if (functional && functional_silent(r))
			return 0;
		s->rsp[0] = SID_NEG;
		s->rsp[1] = req[0];
		s->rsp[2] = (uint8_t)r;
		s->rsp_len = 3;
		s->rsp_ready = 1;
		s->rsp_due = now;
		return 0;
	}
	if (delay) {
		/* after a 0x78 the final answer goes out even with SPR */
		s->rsp_len = w.n;
		s->rsp_ready = 1;
		s->rsp_due = now + (uint64_t)delay * MS;
		s->pend_sid = req[0];
		s->pend_next = now;
		return 0;
	}
	if (spr)
		return 0;
	s->rsp_len = w.n;
	s->rsp_ready = 1;
	s->rsp_due = now;
	return 0;
}

static uint64_t pending_interval(const struct uds_sim *s)
{
	uint64_t ms = s->cfg->pending_interval_ms;

	if (!ms)
		ms = s->session->p2star_ms / 2;
	return (ms < 10 ? 10 : ms) * MS;
}

int uds_sim_output(struct uds_sim *s, uint64_t now, uint8_t *buf, size_t cap, size_t *len)
{
	if (s->busy_ready) {
		if (cap < 3)
			return -ENOSPC;
		memcpy(buf, s->busy, 3);
		*len = 3;
		s->busy_ready = 0;
		s->responses++;
		return 1;
	}
	if (!s->rsp_ready)
		return 0;
	if (s->pend_sid && now < s->rsp_due) {
		if (now < s->pend_next)
			return 0;
		if (cap < 3)
			return -ENOSPC;
		buf[0] = SID_NEG;
		buf[1] = s->pend_sid;
		buf[2] = NRC_RCRRP;
		*len = 3;
		s->pend_next = now + pending_interval(s);
		s->responses++;
		return 1;
	}
	if (now < s->rsp_due)
		return 0;
	if (cap < s->rsp_len)
		return -ENOSPC;
	memcpy(buf, s->rsp, s->rsp_len);
	*len = s->rsp_len;
	s->rsp_ready = 0;
	s->pend_sid = 0;
	s->last = now; /* S3 restarts when the answer goes out */
	s->responses++;
	return 1;
}

int uds_sim_timers(struct uds_sim *s, uint64_t now)
{
	if (s->rsp_ready || s->session->id == DEFAULT_SESSION)
		return 0;
	if (now - s->last < (uint64_t)s->cfg->s3_ms * MS)
		return 0;
	set_session(s, find_session(s, DEFAULT_SESSION));
	return 1;
}

uint64_t uds_sim_deadline(const struct uds_sim *s)
{
	uint64_t d;

	if (s->busy_ready)
		return 0;
	if (s->rsp_ready) {
		d = s->rsp_due;
		if (s->pend_sid && s->pend_next < d)
			d = s->pend_next;
		return d;
	}
	if (s->session->id != DEFAULT_SESSION)
		return s->last + (uint64_t)s->cfg->s3_ms * MS;
	return UINT64_MAX;
}

uint8_t uds_sim_session(const struct uds_sim *s)
{
	return s->session->id;
}

/* ---- life cycle */

static int check_cfg(const struct uds_sim_cfg *c)
{
	size_t i, k;
	int have_default = 0;

	if (c->max_response < 8)
		return -EINVAL;
	for (i = 0; i < c->nsessions; i++) {
		if (!c->sessions[i].id || c->sessions[i].id > 0x7F)
			return -EINVAL;
		have_default |= c->sessions[i].id == DEFAULT_SESSION;
	}
	if (!have_default)
		return -EINVAL;
	for (i = 0; i < c->ndids; i++) {
		const struct uds_sim_did *d = &c->dids[i];

		if (!d->len || (d->kind != UDS_SIM_DID_DATA && d->len > 8) ||
		    d->kind > UDS_SIM_DID_CLOCK)
			return -EINVAL;
	}
	for (i = 0; i < c->nsecurity; i++) {
		const struct uds_sim_security *l = &c->security[i];

		if (!(l->level & 1) || l->level > 0x7D || !l->seed_len ||
		    l->seed_len > UDS_SIM_SEED_MAX || l->algo > UDS_SIM_KEY_EXTERNAL ||
		    (l->algo == UDS_SIM_KEY_EXTERNAL && !c->key_fn))
			return -EINVAL;
	}
	for (i = 0; i < c->nios; i++)
		if (!c->ios[i].len)
			return -EINVAL;
	for (i = 0; i < c->nmems; i++)
		if (!c->mems[i].size || c->mems[i].init_len > c->mems[i].size)
			return -EINVAL;
	for (i = 0; i < c->ndtcs; i++) {
		if (c->dtcs[i].code > 0xFFFFFF)
			return -EINVAL;
		for (k = 0; k < c->dtcs[i].nsnapshots; k++)
			if (c->dtcs[i].snapshots[k].ndids > 0xFF)
				return -EINVAL;
	}
	if (c->download.enabled && c->download.max_block < 3)
		return -EINVAL;
	if (c->obd.vin && strlen(c->obd.vin) != 17)
		return -EINVAL;
	return 0;
}

int uds_sim_init(struct uds_sim *s, const struct uds_sim_cfg *cfg, uint64_t now)
{
	size_t i, total = 0, n;
	int e;

	memset(s, 0, sizeof(*s));
	e = check_cfg(cfg);
	if (e)
		return e;
	s->cfg = cfg;
	s->t0 = s->last = now;
	s->session = find_session(s, DEFAULT_SESSION);
	for (i = 0; i < cfg->nsessions; i++)
		for (n = 0; n < UDS_SIM_SID_MAP; n++)
			s->supported[n] |= cfg->sessions[i].sids[n];
	for (n = 0; n < 256; n++)
		if (uds_sim_map_has(s->supported, (unsigned int)n) &&
		    !uds_sim_implements((uint8_t)n))
			s->supported[n >> 3] &= (uint8_t) ~(1u << (n & 7));
	s->prng = cfg->prng_seed ? cfg->prng_seed : 0x9E3779B97F4A7C15ull;

	e = -ENOMEM;
	s->rsp = malloc(cfg->max_response);
	s->did_off = calloc(cfg->ndids + 1, sizeof(size_t));
	s->io_off = calloc(cfg->nios + 1, sizeof(size_t));
	s->mem_off = calloc(cfg->nmems + 1, sizeof(size_t));
	s->dtc_status = calloc(cfg->ndtcs + 1, 1);
	s->dtc_cleared = calloc(cfg->ndtcs + 1, 1);
	s->routine_state = calloc(cfg->nroutines + 1, 1);
	s->attempts = calloc(cfg->nsecurity + 1, 1);
	s->locked_until = calloc(cfg->nsecurity + 1, sizeof(uint64_t));
	if (!s->rsp || !s->did_off || !s->io_off || !s->mem_off || !s->dtc_status ||
	    !s->dtc_cleared || !s->routine_state || !s->attempts || !s->locked_until)
		goto out_free;
	for (i = 0; i < cfg->ndids; i++) {
		s->did_off[i] = total;
		total += cfg->dids[i].len;
	}
	for (i = 0; i < cfg->nios; i++) {
		s->io_off[i] = total;
		total += cfg->ios[i].len;
	}
	for (i = 0; i < cfg->nmems; i++) {
		s->mem_off[i] = total;
		if (cfg->mems[i].size > SIZE_MAX - total)
			goto out_free;
		total += cfg->mems[i].size;
	}
	s->store = malloc(total ? total : 1);
	if (!s->store)
		goto out_free;
	for (i = 0; i < cfg->ndids; i++) {
		if (cfg->dids[i].data)
			memcpy(s->store + s->did_off[i], cfg->dids[i].data, cfg->dids[i].len);
		else
			memset(s->store + s->did_off[i], 0, cfg->dids[i].len);
	}
	reset_io(s);
	for (i = 0; i < cfg->nmems; i++) {
		uint8_t *m = s->store + s->mem_off[i];

		memset(m, cfg->mems[i].fill, cfg->mems[i].size);
		if (cfg->mems[i].init_len)
			memcpy(m, cfg->mems[i].init, cfg->mems[i].init_len);
	}
	for (i = 0; i < cfg->ndtcs; i++)
		s->dtc_status[i] = cfg->dtcs[i].status;
	return 0;
out_free:
	uds_sim_fini(s);
	return e;
}

void uds_sim_fini(struct uds_sim *s)
{
	free(s->rsp);
	free(s->did_off);
	free(s->io_off);
	free(s->mem_off);
	free(s->dtc_status);
	free(s->dtc_cleared);
	free(s->routine_state);
	free(s->attempts);
	free(s->locked_until);
	free(s->store);
	memset(s, 0, sizeof(*s));
}
