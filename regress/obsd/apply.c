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
 * The OpenBSD backend's executor (pf/openbsd_exec.c) on a config, for
 * regress/obsd/group.sh: it runs the same plan kubsd-netd -t openbsd
 * prints, against the programs in -b DIR (stubs that record their argv;
 * never the real ones: -b is required).
 *
 *	apply [-HLnu] [-a VM:CHAIN] -b DIR -r ROOT [-R RECORD] -f CONF
 *
 * -a	an attach: VM moves to CHAIN ("none": offline); the plan is its
 *	veb port and anchor only
 * -H	through kubsd-netd's OpenBSD backend (load-openbsd.c,
 *	topology-openbsd.c) as the daemon calls it: the full plan
 *	(topo_apply), then with -a the attach (loader_load_anchors,
 *	then topo_reattach)
 * -L	with -H: then a reload of the same configuration
 * -n	print the plan (as -t openbsd prints it) and run nothing
 * -r	the root the plan's files are written under
 * -R	the record file of the steps that ran
 * -u	then run the teardown of what ran (also after a failure)
 * Exit 0: every step ran; 1: a step failed (one log line on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "live.h"
#include "load.h"
#include "log.h"
#include "rules.h"
#include "openbsd.h"
#include "topology.h"

static void
usage(void)
{
	fprintf(stderr, "usage: apply [-HLnu] [-a vm:chain] -b dir -r root "
	    "[-R record] -f conf\n");
	exit(2);
}

/* Move vm to chain in the graph: the VM, its anchor compiled anew. */
static struct node *
move(struct netd_config *conf, char *arg, struct ruleset **rsp,
    const struct anchor **ap)
{
	struct node		*n, **others;
	char			*chain, *old;
	size_t			 nothers;

	if ((chain = strchr(arg, ':')) == NULL)
		usage();
	*chain++ = '\0';
	if ((n = node_find(conf, arg)) == NULL || n->kind != NODE_VM) {
		fprintf(stderr, "apply: no vm %s\n", arg);
		return NULL;
	}
	old = n->chain_name;
	n->chain_name = strcmp(chain, "none") == 0 ? NULL : xstrdup(chain);
	free(old);
	if (graph_move(conf, n, &others, &nothers) == -1 ||
	    (*rsp = rules_compile(conf)) == NULL ||
	    (*ap = rules_anchor(*rsp, n->name)) == NULL) {
		fprintf(stderr, "apply: %s cannot move to %s\n", arg, chain);
		return NULL;
	}
	free(others);
	return n;
}

/* The plan of an attach: the VM's anchor, then its port. */
static int
plan_attach(struct obsd_plan *p, struct netd_config *conf,
    const struct obsd_units *u, char *arg)
{
	struct ruleset		*rs = NULL;
	const struct anchor	*a;
	struct node		*n;
	const char		*oldveb;
	char			*vm = xstrdup(arg);

	vm[strcspn(vm, ":")] = '\0';
	oldveb = (n = node_find(conf, vm)) != NULL ?
	    obsd_node_veb(u, n) : NULL;
	free(vm);
	if ((n = move(conf, arg, &rs, &a)) == NULL) {
		rules_free(rs);
		return -1;
	}
	obsd_plan_anchor(p, conf->statedir, a, u);
	obsd_plan_attach(p, conf, u, n, oldveb);
	rules_free(rs);
	return 0;
}

/*
 * As kubsd-netd calls the backend through load.h and topology.h: start
 * (topo_apply), then an attach (loader_load_anchors, topo_reattach),
 * then a reload (loader_load_full, topo_apply).
 */
static int
host(struct netd_config *conf, const struct obsd_exec *x, char *attach,
    int reload)
{
	struct netd_live	 lv;
	struct loader		*l = loader_open();
	struct ruleset		*rs = NULL;
	const struct anchor	*a, *none = NULL;
	struct node		*n;
	int			 rv = 0;

	memset(&lv, 0, sizeof(lv));
	lv.conf = conf;
	obsd_host_test(x->bindir, x->root);
	if (topo_apply(NULL, &lv) == -1)
		rv = -1;
	if (rv == 0 && attach != NULL) {
		if ((n = move(conf, attach, &rs, &a)) == NULL ||
		    loader_load_anchors(l, rs, &none, &a, 1) == -1 ||
		    topo_reattach(NULL, n) == -1)
			rv = -1;
		rules_free(rs);
		rs = NULL;
	}
	if (rv == 0 && reload && ((rs = rules_compile(conf)) == NULL ||
	    loader_load_full(l, rs) == -1 || topo_apply(NULL, &lv) == -1))
		rv = -1;
	if (rv == -1)
		fprintf(stderr, "apply: %s\n", loader_error(l));
	rules_free(rs);
	loader_close(l);
	return rv;
}

int
main(int argc, char *argv[])
{
	struct obsd_exec	 x;
	struct obsd_plan	 p = { NULL, 0 }, undo = { NULL, 0 };
	struct obsd_units	 u;
	struct netd_config	*conf;
	struct ruleset		*rs;
	char			*attach = NULL;
	const char		*file = NULL;
	int			 ch, print = 0, teardown = 0, rv = 0, daemon = 0;
	int			 reload = 0;

	memset(&x, 0, sizeof(x));
	while ((ch = getopt(argc, argv, "a:b:f:HLnr:R:u")) != -1) {
		switch (ch) {
		case 'H': daemon = 1; break;
		case 'L': reload = 1; break;
		case 'a': attach = optarg; break;
		case 'b': x.bindir = optarg; break;
		case 'f': file = optarg; break;
		case 'n': print = 1; break;
		case 'r': x.root = optarg; break;
		case 'R': x.record = optarg; break;
		case 'u': teardown = 1; break;
		default: usage();
		}
	}
	if (file == NULL || (!print && (x.bindir == NULL || x.root == NULL)))
		usage();
	log_init(1, 0);
	if ((conf = parse_config(file)) == NULL || graph_build(conf) == -1 ||
	    (rs = rules_compile(conf)) == NULL)
		return 2;
	obsd_units_alloc(&u, rs, NULL);
	if (daemon)
		rv = host(conf, &x, attach, reload);
	else if (attach != NULL)
		rv = plan_attach(&p, conf, &u, attach);
	else
		obsd_plan_full(&p, conf, rs, &u);
	if (rv == 0 && print)
		obsd_plan_print(stdout, &p);
	else if (rv == 0 && !daemon) {
		rv = obsd_exec(&p, &x);
		if (teardown) {
			obsd_plan_undo(&undo, &p);
			if (obsd_exec(&undo, &x) == -1)
				rv = -1;
		}
	}
	obsd_plan_free(&undo);
	obsd_plan_free(&p);
	obsd_units_free(&u);
	rules_free(rs);
	config_free(conf);
	return rv == 0 ? 0 : 1;
}
