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
 * kubsd-net: the command line for kubsd.  A table of commands, each
 * with its argument count and its handlers: offline ones work on a
 * configuration file (-f), online ones ask kubsd-netd over its control
 * socket (-s).  graph and show rules do either: offline with -f, else
 * online.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "kubsd.h"
#include "leaktest.h"
#include "log.h"
#include "rules.h"

struct cmd {
	const char	*name;
	const char	*sub;		/* required second word, or NULL */
	int		 minargs, maxargs;	/* after name [sub] */
	const char	*usage;
	int		(*fn)(struct netd_config *, int, char **);	/* -f */
	int		(*online)(int, char **);	/* with kubsd-netd */
};

static int	cmd_check(struct netd_config *, int, char **);
static int	cmd_show_rules(struct netd_config *, int, char **);
static int	cmd_graph(struct netd_config *, int, char **);
static int	ctl_status(int, char **);
static int	ctl_attach(int, char **);
static int	ctl_detach(int, char **);
static int	ctl_show_rules(int, char **);
static int	ctl_graph(int, char **);
static int	ctl_reload(int, char **);
static int	ctl_teardown(int, char **);
static int	ctl_log(int, char **);
static int	ctl_leaktest(int, char **);

static const struct cmd cmds[] = {
	{ "attach",	NULL,	2, 2, "attach vm chain", NULL, ctl_attach },
	{ "check",	NULL,	0, 0, "check", cmd_check, NULL },
	{ "detach",	NULL,	1, 1, "detach vm", NULL, ctl_detach },
	{ "graph",	NULL,	0, 0, "graph", cmd_graph, ctl_graph },
	{ "leaktest",	NULL,	0, 16,
	    "leaktest [-j] [-p port] [-t address]... [-w ms] vm",
	    NULL, ctl_leaktest },
	{ "log",	NULL,	1, 1, "log verbose|brief", NULL, ctl_log },
	{ "reload",	NULL,	0, 0, "reload", NULL, ctl_reload },
	{ "show",	"rules", 0, 3, "show rules [-t pf|nft] [name]",
	    cmd_show_rules, ctl_show_rules },
	{ "status",	NULL,	0, 1, "status [-j]", NULL, ctl_status },
	{ "teardown",	NULL,	0, 1, "teardown [-f]", NULL, ctl_teardown },
};

static const char	*sockpath = KUBSD_SOCKET;
static int		 ctlfd = -1;

static __attribute__((noreturn)) void
usage(void)
{
	size_t	 i;

	fprintf(stderr, "usage: kubsd-net [-f file] [-s socket] command "
	    "[args]\ncommands:\n");
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

/* show rules [-t pf|nft] [name]: 0, or -1 after a message. */
static int
rules_args(int argc, char **argv, const char **target, const char **name)
{
	int	 i;

	*target = "nft";
	*name = NULL;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			*target = argv[++i];
		else if (argv[i][0] == '-' || *name != NULL) {
			fprintf(stderr, "kubsd-net: usage: show rules "
			    "[-t pf|nft] [name]\n");
			return -1;
		} else
			*name = argv[i];
	}
	if (strcmp(*target, "pf") != 0 && strcmp(*target, "nft") != 0) {
		fprintf(stderr, "kubsd-net: unknown target \"%s\": use pf "
		    "or nft\n", *target);
		return -1;
	}
	return 0;
}

static int
cmd_show_rules(struct netd_config *conf, int argc, char **argv)
{
	struct ruleset	*rs;
	const char	*target, *name;

	if (rules_args(argc, argv, &target, &name) == -1)
		return 1;
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

/* Connect to kubsd-netd: the fd, or -1 after a message. */
static int
daemon_connect(void)
{
	int	 fd;

	if ((fd = ctl_connect(sockpath)) != -1)
		return fd;
	if (errno == ENOENT)
		fprintf(stderr, "kubsd-net: kubsd-netd is not running "
		    "(no socket at %s)\n", sockpath);
	else if (errno == ECONNREFUSED)
		fprintf(stderr, "kubsd-net: kubsd-netd is not running "
		    "(stale socket at %s)\n", sockpath);
	else if (errno == EACCES || errno == EPERM)
		fprintf(stderr, "kubsd-net: %s: permission denied (root or "
		    "group \"%s\" only)\n", sockpath, KUBSD_GROUP);
	else
		fprintf(stderr, "kubsd-net: %s: %s\n", sockpath,
		    strerror(errno));
	return -1;
}

/*
 * Ask kubsd-netd: 0 with the reply's text in *text (valid until the
 * next call), or 1 after printing the daemon's one-line error.
 */
static int
ask(uint16_t type, uint16_t flags, size_t nargs, char **args,
    const char **text, size_t *len)
{
	static struct ctl_reader	 rd;
	struct ctl_msg			 rep;

	if (ctlfd == -1 && (ctlfd = daemon_connect()) == -1)
		return 1;
	if (rd.max == 0)
		ctl_reader_init(&rd, CTL_MAXREPLY);
	if (ctl_request(ctlfd, type, flags, nargs, (const char *const *)args,
	    &rd, &rep) == -1) {
		if (errno == EINVAL)
			fprintf(stderr, "kubsd-net: %s: bad argument\n",
			    ctl_type_name(type));
		else if (errno == EPROTO)
			fprintf(stderr, "kubsd-net: %s: bad reply from "
			    "kubsd-netd\n", ctl_type_name(type));
		else
			fprintf(stderr, "kubsd-net: %s: %s\n", sockpath,
			    strerror(errno));
		return 1;
	}
	if (rep.type == CTL_ERROR) {
		fprintf(stderr, "kubsd-net: %s\n", rep.text);
		return 1;
	}
	*text = rep.text;
	*len = rep.textlen;
	return 0;
}

/* Ask, and print the reply's text as it is. */
static int
ask_print(uint16_t type, uint16_t flags, size_t nargs, char **args)
{
	const char	*text;
	size_t		 len;

	if (ask(type, flags, nargs, args, &text, &len) != 0)
		return 1;
	fwrite(text, 1, len, stdout);
	return 0;
}

/* A JSON value as table text: strings as they are, null as "-". */
static const char *
jstr(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_true(v))
		return "yes";
	if (json_is_false(v))
		return "no";
	return "-";
}

static void
status_table(json_t *root)
{
	static const char *const cols[] = { "name", "kind", "chain",
	    "state", "interface", "address", "guest" };
	json_t		*nodes, *n;
	char		 b[7][40];
	size_t		 i, c;

	printf("kubsd-netd: pid %s, up %ss, log %s, config %s\n",
	    jstr(json_object_get(root, "pid"), b[0], sizeof(b[0])),
	    jstr(json_object_get(root, "uptime"), b[1], sizeof(b[1])),
	    jstr(json_object_get(root, "log"), b[2], sizeof(b[2])),
	    jstr(json_object_get(root, "config"), b[3], sizeof(b[3])));
	nodes = json_object_get(root, "nodes");
	if (!json_is_array(nodes) || json_array_size(nodes) == 0)
		return;
	printf("%-13s %-8s %-13s %-9s %-15s %-13s %s\n", "NAME", "KIND",
	    "CHAIN", "STATE", "INTERFACE", "ADDRESS", "GUEST");
	json_array_foreach(nodes, i, n) {
		const char	*v[7];

		for (c = 0; c < 7; c++)
			v[c] = jstr(json_object_get(n, cols[c]), b[c],
			    sizeof(b[c]));
		printf("%-13s %-8s %-13s %-9s %-15s %-13s %s\n", v[0], v[1],
		    v[2], v[3], v[4], v[5], v[6]);
	}
}

static int
ctl_status(int argc, char **argv)
{
	json_error_t	 err;
	json_t		*root;
	const char	*text;
	size_t		 len;
	int		 json = 0;

	if (argc == 1 && strcmp(argv[0], "-j") == 0)
		json = 1;
	else if (argc != 0) {
		fprintf(stderr, "kubsd-net: usage: status [-j]\n");
		return 1;
	}
	if (ask(CTL_STATUS, 0, 0, NULL, &text, &len) != 0)
		return 1;
	if ((root = json_loadb(text, len, 0, &err)) == NULL ||
	    !json_is_object(root)) {
		fprintf(stderr, "kubsd-net: status: bad json from kubsd-netd: "
		    "%s\n", root == NULL ? err.text : "not an object");
		json_decref(root);
		return 1;
	}
	if (json) {
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else
		status_table(root);
	json_decref(root);
	return 0;
}

static int
ctl_attach(int argc, char **argv)
{
	return ask_print(CTL_ATTACH, 0, (size_t)argc, argv);
}

static int
ctl_detach(int argc, char **argv)
{
	return ask_print(CTL_DETACH, 0, (size_t)argc, argv);
}

static int
ctl_show_rules(int argc, char **argv)
{
	const char	*target, *name;
	char		*args[2];

	if (rules_args(argc, argv, &target, &name) == -1)
		return 1;
	args[0] = (char *)target;
	args[1] = (char *)name;
	return ask_print(CTL_SHOW_RULES, 0, name != NULL ? 2 : 1, args);
}

static int
ctl_graph(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return ask_print(CTL_GRAPH, 0, 0, NULL);
}

static int
ctl_reload(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return ask_print(CTL_RELOAD, 0, 0, NULL);
}

static int
ctl_teardown(int argc, char **argv)
{
	uint16_t	 flags = 0;

	if (argc == 1 && strcmp(argv[0], "-f") == 0)
		flags = CTL_F_FORCE;
	else if (argc != 0) {
		fprintf(stderr, "kubsd-net: usage: teardown [-f]\n");
		return 1;
	}
	return ask_print(CTL_TEARDOWN, flags, 0, NULL);
}

static int
ctl_log(int argc, char **argv)
{
	(void)argc;
	if (strcmp(argv[0], "verbose") != 0 && strcmp(argv[0], "brief") != 0) {
		fprintf(stderr, "kubsd-net: log: unknown level \"%s\": use "
		    "verbose or brief\n", argv[0]);
		return 1;
	}
	return ask_print(CTL_LOG, 0, 1, argv);
}

/* Exits 0 (no leak), 1 (a leak) or 2 (usage, any other error). */
static int
ctl_leaktest(int argc, char **argv)
{
	static struct leaktest	 lt;
	const char		*text;
	size_t			 len;
	int			 jflag, rv;

	if ((rv = leaktest_args(&lt, &jflag, argc, argv)) != 0)
		return rv;
	if (geteuid() != 0) {
		fprintf(stderr, "kubsd-net: leaktest: needs root (captures, "
		    "raw sockets, the vm's compartment)\n");
		return 2;
	}
	if (ask(CTL_STATUS, 0, 0, NULL, &text, &len) != 0)
		return 2;
	return leaktest_main(&lt, jflag, ctlfd, text, len);
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
	const char		*file = NULL;
	int			 ch, skip, rv;

	while ((ch = getopt(argc, argv, "+f:s:")) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 's':
			sockpath = optarg;
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
	if (c->online != NULL && (file == NULL || c->fn == NULL))
		return c->online(argc - skip, argv + skip);
	if ((conf = parse_config(file != NULL ? file : KUBSD_CONF)) == NULL)
		return 1;
	if (graph_build(conf) == -1) {
		config_free(conf);
		return 1;
	}
	rv = c->fn(conf, argc - skip, argv + skip);
	config_free(conf);
	return rv;
}
