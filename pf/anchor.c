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
 * An anchor after rules_compile(): compiled again in place when its VM
 * moves, trimmed, stripped of its rules once loaded, freed.
 */
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"

/*
 * Only the VM's own anchor depends on where it is attached (its first
 * hop, addresses, DNS): the rest of the ruleset stays as compiled.
 */
struct anchor *
rules_recompile(struct ruleset *rs, const struct node *n, struct anchor *old)
{
	struct anchor	*a;

	if (n->kind != NODE_VM ||
	    (a = (struct anchor *)rules_anchor(rs, n->name)) == NULL ||
	    a->kind != ANCHOR_VM)
		return NULL;
	*old = *a;
	memset(a, 0, sizeof(*a));
	anchor_init(a, n, ANCHOR_VM);
	compile_vm(a, n, rs->gate);
	anchor_shrink(a);
	return a;
}

/* Give back the rule array's slack: a ruleset stays as long as netd. */
void
anchor_shrink(struct anchor *a)
{
	if (a->caprules > a->nrules && a->nrules > 0) {
		a->rules = xreallocarray(a->rules, a->nrules,
		    sizeof(*a->rules));
		a->caprules = a->nrules;
	}
}

static void
free_rule(struct rule *r)
{
	free(r->protos);
	free(r->src.v);
	free(r->dst.v);
	free(r->sport.v);
	free(r->dport.v);
}

/*
 * Once loaded, a VM's rules are not needed again until it moves (and is
 * compiled anew): keep its anchor's name and ports, free its rules.  A
 * stripped ruleset cannot be emitted; compile the graph again for that.
 */
void
anchor_strip(struct anchor *a)
{
	size_t	 j;

	for (j = 0; j < a->nrules; j++)
		free_rule(&a->rules[j]);
	free(a->rules);
	a->rules = NULL;
	a->nrules = a->caprules = 0;
}

void
rules_strip_vms(struct ruleset *rs)
{
	size_t	 i;

	for (i = 0; i < rs->nanchors; i++)
		if (rs->anchors[i].kind == ANCHOR_VM)
			anchor_strip(&rs->anchors[i]);
}

/* What an anchor holds (not the anchor itself). */
void
anchor_free(struct anchor *a)
{
	size_t	 j;

	for (j = 0; j < a->nrules; j++)
		free_rule(&a->rules[j]);
	for (j = 0; j < a->nfwd; j++)
		free(a->fwd[j].dst);
	free(a->rules);
	free(a->nat);
	free(a->fwd);
	free(a->fence);
	free(a->name);
	free(a->info);
}

void
rules_free(struct ruleset *rs)
{
	size_t	 i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nanchors; i++)
		anchor_free(&rs->anchors[i]);
	free(rs->anchors);
	free(rs->byname);
	free(rs);
}

/*
 * An uplink's fence, for the emitters: its networks of af, each after
 * sep (first: the first one's); 0 printed: there are none.
 */
size_t
fence_print(FILE *f, const struct anchor *a, int af, const char *first,
    const char *sep)
{
	char	 buf[KADDR_STRLEN];
	size_t	 i, n = 0;

	for (i = 0; i < a->nfence; i++)
		if (a->fence[i].af == af)
			fprintf(f, "%s%s", n++ == 0 ? first : sep,
			    kaddr_str(&a->fence[i], buf, sizeof(buf)));
	return n;
}

/*
 * Whether an uplink forwards IPv6 for a gateway: the host is then that
 * gateway's IPv6 next hop and must answer its neighbour discovery.
 */
int
anchor_fwd6(const struct anchor *a)
{
	size_t	 i;

	for (i = 0; i < a->nfwd; i++)
		if (a->fwd[i].af == AF_INET6)
			return 1;
	return 0;
}
