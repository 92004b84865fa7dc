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
 * The wireguard kill switch's half in the routing table: a default
 * route leads out of the tunnel or there is none.  Lists the main
 * table's default routes over rtnetlink and deletes every one not out
 * of the tunnel.  Part of the Linux link backend (link.h).
 */
#include <sys/socket.h>

#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "link.h"
#include "link-linux.h"

struct droute {
	uint32_t	 table;
	uint32_t	 oif;
	uint32_t	 prio;
	int		 has_prio;
};

struct dlist {
	int		 af;
	struct droute	*v;
	size_t		 n;
};

static int
attr_cb(const struct nlattr *a, void *arg)
{
	const struct nlattr	**tb = arg;
	int			  t = mnl_attr_get_type(a);

	if (t <= RTA_MAX && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		tb[t] = a;
	else if (t <= RTA_MAX)
		tb[t] = NULL;
	return MNL_CB_OK;
}

static int
route_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dlist		*dl = arg;
	const struct nlattr	*tb[RTA_MAX + 1];
	struct rtmsg		*rtm = mnl_nlmsg_get_payload(nlh);
	struct droute		 r;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) ||
	    rtm->rtm_family != dl->af || rtm->rtm_dst_len != 0 ||
	    rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	memset(tb, 0, sizeof(tb));
	mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb);
	memset(&r, 0, sizeof(r));
	r.table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) :
	    rtm->rtm_table;
	if (r.table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	r.oif = tb[RTA_OIF] ? mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	if (tb[RTA_PRIORITY]) {
		r.prio = mnl_attr_get_u32(tb[RTA_PRIORITY]);
		r.has_prio = 1;
	}
	dl->v = xreallocarray(dl->v, dl->n + 1, sizeof(r));
	dl->v[dl->n++] = r;
	return MNL_CB_OK;
}

int
link_route_flush_default(int af, const char *keep_if, char *err, size_t len)
{
	struct link_ctx	*ctx;
	struct nlmsghdr	*nlh;
	struct rtmsg	*rtm;
	struct dlist	 dl = { af, NULL, 0 };
	size_t		 i;
	int		 keep, rv = -1;

	if ((ctx = link_open(NULL)) == NULL) {
		snprintf(err, len, "netlink: %s", strerror(errno));
		return -1;
	}
	/* A missing tunnel keeps nothing. */
	if ((keep = link_ifindex(ctx, keep_if)) == -1)
		keep = 0;
	nlh = nl_msg(ctx, RTM_GETROUTE, NLM_F_DUMP);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = af;
	if (nl_talk(ctx, nlh, route_cb, &dl) == -1) {
		snprintf(err, len, "list routes: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < dl.n; i++) {
		if (keep != 0 && dl.v[i].oif == (uint32_t)keep)
			continue;
		nlh = nl_msg(ctx, RTM_DELROUTE, 0);
		rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = af;
		rtm->rtm_table = RT_TABLE_MAIN;
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
		if (dl.v[i].oif != 0)
			mnl_attr_put_u32(nlh, RTA_OIF, dl.v[i].oif);
		if (dl.v[i].has_prio)
			mnl_attr_put_u32(nlh, RTA_PRIORITY, dl.v[i].prio);
		if (nl_talk(ctx, nlh, NULL, NULL) == -1 && errno != ESRCH) {
			snprintf(err, len, "delete default route: %s",
			    strerror(errno));
			goto out;
		}
	}
	rv = 0;
 out:
	free(dl.v);
	link_close(ctx);
	return rv;
}
