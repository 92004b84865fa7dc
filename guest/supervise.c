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
 * Supervision of the role's daemon: start it, read its output (tor's
 * bootstrap progress), poll wireguard-go's handshakes, notice its end,
 * start it again after the delay.  The status says what it is doing.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "guest.h"
#include "link.h"
#include "log.h"

struct guest	 gst = { .outfd = -1, .restart = GUEST_RESTART };

static int	 tunnel_up(const char *);
static void	 kernel_gone(void);

/* FNV-1a of a file's contents; 0 if unreadable. */
static uint32_t
file_hash(const char *dir, const char *name)
{
	char	 path[PATH_MAX + 32];
	FILE	*fp;
	uint32_t h = 2166136261u;
	int	 c;

	if (name == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while ((c = getc(fp)) != EOF) {
		h ^= (uint8_t)c;
		h *= 16777619u;
	}
	fclose(fp);
	return h;
}

/* What is left of the daemon's output, a line at a time. */
static void
out_lines(int eof)
{
	char	*nl, *line = gst.obuf;
	int	 n;

	while ((nl = memchr(line, '\n', gst.olen - (size_t)(line - gst.obuf)))
	    != NULL || (eof && line < gst.obuf + gst.olen)) {
		if (nl != NULL)
			*nl = '\0';
		else
			gst.obuf[gst.olen] = '\0';
		if (*line != '\0')
			log_info("%s: %s", gst.daemon, line);
		if (gst.b->role == ROLE_TOR && gst.pid != 0 &&
		    (n = tor_bootstrap(line)) != -1) {
			gst.progress = n;
			daemon_report();
		}
		line = nl != NULL ? nl + 1 : gst.obuf + gst.olen;
	}
	gst.olen -= (size_t)(line - gst.obuf);
	memmove(gst.obuf, line, gst.olen);
	if (gst.olen == sizeof(gst.obuf) - 1) {	/* a line too long */
		gst.obuf[gst.olen] = '\0';
		log_info("%s: %s", gst.daemon, gst.obuf);
		gst.olen = 0;
	}
}

static void
out_close(void)
{
	if (gst.out_ev != NULL) {
		event_free(gst.out_ev);
		gst.out_ev = NULL;
	}
	if (gst.outfd != -1) {
		close(gst.outfd);
		gst.outfd = -1;
	}
	gst.olen = 0;
}

/* Read what there is; 0 at EOF or error. */
static int
out_read(void)
{
	ssize_t	 n;

	for (;;) {
		n = read(gst.outfd, gst.obuf + gst.olen, sizeof(gst.obuf) - 1 - gst.olen);
		if (n > 0) {
			gst.olen += (size_t)n;
			out_lines(0);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 1;
		out_lines(1);
		return 0;
	}
}

static void
on_output(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (!out_read())
		out_close();
}

static void
on_poll(evutil_socket_t fd, short ev, void *arg)
{
	long long	 t;

	(void)fd;
	(void)ev;
	(void)arg;
	if (!daemon_running() || gst.b->role != ROLE_WIREGUARD || gst.broken)
		return;
	if (gst.kup && !tunnel_up(gst.b->tunnel.ifname)) {
		kernel_gone();
		return;
	}
	t = gst.kernel_wg ? wgk_last_handshake(gst.b->tunnel.ifname) :
	    wg_last_handshake(gst.b->tunnel.ifname);
	if (t > 0 && (long long)time(NULL) - t <= GUEST_WG_FRESH)
		status_write(gst.dir, "ready");
	else if (t > 0)
		status_write(gst.dir, "starting handshake older than %d s",
		    GUEST_WG_FRESH);
	else if (t == 0)
		status_write(gst.dir, "starting waiting for handshake");
	else
		status_write(gst.dir, "starting no answer from %s", gst.daemon);
}

static void
schedule_restart(void)
{
	struct timeval	 tv = { gst.restart, 0 };

	if (!gst.stopping)
		evtimer_add(gst.restart_ev, &tv);
}

/* The daemon is gone (reaped): status, and it comes back later. */
void
daemon_gone(int status)
{
	char	 how[64], err[ERRLEN];

	gst.pid = 0;
	if (gst.outfd != -1)
		out_read();
	out_close();
	evtimer_del(gst.poll_ev);
	if (gst.b->role == ROLE_WIREGUARD &&
	    link_route_flush_default(AF_INET, gst.b->tunnel.ifname, err,
	    sizeof(err)) == -1)
		log_warnx("%s", err);
	if (gst.stopping)
		return;
	proc_describe(status, how, sizeof(how));
	log_warnx("%s %s; restart in %d s", gst.daemon, how, gst.restart);
	status_write(gst.dir, "down %s %s", gst.daemon, how);
	schedule_restart();
}

/* Does the interface exist, and is it up? */
static int
tunnel_up(const char *ifname)
{
	struct ifreq	 ifr;
	int		 s, up;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return 1;	/* cannot tell: the handshake will */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	up = ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
	close(s);
	return up;
}

/*
 * The kernel's tunnel was deleted or set down under us (ip link del,
 * ip link set down): as a wireguard-go that ended, down, then made anew
 * after the delay.
 */
static void
kernel_gone(void)
{
	gst.kup = 0;
	evtimer_del(gst.poll_ev);
	log_warnx("kernel wireguard %s is gone or down; restart in %d s",
	    gst.b->tunnel.ifname, gst.restart);
	status_write(gst.dir, "down wireguard %s is gone or down",
	    gst.b->tunnel.ifname);
	schedule_restart();
}

/* The kernel's WireGuard: up, then watched as wireguard-go would be. */
static void
kernel_start(void)
{
	struct timeval	 sec = { 1, 0 };
	char		 err[ERRLEN];

	gst.daemon = "wireguard";
	gst.conf_hash = file_hash(gst.dir, bundle_daemon_file(gst.b));
	if (wgk_up(gst.b, gst.dir, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		status_write(gst.dir, "error %s", err);
		schedule_restart();
		return;
	}
	gst.kup = 1;
	log_info("kernel wireguard %s up", gst.b->tunnel.ifname);
	status_write(gst.dir, "starting %s", gst.daemon);
	evtimer_add(gst.poll_ev, &sec);
	daemon_report();
}

void
daemon_start(void)
{
	struct timeval	 sec = { 1, 0 };
	char		*argv[16], buf[3 * PATH_MAX + 64], err[ERRLEN];
	int		 fd;

	if (gst.b->role == ROLE_SYSNET) {
		daemon_report();
		return;
	}
	if (gst.b->role == ROLE_WIREGUARD && gst.kernel_wg) {
		kernel_start();
		return;
	}
	if (gst.b->role == ROLE_TOR) {
		gst.daemon = "tor";
		if (tor_prepare(gst.dir, err, sizeof(err)) == -1 ||
		    tor_argv(gst.b, gst.dir, argv, 16, buf, sizeof(buf)) == -1)
			goto fail;
	} else {
		gst.daemon = "wireguard-go";
		wg_argv(gst.b, argv, 16);
	}
	/* argv[2]: the torrc, or the tunnel (unique host-wide) */
	proc_stop_stale(argv[0], argv[2]);
	if (gst.b->role == ROLE_WIREGUARD)
		wg_prepare(gst.b);
	gst.conf_hash = file_hash(gst.dir, bundle_daemon_file(gst.b));
	gst.progress = -1;
	if ((gst.pid = proc_spawn(argv, &fd)) == -1) {
		gst.pid = 0;
		snprintf(err, sizeof(err), "%s: %s", gst.daemon, strerror(errno));
		goto fail;
	}
	log_info("started %s, pid %ld", gst.daemon, (long)gst.pid);
	gst.outfd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	gst.out_ev = event_new(gst.base, fd, EV_READ | EV_PERSIST, on_output,
	    NULL);
	if (gst.out_ev == NULL || event_add(gst.out_ev, NULL) == -1)
		fatalx("output event");
	status_write(gst.dir, "starting %s", gst.daemon);
	if (gst.b->role == ROLE_WIREGUARD) {
		if (wg_setup(gst.b, gst.dir, gst.pid, err, sizeof(err)) == -1) {
			/* Whatever it was, it goes down and restarts. */
			log_warnx("%s", err);
			proc_stop(gst.pid, 2000);
			daemon_gone(0);
			status_write(gst.dir, "error %s", err);
			return;
		}
		evtimer_add(gst.poll_ev, &sec);
		daemon_report();
	}
	return;
 fail:
	log_warnx("%s", err);
	status_write(gst.dir, "error %s", err);
	schedule_restart();
}

void
daemon_stop(void)
{
	int	 stopping = gst.stopping;

	evtimer_del(gst.restart_ev);
	if (gst.kup) {
		evtimer_del(gst.poll_ev);
		wgk_down(gst.b);
		gst.kup = 0;
		return;
	}
	if (gst.pid == 0)
		return;
	gst.stopping = 1;
	proc_stop(gst.pid, 3000);
	daemon_gone(0);
	gst.stopping = stopping;
}

static void
on_restart(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (gst.pid == 0 && !gst.stopping)
		daemon_start();
}

/*
 * The status from what is known of the daemon, unless a bundle that
 * did not apply holds it at "error" (the gateway is then not ready).
 */
void
daemon_report(void)
{
	if (gst.broken)
		return;
	if (gst.b->role == ROLE_SYSNET)
		status_write(gst.dir, "ready");
	else if (!daemon_running())
		return;		/* down, or an error: a restart is due */
	else if (gst.b->role == ROLE_WIREGUARD)
		on_poll(-1, 0, NULL);
	else if (gst.progress == 100)
		status_write(gst.dir, "ready");
	else if (gst.progress >= 0)
		status_write(gst.dir, "starting bootstrapped %d%%",
		    gst.progress);
	else
		status_write(gst.dir, "starting %s", gst.daemon);
}

int
daemon_running(void)
{
	return gst.pid != 0 || gst.kup;
}

/* Did the daemon's file change since it started? */
int
daemon_conf_changed(const struct bundle *nb)
{
	return file_hash(gst.dir, bundle_daemon_file(nb)) != gst.conf_hash;
}

void
supervise_init(void)
{
	gst.restart_ev = evtimer_new(gst.base, on_restart, NULL);
	gst.poll_ev = event_new(gst.base, -1, EV_PERSIST, on_poll, NULL);
	if (gst.restart_ev == NULL || gst.poll_ev == NULL)
		fatalx("timer events");
}

void
supervise_free(void)
{
	out_close();
	event_free(gst.restart_ev);
	event_free(gst.poll_ev);
}
