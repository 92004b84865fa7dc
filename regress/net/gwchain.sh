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
# The example's chains with every gateway a QEMU VM, in one boot: the
# gateways of regress/lib/gwconf.sh's gw_conf with GW_DRIVER=qemu
# (sys-net, sys-tor, sys-wg, sys-torvpn on the cached minimal template,
# in front of regress/lib/testnet.sh's test internet), the QEMU AppVM
# work (minimal), a netns gateway ns-net and a netns compartment nsvm:
#
#   work -> sys-wg -> sys-net -> wan                  vpn (also nsvm)
#   work -> sys-net -> wan                            clear
#   work -> sys-tor -> sys-net -> wan                 tor
#   work -> sys-torvpn -> sys-wg -> sys-net -> wan    tor-over-vpn
#   work -> ns-net (netns) -> sys-net -> wan          mixed
#
# For each chain work is attached to: a page fetched by name from inside
# work arrives through the chain's exit (the HTTP and DNS servers' logs
# show sys-net's NAT, i.e. the host's uplink, the WireGuard tunnel's
# address, or a Tor exit relay; tor-over-vpn's relays see the tunnel's
# address) and kubsd-net leaktest work passes.  A hole in both layers
# of sys-tor (its in-guest nft, the host's bridge rule for its port)
# makes leaktest fail naming the probe, and passes again once closed.
# kubsd-net attach work tor under a flood of tagged probes from inside
# work: every probe on the old path (clear) or on the new one, none
# elsewhere.  The mixed case: work behind the netns gateway ns-net,
# the compartment nsvm behind the QEMU gateways sys-wg and sys-net.
#
# Exit: 0 all checks passed, 1 a check failed, 77 cannot run here.
#
cd "$(dirname "$0")/../.." || exit 1
NETD=${KUBSD_NETD_LIVE:-$PWD/kubsd-netd-asan}
NET=${KUBSD_NET:-$PWD/kubsd-net-asan}
VM=${KUBSD_VM:-$PWD/kubsd-vm-asan}
KCAP=${KCAP:-$PWD/obj/tools/kcap}
ROOT=$PWD

. regress/lib/need.sh
need_root
need_tools ip nsenter curl python3 nft qemu-system-x86_64 cpio wg wireguard-go \
    tor tor-gencert ss
need_qemu_user
need_files "$NETD" "$NET" "$VM" "$KCAP" "$PWD/kubsd-guest" "$PWD/kubsd-vm"

SB_PREFIX=c
SB_COMPARTMENTS="ns-net nsvm"
. regress/lib/sandbox.sh
. regress/lib/testnet.sh
. regress/lib/gwconf.sh
. regress/template/lib.sh
FAILED=0

tmpl_need minimal

sb_busy && exit 77
SB_LOCKWAIT=${SB_LOCKWAIT:-600}
sb_init || exit 77
kcap_stop() {
	[ -f "$T/kcap.pid" ] && kill "$(cat "$T/kcap.pid")" 2>/dev/null
}
VM_CLEANUP_MORE=kcap_stop
. regress/lib/vmtest.sh
sb_busy && exit 77

T0=$(date +%s)
TS=$T0
step() {	# what was done: its time, and the time since the start
	_now=$(date +%s)
	echo "# $1: $((_now - TS)) s (at $((_now - T0)) s)"
	TS=$_now
}
waitfor() {	# TENTHS COMMAND...: until COMMAND succeeds
	_t=$1; shift; _i=0
	while ! "$@" && [ $_i -lt "$_t" ]; do sleep 0.1; _i=$((_i + 1)); done
	"$@"
}
net() { "$NET" -s "$SOCK" "$@"; }
vm() { "$VM" -s "$SOCK" "$@"; }
inside() { _v=$1; shift; "$VM" -s "$SOCK" exec "$_v" "$*"; }
nodefield() {	# NODE FIELD: from kubsd-net status -j
	net status -j 2>/dev/null | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if n["name"] == sys.argv[1]:
        print(n.get(sys.argv[2]))' "$1" "$2"
}
ready() {	# GATEWAY...: each says ready
	for _g; do [ "$(nodefield "$_g" ready)" = True ] || return 1; done
}
vmstate() {
	vm status -j work 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)[0].get("state") or "")'
}
vmready() { [ "$(vmstate)" = ready ]; }

sb_make_ns || { echo "ip netns add failed" >&2; exit 77; }
tn_start || { tn_logs; echo "FAIL the test internet does not start"; exit 1; }
(umask 077 && wg genkey >"$T/wg.key")
tn_wg_peer "$(wg pubkey <"$T/wg.key")" || exit 1
chmod 755 "$T"	# QEMU's user reads the template under it
mkdir -p "$T/state/templates"
ln -s "$TMPL" "$T/state/templates/minimal"
# A name per chain: the DNS log says who asked for it.  Through the
# tunnel the server is its tunnel address (the endpoint's own address
# stays outside the tunnel).
for c in clear tor tor-over-vpn mixed; do tn_dns_add "$c.test" "$TN_HTTP"; done
tn_dns_add vpn.test "$TN_WG_SERVER"
tn_dns_add nsvm.test "$TN_WG_SERVER"

GW_DRIVER=qemu gw_conf "$T/state" "$T/wg.key" '
template "minimal" { recipe minimal }
vm "work" { template "minimal"; chain "vpn"; memory 192M; autostart }
gateway "ns-net" { role sys-net; driver netns }
chain "mixed" { "ns-net" "sys-net" "wan" }
vm "nsvm" { driver netns; chain "vpn" }' >"$T/netd.conf"
step "the test internet up"
sb_start_netd || { cat "$T/netd.log"; exit 1; }

# fetch NAME: work fetches http://NAME.test:8080/?NAME (by name: its DNS
# goes to its first hop), a few tries (a young Tor circuit may fail)
fetch() {
	_i=0
	while [ $_i -lt "${2:-3}" ]; do
		inside work "timeout 20 wget -q -O - http://$1.test:$TN_HTTP_PORT/?$1" \
		    2>/dev/null | grep -q 'test internet' && return 0
		_i=$((_i + 1))
	done
	return 1
}
httpsrc() {	# NAME: who asked the HTTP server for /?NAME last
	awk -v q="\"GET /?$1 " 'index($0, q) { s = $1 } END { print s }' \
	    "$TN_HTTP_LOG"
}
dnssrc() {	# NAME: who asked the DNS server for NAME.test last
	awk -v n="$1.test" '($4 == n || $4 == n ".") && $5 == "A" { s = $1 }
	    END { print s }' "$TN_DNS_LOG"
}
from() {	# WANT SOURCE: SOURCE is WANT (exit: a Tor exit relay)
	case $1 in
	exit) case " $TN_TOR_EXITS " in *" $2 "*) return 0 ;; esac; return 1 ;;
	*) [ "$2" = "$1" ] ;;
	esac
}
# leaktest NAME ARGS...: $T/NAME.out, .err, .rc
leaktest() {
	_n=$1; shift
	net leaktest "$@" >"$T/$_n.out" 2>"$T/$_n.err"
	echo $? >"$T/$_n.rc"
}
rc() { cat "$T/$1.rc"; }
show() { sed 's/^/#   /' "$T/$1.out" "$T/$1.err"; }
row() { awk -v p="$2" '$1 == p' "$T/$1.out"; }
applied() {	# work's agent has its address from the graph
	_a=$(nodefield work address)
	[ -n "$_a" ] && inside work ip -o -4 addr show eth0 | grep -q " $_a/"
}
attach() {	# CHAIN: work moves there, its agent applies the new address
	net attach work "$1" >/dev/null && waitfor 300 applied
}
# chain CHAIN WANT TARGET: work on CHAIN fetches a page; the HTTP and
# DNS servers saw WANT; leaktest (probes to TARGET) passes
chain() {
	if fetch "$1" "${4:-3}"; then ok "$1: work fetches a page by name"
	else fail "$1: work fetches nothing"; fi
	sleep 0.3
	_s=$(httpsrc "$1")
	from "$2" "$_s" && ok "$1: the http server saw $_s ($2)" ||
	    fail "$1: the http server saw '$_s', not $2"
	_s=$(dnssrc "$1")
	from "$2" "$_s" && ok "$1: the dns server saw $_s ($2)" ||
	    fail "$1: the dns server saw '$_s', not $2"
	leaktest "lt-$1" -p "$TN_HTTP_PORT" -t "$3" work
	[ "$(rc "lt-$1")" = 0 ] && ok "$1: leaktest work passes" ||
	    fail "$1: leaktest work: exit $(rc "lt-$1")"
	show "lt-$1"
	grep -q '^probes sent from inside vm work, by its agent$' \
	    "$T/lt-$1.out" || fail "$1: the probes were not sent from the vm"
}

# --- one boot: four gateway VMs and the AppVM at once; the chains
# without Tor are checked while the Tor gateways bootstrap
waitfor 3000 vmready
step "work ready (netd boots the gateway vms meanwhile)"
check "work (qemu, minimal) is ready" vmready
waitfor 3000 ready sys-net sys-wg
step "sys-net and sys-wg ready"
check "the gateway vms sys-net and sys-wg are ready" ready sys-net sys-wg
for g in sys-net sys-tor sys-wg sys-torvpn; do
	[ "$(nodefield "$g" driver)" = qemu ] || fail "$g is not a qemu gateway"
done
check "every gateway runs its own qemu" sh -c "test \$(ls '$T'/state/vms/sys-*.pid | wc -l) = 4"
waitfor 100 applied

# --- 1. each chain: the page through its exit, leaktest passes
chain vpn "$TN_WG_CLIENT" "$TN_WG_SERVER"
step "chain vpn"
# 4. mixed: the netns compartment nsvm behind the QEMU gateways
page=$(ip netns exec kubsd-nsvm curl -s -m 10 \
    "http://nsvm.test:$TN_HTTP_PORT/?nsvm" 2>/dev/null)
sleep 0.3
[ "$page" = "hello from the test internet" ] &&
    [ "$(httpsrc nsvm)" = "$TN_WG_CLIENT" ] &&
    [ "$(dnssrc nsvm)" = "$TN_WG_CLIENT" ] &&
    ok "mixed: nsvm (netns) fetches by name through sys-wg's vm (http and dns from $TN_WG_CLIENT)" ||
    fail "mixed: nsvm through sys-wg's vm: '$page', http from '$(httpsrc nsvm)', dns from '$(dnssrc nsvm)'"
leaktest lt-nsvm -p "$TN_HTTP_PORT" -t "$TN_WG_SERVER" nsvm
[ "$(rc lt-nsvm)" = 0 ] && row lt-nsvm udp | grep -q 'kp-nsvm,kd-sys-wg' &&
    ok "mixed: leaktest nsvm passes behind the qemu gateways" ||
    { fail "mixed: leaktest nsvm: exit $(rc lt-nsvm)"; show lt-nsvm; }
# the same table for the QEMU VM as for the compartment on its segment
table() {	# NAME VM OTHER: probes, expected path, seen, verdict
	awk -v v="$2" -v o="$3" 'f { gsub("kp-" v, "kp-VM"); gsub("kp-" o, "kp-OTHER")
	    sub("^vm-" o, "vm-OTHER"); print $1, $4, $5, $6 } $1 == "PROBE" { f = 1 }' \
	    "$T/$1.out"
}
[ "$(table lt-vpn work nsvm)" = "$(table lt-nsvm nsvm work)" ] &&
    ok "leaktest: the same table for the qemu vm work as for the compartment nsvm" ||
    { fail "leaktest: work's and nsvm's tables differ"
    table lt-vpn work nsvm; table lt-nsvm nsvm work; }
step "mixed: nsvm behind sys-wg"

check "attach work clear" attach clear
chain clear 192.0.2.1 "$TN_HTTP"
for p in tcp udp icmp; do	# where each was seen, and the verdict
	case $(row lt-clear $p | awk '{print $(NF-1), $NF}') in
	kp-work,kd-sys-net,kp-sys-net,kb-wan,eth0\ ok) ;;
	*) fail "clear: $p probe not seen out of eth0: $(row lt-clear $p)" ;;
	esac
done
step "chain clear"

# 4. mixed: work behind the netns gateway ns-net (behind sys-net's vm)
check "attach work mixed" attach mixed
chain mixed 192.0.2.1 "$TN_HTTP"
[ "$(row lt-mixed udp | awk '{print $(NF-1), $NF}')" = \
    "kp-work,kd-ns-net,kp-ns-net,kd-sys-net,kp-sys-net,kb-wan,eth0 ok" ] ||
    fail "mixed: the udp probe did not cross ns-net and sys-net: $(row lt-mixed udp)"
step "mixed: work behind ns-net"

waitfor 6000 ready sys-tor sys-torvpn
step "sys-tor and sys-torvpn ready (the tor network's bootstrap included)"
check "the tor gateway vms are ready" ready sys-tor sys-torvpn
check "attach work tor-over-vpn" attach tor-over-vpn
chain tor-over-vpn exit "$TN_HTTP" 8
relayconns() { inns "$I" ss -Htn state established "( sport = :$TN_TOR_ORPORT )"; }
relayconns | grep -q " $TN_WG_CLIENT:" &&
    ok "tor-over-vpn: the relays see sys-torvpn from the tunnel's address" ||
    { fail "tor-over-vpn: no relay connection from $TN_WG_CLIENT"; relayconns; }
step "chain tor-over-vpn"

# --- 3. attach work tor under a flood of tagged probes from inside it:
# each probe on the old path (clear: sys-net, out of the uplink) or the
# new one (sys-tor, which lets no probe on), nowhere else
check "attach work clear" attach clear
OLD=kd-sys-net,kb-sys-net,kp-sys-net,kb-wan,eth0
NEW=kd-sys-tor,kb-sys-tor
rm -f "$T/kcap.pid"
# shellcheck disable=SC2046
inh "$KCAP" $(echo "kp-work,$OLD,$NEW,kp-sys-tor,kp-sys-wg,kp-sys-torvpn" |
    sed 's/\([^,]*\),*/-i \1 /g') -f "udp or tcp or icmp" \
    -p "$T/kcap.pid" -o "$T/stream.cap" 2>"$T/kcap.err" 9>&- &
waitfor 100 test -s "$T/kcap.pid"
RUN=s$$ ROUNDS=30
inside work "(i=0; while [ \$i -lt $ROUNDS ]; do kubsd-guest probe -w 300" \
    "udp,$RUN-\$i-u,$TN_HTTP,9,-,- tcp,$RUN-\$i-t,$TN_HTTP,$TN_HTTP_PORT,-,-;" \
    "i=\$((i + 1)); done; echo end) >/tmp/stream.out 2>&1 &"
sent() { [ "$(inside work "cat /tmp/stream.out 2>/dev/null | grep -c '^probe'")" -ge 10 ]; }
waitfor 300 sent
PID=$(cat "$T/state/vms/work.pid")
check "attach work tor, the flood running" sh -c "'$NET' -s '$SOCK' attach work tor >/dev/null"
ended() { inside work "grep -qx end /tmp/stream.out"; }
check "the flood ended" waitfor 1200 ended
sleep 1
kill "$(cat "$T/kcap.pid")"; wait $! 2>/dev/null
inside work cat /tmp/stream.out >"$T/stream.out"
check "work's qemu was not restarted" test "$(cat "$T/state/vms/work.pid")" = "$PID"
python3 regress/tools/probestream.py "$T/stream.cap" "$RUN" "$T/stream.out" \
    "$ROUNDS" "$OLD" "$NEW" kp-work kb-wan,eth0 kp-sys-net &&
    ok "every probe seen on the old path or on the new one, none elsewhere" ||
    fail "probes across the attach"
awk -v r="$RUN" '$1 == "eth0" && $0 ~ "tag=.*" r "-[0-9]+-t"' \
    "$T/stream.cap" | grep -q . &&
    ok "before the attach, work's tcp probes left through sys-net" ||
    fail "no tcp probe of work's on eth0"
step "attach under a probe flood"

# --- 1. chain tor
waitfor 300 applied
chain tor exit "$TN_HTTP" 8
step "chain tor"

# --- 2. a hole in both layers of sys-tor: its guest forwards and
# masquerades whatever comes (its firewall table gone), the host lets
# its port send anything
FWD0=$(inside sys-tor sysctl -n net.ipv4.ip_forward)
inside sys-tor "nft delete table inet kubsd_guest && nft add table ip khole &&" \
    "nft 'add chain ip khole post { type nat hook postrouting priority srcnat; }' &&" \
    "nft add rule ip khole post masquerade && sysctl -qw net.ipv4.ip_forward=1" ||
    fail "the hole in sys-tor's guest"
inh nft insert rule bridge kubsd forward iifname kp-sys-tor accept
leaktest lt-hole -p "$TN_HTTP_PORT" -t "$TN_HTTP" work
[ "$(rc lt-hole)" = 1 ] && [ "$(wc -l <"$T/lt-hole.err")" = 1 ] &&
    grep -q '^kubsd-net: leaktest work: leak: .*probe udp seen on .*kp-sys-tor' \
    "$T/lt-hole.err" &&
    ok "a hole in both layers of sys-tor: leaktest exits 1 naming the udp probe" ||
    { fail "the hole in sys-tor: exit $(rc lt-hole)"; show lt-hole; }
h=$(inh nft -a list chain bridge kubsd forward | sed -n \
    's/^[[:space:]]*iifname "kp-sys-tor" accept # handle \([0-9]*\)$/\1/p')
inh nft delete rule bridge kubsd forward handle "$h"
inside sys-tor "nft delete table ip khole; sysctl -qw net.ipv4.ip_forward=$FWD0;" \
    "kill -HUP \$(cat /run/kubsd/gw/guest.pid)"
guestfw() { inside sys-tor nft list table inet kubsd_guest >/dev/null 2>&1; }
check "closed: sys-tor's kubsd-guest loads its firewall again" waitfor 300 guestfw
waitfor 600 ready sys-tor
leaktest lt-closed -p "$TN_HTTP_PORT" -t "$TN_HTTP" work
[ "$(rc lt-closed)" = 0 ] && ok "the hole closed: leaktest work passes again" ||
    { fail "the hole closed: exit $(rc lt-closed)"; show lt-closed; }
step "a hole in sys-tor"

PIDS=$(cat "$T"/state/vms/*.pid)
check "teardown -f" sh -c "'$NET' -s '$SOCK' teardown -f >/dev/null"
gone() { for _p in $PIDS; do kill -0 "$_p" 2>/dev/null && return 1; done; :; }
check "teardown ended every qemu" waitfor 100 gone
[ -n "$NETD_PID" ] && { wait "$NETD_PID" 2>/dev/null; NETD_PID=; }
step "teardown"
if grep -qi 'sanitizer\|runtime error' "$T"/*.err "$T/netd.log"; then
	fail "sanitizer report"
	grep -i -A5 'sanitizer\|runtime error' "$T"/*.err "$T/netd.log" | head -20
fi
_left=$(sb_kubsd_leftovers) || { echo "FAIL kubsd left: $_left"; FAILED=$((FAILED + 1)); }
[ $FAILED -eq 0 ] || { echo "--- netd.log"; tail -n 40 "$T/netd.log"
    for _v in sys-net sys-tor sys-wg sys-torvpn work; do echo "--- console $_v"
    tail -n 15 "$T/state/vms/$_v/console.log"; done; tn_logs; }
vm_cleanup
_left=$(sb_leftovers)
[ -z "$_left" ] || { echo "FAIL leftovers: $_left"; FAILED=$((FAILED + 1)); }
echo "# the whole test: $(($(date +%s) - T0)) s"
exit $((FAILED > 0))
