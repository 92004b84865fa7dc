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
 * kubsd-guest probe: sends kubsd-net leaktest's tagged probes from
 * inside a VM (the agent runs it for the host), with the code the host
 * sends them with from a compartment (netd/probe-linux.c), and prints
 * one line per probe, in order, as probe_wire.c writes them:
 *
 *	kubsd-guest probe [-m mac] [-w ms] probe ...
 *
 * Frames go out of the interface with MAC mac, through a raw socket.
 */
#include <sys/types.h>

#include <net/if.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "probe.h"

static int
probe_usage(void)
{
	fprintf(stderr, "usage: kubsd-guest probe [-m mac] [-w ms] "
	    "probe ...\n");
	return 1;
}

/* One probe: its result line. */
static void
probe_one(size_t idx, const char *word, const char *ifname, int waitms)
{
	struct probe_spec	 s;
	struct probe		 p;
	enum probe_result	 r;
	char			 err[256], line[PROBE_LINEMAX];

	memset(&p, 0, sizeof(p));
	if (probe_spec_parse(word, &s, err, sizeof(err)) == -1) {
		r = PROBE_ERROR;
		snprintf(p.err, sizeof(p.err), "%s", err);
	} else if (s.how == PROBE_HOW_FRAME && ifname == NULL) {
		r = PROBE_ERROR;
		snprintf(p.err, sizeof(p.err), "no interface for frames");
	} else
		r = probe_send(&p, &s, ifname, waitms);
	if (probe_result_fmt(line, sizeof(line), idx, r, p.err) >= 0)
		printf("%s\n", line);
	fflush(stdout);
}

int
probe_main(int argc, char *argv[])
{
	uint8_t		 mac[6];
	char		 ifname[IF_NAMESIZE], *end;
	const char	*ifp = NULL;
	long		 w = 1000;
	int		 ch, i;

	while ((ch = getopt(argc, argv, "m:w:")) != -1) {
		switch (ch) {
		case 'm':
			if (probe_mac(optarg, mac) == -1)
				return probe_usage();
			if (probe_ifbymac(mac, ifname, sizeof(ifname)) == 0)
				ifp = ifname;
			break;
		case 'w':
			w = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || w < 1 ||
			    w > 60000)
				return probe_usage();
			break;
		default:
			return probe_usage();
		}
	}
	if (optind >= argc)
		return probe_usage();
	for (i = optind; i < argc; i++)
		probe_one((size_t)(i - optind), argv[i], ifp, (int)w);
	return ferror(stdout) ? 1 : 0;
}
