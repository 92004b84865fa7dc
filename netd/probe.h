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
 * kubsd-net leaktest, kubsd-guest probe (inside a VM) and
 * regress/tools/kprobe.  Addresses are numeric; nothing here resolves
 * names.
 *
 * probe-linux.c sends them; probe_wire.c is their text: a probe as one
 * word of a command line and its result as one line, which is how
 * kubsd-net leaktest hands probes to a VM's kubsd-guest through the
 * VM's agent and reads back what happened.
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

#define PROBE_TAGMAX	101	/* a tag's length, with its NUL */

/* How a probe goes out. */
enum probe_how {
	PROBE_HOW_UDP, PROBE_HOW_TCP, PROBE_HOW_ICMP, PROBE_HOW_DNS,
	PROBE_HOW_SPOOF,	/* udp from src, through a raw socket */
	PROBE_HOW_FRAME		/* udp src -> dst below IP, to dmac */
};

/* One probe to send, as a planner gives it to a prober. */
struct probe_spec {
	enum probe_how		 how;
	char			 tag[PROBE_TAGMAX];
	struct sockaddr_storage	 dst;
	socklen_t		 dstlen;
	struct sockaddr_storage	 src;	/* spoof, frame; af 0: unset */
	uint8_t			 dmac[6];	/* frame */
};

/*
 * The text of a spec: "HOW,TAG,DST,PORT,SRC,DMAC" with "-" for SRC or
 * DMAC when unset, e.g. "tcp,1a2b3c4d-tcp,192.0.2.2,80,-,-" or
 * "frame,1a2b3c4d-vm-b,10.66.1.3,9,10.66.1.2,02:6b:00:00:00:03";
 * a result: "probe N RESULT [MESSAGE]", N counting words from 0.
 */
#define PROBE_WORDMAX	(PROBE_TAGMAX + 2 * 46 + 48)
#define PROBE_LINEMAX	320

struct probe {
	const char	*ifname;	/* bind to (NULL: routed) */
	int		 waitms;	/* for an answer; 0: none */
	char		 payload[128];	/* "KTAG-" + tag */
	size_t		 paylen;
	char		 err[256];	/* PROBE_ERROR: one line */
};

/* probe_wire.c */
int		 probe_validtag(const char *);
const char	*probe_result_name(enum probe_result);
socklen_t	 probe_addr(const char *, int, const char *,
		    struct sockaddr_storage *);
int		 probe_mac(const char *, uint8_t[6]);
int		 probe_spec_fmt(const struct probe_spec *, char *, size_t);
int		 probe_spec_parse(const char *, struct probe_spec *, char *,
		    size_t);
int		 probe_result_fmt(char *, size_t, size_t,
		    enum probe_result, const char *);
int		 probe_result_parse(const char *, size_t *,
		    enum probe_result *, char *, size_t);

/* probe-linux.c */
int		 probe_init(struct probe *, const char *tag);
/* A spec's probe (a frame out of ifname), waiting waitms for answers. */
enum probe_result probe_send(struct probe *, const struct probe_spec *,
		    const char *ifname, int waitms);
/* The name of this namespace's interface with MAC mac: 0, or -1. */
int		 probe_ifbymac(const uint8_t mac[6], char *, size_t);

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
