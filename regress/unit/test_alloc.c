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
 * Allocation determinism: the same configuration gives the same graph
 * whatever the declaration order; removing a VM moves no other VM that
 * sits at its home slot, and a VM displaced by a collision only moves
 * back towards its home slot.  MACs never change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "graph.h"
#include "check.h"

#define NVMS	60

struct snap {
	char		 name[32];
	struct kaddr	 addr;
	uint8_t		 mac[6];
	unsigned	 slot, home;
};


/* Write a config with the VMs whose bit is set in keep, in order. */
static void
write_conf(const char *path, const int *keep, int reverse)
{
	FILE	*fp = fopen(path, "w");
	int	 i, j;

	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(fp, "pool 10.66.0.0/16\n"
	    "uplink \"wan\" { interface \"eth0\" }\n"
	    "gateway \"sys-net\" { role sys-net }\n"
	    "gateway \"sys-tor\" { role tor }\n"
	    "chain \"clear\" { \"sys-net\" \"wan\" }\n"
	    "chain \"tor\" { \"sys-tor\" \"sys-net\" \"wan\" }\n");
	for (j = 0; j < NVMS; j++) {
		i = reverse ? NVMS - 1 - j : j;
		if (keep[i])
			fprintf(fp, "vm \"app%02d\" { chain \"%s\" }\n", i,
			    i % 2 ? "tor" : "clear");
	}
	fclose(fp);
}

static size_t
snapshot(const char *path, struct snap *out)
{
	struct netd_config	*conf;
	struct node		*n;
	size_t			 k = 0;

	if ((conf = parse_config(path)) == NULL || graph_build(conf) != 0) {
		fprintf(stderr, "FAIL: %s does not load\n", path);
		exit(1);
	}
	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->kind == NODE_UPLINK)
			continue;
		snprintf(out[k].name, sizeof(out[k].name), "%s", n->name);
		out[k].addr = n->addr;
		memcpy(out[k].mac, n->mac, 6);
		out[k].slot = n->slot;
		out[k].home = alloc_home_slot(conf, n);
		k++;
	}
	config_free(conf);
	return k;
}

static const struct snap *
find(const struct snap *s, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(s[i].name, name) == 0)
			return &s[i];
	return NULL;
}

/* Distance travelled by the probe from home to slot, on a ring. */
static unsigned
probe_dist(unsigned home, unsigned slot, unsigned usable)
{
	return (slot + usable - home) % usable;
}

static void
compare(const struct snap *a, size_t na, const struct snap *b, size_t nb,
    const char *what, int strict)
{
	const struct snap	*x, *y;
	size_t			 i;

	for (i = 0; i < na; i++) {
		x = &a[i];
		if ((y = find(b, nb, x->name)) == NULL)
			continue;
		CHECK(memcmp(x->mac, y->mac, 6) == 0, "%s: %s changed MAC",
		    what, x->name);
		if (strict || x->slot == x->home)
			CHECK(x->slot == y->slot, "%s: %s moved %u -> %u",
			    what, x->name, x->slot, y->slot);
		else
			CHECK(probe_dist(y->home, y->slot, 253) <=
			    probe_dist(x->home, x->slot, 253),
			    "%s: displaced %s moved away from home", what,
			    x->name);
	}
}

int
main(void)
{
	char		 p1[] = "/tmp/kubsd-alloc-XXXXXX";
	int		 keep[NVMS], i, fd;
	struct snap	 base[NVMS + 8], other[NVMS + 8];
	size_t		 nb, no;
	char		 what[64];

	if ((fd = mkstemp(p1)) == -1)
		return 1;
	close(fd);
	for (i = 0; i < NVMS; i++)
		keep[i] = 1;

	write_conf(p1, keep, 0);
	nb = snapshot(p1, base);
	no = snapshot(p1, other);
	compare(base, nb, other, no, "same file twice", 1);

	write_conf(p1, keep, 1);
	no = snapshot(p1, other);
	compare(base, nb, other, no, "reversed order", 1);

	/* Remove each VM in turn, then add it back. */
	for (i = 0; i < NVMS; i++) {
		keep[i] = 0;
		write_conf(p1, keep, 0);
		no = snapshot(p1, other);
		snprintf(what, sizeof(what), "without app%02d", i);
		/*
		 * Read backwards this is adding app%02d: whoever moves then
		 * ends up off its home slot, further along its probe.
		 */
		compare(base, nb, other, no, what, 0);
		keep[i] = 1;
	}
	unlink(p1);
	if (failures)
		fprintf(stderr, "test_alloc: %d failures\n", failures);
	else
		printf("test_alloc: ok (%d VMs, %d removals)\n", NVMS, NVMS);
	return failures != 0;
}
