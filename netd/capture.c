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
 * Packet capture: libpcap handles on live interfaces or saved files,
 * and a decoder for the fields the leak checks look at.  Shared by
 * kubsd-net leaktest and regress/tools/kcap.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture.h"

#define SNAPLEN		65535
#define TAGMARKLEN	(sizeof(CAP_TAGMARK) - 1)

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

int
cap_tagchar(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* First "KTAG-" followed by [A-Za-z0-9_.-]+ in the payload. */
static void
find_tag(struct cap_pkt *pk, const u_char *p, size_t n)
{
	size_t	 i, j, len;

	if (pk->tag[0] != '\0' || p == NULL)
		return;
	for (i = 0; i + TAGMARKLEN < n; i++) {
		if (memcmp(p + i, CAP_TAGMARK, TAGMARKLEN) != 0)
			continue;
		for (j = i + TAGMARKLEN; j < n && cap_tagchar(p[j]); j++)
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
find_dns(struct cap_pkt *pk, const u_char *m, size_t n)
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
			if (cap_tagchar(c) && c != '.')
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
decode_l4(struct cap_pkt *pk, int proto, const u_char *p, size_t n)
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
decode_ip4(struct cap_pkt *pk, const u_char *b, size_t n)
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
decode_ip6(struct cap_pkt *pk, const u_char *b, size_t n)
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

void
cap_decode(const struct cap *c, const struct pcap_pkthdr *h,
    const u_char *b, struct cap_pkt *pk)
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

int
cap_set_filter(struct cap *c, const char *filter, char *err, size_t len)
{
	struct bpf_program	 prog;

	if (filter == NULL)
		return 0;
	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == -1) {
		snprintf(err, len, "%s: bad filter '%s': %s", c->name, filter,
		    pcap_geterr(c->p));
		return -1;
	}
	if (pcap_setfilter(c->p, &prog) == -1) {
		snprintf(err, len, "%s: cannot set filter: %s", c->name,
		    pcap_geterr(c->p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

/*
 * Open an interface for capture, non-blocking, with a pollable fd:
 * 0, or -1 (CAP_EDOWN: the interface is down) with a message in err.
 */
int
cap_open_live(struct cap *c, const char *name, const char *filter,
    int promisc, char *err, size_t len)
{
	char	 ebuf[PCAP_ERRBUF_SIZE];
	int	 r;

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->fd = -1;
	if ((c->p = pcap_create(name, ebuf)) == NULL) {
		snprintf(err, len, "%s: %s", name, ebuf);
		return -1;
	}
	if (pcap_set_snaplen(c->p, SNAPLEN) != 0 ||
	    pcap_set_promisc(c->p, promisc) != 0 ||
	    pcap_set_immediate_mode(c->p, 1) != 0 ||
	    pcap_set_timeout(c->p, 100) != 0) {
		snprintf(err, len, "%s: cannot set capture options", name);
		goto fail;
	}
	r = pcap_activate(c->p);
	if (r == PCAP_ERROR_NO_SUCH_DEVICE)
		snprintf(err, len, "%s: no such interface", name);
	else if (r == PCAP_ERROR_PERM_DENIED)
		snprintf(err, len, "%s: permission denied (needs CAP_NET_RAW)",
		    name);
	else if (r == PCAP_ERROR_IFACE_NOT_UP)
		snprintf(err, len, "%s: interface is down", name);
	else if (r < 0)
		snprintf(err, len, "%s: cannot capture: %s", name,
		    pcap_geterr(c->p));
	if (r < 0) {
		pcap_close(c->p);
		c->p = NULL;
		return r == PCAP_ERROR_IFACE_NOT_UP ? CAP_EDOWN : -1;
	}
	if (strcmp(name, "any") == 0)	/* SLL2 names the interface */
		(void)pcap_set_datalink(c->p, DLT_LINUX_SLL2);
	c->dlt = pcap_datalink(c->p);
	c->live = 1;
	if (cap_set_filter(c, filter, err, len) == -1)
		goto fail;
	if (pcap_setnonblock(c->p, 1, ebuf) == -1) {
		snprintf(err, len, "%s: %s", name, ebuf);
		goto fail;
	}
	if ((c->fd = pcap_get_selectable_fd(c->p)) == -1) {
		snprintf(err, len, "%s: cannot poll this interface", name);
		goto fail;
	}
	return 0;
fail:
	pcap_close(c->p);
	c->p = NULL;
	return -1;
}

int
cap_open_offline(struct cap *c, const char *file, const char *filter,
    char *err, size_t len)
{
	char	 ebuf[PCAP_ERRBUF_SIZE];

	memset(c, 0, sizeof(*c));
	c->name = file;
	c->fd = -1;
	if ((c->p = pcap_open_offline(file, ebuf)) == NULL) {
		snprintf(err, len, "%s: %s", file, ebuf);
		return -1;
	}
	c->dlt = pcap_datalink(c->p);
	if (cap_set_filter(c, filter, err, len) == -1) {
		pcap_close(c->p);
		c->p = NULL;
		return -1;
	}
	return 0;
}

void
cap_close(struct cap *c)
{
	if (c->p != NULL)
		pcap_close(c->p);
	c->p = NULL;
	c->fd = -1;
}
