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
 * A minimal QMP client: one command per connection, blocking with a
 * short timeout (QEMU answers at once or is stuck, and then a stop
 * falls back to a kill).  Lines are JSON: the greeting, events
 * ({"event":...}) and the reply ({"return":...} or {"error":...}).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "vm.h"

#define QMP_TIMEOUT_S	2
#define QMP_LINE	4096

/*
 * One line from QEMU: 1 a success reply, -1 an error reply (its
 * description in err), 0 anything else (greeting, event), -2 not QMP.
 */
int
qmp_reply_parse(const char *line, size_t len, char *err, size_t errlen)
{
	json_t		*o, *e, *d;
	json_error_t	 je;
	int		 rv = 0;

	if ((o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(o)) {
		snprintf(err, errlen, "qmp: not json: %s", je.text);
		json_decref(o);
		return -2;
	}
	if (json_object_get(o, "return") != NULL)
		rv = 1;
	else if ((e = json_object_get(o, "error")) != NULL) {
		d = json_is_object(e) ? json_object_get(e, "desc") : NULL;
		snprintf(err, errlen, "qmp: %s", json_is_string(d) ?
		    json_string_value(d) : "error without a description");
		rv = -1;
	} else if (json_object_get(o, "QMP") == NULL &&
	    !json_is_string(json_object_get(o, "event"))) {
		snprintf(err, errlen, "qmp: unexpected message");
		rv = -2;
	}
	json_decref(o);
	return rv;
}

static int
qmp_connect(const char *path)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { QMP_TIMEOUT_S, 0 };
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read until a reply (skipping the greeting and events). */
static int
qmp_wait(int fd, char *buf, size_t *len, char *err, size_t errlen)
{
	char	*nl;
	ssize_t	 r;
	int	 rv;

	for (;;) {
		while ((nl = memchr(buf, '\n', *len)) != NULL) {
			rv = qmp_reply_parse(buf, (size_t)(nl - buf), err,
			    errlen);
			*len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, *len);
			if (rv != 0)
				return rv == 1 ? 0 : -1;
		}
		if (*len == QMP_LINE) {
			snprintf(err, errlen, "qmp: line too long");
			return -1;
		}
		r = read(fd, buf + *len, QMP_LINE - *len);
		if (r <= 0) {
			snprintf(err, errlen, "qmp: %s", r == 0 ?
			    "connection closed" : strerror(errno));
			return -1;
		}
		*len += (size_t)r;
	}
}

static int
qmp_send(int fd, const char *cmd, char *buf, size_t *len, char *err,
    size_t errlen)
{
	char	 req[128];
	int	 n;

	n = snprintf(req, sizeof(req), "{\"execute\":\"%s\"}\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(req) ||
	    write(fd, req, (size_t)n) != n) {
		snprintf(err, errlen, "qmp: %s: cannot send", cmd);
		return -1;
	}
	return qmp_wait(fd, buf, len, err, errlen);
}

int
qmp_command(const char *sock, const char *cmd, char *err, size_t errlen)
{
	char	 buf[QMP_LINE];
	size_t	 len = 0;
	int	 fd, rv;

	if ((fd = qmp_connect(sock)) == -1) {
		snprintf(err, errlen, "qmp: %s: %s", sock, strerror(errno));
		return -1;
	}
	rv = qmp_send(fd, "qmp_capabilities", buf, &len, err, errlen);
	if (rv == 0)
		rv = qmp_send(fd, cmd, buf, &len, err, errlen);
	close(fd);
	return rv;
}
