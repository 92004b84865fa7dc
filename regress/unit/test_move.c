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
 * graph_move() against a full rebuild, on random configurations whose
 * gateways sit on segments VMs join (tor over sys-net, chains of
 * several hops): after each of many moves and reloads (on small
 * segments, so that probe runs meet), every node of the incrementally
 * moved graph must equal a graph_reset() + graph_build() of the same
 * attachments and a fresh load (what a restart builds), no two nodes
 * may share an address, no gateway may move, and the clients a move
 * reports must be exactly the ones whose address changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "check.h"

#define NCONFS	12
#define MAXGW	6
#define MAXVMS	48
#define NMOVES	150

struct shape {
	int	 ngw;
	int	 gwup[MAXGW];		/* -1: the uplink, else a gateway */
	int	 nvms;
};

static struct netd_config *
load(const char *path)
{
	struct netd_config	*conf;

	if ((conf = parse_config(path)) == NULL || graph_build(conf) != 0) {
		fprintf(stderr, "FAIL: %s does not load\n", path);
		exit(1);
	}
	return conf;
}

/* Chain "cN" runs from gateway N up to the uplink. */
static void
write_chain(FILE *fp, const struct shape *sh, int g)
{
	fprintf(fp, "chain \"c%d\" {", g);
	for (; g != -1; g = sh->gwup[g])
		fprintf(fp, " \"gw%d\"", g);
	fprintf(fp, " \"wan\" }\n");
}

/*
 * Random gateways, each upstream of the uplink or of an earlier one
 * (so gateways share segments with the VMs of the shorter chains), and
 * /26 segments: 61 addresses, crowded enough that probe runs meet.
 */
static void
write_conf(const char *path, struct shape *sh)
{
	FILE	*fp = fopen(path, "w");
	int	 i;

	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	sh->ngw = 2 + (int)(random() % (MAXGW - 1));
	sh->nvms = 20 + (int)(random() % (MAXVMS - 19));
	fprintf(fp, "pool 10.66.0.0/16 prefixlen 26\n"
	    "uplink \"wan\" { interface \"eth0\" }\n");
	for (i = 0; i < sh->ngw; i++) {
		sh->gwup[i] = i == 0 ? -1 : (int)(random() % (i + 1)) - 1;
		fprintf(fp, "gateway \"gw%d\" { role %s }\n", i,
		    random() % 2 ? "tor" : "sys-net");
	}
	for (i = 0; i < sh->ngw; i++)
		write_chain(fp, sh, i);
	for (i = 0; i < sh->nvms; i++)
		fprintf(fp, "vm \"%c%02d\" { chain \"c%d\" }\n",
		    "asz"[random() % 3], i, (int)(random() % sh->ngw));
	fclose(fp);
}

static int
same(const struct node *a, const struct node *b)
{
	return strcmp(a->name, b->name) == 0 &&
	    (a->up == NULL) == (b->up == NULL) &&
	    (a->up == NULL || strcmp(a->up->name, b->up->name) == 0) &&
	    (a->chain == NULL) == (b->chain == NULL) &&
	    (a->chain == NULL || strcmp(a->chain->name, b->chain->name) == 0) &&
	    a->slot == b->slot && a->ipv6 == b->ipv6 &&
	    memcmp(&a->addr, &b->addr, sizeof(a->addr)) == 0 &&
	    memcmp(&a->addr6, &b->addr6, sizeof(a->addr6)) == 0 &&
	    memcmp(a->mac, b->mac, 6) == 0;
}

/* Every node of a equals its namesake in b. */
static void
compare(struct netd_config *a, struct netd_config *b, const char *what,
    int step)
{
	struct node	*n, *m;

	TAILQ_FOREACH(n, &a->nodes, entry) {
		m = node_find(b, n->name);
		CHECK(m != NULL && same(n, m), "step %d: %s (slot %u) differs "
		    "from %s (slot %u)", step, n->name, n->slot, what,
		    m != NULL ? m->slot : 0);
	}
}

/* No two nodes, and no node and a segment's gateway, share an address. */
static void
unique_addresses(struct netd_config *conf, int step)
{
	struct node	*n, *m;
	size_t		 i;

	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->up == NULL)
			continue;
		for (m = TAILQ_NEXT(n, entry); m != NULL;
		    m = TAILQ_NEXT(m, entry))
			CHECK(m->up == NULL || memcmp(&n->addr, &m->addr,
			    sizeof(n->addr)) != 0, "step %d: %s and %s share "
			    "an address", step, n->name, m->name);
		for (i = 0; i < conf->nsegments; i++)
			CHECK(memcmp(&n->addr, &conf->segments[i].gw,
			    sizeof(n->addr)) != 0, "step %d: %s has the "
			    "address of %s's segment", step, n->name,
			    conf->segments[i].owner->name);
	}
}

/* The attachments of from, given to to (state_load_attachments()). */
static void
copy_attachments(struct netd_config *to, struct netd_config *from)
{
	struct node	*n, *m;

	TAILQ_FOREACH(n, &from->nodes, entry) {
		if (n->kind != NODE_VM || (m = node_find(to, n->name)) == NULL)
			continue;
		free(m->chain_name);
		m->chain_name = n->chain_name ? xstrdup(n->chain_name) : NULL;
	}
}

/* What a restart with inc's attachments builds: a fresh load. */
static struct netd_config *
fresh(const char *path, struct netd_config *inc)
{
	struct netd_config	*conf = load(path);

	copy_attachments(conf, inc);
	graph_reset(conf);
	if (graph_build(conf) != 0) {
		fprintf(stderr, "FAIL: %s with the attachments does not "
		    "build\n", path);
		exit(1);
	}
	return conf;
}

static size_t	 reported, reloads;

/* One move of VM n to chain c, checked against a rebuild. */
static void
move_one(struct netd_config *inc, struct netd_config *full, struct node *n,
    const char *c, int step)
{
	struct node	**others, *a, *m;
	struct kaddr	 before[MAXGW + MAXVMS + 1];
	size_t		 nothers, i, k = 0;
	int		 changed;

	TAILQ_FOREACH(m, &inc->nodes, entry)
		before[k++] = m->addr;
	free(n->chain_name);
	n->chain_name = c ? xstrdup(c) : NULL;
	CHECK(graph_move(inc, n, &others, &nothers) == 0,
	    "step %d: %s to %s failed", step, n->name, c ? c : "none");
	copy_attachments(full, inc);
	graph_reset(full);
	CHECK(graph_build(full) == 0, "step %d: rebuild failed", step);
	compare(inc, full, "a rebuild", step);
	k = 0;
	TAILQ_FOREACH(a, &inc->nodes, entry) {
		changed = memcmp(&before[k++], &a->addr,
		    sizeof(a->addr)) != 0 && a != n;
		for (i = 0; i < nothers; i++)
			if (others[i] == a)
				break;
		CHECK(changed == (i < nothers), "step %d: %s %s", step,
		    a->name, changed ? "changed unreported" :
		    "reported unchanged");
		CHECK(!changed || a->kind == NODE_VM, "step %d: moving %s "
		    "moved gateway %s", step, n->name, a->name);
	}
	reported += nothers;
	free(others);
}

/* One configuration: random moves, and now and then a reload. */
static void
run_conf(const char *path, int cn)
{
	struct netd_config	*inc, *full, *re;
	struct node		*n;
	struct shape		 sh;
	char			 c[16];
	int			 step, nvm, ch;

	write_conf(path, &sh);
	inc = load(path);
	full = load(path);
	for (step = 0; step < NMOVES; step++) {
		if (random() % 25 == 0) {
			/* a reload: the live graph is what a restart builds */
			re = fresh(path, inc);
			compare(inc, re, "a fresh start", cn * NMOVES + step);
			config_free(inc);
			inc = re;
			reloads++;
		}
		nvm = (int)(random() % sh.nvms);
		TAILQ_FOREACH(n, &inc->nodes, entry)
			if (n->kind == NODE_VM && nvm-- == 0)
				break;
		ch = (int)(random() % (sh.ngw + 1));
		snprintf(c, sizeof(c), "c%d", ch);
		move_one(inc, full, n, ch == sh.ngw ? NULL : c,
		    cn * NMOVES + step);
		unique_addresses(inc, cn * NMOVES + step);
	}
	re = fresh(path, inc);
	compare(inc, re, "a fresh start", cn * NMOVES + step);
	unique_addresses(re, cn * NMOVES + step);
	config_free(re);
	config_free(inc);
	config_free(full);
}

int
main(void)
{
	char	 path[] = "/tmp/kubsd-move.XXXXXX";
	int	 fd, cn;

	if ((fd = mkstemp(path)) == -1) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	srandom(42);
	for (cn = 0; cn < NCONFS; cn++)
		run_conf(path, cn);
	/* the test must have exercised the collision case */
	CHECK(reported > 0, "no move displaced another client");
	CHECK(reloads > 0, "no reload");
	printf("%d configurations, %d moves, %zu reloads, %zu displaced "
	    "clients\n", NCONFS, NCONFS * NMOVES, reloads, reported);
	unlink(path);
	return failures ? 1 : 0;
}
