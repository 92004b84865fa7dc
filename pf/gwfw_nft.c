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
 * A gateway's in-guest firewall for Linux guests: one nft -f transaction
 * that replaces table inet kubsd_guest (create it, delete it, define it
 * anew), so the guest is never without a ruleset while it changes.
 *
 * Every filter chain has policy drop; the roles open only what they
 * need:
 *	tor		clients' DNS and TCP redirected to tor's DNSPort and
 *			TransPort; nothing forwarded; out of eth0 only TCP
 *			of tor's own user
 *	wireguard	forward from eth1 into the tunnel only, masqueraded;
 *			out of eth0 only UDP to the peers' endpoints
 *	sys-net		forward from eth1 to eth0, masqueraded, each client
 *			filtered by its own chain
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"
#include "gwfw.h"
#include "nft_words.h"

#define CHAIN_NAMSIZ	(KUBSD_IFNAMSIZ + 8)

static void	 gnft_prerouting(FILE *, const struct guest_fw *);
static void	 gnft_postrouting(FILE *, const struct guest_fw *);
static void	 gnft_input(FILE *, const struct guest_fw *);
static void	 gnft_forward(FILE *, const struct guest_fw *);
static void	 gnft_output(FILE *, const struct guest_fw *);
static void	 gnft_clients(FILE *, const struct guest_fw *);

static const char *
ip_of(int af)
{
	return af == AF_INET6 ? "ip6" : "ip";
}

/* Chain names are bare identifiers: keep [A-Za-z0-9_.-]. */
static const char *
client_chain(char *buf, const char *name)
{
	size_t	 i;

	snprintf(buf, CHAIN_NAMSIZ, "c_%s", name);
	for (i = 2; buf[i] != '\0'; i++)
		if (!((buf[i] >= 'a' && buf[i] <= 'z') ||
		    (buf[i] >= 'A' && buf[i] <= 'Z') ||
		    (buf[i] >= '0' && buf[i] <= '9') ||
		    buf[i] == '_' || buf[i] == '.' || buf[i] == '-'))
			buf[i] = '_';
	return buf;
}

static void
base_chain(FILE *f, const char *name, const char *type, const char *prio,
    const char *policy)
{
	fprintf(f, "\tchain %s {\n\t\ttype %s hook %s priority %s; "
	    "policy %s;\n", name, type, name, prio, policy);
}

void
emit_guest_nft(FILE *f, const struct guest_fw *g)
{
	char	 d[KADDR_STRLEN];

	fprintf(f, "# kubsd-netd: the in-guest firewall of gateway %s "
	    "(role %s), generated\n", g->gw->name, role_name(g->role));
	fprintf(f, "# %s: upstream, %s: its segment %s", GUEST_UP_IF,
	    GUEST_DOWN_IF, kaddr_host(&g->down, d, sizeof(d)));
	if (g->tun_if[0] != '\0')
		fprintf(f, ", %s: the tunnel", g->tun_if);
	fprintf(f, "\ntable inet %s\ndelete table inet %s\n\n", GUEST_TABLE,
	    GUEST_TABLE);
	fprintf(f, "table inet %s {\n", GUEST_TABLE);
	gnft_prerouting(f, g);
	gnft_postrouting(f, g);
	gnft_input(f, g);
	gnft_forward(f, g);
	gnft_output(f, g);
	gnft_clients(f, g);
	fprintf(f, "}\n");
}

static void
gnft_prerouting(FILE *f, const struct guest_fw *g)
{
	char	 r[KADDR_STRLEN];

	if (g->role != ROLE_TOR && g->resolver.af == 0)
		return;
	base_chain(f, "prerouting", "nat", "dstnat", "accept");
	switch (g->role) {
	case ROLE_TOR:
		fprintf(f, "\t\tiifname \"%s\" meta nfproto ipv4 udp dport 53 "
		    "redirect to :%u\t# dns to tor's DNSPort\n",
		    GUEST_DOWN_IF, g->gw->tor_dnsport);
		fprintf(f, "\t\tiifname \"%s\" meta nfproto ipv4 tcp flags & "
		    "(fin | syn | rst | ack) == syn redirect to :%u\t# tcp to "
		    "tor's TransPort\n", GUEST_DOWN_IF, g->gw->tor_transport);
		break;
	default:
		fprintf(f, "\t\tiifname \"%s\" meta nfproto ipv4 meta l4proto "
		    "{ tcp, udp } th dport 53 dnat ip to %s\t# dns to the "
		    "%s\n", GUEST_DOWN_IF,
		    kaddr_host(&g->resolver, r, sizeof(r)),
		    g->role == ROLE_WIREGUARD ? "tunnel's resolver" :
		    "resolver");
		break;
	}
	fprintf(f, "\t}\n\n");
}

static void
gnft_postrouting(FILE *f, const struct guest_fw *g)
{
	if (g->role == ROLE_TOR)
		return;
	base_chain(f, "postrouting", "nat", "srcnat", "accept");
	fprintf(f, "\t\toifname \"%s\" masquerade\n\t}\n\n",
	    g->role == ROLE_WIREGUARD ? g->tun_if : GUEST_UP_IF);
}

/* What every filter chain starts with. */
static void
common(FILE *f, const struct guest_fw *g, const char *lo)
{
	if (lo != NULL)
		fprintf(f, "\t\t%s \"lo\" accept\n", lo);
	if (!g->ipv6)
		fprintf(f, "\t\tmeta nfproto ipv6 drop\t# no ipv6\n");
	fprintf(f, "\t\tct state invalid drop\n");
	if (g->ipv6 && lo != NULL)	/* the gateway's own, not forwarded */
		fprintf(f, "\t\ticmpv6 type { nd-neighbor-solicit, "
		    "nd-neighbor-advert, nd-router-solicit, nd-router-advert } "
		    "accept\t# neighbour discovery\n");
}

static size_t
count_endpoints(const struct guest_fw *g, int af)
{
	size_t	 i, n = 0;

	for (i = 0; i < g->nendpoints; i++)
		if (g->endpoints[i].addr.af == af)
			n++;
	return n;
}

/* The peers' endpoints of one family as a set of "ADDR . PORT". */
static void
endpoints(FILE *f, const struct guest_fw *g, int af)
{
	char	 a[KADDR_STRLEN];
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < g->nendpoints; i++) {
		if (g->endpoints[i].addr.af != af)
			continue;
		fprintf(f, "%s %s . %u", n++ ? "," : " {",
		    kaddr_host(&g->endpoints[i].addr, a, sizeof(a)),
		    g->endpoints[i].port);
	}
	fprintf(f, " }");
}

static void
gnft_input(FILE *f, const struct guest_fw *g)
{
	char	 d[KADDR_STRLEN];
	int	 af;

	base_chain(f, "input", "filter", "filter", "drop");
	common(f, g, "iifname");
	fprintf(f, "\t\tct state established,related accept\n");
	kaddr_host(&g->down, d, sizeof(d));
	switch (g->role) {
	case ROLE_TOR:
		fprintf(f, "\t\tiifname \"%s\" ip daddr %s tcp dport %u "
		    "accept\t# tor's TransPort\n", GUEST_DOWN_IF, d,
		    g->gw->tor_transport);
		fprintf(f, "\t\tiifname \"%s\" ip daddr %s udp dport %u "
		    "accept\t# tor's DNSPort\n", GUEST_DOWN_IF, d,
		    g->gw->tor_dnsport);
		break;
	case ROLE_WIREGUARD:
		for (af = AF_INET; af != 0;
		    af = af == AF_INET ? AF_INET6 : 0) {
			if (count_endpoints(g, af) == 0)
				continue;
			fprintf(f, "\t\tiifname \"%s\" %s saddr . udp sport",
			    GUEST_UP_IF, ip_of(af));
			endpoints(f, g, af);
			fprintf(f, " accept\t# wireguard: from the peers\n");
		}
		break;
	default:
		break;
	}
	fprintf(f, "\t}\n\n");
}

static void
gnft_forward(FILE *f, const struct guest_fw *g)
{
	char		 c[CHAIN_NAMSIZ], a[KADDR_STRLEN];
	const struct node *n;
	const struct kaddr *src;
	size_t		 i;
	int		 af, k;

	base_chain(f, "forward", "filter", "filter", "drop");
	if (g->role == ROLE_TOR) {
		fprintf(f, "\t\t# nothing is forwarded\n\t}\n\n");
		return;
	}
	common(f, g, NULL);
	fprintf(f, "\t\tiifname \"%s\" oifname \"%s\" ct state "
	    "established,related accept\n",
	    g->role == ROLE_WIREGUARD ? g->tun_if : GUEST_UP_IF,
	    GUEST_DOWN_IF);
	if (g->resolver.af == 0)
		fprintf(f, "\t\tiifname \"%s\" meta l4proto { tcp, udp } "
		    "th dport 53 drop\t# no resolver%s\n", GUEST_DOWN_IF,
		    g->resolver_later ? " yet: the host's, when written" :
		    "");
	if (g->role == ROLE_WIREGUARD) {
		fprintf(f, "\t\tiifname \"%s\" oifname \"%s\" accept\t# into "
		    "the tunnel only\n\t}\n\n", GUEST_DOWN_IF, g->tun_if);
		return;
	}
	/* sys-net: each client through its own chain */
	for (af = AF_INET; af != 0; af = af == AF_INET ? AF_INET6 : 0) {
		for (i = 0, k = 0; i < g->nclients; i++) {
			n = g->clients[i];
			src = af == AF_INET ? &n->addr : &n->addr6;
			if (src->af != af)
				continue;
			if (k++ == 0)
				fprintf(f, "\t\tiifname \"%s\" oifname \"%s\" "
				    "%s saddr vmap {", GUEST_DOWN_IF,
				    GUEST_UP_IF, ip_of(af));
			else
				fprintf(f, ",");
			fprintf(f, "\n\t\t\t%s : jump %s",
			    kaddr_host(src, a, sizeof(a)),
			    client_chain(c, n->name));
		}
		if (k > 0)
			fprintf(f, "\n\t\t}\n");
	}
	fprintf(f, "\t}\n\n");
}

static void
gnft_output(FILE *f, const struct guest_fw *g)
{
	int	 af;

	base_chain(f, "output", "filter", "filter", "drop");
	common(f, g, "oifname");
	fprintf(f, "\t\tct state established,related accept\n");
	switch (g->role) {
	case ROLE_TOR:
		fprintf(f, "\t\toifname \"%s\" meta l4proto tcp meta skuid "
		    "\"%s\" accept\t# tor itself, nothing else\n", GUEST_UP_IF,
		    GUEST_TOR_USER);
		break;
	case ROLE_WIREGUARD:
		fprintf(f, "\t\toifname \"%s\" accept\t# through the tunnel\n",
		    g->tun_if);
		for (af = AF_INET; af != 0;
		    af = af == AF_INET ? AF_INET6 : 0) {
			if (count_endpoints(g, af) == 0)
				continue;
			fprintf(f, "\t\toifname \"%s\" %s daddr . udp dport",
			    GUEST_UP_IF, ip_of(af));
			endpoints(f, g, af);
			fprintf(f, " accept\t# the tunnel itself: the peers' "
			    "endpoints\n");
		}
		break;
	default:
		break;
	}
	fprintf(f, "\t}\n");
}

/* Words of a rule, space-separated, after two tabs. */
static const char *
l4name(int p)
{
	return p == IPPROTO_ICMPV6 ? "ipv6-icmp" : proto_name(p);
}

/* One intermediate filter rule in an inet chain (conntrack does replies). */
static void
gnft_rule(FILE *f, const struct rule *r)
{
	struct line	 l = { f, 0 };
	const char	*ip = ip_of(r->af);
	size_t		 i;

	if (r->af != 0 && r->src.n == 0 && r->dst.n == 0)
		word(&l, "meta nfproto %s", r->af == AF_INET6 ? "ipv6" :
		    "ipv4");
	if (r->nprotos == 1)
		word(&l, "meta l4proto %s", l4name(r->protos[0]));
	else if (r->nprotos > 1) {
		word(&l, "meta l4proto {");
		for (i = 0; i < r->nprotos; i++)
			fprintf(f, "%s %s", i ? "," : "",
			    l4name(r->protos[i]));
		fprintf(f, " }");
	} else if (r->sport.n > 0 || r->dport.n > 0)
		word(&l, "meta l4proto { tcp, udp }");
	nft_addrs(&l, ip, "saddr", &r->src);
	nft_addrs(&l, ip, "daddr", &r->dst);
	nft_ports(&l, "sport", &r->sport);
	nft_ports(&l, "dport", &r->dport);
	if (r->icmp_type >= 0)
		word(&l, "%s type %d", r->af == AF_INET6 ? "icmpv6" : "icmp",
		    r->icmp_type);
	word(&l, "%s", r->verdict == RV_PASS ? "accept" : "drop");
	rule_print_comment(f, r);
}

/* sys-net: one chain per client, what it may send on. */
static void
gnft_clients(FILE *f, const struct guest_fw *g)
{
	const struct anchor	*a;
	char			 c[CHAIN_NAMSIZ];
	size_t			 i, j;

	for (i = 0; i < g->nclients; i++) {
		a = &g->rs->anchors[i];
		fprintf(f, "\n\t# %s\n", a->info);
		fprintf(f, "\tchain %s {\n",
		    client_chain(c, g->clients[i]->name));
		for (j = 0; j < a->nrules; j++)
			if (guest_rule_used(&a->rules[j]))
				gnft_rule(f, &a->rules[j]);
		fprintf(f, "\t}\n");
	}
}
