/*
 * kcap: print one line per captured packet, for the integration tests.
 *
 *	kcap [-jP] [-i ifname]... [-f filter] [-w seconds] [-c count]
 *	    [-o file] [-W pcapfile] [-p pidfile] [-r pcapfile]
 *
 * Each packet becomes one flushed line:
 *
 *	IF DIR PROTO SRC[:SPORT] > DST[:DPORT] len=N [flags=F] [icmp=T/C]
 *	    [ethertype=0xNNNN] [dns=NAME] [tag=TAG] [mac=SRC>DST]
 *
 * or, with -j, one JSON object with the same fields.  Once every
 * interface is open and its filter installed, the pid file is written
 * and "# ready" goes to stderr, so a script can wait for either.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXIF		16
#define SNAPLEN		65535
#define TAGMARK		"KTAG-"
#define TAGMARKLEN	5

struct pkt {
	char		 ifname[IF_NAMESIZE + 16];
	const char	*dir;
	const char	*proto;
	char		 src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int		 v6, sport, dport;
	unsigned int	 len;
	char		 flags[8];
	int		 itype, icode;
	int		 etype;
	char		 dns[1024];
	char		 tag[256];
	char		 smac[18], dmac[18];
	struct timeval	 ts;
};

struct cap {
	pcap_t		*p;
	const char	*name;
	int		 dlt, fd, live, dead;
};

static FILE			*out;
static int			 jflag;
static long			 remaining = -1;	/* -c; -1: no limit */
static unsigned long		 seen;
static pcap_dumper_t		*dumper;
static volatile sig_atomic_t	 stopping;

static void
usage(void)
{
	fprintf(stderr, "usage: kcap [-jP] [-i ifname]... [-f filter] "
	    "[-w seconds] [-c count]\n\t[-o file] [-W pcapfile] "
	    "[-p pidfile] [-r pcapfile]\n");
	exit(2);
}

static void
onsig(int sig)
{
	(void)sig;
	stopping = 1;
}

static uint16_t
be16(const u_char *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t
be32(const u_char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

static void
fmtmac(char *buf, const u_char *m)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
	    m[0], m[1], m[2], m[3], m[4], m[5]);
}

static int
tagchar(u_char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* First "KTAG-" followed by [A-Za-z0-9_.-]+ in the payload. */
static void
find_tag(struct pkt *pk, const u_char *p, size_t n)
{
	size_t	 i, j, len;

	if (pk->tag[0] != '\0' || p == NULL)
		return;
	for (i = 0; i + TAGMARKLEN < n; i++) {
		if (memcmp(p + i, TAGMARK, TAGMARKLEN) != 0)
			continue;
		for (j = i + TAGMARKLEN; j < n && tagchar(p[j]); j++)
			;
		if (j == i + TAGMARKLEN)
			continue;
		len = j - i;
		if (len > sizeof(pk->tag) - 1)
			len = sizeof(pk->tag) - 1;
		memcpy(pk->tag, p + i, len);
		pk->tag[len] = '\0';
		return;
	}
}

/* The first question name of a DNS message, dig-style escaped. */
static void
find_dns(struct pkt *pk, const u_char *m, size_t n)
{
	char	 name[sizeof(pk->dns)];
	size_t	 off = 12, o = 0, i;
	int	 hops = 0;
	u_char	 l, c;

	if (m == NULL || n < 12 || be16(m + 4) == 0)
		return;
	for (;;) {
		if (off >= n)
			return;
		l = m[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 1 >= n || ++hops > 16)
				return;
			off = (size_t)(l & 0x3f) << 8 | m[off + 1];
			continue;
		}
		if ((l & 0xc0) != 0)
			return;
		if (l == 0)
			break;
		if (off + 1 + l > n)
			return;
		for (i = 0; i < l; i++) {
			if (o + 6 >= sizeof(name))
				return;
			c = m[off + 1 + i];
			if (tagchar(c) && c != '.')
				name[o++] = (char)c;
			else
				o += (size_t)snprintf(name + o, 5, "\\%03u", c);
		}
		name[o++] = '.';
		off += 1 + (size_t)l;
	}
	if (o == 0)
		name[o++] = '.';
	name[o] = '\0';
	memcpy(pk->dns, name, o + 1);
}

/* Layer 4: p is NULL for a non-first fragment. */
static void
decode_l4(struct pkt *pk, int proto, const u_char *p, size_t n)
{
	static const char fl[] = "FSRPAU";
	const u_char	*pay = NULL;
	size_t		 plen = 0, hl, i, o = 0;

	pk->proto = pk->v6 ? "ip6" : "other";
	switch (proto) {
	case IPPROTO_TCP:
		pk->proto = "tcp";
		if (p == NULL || n < 20)
			return;
		pk->sport = be16(p);
		pk->dport = be16(p + 2);
		for (i = 0; i < 6; i++)
			if (p[13] & (1 << i))
				pk->flags[o++] = fl[i];
		pk->flags[o] = '\0';
		hl = (size_t)(p[12] >> 4) * 4;
		if (hl < 20 || hl > n)
			return;
		pay = p + hl;
		plen = n - hl;
		if ((pk->sport == 53 || pk->dport == 53) && plen > 2)
			find_dns(pk, pay + 2, plen - 2);
		break;
	case IPPROTO_UDP:
		pk->proto = "udp";
		if (p == NULL || n < 8)
			return;
		pk->sport = be16(p);
		pk->dport = be16(p + 2);
		if (be16(p + 4) >= 8 && be16(p + 4) < n)
			n = be16(p + 4);
		pay = p + 8;
		plen = n - 8;
		if (pk->sport == 53 || pk->dport == 53)
			find_dns(pk, pay, plen);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((proto == IPPROTO_ICMP) == pk->v6)
			return;
		pk->proto = pk->v6 ? "icmp6" : "icmp";
		if (p == NULL || n < 4)
			return;
		pk->itype = p[0];
		pk->icode = p[1];
		if (n >= 8 && (pk->v6 ? (p[0] == 128 || p[0] == 129) :
		    (p[0] == 8 || p[0] == 0))) {
			pay = p + 8;
			plen = n - 8;
		}
		break;
	}
	find_tag(pk, pay, plen);
}

static void
decode_ip4(struct pkt *pk, const u_char *b, size_t n)
{
	size_t	 hl;

	if (n < 20 || (b[0] >> 4) != 4)
		return;
	hl = (size_t)(b[0] & 0xf) * 4;
	if (hl < 20 || hl > n)
		return;
	if (be16(b + 2) >= hl && be16(b + 2) < n)
		n = be16(b + 2);	/* drop link-layer padding */
	inet_ntop(AF_INET, b + 12, pk->src, sizeof(pk->src));
	inet_ntop(AF_INET, b + 16, pk->dst, sizeof(pk->dst));
	decode_l4(pk, b[9], (be16(b + 6) & 0x1fff) ? NULL : b + hl, n - hl);
}

static void
decode_ip6(struct pkt *pk, const u_char *b, size_t n)
{
	size_t	 off = 40, hl;
	int	 nh, i;

	if (n < 40 || (b[0] >> 4) != 6)
		return;
	pk->v6 = 1;
	pk->proto = "ip6";
	if (40 + (size_t)be16(b + 4) < n)
		n = 40 + be16(b + 4);
	inet_ntop(AF_INET6, b + 8, pk->src, sizeof(pk->src));
	inet_ntop(AF_INET6, b + 24, pk->dst, sizeof(pk->dst));
	nh = b[6];
	for (i = 0; i < 8; i++) {
		if (nh != 0 && nh != 43 && nh != 44 && nh != 60 && nh != 51)
			break;
		if (off + 8 > n)
			return;
		if (nh == 44 && (be16(b + off + 2) & 0xfff8) != 0) {
			decode_l4(pk, b[off], NULL, 0);	/* later fragment */
			return;
		}
		if (nh == 44)
			hl = 8;
		else if (nh == 51)
			hl = ((size_t)b[off + 1] + 2) * 4;
		else
			hl = ((size_t)b[off + 1] + 1) * 8;
		nh = b[off];
		off += hl;
		if (off > n)
			return;
	}
	decode_l4(pk, nh, b + off, n - off);
}

static const char *
sll_dir(int pkttype)
{
	if (pkttype == 4)
		return "out";		/* PACKET_OUTGOING */
	if (pkttype >= 0 && pkttype <= 3)
		return "in";		/* host, broadcast, multicast, other */
	return "-";
}

static void
decode(struct cap *c, const struct pcap_pkthdr *h, const u_char *b,
    struct pkt *pk)
{
	size_t	 n = h->caplen;
	int	 et = -1;
	char	 ifn[IF_NAMESIZE];

	memset(pk, 0, sizeof(*pk));
	snprintf(pk->ifname, sizeof(pk->ifname), "%s", c->live ? c->name : "-");
	pk->dir = "-";
	pk->proto = "other";
	pk->sport = pk->dport = pk->itype = pk->icode = pk->etype = -1;
	pk->len = h->len;
	pk->ts = h->ts;

	switch (c->dlt) {
	case DLT_EN10MB:
		if (n < 14)
			return;
		fmtmac(pk->dmac, b);
		fmtmac(pk->smac, b + 6);
		et = be16(b + 12);
		b += 14, n -= 14;
		break;
	case DLT_LINUX_SLL:
		if (n < 16)
			return;
		pk->dir = sll_dir(be16(b));
		if (be16(b + 4) == 6)
			fmtmac(pk->smac, b + 6);
		et = be16(b + 14);
		b += 16, n -= 16;
		break;
	case DLT_LINUX_SLL2:
		if (n < 20)
			return;
		if (c->live && if_indextoname(be32(b + 4), ifn) != NULL)
			snprintf(pk->ifname, sizeof(pk->ifname), "%s", ifn);
		else
			snprintf(pk->ifname, sizeof(pk->ifname), "if%u",
			    be32(b + 4));
		pk->dir = sll_dir(b[10]);
		if (b[11] == 6)
			fmtmac(pk->smac, b + 12);
		et = be16(b);
		b += 20, n -= 20;
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (n < 1)
			return;
		et = (b[0] >> 4) == 6 ? 0x86dd : 0x0800;
		break;
	}
	switch (et) {
	case 0x0800:
		decode_ip4(pk, b, n);
		break;
	case 0x86dd:
		decode_ip6(pk, b, n);
		break;
	case 0x0806:
		pk->proto = "arp";
		if (n >= 28 && be16(b + 2) == 0x0800 && b[4] == 6 && b[5] == 4) {
			inet_ntop(AF_INET, b + 14, pk->src, sizeof(pk->src));
			inet_ntop(AF_INET, b + 24, pk->dst, sizeof(pk->dst));
		}
		break;
	default:
		pk->etype = et;
		break;
	}
}

/* One field: " key=val" as text, ,"key":"val" as JSON. */
static void
field(const char *key, const char *val)
{
	if (!jflag) {
		fprintf(out, " %s=%s", key, val);
		return;
	}
	fprintf(out, ",\"%s\":\"", key);
	for (; *val != '\0'; val++) {
		if (*val == '"' || *val == '\\')
			fprintf(out, "\\%c", *val);
		else if ((u_char)*val < 0x20)
			fprintf(out, "\\u%04x", (u_char)*val);
		else
			fputc(*val, out);
	}
	fputc('"', out);
}

static void
endpoint(char *buf, size_t sz, const char *a, int port, int v6)
{
	if (a[0] == '\0')
		snprintf(buf, sz, "-");
	else if (port < 0 || jflag)
		snprintf(buf, sz, "%s", a);
	else
		snprintf(buf, sz, v6 ? "[%s]:%d" : "%s:%d", a, port);
}

static void
print_pkt(const struct pkt *pk)
{
	char	 s[INET6_ADDRSTRLEN + 8], d[INET6_ADDRSTRLEN + 8], buf[40];

	endpoint(s, sizeof(s), pk->src, pk->sport, pk->v6);
	endpoint(d, sizeof(d), pk->dst, pk->dport, pk->v6);
	if (!jflag)
		fprintf(out, "%s %s %s %s > %s len=%u", pk->ifname, pk->dir,
		    pk->proto, s, d, pk->len);
	else {
		fprintf(out, "{\"ts\":%lld.%06ld", (long long)pk->ts.tv_sec,
		    (long)pk->ts.tv_usec);
		field("if", pk->ifname);
		field("dir", pk->dir);
		field("proto", pk->proto);
		field("src", s);
		if (pk->sport >= 0)
			fprintf(out, ",\"sport\":%d", pk->sport);
		field("dst", d);
		if (pk->dport >= 0)
			fprintf(out, ",\"dport\":%d", pk->dport);
		fprintf(out, ",\"len\":%u", pk->len);
	}
	if (pk->sport >= 0 && strcmp(pk->proto, "tcp") == 0)
		field("flags", pk->flags[0] ? pk->flags : "-");
	snprintf(buf, sizeof(buf), "%d/%d", pk->itype, pk->icode);
	if (pk->itype >= 0)
		field("icmp", buf);
	snprintf(buf, sizeof(buf), "0x%04x", pk->etype);
	if (pk->etype >= 0)
		field("ethertype", buf);
	if (pk->dns[0] != '\0')
		field("dns", pk->dns);
	if (pk->tag[0] != '\0')
		field("tag", pk->tag);
	snprintf(buf, sizeof(buf), "%s>%s", pk->smac,
	    pk->dmac[0] ? pk->dmac : "-");
	if (pk->smac[0] != '\0')
		field("mac", buf);
	fputs(jflag ? "}\n" : "\n", out);
}

static void
handler(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct cap	*c = (struct cap *)user;
	struct pkt	 pk;

	if (remaining == 0)
		return;
	decode(c, h, bytes, &pk);
	print_pkt(&pk);
	if (fflush(out) == EOF)
		err(1, "output");
	if (dumper != NULL) {
		pcap_dump((u_char *)dumper, h, bytes);
		if (pcap_dump_flush(dumper) == -1)
			errx(1, "cannot write the pcap file");
	}
	seen++;
	if (remaining > 0 && --remaining == 0)
		pcap_breakloop(c->p);
}

static void
set_filter(struct cap *c, const char *filter)
{
	struct bpf_program	 prog;

	if (filter == NULL)
		return;
	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == -1)
		errx(1, "%s: bad filter '%s': %s", c->name, filter,
		    pcap_geterr(c->p));
	if (pcap_setfilter(c->p, &prog) == -1)
		errx(1, "%s: cannot set filter: %s", c->name,
		    pcap_geterr(c->p));
	pcap_freecode(&prog);
}

static void
open_live(struct cap *c, const char *filter, int promisc)
{
	char	 ebuf[PCAP_ERRBUF_SIZE];
	int	 r;

	if ((c->p = pcap_create(c->name, ebuf)) == NULL)
		errx(1, "%s: %s", c->name, ebuf);
	if (pcap_set_snaplen(c->p, SNAPLEN) != 0 ||
	    pcap_set_promisc(c->p, promisc) != 0 ||
	    pcap_set_immediate_mode(c->p, 1) != 0 ||
	    pcap_set_timeout(c->p, 100) != 0)
		errx(1, "%s: cannot set capture options", c->name);
	r = pcap_activate(c->p);
	if (r == PCAP_ERROR_NO_SUCH_DEVICE)
		errx(1, "%s: no such interface", c->name);
	if (r == PCAP_ERROR_PERM_DENIED)
		errx(1, "%s: permission denied (needs CAP_NET_RAW)", c->name);
	if (r == PCAP_ERROR_IFACE_NOT_UP)
		errx(1, "%s: interface is down", c->name);
	if (r < 0)
		errx(1, "%s: cannot capture: %s", c->name, pcap_geterr(c->p));
	if (strcmp(c->name, "any") == 0)	/* SLL2 names the interface */
		(void)pcap_set_datalink(c->p, DLT_LINUX_SLL2);
	c->dlt = pcap_datalink(c->p);
	c->live = 1;
	set_filter(c, filter);
	if (pcap_setnonblock(c->p, 1, ebuf) == -1)
		errx(1, "%s: %s", c->name, ebuf);
	if ((c->fd = pcap_get_selectable_fd(c->p)) == -1)
		errx(1, "%s: cannot poll this interface", c->name);
}

static void
write_pidfile(const char *path)
{
	char	 tmp[PATH_MAX];
	FILE	*f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		errx(1, "%s: path too long", path);
	if ((f = fopen(tmp, "w")) == NULL)
		err(1, "%s", tmp);
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) == EOF)
		err(1, "%s", tmp);
	if (rename(tmp, path) == -1)	/* appears whole, or not at all */
		err(1, "%s", path);
}

/* Read what a handle has queued; returns -1 once it failed. */
static int
drain(struct cap *c)
{
	int	 r;

	if (c->dead || remaining == 0)
		return 0;
	r = pcap_dispatch(c->p, remaining > 0 ? (int)remaining : -1,
	    handler, (u_char *)c);
	if (r == PCAP_ERROR) {
		warnx("%s: %s", c->name, pcap_geterr(c->p));
		c->dead = 1;
		return -1;
	}
	return r < 0 ? 0 : r;	/* PCAP_ERROR_BREAK: -c reached */
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	struct cap		 caps[MAXIF];
	struct pollfd		 pfd[MAXIF];
	struct timespec		 tmo;
	struct sigaction	 sa;
	struct pcap_stat	 st;
	sigset_t		 block, empty;
	const char		*filter = NULL, *ofile = NULL, *pidfile = NULL;
	const char		*rfile = NULL, *wfile = NULL;
	char			 ebuf[PCAP_ERRBUF_SIZE], *end;
	double			 wait = 0, deadline = 0, left = 0;
	int			 ch, i, n = 0, nlive, promisc = 0, status = 0;

	memset(caps, 0, sizeof(caps));
	while ((ch = getopt(argc, argv, "c:f:i:jo:Pp:r:W:w:")) != -1) {
		switch (ch) {
		case 'c':
			errno = 0;
			remaining = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || remaining < 1 ||
			    remaining > INT_MAX)
				errx(2, "bad count: %s", optarg);
			break;
		case 'f':
			filter = optarg;
			break;
		case 'i':
			if (n == MAXIF)
				errx(2, "at most %d interfaces", MAXIF);
			caps[n++].name = optarg;
			break;
		case 'j':
			jflag = 1;
			break;
		case 'o':
			ofile = optarg;
			break;
		case 'P':
			promisc = 1;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'r':
			rfile = optarg;
			break;
		case 'W':
			wfile = optarg;
			break;
		case 'w':
			errno = 0;
			wait = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || !(wait > 0) ||
			    wait > 86400)
				errx(2, "bad seconds: %s", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (rfile != NULL && n > 0))
		usage();
	out = stdout;
	if (ofile != NULL && (out = fopen(ofile, "w")) == NULL)
		err(1, "%s", ofile);
	if (pidfile != NULL && unlink(pidfile) == -1 && errno != ENOENT)
		err(1, "%s", pidfile);

	/* TERM and INT only get through inside ppoll(). */
	sigemptyset(&empty);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onsig;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (rfile != NULL) {
		caps[0].name = rfile;
		if ((caps[0].p = pcap_open_offline(rfile, ebuf)) == NULL)
			errx(1, "%s: %s", rfile, ebuf);
		caps[0].dlt = pcap_datalink(caps[0].p);
		set_filter(&caps[0], filter);
		n = 1;
	} else {
		if (n == 0)
			caps[n++].name = "any";
		for (i = 0; i < n; i++)
			open_live(&caps[i], filter, promisc);
	}
	if (wfile != NULL) {
		for (i = 1; i < n; i++)
			if (caps[i].dlt != caps[0].dlt)
				errx(1, "%s: -W needs one link type, %s has "
				    "another", caps[i].name, caps[0].name);
		if ((dumper = pcap_dump_open(caps[0].p, wfile)) == NULL)
			errx(1, "%s: %s", wfile, pcap_geterr(caps[0].p));
	}
	if (pidfile != NULL)
		write_pidfile(pidfile);
	fprintf(stderr, "# ready\n");

	if (rfile != NULL) {
		sigprocmask(SIG_SETMASK, &empty, NULL);
		while (!stopping && remaining != 0 && drain(&caps[0]) > 0)
			;
		goto done;
	}

	if (wait > 0)
		deadline = now() + wait;
	while (!stopping && remaining != 0) {
		for (i = nlive = 0; i < n; i++) {
			pfd[i].fd = caps[i].dead ? -1 : caps[i].fd;
			pfd[i].events = POLLIN;
			nlive += !caps[i].dead;
		}
		if (nlive == 0 || (wait > 0 && (left = deadline - now()) <= 0))
			break;
		tmo.tv_sec = (time_t)left;
		tmo.tv_nsec = (long)((left - (double)tmo.tv_sec) * 1e9);
		if (ppoll(pfd, (nfds_t)n, wait > 0 ? &tmo : NULL, &empty) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "ppoll");
		}
		for (i = 0; i < n; i++)
			if (pfd[i].revents != 0)
				drain(&caps[i]);
	}
	/* What the kernel already queued still counts. */
	for (i = 0; i < n; i++)
		while (drain(&caps[i]) > 0)
			;
	for (i = 0; i < n; i++) {
		if (caps[i].dead || pcap_stats(caps[i].p, &st) != 0)
			continue;
		if (st.ps_drop > 0)
			warnx("%s: %u packets dropped", caps[i].name,
			    st.ps_drop);
	}
done:
	fprintf(stderr, "# %lu packets\n", seen);
	if (dumper != NULL)
		pcap_dump_close(dumper);
	for (i = 0; i < n; i++) {
		status |= caps[i].dead;		/* a read error was reported */
		pcap_close(caps[i].p);
	}
	if (fclose(out) == EOF)
		err(1, "output");
	return status;
}
