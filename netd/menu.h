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
 * Menu entries (kubsd-vm(8) MENU): a template's applications, read from
 * the .desktop files inside it when it is built (outside input: the
 * template's packages wrote them), kept in its manifest as "app" lines
 * with their icons beside it, and written as the host user's entries
 * "VM: Name" that start the program in its VM with kubsd-vm run -X.
 */
#ifndef MENU_H
#define MENU_H

#include <stddef.h>
#include <stdio.h>

#define DESKTOP_MAX	65536		/* bytes of one .desktop file */
#define DESKTOP_ARGS	64		/* words of one Exec */
#define ICON_MAX	(1 << 20)	/* bytes of one icon */
#define MENU_PREFIX	"kubsd-"	/* of every file menu install writes */
#define MENU_VMKEY	"X-Kubsd-VM"	/* the entry's VM */

/* One application of a template. */
struct desktop_app {
	char	 id[128];	/* the .desktop file's name without .desktop */
	char	 name[256];	/* Name (not localized) */
	char	 exec[1024];	/* Exec, the file's escapes undone */
	char	 icon[256];	/* Icon; in a manifest: the icon's file */
	char	 categories[256];	/* registered ones and X-*; "" none */
	int	 terminal;
};

/* desktop.c: one .desktop file: 1 an application to list, 0 one that is
 * not (err says why), -1 a bad file (err: "line N: ..."). */
int	 desktop_parse(const char *, size_t, struct desktop_app *, char *err,
	    size_t);
int	 desktop_id_ok(const char *);
int	 desktop_utf8_ok(const char *);

/* desktop_exec.c: Exec's words (field codes dropped), the host's Exec */
int	 desktop_exec_split(const char *, char *store, size_t, char **argv,
	    size_t, char *err, size_t);
int	 desktop_exec_host(char *, size_t, char *const *pre, size_t,
	    char *const *guest, size_t);

/* desktop_line.c: a manifest's "app" line */
int	 desktop_line_write(FILE *, const struct desktop_app *);
int	 desktop_line_parse(char *, struct desktop_app *);

/* apps-linux.c: kubsd-vm template apps ROOT DIR, run by the recipes */
int	 template_apps(const char *root, const char *dir, FILE *manifest);

/* menu.c: the host user's entries */
struct menu_target {
	const char	 *datadir;	/* $XDG_DATA_HOME */
	char *const	 *run;		/* kubsd-vm [-f file] [-s socket] */
	size_t		  nrun;
};
int	 menu_write_vm(const struct menu_target *, const char *vm, int tfd,
	    int *written);
int	 menu_remove(const char *datadir, int (*keep)(const char *vm,
	    const char *file, void *), void *, int *removed);

/* menu_cli.c: kubsd-vm menu install|remove; the refresh after a build */
struct netd_config;
int	 menu_cmd(int remove, int argc, char **argv, const char *conffile,
	    const char *sock);
int	 menu_dir(const char *statedir);
void	 menu_refresh(const struct netd_config *, const char *conffile,
	    const char *sock);

#endif
