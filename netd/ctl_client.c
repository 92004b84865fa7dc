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
 * The client's side of the control socket: blocking, one request at a
 * time, as kubsd-net and the tests use it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "kubsd.h"

/* Connect to the daemon at path: the fd, or -1 with errno. */
int
ctl_connect(const char *path)
{
	return sock_connect(path);
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Send one request and wait for its reply, decoded into *rep (its text
 * lives in rd, which must have been initialized with CTL_MAXREPLY).
 * 0, or -1 with errno: EPROTO for a malformed, mismatched or missing
 * reply, EINVAL/EMSGSIZE for a request that cannot be encoded.
 */
int
ctl_request(int fd, uint16_t type, uint16_t flags, size_t nargs,
    const char *const *args, struct ctl_reader *rd, struct ctl_msg *rep)
{
	static uint32_t	 nextid;
	uint8_t		*req;
	size_t		 len;
	uint32_t	 id = ++nextid;
	ssize_t		 n;
	int		 rv;

	if ((req = ctl_encode_request(type, flags, id, nargs, args,
	    &len)) == NULL)
		return -1;
	rv = write_all(fd, req, len);
	free(req);
	if (rv == -1)
		return -1;
	while ((rv = ctl_reader_next(rd, rep)) == CTL_INCOMPLETE) {
		if ((n = ctl_reader_fill(rd, fd)) == -1)
			return -1;
		if (n == 0) {
			errno = EPROTO;
			return -1;
		}
	}
	if (rv == CTL_MALFORMED || ctl_is_request(rep->type) ||
	    rep->id != id) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}
