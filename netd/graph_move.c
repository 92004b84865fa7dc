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
 * Place VM n where its chain_name now says.  Clients of the two segments
 * whose slot changed (a probe run n joined or left) are returned in
 * *others, n not among them.  -1: the new segment is full (the caller
 * puts chain_name back and calls again, which restores everything).
 */
int
graph_move(struct netd_config *conf, struct node *n, struct node ***others,
    size_t *nothers)
{
	struct segment	*seg[2] = { NULL, NULL };
	struct node	*m;
	unsigned	*slot;
	size_t		 i, k;
	int		 rv = 0;

	*others = NULL;
	*nothers = 0;
	if (n->kind != NODE_VM || conf->byname == NULL)
		return -1;
	if (n->up != NULL)
		seg[0] = n->up->seg;
	place(conf, n);
	if (n->up != NULL && n->up->seg != seg[0])
		seg[1] = n->up->seg;

	slot = xcalloc(conf->nbyname, sizeof(*slot));
	for (i = 0; i < conf->nbyname; i++)
		slot[i] = conf->byname[i]->slot;
	for (k = 0; k < 2; k++)
		if (seg[k] != NULL && alloc_segment(conf, seg[k]) == -1)
			rv = -1;
	for (i = 0; i < conf->nbyname && rv == 0; i++) {
		m = conf->byname[i];
		if (m == n || m->slot == slot[i])
			continue;
		*others = xreallocarray(*others, *nothers + 1,
		    sizeof(**others));
		(*others)[(*nothers)++] = m;
	}
	free(slot);
	return rv;
}
