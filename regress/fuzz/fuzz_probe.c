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
 * libFuzzer harness for netd/probe_wire.c, both directions: a result
 * line as a VM's kubsd-guest probe may send it to kubsd-net leaktest
 * (read strictly: a known result, a printable message), and a probe's
 * word as kubsd-guest reads it (a spec accepted prints back to a word
 * that reads back to the same spec).
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

static void
check_result(const char *line)
{
	enum probe_result	 r;
	char			 msg[64];
	size_t			 idx, i;

	memset(msg, 'x', sizeof(msg));
	if (probe_result_parse(line, &idx, &r, msg, sizeof(msg)) == -1)
		return;
	if (r > PROBE_ERROR || idx > 9999 ||
	    memchr(msg, '\0', sizeof(msg)) == NULL)
		abort();
	for (i = 0; msg[i] != '\0'; i++)
		if (msg[i] < ' ' || msg[i] >= 0x7f)
			abort();
}

static void
check_spec(const char *word)
{
	struct probe_spec	 s, t;
	char			 buf[PROBE_WORDMAX], err[128];

	memset(err, 'x', sizeof(err));
	if (probe_spec_parse(word, &s, err, sizeof(err)) == -1) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return;
	}
	if (probe_spec_fmt(&s, buf, sizeof(buf)) < 0 ||
	    probe_spec_parse(buf, &t, err, sizeof(err)) == -1 ||
	    memcmp(&s, &t, sizeof(s)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_result(s);
	check_spec(s);
	free(s);
	return 0;
}
