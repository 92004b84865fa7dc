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
 * kubsd-guest (Makefile GUEST_SRCS): the program inside a gateway; it
 * links only the model (kubsd.h) and the link backend (link.h).
 *
 * kubsd-guest: applies a role bundle (guest/README.md) inside a gateway
 * and supervises the role's daemon.
 *
 * bundle_read.c	bundle.conf, strictly; the plan -n prints
 * apply-linux.c	sysctls, addresses, routes, the firewall (Linux)
 * acl-linux.c		letting tor's user reach its data directory
 * proc-linux.c		starting and stopping the role's daemon
 * role_tor.c		tor: command line, bootstrap progress
 * role_wg.c		wireguard-go (or the kernel's), wg setconf, the
 *			tunnel, handshakes
 * status.c		BUNDLE/status and BUNDLE/guest.pid
 * supervise.c		the role's daemon: start, watch, restart
 * agent-linux.c	kubsd-guest agent, inside a kubsd QEMU VM
 * agent_gw-linux.c	its gateway side: bundles in, status out
 * agent_relay.c	its ssh channel: the host to the guest's sshd
 * prober.c		kubsd-guest probe: leaktest's probes, inside a VM
 * guest.c		main, signals, reloading
 */
#ifndef GUEST_H
#define GUEST_H

#include <sys/types.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "kubsd.h"

#define GUEST_RESTART	3	/* seconds before the daemon restarts */
#define GUEST_WG_FRESH	180	/* a handshake this recent: ready */
#define GUEST_TABLE	"inet kubsd_guest"
#define GUEST_WG_RUNDIR	"/var/run/wireguard"
#define GUEST_TOR_USER	"debian-tor"
#define GUEST_NAMELEN	64
#define ERRLEN		512	/* a one-line reason */

enum ready	{ READY_NONE, READY_TOR, READY_WG, READY_APPLIED };

/* An interface line: name, address (with prefix), next hop. */
struct bif {
	char		 ifname[KUBSD_IFNAMSIZ];
	struct kaddr	 addr;
	struct kaddr	 nexthop;	/* upstream only */
	int		 lineno;	/* 0: absent */
};

struct bendpoint {
	struct kaddr	 addr;
	uint16_t	 port;
	int		 lineno;
};

struct bclient {
	char		 name[GUEST_NAMELEN];
	struct kaddr	 addr;
	uint8_t		 mac[6];
	int		 lineno;
};

struct bundle {
	char		 name[GUEST_NAMELEN];
	enum role	 role;
	struct bif	 up, down, up6, down6, tunnel;
	struct kaddr	 resolver;	/* af 0: none */
	struct bendpoint *endpoints;
	size_t		 nendpoints;
	struct bclient	*clients;
	size_t		 nclients;
	enum ready	 ready;
};

/* The running kubsd-guest (supervise.c); events on gst.base. */
struct guest {
	char		 dir[PATH_MAX];	/* the bundle, absolute */
	struct bundle	*b;
	struct event_base *base;
	struct event	*out_ev, *restart_ev, *poll_ev;
	pid_t		 pid;		/* the role's daemon; 0: none */
	int		 outfd;		/* its stdout and stderr */
	char		 obuf[4096];
	size_t		 olen;
	const char	*daemon;	/* "tor", "wireguard-go" */
	uint32_t	 conf_hash;	/* of its file when it started */
	int		 progress;	/* tor's bootstrap %; -1: none yet */
	int		 restart;	/* seconds */
	int		 stopping;
	int		 broken;	/* the last reload failed: "error" */
	int		 kernel_wg;	/* -k: the kernel's WireGuard */
	int		 kup;		/* and its tunnel is up */
};
extern struct guest	 gst;

/* agent-linux.c: kubsd-guest agent, in a kubsd VM (netd/vm.h) */
#define VM_AGENT_NAME	"org.kubsd.agent.0"
#define VM_EXEC_NAME	"org.kubsd.exec.0"
#define VM_SSH_NAME	"org.kubsd.ssh.0"
#define RELAY_OPEN	"\nkubsd-ssh-open\n"	/* netd/vm.h VM_SSH_OPEN */
#define EXEC_RESTARTED	"agent restarted\n"	/* netd/vm.h VM_EXEC_RESTARTED */
#define AGENT_UP	"/run/kubsd/agent.up"	/* an agent ran this boot */
#define RELAY_REFUSED	"\nkubsd-ssh-refused\n"	/* VM_SSH_REFUSED */
struct agent {
	char	 ifname[16];
	char	 addr[64];
	int	 port, exec, ssh;	/* virtio-serial ports */
	int	 tcp;			/* to sshd, while relaying */
	char	 out[4096];		/* lines for the host, not yet taken */
	size_t	 outlen;
	/* a gateway's (agent_gw-linux.c) */
	int	 gw;			/* kubsd.role is "gateway" */
	int	 gwhave;		/* a bundle came */
	int	 gwbad;			/* the one coming is cut short */
	FILE	*gwfile;		/* its file being written */
	pid_t	 gwpid;			/* kubsd-guest; 0: none */
	long long gwnext;		/* when to start it again */
	char	 gwsent[512];		/* the last status sent */
};
int		 agent_main(int, char *[]);
int		 agent_cred(const char *, char *, size_t);
int		 agent_find_if(const char *mac, char *, size_t);
void		 agent_say(struct agent *, const char *fmt, const char *);
void		 agent_flush(struct agent *);

/* agent_gw-linux.c: the agent of a gateway VM */
int		 gw_mode(void);
void		 gw_ports(struct agent *);
int		 gw_line(struct agent *, const char *);
void		 gw_poll(struct agent *);
void		 gw_hello(struct agent *);

/* prober.c: kubsd-guest probe */
int		 probe_main(int, char *[]);

/* agent_relay.c: org.kubsd.ssh.0 <-> the guest's sshd */
void		 relay_from_host(struct agent *);
void		 relay_from_sshd(struct agent *);
void		 relay_close(struct agent *);

/* supervise.c */
void		 supervise_init(void);
void		 supervise_free(void);
void		 daemon_start(void);	/* sys-net: just "ready" */
void		 daemon_stop(void);	/* and no restart */
void		 daemon_gone(int status);	/* reaped */
void		 daemon_report(void);	/* the status, from what is known */
int		 daemon_conf_changed(const struct bundle *);
int		 daemon_running(void);	/* a process, or the kernel's tunnel */

/* bundle_read.c: NULL with "bundle.conf:LINE: message" in err. */
struct bundle	*bundle_read(const char *dir, char *err, size_t);
void		 bundle_free(struct bundle *);
/* The role's daemon configuration file ("torrc", "wg.conf") or NULL. */
const char	*bundle_daemon_file(const struct bundle *);
/* plan.c: what applying would do, for -n. */
void		 bundle_plan(FILE *, const struct bundle *, const char *dir);
const char	*ready_name(enum ready);

/*
 * apply-linux.c: each returns 0, or -1 with a one-line reason in err.
 * apply_firewall() loads DIR/rules.nft as one transaction replacing
 * table GUEST_TABLE (check only: nothing is committed).
 */
int		 apply_firewall(const char *dir, int check, char *err, size_t);
int		 apply_net(const struct bundle *, char *err, size_t);
/* The tunnel, once wireguard-go made it and wg setconf configured it. */
int		 apply_tunnel(const struct bundle *, char *err, size_t);

/* acl-linux.c: let uid search every directory above path. */
int		 acl_allow_search(const char *path, uid_t, gid_t, char *err,
		    size_t);

/* proc-linux.c */
/* Run argv with stdout and stderr to a pipe (*outfd); the pid or -1. */
pid_t		 proc_spawn(char *const argv[], int *outfd);
/* Run argv to its end; its exit status (as waitpid), -1 if not run. */
int		 proc_run(char *const argv[]);
/* SIGTERM, then SIGKILL after wait_ms; reaps it. */
void		 proc_stop(pid_t, int wait_ms);
/* Stop processes "PROG ... -f ARG" left by an earlier kubsd-guest. */
void		 proc_stop_stale(const char *prog, const char *arg);
/* Has pid exited (not reaped yet)?  1 yes, 0 no. */
int		 proc_exited(pid_t);
void		 proc_describe(int status, char *buf, size_t len);

/* role_tor.c */
int		 tor_argv(const struct bundle *, const char *dir, char **argv,
		    size_t n, char *buf, size_t len);
int		 tor_prepare(const char *dir, char *err, size_t);
/* Does GUEST_TOR_USER exist?  Then tor runs as that user. */
int		 tor_user(void);
/* A line of tor's output: its bootstrap percentage, or -1. */
int		 tor_bootstrap(const char *line);

/* role_wg.c */
void		 wg_argv(const struct bundle *, char **argv, size_t n);
void		 wg_prepare(const struct bundle *);
/* Wait for wireguard-go's socket, wg setconf, the tunnel: 0 or -1. */
int		 wg_setup(const struct bundle *, const char *dir, pid_t,
		    char *err, size_t);
int		 wg_setconf(const struct bundle *, const char *dir, char *err,
		    size_t);
/* The newest handshake (unix seconds), 0: none; -1: no answer. */
long long	 wg_last_handshake(const char *ifname);
/* The kernel's WireGuard: the tunnel made and configured, 0 or -1. */
int		 wgk_up(const struct bundle *, const char *dir, char *err,
		    size_t);
void		 wgk_down(const struct bundle *);
long long	 wgk_last_handshake(const char *ifname);

/* status.c */
int		 status_write(const char *dir, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
const char	*status_get(void);
int		 pidfile_write(const char *dir);
void		 pidfile_remove(const char *dir);
int		 bundle_exists(const char *dir);

#endif
