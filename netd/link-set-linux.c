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
 * Linux link backend: creating interfaces (bridges and veth pairs by
 * rtnetlink, persistent taps through /dev/net/tun opened inside the
 * context's namespace), changing them, adding addresses and routes.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "link.h"
#include "link-linux.h"

/* The attributes every created link gets: MAC, MTU, kubsd's group. */
static void
put_link_attrs(struct link_ctx *ctx, struct nlmsghdr *nlh,
    const uint8_t *mac, int mtu)
{
	if (mac != NULL)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	if (mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (ctx->group != 0)
		mnl_attr_put_u32(nlh, IFLA_GROUP, ctx->group);
}

/*
 * A new interface: what every kind shares.  The IFLA_LINKINFO nest is
 * left open in *li for kind-specific data.
 */
static struct nlmsghdr *
new_msg(struct link_ctx *ctx, const char *name, const uint8_t mac[6],
    int mtu, const char *kind, struct nlattr **li)
{
	struct nlmsghdr	*nlh;

	nlh = nl_link_msg(ctx, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, name,
	    NULL);
	put_link_attrs(ctx, nlh, mac, mtu);
	*li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	return nlh;
}

/* A link of a kind that needs no data of its own. */
static int
plain_create(struct link_ctx *ctx, const char *name, const uint8_t mac[6],
    int mtu, const char *kind)
{
	struct nlmsghdr	*nlh;
	struct nlattr	*li;

	if (link_badname(ctx, name) == -1)
		return -1;
	nlh = new_msg(ctx, name, mac, mtu, kind, &li);
	mnl_attr_nest_end(nlh, li);
	if (nl_talk(ctx, nlh, NULL, NULL) == -1)
		return link_fail(ctx, errno, "%s: create %s", name, kind);
	return 0;
}

int
link_bridge_create(struct link_ctx *ctx, const char *name,
    const uint8_t mac[6], int mtu)
{
	return plain_create(ctx, name, mac, mtu, "bridge");
}

int
link_wireguard_create(struct link_ctx *ctx, const char *name)
{
	return plain_create(ctx, name, NULL, 0, "wireguard");
}

int
link_veth_create(struct link_ctx *ctx, const char *name,
    const uint8_t mac[6], const char *peer, const char *peer_netns,
    const uint8_t peer_mac[6], int mtu)
{
	struct nlmsghdr		*nlh;
	struct nlattr		*li, *data, *pi;
	int			 fd = -1, ret;

	if (link_badname(ctx, name) == -1 || link_badname(ctx, peer) == -1)
		return -1;
	if (peer_netns != NULL && (fd = netns_open(peer_netns)) == -1)
		return link_fail(ctx, errno, "%s: peer namespace %s", name,
		    peer_netns);
	nlh = new_msg(ctx, name, mac, mtu, "veth", &li);
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	pi = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer is a whole link message: ifinfomsg, then attributes. */
	((struct ifinfomsg *)mnl_nlmsg_put_extra_header(nlh,
	    sizeof(struct ifinfomsg)))->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (peer_mac != NULL)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, peer_mac);
	if (mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (fd != -1)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, fd);
	mnl_attr_nest_end(nlh, pi);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
	ret = nl_talk(ctx, nlh, NULL, NULL);
	if (fd != -1)
		close(fd);
	if (ret == -1)
		return link_fail(ctx, errno, "%s: create veth (peer %s)", name,
		    peer);
	return 0;
}

int
link_tap_create(struct link_ctx *ctx, const char *name, const uint8_t mac[6],
    int mtu, uid_t owner)
{
	struct ifreq	 ifr;
	struct nlmsghdr	*nlh;
	int		 fd, saved = -1, e;

	if (link_badname(ctx, name) == -1)
		return -1;
	/* The tap is made in the namespace /dev/net/tun was opened in. */
	if (ctx->nsfd != -1 && netns_enter(ctx->nsfd, &saved) == -1)
		return link_fail(ctx, errno, "%s: enter namespace", name);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (saved != -1)
		netns_leave(saved);
	if (fd == -1)
		return link_fail(ctx, errno, "%s: /dev/net/tun", name);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		e = errno == EBUSY ? EEXIST : errno;
		close(fd);
		return link_fail(ctx, e, "%s: create tap", name);
	}
	if ((owner != (uid_t)-1 &&
	    ioctl(fd, TUNSETOWNER, (unsigned long)owner) == -1) ||
	    ioctl(fd, TUNSETPERSIST, 1UL) == -1) {
		/* Not persistent yet: closing removes it. */
		e = errno;
		close(fd);
		return link_fail(ctx, e, "%s: create tap", name);
	}
	close(fd);
	if (mac == NULL && mtu <= 0 && ctx->group == 0)
		return 0;
	nlh = nl_link_msg(ctx, RTM_SETLINK, 0, 0, name, NULL);
	put_link_attrs(ctx, nlh, mac, mtu);
	if (nl_talk(ctx, nlh, NULL, NULL) == -1) {
		e = errno;
		link_delete(ctx, name);
		return link_fail(ctx, e, "%s: configure tap", name);
	}
	return 0;
}

static int
set_flag(struct link_ctx *ctx, const char *name, int up)
{
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifm;

	nlh = nl_link_msg(ctx, RTM_SETLINK, 0, 0, name, &ifm);
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = up ? IFF_UP : 0;
	return nl_talk(ctx, nlh, NULL, NULL);
}

int
link_set_up(struct link_ctx *ctx, const char *name, int up)
{
	if (link_badname(ctx, name) == -1)
		return -1;
	if (set_flag(ctx, name, up) == -1)
		return link_fail(ctx, errno, "%s: set %s", name,
		    up ? "up" : "down");
	return 0;
}

static int
set_u32(struct link_ctx *ctx, const char *name, uint16_t type, uint32_t v,
    const char *what)
{
	struct nlmsghdr	*nlh;

	if (link_badname(ctx, name) == -1)
		return -1;
	nlh = nl_link_msg(ctx, RTM_SETLINK, 0, 0, name, NULL);
	mnl_attr_put_u32(nlh, type, v);
	if (nl_talk(ctx, nlh, NULL, NULL) == -1)
		return link_fail(ctx, errno, "%s: set %s %u", name, what, v);
	return 0;
}

int
link_set_group(struct link_ctx *ctx, const char *name, uint32_t group)
{
	return set_u32(ctx, name, IFLA_GROUP, group, "group");
}

int
link_set_mtu(struct link_ctx *ctx, const char *name, int mtu)
{
	if (mtu <= 0) {
		ctx->kmsg[0] = '\0';
		return link_fail(ctx, EINVAL, "%s: mtu %d", name, mtu);
	}
	return set_u32(ctx, name, IFLA_MTU, mtu, "mtu");
}

int
link_set_mac(struct link_ctx *ctx, const char *name, const uint8_t mac[6])
{
	struct nlmsghdr	*nlh;

	if (link_badname(ctx, name) == -1)
		return -1;
	nlh = nl_link_msg(ctx, RTM_SETLINK, 0, 0, name, NULL);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	if (nl_talk(ctx, nlh, NULL, NULL) == -1)
		return link_fail(ctx, errno, "%s: set lladdr", name);
	return 0;
}

int
link_rename(struct link_ctx *ctx, const char *from, const char *to)
{
	struct nlmsghdr	*nlh;
	int		 idx;

	if (link_badname(ctx, from) == -1 || link_badname(ctx, to) == -1)
		return -1;
	if ((idx = link_ifindex(ctx, from)) == -1)
		return -1;
	nlh = nl_link_msg(ctx, RTM_SETLINK, 0, idx, to, NULL);
	if (nl_talk(ctx, nlh, NULL, NULL) == -1)
		return link_fail(ctx, errno, "%s: rename to %s", from, to);
	return 0;
}

int
link_set_netns(struct link_ctx *ctx, const char *name, const char *netns)
{
	struct nlmsghdr	*nlh;
	int		 fd, ret;

	if (link_badname(ctx, name) == -1)
		return -1;
	if ((fd = netns_open(netns)) == -1)
		return link_fail(ctx, errno, "%s: namespace %s", name,
		    netns ? netns : "(null)");
	nlh = nl_link_msg(ctx, RTM_SETLINK, 0, 0, name, NULL);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, fd);
	ret = nl_talk(ctx, nlh, NULL, NULL);
	close(fd);
	if (ret == -1)
		return link_fail(ctx, errno, "%s: move to namespace %s", name,
		    netns);
	return 0;
}

static int
set_isolated(struct link_ctx *ctx, const char *port, int isolated)
{
	struct nlmsghdr	*nlh;
	struct nlattr	*li, *sd;

	/* Slave data goes to the current master: only once enslaved. */
	nlh = nl_link_msg(ctx, RTM_NEWLINK, 0, 0, port, NULL);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_SLAVE_KIND, "bridge");
	sd = mnl_attr_nest_start(nlh, IFLA_INFO_SLAVE_DATA);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_ISOLATED, isolated ? 1 : 0);
	/*
	 * An isolated (client) port gets no unknown unicast: a reply
	 * still in flight to a VM that was just attached elsewhere would
	 * otherwise be flooded to the segment's other clients.
	 */
	mnl_attr_put_u8(nlh, IFLA_BRPORT_UNICAST_FLOOD, isolated ? 0 : 1);
	mnl_attr_nest_end(nlh, sd);
	mnl_attr_nest_end(nlh, li);
	return nl_talk(ctx, nlh, NULL, NULL);
}

/*
 * A port joins a bridge non-isolated; the flag follows in a second
 * request.  A port that is up is taken down across both, so that it
 * never forwards on the new bridge before it is isolated.  A port
 * already on the bridge only has its flag changed.
 */
int
link_set_master(struct link_ctx *ctx, const char *port, const char *bridge,
    int isolated)
{
	struct link_state	 st;
	struct nlmsghdr		*nlh;
	int			 bidx = 0, e;

	if (link_get(ctx, port, &st) == -1)
		return -1;
	if (bridge != NULL && (bidx = link_ifindex(ctx, bridge)) == -1)
		return -1;
	/* Already there: the flag changes in place, the port stays up. */
	if (bidx != 0 && st.master == bidx) {
		if (set_isolated(ctx, port, isolated) == -1)
			return link_fail(ctx, errno, "%s: set isolated %s",
			    port, isolated ? "on" : "off");
		return 0;
	}
	if (bidx != 0 && st.up && set_flag(ctx, port, 0) == -1)
		return link_fail(ctx, errno, "%s: set down", port);
	nlh = nl_link_msg(ctx, RTM_SETLINK, 0, st.ifindex, NULL, NULL);
	mnl_attr_put_u32(nlh, IFLA_MASTER, bidx);
	if (nl_talk(ctx, nlh, NULL, NULL) == -1) {
		e = errno;
		if (bidx != 0 && st.up)
			set_flag(ctx, port, 1);
		return link_fail(ctx, e, "%s: %s%s", port,
		    bridge ? "add to bridge " : "detach", bridge ? bridge : "");
	}
	if (bidx == 0)
		return 0;
	if (set_isolated(ctx, port, isolated) == -1) {
		e = errno;
		nlh = nl_link_msg(ctx, RTM_SETLINK, 0, st.ifindex, NULL, NULL);
		mnl_attr_put_u32(nlh, IFLA_MASTER, 0);
		nl_talk(ctx, nlh, NULL, NULL);
		return link_fail(ctx, e, "%s: set isolated %s", port,
		    isolated ? "on" : "off");
	}
	if (st.up && set_flag(ctx, port, 1) == -1)
		return link_fail(ctx, errno, "%s: set up", port);
	return 0;
}

static int
addr_len(const struct kaddr *ka)
{
	if (ka->af == AF_INET && ka->prefixlen >= 0 && ka->prefixlen <= 32)
		return 4;
	if (ka->af == AF_INET6 && ka->prefixlen >= 0 && ka->prefixlen <= 128)
		return 16;
	return 0;
}

int
link_addr_add(struct link_ctx *ctx, const char *name, const struct kaddr *ka)
{
	char			 s[KADDR_STRLEN];
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;
	struct in_addr		 brd;
	int			 idx, len;

	if ((idx = link_ifindex(ctx, name)) == -1)
		return -1;
	if ((len = addr_len(ka)) == 0)
		return link_fail(ctx, EAFNOSUPPORT, "%s: add address", name);
	kaddr_str(ka, s, sizeof(s));
	nlh = nl_msg(ctx, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = ka->af;
	ifa->ifa_prefixlen = ka->prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = idx;
	mnl_attr_put(nlh, IFA_LOCAL, len, ka->a.bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, len, ka->a.bytes);
	if (ka->af == AF_INET && ka->prefixlen < 31) {
		brd.s_addr = ka->a.v4.s_addr |
		    htonl(0xffffffffU >> ka->prefixlen);
		mnl_attr_put(nlh, IFA_BROADCAST, 4, &brd);
	}
	if (ka->af == AF_INET6) {
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	if (nl_talk(ctx, nlh, NULL, NULL) == -1)
		return link_fail(ctx, errno, "%s: add address %s", name, s);
	return 0;
}

int
link_route_add(struct link_ctx *ctx, const struct kaddr *dst,
    const struct kaddr *gw, const char *oif)
{
	char		 d[KADDR_STRLEN] = "default", g[KADDR_STRLEN] = "";
	struct nlmsghdr	*nlh;
	struct rtmsg	*rtm;
	struct kaddr	 net;
	int		 idx = 0, af, len;

	ctx->kmsg[0] = '\0';
	if (dst != NULL)
		kaddr_str(dst, d, sizeof(d));
	if (gw != NULL)
		kaddr_host(gw, g, sizeof(g));
	af = dst != NULL ? dst->af : gw != NULL ? gw->af : AF_UNSPEC;
	if ((dst == NULL && gw == NULL) || (gw == NULL && oif == NULL) ||
	    (dst != NULL && addr_len(dst) == 0) ||
	    (gw != NULL && (gw->af != af || addr_len(gw) == 0)))
		return link_fail(ctx, EINVAL, "route %s%s%s", d,
		    gw ? " via " : "", g);
	if (oif != NULL && (idx = link_ifindex(ctx, oif)) == -1)
		return -1;
	len = af == AF_INET ? 4 : 16;
	nlh = nl_msg(ctx, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = af;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = gw != NULL ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (dst != NULL && dst->prefixlen > 0) {
		net = *dst;
		kaddr_mask(&net);
		rtm->rtm_dst_len = net.prefixlen;
		mnl_attr_put(nlh, RTA_DST, len, net.a.bytes);
	}
	if (gw != NULL)
		mnl_attr_put(nlh, RTA_GATEWAY, len, gw->a.bytes);
	if (idx > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, idx);
	if (nl_talk(ctx, nlh, NULL, NULL) == -1)
		return link_fail(ctx, errno, "route %s%s%s", d,
		    gw ? " via " : "", g);
	return 0;
}
