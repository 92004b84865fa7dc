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
 * OpenBSD interface units (pf/openbsd_units.c): the same configuration
 * gives the same tapN/vebN/vportN; with the state file kept, adding or
 * removing VMs moves no other interface, and a restart keeps them all;
 * every unit is a driver+unit name and no two interfaces share one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "rules.h"
#include "openbsd.h"
#include "check.h"

#define NVMS	40

static void
write_conf(const char *path, const int *keep)
{
	FILE	*fp = fopen(path, "w");
	int	 i;

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
	for (i = 0; i < NVMS; i++)
		if (keep[i])
			fprintf(fp, "vm \"app%02d\" { chain \"%s\" }\n", i,
			    i % 3 == 0 ? "none" : i % 2 ? "tor" : "clear");
	fclose(fp);
}

/* The units of conf, kept in (and saved to) state when not NULL. */
static void
units_of(const char *conf, const char *state, struct obsd_units *u)
{
	struct netd_config	*c;
	struct ruleset		*rs;

	if ((c = parse_config(conf)) == NULL || graph_build(c) != 0 ||
	    (rs = rules_compile(c)) == NULL) {
		fprintf(stderr, "FAIL: %s does not load\n", conf);
		exit(1);
	}
	obsd_units_alloc(u, rs, state);
	if (state != NULL)
		CHECK(obsd_units_save(u, state) == 0, "save %s", state);
	rules_free(rs);
	config_free(c);
}

static void
check_sane(const struct obsd_units *u)
{
	size_t	 i, j;

	for (i = 0; i < u->n; i++) {
		CHECK(strncmp(u->v[i].name, "tap", 3) == 0 ||
		    strncmp(u->v[i].name, "veb", 3) == 0 ||
		    strncmp(u->v[i].name, "vport", 5) == 0,
		    "%s: not a tap, veb or vport", u->v[i].name);
		for (j = i + 1; j < u->n; j++)
			CHECK(strcmp(u->v[i].name, u->v[j].name) != 0,
			    "%s given to %s and %s", u->v[i].name,
			    u->v[i].key, u->v[j].key);
	}
}

/* Every interface of a that b still has keeps its unit. */
static int
moved(const struct obsd_units *a, const struct obsd_units *b)
{
	size_t		 i;
	const char	*n;
	int		 m = 0;

	for (i = 0; i < a->n; i++) {
		n = obsd_unit(b, a->v[i].kind, a->v[i].key);
		if (n != NULL && strcmp(n, a->v[i].name) != 0) {
			fprintf(stderr, "FAIL %s moved from %s to %s\n",
			    a->v[i].key, a->v[i].name, n);
			m++;
		}
	}
	return m;
}

int
main(void)
{
	char			 dir[] = "/tmp/kubsd-units.XXXXXX";
	char			 conf[256], state[256];
	struct obsd_units	 a, b, c;
	int			 keep[NVMS], i;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(conf, sizeof(conf), "%s/netd.conf", dir);
	snprintf(state, sizeof(state), "%s/%s", dir, OBSD_UNITS_FILE);
	for (i = 0; i < NVMS; i++)
		keep[i] = 1;

	/* same config, same units; with and without the state file */
	write_conf(conf, keep);
	units_of(conf, NULL, &a);
	units_of(conf, NULL, &b);
	check_sane(&a);
	CHECK(a.n == b.n && moved(&a, &b) == 0, "same config, other units");
	CHECK(a.n == 2 + 2 * 3 + NVMS, "%zu interfaces", a.n);
	obsd_units_free(&b);
	units_of(conf, state, &b);
	CHECK(moved(&a, &b) == 0, "the first save moved units");
	obsd_units_free(&b);

	/* remove every fifth VM, then add others back: nobody moves */
	for (i = 0; i < NVMS; i += 5)
		keep[i] = 0;
	write_conf(conf, keep);
	units_of(conf, state, &b);
	check_sane(&b);
	CHECK(moved(&a, &b) == 0, "removing VMs moved others");
	for (i = 0; i < NVMS; i += 10)
		keep[i] = 1;
	write_conf(conf, keep);
	units_of(conf, state, &c);
	check_sane(&c);
	CHECK(moved(&b, &c) == 0, "adding VMs moved others");

	/* a restart with the same state renumbers nobody */
	obsd_units_free(&b);
	units_of(conf, state, &b);
	CHECK(b.n == c.n && moved(&c, &b) == 0, "a restart moved units");

	obsd_units_free(&a);
	obsd_units_free(&b);
	obsd_units_free(&c);
	unlink(conf);
	unlink(state);
	rmdir(dir);
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	return failures != 0;
}
