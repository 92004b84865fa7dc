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
 * kubsd-net leaktest, the probes of a QEMU VM: lt_run()'s child has the
 * VM's agent run "kubsd-guest probe" over the VM's exec socket (the
 * channel of kubsd-vm run: a command line in, "LEN CODE\n" and LEN
 * bytes of output back), one word per probe (probe_wire.c), and reports
 * each result line as the compartment's prober reports its own.  What
 * comes back is the VM's word and the VM is not trusted: it says what
 * it sent, never where anything was seen (only the host's captures say
 * that), and what it says is read strictly.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leaktest.h"

#define LT_CMDMAX	4000		/* the agent reads lines of 8 KB */
#define LT_OUTMAX	(64 * 1024)	/* of the prober's output */

void
lt_report(int wfd, uint32_t idx, enum probe_result r, const char *err)
{
	struct lt_report	 rep;

	memset(&rep, 0, sizeof(rep));
	rep.idx = idx;
	rep.result = (int32_t)r;
	snprintf(rep.err, sizeof(rep.err), "%s", err);
	if (write(wfd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		_exit(1);
}

static __attribute__((noreturn)) void
vm_fail(const struct leaktest *lt, int wfd, const char *what,
    const char *why)
{
	char	 e[256];

	snprintf(e, sizeof(e), "vm %s: %s: %s", lt->vm, what, why);
	lt_report(wfd, UINT32_MAX, PROBE_ERROR, e);
	_exit(1);
}

/* "kubsd-guest probe -m MAC -w MS WORD...\n": its length, or 0. */
static size_t
vm_command(const struct leaktest *lt, char *buf, size_t len)
{
	const uint8_t	*m = lt->vmmac;
	size_t		 i, o;
	int		 n;

	n = snprintf(buf, len, "kubsd-guest probe -m "
	    "%02x:%02x:%02x:%02x:%02x:%02x -w %d", m[0], m[1], m[2], m[3],
	    m[4], m[5], lt->waitms);
	if (n < 0 || (size_t)n >= len)
		return 0;
	o = (size_t)n;
	for (i = 0; i < lt->nprobes; i++) {
		if (o + PROBE_WORDMAX + 2 > len)
			return 0;
		buf[o++] = ' ';
		if ((n = probe_spec_fmt(&lt->probes[i].s, buf + o,
		    len - o)) < 0)
			return 0;
		o += (size_t)n;
	}
	buf[o++] = '\n';
	return o;
}

static int
read_full(int fd, char *buf, size_t len)
{
	ssize_t	 r;
	size_t	 got = 0;

	while (got < len) {
		if ((r = read(fd, buf + got, len - got)) == -1 &&
		    errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* The agent's answer: its output (NUL-ended) and exit code; 0 or -1. */
static int
vm_answer(int fd, char *out, size_t max, int *code)
{
	char	 hdr[64], c;
	size_t	 i, len;

	for (i = 0; i < sizeof(hdr) - 1; i++) {
		if (read_full(fd, &c, 1) == -1)
			return -1;
		if ((hdr[i] = c) == '\n')
			break;
	}
	hdr[i] = '\0';
	if (sscanf(hdr, "%zu %d", &len, code) != 2 || len >= max ||
	    read_full(fd, out, len) == -1)
		return -1;
	out[len] = '\0';
	return 0;
}

/*
 * Each result line to the parent, once per probe; what else the VM
 * said (its first other line) goes with a failed exit.
 */
static void
vm_results(const struct leaktest *lt, int wfd, char *out, int code)
{
	enum probe_result	 r;
	char			 msg[256], other[160] = "", *line, *next;
	char			 done[LT_MAXPROBE];
	size_t			 i;

	memset(done, 0, sizeof(done));
	for (line = out; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (probe_result_parse(line, &i, &r, msg, sizeof(msg)) == 0 &&
		    i < lt->nprobes && !done[i]) {
			done[i] = 1;
			lt_report(wfd, (uint32_t)i, r, msg);
		} else if (other[0] == '\0' && *line != '\0')
			snprintf(other, sizeof(other), "%.*s",
			    (int)sizeof(other) - 1, line);
	}
	if (code != 0)
		vm_fail(lt, wfd, "kubsd-guest probe", other[0] != '\0' ? other :
		    "failed");
	for (i = 0; i < lt->nprobes; i++)
		if (!done[i])
			lt_report(wfd, (uint32_t)i, PROBE_ERROR, "no result "
			    "from the vm");
}

void
lt_vmprober(const struct leaktest *lt, int wfd)
{
	static char	 cmd[LT_CMDMAX], out[LT_OUTMAX];
	size_t		 len;
	int		 fd, code;

	if ((len = vm_command(lt, cmd, sizeof(cmd))) == 0)
		vm_fail(lt, wfd, "probes", "too many for one command line");
	if ((fd = sock_connect(lt->exec)) == -1)
		vm_fail(lt, wfd, lt->exec, strerror(errno));
	if (write(fd, cmd, len) != (ssize_t)len)
		vm_fail(lt, wfd, lt->exec, strerror(errno));
	if (vm_answer(fd, out, sizeof(out), &code) == -1)
		vm_fail(lt, wfd, "its agent", "no answer");
	close(fd);
	vm_results(lt, wfd, out, code);
	_exit(0);
}
