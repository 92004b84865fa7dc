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
 * The host user's menu entries (kubsd-vm menu install, remove): for
 * each application on a VM's template's manifest,
 *	DATADIR/applications/kubsd-VM-ID.desktop	"VM: Name"
 *	DATADIR/icons/kubsd/kubsd-VM-ID.EXT		its icon
 * with Exec "kubsd-vm ... run -X VM PROGRAM ..." and the VM's name in
 * X-Kubsd-VM, by which remove finds exactly kubsd's own entries.  Run
 * as the user whose menu it is (the template is read through an open
 * directory, which root opened).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "menu.h"

#define ENTRY_MAX	8192

struct stale {
	const char	 *vm;
	char		**keep;		/* the files written now */
	size_t		  nkeep;
};

/* dir, and its parents, as this user. */
static int
mkdirs(const char *dir)
{
	char	 p[PATH_MAX], *s;

	if ((size_t)snprintf(p, sizeof(p), "%s", dir) >= sizeof(p))
		return -1;
	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

/* A file below dirfd, regular and at most max bytes, read whole. */
static char *
read_at(int dirfd, const char *path, size_t max, size_t *len)
{
	struct stat	 st;
	char		*buf = NULL;
	int		 fd;

	if ((fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size <= max &&
	    (buf = malloc((size_t)st.st_size + 1)) != NULL) {
		if (read(fd, buf, (size_t)st.st_size + 1) != st.st_size) {
			free(buf);
			buf = NULL;
		} else {
			buf[st.st_size] = '\0';
			*len = (size_t)st.st_size;
		}
	}
	close(fd);
	return buf;
}

static void
cat(char *out, const char *s, size_t len)
{
	size_t	 o = strlen(out);

	snprintf(out + o, len - o, "%s", s);
}

/* s, escaped as a string value, appended. */
static void
cat_escaped(char *out, size_t len, const char *s)
{
	size_t	 o = strlen(out);

	for (; *s != '\0' && o + 2 < len; s++) {
		if (*s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o] = '\0';
}

/* The icon from the template, beside the user's other icons; its path
 * in icon ("" when there is none). */
static void
entry_icon(const char *datadir, int tfd, const char *base,
    const struct desktop_app *a, char *icon, size_t len)
{
	static const char *const ext[] = { ".png", ".svg", ".xpm" };
	char	 src[PATH_MAX], *data;
	size_t	 n = 0, i;

	icon[0] = '\0';
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)	/* earlier ones */
		if (a->icon[0] == '\0' || strcmp(ext[i],
		    strrchr(a->icon, '.')) != 0) {
			if ((size_t)snprintf(src, sizeof(src), "%s/icons/"
			    "kubsd/%s%s", datadir, base, ext[i]) < sizeof(src))
				unlink(src);
		}
	if (a->icon[0] == '\0')
		return;
	snprintf(src, sizeof(src), "icons/%s", a->icon);
	if ((data = read_at(tfd, src, ICON_MAX, &n)) == NULL)
		return;
	if ((size_t)snprintf(icon, len, "%s/icons/kubsd/%s%s", datadir, base,
	    strrchr(a->icon, '.')) >= len ||
	    file_replace(icon, data, n, 0644, 0) == -1)
		icon[0] = '\0';
	free(data);
}

/* One entry; 0, or -1 with a line on stderr. */
static int
entry_write(const struct menu_target *t, const char *vm, int tfd,
    const struct desktop_app *a, char *file, size_t flen)
{
	char	 store[1024], *argv[DESKTOP_ARGS], *pre[16], err[256];
	char	 exec[4096], icon[PATH_MAX], e[ENTRY_MAX], path[PATH_MAX];
	size_t	 i;
	int	 n;

	if ((n = desktop_exec_split(a->exec, store, sizeof(store), argv,
	    DESKTOP_ARGS, err, sizeof(err))) == -1 || t->nrun + 1 >
	    sizeof(pre) / sizeof(pre[0])) {
		fprintf(stderr, "kubsd-vm: menu: vm %s: app %s: %s\n", vm,
		    a->id, err);
		return -1;
	}
	for (i = 0; i < t->nrun; i++)
		pre[i] = t->run[i];
	pre[i++] = (char *)vm;
	if (desktop_exec_host(exec, sizeof(exec), pre, i, argv,
	    (size_t)n) == -1) {
		fprintf(stderr, "kubsd-vm: menu: vm %s: app %s: Exec is too "
		    "long\n", vm, a->id);
		return -1;
	}
	snprintf(file, flen, MENU_PREFIX "%s-%s", vm, a->id);
	entry_icon(t->datadir, tfd, file, a, icon, sizeof(icon));
	snprintf(e, sizeof(e), "[Desktop Entry]\nType=Application\n"
	    "Name=%s: ", vm);
	cat_escaped(e, sizeof(e), a->name);
	cat(e, "\nExec=", sizeof(e));
	cat(e, exec, sizeof(e));
	if (icon[0] != '\0') {
		cat(e, "\nIcon=", sizeof(e));
		cat_escaped(e, sizeof(e), icon);
	}
	cat(e, a->terminal ? "\nTerminal=true\n" : "\nTerminal=false\n",
	    sizeof(e));
	if (a->categories[0] != '\0') {
		cat(e, "Categories=", sizeof(e));
		cat(e, a->categories, sizeof(e));
		cat(e, "\n", sizeof(e));
	}
	cat(e, MENU_VMKEY "=", sizeof(e));
	cat(e, vm, sizeof(e));
	cat(e, "\n", sizeof(e));
	cat(file, ".desktop", flen);
	snprintf(path, sizeof(path), "%s/applications/%s", t->datadir, file);
	if (file_replace(path, e, strlen(e), 0644, 0) == -1) {
		fprintf(stderr, "kubsd-vm: menu: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
keep_current(const char *vm, const char *file, void *arg)
{
	const struct stale	*s = arg;
	size_t			 i;

	if (strcmp(vm, s->vm) != 0)
		return 1;
	for (i = 0; i < s->nkeep; i++)
		if (strcmp(file, s->keep[i]) == 0)
			return 1;
	return 0;
}

/*
 * VM's entries, from the manifest of its template (the directory tfd):
 * written, and its earlier ones that are no more removed.  The number
 * written in *written; 0, or -1 when some could not be (said).
 */
int
menu_write_vm(const struct menu_target *t, const char *vm, int tfd,
    int *written)
{
	struct desktop_app	 a;
	struct stale		 s;
	char			 p[PATH_MAX], f[PATH_MAX], *buf, *line, *next;
	size_t			 len = 0, i;
	int			 rv = 0, gone;

	*written = 0;
	memset(&s, 0, sizeof(s));
	s.vm = vm;
	snprintf(p, sizeof(p), "%s/icons/kubsd", t->datadir);
	snprintf(f, sizeof(f), "%s/applications", t->datadir);
	if (mkdirs(p) == -1 || mkdirs(f) == -1) {
		fprintf(stderr, "kubsd-vm: menu: %s: %s\n", t->datadir,
		    strerror(errno));
		return -1;
	}
	if ((buf = read_at(tfd, "manifest", 1 << 24, &len)) == NULL) {
		fprintf(stderr, "kubsd-vm: menu: vm %s: its template has no "
		    "manifest (kubsd-vm template build)\n", vm);
		return -1;
	}
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "app\t", 4) != 0)
			continue;
		if (desktop_line_parse(line, &a) == -1 ||
		    entry_write(t, vm, tfd, &a, f, sizeof(f)) == -1) {
			rv = -1;
			continue;
		}
		s.keep = xreallocarray(s.keep, s.nkeep + 1, sizeof(*s.keep));
		s.keep[s.nkeep++] = xstrdup(f);
		(*written)++;
	}
	free(buf);
	if (menu_remove(t->datadir, keep_current, &s, &gone) == -1)
		rv = -1;
	for (i = 0; i < s.nkeep; i++)
		free(s.keep[i]);
	free(s.keep);
	return rv;
}

/* An entry of ours: its VM and icon, from its file; 0, or -1. */
static int
entry_read(int dfd, const char *file, char *vm, size_t vlen, char *icon,
    size_t ilen)
{
	char	*buf, *l, *next;
	size_t	 len = 0;

	vm[0] = icon[0] = '\0';
	if ((buf = read_at(dfd, file, ENTRY_MAX, &len)) == NULL)
		return -1;
	for (l = buf; l != NULL; l = next) {
		if ((next = strchr(l, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(l, MENU_VMKEY "=", strlen(MENU_VMKEY) + 1) == 0)
			snprintf(vm, vlen, "%s", l + strlen(MENU_VMKEY) + 1);
		else if (strncmp(l, "Icon=", 5) == 0)
			snprintf(icon, ilen, "%s", l + 5);
	}
	free(buf);
	return vm[0] != '\0' ? 0 : -1;
}

/*
 * Every entry of kubsd's in DATADIR/applications whose VM keep() does
 * not keep goes, with its icon.  The number removed in *removed; 0, or
 * -1 when some could not be (said).
 */
int
menu_remove(const char *datadir, int (*keep)(const char *, const char *,
    void *), void *arg, int *removed)
{
	char		 dir[PATH_MAX], vm[128], icon[PATH_MAX], pre[PATH_MAX];
	struct dirent	*de;
	DIR		*d;
	int		 rv = 0;

	*removed = 0;
	snprintf(dir, sizeof(dir), "%s/applications", datadir);
	snprintf(pre, sizeof(pre), "%s/icons/kubsd/" MENU_PREFIX, datadir);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, MENU_PREFIX, strlen(MENU_PREFIX)) ||
		    strlen(de->d_name) < 8 || strcmp(de->d_name +
		    strlen(de->d_name) - 8, ".desktop") != 0 ||
		    entry_read(dirfd(d), de->d_name, vm, sizeof(vm), icon,
		    sizeof(icon)) == -1 || keep(vm, de->d_name, arg))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1) {
			fprintf(stderr, "kubsd-vm: menu: %s/%s: %s\n", dir,
			    de->d_name, strerror(errno));
			rv = -1;
			continue;
		}
		if (strncmp(icon, pre, strlen(pre)) == 0 &&
		    strchr(icon + strlen(pre), '/') == NULL)
			unlink(icon);
		(*removed)++;
	}
	closedir(d);
	return rv;
}
