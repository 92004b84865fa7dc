/*
 * Internal to the replay (replay-nft-linux.c: the shadow and what is
 * read back from it; replay-batch-linux.c: the batch to netd's own
 * namespace).
 */
#ifndef REPLAY_LINUX_H
#define REPLAY_LINUX_H

#include <stdint.h>

#include <libnftnl/chain.h>
#include <libnftnl/set.h>

#define FAMILY		NFPROTO_BRIDGE
#define TABLE		"kubsd"
#define RECVSZ		(64 * 1024)

#define NSHOTS		8

struct mnl_socket;
struct nft_ctx;

struct rbuf {
	char			*b;
	size_t			 len;
};

/* What the shadow gave for a text: its dumps, as the kernel sent them. */
struct shot {
	char			*text;		/* NULL: unused */
	struct rbuf		 chains, rules, sets;
	struct rbuf		*elems;		/* per set of the set dump */
	size_t			 nelems;
};

struct replay {
	int			 shadow;	/* the namespace */
	struct nft_ctx		*nft;		/* runs in the shadow */
	struct mnl_socket	*snl;		/* the shadow's nf_tables */
	struct mnl_socket	*hnl;		/* netd's own */
	uint32_t		 seq;
	uint32_t		 setid;
	char			*rbuf;
	int			 ready;		/* the shadow has the skeleton */
	char			*undo;		/* what empties it again */
	struct shot		 shots[NSHOTS];
	unsigned		 nextshot;
};

/* What the shadow holds after the text, read back. */
struct shadow {
	struct nftnl_chain_list	*chains;
	struct nftnl_set_list	*sets;
	const struct rbuf	*rules;		/* the dump's bytes */
};

/* Send what the shadow holds (replay-batch-linux.c); keys as in
 * replay_ports(). */
int	replay_batch(struct replay *, struct shadow *, const char *const *,
	    size_t, char *, size_t);

#endif
