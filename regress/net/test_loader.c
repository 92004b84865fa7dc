/*
 * Drive the rule loader (pf/load.h) one step at a time; loader.sh runs it
 * inside a scratch network namespace and checks the result with nft(8).
 *
 * usage: test_loader full CONF
 *	  test_loader port CONF NAME
 *	  test_loader remove CONF NAME
 *	  test_loader clear
 *	  test_loader dump
 *	  test_loader time CONF NAME COUNT
 *
 * full, port and remove load CONF's compiled ruleset (all of it, or one
 * VM's or gateway's part); clear removes kubsd's tables; dump prints
 * what is loaded; time does a full load and then COUNT port loads of
 * NAME, and prints how long each took.  Exit 0 on success, 1 with the
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
	fprintf(stderr, "usage: test_loader full|port|remove|clear|dump|time"
	    " [CONF [NAME [COUNT]]]\n");
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
		if (loader_load_port(l, NULL, rs, name) == -1)
			return fail(l, "port load");
		t = now() - t0;
		sum += t;
		if (t > max)
			max = t;
	}
	if (n > 0)
		printf("port load of %s: %.4f s mean, %.4f s max (%d)\n",
		    name, sum / n, max, n);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct loader	*l;
	struct ruleset	*rs = NULL;
	struct netd_config *conf = NULL;
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
	else if (strcmp(cmd, "port") == 0 || strcmp(cmd, "remove") == 0)
		need = 4;
	else if (strcmp(cmd, "time") == 0)
		need = 5;
	else
		usage();
	if (argc != need)
		usage();
	if (need > 2)
		rs = compile(argv[2], &conf);
	if ((l = loader_open()) == NULL) {
		perror("test_loader: loader_open");
		return 1;
	}

	if (strcmp(cmd, "full") == 0) {
		if (loader_load_full(l, rs) == -1)
			rv = fail(l, "full load");
	} else if (strcmp(cmd, "port") == 0) {
		if (loader_load_port(l, NULL, rs, argv[3]) == -1)
			rv = fail(l, argv[3]);
	} else if (strcmp(cmd, "remove") == 0) {
		if (loader_remove_port(l, rs, argv[3]) == -1)
			rv = fail(l, argv[3]);
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
	return rv;
}
