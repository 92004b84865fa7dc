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

/* Making the kernel's links match the graph (topology-linux.c). */
#ifndef TOPOLOGY_H
#define TOPOLOGY_H

#include <stddef.h>

struct link_ctx;
struct netd_config;
struct netd_live;
struct node;

/* the uplinks' interfaces' MTUs, into conf as it is built */
void	topo_read_mtus(struct link_ctx *, struct netd_config *);
/* lv's configuration made so; gateways whose ports were made anew are
 * marked relinked */
int	topo_apply(struct link_ctx *, struct netd_live *);
int	topo_reattach(struct link_ctx *, const struct node *);
int	topo_remove_stale(struct link_ctx *, const struct netd_config *);
int	topo_remove_node(struct link_ctx *, const struct node *);

#endif
