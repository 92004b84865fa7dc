/* Internal to the graph builder (graph.c, alloc.c). */
#ifndef GRAPH_H
#define GRAPH_H

int	graph_error(const char *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	alloc_addresses(struct netd_config *);
int	alloc_segment(struct netd_config *, struct segment *);
unsigned alloc_home_slot(const struct netd_config *, const struct node *);
void	alloc_set_slot(const struct segment *, struct node *, unsigned);
size_t	alloc_usable(const struct netd_config *);

#endif
