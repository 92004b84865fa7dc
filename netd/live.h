/*
 * Copyright (c) 2026 The kubsd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */


/*
 * kubsd-netd (Makefile NETD_SRCS): what the daemon knows of its nodes
 * while it runs (live.c).
 *
 * The parsed configuration (struct node, kubsd.h) is not changed once
 * built (but for where kubsd-net attach puts a VM, graph_move.c, and a
 * disposable's instances, vm_instance.c); its
 * live state is here, one struct node_live per node, wrapping it as
 * vmd's struct vmd_vm wraps its vm_params.  A reload builds a new
 * configuration and a new struct netd_live with it.
 */
#ifndef LIVE_H
#define LIVE_H

#include <stddef.h>

#include "kubsd.h"

struct node_live {
	const struct node	*node;
	/* a VM's agent, a gateway's guest has not said "ready" */
	int			 unready;
	int			 if_down;	/* uplink: its interface is down
						   or gone; its chains carry
						   nothing */
	int			 attached;	/* vm: moved by kubsd-net attach */
	int			 relinked;	/* gateway: topo_apply() made its
						   ports anew: its guest
						   re-applies */
	long long		 guest_started;	/* time(NULL); 0: not ours yet */
	long long		 guest_dead;	/* time(NULL) it was found dead */
	char			 guest_status[KUBSD_STATUSLEN];
	/* the last error about it, whole ("": none) */
	char			 last_error[KUBSD_STATUSLEN];
};

/* The live state of one configuration's nodes. */
struct netd_live {
	const struct netd_config *conf;
	struct node_live	*nodes;		/* by node->idx */
	size_t			 n;
	struct node_gate	 gate;		/* for the compiler, print_dot() */
};

struct netd_live	*live_new(const struct netd_config *);
void			 live_free(struct netd_live *);
struct node_live	*live_node(const struct netd_live *,
			    const struct node *);
struct node_live	*live_add(struct netd_live *, const struct node *);
void			 live_drop(struct netd_live *, const struct node *);
const char		*live_blocked(const struct netd_live *,
			    const struct node *);

#endif
