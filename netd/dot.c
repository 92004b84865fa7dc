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
 * The network graph as Graphviz DOT: uplinks, gateways, their segments
 * and the VMs on them; each chain's path drawn in its own colour.
 */
#include <stdio.h>

#include "kubsd.h"

static const char *colors[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
	"#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
};
#define NCOLORS	(sizeof(colors) / sizeof(colors[0]))

static void
print_node(FILE *fp, const struct node *n)
{
	char	 a[KADDR_STRLEN];

	switch (n->kind) {
	case NODE_UPLINK:
		fprintf(fp, "\t\"%s\" [shape=doubleoctagon, label=\"%s\\n"
		    "uplink %s%s\"];\n", n->name, n->name, n->ifname,
		    n->nat ? " (nat)" : "");
		break;
	case NODE_GATEWAY:
		fprintf(fp, "\t\"%s\" [shape=box, style=rounded, label=\"%s"
		    "\\n%s\\n%s\"];\n", n->name, n->name, role_name(n->role),
		    kaddr_host(&n->addr, a, sizeof(a)));
		break;
	case NODE_VM:
		if (n->chain == NULL)
			fprintf(fp, "\t\"%s\" [shape=component, style=dashed, "
			    "label=\"%s\\noffline\"];\n", n->name, n->name);
		else
			fprintf(fp, "\t\"%s\" [shape=component, label=\"%s%s"
			    "\\n%s\"];\n", n->name, n->name,
			    n->disposable ? " (disposable)" : "",
			    kaddr_host(&n->addr, a, sizeof(a)));
		break;
	}
}

void
print_dot(FILE *fp, const struct netd_config *conf)
{
	const struct node	*n;
	const struct chain	*c;
	const struct segment	*s;
	size_t			 i;
	char			 a[KADDR_STRLEN];

	fprintf(fp, "digraph kubsd {\n\trankdir=RL;\n"
	    "\tnode [fontname=\"Helvetica\", fontsize=10];\n"
	    "\tedge [fontname=\"Helvetica\", fontsize=9];\n");
	TAILQ_FOREACH(n, &conf->nodes, entry)
		print_node(fp, n);
	for (i = 0; i < conf->nsegments; i++) {
		s = &conf->segments[i];
		fprintf(fp, "\t\"seg:%s\" [shape=point, xlabel=\"%s\\n%s\"];\n",
		    s->owner->name, s->owner->bridge_if,
		    kaddr_str(&s->net, a, sizeof(a)));
		fprintf(fp, "\t\"seg:%s\" -> \"%s\" [arrowhead=none, "
		    "style=bold];\n", s->owner->name, s->owner->name);
	}
	/* Ports: every node with an upstream sits on its segment. */
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->up != NULL)
			fprintf(fp, "\t\"%s\" -> \"seg:%s\" [color=gray, "
			    "label=\"%s\"];\n", n->name, n->up->name,
			    n->port_if);
	/* Chains: a coloured path from each hop to the next. */
	TAILQ_FOREACH(c, &conf->chains, entry)
		for (i = 0; i + 1 < c->nhops; i++)
			fprintf(fp, "\t\"%s\" -> \"%s\" [color=\"%s\", "
			    "label=\"%s\", constraint=false];\n",
			    c->hops[i].name, c->hops[i + 1].name,
			    colors[c->color % NCOLORS], c->name);
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind == NODE_VM && n->chain != NULL)
			fprintf(fp, "\t\"%s\" -> \"%s\" [color=\"%s\", "
			    "style=dashed, constraint=false];\n", n->name,
			    n->up->name, colors[n->chain->color % NCOLORS]);
	fprintf(fp, "}\n");
}
