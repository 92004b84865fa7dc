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
 * The network graph as Graphviz DOT: uplinks, gateways and VMs, each
 * with its segment; one edge per hop (a node's port on its upstream's
 * segment) labelled with the chains that use it, in their colours; a
 * legend.  Live (kubsd-net graph against a running daemon): each
 * gateway's readiness and each VM's state too.
 */
#include <stdio.h>
#include <string.h>

#include "kubsd.h"

static const char *colors[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
	"#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
};
#define NCOLORS	(sizeof(colors) / sizeof(colors[0]))
#define COLOR(c) colors[(c)->color % NCOLORS]

/* Chain c goes from n to n's upstream. */
static int
chain_uses(const struct chain *c, const struct node *n)
{
	size_t	 i;

	if (n->kind == NODE_VM)
		return n->chain == c;
	for (i = 0; i + 1 < c->nhops; i++)
		if (c->hops[i].node == n)
			return 1;
	return 0;
}

/* The first gateway of c whose guest is not ready, NULL: none. */
static const struct node *
chain_unready(const struct chain *c, const struct node_gate *live)
{
	size_t	 i;

	for (i = 0; i < c->nhops; i++)
		if (c->hops[i].node != NULL &&
		    c->hops[i].node->kind == NODE_GATEWAY &&
		    !node_passes(live, c->hops[i].node))
			return c->hops[i].node;
	return NULL;
}

static void
print_segment(FILE *fp, const struct node *n)
{
	char	 a[KADDR_STRLEN];

	if (n->seg != NULL)
		fprintf(fp, "\\nsegment %s %s", n->bridge_if,
		    kaddr_str(&n->seg->net, a, sizeof(a)));
}

static void
print_gateway(FILE *fp, const struct node *n, const struct node_gate *live)
{
	char		 a[KADDR_STRLEN];
	const char	*p, *status;
	int		 ready = node_passes(live, n);

	fprintf(fp, "\t\"%s\" [shape=box, style=\"rounded%s\", %slabel=\"%s"
	    "\\nrole %s, %s", n->name, live ? ",filled" : "", live ? (!ready ?
	    "fillcolor=\"#fde0dc\", " : "fillcolor=\"#e0f5e0\", ") : "",
	    n->name, role_name(n->role), kaddr_host(&n->addr, a, sizeof(a)));
	print_segment(fp, n);
	if (live) {
		status = live->status(n, live->arg);
		fprintf(fp, "\\n%s%s", !ready ? "not ready" : "ready",
		    status[0] != '\0' ? ": " : "");
		for (p = status; *p != '\0'; p++)
			fputc(*p == '"' || *p == '\\' ? '\'' : *p, fp);
	}
	fprintf(fp, "\"];\n");
}

static void
print_vm(FILE *fp, const struct node *n, const struct node_gate *live)
{
	const struct node	*g;
	char			 a[KADDR_STRLEN];

	fprintf(fp, "\t\"%s\" [shape=component, ", n->name);
	if (n->chain == NULL) {
		fprintf(fp, "style=dashed, label=\"%s%s\\noffline\"];\n",
		    n->name, n->disposable ? " (disposable)" : "");
		return;
	}
	fprintf(fp, "label=\"%s%s\\n%s", n->name, n->disposable ?
	    " (disposable)" : "", kaddr_host(&n->addr, a, sizeof(a)));
	if (live && (g = chain_unready(n->chain, live)) != NULL)
		fprintf(fp, "\\nchain %s waits for %s", n->chain->name,
		    g->name);
	else if (live)
		fprintf(fp, "\\nchain %s carries", n->chain->name);
	fprintf(fp, "\"];\n");
}

static void
print_node(FILE *fp, const struct node *n, const struct node_gate *live)
{
	switch (n->kind) {
	case NODE_UPLINK:
		fprintf(fp, "\t\"%s\" [shape=doubleoctagon, label=\"%s\\n"
		    "uplink %s%s", n->name, n->name, n->ifname,
		    n->nat ? ", nat" : "");
		print_segment(fp, n);
		fprintf(fp, "\"];\n");
		break;
	case NODE_GATEWAY:
		print_gateway(fp, n, live);
		break;
	case NODE_VM:
		print_vm(fp, n, live);
		break;
	}
}

/* n's one edge to its upstream: its port, the chains on it. */
static void
print_hop(FILE *fp, const struct netd_config *conf, const struct node *n)
{
	const struct chain	*c;
	int			 k = 0;

	fprintf(fp, "\t\"%s\" -> \"%s\" [label=\"%s", n->name, n->up->name,
	    n->port_if);
	TAILQ_FOREACH(c, &conf->chains, entry)
		if (chain_uses(c, n))
			fprintf(fp, "%s%s", k++ == 0 ? "\\n" : ", ", c->name);
	fprintf(fp, "\", color=\"");
	k = 0;
	TAILQ_FOREACH(c, &conf->chains, entry)
		if (chain_uses(c, n))
			fprintf(fp, "%s%s", k++ == 0 ? "" : ":", COLOR(c));
	fprintf(fp, "%s\"%s];\n", k == 0 ? "gray" : "",
	    n->kind == NODE_VM ? ", style=dashed" : "");
}

static void
print_legend(FILE *fp, const struct netd_config *conf,
    const struct node_gate *live)
{
	const struct chain	*c;
	size_t			 i;

	fprintf(fp, "\tsubgraph cluster_legend {\n\t\tlabel=\"legend\";\n"
	    "\t\tfontname=\"Helvetica\";\n\t\tfontsize=10;\n"
	    "\t\tnode [shape=plaintext];\n");
	TAILQ_FOREACH(c, &conf->chains, entry) {
		fprintf(fp, "\t\t\"chain:%s\" [fontcolor=\"%s\", "
		    "label=\"chain %s:", c->name, COLOR(c), c->name);
		for (i = 0; i < c->nhops; i++)
			fprintf(fp, "%s%s", i == 0 ? " " : " > ",
			    c->hops[i].name);
		fprintf(fp, "\"];\n");
	}
	fprintf(fp, "\t\t\"legend:shapes\" [label=\"octagon: uplink, box: "
	    "gateway, component: VM\\nedge: a port on the upstream's "
	    "segment, with the chains through it\\ndashed: a VM's port; "
	    "a dashed VM is offline%s\"];\n\t}\n", live ?
	    "\\ngreen: ready, red: not ready (live)" : "");
}

void
print_dot(FILE *fp, const struct netd_config *conf,
    const struct node_gate *live)
{
	const struct node	*n;

	fprintf(fp, "digraph kubsd {\n\trankdir=LR;\n"
	    "\tnode [fontname=\"Helvetica\", fontsize=10];\n"
	    "\tedge [fontname=\"Helvetica\", fontsize=9];\n");
	TAILQ_FOREACH(n, &conf->nodes, entry)
		print_node(fp, n, live);
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->up != NULL)
			print_hop(fp, conf, n);
	print_legend(fp, conf, live);
	fprintf(fp, "}\n");
}
