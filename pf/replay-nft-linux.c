/*
 * A VM's rules into the kernel without libnftables' cache of the running
 * ruleset: load-nft-linux.c's way for kubsd-net attach.
 *
 * libnftables reads the whole ruleset back from the kernel before each
 * command, so a port's transaction costs milliseconds more at 1000 VMs
 * than at 10.  Here libnftables compiles the port's text (emit_nft.c's,
 * unchanged) in a private network namespace, the shadow, whose table
 * holds only the named sets and maps: its cache is tiny.  What it made
 * there (the port's chains and rules, their anonymous sets, the port's
 * map elements) is read back with libnftnl and sent to netd's own
 * namespace as one batch, after the port's old map elements: one
 * transaction, as with the text.  Nothing here knows how a rule is
 * built; the kernel's own encoding is copied.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <nftables/libnftables.h>

#include "kubsd.h"
#include "link.h"
#include "replay-linux.h"
#include "replay-nft.h"

static void	 shot_clear(struct shot *);

static struct mnl_socket *
nl_open(void)
{
	struct mnl_socket	*nl;
	int			 on = 1;

	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		mnl_socket_close(nl);
		return NULL;
	}
	/* short acks: an error need not carry the whole message back */
	(void)setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_CAP_ACK,
	    &on, sizeof(on));
	return nl;
}

void
replay_close(struct replay *rp)
{
	size_t	 i;

	if (rp == NULL)
		return;
	if (rp->nft != NULL)
		nft_ctx_free(rp->nft);
	if (rp->snl != NULL)
		mnl_socket_close(rp->snl);
	if (rp->hnl != NULL)
		mnl_socket_close(rp->hnl);
	if (rp->shadow != -1)
		close(rp->shadow);
	free(rp->rbuf);
	free(rp->undo);
	for (i = 0; i < NSHOTS; i++)
		shot_clear(&rp->shots[i]);
	free(rp);
}

/* The shadow namespace and what lives in it; NULL: no replay here. */
struct replay *
replay_open(void)
{
	struct replay	*rp;
	int		 self;

	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		return NULL;
	rp->shadow = -1;
	rp->seq = 1;
	if ((rp->rbuf = malloc(RECVSZ)) == NULL ||
	    (rp->hnl = nl_open()) == NULL ||
	    (self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC))
	    == -1) {
		replay_close(rp);
		return NULL;
	}
	if (unshare(CLONE_NEWNET) == -1) {
		close(self);
		replay_close(rp);
		return NULL;
	}
	rp->shadow = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	rp->snl = nl_open();
	if ((rp->nft = nft_ctx_new(NFT_CTX_DEFAULT)) != NULL &&
	    (nft_ctx_buffer_output(rp->nft) != 0 ||
	    nft_ctx_buffer_error(rp->nft) != 0)) {
		nft_ctx_free(rp->nft);
		rp->nft = NULL;
	}
	netns_leave(self);
	if (rp->shadow == -1 || rp->snl == NULL || rp->nft == NULL) {
		replay_close(rp);
		return NULL;
	}
	return rp;
}

/*
 * Run the ports' text in the shadow with libnftables: after the undo of
 * the last run (its chains deleted, the maps flushed), or after the
 * skeleton (the table made anew) when the shadow's state is not known.
 */
static int
shadow_run(struct replay *rp, const char *skel, const char *text, char *err,
    size_t errlen)
{
	const char	*e;
	char		*all;
	int		 saved, rv = 0;

	if (rp->ready)
		rv = asprintf(&all, "%s%s", rp->undo ? rp->undo : "", text);
	else
		rv = asprintf(&all, "table bridge " TABLE "\ndelete table bridge "
		    TABLE "\n%s%s", skel, text);
	if (rv == -1) {
		snprintf(err, errlen, "shadow: out of memory");
		return -1;
	}
	rv = 0;
	free(rp->undo);
	rp->undo = NULL;
	rp->ready = 0;
	if (netns_enter(rp->shadow, &saved) == -1) {
		snprintf(err, errlen, "shadow: %s", strerror(errno));
		free(all);
		return -1;
	}
	(void)nft_ctx_get_output_buffer(rp->nft);
	(void)nft_ctx_get_error_buffer(rp->nft);
	if (nft_run_cmd_from_buffer(rp->nft, all) != 0) {
		e = nft_ctx_get_error_buffer(rp->nft);
		snprintf(err, errlen, "shadow: %.*s", (int)strcspn(e, "\n"), e);
		rv = -1;
	}
	netns_leave(saved);
	free(all);
	return rv;
}

/* Note how to empty the shadow of what this run made. */
static int
undo_chain(struct nftnl_chain *c, void *arg)
{
	fprintf(arg, "delete chain bridge " TABLE " %s\n",
	    nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	return 0;
}

static int
undo_map(struct nftnl_set *s, void *arg)
{
	uint32_t	 f = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);

	if ((f & NFT_SET_MAP) && !(f & NFT_SET_ANONYMOUS))
		fprintf(arg, "flush map bridge " TABLE " %s\n",
		    nftnl_set_get_str(s, NFTNL_SET_NAME));
	return 0;
}

static int
chain_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_chain	*c;

	if ((c = nftnl_chain_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		return MNL_CB_ERROR;
	}
	nftnl_chain_list_add_tail(c, arg);
	return MNL_CB_OK;
}

static int
set_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_set	*s;

	if ((s = nftnl_set_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_set_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		return MNL_CB_ERROR;
	}
	nftnl_set_list_add_tail(s, arg);
	return MNL_CB_OK;
}

static int
elems_cb(const struct nlmsghdr *nlh, void *arg)
{
	return nftnl_set_elems_nlmsg_parse(nlh, arg) < 0 ? MNL_CB_ERROR :
	    MNL_CB_OK;
}

static void
shadow_free(struct shadow *sh)
{
	if (sh->chains != NULL)
		nftnl_chain_list_free(sh->chains);
	if (sh->sets != NULL)
		nftnl_set_list_free(sh->sets);
}

static int
rbuf_add(struct rbuf *r, const void *p, size_t n)
{
	char	*b;

	if ((b = realloc(r->b, r->len + n)) == NULL)
		return -1;
	memcpy(b + r->len, p, n);
	r->b = b;
	r->len += n;
	return 0;
}

static void
shot_clear(struct shot *s)
{
	size_t	 i;

	free(s->text);
	free(s->chains.b);
	free(s->rules.b);
	free(s->sets.b);
	for (i = 0; i < s->nelems; i++)
		free(s->elems[i].b);
	free(s->elems);
	memset(s, 0, sizeof(*s));
}

/* One dump from the shadow, its bytes kept; set: whose elements. */
static int
dump(struct replay *rp, uint16_t type, struct nftnl_set *set,
    struct rbuf *out)
{
	char		 req[512];
	struct nlmsghdr	*nlh;
	uint32_t	 seq = rp->seq++;
	ssize_t		 n;
	int		 rv = MNL_CB_OK;

	nlh = nftnl_nlmsg_build_hdr(req, type, FAMILY, NLM_F_DUMP, seq);
	if (set != NULL)
		nftnl_set_elems_nlmsg_build_payload(nlh, set);
	if (mnl_socket_sendto(rp->snl, nlh, nlh->nlmsg_len) == -1)
		return -1;
	while (rv > MNL_CB_STOP &&
	    (n = mnl_socket_recvfrom(rp->snl, rp->rbuf, RECVSZ)) > 0) {
		rv = mnl_cb_run(rp->rbuf, n, seq,
		    mnl_socket_get_portid(rp->snl), NULL, NULL);
		if (rv != MNL_CB_ERROR && rbuf_add(out, rp->rbuf, n) == -1)
			rv = MNL_CB_ERROR;
	}
	return rv == MNL_CB_STOP ? 0 : -1;
}

static int
parse(const struct rbuf *r, mnl_cb_t cb, void *arg)
{
	if (r->len == 0)
		return 0;
	return mnl_cb_run(r->b, r->len, 0, 0, cb, arg) == MNL_CB_ERROR ?
	    -1 : 0;
}

struct each {
	struct replay	*rp;
	struct shot	*shot;
	size_t		 i;
};

/* The elements of the shadow's maps and anonymous sets (the named
 * constant sets are in the running table already). */
static int
take_elems(struct nftnl_set *set, void *arg)
{
	struct each	*e = arg;
	uint32_t	 f = nftnl_set_get_u32(set, NFTNL_SET_FLAGS);
	struct rbuf	*r = &e->shot->elems[e->i++];

	if (!(f & (NFT_SET_ANONYMOUS | NFT_SET_MAP)))
		return 0;
	return dump(e->rp, NFT_MSG_GETSETELEM, set, r);
}

static int
parse_elems(struct nftnl_set *set, void *arg)
{
	struct each	*e = arg;

	return parse(&e->shot->elems[e->i++], elems_cb, set);
}

/* What the shadow holds, as objects, from a shot's bytes. */
static int
shot_parse(struct shot *s, struct shadow *sh)
{
	struct each	 e = { NULL, s, 0 };

	sh->rules = &s->rules;
	if ((sh->chains = nftnl_chain_list_alloc()) == NULL ||
	    (sh->sets = nftnl_set_list_alloc()) == NULL)
		return -1;
	if (parse(&s->chains, chain_cb, sh->chains) == -1 ||
	    parse(&s->sets, set_cb, sh->sets) == -1)
		return -1;
	return nftnl_set_list_foreach(sh->sets, parse_elems, &e);
}

static int
count_set(struct nftnl_set *set, void *arg)
{
	(void)set;
	(*(size_t *)arg)++;
	return 0;
}

/* Read what the shadow holds after a run into a shot. */
static int
shot_take(struct replay *rp, struct shot *s)
{
	struct nftnl_set_list	*sets;
	struct each		 e = { rp, s, 0 };
	int			 rv = -1;

	if (dump(rp, NFT_MSG_GETCHAIN, NULL, &s->chains) == -1 ||
	    dump(rp, NFT_MSG_GETRULE, NULL, &s->rules) == -1 ||
	    dump(rp, NFT_MSG_GETSET, NULL, &s->sets) == -1)
		return -1;
	if ((sets = nftnl_set_list_alloc()) == NULL)
		return -1;
	if (parse(&s->sets, set_cb, sets) == 0) {
		nftnl_set_list_foreach(sets, count_set, &s->nelems);
		s->elems = calloc(s->nelems ? s->nelems : 1, sizeof(*s->elems));
		if (s->elems != NULL)
			rv = nftnl_set_list_foreach(sets, take_elems, &e);
	}
	nftnl_set_list_free(sets);
	return rv;
}

/* How to empty the shadow again: maps first, their elements hold the
 * chains. */
static int
shadow_undo(struct replay *rp, struct shadow *sh)
{
	FILE	*f;
	size_t	 len;
	int	 bad;

	if ((f = open_memstream(&rp->undo, &len)) == NULL)
		return -1;
	nftnl_set_list_foreach(sh->sets, undo_map, f);
	nftnl_chain_list_foreach(sh->chains, undo_chain, f);
	bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		free(rp->undo);
		rp->undo = NULL;
		return -1;
	}
	rp->ready = 1;
	return 0;
}

static struct shot *
shot_find(struct replay *rp, const char *text)
{
	size_t	 i;

	for (i = 0; i < NSHOTS; i++)
		if (rp->shots[i].text != NULL &&
		    strcmp(rp->shots[i].text, text) == 0)
			return &rp->shots[i];
	return NULL;
}

/*
 * The shadow is run for a text it has not seen among the last NSHOTS;
 * else what it gave then is parsed again (a VM going back to a chain it
 * was on): the same text gives the same objects.
 */
int
replay_ports(struct replay *rp, const char *skel, const char *text,
    const char *const *keys, size_t nkeys, char *err, size_t errlen)
{
	struct shadow	 sh = { NULL, NULL, NULL };
	struct shot	*s;
	int		 rv = -1;

	if ((s = shot_find(rp, text)) == NULL) {
		s = &rp->shots[rp->nextshot++ % NSHOTS];
		shot_clear(s);
		if (shadow_run(rp, skel, text, err, errlen) == -1)
			return -1;
		if (shot_take(rp, s) == -1 || shot_parse(s, &sh) == -1 ||
		    shadow_undo(rp, &sh) == -1 ||
		    (s->text = strdup(text)) == NULL) {
			snprintf(err, errlen, "replay: reading the shadow: %s",
			    strerror(errno));
			shot_clear(s);
			goto done;
		}
	} else if (shot_parse(s, &sh) == -1) {
		snprintf(err, errlen, "replay: parsing: %s", strerror(errno));
		shot_clear(s);
		goto done;
	}
	if ((rv = replay_batch(rp, &sh, keys, nkeys, err, errlen)) == -1)
		shot_clear(s);
done:
	shadow_free(&sh);
	return rv;
}
