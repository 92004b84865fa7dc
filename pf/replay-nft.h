/*
 * A VM's rules loaded without libnftables' cache of the running ruleset
 * (replay-nft-linux.c, for load-nft-linux.c).  -1 is never final: the
 * caller loads the text the usual way.
 */
#ifndef REPLAY_NFT_H
#define REPLAY_NFT_H

#include <stddef.h>

struct replay;

struct replay	*replay_open(void);
void		 replay_close(struct replay *);

/*
 * skel: "table bridge kubsd { ... }" with the named sets and maps the
 * ports use; text: the ports' chains, rules and map elements (nftables
 * text both).  keys: the ports' interfaces, whose elements in the
 * running maps go.
 */
int		 replay_ports(struct replay *, const char *skel,
		    const char *text, const char *const *keys, size_t nkeys,
		    char *err, size_t errlen);

#endif
