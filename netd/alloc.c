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
 * Deterministic allocation of segment subnets, client addresses and MACs.
 *
 * Nothing depends on declaration order: every object hashes its name to
 * a home slot and probes linearly from there, objects taken in name
 * order.  The same configuration therefore gives the same result on
 * every run and every host, and adding or removing an object moves no
 * other one unless their probe runs meet (a hash collision).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "graph.h"

#define SEED_SEGMENT	0x5e9
#define SEED_CLIENT	0xc1e
#define SEED_MAC	0x3ac

struct bitmap {
	uint8_t		*bits;
	size_t		 n;
};

static void
bm_init(struct bitmap *bm, size_t n)
{
	bm->n = n;
	bm->bits = xcalloc((n + 7) / 8, 1);
}

/* Take the first free slot at or after home; -1 when full. */
static long
bm_take(struct bitmap *bm, size_t home)
{
	size_t	 i, s;

	for (i = 0; i < bm->n; i++) {
		s = (home + i) % bm->n;
		if (!(bm->bits[s / 8] & (1 << (s % 8)))) {
			bm->bits[s / 8] |= (uint8_t)(1 << (s % 8));
			return (long)s;
		}
	}
	return -1;
}

static int
cmp_node_name(const void *a, const void *b)
{
	const struct node *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Add v, shifted left by shift bits, into an address. */
static void
kaddr_add(struct kaddr *ka, uint64_t v, int shift)
{
	int	 bits = ka->af == AF_INET ? 32 : 128, i, carry = 0;
	int	 bit;

	for (i = 0; i < bits; i++) {
		bit = bits - 1 - i;		/* bit index from the left */
		int vb = (i >= shift && i - shift < 64) ?
		    (int)((v >> (i - shift)) & 1) : 0;
		int ab = (ka->a.bytes[bit / 8] >> (7 - bit % 8)) & 1;
		int sum = ab + vb + carry;
		carry = sum >> 1;
		if (sum & 1)
			ka->a.bytes[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		else
			ka->a.bytes[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
	}
}

/*
 * An uplink's exclude: never kubsd's own networks (the host talks to its
 * gateways there), never its own resolver (the gateways' DNS).
 */
static int
check_exclude(const struct netd_config *conf, const struct node *u)
{
	const struct kaddr	*x;
	const struct chain	*ch;
	char			 a[KADDR_STRLEN], b[KADDR_STRLEN];
	size_t			 i;
	int			 rv = 0, v6 = 0;

	TAILQ_FOREACH(ch, &conf->chains, entry)
		v6 |= ch->ipv6;
	for (i = 0; i < u->exclude.n; i++) {
		x = &u->exclude.v[i];
		kaddr_str(x, a, sizeof(a));
		if (kaddr_overlaps(x, &conf->pool) ||
		    (v6 && kaddr_overlaps(x, &conf->pool6)))
			rv = graph_error(u->file, u->lineno, "uplink \"%s\": "
			    "exclude %s overlaps the pool %s", u->name, a,
			    kaddr_str(x->af == AF_INET ? &conf->pool :
			    &conf->pool6, b, sizeof(b)));
		if (u->resolver.af != 0 && kaddr_contains(x, &u->resolver))
			rv = graph_error(u->file, u->lineno, "uplink \"%s\": "
			    "exclude %s holds its resolver %s", u->name, a,
			    kaddr_host(&u->resolver, b, sizeof(b)));
	}
	return rv;
}

static int
check_pool(struct netd_config *conf)
{
	struct node	*n;
	char		 a[KADDR_STRLEN], b[KADDR_STRLEN];
	int		 rv = 0;

	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->kind == NODE_UPLINK && check_exclude(conf, n) == -1)
			rv = -1;
		if (n->kind == NODE_UPLINK && n->uplink_net.af == AF_INET &&
		    kaddr_overlaps(&conf->pool, &n->uplink_net))
			rv = graph_error(conf->pool_file ? conf->pool_file : conf->file, conf->pool_lineno,
			    "pool %s overlaps the network %s of uplink "
			    "\"%s\" at %s:%d",
			    kaddr_str(&conf->pool, a, sizeof(a)),
			    kaddr_str(&n->uplink_net, b, sizeof(b)),
			    n->name, n->file, n->lineno);
		if (n->kind == NODE_GATEWAY && n->role == ROLE_TOR &&
		    kaddr_overlaps(&conf->pool, &n->tor_virtnet))
			rv = graph_error(conf->pool_file ? conf->pool_file : conf->file, conf->pool_lineno,
			    "pool %s overlaps the tor virtual network %s "
			    "of gateway \"%s\" at %s:%d",
			    kaddr_str(&conf->pool, a, sizeof(a)),
			    kaddr_str(&n->tor_virtnet, b, sizeof(b)),
			    n->name, n->file, n->lineno);
	}
	return rv;
}

static int
alloc_segments(struct netd_config *conf)
{
	struct node	**owners, *n;
	struct segment	*s;
	struct bitmap	 bm;
	size_t		 nowners = 0, i;
	int		 span = conf->segprefix - conf->pool.prefixlen;
	long		 idx;
	char		 a[KADDR_STRLEN];

	if (span <= 0 || span > 24)
		return graph_error(conf->pool_file ? conf->pool_file : conf->file, conf->pool_lineno,
		    "pool %s cannot hold /%d segments",
		    kaddr_str(&conf->pool, a, sizeof(a)), conf->segprefix);
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind != NODE_VM)
			nowners++;
	if (nowners > (1UL << span))
		return graph_error(conf->pool_file ? conf->pool_file : conf->file, conf->pool_lineno,
		    "pool %s is exhausted: %zu segments do not fit in %lu "
		    "/%d subnets", kaddr_str(&conf->pool, a, sizeof(a)),
		    nowners, 1UL << span, conf->segprefix);

	owners = xcalloc(nowners, sizeof(*owners));
	i = 0;
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind != NODE_VM)
			owners[i++] = n;
	qsort(owners, nowners, sizeof(*owners), cmp_node_name);

	conf->segments = xcalloc(nowners, sizeof(*conf->segments));
	conf->nsegments = nowners;
	bm_init(&bm, 1UL << span);
	for (i = 0; i < nowners; i++) {
		n = owners[i];
		s = &conf->segments[i];
		idx = bm_take(&bm, name_hash(n->name, SEED_SEGMENT) % bm.n);
		s->owner = n;
		s->index = (unsigned)idx;
		s->net = conf->pool;
		kaddr_mask(&s->net);
		s->net.prefixlen = conf->segprefix;
		kaddr_add(&s->net, (uint64_t)idx, 32 - conf->segprefix);
		s->gw = s->net;
		s->gw.prefixlen = 32;
		kaddr_add(&s->gw, 1, 0);
		if (n->ipv6) {
			if (64 - conf->pool6.prefixlen < 63 &&
			    (uint64_t)idx >= (1ULL << (64 - conf->pool6.prefixlen))) {
				free(bm.bits);
				free(owners);
				return graph_error(conf->pool_file ? conf->pool_file : conf->file, conf->pool_lineno,
				    "pool6 is too small for segment %ld", idx);
			}
			s->ipv6 = 1;
			s->net6 = conf->pool6;
			kaddr_mask(&s->net6);
			s->net6.prefixlen = 64;
			kaddr_add(&s->net6, (uint64_t)idx, 64);
			s->gw6 = s->net6;
			s->gw6.prefixlen = 128;
			kaddr_add(&s->gw6, 1, 0);
		}
		n->seg = s;
	}
	free(bm.bits);
	free(owners);
	return 0;
}

/* Where a client's probe starts on its segment (for the tests). */
unsigned
alloc_home_slot(const struct netd_config *conf, const struct node *n)
{
	size_t	 usable = (1UL << (32 - conf->segprefix)) - 3;

	return (unsigned)(name_hash(n->name, SEED_CLIENT) % usable) + 2;
}

/* Every node, by name: the order clients take their slots in. */
static void
sort_nodes(struct netd_config *conf)
{
	struct node	*n;
	size_t		 i = 0;

	if (conf->byname != NULL)
		return;
	TAILQ_FOREACH(n, &conf->nodes, entry)
		i++;
	conf->byname = xcalloc(i, sizeof(*conf->byname));
	conf->nbyname = i;
	i = 0;
	TAILQ_FOREACH(n, &conf->nodes, entry)
		conf->byname[i++] = n;
	qsort(conf->byname, conf->nbyname, sizeof(*conf->byname),
	    cmp_node_name);
}

/* The clients of s that are VMs (vms) or gateways, in name order. */
static int
alloc_pass(struct netd_config *conf, struct segment *s, struct bitmap *bm,
    int vms)
{
	struct node	*n;
	size_t		 i;
	long		 idx;
	char		 a[KADDR_STRLEN];

	for (i = 0; i < conf->nbyname; i++) {
		n = conf->byname[i];
		if (n->up != s->owner || (n->kind == NODE_VM) != vms)
			continue;
		idx = bm_take(bm, name_hash(n->name, SEED_CLIENT) % bm->n);
		if (idx == -1)
			return graph_error(n->file, n->up_lineno,
			    "segment %s of %s \"%s\" is full: no "
			    "address left for \"%s\"",
			    kaddr_str(&s->net, a, sizeof(a)),
			    kind_name(s->owner->kind), s->owner->name,
			    n->name);
		s->nclients++;
		alloc_set_slot(s, n, (unsigned)idx);
	}
	return 0;
}

/*
 * The addresses of one segment's clients, taken in name order, gateways
 * first: what a client gets depends only on the names of the clients on
 * its segment, and a gateway's never on where VMs are attached (so an
 * attach can neither give a VM a gateway's address nor move one).
 */
int
alloc_segment(struct netd_config *conf, struct segment *s)
{
	struct bitmap	 bm;
	int		 rv;

	bm_init(&bm, alloc_usable(conf));
	s->nclients = 0;
	free(s->occ);		/* graph_move() makes it again */
	s->occ = NULL;
	if ((rv = alloc_pass(conf, s, &bm, 0)) == 0)
		rv = alloc_pass(conf, s, &bm, 1);
	free(bm.bits);
	return rv;
}

/* Client n takes index idx of segment s: its slot and addresses. */
void
alloc_set_slot(const struct segment *s, struct node *n, unsigned idx)
{
	n->slot = idx + 2;
	n->addr = s->net;
	n->addr.prefixlen = 32;
	kaddr_add(&n->addr, n->slot, 0);
	memset(&n->addr6, 0, sizeof(n->addr6));
	if (n->ipv6 && s->ipv6) {
		n->addr6 = s->net6;
		n->addr6.prefixlen = 128;
		kaddr_add(&n->addr6, n->slot, 0);
	}
}

/* How many client slots a segment has (.0, .1 and broadcast are not). */
size_t
alloc_usable(const struct netd_config *conf)
{
	return (1UL << (32 - conf->segprefix)) - 3;
}

static int
alloc_clients(struct netd_config *conf)
{
	size_t	 j;

	sort_nodes(conf);
	for (j = 0; j < conf->nsegments; j++)
		if (alloc_segment(conf, &conf->segments[j]) == -1)
			return -1;
	return 0;
}

struct macref {
	uint8_t		*mac;
	const char	*name;		/* hashed with a salt per port */
	char		 salted[KUBSD_IFNAMSIZ];
	uint32_t	 seed;
};

static void
mac_from_hash(struct macref *m)
{
	uint32_t h = name_hash(m->salted, SEED_MAC + m->seed);
	uint32_t g = name_hash(m->salted, ~(SEED_MAC + m->seed));

	m->mac[0] = 0x02;			/* locally administered */
	m->mac[1] = 0x6b;
	m->mac[2] = (uint8_t)(h >> 24);
	m->mac[3] = (uint8_t)(h >> 16);
	m->mac[4] = (uint8_t)(h >> 8);
	m->mac[5] = (uint8_t)(h ^ g);
}

static int
cmp_macref(const void *a, const void *b)
{
	const struct macref *x = a, *y = b;
	int	 c;

	if ((c = memcmp(x->mac, y->mac, 6)) != 0)
		return c;
	return strcmp(x->salted, y->salted);
}

static void
alloc_macs(struct netd_config *conf)
{
	struct macref	*refs;
	struct node	*n;
	size_t		 nrefs = 0, i;
	int		 again = 1;

	TAILQ_FOREACH(n, &conf->nodes, entry)
		nrefs += (n->kind == NODE_GATEWAY) ? 2 : 1;
	refs = xcalloc(nrefs, sizeof(*refs));
	i = 0;
	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->kind == NODE_UPLINK) {
			refs[i].mac = n->mac;	/* the bridge's own */
			snprintf(refs[i].salted, sizeof(refs[i].salted),
			    "%s", n->bridge_if);
		} else {
			refs[i].mac = n->mac;
			snprintf(refs[i].salted, sizeof(refs[i].salted),
			    "%s", n->port_if);
		}
		i++;
		if (n->kind == NODE_GATEWAY) {
			refs[i].mac = n->down_mac;
			snprintf(refs[i].salted, sizeof(refs[i].salted),
			    "%s", n->down_if);
			i++;
		}
	}
	for (i = 0; i < nrefs; i++)
		mac_from_hash(&refs[i]);
	/* Rehash the later of any two equal MACs until all differ. */
	while (again) {
		again = 0;
		qsort(refs, nrefs, sizeof(*refs), cmp_macref);
		for (i = 1; i < nrefs; i++)
			if (memcmp(refs[i - 1].mac, refs[i].mac, 6) == 0) {
				refs[i].seed++;
				mac_from_hash(&refs[i]);
				again = 1;
			}
	}
	free(refs);
}

int
alloc_addresses(struct netd_config *conf)
{
	if (check_pool(conf) == -1)
		return -1;
	if (alloc_segments(conf) == -1)
		return -1;
	if (alloc_clients(conf) == -1)
		return -1;
	alloc_macs(conf);
	return 0;
}
