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
 * hostname.if(5) files for kubsd's interfaces on OpenBSD: a tap(4) per
 * VM port, a veb(4) per segment with link1 (so pf sees the bridged
 * traffic), a vport(4) with the host's address on uplink segments only.
 * Each veb port: -learn -discover, a static entry for its one MAC,
 * locked (nothing else may send from it), blocknonip, MAC/ARP rules
 * (first match wins; flushrule first, so that running the file again,
 * as kubsd-netd does at each start and reload, replaces them), and clients in protected domain 1, so they reach
 * only their gateway (or on an uplink, the host) and never each other.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"
#include "openbsd.h"

#define OBSD_PROTECTED	1	/* the clients' protected domain */

/* A hostname.if file's text, begun: kubsd's name and group. */
static FILE *
hn_open(char **buf, size_t *len, const char *descr)
{
	FILE	*f = obsd_text_open(buf, len);

	fprintf(f, "description \"%s\"\n", descr);
	fprintf(f, "group %s\n", KUBSD_IFGROUP_NAME);
	return f;
}

/* The file step /etc/hostname.UNIT, written by kubsd-netd. */
static void
hn_close(struct obsd_plan *p, FILE *f, char **buf, const char *unit)
{
	char	 path[64];

	fclose(f);
	snprintf(path, sizeof(path), "/etc/hostname.%s", unit);
	obsd_plan_file(p, path, path, *buf);
}

/* The dotted netmask of a prefix length, for hostname.if's inet line. */
static const char *
hn_mask(int prefixlen, char *buf, size_t len)
{
	uint32_t	 m = prefixlen == 0 ? 0 :
			    0xffffffffu << (32 - prefixlen);

	snprintf(buf, len, "%u.%u.%u.%u", m >> 24, (m >> 16) & 0xff,
	    (m >> 8) & 0xff, m & 0xff);
	return buf;
}

/* One port of a veb: its MAC and IPv4 address are all it may use. */
static void
hn_port(FILE *f, const char *tap, const uint8_t mac[6],
    const struct kaddr *ip, int protect)
{
	char	 m[32], a[KADDR_STRLEN];

	mac_str(mac, m, sizeof(m));
	fprintf(f, "add %s\n", tap);
	fprintf(f, "-learn %s\n-discover %s\n", tap, tap);
	fprintf(f, "static %s %s\n", tap, m);
	fprintf(f, "locked %s\n", tap);
	fprintf(f, "blocknonip %s\n", tap);
	if (protect)
		fprintf(f, "protected %s %d\n", tap, OBSD_PROTECTED);
	/* the rules replace any a previous run left (they would add up) */
	fprintf(f, "flushrule %s\n", tap);
	if (ip != NULL && ip->af == AF_INET) {
		kaddr_host(ip, a, sizeof(a));
		fprintf(f, "rule pass in on %s src %s arp sha %s spa %s\n",
		    tap, m, m, a);
	}
	fprintf(f, "rule block in on %s arp\n", tap);
	fprintf(f, "rule pass in on %s src %s\n", tap, m);
	fprintf(f, "rule block in on %s\n", tap);
}

/* The nodes whose upstream is seg's owner: the segment's clients. */
static void
hn_clients(FILE *f, const struct netd_config *conf,
    const struct obsd_units *u, const struct node *owner)
{
	const struct node	*n;
	const char		*tap;

	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->up != owner || n->kind == NODE_UPLINK ||
		    (tap = obsd_unit(u, OBSD_TAP, n->port_if)) == NULL)
			continue;
		hn_port(f, tap, n->mac, &n->addr, 1);
	}
}

/* The veb of a segment; NULL if its owner has none. */
static const char *
hn_vebunit(const struct obsd_units *u, const struct node *owner)
{
	return owner->kind == NODE_VM ? NULL :
	    obsd_unit(u, OBSD_VEB, owner->bridge_if);
}

/* A segment's veb: its vport or gateway port, its clients' ports. */
char *
obsd_veb_text(const struct netd_config *conf, const struct obsd_units *u,
    const struct node *owner)
{
	const char	*p;
	char		*buf;
	size_t		 len;
	FILE		*f = hn_open(&buf, &len, owner->bridge_if);

	if (owner->kind == NODE_UPLINK &&
	    (p = obsd_unit(u, OBSD_VPORT, owner->bridge_if)) != NULL)
		fprintf(f, "add %s\n", p);
	if (owner->kind == NODE_GATEWAY &&
	    (p = obsd_unit(u, OBSD_TAP, owner->down_if)) != NULL)
		hn_port(f, p, owner->down_mac, owner->seg != NULL ?
		    &owner->seg->gw : NULL, 0);
	hn_clients(f, conf, u, owner);
	fprintf(f, "link1\nup\n");
	fclose(f);
	return buf;
}

/* The veb a node's port is on (its upstream's segment); NULL: none. */
const char *
obsd_node_veb(const struct obsd_units *u, const struct node *n)
{
	return n->up != NULL ? hn_vebunit(u, n->up) : NULL;
}

/* A client's port on veb, one "ifconfig veb LINE" step a line. */
void
obsd_port_steps(struct obsd_plan *p, const char *veb,
    const struct obsd_units *u, const struct node *n)
{
	const char	*tap = obsd_unit(u, OBSD_TAP, n->port_if);
	char		*buf;
	size_t		 len;
	FILE		*f;

	if (tap == NULL)
		return;
	f = obsd_text_open(&buf, &len);
	hn_port(f, tap, n->mac, &n->addr, 1);
	fclose(f);
	obsd_plan_lines(p, "ifconfig", veb, buf);
	free(buf);
}

/* The host's side of an uplink segment: its only address on kubsd's. */
static void
hn_vport(struct obsd_plan *pl, const struct obsd_units *u,
    const struct node *up)
{
	const char	*vp = obsd_unit(u, OBSD_VPORT, up->bridge_if);
	char		 a[KADDR_STRLEN], m[32], *buf;
	size_t		 len;
	FILE		*f;

	if (vp == NULL || up->seg == NULL)
		return;
	f = hn_open(&buf, &len, up->name);
	fprintf(f, "inet %s %s\n", kaddr_host(&up->seg->gw, a, sizeof(a)),
	    hn_mask(up->seg->net.prefixlen, m, sizeof(m)));
	if (up->seg->ipv6 && up->seg->gw6.af == AF_INET6)
		fprintf(f, "inet6 %s %d\n", kaddr_host(&up->seg->gw6, a,
		    sizeof(a)), up->seg->net6.prefixlen);
	else
		fprintf(f, "-inet6\n");
	fprintf(f, "up\n");
	hn_close(pl, f, &buf, vp);
}

static void
hn_tap(struct obsd_plan *p, const struct obsd_units *u, const char *key)
{
	const char	*tap = obsd_unit(u, OBSD_TAP, key);
	char		*buf;
	size_t		 len;
	FILE		*f;

	if (tap == NULL)
		return;
	f = hn_open(&buf, &len, key);
	fprintf(f, "up\n");
	hn_close(p, f, &buf, tap);
}

/* The file step of a segment's veb (none if its owner has none). */
void
obsd_veb_file(struct obsd_plan *p, const struct netd_config *conf,
    const struct obsd_units *u, const struct node *owner)
{
	const char	*veb = hn_vebunit(u, owner);
	char		 path[64];

	if (veb == NULL)
		return;
	snprintf(path, sizeof(path), "/etc/hostname.%s", veb);
	obsd_plan_file(p, path, path, obsd_veb_text(conf, u, owner));
}

/* Taps first, then vports, then the vebs that add them. */
void
obsd_hostname_files(struct obsd_plan *f, const struct netd_config *conf,
    const struct ruleset *rs, const struct obsd_units *u)
{
	const struct node	*n;

	(void)rs;
	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->kind == NODE_UPLINK)
			continue;
		hn_tap(f, u, n->port_if);
		if (n->kind == NODE_GATEWAY)
			hn_tap(f, u, n->down_if);
	}
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind == NODE_UPLINK)
			hn_vport(f, u, n);
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind != NODE_VM)
			obsd_veb_file(f, conf, u, n);
}
