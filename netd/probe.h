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
 * Tagged probes: packets of every class a leak test sends, each
 * carrying a tag ("KTAG-...") that capture.c finds again.  Shared by
 * kubsd-net leaktest and regress/tools/kprobe.  Addresses are numeric;
 * nothing here resolves names.
 */
#ifndef PROBE_H
#define PROBE_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

enum probe_result {
	PROBE_SENT,		/* left; no answer expected */
	PROBE_CONNECTED,	/* tcp: connected, payload sent */
	PROBE_REFUSED,
	PROBE_TIMEOUT,
	PROBE_UNREACHABLE,
	PROBE_REPLY,		/* icmp echo reply, udp/dns answer */
	PROBE_ERROR		/* could not send: see err */
};

struct probe {
	const char	*ifname;	/* bind to (NULL: routed) */
	int		 waitms;	/* for an answer; 0: none */
	char		 payload[128];	/* "KTAG-" + tag */
	size_t		 paylen;
	char		 err[256];	/* PROBE_ERROR: one line */
};

int		 probe_init(struct probe *, const char *tag);
int		 probe_validtag(const char *);
const char	*probe_result_name(enum probe_result);
socklen_t	 probe_addr(const char *, int, const char *,
		    struct sockaddr_storage *);

enum probe_result probe_tcp(struct probe *, const struct sockaddr_storage *,
		    socklen_t);
enum probe_result probe_udp(struct probe *, const struct sockaddr_storage *,
		    socklen_t, const char *spoof);
enum probe_result probe_dns(struct probe *, const struct sockaddr_storage *,
		    socklen_t, const char *spoof);
enum probe_result probe_icmp(struct probe *, const struct sockaddr_storage *,
		    socklen_t);
enum probe_result probe_raw6(struct probe *, const struct sockaddr_storage *,
		    socklen_t, const char *src);
/* A UDP datagram src -> dst as one frame to dmac, out of p->ifname. */
enum probe_result probe_frame(struct probe *, const struct sockaddr_storage *,
		    const struct sockaddr_storage *, const uint8_t dmac[6]);

#endif
