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
 * kubsd-net attach: one VM moved to another chain, or offline, while
 * everything else stays as it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "kubsd.h"
#include "live.h"
#include "load.h"
#include "log.h"
#include "rules.h"
#include "vm.h"
#include "state.h"
#include "topology.h"

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The VM and the clients its move gave another address, recompiled. */
struct moved {
	const struct node	**node;
	struct anchor		 *old;		/* what is loaded now */
	const struct anchor	**oldp, **newp;
	size_t			  n;
};

static void
moved_alloc(struct moved *mv, size_t n)
{
	mv->n = n;
	mv->node = xcalloc(n + 1, sizeof(*mv->node));
	mv->old = xcalloc(n + 1, sizeof(*mv->old));
	mv->oldp = xcalloc(n + 1, sizeof(*mv->oldp));
	mv->newp = xcalloc(n + 1, sizeof(*mv->newp));
}

static int
moved_compile(struct netd *d, struct moved *mv, struct node *n,
    struct node **others, size_t nothers)
{
	size_t	 i;

	moved_alloc(mv, nothers + 1);
	mv->node[0] = n;
	for (i = 0; i < nothers; i++)
		mv->node[i + 1] = others[i];
	for (i = 0; i < mv->n; i++) {
		mv->newp[i] = rules_recompile(d->rs, mv->node[i],
		    &mv->old[i]);
		if (mv->newp[i] == NULL) {
			mv->n = i;	/* those before are put back */
			return -1;
		}
		mv->oldp[i] = &mv->old[i];
	}
	return 0;
}

/* keep: the new anchors stay (the old ones go); else the old come back. */
static void
moved_done(struct moved *mv, int keep)
{
	struct anchor	*a;
	size_t		 i;

	for (i = 0; i < mv->n; i++) {
		a = (struct anchor *)mv->newp[i];
		if (keep) {
			anchor_free(&mv->old[i]);
			anchor_strip(a);	/* loaded: see netd_apply() */
		} else {
			anchor_free(a);
			*a = mv->old[i];
		}
	}
	free(mv->node);
	free(mv->old);
	free(mv->oldp);
	free(mv->newp);
}

/*
 * Attach a VM to a chain ("none": offline) in one step: the new rules
 * for its port replace the old ones in one transaction, then its port
 * moves.  In between the port may only reach the new first hop, which
 * it is not yet wired to: packets are dropped, never leaked.
 *
 * Nothing here grows with the number of VMs but the kernel's own work:
 * the graph moves one VM (graph_move), only the anchors of the VMs that
 * changed are compiled again, and only they are loaded.
 */
static int
attach(struct netd *d, const char *vm, const char *chain, char *err,
    size_t errlen)
{
	struct node	*n, **others;
	struct moved	 mv;
	struct ruleset	*full = NULL;
	char		*old, *want = NULL, lerr[256];
	size_t		 nothers, i;
	double		 t[5];

	if ((n = node_find(d->conf, vm)) == NULL || n->kind != NODE_VM) {
		snprintf(err, errlen, "attach %s: no vm \"%s\"", vm, vm);
		return -1;
	}
	if (strcmp(chain, "none") != 0) {
		if (chain_find(d->conf, chain) == NULL) {
			snprintf(err, errlen, "attach %s: no chain \"%s\"", vm,
			    chain);
			return -1;
		}
		want = xstrdup(chain);
	}
	old = n->chain_name;
	n->chain_name = want;
	t[0] = now_ms();
	if (graph_move(d->conf, n, &others, &nothers) == -1) {
		free(others);
		snprintf(err, errlen, "attach %s: chain \"%s\" cannot take "
		    "it", vm, chain);
		goto revert;
	}
	t[1] = now_ms();
	/*
	 * A gateway's address feeds its uplink's rules and its guest: a
	 * move that would shift one (probe runs meeting on its upstream's
	 * segment) is refused rather than half applied.
	 */
	for (i = 0; i < nothers; i++)
		if (others[i]->kind != NODE_VM) {
			snprintf(err, errlen, "attach %s: it would move the "
			    "address of %s \"%s\" on %s's segment; not done", vm,
			    kind_name(others[i]->kind), others[i]->name,
			    others[i]->up->name);
			free(others);
			goto revert;
		}
	if (moved_compile(d, &mv, n, others, nothers) == -1) {
		moved_done(&mv, 0);
		free(others);
		snprintf(err, errlen, "attach %s: not in the ruleset", vm);
		goto revert;
	}
	free(others);
	t[2] = now_ms();
	if (loader_load_anchors(d->loader, d->rs, mv.oldp, mv.newp,
	    mv.n) == -1) {
		/*
		 * The kernel does not hold what netd loaded (kubsd's sets
		 * changed by hand?): the whole ruleset, which has the move,
		 * puts it back in line.
		 */
		log_warnx("attach %s: %s; loading the whole ruleset", vm,
		    loader_error(d->loader));
		if ((full = netd_load_rules(d, d->live, lerr,
		    sizeof(lerr))) == NULL) {
			snprintf(err, errlen, "attach %s: %s", vm, lerr);
			moved_done(&mv, 0);
			goto revert;
		}
	}
	t[3] = now_ms();
	free(old);
	live_node(d->live, n)->attached = 1;
	state_note_attachment(d->conf, n);
	netd_attached();
	t[4] = now_ms();
	for (i = 1; i < mv.n; i++) {
		log_info("attach %s: %s moved to %s", vm, mv.node[i]->name,
		    mv.newp[i]->info);
		if (topo_reattach(d->link, mv.node[i]) == -1)
			log_warnx("attach %s: moving %s failed; it stays "
			    "blocked", vm, mv.node[i]->port_if);
		vm_net_changed(mv.node[i]);
	}
	moved_done(&mv, 1);
	if (full != NULL)
		netd_keep_rules(d, full);
	if (topo_reattach(d->link, n) == -1) {
		snprintf(err, errlen, "attach %s: moving port %s failed; it "
		    "stays blocked", vm, n->port_if);
		return -1;
	}
	vm_net_changed(n);
	log_info("attached %s to %s", vm, chain);
	log_debug("attach %s: graph %.2f ms, compile %.2f ms, rules %.2f ms, "
	    "state %.2f ms, links %.2f ms", vm, t[1] - t[0], t[2] - t[1],
	    t[3] - t[2], t[4] - t[3], now_ms() - t[4]);
	return 0;

revert:
	n->chain_name = old;
	free(want);
	if (graph_move(d->conf, n, &others, &nothers) == -1)
		fatalx("attach %s: cannot put it back", vm);
	free(others);
	return -1;
}

/* An attach; one that failed is the VM's last error (status). */
int
netd_attach(struct netd *d, const char *vm, const char *chain, char *err,
    size_t errlen)
{
	const struct node	*n;
	struct node_live	*nl;

	if (attach(d, vm, chain, err, errlen) == 0)
		return 0;
	if ((n = node_find(d->conf, vm)) != NULL) {
		nl = live_node(d->live, n);
		snprintf(nl->last_error, sizeof(nl->last_error), "%s", err);
	}
	return -1;
}


/*
 * Gateways became ready or stopped being so: the VMs whose chain did
 * get their elements, or lose them, in one transaction.  Nothing else in
 * the rules depends on readiness (compile_vm()).  -1: not done, and the
 * caller loads the whole ruleset instead.
 */
int
netd_regate(struct netd *d)
{
	struct moved		 mv;
	const struct node	*n;
	const struct anchor	*a;
	size_t			 count = 0;
	int			 rv;

	if (d->rs == NULL)
		return -1;
	TAILQ_FOREACH(n, &d->conf->nodes, entry)
		count += n->kind == NODE_VM;
	moved_alloc(&mv, count);
	mv.n = 0;		/* those whose readiness changed */
	TAILQ_FOREACH(n, &d->conf->nodes, entry) {
		if (n->kind != NODE_VM)
			continue;
		if ((a = rules_anchor(d->rs, n->name)) == NULL) {
			moved_done(&mv, 0);
			return -1;
		}
		if ((live_blocked(d->live, n) == NULL) == a->ident.on)
			continue;
		mv.node[mv.n] = n;
		mv.newp[mv.n] = rules_recompile(d->rs, n, &mv.old[mv.n]);
		mv.oldp[mv.n] = &mv.old[mv.n];
		mv.n++;
	}
	rv = loader_load_anchors(d->loader, d->rs, mv.oldp, mv.newp, mv.n);
	if (rv == -1)
		log_warnx("gateway readiness: %s", loader_error(d->loader));
	else if (mv.n > 0)
		log_info("gateway readiness: %zu vm%s changed", mv.n,
		    mv.n == 1 ? "" : "s");
	moved_done(&mv, rv == 0);
	return rv;
}
