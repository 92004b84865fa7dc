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
 * libkubsd (Makefile MODEL_SRCS): the model, used by every program
 * and layer; it calls nothing above it (no rules, no kernel, no daemon).
 *
 * kubsd: the configuration and the network graph, shared by kubsd-netd,
 * kubsd-net, the rule compiler and the tests.
 *
 * Parsing fills a struct netd_config (names, options, line numbers);
 * graph_build() resolves names into links between nodes and allocates
 * everything derived (subnets, addresses, MACs, interface names).
 * Once built it is not changed (but by graph_move(), and by a
 * disposable's instances coming and going, vm_instance.c): a running
 * kubsd-netd keeps what changes beside it (live.h), asked through a
 * struct node_gate.
 */
#ifndef KUBSD_H
#define KUBSD_H

#include <sys/queue.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#define KUBSD_CONF		"/etc/kubsd/netd.conf"
#define KUBSD_STATEDIR		"/var/db/kubsd"
#define KUBSD_POOL		"10.66.0.0/16"
#define KUBSD_POOL6		"fd6b:7562:7364::/48"
#define KUBSD_SEGPREFIX		24
#define KUBSD_IFGROUP		0x6b75	/* Linux interface group ("ku") */
#define KUBSD_IFGROUP_NAME	"kubsd"	/* OpenBSD interface group */
#define KUBSD_IFNAMSIZ		16	/* IFNAMSIZ incl. NUL on both hosts */
#define KUBSD_NAME_MAX		12	/* so that "kX-" + name fits */
#define KUBSD_TOR_TRANSPORT	9040
#define KUBSD_TOR_DNSPORT	5353
#define KUBSD_TOR_VIRTNET	"10.192.0.0/10"
#define KUBSD_MEMORY		(1024ULL * 1024 * 1024)
#define KUBSD_GW_MEMORY		(256ULL * 1024 * 1024)	/* a gateway VM's */
#define KUBSD_PRIVATE_MIN	(16ULL * 1024 * 1024)
#define KUBSD_PRIVATE_MOUNT	"/home"
#define KUBSD_VM_USER		"user"	/* kubsd-vm run's, in each template */
#define KUBSD_CRED_MAX		28	/* fw_cfg: 55 - "opt/io.systemd.credentials/" */
#define KUBSD_MTU_MIN		1280	/* IPv6's minimum */
#define KUBSD_MTU_MAX		65535
#define KUBSD_MTU_ETHER		1500	/* an uplink's, when unknown */
#define KUBSD_WG_OVERHEAD	80	/* WireGuard over IPv6: 40+8+32 */
#define KUBSD_STATUSLEN		600	/* a guest's status line, whole */

/* An IPv4 or IPv6 address or network. */
struct kaddr {
	int			 af;		/* AF_INET or AF_INET6 */
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
		uint8_t		 bytes[16];
	}			 a;
	int			 prefixlen;	/* 32/128 for a host */
};

struct kaddr_list {
	struct kaddr		*v;
	size_t			 n;
};

/* Inclusive port range; lo == hi for one port. */
struct kport {
	uint16_t		 lo, hi;
};

struct kport_list {
	struct kport		*v;
	size_t			 n;
};

/* One endpoint of a firewall rule: "from"/"to" ADDR [port P]. */
struct fw_host {
	int			 any;		/* no address given, or "any" */
	int			 neg;		/* "! addr" */
	struct kaddr_list	 addrs;
	struct kport_list	 ports;		/* empty: any port */
};

enum fw_action	{ FW_PASS, FW_BLOCK };
enum fw_dir	{ FW_BOTH, FW_IN, FW_OUT };	/* out: from the VM */

/* A per-VM firewall rule, pf-like; first match wins, default block. */
struct fw_rule {
	TAILQ_ENTRY(fw_rule)	 entry;
	enum fw_action		 action;
	enum fw_dir		 dir;
	int			 af;		/* 0: both */
	int			*protos;	/* IPPROTO_*; NULL/0: any */
	size_t			 nprotos;
	struct fw_host		 from, to;
	int			 icmp_type;	/* -1: any */
	int			 lineno;
};
TAILQ_HEAD(fw_rules, fw_rule);

enum role	{ ROLE_NONE, ROLE_TOR, ROLE_WIREGUARD, ROLE_SYSNET };
enum driver	{ DRIVER_QEMU, DRIVER_NETNS };
enum dnspolicy	{ DNS_FIRSTHOP, DNS_NONE };
enum restart	{ RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };

/* "credential NAME file PATH": a secret handed to the guest (fw_cfg). */
struct vm_cred {
	TAILQ_ENTRY(vm_cred)	 entry;
	char			*name;		/* systemd credential name */
	char			*path;		/* on the host */
	int			 lineno;
};
TAILQ_HEAD(vm_creds, vm_cred);

/* "share PATH at GUESTPATH [read-write]": a host directory (virtio-9p). */
struct vm_share {
	TAILQ_ENTRY(vm_share)	 entry;
	char			*path;		/* on the host */
	char			*guest;		/* where the guest mounts it */
	int			 rw;		/* 0: read-only */
	int			 lineno;
};
TAILQ_HEAD(vm_shares, vm_share);
#define KUBSD_SHARES_MAX	8

enum audio	{ AUDIO_NO, AUDIO_YES, AUDIO_OUTPUT };	/* "audio" */
enum x11	{ X11_UNTRUSTED, X11_TRUSTED };		/* "x11" */

struct wg_peer {
	TAILQ_ENTRY(wg_peer)	 entry;
	char			*name;
	char			*pubkey;	/* base64, 32 bytes decoded */
	char			*psk_file;	/* NULL: none */
	char			*endpoint_host;	/* as written */
	struct kaddr		 endpoint;	/* resolved at parse time */
	uint16_t		 endpoint_port;
	struct kaddr_list	 allowed_ips;
	int			 keepalive;	/* seconds, 0: off */
	int			 lineno;
};
TAILQ_HEAD(wg_peers, wg_peer);

struct wg_conf {
	char			*key_file;
	uint16_t		 listen_port;	/* 0: any */
	struct kaddr		 address;	/* tunnel address/len, required */
	struct kaddr		 dns;		/* resolver in the tunnel, af 0: none */
	struct wg_peers		 peers;
	int			 lineno;	/* of the "wireguard" block */
};

enum node_kind	{ NODE_UPLINK, NODE_GATEWAY, NODE_VM };

struct segment;
struct chain;

/*
 * A node of the graph: an uplink, a gateway or a client VM.
 * Every node but an uplink has one upstream port ("kp-NAME") on its
 * upstream's segment; uplinks and gateways own a downstream segment
 * (bridge "kb-NAME"); a gateway's own port on it is "kd-NAME".
 */
struct node {
	TAILQ_ENTRY(node)	 entry;
	enum node_kind		 kind;
	char			*name;
	int			 lineno;
	const char		*file;

	/* uplink */
	char			*ifname;	/* the host's interface */
	int			 nat;		/* default 1 */
	struct kaddr		 uplink_net;	/* "network": af 0 unset */
	struct kaddr		 resolver;	/* af 0: the host's resolv.conf */
	struct kaddr_list	 exclude;	/* never forwarded to (the LAN) */
	int			 if_mtu;	/* ifname's, read by netd as it
						   builds the config; 0: unknown */

	/* gateway */
	enum role		 role;
	uint16_t		 tor_transport;
	uint16_t		 tor_dnsport;
	struct kaddr		 tor_virtnet;	/* VirtualAddrNetworkIPv4 */
	char			*torrc_include;	/* appended to the torrc */
	struct wg_conf		*wg;		/* role wireguard */

	/* uplink and gateway: "mtu" of its segment, 0: derived */
	int			 mtu;

	/* gateway and vm */
	enum driver		 driver;
	char			*template;
	int			 template_lineno;
	uint64_t		 memory;	/* bytes */

	/* vm */
	int			 disposable;
	char			*chain_name;	/* NULL: none (offline) */
	int			 chain_lineno;
	int			 has_firewall;	/* a firewall block was given */
	struct fw_rules		 firewall;
	uint64_t		 private_size;	/* bytes, 0: no private disk */
	char			*private_mount;	/* in the guest; NULL: /home */
	int			 sealed;	/* -snapshot -no-reboot */
	enum restart		 restart;	/* default RESTART_NO */
	int			 autostart;	/* start with the daemon */
	struct vm_creds		 creds;
	char			*instance_of;	/* live: an instance of this
						   disposable (vm_instance.c) */
	struct vm_shares	 shares;
	enum audio		 audio;		/* default AUDIO_NO */
	enum x11		 x11;		/* default X11_UNTRUSTED */

	/* --- derived by graph_build() --- */
	struct chain		*chain;		/* vm: its chain, NULL offline */
	struct node		*up;		/* upstream node, NULL: none */
	int			 up_lineno;	/* chain line that set "up" */
	struct segment		*seg;		/* owned downstream segment */
	char			 port_if[KUBSD_IFNAMSIZ];	/* kp- */
	char			 bridge_if[KUBSD_IFNAMSIZ];	/* kb- */
	char			 down_if[KUBSD_IFNAMSIZ];	/* kd- */
	uint8_t			 mac[6];	/* of the upstream port */
	uint8_t			 down_mac[6];	/* of kd- (gateways) */
	struct kaddr		 addr;		/* on the upstream segment */
	struct kaddr		 addr6;		/* af 0 unless ipv6 */
	int			 ipv6;		/* some chain through it */
	unsigned		 slot;		/* host part on up's segment */
	/*
	 * What changes while kubsd-netd runs (readiness, guest status,
	 * attachments, errors) is not here: its struct node_live (live.h),
	 * found by idx, wraps this node.
	 */
	size_t			 idx;		/* in declaration order */
};
TAILQ_HEAD(nodes, node);

/* A gateway's or uplink's downstream L2 domain. */
struct segment {
	struct node		*owner;
	struct kaddr		 net;		/* e.g. 10.66.3.0/24 */
	struct kaddr		 gw;		/* owner's address, .1 */
	struct kaddr		 net6;		/* /64, af 0 unless ipv6 */
	struct kaddr		 gw6;
	int			 ipv6;
	unsigned		 index;		/* subnet number in the pool */
	size_t			 nclients;
	struct node		**occ;		/* slot - 2 -> client; NULL
						   until a move (graph_move.c) */
};

struct chain_hop {
	char			*name;
	struct node		*node;		/* resolved */
	int			 lineno;
};

struct chain {
	TAILQ_ENTRY(chain)	 entry;
	char			*name;
	int			 lineno;
	const char		*file;
	struct chain_hop	*hops;		/* first hop first; last: uplink */
	size_t			 nhops;
	int			 ipv6;		/* default 0 */
	int			 ipv6_lineno;
	enum dnspolicy		 dns;		/* default DNS_FIRSTHOP */
	unsigned		 color;		/* index, for DOT */
};
TAILQ_HEAD(chains, chain);

/* A template: a recipe and its options (template.c). */
enum recipe	{ RECIPE_NONE, RECIPE_DEBIAN, RECIPE_MINIMAL };

struct template {
	TAILQ_ENTRY(template)	 entry;
	char			*name;
	int			 lineno;
	const char		*file;
	enum recipe		 recipe;
	char			**packages;	/* extra Debian packages */
	size_t			 npackages;
	char			*suite;		/* NULL: TEMPLATE_SUITE */
	char			*mirror;	/* NULL: TEMPLATE_MIRROR */
};
TAILQ_HEAD(templates, template);

#define TEMPLATE_SUITE	"bookworm"
#define TEMPLATE_MIRROR	"http://deb.debian.org/debian"

struct netd_config {
	char			*file;		/* top-level file */
	struct kaddr		 pool;
	int			 pool_lineno;
	struct kaddr		 pool6;
	int			 segprefix;	/* prefix of each segment */
	char			*statedir;
	struct nodes		 nodes;		/* in declaration order */
	size_t			 nnodes;	/* node->idx < nnodes */
	struct chains		 chains;
	struct templates	 templates;	/* template blocks */
	size_t			 nsegments;
	struct segment		*segments;	/* after graph_build() */
	struct node		**byname;	/* every node, by name */
	size_t			 nbyname;
	const char		*pool_file;	/* where "pool" was given */
	char			**files;	/* every file read (node->file) */
	size_t			 nfiles;
};

/* parse.y */
struct netd_config	*parse_config(const char *file);	/* NULL: errors printed */
int			 cmdline_symset(const char *);		/* "name=value" */
void			 config_free(struct netd_config *);
void			 node_free(struct node *);

/* printconf.c: the normalized form, which parses again to itself */
void			 print_config(FILE *, const struct netd_config *);

/* graph.c: resolve and allocate; errors as file:line on stderr */
int			 graph_build(struct netd_config *);	/* 0 ok, -1 */
/* the parser's and the graph's "file:line: message" lines: to stderr,
 * or (kubsd-netd's live mode) to the sink, which logs them */
void			 conf_error_sink(void (*)(const char *, void *),
			    void *);
void			 conf_error(const char *file, int line,
			    const char *fmt, ...)
			    __attribute__((format(printf, 3, 4)));
void			 conf_verror(const char *file, int line,
			    const char *fmt, va_list);
struct node		*node_find(const struct netd_config *, const char *);
struct chain		*chain_find(const struct netd_config *, const char *);
int			 node_seg_mtu(const struct node *);	/* 0: default */
void			 graph_reset(struct netd_config *);

/* graph_move.c: a VM's chain_name changed: place it again, and any
 * client whose address that changed, into *others (malloc'd). */
int			 graph_move(struct netd_config *, struct node *,
			    struct node ***others, size_t *nothers);

/* share.c: host folders and sound of a VM */
const char		*audio_name(enum audio);
const char		*x11_name(enum x11);
const char		*share_path_bad(const char *);
int			 shares_check(const struct netd_config *);
void			 vm_shares_free(struct vm_shares *);

/* template.c */
enum recipe		 template_builtin(const char *);	/* by name */
const char		*recipe_name(enum recipe);
const struct template	*template_find(const struct netd_config *,
			    const char *, struct template *builtin);
int			 templates_check(const struct netd_config *);
void			 template_free_all(struct templates *);

/* template_build-linux.c: kubsd-vm template build (prints, not logs) */
int			 template_build(const struct netd_config *,
			    const char *);

/*
 * What a running kubsd-netd knows of a node (its live.c), asked by the
 * rule compiler and print_dot(): does it pass its traffic now (a VM's
 * agent, a gateway's guest said "ready"; an uplink's interface is up),
 * and its guest's status line.  NULL: every node passes, no status
 * (kubsd-net, the goldens).
 */
struct node_gate {
	int		(*passes)(const struct node *, const void *arg);
	const char	*(*status)(const struct node *, const void *arg);
	const void	*arg;
};
int			 node_passes(const struct node_gate *,
			    const struct node *);

/* dot.c: live: each gateway's readiness and each VM's chain, asked */
void			 print_dot(FILE *, const struct netd_config *,
			    const struct node_gate *live);

/* addr.c */
int			 kaddr_parse(const char *, struct kaddr *);	/* 0 ok */
int			 kaddr_contains(const struct kaddr *, const struct kaddr *);
int			 kaddr_overlaps(const struct kaddr *, const struct kaddr *);
const char		*kaddr_str(const struct kaddr *, char *, size_t);	/* with /len unless host */
const char		*kaddr_host(const struct kaddr *, char *, size_t);	/* no /len */
void			 kaddr_mask(struct kaddr *);
const char		*mac_str(const uint8_t[6], char *, size_t);
const char		*role_name(enum role);
const char		*restart_name(enum restart);
const char		*kind_name(enum node_kind);
const char		*proto_name(int);
uint32_t		 name_hash(const char *, uint32_t seed);
void			 compartment_netns(const char *, char *, size_t);

#define KADDR_STRLEN	64

/* util.c: allocation that cannot fail (fatal on ENOMEM) */
void			*xcalloc(size_t, size_t);
void			*xreallocarray(void *, size_t, size_t);
char			*xstrdup(const char *);
/* file.c: replace a file atomically */
#define FILE_SYNC	0x1		/* fsync before the rename */
int			 file_replace(const char *, const void *, size_t,
			    mode_t, int);

/* sock.c: unix stream sockets */
struct sockaddr_un;
int			 sock_addr(struct sockaddr_un *, const char *);
int			 sock_connect(const char *);

/* pidfile-linux.c */
pid_t			 pidfile_running(const char *dir);	/* a live kubsd-guest */
unsigned long long	 proc_starttime(pid_t);	/* 0: no such process */

#endif
