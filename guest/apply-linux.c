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
 * Applying a bundle on Linux, in the namespace kubsd-guest runs in:
 * the firewall through libnftables, sysctls, and addresses and routes
 * through the link backend (netd/link.h, libmnl).  Every step replaces
 * what an earlier apply made, so applying twice changes nothing.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "guest.h"
#include "link.h"
#include "log.h"

/* The transaction starts by removing the table, whatever rules.nft says. */
static const char fw_head[] =
    "table " GUEST_TABLE "\n"
    "delete table " GUEST_TABLE "\n";

/*
 * nft's message, one line: from "rules.nft:LINE:COL:" on when it names
 * a place in the file, else its first line.
 */
static void
nft_message(const char *buf, char *err, size_t len)
{
	const char	*p;
	size_t		 n;

	if ((p = strstr(buf, "/rules.nft:")) != NULL)
		p++;
	else
		p = buf;
	n = strcspn(p, "\n");
	if (n == 0)
		snprintf(err, len, "rules.nft: nft failed");
	else if (p == buf)
		snprintf(err, len, "rules.nft: %.*s", (int)n, p);
	else
		snprintf(err, len, "%.*s", (int)n, p);
}

int
apply_firewall(const char *dir, int check, char *err, size_t errlen)
{
	struct nft_ctx	*nft;
	char		 path[4096], real[PATH_MAX], *buf;
	int		 rv;

	snprintf(path, sizeof(path), "%s/rules.nft", dir);
	if (realpath(path, real) == NULL) {
		snprintf(err, errlen, "rules.nft: %s", strerror(errno));
		return -1;
	}
	if (strpbrk(real, "\"\n") != NULL) {
		snprintf(err, errlen, "rules.nft: a path with '\"' in it");
		return -1;
	}
	/* nft names the file and line of an error in an included file. */
	if (asprintf(&buf, "%sinclude \"%s\"\n", fw_head, real) == -1)
		fatal("asprintf");
	if ((nft = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		free(buf);
		snprintf(err, errlen, "nft_ctx_new failed");
		return -1;
	}
	nft_ctx_buffer_error(nft);
	nft_ctx_buffer_output(nft);
	if (check)
		nft_ctx_set_dry_run(nft, true);
	if ((rv = nft_run_cmd_from_buffer(nft, buf)) != 0)
		nft_message(nft_ctx_get_error_buffer(nft), err, errlen);
	nft_ctx_free(nft);
	free(buf);
	return rv == 0 ? 0 : -1;
}

/* A sysctl; for IPv6 "off" also holds where the kernel has no IPv6. */
static int
set_sysctl(const char *path, const char *value, char *err, size_t len)
{
	char	 cur[64];

	if (link_sysctl_get(NULL, path, cur, sizeof(cur)) == 0 &&
	    strcmp(cur, value) == 0)
		return 0;
	if (link_sysctl_set(NULL, path, value) == 0)
		return 0;
	if (errno == ENOENT && strncmp(path, "net/ipv6/", 9) == 0 &&
	    ((strstr(path, "disable_ipv6") && strcmp(value, "1") == 0) ||
	    (strstr(path, "forwarding") && strcmp(value, "0") == 0)))
		return 0;
	snprintf(err, len, "sysctl %s=%s: %s", path, value, strerror(errno));
	return -1;
}

static int
sysctl_if(const char *ifname, int disable6, char *err, size_t len)
{
	char	 path[128];

	snprintf(path, sizeof(path), "net/ipv6/conf/%s/disable_ipv6", ifname);
	return set_sysctl(path, disable6 ? "1" : "0", err, len);
}

static int
lfail(struct link_ctx *ctx, char *err, size_t len)
{
	snprintf(err, len, "%s", link_error(ctx));
	link_close(ctx);
	return -1;
}

/* An interface up with its addresses (af 0: none). */
static int
iface(struct link_ctx *ctx, const struct bif *bi, const struct bif *bi6)
{
	if (bi->lineno && link_addr_add(ctx, bi->ifname, &bi->addr) == -1)
		return -1;
	if (bi6 != NULL && bi6->lineno &&
	    link_addr_add(ctx, bi6->ifname, &bi6->addr) == -1)
		return -1;
	return link_set_up(ctx, bi->ifname, 1);
}

int
apply_net(const struct bundle *b, char *err, size_t len)
{
	struct link_ctx	*ctx;
	struct kaddr	 host;
	const struct bif *u;
	size_t		 i;
	int		 fwd6;

	fwd6 = b->role != ROLE_TOR && b->up6.lineno && b->down6.lineno;
	if (set_sysctl("net/ipv4/ip_forward", b->role == ROLE_TOR ? "0" : "1",
	    err, len) == -1 ||
	    set_sysctl("net/ipv6/conf/all/forwarding", fwd6 ? "1" : "0", err,
	    len) == -1 ||
	    sysctl_if(b->up.ifname, !b->up6.lineno, err, len) == -1 ||
	    sysctl_if(b->down.ifname, !b->down6.lineno, err, len) == -1)
		return -1;
	if ((ctx = link_open(NULL)) == NULL) {
		snprintf(err, len, "netlink: %s", strerror(errno));
		return -1;
	}
	if (link_set_up(ctx, "lo", 1) == -1 ||
	    iface(ctx, &b->up, &b->up6) == -1 ||
	    iface(ctx, &b->down, &b->down6) == -1)
		return lfail(ctx, err, len);
	if (b->role == ROLE_WIREGUARD) {
		for (i = 0; i < b->nendpoints; i++) {
			host = b->endpoints[i].addr;
			u = host.af == AF_INET ? &b->up : &b->up6;
			if (link_route_add(ctx, &host, &u->nexthop,
			    u->ifname) == -1)
				return lfail(ctx, err, len);
		}
		link_close(ctx);
		/* The kill switch: out through the tunnel, or nowhere. */
		if (link_route_flush_default(AF_INET, b->tunnel.ifname, err,
		    len) == -1 ||
		    link_route_flush_default(AF_INET6, b->tunnel.ifname, err,
		    len) == -1)
			return -1;
		return 0;
	}
	if (link_route_add(ctx, NULL, &b->up.nexthop, b->up.ifname) == -1 ||
	    (b->up6.lineno && link_route_add(ctx, NULL, &b->up6.nexthop,
	    b->up6.ifname) == -1))
		return lfail(ctx, err, len);
	link_close(ctx);
	return 0;
}

int
apply_tunnel(const struct bundle *b, char *err, size_t len)
{
	struct link_ctx	*ctx;
	struct kaddr	 any;

	if (sysctl_if(b->tunnel.ifname, 1, err, len) == -1)
		return -1;
	if ((ctx = link_open(NULL)) == NULL) {
		snprintf(err, len, "netlink: %s", strerror(errno));
		return -1;
	}
	memset(&any, 0, sizeof(any));
	any.af = AF_INET;
	if (iface(ctx, &b->tunnel, NULL) == -1 ||
	    link_route_add(ctx, &any, NULL, b->tunnel.ifname) == -1)
		return lfail(ctx, err, len);
	link_close(ctx);
	return 0;
}
