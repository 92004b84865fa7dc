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
 * The VM layer's runtime side (after vmd's struct vmd_vm): a struct vm
 * per running or starting VM, wrapping its parsed definition (a struct
 * node, found again by name after a reload), and a driver that knows
 * how to run one.  vm.c is the portable lifecycle
 * (stopped -> starting -> ready -> stopping -> stopped), the drivers
 * (vm-qemu-linux.c) start, stop and watch the processes.
 *
 * Files, under STATEDIR:
 *	vms/NAME/		the VM's run dir (a disposable's
 *				instance: NAME-N, vm_instance.c), owned by KUBSD_QEMU_USER:
 *				qmp.sock, console.sock, console.log,
 *				agent.sock, exec.sock, ssh.sock, qemu.log,
 *				root.qcow2 (an overlay, remade at each start),
 *				cred/NAME (0600), qemu.pid (root's)
 *	vmkeys/NAME/		root only: the per-boot admin key pair
 *	vmssh/NAME/		ssh.sock and the per-boot user key pair,
 *				for group kubsd (vmuser.c)
 *	private/NAME.img	the private disk (ext4), kept across starts
 *	templates/NAME/		vmlinuz, initrd.img, root.qcow2 (if any),
 *				manifest (kubsd-vm template build)
 *
 * The in-VM agent (kubsd-guest agent) reads these systemd credentials
 * (SMBIOS type 11 strings, io.systemd.credential:NAME=VALUE):
 *	kubsd.address	ADDR/LEN	kubsd.gateway	ADDR
 *	kubsd.dns	ADDR or "none"	kubsd.hostname	NAME
 *	kubsd.mtu	N		kubsd.mac	xx:xx:xx:xx:xx:xx
 *	kubsd.private	PATH (the disk with serial "private" goes there)
 *	ssh.authorized_keys.root	the per-boot admin public key
 * and speaks on virtio-serial ports (guest/agent.c has the protocol):
 *	org.kubsd.agent.0	lines: "ready", "state ..." out; "net ...",
 *				"hello", "poweroff" in; a gateway's (kubsd.role
 *				"gateway", kubsd.mac.down): its bundle in
 *				(gwvm.c), "status ..." out
 *	org.kubsd.exec.0	kubsd-vm run: a command line in, its output
 *	org.kubsd.ssh.0		kubsd-vm ssh: bytes to the guest's port 22
 */
#ifndef VM_H
#define VM_H

#include <sys/queue.h>
#include <sys/types.h>
#include <limits.h>
#include <signal.h>

#define KUBSD_QEMU_USER		"_kubsd-qemu"
#define KUBSD_QEMU		"qemu-system-x86_64"
#define VM_STOP_TIMEOUT		5	/* seconds from powerdown to quit */
#define VM_AGENT_PORT		"org.kubsd.agent.0"
#define VM_EXEC_PORT		"org.kubsd.exec.0"
#define VM_SSH_PORT		"org.kubsd.ssh.0"
#define VM_SSH_OPEN		"\nkubsd-ssh-open\n"	/* a session begins */
#define VM_SSH_REFUSED		"\nkubsd-ssh-refused\n"	/* no sshd */
#define VM_SSH_ANSWER		45	/* s: sshd's first bytes, or an error */
#define VM_EXEC_RESTARTED	"agent restarted"	/* the exec reply's end */

struct event;
struct event_base;
struct netd;
struct netd_config;
struct netd_live;
struct node;
struct node_live;

enum vm_state { VM_STOPPED, VM_STARTING, VM_READY, VM_STOPPING };

struct vm;

/* What runs a VM: one per driver (vm-qemu-linux.c, later netns, vmd). */
struct vm_driver {
	const char	*name;
	int		(*start)(struct vm *, char *err, size_t);
	int		(*adopt)(struct vm *);		/* 0: it runs, ours */
	void		(*powerdown)(struct vm *);	/* ask the guest */
	void		(*quit)(struct vm *);		/* end it now */
	void		(*release)(struct vm *);	/* after it ended */
};

struct vm {
	TAILQ_ENTRY(vm)		 entry;
	char			 name[32];	/* the node's name */
	enum vm_state		 state;
	const struct vm_driver	*drv;
	pid_t			 pid;
	int			 pidfd;
	struct event		*ev_exit;	/* pidfd readable */
	struct event		*ev_timer;	/* agent connect, stop timeout */
	int			 agent_fd;
	struct event		*ev_agent;
	char			 abuf[512];	/* a partial line from the agent */
	size_t			 alen;
	int			 tries;		/* agent connects */
	int			 stopping;	/* a stop was asked for */
	int			 restarts;
	const char		*accel;		/* "kvm" or "tcg" */
	char			 status[64];	/* the agent's last state line */
	char			 gwstatus[600];	/* a gateway's: its kubsd-guest's
						   last status line */
	char			 adminkey[256];	/* this boot's public key */
	char			 userkey[256];	/* the user key's (vmuser.c) */
	char			 statedir[PATH_MAX / 4];
	char			 dir[PATH_MAX / 2];	/* STATEDIR/vms/NAME */
	long long		 started;	/* time(NULL) */
	double			 start_ms;	/* start request to exec, ms */
};
TAILQ_HEAD(vms, vm);

/* vm.c: the lifecycle, driver-independent */
void		 vm_init(struct netd *);
struct vm	*vm_start(const char *name, char *err, size_t);
int		 vm_stop(const char *name, char *err, size_t);
int		 vm_kill(const char *name, char *err, size_t);
struct vm	*vm_find(const char *);
struct vms	*vm_list(void);
size_t		 vm_running(void);
void		 vm_stop_all(void);
void		 vm_adopt_all(struct netd_live *);
void		 vm_gate(struct netd_live *);
void		 vm_autostart(void);
void		 vm_net_changed(const struct node *);
const char	*vm_state_name(enum vm_state);
const char	*vm_last_words(const struct vm *);
const struct node *vm_node(const struct vm *);
void		 vm_exited(struct vm *, int failed);
void		 vm_agent_line(struct vm *, const char *);
void		 vm_agent_send(struct vm *, const char *);

void		 vm_gateways_start(void);

/* gwvm.c: gateway VMs, their bundles in and status out */
void		 gwvm_send_bundle(struct vm *, const char *statedir);
void		 gwvm_sync(const struct node_live *, int changed);
int		 gwvm_status_line(struct vm *, const char *);
int		 gwvm_status(struct node_live *);

/* vm_instance.c: a disposable's instances in the live graph */
int		 instance_is_def(const struct node *);
struct node	*instance_add(struct netd *, const struct node *, char *,
		    size_t);
void		 instance_remove(struct netd *, const char *);
void		 instance_prune(struct netd *);
int		 instance_recover(struct netd_config *);
int		 instance_carry(const struct netd_config *,
		    struct netd_config *, char *, size_t);

/* control_vm.c: kubsd-vm's requests (control.c's table) */
struct ctl_msg;
struct ctl_reply;
int		 h_vm_start(const struct ctl_msg *, struct ctl_reply *,
		    void *);
int		 h_vm_stop(const struct ctl_msg *, struct ctl_reply *, void *);
int		 h_vm_kill(const struct ctl_msg *, struct ctl_reply *, void *);
int		 h_vm_status(const struct ctl_msg *, struct ctl_reply *,
		    void *);

/* kubsdvm.c: ssh(1) to a VM over its channel (kubsd-vm ssh, cp) */
struct vm_sshcmd {
	char	 self[PATH_MAX];
	char	 proxy[PATH_MAX * 2];
	char	 key[PATH_MAX];
	char	 host[128];
	char	 ctl[PATH_MAX + 32];	/* ControlPath: the shared connection */
	int	 asuser;	/* not root here: the VM's user there */
	char	*argv[48];
	int	 argc;		/* argv[argc] is NULL; room for 24 more */
};
int		 vm_sshcmd(struct vm_sshcmd *, const char *vm);

/* kubsdvm.c, for vmrun.c: kubsd-vm run's VM */
struct vm_target {
	char	 name[64];	/* what runs: a disposable's instance */
	int	 fresh;		/* an instance of this run: dispose of it */
	int	 x11_trusted;	/* "x11 trusted" */
};
int		 vm_target(struct vm_target *, const char *vm);
int		 vm_dispose(const char *name);
extern volatile sig_atomic_t vm_interrupted;

/* cphdr.c: what the source VM of kubsd-vm cp sends first */
#define CP_HDR		"kubsd-cp "	/* "kubsd-cp MODE SIZE" */
int		 cp_header_parse(const char *, unsigned *mode, long long *size);

/* shquote.c: a word for a remote shell, in single quotes; a script
 * as a VM's user */
int		 sh_quote(char *, size_t, const char *);
int		 sh_as_user(char *, size_t, const char *user, int direct,
		    const char *script);

/* vmcp.c: kubsd-vm cp and mv */
struct ctl_args;
int		 vm_cp(struct ctl_args *, int move);

/* vmrun.c: kubsd-vm run */
int		 vm_cmd_run(struct ctl_args *);

/* vm-qemu-linux.c */
extern const struct vm_driver vm_qemu_driver;
int		 vm_qemu_argv(const struct vm *, const struct node *,
		    const char *tmpl, int haveroot, char ***argvp);
void		 vm_argv_free(char **);

/* disk.c */
int		 vm_run(char *const argv[], char *err, size_t);
/* vmuser.c: the VM's ssh channel and user key for KUBSD_GROUP */
int		 vmuser_prepare(struct vm *, uid_t, gid_t, char *, size_t);
void		 vmuser_dir(const char *statedir, const char *name, char *,
		    size_t);
void		 vmuser_release(const struct vm *);
void		 vm_rmtree(const char *);
int		 disk_prepare(const struct vm *, const struct node *,
		    const char *tmpl, int *haveroot, uid_t, gid_t,
		    char *err, size_t);
void		 disk_release(const struct vm *, const struct node *);
int		 disk_private_path(const struct vm *, const struct node *,
		    char *, size_t);

/* vmmem-linux.c: what a running VM costs the host */
long long	 vm_pss_mb(pid_t);

/* share-linux.c: host folders (virtio-9p) */
#define SHARE_FD0	5	/* QEMU's fd of the first share (after the taps) */
int		 share_open(const struct node *, int *fds, char *err, size_t);
void		 share_release(const struct node *);

/* qmp.c */
int		 qmp_command(const char *sock, const char *cmd,
		    char *err, size_t);
int		 qmp_reply_parse(const char *line, size_t len, char *err,
		    size_t errlen);

/* console.c */
size_t		 console_filter(const char *in, size_t len, char *out,
		    int *state);

#endif
