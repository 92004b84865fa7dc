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
 * kubsd-netd's state directory:
 *   attachments  "vm chain" lines: what kubsd-net attach changed, so a
 *                restart or a reload keeps each VM where it was put;
 *   compartments the namespaces netd made, so a restart with a smaller
 *                configuration removes the ones it no longer has;
 *   sysctls      "path value" lines: what the host's sysctls kubsd sets
 *                were before it first set them, put back by teardown.
 * Files are replaced atomically (write, fsync, rename); an attach
 * appends a line and syncs just after its reply (state_note_attachment).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "link.h"
#include "live.h"
#include "log.h"
#include "state.h"
#include "topology.h"

static void
state_path(const struct netd_config *conf, const char *name, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s/%s", conf->statedir, name);
}

/* A state file's new contents, in memory until state_commit(). */
struct state_file {
	FILE	*fp;
	char	*buf;
	size_t	 len;
};

static FILE *
state_create(struct state_file *sf)
{
	memset(sf, 0, sizeof(*sf));
	if ((sf->fp = open_memstream(&sf->buf, &sf->len)) == NULL)
		log_warn("state");
	return sf->fp;
}

/* Replace path with what was written, on disk before the rename. */
static void
state_commit(struct state_file *sf, const char *path)
{
	if (fclose(sf->fp) == EOF)
		log_warn("%s", path);
	else if (file_replace(path, sf->buf, sf->len, 0644, FILE_SYNC) == -1)
		log_warn("%s", path);
	free(sf->buf);
}

/* Lines in the attachments file, to know when to write it anew. */
static size_t	 lines;

/* Record the VMs kubsd-net attach has moved, one line each. */
static void
state_save_attachments(const struct netd_live *lv)
{
	const struct netd_config *conf = lv->conf;
	const struct node	*n;
	char			 path[512];
	struct state_file	 sf;
	FILE			*fp;

	state_path(conf, "attachments", path, sizeof(path));
	if ((fp = state_create(&sf)) == NULL)
		return;
	lines = 0;
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind == NODE_VM && live_node(lv, n)->attached) {
			fprintf(fp, "%s %s\n", n->name,
			    n->chain_name ? n->chain_name : "none");
			lines++;
		}
	state_commit(&sf, path);
}

/*
 * Record one attach: a line appended to the attachments file, in one
 * write (the last line for a VM wins when the file is read).  That is
 * all the attach path pays; state_sync_attachments(), run just after
 * the reply, makes it durable.  A crash of netd loses nothing (the
 * kernel has the page); a power loss before the sync can lose the line,
 * or leave half of it, which state_load_attachments() skips: the VM then
 * comes back on the chain netd.conf gives it, whose rules are loaded
 * like any other.
 */
void
state_note_attachment(const struct netd_config *conf, const struct node *n)
{
	char	 path[512], line[256];
	int	 fd, len;

	state_path(conf, "attachments", path, sizeof(path));
	len = snprintf(line, sizeof(line), "%s %s\n", n->name,
	    n->chain_name ? n->chain_name : "none");
	if (len < 0 || (size_t)len >= sizeof(line))
		return;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) == -1) {
		log_warn("%s", path);
		return;
	}
	if (write(fd, line, len) != len)
		log_warn("%s", path);
	close(fd);
	lines++;
}

/*
 * Make the noted attachments durable: the file is written anew (write,
 * fsync, rename) once its lines are mostly superseded, else fsync'd.
 */
void
state_sync_attachments(const struct netd_live *lv)
{
	const struct netd_config *conf = lv->conf;
	const struct node	*n;
	char			 path[512];
	size_t			 attached = 0;
	int			 fd;

	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind == NODE_VM && live_node(lv, n)->attached)
			attached++;
	state_path(conf, "attachments", path, sizeof(path));
	if (lines > 2 * attached + 16)
		state_save_attachments(lv);
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		if (fsync(fd) == -1)
			log_warn("fsync %s", path);
		close(fd);
	}
	if ((fd = open(conf->statedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
	    != -1) {
		if (fsync(fd) == -1)
			log_warn("fsync %s", conf->statedir);
		close(fd);
	}
}

/*
 * Put VMs back where kubsd-net attach left them (conf is being built;
 * lv, its live state, says which were).  An entry naming a VM or chain
 * the configuration no longer has is dropped with a warning.  Returns
 * the number applied.
 */
int
state_load_attachments(struct netd_config *conf, struct netd_live *lv)
{
	struct node	*n;
	char		 path[512], line[256], vm[128], chain[128];
	FILE		*fp;
	int		 applied = 0;

	state_path(conf, "attachments", path, sizeof(path));
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	lines = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lines++;
		/* a last line without its newline was cut short */
		if (line[strcspn(line, "\n")] != '\n' ||
		    sscanf(line, "%127s %127s", vm, chain) != 2)
			continue;
		if ((n = node_find(conf, vm)) == NULL || n->kind != NODE_VM ||
		    (strcmp(chain, "none") != 0 &&
		    chain_find(conf, chain) == NULL)) {
			log_warnx("%s: dropping \"%s %s\": no such vm or "
			    "chain", path, vm, chain);
			continue;
		}
		free(n->chain_name);
		n->chain_name = strcmp(chain, "none") ? xstrdup(chain) : NULL;
		live_node(lv, n)->attached = 1;
		applied++;
	}
	fclose(fp);
	return applied;
}

/* Remember the compartments; remove those a previous run left. */
void
state_sync_compartments(const struct netd_config *conf)
{
	const struct node	*n;
	char			 path[512], line[128], ns[64];
	struct state_file	 sf;
	FILE			*fp;
	int			 keep;

	state_path(conf, "compartments", path, sizeof(path));
	if ((fp = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			keep = 0;
			TAILQ_FOREACH(n, &conf->nodes, entry) {
				if (n->kind == NODE_UPLINK ||
				    n->driver != DRIVER_NETNS)
					continue;
				compartment_netns(n->name, ns, sizeof(ns));
				if (strcmp(ns, line) == 0)
					keep = 1;
			}
			if (!keep && line[0] != '\0') {
				log_info("removing stale compartment %s", line);
				if (netns_delete(line) == -1 && errno != ENOENT)
					log_warn("compartment %s", line);
			}
		}
		fclose(fp);
	}
	if ((fp = state_create(&sf)) == NULL)
		return;
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind != NODE_UPLINK && n->driver == DRIVER_NETNS) {
			compartment_netns(n->name, ns, sizeof(ns));
			fprintf(fp, "%s\n", ns);
		}
	state_commit(&sf, path);
}

/* Is path in the sysctls file already? */
static int
sysctl_known(const char *file, const char *path)
{
	char	 line[256];
	size_t	 len = strlen(path);
	FILE	*fp;
	int	 known = 0;

	if ((fp = fopen(file, "r")) == NULL)
		return 0;
	while (!known && fgets(line, sizeof(line), fp) != NULL)
		known = strncmp(line, path, len) == 0 && line[len] == ' ';
	fclose(fp);
	return known;
}

/*
 * Set one of the host's sysctls (path as link_sysctl_set()), after
 * noting, durably and only the first time, what it was: a restart of
 * netd finds it set by kubsd, and must not take that for the original.
 */
int
state_sysctl_set(const struct netd_config *conf, const char *path,
    const char *value)
{
	char	 file[512], was[64];
	FILE	*fp;

	state_path(conf, "sysctls", file, sizeof(file));
	if (!sysctl_known(file, path) &&
	    link_sysctl_get(NULL, path, was, sizeof(was)) == 0) {
		if ((fp = fopen(file, "a")) == NULL)
			log_warn("%s", file);
		else {
			fprintf(fp, "%s %s\n", path, was);
			if (fflush(fp) == EOF || fsync(fileno(fp)) == -1)
				log_warn("%s", file);
			fclose(fp);
		}
	}
	return link_sysctl_set(NULL, path, value);
}

/* Teardown: the sysctls back to what they were before kubsd set them. */
static void
sysctl_restore(const struct netd_config *conf)
{
	char	 file[512], line[256], *sp;
	FILE	*fp;

	state_path(conf, "sysctls", file, sizeof(file));
	if ((fp = fopen(file, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp++ = '\0';
		if (link_sysctl_set(NULL, line, sp) == -1)
			log_warn("restoring %s", line);
		else
			log_info("%s restored to %s", line, sp);
	}
	fclose(fp);
	unlink(file);
}

/*
 * After a teardown nothing is attached, no compartment exists and the
 * host's sysctls are what they were.
 */
void
state_clear(const struct netd_config *conf)
{
	char	 path[512];

	sysctl_restore(conf);
	state_path(conf, "attachments", path, sizeof(path));
	unlink(path);
	state_path(conf, "compartments", path, sizeof(path));
	unlink(path);
}
