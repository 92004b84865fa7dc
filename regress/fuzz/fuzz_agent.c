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
 * libFuzzer harness for the agent channel's lines (netd/agentline.c):
 * the bytes a gateway VM's agent sends, split into lines as kubsd-netd
 * reads them (in pieces, as reads come) and classified, each status
 * line made printable; and the same lines as the guest's agent reads a
 * bundle: a file line names a plain file with a mode of at most 0644,
 * a credential line only a kubsd.wg.* credential.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentline.h"

#define CAP	512	/* netd's buffer (struct vm's abuf) */

static void
check_status(const char *arg)
{
	char		 out[600];
	enum gw_state	 st;
	size_t		 i;

	memset(out, 'x', sizeof(out));
	st = gw_status_clean(arg, out, sizeof(out));
	if (memchr(out, '\0', sizeof(out)) == NULL)
		abort();
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < ' ' || (unsigned char)out[i] > '~')
			abort();
	if ((st == GS_READY) != (strcmp(out, "ready") == 0))
		abort();
}

static void
check_frame(const char *line)
{
	struct frame	 f;
	char		 kw[32], name[64];

	frame_line(line, &f);
	if (f.kind == FR_FILE && (!frame_name_ok(f.name) ||
	    strchr(f.name, '/') != NULL || (f.mode & ~0644u) != 0))
		abort();
	if (f.kind != FR_DATA)
		return;
	if (f.data != line + 1)
		abort();
	if (frame_cred(f.data, kw, sizeof(kw), name, sizeof(name)) &&
	    (strncmp(name, "kubsd.wg.", 9) != 0 || strchr(name, '/') ||
	    kw[0] == '\0' || strchr(kw, ' ') != NULL))
		abort();
}

static void
on_line(void *arg, char *line)
{
	const char	*a;
	size_t		 n = strlen(line);

	(void)arg;
	if (n >= CAP || memchr(line, '\n', n) != NULL)
		abort();
	if (agent_line_kind(line, &a) == AL_STATUS)
		check_status(a);
	check_frame(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 buf[CAP];
	size_t	 len = 0, off = 0, chunk;

	/* in reads of 1 to 256 bytes, the first byte says how long */
	chunk = size > 0 ? (size_t)data[0] % 256 + 1 : 1;
	while (off < size) {
		size_t	 n = size - off;

		if (n > chunk)
			n = chunk;
		if (n > CAP - 1 - len)
			n = CAP - 1 - len;
		memcpy(buf + len, data + off, n);
		off += n;
		len = agent_lines(buf, len + n, CAP, on_line, NULL);
		if (len >= CAP - 1)
			abort();
	}
	return 0;
}
