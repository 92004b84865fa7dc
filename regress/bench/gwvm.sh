#!/bin/sh
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

# make bench, part 4: gateway VMs.  The demo's topology
# (regress/lib/gwconf.sh, gw_demo_conf: sys-net, sys-tor, sys-wg and
# sys-torvpn as QEMU VMs on minimal, the AppVM personal on debian, the
# disposable browse on minimal) plus a compartment "bench" to measure
# from, booted once in front of the test internet, for every row; then
# the same topology as compartments (driver netns) as the baseline.
# Prints only: no number here is a pass or a fail; the verdicts say how
# each compares with its goal.
#
#  - memory: each VM's QEMU (PSS, once it has settled) and kubsd's own
#    processes, summed, against 2048 MB, each minimal gateway against
#    160 MB; beside it the same nodes as compartments (their processes:
#    kubsd-guest, tor, wireguard-go);
#  - attach latency (obj/bench_attach, median of 41): the QEMU AppVM
#    moved between chains while it and five other QEMU VMs run, against
#    the same VM stopped with compartment gateways (no QEMU at all); the
#    compartment bench likewise (its attach also sets its namespace's
#    address, routes and DNS);
#  - gateway VM boot to ready per role: each gateway's QEMU killed alone
#    (netd starts it again), to its kubsd-guest's "ready";
#  - TCP throughput (iperf3) from bench through the WireGuard gateway VM
#    against through the sys-net gateway VM (TCG: the ratio only).
cd "$(dirname "$0")/../.." || exit 1
NETD=$PWD/kubsd-netd
NET=$PWD/kubsd-net
VM=$PWD/kubsd-vm
skip() { echo; echo "== gateway VM benchmarks skipped: $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root"
for t in ip nsenter curl python3 nft tor wireguard-go wg iperf3 \
    qemu-system-x86_64; do
	command -v $t >/dev/null || skip "no $t"
done
getent passwd _kubsd-qemu >/dev/null || skip "no user _kubsd-qemu"
[ -x obj/bench_attach ] || skip "no obj/bench_attach"

SB_PREFIX=g
SB_COMPARTMENTS="sys-net sys-tor sys-torvpn sys-wg personal browse bench"
. regress/lib/sandbox.sh
. regress/lib/testnet.sh
. regress/lib/gwconf.sh
ROOT=$PWD
. regress/template/lib.sh
TMP=$(mktemp -d) || skip "mktemp failed"
MIN=$(tmpl_cached minimal 2>"$TMP/err") ||
    { rm -rf "$TMP"; skip "no minimal template"; }
DEB=$(tmpl_cached debian 2>"$TMP/err") ||
    { rm -rf "$TMP"; skip "no debian template"; }
rm -rf "$TMP"
sb_init || skip "no sandbox (see above)"
sb_busy && skip "a kubsd runs here"
. regress/lib/vmtest.sh
net() { "$NET" -s "$SOCK" "$@"; }
vm() { "$VM" -s "$SOCK" "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
verdict() { [ "$1" -le "$2" ] && echo "holds" || echo "DOES NOT HOLD"; }

sb_make_ns || skip "ip netns add failed"
tn_start || { tn_logs; skip "the test internet did not start"; }
(umask 077 && wg genkey >"$T/wg.key")
tn_wg_peer "$(wg pubkey <"$T/wg.key")"
chmod 755 "$T"
mkdir -p "$T/state/templates"
ln -s "$MIN" "$T/state/templates/minimal"
ln -s "$DEB" "$T/state/templates/debian"
gw_demo_conf "$T/state" "$T/wg.key" \
    'vm "bench" { driver netns; chain none }' >"$T/netd.conf"
tn_tor_wait 180 || { tn_logs; skip "the private Tor network did not bootstrap"; }

# ---- the VM topology: one boot for every row below
T0=$(date +%s)
sb_start_netd || skip "kubsd-netd did not start"
vm start personal >"$T/personal.out" 2>&1 &
P1=$!
vm start browse >"$T/browse.out" 2>&1 &
P2=$!
gw_vms_wait "$T0" 600 >"$T/boot.all" || skip "the gateway VMs did not get ready"
wait $P1 || skip "personal did not start: $(tail -n 1 "$T/personal.out")"
wait $P2 || skip "browse did not start: $(tail -n 1 "$T/browse.out")"
ALLUP=$(($(date +%s) - T0))
ACCEL=$(vm status -j personal | python3 -c '
import json, sys
print(json.load(sys.stdin)[0]["accel"])')

# vm_pss: NAME PSS per running VM, once the total has settled (two
# samples 10 s apart within 4 MB, 2 min at most: free page reporting
# and the guests' compaction give back what boot touched)
vm_pss() {
	vm status -j | python3 -c '
import json, sys
for v in json.load(sys.stdin):
    if v.get("pss") is not None:
        print(v["name"], v["pss"], v.get("template") or "minimal", v["memory"])'
}
prev=0 i=0
while [ $i -lt 12 ]; do
	sleep 10
	vm_pss >"$T/pss"
	tot=$(awk '{ s += $2 } END { print s + 0 }' "$T/pss")
	[ $((tot - prev)) -le 4 ] && [ $((prev - tot)) -le 4 ] && break
	prev=$tot i=$((i + 1))
done
SETTLE=$(($(date +%s) - T0 - ALLUP))
NETDPSS=$(pss_mb "$NETD_PID")

# attach latency with the QEMU VMs running: bench (a compartment) and
# personal (the QEMU AppVM, whose agent then takes its new address)
att_vm_bench=$(obj/bench_attach "$SOCK" 41 bench clear tor | cut -d' ' -f1)
att_vm_qemu=$(obj/bench_attach "$SOCK" 41 personal vpn tor | cut -d' ' -f1)

# throughput: bench through sys-wg (chain vpn) and through sys-net alone
set -- $(gw_throughput 1e6)
wgv=$1 plain=$2

# boot to ready per role: one gateway's QEMU killed at a time, the rest
# of the topology idle; netd starts it again (gateways always restart)
gwpid() { cat "$T/state/vms/$1.pid" 2>/dev/null; }
gwready() {
	net status -j 2>/dev/null | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if n["name"] == sys.argv[1]:
        sys.exit(0 if n.get("ready") else 1)
sys.exit(1)' "$1"
}
reboot_ms() {	# GATEWAY: ms from its QEMU killed to its ready again
	_old=$(gwpid "$1")
	_t0=$(date +%s%3N)
	kill -9 "$_old"
	_i=0
	while { [ "$(gwpid "$1")" = "$_old" ] || ! gwready "$1"; } &&
	    [ $_i -lt 3000 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	gwready "$1" && echo $(($(date +%s%3N) - _t0)) || echo "n/a"
}
boot_net=$(reboot_ms sys-net)
boot_wg=$(reboot_ms sys-wg)
boot_tor=$(reboot_ms sys-tor)

net teardown -f >/dev/null 2>&1
wait "$NETD_PID" 2>/dev/null
NETD_PID=
for _p in "$T"/state/vms/*.pid; do
	[ -f "$_p" ] && kill -9 "$(cat "$_p")" 2>/dev/null
done

# ---- the same topology as compartments: the baseline
# (personal stays a QEMU VM, not started: its attach, without any QEMU
# running, is the baseline of the QEMU AppVM's)
GW_DRIVER=netns gw_conf "$T/state" "$T/wg.key" \
    'template "debian" { recipe debian }
vm "personal" { template "debian"; chain "tor"; memory 512M }
vm "browse" { driver netns; chain "vpn" }
vm "bench" { driver netns; chain none }' >"$T/netd.conf"
rm -f "$SOCK"
sb_start_netd || skip "kubsd-netd (compartments) did not start"
sb_wait_ready 180 || skip "the compartment gateways did not get ready"
sleep 10
ns_pss() {	# COMPARTMENT: the PSS of what runs in it
	_s=0
	for _p in $(ip netns pids "kubsd-$1" 2>/dev/null); do
		_s=$((_s + $(pss_mb "$_p")))
	done
	echo $_s
}
: >"$T/pss.ns"
for n in sys-net sys-tor sys-wg sys-torvpn personal browse; do
	echo "$n $(ns_pss "$n")" >>"$T/pss.ns"
done
NSNETD=$(pss_mb "$NETD_PID")
att_ns=$(obj/bench_attach "$SOCK" 41 bench clear tor | cut -d' ' -f1)
att_ns_qemu=$(obj/bench_attach "$SOCK" 41 personal vpn tor | cut -d' ' -f1)

# ---- the tables
qemu_v=$(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')
echo
echo "== the demo topology's memory: QEMU VMs ($ACCEL, QEMU $qemu_v) against compartments (PSS in MB; settled $SETTLE s after all ready)"
printf '%-14s %-10s %8s %10s %12s %s\n' node template memory "VM PSS" "netns PSS" "goal"
vtot=0 ntot=0
for n in sys-net sys-tor sys-wg sys-torvpn personal browse; do
	case $n in browse) row=$(grep '^browse-' "$T/pss" | head -n 1) ;;
	*) row=$(grep "^$n " "$T/pss") ;; esac
	v=$(echo "$row" | awk '{ print $2 }'); v=${v:-0}
	nn=$(awk -v n="$n" '$1 == n { print $2 }' "$T/pss.ns")
	goal=
	case $n in sys-*)
		goal="<= 160: $(verdict "$v" 160)" ;;
	esac
	printf '%-14s %-10s %7sM %10s %12s %s\n' \
	    "$(echo "$row" | awk '{ print $1 }')" \
	    "$(echo "$row" | awk '{ print $3 }')" \
	    "$(echo "$row" | awk '{ print $4 }')" "$v" "$nn" "$goal"
	vtot=$((vtot + v)) ntot=$((ntot + nn))
done
printf '%-14s %-10s %8s %10s %12s\n' kubsd-netd - - "$NETDPSS" "$NSNETD"
vtot=$((vtot + NETDPSS)) ntot=$((ntot + NSNETD))
printf '%-14s %-10s %8s %10s %12s %s\n' total - - "$vtot" "$ntot" \
    "<= 2048: $(verdict "$vtot" 2048)"
printf '%-14s %-10s %8s %10s %12s\n' "ratio" - - "$(ratio "$vtot" "$ntot")" "1.00"

echo
echo "== attach latency (ms, median of 41 round trips over the control socket, between two chains of role gateways)"
printf '%-56s %8s %8s %s\n' measure median ratio goal
printf '%-56s %8s %8s\n' "personal (QEMU AppVM, stopped), no QEMU running" "$att_ns_qemu" "1.00"
printf '%-56s %8s %8s %s\n' "personal (QEMU AppVM, running), 6 QEMU VMs running" "$att_vm_qemu" \
    "$(ratio "$att_vm_qemu" "$att_ns_qemu")" \
    "<= 2: $(awk -v a="$att_vm_qemu" 'BEGIN { print (a <= 2 ? "holds" : "DOES NOT HOLD") }')"
printf '%-56s %8s %8s\n' "bench (compartment VM), no QEMU running" "$att_ns" "1.00"
printf '%-56s %8s %8s %s\n' "bench (compartment VM), 6 QEMU VMs running" "$att_vm_bench" \
    "$(ratio "$att_vm_bench" "$att_ns")" "(its namespace's address, routes, DNS)"

echo
if [ "$ACCEL" = kvm ]; then KVMSAY="kvm: tcg not measured (netd takes kvm when it can)"
elif [ -e /dev/kvm ]; then KVMSAY="/dev/kvm present but netd could not make a VM with it: no kvm row"
else KVMSAY="no /dev/kvm: no kvm row"; fi
echo "== gateway VM boot to ready ($ACCEL; $KVMSAY)"
echo "all six VMs booting at once, from kubsd-netd's start (all up after $ALLUP s):"
sed 's/^/  /' "$T/boot.all"
echo "one gateway at a time, its QEMU killed, the rest idle (ms):"
printf '  %-12s %10s %8s\n' role ms ratio
printf '  %-12s %10s %8s\n' sys-net "$boot_net" 1.00
printf '  %-12s %10s %8s\n' wireguard "$boot_wg" "$(ratio "$boot_wg" "$boot_net")"
printf '  %-12s %10s %8s\n' tor "$boot_tor" "$(ratio "$boot_tor" "$boot_net")"

echo
echo "== TCP through a gateway VM (iperf3 from bench to the test internet, median of 3 alternating 3 s runs; $ACCEL: the ratio only)"
printf '%-40s %10s %8s\n' path Mbit/s ratio
printf '%-40s %10s %8s\n' "chain clear (sys-net VM)" "$plain" 1.00
printf '%-40s %10s %8s\n' "chain vpn (sys-wg VM, kernel WireGuard)" "$wgv" "$(ratio "$wgv" "$plain")"
