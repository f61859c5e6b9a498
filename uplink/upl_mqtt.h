/* SPDX-License-Identifier: MIT */
/*
 * upl_mqtt.h - canrig uplink's MQTT client: Debian's libmosquitto driven
 * by libev (mosquitto_socket() on ev_io watchers, mosquitto_loop_read/
 * write/misc from them and a timer; no mosquitto thread).  It connects,
 * reconnects with back-off (100 ms doubling to 1 s), publishes at QoS 1
 * and reports each PUBACK.  It keeps nothing: after a lost connection the
 * client is made anew, so what was in flight is the caller's to send again
 * (from its spool), never libmosquitto's.
 */
#ifndef CANRIG_UPL_MQTT_H
#define CANRIG_UPL_MQTT_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "upl_conf.h"

struct upl_mqtt_ops {
	void (*up)(void *ctx);			 /* CONNACK accepted: publish from the spool */
	void (*down)(void *ctx);		 /* the connection is gone (or never came) */
	void (*acked)(void *ctx, int mid);	 /* PUBACK of the publish that got mid */
	void (*log)(void *ctx, const char *msg); /* one line, no newline */
	void *ctx;
};

struct upl_mqtt;

/*
 * Starts connecting to b (borrowed: must outlive m) on loop.  Returns 0
 * with *out, or -errno with a reason in err (upl_mqtt_check() fails,
 * libmosquitto refuses an option).  Connection failures are not errors:
 * each is said once in one line through ops->log ("broker HOST:PORT:
 * why": a TLS handshake's reason, a refused CONNACK's), kept as the last
 * error, reported (down) and retried with the back-off.
 */
int upl_mqtt_open(struct ev_loop *loop, const struct upl_broker *b, const struct upl_mqtt_ops *ops,
		  struct upl_mqtt **out, char *err, size_t cap);

/*
 * Checks the files b's connection will use, as it will use them: the
 * credentials file holds one USER:PASSWORD line; cafile, certfile and
 * keyfile load (PEM; the key without a passphrase, and the key of the
 * certificate).  Returns 0; -EINVAL with the reason in err (cap bytes);
 * -errno if a file cannot be read; -ENOMEM.  upl_mqtt_open() does it too.
 */
int upl_mqtt_check(const struct upl_broker *b, char *err, size_t cap);

/* Disconnects and frees m; NULL is a no-op. */
void upl_mqtt_close(struct upl_mqtt *m);

/* 1 between up() and down(). */
int upl_mqtt_is_up(const struct upl_mqtt *m);

/*
 * Publishes len bytes on topic at QoS 1 (data copied).  Returns 0 with
 * *mid, or -ENOTCONN, -ENOMEM, -EMSGSIZE.
 */
int upl_mqtt_publish(struct upl_mqtt *m, const char *topic, const void *data, size_t len, int *mid);

/* As upl_mqtt_publish(), with content_type (NULL: none) as the MQTT 5
 * content type property when the broker protocol is 5 (3.1.1 has none). */
int upl_mqtt_publish_as(struct upl_mqtt *m, const char *topic, const char *content_type,
			const void *data, size_t len, int *mid);

/* The last connection error as text ("" if none), for --status lines. */
const char *upl_mqtt_last_error(const struct upl_mqtt *m);

/* The last connection error ("" if none), kept after a reconnect, and in
 * *t_ns when it happened (wall clock, ns; 0: none).  Borrowed until the
 * next call into m. */
const char *upl_mqtt_error(const struct upl_mqtt *m, uint64_t *t_ns);

#endif
