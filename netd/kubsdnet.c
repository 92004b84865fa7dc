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
 * kubsd-net: the command line for kubsd.  Its commands, their flags,
 * operands, usage and help are the token tree t_net (ctl_cmd.c); here
 * are only the runs that do more than send the operands to kubsd-netd
 * and print the reply: offline ones work on a configuration file (-f),
 * online ones ask kubsd-netd over its control socket (-s).  graph and
 * show rules do either: offline with -f, else online.
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

struct run {
	uint16_t	 type;
	int		(*offline)(struct netd_config *, struct ctl_args *);
	int		(*online)(struct ctl_args *);	/* NULL: ask_print */
};

static int	cmd_check(struct netd_config *, struct ctl_args *);
static int	cmd_show_rules(struct netd_config *, struct ctl_args *);
static int	cmd_graph(struct netd_config *, struct ctl_args *);
static int	ctl_status(struct ctl_args *);
static int	ctl_show_rules(struct ctl_args *);
static int	ctl_forced(struct ctl_args *);
static int	ctl_leaktest(struct ctl_args *);
static int	run_help(struct ctl_args *);

static const struct run runs[] = {
	{ CTL_L_CHECK,		cmd_check,	NULL },
	{ CTL_GRAPH,		cmd_graph,	NULL },
	{ CTL_L_HELP,		NULL,		run_help },
	{ CTL_L_LEAKTEST,	NULL,		ctl_leaktest },
	{ CTL_SHOW_RULES,	cmd_show_rules,	ctl_show_rules },
	{ CTL_STATUS,		NULL,		ctl_status },
	{ CTL_RELOAD,		NULL,		ctl_forced },
	{ CTL_TEARDOWN,		NULL,		ctl_forced },
};

static const char	*sockpath = KUBSD_SOCKET;
static int		 ctlfd = -1;

static __attribute__((noreturn)) void
usage(const struct ctl_cmd *tree)
{
	fprintf(stderr, "usage: kubsd-net [-f file] [-s socket] command "
	    "[args]\ncommands:\n");
	ctl_cmd_list(stderr, tree, 0);
	exit(1);
}

/* "kubsd-net: usage: show rules [-t pf|nft] [name]"; returns 1. */
static int
cmd_usage(const struct ctl_cmd *c)
{
	fprintf(stderr, "kubsd-net: usage: %s%s%s\n", ctl_cmd_name(c),
	    *c->usage ? " " : "", c->usage);
	return 1;
}

static int
run_help(struct ctl_args *a)
{
	(void)a;
	printf("usage: kubsd-net [-f file] [-s socket] command [args]\n");
	ctl_cmd_list(stdout, t_net, 1);
	return 0;
}

static int
cmd_check(struct netd_config *conf, struct ctl_args *a)
{
	(void)conf;
	(void)a;
	printf("configuration OK\n");
	return 0;
}

static int
cmd_graph(struct netd_config *conf, struct ctl_args *a)
{
	(void)a;
	print_dot(stdout, conf, NULL);
	return 0;
}

/* show rules [-t pf|nft] [name]: 0, or -1 after a message. */
static int
rules_args(struct ctl_args *a, const char **target, const char **name)
{
	*target = a->opt['t'] ? a->optarg['t'] : "nft";
	*name = a->argc > 0 ? a->argv[0] : NULL;
	if (!ctl_cmd_choice(a->cmd, *target)) {
		fprintf(stderr, "kubsd-net: unknown target \"%s\": use pf "
		    "or nft\n", *target);
		return -1;
	}
	return 0;
}

static int
cmd_show_rules(struct netd_config *conf, struct ctl_args *a)
{
	struct ruleset	*rs;
	const char	*target, *name;

	if (rules_args(a, &target, &name) == -1)
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

/* Under the table: the chains that carry nothing, each node's last error. */
static void
status_notes(json_t *root)
{
	json_t		*v;
	size_t		 i;

	json_array_foreach(json_object_get(root, "chains"), i, v)
		if (json_is_false(json_object_get(v, "carrying")))
			printf("chain %s: not carrying\n", json_string_value(
			    json_object_get(v, "name")));
	json_array_foreach(json_object_get(root, "nodes"), i, v)
		if (json_is_string(json_object_get(v, "error")))
			printf("%s: last error: %s\n", json_string_value(
			    json_object_get(v, "name")), json_string_value(
			    json_object_get(v, "error")));
}

/* The columns as wide as their widest value: "disposable", IPv6. */
static void
status_table(json_t *root)
{
	static const char *const cols[] = { "name", "kind", "chain",
	    "state", "interface", "address", "guest" };
	static const char *const heads[] = { "NAME", "KIND", "CHAIN",
	    "STATE", "INTERFACE", "ADDRESS", "GUEST" };
	json_t		*nodes, *n;
	char		 b[7][64];
	int		 w[7];
	size_t		 i, c;

	printf("kubsd-netd: pid %s, up %ss, log %s, config %s\n",
	    jstr(json_object_get(root, "pid"), b[0], sizeof(b[0])),
	    jstr(json_object_get(root, "uptime"), b[1], sizeof(b[1])),
	    jstr(json_object_get(root, "log"), b[2], sizeof(b[2])),
	    jstr(json_object_get(root, "config"), b[3], sizeof(b[3])));
	nodes = json_object_get(root, "nodes");
	if (!json_is_array(nodes) || json_array_size(nodes) == 0)
		return;
	for (c = 0; c < 7; c++)
		w[c] = (int)strlen(heads[c]);
	json_array_foreach(nodes, i, n)
		for (c = 0; c < 6; c++) {
			size_t l = strlen(jstr(json_object_get(n, cols[c]),
			    b[c], sizeof(b[c])));
			if ((int)l > w[c])
				w[c] = (int)l;
		}
	for (c = 0; c < 7; c++)
		printf("%-*s%c", c < 6 ? w[c] : 0, heads[c],
		    c < 6 ? ' ' : '\n');
	json_array_foreach(nodes, i, n)
		for (c = 0; c < 7; c++)
			printf("%-*s%c", c < 6 ? w[c] : 0,
			    jstr(json_object_get(n, cols[c]), b[c],
			    sizeof(b[c])), c < 6 ? ' ' : '\n');
	status_notes(root);
}

static int
ctl_status(struct ctl_args *a)
{
	json_error_t	 err;
	json_t		*root;
	const char	*text;
	size_t		 len;

	if (ask(CTL_STATUS, 0, 0, NULL, &text, &len) != 0)
		return 1;
	if ((root = json_loadb(text, len, 0, &err)) == NULL ||
	    !json_is_object(root)) {
		fprintf(stderr, "kubsd-net: status: bad json from kubsd-netd: "
		    "%s\n", root == NULL ? err.text : "not an object");
		json_decref(root);
		return 1;
	}
	if (a->opt['j']) {
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else
		status_table(root);
	json_decref(root);
	return 0;
}

static int
ctl_show_rules(struct ctl_args *a)
{
	const char	*target, *name;
	char		*args[2];

	if (rules_args(a, &target, &name) == -1)
		return 1;
	args[0] = (char *)target;
	args[1] = (char *)name;
	return ask_print(CTL_SHOW_RULES, 0, name != NULL ? 2 : 1, args);
}

/* reload and teardown: -f, refused without it where VMs are attached */
static int
ctl_forced(struct ctl_args *a)
{
	return ask_print(a->cmd->type, a->opt['f'] ? CTL_F_FORCE : 0, 0,
	    NULL);
}

/* Any other request: send the operands, print the reply. */
static int
ctl_generic(struct ctl_args *a)
{
	const struct ctl_cmd	*c = a->cmd;

	if (a->argc > 0 && !ctl_cmd_choice(c, a->argv[0])) {
		fprintf(stderr, "kubsd-net: %s: unknown argument \"%s\": use "
		    "%s\n", ctl_cmd_name(c), a->argv[0], c->choices);
		return 1;
	}
	return ask_print(c->type, 0, (size_t)a->argc, a->argv);
}

/* Exits 0 (no leak), 1 (a leak) or 2 (usage, any other error). */
static int
ctl_leaktest(struct ctl_args *a)
{
	static struct leaktest	 lt;
	const char		*text;
	char			*vms;
	size_t			 len, vmlen;
	int			 jflag, rv;

	if ((rv = leaktest_args(&lt, &jflag, a->argc, a->argv)) != 0)
		return rv;
	if (geteuid() != 0) {
		fprintf(stderr, "kubsd-net: leaktest: needs root (captures, "
		    "raw sockets, the vm's compartment or agent)\n");
		return 2;
	}
	/* the VMs' first: each reply reuses the reader's buffer */
	if (ask(CTL_VM_STATUS, 0, 0, NULL, &text, &len) != 0)
		return 2;
	if ((vms = malloc(len + 1)) == NULL) {
		fprintf(stderr, "kubsd-net: leaktest: %s\n", strerror(errno));
		return 2;
	}
	memcpy(vms, text, len);
	vmlen = len;
	rv = ask(CTL_STATUS, 0, 0, NULL, &text, &len) != 0 ? 2 :
	    leaktest_main(&lt, jflag, ctlfd, text, len, vms, vmlen);
	free(vms);
	return rv;
}

static const struct run *
run_find(uint16_t type)
{
	size_t	 i;

	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		if (runs[i].type == type)
			return &runs[i];
	return NULL;
}

/* The command named by argv's first words, with its flags parsed. */
static void
parse_command(int argc, char **argv, struct ctl_args *a)
{
	const struct ctl_cmd	*c, *at;
	int			 used;

	if ((c = ctl_cmd_parse(t_net, argc, argv, &used, &at)) == NULL) {
		if (used < argc)
			fprintf(stderr, "kubsd-net: unknown command \"%s\"\n",
			    argv[used]);
		usage(at);
	}
	if (ctl_cmd_getopt(c, argc - used + 1, argv + used - 1, a) == -1)
		exit(cmd_usage(c));
}

int
main(int argc, char *argv[])
{
	struct netd_config	*conf;
	struct ctl_args		 a;
	const struct run	*r;
	const char		*file = NULL;
	int			 ch, rv;

	while ((ch = getopt(argc, argv, "+f:s:")) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 's':
			sockpath = optarg;
			break;
		default:
			usage(t_net);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(t_net);
	parse_command(argc, argv, &a);
	log_init(1, 0);
	r = run_find(a.cmd->type);
	if (!a.cmd->offline || (file == NULL && a.cmd->type < CTL_OK))
		return r != NULL && r->online != NULL ? r->online(&a) :
		    ctl_generic(&a);
	if ((conf = parse_config(file != NULL ? file : KUBSD_CONF)) == NULL)
		return 1;
	if (graph_build(conf) == -1) {
		config_free(conf);
		return 1;
	}
	rv = r->offline(conf, &a);
	config_free(conf);
	return rv;
}
