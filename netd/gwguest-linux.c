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
 * The guests of compartment gateways: netd writes each gateway's role
 * bundle into STATEDIR/gateways/NAME, starts kubsd-guest inside the
 * gateway's namespace, and reads back its readiness.  A chain carries
 * client traffic only while every gateway on it says "ready"
 * (compile_vm() blocks the others), so nothing passes before Tor has
 * bootstrapped or the WireGuard handshake is done.
 *
 * Guests outlive netd on purpose: a restarting netd must not take the
 * gateways (and their firewalls) down with it.  They are found again
 * by their pid files.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <ftw.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "gwguest.h"
#include "kubsd.h"
#include "live.h"
#include "log.h"
#include "topology.h"
#include "vm.h"

/* Room for "/guest.pid" and the like after a bundle directory. */
#define DIRMAX	(PATH_MAX - 64)
#define GUEST_RESTART	5	/* seconds a guest stays dead before a restart */

static int
managed(const struct node *n)
{
	return n->kind == NODE_GATEWAY && n->driver == DRIVER_NETNS &&
	    n->up != NULL;
}

static void
bundle_dir(const struct netd_config *conf, const struct node *g, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s/" BUNDLE_SUBDIR "/%s", conf->statedir, g->name);
}

/* kubsd-guest next to our own executable, else from PATH. */
static void
guest_path(char *buf, size_t len)
{
	char	 self[DIRMAX], *slash;
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(buf, len, "%s/kubsd-guest", self);
			if (access(buf, X_OK) == 0)
				return;
		}
	}
	snprintf(buf, len, "kubsd-guest");
}

/*
 * Start kubsd-guest -d DIR in the gateway's namespace, detached (a
 * double fork: init reaps it, netd may exit before it).
 */
static int
guest_start(struct node_live *gl, const char *dir)
{
	const struct node *g = gl->node;
	char	 ns[KUBSD_IFNAMSIZ + 8], nspath[PATH_MAX], log[PATH_MAX];
	char	 prog[PATH_MAX];
	pid_t	 pid;
	int	 status, fd;

	compartment_netns(g->name, ns, sizeof(ns));
	snprintf(nspath, sizeof(nspath), "/var/run/netns/%s", ns);
	snprintf(log, sizeof(log), "%s/guest.log", dir);
	guest_path(prog, sizeof(prog));
	if ((pid = fork()) == -1) {
		log_warn("gateway %s: fork", g->name);
		return -1;
	}
	if (pid == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		if ((fd = open(nspath, O_RDONLY | O_CLOEXEC)) == -1 ||
		    setns(fd, CLONE_NEWNET) == -1)
			_exit(126);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) != -1) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, STDIN_FILENO);
		closefrom(3);
		execlp(prog, "kubsd-guest", "-d", dir, (char *)NULL);
		dprintf(STDERR_FILENO, "kubsd-netd: %s: %s\n", prog,
		    strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	gl->guest_started = (long long)time(NULL);
	log_info("gateway %s: started its guest", g->name);
	return 0;
}

void
gw_guests_sync(struct netd_live *lv)
{
	const struct netd_config *conf = lv->conf;
	const struct node	*g;
	struct node_live	*gl;
	char			 dir[DIRMAX], err[256], top[DIRMAX];
	pid_t			 pid;
	int			 changed;

	snprintf(top, sizeof(top), "%s/" BUNDLE_SUBDIR, conf->statedir);
	if (mkdir(top, 0700) == -1 && errno != EEXIST)
		log_warn("%s", top);
	TAILQ_FOREACH(g, &conf->nodes, entry) {
		if (g->kind != NODE_GATEWAY)
			continue;
		gl = live_node(lv, g);
		bundle_dir(conf, g, dir, sizeof(dir));
		if ((changed = bundle_write(conf, g, dir, err,
		    sizeof(err))) == -1) {
			/* Its chains stay blocked: never ready. */
			log_warnx("%s", err);
			snprintf(gl->last_error, sizeof(gl->last_error), "%s",
			    err);
			continue;
		}
		if (g->driver == DRIVER_QEMU)
			gwvm_sync(gl, changed);
		if (!managed(g)) {
			gl->relinked = 0;
			continue;
		}
		if ((pid = pidfile_running(dir)) == 0)
			guest_start(gl, dir);
		else {
			/*
			 * Adopted: from now on, ours to restart.  Its ports
			 * made anew lost the routes it had set: it applies
			 * its bundle again, as when that changed.
			 */
			gl->guest_started = (long long)time(NULL);
			if ((changed || gl->relinked) &&
			    kill(pid, SIGHUP) == -1)
				log_warn("gateway %s: guest %ld", g->name,
				    (long)pid);
		}
		gl->relinked = 0;
	}
}

/*
 * DIR/status: its first line into line, and whether the guest running
 * now (pid, start) wrote it (its second line, "pid PID START"): a
 * status left by a guest that died is no one's.
 */
static int
status_fresh(const char *dir, pid_t pid, char *line, size_t len)
{
	char			 path[PATH_MAX], who[128];
	long			 wpid;
	unsigned long long	 wstart;
	FILE			*fp;

	line[0] = who[0] = '\0';
	snprintf(path, sizeof(path), "%s/status", dir);
	if ((fp = fopen(path, "r")) != NULL) {
		if (fgets(line, (int)len, fp) == NULL ||
		    fgets(who, sizeof(who), fp) == NULL)
			who[0] = '\0';
		fclose(fp);
	}
	line[strcspn(line, "\n")] = '\0';
	return pid != 0 && sscanf(who, "pid %ld %llu", &wpid, &wstart) == 2 &&
	    wpid == (long)pid && wstart != 0 && wstart == proc_starttime(pid);
}

/*
 * The gateway's guest_status from DIR/status; 1 if the live guest says
 * ready, 0 if not, -1 if no guest runs (its last error shows, whole).
 */
static int
read_status(const struct netd_config *conf, struct node_live *gl)
{
	const struct node *g = gl->node;
	char	 dir[DIRMAX], line[sizeof(gl->guest_status)];
	pid_t	 pid;
	int	 fresh;

	if (g->driver == DRIVER_QEMU && g->up != NULL)
		return gwvm_status(gl);
	if (!managed(g)) {
		snprintf(gl->guest_status, sizeof(gl->guest_status), "%s",
		    g->driver == DRIVER_NETNS ? "offline" : "no vm");
		return 0;
	}
	bundle_dir(conf, g, dir, sizeof(dir));
	pid = pidfile_running(dir);
	fresh = status_fresh(dir, pid, line, sizeof(line));
	if (strncmp(line, "error ", 6) == 0)
		snprintf(gl->last_error, sizeof(gl->last_error), "%s", line + 6);
	if (pid == 0) {
		snprintf(gl->guest_status, sizeof(gl->guest_status),
		    "down no guest running%s%s",
		    strncmp(line, "error ", 6) == 0 ? "; its last " : "",
		    strncmp(line, "error ", 6) == 0 ? line : "");
		return -1;
	}
	if (!fresh)
		snprintf(gl->guest_status, sizeof(gl->guest_status),
		    "starting no status from guest %ld yet", (long)pid);
	else
		snprintf(gl->guest_status, sizeof(gl->guest_status), "%s",
		    line[0] ? line : "starting");
	return fresh && strcmp(line, "ready") == 0;
}

/* The uplink g's traffic leaves by, if its interface is down. */
static const struct node *
uplink_down(const struct netd_live *lv, const struct node *g)
{
	for (; g != NULL; g = g->up)
		if (g->kind == NODE_UPLINK && live_node(lv, g)->if_down)
			return g;
	return NULL;
}

/*
 * Guests are double-forked so that they outlive netd, which leaves the
 * processes that exit on their way (the guest's daemon(3) parent, a
 * guest that stops) to init, and a minimal init (a container's) never
 * reaps them.  As a subreaper netd gets them, and reaps them at each
 * poll; after netd, init has them again.
 */
void
gw_guests_reaper(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("PR_SET_CHILD_SUBREAPER");
}

static void
reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int
gw_guests_poll(struct netd_live *lv)
{
	const struct netd_config *conf = lv->conf;
	const struct node	*u, *g;
	struct node_live	*gl;
	int			 changed = 0, down, st;

	reap();
	TAILQ_FOREACH(g, &conf->nodes, entry) {
		if (g->kind != NODE_GATEWAY)
			continue;
		gl = live_node(lv, g);
		st = read_status(conf, gl);
		u = uplink_down(lv, g);
		down = st != 1 || u != NULL;
		/* A guest that died is started again after a pause. */
		if (!managed(g) || gl->guest_started == 0 || st != -1)
			gl->guest_dead = 0;
		else if (gl->guest_dead == 0)
			gl->guest_dead = (long long)time(NULL);
		else if (time(NULL) - gl->guest_dead >= GUEST_RESTART) {
			char	 dir[DIRMAX];

			bundle_dir(conf, g, dir, sizeof(dir));
			guest_start(gl, dir);
			gl->guest_dead = 0;
		}
		if (down != gl->unready) {
			log_info("gateway %s: %s%s%s%s", g->name,
			    gl->guest_status, u != NULL ? "; uplink " : "",
			    u != NULL ? u->ifname : "",
			    u != NULL ? " is down" : "");
			gl->unready = down;
			changed = 1;
		}
	}
	return changed;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) == -1)
		log_warn("%s", path);
	return 0;
}

#define GUEST_STOP_MS	6000	/* its daemon gets 3 s (kubsd-guest(8)) */

/*
 * Stop the guest of bundle directory dir, and wait until it is gone:
 * its daemon (tor writes its state file on the way out) must not write
 * into a directory that is being removed.
 */
static void
guest_stop(const char *name, const char *dir)
{
	struct timespec	 ts = { 0, 50 * 1000 * 1000 };
	pid_t		 pid;
	int		 ms;

	if ((pid = pidfile_running(dir)) == 0)
		return;
	kill(pid, SIGTERM);
	for (ms = 0; ms < GUEST_STOP_MS && pidfile_running(dir) == pid;
	    ms += 50)
		nanosleep(&ts, NULL);
	if (pidfile_running(dir) == pid) {
		log_warnx("gateway %s: guest %ld did not stop; killed", name,
		    (long)pid);
		kill(pid, SIGKILL);
	}
	/* ours (gw_guests_reaper()): reaped now, not left to init */
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	log_info("gateway %s: stopped its guest", name);
}

/* A gateway the configuration drops: its guest stopped, its bundle gone. */
void
gw_guest_remove(const struct netd_config *conf, const struct node *g)
{
	char	 dir[DIRMAX], err[256];

	if (g->driver == DRIVER_QEMU && vm_find(g->name) != NULL &&
	    vm_kill(g->name, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	bundle_dir(conf, g, dir, sizeof(dir));
	guest_stop(g->name, dir);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/*
 * Stop the guests of gateways the configuration no longer has (all of
 * them with all set: teardown) and remove their bundles.
 */
void
gw_guests_prune(const struct netd_config *conf, int all)
{
	const struct node	*g;
	struct dirent		*de;
	DIR			*d;
	char			 top[DIRMAX - 256], dir[DIRMAX];

	snprintf(top, sizeof(top), "%s/" BUNDLE_SUBDIR, conf->statedir);
	if ((d = opendir(top)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (!all && (g = node_find(conf, de->d_name)) != NULL &&
		    g->kind == NODE_GATEWAY)
			continue;
		snprintf(dir, sizeof(dir), "%s/%.255s", top, de->d_name);
		guest_stop(de->d_name, dir);
		nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	}
	closedir(d);
	if (all)
		rmdir(top);
}
