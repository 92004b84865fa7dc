#!/usr/bin/env bash
#
# regress/demo.sh: what kubsd-netd makes of the example configuration,
# offline: the check, the normalized form, the graph and both rule sets,
# then the nftables rules checked by nft(8) in a scratch namespace.
#
set -eu
cd "$(dirname "$0")/.."
NETD=${KUBSD_NETD:-./kubsd-netd}
CONF=${KUBSD_CONF:-etc/netd.conf}
NS=kubsd-demo-$$
TMP=$(mktemp -d /tmp/kubsd-demo.XXXXXX)
cleanup() {
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
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
	exit 0
fi
ip netns add "$NS"
ip netns exec "$NS" nft -c -f - <"$TMP/rules.nft"
echo "nft accepts the ruleset"
