/* Making the kernel's links match the graph (topology.c). */
#ifndef TOPOLOGY_H
#define TOPOLOGY_H

#include <stddef.h>

struct link_ctx;
struct netd_config;
struct node;

int	topo_apply(struct link_ctx *, struct netd_config *);
int	topo_reattach(struct link_ctx *, const struct node *);
int	topo_remove_stale(struct link_ctx *, const struct netd_config *);
int	topo_remove_node(struct link_ctx *, const struct node *);
void	topo_netns_name(const struct node *, char *, size_t);

#endif
