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
 * Private to the Linux link backend (link-linux.c, link-set-linux.c,
 * link-route-linux.c):
 * the context and the rtnetlink plumbing.  Callers use link.h.
 */
#ifndef LINK_LINUX_H
#define LINK_LINUX_H

#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include <stdint.h>

#define LINK_SBUFSIZ	8192
#define LINK_RBUFSIZ	32768

struct link_ctx {
	struct mnl_socket	*nl;
	unsigned int		 portid;
	unsigned int		 seq;
	int			 nsfd;		/* -1: the opener's namespace */
	uint32_t		 group;		/* for new interfaces */
	char			 kmsg[128];	/* kernel's text, last error */
	char			 err[256];
	char			 sbuf[LINK_SBUFSIZ];
	char			 rbuf[LINK_RBUFSIZ];
};

/* Set errno and the context's message "FMT: strerror (kernel's text)". */
int		 link_fail(struct link_ctx *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
/* -1 with EINVAL unless a valid interface name; clears the ack text. */
int		 link_badname(struct link_ctx *, const char *);

/* A request header in the context's send buffer. */
struct nlmsghdr	*nl_msg(struct link_ctx *, uint16_t type, uint16_t flags);
/* An RTM_*LINK request: ifinfomsg for ifindex, IFLA_IFNAME if name. */
struct nlmsghdr	*nl_link_msg(struct link_ctx *, uint16_t type, uint16_t flags,
		    int ifindex, const char *name, struct ifinfomsg **);
/* Send, run replies through cb (may be NULL) up to the ack or DONE. */
int		 nl_talk(struct link_ctx *, struct nlmsghdr *, mnl_cb_t,
		    void *);

#endif
