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
 * The agent's ssh channel: what kubsd-vm ssh sends on the virtio-serial
 * port org.kubsd.ssh.0 goes to the guest's own sshd on 127.0.0.1:22
 * and back, one session at a time.  A port has no connections: the
 * host begins each session with RELAY_OPEN (kubsd-vm proxy), which
 * closes the one before and opens one to sshd; the host hanging up
 * closes it too.  When sshd does not answer, RELAY_REFUSED goes back
 * in place of its banner: kubsd-vm proxy ends, and ssh with it.  Never
 * the VM's network: the host is not on it.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "log.h"

#define SSHD_PORT	22

void
relay_close(struct agent *ag)
{
	if (ag->tcp != -1)
		close(ag->tcp);
	ag->tcp = -1;
}

static int
sshd_connect(void)
{
	struct sockaddr_in	 sin;
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(SSHD_PORT);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		log_warn("agent: ssh: 127.0.0.1:%d", SSHD_PORT);
		close(fd);
		return -1;
	}
	return fd;
}

/* All of buf to fd, waiting when it is full (a non-blocking port). */
static int
write_all(int fd, const char *buf, size_t len)
{
	struct pollfd	 p = { fd, POLLOUT, 0 };
	ssize_t		 w;

	while (len > 0) {
		if ((w = write(fd, buf, len)) == -1) {
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			if (poll(&p, 1, 5000) != 1)
				return -1;
			continue;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

void
relay_from_host(struct agent *ag)
{
	char	 buf[16384], *p = buf, *m;
	ssize_t	 r;
	size_t	 len, ol = strlen(RELAY_OPEN);

	if ((r = read(ag->ssh, buf, sizeof(buf))) <= 0) {
		if (r == 0 || errno != EAGAIN)
			relay_close(ag);
		return;
	}
	len = (size_t)r;
	/* A new session: what came before it was the last one's. */
	if ((m = memmem(buf, len, RELAY_OPEN, ol)) != NULL) {
		relay_close(ag);
		len -= (size_t)(m + ol - buf);
		p = m + ol;
		if ((ag->tcp = sshd_connect()) == -1) {
			(void)write_all(ag->ssh, RELAY_REFUSED,
			    strlen(RELAY_REFUSED));
			return;
		}
	}
	if (ag->tcp == -1 || len == 0)
		return;			/* no session, or no sshd: dropped */
	if (write_all(ag->tcp, p, len) == -1)
		relay_close(ag);
}

void
relay_from_sshd(struct agent *ag)
{
	char	 buf[16384];
	ssize_t	 r;

	if ((r = read(ag->tcp, buf, sizeof(buf))) <= 0 ||
	    write_all(ag->ssh, buf, (size_t)r) == -1)
		relay_close(ag);
}
