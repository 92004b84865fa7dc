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
 * libFuzzer harness for the control protocol: ctl_decode() on the input
 * as it is, then the incremental reader fed in pieces whose sizes come
 * from the first byte.  Every decoded message must encode back to the
 * same bytes, and both paths must agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static uint8_t *
reencode(const struct ctl_msg *m, size_t *len)
{
	if (ctl_is_request(m->type))
		return ctl_encode_request(m->type, m->flags, m->id, m->nargs,
		    m->args, len);
	return ctl_encode_reply(m->type, m->id, m->status, m->text,
	    m->textlen, len);
}

static void
check_same(const struct ctl_msg *m, const uint8_t *orig, size_t used)
{
	uint8_t	*p;
	size_t	 len;

	if ((p = reencode(m, &len)) == NULL)
		abort();
	if (len != used || memcmp(p, orig, len) != 0)
		abort();
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_reader	 r;
	struct ctl_msg		 m;
	size_t			 off = 0, used, step, n, ndirect = 0;
	size_t			 nreader = 0;
	int			 last, rv;

	/* Direct: message after message. */
	while ((last = ctl_decode(data + off, size - off, &m, &used)) ==
	    CTL_COMPLETE) {
		check_same(&m, data + off, used);
		off += used;
		ndirect++;
	}

	/* Incremental, in pieces of 1..16 bytes: the same messages. */
	step = size > 0 ? (data[0] & 15) + 1 : 1;
	ctl_reader_init(&r, CTL_MAXREPLY);
	off = 0;
	rv = CTL_INCOMPLETE;
	while (off < size && rv != CTL_MALFORMED) {
		n = size - off < step ? size - off : step;
		if (ctl_reader_feed(&r, data + off, n) == -1)
			abort();
		off += n;
		while ((rv = ctl_reader_next(&r, &m)) == CTL_COMPLETE)
			nreader++;
	}
	ctl_reader_free(&r);
	if (nreader != ndirect || (last == CTL_MALFORMED) !=
	    (rv == CTL_MALFORMED))
		abort();
	return 0;
}
