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

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

static void
usage(void)
{
	fprintf(stderr, "usage: kprobe tcp|udp|icmp|dns|raw6 DST [PORT] "
	    "-t TAG [-s src] [-I ifname]\n\t[-w timeout_ms]\n");
	exit(2);
}

/* One word on stdout; errors as kprobe: message, exit 1. */
static void
result(const struct probe *p, enum probe_result r)
{
	if (r == PROBE_ERROR)
		errx(1, "%s", p->err);
	printf("%s\n", probe_result_name(r));
	exit(0);
}

static socklen_t
parse_addr(const char *s, int port, const char *ifname,
    struct sockaddr_storage *ss)
{
	socklen_t	 sl;

	if ((sl = probe_addr(s, port, ifname, ss)) == 0)
		errx(2, "not a numeric address: %s", s);
	return sl;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage	 ss;
	struct probe		 p;
	socklen_t		 sl;
	const char		*pos[3], *tag = NULL, *spoof = NULL, *mode;
	const char		*ifname = NULL;
	char			*end;
	long			 port = -1;
	int			 ch, npos = 0, waitms = -1;

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
	if (probe_init(&p, tag) == -1)
		errx(2, "tag may hold only [A-Za-z0-9_.-]: %s", tag);
	p.ifname = ifname;
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
	p.waitms = waitms;

	if (strcmp(mode, "tcp") == 0) {
		sl = parse_addr(pos[1], port < 0 ? 80 : (int)port, ifname, &ss);
		result(&p, probe_tcp(&p, &ss, sl));
	} else if (strcmp(mode, "udp") == 0) {
		sl = parse_addr(pos[1], port < 0 ? 9 : (int)port, ifname, &ss);
		result(&p, probe_udp(&p, &ss, sl, spoof));
	} else if (strcmp(mode, "dns") == 0) {
		sl = parse_addr(pos[1], port < 0 ? 53 : (int)port, ifname, &ss);
		result(&p, probe_dns(&p, &ss, sl, spoof));
	} else if (strcmp(mode, "icmp") == 0 && npos == 2) {
		sl = parse_addr(pos[1], 0, ifname, &ss);
		result(&p, probe_icmp(&p, &ss, sl));
	} else if (strcmp(mode, "raw6") == 0) {
		sl = parse_addr(pos[1], port < 0 ? 9 : (int)port, ifname, &ss);
		if (ss.ss_family != AF_INET6)
			errx(2, "raw6 needs an IPv6 address: %s", pos[1]);
		result(&p, probe_raw6(&p, &ss, sl, spoof));
	}
	usage();
}
