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
 * A gateway's in-guest firewall for OpenBSD guests, in pf.conf(5)
 * syntax: the same policy as gwfw_nft.c.  Interfaces are macros, so
 * that the guest names its own (pfctl -D up_if=vio0 ...).  pf keeps
 * state, so replies need no rules; block is the default.
 */
#include <arpa/inet.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"
#include "openbsd.h"
#include "gwfw.h"

static void	 gpf_role(FILE *, const struct guest_fw *);
static void	 gpf_client(FILE *, const struct guest_fw *, size_t);

void
emit_guest_pf(FILE *f, const struct guest_fw *g)
{
	fprintf(f, "# kubsd-netd: the in-guest firewall of gateway %s "
	    "(role %s), generated\n", g->gw->name, role_name(g->role));
	fprintf(f, "# load with pfctl -f; name the interfaces with -D\n");
	fprintf(f, "up_if = \"vio0\"\t\t# %s: upstream\n", GUEST_UP_IF);
	fprintf(f, "down_if = \"vio1\"\t# %s: the segment\n", GUEST_DOWN_IF);
	if (g->role == ROLE_WIREGUARD) {
		fprintf(f, "tun_if = \"wg0\"\t\t# %s: the tunnel\n",
		    g->tun_if);
		fprintf(f, "# wg(4) kill switch: $up_if in rdomain 1, $tun_if "
		    "with wgrtable 1,\n# so forwarded traffic has no route "
		    "to the endpoint in clear\n");
	}
	if (g->role == ROLE_TOR)
		fprintf(f, "# torrc: TransProxyType pf-divert, User _tor\n");
	fprintf(f, "\nset skip on lo\n");
	fprintf(f, "set block-policy drop\n");
	gpf_role(f, g);
}

static void
gpf_endpoints(FILE *f, const struct guest_fw *g, const char *fmt)
{
	char	 a[KADDR_STRLEN];
	size_t	 i;

	for (i = 0; i < g->nendpoints; i++)
		fprintf(f, fmt, g->endpoints[i].addr.af == AF_INET ? "inet" :
		    "inet6", kaddr_host(&g->endpoints[i].addr, a, sizeof(a)),
		    g->endpoints[i].port);
}

/* Forwarded by the gateway: "! (self)", since "! self" matches all. */
static void
gpf_forward(FILE *f, const struct guest_fw *g)
{
	fprintf(f, "pass in quick on $down_if inet to ! (self)\t# forwarded "
	    "into the tunnel only\n");
	if (g->ipv6)
		fprintf(f, "pass in quick on $down_if inet6 to ! (self)\t# "
		    "forwarded into the tunnel only\n");
}

static void
gpf_role(FILE *f, const struct guest_fw *g)
{
	char	 d[KADDR_STRLEN], r[KADDR_STRLEN];
	size_t	 i;

	kaddr_host(&g->down, d, sizeof(d));
	if (g->resolver.af != 0)
		kaddr_host(&g->resolver, r, sizeof(r));

	/* translation first: later rules see the translated packet */
	switch (g->role) {
	case ROLE_TOR:
		fprintf(f, "match in on $down_if inet proto udp to port 53 "
		    "rdr-to %s port %u\t# dns to tor's DNSPort\n", d,
		    g->gw->tor_dnsport);
		break;
	case ROLE_WIREGUARD:
	case ROLE_SYSNET:
		if (g->resolver.af != 0)
			fprintf(f, "match in on $down_if inet proto { tcp udp "
			    "} to port 53 rdr-to %s\t# dns to the %s\n", r,
			    g->role == ROLE_WIREGUARD ? "tunnel's resolver" :
			    "resolver");
		fprintf(f, "match out on %s inet nat-to (%s:0)\n",
		    g->role == ROLE_WIREGUARD ? "$tun_if" : "$up_if",
		    g->role == ROLE_WIREGUARD ? "$tun_if" : "$up_if");
		break;
	default:
		break;
	}

	fprintf(f, "\nblock all\n");
	if (!g->ipv6)
		fprintf(f, "block quick inet6 all\t# no ipv6\n");
	else
		fprintf(f, "pass quick inet6 proto icmp6 icmp6-type { neighbrsol "
		    "neighbradv routersol routeradv }\t# neighbour discovery\n");

	switch (g->role) {
	case ROLE_TOR:
		fprintf(f, "pass in quick on $down_if inet proto tcp divert-to "
		    "%s port %u\t# tcp to tor's TransPort (TransProxyType "
		    "pf-divert: tor needs no /dev/pf)\n", d,
		    g->gw->tor_transport);
		fprintf(f, "pass in quick on $down_if inet proto udp to %s port "
		    "%u\t# tor's DNSPort\n", d, g->gw->tor_dnsport);
		fprintf(f, "pass out quick on $up_if proto tcp user %s\t# tor "
		    "itself, nothing else\n", GUEST_TOR_USER_PF);
		break;
	case ROLE_WIREGUARD:
		if (g->resolver.af == 0)
			fprintf(f, "block in quick on $down_if proto { tcp udp } "
			    "to port 53\t# no resolver in the tunnel\n");
		gpf_forward(f, g);
		fprintf(f, "pass out quick on $tun_if\t# through the tunnel\n");
		fprintf(f, "block out quick on $up_if received-on $down_if\t"
		    "# never in clear\n");
		gpf_endpoints(f, g, "pass out quick on $up_if %s proto udp to "
		    "%s port %u\t# the tunnel itself (wgrtable 1)\n");
		gpf_endpoints(f, g, "pass in quick on $up_if %s proto udp from "
		    "%s port %u\t# from the peers\n");
		break;
	case ROLE_SYSNET:
		if (g->resolver.af == 0)
			fprintf(f, "block in quick on $down_if proto { tcp udp } "
			    "to port 53\t# no resolver%s\n", g->resolver_later ?
			    " yet: the host's, when written" : "");
		fprintf(f, "block in quick on $down_if to self\t# the gateway "
		    "itself\n");
		fprintf(f, "pass out quick on $up_if received-on $down_if\t# "
		    "forwarded: each client filtered in below\n");
		for (i = 0; i < g->nclients; i++)
			gpf_client(f, g, i);
		break;
	default:
		break;
	}
}

/* The other family's ICMP is left out: pfctl refuses icmp6 under inet. */
static int
gpf_proto_fits(int p, int af)
{
	return !(p == IPPROTO_ICMPV6 && af == AF_INET) &&
	    !(p == IPPROTO_ICMP && af == AF_INET6);
}

/* How many of the rule's protocols fit af; any: 1. */
static size_t
gpf_af_protos(const struct rule *r, int af)
{
	size_t	 i, n = 0;

	if (r->nprotos == 0)
		return 1;
	for (i = 0; i < r->nprotos; i++)
		n += gpf_proto_fits(r->protos[i], af);
	return n;
}

static void
gpf_protos(FILE *f, const struct rule *r, int af)
{
	size_t	 i, n = r->nprotos == 0 ? 0 : gpf_af_protos(r, af);

	if (n == 0)
		return;
	fprintf(f, n == 1 ? " proto" : " proto {");
	for (i = 0; i < r->nprotos; i++)
		if (gpf_proto_fits(r->protos[i], af))
			fprintf(f, " %s", proto_name(r->protos[i]));
	if (n > 1)
		fprintf(f, " }");
}

/* Does the rule's source set admit the client's address? */
static int
src_admits(const struct raddrs *s, const struct kaddr *a)
{
	size_t	 i;
	int	 in = 0;

	if (s->n == 0)
		return 1;
	for (i = 0; i < s->n; i++)
		if (kaddr_contains(&s->v[i], a))
			in = 1;
	return s->neg ? !in : in;
}

/*
 * A client's rules, once per address it has: "from CLIENT" stands for
 * the rule's source (a rule whose source excludes the client never
 * matches its traffic and is left out).
 */
static void
gpf_client(FILE *f, const struct guest_fw *g, size_t idx)
{
	const struct node	*n = g->clients[idx];
	const struct anchor	*a = &g->rs->anchors[idx];
	const struct kaddr	*src;
	char			 buf[KADDR_STRLEN], table[64];
	size_t			 i, k;
	int			 v;

	fprintf(f, "\n# %s\n", a->info);
	for (v = 0; v < 2; v++) {
		src = v == 0 ? &n->addr : &n->addr6;
		if (src->af == 0 || (v == 1 && !g->ipv6))
			continue;
		kaddr_str(src, buf, sizeof(buf));
		for (i = 0; i < a->nrules; i++) {
			const struct rule *r = &a->rules[i];

			if (!guest_rule_used(r) ||
			    (r->af != 0 && r->af != src->af))
				continue;
			if (!gpf_af_protos(r, src->af)) {
				fprintf(f, "# line %d: no protocol of %s\n",
				    r->lineno, src->af == AF_INET ? "inet" :
				    "inet6");
				continue;
			}
			if (!src_admits(&r->src, src)) {
				fprintf(f, "# line %d: never matches %s\n",
				    r->lineno, buf);
				continue;
			}
			snprintf(table, sizeof(table), "c_%s_%zu_%d", n->name,
			    i, v);
			if (r->dst.neg && r->dst.n > 1) {
				char t[KADDR_STRLEN];

				fprintf(f, "table <%s> const {", table);
				for (k = 0; k < r->dst.n; k++)
					fprintf(f, " %s", kaddr_str(&r->dst.v[k],
					    t, sizeof(t)));
				fprintf(f, " }\n");
			}
			fprintf(f, "%s in quick on $down_if %s",
			    r->verdict == RV_PASS ? "pass" : "block",
			    src->af == AF_INET ? "inet" : "inet6");
			gpf_protos(f, r, src->af);
			fprintf(f, " from %s", buf);
			pf_ports(f, &r->sport);
			fprintf(f, " to ");
			pf_addrs_table(f, &r->dst, table);
			pf_ports(f, &r->dport);
			if (r->icmp_type >= 0)
				fprintf(f, " %s %d", src->af == AF_INET6 ?
				    "icmp6-type" : "icmp-type", r->icmp_type);
			rule_print_comment(f, r);
		}
	}
}
