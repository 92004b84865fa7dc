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
 * Probes as text (probe.h has the forms): a spec as one word, for
 * kubsd-guest probe's command line, and a result as one line, for
 * kubsd-net leaktest to read back.  Both sides read what the other
 * wrote, and a VM is not trusted: every parser here is strict, bounded,
 * and fuzzed (regress/fuzz/fuzz_probe.c).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

static const char *const results[] = {
	"sent", "connected", "refused", "timeout", "unreachable", "reply",
	"error"
};

static const char *const hows[] = {
	"udp", "tcp", "icmp", "dns", "spoof", "frame"
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

const char *
probe_result_name(enum probe_result r)
{
	if ((size_t)r >= NELEM(results))
		return "error";
	return results[r];
}

/* Tags hold [A-Za-z0-9_.-]: what capture.c reads back, and DNS labels. */
int
probe_validtag(const char *tag)
{
	size_t	 i;

	if (tag == NULL || *tag == '\0' || strlen(tag) >= PROBE_TAGMAX)
		return 0;
	for (i = 0; tag[i] != '\0'; i++)
		if (strchr("_.-", tag[i]) == NULL &&
		    !(tag[i] >= 'A' && tag[i] <= 'Z') &&
		    !(tag[i] >= 'a' && tag[i] <= 'z') &&
		    !(tag[i] >= '0' && tag[i] <= '9'))
			return 0;
	return 1;
}

/* A numeric address and port (0 if not one); ifname scopes link-local. */
socklen_t
probe_addr(const char *s, int port, const char *ifname,
    struct sockaddr_storage *ss)
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
	return 0;
}

/* An address as text; af 0 (unset) as "-". */
static void
ntop(const struct sockaddr_storage *ss, char *buf, size_t len, int *port)
{
	const void	*a;

	*port = 0;
	if (ss->ss_family == AF_INET) {
		a = &((const struct sockaddr_in *)ss)->sin_addr;
		*port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		*port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	} else
		a = NULL;
	if (a == NULL || inet_ntop(ss->ss_family, a, buf, (socklen_t)len) ==
	    NULL)
		snprintf(buf, len, "-");
}

/* The word of a spec: its length, or -1 when it does not fit or is bad. */
int
probe_spec_fmt(const struct probe_spec *s, char *buf, size_t len)
{
	char	 dst[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN], mac[18];
	int	 port, sport, n;

	if ((size_t)s->how >= NELEM(hows) || !probe_validtag(s->tag) ||
	    s->dst.ss_family == 0)
		return -1;
	ntop(&s->dst, dst, sizeof(dst), &port);
	ntop(&s->src, src, sizeof(src), &sport);
	if (s->how == PROBE_HOW_FRAME)
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		    s->dmac[0], s->dmac[1], s->dmac[2], s->dmac[3],
		    s->dmac[4], s->dmac[5]);
	else
		snprintf(mac, sizeof(mac), "-");
	n = snprintf(buf, len, "%s,%s,%s,%d,%s,%s", hows[s->how], s->tag,
	    dst, port, src, mac);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

static int
parse_how(const char *w, enum probe_how *how)
{
	size_t	 i;

	for (i = 0; i < NELEM(hows); i++)
		if (strcmp(w, hows[i]) == 0) {
			*how = (enum probe_how)i;
			return 0;
		}
	return -1;
}

static int
parse_port(const char *w, int *port)
{
	char	*end;
	long	 v;

	if (*w < '0' || *w > '9' || strlen(w) > 5)
		return -1;
	v = strtol(w, &end, 10);
	if (*end != '\0' || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* xx:xx:xx:xx:xx:xx, exactly: 0, or -1. */
int
probe_mac(const char *w, uint8_t mac[6])
{
	int	 i, hi, lo;

	if (strlen(w) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		hi = hexval(w[i * 3]);
		lo = hexval(w[i * 3 + 1]);
		if (hi == -1 || lo == -1 || (i < 5 && w[i * 3 + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int
bad(char *err, size_t len, const char *what, const char *word)
{
	snprintf(err, len, "%s: %.*s", what, 120, word);
	return -1;
}

/* A spec from its word: 0, or -1 with why in err. */
int
probe_spec_parse(const char *word, struct probe_spec *s, char *err,
    size_t errlen)
{
	char	 buf[PROBE_WORDMAX], *f[6], *p;
	int	 n = 0, port;

	memset(s, 0, sizeof(*s));
	if (strlen(word) >= sizeof(buf))
		return bad(err, errlen, "probe too long", word);
	memcpy(buf, word, strlen(word) + 1);
	for (p = buf; n < 6 && (f[n] = strsep(&p, ",")) != NULL; n++)
		;
	if (n != 6 || p != NULL)
		return bad(err, errlen, "not HOW,TAG,DST,PORT,SRC,DMAC", word);
	if (parse_how(f[0], &s->how) == -1)
		return bad(err, errlen, "unknown probe", f[0]);
	if (!probe_validtag(f[1]))
		return bad(err, errlen, "bad tag", f[1]);
	memcpy(s->tag, f[1], strlen(f[1]) + 1);
	if (parse_port(f[3], &port) == -1)
		return bad(err, errlen, "bad port", f[3]);
	if ((s->dstlen = probe_addr(f[2], port, NULL, &s->dst)) == 0)
		return bad(err, errlen, "bad address", f[2]);
	if (strcmp(f[4], "-") != 0 && (probe_addr(f[4], 0, NULL, &s->src) ==
	    0 || s->src.ss_family != s->dst.ss_family))
		return bad(err, errlen, "bad source", f[4]);
	if ((s->how == PROBE_HOW_SPOOF && (s->src.ss_family != AF_INET ||
	    s->dst.ss_family != AF_INET)) ||
	    (s->how == PROBE_HOW_FRAME && s->src.ss_family == 0))
		return bad(err, errlen, "needs a source", word);
	if (s->how == PROBE_HOW_FRAME ? probe_mac(f[5], s->dmac) == -1 :
	    strcmp(f[5], "-") != 0)
		return bad(err, errlen, "bad mac", f[5]);
	return 0;
}

/* "probe N RESULT [MESSAGE]": the message printable, on one line. */
int
probe_result_fmt(char *buf, size_t len, size_t idx, enum probe_result r,
    const char *msg)
{
	size_t	 o, i;
	int	 n;

	n = snprintf(buf, len, "probe %zu %s", idx, probe_result_name(r));
	if (n < 0 || (size_t)n >= len)
		return -1;
	o = (size_t)n;
	if (r == PROBE_ERROR && msg != NULL && *msg != '\0' && o + 1 < len)
		buf[o++] = ' ';
	for (i = 0; r == PROBE_ERROR && msg != NULL && msg[i] != '\0' &&
	    o + 1 < len; i++)
		buf[o++] = msg[i] >= ' ' && msg[i] < 0x7f ? msg[i] : '?';
	buf[o] = '\0';
	return (int)o;
}

/*
 * A result line: 0 with its index, result and message (printable, ""
 * if none), or -1 when it is not one.
 */
int
probe_result_parse(const char *line, size_t *idx, enum probe_result *r,
    char *msg, size_t msglen)
{
	const char	*p, *w;
	char		*end;
	unsigned long	 v;
	size_t		 i, wl, o = 0;

	if (strncmp(line, "probe ", 6) != 0 || line[6] < '0' || line[6] > '9')
		return -1;
	v = strtoul(line + 6, &end, 10);
	if (*end != ' ' || end - (line + 6) > 4)
		return -1;
	w = end + 1;
	wl = strcspn(w, " ");
	for (i = 0; i < NELEM(results); i++)
		if (strlen(results[i]) == wl && strncmp(w, results[i], wl) == 0)
			break;
	if (i == NELEM(results) || (w[wl] == ' ' && i != PROBE_ERROR))
		return -1;
	p = w[wl] == ' ' ? w + wl + 1 : w + wl;
	for (; *p != '\0' && o + 1 < msglen; p++)
		msg[o++] = *p >= ' ' && *p < 0x7f ? *p : '?';
	if (msglen > 0)
		msg[o] = '\0';
	*idx = (size_t)v;
	*r = (enum probe_result)i;
	return 0;
}
