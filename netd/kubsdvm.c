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
 * kubsd-vm(8).  Only "template build" so far; the VM lifecycle verbs
 * join this table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"

struct verb {
	const char	*name;
	int		 minargs, maxargs;
	int		(*fn)(int, char **);
	const char	*usage;
};

static const char	*conffile = KUBSD_CONF;

static int
v_template(int argc, char **argv)
{
	struct netd_config	*conf;
	int			 rv;

	if (strcmp(argv[0], "build") != 0 || argc != 2) {
		fprintf(stderr, "kubsd-vm: usage: template build name\n");
		return 1;
	}
	if ((conf = parse_config(conffile)) == NULL)
		return 1;
	if (graph_build(conf) == -1) {
		config_free(conf);
		return 1;
	}
	rv = template_build(conf, argv[1]);
	config_free(conf);
	return rv == 0 ? 0 : 1;
}

static const struct verb verbs[] = {
	{ "template",	2, 2,	v_template,	"template build name" },
};

static void __attribute__((noreturn))
usage(void)
{
	size_t	 i;

	fprintf(stderr, "usage: kubsd-vm [-f file] command [arg ...]\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(stderr, "\t%s\n", verbs[i].usage);
	exit(1);
}

int
main(int argc, char *argv[])
{
	size_t	 i;
	int	 ch;

	while ((ch = getopt(argc, argv, "+f:")) != -1) {
		switch (ch) {
		case 'f':
			conffile = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(argv[0], verbs[i].name) != 0)
			continue;
		if (argc - 1 < verbs[i].minargs ||
		    argc - 1 > verbs[i].maxargs) {
			fprintf(stderr, "kubsd-vm: usage: %s\n",
			    verbs[i].usage);
			return 1;
		}
		return verbs[i].fn(argc - 1, argv + 1);
	}
	usage();
}
