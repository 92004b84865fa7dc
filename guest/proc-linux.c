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
 * Child processes on Linux: the role's daemon (which dies with
 * kubsd-guest, PR_SET_PDEATHSIG, so that none runs unsupervised) and
 * short helpers (wg setconf) run to their end.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "log.h"

/* In the child: default signals, stdin /dev/null, out/err to fd. */
static void
child_setup(int out, pid_t parent)
{
	sigset_t	 none;
	int		 fd, sig;

	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		if (out == -1) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (out != -1) {
		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
		if (out > STDERR_FILENO)
			close(out);
	}
	if (parent != -1) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
	}
}

pid_t
proc_spawn(char *const argv[], int *outfd)
{
	pid_t	 pid, self = getpid();
	int	 p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	switch (pid = fork()) {
	case -1:
		close(p[0]);
		close(p[1]);
		return -1;
	case 0:
		close(p[0]);
		child_setup(p[1], self);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	*outfd = p[0];
	return pid;
}

int
proc_run(char *const argv[])
{
	pid_t	 pid;
	int	 status;

	switch (pid = fork()) {
	case -1:
		return -1;
	case 0:
		child_setup(-1, -1);
		/* wg's complaints go to our stderr, i.e. the log. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return status;
}

int
proc_exited(pid_t pid)
{
	siginfo_t	 si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1)
		return errno == ECHILD;
	return si.si_pid == pid;
}

void
proc_stop(pid_t pid, int wait_ms)
{
	int	 ms, status;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (ms = 0; ms < wait_ms; ms += 20) {
		if (waitpid(pid, &status, WNOHANG) != 0)
			return;
		poll(NULL, 0, 20);
	}
	log_warnx("pid %ld did not stop: killing it", (long)pid);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
}

void
proc_describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "status %d", status);
}

/*
 * Processes running "PROG ... -f ARG ..." (PROG's base name): a role
 * daemon that outlived an earlier kubsd-guest.  tor, once it has
 * become its own user, no longer dies with us (the kernel clears the
 * parent-death signal on a change of credentials).  Each is stopped.
 */
void
proc_stop_stale(const char *prog, const char *arg)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[64], cmd[4096], *a, *base, *end;
	FILE		*fp;
	size_t		 n;
	pid_t		 pid;
	int		 flag;

	if ((d = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((pid = (pid_t)strtol(de->d_name, &end, 10)) <= 1 ||
		    *end != '\0' || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		n = fread(cmd, 1, sizeof(cmd) - 1, fp);
		fclose(fp);
		cmd[n] = '\0';
		base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
		if (n == 0 || strcmp(base, prog) != 0)
			continue;
		for (a = cmd, flag = 0; a < cmd + n; a += strlen(a) + 1) {
			if (flag && strcmp(a, arg) == 0)
				break;
			flag = strcmp(a, "-f") == 0;
		}
		if (a >= cmd + n)
			continue;
		log_warnx("stopping %s, pid %ld, left by an earlier run", prog,
		    (long)pid);
		kill(pid, SIGTERM);
		for (n = 0; n < 100 && kill(pid, 0) == 0; n++)
			poll(NULL, 0, 30);
		if (kill(pid, 0) == 0)
			kill(pid, SIGKILL);
	}
	closedir(d);
}
