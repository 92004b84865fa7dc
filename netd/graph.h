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
