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
 * kubsd-vm(8): start, stop and look at kubsd's VMs.  The lifecycle is
 * kubsd-netd's (through its control socket); console, log and exec talk
 * to the VM's own sockets under STATEDIR/vms/NAME, which only root
 * may open.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "kubsd.h"
#include "menu.h"
#include "vm.h"

#define START_TIMEOUT_S	300
#define POLL_MS		20

static const char	*sockpath = KUBSD_SOCKET;
static const char	*conffile = KUBSD_CONF;
static int		 ctlfd = -1;
static int		 quiet;		/* run: the command's output only */

volatile sig_atomic_t	 vm_interrupted;	/* set by vmrun.c */

static int
ask(uint16_t type, int nargs, char **args, const char **text)
{
	static struct ctl_reader	 rd;
	struct ctl_msg			 rep;

	if (ctlfd == -1 && (ctlfd = ctl_connect(sockpath)) == -1) {
		fprintf(stderr, "kubsd-vm: %s: %s\n", sockpath,
		    errno == ENOENT || errno == ECONNREFUSED ?
		    "kubsd-netd is not running" : strerror(errno));
		return 1;
	}
	if (rd.max == 0)
		ctl_reader_init(&rd, CTL_MAXREPLY);
	if (ctl_request(ctlfd, type, 0, (size_t)nargs,
	    (const char *const *)args, &rd, &rep) == -1) {
		fprintf(stderr, "kubsd-vm: %s: %s\n", ctl_type_name(type),
		    strerror(errno));
		return 1;
	}
	if (rep.type == CTL_ERROR) {
		fprintf(stderr, "kubsd-vm: %s\n", rep.text);
		return 1;
	}
	*text = rep.text;
	return 0;
}

/* The VM's status object (the caller json_decref()s it), or NULL. */
static json_t *
vm_status(const char *name)
{
	const char	*text;
	char		*args[1] = { (char *)name };
	json_t		*arr, *o;

	if (ask(CTL_VM_STATUS, 1, args, &text) != 0)
		return NULL;
	if ((arr = json_loads(text, 0, NULL)) == NULL ||
	    (o = json_array_get(arr, 0)) == NULL) {
		fprintf(stderr, "kubsd-vm: bad status from kubsd-netd\n");
		json_decref(arr);
		return NULL;
	}
	json_incref(o);
	json_decref(arr);
	return o;
}

static const char *
jstr(json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* The last line QEMU wrote, to say why a VM ended. */
static void
last_words(const char *dir, char *buf, size_t len)
{
	char	 p[PATH_MAX + 16], line[512];
	FILE	*fp;

	buf[0] = '\0';
	snprintf(p, sizeof(p), "%s/qemu.log", dir);
	if ((fp = fopen(p, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (line[0] != '\n')
			snprintf(buf, len, "%s", line);
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * name's status object in *op (the caller json_decref()s it): 1; 0: it
 * is not there (an instance exists only while it runs); -1: an error,
 * said.
 */
static int
vm_lookup(const char *name, json_t **op)
{
	const char	*text;
	json_t		*arr, *o;
	size_t		 i;

	*op = NULL;
	if (ask(CTL_VM_STATUS, 0, NULL, &text) != 0)
		return -1;
	if ((arr = json_loads(text, 0, NULL)) == NULL) {
		fprintf(stderr, "kubsd-vm: bad status from kubsd-netd\n");
		return -1;
	}
	json_array_foreach(arr, i, o)
		if (strcmp(jstr(o, "name"), name) == 0) {
			json_incref(o);
			*op = o;
		}
	json_decref(arr);
	return *op != NULL;
}

/* Returns when the agent says "ready", or the VM ended. */
static int
wait_ready(const char *name)
{
	json_t		*o;
	const char	*st;
	char		 why[512], dir[PATH_MAX];
	int		 i, found;
	struct timespec	 ts = { 0, POLL_MS * 1000000L };

	for (i = 0; i < START_TIMEOUT_S * 1000 / POLL_MS; i++) {
		if ((found = vm_lookup(name, &o)) == -1)
			return 1;
		if (!found) {
			fprintf(stderr, "kubsd-vm: vm %s: ended before it "
			    "was ready\n", name);
			return 1;
		}
		st = jstr(o, "state");
		if (strcmp(st, "ready") == 0) {
			if (!quiet)
				printf("%s ready, %s\n", name, jstr(o, "accel"));
			json_decref(o);
			return 0;
		}
		if (strcmp(st, "stopped") == 0) {
			snprintf(dir, sizeof(dir), "%s", jstr(o, "dir"));
			json_decref(o);
			last_words(dir, why, sizeof(why));
			fprintf(stderr, "kubsd-vm: vm %s: stopped before it "
			    "was ready%s%s\n", name, why[0] ? ": " : "", why);
			return 1;
		}
		json_decref(o);
		if (vm_interrupted)
			return 1;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "kubsd-vm: vm %s: not ready after %d s\n", name,
	    START_TIMEOUT_S);
	return 1;
}

static int
wait_stopped(const char *name)
{
	json_t		*o;
	int		 i, stopped;
	struct timespec	 ts = { 0, POLL_MS * 1000000L };

	for (i = 0; i < (VM_STOP_TIMEOUT + 5) * 1000 / POLL_MS; i++) {
		if ((stopped = vm_lookup(name, &o)) == -1)
			return 1;
		/* an instance that is gone is stopped */
		stopped = !stopped || strcmp(jstr(o, "state"), "stopped") == 0;
		json_decref(o);
		if (stopped) {
			if (!quiet)
				printf("%s stopped\n", name);
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "kubsd-vm: vm %s: still running\n", name);
	return 1;
}

/* Starts vm: the name of what started (a disposable's new instance). */
static int
start(const char *vm, char *name, size_t len)
{
	const char	*text;
	char		*args[1] = { (char *)vm }, w[64];

	if (ask(CTL_VM_START, 1, args, &text) != 0)
		return -1;
	/* "NAME starting": a disposable's NAME is its new instance's */
	snprintf(name, len, "%s", sscanf(text, "%63s", w) == 1 ? w : vm);
	return 0;
}

/* start, stop, kill: ask, then follow the state to its end. */
static int
v_life(struct ctl_args *a)
{
	const char	*text;
	char		 name[64];

	if (a->cmd->type == CTL_VM_START)
		return start(a->argv[0], name, sizeof(name)) == -1 ? 1 :
		    wait_ready(name);
	if (ask(a->cmd->type, 1, a->argv, &text) != 0)
		return 1;
	return wait_stopped(a->argv[0]);
}

/*
 * kubsd-vm run's VM (vmrun.c), ready: started unless it runs, a fresh
 * instance of a disposable definition.  Quiet: stdout is the command's.
 */
int
vm_target(struct vm_target *t, const char *vm)
{
	json_t	*o;
	int	 found, def, stopped;

	quiet = 1;
	memset(t, 0, sizeof(*t));
	if ((found = vm_lookup(vm, &o)) <= 0) {
		if (found == 0)
			fprintf(stderr, "kubsd-vm: vm %s: no such vm\n", vm);
		return -1;
	}
	def = json_is_true(json_object_get(o, "disposable")) &&
	    json_is_null(json_object_get(o, "instance_of"));
	stopped = strcmp(jstr(o, "state"), "stopped") == 0;
	t->x11_trusted = strcmp(jstr(o, "x11"), "trusted") == 0;
	json_decref(o);
	snprintf(t->name, sizeof(t->name), "%s", vm);
	if (def || stopped) {
		if (start(vm, t->name, sizeof(t->name)) == -1)
			return -1;
		t->fresh = def;
	}
	return wait_ready(t->name) == 0 ? 0 : -1;
}

/* Ends a run's fresh instance and waits until it is gone. */
int
vm_dispose(const char *name)
{
	const char	*text;
	char		*args[1] = { (char *)name };

	if (ask(CTL_VM_KILL, 1, args, &text) != 0)
		return -1;
	return wait_stopped(name) == 0 ? 0 : -1;
}

/* QEMU's PSS as status shows it: "123M", or "-" (not running). */
static const char *
pss_str(json_t *o)
{
	static char	 s[24];
	json_t		*v = json_object_get(o, "pss");

	if (!json_is_integer(v))
		return "-";
	snprintf(s, sizeof(s), "%lldM", (long long)json_integer_value(v));
	return s;
}

/* A VM's chain; a gateway, which is on no chain: its role and segment. */
static void
where_str(json_t *o, char *buf, size_t len)
{
	if (jstr(o, "role")[0] != '\0')
		snprintf(buf, len, "%s %s", jstr(o, "role"),
		    jstr(o, "segment"));
	else
		snprintf(buf, len, "%s", jstr(o, "chain"));
}

/* The widest of a column's heading and its values (status -j's keys). */
static int
col_width(json_t *arr, const char *key, const char *head)
{
	json_t	*o;
	size_t	 i, w = strlen(head);
	char	 where[64];

	json_array_foreach(arr, i, o) {
		if (key == NULL)
			where_str(o, where, sizeof(where));
		if (strlen(key ? jstr(o, key) : where) > w)
			w = strlen(key ? jstr(o, key) : where);
	}
	return (int)w;
}

static int
v_status(struct ctl_args *a)
{
	const char	*text;
	json_t		*arr, *o;
	size_t		 i;
	char		 where[64], mem[24];
	int		 js = a->opt['j'] > 0, wn, wa, wc;

	if (ask(CTL_VM_STATUS, a->argc, a->argv, &text) != 0)
		return 1;
	if (js) {
		fputs(text, stdout);
		return 0;
	}
	if ((arr = json_loads(text, 0, NULL)) == NULL)
		return 1;
	wn = col_width(arr, "name", "NAME");
	wa = col_width(arr, "address", "ADDRESS");
	wc = col_width(arr, NULL, "CHAIN");
	printf("%-*s %-9s %-7s %-5s %-6s %-6s %-*s %-*s %s\n", wn, "NAME",
	    "STATE", "PID", "ACCEL", "MEMORY", "PSS", wa, "ADDRESS", wc,
	    "CHAIN", "AUDIO");
	json_array_foreach(arr, i, o) {
		where_str(o, where, sizeof(where));
		snprintf(mem, sizeof(mem), "%lldM", (long long)
		    json_integer_value(json_object_get(o, "memory")));
		printf("%-*s %-9s %-7lld %-5s %-6s %-6s %-*s %-*s %s\n",
		    wn, jstr(o, "name"), jstr(o, "state"),
		    (long long)json_integer_value(json_object_get(o, "pid")),
		    jstr(o, "accel")[0] ? jstr(o, "accel") : "-",
		    mem, pss_str(o), wa, jstr(o, "address")[0] ?
		    jstr(o, "address") : "-", wc, where, jstr(o, "audio"));
	}
	json_decref(arr);
	return 0;
}

/* A running VM's socket NAME.sock; -1 with a one-line error. */
static int
vm_socket(const char *name, const char *sock)
{
	struct sockaddr_un	 sun;
	json_t			*o;
	int			 fd, run;

	if ((o = vm_status(name)) == NULL)
		return -1;
	run = strcmp(jstr(o, "state"), "stopped") != 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.sock",
	    jstr(o, strcmp(sock, "ssh") == 0 ? "ssh_dir" : "dir"), sock);
	json_decref(o);
	if (!run) {
		fprintf(stderr, "kubsd-vm: vm %s: not running\n", name);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "kubsd-vm: vm %s: %s: %s\n", name,
		    sun.sun_path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* Copy the console to the terminal until "~." at a line's start. */
static int
relay(int fd)
{
	struct pollfd	 pfd[2] = { { 0, POLLIN, 0 }, { fd, POLLIN, 0 } };
	char		 buf[4096];
	ssize_t		 r, i;
	int		 bol = 1, tilde = 0;

	for (;;) {
		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			return 1;
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			if ((r = read(fd, buf, sizeof(buf))) <= 0)
				return 0;
			if (write(1, buf, (size_t)r) != r)
				return 1;
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP)))
			continue;
		if ((r = read(0, buf, sizeof(buf))) <= 0)
			return 0;
		for (i = 0; i < r; i++) {
			if (tilde && buf[i] == '.')
				return 0;
			if (tilde && buf[i] != '~' &&
			    write(fd, "~", 1) != 1)
				return 1;
			tilde = bol && buf[i] == '~' && !tilde;
			bol = buf[i] == '\r' || buf[i] == '\n';
			if (!tilde && write(fd, buf + i, 1) != 1)
				return 1;
		}
	}
}

static int
v_console(struct ctl_args *a)
{
	char		**argv = a->argv;
	struct termios	 old, raw;
	int		 fd, tty, rv;

	if ((fd = vm_socket(argv[0], "console")) == -1)
		return 1;
	tty = tcgetattr(0, &old) == 0;
	if (tty) {
		raw = old;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
		fprintf(stderr, "[connected to %s; ~. leaves]\r\n", argv[0]);
	}
	rv = relay(fd);
	if (tty)
		tcsetattr(0, TCSANOW, &old);
	close(fd);
	return rv;
}

static int
v_log(struct ctl_args *a)
{
	char		**argv = a->argv;
	json_t	*o;
	char	 p[PATH_MAX + 16], in[8192], out[8192];
	size_t	 r, n;
	int	 st = 0;
	FILE	*fp;

	if ((o = vm_status(argv[0])) == NULL)
		return 1;
	snprintf(p, sizeof(p), "%s/console.log", jstr(o, "dir"));
	json_decref(o);
	if ((fp = fopen(p, "r")) == NULL) {
		fprintf(stderr, "kubsd-vm: vm %s: no console log (%s)\n",
		    argv[0], strerror(errno));
		return 1;
	}
	while ((r = fread(in, 1, sizeof(in), fp)) > 0) {
		n = console_filter(in, r, out, &st);
		fwrite(out, 1, n, stdout);
	}
	fclose(fp);
	return 0;
}

static int
read_full(int fd, char *buf, size_t len)
{
	ssize_t	 r;
	size_t	 got = 0;

	while (got < len) {
		if ((r = read(fd, buf + got, len - got)) <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/*
 * exec: a command inside the VM as root, through its agent (no sshd
 * needed): its output, its code.
 */
static int
v_exec(struct ctl_args *a)
{
	char		**argv = a->argv;
	int		 argc = a->argc;
	char	 cmd[4096], hdr[64], buf[8192];
	size_t	 len = 0, n;
	int	 fd, code, i;

	if (argc < 2) {
		fprintf(stderr, "kubsd-vm: usage: exec vm command ...\n");
		return 1;
	}
	for (i = 1, cmd[0] = '\0'; i < argc; i++)
		len += (size_t)snprintf(cmd + len, len < sizeof(cmd) ?
		    sizeof(cmd) - len : 0, "%s%s", i > 1 ? " " : "", argv[i]);
	if (len >= sizeof(cmd) - 1 || strchr(cmd, '\n') != NULL) {
		fprintf(stderr, "kubsd-vm: exec: command too long or "
		    "has a newline\n");
		return 1;
	}
	if ((fd = vm_socket(argv[0], "exec")) == -1)
		return 1;
	cmd[len++] = '\n';
	for (i = 0; i < (int)sizeof(hdr) - 1; i++)
		if (i == 0 && write(fd, cmd, len) != (ssize_t)len)
			break;
		else if (read(fd, hdr + i, 1) != 1 || hdr[i] == '\n')
			break;
	hdr[i] = '\0';
	if (strcmp(hdr, VM_EXEC_RESTARTED) == 0) {
		fprintf(stderr, "kubsd-vm: vm %s: its agent restarted before "
		    "the command ended (the command may have ended it)\n",
		    argv[0]);
		return 1;
	}
	if (sscanf(hdr, "%zu %d", &len, &code) != 2) {
		fprintf(stderr, "kubsd-vm: vm %s: no answer from its agent\n",
		    argv[0]);
		return 1;
	}
	for (; len > 0; len -= n) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		if (read_full(fd, buf, n) == -1)
			return 1;
		fwrite(buf, 1, n, stdout);
	}
	close(fd);
	return code;
}

/*
 * stdin to fd, fd to stdout, until either ends.  The agent's refusal
 * in place of sshd's banner ends it: 2.
 */
static int
pipe_fd(int fd)
{
	struct pollfd	 pfd[2] = { { 0, POLLIN, 0 }, { fd, POLLIN, 0 } };
	char		 buf[16384];
	ssize_t		 r;
	size_t		 rl = strlen(VM_SSH_REFUSED);
	int		 first = 1, r0;
	time_t		 t0 = time(NULL);

	for (;;) {
		/* sshd speaks first: nothing for long, the channel is held */
		if ((r0 = poll(pfd, 2, first ? 1000 : -1)) == -1 &&
		    errno != EINTR)
			return 1;
		if (r0 == 0 && time(NULL) - t0 >= VM_SSH_ANSWER)
			return 3;
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			if ((r = read(fd, buf, sizeof(buf))) <= 0)
				return 0;
			if (first && (size_t)r >= rl &&
			    memcmp(buf, VM_SSH_REFUSED, rl) == 0)
				return 2;
			first = 0;
			if (write(1, buf, (size_t)r) != r)
				return 0;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			if ((r = read(0, buf, sizeof(buf))) <= 0)
				return 0;
			if (write(fd, buf, (size_t)r) != r)
				return 1;
		}
	}
}

static int
v_proxy(struct ctl_args *a)
{
	int	 fd, rv;

	if ((fd = vm_socket(a->argv[0], "ssh")) == -1)
		return 1;
	if (write(fd, VM_SSH_OPEN, strlen(VM_SSH_OPEN)) == -1) {
		close(fd);
		return 1;
	}
	if ((rv = pipe_fd(fd)) == 2)
		fprintf(stderr, "kubsd-vm: vm %s: no sshd answers in the "
		    "guest (127.0.0.1 port 22)\n", a->argv[0]);
	else if (rv == 3)
		fprintf(stderr, "kubsd-vm: vm %s: its ssh channel did not "
		    "answer in %d s (another host user's sessions hold it, "
		    "or its agent is stuck)\n", a->argv[0], VM_SSH_ANSWER);
	close(fd);
	return rv != 0;
}

/*
 * Where a host user other than root keeps its ssh master's socket:
 * $XDG_RUNTIME_DIR/kubsd, else /tmp/kubsd-UID (made 0700, or refused
 * if someone else's).
 */
static int
user_rundir(char *buf, size_t len)
{
	const char	*x = getenv("XDG_RUNTIME_DIR");
	struct stat	 st;

	if (x != NULL && x[0] == '/')
		snprintf(buf, len, "%s/kubsd", x);
	else
		snprintf(buf, len, "/tmp/kubsd-%lu", (unsigned long)getuid());
	if (mkdir(buf, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "kubsd-vm: %s: %s\n", buf, strerror(errno));
		return -1;
	}
	if (lstat(buf, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid() || (st.st_mode & 077) != 0) {
		fprintf(stderr, "kubsd-vm: %s: not a directory of yours alone\n",
		    buf);
		return -1;
	}
	return 0;
}

/*
 * ssh(1) to a VM's sshd through kubsd-vm proxy with this boot's key:
 * the command line up to the host; the caller adds the remote command.
 * Root uses the admin key and logs in as root (its sessions su to the
 * user); a member of group kubsd uses the user key and logs in as the
 * VM's user, and cannot be root there (c->asuser).  The VM has one
 * channel: a master connection that kubsd-vm run keeps (vmrun.c) at
 * ControlPath carries every session of that host user while it lives.
 */
int
vm_sshcmd(struct vm_sshcmd *c, const char *vm)
{
	json_t		*o;
	ssize_t		 n;
	char		 d[PATH_MAX];
	int		 k = 0;

	if ((o = vm_status(vm)) == NULL)
		return -1;
	c->asuser = getuid() != 0;
	if (!c->asuser) {
		snprintf(c->key, sizeof(c->key), "%s", jstr(o, "key"));
		snprintf(d, sizeof(d), "%.*s", (int)(strrchr(c->key, '/') !=
		    NULL ? strrchr(c->key, '/') - c->key : 1), c->key);
	} else
		snprintf(c->key, sizeof(c->key), "%s/user", jstr(o, "ssh_dir"));
	json_decref(o);
	if (c->asuser && user_rundir(d, sizeof(d)) == -1)
		return -1;
	snprintf(c->ctl, sizeof(c->ctl), "ControlPath=%s/%s%s", d,
	    c->asuser ? vm : "mux", c->asuser ? ".mux" : "");
	if ((n = readlink("/proc/self/exe", c->self, sizeof(c->self) - 1)) <= 0)
		snprintf(c->self, sizeof(c->self), "kubsd-vm");
	else
		c->self[n] = '\0';
	snprintf(c->proxy, sizeof(c->proxy), "ProxyCommand=%s -s %s proxy %s",
	    c->self, sockpath, vm);
	snprintf(c->host, sizeof(c->host), "%s@kubsd-%s",
	    c->asuser ? KUBSD_VM_USER : "root", vm);
	c->argv[k++] = "ssh";
	c->argv[k++] = "-i";
	c->argv[k++] = c->key;
	c->argv[k++] = "-o";
	c->argv[k++] = c->proxy;
	c->argv[k++] = "-o";
	c->argv[k++] = "IdentitiesOnly=yes";
	c->argv[k++] = "-o";
	c->argv[k++] = "StrictHostKeyChecking=no";
	c->argv[k++] = "-o";
	c->argv[k++] = "UserKnownHostsFile=/dev/null";
	c->argv[k++] = "-o";
	c->argv[k++] = "LogLevel=ERROR";
	c->argv[k++] = "-o";
	c->argv[k++] = c->ctl;
	c->argv[k++] = "-o";
	c->argv[k++] = "ControlMaster=no";
	c->argv[k++] = c->host;
	c->argv[k] = NULL;
	c->argc = k;
	return 0;
}

static int
v_ssh(struct ctl_args *a)
{
	struct vm_sshcmd	 c;
	int			 i;

	if (a->argc < 1 || a->argc > 16) {
		fprintf(stderr, "kubsd-vm: usage: ssh vm [command ...]\n");
		return 1;
	}
	if (vm_sshcmd(&c, a->argv[0]) == -1)
		return 1;
	for (i = 1; i < a->argc; i++)
		c.argv[c.argc++] = a->argv[i];
	c.argv[c.argc] = NULL;
	execvp("ssh", c.argv);
	fprintf(stderr, "kubsd-vm: ssh: %s\n", strerror(errno));
	return 1;
}

/* Offline: the recipe of a template block of the configuration file. */
static int
v_template_build(struct ctl_args *a)
{
	struct netd_config	*conf;
	int			 rv;

	if ((conf = parse_config(conffile)) == NULL)
		return 1;
	if (graph_build(conf) == -1) {
		config_free(conf);
		return 1;
	}
	rv = template_build(conf, a->argv[0]);
	if (rv == 0)
		menu_refresh(conf, conffile, sockpath);
	config_free(conf);
	return rv == 0 ? 0 : 1;
}

/* Run by a recipe: the template root's applications. */
static int
v_template_apps(struct ctl_args *a)
{
	return template_apps(a->argv[0], a->argv[1], stdout) == 0 ? 0 : 1;
}

static int
v_menu(struct ctl_args *a)
{
	return menu_cmd(a->cmd->type == CTL_L_MENU_REMOVE, a->argc, a->argv,
	    conffile, sockpath);
}

static int
v_help(struct ctl_args *a)
{
	(void)a;
	printf("kubsd-vm commands:\n");
	ctl_cmd_list(stdout, t_vm, 1);
	return 0;
}

static int
v_cp(struct ctl_args *a)
{
	return vm_cp(a, a->cmd->type == CTL_L_VM_MV);
}

/* What kubsd-vm does for each command of its tree (ctl_cmd.c t_vm). */
static const struct run {
	uint16_t	 type;
	int		(*fn)(struct ctl_args *);
} runs[] = {
	{ CTL_L_VM_CONSOLE,	v_console },
	{ CTL_L_VM_CP,		v_cp },
	{ CTL_L_VM_EXEC,	v_exec },
	{ CTL_L_VM_MV,		v_cp },
	{ CTL_L_HELP,		v_help },
	{ CTL_L_MENU_INSTALL,	v_menu },
	{ CTL_L_MENU_REMOVE,	v_menu },
	{ CTL_L_TEMPLATE_APPS,	v_template_apps },
	{ CTL_L_TEMPLATE_BUILD,	v_template_build },
	{ CTL_L_VM_LOG,		v_log },
	{ CTL_L_VM_PROXY,	v_proxy },
	{ CTL_L_VM_RUN,		vm_cmd_run },
	{ CTL_L_VM_SSH,		v_ssh },
	{ CTL_VM_KILL,		v_life },
	{ CTL_VM_START,		v_life },
	{ CTL_VM_STATUS,	v_status },
	{ CTL_VM_STOP,		v_life },
};

static void
usage(const struct ctl_cmd *tree)
{
	fprintf(stderr, "usage: kubsd-vm [-f file] [-s socket] command [argument ...]\n");
	ctl_cmd_list(stderr, tree, 0);
	exit(1);
}

int
main(int argc, char *argv[])
{
	const struct ctl_cmd	*c, *at;
	struct ctl_args		 a;
	size_t			 i;
	int			 ch, used;

	while ((ch = getopt(argc, argv, "+f:s:")) != -1) {
		switch (ch) {
		case 'f':
			conffile = optarg;
			break;
		case 's':
			sockpath = optarg;
			break;
		default:
			usage(t_vm);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(t_vm);
	if ((c = ctl_cmd_parse(t_vm, argc, argv, &used, &at)) == NULL) {
		if (used < argc)
			fprintf(stderr, "kubsd-vm: unknown command \"%s\"\n",
			    argv[used]);
		usage(at);
	}
	if (ctl_cmd_getopt(c, argc - used + 1, argv + used - 1, &a) == -1) {
		fprintf(stderr, "kubsd-vm: usage: %s %s\n", ctl_cmd_name(c),
		    c->usage);
		return 1;
	}
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		if (runs[i].type == c->type)
			return runs[i].fn(&a);
	return 1;
}
