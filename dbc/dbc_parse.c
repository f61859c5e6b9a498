/* SPDX-License-Identifier: MIT */
/*
 * dbc_parse.c - hand-written, single-pass DBC parser: the statements, the
 * loop over them, and the load entry points.  Tokens come from dbc_lex.c;
 * dbc_link.c builds the database once the last statement is read.
 *
 * A bad statement is reported as a warning and
 * the parser resynchronises at the next line that starts with a keyword, so
 * one broken line never costs the rest of the file.  References (CM_, VAL_,
 * BA_, SG_MUL_VAL_ ...) are resolved through hash tables as they are read,
 * which keeps loading linear in the file size.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbc_parser.h"

/* ---- lookups used while parsing */

/*
 * Indexes idx under h with one entry per key: an entry that same() says
 * has idx's key is replaced (the later definition wins) or, with
 * keep_first, kept.  n repeats of a key thus cost n short probes, not a
 * cluster of n that every later insert and lookup walks.  Returns 0 or
 * -ENOMEM.
 */
int dbc_index_once(struct dbc_htab *t, uint64_t h, uint32_t idx, dbc_same_fn same, const void *ctx,
		   int keep_first)
{
	uint32_t it = 0;
	long i;

	while ((i = dbc_htab_next(t, h, &it)) >= 0)
		if (same(ctx, (uint32_t)i, idx)) {
			if (!keep_first)
				dbc_htab_set(t, h, it, idx);
			return 0;
		}
	return dbc_htab_put(t, h, idx);
}

static int same_rawid(const void *ctx, uint32_t a, uint32_t b)
{
	const struct parser *p = ctx;

	return p->pm.v[a].rawid == p->pm.v[b].rawid;
}

int dbc_same_def(const void *ctx, uint32_t a, uint32_t b)
{
	const struct dbc_attr_def *d = ctx;

	return !strcmp(d[a].name, d[b].name);
}

static long find_msg(struct parser *p, uint32_t rawid)
{
	uint64_t h = dbc_hash_u64(rawid);
	uint32_t it = 0;
	long i, found = -1;

	/* the last definition of a duplicated id wins, as in cantools */
	while ((i = dbc_htab_next(&p->msg_by_rawid, h, &it)) >= 0)
		if (p->pm.v[i].rawid == rawid && i > found)
			found = i;
	return found;
}

static int msg_ref(struct parser *p, long *mi)
{
	uint64_t id;
	size_t st;

	dbc_lex_skip_ws(p, 1);
	st = p->pos;
	if (dbc_lex_unum(p, &id) < 0)
		return -1;
	*mi = find_msg(p, (uint32_t)id);
	if (*mi < 0)
		return dbc_fail(p, st, "no message with id %llu", (unsigned long long)id);
	return 0;
}

/*
 * Signals of a message are contiguous and usually few: a scan over them
 * is cache-hot, where a global hash costs a cache miss per lookup.  Only
 * messages with more than SCAN_MAX signals go into the hash.
 */
#define SCAN_MAX 32

static long find_sig(struct parser *p, long mi, const char *s, size_t n)
{
	const struct pmsg *pm = &p->pm.v[mi];
	uint64_t h;
	uint32_t it = 0;
	long i;

	if (pm->n <= SCAN_MAX) {
		for (i = (long)pm->first; i < (long)(pm->first + pm->n); i++)
			if (!strncmp(p->sigs.v[i].name, s, n) && !p->sigs.v[i].name[n])
				return i;
		return -1;
	}
	h = dbc_name_hash(s, n, (uint64_t)mi);
	while ((i = dbc_htab_next(&p->sig_by_name, h, &it)) >= 0)
		if (p->ps.v[i].msg == (uint32_t)mi && !strncmp(p->sigs.v[i].name, s, n) &&
		    !p->sigs.v[i].name[n])
			return i;
	return -1;
}

static int sig_ref(struct parser *p, long mi, long *si)
{
	const char *s;
	size_t n;

	if (dbc_lex_word(p, &s, &n) < 0)
		return -1;
	*si = find_sig(p, mi, s, n);
	if (*si < 0)
		return dbc_fail(p, (size_t)(s - p->b), "no signal '%.*s' in %s", (int)n, s,
				p->msgs.v[mi].name);
	return 0;
}

static long find_node(struct parser *p, const char *s, size_t n)
{
	uint64_t h = dbc_name_hash(s, n, 1);
	uint32_t it = 0;
	long i;

	while ((i = dbc_htab_next(&p->node_by_name, h, &it)) >= 0)
		if (!strncmp(p->nodes.v[i].name, s, n) && !p->nodes.v[i].name[n])
			return i;
	return -1;
}

static int node_ref(struct parser *p, long *ni)
{
	const char *s;
	size_t n;

	if (dbc_lex_word(p, &s, &n) < 0)
		return -1;
	*ni = find_node(p, s, n);
	if (*ni < 0)
		return dbc_fail(p, (size_t)(s - p->b), "no node '%.*s'", (int)n, s);
	return 0;
}

/* ---- sections */

static int p_version(struct parser *p)
{
	return dbc_lex_string(p, &p->db->version);
}

/* NS_ : followed by a list of section names, one per line. */
static int p_ns(struct parser *p)
{
	const char *s;
	size_t n;

	if (dbc_lex_expect(p, ':') < 0)
		return -1;
	while (!dbc_lex_eol(p))
		if (dbc_lex_word(p, &s, &n) < 0)
			return -1;
	while (p->pos < p->n) {
		size_t save = p->pos, sls = p->line_start;
		unsigned int sl = p->line;

		p->pos++; /* the newline */
		dbc_lex_newline(p);
		if (dbc_lex_eol(p))
			continue;
		/* a list entry is a lone name on its line */
		if (dbc_lex_word(p, &s, &n) < 0 || !dbc_lex_eol(p)) {
			p->err = 0;
			p->pos = save;
			p->line = sl;
			p->line_start = sls;
			return 0;
		}
	}
	return 0;
}

static int p_bs(struct parser *p)
{
	uint64_t v;

	if (dbc_lex_expect(p, ':') < 0)
		return -1;
	if (dbc_lex_eol(p))
		return 0;
	if (dbc_lex_cur(p) == ';') {
		p->pos++;
		return 0;
	}
	if (dbc_lex_unum(p, &v) < 0)
		return -1;
	p->db->baudrate = v;
	if (dbc_lex_accept(p, ':')) {
		if (dbc_lex_unum(p, &v) < 0 || dbc_lex_expect(p, ',') < 0 ||
		    dbc_lex_unum(p, &v) < 0)
			return -1;
	}
	dbc_lex_accept(p, ';');
	return 0;
}

static int add_node(struct parser *p, const char *s, size_t n, unsigned int line)
{
	struct dbc_node *nd;

	if (find_node(p, s, n) >= 0) {
		dbc_warn_at(p, line, dbc_col_of(p, (size_t)(s - p->b)), "duplicate node '%.*s'",
			    (int)n, s);
		return 0;
	}
	VEC_PUSH(p, p->nodes, nd);
	if (!nd)
		return -1;
	nd->name = dbc_lex_dup_str(p, s, n);
	nd->line = line;
	if (!nd->name || dbc_htab_put(&p->node_by_name, dbc_name_hash(s, n, 1),
				      (uint32_t)(p->nodes.n - 1)) < 0) {
		p->oom = 1;
		return -1;
	}
	return 0;
}

static int p_bu(struct parser *p)
{
	if (dbc_lex_expect(p, ':') < 0)
		return -1;
	while (!dbc_lex_eol(p)) {
		const char *s;
		size_t n;

		if (dbc_lex_cur(p) == ';') {
			p->pos++;
			continue;
		}
		if (dbc_lex_cur(p) == ',') {
			p->pos++;
			continue;
		}
		if (dbc_lex_word(p, &s, &n) < 0 || add_node(p, s, n, p->line) < 0)
			return -1;
	}
	/* some generators put one node per line below "BU_:" */
	while (p->pos < p->n) {
		size_t save = p->pos, sls = p->line_start, e;
		unsigned int sl = p->line;
		const char *s;
		size_t n;

		p->pos++;
		dbc_lex_newline(p);
		dbc_lex_skip_ws(p, 0);
		for (e = p->pos; e < p->n && !dbc_is_space(p->b[e]) && !dbc_is_punct(p->b[e]); e++)
			;
		if (p->pos == p->line_start || e == p->pos ||
		    dbc_section_of(p->b + p->pos, e - p->pos) >= 0) {
			p->pos = save;
			p->line = sl;
			p->line_start = sls;
			return 0;
		}
		while (!dbc_lex_eol(p)) {
			if (dbc_lex_cur(p) == ',' || dbc_lex_cur(p) == ';') {
				p->pos++;
				continue;
			}
			if (dbc_lex_word(p, &s, &n) < 0 || add_node(p, s, n, p->line) < 0)
				return -1;
		}
	}
	return 0;
}

static int p_bo(struct parser *p)
{
	uint64_t id, dlc;
	const char *name, *sender = NULL;
	size_t st, nst;
	struct dbc_message *m;
	struct pmsg *pm;
	unsigned int line = p->line;

	dbc_lex_skip_ws(p, 1);
	st = p->pos;
	if (dbc_lex_unum(p, &id) < 0)
		return -1;
	if (id > 0xFFFFFFFFull)
		return dbc_fail(p, st, "message id %llu out of range", (unsigned long long)id);
	dbc_lex_skip_ws(p, 1);
	nst = p->pos;
	if (dbc_lex_ident(p, &name) < 0 || dbc_lex_expect(p, ':') < 0 || dbc_lex_unum(p, &dlc) < 0)
		return -1;
	if (!dbc_lex_eol(p) && dbc_lex_ident(p, &sender) < 0)
		return -1;
	if (!dbc_lex_eol(p))
		return dbc_fail(p, p->pos, "unexpected text after the sender");
	if (dlc > CF_MAX_LEN) {
		dbc_warn_at(p, line, dbc_col_of(p, nst),
			    "message %s: length %llu "
			    "exceeds 64 bytes, clamped",
			    name, (unsigned long long)dlc);
		dlc = CF_MAX_LEN;
	}
	VEC_PUSH(p, p->msgs, m);
	if (!m)
		return -1;
	VEC_PUSH(p, p->pm, pm);
	if (!pm)
		return -1;
	m->name = name;
	m->sender = sender;
	m->length = (uint16_t)dlc;
	m->line = line;
	pm->rawid = (uint32_t)id;
	pm->first = (uint32_t)p->sigs.n;
	if (id & 0x80000000u) {
		m->ext = 1;
		m->id = (uint32_t)id & 0x7FFFFFFFu;
		/* VECTOR__INDEPENDENT_SIG_MSG (0xC0000000) is a container,
		 * never a frame: keep it without complaint */
		if (m->id > CF_EFF_MASK && strcmp(name, "VECTOR__INDEPENDENT_SIG_MSG"))
			dbc_warn_at(p, line, dbc_col_of(p, st),
				    "message %s: id 0x%X "
				    "exceeds 29 bits",
				    name, m->id);
	} else {
		m->id = (uint32_t)id;
		if (id > CF_SFF_MASK && strcmp(name, "VECTOR__INDEPENDENT_SIG_MSG")) {
			/* cantools matches these as extended; so do we */
			m->ext = 1;
			dbc_warn_at(p, line, dbc_col_of(p, st),
				    "message %s: standard id "
				    "0x%llX exceeds 11 bits; kept as extended",
				    name, (unsigned long long)id);
		}
	}
	if (dbc_index_once(&p->msg_by_rawid, dbc_hash_u64(pm->rawid), (uint32_t)(p->msgs.n - 1),
			   same_rawid, p, 0) < 0) {
		p->oom = 1;
		return -1;
	}
	return 0;
}

static int parse_mux(struct parser *p, const char *s, size_t n, size_t pos, struct dbc_signal *sg,
		     struct psig *ps)
{
	size_t i = 1;
	uint64_t v = 0;

	if (n == 1 && s[0] == 'M') {
		sg->mux = DBC_MUX_SELECTOR;
		return 0;
	}
	if (n == 1 && s[0] == 'm') {
		/* seen in real files; cantools reads it as "M" too */
		dbc_warn_at(p, p->line, dbc_col_of(p, pos),
			    "signal %s: multiplexer "
			    "indicator 'm' read as 'M'",
			    sg->name);
		sg->mux = DBC_MUX_SELECTOR;
		return 0;
	}
	if (s[0] != 'm' || n < 2)
		goto bad;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			goto bad;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 1)
		goto bad;
	sg->mux = DBC_MUX_MUXED;
	ps->muxval = v;
	ps->has_muxval = 1;
	if (i == n)
		return 0;
	if (i + 1 == n && s[i] == 'M') {
		sg->mux |= DBC_MUX_SELECTOR;
		return 0;
	}
bad:
	return dbc_fail(p, pos, "bad multiplexer indicator '%.*s'", (int)n, s);
}

static int p_sg(struct parser *p)
{
	struct dbc_signal sg;
	struct psig ps;
	const char *s;
	size_t n, st;
	uint64_t start, size;
	int c;
	long mi = (long)p->msgs.n - 1;
	unsigned int line = p->line;

	memset(&sg, 0, sizeof(sg));
	memset(&ps, 0, sizeof(ps));
	ps.sel = -1;
	if (mi < 0)
		return dbc_fail(p, p->pos, "SG_ before any BO_");
	dbc_lex_skip_ws(p, 1);
	st = p->pos;
	if (dbc_lex_word(p, &s, &n) < 0)
		return -1;
	if (find_sig(p, mi, s, n) >= 0)
		return dbc_fail(p, st, "duplicate signal '%.*s' in %s", (int)n, s,
				p->msgs.v[mi].name);
	sg.name = dbc_lex_dup_str(p, s, n);
	if (!sg.name)
		return -1;
	dbc_lex_skip_ws(p, 1);
	if (dbc_lex_cur(p) != ':') {
		size_t mpos = p->pos;

		if (dbc_lex_word(p, &s, &n) < 0 || parse_mux(p, s, n, mpos, &sg, &ps) < 0)
			return -1;
	}
	if (dbc_lex_expect(p, ':') < 0 || dbc_lex_unum(p, &start) < 0 ||
	    dbc_lex_expect(p, '|') < 0 || dbc_lex_unum(p, &size) < 0 || dbc_lex_expect(p, '@') < 0)
		return -1;
	c = dbc_lex_cur(p);
	if (c != '0' && c != '1')
		return dbc_fail(p, p->pos, "expected byte order 0 or 1");
	sg.big_endian = c == '0';
	p->pos++;
	c = dbc_lex_cur(p);
	if (c != '+' && c != '-')
		return dbc_fail(p, p->pos, "expected sign '+' or '-'");
	sg.is_signed = c == '-';
	p->pos++;
	if (dbc_lex_expect(p, '(') < 0 || dbc_lex_num(p, &sg.scale) < 0 ||
	    dbc_lex_expect(p, ',') < 0 || dbc_lex_num(p, &sg.offset) < 0 ||
	    dbc_lex_expect(p, ')') < 0 || dbc_lex_expect(p, '[') < 0 ||
	    dbc_lex_num(p, &sg.min) < 0 || dbc_lex_expect(p, '|') < 0 ||
	    dbc_lex_num(p, &sg.max) < 0 || dbc_lex_expect(p, ']') < 0 ||
	    dbc_lex_string(p, &sg.unit) < 0)
		return -1;
	ps.rfirst = (uint32_t)p->strs.n;
	while (!dbc_lex_eol(p)) {
		const char **r;

		if (dbc_lex_cur(p) == ',') {
			p->pos++;
			continue;
		}
		if (dbc_lex_cur(p) == ';') { /* seen in the wild */
			p->pos++;
			continue;
		}
		VEC_PUSH(p, p->strs, r);
		if (!r)
			return -1;
		if (dbc_lex_ident(p, r) < 0) {
			p->strs.n--;
			return -1;
		}
		ps.nr++;
	}
	if (size == 0 || size > 64)
		return dbc_fail(p, st, "signal %s: size %llu is not 1..64", sg.name,
				(unsigned long long)size);
	sg.start = (uint16_t)(start > 65535 ? 65535 : start);
	sg.size = (uint16_t)size;
	if (start >= 8 * CF_MAX_LEN || dbc_compile_signal(&sg) < 0)
		return dbc_fail(p, st,
				"signal %s: bits %llu|%llu lie outside 64 "
				"bytes",
				sg.name, (unsigned long long)start, (unsigned long long)size);
	if (sg.scale == 0) {
		dbc_warn_at(p, line, dbc_col_of(p, st), "signal %s: scale 0, using 1", sg.name);
		sg.scale = 1;
	}
	sg.line = line;
	ps.msg = (uint32_t)mi;
	{
		struct dbc_signal *dst;
		struct psig *pdst;

		VEC_PUSH(p, p->sigs, dst);
		if (!dst)
			return -1;
		VEC_PUSH(p, p->ps, pdst);
		if (!pdst)
			return -1;
		*dst = sg;
		*pdst = ps;
	}
	/* a message's signals are contiguous: SG_ attaches to the last BO_ */
	if (++p->pm.v[mi].n > SCAN_MAX) {
		uint32_t k =
			p->pm.v[mi].n == SCAN_MAX + 1 ? p->pm.v[mi].first : (uint32_t)p->sigs.n - 1;

		for (; k < p->sigs.n; k++) {
			const char *nm = p->sigs.v[k].name;

			if (dbc_htab_put(&p->sig_by_name,
					 dbc_name_hash(nm, strlen(nm), (uint64_t)mi), k) < 0) {
				p->oom = 1;
				return -1;
			}
		}
	}
	return 0;
}

static int p_bo_tx_bu(struct parser *p)
{
	long mi;

	if (msg_ref(p, &mi) < 0 || dbc_lex_expect(p, ':') < 0)
		return -1;
	while (dbc_lex_list_more(p)) {
		struct pref *r;

		VEC_PUSH(p, p->senders, r);
		if (!r)
			return -1;
		r->owner = (uint32_t)mi;
		if (dbc_lex_ident(p, &r->s) < 0) {
			p->senders.n--;
			return -1;
		}
	}
	dbc_lex_end_stmt(p);
	return 0;
}

static int p_cm(struct parser *p)
{
	const char *text;
	long mi, si, ni;

	if (dbc_lex_peek_is(p, "BU_")) {
		p->pos += 3;
		if (node_ref(p, &ni) < 0 || dbc_lex_string(p, &text) < 0)
			return -1;
		p->nodes.v[ni].comment = text;
	} else if (dbc_lex_peek_is(p, "BO_")) {
		p->pos += 3;
		if (msg_ref(p, &mi) < 0 || dbc_lex_string(p, &text) < 0)
			return -1;
		p->msgs.v[mi].comment = text;
	} else if (dbc_lex_peek_is(p, "SG_")) {
		p->pos += 3;
		if (msg_ref(p, &mi) < 0)
			return -1;
		dbc_lex_skip_ws(p, 1);
		if (dbc_lex_cur(p) == '"') {
			/* "CM_ SG_ 304 "..."" without a signal name, seen in
			 * real files: the comment belongs to the message */
			if (dbc_lex_string(p, &text) < 0)
				return -1;
			if (!p->msgs.v[mi].comment)
				p->msgs.v[mi].comment = text;
		} else {
			if (sig_ref(p, mi, &si) < 0 || dbc_lex_string(p, &text) < 0)
				return -1;
			p->sigs.v[si].comment = text;
		}
	} else if (dbc_lex_peek_is(p, "EV_")) {
		const char *name;

		p->pos += 3;
		if (dbc_lex_ident(p, &name) < 0 || dbc_lex_string(p, &text) < 0)
			return -1;
	} else {
		if (dbc_lex_string(p, &text) < 0)
			return -1;
		p->db->comment = text;
	}
	dbc_lex_end_stmt(p);
	return 0;
}

static int choice_list(struct parser *p, long si)
{
	p->stmt++;
	while (dbc_lex_list_more(p)) {
		uint64_t v;
		int neg;
		const char *label;
		struct pchoice *c;

		if (dbc_lex_inum(p, &v, &neg) < 0 || dbc_lex_string(p, &label) < 0)
			return -1;
		if (si < 0)
			continue;
		VEC_PUSH(p, p->choices, c);
		if (!c)
			return -1;
		c->sig = (uint32_t)si;
		c->stmt = p->stmt;
		c->v = (int64_t)v;
		c->label = label;
	}
	if (si >= 0) {
		p->ps.v[si].val_stmt = p->stmt;
		p->sigs.v[si].choices_line = p->line;
	}
	dbc_lex_end_stmt(p);
	return 0;
}

static int p_val(struct parser *p)
{
	long mi, si;
	int c;

	dbc_lex_skip_ws(p, 1);
	c = dbc_lex_cur(p);
	if (!((c >= '0' && c <= '9') || c == '-' || c == '+')) {
		const char *env;

		/* VAL_ on an environment variable: nothing to decode */
		if (dbc_lex_ident(p, &env) < 0)
			return -1;
		return choice_list(p, -1);
	}
	if (msg_ref(p, &mi) < 0 || sig_ref(p, mi, &si) < 0)
		return -1;
	{
		unsigned int line = p->line;
		int r = choice_list(p, si);

		p->sigs.v[si].choices_line = line;
		return r;
	}
}

static int p_val_table(struct parser *p)
{
	const char *name;

	if (dbc_lex_ident(p, &name) < 0)
		return -1;
	return choice_list(p, -1);
}

static int p_sig_valtype(struct parser *p)
{
	long mi, si;
	uint64_t t;
	size_t st;

	if (msg_ref(p, &mi) < 0 || sig_ref(p, mi, &si) < 0)
		return -1;
	dbc_lex_accept(p, ':');
	dbc_lex_skip_ws(p, 1);
	st = p->pos;
	if (dbc_lex_unum(p, &t) < 0)
		return -1;
	if (t > 2)
		return dbc_fail(p, st, "value type %llu is not 0, 1 or 2", (unsigned long long)t);
	if (t == 1 && p->sigs.v[si].size != 32)
		return dbc_fail(p, st, "signal %s: float32 needs 32 bits, has %u",
				p->sigs.v[si].name, p->sigs.v[si].size);
	if (t == 2 && p->sigs.v[si].size != 64)
		return dbc_fail(p, st, "signal %s: float64 needs 64 bits, has %u",
				p->sigs.v[si].name, p->sigs.v[si].size);
	p->sigs.v[si].kind = (uint8_t)t;
	dbc_lex_end_stmt(p);
	return 0;
}

static int p_sg_mul_val(struct parser *p)
{
	long mi, si, sel;

	if (msg_ref(p, &mi) < 0 || sig_ref(p, mi, &si) < 0 || sig_ref(p, mi, &sel) < 0)
		return -1;
	p->stmt++;
	while (dbc_lex_list_more(p)) {
		uint64_t lo, hi;
		struct prange *r;
		size_t st = p->pos;

		if (dbc_lex_unum(p, &lo) < 0)
			return -1;
		/* "3-5": the '-' was not taken as part of the number */
		if (!dbc_lex_accept(p, '-'))
			return dbc_fail(p, p->pos, "expected '-' in a range");
		if (dbc_lex_unum(p, &hi) < 0)
			return -1;
		if (hi < lo)
			return dbc_fail(p, st, "empty range %llu-%llu", (unsigned long long)lo,
					(unsigned long long)hi);
		VEC_PUSH(p, p->ranges, r);
		if (!r)
			return -1;
		r->sig = (uint32_t)si;
		r->stmt = p->stmt;
		r->lo = lo;
		r->hi = hi;
	}
	p->ps.v[si].sel = sel;
	p->ps.v[si].mulval_stmt = p->stmt;
	dbc_lex_end_stmt(p);
	return 0;
}

long dbc_find_def(struct parser *p, const char *s)
{
	size_t n = strlen(s);
	uint64_t h = dbc_name_hash(s, n, 2);
	uint32_t it = 0;
	long i, found = -1;
	const struct dbc_attr_def *defs = p->defs.v ? p->defs.v : p->db->attr_defs;

	while ((i = dbc_htab_next(&p->def_by_name, h, &it)) >= 0)
		if (!strcmp(defs[i].name, s) && i > found)
			found = i;
	return found;
}

static int obj_kind(struct parser *p, uint8_t *kind)
{
	static const struct {
		const char *kw;
		uint8_t k;
	} kws[] = {
		{"BU_", DBC_OBJ_NODE},
		{"BO_", DBC_OBJ_MSG},
		{"SG_", DBC_OBJ_SIG},
		{"EV_", DBC_OBJ_ENV},
	};
	size_t i;

	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (dbc_lex_peek_is(p, kws[i].kw)) {
			p->pos += 3;
			*kind = kws[i].k;
			return 1;
		}
	*kind = DBC_OBJ_NET;
	return 0;
}

static int p_ba_def(struct parser *p, int rel)
{
	struct dbc_attr_def *d;
	const char *name, *t;
	size_t tn, st;
	uint8_t kind = DBC_OBJ_NET;

	if (rel) {
		const char *relkw;

		if (dbc_lex_peek_is(p, "BU_SG_REL_") || dbc_lex_peek_is(p, "BU_BO_REL_") ||
		    dbc_lex_peek_is(p, "BU_EV_REL_")) {
			if (dbc_lex_ident(p, &relkw) < 0)
				return -1;
		}
		kind = DBC_OBJ_REL;
	} else {
		obj_kind(p, &kind);
	}
	if (dbc_lex_string(p, &name) < 0)
		return -1;
	dbc_lex_skip_ws(p, 1);
	st = p->pos;
	if (dbc_lex_word(p, &t, &tn) < 0)
		return -1;
	VEC_PUSH(p, p->defs, d);
	if (!d)
		return -1;
	d->name = name;
	d->obj = kind;
	if (tn == 3 && !memcmp(t, "INT", 3)) {
		d->type = DBC_AT_INT;
	} else if (tn == 3 && !memcmp(t, "HEX", 3)) {
		d->type = DBC_AT_HEX;
	} else if (tn == 5 && !memcmp(t, "FLOAT", 5)) {
		d->type = DBC_AT_FLOAT;
	} else if (tn == 6 && !memcmp(t, "STRING", 6)) {
		d->type = DBC_AT_STRING;
	} else if (tn == 4 && !memcmp(t, "ENUM", 4)) {
		d->type = DBC_AT_ENUM;
	} else {
		p->defs.n--;
		return dbc_fail(p, st, "unknown attribute type '%.*s'", (int)tn, t);
	}
	if (d->type <= DBC_AT_FLOAT) {
		/* bounds are optional in some files */
		dbc_lex_skip_ws(p, 1);
		if (dbc_lex_cur(p) != ';' &&
		    (dbc_lex_num(p, &d->min) < 0 || dbc_lex_num(p, &d->max) < 0)) {
			p->defs.n--;
			return -1;
		}
	} else if (d->type == DBC_AT_ENUM) {
		uint32_t *ef;

		VEC_PUSH(p, p->enum_first, ef);
		if (!ef)
			return -1;
		*ef = (uint32_t)p->enums.n;
		while (dbc_lex_list_more(p)) {
			const char **e;

			VEC_PUSH(p, p->enums, e);
			if (!e)
				return -1;
			if (dbc_lex_string(p, e) < 0) {
				p->defs.n--;
				return -1;
			}
			d->nenums++;
		}
		/* enums pointer fixed up at the end: the vector may move */
		d->enums = (const char *const *)(uintptr_t)(p->enum_first.n);
	}
	if (dbc_index_once(&p->def_by_name, dbc_name_hash(name, strlen(name), 2),
			   (uint32_t)(p->defs.n - 1), dbc_same_def, p->defs.v, 0) < 0) {
		p->oom = 1;
		return -1;
	}
	dbc_lex_end_stmt(p);
	return 0;
}

/* A value: number or string; *is_str tells which. */
static int attr_value(struct parser *p, double *numv, const char **str, int *is_str)
{
	dbc_lex_skip_ws(p, 1);
	if (dbc_lex_cur(p) == '"') {
		*is_str = 1;
		return dbc_lex_string(p, str);
	}
	*is_str = 0;
	return dbc_lex_num(p, numv);
}

static int p_ba_def_def(struct parser *p)
{
	const char *name, *str = NULL;
	double v = 0;
	int is_str;
	long di;
	size_t st;

	dbc_lex_skip_ws(p, 1);
	st = p->pos;
	if (dbc_lex_string(p, &name) < 0 || attr_value(p, &v, &str, &is_str) < 0)
		return -1;
	di = dbc_find_def(p, name);
	if (di < 0) {
		dbc_warn_at(p, p->line, dbc_col_of(p, st), "default for undefined attribute \"%s\"",
			    name);
	} else {
		struct dbc_attr_def *d = &p->defs.v[di];

		d->has_default = 1;
		d->def_num = v;
		d->def_str = is_str ? str : NULL;
	}
	dbc_lex_end_stmt(p);
	return 0;
}

static int p_ba(struct parser *p)
{
	const char *name;
	struct dbc_attrval av;
	uint8_t kind;
	long idx = 0, mi;
	struct dbc_attrval *dst;

	memset(&av, 0, sizeof(av));
	if (dbc_lex_string(p, &name) < 0)
		return -1;
	obj_kind(p, &kind);
	switch (kind) {
	case DBC_OBJ_NODE:
		if (node_ref(p, &idx) < 0)
			return -1;
		break;
	case DBC_OBJ_MSG:
		if (msg_ref(p, &idx) < 0)
			return -1;
		break;
	case DBC_OBJ_SIG:
		if (msg_ref(p, &mi) < 0 || sig_ref(p, mi, &idx) < 0)
			return -1;
		break;
	case DBC_OBJ_ENV: {
		const char *env;

		if (dbc_lex_ident(p, &env) < 0)
			return -1;
		break;
	}
	default:
		break;
	}
	if (attr_value(p, &av.num, &av.str, &av.is_str) < 0)
		return -1;
	if (kind != DBC_OBJ_ENV) {
		VEC_PUSH(p, p->vals, dst);
		if (!dst)
			return -1;
		*dst = av;
		dst->line = p->line;
		dst->defname = name;
		dst->kind = kind;
		dst->obj = (uint32_t)idx;
	}
	dbc_lex_end_stmt(p);
	return 0;
}

/* ---- statement loop */

typedef int (*handler_fn)(struct parser *p);

static int p_ba_def0(struct parser *p)
{
	return p_ba_def(p, 0);
}

static int p_ba_def_rel(struct parser *p)
{
	return p_ba_def(p, 1);
}

static int p_skip(struct parser *p)
{
	dbc_lex_skip_to_semi(p);
	return 0;
}

static const struct {
	const char *kw;
	handler_fn fn;
} sections[] = {
	{"VERSION", p_version},
	{"NS_", p_ns},
	{"BS_", p_bs},
	{"BU_", p_bu},
	{"BO_", p_bo},
	{"SG_", p_sg},
	{"BO_TX_BU_", p_bo_tx_bu},
	{"CM_", p_cm},
	{"VAL_", p_val},
	{"VAL_TABLE_", p_val_table},
	{"SIG_VALTYPE_", p_sig_valtype},
	{"SG_MUL_VAL_", p_sg_mul_val},
	{"BA_DEF_", p_ba_def0},
	{"BA_DEF_DEF_", p_ba_def_def},
	{"BA_", p_ba},
	{"BA_DEF_REL_", p_ba_def_rel},
	/* relation defaults and values carry nothing that decoding uses */
	{"BA_DEF_DEF_REL_", p_skip},
	{"BA_REL_", p_skip},
	{"BA_DEF_SGTYPE_", p_skip},
	{"BA_SGTYPE_", p_skip},
	{"SIG_GROUP_", p_skip},
	{"EV_", p_skip},
	{"ENVVAR_DATA_", p_skip},
	{"SGTYPE_", p_skip},
	{"SGTYPE_VAL_", p_skip},
	{"SIG_TYPE_REF_", p_skip},
	{"SIGTYPE_VALTYPE_", p_skip},
	{"CAT_DEF_", p_skip},
	{"CAT_", p_skip},
	{"FILTER", p_skip},
	{"BU_SG_REL_", p_skip},
	{"BU_EV_REL_", p_skip},
	{"BU_BO_REL_", p_skip},
	{"NS_DESC_", p_skip},
};

long dbc_section_of(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strlen(sections[i].kw) == n && !memcmp(sections[i].kw, s, n))
			return (long)i;
	return -1;
}

/* After a bad statement: go on at the next line starting with a keyword. */
static void resync(struct parser *p)
{
	dbc_lex_skip_line(p);
	while (p->pos < p->n) {
		size_t save = p->pos, st;

		while (p->pos < p->n && (dbc_lex_cur(p) == ' ' || dbc_lex_cur(p) == '\t'))
			p->pos++;
		st = p->pos;
		while (p->pos < p->n && !dbc_is_space(dbc_lex_cur(p)) &&
		       !dbc_is_punct(dbc_lex_cur(p)))
			p->pos++;
		if (p->pos > st && dbc_section_of(p->b + st, p->pos - st) >= 0) {
			p->pos = save;
			return;
		}
		p->pos = save;
		dbc_lex_skip_line(p);
	}
}

/*
 * Is this a DBC file at all: does the first word of some line (after
 * blanks, and a UTF-8 byte order mark on the first) name a section?  An
 * empty file, a binary or a CAN log has none, and loading it as an empty
 * database would decode every frame as unknown without a word.  One such
 * line is enough: bad lines around it stay warnings.  Scans only up to the
 * first hit, which in a real file is its first line.
 */
static int any_section(const char *b, size_t n)
{
	size_t i = n >= 3 && !memcmp(b, "\xEF\xBB\xBF", 3) ? 3 : 0, st;

	while (i < n) {
		while (i < n && b[i] != '\n' && dbc_is_space(b[i]))
			i++;
		st = i;
		while (i < n && !dbc_is_space(b[i]) && !dbc_is_punct(b[i]))
			i++;
		if (i > st && dbc_section_of(b + st, i - st) >= 0)
			return 1;
		while (i < n && b[i] != '\n')
			i++;
		i++;
	}
	return 0;
}

static void parse_all(struct parser *p)
{
	/* a UTF-8 byte order mark is not part of the first keyword */
	if (p->n >= 3 && !memcmp(p->b, "\xEF\xBB\xBF", 3))
		p->pos = p->line_start = 3;
	while (!p->failed && !p->oom) {
		const char *s;
		size_t n, st;
		long sec;
		unsigned int line;

		dbc_lex_skip_ws(p, 1);
		if (dbc_lex_at_end(p))
			break;
		st = p->pos;
		line = p->line;
		if (dbc_lex_cur(p) == ';') { /* stray ';' */
			p->pos++;
			continue;
		}
		p->err = 0;
		if (dbc_lex_word(p, &s, &n) < 0) {
			dbc_warn_at(p, line, dbc_col_of(p, st), "unexpected '%c'", p->b[st]);
			resync(p);
			continue;
		}
		sec = dbc_section_of(s, n);
		if (sec < 0) {
			dbc_warn_at(p, line, dbc_col_of(p, st), "unknown section '%.*s' skipped",
				    (int)(n > 40 ? 40 : n), s);
			resync(p);
			continue;
		}
		if (sections[sec].fn(p) < 0 && !p->oom) {
			if (!p->err)
				dbc_fail(p, st, "bad %s", sections[sec].kw);
			/* the error may sit on a later line of the statement */
			dbc_warn_at(p, p->err_line,
				    p->err_pos >= p->line_start ? dbc_col_of(p, p->err_pos) : 0,
				    "%s: %s", sections[sec].kw, p->msg);
			if (p->line > p->err_line) {
				p->pos = p->line_start;
				resync(p);
			} else {
				resync(p);
			}
		}
	}
}

static void parser_fini(struct parser *p)
{
	VEC_FREE(p->msgs);
	VEC_FREE(p->pm);
	VEC_FREE(p->sigs);
	VEC_FREE(p->ps);
	VEC_FREE(p->strs);
	VEC_FREE(p->senders);
	VEC_FREE(p->choices);
	VEC_FREE(p->ranges);
	VEC_FREE(p->nodes);
	VEC_FREE(p->defs);
	VEC_FREE(p->vals);
	VEC_FREE(p->enums);
	VEC_FREE(p->enum_first);
	dbc_htab_fini(&p->msg_by_rawid);
	dbc_htab_fini(&p->sig_by_name);
	dbc_htab_fini(&p->node_by_name);
	dbc_htab_fini(&p->def_by_name);
	dbc_arena_free(p->arena);
}

static void set_err(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

int dbc_load_mem(const char *name, const char *buf, size_t len, const struct dbc_opts *o,
		 struct dbc_db **out, char *err, size_t errsz)
{
	struct parser p;
	struct dbc_db *db;
	int ret = -ENOMEM;
	size_t guess = len / 64 + 16;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.b = buf;
	p.n = len;
	p.line = 1;
	p.path = name;
	p.o = o;
	p.flags = o ? o->flags : 0;
	p.errout = err;
	p.errsz = errsz;
	if (err && errsz)
		err[0] = 0;
	if (!any_section(buf, len)) {
		set_err(err, errsz, "%s: not a DBC file", name);
		return -EINVAL;
	}
	db = calloc(1, sizeof(*db));
	if (!db)
		goto out_oom;
	db->priv = calloc(1, sizeof(*db->priv));
	if (!db->priv)
		goto out_oom;
	db->flags = p.flags;
	p.db = db;
	if (dbc_htab_init(&p.msg_by_rawid, (uint32_t)(guess / 8)) < 0 ||
	    dbc_htab_init(&p.sig_by_name, 64) < 0 || dbc_htab_init(&p.node_by_name, 64) < 0 ||
	    dbc_htab_init(&p.def_by_name, 64) < 0)
		goto out_oom;
	db->path = dbc_lex_dup_str(&p, name, strlen(name));
	if (!db->path)
		goto out_oom;
	parse_all(&p);
	if (p.oom)
		goto out_oom;
	if (!p.failed) {
		ret = dbc_link(&p);
		if (ret < 0)
			goto out_oom;
	}
	if (p.failed) {
		ret = -EINVAL;
		goto out_free;
	}
	*out = db;
	parser_fini(&p);
	return 0;
out_oom:
	ret = -ENOMEM;
	set_err(err, errsz, "%s: out of memory", name);
out_free:
	if (db && db->priv && !db->priv->arena) {
		db->priv->arena = p.arena;
		p.arena = NULL;
	}
	dbc_free(db);
	parser_fini(&p);
	return ret;
}

int dbc_load_file(const char *path, const struct dbc_opts *o, struct dbc_db **out, char *err,
		  size_t errsz)
{
	struct stat st;
	void *map = NULL;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		set_err(err, errsz, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		set_err(err, errsz, "%s: %s", path, strerror(errno));
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		set_err(err, errsz, "%s: %s", path, strerror(EISDIR));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		set_err(err, errsz, "%s: not a regular file", path);
		goto out_close;
	}
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			ret = -errno;
			set_err(err, errsz, "%s: %s", path, strerror(errno));
			goto out_close;
		}
	}
	ret = dbc_load_mem(path, map ? map : "", (size_t)st.st_size, o, out, err, errsz);
	if (map)
		munmap(map, (size_t)st.st_size);
out_close:
	close(fd);
	return ret;
}
