#!/usr/bin/env bash
# Copyright (c) 2026 The kubsd authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.

#
# regress/demo.sh: what kubsd-netd makes of the example configuration,
# offline: the check, the normalized form, the graph and both rule sets,
# then the nftables rules checked by nft(8) in a scratch namespace.
#
# Then live, as root, in namespaces it makes and always removes (see
# regress/lib/sandbox.sh): kubsd-netd runs in a "host" namespace whose
# uplink leads to an "internet" namespace holding the test internet
# (regress/lib/testnet.sh: HTTP, DNS, a WireGuard server, a private Tor
# network), with real gateways (regress/lib/gwconf.sh: sys-net, sys-tor,
# sys-wg, sys-torvpn, each a compartment running kubsd-guest), the VM
# "work" on chain tor, the offline "vault" and a real VM, "personal": a
# QEMU AppVM (TCG without /dev/kvm) on chain tor, on the template
# "minimal" (kernel and initramfs from the Debian mirror, built with
# kubsd-vm template build and cached as regress/template/lib.sh caches
# it for make check).  It shows the gateways getting ready, a page
# fetched from work through Tor; kubsd-vm start personal returning once
# the guest's agent is ready, kubsd-vm status, a page fetched from
# inside personal through Tor; the leaktest tables, work moved to chain
# vpn and a page through WireGuard; personal moved to chain vpn without
# a restart, a page through WireGuard, kubsd-vm stop.  Last it tears
# down and checks that nothing is left behind: no QEMU, tap, VM file or
# key, compartment or rule.
#
set -eu
cd "$(dirname "$0")/.."
NETD=${KUBSD_NETD:-./kubsd-netd}
NET=${KUBSD_NET:-./kubsd-net}
VM=${KUBSD_VM:-./kubsd-vm}
CONF=${KUBSD_CONF:-etc/netd.conf}
NS=kubsd-demo-$$
TMP=$(mktemp -d /tmp/kubsd-demo.XXXXXX)

SB_PREFIX=d
SB_COMPARTMENTS="sys-net sys-tor sys-torvpn sys-wg work vault"
. regress/lib/sandbox.sh
. regress/lib/testnet.sh
. regress/lib/gwconf.sh

cleanup() {
	ip netns del "$NS" 2>/dev/null || true
	# QEMUs outlive kubsd-netd on purpose: after a failure, end ours
	for _p in "${T:-/nonexistent}"/state/vms/*.pid; do
		[ -f "$_p" ] && kill -9 "$(cat "$_p")" 2>/dev/null
	done
	rm -rf "$TMP"
	sb_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

heading() {
	printf '\n===== %s\n\n' "$*"
}

heading "$NETD -n -f $CONF  (check only)"
"$NETD" -n -f "$CONF"

heading "$NETD -nv -f $CONF  (the normalized configuration)"
"$NETD" -nv -f "$CONF"

heading "$NETD -t dot -f $CONF  (the network graph, Graphviz)"
"$NETD" -t dot -f "$CONF"

heading "$NETD -t pf -f $CONF  (pf anchors, OpenBSD)"
"$NETD" -t pf -f "$CONF"

heading "$NETD -t nft -f $CONF  (nftables ruleset, Linux)"
"$NETD" -t nft -f "$CONF" | tee "$TMP/rules.nft"

heading "nft -c -f -  (the ruleset above, checked in namespace $NS)"
if [ "$(id -u)" != 0 ]; then
	echo "skipped: not root"
	heading "live: skipped (not root)"
	exit 0
fi
ip netns add "$NS"
ip netns exec "$NS" nft -c -f - <"$TMP/rules.nft"
echo "nft accepts the ruleset"
ip netns del "$NS"

# ---- live ---------------------------------------------------------------

for t in ip nsenter curl python3 nft tor wireguard-go wg; do
	if ! command -v $t >/dev/null; then
		heading "live: skipped (no $t)"
		exit 0
	fi
done
# The QEMU VM's template, before the sandbox's lock is taken: built
# once per recipe, kubsd-guest and mirror state (the key of
# regress/template/lib.sh), in the cache make check uses too.
ROOT=$PWD
. regress/template/lib.sh
VMSKIP=
command -v qemu-system-x86_64 >/dev/null || VMSKIP="no qemu-system-x86_64"
getent passwd _kubsd-qemu >/dev/null || VMSKIP="no user _kubsd-qemu (make deps)"
if [ -z "$VMSKIP" ]; then
	heading "kubsd-vm template build minimal  (the QEMU VM's template, cached in $KUBSD_TEST_TEMPLATES)"
	if TMPL=$(tmpl_cached minimal 2>"$TMP/tmpl.err"); then
		if [ -s "$TMP/tmpl.out" ]; then cat "$TMP/tmpl.out"
		else echo "built before, for this kubsd-guest and mirror state: $TMPL"; fi
		sed -n '/^recipe/p;/^kernel/p;/sha256/p;/^content/p' "$TMPL/manifest"
		echo "initramfs $(du -h "$TMPL/initrd.img" | cut -f 1)," \
		    "kernel $(du -h "$TMPL/vmlinuz" | cut -f 1)," \
		    "$(grep -c '^package' "$TMPL/manifest") Debian packages"
	else
		VMSKIP="the template did not build: $(tail -n 1 "$TMP/tmpl.err")"
	fi
fi
[ -z "$VMSKIP" ] || heading "the QEMU VM: skipped ($VMSKIP)"

sb_init || { heading "live: no sandbox (see above)"; exit 1; }
if sb_busy; then
	heading "live: skipped (a kubsd runs on this host)"
	exit 0
fi

net() {		# kubsd-net, talking to the sandbox's kubsd-netd
	"$NET" -s "$SOCK" "$@"
}
# Into a VM with ip netns exec, which also gives the VM's own
# /etc/netns/kubsd-VM/resolv.conf (its chain's DNS); nsenter --net alone
# would keep the host's, and names would not resolve.
fetch() {	# $1: compartment, $2: address or name
	heading "ip netns exec kubsd-$1 curl http://$2:$TN_HTTP_PORT/"
	if ! ip netns exec "kubsd-$1" \
	    curl -sS -m 20 "http://$2:$TN_HTTP_PORT/"; then
		echo "the fetch failed"
		exit 1
	fi
	seen
}
seen() {	# who the test internet's HTTP server saw last
	sleep 0.2
	echo "(the server saw the client as $(seen_as))"
}
seen_as() {
	tail -n 1 "$TN_HTTP_LOG" | awk '{print $1}'
}
vm() {		# kubsd-vm, talking to the sandbox's kubsd-netd
	"$VM" -s "$SOCK" "$@"
}
vmfield() {	# VM FIELD: from kubsd-vm status -j
	vm status -j "$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)[0].get(sys.argv[1]) or "")' "$2"
}
vmtap() {	# the ifindex of VM $1's tap, in the host namespace
	inh ip -o link show dev "kp-$1" | cut -d: -f1
}
# From inside the QEMU VM, through its agent; busybox's wget (whose -T
# crashes in Debian 12's busybox-static: timeout(1) instead).
vmfetch() {	# $1: VM, $2: address or name
	heading "kubsd-vm run $1 wget -q -O - http://$2:$TN_HTTP_PORT/  (inside the VM)"
	_i=0
	while ! vm run "$1" timeout 20 wget -q -O - "http://$2:$TN_HTTP_PORT/"; do
		_i=$((_i + 1))
		[ $_i -lt 4 ] || { echo "the fetch failed"; exit 1; }
		echo "(no answer yet: again)"
	done
	sleep 0.2
	echo "(the test internet's HTTP log: $(tail -n 1 "$TN_HTTP_LOG"))"
}

# The QEMU VM $1 on chain tor: started, shown, fetching through Tor.
demo_vm_start() {
	heading "kubsd-vm start $1  (QEMU, template minimal, chain tor: returns when the guest is ready)"
	_t0=$(date +%s)
	vm start "$1" || { vm log "$1" | tail -n 20; exit 1; }
	echo "(ready after $(($(date +%s) - _t0))s)"

	heading "kubsd-vm status"
	vm status
	_pid=$(vmfield "$1" pid)
	echo "(QEMU pid $_pid: $(grep '^Uid:' /proc/$_pid/status | tr -s '\t ' ' ')," \
	    "$(grep '^Seccomp:' /proc/$_pid/status | tr -s '\t ' ' ')," \
	    "tap kp-$1 in $H)"

	heading "kubsd-vm run $1 'ip -o -4 addr show eth0; ip route; cat /etc/resolv.conf'"
	vm run "$1" 'ip -o -4 addr show eth0; ip route; cat /etc/resolv.conf'

	vmfetch "$1" www.test
	case " $TN_TOR_EXITS " in
	*" $(seen_as) "*) echo "(one of the Tor exits $TN_TOR_EXITS: it came through Tor)" ;;
	*) echo "(not a Tor exit: $TN_TOR_EXITS)"; exit 1 ;;
	esac
}

# The QEMU VM $1 moved to chain vpn with its QEMU kept, fetching
# through WireGuard, then stopped.
demo_vm_stop() {
	_pid=$(vmfield "$1" pid) _ifx=$(vmtap "$1")

	heading "kubsd-net attach $1 vpn  (QEMU keeps its tap; the agent applies the new address)"
	net attach "$1" vpn
	vm status "$1"
	_a=$(vmfield "$1" address) _i=0
	while ! vm run "$1" ip -o addr show eth0 | grep -q " $_a/" && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	vmfetch "$1" "$TN_WG_SERVER"
	[ "$(seen_as)" = "$TN_WG_CLIENT" ] ||
	    { echo "(not the tunnel's address $TN_WG_CLIENT)"; exit 1; }
	echo "(through WireGuard: the tunnel's address $TN_WG_CLIENT; QEMU pid" \
	    "$(vmfield "$1" pid), was $_pid; tap kp-$1 ifindex $(vmtap "$1")," \
	    "was $_ifx)"

	heading "kubsd-vm stop $1  (ACPI power-down)"
	vm stop "$1"
	vm status "$1"
	if kill -0 "$_pid" 2>/dev/null; then echo "QEMU $_pid still runs"; exit 1; fi
	echo "(QEMU $_pid is gone)"
}

heading "live: the sandbox"
sb_make_ns
tn_http_start "hello from the demo internet"
tn_start
wg genkey >"$T/wg.key" && chmod 600 "$T/wg.key"
tn_wg_peer "$(wg pubkey <"$T/wg.key")"
cat <<EOF
namespace $H	the "host": kubsd-netd runs here; eth0 192.0.2.1/24 and $SB_H6/64 is its uplink
namespace $I	the "internet": eth0 192.0.2.2/24 and $SB_I6/64 and, from regress/lib/testnet.sh,
	HTTP	$TN_HTTP:$TN_HTTP_PORT and [$SB_I6]:$TN_HTTP_PORT, log $TN_HTTP_LOG
	DNS	$TN_DNS:53 (www.test is $TN_HTTP), log $TN_DNS_LOG
	WireGuard	$TN_WG_IF on $TN_WG_ENDPOINT, tunnel $TN_WG_NET, key $TN_WG_PUBKEY
	Tor	authorities $TN_TOR_AUTHS, exits $TN_TOR_EXITS
		(a private network); a client tor appends $TN_TOR_INC
kubsd-net talks to kubsd-netd over $SOCK
EOF

heading "the test internet's private Tor network"
if tn_tor_wait 180; then
	echo "a consensus with both exits after ${TN_TOR_BOOT}s:"
	tn_tor_status
else
	echo "it did not bootstrap"
	tn_logs
	exit 1
fi

gw_conf "$T/state" "$T/wg.key" 'vm "work" { driver netns; chain "tor" }
vm "vault" { driver netns; chain none }
template "minimal" { recipe minimal }
vm "personal" { template "minimal"; chain "tor"; memory 128M }' >"$T/netd.conf"
# QEMU runs as _kubsd-qemu: it must reach the state directory.
chmod 755 "$T"
mkdir -p "$T/state/templates"
[ -n "$VMSKIP" ] || ln -s "$TMPL" "$T/state/templates/minimal"
heading "$T/netd.conf  (the demo configuration)"
cat "$T/netd.conf"

heading "$NETD -d -f $T/netd.conf -s $SOCK  (in $H)"
if ! sb_start_netd; then
	echo "kubsd-netd did not start:"
	cat "$T/netd.log"
	exit 1
fi
echo "kubsd-netd is running, pid $NETD_PID"

heading "kubsd-net status  (the gateways' guests are starting: no chain carries traffic yet)"
net status

heading "kubsd-net show rules work  (nftables, while sys-tor is not ready)"
net show rules work

heading "waiting for every gateway to be ready"
if ! sb_wait_ready 180; then
	net status
	exit 1
fi
net status

heading "the role bundle kubsd-netd wrote for sys-tor ($T/state/gateways/sys-tor)"
for f in bundle.conf torrc rules.nft; do
	echo "==> $f <=="
	cat "$T/state/gateways/sys-tor/$f"
done

heading "kubsd-net graph"
net graph

# the first circuits may take a while after "Bootstrapped 100%" (a
# five-relay test network sometimes discards a few paths first)
i=0
while ! ip netns exec kubsd-work curl -s -m 15 -o /dev/null "http://$TN_HTTP:$TN_HTTP_PORT/" &&
    [ $i -lt 6 ]; do i=$((i + 1)); done
heading "ip netns exec kubsd-work cat /etc/resolv.conf  (the VM's DNS: its first hop)"
ip netns exec kubsd-work cat /etc/resolv.conf
fetch work www.test
echo "(www.test resolved through Tor's DNSPort; fetched through Tor: one of the exits $TN_TOR_EXITS)"

[ -n "$VMSKIP" ] || demo_vm_start personal

# the tcp probe's tag goes over a connection: to the test HTTP server;
# the QEMU VM personal is work's neighbour on chain tor (probe vm-personal)
heading "kubsd-net leaktest -p $TN_HTTP_PORT work  (chain tor)"
net leaktest -p "$TN_HTTP_PORT" work || exit 1

heading "kubsd-net attach work vpn"
inh nft list set bridge kubsd vmport_ip4 | grep -o '"kp-work" \. [^,}]*' | sed 's/ *$//' >"$T/ip4.before"
net attach work vpn
net status | sed -n '/^NAME/p;/^work /p'
echo "(what changed in the kernel: work's elements, nothing else)"
inh nft list set bridge kubsd vmport_ip4 | grep -o '"kp-work" \. [^,}]*' | sed 's/ *$//' >"$T/ip4.after"
echo "vmport_ip4 before: $(cat "$T/ip4.before")"
echo "vmport_ip4 after:  $(cat "$T/ip4.after")"
fetch work "$TN_WG_SERVER"
echo "(through WireGuard: the tunnel's address $TN_WG_CLIENT)"

heading "kubsd-net leaktest -p $TN_HTTP_PORT -t $TN_WG_SERVER work  (chain vpn)"
net leaktest -p "$TN_HTTP_PORT" -t "$TN_WG_SERVER" work || exit 1

heading "kubsd-net attach work tor"
net attach work tor
fetch work "$TN_HTTP"

heading "kubsd-net leaktest vault  (offline)"
net leaktest vault || exit 1

[ -n "$VMSKIP" ] || demo_vm_stop personal

heading "kubsd-net teardown -f"
net teardown -f
rc=0
wait "$NETD_PID" || rc=$?
NETD_PID=
echo "kubsd-netd exited ($rc)"
echo "kubsd interfaces left in $H: $(inh ip -o link show group 0x6b75 | wc -l)"
echo "kubsd nft tables left in $H: $(inh nft list tables | grep -c kubsd || :)"

heading "kubsd-netd's log"
cat "$T/netd.log"

heading "the test internet's HTTP and DNS logs: who connected"
grep -v '^Serving' "$TN_HTTP_LOG" || :
cat "$TN_DNS_LOG" || :

heading "what kubsd left behind (looked for before the sandbox cleans up)"
left=0
if sb_kubsd_leftovers; then echo "nothing left behind by kubsd"
else echo "left behind by kubsd (see above)"; left=1; fi
if grep 'gateway .*error' "$T/netd.log"; then
	echo "(a gateway reported an error: see above)"; left=1
fi

heading "cleanup"
sb_cleanup
if sb_leftovers; then
	echo "nothing left behind"
else
	echo "left behind (see above)"
	exit 1
fi
exit $left
