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
 * The VM lifecycle, independent of the driver: stopped -> starting ->
 * ready -> stopping -> stopped.  A VM's port carries nothing until its
 * agent says "ready" (node_live's unready, as for gateways: compile_vm()
 * blocks it), and is blocked again the moment its process ends.
 * What follows an end that no stop asked for is the restart policy's.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "agentline.h"
#include "daemon.h"
#include "kubsd.h"
#include "live.h"
#include "log.h"
#include "vm.h"

#define AGENT_RETRY_MS	50
#define RESTART_MAX	5	/* restarts without a ready in between */

static struct vms		 vms = TAILQ_HEAD_INITIALIZER(vms);
static struct event_base	*vbase;
static struct netd		*vd;	/* the daemon's context */

static void	 on_agent_retry(evutil_socket_t, short, void *);
static void	 vm_free(struct vm *);

void
vm_init(struct netd *d)
{
	vd = d;
	vbase = d->base;
}

const char *
vm_state_name(enum vm_state s)
{
	switch (s) {
	case VM_STARTING:	return "starting";
	case VM_READY:		return "ready";
	case VM_STOPPING:	return "stopping";
	default:		return "stopped";
	}
}

struct vm *
vm_find(const char *name)
{
	struct vm	*vm;

	TAILQ_FOREACH(vm, &vms, entry)
		if (strcmp(vm->name, name) == 0)
			return vm;
	return NULL;
}

struct vms *
vm_list(void)
{
	return &vms;
}

size_t
vm_running(void)
{
	struct vm	*vm;
	size_t		 n = 0;

	/* a gateway's VM is the network's, not a user's */
	TAILQ_FOREACH(vm, &vms, entry)
		if (vm_node(vm) == NULL || vm_node(vm)->kind == NODE_VM)
			n++;
	return n;
}

/* A node this layer runs: a VM, or a gateway with driver qemu. */
static int
is_vm(const struct node *n)
{
	return n->kind == NODE_VM || (n->kind == NODE_GATEWAY &&
	    n->driver == DRIVER_QEMU);
}

/* The definition, in the configuration of the moment. */
const struct node *
vm_node(const struct vm *vm)
{
	const struct netd	*d = vd;
	const struct node	*n;

	if (d == NULL || d->conf == NULL || (n = node_find(d->conf, vm->name)) == NULL ||
	    !is_vm(n))
		return NULL;
	return n;
}

/*
 * Every VM's port is let through only while its agent is ready (a
 * gateway's: while its guest says so, gw_guests_poll()); a disposable
 * definition's never (its instances run, not it).
 */
void
vm_gate(struct netd_live *lv)
{
	struct vm		*vm;
	const struct node	*n;

	TAILQ_FOREACH(n, &lv->conf->nodes, entry)
		if (instance_is_def(n))
			live_node(lv, n)->unready = 1;
	TAILQ_FOREACH(vm, &vms, entry)
		if ((n = node_find(lv->conf, vm->name)) != NULL &&
		    n->kind == NODE_VM)
			live_node(lv, n)->unready = vm->state != VM_READY;
}

static void
set_state(struct vm *vm, enum vm_state s)
{
	const struct node	*n = vm_node(vm);
	struct node_live	*nl;
	int			 was;

	if (vm->state != s)
		log_debug("vm %s: %s", vm->name, vm_state_name(s));
	vm->state = s;
	if (n == NULL)
		return;
	nl = live_node(vd->live, n);
	was = nl->unready;
	if (n->kind == NODE_VM)
		nl->unready = s != VM_READY;
	else if (s != VM_READY)
		nl->unready = 1;	/* a gateway: blocked at once */
	if (was != nl->unready || n->kind == NODE_GATEWAY)
		netd_gate_changed(vd);
}

static struct vm *
vm_new(const char *name)
{
	struct vm	*vm = xcalloc(1, sizeof(*vm));

	snprintf(vm->name, sizeof(vm->name), "%s", name);
	vm->pidfd = vm->agent_fd = -1;
	vm->drv = &vm_qemu_driver;
	snprintf(vm->statedir, sizeof(vm->statedir), "%s",
	    vd->conf->statedir);
	snprintf(vm->dir, sizeof(vm->dir), "%s/vms/%s", vm->statedir, name);
	vm->ev_timer = evtimer_new(vbase, on_agent_retry, vm);
	TAILQ_INSERT_TAIL(&vms, vm, entry);
	return vm;
}

static void
agent_close(struct vm *vm)
{
	if (vm->ev_agent != NULL)
		event_free(vm->ev_agent);
	vm->ev_agent = NULL;
	if (vm->agent_fd != -1)
		close(vm->agent_fd);
	vm->agent_fd = -1;
	vm->alen = 0;
}

static void
vm_free(struct vm *vm)
{
	agent_close(vm);
	if (vm->ev_timer != NULL)
		event_free(vm->ev_timer);
	if (vm->ev_exit != NULL)
		event_free(vm->ev_exit);
	if (vm->pidfd != -1)
		close(vm->pidfd);
	TAILQ_REMOVE(&vms, vm, entry);
	free(vm);
}

static void
timer_ms(struct vm *vm, long ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(vm->ev_timer, &tv);
}

static void
agent_line_cb(void *vm, char *line)
{
	vm_agent_line(vm, line);
}

/* Lines from the agent: "ready ...", "state ...". */
static void
on_agent(evutil_socket_t fd, short ev, void *arg)
{
	struct vm	*vm = arg;
	ssize_t		 r;

	(void)ev;
	r = read(fd, vm->abuf + vm->alen, sizeof(vm->abuf) - 1 - vm->alen);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		agent_close(vm);
		if (vm->state != VM_STOPPED)
			timer_ms(vm, AGENT_RETRY_MS);
		return;
	}
	vm->alen = agent_lines(vm->abuf, vm->alen + (size_t)r,
	    sizeof(vm->abuf), agent_line_cb, vm);
}

void
vm_agent_line(struct vm *vm, const char *line)
{
	const struct node *n;
	const char	*arg;

	switch (agent_line_kind(line, &arg)) {
	case AL_READY:
		if (vm->state == VM_STARTING) {
			log_info("vm %s: ready after %lld s", vm->name,
			    (long long)time(NULL) - vm->started);
			vm->restarts = 0;
		}
		if (vm->state != VM_STOPPING)
			set_state(vm, VM_READY);
		snprintf(vm->status, sizeof(vm->status), "%s", line);
		if ((n = vm_node(vm)) != NULL && n->kind == NODE_GATEWAY)
			gwvm_send_bundle(vm, vm->statedir);
		break;
	case AL_STATUS:
		if (gwvm_status_line(vm, arg))
			netd_gate_changed(vd);
		break;
	case AL_STATE:
		snprintf(vm->status, sizeof(vm->status), "%s", arg);
		break;
	case AL_HELLO:
		if ((n = vm_node(vm)) != NULL)
			vm_net_changed(n);
		break;
	default:
		log_debug("vm %s: agent: %s", vm->name, line);
	}
}

void
vm_agent_send(struct vm *vm, const char *line)
{
	size_t	 len = strlen(line);

	if (vm->agent_fd == -1 || write(vm->agent_fd, line, len) !=
	    (ssize_t)len)
		log_debug("vm %s: agent: cannot send %s", vm->name, line);
}

/* QEMU makes the agent's socket early; until then, try again. */
static int
agent_connect(struct vm *vm)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/agent.sock", vm->dir) >= sizeof(sun.sun_path))
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	vm->agent_fd = fd;
	vm->ev_agent = event_new(vbase, fd, EV_READ | EV_PERSIST, on_agent,
	    vm);
	event_add(vm->ev_agent, NULL);
	/* An agent that was ready before (an adoption) says so again. */
	vm_agent_send(vm, "hello\n");
	return 0;
}

/* The timer: the agent's socket while starting, the stop's deadline. */
static void
on_agent_retry(evutil_socket_t fd, short ev, void *arg)
{
	struct vm	*vm = arg;

	(void)fd;
	(void)ev;
	if (vm->state == VM_STOPPING) {
		log_info("vm %s: no power-off after %d s: quit", vm->name,
		    VM_STOP_TIMEOUT);
		vm->drv->quit(vm);
		return;
	}
	if (vm->agent_fd == -1 && agent_connect(vm) == -1)
		timer_ms(vm, AGENT_RETRY_MS);
}

static int
start_checks(const char *name, const struct node **np, char *err,
    size_t len)
{
	struct vm		*vm;
	const struct node	*n;

	n = node_find(vd->conf, name);
	if (n == NULL || !is_vm(n)) {
		snprintf(err, len, "vm %s: no such vm", name);
		return -1;
	}
	if (n->driver != DRIVER_QEMU) {
		snprintf(err, len, "vm %s: driver netns has no process to "
		    "start", name);
		return -1;
	}
	if ((vm = vm_find(name)) != NULL) {
		snprintf(err, len, "vm %s: already %s", name,
		    vm_state_name(vm->state));
		return -1;
	}
	*np = n;
	return 0;
}

/*
 * Start VM name, or a new instance of it if it is a disposable
 * definition: the VM started, or NULL and why in err.
 */
struct vm *
vm_start(const char *name, char *err, size_t len)
{
	const struct node *n;
	struct vm	*vm;
	struct timespec	 t0, t1;

	if (start_checks(name, &n, err, len) == -1)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (instance_is_def(n) && (n = instance_add(vd, n, err, len)) == NULL)
		return NULL;
	vm = vm_new(n->name);
	vm->state = VM_STARTING;
	live_node(vd->live, n)->unready = 1;
	if (vm->drv->start(vm, err, len) == -1) {
		vm->drv->release(vm);	/* nothing half-made stays */
		vm_free(vm);
		instance_remove(vd, n->name);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	vm->start_ms = (t1.tv_sec - t0.tv_sec) * 1e3 +
	    (t1.tv_nsec - t0.tv_nsec) / 1e6;
	vm->started = (long long)time(NULL);
	log_info("vm %s: started (pid %ld, %s, %.1f ms)", vm->name,
	    (long)vm->pid, vm->accel, vm->start_ms);
	timer_ms(vm, AGENT_RETRY_MS);
	return vm;
}

static struct vm *
running(const char *name, char *err, size_t len)
{
	struct vm	*vm;

	if ((vm = vm_find(name)) == NULL) {
		if (node_find(vd->conf, name) == NULL)
			snprintf(err, len, "vm %s: no such vm", name);
		else
			snprintf(err, len, "vm %s: not running", name);
	}
	return vm;
}

int
vm_stop(const char *name, char *err, size_t len)
{
	struct vm	*vm;

	if ((vm = running(name, err, len)) == NULL)
		return -1;
	if (vm->state == VM_STOPPING)
		return 0;
	vm->stopping = 1;
	set_state(vm, VM_STOPPING);
	vm_agent_send(vm, "poweroff\n");
	vm->drv->powerdown(vm);
	timer_ms(vm, VM_STOP_TIMEOUT * 1000L);
	return 0;
}

int
vm_kill(const char *name, char *err, size_t len)
{
	struct vm	*vm;

	if ((vm = running(name, err, len)) == NULL)
		return -1;
	vm->stopping = 1;
	set_state(vm, VM_STOPPING);
	vm->drv->quit(vm);
	return 0;
}

/*
 * Teardown: every VM ends now, and is waited for (netd exits after
 * it), so that nothing of theirs is left (their ports go with the links).
 */
void
vm_stop_all(void)
{
	struct vm	*vm;
	struct pollfd	 pfd;

	while ((vm = TAILQ_FIRST(&vms)) != NULL) {
		vm->stopping = 1;
		vm->drv->quit(vm);
		pfd.fd = vm->pidfd;
		pfd.events = POLLIN;
		if (vm->pidfd != -1 && poll(&pfd, 1, 5000) != 1)
			log_warnx("vm %s: still running", vm->name);
		waitpid(vm->pid, NULL, WNOHANG);
		log_info("vm %s: stopped by teardown", vm->name);
		vm->drv->release(vm);
		vm_free(vm);
	}
}

/* The last line QEMU wrote (qemu.log), to say why it ended early. */
const char *
vm_last_words(const struct vm *vm)
{
	static char	 last[256];
	char		 p[PATH_MAX], line[256];
	FILE		*fp;

	snprintf(last, sizeof(last), "no message");
	snprintf(p, sizeof(p), "%s/qemu.log", vm->dir);
	if ((fp = fopen(p, "r")) == NULL)
		return last;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (line[0] != '\n')
			snprintf(last, sizeof(last), "%s", line);
	fclose(fp);
	last[strcspn(last, "\n")] = '\0';
	return last;
}

static int
wants_restart(const struct vm *vm, const struct node *n, int failed)
{
	if (vm->stopping || n == NULL)
		return 0;
	if (n->kind == NODE_GATEWAY)	/* its chains need it */
		return vm->restarts < RESTART_MAX;
	if (n->restart == RESTART_ALWAYS ||
	    (n->restart == RESTART_ON_FAILURE && failed))
		return vm->restarts < RESTART_MAX;
	return 0;
}

/* The process ended (the driver saw it): blocked at once, then maybe again. */
void
vm_exited(struct vm *vm, int failed)
{
	const struct node *n = vm_node(vm);
	char		 name[sizeof(vm->name)], err[256];
	int		 restarts = vm->restarts, again;

	if (vm->stopping)
		log_info("vm %s: stopped", vm->name);
	else
		log_warnx("vm %s: its process ended%s%s%s", vm->name,
		    failed ? " (crashed or killed)" : "",
		    vm->state == VM_STARTING ? ": " : "",
		    vm->state == VM_STARTING ? vm_last_words(vm) : "");
	set_state(vm, VM_STOPPED);
	again = wants_restart(vm, n, failed);
	vm->drv->release(vm);
	snprintf(name, sizeof(name), "%s", vm->name);
	vm_free(vm);
	instance_remove(vd, name);	/* if it is one: nothing is left */
	if (!again)
		return;
	log_info("vm %s: restart %s: starting again", name,
	    n->kind == NODE_GATEWAY ? "always" : restart_name(n->restart));
	if ((vm = vm_start(name, err, sizeof(err))) == NULL)
		log_warnx("%s", err);
	else
		vm->restarts = restarts + 1;
}

/* netd started: the VMs that outlived the last one are ours again. */
void
vm_adopt_all(struct netd_live *lv)
{
	const struct node	*n;
	struct vm		*vm;

	TAILQ_FOREACH(n, &lv->conf->nodes, entry) {
		if (!is_vm(n) || n->driver != DRIVER_QEMU)
			continue;
		vm = vm_new(n->name);
		vm->state = VM_STARTING;
		if (vm->drv->adopt(vm) == -1) {
			vm_free(vm);
			continue;
		}
		live_node(lv, n)->unready = 1;
		vm->started = (long long)time(NULL);
		log_info("vm %s: adopted (pid %ld)", n->name, (long)vm->pid);
		timer_ms(vm, 0);
	}
	instance_prune(vd);	/* those that did not outlive netd */
}

/* Gateway VMs run whenever netd does (and the configuration has them). */
void
vm_gateways_start(void)
{
	const struct node	*n;
	struct node_live	*nl;
	char			 err[256];

	TAILQ_FOREACH(n, &vd->conf->nodes, entry)
		if (n->kind == NODE_GATEWAY && n->driver == DRIVER_QEMU &&
		    n->up != NULL && vm_find(n->name) == NULL &&
		    vm_start(n->name, err, sizeof(err)) == NULL) {
			log_warnx("%s", err);
			nl = live_node(vd->live, n);
			snprintf(nl->last_error, sizeof(nl->last_error), "%s",
			    err);
		}
}

void
vm_autostart(void)
{
	const struct node *n;
	char		 err[256];

	vm_gateways_start();
	TAILQ_FOREACH(n, &vd->conf->nodes, entry)
		if (n->kind == NODE_VM && n->autostart &&
		    n->driver == DRIVER_QEMU && vm_find(n->name) == NULL &&
		    vm_start(n->name, err, sizeof(err)) == NULL)
			log_warnx("autostart: %s", err);
}

/* An attach moved a running VM: its agent applies the new address. */
void
vm_net_changed(const struct node *n)
{
	struct vm	*vm;
	char		 a[KADDR_STRLEN], g[KADDR_STRLEN], line[256];

	if ((vm = vm_find(n->name)) == NULL)
		return;
	if (n->up == NULL) {
		vm_agent_send(vm, "net none\n");
		return;
	}
	kaddr_host(&n->up->seg->gw, g, sizeof(g));
	snprintf(line, sizeof(line), "net %s/%d %s %s %d\n",
	    kaddr_host(&n->addr, a, sizeof(a)), n->up->seg->net.prefixlen,
	    g, n->chain != NULL && n->chain->dns == DNS_NONE ? "none" : g,
	    node_seg_mtu(n->up) > 0 ? node_seg_mtu(n->up) : KUBSD_MTU_ETHER);
	vm_agent_send(vm, line);
}
