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

/* Addresses, networks and small name tables shared by every layer. */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"

/* "10.0.0.1", "10.0.0.0/8", "fd00::/64"; the host bits are kept. */
int
kaddr_parse(const char *s, struct kaddr *ka)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash, *ep;
	long		 len;
	int		 max;

	if (strlen(s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	memset(ka, 0, sizeof(*ka));
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, &ka->a.v4) == 1) {
		ka->af = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, &ka->a.v6) == 1) {
		ka->af = AF_INET6;
		max = 128;
	} else
		return -1;
	ka->prefixlen = max;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9')
			return -1;
		len = strtol(slash, &ep, 10);
		if (*ep != '\0' || len < 0 || len > max)
			return -1;
		ka->prefixlen = (int)len;
	}
	return 0;
}

static int
addr_bits(const struct kaddr *ka)
{
	return ka->af == AF_INET ? 32 : 128;
}

/* Do the first len bits of a and b agree? */
static int
prefix_equal(const struct kaddr *a, const struct kaddr *b, int len)
{
	int	 i;

	for (i = 0; i < len / 8; i++)
		if (a->a.bytes[i] != b->a.bytes[i])
			return 0;
	if (len % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - len % 8));
		if ((a->a.bytes[i] & m) != (b->a.bytes[i] & m))
			return 0;
	}
	return 1;
}

/* Is b (a host or network) inside network a? */
int
kaddr_contains(const struct kaddr *a, const struct kaddr *b)
{
	if (a->af != b->af || b->prefixlen < a->prefixlen)
		return 0;
	return prefix_equal(a, b, a->prefixlen);
}

int
kaddr_overlaps(const struct kaddr *a, const struct kaddr *b)
{
	if (a->af != b->af)
		return 0;
	return prefix_equal(a, b,
	    a->prefixlen < b->prefixlen ? a->prefixlen : b->prefixlen);
}

/* Clear the host bits. */
void
kaddr_mask(struct kaddr *ka)
{
	int	 i, bits = addr_bits(ka);

	for (i = ka->prefixlen; i < bits; i++)
		ka->a.bytes[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

const char *
kaddr_host(const struct kaddr *ka, char *buf, size_t len)
{
	if (inet_ntop(ka->af, ka->a.bytes, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

const char *
kaddr_str(const struct kaddr *ka, char *buf, size_t len)
{
	char	 h[INET6_ADDRSTRLEN];

	kaddr_host(ka, h, sizeof(h));
	if (ka->prefixlen == addr_bits(ka))
		snprintf(buf, len, "%s", h);
	else
		snprintf(buf, len, "%s/%d", h, ka->prefixlen);
	return buf;
}

const char *
mac_str(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
	    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

const char *
role_name(enum role r)
{
	switch (r) {
	case ROLE_TOR:		return "tor";
	case ROLE_WIREGUARD:	return "wireguard";
	case ROLE_SYSNET:	return "sys-net";
	default:		return "none";
	}
}

const char *
restart_name(enum restart r)
{
	switch (r) {
	case RESTART_ON_FAILURE:	return "on-failure";
	case RESTART_ALWAYS:		return "always";
	default:			return "no";
	}
}

const char *
kind_name(enum node_kind k)
{
	switch (k) {
	case NODE_UPLINK:	return "uplink";
	case NODE_GATEWAY:	return "gateway";
	default:		return "vm";
	}
}

const char *
proto_name(int p)
{
	switch (p) {
	case IPPROTO_TCP:	return "tcp";
	case IPPROTO_UDP:	return "udp";
	case IPPROTO_ICMP:	return "icmp";
	case IPPROTO_ICMPV6:	return "icmp6";
	default:		return "any";
	}
}

/* FNV-1a: stable across hosts and runs, which allocation relies on. */
uint32_t
name_hash(const char *s, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

/* The network namespace of a compartment: "kubsd-NAME". */
void
compartment_netns(const char *node, char *buf, size_t len)
{
	snprintf(buf, len, "kubsd-%s", node);
}
