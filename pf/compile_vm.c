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
 * A client VM's port: anti-spoofing (compile.c), DNS, then its firewall
 * in order, then the default.  Firewall rules are pf-like: "out" is
 * from the VM, which is "in" on its port.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"

static void	 fw_rule_af(struct anchor *, const struct fw_rule *, int);
static void	 fw_reply(struct anchor *, const struct rule *);
static void	 compile_ident(struct anchor *, const struct node *);

/* Why VM n's port carries nothing now; NULL: it carries its traffic. */
const char *
compile_vm_blocked(const struct node_gate *gate, const struct node *n)
{
	const struct node	*g;

	if (n->up == NULL)
		return "offline";
	if (!node_passes(gate, n))
		return "vm not ready";	/* its agent has not said so */
	/*
	 * A chain carries nothing until every gateway on it is ready, nor
	 * while its uplink's interface is down.
	 */
	for (g = n->up; g != NULL; g = g->up)
		if (g->kind == NODE_GATEWAY && !node_passes(gate, g))
			return "chain not ready";
		else if (g->kind == NODE_UPLINK && !node_passes(gate, g))
			return "uplink down";
	return NULL;
}

/* gate: what passes now (a running daemon's); NULL: every node does */
void
compile_vm(struct anchor *a, const struct node *n,
    const struct node_gate *gate)
{
	struct rule		*r;
	const char		*blocked;
	size_t			 i, first;

	blocked = compile_vm_blocked(gate, n);
	if (blocked != NULL) {
		r = rule_add(a, RK_FILTER, RV_BLOCK, RD_BOTH);
		r->comment = blocked;
	} else {
		compile_port(a, n);
		compile_dns(a, n);
		compile_ident(a, n);
		r = rule_add(a, RK_STATE, RV_PASS, RD_BOTH);
		r->comment = "established, related";
	}
	/*
	 * The firewall does not depend on where the VM is: it is compiled
	 * even while the port is blocked, so that nft has its chains ready
	 * before any attach (an attach then changes only set elements).
	 */
	a->has_fw = n->has_firewall;
	if (!n->has_firewall) {
		if (blocked == NULL) {
			r = rule_add(a, RK_FILTER, RV_PASS, RD_BOTH);
			r->comment = "no firewall";
		}
		return;
	}
	first = a->nrules;
	compile_firewall(a, &n->firewall);
	r = rule_add(a, RK_FILTER, RV_BLOCK, RD_BOTH);
	r->comment = "firewall default";
	for (i = first; i < a->nrules; i++)
		a->rules[i].fw = 1;
}

/* What compile_port() and compile_dns() check, as data (rules.h). */
static void
compile_ident(struct anchor *a, const struct node *n)
{
	const struct segment	*seg = n->up->seg;
	struct rident		*id = &a->ident;

	id->on = 1;
	memcpy(id->mac, n->mac, sizeof(id->mac));
	id->addr = n->addr;
	if (n->up->kind == NODE_GATEWAY) {
		memcpy(id->hop_mac, n->up->down_mac, sizeof(id->hop_mac));
		id->has_hop = 1;
	}
	if (n->ipv6 && n->addr6.af == AF_INET6)
		id->addr6 = n->addr6;
	if (seg == NULL || (n->chain != NULL && n->chain->dns == DNS_NONE))
		return;
	id->dns = seg->gw;
	if (id->addr6.af == AF_INET6 && seg->gw6.af == AF_INET6)
		id->dns6 = seg->gw6;
}

static int
has_af(const struct fw_host *h, int af)
{
	size_t	 i;

	if (h->any || h->addrs.n == 0)
		return 1;
	for (i = 0; i < h->addrs.n; i++)
		if (h->addrs.v[i].af == af)
			return 1;
	return 0;
}

static int
has_addrs(const struct fw_host *h)
{
	return !h->any && h->addrs.n > 0;
}

/* One IR rule per address family the firewall rule's addresses name. */
void
compile_firewall(struct anchor *a, const struct fw_rules *fw)
{
	const struct fw_rule	*f;
	static const int	 afs[] = { AF_INET, AF_INET6 };
	size_t			 i;

	TAILQ_FOREACH(f, fw, entry) {
		if (f->af == 0 && !has_addrs(&f->from) && !has_addrs(&f->to)) {
			fw_rule_af(a, f, 0);
			continue;
		}
		for (i = 0; i < sizeof(afs) / sizeof(afs[0]); i++) {
			if (f->af != 0 && f->af != afs[i])
				continue;
			if (has_af(&f->from, afs[i]) && has_af(&f->to, afs[i]))
				fw_rule_af(a, f, afs[i]);
		}
	}
}

static void
host_copy(struct raddrs *s, struct kport_list *p, const struct fw_host *h,
    int af)
{
	size_t	 i;

	if (!h->any) {
		s->neg = h->neg;
		for (i = 0; i < h->addrs.n; i++)
			if (h->addrs.v[i].af == af)
				raddrs_add(s, &h->addrs.v[i]);
	}
	for (i = 0; i < h->ports.n; i++)
		kports_add(p, h->ports.v[i].lo, h->ports.v[i].hi);
}

static void
fw_rule_af(struct anchor *a, const struct fw_rule *f, int af)
{
	struct rule	*r;
	enum rdir	 dir;

	switch (f->dir) {
	case FW_OUT:
		dir = RD_IN;
		break;
	case FW_IN:
		dir = RD_OUT;
		break;
	default:
		dir = RD_BOTH;
		break;
	}
	r = rule_add(a, RK_FILTER,
	    f->action == FW_PASS ? RV_PASS : RV_BLOCK, dir);
	r->af = af;
	r->lineno = f->lineno;
	r->icmp_type = f->icmp_type;
	if (f->nprotos > 0) {
		r->protos = xcalloc(f->nprotos, sizeof(*r->protos));
		memcpy(r->protos, f->protos, f->nprotos * sizeof(*r->protos));
		r->nprotos = f->nprotos;
	}
	/* icmp types need a family */
	if (r->af == 0 && r->nprotos == 1 && r->protos[0] == IPPROTO_ICMP)
		r->af = AF_INET;
	if (r->af == 0 && r->nprotos == 1 && r->protos[0] == IPPROTO_ICMPV6)
		r->af = AF_INET6;
	host_copy(&r->src, &r->sport, &f->from, af);
	host_copy(&r->dst, &r->dport, &f->to, af);
	if (r->verdict == RV_PASS)
		fw_reply(a, r);
}

static int
rule_has_proto(const struct rule *r, int p)
{
	size_t	 i;

	if (r->nprotos == 0)
		return 1;
	for (i = 0; i < r->nprotos; i++)
		if (r->protos[i] == p)
			return 1;
	return 0;
}

static void
raddrs_copy(struct raddrs *dst, const struct raddrs *src)
{
	size_t	 i;

	dst->neg = src->neg;
	for (i = 0; i < src->n; i++)
		raddrs_add(dst, &src->v[i]);
}

static void
kports_copy(struct kport_list *dst, const struct kport_list *src)
{
	size_t	 i;

	for (i = 0; i < src->n; i++)
		kports_add(dst, src->v[i].lo, src->v[i].hi);
}

/*
 * The return traffic of a pass rule, for backends without state on the
 * bridge: addresses and ports swapped, per protocol.  pf keeps state and
 * skips these.
 */
static void
fw_reply(struct anchor *a, const struct rule *pr)
{
	static const struct { int proto, af, req, rep; } rp[] = {
		{ IPPROTO_TCP, 0, -1, -1 },
		{ IPPROTO_UDP, 0, -1, -1 },
		{ IPPROTO_ICMP, AF_INET, 8, 0 },
		{ IPPROTO_ICMPV6, AF_INET6, 128, 129 },
	};
	struct rule	 p = *pr;	/* a may move under pr */
	struct rule	*r;
	enum rdir	 dir;
	size_t		 i;

	dir = p.dir == RD_IN ? RD_OUT : p.dir == RD_OUT ? RD_IN : RD_BOTH;
	for (i = 0; i < sizeof(rp) / sizeof(rp[0]); i++) {
		if (!rule_has_proto(&p, rp[i].proto))
			continue;
		if (rp[i].af != 0 && p.af != 0 && p.af != rp[i].af)
			continue;
		if (rp[i].req != -1 && p.icmp_type != -1 &&
		    p.icmp_type != rp[i].req)
			continue;
		if (rp[i].req == -1 && p.icmp_type != -1)
			continue;
		if (rp[i].req != -1 && (p.sport.n > 0 || p.dport.n > 0))
			continue;
		r = rule_add(a, RK_FILTER, RV_PASS, dir);
		r->reply = 1;
		r->lineno = p.lineno;
		r->af = rp[i].af != 0 ? rp[i].af : p.af;
		r->protos = xcalloc(1, sizeof(*r->protos));
		r->protos[r->nprotos++] = rp[i].proto;
		r->icmp_type = rp[i].rep;
		raddrs_copy(&r->src, &p.dst);
		raddrs_copy(&r->dst, &p.src);
		kports_copy(&r->sport, &p.dport);
		kports_copy(&r->dport, &p.sport);
		r->comment = "reply";
	}
}
