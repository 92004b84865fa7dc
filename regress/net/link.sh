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
# link.sh: the Linux link backend, for real, in namespaces of its own.
#
# Makes a scratch namespace kubsd-lt-PID and runs $TEST_LINK (default
# obj-asan/net/test_link) inside it with "ip netns exec".  The program
# makes further namespaces kubsd-lt-PID-{c,a,b,h}; since it runs in the
# mount namespace "ip netns exec" makes, a slave of ours, those are
# visible only from inside it.  So once all is set up the program runs
# this script again as "link.sh check PREFIX", which checks with ip(8)
# and ping(8) from there.  Afterwards this script checks that nothing
# is left.  Every namespace named kubsd-lt-PID* is removed on exit.
#
# Exit 0: all passed; 1: a check failed; 77: skipped (not root, or no
# network namespaces, ip(8) or ping(8)).
#
# Build:
#   cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Inetd -o test_link \
#	regress/net/test_link.c netd/link-linux.c netd/link-set-linux.c \
#	netd/netns-linux.c netd/addr.c netd/util.c netd/log.c \
#	$(pkg-config --cflags --libs libmnl)

GROUP=27509	# KUBSD_IFGROUP, 0x6b75

nfail=0
ok()   { echo "ok $*"; }
fail() { echo "FAIL $*"; nfail=$((nfail + 1)); }

# expect DESCRIPTION PATTERN COMMAND...: COMMAND's output matches PATTERN
expect() {
	_d=$1 _p=$2
	shift 2
	_out=$("$@" 2>&1)
	if printf '%s\n' "$_out" | grep -Eq -- "$_p"; then
		ok "$_d"
	else
		fail "$_d: /$_p/ not in:"
		printf '%s\n' "$_out" | sed 's/^/#   /'
	fi
}

# ping(8) from iputils, else busybox's
if command -v ping >/dev/null 2>&1; then
	PING=ping
elif command -v busybox >/dev/null 2>&1 && busybox ping -h 2>&1 | grep -q -- -W
then
	PING="busybox ping"
else
	PING=
fi

# pings NS ADDR: reachable from namespace NS
pings() {
	if ip netns exec "$1" $PING -q -c1 -W1 "$2" >/dev/null 2>&1; then
		ok "ping from $1 to $2"
	else
		fail "ping from $1 to $2"
	fi
}

# nopings NS ADDR: not reachable
nopings() {
	if ip netns exec "$1" $PING -q -c1 -W1 "$2" >/dev/null 2>&1; then
		fail "$1 reached $2 (isolated ports)"
	else
		ok "no ping from $1 to $2 (isolated ports)"
	fi
}

# Run by test_link, inside its namespaces, with everything set up.
check() {
	p=$1
	c=$p-c a=$p-a b=$p-b h=$p-h

	expect "ip: kb-t is a bridge in the group" \
	    "bridge .*" ip -d link show dev kb-t
	expect "ip: kb-t group $GROUP, lladdr" \
	    "group $GROUP .*link/ether 02:6b:00:00:00:01" \
	    sh -c 'ip -d -o link show dev kb-t'
	expect "ip: kp-t1 tap, persistent, user 65534" \
	    "tun type tap .*persist on.*user (65534|nobody)" \
	    ip -d link show dev kp-t1
	expect "ip: kp-t1 mtu 1400, master kb-t, group" \
	    "mtu 1400 .*master kb-t .*group $GROUP" ip -o link show dev kp-t1
	expect "ip: kp-t1 isolated" "isolated on" ip -d link show dev kp-t1
	expect "ip: kp-t2 isolated" "isolated on" ip -d link show dev kp-t2
	expect "ip: kp-t2 mtu 1300, lladdr" \
	    "mtu 1300 .*link/ether 02:6b:00:00:00:12" \
	    ip -o link show dev kp-t2
	expect "ip: kp-t3 veth, not isolated" "veth .*isolated off" \
	    sh -c 'ip -d -o link show dev kp-t3'
	expect "ip: kp-t3 master kb-t, up" "master kb-t state UP" \
	    ip -o link show dev kp-t3
	n=$(ip -o link show group $GROUP | wc -l)
	if [ "$n" -eq 8 ]; then ok "ip: 8 interfaces in group $GROUP"
	else fail "ip: $n interfaces in group $GROUP, not 8"; fi
	expect "ip: kx-other not in the group" "group default" \
	    ip -o link show dev kx-other
	expect "ip: kb-t has 10.77.0.1/24" "inet 10.77.0.1/24 brd 10.77.0.255" \
	    ip -o addr show dev kb-t

	expect "ip: $c eth0 is the veth peer, up" \
	    "eth0@.*UP.*link/ether 02:6b:00:00:01:13" \
	    ip -n "$c" -o link show dev eth0
	expect "ip: $c eth0 10.77.0.2/24" "inet 10.77.0.2/24" \
	    ip -n "$c" -o addr show dev eth0
	expect "ip: $c eth0 fd00:77::2/64" "inet6 fd00:77::2/64" \
	    ip -n "$c" -o addr show dev eth0
	expect "ip: $c default route" "^default via 10.77.0.1 dev eth0" \
	    ip -n "$c" route show
	expect "ip: $c 10.88.0.0/16" "^10.88.0.0/16 via 10.77.0.1 dev eth0" \
	    ip -n "$c" route show
	expect "ip: $c IPv6 default route" "^default via fd00:77::1 dev eth0" \
	    ip -n "$c" -6 route show
	expect "sysctl: $c forwards" "^1$" \
	    ip netns exec "$c" cat /proc/sys/net/ipv4/ip_forward
	expect "sysctl: the scratch namespace does not" "^0$" \
	    cat /proc/sys/net/ipv4/ip_forward
	pings "$c" 10.77.0.1
	pings "$c" fd00:77::1

	for n in "$a" "$b" "$h"; do
		expect "ip: $n eth0 up" "eth0@.*state UP" \
		    ip -n "$n" -o link show dev eth0
	done
	expect "ip: kp-pa isolated" "isolated on" ip -d link show dev kp-pa
	expect "ip: kp-ph not isolated" "isolated off" ip -d link show dev kp-ph
	pings "$h" 10.78.0.2
	pings "$h" 10.78.0.3
	pings "$a" 10.78.0.1
	pings "$b" 10.78.0.1
	nopings "$a" 10.78.0.3
	nopings "$b" 10.78.0.2
	# Control: the same ping goes through once kp-pb is not isolated.
	ip link set dev kp-pb type bridge_slave isolated off
	pings "$a" 10.78.0.3
	ip link set dev kp-pb type bridge_slave isolated on
	nopings "$a" 10.78.0.3

	[ "$nfail" -eq 0 ]
}

if [ "${1:-}" = check ]; then
	check "$2"
	exit $?
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "link.sh: skipped: needs root" >&2
	exit 77
fi
if ! command -v ip >/dev/null 2>&1; then
	echo "link.sh: skipped: no ip(8)" >&2
	exit 77
fi
if [ -z "$PING" ]; then
	echo "link.sh: skipped: no ping(8) (iputils-ping, or busybox)" >&2
	exit 77
fi

TEST_LINK=${TEST_LINK:-obj-asan/net/test_link}
NS=kubsd-lt-$$
case $0 in
/*)	self=$0 ;;
*)	self=$(pwd)/$0 ;;
esac

cleanup() {
	for f in /var/run/netns/$NS /var/run/netns/$NS-*; do
		[ -e "$f" ] || continue
		ip netns delete "${f##*/}" 2>/dev/null || rm -f "$f"
	done
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

if ! ip netns add "$NS" 2>/dev/null; then
	echo "link.sh: skipped: cannot make a network namespace" >&2
	exit 77
fi
if [ ! -x "$TEST_LINK" ]; then
	echo "link.sh: $TEST_LINK: no such program (set TEST_LINK)" >&2
	exit 1
fi

ip netns exec "$NS" "$TEST_LINK" -n "$NS" -p "$NS" -c "sh '$self' check '$NS'"
rc=$?
[ $rc -eq 0 ] || fail "test_link exited $rc"

n=$(ip -n "$NS" -o link show group $GROUP 2>/dev/null | wc -l)
if [ "$n" -eq 0 ]; then ok "after: group $GROUP empty"
else fail "after: $n interfaces left in group $GROUP"; fi
n=$(ip -n "$NS" -o link show 2>/dev/null | grep -cv ': lo:')
if [ "$n" -eq 0 ]; then ok "after: only lo left"
else fail "after: $n interfaces besides lo left"; fi
left=$(cd /var/run/netns && ls -d "$NS"-* 2>/dev/null)
if [ -z "$left" ]; then ok "after: no namespace left"
else fail "after: namespaces left: $left"; fi

[ "$nfail" -eq 0 ]
