/* SPDX-License-Identifier: MIT */
/* test_upl_status.c - canrig uplink --status: its text and JSON forms, and
 * the control socket that serves them (a real unix socket and libev loop):
 * answers, the per-connection timeout, the connection limit, a client
 * that never reads a large answer, long lines, the socket file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ev.h>

#include "unit.h"
#include "upl_ctl.h"
#include "upl_status.h"

#define T0 1796695200000000000ull /* 2026-12-08T02:00:00Z */

static void snap(struct upl_status *s)
{
	memset(s, 0, sizeof(*s));
	s->pid = 42;
	s->host = "127.0.0.1";
	s->port = 1883;
	s->spool_dir = "/var/lib/canrig-uplink";
	s->connected = 1;
	s->since_ns = T0 + 250000000u;
	s->frames = 41;
	s->samples = 21;
	s->batches = 1;
	s->published = 3;
	s->published_samples = 22;
	s->acked = 2;
	s->acked_samples = 21;
	s->in_flight = 1;
	s->spooled = 1;
	s->spooled_bytes = 900;
	s->segments = 1;
	s->dropped = 7;
	s->dropped_segments = 2;
}

static char *render(const struct upl_status *s, int json, uint64_t now)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(json ? upl_status_json(s, f) : upl_status_text(s, now, f), 0);
	fclose(f);
	return buf;
}

static void test_text(void)
{
	struct upl_status s;
	char *t;

	snap(&s);
	t = render(&s, 0, T0 + 35250000000ull);
	CU_ASSERT_STRING_EQUAL(
		t, "canrig uplink: pid 42, spool /var/lib/canrig-uplink\n"
		   "broker 127.0.0.1:1883: connected since 2026-12-08T02:00:00.250Z (35 s)\n"
		   "collected: 41 frames (0 lost by the kernel), 21 samples in 1 batch\n"
		   "published: 3 messages (22 samples), acknowledged 2 (21 samples), in flight 1\n"
		   "spooled: 1 record, 900 bytes in 1 segment; dropped for space: 7 records (2 "
		   "segments); 0 damaged skipped; 0 spool errors\n"
		   "last error: none\n");
	free(t);
	s.connected = 0;
	s.last_error = "Connection refused";
	s.last_error_ns = T0 + 1000000000ull;
	/* a wall clock stepped back gives no negative age */
	t = render(&s, 0, T0);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "broker 127.0.0.1:1883: disconnected since "
					 "2026-12-08T02:00:00.250Z (0 s)\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		t, "last error: Connection refused at 2026-12-08T02:00:01.000Z (0 s ago)\n"));
	free(t);
}

static void test_json(void)
{
	struct upl_status s;
	char *t;

	snap(&s);
	t = render(&s, 1, 0);
	CU_ASSERT_STRING_EQUAL(
		t, "{\"pid\":42,\"spool_dir\":\"/var/lib/canrig-uplink\",\"host\":\"127.0.0.1\","
		   "\"port\":1883,\"connected\":true,\"since\":\"2026-12-08T02:00:00.250Z\","
		   "\"frames\":41,\"kernel_drops\":0,\"samples\":21,\"batches\":1,\"published\":3,"
		   "\"published_samples\":22,\"acknowledged\":2,\"acknowledged_samples\":21,"
		   "\"in_flight\":1,\"spooled\":1,\"spooled_bytes\":900,\"segments\":1,"
		   "\"dropped\":7,\"dropped_segments\":2,\"skipped\":0,\"spool_errors\":0,"
		   "\"last_error\":null,\"last_error_at\":null}\n");
	free(t);
	/* whatever an error text holds, the object stays JSON */
	s.last_error = "say \"no\"\\\n\x01";
	s.last_error_ns = T0;
	s.spool_dir = "a\"b";
	t = render(&s, 1, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\"spool_dir\":\"a\\\"b\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\"last_error\":\"say \\\"no\\\"\\\\\\u000a\\u0001\","
					 "\"last_error_at\":\"2026-12-08T02:00:00.000Z\"}\n"));
	free(t);
}

/* ---- the control socket */

static char sdir[64], spath[128];
static char big[1 << 20];

static void answer(void *ctx, const char *line, FILE *f)
{
	(*(int *)ctx)++;
	if (!strcmp(line, "big"))
		fwrite(big, 1, sizeof(big), f);
	else
		fprintf(f, "you said '%s'\n", line);
}

static int client(void)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	strcpy(a.sun_path, spath);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Runs the loop (never blocking) until fd's answer has ended (EOF), at
 * most `rounds` times; the answer in buf.  Returns its length, or -1. */
static ssize_t get(struct ev_loop *loop, int fd, char *buf, size_t cap, int rounds)
{
	size_t got = 0;
	ssize_t n;

	while (rounds-- > 0) {
		ev_run(loop, EVRUN_NOWAIT);
		n = read(fd, buf + got, cap - 1 - got);
		if (n == 0) {
			buf[got] = 0;
			return (ssize_t)got;
		}
		if (n > 0)
			got += (size_t)n;
		else
			usleep(1000);
	}
	return -1;
}

static struct upl_ctl *ctl_new(struct ev_loop *loop, int *calls, double timeout, unsigned int max)
{
	struct upl_ctl_opts o = {.path = spath,
				 .answer = answer,
				 .ctx = calls,
				 .timeout = timeout,
				 .max_conns = max};
	struct upl_ctl *c = NULL;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(upl_ctl_open(loop, &o, &c, err, sizeof(err)), 0);
	return c;
}

static void test_ctl_answer(void)
{
	struct ev_loop *loop = ev_loop_new(0);
	char buf[4096];
	int calls = 0, fd, fd2;
	struct upl_ctl *c = ctl_new(loop, &calls, 5, 0);
	struct stat st;

	CU_ASSERT_EQUAL(stat(spath, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0660);
	fd = client();
	CU_ASSERT_EQUAL(write(fd, "stat", 4), 4); /* a line may come in pieces */
	ev_run(loop, EVRUN_NOWAIT);
	CU_ASSERT_EQUAL(write(fd, "us\n", 3), 3);
	CU_ASSERT_EQUAL(get(loop, fd, buf, sizeof(buf), 5000), 18);
	CU_ASSERT_STRING_EQUAL(buf, "you said 'status'\n");
	close(fd);
	/* too long a line: refused, the answer function never sees it */
	fd2 = client();
	memset(buf, 'x', 300);
	CU_ASSERT_EQUAL(write(fd2, buf, 300), 300);
	CU_ASSERT(get(loop, fd2, buf, sizeof(buf), 5000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "error: command line too long\n");
	close(fd2);
	CU_ASSERT_EQUAL(calls, 1);
	upl_ctl_close(c);
	CU_ASSERT_EQUAL(access(spath, F_OK), -1); /* the file goes with it */
	ev_loop_destroy(loop);
}

static void on_guard(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

/* A client that asks nothing, or never reads a large answer, holds only
 * its connection, and only until the timeout. */
static void test_ctl_slow(void)
{
	struct ev_loop *loop = ev_loop_new(0);
	char buf[64];
	int calls = 0, i, silent, noread;
	struct upl_ctl *c = ctl_new(loop, &calls, 0.05, 0);
	ev_timer guard;

	silent = client();
	noread = client();
	CU_ASSERT_EQUAL(write(noread, "big\n", 4), 4);
	for (i = 0; i < 100 && (upl_ctl_conns(c) < 2 || !calls); i++)
		ev_run(loop, EVRUN_NOWAIT); /* returns: nothing in there waits */
	CU_ASSERT_EQUAL(upl_ctl_conns(c), 2);
	CU_ASSERT_EQUAL(calls, 1);
	/* the timers; the guard only bounds a failure (no timeout at all) */
	ev_timer_init(&guard, on_guard, 0.01, 0.01);
	ev_timer_start(loop, &guard);
	for (i = 0; i < 3000 && upl_ctl_conns(c); i++)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &guard);
	CU_ASSERT_EQUAL(upl_ctl_conns(c), 0);
	CU_ASSERT_EQUAL(read(silent, buf, sizeof(buf)), 0);
	close(silent);
	close(noread);
	upl_ctl_close(c);
	ev_loop_destroy(loop);
}

/* At the limit the next client waits in the backlog, and is served once
 * a connection closes. */
static void test_ctl_limit(void)
{
	struct ev_loop *loop = ev_loop_new(0);
	char buf[256];
	int calls = 0, i, a, b, third;
	struct upl_ctl *c = ctl_new(loop, &calls, 60, 2);

	a = client();
	b = client();
	third = client();
	CU_ASSERT_EQUAL(write(third, "hello\n", 6), 6);
	for (i = 0; i < 200; i++)
		ev_run(loop, EVRUN_NOWAIT);
	CU_ASSERT_EQUAL(upl_ctl_conns(c), 2);
	CU_ASSERT_EQUAL(calls, 0);
	close(a);
	CU_ASSERT(get(loop, third, buf, sizeof(buf), 5000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "you said 'hello'\n");
	close(b);
	close(third);
	upl_ctl_close(c);
	ev_loop_destroy(loop);
}

/* A socket left by a dead process is replaced; any other file, and a path
 * too long for a socket, are refused. */
static void test_ctl_path(void)
{
	struct ev_loop *loop = ev_loop_new(0);
	struct upl_ctl_opts o = {.path = spath, .answer = answer};
	struct sockaddr_un a;
	struct upl_ctl *c = NULL, *c2 = NULL;
	char err[256], longp[200];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), calls = 0;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	strcpy(a.sun_path, spath);
	CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd); /* its file stays: a dead one's */
	o.ctx = &calls;
	CU_ASSERT_EQUAL(upl_ctl_open(loop, &o, &c, err, sizeof(err)), 0);
	/* a live one is never taken away */
	CU_ASSERT_EQUAL(upl_ctl_open(loop, &o, &c2, err, sizeof(err)), -EADDRINUSE);
	CU_ASSERT_PTR_NULL(c2);
	CU_ASSERT_EQUAL(access(spath, F_OK), 0);
	upl_ctl_close(c);
	fd = open(spath, O_WRONLY | O_CREAT, 0600);
	close(fd);
	CU_ASSERT_EQUAL(upl_ctl_open(loop, &o, &c, err, sizeof(err)), -EEXIST);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a socket"));
	unlink(spath);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = 0;
	o.path = longp;
	CU_ASSERT_EQUAL(upl_ctl_open(loop, &o, &c, err, sizeof(err)), -ENAMETOOLONG);
	ev_loop_destroy(loop);
}

static int setup(void)
{
	strcpy(sdir, "/tmp/canrig-ctl-XXXXXX");
	if (!mkdtemp(sdir))
		return -1;
	snprintf(spath, sizeof(spath), "%s/ctl", sdir);
	return 0;
}

static int teardown(void)
{
	unlink(spath);
	rmdir(sdir);
	return 0;
}

static int register_upl_status_tests(void)
{
	CU_pSuite s = CU_add_suite("upl_status", setup, teardown);

	if (!s || !CU_add_test(s, "status text", test_text) ||
	    !CU_add_test(s, "status JSON", test_json) ||
	    !CU_add_test(s, "control: answers", test_ctl_answer) ||
	    !CU_add_test(s, "control: slow clients time out", test_ctl_slow) ||
	    !CU_add_test(s, "control: connection limit", test_ctl_limit) ||
	    !CU_add_test(s, "control: the socket file", test_ctl_path))
		return CU_get_error();
	return 0;
}

UNIT_SUITE(upl_status, register_upl_status_tests)
