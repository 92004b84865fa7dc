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
 * A VM's disks.  An AppVM's root is a qcow2 overlay on its template's
 * root.qcow2, made afresh at every start (what the VM wrote to / goes
 * with it), its private disk (ext4, made once) persists under
 * STATEDIR/private.  A disposable's private disk lives in its run dir
 * and goes with it.  Leftovers of a crash are removed before a start.
 * QEMU runs unprivileged: every file it opens is its user's.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "kubsd.h"
#include "log.h"
#include "vm.h"

/* Run argv; 0 if it exited 0, else -1 with its first stderr line. */
int
vm_run(char *const argv[], char *err, size_t len)
{
	int	 p[2], st;
	pid_t	 pid;
	ssize_t	 r;
	char	 buf[256], *nl;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		snprintf(err, len, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(p[1], 2);
		dup2(open("/dev/null", O_RDWR), 1);
		execvp(argv[0], argv);
		dprintf(2, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	r = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	buf[r > 0 ? r : 0] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	snprintf(err, len, "%s failed: %s", argv[0], buf[0] ? buf :
	    "no message");
	return -1;
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(p);
	return 0;
}

void
vm_rmtree(const char *dir)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int
disk_private_path(const struct vm *vm, const struct node *n, char *buf,
    size_t len)
{
	int	 r;

	if (n->disposable)
		r = snprintf(buf, len, "%s/private.img", vm->dir);
	else
		r = snprintf(buf, len, "%s/private/%s.img", vm->statedir,
		    n->name);
	return r < 0 || (size_t)r >= len ? -1 : 0;
}

static int
make_private(const struct node *n, const char *path, uid_t uid, gid_t gid,
    char *err, size_t len)
{
	char	 sz[32], e[256];
	char	*mkfs[] = { "mkfs.ext4", "-q", "-F", "-L", "private", "-m",
	    "0", (char *)path, NULL };
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(err, len, "vm %s: private disk %s: %s", n->name, path,
		    strerror(errno));
		return -1;
	}
	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)n->private_size);
	if (ftruncate(fd, (off_t)n->private_size) == -1 ||
	    fchown(fd, uid, gid) == -1) {
		snprintf(err, len, "vm %s: private disk %s: %s", n->name, path,
		    strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	if (vm_run(mkfs, e, sizeof(e)) == -1) {
		snprintf(err, len, "vm %s: private disk %s: %s", n->name, path,
		    e);
		unlink(path);
		return -1;
	}
	log_info("vm %s: private disk %s made (%s bytes)", n->name, path, sz);
	return 0;
}

static int
prepare_private(const struct vm *vm, const struct node *n, uid_t uid,
    gid_t gid, char *err, size_t len)
{
	char		 path[PATH_MAX], dir[PATH_MAX];
	struct stat	 st;

	if (n->private_size == 0)
		return 0;
	if (disk_private_path(vm, n, path, sizeof(path)) == -1) {
		snprintf(err, len, "vm %s: private disk path too long",
		    n->name);
		return -1;
	}
	if (!n->disposable) {
		snprintf(dir, sizeof(dir), "%s/private", vm->statedir);
		/* QEMU's user may pass, not list: each disk is its own. */
		if ((mkdir(dir, 0711) == -1 && errno != EEXIST) ||
		    chmod(dir, 0711) == -1) {
			snprintf(err, len, "vm %s: %s: %s", n->name, dir,
			    strerror(errno));
			return -1;
		}
	}
	if (stat(path, &st) == 0)
		return chown(path, uid, gid) == -1 ? -1 : 0;
	return make_private(n, path, uid, gid, err, len);
}

/* The root overlay: always a new one, on the template's root. */
static int
prepare_root(const struct vm *vm, const struct node *n, const char *tmpl,
    int *haveroot, uid_t uid, gid_t gid, char *err, size_t len)
{
	char	 base[PATH_MAX + 64], ov[PATH_MAX + 64], e[256];
	char	*argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-F",
	    "qcow2", "-b", base, ov, NULL };

	snprintf(base, sizeof(base), "%s/root.qcow2", tmpl);
	snprintf(ov, sizeof(ov), "%s/root.qcow2", vm->dir);
	*haveroot = access(base, R_OK) == 0;
	if (!*haveroot)
		return 0;
	unlink(ov);
	if (vm_run(argv, e, sizeof(e)) == -1) {
		snprintf(err, len, "vm %s: root overlay: %s", n->name, e);
		return -1;
	}
	if (chown(ov, uid, gid) == -1) {
		snprintf(err, len, "vm %s: %s: %s", n->name, ov,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
disk_prepare(const struct vm *vm, const struct node *n, const char *tmpl,
    int *haveroot, uid_t uid, gid_t gid, char *err, size_t len)
{
	if (prepare_root(vm, n, tmpl, haveroot, uid, gid, err, len) == -1)
		return -1;
	return prepare_private(vm, n, uid, gid, err, len);
}

/* After the VM ended: its overlay (and a disposable's disk) go. */
void
disk_release(const struct vm *vm, const struct node *n)
{
	char	 path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/root.qcow2", vm->dir);
	unlink(path);
	if (n != NULL && n->disposable &&
	    disk_private_path(vm, n, path, sizeof(path)) == 0)
		unlink(path);
}
