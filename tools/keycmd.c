/* SPDX-License-Identifier: MIT */
/* keycmd.c - run a seed-to-key command with a bounded wait. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cf.h"
#include "cio_ev.h"
#include "keycmd.h"

/* "prog {level} {seed}" with the level in decimal and the seed in hex. */
static char *key_command(const char *tmpl, uint8_t level, const uint8_t *seed, size_t n)
{
	char lv[8], hex[2 * KEYCMD_SEED_MAX + 1];
	size_t i, len = 0, cap = strlen(tmpl) + 1;
	const char *p;
	char *out;

	snprintf(lv, sizeof(lv), "%u", level);
	for (i = 0; i < n && i < KEYCMD_SEED_MAX; i++)
		snprintf(hex + 2 * i, 3, "%02X", seed[i]);
	hex[2 * i] = 0;
	for (p = tmpl; (p = strchr(p, '{')); p++)
		cap += sizeof(hex);
	out = malloc(cap);
	if (!out)
		return NULL;
	for (p = tmpl; *p;) {
		const char *v = NULL;

		if (!strncmp(p, "{level}", 7))
			v = lv;
		else if (!strncmp(p, "{seed}", 6))
			v = hex;
		if (v) {
			memcpy(out + len, v, strlen(v));
			len += strlen(v);
			p += v == lv ? 7 : 6;
		} else {
			out[len++] = *p++;
		}
	}
	out[len] = 0;
	return out;
}

static int parse_key(const char *s, uint8_t *key, size_t cap, size_t *keylen)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v = cf_hexval(*s);

		if (v < 0) {
			if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
				if (hi >= 0)
					return -EBADMSG;
				continue;
			}
			return -EBADMSG;
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return -EOVERFLOW;
		key[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0 || !n)
		return -EBADMSG;
	*keylen = n;
	return 0;
}

static uint64_t mono_ms(void)
{
	return cio_now_ns() / 1000000;
}

/*
 * Runs the command through /bin/sh with stdout on a pipe.  Never waits
 * longer than KEYCMD_TIMEOUT_MS: then the whole process group is killed.
 * The loop stands still meanwhile; key commands are meant to be quick.
 */
static int run_key_cmd(const char *cmd, char *out, size_t cap)
{
	uint64_t end = mono_ms() + KEYCMD_TIMEOUT_MS;
	size_t len = 0;
	int pfd[2], status, e = 0, eof = 0;
	pid_t pid, w;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		e = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return e;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		if (null >= 0)
			dup2(null, 0);
		dup2(pfd[1], 1);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid); /* both sides: no race with the kill below */
	close(pfd[1]);
	while (!eof) {
		struct pollfd p = {pfd[0], POLLIN, 0};
		uint64_t now = mono_ms();
		ssize_t k;

		if (now >= end) {
			e = -ETIMEDOUT;
			break;
		}
		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		k = read(pfd[0], out + len, cap - 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			eof = 1;
		else
			len += (size_t)k;
		if (len == cap - 1)
			eof = 1;
	}
	close(pfd[0]);
	out[len] = 0;
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (e || mono_ms() >= end) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		usleep(2000);
	}
	if (e)
		return e;
	if (w != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -ECHILD;
	return 0;
}

int keycmd_run(const char *tmpl, uint8_t level, const uint8_t *seed, size_t n, uint8_t *key,
	       size_t cap, size_t *keylen)
{
	char out[1024], *cmd;
	int r;

	if (n > KEYCMD_SEED_MAX)
		return -E2BIG;
	cmd = key_command(tmpl, level, seed, n);
	if (!cmd)
		return -ENOMEM;
	r = run_key_cmd(cmd, out, sizeof(out));
	if (!r)
		r = parse_key(out, key, cap, keylen);
	free(cmd);
	return r;
}

const char *keycmd_strerror(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return "no answer within 5 s, killed";
	case -ECHILD:
		return "failed (exit status not 0)";
	case -EBADMSG:
		return "output is not hex bytes";
	case -EOVERFLOW:
		return "key too long";
	default:
		return strerror(-err);
	}
}
