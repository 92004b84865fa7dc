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
 * kubsd-netd -t openbsd: the whole OpenBSD host plan, one section per
 * file or anchor ("==> WHAT <==", as head(1) prints them): the pf.conf
 * lines, the hostname.if(5) files, one anchor kubsd/NODE each, vm.conf,
 * rc.conf.local and sysctl.conf lines, the rc.d(8) script, and the
 * commands that bring it up.  The plan is data (openbsd_step.c): what
 * is printed here is what kubsd-netd on OpenBSD runs (openbsd_host.c),
 * step by step, so that the golden files show all it does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"
#include "openbsd.h"

/* A section the user adds by hand (kubsd-netd writes none of them). */
static void
plan_byhand(struct obsd_plan *p, const char *head, const char *text)
{
	obsd_plan_file(p, head, NULL, xstrdup(text));
}

static char *
anchor_path(char *buf, size_t len, const char *statedir, const char *name)
{
	snprintf(buf, len, "%s/pf/%s.pf", statedir, name);
	return buf;
}

/* An anchor's text, saved in STATEDIR/pf/NAME.pf for pfctl -a. */
static void
plan_anchor_file(struct obsd_plan *p, const char *statedir,
    const struct anchor *a, const struct obsd_units *u)
{
	char	 head[128], path[1024], *buf;
	size_t	 len;
	FILE	*f = obsd_text_open(&buf, &len);

	pf_anchor_obsd(f, a, u);
	fclose(f);
	snprintf(head, sizeof(head), "pf anchor kubsd/%s", a->name);
	obsd_plan_file(p, head, anchor_path(path, sizeof(path), statedir,
	    a->name), buf);
}

static void
plan_anchor_load(struct obsd_plan *p, const char *statedir,
    const struct anchor *a)
{
	char	 anchor[128], path[1024];

	snprintf(anchor, sizeof(anchor), "kubsd/%s", a->name);
	obsd_plan_run(p, "pfctl", "-a", anchor, "-f", anchor_path(path,
	    sizeof(path), statedir, a->name), NULL);
}

/* One anchor, saved then loaded: what an attach does for its VM. */
void
obsd_plan_anchor(struct obsd_plan *p, const char *statedir,
    const struct anchor *a, const struct obsd_units *u)
{
	plan_anchor_file(p, statedir, a, u);
	plan_anchor_load(p, statedir, a);
}

static void
plan_rc(struct obsd_plan *p, const struct netd_config *conf)
{
	char	*buf;
	size_t	 len;
	FILE	*f;

	plan_byhand(p, "/etc/rc.conf.local (add)",
	    "pf=YES\nvmd_flags=\npkg_scripts=kubsd_netd\n");
	plan_byhand(p, "/etc/sysctl.conf (add)",
	    "net.inet.ip.forwarding=1\t# the uplinks' NAT\n");
	f = obsd_text_open(&buf, &len);
	fprintf(f, "#!/bin/ksh\n#\n# kubsd-netd: the network graph of "
	    "kubsd's VMs (rc.d(8))\n\n");
	fprintf(f, "daemon=\"/usr/local/sbin/kubsd-netd\"\n");
	/* the file as installed: a relative -f was a check from elsewhere */
	fprintf(f, "daemon_flags=\"-f %s\"\n\n", conf->file[0] == '/' ?
	    conf->file : KUBSD_CONF);
	fprintf(f, ". /etc/rc.d/rc.subr\n\nrc_reload=NO\n\nrc_cmd $1\n");
	fclose(f);
	obsd_plan_file(p, "/etc/rc.d/kubsd_netd", NULL, buf);
}

static const struct obsd_step *
plan_find(const struct obsd_plan *p, const char *head)
{
	size_t	 i;

	for (i = 0; i < p->n; i++)
		if (p->v[i].op == OBSD_FILE && strcmp(p->v[i].head, head) == 0)
			return &p->v[i];
	return NULL;
}

/*
 * What netstart(8) does with the hostname.if files, in its order (taps,
 * vports, vebs): "ifconfig UNIT LINE" for each of their lines.
 */
static void
plan_ifconfig(struct obsd_plan *p, const struct obsd_units *u)
{
	const struct obsd_step	*s;
	char			 head[64];
	size_t			 i, k;

	for (k = 0; k < OBSD_NKINDS; k++)
		for (i = 0; i < u->n; i++) {
			if (u->v[i].kind != (enum obsd_kind)k)
				continue;
			snprintf(head, sizeof(head), "/etc/hostname.%s",
			    u->v[i].name);
			if ((s = plan_find(p, head)) != NULL)
				obsd_plan_lines(p, "ifconfig", u->v[i].name,
				    s->text);
		}
}

/* Bring-up, in order: interfaces, pf, disks, vmd, gateways, autostart VMs. */
static void
plan_commands(struct obsd_plan *p, const struct netd_config *conf,
    const struct ruleset *rs, const struct obsd_units *u)
{
	const struct node	*n;
	struct obsd_step	*s;
	char			*note;
	size_t			 i;

	plan_ifconfig(p, u);
	obsd_plan_run(p, "pfctl", "-f", "/etc/pf.conf", NULL)->byhand = 1;
	if (asprintf(&note, "# each \"pf anchor kubsd/NAME\" above, saved as "
	    "%s/pf/NAME.pf:", conf->statedir) == -1)
		note = xstrdup("# each \"pf anchor kubsd/NAME\" above");
	obsd_plan_note(p, note);
	for (i = 0; i < rs->nanchors; i++)
		if (rs->anchors[i].kind != ANCHOR_BASE)
			plan_anchor_load(p, conf->statedir, &rs->anchors[i]);
	obsd_vm_disks(p, conf);
	obsd_plan_run(p, "rcctl", "enable", "vmd", "kubsd_netd", NULL)->byhand = 1;
	obsd_plan_run(p, "rcctl", "start", "vmd", NULL)->boot = 1;
	for (i = 0; i < rs->nanchors; i++)
		if (rs->anchors[i].kind == ANCHOR_GATEWAY)
			obsd_plan_run(p, "vmctl", "start", rs->anchors[i].name,
			    NULL)->boot = 1;
	for (n = TAILQ_FIRST(&conf->nodes); n != NULL;
	    n = TAILQ_NEXT(n, entry))
		if (n->kind == NODE_VM && n->autostart) {
			s = obsd_plan_run(p, "vmctl", "start", n->name, NULL);
			s->comment = "autostart";
			s->boot = 1;
		}
}

/* The whole host: its files, then the commands that bring it up. */
void
obsd_plan_full(struct obsd_plan *p, const struct netd_config *conf,
    const struct ruleset *rs, const struct obsd_units *u)
{
	char	*buf;
	size_t	 len, i;
	FILE	*f;

	f = obsd_text_open(&buf, &len);
	pf_conf_lines(f, rs, "");
	fclose(f);
	obsd_plan_file(p, "/etc/pf.conf (add)", NULL, buf);
	obsd_hostname_files(p, conf, rs, u);
	for (i = 0; i < rs->nanchors; i++)
		if (rs->anchors[i].kind != ANCHOR_BASE)
			plan_anchor_file(p, conf->statedir, &rs->anchors[i], u);
	f = obsd_text_open(&buf, &len);
	obsd_vm_conf(f, conf, u);
	fclose(f);
	obsd_plan_file(p, "/etc/vm.conf", "/etc/vm.conf", buf);
	plan_rc(p, conf);
	plan_commands(p, conf, rs, u);
}

/* The segment owner whose veb is unit veb. */
static const struct node *
veb_owner(const struct netd_config *conf, const struct obsd_units *u,
    const char *veb)
{
	const struct node	*n;
	const char		*v;

	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind != NODE_VM && (v = obsd_unit(u, OBSD_VEB,
		    n->bridge_if)) != NULL && strcmp(v, veb) == 0)
			return n;
	return NULL;
}

static void
plan_veb_file(struct obsd_plan *p, const struct netd_config *conf,
    const struct obsd_units *u, const char *veb)
{
	const struct node	*owner = veb_owner(conf, u, veb);

	if (owner != NULL)
		obsd_veb_file(p, conf, u, owner);
}

/*
 * A VM moved (an attach, n already moved in the graph) from the veb
 * oldveb (NULL: none): that veb's and its new veb's hostname.if files,
 * then its port off the old veb and onto the new one.  No other port,
 * no other veb, is touched.
 */
void
obsd_plan_attach(struct obsd_plan *p, const struct netd_config *conf,
    const struct obsd_units *u, const struct node *n, const char *oldveb)
{
	const char	*veb = obsd_node_veb(u, n);
	const char	*tap = obsd_unit(u, OBSD_TAP, n->port_if);

	if (tap == NULL)
		return;
	if (oldveb != NULL && (veb == NULL || strcmp(oldveb, veb) != 0))
		plan_veb_file(p, conf, u, oldveb);
	if (veb != NULL)
		plan_veb_file(p, conf, u, veb);
	if (oldveb != NULL)
		obsd_plan_run(p, "ifconfig", oldveb, "del", tap, NULL);
	if (veb != NULL)
		obsd_port_steps(p, veb, u, n);
}

int
emit_openbsd(FILE *f, const struct netd_config *conf)
{
	struct ruleset		*rs;
	struct obsd_units	 u;
	struct obsd_plan	 p = { NULL, 0 };

	if (obsd_vm_check(conf) == -1 || (rs = rules_compile(conf)) == NULL)
		return -1;
	obsd_units_alloc(&u, rs, NULL);
	fprintf(f, "# kubsd-netd -t openbsd: the OpenBSD host plan of %s\n",
	    conf->file);
	fprintf(f, "# see kubsd-netd(8), OPENBSD\n");
	obsd_plan_full(&p, conf, rs, &u);
	obsd_plan_print(f, &p);
	obsd_plan_free(&p);
	obsd_units_free(&u);
	rules_free(rs);
	return 0;
}
