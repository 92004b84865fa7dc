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
 * The control socket on libevent: accepts kubsd-net's connections and
 * dispatches their requests through a table of handlers (ctl_server.c
 * does the framing and the SO_PEERCRED checks).
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "ctl.h"
#include "daemon.h"
#include "kubsd.h"
#include "live.h"
#include "log.h"
#include "rules.h"
#include "vm.h"

struct conn;

struct control {
	struct netd	*d;		/* the daemon, for the handlers */
	TAILQ_HEAD(, conn) conns;
	int		 fd;
	gid_t		 group;
	char		*path;
	struct event	*ev;
};

struct conn {
	TAILQ_ENTRY(conn) entry;
	struct control	*ctl;
	struct ctl_conn	*cc;
	struct event	*rd, *wr;
};

static json_t *
node_json(const struct netd_live *lv, const struct node *n)
{
	const struct node_live	*nl = live_node(lv, n);
	char			 a[KADDR_STRLEN], m[32];
	const char		*blocked;
	json_t			*o = json_object();

	json_object_set_new(o, "name", json_string(n->name));
	json_object_set_new(o, "kind", json_string(n->kind == NODE_VM &&
	    n->disposable ? "disposable" : kind_name(n->kind)));
	if (n->kind == NODE_UPLINK) {
		json_object_set_new(o, "interface", json_string(n->bridge_if));
		json_object_set_new(o, "uplink", json_string(n->ifname));
		json_object_set_new(o, "state", json_string(nl->if_down ?
		    "down" : "up"));
		json_object_set_new(o, "error", nl->last_error[0] ?
		    json_string(nl->last_error) : json_null());
		return o;
	}
	json_object_set_new(o, "error", nl->last_error[0] ?
	    json_string(nl->last_error) : json_null());
	blocked = n->kind == NODE_VM ? live_blocked(lv, n) : NULL;
	json_object_set_new(o, "blocked", blocked != NULL ?
	    json_string(blocked) : json_null());
	json_object_set_new(o, "interface", json_string(n->port_if));
	json_object_set_new(o, "state", json_string(n->up != NULL ?
	    "attached" : "offline"));
	json_object_set_new(o, "mac", json_string(mac_str(n->mac, m,
	    sizeof(m))));
	json_object_set_new(o, "driver", json_string(n->driver ==
	    DRIVER_NETNS ? "netns" : "qemu"));
	json_object_set_new(o, "upstream", n->up ? json_string(n->up->name) :
	    json_null());
	json_object_set_new(o, "address", n->addr.af ?
	    json_string(kaddr_host(&n->addr, a, sizeof(a))) : json_null());
	if (n->kind == NODE_GATEWAY) {
		json_object_set_new(o, "role", json_string(role_name(n->role)));
		json_object_set_new(o, "segment", json_string(kaddr_str(
		    &n->seg->net, a, sizeof(a))));
		json_object_set_new(o, "bridge", json_string(n->bridge_if));
		json_object_set_new(o, "down_interface",
		    json_string(n->down_if));
		json_object_set_new(o, "down_mac", json_string(mac_str(
		    n->down_mac, m, sizeof(m))));
		json_object_set_new(o, "ready", json_boolean(!nl->unready));
		json_object_set_new(o, "guest", json_string(
		    nl->guest_status[0] ? nl->guest_status : "unknown"));
	} else
		json_object_set_new(o, "chain", n->chain ?
		    json_string(n->chain->name) : json_string("none"));
	if (n->addr6.af)
		json_object_set_new(o, "address6", json_string(kaddr_host(
		    &n->addr6, a, sizeof(a))));
	return o;
}

/* Every gateway on c ready and its uplink's interface up. */
static int
chain_carrying(const struct netd_live *lv, const struct chain *c)
{
	size_t	 i;

	for (i = 0; i < c->nhops; i++)
		if (c->hops[i].node == NULL ||
		    !node_passes(&lv->gate, c->hops[i].node))
			return 0;
	return 1;
}

/* A chain: its gateways and uplink, first hop first. */
static json_t *
chain_json(const struct netd_live *lv, const struct chain *c)
{
	json_t	*o = json_object(), *hops = json_array();
	size_t	 i;

	json_object_set_new(o, "name", json_string(c->name));
	for (i = 0; i < c->nhops; i++)
		json_array_append_new(hops, json_string(c->hops[i].name));
	json_object_set_new(o, "hops", hops);
	json_object_set_new(o, "ipv6", json_boolean(c->ipv6));
	json_object_set_new(o, "dns", json_string(c->dns == DNS_NONE ?
	    "none" : "first-hop"));
	json_object_set_new(o, "carrying", json_boolean(chain_carrying(lv,
	    c)));
	return o;
}

static int
h_status(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	const struct netd	*d = arg;
	const struct node	*n;
	const struct chain	*c;
	json_t			*root = json_object(), *nodes = json_array();
	json_t			*chains = json_array();
	char			*s;

	(void)m;
	json_object_set_new(root, "config", json_string(d->conffile));
	json_object_set_new(root, "pid", json_integer(getpid()));
	json_object_set_new(root, "uptime", json_integer(
	    (json_int_t)(time(NULL) - d->started)));
	json_object_set_new(root, "log", json_string(log_getverbose() ?
	    "verbose" : "brief"));
	TAILQ_FOREACH(n, &d->conf->nodes, entry)
		json_array_append_new(nodes, node_json(d->live, n));
	json_object_set_new(root, "nodes", nodes);
	TAILQ_FOREACH(c, &d->conf->chains, entry)
		json_array_append_new(chains, chain_json(d->live, c));
	json_object_set_new(root, "chains", chains);
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (s == NULL)
		return ctl_reply_error(rep, CTL_E_FAIL, "status: out of memory");
	fprintf(rep->fp, "%s\n", s);
	free(s);
	return 0;
}

static int
h_attach(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	char	 err[256];

	if (netd_attach(arg, m->args[0], m->args[1], err, sizeof(err)) == -1)
		return ctl_reply_error(rep, CTL_E_FAIL, "%s", err);
	fprintf(rep->fp, "%s attached to %s\n", m->args[0], m->args[1]);
	return 0;
}

static int
h_detach(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	char	 err[256];

	if (netd_attach(arg, m->args[0], "none", err, sizeof(err)) == -1)
		return ctl_reply_error(rep, CTL_E_FAIL, "%s", err);
	fprintf(rep->fp, "%s detached\n", m->args[0]);
	return 0;
}

static int
h_show_rules(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	const struct netd	*d = arg;
	const char		*t = m->args[0];
	const char		*name = m->nargs > 1 ? m->args[1] : NULL;
	struct ruleset		*rs;

	if (name != NULL && rules_anchor(d->rs, name) == NULL)
		return ctl_reply_error(rep, CTL_E_FAIL, "show rules: no vm, "
		    "gateway or uplink named \"%s\"", name);
	/* netd keeps no VM's rules once loaded: the graph gives them again */
	if ((rs = rules_compile_gated(d->conf, &d->live->gate)) == NULL)
		return ctl_reply_error(rep, CTL_E_FAIL, "show rules: cannot "
		    "compile the rules");
	if (strcmp(t, "pf") == 0)
		emit_pf(rep->fp, rs, name);
	else
		emit_nft(rep->fp, rs, name);
	rules_free(rs);
	return 0;
}

static int
h_graph(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	const struct netd	*d = arg;

	(void)m;
	print_dot(rep->fp, d->conf, &d->live->gate);
	return 0;
}

static int
h_reload(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	const struct netd	*d = arg;
	char			 err[sizeof(rep->errmsg)];

	if (netd_reload(arg, m->flags & CTL_F_FORCE, err, sizeof(err)) == -1)
		return ctl_reply_error(rep, CTL_E_FAIL, "%s", err);
	fprintf(rep->fp, "reloaded %s\n", d->conffile);
	return 0;
}

static int
h_teardown(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	char	 err[256];

	if (netd_teardown(arg, m->flags & CTL_F_FORCE, err, sizeof(err)) ==
	    -1)
		return ctl_reply_error(rep, CTL_E_FAIL, "%s", err);
	fprintf(rep->fp, "kubsd's rules and interfaces removed\n");
	return 0;
}

static int
h_log(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	(void)arg;
	log_setverbose(strcmp(m->args[0], "verbose") == 0);
	fprintf(rep->fp, "logging %s\n", m->args[0]);
	return 0;
}

/*
 * What kubsd-netd does for each request.  The arguments were checked
 * against the command table (ctl_cmd.c), which also says who may ask.
 */
static const struct ctl_handler handlers[] = {
	{ CTL_STATUS,		h_status },
	{ CTL_ATTACH,		h_attach },
	{ CTL_DETACH,		h_detach },
	{ CTL_SHOW_RULES,	h_show_rules },
	{ CTL_GRAPH,		h_graph },
	{ CTL_RELOAD,		h_reload },
	{ CTL_TEARDOWN,		h_teardown },
	{ CTL_LOG,		h_log },
	{ CTL_VM_START,		h_vm_start },
	{ CTL_VM_STOP,		h_vm_stop },
	{ CTL_VM_KILL,		h_vm_kill },
	{ CTL_VM_STATUS,	h_vm_status },
};
#define NHANDLERS	(sizeof(handlers) / sizeof(handlers[0]))

static void
conn_close(struct conn *c)
{
	TAILQ_REMOVE(&c->ctl->conns, c, entry);
	event_free(c->rd);
	event_free(c->wr);
	ctl_conn_free(c->cc);
	free(c);
}

static void
conn_write(evutil_socket_t fd, short ev, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)ev;
	if (ctl_conn_flush(c->cc) == -1) {
		conn_close(c);
		return;
	}
	if (!ctl_conn_pending(c->cc))
		event_del(c->wr);
}

static void
conn_read(evutil_socket_t fd, short ev, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)ev;
	if (ctl_conn_read(c->cc, handlers, NHANDLERS, c->ctl->d) == -1) {
		conn_close(c);
		return;
	}
	/* Write at once: a teardown's reply must leave before netd does. */
	if (ctl_conn_pending(c->cc) && ctl_conn_flush(c->cc) == -1) {
		conn_close(c);
		return;
	}
	if (ctl_conn_pending(c->cc))
		event_add(c->wr, NULL);
}

static void
control_accept(evutil_socket_t fd, short ev, void *arg)
{
	struct control	*ctl = arg;
	struct netd	*d = ctl->d;
	struct conn	*c;
	int		 s;

	(void)ev;
	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("control: accept");
		return;
	}
	c = xcalloc(1, sizeof(*c));
	if ((c->cc = ctl_conn_new(s, ctl->group)) == NULL) {
		close(s);
		free(c);
		return;
	}
	c->ctl = ctl;
	TAILQ_INSERT_TAIL(&ctl->conns, c, entry);
	c->rd = event_new(d->base, s, EV_READ | EV_PERSIST, conn_read, c);
	c->wr = event_new(d->base, s, EV_WRITE | EV_PERSIST, conn_write, c);
	event_add(c->rd, NULL);
}

int
netd_control_init(struct netd *d, const char *path)
{
	struct control	*ctl = xcalloc(1, sizeof(*ctl));

	ctl->d = d;
	TAILQ_INIT(&ctl->conns);

	/* No "kubsd" group: (gid_t)-1, the socket is root's alone. */
	(void)ctl_group(KUBSD_GROUP, &ctl->group);
	if ((ctl->fd = ctl_listen(path, ctl->group)) == -1) {
		free(ctl);
		return -1;
	}
	ctl->path = xstrdup(path);
	ctl->ev = event_new(d->base, ctl->fd, EV_READ | EV_PERSIST,
	    control_accept, ctl);
	event_add(ctl->ev, NULL);
	d->control = ctl;
	return 0;
}

void
netd_control_close(struct netd *d)
{
	struct control	*ctl = d->control;

	if (ctl == NULL)
		return;
	while (!TAILQ_EMPTY(&ctl->conns))
		conn_close(TAILQ_FIRST(&ctl->conns));
	event_free(ctl->ev);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
	d->control = NULL;
}
