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
 * bench_compile: time parse + validate + compile of generated configs
 * to each target.  Prints one row per (target, size) with the median,
 * p90 and the ratio to the 10-VM run of the same target (the baseline
 * measured in the same run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubsd.h"
#include "rules.h"
#include "timing.h"

#define RUNS	25

enum { T_CHECK, T_PF, T_NFT, T_DOT };
static const char *tnames[] = { "check", "pf", "nft", "dot" };


static double
one_run(const char *file, int target, FILE *out)
{
	struct netd_config	*conf;
	struct ruleset		*rs;
	double			 t0 = now_ms();

	if ((conf = parse_config(file)) == NULL || graph_build(conf) == -1) {
		fprintf(stderr, "bench: %s does not load\n", file);
		exit(1);
	}
	if (target == T_PF || target == T_NFT) {
		if ((rs = rules_compile(conf)) == NULL)
			exit(1);
		if (target == T_PF)
			emit_pf(out, rs, NULL);
		else
			emit_nft(out, rs, NULL);
		rules_free(rs);
	} else if (target == T_DOT)
		print_dot(out, conf, NULL);
	fflush(out);
	config_free(conf);
	return now_ms() - t0;
}

int
main(int argc, char *argv[])
{
	static const int sizes[] = { 10, 100, 1000 };
	double	 t[RUNS], base = 0, med, p90;
	char	 file[256];
	FILE	*out;
	int	 target, s, r;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_compile DIR\n"
		    "DIR holds vm10.conf, vm100.conf, vm1000.conf\n");
		return 1;
	}
	if ((out = fopen("/dev/null", "w")) == NULL)
		return 1;
	printf("%-6s %6s %10s %10s %12s %10s %s\n", "target", "vms",
	    "median_ms", "p90_ms", "ratio_to_10", "us_per_vm", "goal");
	for (target = 0; target < 4; target++) {
		for (s = 0; s < 3; s++) {
			snprintf(file, sizeof(file), "%s/vm%d.conf", argv[1],
			    sizes[s]);
			one_run(file, target, out);	/* warm up */
			for (r = 0; r < RUNS; r++)
				t[r] = one_run(file, target, out);
			qsort(t, RUNS, sizeof(t[0]), cmp_double);
			med = t[RUNS / 2];
			p90 = t[RUNS * 9 / 10];
			if (s == 0)
				base = med;
			printf("%-6s %6d %10.3f %10.3f %12.2f %10.2f %s\n",
			    tnames[target], sizes[s], med, p90, med / base,
			    med * 1000 / sizes[s],
			    sizes[s] == 1000 ? (med < 50 ? "<50ms met" :
			    "<50ms MISSED") : "");
		}
	}
	fclose(out);
	return 0;
}
