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
# kubsd-net leaktest live, in a sandbox (regress/lib/sandbox.sh): the
# host H runs kubsd-netd with sys-net gateways gw-a and gw-b (chains a,
# b); VMs work and other on chain a, vault offline, and a qemu VM
# tapvm (a tap, never started) on chain a; six on chain b6
# (gw-b, ipv6 yes).  leaktest must pass for work, six and vault, and
# fail (exit 1, naming the probe) once the test opens a hole in netd's
# bridge table, or exit 2 for a probe it could not test.  six carries
# IPv6 to the test internet (NAT66 at the uplink); work carries none.
#
# Exit: 0 all checks passed, 1 a check failed, 77 cannot run here.
#
cd "$(dirname "$0")/../.." || exit 1
NETD=${KUBSD_NETD_LIVE:-$PWD/kubsd-netd-asan}
NET=${KUBSD_NET:-$PWD/kubsd-net-asan}

. regress/lib/need.sh
need_root
need_tools ip nsenter curl python3 nft bridge
need_files "$NETD" "$NET"

SB_PREFIX=l
SB_COMPARTMENTS="gw-a gw-b work other vault six"
. regress/lib/sandbox.sh
FAILED=0

# Another sandbox up: skip at once; else wait for the lock, within the
# runner's time limit, and look again once we hold it.
sb_busy && exit 77
SB_LOCKWAIT=${SB_LOCKWAIT:-200}
sb_init || exit 77	# why: on stderr
trap sb_cleanup EXIT
sb_busy && exit 77
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; FAILED=$((FAILED + 1)); }

sb_make_ns || { echo "ip netns add failed" >&2; exit 77; }
sb_http "hello from the test internet"
{ sb_conf_head "$T/state" gw-a gw-b; cat <<EOF; } >"$T/netd.conf"
vm "work" { driver netns; chain "a" }
vm "other" { driver netns; chain "a" }
vm "vault" { driver netns; chain none }
vm "tapvm" { driver qemu; chain "a" }
chain "b6" { "gw-b" "wan"; ipv6 yes }
vm "six" { driver netns; chain "b6" }
EOF
FWD6=$(inh sysctl -n net.ipv6.conf.all.forwarding)
sb_start_netd && sb_wait_ready 30 ||
    { fail "netd starts"; cat "$T/netd.log"; exit 1; }

# leaktest NAME ARGS...: run it in H; $T/NAME.out, .err, .rc
leaktest() {
	_n=$1; shift
	inh "$NET" -s "$SOCK" leaktest "$@" >"$T/$_n.out" 2>"$T/$_n.err"
	echo $? >"$T/$_n.rc"
}
rc() { cat "$T/$1.rc"; }
show() { sed 's/^/#   /' "$T/$1.out" "$T/$1.err"; }
row() {	# row NAME PROBE: the table row of a probe
	awk -v p="$2" '$1 == p' "$T/$1.out"
}

# The HTTP server listens on 8080 behind the uplink (the default target:
# the uplink's next hop, 192.0.2.2).
leaktest work -p 8080 work
if [ "$(rc work)" = 0 ] && ! grep -q LEAK "$T/work.out"; then
	ok "leaktest work: no leak"
else fail "leaktest work: exit $(rc work)"; fi
show work
for p in tcp udp icmp; do
	case $(row work $p) in
	*kp-work*kd-gw-a*kp-gw-a*eth0*ok) ok "$p probe crossed the chain to eth0 (it was captured)" ;;
	*) fail "$p probe not seen along the chain: $(row work $p)" ;;
	esac
done
row work tcp | grep -q ' connected ' && ok "tcp probe connected to the target" ||
    fail "tcp probe: $(row work tcp)"
# blocked, and proven sent: seen on work's own port, nowhere else
for p in dns ipv6 spoof vm-other host-bridge host-uplink; do
	case $(row work $p | awk '{print $(NF-1), $NF}') in
	"kp-work ok") ok "$p probe: seen on kp-work only, blocked, judged ok" ;;
	*) fail "$p probe: $(row work $p)" ;;
	esac
done

leaktest json -j -p 8080 work
if [ "$(rc json)" = 0 ] && python3 -m json.tool "$T/json.out" >/dev/null &&
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["vm"] == "work" and d["leaks"] == 0, d
p = {x["probe"]: x for x in d["probes"]}
assert "eth0" in p["udp"]["seen"] and "eth0" in p["udp"]["expected"], p["udp"]
assert p["dns"]["expected"] == ["kp-work"] and p["dns"]["verdict"] == "ok"
assert all(x["tag"].startswith("KTAG-") for x in d["probes"])' "$T/json.out"; then
	ok "leaktest -j: JSON, no leak"
else fail "leaktest -j: exit $(rc json)"; show json; fi

# From another namespace (here the runner's): leaktest enters netd's.
"$NET" -s "$SOCK" leaktest -p 8080 work >"$T/outside.out" 2>"$T/outside.err"
rc=$?
[ $rc = 0 ] && grep -q '^udp .*eth0.* ok$' "$T/outside.out" &&
    ok "leaktest from outside netd's namespace: runs in it, no leak" ||
    { fail "leaktest from outside: exit $rc"; sed 's/^/#   /' "$T/outside.out" "$T/outside.err"; }

# A probe that never reaches work's port proves nothing: work's eth0
# drops its UDP to port 9 (the udp and spoof probes) on the way out,
# after the send succeeded.
inns kubsd-work nft -f - <<'EOF'
table netdev ktest {
	chain e {
		type filter hook egress device "eth0" priority 0; policy accept;
		udp dport 9 drop
	}
}
EOF
leaktest untested -p 8080 work
if [ "$(rc untested)" = 2 ] &&
    [ "$(row untested udp | awk '{print $(NF-1), $NF}')" = "- untested" ] &&
    [ "$(row untested tcp | awk '{print $NF}')" = ok ] &&
    grep -q '^kubsd-net: leaktest work: untested: .*probe udp not seen on kp-work' "$T/untested.err"; then
	ok "a probe never seen on the vm port: untested, exit 2"
else fail "a probe never seen: exit $(rc untested)"; fi
show untested
inns kubsd-work nft delete table netdev ktest

# IPv6 on chain b6: six has its address and route, fetches from the
# test internet's IPv6 server, which sees the host's uplink address.
inns kubsd-six ip -6 route show default | grep -q "via fd6b:" &&
    ok "six: an IPv6 default route via its gateway" ||
    fail "six: no IPv6 default route: $(inns kubsd-six ip -6 route)"
page=$(inns kubsd-six curl -6 -s -m 5 "http://[$SB_I6]:8080/" || :)
[ "$page" = "hello from the test internet" ] &&
    grep -q "^$SB_H6 .*GET / " "$T/http.log" &&
    ok "six fetches over IPv6 from the test internet (NAT66: from $SB_H6)" ||
    { fail "six over IPv6: '$page'"; tail -3 "$T/http.log"; }
# the capture: leaktest's ipv6 probe crosses the chain out of eth0
leaktest six -p 8080 -t 192.0.2.2 -t "$SB_I6" six
[ "$(rc six)" = 0 ] && ok "leaktest six: exit 0" ||
    fail "leaktest six: exit $(rc six)"
[ "$(row six ipv6 | awk '{print $(NF-1), $NF}')" = \
    "kp-six,kd-gw-b,kp-gw-b,kb-wan,eth0 ok" ] &&
    ok "six's ipv6 probe captured along the chain to the uplink" ||
    fail "six's ipv6 probe: $(row six ipv6)"
show six
# chain a has no ipv6: work has no IPv6 address or route, and its ipv6
# probe to the same server is blocked at its port
[ -z "$(inns kubsd-work ip -6 addr show scope global)" ] &&
    ! inns kubsd-work ip -6 route show default | grep -q . &&
    ok "work (no ipv6): no global IPv6 address, no route" ||
    fail "work has IPv6: $(inns kubsd-work ip -6 addr)"
leaktest work6 -p 8080 -t 192.0.2.2 -t "$SB_I6" work
[ "$(rc work6)" = 0 ] &&
    [ "$(row work6 ipv6 | awk '{print $(NF-1), $NF}')" = "kp-work ok" ] &&
    ok "work's ipv6 probe to $SB_I6: sent, blocked at kp-work" ||
    { fail "work's ipv6 probe: exit $(rc work6)"; show work6; }
[ "$(grep -c "^$SB_H6 " "$T/http.log")" = 1 ] &&
    ok "the IPv6 server saw one request, six's" ||
    fail "IPv6 requests: $(grep -c "^$SB_H6 " "$T/http.log")"

leaktest vault vault
if [ "$(rc vault)" = 0 ] && grep -q 'chain none: offline' "$T/vault.out"; then
	ok "leaktest vault (offline): no leak"
else fail "leaktest vault: exit $(rc vault)"; fi
# offline, every probe goes as a frame: seen on vault's port, blocked
for p in tcp udp icmp dns ipv6 spoof host-bridge host-uplink; do
	[ "$(row vault $p | awk '{print $(NF-1), $NF}')" = "kp-vault ok" ] ||
	    { fail "vault's $p probe: $(row vault $p)"; continue; }
	ok "vault's $p probe: seen on kp-vault only"
done
show vault

# Errors: exit 2, one line naming the object.
leaktest nosuch nosuch
[ "$(rc nosuch)" = 2 ] && grep -q '^kubsd-net: leaktest: no vm "nosuch"$' "$T/nosuch.err" &&
    ok "no such vm: exit 2, named" || { fail "no such vm"; show nosuch; }
leaktest gw gw-a
[ "$(rc gw)" = 2 ] && grep -q 'no vm "gw-a"' "$T/gw.err" &&
    ok "a gateway is not a vm: exit 2" || { fail "leaktest gw-a"; show gw; }
leaktest tapvm tapvm
[ "$(rc tapvm)" = 2 ] && grep -q '^kubsd-net: leaktest: vm "tapvm" is not running$' "$T/tapvm.err" &&
    ok "a qemu vm not started: not running, exit 2" || { fail "leaktest tapvm"; show tapvm; }
leaktest usage -x work
[ "$(rc usage)" = 2 ] && grep -q '^kubsd-net: usage: leaktest' "$T/usage.err" &&
    ok "usage: exit 2" || { fail "usage"; show usage; }

# A hole for client -> host: the host's bridge accepts work's frames.
inh nft insert rule bridge kubsd input iifname "kp-work" accept
leaktest hole -p 8080 work
if [ "$(rc hole)" = 1 ] && row hole host-bridge | grep -q 'kb-gw-a.*LEAK$' &&
    [ "$(wc -l <"$T/hole.err")" = 1 ] &&
    grep -q '^kubsd-net: leaktest work: leak: .*probe host-bridge seen on kb-gw-a' "$T/hole.err"; then
	ok "client -> host hole: exit 1, host-bridge named as a leak"
else fail "client -> host hole: exit $(rc hole)"; fi
show hole
h=$(inh nft -a list chain bridge kubsd input | sed -n 's/.*"kp-work" accept # handle \([0-9]*\)/\1/p')
inh nft delete rule bridge kubsd input handle "$h"

# A hole for client -> client: work's port may forward to other's.
OTHERMAC=$(inh "$NET" -s "$SOCK" status -j | python3 -c '
import json, sys
print([n["mac"] for n in json.load(sys.stdin)["nodes"] if n["name"] == "other"][0])')
inh bridge link set dev kp-work isolated off
inh bridge link set dev kp-other isolated off
inh nft insert rule bridge kubsd vmport_in iifname kp-work ether daddr "$OTHERMAC" accept
leaktest c2c -p 8080 work
if [ "$(rc c2c)" = 1 ] && row c2c vm-other | grep -q 'kp-other.*LEAK$' &&
    grep -q 'probe vm-other seen on kp-other' "$T/c2c.err"; then
	ok "client -> client hole: exit 1, vm-other named as a leak"
else fail "client -> client hole: exit $(rc c2c)"; fi
show c2c
h=$(inh nft -a list chain bridge kubsd vmport_in | sed -n 's/.*"kp-work" ether daddr .* accept # handle \([0-9]*\)$/\1/p' | head -1)
inh nft delete rule bridge kubsd vmport_in handle "$h"
inh bridge link set dev kp-work isolated on
inh bridge link set dev kp-other isolated on

# A hole for everything work sends: dns, the forged source and ipv6
# reach the gateway.
inh nft insert rule bridge kubsd vmport_in iifname kp-work accept
leaktest open -j -p 8080 work
if [ "$(rc open)" = 1 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
leaks = sorted(p["probe"] for p in d["probes"] if p["verdict"] == "leak")
assert d["leaks"] == len(leaks) and "dns" in leaks and "spoof" in leaks, leaks' "$T/open.out"; then
	ok "work's port open: exit 1, dns and spoof leak"
else fail "work's port open: exit $(rc open)"; show open; fi
h=$(inh nft -a list chain bridge kubsd vmport_in | sed -n 's/^[[:space:]]*iifname "kp-work" accept # handle \([0-9]*\)$/\1/p' | head -1)
inh nft delete rule bridge kubsd vmport_in handle "$h"

leaktest again -p 8080 work
[ "$(rc again)" = 0 ] && ok "holes closed: no leak again" ||
    { fail "after closing the holes: exit $(rc again)"; show again; }

# The host forwards IPv6 while an uplink carries it; teardown restores it.
[ "$(inh sysctl -n net.ipv6.conf.all.forwarding)" = 1 ] &&
    ok "the host forwards IPv6" || fail "the host does not forward IPv6"
inh "$NET" -s "$SOCK" teardown -f >/dev/null 2>&1
wait "$NETD_PID" 2>/dev/null; NETD_PID=
[ "$(inh sysctl -n net.ipv6.conf.all.forwarding)" = "$FWD6" ] &&
    ok "teardown restores net.ipv6.conf.all.forwarding ($FWD6)" ||
    fail "after teardown: forwarding $(inh sysctl -n net.ipv6.conf.all.forwarding), was $FWD6"

if grep -qi 'sanitizer\|runtime error' "$T"/*.err "$T/netd.log"; then
	fail "sanitizer report"; grep -i -A5 'sanitizer\|runtime error' "$T"/*.err | head -20
fi
[ $FAILED -eq 0 ] || { echo "--- netd.log"; tail -30 "$T/netd.log"; }
exit $((FAILED != 0))
