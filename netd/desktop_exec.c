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
 * A .desktop file's Exec (the Desktop Entry Specification's rules):
 * words split at spaces, "double quoted" words with \" \` \$ \\, and
 * field codes.  A template's program runs in its VM, where the host's
 * files and URLs are not: a word with a field code (%f %F %u %U, %i %c
 * %k and the deprecated ones) is dropped whole, and %% is a "%".  The
 * host's Exec runs kubsd-vm run -X VM and the program's words, each
 * quoted for the VM's shell (kubsd-vm run passes a command line).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "menu.h"
#include "vm.h"

static int __attribute__((format(printf, 3, 4)))
xerr(char *err, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* One word at *pp into out; *code: it had a field code. */
static int
word(const char **pp, char *out, size_t *o, size_t len, int *code,
    char *err, size_t errlen)
{
	const char	*p = *pp;
	int		 q = *p == '"', closed = 0;

	*code = 0;
	for (p += q; *p != '\0' && (q || *p != ' '); p++) {
		if (q && *p == '"') {
			closed = 1;
			p++;
			break;
		}
		if (q && *p == '\\') {
			if (p[1] == '\0' || strchr("\"`$\\", p[1]) == NULL)
				return xerr(err, errlen, "Exec: a backslash "
				    "before '%c' in quotes", p[1] ? p[1] : ' ');
			p++;
		} else if (!q && *p == '"')
			return xerr(err, errlen, "Exec: a quote inside a "
			    "word");
		else if (*p == '%') {
			if (p[1] != '\0' && strchr("fFuUdDnNickvm", p[1])) {
				*code = 1;
				p++;
				continue;
			}
			if (p[1] != '%')
				return xerr(err, errlen, "Exec: unknown field "
				    "code %%%c", p[1] ? p[1] : ' ');
			p++;
		}
		if (*o + 1 >= len)
			return xerr(err, errlen, "Exec is too long");
		out[(*o)++] = *p;
	}
	if (q && !closed)
		return xerr(err, errlen, "Exec: an unclosed quote");
	if (*p != '\0' && *p != ' ')
		return xerr(err, errlen, "Exec: no space after a quote");
	if (*o + 1 > len)
		return xerr(err, errlen, "Exec is too long");
	out[(*o)++] = '\0';
	*pp = p;
	return 0;
}

/* Exec's words into argv (pointing into store); their number, or -1. */
int
desktop_exec_split(const char *exec, char *store, size_t len, char **argv,
    size_t max, char *err, size_t errlen)
{
	const char	*p = exec;
	size_t		 o = 0, start, n = 0;
	int		 code;

	while (*p != '\0') {
		if (*p == ' ') {
			p++;
			continue;
		}
		start = o;
		if (word(&p, store, &o, len, &code, err, errlen) == -1)
			return -1;
		if (code) {
			o = start;
			continue;
		}
		if (n + 1 >= max)
			return xerr(err, errlen, "Exec has more than %zu "
			    "words", max - 1);
		argv[n++] = store + start;
	}
	argv[n] = NULL;
	if (n == 0 || argv[0][0] == '\0')
		return xerr(err, errlen, "Exec names no program");
	return (int)n;
}

static int
put(char *out, size_t len, size_t *o, const char *s, size_t n)
{
	if (*o + n >= len)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

/* s quoted for the VM's shell, when it needs it, into buf. */
static const char *
shquote(const char *s, char *buf, size_t len)
{
	if (s[0] != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == strlen(s))
		return s;
	return sh_quote(buf, len, s) == -1 ? NULL : buf;
}

/* One host word as Exec wants it (quoted if it must be, %% for %),
 * then escaped as a string value (\\ for \). */
static int
exec_word(char *out, size_t len, size_t *o, const char *w)
{
	char	 e[2048];
	size_t	 n = 0;
	int	 q = w[0] == '\0' || strpbrk(w, " \t\n\"'\\><~|&;$*?#()`") !=
		    NULL;

	if (q && put(e, sizeof(e), &n, "\"", 1) == -1)
		return -1;
	for (; *w != '\0'; w++)
		if ((q && strchr("\"`$\\", *w) != NULL &&
		    put(e, sizeof(e), &n, "\\", 1) == -1) ||
		    (*w == '%' && put(e, sizeof(e), &n, "%", 1) == -1) ||
		    put(e, sizeof(e), &n, w, 1) == -1)
			return -1;
	if (q && put(e, sizeof(e), &n, "\"", 1) == -1)
		return -1;
	if (*o > 0 && put(out, len, o, " ", 1) == -1)
		return -1;
	for (w = e; *w != '\0'; w++)
		if ((*w == '\\' ? put(out, len, o, "\\\\", 2) :
		    put(out, len, o, w, 1)) == -1)
			return -1;
	return 0;
}

/*
 * The host entry's Exec value (escaped for the file): the words of pre
 * (kubsd-vm ... run -X VM) as they are, then the guest's words quoted
 * for its shell.  0, or -1 when it does not fit.
 */
int
desktop_exec_host(char *out, size_t len, char *const *pre, size_t npre,
    char *const *guest, size_t nguest)
{
	char		 buf[2048];
	const char	*w;
	size_t		 o = 0, i;

	if (len == 0)
		return -1;
	out[0] = '\0';
	for (i = 0; i < npre; i++)
		if (exec_word(out, len, &o, pre[i]) == -1)
			return -1;
	for (i = 0; i < nguest; i++)
		if ((w = shquote(guest[i], buf, sizeof(buf))) == NULL ||
		    exec_word(out, len, &o, w) == -1)
			return -1;
	return 0;
}
