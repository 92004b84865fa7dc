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
 * The rule loader on OpenBSD (load.h): kubsd's anchors, through the
 * host plan's steps (openbsd_host.c): "pfctl -a kubsd/NODE -f FILE".
 * At start the full plan, which topo_apply() runs, loads them; an
 * attach saves and loads its VM's anchor; teardown flushes them all.
 * pfctl's own transaction is one anchor: a failure stops at that one.
 */
#include <stdlib.h>

#include "kubsd.h"
#include "rules.h"
#include "openbsd.h"
#include "load.h"

struct loader {
	int	 unused;
};

struct loader *
loader_open(void)
{
	return xcalloc(1, sizeof(struct loader));
}

void
loader_close(struct loader *l)
{
	free(l);
}

const char *
loader_error(struct loader *l)
{
	(void)l;
	return obsd_host_error();
}

int
loader_load_full(struct loader *l, const struct ruleset *rs)
{
	(void)l;
	return obsd_host_load(rs);
}

int
loader_load_anchors(struct loader *l, const struct ruleset *rs,
    const struct anchor *const *old, const struct anchor *const *new,
    size_t n)
{
	(void)l;
	(void)rs;
	return obsd_host_anchors(old, new, n);
}

int
loader_remove_all(struct loader *l)
{
	(void)l;
	return obsd_host_flush();
}

/* What is loaded is pfctl's to show (-sr on the kubsd anchors). */
int
loader_dump(struct loader *l, char **text)
{
	(void)l;
	*text = xstrdup("# on OpenBSD: pfctl -a 'kubsd/*' -sr\n");
	return 0;
}

void
loader_shed(struct loader *l)
{
	(void)l;
}
