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
 * Templates in the configuration: the recipes, and the rule that a VM's
 * "template" names a template block or a recipe ("debian", "minimal"),
 * which then stands for a template of that name with every default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "graph.h"

static const char *const recipes[] = {
	[RECIPE_NONE] = "none",
	[RECIPE_DEBIAN] = "debian",
	[RECIPE_MINIMAL] = "minimal",
};

enum recipe
template_builtin(const char *name)
{
	size_t	 i;

	for (i = RECIPE_NONE + 1; i < sizeof(recipes) / sizeof(recipes[0]);
	    i++)
		if (strcmp(name, recipes[i]) == 0)
			return (enum recipe)i;
	return RECIPE_NONE;
}

const char *
recipe_name(enum recipe r)
{
	return recipes[r];
}

/* NAME's block, else the built-in recipe NAME filled into *builtin,
 * else NULL. */
const struct template *
template_find(const struct netd_config *conf, const char *name,
    struct template *builtin)
{
	const struct template	*t;

	TAILQ_FOREACH(t, &conf->templates, entry)
		if (strcmp(t->name, name) == 0)
			return t;
	if (template_builtin(name) == RECIPE_NONE)
		return NULL;
	memset(builtin, 0, sizeof(*builtin));
	builtin->name = (char *)name;
	builtin->recipe = template_builtin(name);
	return builtin;
}

int
templates_check(const struct netd_config *conf)
{
	const struct node	*n;
	struct template		 b;
	int			 rv = 0;

	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->template != NULL &&
		    template_find(conf, n->template, &b) == NULL)
			rv = graph_error(n->file, n->template_lineno,
			    "%s \"%s\": unknown template \"%s\" (no template "
			    "block, and not a recipe: debian or minimal)",
			    n->kind == NODE_GATEWAY ? "gateway" : "vm",
			    n->name, n->template);
	return rv;
}

void
template_free_all(struct templates *ts)
{
	struct template	*t;
	size_t		 i;

	while ((t = TAILQ_FIRST(ts)) != NULL) {
		TAILQ_REMOVE(ts, t, entry);
		for (i = 0; i < t->npackages; i++)
			free(t->packages[i]);
		free(t->packages);
		free(t->name);
		free(t->suite);
		free(t->mirror);
		free(t);
	}
}
