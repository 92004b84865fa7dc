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
 * Drive the rule loader (pf/load.h) one step at a time; loader.sh runs it
 * inside a scratch network namespace and checks the result with nft(8).
 *
 * usage: test_loader full CONF
 *	  test_loader move CONF-OLD CONF-NEW VM
 *	  test_loader moveall CONF-OLD CONF-NEW
 *	  test_loader clear
 *	  test_loader dump
 *	  test_loader time CONF VM COUNT
 *
 * full loads CONF's compiled ruleset; move changes VM from what
 * CONF-OLD's ruleset has for it (and is loaded) to what CONF-NEW's has,
 * as an attach does; moveall does that for every VM in one transaction
 * (as a change of gateway readiness does); clear removes kubsd's tables; dump prints what is
 * loaded; time does a full load and then COUNT moves of VM onto itself,
 * and prints how long each took.  Exit 0 on success, 1 with the
 * loader's error on stderr, 2 on a usage or configuration error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubsd.h"
#include "rules.h"
#include "load.h"

static void
usage(void)
{
	fprintf(stderr, "usage: test_loader full|move|moveall|clear|dump|time"
	    " [CONF [CONF|VM [VM|COUNT]]]\n");
	exit(2);
}

/* The ruleset points into the configuration: keep both. */
static struct ruleset *
compile(const char *file, struct netd_config **conf)
{
	struct ruleset		*rs;

	if ((*conf = parse_config(file)) == NULL)
		exit(2);
	if (graph_build(*conf) == -1 || (rs = rules_compile(*conf)) == NULL) {
		config_free(*conf);
		exit(2);
	}
	return rs;
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
fail(struct loader *l, const char *what)
{
	fprintf(stderr, "test_loader: %s: %s\n", what, loader_error(l));
	return 1;
}

/* Move VM name from what rs_old has for it to what rs_new has. */
static int
move(struct loader *l, const struct ruleset *rs_old,
    const struct ruleset *rs_new, const char *name)
{
	const struct anchor	*o, *n;

	o = rules_anchor(rs_old, name);
	n = rules_anchor(rs_new, name);
	if (o == NULL || n == NULL) {
		fprintf(stderr, "test_loader: %s: not in the ruleset\n", name);
		return -1;
	}
	return loader_load_anchors(l, rs_new, &o, &n, 1);
}

/* Every VM of rs_new from what rs_old has for it, in one transaction. */
static int
move_all(struct loader *l, const struct ruleset *rs_old,
    const struct ruleset *rs_new)
{
	const struct anchor	**o, **n;
	size_t			  i, k = 0;
	int			  rv;

	o = calloc(rs_new->nanchors, sizeof(*o));
	n = calloc(rs_new->nanchors, sizeof(*n));
	if (o == NULL || n == NULL)
		return -1;
	for (i = 0; i < rs_new->nanchors; i++) {
		if (rs_new->anchors[i].kind != ANCHOR_VM)
			continue;
		n[k] = &rs_new->anchors[i];
		o[k] = rules_anchor(rs_old, n[k]->name);
		k++;
	}
	rv = loader_load_anchors(l, rs_new, o, n, k);
	free(o);
	free(n);
	return rv;
}

static int
timing(struct loader *l, const struct ruleset *rs, const char *name, int n)
{
	double	 t0, t, max = 0, sum = 0;
	int	 i;

	t0 = now();
	if (loader_load_full(l, rs) == -1)
		return fail(l, "full load");
	printf("full load: %.3f s\n", now() - t0);
	for (i = 0; i < n; i++) {
		t0 = now();
		if (move(l, rs, rs, name) == -1)
			return fail(l, "move");
		t = now() - t0;
		sum += t;
		if (t > max)
			max = t;
	}
	if (n > 0)
		printf("move of %s: %.4f s mean, %.4f s max (%d)\n",
		    name, sum / n, max, n);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct loader	*l;
	struct ruleset	*rs = NULL, *rs2 = NULL;
	struct netd_config *conf = NULL, *conf2 = NULL;
	const char	*cmd;
	char		*text;
	int		 rv = 0, need = 0;

	if (argc < 2)
		usage();
	cmd = argv[1];
	if (strcmp(cmd, "clear") == 0 || strcmp(cmd, "dump") == 0)
		need = 2;
	else if (strcmp(cmd, "full") == 0)
		need = 3;
	else if (strcmp(cmd, "time") == 0 || strcmp(cmd, "move") == 0)
		need = 5;
	else if (strcmp(cmd, "moveall") == 0)
		need = 4;
	else
		usage();
	if (argc != need)
		usage();
	if (need > 2)
		rs = compile(argv[2], &conf);
	if (strcmp(cmd, "move") == 0 || strcmp(cmd, "moveall") == 0)
		rs2 = compile(argv[3], &conf2);
	if ((l = loader_open()) == NULL) {
		perror("test_loader: loader_open");
		return 1;
	}

	if (strcmp(cmd, "full") == 0) {
		if (loader_load_full(l, rs) == -1)
			rv = fail(l, "full load");
	} else if (strcmp(cmd, "move") == 0) {
		if (move(l, rs, rs2, argv[4]) == -1)
			rv = fail(l, argv[4]);
	} else if (strcmp(cmd, "moveall") == 0) {
		if (move_all(l, rs, rs2) == -1)
			rv = fail(l, "move all");
	} else if (strcmp(cmd, "clear") == 0) {
		if (loader_remove_all(l) == -1)
			rv = fail(l, "remove all");
	} else if (strcmp(cmd, "dump") == 0) {
		if (loader_dump(l, &text) == -1)
			rv = fail(l, "dump");
		else {
			fputs(text, stdout);
			free(text);
		}
	} else
		rv = timing(l, rs, argv[3], atoi(argv[4]));

	loader_close(l);
	if (rs != NULL) {
		rules_free(rs);
		config_free(conf);
	}
	if (rs2 != NULL) {
		rules_free(rs2);
		config_free(conf2);
	}
	return rv;
}
