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
 * The agent channel's lines, parsed (agentline.h): what a VM's agent
 * says to kubsd-netd, and the bundle framing netd/gwvm.c sends a gateway
 * VM's agent:
 *	bundle begin
 *	file NAME MODE		NAME plain, MODE octal; then its lines:
 *	+LINE
 *	bundle end		the files replace the running bundle
 * A key in it is "KW = <credential NAME>" (netd/bundle.h), which the
 * guest's agent replaces with the credential's contents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentline.h"

#define NAMECHARS	"abcdefghijklmnopqrstuvwxyz0123456789._-"
#define CRED_PREFIX	"kubsd.wg."
#define CRED_OPEN	" = <credential "

/*
 * The complete lines of buf (len bytes, cap its size), each to fn as a
 * string; what is left of a line moves to the front: its length.  A
 * line that fills buf is dropped.
 */
size_t
agent_lines(char *buf, size_t len, size_t cap, void (*fn)(void *, char *),
    void *arg)
{
	char	*nl, *p = buf;

	while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL) {
		*nl = '\0';
		fn(arg, p);
		p = nl + 1;
	}
	len -= (size_t)(p - buf);
	memmove(buf, p, len);
	if (len >= cap - 1)
		len = 0;
	buf[len] = '\0';
	return len;
}

static int
word(const char *line, const char *w, const char **arg)
{
	size_t	 n = strlen(w);

	if (strncmp(line, w, n) != 0 || (line[n] != '\0' && line[n] != ' '))
		return 0;
	*arg = line[n] == ' ' ? line + n + 1 : line + n;
	return 1;
}

enum agent_kind
agent_line_kind(const char *line, const char **arg)
{
	*arg = "";
	if (word(line, "ready", arg))
		return AL_READY;
	if (word(line, "state", arg))
		return AL_STATE;
	if (word(line, "status", arg))
		return AL_STATUS;
	if (strcmp(line, "hello") == 0)
		return AL_HELLO;
	return AL_OTHER;
}

/*
 * A gateway's status line into out, printable (a control or non-ASCII
 * byte becomes '?'), and what it says.
 */
enum gw_state
gw_status_clean(const char *in, char *out, size_t len)
{
	static const char *const	 first[] = {
		"ready", "starting", "down", "error"
	};
	const char			*arg;
	size_t				 i;

	for (i = 0; in[i] != '\0' && i + 1 < len; i++)
		out[i] = (unsigned char)in[i] < ' ' ||
		    (unsigned char)in[i] > '~' ? '?' : in[i];
	if (len > 0)
		out[i] = '\0';
	if (strcmp(out, "ready") == 0)
		return GS_READY;
	for (i = 1; i < sizeof(first) / sizeof(first[0]); i++)
		if (word(out, first[i], &arg))
			return (enum gw_state)i;
	return GS_BAD;
}

/* A bundle's file name: plain, no path, not hidden. */
int
frame_name_ok(const char *s)
{
	size_t	 n = strlen(s);

	return n > 0 && n < sizeof(((struct frame *)0)->name) && s[0] != '.' &&
	    strspn(s, NAMECHARS) == n;
}

/* "NAME MODE" of a file line. */
static int
file_args(const char *args, struct frame *f)
{
	const char	*sp;
	char		*end;
	unsigned long	 mode;

	if ((sp = strchr(args, ' ')) == NULL ||
	    (size_t)(sp - args) >= sizeof(f->name))
		return -1;
	memcpy(f->name, args, (size_t)(sp - args));
	f->name[sp - args] = '\0';
	if (!frame_name_ok(f->name) || sp[1] < '0' || sp[1] > '7')
		return -1;
	mode = strtoul(sp + 1, &end, 8);
	if (*end != '\0' || mode > 07777)
		return -1;
	f->mode = (unsigned int)mode & 0644;
	return 0;
}

void
frame_line(const char *line, struct frame *f)
{
	memset(f, 0, sizeof(*f));
	if (strcmp(line, "bundle begin") == 0)
		f->kind = FR_BEGIN;
	else if (strcmp(line, "bundle end") == 0)
		f->kind = FR_END;
	else if (line[0] == '+') {
		f->kind = FR_DATA;
		f->data = line + 1;
	} else if (strncmp(line, "file ", 5) == 0)
		f->kind = file_args(line + 5, f) == 0 ? FR_FILE : FR_BAD;
	else
		f->kind = FR_NONE;
}

/*
 * A data line "KW = <credential NAME>" (NAME one of kubsd.wg.*): 1 and
 * KW and NAME copied out; 0: an ordinary line.
 */
int
frame_cred(const char *data, char *kw, size_t kwlen, char *name,
    size_t namelen)
{
	const char	*o, *n, *e;

	if ((o = strstr(data, CRED_OPEN)) == NULL || o == data ||
	    (size_t)(o - data) >= kwlen ||
	    strspn(data, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
	    != (size_t)(o - data))
		return 0;
	n = o + strlen(CRED_OPEN);
	if ((e = strchr(n, '>')) == NULL || e[1] != '\0' ||
	    (size_t)(e - n) >= namelen ||
	    strncmp(n, CRED_PREFIX, strlen(CRED_PREFIX)) != 0 ||
	    strspn(n, NAMECHARS) != (size_t)(e - n))
		return 0;
	memcpy(kw, data, (size_t)(o - data));
	kw[o - data] = '\0';
	memcpy(name, n, (size_t)(e - n));
	name[e - n] = '\0';
	return 1;
}
