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
 * kubsd-guest -n: what applying the bundle would do, one step a line,
 * in the order apply-linux.c and the roles do it.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "guest.h"

static void
plan_if(FILE *fp, const struct bif *bi)
{
	char	 a[KADDR_STRLEN];

	if (bi->lineno)
		fprintf(fp, "address %s %s\n", bi->ifname,
		    kaddr_str(&bi->addr, a, sizeof(a)));
}

static void
plan_tunnel(FILE *fp, const struct bundle *b, const char *dir)
{
	char	*argv[8];
	size_t	 i;

	wg_argv(b, argv, 8);
	fprintf(fp, "run");
	for (i = 0; argv[i] != NULL; i++)
		fprintf(fp, " %s", argv[i]);
	fprintf(fp, "\n");
	fprintf(fp, "run wg setconf %s %s/wg.conf\n", b->tunnel.ifname, dir);
	fprintf(fp, "sysctl net/ipv6/conf/%s/disable_ipv6 1\n",
	    b->tunnel.ifname);
	plan_if(fp, &b->tunnel);
	fprintf(fp, "up %s\n", b->tunnel.ifname);
	fprintf(fp, "route default dev %s\n", b->tunnel.ifname);
}

static void
plan_tor(FILE *fp, const struct bundle *b, const char *dir)
{
	char	*argv[16], buf[3 * PATH_MAX + 64];
	size_t	 i;

	tor_argv(b, dir, argv, 16, buf, sizeof(buf));
	fprintf(fp, "directory %s/tor-data mode 0700 owner %s\n", dir,
	    tor_user() ? GUEST_TOR_USER : "root");
	fprintf(fp, "run");
	for (i = 0; argv[i] != NULL; i++)
		fprintf(fp, strchr(argv[i], ' ') ? " \"%s\"" : " %s", argv[i]);
	fprintf(fp, "\n");
}

void
bundle_plan(FILE *fp, const struct bundle *b, const char *dir)
{
	char	 a[KADDR_STRLEN], h[KADDR_STRLEN];
	size_t	 i;
	int	 fwd6;

	fprintf(fp, "bundle %s role %s\n", b->name, role_name(b->role));
	fprintf(fp, "firewall %s/rules.nft replaces table %s\n", dir,
	    GUEST_TABLE);
	fprintf(fp, "sysctl net/ipv4/ip_forward %d\n",
	    b->role == ROLE_TOR ? 0 : 1);
	fwd6 = b->role != ROLE_TOR && b->up6.lineno && b->down6.lineno;
	fprintf(fp, "sysctl net/ipv6/conf/all/forwarding %d\n", fwd6);
	fprintf(fp, "sysctl net/ipv6/conf/%s/disable_ipv6 %d\n", b->up.ifname,
	    b->up6.lineno ? 0 : 1);
	fprintf(fp, "sysctl net/ipv6/conf/%s/disable_ipv6 %d\n",
	    b->down.ifname, b->down6.lineno ? 0 : 1);
	fprintf(fp, "up lo\n");
	plan_if(fp, &b->up);
	plan_if(fp, &b->up6);
	fprintf(fp, "up %s\n", b->up.ifname);
	plan_if(fp, &b->down);
	plan_if(fp, &b->down6);
	fprintf(fp, "up %s\n", b->down.ifname);
	if (b->role == ROLE_WIREGUARD) {
		for (i = 0; i < b->nendpoints; i++) {
			const struct bendpoint *e = &b->endpoints[i];
			const struct bif *u = e->addr.af == AF_INET ?
			    &b->up : &b->up6;

			fprintf(fp, "route %s via %s dev %s\n",
			    kaddr_str(&e->addr, a, sizeof(a)),
			    kaddr_host(&u->nexthop, h, sizeof(h)), u->ifname);
		}
		fprintf(fp, "delete default routes not via %s\n",
		    b->tunnel.ifname);
	} else {
		fprintf(fp, "route default via %s dev %s\n",
		    kaddr_host(&b->up.nexthop, h, sizeof(h)), b->up.ifname);
		if (b->up6.lineno)
			fprintf(fp, "route default via %s dev %s\n",
			    kaddr_host(&b->up6.nexthop, h, sizeof(h)),
			    b->up6.ifname);
	}
	if (b->resolver.af != 0)
		fprintf(fp, "resolver %s\n",
		    kaddr_host(&b->resolver, h, sizeof(h)));
	for (i = 0; i < b->nclients; i++)
		fprintf(fp, "client %s %s %s\n", b->clients[i].name,
		    kaddr_host(&b->clients[i].addr, a, sizeof(a)),
		    mac_str(b->clients[i].mac, h, sizeof(h)));
	if (b->role == ROLE_WIREGUARD)
		plan_tunnel(fp, b, dir);
	else if (b->role == ROLE_TOR)
		plan_tor(fp, b, dir);
	switch (b->ready) {
	case READY_TOR:
		fprintf(fp, "ready when tor has bootstrapped 100%%\n");
		break;
	case READY_WG:
		fprintf(fp, "ready when a handshake is at most %d s old\n",
		    GUEST_WG_FRESH);
		break;
	default:
		fprintf(fp, "ready when applied\n");
		break;
	}
}
