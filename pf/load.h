/*
 * The rule loader: puts a compiled ruleset into the kernel, atomically.
 * One backend per host: load-nft-linux.c (libnftables, tables "inet
 * kubsd" and "bridge kubsd"); an OpenBSD one would drive the
 * kubsd anchors.  Only kubsd's own tables or anchors are ever touched.
 *
 * Every call is one transaction: it is applied entirely or not at all.
 * On failure they return -1 and loader_error() tells why.
 */
#ifndef LOAD_H
#define LOAD_H

struct anchor;
struct loader;
struct ruleset;

struct loader	*loader_open(void);
void		 loader_close(struct loader *);

/* The last failure's text: the backend's own message, first lines. */
const char	*loader_error(struct loader *);

/* The whole ruleset, replacing kubsd's previous one. */
int		 loader_load_full(struct loader *, const struct ruleset *);

/*
 * One VM's or gateway's rules (and their dispatch entries), added or
 * replaced: traffic sees either the old rules or the new ones.  loaded is
 * the ruleset now in the kernel (NULL: ask the kernel, which is slower).
 */
int		 loader_load_port(struct loader *, const struct ruleset *,
		    const struct ruleset *, const char *);

/*
 * VMs' rules replaced in one transaction (an attach: the VM, and any VM
 * whose address its move changed): new[i] is in rs, old[i] is what was
 * loaded for it (NULL: ask the kernel).
 */
int		 loader_load_anchors(struct loader *, const struct ruleset *,
		    const struct anchor *const *old,
		    const struct anchor *const *new, size_t);

/* Detach: the port's dispatch entries and rules, from the ruleset that
 * loaded them. */
int		 loader_remove_port(struct loader *, const struct ruleset *,
		    const char *);

/* Teardown: all of kubsd's rules; nothing loaded is not an error. */
int		 loader_remove_all(struct loader *);

/* What is loaded, in the backend's own listing; *text is malloc'd. */
int		 loader_dump(struct loader *, char **);

/* Give back the memory libnftables keeps between commands. */
void		 loader_shed(struct loader *);

#endif
