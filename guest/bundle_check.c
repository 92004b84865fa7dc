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
 * bundle.conf as a whole: the lines it must have, and the lines that
 * must agree with each other (role and ready, the tunnel, addresses).
 */
#include <string.h>

#include "guest.h"
#include "bundle_rd.h"

static int
only_for(struct rd *rd, enum bkey key, enum role want)
{
	if (rd->seen[key] && rd->b->role != want)
		return badat(rd, rd->seen[key], "%s is only for role %s",
		    bkey_name(key), role_name(want));
	return 0;
}

int
bundle_check(struct rd *rd)
{
	struct bundle	*b = rd->b;
	static const enum bkey required[] = { K_NAME, K_ROLE, K_UP, K_DOWN, K_READY };
	static const enum ready want[] = {
		[ROLE_TOR] = READY_TOR, [ROLE_WIREGUARD] = READY_WG,
		[ROLE_SYSNET] = READY_APPLIED };
	char		 h[KADDR_STRLEN];
	size_t		 i, j;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!rd->seen[required[i]])
			return badat(rd, 0, "no %s line", bkey_name(required[i]));
	if (b->ready != want[b->role])
		return badat(rd, rd->seen[K_READY], "ready %s does not fit role %s "
		    "(%s)", ready_name(b->ready), role_name(b->role),
		    ready_name(want[b->role]));
	if (only_for(rd, K_TUNNEL, ROLE_WIREGUARD) == -1 ||
	    only_for(rd, K_ENDPOINT, ROLE_WIREGUARD) == -1)
		return -1;
	if (b->role == ROLE_WIREGUARD && !rd->seen[K_TUNNEL])
		return badat(rd, 0, "no tunnel line (role wireguard)");
	if (strcmp(b->up.ifname, b->down.ifname) == 0)
		return badat(rd, rd->seen[K_DOWN], "downstream %s is also upstream",
		    b->down.ifname);
	if (b->tunnel.lineno && (strcmp(b->tunnel.ifname, b->up.ifname) == 0 ||
	    strcmp(b->tunnel.ifname, b->down.ifname) == 0))
		return badat(rd, b->tunnel.lineno, "tunnel %s is also upstream or "
		    "downstream", b->tunnel.ifname);
	if (b->up6.lineno && strcmp(b->up6.ifname, b->up.ifname) != 0)
		return badat(rd, b->up6.lineno, "upstream6 %s is not upstream %s",
		    b->up6.ifname, b->up.ifname);
	if (b->down6.lineno && strcmp(b->down6.ifname, b->down.ifname) != 0)
		return badat(rd, b->down6.lineno, "downstream6 %s is not "
		    "downstream %s", b->down6.ifname, b->down.ifname);
	for (i = 0; i < b->nendpoints; i++) {
		if (b->endpoints[i].addr.af == AF_INET6 && !b->up6.lineno)
			return badat(rd, b->endpoints[i].lineno, "endpoint %s: "
			    "IPv6, but no upstream6",
			    kaddr_host(&b->endpoints[i].addr, h, sizeof(h)));
	}
	for (i = 0; i < b->nclients; i++) {
		if (!kaddr_contains(&b->down.addr, &b->clients[i].addr))
			return badat(rd, b->clients[i].lineno, "client %s: %s is "
			    "not on the downstream network", b->clients[i].name,
			    kaddr_host(&b->clients[i].addr, h, sizeof(h)));
		for (j = 0; j < i; j++)
			if (memcmp(&b->clients[j].addr, &b->clients[i].addr,
			    sizeof(struct kaddr)) == 0)
				return badat(rd, b->clients[i].lineno, "client %s:"
				    " address %s already client %s's",
				    b->clients[i].name, kaddr_host(
				    &b->clients[i].addr, h, sizeof(h)),
				    b->clients[j].name);
	}
	return 0;
}
