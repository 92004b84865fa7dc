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
 * What a member of KUBSD_GROUP (the control socket's group) needs to
 * run programs in a VM as its user (kubsd-vm run, a menu entry):
 *	STATEDIR/vmssh/			root 0711 (QEMU passes too)
 *	STATEDIR/vmssh/NAME/		KUBSD_QEMU_USER:KUBSD_GROUP 02750
 *	    ssh.sock			QEMU's end of the VM's ssh channel;
 *					the setgid directory gives it the
 *					group, QEMU's umask (007) its g+rw
 *	    user, user.pub		this boot's user key pair, root:
 *					KUBSD_GROUP 0640, authorized in the
 *					VM for its user only (not root)
 * The run dir (STATEDIR/vms/NAME: disks, consoles, credentials) and
 * the admin key (root in the VM) stay root's.  Without the group the
 * directory is QEMU's group and root alone reaches it.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "kubsd.h"
#include "log.h"
#include "vm.h"

static int
make_dir(const char *p, mode_t mode, uid_t uid, gid_t gid)
{
	if (mkdir(p, mode) == -1 && errno != EEXIST)
		return -1;
	if (chown(p, uid, gid) == -1 || chmod(p, mode) == -1)
		return -1;
	return 0;
}

/* The key pair, and its public half in vm->userkey. */
static int
user_key(struct vm *vm, const char *dir, gid_t gid, char *err, size_t len)
{
	char	 key[PATH_MAX + 8], pub[PATH_MAX + 16], cmt[96], e[256];
	char	*argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "",
	    "-C", cmt, "-f", key, NULL };
	FILE	*fp;

	snprintf(key, sizeof(key), "%s/user", dir);
	snprintf(pub, sizeof(pub), "%s.pub", key);
	snprintf(cmt, sizeof(cmt), "kubsd-%s-user", vm->name);
	unlink(key);
	unlink(pub);
	if (vm_run(argv, e, sizeof(e)) == -1) {
		snprintf(err, len, "vm %s: user key: %s", vm->name, e);
		return -1;
	}
	if (chown(key, 0, gid) == -1 || chmod(key, 0640) == -1 ||
	    chown(pub, 0, gid) == -1 || (fp = fopen(pub, "r")) == NULL) {
		snprintf(err, len, "vm %s: %s: %s", vm->name, key,
		    strerror(errno));
		return -1;
	}
	if (fgets(vm->userkey, sizeof(vm->userkey), fp) == NULL)
		vm->userkey[0] = '\0';
	fclose(fp);
	vm->userkey[strcspn(vm->userkey, "\n")] = '\0';
	return 0;
}

int
vmuser_prepare(struct vm *vm, uid_t qemu_uid, gid_t qemu_gid, char *err,
    size_t len)
{
	char	 p[PATH_MAX];
	gid_t	 gid;

	if (ctl_group(NULL, &gid) == -1)
		gid = qemu_gid;
	vm->userkey[0] = '\0';
	snprintf(p, sizeof(p), "%s/vmssh", vm->statedir);
	if (make_dir(p, 0711, 0, 0) == -1)
		goto fail;
	vmuser_dir(vm->statedir, vm->name, p, sizeof(p));
	vm_rmtree(p);		/* a dead boot's socket and keys */
	if (make_dir(p, 02750, qemu_uid, gid) == -1)
		goto fail;
	return user_key(vm, p, gid, err, len);
 fail:
	snprintf(err, len, "vm %s: %s: %s", vm->name, p, strerror(errno));
	return -1;
}

void
vmuser_dir(const char *statedir, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/vmssh/%s", statedir, name);
}

void
vmuser_release(const struct vm *vm)
{
	char	 p[PATH_MAX];

	vmuser_dir(vm->statedir, vm->name, p, sizeof(p));
	vm_rmtree(p);
}
