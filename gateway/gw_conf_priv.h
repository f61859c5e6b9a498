/* SPDX-License-Identifier: MIT */
/*
 * gw_conf_priv.h - what gw_conf.c shares with gw_conf_doip.c, the
 * doip: section's reader: the loader's state and three of its readers.
 * Private to the two files; not installed.
 */
#ifndef CANRIG_GW_CONF_PRIV_H
#define CANRIG_GW_CONF_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "gw.h"
#include "gw_conf.h"
#include "yml.h"
#include "yml_read.h"

struct ld {
	struct yml *y; /* borrowed */
	struct yml_rd r;
	void *arena; /* the readers allocate nothing here; kept for yml_rd */
	struct gw_spec spec;
	struct gw_conf *c;
	struct gw_ifpolicy *def;     /* options: queue: */
	size_t cur_if;		     /* the interface being read */
	struct gw_route_spec *route; /* the route being read */
	struct gw_firewall *fw;	     /* the firewall being read (route or tester) */
	yaml_node_t **route_node;    /* each route's mapping, for messages */
	char (*names)[GW_NAME_MAX];  /* kept for messages after compiling */
	const yaml_node_t *routes_key;
	int dirfd; /* where relative file names start (gw_conf_load_yml_at()) */
};

#define E(n, ...) yml_error(l->y, (n), __VA_ARGS__)
#define LD(r)	  ((struct ld *)(r)->ctx)

/* Copies scalar n into dst (cap bytes, NUL-terminated). Returns 0 or
 * -EINVAL with the message in l->y. */
int gw_conf_name_into(struct ld *l, const yaml_node_t *n, char *dst, size_t cap);

/* The index of the interface scalar n names into *idx. Returns 0 or
 * -EINVAL with the message in l->y. */
int gw_conf_find_if(struct ld *l, const yaml_node_t *n, uint8_t *idx);

/* The firewall's keys (a route's and a tester's); gw_conf.c reads them. */
extern const struct yml_key gw_conf_fw_keys[];

/* Reads the doip: mapping n into LD(r)->c->doip (gw_conf_doip.c).
 * Returns 0 or -EINVAL with the message in r's document. */
int gw_conf_doip_key(struct yml_rd *r, const yaml_node_t *n, void *p, size_t i);

#endif /* CANRIG_GW_CONF_PRIV_H */
