/* SPDX-License-Identifier: MIT */
/*
 * clog_trc.c - PEAK TRC text logs (PCAN-View, PCAN-Explorer).
 *
 * Reads versions 1.0 to 1.3 (fixed columns) and 2.0 / 2.1 (the columns
 * $COLUMNS names), writes 2.1.  A TRC file gives its start as
 * $STARTTIME, local time in days since 1899-12-30, and each message's
 * time as milliseconds since then with microsecond digits.  Buses are
 * numbered: bus N reads as interface "can<N-1>", as ASC channels do, and
 * the writer numbers interfaces by first appearance (or --channels).
 *
 * Message types: DT data, FD / FB / FE / BI CAN FD (plain, BRS, ESI,
 * both), RR remote request, ER error frame; ST, EC and EV (status, error
 * counters, events) carry no frame and are passed over.  Version 1 lines
 * say Rx / Tx / Error / Warng and "RTR" in place of data.
 *
 * An ER line holds five bytes (error type, direction, error code capture,
 * receive and transmit error counters); the SocketCAN error frame it maps
 * to says the same (CAN_ERR_PROT | CAN_ERR_CNT).  What else an error
 * frame said is lost, and the writer says so (CLOG_LOST_ERRBITS).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clog.h"

/* linux/can/error.h, without needing the kernel headers here */
#define ERR_PROT       0x00000008u
#define ERR_CNT	       0x00000200u
#define ERR_PROT_BIT   0x01
#define ERR_PROT_FORM  0x02
#define ERR_PROT_STUFF 0x04
#define ERR_PROT_BIT0  0x08
#define ERR_PROT_BIT1  0x10
#define ERR_PROT_TX    0x80
/* PEAK's error type byte */
#define TRC_ERR_BIT   1
#define TRC_ERR_FORM  2
#define TRC_ERR_STUFF 4
#define TRC_ERR_OTHER 8

#define OLE_EPOCH_DAYS 25569ull /* 1970-01-01 in days since 1899-12-30 */
#define DAY_NS	       86400000000000ull
#define START_DIGITS   10 /* $STARTTIME fraction digits written: 8.64 us */

enum trc_kind { K_DATA, K_FD, K_RTR, K_ERR, K_SKIP };

static int sp(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_bom(const char *p, size_t *n)
{
	if (*n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
		*n -= 3;
		return p + 3;
	}
	return p;
}

static int trc_probe(const char *buf, size_t n)
{
	size_t i;

	buf = skip_bom(buf, &n);
	for (i = 0; i < n && (sp(buf[i]) || buf[i] == '\r' || buf[i] == '\n'); i++)
		;
	/* every TRC since 1.1 starts with it; neither candump nor ASC does */
	if (n - i >= 13 && !strncasecmp(buf + i, ";$FILEVERSION", 13))
		return 98;
	return 0;
}

/* ---- time: $STARTTIME (local days since 1899-12-30) <-> ns since the epoch ---- */

/*
 * Days d plus frac / 10^nd of a day, local time, to ns since the epoch,
 * rounded down to a microsecond (the offsets' resolution, so a writer
 * that picks its start by this very function gets exact offsets back).
 * Returns 0 for a start before 1970.
 */
static uint64_t start_to_ns(uint64_t d, uint64_t frac, unsigned int nd)
{
	uint64_t unit, local_ns;
	time_t lsec, t;
	struct tm tm;

	if (d < OLE_EPOCH_DAYS || d > OLE_EPOCH_DAYS + 100000)
		return 0;
	for (; nd > 11; nd--)
		frac /= 10; /* 11 digits are 0.864 ns: plenty */
	for (unit = DAY_NS; nd; nd--)
		unit /= 10; /* exact: a day is 864 * 10^11 ns */
	local_ns = (d - OLE_EPOCH_DAYS) * DAY_NS + frac * unit;
	/* the local wall clock back to the epoch: mktime knows the zone */
	lsec = (time_t)(local_ns / 1000000000ull);
	gmtime_r(&lsec, &tm);
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1 || t < 0)
		return 0;
	return ((uint64_t)t * 1000000000ull + local_ns % 1000000000ull) / 1000 * 1000;
}

/* "45244.9260416666" */
static int parse_start(const char *s, size_t n, uint64_t *ns)
{
	uint64_t d = 0, frac = 0;
	unsigned int nd = 0;
	size_t i = 0;

	for (; i < n && s[i] >= '0' && s[i] <= '9' && i < 12; i++)
		d = d * 10 + (uint64_t)(s[i] - '0');
	if (!i)
		return -1;
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (nd < 18) {
				frac = frac * 10 + (uint64_t)(s[i] - '0');
				nd++;
			}
	}
	while (i < n && sp(s[i]))
		i++;
	if (i != n)
		return -1;
	*ns = start_to_ns(d, frac, nd);
	return 0;
}

/* ---- reader ---- */

static int col_of(const struct clog_tok *t, const char *s)
{
	return (int)(s - t->l) + 1;
}

static int parse_uint(const char *s, size_t n, int base, unsigned int maxdig, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;
	int d;

	if (!n || n > maxdig)
		return -1;
	for (i = 0; i < n; i++) {
		d = cf_hexval(s[i]);
		if (d < 0 || d >= base)
			return -1;
		x = x * (uint64_t)base + (uint64_t)d;
	}
	*v = x;
	return 0;
}

/* milliseconds "1059.9" / "1059.900" / "1059" to ns; -1 if not a time */
static int parse_ms(const char *s, size_t n, int64_t *ns)
{
	uint64_t ms = 0, frac = 0;
	unsigned int nd = 0, k;
	size_t i = 0;
	int neg = 0;

	if (n && s[0] == '-') {
		neg = 1;
		i++;
	}
	k = (unsigned int)i;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		ms = ms * 10 + (uint64_t)(s[i] - '0');
	if (i == k || i - k > 12)
		return -1;
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (nd < 6) {
				frac = frac * 10 + (uint64_t)(s[i] - '0');
				nd++;
			}
	}
	if (i != n)
		return -1;
	for (; nd < 6; nd++)
		frac *= 10;
	*ns = (int64_t)(ms * 1000000ull + frac);
	if (neg)
		*ns = -*ns;
	return 0;
}

static void set_columns(struct clog_reader *r, const char *cols)
{
	size_t n = strlen(cols);

	memcpy(r->trc_cols, cols, n);
	r->trc_ncol = (unsigned int)n;
}

/* The columns of a version without $COLUMNS, as PEAK's versions have them. */
static void default_columns(struct clog_reader *r)
{
	switch (r->trc_ver) {
	case 10:
		set_columns(r, "NOILD");
		break;
	case 12:
		set_columns(r, "NOBTILD");
		break;
	case 13:
		set_columns(r, "NOBTIRLD");
		break;
	case 20:
		set_columns(r, "NOTIdlD");
		break;
	case 21:
		set_columns(r, "NOTBIdRLD");
		break;
	default: /* 1.1 */
		set_columns(r, "NOTILD");
	}
}

/* ";$KEYWORD=value" lines; anything else after ';' is a comment. */
static int header_line(struct clog_reader *r, const char *l, size_t n)
{
	const char *v;
	size_t vn, i;

	if (n < 2 || l[1] != '$')
		return 0;
	v = memchr(l, '=', n);
	if (!v)
		return 0;
	v++;
	vn = n - (size_t)(v - l);
	if (n >= 13 && !strncasecmp(l, ";$FILEVERSION", 13)) {
		if (vn < 3 || v[0] < '1' || v[0] > '2' || v[1] != '.' || v[2] < '0' || v[2] > '9')
			return clog_fail(r, (size_t)(v - l) + 1, "unknown $FILEVERSION");
		r->trc_ver = (unsigned int)(v[0] - '0') * 10 + (unsigned int)(v[2] - '0');
		if (r->trc_ver != 10 && r->trc_ver != 11 && r->trc_ver != 12 && r->trc_ver != 13 &&
		    r->trc_ver != 20 && r->trc_ver != 21) {
			r->trc_ver = 0;
			return clog_fail(r, (size_t)(v - l) + 1,
					 "$FILEVERSION must be 1.0-1.3, 2.0 or 2.1");
		}
	} else if (n >= 11 && !strncasecmp(l, ";$STARTTIME", 11)) {
		if (parse_start(v, vn, &r->trc_base_ns))
			return clog_fail(r, (size_t)(v - l) + 1, "bad $STARTTIME");
	} else if (n >= 9 && !strncasecmp(l, ";$COLUMNS", 9)) {
		r->trc_ncol = 0;
		for (i = 0; i < vn; i++) {
			if (sp(v[i]) || v[i] == ',')
				continue;
			if (!strchr("NOTBIdRLlD", v[i]) || (i + 1 < vn && v[i + 1] != ',') ||
			    r->trc_ncol == sizeof(r->trc_cols)) {
				r->trc_ncol = 0;
				return clog_fail(
					r, (size_t)(v + i - l) + 1,
					"$COLUMNS: expected letters of N,O,T,B,I,d,R,L,l,D");
			}
			r->trc_cols[r->trc_ncol++] = v[i];
		}
		if (!r->trc_ncol || !memchr(r->trc_cols, 'O', r->trc_ncol) ||
		    !memchr(r->trc_cols, 'I', r->trc_ncol)) {
			r->trc_ncol = 0;
			return clog_fail(r, (size_t)(v - l) + 1, "$COLUMNS needs O and I");
		}
	}
	return 0;
}

/* The type column: DT, FD, ... (2.x) or Rx, Tx, Error, Warng (1.x). */
static int parse_type(const char *s, size_t n, struct clog_rec *rec, int *kind)
{
	static const struct {
		char name[6];
		uint8_t kind, flags;
	} types[] = {
		{"DT", K_DATA, 0},
		{"FD", K_FD, 0},
		{"FB", K_FD, CF_BRS},
		{"FE", K_FD, CF_ESI},
		{"BI", K_FD, CF_BRS | CF_ESI},
		{"RR", K_RTR, 0},
		{"ER", K_ERR, 0},
		{"ST", K_SKIP, 0},
		{"EC", K_SKIP, 0},
		{"EV", K_SKIP, 0},
		{"Rx", K_DATA, 0},
		{"Tx", K_DATA, 0},
		{"Error", K_ERR, 0},
		{"Warng", K_SKIP, 0},
	};
	unsigned int i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strlen(types[i].name) != n || strncasecmp(types[i].name, s, n))
			continue;
		*kind = types[i].kind;
		rec->f.flags |= types[i].flags;
		if (!strncasecmp(s, "Tx", n))
			rec->f.dir = CF_DIR_TX;
		return 0;
	}
	return -1;
}

/* PEAK's five error bytes as the SocketCAN error frame that says the same. */
static void err_from_trc(const uint8_t *e, uint8_t *d, uint32_t *id)
{
	memset(d, 0, 8);
	switch (e[0]) {
	case TRC_ERR_BIT:
		d[2] = ERR_PROT_BIT;
		break;
	case TRC_ERR_FORM:
		d[2] = ERR_PROT_FORM;
		break;
	case TRC_ERR_STUFF:
		d[2] = ERR_PROT_STUFF;
		break;
	default:
		break;
	}
	if (!e[1])
		d[2] |= ERR_PROT_TX; /* direction 0: while sending */
	d[3] = e[2];
	d[7] = e[3];
	d[6] = e[4];
	*id = ERR_PROT | ERR_CNT;
}

static void err_to_trc(const struct cf_frame *f, uint8_t *e)
{
	uint8_t d2 = 0, d3 = 0, tx = 0, rx = 0;

	if (f->len > 3 && f->data) {
		d2 = f->data[2];
		d3 = f->data[3];
	}
	if (f->len > 7 && f->data) {
		tx = f->data[6];
		rx = f->data[7];
	}
	if (!(f->id & ERR_PROT))
		e[0] = TRC_ERR_OTHER;
	else if (d2 & (ERR_PROT_BIT | ERR_PROT_BIT0 | ERR_PROT_BIT1))
		e[0] = TRC_ERR_BIT;
	else if (d2 & ERR_PROT_FORM)
		e[0] = TRC_ERR_FORM;
	else if (d2 & ERR_PROT_STUFF)
		e[0] = TRC_ERR_STUFF;
	else
		e[0] = TRC_ERR_OTHER;
	e[1] = (d2 & ERR_PROT_TX) ? 0 : 1;
	e[2] = d3;
	e[3] = rx;
	e[4] = tx;
}

static void set_bus(struct clog_reader *r, struct clog_rec *rec, uint64_t bus)
{
	int k = snprintf(r->trc_ifname, sizeof(r->trc_ifname), "can%llu",
			 (unsigned long long)(bus ? bus - 1 : 0));

	rec->ifname = r->trc_ifname;
	rec->ifname_len = (size_t)k;
	rec->channel = (unsigned int)bus;
}

/* Returns 1 (frame), 0 (end), 2 (line without a frame), -errno. */
static int trc_read_line(struct clog_reader *r, struct clog_rec *rec)
{
	const char *l, *s = NULL, *lenpos = NULL, *idpos = NULL;
	size_t n, tn, lenn = 0, idn = 0;
	struct clog_tok t;
	uint64_t bus = 1, v;
	int64_t off = 0;
	unsigned int i, len = 0, want;
	int e, kind = K_DATA, have_len = 0, len_is_bytes = 0, v1;
	uint8_t eb[5] = {0};

	e = clog_next_line(r, &l, &n);
	if (e <= 0)
		return e;
	if (r->line == 1)
		l = skip_bom(l, &n);
	t.l = l;
	t.p = l;
	t.end = l + n;
	if (!clog_next_tok(&t, &s, &tn))
		return 2;
	if (s[0] == ';') {
		e = header_line(r, s, n - (size_t)(s - l));
		return e < 0 ? e : 2;
	}
	t.p = s;
	if (!r->trc_ver)
		r->trc_ver = 10; /* no $FILEVERSION: PEAK's first layout */
	if (!r->trc_ncol)
		default_columns(r);
	v1 = r->trc_ver < 20;
	memset(rec, 0, sizeof(*rec));
	for (i = 0; i < r->trc_ncol; i++) {
		char c = r->trc_cols[i];

		if (c == 'D')
			break; /* the data run to the end of the line */
		if (!clog_next_tok(&t, &s, &tn)) {
			if (c == 'L' && kind == K_SKIP)
				return 2;
			return clog_fail(r, (size_t)(t.p - l) + 1, "line ends early");
		}
		switch (c) {
		case 'N':
			/* 1.x: "12)" */
			if (v1 && tn > 1 && s[tn - 1] == ')')
				tn--;
			if (parse_uint(s, tn, 10, 20, &v))
				return clog_fail(r, (size_t)col_of(&t, s), "bad message number");
			break;
		case 'O':
			if (parse_ms(s, tn, &off))
				return clog_fail(r, (size_t)col_of(&t, s), "bad time offset");
			break;
		case 'T':
			if (parse_type(s, tn, rec, &kind))
				return clog_fail(r, (size_t)col_of(&t, s), "unknown message type");
			if (kind == K_SKIP)
				return 2; /* status, counters, events: free text follows */
			break;
		case 'B':
			if (tn == 1 && s[0] == '-')
				break; /* no bus given */
			if (parse_uint(s, tn, 10, 3, &bus) || !bus || bus > 255)
				return clog_fail(r, (size_t)col_of(&t, s), "bad bus number");
			break;
		case 'I':
			idpos = s;
			idn = tn;
			break;
		case 'd':
			if (tn == 2 && !strncasecmp(s, "Rx", 2))
				rec->f.dir = CF_DIR_RX;
			else if (tn == 2 && !strncasecmp(s, "Tx", 2))
				rec->f.dir = CF_DIR_TX;
			else
				return clog_fail(r, (size_t)col_of(&t, s), "expected Rx or Tx");
			break;
		case 'L':
		case 'l':
			lenpos = s;
			lenn = tn;
			have_len = 1;
			len_is_bytes = c == 'l';
			break;
		default: /* R: reserved */
			break;
		}
	}
	if (!idpos || !have_len)
		return clog_fail(r, 1, "$COLUMNS lacks I or L");
	/* the length: DLC (L) or bytes (l); a remote request's is its DLC */
	if (parse_uint(lenpos, lenn, 10, 2, &v) || v > 64)
		return clog_fail(r, (size_t)(lenpos - l) + 1, "bad length");
	if (kind == K_FD) {
		if (len_is_bytes ? !cf_fd_len_valid((unsigned int)v) : v > 15)
			return clog_fail(r, (size_t)(lenpos - l) + 1, "bad CAN FD length");
		len = len_is_bytes ? (unsigned int)v : cf_dlc2len((unsigned int)v);
		rec->f.flags |= CF_FD;
	} else {
		if (v > 15 || (len_is_bytes && v > 8))
			return clog_fail(r, (size_t)(lenpos - l) + 1, "bad length");
		len = v > 8 ? 8 : (unsigned int)v;
	}
	if (kind != K_ERR) {
		if (parse_uint(idpos, idn, 16, 8, &v))
			return clog_fail(r, (size_t)(idpos - l) + 1, "bad CAN id");
		/* 4 digits for 11-bit ids, 8 for 29-bit */
		if (idn > 4 || v > CF_SFF_MASK)
			rec->f.flags |= CF_EFF;
		if (v > CF_EFF_MASK)
			return clog_fail(r, (size_t)(idpos - l) + 1, "bad CAN id");
		rec->f.id = (uint32_t)v;
	}
	/* data bytes; 1.x writes "RTR" for a remote request */
	want = kind == K_RTR ? 0 : len;
	if (v1 && kind == K_DATA) {
		struct clog_tok peek = t;

		if (clog_next_tok(&peek, &s, &tn) && tn == 3 && !strncasecmp(s, "RTR", 3)) {
			kind = K_RTR;
			want = 0;
			t = peek;
		}
	}
	if (kind == K_ERR)
		want = len < 5 ? len : 5;
	for (i = 0; i < want; i++) {
		if (!clog_next_tok(&t, &s, &tn))
			return clog_fail(r, (size_t)(t.p - l) + 1,
					 "fewer data bytes than the length says");
		if (parse_uint(s, tn, 16, 2, &v))
			return clog_fail(r, (size_t)col_of(&t, s), "bad data byte");
		if (kind == K_ERR)
			eb[i] = (uint8_t)v;
		else
			r->cur.d[i] = (uint8_t)v;
	}
	switch (kind) {
	case K_RTR:
		rec->f.flags |= CF_RTR;
		rec->f.len = (uint8_t)len;
		break;
	case K_ERR:
		err_from_trc(eb, r->cur.d, &rec->f.id);
		rec->f.flags = CF_ERR;
		rec->f.len = 8;
		rec->f.data = r->cur.d;
		break;
	default:
		rec->f.len = (uint8_t)len;
		rec->f.data = r->cur.d;
	}
	if (off < 0 && (uint64_t)-off > r->trc_base_ns)
		return clog_fail(r, 1, "time before 1970");
	rec->f.ts_ns = r->trc_base_ns + (uint64_t)off;
	rec->ts_digits = 6;
	if ((e = cf_validate(&rec->f)))
		return clog_fail(r, 1, cf_strerror(e));
	set_bus(r, rec, bus);
	if (rec->f.dir == CF_DIR_TX) { /* keep direction through a candump log */
		rec->extra = "T";
		rec->extra_len = 1;
	}
	return 1;
}

static int trc_read(struct clog_reader *r, struct clog_rec *rec)
{
	int e;

	while ((e = trc_read_line(r, rec)) == 2)
		;
	return e;
}

/* ---- writer: version 2.1 ---- */

static int trc_begin(struct clog_writer *w, const struct clog_rec *first)
{
	uint64_t ts = first->f.ts_ns, local_ns, days, frac;
	time_t sec = (time_t)(ts / 1000000000ull);
	char *p = clog_wreserve(w, 1024);
	struct tm tm;
	int k;

	localtime_r(&sec, &tm);
	local_ns = ts + (uint64_t)((int64_t)tm.tm_gmtoff * 1000000000ll);
	if (tm.tm_gmtoff < 0 && (uint64_t)(-(int64_t)tm.tm_gmtoff) * 1000000000ull > ts)
		local_ns = 0;
	days = local_ns / DAY_NS;
	/* 10 digits of a day, rounded down: the start is never after the first frame */
	frac = local_ns % DAY_NS / (DAY_NS / 10000000000ull);
	/* the offsets count from what a reader makes of that text */
	w->first_ns = start_to_ns(days + OLE_EPOCH_DAYS, frac, START_DIGITS);
	k = snprintf(
		p, 1024,
		";$FILEVERSION=2.1\n"
		";$STARTTIME=%llu.%010llu\n"
		";$COLUMNS=N,O,T,B,I,d,R,L,D\n"
		";\n"
		";   Start time: %02d.%02d.%04d %02d:%02d:%02d.%03u.%u\n"
		";   Generated by canrig\n"
		";-------------------------------------------------------------------------------\n"
		";   Message   Time    Type    ID     Rx/Tx\n"
		";   Number    Offset  |  Bus  [hex]  |  Reserved\n"
		";   |         [ms]    |  |    |      |  |  Data Length Code\n"
		";   |         |       |  |    |      |  |  |    Data [hex] ...\n"
		";   |         |       |  |    |      |  |  |    |\n"
		";---+-- ------+------ +- +- --+----- +- +- +--- +- -- -- -- -- -- -- --\n",
		(unsigned long long)(days + OLE_EPOCH_DAYS), (unsigned long long)frac, tm.tm_mday,
		tm.tm_mon + 1, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		(unsigned int)(ts % 1000000000ull / 1000000),
		(unsigned int)(ts % 1000000ull / 100000));
	clog_wcommit(w, (size_t)k);
	return 0;
}

static const char hx[] = "0123456789ABCDEF";

static char *put_hex(char *p, uint32_t v, int digits)
{
	while (digits--)
		*p++ = hx[(v >> (4 * digits)) & 0xF];
	return p;
}

/* Notes in w->lost what of rec a TRC line cannot carry. */
static void note_loss(struct clog_writer *w, const struct clog_rec *rec, unsigned int bus,
		      const uint8_t *eb)
{
	char name[16];
	int k;

	if (rec->f.ts_ns % 1000)
		w->lost |= CLOG_LOST_SUBUS;
	if (rec->f.ts_ns < w->first_ns)
		w->lost |= CLOG_LOST_EARLY;
	/* candump -x's R and T are the Rx/Tx column */
	if (rec->extra_len &&
	    !(rec->extra_len == 1 && (rec->extra[0] == 'T' || rec->extra[0] == 'R')))
		w->lost |= CLOG_LOST_EXTRA;
	if ((rec->f.flags & CF_FD) && (rec->f.fd_raw_flags & ~0x03u))
		w->lost |= CLOG_LOST_FDRAW;
	k = snprintf(name, sizeof(name), "can%u", bus - 1);
	if ((size_t)k != rec->ifname_len || memcmp(name, rec->ifname, rec->ifname_len))
		w->lost |= CLOG_LOST_IFNAME;
	if (eb) {
		uint8_t d[8];
		uint32_t id;

		err_from_trc(eb, d, &id);
		if (id != rec->f.id || rec->f.len != 8 || !rec->f.data || memcmp(d, rec->f.data, 8))
			w->lost |= CLOG_LOST_ERRBITS;
	}
}

static int trc_write(struct clog_writer *w, const struct clog_rec *rec)
{
	const struct cf_frame *f = &rec->f;
	unsigned int bus = clog_writer_channel(w, rec), i, len = f->len, dlc = len;
	uint64_t us = f->ts_ns > w->first_ns ? (f->ts_ns - w->first_ns) / 1000 : 0;
	int tx = f->dir == CF_DIR_TX || (rec->extra_len && rec->extra[0] == 'T');
	const uint8_t *data = f->data;
	const char *type = "DT";
	uint8_t eb[5];
	char *p, *s;

	if (!bus) {
		w->nskipped++;
		return 0;
	}
	if (f->flags & CF_ERR) {
		type = "ER";
		err_to_trc(f, eb);
		data = eb;
		len = dlc = 5;
	} else if (f->flags & CF_FD) {
		static const char *const fdt[4] = {"FD", "FB", "FE", "BI"};

		type = fdt[((f->flags & CF_BRS) ? 1 : 0) | ((f->flags & CF_ESI) ? 2 : 0)];
		dlc = cf_len2dlc(len);
	} else if (f->flags & CF_RTR) {
		type = "RR";
		len = 0;
	}
	note_loss(w, rec, bus, (f->flags & CF_ERR) ? eb : NULL);
	p = s = clog_wreserve(w, 128 + 3 * CF_MAX_LEN);
	/* "%7llu %13s %s %-2u %8s %s - %2u   " then " %02X" per byte */
	p = cf_put_dec(p, w->nwritten - w->nskipped + 1, 7, ' ');
	*p++ = ' ';
	p = cf_put_dec(p, us / 1000, 9, ' ');
	*p++ = '.';
	p = cf_put_dec(p, us % 1000, 3, '0');
	*p++ = ' ';
	memcpy(p, type, 2);
	p += 2;
	*p++ = ' ';
	{
		char *q = cf_put_dec(p, bus, 1, ' ');

		if (q - p < 2)
			*q++ = ' ';
		p = q;
	}
	*p++ = ' ';
	if (f->flags & CF_ERR) {
		memcpy(p, "       -", 8);
		p += 8;
	} else if (f->flags & CF_EFF) {
		p = put_hex(p, f->id, 8);
	} else {
		memcpy(p, "    ", 4);
		p = put_hex(p + 4, f->id, 4);
	}
	*p++ = ' ';
	memcpy(p, tx ? "Tx" : "Rx", 2);
	p += 2;
	memcpy(p, " - ", 3);
	p = cf_put_dec(p + 3, dlc, 2, ' ');
	if (len) {
		memcpy(p, "   ", 3);
		p += 3;
	}
	for (i = 0; i < len && data; i++) {
		*p++ = ' ';
		*p++ = hx[data[i] >> 4];
		*p++ = hx[data[i] & 0xF];
	}
	*p++ = '\n';
	clog_wcommit(w, (size_t)(p - s));
	return 0;
}

const struct clog_format clog_fmt_trc = {
	.name = "trc",
	.probe = trc_probe,
	.read = trc_read,
	.write_begin = trc_begin,
	.write = trc_write,
};
