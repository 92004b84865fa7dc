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
 * Role tor: tor's command line (the bundle's torrc plus what the guest
 * owns: DataDirectory, Log, RunAsDaemon, User), its data directory,
 * and its bootstrap progress read from its stdout.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <grp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"

int
tor_user(void)
{
	return getpwnam(GUEST_TOR_USER) != NULL;
}

/* argv[] points into buf; -1 if either is too small. */
int
tor_argv(const struct bundle *b, const char *dir, char **argv, size_t n,
    char *buf, size_t len)
{
	int	 a, c, d;

	(void)b;
	if (n < 14)
		return -1;
	a = snprintf(buf, len, "%s/torrc", dir);
	if (a < 0 || (size_t)a >= len)
		return -1;
	d = snprintf(buf + a + 1, len - a - 1, "%s/tor-data", dir);
	if (d < 0 || (size_t)d >= len - a - 1)
		return -1;
	/* The control socket, for root to look at circuits and streams. */
	c = snprintf(buf + a + d + 2, len - a - d - 2, "unix:%s/tor-data/control",
	    dir);
	if (c < 0 || (size_t)c >= len - a - d - 2)
		return -1;
	argv[0] = "tor";
	argv[1] = "-f";
	argv[2] = buf;
	argv[3] = "--DataDirectory";
	argv[4] = buf + a + 1;
	argv[5] = "--Log";
	argv[6] = "notice stdout";
	argv[7] = "--RunAsDaemon";
	argv[8] = "0";
	argv[9] = "--ControlPort";
	argv[10] = buf + a + d + 2;
	argv[11] = NULL;
	if (tor_user()) {
		argv[11] = "--User";
		argv[12] = GUEST_TOR_USER;
		argv[13] = NULL;
	}
	return 0;
}

/*
 * Can the user reach and use path?  Asked in a child that becomes the
 * user, since every directory above path must let it search.
 */
static int
user_can_use(const struct passwd *pw, const char *path)
{
	pid_t	 pid;
	int	 status;

	switch (pid = fork()) {
	case -1:
		return -1;
	case 0:
		if (setgroups(0, NULL) == -1 || setgid(pw->pw_gid) == -1 ||
		    setuid(pw->pw_uid) == -1)
			_exit(2);
		_exit(access(path, R_OK | W_OK | X_OK) == 0 ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/*
 * DIR/tor-data: a directory (not a link), mode 0700, tor's user's, and
 * reachable by that user (tor uses it after dropping privileges): the
 * directories above it get an ACL entry that lets the user search them
 * where their modes do not.
 */
int
tor_prepare(const char *dir, char *err, size_t len)
{
	struct passwd	*pw;
	char		 path[4096];
	int		 fd;

	snprintf(path, sizeof(path), "%s/tor-data", dir);
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		goto fail;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		goto fail;
	if ((pw = getpwnam(GUEST_TOR_USER)) != NULL &&
	    fchown(fd, pw->pw_uid, pw->pw_gid) == -1) {
		close(fd);
		goto fail;
	}
	if (fchmod(fd, 0700) == -1) {
		close(fd);
		goto fail;
	}
	close(fd);
	if (pw != NULL && acl_allow_search(path, pw->pw_uid, pw->pw_gid,
	    err, len) == -1)
		return -1;
	if (pw != NULL && user_can_use(pw, path) == -1) {
		snprintf(err, len, "%s: %s cannot use it (is every directory "
		    "above it searchable?)", path, GUEST_TOR_USER);
		return -1;
	}
	return 0;
 fail:
	snprintf(err, len, "%s: %s", path, strerror(errno));
	return -1;
}

/* "... [notice] Bootstrapped 45% (loading_descriptors): ..." -> 45 */
int
tor_bootstrap(const char *line)
{
	const char	*p;
	char		*ep;
	long		 n;

	if ((p = strstr(line, "Bootstrapped ")) == NULL)
		return -1;
	p += strlen("Bootstrapped ");
	if (!isdigit((unsigned char)*p))
		return -1;
	n = strtol(p, &ep, 10);
	if (*ep != '%' || n < 0 || n > 100)
		return -1;
	return (int)n;
}
