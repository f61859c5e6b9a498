/* SPDX-License-Identifier: MIT */
/*
 * upl_mqtt.c - libmosquitto on libev (upl_mqtt.h).
 *
 * A mosquitto client is never destroyed inside one of its callbacks: a
 * lost connection only stops the watchers and arms the retry timer, which
 * destroys the old client and makes the next one.
 *
 * TLS: libmosquitto verifies the broker's certificate against cafile and
 * its name against broker.host (never switched off), TLS 1.2 or later.
 * Its public loop functions do not drive a handshake the way its own
 * select() loop does (that one calls the handshake on writability), so
 * while OpenSSL is still in the handshake this adapter watches what
 * OpenSSL waits for and calls mosquitto_loop_read(), which continues the
 * handshake, on either event.  Its reasons for a failed handshake reach
 * us only through its log callback: the first error of an attempt is kept
 * and becomes the one line said about it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "upl_mqtt.h"

#define RETRY_MIN 0.1 /* s */
#define RETRY_MAX 1.0 /* s: samples flow again within 1 s of the broker's return */

struct upl_mqtt {
	struct ev_loop *loop;
	const struct upl_broker *b;
	struct upl_mqtt_ops ops;
	struct mosquitto *mosq;
	char user[256], pass[256];
	int have_cred;
	ev_io rd, wr;
	ev_timer misc, retry;
	double backoff;
	int up, down_said;
	int closing;	   /* mosquitto_disconnect() calls back: nothing to retry */
	int dead;	   /* this client's connection was given up: ignore its echoes */
	int last_kind;	   /* enum why of last_err */
	int held;	   /* a WHY_TLS_CLOSED not said yet (lost()) */
	char tls_err[200]; /* libmosquitto's first error line of this attempt */
	char last_err[256];
	char kept_err[256]; /* last_err, kept after a reconnect, for --status */
	uint64_t kept_ns;   /* when it happened (wall clock) */
};

static void say(struct upl_mqtt *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct upl_mqtt *m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m->ops.log)
		m->ops.log(m->ops.ctx, msg);
}

/* The TLS session while its handshake is still going, else NULL. */
static SSL *handshaking(struct upl_mqtt *m)
{
	SSL *ssl = m->mosq ? mosquitto_ssl_get(m->mosq) : NULL;

	return ssl && !SSL_is_init_finished(ssl) ? ssl : NULL;
}

/*
 * libmosquitto takes a transport error in the TLS handshake
 * (SSL_ERROR_SYSCALL: a refused or reset connection) for "try again" and
 * then waits on a socket that stays readable: it would spin, and never
 * give up.  A handshake whose last read or write did not ask to be
 * retried has failed: then this gives the reason (err: errno after the
 * libmosquitto call) in buf and returns 1.
 */
static int handshake_failed(struct upl_mqtt *m, int err, char *buf, size_t cap)
{
	SSL *ssl = handshaking(m);

	if (!ssl || BIO_should_retry(SSL_get_rbio(ssl)) || BIO_should_retry(SSL_get_wbio(ssl)))
		return 0;
	if (err && err != EAGAIN && err != EPROTO)
		snprintf(buf, cap, "%s", strerror(err));
	else
		snprintf(buf, cap, "TLS: the connection closed during the handshake");
	return 1;
}

/* Watch for writability only while libmosquitto has bytes to send; in a
 * TLS handshake, only while OpenSSL waits to write (libmosquitto's
 * want_write stays set from the handshake's first write until its first
 * packet: watching that would spin). */
static void update_write(struct upl_mqtt *m)
{
	SSL *ssl;

	if (!m->mosq || !ev_is_active(&m->rd))
		return;
	ssl = handshaking(m);
	if (ssl ? SSL_want_write(ssl) : mosquitto_want_write(m->mosq))
		ev_io_start(m->loop, &m->wr);
	else
		ev_io_stop(m->loop, &m->wr);
}

/* What a failure's text says: its cause (a TLS reason, a refused
 * CONNACK), a plain transport error, or a TLS connection closed by the
 * broker before CONNACK without a reason.  That last one is how a TLS 1.3
 * broker's refusal of our client certificate looks when we write CONNECT
 * just before its alert and reset arrive: the write fails, libmosquitto
 * closes, and the alert is never read. */
enum why { WHY_PLAIN, WHY_CAUSE, WHY_TLS_CLOSED };

/* Says why once per outage: the same text is not said again; a transport
 * error after a cause is not said (the cause stays the last error); a
 * reason-less TLS close waits one attempt for its alert. */
static void say_why(struct upl_mqtt *m, const char *why, int kind)
{
	struct timespec ts;

	if (!strcmp(why, m->last_err))
		return;
	if (kind != WHY_CAUSE && m->last_err[0] && m->last_kind == WHY_CAUSE)
		return;
	if (kind == WHY_TLS_CLOSED && !m->held++)
		return;
	snprintf(m->last_err, sizeof(m->last_err), "%s", why);
	m->last_kind = kind;
	/* kept after a reconnect, with its time, for --status */
	snprintf(m->kept_err, sizeof(m->kept_err), "%s", why);
	clock_gettime(CLOCK_REALTIME, &ts);
	m->kept_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	say(m, "broker %s:%u: %s", m->b->host, m->b->port, why);
}

/* The connection is gone: stop, tell the caller once, retry later. */
static void lost(struct upl_mqtt *m, const char *why, int kind)
{
	/* a refused CONNACK calls on_connect, then libmosquitto closes and
	 * calls on_disconnect too: one failure, one line */
	if (m->closing || m->dead)
		return;
	m->dead = 1;
	ev_io_stop(m->loop, &m->rd);
	ev_io_stop(m->loop, &m->wr);
	ev_timer_stop(m->loop, &m->misc);
	if (why)
		say_why(m, why, kind);
	if (m->up || !m->down_said) {
		m->up = 0;
		m->down_said = 1;
		if (m->ops.down)
			m->ops.down(m->ops.ctx);
	}
	if (!ev_is_active(&m->retry)) {
		ev_timer_set(&m->retry, m->backoff, 0);
		ev_timer_start(m->loop, &m->retry);
		m->backoff = m->backoff * 2 > RETRY_MAX ? RETRY_MAX : m->backoff * 2;
	}
}

/* Why a connection failed, from libmosquitto's rc (and errno), in buf:
 * the TLS reason when there is one.  Returns its enum why. */
static int why_failed(struct upl_mqtt *m, int rc, int err, char *buf, size_t cap)
{
	if (m->tls_err[0]) {
		snprintf(buf, cap, "TLS: %s", m->tls_err);
		/* before CONNACK it is why we got no session; after, a loss */
		return m->up ? WHY_PLAIN : WHY_CAUSE;
	}
	/* a TLS read or write failed without a reason from OpenSSL
	 * (libmosquitto's errno is EPROTO then): a reset or a close */
	if (!m->up && m->b->cafile && rc == MOSQ_ERR_ERRNO) {
		snprintf(buf, cap, "TLS: the broker closed the connection before CONNACK");
		return WHY_TLS_CLOSED;
	}
	if (rc == MOSQ_ERR_CONN_LOST || (rc == MOSQ_ERR_ERRNO && (!err || err == EPROTO)))
		snprintf(buf, cap, "connection lost");
	else if (rc == MOSQ_ERR_ERRNO)
		snprintf(buf, cap, "%s", strerror(err));
	else if (rc == MOSQ_ERR_TLS)
		snprintf(buf, cap, "TLS: handshake failed");
	else
		snprintf(buf, cap, "%s", mosquitto_strerror(rc));
	return WHY_PLAIN;
}

/* libmosquitto's log: its errors name what went wrong in a TLS handshake
 * ("OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify
 * failed", "Error: host name verification failed.").  The first of an
 * attempt is the cause; the rest follow from it. */
static void on_log(struct mosquitto *mosq, void *obj, int level, const char *str)
{
	struct upl_mqtt *m = obj;
	const char *s = str, *c;
	SSL *ssl;
	long v;
	int n;

	if (!(level & MOSQ_LOG_ERR) || m->tls_err[0] || !str)
		return;
	if (!strncmp(s, "OpenSSL Error", 13) && (c = strrchr(s, ':')))
		s = c + 1; /* the reason, after OpenSSL's codes */
	else if (!strncmp(s, "Error: ", 7))
		s += 7;
	n = (int)strlen(s);
	if (n && s[n - 1] == '.')
		n--;
	if (strstr(s, "alert"))
		n = snprintf(m->tls_err, sizeof(m->tls_err), "alert from the broker: %.*s", n, s);
	else
		n = snprintf(m->tls_err, sizeof(m->tls_err), "%.*s", n, s);
	/* which check of the broker's certificate failed, when one did */
	ssl = mosquitto_ssl_get(mosq);
	v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	if (v != X509_V_OK && n > 0 && (size_t)n < sizeof(m->tls_err))
		snprintf(m->tls_err + n, sizeof(m->tls_err) - (size_t)n,
			 " (broker certificate: %s)", X509_verify_cert_error_string(v));
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	struct upl_mqtt *m = obj;

	(void)mosq;
	if (rc) {
		char why[200];

		/* MQTT 5 reason codes are not 3.1.1's return codes */
		if (m->b->protocol == 5)
			snprintf(why, sizeof(why), "Connection Refused: %s",
				 mosquitto_reason_string(rc));
		else
			snprintf(why, sizeof(why), "%s", mosquitto_connack_string(rc));
		lost(m, why, WHY_CAUSE);
		return;
	}
	m->up = 1;
	m->down_said = 0;
	m->backoff = RETRY_MIN;
	if (m->last_err[0])
		say(m, "broker %s:%u: connected", m->b->host, m->b->port);
	m->last_err[0] = 0;
	m->held = 0;
	if (m->ops.up)
		m->ops.up(m->ops.ctx);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	struct upl_mqtt *m = obj;
	char why[256];
	int err = errno;

	(void)mosq;
	if (!rc)
		lost(m, "disconnected", WHY_PLAIN);
	else
		lost(m, why, why_failed(m, rc, err, why, sizeof(why)));
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
	struct upl_mqtt *m = obj;

	(void)mosq;
	if (m->ops.acked)
		m->ops.acked(m->ops.ctx, mid);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct upl_mqtt *m = w->data;
	int rc = MOSQ_ERR_SUCCESS, hs = !!handshaking(m);
	char why[256];

	(void)loop;
	/* In a TLS handshake, loop_read continues it, on either event.  And
	 * until CONNACK, what the broker sent is read before anything is
	 * written: a broker that refuses our TLS client certificate after
	 * the handshake (TLS 1.3) sends its alert and closes, and writing
	 * first would meet the reset and lose the alert, the reason; so
	 * nothing is written either in the call that ended the handshake. */
	if ((revents & EV_READ) || !m->up)
		rc = mosquitto_loop_read(m->mosq, 1);
	if (!ev_is_active(&m->rd))
		return; /* a callback in there found the connection gone */
	if (rc == MOSQ_ERR_SUCCESS && (revents & EV_WRITE) && !hs)
		rc = mosquitto_loop_write(m->mosq, 1);
	if (rc != MOSQ_ERR_SUCCESS) {
		int kind = why_failed(m, rc, errno, why, sizeof(why));

		lost(m, why, kind);
		return;
	}
	if (handshake_failed(m, errno, why, sizeof(why))) {
		lost(m, why, WHY_PLAIN);
		return;
	}
	update_write(m);
}

static void misc_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct upl_mqtt *m = w->data;
	int rc;

	(void)loop;
	(void)revents;
	rc = mosquitto_loop_misc(m->mosq); /* keepalive pings, timeouts */
	if (rc != MOSQ_ERR_SUCCESS) {
		char why[256];
		int kind = why_failed(m, rc, errno, why, sizeof(why));

		lost(m, why, kind);
		return;
	}
	update_write(m);
}

/* An encrypted key would make OpenSSL prompt on the terminal of a
 * daemon: no passphrase, the key does not load, and the check at open
 * says so. */
static int no_passphrase(char *buf, int size, int rwflag, void *userdata)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)userdata;
	return 0;
}

static int make_client(struct upl_mqtt *m, char *err, size_t cap)
{
	const struct upl_broker *b = m->b;
	int rc;

	m->mosq = mosquitto_new(b->client_id, true, m);
	if (!m->mosq) {
		snprintf(err, cap, "mosquitto_new: %s", strerror(errno));
		return -ENOMEM;
	}
	mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION,
			     b->protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
	/* "threaded": libmosquitto then queues every packet and writes none
	 * inline, not even CONNECT right after a TLS handshake that ended
	 * inside mosquitto_connect_async(); the watchers write, after reading
	 * what the broker sent (see io_cb) */
	mosquitto_threaded_set(m->mosq, true);
	mosquitto_connect_callback_set(m->mosq, on_connect);
	mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
	mosquitto_publish_callback_set(m->mosq, on_publish);
	mosquitto_log_callback_set(m->mosq, on_log);
	if (m->have_cred && mosquitto_username_pw_set(m->mosq, m->user, m->pass)) {
		snprintf(err, cap, "credentials refused by libmosquitto");
		return -EINVAL;
	}
	if (b->cafile) {
		/* the broker's certificate is checked against cafile and its
		 * name against host (tls_insecure false); TLS 1.2 or later */
		rc = mosquitto_tls_set(m->mosq, b->cafile, NULL, b->certfile, b->keyfile,
				       no_passphrase);
		if (!rc)
			rc = mosquitto_tls_opts_set(m->mosq, SSL_VERIFY_PEER, "tlsv1.2", NULL);
		if (!rc)
			rc = mosquitto_tls_insecure_set(m->mosq, false);
		if (rc) {
			snprintf(err, cap, "TLS: %s", mosquitto_strerror(rc));
			return -EINVAL;
		}
	}
	return 0;
}

static void connect_now(struct upl_mqtt *m)
{
	char err[256];
	int rc, fd;

	if (m->mosq)
		mosquitto_destroy(m->mosq); /* what it held in flight goes with it */
	m->mosq = NULL;
	m->dead = 0;
	m->tls_err[0] = 0;
	if (make_client(m, err, sizeof(err))) {
		lost(m, err, WHY_PLAIN);
		return;
	}
	/* the host name is resolved here, blocking: give an address or have
	 * a local resolver */
	rc = mosquitto_connect_async(m->mosq, m->b->host, m->b->port, m->b->keepalive);
	if (rc != MOSQ_ERR_SUCCESS) {
		int kind = why_failed(m, rc, errno, err, sizeof(err));

		lost(m, err, kind);
		return;
	}
	if (handshake_failed(m, errno, err, sizeof(err))) {
		lost(m, err, WHY_PLAIN);
		return;
	}
	fd = mosquitto_socket(m->mosq);
	if (fd < 0) {
		lost(m, "no socket", WHY_PLAIN);
		return;
	}
	ev_io_set(&m->rd, fd, EV_READ);
	ev_io_set(&m->wr, fd, EV_WRITE);
	ev_io_start(m->loop, &m->rd);
	ev_timer_set(&m->misc, 1.0, 1.0);
	ev_timer_start(m->loop, &m->misc);
	update_write(m);
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	connect_now(w->data);
}

static int read_cred(struct upl_mqtt *m, const char *path, char *err, size_t cap)
{
	char line[600], *colon;
	FILE *f = fopen(path, "re");
	size_t n;
	int e;

	if (!f) {
		e = -errno;
		snprintf(err, cap, "%s: %s", path, strerror(-e));
		return e;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = 0;
	colon = strchr(line, ':');
	if (!colon || colon == line || (size_t)(colon - line) >= sizeof(m->user) ||
	    strlen(colon + 1) >= sizeof(m->pass)) {
		snprintf(err, cap, "%s: expected one line USER:PASSWORD", path);
		return -EINVAL;
	}
	*colon = 0;
	strcpy(m->user, line);
	strcpy(m->pass, colon + 1);
	memset(line, 0, sizeof(line));
	m->have_cred = 1;
	return 0;
}

/* OpenSSL's reason for a failure, for one line: the first error queued
 * is the specific one ("no start line"; later ones say "PEM lib"). */
static const char *ssl_reason(void)
{
	const char *r = ERR_reason_error_string(ERR_peek_error());

	return r ? r : "unusable";
}

int upl_mqtt_check(const struct upl_broker *b, char *err, size_t cap)
{
	struct upl_mqtt *m;
	SSL_CTX *ctx = NULL;
	int e = 0;

	if (b->credentials) {
		m = calloc(1, sizeof(*m));
		if (!m) {
			snprintf(err, cap, "out of memory");
			return -ENOMEM;
		}
		e = read_cred(m, b->credentials, err, cap);
		memset(m->pass, 0, sizeof(m->pass));
		free(m);
		if (e)
			return e;
	}
	if (!b->cafile)
		return 0;
	/* what libmosquitto loads at each connect, loaded once now: a file
	 * that cannot work is said at start, not retried for ever */
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		snprintf(err, cap, "TLS: %s", ssl_reason());
		return -ENOMEM;
	}
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	e = -EINVAL;
	if (SSL_CTX_load_verify_locations(ctx, b->cafile, NULL) != 1) {
		snprintf(err, cap, "cafile %s: no CA certificate loads from it (%s)", b->cafile,
			 ssl_reason());
		goto out;
	}
	if (b->certfile && SSL_CTX_use_certificate_chain_file(ctx, b->certfile) != 1) {
		snprintf(err, cap, "certfile %s: no certificate loads from it (%s)", b->certfile,
			 ssl_reason());
		goto out;
	}
	/* loading the key checks it against the certificate too */
	if (b->keyfile && SSL_CTX_use_PrivateKey_file(ctx, b->keyfile, SSL_FILETYPE_PEM) != 1 &&
	    ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
		snprintf(err, cap, "keyfile %s: no private key loads from it (%s)", b->keyfile,
			 ssl_reason());
		goto out;
	}
	if (b->keyfile && SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, cap, "keyfile %s: not the key of certfile %s", b->keyfile,
			 b->certfile);
		goto out;
	}
	e = 0;
out:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return e;
}

int upl_mqtt_open(struct ev_loop *loop, const struct upl_broker *b, const struct upl_mqtt_ops *ops,
		  struct upl_mqtt **out, char *err, size_t cap)
{
	struct upl_mqtt *m = calloc(1, sizeof(*m));
	int e;

	*out = NULL;
	if (!m) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	mosquitto_lib_init();
	m->loop = loop;
	m->b = b;
	m->ops = *ops;
	m->backoff = RETRY_MIN;
	ev_init(&m->rd, io_cb);
	ev_init(&m->wr, io_cb);
	ev_init(&m->misc, misc_cb);
	ev_init(&m->retry, retry_cb);
	m->rd.data = m->wr.data = m->misc.data = m->retry.data = m;
	e = upl_mqtt_check(b, err, cap);
	if (e)
		goto out_free;
	if (b->credentials) {
		e = read_cred(m, b->credentials, err, cap);
		if (e)
			goto out_free;
	}
	/* options are checked once here, where an error can still stop us */
	e = make_client(m, err, cap);
	if (e)
		goto out_free;
	connect_now(m);
	*out = m;
	return 0;
out_free:
	upl_mqtt_close(m);
	return e;
}

void upl_mqtt_close(struct upl_mqtt *m)
{
	if (!m)
		return;
	m->closing = 1;
	ev_io_stop(m->loop, &m->rd);
	ev_io_stop(m->loop, &m->wr);
	ev_timer_stop(m->loop, &m->misc);
	ev_timer_stop(m->loop, &m->retry);
	if (m->mosq) {
		if (m->up)
			mosquitto_disconnect(m->mosq);
		mosquitto_destroy(m->mosq);
	}
	memset(m->pass, 0, sizeof(m->pass));
	free(m);
	mosquitto_lib_cleanup();
}

int upl_mqtt_is_up(const struct upl_mqtt *m)
{
	return m->up;
}

int upl_mqtt_publish(struct upl_mqtt *m, const char *topic, const void *data, size_t len, int *mid)
{
	return upl_mqtt_publish_as(m, topic, NULL, data, len, mid);
}

int upl_mqtt_publish_as(struct upl_mqtt *m, const char *topic, const char *content_type,
			const void *data, size_t len, int *mid)
{
	mosquitto_property *props = NULL;
	int rc;

	if (!m->up)
		return -ENOTCONN;
	if (len > 268435455u)
		return -EMSGSIZE;
	if (content_type && m->b->protocol == 5 &&
	    mosquitto_property_add_string(&props, MQTT_PROP_CONTENT_TYPE, content_type))
		return -ENOMEM;
	/* libmosquitto copies the properties with the message */
	rc = mosquitto_publish_v5(m->mosq, mid, topic, (int)len, data, 1, false, props);
	mosquitto_property_free_all(&props);
	if (rc == MOSQ_ERR_NOMEM)
		return -ENOMEM;
	if (rc == MOSQ_ERR_PAYLOAD_SIZE)
		return -EMSGSIZE;
	if (rc != MOSQ_ERR_SUCCESS)
		return -ENOTCONN;
	update_write(m);
	return 0;
}

const char *upl_mqtt_last_error(const struct upl_mqtt *m)
{
	return m->last_err;
}

const char *upl_mqtt_error(const struct upl_mqtt *m, uint64_t *t_ns)
{
	*t_ns = m->kept_ns;
	return m->kept_err;
}
