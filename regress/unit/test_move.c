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
 * graph_move() against a full rebuild: after each of many moves (on
 * small segments, so that probe runs meet), every node of the
 * incrementally moved graph must equal a graph_reset() + graph_build()
 * of the same attachments, and the clients it reports must be exactly
 * the ones whose address changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "check.h"

#define NVMS	90
#define NMOVES	400

static const char *chains[] = { "clear", "tor", "v6", NULL /* none */ };

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

static void
write_conf(const char *path)
{
	FILE	*fp = fopen(path, "w");
	int	 i;

	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	/* /26 segments: 61 addresses, and 90 VMs over three of them */
	fprintf(fp, "pool 10.66.0.0/16 prefixlen 26\n"
	    "uplink \"wan\" { interface \"eth0\" }\n"
	    "gateway \"sys-net\" { role sys-net }\n"
	    "gateway \"sys-tor\" { role tor }\n"
	    "gateway \"sys-6\" { role sys-net }\n"
	    "chain \"clear\" { \"sys-net\" \"wan\" }\n"
	    "chain \"tor\" { \"sys-tor\" \"sys-net\" \"wan\" }\n"
	    "chain \"v6\" { \"sys-6\" \"wan\"; ipv6 yes }\n");
	for (i = 0; i < NVMS; i++)
		fprintf(fp, "vm \"app%02d\" { chain \"%s\" }\n", i,
		    chains[i % 3]);
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

int
main(void)
{
	char			 path[] = "/tmp/kubsd-move.XXXXXX";
	struct netd_config	*inc, *full;
	struct node		*n, *m, **others, *a, *b;
	struct kaddr		 before[NVMS + 8];
	size_t			 nothers, i, k, reported = 0;
	int			 fd, move, nvm, changed;
	const char		*c;

	if ((fd = mkstemp(path)) == -1) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	write_conf(path);
	inc = load(path);
	full = load(path);
	srandom(42);
	for (move = 0; move < NMOVES; move++) {
		nvm = (int)(random() % NVMS);
		c = chains[random() % 4];
		k = 0;
		TAILQ_FOREACH(m, &inc->nodes, entry)
			before[k++] = m->addr;
		TAILQ_FOREACH(n, &inc->nodes, entry)
			if (n->kind == NODE_VM && nvm-- == 0)
				break;
		free(n->chain_name);
		n->chain_name = c ? xstrdup(c) : NULL;
		CHECK(graph_move(inc, n, &others, &nothers) == 0,
		    "move %d: %s to %s failed", move, n->name, c ? c : "none");
		m = node_find(full, n->name);
		free(m->chain_name);
		m->chain_name = c ? xstrdup(c) : NULL;
		graph_reset(full);
		CHECK(graph_build(full) == 0, "move %d: rebuild failed", move);

		k = 0;
		b = TAILQ_FIRST(&full->nodes);
		TAILQ_FOREACH(a, &inc->nodes, entry) {
			CHECK(same(a, b), "move %d (%s to %s): %s differs from "
			    "a rebuild", move, n->name, c ? c : "none",
			    a->name);
			changed = a != n && memcmp(&before[k], &a->addr,
			    sizeof(a->addr)) != 0;
			for (i = 0; i < nothers; i++)
				if (others[i] == a)
					break;
			CHECK(changed == (i < nothers), "move %d: %s %s",
			    move, a->name, changed ? "changed unreported" :
			    "reported unchanged");
			b = TAILQ_NEXT(b, entry);
			k++;
		}
		reported += nothers;
		free(others);
	}
	/* the test must have exercised the collision case */
	CHECK(reported > 0, "no move displaced another client");
	printf("%d moves, %zu displaced clients\n", NMOVES, reported);
	config_free(inc);
	config_free(full);
	unlink(path);
	return failures ? 1 : 0;
}
