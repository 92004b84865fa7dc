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
 * kubsd-netd: reads netd.conf, builds the network graph and its rules.
 * With -n it only checks, and with -t shows what it would load.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "daemon.h"
#include "kubsd.h"
#include "ctl.h"
#include "log.h"
#include "rules.h"
#include "openbsd.h"

enum target { TARGET_NONE, TARGET_PF, TARGET_NFT, TARGET_DOT, TARGET_BUNDLE,
	TARGET_OPENBSD };

static __attribute__((noreturn)) void
usage(void)
{
	extern const char *__progname;

	fprintf(stderr, "usage: %s [-dnv] [-D macro=value] [-f file] "
	    "[-s socket] [-t pf|nft|dot|bundle|openbsd]\n", __progname);
	exit(1);
}

static enum target
parse_target(const char *s)
{
	if (strcmp(s, "pf") == 0)
		return TARGET_PF;
	if (strcmp(s, "nft") == 0)
		return TARGET_NFT;
	if (strcmp(s, "dot") == 0)
		return TARGET_DOT;
	if (strcmp(s, "bundle") == 0)
		return TARGET_BUNDLE;
	if (strcmp(s, "openbsd") == 0)
		return TARGET_OPENBSD;
	fprintf(stderr, "kubsd-netd: unknown target \"%s\": "
	    "use pf, nft, dot, bundle or openbsd\n", s);
	exit(1);
}

/* Print what -t asks for; 0 on success. */
static int
show_target(FILE *fp, const struct netd_config *conf, enum target t)
{
	struct ruleset	*rs;

	if (t == TARGET_DOT) {
		print_dot(fp, conf, NULL);
		return 0;
	}
	if (t == TARGET_BUNDLE) {
		bundle_print(fp, conf);
		return 0;
	}
	if (t == TARGET_OPENBSD)
		return emit_openbsd(fp, conf);
	if ((rs = rules_compile(conf)) == NULL)
		return -1;
	if (t == TARGET_PF)
		emit_pf(fp, rs, NULL);
	else
		emit_nft(fp, rs, NULL);
	rules_free(rs);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct netd_config	*conf;
	const char		*file = KUBSD_CONF;
	struct netd_opts	 opts = { NULL, NULL, NULL, 0, 0 };
	char			 pidfile[512];
	struct stat		 st;
	enum target		 target = TARGET_NONE;
	int			 ch, noaction = 0, verbose = 0, debug = 0;
	int			 rv = 0;

	while ((ch = getopt(argc, argv, "dD:f:ns:t:v")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'D':
			if (cmdline_symset(optarg) < 0) {
				fprintf(stderr, "kubsd-netd: could not parse "
				    "macro definition \"%s\"\n", optarg);
				exit(1);
			}
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 's':
			opts.sockpath = optarg;
			break;
		case 't':
			target = parse_target(optarg);
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();
	log_init(1, verbose);

	if (strcmp(file, "-") == 0)
		file = "/dev/stdin";
	if ((conf = parse_config(file)) == NULL)
		exit(1);
	if (graph_build(conf) == -1) {
		config_free(conf);
		exit(1);
	}
	if (!noaction) {
		if (geteuid() != 0) {
			config_free(conf);
			fatalx("need root privileges");
		}
		opts.conffile = file;
		opts.foreground = debug;
		opts.verbose = verbose;
		if (opts.sockpath == NULL)
			opts.sockpath = KUBSD_SOCKET;
		/*
		 * Others may pass, not list: QEMU's user reaches its run
		 * directory, group kubsd STATEDIR/vmssh (each guards its
		 * own contents).
		 */
		if ((mkdir(conf->statedir, 0711) == -1 && errno != EEXIST) ||
		    stat(conf->statedir, &st) == -1 ||
		    ((st.st_mode & 0011) != 0011 &&
		    chmod(conf->statedir, (st.st_mode & 07777) | 0011) == -1))
			fatal("state directory %s", conf->statedir);
		snprintf(pidfile, sizeof(pidfile), "%s/kubsd-netd.pid",
		    conf->statedir);
		opts.pidfile = pidfile;
		return netd_main(conf, &opts);
	}
	if (target != TARGET_NONE)
		rv = show_target(stdout, conf, target);
	else if (verbose)
		print_config(stdout, conf);
	else
		printf("configuration OK\n");
	config_free(conf);
	if (fflush(stdout) == EOF || ferror(stdout))
		rv = -1;
	return rv == 0 ? 0 : 1;
}
