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
 * The OpenBSD host: real interface units for the graph (tapN per VM
 * port, vebN per segment, vportN where the host has an address), and
 * the plan that configures them: hostname.if(5) files, pf.conf lines
 * and anchors kubsd/NODE, vm.conf(5), rc.conf.local and rc.d(8).
 * OpenBSD interfaces are driver+unit and cannot be renamed; kubsd's
 * names (kp-work) become their descriptions, and every one is in the
 * group "kubsd".
 */
#ifndef OPENBSD_H
#define OPENBSD_H

#include <stdio.h>

#include "kubsd.h"
#include "rules.h"

struct obsd_plan;

/* in the order netstart(8) must create them: a veb adds the others */
enum obsd_kind	{ OBSD_TAP, OBSD_VPORT, OBSD_VEB, OBSD_NKINDS };

struct obsd_unit {
	enum obsd_kind		 kind;
	char			 key[KUBSD_IFNAMSIZ];	/* kubsd's name */
	unsigned		 unit;
	char			 name[KUBSD_IFNAMSIZ];	/* tap3 */
};

struct obsd_units {
	struct obsd_unit	*v;
	size_t			 n;
};

#define OBSD_UNITS_FILE	"openbsd-units"	/* in STATEDIR */
#define OBSD_MAX_DISKS	4		/* vmd.h: VM_MAX_DISKS_PER_VM */
#define OBSD_MAX_NICS	4		/* VM_MAX_NICS_PER_VM */
#define OBSD_ANCHORS	512		/* pf's default "set limit anchors" */

/*
 * openbsd_units.c: units for every interface of the ruleset.  Units
 * in statefile (NULL: none) are kept, new ones take the lowest free
 * unit in the ruleset's order: the same config gives the same units,
 * and with the file kept, adding or removing a node moves no other.
 */
void		 obsd_units_alloc(struct obsd_units *, const struct ruleset *,
		    const char *statefile);
int		 obsd_units_save(const struct obsd_units *, const char *);
const char	*obsd_unit(const struct obsd_units *, enum obsd_kind,
		    const char *key);
void		 obsd_units_free(struct obsd_units *);
const char	*obsd_egress(const char *ifname);

/* emit_pf.c: one anchor with real names; the pf.conf lines */
void		 pf_anchor_obsd(FILE *, const struct anchor *,
		    const struct obsd_units *);
void		 pf_conf_lines(FILE *, const struct ruleset *, const char *pfx);
/* emit_pf.c: pf words the gateways' rules.pf (gwfw_pf.c) shares */
void		 pf_addrs_table(FILE *, const struct raddrs *, const char *);
void		 pf_ports(FILE *, const struct kport_list *);

/* openbsd_veb.c: hostname.if(5) of every kubsd interface */
void		 obsd_hostname_files(struct obsd_plan *,
		    const struct netd_config *,
		    const struct ruleset *, const struct obsd_units *);

/* openbsd_vm.c: vmd's limits (file:line errors, 0 ok), vm.conf */
int		 obsd_vm_check(const struct netd_config *);
void		 obsd_vm_conf(FILE *, const struct netd_config *,
		    const struct obsd_units *);
void		 obsd_vm_disks(struct obsd_plan *, const struct netd_config *);

/*
 * The plan as data (openbsd_step.c): what -t openbsd prints is what
 * kubsd-netd runs on OpenBSD (openbsd_exec.c), step by step.  A file
 * step is a section "==> HEAD <==" with its text; kubsd-netd writes it
 * to path (NULL: the user adds it, once).  A command step is an argument
 * vector, printed as one line of the section "commands"; kubsd-netd
 * runs it unless it is by hand, or its guard (a file) exists, or it is
 * a boot step (the disks, vmd and the VMs it starts) and this is a
 * reload.
 */
enum obsd_op	{ OBSD_FILE, OBSD_RUN, OBSD_NOTE };

struct obsd_step {
	enum obsd_op		 op;
	char			*head;		/* FILE: the section's name */
	char			*path;		/* FILE: where; NULL: by hand */
	char			*text;		/* FILE: contents; NOTE: line */
	char		       **argv;		/* RUN: NULL-terminated */
	char			*guard;		/* RUN: skipped if it exists */
	const char		*comment;	/* RUN: after a tab, "# ..." */
	int			 byhand;	/* RUN: once, by the user */
	int			 boot;		/* RUN: disks, vmd, VMs: at
						   start, not on a reload */
	int			 done;		/* ran (openbsd_exec.c) */
};

struct obsd_plan {
	struct obsd_step	*v;
	size_t			 n;
};

#define OBSD_BYHAND	"once, by hand"

void		 obsd_plan_file(struct obsd_plan *, const char *head,
		    const char *path, char *text);
struct obsd_step *obsd_plan_run(struct obsd_plan *, const char *prog, ...)
		    __attribute__((sentinel));
void		 obsd_plan_lines(struct obsd_plan *, const char *prog,
		    const char *arg, const char *text);
FILE		*obsd_text_open(char **, size_t *);
void		 obsd_plan_note(struct obsd_plan *, char *line);
void		 obsd_plan_print(FILE *, const struct obsd_plan *);
void		 obsd_step_line(FILE *, const struct obsd_step *);
void		 obsd_plan_free(struct obsd_plan *);

/* openbsd_plan.c: kubsd-netd -t openbsd; the plans kubsd-netd runs */
int		 emit_openbsd(FILE *, const struct netd_config *);
void		 obsd_plan_full(struct obsd_plan *, const struct netd_config *,
		    const struct ruleset *, const struct obsd_units *);
void		 obsd_plan_anchor(struct obsd_plan *, const char *statedir,
		    const struct anchor *, const struct obsd_units *);
void		 obsd_plan_attach(struct obsd_plan *,
		    const struct netd_config *, const struct obsd_units *,
		    const struct node *, const char *oldveb);

/* openbsd_veb.c: one veb's hostname.if text and file; a port's lines */
char		*obsd_veb_text(const struct netd_config *,
		    const struct obsd_units *, const struct node *owner);
void		 obsd_veb_file(struct obsd_plan *, const struct netd_config *,
		    const struct obsd_units *, const struct node *owner);
const char	*obsd_node_veb(const struct obsd_units *, const struct node *);
void		 obsd_port_steps(struct obsd_plan *, const char *veb,
		    const struct obsd_units *, const struct node *);

/*
 * openbsd_exec.c: run a plan's steps in order (fork/execv of
 * PROGDIR/NAME with the step's argv, no shell; files written whole).
 * The first failure stops it with one log line naming the step; the
 * steps that ran are marked done (and appended to record, if set), so
 * that obsd_plan_undo() can build the teardown of what ran.
 */
struct obsd_exec {
	const char	*bindir;	/* NULL: /sbin, /usr/sbin, /bin */
	const char	*root;		/* prefix of written files; NULL: / */
	const char	*record;	/* a file: each step run, one line */
	int		 reload;	/* skip the boot steps */
	char		 error[512];	/* out: the failed step, and why */
};

int		 obsd_exec(struct obsd_plan *, struct obsd_exec *);
void		 obsd_plan_undo(struct obsd_plan *undo,
		    const struct obsd_plan *ran);

/*
 * openbsd_host.c: kubsd-netd's OpenBSD backend, behind load.h
 * (load-openbsd.c) and topology.h (topology-openbsd.c): the full plan
 * at start and at each reload, an attach's anchor and port, teardown.
 * Units are kept in STATEDIR/openbsd-units, what ran in
 * STATEDIR/openbsd-ran.  obsd_host_test(), for tests only: stub
 * programs in bindir, every file under root.
 */
void		 obsd_host_test(const char *bindir, const char *root);
int		 obsd_host_apply(const struct netd_config *);
int		 obsd_host_load(const struct ruleset *);
int		 obsd_host_anchors(const struct anchor *const *old,
		    const struct anchor *const *new, size_t);
int		 obsd_host_move(const struct node *);
int		 obsd_host_remove(const struct node *);
int		 obsd_host_flush(void);
const char	*obsd_host_error(void);

#endif
