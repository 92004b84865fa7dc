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
 * The commands: one token tree per command line program, after
 * relayctl's and bgpctl's parser.c.  The program parses its words, its
 * flags (getopt(3)) and its operands with it and prints its usage and
 * help from it; kubsd-netd checks every request against it (arguments,
 * header flags) and takes from it the privilege each command needs.
 * Only the handlers live elsewhere: the daemon's in control.c
 * (handlers[]), the program's in its main file (kubsdnet.c runs[]).
 *
 * Adding a command:
 *  1. if kubsd-netd carries it out, a CTL_* type in ctl.h (enum
 *     ctl_type); a command the program runs alone takes a CTL_L_* type;
 *  2. an entry below in its program's tree (t_net for kubsd-net; a new
 *     program, e.g. kubsd-vm, gets its own tree and a line in
 *     ctl_trees[]).  A word that takes more words points to a subtree
 *     (t_show).  The usage string is the grammar of the operands:
 *     "name" is required, "[name]" optional, "name..." repeats, "[-x
 *     ...]" is a flag and is not counted;
 *  3. its handler in the daemon (control.c handlers[]) and, unless the
 *     program's generic one will do (send the operands, print the
 *     reply), in the program (kubsdnet.c runs[]).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static const struct ctl_cmd t_show[] = {
	{ .word = "rules", .name = "show rules", .type = CTL_SHOW_RULES,
	  .priv = CTL_PRIV_GROUP, .minargs = 1, .maxargs = 2,
	  .choices = "pf|nft", .opts = "t:", .usage = "[-t pf|nft] [name]",
	  .help = "the rules, all or one node's",
	  .offline = 1 },
	{ .word = NULL }
};

const struct ctl_cmd t_net[] = {
	{ .word = "attach", .type = CTL_ATTACH, .priv = CTL_PRIV_GROUP,
	  .minargs = 2, .maxargs = 2, .usage = "vm chain",
	  .help = "move a vm onto a chain (none: offline)" },
	{ .word = "check", .type = CTL_L_CHECK, .usage = "",
	  .help = "check the configuration file", .offline = 1 },
	{ .word = "detach", .type = CTL_DETACH, .priv = CTL_PRIV_GROUP,
	  .minargs = 1, .maxargs = 1, .usage = "vm",
	  .help = "take a vm offline" },
	{ .word = "graph", .type = CTL_GRAPH, .priv = CTL_PRIV_GROUP,
	  .usage = "", .help = "the network graph, in dot(1)", .offline = 1 },
	{ .word = "help", .type = CTL_L_HELP, .usage = "",
	  .help = "this list" },
	{ .word = "leaktest", .type = CTL_L_LEAKTEST, .rawargs = 1,
	  .usage = "[-j] [-p port] [-t address]... [-w ms] vm",
	  .help = "prove a vm leaks nothing off its chain" },
	{ .word = "log", .type = CTL_LOG, .priv = CTL_PRIV_GROUP,
	  .minargs = 1, .maxargs = 1, .choices = "verbose|brief",
	  .usage = "verbose|brief", .help = "kubsd-netd's log level" },
	{ .word = "reload", .type = CTL_RELOAD, .wflags = CTL_F_FORCE,
	  .priv = CTL_PRIV_GROUP, .opts = "f", .usage = "[-f]",
	  .help = "read the configuration file again" },
	{ .word = "show", .sub = t_show },
	{ .word = "status", .type = CTL_STATUS, .priv = CTL_PRIV_GROUP,
	  .opts = "j", .usage = "[-j]",
	  .help = "the nodes and chains (-j: in JSON)" },
	{ .word = "teardown", .type = CTL_TEARDOWN, .wflags = CTL_F_FORCE,
	  .priv = CTL_PRIV_ROOT, .opts = "f", .usage = "[-f]",
	  .help = "remove kubsd's rules and interfaces" },
	{ .word = NULL }
};

static const struct ctl_cmd t_vm_template[] = {
	{ .word = "build", .name = "template build",
	  .type = CTL_L_TEMPLATE_BUILD, .minargs = 1, .maxargs = 1,
	  .usage = "name", .help = "build a template from its recipe",
	  .offline = 1 },
	{ .word = "apps", .name = "template apps",
	  .type = CTL_L_TEMPLATE_APPS, .minargs = 2, .maxargs = 2,
	  .usage = "root directory",
	  .help = "(run by recipes) a root's applications: app lines, icons",
	  .offline = 1 },
	{ .word = NULL }
};

static const struct ctl_cmd t_vm_menu[] = {
	{ .word = "install", .name = "menu install",
	  .type = CTL_L_MENU_INSTALL, .usage = "[vm]...",
	  .help = "the vms' applications into your menu", .offline = 1 },
	{ .word = "remove", .name = "menu remove",
	  .type = CTL_L_MENU_REMOVE, .usage = "[vm]...",
	  .help = "the vms' entries out of your menu", .offline = 1 },
	{ .word = NULL }
};

const struct ctl_cmd t_vm[] = {
	{ .word = "console", .type = CTL_L_VM_CONSOLE, .usage = "vm",
	  .help = "attach to the vm's serial console (~. leaves)" },
	{ .word = "cp", .type = CTL_L_VM_CP, .minargs = 2, .maxargs = 2,
	  .usage = "vm:path|file vm|directory",
	  .help = "copy a file to another vm's ~/Incoming/SOURCE/ (or the host)" },
	{ .word = "exec", .type = CTL_L_VM_EXEC, .rawargs = 1,
	  .usage = "vm command ...",
	  .help = "run a command as root through the vm's agent (no ssh)" },
	{ .word = "help", .type = CTL_L_HELP, .usage = "",
	  .help = "this list" },
	{ .word = "kill", .type = CTL_VM_KILL, .priv = CTL_PRIV_GROUP,
	  .minargs = 1, .maxargs = 1, .usage = "vm",
	  .help = "end the vm's qemu at once" },
	{ .word = "log", .type = CTL_L_VM_LOG, .usage = "vm",
	  .help = "the console log, escape sequences removed" },
	{ .word = "menu", .sub = t_vm_menu },
	{ .word = "mv", .type = CTL_L_VM_MV, .minargs = 2, .maxargs = 2,
	  .usage = "vm:path|file vm|directory",
	  .help = "cp, then remove the source once the copy is whole" },
	{ .word = "proxy", .type = CTL_L_VM_PROXY, .usage = "vm",
	  .help = "ssh's ProxyCommand: the vm's sshd on stdin and stdout" },
	{ .word = "run", .type = CTL_L_VM_RUN, .rawargs = 1,
	  .usage = "[-u user] [-X] vm command ...",
	  .help = "run a command in the vm over ssh as its user, starting it" },
	{ .word = "ssh", .type = CTL_L_VM_SSH, .rawargs = 1,
	  .usage = "vm [command ...]",
	  .help = "ssh to the vm's sshd over its agent, with this boot's key" },
	{ .word = "start", .type = CTL_VM_START, .priv = CTL_PRIV_GROUP,
	  .minargs = 1, .maxargs = 1, .usage = "vm",
	  .help = "start a vm; returns when its agent is ready" },
	{ .word = "status", .type = CTL_VM_STATUS, .priv = CTL_PRIV_GROUP,
	  .minargs = 0, .maxargs = 1, .opts = "j", .usage = "[-j] [vm]",
	  .help = "the vms: state, pid, accelerator (-j: in JSON)" },
	{ .word = "stop", .type = CTL_VM_STOP, .priv = CTL_PRIV_GROUP,
	  .minargs = 1, .maxargs = 1, .usage = "vm",
	  .help = "power the vm off; quit it after 5 s" },
	{ .word = "template", .sub = t_vm_template },
	{ .word = NULL }
};

/* Every program's tree: kubsd-netd accepts the requests of all. */
static const struct ctl_cmd *const ctl_trees[] = { t_net, t_vm };

static const struct ctl_cmd *
find_type(const struct ctl_cmd *t, uint16_t type)
{
	const struct ctl_cmd	*c;

	for (; t->word != NULL; t++) {
		if (t->sub != NULL && (c = find_type(t->sub, type)) != NULL)
			return c;
		if (t->sub == NULL && t->type == type)
			return t;
	}
	return NULL;
}

/* The command a request type belongs to; NULL unless one goes on the wire. */
const struct ctl_cmd *
ctl_cmd_type(uint16_t type)
{
	const struct ctl_cmd	*c;
	size_t			 i;

	if (type == 0 || type >= CTL_OK)
		return NULL;
	for (i = 0; i < sizeof(ctl_trees) / sizeof(ctl_trees[0]); i++)
		if ((c = find_type(ctl_trees[i], type)) != NULL)
			return c;
	return NULL;
}

const char *
ctl_cmd_name(const struct ctl_cmd *c)
{
	return c->name != NULL ? c->name : c->word;
}

/* Is s one of the choices "a|b|c"? */
int
ctl_cmd_choice(const struct ctl_cmd *c, const char *s)
{
	const char	*p = c->choices;
	size_t		 n = strlen(s);

	if (p == NULL)
		return 1;
	while (*p != '\0') {
		if (strncmp(p, s, n) == 0 && (p[n] == '|' || p[n] == '\0'))
			return 1;
		if ((p = strchr(p, '|')) == NULL)
			break;
		p++;
	}
	return 0;
}

/*
 * Walk the tree along the words of argv: the command, with *used set to
 * the number of words it took; else NULL, with *at the tree where the
 * walk stopped (to print its usage) and *used the words that matched.
 */
const struct ctl_cmd *
ctl_cmd_parse(const struct ctl_cmd *tree, int argc, char **argv, int *used,
    const struct ctl_cmd **at)
{
	const struct ctl_cmd	*t;

	*used = 0;
	*at = tree;
	while (*used < argc) {
		for (t = *at; t->word != NULL; t++)
			if (strcmp(t->word, argv[*used]) == 0)
				break;
		if (t->word == NULL)
			return NULL;
		(*used)++;
		if (t->sub == NULL)
			return t;
		*at = t->sub;
	}
	return NULL;
}

/* Operands the usage string allows: the grammar in the comment above. */
static void
operands(const char *u, int *min, int *max)
{
	const char	*e;
	int		 opt;

	*min = *max = 0;
	while (*u != '\0') {
		while (*u == ' ')
			u++;
		if (*u == '\0')
			break;
		opt = *u == '[';
		e = opt ? strchr(u, ']') : strchr(u, ' ');
		if (e == NULL)
			e = u + strlen(u);
		else if (opt)
			e++;
		if (!(opt && u[1] == '-')) {
			*min += !opt;
			*max += 1;
			if (strncmp(e, "...", 3) == 0)
				*max = CTL_MAXARGS;
		}
		u = strncmp(e, "...", 3) == 0 ? e + 3 : e;
	}
}

/*
 * A command's flags (its getopt(3) string) and operands: 0, or -1 when
 * they do not fit its usage (getopt has named a bad flag).  argv[0] is
 * the command's last word.
 */
int
ctl_cmd_getopt(const struct ctl_cmd *c, int argc, char **argv,
    struct ctl_args *a)
{
	char	 opts[64];
	int	 ch, min, max;

	memset(a, 0, sizeof(*a));
	a->cmd = c;
	if (c->rawargs) {		/* its run parses them */
		a->argc = argc - 1;
		a->argv = argv + 1;
		return 0;
	}
	snprintf(opts, sizeof(opts), "+%s", c->opts != NULL ? c->opts : "");
	optind = 1;
	opterr = 0;
	while ((ch = getopt(argc, argv, opts)) != -1) {
		if (ch == '?' || ch == ':') {
			a->badopt = optopt;
			return -1;
		}
		a->opt[(unsigned char)ch]++;
		a->optarg[(unsigned char)ch] = optarg;
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	operands(c->usage, &min, &max);
	return a->argc < min || a->argc > max ? -1 : 0;
}

/* One command's line: "\tshow rules [-t pf|nft] [name]", help beside. */
void
ctl_cmd_usage(FILE *f, const struct ctl_cmd *c, int help)
{
	char	 line[128];

	snprintf(line, sizeof(line), "%s%s%s", ctl_cmd_name(c),
	    *c->usage ? " " : "", c->usage);
	if (help && strlen(line) > 32)
		fprintf(f, "\t%s\n\t%-32s %s\n", line, "", c->help);
	else if (help)
		fprintf(f, "\t%-32s %s\n", line, c->help);
	else
		fprintf(f, "\t%s\n", line);
}

/* Every command of a tree, subtrees included. */
void
ctl_cmd_list(FILE *f, const struct ctl_cmd *t, int help)
{
	for (; t->word != NULL; t++) {
		if (t->sub != NULL)
			ctl_cmd_list(f, t->sub, help);
		else
			ctl_cmd_usage(f, t, help);
	}
}
