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
 * Writing one nft rule word by word (nft_words.c): shared by the host's
 * bridge rules (emit_nft_rule.c) and the guests' inet rules (gwfw_nft.c).
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
