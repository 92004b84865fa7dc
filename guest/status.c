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
 * BUNDLE/status (one line, replaced atomically) and BUNDLE/guest.pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "log.h"

static char	 current[KUBSD_STATUSLEN];
static pid_t	 writer;		/* the process that wrote current */

/* Replace DIR/NAME atomically (file.c). */
static int
write_atomic(const char *dir, const char *name, const char *text)
{
	char	 path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return file_replace(path, text, strlen(text), 0644, 0);
}

/*
 * Only changes are written (and logged).  The second line names the
 * writer, "pid PID START" (proc_starttime()): kubsd-netd believes a
 * status only from the guest that is running now.
 */
int
status_write(const char *dir, const char *fmt, ...)
{
	char	 line[KUBSD_STATUSLEN], text[KUBSD_STATUSLEN + 64];
	va_list	 ap;
	pid_t	 self = getpid();

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	line[strcspn(line, "\n")] = '\0';
	if (strcmp(line, current) == 0 && writer == self)
		return 0;
	snprintf(text, sizeof(text), "%s\npid %ld %llu\n", line, (long)self,
	    proc_starttime(self));
	if (write_atomic(dir, "status", text) == -1) {
		log_warn("%s/status", dir);
		return -1;
	}
	log_info("status %s", line);
	snprintf(current, sizeof(current), "%s", line);
	writer = self;
	return 0;
}

const char *
status_get(void)
{
	return current;
}

int
pidfile_write(const char *dir)
{
	char	 text[32];

	snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	return write_atomic(dir, "guest.pid", text);
}

void
pidfile_remove(const char *dir)
{
	char	 path[4096];

	snprintf(path, sizeof(path), "%s/guest.pid", dir);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("%s", path);
}

/* Is DIR still a bundle (has its bundle.conf)? */
int
bundle_exists(const char *dir)
{
	char	 path[4096];

	snprintf(path, sizeof(path), "%s/bundle.conf", dir);
	return access(path, F_OK) == 0;
}

