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
 * commands that bring it up.  Everything kubsd would do on OpenBSD is
 * here, so that the golden files show all of it.
 */
#include <stdio.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"
#include "openbsd.h"

static void
plan_head(FILE *f, const char *what)
{
	fprintf(f, "\n==> %s <==\n", what);
}

static void
plan_anchors(FILE *f, const struct ruleset *rs, const struct obsd_units *u)
{
	char	 what[128];
	size_t	 i;

	for (i = 0; i < rs->nanchors; i++) {
		if (rs->anchors[i].kind == ANCHOR_BASE)
			continue;
		snprintf(what, sizeof(what), "pf anchor kubsd/%s",
		    rs->anchors[i].name);
		plan_head(f, what);
		pf_anchor_obsd(f, &rs->anchors[i], u);
	}
}

static void
plan_rc(FILE *f, const struct netd_config *conf)
{
	plan_head(f, "/etc/rc.conf.local (add)");
	fprintf(f, "pf=YES\nvmd_flags=\npkg_scripts=kubsd_netd\n");
	plan_head(f, "/etc/sysctl.conf (add)");
	fprintf(f, "net.inet.ip.forwarding=1\t# the uplinks' NAT\n");
	plan_head(f, "/etc/rc.d/kubsd_netd");
	fprintf(f, "#!/bin/ksh\n#\n# kubsd-netd: the network graph of "
	    "kubsd's VMs (rc.d(8))\n\n");
	fprintf(f, "daemon=\"/usr/local/sbin/kubsd-netd\"\n");
	/* the file as installed: a relative -f was a check from elsewhere */
	fprintf(f, "daemon_flags=\"-f %s\"\n\n", conf->file[0] == '/' ?
	    conf->file : KUBSD_CONF);
	fprintf(f, ". /etc/rc.d/rc.subr\n\nrc_reload=NO\n\nrc_cmd $1\n");
}

/* Bring-up, in order: interfaces, pf, disks, vmd, gateways, autostart VMs. */
static void
plan_commands(FILE *f, const struct netd_config *conf,
    const struct ruleset *rs, const struct obsd_units *u)
{
	const struct node	*n;
	size_t			 i, k;

	plan_head(f, "commands");
	fprintf(f, "sh /etc/netstart");
	for (k = 0; k < OBSD_NKINDS; k++)
		for (i = 0; i < u->n; i++)
			if (u->v[i].kind == (enum obsd_kind)k)
				fprintf(f, " %s", u->v[i].name);
	fprintf(f, "\npfctl -f /etc/pf.conf\n");
	fprintf(f, "# each \"pf anchor kubsd/NAME\" above, saved as "
	    "%s/pf/NAME.pf:\n", conf->statedir);
	for (i = 0; i < rs->nanchors; i++)
		if (rs->anchors[i].kind != ANCHOR_BASE)
			fprintf(f, "pfctl -a kubsd/%s -f %s/pf/%s.pf\n",
			    rs->anchors[i].name, conf->statedir,
			    rs->anchors[i].name);
	obsd_vm_disks(f, conf);
	fprintf(f, "rcctl enable vmd kubsd_netd\nrcctl start vmd\n");
	for (i = 0; i < rs->nanchors; i++)
		if (rs->anchors[i].kind == ANCHOR_GATEWAY)
			fprintf(f, "vmctl start %s\n", rs->anchors[i].name);
	for (n = TAILQ_FIRST(&conf->nodes); n != NULL;
	    n = TAILQ_NEXT(n, entry))
		if (n->kind == NODE_VM && n->autostart)
			fprintf(f, "vmctl start %s\t# autostart\n", n->name);
}

int
emit_openbsd(FILE *f, const struct netd_config *conf)
{
	struct ruleset		*rs;
	struct obsd_units	 u;

	if (obsd_vm_check(conf) == -1 || (rs = rules_compile(conf)) == NULL)
		return -1;
	obsd_units_alloc(&u, rs, NULL);
	fprintf(f, "# kubsd-netd -t openbsd: the OpenBSD host plan of %s\n",
	    conf->file);
	fprintf(f, "# see kubsd-netd(8), OPENBSD\n");
	plan_head(f, "/etc/pf.conf (add)");
	pf_conf_lines(f, rs, "");
	obsd_hostname_files(f, conf, rs, &u);
	plan_anchors(f, rs, &u);
	plan_head(f, "/etc/vm.conf");
	obsd_vm_conf(f, conf, &u);
	plan_rc(f, conf);
	plan_commands(f, conf, rs, &u);
	obsd_units_free(&u);
	rules_free(rs);
	return 0;
}
