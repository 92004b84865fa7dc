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

# regress/lib/sandbox.sh: a sandbox for kubsd-netd live, sourced by
# regress/net/netd.sh and regress/demo.sh.  POSIX sh (dash), and safe
# under "set -eu".
#
# Namespaces made here, and always removed by sb_cleanup:
#   $H  the "host" where kubsd-netd runs (its eth0 is the uplink,
#       192.0.2.1/24 and 2001:db8:6b::1/64, default routes via
#       192.0.2.2 and 2001:db8:6b::2)
#   $I  the "internet" behind it: an HTTP server on 192.0.2.2:8080
#       (and on $I's other IPv4 addresses) and on [2001:db8:6b::2]:8080,
#       both logging to $T/http.log; regress/lib/testnet.sh adds DNS,
#       a WireGuard server and a private Tor network, and sb_cleanup
#       removes those too
#   kubsd-NAME  the compartments netd creates, NAME in $SB_COMPARTMENTS,
#       and their /etc/netns/kubsd-NAME
#
# The caller sets, before sb_init:
#   SB_PREFIX        two letters: H is kubsd-${SB_PREFIX}h-$$, I ...i-$$
#   SB_COMPARTMENTS  the compartment names its configuration makes
#   NETD             the kubsd-netd to run
#   SB_LOCKWAIT      seconds to wait for another sandbox (default 600,
#                    below run.sh's NET_TIMEOUT: giving up says why)
# and after sb_init has set T (a scratch directory), writes $T/netd.conf
# and calls sb_start_netd.  SOCK is $T/netd.sock.  KEEP=1 keeps $T.

SB_MADE=
NETD_PID=

SB_LOCK=/run/kubsd-sandbox.lock

sb_init() {	# the scratch directory; no namespace yet; 1: why on stderr
	# Compartment and WireGuard names are global: one sandbox at a time.
	# What runs in the background gets 9>&-: a straggler left by a run
	# killed with -9 must not hold the lock for every later one.
	exec 9>>"$SB_LOCK" || { echo "cannot open $SB_LOCK" >&2; return 1; }
	if ! flock -n 9; then
		# said at once: a run that times out waiting shows why
		echo "waiting up to ${SB_LOCKWAIT:-600}s for the sandbox lock" \
		    "$SB_LOCK, held by $(cat "$SB_LOCK" 2>/dev/null)" >&2
		flock -w "${SB_LOCKWAIT:-600}" 9 || {
			echo "gave up after ${SB_LOCKWAIT:-600}s waiting for" \
			    "the sandbox lock $SB_LOCK, held by" \
			    "$(cat "$SB_LOCK" 2>/dev/null)" >&2
			return 1
		}
	fi
	echo "pid $$ ($0, since $(date -u +%H:%M:%S))" >"$SB_LOCK"
	H=kubsd-${SB_PREFIX}h-$$
	I=kubsd-${SB_PREFIX}i-$$
	SB_ZOMBIES0=$(sb_guest_zombies)
	T=$(mktemp -d /tmp/kubsd-sandbox.XXXXXX) ||
	    { echo "mktemp failed" >&2; return 1; }
	SOCK=$T/netd.sock
}

# sb_conf_head STATEDIR GW_A GW_B [PREFIXLEN]: the start every sandbox
# configuration shares: the uplink and two compartment gateways, each
# ending chain "a" or "b" at it.  The caller adds its VMs.
sb_conf_head() {
	cat <<EOF
pool 10.66.0.0/16 prefixlen ${4:-24}
statedir "$1"
uplink "wan" { interface "eth0"; network 192.0.2.0/24 }
gateway "$2" { role sys-net; driver netns }
gateway "$3" { role sys-net; driver netns }
chain "a" { "$2" "wan" }
chain "b" { "$3" "wan" }
EOF
}

inh() { nsenter --net=/var/run/netns/$H "$@"; }
inns() { _ns=$1; shift; nsenter --net=/var/run/netns/$_ns "$@"; }

# Compartment names are global: 1 (and the reason on stderr) when one
# of ours exists already, i.e. another kubsd runs here.
sb_busy() {
	for _c in $SB_COMPARTMENTS; do
		if ip netns list | grep -q "^kubsd-$_c\b"; then
			echo "namespace kubsd-$_c exists: another kubsd runs here" >&2
			return 0
		fi
	done
	return 1
}

# H and I joined by a veth pair, each end named eth0.
sb_make_ns() {
	ip netns add "$H" || return 1
	SB_MADE=1
	ip netns add "$I" || return 1
	ip link add eth0 netns "$H" type veth peer name eth0 netns "$I" &&
	inh ip addr add 192.0.2.1/24 dev eth0 &&
	inh ip link set eth0 up &&
	inh ip link set lo up &&
	inh ip route add default via 192.0.2.2 &&
	inns "$I" ip addr add 192.0.2.2/24 dev eth0 &&
	inns "$I" ip link set eth0 up &&
	inns "$I" ip link set lo up &&
	sb_make_ns6
}

# The IPv6 internet: documentation addresses, usable at once (nodad).
SB_H6=2001:db8:6b::1
SB_I6=2001:db8:6b::2
sb_make_ns6() {
	inh ip addr add $SB_H6/64 dev eth0 nodad &&
	inh ip -6 route add default via $SB_I6 dev eth0 &&
	inns "$I" ip addr add $SB_I6/64 dev eth0 nodad
}

# The HTTP server in I: $T/www/index.html, log in $T/http.log (a line
# per request, starting with its source address).  On all of I's
# addresses: testnet.sh's WireGuard clients reach it at 10.99.0.1 too.
sb_http() {	# $1: the page
	mkdir -p "$T/www" && echo "$1" >"$T/www/index.html"
	: >"$T/http.pid"
	for _b in 0.0.0.0 $SB_I6; do
		(cd "$T/www" && exec nsenter --net=/var/run/netns/$I \
		    python3 -m http.server --bind $_b 8080 >>"$T/http.log" 2>&1 9>&-) &
		echo $! >>"$T/http.pid"
	done
	for _u in http://192.0.2.2:8080/ "http://[$SB_I6]:8080/"; do
		_i=0
		while ! inns "$I" curl -s -m 1 -o /dev/null "$_u" &&
		    [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	done
}

# kubsd-netd -d in H with $T/netd.conf; waits for its socket.  Not
# through inh: a function run with & is a subshell, and NETD_PID must
# be netd itself (nsenter execs it) for kill and wait to reach it.
sb_start_netd() {
	# what kubsd must put back at teardown: as it was before its first start
	[ -n "${SB_FWD0:-}" ] || SB_FWD0=$(inh sysctl -n net.ipv4.ip_forward)
	nsenter --net=/var/run/netns/$H "$NETD" -d -f "$T/netd.conf" \
	    -s "$SOCK" >>"$T/netd.log" 2>&1 9>&- &
	NETD_PID=$!
	_i=0
	while [ ! -S "$SOCK" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -S "$SOCK" ]
}

# sb_wait_ready [SECONDS [NAME...]]: until the named gateways (default:
# every compartment gateway) say "ready" in netd's status; 1 on timeout,
# with their status on stderr.  NET is the kubsd-net to ask.
sb_wait_ready() {
	_t=$(( ${1:-30} * 10 )); [ $# -gt 0 ] && shift
	_i=0
	while :; do
		_not=$("$NET" -s "$SOCK" status -j 2>/dev/null | python3 -c '
import json, sys
want = sys.argv[1:]
try:
    nodes = json.load(sys.stdin)["nodes"]
except Exception:
    print("netd"); sys.exit()
for n in nodes:
    if n["kind"] != "gateway" or n.get("driver") != "netns":
        continue
    if want and n["name"] not in want:
        continue
    if not n.get("ready"):
        print(n["name"] + ": " + n.get("guest", "?"))' "$@")
		[ -z "$_not" ] && return 0
		_i=$((_i + 1))
		[ $_i -ge $_t ] && { echo "not ready: $_not" >&2; return 1; }
		sleep 0.1
	done
}

# Idempotent: the trap and an explicit call may both run it.
sb_cleanup() {
	# A second signal (timeout(1) forwards one) must not cut it short.
	trap '' INT TERM HUP
	if [ -n "$NETD_PID" ]; then
		kill -9 "$NETD_PID" 2>/dev/null || :
		wait "$NETD_PID" 2>/dev/null || :
		NETD_PID=
	fi
	if [ -n "${T:-}" ] && [ -f "$T/http.pid" ]; then
		for _p in $(cat "$T/http.pid"); do
			kill "$_p" 2>/dev/null || :
			wait "$_p" 2>/dev/null || :
		done
		rm -f "$T/http.pid"
	fi
	# the test internet, when regress/lib/testnet.sh was sourced
	if command -v tn_cleanup >/dev/null 2>&1; then tn_cleanup; fi
	# The compartments are ours only once we made H (sb_busy said so).
	if [ -n "$SB_MADE" ]; then
		for _ns in $(ip netns list | awk '{print $1}'); do
			for _c in $SB_COMPARTMENTS; do
				[ "$_ns" = "kubsd-$_c" ] || continue
				# what runs inside (a gateway's guest, tor) dies too
				for _p in $(ip netns pids "$_ns" 2>/dev/null); do
					kill -9 "$_p" 2>/dev/null || :
				done
				ip netns del "$_ns" 2>/dev/null || :
			done
			case $_ns in
			"$H"|"$I") ip netns del "$_ns" 2>/dev/null || : ;;
			esac
		done
		for _c in $SB_COMPARTMENTS; do
			rm -rf "/etc/netns/kubsd-$_c"
		done
		SB_MADE=
	fi
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
	fi
}

# Pids of kubsd-guest zombies, one a line.
sb_guest_zombies() {
	ps -eo pid=,stat=,comm= | awk '$2 ~ /^Z/ && $3 ~ /^kubsd-guest/ { print $1 }'
}

# After kubsd-netd's teardown, before sb_cleanup (which would hide it):
# what kubsd left, one line each (none: exit 0).  Its compartments and
# their /etc/netns directories, interfaces and tables in H, the host's
# forwarding not put back, the gateways' bundles (a Tor state file
# written after they were removed), guests still running, zombies,
# QEMUs still running, VM files but a stopped VM's logs (pid files,
# sockets, credentials, overlays) and admin keys.
sb_kubsd_leftovers() {
	_left=$(
	for _c in $SB_COMPARTMENTS; do
		ip netns list | grep -q "^kubsd-$_c\b" && echo "compartment kubsd-$_c"
		[ -e "/etc/netns/kubsd-$_c" ] && echo "directory /etc/netns/kubsd-$_c"
	done
	_n=$(inh ip -o link show group 0x6b75 | wc -l)
	[ "$_n" = 0 ] || echo "$_n kubsd interfaces in $H"
	inh nft list tables 2>/dev/null | grep kubsd | sed "s/^/nft in $H: /"
	_f=$(inh sysctl -n net.ipv4.ip_forward)
	[ "$_f" = "${SB_FWD0:-$_f}" ] ||
	    echo "net.ipv4.ip_forward in $H is $_f, was $SB_FWD0 before kubsd"
	[ -e "$T/state/gateways" ] &&
	    find "$T/state/gateways" | sed 's/^/bundle file /' | head -5
	pgrep -f "kubsd-guest.* -d $T/" | sed 's/^/guest running: pid /'
	pgrep -f "^qemu-system.*$T/" | sed 's/^/qemu running: pid /'
	# a stopped VM keeps only its logs (kubsd-vm log)
	[ -e "$T/state/vms" ] && find "$T/state/vms" -mindepth 1 ! -type d \
	    ! -path "$T/state/vms/*/*.log" | sed 's/^/vm file /' | head -5
	[ -e "$T/state/vmkeys" ] && find "$T/state/vmkeys" -mindepth 1 |
	    sed 's/^/vm key /' | head -5
	[ -e "$T/state/vmssh" ] && find "$T/state/vmssh" -mindepth 1 |
	    sed 's/^/vm ssh channel /' | head -5
	for _z in $(sb_guest_zombies); do
		echo "$SB_ZOMBIES0" | grep -qx "$_z" || echo "guest zombie: pid $_z"
	done)
	[ -z "$_left" ] && return 0
	echo "$_left"
	return 1
}

# After sb_cleanup: what is left of the sandbox, one line each (none:
# nothing printed, exit 0).
sb_leftovers() {
	_clean=1
	for _ns in $(ip netns list | awk '{print $1}'); do
		for _c in $SB_COMPARTMENTS; do
			[ "$_ns" = "kubsd-$_c" ] && { echo "namespace $_ns"; _clean=0; }
		done
		case $_ns in
		"$H"|"$I") echo "namespace $_ns"; _clean=0 ;;
		esac
	done
	for _c in $SB_COMPARTMENTS; do
		[ -e "/etc/netns/kubsd-$_c" ] &&
		    { echo "directory /etc/netns/kubsd-$_c"; _clean=0; }
	done
	# netd ran in H: nothing of kubsd's may show in this namespace.
	for _if in $(ip -o link show group 0x6b75 2>/dev/null |
	    awk -F': ' '{print $2}'); do
		echo "interface $_if"; _clean=0
	done
	if command -v nft >/dev/null &&
	    nft list tables 2>/dev/null | grep -q 'kubsd'; then
		nft list tables | grep kubsd | sed 's/^/nft /'; _clean=0
	fi
	[ -n "${T:-}" ] && [ -d "$T" ] && [ -z "${KEEP:-}" ] &&
	    { echo "directory $T"; _clean=0; }
	return $((1 - _clean))
}
