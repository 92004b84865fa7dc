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

# regress/lib/testnet.sh: the test internet, in the sandbox's internet
# namespace $I.  Sourced after regress/lib/sandbox.sh, by the tests and
# by regress/demo.sh; POSIX sh (dash), safe under "set -eu".  Nothing
# here reaches the real Internet: $I has no default route, and every
# tor it starts knows only the private network's authorities.
#
# What runs in $I once tn_start has returned 0:
#   HTTP       python3 http.server on 0.0.0.0:8080 (sb_http), so also
#              reachable at $TN_WG_SERVER through the tunnel; each request
#              is a line in $TN_HTTP_LOG starting with its source address
#   DNS        regress/lib/tn-dns.py on $TN_DNS:53, UDP and TCP, answering
#              the zone $TN_ZONE ("name address" lines, re-read when it
#              changes; tn_dns_add adds one); www.test is $TN_HTTP.  Each
#              question is a line in $TN_DNS_LOG: "SRC PORT udp|tcp NAME
#              TYPE RCODE [ADDRESS]"
#   WireGuard  wireguard-go, interface $TN_WG_IF (kwsrv0: wireguard-go's
#              control sockets are global, one sandbox at a time), key
#              $TN_WG_PUBKEY, listening on $TN_WG_ENDPOINT, tunnel address
#              $TN_WG_SERVER in $TN_WG_NET; tn_wg_peer PUBKEY [ALLOWED]
#              admits a client (default allowed-ips $TN_WG_CLIENT/32).
#              Tunnelled packets reach $I's own services with the client's
#              tunnel source address, e.g. the HTTP log shows 10.99.0.2.
#              A full-tunnel client must keep its own UDP to the endpoint
#              out of the tunnel (wg fwmark and an ip rule, as wg-quick
#              does; or wireguard-go in the outer namespace): the
#              endpoint 192.0.2.2 is also the HTTP and DNS server.
#   Tor        a private network: authorities tnauth1..3 on $TN_TOR_AUTHS,
#              exits tnexit1..2 on $TN_TOR_EXITS (all on $I's lo, ORPort
#              $TN_TOR_ORPORT, authorities' DirPort $TN_TOR_DIRPORT), the
#              exits accepting *:* including private addresses and
#              resolving names with the DNS server above (which logs an
#              exit's own address as the querier; the HTTP log too).
#              Data and notice.log of relay NICK: $TN_DIR/tor/NICK.  A
#              client tor
#              appends $TN_TOR_INC (TestingTorNetwork 1 and the
#              DirAuthority lines) to its torrc.  tn_tor_start starts it
#              and returns at once; tn_tor_wait [SECS] waits until a client
#              can build circuits and sets TN_TOR_BOOT (seconds).
#
# Addresses lie outside Tor's VirtualAddrNetworkIPv4 (10.192.0.0/10)
# and kubsd's pool (10.66.0.0/16).  A client namespace made with
# tn_client_ns sits on its own /24 in 198.19.0.0/16 behind $I.
#
# Other files: $TN_DIR ($T/tn) holds keys, pids and wireguard-go's
# logs (wg-IFNAME.log); the DNS log starts with tn_dns_start's own
# readiness question (tn-ready.test, from $I).
#
# Functions (each returns non-zero and says why on stderr on failure):
#   tn_start                  all of it: DNS, HTTP, tor (not waited for),
#                             WireGuard; then tn_tor_wait when needed
#   tn_dns_start, tn_http_start [PAGE], tn_wg_start, tn_tor_start
#   tn_tor_wait [SECS]        default 150
#   tn_wg_peer PUBKEY [ALLOWED-IPS]
#   tn_wg_dev NS IFNAME       a wireguard-go interface in NS, for a client
#                             (a name unique on the host), ready for wg set
#   tn_dns_add NAME ADDRESS
#   tn_client_ns NS           a namespace joined to $I, address in
#                             TN_CLIENT_ADDR, default route via $I
#   tn_tor_client NS DIR [SOCKS]  a client tor in NS (data in DIR,
#                             SocksPort SOCKS, default 127.0.0.1:9050)
#   tn_tor_client_wait DIR [SECS] until it says "Bootstrapped 100%"
#   tn_tor_status             the newest consensus: nick address flags
#   tn_logs                   the ends of every log, for a failure
#   tn_cleanup                kills all of it, removes the WireGuard
#                             sockets and the client namespaces;
#                             sb_cleanup calls it, idempotent
#
# Usage:
#   . regress/lib/sandbox.sh; . regress/lib/testnet.sh
#   sb_init; trap sb_cleanup EXIT; sb_make_ns
#   tn_start && tn_tor_wait 150 || exit 1
#   echo "SocksPort 9050" | cat - "$TN_TOR_INC" >torrc     # a tor client
#   tn_wg_peer "$(wg pubkey <client.key)"                   # a WG client
#   grep "^$TN_WG_CLIENT " "$TN_HTTP_LOG"                   # who fetched

TN_HTTP=192.0.2.2
TN_HTTP_PORT=8080
TN_DNS=192.0.2.2
TN_WG_IF=kwsrv0
TN_WG_PORT=51820
TN_WG_ENDPOINT=192.0.2.2:51820
TN_WG_SERVER=10.99.0.1
TN_WG_NET=10.99.0.0/24
TN_WG_CLIENT=10.99.0.2
TN_WG_PUBKEY=
TN_TOR_AUTHS="198.18.0.1 198.18.0.2 198.18.0.3"
TN_TOR_EXITS="198.18.0.4 198.18.0.5"
TN_TOR_ORPORT=5000
TN_TOR_DIRPORT=7000
TN_TOR_BOOT=
TN_CLIENT_ADDR=
# tn-dns.py's directory: sourced, like sandbox.sh, from the top of the tree
TN_LIB=$(cd regress/lib 2>/dev/null && pwd) || TN_LIB=regress/lib

# The paths under $T, once sb_init has made it.
tn_paths() {
	TN_DIR=$T/tn
	TN_TOR_INC=$T/tor-client.inc
	TN_HTTP_LOG=$T/http.log
	TN_DNS_LOG=$T/dns.log
	TN_ZONE=$TN_DIR/zone
	[ -d "$TN_DIR" ] || mkdir -m 700 "$TN_DIR"
}

# tn_bg NS WHAT CMD...: CMD in namespace NS, in the background, its pid
# (CMD's own: nsenter execs it) recorded for tn_cleanup.  Without fd 9,
# sb_init's lock: a straggler must not hold up the next sandbox.
tn_bg() {
	_ns=$1 _what=$2; shift 2
	nsenter --net=/var/run/netns/$_ns "$@" 9>&- &
	echo "$! $_what" >>"$TN_DIR/pids"
}

tn_start() {
	tn_paths
	# WireGuard first: DNS then also answers on the tunnel's address
	tn_wg_start && tn_dns_start && tn_http_start && tn_tor_start
}

tn_dns_start() {
	tn_paths
	[ -f "$TN_ZONE" ] || echo "www.test $TN_HTTP" >"$TN_ZONE"
	: >>"$TN_DNS_LOG"
	# Also on each exit's address, its nameserver: a query from a
	# process in I to an address of I has that address as its source,
	# so the log names the exit that asked.
	tn_tor_addrs || return 1
	# and on the WireGuard server's tunnel address, once it has one
	_wgdns=
	inns "$I" ip -4 -o addr show | grep -q " $TN_WG_SERVER/" &&
	    _wgdns=$TN_WG_SERVER
	tn_bg "$I" dns python3 "$TN_LIB/tn-dns.py" serve \
	    "$(echo $TN_DNS $TN_TOR_EXITS $_wgdns | tr ' ' ,)" 53 \
	    "$TN_ZONE" "$TN_DNS_LOG" 2>>"$TN_DIR/dns.err"
	# an answer, even NXDOMAIN (1), says the server is up
	_i=0
	while :; do
		_rc=0
		inns "$I" python3 "$TN_LIB/tn-dns.py" query "$TN_DNS" \
		    tn-ready.test >/dev/null 2>&1 || _rc=$?
		[ $_rc -le 1 ] && break
		_i=$((_i + 1))
		[ $_i -lt 50 ] || { echo "tn: dns server does not answer" >&2
		    cat "$TN_DIR/dns.err" >&2; return 1; }
		sleep 0.1
	done
}

tn_dns_add() {	# NAME ADDRESS
	echo "$1 $2" >>"$TN_ZONE"
}

tn_http_start() {	# [PAGE]
	tn_paths
	[ -f "$T/http.pid" ] && return 0
	sb_http "${1:-hello from the test internet}"
	inns "$I" curl -s -m 2 -o /dev/null "http://$TN_HTTP:$TN_HTTP_PORT/" ||
	    { echo "tn: http server does not answer" >&2; return 1; }
}

tn_wg_start() {
	tn_paths
	mkdir -p "$TN_DIR/wg"
	(umask 077 && wg genkey >"$TN_DIR/wg/server.key") || return 1
	TN_WG_PUBKEY=$(wg pubkey <"$TN_DIR/wg/server.key") || return 1
	tn_wg_dev "$I" "$TN_WG_IF" || return 1
	inns "$I" wg set "$TN_WG_IF" listen-port "$TN_WG_PORT" \
	    private-key "$TN_DIR/wg/server.key" &&
	inns "$I" ip addr add "$TN_WG_SERVER/${TN_WG_NET#*/}" dev "$TN_WG_IF" &&
	inns "$I" ip link set "$TN_WG_IF" up
}

# tn_wg_dev NS IFNAME: a wireguard-go interface in NS, ready for wg set.
# The control socket is global (/var/run/wireguard/IFNAME.sock): one
# left by a run killed with -9 is stale, since the sandbox lock is ours.
tn_wg_dev() {
	_sock=/var/run/wireguard/$2.sock
	rm -f "$_sock"
	echo "$2" >>"$TN_DIR/wgifs"
	tn_bg "$1" "wireguard-go $2" env LOG_LEVEL=verbose wireguard-go -f "$2" \
	    >>"$TN_DIR/wg-$2.log" 2>&1
	_i=0
	while [ ! -S "$_sock" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -S "$_sock" ] || { echo "tn: wireguard-go $2 did not start" >&2
	    cat "$TN_DIR/wg-$2.log" >&2; return 1; }
}

tn_wg_peer() {	# PUBKEY [ALLOWED-IPS]
	inns "$I" wg set "$TN_WG_IF" peer "$1" allowed-ips "${2:-$TN_WG_CLIENT/32}"
}

# The private Tor network.  Relay N's torrc: what all share, then its role.
tn_tor_common() {	# NICK ADDRESS
	cat <<EOF
TestingTorNetwork 1
DataDirectory $TN_DIR/tor/$1
Nickname $1
ContactInfo $1@test.test
Address $2
AddressDisableIPv6 1
ORPort $2:$TN_TOR_ORPORT
OutboundBindAddress $2
OutboundBindAddressExit $2
SocksPort 0
AssumeReachable 1
PathsNeededToBuildCircuits 0.67
TestingDirAuthVoteExit $(echo $TN_TOR_EXITS | tr ' ' ,)
TestingDirAuthVoteGuard *
TestingDirAuthVoteHSDir *
TestingMinExitFlagThreshold 0
RunAsDaemon 0
ShutdownWaitLength 0
Log notice file $TN_DIR/tor/$1/notice.log
SafeLogging 0
LogTimeGranularity 1
EOF
	cat "$TN_DIR/tor/dirauths"
}

tn_tor_start() {
	tn_paths
	TN_TOR_T0=$(date +%s)
	_td=$TN_DIR/tor
	mkdir -p "$_td"
	: >"$_td/dirauths"
	_n=0
	tn_tor_addrs || return 1
	# Keys: an authority's v3 identity (tor-gencert), every relay's
	# identity fingerprint (tor --list-fingerprint makes the keys).
	for _a in $TN_TOR_AUTHS; do
		_n=$((_n + 1)); _nick=tnauth$_n
		mkdir -m 700 -p "$_td/$_nick/keys"
		(cd "$_td/$_nick/keys" && echo "" | tor-gencert \
		    --create-identity-key --passphrase-fd 0 -m 12 \
		    -a "$_a:$TN_TOR_DIRPORT" >"$_td/$_nick/gencert.log" 2>&1) ||
		    { echo "tn: tor-gencert failed" >&2
		      cat "$_td/$_nick/gencert.log" >&2; return 1; }
		_v3=$(awk '$1 == "fingerprint" { print $2 }' \
		    "$_td/$_nick/keys/authority_certificate")
		_fp=$(tn_tor_fingerprint "$_nick" "$_a") || return 1
		echo "DirAuthority $_nick orport=$TN_TOR_ORPORT no-v2" \
		    "v3ident=$_v3 $_a:$TN_TOR_DIRPORT $_fp" >>"$_td/dirauths"
	done
	_n=0
	for _a in $TN_TOR_EXITS; do
		_n=$((_n + 1))
		mkdir -m 700 -p "$_td/tnexit$_n"
		tn_tor_fingerprint "tnexit$_n" "$_a" >/dev/null || return 1
	done
	# Voting as fast as it is still stable: the first consensus within
	# one 10 s round (vote + distribution delays below half of it),
	# then a round every 20 s.
	_n=0
	for _a in $TN_TOR_AUTHS; do
		_n=$((_n + 1))
		{ tn_tor_common tnauth$_n "$_a"; cat <<EOF; } >"$_td/tnauth$_n/torrc"
AuthoritativeDirectory 1
V3AuthoritativeDirectory 1
DirPort $_a:$TN_TOR_DIRPORT
ExitPolicy reject *:*
AuthDirTestReachability 0
TestingV3AuthInitialVotingInterval 10
TestingV3AuthInitialVoteDelay 2
TestingV3AuthInitialDistDelay 2
V3AuthVotingInterval 20
V3AuthVoteDelay 4
V3AuthDistDelay 4
EOF
	done
	_n=0
	for _a in $TN_TOR_EXITS; do
		_n=$((_n + 1))
		echo "nameserver $_a" >"$_td/tnexit$_n/resolv.conf"
		{ tn_tor_common tnexit$_n "$_a"; cat <<EOF; } >"$_td/tnexit$_n/torrc"
ExitRelay 1
ExitPolicy accept *:*
ExitPolicyRejectPrivate 0
ExitPolicyRejectLocalInterfaces 0
ServerDNSResolvConfFile $_td/tnexit$_n/resolv.conf
ServerDNSDetectHijacking 0
ServerDNSAllowBrokenConfig 1
EOF
	done
	{ echo "TestingTorNetwork 1"; cat "$_td/dirauths"; } >"$TN_TOR_INC"
	for _r in $(tn_tor_relays); do
		tn_bg "$I" "tor $_r" tor -f "$_td/$_r/torrc" \
		    >"$_td/$_r/stdout" 2>&1
	done
}

tn_tor_addrs() {	# the relays' addresses, on I's lo
	for _a in $TN_TOR_AUTHS $TN_TOR_EXITS; do
		inns "$I" ip addr replace "$_a/32" dev lo || return 1
	done
}

tn_tor_relays() {
	_n=0; for _a in $TN_TOR_AUTHS; do _n=$((_n + 1)); echo tnauth$_n; done
	_n=0; for _a in $TN_TOR_EXITS; do _n=$((_n + 1)); echo tnexit$_n; done
}

# Makes relay NICK's keys, prints its identity fingerprint (no spaces).
tn_tor_fingerprint() {	# NICK ADDRESS
	_d=$TN_DIR/tor/$1
	tor --ignore-missing-torrc -f /dev/null --quiet --DataDirectory "$_d" \
	    --Nickname "$1" --Address "$2" --ORPort "$2:$TN_TOR_ORPORT" \
	    --list-fingerprint >"$_d/fingerprint.out" 2>&1 ||
	    { echo "tn: tor --list-fingerprint failed" >&2
	      cat "$_d/fingerprint.out" >&2; return 1; }
	awk -v n="$1" '$1 == n { $1 = ""; gsub(/ /, ""); print }' \
	    "$_d/fingerprint.out"
}

# The newest consensus any authority has: "nick address flags..." a line.
tn_tor_status() {
	_c=
	for _f in "$TN_DIR"/tor/tnauth*/cached-microdesc-consensus; do
		[ -f "$_f" ] || continue
		[ -z "$_c" ] || [ "$_f" -nt "$_c" ] && _c=$_f
	done
	[ -n "$_c" ] || return 1
	awk '$1 == "r" { n = $2; a = $6 } $1 == "s" { $1 = ""; print n, a $0 }' "$_c"
}

# Until every authority has a consensus listing all five relays, both
# exits with Exit, every relay Running, Valid, Guard-able and Fast:
# what a client needs to build a circuit.
tn_tor_ready() {
	for _f in "$TN_DIR"/tor/tnauth*/cached-microdesc-consensus; do
		[ -f "$_f" ] || return 1
		awk -v want="$(tn_tor_relays | tr '\n' ' ')" '
		$1 == "r" { n = $2 }
		$1 == "s" {
			f = " " $0 " "
			if (f ~ / Running / && f ~ / Valid / && f ~ / Fast / &&
			    (n !~ /^tnexit/ || f ~ / Exit /)) ok[n] = 1
		}
		END {
			k = split(want, w, " ")
			for (i = 1; i <= k; i++) if (!ok[w[i]]) exit 1
		}' "$_f" || return 1
	done
}

tn_tor_wait() {	# [SECS]
	_limit=${1:-150}
	: "${TN_TOR_T0:=$(date +%s)}"
	while ! tn_tor_ready; do
		if [ $(($(date +%s) - TN_TOR_T0)) -ge "$_limit" ]; then
			echo "tn: no usable consensus after ${_limit}s" >&2
			tn_tor_status >&2 || echo "tn: no consensus at all" >&2
			return 1
		fi
		for _r in $(tn_tor_relays); do
			tn_alive "tor $_r" || { echo "tn: tor $_r died" >&2
			    tail -5 "$TN_DIR/tor/$_r/notice.log" >&2; return 1; }
		done
		sleep 1
	done
	TN_TOR_BOOT=$(($(date +%s) - TN_TOR_T0))
}

tn_alive() {	# WHAT, as tn_bg recorded it
	_p=$(awk -v w="$1" '{ p = $1; $1 = "" } substr($0, 2) == w { print p }' \
	    "$TN_DIR/pids" | tail -n 1)
	[ -n "$_p" ] && kill -0 "$_p" 2>/dev/null
}

# tn_client_ns NS: a namespace NS joined to $I by a veth (NS's eth0),
# on 198.19.K.0/24 (K counts up from 0): NS is .2, $I is .1.
tn_client_ns() {
	tn_paths
	_k=$(cat "$TN_DIR/netns" 2>/dev/null | wc -l)
	ip netns add "$1" || return 1
	echo "$1" >>"$TN_DIR/netns"
	TN_CLIENT_ADDR=198.19.$_k.2
	ip link add eth0 netns "$1" type veth peer name "tnc$_k" netns "$I" &&
	inns "$I" ip addr add "198.19.$_k.1/24" dev "tnc$_k" &&
	inns "$I" ip link set "tnc$_k" up &&
	inns "$1" ip addr add "$TN_CLIENT_ADDR/24" dev eth0 &&
	inns "$1" ip link set eth0 up &&
	inns "$1" ip link set lo up &&
	inns "$1" ip route add default via "198.19.$_k.1"
}

# A client tor in NS: DIR/torrc is a SocksPort, a log and $TN_TOR_INC.
tn_tor_client() {	# NS DIR [SOCKS]
	mkdir -m 700 -p "$2"
	{ cat <<EOF; cat "$TN_TOR_INC"; } >"$2/torrc"
DataDirectory $2
SocksPort ${3:-127.0.0.1:9050}
Log notice file $2/notice.log
SafeLogging 0
LogTimeGranularity 1
RunAsDaemon 0
EOF
	tn_bg "$1" "tor client $2" tor -f "$2/torrc" >"$2/stdout" 2>&1
}

tn_tor_client_wait() {	# DIR [SECS]
	_i=0
	while ! grep -q 'Bootstrapped 100%' "$1/notice.log" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt $((${2:-60} * 10)) ] || { echo "tn: client tor in $1" \
		    "did not bootstrap" >&2; tail -5 "$1/notice.log" >&2; return 1; }
		sleep 0.1
	done
}

tn_logs() {
	[ -n "${TN_DIR:-}" ] && [ -d "$TN_DIR" ] || return 0
	for _f in "$TN_DIR"/tor/*/notice.log "$TN_DIR"/*.log "$TN_DIR"/*.err \
	    "$TN_DNS_LOG" "$TN_HTTP_LOG"; do
		[ -s "$_f" ] || continue
		echo "--- $_f"; tail -n 15 "$_f"
	done
}

# Idempotent; safe before tn_paths or sb_make_ns ran.
tn_cleanup() {
	[ -n "${T:-}" ] && [ -d "$T/tn" ] || return 0
	_d=$T/tn
	if [ -f "$_d/pids" ]; then
		for _p in $(awk '{ print $1 }' "$_d/pids"); do
			kill "$_p" 2>/dev/null || :
		done
		_i=0
		while [ $_i -lt 20 ]; do
			_left=
			for _p in $(awk '{ print $1 }' "$_d/pids"); do
				kill -0 "$_p" 2>/dev/null && _left=1
			done
			[ -n "$_left" ] || break
			sleep 0.1; _i=$((_i + 1))
		done
		for _p in $(awk '{ print $1 }' "$_d/pids"); do
			kill -9 "$_p" 2>/dev/null || :
			wait "$_p" 2>/dev/null || :
		done
		rm -f "$_d/pids"
	fi
	for _ns in $(cat "$_d/netns" 2>/dev/null); do
		for _p in $(ip netns pids "$_ns" 2>/dev/null); do
			kill -9 "$_p" 2>/dev/null || :
		done
		ip netns del "$_ns" 2>/dev/null || :
	done
	rm -f "$_d/netns"
	for _if in $(cat "$_d/wgifs" 2>/dev/null); do
		rm -f "/var/run/wireguard/$_if.sock"
	done
	rm -f "$_d/wgifs"
	# what else runs in the internet dies with it
	if [ -n "${I:-}" ] && [ -e "/var/run/netns/$I" ]; then
		for _p in $(ip netns pids "$I" 2>/dev/null); do
			kill -9 "$_p" 2>/dev/null || :
		done
	fi
}
