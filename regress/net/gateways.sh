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

#
# Gateways for real: kubsd-netd with tor, wireguard and sys-net gateway
# compartments (each running kubsd-guest with its role bundle), in front
# of the test internet (regress/lib/testnet.sh: a private Tor network, a
# WireGuard server peer, DNS and HTTP servers that log who connected).
#
#   work, anon -> sys-tor -> sys-net -> wan          chain tor
#   office     -> sys-wg  -> sys-net -> wan          chain vpn
#   deep -> sys-torvpn -> sys-wg -> sys-net -> wan   chain tor-over-vpn
#   plain      -> sys-net -> wan                     chain clear
#
# Exit: 0 all checks passed, 77 cannot run here (reason on stderr).
#
cd "$(dirname "$0")/../.." || exit 1
NETD=${KUBSD_NETD_LIVE:-$PWD/kubsd-netd-asan}
NET=${KUBSD_NET:-$PWD/kubsd-net-asan}
KCAP=${KCAP:-$PWD/obj/tools/kcap}
KPROBE=${KPROBE:-$PWD/obj/tools/kprobe}
DNSQ=$PWD/regress/tools/dnsq.py
TORCTL=$PWD/regress/tools/torctl.py

. regress/lib/need.sh
need_root
need_tools ip nsenter curl python3 nft tor wireguard-go wg
need_files "$NETD" "$NET" "$KCAP" "$KPROBE" "$PWD/kubsd-guest"

SB_PREFIX=g
SB_COMPARTMENTS="sys-net sys-tor sys-wg sys-torvpn work anon office deep plain"
. regress/lib/sandbox.sh
. regress/lib/testnet.sh
. regress/lib/gwconf.sh
FAILED=0

sb_init || exit 77	# why: on stderr
sb_busy && exit 77
trap sb_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; FAILED=$((FAILED + 1)); }
net() { "$NET" -s "$SOCK" "$@"; }
fetch() {	# $1: compartment [$2: seconds]; prints the page or nothing
	# office's chain ends in the tunnel: the server's tunnel address
	_h=$TN_HTTP; [ "$1" = office ] && _h=$TN_WG_SERVER
	inns "kubsd-$1" curl -s -m "${2:-10}" "http://$_h:$TN_HTTP_PORT/" \
	    2>/dev/null
}
reaches() { fetch "$@" | grep -q "test internet"; }
last_http() { tail -n 1 "$TN_HTTP_LOG" | awk '{print $1}'; }
capture_start() {	# NS IFACE...: kcap -> $T/cap.txt
	_ns=$1; shift
	_ifs=; for _i in "$@"; do _ifs="$_ifs -i $_i"; done
	rm -f "$T/kcap.pid"
	# shellcheck disable=SC2086
	nsenter --net=/var/run/netns/$_ns "$KCAP" $_ifs -p "$T/kcap.pid" \
	    -o "$T/cap.txt" 2>>"$T/kcap.err" &
	CAP=$!
	_n=0; while [ ! -s "$T/kcap.pid" ] && [ $_n -lt 50 ]; do sleep 0.1; _n=$((_n+1)); done
}
capture_stop() {
	sleep 0.5
	kill "$(cat "$T/kcap.pid")" 2>/dev/null
	wait $CAP 2>/dev/null
}
gw_pid() {	# NS COMM: the pid of COMM running in compartment NS
	for _p in $(ip netns pids "kubsd-$1" 2>/dev/null); do
		[ "$(cat /proc/$_p/comm 2>/dev/null)" = "$2" ] && { echo $_p; return; }
	done
}
status_of() {	# a gateway's guest status as netd reports it
	net status -j | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if n["name"] == sys.argv[1]: print(n.get("guest", ""))' "$1"
}

sb_make_ns || { echo "ip netns add failed" >&2; exit 77; }
tn_start || { tn_logs; echo "FAIL the test internet does not start"; exit 1; }
wg genkey >"$T/wg.key" && chmod 600 "$T/wg.key"
tn_wg_peer "$(wg pubkey <"$T/wg.key")"

gw_conf "$T/state" "$T/wg.key" 'vm "work" { driver netns; chain "tor" }
vm "anon" { driver netns; chain "tor" }
vm "office" { driver netns; chain "vpn" }
vm "deep" { driver netns; chain "tor-over-vpn" }
vm "plain" { driver netns; chain "clear" }' >"$T/netd.conf"

if ! tn_tor_wait 150; then tn_logs; echo "FAIL the private Tor network"; exit 1; fi
ok "the private Tor network bootstrapped in ${TN_TOR_BOOT}s"

if sb_start_netd; then ok "netd starts"; else
	fail "netd starts"; cat "$T/netd.log"; exit 1; fi

# Readiness: no client traffic passes before every gateway on its chain
# is ready (tor has only just started): the host drops it at work's port.
st=$(status_of sys-tor)
net show rules work >"$T/early-rules.txt" 2>&1
# ARP is blocked too: a static neighbour lets the probe leave the VM.
TOR_DOWN=$(net status -j | python3 -c '
import json, sys
n = [n for n in json.load(sys.stdin)["nodes"] if n["name"] == "sys-tor"][0]
print(n["segment"].rsplit(".", 1)[0] + ".1")')
TOR_MAC=$(inns kubsd-sys-tor ip -o link show eth1 | sed 's/.*link\/ether \([0-9a-f:]*\).*/\1/')
inns kubsd-work ip neigh replace "$TOR_DOWN" lladdr "$TOR_MAC" dev eth0 nud permanent
capture_start "$H" kp-work kd-sys-tor
inns kubsd-work "$KPROBE" udp "$TN_HTTP" 9 -t early >/dev/null 2>&1
capture_stop
if [ "$st" = ready ]; then
	echo "# sys-tor was ready at once; the gating check cannot run"
elif grep -q 'chain not ready' "$T/early-rules.txt" &&
    grep -q '^kp-work .*KTAG-early' "$T/cap.txt" &&
    ! grep -q '^kd-sys-tor .*KTAG-early' "$T/cap.txt"; then
	ok "before its chain is ready, work's traffic stops at its port (sys-tor: $st)"
else fail "gating before sys-tor was ready ($st)"; cat "$T/early-rules.txt" "$T/cap.txt"; fi
inns kubsd-work ip neigh del "$TOR_DOWN" dev eth0 2>/dev/null

if sb_wait_ready 180; then ok "every gateway ready"; else
	fail "gateways not ready"; net status; tail -20 "$T/netd.log"
	for g in sys-net sys-tor sys-wg sys-torvpn; do
		echo "--- $g"; tail -5 "$T/state/gateways/$g/guest.log"; done
	exit 1
fi
# Readiness let the clients through by their elements alone (no reload).
if grep -q 'gateway readiness: [0-9]* vms* changed' "$T/netd.log" &&
    ! grep -q 'gateway readiness: .*[Ee]rror\|loading rules' "$T/netd.log"
then ok "readiness changes swapped only the clients' elements"
else fail "readiness: no element swap logged"; grep 'readiness' "$T/netd.log"; fi

# Tor: the page comes from an exit relay, DNS goes through the DNSPort,
# .onion names map into the virtual network.
GW_TOR=$(net status -j | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if n["name"] == "work": print(n["upstream"])')
# (The first circuits may take a while after "Bootstrapped 100%": a
# five-relay test network sometimes has to discard a few paths.)
capture_start "$H" kp-sys-tor
tries=0
while ! reaches work 15 && [ $tries -lt 6 ]; do tries=$((tries + 1)); done
if [ $tries -lt 6 ]; then ok "work ($GW_TOR) fetches a page through Tor ($tries retries)"
else fail "work through Tor"; fi
capture_stop
src=$(last_http)
case " $TN_TOR_EXITS " in *" $src "*) ok "the server saw an exit relay ($src)" ;;
*) fail "the server saw $src, not an exit relay" ;; esac
other=$(awk '$1 == "kp-sys-tor" && $3 != "tcp" && $3 != "arp"' "$T/cap.txt" | head -3)
if [ -z "$other" ] && awk '$3 == "tcp" { n++ } END { exit !n }' "$T/cap.txt"; then
	ok "sys-tor sends only TCP upstream"
else fail "sys-tor sent: $other"; fi
: >"$T/dns.before"; cp "$TN_DNS_LOG" "$T/dns.before" 2>/dev/null
a=$(inns kubsd-work python3 "$DNSQ" "$TOR_DOWN" www.test 10)
if [ "$a" = "$TN_HTTP" ]; then ok "work resolves www.test through Tor's DNSPort"
else fail "www.test via Tor: '$a'"; fi
q=$(diff "$T/dns.before" "$TN_DNS_LOG" | grep 'www.test' | awk '{print $2}' | head -1)
case " $TN_TOR_EXITS " in *" $q "*) ok "the DNS server saw the query from an exit ($q)" ;;
*) fail "the DNS server saw www.test from '$q'" ;; esac
a=$(inns kubsd-work python3 "$DNSQ" "$TOR_DOWN" \
    kubsdkubsdkubsdkubsdkubsdkubsdkubsdkubsdkubsdkubsdkubsdkubs.onion 10)
case $a in 10.1[9][2-9].*|10.2[0-5][0-9].*) ok "an .onion name maps to $a" ;;
*) fail ".onion name: '$a'" ;; esac

# WireGuard: the server sees the tunnel's address.
# (Through the tunnel to the server's tunnel address: the endpoint's own
# address is routed outside the tunnel, see kubsd-guest(8).)
capture_start "$H" kp-sys-wg
if reaches office; then ok "office fetches a page through WireGuard"
else fail "office through WireGuard"; fi
capture_stop
src=$(last_http)
[ "$src" = "$TN_WG_CLIENT" ] && ok "the server saw the WireGuard peer ($src)" ||
    fail "the server saw $src, not $TN_WG_CLIENT"
ep=$(echo "$TN_WG_ENDPOINT" | sed 's/:/:/')
other=$(grep '^kp-sys-wg ' "$T/cap.txt" | grep -v " arp " |
    grep -v " udp [0-9.:]* > $ep " | grep -v " udp $ep > " | head -3)
if [ -z "$other" ] && grep -q "^kp-sys-wg .* udp .*$ep" "$T/cap.txt"; then
	ok "sys-wg sends only UDP to its endpoint"
else fail "sys-wg sent: $other"; fi

# Clear, and tor-over-vpn.
reaches plain && [ "$(last_http)" = 192.0.2.1 ] &&
    ok "plain fetches through sys-net (the server sees the host)" ||
    fail "plain through sys-net ($(last_http))"
tries=0
while ! reaches deep 20 && [ $tries -lt 4 ]; do tries=$((tries + 1)); done
if [ $tries -lt 4 ]; then
	src=$(last_http)
	case " $TN_TOR_EXITS " in *" $src "*) ok "deep fetches through Tor over WireGuard (exit $src)" ;;
	*) fail "deep: the server saw $src" ;; esac
else fail "deep through Tor over WireGuard"; fi

# work moves tor -> vpn (the demo's scenario): on sys-wg's segment it
# must not get the address of sys-torvpn, whose upstream that segment
# is; sys-wg takes its new bundle and both vpn chains still carry.
mark=$(wc -l <"$T/netd.log")
net attach work vpn >"$T/attach.out" 2>&1 || fail "attach work vpn: $(cat "$T/attach.out")"
sleep 3
addr_of() { net status -j | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if n["name"] == sys.argv[1]: print(n.get("address", ""))' "$1"; }
wa=$(addr_of work) ta=$(addr_of sys-torvpn)
errs=$(tail -n +"$((mark + 1))" "$T/netd.log" | grep 'gateway .*error')
if [ -n "$wa" ] && [ "$wa" != "$ta" ] && [ -z "$errs" ] &&
    [ "$(status_of sys-wg)" = ready ] && reaches office && reaches deep 20; then
	ok "attach work tor -> vpn: work $wa, sys-torvpn $ta, no gateway error, vpn chains carry"
else fail "attach work vpn: work $wa sys-torvpn $ta sys-wg $(status_of sys-wg): $errs"; fi
net attach work tor >"$T/attach.out" 2>&1 || fail "attach work tor: $(cat "$T/attach.out")"
sb_wait_ready 60 || fail "gateways not ready after the attaches"

# Stream isolation: two clients on tor hold a connection each; tor puts
# their streams on different circuits.
CTL=$T/state/gateways/sys-tor/tor-data/control
HOLD=
for c in work anon; do
	inns kubsd-$c python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 20)
time.sleep(10)' "$TN_HTTP" "$TN_HTTP_PORT" &
	HOLD="$HOLD $!"
done
sleep 4
python3 "$TORCTL" "$CTL" stream-status >"$T/streams.txt" 2>&1
wait $HOLD
circs=$(awk '$2 == "SUCCEEDED" {print $3}' "$T/streams.txt" | sort -u | wc -l)
if [ "$circs" -ge 2 ]; then ok "two clients on tor use different circuits"
else fail "stream isolation: $(cat "$T/streams.txt")"; fi

# Fail closed: kill the role's daemon (then the whole compartment's
# processes); the client reaches nothing and none of its probes reach
# the uplink; the guest brings it back without touching the client.
dead_check() {	# WHAT VM GW COMM...: kill COMM (all: every process in GW)
	what=$1 vm=$2 gw=$3; shift 3
	for comm in "$@"; do
		if [ "$comm" = all ]; then
			kill -9 $(ip netns pids "kubsd-$gw") 2>/dev/null
		else
			p=$(gw_pid "$gw" "$comm"); [ -n "$p" ] && kill -9 "$p"
		fi
	done
	capture_start "$I" eth0
	got=$(fetch "$vm" 2 | grep -c "test internet")
	inns kubsd-$vm "$KPROBE" udp "$TN_HTTP" 9 -t dead$gw >/dev/null 2>&1
	inns kubsd-$vm "$KPROBE" tcp "$TN_HTTP" "$TN_HTTP_PORT" -t deadt$gw \
	    -w 500 >/dev/null 2>&1
	capture_stop
	if [ "$got" = 0 ] && ! grep -q "KTAG-dead" "$T/cap.txt"; then
		ok "$what killed: $vm reaches nothing, no probe on the uplink"
	else fail "$what killed: $vm got out (page $got)"; fi
	if sb_wait_ready 120 "$gw" && reaches "$vm" 20; then
		ok "$what back: $vm works again ($(status_of "$gw"))"
	else fail "$what back: $vm ($(status_of "$gw"))"; fi
}
dead_check tor work sys-tor tor
dead_check wireguard-go office sys-wg wireguard-go
dead_check "everything in the sys-wg compartment" office sys-wg all

# leaktest, on every chain, then with a hole.
# The tcp probe's tag goes only over a connection: it needs a listener
# (office's chain ends in the tunnel: the server's tunnel address).
for vm in work office deep plain; do
	_t=$TN_HTTP; [ "$vm" = office ] && _t=$TN_WG_SERVER
	if net leaktest -p "$TN_HTTP_PORT" -t "$_t" "$vm" >"$T/leak-$vm.txt" 2>&1
	then ok "leaktest $vm: nothing leaked, every probe tested"
	else fail "leaktest $vm"; cat "$T/leak-$vm.txt"; fi
done
# The hole: sys-tor forwards and NATs whatever it gets (its guest table
# goes: a flush would keep the chains' drop policies), and the host lets
# sys-tor's port send anything.
inns kubsd-sys-tor nft -f - <<EOF
delete table inet kubsd_guest
table ip kubsd_hole {
	chain post { type nat hook postrouting priority srcnat; masquerade; }
}
EOF
inns kubsd-sys-tor sysctl -qw net.ipv4.ip_forward=1
inns kubsd-sys-tor ip route replace default via "$(net status -j | python3 -c '
import json, sys
n = [n for n in json.load(sys.stdin)["nodes"] if n["name"] == "sys-net"][0]
print(n["segment"].rsplit(".", 1)[0] + ".1")')"
inh nft insert rule bridge kubsd forward iifname kp-sys-tor accept
net leaktest work >"$T/leak-hole.txt" 2>&1; rc=$?
if [ $rc = 1 ] && grep -q 'leak: probe udp seen on .*kp-sys-tor' "$T/leak-hole.txt"; then
	ok "leaktest fails with a hole: $(grep 'leak: ' "$T/leak-hole.txt" | head -1)"
else fail "leaktest with a hole: exit $rc"; cat "$T/leak-hole.txt"; fi

# Tor over WireGuard alone (a reload drops sys-tor and its clients):
# while deep fetches a page, the host side of the uplink sends only
# WireGuard's UDP to the endpoint.
grep -v '"sys-tor"' "$T/netd.conf" | grep -v 'chain "tor" }' >"$T/torvpn.conf"
cp "$T/torvpn.conf" "$T/netd.conf"
net reload -f >"$T/reload.out" 2>&1 || fail "reload without sys-tor: $(cat "$T/reload.out")"
sleep 3
capture_start "$I" eth0
got=$(fetch deep 20 | grep -c "test internet")
capture_stop
ep=$TN_WG_ENDPOINT
# (what the relays still send to sys-tor's dead connections is not
# from the host side, and the host's ICMP unreachable answers to them
# carry nothing of a client's)
other=$(awk -v ep="$ep" '$3 == "arp" || $4 !~ /^192\.0\.2\.1(:|$)/ { next }
	$3 == "icmp" && / icmp=3\// { next }
	$3 == "udp" && $6 == ep { next } { print }' "$T/cap.txt" | head -3)
if [ "$got" = 1 ] && [ -z "$other" ] && grep -q " udp .*$ep" "$T/cap.txt"; then
	ok "tor-over-vpn: the host sends only WireGuard UDP on the uplink ($(grep -c "^eth0 .* 192.0.2.1:[0-9]* > " "$T/cap.txt") packets)"
else fail "tor-over-vpn uplink (page $got): $other"; fi

if grep -qi 'sanitizer\|runtime error' "$T/netd.log"; then
	fail "sanitizer report"; grep -i -A5 'sanitizer\|runtime error' "$T/netd.log" | head -20
fi
[ $FAILED -eq 0 ] || { echo "--- netd.log"; tail -30 "$T/netd.log"; tn_logs; }
exit $((FAILED != 0))
