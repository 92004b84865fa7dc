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
 * VM ports' elements (vmport.h) straight to nf_tables over netlink, on
 * Linux (vmport-nl-linux.c): what an attach changes, in one batch.
 */
#ifndef VMPORT_NL_H
#define VMPORT_NL_H

#include <stddef.h>

struct anchor;
struct vmport_nl;

struct vmport_nl	*vmport_nl_open(void);
void			 vmport_nl_close(struct vmport_nl *);

/*
 * One transaction: the elements of old[i] deleted, those of new[i]
 * added (either may be NULL).  What old[] names must be loaded: a
 * missing element fails it all.  -1: err says why; nothing changed.
 */
int			 vmport_nl_swap(struct vmport_nl *,
			    const struct anchor *const *old,
			    const struct anchor *const *new, size_t n,
			    char *err, size_t errlen);

#endif
