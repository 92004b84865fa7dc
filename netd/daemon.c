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
 * kubsd-netd's live mode: load the rules, build the links, then wait
 * for signals (and, through ctl, for commands).
 *
 * Order is what keeps it leak-free: the complete ruleset (whose base
 * chains drop everything in the kubsd interface group) is loaded before
 * any link is created or changed, and nothing is removed on exit, so
 * a dead or restarting netd leaves every managed port blocked.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "gwguest.h"
#include "kubsd.h"
#include "link.h"
#include "live.h"
#include "load.h"
#include "log.h"
#include "rules.h"
#include "state.h"
#include "topology.h"
#include "vm.h"

static struct netd	 netd;
static struct event	*shed_ev, *guest_ev;
static struct event	*sync_ev, *bundles_ev, *watch_ev;
static struct link_watch *watch;

#define GUEST_POLL_MS	250

static void	on_bundles(evutil_socket_t, short, void *);

/* Once attaches have settled, let libnftables give its cache back. */
static void
on_idle(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	loader_shed(netd.loader);
}

static void
schedule_shed(void)
{
	struct timeval	 tv = { 2, 0 };

	if (shed_ev != NULL)
		evtimer_add(shed_ev, &tv);
}

/* The attachments file, fsync'd after the reply (state.c says why). */
static void
on_sync(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	state_sync_attachments(netd.live);
}

/* Soon, not at once: a burst of attaches costs one fsync. */
static void
schedule_sync(void)
{
	struct timeval	 tv = { 0, 50000 };

	if (sync_ev != NULL && !evtimer_pending(sync_ev, NULL))
		evtimer_add(sync_ev, &tv);
}

static void
sync_now(void)
{
	if (sync_ev != NULL && evtimer_pending(sync_ev, NULL)) {
		evtimer_del(sync_ev);
		state_sync_attachments(netd.live);
	}
}

/*
 * The whole ruleset of lv's configuration, as lv has it now, compiled
 * and loaded in one transaction: the loaded ruleset, or NULL with err
 * saying why.
 */
struct ruleset *
netd_load_rules(struct netd *d, const struct netd_live *lv, char *err,
    size_t len)
{
	struct ruleset	*rs;

	if ((rs = rules_compile_gated(lv->conf, &lv->gate)) == NULL) {
		snprintf(err, len, "cannot compile the rules");
		return NULL;
	}
	if (loader_load_full(d->loader, rs) == -1) {
		snprintf(err, len, "loading rules: %s", loader_error(d->loader));
		rules_free(rs);
		return NULL;
	}
	return rs;
}

/* rs was loaded: keep what an attach needs (VMs' ports, not rules). */
void
netd_keep_rules(struct netd *d, struct ruleset *rs)
{
	rules_strip_vms(rs);
	rules_free(d->rs);
	d->rs = rs;
}

/* Load the rules, then make the links match: never the other way. */
static int
netd_apply(struct netd_live *lv, struct ruleset **rsp)
{
	const struct netd_config *conf = lv->conf;
	struct ruleset	*rs;
	char		 err[256];

	if ((rs = netd_load_rules(&netd, lv, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	if (topo_apply(netd.link, lv) == -1) {
		rules_free(rs);
		return -1;
	}
	gw_guests_prune(conf, 0);
	topo_remove_stale(netd.link, conf);
	/* Only what an attach needs stays: the VMs' ports, not their rules. */
	rules_strip_vms(rs);
	loader_shed(netd.loader);
	gw_guests_sync(lv);
	*rsp = rs;
	return 0;
}

/*
 * The uplinks' interfaces, asked over netlink at every poll: 1 if one
 * went down or came up (its chains are blocked, its gateways not ready,
 * while it is down).
 */
static int
uplinks_poll(struct netd_live *lv)
{
	const struct node	*n;
	struct node_live	*nl;
	struct link_state	 st;
	int			 down, changed = 0;

	TAILQ_FOREACH(n, &lv->conf->nodes, entry) {
		if (n->kind != NODE_UPLINK || n->ifname == NULL)
			continue;
		nl = live_node(lv, n);
		down = link_get(netd.link, n->ifname, &st) == -1 || !st.up ||
		    !st.running;
		if (down == nl->if_down)
			continue;
		if ((nl->if_down = down)) {
			log_warnx("uplink %s: interface %s is down; its chains "
			    "carry nothing", n->name, n->ifname);
			snprintf(nl->last_error, sizeof(nl->last_error),
			    "interface %s is down", n->ifname);
		} else
			log_info("uplink %s: interface %s is up", n->name,
			    n->ifname);
		changed = 1;
	}
	return changed;
}

/* -1 (and which, in err) if an uplink's interface does not exist. */
static int
uplinks_missing(const struct netd_config *conf, char *err, size_t errlen)
{
	const struct node	*n;
	struct link_state	 st;

	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind == NODE_UPLINK && n->ifname != NULL &&
		    link_get(netd.link, n->ifname, &st) == -1) {
			snprintf(err, errlen, "%s:%d: uplink %s: no interface "
			    "\"%s\" on this host", n->file, n->lineno,
			    n->name, n->ifname);
			return -1;
		}
	return 0;
}

/*
 * A gateway became ready or stopped being so, or an uplink went down or
 * up: the clients of its chains are let through or blocked, in one
 * transaction: their elements (netd_regate()), or else the whole
 * ruleset.
 */
static void
recheck(int changed)
{
	struct ruleset	*rs;
	char		 err[256];

	changed |= gw_guests_poll(netd.live);
	if (!changed || netd_regate(&netd) == 0)
		return;
	if ((rs = netd_load_rules(&netd, netd.live, err, sizeof(err))) ==
	    NULL) {
		log_warnx("gateway readiness: %s", err);
		return;
	}
	netd_keep_rules(&netd, rs);
	schedule_shed();
}

static void
on_guest_poll(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval	 tv = { 0, GUEST_POLL_MS * 1000 };

	(void)fd;
	(void)ev;
	(void)arg;
	evtimer_add(guest_ev, &tv);
	recheck(uplinks_poll(netd.live));
}

/* Some node's readiness changed (a gateway's guest, a VM's agent). */
void
netd_gate_changed(struct netd *d)
{
	(void)d;	/* recheck() works on the one daemon */
	if (netd.loader != NULL)
		recheck(1);
}

/*
 * A link changed (netlink told us): if an uplink went down or up, its
 * chains follow at once.  (Ports coming and going at each attach cost
 * one question per uplink, nothing more.)
 */
static void
on_link_event(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	if (link_watch_drain(arg) && uplinks_poll(netd.live))
		recheck(1);
}

/* The graph's error lines (a reload's): each logged, all kept in buf. */
void
netd_conf_errors(const char *msg, void *arg)
{
	struct netd_errs	*re = arg;
	size_t			 used = strlen(re->buf);

	log_warnx("%s", msg);
	if (used < re->len)
		snprintf(re->buf + used, re->len - used, "%s%s",
		    used > 0 ? "; " : "", msg);
}

/*
 * The configuration in file, with the recorded attachments, and its
 * live state in *lvp; NULL: err.
 */
static struct netd_config *
reload_parse(const char *file, struct netd_live **lvp, char *err,
    size_t errlen)
{
	struct netd_config	*conf;
	struct netd_errs	 re = { err, errlen };

	err[0] = '\0';
	*lvp = NULL;
	conf_error_sink(netd_conf_errors, &re);
	if ((conf = parse_config(file)) != NULL && netd.conf != NULL &&
	    instance_carry(netd.conf, conf, err, errlen) == -1) {
		log_warnx("%s", err);
		config_free(conf);
		conf = NULL;
	}
	if (conf != NULL) {
		*lvp = live_new(conf);
		state_load_attachments(conf, *lvp);
	}
	if (conf != NULL && graph_build(conf) == -1) {
		live_free(*lvp);
		config_free(conf);
		conf = NULL;
	}
	conf_error_sink(NULL, NULL);
	return conf;
}

/* A configuration and its live state, freed. */
static void
config_drop(struct netd_config *conf, struct netd_live *lv)
{
	live_free(lv);
	config_free(conf);
}

/*
 * Like teardown: a reload that would take running VMs off their chains,
 * or remove every node, needs -f.  1 (and why in err): refused.
 */
static int
reload_refused(const struct netd_config *old, const struct netd_config *new,
    char *err, size_t errlen)
{
	const struct node	*n, *m;
	char			 names[256] = "";
	int			 detached = 0, empty;
	size_t			 used;

	TAILQ_FOREACH(n, &old->nodes, entry) {
		if (n->kind != NODE_VM || n->chain == NULL)
			continue;
		m = node_find(new, n->name);
		if (m != NULL && m->kind == NODE_VM && m->chain != NULL)
			continue;
		used = strlen(names);
		snprintf(names + used, sizeof(names) - used, "%s%s",
		    detached++ ? ", " : "", n->name);
	}
	empty = TAILQ_EMPTY(&new->nodes) && !TAILQ_EMPTY(&old->nodes);
	if (!detached && !empty)
		return 0;
	if (detached)
		snprintf(err, errlen, "reload: %s would detach %d running "
		    "vm%s (%s)%s; nothing changed (use -f)", netd.conffile,
		    detached, detached == 1 ? "" : "s", names,
		    empty ? " and remove every node" : "");
	else
		snprintf(err, errlen, "reload: %s would remove every node; "
		    "nothing changed (use -f)", netd.conffile);
	return 1;
}

/*
 * What the old configuration had and the new one does not: gateways'
 * guests stopped (before their compartments go), links and compartments
 * removed.  In the old statedir: the new one may be another.
 */
static void
reload_drop(const struct netd_config *old, const struct netd_config *new)
{
	const struct node	*n, *m;

	TAILQ_FOREACH(n, &old->nodes, entry) {
		m = node_find(new, n->name);
		if (m != NULL && m->kind == n->kind && m->driver == n->driver &&
		    strcmp(old->statedir, new->statedir) == 0)
			continue;
		if (n->kind == NODE_GATEWAY)
			gw_guest_remove(old, n);
		if (m == NULL || m->kind != n->kind || m->driver != n->driver)
			topo_remove_node(netd.link, n);
	}
}

/*
 * Reload the configuration file.  -1: nothing changed, and err says why
 * (every file:line error, as the log has them).
 */
int
netd_reload(struct netd *d, int force, char *err, size_t errlen)
{
	struct netd_config	*conf;
	struct netd_live	*lv;
	struct ruleset		*rs;
	char			 lines[3072];

	if ((conf = reload_parse(d->conffile, &lv, lines, sizeof(lines))) ==
	    NULL) {
		log_warnx("reload: %s has errors, nothing changed",
		    d->conffile);
		snprintf(err, errlen, "reload: %s has errors, nothing "
		    "changed: %s", d->conffile, lines);
		return -1;
	}
	if (uplinks_missing(conf, lines, sizeof(lines)) == -1) {
		snprintf(err, errlen, "reload: %s; nothing changed", lines);
		log_warnx("%s", err);
		config_drop(conf, lv);
		return -1;
	}
	if (!force && reload_refused(d->conf, conf, err, errlen)) {
		log_warnx("%s", err);
		config_drop(conf, lv);
		return -1;
	}
	topo_read_mtus(d->link, conf);
	uplinks_poll(lv);
	gw_guests_poll(lv);
	vm_gate(lv);
	if (netd_apply(lv, &rs) == -1) {
		snprintf(err, errlen, "reload: could not apply %s; nothing "
		    "changed (see the log)", d->conffile);
		log_warnx("%s", err);
		config_drop(conf, lv);
		return -1;
	}
	reload_drop(d->conf, conf);
	state_sync_compartments(conf);
	sync_now();
	rules_free(d->rs);
	config_drop(d->conf, d->live);
	d->conf = conf;
	d->live = lv;
	d->rs = rs;
	vm_gateways_start();	/* a gateway VM the reload added */
	log_info("reloaded %s", d->conffile);
	return 0;
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	char	 errbuf[4096];

	(void)ev;
	(void)arg;
	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reloading");
		netd_reload(&netd, 0, errbuf, sizeof(errbuf));
		break;
	case SIGTERM:
	case SIGINT:
		/* Rules and links stay: stopping netd opens nothing. */
		log_info("exiting; kubsd's rules stay loaded");
		event_base_loopbreak(netd.base);
		break;
	}
}

static void
write_pidfile(const char *path)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL) {
		log_warn("%s", path);
		return;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	fclose(fp);
}

int
netd_main(struct netd_config *conf, const struct netd_opts *opts)
{
	struct event	*ev[3];
	const struct node *n;
	char		 errbuf[512];
	int		 sigs[3] = { SIGHUP, SIGTERM, SIGINT }, i, recovered;

	memset(&netd, 0, sizeof(netd));
	netd.conffile = opts->conffile;
	netd.started = (long long)time(NULL);
	netd.conf = conf;
	recovered = instance_recover(conf);	/* nodes: before their live */
	netd.live = live_new(conf);
	log_init(opts->foreground, opts->verbose);
	if ((netd.loader = loader_open()) == NULL)
		fatalx("cannot open the rule loader");
	if ((netd.link = link_open(NULL)) == NULL)
		fatal("netlink");
	if (uplinks_missing(conf, errbuf, sizeof(errbuf)) == -1)
		fatalx("%s", errbuf);
	gw_guests_reaper();		/* before the first guest starts */
	/* The host routes for its gateways; the rules say which. */
	if (state_sysctl_set(conf, "net/ipv4/ip_forward", "1") == -1)
		log_warn("net.ipv4.ip_forward");
	if (state_load_attachments(conf, netd.live) + recovered > 0) {
		graph_reset(conf);
		if (graph_build(conf) == -1)
			fatalx("the graph with the recorded attachments and "
			    "instances does not build; remove "
			    "%s/attachments", conf->statedir);
	}
	vm_gate(netd.live);	/* disposable definitions stay blocked */
	/* No gateway is ready until its guest says so. */
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind == NODE_GATEWAY)
			live_node(netd.live, n)->unready = 1;
	topo_read_mtus(netd.link, conf);
	uplinks_poll(netd.live);
	gw_guests_poll(netd.live);
	if (netd_apply(netd.live, &netd.rs) == -1)
		fatalx("could not apply %s; kubsd's interfaces stay blocked",
		    opts->conffile);
	state_sync_compartments(conf);
	if (!opts->foreground && daemon(0, 0) == -1)
		fatal("daemon");
	gw_guests_reaper();		/* not inherited by daemon()'s child */
	write_pidfile(opts->pidfile);

	if ((netd.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < 3; i++) {
		ev[i] = evsignal_new(netd.base, sigs[i], on_signal, NULL);
		if (ev[i] == NULL || evsignal_add(ev[i], NULL) == -1)
			fatalx("signal events");
	}
	shed_ev = evtimer_new(netd.base, on_idle, NULL);
	guest_ev = evtimer_new(netd.base, on_guest_poll, NULL);
	on_guest_poll(-1, 0, NULL);
	/* without it, the poll above still sees an uplink within 250 ms */
	if ((watch = link_watch_open()) == NULL ||
	    (watch_ev = event_new(netd.base, link_watch_fd(watch),
	    EV_READ | EV_PERSIST, on_link_event, watch)) == NULL ||
	    event_add(watch_ev, NULL) == -1)
		log_warn("netlink link events");
	sync_ev = evtimer_new(netd.base, on_sync, NULL);
	bundles_ev = evtimer_new(netd.base, on_bundles, NULL);
	vm_init(&netd);
	vm_adopt_all(netd.live);
	netd_gate_changed(&netd);
	if (netd_control_init(&netd, opts->sockpath) == -1)
		fatalx("control socket %s", opts->sockpath);
	vm_autostart();
	log_info("running with %s", opts->conffile);
	event_base_dispatch(netd.base);

	netd_control_close(&netd);
	sync_now();
	for (i = 0; i < 3; i++)
		event_free(ev[i]);
	event_free(shed_ev);
	event_free(guest_ev);
	if (watch_ev != NULL)
		event_free(watch_ev);
	link_watch_close(watch);
	event_free(sync_ev);
	event_free(bundles_ev);
	event_base_free(netd.base);
	unlink(opts->pidfile);
	rules_free(netd.rs);
	config_drop(netd.conf, netd.live);
	loader_close(netd.loader);
	link_close(netd.link);
	return 0;
}

/*
 * Remove kubsd's tables, interfaces and compartments; refused while
 * VMs are attached unless forced.  netd exits afterwards: running
 * without its rules would be a lie.
 */
int
netd_teardown(struct netd *d, int force, char *err, size_t errlen)
{
	const struct node	*n;
	int			 attached = 0;

	TAILQ_FOREACH(n, &d->conf->nodes, entry)
		if (n->kind == NODE_VM && n->chain != NULL)
			attached++;
	if (vm_running() > 0 && !force) {
		snprintf(err, errlen, "teardown: %zu vm%s running (use -f)",
		    vm_running(), vm_running() == 1 ? "" : "s");
		return -1;
	}
	if (attached && !force) {
		snprintf(err, errlen, "teardown: %d vm%s attached (use -f)",
		    attached, attached == 1 ? "" : "s");
		return -1;
	}
	vm_stop_all();
	gw_guests_prune(d->conf, 1);
	TAILQ_FOREACH(n, &d->conf->nodes, entry)
		if (n->kind != NODE_UPLINK)
			topo_remove_node(d->link, n);
	TAILQ_FOREACH(n, &d->conf->nodes, entry)
		if (n->kind == NODE_UPLINK)
			topo_remove_node(d->link, n);
	if (loader_remove_all(d->loader) == -1) {
		snprintf(err, errlen, "teardown: %s",
		    loader_error(d->loader));
		return -1;
	}
	state_clear(d->conf);
	log_info("teardown: kubsd's rules and interfaces removed");
	event_base_loopexit(d->base, NULL);
	return 0;
}

/*
 * The gateways' bundles name their clients (a sys-net guest forwards
 * only those): after an attach they are rewritten and the guests whose
 * bundle changed re-apply it.  Until then the new first hop drops the
 * newcomer: closed, not open; so this waits for the reply.
 */
static void
on_bundles(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	gw_guests_sync(netd.live);
}

/*
 * What an attach leaves for after its reply.  The bundles are rewritten
 * 10 ms after the last attach of a burst, but never later than 50 ms
 * after its first: a bundle names every client of its gateway, and
 * rewriting it at every attach would hold up the next ones.
 */
void
netd_attached(void)
{
	static struct timespec	 first;
	struct timespec		 now;
	struct timeval		 tv = { 0, 10000 };
	long			 ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (bundles_ev != NULL) {
		if (!evtimer_pending(bundles_ev, NULL)) {
			first = now;
			evtimer_add(bundles_ev, &tv);
		} else {
			ms = (now.tv_sec - first.tv_sec) * 1000 +
			    (now.tv_nsec - first.tv_nsec) / 1000000;
			if (ms < 40)
				evtimer_add(bundles_ev, &tv);
		}
	}
	schedule_sync();
	schedule_shed();
}
