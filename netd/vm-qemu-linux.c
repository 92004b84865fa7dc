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
 * The QEMU driver on Linux.  kubsd-netd prepares everything as root
 * (run dir, disks, credentials, the admin key, the tap's file
 * descriptor), then forks, drops to KUBSD_QEMU_USER (groups, gid,
 * uid) and execs QEMU with its seccomp sandbox on.  QEMU's -runas
 * cannot be used: it would setuid after the filter forbids it.
 * Public values reach the guest as SMBIOS type 11 strings (on the
 * command line, which anyone may read); secrets only as fw_cfg files,
 * mode 0600, QEMU's user's.  A pidfd says the moment QEMU ends.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bundle.h"
#include "daemon.h"
#include "kubsd.h"
#include "log.h"
#include "vm.h"

#define TAP_FD	3		/* QEMU's -netdev tap,fd= */
#define TAP_FD_DOWN	4	/* a gateway's port on its own segment */
#define GW_TEMPLATE	"minimal"	/* a gateway's, unless it names one */

struct argvb {
	char	**v;
	size_t	  n;
};

static void
add(struct argvb *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
add(struct argvb *a, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	a->v = xreallocarray(a->v, a->n + 2, sizeof(*a->v));
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void
vm_argv_free(char **v)
{
	size_t	 i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/*
 * KVM if the kernel can make a VM and QEMU's user may open /dev/kvm
 * through its group (given as QEMU's one supplementary group); *kvmgid
 * is that group.  A /dev/kvm without VT-x behind it fails to make one.
 */
static const char *
accel(gid_t *kvmgid)
{
	struct stat	 st;
	int		 fd, vmfd;

	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) == -1)
		return "tcg";
	vmfd = ioctl(fd, KVM_CREATE_VM, 0UL);
	if (vmfd != -1)
		close(vmfd);
	if (vmfd == -1 || fstat(fd, &st) == -1 || st.st_gid == 0 ||
	    (st.st_mode & 060) != 060) {
		close(fd);
		return "tcg";
	}
	close(fd);
	*kvmgid = st.st_gid;
	return "kvm";
}

/* QEMU's option syntax: a comma in a value is written twice. */
static void
add_cred(struct argvb *a, const char *name, const char *value)
{
	char	 esc[1024];
	size_t	 i, o;

	for (i = o = 0; value[i] != '\0' && o < sizeof(esc) - 2; i++) {
		if (value[i] == ',')
			esc[o++] = ',';
		esc[o++] = value[i];
	}
	esc[o] = '\0';
	add(a, "-smbios");
	add(a, "type=11,value=io.systemd.credential:%s=%s", name, esc);
}

/*
 * What the agent needs to know, all public (kubsd-guest agent).  A
 * gateway's agent names its two ports by their MACs; addresses and
 * routes come with its bundle.
 */
static void
add_public(struct argvb *a, const struct vm *vm, const struct node *n)
{
	char	 s[KADDR_STRLEN + 16], g[KADDR_STRLEN], m[32];
	int	 mtu = n->up != NULL ? node_seg_mtu(n->up) : 0;

	add_cred(a, "kubsd.hostname", n->name);
	add_cred(a, "kubsd.mac", mac_str(n->mac, m, sizeof(m)));
	snprintf(s, sizeof(s), "%d", mtu > 0 ? mtu : KUBSD_MTU_ETHER);
	add_cred(a, "kubsd.mtu", s);
	if (n->kind == NODE_GATEWAY) {
		add_cred(a, "kubsd.role", "gateway");
		add_cred(a, "kubsd.mac.down", mac_str(n->down_mac, m,
		    sizeof(m)));
	} else if (n->up != NULL) {
		kaddr_host(&n->addr, g, sizeof(g));
		snprintf(s, sizeof(s), "%s/%d", g, n->up->seg->net.prefixlen);
		add_cred(a, "kubsd.address", s);
		kaddr_host(&n->up->seg->gw, g, sizeof(g));
		add_cred(a, "kubsd.gateway", g);
		add_cred(a, "kubsd.dns", n->chain != NULL &&
		    n->chain->dns == DNS_NONE ? "none" : g);
	}
	if (n->private_size != 0)
		add_cred(a, "kubsd.private", n->private_mount != NULL ?
		    n->private_mount : KUBSD_PRIVATE_MOUNT);
	if (vm->adminkey[0] != '\0')
		add_cred(a, "ssh.authorized_keys.root", vm->adminkey);
	if (vm->userkey[0] != '\0')
		add_cred(a, "kubsd.ssh.user", vm->userkey);
}

static void
add_port(struct argvb *a, const struct vm *vm, const char *id,
    const char *name)
{
	char	 d[PATH_MAX];

	/* ssh's is for KUBSD_GROUP too (vmuser.c), the others root's */
	if (strcmp(id, "ssh") == 0)
		vmuser_dir(vm->statedir, vm->name, d, sizeof(d));
	else
		snprintf(d, sizeof(d), "%s", vm->dir);
	add(a, "-chardev");
	add(a, "socket,id=%s,path=%s/%s.sock,server=on,wait=off", id, d, id);
	add(a, "-device");
	add(a, "virtserialport,bus=vser0.0,chardev=%s,name=%s", id, name);
}

static void
add_disks(struct argvb *a, const struct vm *vm, const struct node *n,
    int haveroot)
{
	char	 p[PATH_MAX];

	if (haveroot) {
		add(a, "-drive");
		add(a, "if=none,id=root,file=%s/root.qcow2,format=qcow2",
		    vm->dir);
		add(a, "-device");
		add(a, "virtio-blk-pci,drive=root,serial=root");
	}
	if (n->private_size != 0 && disk_private_path(vm, n, p, sizeof(p)) == 0) {
		add(a, "-drive");
		add(a, "if=none,id=private,file=%s,format=raw%s", p,
		    n->sealed ? ",snapshot=off" : "");
		add(a, "-device");
		add(a, "virtio-blk-pci,drive=private,serial=private");
	}
}

/*
 * A wireguard gateway's key files, credentials as a user's are: the
 * i-th (0: the private key, then a preshared key per peer, bundle.h's
 * names) into name and *path (NULL: that peer has none); -1: no more.
 */
static int
wg_cred(const struct node *n, size_t i, char *name, size_t len,
    const char **path)
{
	const struct wg_peer	*p;
	size_t			 j = 1;

	if (n->kind != NODE_GATEWAY || n->role != ROLE_WIREGUARD ||
	    n->wg == NULL)
		return -1;
	if (i == 0) {
		snprintf(name, len, "%s", BUNDLE_CRED_KEY);
		*path = n->wg->key_file;
		return 0;
	}
	TAILQ_FOREACH(p, &n->wg->peers, entry)
		if (j++ == i) {
			snprintf(name, len, BUNDLE_CRED_PSK "%zu", i - 1);
			*path = p->psk_file;
			return 0;
		}
	return -1;
}

static void
add_wg_creds(struct argvb *a, const struct vm *vm, const struct node *n)
{
	const char	*path;
	char		 name[48];
	size_t		 i;

	for (i = 0; wg_cred(n, i, name, sizeof(name), &path) == 0; i++)
		if (path != NULL) {
			add(a, "-fw_cfg");
			add(a, "name=opt/io.systemd.credentials/%s,"
			    "file=%s/cred/%s", name, vm->dir, name);
		}
}

/* Host folders: QEMU's fds SHARE_FD0..., and where the guest mounts them. */
static void
add_shares(struct argvb *a, const struct node *n)
{
	const struct vm_share	*s;
	char			 name[32], val[PATH_MAX / 4 + 8];
	int			 i = 0;

	TAILQ_FOREACH(s, &n->shares, entry) {
		add(a, "-fsdev");
		add(a, "local,id=fs%d,path=/proc/self/fd/%d,security_model=none%s",
		    i, SHARE_FD0 + i, s->rw ? "" : ",readonly=on");
		add(a, "-device");
		add(a, "virtio-9p-pci,fsdev=fs%d,mount_tag=kubsd%d", i, i);
		snprintf(name, sizeof(name), "kubsd.share.%d", i);
		snprintf(val, sizeof(val), "%s %s", s->rw ? "rw" : "ro",
		    s->guest);
		add_cred(a, name, val);
		i++;
	}
}

/*
 * Sound only when asked: an HDA controller whose codec has a line in
 * (a microphone) unless output-only.  The host's PulseAudio or PipeWire
 * is the one PULSE_SERVER names in netd's environment; with
 * KUBSD_TEST_AUDIO_WAV set (tests only) the VM plays into audio.wav.
 */
static void
add_audio(struct argvb *a, const struct vm *vm, const struct node *n)
{
	if (n->audio == AUDIO_NO)
		return;
	add(a, "-audiodev");
	if (getenv("KUBSD_TEST_AUDIO_WAV") != NULL)
		add(a, "wav,id=snd0,path=%s/audio.wav", vm->dir);
	else
		add(a, "pa,id=snd0");
	add(a, "-device");
	add(a, "intel-hda,id=hda0");
	add(a, "-device");
	add(a, "%s,bus=hda0.0,audiodev=snd0", n->audio == AUDIO_OUTPUT ?
	    "hda-output" : "hda-duplex");
}

int
vm_qemu_argv(const struct vm *vm, const struct node *n, const char *tmpl,
    int haveroot, char ***argvp)
{
	struct argvb		 a = { NULL, 0 };
	const struct vm_cred	*c;
	int			 mtu = n->up != NULL ? node_seg_mtu(n->up) : 0;
	char			 m[32];

	add(&a, KUBSD_QEMU);
	add(&a, "-name");
	add(&a, "%s,process=kubsd-%s", n->name, n->name);
	add(&a, "-M");
	add(&a, "q35");
	/*
	 * TCG's translation cache is 1 GB by default since QEMU 5.0 and
	 * fills as code runs: 32 MB (the old default) costs an idle VM
	 * 37 MB less (make bench) and a busy one some retranslation.  A
	 * gateway's boot fills even 16 MB, then runs little code (the
	 * kernel's network path, tor): 8 MB keeps it under 160 MB PSS
	 * (an idle minimal gateway, bare QEMU: 143-153 MB against
	 * 151-166 MB with 16) for about 30% more CPU to boot.
	 */
	add(&a, "-accel");
	if (strcmp(vm->accel, "tcg") == 0)
		add(&a, "tcg,tb-size=%d", n->kind == NODE_GATEWAY ? 8 : 32);
	else
		add(&a, "%s", vm->accel);
	add(&a, "-m");
	add(&a, "%lluM", (unsigned long long)(n->memory >> 20));
	add(&a, "-nodefaults");
	add(&a, "-no-user-config");
	add(&a, "-display");
	add(&a, "none");
	add(&a, "-sandbox");
	add(&a, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
	    "resourcecontrol=deny");
	add(&a, "-kernel");
	add(&a, "%s/vmlinuz", tmpl);
	add(&a, "-initrd");
	add(&a, "%s/initrd.img", tmpl);
	add(&a, "-append");
	add(&a, "console=ttyS0 panic=-1 quiet%s", haveroot ?
	    " root=/dev/vda rw" : "");
	add(&a, "-chardev");
	add(&a, "socket,id=con0,path=%s/console.sock,server=on,wait=off,"
	    "logfile=%s/console.log,logappend=on", vm->dir, vm->dir);
	add(&a, "-serial");
	add(&a, "chardev:con0");
	add(&a, "-qmp");
	add(&a, "unix:%s/qmp.sock,server=on,wait=off", vm->dir);
	add(&a, "-device");
	add(&a, "virtio-serial-pci,id=vser0");
	add_port(&a, vm, "agent", VM_AGENT_PORT);
	add_port(&a, vm, "exec", VM_EXEC_PORT);
	add_port(&a, vm, "ssh", VM_SSH_PORT);
	add(&a, "-netdev");
	add(&a, "tap,id=n0,fd=%d", TAP_FD);
	/*
	 * A device's host_mtu is also the guest's largest MTU: a client
	 * VM, which kubsd-net attach moves to segments of other MTUs,
	 * has none, and its agent sets each segment's.
	 */
	add(&a, "-device");
	if (n->kind == NODE_GATEWAY)
		add(&a, "virtio-net-pci,netdev=n0,mac=%s,host_mtu=%d",
		    mac_str(n->mac, m, sizeof(m)), mtu > 0 ? mtu :
		    KUBSD_MTU_ETHER);
	else
		add(&a, "virtio-net-pci,netdev=n0,mac=%s",
		    mac_str(n->mac, m, sizeof(m)));
	if (n->kind == NODE_GATEWAY) {
		mtu = node_seg_mtu(n);
		add(&a, "-netdev");
		add(&a, "tap,id=n1,fd=%d", TAP_FD_DOWN);
		add(&a, "-device");
		add(&a, "virtio-net-pci,netdev=n1,mac=%s,host_mtu=%d",
		    mac_str(n->down_mac, m, sizeof(m)),
		    mtu > 0 ? mtu : KUBSD_MTU_ETHER);
	}
	add_disks(&a, vm, n, haveroot);
	add_shares(&a, n);
	add_audio(&a, vm, n);
	add(&a, "-device");
	add(&a, "virtio-balloon-pci,free-page-reporting=on");
	add_public(&a, vm, n);
	TAILQ_FOREACH(c, &n->creds, entry) {
		add(&a, "-fw_cfg");
		add(&a, "name=opt/io.systemd.credentials/%s,file=%s/cred/%s",
		    c->name, vm->dir, c->name);
	}
	add_wg_creds(&a, vm, n);
	if (n->sealed) {
		add(&a, "-snapshot");
		add(&a, "-no-reboot");
	}
	*argvp = a.v;
	return 0;
}

/* The run dir: QEMU's user's, emptied of a crash's leftovers. */
static int
run_dir(const struct vm *vm, uid_t uid, gid_t gid, char *err, size_t len)
{
	static const char *const stale[] = { "qmp.sock", "console.sock",
	    "agent.sock", "exec.sock", "ssh.sock", "root.qcow2",
	    "private.img" };
	char	 p[PATH_MAX];
	size_t	 i;

	snprintf(p, sizeof(p), "%s/vms", vm->statedir);
	if ((mkdir(p, 0755) == -1 && errno != EEXIST) ||
	    (mkdir(vm->dir, 0700) == -1 && errno != EEXIST) ||
	    chown(vm->dir, uid, gid) == -1 || chmod(vm->dir, 0700) == -1) {
		snprintf(err, len, "vm %s: %s: %s", vm->name, vm->dir,
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", vm->dir, stale[i]);
		if (unlink(p) == 0)
			log_info("vm %s: removed the stale %s", vm->name, p);
	}
	return 0;
}

static int
copy_file(const char *from, const char *to, uid_t uid, gid_t gid)
{
	char	 buf[8192];
	ssize_t	 r;
	int	 in, out, rv = 0;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	unlink(to);
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		close(in);
		return -1;
	}
	while ((r = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)r) != r) {
			rv = -1;
			break;
		}
	if (r == -1 || fchown(out, uid, gid) == -1)
		rv = -1;
	close(in);
	if (close(out) == -1)
		rv = -1;
	return rv;
}

/* The user's credentials: files only QEMU's user can read. */
static int
creds(const struct vm *vm, const struct node *n, uid_t uid, gid_t gid,
    char *err, size_t len)
{
	const struct vm_cred	*c;
	const char		*key;
	char			 p[PATH_MAX], name[48];
	size_t			 i;

	snprintf(p, sizeof(p), "%s/cred", vm->dir);
	if ((mkdir(p, 0700) == -1 && errno != EEXIST) ||
	    chown(p, uid, gid) == -1) {
		snprintf(err, len, "vm %s: %s: %s", vm->name, p,
		    strerror(errno));
		return -1;
	}
	TAILQ_FOREACH(c, &n->creds, entry) {
		snprintf(p, sizeof(p), "%s/cred/%s", vm->dir, c->name);
		if (copy_file(c->path, p, uid, gid) == -1) {
			snprintf(err, len, "vm %s: credential %s: %s: %s",
			    vm->name, c->name, c->path, strerror(errno));
			return -1;
		}
	}
	for (i = 0; wg_cred(n, i, name, sizeof(name), &key) == 0; i++) {
		snprintf(p, sizeof(p), "%s/cred/%s", vm->dir, name);
		if (key != NULL && copy_file(key, p, uid, gid) == -1) {
			snprintf(err, len, "gateway %s: key %s: %s", vm->name,
			    key, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* A new admin key pair for every boot; the private half stays here. */
static void
admin_key(struct vm *vm)
{
	FILE	*fp;
	char	 dir[PATH_MAX / 2], key[PATH_MAX], pub[PATH_MAX], cmt[64], e[256];
	char	*argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "",
	    "-C", cmt, "-f", key, NULL };

	snprintf(dir, sizeof(dir), "%s/vmkeys", vm->statedir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/vmkeys/%s",
	    vm->statedir, vm->name);
	mkdir(dir, 0700);
	snprintf(key, sizeof(key), "%s/admin", dir);
	snprintf(pub, sizeof(pub), "%s/admin.pub", dir);
	snprintf(cmt, sizeof(cmt), "kubsd-%s", vm->name);
	unlink(key);
	unlink(pub);
	vm->adminkey[0] = '\0';
	if (vm_run(argv, e, sizeof(e)) == -1) {
		log_warnx("vm %s: admin key: %s", vm->name, e);
		return;
	}
	if ((fp = fopen(pub, "r")) == NULL)
		return;
	if (fgets(vm->adminkey, sizeof(vm->adminkey), fp) == NULL)
		vm->adminkey[0] = '\0';
	vm->adminkey[strcspn(vm->adminkey, "\n")] = '\0';
	fclose(fp);
}

static int
tap_open(const struct node *n, const char *ifname, char *err, size_t len)
{
	struct ifreq	 ifr;
	int		 fd;

	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) == -1) {
		snprintf(err, len, "vm %s: /dev/net/tun: %s", n->name,
		    strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		snprintf(err, len, "vm %s: tap %s: %s", n->name, ifname,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* In the child: become QEMU's user, with the taps as fd 3 (and 4), shares after. */
static void __attribute__((noreturn))
child(const struct vm *vm, char **argv, const int tapfd[2], int *sfd, int ns,
    uid_t uid, gid_t gid, gid_t kvmgid)
{
	char	 p[PATH_MAX];
	int	 fd, i, hi[2] = { -1, -1 };

	setsid();
	snprintf(p, sizeof(p), "%s/qemu.log", vm->dir);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0600)) != -1) {
		if (fchown(fd, uid, gid) == -1)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	dup2(open("/dev/null", O_RDONLY), 0);
	for (i = 0; i < ns; i++)	/* out of the taps' way first */
		if ((sfd[i] = fcntl(sfd[i], F_DUPFD, 64)) == -1)
			_exit(126);
	/*
	 * Each tap first to a high descriptor, then to its own: dup2()
	 * onto itself would keep close-on-exec (a tap that is already fd 3
	 * or 4 would reach QEMU closed), and the two may sit on each
	 * other's numbers.
	 */
	if ((hi[0] = fcntl(tapfd[0], F_DUPFD, TAP_FD_DOWN + 1)) == -1 ||
	    (tapfd[1] != -1 && (hi[1] = fcntl(tapfd[1], F_DUPFD,
	    TAP_FD_DOWN + 1)) == -1) || dup2(hi[0], TAP_FD) == -1 ||
	    (tapfd[1] != -1 && dup2(hi[1], TAP_FD_DOWN) == -1))
		_exit(126);
	for (i = 0; i < ns; i++)
		if (dup2(sfd[i], SHARE_FD0 + i) == -1)
			_exit(126);
	if (tapfd[1] == -1)
		close(TAP_FD_DOWN);
	syscall(SYS_close_range, SHARE_FD0 + ns, ~0U, 0);
	if (setgroups(kvmgid != 0, &kvmgid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1 || chdir(vm->dir) == -1) {
		dprintf(2, "kubsd-netd: cannot become %s: %s\n",
		    KUBSD_QEMU_USER, strerror(errno));
		_exit(126);
	}
	signal(SIGPIPE, SIG_DFL);
	umask(007);		/* the ssh socket's group may connect */
	execvp(argv[0], argv);
	dprintf(2, "kubsd-netd: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void	on_exit_fd(evutil_socket_t, short, void *);

static int
watch(struct vm *vm)
{
	char	 p[PATH_MAX];
	FILE	*fp;

	vm->pidfd = (int)syscall(SYS_pidfd_open, vm->pid, 0);
	if (vm->pidfd == -1)
		return -1;
	vm->ev_exit = event_new(event_get_base(vm->ev_timer), vm->pidfd,
	    EV_READ, on_exit_fd, vm);
	event_add(vm->ev_exit, NULL);
	snprintf(p, sizeof(p), "%s.pid", vm->dir);
	if ((fp = fopen(p, "w")) != NULL) {
		fprintf(fp, "%ld\n", (long)vm->pid);
		fclose(fp);
	}
	return 0;
}

static int
template_dir(const struct vm *vm, const struct node *n, char *tmpl,
    size_t tlen, char *err, size_t len)
{
	char	 p[PATH_MAX];

	const char	*t = n->template;

	if (t == NULL && n->kind == NODE_GATEWAY)
		t = GW_TEMPLATE;
	if (t == NULL) {
		snprintf(err, len, "vm %s: no template", n->name);
		return -1;
	}
	snprintf(tmpl, tlen, "%s/templates/%s", vm->statedir, t);
	snprintf(p, sizeof(p), "%s/vmlinuz", tmpl);
	if (access(p, R_OK) == -1) {
		snprintf(err, len, "vm %s: template %s is not built (no %s)",
		    n->name, t, p);
		return -1;
	}
	return 0;
}

static int
qemu_user(const struct node *n, uid_t *uid, gid_t *gid, char *err,
    size_t len)
{
	struct passwd	*pw;

	if ((pw = getpwnam(KUBSD_QEMU_USER)) == NULL) {
		snprintf(err, len, "vm %s: no user %s (make deps or make "
		    "install creates it)", n->name, KUBSD_QEMU_USER);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, len, "vm %s: user %s is root", n->name,
		    KUBSD_QEMU_USER);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

static void
taps_close(const int tapfd[2])
{
	close(tapfd[0]);
	if (tapfd[1] != -1)
		close(tapfd[1]);
}

static void
close_all(int *fds, int *n)
{
	while (*n > 0)
		close(fds[--*n]);
	*n = 0;
}

static int
qemu_start(struct vm *vm, char *err, size_t len)
{
	const struct node *n = vm_node(vm);
	char		 tmpl[PATH_MAX / 2], **argv = NULL;
	uid_t		 uid;
	gid_t		 gid, kvmgid = 0;
	int		 tapfd[2] = { -1, -1 }, haveroot = 0;
	int		 sfd[KUBSD_SHARES_MAX], ns = 0;

	if (n == NULL || template_dir(vm, n, tmpl, sizeof(tmpl), err, len) == -1 ||
	    qemu_user(n, &uid, &gid, err, len) == -1 ||
	    run_dir(vm, uid, gid, err, len) == -1 ||
	    creds(vm, n, uid, gid, err, len) == -1 ||
	    disk_prepare(vm, n, tmpl, &haveroot, uid, gid, err, len) == -1)
		goto fail;
	admin_key(vm);
	if (vmuser_prepare(vm, uid, gid, err, len) == -1)
		goto fail;
	if ((ns = share_open(n, sfd, err, len)) == -1) {
		ns = 0;
		goto fail;
	}
	if ((tapfd[0] = tap_open(n, n->port_if, err, len)) == -1)
		goto fail;
	if (n->kind == NODE_GATEWAY &&
	    (tapfd[1] = tap_open(n, n->down_if, err, len)) == -1) {
		close(tapfd[0]);
		goto fail;
	}
	vm->accel = accel(&kvmgid);
	vm_qemu_argv(vm, n, tmpl, haveroot, &argv);
	if ((vm->pid = fork()) == -1) {
		snprintf(err, len, "vm %s: fork: %s", vm->name,
		    strerror(errno));
		taps_close(tapfd);
		goto fail;
	}
	if (vm->pid == 0)
		child(vm, argv, tapfd, sfd, ns, uid, gid, kvmgid);
	taps_close(tapfd);
	close_all(sfd, &ns);
	vm_argv_free(argv);
	argv = NULL;
	if (watch(vm) == -1) {
		kill(vm->pid, SIGKILL);
		snprintf(err, len, "vm %s: pidfd: %s", vm->name,
		    strerror(errno));
		goto fail;
	}
	return 0;
 fail:
	vm_argv_free(argv);
	close_all(sfd, &ns);
	if (n != NULL) {
		disk_release(vm, n);
		share_release(n);
	}
	vmuser_release(vm);
	return -1;
}

static void
on_exit_fd(evutil_socket_t fd, short ev, void *arg)
{
	struct vm	*vm = arg;
	int		 st, failed = 1;

	(void)fd;
	(void)ev;
	if (waitpid(vm->pid, &st, WNOHANG) == vm->pid)
		failed = !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	vm_exited(vm, failed);
}

/* Is pid the QEMU of this VM?  Its thread name says kubsd-NAME. */
static int
is_ours(const struct vm *vm, pid_t pid)
{
	char	 p[64], comm[32], want[48];
	FILE	*fp;

	snprintf(p, sizeof(p), "/proc/%ld/comm", (long)pid);
	if ((fp = fopen(p, "r")) == NULL)
		return 0;
	if (fgets(comm, sizeof(comm), fp) == NULL)
		comm[0] = '\0';
	fclose(fp);
	comm[strcspn(comm, "\n")] = '\0';
	snprintf(want, sizeof(want), "kubsd-%s", vm->name);
	want[15] = '\0';
	return strcmp(comm, want) == 0;
}

/* Does the argument after -accel in pid's command line say what? */
static int
strstr_cmdline(pid_t pid, const char *what)
{
	char	 p[64], buf[8192];
	ssize_t	 r, i;
	int	 fd, next = 0;

	snprintf(p, sizeof(p), "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	for (i = 0; r > 0 && i < r; i += (ssize_t)strlen(buf + i) + 1) {
		buf[r] = '\0';
		if (next)
			return strcmp(buf + i, what) == 0;
		next = strcmp(buf + i, "-accel") == 0;
	}
	return 0;
}

static int
qemu_adopt(struct vm *vm)
{
	char	 p[PATH_MAX];
	FILE	*fp;
	long	 pid = 0;

	snprintf(p, sizeof(p), "%s.pid", vm->dir);
	if ((fp = fopen(p, "r")) == NULL)
		return -1;
	if (fscanf(fp, "%ld", &pid) != 1)
		pid = 0;
	fclose(fp);
	if (pid <= 1 || !is_ours(vm, (pid_t)pid)) {
		unlink(p);
		return -1;
	}
	vm->pid = (pid_t)pid;
	vm->accel = strstr_cmdline(vm->pid, "kvm") ? "kvm" : "tcg";
	return watch(vm);
}

static void
qemu_powerdown(struct vm *vm)
{
	char	 p[PATH_MAX], e[256];

	snprintf(p, sizeof(p), "%s/qmp.sock", vm->dir);
	if (qmp_command(p, "system_powerdown", e, sizeof(e)) == -1)
		log_warnx("vm %s: %s", vm->name, e);
}

/* QMP's quit; a QEMU that does not answer is killed. */
static void
qemu_quit(struct vm *vm)
{
	char	 p[PATH_MAX], e[256];

	snprintf(p, sizeof(p), "%s/qmp.sock", vm->dir);
	if (qmp_command(p, "quit", e, sizeof(e)) == 0)
		return;
	log_debug("vm %s: %s; killing it", vm->name, e);
	if (vm->pidfd != -1 &&
	    syscall(SYS_pidfd_send_signal, vm->pidfd, SIGKILL, NULL, 0) == -1)
		log_warn("vm %s: kill", vm->name);
}

static void
qemu_release(struct vm *vm)
{
	char	 p[PATH_MAX];

	disk_release(vm, vm_node(vm));
	share_release(vm_node(vm));
	snprintf(p, sizeof(p), "%s.pid", vm->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/cred", vm->dir);
	vm_rmtree(p);
	/* the per-boot admin key pair: of no use once the boot is over */
	snprintf(p, sizeof(p), "%s/vmkeys/%s", vm->statedir, vm->name);
	vm_rmtree(p);
	vmuser_release(vm);
	if (vm_node(vm) != NULL && vm_node(vm)->disposable)
		vm_rmtree(vm->dir);
	if (vm_node(vm) != NULL && vm_node(vm)->instance_of != NULL) {
		/* an instance's name comes again: its keys must not */
		snprintf(p, sizeof(p), "%s/vmkeys/%s", vm->statedir, vm->name);
		vm_rmtree(p);
	}
}

const struct vm_driver vm_qemu_driver = {
	"qemu", qemu_start, qemu_adopt, qemu_powerdown, qemu_quit,
	qemu_release
};
