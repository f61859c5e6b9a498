/* SPDX-License-Identifier: MIT */
/*
 * gwd_priv.c - what canrigd trusts and what it gives up: the
 * configuration file's and the control directory's owners and modes,
 * the instance lock, privilege drop and capabilities, sd_notify.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/capability.h>

#include "gw_conf.h"
#include "canrigd.h"

/*
 * Refuses a configuration file that someone else could change: writable
 * by others, by a group other than root's when started as root (as root,
 * the file decides options.user; a user's own file may be shared with
 * their private group), or owned by anyone but root and the user who
 * started canrigd.  Returns 0, or -EPERM / -errno with the message in err.
 */
int gwd_config_stat_ok(const char *path, const struct stat *st, uid_t starter, char *err,
		       size_t cap)
{
	if ((st->st_mode & S_IWOTH) || (!starter && (st->st_mode & S_IWGRP) && st->st_gid)) {
		snprintf(err, cap, "%s: writable by %s: refused (chmod go-w)", path,
			 st->st_mode & S_IWOTH ? "everyone" : "its group");
		return -EPERM;
	}
	if (st->st_uid != 0 && st->st_uid != starter) {
		snprintf(err, cap, "%s: owned by uid %u, not root%s: refused", path,
			 (unsigned int)st->st_uid, starter ? " nor canrigd's user" : "");
		return -EPERM;
	}
	return 0;
}

int gwd_config_file_ok(const char *path, uid_t starter, char *err, size_t cap)
{
	struct stat st;

	if (stat(path, &st)) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		return -errno;
	}
	return gwd_config_stat_ok(path, &st, starter, err, cap);
}

/* systemd's readiness protocol, without libsystemd. */
void gwd_sd_notify_ready(void)
{
	const char *p = getenv("NOTIFY_SOCKET");
	struct sockaddr_un a;
	socklen_t len;
	int fd;

	if (!p || (p[0] != '/' && p[0] != '@') || strlen(p) >= sizeof(a.sun_path))
		return;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	strcpy(a.sun_path, p);
	if (p[0] == '@')
		a.sun_path[0] = 0;
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(p));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&a, len);
	close(fd);
}

/* ---- privileges ----
 * Started as root, canrigd opens its sockets and then becomes
 * options.user; without user:, the user "canrigd" if it exists, else
 * "nobody".  It keeps CAP_NET_ADMIN alone, and only when offload is on
 * (can-gw checks it on every change, and offloaded routes must still
 * come out at reload and exit).  Whatever it runs as: no new privileges
 * through exec, an empty bounding set and no ambient capabilities. */

/* Does this process have cap in its permitted set? */
int gwd_have_cap(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];

	memset(c, 0, sizeof(c));
	if (syscall(SYS_capget, &h, c))
		return 0;
	return !!(c[CAP_TO_INDEX(cap)].permitted & CAP_TO_MASK(cap));
}

/*
 * Exactly CAP_NET_ADMIN (net_admin) or nothing, effective and permitted.
 * Already so (the service manager gave just that), capset() is not
 * called: the shipped unit's system call filter refuses it.
 */
static int set_caps(int net_admin)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3], now[_LINUX_CAPABILITY_U32S_3];
	int i, same = 1;

	memset(c, 0, sizeof(c));
	if (net_admin) {
		c[CAP_TO_INDEX(CAP_NET_ADMIN)].effective = CAP_TO_MASK(CAP_NET_ADMIN);
		c[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted = CAP_TO_MASK(CAP_NET_ADMIN);
	}
	memset(now, 0, sizeof(now));
	if (syscall(SYS_capget, &h, now))
		same = 0;
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		same &= now[i].effective == c[i].effective && now[i].permitted == c[i].permitted;
	if (same)
		return 0;
	h.version = _LINUX_CAPABILITY_VERSION_3;
	h.pid = 0;
	return syscall(SYS_capset, &h, c) ? -errno : 0;
}

/*
 * Becomes pw (NULL: stays who it is) keeping CAP_NET_ADMIN if net_admin
 * (and it has it).  Returns 0, or -1 logged: the caller stops, since
 * routing untrusted frames with privileges it meant to drop is worse than
 * not routing.
 */
int gwd_drop_privileges(const struct passwd *pw, int net_admin)
{
	int c;

	net_admin = net_admin && gwd_have_cap(CAP_NET_ADMIN);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		gwd_logmsg(LOG_ERR, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	/* nothing for an exec either (EINVAL: a kernel without ambient caps) */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		gwd_logmsg(LOG_ERR, "clearing ambient capabilities: %s", strerror(errno));
		return -1;
	}
	/* the bounding set needs CAP_SETPCAP, so before the user switch;
	 * without it (started unprivileged) the service manager's is kept */
	if (gwd_have_cap(CAP_SETPCAP))
		for (c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0)) {
				gwd_logmsg(LOG_ERR, "bounding set: %s", strerror(errno));
				return -1;
			}
	if (pw) {
		if (net_admin && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) {
			gwd_logmsg(LOG_ERR, "keepcaps: %s", strerror(errno));
			return -1;
		}
		if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
			gwd_logmsg(LOG_ERR, "cannot become '%s': %s", pw->pw_name, strerror(errno));
			return -1;
		}
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)) {
			gwd_logmsg(LOG_ERR, "keepcaps: %s", strerror(errno));
			return -1;
		}
		/* for good: there is no way back */
		if (pw->pw_uid && (!setuid(0) || !seteuid(0))) {
			gwd_logmsg(LOG_ERR, "uid 0 still reachable after the switch to '%s'",
				   pw->pw_name);
			return -1;
		}
	}
	if (set_caps(net_admin)) {
		gwd_logmsg(LOG_ERR, "capset: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Could uid (in group gid) create and remove entries in the directory st? */
static int dir_writable_by(const struct stat *st, uid_t uid, gid_t gid)
{
	if (uid == 0)
		return 1;
	if (st->st_uid == uid)
		return (st->st_mode & S_IWUSR) && (st->st_mode & S_IXUSR);
	if (st->st_gid == gid)
		return (st->st_mode & S_IWGRP) && (st->st_mode & S_IXGRP);
	return (st->st_mode & S_IWOTH) && (st->st_mode & S_IXOTH);
}

/* Can uid (in group gid) reach dir: search permission on every ancestor? */
static int dir_reachable_by(const char *dir, uid_t uid, gid_t gid)
{
	char p[GW_PATH_MAX];
	struct stat st;
	size_t i, n = strlen(dir);

	if (uid == 0 || n >= sizeof(p))
		return uid == 0;
	for (i = 1; i <= n; i++) {
		if (i < n && dir[i] != '/')
			continue;
		memcpy(p, dir, i);
		p[i] = 0;
		if (stat(p, &st))
			return 0;
		if (st.st_uid == uid   ? !(st.st_mode & S_IXUSR)
		    : st.st_gid == gid ? !(st.st_mode & S_IXGRP)
				       : !(st.st_mode & S_IXOTH))
			return 0;
	}
	return 1;
}

/*
 * Before anything touches the control socket's path or can-gw: its
 * directory, and the instance lock.  The directory is made if missing,
 * owned by uid:gid (the user canrigd becomes and its group; -1: as it
 * is) with the operators' group sock_gid, mode 0750.  It is refused when anyone but root and that
 * user could change what is in it: owned by another user, writable by everyone, or writable by a
 * group other than root's and gid.  *dir_ok says whether uid can reach it and create and remove
 * entries there (the socket at exit, offload's CONTROL.jobs).  Then CONTROL.lock is locked: a
 * second canrigd on the same socket stops here, before it could replace the first one's socket or
 * flush its can-gw jobs.  Returns 0, or 1 (printed on stderr).
 */
int gwd_control_prepare(struct gwd *d, uid_t uid, gid_t gid, gid_t sock_gid, int *dir_ok)
{
	char dir[GW_PATH_MAX], *sl, pid[32];
	struct stat st;
	ssize_t n;

	snprintf(dir, sizeof(dir), "%s", d->conf.control);
	sl = strrchr(dir, '/');
	if (sl == dir)
		sl[1] = 0;
	else if (sl)
		*sl = 0;
	if (mkdir(dir, 0750) == 0) {
		/* made here: for the user canrigd becomes, and its operators */
		if ((uid != (uid_t)-1 || sock_gid != (gid_t)-1) && chown(dir, uid, sock_gid))
			fprintf(stderr, "canrigd: chown %s: %s\n", dir, strerror(errno));
		chmod(dir, 0750);
	} else if (errno != EEXIST) {
		fprintf(stderr, "canrigd: control directory %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "canrigd: control directory %s: %s\n", dir,
			errno ? strerror(errno) : "not a directory");
		return 1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid() && st.st_uid != uid) {
		fprintf(stderr,
			"canrigd: control directory %s: owned by uid %u, neither root "
			"nor canrigd's user: refused\n",
			dir, (unsigned int)st.st_uid);
		return 1;
	}
	if ((st.st_mode & S_IWOTH) ||
	    ((st.st_mode & S_IWGRP) && st.st_gid != 0 && st.st_gid != gid)) {
		fprintf(stderr,
			"canrigd: control directory %s: writable by %s: refused (others "
			"could replace the socket or the offload job list)\n",
			dir, st.st_mode & S_IWOTH ? "everyone" : "group");
		return 1;
	}
	if (uid == (uid_t)-1)
		uid = geteuid();
	if (gid == (gid_t)-1)
		gid = getegid();
	*dir_ok = dir_writable_by(&st, uid, gid) && dir_reachable_by(dir, uid, gid);
	snprintf(d->lock_path, sizeof(d->lock_path), "%s.lock", d->conf.control);
	d->lock_fd = open(d->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (d->lock_fd < 0 || fstat(d->lock_fd, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "canrigd: %s: %s\n", d->lock_path,
			d->lock_fd < 0 ? strerror(errno) : "not a regular file");
		return 1;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK) {
			fprintf(stderr, "canrigd: %s: %s\n", d->lock_path, strerror(errno));
			return 1;
		}
		n = pread(d->lock_fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		fprintf(stderr, "canrigd: already running as pid %s (lock %s)\n",
			pid[0] ? pid : "?", d->lock_path);
		return 1;
	}
	return 0;
}

/* The lock names the pid that holds it (after daemon(): the one that stays). */
void gwd_lock_write_pid(struct gwd *d)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%ld\n", (long)getpid());

	if (ftruncate(d->lock_fd, 0) || pwrite(d->lock_fd, b, (size_t)n, 0) != n)
		gwd_logmsg(LOG_WARNING, "%s: %s", d->lock_path, strerror(errno));
}

/*
 * Whom canrigd becomes once its sockets are open (NULL: nobody else).
 * Not started as root: itself.  As root: options.user ("root" stays uid
 * 0, capabilities dropped all the same); without user:, "canrigd" if it
 * exists, else "nobody" (*dflt set).  Returns 0, or 2 (printed).
 */
int gwd_whom(struct gwd *d, struct passwd **pw, int *dflt)
{
	*pw = NULL;
	*dflt = 0;
	if (geteuid() != 0)
		return 0;
	if (!strcmp(d->conf.user, "root"))
		return 0;
	if (d->conf.user[0]) {
		*pw = getpwnam(d->conf.user);
		if (!*pw) {
			fprintf(stderr, "canrigd: user '%s' does not exist\n", d->conf.user);
			return 2;
		}
		return 0;
	}
	*dflt = 1;
	*pw = getpwnam("canrigd");
	if (!*pw)
		*pw = getpwnam("nobody");
	return 0;
}
