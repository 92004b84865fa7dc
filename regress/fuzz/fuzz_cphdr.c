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
 * libFuzzer harness for cp_header_parse() (netd/cphdr.c): whatever a
 * source VM sends as kubsd-vm cp's header line, it is refused or gives
 * a mode of permission bits and a size that is not negative.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*line = malloc(size + 1);
	unsigned	 mode = 0;
	long long	 sz = 0;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (cp_header_parse(line, &mode, &sz) == 0 &&
	    (mode > 07777 || sz < 0 || strncmp(line, CP_HDR, 9) != 0))
		abort();
	free(line);
	return 0;
}
