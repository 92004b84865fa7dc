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
 * Probes as text (netd/probe_wire.c): every spec kubsd-net leaktest
 * plans survives its word and back, words that are not one are refused,
 * and a result line reads back as written, its message kept printable.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "check.h"

static void
roundtrip(const char *word)
{
	struct probe_spec	 s, t;
	char			 buf[PROBE_WORDMAX], err[256];

	CHECK(probe_spec_parse(word, &s, err, sizeof(err)) == 0,
	    "%s: %s", word, err);
	CHECK(probe_spec_fmt(&s, buf, sizeof(buf)) > 0 &&
	    strcmp(buf, word) == 0, "%s printed as %s", word, buf);
	CHECK(probe_spec_parse(buf, &t, err, sizeof(err)) == 0 &&
	    memcmp(&s, &t, sizeof(s)) == 0, "%s: not the same again", word);
}

static void
refused(const char *word, const char *why)
{
	struct probe_spec	 s;
	char			 err[256] = "";

	CHECK(probe_spec_parse(word, &s, err, sizeof(err)) == -1 &&
	    strncmp(err, why, strlen(why)) == 0, "%s: accepted, or \"%s\"",
	    word, err);
}

static void
results(void)
{
	enum probe_result	 r;
	char			 line[PROBE_LINEMAX], msg[64];
	size_t			 i;

	CHECK(probe_result_fmt(line, sizeof(line), 3, PROBE_CONNECTED,
	    NULL) > 0 && strcmp(line, "probe 3 connected") == 0, "%s", line);
	CHECK(probe_result_parse(line, &i, &r, msg, sizeof(msg)) == 0 &&
	    i == 3 && r == PROBE_CONNECTED && msg[0] == '\0', "%s", line);
	probe_result_fmt(line, sizeof(line), 0, PROBE_ERROR, "eth0:\tgone\n");
	CHECK(strcmp(line, "probe 0 error eth0:?gone?") == 0, "%s", line);
	CHECK(probe_result_parse(line, &i, &r, msg, sizeof(msg)) == 0 &&
	    r == PROBE_ERROR && strcmp(msg, "eth0:?gone?") == 0, "%s", msg);
	CHECK(probe_result_parse("probe 1 sent extra", &i, &r, msg,
	    sizeof(msg)) == -1, "a message after a result not an error");
	CHECK(probe_result_parse("probe 1 leaked", &i, &r, msg,
	    sizeof(msg)) == -1, "an unknown result");
	CHECK(probe_result_parse("probe -1 sent", &i, &r, msg,
	    sizeof(msg)) == -1, "a negative index");
	CHECK(probe_result_parse("probe 99999 sent", &i, &r, msg,
	    sizeof(msg)) == -1, "an index of five digits");
	CHECK(probe_result_parse("sh: kubsd-guest: not found", &i, &r, msg,
	    sizeof(msg)) == -1, "not a result line");
}

int
main(void)
{
	roundtrip("tcp,0badc0de-tcp,192.0.2.2,8080,-,-");
	roundtrip("udp,0badc0de-udp,192.0.2.2,9,-,-");
	roundtrip("icmp,0badc0de-icmp,192.0.2.2,0,-,-");
	roundtrip("dns,0badc0de-dns,192.0.2.2,53,-,-");
	roundtrip("spoof,0badc0de-spoof,192.0.2.2,9,10.66.1.3,-");
	roundtrip("frame,0badc0de-vm-b,10.66.1.3,9,10.66.1.2,02:6b:00:00:00:03");
	roundtrip("frame,0badc0de-ipv6,64:ff9b::c000:202,9,fe80::6b:ff:fe00:2,"
	    "ff:ff:ff:ff:ff:ff");
	roundtrip("frame,0badc0de-tcp,192.0.2.2,80,0.0.0.0,ff:ff:ff:ff:ff:ff");
	roundtrip("udp,0badc0de-ipv6,2001:db8:6b::2,9,-,-");

	refused("tcp,t,192.0.2.2,80,-", "not HOW");
	refused("tcp,t,192.0.2.2,80,-,-,-", "not HOW");
	refused("raw,t,192.0.2.2,80,-,-", "unknown probe");
	refused("tcp,KTAG x,192.0.2.2,80,-,-", "bad tag");
	refused("tcp,,192.0.2.2,80,-,-", "bad tag");
	refused("tcp,t,example.org,80,-,-", "bad address");
	refused("tcp,t,192.0.2.2,65536,-,-", "bad port");
	refused("tcp,t,192.0.2.2,+80,-,-", "bad port");
	refused("spoof,t,192.0.2.2,9,-,-", "needs a source");
	refused("spoof,t,2001:db8::1,9,2001:db8::2,-", "needs a source");
	refused("udp,t,192.0.2.2,9,2001:db8::2,-", "bad source");
	refused("frame,t,192.0.2.2,9,-,ff:ff:ff:ff:ff:ff", "needs a source");
	refused("frame,t,192.0.2.2,9,10.0.0.1,ff:ff:ff:ff:ff", "bad mac");
	refused("frame,t,192.0.2.2,9,10.0.0.1,ff:ff:ff:ff:ff:fg", "bad mac");
	refused("udp,t,192.0.2.2,9,-,ff:ff:ff:ff:ff:ff", "bad mac");
	results();
	return failures != 0;
}
