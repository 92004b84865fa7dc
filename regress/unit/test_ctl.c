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
 * The control protocol and server helpers: round trips for every type,
 * rejection of bad input, the incremental reader byte by byte, and a real
 * exchange over a unix socket with a small server built on ctl_server.c,
 * including the SO_PEERCRED check against an unprivileged client.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "check.h"


static uint8_t *
req(uint16_t type, uint16_t flags, size_t n, const char *a0,
    const char *a1, size_t *len)
{
	const char	*args[2] = { a0, a1 };

	return ctl_encode_request(type, flags, 42, n, args, len);
}

static void
test_roundtrip(void)
{
	static const struct { uint16_t type, flags; size_t n;
	    const char *a0, *a1; } t[] = {
		{ CTL_STATUS, 0, 0, NULL, NULL },
		{ CTL_ATTACH, 0, 2, "work", "tor" },
		{ CTL_DETACH, 0, 1, "work", NULL },
		{ CTL_SHOW_RULES, 0, 1, "pf", NULL },
		{ CTL_SHOW_RULES, 0, 2, "nft", "work" },
		{ CTL_GRAPH, 0, 0, NULL, NULL },
		{ CTL_RELOAD, 0, 0, NULL, NULL },
		{ CTL_TEARDOWN, 0, 0, NULL, NULL },
		{ CTL_TEARDOWN, CTL_F_FORCE, 0, NULL, NULL },
		{ CTL_LOG, 0, 1, "verbose", NULL },
		{ CTL_LOG, 0, 1, "brief", NULL },
	};
	struct ctl_msg	 m;
	uint8_t		*p;
	size_t		 i, len, used;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p = req(t[i].type, t[i].flags, t[i].n, t[i].a0, t[i].a1, &len);
		CHECK(p != NULL, "encode %zu", i);
		if (p == NULL)
			continue;
		CHECK(ctl_decode(p, len, &m, &used) == CTL_COMPLETE &&
		    used == len, "decode %zu", i);
		CHECK(m.type == t[i].type && m.flags == t[i].flags &&
		    m.id == 42 && m.nargs == t[i].n, "fields %zu", i);
		CHECK(t[i].n < 1 || strcmp(m.args[0], t[i].a0) == 0, "a0 %zu",
		    i);
		CHECK(t[i].n < 2 || strcmp(m.args[1], t[i].a1) == 0, "a1 %zu",
		    i);
		free(p);
	}
	p = ctl_encode_reply(CTL_OK, 7, 0, "hello\nworld\n", 12, &len);
	CHECK(p != NULL && ctl_decode(p, len, &m, &used) == CTL_COMPLETE &&
	    m.type == CTL_OK && m.id == 7 && m.textlen == 12 &&
	    strcmp(m.text, "hello\nworld\n") == 0, "ok reply");
	free(p);
	p = ctl_encode_reply(CTL_OK, 8, 0, NULL, 0, &len);
	CHECK(p != NULL && ctl_decode(p, len, &m, &used) == CTL_COMPLETE &&
	    m.textlen == 0 && m.text[0] == '\0', "empty ok reply");
	free(p);
	p = ctl_encode_reply(CTL_ERROR, 9, CTL_E_FAIL, "detach x: no vm", 15,
	    &len);
	CHECK(p != NULL && ctl_decode(p, len, &m, &used) == CTL_COMPLETE &&
	    m.type == CTL_ERROR && m.status == CTL_E_FAIL &&
	    strcmp(m.text, "detach x: no vm") == 0, "error reply");
	free(p);

	/* What cannot be encoded. */
	CHECK(req(CTL_ATTACH, 0, 1, "work", NULL, &len) == NULL, "1 arg");
	CHECK(req(CTL_STATUS, CTL_F_FORCE, 0, NULL, NULL, &len) == NULL,
	    "flags");
	CHECK(req(CTL_LOG, 0, 1, "loud", NULL, &len) == NULL, "level");
	CHECK(req(CTL_DETACH, 0, 1, "a\nb", NULL, &len) == NULL, "newline");
	CHECK(req(CTL_DETACH, 0, 1, "", NULL, &len) == NULL, "empty");
	CHECK(req(99, 0, 0, NULL, NULL, &len) == NULL, "type");
	CHECK(ctl_encode_reply(CTL_ERROR, 1, 0, "x", 1, &len) == NULL,
	    "error status 0");
	CHECK(ctl_encode_reply(CTL_ERROR, 1, 1, "a\nb", 3, &len) == NULL,
	    "error two lines");
	CHECK(ctl_encode_reply(CTL_OK, 1, 0, "a\0b", 3, &len) == NULL,
	    "NUL in text");
}

/* A raw message: header then payload. */
static size_t
raw(uint8_t *buf, uint32_t len, uint16_t type, uint16_t flags,
    const void *payload, size_t plen)
{
	uint32_t	 l = htonl(len), id = htonl(1);
	uint16_t	 t = htons(type), f = htons(flags);

	memcpy(buf, &l, 4);
	memcpy(buf + 4, &t, 2);
	memcpy(buf + 6, &f, 2);
	memcpy(buf + 8, &id, 4);
	memcpy(buf + CTL_HDRLEN, payload, plen);
	return CTL_HDRLEN + plen;
}

static int
decode_raw(uint32_t len, uint16_t type, uint16_t flags, const void *pl,
    size_t plen)
{
	uint8_t		 buf[256];
	struct ctl_msg	 m;
	size_t		 n, used;

	n = raw(buf, len, type, flags, pl, plen);
	return ctl_decode(buf, n, &m, &used);
}

static void
test_reject(void)
{
	struct ctl_msg	 m;
	uint8_t		*p;
	size_t		 len, i, used;

	p = req(CTL_ATTACH, 0, 2, "work", "tor", &len);
	for (i = 0; i < len; i++)
		CHECK(ctl_decode(p, i, &m, &used) == CTL_INCOMPLETE &&
		    used == 0, "truncated at %zu", i);
	free(p);

	CHECK(decode_raw(CTL_MAXREQ + 1, CTL_STATUS, 0, "", 0) ==
	    CTL_MALFORMED, "oversized request");
	CHECK(decode_raw(CTL_MAXREPLY + 1, CTL_OK, 0, "", 0) ==
	    CTL_MALFORMED, "oversized reply");
	CHECK(decode_raw(CTL_MAXREQ, CTL_STATUS, 0, "", 0) ==
	    CTL_INCOMPLETE, "large request still incomplete");
	CHECK(decode_raw(12, 77, 0, "", 0) == CTL_MALFORMED, "unknown type");
	CHECK(decode_raw(12, 0, 0, "", 0) == CTL_MALFORMED, "type 0");
	CHECK(decode_raw(11, CTL_STATUS, 0, "", 0) == CTL_MALFORMED,
	    "length < header");
	CHECK(decode_raw(0, CTL_STATUS, 0, "", 0) == CTL_MALFORMED,
	    "length 0");
	CHECK(decode_raw(16, CTL_DETACH, 0, "work", 4) == CTL_MALFORMED,
	    "argument without NUL");
	CHECK(decode_raw(17, CTL_DETACH, 0, "work", 5) == CTL_COMPLETE,
	    "argument with NUL");
	CHECK(decode_raw(18, CTL_DETACH, 0, "work\0\0", 6) == CTL_MALFORMED,
	    "extra empty argument");
	CHECK(decode_raw(13, CTL_DETACH, 0, "", 1) == CTL_MALFORMED,
	    "empty argument");
	CHECK(decode_raw(12, CTL_DETACH, 0, "", 0) == CTL_MALFORMED,
	    "missing argument");
	CHECK(decode_raw(14, CTL_STATUS, 0, "a", 2) == CTL_MALFORMED,
	    "argument to status");
	CHECK(decode_raw(12, CTL_STATUS, 1, "", 0) == CTL_MALFORMED,
	    "flag on status");
	CHECK(decode_raw(12, CTL_TEARDOWN, 2, "", 0) == CTL_MALFORMED,
	    "unknown teardown flag");
	CHECK(decode_raw(15, CTL_SHOW_RULES, 0, "pq", 3) == CTL_MALFORMED,
	    "bad target");
	CHECK(decode_raw(15, CTL_DETACH, 0, "\001b", 3) == CTL_MALFORMED,
	    "control character");
	CHECK(decode_raw(12, CTL_OK, 0, "", 0) == CTL_MALFORMED,
	    "reply without status");
	CHECK(decode_raw(16, CTL_OK, 0, "\0\0\0\0", 4) == CTL_MALFORMED,
	    "reply without NUL");
	CHECK(decode_raw(17, CTL_OK, 0, "\0\0\0\1", 5) == CTL_MALFORMED,
	    "ok with status");
	CHECK(decode_raw(17, CTL_ERROR, 0, "\0\0\0\1", 5) == CTL_MALFORMED,
	    "error without text");
	CHECK(decode_raw(19, CTL_OK, 0, "\0\0\0\0a\0", 7) == CTL_MALFORMED,
	    "NUL inside text");
	CHECK(decode_raw(17, CTL_OK, 1, "\0\0\0\0", 5) == CTL_MALFORMED,
	    "flags on reply");
}

static void
test_reader(void)
{
	struct ctl_reader	 r;
	struct ctl_msg		 m;
	uint8_t			*a, *b, buf[512];
	size_t			 la, lb, n, i;
	int			 got = 0, rv;

	a = req(CTL_ATTACH, 0, 2, "work", "vpn", &la);
	b = ctl_encode_reply(CTL_OK, 3, 0, "done\n", 5, &lb);
	memcpy(buf, a, la);
	memcpy(buf + la, b, lb);
	memcpy(buf + la + lb, a, la);
	n = 2 * la + lb;
	ctl_reader_init(&r, CTL_MAXREPLY);
	CHECK(ctl_reader_next(&r, &m) == CTL_INCOMPLETE, "empty reader");
	for (i = 0; i < n; i++) {
		CHECK(ctl_reader_feed(&r, buf + i, 1) == 0, "feed %zu", i);
		while ((rv = ctl_reader_next(&r, &m)) == CTL_COMPLETE) {
			got++;
			if (got == 2)
				CHECK(m.type == CTL_OK &&
				    strcmp(m.text, "done\n") == 0, "reply");
			else
				CHECK(m.type == CTL_ATTACH && m.nargs == 2 &&
				    strcmp(m.args[1], "vpn") == 0, "request");
		}
		CHECK(rv == CTL_INCOMPLETE, "byte %zu: %d", i, rv);
	}
	CHECK(got == 3, "got %d messages", got);
	ctl_reader_free(&r);

	/* A reply too large for a server's reader: refused at the header. */
	ctl_reader_init(&r, CTL_MAXREQ);
	raw(buf, CTL_MAXREQ + 100, CTL_OK, 0, "", 0);
	ctl_reader_feed(&r, buf, CTL_HDRLEN);
	CHECK(ctl_reader_next(&r, &m) == CTL_MALFORMED, "reader max");
	CHECK(ctl_reader_next(&r, &m) == CTL_MALFORMED, "stays broken");
	ctl_reader_free(&r);
	free(a);
	free(b);
}

/* The test server's handlers. */
static int	 quit;

static int
h_status(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	(void)m;
	(void)arg;
	fprintf(rep->fp, "{\"pid\": %d, \"nodes\": []}", (int)getpid());
	return 0;
}

static int
h_attach(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	(void)arg;
	if (strcmp(m->args[1], "tor") != 0)
		return ctl_reply_error(rep, CTL_E_FAIL,
		    "attach %s: no chain \"%s\"", m->args[0], m->args[1]);
	fprintf(rep->fp, "%s attached to %s\n", m->args[0], m->args[1]);
	return 0;
}

static int
h_graph(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	int	 i;

	(void)m;
	(void)arg;
	for (i = 0; i < 40000; i++)	/* about 1 MiB: many reads */
		fprintf(rep->fp, "node%08d -> uplink%08d;\n", i, i);
	return 0;
}

static int
h_reload(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	(void)m;
	(void)rep;
	(void)arg;
	return -1;
}

static int
h_teardown(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	(void)arg;
	if (m->flags & CTL_F_FORCE)
		quit = 1;
	fprintf(rep->fp, "torn down\n");
	return 0;
}

static const struct ctl_handler handlers[] = {
	{ CTL_STATUS,	h_status },
	{ CTL_ATTACH,	h_attach },
	{ CTL_GRAPH,	h_graph },
	{ CTL_RELOAD,	h_reload },
	{ CTL_TEARDOWN,	h_teardown },
};
#define NHANDLERS	(sizeof(handlers) / sizeof(handlers[0]))

#include "test_ctl_sock.h"

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_roundtrip();
	test_reject();
	test_reader();
	test_dispatch();
	test_socket();
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
