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
 * Gateway VMs (driver qemu): the role bundle netd wrote into
 * STATEDIR/gateways/NAME goes to the VM's agent over its virtio-serial
 * channel, at every "ready" of the agent (its boot, netd's hello after
 * an adoption) and whenever a file of it changes; the kubsd-guest
 * inside applies it as in a compartment and its status lines come
 * back as "status LINE".  The gateway is ready only while its VM runs
 * and the last status line is "ready".
 *
 * The channel's lines are agentline.c's.  A gateway VM's wg.conf holds
 * no key, only "<credential NAME>" (bundle.h): the keys are fw_cfg
 * files (vm-qemu-linux.c), which the agent puts in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agentline.h"
#include "bundle.h"
#include "gwguest.h"
#include "kubsd.h"
#include "live.h"
#include "log.h"
#include "vm.h"

/* The files of a bundle the guest needs (rules.pf is OpenBSD's). */
static const char *const gwvm_files[] = {
	"bundle.conf", "torrc", "wg.conf", "rules.nft"
};

#define GWVM_LINE	1000	/* the agent's line buffer is 1024 */

/*
 * A key in the clear (a compartment's bundle has them; a VM's has
 * "<credential NAME>" instead, bundle.h): never on the channel.
 */
static int
literal_key(const char *line)
{
	char	 kw[32], name[64], l[GWVM_LINE + 2];
	int	 lit;

	snprintf(l, sizeof(l), "%s", line);
	l[strcspn(l, "\n")] = '\0';
	lit = (strncmp(l, "PrivateKey", 10) == 0 ||
	    strncmp(l, "PresharedKey", 12) == 0) &&
	    !frame_cred(l, kw, sizeof(kw), name, sizeof(name));
	explicit_bzero(l, sizeof(l));
	return lit;
}

/* One file as "file NAME MODE" and its lines; -1: unreadable. */
static int
send_file(struct vm *vm, const char *dir, const char *name)
{
	char		 p[PATH_MAX], line[GWVM_LINE + 2], hdr[128];
	struct stat	 st;
	FILE		*fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fp = fopen(p, "r")) == NULL)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fileno(fp), &st) == -1) {
		fclose(fp);
		return -1;
	}
	snprintf(hdr, sizeof(hdr), "file %s %o\n", name,
	    (unsigned int)(st.st_mode & 0777));
	vm_agent_send(vm, hdr);
	line[0] = '+';
	while (fgets(line + 1, sizeof(line) - 2, fp) != NULL) {
		if (strchr(line, '\n') == NULL)
			strcat(line, "\n");
		if (literal_key(line + 1))
			log_warnx("gateway %s: %s: a key not as a credential: "
			    "not sent", vm->name, name);
		else
			vm_agent_send(vm, line);
	}
	explicit_bzero(line, sizeof(line));
	fclose(fp);
	return 0;
}

/* The whole bundle of gateway name to its VM's agent. */
void
gwvm_send_bundle(struct vm *vm, const char *statedir)
{
	char	 dir[PATH_MAX / 2];
	size_t	 i;

	if (vm->agent_fd == -1)
		return;		/* sent when the agent says ready */
	snprintf(dir, sizeof(dir), "%s/" BUNDLE_SUBDIR "/%s", statedir,
	    vm->name);
	vm_agent_send(vm, "bundle begin\n");
	for (i = 0; i < sizeof(gwvm_files) / sizeof(gwvm_files[0]); i++)
		if (send_file(vm, dir, gwvm_files[i]) == -1)
			log_warn("gateway %s: %s/%s", vm->name, dir,
			    gwvm_files[i]);
	vm_agent_send(vm, "bundle end\n");
	log_debug("gateway %s: bundle sent to its vm", vm->name);
}

/*
 * gw_guests_sync() for a gateway VM: its bundle sent again when it
 * changed.  (vm_gateways_start() starts the VMs, once the VM layer and
 * the configuration are in place.)
 */
void
gwvm_sync(const struct node_live *gl, int changed)
{
	struct vm	*vm;

	if ((vm = vm_find(gl->node->name)) != NULL &&
	    (changed || gl->relinked))
		gwvm_send_bundle(vm, vm->statedir);
}

/*
 * A status line from the guest's kubsd-guest, as a compartment's
 * writes (made printable: it is the guest's word): 1 if it is new.
 */
int
gwvm_status_line(struct vm *vm, const char *line)
{
	char		 clean[sizeof(vm->gwstatus)];
	enum gw_state	 st;

	st = gw_status_clean(line, clean, sizeof(clean));
	if (strcmp(vm->gwstatus, clean) == 0)
		return 0;
	snprintf(vm->gwstatus, sizeof(vm->gwstatus), "%s", clean);
	if (st == GS_ERROR)
		log_warnx("gateway %s: its vm refused the bundle: %s",
		    vm->name, clean + 6);
	else if (st == GS_BAD)
		log_warnx("gateway %s: its vm says what no status says: %s",
		    vm->name, clean);
	else
		log_debug("gateway %s: %s", vm->name, clean);
	return 1;
}

/*
 * read_status() for a gateway VM: its guest_status; 1 ready, 0 not (yet),
 * -1 no VM runs.
 */
int
gwvm_status(struct node_live *g)
{
	struct vm	*vm = vm_find(g->node->name);
	const char	*s;
	char		 line[sizeof(vm->gwstatus)];
	enum gw_state	 st;

	if (vm == NULL) {
		snprintf(g->guest_status, sizeof(g->guest_status),
		    "down its vm is not running");
		return -1;
	}
	s = vm->gwstatus;
	st = gw_status_clean(s, line, sizeof(line));
	if (st == GS_ERROR)
		snprintf(g->last_error, sizeof(g->last_error), "%s", s + 6);
	if (vm->state != VM_READY) {
		snprintf(g->guest_status, sizeof(g->guest_status),
		    "starting vm %s", vm_state_name(vm->state));
		return 0;
	}
	if (s[0] == '\0')
		s = "starting no status from its vm yet";
	else if (st == GS_BAD)
		s = "starting no status from its vm yet (a bad line)";
	snprintf(g->guest_status, sizeof(g->guest_status), "%s", s);
	return st == GS_READY;
}
