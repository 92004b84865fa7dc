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
 * libFuzzer harness for qmp_reply_parse() (netd/qmp.c): whatever QEMU's
 * QMP socket sends, a line is classified without a crash, the error
 * text is a terminated string, and a reply is never also an error.
 * And console_filter() (netd/console.c) on the same bytes: its output
 * holds no escape or control character but newline and tab.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

static void
check_filter(const uint8_t *data, size_t size)
{
	char	*out = malloc(size + 1);
	size_t	 n, i;
	int	 st = 0;

	if (out == NULL)
		return;
	n = console_filter((const char *)data, size, out, &st);
	if (n > size)
		abort();
	for (i = 0; i < n; i++)
		if (out[i] == 0x1b || (unsigned char)out[i] == 0x9b ||
		    ((unsigned char)out[i] < 0x20 && out[i] != '\n' &&
		    out[i] != '\t'))
			abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 err[128];
	int	 rv;

	memset(err, 'x', sizeof(err));
	rv = qmp_reply_parse((const char *)data, size, err, sizeof(err));
	if (rv < -2 || rv > 1)
		abort();
	if (rv != 1 && rv != 0 && memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	check_filter(data, size);
	return 0;
}
