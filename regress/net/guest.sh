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
# guest.sh: kubsd-guest for real, in namespaces of its own.
#
#   C  a client, 10.66.3.7 (MAC 52:54:00:12:34:56), default via 10.66.3.1
#   G  the gateway where kubsd-guest runs: eth0 upstream, eth1 downstream,
#      both unconfigured: the guest must set them up on its own
#   U  upstream, 10.66.0.1 on eth0: an HTTP server (192.0.2.80:8080 and
#      10.99.0.1:8080), a DNS responder (any address, port 53) that logs
#      who asked, and a wireguard-go peer (192.0.2.2:51820, 10.99.0.1)
#
# The bundles are regress/guest/sys-net and regress/guest/wireguard
# (wg.conf written here, keys from wg genkey).  Proves: sys-net forwards
# and NATs the client, DNS to any server goes to the resolver, a spoofed
# source goes nowhere, a second apply (SIGHUP) changes nothing; wireguard
# becomes ready after a handshake, the client reaches U through the
# tunnel only, killing wireguard-go gives "down" at once and the client
# reaches nothing (U's nft counter of what arrives from G stays 0), and
# after the restart delay it is ready and working again; SIGTERM leaves
# "down stopped" and the firewall.
#
# Exit 0: passed; 1: a check failed; 77: skipped.  KEEP=1 keeps $T;
# SANDBOX_LOCK names another lock file than /run/kubsd-sandbox.lock.

GUEST=${KUBSD_GUEST:-$PWD/kubsd-guest-asan}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WGIF=kw-gtest		# in regress/guest/wireguard (names are host-wide)
SRVIF=kwsrv-gtest
RESTART=4

[ "$(id -u)" = 0 ] || { echo "not root"; exit 77; }
for t in ip nsenter nft python3 curl ping wireguard-go wg flock; do
	command -v $t >/dev/null 2>&1 || { echo "no $t"; exit 77; }
done
[ -x "$GUEST" ] || { echo "no $GUEST"; exit 77; }

# WireGuard interface names are global: one sandbox at a time.  What
# runs in the background does not inherit the lock (9>&-): a leftover
# must not hold it.
exec 9>"${SANDBOX_LOCK:-/run/kubsd-sandbox.lock}" && flock -w 900 9 ||
    { echo "sandbox lock"; exit 1; }

P=kubsd-gt$$
C=$P-c G=$P-g U=$P-u
T=$(mktemp -d /tmp/kubsd-guest.XXXXXX) || exit 1
GPID=
nfail=0

cleanup() {
	[ -n "$GPID" ] && kill -9 "$GPID" 2>/dev/null
	for _ns in $C $G $U; do
		for _p in $(ip netns pids "$_ns" 2>/dev/null); do
			kill -9 "$_p" 2>/dev/null
		done
		ip netns del "$_ns" 2>/dev/null
	done
	rm -f /var/run/wireguard/$WGIF.sock /var/run/wireguard/$SRVIF.sock
	if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok()   { echo "ok $*"; }
fail() { echo "FAIL $*"; nfail=$((nfail + 1)); }
inns() { _ns=$1; shift; nsenter --net=/var/run/netns/$_ns "$@"; }
check() {	# DESCRIPTION COMMAND...
	_d=$1; shift
	if "$@" >"$T/check.out" 2>&1; then ok "$_d"; else
		fail "$_d"; sed 's/^/#   /' "$T/check.out" | tail -n 20
	fi
}
nocheck() {	# DESCRIPTION COMMAND...: COMMAND must fail
	_d=$1; shift
	if "$@" >"$T/check.out" 2>&1; then
		fail "$_d"; sed 's/^/#   /' "$T/check.out" | tail -n 20
	else ok "$_d"; fi
}
die() { fail "$*"; exit 1; }

# wait_status DIR PATTERN SECONDS: BUNDLE/status matches (grep -E)
wait_status() {
	_i=0
	while [ $_i -lt $(($3 * 10)) ]; do
		grep -Eq "^($2)\$" "$1/status" 2>/dev/null && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	echo "status: $(cat "$1/status" 2>/dev/null)"
	return 1
}

# wait_log FILE PATTERN N: the log has N lines matching
wait_log() {
	_i=0
	while [ $_i -lt 100 ]; do
		[ "$(grep -c "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

# What an apply sets up in G, to compare two applies.
snapshot() {
	inns "$G" ip addr 2>/dev/null	# ip: "Peer netns reference is invalid"
	inns "$G" ip route
	inns "$G" ip -6 route
	inns "$G" nft -s list ruleset
	inns "$G" sh -c 'for f in /proc/sys/net/ipv4/ip_forward \
	    /proc/sys/net/ipv6/conf/*/disable_ipv6 \
	    /proc/sys/net/ipv6/conf/all/forwarding; do echo "$f $(cat $f)"; done'
}

start_guest() {	# BUNDLEDIR
	nsenter --net=/var/run/netns/$G "$GUEST" -d -v -r $RESTART "$1" \
	    >>"$T/guest.log" 2>&1 9>&- &
	GPID=$!
}

stop_guest() {	# BUNDLEDIR
	kill -TERM "$GPID"
	wait "$GPID"
	_rc=$?
	GPID=
	check "SIGTERM: exit 0 (was $_rc)" [ $_rc = 0 ]
	check "SIGTERM: status down stopped" wait_status "$1" "down stopped" 1
	check "SIGTERM: guest.pid removed" [ ! -e "$1/guest.pid" ]
	check "SIGTERM: the firewall stays" inns "$G" nft list table inet kubsd_guest
}

curl_c() {	# URL [curl args]: the body, from the client
	_u=$1; shift
	inns "$C" curl -s -m 2 "$@" "$_u"
}

# DNS: a query from the client to SERVER:53, 0 when answered
dns_c() {
	inns "$C" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04test\x00\x00\x01\x00\x01"
s.sendto(q, (sys.argv[1], 53))
d, a = s.recvfrom(512)
sys.exit(0 if d[:2] == b"\x12\x34" and d[2] & 0x80 else 1)
' "$1"
}

# --- the namespaces -------------------------------------------------
ip netns add "$C" && ip netns add "$G" && ip netns add "$U" ||
    die "ip netns add"
ip link add eth0 netns "$C" type veth peer name eth1 netns "$G" &&
ip link add eth0 netns "$G" type veth peer name eth0 netns "$U" &&
inns "$C" ip link set eth0 address 52:54:00:12:34:56 &&
inns "$C" ip addr add 10.66.3.7/24 dev eth0 &&
inns "$C" ip link set eth0 up && inns "$C" ip link set lo up &&
inns "$C" ip route add default via 10.66.3.1 &&
inns "$U" ip addr add 10.66.0.1/24 dev eth0 &&
inns "$U" ip link set eth0 up && inns "$U" ip link set lo up &&
inns "$U" ip addr add 192.0.2.2/32 dev lo &&
inns "$U" ip addr add 192.0.2.53/32 dev lo &&
inns "$U" ip addr add 192.0.2.80/32 dev lo || die "namespace setup"

# U's servers
mkdir -p "$T/www" && echo "hello from U" >"$T/www/index.html"
(cd "$T/www" && exec nsenter --net=/var/run/netns/$U \
    python3 -m http.server --bind 0.0.0.0 8080 >>"$T/http.log" 2>&1) 9>&- &
cat >"$T/dns.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 8, 1)	# IP_PKTINFO
s.bind(("0.0.0.0", 53))
while True:
	d, anc, _, a = s.recvmsg(512, 256)
	dst, info = "?", []
	for lvl, typ, data in anc:
		if typ == 8:	# answer from the address asked
			dst = socket.inet_ntoa(data[8:12])
			info = [(lvl, typ, b"\0" * 4 + data[8:12] + b"\0" * 4)]
	print("query from %s to %s" % (a[0], dst), flush=True)
	if len(d) >= 12:
		s.sendmsg([d[:2] + bytes([d[2] | 0x80, 0x83]) + d[4:]], info, 0, a)
EOF
nsenter --net=/var/run/netns/$U python3 "$T/dns.py" >>"$T/dns.log" 2>&1 9>&- &
_i=0
while ! inns "$U" curl -s -m 1 -o /dev/null http://192.0.2.80:8080/ &&
    [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done

# --- sys-net ----------------------------------------------------------
S=$T/sysnet
cp -R "$ROOT/regress/guest/sys-net" "$S"
start_guest "$S"
check "sys-net: status ready" wait_status "$S" ready 10
check "sys-net: guest.pid" [ "$(cat "$S/guest.pid" 2>/dev/null)" = "$GPID" ]
second_guest() {	# exits 1 at once, naming the first
	_out=$(timeout 5 nsenter --net=/var/run/netns/$G "$GUEST" -d "$S" 2>&1 9>&-)
	_rc=$?
	echo "exit $_rc: $_out"
	[ $_rc = 1 ] && echo "$_out" | grep -q "already running, pid $GPID"
}
check "sys-net: a second guest on the bundle refuses" second_guest
check "sys-net: client reaches U" sh -c \
    "[ \"\$(nsenter --net=/var/run/netns/$C curl -s -m 2 http://192.0.2.80:8080/)\" = 'hello from U' ]"
check "sys-net: U saw the gateway's address (NAT)" \
    grep -q '^10.66.0.3 .*GET /' "$T/http.log"
check "sys-net: client DNS to 198.51.100.1 answered" dns_c 198.51.100.1
check "sys-net: the resolver 192.0.2.53 got it, from the gateway" \
    grep -q 'query from 10.66.0.3 to 192.0.2.53' "$T/dns.log"
inns "$C" ip addr add 10.66.3.8/24 dev eth0
nocheck "sys-net: another source address goes nowhere" \
    curl_c http://192.0.2.80:8080/ --interface 10.66.3.8
inns "$C" ip addr del 10.66.3.8/24 dev eth0
check "sys-net: IPv6 off on eth0" [ "$(inns "$G" cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6)" = 1 ]

snapshot >"$T/snap1"
kill -HUP "$GPID"
check "sys-net: SIGHUP re-applies" wait_log "$T/guest.log" "reloaded $S" 1
snapshot >"$T/snap2"
check "sys-net: a second apply changes nothing" diff -u "$T/snap1" "$T/snap2"
check "sys-net: still ready" wait_status "$S" ready 1

# A bundle that does not read: "error", the running configuration stays.
cp "$S/bundle.conf" "$T/bundle.good"
echo "bogus 1" >>"$S/bundle.conf"
kill -HUP "$GPID"
check "sys-net: a bad bundle on SIGHUP: status error" \
    wait_status "$S" 'error bundle.conf:9: unknown key "bogus"' 3
check "sys-net: ... and the client still reaches U" sh -c \
    "[ \"\$(nsenter --net=/var/run/netns/$C curl -s -m 2 http://192.0.2.80:8080/)\" = 'hello from U' ]"
cp "$T/bundle.good" "$S/bundle.conf"
kill -HUP "$GPID"
check "sys-net: the bundle fixed: ready" wait_status "$S" ready 3
stop_guest "$S"

# --- wireguard --------------------------------------------------------
W=$T/wg
cp -R "$ROOT/regress/guest/wireguard" "$W"
(umask 077 && wg genkey >"$T/srv.key" && wg genkey >"$T/gw.key") ||
    die "wg genkey"
SRVPUB=$(wg pubkey <"$T/srv.key")
GWPUB=$(wg pubkey <"$T/gw.key")
rm -f "$W/wg.conf"
(umask 077 && cat >"$W/wg.conf" <<EOF
[Interface]
PrivateKey = $(cat "$T/gw.key")

[Peer]
PublicKey = $SRVPUB
Endpoint = 192.0.2.2:51820
AllowedIPs = 0.0.0.0/0
PersistentKeepalive = 25
EOF
)
rm -f /var/run/wireguard/$SRVIF.sock
nsenter --net=/var/run/netns/$U wireguard-go -f $SRVIF >>"$T/wgsrv.log" \
    2>&1 9>&- &
_i=0
while [ ! -S /var/run/wireguard/$SRVIF.sock ] && [ $_i -lt 100 ]; do
	sleep 0.1; _i=$((_i + 1)); done
inns "$U" wg set $SRVIF listen-port 51820 private-key "$T/srv.key" \
    peer "$GWPUB" allowed-ips 10.99.0.2/32 &&
inns "$U" ip addr add 10.99.0.1/24 dev $SRVIF &&
inns "$U" ip link set $SRVIF up || die "the wireguard server"

# Before the guest: G as a compartment netd made, default via upstream.
inns "$G" ip route replace default via 10.66.0.1 dev eth0

start_guest "$W"
check "wireguard: status ready (handshake)" wait_status "$W" ready 15
check "wireguard: default route via the tunnel only" sh -c \
    "[ \"\$(nsenter --net=/var/run/netns/$G ip route show default)\" = 'default dev $WGIF proto static scope link ' ]"
check "wireguard: client reaches 10.99.0.1 through the tunnel" sh -c \
    "[ \"\$(nsenter --net=/var/run/netns/$C curl -s -m 2 http://10.99.0.1:8080/)\" = 'hello from U' ]"
check "wireguard: client reaches 192.0.2.80 through the tunnel" sh -c \
    "[ \"\$(nsenter --net=/var/run/netns/$C curl -s -m 2 http://192.0.2.80:8080/)\" = 'hello from U' ]"
check "wireguard: U saw the tunnel address" \
    grep -q '^10.99.0.2 .*GET /' "$T/http.log"
check "wireguard: client DNS to 198.51.100.1 answered" dns_c 198.51.100.1
check "wireguard: the tunnel's resolver got it, through the tunnel" \
    grep -q 'query from 10.99.0.2 to 10.99.0.1' "$T/dns.log"

snapshot >"$T/snap1"
kill -HUP "$GPID"
check "wireguard: SIGHUP re-applies" wait_log "$T/guest.log" "reloaded $W" 1
snapshot >"$T/snap2"
check "wireguard: a second apply changes nothing" diff -u "$T/snap1" "$T/snap2"
cp "$W/bundle.conf" "$T/bundle.good"
echo "endpoint 192.0.2.2 0" >>"$W/bundle.conf"
kill -HUP "$GPID"
sleep 2	# handshake polls must not hide the error
check "wireguard: a bad bundle on SIGHUP: status error, stays" \
    wait_status "$W" 'error bundle.conf:[0-9]+: invalid port "0"' 1
cp "$T/bundle.good" "$W/bundle.conf"
kill -HUP "$GPID"
check "wireguard: the bundle fixed: ready" wait_status "$W" ready 3

# The kill switch: what arrives in U from G, counted.
inns "$U" nft -f - <<'EOF'
table inet gtcount {
	chain in {
		type filter hook prerouting priority -300; policy accept;
		iifname "eth0" counter
	}
}
EOF
WGPID=
for _p in $(ip netns pids "$G" 2>/dev/null); do
	[ "$(cat /proc/$_p/comm 2>/dev/null)" = wireguard-go ] && WGPID=$_p
done
[ -n "$WGPID" ] || die "wireguard: no wireguard-go in G"
kill -9 "$WGPID"
check "wireguard: status down within 2 s" \
    wait_status "$W" "down wireguard-go killed by signal 9" 2
inns "$U" nft reset counters table inet gtcount >/dev/null
nocheck "wireguard: down: client cannot reach 10.99.0.1" \
    inns "$C" curl -s -m 1 http://10.99.0.1:8080/
nocheck "wireguard: down: client cannot reach 192.0.2.80" \
    inns "$C" curl -s -m 1 http://192.0.2.80:8080/
nocheck "wireguard: down: client cannot ping 10.66.0.1" \
    inns "$C" ping -q -c 1 -W 1 10.66.0.1
dns_c 198.51.100.1 >/dev/null 2>&1
check "wireguard: still down while probing" wait_status "$W" "down .*" 1
check "wireguard: down: nothing arrived in U" sh -c \
    "nsenter --net=/var/run/netns/$U nft list table inet gtcount | grep -q 'counter packets 0 bytes 0'"
check "wireguard: down: no default route in G" sh -c \
    "[ -z \"\$(nsenter --net=/var/run/netns/$G ip route show default)\" ]"
check "wireguard: ready again after the restart delay" \
    wait_status "$W" ready $((RESTART + 15))
check "wireguard: client reaches U again" sh -c \
    "[ \"\$(nsenter --net=/var/run/netns/$C curl -s -m 2 http://10.99.0.1:8080/)\" = 'hello from U' ]"
stop_guest "$W"
check "wireguard: stopped: no wireguard-go left" sh -c \
    "! for p in \$(ip netns pids $G 2>/dev/null); do cat /proc/\$p/comm; done | grep -q wireguard-go"
nocheck "wireguard: stopped: client reaches nothing" \
    inns "$C" curl -s -m 1 http://10.99.0.1:8080/

# --- tor (no Tor network here: bootstrap progress, not 100%) ----------
if id debian-tor >/dev/null 2>&1; then
	# $T is mode 0700: the guest lets debian-tor search it (an ACL)
	R=$T/tor
	cp -R "$ROOT/regress/guest/tor" "$R"
	start_guest "$R"
	check "tor: status starting bootstrapped N%" \
	    wait_status "$R" "starting bootstrapped [0-9]+%" 20
	TORPID=
	for _p in $(ip netns pids "$G" 2>/dev/null); do
		[ "$(cat /proc/$_p/comm 2>/dev/null)" = tor ] && TORPID=$_p
	done
	check "tor: runs as debian-tor" \
	    [ "$(stat -c %U /proc/$TORPID 2>/dev/null)" = debian-tor ]
	check "tor: debian-tor may search $T, others not" sh -c \
	    "[ \"\$(stat -c %a $T)\" = 710 ] && su -s /bin/sh debian-tor -c 'cd $R/tor-data'"
	check "tor: tor-data is debian-tor's, mode 0700" \
	    [ "$(stat -c '%U %a' "$R/tor-data")" = "debian-tor 700" ]
	check "tor: ip_forward 0" \
	    [ "$(inns "$G" cat /proc/sys/net/ipv4/ip_forward)" = 0 ]
	check "tor: the bundle's own files untouched" \
	    diff -r -x status -x guest.pid -x tor-data "$ROOT/regress/guest/tor" "$R"
	[ -n "$TORPID" ] && kill -9 "$TORPID"
	check "tor: status down within 2 s" \
	    wait_status "$R" "down tor killed by signal 9" 2
	check "tor: restarted after the delay" \
	    wait_status "$R" "starting .*" $((RESTART + 10))
	# tor as debian-tor outlives a killed guest; the next one stops it.
	sleep 1
	TORPID=
	for _p in $(ip netns pids "$G" 2>/dev/null); do
		[ "$(cat /proc/$_p/comm 2>/dev/null)" = tor ] && TORPID=$_p
	done
	kill -9 "$GPID"; wait "$GPID" 2>/dev/null
	rm -f "$R/status"
	start_guest "$R"
	check "tor: a new guest stops the tor left over" \
	    wait_log "$T/guest.log" "stopping tor, pid $TORPID, left by" 1
	check "tor: ... and starts its own" \
	    wait_status "$R" "starting bootstrapped [0-9]+%" 20
	stop_guest "$R"
else
	echo "skip tor (no user debian-tor)"
fi

if [ $nfail -ne 0 ]; then
	echo "--- guest.log"; tail -n 40 "$T/guest.log"
	exit 1
fi
echo "all passed"
exit 0
