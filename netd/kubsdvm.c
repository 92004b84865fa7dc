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
 * kubsd-vm(8).  Its commands are the t_vm tree of ctl_cmd.c; so far the
 * ones it runs alone: template build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"
#include "kubsd.h"

static const char	*conffile = KUBSD_CONF;

static __attribute__((noreturn)) void
usage(const struct ctl_cmd *tree)
{
	fprintf(stderr, "usage: kubsd-vm [-f file] command [args]\n"
	    "commands:\n");
	ctl_cmd_list(stderr, tree, 0);
	exit(1);
}

static int
run_help(void)
{
	printf("usage: kubsd-vm [-f file] command [args]\n");
	ctl_cmd_list(stdout, t_vm, 1);
	return 0;
}

static int
run_template_build(const char *name)
{
	struct netd_config	*conf;
	int			 rv;

	if ((conf = parse_config(conffile)) == NULL)
		return 1;
	if (graph_build(conf) == -1) {
		config_free(conf);
		return 1;
	}
	rv = template_build(conf, name);
	config_free(conf);
	return rv == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	const struct ctl_cmd	*c, *at;
	struct ctl_args		 a;
	int			 ch, used;

	while ((ch = getopt(argc, argv, "+f:")) != -1) {
		switch (ch) {
		case 'f':
			conffile = optarg;
			break;
		default:
			usage(t_vm);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(t_vm);
	if ((c = ctl_cmd_parse(t_vm, argc, argv, &used, &at)) == NULL) {
		if (used < argc)
			fprintf(stderr, "kubsd-vm: unknown command \"%s\"\n",
			    argv[used]);
		usage(at);
	}
	if (ctl_cmd_getopt(c, argc - used + 1, argv + used - 1, &a) == -1) {
		fprintf(stderr, "kubsd-vm: usage: %s%s%s\n", ctl_cmd_name(c),
		    *c->usage ? " " : "", c->usage);
		return 1;
	}
	switch (c->type) {
	case CTL_L_TEMPLATE_BUILD:
		return run_template_build(a.argv[0]);
	default:
		return run_help();
	}
}
