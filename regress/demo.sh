#!/usr/bin/env bash
#
# regress/demo.sh: what kubsd-netd makes of the example configuration,
# offline: the check, the normalized form, the graph and both rule sets,
# then the nftables rules checked by nft(8) in a scratch namespace.
#
# Then live, as root, in namespaces it makes and always removes (see
# regress/lib/sandbox.sh): kubsd-netd runs in a "host" namespace whose
# uplink leads to an "internet" namespace holding the test internet
# (regress/lib/testnet.sh: HTTP, DNS, WireGuard, a private Tor network);
# with a small configuration: gateways gw-a and gw-b (chains a and b),
# the VM "work" on chain a and the offline "vault", all compartments.  It
# shows kubsd-net status, show rules, graph, a fetch from work, moves
# work to chain b, fetches again, tears down and checks that nothing
# is left behind.
#
set -eu
cd "$(dirname "$0")/.."
NETD=${KUBSD_NETD:-./kubsd-netd}
NET=${KUBSD_NET:-./kubsd-net}
CONF=${KUBSD_CONF:-etc/netd.conf}
NS=kubsd-demo-$$
TMP=$(mktemp -d /tmp/kubsd-demo.XXXXXX)

SB_PREFIX=d
SB_COMPARTMENTS="gw-a gw-b work vault"
. regress/lib/sandbox.sh
. regress/lib/testnet.sh

cleanup() {
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
	sb_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

heading() {
	printf '\n===== %s\n\n' "$*"
}

heading "$NETD -n -f $CONF  (check only)"
"$NETD" -n -f "$CONF"

heading "$NETD -nv -f $CONF  (the normalized configuration)"
"$NETD" -nv -f "$CONF"

heading "$NETD -t dot -f $CONF  (the network graph, Graphviz)"
"$NETD" -t dot -f "$CONF"

heading "$NETD -t pf -f $CONF  (pf anchors, OpenBSD)"
"$NETD" -t pf -f "$CONF"

heading "$NETD -t nft -f $CONF  (nftables ruleset, Linux)"
"$NETD" -t nft -f "$CONF" | tee "$TMP/rules.nft"

heading "nft -c -f -  (the ruleset above, checked in namespace $NS)"
if [ "$(id -u)" != 0 ]; then
	echo "skipped: not root"
	heading "live: skipped (not root)"
	exit 0
fi
ip netns add "$NS"
ip netns exec "$NS" nft -c -f - <"$TMP/rules.nft"
echo "nft accepts the ruleset"
ip netns del "$NS"

# ---- live ---------------------------------------------------------------

for t in ip nsenter curl python3 nft; do
	if ! command -v $t >/dev/null; then
		heading "live: skipped (no $t)"
		exit 0
	fi
done
sb_init
if sb_busy; then
	heading "live: skipped (a kubsd runs on this host)"
	exit 0
fi

net() {		# kubsd-net, talking to the sandbox's kubsd-netd
	"$NET" -s "$SOCK" "$@"
}
fetch() {	# $1: compartment
	heading "nsenter --net=/var/run/netns/kubsd-$1 curl http://192.0.2.2:8080/"
	if ! nsenter --net=/var/run/netns/kubsd-$1 \
	    curl -sS -m 5 http://192.0.2.2:8080/; then
		echo "the fetch failed"
		exit 1
	fi
	sleep 0.2
	echo "(the server saw the client as $(tail -n 1 "$T/http.log" |
	    awk '{print $1}'): the host's uplink address)"
}

heading "live: the sandbox"
sb_make_ns
tn_http_start "hello from the demo internet"
tn_start
cat <<EOF
namespace $H	the "host": kubsd-netd runs here; eth0 192.0.2.1/24 is its uplink
namespace $I	the "internet": eth0 192.0.2.2/24 and, from regress/lib/testnet.sh,
	HTTP	$TN_HTTP:$TN_HTTP_PORT, log $TN_HTTP_LOG
	DNS	$TN_DNS:53 (www.test is $TN_HTTP), log $TN_DNS_LOG
	WireGuard	$TN_WG_IF on $TN_WG_ENDPOINT, tunnel $TN_WG_NET, key $TN_WG_PUBKEY
	Tor	authorities $TN_TOR_AUTHS, exits $TN_TOR_EXITS
		(bootstrapping); a client tor appends $TN_TOR_INC
kubsd-net talks to kubsd-netd over $SOCK
EOF

{ sb_conf_head "$T/state" gw-a gw-b; cat <<EOF; } >"$T/netd.conf"
vm "work" { driver netns; chain "a"; firewall { pass out proto tcp to any port 8080 } }
vm "vault" { driver netns; chain none }
EOF
heading "$T/netd.conf  (the demo configuration)"
cat "$T/netd.conf"

heading "$NETD -d -f $T/netd.conf -s $SOCK  (in $H)"
if ! sb_start_netd; then
	echo "kubsd-netd did not start:"
	cat "$T/netd.log"
	exit 1
fi
echo "kubsd-netd is running, pid $NETD_PID"

heading "kubsd-net status"
net status

heading "kubsd-net show rules work  (nftables)"
net show rules work

heading "kubsd-net graph"
net graph

fetch work

heading "kubsd-net attach work b"
net attach work b

heading "kubsd-net status  (after the attach)"
net status

fetch work

heading "kubsd-net teardown -f"
net teardown -f
rc=0
wait "$NETD_PID" || rc=$?
NETD_PID=
echo "kubsd-netd exited ($rc)"
echo "kubsd interfaces left in $H: $(inh ip -o link show group 0x6b75 | wc -l)"
echo "kubsd nft tables left in $H: $(inh nft list tables | grep -c kubsd || :)"

heading "kubsd-netd's log"
cat "$T/netd.log"

heading "the test internet's private Tor network"
if tn_tor_wait 150; then
	echo "a consensus with both exits after ${TN_TOR_BOOT}s:"
	tn_tor_status
	echo "a client tor appends $TN_TOR_INC to its torrc:"
	cat "$TN_TOR_INC"
else
	echo "it did not bootstrap"
fi

heading "the test internet's HTTP log: who connected"
grep -v '^Serving' "$TN_HTTP_LOG" || :

heading "cleanup"
sb_cleanup
if sb_leftovers; then
	echo "nothing left behind"
else
	echo "left behind (see above)"
	exit 1
fi
