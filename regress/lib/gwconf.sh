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

# regress/lib/gwconf.sh: the netd.conf the gateway test and the demo
# share, in front of the test internet (regress/lib/testnet.sh, whose
# tn_start must have run).  Sourced; POSIX sh.
#
# gw_conf STATEDIR KEYFILE [VM-LINES]: prints it.  Gateways sys-net,
# sys-tor, sys-torvpn, sys-wg (compartments, or QEMU VMs on the minimal
# template with GW_DRIVER=qemu; sys-tor and sys-torvpn with the private
# network's torrc include, sys-wg with KEYFILE and the test internet's
# WireGuard server as its peer) and chains clear, tor, vpn and
# tor-over-vpn; VM-LINES are appended.
#
# gw_demo_conf STATEDIR KEYFILE [MORE-LINES]: the demo's topology (make
# demo, make bench): those gateways as QEMU VMs, the AppVM "personal" on
# the debian template (chain tor) and the disposable "browse" on minimal
# (chain vpn).  The templates must be in STATEDIR/templates.
gw_demo_conf() {
	GW_DRIVER=qemu gw_conf "$1" "$2" "template \"minimal\" { recipe minimal }
template \"debian\" { recipe debian }
vm \"personal\" { template \"debian\"; chain \"tor\"; memory 512M }
disposable \"browse\" { template \"minimal\"; chain \"vpn\"; memory 256M }
${3:-}"
}

gw_conf() {
	cat <<EOF2
pool 10.66.0.0/16
statedir "$1"
uplink "wan" { interface "eth0"; network 192.0.2.0/24; resolver $TN_DNS }
gateway "sys-net" { role sys-net; driver ${GW_DRIVER:-netns} }
gateway "sys-tor" { role tor; driver ${GW_DRIVER:-netns}; torrc include "$TN_TOR_INC" }
gateway "sys-torvpn" { role tor; driver ${GW_DRIVER:-netns}; torrc include "$TN_TOR_INC" }
gateway "sys-wg" {
	role wireguard
	driver ${GW_DRIVER:-netns}
	wireguard {
		private key file "$2"
		address $TN_WG_CLIENT/32
		dns $TN_WG_SERVER
		peer "testvpn" {
			public key "$TN_WG_PUBKEY"
			endpoint ${TN_WG_ENDPOINT%:*} port ${TN_WG_ENDPOINT#*:}
			allowed ips { 0.0.0.0/0 }
			persistent keepalive 5
		}
	}
}
chain "clear" { "sys-net" "wan" }
chain "tor" { "sys-tor" "sys-net" "wan" }
chain "vpn" { "sys-wg" "sys-net" "wan" }
chain "tor-over-vpn" { "sys-torvpn" "sys-wg" "sys-net" "wan" }
${3:-}
EOF2
}

# pss_mb PID: what the process costs, its proportional set size in MB.
pss_mb() {
	awk '/^Pss:/ { print int($2 / 1024) }' "/proc/$1/smaps_rollup" \
	    2>/dev/null || echo 0
}

# gw_vms_wait T0 SECS [N]: until N (default 4) gateways say ready in
# kubsd-netd's status ($NET, $SOCK), at most SECS; each printed once as
# "NAME ready (ROLE) after S s" (seconds since T0, date +%s); $T/ready.seen
# lists them.  1 on timeout.
gw_vms_wait() {
	: >"$T/ready.seen"
	_i=0
	while [ $_i -lt $(($2 * 5)) ]; do
		"$NET" -s "$SOCK" status -j 2>/dev/null | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if n["kind"] == "gateway" and n.get("ready"):
        print(n["name"], n.get("role", ""))' >"$T/ready.now" || :
		while read -r _g _r; do
			grep -qx "$_g" "$T/ready.seen" && continue
			echo "$_g ready ($_r) after $(($(date +%s) - $1)) s"
			echo "$_g" >>"$T/ready.seen"
		done <"$T/ready.now"
		[ "$(wc -l <"$T/ready.seen")" -ge "${3:-4}" ] && return 0
		sleep 0.2; _i=$((_i + 1))
	done
	return 1
}

# gw_throughput DIVISOR: TCP from the compartment "bench" to the test
# internet's iperf3 in $I, through chain vpn and chain clear in turn
# (three 3 s runs each, bench attached before each); prints the two
# medians "VPN CLEAR" in bits/s divided by DIVISOR (1e6: Mbit/s).
gw_throughput() {
	_w= _p=
	for _r in 1 2 3; do
		_w="$_w $(gw_iperf vpn "$1")"
		_p="$_p $(gw_iperf clear "$1")"
	done
	"$NET" -s "$SOCK" attach bench none >/dev/null
	echo "$(gw_med3 $_w) $(gw_med3 $_p)"
}
gw_med3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
gw_iperf() {	# CHAIN DIVISOR
	"$NET" -s "$SOCK" attach bench "$1" >/dev/null
	_h=$TN_HTTP
	[ "$1" = vpn ] && _h=$TN_WG_SERVER
	inns "$I" timeout 30 iperf3 -s -1 -B 0.0.0.0 -p 5202 >/dev/null 2>&1 &
	sleep 0.5
	inns kubsd-bench timeout 30 iperf3 -c "$_h" -p 5202 -t 3 -J \
	    2>/dev/null | python3 -c '
import json, sys
try: print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / float(sys.argv[1])))
except Exception: print("0")' "$2"
	wait $!
}
