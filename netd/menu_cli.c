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
 * kubsd-vm menu install [VM ...] and menu remove [VM ...]: the menu
 * entries of the user who asks (under sudo(8), SUDO_USER), written in a
 * child process that has become that user, so that nothing in their
 * home is made or followed as root.  Install is idempotent: a VM's
 * entries become its template's applications, and entries of VMs no
 * longer in the configuration go.  Who installed what is kept (by
 * root, or by the user in group kubsd) in STATEDIR/menu/USER:
 *	datadir PATH		the user's $XDG_DATA_HOME
 *	vm NAME			one a line, or "vm *": every VM
 * and kubsd-vm template build refreshes the entries of every user
 * there (menu_refresh()) once it has built a template.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "kubsd.h"
#include "menu.h"

#define MENU_VMS	256

struct who {
	char	 name[64];
	uid_t	 uid;
	gid_t	 gid;
	char	 datadir[PATH_MAX];
	char	*vms[MENU_VMS];		/* the record's; "*": all */
	size_t	 nvms;
};

struct job {
	const struct netd_config *conf;
	char		*run[8];	/* kubsd-vm [-f file] [-s socket] run -X */
	size_t		 nrun;
	char		 self[PATH_MAX], conf_abs[PATH_MAX];
	char		*names[MENU_VMS];	/* the VMs it is about */
	int		 tfd[MENU_VMS];		/* their templates, or -1 */
	size_t		 n;
	int		 remove;
};

static const struct node *
vm_node(const struct netd_config *conf, const char *name)
{
	const struct node	*n;

	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind == NODE_VM && strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

/* The user who asks, and their data directory. */
static int
who_asks(struct who *w)
{
	const char	*sudo = getenv("SUDO_USER"), *x, *home;
	struct passwd	*pw;
	int		 su = getuid() == 0 && sudo != NULL &&
			    strcmp(sudo, "root") != 0;

	memset(w, 0, sizeof(*w));
	if ((pw = su ? getpwnam(sudo) : getpwuid(getuid())) == NULL) {
		fprintf(stderr, "kubsd-vm: menu: user %s: not in the password "
		    "database\n", su ? sudo : "(uid)");
		return -1;
	}
	snprintf(w->name, sizeof(w->name), "%s", pw->pw_name);
	w->uid = pw->pw_uid;
	w->gid = pw->pw_gid;
	home = su || (home = getenv("HOME")) == NULL || home[0] != '/' ?
	    pw->pw_dir : home;
	if ((x = getenv("XDG_DATA_HOME")) != NULL && x[0] == '/')
		snprintf(w->datadir, sizeof(w->datadir), "%s", x);
	else
		snprintf(w->datadir, sizeof(w->datadir), "%s/.local/share",
		    home);
	return 0;
}

/* The Exec's words before the VM's: this kubsd-vm, its -f and -s. */
static void
job_run(struct job *j, const char *conffile, const char *sock)
{
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", j->self, sizeof(j->self) - 1)) <= 0)
		snprintf(j->self, sizeof(j->self), "kubsd-vm");
	else
		j->self[n] = '\0';
	j->run[j->nrun++] = j->self;
	if (strcmp(conffile, KUBSD_CONF) != 0) {
		if (realpath(conffile, j->conf_abs) == NULL)
			snprintf(j->conf_abs, sizeof(j->conf_abs), "%s",
			    conffile);
		j->run[j->nrun++] = "-f";
		j->run[j->nrun++] = j->conf_abs;
	}
	if (strcmp(sock, KUBSD_SOCKET) != 0) {
		j->run[j->nrun++] = "-s";
		j->run[j->nrun++] = (char *)sock;
	}
	j->run[j->nrun++] = "run";
	j->run[j->nrun++] = "-X";
}

/* The VM's template directory, opened as root; -1 (said) if unbuilt. */
static int
job_template(const struct job *j, const char *name)
{
	const struct node	*n = vm_node(j->conf, name);
	char			 p[PATH_MAX];
	int			 fd;

	snprintf(p, sizeof(p), "%s/templates/%s", j->conf->statedir,
	    n != NULL && n->template != NULL ? n->template : "");
	if (n == NULL || n->template == NULL ||
	    (fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "kubsd-vm: menu: vm %s: no built template "
		    "(%s); no entries\n", name, p);
		return -1;
	}
	return fd;
}

static int
keep_configured(const char *vm, const char *file, void *arg)
{
	(void)file;
	return vm_node(arg, vm) != NULL;
}

static int
keep_unnamed(const char *vm, const char *file, void *arg)
{
	const struct job	*j = arg;
	size_t			 i;

	(void)file;
	for (i = 0; i < j->n; i++)
		if (strcmp(j->names[i], vm) == 0)
			return 0;
	return j->n > 0;
}

/* In the child, as the user: write (or remove) the entries. */
static int
job_do(const struct job *j, const struct who *w)
{
	struct menu_target	 t = { w->datadir, j->run, j->nrun };
	size_t			 i;
	int			 rv = 0, k;

	if (j->remove) {
		if (menu_remove(w->datadir, keep_unnamed, (void *)j, &k) == -1)
			rv = 1;
		printf("menu: %d entries removed from %s/applications\n", k,
		    w->datadir);
		return rv;
	}
	for (i = 0; i < j->n; i++) {
		if (j->tfd[i] == -1)
			continue;
		if (menu_write_vm(&t, j->names[i], j->tfd[i], &k) == -1)
			rv = 1;
		printf("menu: vm %s: %d entries in %s/applications\n",
		    j->names[i], k, w->datadir);
	}
	if (menu_remove(w->datadir, keep_configured, (void *)j->conf,
	    &k) == -1)
		rv = 1;
	if (k > 0)
		printf("menu: %d entries of vms no longer configured "
		    "removed\n", k);
	return rv;
}

/* Become w (when root is not w), then job_do, in a child. */
static int
job_as(const struct job *j, const struct who *w)
{
	pid_t	 pid;
	int	 st;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "kubsd-vm: menu: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		if (geteuid() == 0 && w->uid != 0 &&
		    (initgroups(w->name, w->gid) == -1 ||
		    setresgid(w->gid, w->gid, w->gid) == -1 ||
		    setresuid(w->uid, w->uid, w->uid) == -1)) {
			fprintf(stderr, "kubsd-vm: menu: cannot become %s: "
			    "%s\n", w->name, strerror(errno));
			_exit(1);
		}
		umask(022);
		st = job_do(j, w);
		fflush(stdout);
		_exit(st);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* Open the named VMs' templates (all VMs: "*"), run the job as w. */
static int
job_run_for(struct job *j, const struct who *w, char *const *names,
    size_t n)
{
	const struct node	*nd;
	size_t			 i;
	int			 rv;

	j->n = 0;
	if (n == 1 && strcmp(names[0], "*") == 0) {
		TAILQ_FOREACH(nd, &j->conf->nodes, entry)
			if (nd->kind == NODE_VM && j->n < MENU_VMS)
				j->names[j->n++] = nd->name;
	} else
		for (i = 0; i < n && j->n < MENU_VMS; i++)
			if (j->remove || vm_node(j->conf, names[i]) != NULL)
				j->names[j->n++] = names[i];
	for (i = 0; i < j->n; i++)
		j->tfd[i] = j->remove ? -1 : job_template(j, j->names[i]);
	rv = job_as(j, w);
	for (i = 0; i < j->n; i++)
		if (j->tfd[i] != -1)
			close(j->tfd[i]);
	return rv;
}

/*
 * STATEDIR/menu, root:KUBSD_GROUP 01770: a member of the group (not
 * root) records its own installs there; the sticky bit keeps each
 * record its owner's, and menu_refresh() takes only a record owned by
 * root or by the user it names.
 */
int
menu_dir(const char *statedir)
{
	char		 p[PATH_MAX];
	gid_t		 gid;
	int		 group = ctl_group(NULL, &gid) == 0;

	snprintf(p, sizeof(p), "%s/menu", statedir);
	if ((mkdir(p, 01770) == -1 && errno != EEXIST) ||
	    chown(p, 0, group ? gid : 0) == -1 ||
	    chmod(p, group ? 01770 : 0700) == -1)
		return -1;
	return 0;
}

/* STATEDIR/menu/USER into w's datadir and vms; 0, or -1: none. */
static int
record_read(const char *statedir, struct who *w)
{
	char	 p[PATH_MAX], line[PATH_MAX + 16];
	FILE	*fp;

	snprintf(p, sizeof(p), "%s/menu/%s", statedir, w->name);
	if ((fp = fopen(p, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "datadir /", 9) == 0 &&
		    strlen(line + 8) < sizeof(w->datadir))
			memcpy(w->datadir, line + 8, strlen(line + 8) + 1);
		else if (strncmp(line, "vm ", 3) == 0 && w->nvms < MENU_VMS)
			w->vms[w->nvms++] = xstrdup(line + 3);
	}
	fclose(fp);
	return w->datadir[0] != '\0' ? 0 : -1;
}

static void
record_free(struct who *w)
{
	while (w->nvms > 0)
		free(w->vms[--w->nvms]);
}

static int
record_has(const struct who *w, const char *vm)
{
	size_t	 i;

	for (i = 0; i < w->nvms; i++)
		if (strcmp(w->vms[i], vm) == 0)
			return 1;
	return 0;
}

static int
record_write(const char *statedir, const struct who *w)
{
	char	 p[PATH_MAX], buf[MENU_VMS * (KUBSD_NAME_MAX + 8) + PATH_MAX];
	size_t	 i, o;

	if (geteuid() == 0 && menu_dir(statedir) == -1)
		return -1;
	snprintf(p, sizeof(p), "%s/menu/%s", statedir, w->name);
	if (w->nvms == 0)
		return unlink(p) == -1 && errno != ENOENT ? -1 : 0;
	o = (size_t)snprintf(buf, sizeof(buf), "datadir %s\n", w->datadir);
	for (i = 0; i < w->nvms && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "vm %s\n",
		    w->vms[i]);
	return o >= sizeof(buf) ? -1 : file_replace(p, buf, o, 0600, 0);
}

/* What install or remove changes in the record of w. */
static void
record_update(const struct netd_config *conf, const struct who *w,
    int remove, int argc, char **argv)
{
	const struct node	*n;
	struct who		 r = *w;
	size_t			 i, k;
	int			 a;

	r.nvms = 0;
	record_read(conf->statedir, &r);
	snprintf(r.datadir, sizeof(r.datadir), "%s", w->datadir);
	if (remove && argc > 0 && record_has(&r, "*")) {
		record_free(&r);
		TAILQ_FOREACH(n, &conf->nodes, entry)
			if (n->kind == NODE_VM && r.nvms < MENU_VMS)
				r.vms[r.nvms++] = xstrdup(n->name);
	}
	if (argc == 0)
		record_free(&r);
	if (!remove && (argc == 0 || record_has(&r, "*"))) {
		record_free(&r);
		r.vms[r.nvms++] = xstrdup("*");
	}
	for (a = 0; a < argc; a++) {
		for (i = k = 0; i < r.nvms; i++)
			if (remove && strcmp(r.vms[i], argv[a]) == 0)
				free(r.vms[i]);
			else
				r.vms[k++] = r.vms[i];
		r.nvms = k;
	}
	for (a = 0; !remove && a < argc && !record_has(&r, "*"); a++)
		if (!record_has(&r, argv[a]) && r.nvms < MENU_VMS)
			r.vms[r.nvms++] = xstrdup(argv[a]);
	if (record_write(conf->statedir, &r) == -1)
		fprintf(stderr, "kubsd-vm: menu: %s/menu/%s: %s: a template "
		    "rebuild will not refresh these entries\n",
		    conf->statedir, r.name, strerror(errno));
	record_free(&r);
}

static struct netd_config *
menu_conf(const char *conffile)
{
	struct netd_config	*conf;

	if ((conf = parse_config(conffile)) == NULL)
		return NULL;
	if (graph_build(conf) == -1) {
		config_free(conf);
		return NULL;
	}
	return conf;
}

/* kubsd-vm menu install|remove [VM ...]: the exit status. */
int
menu_cmd(int remove, int argc, char **argv, const char *conffile,
    const char *sock)
{
	struct netd_config	*conf;
	struct job		 j;
	struct who		 w;
	char			*all[1] = { "*" };
	int			 i, rv;

	if ((conf = menu_conf(conffile)) == NULL)
		return 1;
	for (i = 0; i < argc; i++)
		if (!remove && vm_node(conf, argv[i]) == NULL) {
			fprintf(stderr, "kubsd-vm: menu: no vm \"%s\" in %s\n",
			    argv[i], conffile);
			config_free(conf);
			return 1;
		}
	if (who_asks(&w) == -1) {
		config_free(conf);
		return 1;
	}
	memset(&j, 0, sizeof(j));
	j.conf = conf;
	j.remove = remove;
	job_run(&j, conffile, sock);
	rv = job_run_for(&j, &w, argc > 0 || remove ? argv : all,
	    argc > 0 || remove ? (size_t)argc : 1);
	record_update(conf, &w, remove, argc, argv);
	config_free(conf);
	return rv;
}

/* After a template build: every recorded user's entries again. */
void
menu_refresh(const struct netd_config *conf, const char *conffile,
    const char *sock)
{
	struct dirent	*de;
	struct passwd	*pw;
	struct job	 j;
	struct who	 w;
	struct stat	 st;
	char		 p[PATH_MAX];
	DIR		*d;

	/* made here too: a desktop user's first install records there */
	if (menu_dir(conf->statedir) == -1)
		fprintf(stderr, "kubsd-vm: menu: %s/menu: %s\n",
		    conf->statedir, strerror(errno));
	snprintf(p, sizeof(p), "%s/menu", conf->statedir);
	if ((d = opendir(p)) == NULL)
		return;
	memset(&j, 0, sizeof(j));
	j.conf = conf;
	job_run(&j, conffile, sock);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || (pw = getpwnam(de->d_name)) ==
		    NULL)
			continue;
		memset(&w, 0, sizeof(w));
		snprintf(w.name, sizeof(w.name), "%s", pw->pw_name);
		w.uid = pw->pw_uid;
		w.gid = pw->pw_gid;
		snprintf(p, sizeof(p), "%s/menu/%s", conf->statedir,
		    de->d_name);
		if (lstat(p, &st) == -1 || !S_ISREG(st.st_mode) ||
		    (st.st_uid != 0 && st.st_uid != pw->pw_uid)) {
			fprintf(stderr, "kubsd-vm: menu: %s: not %s's record: "
			    "skipped\n", p, pw->pw_name);
			continue;
		}
		if (record_read(conf->statedir, &w) == -1)
			continue;
		printf("menu: refreshing the entries of %s\n", w.name);
		job_run_for(&j, &w, w.vms, w.nvms);
		record_free(&w);
	}
	closedir(d);
}
