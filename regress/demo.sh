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
# network), with the example's topology as QEMU VMs (TCG without
# /dev/kvm; regress/lib/gwconf.sh, gw_demo_conf): the gateways sys-net,
# sys-tor, sys-wg and sys-torvpn (Tor over the VPN) on the template
# "minimal", the AppVM "personal" on the template "debian" and the
# disposable "browse" on minimal.  The templates are built with
# kubsd-vm template build unless a build of the same recipe, kubsd-guest
# and mirror state is cached (regress/template/lib.sh, the cache make
# check uses; debian's mmdebstrap takes minutes).  Every VM boots at
# once; it shows each gateway VM getting ready, kubsd-vm status with
# what each QEMU costs (PSS), a page fetched from inside personal
# through Tor and from inside browse's instance through WireGuard, the
# leaktest tables of both, personal moved to chain vpn and to
# tor-over-vpn with kubsd-net attach (its QEMU kept) and a page through
# each, the memory of the whole topology, then both VMs stopped.  Last
# it tears down and checks that nothing is left behind: no QEMU, tap,
# instance, VM file or key, compartment or rule.
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
SB_COMPARTMENTS="sys-net sys-tor sys-torvpn sys-wg"
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

for t in ip nsenter curl python3 nft tor wireguard-go wg qemu-system-x86_64; do
	if ! command -v $t >/dev/null; then
		heading "live: skipped (no $t)"
		exit 0
	fi
done
if ! getent passwd _kubsd-qemu >/dev/null; then
	heading "live: skipped (no user _kubsd-qemu: make deps)"
	exit 0
fi

# The templates, before the sandbox's lock is taken: built once per
# recipe, kubsd-guest and mirror state (the key of
# regress/template/lib.sh), in the cache make check uses too.
ROOT=$PWD
. regress/template/lib.sh
demo_template() {	# RECIPE WHAT HOW-LONG: its directory in $1.dir
	heading "kubsd-vm template build $1  ($2; cached in $KUBSD_TEST_TEMPLATES)"
	_k=$(tmpl_key "$1") || { echo "cannot read the Debian mirror"; exit 1; }
	if [ -f "$KUBSD_TEST_TEMPLATES/$1-$_k/templates/$1/manifest" ]; then
		echo "built before, for this kubsd-guest and mirror state"
	else
		echo "building it now: $3 ..."
	fi
	_t0=$(date +%s)
	if ! _d=$(tmpl_cached "$1" 2>"$TMP/tmpl.err"); then
		echo "the template did not build:"
		tail -n 5 "$TMP/tmpl.err"
		exit 1
	fi
	[ -s "$TMP/tmpl.out" ] && { cat "$TMP/tmpl.out"; : >"$TMP/tmpl.out"; }
	echo "$_d ($(($(date +%s) - _t0)) s)"
	sed -n '/^recipe/p;/^kernel/p' "$_d/manifest"
	echo "$(grep -c '^package' "$_d/manifest") Debian packages;" \
	    "$(du -sh "$_d" | cut -f 1) on disk"
	echo "$_d" >"$TMP/$1.dir"
}
demo_template minimal "the gateways' and the disposable's: a kernel and a busybox initramfs" \
    "about a minute"
demo_template debian "the AppVM's: mmdebstrap, systemd, openssh" \
    "mmdebstrap takes several minutes"

sb_init || { heading "live: no sandbox (see above)"; exit 1; }
if sb_busy; then
	heading "live: skipped (a kubsd runs on this host)"
	exit 0
fi

net() {		# kubsd-net, talking to the sandbox's kubsd-netd
	"$NET" -s "$SOCK" "$@"
}
vm() {		# kubsd-vm, talking to the sandbox's kubsd-netd
	"$VM" -s "$SOCK" "$@"
}
seen_as() {	# who the test internet's HTTP server saw last
	sleep 0.2
	tail -n 1 "$TN_HTTP_LOG" | awk '{print $1}'
}
vmfield() {	# VM FIELD: from kubsd-vm status -j
	vm status -j "$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)[0].get(sys.argv[1]) or "")' "$2"
}
vmtap() {	# the ifindex of VM $1's tap, in the host namespace
	inh ip -o link show dev "kp-$1" | cut -d: -f1
}
# A page from inside a VM, as its user over ssh (kubsd-vm run), until it
# comes (the first Tor circuits may take a few tries): the debian AppVM has no HTTP
# client in minbase, so bash's /dev/tcp speaks HTTP/1.0; the minimal
# one has busybox wget (whose -T crashes in Debian 12: timeout(1)).
vmfetch() {	# VM HOST
	case $1 in
	personal) _c="timeout 20 bash -c 'exec 3<>/dev/tcp/$2/$TN_HTTP_PORT && printf \"GET / HTTP/1.0\\r\\nHost: $2\\r\\n\\r\\n\" >&3 && sed 1,/^.$/d <&3'" ;;
	*) _c="timeout 20 wget -q -O - http://$2:$TN_HTTP_PORT/" ;;
	esac
	heading "kubsd-vm run $1 ...  (a page from http://$2:$TN_HTTP_PORT/, inside the VM)"
	echo "$_c"
	_i=0
	while ! vm run "$1" "$_c" >"$T/page" 2>&1 || ! grep -q . "$T/page"; do
		_i=$((_i + 1))
		[ $_i -lt 5 ] || { cat "$T/page"; echo "the fetch failed"; exit 1; }
		echo "(no answer yet: again)"
	done
	cat "$T/page"
	echo "(the test internet's HTTP log: $(tail -n 1 "$TN_HTTP_LOG"))"
}
via_tor() {
	case " $TN_TOR_EXITS " in
	*" $(seen_as) "*) echo "(from $(seen_as), one of the Tor exits $TN_TOR_EXITS: it came through Tor)" ;;
	*) echo "(from $(seen_as), not a Tor exit: $TN_TOR_EXITS)"; exit 1 ;;
	esac
}
via_wg() {
	[ "$(seen_as)" = "$TN_WG_CLIENT" ] ||
	    { echo "(from $(seen_as), not the tunnel's address $TN_WG_CLIENT)"; exit 1; }
	echo "(from $TN_WG_CLIENT, the tunnel's address: it came through WireGuard)"
}
leaktest() {	# ARGS...: in the host namespace, where the taps are
	heading "kubsd-net leaktest $*"
	_t0=$(date +%s)
	inh "$NET" -s "$SOCK" leaktest "$@" || exit 1
	echo "(took $(($(date +%s) - _t0)) s)"
}

heading "live: the sandbox"
sb_make_ns
tn_http_start "hello from the demo internet"
tn_start
(umask 077 && wg genkey >"$T/wg.key")
tn_wg_peer "$(wg pubkey <"$T/wg.key")"
cat <<EOF2
namespace $H	the "host": kubsd-netd runs here; eth0 192.0.2.1/24 and $SB_H6/64 is its uplink
namespace $I	the "internet": eth0 192.0.2.2/24 and $SB_I6/64 and, from regress/lib/testnet.sh,
	HTTP	$TN_HTTP:$TN_HTTP_PORT and [$SB_I6]:$TN_HTTP_PORT, log $TN_HTTP_LOG
	DNS	$TN_DNS:53 (www.test is $TN_HTTP), log $TN_DNS_LOG
	WireGuard	$TN_WG_IF on $TN_WG_ENDPOINT, tunnel $TN_WG_NET, key $TN_WG_PUBKEY
	Tor	authorities $TN_TOR_AUTHS, exits $TN_TOR_EXITS
		(a private network); a client tor appends $TN_TOR_INC
kubsd-net and kubsd-vm talk to kubsd-netd over $SOCK
EOF2

gw_demo_conf "$T/state" "$T/wg.key" >"$T/netd.conf"
# QEMU runs as _kubsd-qemu: it must reach the state directory.
chmod 755 "$T"
mkdir -p "$T/state/templates"
ln -s "$(cat "$TMP/minimal.dir")" "$T/state/templates/minimal"
ln -s "$(cat "$TMP/debian.dir")" "$T/state/templates/debian"
heading "$T/netd.conf  (the demo configuration: every gateway a QEMU VM on minimal)"
cat "$T/netd.conf"

heading "$NETD -d -f $T/netd.conf -s $SOCK  (in $H: it boots the four gateway VMs at once)"
T0=$(date +%s)
if ! sb_start_netd; then
	echo "kubsd-netd did not start:"
	cat "$T/netd.log"
	exit 1
fi
echo "kubsd-netd is running, pid $NETD_PID"

heading "kubsd-vm start personal; kubsd-vm start browse  (in the background, beside the gateways)"
vm start personal >"$T/personal.out" 2>&1 &
P1=$!
vm start browse >"$T/browse.out" 2>&1 &
P2=$!
echo "each returns once its guest's agent says ready"

heading "kubsd-net status  (the gateway VMs boot: no chain carries traffic yet)"
net status

heading "the test internet's private Tor network"
if tn_tor_wait 180; then
	echo "a consensus with both exits after ${TN_TOR_BOOT}s:"
	tn_tor_status
else
	echo "it did not bootstrap"
	tn_logs
	exit 1
fi

heading "waiting for the gateway VMs to be ready  (role bundle sent over virtio-serial, kubsd-guest inside applies it)"
if ! gw_vms_wait "$T0" 600; then
	net status
	exit 1
fi
net status

heading "the AppVM and the disposable"
rc=0
wait $P1 || rc=$?
[ $rc = 0 ] || { cat "$T/personal.out"; vm log personal | tail -n 20; exit 1; }
echo "personal (debian) ready after $(($(date +%s) - T0)) s or less"
wait $P2 || rc=$?
[ $rc = 0 ] || { cat "$T/browse.out"; exit 1; }
B=$(tail -n 1 "$T/browse.out" | cut -d" " -f1)
[ -n "$B" ] || { cat "$T/browse.out"; exit 1; }
echo "browse's instance: $B (minimal)"

heading "kubsd-vm status  (PSS: what each QEMU costs the host, /proc/PID/smaps_rollup)"
vm status

heading "kubsd-vm exec sys-tor ...  (as root through its agent: the gateway VM's memory, and tor's and kubsd-guest's)"
vm exec sys-tor 'free -m; for p in $(pidof tor kubsd-guest); do echo "$(grep VmRSS /proc/$p/status) $(tr "\\0" " " </proc/$p/cmdline | cut -c 1-50)"; done' ||
    echo "(kubsd-vm exec sys-tor failed)"

heading "kubsd-vm run personal 'ip -o -4 addr show scope global; ip route; cat /etc/resolv.conf'"
vm run personal 'ip -o -4 addr show scope global; ip route; cat /etc/resolv.conf'

vmfetch personal www.test
via_tor
leaktest -p "$TN_HTTP_PORT" personal

vmfetch "$B" "$TN_WG_SERVER"
via_wg
leaktest -p "$TN_HTTP_PORT" -t "$TN_WG_SERVER" "$B"

_pid=$(vmfield personal pid) _ifx=$(vmtap personal)
for c in vpn tor-over-vpn; do
	heading "kubsd-net attach personal $c  (QEMU keeps its tap; the agent applies the new address)"
	net attach personal "$c"
	vm status personal
	_a=$(vmfield personal address) _i=0
	while ! vm exec personal ip -o addr show | grep -q " $_a/" &&
	    [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	if [ $c = vpn ]; then
		vmfetch personal "$TN_WG_SERVER"
		via_wg
	else
		vmfetch personal www.test
		via_tor
		echo "(sys-torvpn's tor reached the relays through sys-wg's tunnel)"
	fi
	echo "(QEMU pid $(vmfield personal pid), was $_pid; tap kp-personal" \
	    "ifindex $(vmtap personal), was $_ifx)"
done
leaktest -p "$TN_HTTP_PORT" personal

heading "memory: the whole topology  (PSS in MB; goal: 2048 MB, each minimal gateway 160 MB)"
vm status
tot=0
for f in "$T"/state/vms/*.pid; do
	_n=$(basename "$f" .pid) _p=$(pss_mb "$(cat "$f")")
	printf '%-12s %6s MB\n' "$_n" "$_p"
	tot=$((tot + _p))
done
_p=$(pss_mb "$NETD_PID")
printf '%-12s %6s MB\n' "kubsd-netd" "$_p"
tot=$((tot + _p))
printf '%-12s %6s MB  (%s)\n' "total" "$tot" \
    "$([ $tot -le 2048 ] && echo "within 2048 MB" || echo "over 2048 MB")"

heading "kubsd-vm stop $B; kubsd-vm stop personal  (ACPI power-down; the instance is gone after)"
vm stop "$B"
vm stop personal
vm status
if kill -0 "$_pid" 2>/dev/null; then echo "QEMU $_pid still runs"; exit 1; fi

heading "kubsd-net teardown -f  (the gateway VMs too)"
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
if sb_leftovers && [ $left = 0 ]; then
	echo "nothing left behind"
else
	echo "left behind (see above)"
	exit 1
fi
