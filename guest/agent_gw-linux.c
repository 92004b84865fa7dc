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
 * The agent of a gateway VM (credential kubsd.role "gateway"): it names
 * the two ports by their MACs (kubsd.mac: eth0, upstream; kubsd.mac.down:
 * eth1, the gateway's own segment), leaves them down, takes the role
 * bundle kubsd-netd sends over org.kubsd.agent.0 (netd/agentline.c has
 * the lines; its keys come as credentials) into GW_DIR, runs
 * "kubsd-guest -d GW_DIR" on it (SIGHUP when a new one comes), and
 * sends back every new status line of that
 * kubsd-guest as "status LINE".  kubsd-guest loads the firewall before
 * it brings an interface up, and keeps the running configuration when
 * it refuses a bundle ("status error FILE:LINE: ...").
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agentline.h"
#include "guest.h"
#include "log.h"

#define GW_TOP		"/run/kubsd"
#define GW_DIR		GW_TOP "/gw"
#define GW_NEW		GW_TOP "/gw.new"
#define GW_UP_IF	"eth0"		/* pf/gwfw.h GUEST_UP_IF */
#define GW_DOWN_IF	"eth1"		/* GUEST_DOWN_IF */
#define GW_RESTART	2		/* seconds before kubsd-guest again */

/* 1: this VM is a gateway. */
int
gw_mode(void)
{
	char	 role[32];

	return agent_cred("kubsd.role", role, sizeof(role)) == 0 &&
	    strcmp(role, "gateway") == 0;
}

static int
rename_if(const char *from, const char *to)
{
	char	 cmd[128];

	if (strcmp(from, to) == 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "ip link set dev %s name %s", from, to);
	return system(cmd) == 0 ? 0 : -1;
}

/*
 * A kubsd-guest an earlier agent started (that agent was killed, init
 * started this one) is stopped: this agent starts its own on the bundle
 * netd sends again.  Its firewall stays meanwhile.
 */
static void
stale_guest(void)
{
	pid_t	 pid;
	int	 i;

	if ((pid = pidfile_running(GW_DIR)) == 0)
		return;
	log_info("agent: stopping the kubsd-guest of an earlier agent "
	    "(pid %ld)", (long)pid);
	kill(pid, SIGTERM);
	for (i = 0; i < 100 && pidfile_running(GW_DIR) == pid; i++)
		usleep(100000);
	if (pidfile_running(GW_DIR) == pid)
		kill(pid, SIGKILL);
}

/* The ports by MAC: through names of their own, so no two collide. */
void
gw_ports(struct agent *ag)
{
	char	 mac[64], down[64], up_if[16], down_if[16];

	if (agent_cred("kubsd.mac", mac, sizeof(mac)) == -1 ||
	    agent_cred("kubsd.mac.down", down, sizeof(down)) == -1 ||
	    agent_find_if(mac, up_if, sizeof(up_if)) == -1 ||
	    agent_find_if(down, down_if, sizeof(down_if)) == -1) {
		log_warnx("agent: no ports with the macs of kubsd.mac and "
		    "kubsd.mac.down");
		return;
	}
	if ((strcmp(up_if, GW_UP_IF) != 0 || strcmp(down_if, GW_DOWN_IF) != 0) &&
	    (rename_if(up_if, "kubsdup") == -1 ||
	    rename_if(down_if, "kubsddown") == -1 ||
	    rename_if("kubsdup", GW_UP_IF) == -1 ||
	    rename_if("kubsddown", GW_DOWN_IF) == -1))
		log_warnx("agent: cannot name the ports %s and %s", GW_UP_IF,
		    GW_DOWN_IF);
	snprintf(ag->ifname, sizeof(ag->ifname), "%s", GW_UP_IF);
	stale_guest();
}

static void
empty_dir(const char *dir)
{
	char		 p[512];
	DIR		*d;
	struct dirent	*de;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
}

static void
file_begin(struct agent *ag, const struct frame *f)
{
	char	 p[256];
	int	 fd;

	if (ag->gwfile != NULL)
		fclose(ag->gwfile);
	ag->gwfile = NULL;
	snprintf(p, sizeof(p), GW_NEW "/%s", f->name);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    f->mode & 0600)) == -1 || (ag->gwfile = fdopen(fd, "w")) == NULL) {
		log_warn("agent: %s", p);
		ag->gwbad = 1;
		if (fd != -1)
			close(fd);
		return;
	}
	fchmod(fd, f->mode);
}

/* Do files a and b hold the same bytes? */
static int
same_file(const char *a, const char *b)
{
	FILE	*fa, *fb;
	int	 ca, cb, same = 0;

	if ((fa = fopen(a, "r")) == NULL)
		return 0;
	if ((fb = fopen(b, "r")) != NULL) {
		do {
			ca = getc(fa);
			cb = getc(fb);
		} while (ca == cb && ca != EOF);
		same = ca == cb;
		fclose(fb);
	}
	fclose(fa);
	return same;
}

/*
 * The files staged in GW_NEW replace those in GW_DIR, one by one.  The
 * same bundle again (netd sends it at every "ready" of the agent) is
 * not reloaded.
 */
static void
bundle_commit(struct agent *ag)
{
	char		 from[512], to[512];
	DIR		*d;
	struct dirent	*de;
	int		 changed = 0;

	if (ag->gwfile != NULL && fclose(ag->gwfile) == EOF)
		ag->gwbad = 1;
	ag->gwfile = NULL;
	if (ag->gwbad || (d = opendir(GW_NEW)) == NULL) {
		log_warnx("agent: a bundle cut short: not taken");
		return;
	}
	mkdir(GW_DIR, 0700);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), GW_NEW "/%s", de->d_name);
		snprintf(to, sizeof(to), GW_DIR "/%s", de->d_name);
		if (same_file(from, to))
			unlink(from);
		else if (rename(from, to) == -1)
			log_warn("agent: %s", to);
		else
			changed = 1;
	}
	closedir(d);
	ag->gwhave = 1;
	if (ag->gwpid > 0 && changed) {
		log_info("agent: a new bundle: reloading kubsd-guest");
		kill(ag->gwpid, SIGHUP);
	} else
		ag->gwnext = 0;		/* started at the next poll */
}

/*
 * A line of a file; "KW = <credential NAME>" (a key of wg.conf) gets
 * the credential kubsd-netd gave the VM (a fw_cfg file, never on a
 * command line or the channel).
 */
static void
file_data(struct agent *ag, const char *data)
{
	char	 kw[32], name[64], key[128];

	if (ag->gwfile == NULL)
		return;
	if (!frame_cred(data, kw, sizeof(kw), name, sizeof(name))) {
		fprintf(ag->gwfile, "%s\n", data);
		return;
	}
	if (agent_cred(name, key, sizeof(key)) == -1) {
		log_warnx("agent: no credential %s", name);
		ag->gwbad = 1;
		return;
	}
	fprintf(ag->gwfile, "%s = %s\n", kw, key + strspn(key, " \t"));
	explicit_bzero(key, sizeof(key));
}

/* A line of the bundle protocol (netd/agentline.c); 0: not one. */
int
gw_line(struct agent *ag, const char *line)
{
	struct frame	 f;

	frame_line(line, &f);
	switch (f.kind) {
	case FR_BEGIN:
		mkdir(GW_TOP, 0755);
		mkdir(GW_NEW, 0700);
		empty_dir(GW_NEW);
		ag->gwbad = 0;
		if (ag->gwfile != NULL)
			fclose(ag->gwfile);
		ag->gwfile = NULL;
		break;
	case FR_FILE:
		file_begin(ag, &f);
		break;
	case FR_BAD:
		log_warnx("agent: bad bundle file line: %s", line);
		ag->gwbad = 1;
		break;
	case FR_DATA:
		file_data(ag, f.data);
		break;
	case FR_END:
		bundle_commit(ag);
		break;
	default:
		return 0;
	}
	return 1;
}

static void
guest_start(struct agent *ag)
{
	char	 p[64];
	pid_t	 pid;

	snprintf(p, sizeof(p), GW_DIR "/status");
	unlink(p);		/* a dead kubsd-guest's is no one's */
	if ((pid = fork()) == -1) {
		log_warn("agent: fork");
		return;
	}
	if (pid == 0) {
		execl("/proc/self/exe", "kubsd-guest", "-d", "-k", GW_DIR,
		    (char *)NULL);
		_exit(127);
	}
	ag->gwpid = pid;
	log_info("agent: started kubsd-guest (pid %ld)", (long)pid);
}

static long long
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

/* The status to report: kubsd-guest's line, or why there is none. */
static void
status_now(const struct agent *ag, char *buf, size_t len)
{
	char	 line[512] = "";
	FILE	*fp;

	if ((fp = fopen(GW_DIR "/status", "r")) != NULL) {
		if (fgets(line, sizeof(line), fp) == NULL)
			line[0] = '\0';
		fclose(fp);
	}
	line[strcspn(line, "\n")] = '\0';
	if (!ag->gwhave)
		snprintf(buf, len, "starting waiting for the bundle");
	else if (ag->gwpid <= 0)
		snprintf(buf, len, "down kubsd-guest is not running%s%s",
		    strncmp(line, "error ", 6) == 0 ? "; its last " : "",
		    strncmp(line, "error ", 6) == 0 ? line : "");
	else
		snprintf(buf, len, "%s", line[0] != '\0' ? line : "starting");
}

/* Every turn of the agent's loop: kubsd-guest watched, news sent. */
void
gw_poll(struct agent *ag)
{
	char	 st[sizeof(ag->gwsent)];
	int	 status;

	if (ag->gwpid > 0 && waitpid(ag->gwpid, &status, WNOHANG) ==
	    ag->gwpid) {
		log_warnx("agent: kubsd-guest (pid %ld) ended", (long)ag->gwpid);
		ag->gwpid = 0;
		ag->gwnext = now_s() + GW_RESTART;
	}
	if (ag->gwhave && ag->gwpid <= 0 && now_s() >= ag->gwnext)
		guest_start(ag);
	status_now(ag, st, sizeof(st));
	if (strcmp(st, ag->gwsent) == 0)
		return;
	agent_say(ag, "status %s\n", st);
	snprintf(ag->gwsent, sizeof(ag->gwsent), "%s", st);
}

/* The host asked again (netd started anew): the status goes again. */
void
gw_hello(struct agent *ag)
{
	ag->gwsent[0] = '\0';
}
