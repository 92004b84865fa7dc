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
 * One intermediate rule -> one or more nftables rules of a bridge chain.
 * dir is the chain's: RD_IN for frames from the port, RD_OUT towards it.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>

#include "kubsd.h"
#include "nft_words.h"
#include "rules.h"

static void	 nft_filter(FILE *, const struct rule *, const char *);
static void	 nft_end(FILE *, const char *, const struct rule *);
static void	 nft_comment(FILE *, const struct rule *);

static const char *
nft_proto(int p, char *buf, size_t len)
{
	if (p == IPPROTO_ICMPV6)
		return "ipv6-icmp";
	if (strcmp(proto_name(p), "any") == 0) {
		snprintf(buf, len, "%d", p);
		return buf;
	}
	return proto_name(p);
}

/*
 * Sets of constants are the named sets of table bridge kubsd (see
 * nft_bridge_sets()): each anonymous set costs the kernel a scan of the
 * whole transaction when it is bound, quadratic in a full load.
 */
static void
nft_etypes(FILE *f, unsigned t)
{
	if ((t & (t - 1)) == 0) {
		fprintf(f, " %s", t == RET_IP ? "ip" : t == RET_ARP ? "arp" :
		    "ip6");
		return;
	}
	fprintf(f, " @%s", nft_etype_set(t));
}

void
nft_rule(FILE *f, const struct anchor *a, const struct rule *r, enum rdir dir,
    int down, int no6)
{
	char		 mac[32], ip[KADDR_STRLEN];
	const char	*verdict;

	if (r->verdict == RV_BLOCK)
		verdict = "drop";
	else
		/* from a gateway's own port: the destination decides */
		verdict = down ? "return" : "accept";

	switch (r->kind) {
	case RK_ISOLATE:
		if (a->peer[0] == '\0')
			fprintf(f, "\t\t# %s: only in host_in/host_out\n",
			    r->comment);
		else
			fprintf(f, "\t\t%s != \"%s\" %s\t# %s\n",
			    dir == RD_IN ? "oifname" : "iifname", a->peer,
			    verdict, r->comment);
		break;
	case RK_L2ARP:
		if (dir != RD_IN || r->src.n == 0)
			break;
		mac_str(r->mac, mac, sizeof(mac));
		fprintf(f, "\t\tarp saddr ether != %s %s\t# %s\n", mac,
		    verdict, r->comment);
		fprintf(f, "\t\tarp saddr ip != %s %s\n",
		    kaddr_host(&r->src.v[0], ip, sizeof(ip)), verdict);
		break;
	case RK_L2MAC:
		mac_str(r->mac, mac, sizeof(mac));
		fprintf(f, "\t\tether %s %s%s", dir == RD_IN ? "saddr" :
		    "daddr", r->neg ? "!= " : "", mac);
		nft_end(f, verdict, r);
		break;
	case RK_L2TYPE:
		fprintf(f, "\t\tether type%s", r->neg ? " !=" : "");
		nft_etypes(f, r->etypes);
		nft_end(f, verdict, r);
		break;
	case RK_STATE:
		/*
		 * No bridge conntrack: ICMP errors here, replies by rules.
		 * The protocol first: most frames fail there.
		 */
		fprintf(f, "\t\tmeta l4proto icmp ether type ip icmp type "
		    "@icmp_err %s\t# %s (stateless)\n", verdict, r->comment);
		if (!no6)
			fprintf(f, "\t\tmeta l4proto ipv6-icmp ether type ip6 "
			    "icmpv6 type @icmp6_err %s\n", verdict);
		break;
	case RK_FILTER:
		nft_filter(f, r, verdict);
		break;
	}
}

/* Words of a rule, space-separated, after two tabs. */
static void
nft_filter(FILE *f, const struct rule *r, const char *verdict)
{
	struct line	 l = { f, 0 };
	char		 buf[16];
	const char	*ip = r->af == AF_INET6 ? "ip6" : "ip";
	size_t		 i;
	int		 l4 = r->sport.n > 0 || r->dport.n > 0;

	/* Ports first: they fail for most frames (DNS rules, say). */
	nft_ports(&l, "sport", &r->sport);
	nft_ports(&l, "dport", &r->dport);
	if (r->af != 0 && r->src.n == 0 && r->dst.n == 0 && r->nprotos == 0)
		word(&l, "ether type %s", ip);
	else if (r->af != 0 && r->src.n == 0 && r->dst.n == 0)
		word(&l, "meta protocol %s", ip);
	if (r->nprotos == 1)
		word(&l, "meta l4proto %s",
		    nft_proto(r->protos[0], buf, sizeof(buf)));
	else if (r->nprotos == 2 && ((r->protos[0] == IPPROTO_TCP &&
	    r->protos[1] == IPPROTO_UDP) || (r->protos[0] == IPPROTO_UDP &&
	    r->protos[1] == IPPROTO_TCP)))
		word(&l, "meta l4proto @tcp_udp");
	else if (r->nprotos > 1) {
		word(&l, "meta l4proto {");
		for (i = 0; i < r->nprotos; i++)
			fprintf(f, "%s %s", i ? "," : "",
			    nft_proto(r->protos[i], buf, sizeof(buf)));
		fprintf(f, " }");
	} else if (l4)
		word(&l, "meta l4proto @tcp_udp");
	nft_addrs(&l, ip, "saddr", &r->src);
	nft_addrs(&l, ip, "daddr", &r->dst);
	if (r->icmp_type >= 0)
		word(&l, "%s type %d", r->af == AF_INET6 ? "icmpv6" : "icmp",
		    r->icmp_type);
	if (r->reply && r->nprotos == 1 && r->protos[0] == IPPROTO_TCP)
		word(&l, "tcp flags & (syn | ack) != syn");
	if (l.n == 0)
		fprintf(f, "\t\t%s", verdict);
	else
		fprintf(f, " %s", verdict);
	nft_comment(f, r);
}

static void
nft_end(FILE *f, const char *verdict, const struct rule *r)
{
	fprintf(f, " %s", verdict);
	nft_comment(f, r);
}

static void
nft_comment(FILE *f, const struct rule *r)
{
	rule_print_comment(f, r);
}

/*
 * ARP passed where its sender is the port's own (arp NULL: any ARP
 * frame): the verdict a chain's pass rules have.
 */
void
nft_arp_pass(FILE *f, const struct rule *arp, int down)
{
	char	 mac[32], ip[KADDR_STRLEN];

	fprintf(f, "\t\tether type arp");
	if (arp != NULL) {
		mac_str(arp->mac, mac, sizeof(mac));
		fprintf(f, " arp saddr ether %s arp saddr ip %s", mac,
		    kaddr_host(&arp->src.v[0], ip, sizeof(ip)));
	}
	fprintf(f, " %s\t# arp%s\n", down ? "return" : "accept",
	    arp != NULL ? ": its own sender only" : "");
}

/* An ethertype rule r (neg, block) with the set of types t in its place. */
void
nft_etype_block(FILE *f, const struct rule *r, unsigned t)
{
	fprintf(f, "\t\tether type !=");
	nft_etypes(f, t);
	nft_end(f, "drop", r);
}

const char *
nft_etype_set(unsigned t)
{
	switch (t & (RET_IP | RET_ARP | RET_IP6)) {
	case RET_IP | RET_ARP:
		return "etype_ip_arp";
	case RET_IP | RET_IP6:
		return "etype_ip_ip6";
	case RET_ARP | RET_IP6:
		return "etype_arp_ip6";
	default:
		return "etype_ip_arp_ip6";
	}
}

/*
 * The sets of constants the port chains use.  Named, not anonymous: the
 * kernel binds an anonymous set by walking the whole transaction, which
 * made a full load quadratic in the number of ports.
 */
void
nft_bridge_sets(FILE *f)
{
	static const struct { unsigned t; const char *e; } et[] = {
		{ RET_IP | RET_ARP, "ip, arp" },
		{ RET_IP | RET_IP6, "ip, ip6" },
		{ RET_ARP | RET_IP6, "arp, ip6" },
		{ RET_IP | RET_ARP | RET_IP6, "ip, arp, ip6" }
	};
	size_t	 i;

	for (i = 0; i < sizeof(et) / sizeof(et[0]); i++)
		fprintf(f, "\tset %s {\n\t\ttype ether_type\n\t\tflags "
		    "constant\n\t\telements = { %s }\n\t}\n\n",
		    nft_etype_set(et[i].t), et[i].e);
	fprintf(f, "\tset tcp_udp {\n\t\ttype inet_proto\n\t\tflags "
	    "constant\n\t\telements = { tcp, udp }\n\t}\n\n");
	fprintf(f, "\tset icmp_err {\n\t\ttype icmp_type\n\t\tflags "
	    "constant\n\t\telements = { destination-unreachable, "
	    "time-exceeded }\n\t}\n\n");
	fprintf(f, "\tset icmp6_err {\n\t\ttype icmpv6_type\n\t\tflags "
	    "constant\n\t\telements = { destination-unreachable, "
	    "packet-too-big, time-exceeded }\n\t}\n\n");
	fprintf(f, "\tset nd6 {\n\t\ttype icmpv6_type\n\t\tflags "
	    "constant\n\t\telements = { nd-router-solicit, "
	    "nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }"
	    "\n\t}\n\n");
}
