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
 * The control protocol's wire format (see ctl.h): decoding, encoding
 * and an incremental reader for non-blocking sockets.  What a request
 * may carry comes from its command (ctl_cmd.c).
 */
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

int
ctl_is_request(uint16_t type)
{
	return ctl_cmd_type(type) != NULL;
}

const char *
ctl_type_name(uint16_t type)
{
	const struct ctl_cmd	*c;

	if ((c = ctl_cmd_type(type)) != NULL)
		return ctl_cmd_name(c);
	if (type == CTL_OK)
		return "ok";
	if (type == CTL_ERROR)
		return "error";
	return "unknown";
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t	 v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

static uint16_t
get16(const uint8_t *p)
{
	uint16_t	 v;

	memcpy(&v, p, sizeof(v));
	return ntohs(v);
}

static void
put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, sizeof(v));
}

static void
put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, sizeof(v));
}

static int
malformed(struct ctl_msg *m, const char *why)
{
	m->why = why;
	return CTL_MALFORMED;
}

/* An argument: non-empty, printable bytes (no controls, no DEL). */
static int
arg_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
decode_request(const struct ctl_cmd *s, const uint8_t *p, size_t len,
    struct ctl_msg *m)
{
	const char	*a = (const char *)p;
	const uint8_t	*nul;
	size_t		 n;

	if ((m->flags & ~s->wflags) != 0)
		return malformed(m, "unknown flags");
	while (len > 0) {
		if ((nul = memchr(p, '\0', len)) == NULL)
			return malformed(m, "argument not NUL-terminated");
		n = (size_t)(nul - p);
		if (m->nargs == s->maxargs)
			return malformed(m, "too many arguments");
		if (!arg_ok(a, n))
			return malformed(m, "bad argument");
		m->args[m->nargs++] = a;
		p = nul + 1;
		a = (const char *)p;
		len -= n + 1;
	}
	if (m->nargs < s->minargs)
		return malformed(m, "too few arguments");
	if (m->nargs > 0 && !ctl_cmd_choice(s, m->args[0]))
		return malformed(m, "bad first argument");
	return CTL_COMPLETE;
}

static int
decode_reply(const uint8_t *p, size_t len, struct ctl_msg *m)
{
	if (m->flags != 0)
		return malformed(m, "unknown flags");
	if (len < 5)
		return malformed(m, "short reply");
	m->status = get32(p);
	p += 4;
	len -= 4;
	if (p[len - 1] != '\0')
		return malformed(m, "text not NUL-terminated");
	if (memchr(p, '\0', len - 1) != NULL)
		return malformed(m, "NUL inside text");
	m->text = (const char *)p;
	m->textlen = len - 1;
	if (m->type == CTL_OK && m->status != 0)
		return malformed(m, "ok with an error status");
	if (m->type == CTL_ERROR && (m->status == 0 || m->textlen == 0 ||
	    memchr(p, '\n', m->textlen) != NULL))
		return malformed(m, "bad error reply");
	return CTL_COMPLETE;
}

/*
 * Decode one message from the start of buf.  CTL_COMPLETE: *out is
 * filled and *consumed is its length; CTL_INCOMPLETE: more bytes are
 * needed (only the header is checked so far); CTL_MALFORMED: out->why
 * says why, and the stream cannot be resynchronized.
 */
int
ctl_decode(const uint8_t *buf, size_t len, struct ctl_msg *out,
    size_t *consumed)
{
	const struct ctl_cmd	*s;
	uint32_t		 mlen;

	memset(out, 0, sizeof(*out));
	*consumed = 0;
	if (len < CTL_HDRLEN)
		return CTL_INCOMPLETE;
	mlen = get32(buf);
	out->type = get16(buf + 4);
	out->flags = get16(buf + 6);
	out->id = get32(buf + 8);
	s = ctl_cmd_type(out->type);
	if (s == NULL && out->type != CTL_OK && out->type != CTL_ERROR)
		return malformed(out, "unknown type");
	if (mlen < CTL_HDRLEN)
		return malformed(out, "bad length");
	if (mlen > (s != NULL ? CTL_MAXREQ : CTL_MAXREPLY))
		return malformed(out, "message too large");
	if (len < mlen)
		return CTL_INCOMPLETE;
	if (s != NULL) {
		if (decode_request(s, buf + CTL_HDRLEN, mlen - CTL_HDRLEN,
		    out) != CTL_COMPLETE)
			return CTL_MALFORMED;
	} else if (decode_reply(buf + CTL_HDRLEN, mlen - CTL_HDRLEN,
	    out) != CTL_COMPLETE)
		return CTL_MALFORMED;
	*consumed = mlen;
	return CTL_COMPLETE;
}

static uint8_t *
new_msg(size_t len, uint16_t type, uint16_t flags, uint32_t id)
{
	uint8_t	*p;

	if ((p = malloc(len)) == NULL)
		return NULL;
	put32(p, (uint32_t)len);
	put16(p + 4, type);
	put16(p + 6, flags);
	put32(p + 8, id);
	return p;
}

/*
 * Encode a request; the result is malloc'd, its length in *lenp.  NULL
 * with errno EINVAL when the arguments do not fit the type, EMSGSIZE
 * when the message would be too large.  The result always decodes.
 */
uint8_t *
ctl_encode_request(uint16_t type, uint16_t flags, uint32_t id, size_t nargs,
    const char *const *args, size_t *lenp)
{
	const struct ctl_cmd	*s;
	struct ctl_msg		 m;
	uint8_t			*p;
	size_t			 i, len = CTL_HDRLEN, n, used;

	if ((s = ctl_cmd_type(type)) == NULL || nargs < s->minargs ||
	    nargs > s->maxargs || (flags & ~s->wflags) != 0) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < nargs; i++) {
		if ((n = strlen(args[i])) > CTL_MAXREQ) {
			errno = EMSGSIZE;
			return NULL;
		}
		len += n + 1;
	}
	if (len > CTL_MAXREQ) {
		errno = EMSGSIZE;
		return NULL;
	}
	if ((p = new_msg(len, type, flags, id)) == NULL)
		return NULL;
	for (i = 0, used = CTL_HDRLEN; i < nargs; i++) {
		n = strlen(args[i]) + 1;
		memcpy(p + used, args[i], n);
		used += n;
	}
	if (ctl_decode(p, len, &m, &used) != CTL_COMPLETE) {
		free(p);
		errno = EINVAL;
		return NULL;
	}
	*lenp = len;
	return p;
}

/*
 * Encode a reply: CTL_OK with status 0 and any text, or CTL_ERROR with a
 * non-zero status and a one-line text.  NULL with errno as above.
 */
uint8_t *
ctl_encode_reply(uint16_t type, uint32_t id, uint32_t status,
    const char *text, size_t textlen, size_t *lenp)
{
	struct ctl_msg	 m;
	uint8_t		*p;
	size_t		 len, used;

	if (type != CTL_OK && type != CTL_ERROR) {
		errno = EINVAL;
		return NULL;
	}
	if (textlen > CTL_MAXREPLY - CTL_HDRLEN - 5) {
		errno = EMSGSIZE;
		return NULL;
	}
	len = CTL_HDRLEN + 4 + textlen + 1;
	if ((p = new_msg(len, type, 0, id)) == NULL)
		return NULL;
	put32(p + CTL_HDRLEN, status);
	if (textlen > 0)
		memcpy(p + CTL_HDRLEN + 4, text, textlen);
	p[len - 1] = '\0';
	if (ctl_decode(p, len, &m, &used) != CTL_COMPLETE) {
		free(p);
		errno = EINVAL;
		return NULL;
	}
	*lenp = len;
	return p;
}

void
ctl_reader_init(struct ctl_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

void
ctl_reader_free(struct ctl_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/*
 * Append bytes.  At most twice the largest message may wait unread:
 * -1 with EMSGSIZE beyond that (or ENOMEM), else 0.
 */
int
ctl_reader_feed(struct ctl_reader *r, const void *data, size_t n)
{
	uint8_t	*nb;
	size_t	 ncap;

	if (r->off > 0) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (n > 2 * r->max || r->len > 2 * r->max - n) {
		errno = EMSGSIZE;
		return -1;
	}
	if (r->len + n > r->cap) {
		ncap = r->cap ? r->cap : 4096;
		while (ncap < r->len + n)
			ncap *= 2;
		if ((nb = realloc(r->buf, ncap)) == NULL)
			return -1;
		r->buf = nb;
		r->cap = ncap;
	}
	if (n > 0)
		memcpy(r->buf + r->len, data, n);
	r->len += n;
	return 0;
}

/*
 * Read what the socket has (one read of up to 64 KiB): the number of
 * bytes, 0 at EOF, -1 on error (EAGAIN included: try again later).
 */
ssize_t
ctl_reader_fill(struct ctl_reader *r, int fd)
{
	uint8_t	 chunk[65536];
	ssize_t	 n;

	do {
		n = read(fd, chunk, sizeof(chunk));
	} while (n == -1 && errno == EINTR);
	if (n > 0 && ctl_reader_feed(r, chunk, (size_t)n) == -1)
		return -1;
	return n;
}

/*
 * The next complete message, if any.  Its strings live in the reader's
 * buffer until the next feed.  Once malformed, always malformed.
 */
int
ctl_reader_next(struct ctl_reader *r, struct ctl_msg *m)
{
	size_t	 used;
	int	 rv;

	memset(m, 0, sizeof(*m));
	if (r->broken)
		return malformed(m, "stream broken");
	if (r->len - r->off < CTL_HDRLEN)
		return CTL_INCOMPLETE;
	{
		uint32_t mlen = get32(r->buf + r->off);

		if (mlen > r->max) {
			r->broken = 1;
			return malformed(m, "message too large");
		}
	}
	rv = ctl_decode(r->buf + r->off, r->len - r->off, m, &used);
	if (rv == CTL_MALFORMED)
		r->broken = 1;
	else if (rv == CTL_COMPLETE)
		r->off += used;
	return rv;
}
