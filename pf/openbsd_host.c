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
 * kubsd-netd on OpenBSD: the host plan (openbsd_plan.c) carried out by
 * the executor (openbsd_exec.c), nothing else.  The full plan at start
 * (at a reload, without its boot steps: the disks, vmd and the VMs it
 * starts); an attach, its VM's anchor (the loader's call) and then its
 * veb port (the topology's); a node dropped, its interfaces destroyed
 * and its anchor flushed; teardown, every anchor that was loaded.
 * Each step that ran is appended to STATEDIR/openbsd-ran, started
 * afresh at each start.  load-openbsd.c and topology-openbsd.c are the
 * headers' thin ends of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "log.h"
#include "rules.h"
#include "openbsd.h"

#define OBSD_RAN_FILE	"openbsd-ran"	/* in STATEDIR */

/* Where a VM's port is: the veb of its segment ("": none). */
struct port_at {
	char	 key[KUBSD_IFNAMSIZ];
	char	 veb[KUBSD_IFNAMSIZ];
};

static struct {
	const struct netd_config	*conf;	/* NULL: not started */
	struct obsd_units		 u;
	struct obsd_units		 prev;	/* before the last apply */
	struct obsd_plan		 ran;	/* the last full plan */
	struct port_at			*at;
	size_t				 nat;
	const char			*bindir;	/* tests: stubs */
	const char			*root;		/* tests: files */
	char				 record[1024];
	char				 units[1024];
	char				 error[512];
} host;

/* Tests only: the programs are the stubs in bindir, files go under root. */
void
obsd_host_test(const char *bindir, const char *root)
{
	host.bindir = bindir;
	host.root = root;
}

const char *
obsd_host_error(void)
{
	return host.error;
}

static int
host_exec(struct obsd_plan *p, int reload)
{
	struct obsd_exec	 x;

	memset(&x, 0, sizeof(x));
	x.bindir = host.bindir;
	x.root = host.root;
	x.record = host.record;
	x.reload = reload;
	if (obsd_exec(p, &x) == 0)
		return 0;
	snprintf(host.error, sizeof(host.error), "%s", x.error);
	return -1;
}

static struct port_at *
port_at(const char *key)
{
	size_t	 i;

	for (i = 0; i < host.nat; i++)
		if (strcmp(host.at[i].key, key) == 0)
			return &host.at[i];
	host.at = xreallocarray(host.at, host.nat + 1, sizeof(*host.at));
	memset(&host.at[host.nat], 0, sizeof(*host.at));
	snprintf(host.at[host.nat].key, sizeof(host.at->key), "%s", key);
	return &host.at[host.nat++];
}

static void
port_note(const struct node *n)
{
	const char	*veb = obsd_node_veb(&host.u, n);

	snprintf(port_at(n->port_if)->veb, sizeof(host.at->veb), "%s",
	    veb != NULL ? veb : "");
}

/* The full plan of conf: at start, or (its boot steps left) a reload. */
int
obsd_host_apply(const struct netd_config *conf)
{
	struct obsd_plan	 p = { NULL, 0 };
	struct ruleset		*rs;
	const struct node	*n;
	int			 reload = host.conf != NULL, rv;

	if ((rs = rules_compile(conf)) == NULL) {
		snprintf(host.error, sizeof(host.error), "cannot compile the "
		    "rules");
		return -1;
	}
	snprintf(host.units, sizeof(host.units), "%s%s/%s", host.root !=
	    NULL ? host.root : "", conf->statedir, OBSD_UNITS_FILE);
	snprintf(host.record, sizeof(host.record), "%s%s/%s", host.root !=
	    NULL ? host.root : "", conf->statedir, OBSD_RAN_FILE);
	if (!reload)
		unlink(host.record);
	obsd_units_free(&host.prev);
	host.prev = host.u;
	obsd_units_alloc(&host.u, rs, host.units);
	if (obsd_units_save(&host.u, host.units) == -1)
		log_warn("%s", host.units);
	obsd_plan_full(&p, conf, rs, &host.u);
	rules_free(rs);
	rv = host_exec(&p, reload);
	obsd_plan_free(&host.ran);
	host.ran = p;
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind == NODE_VM)
			port_note(n);
	/* a reload that failed keeps the configuration it replaced */
	if (rv == 0 || !reload)
		host.conf = conf;
	return rv;
}

/* The whole ruleset's anchors again (before the first start: the
 * full plan loads them). */
int
obsd_host_load(const struct ruleset *rs)
{
	struct obsd_plan	 p = { NULL, 0 };
	struct obsd_units	 u;
	size_t			 i;
	int			 rv;

	if (host.conf == NULL)
		return 0;
	/* rs may have nodes that are new (a reload): the units it will get */
	obsd_units_alloc(&u, rs, host.units);
	for (i = 0; i < rs->nanchors; i++)
		if (rs->anchors[i].kind != ANCHOR_BASE)
			obsd_plan_anchor(&p, host.conf->statedir,
			    &rs->anchors[i], &u);
	rv = host_exec(&p, 1);
	obsd_plan_free(&p);
	obsd_units_free(&u);
	return rv;
}

static void
plan_flush(struct obsd_plan *p, const char *name)
{
	char	 anchor[128];

	snprintf(anchor, sizeof(anchor), "kubsd/%s", name);
	obsd_plan_run(p, "pfctl", "-a", anchor, "-F", "rules", NULL);
}

/* An attach's anchors: new[i] saved and loaded, or old[i] flushed. */
int
obsd_host_anchors(const struct anchor *const *old,
    const struct anchor *const *new, size_t n)
{
	struct obsd_plan	 p = { NULL, 0 };
	size_t			 i;
	int			 rv;

	if (host.conf == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (new[i] != NULL)
			obsd_plan_anchor(&p, host.conf->statedir, new[i],
			    &host.u);
		else if (old[i] != NULL)
			plan_flush(&p, old[i]->name);
	rv = host_exec(&p, 1);
	obsd_plan_free(&p);
	return rv;
}

/* An attach's port: off the veb it was on, onto its segment's. */
int
obsd_host_move(const struct node *n)
{
	struct obsd_plan	 p = { NULL, 0 };
	const char		*old;
	int			 rv;

	if (host.conf == NULL)
		return 0;
	old = port_at(n->port_if)->veb;
	obsd_plan_attach(&p, host.conf, &host.u, n, old[0] != '\0' ? old :
	    NULL);
	if ((rv = host_exec(&p, 1)) == 0)
		port_note(n);
	obsd_plan_free(&p);
	return rv;
}

/* A unit that another interface of the configuration now holds. */
static int
unit_held(const char *unit, const char *key)
{
	size_t	 i;

	for (i = 0; i < host.u.n; i++)
		if (strcmp(host.u.v[i].name, unit) == 0 &&
		    strcmp(host.u.v[i].key, key) != 0)
			return 1;
	return 0;
}

/*
 * A dropped node's interface: its unit from before the reload, unless a
 * node of the new configuration was given it.
 */
static void
plan_destroy(struct obsd_plan *p, enum obsd_kind k, const char *key)
{
	const char	*unit = obsd_unit(&host.prev, k, key);

	if (unit == NULL)
		unit = obsd_unit(&host.u, k, key);
	else if (unit_held(unit, key))
		return;
	if (unit != NULL)
		obsd_plan_run(p, "ifconfig", unit, "destroy", NULL);
}

/* A node dropped: its veb, vport and taps destroyed, its anchor flushed. */
int
obsd_host_remove(const struct node *n)
{
	struct obsd_plan	 p = { NULL, 0 };
	int			 rv;

	if (host.conf == NULL)
		return 0;
	plan_flush(&p, n->name);
	if (n->kind != NODE_VM)
		plan_destroy(&p, OBSD_VEB, n->bridge_if);
	if (n->kind == NODE_UPLINK)
		plan_destroy(&p, OBSD_VPORT, n->bridge_if);
	else
		plan_destroy(&p, OBSD_TAP, n->port_if);
	if (n->kind == NODE_GATEWAY)
		plan_destroy(&p, OBSD_TAP, n->down_if);
	rv = host_exec(&p, 1);
	obsd_plan_free(&p);
	return rv;
}

/* Teardown: every anchor the full plan loaded, flushed. */
int
obsd_host_flush(void)
{
	struct obsd_plan	 undo = { NULL, 0 }, p = { NULL, 0 };
	size_t			 i;
	int			 rv;

	obsd_plan_undo(&undo, &host.ran);
	for (i = 0; i < undo.n; i++)
		if (strcmp(undo.v[i].argv[0], "pfctl") == 0)
			plan_flush(&p, undo.v[i].argv[2] + strlen("kubsd/"));
	rv = host_exec(&p, 1);
	obsd_plan_free(&p);
	obsd_plan_free(&undo);
	return rv;
}
