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
 * libload (Makefile LOAD_SRCS_$(PLATFORM)): the rule loader, one
 * implementation per host; kubsd-netd alone links it.
 *
 * The rule loader: puts a compiled ruleset into the kernel, atomically.
 * One backend per host: load-nft-linux.c (libnftables, tables "inet
 * kubsd" and "bridge kubsd"); load-openbsd.c, the anchors kubsd/NODE
 * with pfctl(8) (openbsd.h: the host plan's steps; there each anchor is
 * its own transaction).  Only kubsd's own tables or anchors are ever
 * touched.
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
 * VMs moved (an attach: the VM, and any VM whose address its move
 * changed), in one transaction: old[i] is what is loaded for one of them
 * (NULL: nothing), new[i] what replaces it (NULL: nothing).  Only VMs'
 * identities change (vmport.h): their firewalls stay as loaded.
 */
int		 loader_load_anchors(struct loader *, const struct ruleset *,
		    const struct anchor *const *old,
		    const struct anchor *const *new, size_t);

/* Teardown: all of kubsd's rules; nothing loaded is not an error. */
int		 loader_remove_all(struct loader *);

/* What is loaded, in the backend's own listing; *text is malloc'd. */
int		 loader_dump(struct loader *, char **);

/* Give back the memory libnftables keeps between commands. */
void		 loader_shed(struct loader *);

#endif
