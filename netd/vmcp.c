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
 * kubsd-vm cp SRC DST, kubsd-vm mv SRC DST: one regular file from a VM
 * (VM:PATH) or the host (a path) to another VM, or to a host directory,
 * over the VMs' ssh channels (kubsd-vm ssh).  In a VM the file lands in
 * the VM user's ~/Incoming/SRC-VM/ ("host" for a host file), in a host
 * directory directly; never over an existing file (NAME.1, NAME.2, ... instead).
 * Written under a hidden part name and linked to its name only once it
 * is whole, with its size checked and its permission bits set.  A path
 * with "..", a control character, through a symbolic link, or naming
 * something else than a regular file is refused.  mv removes the source
 * only after the copy is whole.  The source VM is not trusted: the name
 * comes from the command line, the size is checked on arrival.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "kubsd.h"
#include "vm.h"

#define CP_ERR		"kubsd-cp-error "
#define CP_MAXNAME	255

/* One side: a VM's path (vm set) or the host's. */
struct cp_end {
	char	 vm[64];	/* "": the host */
	char	 path[PATH_MAX];
	char	 name[CP_MAXNAME + 1];	/* the last component */
};

/* The source's end, a child's stdout, or a host file. */
struct cp_src {
	int		 fd;
	pid_t		 pid;		/* -1: a host file */
	unsigned	 mode;
	long long	 size;
};

static volatile pid_t	 src_pid = -1;	/* the source's ssh, for on_signal() */

static int
cp_err(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "kubsd-vm: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return -1;
}

/* NULL if path is fine to copy from, or why not. */
static const char *
path_bad(const char *p)
{
	const char	*c;
	size_t		 len;

	if (*p == '\0')
		return "is empty";
	for (c = p; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "has a control character";
	for (c = p + (*p == '/'); *c != '\0'; c += len + (c[len] == '/')) {
		len = strcspn(c, "/");
		if (len == 2 && c[0] == '.' && c[1] == '.')
			return "has a \"..\" component";
		if (len == 0 || (len == 1 && c[0] == '.' && c[1] != '\0'))
			return "has an empty or \".\" component";
	}
	if (p[strlen(p) - 1] == '/')
		return "ends with a slash (directories are not copied)";
	return NULL;
}

/* "VM:PATH" or a host path (with a slash before any colon). */
static int
parse_src(const char *arg, struct cp_end *e)
{
	const char	*colon = strchr(arg, ':'), *why, *base;
	size_t		 vl;

	memset(e, 0, sizeof(*e));
	vl = colon != NULL ? (size_t)(colon - arg) : 0;
	if (colon != NULL && vl > 0 && vl < sizeof(e->vm) &&
	    memchr(arg, '/', vl) == NULL) {
		memcpy(e->vm, arg, vl);
		arg = colon + 1;
	}
	while (strncmp(arg, "./", 2) == 0)
		arg += 2;
	if ((why = path_bad(arg)) != NULL)
		return cp_err("cp: %s: the path %s", arg, why);
	if (strlen(arg) >= sizeof(e->path))
		return cp_err("cp: %s: %s", arg, "too long");
	snprintf(e->path, sizeof(e->path), "%s", arg);
	base = strrchr(arg, '/') != NULL ? strrchr(arg, '/') + 1 : arg;
	if (strcmp(base, ".") == 0 || strlen(base) > CP_MAXNAME)
		return cp_err("cp: %s: %s", arg, "not a file name");
	snprintf(e->name, sizeof(e->name), "%s", base);
	return 0;
}

/*
 * ssh VM SCRIPT with our stdin or stdout on a pipe end (*fd).  SCRIPT
 * runs as the VM's user (kubsd-vm run's): its files, its ~/Incoming.
 */
static pid_t
ssh_spawn(const char *vm, const char *script, int *fd, int to_child)
{
	struct vm_sshcmd	 c;
	char			*as;
	size_t			 len = strlen(script) * 4 + 64;
	int			 p[2];
	pid_t			 pid;

	if (vm_sshcmd(&c, vm) == -1 || (as = malloc(len)) == NULL)
		return -1;
	if (sh_as_user(as, len, KUBSD_VM_USER, c.asuser, script) == -1 ||
	    pipe2(p, O_CLOEXEC) == -1) {
		free(as);
		return -1;
	}
	c.argv[c.argc++] = as;
	c.argv[c.argc] = NULL;
	if ((pid = fork()) == -1) {
		free(as);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(to_child ? p[0] : p[1], to_child ? 0 : 1);
		execvp("ssh", c.argv);
		fprintf(stderr, "kubsd-vm: ssh: %s\n", strerror(errno));
		_exit(127);
	}
	free(as);
	close(to_child ? p[0] : p[1]);
	*fd = to_child ? p[1] : p[0];
	return pid;
}

static int
reap(pid_t pid)
{
	int	 st;

	if (pid <= 0)
		return 0;
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * In the source VM: the path, relative to the home directory, must be a
 * regular file reached through no symbolic link; then a header line and
 * its bytes.
 */
static const char src_script[] =
    "cd || exit 1; p=%s; case $p in /*) a=$p;; *) a=$(pwd -P)/$p;; esac; "
    "err() { echo \"" CP_ERR "$*\"; exit 1; }; "
    "[ -L \"$p\" ] && err \"$p: a symbolic link\"; "
    "[ -e \"$p\" ] || err \"$p: no such file\"; "
    "[ -f \"$p\" ] || err \"$p: not a regular file ($(stat -c %%F -- \"$p\"))\"; "
    "r=$(realpath \"$a\") || err \"$p: cannot resolve\"; "
    "[ \"$r\" = \"$a\" ] || err \"$p: reached through a symbolic link ($r)\"; "
    "exec 3<\"$p\" || exit 1; "
    "echo \"" CP_HDR "$(stat -L -c '%%a %%s' /proc/self/fd/3 2>/dev/null || "
    "stat -c '%%a %%s' -- \"$p\")\"; exec cat <&3";

/* A line from fd, byte by byte (what follows is the file). */
static int
read_line(int fd, char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i + 1 < len; i++) {
		if (read(fd, buf + i, 1) != 1)
			break;
		if (buf[i] == '\n') {
			buf[i] = '\0';
			return 0;
		}
	}
	buf[i] = '\0';
	return -1;
}

static int
open_vm_src(const struct cp_end *s, struct cp_src *src)
{
	char	 q[PATH_MAX * 4 + 8], script[sizeof(q) + sizeof(src_script)];
	char	 line[PATH_MAX + 64];

	if (sh_quote(q, sizeof(q), s->path) == -1)
		return cp_err("cp: %s: %s", s->path, "name too long");
	snprintf(script, sizeof(script), src_script, q);
	if ((src->pid = ssh_spawn(s->vm, script, &src->fd, 0)) == -1)
		return cp_err("cp: vm %s: %s", s->vm, "cannot run ssh");
	src_pid = src->pid;
	if (read_line(src->fd, line, sizeof(line)) == -1 ||
	    cp_header_parse(line, &src->mode, &src->size) == -1) {
		close(src->fd);
		reap(src->pid);
		if (strncmp(line, CP_ERR, strlen(CP_ERR)) == 0)
			return cp_err("cp: vm %s: %s", s->vm,
			    line + strlen(CP_ERR));
		return cp_err("cp: vm %s: %s", s->vm, "no answer from its sshd");
	}
	return 0;
}

/* A host file: opened through no symbolic link, a regular file. */
static int
open_host_src(const struct cp_end *s, struct cp_src *src)
{
	char		 r[PATH_MAX], a[PATH_MAX], cwd[PATH_MAX];
	struct stat	 st;

	src->pid = -1;
	if (s->path[0] == '/')
		snprintf(a, sizeof(a), "%s", s->path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    (size_t)snprintf(a, sizeof(a), "%s/%s", cwd, s->path) >= sizeof(a))
		return cp_err("cp: %s: %s", s->path, "too long");
	if ((src->fd = open(s->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return cp_err("cp: %s: %s", s->path, errno == ELOOP ?
		    "a symbolic link" : strerror(errno));
	if (fstat(src->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(src->fd);
		return cp_err("cp: %s: %s", s->path, "not a regular file");
	}
	if (realpath(s->path, r) == NULL || strcmp(r, a) != 0) {
		close(src->fd);
		return cp_err("cp: %s: %s", s->path,
		    "reached through a symbolic link");
	}
	fcntl(src->fd, F_SETFL, 0);
	src->mode = st.st_mode & 07777;
	src->size = (long long)st.st_size;
	return 0;
}

/* In the destination VM: ~/Incoming/FROM/NAME, whole, or nothing there. */
static const char dst_script[] =
    "d=$HOME/Incoming/%s; n=%s; mkdir -p -- \"$d\" || exit 1; "
    "t=\"$d/.$n.kubsd-part.$$\"; trap 'rm -f -- \"$t\"' EXIT HUP INT TERM; "
    "head -c %lld >\"$t\" || exit 1; "
    "[ \"$(stat -c %%s -- \"$t\")\" = %lld ] || "
    "{ echo \"kubsd-vm: cp: the copy was cut short\" >&2; exit 1; }; "
    "chmod %o -- \"$t\" || exit 1; f=$n; i=1; "
    "while [ -e \"$d/$f\" ] || [ -L \"$d/$f\" ] || "
    "! ln -- \"$t\" \"$d/$f\" 2>/dev/null; do f=$n.$i; i=$((i + 1)); "
    "[ $i -lt 1000 ] || exit 1; done; echo \"%s:$d/$f\"";

static volatile sig_atomic_t	 interrupted;
static int			 part_dir = -1;
static char			 part_name[CP_MAXNAME + 32];

/*
 * Interrupted: no part file stays on the host, and the source's ssh
 * ends now (it would hold the VM's one ssh channel); the destination's
 * sees the end of its input and removes its part file itself.
 */
static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
	if (part_dir != -1 && part_name[0] != '\0')
		unlinkat(part_dir, part_name, 0);
	if (src_pid > 0)
		kill(src_pid, SIGTERM);
	_exit(130);
}

/* size bytes from in to out, with progress on a terminal. */
static int
relay(int in, int out, long long size, const char *name)
{
	char		 buf[65536];
	long long	 done = 0, shown = 0;
	ssize_t		 r;
	size_t		 want;
	int		 tty = isatty(2);

	while (done < size && !interrupted) {
		want = size - done < (long long)sizeof(buf) ?
		    (size_t)(size - done) : sizeof(buf);
		if ((r = read(in, buf, want)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			break;
		}
		if (write(out, buf, (size_t)r) != r)
			break;
		done += r;
		if (tty && (done - shown >= (1 << 20) || done == size)) {
			fprintf(stderr, "\r%s: %lld of %lld KB (%d%%)", name,
			    done >> 10, size >> 10, (int)(done * 100 / size));
			shown = done;
		}
	}
	if (tty && shown > 0)
		fputc('\n', stderr);
	return done == size ? 0 : -1;
}

static int
to_vm(const struct cp_end *s, const char *dvm, struct cp_src *src)
{
	char	 from[64 * 4 + 3], name[CP_MAXNAME * 4 + 3];
	char	 script[sizeof(dst_script) + sizeof(from) + sizeof(name) +
		    128];
	pid_t	 pid;
	int	 fd, rv;

	if (sh_quote(from, sizeof(from), s->vm[0] != '\0' ? s->vm : "host") ==
	    -1 || sh_quote(name, sizeof(name), s->name) == -1)
		return cp_err("cp: %s: %s", s->name, "name too long");
	snprintf(script, sizeof(script), dst_script, from, name, src->size,
	    src->size, src->mode & 0777, dvm);
	if ((pid = ssh_spawn(dvm, script, &fd, 1)) == -1)
		return cp_err("cp: vm %s: %s", dvm, "cannot run ssh");
	rv = relay(src->fd, fd, src->size, s->name);
	close(fd);
	if (reap(pid) != 0 || rv == -1)
		return cp_err("cp: %s: %s", s->name, "not copied (nothing "
		    "under its name)");
	return 0;
}

/* Into a host directory: DIR/NAME, or NAME.1 ... if it exists. */
static int
land(int dfd, const char *name, char *out, size_t len)
{
	int	 i;

	for (i = 0; i < 1000; i++) {
		if (i == 0)
			snprintf(out, len, "%s", name);
		else
			snprintf(out, len, "%s.%d", name, i);
		if (linkat(dfd, part_name, dfd, out, 0) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

static int
to_host(const struct cp_end *s, const char *dir, struct cp_src *src)
{
	char	 final[CP_MAXNAME + 8];
	int	 fd, rv = -1;

	if ((part_dir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return cp_err("cp: %s: %s", dir, strerror(errno));
	snprintf(part_name, sizeof(part_name), ".%s.kubsd-part.%ld", s->name,
	    (long)getpid());
	if ((fd = openat(part_dir, part_name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		part_name[0] = '\0';
		return cp_err("cp: %s: %s", dir, strerror(errno));
	}
	if (relay(src->fd, fd, src->size, s->name) == 0 &&
	    fchmod(fd, src->mode & 0777) == 0 && fsync(fd) == 0 &&
	    land(part_dir, s->name, final, sizeof(final)) == 0) {
		printf("%s/%s\n", dir, final);
		rv = 0;
	}
	close(fd);
	unlinkat(part_dir, part_name, 0);
	part_name[0] = '\0';
	if (rv == -1)
		return cp_err("cp: %s: %s", s->name, "not copied (nothing "
		    "under its name)");
	return 0;
}

static int
remove_src(const struct cp_end *s)
{
	char	 q[PATH_MAX * 4 + 8], script[sizeof(q) + 32];
	pid_t	 pid;
	int	 fd;

	if (s->vm[0] == '\0')
		return unlink(s->path) == 0 ? 0 :
		    cp_err("mv: %s: %s", s->path, strerror(errno));
	if (sh_quote(q, sizeof(q), s->path) == -1)
		return cp_err("mv: %s: %s", s->path, "name too long");
	snprintf(script, sizeof(script), "cd && rm -- %s", q);
	if ((pid = ssh_spawn(s->vm, script, &fd, 1)) == -1)
		return cp_err("mv: vm %s: %s", s->vm, "cannot run ssh");
	close(fd);
	return reap(pid) == 0 ? 0 : cp_err("mv: vm %s: %s: not removed",
	    s->vm, s->path);
}

int
vm_cp(struct ctl_args *a, int move)
{
	struct cp_end	 s;
	struct cp_src	 src = { -1, -1, 0, 0 };
	const char	*dst = a->argv[1];
	int		 tohost = strchr(dst, '/') != NULL, rv;

	if (parse_src(a->argv[0], &s) == -1)
		return 1;
	if (s.vm[0] == '\0' && tohost)
		return cp_err("cp: %s: %s", dst, "host to host: use cp(1)"), 1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if ((s.vm[0] != '\0' ? open_vm_src(&s, &src) :
	    open_host_src(&s, &src)) == -1)
		return 1;
	rv = tohost ? to_host(&s, dst, &src) : to_vm(&s, dst, &src);
	if (rv == -1 && src.pid != -1)
		kill(src.pid, SIGTERM);	/* a cut copy: the source goes too */
	close(src.fd);
	if (src.pid != -1 && reap(src.pid) != 0 && rv == 0)
		rv = cp_err("cp: vm %s: %s: the source did not end well",
		    s.vm, s.path);
	if (rv == 0 && move)
		rv = remove_src(&s);
	return rv == 0 ? 0 : 1;
}
