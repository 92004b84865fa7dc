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
 * Named network namespaces, the way ip-netns(8) keeps them, and
 * sysctls inside them.
 *
 * A named namespace is an nsfs bind mount on LINK_NETNS_DIR/NAME.  The
 * directory is made a shared mount point, so that a namespace created
 * from one mount namespace shows in the others that share it.  Note
 * that a process started by "ip netns exec" runs in a mount namespace
 * that is a slave of the host's: namespaces it creates are invisible
 * outside it, and vanish with it (leaving an empty file behind).
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <linux/magic.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "link.h"
#include "log.h"

static int
netns_path(const char *name, char *path, size_t len)
{
	int	n;

	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strlen(name) > NAME_MAX) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(path, len, "%s/%s", LINK_NETNS_DIR, name);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Make LINK_NETNS_DIR exist and be a shared mount point. */
static int
netns_rundir(void)
{
	int	bound = 0;

	if (mkdir(LINK_NETNS_DIR, 0755) == -1 && errno != EEXIST)
		return -1;
	while (mount("", LINK_NETNS_DIR, "none", MS_SHARED | MS_REC,
	    NULL) == -1) {
		/* EINVAL: not a mount point yet; bind it onto itself. */
		if (errno != EINVAL || bound)
			return -1;
		if (mount(LINK_NETNS_DIR, LINK_NETNS_DIR, "none",
		    MS_BIND | MS_REC, NULL) == -1)
			return -1;
		bound = 1;
	}
	return 0;
}

int
netns_create(const char *name)
{
	char	 path[PATH_MAX];
	pid_t	 pid;
	int	 fd, status, saved;

	if (netns_path(name, path, sizeof(path)) == -1)
		return -1;
	if (netns_rundir() == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)) == -1)
		return -1;
	close(fd);

	/*
	 * The child makes the namespace and pins it with a bind mount of
	 * its own ns/net; only async-signal-safe calls before _exit().
	 */
	switch (pid = fork()) {
	case -1:
		saved = errno;
		goto fail;
	case 0:
		if (unshare(CLONE_NEWNET) == -1)
			_exit(errno ? errno : EPERM);
		if (mount("/proc/self/ns/net", path, "none", MS_BIND,
		    NULL) == -1)
			_exit(errno ? errno : EPERM);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			saved = errno;
			goto fail;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	saved = WIFEXITED(status) ? WEXITSTATUS(status) : ECHILD;
 fail:
	unlink(path);
	errno = saved;
	return -1;
}

/* ip-netns(8)'s per-namespace /etc (the compartment's resolv.conf). */
static void
netns_etc_remove(const char *name)
{
	char	 dir[PATH_MAX], path[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "/etc/netns/%s", name);
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("%s", path);
	if (rmdir(dir) == -1 && errno != ENOENT)
		log_warn("%s", dir);
}

int
netns_delete(const char *name)
{
	char		path[PATH_MAX];
	struct stat	st;
	int		saved;

	saved = errno;
	netns_etc_remove(name);
	errno = saved;
	if (netns_path(name, path, sizeof(path)) == -1)
		return -1;
	if (lstat(path, &st) == -1)
		return -1;
	/* EINVAL: not mounted (a leftover file); remove it all the same. */
	if (umount2(path, MNT_DETACH) == -1 && errno != EINVAL)
		return -1;
	return unlink(path);
}

/* A leftover file that holds no namespace counts as absent. */
int
netns_exists(const char *name)
{
	struct statfs	sfs;
	int		fd, ret;

	if ((fd = netns_open(name)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstatfs(fd, &sfs) == -1)
		ret = -1;
	else
		ret = sfs.f_type == NSFS_MAGIC;
	close(fd);
	return ret;
}

int
netns_open(const char *name)
{
	char	path[PATH_MAX];

	if (netns_path(name, path, sizeof(path)) == -1)
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

int
netns_enter(int nsfd, int *saved)
{
	int	fd, e;

	if ((fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (setns(nsfd, CLONE_NEWNET) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	*saved = fd;
	return 0;
}

/* A thread left in the wrong namespace cannot go on safely. */
void
netns_leave(int saved)
{
	int	e = errno;

	if (setns(saved, CLONE_NEWNET) == -1)
		fatal("setns back to the original network namespace");
	close(saved);
	errno = e;
}

/* Open /proc/sys/PATH inside a namespace (NULL: the current one). */
static int
sysctl_open(const char *netns, const char *path, int flags)
{
	char		 file[PATH_MAX];
	const char	*p;
	int		 n, nsfd = -1, saved, fd, e;

	if (path == NULL || *path == '\0' || *path == '/')
		goto inval;
	for (p = path; (p = strstr(p, "..")) != NULL; p += 2)
		if ((p == path || p[-1] == '/') &&
		    (p[2] == '/' || p[2] == '\0'))
			goto inval;
	n = snprintf(file, sizeof(file), "/proc/sys/%s", path);
	if (n < 0 || (size_t)n >= sizeof(file)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (netns == NULL)
		return open(file, flags | O_CLOEXEC);

	if ((nsfd = netns_open(netns)) == -1)
		return -1;
	if (netns_enter(nsfd, &saved) == -1) {
		e = errno;
		close(nsfd);
		errno = e;
		return -1;
	}
	/* The file stays bound to the namespace it was opened in. */
	fd = open(file, flags | O_CLOEXEC);
	netns_leave(saved);
	e = errno;
	close(nsfd);
	errno = e;
	return fd;
 inval:
	errno = EINVAL;
	return -1;
}

int
link_sysctl_set(const char *netns, const char *path, const char *value)
{
	size_t	len = strlen(value);
	ssize_t	n;
	int	fd, e;

	if ((fd = sysctl_open(netns, path, O_WRONLY)) == -1)
		return -1;
	while ((n = write(fd, value, len)) == -1 && errno == EINTR)
		;
	e = errno;
	close(fd);
	if (n == -1) {
		errno = e;
		return -1;
	}
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int
link_sysctl_get(const char *netns, const char *path, char *buf, size_t len)
{
	ssize_t	n;
	int	fd, e;

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = sysctl_open(netns, path, O_RDONLY)) == -1)
		return -1;
	while ((n = read(fd, buf, len - 1)) == -1 && errno == EINTR)
		;
	e = errno;
	close(fd);
	if (n == -1) {
		errno = e;
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}
