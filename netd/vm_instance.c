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
 * Instances of a disposable QEMU VM.  "kubsd-vm start browse" of a
 * disposable definition makes a node of its own, browse-N (the lowest
 * free N), a copy of the definition, in the live graph: the graph's
 * allocator gives it an address on its chain's segment and a MAC, the
 * rules its set elements, the topology its tap.  When its process ends
 * the node goes again, and with it all of that.  The definition itself
 * never runs: its port stays blocked.  An instance exists only while it
 * runs; the instances of a dead netd are found again from their pid
 * files (STATEDIR/vms/NAME.pid) by the next one.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "kubsd.h"
#include "live.h"
#include "log.h"
#include "topology.h"
#include "vm.h"

#define INSTANCE_MAX	999

/* A disposable QEMU VM of the configuration: it runs as instances. */
int
instance_is_def(const struct node *n)
{
	return n->kind == NODE_VM && n->disposable &&
	    n->driver == DRIVER_QEMU && n->instance_of == NULL;
}

static void *
dup_array(const void *v, size_t n, size_t size)
{
	void	*c;

	if (v == NULL)
		return NULL;
	c = xreallocarray(NULL, n > 0 ? n : 1, size);
	memcpy(c, v, n * size);
	return c;
}

static void
host_copy(struct fw_host *to, const struct fw_host *from)
{
	*to = *from;
	to->addrs.v = dup_array(from->addrs.v, from->addrs.n,
	    sizeof(*from->addrs.v));
	to->ports.v = dup_array(from->ports.v, from->ports.n,
	    sizeof(*from->ports.v));
}

static void
lists_copy(struct node *n, const struct node *def)
{
	const struct fw_rule	*r;
	const struct vm_cred	*c;
	struct fw_rule		*rc;
	struct vm_cred		*cc;
	const struct vm_share	*sh;
	struct vm_share		*shc;

	TAILQ_INIT(&n->firewall);
	TAILQ_FOREACH(r, &def->firewall, entry) {
		rc = xcalloc(1, sizeof(*rc));
		*rc = *r;
		rc->protos = dup_array(r->protos, r->nprotos,
		    sizeof(*r->protos));
		host_copy(&rc->from, &r->from);
		host_copy(&rc->to, &r->to);
		TAILQ_INSERT_TAIL(&n->firewall, rc, entry);
	}
	TAILQ_INIT(&n->creds);
	TAILQ_FOREACH(c, &def->creds, entry) {
		cc = xcalloc(1, sizeof(*cc));
		cc->name = xstrdup(c->name);
		cc->path = xstrdup(c->path);
		cc->lineno = c->lineno;
		TAILQ_INSERT_TAIL(&n->creds, cc, entry);
	}
	TAILQ_INIT(&n->shares);
	TAILQ_FOREACH(sh, &def->shares, entry) {
		shc = xcalloc(1, sizeof(*shc));
		*shc = *sh;
		shc->path = xstrdup(sh->path);
		shc->guest = xstrdup(sh->guest);
		TAILQ_INSERT_TAIL(&n->shares, shc, entry);
	}
}

static char *
strdup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/*
 * What the definition says, under another name, a node of conf (its
 * idx the next); nothing derived.
 */
static struct node *
node_copy(struct netd_config *conf, const struct node *def,
    const char *name, const char *file)
{
	struct node	*n = xcalloc(1, sizeof(*n));

	n->kind = NODE_VM;
	n->idx = conf->nnodes++;
	n->name = xstrdup(name);
	n->lineno = def->lineno;
	n->file = file;
	n->driver = def->driver;
	n->template = strdup_or_null(def->template);
	n->template_lineno = def->template_lineno;
	n->memory = def->memory;
	n->disposable = 1;
	n->chain_name = strdup_or_null(def->chain_name);
	n->chain_lineno = def->chain_lineno;
	n->has_firewall = def->has_firewall;
	n->private_size = def->private_size;
	n->private_mount = strdup_or_null(def->private_mount);
	n->sealed = def->sealed;
	n->audio = def->audio;
	n->x11 = def->x11;
	n->restart = RESTART_NO;	/* an instance is never restarted */
	n->instance_of = xstrdup(def->instance_of != NULL ?
	    def->instance_of : def->name);
	lists_copy(n, def);
	return n;
}

/* The lowest free NAME-N; -1 (and why) if there is none. */
static int
instance_name(const struct netd_config *conf, const struct node *def,
    char *buf, size_t len, char *err, size_t errlen)
{
	int	 i;

	for (i = 1; i <= INSTANCE_MAX; i++) {
		snprintf(buf, len, "%s-%d", def->name, i);
		if (strlen(buf) > KUBSD_NAME_MAX) {
			snprintf(err, errlen, "vm %s: instance name %s is "
			    "longer than %d characters", def->name, buf,
			    KUBSD_NAME_MAX);
			return -1;
		}
		if (node_find(conf, buf) == NULL)
			return 0;
	}
	snprintf(err, errlen, "vm %s: %d instances run already", def->name,
	    INSTANCE_MAX);
	return -1;
}

/* The VMs' addresses before a change of the graph. */
struct addrs {
	struct node	**n;
	struct kaddr	 *a;
	size_t		  count;
};

static void
addrs_note(struct netd_config *conf, struct addrs *s)
{
	struct node	*n;

	memset(s, 0, sizeof(*s));
	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->kind != NODE_VM)
			continue;
		s->n = xreallocarray(s->n, s->count + 1, sizeof(*s->n));
		s->a = xreallocarray(s->a, s->count + 1, sizeof(*s->a));
		s->n[s->count] = n;
		s->a[s->count++] = n->addr;
	}
}

/* Running VMs the new graph gave another address take it up. */
static void
addrs_moved(struct netd *d, struct addrs *s, const struct node *gone)
{
	size_t	 i;

	for (i = 0; i < s->count; i++) {
		if (s->n[i] == gone ||
		    memcmp(&s->n[i]->addr, &s->a[i], sizeof(s->a[i])) == 0)
			continue;
		log_info("vm %s: its address moved with an instance",
		    s->n[i]->name);
		if (s->n[i]->driver == DRIVER_NETNS &&
		    topo_reattach(d->link, s->n[i]) == -1)
			log_warnx("vm %s: moving %s failed; it stays blocked",
			    s->n[i]->name, s->n[i]->port_if);
		vm_net_changed(s->n[i]);
	}
	free(s->n);
	free(s->a);
}

/* The graph of conf's nodes as they are now; -1: its errors in err. */
static int
regraph(struct netd_config *conf, char *err, size_t len)
{
	struct netd_errs	 fe = { err, len };
	int			 rv;

	err[0] = '\0';
	conf_error_sink(netd_conf_errors, &fe);
	graph_reset(conf);
	rv = graph_build(conf);
	conf_error_sink(NULL, NULL);
	return rv;
}

/* Graph, then rules: what the nodes are now, loaded. */
static int
relink(struct netd *d, char *err, size_t len)
{
	struct ruleset	*rs;

	if (regraph(d->conf, err, len) == -1)
		return -1;
	if ((rs = netd_load_rules(d, d->live, err, len)) == NULL)
		return -1;
	netd_keep_rules(d, rs);
	return 0;
}

static void
unlink_node(struct netd *d, struct node *n)
{
	char	 e[256];

	TAILQ_REMOVE(&d->conf->nodes, n, entry);
	if (relink(d, e, sizeof(e)) == -1)
		log_warnx("vm %s: removing it: %s", n->name, e);
}

/*
 * A new instance of def in the live graph, its port made and blocked
 * (its agent is not ready); NULL and why in err.
 */
struct node *
instance_add(struct netd *d, const struct node *def, char *err, size_t len)
{
	struct node	*n;
	struct addrs	 before;
	char		 name[KUBSD_NAME_MAX + 8], e[512];

	if (instance_name(d->conf, def, name, sizeof(name), err, len) == -1)
		return NULL;
	n = node_copy(d->conf, def, name, def->file);
	live_add(d->live, n)->unready = 1;	/* until its agent is ready */
	addrs_note(d->conf, &before);
	TAILQ_INSERT_AFTER(&d->conf->nodes, (struct node *)def, n, entry);
	if (relink(d, e, sizeof(e)) == -1 ||
	    topo_reattach(d->link, n) == -1) {
		snprintf(err, len, "vm %s: instance %s: %s", def->name, name,
		    e[0] != '\0' ? e : "its port cannot be made");
		unlink_node(d, n);
		topo_remove_node(d->link, n);
		live_drop(d->live, n);
		free(before.n);
		free(before.a);
		node_free(n);
		return NULL;
	}
	addrs_moved(d, &before, n);
	netd_attached();	/* the gateways' bundles name their clients */
	log_info("vm %s: instance %s on %s", def->name, name,
	    n->chain_name != NULL ? n->chain_name : "none");
	return n;
}

/* An instance ended (its driver removed its files): node, port and set
 * elements go. */
void
instance_remove(struct netd *d, const char *which)
{
	struct node	*n;
	struct addrs	 before;
	char		 name[KUBSD_NAME_MAX + 8];

	if ((n = node_find(d->conf, which)) == NULL || n->instance_of == NULL)
		return;
	snprintf(name, sizeof(name), "%s", n->name);	/* which may be it */
	addrs_note(d->conf, &before);
	unlink_node(d, n);
	if (topo_remove_node(d->link, n) == -1)
		log_warnx("vm %s: its port %s stays", name, n->port_if);
	addrs_moved(d, &before, n);
	live_drop(d->live, n);
	node_free(n);
	netd_attached();
	log_info("vm %s: instance gone", name);
}

/* Every instance that has no process any more. */
void
instance_prune(struct netd *d)
{
	struct node	*n;
	int		 again = 1;

	while (again) {
		again = 0;
		TAILQ_FOREACH(n, &d->conf->nodes, entry)
			if (n->instance_of != NULL && vm_find(n->name) == NULL) {
				instance_remove(d, n->name);
				again = 1;
				break;
			}
	}
}

/* Is name a node of conf's list (the graph may not know it yet)? */
static int
listed(const struct netd_config *conf, const char *name)
{
	const struct node	*n;

	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (strcmp(n->name, name) == 0)
			return 1;
	return 0;
}

/* name is DEF-N of a disposable definition of conf: that definition. */
static const struct node *
def_of(const struct netd_config *conf, const char *name)
{
	const struct node	*def;
	const char		*dash = strrchr(name, '-');
	char			 base[KUBSD_NAME_MAX + 1];

	if (dash == NULL || dash[1] == '\0' ||
	    strspn(dash + 1, "0123456789") != strlen(dash + 1) ||
	    (size_t)(dash - name) >= sizeof(base))
		return NULL;
	memcpy(base, name, (size_t)(dash - name));
	base[dash - name] = '\0';
	if ((def = node_find(conf, base)) == NULL || !instance_is_def(def) ||
	    listed(conf, name))
		return NULL;
	return def;
}

/*
 * kubsd-netd starts: the instances a previous one left running (their
 * pid files) are nodes again, for vm_adopt_all(); the run dirs of those
 * that did not survive go.  Before the graph is built.  The number of
 * instances found.
 */
int
instance_recover(struct netd_config *conf)
{
	const struct node	*def;
	struct node		*n;
	struct dirent		*de;
	DIR			*dir;
	char			 p[PATH_MAX], name[NAME_MAX + 1];
	size_t			 l;
	int			 found = 0;

	snprintf(p, sizeof(p), "%s/vms", conf->statedir);
	if ((dir = opendir(p)) == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL) {
		snprintf(name, sizeof(name), "%s", de->d_name);
		l = strlen(name);
		if (l > 4 && strcmp(name + l - 4, ".pid") == 0)
			name[l - 4] = '\0';
		if ((def = def_of(conf, name)) == NULL)
			continue;
		snprintf(p, sizeof(p), "%s/vms/%s.pid", conf->statedir, name);
		if (access(p, F_OK) == -1) {
			snprintf(p, sizeof(p), "%s/vms/%s", conf->statedir,
			    name);
			log_info("vm %s: removing the stale instance %s",
			    def->name, p);
			vm_rmtree(p);
			continue;
		}
		n = node_copy(conf, def, name, def->file);
		TAILQ_INSERT_AFTER(&conf->nodes, (struct node *)def, n, entry);
		found++;
	}
	closedir(dir);
	return found;
}

/*
 * A reload: the running instances go on in the new configuration (as
 * they are, even if their definition changed or went); -1 if a new
 * node took one's name.
 */
int
instance_carry(const struct netd_config *old, struct netd_config *new,
    char *err, size_t len)
{
	const struct node	*n;

	TAILQ_FOREACH(n, &old->nodes, entry) {
		if (n->instance_of == NULL)
			continue;
		if (listed(new, n->name)) {
			snprintf(err, len, "reload: %s: \"%s\" is the name of "
			    "a running instance of %s", new->file, n->name,
			    n->instance_of);
			return -1;
		}
		TAILQ_INSERT_TAIL(&new->nodes, node_copy(new, n, n->name,
		    new->file), entry);
	}
	return 0;
}
