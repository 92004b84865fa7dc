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
 * kubsd-net leaktest: the plan and the verdicts.
 *
 * Probes are sent from inside the VM: from its compartment (driver
 * netns), or by kubsd-guest probe, run by the agent of a QEMU VM.
 * From kubsd-netd's status (nodes and chains), for one VM: the
 * interfaces to capture (the VM's port, every port and segment bridge
 * of the gateways on its chain, the ports of its segment neighbours,
 * every uplink's bridge and interface), the probes to send, and for
 * each probe its expected path: the interfaces where its tag may show
 * in clear.  A probe that may leave (tcp, udp, icmp; ipv6 when the
 * chain enables it) may show on the VM's port, then on each hop's
 * downstream port; after a sys-net hop also on its upstream port, and
 * the tag goes on; after any other hop (tor, wireguard) nothing further
 * may carry it in clear; the uplink only when every hop was sys-net.
 * A probe that must be blocked (dns to a foreign resolver, ipv6, a
 * forged source, frames to another VM or to the host, anything of an
 * offline VM) may show on the VM's port only.  Seen anywhere else:
 * a leak.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kubsd.h"
#include "leaktest.h"

#define LT_WAITMS	1000
#define LT_UDPPORT	9		/* discard */

static int
lt_usage(void)
{
	fprintf(stderr, "kubsd-net: usage: leaktest [-j] [-p port] "
	    "[-t address]... [-w ms] vm\n");
	return 2;
}

static int
lt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
lt_error(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "kubsd-net: leaktest: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int
numarg(const char *s, long lo, long hi, long *v)
{
	char	*end;

	*v = strtol(s, &end, 10);
	return *s != '\0' && *end == '\0' && *v >= lo && *v <= hi ? 0 : -1;
}

int
leaktest_args(struct leaktest *lt, int *jflag, int argc, char **argv)
{
	struct sockaddr_storage	 ss;
	const char		*vm = NULL;
	long			 v;
	int			 i;

	memset(lt, 0, sizeof(*lt));
	lt->port = 80;
	lt->waitms = LT_WAITMS;
	*jflag = 0;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-j") == 0)
			*jflag = 1;
		else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
			if (numarg(argv[++i], 1, 65535, &v) == -1)
				return lt_error("bad port \"%s\"", argv[i]);
			lt->port = (int)v;
		} else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc) {
			if (numarg(argv[++i], 1, 60000, &v) == -1)
				return lt_error("bad wait \"%s\": use "
				    "1-60000 ms", argv[i]);
			lt->waitms = (int)v;
		} else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
			i++;
			if (probe_addr(argv[i], 0, NULL, &ss) == 0)
				return lt_error("bad target \"%s\": not a "
				    "numeric address", argv[i]);
			snprintf(ss.ss_family == AF_INET6 ? lt->target6 :
			    lt->target, sizeof(lt->target), "%s", argv[i]);
		} else if (argv[i][0] == '-' || vm != NULL)
			return lt_usage();
		else
			vm = argv[i];
	}
	if (vm == NULL)
		return lt_usage();
	if (strlen(vm) >= sizeof(lt->vm))
		return lt_error("no vm \"%s\"", vm);
	snprintf(lt->vm, sizeof(lt->vm), "%s", vm);
	return 0;
}

static const char *
js(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
jis(json_t *o, const char *key, const char *want)
{
	const char	*v = js(o, key);

	return v != NULL && strcmp(v, want) == 0;
}

static json_t *
find_named(json_t *arr, const char *name)
{
	json_t	*o;
	size_t	 i;

	json_array_foreach(arr, i, o)
		if (jis(o, "name", name))
			return o;
	return NULL;
}

static int
is_vm(json_t *n)
{
	return jis(n, "kind", "vm") || jis(n, "kind", "disposable");
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	return s == NULL ? -1 : probe_mac(s, mac);
}

/* The index of an interface to capture, added once; -1 when full. */
static int
add_if(struct leaktest *lt, const char *name, const char *what)
{
	size_t	 i;

	if (name == NULL || *name == '\0')
		return -1;
	for (i = 0; i < lt->nifs; i++)
		if (strcmp(lt->ifs[i].name, name) == 0)
			return (int)i;
	if (lt->nifs == LT_MAXIF || strlen(name) >= KUBSD_IFNAMSIZ)
		return -1;
	snprintf(lt->ifs[lt->nifs].name, KUBSD_IFNAMSIZ, "%s", name);
	lt->ifs[lt->nifs].what = what;
	return (int)lt->nifs++;
}

static uint32_t
bit(int i)
{
	return i < 0 ? 0 : (uint32_t)1 << i;
}

static struct lt_probe *
add_probe(struct leaktest *lt, enum lt_class class, const char *name,
    const char *dst, int port, uint32_t expect)
{
	struct lt_probe	*p;

	if (lt->nprobes == LT_MAXPROBE)
		return NULL;
	p = &lt->probes[lt->nprobes++];
	memset(p, 0, sizeof(*p));
	p->class = class;
	p->s.how = class == LT_TCP ? PROBE_HOW_TCP : class == LT_ICMP ?
	    PROBE_HOW_ICMP : class == LT_DNS ? PROBE_HOW_DNS :
	    class == LT_SPOOF ? PROBE_HOW_SPOOF : PROBE_HOW_UDP;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->s.tag, sizeof(p->s.tag), "%s-%s", lt->run, name);
	snprintf(p->target, sizeof(p->target), "%s", dst);
	p->s.dstlen = probe_addr(dst, port, NULL, &p->s.dst);
	p->expect = expect;
	p->result = PROBE_ERROR;
	return p;
}

static void
set_src(struct sockaddr_storage *ss, const char *addr, int af)
{
	if (addr == NULL || probe_addr(addr, 0, NULL, ss) == 0 ||
	    ss->ss_family != af) {
		memset(ss, 0, sizeof(*ss));
		ss->ss_family = (sa_family_t)af;
	}
}

/* fe80::/64 with the EUI-64 of mac, as the VM's kernel makes it. */
static void
linklocal(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "fe80::%x:%x:%x:%x", (mac[0] ^ 2) << 8 | mac[1],
	    mac[2] << 8 | 0xff, 0xfe00 | mac[3], mac[4] << 8 | mac[5]);
}

/* A forged source: the VM's neighbour on its segment, or TEST-NET-2. */
static void
spoof_src(const char *addr, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	set_src(ss, addr, AF_INET);
	if (sin->sin_addr.s_addr == 0)
		inet_pton(AF_INET, "198.51.100.66", &sin->sin_addr);
	else
		((uint8_t *)&sin->sin_addr)[3] ^= 1;
}

/* Frames to the host: to its bridge on the VM's segment. */
static int
plan_host(struct leaktest *lt, const struct lt_host *host, json_t *nodes,
    const char *vmaddr, const char *bridge)
{
	struct sockaddr_storage	 a;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a;
	struct lt_probe		*p;
	uint8_t			 mac[6];
	char			 s[KADDR_STRLEN];
	json_t			*n;
	size_t			 i;
	int			 k;

	memset(mac, 0xff, 6);
	if (bridge != NULL && host->host_if(bridge, NULL, mac) == -1)
		return lt_error("%s: no such interface", bridge);
	json_array_foreach(nodes, i, n) {
		if (!jis(n, "kind", "uplink"))
			continue;
		for (k = 0; k < 2; k++) {
			if (host->host_if(js(n, k == 0 ? "interface" :
			    "uplink"), &a, NULL) == -1 ||
			    a.ss_family != AF_INET)
				continue;
			inet_ntop(AF_INET, &sin->sin_addr, s, sizeof(s));
			if ((p = add_probe(lt, LT_HOST, k == 0 ?
			    "host-bridge" : "host-uplink", s, LT_UDPPORT,
			    bit(0))) == NULL)
				return lt_error("too many probes");
			p->s.how = PROBE_HOW_FRAME;
			memcpy(p->s.dmac, mac, 6);
			set_src(&p->s.src, vmaddr, AF_INET);
		}
		break;		/* the host's addresses: one uplink is enough */
	}
	return 0;
}

/* Frames to each other VM on the same segment, to its own MAC. */
static int
plan_neighbours(struct leaktest *lt, json_t *nodes, const char *first,
    const char *vmaddr)
{
	struct lt_probe	*p;
	char		 name[LT_NAMELEN];
	json_t		*n;
	size_t		 i;
	int		 k;

	json_array_foreach(nodes, i, n) {
		if (!is_vm(n) || jis(n, "name", lt->vm) || first == NULL ||
		    !jis(n, "upstream", first) || js(n, "address") == NULL)
			continue;
		if ((k = add_if(lt, js(n, "interface"), "neighbour")) == -1)
			return lt_error("too many interfaces");
		snprintf(name, sizeof(name), "vm-%s", js(n, "name"));
		if ((p = add_probe(lt, LT_VM, name, js(n, "address"),
		    LT_UDPPORT, bit(0))) == NULL)
			return lt_error("too many probes");
		p->s.how = PROBE_HOW_FRAME;
		if (parse_mac(js(n, "mac"), p->s.dmac) == -1)
			memset(p->s.dmac, 0xff, 6);
		set_src(&p->s.src, vmaddr, AF_INET);
	}
	return 0;
}

/*
 * Walk the chain: capture its interfaces, and the expected path of a
 * probe that may leave.  *first: the first hop's name; *downmac: its
 * MAC on the VM's segment; *uplink: the uplink the chain ends at.
 */
static int
plan_chain(struct leaktest *lt, json_t *root, json_t *chain, uint32_t *fwd,
    json_t **first, json_t **uplink)
{
	json_t		*nodes = json_object_get(root, "nodes"), *hops, *h, *n;
	const char	*role;
	size_t		 i, o;
	int		 clear = 1, d, b, u;

	*fwd = bit(0);
	*first = *uplink = NULL;
	hops = json_object_get(chain, "hops");
	json_array_foreach(hops, i, h) {
		if (!json_is_string(h) ||
		    (n = find_named(nodes, json_string_value(h))) == NULL)
			return lt_error("chain \"%s\": no node \"%s\"",
			    lt->chain, json_is_string(h) ?
			    json_string_value(h) : "?");
		o = strlen(lt->path);
		if (jis(n, "kind", "uplink")) {
			*uplink = n;
			snprintf(lt->path + o, sizeof(lt->path) - o, "%s%s",
			    o ? " -> " : "", js(n, "name"));
			break;
		}
		role = js(n, "role") != NULL ? js(n, "role") : "?";
		snprintf(lt->path + o, sizeof(lt->path) - o, "%s%s (%s)",
		    o ? " -> " : "", js(n, "name"), role);
		if (*first == NULL)
			*first = n;
		d = add_if(lt, js(n, "down_interface"), "gateway down");
		b = add_if(lt, js(n, "bridge"), "gateway segment");
		u = add_if(lt, js(n, "interface"), "gateway up");
		if (d == -1 || b == -1 || u == -1)
			return lt_error("too many interfaces");
		if (!clear)
			continue;
		*fwd |= bit(d);
		if (strcmp(role, "sys-net") == 0)
			*fwd |= bit(u);
		else
			clear = 0;	/* tor, wireguard: encrypted after */
	}
	if (*uplink != NULL && clear)
		*fwd |= bit(add_if(lt, js(*uplink, "interface"),
		    "uplink bridge")) | bit(add_if(lt, js(*uplink, "uplink"),
		    "uplink"));
	return 0;
}

/*
 * An offline VM has no address and no route: what it sends goes as
 * broadcast frames out of its port, or nothing would reach the host's
 * blocks to be tested.
 */
static void
offline_frames(struct leaktest *lt)
{
	struct lt_probe	*p;
	char		 ll[KADDR_STRLEN];
	size_t		 i;

	linklocal(lt->vmmac, ll, sizeof(ll));
	for (i = 0; i < lt->nprobes; i++) {
		p = &lt->probes[i];
		if (p->s.how == PROBE_HOW_FRAME)
			continue;
		p->s.how = PROBE_HOW_FRAME;
		memset(p->s.dmac, 0xff, 6);
		set_src(&p->s.src, p->s.dst.ss_family == AF_INET6 ? ll : NULL,
		    p->s.dst.ss_family);
	}
}

/*
 * Where the probes are sent from: a compartment (driver netns) the
 * host has, or a QEMU VM that runs, whose agent runs them (its exec
 * socket, from kubsd-vm's status of the VMs).
 */
static int
plan_source(struct leaktest *lt, const struct lt_host *host, json_t *vm,
    json_t *vms)
{
	json_t		*v;
	const char	*dir;

	if (jis(vm, "driver", "netns")) {
		compartment_netns(lt->vm, lt->netns, sizeof(lt->netns));
		if (host->has_compartment(lt->netns) != 1)
			return lt_error("vm \"%s\" has no compartment",
			    lt->vm);
		return 0;
	}
	if ((v = find_named(vms, lt->vm)) == NULL || jis(v, "state",
	    "stopped"))
		return lt_error("vm \"%s\" is not running", lt->vm);
	if (!jis(v, "state", "ready"))
		return lt_error("vm \"%s\" is not ready: %s", lt->vm,
		    js(v, "state") != NULL ? js(v, "state") : "?");
	if ((dir = js(v, "dir")) == NULL || (size_t)snprintf(lt->exec,
	    sizeof(lt->exec), "%s/exec.sock", dir) >= sizeof(lt->exec))
		return lt_error("vm \"%s\": no exec socket for its agent",
		    lt->vm);
	return 0;
}

static int
plan(struct leaktest *lt, const struct lt_host *host, json_t *root,
    json_t *vms)
{
	json_t		*nodes = json_object_get(root, "nodes");
	json_t		*vm, *chain = NULL, *first = NULL, *uplink = NULL, *n;
	const char	*vmaddr, *bridge = NULL;
	struct lt_probe	*p;
	uint32_t	 fwd = bit(0), v6;
	char		 ll[KADDR_STRLEN];
	size_t		 i;

	if ((vm = find_named(nodes, lt->vm)) == NULL || !is_vm(vm))
		return lt_error("no vm \"%s\"", lt->vm);
	if (plan_source(lt, host, vm, vms) != 0)
		return 2;
	if (parse_mac(js(vm, "mac"), lt->vmmac) == -1)
		return lt_error("vm \"%s\": no mac in the status", lt->vm);
	if (add_if(lt, js(vm, "interface"), "vm port") != 0)
		return lt_error("vm \"%s\": no port in the status", lt->vm);
	vmaddr = js(vm, "address");
	snprintf(lt->chain, sizeof(lt->chain), "%s",
	    js(vm, "chain") != NULL ? js(vm, "chain") : "none");
	if (jis(vm, "state", "attached") && strcmp(lt->chain, "none") != 0) {
		if ((chain = find_named(json_object_get(root, "chains"),
		    lt->chain)) == NULL)
			return lt_error("vm \"%s\": no chain \"%s\" in the "
			    "status", lt->vm, lt->chain);
		if (plan_chain(lt, root, chain, &fwd, &first, &uplink) != 0)
			return 2;
		bridge = first != NULL ? js(first, "bridge") : NULL;
	} else
		snprintf(lt->path, sizeof(lt->path), "offline");
	json_array_foreach(nodes, i, n) {
		if (!jis(n, "kind", "uplink"))
			continue;
		if (add_if(lt, js(n, "interface"), "uplink bridge") == -1 ||
		    add_if(lt, js(n, "uplink"), "uplink") == -1)
			return lt_error("too many interfaces");
	}
	if (lt->target[0] == '\0' && host->default_gw(uplink != NULL ?
	    js(uplink, "uplink") : NULL, lt->target, sizeof(lt->target)) ==
	    -1)
		return lt_error("no default route via %s: give -t address",
		    uplink != NULL ? js(uplink, "uplink") : "an uplink");
	if (lt->target6[0] == '\0')	/* the NAT64 form of the target */
		snprintf(lt->target6, sizeof(lt->target6), "64:ff9b::%.*s",
		    INET_ADDRSTRLEN, lt->target);

	if (add_probe(lt, LT_TCP, "tcp", lt->target, lt->port, fwd) == NULL ||
	    add_probe(lt, LT_UDP, "udp", lt->target, LT_UDPPORT, fwd) == NULL ||
	    add_probe(lt, LT_ICMP, "icmp", lt->target, 0, fwd) == NULL ||
	    add_probe(lt, LT_DNS, "dns", lt->target, 53, bit(0)) == NULL)
		return lt_error("too many probes");
	v6 = chain != NULL && json_is_true(json_object_get(chain, "ipv6")) &&
	    js(vm, "address6") != NULL;
	if ((p = add_probe(lt, LT_IPV6, "ipv6", lt->target6, LT_UDPPORT,
	    v6 ? fwd : bit(0))) == NULL)
		return lt_error("too many probes");
	if (!v6) {		/* below IP, past any missing route */
		p->s.how = PROBE_HOW_FRAME;
		memset(p->s.dmac, 0xff, 6);
		if (first != NULL)
			parse_mac(js(first, "down_mac"), p->s.dmac);
		linklocal(lt->vmmac, ll, sizeof(ll));
		set_src(&p->s.src, ll, AF_INET6);
	}
	if ((p = add_probe(lt, LT_SPOOF, "spoof", lt->target, LT_UDPPORT,
	    bit(0))) == NULL)
		return lt_error("too many probes");
	spoof_src(vmaddr, &p->s.src);
	if (plan_neighbours(lt, nodes, first != NULL ? js(first, "name") :
	    NULL, vmaddr) != 0 ||
	    plan_host(lt, host, nodes, vmaddr, bridge) != 0)
		return 2;
	if (chain == NULL)
		offline_frames(lt);
	for (i = 0; i < lt->nprobes; i++)
		if (lt->probes[i].s.dstlen == 0)
			return lt_error("probe %s: bad address \"%s\"",
			    lt->probes[i].name, lt->probes[i].target);
	return 0;
}

struct lt_probe *
leaktest_probe(struct leaktest *lt, const char *name)
{
	size_t	 i;

	for (i = 0; i < lt->nprobes; i++)
		if (strcmp(lt->probes[i].name, name) == 0)
			return &lt->probes[i];
	return NULL;
}

/*
 * Plan from kubsd-netd's status texts, of the nodes and of the VMs
 * (vmtext NULL: none run): 0, or 2 after a message.
 */
int
leaktest_plan(struct leaktest *lt, const char *text, size_t len,
    const char *vmtext, size_t vmlen, const struct lt_host *host)
{
	json_error_t	 err;
	json_t		*root, *vms = NULL;
	int		 rv;

	if ((root = json_loadb(text, len, 0, &err)) == NULL ||
	    !json_is_object(root) || (vmtext != NULL && ((vms =
	    json_loadb(vmtext, vmlen, 0, &err)) == NULL ||
	    !json_is_array(vms)))) {
		json_decref(root);
		json_decref(vms);
		return lt_error("bad status from kubsd-netd");
	}
	rv = plan(lt, host, root, vms);
	json_decref(root);
	json_decref(vms);
	return rv;
}

/*
 * ctlfd: the control socket, whose peer is kubsd-netd: the test runs in
 * its network namespace, wherever kubsd-net was started.
 */
int
leaktest_main(struct leaktest *lt, int jflag, int ctlfd, const char *text,
    size_t len, const char *vmtext, size_t vmlen)
{
	char		 msg[256];
	size_t		 i;
	int		 rv, nleaks = 0;

	if (lt_enter_daemon(ctlfd, msg, sizeof(msg)) == -1)
		return lt_error("%s", msg);
	if (lt_random(lt->run, sizeof(lt->run)) == -1)
		return lt_error("no random tag");
	if ((rv = leaktest_plan(lt, text, len, vmtext, vmlen,
	    &lt_host_linux)) != 0)
		return rv;
	if (lt_run(lt, msg, sizeof(msg)) == -1)
		return lt_error("%s", msg);
	for (i = 0; i < lt->nprobes; i++)
		nleaks += leaktest_leaked(&lt->probes[i]);
	if (jflag)
		leaktest_print_json(lt, nleaks);
	else
		leaktest_print_table(lt);
	fflush(stdout);
	/* A leak first; then a probe that proves nothing is an error. */
	if ((rv = leaktest_status(lt)) == 1)
		leaktest_report_leaks(lt);
	else if (rv == 2)
		leaktest_report_untested(lt);
	return rv;
}
