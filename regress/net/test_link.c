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
 * Exercise the link backend inside a scratch network namespace.
 *
 * usage: test_link -n SCRATCH -p PREFIX [-c HOOK]
 *
 * SCRATCH is the named namespace this program runs in; the namespaces
 * it makes are PREFIX-c (a compartment) and PREFIX-a, -b, -h (hosts on
 * an isolation rig).  HOOK, a shell command, runs once everything is
 * set up and before it is torn down; it checks from outside with ip(8)
 * and ping(8), and its exit status counts as one more check.
 * One line per check, "ok ..." or "FAIL ..."; exit 0 only if all pass.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "kubsd.h"
#include "link.h"

static int	 nfail, nok;
static char	 ns_c[64], ns_a[64], ns_b[64], ns_h[64];

static const uint8_t mac_bt[6] = { 0x02, 0x6b, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_t1[6] = { 0x02, 0x6b, 0x00, 0x00, 0x00, 0x11 };
static const uint8_t mac_t2[6] = { 0x02, 0x6b, 0x00, 0x00, 0x00, 0x12 };
static const uint8_t mac_t3[6] = { 0x02, 0x6b, 0x00, 0x00, 0x00, 0x13 };
static const uint8_t mac_e3[6] = { 0x02, 0x6b, 0x00, 0x00, 0x01, 0x13 };

static int __attribute__((format(printf, 3, 4)))
check(int cond, struct link_ctx *ctx, const char *fmt, ...)
{
	va_list	ap;
	int	e = errno;

	printf("%s ", cond ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!cond && ctx != NULL)
		printf(" (%s)", link_error(ctx));
	else if (!cond && e != 0)
		printf(" (%s)", strerror(e));
	printf("\n");
	if (cond)
		nok++;
	else
		nfail++;
	return cond;
}

static struct kaddr
A(const char *s)
{
	struct kaddr	ka;

	if (kaddr_parse(s, &ka) != 0) {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
	return ka;
}

static int
getst(struct link_ctx *ctx, const char *name, struct link_state *st)
{
	if (link_get(ctx, name, st) == -1) {
		check(0, ctx, "link_get %s", name);
		memset(st, 0, sizeof(*st));
		st->isolated = -2;
		return -1;
	}
	return 0;
}

/* --- independent netlink reads of addresses and routes --- */

struct want {
	int		 type;		/* RTM_NEWADDR, RTM_NEWROUTE */
	int		 af, ifindex, plen;
	struct kaddr	 addr;		/* address, or route destination */
	struct kaddr	 gw;
	int		 found;
};

static int
attr_cb(const struct nlattr *a, void *arg)
{
	const struct nlattr	**tb = arg;

	if (mnl_attr_get_type(a) <= RTA_MAX)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int
same(const struct nlattr *a, const struct kaddr *ka)
{
	size_t	len = ka->af == AF_INET ? 4 : 16;

	return a != NULL && mnl_attr_get_payload_len(a) == len &&
	    memcmp(mnl_attr_get_payload(a), ka->a.bytes, len) == 0;
}

static int
dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct want		*w = arg;
	const struct nlattr	*tb[RTA_MAX + 1] = { 0 };
	struct ifaddrmsg	*ifa;
	struct rtmsg		*rtm;

	if (nlh->nlmsg_type == RTM_NEWADDR && w->type == RTM_NEWADDR) {
		ifa = mnl_nlmsg_get_payload(nlh);
		mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, tb);
		if (ifa->ifa_family == w->af && (int)ifa->ifa_index ==
		    w->ifindex && ifa->ifa_prefixlen == w->plen &&
		    (same(tb[IFA_LOCAL], &w->addr) ||
		    same(tb[IFA_ADDRESS], &w->addr)))
			w->found = 1;
	} else if (nlh->nlmsg_type == RTM_NEWROUTE && w->type == RTM_NEWROUTE) {
		rtm = mnl_nlmsg_get_payload(nlh);
		mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb);
		if (rtm->rtm_family == w->af &&
		    rtm->rtm_table == RT_TABLE_MAIN &&
		    rtm->rtm_dst_len == w->plen &&
		    (w->plen == 0 || same(tb[RTA_DST], &w->addr)) &&
		    same(tb[RTA_GATEWAY], &w->gw))
			w->found = 1;
	}
	return MNL_CB_OK;
}

/* Dump addresses or routes of one namespace; 1: found, 0: not, -1. */
static int
nsfind(const char *netns, struct want *w)
{
	char			 buf[32768];
	struct mnl_socket	*nl = NULL;
	struct nlmsghdr		*nlh;
	struct rtmsg		*rtm;
	int			 fd, saved, ret = -1;
	unsigned int		 seq = 4242;
	ssize_t			 n;

	if ((fd = netns_open(netns)) == -1)
		return -1;
	if (netns_enter(fd, &saved) == 0) {
		nl = mnl_socket_open(NETLINK_ROUTE);
		netns_leave(saved);
	}
	close(fd);
	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = w->type == RTM_NEWADDR ? RTM_GETADDR : RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = w->af;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	w->found = 0;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, n, seq, mnl_socket_get_portid(nl),
		    dump_cb, w);
		if (ret <= MNL_CB_STOP)
			break;
	}
	ret = ret == MNL_CB_STOP ? w->found : -1;
 out:
	if (nl != NULL)
		mnl_socket_close(nl);
	return ret;
}

static void
check_addr(const char *netns, int ifindex, const char *s)
{
	struct want	w = { .type = RTM_NEWADDR, .ifindex = ifindex };

	w.addr = A(s);
	w.af = w.addr.af;
	w.plen = w.addr.prefixlen;
	check(nsfind(netns, &w) == 1, NULL, "netlink: %s has address %s",
	    netns, s);
}

static void
check_route(const char *netns, const char *dst, const char *gw)
{
	struct want	w = { .type = RTM_NEWROUTE };

	w.gw = A(gw);
	w.af = w.gw.af;
	if (dst != NULL) {
		w.addr = A(dst);
		w.plen = w.addr.prefixlen;
	}
	check(nsfind(netns, &w) == 1, NULL, "netlink: %s has route %s via %s",
	    netns, dst ? dst : "default", gw);
}

/* --- group listing --- */

static const char *grouped[] = {
	"kb-t", "kp-t1", "kp-t2", "kp-t3", "kb-p", "kp-pa", "kp-pb", "kp-ph"
};
#define NGROUPED	(sizeof(grouped) / sizeof(grouped[0]))

struct seen {
	struct link_ctx	*ctx;
	int		 count[NGROUPED];
	int		 stray, badindex, del;
};

static void
seen_cb(const char *name, int ifindex, void *arg)
{
	struct seen	*s = arg;
	size_t		 i;

	for (i = 0; i < NGROUPED; i++)
		if (strcmp(name, grouped[i]) == 0)
			break;
	if (i == NGROUPED) {
		printf("# stray interface in group: %s\n", name);
		s->stray++;
		return;
	}
	s->count[i]++;
	if (link_ifindex(s->ctx, name) != ifindex)
		s->badindex++;
	if (s->del && link_delete(s->ctx, name) == -1)
		check(0, s->ctx, "delete %s from the group callback", name);
}

/* A veth into namespace ns, renamed eth0 there, with an address. */
static void
rig_port(struct link_ctx *ctx, const char *ns, const char *port,
    const char *peer, int isolated, const char *addr)
{
	struct link_ctx	*pctx;
	struct kaddr	 ka = A(addr);

	check(link_veth_create(ctx, port, NULL, peer, ns, NULL, 0) == 0, ctx,
	    "rig: veth %s peer %s in %s", port, peer, ns);
	check(link_set_master(ctx, port, "kb-p", isolated) == 0, ctx,
	    "rig: %s on kb-p, isolated %d", port, isolated);
	check(link_set_up(ctx, port, 1) == 0, ctx, "rig: %s up", port);
	if ((pctx = link_open(ns)) == NULL) {
		check(0, NULL, "rig: link_open %s", ns);
		return;
	}
	check(link_rename(pctx, peer, "eth0") == 0 &&
	    link_set_up(pctx, "lo", 1) == 0 &&
	    link_set_up(pctx, "eth0", 1) == 0 &&
	    link_addr_add(pctx, "eth0", &ka) == 0, pctx,
	    "rig: %s eth0 %s up", ns, addr);
	link_close(pctx);
}

int
main(int argc, char *argv[])
{
	struct link_ctx		*ctx, *sctx, *cctx;
	struct link_state	 st;
	struct seen		 seen;
	struct kaddr		 ka, gw, dst;
	const char		*scratch = NULL, *prefix = NULL, *hook = NULL;
	const char		*ns;
	char			 buf[64];
	size_t			 i;
	int			 ch, idx, n;

	while ((ch = getopt(argc, argv, "c:n:p:")) != -1) {
		switch (ch) {
		case 'c': hook = optarg; break;
		case 'n': scratch = optarg; break;
		case 'p': prefix = optarg; break;
		default: goto usage;
		}
	}
	if (scratch == NULL || prefix == NULL || optind != argc) {
 usage:
		fprintf(stderr, "usage: test_link -n scratch -p prefix "
		    "[-c hook]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(ns_c, sizeof(ns_c), "%s-c", prefix);
	snprintf(ns_a, sizeof(ns_a), "%s-a", prefix);
	snprintf(ns_b, sizeof(ns_b), "%s-b", prefix);
	snprintf(ns_h, sizeof(ns_h), "%s-h", prefix);

	/* Contexts and namespaces. */
	errno = 0;
	check(link_open("kubsd-no-such-netns") == NULL && errno == ENOENT,
	    NULL, "link_open of a missing namespace fails with ENOENT");
	if ((ctx = link_open(NULL)) == NULL ||
	    (sctx = link_open(scratch)) == NULL) {
		check(0, NULL, "link_open");
		return 1;
	}
	check(link_set_up(ctx, "lo", 1) == 0, ctx, "lo up");
	check(netns_exists(ns_c) == 0, NULL, "netns_exists %s before", ns_c);
	check(netns_create(ns_c) == 0, NULL, "netns_create %s", ns_c);
	check(netns_exists(ns_c) == 1, NULL, "netns_exists %s", ns_c);
	check(netns_create(ns_c) == -1 && errno == EEXIST, NULL,
	    "netns_create %s again: EEXIST", ns_c);
	check(netns_create("a/b") == -1 && errno == EINVAL, NULL,
	    "netns_create a/b: EINVAL");
	check(netns_create(ns_a) == 0 && netns_create(ns_b) == 0 &&
	    netns_create(ns_h) == 0, NULL, "netns_create %s %s %s",
	    ns_a, ns_b, ns_h);
	if ((cctx = link_open(ns_c)) == NULL) {
		check(0, NULL, "link_open %s", ns_c);
		return 1;
	}

	/* Names. */
	check(link_bridge_create(ctx, "kb-bad/name", NULL, 0) == -1 &&
	    errno == EINVAL, NULL, "bad name: EINVAL (%s)", link_error(ctx));
	check(link_bridge_create(ctx, "kb-0123456789abc", NULL, 0) == -1 &&
	    errno == EINVAL, NULL, "16-byte name: EINVAL");

	/* Bridge, created in the group. */
	link_set_create_group(ctx, KUBSD_IFGROUP);
	check(link_bridge_create(ctx, "kb-t", mac_bt, 0) == 0, ctx,
	    "bridge kb-t");
	check(link_bridge_create(ctx, "kb-t", NULL, 0) == -1 &&
	    errno == EEXIST && strstr(link_error(ctx), "kb-t") != NULL, NULL,
	    "bridge kb-t again: EEXIST, \"%s\"", link_error(ctx));
	if (getst(ctx, "kb-t", &st) == 0)
		check(strcmp(st.kind, "bridge") == 0 &&
		    st.group == KUBSD_IFGROUP && st.up == 0 &&
		    memcmp(st.mac, mac_bt, 6) == 0 && st.isolated == -1, NULL,
		    "kb-t: bridge, group, mac, down");
	check(link_exists(sctx, "kb-t") == 1, sctx,
	    "kb-t seen by a context opened by name");
	check(link_exists(cctx, "kb-t") == 0, cctx, "kb-t not in %s", ns_c);

	/* Taps. */
	check(link_tap_create(ctx, "kp-t1", mac_t1, 1400, 65534) == 0, ctx,
	    "tap kp-t1");
	check(link_tap_create(ctx, "kp-t1", NULL, 0, (uid_t)-1) == -1 &&
	    errno == EEXIST, NULL, "tap kp-t1 again: EEXIST");
	if (getst(ctx, "kp-t1", &st) == 0)
		check(strcmp(st.kind, "tun") == 0 && st.mtu == 1400 &&
		    st.group == KUBSD_IFGROUP && memcmp(st.mac, mac_t1, 6) == 0,
		    NULL, "kp-t1: tun, mtu 1400, group, mac");
	link_set_create_group(ctx, 0);
	check(link_tap_create(ctx, "kp-t2", NULL, 0, (uid_t)-1) == 0, ctx,
	    "tap kp-t2 (default group)");
	check(link_bridge_create(ctx, "kx-other", NULL, 0) == 0, ctx,
	    "bridge kx-other (default group)");
	if (getst(ctx, "kp-t2", &st) == 0)
		check(st.group == 0, NULL, "kp-t2 in group 0");
	check(link_set_group(ctx, "kp-t2", KUBSD_IFGROUP) == 0, ctx,
	    "link_set_group kp-t2");
	if (getst(ctx, "kp-t2", &st) == 0)
		check(st.group == KUBSD_IFGROUP, NULL, "kp-t2 now in group");
	link_set_create_group(ctx, KUBSD_IFGROUP);

	/* A tap made through a context bound to another namespace. */
	check(link_tap_create(cctx, "kp-tn", NULL, 0, (uid_t)-1) == 0, cctx,
	    "tap kp-tn in %s", ns_c);
	check(link_exists(cctx, "kp-tn") == 1 && link_exists(ctx, "kp-tn") == 0,
	    NULL, "kp-tn is in %s only", ns_c);
	check(link_set_netns(cctx, "kp-tn", scratch) == 0, cctx,
	    "move kp-tn to %s", scratch);
	check(link_exists(cctx, "kp-tn") == 0 && link_exists(ctx, "kp-tn") == 1,
	    NULL, "kp-tn moved");
	check(link_delete(ctx, "kp-tn") == 0, ctx, "delete tap kp-tn");

	/* A veth whose peer becomes the compartment's eth0. */
	check(link_veth_create(ctx, "kp-t3", mac_t3, "kv-t3", ns_c, mac_e3, 0)
	    == 0, ctx, "veth kp-t3, peer kv-t3 in %s", ns_c);
	if (getst(ctx, "kp-t3", &st) == 0)
		check(strcmp(st.kind, "veth") == 0 &&
		    st.group == KUBSD_IFGROUP &&
		    memcmp(st.mac, mac_t3, 6) == 0, NULL,
		    "kp-t3: veth, group, mac");
	check(link_exists(ctx, "kv-t3") == 0, ctx, "kv-t3 not here");
	check(link_rename(cctx, "kv-t3", "eth0") == 0, cctx,
	    "rename kv-t3 to eth0 in %s", ns_c);
	if (getst(cctx, "eth0", &st) == 0)
		check(memcmp(st.mac, mac_e3, 6) == 0 && st.group == 0, NULL,
		    "%s eth0: peer mac, group 0", ns_c);
	check(link_set_up(cctx, "lo", 1) == 0 && link_set_up(cctx, "eth0", 1)
	    == 0, cctx, "%s: lo, eth0 up", ns_c);
	ka = A("10.77.0.2/24");
	check(link_addr_add(cctx, "eth0", &ka) == 0, cctx, "eth0 10.77.0.2/24");
	check(link_addr_add(cctx, "eth0", &ka) == 0, cctx, "same again");
	ka = A("fd00:77::2/64");
	check(link_addr_add(cctx, "eth0", &ka) == 0, cctx,
	    "eth0 fd00:77::2/64");
	ka = A("10.77.0.1/24");
	check(link_addr_add(ctx, "kb-t", &ka) == 0, ctx, "kb-t 10.77.0.1/24");
	ka = A("fd00:77::1/64");
	check(link_addr_add(ctx, "kb-t", &ka) == 0, ctx, "kb-t fd00:77::1/64");
	check(link_addr_add(ctx, "kb-none", &ka) == -1 && errno == ENODEV,
	    NULL, "address on a missing interface: ENODEV");
	gw = A("10.77.0.1");
	check(link_route_add(cctx, NULL, &gw, "eth0") == 0, cctx,
	    "default via 10.77.0.1 dev eth0");
	dst = A("10.88.1.0/16");
	check(link_route_add(cctx, &dst, &gw, NULL) == 0, cctx,
	    "10.88.0.0/16 via 10.77.0.1");
	gw = A("fd00:77::1");
	check(link_route_add(cctx, NULL, &gw, NULL) == 0, cctx,
	    "default via fd00:77::1");
	check(link_route_add(cctx, NULL, NULL, "eth0") == -1 && errno == EINVAL,
	    NULL, "route without a family: EINVAL");
	idx = link_ifindex(cctx, "eth0");
	check_addr(ns_c, idx, "10.77.0.2/24");
	check_addr(ns_c, idx, "fd00:77::2/64");
	check_addr(scratch, link_ifindex(ctx, "kb-t"), "10.77.0.1/24");
	check_route(ns_c, NULL, "10.77.0.1");
	check_route(ns_c, "10.88.0.0/16", "10.77.0.1");
	check_route(ns_c, NULL, "fd00:77::1");

	/* Ports: kp-t1 and kp-t2 isolated, kp-t3 not. */
	idx = link_ifindex(ctx, "kb-t");
	check(link_set_master(ctx, "kp-t1", "kb-t", 1) == 0, ctx,
	    "kp-t1 on kb-t, isolated");
	check(link_set_master(ctx, "kp-t2", "kb-t", 1) == 0, ctx,
	    "kp-t2 on kb-t, isolated");
	check(link_set_master(ctx, "kp-t3", "kb-t", 0) == 0, ctx,
	    "kp-t3 on kb-t, not isolated");
	check(link_set_master(ctx, "kp-t1", "kb-none", 1) == -1 &&
	    errno == ENODEV, NULL, "missing bridge: ENODEV");
	check(link_set_up(ctx, "kb-t", 1) == 0 && link_set_up(ctx, "kp-t1", 1)
	    == 0 && link_set_up(ctx, "kp-t2", 1) == 0 &&
	    link_set_up(ctx, "kp-t3", 1) == 0, ctx, "kb-t and its ports up");
	if (getst(ctx, "kp-t1", &st) == 0)
		check(st.master == idx && st.isolated == 1 && st.up, NULL,
		    "kp-t1: master kb-t, isolated, up");
	if (getst(ctx, "kp-t3", &st) == 0)
		check(st.master == idx && st.isolated == 0 && st.up, NULL,
		    "kp-t3: master kb-t, not isolated, up");
	/* Re-attaching a port that is up keeps it up. */
	check(link_set_master(ctx, "kp-t3", "kb-t", 1) == 0, ctx,
	    "kp-t3 re-attached isolated while up");
	if (getst(ctx, "kp-t3", &st) == 0)
		check(st.isolated == 1 && st.up, NULL, "kp-t3: isolated, up");
	check(link_set_master(ctx, "kp-t3", "kb-t", 0) == 0, ctx,
	    "kp-t3 back to not isolated");
	if (getst(ctx, "kp-t3", &st) == 0)
		check(st.isolated == 0 && st.up && st.master == idx, NULL,
		    "kp-t3: not isolated, up");

	/* MTU and MAC. */
	check(link_set_mtu(ctx, "kp-t2", 1300) == 0, ctx, "kp-t2 mtu 1300");
	check(link_set_mtu(ctx, "kp-t2", 0) == -1 && errno == EINVAL, NULL,
	    "mtu 0: EINVAL");
	check(link_set_mac(ctx, "kp-t2", mac_t2) == 0, ctx, "kp-t2 lladdr");
	if (getst(ctx, "kp-t2", &st) == 0)
		check(st.mtu == 1300 && memcmp(st.mac, mac_t2, 6) == 0 &&
		    st.isolated == 1, NULL,
		    "kp-t2: mtu 1300, lladdr, isolated");

	/* sysctl in a namespace, not here. */
	check(link_sysctl_set(ns_c, "net/ipv4/ip_forward", "1") == 0, NULL,
	    "sysctl ip_forward=1 in %s", ns_c);
	check(link_sysctl_get(ns_c, "net/ipv4/ip_forward", buf, sizeof(buf))
	    == 0 && strcmp(buf, "1") == 0, NULL, "%s ip_forward reads 1", ns_c);
	check(link_sysctl_get(NULL, "net/ipv4/ip_forward", buf, sizeof(buf))
	    == 0 && strcmp(buf, "0") == 0, NULL, "here ip_forward still 0");
	check(link_sysctl_get(NULL, "net/../../etc/passwd", buf, sizeof(buf))
	    == -1 && errno == EINVAL, NULL, "sysctl path with ..: EINVAL");

	/* Isolation rig: a and b isolated, h not, on kb-p. */
	check(link_bridge_create(ctx, "kb-p", NULL, 0) == 0 &&
	    link_set_up(ctx, "kb-p", 1) == 0, ctx, "rig: bridge kb-p up");
	rig_port(ctx, ns_a, "kp-pa", "kv-pa", 1, "10.78.0.2/24");
	rig_port(ctx, ns_b, "kp-pb", "kv-pb", 1, "10.78.0.3/24");
	rig_port(ctx, ns_h, "kp-ph", "kv-ph", 0, "10.78.0.1/24");

	/* Moving a port that is up to another bridge, and back. */
	check(link_set_master(ctx, "kp-t3", "kb-p", 1) == 0, ctx,
	    "kp-t3 moved to kb-p, isolated, while up");
	if (getst(ctx, "kp-t3", &st) == 0)
		check(st.master == link_ifindex(ctx, "kb-p") &&
		    st.isolated == 1 && st.up, NULL,
		    "kp-t3: master kb-p, isolated, up");
	check(link_set_master(ctx, "kp-t3", "kb-t", 0) == 0, ctx,
	    "kp-t3 back on kb-t, not isolated");
	if (getst(ctx, "kp-t3", &st) == 0)
		check(st.master == idx && st.isolated == 0 && st.up, NULL,
		    "kp-t3: master kb-t, not isolated, up");

	/* The group holds exactly what was made in it. */
	memset(&seen, 0, sizeof(seen));
	seen.ctx = ctx;
	n = link_list_group(ctx, KUBSD_IFGROUP, seen_cb, &seen);
	check(n == (int)NGROUPED, ctx, "group lists %d interfaces", n);
	for (i = 0; i < NGROUPED; i++)
		if (seen.count[i] != 1)
			break;
	check(i == NGROUPED && seen.stray == 0 && seen.badindex == 0, NULL,
	    "group: each once, none else, right ifindex");
	check(link_list_group(cctx, KUBSD_IFGROUP, NULL, NULL) == 0, cctx,
	    "no group member in %s", ns_c);

	if (hook != NULL) {
		fflush(stdout);
		n = system(hook);
		errno = 0;
		check(n == 0, NULL, "checks from the shell (status %d)", n);
	}

	/* Tear down. */
	check(link_set_master(ctx, "kp-t2", NULL, 0) == 0, ctx, "detach kp-t2");
	if (getst(ctx, "kp-t2", &st) == 0)
		check(st.master == 0 && st.isolated == -1, NULL,
		    "kp-t2 on no bridge");
	check(link_delete(ctx, "kp-t1") == 0, ctx, "delete tap kp-t1");
	check(link_exists(ctx, "kp-t1") == 0, ctx, "kp-t1 gone");
	check(link_delete(ctx, "kp-t1") == -1 && errno == ENODEV, NULL,
	    "delete kp-t1 again: ENODEV");
	check(link_delete_if_exists(ctx, "kp-t1") == 0, ctx,
	    "link_delete_if_exists kp-t1");
	check(link_delete(ctx, "kp-t3") == 0, ctx, "delete veth kp-t3");
	check(link_exists(cctx, "eth0") == 0, cctx, "its peer is gone from %s",
	    ns_c);
	memset(&seen, 0, sizeof(seen));
	seen.ctx = ctx;
	seen.del = 1;
	n = link_list_group(ctx, KUBSD_IFGROUP, seen_cb, &seen);
	check(n == (int)NGROUPED - 2 && seen.stray == 0, ctx,
	    "group lists %d, each deleted from the callback", n);
	check(link_list_group(ctx, KUBSD_IFGROUP, NULL, NULL) == 0, ctx,
	    "group empty");
	check(link_exists(ctx, "kx-other") == 1 &&
	    link_delete(ctx, "kx-other") == 0, ctx, "delete kx-other");
	link_close(cctx);
	link_close(sctx);
	link_close(ctx);
	check(link_sysctl_get(ns_c, "net/ipv4/ip_forward", buf, sizeof(buf))
	    == 0, NULL, "%s still there", ns_c);
	{
		const char	*all[] = { ns_c, ns_a, ns_b, ns_h };

		for (i = 0; i < 4; i++) {
			ns = all[i];
			check(netns_delete(ns) == 0 && netns_exists(ns) == 0,
			    NULL, "netns_delete %s", ns);
		}
	}
	check(netns_delete(ns_c) == -1 && errno == ENOENT, NULL,
	    "netns_delete %s again: ENOENT", ns_c);

	printf("# %d ok, %d failed\n", nok, nfail);
	return nfail != 0;
}
