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
 * What kubsd-netd knows of its nodes while it runs, kept beside the
 * parsed configuration instead of in it (live.h says why).
 */
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "live.h"
#include "log.h"
#include "rules.h"

/* A VM's agent, a gateway's guest ready; an uplink's interface up. */
static int
live_passes(const struct node *n, const void *arg)
{
	const struct node_live	*nl = live_node(arg, n);

	return n->kind == NODE_UPLINK ? !nl->if_down : !nl->unready;
}

static const char *
live_status(const struct node *n, const void *arg)
{
	return live_node(arg, n)->guest_status;
}

/* Every node of conf (parsed: built or not yet), nothing known yet. */
struct netd_live *
live_new(const struct netd_config *conf)
{
	struct netd_live	*lv = xcalloc(1, sizeof(*lv));
	const struct node	*n;

	lv->conf = conf;
	lv->n = conf->nnodes;
	lv->nodes = xcalloc(lv->n, sizeof(*lv->nodes));
	TAILQ_FOREACH(n, &conf->nodes, entry)
		lv->nodes[n->idx].node = n;
	lv->gate.passes = live_passes;
	lv->gate.status = live_status;
	lv->gate.arg = lv;
	return lv;
}

void
live_free(struct netd_live *lv)
{
	if (lv == NULL)
		return;
	free(lv->nodes);
	free(lv);
}

/*
 * A node added to lv's configuration while netd runs (a disposable's
 * instance, vm_instance.c): its live state, nothing known yet.
 */
struct node_live *
live_add(struct netd_live *lv, const struct node *n)
{
	if (n->idx >= lv->n) {
		lv->nodes = xreallocarray(lv->nodes, n->idx + 1,
		    sizeof(*lv->nodes));
		memset(lv->nodes + lv->n, 0, (n->idx + 1 - lv->n) *
		    sizeof(*lv->nodes));
		lv->n = n->idx + 1;
	}
	memset(&lv->nodes[n->idx], 0, sizeof(lv->nodes[n->idx]));
	lv->nodes[n->idx].node = n;
	return &lv->nodes[n->idx];
}

/* A node that left lv's configuration (its idx is not used again). */
void
live_drop(struct netd_live *lv, const struct node *n)
{
	if (n->idx < lv->n && lv->nodes[n->idx].node == n)
		lv->nodes[n->idx].node = NULL;
}

/* The live state of a node of lv's configuration. */
struct node_live *
live_node(const struct netd_live *lv, const struct node *n)
{
	if (n->idx >= lv->n || lv->nodes[n->idx].node != n)
		fatalx("live: %s is not in this configuration", n->name);
	return &lv->nodes[n->idx];
}

/* Why VM n's port carries nothing now; NULL: it carries its traffic. */
const char *
live_blocked(const struct netd_live *lv, const struct node *n)
{
	return compile_vm_blocked(&lv->gate, n);
}
