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
 * The header kubsd-vm cp reads from the source VM before the file's
 * bytes: "kubsd-cp MODE SIZE", MODE in octal (at most 07777), SIZE in
 * decimal.  The source VM is not trusted: anything else is refused.
 */
#include <string.h>

#include "vm.h"

int
cp_header_parse(const char *line, unsigned *mode, long long *size)
{
	const char	*p = line;
	unsigned	 m = 0;
	long long	 s = 0;
	int		 n;

	if (strncmp(p, CP_HDR, strlen(CP_HDR)) != 0)
		return -1;
	p += strlen(CP_HDR);
	for (n = 0; *p >= '0' && *p <= '7' && n < 4; p++, n++)
		m = m * 8 + (unsigned)(*p - '0');
	if (n == 0 || *p++ != ' ')
		return -1;
	for (n = 0; *p >= '0' && *p <= '9' && n < 18; p++, n++)
		s = s * 10 + (*p - '0');
	if (n == 0 || *p != '\0')
		return -1;
	*mode = m;
	*size = s;
	return 0;
}
