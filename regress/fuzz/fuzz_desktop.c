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
 * libFuzzer harness for a template's .desktop files (netd/desktop.c,
 * desktop_exec.c, desktop_line.c): whatever a package put in
 * /usr/share/applications, the parser refuses it or gives values
 * without control characters; an accepted Exec gives a host Exec that
 * fits and has none either; the manifest line written reads back the
 * same; and the input read as a manifest line is refused or sane.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "menu.h"

static void
check_app(const struct desktop_app *a)
{
	char		 store[1024], *argv[DESKTOP_ARGS], err[128];
	char		 exec[4096], line[4096];
	char		*pre[] = { "/usr/sbin/kubsd-vm", "run", "-X", "vm" };
	struct desktop_app b;
	FILE		*fp;
	int		 n;

	if (!desktop_utf8_ok(a->name) || !desktop_utf8_ok(a->exec) ||
	    !desktop_utf8_ok(a->icon) || !desktop_utf8_ok(a->categories))
		abort();
	n = desktop_exec_split(a->exec, store, sizeof(store), argv,
	    DESKTOP_ARGS, err, sizeof(err));
	if (n == 0 || n >= DESKTOP_ARGS)
		abort();
	if (n > 0 && desktop_exec_host(exec, sizeof(exec), pre, 4, argv,
	    (size_t)n) == 0 && !desktop_utf8_ok(exec))
		abort();
	if ((fp = fmemopen(line, sizeof(line), "w")) == NULL)
		return;
	n = desktop_line_write(fp, a);
	fclose(fp);
	line[strcspn(line, "\n")] = '\0';
	if (n == 0 && a->icon[0] == '\0' &&
	    (desktop_line_parse(line, &b) == -1 ||
	    strcmp(a->name, b.name) != 0 || strcmp(a->exec, b.exec) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct desktop_app	 a;
	char			 err[256], *copy;

	memset(&a, 0, sizeof(a));
	memcpy(a.id, "fuzz", 5);
	if (desktop_parse((const char *)data, size, &a, err,
	    sizeof(err)) == 1)
		check_app(&a);
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	if (desktop_line_parse(copy, &a) == 0 && (!desktop_id_ok(a.id) ||
	    !desktop_utf8_ok(a.name) || a.exec[0] == '\0'))
		abort();
	free(copy);
	return 0;
}
