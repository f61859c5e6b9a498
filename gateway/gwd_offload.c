/* SPDX-License-Identifier: MIT */
/*
 * gwd_offload.c - canrigd's kernel offload: the routes can-gw computes
 * exactly are installed there (gw_cgw.h), and handed over from user
 * space without losing a frame.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>
#include <net/if.h>
#include <linux/rtnetlink.h>

#include "gw.h"
#include "gw_cgw.h"
#include "canrigd.h"

/* ---- kernel offload ----
 * Routes can-gw computes exactly (gw_cgw.h) are installed there and taken
 * out of the engine; the rest stays in user space.  Their can-gw counters
 * are folded into the routes' own every 10 s and on every stats request:
 * handled is forwarded, can-gw's dropped (destination down or its queue
 * full) counts as destination-down, its deleted (hop limit) as loop. */

/*
 * The index in the current engine of the route named as route i of the
 * plan rt (of another engine, still valid), or -1 when it has none.
 */
static long route_now(struct gwd *d, const struct gw_cgw_route *rt, size_t i)
{
	size_t j, n = gw_engine_nroutes(d->conf.engine);
	const char *name = rt[i].r->name;

	if (i < n && !strcmp(gw_engine_route_name(d->conf.engine, i), name))
		return (long)i;
	for (j = 0; j < n; j++)
		if (!strcmp(gw_engine_route_name(d->conf.engine, j), name))
			return (long)j;
	return -1;
}

/*
 * Adds what can-gw counted for the jobs of o since the last time into the
 * current engine's counters: route for route, or by name when o's plan
 * belongs to the engine a reload replaced (its jobs about to go).
 */
static void fold(struct gwd *d, struct offload *o, int by_name)
{
	size_t i;
	int e;

	if (!d->off.open || !o->n)
		return;
	e = gw_cgw_poll(&d->off.nl, o->inst, o->n);
	if (e) {
		gwd_logmsg(LOG_WARNING, "offload: reading can-gw counters: %s", strerror(-e));
		return;
	}
	for (i = 0; i < o->n; i++) {
		long r = by_name ? route_now(d, o->rt, i) : (long)i;
		struct gw_counters *c =
			r < 0 ? NULL : gw_engine_counters(d->conf.engine, (size_t)r);
		const struct gw_cgw_ctr *t = &o->inst[i].total;
		uint64_t h = t->handled - o->seen[i].handled;
		uint64_t dr = t->dropped - o->seen[i].dropped;
		uint64_t de = t->deleted - o->seen[i].deleted;
		unsigned int ndst = o->rt[i].ndst ? o->rt[i].ndst : 1;

		o->seen[i] = *t;
		if (!c)
			continue;
		/* every destination's job sees the same frames */
		c->matched += (h + dr + de) / ndst;
		c->forwarded += h;
		c->dropped[GW_DROP_DOWN] += dr;
		c->dropped[GW_DROP_LOOP] += de;
	}
}

void gwd_offload_fold(struct gwd *d)
{
	fold(d, &d->off, 0);
}

static void offload_free(struct gw_cgw_route *rt, struct gw_cgw_inst *inst, struct gw_cgw_ctr *seen)
{
	free(rt);
	free(inst);
	free(seen);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Forgets a handover (the routes it was for are gone or all in user space). */
void gwd_handover_clear(struct offload *o)
{
	free(o->final);
	free(o->moving);
	o->final = NULL;
	o->moving = NULL;
	o->pending = 0;
}

/*
 * Frees o's plan, jobs, counters and handover, and forgets them: no jobs
 * (taking them out of the kernel is the caller's).
 */
static void offload_reset(struct offload *o)
{
	offload_free(o->rt, o->inst, o->seen);
	o->rt = NULL;
	o->inst = NULL;
	o->seen = NULL;
	o->n = 0;
	gwd_handover_clear(o);
}

/*
 * Gives the engine the offload marks: every kernel route, except those
 * still being handed over.  Flags only, nothing allocated: it runs in the
 * receive path.
 */
static void handover_marks(struct gwd *d)
{
	struct offload *o = &d->off;
	size_t i, n = gw_engine_nroutes(d->conf.engine);

	if (!o->pending || !o->final || !o->moving) {
		gw_engine_offload(d->conf.engine, o->final);
		return;
	}
	for (i = 0; i < n; i++)
		gw_engine_offload_route(
			d->conf.engine, i,
			o->final[i] &&
				!(o->moving[i] &&
				  (o->pending >> gw_engine_route(d->conf.engine, i)->src & 1)));
}

/*
 * Interface g's moving routes are the kernel's from now on: the engine
 * leaves them, and g's filters drop their ids.  Not called from inside
 * gw_engine_input().
 */
static void handover(struct gwd *d, struct gif *g)
{
	struct offload *o = &d->off;

	o->pending &= ~(1u << g->idx);
	handover_marks(d);
	gwd_set_filters(d, g);
	if (!o->pending)
		gwd_handover_clear(o);
}

/*
 * The receive path's one way in: f, a frame interface g received, or
 * NULL when g has nothing more waiting (it ran dry).  Called before the
 * engine sees f: handover() may rebuild the engine's tables.
 */
void gwd_offload_rx(struct gwd *d, struct gif *g, const struct cf_frame *f)
{
	struct offload *o = &d->off;

	if (!(o->pending >> g->idx & 1))
		return;
	/* stamped after the jobs went in: the kernel routes it; ran dry
	 * after the jobs went in: what comes now, they route */
	if (!f || f->ts_ns > o->t_real)
		handover(d, g);
}

/*
 * Was route r in user space before the jobs planned in old (of the
 * engine being replaced, still valid) went in: not offloaded, or still
 * being handed over?  Routes are matched by name, as counters are.
 */
static int was_user(const struct offload *old, const struct gw_route_spec *r, size_t i)
{
	if (i >= old->n || strcmp(old->rt[i].r->name, r->name))
		for (i = 0; i < old->n && strcmp(old->rt[i].r->name, r->name); i++)
			;
	if (i == old->n || old->rt[i].why || !old->rt[i].njobs)
		return 1;
	return old->moving && old->moving[i] && (old->pending >> old->rt[i].r->src & 1);
}

/* Lists the plain jobs of inst for the next instance (gw_cgw_save()). */
static void offload_save(struct gwd *d, const struct gw_cgw_inst *inst, size_t n)
{
	int e = gw_cgw_save(d->off.saved, inst, n);

	if (e)
		gwd_logmsg(LOG_WARNING,
			   "offload: %s: %s (should canrigd be killed, its plain "
			   "can-gw jobs would stay)",
			   d->off.saved, strerror(-e));
}

/* Takes the jobs out of the kernel, counters not folded. */
static void offload_drop(struct gwd *d)
{
	struct offload *o = &d->off;
	int e;

	e = gw_cgw_remove(&o->nl, o->inst, o->n);
	if (e)
		gwd_logmsg(LOG_WARNING, "offload: removing can-gw jobs: %s", strerror(-e));
	offload_save(d, NULL, 0);
	offload_reset(o);
}

/* Takes the jobs out of the kernel (counters folded first). */
static void offload_remove(struct gwd *d)
{
	if (!d->off.n)
		return;
	gwd_offload_fold(d);
	offload_drop(d);
}

/* Do two plans make the same can-gw jobs (uids aside)? */
static int same_jobs(const struct gw_cgw_route *a, size_t na, const struct gw_cgw_route *b,
		     size_t nb, const uint32_t *ifindex)
{
	static uint8_t ma[GW_CGW_MSG_MAX], mb[GW_CGW_MSG_MAX];
	struct gw_cgw_job ja, jb;
	size_t i, k;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++) {
		if (!a[i].why != !b[i].why || a[i].njobs != b[i].njobs)
			return 0;
		for (k = 0; !a[i].why && k < a[i].njobs; k++) {
			int la, lb;

			if (gw_cgw_route_job(&a[i], k, ifindex, &ja) ||
			    gw_cgw_route_job(&b[i], k, ifindex, &jb))
				return 0;
			la = gw_cgw_encode(ma, sizeof(ma), RTM_NEWROUTE, 0, &ja);
			lb = gw_cgw_encode(mb, sizeof(mb), RTM_NEWROUTE, 0, &jb);
			if (la < 0 || la != lb || memcmp(ma, mb, (size_t)la))
				return 0;
		}
	}
	return 1;
}

/*
 * The offload plan of engine e, one gw_cgw_route per route (it borrows
 * e's routes), or NULL without memory.  Pure: a reload runs it on its
 * thread, so that routing does not wait for it.
 */
struct gw_cgw_route *gwd_offload_plan(const struct gw_engine *e)
{
	size_t i, n = gw_engine_nroutes(e);
	const struct gw_route_spec **routes = calloc(n + 1, sizeof(*routes));
	struct gw_cgw_route *rt = calloc(n + 1, sizeof(*rt));

	if (!routes || !rt) {
		free(routes);
		free(rt);
		return NULL;
	}
	for (i = 0; i < n; i++)
		routes[i] = gw_engine_route(e, i);
	gw_cgw_plan(gw_engine_spec(e), routes, n, rt);
	free(routes);
	return rt;
}

/*
 * Plans the current engine's offload (or takes plan, made by
 * gwd_offload_plan() for it, and owns it) and makes the kernel match it.  The
 * jobs installed before (for the engine whose routes the old plan points
 * into, still valid) stay when the new plan makes the same jobs: a reload
 * that changes nothing offloaded touches nothing in the kernel.
 * Otherwise the new jobs go in before the old ones come out, so no frame
 * goes unrouted; a route leaving the kernel may have a frame routed by
 * both.  A route entering it is handed over (see struct offload): frames
 * stamped before its jobs went in are still routed here, so none is
 * lost, and one stamped between the request and the kernel's answer may
 * be routed twice.  Routes whose interfaces are missing stay in user
 * space until they come back.  On an error every route runs in user
 * space.
 */
void gwd_offload_install(struct gwd *d, struct gw_cgw_route *plan)
{
	struct offload *o = &d->off, old = d->off;
	const struct gw_spec *sp;
	uint32_t ifindex[GW_MAX_IFS];
	uint8_t *kernel = NULL;
	size_t i, n, nk = 0, jobs = 0;
	int e = -ENOMEM, installed = 0;

	if (!o->open) {
		free(plan);
		return;
	}
	o->rt = NULL;
	o->inst = NULL;
	o->seen = NULL;
	o->n = 0;
	o->final = NULL;
	o->moving = NULL;
	o->pending = 0;
	sp = gw_engine_spec(d->conf.engine);
	n = gw_engine_nroutes(d->conf.engine);
	/* a second name for an open device is missing here too (gwd_open_if()) */
	for (i = 0; i < sp->nifs; i++)
		ifindex[i] = d->ifs[i].dup_of ? 0 : if_nametoindex(sp->ifs[i].name);
	kernel = calloc(n + 1, 1);
	o->rt = plan ? plan : gwd_offload_plan(d->conf.engine);
	if (!kernel || !o->rt)
		goto out_fail;
	for (i = 0; i < n; i++) {
		const struct gw_route_spec *r = gw_engine_route(d->conf.engine, i);
		unsigned int k;

		if (o->rt[i].why)
			continue;
		for (k = 0; k < sp->nifs; k++)
			if ((k == r->src || (r->dst >> k & 1)) && !ifindex[k])
				o->rt[i].why = "interface missing";
	}
	if (old.n && same_jobs(old.rt, old.n, o->rt, n, ifindex)) {
		/* keep the jobs and their counters; only the plan is new */
		free(old.rt);
		o->inst = old.inst;
		o->seen = old.seen;
		/* a handover under way goes on: the same jobs, route for route */
		o->moving = old.moving;
		o->pending = old.pending;
		old.moving = NULL;
		old.n = 0;
	} else {
		o->inst = calloc(n + 1, sizeof(*o->inst));
		o->seen = calloc(n + 1, sizeof(*o->seen));
		o->moving = calloc(n + 1, 1);
		if (!o->inst || !o->seen || !o->moving)
			goto out_fail;
		/* two generations take turns: the new jobs never meet the old uids */
		o->gen ^= 1;
		gw_cgw_generation(&o->nl, o->gen);
		/* plain jobs that stay the same are taken over, not doubled */
		e = gw_cgw_install(&o->nl, o->rt, n, ifindex, o->inst, old.inst, old.n);
		if (e)
			goto out_fail;
		/* after the kernel's answer: a frame stamped later met the jobs */
		o->t_real = realtime_ns();
		installed = 1;
		offload_save(d, o->inst, n);
	}
	o->n = n;
	for (i = 0; i < n; i++) {
		const struct gw_route_spec *r = gw_engine_route(d->conf.engine, i);

		kernel[i] = !o->rt[i].why && o->rt[i].njobs;
		nk += kernel[i];
		jobs += kernel[i] ? o->rt[i].njobs : 0;
		if (installed && kernel[i] && was_user(&old, r, i)) {
			o->moving[i] = 1;
			o->pending |= 1u << r->src;
		}
		if (!kernel[i] && d->verbose)
			gwd_logmsg(LOG_INFO, "offload: route %s stays in user space: %s", r->name,
				   o->rt[i].why ? o->rt[i].why : "matches nothing");
	}
	o->final = kernel;
	kernel = NULL;
	handover_marks(d);
	gwd_refilter(d);
	if (old.n) {
		/* what they routed since the reload's fold counts too */
		fold(d, &old, 1);
		e = gw_cgw_remove(&o->nl, old.inst, old.n);
		if (e)
			gwd_logmsg(LOG_WARNING, "offload: removing old can-gw jobs: %s",
				   strerror(-e));
		offload_free(old.rt, old.inst, old.seen);
	}
	gwd_handover_clear(&old);
	if (!o->pending)
		gwd_handover_clear(o);
	/* a source with nothing to read must not wait for its next frame */
	for (i = 0; i < d->conf.nifs; i++)
		if ((o->pending >> i & 1) && d->ifs[i].open)
			ev_feed_event(d->loop, &d->ifs[i].rd, EV_READ);
	gwd_logmsg(LOG_NOTICE, "offload: %zu of %zu routes in the kernel's can-gw (%zu jobs)", nk,
		   n, jobs);
	return;

out_fail:
	gwd_logmsg(LOG_WARNING, "offload: %s; every route runs in user space", strerror(-e));
	if (o->n)
		offload_remove(d);
	offload_reset(o);
	if (old.n) {
		gw_cgw_remove(&o->nl, old.inst, old.n);
		offload_free(old.rt, old.inst, old.seen);
	}
	gwd_handover_clear(&old);
	offload_save(d, NULL, 0);
	gw_engine_offload(d->conf.engine, NULL);
	gwd_refilter(d);
	free(kernel);
}

static void on_offload_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gwd *d = w->data;
	size_t i;

	(void)loop;
	(void)revents;
	gwd_offload_fold(d);
	/* the kernel drops a job whose interface goes away: put it back */
	for (i = 0; i < d->off.n; i++)
		if (d->off.inst[i].missing) {
			gwd_logmsg(LOG_NOTICE,
				   "offload: can-gw lost jobs of route %s; reinstalling",
				   gw_engine_route_name(d->conf.engine, i));
			offload_remove(d);
			gwd_offload_install(d, NULL);
			break;
		}
}

/* Starts offloading (plan as for gwd_offload_install(), owned). */
void gwd_offload_start(struct gwd *d, struct gw_cgw_route *plan)
{
	struct offload *o = &d->off;
	int e;

	if (!d->conf.offload_kernel) {
		free(plan);
		return;
	}
	e = gw_cgw_open(&o->nl, 0);
	if (e) {
		gwd_logmsg(LOG_WARNING, "offload: netlink: %s; every route runs in user space",
			   strerror(-e));
		free(plan);
		return;
	}
	o->open = 1;
	/* jobs a killed instance left behind would route twice: those with
	 * our uid, and the plain ones it listed next to its control socket */
	snprintf(o->saved, sizeof(o->saved), "%s.jobs", d->conf.control);
	e = gw_cgw_flush(&o->nl, -1);
	if (e > 0)
		gwd_logmsg(LOG_NOTICE, "offload: removed %d can-gw jobs left from before", e);
	e = gw_cgw_flush_saved(&o->nl, o->saved);
	if (e > 0)
		gwd_logmsg(LOG_NOTICE, "offload: removed %d plain can-gw jobs listed in %s", e,
			   o->saved);
	else if (e < 0)
		gwd_logmsg(LOG_WARNING, "offload: %s: %s", o->saved, strerror(-e));
	gwd_offload_install(d, plan);
	ev_timer_init(&o->poll_tm, on_offload_poll, 10, 10);
	o->poll_tm.data = d;
	ev_timer_start(d->loop, &o->poll_tm);
}

void gwd_offload_stop(struct gwd *d)
{
	if (!d->off.open)
		return;
	ev_timer_stop(d->loop, &d->off.poll_tm);
	offload_remove(d);
	gw_cgw_close(&d->off.nl);
	d->off.open = 0;
}

/*
 * After a reload's swap: offload: kernel turned on, turned off, or kept
 * (then the jobs follow the new plan).  Turned off, the new engine
 * already routes everything and canrigd's filters take it all, so the
 * jobs come out last: a frame may be routed twice, none goes unrouted.
 * The jobs' counters were folded before the swap.
 */
void gwd_offload_reload(struct gwd *d)
{
	struct offload *o = &d->off;
	struct gw_cgw_route *plan = d->rl.plan;

	d->rl.plan = NULL;
	if (d->conf.offload_kernel && !o->open) {
		gwd_offload_start(d, plan);
		return;
	}
	if (d->conf.offload_kernel || !o->open) {
		gwd_offload_install(d, plan);
		return;
	}
	free(plan);
	ev_timer_stop(d->loop, &o->poll_tm);
	offload_drop(d);
	gw_cgw_close(&o->nl);
	o->open = 0;
	gwd_logmsg(LOG_NOTICE, "offload: off; every route runs in user space");
}
