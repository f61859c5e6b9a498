/* SPDX-License-Identifier: MIT */
/*
 * cio_ev.h - the glue every libev adapter of an I/O-free engine needs:
 * the one monotonic clock the engines' time arguments are on, one timer
 * armed for an engine's next deadline, and a pump that runs an engine
 * until it has nothing more to do now.
 *
 * Engines (isotp, uds_client, uds_sim, gw_engine) take "now" and give
 * back a deadline, both in cio_now_ns() nanoseconds; UINT64_MAX means no
 * deadline.  Nothing here allocates; every object is in the caller's
 * storage.
 */
#ifndef CANRIG_CIO_EV_H
#define CANRIG_CIO_EV_H

#include <stdint.h>

#include <ev.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CLOCK_MONOTONIC now, in nanoseconds: the engines' clock. */
uint64_t cio_now_ns(void);

/*
 * Arms the one-shot timer tm (ev_timer_init()ed by the caller) on loop
 * to fire at deadline (cio_now_ns() time), replacing what it was armed
 * for; a deadline already past fires at the loop's next iteration, and
 * UINT64_MAX only stops the timer.  Returns the earliest time it can
 * fire: deadline, or now when that is past, or UINT64_MAX when stopped;
 * a timer firing much later than that means the process could not run
 * (a loaded host), which is not the peer's fault.
 */
uint64_t cio_ev_arm(struct ev_loop *loop, ev_timer *tm, uint64_t deadline);

/*
 * One round of an adapter's pump at time now: give the engine the time
 * (its timers), take what it has to send and send it.  Returns nonzero
 * when another round may find more (it sent something), 0 when nothing
 * more is due now.  ctx is the pump's.
 */
typedef int (*cio_ev_step_fn)(void *ctx, uint64_t now);

/* The engine's next deadline (cio_now_ns() time), or UINT64_MAX. */
typedef uint64_t (*cio_ev_deadline_fn)(void *ctx);

/*
 * Deadlines closer than this are kept by a timerfd rather than by tm:
 * libev's epoll backend sleeps at least 1 ms and in whole ms rounded up,
 * so a 200 us ISO-TP STmin took over 1 ms per frame.  Farther deadlines
 * (timeouts) keep the cheaper ev_timer, where a ms does not matter.
 */
#define CIO_EV_FINE_NS 50000000ull

struct cio_ev_pump {
	struct ev_loop *loop;
	ev_timer tm;	  /* armed for deadline() after each run; data = ctx */
	ev_io fine;	  /* the timerfd's watcher, for near deadlines */
	int tfd;	  /* that timerfd: -1 until first needed, -2 unavailable */
	uint64_t fine_at; /* what tfd is armed for; 0 disarmed */
	void (*on_timer)(struct ev_loop *loop, ev_timer *w, int revents);
	cio_ev_step_fn step;
	cio_ev_deadline_fn deadline;
	void *ctx;
	uint64_t due;		 /* tm can fire at the earliest (cio_ev_arm()) */
	unsigned int max_rounds; /* bound of one run, against an engine bug */
	int busy, again;
};

/*
 * Sets up p on loop (nothing is started, nothing is opened): step and
 * deadline get ctx, and so does on_timer, through p->tm.data; on_timer
 * is the adapter's (it may read what arrived first) and usually ends in
 * cio_ev_pump_run().  It is called with &p->tm whichever clock fired.
 * max_rounds (>= 1) bounds the rounds of one run.  The first deadline
 * nearer than CIO_EV_FINE_NS opens a timerfd (where that fails, tm keeps
 * the deadline, to the ms), which cio_ev_pump_fini() closes.
 */
void cio_ev_pump_init(struct cio_ev_pump *p, struct ev_loop *loop, cio_ev_step_fn step,
		      cio_ev_deadline_fn deadline, void *ctx, unsigned int max_rounds,
		      void (*on_timer)(struct ev_loop *loop, ev_timer *w, int revents));

/*
 * Runs step() until it returns 0 (or max_rounds), then arms the timer
 * for deadline().  A call made while step() runs (an engine event whose
 * callback asks for output again) does not nest: it only asks the
 * running call for one more round, so one engine is never pumped inside
 * itself.
 */
void cio_ev_pump_run(struct cio_ev_pump *p);

/* How much later than it could the timer fired, at now: 0 when on time
 * or not armed.  Meant for the start of on_timer, before anything re-arms
 * it. */
static inline uint64_t cio_ev_pump_late(const struct cio_ev_pump *p, uint64_t now)
{
	return p->due != UINT64_MAX && now > p->due ? now - p->due : 0;
}

/* Stops the timer (until the next run); safe on a stopped or zeroed
 * (never set up) pump. */
void cio_ev_pump_stop(struct cio_ev_pump *p);

/* Stops the timer and closes the timerfd, if any: the pump's end (it may
 * be set up again).  Safe on a zeroed pump and twice. */
void cio_ev_pump_fini(struct cio_ev_pump *p);

#ifdef __cplusplus
}
#endif

#endif /* CANRIG_CIO_EV_H */
