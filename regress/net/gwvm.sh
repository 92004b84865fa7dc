#!/bin/sh
#
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
# Gateway VMs: a sys-net gateway with driver qemu boots the minimal
# template (regress/template/lib.sh's cached build) with its two ports
# as virtio-net devices on netd's taps; kubsd-netd sends it its role
# bundle over the agent's channel and the kubsd-guest inside answers
# with its status lines.  A compartment behind it reaches the test
# internet only while the gateway VM says ready.
#
#   qwork, qlate -> qgw (QEMU, minimal, sys-net) -> wan     chain q
#   qoffice      -> qwg (QEMU, minimal, wireguard) -> wan   chain vpn
#   qanon        -> qtor (QEMU, minimal, tor) -> wan        chain tor
#
# qwg's tunnel is the guest kernel's WireGuard, its private and preshared
# keys fw_cfg credentials, found nowhere else on the host; the WireGuard
# server and the private Tor network are regress/lib/testnet.sh's.
#
# Then, under a continuous probe stream from qwork, qoffice and qanon and
# a capture on the uplink (regress/lib/faults.sh), each fault: kubsd-guest,
# tor, the WireGuard tunnel or the agent killed inside, QEMU killed, a
# power-off inside, and netd killed with -9 and started again (the VMs
# adopted).  Each gateway is blocked at once on the host side and comes
# back by itself; no probe leaves by the uplink outside its chain's form.
#
# Exit: 0 all checks passed, 77 cannot run here (reason on stderr).
#
cd "$(dirname "$0")/../.." || exit 1
NETD=${KUBSD_NETD_LIVE:-$PWD/kubsd-netd-asan}
NET=${KUBSD_NET:-$PWD/kubsd-net-asan}
VM=${KUBSD_VM:-$PWD/kubsd-vm-asan}
ROOT=$PWD

[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
for t in ip nsenter curl python3 nft qemu-system-x86_64 cpio wg wireguard-go \
    tor tor-gencert; do
	command -v $t >/dev/null || { echo "no $t" >&2; exit 77; }
done
getent passwd _kubsd-qemu >/dev/null ||
    { echo "no user _kubsd-qemu (make deps)" >&2; exit 77; }
KPROBE=${KPROBE:-$PWD/obj/tools/kprobe}
KCAP=${KCAP:-$PWD/obj/tools/kcap}
for b in "$NETD" "$NET" "$VM" "$PWD/kubsd-guest" "$PWD/kubsd-vm" "$KPROBE" \
    "$KCAP"; do
	[ -x "$b" ] || { echo "FAIL missing $b"; exit 1; }
done

SB_PREFIX=q
SB_COMPARTMENTS="qwork qlate qoffice qanon"
. regress/lib/sandbox.sh
. regress/lib/testnet.sh
. regress/template/lib.sh
FAILED=0

# The template first: a build (about a minute) holds no sandbox lock.
tmpl_need minimal
MINIMAL=$TMPL

sb_init || exit 77
sb_busy && exit 77

. regress/lib/vmtest.sh
. regress/lib/faults.sh
VM_CLEANUP_MORE=ft_cleanup
waitfor() {	# TENTHS COMMAND...: until COMMAND succeeds
	_t=$1; shift; _i=0
	while ! "$@" && [ $_i -lt "$_t" ]; do sleep 0.1; _i=$((_i + 1)); done
	"$@"
}
net() { "$NET" -s "$SOCK" "$@"; }
gwfield() {	# FIELD: the gateway's, from kubsd-net status -j
	net status -j 2>/dev/null | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if n["name"] == sys.argv[2]:
        print(n.get(sys.argv[1]))' "$1" "${GW:-qgw}"
}
gw_ready() { test "$(gwfield ready)" = True; }
gw_unready() { test "$(gwfield ready)" = False; }
wg_ready() { test "$(GW=qwg gwfield ready)" = True; }
tor_ready() { test "$(GW=qtor gwfield ready)" = True; }
vmpid() { cat "$T/state/vms/${1:-qgw}.pid" 2>/dev/null; }
reaches() {	# COMPARTMENT [HOST]
	inns "kubsd-$1" curl -s -m 3 "http://${2:-192.0.2.2}:8080/" \
	    2>/dev/null | grep -q 'test internet'
}
blocked() { ! reaches "$@"; }

sb_make_ns || { echo "ip netns add failed" >&2; exit 77; }
sb_http "hello from the test internet"
tn_paths
tn_wg_start || exit 1
(umask 077 && wg genkey >"$T/wg.key")
tn_wg_peer "$(wg pubkey <"$T/wg.key")" || exit 1
(umask 077 && wg genpsk >"$T/wg.psk")
inns "$I" wg set $TN_WG_IF peer "$(wg pubkey <"$T/wg.key")" \
    preshared-key "$T/wg.psk" || exit 1
tn_tor_start || exit 1
chmod 755 "$T"	# QEMU's user reads the template under it
mkdir -p "$T/state/templates"
ln -s "$MINIMAL" "$T/state/templates/minimal"

cat >"$T/netd.conf" <<EOF2
pool 10.66.0.0/16 prefixlen 24
statedir "$T/state"
uplink "wan" { interface "eth0"; network 192.0.2.0/24 }
gateway "qgw" { role sys-net; memory 256M }
chain "q" { "qgw" "wan" }
vm "qwork" { driver netns; chain "q" }
vm "qlate" { driver netns }
gateway "qwg" {
	role wireguard
	memory 256M
	wireguard {
		private key file "$T/wg.key"
		address $TN_WG_CLIENT/32
		peer "srv" {
			public key "$TN_WG_PUBKEY"
			preshared key file "$T/wg.psk"
			endpoint ${TN_WG_ENDPOINT%:*} port ${TN_WG_ENDPOINT#*:}
			allowed ips { 0.0.0.0/0 }
			persistent keepalive 5
		}
	}
}
chain "vpn" { "qwg" "wan" }
vm "qoffice" { driver netns; chain "vpn" }
gateway "qtor" { role tor; memory 256M; torrc include "$TN_TOR_INC" }
chain "tor" { "qtor" "wan" }
vm "qanon" { driver netns; chain "tor" }
EOF2

T0=$(date +%s)
sb_start_netd || { cat "$T/netd.log"; exit 1; }
since() { echo "# $1: $(($(date +%s) - T0)) s after netd's start (${2:-tcg})"; }

# --- before its VM says ready, the chain carries nothing
check "the gateway is not ready while its vm boots" gw_unready
check "qwork is blocked meanwhile" blocked qwork
check "qgw's qemu runs" waitfor 100 test -n "$(vmpid)"
PID=$(vmpid)
check "it has both ports as taps (fd 3 and 4)" sh -c \
    "ls -l /proc/$PID/fd/3 /proc/$PID/fd/4 | grep -c /dev/net/tun | grep -qx 2"
check "qemu runs as a user of its own" sh -c \
    "grep -q '^Uid:[[:space:]]*[1-9]' /proc/$PID/status"

# --- the bundle in, "ready" out
waitfor 1800 gw_ready
since "sys-net gateway vm ready"
check "the gateway vm says ready (its kubsd-guest's status line)" gw_ready
check "its status is the guest's line" test "$(gwfield guest)" = ready
check "qwork reaches the test internet through it" waitfor 50 reaches qwork
check "the server sees the uplink's address (the host's nat)" sh -c \
    "tail -n 1 '$T/http.log' | grep -q '^192\.0\.2\.1 '"
"$VM" -s "$SOCK" status >"$T/vmstatus.txt" 2>&1
check "kubsd-vm status: a gateway's role and segment in its column" \
    python3 regress/tools/columns.py "$T/vmstatus.txt" "sys-net "
inside() {	# VM COMMAND: run in it (kubsd-vm exec waits for an answer
	# an agent killed never sends)
	_v=$1; shift; timeout 10 "$VM" -s "$SOCK" exec "$_v" "$*"
}
check "the guest's firewall is loaded" sh -c \
    "'$VM' -s '$SOCK' exec qgw nft list table inet kubsd_guest | grep -q masquerade"
check "eth0 has the gateway's upstream address" sh -c \
    "'$VM' -s '$SOCK' exec qgw ip -o addr show eth0 | grep -q ' 10\.66\.'"
check "the guest's console shows kubsd-guest applying the bundle" sh -c \
    "grep -aq 'applied /run/kubsd/gw (role sys-net)' '$T/state/vms/qgw/console.log'"

# --- wireguard: the guest kernel's tunnel, the key a credential
waitfor 1800 wg_ready
since "wireguard gateway vm ready"
check "the wireguard gateway vm says ready (a handshake)" wg_ready
check "qoffice reaches the server through the tunnel" \
    waitfor 50 reaches qoffice $TN_WG_SERVER
check "the server sees the tunnel's address" sh -c \
    "tail -n 1 '$T/http.log' | grep -q '^$TN_WG_CLIENT '"
check "the tunnel is the guest kernel's wireguard, no wireguard-go" sh -c \
    "'$VM' -s '$SOCK' exec qwg 'test -d /sys/module/wireguard && ! pidof wireguard-go'"
WPID=$(cat "$T/state/vms/qwg.pid")
for _k in key psk.0; do
	check "kubsd.wg.$_k is a fw_cfg credential, mode 0600" sh -c \
	    "stat -c %a '$T/state/vms/qwg/cred/kubsd.wg.$_k' | grep -qx 600"
done
# the key material: nowhere on qemu's command line, in a log or in the
# bundle on disk (its wg.conf names the credentials instead), byte for byte
hostfiles() {
	echo /proc/$WPID/cmdline /proc/$TPID/cmdline "$T/netd.log"
	find "$T/state/gateways" -type f
	ls "$T"/state/vms/q*/qemu.log "$T"/state/vms/q*/console.log
}
hexof() { od -An -v -tx1 | tr -d ' \n'; }
nowhere() {	# HEX: in none of hostfiles
	[ ${#1} -ge 64 ] || { echo "# no key material to look for"; return 1; }
	for _f in $(hostfiles); do
		hexof <"$_f" | grep -q "$1" && { echo "# found in $_f"; return 1; }
	done
	return 0
}
nokey() { nowhere "$(tr -d ' \n' <"$1" | hexof)"; }
keychecks() {	# after qtor runs: its tor's own keys too
	check "the private key is nowhere but its credential" nokey "$T/wg.key"
	check "nor the preshared key" nokey "$T/wg.psk"
	check "the bundle on disk names the credentials" grep -q \
	    '^PrivateKey = <credential kubsd.wg.key>$' "$T/state/gateways/qwg/wg.conf"
	# netd.conf gives tor no key (no onion service): the keys tor made
	# in the VM (its data directory, in the VM's RAM) never reach the host
	# (kubsd-vm exec takes one line)
	_c='cat /run/kubsd/gw/tor-data/keys/* 2>/dev/null | od -An -v -tx1'
	_tk=$(inside qtor "$_c" | tr -d ' \n' | cut -c 97-160)
	if [ ${#_tk} -ge 64 ]; then
		check "qtor's own tor keys are nowhere on the host" nowhere "$_tk"
	else
		echo "# qtor's tor made no key files: nothing to look for"
	fi
}

# --- tor: bootstrapped through the private network, exits there
# until qtor says ready, qanon reaches nothing (if it did, qtor must
# have become ready meanwhile)
tor_gated() { tor_ready || blocked qanon || tor_ready; }
check "qanon is blocked while qtor bootstraps" tor_gated
tn_tor_wait 150 || fail "the private tor network did not come up"
waitfor 3000 tor_ready
since "tor gateway vm ready" "tcg; the tor network's own bootstrap included"
check "the tor gateway vm says ready (bootstrapped 100%)" tor_ready
check "it said how far it was on the way" grep -aq \
    'status starting bootstrapped [0-9]*%' "$T/state/vms/qtor/console.log"
check "qanon reaches the server through tor" waitfor 100 reaches qanon
check "the server sees a tor exit" sh -c "tail -n 1 '$T/http.log' |
    grep -Eq '^(${TN_TOR_EXITS% *}|${TN_TOR_EXITS#* }) '"
TPID=$(cat "$T/state/vms/qtor.pid")
keychecks

# --- a bundle the guest refuses: reported with its line, nothing undone
"$VM" -s "$SOCK" exec qgw 'echo "bogus 1" >>/run/kubsd/gw/bundle.conf && kill -HUP $(cat /run/kubsd/gw/guest.pid)' >/dev/null
refused() { gwfield guest | grep -q '^error bundle\.conf:[0-9]*: '; }
check "a refused bundle is reported with its line" waitfor 50 refused
check "the gateway is not ready meanwhile" gw_unready
check "and its running firewall stays" sh -c \
    "'$VM' -s '$SOCK' exec qgw nft list table inet kubsd_guest | grep -q masquerade"
check "netd logged it" grep -q 'its vm refused the bundle: bundle.conf:' \
    "$T/netd.log"

# --- a bundle that changes goes again: an attach adds a client
check "qlate is offline and reaches nothing" blocked qlate
check "attach qlate q" net attach qlate q
check "qlate reaches the internet through the gateway vm" \
    waitfor 100 reaches qlate
check "netd's new bundle made the gateway ready again" gw_ready

# --- faults, under a continuous probe stream from every client and a
# capture on the uplink: each gateway is blocked at once on the host
# side (not ready, its client's port without its set element), comes
# back by itself and carries again, and no probe leaves by the uplink
# but as its chain allows (qwork's NATed while qgw is ready; qoffice's
# and qanon's never in the clear: the tunnel's UDP and tor's TCP only)
FT_PAIRS="qgw:qwork:1 qwg:qoffice:0 qtor:qanon:0"
ft_start
via() { case $1 in qoffice) echo $TN_WG_SERVER;; *) echo 192.0.2.2;; esac; }
is_open() { [ "$(GW=$1 gwfield ready)" = True ] && [ "$(ft_elem "$2")" = 1 ]; }
unready_logs() {	# GW: netd's lines saying it is not ready
	grep "gateway $1: " "$T/netd.log" | grep -vc ': ready$'
}
said_unready() {	# GW N0 T0: netd logged it, or its status said so after T0
	[ "$(unready_logs "$1")" -gt "$2" ] ||
	    awk -v gw="$1" -v t0="$3" '$2 == gw && $1 >= t0 && $3 == "0" \
	    { found = 1 } END { exit !found }' "$T/gates"
}
fault() {	# WHAT GW CLIENT SECONDS COMMAND...: blocked within SECONDS
	_what=$1 _gw=$2 _cl=$3 _s=$4; shift 4
	_n0=$(unready_logs "$_gw")
	_t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1 &		# in the background: not waited for
	_pid=$!
	# the host's side: the set element gone (nft monitor's time), and
	# netd's status (its log or the monitor's polls: a short unready
	# may fall between polls, a VM that ended is not logged as a
	# gateway's status)
	check "$_what: $_cl's port blocked within $_s s" \
	    ft_blocked "$_cl" "$_t0" "$_s"
	check "$_what: netd says $_gw is not ready" \
	    waitfor 100 said_unready "$_gw" "$_n0" "$_t0"
	check "$_what: $_gw comes back by itself" \
	    waitfor 1800 is_open "$_gw" "$_cl"
	echo "# $_what: $_gw ready again $(($(date +%s) - ${_t0%.*})) s after"
	check "$_what: $_cl reaches the server again" \
	    waitfor 100 reaches "$_cl" "$(via "$_cl")"
	wait $_pid
}
# (kubsd-vm exec takes one line; the guest's shell expands it)
fault "kubsd-guest killed inside" qgw qwork 3 \
    inside qgw 'kill -9 $(cat /run/kubsd/gw/guest.pid)'
fault "tor killed inside" qtor qanon 3 inside qtor 'kill -9 $(pidof tor)'
TUN=$(sed -n 's/^tunnel \([^ ]*\) .*/\1/p' "$T/state/gateways/qwg/bundle.conf")
fault "wireguard taken down inside (ip link del $TUN)" qwg qoffice 3 \
    inside qwg "ip link del $TUN"
fault "wireguard set down inside (ip link set $TUN down)" qwg qoffice 3 \
    inside qwg "ip link set $TUN down"
# init starts another agent a second later, which stops the kubsd-guest
# of the killed one and runs its own on the bundle netd sends again
fault "the agent killed" qgw qwork 5 inside qgw 'kill -9 $PPID'
check "the new agent stopped the kubsd-guest of the killed one" grep -aq \
    'stopping the kubsd-guest of an earlier agent' \
    "$T/state/vms/qgw/console.log"
PID=$(vmpid)
fault "qemu killed" qgw qwork 1 kill -9 "$PID"
check "qgw runs in a new qemu" test "$(vmpid)" != "$PID"
WPID=$(vmpid qwg)
fault "powered off inside" qwg qoffice 3 inside qwg poweroff
check "qwg runs in a new qemu" test "$(vmpid qwg)" != "$WPID"

# --- netd killed with -9 and started again: the gateway VMs adopted
# (the same QEMUs, no boot), ready again at once, nothing opened between
boots() { cat "$T"/state/vms/q*/console.log | grep -ac 'kubsd-minimal: init'; }
PIDS="$(vmpid qgw) $(vmpid qwg) $(vmpid qtor)"
B0=$(boots)
kill -9 "$NETD_PID"; wait "$NETD_PID" 2>/dev/null; NETD_PID=
sleep 3		# the stream goes on
rm -f "$SOCK"
T0=$(date +%s)
NETD_LINE=$(($(wc -l <"$T/netd.log") + 1))
check "netd starts again" sb_start_netd
for _v in qgw qwg qtor; do
	check "$_v adopted" grep -q "vm $_v: adopted (pid $(vmpid $_v))" \
	    "$T/netd.log"
done
check "the same qemus" test "$(vmpid qgw) $(vmpid qwg) $(vmpid qtor)" = "$PIDS"
all_open() { is_open qgw qwork && is_open qwg qoffice && is_open qtor qanon; }
open_why() {	# what each pair's gateway says, its client's element, netd
	for _p in qgw:qwork qwg:qoffice qtor:qanon; do
		echo "  why: ${_p%:*}: ready $(GW=${_p%:*} gwfield ready)," \
		    "guest \"$(GW=${_p%:*} gwfield guest)\"," \
		    "kp-${_p#*:} $(ft_elem "${_p#*:}")"
	done
	vm status | sed 's/^/  why: /'
	sed -n "$NETD_LINE,\$p" "$T/netd.log" | grep -E 'gateway q|vm q' |
	    tail -n 20 | sed 's/^/  why: /'
}
if waitfor 300 all_open; then ok "every gateway ready again within 30 s"
else fail "every gateway ready again within 30 s"; open_why; fi
since "gateway vms ready again after netd's restart"
check "no gateway vm booted again" test "$(boots)" = "$B0"
check "qwork reaches the server again" waitfor 50 reaches qwork
check "qoffice too" waitfor 50 reaches qoffice $TN_WG_SERVER
check "qanon too" waitfor 100 reaches qanon
ft_stop
ft_verdict >"$T/leaks" 2>"$T/verdict"
cat "$T/verdict"
check "no probe on the uplink outside its chain's allowed form" \
    test ! -s "$T/leaks"
head -n 20 "$T/leaks"
check "the capture saw qwork's probes leave while qgw was ready" \
    grep -q ' [1-9][0-9]* of clear chains while ready' "$T/verdict"
check "and the tunnel's and tor's packets" \
    grep -Eq '[1-9][0-9]* wireguard packets, [1-9][0-9]* tor packets' \
    "$T/verdict"

PID=$(vmpid) WPID=$(vmpid qwg) TPID=$(vmpid qtor)
check "teardown -f" net teardown -f
gone() { ! kill -0 "$PID" 2>/dev/null; }
check "teardown ended the gateway's qemu" waitfor 50 gone
PID=$WPID
check "and the wireguard gateway's" waitfor 50 gone
PID=$TPID
check "and the tor gateway's" waitfor 50 gone
[ -n "$NETD_PID" ] && { wait "$NETD_PID" 2>/dev/null; NETD_PID=; }
_left=$(sb_kubsd_leftovers) || { echo "FAIL kubsd left: $_left"; FAILED=$((FAILED + 1)); }
[ $FAILED -eq 0 ] || { echo "--- netd.log"; tail -n 60 "$T/netd.log";
    for _v in qgw qwg qtor; do echo "--- console $_v"
    tail -n 30 "$T/state/vms/$_v/console.log"; done; }
vm_cleanup
_left=$(sb_leftovers)
[ -z "$_left" ] || { echo "FAIL leftovers: $_left"; FAILED=$((FAILED + 1)); }
exit $((FAILED > 0))
