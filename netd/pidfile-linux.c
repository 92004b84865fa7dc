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

/*
 * When process pid started, in clock ticks since boot (field 22 of
 * /proc/PID/stat): with the pid, it names one process for good, so a
 * status written by a guest that has since died (its pid reused or
 * not) is never taken for the live one's.  0: no such process.
 */
unsigned long long
proc_starttime(pid_t pid)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 start = 0;
	FILE			*fp;
	size_t			 n;
	int			 field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* after the command's ")": the state is field 3 */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	return start;
}
