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
 * Graph -> the description of one gateway's in-guest firewall.  A
 * sys-net gateway filters each node on its segment: a VM by its own
 * firewall (the per-VM compiler, compile_vm.c), a gateway by its role,
 * as the host does on the gateway's port.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"
#include "gwfw.h"

static void	 client_rules(struct anchor *, const struct node *);

void
guest_fw_build(struct guest_fw *g, const struct netd_config *conf,
    const struct node *gw, const struct kaddr *resolver, int later)
{
	const struct wg_peer	*p;
	const struct node	*n;
	struct anchor		*a;
	size_t			 i;

	memset(g, 0, sizeof(*g));
	g->gw = gw;
	g->role = gw->role;
	if (gw->seg != NULL) {
		g->down = gw->seg->gw;
		if (gw->seg->ipv6 && gw->seg->gw6.af == AF_INET6) {
			g->ipv6 = 1;
			g->down6 = gw->seg->gw6;
		}
	}
	if (gw->role == ROLE_TOR)
		g->ipv6 = 0;		/* tor: TCP and DNS over IPv4 only */
	if (resolver != NULL && resolver->af != 0)
		g->resolver = *resolver;
	g->resolver_later = later;
	if (gw->role == ROLE_WIREGUARD && gw->wg != NULL) {
		snprintf(g->tun_if, sizeof(g->tun_if), "%s%s",
		    GUEST_TUN_PREFIX, gw->name);
		TAILQ_FOREACH(p, &gw->wg->peers, entry) {
			if (p->endpoint.af == AF_INET6 && !g->ipv6)
				continue;
			g->endpoints = xreallocarray(g->endpoints,
			    g->nendpoints + 1, sizeof(*g->endpoints));
			g->endpoints[g->nendpoints].addr = p->endpoint;
			g->endpoints[g->nendpoints].port = p->endpoint_port;
			g->nendpoints++;
		}
	}
	if (gw->role != ROLE_SYSNET)
		return;

	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->up == gw)
			g->nclients++;
	g->clients = xcalloc(g->nclients, sizeof(*g->clients));
	g->rs = xcalloc(1, sizeof(*g->rs));
	g->rs->anchors = xcalloc(g->nclients, sizeof(*g->rs->anchors));
	i = 0;
	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->up != gw)
			continue;
		g->clients[i++] = n;
		a = &g->rs->anchors[g->rs->nanchors++];
		a->kind = n->kind == NODE_GATEWAY ? ANCHOR_GATEWAY : ANCHOR_VM;
		a->name = xstrdup(n->name);
		client_rules(a, n);
	}
}

void
guest_fw_free(struct guest_fw *g)
{
	free(g->endpoints);
	free(g->clients);
	rules_free(g->rs);
	memset(g, 0, sizeof(*g));
}

/* The rules a guest renders: from the client, and not a stateless reply. */
int
guest_rule_used(const struct rule *r)
{
	return r->kind == RK_FILTER && !r->reply && r->dir != RD_OUT;
}

/* What a node on a sys-net segment may send on through it. */
static void
client_rules(struct anchor *a, const struct node *n)
{
	struct rule		*r;
	char			 info[256];

	if (n->kind == NODE_VM) {
		snprintf(info, sizeof(info), "%s %s: chain %s%s",
		    n->disposable ? "disposable" : "vm", n->name,
		    n->chain != NULL ? n->chain->name : "none",
		    n->has_firewall ? ", its firewall" : ", no firewall");
		a->info = xstrdup(info);
		if (n->chain != NULL && n->chain->dns == DNS_NONE) {
			r = rule_add(a, RK_FILTER, RV_BLOCK, RD_IN);
			r->protos = xcalloc(2, sizeof(*r->protos));
			r->protos[r->nprotos++] = IPPROTO_UDP;
			r->protos[r->nprotos++] = IPPROTO_TCP;
			kports_add(&r->dport, 53, 53);
			r->comment = "dns none";
		}
		if (!n->has_firewall) {
			r = rule_add(a, RK_FILTER, RV_PASS, RD_IN);
			r->comment = "no firewall";
			return;
		}
		compile_firewall(a, &n->firewall);
		r = rule_add(a, RK_FILTER, RV_BLOCK, RD_IN);
		r->comment = "firewall default";
		return;
	}

	snprintf(info, sizeof(info), "gateway %s: role %s", n->name,
	    role_name(n->role));
	a->info = xstrdup(info);
	if (!compile_role_egress(a, n)) {
		r = rule_add(a, RK_FILTER, RV_PASS, RD_IN);
		r->comment = "routes anything";
		return;
	}
	r = rule_add(a, RK_FILTER, RV_BLOCK, RD_IN);
	r->comment = "nothing else";
}
