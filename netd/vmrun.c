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
 * kubsd-vm run [-u user] [-X] VM COMMAND...: the command in the VM over
 * ssh (vm_sshcmd: the agent's channel, this boot's admin key) as the
 * template's user (KUBSD_VM_USER) unless -u says otherwise, with stdin,
 * stdout, stderr and the exit status passed through.  A VM that does not
 * run is started; a disposable definition gives a fresh instance, ended
 * when the command ends, fails or kubsd-vm is interrupted.  ssh's
 * keepalives end a session whose agent or sshd died.  -X forwards the
 * command's windows to $DISPLAY: untrusted (the X SECURITY extension)
 * unless the VM says "x11 trusted"; the template's x11-title runs beside
 * the command and puts the VM's name before its windows' titles.
 * The VM has one ssh channel: every session goes through one master
 * connection (ssh's ControlMaster), started by the run that finds none
 * and ended RUN_PERSIST after its last session; its X11 forwarding is
 * the VM's "x11" when it started.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "kubsd.h"
#include "vm.h"

#define RUN_TITLE	"/usr/libexec/kubsd/x11-title"
#define RUN_CMD_MAX	16384
#define RUN_PERSIST	"ControlPersist=3"	/* seconds, after the last */

struct runopt {
	const char	*user;
	int		 x11;
	int		 argc;		/* the command's words */
	char		**argv;
};

/* The host's display; an empty DISPLAY is none. */
static const char *
display(void)
{
	const char	*d = getenv("DISPLAY");

	return d != NULL && d[0] != '\0' ? d : NULL;
}

static void
on_signal(int sig)
{
	vm_interrupted = sig;
}

/* A user name for su(1) on a shell line: no option, nothing to quote. */
static int
user_ok(const char *u)
{
	return u[0] != '\0' && u[0] != '-' && strlen(u) <= 32 &&
	    strspn(u, "abcdefghijklmnopqrstuvwxyz0123456789_-.") == strlen(u);
}

static int
run_opts(struct ctl_args *a, struct runopt *o)
{
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->user = KUBSD_VM_USER;
	optind = 1;
	opterr = 0;
	/* a->argv[-1] is "run", getopt's argv[0] */
	while ((ch = getopt(a->argc + 1, a->argv - 1, "+u:X")) != -1) {
		switch (ch) {
		case 'u':
			o->user = optarg;
			break;
		case 'X':
			o->x11 = 1;
			break;
		default:
			goto usage;
		}
	}
	o->argc = a->argc + 1 - optind;
	o->argv = a->argv - 1 + optind;
	if (o->argc < 2)
		goto usage;
	if (!user_ok(o->user)) {
		fprintf(stderr, "kubsd-vm: run: invalid user \"%s\"\n",
		    o->user);
		return -1;
	}
	if (getuid() != 0 && strcmp(o->user, KUBSD_VM_USER) != 0) {
		fprintf(stderr, "kubsd-vm: run: -u %s: only root on the host "
		    "runs as another user than %s in a vm\n", o->user,
		    KUBSD_VM_USER);
		return -1;
	}
	return 0;
usage:
	fprintf(stderr, "kubsd-vm: usage: run [-u user] [-X] vm command "
	    "...\n");
	return -1;
}

/*
 * The remote command: the words joined by spaces, as ssh(1) would;
 * under -X the title script first, in the background, on the same
 * display.  Logged in as the user it runs as (a kubsd member's login,
 * or root's for -u root) it is the login shell's; else su(1) takes
 * root's login to the user, in its home, with the session's X cookie.
 */
static int
run_cmdline(char *buf, size_t len, const struct runopt *o, const char *vm,
    int asuser)
{
	char	 in[RUN_CMD_MAX];
	size_t	 n;
	int	 i, direct = asuser || strcmp(o->user, "root") == 0;

	n = (size_t)snprintf(in, sizeof(in), "%s", direct ? "" : "cd; ");
	if (o->x11)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "%s %s </dev/null "
		    ">/dev/null 2>&1 & ", RUN_TITLE, vm);
	for (i = 1; i < o->argc && n < sizeof(in); i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "%s%s",
		    i > 1 ? " " : "", o->argv[i]);
	if (n < sizeof(in)) {
		n = o->x11 && !direct ? (size_t)snprintf(buf, len, "xauth "
		    "extract - \"$DISPLAY\" | su %s -c 'xauth -q merge -'; ",
		    o->user) : 0;
		if (n >= len || sh_as_user(buf + n, len - n, o->user, direct,
		    in) == -1)
			n = len;
	}
	if (n >= len || n >= sizeof(in)) {
		fprintf(stderr, "kubsd-vm: run: command too long\n");
		return -1;
	}
	return 0;
}

/* ssh's line: the user, X11 forwarding or none, the command. */
static void
run_sshargs(struct vm_sshcmd *c, const struct runopt *o, char *cmd)
{
	c->argv[c->argc - 1] = o->x11 ? "-X" : "-x";
	c->argv[c->argc++] = "-o";
	c->argv[c->argc++] = "BatchMode=yes";
	c->argv[c->argc++] = c->host;	/* root: the master's */
	c->argv[c->argc++] = cmd;
	c->argv[c->argc] = NULL;
}

/* ssh's line, status back; its output to ours. */
static int
run_wait_ssh(char **argv)
{
	pid_t	 pid;
	int	 st;

	if ((pid = fork()) == -1) {
		fprintf(stderr, "kubsd-vm: run: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execvp("ssh", argv);
		fprintf(stderr, "kubsd-vm: run: ssh: %s\n", strerror(errno));
		_exit(255);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Does a master answer on the ControlPath? */
static int
master_alive(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, ok;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >=
	    (int)sizeof(sun.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

/* What the master forwards X11 to: "DISPLAY trusted", in buf. */
static void
master_x11(char *buf, size_t len, const struct vm_target *t)
{
	const char	*d = display();

	snprintf(buf, len, "%s %d\n", d != NULL ? d : "", t->x11_trusted);
}

/* A new master, in the background (-N -f), and what it forwards. */
static int
master_start(const struct vm_sshcmd *c, const struct vm_target *t,
    const char *path)
{
	char	*argv[64], x[PATH_MAX + 16], rec[PATH_MAX + 8];
	int	 k = 0, i;
	FILE	*fp;

	unlink(path);		/* a dead master's */
	/* ssh takes an option's first value: these first */
	argv[k++] = "ssh";
	argv[k++] = "-o";
	argv[k++] = "ControlMaster=yes";
	argv[k++] = "-o";
	argv[k++] = RUN_PERSIST;
	argv[k++] = "-o";
	argv[k++] = "ServerAliveInterval=10";
	argv[k++] = "-o";
	argv[k++] = "ServerAliveCountMax=3";
	argv[k++] = "-o";
	argv[k++] = "BatchMode=yes";
	argv[k++] = "-o";
	argv[k++] = display() != NULL ? "ForwardX11=yes" :
	    "ForwardX11=no";
	argv[k++] = "-o";
	argv[k++] = t->x11_trusted ? "ForwardX11Trusted=yes" :
	    "ForwardX11Trusted=no";
	argv[k++] = "-o";
	argv[k++] = "ForwardX11Timeout=0";
	for (i = 1; i < c->argc - 1; i++)
		argv[k++] = c->argv[i];
	argv[k++] = "-N";
	argv[k++] = "-f";
	argv[k++] = (char *)c->host;	/* root@: sessions su */
	argv[k] = NULL;
	if (run_wait_ssh(argv) != 0)
		return -1;
	snprintf(rec, sizeof(rec), "%s.x11", path);
	master_x11(x, sizeof(x), t);
	if ((fp = fopen(rec, "w")) != NULL) {
		fputs(x, fp);
		fclose(fp);
	}
	return 0;
}

/* Does the live master forward X11 as this -X run needs? */
static int
master_fits(const struct vm_target *t, const char *path)
{
	char	 rec[PATH_MAX + 8], want[PATH_MAX + 16], had[PATH_MAX + 16];
	FILE	*fp;

	snprintf(rec, sizeof(rec), "%s.x11", path);
	master_x11(want, sizeof(want), t);
	had[0] = '\0';
	if ((fp = fopen(rec, "r")) != NULL) {
		if (fgets(had, sizeof(had), fp) == NULL)
			had[0] = '\0';
		fclose(fp);
	}
	return strcmp(want, had) == 0 && display() != NULL;
}

/*
 * The VM's master connection, unless one answers: with keepalives (a
 * dead agent or sshd ends it, and its sessions, within 30 s), X11
 * forwarding allowed as the VM says when there is a display.  A -X run
 * waits a little for a master that forwards otherwise (another display,
 * a reload's "x11") to end.  The key file's lock: one master per VM.
 */
static int
run_master(const struct vm_sshcmd *c, const struct vm_target *t, int x11)
{
	const char	*path = strchr(c->ctl, '=') + 1;
	struct timespec	 ts = { 0, 200000000L };
	int		 i, fd, rv = 0;

	if ((fd = open(c->key, O_RDONLY | O_CLOEXEC)) == -1 ||
	    flock(fd, LOCK_EX) == -1) {
		fprintf(stderr, "kubsd-vm: vm %s: %s: %s\n", t->name, c->key,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	for (i = 0; x11 && i < 50 && master_alive(path) &&
	    !master_fits(t, path); i++)
		nanosleep(&ts, NULL);
	if (!master_alive(path))
		rv = master_start(c, t, path);
	else if (x11 && !master_fits(t, path)) {
		fprintf(stderr, "kubsd-vm: vm %s: its open sessions forward "
		    "X11 otherwise (display, x11 or none): end them first\n",
		    t->name);
		rv = -2;
	}
	close(fd);
	return rv;
}

/*
 * The session's exit status; an interruption ends it: SIGTERM, then
 * SIGKILL if it is still there 3 s later.
 */
static int
run_wait(pid_t pid)
{
	struct timespec	 ts = { 0, 100000000L };
	pid_t		 r;
	int		 st, tenths = 0;

	while ((r = waitpid(pid, &st, WNOHANG)) == 0 ||
	    (r == -1 && errno == EINTR)) {
		if (vm_interrupted && tenths == 0)
			kill(pid, SIGTERM);
		if (vm_interrupted && ++tenths == 30)
			kill(pid, SIGKILL);
		nanosleep(&ts, NULL);
	}
	if (r == -1)
		return 255;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static int
run_ssh(const struct runopt *o, const struct vm_target *t)
{
	struct vm_sshcmd	 c;
	static char		 cmd[RUN_CMD_MAX];
	pid_t			 pid;
	int			 code, rv;

	if (vm_sshcmd(&c, t->name) == -1 ||
	    run_cmdline(cmd, sizeof(cmd), o, t->name, c.asuser) == -1)
		return 1;
	if ((rv = run_master(&c, t, o->x11)) != 0) {
		if (rv == -1)
			fprintf(stderr, "kubsd-vm: vm %s: no ssh connection "
			    "(its agent or sshd ended?)\n", t->name);
		return 255;
	}
	run_sshargs(&c, o, cmd);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "kubsd-vm: run: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		execvp("ssh", c.argv);
		fprintf(stderr, "kubsd-vm: run: ssh: %s\n", strerror(errno));
		_exit(255);
	}
	code = run_wait(pid);
	if (code == 255 && !vm_interrupted)
		fprintf(stderr, "kubsd-vm: vm %s: no ssh session, or it was "
		    "cut (its agent or sshd ended?)\n", t->name);
	return code;
}

int
vm_cmd_run(struct ctl_args *a)
{
	struct runopt		 o;
	struct vm_target	 t;
	struct sigaction	 sa;
	int			 code = 1;

	if (run_opts(a, &o) == -1)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (vm_target(&t, o.argv[0]) == 0 && !vm_interrupted)
		code = run_ssh(&o, &t);
	if (t.fresh && vm_dispose(t.name) == -1)
		fprintf(stderr, "kubsd-vm: vm %s: not ended: kubsd-vm kill "
		    "%s\n", t.name, t.name);
	return vm_interrupted ? 128 + vm_interrupted : code;
}
