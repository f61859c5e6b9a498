/* SPDX-License-Identifier: MIT */
/* cio_ev.c - clock, deadline timer and pump for the libev adapters. */
#include <time.h>

#include "cio_ev.h"

uint64_t cio_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t cio_ev_arm(struct ev_loop *loop, ev_timer *tm, uint64_t deadline)
{
	uint64_t now;

	ev_timer_stop(loop, tm);
	if (deadline == UINT64_MAX)
		return UINT64_MAX;
	/* libev counts from its cached time: refresh it, or we fire early */
	ev_now_update(loop);
	now = cio_now_ns();
	if (deadline <= now) {
		ev_timer_set(tm, 0, 0);
		ev_timer_start(loop, tm);
		return now;
	}
	ev_timer_set(tm, (double)(deadline - now) / 1e9, 0);
	ev_timer_start(loop, tm);
	return deadline;
}

void cio_ev_pump_init(struct cio_ev_pump *p, struct ev_loop *loop, cio_ev_step_fn step,
		      cio_ev_deadline_fn deadline, void *ctx, unsigned int max_rounds,
		      void (*on_timer)(struct ev_loop *loop, ev_timer *w, int revents))
{
	p->loop = loop;
	p->step = step;
	p->deadline = deadline;
	p->ctx = ctx;
	p->due = UINT64_MAX;
	p->max_rounds = max_rounds ? max_rounds : 1;
	p->busy = p->again = 0;
	ev_timer_init(&p->tm, on_timer, 0, 0);
	p->tm.data = ctx;
}

void cio_ev_pump_run(struct cio_ev_pump *p)
{
	unsigned int rounds = 0;
	int more;

	if (p->busy) {
		p->again = 1;
		return;
	}
	p->busy = 1;
	do {
		p->again = 0;
		more = p->step(p->ctx, cio_now_ns());
	} while ((more || p->again) && ++rounds < p->max_rounds);
	p->busy = 0;
	p->due = cio_ev_arm(p->loop, &p->tm, p->deadline(p->ctx));
}

void cio_ev_pump_stop(struct cio_ev_pump *p)
{
	/* a zeroed pump (its adapter failed to open) has nothing to stop */
	if (p->loop)
		ev_timer_stop(p->loop, &p->tm);
	p->due = UINT64_MAX;
}
