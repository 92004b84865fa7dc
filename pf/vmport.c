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
 * VM ports in nftables: the shared sets and chains (vmport.h says why).
 * Together they check what compile_port() and compile_dns() say, in
 * their order; the VM's own firewall follows in its vm_/to_ chains,
 * through the maps vmport_fw_in and vmport_fw_out (emit_nft.c).
 */
#include <arpa/inet.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"
#include "vmport.h"

const struct vmset vmsets[VS_COUNT] = {
	[VS_IP4] = { "vmport_ip4", 4, { KF_IF, KF_IF, KF_MAC, KF_IP4 } },
	[VS_IP6] = { "vmport_ip6", 4, { KF_IF, KF_IF, KF_MAC, KF_IP6 } },
	[VS_LL6] = { "vmport_ll6", 3, { KF_IF, KF_IF, KF_MAC } },
	[VS_HOP] = { "vmport_hop", 2, { KF_IF, KF_MAC } },
	[VS_PATH] = { "vmport_path", 2, { KF_IF, KF_IF } },
	[VS_PATH6] = { "vmport_path6", 2, { KF_IF, KF_IF } },
	[VS_DNS4] = { "vmport_dns4", 2, { KF_IF, KF_IP4 } },
	[VS_DNS6] = { "vmport_dns6", 2, { KF_IF, KF_IP6 } },
};

static const char *kf_type[] = {
	[KF_IF] = "ifname", [KF_MAC] = "ether_addr",
	[KF_IP4] = "ipv4_addr", [KF_IP6] = "ipv6_addr"
};

static void
elem(struct velem *e, enum vmset_id set, const struct anchor *a,
    const struct kaddr *last)
{
	const struct rident	*id = &a->ident;
	size_t			 i = 0;

	memset(e, 0, sizeof(*e));
	e->set = set;
	e->v[i++].ifname = a->ifname;
	if (set == VS_HOP) {
		e->v[i].mac = id->hop_mac;
		return;
	}
	if (set != VS_DNS4 && set != VS_DNS6)
		e->v[i++].ifname = a->peer;
	if (set == VS_IP4 || set == VS_IP6 || set == VS_LL6)
		e->v[i++].mac = id->mac;
	if (last != NULL)
		e->v[i].addr = last;
}

size_t
vmport_elems(const struct anchor *a, struct velem *e)
{
	const struct rident	*id = &a->ident;
	size_t			 n = 0;

	if (a->kind != ANCHOR_VM || !id->on)
		return 0;
	elem(&e[n++], VS_IP4, a, &id->addr);
	if (id->has_hop)
		elem(&e[n++], VS_HOP, a, NULL);
	elem(&e[n++], VS_PATH, a, NULL);
	if (id->dns.af == AF_INET)
		elem(&e[n++], VS_DNS4, a, &id->dns);
	if (id->addr6.af == AF_INET6) {
		elem(&e[n++], VS_IP6, a, &id->addr6);
		elem(&e[n++], VS_LL6, a, NULL);
		elem(&e[n++], VS_PATH6, a, NULL);
		if (id->dns6.af == AF_INET6)
			elem(&e[n++], VS_DNS6, a, &id->dns6);
	}
	return n;
}

void
vmport_key_print(FILE *f, const struct velem *e)
{
	const struct vmset	*s = &vmsets[e->set];
	char			 buf[KADDR_STRLEN];
	size_t			 i;

	for (i = 0; i < s->nf; i++) {
		if (i > 0)
			fprintf(f, " . ");
		switch (s->f[i]) {
		case KF_IF:
			fprintf(f, "\"%s\"", e->v[i].ifname);
			break;
		case KF_MAC:
			fprintf(f, "%s", mac_str(e->v[i].mac, buf,
			    sizeof(buf)));
			break;
		default:
			fprintf(f, "%s", kaddr_host(e->v[i].addr, buf,
			    sizeof(buf)));
			break;
		}
	}
}

void
vmport_sets(FILE *f, const struct ruleset *rs)
{
	struct velem	 e[VS_COUNT];
	size_t		 s, i, j, n, count;

	for (s = 0; s < VS_COUNT; s++) {
		fprintf(f, "\tset %s {\n\t\ttype ", vmsets[s].name);
		for (i = 0; i < vmsets[s].nf; i++)
			fprintf(f, "%s%s", i ? " . " : "",
			    kf_type[vmsets[s].f[i]]);
		fprintf(f, "\n");
		for (i = 0, count = 0; i < rs->nanchors; i++) {
			n = vmport_elems(&rs->anchors[i], e);
			for (j = 0; j < n; j++) {
				if (e[j].set != s)
					continue;
				fprintf(f, "%s\n\t\t\t", count++ == 0 ?
				    "\t\telements = {" : ",");
				vmport_key_print(f, &e[j]);
			}
		}
		fprintf(f, "%s\t}\n\n", count > 0 ? "\n\t\t}\n" : "");
	}
}

void
vmport_add_print(FILE *f, const struct anchor *a)
{
	struct velem	 e[VS_COUNT];
	size_t		 i, n;

	if ((n = vmport_elems(a, e)) == 0) {
		fprintf(f, "# in no vmport set: every frame is dropped\n");
		return;
	}
	for (i = 0; i < n; i++) {
		fprintf(f, "add element bridge kubsd %s { ",
		    vmsets[e[i].set].name);
		vmport_key_print(f, &e[i]);
		fprintf(f, " }\n");
	}
}

/*
 * The chains.  From a VM: a unicast frame only to its first hop's MAC
 * (the bridge floods one to a MAC it has not learnt, a stopped VM's, to
 * every port, its first hop's too); IPv4 and ARP must name its own port,
 * first hop, MAC and address in one lookup; IPv6 likewise where enabled;
 * anything else is dropped.  Then DNS only to the first hop, ICMP errors
 * (no bridge conntrack), and its firewall.  Towards a VM: only from its
 * first hop's port.  Two families of the same chains: "vmport_" for VMs
 * without a firewall block, which end in accept, and "vmfw_", which end
 * in the VM's firewall (a VM's family never changes: its port_in element
 * is fixed).  The common frame so needs one lookup less.
 */
static void
vmport_family(FILE *f, const char *p, int fw)
{
	/* with no firewall after them, passes before "accept" go */
	const char	*last_in = fw ? "iifname vmap @vmport_fw_in\t# its "
			    "firewall\n\t\tdrop" : "accept\t# no firewall";

	fprintf(f,
	    "\tchain %s_in {\n"
	    "\t\tether daddr & 01:00:00:00:00:00 == 00:00:00:00:00:00 "
	    "iifname . ether daddr != @vmport_hop drop\t# unicast only "
	    "to its first hop\n"
	    "\t\tether type ip iifname . oifname . ether saddr . ip saddr "
	    "@vmport_ip4 goto %s_in4\t# its first hop only, its own "
	    "mac and address\n"
	    "\t\tether type arp iifname . oifname . ether saddr . arp saddr "
	    "ip @vmport_ip4 iifname . oifname . arp saddr ether . arp saddr "
	    "ip @vmport_ip4 accept\t# arp: its own sender only\n"
	    "\t\tether type ip6 iifname . oifname . ether saddr . ip6 saddr "
	    "@vmport_ip6 goto %s_in6\t# ipv6 where enabled\n"
	    "\t\tether type ip6 ip6 saddr fe80::/10 iifname . oifname . "
	    "ether saddr @vmport_ll6 goto %s_in6\t# link-local\n"
	    "\t\tdrop\t# spoofed, elsewhere, blocked, or another type\n"
	    "\t}\n", p, p, p, p);
	fprintf(f, "\tchain %s_in4 {\n"
	    "\t\tth dport 53 meta l4proto @tcp_udp iifname . ip daddr != "
	    "@vmport_dns4 drop\t# dns only to the first hop\n", p);
	if (fw)
		fprintf(f, "\t\tmeta l4proto icmp icmp type @icmp_err "
		    "accept\t# established, related (stateless)\n");
	fprintf(f, "\t\t%s\n\t}\n", last_in);
	fprintf(f, "\tchain %s_in6 {\n", p);
	if (fw)
		fprintf(f, "\t\tmeta l4proto ipv6-icmp icmpv6 type @nd6 "
		    "accept\t# neighbour discovery\n");
	fprintf(f, "\t\tth dport 53 meta l4proto @tcp_udp iifname . ip6 "
	    "daddr != @vmport_dns6 drop\t# dns only to the first hop\n");
	if (fw)
		fprintf(f, "\t\tmeta l4proto ipv6-icmp icmpv6 type "
		    "@icmp6_err accept\t# established, related "
		    "(stateless)\n");
	fprintf(f, "\t\t%s\n\t}\n", last_in);
	if (!fw) {
		fprintf(f,
		    "\tchain %s_out {\n"
		    "\t\tether type ip oifname . iifname @vmport_path "
		    "accept\t# only from its first hop's port\n"
		    "\t\tether type arp oifname . iifname @vmport_path "
		    "accept\t# arp\n"
		    "\t\tether type ip6 oifname . iifname @vmport_path6 "
		    "accept\t# ipv6 where enabled\n"
		    "\t\tdrop\n"
		    "\t}\n", p);
		return;
	}
	fprintf(f,
	    "\tchain %s_out {\n"
	    "\t\tether type ip oifname . iifname @vmport_path goto "
	    "%s_out4\t# only from its first hop's port\n"
	    "\t\tether type arp oifname . iifname @vmport_path accept\t# "
	    "arp\n"
	    "\t\tether type ip6 oifname . iifname @vmport_path6 goto "
	    "%s_out6\t# ipv6 where enabled\n"
	    "\t\tdrop\n"
	    "\t}\n"
	    "\tchain %s_out4 {\n"
	    "\t\tmeta l4proto icmp icmp type @icmp_err accept\t# "
	    "established, related (stateless)\n"
	    "\t\toifname vmap @vmport_fw_out\t# its firewall\n"
	    "\t\tdrop\n"
	    "\t}\n"
	    "\tchain %s_out6 {\n"
	    "\t\tmeta l4proto ipv6-icmp icmpv6 type @nd6 accept\t# "
	    "neighbour discovery\n"
	    "\t\tmeta l4proto ipv6-icmp icmpv6 type @icmp6_err accept\t# "
	    "established, related (stateless)\n"
	    "\t\toifname vmap @vmport_fw_out\t# its firewall\n"
	    "\t\tdrop\n"
	    "\t}\n", p, p, p, p, p);
}

void
vmport_chains(FILE *f)
{
	fprintf(f, "\n\t# VM ports: what a frame may carry is in the vmport "
	    "sets\n");
	vmport_family(f, "vmport", 0);
	fprintf(f, "\n\t# VM ports with a firewall block: the same, then "
	    "the firewall\n");
	vmport_family(f, "vmfw", 1);
}
