/* SPDX-License-Identifier: MIT */
/*
 * gw_cgw_priv.h - what the three can-gw files share and nobody else uses:
 * gw_cgw_plan.c (decision), gw_cgw_msg.c (messages, pure) and gw_cgw.c
 * (the netlink socket).  Not installed.
 */
#ifndef CANRIG_GW_CGW_PRIV_H
#define CANRIG_GW_CGW_PRIV_H

#include <stddef.h>
#include <linux/netlink.h>

#include "gw_cgw.h"

/* NLMSG_HDRLEN is an int; lengths here are unsigned */
#define HDRLEN ((size_t)NLMSG_ALIGN(sizeof(struct nlmsghdr)))

/* The plain jobs' list: its first line, and the most it reads. */
#define SAVED_HEAD "# canrigd: plain can-gw jobs it installed; see canrigd(8)\n"
#define SAVED_MAX  (1u << 20)

/* 1 if a and b are the same job to the kernel (field by field: the
 * struct has padding), else 0. */
int gw_cgw_key_same(const struct gw_cgw_key *a, const struct gw_cgw_key *b);

/* Adds what the kernel counted for js since it was last seen to in's
 * total, and marks js seen. */
void gw_cgw_fold_into(struct gw_cgw_inst *in, struct gw_cgw_jobstate *js,
		      const struct gw_cgw_dumped *d);

#endif
