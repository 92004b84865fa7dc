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
 * Intermediate rules -> nftables: "table bridge kubsd" (L2: anti-spoofing,
 * isolation, the per-port rules) and "table inet kubsd" (L3: the host
 * talks to no client; uplink forwarding per gateway; NAT).
 *
 * Base chains drop whatever touches the interface group and no map entry
 * accepts; they dispatch through verdict maps keyed by interface name,
 * so a packet's cost does not grow with the number of VMs.  Every VM port
 * goes to the shared vmport_ chains (vmport.c), which check its frames
 * against its elements in the vmport sets and then jump to its firewall.
 * Bridge chains of one port:
 *	gw_NAME			frames from a gateway's kp-NAME (forward; on an
 *				uplink segment: towards the host, bridge input)
 *	to_NAME			frames towards a gateway's kp-NAME
 *	down_NAME		frames from a gateway's own port kd-NAME;
 *				they go on to the destination's chain
 *	vm_NAME, to_NAME	a VM's firewall, from and towards it (only a
 *				VM with a firewall block)
 * Nothing in the rules depends on where a VM is attached, so an attach
 * changes set elements only (vmport-nl-linux.c).
 * Kernels without CONFIG_NF_CONNTRACK_BRIDGE have no "ct" in the bridge
 * family, so RK_STATE becomes ICMP errors and the firewall's "reply"
 * rules carry return traffic (TCP: never a bare SYN).
 */
#include <arpa/inet.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"
#include "vmport.h"

#define NFT_NAMSIZ	(KUBSD_IFNAMSIZ + 8)

static void	 nft_bridge(FILE *, const struct ruleset *);
static void	 nft_inet(FILE *, const struct ruleset *);
static void	 nft_port_chains(FILE *, const struct anchor *);
static void	 nft_chain(FILE *, const struct anchor *, const char *, int,
		    enum rdir);
static void	 nft_uplink_chains(FILE *, const struct anchor *,
		    const char *);

/* Chain names are bare identifiers: keep [A-Za-z0-9_.-]. */
static const char *
nft_name(char *buf, const char *prefix, const char *name)
{
	size_t	 i, n;

	n = (size_t)snprintf(buf, NFT_NAMSIZ, "%s%s", prefix, name);
	if (n >= NFT_NAMSIZ)
		n = NFT_NAMSIZ - 1;
	for (i = strlen(prefix); i < n; i++)
		if (!((buf[i] >= 'a' && buf[i] <= 'z') ||
		    (buf[i] >= 'A' && buf[i] <= 'Z') ||
		    (buf[i] >= '0' && buf[i] <= '9') ||
		    buf[i] == '_' || buf[i] == '.' || buf[i] == '-'))
			buf[i] = '_';
	return buf;
}

static const char *
from_prefix(const struct anchor *a)
{
	return a->kind == ANCHOR_GATEWAY ? "gw_" : "vm_";
}

static int
is_port(const struct anchor *a)
{
	return a->kind == ANCHOR_GATEWAY || a->kind == ANCHOR_VM;
}

void
emit_nft(FILE *f, const struct ruleset *rs, const char *only)
{
	if (only != NULL) {
		emit_nft_port(f, rs, only);
		return;
	}
	fprintf(f, "# kubsd: generated, do not edit\n");
	fprintf(f, "table inet kubsd\ndelete table inet kubsd\n");
	fprintf(f, "table bridge kubsd\ndelete table bridge kubsd\n\n");
	nft_bridge(f, rs);
	fprintf(f, "\n");
	nft_inet(f, rs);
}

/* One map element; the first one opens the list. */
struct elems {
	const char	*open;		/* printed before the first */
	const char	*indent;
	int		 n;
};

static void
nft_elem(FILE *f, struct elems *e, const char *key, const char *verb,
    const char *c)
{
	fprintf(f, "%s\n%s\"%s\" : %s%s%s", e->n++ == 0 ? e->open : ",",
	    e->indent, key, verb, c ? " " : "", c ? c : "");
}

enum bmap { BM_PORT_IN, BM_PORT_OUT, BM_HOST_IN, BM_HOST_OUT, BM_FW_IN,
	BM_FW_OUT };

/*
 * A VM's: the shared chains of its family, and its firewall's.  None of
 * them depends on where it is attached.
 */
static void
nft_vm_elements(FILE *f, const struct anchor *a, enum bmap m,
    struct elems *e)
{
	char	 c[NFT_NAMSIZ];

	switch (m) {
	case BM_PORT_IN:
		nft_elem(f, e, a->ifname, a->has_fw ? "jump vmfw_in" :
		    "jump vmport_in", NULL);
		break;
	case BM_PORT_OUT:
		nft_elem(f, e, a->ifname, a->has_fw ? "jump vmfw_out" :
		    "jump vmport_out", NULL);
		break;
	case BM_FW_IN:
	case BM_FW_OUT:
		if (a->has_fw)
			nft_elem(f, e, a->ifname, "jump", nft_name(c,
			    m == BM_FW_IN ? "vm_" : "to_", a->name));
		break;
	default:
		break;
	}
}

/* An anchor's elements of one of the bridge maps. */
static void
nft_elements(FILE *f, const struct anchor *a, enum bmap m, struct elems *e)
{
	char	 c[NFT_NAMSIZ];

	if (!is_port(a))
		return;
	if (a->kind == ANCHOR_VM) {
		nft_vm_elements(f, a, m, e);
		return;
	}
	switch (m) {
	case BM_FW_IN:
	case BM_FW_OUT:
		break;
	case BM_PORT_IN:
		if (a->where == PORT_UPLINK)
			nft_elem(f, e, a->ifname, "drop", NULL);
		else
			nft_elem(f, e, a->ifname, "jump",
			    nft_name(c, from_prefix(a), a->name));
		if (a->down_if[0] != '\0')
			nft_elem(f, e, a->down_if, "jump",
			    nft_name(c, "down_", a->name));
		break;
	case BM_PORT_OUT:
		if (a->where == PORT_UPLINK)
			nft_elem(f, e, a->ifname, "drop", NULL);
		else
			nft_elem(f, e, a->ifname, "jump",
			    nft_name(c, "to_", a->name));
		break;
	case BM_HOST_IN:
		if (a->where == PORT_UPLINK)
			nft_elem(f, e, a->ifname, "jump",
			    nft_name(c, from_prefix(a), a->name));
		break;
	case BM_HOST_OUT:
		if (a->where == PORT_UPLINK)
			nft_elem(f, e, a->ifname, "jump",
			    nft_name(c, "to_", a->name));
		break;
	}
}

static void
nft_map(FILE *f, const struct ruleset *rs, const char *name, enum bmap m)
{
	struct elems	 e = { "\t\telements = {", "\t\t\t", 0 };
	size_t		 i;

	fprintf(f, "\tmap %s {\n\t\ttype ifname : verdict\n", name);
	for (i = 0; i < rs->nanchors; i++)
		nft_elements(f, &rs->anchors[i], m, &e);
	if (e.n > 0)
		fprintf(f, "\n\t\t}\n");
	fprintf(f, "\t}\n\n");
}

static void
nft_base(FILE *f, const char *hook, const char *type, const char *prio,
    const char *policy)
{
	fprintf(f, "\tchain %s {\n\t\ttype %s hook %s priority %s; "
	    "policy %s;\n", hook, type, hook, prio, policy);
}

static void
nft_bridge(FILE *f, const struct ruleset *rs)
{
	size_t	 i;
	unsigned g = rs->group;

	fprintf(f, "table bridge kubsd {\n");
	nft_bridge_sets(f);
	vmport_sets(f, rs);
	nft_map(f, rs, "port_in", BM_PORT_IN);
	nft_map(f, rs, "port_out", BM_PORT_OUT);
	nft_map(f, rs, "host_in", BM_HOST_IN);
	nft_map(f, rs, "host_out", BM_HOST_OUT);
	nft_map(f, rs, "vmport_fw_in", BM_FW_IN);
	nft_map(f, rs, "vmport_fw_out", BM_FW_OUT);

	nft_base(f, "forward", "filter", "filter", "drop");
	fprintf(f, "\t\tmeta iifgroup != %#x meta oifgroup != %#x accept\n",
	    g, g);
	fprintf(f, "\t\tiifname vmap @port_in\n");
	fprintf(f, "\t\toifname vmap @port_out\n\t}\n\n");
	nft_base(f, "input", "filter", "filter", "drop");
	fprintf(f, "\t\tmeta iifgroup != %#x accept\n", g);
	fprintf(f, "\t\tiifname vmap @host_in\n\t}\n\n");
	nft_base(f, "output", "filter", "filter", "drop");
	fprintf(f, "\t\tmeta oifgroup != %#x accept\n", g);
	fprintf(f, "\t\toifname vmap @host_out\n\t}\n");
	vmport_chains(f);

	for (i = 0; i < rs->nanchors; i++)
		if (is_port(&rs->anchors[i]))
			nft_port_chains(f, &rs->anchors[i]);
	fprintf(f, "}\n");
}

/* The bridge chains of one VM or gateway. */
static void
nft_port_chains(FILE *f, const struct anchor *a)
{
	char	 c[NFT_NAMSIZ];

	if (a->kind == ANCHOR_VM && !a->has_fw)
		return;
	fprintf(f, "\n\t# %s%s\n", a->info,
	    a->kind == ANCHOR_VM ? ": its firewall" : "");
	nft_chain(f, a, nft_name(c, from_prefix(a), a->name), 0, RD_IN);
	nft_chain(f, a, nft_name(c, "to_", a->name), 0, RD_OUT);
	if (a->down_if[0] != '\0')
		nft_chain(f, a, nft_name(c, "down_", a->name), 1, RD_IN);
}

static void
nft_chain(FILE *f, const struct anchor *a, const char *name, int down,
    enum rdir dir)
{
	fprintf(f, "\tchain %s {\n", name);
	nft_chain_rules(f, a, down, dir);
	fprintf(f, "\t}\n");
}

/*
 * The host is the IPv6 next hop of an uplink's gateways: neighbour
 * discovery on its bridge (ARP, for IPv4, never reaches this table).
 * Ends the chain.
 */
static void
nft_nd6(FILE *f, const struct ruleset *rs, const char *dir)
{
	const struct anchor	*a;
	size_t			 i;

	for (i = 0; i < rs->nanchors; i++) {
		a = &rs->anchors[i];
		if (a->kind == ANCHOR_UPLINK && anchor_fwd6(a))
			fprintf(f, "\t\t%s \"%s\" icmpv6 type { "
			    "nd-neighbor-solicit, nd-neighbor-advert } "
			    "accept\t# the gateways' ipv6 next hop\n", dir,
			    a->ifname);
	}
	fprintf(f, "\t}\n\n");
}

static void
nft_inet(FILE *f, const struct ruleset *rs)
{
	const struct anchor	*a;
	char			 c[NFT_NAMSIZ], buf[KADDR_STRLEN];
	size_t			 i;
	unsigned		 g = rs->group;
	int			 n;

	fprintf(f, "table inet kubsd {\n");
	fprintf(f, "\tmap uplink_fwd {\n\t\ttype ifname . ifname : verdict\n");
	for (i = 0, n = 0; i < rs->nanchors; i++) {
		a = &rs->anchors[i];
		if (a->kind != ANCHOR_UPLINK)
			continue;
		fprintf(f, "%s\n\t\t\t\"%s\" . \"%s\" : jump %s",
		    n++ == 0 ? "\t\telements = {" : ",", a->ifname,
		    a->uplink_if, nft_name(c, "up_", a->name));
	}
	fprintf(f, "%s\t}\n\n", n > 0 ? "\n\t\t}\n" : "");
	fprintf(f, "\tset uplink_ret {\n\t\ttype ifname . ifname\n");
	for (i = 0, n = 0; i < rs->nanchors; i++) {
		a = &rs->anchors[i];
		if (a->kind != ANCHOR_UPLINK)
			continue;
		fprintf(f, "%s\n\t\t\t\"%s\" . \"%s\"",
		    n++ == 0 ? "\t\telements = {" : ",", a->uplink_if,
		    a->ifname);
	}
	fprintf(f, "%s\t}\n\n", n > 0 ? "\n\t\t}\n" : "");

	/*
	 * With br_netfilter, bridged IP also passes the inet hooks, with the
	 * bridge as both interfaces: it was filtered in table bridge kubsd.
	 * Gateway bridges carry no host address, so nothing else matches.
	 */
	fprintf(f, "\tset bridged {\n\t\ttype ifname . ifname\n");
	for (i = 0, n = 0; i < rs->nanchors; i++) {
		a = &rs->anchors[i];
		if (a->kind != ANCHOR_GATEWAY || a->down_bridge[0] == '\0')
			continue;
		fprintf(f, "%s\n\t\t\t\"%s\" . \"%s\"",
		    n++ == 0 ? "\t\telements = {" : ",", a->down_bridge,
		    a->down_bridge);
	}
	fprintf(f, "%s\t}\n\n", n > 0 ? "\n\t\t}\n" : "");

	/*
	 * Those bridged frames get no conntrack state on the host: nothing
	 * here uses it, and a client could otherwise fill the host's table.
	 */
	nft_base(f, "prerouting", "filter", "raw", "accept");
	fprintf(f, "\t\tiifname . iifname @bridged notrack\t# bridged "
	    "client frames\n\t}\n\n");
	nft_base(f, "input", "filter", "filter", "drop");
	fprintf(f, "\t\tmeta iifgroup != %#x accept\n", g);
	nft_nd6(f, rs, "iifname");
	nft_base(f, "output", "filter", "filter", "drop");
	fprintf(f, "\t\tmeta oifgroup != %#x accept\n", g);
	nft_nd6(f, rs, "oifname");
	nft_base(f, "forward", "filter", "filter", "drop");
	/* bridged first: the bulk of what crosses this hook */
	fprintf(f, "\t\tiifname . oifname @bridged accept\n");
	fprintf(f, "\t\tmeta iifgroup != %#x meta oifgroup != %#x accept\n",
	    g, g);
	fprintf(f, "\t\tct state established,related "
	    "iifname . oifname @uplink_ret accept\n");
	fprintf(f, "\t\tiifname . oifname vmap @uplink_fwd\n\t}\n\n");
	nft_base(f, "postrouting", "nat", "srcnat", "accept");
	for (i = 0; i < rs->nanchors; i++) {
		a = &rs->anchors[i];
		for (n = 0; n < (int)a->nnat; n++) {
			fprintf(f, "\t\toifname \"%s\" %s saddr %s masquerade"
			    "\t# %s\n", a->nat[n].oif,
			    a->nat[n].src.af == AF_INET ? "ip" : "ip6",
			    kaddr_str(&a->nat[n].src, buf, sizeof(buf)),
			    a->nat[n].gw);
		}
	}
	fprintf(f, "\t}\n");
	for (i = 0; i < rs->nanchors; i++)
		if (rs->anchors[i].kind == ANCHOR_UPLINK)
			nft_uplink_chains(f, &rs->anchors[i], NULL);
	fprintf(f, "}\n");
}

/* Link-local and excluded destinations: dropped whoever sends. */
static void
nft_uplink_fence(FILE *f, const struct anchor *a)
{
	if (fence_print(f, a, AF_INET, "\t\tip daddr { ", ", ") > 0)
		fprintf(f, " } drop\t# link-local or excluded: never out of "
		    "%s\n", a->uplink_if);
	if (fence_print(f, a, AF_INET6, "\t\tip6 daddr { ", ", ") > 0)
		fprintf(f, " } drop\t# link-local or excluded: never out of "
		    "%s\n", a->uplink_if);
}

/*
 * An uplink's chain: dispatch on the source address to the chain of the
 * gateway that owns it, which narrows by role.  gw: only that gateway's
 * chain (NULL: all, and the uplink's own chain).
 */
static void
nft_uplink_chains(FILE *f, const struct anchor *a, const char *gw)
{
	char		 c[NFT_NAMSIZ], buf[KADDR_STRLEN];
	size_t		 i, j, k;
	int		 af, n;

	if (gw == NULL) {
		fprintf(f, "\n\t# %s\n", a->info);
		fprintf(f, "\tchain %s {\n", nft_name(c, "up_", a->name));
		nft_uplink_fence(f, a);
		for (af = AF_INET; af != 0; af = af == AF_INET ? AF_INET6 : 0) {
			for (i = 0, n = 0; i < a->nfwd; i++) {
				if (a->fwd[i].af != af)
					continue;
				fprintf(f, "%s %s : jump %s", n++ == 0 ?
				    (af == AF_INET ? "\t\tip saddr vmap {" :
				    "\t\tip6 saddr vmap {") : ",",
				    kaddr_str(&a->fwd[i].src, buf, sizeof(buf)),
				    nft_name(c, "gw_", a->fwd[i].gw));
			}
			if (n > 0)
				fprintf(f, " }\n");
		}
		fprintf(f, "\t}\n");
	}
	for (i = 0; i < a->nfwd; i++) {
		/* one chain per gateway, at its first entry */
		for (j = 0; j < i; j++)
			if (strcmp(a->fwd[j].gw, a->fwd[i].gw) == 0)
				break;
		if (j < i || (gw != NULL && strcmp(gw, a->fwd[i].gw) != 0))
			continue;
		fprintf(f, "\n\t# gateway %s: role %s, out of %s\n",
		    a->fwd[i].gw, role_name(a->fwd[i].role), a->fwd[i].oif);
		fprintf(f, "\tchain %s {\n", nft_name(c, "gw_", a->fwd[i].gw));
		for (j = i; j < a->nfwd; j++) {
			const struct rfwd *w = &a->fwd[j];
			const char *ip = w->af == AF_INET ? "ip" : "ip6";

			if (strcmp(w->gw, a->fwd[i].gw) != 0)
				continue;
			fprintf(f, "\t\tmeta nfproto %s",
			    w->af == AF_INET ? "ipv4" : "ipv6");
			if (w->ndst == 0) {
				if (w->proto != 0)
					fprintf(f, " meta l4proto %s",
					    proto_name(w->proto));
				fprintf(f, " accept\n");
				continue;
			}
			fprintf(f, " %s daddr . %s dport {", ip,
			    proto_name(w->proto));
			for (k = 0; k < w->ndst; k++)
				fprintf(f, "%s %s . %u", k ? "," : "",
				    kaddr_host(&w->dst[k].addr, buf,
				    sizeof(buf)), w->dst[k].port);
			fprintf(f, " } accept\n");
		}
		fprintf(f, "\t}\n");
	}
}

/*
 * One node's part, to inspect it: a VM's elements and firewall chains; a
 * gateway's chains and map elements; an uplink's chains.
 */
void
emit_nft_port(FILE *f, const struct ruleset *rs, const char *name)
{
	const struct anchor	*a;
	size_t			 i;
	static const struct { enum bmap m; const char *name; } maps[] = {
		{ BM_PORT_IN, "port_in" }, { BM_PORT_OUT, "port_out" },
		{ BM_HOST_IN, "host_in" }, { BM_HOST_OUT, "host_out" },
		{ BM_FW_IN, "vmport_fw_in" }, { BM_FW_OUT, "vmport_fw_out" }
	};

	if ((a = rules_anchor(rs, name)) == NULL)
		return;
	if (a->kind == ANCHOR_BASE) {
		emit_nft(f, rs, NULL);
		return;
	}
	if (a->kind == ANCHOR_VM) {
		fprintf(f, "# %s\n", a->info);
		if (!a->ident.on)
			fprintf(f, "# blocked: %s\n", a->nrules > 0 &&
			    a->rules[0].comment != NULL ? a->rules[0].comment :
			    "offline");
		vmport_add_print(f, a);
	}
	if (is_port(a)) {
		for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
			char		 open[64];
			struct elems	 e = { open, "\t", 0 };

			snprintf(open, sizeof(open),
			    "add element bridge kubsd %s {", maps[i].name);
			nft_elements(f, a, maps[i].m, &e);
			if (e.n > 0)
				fprintf(f, "\n}\n");
		}
		if (a->kind != ANCHOR_VM || a->has_fw) {
			fprintf(f, "table bridge kubsd {");
			nft_port_chains(f, a);
			fprintf(f, "}\n");
		}
	}
	for (i = 0; i < rs->nanchors; i++) {
		const struct anchor *u = &rs->anchors[i];
		size_t j;

		if (u->kind != ANCHOR_UPLINK)
			continue;
		if (u == a) {
			fprintf(f, "table inet kubsd {");
			nft_uplink_chains(f, u, NULL);
			fprintf(f, "}\n");
			continue;
		}
		for (j = 0; j < u->nfwd; j++)
			if (strcmp(u->fwd[j].gw, a->name) == 0)
				break;
		if (j == u->nfwd)
			continue;
		fprintf(f, "table inet kubsd {");
		nft_uplink_chains(f, u, a->name);
		fprintf(f, "}\n");
	}
}
