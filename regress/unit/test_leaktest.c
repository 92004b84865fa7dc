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
 * kubsd-net leaktest's plan, from a status as kubsd-netd gives it: the
 * interfaces captured and each probe's expected path, for chains of
 * sys-net, tor and wireguard gateways, an offline VM, and the errors.
 * The host is a stub: every compartment exists but "nocomp"'s, every
 * interface has an address, the uplink eth0 has a next hop.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "leaktest.h"
#include "check.h"

/* A gateway NAME of ROLE behind UP; a VM NAME behind UP on CHAIN. */
#define GW(name, role, up, n)						\
	"{\"name\":\"" name "\",\"kind\":\"gateway\","			\
	" \"interface\":\"kp-" name "\",\"state\":\"attached\","		\
	" \"mac\":\"02:6b:00:00:00:" n "\",\"driver\":\"netns\","		\
	" \"upstream\":\"" up "\",\"address\":\"10.66.0." n "\","		\
	" \"role\":\"" role "\",\"segment\":\"10.66." n ".0/24\","		\
	" \"bridge\":\"kb-" name "\",\"down_interface\":\"kd-" name "\","	\
	" \"down_mac\":\"02:6b:00:00:01:" n "\"},"
#define VM(name, up, chain, n)						\
	"{\"name\":\"" name "\",\"kind\":\"vm\","				\
	" \"interface\":\"kp-" name "\",\"state\":\"attached\","		\
	" \"mac\":\"02:6b:00:00:00:" n "\",\"driver\":\"netns\","		\
	" \"upstream\":\"" up "\",\"address\":\"10.66.3." n "\","		\
	" \"chain\":\"" chain "\"},"

static const char status[] =
"{\"nodes\": ["
"{\"name\":\"wan\",\"kind\":\"uplink\",\"interface\":\"kb-wan\","
" \"uplink\":\"eth0\",\"state\":\"up\"},"
GW("sys-net", "sys-net", "wan", "01")
GW("sys-tor", "tor", "sys-net", "02")
GW("sys-wg", "wireguard", "sys-net", "03")
GW("sys-fw", "sys-net", "sys-tor", "04")
VM("plain", "sys-net", "clear", "11")
VM("next", "sys-net", "clear", "12")
VM("anon", "sys-tor", "tor", "13")
VM("work", "sys-wg", "vpn", "14")
VM("layered", "sys-fw", "fw", "15")
"{\"name\":\"v6\",\"kind\":\"vm\",\"interface\":\"kp-v6\","
" \"state\":\"attached\",\"mac\":\"02:6b:00:00:00:16\",\"driver\":\"netns\","
" \"upstream\":\"sys-wg\",\"address\":\"10.66.3.16\",\"chain\":\"vpn6\","
" \"address6\":\"fd6b::16\"},"
"{\"name\":\"vault\",\"kind\":\"vm\",\"interface\":\"kp-vault\","
" \"state\":\"offline\",\"mac\":\"02:6b:00:00:00:17\",\"driver\":\"netns\","
" \"upstream\":null,\"address\":null,\"chain\":\"none\"},"
"{\"name\":\"nocomp\",\"kind\":\"vm\",\"interface\":\"kp-nocomp\","
" \"state\":\"offline\",\"mac\":\"02:6b:00:00:00:18\",\"driver\":\"netns\","
" \"upstream\":null,\"address\":null,\"chain\":\"none\"},"
"{\"name\":\"tap\",\"kind\":\"vm\",\"interface\":\"kp-tap\","
" \"state\":\"offline\",\"mac\":\"02:6b:00:00:00:19\",\"driver\":\"qemu\","
" \"upstream\":null,\"address\":null,\"chain\":\"none\"},"
"{\"name\":\"qvm\",\"kind\":\"vm\",\"interface\":\"kp-qvm\","
" \"state\":\"attached\",\"mac\":\"02:6b:00:00:00:1a\",\"driver\":\"qemu\","
" \"upstream\":\"sys-net\",\"address\":\"10.66.3.26\",\"chain\":\"clear\"},"
"{\"name\":\"qboot\",\"kind\":\"vm\",\"interface\":\"kp-qboot\","
" \"state\":\"attached\",\"mac\":\"02:6b:00:00:00:1b\",\"driver\":\"qemu\","
" \"upstream\":\"sys-net\",\"address\":\"10.66.3.27\",\"chain\":\"clear\"}"
"], \"chains\": ["
"{\"name\":\"clear\",\"hops\":[\"sys-net\",\"wan\"],\"ipv6\":false},"
"{\"name\":\"tor\",\"hops\":[\"sys-tor\",\"sys-net\",\"wan\"],\"ipv6\":false},"
"{\"name\":\"vpn\",\"hops\":[\"sys-wg\",\"sys-net\",\"wan\"],\"ipv6\":false},"
"{\"name\":\"vpn6\",\"hops\":[\"sys-wg\",\"sys-net\",\"wan\"],\"ipv6\":true},"
"{\"name\":\"fw\",\"hops\":[\"sys-fw\",\"sys-tor\",\"sys-net\",\"wan\"],"
" \"ipv6\":false}"
"]}";

/* kubsd-vm status -j: tap stopped, qvm ready, qboot starting. */
static const char vmstatus[] =
"[{\"name\":\"tap\",\"state\":\"stopped\",\"dir\":\"/var/kubsd/vms/tap\"},"
" {\"name\":\"qvm\",\"state\":\"ready\",\"dir\":\"/var/kubsd/vms/qvm\"},"
" {\"name\":\"qboot\",\"state\":\"starting\",\"dir\":\"/var/kubsd/vms/qboot\"}]";

static int
stub_compartment(const char *netns)
{
	return strcmp(netns, "kubsd-nocomp") != 0;
}

static int
stub_if(const char *name, struct sockaddr_storage *v4, uint8_t mac[6])
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)v4;

	if (v4 != NULL) {
		memset(v4, 0, sizeof(*v4));
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, strcmp(name, "eth0") == 0 ? "192.0.2.1" :
		    "10.66.10.1", &sin->sin_addr);
	}
	if (mac != NULL)
		memset(mac, 0x42, 6);
	return 0;
}

static int
stub_gw(const char *ifname, char *buf, size_t len)
{
	if (ifname != NULL && strcmp(ifname, "eth0") != 0)
		return -1;
	snprintf(buf, len, "192.0.2.2");
	return 0;
}

static const struct lt_host stub = { stub_compartment, stub_if, stub_gw };

static int
plan(struct leaktest *lt, const char *vm)
{
	char	*argv[] = { (char *)vm };
	int	 j;

	if (leaktest_args(lt, &j, 1, argv) != 0)
		return -1;
	snprintf(lt->run, sizeof(lt->run), "00000000");
	return leaktest_plan(lt, status, sizeof(status) - 1, vmstatus,
	    sizeof(vmstatus) - 1, &stub);
}

/* The expected path of a probe, as the table prints it. */
static const char *
expect(struct leaktest *lt, const char *probe)
{
	static char	 buf[512];
	struct lt_probe	*p;

	if ((p = leaktest_probe(lt, probe)) == NULL)
		return "(no such probe)";
	return leaktest_iflist(lt, p->expect, buf, sizeof(buf));
}

static int
captures(const struct leaktest *lt, const char *ifname)
{
	size_t	 i;

	for (i = 0; i < lt->nifs; i++)
		if (strcmp(lt->ifs[i].name, ifname) == 0)
			return 1;
	return 0;
}

static void
check_path(struct leaktest *lt, const char *vm, const char *fwd)
{
	static const char *const allowed[] = { "tcp", "udp", "icmp" };
	static const char *const blocked[] = { "dns", "ipv6", "spoof",
	    "host-bridge", "host-uplink" };
	char		 port[32];
	size_t		 i;

	CHECK(plan(lt, vm) == 0, "%s: plan", vm);
	snprintf(port, sizeof(port), "kp-%s", vm);
	for (i = 0; i < 3; i++)
		CHECK(strcmp(expect(lt, allowed[i]), fwd) == 0,
		    "%s %s: expected %s, got %s", vm, allowed[i], fwd,
		    expect(lt, allowed[i]));
	for (i = 0; i < 5; i++)
		CHECK(strcmp(expect(lt, blocked[i]), port) == 0,
		    "%s %s: expected %s, got %s", vm, blocked[i], port,
		    expect(lt, blocked[i]));
	CHECK(strcmp(lt->target, "192.0.2.2") == 0, "%s: target %s", vm,
	    lt->target);
	CHECK(captures(lt, "eth0") && captures(lt, "kb-wan"),
	    "%s: uplink not captured", vm);
}

/*
 * A probe never seen on the VM's own port (not sent, or nothing
 * captured it there) is untested, and leaktest exits 2 for it; a leak
 * still wins with 1.
 */
static void
check_verdicts(struct leaktest *lt)
{
	struct lt_probe	*udp, *dns;
	size_t		 i;

	CHECK(plan(lt, "plain") == 0, "plain: plan");
	for (i = 0; i < lt->nprobes; i++) {
		lt->probes[i].seen = lt->probes[i].expect;
		lt->probes[i].result = PROBE_SENT;
	}
	CHECK(leaktest_status(lt) == 0, "every probe on its path: exit %d",
	    leaktest_status(lt));
	udp = leaktest_probe(lt, "udp");
	dns = leaktest_probe(lt, "dns");
	udp->seen = 0;
	CHECK(leaktest_untested(udp) &&
	    strcmp(leaktest_verdict(udp), "untested") == 0,
	    "udp seen nowhere: %s", leaktest_verdict(udp));
	CHECK(leaktest_status(lt) == 2, "an untested probe: exit %d",
	    leaktest_status(lt));
	udp->seen = udp->expect & ~1u;
	CHECK(leaktest_untested(udp), "udp not seen on the vm port: tested");
	udp->seen = udp->expect;
	udp->result = PROBE_ERROR;
	CHECK(leaktest_untested(udp), "udp not sent: tested");
	CHECK(strcmp(leaktest_verdict(dns), "ok") == 0, "dns on kp-plain: %s",
	    leaktest_verdict(dns));
	dns->seen = 0;
	CHECK(leaktest_untested(dns), "dns never seen: judged ok");
	dns->seen = udp->expect;
	CHECK(leaktest_leaked(dns) && !leaktest_untested(dns) &&
	    strcmp(leaktest_verdict(dns), "leak") == 0, "dns leaked: %s",
	    leaktest_verdict(dns));
	CHECK(leaktest_status(lt) == 1, "a leak beside an untested probe: "
	    "exit %d", leaktest_status(lt));
}

int
main(void)
{
	static struct leaktest	 lt;
	struct lt_probe		*p;
	struct probe_spec	 s;
	char			 word[PROBE_WORDMAX], err[256];
	size_t			 i;

	check_path(&lt, "plain", "kp-plain,kd-sys-net,kp-sys-net,kb-wan,eth0");
	CHECK(captures(&lt, "kb-sys-net") && captures(&lt, "kp-next"),
	    "plain: its segment bridge and neighbour port not captured");
	CHECK(leaktest_probe(&lt, "vm-next") != NULL &&
	    leaktest_probe(&lt, "vm-anon") == NULL,
	    "plain: a probe to its neighbour only");
	CHECK(strcmp(lt.path, "sys-net (sys-net) -> wan") == 0, "path %s",
	    lt.path);

	/* After tor or wireguard nothing further carries the tag. */
	check_path(&lt, "anon", "kp-anon,kd-sys-tor");
	CHECK(captures(&lt, "kp-sys-tor") && captures(&lt, "kd-sys-net") &&
	    captures(&lt, "kp-sys-net"), "anon: chain not captured");
	check_path(&lt, "work", "kp-work,kd-sys-wg");
	check_path(&lt, "layered", "kp-layered,kd-sys-fw,kp-sys-fw,kd-sys-tor");
	CHECK(strcmp(lt.path, "sys-fw (sys-net) -> sys-tor (tor) -> "
	    "sys-net (sys-net) -> wan") == 0, "path %s", lt.path);

	/* IPv6 is a probe that may leave when the chain enables it. */
	CHECK(plan(&lt, "v6") == 0, "v6: plan");
	CHECK(strcmp(expect(&lt, "ipv6"), "kp-v6,kd-sys-wg") == 0,
	    "v6 ipv6: %s", expect(&lt, "ipv6"));
	p = leaktest_probe(&lt, "ipv6");
	CHECK(p != NULL && p->s.how != PROBE_HOW_FRAME && strcmp(p->target,
	    "64:ff9b::192.0.2.2") == 0, "v6: ipv6 probe routed to NAT64");
	CHECK(plan(&lt, "work") == 0 && (p = leaktest_probe(&lt, "ipv6")) &&
	    p->s.how == PROBE_HOW_FRAME && p->s.dmac[5] == 0x03,
	    "work: ipv6 as a frame to sys-wg");

	check_verdicts(&lt);

	/* Offline: nothing may leave the VM's port. */
	check_path(&lt, "vault", "kp-vault");
	CHECK(lt.nifs == 3, "vault: %zu interfaces", lt.nifs);
	CHECK(strcmp(lt.chain, "none") == 0 &&
	    strcmp(lt.path, "offline") == 0, "vault: chain %s", lt.chain);

	CHECK(plan(&lt, "nosuch") == 2, "no such vm");
	CHECK(plan(&lt, "sys-net") == 2, "a gateway is not a vm");
	CHECK(plan(&lt, "nocomp") == 2, "no compartment");
	CHECK(plan(&lt, "tap") == 2, "a qemu vm that does not run");
	CHECK(plan(&lt, "qboot") == 2, "a qemu vm not ready");

	/* A QEMU VM: the same plan, its probes sent by its agent. */
	check_path(&lt, "qvm", "kp-qvm,kd-sys-net,kp-sys-net,kb-wan,eth0");
	CHECK(strcmp(lt.exec, "/var/kubsd/vms/qvm/exec.sock") == 0 &&
	    lt.netns[0] == '\0', "qvm: exec %s, netns %s", lt.exec, lt.netns);
	CHECK(leaktest_probe(&lt, "vm-plain") != NULL, "qvm: no neighbour");
	for (i = 0; i < lt.nprobes; i++)	/* kubsd-guest probe's words */
		CHECK(probe_spec_fmt(&lt.probes[i].s, word, sizeof(word)) > 0 &&
		    probe_spec_parse(word, &s, err, sizeof(err)) == 0 &&
		    memcmp(&s, &lt.probes[i].s, sizeof(s)) == 0,
		    "qvm: probe %s as a word: %s", lt.probes[i].name, word);
	return failures != 0;
}
