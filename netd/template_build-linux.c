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
 * kubsd-vm template build: run a template's recipe (templates/RECIPE/build,
 * a shell script) into STATEDIR/templates/.NAME.tmp-PID and, when it
 * succeeds, swap that directory with STATEDIR/templates/NAME in one
 * renameat2(RENAME_EXCHANGE).  A failed or interrupted build removes its
 * directory and leaves the previous template in place.  One build of a
 * name at a time (a lock file); left-over directories of an earlier
 * build that was killed are removed first.
 */
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kubsd.h"

struct build {
	const struct template	*t;
	char			 dir[PATH_MAX];		/* STATEDIR/templates */
	char			 tmp[PATH_MAX];		/* .NAME.tmp-PID */
	char			 log[PATH_MAX];		/* .NAME.log */
	char			 recipe[PATH_MAX];
	char			 guest[PATH_MAX];
	char			 digest[80];
	pid_t			 pid;
	time_t			 start;
	int			 tty;
};

static volatile sig_atomic_t	 tb_signal;

static int	 tb_fail(const struct build *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static const char *tb_lastline(const struct build *, int, char *, size_t);

/* snprintf for paths, without the compiler's truncation worry: a
 * truncated path is an empty one, which every later step refuses. */
static void __attribute__((format(printf, 3, 4)))
pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
}

static void
tb_catch(int sig)
{
	tb_signal = sig;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == -1 &&
	    errno != ENOENT ? -1 : 0;
}

/* Unmount what a recipe may have left mounted under dir (mmdebstrap's
 * /proc, /sys, /dev), deepest first, before anything is removed. */
static void
umount_under(const char *dir)
{
	char	 line[4096], mp[PATH_MAX], *v[64];
	size_t	 n = 0, len = strlen(dir);
	FILE	*fp;

	if ((fp = fopen("/proc/self/mountinfo", "r")) == NULL)
		return;
	while (n < 64 && fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 &&
		    strncmp(mp, dir, len) == 0 && mp[len] == '/')
			v[n++] = strdup(mp);
	fclose(fp);
	while (n-- > 0) {
		if (v[n] != NULL)
			umount2(v[n], MNT_DETACH);
		free(v[n]);
	}
}

/* Never crosses into another file system (FTW_MOUNT). */
static int
rmtree(const char *path)
{
	umount_under(path);
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) == -1 &&
	    errno != ENOENT)
		return -1;
	return 0;
}

/* Directories of earlier builds of NAME, which died without cleaning. */
static void
tb_clean_stale(const struct build *b)
{
	char		 pre[KUBSD_NAME_MAX + 16], p[PATH_MAX];
	struct dirent	*de;
	DIR		*d;

	if ((d = opendir(b->dir)) == NULL)
		return;
	snprintf(pre, sizeof(pre), ".%s.tmp-", b->t->name);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, pre, strlen(pre)) != 0)
			continue;
		pathf(p, sizeof(p), "%s/%s", b->dir, de->d_name);
		rmtree(p);
	}
	closedir(d);
}

/* The recipe and kubsd-guest: from the environment, else beside this
 * program (a build tree), else under ../share/kubsd (installed). */
static int
tb_find(struct build *b)
{
	char		 exe[PATH_MAX], *s;
	const char	*e, *rn = recipe_name(b->t->recipe);
	ssize_t		 n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		n = 0;
	exe[n] = '\0';
	if ((s = strrchr(exe, '/')) != NULL)
		*s = '\0';
	if ((e = getenv("KUBSD_RECIPES")) != NULL)
		pathf(b->recipe, sizeof(b->recipe), "%s/%s/build", e, rn);
	else {
		pathf(b->recipe, sizeof(b->recipe), "%s/templates/%s/build",
		    exe, rn);
		if (access(b->recipe, R_OK) == -1)
			pathf(b->recipe, sizeof(b->recipe),
			    "%s/../share/kubsd/templates/%s/build", exe, rn);
	}
	if ((e = getenv("KUBSD_GUEST")) != NULL)
		pathf(b->guest, sizeof(b->guest), "%s", e);
	else
		pathf(b->guest, sizeof(b->guest), "%s/kubsd-guest", exe);
	if (access(b->recipe, R_OK) == -1)
		return tb_fail(b, "no recipe %s", b->recipe);
	if (access(b->guest, X_OK) == -1)
		return tb_fail(b, "no kubsd-guest at %s (set KUBSD_GUEST)",
		    b->guest);
	return 0;
}

/* One line on stderr, naming the template; -1. */
static int
tb_fail(const struct build *b, const char *fmt, ...)
{
	va_list	 ap;

	if (b->tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "kubsd-vm: template \"%s\": ", b->t->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static void
tb_setenv(const struct build *b)
{
	char	 pk[8192], self[PATH_MAX];
	ssize_t	 n;
	size_t	 i, len = 0;

	pk[0] = '\0';
	for (i = 0; i < b->t->npackages && len < sizeof(pk); i++)
		len += (size_t)snprintf(pk + len, sizeof(pk) - len, "%s%s",
		    i > 0 ? " " : "", b->t->packages[i]);
	setenv("NAME", b->t->name, 1);
	setenv("SUITE", b->t->suite != NULL ? b->t->suite : TEMPLATE_SUITE, 1);
	setenv("MIRROR", b->t->mirror != NULL ? b->t->mirror :
	    TEMPLATE_MIRROR, 1);
	setenv("PACKAGES", pk, 1);
	setenv("GUEST", b->guest, 1);
	/* this kubsd-vm, for the recipe's "template apps" */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		setenv("KUBSD_VM", self, 1);
	}
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	    "/sbin:/bin", 1);
	setenv("LC_ALL", "C", 1);
}

/* The recipe, in a process group of its own (an interrupt stops all of
 * it): stdout (progress) to *outfd, stderr to the log. */
static int
tb_spawn(struct build *b, int *outfd)
{
	int	 p[2], log;

	if ((log = open(b->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return tb_fail(b, "%s: %s", b->log, strerror(errno));
	if (pipe2(p, O_CLOEXEC) == -1 || (b->pid = fork()) == -1) {
		close(log);
		return tb_fail(b, "fork: %s", strerror(errno));
	}
	if (b->pid == 0) {
		setpgid(0, 0);
		dup2(p[1], STDOUT_FILENO);
		dup2(log, STDERR_FILENO);
		tb_setenv(b);
		execl("/bin/sh", "sh", b->recipe, b->tmp, (char *)NULL);
		dprintf(STDERR_FILENO, "/bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	setpgid(b->pid, b->pid);
	close(p[1]);
	close(log);
	*outfd = p[0];
	return 0;
}

static void
tb_progress(struct build *b, const char *line)
{
	const char	*v;

	if ((v = strchr(line, ' ')) != NULL &&
	    strncmp(line, "manifest-sha256 ", 16) == 0)
		snprintf(b->digest, sizeof(b->digest), "%s", v + 1);
	else if (b->tty && strncmp(line, "step: ", 6) == 0)
		fprintf(stderr, "\r\033[Ktemplate %s: %s (%llds)", b->t->name,
		    line + 6, (long long)(time(NULL) - b->start));
}

/* Read the recipe's progress until it exits; 0 when it succeeded. */
static int
tb_wait(struct build *b, int fd)
{
	char	 line[512];
	FILE	*fp;
	int	 status, killed = 0;

	if ((fp = fdopen(fd, "r")) == NULL)
		return tb_fail(b, "fdopen: %s", strerror(errno));
	for (;;) {
		if (fgets(line, sizeof(line), fp) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			tb_progress(b, line);
			continue;
		}
		if (tb_signal && !killed) {
			kill(-b->pid, SIGTERM);
			killed = 1;
		} else if (!ferror(fp) || errno != EINTR)
			break;
		clearerr(fp);
	}
	fclose(fp);
	while (waitpid(b->pid, &status, 0) == -1)
		if (errno != EINTR)
			return tb_fail(b, "waitpid: %s", strerror(errno));
	/* Whatever of the recipe outlived its shell goes with it. */
	kill(-b->pid, SIGKILL);
	if (tb_signal)
		return tb_fail(b, "interrupted (signal %d); the previous "
		    "template is kept", (int)tb_signal);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return tb_fail(b, "%s", tb_lastline(b, status, line, sizeof(line)));
}

/* The recipe's last words (its log's last line), for a one-line error. */
static const char *
tb_lastline(const struct build *b, int status, char *buf, size_t len)
{
	char	 l[512];
	FILE	*fp;

	buf[0] = '\0';
	if ((fp = fopen(b->log, "r")) != NULL) {
		while (fgets(l, sizeof(l), fp) != NULL) {
			l[strcspn(l, "\n")] = '\0';
			if (l[0] != '\0')
				snprintf(buf, len, "%s", l);
		}
		fclose(fp);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "recipe %s failed (status %d)",
		    recipe_name(b->t->recipe), status);
	return buf;
}

/* What every template has, and a debian template's disk. */
static int
tb_check(const struct build *b)
{
	static const char *const files[] = { "vmlinuz", "initrd.img",
	    "manifest", "root.qcow2" };
	char	 p[PATH_MAX];
	size_t	 i, n = b->t->recipe == RECIPE_DEBIAN ? 4 : 3;

	for (i = 0; i < n; i++) {
		pathf(p, sizeof(p), "%s/%s", b->tmp, files[i]);
		if (access(p, R_OK) == -1)
			return tb_fail(b, "the recipe made no %s", files[i]);
	}
	return 0;
}

/* The new template in, the old one out, in one step. */
static int
tb_install(const struct build *b)
{
	char	 dst[PATH_MAX];

	pathf(dst, sizeof(dst), "%s/%s", b->dir, b->t->name);
	unlink(b->log);
	if (renameat2(AT_FDCWD, b->tmp, AT_FDCWD, dst, RENAME_EXCHANGE) == 0)
		return rmtree(b->tmp);
	if (errno == ENOENT && rename(b->tmp, dst) == 0)
		return 0;
	return tb_fail(b, "rename %s: %s", dst, strerror(errno));
}

static int
tb_prepare(struct build *b, const char *statedir)
{
	char	 lock[PATH_MAX];
	int	 fd;

	pathf(b->dir, sizeof(b->dir), "%s/templates", statedir);
	if ((mkdir(statedir, 0755) == -1 && errno != EEXIST) ||
	    (mkdir(b->dir, 0755) == -1 && errno != EEXIST))
		return tb_fail(b, "%s: %s", b->dir, strerror(errno));
	pathf(lock, sizeof(lock), "%s/.%s.lock", b->dir, b->t->name);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return tb_fail(b, "%s: %s", lock, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		return tb_fail(b, "another build of it is running");
	/* fd stays open: the lock lasts as long as this process. */
	tb_clean_stale(b);
	pathf(b->log, sizeof(b->log), "%s/.%s.log", b->dir, b->t->name);
	pathf(b->tmp, sizeof(b->tmp), "%s/.%s.tmp-%ld", b->dir,
	    b->t->name, (long)getpid());
	if (mkdir(b->tmp, 0755) == -1)
		return tb_fail(b, "%s: %s", b->tmp, strerror(errno));
	return 0;
}

static void
tb_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tb_catch;	/* no SA_RESTART: reads stop */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Build template NAME of conf; 0, or -1 with one line on stderr. */
int
template_build(const struct netd_config *conf, const char *name)
{
	struct template		 builtin;
	struct build		 b;
	int			 fd = -1, rv;

	memset(&b, 0, sizeof(b));
	if ((b.t = template_find(conf, name, &builtin)) == NULL) {
		fprintf(stderr, "kubsd-vm: template \"%s\": not defined (no "
		    "template block, and not a recipe: debian or minimal)\n",
		    name);
		return -1;
	}
	b.tty = isatty(STDERR_FILENO);
	b.start = time(NULL);
	if (tb_find(&b) == -1 || tb_prepare(&b, conf->statedir) == -1)
		return -1;
	tb_signals();
	rv = tb_spawn(&b, &fd);
	if (rv == 0)
		rv = tb_wait(&b, fd);
	if (rv == 0 && !tb_signal)
		rv = tb_check(&b);
	if (rv == 0 && !tb_signal)
		rv = tb_install(&b);
	if (rv == -1 || tb_signal) {
		if (rmtree(b.tmp) == -1)
			fprintf(stderr, "kubsd-vm: template \"%s\": cannot "
			    "remove %s: %s\n", name, b.tmp, strerror(errno));
		return -1;
	}
	if (b.tty)
		fputs("\r\033[K", stderr);
	printf("template %s: built in %llds; manifest sha256 %s\n", name,
	    (long long)(time(NULL) - b.start), b.digest);
	return 0;
}
