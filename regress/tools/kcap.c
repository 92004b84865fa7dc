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

#include "capture.h"

#define MAXIF		16

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
print_pkt(const struct cap_pkt *pk)
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
	struct cap_pkt	 pk;

	if (remaining == 0)
		return;
	cap_decode(c, h, bytes, &pk);
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
open_live(struct cap *c, const char *filter, int promisc)
{
	char	 e[PCAP_ERRBUF_SIZE + 128];

	if (cap_open_live(c, c->name, filter, promisc, e, sizeof(e)) != 0)
		errx(1, "%s", e);
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
	char			 ebuf[PCAP_ERRBUF_SIZE + 128], *end;
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
		if (cap_open_offline(&caps[0], rfile, filter, ebuf,
		    sizeof(ebuf)) == -1)
			errx(1, "%s", ebuf);
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
