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
 * Linux link backend: rtnetlink through libmnl, one socket per
 * context, opened inside the context's namespace so that every request
 * acts there.  This file: the context, the plumbing, reading links,
 * listing the group, deletion.  link-set-linux.c creates and changes
 * interfaces, addresses and routes.
 */
#include <sys/socket.h>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "link.h"
#include "link-linux.h"

/*
 * One exchange.  Replies are matched on seq here rather than by libmnl,
 * so that a stray reply to an earlier request is skipped, not fatal.
 */
struct nl_cb {
	struct link_ctx		*ctx;
	unsigned int		 seq;
	mnl_cb_t		 cb;
	void			*arg;
};

int
link_fail(struct link_ctx *ctx, int e, const char *fmt, ...)
{
	va_list	ap;
	size_t	n;

	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
	n = strlen(ctx->err);
	if (ctx->kmsg[0] != '\0')
		snprintf(ctx->err + n, sizeof(ctx->err) - n, ": %s (%s)",
		    strerror(e), ctx->kmsg);
	else
		snprintf(ctx->err + n, sizeof(ctx->err) - n, ": %s",
		    strerror(e));
	errno = e;
	return -1;
}

int
link_badname(struct link_ctx *ctx, const char *name)
{
	size_t	len;

	ctx->kmsg[0] = '\0';
	if (name == NULL || (len = strlen(name)) == 0 ||
	    len >= KUBSD_IFNAMSIZ || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strpbrk(name, "/: \t\n") != NULL)
		return link_fail(ctx, EINVAL, "invalid interface name \"%s\"",
		    name ? name : "(null)");
	return 0;
}

struct link_ctx *
link_open(const char *netns)
{
	struct link_ctx	*ctx;
	int		 saved = -1, on = 1, e;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	ctx->nsfd = -1;
	if (netns != NULL) {
		if ((ctx->nsfd = netns_open(netns)) == -1)
			goto fail;
		if (netns_enter(ctx->nsfd, &saved) == -1)
			goto fail;
	}
	ctx->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (saved != -1)
		netns_leave(saved);
	if (ctx->nl == NULL ||
	    mnl_socket_bind(ctx->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	/* Kernel error strings, without the request echoed back. */
	mnl_socket_setsockopt(ctx->nl, NETLINK_EXT_ACK, &on, sizeof(on));
	mnl_socket_setsockopt(ctx->nl, NETLINK_CAP_ACK, &on, sizeof(on));
	ctx->portid = mnl_socket_get_portid(ctx->nl);
	ctx->seq = (unsigned int)getpid() << 8;
	return ctx;
 fail:
	e = errno;
	link_close(ctx);
	errno = e;
	return NULL;
}

void
link_close(struct link_ctx *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->nl != NULL)
		mnl_socket_close(ctx->nl);
	if (ctx->nsfd != -1)
		close(ctx->nsfd);
	free(ctx);
}

const char *
link_error(struct link_ctx *ctx)
{
	return ctx->err;
}

void
link_set_create_group(struct link_ctx *ctx, uint32_t group)
{
	ctx->group = group;
}

static int
nl_data_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_cb	*c = arg;

	if (nlh->nlmsg_seq != c->seq || c->cb == NULL)
		return MNL_CB_OK;
	return c->cb(nlh, c->arg);
}

static int
nl_error_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_cb		*c = arg;
	const struct nlmsgerr	*e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr	*a;
	size_t			 off;

	if (nlh->nlmsg_seq != c->seq)
		return MNL_CB_OK;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    ((nlh->nlmsg_flags & NLM_F_CAPPED) ||
	    e->msg.nlmsg_len >= sizeof(e->msg))) {
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += MNL_ALIGN(e->msg.nlmsg_len - sizeof(e->msg));
		mnl_attr_for_each(a, nlh, off) {
			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				snprintf(c->ctx->kmsg, sizeof(c->ctx->kmsg),
				    "%s", mnl_attr_get_str(a));
		}
	}
	errno = -e->error;
	return MNL_CB_ERROR;
}

/* The end of a dump; a dump that failed part way says so here. */
static int
nl_done_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_cb	*c = arg;
	const int	*err = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_seq != c->seq)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(*err) && *err < 0) {
		errno = -*err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int
nl_overrun_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(void)arg;
	errno = ENOSPC;
	return MNL_CB_ERROR;
}

struct nlmsghdr *
nl_msg(struct link_ctx *ctx, uint16_t type, uint16_t flags)
{
	struct nlmsghdr	*nlh;

	ctx->kmsg[0] = '\0';
	nlh = mnl_nlmsg_put_header(ctx->sbuf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++ctx->seq;
	return nlh;
}

/* Send one request; feed replies to cb until the ack or NLMSG_DONE. */
int
nl_talk(struct link_ctx *ctx, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	struct nl_cb	 c = { ctx, nlh->nlmsg_seq, cb, arg };
	/* A NULL entry means ignore, not libmnl's default. */
	mnl_cb_t	 ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = nl_error_cb,
		[NLMSG_DONE] = nl_done_cb,
		[NLMSG_OVERRUN] = nl_overrun_cb,
	};
	ssize_t		 n;
	int		 ret;

	/* NLM_F_DUMP's bits mean EXCL and REPLACE outside RTM_GET*. */
	if (nlh->nlmsg_type % 4 != RTM_GETLINK % 4 ||
	    (nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(ctx->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		while ((n = mnl_socket_recvfrom(ctx->nl, ctx->rbuf,
		    sizeof(ctx->rbuf))) == -1 && errno == EINTR)
			;
		if (n == -1)
			return -1;
		ret = mnl_cb_run2(ctx->rbuf, n, 0, ctx->portid,
		    nl_data_cb, &c, ctl, NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	return ret == MNL_CB_STOP ? 0 : -1;
}

/* An RTM_*LINK request for an interface, by index or else by name. */
struct nlmsghdr *
nl_link_msg(struct link_ctx *ctx, uint16_t type, uint16_t flags, int ifindex,
    const char *name, struct ifinfomsg **ifmp)
{
	struct nlmsghdr		*nlh = nl_msg(ctx, type, flags);
	struct ifinfomsg	*ifm;

	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	if (name != NULL)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (ifmp != NULL)
		*ifmp = ifm;
	return nlh;
}

/* An attribute table: tb[0..max]. */
struct attrs {
	const struct nlattr	**tb;
	int			  max;
};

static int
attr_cb(const struct nlattr *a, void *arg)
{
	struct attrs	*at = arg;
	int		 type = mnl_attr_get_type(a);

	if (type <= at->max)
		at->tb[type] = a;
	return MNL_CB_OK;
}

static void
attr_parse(const struct nlmsghdr *nlh, const struct nlattr *nest,
    const struct nlattr **tb, int max)
{
	struct attrs	at = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (nest != NULL)
		mnl_attr_parse_nested(nest, attr_cb, &at);
	else
		mnl_attr_parse(nlh, sizeof(struct ifinfomsg), attr_cb, &at);
}

static int
u32ok(const struct nlattr *a)
{
	return a != NULL && mnl_attr_validate(a, MNL_TYPE_U32) == 0;
}

static void
parse_state(const struct nlmsghdr *nlh, struct link_state *st)
{
	const struct nlattr	*tb[IFLA_MAX + 1];
	const struct nlattr	*li[IFLA_INFO_MAX + 1];
	const struct nlattr	*sd[IFLA_BRPORT_MAX + 1];
	struct ifinfomsg	*ifm = mnl_nlmsg_get_payload(nlh);

	memset(st, 0, sizeof(*st));
	st->ifindex = ifm->ifi_index;
	st->up = (ifm->ifi_flags & IFF_UP) != 0;
	st->running = (ifm->ifi_flags & IFF_RUNNING) != 0;
	st->isolated = -1;
	attr_parse(nlh, NULL, tb, IFLA_MAX);
	if (u32ok(tb[IFLA_MASTER]))
		st->master = mnl_attr_get_u32(tb[IFLA_MASTER]);
	if (u32ok(tb[IFLA_MTU]))
		st->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (u32ok(tb[IFLA_GROUP]))
		st->group = mnl_attr_get_u32(tb[IFLA_GROUP]);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6)
		memcpy(st->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
	if (tb[IFLA_LINKINFO] == NULL)
		return;
	attr_parse(nlh, tb[IFLA_LINKINFO], li, IFLA_INFO_MAX);
	if (li[IFLA_INFO_KIND] &&
	    mnl_attr_validate(li[IFLA_INFO_KIND], MNL_TYPE_NUL_STRING) == 0)
		snprintf(st->kind, sizeof(st->kind), "%s",
		    mnl_attr_get_str(li[IFLA_INFO_KIND]));
	if (li[IFLA_INFO_SLAVE_DATA] == NULL)
		return;
	attr_parse(nlh, li[IFLA_INFO_SLAVE_DATA], sd, IFLA_BRPORT_MAX);
	if (sd[IFLA_BRPORT_ISOLATED] &&
	    mnl_attr_validate(sd[IFLA_BRPORT_ISOLATED], MNL_TYPE_U8) == 0)
		st->isolated = mnl_attr_get_u8(sd[IFLA_BRPORT_ISOLATED]);
}

static int
getlink_cb(const struct nlmsghdr *nlh, void *arg)
{
	if (nlh->nlmsg_type == RTM_NEWLINK &&
	    mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct ifinfomsg))
		parse_state(nlh, arg);
	return MNL_CB_OK;
}

int
link_get(struct link_ctx *ctx, const char *name, struct link_state *st)
{
	struct nlmsghdr	*nlh;

	if (link_badname(ctx, name) == -1)
		return -1;
	nlh = nl_link_msg(ctx, RTM_GETLINK, 0, 0, name, NULL);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	memset(st, 0, sizeof(*st));
	if (nl_talk(ctx, nlh, getlink_cb, st) == -1)
		return link_fail(ctx, errno, "%s", name);
	if (st->ifindex <= 0)
		return link_fail(ctx, ENODEV, "%s", name);
	return 0;
}

int
link_ifindex(struct link_ctx *ctx, const char *name)
{
	struct link_state	st;

	if (link_get(ctx, name, &st) == -1)
		return -1;
	return st.ifindex;
}

int
link_exists(struct link_ctx *ctx, const char *name)
{
	if (link_ifindex(ctx, name) > 0)
		return 1;
	return errno == ENODEV ? 0 : -1;
}

int
link_delete(struct link_ctx *ctx, const char *name)
{
	struct nlmsghdr	*nlh;

	if (link_badname(ctx, name) == -1)
		return -1;
	nlh = nl_link_msg(ctx, RTM_DELLINK, 0, 0, name, NULL);
	if (nl_talk(ctx, nlh, NULL, NULL) == -1)
		return link_fail(ctx, errno, "%s: delete", name);
	return 0;
}

int
link_delete_if_exists(struct link_ctx *ctx, const char *name)
{
	if (link_delete(ctx, name) == -1 && errno != ENODEV)
		return -1;
	return 0;
}

struct group_list {
	uint32_t	  group;
	char		(*names)[IFNAMSIZ];
	int		 *index;
	size_t		  n;
};

static int
group_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct group_list	*gl = arg;
	const struct nlattr	*tb[IFLA_MAX + 1];
	struct ifinfomsg	*ifm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm))
		return MNL_CB_OK;
	attr_parse(nlh, NULL, tb, IFLA_MAX);
	if (!u32ok(tb[IFLA_GROUP]) || tb[IFLA_IFNAME] == NULL ||
	    mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) != 0 ||
	    mnl_attr_get_u32(tb[IFLA_GROUP]) != gl->group)
		return MNL_CB_OK;
	gl->names = xreallocarray(gl->names, gl->n + 1, sizeof(*gl->names));
	gl->index = xreallocarray(gl->index, gl->n + 1, sizeof(*gl->index));
	snprintf(gl->names[gl->n], sizeof(gl->names[gl->n]), "%s",
	    mnl_attr_get_str(tb[IFLA_IFNAME]));
	gl->index[gl->n++] = ifm->ifi_index;
	return MNL_CB_OK;
}

int
link_list_group(struct link_ctx *ctx, uint32_t group,
    void (*cb)(const char *, int, void *), void *arg)
{
	struct group_list	 gl = { group, NULL, NULL, 0 };
	struct nlmsghdr		*nlh;
	size_t			 i;
	int			 ret = -1;

	nlh = nl_link_msg(ctx, RTM_GETLINK, NLM_F_DUMP, 0, NULL, NULL);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (nl_talk(ctx, nlh, group_cb, &gl) == -1)
		link_fail(ctx, errno, "list interface group %u", group);
	else if (gl.n > INT32_MAX)
		link_fail(ctx, EOVERFLOW, "list interface group %u", group);
	else {
		/* The dump is over: cb may send requests of its own. */
		for (i = 0; i < gl.n && cb != NULL; i++)
			cb(gl.names[i], gl.index[i], arg);
		ret = (int)gl.n;
	}
	free(gl.names);
	free(gl.index);
	return ret;
}
