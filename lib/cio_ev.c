/* SPDX-License-Identifier: MIT */
/* cio_ev.c - clock, deadline timer and pump for the libev adapters. */
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

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
	p->on_timer = on_timer;
	p->tfd = -1;
	p->fine_at = 0;
}

static void on_fine(struct ev_loop *loop, ev_io *w, int revents)
{
	struct cio_ev_pump *p = w->data;
	uint64_t n;

	(void)revents;
	/* nothing to read: a re-arm since epoll saw it reset the expiry */
	if (read(p->tfd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return;
	p->fine_at = 0;
	ev_io_stop(loop, w);
	p->on_timer(loop, &p->tm, EV_TIMER);
}

/* Arms the timerfd for deadline d (> now); -1 where there is none. */
static int fine_arm(struct cio_ev_pump *p, uint64_t d)
{
	struct itimerspec its = {{0, 0}, {0, 0}};

	if (p->tfd == -2)
		return -1;
	if (p->tfd < 0) {
		p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (p->tfd < 0) {
			p->tfd = -2; /* once: tm keeps every deadline */
			return -1;
		}
		ev_io_init(&p->fine, on_fine, p->tfd, EV_READ);
		p->fine.data = p;
	}
	if (p->fine_at != d) {
		/* absolute, on the engines' own clock: no rounding, no drift */
		its.it_value.tv_sec = (time_t)(d / 1000000000ull);
		its.it_value.tv_nsec = (long)(d % 1000000000ull);
		if (timerfd_settime(p->tfd, TFD_TIMER_ABSTIME, &its, NULL))
			return -1;
		p->fine_at = d;
	}
	ev_io_start(p->loop, &p->fine);
	return 0;
}

static void fine_disarm(struct cio_ev_pump *p)
{
	static const struct itimerspec zero = {{0, 0}, {0, 0}};

	if (!p->fine_at)
		return;
	ev_io_stop(p->loop, &p->fine);
	timerfd_settime(p->tfd, 0, &zero, NULL);
	p->fine_at = 0;
}

void cio_ev_pump_run(struct cio_ev_pump *p)
{
	unsigned int rounds = 0;
	uint64_t d, now;
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
	d = p->deadline(p->ctx);
	if (d != UINT64_MAX) {
		now = cio_now_ns();
		if (d > now && d - now < CIO_EV_FINE_NS && !fine_arm(p, d)) {
			ev_timer_stop(p->loop, &p->tm);
			p->due = d;
			return;
		}
	}
	fine_disarm(p);
	p->due = cio_ev_arm(p->loop, &p->tm, d);
}

void cio_ev_pump_stop(struct cio_ev_pump *p)
{
	/* a zeroed pump (its adapter failed to open) has nothing to stop */
	if (p->loop) {
		ev_timer_stop(p->loop, &p->tm);
		fine_disarm(p);
	}
	p->due = UINT64_MAX;
}

void cio_ev_pump_fini(struct cio_ev_pump *p)
{
	cio_ev_pump_stop(p);
	if (!p->loop)
		return;
	if (p->tfd >= 0) {
		ev_io_stop(p->loop, &p->fine);
		close(p->tfd);
	}
	p->tfd = -1;
}
