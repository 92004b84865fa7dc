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
 * vmd(8) for kubsd's VMs and gateways: one vm.conf(5) stanza each,
 * "disable" so that vmd starts none at boot (kubsd-netd does, once the
 * network is up), its root disk an overlay of its template made with
 * vmctl create -b, its NICs kubsd's own taps with "locked lladdr" (never
 * "local interface", which gives the host an address and vmd's DHCP on
 * the tap).  vmd's limits are checked first, as config errors.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"
#include "openbsd.h"

#define OBSD_MB		(1024ULL * 1024)

/* A VM's private disk ("private SIZE"), persistent across starts. */
static int
vm_private(const struct node *n)
{
	return n->kind == NODE_VM && n->private_size > 0;
}

static int
vm_disks(const struct node *n)
{
	/* a root overlay; a gateway's bundle, a VM's private disk */
	return 1 + (n->kind == NODE_GATEWAY || vm_private(n));
}

static int
vm_nics(const struct node *n)
{
	return n->kind == NODE_GATEWAY ? 2 : 1;
}

static int
vm_err(const struct node *n, const char *why)
{
	fprintf(stderr, "%s:%d: %s \"%s\": %s\n", n->file, n->lineno,
	    n->kind == NODE_GATEWAY ? "gateway" : "vm", n->name, why);
	return -1;
}

/* vmd's own limits (vmd.h, parse.y), as errors naming file:line. */
int
obsd_vm_check(const struct netd_config *conf)
{
	const struct node	*n;
	const char		*p;
	int			 rv = 0;

	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->kind == NODE_UPLINK)
			continue;
		if (!isalpha((unsigned char)n->name[0]))
			rv = vm_err(n, "vmd needs a name that starts with a "
			    "letter");
		for (p = n->name; *p != '\0'; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' &&
			    *p != '_' && *p != '.') {
				rv = vm_err(n, "vmd allows only letters, digits, "
				    "'-', '_' and '.' in a name");
				break;
			}
		if (vm_disks(n) > OBSD_MAX_DISKS)
			rv = vm_err(n, "more disks than vmd's 4");
		if (vm_nics(n) > OBSD_MAX_NICS)
			rv = vm_err(n, "more interfaces than vmd's 4");
	}
	return rv;
}

static const char *
vm_dir(const struct node *n)
{
	return n->kind == NODE_VM && n->disposable ? "tmp" : "vm";
}

static void
vm_nic(FILE *f, const struct obsd_units *u, const char *key,
    const uint8_t mac[6])
{
	const char	*tap = obsd_unit(u, OBSD_TAP, key);
	char		 m[32];

	if (tap == NULL)
		return;
	fprintf(f, "\tinterface %s { locked lladdr %s }\t# %s\n", tap,
	    mac_str(mac, m, sizeof(m)), key);
}

static void
vm_stanza(FILE *f, const struct netd_config *conf,
    const struct obsd_units *u, const struct node *n)
{
	unsigned long long	 mb = n->memory / OBSD_MB;

	fprintf(f, "vm \"%s\" {\n\tdisable\n", n->name);
	if (mb > 0)
		fprintf(f, "\tmemory %lluM\n", mb);
	fprintf(f, "\tdisk \"%s/%s/%s/root.qcow2\" format qcow2\n",
	    conf->statedir, vm_dir(n), n->name);
	if (n->kind == NODE_GATEWAY)
		fprintf(f, "\tdisk \"%s/gateways/%s.img\" format raw\t"
		    "# its role bundle\n", conf->statedir, n->name);
	else if (vm_private(n))
		fprintf(f, "\tdisk \"%s/vm/%s/private.qcow2\" format qcow2\n",
		    conf->statedir, n->name);
	vm_nic(f, u, n->port_if, n->mac);
	if (n->kind == NODE_GATEWAY)
		vm_nic(f, u, n->down_if, n->down_mac);
	fprintf(f, "}\n");
}

void
obsd_vm_conf(FILE *f, const struct netd_config *conf,
    const struct obsd_units *u)
{
	const struct node	*n;
	int			 first = 1;

	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->kind == NODE_UPLINK)
			continue;
		if (!first)
			fprintf(f, "\n");
		first = 0;
		if (n->driver == DRIVER_NETNS)
			fprintf(f, "# %s: driver netns is Linux's; a vmd VM "
			    "here\n", n->name);
		vm_stanza(f, conf, u, n);
	}
}

/*
 * The root overlays, made afresh before each start; private disks once;
 * a gateway's bundle disk from its bundle (kubsd-netd -t bundle) saved in
 * STATEDIR/gateways/NAME, read by the guest (templates/openbsd).
 */
void
obsd_vm_disks(struct obsd_plan *p, const struct netd_config *conf)
{
	const struct node	*n;
	char			 dir[1024], root[1100], tpl[1100], img[1200];
	char			 src[1100], size[32];
	struct obsd_step	*s;

	TAILQ_FOREACH(n, &conf->nodes, entry) {
		if (n->kind == NODE_UPLINK)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s/%s", conf->statedir,
		    vm_dir(n), n->name);
		snprintf(root, sizeof(root), "%s/root.qcow2", dir);
		snprintf(tpl, sizeof(tpl), "%s/templates/%s.qcow2",
		    conf->statedir, n->template != NULL ? n->template :
		    "default");
		obsd_plan_run(p, "mkdir", "-p", dir, NULL)->boot = 1;
		obsd_plan_run(p, "rm", "-f", root, NULL)->boot = 1;
		obsd_plan_run(p, "vmctl", "create", "-b", tpl, root,
		    NULL)->boot = 1;
		if (n->kind == NODE_GATEWAY) {
			snprintf(src, sizeof(src), "%s/gateways/%s",
			    conf->statedir, n->name);
			snprintf(img, sizeof(img), "%s.img", src);
			obsd_plan_run(p, "makefs", "-t", "ffs", img, src,
			    NULL)->boot = 1;
		} else if (vm_private(n)) {
			snprintf(img, sizeof(img), "%s/vm/%s/private.qcow2",
			    conf->statedir, n->name);
			snprintf(size, sizeof(size), "%lluM",
			    (unsigned long long)((n->private_size + OBSD_MB -
			    1) / OBSD_MB));
			s = obsd_plan_run(p, "vmctl", "create", "-s", size, img,
			    NULL);
			s->guard = xstrdup(img);
			s->boot = 1;
		}
	}
}
