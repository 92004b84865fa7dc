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
 * The topology on OpenBSD (topology.h): the host plan's interface steps
 * (pf/openbsd_host.c), "ifconfig UNIT ..." as the plan prints them.
 * topo_apply() runs the whole plan, topo_reattach() one VM's veb port.
 */
#include <stddef.h>

#include "kubsd.h"
#include "live.h"
#include "rules.h"
#include "openbsd.h"
#include "topology.h"

/* The uplinks' MTUs stay the kernel's (if_mtu 0): veb(4) takes its
 * ports' own. */
void
topo_read_mtus(struct link_ctx *ctx, struct netd_config *conf)
{
	(void)ctx;
	(void)conf;
}

int
topo_apply(struct link_ctx *ctx, struct netd_live *lv)
{
	(void)ctx;
	return obsd_host_apply(lv->conf);
}

int
topo_reattach(struct link_ctx *ctx, const struct node *n)
{
	(void)ctx;
	return obsd_host_move(n);
}

/* What a reload dropped went with topo_remove_node(). */
int
topo_remove_stale(struct link_ctx *ctx, const struct netd_config *conf)
{
	(void)ctx;
	(void)conf;
	return 0;
}

int
topo_remove_node(struct link_ctx *ctx, const struct node *n)
{
	(void)ctx;
	return obsd_host_remove(n);
}
