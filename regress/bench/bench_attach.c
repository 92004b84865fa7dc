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
 * bench_attach SOCK K VM CHAIN1 CHAIN2 [...]: time K attach round trips
 * over kubsd-netd's control socket, one connection, moving VM to CHAIN1,
 * CHAIN2, CHAIN1, ... so that every attach is a real move.  A round trip
 * returns once the daemon has made the rules and links live.
 *
 * Prints "median p99" in milliseconds on one line.  Exit 1 if any attach
 * fails (with the daemon's error on stderr).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "timing.h"


int
main(int argc, char *argv[])
{
	struct ctl_reader	 rd;
	struct ctl_msg		 rep;
	const char		*args[2];
	double			*t, t0;
	int			 fd, k, i, nchains, p99;

	if (argc < 5 || (k = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: bench_attach sock k vm chain ...\n");
		return 2;
	}
	nchains = argc - 4;
	if ((t = calloc(k, sizeof(*t))) == NULL)
		return 1;
	if ((fd = ctl_connect(argv[1])) == -1) {
		fprintf(stderr, "bench_attach: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	ctl_reader_init(&rd, CTL_MAXREPLY);
	args[0] = argv[3];
	for (i = 0; i < k; i++) {
		args[1] = argv[4 + i % nchains];
		t0 = now_ms();
		if (ctl_request(fd, CTL_ATTACH, 0, 2, args, &rd, &rep) == -1) {
			fprintf(stderr, "bench_attach: %s\n", strerror(errno));
			return 1;
		}
		t[i] = now_ms() - t0;
		if (rep.type != CTL_OK) {
			fprintf(stderr, "bench_attach: attach %s %s: %s\n",
			    args[0], args[1], rep.text ? rep.text : "error");
			return 1;
		}
	}
	ctl_reader_free(&rd);
	close(fd);
	qsort(t, k, sizeof(*t), cmp_double);
	/* nearest rank: the smallest sample with >= 99% at or below it */
	p99 = (99 * k + 99) / 100 - 1;
	if (p99 >= k)
		p99 = k - 1;
	printf("%.3f %.3f\n", k % 2 ? t[k / 2] : (t[k / 2 - 1] + t[k / 2]) / 2,
	    t[p99]);
	free(t);
	return 0;
}
