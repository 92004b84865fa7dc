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
 * The pf.conf lines of the OpenBSD plan (pf/emit_pf.c): the anchors, then
 * the quick default blocks, in that order; a "set limit anchors" that
 * leaves the site room once kubsd's anchors near pf's default of 512,
 * and none below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"
#include "openbsd.h"
#include "check.h"

static char *
lines(size_t nanchors)
{
	struct ruleset	 rs;
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*f = open_memstream(&buf, &len);

	memset(&rs, 0, sizeof(rs));
	rs.nanchors = nanchors;
	rs.group_name = KUBSD_IFGROUP_NAME;
	pf_conf_lines(f, &rs, "");
	fclose(f);
	return buf;
}

int
main(void)
{
	char		*s, *a, *b, *c;
	unsigned	 lim;

	s = lines(60);
	CHECK(strstr(s, "set limit") == NULL, "a limit for 60 anchors");
	a = strstr(s, "anchor \"kubsd/*\"\n");
	b = strstr(s, "block drop log quick on kubsd\n");
	c = strstr(s, "block drop log quick on egress received-on kubsd\n");
	CHECK(a != NULL && b != NULL && c != NULL && a < b && b < c,
	    "pf.conf lines out of order:\n%s", s);
	free(s);

	s = lines(501);
	a = strstr(s, "set limit anchors ");
	CHECK(a != NULL && sscanf(a, "set limit anchors %u", &lim) == 1 &&
	    lim >= 501 + 256, "no room for 500 anchors:\n%s", s);
	CHECK(a != NULL && a < strstr(s, "anchor \"kubsd/*\""),
	    "the limit after the anchor");
	free(s);

	s = lines(5000);
	a = strstr(s, "set limit anchors ");
	CHECK(a != NULL && sscanf(a, "set limit anchors %u", &lim) == 1 &&
	    lim >= 5000, "no room for 5000 anchors:\n%s", s);
	free(s);
	return failures != 0;
}
