/* SPDX-License-Identifier: MIT */
/*
 * canrigd.h - what the files of the gateway daemon share, and nobody
 * else: canrigd.c (main, interfaces, queues, the receive and send path),
 * gwd_reload.c (the reload thread and the swap), gwd_offload.c (can-gw
 * offload and the handover), gwd_ctl.c (the control socket, workshop
 * mode), gwd_priv.c (privileges, the lock, sd_notify, file checks) and
 * gwd_doip.c (the DoIP entity of the doip: section).
 * Not installed.
 */
#ifndef CANRIG_CANRIGD_H
#define CANRIG_CANRIGD_H

/* struct ucred; each file defines it first as well */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <syslog.h>

#include <ev.h>

#include "cio.h"
#include "cio_ev.h"
#include "dbc.h"
#include "doip.h"
#include "doip_srv_io.h"
#include "gw.h"
#include "gw_cgw.h"
#include "gw_conf.h"
#include "isotp_io.h"

#ifndef CANRIG_VERSION
#define CANRIG_VERSION "0.1.0"
#endif

#define BATCH	       64
#define MAX_FILTERS    512 /* the kernel's per-socket limit for CAN_RAW */
#define CTL_MAX_CONNS  32  /* control connections at once; more wait in the backlog */
#define WS_DEFAULT_MIN 60  /* workshop on: closes by itself after this */
#define WS_MAX_MIN     1440

struct qent {
	struct cf_buf b; /* the frame: the daemon's one copy of it */
	uint64_t t;	 /* enqueued */
	uint16_t route;
};

struct gif {
	struct gwd *d;
	unsigned int idx;
	int open;
	struct cio_sock sock;
	struct cio_ring ring;
	ev_io rd, wr;
	struct qent *q;
	uint32_t cap, head, n;
	int held; /* bus-off or carrier off: the queue waits */
	uint64_t rx, tx, lost_down, busoff;
	uint64_t overflow_old;	     /* kernel receive drops of closed sockets */
	uint64_t same_dev;	     /* times refused: its device was open already */
	uint64_t err_local;	     /* error frames a local process sent: ignored */
	unsigned int dup_of;	     /* 1 + the interface whose device it named, or 0 */
	char note[GW_NAME_MAX + 24]; /* why it stays closed, for status */
};

/* Routes offloaded to the kernel's can-gw (offload: kernel). */
struct offload {
	struct gw_cgw nl;
	int open;
	unsigned int gen;
	size_t n;		  /* routes of the engine they belong to */
	struct gw_cgw_route *rt;  /* the plan, one per route */
	struct gw_cgw_inst *inst; /* installed jobs, one per route */
	struct gw_cgw_ctr *seen;  /* kernel totals already counted */
	/* Handover of routes moving from user space into the kernel: until
	 * their source socket shows a frame stamped after the jobs went in
	 * (or runs dry), canrigd still routes them, so frames that arrived
	 * before the jobs are neither lost nor skipped. */
	uint8_t *final;		     /* the engine's marks once handed over */
	uint8_t *moving;	     /* routed by user space before the jobs */
	uint32_t pending;	     /* source interfaces not handed over yet */
	uint64_t t_real;	     /* CLOCK_REALTIME after the jobs went in */
	char saved[GW_PATH_MAX + 8]; /* plain jobs' list: control path + .jobs */
	ev_timer poll_tm;
};

/* A control connection: one command line in, the answer out. */
struct ctl_conn {
	struct gwd *d;
	ev_io io;
	ev_timer tm; /* a client too slow to ask or to read is dropped */
	struct ucred who;
	int in_group; /* the peer is in the control group */
	char in[128];
	size_t nin;
	char *out; /* the answer, being written */
	size_t nout, off;
	struct ctl_conn *next;	/* every connection */
	struct ctl_conn *wnext; /* waiting for a reload */
};

/*
 * A reload parses and compiles the file on a thread of its own, so the
 * loop goes on routing meanwhile; only the swap runs on the loop.
 */
struct reload_job {
	pthread_t th;
	int busy, again;
	ev_async done;
	struct gw_conf nc;	   /* the thread's result */
	struct gw_cgw_route *plan; /* and its offload plan (offload: kernel) */
	int rc;
	char err[512];
	uint64_t t0;
	uint64_t yaml_ns, rules_ns; /* the thread's two parts */
	struct ctl_conn *wait_cur;  /* answered when the running one ends */
	struct ctl_conn *wait_next; /* asked meanwhile: answered after the next */
};

/* Why canrigd's DoIP entity did not carry a tester's request to its ECU;
 * counted per tester. */
enum gwd_doip_refuse {
	GWD_DOIP_REF_FIREWALL,	  /* the tester's firewall: 7F SID 33 */
	GWD_DOIP_REF_UNKNOWN,	  /* no such ECU: NACK 0x03 */
	GWD_DOIP_REF_TOO_LARGE,	  /* over the ECU's max_request: NACK 0x04 */
	GWD_DOIP_REF_UNREACHABLE, /* its bus is down or held: NACK 0x06 */
	GWD_DOIP_REF_BUSY,	  /* its channel still sending: 7F SID 21 */
	GWD_DOIP_REF_TP,	  /* the ISO-TP transfer failed: NACK 0x06, or
				   * 0x08 when a streamed request stalled */
	GWD_DOIP_REF_N
};

struct gwd_doip_tstat {
	uint64_t activations, ra_refused;
	uint64_t requests, forwarded, answers;
	uint64_t refused[GWD_DOIP_REF_N];
};

struct gwd_doip;
struct gwd_doip_prep;

/* A TCP_DATA socket. */
struct gwd_doip_conn {
	struct doip_srv_conn s; /* first: doip_srv_io walks the table by it */
	int tester;		/* index in the doip: testers once activated, else -1 */
	uint64_t since;		/* activated at (gwd_now_ns()) */
	uint8_t act_type;	/* its routing activation type */
	/* a request streaming onto an ECU (gwd_doip.c): its ECU while
	 * pieces are still to come; its first byte while the firewall
	 * waits for the second */
	struct gwd_doip_ecu *stream;
	uint8_t head, nhead;
	/* the ECU whose answer beyond its max_len streams out here now */
	struct gwd_doip_ecu *ans_from;
};

/* An ECU: its own ISO-TP socket (gwd_doip.c says why). */
struct gwd_doip_ecu {
	struct gwd_doip *g;
	struct gw_doip_ecu cfg;
	char ifname[GW_NAME_MAX];
	struct isotp_io io;
	int open, sending;
	uint8_t *rx, *req;	      /* cfg.max_len each: the answer, the request sent */
	uint8_t *ring;		      /* GWD_DOIP_RING: a streamed request in transit */
	struct gwd_doip_conn *feeder; /* whose streamed request is not all in ring */
	const uint8_t *held;	      /* feeder's bytes waiting for room (held_len) */
	size_t held_len;
	uint8_t feeding;	     /* in stream_feed(): a TX_ROOM from within waits */
	struct gwd_doip_conn *owner; /* answers go to the last requester */
	uint16_t owner_sa;
	uint64_t requests, answers, tx_errors, rx_errors;
	uint64_t answers_dropped; /* its tester gone, or not reading */
	/* functional requests (gwd_doip.c, "functional"): the tester whose
	 * functional request this ECU's answers with SID fsid go to until
	 * f_until; await_until: a physical request waits for its answer */
	struct gwd_doip_conn *fowner;
	uint16_t fowner_sa;
	uint8_t fsid;
	uint64_t f_until, await_until;
	uint64_t f_answers; /* answers to functional requests */
	/* an answer beyond max_len streaming to ans_to (gwd_doip.c, "long
	 * answers"); stash: bytes its output had no room for yet */
	struct gwd_doip_conn *ans_to;
	uint8_t stash[64];
	size_t nstash;
	uint64_t answers_streamed, answers_cut; /* cut: the ECU stopped mid-way */
};

/* A functional address: its own send-only ISO-TP socket on its bus. */
struct gwd_doip_func {
	struct gwd_doip *g;
	struct gw_doip_func cfg;
	char ifname[GW_NAME_MAX];
	struct isotp_io io;
	int open, sending;
	uint8_t rx[64], req[64]; /* one single frame at most */
	uint64_t requests, ecus_asked, ecus_busy, tx_errors;
	uint64_t bus_down; /* requests not sent on this bus: down or held */
};

/* power_mode: the power mode follows a DBC signal (gwd_doip.c). */
struct gwd_doip_pm {
	struct gwd_doip *g;
	struct gw_doip_power cfg;
	struct dbc_db *db; /* owned: taken from gw_conf's power_dbc */
	const struct dbc_message *msg;
	const struct dbc_signal *sig;
	struct dbc_value *vals; /* msg->nsigs */
	char ifname[GW_NAME_MAX];
	struct cio_sock sock; /* CAN_RAW, its kernel filter: the message's id */
	struct cio_ring ring;
	int open;
	ev_io rd;
	ev_timer tm;	 /* timeout_ms without a frame: stale */
	int fresh;	 /* a frame with the signal within timeout_ms */
	int64_t raw;	 /* its last raw value */
	uint64_t logged; /* the last mode change logged (gwd_now_ns()) */
	uint64_t frames, absent, stale, sock_errors;
};

struct gwd_doip {
	struct gwd *d;
	struct gwd_doip_pm *pm; /* NULL: power mode set by the control socket */
	struct ev_loop *loop;
	struct gw_doip_conf cfg; /* as started */
	struct doip_entity ent;
	struct doip_entity_state st;
	int ufd, lfd;
	ev_io uio, lio;
	struct doip_srv srv;	     /* runs conns */
	struct gwd_doip_conn *conns; /* max_testers + 1 */
	size_t nconns;
	struct gwd_doip_ecu *ecus;
	size_t necus;
	size_t rx_cap, tx_cap;
	struct gwd_doip_tstat tstat[GW_DOIP_TESTERS_MAX];
	uint64_t accepted, refused; /* TCP connections; refused: no socket left */
	uint64_t ra_unknown;	    /* activations from addresses not in testers: */
	uint64_t udp_in, udp_out, udp_unanswered, udp_send_err;
	uint64_t closes[DOIP_CL_N];
	struct gwd_doip_func *funcs; /* cfg.nfuncs */
	/* announce: true: the vehicle announcements still to send */
	ev_timer ann_tm;
	int ann_left;
	struct sockaddr_in ann_to;
	char ann_if[IF_NAMESIZE]; /* the interface holding the listen address */
	int ann_if_running;	  /* as its last link event said */
	uint64_t ann_sent, ann_err;
};

struct gwd {
	struct ev_loop *loop;
	struct gwd_doip *doip; /* NULL: no doip: section */
	/* a reload's, from gwd_doip_prepare() to gwd_doip_reloaded() */
	struct gwd_doip_prep *doip_prep;
	struct offload off;
	struct reload_job rl;
	struct ctl_conn *conns;
	struct gw_conf conf;
	struct gif ifs[GW_MAX_IFS];
	ev_timer rate_tm, retry_tm;
	ev_signal sig[5];
	ev_io ctl, link;
	int ctl_fd, link_fd;
	char ctl_path[GW_PATH_MAX];
	const char *path; /* -c as given: what messages name */
	int dirfd;	  /* where a relative -c is (else AT_FDCWD): reloads
			   * run after daemon()'s chdir("/") */
	int verbose, foreground;
	uint64_t started;
	struct gw_emit out[256];
	/* workshop mode opened by command closes by itself; from the file
	 * it stays open until a reload says otherwise */
	ev_timer ws_tm;
	uint64_t ws_until; /* gwd_now_ns() deadline; 0: off or from the file */
	/* control socket: rights resolved from conf (start, reload) */
	uid_t ctl_uids[GW_CTL_USERS_MAX];
	size_t nctl_uids;
	gid_t ctl_gid; /* members may read */
	unsigned int nconns;
	ev_timer ctl_resume; /* the listener paused on EMFILE */
	int ctl_starved;     /* and said so */
	int lock_fd;
	char lock_path[GW_PATH_MAX + 8];
	uid_t start_uid; /* who started canrigd (owns the config) */
};

/* The engine's clock, cio_now_ns(), under the name the daemon's files
 * use. */
static inline uint64_t gwd_now_ns(void)
{
	return cio_now_ns();
}

/* canrigd.c */
void gwd_logmsg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t gwd_rx_overflow(const struct gif *g);
void gwd_requeue(struct gwd *d, const struct gw_engine *old);
void gwd_set_filters(struct gwd *d, struct gif *g);
void gwd_refilter(struct gwd *d);
int gwd_open_if(struct gwd *d, struct gif *g, int quiet);
void gwd_arm_rate(struct gwd *d);
int gwd_alloc_queues(struct gwd *d);
void gwd_close_all(struct gwd *d);
int gwd_ifs_check(const struct gw_conf *c, const char *file, int warn, char *err, size_t cap);

/* gwd_reload.c */
void gwd_reload_start(struct gwd *d);
void gwd_on_reload_done(struct ev_loop *loop, ev_async *w, int revents);
void gwd_reload_stop(struct gwd *d);

/* gwd_offload.c */
void gwd_offload_rx(struct gwd *d, struct gif *g, const struct cf_frame *f);
void gwd_offload_fold(struct gwd *d);
void gwd_handover_clear(struct offload *o);
struct gw_cgw_route *gwd_offload_plan(const struct gw_engine *e);
void gwd_offload_install(struct gwd *d, struct gw_cgw_route *plan);
void gwd_offload_start(struct gwd *d, struct gw_cgw_route *plan);
void gwd_offload_stop(struct gwd *d);
void gwd_offload_reload(struct gwd *d);

/* gwd_ctl.c */
void gwd_print_stats(struct gwd *d, FILE *f);
void gwd_on_ws_expire(struct ev_loop *loop, ev_timer *w, int revents);
void gwd_workshop_set(struct gwd *d, int on, double minutes);
void gwd_workshop_follow_file(struct gwd *d);
void gwd_ctl_rights_resolve(struct gwd *d);
void gwd_ctl_answer(struct ctl_conn *c, const char *text);
int gwd_open_control(struct gwd *d, uid_t uid, gid_t gid);
void gwd_watch_control(struct gwd *d);
void gwd_close_control(struct gwd *d);

/* gwd_priv.c */
int gwd_config_stat_ok(const char *path, const struct stat *st, uid_t starter, char *err,
		       size_t cap);
int gwd_config_file_ok(const char *path, uid_t starter, char *err, size_t cap);
void gwd_sd_notify_ready(void);
int gwd_have_cap(int cap);
int gwd_drop_privileges(const struct passwd *pw, int net_admin);
int gwd_control_prepare(struct gwd *d, uid_t uid, gid_t gid, gid_t sock_gid, int *dir_ok);
void gwd_lock_write_pid(struct gwd *d);
int gwd_whom(struct gwd *d, struct passwd **pw, int *dflt);

/* gwd_doip.c */
int gwd_doip_open(struct gwd *d);
void gwd_doip_close(struct gwd *d);
const char *gwd_doip_refuse_name(enum gwd_doip_refuse r);
void gwd_doip_print(struct gwd *d, FILE *f, int stats);
/*
 * A reload of the doip: section, in two steps around the swap of
 * d->conf.  gwd_doip_prepare(), before it (d->conf still the running
 * file, nc the new one): everything that can fail (new UDP and TCP
 * sockets for another listen or port, the entity of an added doip:
 * section, buffers of added or changed ECUs and of grown tester
 * sockets); returns 0, or -errno with the message in err and nothing
 * changed.  gwd_doip_reloaded(), after it (d->conf is nc): applies what
 * was prepared and cannot fail.  gwd_doip_unprepare() drops a prepared
 * reload that is not applied.
 */
int gwd_doip_prepare(struct gwd *d, const struct gw_conf *nc, char *err, size_t cap);
void gwd_doip_reloaded(struct gwd *d);
void gwd_doip_unprepare(struct gwd *d);
void gwd_doip_json(struct gwd *d, FILE *f);
/* The control socket's "doip power [MODE]": MODE (ready, not-ready,
 * not-supported) becomes the 0x4004 answer (refused while power_mode:
 * sets it from a signal); NULL only prints it, and its source.  who is
 * logged. */
void gwd_doip_power(struct gwd *d, const char *mode, FILE *f, const struct ucred *who);
/* Every rtnetlink link event: with announce: true the listen address's
 * interface coming back up announces the vehicle again. */
void gwd_doip_link(struct gwd *d, const struct cio_link_ev *ev);

/* "s" unless n is 1 (tools/cli.h has the same for the CLI). */
static inline const char *gwd_plural(size_t n)
{
	return n == 1 ? "" : "s";
}

#endif
