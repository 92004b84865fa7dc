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
 * bundle.conf, the facts of a role bundle: one "key value..." per line,
 * '#' to the end of a line is a comment.  Strict: the first unknown key
 * or bad value is "bundle.conf:LINE: message" in the caller's buffer,
 * and nothing is returned.  The keys and their meaning are in guest/README.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "bundle_rd.h"

#define MAXTOK		8
#define MAXLINE		1024

struct key {
	const char	*name;
	int		 nargs;		/* values */
	const char	*args;		/* for the message */
	int		 (*fn)(struct rd *, char **);
	int		 multi;
};

static int
verr(struct rd *rd, int lineno, const char *fmt, va_list ap)
{
	int	 n;

	if (lineno > 0)
		n = snprintf(rd->err, rd->errlen, "%s:%d: ", BFILE, lineno);
	else
		n = snprintf(rd->err, rd->errlen, "%s: ", BFILE);
	if (n >= 0 && (size_t)n < rd->errlen)
		vsnprintf(rd->err + n, rd->errlen - (size_t)n, fmt, ap);
	return -1;
}

static int
bad(struct rd *rd, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	verr(rd, rd->lineno, fmt, ap);
	va_end(ap);
	return -1;
}

int
badat(struct rd *rd, int lineno, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	verr(rd, lineno, fmt, ap);
	va_end(ap);
	return -1;
}

static int
name_ok(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n >= GUEST_NAMELEN)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return 0;
	return 1;
}

static int
get_ifname(struct rd *rd, const char *s, char *out)
{
	size_t	 n = strlen(s);

	if (n == 0 || n >= KUBSD_IFNAMSIZ || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0 || strpbrk(s, "/:") != NULL)
		return bad(rd, "invalid interface name \"%s\"", s);
	memcpy(out, s, n + 1);
	return 0;
}

/* af 0: either; prefix 1: ADDR/LEN required, 0: a bare address. */
static int
get_addr(struct rd *rd, const char *s, int af, int prefix, struct kaddr *ka)
{
	if (kaddr_parse(s, ka) == -1)
		return bad(rd, "invalid address \"%s\"", s);
	if (af != 0 && ka->af != af)
		return bad(rd, "\"%s\" is not an %s address", s,
		    af == AF_INET ? "IPv4" : "IPv6");
	if (prefix && strchr(s, '/') == NULL)
		return bad(rd, "address \"%s\" needs a prefix length", s);
	if (!prefix && strchr(s, '/') != NULL)
		return bad(rd, "\"%s\": a host address has no prefix length",
		    s);
	return 0;
}

static int
k_name(struct rd *rd, char **v)
{
	if (!name_ok(v[0]))
		return bad(rd, "invalid name \"%s\"", v[0]);
	snprintf(rd->b->name, sizeof(rd->b->name), "%s", v[0]);
	return 0;
}

static int
k_role(struct rd *rd, char **v)
{
	if (strcmp(v[0], "tor") == 0)
		rd->b->role = ROLE_TOR;
	else if (strcmp(v[0], "wireguard") == 0)
		rd->b->role = ROLE_WIREGUARD;
	else if (strcmp(v[0], "sys-net") == 0)
		rd->b->role = ROLE_SYSNET;
	else
		return bad(rd, "invalid role \"%s\" (tor, wireguard or sys-net)",
		    v[0]);
	return 0;
}

static int
iface(struct rd *rd, char **v, int af, int hop, struct bif *bi)
{
	char	 net[KADDR_STRLEN], h[KADDR_STRLEN];

	if (get_ifname(rd, v[0], bi->ifname) == -1 ||
	    get_addr(rd, v[1], af, 1, &bi->addr) == -1)
		return -1;
	if (hop) {
		if (get_addr(rd, v[2], af, 0, &bi->nexthop) == -1)
			return -1;
		if (!kaddr_contains(&bi->addr, &bi->nexthop)) {
			struct kaddr n = bi->addr;

			kaddr_mask(&n);
			return bad(rd, "next hop %s is not on %s's network %s",
			    kaddr_host(&bi->nexthop, h, sizeof(h)), bi->ifname,
			    kaddr_str(&n, net, sizeof(net)));
		}
		if (memcmp(bi->nexthop.a.bytes, bi->addr.a.bytes, 16) == 0)
			return bad(rd, "next hop %s is %s's own address",
			    kaddr_host(&bi->nexthop, h, sizeof(h)), bi->ifname);
	}
	bi->lineno = rd->lineno;
	return 0;
}

static int
k_up(struct rd *rd, char **v)
{
	return iface(rd, v, AF_INET, 1, &rd->b->up);
}

static int
k_down(struct rd *rd, char **v)
{
	return iface(rd, v, AF_INET, 0, &rd->b->down);
}

static int
k_up6(struct rd *rd, char **v)
{
	return iface(rd, v, AF_INET6, 1, &rd->b->up6);
}

static int
k_down6(struct rd *rd, char **v)
{
	return iface(rd, v, AF_INET6, 0, &rd->b->down6);
}

static int
k_tunnel(struct rd *rd, char **v)
{
	return iface(rd, v, AF_INET, 0, &rd->b->tunnel);
}

static int
k_resolver(struct rd *rd, char **v)
{
	return get_addr(rd, v[0], 0, 0, &rd->b->resolver);
}

static int
k_endpoint(struct rd *rd, char **v)
{
	struct bundle	*b = rd->b;
	struct bendpoint e;
	char		*ep;
	long		 port;

	memset(&e, 0, sizeof(e));
	if (get_addr(rd, v[0], 0, 0, &e.addr) == -1)
		return -1;
	errno = 0;
	port = strtol(v[1], &ep, 10);
	if (!isdigit((unsigned char)v[1][0]) || *ep != '\0' || errno != 0 ||
	    port < 1 || port > 65535)
		return bad(rd, "invalid port \"%s\"", v[1]);
	e.port = (uint16_t)port;
	e.lineno = rd->lineno;
	b->endpoints = xreallocarray(b->endpoints, b->nendpoints + 1,
	    sizeof(e));
	b->endpoints[b->nendpoints++] = e;
	return 0;
}

static int
get_mac(const char *s, uint8_t mac[6])
{
	unsigned int	 m[6];
	int		 i, n = 0;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n",
	    &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &n) != 6 || n != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) ||
		    !isxdigit((unsigned char)s[i * 3 + 1]))
			return -1;
		mac[i] = (uint8_t)m[i];
	}
	return (mac[0] & 1) ? -1 : 0;	/* not multicast */
}

static int
k_client(struct rd *rd, char **v)
{
	struct bundle	*b = rd->b;
	struct bclient	 c;
	size_t		 i;

	memset(&c, 0, sizeof(c));
	if (!name_ok(v[0]))
		return bad(rd, "invalid client name \"%s\"", v[0]);
	snprintf(c.name, sizeof(c.name), "%s", v[0]);
	if (get_addr(rd, v[1], AF_INET, 0, &c.addr) == -1)
		return -1;
	if (get_mac(v[2], c.mac) == -1)
		return bad(rd, "invalid MAC address \"%s\"", v[2]);
	for (i = 0; i < b->nclients; i++)
		if (strcmp(b->clients[i].name, c.name) == 0)
			return bad(rd, "client \"%s\" already on line %d",
			    c.name, b->clients[i].lineno);
	c.lineno = rd->lineno;
	b->clients = xreallocarray(b->clients, b->nclients + 1, sizeof(c));
	b->clients[b->nclients++] = c;
	return 0;
}

static int
k_ready(struct rd *rd, char **v)
{
	if (strcmp(v[0], "tor-bootstrap") == 0)
		rd->b->ready = READY_TOR;
	else if (strcmp(v[0], "wg-handshake") == 0)
		rd->b->ready = READY_WG;
	else if (strcmp(v[0], "applied") == 0)
		rd->b->ready = READY_APPLIED;
	else
		return bad(rd, "invalid ready \"%s\" (tor-bootstrap, "
		    "wg-handshake or applied)", v[0]);
	return 0;
}

/* In the order of guest/README.md; index = seen[] slot. */
static const struct key keys[] = {
	{ "name",	 1, "a name",				k_name, 0 },
	{ "role",	 1, "a role",				k_role, 0 },
	{ "upstream",	 3, "interface, address and next hop",	k_up, 0 },
	{ "downstream",	 2, "interface and address",		k_down, 0 },
	{ "upstream6",	 3, "interface, address and next hop",	k_up6, 0 },
	{ "downstream6", 2, "interface and address",		k_down6, 0 },
	{ "resolver",	 1, "an address",			k_resolver, 0 },
	{ "tunnel",	 2, "interface and address",		k_tunnel, 0 },
	{ "endpoint",	 2, "address and port",			k_endpoint, 1 },
	{ "client",	 3, "name, address and MAC address",	k_client, 1 },
	{ "ready",	 1, "a readiness rule",			k_ready, 0 },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS == K_COUNT, "keys[] and enum bkey differ");

const char *
bkey_name(enum bkey k)
{
	return (size_t)k < NKEYS ? keys[k].name : "?";
}

static int
parse_line(struct rd *rd, char *line)
{
	char		*tok[MAXTOK + 1], *p;
	const struct key *k = NULL;
	size_t		 i;
	int		 n = 0;

	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	for (p = strtok(line, " \t\r\n"); p != NULL; p = strtok(NULL, " \t\r\n"))
		if (n <= MAXTOK)
			tok[n++] = p;
	if (n == 0)
		return 0;
	for (i = 0; i < NKEYS; i++)
		if (strcmp(tok[0], keys[i].name) == 0)
			k = &keys[i];
	if (k == NULL)
		return bad(rd, "unknown key \"%s\"", tok[0]);
	i = (size_t)(k - keys);
	if (!k->multi && rd->seen[i])
		return bad(rd, "%s already given on line %d", k->name,
		    rd->seen[i]);
	if (n - 1 != k->nargs)
		return bad(rd, "%s takes %s", k->name, k->args);
	rd->seen[i] = rd->lineno;
	return k->fn(rd, tok + 1);
}

struct bundle *
bundle_read(const char *dir, char *err, size_t errlen)
{
	struct rd	 rd;
	char		 path[4096], *line = NULL;
	size_t		 cap = 0;
	ssize_t		 len;
	FILE		*fp;
	int		 rv = 0;

	memset(&rd, 0, sizeof(rd));
	rd.err = err;
	rd.errlen = errlen;
	snprintf(path, sizeof(path), "%s/%s", dir, BFILE);
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	rd.b = xcalloc(1, sizeof(*rd.b));
	while (rv == 0 && (len = getline(&line, &cap, fp)) != -1) {
		rd.lineno++;
		if ((size_t)len != strlen(line))
			rv = bad(&rd, "NUL byte in line");
		else if (len > MAXLINE)
			rv = bad(&rd, "line too long");
		else
			rv = parse_line(&rd, line);
	}
	if (rv == 0 && ferror(fp))
		rv = badat(&rd, 0, "%s", strerror(errno));
	free(line);
	fclose(fp);
	if (rv == 0)
		rv = bundle_check(&rd);
	if (rv == -1) {
		bundle_free(rd.b);
		return NULL;
	}
	return rd.b;
}

void
bundle_free(struct bundle *b)
{
	if (b == NULL)
		return;
	free(b->endpoints);
	free(b->clients);
	free(b);
}

const char *
ready_name(enum ready r)
{
	switch (r) {
	case READY_TOR:		return "tor-bootstrap";
	case READY_WG:		return "wg-handshake";
	case READY_APPLIED:	return "applied";
	default:		return "none";
	}
}

const char *
bundle_daemon_file(const struct bundle *b)
{
	switch (b->role) {
	case ROLE_TOR:		return "torrc";
	case ROLE_WIREGUARD:	return "wg.conf";
	default:		return NULL;
	}
}
