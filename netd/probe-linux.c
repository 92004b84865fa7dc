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
 * Tagged probes (Linux): TCP connect and payload, UDP, DNS, ICMP echo,
 * a forged IPv4 source through a raw socket, and hand-made UDP frames
 * sent below IP (AF_PACKET) to a chosen MAC address.
 *
 * Every call sends one probe and says what happened; none exits.
 * probe_send() sends the probe of a spec (probe_wire.c reads them).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>

#include <errno.h>
#include <ifaddrs.h>
#include <stdarg.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

#define MAXPKT	512

int
probe_init(struct probe *p, const char *tag)
{
	memset(p, 0, sizeof(*p));
	if (!probe_validtag(tag))
		return -1;
	p->paylen = (size_t)snprintf(p->payload, sizeof(p->payload),
	    "KTAG-%s", tag);
	return 0;
}

static enum probe_result
fail(struct probe *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum probe_result
fail(struct probe *p, const char *fmt, ...)
{
	va_list	 ap;
	int	 e = errno;
	size_t	 n;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	n = strlen(p->err);
	if (e != 0 && n < sizeof(p->err))
		snprintf(p->err + n, sizeof(p->err) - n, ": %s", strerror(e));
	return PROBE_ERROR;
}

/* A send that found no way out is an answer, not an error. */
static enum probe_result
sendfail(struct probe *p, const char *what)
{
	if (errno == ENETUNREACH || errno == EHOSTUNREACH || errno == ENETDOWN)
		return PROBE_UNREACHABLE;
	if (errno == ECONNREFUSED)
		return PROBE_REFUSED;
	return fail(p, "%s", what);
}

static void
put16(u_char *b, unsigned int v)
{
	b[0] = (u_char)(v >> 8);
	b[1] = (u_char)v;
}

static uint32_t
sum(uint32_t s, const u_char *b, size_t n)
{
	for (; n > 1; n -= 2, b += 2)
		s += (uint32_t)(b[0] << 8 | b[1]);
	if (n == 1)
		s += (uint32_t)b[0] << 8;
	return s;
}

static unsigned int
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

/* A UDP checksum of 0 means "none": send it as 0xffff. */
static unsigned int
udpsum(uint32_t s)
{
	return fold(s) == 0 ? 0xffff : fold(s);
}

static const char *
addrstr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void	*a = ss->ss_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

static int
psocket(struct probe *p, int af, int type, int proto)
{
	int	 s, e;

	if ((s = socket(af, type | SOCK_CLOEXEC, proto)) == -1) {
		fail(p, "socket");
		return -1;
	}
	if (p->ifname != NULL && setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE,
	    p->ifname, (socklen_t)strlen(p->ifname) + 1) == -1) {
		e = errno;
		close(s);
		errno = e;
		fail(p, "%s", p->ifname);
		return -1;
	}
	return s;
}

/* Wait for events on s: the revents, 0 on timeout, -1 on error. */
static int
waitfor(int s, short events, int ms)
{
	struct pollfd	 pfd = { s, events, 0 };
	int		 r;

	while ((r = poll(&pfd, 1, ms)) == -1 && errno == EINTR)
		;
	if (r <= 0)
		return r;
	return pfd.revents;
}

static enum probe_result
closed(int s, enum probe_result r)
{
	close(s);
	return r;
}

enum probe_result
probe_tcp(struct probe *p, const struct sockaddr_storage *ss, socklen_t sl)
{
	socklen_t	 el = sizeof(int);
	char		 a[INET6_ADDRSTRLEN];
	int		 s, e = 0;

	if ((s = psocket(p, ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK,
	    0)) == -1)
		return PROBE_ERROR;
	if (connect(s, (const struct sockaddr *)ss, sl) == -1) {
		if (errno != EINPROGRESS)
			return closed(s, sendfail(p, "connect"));
		if (waitfor(s, POLLOUT, p->waitms) == 0)
			return closed(s, PROBE_TIMEOUT);
		if (getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
			return closed(s, fail(p, "getsockopt"));
	}
	switch (e) {
	case 0:
		break;
	case ECONNREFUSED:
		return closed(s, PROBE_REFUSED);
	case ETIMEDOUT:
		return closed(s, PROBE_TIMEOUT);
	case EHOSTUNREACH:
	case ENETUNREACH:
		return closed(s, PROBE_UNREACHABLE);
	default:
		errno = e;
		return closed(s, fail(p, "connect %s", addrstr(ss, a,
		    sizeof(a))));
	}
	if (waitfor(s, POLLOUT, p->waitms) <= 0 ||
	    send(s, p->payload, p->paylen, MSG_NOSIGNAL) != (ssize_t)p->paylen)
		return closed(s, fail(p, "send %s", addrstr(ss, a, sizeof(a))));
	shutdown(s, SHUT_WR);
	return closed(s, PROBE_CONNECTED);
}

/* An IPv4 or IPv6 UDP packet src -> dst into pkt: its length, or 0. */
static size_t
build_udp(u_char *pkt, size_t max, const struct sockaddr_storage *src,
    const struct sockaddr_storage *dst, const u_char *data, size_t n)
{
	const struct sockaddr_in	*s4 = (const struct sockaddr_in *)src;
	const struct sockaddr_in	*d4 = (const struct sockaddr_in *)dst;
	const struct sockaddr_in6	*s6 = (const struct sockaddr_in6 *)src;
	const struct sockaddr_in6	*d6 = (const struct sockaddr_in6 *)dst;
	unsigned int			 sport;
	size_t				 hl;
	uint32_t			 s;

	if (src->ss_family != dst->ss_family)
		return 0;
	hl = dst->ss_family == AF_INET6 ? 40 : 20;
	if (hl + 8 + n > max)
		return 0;
	sport = 32768 + (unsigned int)getpid() % 28000;
	memset(pkt, 0, hl + 8);
	if (dst->ss_family == AF_INET6) {
		pkt[0] = 0x60;
		put16(pkt + 4, (unsigned int)(8 + n));
		pkt[6] = IPPROTO_UDP;
		pkt[7] = 64;
		memcpy(pkt + 8, &s6->sin6_addr, 16);
		memcpy(pkt + 24, &d6->sin6_addr, 16);
		memcpy(pkt + 42, &d6->sin6_port, 2);
		s = sum(IPPROTO_UDP + (uint32_t)(8 + n), pkt + 8, 32);
	} else {
		pkt[0] = 0x45;
		put16(pkt + 2, (unsigned int)(hl + 8 + n));
		pkt[8] = 64;
		pkt[9] = IPPROTO_UDP;
		memcpy(pkt + 12, &s4->sin_addr, 4);
		memcpy(pkt + 16, &d4->sin_addr, 4);
		memcpy(pkt + 22, &d4->sin_port, 2);
		s = sum(IPPROTO_UDP + (uint32_t)(8 + n), pkt + 12, 8);
		put16(pkt + 10, fold(sum(0, pkt, 20)));
	}
	put16(pkt + hl, sport);
	put16(pkt + hl + 4, (unsigned int)(8 + n));
	memcpy(pkt + hl + 8, data, n);
	put16(pkt + hl + 6, udpsum(sum(s, pkt + hl, 8 + n)));
	return hl + 8 + n;
}

/* IPv4 UDP from a forged source, through a raw socket. */
static enum probe_result
send_spoofed(struct probe *p, const struct sockaddr_storage *ss,
    socklen_t sl, const char *src, const u_char *data, size_t n)
{
	struct sockaddr_storage	 from;
	u_char			 pkt[MAXPKT];
	size_t			 len;
	int			 fd;

	errno = 0;
	if (ss->ss_family != AF_INET ||
	    probe_addr(src, 0, NULL, &from) == 0 || from.ss_family != AF_INET)
		return fail(p, "a forged source needs IPv4 addresses: %s", src);
	if ((len = build_udp(pkt, sizeof(pkt), &from, ss, data, n)) == 0)
		return fail(p, "probe too long");
	if ((fd = psocket(p, AF_INET, SOCK_RAW, IPPROTO_RAW)) == -1)
		return PROBE_ERROR;
	if (sendto(fd, pkt, len, 0, (const struct sockaddr *)ss, sl) !=
	    (ssize_t)len)
		return closed(fd, sendfail(p, "sendto"));
	return closed(fd, PROBE_SENT);
}

/* udp and dns: a datagram, then maybe a reply or a port unreachable. */
static enum probe_result
datagram(struct probe *p, const struct sockaddr_storage *ss, socklen_t sl,
    const char *spoof, const u_char *data, size_t n, int isdns)
{
	char	 buf[MAXPKT], a[INET6_ADDRSTRLEN];
	int	 s;

	if (spoof != NULL)
		return send_spoofed(p, ss, sl, spoof, data, n);
	if ((s = psocket(p, ss->ss_family, SOCK_DGRAM, 0)) == -1)
		return PROBE_ERROR;
	if (connect(s, (const struct sockaddr *)ss, sl) == -1 ||
	    send(s, data, n, 0) != (ssize_t)n)
		return closed(s, sendfail(p, "send"));
	if (p->waitms <= 0 || waitfor(s, POLLIN, p->waitms) == 0)
		return closed(s, isdns ? PROBE_TIMEOUT : PROBE_SENT);
	if (recv(s, buf, sizeof(buf), MSG_DONTWAIT) == -1) {
		if (errno == ECONNREFUSED)
			return closed(s, PROBE_REFUSED);
		if (errno == EHOSTUNREACH || errno == ENETUNREACH)
			return closed(s, PROBE_UNREACHABLE);
		return closed(s, fail(p, "recv %s", addrstr(ss, a,
		    sizeof(a))));
	}
	return closed(s, PROBE_REPLY);
}

enum probe_result
probe_udp(struct probe *p, const struct sockaddr_storage *ss, socklen_t sl,
    const char *spoof)
{
	return datagram(p, ss, sl, spoof, (const u_char *)p->payload,
	    p->paylen, 0);
}

/* A query for the name TAG.example. (A, IN, recursion desired). */
enum probe_result
probe_dns(struct probe *p, const struct sockaddr_storage *ss, socklen_t sl,
    const char *spoof)
{
	u_char	 q[MAXPKT];
	char	 name[sizeof(p->payload) + 16], *lab, *last;
	size_t	 o = 12, l;

	memset(q, 0, 12);
	put16(q, (unsigned int)(getpid() ^ time(NULL)) & 0xffff);
	q[2] = 0x01;			/* RD */
	q[5] = 1;			/* QDCOUNT */
	snprintf(name, sizeof(name), "%s.example", p->payload);
	for (lab = strtok_r(name, ".", &last); lab != NULL;
	    lab = strtok_r(NULL, ".", &last)) {
		errno = 0;
		if ((l = strlen(lab)) > 63)
			return fail(p, "label too long: %s", lab);
		q[o++] = (u_char)l;
		memcpy(q + o, lab, l);
		o += l;
	}
	q[o++] = 0;
	put16(q + o, 1);		/* A */
	put16(q + o + 2, 1);		/* IN */
	return datagram(p, ss, sl, spoof, q, o + 4, 1);
}

/* Is this ICMP message about our echo request?  id at b + 4. */
static int
ours(const u_char *b, size_t n, int v6, int id)
{
	size_t	 hl;

	if (v6 && n >= 8 + 40 + 8 && b[8 + 6] == IPPROTO_ICMPV6)
		return b[48] == 128 && (b[52] << 8 | b[53]) == id;
	if (v6 || n < 8 + 20 || b[8 + 9] != IPPROTO_ICMP)
		return 0;
	hl = (size_t)(b[8] & 0xf) * 4;
	return n >= 8 + hl + 8 && b[8 + hl] == 8 &&
	    (b[8 + hl + 4] << 8 | b[8 + hl + 5]) == id;
}

enum probe_result
probe_icmp(struct probe *p, const struct sockaddr_storage *ss, socklen_t sl)
{
	u_char		 pkt[MAXPKT], buf[2048], *b;
	struct timespec	 t0, t;
	ssize_t		 r;
	size_t		 n, hl;
	int		 s, v6 = ss->ss_family == AF_INET6, left;
	int		 id = getpid() & 0xffff;

	if ((s = psocket(p, ss->ss_family, SOCK_RAW,
	    v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) == -1)
		return PROBE_ERROR;
	memset(pkt, 0, 8);
	pkt[0] = v6 ? 128 : 8;
	put16(pkt + 4, (unsigned int)id);
	put16(pkt + 6, 1);
	memcpy(pkt + 8, p->payload, p->paylen);
	if (!v6)		/* the kernel sums ICMPv6 itself */
		put16(pkt + 2, fold(sum(0, pkt, 8 + p->paylen)));
	if (sendto(s, pkt, 8 + p->paylen, 0, (const struct sockaddr *)ss,
	    sl) != (ssize_t)(8 + p->paylen))
		return closed(s, sendfail(p, "sendto"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = p->waitms - (int)((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || waitfor(s, POLLIN, left) <= 0)
			return closed(s, PROBE_TIMEOUT);
		if ((r = recv(s, buf, sizeof(buf), 0)) == -1)
			return closed(s, fail(p, "recv"));
		b = buf;
		n = (size_t)r;
		if (!v6) {		/* v4 raw sockets see the IP header */
			hl = (size_t)(buf[0] & 0xf) * 4;
			if (n < hl + 8)
				continue;
			b += hl;
			n -= hl;
		}
		if (n < 8)
			continue;
		if (b[0] == (v6 ? 129 : 0) && (b[4] << 8 | b[5]) == id)
			return closed(s, PROBE_REPLY);
		if ((b[0] == (v6 ? 1 : 3) || b[0] == (v6 ? 3 : 11)) &&
		    ours(b, n, v6, id))
			return closed(s, PROBE_UNREACHABLE);
	}
}

enum probe_result
probe_frame(struct probe *p, const struct sockaddr_storage *src,
    const struct sockaddr_storage *dst, const uint8_t dmac[6])
{
	struct sockaddr_ll	 sll;
	u_char			 pkt[MAXPKT];
	size_t			 len;
	int			 s, v6 = dst->ss_family == AF_INET6;

	errno = 0;
	if (p->ifname == NULL)
		return fail(p, "a frame needs an interface");
	if ((len = build_udp(pkt, sizeof(pkt), src, dst,
	    (const u_char *)p->payload, p->paylen)) == 0)
		return fail(p, "bad frame addresses");
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(v6 ? 0x86dd : 0x0800);
	if ((sll.sll_ifindex = (int)if_nametoindex(p->ifname)) == 0)
		return fail(p, "%s: no such interface", p->ifname);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);
	if ((s = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC,
	    sll.sll_protocol)) == -1)
		return fail(p, "socket");
	if (sendto(s, pkt, len, 0, (struct sockaddr *)&sll, sizeof(sll)) !=
	    (ssize_t)len)
		return closed(s, sendfail(p, p->ifname));
	return closed(s, PROBE_SENT);
}

/* A hand-made IPv6/UDP packet; with an interface it goes out below IP. */
enum probe_result
probe_raw6(struct probe *p, const struct sockaddr_storage *ss, socklen_t sl,
    const char *src)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	struct sockaddr_storage	 me;
	socklen_t		 ml = sizeof(me);
	u_char			 pkt[MAXPKT];
	uint8_t			 mac[6];
	size_t			 len;
	int			 s;

	errno = 0;
	if (ss->ss_family != AF_INET6)
		return fail(p, "raw6 needs an IPv6 address");
	memset(&me, 0, sizeof(me));
	me.ss_family = AF_INET6;
	if (src != NULL) {
		if (probe_addr(src, 0, NULL, &me) == 0 ||
		    me.ss_family != AF_INET6)
			return fail(p, "not an IPv6 address: %s", src);
	} else if ((s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) !=
	    -1) {
		/* the source the kernel would pick; :: without a route */
		if (connect(s, (const struct sockaddr *)ss, sl) == -1 ||
		    getsockname(s, (struct sockaddr *)&me, &ml) == -1) {
			memset(&me, 0, sizeof(me));
			me.ss_family = AF_INET6;
		}
		close(s);
	}
	if (p->ifname != NULL) {
		if (sin6->sin6_addr.s6_addr[0] == 0xff) {
			/* 33:33 + the group's low bits */
			mac[0] = mac[1] = 0x33;
			memcpy(mac + 2, sin6->sin6_addr.s6_addr + 12, 4);
		} else
			memset(mac, 0xff, 6);
		return probe_frame(p, &me, ss, mac);
	}
	if ((len = build_udp(pkt, sizeof(pkt), &me, ss,
	    (const u_char *)p->payload, p->paylen)) == 0)
		return fail(p, "probe too long");
	if ((s = psocket(p, AF_INET6, SOCK_RAW, IPPROTO_RAW)) == -1)
		return PROBE_ERROR;
	if (sendto(s, pkt, len, 0, (const struct sockaddr *)ss, sl) !=
	    (ssize_t)len)
		return closed(s, sendfail(p, "sendto"));
	return closed(s, PROBE_SENT);
}

enum probe_result
probe_send(struct probe *p, const struct probe_spec *s, const char *ifname,
    int waitms)
{
	char	 src[INET6_ADDRSTRLEN];

	if (probe_init(p, s->tag) == -1) {
		snprintf(p->err, sizeof(p->err), "bad tag");
		return PROBE_ERROR;
	}
	if (s->how != PROBE_HOW_UDP && s->how != PROBE_HOW_SPOOF)
		p->waitms = waitms;
	switch (s->how) {
	case PROBE_HOW_FRAME:
		p->ifname = ifname;
		return probe_frame(p, &s->src, &s->dst, s->dmac);
	case PROBE_HOW_TCP:
		return probe_tcp(p, &s->dst, s->dstlen);
	case PROBE_HOW_ICMP:
		return probe_icmp(p, &s->dst, s->dstlen);
	case PROBE_HOW_DNS:
		return probe_dns(p, &s->dst, s->dstlen, NULL);
	case PROBE_HOW_SPOOF:
		return probe_udp(p, &s->dst, s->dstlen, addrstr(&s->src, src,
		    sizeof(src)));
	default:
		return probe_udp(p, &s->dst, s->dstlen, NULL);
	}
}

int
probe_ifbymac(const uint8_t mac[6], char *buf, size_t len)
{
	struct sockaddr_ll	*sll;
	struct ifaddrs		*ifa, *i;
	int			 rv = -1;

	if (getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i != NULL && rv == -1; i = i->ifa_next) {
		if (i->ifa_addr == NULL ||
		    i->ifa_addr->sa_family != AF_PACKET)
			continue;
		sll = (struct sockaddr_ll *)(void *)i->ifa_addr;
		if (sll->sll_halen != 6 || memcmp(sll->sll_addr, mac, 6) != 0)
			continue;
		snprintf(buf, len, "%s", i->ifa_name);
		rv = 0;
	}
	freeifaddrs(ifa);
	return rv;
}
