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

# make bench, part 2: the gateways, in front of the test internet
# (regress/lib/testnet.sh), as root in namespaces this script makes and
# always removes.  Prints only: no timing here is a pass or a fail.
#
#  - from "kubsd-net attach VM CHAIN" to the first byte of a page, on
#    chain tor (the bootstrapped private Tor network) and chain vpn
#    (WireGuard), median of 5 each;
#  - TCP throughput (iperf3) through the WireGuard gateway compartment,
#    against the plain routed compartment (sys-net) in the same run.
cd "$(dirname "$0")/../.." || exit 1
NETD=$PWD/kubsd-netd
NET=$PWD/kubsd-net
skip() { echo; echo "== gateway benchmarks skipped: $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root"
for t in ip nsenter curl python3 nft tor wireguard-go wg iperf3; do
	command -v $t >/dev/null || skip "no $t"
done
[ -x "$PWD/kubsd-guest" ] || skip "no kubsd-guest"

SB_PREFIX=b
SB_COMPARTMENTS="sys-net sys-tor sys-torvpn sys-wg bench"
. regress/lib/sandbox.sh
. regress/lib/testnet.sh
. regress/lib/gwconf.sh
sb_init || skip "no sandbox (see above)"
sb_busy && skip "a kubsd runs here"
trap sb_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
net() { "$NET" -s "$SOCK" "$@"; }
ms() { date +%s%3N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }

sb_make_ns || skip "ip netns add failed"
tn_start || { tn_logs; skip "the test internet did not start"; }
wg genkey >"$T/wg.key" && chmod 600 "$T/wg.key"
tn_wg_peer "$(wg pubkey <"$T/wg.key")"
gw_conf "$T/state" "$T/wg.key" 'vm "bench" { driver netns; chain none }' \
    >"$T/netd.conf"
tn_tor_wait 180 || { tn_logs; skip "the private Tor network did not bootstrap"; }
NETD=$NETD sb_start_netd || skip "kubsd-netd did not start"
sb_wait_ready 180 || skip "the gateways did not get ready"

# first_byte CHAIN: ms from the attach to curl's first byte of the page
# where the page is, per chain: through the tunnel, the server's tunnel
# address (the endpoint's own address is routed outside the tunnel)
host_for() { [ "$1" = vpn ] && echo "$TN_WG_SERVER" || echo "$TN_HTTP"; }
first_byte() {
	t0=$(ms)
	net attach bench "$1" >/dev/null || { echo fail; return; }
	t1=$(ms)
	fb=$(inns kubsd-bench curl -s -o /dev/null -m 30 \
	    -w '%{time_starttransfer}' "http://$(host_for "$1"):$TN_HTTP_PORT/")
	net attach bench none >/dev/null
	# the attach's round trip, then curl's own time to its first byte
	awk -v a="$t0" -v b="$t1" -v f="$fb" 'BEGIN {
		if (f + 0 == 0) { print "fail"; exit }
		printf "%.0f\n", b - a + f * 1000 }' </dev/null
}
for c in tor vpn; do
	: >"$T/fb.$c"
	for i in 1 2 3 4 5; do first_byte $c >>"$T/fb.$c"; done
done

echo
echo "== attach to the first byte of a page (ms, median of 5; each run: attach VM CHAIN, curl, attach VM none)"
printf '%-12s %10s %10s %10s\n' chain median min max
for c in tor vpn; do
	grep -q fail "$T/fb.$c" && { printf '%-12s %10s\n' $c failed; continue; }
	printf '%-12s %10s %10s %10s\n' $c "$(median <"$T/fb.$c")" \
	    "$(sort -n "$T/fb.$c" | head -1)" "$(sort -n "$T/fb.$c" | tail -1)"
done

# Throughput: the same client, through sys-wg, then through sys-net.
set -- $(gw_throughput 1e9)
wgv=$1 plain=$2
pct=$(awk -v a="$wgv" -v b="$plain" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }')
echo
echo "== TCP through a gateway compartment (iperf3 to the test internet, median of 3 alternating 3 s runs)"
printf '%-36s %10s\n' path Gbit/s
printf '%-36s %10s\n' "chain vpn (sys-wg, wireguard-go)" "$wgv"
printf '%-36s %10s\n' "chain clear (sys-net, routed)" "$plain"
printf '%-36s %10s\n' "wireguard / plain (%)" "$pct"
