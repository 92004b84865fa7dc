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
# The test internet (regress/lib/testnet.sh) proves itself with real
# clients, in a namespace C joined to the sandbox's internet I (no
# kubsd-netd here): a DNS query is answered and logged with C's address;
# a wireguard-go peer in C sends everything through its tunnel and the
# HTTP server logs its tunnel address; a client tor in C fetches the
# page over the private Tor network and the HTTP server logs an exit.
#
# Exit: 0 all checks passed, 77 cannot run here (reason on stderr).
#
cd "$(dirname "$0")/../.." || exit 1

. regress/lib/need.sh
need_root
need_tools ip nsenter curl python3 tor tor-gencert wireguard-go wg
[ -c /dev/net/tun ] || { echo "no /dev/net/tun" >&2; exit 77; }

SB_PREFIX=n
SB_COMPARTMENTS=
. regress/lib/sandbox.sh
. regress/lib/testnet.sh
FAILED=0

sb_init || exit 77	# why: on stderr
trap sb_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; FAILED=$((FAILED + 1)); }
now() { date +%s; }
# curl in C writing $T/got, waited for with wait: a TERM (the runner's
# time limit) runs the trap at once instead of after curl's -m.
ccurl() {
	rm -f "$T/got"
	inns "$C" curl -s -o "$T/got" "$@" 2>/dev/null &
	wait $!
}
got() { cat "$T/got" 2>/dev/null; }

sb_make_ns || { echo "ip netns add failed" >&2; exit 77; }
T0=$(now)
if tn_start; then ok "the test internet starts ($(($(now) - T0))s to launch)"
else fail "the test internet starts"; tn_logs; exit 1; fi
C=kubsd-${SB_PREFIX}c-$$
tn_client_ns "$C" || { fail "client namespace"; exit 1; }
PAGE="hello from the test internet"

# DNS: answered, and logged with the querier's address.
ans=$(inns "$C" python3 "$TN_LIB/tn-dns.py" query "$TN_DNS" www.test)
if [ "$ans" = "$TN_HTTP" ]; then ok "dns: www.test is $ans"
else fail "dns: www.test is \"$ans\", want $TN_HTTP"; fi
if grep -q "^$TN_CLIENT_ADDR [0-9]* udp www.test A NOERROR $TN_HTTP\$" \
    "$TN_DNS_LOG"; then ok "dns log names the querier ($TN_CLIENT_ADDR) and the name"
else fail "dns log"; cat "$TN_DNS_LOG"; fi
rc=0; inns "$C" python3 "$TN_LIB/tn-dns.py" query "$TN_DNS" nosuch.test \
    >/dev/null 2>&1 || rc=$?
if [ $rc = 1 ] && grep -q "^$TN_CLIENT_ADDR [0-9]* udp nosuch.test A NXDOMAIN\$" \
    "$TN_DNS_LOG"; then ok "dns: nosuch.test is NXDOMAIN, logged"
else fail "dns: nosuch.test (exit $rc)"; fi

# WireGuard: C's client sends everything but its own packets (fwmark)
# into the tunnel, as wg-quick does.  Unknown to the server, it gets
# nothing; admitted with tn_wg_peer, it fetches the page.
mkdir -p "$T/wgc"
(umask 077 && wg genkey >"$T/wgc/key")
if tn_wg_dev "$C" kwcli0 &&
    inns "$C" wg set kwcli0 private-key "$T/wgc/key" fwmark 51820 \
	peer "$TN_WG_PUBKEY" endpoint "$TN_WG_ENDPOINT" allowed-ips 0.0.0.0/0 &&
    inns "$C" ip addr add "$TN_WG_CLIENT/32" dev kwcli0 &&
    inns "$C" ip link set kwcli0 up &&
    inns "$C" ip route add default dev kwcli0 table 51820 &&
    inns "$C" ip rule add not fwmark 51820 table 51820; then
	ok "wireguard client up in C"
else fail "wireguard client up in C"; fi
if ccurl -m 2 "http://$TN_HTTP:$TN_HTTP_PORT/"; then
	fail "wireguard: a peer the server does not know got through"
else ok "wireguard: an unknown peer gets nothing"; fi
tn_wg_peer "$(wg pubkey <"$T/wgc/key")"
ccurl -m 15 --retry 2 "http://$TN_HTTP:$TN_HTTP_PORT/"
if [ "$(got)" = "$PAGE" ]; then ok "wireguard: C fetches the page through the tunnel"
else fail "wireguard: fetch through the tunnel: $(got)"; fi
if tail -n 1 "$TN_HTTP_LOG" | grep -q "^$TN_WG_CLIENT "; then
	ok "wireguard: the http log shows the peer's tunnel address $TN_WG_CLIENT"
else fail "wireguard: http log: $(tail -n 1 "$TN_HTTP_LOG")"; fi
hs=$(inns "$I" wg show "$TN_WG_IF" latest-handshakes | awk '{ print $2 }')
if [ -n "$hs" ] && [ "$hs" -gt 0 ]; then ok "wireguard: the server saw a handshake"
else fail "wireguard: no handshake on the server"; fi
# C's tor below must not use the tunnel: back to the plain route.
inns "$C" ip rule del not fwmark 51820 table 51820

# Tor: the network was bootstrapping meanwhile.
if tn_tor_wait 150; then
	ok "private tor network: a usable consensus after ${TN_TOR_BOOT}s"
else fail "private tor network bootstraps"; tn_logs; exit 1; fi
echo "# tor bootstrap: ${TN_TOR_BOOT}s from tn_tor_start to a consensus with both exits"
tn_tor_status | sed 's/^/# /'
T1=$(now)
tn_tor_client "$C" "$T/torc"
if tn_tor_client_wait "$T/torc" 90; then
	ok "client tor bootstraps ($(($(now) - T1))s)"
else fail "client tor bootstraps"; tn_logs; exit 1; fi
fetch_tor() {	# URL CURL-SOCKS-OPTION: retried, a circuit may fail early
	_n=0
	while [ $_n -lt 6 ]; do
		ccurl -m 20 "$2" 127.0.0.1:9050 "$1" && [ "$(got)" = "$PAGE" ] &&
		    return 0
		_n=$((_n + 1)); sleep 2
	done
	echo "# client tor, last lines:"; tail -n 8 "$T/torc/notice.log" 2>/dev/null
	return 1
}
if fetch_tor "http://$TN_HTTP:$TN_HTTP_PORT/" --socks5; then
	ok "tor: C fetches the page over the private network"
else fail "tor: fetch over the private network: $(got)"; fi
src=$(tail -n 1 "$TN_HTTP_LOG" | awk '{ print $1 }')
case " $TN_TOR_EXITS " in
*" $src "*) ok "tor: the http log shows exit relay $src" ;;
*) fail "tor: http log source \"$src\" is not an exit ($TN_TOR_EXITS)" ;;
esac
if fetch_tor "http://www.test:$TN_HTTP_PORT/" --socks5-hostname; then
	ok "tor: C fetches http://www.test/, the exit resolving it"
else fail "tor: fetch of www.test: $(got)"; fi
exits=$(echo "$TN_TOR_EXITS" | sed 's/\./\\./g; s/ /|/g')
if grep -Eq "^($exits) [0-9]+ udp www\.test A NOERROR" "$TN_DNS_LOG"; then
	ok "tor: the dns log shows an exit asking for www.test"
else fail "tor: no exit in the dns log"; tail -n 5 "$TN_DNS_LOG"; fi
echo "# total $(($(now) - T0))s"

# Everything goes: tor, wireguard-go, their sockets, the namespaces.
# (Only ours: other sandboxes' leftovers are not this test's business.)
[ $FAILED -eq 0 ] || tn_logs
pids=$(awk '{ print $1 }' "$TN_DIR/pids")
sb_cleanup
trap - EXIT
left=
for s in /var/run/wireguard/kwsrv0.sock /var/run/wireguard/kwcli0.sock; do
	[ -e "$s" ] && left="$left $s"
done
for ns in "$H" "$I" "$C"; do
	[ -e "/var/run/netns/$ns" ] && left="$left $ns"
done
for p in $pids; do
	kill -0 "$p" 2>/dev/null && left="$left pid-$p"
done
[ -z "${KEEP:-}" ] && [ -d "$T" ] && left="$left $T"
if [ -z "$left" ]; then ok "cleanup leaves nothing"
else fail "cleanup left$left"; fi
exit $((FAILED != 0))
