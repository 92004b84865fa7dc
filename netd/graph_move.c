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
 * Moving one VM without rebuilding the graph (kubsd-net attach).
 *
 * A client's address depends only on the names of the clients on its
 * segment (alloc.c), and nothing else in the graph depends on where a
 * VM is attached: so only the segments the VM leaves and joins are
 * allocated again, with the same code graph_build() uses, and the
 * result is the one a full rebuild would give.
 */
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "graph.h"

/* Where n->chain_name puts a VM, as resolve_vms() in graph.c. */
static void
place(struct netd_config *conf, struct node *n)
{
	n->chain = NULL;
	n->up = NULL;
	n->ipv6 = 0;
	n->slot = 0;
	memset(&n->addr, 0, sizeof(n->addr));
	memset(&n->addr6, 0, sizeof(n->addr6));
	if (n->chain_name == NULL ||
	    (n->chain = chain_find(conf, n->chain_name)) == NULL)
		return;
	if (n->chain->nhops == 0 || n->chain->hops[0].node == NULL)
		return;
	n->up = n->chain->hops[0].node;
	n->up_lineno = n->chain_lineno;
	n->ipv6 = n->chain->ipv6;
}

/*
 * The segment's clients by index, made on its first move: VMs and the
 * gateways whose upstream it is (a VM must never take a gateway's cell).
 */
static struct node **
occupancy(struct netd_config *conf, struct segment *s)
{
	size_t	 i, usable = alloc_usable(conf);

	if (s->occ != NULL)
		return s->occ;
	s->occ = xcalloc(usable, sizeof(*s->occ));
	for (i = 0; i < conf->nbyname; i++)
		if (conf->byname[i]->kind != NODE_UPLINK &&
		    conf->byname[i]->up == s->owner &&
		    conf->byname[i]->slot >= 2)
			s->occ[conf->byname[i]->slot - 2] = conf->byname[i];
	return s->occ;
}

static int
cmp_name(const void *a, const void *b)
{
	const struct node *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* The clients a move gave another slot, with the one each had. */
struct moved {
	struct node	**v;
	unsigned	 *was;
	size_t		  n;
};

static void
note_moved(struct moved *mv, struct node *m)
{
	size_t	 i;

	for (i = 0; i < mv->n; i++)
		if (mv->v[i] == m)
			return;
	mv->v = xreallocarray(mv->v, mv->n + 1, sizeof(*mv->v));
	mv->was = xreallocarray(mv->was, mv->n + 1, sizeof(*mv->was));
	mv->was[mv->n] = m->slot;
	mv->v[mv->n++] = m;
}

/*
 * Give the VMs of one probe run [lo, lo + len) (and add, if not NULL)
 * their slots again, in name order, as alloc_segment() would: gateways
 * took theirs first and keep them; with linear probing, which cells are
 * taken does not depend on the order, and a client's probe never leaves
 * its run, so every other run keeps its assignment and the result is
 * the full allocation's.
 */
static void
reassign(struct netd_config *conf, struct segment *s, size_t lo, size_t len,
    struct node *add, struct moved *mv)
{
	struct node	**occ = s->occ, **v;
	size_t		  usable = alloc_usable(conf), i, k, nv = 0, c;

	v = xcalloc(len + 1, sizeof(*v));
	for (i = 0; i < len; i++) {
		c = (lo + i) % usable;
		if (occ[c] != NULL && occ[c]->kind == NODE_VM) {
			v[nv++] = occ[c];
			occ[c] = NULL;
		}
	}
	if (add != NULL)
		v[nv++] = add;
	qsort(v, nv, sizeof(*v), cmp_name);
	for (i = 0; i < nv; i++) {
		c = alloc_home_slot(conf, v[i]) - 2;
		for (k = 0; k < usable && occ[c] != NULL; k++)
			c = (c + 1) % usable;
		occ[c] = v[i];
		if (v[i]->slot != c + 2) {
			if (v[i] != add)
				note_moved(mv, v[i]);
			alloc_set_slot(s, v[i], (unsigned)c);
		}
	}
	free(v);
}

/* The run of taken cells through cell c (which may be free): its start
 * and length; the whole segment if every cell is taken. */
static size_t
run_of(struct node **occ, size_t usable, size_t c, size_t *lo)
{
	size_t	 l = 0, r = 0;

	while (l < usable && occ[(c + usable - l - 1) % usable] != NULL)
		l++;
	while (l + r + 1 < usable && occ[(c + r + 1) % usable] != NULL)
		r++;
	*lo = (c + usable - l) % usable;
	return l + r + 1 > usable ? usable : l + r + 1;
}

/* n leaves s (if it is there). */
static void
seg_leave(struct netd_config *conf, struct segment *s, struct node *n,
    unsigned slot, struct moved *mv)
{
	struct node	**occ = occupancy(conf, s);
	size_t		  usable = alloc_usable(conf), lo, len;

	if (slot < 2 || slot - 2 >= usable || occ[slot - 2] != n)
		return;
	occ[slot - 2] = NULL;
	s->nclients--;
	len = run_of(occ, usable, slot - 2, &lo);
	reassign(conf, s, lo, len, NULL, mv);
}

/* n joins s; -1: s is full (nothing changed). */
static int
seg_join(struct netd_config *conf, struct segment *s, struct node *n,
    struct moved *mv)
{
	struct node	**occ = occupancy(conf, s);
	size_t		  usable = alloc_usable(conf), home, f, k, lo, len;

	home = alloc_home_slot(conf, n) - 2;
	for (f = home, k = 0; k < usable && occ[f] != NULL; k++)
		f = (f + 1) % usable;
	if (k == usable)
		return -1;
	/* the run n's cell f joins: from before home to after f */
	len = run_of(occ, usable, f, &lo);
	s->nclients++;
	reassign(conf, s, lo, len, n, mv);
	return 0;
}

/*
 * Place VM n where its chain_name now says.  Clients of the two segments
 * whose slot changed (a probe run n joined or left) are returned in
 * *others, n not among them.  -1: the new segment is full (the caller
 * puts chain_name back and calls again, which restores everything).
 * Only the probe runs n leaves and joins are allocated again: the cost
 * does not grow with the number of clients on the segments.
 */
int
graph_move(struct netd_config *conf, struct node *n, struct node ***others,
    size_t *nothers)
{
	struct segment	*old = NULL, *new = NULL;
	struct moved	 mv = { NULL, NULL, 0 };
	unsigned	 slot = n->slot;
	size_t		 i;
	int		 rv = 0;

	*others = NULL;
	*nothers = 0;
	if (n->kind != NODE_VM || conf->byname == NULL)
		return -1;
	if (n->up != NULL) {
		old = n->up->seg;
		occupancy(conf, old);	/* while n still holds its slot */
	}
	place(conf, n);
	if (n->up != NULL)
		new = n->up->seg;
	if (old != NULL)
		seg_leave(conf, old, n, slot, &mv);
	if (new != NULL && seg_join(conf, new, n, &mv) == -1)
		rv = -1;
	/* one that left its slot and came back did not move */
	for (i = 0; i < mv.n; i++)
		if (mv.v[i]->slot != mv.was[i])
			mv.v[(*nothers)++] = mv.v[i];
	*others = mv.v;
	free(mv.was);
	return rv;
}
