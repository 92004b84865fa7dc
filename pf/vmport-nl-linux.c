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
 * An attach's set elements (vmport.h) as one netlink batch to nf_tables:
 * the moved VMs' old elements deleted, their new ones added, committed
 * by the kernel as a whole or not at all.  No libnftables here: it reads
 * the whole running ruleset back before each command, which at 1000 VMs
 * costs more than the transaction itself.  Only set elements change, so
 * the kernel does not validate the table's chains again either.
 *
 * A key is its fields in order, each padded to 4 bytes, as nftables
 * lays out a concatenation: ifname 16, ether_addr 6 (+2), ipv4_addr 4,
 * ipv6_addr 16.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>

#include "kubsd.h"
#include "rules.h"
#include "vmport.h"
#include "vmport-nl.h"

#define MSGMAX		256		/* one element's message, at most */
#define RECVSZ		(64 * 1024)
#define KEYMAX		64		/* NFT_REG32_COUNT * 4 */

struct vmport_nl {
	struct mnl_socket	*nl;
	uint32_t		 seq;
	char			*rbuf;		/* the answers */
	int			 sndbuf;	/* what the socket takes */
};

/* What each message of the batch does, to name the one that failed. */
struct op {
	uint32_t		 seq;
	int			 del;
	const char		*set;
	const char		*port;
};

struct vmport_nl *
vmport_nl_open(void)
{
	struct vmport_nl	*v;
	socklen_t		 len;
	int			 on = 1;

	v = xcalloc(1, sizeof(*v));
	v->rbuf = xcalloc(1, RECVSZ);
	if ((v->nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(v->nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		vmport_nl_close(v);
		return NULL;
	}
	/* short acks: an error need not carry the whole message back */
	(void)setsockopt(mnl_socket_get_fd(v->nl), SOL_NETLINK,
	    NETLINK_CAP_ACK, &on, sizeof(on));
	len = sizeof(v->sndbuf);
	if (getsockopt(mnl_socket_get_fd(v->nl), SOL_SOCKET, SO_SNDBUF,
	    &v->sndbuf, &len) == -1)
		v->sndbuf = 0;
	return v;
}

void
vmport_nl_close(struct vmport_nl *v)
{
	if (v == NULL)
		return;
	if (v->nl != NULL)
		mnl_socket_close(v->nl);
	free(v->rbuf);
	free(v);
}

/* The element's key; its length. */
static size_t
key_build(const struct velem *e, uint8_t *key)
{
	const struct vmset	*s = &vmsets[e->set];
	size_t			 i, len = 0;

	memset(key, 0, KEYMAX);
	for (i = 0; i < s->nf; i++) {
		switch (s->f[i]) {
		case KF_IF:
			strncpy((char *)key + len, e->v[i].ifname, 16);
			len += 16;
			break;
		case KF_MAC:
			memcpy(key + len, e->v[i].mac, 6);
			len += 8;
			break;
		case KF_IP4:
			memcpy(key + len, &e->v[i].addr->a.v4, 4);
			len += 4;
			break;
		case KF_IP6:
			memcpy(key + len, &e->v[i].addr->a.v6, 16);
			len += 16;
			break;
		}
	}
	return len;
}

/* One element added or deleted: one message.  0: it did not fit. */
static int
elem_msg(struct vmport_nl *v, struct mnl_nlmsg_batch *b, int del,
    const struct velem *e, struct op *op)
{
	struct nftnl_set	*s;
	struct nftnl_set_elem	*se;
	struct nlmsghdr		*nlh;
	uint8_t			 key[KEYMAX];
	size_t			 len;

	len = key_build(e, key);
	if ((s = nftnl_set_alloc()) == NULL ||
	    (se = nftnl_set_elem_alloc()) == NULL) {
		nftnl_set_free(s);
		return -1;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, "kubsd");
	nftnl_set_set_str(s, NFTNL_SET_NAME, vmsets[e->set].name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_BRIDGE);
	nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, key, (uint32_t)len);
	nftnl_set_elem_add(s, se);
	op->seq = v->seq;
	op->del = del;
	op->set = vmsets[e->set].name;
	op->port = e->v[0].ifname;
	/* no NLM_F_ACK: only a failure answers, so a batch of any size
	 * leaves nothing to read when it went in */
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b),
	    del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM, NFPROTO_BRIDGE,
	    del ? 0 : NLM_F_CREATE, v->seq++);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return mnl_nlmsg_batch_next(b) ? 1 : 0;
}

/* Send the batch; the kernel has answered it all when sendto returns. */
static int
send_batch(struct vmport_nl *v, struct mnl_nlmsg_batch *b,
    const struct op *ops, size_t nops, char *err, size_t errlen)
{
	struct nlmsghdr		*nlh;
	struct nlmsgerr		*me;
	ssize_t			 got;
	size_t			 i, len = mnl_nlmsg_batch_size(b);
	int			 n, bad = 0, want;

	/* the kernel takes a batch only in one message (readiness: many) */
	if (len + 1024 > (size_t)v->sndbuf && len < (size_t)INT_MAX / 2) {
		want = (int)len * 2;
		if (setsockopt(mnl_socket_get_fd(v->nl), SOL_SOCKET,
		    SO_SNDBUFFORCE, &want, sizeof(want)) == 0)
			v->sndbuf = want;
	}
	if (mnl_socket_sendto(v->nl, mnl_nlmsg_batch_head(b),
	    mnl_nlmsg_batch_size(b)) == -1) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return -1;
	}
	while ((got = recv(mnl_socket_get_fd(v->nl), v->rbuf, RECVSZ,
	    MSG_DONTWAIT)) > 0) {
		n = (int)got;
		nlh = (struct nlmsghdr *)v->rbuf;
		for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			me = mnl_nlmsg_get_payload(nlh);
			if (me->error == 0 || bad)
				continue;
			bad = 1;
			for (i = 0; i < nops; i++)
				if (ops[i].seq == nlh->nlmsg_seq)
					break;
			if (i < nops)
				snprintf(err, errlen, "%s %s element of %s: %s",
				    ops[i].del ? "deleting" : "adding",
				    ops[i].set, ops[i].port,
				    strerror(-me->error));
			else
				snprintf(err, errlen, "nf_tables: %s",
				    strerror(-me->error));
		}
	}
	return bad ? -1 : 0;
}

int
vmport_nl_swap(struct vmport_nl *v, const struct anchor *const *old,
    const struct anchor *const *new, size_t n, char *err, size_t errlen)
{
	struct mnl_nlmsg_batch	*b;
	struct velem		 e[VS_COUNT];
	struct op		*ops;
	char			*buf;
	size_t			 i, j, ne, nops = 0, size;
	int			 del, fits = 1, rv = -1;

	ops = xcalloc(2 * n * VS_COUNT + 1, sizeof(*ops));
	/* every message fits: the buffer is twice the batch's limit */
	size = (2 * n * VS_COUNT + 2) * MSGMAX;
	buf = xcalloc(2, size);
	b = mnl_nlmsg_batch_start(buf, size);
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), v->seq++);
	mnl_nlmsg_batch_next(b);
	/* all deletions first: a VM's new key may be another's old one */
	for (del = 1; del >= 0; del--)
		for (i = 0; i < n; i++) {
			const struct anchor *a = del ? old[i] : new[i];

			if (a == NULL)
				continue;
			ne = vmport_elems(a, e);
			for (j = 0; j < ne && fits > 0; j++)
				fits = elem_msg(v, b, del, &e[j], &ops[nops++]);
		}
	nftnl_batch_end(mnl_nlmsg_batch_current(b), v->seq++);
	if (fits > 0 && !mnl_nlmsg_batch_next(b))
		fits = 0;
	if (fits < 0)
		snprintf(err, errlen, "out of memory");
	else if (fits == 0)
		snprintf(err, errlen, "the batch does not fit");
	else if (nops == 0)
		rv = 0;
	else
		rv = send_batch(v, b, ops, nops, err, errlen);
	mnl_nlmsg_batch_stop(b);
	free(buf);
	free(ops);
	return rv;
}
