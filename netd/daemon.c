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
#include "load.h"
#include "log.h"
#include "rules.h"
#include "state.h"
#include "topology.h"

static struct netd	 netd;
static struct event	*shed_ev, *guest_ev;
static struct event	*sync_ev, *bundles_ev;

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
	state_sync_attachments(netd.conf);
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
		state_sync_attachments(netd.conf);
	}
}

/*
 * The whole ruleset of conf, compiled and loaded in one transaction:
 * the loaded ruleset, or NULL with err saying why.
 */
struct ruleset *
netd_load_rules(struct netd *d, const struct netd_config *conf, char *err,
    size_t len)
{
	struct ruleset	*rs;

	if ((rs = rules_compile(conf)) == NULL) {
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
netd_apply(struct netd_config *conf, struct ruleset **rsp)
{
	struct ruleset	*rs;
	char		 err[256];

	if ((rs = netd_load_rules(&netd, conf, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	if (topo_apply(netd.link, conf) == -1) {
		rules_free(rs);
		return -1;
	}
	gw_guests_prune(conf, 0);
	topo_remove_stale(netd.link, conf);
	/* Only what an attach needs stays: the VMs' ports, not their rules. */
	rules_strip_vms(rs);
	loader_shed(netd.loader);
	gw_guests_sync(conf);
	*rsp = rs;
	return 0;
}

/*
 * A gateway became ready or stopped being so: the clients of its
 * chains are let through or blocked, in one transaction: their
 * elements (netd_regate()), or else the whole ruleset.
 */
static void
on_guest_poll(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval	 tv = { 0, GUEST_POLL_MS * 1000 };
	struct ruleset	*rs;
	char		 err[256];

	(void)fd;
	(void)ev;
	(void)arg;
	evtimer_add(guest_ev, &tv);
	if (!gw_guests_poll(netd.conf) || netd_regate() == 0)
		return;
	if ((rs = netd_load_rules(&netd, netd.conf, err, sizeof(err))) ==
	    NULL) {
		log_warnx("gateway readiness: %s", err);
		return;
	}
	netd_keep_rules(&netd, rs);
	schedule_shed();
}

int
netd_reload(void)
{
	struct netd_config	*conf;
	struct ruleset		*rs;

	if ((conf = parse_config(netd.conffile)) != NULL)
		state_load_attachments(conf);
	if (conf == NULL || graph_build(conf) == -1) {
		log_warnx("reload: %s has errors, nothing changed",
		    netd.conffile);
		config_free(conf);
		return -1;
	}
	gw_guests_poll(conf);
	if (netd_apply(conf, &rs) == -1) {
		log_warnx("reload: could not apply %s", netd.conffile);
		config_free(conf);
		return -1;
	}
	state_sync_compartments(conf);
	sync_now();
	rules_free(netd.rs);
	config_free(netd.conf);
	netd.conf = conf;
	netd.rs = rs;
	log_info("reloaded %s", netd.conffile);
	return 0;
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	(void)ev;
	(void)arg;
	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reloading");
		netd_reload();
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
	struct node	*n;
	int		 sigs[3] = { SIGHUP, SIGTERM, SIGINT }, i;

	memset(&netd, 0, sizeof(netd));
	netd.conffile = opts->conffile;
	netd.started = (long long)time(NULL);
	netd.conf = conf;
	log_init(opts->foreground, opts->verbose);
	if ((netd.loader = loader_open()) == NULL)
		fatalx("cannot open the rule loader");
	if ((netd.link = link_open(NULL)) == NULL)
		fatal("netlink");
	/* The host routes for its gateways; the rules say which. */
	if (link_sysctl_set(NULL, "net/ipv4/ip_forward", "1") == -1)
		log_warn("net.ipv4.ip_forward");
	if (state_load_attachments(conf) > 0) {
		graph_reset(conf);
		if (graph_build(conf) == -1)
			fatalx("the graph with the recorded attachments does "
			    "not build; remove %s/attachments", conf->statedir);
	}
	/* No gateway is ready until its guest says so. */
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind == NODE_GATEWAY)
			n->unready = 1;
	gw_guests_poll(conf);
	if (netd_apply(conf, &netd.rs) == -1)
		fatalx("could not apply %s; kubsd's interfaces stay blocked",
		    opts->conffile);
	state_sync_compartments(conf);
	if (!opts->foreground && daemon(0, 0) == -1)
		fatal("daemon");
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
	sync_ev = evtimer_new(netd.base, on_sync, NULL);
	bundles_ev = evtimer_new(netd.base, on_bundles, NULL);
	if (netd_control_init(&netd, opts->sockpath) == -1)
		fatalx("control socket %s", opts->sockpath);
	log_info("running with %s", opts->conffile);
	event_base_dispatch(netd.base);

	netd_control_close(&netd);
	sync_now();
	for (i = 0; i < 3; i++)
		event_free(ev[i]);
	event_free(shed_ev);
	event_free(guest_ev);
	event_free(sync_ev);
	event_free(bundles_ev);
	event_base_free(netd.base);
	unlink(opts->pidfile);
	rules_free(netd.rs);
	config_free(netd.conf);
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
netd_teardown(int force, char *err, size_t errlen)
{
	const struct node	*n;
	int			 attached = 0;

	TAILQ_FOREACH(n, &netd.conf->nodes, entry)
		if (n->kind == NODE_VM && n->chain != NULL)
			attached++;
	if (attached && !force) {
		snprintf(err, errlen, "teardown: %d vm%s attached (use -f)",
		    attached, attached == 1 ? "" : "s");
		return -1;
	}
	gw_guests_prune(netd.conf, 1);
	TAILQ_FOREACH(n, &netd.conf->nodes, entry)
		if (n->kind != NODE_UPLINK)
			topo_remove_node(netd.link, n);
	TAILQ_FOREACH(n, &netd.conf->nodes, entry)
		if (n->kind == NODE_UPLINK)
			topo_remove_node(netd.link, n);
	if (loader_remove_all(netd.loader) == -1) {
		snprintf(err, errlen, "teardown: %s",
		    loader_error(netd.loader));
		return -1;
	}
	state_clear(netd.conf);
	log_info("teardown: kubsd's rules and interfaces removed");
	event_base_loopexit(netd.base, NULL);
	return 0;
}

const struct netd *
netd_state(void)
{
	return &netd;
}

struct netd *
netd_mutable(void)
{
	return &netd;
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
	gw_guests_sync(netd.conf);
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
