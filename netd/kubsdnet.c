/*
 * kubsd-net: the command line for kubsd.  A table of commands, each
 * with its argument count and handler.  The commands here work offline
 * on a configuration file; those that talk to a running kubsd-netd
 * join the table with the control socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "log.h"
#include "rules.h"

struct cmd {
	const char	*name;
	const char	*sub;		/* required second word, or NULL */
	int		 minargs, maxargs;	/* after name [sub] */
	const char	*usage;
	int		(*fn)(struct netd_config *, int, char **);
};

static int	cmd_check(struct netd_config *, int, char **);
static int	cmd_show_rules(struct netd_config *, int, char **);
static int	cmd_graph(struct netd_config *, int, char **);

static const struct cmd cmds[] = {
	{ "check",	NULL,	0, 0, "check", cmd_check },
	{ "graph",	NULL,	0, 0, "graph", cmd_graph },
	{ "show",	"rules", 0, 3, "show rules [-t pf|nft] [name]",
	    cmd_show_rules },
};

static __attribute__((noreturn)) void
usage(void)
{
	size_t	 i;

	fprintf(stderr, "usage: kubsd-net [-f file] command [args]\n"
	    "commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "\t%s\n", cmds[i].usage);
	exit(1);
}

static int
cmd_check(struct netd_config *conf, int argc, char **argv)
{
	(void)conf;
	(void)argc;
	(void)argv;
	printf("configuration OK\n");
	return 0;
}

static int
cmd_graph(struct netd_config *conf, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print_dot(stdout, conf);
	return 0;
}

static int
cmd_show_rules(struct netd_config *conf, int argc, char **argv)
{
	struct ruleset	*rs;
	const char	*target = "nft", *name = NULL;
	int		 i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			target = argv[++i];
		else if (argv[i][0] == '-' || name != NULL) {
			fprintf(stderr, "kubsd-net: usage: show rules "
			    "[-t pf|nft] [name]\n");
			return 1;
		} else
			name = argv[i];
	}
	if (strcmp(target, "pf") != 0 && strcmp(target, "nft") != 0) {
		fprintf(stderr, "kubsd-net: unknown target \"%s\": use pf "
		    "or nft\n", target);
		return 1;
	}
	if (name != NULL && node_find(conf, name) == NULL &&
	    strcmp(name, "_base") != 0) {
		fprintf(stderr, "kubsd-net: no vm, gateway or uplink named "
		    "\"%s\"\n", name);
		return 1;
	}
	if ((rs = rules_compile(conf)) == NULL)
		return 1;
	if (strcmp(target, "pf") == 0)
		emit_pf(stdout, rs, name);
	else
		emit_nft(stdout, rs, name);
	rules_free(rs);
	return 0;
}

static const struct cmd *
cmd_lookup(int argc, char **argv)
{
	size_t	 i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmds[i].name, argv[0]) != 0)
			continue;
		if (cmds[i].sub == NULL)
			return &cmds[i];
		if (argc > 1 && strcmp(cmds[i].sub, argv[1]) == 0)
			return &cmds[i];
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct netd_config	*conf;
	const struct cmd	*c;
	const char		*file = KUBSD_CONF;
	int			 ch, skip, rv;

	while ((ch = getopt(argc, argv, "+f:")) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	if ((c = cmd_lookup(argc, argv)) == NULL) {
		fprintf(stderr, "kubsd-net: unknown command \"%s%s%s\"\n",
		    argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		usage();
	}
	skip = c->sub != NULL ? 2 : 1;
	if (argc - skip < c->minargs || argc - skip > c->maxargs) {
		fprintf(stderr, "kubsd-net: usage: %s\n", c->usage);
		return 1;
	}
	log_init(1, 0);
	if ((conf = parse_config(file)) == NULL)
		return 1;
	if (graph_build(conf) == -1) {
		config_free(conf);
		return 1;
	}
	rv = c->fn(conf, argc - skip, argv + skip);
	config_free(conf);
	return rv;
}
