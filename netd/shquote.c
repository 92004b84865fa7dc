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


#include <stdio.h>
#include <string.h>

#include "vm.h"

/*
 * s in single quotes for a remote sh(1), each ' as '\'' , into dst:
 * its length, or -1 (dst then empty) when it does not fit.  Every
 * command line kubsd-vm hands ssh goes through here.
 */
int
sh_quote(char *dst, size_t len, const char *s)
{
	size_t	 o = 0;

	if (len == 0)
		return -1;
	dst[o++] = '\'';
	for (; *s != '\0'; s++) {
		if (o + (*s == '\'' ? 4 : 1) + 2 > len)
			break;
		if (*s == '\'') {
			memcpy(dst + o, "'\\''", 4);
			o += 4;
		} else
			dst[o++] = *s;
	}
	if (*s != '\0' || o + 2 > len) {
		dst[0] = '\0';
		return -1;
	}
	dst[o++] = '\'';
	dst[o] = '\0';
	return (int)o;
}

/*
 * script for the shell of a VM's user: as it is when the ssh login is
 * that user's (direct), else through su(1) from root's login, from /
 * (the user's shell goes to its home): 0, or -1 when it does not fit.
 */
int
sh_as_user(char *dst, size_t len, const char *user, int direct,
    const char *script)
{
	int	 n;

	if (direct)
		n = snprintf(dst, len, "%s", script);
	else if ((n = snprintf(dst, len, "cd / && exec su %s -c ", user)) >= 0 &&
	    (size_t)n < len && sh_quote(dst + n, len - (size_t)n, script) == -1)
		n = -1;
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			dst[0] = '\0';
		return -1;
	}
	return 0;
}
