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
 * A running VM's memory as the host pays for it: QEMU's proportional
 * set size (guest pages it touched and kept, TCG's translation cache,
 * its own heap, its share of the libraries), from smaps_rollup.
 */
#include <stdio.h>

#include "kubsd.h"
#include "vm.h"

/* QEMU pid's PSS in MB; -1 when it cannot be read. */
long long
vm_pss_mb(pid_t pid)
{
	char		 p[64], line[128];
	long long	 kb = -1;
	FILE		*fp;

	if (pid <= 0)
		return -1;
	snprintf(p, sizeof(p), "/proc/%ld/smaps_rollup", (long)pid);
	if ((fp = fopen(p, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "Pss: %lld kB", &kb) == 1)
			break;
	fclose(fp);
	return kb < 0 ? -1 : kb / 1024;
}
