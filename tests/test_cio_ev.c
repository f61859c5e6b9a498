/* SPDX-License-Identifier: MIT */
/*
 * test_cio_ev.c - the adapters' clock, deadline timer and pump, on a
 * private libev loop with a fake engine.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>

#include "cio_ev.h"
#include "unit.h"

#define MS 1000000ull

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts))
		;
}

static int fired;
static void *fired_data;

static void on_fire(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	fired++;
	fired_data = w->data;
}

static void test_clock(void)
{
	uint64_t a = cio_now_ns(), b;

	sleep_ms(2);
	b = cio_now_ns();
	CU_ASSERT(a > 0);
	CU_ASSERT(b >= a + 2 * MS);
}

static void test_arm_past(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	uint64_t t0, due;
	ev_timer tm;

	CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
	ev_timer_init(&tm, on_fire, 0, 0);
	fired = 0;
	t0 = cio_now_ns();
	/* a deadline gone by: due now, at once, and reported as now (that is
	 * when it can fire at the earliest, what lateness counts from) */
	due = cio_ev_arm(loop, &tm, t0 - 5 * MS);
	CU_ASSERT(due >= t0);
	CU_ASSERT(due <= cio_now_ns());
	CU_ASSERT(ev_is_active(&tm));
	ev_run(loop, EVRUN_NOWAIT);
	CU_ASSERT_EQUAL(fired, 1);
	/* and 0 (the start of time) as well */
	CU_ASSERT(cio_ev_arm(loop, &tm, 0) >= t0);
	ev_run(loop, EVRUN_NOWAIT);
	CU_ASSERT_EQUAL(fired, 2);
	ev_timer_stop(loop, &tm);
	ev_loop_destroy(loop);
}

static void test_arm_future(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	uint64_t d;
	ev_timer tm;

	CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
	ev_timer_init(&tm, on_fire, 0, 0);
	fired = 0;
	/* the loop's cached time goes stale while it does not run: counted
	 * from it, the timer would fire 60 ms early, i.e. at once */
	ev_run(loop, EVRUN_NOWAIT);
	sleep_ms(60);
	d = cio_now_ns() + 30 * MS;
	CU_ASSERT_EQUAL(cio_ev_arm(loop, &tm, d), d);
	CU_ASSERT(ev_is_active(&tm));
	ev_run(loop, EVRUN_NOWAIT);
	CU_ASSERT_EQUAL(fired, 0);
	ev_run(loop, EVRUN_ONCE);
	CU_ASSERT_EQUAL(fired, 1);
	/* libev may round; a millisecond early is rounding, 60 is a bug */
	CU_ASSERT(cio_now_ns() + MS >= d);
	/* re-arming replaces the old deadline */
	cio_ev_arm(loop, &tm, cio_now_ns() + 3600 * 1000 * MS);
	CU_ASSERT(ev_timer_remaining(loop, &tm) > 3000);
	cio_ev_arm(loop, &tm, cio_now_ns() + 10 * MS);
	CU_ASSERT(ev_timer_remaining(loop, &tm) < 1);
	ev_timer_stop(loop, &tm);
	ev_loop_destroy(loop);
}

static void test_arm_none(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	ev_timer tm;

	CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
	ev_timer_init(&tm, on_fire, 0, 0);
	fired = 0;
	cio_ev_arm(loop, &tm, cio_now_ns());
	CU_ASSERT(ev_is_active(&tm));
	/* no deadline: the armed timer is stopped, and never fires */
	CU_ASSERT_EQUAL(cio_ev_arm(loop, &tm, UINT64_MAX), UINT64_MAX);
	CU_ASSERT(!ev_is_active(&tm));
	ev_run(loop, EVRUN_NOWAIT);
	CU_ASSERT_EQUAL(fired, 0);
	/* and stopping a stopped one is fine */
	CU_ASSERT_EQUAL(cio_ev_arm(loop, &tm, UINT64_MAX), UINT64_MAX);
	ev_loop_destroy(loop);
}

/* A fake engine: msgs to send one per round, a deadline, and a callback
 * that asks for output again from inside a round (as an ISO-TP
 * confirmation does). */
struct fake {
	struct cio_ev_pump p;
	unsigned int msgs, sent, steps, depth, max_depth;
	unsigned int kick_at; /* step that calls back into the pump, or 0 */
	int forever;	      /* always says there is more */
	uint64_t deadline, last_now;
};

static int fake_step(void *ctx, uint64_t now)
{
	struct fake *f = ctx;
	int more = 0;

	f->steps++;
	f->last_now = now;
	if (++f->depth > f->max_depth)
		f->max_depth = f->depth;
	if (f->steps == f->kick_at)
		cio_ev_pump_run(&f->p);
	if (f->msgs) {
		f->msgs--;
		f->sent++;
		more = 1;
	}
	f->depth--;
	return more || f->forever;
}

static uint64_t fake_deadline(void *ctx)
{
	return ((struct fake *)ctx)->deadline;
}

static void test_pump(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct fake f = {0};
	uint64_t t0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
	fired = 0;
	fired_data = NULL;
	cio_ev_pump_init(&f.p, loop, fake_step, fake_deadline, &f, 100, on_fire);
	CU_ASSERT(!ev_is_active(&f.p.tm));
	CU_ASSERT_EQUAL(cio_ev_pump_late(&f.p, cio_now_ns()), 0);

	/* three messages: three rounds that send, one that finds nothing */
	t0 = cio_now_ns();
	f.msgs = 3;
	f.deadline = UINT64_MAX;
	cio_ev_pump_run(&f.p);
	CU_ASSERT_EQUAL(f.sent, 3);
	CU_ASSERT_EQUAL(f.steps, 4);
	CU_ASSERT(f.last_now >= t0);
	CU_ASSERT(!ev_is_active(&f.p.tm));
	CU_ASSERT_EQUAL(f.p.due, UINT64_MAX);

	/* a call from inside a round does not nest; it buys one more round
	 * even though that round had found nothing */
	f.steps = 0;
	f.kick_at = 1;
	cio_ev_pump_run(&f.p);
	CU_ASSERT_EQUAL(f.max_depth, 1);
	CU_ASSERT_EQUAL(f.steps, 2);
	CU_ASSERT_EQUAL(f.p.busy, 0);
	CU_ASSERT_EQUAL(f.p.again, 0);

	/* an engine that always has more is cut off at max_rounds */
	f.steps = 0;
	f.kick_at = 0;
	f.forever = 1;
	cio_ev_pump_run(&f.p);
	CU_ASSERT_EQUAL(f.steps, 100);
	f.forever = 0;

	/* a deadline gone by: armed to fire at once, with ctx as its data */
	f.steps = 0;
	f.deadline = cio_now_ns() - MS;
	cio_ev_pump_run(&f.p);
	CU_ASSERT_EQUAL(f.steps, 1);
	CU_ASSERT(ev_is_active(&f.p.tm));
	CU_ASSERT(f.p.due > f.deadline);
	ev_run(loop, EVRUN_NOWAIT);
	CU_ASSERT_EQUAL(fired, 1);
	CU_ASSERT_PTR_EQUAL(fired_data, &f);

	/* lateness counts from due; one in the future is on time */
	f.p.due = 1000;
	CU_ASSERT_EQUAL(cio_ev_pump_late(&f.p, 1500), 500);
	CU_ASSERT_EQUAL(cio_ev_pump_late(&f.p, 900), 0);

	f.deadline = cio_now_ns() + 3600 * 1000 * MS;
	cio_ev_pump_run(&f.p);
	CU_ASSERT_EQUAL(f.p.due, f.deadline);
	CU_ASSERT(ev_is_active(&f.p.tm));
	cio_ev_pump_stop(&f.p);
	CU_ASSERT(!ev_is_active(&f.p.tm));
	CU_ASSERT_EQUAL(f.p.due, UINT64_MAX);
	cio_ev_pump_stop(&f.p);
	ev_loop_destroy(loop);
}

/* A deadline under CIO_EV_FINE_NS goes to a timerfd armed for exactly
 * that time (ev_timer's epoll wait is whole ms, at least one), fires
 * through on_timer with ctx, never before it; a far one goes back to tm;
 * fini closes the fd. */
static void test_pump_fine(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct fake f = {0};
	struct itimerspec its;
	uint64_t d, at;
	int fd, n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
	fired = 0;
	fired_data = NULL;
	cio_ev_pump_init(&f.p, loop, fake_step, fake_deadline, &f, 100, on_fire);
	CU_ASSERT_EQUAL(f.p.tfd, -1); /* nothing opened until needed */

	d = cio_now_ns() + MS / 5;
	f.deadline = d;
	cio_ev_pump_run(&f.p);
	fd = f.p.tfd;
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(!ev_is_active(&f.p.tm));
	CU_ASSERT(ev_is_active(&f.p.fine));
	CU_ASSERT_EQUAL(f.p.due, d);
	CU_ASSERT_EQUAL(timerfd_gettime(fd, &its), 0);
	CU_ASSERT(its.it_value.tv_sec == 0 && its.it_value.tv_nsec > 0 &&
		  its.it_value.tv_nsec <= (long)(MS / 5));
	/* a second run for the same deadline keeps it */
	cio_ev_pump_run(&f.p);
	CU_ASSERT_EQUAL(f.p.tfd, fd);
	f.deadline = UINT64_MAX; /* the engine has nothing more after it fires */
	for (n = 0; !fired && n < 1000; n++)
		ev_run(loop, EVRUN_ONCE);
	at = cio_now_ns();
	CU_ASSERT_EQUAL(fired, 1);
	CU_ASSERT_PTR_EQUAL(fired_data, &f);
	CU_ASSERT(at >= d);
	CU_ASSERT(!ev_is_active(&f.p.fine));

	/* far: ev_timer again, the timerfd disarmed */
	f.deadline = d = cio_now_ns() + 1000 * MS;
	cio_ev_pump_run(&f.p);
	CU_ASSERT_EQUAL(f.p.tfd, fd);
	CU_ASSERT(ev_is_active(&f.p.tm));
	CU_ASSERT(!ev_is_active(&f.p.fine));
	/* near again, then far: the timerfd is disarmed, not left to fire */
	f.deadline = cio_now_ns() + 10 * MS;
	cio_ev_pump_run(&f.p);
	CU_ASSERT(ev_is_active(&f.p.fine));
	CU_ASSERT(!ev_is_active(&f.p.tm));
	f.deadline = d;
	cio_ev_pump_run(&f.p);
	CU_ASSERT_EQUAL(timerfd_gettime(fd, &its), 0);
	CU_ASSERT(its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0);
	CU_ASSERT(!ev_is_active(&f.p.fine));

	/* stop disarms both; fini closes the fd, twice is harmless */
	f.deadline = cio_now_ns() + 10 * MS;
	cio_ev_pump_run(&f.p);
	cio_ev_pump_stop(&f.p);
	CU_ASSERT(!ev_is_active(&f.p.fine));
	CU_ASSERT_EQUAL(timerfd_gettime(fd, &its), 0);
	CU_ASSERT(its.it_value.tv_nsec == 0);
	cio_ev_pump_fini(&f.p);
	CU_ASSERT_EQUAL(fcntl(fd, F_GETFD), -1);
	CU_ASSERT_EQUAL(f.p.tfd, -1);
	cio_ev_pump_fini(&f.p);
	ev_loop_destroy(loop);
}

static int register_cio_ev_tests(void)
{
	CU_pSuite s = CU_add_suite("cio_ev (adapter clock, timer, pump)", NULL, NULL);

	if (!s || !CU_add_test(s, "monotonic clock in ns", test_clock) ||
	    !CU_add_test(s, "arm: deadline gone by fires at once", test_arm_past) ||
	    !CU_add_test(s, "arm: future deadline, not early", test_arm_future) ||
	    !CU_add_test(s, "arm: UINT64_MAX stops the timer", test_arm_none) ||
	    !CU_add_test(s, "pump: rounds, no nesting, bound, timer", test_pump) ||
	    !CU_add_test(s, "pump: near deadlines on a timerfd", test_pump_fine))
		return CU_get_error();
	return 0;
}
UNIT_SUITE(cio_ev, register_cio_ev_tests)
