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
 * libFuzzer harness for STATEDIR/openbsd-units (pf/openbsd_units.c):
 * whatever the file holds, every interface of the ruleset gets a unit
 * and no two interfaces of a driver share one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "rules.h"
#include "openbsd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fill(struct anchor *a, enum anchor_kind k, const char *ifn, const char *down,
    const char *br)
{
	memset(a, 0, sizeof(*a));
	a->kind = k;
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifn);
	snprintf(a->down_if, sizeof(a->down_if), "%s", down);
	snprintf(a->down_bridge, sizeof(a->down_bridge), "%s", br);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct anchor		 an[4];
	struct ruleset		 rs;
	struct obsd_units	 u;
	char			 path[] = "/dev/shm/fuzz_units.XXXXXX";
	size_t			 i, j;
	FILE			*f;
	int			 fd;

	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	fill(&an[0], ANCHOR_UPLINK, "kb-wan", "", "");
	fill(&an[1], ANCHOR_GATEWAY, "kp-sys-net", "kd-sys-net", "kb-sys-net");
	fill(&an[2], ANCHOR_VM, "kp-work", "", "");
	fill(&an[3], ANCHOR_VM, "kp-vault", "", "");
	memset(&rs, 0, sizeof(rs));
	rs.anchors = an;
	rs.nanchors = 4;
	obsd_units_alloc(&u, &rs, path);
	unlink(path);
	if (u.n != 2 + 3 + 2)
		abort();
	for (i = 0; i < u.n; i++)
		for (j = i + 1; j < u.n; j++)
			if (strcmp(u.v[i].name, u.v[j].name) == 0)
				abort();
	obsd_units_free(&u);
	return 0;
}
