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
 * Role wireguard: wireguard-go makes the tunnel interface (its UAPI
 * socket is GUEST_WG_RUNDIR/IFNAME.sock, global to the host), wg(8)
 * loads the bundle's wg.conf into it, then the tunnel gets its address
 * and the default route.  Readiness: the newest handshake, asked over
 * the UAPI socket.  In a gateway VM, the guest kernel's own WireGuard
 * instead (wgk_*, below).
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "link.h"
#include "log.h"

#define WG_START_MS	5000

void
wg_argv(const struct bundle *b, char **argv, size_t n)
{
	if (n < 4)
		return;
	argv[0] = "wireguard-go";
	argv[1] = "-f";
	argv[2] = (char *)b->tunnel.ifname;
	argv[3] = NULL;
}

static void
sock_path(const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.sock", GUEST_WG_RUNDIR, ifname);
}

/* wireguard-go's control socket for the interface. */
static int
wg_connect(const char *ifname)
{
	char	 path[128];

	sock_path(ifname, path, sizeof(path));
	return sock_connect(path);
}

/*
 * Before wireguard-go starts: the interface name is ours host-wide, so
 * a socket nobody answers on is a dead wireguard-go's, and an interface
 * of that name in this namespace a leftover one.
 */
void
wg_prepare(const struct bundle *b)
{
	char	 path[128];
	int	 fd;

	sock_path(b->tunnel.ifname, path, sizeof(path));
	if ((fd = wg_connect(b->tunnel.ifname)) != -1)
		close(fd);
	else if (unlink(path) == 0)
		log_debug("removed stale %s", path);
}

int
wg_setconf(const struct bundle *b, const char *dir, char *err, size_t len)
{
	char	 conf[4096], st[64];
	char	*argv[] = { "wg", "setconf", (char *)b->tunnel.ifname, conf,
		    NULL };
	int	 status;

	snprintf(conf, sizeof(conf), "%s/wg.conf", dir);
	if ((status = proc_run(argv)) == 0)
		return 0;
	if (status == -1)
		snprintf(err, len, "wg setconf: %s", strerror(errno));
	else {
		proc_describe(status, st, sizeof(st));
		snprintf(err, len, "wg setconf %s: %s", b->tunnel.ifname, st);
	}
	return -1;
}

int
wg_setup(const struct bundle *b, const char *dir, pid_t pid, char *err,
    size_t len)
{
	int	 fd = -1, ms;

	for (ms = 0; ms < WG_START_MS; ms += 50) {
		if ((fd = wg_connect(b->tunnel.ifname)) != -1 ||
		    proc_exited(pid))
			break;
		poll(NULL, 0, 50);
	}
	if (fd == -1) {
		snprintf(err, len, "wireguard-go %s: no control socket",
		    b->tunnel.ifname);
		return -1;
	}
	close(fd);
	if (wg_setconf(b, dir, err, len) == -1)
		return -1;
	return apply_tunnel(b, err, len);
}

long long
wg_last_handshake(const char *ifname)
{
	static const char req[] = "get=1\n\n";
	char		 buf[8192], *line, *save;
	size_t		 got = 0;
	ssize_t		 n;
	long long	 t, newest = 0;
	struct pollfd	 pfd;
	int		 fd;

	if ((fd = wg_connect(ifname)) == -1)
		return -1;
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		goto fail;
	/* The answer ends with an empty line (after errno=0). */
	while (got < sizeof(buf) - 1) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) != 1)
			goto fail;
		if ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\n\n") != NULL)
			break;
	}
	buf[got] = '\0';
	close(fd);
	if (strstr(buf, "errno=0\n") == NULL)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "last_handshake_time_sec=%lld", &t) == 1 &&
		    t > newest)
			newest = t;
	return newest;
 fail:
	close(fd);
	return -1;
}

/*
 * The kernel's WireGuard (kubsd-guest -k, in a gateway VM): no daemon;
 * the tunnel is a link of kind wireguard, configured by wg(8) over
 * generic netlink.  A leftover of an earlier kubsd-guest is made anew.
 */
int
wgk_up(const struct bundle *b, const char *dir, char *err, size_t len)
{
	struct link_ctx	*ctx;

	if ((ctx = link_open(NULL)) == NULL) {
		snprintf(err, len, "netlink: %s", strerror(errno));
		return -1;
	}
	if (link_delete_if_exists(ctx, b->tunnel.ifname) == -1 ||
	    link_wireguard_create(ctx, b->tunnel.ifname) == -1) {
		snprintf(err, len, "%s", link_error(ctx));
		link_close(ctx);
		return -1;
	}
	link_close(ctx);
	if (wg_setconf(b, dir, err, len) == -1 ||
	    apply_tunnel(b, err, len) == -1) {
		wgk_down(b);
		return -1;
	}
	return 0;
}

/* The tunnel gone, and with it every route through it. */
void
wgk_down(const struct bundle *b)
{
	struct link_ctx	*ctx;

	if ((ctx = link_open(NULL)) == NULL)
		return;
	if (link_delete_if_exists(ctx, b->tunnel.ifname) == -1)
		log_warnx("%s", link_error(ctx));
	link_close(ctx);
}

/* wg show IFNAME latest-handshakes: the newest, 0 none, -1 no answer. */
long long
wgk_last_handshake(const char *ifname)
{
	char		*argv[] = { "wg", "show", (char *)ifname,
			    "latest-handshakes", NULL };
	char		 buf[4096], key[128], *line, *save;
	size_t		 got = 0;
	ssize_t		 n;
	long long	 t, newest = 0;
	pid_t		 pid;
	int		 fd, status;

	if ((pid = proc_spawn(argv, &fd)) == -1)
		return -1;
	while (got < sizeof(buf) - 1 &&
	    (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%127s %lld", key, &t) == 2 && t > newest)
			newest = t;
	return newest;
}
