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
 * The rules of one bridge chain, in the IR's order but arranged so that
 * the common frame (IPv4 from or to a port that sent with its own
 * addresses) reaches its verdict in as few expressions as possible.
 * Every change keeps each frame's verdict:
 *
 *  - ARP: the sender checks (RK_L2ARP) and the later "ether type arp"
 *    pass become one positive rule at the ethertype rule, whose set then
 *    lacks ARP (an ARP frame that rule does not pass is dropped there).
 *    Only done when nothing between can pass ARP, nor anything between
 *    that rule and the ARP pass can match ARP.
 *  - Once the ethertype rule has dropped IPv6, rules only IPv6 can
 *    match are left out.
 *  - A pass rule right before a pass of everything is left out.
 */
#include <stdlib.h>

#include "kubsd.h"
#include "rules.h"

/* A VM's chains hold only its firewall: vmport.c checks the rest. */
static int
in_chain(const struct anchor *a, const struct rule *r, int down,
    enum rdir dir)
{
	if (a->kind == ANCHOR_VM && !r->fw)
		return 0;
	return r->down == down && (r->dir == RD_BOTH || r->dir == dir);
}

/* Matches every frame. */
static int
pass_all(const struct rule *r)
{
	return r->kind == RK_FILTER && r->verdict == RV_PASS && r->af == 0 &&
	    r->nprotos == 0 && r->src.n == 0 && r->dst.n == 0 &&
	    r->sport.n == 0 && r->dport.n == 0 && r->icmp_type < 0 &&
	    !r->log;
}

/* Passes every ARP frame that reaches it. */
static int
arp_pass(const struct rule *r)
{
	if (r->kind == RK_L2TYPE)
		return !r->neg && r->verdict == RV_PASS &&
		    (r->etypes & RET_ARP);
	return pass_all(r);
}

/* Can match no ARP frame. */
static int
not_arp(const struct rule *r)
{
	switch (r->kind) {
	case RK_FILTER:
		return r->af != 0;
	case RK_STATE:
		return 1;
	case RK_L2TYPE:
		return !(r->etypes & RET_ARP);
	default:
		return 0;
	}
}

/* Can match IPv6 frames only. */
static int
ip6_only(const struct rule *r)
{
	return (r->kind == RK_FILTER && r->af == AF_INET6) ||
	    (r->kind == RK_L2TYPE && r->etypes == RET_IP6);
}

/*
 * The MAC rule of a chain that passes every IPv4 frame from that MAC
 * (a gateway's own port: kd-NAME), so that one rule in front can say so;
 * NULL if the chain does anything else to IPv4.
 */
static const struct rule *
ipv4_pass(const struct rule **v, size_t n)
{
	const struct rule	*mac = NULL;
	size_t			 i;

	for (i = 0; i < n; i++) {
		switch (v[i]->kind) {
		case RK_L2ARP:
			continue;
		case RK_L2MAC:
			if (!v[i]->neg || mac != NULL)
				return NULL;
			mac = v[i];
			continue;
		case RK_L2TYPE:
			if (v[i]->neg && v[i]->verdict == RV_BLOCK &&
			    (v[i]->etypes & RET_IP))
				continue;
			return NULL;
		case RK_FILTER:
			if (v[i]->af == AF_INET6 && v[i]->verdict == RV_BLOCK)
				continue;
			if (i == n - 1 && pass_all(v[i]))
				return mac;
			return NULL;
		default:
			return NULL;
		}
	}
	return NULL;
}

void
nft_chain_rules(FILE *f, const struct anchor *a, int down, enum rdir dir)
{
	const struct rule	**v, *arp = NULL, *fast;
	size_t			 n = 0, i, j, k, p, ia = 0;
	int			*skip, merge = 0;
	unsigned		 allowed = RET_IP | RET_ARP | RET_IP6;

	v = xcalloc(a->nrules + 1, sizeof(*v));
	skip = xcalloc(a->nrules + 1, sizeof(*skip));
	for (i = 0; i < a->nrules; i++)
		if (in_chain(a, &a->rules[i], down, dir))
			v[n++] = &a->rules[i];

	/* k: the ethertype rule; p: the ARP pass after it. */
	for (k = 0; k < n; k++)
		if (v[k]->kind == RK_L2TYPE && v[k]->neg &&
		    v[k]->verdict == RV_BLOCK)
			break;
	for (p = k + 1; p < n && !arp_pass(v[p]); p++)
		;
	if (k < n && p < n && (v[k]->etypes & RET_ARP) &&
	    (v[k]->etypes & RET_IP)) {
		merge = 1;
		for (i = k + 1; i < p; i++)
			if (!not_arp(v[i]))
				merge = 0;
		for (i = 0; i < n; i++) {
			if (v[i]->kind != RK_L2ARP || dir != RD_IN ||
			    v[i]->src.n == 0)
				continue;
			if (arp != NULL || i > k)
				merge = 0;
			arp = v[i];
			ia = i;
		}
		/* nothing between the sender check and k may pass ARP */
		for (i = ia + 1; arp != NULL && i < k; i++)
			if (v[i]->verdict != RV_BLOCK)
				merge = 0;
	}
	for (i = 0; i < n; i++) {
		if (merge && v[i] == arp)
			skip[i] = 1;
		if (merge && i == p && v[p]->kind == RK_L2TYPE &&
		    v[p]->etypes == RET_ARP)
			skip[i] = 1;
		if (i > k && k < n && !(v[k]->etypes & RET_IP6) &&
		    ip6_only(v[i]))
			skip[i] = 1;
	}
	/* backwards: a run of passes before a pass of everything goes */
	for (i = n; i-- > 0;) {
		if (skip[i] || v[i]->verdict != RV_PASS || v[i]->log)
			continue;
		for (j = i + 1; j < n && skip[j]; j++)
			;
		if (j < n && pass_all(v[j]))
			skip[i] = 1;
	}

	if (down && dir == RD_IN && (fast = ipv4_pass(v, n)) != NULL) {
		char	 mac[32];

		fprintf(f, "\t\tether type ip ether saddr %s return\t# ipv4 "
		    "from its own mac: the common frame first\n",
		    mac_str(fast->mac, mac, sizeof(mac)));
	}
	for (i = 0; i < n; i++) {
		if (i == k && k < n)
			allowed = v[k]->etypes;
		if (skip[i])
			continue;
		if (merge && i == k) {
			nft_arp_pass(f, arp, down);
			allowed &= ~RET_ARP;
			nft_etype_block(f, v[k], allowed);
			continue;
		}
		nft_rule(f, a, v[i], dir, down, !(allowed & RET_IP6));
	}
	free(skip);
	free(v);
}
