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
 * A VM's host folders ("share PATH at GUESTPATH [read-write]"), its
 * sound ("audio") and its X11 forwarding ("x11"): the checks that need
 * the whole configuration (a share must not reach STATEDIR, where the
 * VMs' keys are) and names.
 * Whether the folder exists is the start's question (share-linux.c).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "graph.h"

const char *
audio_name(enum audio a)
{
	switch (a) {
	case AUDIO_YES:		return "yes";
	case AUDIO_OUTPUT:	return "output-only";
	default:		return "no";
	}
}

const char *
x11_name(enum x11 x)
{
	return x == X11_TRUSTED ? "trusted" : "untrusted";
}

/*
 * An absolute path without control characters, "." or ".." components,
 * or doubled or trailing slashes: what a share names, on either side.
 * NULL, or why not.
 */
const char *
share_path_bad(const char *s)
{
	const char	*p, *c;
	size_t		 len;

	if (s[0] != '/')
		return "must be an absolute path";
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "has a control character";
	if (strlen(s) >= PATH_MAX / 4)
		return "is too long";
	for (c = s + 1; *c != '\0'; c += len + (c[len] == '/')) {
		len = strcspn(c, "/");
		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return "has an empty, \".\" or \"..\" component";
		if (c[len] == '/' && c[len + 1] == '\0')
			return "ends with a slash";
	}
	return NULL;
}

/* Is a equal to b, or one of them inside the other? */
static int
nested(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

	if (strcmp(a, "/") == 0 || strcmp(b, "/") == 0)
		return 1;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/') &&
	    (b[n] == '\0' || b[n] == '/');
}

/* A share must neither be in STATEDIR nor hold it (as written or real). */
static int
share_check(const struct netd_config *conf, const struct node *n,
    const struct vm_share *s)
{
	char	 rs[PATH_MAX], rd[PATH_MAX];

	if (nested(s->path, conf->statedir) ||
	    (realpath(s->path, rs) != NULL &&
	    realpath(conf->statedir, rd) != NULL && nested(rs, rd)))
		return graph_error(n->file, s->lineno, "vm \"%s\": share "
		    "\"%s\" overlaps the statedir \"%s\"", n->name, s->path,
		    conf->statedir);
	return 0;
}

int
shares_check(const struct netd_config *conf)
{
	const struct node	*n;
	const struct vm_share	*s;
	int			 rv = 0;

	TAILQ_FOREACH(n, &conf->nodes, entry)
		TAILQ_FOREACH(s, &n->shares, entry)
			if (share_check(conf, n, s) == -1)
				rv = -1;
	return rv;
}

void
vm_shares_free(struct vm_shares *l)
{
	struct vm_share	*s;

	while ((s = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, s, entry);
		free(s->path);
		free(s->guest);
		free(s);
	}
}
