/*
 * kprobe: send one tagged probe, for the integration tests (Linux).
 *
 *	kprobe tcp|udp|icmp|dns|raw6 DST [PORT] -t TAG [-s src] [-I ifname]
 *	    [-w timeout_ms]
 *
 * The payload carries "KTAG-TAG" (dns: the query name KTAG-TAG.example.)
 * for kcap to find.  One word on stdout says what happened: sent,
 * connected, refused, timeout, unreachable or reply.  The exit status
 * is 0 whenever the probe left; the test decides what the word means.
 * DST must be a numeric address: kprobe never resolves names.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXPKT	512

static const char	*ifname;
static int		 waitms = -1;
static char		 payload[128];
static size_t		 paylen;

static void
usage(void)
{
	fprintf(stderr, "usage: kprobe tcp|udp|icmp|dns|raw6 DST [PORT] "
	    "-t TAG [-s src] [-I ifname]\n\t[-w timeout_ms]\n");
	exit(2);
}

static void
result(const char *word)
{
	printf("%s\n", word);
	exit(0);
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

/* A numeric address and port; -I gives a link-local one its scope. */
static socklen_t
parse_addr(const char *s, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		if (ifname != NULL)
			sin6->sin6_scope_id = if_nametoindex(ifname);
		return sizeof(*sin6);
	}
	errx(2, "not a numeric address: %s", s);
}

static int
xsocket(int af, int type, int proto)
{
	int	 s;

	if ((s = socket(af, type, proto)) == -1)
		err(1, "socket");
	if (ifname != NULL && setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE,
	    ifname, (socklen_t)strlen(ifname) + 1) == -1)
		err(1, "%s", ifname);
	return s;
}

/* Wait for events on s; 0 on timeout. */
static int
waitfor(int s, short events, int ms)
{
	struct pollfd	 pfd = { s, events, 0 };
	int		 r;

	while ((r = poll(&pfd, 1, ms)) == -1 && errno == EINTR)
		;
	if (r == -1)
		err(1, "poll");
	return r == 0 ? 0 : pfd.revents;
}

static void
probe_tcp(const struct sockaddr_storage *ss, socklen_t sl, const char *dst)
{
	socklen_t	 el = sizeof(int);
	int		 s, e = 0;

	s = xsocket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (connect(s, (const struct sockaddr *)ss, sl) == -1) {
		if (errno == ECONNREFUSED)
			result("refused");
		if (errno != EINPROGRESS)
			err(1, "connect %s", dst);
		if (waitfor(s, POLLOUT, waitms) == 0)
			result("timeout");
		if (getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
			err(1, "getsockopt");
	}
	switch (e) {
	case 0:
		break;
	case ECONNREFUSED:
		result("refused");
		break;
	case ETIMEDOUT:
		result("timeout");
		break;
	case EHOSTUNREACH:
	case ENETUNREACH:
		result("unreachable");
		break;
	default:
		errno = e;
		err(1, "connect %s", dst);
	}
	if (waitfor(s, POLLOUT, waitms) == 0 ||
	    send(s, payload, paylen, MSG_NOSIGNAL) != (ssize_t)paylen)
		err(1, "send %s", dst);
	shutdown(s, SHUT_WR);
	result("connected");
}

/* IPv4 UDP from a forged source, through a raw socket. */
static void
send_spoofed(const struct sockaddr_storage *ss, socklen_t sl,
    const char *src, const u_char *data, size_t n)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	u_char		 pkt[MAXPKT];
	struct in_addr	 sa;
	size_t		 len = 28 + n;
	uint32_t	 s;
	int		 fd;

	if (ss->ss_family != AF_INET || inet_pton(AF_INET, src, &sa) != 1)
		errx(2, "-s needs IPv4 addresses: %s", src);
	memset(pkt, 0, 28);
	pkt[0] = 0x45;
	put16(pkt + 2, (unsigned int)len);
	pkt[8] = 64;
	pkt[9] = IPPROTO_UDP;
	memcpy(pkt + 12, &sa, 4);
	memcpy(pkt + 16, &sin->sin_addr, 4);
	put16(pkt + 20, 32768 + (unsigned int)getpid() % 28000);
	memcpy(pkt + 22, &sin->sin_port, 2);
	put16(pkt + 24, (unsigned int)(8 + n));
	memcpy(pkt + 28, data, n);
	s = sum(IPPROTO_UDP + (uint32_t)(8 + n), pkt + 12, 8);
	put16(pkt + 26, udpsum(sum(s, pkt + 20, 8 + n)));
	put16(pkt + 10, fold(sum(0, pkt, 20)));
	fd = xsocket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (sendto(fd, pkt, len, 0, (const struct sockaddr *)ss, sl) !=
	    (ssize_t)len)
		err(1, "sendto");
	result("sent");
}

/* udp and dns: a datagram, then maybe a reply or a port unreachable. */
static void
probe_udp(const struct sockaddr_storage *ss, socklen_t sl, const char *dst,
    const char *spoof, const u_char *data, size_t n, int isdns)
{
	char	 buf[MAXPKT];
	int	 s;

	if (spoof != NULL)
		send_spoofed(ss, sl, spoof, data, n);
	s = xsocket(ss->ss_family, SOCK_DGRAM, 0);
	if (connect(s, (const struct sockaddr *)ss, sl) == -1 ||
	    send(s, data, n, 0) != (ssize_t)n)
		err(1, "send %s", dst);
	if (waitms <= 0 || waitfor(s, POLLIN, waitms) == 0)
		result(isdns ? "timeout" : "sent");
	if (recv(s, buf, sizeof(buf), MSG_DONTWAIT) == -1) {
		if (errno == ECONNREFUSED)
			result("refused");
		if (errno == EHOSTUNREACH || errno == ENETUNREACH)
			result("unreachable");
		err(1, "recv %s", dst);
	}
	result("reply");
}

static void
probe_dns(const struct sockaddr_storage *ss, socklen_t sl, const char *dst,
    const char *spoof)
{
	u_char	 q[MAXPKT];
	char	 name[sizeof(payload) + 16], *lab, *last;
	size_t	 o = 12, l;

	memset(q, 0, 12);
	put16(q, (unsigned int)(getpid() ^ time(NULL)) & 0xffff);
	q[2] = 0x01;			/* RD */
	q[5] = 1;			/* QDCOUNT */
	snprintf(name, sizeof(name), "%s.example", payload);
	for (lab = strtok_r(name, ".", &last); lab != NULL;
	    lab = strtok_r(NULL, ".", &last)) {
		if ((l = strlen(lab)) > 63)
			errx(2, "label too long: %s", lab);
		q[o++] = (u_char)l;
		memcpy(q + o, lab, l);
		o += l;
	}
	q[o++] = 0;
	put16(q + o, 1);		/* A */
	put16(q + o + 2, 1);		/* IN */
	probe_udp(ss, sl, dst, spoof, q, o + 4, 1);
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

static void
probe_icmp(const struct sockaddr_storage *ss, socklen_t sl, const char *dst)
{
	u_char		 pkt[MAXPKT], buf[2048], *b;
	struct timespec	 t0, t;
	ssize_t		 r;
	size_t		 n, hl;
	int		 s, v6 = ss->ss_family == AF_INET6, left;
	int		 id = getpid() & 0xffff;

	s = xsocket(ss->ss_family, SOCK_RAW,
	    v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	memset(pkt, 0, 8);
	pkt[0] = v6 ? 128 : 8;
	put16(pkt + 4, (unsigned int)id);
	put16(pkt + 6, 1);
	memcpy(pkt + 8, payload, paylen);
	if (!v6)		/* the kernel sums ICMPv6 itself */
		put16(pkt + 2, fold(sum(0, pkt, 8 + paylen)));
	if (sendto(s, pkt, 8 + paylen, 0, (const struct sockaddr *)ss, sl) !=
	    (ssize_t)(8 + paylen))
		err(1, "sendto %s", dst);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = waitms - (int)((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || waitfor(s, POLLIN, left) == 0)
			result("timeout");
		if ((r = recv(s, buf, sizeof(buf), 0)) == -1)
			err(1, "recv");
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
			result("reply");
		if ((b[0] == (v6 ? 1 : 3) || b[0] == (v6 ? 3 : 11)) &&
		    ours(b, n, v6, id))
			result("unreachable");
	}
}

/* A hand-made IPv6/UDP packet; with -I it goes out below IP, no route. */
static void
probe_raw6(const struct sockaddr_storage *ss, socklen_t sl, const char *dst,
    const char *src)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	struct sockaddr_in6	 me;
	struct sockaddr_ll	 sll;
	socklen_t		 ml = sizeof(me);
	u_char			 pkt[MAXPKT];
	size_t			 len = 48 + paylen;
	int			 s;

	if (ss->ss_family != AF_INET6)
		errx(2, "raw6 needs an IPv6 address: %s", dst);
	memset(&me, 0, sizeof(me));
	if (src != NULL) {
		if (inet_pton(AF_INET6, src, &me.sin6_addr) != 1)
			errx(2, "not an IPv6 address: %s", src);
	} else if ((s = socket(AF_INET6, SOCK_DGRAM, 0)) != -1) {
		/* the source the kernel would pick; :: without a route */
		if (connect(s, (const struct sockaddr *)ss, sl) == -1 ||
		    getsockname(s, (struct sockaddr *)&me, &ml) == -1)
			memset(&me, 0, sizeof(me));
		close(s);
	}
	memset(pkt, 0, 48);
	pkt[0] = 0x60;
	put16(pkt + 4, (unsigned int)(8 + paylen));
	pkt[6] = IPPROTO_UDP;
	pkt[7] = 64;
	memcpy(pkt + 8, &me.sin6_addr, 16);
	memcpy(pkt + 24, &sin6->sin6_addr, 16);
	put16(pkt + 40, 32768 + (unsigned int)getpid() % 28000);
	memcpy(pkt + 42, &sin6->sin6_port, 2);
	put16(pkt + 44, (unsigned int)(8 + paylen));
	memcpy(pkt + 48, payload, paylen);
	put16(pkt + 46, udpsum(sum(sum(IPPROTO_UDP + (uint32_t)(8 + paylen),
	    pkt + 8, 32), pkt + 40, 8 + paylen)));
	if (ifname == NULL) {
		s = xsocket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
		if (sendto(s, pkt, len, 0, (const struct sockaddr *)ss, sl) !=
		    (ssize_t)len)
			err(1, "sendto %s", dst);
		result("sent");
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(0x86dd);
	if ((sll.sll_ifindex = (int)if_nametoindex(ifname)) == 0)
		errx(1, "%s: no such interface", ifname);
	sll.sll_halen = 6;
	if (pkt[24] == 0xff) {		/* 33:33 + the group's low bits */
		sll.sll_addr[0] = sll.sll_addr[1] = 0x33;
		memcpy(sll.sll_addr + 2, pkt + 36, 4);
	} else
		memset(sll.sll_addr, 0xff, 6);
	if ((s = socket(AF_PACKET, SOCK_DGRAM, htons(0x86dd))) == -1)
		err(1, "socket");
	if (sendto(s, pkt, len, 0, (struct sockaddr *)&sll, sizeof(sll)) !=
	    (ssize_t)len)
		err(1, "%s: sendto %s", ifname, dst);
	result("sent");
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	const char		*pos[3], *tag = NULL, *spoof = NULL, *mode;
	char			*end;
	long			 port = -1;
	int			 ch, npos = 0;
	size_t			 i;

	/* Options may come before, between or after the operands. */
	while (optind < argc) {
		if ((ch = getopt(argc, argv, "+I:s:t:w:")) == -1) {
			if (npos == 3)
				usage();
			pos[npos++] = argv[optind++];
			continue;
		}
		switch (ch) {
		case 'I':
			ifname = optarg;
			break;
		case 's':
			spoof = optarg;
			break;
		case 't':
			tag = optarg;
			break;
		case 'w':
			waitms = (int)strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || waitms < 0 ||
			    waitms > 600000)
				errx(2, "bad timeout: %s", optarg);
			break;
		default:
			usage();
		}
	}
	if (npos < 2 || tag == NULL || *tag == '\0' || strlen(tag) > 100)
		usage();
	for (i = 0; tag[i] != '\0'; i++)
		if (strchr("_.-", tag[i]) == NULL &&
		    !(tag[i] >= 'A' && tag[i] <= 'Z') &&
		    !(tag[i] >= 'a' && tag[i] <= 'z') &&
		    !(tag[i] >= '0' && tag[i] <= '9'))
			errx(2, "tag may hold only [A-Za-z0-9_.-]: %s", tag);
	paylen = (size_t)snprintf(payload, sizeof(payload), "KTAG-%s", tag);
	mode = pos[0];
	if (npos == 3) {
		port = strtol(pos[2], &end, 10);
		if (*pos[2] == '\0' || *end != '\0' || port < 1 || port > 65535)
			errx(2, "bad port: %s", pos[2]);
	}
	if (spoof != NULL && strcmp(mode, "udp") != 0 &&
	    strcmp(mode, "dns") != 0 && strcmp(mode, "raw6") != 0)
		errx(2, "-s works with udp, dns and raw6 only");
	if (waitms < 0)			/* udp waits only when asked to */
		waitms = strcmp(mode, "udp") == 0 ? 0 : 1000;

	if (strcmp(mode, "tcp") == 0) {
		sl = parse_addr(pos[1], port < 0 ? 80 : (int)port, &ss);
		probe_tcp(&ss, sl, pos[1]);
	} else if (strcmp(mode, "udp") == 0) {
		sl = parse_addr(pos[1], port < 0 ? 9 : (int)port, &ss);
		probe_udp(&ss, sl, pos[1], spoof, (u_char *)payload, paylen, 0);
	} else if (strcmp(mode, "dns") == 0) {
		sl = parse_addr(pos[1], port < 0 ? 53 : (int)port, &ss);
		probe_dns(&ss, sl, pos[1], spoof);
	} else if (strcmp(mode, "icmp") == 0 && npos == 2) {
		sl = parse_addr(pos[1], 0, &ss);
		probe_icmp(&ss, sl, pos[1]);
	} else if (strcmp(mode, "raw6") == 0) {
		sl = parse_addr(pos[1], port < 0 ? 9 : (int)port, &ss);
		probe_raw6(&ss, sl, pos[1], spoof);
	}
	usage();
}
