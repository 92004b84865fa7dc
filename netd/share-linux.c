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
 * A VM's host folders on Linux.  kubsd-netd opens each shared
 * directory as root and hands QEMU the open directory (QEMU's 9p
 * "local" backend at /proc/self/fd/N), so QEMU's user needs no way
 * through the directories above it; an ACL entry gives that user the
 * directory itself, r-x or (read-write) rwx; what is inside is reached
 * through its own modes (QEMU's user owns what the VM makes).  The entry
 * goes when the last running VM sharing the directory stops.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "log.h"
#include "vm.h"

static int
setfacl(const char *opt, const char *entries, const char *path, char *err,
    size_t len)
{
	char	*argv[] = { "setfacl", (char *)opt, (char *)entries,
	    (char *)path, NULL };

	return vm_run(argv, err, len);
}

/* The directory, open, given to QEMU's user; -1 with err set. */
static int
share_open1(const struct node *n, const struct vm_share *s, char *err,
    size_t len)
{
	struct stat	 st;
	char		 e[256];
	int		 fd;

	if ((fd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, len, "vm %s: share %s: %s", n->name, s->path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (setfacl("-m", s->rw ? "u:" KUBSD_QEMU_USER ":rwx" :
	    "u:" KUBSD_QEMU_USER ":rx", s->path, e, sizeof(e)) == -1) {
		snprintf(err, len, "vm %s: share %s: cannot give %s access: "
		    "%s", n->name, s->path, KUBSD_QEMU_USER, e);
		close(fd);
		return -1;
	}
	return fd;
}

/* fds[i]: share i's directory; all or none are open. */
int
share_open(const struct node *n, int *fds, char *err, size_t len)
{
	const struct vm_share	*s;
	int			 i = 0;

	TAILQ_FOREACH(s, &n->shares, entry) {
		if ((fds[i] = share_open1(n, s, err, len)) == -1) {
			while (i-- > 0)
				close(fds[i]);
			share_release(n);
			return -1;
		}
		i++;
	}
	return i;
}

/* Does a running VM other than n share path? */
static int
shared_elsewhere(const struct node *n, const char *path)
{
	struct vm		*vm;
	const struct node	*o;
	const struct vm_share	*s;

	TAILQ_FOREACH(vm, vm_list(), entry) {
		if ((o = vm_node(vm)) == NULL || o == n)
			continue;
		TAILQ_FOREACH(s, &o->shares, entry)
			if (strcmp(s->path, path) == 0)
				return 1;
	}
	return 0;
}

void
share_release(const struct node *n)
{
	const struct vm_share	*s;
	char			 e[256];

	if (n == NULL)
		return;
	TAILQ_FOREACH(s, &n->shares, entry) {
		if (shared_elsewhere(n, s->path))
			continue;
		if (setfacl("-x", "u:" KUBSD_QEMU_USER, s->path, e,
		    sizeof(e)) == -1 && access(s->path, F_OK) == 0)
			log_warnx("vm %s: share %s: %s", n->name, s->path, e);
	}
}
