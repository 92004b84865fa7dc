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

/* Is a kubsd-guest alive?  Its pid file, checked against /proc. */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"

/*
 * The pid in DIR/guest.pid if it is a live kubsd-guest other than the
 * caller, else 0 (kubsd-netd and kubsd-guest both ask).
 */
pid_t
pidfile_running(const char *dir)
{
	char	 path[4096], cmd[512];
	FILE	*fp;
	long	 pid = 0;
	size_t	 n;

	snprintf(path, sizeof(path), "%s/guest.pid", dir);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(fp, "%ld", &pid) != 1 || pid <= 1 || pid == getpid())
		pid = 0;
	fclose(fp);
	if (pid == 0)
		return 0;
	/* A pid file outlives a reboot; the pid may be someone else's. */
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(cmd, 1, sizeof(cmd) - 1, fp);
	fclose(fp);
	cmd[n] = '\0';
	return strstr(cmd, "kubsd-guest") != NULL ? (pid_t)pid : 0;
}
