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
 * kubsd-net leaktest, Linux: captures on the host's interfaces (in the
 * namespace kubsd-net runs in, kubsd-netd's), probes from a child that
 * entered the VM's compartment (the network namespace kubsd-VM) with
 * setns(2), or that has a QEMU VM's agent run them (leaktest_vm.c).
 * The child reports each probe's result over a pipe; the parent
 * captures until the child is done, and a little longer.
 */
#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "leaktest.h"
#include "link.h"

#define LT_GRACEMS	500	/* capturing on after the last probe */
#define LT_VMSLACKMS	15000	/* more time for probes from a VM */

/* An interface of this namespace: its IPv4 address (af 0: none), MAC. */
static int
lt_host_if(const char *name, struct sockaddr_storage *v4, uint8_t mac[6])
{
	struct ifaddrs	*ifa, *i;
	int		 found = 0;

	if (v4 != NULL)
		memset(v4, 0, sizeof(*v4));
	if (name == NULL || getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || strcmp(i->ifa_name, name) != 0)
			continue;
		if (i->ifa_addr->sa_family == AF_PACKET) {
			found = 1;
			if (mac != NULL)
				memcpy(mac, ((struct sockaddr_ll *)(void *)
				    i->ifa_addr)->sll_addr, 6);
		} else if (i->ifa_addr->sa_family == AF_INET && v4 != NULL &&
		    v4->ss_family == 0)
			memcpy(v4, i->ifa_addr, sizeof(struct sockaddr_in));
	}
	freeifaddrs(ifa);
	return found ? 0 : -1;
}

/* The IPv4 default route's next hop (via ifname, if not NULL). */
static int
lt_default_gw(const char *ifname, char *buf, size_t len)
{
	struct in_addr	 a;
	unsigned int	 dst, gw, flags, mask;
	char		 line[256], dev[IF_NAMESIZE + 1];
	FILE		*f;
	int		 rv = -1;

	if ((f = fopen("/proc/net/route", "re")) == NULL)
		return -1;
	while (rv == -1 && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%16s %x %x %x %*d %*d %*d %x", dev, &dst, &gw,
		    &flags, &mask) != 5 || dst != 0 || mask != 0 ||
		    !(flags & 0x2) || (ifname != NULL && strcmp(dev, ifname)))
			continue;
		a.s_addr = gw;		/* printed in network byte order */
		if (inet_ntop(AF_INET, &a, buf, (socklen_t)len) != NULL)
			rv = 0;
	}
	fclose(f);
	return rv;
}

static int
lt_has_compartment(const char *netns)
{
	return netns_exists(netns);
}

/* Into the network namespace of the control socket's peer, kubsd-netd. */
int
lt_enter_daemon(int ctlfd, char *msg, size_t len)
{
	struct ucred	 cr;
	struct stat	 self, its;
	socklen_t	 sl = sizeof(cr);
	char		 path[64];
	int		 fd, rv = 0;

	if (getsockopt(ctlfd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) == -1 ||
	    cr.pid <= 0) {
		snprintf(msg, len, "cannot tell kubsd-netd's pid");
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", (long)cr.pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &its) == -1 || stat("/proc/self/ns/net", &self) == -1) {
		snprintf(msg, len, "kubsd-netd (pid %ld): its network "
		    "namespace: %s", (long)cr.pid, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if ((its.st_dev != self.st_dev || its.st_ino != self.st_ino) &&
	    setns(fd, CLONE_NEWNET) == -1) {
		snprintf(msg, len, "kubsd-netd (pid %ld): cannot enter its "
		    "network namespace: %s", (long)cr.pid, strerror(errno));
		rv = -1;
	}
	close(fd);
	return rv;
}

const struct lt_host lt_host_linux = {
	lt_has_compartment, lt_host_if, lt_default_gw
};

int
lt_random(char *buf, size_t len)
{
	uint32_t	 r;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	snprintf(buf, len, "%08x", r);
	return 0;
}

/* The child: enter the compartment, send every probe, report. */
static __attribute__((noreturn)) void
prober(const struct leaktest *lt, int wfd)
{
	const struct lt_probe	*lp;
	struct probe		 p;
	enum probe_result	 r;
	char			 ifname[IF_NAMESIZE], e[300];
	int			 fd, saved, haveif;
	size_t			 i;

	if ((fd = netns_open(lt->netns)) == -1 ||
	    netns_enter(fd, &saved) == -1) {
		snprintf(e, sizeof(e), "%s: %s", lt->netns, strerror(errno));
		lt_report(wfd, UINT32_MAX, PROBE_ERROR, e);
		_exit(1);
	}
	haveif = probe_ifbymac(lt->vmmac, ifname, sizeof(ifname)) == 0;
	for (i = 0; i < lt->nprobes; i++) {
		lp = &lt->probes[i];
		if (lp->s.how == PROBE_HOW_FRAME && !haveif) {
			snprintf(e, sizeof(e), "no interface with the vm's "
			    "mac in %s", lt->netns);
			lt_report(wfd, (uint32_t)i, PROBE_ERROR, e);
			continue;
		}
		r = probe_send(&p, &lp->s, ifname, lt->waitms);
		lt_report(wfd, (uint32_t)i, r, r == PROBE_ERROR ? p.err : "");
	}
	_exit(0);
}

struct lt_capctx {
	struct leaktest	*lt;
	struct cap	*cap;
	int		 ifidx;
};

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct lt_capctx	*c = (struct lt_capctx *)user;
	struct cap_pkt		 pk;
	struct lt_probe		*p;
	char			 want[LT_NAMELEN + 32];
	size_t			 i, n;

	cap_decode(c->cap, h, bytes, &pk);
	if (pk.tag[0] == '\0')
		return;
	for (i = 0; i < c->lt->nprobes; i++) {
		p = &c->lt->probes[i];
		n = (size_t)snprintf(want, sizeof(want), "%s%s", CAP_TAGMARK,
		    p->s.tag);
		if (strncmp(pk.tag, want, n) == 0 &&
		    (pk.tag[n] == '\0' || pk.tag[n] == '.'))
			p->seen |= (uint32_t)1 << c->ifidx;
	}
}

static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
drain(struct lt_capctx *cc)
{
	while (cc->cap->p != NULL &&
	    pcap_dispatch(cc->cap->p, -1, on_packet, (u_char *)cc) > 0)
		;
}

/* Read the child's reports; 1 at EOF. */
static int
read_reports(struct leaktest *lt, int fd, char *msg, size_t len)
{
	struct lt_report	 r;
	ssize_t			 n;

	n = read(fd, &r, sizeof(r));
	if (n == -1 && errno == EINTR)
		return 0;
	if (n != (ssize_t)sizeof(r))
		return 1;
	if (r.idx == UINT32_MAX) {
		snprintf(msg, len, "%s", r.err);
		return 1;
	}
	if (r.idx < lt->nprobes) {
		lt->probes[r.idx].result = (enum probe_result)r.result;
		memcpy(lt->probes[r.idx].err, r.err, sizeof(r.err));
		lt->probes[r.idx].err[sizeof(r.err) - 1] = '\0';
	}
	return 0;
}

int
lt_run(struct leaktest *lt, char *msg, size_t len)
{
	struct cap		 caps[LT_MAXIF];
	struct lt_capctx	 cc[LT_MAXIF];
	struct pollfd		 pfd[LT_MAXIF + 1];
	char			 e[PCAP_ERRBUF_SIZE + 128];
	long			 deadline, stop = -1;
	size_t			 i;
	pid_t			 pid;
	int			 pp[2], r, rv = -1, status;

	msg[0] = '\0';
	memset(caps, 0, sizeof(caps));
	for (i = 0; i < lt->nifs; i++) {
		r = cap_open_live(&caps[i], lt->ifs[i].name, "ip or ip6", 0, e,
		    sizeof(e));
		if (r == CAP_EDOWN)
			lt->ifs[i].down = 1;
		else if (r != 0) {
			snprintf(msg, len, "%s", e);
			goto done;
		}
		cc[i].lt = lt;
		cc[i].cap = &caps[i];
		cc[i].ifidx = (int)i;
	}
	if (pipe2(pp, O_CLOEXEC) == -1) {
		snprintf(msg, len, "pipe: %s", strerror(errno));
		goto done;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		snprintf(msg, len, "fork: %s", strerror(errno));
		close(pp[0]);
		close(pp[1]);
		goto done;
	}
	if (pid == 0) {
		close(pp[0]);
		signal(SIGPIPE, SIG_IGN);
		if (lt->exec[0] != '\0')
			lt_vmprober(lt, pp[1]);
		prober(lt, pp[1]);
	}
	close(pp[1]);
	/* a VM under emulation starts its prober slowly */
	deadline = now_ms() + (long)(lt->nprobes + 4) * lt->waitms + 5000 +
	    (lt->exec[0] != '\0' ? LT_VMSLACKMS : 0);
	for (;;) {
		pfd[0].fd = stop == -1 ? pp[0] : -1;
		pfd[0].events = POLLIN;
		for (i = 0; i < lt->nifs; i++) {
			pfd[i + 1].fd = caps[i].p != NULL ? caps[i].fd : -1;
			pfd[i + 1].events = POLLIN;
		}
		if (stop != -1 && now_ms() >= stop)
			break;
		if (now_ms() >= deadline) {
			snprintf(msg, len, "probes from %s did not finish",
			    lt->exec[0] != '\0' ? lt->vm : lt->netns);
			kill(pid, SIGKILL);
			break;
		}
		if (poll(pfd, lt->nifs + 1, 100) == -1 && errno != EINTR) {
			snprintf(msg, len, "poll: %s", strerror(errno));
			kill(pid, SIGKILL);
			break;
		}
		for (i = 0; i < lt->nifs; i++)
			if (pfd[i + 1].revents != 0)
				drain(&cc[i]);
		if (stop == -1 && pfd[0].revents != 0 &&
		    read_reports(lt, pp[0], msg, len) == 1)
			stop = now_ms() + LT_GRACEMS;
	}
	for (i = 0; i < lt->nifs; i++)
		drain(&cc[i]);
	close(pp[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (msg[0] == '\0')
		rv = 0;
done:
	for (i = 0; i < lt->nifs; i++)
		cap_close(&caps[i]);
	return rv;
}
