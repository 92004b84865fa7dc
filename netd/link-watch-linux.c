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
 * Told of link changes: a netlink socket in the link group (RTMGRP_LINK)
 * for kubsd-netd's event loop, so that an uplink going down or up is
 * seen when it happens (daemon.c then asks for its state).
 */
#include <sys/socket.h>

#include <linux/rtnetlink.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include <libmnl/libmnl.h>

#include "kubsd.h"
#include "link.h"

struct link_watch {
	struct mnl_socket	*nl;
	char			 buf[8192];
};

struct link_watch *
link_watch_open(void)
{
	struct link_watch	*w = xcalloc(1, sizeof(*w));
	int			 fd;

	if ((w->nl = mnl_socket_open(NETLINK_ROUTE)) == NULL ||
	    mnl_socket_bind(w->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0 ||
	    (fd = mnl_socket_get_fd(w->nl)) == -1 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		link_watch_close(w);
		return NULL;
	}
	return w;
}

int
link_watch_fd(const struct link_watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

/* Read what the kernel sent; 1 if a link changed (or news were lost). */
int
link_watch_drain(struct link_watch *w)
{
	ssize_t	 n;
	int	 news = 0;

	while ((n = mnl_socket_recvfrom(w->nl, w->buf, sizeof(w->buf))) > 0 ||
	    (n == -1 && (errno == EINTR || errno == ENOBUFS)))
		news = 1;
	return news;
}

void
link_watch_close(struct link_watch *w)
{
	if (w == NULL)
		return;
	if (w->nl != NULL)
		mnl_socket_close(w->nl);
	free(w);
}
