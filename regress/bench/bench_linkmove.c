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
 * bench_linkmove K BRIDGE-A BRIDGE-B: the kernel's share of an attach.
 * Moves a spare tap between two bridges K times with the link code
 * kubsd-netd uses (down, new master, isolated, up), without kubsd-netd,
 * and prints "median p99" in milliseconds.  Run in the namespace of the
 * bridges; the tap (kbmove0) is removed again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "link.h"
#include "timing.h"

#define TAP	"kbmove0"

int
main(int argc, char *argv[])
{
	static const uint8_t	 mac[6] = { 0x0a, 0x6b, 0xbe, 0x4c, 0, 1 };
	struct link_ctx		*ctx;
	double			*t, t0;
	int			 k, i, p99, rv = 0;

	if (argc != 4 || (k = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: bench_linkmove k bridge-a bridge-b\n");
		return 2;
	}
	if ((t = calloc(k, sizeof(*t))) == NULL ||
	    (ctx = link_open(NULL)) == NULL) {
		perror("bench_linkmove");
		return 1;
	}
	(void)link_delete_if_exists(ctx, TAP);
	if (link_tap_create(ctx, TAP, mac, 0, (uid_t)-1) == -1 ||
	    link_set_master(ctx, TAP, argv[2], 1) == -1 ||
	    link_set_up(ctx, TAP, 1) == -1) {
		fprintf(stderr, "bench_linkmove: %s\n", link_error(ctx));
		rv = 1;
		goto done;
	}
	for (i = 0; i < k; i++) {
		t0 = now_ms();
		if (link_set_master(ctx, TAP, argv[3 - i % 2], 1) == -1) {
			fprintf(stderr, "bench_linkmove: %s\n", link_error(ctx));
			rv = 1;
			goto done;
		}
		t[i] = now_ms() - t0;
	}
	qsort(t, k, sizeof(*t), cmp_double);
	p99 = (99 * k + 99) / 100 - 1;
	if (p99 >= k)
		p99 = k - 1;
	printf("%.3f %.3f\n", k % 2 ? t[k / 2] : (t[k / 2 - 1] + t[k / 2]) / 2,
	    t[p99]);
done:
	(void)link_delete_if_exists(ctx, TAP);
	link_close(ctx);
	free(t);
	return rv;
}
