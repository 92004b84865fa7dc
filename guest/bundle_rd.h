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
 * Private to bundle_read.c and bundle_check.c: the reader's state.
 */
#ifndef BUNDLE_RD_H
#define BUNDLE_RD_H

#include <stddef.h>

#define BFILE		"bundle.conf"

/* The keys, in guest/README.md's order: index of seen[]. */
enum bkey { K_NAME, K_ROLE, K_UP, K_DOWN, K_UP6, K_DOWN6, K_RESOLVER,
	K_TUNNEL, K_ENDPOINT, K_CLIENT, K_READY, K_COUNT };

struct rd {
	struct bundle	*b;
	int		 lineno;
	int		 seen[K_COUNT];	/* line of each key's first line */
	char		*err;
	size_t		 errlen;
};

/* "bundle.conf:LINE: message" (LINE 0: about the whole file); -1. */
int		 badat(struct rd *, int lineno, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
const char	*bkey_name(enum bkey);
/* What single lines cannot say: required keys, how lines agree. */
int		 bundle_check(struct rd *);

#endif
