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
# MTUs of the links kubsd-netd makes, in sandbox namespaces this script
# makes and always removes.  The uplink eth0 has MTU 1400:
#   wan's segment, and mt-n's below it     1400 (the uplink's)
#   mt-w's (role wireguard, below mt-n)    1320 (1400 - 80)
#   mt-s's (below mt-w)                    1320 (inherited)
#   mt-x's ("mtu 1300")                    1300
# on each segment's bridge, its ports, and the compartments' ends of
# them; then eth0 goes to 1450, a reload follows it, and a full-size
# packet crosses mt-x's segment unfragmented.
#
# Exit: 0 all checks passed, 77 cannot run here (reason on stderr).
#
cd "$(dirname "$0")/../.." || exit 1
NETD=${KUBSD_NETD_LIVE:-$PWD/kubsd-netd-asan}
NET=${KUBSD_NET:-$PWD/kubsd-net-asan}

. regress/lib/need.sh
need_root
need_tools ip nsenter ping nft
need_files "$NETD" "$NET"

SB_PREFIX=m
SB_COMPARTMENTS="mt-n mt-w mt-s mt-x mt-v mt-y"
. regress/lib/sandbox.sh
FAILED=0

sb_init || exit 77	# why: on stderr
sb_busy && exit 77
trap sb_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; FAILED=$((FAILED + 1)); }

sb_make_ns || { echo "ip netns add failed" >&2; exit 77; }
inh ip link set eth0 mtu 1400

cat >"$T/netd.conf" <<EOF
pool 10.66.0.0/16 prefixlen 24
statedir "$T/state"
uplink "wan" { interface "eth0"; network 192.0.2.0/24 }
gateway "mt-n" { role sys-net; driver netns }
gateway "mt-w" {
	role wireguard; driver netns
	wireguard {
		private key file "$T/mt-w.key"; address 10.99.0.2/32
		peer "up" {
			public key "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
			endpoint 192.0.2.2 port 51820
			allowed ips { 0.0.0.0/0 }
		}
	}
}
gateway "mt-s" { role sys-net; driver netns }
gateway "mt-x" { role sys-net; driver netns; mtu 1300 }
chain "n" { "mt-n" "wan" }
chain "w" { "mt-s" "mt-w" "mt-n" "wan" }
chain "x" { "mt-x" "mt-n" "wan" }
vm "mt-v" { driver netns; chain "w" }
vm "mt-q" { chain "w" }
vm "mt-y" { driver netns; chain "x" }
EOF

if sb_start_netd; then ok "netd starts"; else
	fail "netd starts"; cat "$T/netd.log"; exit 1; fi

mtu_of() {	# ns ifname
	nsenter --net="/var/run/netns/$1" ip -o link show dev "$2" 2>/dev/null |
	    sed -n 's/.* mtu \([0-9]*\) .*/\1/p'
}

# want MTU NS:IF...: every interface has that MTU
want() {
	_m=$1; shift
	_bad=
	for _x in "$@"; do
		_got=$(mtu_of "${_x%%:*}" "${_x#*:}")
		[ "$_got" = "$_m" ] || _bad="$_bad ${_x#*:}=${_got:-none}"
	done
	if [ -z "$_bad" ]; then ok "mtu $_m: $*" | sed "s/$H://g; s/kubsd-//g"
	else fail "mtu $_m:$_bad"; fi
}

check() {	# uplink MTU U, wireguard's U-80
	want "$1" "$H:kb-wan" "$H:kp-mt-n" "kubsd-mt-n:eth0"
	want "$1" "$H:kb-mt-n" "$H:kd-mt-n" "kubsd-mt-n:eth1" \
	    "$H:kp-mt-w" "kubsd-mt-w:eth0" "$H:kp-mt-x" "kubsd-mt-x:eth0"
	want "$2" "$H:kb-mt-w" "$H:kd-mt-w" "kubsd-mt-w:eth1" \
	    "$H:kp-mt-s" "kubsd-mt-s:eth0"
	want "$2" "$H:kb-mt-s" "$H:kd-mt-s" "kubsd-mt-s:eth1" \
	    "$H:kp-mt-v" "kubsd-mt-v:eth0" "$H:kp-mt-q"
	want 1300 "$H:kb-mt-x" "$H:kd-mt-x" "kubsd-mt-x:eth1" \
	    "$H:kp-mt-y" "kubsd-mt-y:eth0"
}
check 1400 1320

# The uplink changes: a reload adopts the links there are.
inh ip link set eth0 mtu 1450
if "$NET" -s "$SOCK" reload >"$T/reload.out" 2>&1; then ok "reload"
else fail "reload"; cat "$T/reload.out"; fi
check 1450 1370

# A full-size IPv4 packet (1300 - 28 bytes of headers), don't fragment,
# from mt-y to its first hop, which the test lets answer pings (mt-v's
# chain stays blocked: mt-w's tunnel never comes up here).
sb_wait_ready 30 mt-n mt-x || fail "mt-n and mt-x ready"
nsenter --net=/var/run/netns/kubsd-mt-x nft insert rule inet kubsd_guest \
    input icmp type echo-request accept 2>"$T/nft.err" ||
    fail "mt-x lets pings in: $(cat "$T/nft.err")"
GW=$(nsenter --net=/var/run/netns/kubsd-mt-y ip -4 route show default |
    awk '{ print $3 }')
if nsenter --net=/var/run/netns/kubsd-mt-y ping -c 3 -i 0.2 -W 3 -M do \
    -s 1272 "$GW" >"$T/ping.out" 2>&1; then
	ok "1300-byte packets to $GW, unfragmented"
else
	fail "1300-byte packets to $GW, unfragmented"; cat "$T/ping.out"
fi
if nsenter --net=/var/run/netns/kubsd-mt-y ping -c 1 -W 1 -M do \
    -s 1273 "$GW" >"$T/ping.out" 2>&1; then
	fail "a 1301-byte packet left mt-y unfragmented"
else
	ok "no 1301-byte packet leaves mt-y unfragmented"
fi

if grep -qi 'sanitizer\|runtime error' "$T/netd.log"; then
	fail "sanitizer report"; grep -i -A5 'sanitizer\|runtime error' "$T/netd.log" | head -20
fi
[ "$FAILED" = 0 ] || { echo "--- netd.log"; tail -30 "$T/netd.log"; }
sb_cleanup
if left=$(sb_leftovers); then ok "nothing left behind"
else fail "left behind:"; echo "$left"; fi
trap - EXIT
[ "$FAILED" = 0 ]
