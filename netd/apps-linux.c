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
 * kubsd-vm template apps ROOT DIR, run by a recipe at the end of its
 * build: every .desktop file in ROOT/usr/share/applications that is an
 * application to list becomes an "app" line on the manifest
 * (desktop_line.c), and its icon is copied to DIR/icons/ID.EXT.  Every
 * path inside the template is opened with openat2(RESOLVE_IN_ROOT): a
 * symlink is followed as if ROOT were /, never out of it.  An icon is
 * Icon's absolute path, else the theme's hicolor 48x48 PNG, its
 * scalable SVG, its largest PNG, else /usr/share/pixmaps' PNG, SVG or
 * XPM; else the entry has none.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>

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

#define APPS	"usr/share/applications"
#define HICOLOR	"usr/share/icons/hicolor"
#define PIXMAPS	"usr/share/pixmaps"

struct icon {
	char	*data;
	size_t	 len;
	char	 ext[5];
};

static int
root_open(int rootfd, const char *path, int flags)
{
	struct open_how	 how;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* A regular file of 1 to max bytes inside the root, read whole (the
 * caller frees it); NULL when it is not there or not that. */
static char *
root_read(int rootfd, const char *path, size_t max, size_t *len)
{
	struct stat	 st;
	char		*buf = NULL;
	ssize_t		 n;
	int		 fd;

	if ((fd = root_open(rootfd, path, O_RDONLY | O_NOCTTY |
	    O_NONBLOCK)) == -1)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (size_t)st.st_size <= max &&
	    (buf = malloc((size_t)st.st_size + 1)) != NULL) {
		n = read(fd, buf, (size_t)st.st_size + 1);
		if (n != st.st_size) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	close(fd);
	return buf;
}

static int
icon_try(int rootfd, struct icon *ic, const char *fmt, const char *a,
    const char *b)
{
	char		 p[PATH_MAX];
	const char	*dot;

	if ((size_t)snprintf(p, sizeof(p), fmt, a, b) >= sizeof(p) ||
	    (dot = strrchr(p, '.')) == NULL ||
	    (strcmp(dot, ".png") != 0 && strcmp(dot, ".svg") != 0 &&
	    strcmp(dot, ".xpm") != 0))
		return 0;
	if ((ic->data = root_read(rootfd, p, ICON_MAX, &ic->len)) == NULL)
		return 0;
	snprintf(ic->ext, sizeof(ic->ext), "%s", dot + 1);
	return 1;
}

/* The largest NxN/apps/NAME.png of hicolor. */
static int
icon_largest(int rootfd, struct icon *ic, const char *name)
{
	char		 best[NAME_MAX + 1] = "", end;
	struct dirent	*de;
	DIR		*d;
	int		 fd, w, h, bw = 0;

	if ((fd = root_open(rootfd, HICOLOR, O_RDONLY | O_DIRECTORY)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
		if (sscanf(de->d_name, "%dx%d%c", &w, &h, &end) == 2 &&
		    w == h && w > bw && w < 4096 &&
		    icon_try(rootfd, ic, HICOLOR "/%s/apps/%s.png",
		    de->d_name, name)) {
			free(ic->data);
			ic->data = NULL;
			bw = w;
			snprintf(best, sizeof(best), "%s", de->d_name);
		}
	closedir(d);
	return bw > 0 && icon_try(rootfd, ic, HICOLOR "/%s/apps/%s.png",
	    best, name);
}

static int
icon_find(int rootfd, const char *name, struct icon *ic)
{
	static const char *const pix[] = { "png", "svg", "xpm" };
	size_t			 i;

	memset(ic, 0, sizeof(*ic));
	if (name[0] == '/')
		return icon_try(rootfd, ic, "%s%s", name, "");
	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL)
		return 0;
	if (icon_try(rootfd, ic, PIXMAPS "/%s%s", name, "") ||
	    icon_try(rootfd, ic, HICOLOR "/48x48/apps/%s.%s", name, "png") ||
	    icon_try(rootfd, ic, HICOLOR "/scalable/apps/%s.%s", name,
	    "svg") || icon_largest(rootfd, ic, name))
		return 1;
	for (i = 0; i < sizeof(pix) / sizeof(pix[0]); i++)
		if (icon_try(rootfd, ic, PIXMAPS "/%s.%s", name, pix[i]))
			return 1;
	return 0;
}

/* The application's icon into DIR/icons/ID.EXT, its file name in
 * a->icon; none: "". */
static void
icon_copy(int rootfd, const char *dir, struct desktop_app *a)
{
	struct icon	 ic;
	char		 p[PATH_MAX];

	if (!icon_find(rootfd, a->icon, &ic)) {
		a->icon[0] = '\0';
		return;
	}
	snprintf(a->icon, sizeof(a->icon), "%s.%s", a->id, ic.ext);
	if ((size_t)snprintf(p, sizeof(p), "%s/icons/%s", dir, a->icon) >=
	    sizeof(p) || file_replace(p, ic.data, ic.len, 0644, 0) == -1) {
		fprintf(stderr, "kubsd-vm: template apps: %s: %s\n", p,
		    strerror(errno));
		a->icon[0] = '\0';
	}
	free(ic.data);
}

/* One .desktop file: a line on the manifest, or a warning, or nothing. */
static void
app_one(int rootfd, const char *dir, const char *file, FILE *manifest)
{
	struct desktop_app	 a;
	char			 p[PATH_MAX], err[256], *buf;
	size_t			 len = 0;

	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%.*s", (int)(strlen(file) - 8), file);
	snprintf(p, sizeof(p), APPS "/%s", file);
	if (!desktop_id_ok(a.id)) {
		fprintf(stderr, "kubsd-vm: template apps: /%s: a name kubsd "
		    "does not take (letters, digits, '.', '_', '-', '+')\n",
		    p);
		return;
	}
	if ((buf = root_read(rootfd, p, DESKTOP_MAX, &len)) == NULL) {
		fprintf(stderr, "kubsd-vm: template apps: /%s: not a regular "
		    "file of at most %d bytes\n", p, DESKTOP_MAX);
		return;
	}
	switch (desktop_parse(buf, len, &a, err, sizeof(err))) {
	case -1:
		fprintf(stderr, "kubsd-vm: template apps: /%s: %s\n", p, err);
		break;
	case 1:
		icon_copy(rootfd, dir, &a);
		if (desktop_line_write(manifest, &a) == -1)
			fprintf(stderr, "kubsd-vm: template apps: /%s: not "
			    "written\n", p);
		break;
	}
	free(buf);
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .desktop files' names in the applications directory, sorted. */
static char **
app_files(int rootfd, size_t *n)
{
	struct dirent	*de;
	char		**v = NULL;
	size_t		 len;
	DIR		*d;
	int		 fd;

	*n = 0;
	if ((fd = root_open(rootfd, APPS, O_RDONLY | O_DIRECTORY)) == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return NULL;
	}
	while ((de = readdir(d)) != NULL && *n < 4096)
		if ((len = strlen(de->d_name)) > 8 &&
		    strcmp(de->d_name + len - 8, ".desktop") == 0) {
			v = xreallocarray(v, *n + 1, sizeof(*v));
			v[(*n)++] = xstrdup(de->d_name);
		}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmpstr);
	return v;
}

/* 0, or -1 with a line on stderr (ROOT or DIR cannot be used). */
int
template_apps(const char *root, const char *dir, FILE *manifest)
{
	char	 p[PATH_MAX], **files;
	size_t	 i, n;
	int	 rootfd;

	if ((rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "kubsd-vm: template apps: %s: %s\n", root,
		    strerror(errno));
		return -1;
	}
	snprintf(p, sizeof(p), "%s/icons", dir);
	if (mkdir(p, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "kubsd-vm: template apps: %s: %s\n", p,
		    strerror(errno));
		close(rootfd);
		return -1;
	}
	files = app_files(rootfd, &n);
	for (i = 0; i < n; i++) {
		app_one(rootfd, dir, files[i], manifest);
		free(files[i]);
	}
	free(files);
	close(rootfd);
	return fflush(manifest) == 0 ? 0 : -1;
}
