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
 * The network graph: resolve chains into upstream links, check that the
 * result is a forest rooted at uplinks, and derive interface names.
 * Addresses and MACs are allocated in alloc.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "graph.h"

static void	(*error_sink)(const char *, void *);
static void	*error_sink_arg;

void
conf_error_sink(void (*fn)(const char *, void *), void *arg)
{
	error_sink = fn;
	error_sink_arg = arg;
}

/* One error line, "file:line: message" ("file: message" for line 0). */
void
conf_verror(const char *file, int line, const char *fmt, va_list ap)
{
	char	 msg[1024];
	int	 n;

	if (line > 0)
		n = snprintf(msg, sizeof(msg), "%s:%d: ", file, line);
	else
		n = snprintf(msg, sizeof(msg), "%s: ", file);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	if (error_sink != NULL)
		error_sink(msg, error_sink_arg);
	else
		fprintf(stderr, "%s\n", msg);
}

void
conf_error(const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	conf_verror(file, line, fmt, ap);
	va_end(ap);
}

int
graph_error(const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	conf_verror(file, line, fmt, ap);
	va_end(ap);
	return -1;
}

static int
cmp_name_node(const void *key, const void *elem)
{
	const struct node *const *n = elem;

	return strcmp(key, (*n)->name);
}

struct node *
node_find(const struct netd_config *conf, const char *name)
{
	struct node	*n, **p;

	/* once the graph is built, nodes are sorted by name (alloc.c) */
	if (conf->byname != NULL) {
		p = bsearch(name, conf->byname, conf->nbyname,
		    sizeof(*conf->byname), cmp_name_node);
		return p != NULL ? *p : NULL;
	}
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

struct chain *
chain_find(const struct netd_config *conf, const char *name)
{
	struct chain	*c;

	TAILQ_FOREACH(c, &conf->chains, entry)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Does n pass its traffic now?  Without a running daemon, always. */
int
node_passes(const struct node_gate *gate, const struct node *n)
{
	return gate == NULL || gate->passes(n, gate->arg);
}

/*
 * The MTU of the segment a node (uplink or gateway) owns: its "mtu", or
 * an uplink's interface's, or the upstream segment's; a WireGuard
 * gateway's tunnel takes its overhead off.  0: leave the kernel's.
 */
int
node_seg_mtu(const struct node *n)
{
	int	 m;

	if (n->mtu > 0)
		return n->mtu;
	if (n->kind == NODE_UPLINK)
		return n->if_mtu;
	if (n->kind != NODE_GATEWAY)
		return 0;
	m = n->up != NULL ? node_seg_mtu(n->up) : 0;
	if (n->role == ROLE_WIREGUARD) {
		m = (m > 0 ? m : KUBSD_MTU_ETHER) - KUBSD_WG_OVERHEAD;
		if (m < KUBSD_MTU_MIN)
			m = KUBSD_MTU_MIN;
	}
	return m;
}

/* Find the chain and hop that made gw's upstream what it is. */
static const struct chain *
chain_setting_up(const struct netd_config *conf, const struct node *gw)
{
	const struct chain	*c;
	size_t			 i;

	TAILQ_FOREACH(c, &conf->chains, entry)
		for (i = 0; i + 1 < c->nhops; i++)
			if (c->hops[i].node == gw &&
			    c->hops[i + 1].node == gw->up)
				return c;
	return NULL;
}

static int
resolve_chain(struct netd_config *conf, struct chain *c)
{
	struct chain_hop	*h, *next;
	const struct chain	*prev;
	size_t			 i, j;
	int			 rv = 0;

	if (c->nhops == 0)
		return graph_error(c->file, c->lineno,
		    "chain \"%s\" has no hops", c->name);
	for (i = 0; i < c->nhops; i++) {
		h = &c->hops[i];
		if ((h->node = node_find(conf, h->name)) == NULL) {
			rv = graph_error(c->file, h->lineno,
			    "chain \"%s\": unknown hop \"%s\"", c->name,
			    h->name);
			continue;
		}
		for (j = 0; j < i; j++)
			if (c->hops[j].node == h->node)
				rv = graph_error(c->file, h->lineno,
				    "chain \"%s\" passes \"%s\" twice: a "
				    "cycle", c->name, h->name);
		if (h->node->kind == NODE_VM)
			rv = graph_error(c->file, h->lineno,
			    "chain \"%s\": \"%s\" is a vm, not a gateway",
			    c->name, h->name);
		else if (h->node->kind == NODE_UPLINK && i + 1 < c->nhops)
			rv = graph_error(c->file, h->lineno,
			    "chain \"%s\": uplink \"%s\" must be the last hop",
			    c->name, h->name);
		else if (h->node->kind == NODE_GATEWAY && i + 1 == c->nhops)
			rv = graph_error(c->file, h->lineno,
			    "chain \"%s\" does not end at an uplink",
			    c->name);
	}
	if (rv == -1)
		return -1;
	if (c->nhops == 1)
		return graph_error(c->file, c->lineno,
		    "chain \"%s\" has no gateway: the host never routes "
		    "clients itself", c->name);

	for (i = 0; i + 1 < c->nhops; i++) {
		h = &c->hops[i];
		next = &c->hops[i + 1];
		if (h->node->up == NULL) {
			h->node->up = next->node;
			h->node->up_lineno = h->lineno;
			continue;
		}
		if (h->node->up == next->node)
			continue;
		prev = chain_setting_up(conf, h->node);
		rv = graph_error(c->file, h->lineno,
		    "gateway \"%s\" goes to \"%s\" in chain \"%s\" but to "
		    "\"%s\" in chain \"%s\" at line %d", h->name,
		    next->name, c->name, h->node->up->name,
		    prev ? prev->name : "?", h->node->up_lineno);
	}
	return rv;
}

/* Every gateway's upstream path must reach an uplink. */
static int
check_cycles(struct netd_config *conf)
{
	struct node	*n, *p;
	size_t		 steps, max = 0;

	TAILQ_FOREACH(n, &conf->nodes, entry)
		max++;
	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->kind != NODE_GATEWAY)
			continue;
		if (n->up == NULL)
			return graph_error(n->file, n->lineno,
			    "gateway \"%s\" is on no chain", n->name);
		for (p = n, steps = 0; p->kind != NODE_UPLINK; p = p->up)
			if (p->up == NULL || ++steps > max)
				return graph_error(n->file, n->lineno,
				    "gateway \"%s\" is on a cycle", n->name);
	}
	return 0;
}

static void
set_ifname(char *dst, const char *prefix, const char *name)
{
	snprintf(dst, KUBSD_IFNAMSIZ, "%s%s", prefix, name);
}

static int
derive_ifnames(struct netd_config *conf)
{
	struct node	*n, *m;
	int		 rv = 0;

	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (strlen(n->name) > KUBSD_NAME_MAX)
			rv = graph_error(n->file, n->lineno,
			    "%s \"%s\": name longer than %d characters, "
			    "interface names would exceed IFNAMSIZ",
			    kind_name(n->kind), n->name, KUBSD_NAME_MAX);
		if (n->kind != NODE_UPLINK)
			set_ifname(n->port_if, "kp-", n->name);
		if (n->kind != NODE_VM)
			set_ifname(n->bridge_if, "kb-", n->name);
		if (n->kind == NODE_GATEWAY)
			set_ifname(n->down_if, "kd-", n->name);
	}
	/* A host interface must not be taken for, or by, a kubsd one. */
	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->kind != NODE_UPLINK)
			continue;
		if (strncmp(n->ifname, "kp-", 3) == 0 ||
		    strncmp(n->ifname, "kb-", 3) == 0 ||
		    strncmp(n->ifname, "kd-", 3) == 0)
			rv = graph_error(n->file, n->lineno,
			    "uplink \"%s\": interface \"%s\" collides with "
			    "kubsd's interface names (kp-, kb-, kd-)",
			    n->name, n->ifname);
		for (m = TAILQ_NEXT(n, entry); m != NULL;
		    m = TAILQ_NEXT(m, entry))
			if (m->kind == NODE_UPLINK &&
			    strcmp(m->ifname, n->ifname) == 0)
				rv = graph_error(m->file, m->lineno,
				    "uplink \"%s\": interface \"%s\" is "
				    "already used by uplink \"%s\" at line %d",
				    m->name, m->ifname, n->name, n->lineno);
	}
	return rv;
}

static int
resolve_vms(struct netd_config *conf)
{
	struct node	*n;
	int		 rv = 0;

	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->kind != NODE_VM || n->chain_name == NULL)
			continue;
		if ((n->chain = chain_find(conf, n->chain_name)) == NULL) {
			rv = graph_error(n->file, n->chain_lineno,
			    "vm \"%s\": unknown chain \"%s\"", n->name,
			    n->chain_name);
			continue;
		}
		if (n->chain->nhops == 0 || n->chain->hops[0].node == NULL)
			continue;
		n->up = n->chain->hops[0].node;
		n->up_lineno = n->chain_lineno;
		n->ipv6 = n->chain->ipv6;
	}
	return rv;
}

/* Whether a wireguard gateway's tunnel can carry IPv6: 1, or 0. */
static int
wg_has_ipv6(const struct node *n)
{
	const struct wg_peer	*p;
	size_t			 i;

	if (n->wg == NULL || n->wg->address.af != AF_INET6)
		return 0;
	TAILQ_FOREACH(p, &n->wg->peers, entry)
		for (i = 0; i < p->allowed_ips.n; i++)
			if (p->allowed_ips.v[i].af == AF_INET6)
				return 1;
	return 0;
}

/*
 * A chain enables IPv6 only where every hop carries it end to end: a
 * sys-net gateway routes it; tor's transparent proxy takes IPv4 only;
 * a wireguard tunnel needs an IPv6 address and allowed ips.
 */
static int
check_ipv6(const struct chain *c)
{
	const struct node	*n;
	size_t			 i;
	int			 line = c->ipv6_lineno ? c->ipv6_lineno :
				    c->lineno;

	for (i = 0; i < c->nhops; i++) {
		n = c->hops[i].node;
		if (n->kind != NODE_GATEWAY)
			continue;
		if (n->role == ROLE_TOR)
			return graph_error(c->file, line, "chain \"%s\": "
			    "ipv6 through tor gateway \"%s\": its transparent "
			    "proxy carries IPv4 only", c->name, n->name);
		if (n->role == ROLE_WIREGUARD && !wg_has_ipv6(n))
			return graph_error(c->file, line, "chain \"%s\": "
			    "ipv6 through wireguard gateway \"%s\", whose "
			    "tunnel has no IPv6 address and allowed ips",
			    c->name, n->name);
	}
	return 0;
}

/* A gateway carries IPv6 if any chain through it enables it. */
static int
mark_ipv6(struct netd_config *conf)
{
	struct chain	*c;
	size_t		 i;
	unsigned	 color = 0;
	int		 rv = 0;

	TAILQ_FOREACH(c, &conf->chains, entry) {
		c->color = color++;
		if (!c->ipv6)
			continue;
		if (check_ipv6(c) == -1) {
			rv = -1;
			continue;
		}
		for (i = 0; i < c->nhops; i++)
			c->hops[i].node->ipv6 = 1;
	}
	return rv;
}

int
graph_build(struct netd_config *conf)
{
	struct chain	*c;
	int		 rv = 0;

	TAILQ_FOREACH(c, &conf->chains, entry)
		if (resolve_chain(conf, c) == -1)
			rv = -1;
	if (resolve_vms(conf) == -1)
		rv = -1;
	if (derive_ifnames(conf) == -1)
		rv = -1;
	if (templates_check(conf) == -1)
		rv = -1;
	if (shares_check(conf) == -1)
		rv = -1;
	if (rv == -1)
		return -1;
	if (check_cycles(conf) == -1)
		return -1;
	if (mark_ipv6(conf) == -1)
		return -1;
	return alloc_addresses(conf);
}

/* Forget everything graph_build() derived, so it can run again. */
void
graph_reset(struct netd_config *conf)
{
	struct node	*n;
	struct chain	*c;
	size_t		 i;

	TAILQ_FOREACH(n, &conf->nodes, entry) {
		n->chain = NULL;
		n->up = NULL;
		n->up_lineno = 0;
		n->seg = NULL;
		memset(&n->addr, 0, sizeof(n->addr));
		memset(&n->addr6, 0, sizeof(n->addr6));
		n->ipv6 = 0;
		n->slot = 0;
	}
	TAILQ_FOREACH(c, &conf->chains, entry)
		for (i = 0; i < c->nhops; i++)
			c->hops[i].node = NULL;
	for (i = 0; i < conf->nsegments; i++)
		free(conf->segments[i].occ);
	free(conf->segments);
	conf->segments = NULL;
	conf->nsegments = 0;
	free(conf->byname);
	conf->byname = NULL;
	conf->nbyname = 0;
}
