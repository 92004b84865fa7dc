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
 * A template's application in its manifest, one line of fields
 * separated by tabs (a field never holds a tab or another control
 * character):
 *	app ID TERMINAL ICON CATEGORIES NAME EXEC
 * TERMINAL is true or false; ICON the icon's file in the template's
 * icons/ directory, or "-"; CATEGORIES as in the .desktop file (only
 * registered ones and X-*), or "-".  kubsd-vm(8) documents it.
 */
#include <stdio.h>
#include <string.h>

#include "menu.h"

#define NFIELDS	7

static const char *
dash(const char *s)
{
	return s[0] != '\0' ? s : "-";
}

/* An icon's file name in icons/: an id and .png, .svg or .xpm. */
static int
icon_file_ok(const char *f)
{
	char		 id[sizeof(((struct desktop_app *)0)->id)];
	const char	*dot = strrchr(f, '.');

	if (dot == NULL || (size_t)(dot - f) >= sizeof(id) ||
	    (strcmp(dot, ".png") != 0 && strcmp(dot, ".svg") != 0 &&
	    strcmp(dot, ".xpm") != 0))
		return 0;
	memcpy(id, f, (size_t)(dot - f));
	id[dot - f] = '\0';
	return desktop_id_ok(id);
}

int
desktop_line_write(FILE *fp, const struct desktop_app *a)
{
	if (!desktop_id_ok(a->id) || !desktop_utf8_ok(a->name) ||
	    !desktop_utf8_ok(a->exec) || !desktop_utf8_ok(a->categories) ||
	    (a->icon[0] != '\0' && !icon_file_ok(a->icon)) ||
	    a->name[0] == '\0' || a->exec[0] == '\0')
		return -1;
	return fprintf(fp, "app\t%s\t%s\t%s\t%s\t%s\t%s\n", a->id,
	    a->terminal ? "true" : "false", dash(a->icon),
	    dash(a->categories), a->name, a->exec) < 0 ? -1 : 0;
}

/* A field into dst; "-" is empty where empty is written so (dash). */
static int
field(char *dst, size_t len, const char *src, int dashed)
{
	if (strlen(src) >= len || !desktop_utf8_ok(src))
		return -1;
	snprintf(dst, len, "%s", dashed && strcmp(src, "-") == 0 ? "" : src);
	return 0;
}

/* A manifest line (its newline removed) into *a: 0, or -1 when it is
 * not an app line or is bad. */
int
desktop_line_parse(char *line, struct desktop_app *a)
{
	char	*f[NFIELDS], *p = line;
	int	 n;

	memset(a, 0, sizeof(*a));
	for (n = 0; n < NFIELDS && p != NULL; n++)
		f[n] = strsep(&p, "\t");
	if (n != NFIELDS || p != NULL || strcmp(f[0], "app") != 0 ||
	    !desktop_id_ok(f[1]) || (strcmp(f[2], "true") != 0 &&
	    strcmp(f[2], "false") != 0) ||
	    (strcmp(f[3], "-") != 0 && !icon_file_ok(f[3])))
		return -1;
	snprintf(a->id, sizeof(a->id), "%s", f[1]);
	a->terminal = f[2][0] == 't';
	if (field(a->icon, sizeof(a->icon), f[3], 1) == -1 ||
	    field(a->categories, sizeof(a->categories), f[4], 1) == -1 ||
	    field(a->name, sizeof(a->name), f[5], 0) == -1 ||
	    field(a->exec, sizeof(a->exec), f[6], 0) == -1 ||
	    a->name[0] == '\0' || a->exec[0] == '\0')
		return -1;
	return 0;
}
