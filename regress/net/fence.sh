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
# The uplink's fence, live: the test internet I also answers HTTP on a
# cloud's metadata address (169.254.169.254) and on a "home LAN"
# (198.51.100.7) that the uplink excludes.  A VM on a clear (sys-net)
# chain, and the sys-net gateway itself, reach the test internet but
# neither of those; I's HTTP log and a capture on I's side prove that
# nothing of theirs arrived.  With a disposable VM there too, status's
# columns stay aligned; the live graph shows readiness and VM states.
#
# Exit: 0 all checks passed, 77 cannot run here (reason on stderr).
#
cd "$(dirname "$0")/../.." || exit 1
NETD=${KUBSD_NETD_LIVE:-$PWD/kubsd-netd-asan}
NET=${KUBSD_NET:-$PWD/kubsd-net-asan}
KCAP=${KCAP:-$PWD/obj/tools/kcap}
KPROBE=${KPROBE:-$PWD/obj/tools/kprobe}

. regress/lib/need.sh
need_root
need_tools ip nsenter curl python3 nft
need_files "$NETD" "$NET" "$KCAP" "$KPROBE"

SB_PREFIX=f
SB_COMPARTMENTS="gw-a gw-b lanvm throwaway"
. regress/lib/sandbox.sh
FAILED=0
META=169.254.169.254
LAN=198.51.100.7

sb_init || { echo "mktemp failed" >&2; exit 77; }
sb_busy && exit 77
trap sb_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; FAILED=$((FAILED + 1)); }

sb_make_ns || { echo "ip netns add failed" >&2; exit 77; }
# I answers on the metadata address and on the excluded LAN too
inns "$I" ip addr add "$META/32" dev lo &&
inns "$I" ip addr add "$LAN/24" dev lo ||
    { echo "cannot add I's addresses" >&2; exit 77; }
sb_http "hello from the test internet"

# the uplink excludes the LAN (wg-quick's comma habit included)
sb_conf_head "$T/state" gw-a gw-b |
    sed 's|network 192.0.2.0/24 }|network 192.0.2.0/24; exclude 198.51.100.0/24, 203.0.113.0/24 }|' \
    >"$T/netd.conf"
echo 'vm "lanvm" { driver netns; chain "a" }' >>"$T/netd.conf"
echo 'disposable "throwaway" { driver netns; chain "b" }' >>"$T/netd.conf"
grep -q exclude "$T/netd.conf" || { echo "FAIL sandbox uplink line changed"; exit 1; }

if sb_start_netd && sb_wait_ready 30; then ok "netd starts"; else
	fail "netd starts"; cat "$T/netd.log"; exit 1; fi

fetch() {	# compartment address: the page, or nothing
	inns "kubsd-$1" curl -s -m 3 "http://$2:8080/" 2>/dev/null
}
if fetch lanvm 192.0.2.2 | grep -q "test internet"; then
	ok "lanvm reaches the test internet"
else fail "lanvm reaches the test internet"; fi

rm -f "$T/kcap.pid"
inns "$I" "$KCAP" -i eth0 -p "$T/kcap.pid" -o "$T/cap.txt" 2>>"$T/kcap.err" &
CAP=$!
i=0; while [ ! -s "$T/kcap.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
before=$(wc -l <"$T/http.log")
for who in lanvm gw-a; do
	for dst in $META $LAN; do
		if fetch $who $dst | grep -q "test internet"; then
			fail "$who reaches $dst"
		else ok "$who does not reach $dst"; fi
		inns "kubsd-$who" "$KPROBE" udp $dst 9 -t "$who-$dst" >/dev/null 2>&1
	done
done
sleep 0.5
kill "$(cat "$T/kcap.pid")" 2>/dev/null; wait $CAP 2>/dev/null
if tail -n +$((before + 1)) "$T/http.log" | grep -q "^"; then
	fail "requests arrived: $(tail -n +$((before + 1)) "$T/http.log" | head -2)"
else ok "no request to the metadata or the LAN address arrived"; fi
if grep -q 'KTAG-' "$T/cap.txt"; then
	fail "probes crossed the uplink: $(grep -o 'KTAG-[^ ]*' "$T/cap.txt" | sort -u | tr '\n' ' ')"
else ok "no probe to the metadata or the LAN address crossed the uplink"; fi
# and the test internet is still there after the fence was hit
if fetch lanvm 192.0.2.2 | grep -q "test internet"; then
	ok "lanvm still reaches the test internet"
else fail "lanvm still reaches the test internet"; fi

# status: every value starts in its header's column ("disposable" is
# longer than "KIND" once was wide)
"$NET" -s "$SOCK" status >"$T/status.txt" 2>&1
if python3 regress/tools/columns.py "$T/status.txt" " disposable "
then ok "status columns aligned with a disposable VM"
else fail "status columns"; cat "$T/status.txt"; fi

# the live graph: each gateway's readiness, each VM's state
"$NET" -s "$SOCK" graph >"$T/graph.dot" 2>&1
if grep -q '"gw-a" .*ready' "$T/graph.dot" &&
    grep -q '"lanvm" .*chain a carries' "$T/graph.dot" &&
    grep -q '"lanvm" -> "gw-a" .*label="kp-lanvm\\na"' "$T/graph.dot"; then
	ok "kubsd-net graph shows readiness, VM state and one labelled edge per hop"
else fail "kubsd-net graph"; cat "$T/graph.dot"; fi

if grep -qi 'sanitizer\|runtime error' "$T/netd.log"; then
	fail "sanitizer report"; grep -i -A5 'sanitizer\|runtime error' "$T/netd.log" | head -20
fi
[ $FAILED -eq 0 ] || { echo "--- netd.log"; tail -30 "$T/netd.log"; }
exit $((FAILED != 0))
