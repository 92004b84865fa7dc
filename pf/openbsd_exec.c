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
 * kubsd-netd's OpenBSD backend: a plan's steps carried out in order,
 * nothing else.  A file step writes its file whole (a temporary file
 * renamed over it); a command step is fork(2) and execv(2) of the
 * program with the step's argument vector, no shell, its exit status
 * waited for.  Steps by hand are the user's, never run here.  The first
 * failure stops the plan with one log line naming the step; the steps
 * that ran are marked done and, with a record file, appended to it as
 * their printed lines, so a teardown undoes exactly what ran.
 *
 * Plain POSIX: it builds and is tested on Linux, against stub programs
 * in a directory given as bindir (regress/obsd).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "log.h"
#include "rules.h"
#include "openbsd.h"

/* The programs a plan may run, where OpenBSD installs them. */
static const struct {
	const char	*name, *dir;
} progs[] = {
	{ "ifconfig", "/sbin" }, { "pfctl", "/sbin" },
	{ "vmctl", "/usr/sbin" }, { "rcctl", "/usr/sbin" },
	{ "makefs", "/usr/sbin" }, { "mkdir", "/bin" }, { "rm", "/bin" },
};

static int
prog_path(const struct obsd_exec *x, const char *name, char *buf,
    size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (strcmp(progs[i].name, name) == 0) {
			snprintf(buf, len, "%s/%s", x->bindir != NULL ?
			    x->bindir : progs[i].dir, name);
			return 0;
		}
	return -1;
}

/* The step's printed line, for the log and the record. */
static char *
step_text(const struct obsd_step *s)
{
	char	*buf;
	size_t	 len;
	FILE	*f = obsd_text_open(&buf, &len);

	if (s->op == OBSD_FILE)
		fprintf(f, "write %s", s->path);
	else
		obsd_step_line(f, s);
	fclose(f);
	return buf;
}

static void
where(const struct obsd_exec *x, const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", x->root != NULL ? x->root : "", path);
}

/* Each missing directory above path, as mkdir -p would. */
static int
make_parents(char *path)
{
	char	*p;

	for (p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

static int
write_file(const struct obsd_exec *x, const struct obsd_step *s)
{
	char	 path[1200], tmp[1300];
	FILE	*f;

	where(x, s->path, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.kubsd-new", path);
	if (make_parents(path) == -1 || (f = fopen(tmp, "w")) == NULL)
		return -1;
	if (fputs(s->text, f) == EOF) {
		fclose(f);
		remove(tmp);
		return -1;
	}
	if (fclose(f) == EOF || rename(tmp, path) == -1) {
		remove(tmp);
		return -1;
	}
	return 0;
}

/* 0: it ran and exited 0; else -1 with why in buf. */
static int
run(const struct obsd_exec *x, const struct obsd_step *s, char *why,
    size_t len)
{
	char		 path[1024];
	struct stat	 st;
	pid_t		 pid;
	int		 status;

	if (s->guard != NULL) {
		where(x, s->guard, path, sizeof(path));
		if (stat(path, &st) == 0)
			return 0;
	}
	if (prog_path(x, s->argv[0], path, sizeof(path)) == -1) {
		snprintf(why, len, "not a program of the plan");
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execv(path, s->argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			snprintf(why, len, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(why, len, "exit %d", WEXITSTATUS(status));
	else
		snprintf(why, len, "signal %d", WTERMSIG(status));
	return -1;
}

static void
record(const struct obsd_exec *x, const char *line)
{
	FILE	*f;

	if (x->record == NULL)
		return;
	if ((f = fopen(x->record, "a")) == NULL) {
		log_warn("%s", x->record);
		return;
	}
	fprintf(f, "%s\n", line);
	fclose(f);
}

int
obsd_exec(struct obsd_plan *p, struct obsd_exec *x)
{
	struct obsd_step	*s;
	char			 why[256], *line;
	size_t			 i;
	int			 rv;

	for (i = 0; i < p->n; i++) {
		s = &p->v[i];
		if (s->op == OBSD_NOTE || s->byhand ||
		    (s->op == OBSD_FILE && s->path == NULL) ||
		    (s->boot && x->reload))
			continue;
		line = step_text(s);
		if (s->op == OBSD_FILE) {
			if ((rv = write_file(x, s)) == -1)
				snprintf(why, sizeof(why), "%s",
				    strerror(errno));
		} else
			rv = run(x, s, why, sizeof(why));
		if (rv == -1) {
			snprintf(x->error, sizeof(x->error), "openbsd plan "
			    "step %zu, \"%s\": %s; stopped", i + 1, line, why);
			log_warnx("%s", x->error);
			free(line);
			return -1;
		}
		s->done = 1;
		record(x, line);
		free(line);
	}
	return 0;
}

/* The step that undoes s, if s made something: in ran, steps undone
 * are those marked done, newest first, each object once. */
static void
undo_step(struct obsd_plan *u, const struct obsd_step *s)
{
	const char	*a0 = s->argv[0], *a1 = s->argv[1];
	size_t		 i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->v[i].argv[0], a0) == 0 &&
		    strcmp(u->v[i].argv[1], a1) == 0 &&
		    strcmp(a0, "pfctl") != 0)
			return;
	if (strcmp(a0, "ifconfig") == 0)
		obsd_plan_run(u, "ifconfig", a1, "destroy", NULL);
	else if (strcmp(a0, "pfctl") == 0 && strcmp(a1, "-a") == 0)
		obsd_plan_run(u, "pfctl", "-a", s->argv[2], "-F", "rules",
		    NULL);
	else if (strcmp(a0, "vmctl") == 0 && strcmp(a1, "start") == 0)
		obsd_plan_run(u, "vmctl", "stop", "-w", s->argv[2], NULL);
}

/*
 * Teardown of what ran: VMs stopped, anchors flushed, interfaces
 * destroyed (vebs first: the newest created), in reverse order.
 */
void
obsd_plan_undo(struct obsd_plan *u, const struct obsd_plan *ran)
{
	size_t	 i;

	for (i = ran->n; i-- > 0; )
		if (ran->v[i].op == OBSD_RUN && ran->v[i].done &&
		    ran->v[i].argv[1] != NULL)
			undo_step(u, &ran->v[i]);
}
