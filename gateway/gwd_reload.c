/* SPDX-License-Identifier: MIT */
/*
 * gwd_reload.c - canrigd's reload: the file is read, parsed and compiled
 * on a thread of its own while the loop goes on routing; the swap runs
 * on the loop (reload_apply()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ev.h>

#include "gw.h"
#include "gw_cgw.h"
#include "gw_conf.h"
#include "yml.h"
#include "canrigd.h"

static int same_interfaces(const struct gw_conf *a, const struct gw_conf *b)
{
	size_t i;

	if (a->nifs != b->nifs)
		return 0;
	for (i = 0; i < a->nifs; i++)
		if (strcmp(a->ifname[i], b->ifname[i]) ||
		    a->pol[i].queue_frames != b->pol[i].queue_frames ||
		    a->pol[i].rcvbuf != b->pol[i].rcvbuf)
			return 0;
	return 1;
}

#define CONFIG_MAX (64u << 20) /* as yml_load_file(): a configuration, not data */

/*
 * Reads the configuration for a reload into y: opened relative to
 * d->dirfd (a relative -c is relative to where canrigd started, not to
 * "/" where daemon() went, and needs no more rights than it did there),
 * checked on the open file as gwd_config_file_ok() does, then parsed.
 * Messages name the file as given.  Returns 0, or -errno / -EPERM /
 * -EINVAL with the message in err.
 */
static int reload_read(struct gwd *d, struct yml *y, char *err, size_t cap)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t len = 0, room = 0;
	ssize_t n;
	int fd, e;

	memset(y, 0, sizeof(*y)); /* yml_fini()-able whatever happens */
	fd = openat(d->dirfd, d->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st)) {
		e = -errno;
		snprintf(err, cap, "%s: %s", d->path, strerror(-e));
		goto out;
	}
	e = gwd_config_stat_ok(d->path, &st, d->start_uid, err, cap);
	if (e)
		goto out;
	for (;;) {
		if (len == room) {
			room = room ? room * 2 : (size_t)st.st_size + 1;
			nb = room <= CONFIG_MAX ? realloc(buf, room) : NULL;
			if (!nb) {
				e = room > CONFIG_MAX ? -EFBIG : -ENOMEM;
				snprintf(err, cap, "%s: %s", d->path, strerror(-e));
				goto out;
			}
			buf = nb;
		}
		n = read(fd, buf + len, room - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = -errno;
			snprintf(err, cap, "%s: %s", d->path, strerror(-e));
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	e = yml_load_mem(y, d->path, buf, len);
	if (e)
		snprintf(err, cap, "%s", yml_errmsg(y)[0] ? yml_errmsg(y) : strerror(-e));
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return e;
}

/*
 * Swaps in the configuration the reload thread parsed and checked
 * completely.  It runs on the loop, between two batches: no frame is in
 * flight in user space, and the sockets stay open meanwhile, so the
 * kernel keeps what arrives.
 */
static void reload_apply(struct gwd *d, char *res, size_t cap)
{
	struct gw_conf nc = d->rl.nc;
	unsigned int i;
	uint64_t t1 = gwd_now_ns();

	if (d->rl.rc) {
		gwd_logmsg(LOG_ERR, "reload refused, old rules kept: %s", d->rl.err);
		snprintf(res, cap, "error: reload refused, old rules kept: %s", d->rl.err);
		return;
	}
	/* the DoIP entity's part that can fail (sockets of another port, an
	 * ECU's buffers) before anything is swapped: it refuses the whole */
	if (gwd_doip_prepare(d, &nc, d->rl.err, sizeof(d->rl.err))) {
		gw_conf_fini(&d->rl.nc);
		free(d->rl.plan);
		d->rl.plan = NULL;
		gwd_logmsg(LOG_ERR, "reload refused, old rules kept: %s", d->rl.err);
		snprintf(res, cap, "error: reload refused, old rules kept: %s", d->rl.err);
		return;
	}
	/* the kernel's share of the counters first, so they carry over */
	gwd_offload_fold(d);
	gw_engine_adopt(nc.engine, d->conf.engine);
	if (same_interfaces(&nc, &d->conf)) {
		struct gw_engine *old = d->conf.engine;

		d->conf = nc;
		gwd_requeue(d, old);
		/* With offload staying on, gwd_offload_install() marks the kernel's
		 * routes in the new engine and then filters; filtering here as
		 * well would take every offloaded id into user space for a
		 * moment (frames the engine then skips): one more round of
		 * filter changes while routing waits. */
		if (!nc.offload_kernel || !d->off.open)
			gwd_refilter(d);
		/* old still holds the routes the installed jobs were planned from */
		gwd_offload_reload(d);
		gw_engine_free(old);
	} else {
		struct gw_conf old = d->conf;

		/* other interfaces: their sockets are made anew, and what they
		 * receive came after every job in the kernel: no handover */
		gwd_close_all(d);
		gwd_handover_clear(&d->off);
		d->conf = nc;
		if (gwd_alloc_queues(d))
			gwd_logmsg(LOG_ERR, "reload: out of memory");
		for (i = 0; i < d->conf.nifs; i++)
			gwd_open_if(d, &d->ifs[i], 0);
		gwd_offload_reload(d);
		gw_conf_fini(&old);
	}
	gwd_workshop_follow_file(d);
	gwd_ctl_rights_resolve(d);
	gwd_doip_reloaded(d);
	snprintf(res, cap,
		 "reloaded %s: %zu route%s in %.3f ms (YAML %.3f ms, rules %.3f ms), "
		 "routing paused %.3f ms",
		 d->path, gw_engine_nroutes(d->conf.engine),
		 gwd_plural(gw_engine_nroutes(d->conf.engine)),
		 (double)(gwd_now_ns() - d->rl.t0) / 1e6, (double)d->rl.yaml_ns / 1e6,
		 (double)d->rl.rules_ns / 1e6, (double)(gwd_now_ns() - t1) / 1e6);
	gwd_logmsg(LOG_NOTICE, "%s", res);
	gwd_arm_rate(d);
}

/* Parses and compiles on the reload thread; times both parts, since
 * libyaml's share is not ours to make faster. */
static void *reload_main(void *arg)
{
	struct gwd *d = arg;
	struct yml y;
	uint64_t t0 = gwd_now_ns(), t1;

	d->rl.rc = reload_read(d, &y, d->rl.err, sizeof(d->rl.err));
	t1 = gwd_now_ns();
	if (!d->rl.rc)
		d->rl.rc =
			gw_conf_load_yml_at(&d->rl.nc, &y, d->dirfd, d->rl.err, sizeof(d->rl.err));
	yml_fini(&y);
	/* an interface that is there but not CAN: refused, as at start */
	if (!d->rl.rc) {
		d->rl.rc = gwd_ifs_check(&d->rl.nc, d->path, 0, d->rl.err, sizeof(d->rl.err));
		if (d->rl.rc)
			gw_conf_fini(&d->rl.nc);
	}
	d->rl.plan =
		!d->rl.rc && d->rl.nc.offload_kernel ? gwd_offload_plan(d->rl.nc.engine) : NULL;
	d->rl.yaml_ns = t1 - t0;
	d->rl.rules_ns = gwd_now_ns() - t1;
	ev_async_send(d->loop, &d->rl.done);
	return NULL;
}

/* Starts a reload, or asks for another one after the one running. */
void gwd_reload_start(struct gwd *d)
{
	sigset_t all, old;
	int e;

	if (d->rl.busy) {
		d->rl.again = 1;
		return;
	}
	d->rl.busy = 1;
	d->rl.t0 = gwd_now_ns();
	/* signals stay the loop's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&d->rl.th, NULL, reload_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		/* no thread: the loop pauses for the parse instead */
		reload_main(d);
		d->rl.th = pthread_self();
	}
}

/* The reload thread is done: swap, answer who asked, go again if asked. */
void gwd_on_reload_done(struct ev_loop *loop, ev_async *w, int revents)
{
	struct gwd *d = w->data;
	struct ctl_conn *c;
	char res[768];

	(void)loop;
	(void)revents;
	if (!d->rl.busy)
		return;
	if (!pthread_equal(d->rl.th, pthread_self()))
		pthread_join(d->rl.th, NULL);
	d->rl.busy = 0;
	reload_apply(d, res, sizeof(res));
	while ((c = d->rl.wait_cur)) {
		d->rl.wait_cur = c->wnext;
		gwd_ctl_answer(c, res);
	}
	d->rl.wait_cur = d->rl.wait_next;
	d->rl.wait_next = NULL;
	if (d->rl.again || d->rl.wait_cur) {
		d->rl.again = 0;
		gwd_reload_start(d);
	}
}

/* At exit: a reload still parsing is waited for and dropped. */
void gwd_reload_stop(struct gwd *d)
{
	if (!d->rl.busy)
		return;
	if (!pthread_equal(d->rl.th, pthread_self()))
		pthread_join(d->rl.th, NULL);
	if (!d->rl.rc)
		gw_conf_fini(&d->rl.nc);
	free(d->rl.plan);
	d->rl.plan = NULL;
	d->rl.busy = 0;
}
