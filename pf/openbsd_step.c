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
 * The OpenBSD host plan as a list of steps (openbsd.h): file steps, then
 * command steps, in the order kubsd-netd carries them out.  Printed, a
 * file step is a section "==> HEAD <==" and its text; the command steps
 * are the lines of the last section, "commands", each as sh(1) would
 * read it (kubsd-netd runs no shell: the words are the argv).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "log.h"
#include "rules.h"
#include "openbsd.h"

#define OBSD_MAXARGS	64

static struct obsd_step *
plan_add(struct obsd_plan *p, enum obsd_op op)
{
	struct obsd_step	*s;

	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	s = &p->v[p->n++];
	memset(s, 0, sizeof(*s));
	s->op = op;
	return s;
}

/* text is the plan's from now on. */
void
obsd_plan_file(struct obsd_plan *p, const char *head, const char *path,
    char *text)
{
	struct obsd_step	*s = plan_add(p, OBSD_FILE);

	s->head = xstrdup(head);
	s->path = path != NULL ? xstrdup(path) : NULL;
	s->text = text;
}

void
obsd_plan_note(struct obsd_plan *p, char *line)
{
	plan_add(p, OBSD_NOTE)->text = line;
}

static struct obsd_step *
plan_argv(struct obsd_plan *p, char **w, size_t n)
{
	struct obsd_step	*s = plan_add(p, OBSD_RUN);
	size_t			 i;

	s->argv = xcalloc(n + 1, sizeof(*s->argv));
	for (i = 0; i < n; i++)
		s->argv[i] = xstrdup(w[i]);
	return s;
}

/* prog and its arguments, up to a NULL. */
struct obsd_step *
obsd_plan_run(struct obsd_plan *p, const char *prog, ...)
{
	char		*w[OBSD_MAXARGS];
	const char	*a;
	size_t		 n = 0;
	va_list		 ap;

	w[n++] = (char *)prog;
	va_start(ap, prog);
	while ((a = va_arg(ap, const char *)) != NULL && n < OBSD_MAXARGS)
		w[n++] = (char *)a;
	va_end(ap);
	return plan_argv(p, w, n);
}

/*
 * "prog arg LINE" for each line of text: a hostname.if(5) file's lines
 * as netstart(8) passes them to ifconfig, words split at blanks, a
 * "quoted word" one word, an inet line's mask named (hn_words).
 */
/*
 * netstart(8)'s reading of "inet ADDR MASK" and "inet6 ADDR PREFIXLEN":
 * a second word after the address is named, or ifconfig would take it
 * for a destination (broadcast) address.
 */
static char **
hn_words(char **w, size_t *n, char **out)
{
	const char	*name = NULL;
	size_t		 i, k = 0;

	if (*n >= 5 && strcmp(w[2], "inet") == 0)
		name = "netmask";
	else if (*n >= 5 && strcmp(w[2], "inet6") == 0)
		name = "prefixlen";
	if (name == NULL)
		return w;
	for (i = 0; i < *n && k + 1 < OBSD_MAXARGS; i++) {
		if (i == 4)
			out[k++] = (char *)name;
		out[k++] = w[i];
	}
	*n = k;
	return out;
}

static void
plan_words(struct obsd_plan *p, const char *prog, const char *arg,
    char *q)
{
	char	*w[OBSD_MAXARGS], *nw[OBSD_MAXARGS], **wp;
	size_t	 n = 0;

	w[n++] = (char *)prog;
	w[n++] = (char *)arg;
	while (*q != '\0' && n < OBSD_MAXARGS) {
		q += strspn(q, " \t");
		if (*q == '\0')
			break;
		if (*q == '"') {
			w[n++] = ++q;
			q += strcspn(q, "\"");
		} else {
			w[n++] = q;
			q += strcspn(q, " \t");
		}
		if (*q != '\0')
			*q++ = '\0';
	}
	if (n > 2) {
		wp = hn_words(w, &n, nw);
		plan_argv(p, wp, n);
	}
}

void
obsd_plan_lines(struct obsd_plan *p, const char *prog, const char *arg,
    const char *text)
{
	char	*buf = xstrdup(text), *line, *next;

	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		plan_words(p, prog, arg, line);
	}
	free(buf);
}

/* A memory stream for a file step's text; fatal if there is no memory. */
FILE *
obsd_text_open(char **buf, size_t *len)
{
	FILE	*f;

	if ((f = open_memstream(buf, len)) == NULL)
		fatal("open_memstream");
	return f;
}

/* One word as sh(1) reads it back: quoted when it is more than a word. */
static void
put_word(FILE *f, const char *w)
{
	if (*w != '\0' && strspn(w, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+@%-") == strlen(w))
		fputs(w, f);
	else
		fprintf(f, "\"%s\"", w);
}

/* A command step's line in "commands", without its newline. */
void
obsd_step_line(FILE *f, const struct obsd_step *s)
{
	size_t	 i;

	if (s->op == OBSD_NOTE) {
		fputs(s->text, f);
		return;
	}
	if (s->op != OBSD_RUN)
		return;
	if (s->guard != NULL)
		fprintf(f, "test -f %s || ", s->guard);
	for (i = 0; s->argv[i] != NULL; i++) {
		if (i > 0)
			fputc(' ', f);
		put_word(f, s->argv[i]);
	}
	if (s->comment != NULL)
		fprintf(f, "\t# %s", s->comment);
	else if (s->byhand)
		fprintf(f, "\t# %s", OBSD_BYHAND);
}

void
obsd_plan_print(FILE *f, const struct obsd_plan *p)
{
	size_t	 i;
	int	 cmds = 0;

	for (i = 0; i < p->n; i++) {
		if (p->v[i].op == OBSD_FILE) {
			fprintf(f, "\n==> %s <==\n%s", p->v[i].head,
			    p->v[i].text);
			cmds = 0;
			continue;
		}
		if (!cmds++)
			fprintf(f, "\n==> commands <==\n");
		obsd_step_line(f, &p->v[i]);
		fputc('\n', f);
	}
}

void
obsd_plan_free(struct obsd_plan *p)
{
	struct obsd_step	*s;
	size_t			 i, k;

	for (i = 0; i < p->n; i++) {
		s = &p->v[i];
		free(s->head);
		free(s->path);
		free(s->text);
		free(s->guard);
		for (k = 0; s->argv != NULL && s->argv[k] != NULL; k++)
			free(s->argv[k]);
		free(s->argv);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}
