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
 *	apply [-nu] [-a VM:CHAIN] -b DIR -r ROOT [-R RECORD] -f CONF
 *
 * -a	an attach: VM moves to CHAIN ("none": offline); the plan is its
 *	veb port and anchor only
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
#include "log.h"
#include "rules.h"
#include "openbsd.h"

static void
usage(void)
{
	fprintf(stderr, "usage: apply [-nu] [-a vm:chain] -b dir -r root "
	    "[-R record] -f conf\n");
	exit(2);
}

/* Move vm to chain in the graph; the plan of that move. */
static int
plan_attach(struct obsd_plan *p, struct netd_config *conf,
    const struct obsd_units *u, char *arg)
{
	struct node		*n, **others;
	struct ruleset		*rs;
	const struct anchor	*a;
	const char		*oldveb;
	char			*chain, *old;
	size_t			 nothers;

	if ((chain = strchr(arg, ':')) == NULL)
		usage();
	*chain++ = '\0';
	if ((n = node_find(conf, arg)) == NULL || n->kind != NODE_VM) {
		fprintf(stderr, "apply: no vm %s\n", arg);
		return -1;
	}
	oldveb = obsd_node_veb(u, n);
	old = n->chain_name;
	n->chain_name = strcmp(chain, "none") == 0 ? NULL : xstrdup(chain);
	free(old);
	if (graph_move(conf, n, &others, &nothers) == -1 ||
	    (rs = rules_compile(conf)) == NULL ||
	    (a = rules_anchor(rs, n->name)) == NULL) {
		fprintf(stderr, "apply: %s cannot move to %s\n", arg, chain);
		return -1;
	}
	free(others);
	obsd_plan_anchor(p, conf->statedir, a, u);
	obsd_plan_attach(p, conf, u, n, oldveb);
	rules_free(rs);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct obsd_exec	 x = { NULL, NULL, NULL };
	struct obsd_plan	 p = { NULL, 0 }, undo = { NULL, 0 };
	struct obsd_units	 u;
	struct netd_config	*conf;
	struct ruleset		*rs;
	char			*attach = NULL;
	const char		*file = NULL;
	int			 ch, print = 0, teardown = 0, rv = 0;

	while ((ch = getopt(argc, argv, "a:b:f:nr:R:u")) != -1) {
		switch (ch) {
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
	if (attach != NULL)
		rv = plan_attach(&p, conf, &u, attach);
	else
		obsd_plan_full(&p, conf, rs, &u);
	if (rv == 0 && print)
		obsd_plan_print(stdout, &p);
	else if (rv == 0) {
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
