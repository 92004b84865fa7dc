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
 * Packet capture with libpcap, for kubsd-net leaktest and the test
 * tools: open live interfaces or saved files, and decode each packet
 * into the few fields the leak checks need (addresses, ports, protocol,
 * ICMP type, DNS question, and the first "KTAG-..." tag in its payload).
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <sys/time.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <pcap/pcap.h>

#define CAP_TAGMARK	"KTAG-"
#define CAP_TAGMAX	256

/* One decoded packet; absent numbers are -1, absent strings "". */
struct cap_pkt {
	char		 ifname[IF_NAMESIZE + 16];
	const char	*dir;		/* "in", "out" or "-" */
	const char	*proto;		/* tcp udp icmp icmp6 ip6 arp other */
	char		 src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int		 v6, sport, dport;
	unsigned int	 len;
	char		 flags[8];	/* tcp: FSRPAU */
	int		 itype, icode;
	int		 etype;		/* an ethertype not decoded */
	char		 dns[1024];
	char		 tag[CAP_TAGMAX];
	char		 smac[18], dmac[18];
	struct timeval	 ts;
};

/* A capture handle: live (an interface) or a saved file. */
struct cap {
	pcap_t		*p;
	const char	*name;
	int		 dlt, fd, live, dead;
};

#define CAP_EDOWN	-2	/* cap_open_live(): the interface is down */

int	 cap_open_live(struct cap *, const char *, const char *, int,
	    char *, size_t);
int	 cap_open_offline(struct cap *, const char *, const char *,
	    char *, size_t);
int	 cap_set_filter(struct cap *, const char *, char *, size_t);
void	 cap_close(struct cap *);
void	 cap_decode(const struct cap *, const struct pcap_pkthdr *,
	    const u_char *, struct cap_pkt *);
int	 cap_tagchar(int);

#endif
