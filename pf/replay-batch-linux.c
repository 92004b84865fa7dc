/*
 * The replay's batch (replay-nft-linux.c says why): what the shadow
 * holds for the ports, sent to netd's own namespace as one transaction.
 * Map elements of the ports' interfaces go first (destroyed: present or
 * not), then the ports' chains are made or emptied, their anonymous
 * sets made under batch ids, their rules appended, and the shadow's map
 * elements added.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>

#include "kubsd.h"
#include "replay-linux.h"

#ifndef NFT_MSG_DESTROYSETELEM
#define NFT_MSG_DESTROYSETELEM	30	/* Linux 6.3: delete if present */
#endif

#define BATCHSZ		(256 * 1024)	/* the buffer is twice the limit */

/* The batch to netd's namespace being built. */
struct out {
	struct replay		*rp;
	struct mnl_nlmsg_batch	*b;
	char			*buf;
	int			 full;
	struct {		/* anonymous sets: shadow name -> batch id */
		char		 name[64];
		uint32_t	 id;
	}			*anon;
	size_t			 nanon;
	char			*err;
	size_t			 errlen;
};

static struct nlmsghdr *
msg(struct out *o, uint16_t type, uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(o->b), type,
	    FAMILY, flags | NLM_F_ACK, o->rp->seq++);
}

static void
next(struct out *o)
{
	if (!mnl_nlmsg_batch_next(o->b))
		o->full = 1;
}

static int
fail(struct out *o, const char *what)
{
	snprintf(o->err, o->errlen, "replay: %s", what);
	return -1;
}

/* A port's chain: made if new, emptied if not. */
static int
out_chain(struct nftnl_chain *c, void *arg)
{
	struct out		*o = arg;
	struct nftnl_chain	*n;
	struct nftnl_rule	*r;
	const char		*name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);

	if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM))
		return fail(o, "a base chain");
	if ((n = nftnl_chain_alloc()) == NULL)
		return fail(o, "out of memory");
	if ((r = nftnl_rule_alloc()) == NULL) {
		nftnl_chain_free(n);
		return fail(o, "out of memory");
	}
	nftnl_chain_set_str(n, NFTNL_CHAIN_TABLE, TABLE);
	nftnl_chain_set_str(n, NFTNL_CHAIN_NAME, name);
	nftnl_chain_nlmsg_build_payload(msg(o, NFT_MSG_NEWCHAIN,
	    NLM_F_CREATE), n);
	next(o);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
	nftnl_rule_nlmsg_build_payload(msg(o, NFT_MSG_DELRULE, 0), r);
	next(o);
	nftnl_chain_free(n);
	nftnl_rule_free(r);
	return 0;
}

static int
has_elems(struct nftnl_set *s)
{
	struct nftnl_set_elems_iter	*it;
	int				 n;

	if ((it = nftnl_set_elems_iter_create(s)) == NULL)
		return 0;
	n = nftnl_set_elems_iter_next(it) != NULL;
	nftnl_set_elems_iter_destroy(it);
	return n;
}

/* An anonymous set, under a batch id the rules will name it by. */
static int
out_anon(struct nftnl_set *s, void *arg)
{
	struct out	*o = arg;
	const char	*name = nftnl_set_get_str(s, NFTNL_SET_NAME);

	if (!(nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS))
		return 0;
	o->anon = xreallocarray(o->anon, o->nanon + 1, sizeof(*o->anon));
	snprintf(o->anon[o->nanon].name, sizeof(o->anon[0].name), "%s", name);
	o->anon[o->nanon].id = ++o->rp->setid;
	nftnl_set_unset(s, NFTNL_SET_HANDLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, "__set%d");
	nftnl_set_set_u32(s, NFTNL_SET_ID, o->anon[o->nanon].id);
	o->nanon++;
	nftnl_set_nlmsg_build_payload(msg(o, NFT_MSG_NEWSET, NLM_F_CREATE), s);
	next(o);
	if (has_elems(s)) {
		nftnl_set_elems_nlmsg_build_payload(msg(o, NFT_MSG_NEWSETELEM,
		    NLM_F_CREATE), s);
		next(o);
	}
	return 0;
}

static uint32_t
anon_id(struct out *o, const char *name)
{
	size_t	 i;

	for (i = 0; i < o->nanon; i++)
		if (strcmp(o->anon[i].name, name) == 0)
			return o->anon[i].id;
	return 0;
}

/* A lookup's data; an anonymous set is named by its batch id. */
static int
copy_lookup(struct out *o, struct nlmsghdr *nlh, const struct nlattr *data)
{
	const struct nlattr	*a;
	struct nlattr		*nest;
	const char		*set;
	uint32_t		 id;

	nest = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	mnl_attr_for_each_nested(a, data) {
		if (mnl_attr_get_type(a) != NFTA_LOOKUP_SET ||
		    strncmp((set = mnl_attr_get_str(a)), "__", 2) != 0) {
			mnl_attr_put(nlh, a->nla_type,
			    mnl_attr_get_payload_len(a),
			    mnl_attr_get_payload(a));
			continue;
		}
		if ((id = anon_id(o, set)) == 0)
			return fail(o, "a rule names an unknown set");
		mnl_attr_put_strz(nlh, NFTA_LOOKUP_SET, "__set%d");
		mnl_attr_put_u32(nlh, NFTA_LOOKUP_SET_ID, htonl(id));
	}
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

static int
copy_exprs(struct out *o, struct nlmsghdr *nlh, const struct nlattr *exprs)
{
	const struct nlattr	*e, *a;
	struct nlattr		*list, *elem;
	const char		*kind;

	list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	mnl_attr_for_each_nested(e, exprs) {
		elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
		kind = "";
		mnl_attr_for_each_nested(a, e) {
			if (mnl_attr_get_type(a) == NFTA_EXPR_NAME)
				kind = mnl_attr_get_str(a);
			if (strcmp(kind, "dynset") == 0 ||
			    strcmp(kind, "objref") == 0)
				return fail(o, kind);
			if (mnl_attr_get_type(a) == NFTA_EXPR_DATA &&
			    strcmp(kind, "lookup") == 0) {
				if (copy_lookup(o, nlh, a) == -1)
					return -1;
				continue;
			}
			mnl_attr_put(nlh, a->nla_type,
			    mnl_attr_get_payload_len(a),
			    mnl_attr_get_payload(a));
		}
		mnl_attr_nest_end(nlh, elem);
	}
	mnl_attr_nest_end(nlh, list);
	return 0;
}

/*
 * The rules, copied from the shadow's dump as the kernel sent them but
 * for their handles and positions (the shadow's) and the names of their
 * anonymous sets.  (Not through libnftnl's rule objects: renaming a
 * lookup's set there leaks the old name.)
 */
static int
out_rules(struct out *o, const struct rbuf *dump)
{
	const struct nlmsghdr	*src = (const struct nlmsghdr *)dump->b;
	const struct nlattr	*a;
	struct nlmsghdr		*nlh;
	int			 len = (int)dump->len;

	for (; mnl_nlmsg_ok(src, len); src = mnl_nlmsg_next(src, &len)) {
		if (NFNL_MSG_TYPE(src->nlmsg_type) != NFT_MSG_NEWRULE)
			continue;
		nlh = msg(o, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
		mnl_attr_for_each(a, src, sizeof(struct nfgenmsg)) {
			switch (mnl_attr_get_type(a)) {
			case NFTA_RULE_HANDLE:
			case NFTA_RULE_POSITION:
				break;
			case NFTA_RULE_EXPRESSIONS:
				if (copy_exprs(o, nlh, a) == -1)
					return -1;
				break;
			default:
				mnl_attr_put(nlh, a->nla_type,
				    mnl_attr_get_payload_len(a),
				    mnl_attr_get_payload(a));
			}
		}
		next(o);
	}
	return 0;
}

/* Destroy the keys' elements of every map the shadow has. */
static int
out_unmap(struct out *o, struct nftnl_set *m, const char *const *keys,
    size_t nkeys)
{
	struct nftnl_set	*d;
	struct nftnl_set_elem	*e;
	char			 key[KUBSD_IFNAMSIZ];
	size_t			 i;

	if (nftnl_set_get_u32(m, NFTNL_SET_KEY_LEN) != sizeof(key))
		return fail(o, "a map not keyed by interface name");
	if ((d = nftnl_set_alloc()) == NULL)
		return fail(o, "out of memory");
	nftnl_set_set_str(d, NFTNL_SET_TABLE, TABLE);
	nftnl_set_set_str(d, NFTNL_SET_NAME,
	    nftnl_set_get_str(m, NFTNL_SET_NAME));
	for (i = 0; i < nkeys; i++) {
		if (keys[i][0] == '\0' || (e = nftnl_set_elem_alloc()) == NULL)
			continue;
		memset(key, 0, sizeof(key));
		strncpy(key, keys[i], sizeof(key) - 1);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof(key));
		nftnl_set_elem_add(d, e);
	}
	nftnl_set_elems_nlmsg_build_payload(msg(o, NFT_MSG_DESTROYSETELEM, 0),
	    d);
	next(o);
	nftnl_set_free(d);
	return 0;
}

struct maps {
	struct out		*o;
	const char *const	*keys;
	size_t			 nkeys;
	int			 add;	/* 0: destroy the keys, 1: add */
};

static int
out_map(struct nftnl_set *s, void *arg)
{
	struct maps	*mp = arg;
	uint32_t	 f = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);

	if (!(f & NFT_SET_MAP) || (f & NFT_SET_ANONYMOUS))
		return 0;
	if (!mp->add)
		return out_unmap(mp->o, s, mp->keys, mp->nkeys);
	if (has_elems(s)) {
		nftnl_set_unset(s, NFTNL_SET_HANDLE);
		nftnl_set_elems_nlmsg_build_payload(msg(mp->o,
		    NFT_MSG_NEWSETELEM, NLM_F_CREATE), s);
		next(mp->o);
	}
	return 0;
}

/* Send the batch; the kernel has answered it all when sendto returns. */
static int
out_send(struct out *o)
{
	struct mnl_socket	*nl = o->rp->hnl;
	struct nlmsghdr		*nlh;
	struct nlmsgerr		*me;
	ssize_t			 got;
	int			 n, err = 0;

	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(o->b),
	    mnl_nlmsg_batch_size(o->b)) == -1)
		return fail(o, strerror(errno));
	while ((got = recv(mnl_socket_get_fd(nl), o->rp->rbuf, RECVSZ,
	    MSG_DONTWAIT)) > 0) {
		n = (int)got;
		nlh = (struct nlmsghdr *)o->rp->rbuf;
		for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			me = mnl_nlmsg_get_payload(nlh);
			if (me->error != 0 && err == 0)
				err = -me->error;
		}
	}
	if (err != 0) {
		snprintf(o->err, o->errlen, "replay: %s", strerror(err));
		return -1;
	}
	return 0;
}

int
replay_batch(struct replay *rp, struct shadow *sh, const char *const *keys,
    size_t nkeys, char *err, size_t errlen)
{
	struct out	 o;
	struct maps	 mp;
	int		 rv = -1;

	memset(&o, 0, sizeof(o));
	o.rp = rp;
	o.err = err;
	o.errlen = errlen;
	if ((o.buf = malloc(2 * BATCHSZ)) == NULL) {
		snprintf(err, errlen, "replay: out of memory");
		return -1;
	}
	o.b = mnl_nlmsg_batch_start(o.buf, BATCHSZ);
	nftnl_batch_begin(mnl_nlmsg_batch_current(o.b), rp->seq++);
	next(&o);
	mp.o = &o;
	mp.keys = keys;
	mp.nkeys = nkeys;
	mp.add = 0;
	if (nftnl_set_list_foreach(sh->sets, out_map, &mp) == -1 ||
	    nftnl_chain_list_foreach(sh->chains, out_chain, &o) == -1 ||
	    nftnl_set_list_foreach(sh->sets, out_anon, &o) == -1 ||
	    out_rules(&o, sh->rules) == -1)
		goto done;
	mp.add = 1;
	if (nftnl_set_list_foreach(sh->sets, out_map, &mp) == -1)
		goto done;
	nftnl_batch_end(mnl_nlmsg_batch_current(o.b), rp->seq++);
	next(&o);
	if (o.full)
		fail(&o, "the batch does not fit");
	else
		rv = out_send(&o);
done:
	mnl_nlmsg_batch_stop(o.b);
	free(o.buf);
	free(o.anon);
	return rv;
}
