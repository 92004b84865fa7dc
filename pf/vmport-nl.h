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
