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
 * librules (Makefile RULES_SRCS): the rule compiler; it uses the model
 * (kubsd.h) and nothing else: text out, no kernel, no daemon.
 *
 * The rule compiler: graph -> one intermediate rule form -> pf anchors
 * or nftables.  Both emitters render only from the intermediate form, so
 * that the two backends cannot drift apart.
 *
 * A ruleset is an ordered list of anchors: "_base" first, then one per
 * node in declaration order.  An anchor guards one interface (a client
 * port kp-NAME, an uplink's bridge kb-NAME, the kubsd group for _base);
 * a gateway's anchor also holds the rules of its downstream port kd-NAME.
 */
#ifndef RULES_H
#define RULES_H

#include <stdio.h>

#include "kubsd.h"

enum anchor_kind	{ ANCHOR_BASE, ANCHOR_UPLINK, ANCHOR_GATEWAY, ANCHOR_VM };

/* Where a port sits, which decides how a backend dispatches to it. */
enum port_where {
	PORT_NONE,		/* offline: on no bridge */
	PORT_GATEWAY,		/* client port on a gateway's segment */
	PORT_UPLINK		/* gateway port on an uplink's segment */
};

enum rverdict		{ RV_PASS, RV_BLOCK };
enum rdir		{ RD_BOTH, RD_IN, RD_OUT };	/* in: from the interface */

enum rkind {
	RK_FILTER,		/* L3/L4 match on af, protos, addresses, ports */
	RK_ISOLATE,		/* block unless the other end is anchor->peer */
	RK_L2MAC,		/* block unless ether source is mac (neg) */
	RK_L2ARP,		/* block ARP unless sender is mac + src.v[0] */
	RK_L2TYPE,		/* ether type in etypes (neg: not in) */
	RK_STATE		/* established/related return traffic */
};

#define RET_IP		0x1
#define RET_ARP		0x2
#define RET_IP6		0x4

/* A set of addresses, all of the rule's af; n == 0: any. */
struct raddrs {
	int			 neg;
	size_t			 n;
	struct kaddr		*v;
};

struct rule {
	enum rkind		 kind;
	enum rverdict		 verdict;
	enum rdir		 dir;
	int			 down;		/* on anchor->down_if */
	int			 quick;		/* pf: first match (all but _base) */
	int			 log;
	int			 af;		/* 0: any */
	int			*protos;	/* IPPROTO_*; n == 0: any */
	size_t			 nprotos;
	struct raddrs		 src, dst;
	struct kport_list	 sport, dport;
	int			 icmp_type;	/* -1: any */
	int			 neg;		/* RK_L2MAC, RK_L2TYPE */
	uint8_t			 mac[6];	/* RK_L2MAC, RK_L2ARP */
	unsigned		 etypes;	/* RK_L2TYPE: RET_* */
	int			 reply;		/* return traffic of a pass rule of
						   the other direction: stateless
						   backends only */
	int			 fw;		/* from a VM's firewall block, or
						   its default: nft's vm_/to_
						   chains of that VM */
	int			 lineno;	/* netd.conf line, 0: generated */
	const char		*comment;	/* static text or NULL */
};

/* Masquerade src out of oif. */
struct rnat {
	char			 oif[KUBSD_IFNAMSIZ];
	struct kaddr		 src;
	const char		*gw;		/* gateway name */
};

struct rdest {
	struct kaddr		 addr;
	uint16_t		 port;
};

/* Routed traffic a gateway may send from iif (kb-UPLINK) out of oif. */
struct rfwd {
	char			 iif[KUBSD_IFNAMSIZ];
	char			 oif[KUBSD_IFNAMSIZ];
	const char		*gw;		/* gateway name */
	enum role		 role;
	int			 af;
	struct kaddr		 src;		/* the gateway's address */
	int			 proto;		/* 0: any */
	struct rdest		*dst;		/* n == 0: anywhere */
	size_t			 ndst;
};

/*
 * A VM port's identity where it is attached: the only part of its rules
 * that depends on the attachment.  nft keeps it as elements of shared
 * sets (pf/vmport.c), so moving a VM changes data, never rules.
 */
struct rident {
	int			 on;		/* attached and its chain ready */
	uint8_t			 mac[6];
	uint8_t			 hop_mac[6];	/* its first hop's, on its
						   segment (a gateway's kd-) */
	int			 has_hop;
	struct kaddr		 addr;		/* IPv4 */
	struct kaddr		 addr6;		/* af 0: no IPv6 */
	struct kaddr		 dns, dns6;	/* DNS server; af 0: no DNS */
};

struct anchor {
	enum anchor_kind	 kind;
	char			*name;
	char			*info;		/* one line describing it */
	char			 ifname[KUBSD_IFNAMSIZ];	/* guarded */
	char			 bridge[KUBSD_IFNAMSIZ];	/* ifname's bridge */
	char			 peer[KUBSD_IFNAMSIZ];	/* "": the host */
	char			 down_if[KUBSD_IFNAMSIZ];	/* gateway: kd- */
	char			 down_bridge[KUBSD_IFNAMSIZ];	/* its bridge */
	char			 uplink_if[KUBSD_IFNAMSIZ];	/* uplink: eth0 */
	enum port_where		 where;
	struct rule		*rules;
	size_t			 nrules, caprules;
	struct rident		 ident;		/* VM */
	int			 has_fw;	/* VM: its own firewall */
	struct rnat		*nat;		/* uplink */
	size_t			 nnat;
	struct rfwd		*fwd;		/* uplink */
	size_t			 nfwd;
	struct kaddr		*fence;		/* uplink: never forwarded to:
						   link-local, its exclude */
	size_t			 nfence;
};

struct ruleset {
	const struct node_gate	*gate;		/* live state; NULL: all pass */
	unsigned		 group;		/* Linux interface group */
	const char		*group_name;	/* OpenBSD interface group */
	struct anchor		*anchors;
	size_t			 nanchors;
	size_t			*byname;	/* anchor indices by name */
};

/* compile.c (rules_free: anchor.c) */
struct ruleset		*rules_compile(const struct netd_config *);
/* what a running daemon has: the nodes that pass, asked (kubsd.h) */
struct ruleset		*rules_compile_gated(const struct netd_config *,
			    const struct node_gate *);
void			 rules_free(struct ruleset *);
const struct anchor	*rules_anchor(const struct ruleset *, const char *);

/* anchor.c: an anchor's contents freed; its spare room given back;
 * its rules freed, its name and ports kept (so for every VM anchor) */
void			 anchor_free(struct anchor *);
void			 anchor_shrink(struct anchor *);
void			 anchor_strip(struct anchor *);
void			 rules_strip_vms(struct ruleset *);
size_t			 fence_print(FILE *, const struct anchor *, int af,
			    const char *first, const char *sep);
int			 anchor_fwd6(const struct anchor *);

/* anchor.c: VM n's anchor compiled again in place, after
 * graph_move(); the old one is moved to *old (NULL: n has none) */
struct anchor		*rules_recompile(struct ruleset *, const struct node *,
			    struct anchor *old);

/* compile.c, for compile_vm.c */
void			 anchor_init(struct anchor *, const struct node *,
			    enum anchor_kind);
struct rule		*rule_add(struct anchor *, enum rkind, enum rverdict,
			    enum rdir);
void			 raddrs_add(struct raddrs *, const struct kaddr *);
void			 kports_add(struct kport_list *, uint16_t, uint16_t);
void			 compile_port(struct anchor *, const struct node *);
void			 compile_dns(struct anchor *, const struct node *);

/* compile.c: a gateway's egress by its role; 0: it routes anything */
int			 compile_role_egress(struct anchor *, const struct node *);

/* compile_vm.c */
void			 compile_vm(struct anchor *, const struct node *,
			    const struct node_gate *);
const char		*compile_vm_blocked(const struct node_gate *,
			    const struct node *);
void			 compile_firewall(struct anchor *, const struct fw_rules *);

/* emit_pf.c: only: an anchor name, NULL: all */
void			 emit_pf(FILE *, const struct ruleset *, const char *);

/* emit_nft.c: only: one node's part (to inspect), NULL: the full ruleset */
void			 emit_nft(FILE *, const struct ruleset *, const char *);
void			 emit_nft_port(FILE *, const struct ruleset *, const char *);

/* emit_nft_rule.c: one rule in a bridge chain of direction dir; the named
 * sets of constants those rules use; the one of ether types t (RET_*) */
void			 nft_rule(FILE *, const struct anchor *,
			    const struct rule *, enum rdir, int down, int no6);
void			 nft_arp_pass(FILE *, const struct rule *, int down);
void			 nft_etype_block(FILE *, const struct rule *, unsigned);
void			 nft_bridge_sets(FILE *);
const char		*nft_etype_set(unsigned);

/* emit_nft_chain.c: the rules of one bridge chain, fast path first */
void			 nft_chain_rules(FILE *, const struct anchor *, int down,
			    enum rdir);

void		 rule_print_comment(FILE *, const struct rule *);

#endif
