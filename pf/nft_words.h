/*
 * Writing one nft rule word by word (nft_words.c): shared by the host's
 * bridge rules (emit_nft_rule.c) and the guests' inet rules (guest_nft.c).
 */
#ifndef NFT_WORDS_H
#define NFT_WORDS_H

#include <stdio.h>

struct kport_list;
struct raddrs;

struct line {
	FILE	*f;
	int	 n;		/* words so far: the first is indented */
};

void	word(struct line *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* "ip saddr [!=] ADDR|{ A, B }": nothing for an empty list */
void	nft_addrs(struct line *, const char *ip, const char *which,
	    const struct raddrs *);
/* "th dport P|{ P, LO-HI }": nothing for an empty list */
void	nft_ports(struct line *, const char *which,
	    const struct kport_list *);

#endif
