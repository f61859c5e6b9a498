/* SPDX-License-Identifier: MIT */
/*
 * upl_mqtt.c - libmosquitto on libev (upl_mqtt.h).
 *
 * A mosquitto client is never destroyed inside one of its callbacks: a
 * lost connection only stops the watchers and arms the retry timer, which
 * destroys the old client and makes the next one.
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
	int closing; /* mosquitto_disconnect() calls back: nothing to retry */
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

/* Watch for writability only while libmosquitto has bytes to send. */
static void update_write(struct upl_mqtt *m)
{
	if (!m->mosq || !ev_is_active(&m->rd))
		return;
	if (mosquitto_want_write(m->mosq))
		ev_io_start(m->loop, &m->wr);
	else
		ev_io_stop(m->loop, &m->wr);
}

/* The connection is gone: stop, tell the caller once, retry later. */
static void lost(struct upl_mqtt *m, const char *why)
{
	if (m->closing)
		return;
	ev_io_stop(m->loop, &m->rd);
	ev_io_stop(m->loop, &m->wr);
	ev_timer_stop(m->loop, &m->misc);
	if (why && strcmp(why, m->last_err)) {
		struct timespec ts;

		snprintf(m->last_err, sizeof(m->last_err), "%s", why);
		snprintf(m->kept_err, sizeof(m->kept_err), "%s", why);
		clock_gettime(CLOCK_REALTIME, &ts);
		m->kept_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		say(m, "broker %s:%u: %s", m->b->host, m->b->port, why);
	}
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

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	struct upl_mqtt *m = obj;

	(void)mosq;
	if (rc) {
		lost(m, mosquitto_connack_string(rc));
		return;
	}
	m->up = 1;
	m->down_said = 0;
	m->backoff = RETRY_MIN;
	if (m->last_err[0])
		say(m, "broker %s:%u: connected", m->b->host, m->b->port);
	m->last_err[0] = 0;
	if (m->ops.up)
		m->ops.up(m->ops.ctx);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	(void)mosq;
	lost(obj, rc ? "connection lost" : "disconnected");
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
	int rc = MOSQ_ERR_SUCCESS;

	(void)loop;
	if (revents & EV_READ)
		rc = mosquitto_loop_read(m->mosq, 1);
	if (!ev_is_active(&m->rd))
		return; /* a callback in there found the connection gone */
	if (rc == MOSQ_ERR_SUCCESS && (revents & EV_WRITE))
		rc = mosquitto_loop_write(m->mosq, 1);
	if (rc != MOSQ_ERR_SUCCESS) {
		lost(m, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
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
		lost(m, mosquitto_strerror(rc));
		return;
	}
	update_write(m);
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
	mosquitto_connect_callback_set(m->mosq, on_connect);
	mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
	mosquitto_publish_callback_set(m->mosq, on_publish);
	if (m->have_cred && mosquitto_username_pw_set(m->mosq, m->user, m->pass)) {
		snprintf(err, cap, "credentials refused by libmosquitto");
		return -EINVAL;
	}
	if (b->cafile) {
		rc = mosquitto_tls_set(m->mosq, b->cafile, NULL, b->certfile, b->keyfile, NULL);
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
	if (make_client(m, err, sizeof(err))) {
		lost(m, err);
		return;
	}
	/* the host name is resolved here, blocking: give an address or have
	 * a local resolver */
	rc = mosquitto_connect_async(m->mosq, m->b->host, m->b->port, m->b->keepalive);
	if (rc != MOSQ_ERR_SUCCESS) {
		lost(m, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		return;
	}
	fd = mosquitto_socket(m->mosq);
	if (fd < 0) {
		lost(m, "no socket");
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

	if (!f) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		return -errno;
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
