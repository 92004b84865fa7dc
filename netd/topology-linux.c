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
 * The topology: make the kernel's links match the graph.  Every step is
 * idempotent (what exists is adopted and corrected), and every managed
 * interface is created inside the kubsd interface group, so the base
 * rules block it from its first instant.
 *
 * A segment is a bridge kb-OWNER; a client port kp-NAME is a tap (QEMU
 * VMs) or the host end of a veth whose peer is eth0 in the compartment
 * namespace kubsd-NAME; a gateway's own port on its segment is kd-NAME
 * (a tap, or a veth whose peer is eth1 in the gateway's compartment).
 *
 * A segment's links (its bridge, the ports on it, the compartments'
 * ends of those ports) share its MTU, node_seg_mtu(): by default the
 * uplink interface's, read here, less a WireGuard tunnel's overhead
 * below a wireguard gateway.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kubsd.h"
#include "link.h"
#include "live.h"
#include "log.h"
#include "state.h"
#include "topology.h"

#define TRY(ctx, call, what, name) do {					\
	if ((call) == -1) {						\
		log_warnx("%s %s: %s", what, name, link_error(ctx));	\
		return -1;						\
	}								\
} while (0)

/*
 * 1: ifname exists, and has the MTU mtu (0: any) now; 0: it does not
 * exist; -1: error.  One request when nothing needs changing.
 */
static int
adopt(struct link_ctx *ctx, const char *ifname, int mtu)
{
	struct link_state	 st;

	if (link_get(ctx, ifname, &st) == -1)
		return errno == ENODEV ? 0 : -1;
	if (mtu > 0 && st.mtu != mtu && link_set_mtu(ctx, ifname, mtu) == -1)
		return -1;
	return 1;
}

/*
 * A bridge's own MAC, from its name (0a: locally administered, apart
 * from the nodes' 02 and the veth host ends' 06).  A bridge without one
 * takes its lowest port's, and looks at every port for it whenever one
 * joins or leaves; so with its MTU: an attach would cost more with more
 * VMs.
 */
static void
bridge_mac(const char *name, uint8_t mac[6])
{
	uint32_t	 h = 2166136261u;		/* FNV-1a */

	for (; *name != '\0'; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	mac[0] = 0x0a;
	mac[1] = 0x6b;
	mac[2] = h >> 24;
	mac[3] = h >> 16;
	mac[4] = h >> 8;
	mac[5] = h;
}

static int
ensure_bridge(struct link_ctx *ctx, const struct node *owner)
{
	struct link_state	 st;
	uint8_t			 mac[6];
	int			 mtu = node_seg_mtu(owner);

	bridge_mac(owner->bridge_if, mac);
	switch (adopt(ctx, owner->bridge_if, mtu)) {
	case 0:
		/* a MAC given at creation is the bridge's own for good */
		TRY(ctx, link_bridge_create(ctx, owner->bridge_if, mac, 0),
		    "bridge", owner->bridge_if);
		/*
		 * Only an MTU changed after creation stays (else the kernel
		 * follows the ports': see bridge_mac()).
		 */
		if (mtu <= 0)
			mtu = 1500;
		if (mtu == 1500)
			TRY(ctx, link_set_mtu(ctx, owner->bridge_if, mtu - 1),
			    "mtu", owner->bridge_if);
		TRY(ctx, link_set_mtu(ctx, owner->bridge_if, mtu), "mtu",
		    owner->bridge_if);
		break;
	case -1:
		log_warnx("bridge %s: %s", owner->bridge_if, link_error(ctx));
		return -1;
	default:
		TRY(ctx, link_get(ctx, owner->bridge_if, &st), "bridge",
		    owner->bridge_if);
		if (memcmp(st.mac, mac, 6) != 0)
			TRY(ctx, link_set_mac(ctx, owner->bridge_if, mac),
			    "mac", owner->bridge_if);
		break;
	}
	TRY(ctx, link_set_group(ctx, owner->bridge_if, KUBSD_IFGROUP),
	    "group", owner->bridge_if);
	if (owner->kind == NODE_UPLINK) {
		/* The host's leg on the uplink segment: the gateways' hop. */
		struct kaddr gw = owner->seg->gw;

		gw.prefixlen = owner->seg->net.prefixlen;
		TRY(ctx, link_addr_add(ctx, owner->bridge_if, &gw),
		    "address", owner->bridge_if);
		if (owner->seg->ipv6) {
			gw = owner->seg->gw6;
			gw.prefixlen = owner->seg->net6.prefixlen;
			TRY(ctx, link_addr_add(ctx, owner->bridge_if, &gw),
			    "address", owner->bridge_if);
		}
	}
	TRY(ctx, link_set_up(ctx, owner->bridge_if, 1), "up",
	    owner->bridge_if);
	return 0;
}

/* A client compartment's IPv6 address and route, when its chain has it. */
static int
inside6(struct link_ctx *in, const struct node *n)
{
	struct kaddr	 a = n->addr6;

	if (n->kind != NODE_VM || n->up == NULL || n->addr6.af != AF_INET6 ||
	    !n->up->seg->ipv6)
		return 0;
	a.prefixlen = n->up->seg->net6.prefixlen;
	if (link_addr_add(in, "eth0", &a) == -1)
		return -1;
	return link_route_add(in, NULL, &n->up->seg->gw6, "eth0");
}

/*
 * Inside a compartment: name, MTU, address (NULL: none, the port of an
 * offline VM: what it sends still meets the host's blocks), route.
 */
static int
setup_inside(const struct node *n, const char *ifname, const uint8_t *mac,
    int mtu, const struct kaddr *addr, int prefixlen, const struct kaddr *gw)
{
	struct link_ctx	*in;
	struct kaddr	 a;
	char		 ns[KUBSD_IFNAMSIZ + 8];
	int		 rv = -1;

	compartment_netns(n->name, ns, sizeof(ns));
	if ((in = link_open(ns)) == NULL) {
		log_warn("compartment %s", ns);
		return -1;
	}
	if (addr != NULL) {
		a = *addr;
		a.prefixlen = prefixlen;
	}
	if (link_set_mac(in, ifname, mac) == -1 ||
	    (mtu > 0 && link_set_mtu(in, ifname, mtu) == -1) ||
	    link_set_up(in, "lo", 1) == -1 ||
	    link_set_up(in, ifname, 1) == -1 ||
	    (addr != NULL && link_addr_add(in, ifname, &a) == -1) ||
	    (gw != NULL && link_route_add(in, NULL, gw, ifname) == -1) ||
	    inside6(in, n) == -1)
		log_warnx("compartment %s: %s", ns, link_error(in));
	else
		rv = 0;
	link_close(in);
	return rv;
}

/* The resolver a compartment sees: its first hop, or nothing. */
static void
write_resolv(const struct node *n)
{
	char	 ns[96], dir[128], path[160];
	FILE	*fp;

	compartment_netns(n->name, ns, sizeof(ns));
	snprintf(dir, sizeof(dir), "/etc/netns/%s", ns);
	if (mkdir("/etc/netns", 0755) == -1 && errno != EEXIST)
		return;
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return;
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	if ((fp = fopen(path, "w")) == NULL) {
		log_warn("%s", path);
		return;
	}
	if (n->up != NULL && n->up->seg != NULL &&
	    (n->chain == NULL || n->chain->dns == DNS_FIRSTHOP)) {
		char a[KADDR_STRLEN];

		fprintf(fp, "nameserver %s\n",
		    kaddr_host(&n->up->seg->gw, a, sizeof(a)));
	} else
		fprintf(fp, "# kubsd: no resolver on this chain\n");
	fclose(fp);
}

/*
 * A port: a tap, or a veth into the node's compartment as peer; mtu 0:
 * the kernel's.  1: made anew (what was set up inside on the old one,
 * routes included, went with it).
 */
static int
ensure_port(struct link_ctx *ctx, const struct node *n, const char *port,
    const uint8_t *mac, const char *peer, int mtu)
{
	char	 ns[KUBSD_IFNAMSIZ + 8];
	uint8_t	 hostmac[6];

	switch (adopt(ctx, port, mtu)) {
	case 1:
		return 0;
	case -1:
		log_warnx("port %s: %s", port, link_error(ctx));
		return -1;
	}
	/*
	 * The host end gets a MAC of its own; the guest keeps n's (a
	 * bridge drops frames whose source is one of its ports' own).
	 */
	memcpy(hostmac, mac, 6);
	hostmac[0] = 0x06;
	if (n->driver == DRIVER_QEMU) {
		TRY(ctx, link_tap_create(ctx, port, hostmac, mtu, (uid_t)-1),
		    "tap", port);
		return 1;
	}
	compartment_netns(n->name, ns, sizeof(ns));
	if (netns_exists(ns) != 1 && netns_create(ns) == -1) {
		log_warn("compartment %s", ns);
		return -1;
	}
	TRY(ctx, link_veth_create(ctx, port, hostmac, peer, ns, mac, mtu),
	    "veth", port);
	return 1;
}

/*
 * A port in the group, on bridge (NULL: none), up.  Only what differs is
 * set: a needless change still makes the kernel tell every listener.
 */
static int
port_wire(struct link_ctx *ctx, const char *port, const char *bridge,
    int isolated)
{
	struct link_state	 st;

	TRY(ctx, link_get(ctx, port, &st), "port", port);
	if (st.group != KUBSD_IFGROUP)
		TRY(ctx, link_set_group(ctx, port, KUBSD_IFGROUP), "group",
		    port);
	TRY(ctx, link_set_master(ctx, port, bridge, isolated),
	    bridge != NULL ? "attach" : "detach", port);
	if (!st.up)
		TRY(ctx, link_set_up(ctx, port, 1), "up", port);
	return 0;
}

/* -1: failed; 1: a port was made anew; else 0. */
static int
apply_node(struct link_ctx *ctx, const struct node *n)
{
	int	 upmtu, downmtu, made, made2 = 0;

	if (n->kind == NODE_UPLINK)
		return 0;		/* its bridge: topo_apply() */
	upmtu = n->up != NULL ? node_seg_mtu(n->up) : 0;
	downmtu = node_seg_mtu(n);
	if ((made = ensure_port(ctx, n, n->port_if, n->mac, "eth0",
	    upmtu)) == -1 ||
	    port_wire(ctx, n->port_if, n->up != NULL ? n->up->bridge_if : NULL,
	    1) == -1)
		return -1;
	if (n->kind == NODE_GATEWAY &&
	    ((made2 = ensure_port(ctx, n, n->down_if, n->down_mac, "eth1",
	    downmtu)) == -1 ||
	    port_wire(ctx, n->down_if, n->bridge_if, 0) == -1))
		return -1;
	made = made || made2;
	if (n->driver != DRIVER_NETNS)
		return made;
	if (n->up == NULL) {
		if (n->kind != NODE_VM)
			return made;
		write_resolv(n);
		return setup_inside(n, "eth0", n->mac, upmtu, NULL, 0,
		    NULL) == -1 ? -1 : made;
	}

	/*
	 * Compartment insides.  A gateway's routes, forwarding and
	 * firewall are its guest's (kubsd-guest applies the role bundle):
	 * a wireguard gateway's default route is its tunnel.
	 */
	if (setup_inside(n, "eth0", n->mac, upmtu, &n->addr,
	    n->up->seg->net.prefixlen,
	    n->kind == NODE_GATEWAY ? NULL : &n->up->seg->gw) == -1)
		return -1;
	if (n->kind == NODE_GATEWAY)
		return setup_inside(n, "eth1", n->down_mac, downmtu,
		    &n->seg->gw, n->seg->net.prefixlen, NULL) == -1 ? -1 :
		    made;
	write_resolv(n);
	return made;
}

/*
 * The host forwards IPv6 for the gateways of an uplink that carries it.
 * A host that forwards ignores router advertisements unless accept_ra
 * is 2: an uplink configured by them keeps its own route so.
 */
static void
host_forwarding6(const struct netd_config *conf)
{
	const struct node	*n;
	char			 path[128], v[16];
	int			 any = 0;

	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->kind != NODE_UPLINK || n->seg == NULL || !n->seg->ipv6)
			continue;
		any = 1;
		if (n->ifname == NULL)
			continue;
		snprintf(path, sizeof(path), "net/ipv6/conf/%s/accept_ra",
		    n->ifname);
		if (link_sysctl_get(NULL, path, v, sizeof(v)) == 0 &&
		    strcmp(v, "1") == 0)
			state_sysctl_set(conf, path, "2");
	}
	if (any)
		state_sysctl_set(conf, "net/ipv6/conf/all/forwarding", "1");
}

/*
 * What the uplinks' interfaces have now: every segment's default.  Part
 * of building a configuration (as kubsd-netd starts or reloads), not of
 * applying it.
 */
void
topo_read_mtus(struct link_ctx *ctx, struct netd_config *conf)
{
	struct node		*n;
	struct link_state	 st;

	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->kind != NODE_UPLINK)
			continue;
		n->if_mtu = 0;
		if (n->ifname == NULL)
			continue;
		if (link_get(ctx, n->ifname, &st) == -1)
			log_warnx("uplink %s: %s (its segments keep the "
			    "kernel's MTU)", n->name, link_error(ctx));
		else
			n->if_mtu = st.mtu;
	}
}

int
topo_apply(struct link_ctx *ctx, struct netd_live *lv)
{
	const struct netd_config *conf = lv->conf;
	const struct node	*n;
	int			 made;

	host_forwarding6(conf);
	link_set_create_group(ctx, KUBSD_IFGROUP);
	/* Uplinks and gateways first: their bridges hold the ports. */
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind != NODE_VM && n->seg != NULL &&
		    ensure_bridge(ctx, n) == -1)
			return -1;
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if ((made = apply_node(ctx, n)) == -1)
			return -1;
		else if (made && n->kind == NODE_GATEWAY)
			live_node(lv, n)->relinked = 1;
	return 0;
}

/*
 * Move a client to its (new) upstream.  A compartment's veth is made
 * anew, so no address of the old segment survives inside it; the rules
 * for the new place are loaded before this is called.
 */
int
topo_reattach(struct link_ctx *ctx, const struct node *n)
{
	if (n->driver == DRIVER_NETNS &&
	    link_delete_if_exists(ctx, n->port_if) == -1) {
		log_warnx("detach %s: %s", n->port_if, link_error(ctx));
		return -1;
	}
	return apply_node(ctx, n) == -1 ? -1 : 0;
}

/* Remove a node's links and compartment. */
int
topo_remove_node(struct link_ctx *ctx, const struct node *n)
{
	char	 ns[KUBSD_IFNAMSIZ + 8];
	int	 rv = 0;

	if (n->kind != NODE_UPLINK &&
	    link_delete_if_exists(ctx, n->port_if) == -1)
		rv = -1;
	if (n->kind == NODE_GATEWAY &&
	    link_delete_if_exists(ctx, n->down_if) == -1)
		rv = -1;
	if (n->kind != NODE_VM &&
	    link_delete_if_exists(ctx, n->bridge_if) == -1)
		rv = -1;
	if (n->kind != NODE_UPLINK && n->driver == DRIVER_NETNS) {
		compartment_netns(n->name, ns, sizeof(ns));
		if (netns_delete(ns) == -1 && errno != ENOENT)
			rv = -1;
	}
	return rv;
}

struct stale {
	const struct netd_config *conf;
	char		 (*names)[KUBSD_IFNAMSIZ];
	size_t		 n;
};

static int
is_ours(const struct netd_config *conf, const char *ifname)
{
	const struct node	*n;

	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (strcmp(ifname, n->port_if) == 0 ||
		    strcmp(ifname, n->bridge_if) == 0 ||
		    strcmp(ifname, n->down_if) == 0)
			return 1;
	return 0;
}

static void
collect_stale(const char *ifname, int ifindex, void *arg)
{
	struct stale	*st = arg;

	(void)ifindex;
	if (is_ours(st->conf, ifname))
		return;
	st->names = xreallocarray(st->names, st->n + 1, sizeof(*st->names));
	snprintf(st->names[st->n++], KUBSD_IFNAMSIZ, "%s", ifname);
}

/* Remove interfaces in kubsd's group that the configuration lacks. */
int
topo_remove_stale(struct link_ctx *ctx, const struct netd_config *conf)
{
	struct stale	 st = { conf, NULL, 0 };
	size_t		 i;
	int		 rv = 0;

	if (link_list_group(ctx, KUBSD_IFGROUP, collect_stale, &st) == -1) {
		log_warnx("listing kubsd's interfaces: %s", link_error(ctx));
		return -1;
	}
	for (i = 0; i < st.n; i++) {
		log_info("removing stale interface %s", st.names[i]);
		if (link_delete_if_exists(ctx, st.names[i]) == -1)
			rv = -1;
	}
	free(st.names);
	return rv;
}
