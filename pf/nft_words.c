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

/* One nft rule, word by word (nft_words.h). */
#include <stdarg.h>
#include <stdio.h>

#include "kubsd.h"
#include "nft_words.h"
#include "rules.h"

void
word(struct line *l, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(l->f, l->n++ ? " " : "\t\t");
	va_start(ap, fmt);
	vfprintf(l->f, fmt, ap);
	va_end(ap);
}

void
nft_addrs(struct line *l, const char *ip, const char *which,
    const struct raddrs *s)
{
	char	 buf[KADDR_STRLEN];
	size_t	 i;

	if (s->n == 0)
		return;
	word(l, "%s %s %s", ip, which, s->neg ? "!= " : "");
	if (s->n == 1) {
		fprintf(l->f, "%s", kaddr_str(&s->v[0], buf, sizeof(buf)));
		return;
	}
	fprintf(l->f, "{");
	for (i = 0; i < s->n; i++)
		fprintf(l->f, "%s %s", i ? "," : "",
		    kaddr_str(&s->v[i], buf, sizeof(buf)));
	fprintf(l->f, " }");
}

void
nft_ports(struct line *l, const char *which, const struct kport_list *p)
{
	size_t	 i;

	if (p->n == 0)
		return;
	word(l, "th %s ", which);
	if (p->n > 1)
		fprintf(l->f, "{ ");
	for (i = 0; i < p->n; i++) {
		fprintf(l->f, "%s%u", i ? ", " : "", p->v[i].lo);
		if (p->v[i].hi != p->v[i].lo)
			fprintf(l->f, "-%u", p->v[i].hi);
	}
	if (p->n > 1)
		fprintf(l->f, " }");
}
