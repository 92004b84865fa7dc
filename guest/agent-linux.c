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
 * kubsd-guest agent: the in-VM agent of kubsd's QEMU VMs (netd/vm.h
 * lists the credentials and ports).  It reads its configuration from
 * systemd credentials: /run/credentials/@system (a Debian guest's
 * systemd imported them), else straight from SMBIOS type 11 strings
 * and fw_cfg (a minimal guest without systemd: its /init loads
 * qemu_fw_cfg and the virtio modules and mounts sysfs and devtmpfs
 * first).  It applies address, gateway, DNS, hostname and MTU, mounts
 * the private disk, then says "ready" on org.kubsd.agent.0 and serves:
 *	host -> agent	"hello"		say "ready ..." again
 *			"net ADDR/LEN GW DNS MTU" or "net none"
 *					a new place in the graph (attach)
 *			"poweroff"
 *	agent -> host	"ready ADDR", "state TEXT"
 * and on org.kubsd.exec.0 one command line at a time (kubsd-vm run):
 * it answers "LEN CODE\n" and LEN bytes of output.  What comes on
 * org.kubsd.ssh.0 goes to the guest's own sshd (agent_relay.c).
 */
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <unistd.h>

#include "kubsd.h"
#include "link.h"
#include "log.h"
#include "agentline.h"
#include "guest.h"

#define CRED_DIR	"/run/credentials/@system"
#define FWCFG_DIR	"/sys/firmware/qemu_fw_cfg/by_name/opt/io.systemd.credentials"
#define DMI_DIR		"/sys/firmware/dmi/entries"
#define CRED_PREFIX	"io.systemd.credential:"
#define EXEC_MAX	(1024 * 1024)
#define WAIT_TRIES	100	/* of 100 ms, for devices to appear */


static int
read_file(const char *path, char *buf, size_t len)
{
	ssize_t	 r;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	r = read(fd, buf, len - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* SMBIOS type 11: a header, then NUL-terminated strings. */
static int
dmi_cred(const char *name, char *buf, size_t len)
{
	char		 p[512], raw[4096], want[128];
	DIR		*d;
	struct dirent	*de;
	ssize_t		 r;
	size_t		 i, wl;
	int		 fd, found = -1;

	snprintf(want, sizeof(want), "%s%s=", CRED_PREFIX, name);
	wl = strlen(want);
	if ((d = opendir(DMI_DIR)) == NULL)
		return -1;
	while (found == -1 && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "11-", 3) != 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s/raw", DMI_DIR, de->d_name);
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		r = read(fd, raw, sizeof(raw) - 1);
		close(fd);
		if (r < 2)
			continue;
		raw[r] = '\0';
		for (i = (unsigned char)raw[1]; i < (size_t)r;
		    i += strlen(raw + i) + 1)
			if (strncmp(raw + i, want, wl) == 0) {
				snprintf(buf, len, "%s", raw + i + wl);
				found = 0;
				break;
			}
	}
	closedir(d);
	return found;
}

int
agent_cred(const char *name, char *buf, size_t len)
{
	char	 p[512];

	snprintf(p, sizeof(p), "%s/%s", CRED_DIR, name);
	if (read_file(p, buf, len) == 0)
		return 0;
	if (dmi_cred(name, buf, len) == 0)
		return 0;
	snprintf(p, sizeof(p), "%s/%s/raw", FWCFG_DIR, name);
	return read_file(p, buf, len);
}

/* The interface with MAC mac, once the driver made it. */
int
agent_find_if(const char *mac, char *ifname, size_t len)
{
	char		 p[512], a[64];
	DIR		*d;
	struct dirent	*de;
	int		 i, found = -1;

	for (i = 0; i < WAIT_TRIES && found == -1; i++) {
		if (i > 0)
			usleep(100000);
		if ((d = opendir("/sys/class/net")) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			snprintf(p, sizeof(p), "/sys/class/net/%s/address",
			    de->d_name);
			if (read_file(p, a, sizeof(a)) == 0 &&
			    strcasecmp(a, mac) == 0 &&
			    strlen(de->d_name) < len) {
				memcpy(ifname, de->d_name,
				    strlen(de->d_name) + 1);
				found = 0;
				break;
			}
		}
		closedir(d);
	}
	return found;
}

static int
run(const char *cmd)
{
	int	 st = system(cmd);

	return st == 0 ? 0 : -1;
}

/* Address, gateway, MTU, DNS: from "ADDR/LEN GW DNS MTU". */
static int
agent_addr(struct agent *ag, const char *addr, const char *gw,
    const char *dns, const char *mtu)
{
	char	 cmd[512];
	FILE	*fp;

	snprintf(cmd, sizeof(cmd), "ip link set %s mtu %s up && "
	    "ip addr flush dev %s && ip addr add %s dev %s && "
	    "ip route replace default via %s dev %s", ag->ifname, mtu,
	    ag->ifname, addr, ag->ifname, gw, ag->ifname);
	if (run(cmd) == -1) {
		log_warnx("agent: %s failed", cmd);
		return -1;
	}
	if ((fp = fopen("/etc/resolv.conf.kubsd", "w")) != NULL) {
		if (strcmp(dns, "none") != 0)
			fprintf(fp, "nameserver %s\n", dns);
		fclose(fp);
		rename("/etc/resolv.conf.kubsd", "/etc/resolv.conf");
	}
	snprintf(ag->addr, sizeof(ag->addr), "%s", addr);
	return 0;
}

static void
agent_net(struct agent *ag)
{
	char	 mac[64], addr[64], gw[64], dns[64], mtu[16];

	if (agent_cred("kubsd.mac", mac, sizeof(mac)) == -1 ||
	    agent_find_if(mac, ag->ifname, sizeof(ag->ifname)) == -1) {
		log_warnx("agent: no interface with the mac of kubsd.mac");
		return;
	}
	if (agent_cred("kubsd.mtu", mtu, sizeof(mtu)) == -1)
		snprintf(mtu, sizeof(mtu), "1500");
	if (agent_cred("kubsd.address", addr, sizeof(addr)) == -1 ||
	    agent_cred("kubsd.gateway", gw, sizeof(gw)) == -1) {
		snprintf(mac, sizeof(mac), "ip link set %s mtu %s up",
		    ag->ifname, mtu);
		run(mac);
		return;			/* offline: no address */
	}
	if (agent_cred("kubsd.dns", dns, sizeof(dns)) == -1)
		snprintf(dns, sizeof(dns), "none");
	agent_addr(ag, addr, gw, dns, mtu);
}

/* The disk whose serial is "private", at kubsd.private. */
static void
mount_private(void)
{
	char		 path[256], p[512], s[64], dev[300];
	DIR		*d;
	struct dirent	*de;
	int		 i;

	if (agent_cred("kubsd.private", path, sizeof(path)) == -1)
		return;
	for (i = 0, dev[0] = '\0'; i < WAIT_TRIES && dev[0] == '\0'; i++) {
		if (i > 0)
			usleep(100000);
		if ((d = opendir("/sys/block")) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			snprintf(p, sizeof(p), "/sys/block/%s/serial",
			    de->d_name);
			if (read_file(p, s, sizeof(s)) == 0 &&
			    strcmp(s, "private") == 0)
				snprintf(dev, sizeof(dev), "/dev/%s",
				    de->d_name);
		}
		closedir(d);
	}
	snprintf(p, sizeof(p), "mkdir -p '%s'", path);
	if (dev[0] == '\0' || run(p) == -1 ||
	    mount(dev, path, "ext4", 0, NULL) == -1)
		log_warn("agent: private disk %s at %s", dev, path);
}

/* mkdir -p, as root, 0755. */
static int
mkdirs(const char *path)
{
	char	 p[256], *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

/* Host folders: kubsd.share.N says "ro|rw PATH" for 9p tag kubsdN. */
static void
mount_shares(void)
{
	char		 name[32], v[256], tag[16];
	unsigned long	 fl;
	int		 i;

	for (i = 0; i < KUBSD_SHARES_MAX; i++) {
		snprintf(name, sizeof(name), "kubsd.share.%d", i);
		if (agent_cred(name, v, sizeof(v)) == -1)
			continue;
		if (strlen(v) < 4 || v[2] != ' ' || v[3] != '/') {
			log_warnx("agent: %s: bad value", name);
			continue;
		}
		fl = strncmp(v, "rw", 2) == 0 ? 0 : MS_RDONLY;
		snprintf(tag, sizeof(tag), "kubsd%d", i);
		if (mkdirs(v + 3) == -1 || mount(tag, v + 3, "9p",
		    fl | MS_NOSUID | MS_NODEV,
		    "trans=virtio,version=9p2000.L,msize=262144") == -1)
			log_warn("agent: share %s at %s", tag, v + 3);
	}
}

static void
set_hostname(void)
{
	char	 h[64];

	if (agent_cred("kubsd.hostname", h, sizeof(h)) == 0 &&
	    sethostname(h, strlen(h)) == -1)
		log_warn("agent: hostname %s", h);
}

/*
 * The key as the template's user (KUBSD_VM_USER) in its home, which a
 * private disk at /home may have just made empty: the home is made if
 * missing, and the rest is written as that user (never following a
 * link of the user's as root).
 */
static void
user_key(const char *key)
{
	struct passwd	*pw;
	char		 p[512], t[512];
	pid_t		 pid;
	FILE		*fp;

	if ((pw = getpwnam(KUBSD_VM_USER)) == NULL)
		return;
	if (mkdir(pw->pw_dir, 0755) == 0 &&
	    chown(pw->pw_dir, pw->pw_uid, pw->pw_gid) == -1)
		log_warn("agent: %s", pw->pw_dir);
	if ((pid = fork()) == -1 || pid > 0) {
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return;
	}
	if (setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)
		_exit(1);
	snprintf(p, sizeof(p), "%s/.ssh", pw->pw_dir);
	mkdir(p, 0700);
	snprintf(t, sizeof(t), "%s/.ssh/authorized_keys.kubsd", pw->pw_dir);
	snprintf(p, sizeof(p), "%s/.ssh/authorized_keys", pw->pw_dir);
	unlink(t);
	if ((fp = fopen(t, "wx")) == NULL)
		_exit(1);
	fchmod(fileno(fp), 0600);
	fprintf(fp, "%s\n", key);
	_exit(fclose(fp) == 0 && rename(t, p) == 0 ? 0 : 1);
}

/*
 * The per-boot admin key, where sshd looks: systemd writes root's on a
 * Debian guest; a guest without systemd gets it here.  The template's
 * user gets it too (kubsd-vm run as root on the host), and the boot's
 * user key (kubsd.ssh.user: kubsd-vm run as a member of group kubsd),
 * which root's does not list.
 */
static void
authorized_key(void)
{
	char	 key[1024], both[2100], ukey[1024];
	FILE	*fp;

	if (agent_cred("ssh.authorized_keys.root", key, sizeof(key)) == -1)
		return;
	if (agent_cred("kubsd.ssh.user", ukey, sizeof(ukey)) == 0)
		snprintf(both, sizeof(both), "%s\n%s", key, ukey);
	else
		snprintf(both, sizeof(both), "%s", key);
	user_key(both);
	mkdir("/root", 0700);
	mkdir("/root/.ssh", 0700);
	if ((fp = fopen("/root/.ssh/authorized_keys.kubsd", "w")) == NULL)
		return;
	fchmod(fileno(fp), 0600);
	fprintf(fp, "%s\n", key);
	if (fclose(fp) == 0)
		rename("/root/.ssh/authorized_keys.kubsd",
		    "/root/.ssh/authorized_keys");
}

/* The /dev node of the virtio-serial port named name. */
static int
port_open(const char *name)
{
	char		 p[512], n[128];
	DIR		*d;
	struct dirent	*de;
	int		 i, fd = -1;

	for (i = 0; i < WAIT_TRIES && fd == -1; i++) {
		if (i > 0)
			usleep(100000);
		if ((d = opendir("/sys/class/virtio-ports")) == NULL)
			continue;
		while (fd == -1 && (de = readdir(d)) != NULL) {
			snprintf(p, sizeof(p), "/sys/class/virtio-ports/%s/"
			    "name", de->d_name);
			if (read_file(p, n, sizeof(n)) == -1 ||
			    strcmp(n, name) != 0)
				continue;
			snprintf(p, sizeof(p), "/dev/%s", de->d_name);
			fd = open(p, O_RDWR | O_CLOEXEC | O_NONBLOCK);
		}
		closedir(d);
	}
	return fd;
}

/*
 * A line for the host, queued: the port refuses writes (EAGAIN) until
 * the guest's driver has seen the host connect, which may come after
 * the host's first line ("hello" of a restarted kubsd-netd): a reply
 * written at once could be lost, and an adopted VM never be ready.
 * agent_flush() sends what the port takes, every turn of the loop.
 */
void
agent_say(struct agent *ag, const char *fmt, const char *arg)
{
	char	 line[600];
	int	 n;

	n = snprintf(line, sizeof(line), fmt, arg);
	if (n <= 0 || (size_t)n >= sizeof(line) ||
	    ag->outlen + (size_t)n > sizeof(ag->out)) {
		log_warnx("agent: a line for the host dropped (%d bytes "
		    "waiting)", (int)ag->outlen);
		return;
	}
	memcpy(ag->out + ag->outlen, line, (size_t)n);
	ag->outlen += (size_t)n;
	agent_flush(ag);
}

void
agent_flush(struct agent *ag)
{
	ssize_t	 w;

	while (ag->outlen > 0 &&
	    (w = write(ag->port, ag->out, ag->outlen)) > 0) {
		memmove(ag->out, ag->out + w, ag->outlen - (size_t)w);
		ag->outlen -= (size_t)w;
	}
}

static void
on_line(struct agent *ag, char *line)
{
	char	*w[5];
	int	 n = 0;

	if (ag->gw && gw_line(ag, line))
		return;
	if (strcmp(line, "hello") == 0) {
		ag->outlen = 0;		/* for a kubsd-netd that is gone */
		agent_say(ag, "ready %s\n", ag->addr);
		if (ag->gw)
			gw_hello(ag);
	} else if (strcmp(line, "poweroff") == 0) {
		sync();
		reboot(RB_POWER_OFF);
	} else if (strncmp(line, "net ", 4) == 0 && !ag->gw) {
		for (line += 4; n < 5 && (w[n] = strsep(&line, " ")) != NULL;)
			n++;
		if (n == 1 && strcmp(w[0], "none") == 0) {
			snprintf(line = ag->addr, sizeof(ag->addr), "none");
			agent_say(ag, "state %s\n", "offline");
		} else if (n == 4 &&
		    agent_addr(ag, w[0], w[1], w[2], w[3]) == 0)
			agent_say(ag, "ready %s\n", ag->addr);
		else
			agent_say(ag, "state %s\n", "net failed");
	}
}

/* One command of kubsd-vm run: its output and exit code back. */
static void
on_exec(int fd, const char *cmd)
{
	char	*out = malloc(EXEC_MAX), hdr[64];
	size_t	 len = 0;
	ssize_t	 r;
	int	 p[2], st = 0, n;
	pid_t	 pid;

	if (out == NULL || pipe(p) == -1 || (pid = fork()) == -1) {
		free(out);
		return;
	}
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		/* else what the command leaves running holds the reply */
		if (p[1] > 2)
			close(p[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((r = read(p[0], out + len, EXEC_MAX - len)) > 0)
		len += (size_t)r;
	close(p[0]);
	waitpid(pid, &st, 0);
	n = snprintf(hdr, sizeof(hdr), "%zu %d\n", len, WIFEXITED(st) ?
	    WEXITSTATUS(st) : 128 + WTERMSIG(st));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (write(fd, hdr, (size_t)n) != n || (len > 0 &&
	    write(fd, out, len) != (ssize_t)len))
		log_debug("agent: exec reply cut short");
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	free(out);
}

/*
 * An agent started again this boot (the first left AGENT_UP): a
 * kubsd-vm exec still waiting for the killed one's reply is told so
 * rather than left waiting for good.  With no exec waiting the port
 * refuses the line (the host is not connected).
 */
static void
exec_restarted(int fd)
{
	int	 up;

	mkdir("/run/kubsd", 0755);
	if ((up = open(AGENT_UP, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) != -1) {
		close(up);
		return;
	}
	if (fd != -1 && write(fd, EXEC_RESTARTED, strlen(EXEC_RESTARTED)) ==
	    (ssize_t)strlen(EXEC_RESTARTED))
		log_info("agent: told a waiting kubsd-vm exec that the agent "
		    "restarted");
}

/* Lines from fd into buf; each complete one to cb. 0, or -1: hung up. */
static int
read_lines(int fd, char *buf, size_t *len, size_t cap,
    void (*cb)(void *, char *), void *arg)
{
	ssize_t	 r;

	r = read(fd, buf + *len, cap - 1 - *len);
	if (r <= 0)
		return r == 0 || errno != EAGAIN ? -1 : 0;
	*len = agent_lines(buf, *len + (size_t)r, cap, cb, arg);
	return 0;
}

static void
cb_agent(void *arg, char *line)
{
	on_line(arg, line);
}

static void
cb_exec(void *arg, char *line)
{
	struct agent	*ag = arg;

	on_exec(ag->exec, line);
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A port whose host side is not connected polls as hung up, at once
 * and every time: it is left out for a while, not waited on.
 */
static void
poll_set(struct pollfd *p, int fd, long long *quiet, long long now)
{
	p->fd = fd != -1 && now >= *quiet ? fd : -1;
	p->events = POLLIN;
	p->revents = 0;
}

static int
poll_ready(struct pollfd *p, long long *quiet, long long now)
{
	if ((p->revents & POLLHUP) && !(p->revents & POLLIN))
		*quiet = now + 200;
	return (p->revents & POLLIN) != 0;
}

static void __attribute__((noreturn))
serve(struct agent *ag)
{
	struct pollfd	 pfd[4];
	long long	 quiet[3] = { 0, 0, 0 }, now;
	char		 abuf[1024], ebuf[8192];
	size_t		 alen = 0, elen = 0;

	for (;;) {
		now = now_ms();
		poll_set(&pfd[0], ag->port, &quiet[0], now);
		poll_set(&pfd[1], ag->exec, &quiet[1], now);
		poll_set(&pfd[2], ag->ssh, &quiet[2], now);
		pfd[3].fd = ag->tcp;
		pfd[3].events = POLLIN;
		pfd[3].revents = 0;
		if (poll(pfd, 4, 100) == -1 && errno != EINTR)
			fatal("agent: poll");
		now = now_ms();
		if (poll_ready(&pfd[0], &quiet[0], now) && read_lines(ag->port,
		    abuf, &alen, sizeof(abuf), cb_agent, ag) == -1)
			alen = 0;
		if (poll_ready(&pfd[1], &quiet[1], now) && read_lines(ag->exec,
		    ebuf, &elen, sizeof(ebuf), cb_exec, ag) == -1)
			elen = 0;
		if (poll_ready(&pfd[2], &quiet[2], now))
			relay_from_host(ag);
		else if (pfd[2].revents & POLLHUP)
			relay_close(ag);
		if (pfd[3].revents & (POLLIN | POLLHUP))
			relay_from_sshd(ag);
		if (ag->gw)
			gw_poll(ag);
		agent_flush(ag);
	}
}

int
agent_main(int argc, char *argv[])
{
	struct agent	 ag;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: kubsd-guest agent\n");
		return 1;
	}
	log_init(1, 0);
	memset(&ag, 0, sizeof(ag));
	snprintf(ag.addr, sizeof(ag.addr), "none");
	set_hostname();
	if ((ag.gw = gw_mode()))
		gw_ports(&ag);		/* down: its bundle brings them up */
	else
		agent_net(&ag);
	mount_private();
	mount_shares();
	if ((ag.port = port_open(VM_AGENT_NAME)) == -1)
		fatalx("agent: no virtio-serial port %s", VM_AGENT_NAME);
	ag.exec = port_open(VM_EXEC_NAME);
	exec_restarted(ag.exec);
	ag.ssh = port_open(VM_SSH_NAME);
	ag.tcp = -1;
	authorized_key();
	agent_say(&ag, "ready %s\n", ag.addr);
	log_info("agent: ready (%s on %s)", ag.addr, ag.ifname);
	serve(&ag);
}
