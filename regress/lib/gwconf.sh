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
# sys-tor, sys-torvpn, sys-wg (all compartments, sys-tor and sys-torvpn
# with the private network's torrc include, sys-wg with KEYFILE and the
# test internet's WireGuard server as its peer) and chains clear, tor,
# vpn and tor-over-vpn; VM-LINES are appended.
gw_conf() {
	cat <<EOF2
pool 10.66.0.0/16
statedir "$1"
uplink "wan" { interface "eth0"; network 192.0.2.0/24; resolver $TN_DNS }
gateway "sys-net" { role sys-net; driver netns }
gateway "sys-tor" { role tor; driver netns; torrc include "$TN_TOR_INC" }
gateway "sys-torvpn" { role tor; driver netns; torrc include "$TN_TOR_INC" }
gateway "sys-wg" {
	role wireguard
	driver netns
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
