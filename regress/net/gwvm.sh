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
# qwg's tunnel is the guest kernel's WireGuard, its private key a fw_cfg
# credential; the WireGuard server and the private Tor network are
# regress/lib/testnet.sh's.
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
for b in "$NETD" "$NET" "$VM" "$PWD/kubsd-guest" "$PWD/kubsd-vm"; do
	[ -x "$b" ] || { echo "FAIL missing $b"; exit 1; }
done

SB_PREFIX=q
SB_COMPARTMENTS="qwork qlate qoffice qanon"
. regress/lib/sandbox.sh
. regress/lib/testnet.sh
. regress/template/lib.sh
FAILED=0

# The template first: a build (about a minute) holds no sandbox lock.
TMP=$(mktemp -d) || exit 77
MINIMAL=$(tmpl_cached minimal) ||
    { rm -rf "$TMP"; echo "cannot build the minimal template" >&2; exit 77; }
rm -rf "$TMP"

sb_init || exit 77
sb_busy && exit 77

. regress/lib/vmtest.sh
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
vmpid() { cat "$T/state/vms/qgw.pid" 2>/dev/null; }
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
inside() { "$VM" -s "$SOCK" run qgw "$*"; }
check "the guest's firewall is loaded" sh -c \
    "'$VM' -s '$SOCK' run qgw nft list table inet kubsd_guest | grep -q masquerade"
check "eth0 has the gateway's upstream address" sh -c \
    "'$VM' -s '$SOCK' run qgw ip -o addr show eth0 | grep -q ' 10\.66\.'"
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
    "'$VM' -s '$SOCK' run qwg 'test -d /sys/module/wireguard && ! pidof wireguard-go'"
WPID=$(cat "$T/state/vms/qwg.pid")
KEY=$(cat "$T/wg.key")
check "the key is a fw_cfg credential, mode 0600" sh -c \
    "stat -c %a '$T/state/vms/qwg/cred/kubsd.wg.key' | grep -qx 600"
check "the key is not on qemu's command line or in its log" sh -c \
    "! grep -qaF '$KEY' /proc/$WPID/cmdline '$T/state/vms/qwg/qemu.log' \
    '$T/state/vms/qwg/console.log' '$T/netd.log'"

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

# --- a bundle the guest refuses: reported with its line, nothing undone
"$VM" -s "$SOCK" run qgw 'echo "bogus 1" >>/run/kubsd/gw/bundle.conf && kill -HUP $(cat /run/kubsd/gw/guest.pid)' >/dev/null
refused() { gwfield guest | grep -q '^error bundle\.conf:[0-9]*: '; }
check "a refused bundle is reported with its line" waitfor 50 refused
check "the gateway is not ready meanwhile" gw_unready
check "and its running firewall stays" sh -c \
    "'$VM' -s '$SOCK' run qgw nft list table inet kubsd_guest | grep -q masquerade"
check "netd logged it" grep -q 'its vm refused the bundle: bundle.conf:' \
    "$T/netd.log"

# --- a bundle that changes goes again: an attach adds a client
check "qlate is offline and reaches nothing" blocked qlate
check "attach qlate q" net attach qlate q
check "qlate reaches the internet through the gateway vm" \
    waitfor 100 reaches qlate
check "netd's new bundle made the gateway ready again" gw_ready

# --- its kubsd-guest killed inside: not ready until the agent restarts it
"$VM" -s "$SOCK" run qgw 'kill -9 $(cat /run/kubsd/gw/guest.pid)' >/dev/null
check "kubsd-guest killed inside the vm: the gateway is not ready" \
    waitfor 30 grep -q 'gateway qgw: down kubsd-guest is not running' \
    "$T/netd.log"
check "the agent starts it again: ready" waitfor 300 gw_ready

# --- its agent killed: init starts another, which stops the old
# kubsd-guest and runs its own on the bundle netd sends again
nready() { grep -c 'gateway qgw: ready' "$T/netd.log"; }
N=$(nready)
# (kubsd-vm run waits for an answer the killed agent never sends)
timeout 5 "$VM" -s "$SOCK" run qgw 'kill -9 $PPID' >/dev/null 2>&1
check "a new agent stops the kubsd-guest of the killed one" waitfor 100 \
    grep -aq 'stopping the kubsd-guest of an earlier agent' \
    "$T/state/vms/qgw/console.log"
readyagain() { [ "$(nready)" -gt "$N" ]; }
check "the gateway went unready and is ready again on the bundle sent anew" \
    waitfor 300 readyagain
check "qwork reaches the internet after it" waitfor 50 reaches qwork

# --- its QEMU killed: blocked at once, then back (gateways always restart)
kill -9 "$PID"
check "qemu killed: the gateway is not ready within a second" \
    waitfor 10 gw_unready
check "and qwork is blocked" blocked qwork
check "the gateway vm comes back by itself" waitfor 1800 gw_ready
check "with a new qemu" test "$(vmpid)" != "$PID"
check "qwork reaches the internet again" waitfor 50 reaches qwork

PID=$(vmpid)
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
