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
 * Graph -> intermediate rules: the base anchor, uplinks and gateways,
 * and the anti-spoofing every client port gets.  VMs: compile_vm.c.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"

static void	 compile_base(struct anchor *);
static void	 compile_uplink(struct anchor *, const struct netd_config *,
		    const struct node *);
static void	 compile_gateway(struct anchor *, const struct node *);
static void	 compile_role(struct anchor *, const struct node *);
static void	 compile_down(struct anchor *, const struct node *);
static void	 rules_index(struct ruleset *);

static void
ifcopy(char *dst, const char *src)
{
	snprintf(dst, KUBSD_IFNAMSIZ, "%s", src != NULL ? src : "");
}

struct rule *
rule_add(struct anchor *a, enum rkind kind, enum rverdict v, enum rdir dir)
{
	struct rule	*r;

	if (a->nrules == a->caprules) {
		a->caprules = a->caprules ? a->caprules * 2 : 16;
		a->rules = xreallocarray(a->rules, a->caprules,
		    sizeof(*a->rules));
	}
	r = &a->rules[a->nrules++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->verdict = v;
	r->dir = dir;
	r->quick = 1;
	r->icmp_type = -1;
	return r;
}

void
raddrs_add(struct raddrs *s, const struct kaddr *ka)
{
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = *ka;
}

void
kports_add(struct kport_list *l, uint16_t lo, uint16_t hi)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n].lo = lo;
	l->v[l->n].hi = hi;
	l->n++;
}

static void
rule_protos(struct rule *r, int p1, int p2)
{
	r->protos = xcalloc(2, sizeof(*r->protos));
	r->protos[r->nprotos++] = p1;
	if (p2 != 0)
		r->protos[r->nprotos++] = p2;
}

/* Every node passes its traffic (kubsd-net, the tests, the goldens). */
struct ruleset *
rules_compile(const struct netd_config *conf)
{
	return rules_compile_gated(conf, NULL);
}

struct ruleset *
rules_compile_gated(const struct netd_config *conf,
    const struct node_gate *gate)
{
	struct ruleset		*rs;
	const struct node	*n;
	struct anchor		*a;
	size_t			 count = 1;

	TAILQ_FOREACH(n, &conf->nodes, entry)
		count++;
	rs = xcalloc(1, sizeof(*rs));
	rs->gate = gate;
	rs->group = KUBSD_IFGROUP;
	rs->group_name = KUBSD_IFGROUP_NAME;
	rs->anchors = xcalloc(count, sizeof(*rs->anchors));

	a = &rs->anchors[rs->nanchors++];
	anchor_init(a, NULL, ANCHOR_BASE);
	compile_base(a);

	TAILQ_FOREACH(n, &conf->nodes, entry) {
		a = &rs->anchors[rs->nanchors++];
		switch (n->kind) {
		case NODE_UPLINK:
			anchor_init(a, n, ANCHOR_UPLINK);
			compile_uplink(a, conf, n);
			break;
		case NODE_GATEWAY:
			anchor_init(a, n, ANCHOR_GATEWAY);
			compile_gateway(a, n);
			break;
		case NODE_VM:
			anchor_init(a, n, ANCHOR_VM);
			compile_vm(a, n, gate);
			break;
		}
		anchor_shrink(a);
	}
	rules_index(rs);
	return rs;
}

/* qsort(3) has no argument: the ruleset being sorted. */
static const struct ruleset *sorting;

static int
cmp_index(const void *x, const void *y)
{
	return strcmp(sorting->anchors[*(const size_t *)x].name,
	    sorting->anchors[*(const size_t *)y].name);
}

/* The anchors by name, for rules_anchor(): an attach finds its VM's. */
static void
rules_index(struct ruleset *rs)
{
	size_t	 i;

	rs->byname = xcalloc(rs->nanchors, sizeof(*rs->byname));
	for (i = 0; i < rs->nanchors; i++)
		rs->byname[i] = i;
	sorting = rs;
	qsort(rs->byname, rs->nanchors, sizeof(*rs->byname), cmp_index);
	sorting = NULL;
}

const struct anchor *
rules_anchor(const struct ruleset *rs, const char *name)
{
	size_t	 lo = 0, hi = rs->nanchors, mid;
	int	 c;

	if (rs->byname == NULL) {	/* a guest's ruleset (gwfw.c) */
		for (mid = 0; mid < rs->nanchors; mid++)
			if (strcmp(rs->anchors[mid].name, name) == 0)
				return &rs->anchors[mid];
		return NULL;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, rs->anchors[rs->byname[mid]].name);
		if (c == 0)
			return &rs->anchors[rs->byname[mid]];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void
anchor_init(struct anchor *a, const struct node *n, enum anchor_kind kind)
{
	char	 info[256];

	a->kind = kind;
	if (n == NULL) {
		a->name = xstrdup("_base");
		a->info = xstrdup("base: block everything on the kubsd group");
		ifcopy(a->ifname, KUBSD_IFGROUP_NAME);
		return;
	}
	a->name = xstrdup(n->name);
	switch (kind) {
	case ANCHOR_UPLINK:
		snprintf(info, sizeof(info), "uplink %s: %s, nat %s",
		    n->name, n->ifname, n->nat ? "yes" : "no");
		ifcopy(a->ifname, n->bridge_if);
		ifcopy(a->uplink_if, n->ifname);
		break;
	case ANCHOR_GATEWAY:
		snprintf(info, sizeof(info), "gateway %s: role %s, up %s",
		    n->name, role_name(n->role),
		    n->up != NULL ? n->up->name : "none");
		ifcopy(a->down_if, n->down_if);
		ifcopy(a->down_bridge, n->bridge_if);
		break;
	default:
		if (n->chain == NULL || n->up == NULL)
			snprintf(info, sizeof(info), "%s %s: offline",
			    n->disposable ? "disposable" : "vm", n->name);
		else
			snprintf(info, sizeof(info),
			    "%s %s: chain %s, first hop %s",
			    n->disposable ? "disposable" : "vm", n->name,
			    n->chain->name, n->up->name);
		break;
	}
	a->info = xstrdup(info);
	if (kind == ANCHOR_UPLINK)
		return;
	ifcopy(a->ifname, n->port_if);
	if (n->up == NULL) {
		a->where = PORT_NONE;
		return;
	}
	ifcopy(a->bridge, n->up->bridge_if);
	if (n->up->kind == NODE_UPLINK)
		a->where = PORT_UPLINK;
	else {
		a->where = PORT_GATEWAY;
		ifcopy(a->peer, n->up->down_if);
	}
}

/* Everything on the group is blocked unless a later anchor passes it. */
static void
compile_base(struct anchor *a)
{
	struct rule	*r;

	r = rule_add(a, RK_FILTER, RV_BLOCK, RD_BOTH);
	r->quick = 0;
	r->log = 1;
	r->comment = "default block";
}

/*
 * What never leaves out of an uplink, whatever the gateway: link-local
 * destinations (a cloud's metadata service at 169.254.169.254) and the
 * networks the uplink excludes (the home LAN).
 */
static void
compile_fence(struct anchor *a, const struct node *u)
{
	size_t	 i;

	a->nfence = 2 + u->exclude.n;
	a->fence = xreallocarray(NULL, a->nfence, sizeof(*a->fence));
	kaddr_parse("169.254.0.0/16", &a->fence[0]);
	kaddr_parse("fe80::/10", &a->fence[1]);
	for (i = 0; i < u->exclude.n; i++)
		a->fence[2 + i] = u->exclude.v[i];
}

static void
compile_uplink(struct anchor *a, const struct netd_config *conf,
    const struct node *u)
{
	const struct node	*g;
	const struct wg_peer	*p;
	struct rfwd		*f;
	struct rnat		*nt;
	int			 v6;

	compile_fence(a, u);
	TAILQ_FOREACH(g, &conf->nodes, entry) {
		if (g->kind != NODE_GATEWAY || g->up != u)
			continue;
		for (v6 = 0; v6 <= 1; v6++) {
			const struct kaddr *src = v6 ? &g->addr6 : &g->addr;

			if (src->af == 0 || (v6 && !g->ipv6))
				continue;
			if (v6 && g->role != ROLE_SYSNET &&
			    g->role != ROLE_WIREGUARD)
				continue;
			a->fwd = xreallocarray(a->fwd, a->nfwd + 1,
			    sizeof(*a->fwd));
			f = &a->fwd[a->nfwd++];
			memset(f, 0, sizeof(*f));
			ifcopy(f->iif, u->bridge_if);
			ifcopy(f->oif, u->ifname);
			f->gw = g->name;
			f->role = g->role;
			f->af = src->af;
			f->src = *src;
			if (g->role == ROLE_TOR)
				f->proto = IPPROTO_TCP;
			if (g->role == ROLE_WIREGUARD) {
				f->proto = IPPROTO_UDP;
				if (g->wg == NULL)
					continue;
				TAILQ_FOREACH(p, &g->wg->peers, entry) {
					if (p->endpoint.af != src->af)
						continue;
					f->dst = xreallocarray(f->dst,
					    f->ndst + 1, sizeof(*f->dst));
					f->dst[f->ndst].addr = p->endpoint;
					f->dst[f->ndst].port = p->endpoint_port;
					f->ndst++;
				}
				if (f->ndst == 0) {
					/* no endpoint of this family */
					a->nfwd--;
					continue;
				}
			}
			if (!u->nat)
				continue;
			a->nat = xreallocarray(a->nat, a->nnat + 1,
			    sizeof(*a->nat));
			nt = &a->nat[a->nnat++];
			ifcopy(nt->oif, u->ifname);
			nt->src = *src;
			nt->gw = g->name;
		}
	}
}

/*
 * Anti-spoofing of a client port (VM or gateway upstream port): its MAC,
 * its ARP sender, its IPv4 source, IPv6 only when enabled.
 */
void
compile_port(struct anchor *a, const struct node *n)
{
	struct rule	*r;
	struct kaddr	 ll;
	int		 v6 = n->ipv6 && n->addr6.af == AF_INET6;

	r = rule_add(a, RK_ISOLATE, RV_BLOCK, RD_BOTH);
	r->comment = a->where == PORT_UPLINK ? "reaches only the host" :
	    "reaches only its gateway's port";
	r = rule_add(a, RK_L2ARP, RV_BLOCK, RD_IN);
	memcpy(r->mac, n->mac, sizeof(r->mac));
	raddrs_add(&r->src, &n->addr);
	r->af = AF_INET;
	r->comment = "arp sender";
	r = rule_add(a, RK_L2MAC, RV_BLOCK, RD_IN);
	r->neg = 1;
	memcpy(r->mac, n->mac, sizeof(r->mac));
	r->comment = "source mac";
	r = rule_add(a, RK_L2TYPE, RV_BLOCK, RD_BOTH);
	r->neg = 1;
	r->etypes = RET_IP | RET_ARP | (v6 ? RET_IP6 : 0);
	r->comment = "ethertypes";
	r = rule_add(a, RK_FILTER, RV_BLOCK, RD_IN);
	r->af = AF_INET;
	r->src.neg = 1;
	raddrs_add(&r->src, &n->addr);
	r->comment = "ipv4 source";
	if (v6) {
		r = rule_add(a, RK_FILTER, RV_BLOCK, RD_IN);
		r->af = AF_INET6;
		r->src.neg = 1;
		raddrs_add(&r->src, &n->addr6);
		kaddr_parse("fe80::/10", &ll);
		raddrs_add(&r->src, &ll);
		r->comment = "ipv6 source";
	} else {
		r = rule_add(a, RK_FILTER, RV_BLOCK, RD_BOTH);
		r->af = AF_INET6;
		r->comment = "no ipv6";
	}
	r = rule_add(a, RK_L2TYPE, RV_PASS, RD_BOTH);
	r->etypes = RET_ARP;
	r->comment = "arp (checked above)";
	if (v6) {
		static const int nd[] = { 133, 134, 135, 136 };
		size_t i;

		for (i = 0; i < sizeof(nd) / sizeof(nd[0]); i++) {
			r = rule_add(a, RK_FILTER, RV_PASS, RD_BOTH);
			r->af = AF_INET6;
			rule_protos(r, IPPROTO_ICMPV6, 0);
			r->icmp_type = nd[i];
			r->comment = "neighbour discovery";
		}
	}
}

/* Block DNS to anyone but addr (the first hop). */
static void
dns_only_to(struct anchor *a, const struct kaddr *addr)
{
	struct rule	*r;

	r = rule_add(a, RK_FILTER, RV_BLOCK, RD_IN);
	r->af = addr->af;
	rule_protos(r, IPPROTO_UDP, IPPROTO_TCP);
	r->dst.neg = 1;
	raddrs_add(&r->dst, addr);
	kports_add(&r->dport, 53, 53);
	r->comment = "dns only to the first hop";
}

/* A rule's trailing comment: the netd.conf line and why. */
void
rule_print_comment(FILE *f, const struct rule *r)
{
	if (r->lineno > 0)
		fprintf(f, "\t# line %d%s%s", r->lineno,
		    r->comment ? ": " : "", r->comment ? r->comment : "");
	else if (r->comment != NULL)
		fprintf(f, "\t# %s", r->comment);
	fprintf(f, "\n");
}

/* DNS only to the first hop's address, or none at all. */
void
compile_dns(struct anchor *a, const struct node *n)
{
	const struct segment	*seg;
	struct rule		*r;

	if (n->up == NULL || n->up->kind != NODE_GATEWAY ||
	    (seg = n->up->seg) == NULL)
		return;
	if (n->kind == NODE_VM && n->chain != NULL &&
	    n->chain->dns == DNS_NONE) {
		r = rule_add(a, RK_FILTER, RV_BLOCK, RD_IN);
		rule_protos(r, IPPROTO_UDP, IPPROTO_TCP);
		kports_add(&r->dport, 53, 53);
		r->comment = "dns none";
		return;
	}
	dns_only_to(a, &seg->gw);
	if (n->ipv6 && n->addr6.af == AF_INET6 && seg->gw6.af == AF_INET6)
		dns_only_to(a, &seg->gw6);
}

static void
compile_gateway(struct anchor *a, const struct node *g)
{
	struct rule	*r;

	if (a->where == PORT_NONE) {
		r = rule_add(a, RK_FILTER, RV_BLOCK, RD_BOTH);
		r->comment = "no upstream";
	} else {
		compile_port(a, g);
		compile_dns(a, g);
		compile_role(a, g);
	}
	if (g->seg != NULL && g->down_if[0] != '\0')
		compile_down(a, g);
}

/*
 * The rules that let a gateway send by its role: tor only TCP, wireguard
 * only UDP to its peers' endpoints.  0 (nothing added) for a role that
 * routes anything.  Shared by the host's port rules and a sys-net
 * guest's rules for a gateway client (pf/gwfw.c).
 */
int
compile_role_egress(struct anchor *a, const struct node *g)
{
	const struct wg_peer	*p;
	struct rule		*r;

	switch (g->role) {
	case ROLE_TOR:
		r = rule_add(a, RK_FILTER, RV_PASS, RD_IN);
		rule_protos(r, IPPROTO_TCP, 0);
		r->comment = "tor: tcp only";
		return 1;
	case ROLE_WIREGUARD:
		if (g->wg == NULL)
			return 1;
		TAILQ_FOREACH(p, &g->wg->peers, entry) {
			if (p->endpoint.af == AF_INET6 &&
			    (!g->ipv6 || g->addr6.af == 0))
				continue;
			r = rule_add(a, RK_FILTER, RV_PASS, RD_IN);
			r->af = p->endpoint.af;
			rule_protos(r, IPPROTO_UDP, 0);
			raddrs_add(&r->dst, &p->endpoint);
			kports_add(&r->dport, p->endpoint_port,
			    p->endpoint_port);
			r->comment = "wireguard: the peer's endpoint only";
		}
		return 1;
	default:
		return 0;
	}
}

/* What a gateway may send upstream, by role; anything towards it. */
static void
compile_role(struct anchor *a, const struct node *g)
{
	struct rule	*r;

	if (!compile_role_egress(a, g)) {
		r = rule_add(a, RK_FILTER, RV_PASS, RD_BOTH);
		r->comment = "routes anything";
		return;
	}
	r = rule_add(a, RK_FILTER, RV_BLOCK, RD_IN);
	r->comment = "nothing else";
	r = rule_add(a, RK_FILTER, RV_PASS, RD_OUT);
	r->comment = "towards the gateway";
}

/* The gateway's own port on its segment: its MAC and ARP sender. */
static void
compile_down(struct anchor *a, const struct node *g)
{
	struct rule	*r;
	int		 v6 = g->seg->ipv6 && g->seg->gw6.af == AF_INET6;

	r = rule_add(a, RK_L2ARP, RV_BLOCK, RD_IN);
	r->down = 1;
	memcpy(r->mac, g->down_mac, sizeof(r->mac));
	raddrs_add(&r->src, &g->seg->gw);
	r->af = AF_INET;
	r->comment = "arp sender";
	r = rule_add(a, RK_L2MAC, RV_BLOCK, RD_IN);
	r->down = 1;
	r->neg = 1;
	memcpy(r->mac, g->down_mac, sizeof(r->mac));
	r->comment = "source mac";
	r = rule_add(a, RK_L2TYPE, RV_BLOCK, RD_IN);
	r->down = 1;
	r->neg = 1;
	r->etypes = RET_IP | RET_ARP | (v6 ? RET_IP6 : 0);
	r->comment = "ethertypes";
	if (!v6) {
		r = rule_add(a, RK_FILTER, RV_BLOCK, RD_BOTH);
		r->down = 1;
		r->af = AF_INET6;
		r->comment = "no ipv6";
	}
	r = rule_add(a, RK_FILTER, RV_PASS, RD_BOTH);
	r->down = 1;
	r->comment = "to its clients (each client port filters further)";
}
