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
 * liblink (Makefile LINK_SRCS_$(PLATFORM)): the link backend, one
 * implementation per host, used by kubsd-netd, kubsd-guest and leaktest.
 *
 * Link backend: create, wire and remove the interfaces kubsd-netd
 * manages (segment bridges, client ports, gateway ports), and the named
 * network namespaces that hold lightweight compartments.
 *
 * One header, one implementation per host (Linux: link-linux.c,
 * link-set-linux.c and netns-linux.c, over libmnl, never running ip(8);
 * an OpenBSD backend implements the same calls with ioctls on
 * veb(4)/tap(4), and rdomains in place of namespaces).
 *
 * Every call returns 0 on success and -1 on failure with errno set;
 * calls taking a context also leave a one-line message naming the
 * interface, retrievable with link_error() until the next call on that
 * context.  Predicates (link_exists(), netns_exists()) return 1 or 0,
 * -1 on error.
 *
 * A context is bound to one network namespace for its whole life: every
 * call on it acts in that namespace, whatever namespace the calling
 * thread is in.  A context may be used by one thread at a time.  The
 * calls that enter a namespace (link_open(), link_tap_create(),
 * link_sysctl_*()) switch only the calling thread, and switch it back
 * before returning; netns_create() forks a child to do it.
 *
 * Names: interface names are 1 to 15 bytes without '/', ':' or white
 * space; namespace names are file names under LINK_NETNS_DIR, compatible
 * with ip-netns(8).
 */
#ifndef LINK_H
#define LINK_H

#include <sys/types.h>
#include <stdint.h>

#define LINK_NETNS_DIR	"/var/run/netns"

struct kaddr;
struct link_ctx;

/* NULL: the namespace of the calling thread; else a named namespace. */
struct link_ctx	*link_open(const char *netns);
void		 link_close(struct link_ctx *);
const char	*link_error(struct link_ctx *);

/*
 * Every interface created through the context afterwards is created in
 * this group (bridges, taps, the local end of a veth), so that it is
 * covered by the group's block rules from its first instant.
 * 0, the kernel's default group, is the initial setting.
 */
void		 link_set_create_group(struct link_ctx *, uint32_t group);

/*
 * Creation.  mac NULL: the kernel chooses; mtu 0: the default.
 * New interfaces are down.  An existing name fails with EEXIST.
 */
int		 link_bridge_create(struct link_ctx *, const char *name,
		    const uint8_t mac[6], int mtu);
/* The kernel's WireGuard (a gateway VM's guest kernel has it). */
int		 link_wireguard_create(struct link_ctx *, const char *name);
/* Persistent tap (IFF_TAP|IFF_NO_PI); owner (uid_t)-1: root only. */
int		 link_tap_create(struct link_ctx *, const char *name,
		    const uint8_t mac[6], int mtu, uid_t owner);
/*
 * A veth pair: "name" here, "peer" in the named namespace peer_netns
 * (NULL: here too).  mtu applies to both ends.
 */
int		 link_veth_create(struct link_ctx *, const char *name,
		    const uint8_t mac[6], const char *peer,
		    const char *peer_netns, const uint8_t peer_mac[6], int mtu);

/*
 * Make "port" a port of "bridge" (NULL: detach it from any bridge) and
 * set the port's isolated flag: isolated ports cannot reach each other,
 * only the bridge's non-isolated ports.  A port that is up and moves to
 * another bridge is down until it is isolated there, so it never
 * forwards unisolated; one already on the bridge just has its flag set.
 * If the flag cannot be set, the port is left on no bridge (and down).
 */
int		 link_set_master(struct link_ctx *, const char *port,
		    const char *bridge, int isolated);
int		 link_set_group(struct link_ctx *, const char *, uint32_t);
int		 link_set_up(struct link_ctx *, const char *, int up);
int		 link_set_mtu(struct link_ctx *, const char *, int);
int		 link_set_mac(struct link_ctx *, const char *,
		    const uint8_t mac[6]);
/* The interface must be down. */
int		 link_rename(struct link_ctx *, const char *from,
		    const char *to);
/* Move an interface into a named namespace (it goes down). */
int		 link_set_netns(struct link_ctx *, const char *,
		    const char *netns);

/*
 * Addresses and routes, IPv4 or IPv6; both replace an equal existing
 * entry rather than fail.  IPv6 addresses skip duplicate address
 * detection (netd allocates them; they are usable at once).
 */
int		 link_addr_add(struct link_ctx *, const char *,
		    const struct kaddr *);	/* address with prefixlen */
/*
 * dst NULL: the default route of gw's family; gw NULL: on-link through
 * oif (dst then required, 0.0.0.0/0 or ::/0 for a default).  Main table.
 */
int		 link_route_add(struct link_ctx *, const struct kaddr *dst,
		    const struct kaddr *gw, const char *oif);

/* link_delete() fails with ENODEV for a missing interface. */
int		 link_delete(struct link_ctx *, const char *);
int		 link_delete_if_exists(struct link_ctx *, const char *);
int		 link_exists(struct link_ctx *, const char *);
int		 link_ifindex(struct link_ctx *, const char *);	/* > 0 */

/* What adoption and reconcile compare against the graph. */
struct link_state {
	int		 ifindex;
	int		 master;	/* ifindex of the bridge, 0: none */
	int		 isolated;	/* bridge port flag; -1: not a port */
	int		 up;		/* administratively */
	int		 running;	/* up with a carrier (IFF_RUNNING) */
	int		 mtu;
	uint32_t	 group;
	uint8_t		 mac[6];
	char		 kind[16];	/* "bridge", "veth", "tun"; "" */
};
int		 link_get(struct link_ctx *, const char *, struct link_state *);

/*
 * Call cb once for every interface in the group, after the whole list
 * has been read: cb may use the context (to delete, say).
 * Returns the number of interfaces, or -1.
 */
int		 link_list_group(struct link_ctx *, uint32_t group,
		    void (*cb)(const char *ifname, int ifindex, void *),
		    void *arg);

/*
 * Told of link changes in the opener's namespace: an fd for an event
 * loop; drain it when readable (1: some link changed, ask link_get()).
 */
struct link_watch;
struct link_watch *link_watch_open(void);
int		 link_watch_fd(const struct link_watch *);
int		 link_watch_drain(struct link_watch *);
void		 link_watch_close(struct link_watch *);

/*
 * sysctl under /proc/sys in a namespace (NULL: the current one); path
 * is relative, e.g. "net/ipv4/ip_forward".  get strips the newline.
 */
int		 link_sysctl_set(const char *netns, const char *path,
		    const char *value);
int		 link_sysctl_get(const char *netns, const char *path,
		    char *buf, size_t len);

/*
 * link-route-linux.c: delete the main table's default routes of af that
 * do not leave through keep_if (the wireguard kill switch's half in the
 * routing table).  Opens its own context in the caller's namespace.
 */
int		 link_route_flush_default(int af, const char *keep_if,
		    char *err, size_t);

/*
 * Named network namespaces, as ip-netns(8) makes them: a bind mount of
 * the namespace on LINK_NETNS_DIR/NAME, the directory itself a shared
 * mount point.  These set errno only.  Caution: a process started with
 * "ip netns exec" lives in a slave mount namespace, so the namespaces
 * it creates are not seen outside it and die with it.
 * netns_exists() counts a leftover file holding no namespace as absent;
 * netns_delete() removes such a file too, and the namespace's
 * /etc/netns/NAME (whether the namespace still exists or not).
 */
int		 netns_create(const char *);
int		 netns_delete(const char *);	/* ENOENT if missing */
int		 netns_exists(const char *);
/* Open the namespace (O_RDONLY|O_CLOEXEC) for setns(2) or IFLA_NET_NS_FD. */
int		 netns_open(const char *);
/* Switch the calling thread into a namespace; *saved for netns_leave(). */
int		 netns_enter(int nsfd, int *saved);
void		 netns_leave(int saved);

#endif
