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
 * kubsd-vm's requests to kubsd-netd: start, stop and kill answer at
 * once (kubsd-vm start then follows the state until "ready"; a
 * disposable's start names the instance it made); status is JSON, one
 * object per VM of the configuration and per running instance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>

#include <jansson.h>

#include "ctl.h"
#include "daemon.h"
#include "kubsd.h"
#include "vm.h"

/* start, stop and kill: the lifecycle's answer, or what it did. */
static int
vm_verb(const struct ctl_msg *m, struct ctl_reply *rep,
    int (*fn)(const char *, char *, size_t), const char *done)
{
	char	 err[512];

	if (fn(m->args[0], err, sizeof(err)) == -1)
		return ctl_reply_error(rep, CTL_E_FAIL, "%s", err);
	fprintf(rep->fp, "%s %s\n", m->args[0], done);
	return 0;
}

/* The name started: a disposable's is its new instance's. */
int
h_vm_start(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	struct vm	*vm;
	char		 err[512];

	(void)arg;
	if ((vm = vm_start(m->args[0], err, sizeof(err))) == NULL)
		return ctl_reply_error(rep, CTL_E_FAIL, "%s", err);
	fprintf(rep->fp, "%s starting\n", vm->name);
	return 0;
}

int
h_vm_stop(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	(void)arg;
	return vm_verb(m, rep, vm_stop, "stopping");
}

int
h_vm_kill(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	(void)arg;
	return vm_verb(m, rep, vm_kill, "killed");
}

/* [{"path": host, "at": guest, "mode": "ro"|"rw"}, ...] */
static json_t *
shares_json(const struct node *n)
{
	const struct vm_share	*s;
	json_t			*a = json_array(), *o;

	TAILQ_FOREACH(s, &n->shares, entry) {
		o = json_object();
		json_object_set_new(o, "path", json_string(s->path));
		json_object_set_new(o, "at", json_string(s->guest));
		json_object_set_new(o, "mode", json_string(s->rw ? "rw" :
		    "ro"));
		json_array_append_new(a, o);
	}
	return a;
}

/*
 * Where it is: a VM's chain; a gateway's role and its own segment (it
 * is on no chain, it is one's hop).
 */
static void
vm_json_net(json_t *o, const struct node *n)
{
	char	 s[KADDR_STRLEN];

	if (n->kind != NODE_GATEWAY) {
		json_object_set_new(o, "chain", json_string(n->chain != NULL ?
		    n->chain->name : "none"));
		return;
	}
	json_object_set_new(o, "chain", json_null());
	json_object_set_new(o, "role", json_string(role_name(n->role)));
	json_object_set_new(o, "segment", n->seg != NULL ?
	    json_string(kaddr_str(&n->seg->net, s, sizeof(s))) : json_null());
}

static json_t *
vm_json(const struct node *n, const struct vm *vm, const char *statedir)
{
	json_t	*o = json_object();
	char	 a[KADDR_STRLEN], d[PATH_MAX];

	json_object_set_new(o, "name", json_string(n->name));
	json_object_set_new(o, "state", json_string(vm_state_name(
	    vm != NULL ? vm->state : VM_STOPPED)));
	json_object_set_new(o, "pid", json_integer(vm != NULL ? vm->pid :
	    0));
	json_object_set_new(o, "accel", vm != NULL && vm->accel != NULL ?
	    json_string(vm->accel) : json_null());
	json_object_set_new(o, "memory", json_integer((json_int_t)
	    (n->memory >> 20)));
	json_object_set_new(o, "template", n->template != NULL ?
	    json_string(n->template) : json_null());
	vm_json_net(o, n);
	json_object_set_new(o, "address", n->addr.af ?
	    json_string(kaddr_host(&n->addr, a, sizeof(a))) : json_null());
	json_object_set_new(o, "interface", json_string(n->port_if));
	snprintf(d, sizeof(d), "%s/vms/%s", statedir, n->name);
	json_object_set_new(o, "dir", json_string(d));
	snprintf(d, sizeof(d), "%s/vmkeys/%s/admin", statedir, n->name);
	json_object_set_new(o, "key", json_string(d));
	vmuser_dir(statedir, n->name, d, sizeof(d));
	json_object_set_new(o, "ssh_dir", json_string(d));
	json_object_set_new(o, "disposable", json_boolean(n->disposable));
	json_object_set_new(o, "instance_of", n->instance_of != NULL ?
	    json_string(n->instance_of) : json_null());
	json_object_set_new(o, "sealed", json_boolean(n->sealed));
	json_object_set_new(o, "restart", json_string(restart_name(
	    n->restart)));
	json_object_set_new(o, "audio", json_string(audio_name(n->audio)));
	json_object_set_new(o, "x11", json_string(x11_name(n->x11)));
	json_object_set_new(o, "shares", shares_json(n));
	if (vm != NULL) {
		json_object_set_new(o, "agent", json_string(vm->status));
		json_object_set_new(o, "start_ms", json_real(vm->start_ms));
		json_object_set_new(o, "restarts", json_integer(
		    vm->restarts));
		json_object_set_new(o, "pss", vm_pss_mb(vm->pid) < 0 ?
		    json_null() : json_integer(vm_pss_mb(vm->pid)));
	}
	return o;
}

int
h_vm_status(const struct ctl_msg *m, struct ctl_reply *rep, void *arg)
{
	const struct netd	*d = arg;
	const struct node	*n;
	json_t			*arr = json_array();
	char			*s;
	int			 found = 0;

	TAILQ_FOREACH(n, &d->conf->nodes, entry) {
		if (n->kind == NODE_UPLINK || n->driver != DRIVER_QEMU)
			continue;	/* gateway VMs too */
		if (m->nargs == 1 && strcmp(m->args[0], n->name) != 0)
			continue;
		found = 1;
		json_array_append_new(arr, vm_json(n, vm_find(n->name),
		    d->conf->statedir));
	}
	if (m->nargs == 1 && !found) {
		json_decref(arr);
		return ctl_reply_error(rep, CTL_E_FAIL, "vm %s: no such vm",
		    m->args[0]);
	}
	s = json_dumps(arr, JSON_INDENT(1));
	json_decref(arr);
	fprintf(rep->fp, "%s\n", s);
	free(s);
	return 0;
}
