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
 * The in-guest firewall of a gateway: layer 2 of the leak model.  What
 * a gateway's role lets through is described once from the graph
 * (gwfw.c) and rendered for Linux guests (gwfw_nft.c, one nft -f
 * transaction replacing table inet kubsd_guest) and for OpenBSD guests
 * (gwfw_pf.c, pf.conf syntax).  Both are fail-closed: what the role
 * does not need is dropped.
 */
#ifndef GWFW_H
#define GWFW_H

#include <stdio.h>

#include "kubsd.h"
#include "rules.h"

#define GUEST_UP_IF	"eth0"		/* the gateway's upstream port */
#define GUEST_DOWN_IF	"eth1"		/* its port on its own segment */
#define GUEST_TUN_PREFIX "kw-"		/* + name: the WireGuard interface */
#define GUEST_TABLE	"kubsd_guest"
#define GUEST_TOR_USER	"debian-tor"	/* tor's user in a Debian guest */
#define GUEST_TOR_USER_PF "_tor"	/* and in an OpenBSD one */

struct guest_fw {
	const struct node	*gw;
	enum role		 role;
	int			 ipv6;		/* the segment carries IPv6 */
	struct kaddr		 down;		/* the gateway on its segment */
	struct kaddr		 down6;		/* af 0 unless ipv6 */
	char			 tun_if[KUBSD_IFNAMSIZ];	/* wireguard */
	struct kaddr		 resolver;	/* clients' DNS goes here;
						   af 0: dropped */
	int			 resolver_later;	/* from the host's
						   resolv.conf, not known */
	struct rdest		*endpoints;	/* wireguard: the peers' */
	size_t			 nendpoints;
	/*
	 * sys-net: one anchor per node on the segment, the node's rules
	 * in order (RD_IN: from the client), ending with its default.
	 */
	const struct node	**clients;
	struct ruleset		*rs;		/* rs->anchors[i]: clients[i] */
	size_t			 nclients;
};

/* gwfw.c: resolver: af 0 when none; later: it comes from the host */
void	 guest_fw_build(struct guest_fw *, const struct netd_config *,
	    const struct node *, const struct kaddr *, int later);
void	 guest_fw_free(struct guest_fw *);
int	 guest_rule_used(const struct rule *);

/* gwfw_nft.c, gwfw_pf.c */
void	 emit_guest_nft(FILE *, const struct guest_fw *);
void	 emit_guest_pf(FILE *, const struct guest_fw *);

#endif
