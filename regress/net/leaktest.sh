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
# tapvm (a tap, no compartment, no qemu) on chain a.  leaktest must pass
# for work and for vault, and fail (exit 1, naming the probe) once the
# test opens a hole in netd's bridge table.
#
# Exit: 0 all checks passed, 1 a check failed, 77 cannot run here.
#
cd "$(dirname "$0")/../.." || exit 1
NETD=${KUBSD_NETD_LIVE:-$PWD/kubsd-netd-asan}
NET=${KUBSD_NET:-$PWD/kubsd-net-asan}

[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
for t in ip nsenter curl python3 nft bridge; do
	command -v $t >/dev/null || { echo "no $t" >&2; exit 77; }
done
for b in "$NETD" "$NET"; do
	[ -x "$b" ] || { echo "FAIL missing $b"; exit 1; }
done

SB_PREFIX=l
SB_COMPARTMENTS="gw-a gw-b work other vault"
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
EOF
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
for p in dns ipv6 spoof vm-other host-bridge host-uplink; do
	case $(row work $p) in
	*" kp-work "*ok|*" - "*ok) ok "$p probe: blocked, judged ok" ;;
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

leaktest vault vault
if [ "$(rc vault)" = 0 ] && grep -q 'chain none: offline' "$T/vault.out"; then
	ok "leaktest vault (offline): no leak"
else fail "leaktest vault: exit $(rc vault)"; fi
show vault

# Errors: exit 2, one line naming the object.
leaktest nosuch nosuch
[ "$(rc nosuch)" = 2 ] && grep -q '^kubsd-net: leaktest: no vm "nosuch"$' "$T/nosuch.err" &&
    ok "no such vm: exit 2, named" || { fail "no such vm"; show nosuch; }
leaktest gw gw-a
[ "$(rc gw)" = 2 ] && grep -q 'no vm "gw-a"' "$T/gw.err" &&
    ok "a gateway is not a vm: exit 2" || { fail "leaktest gw-a"; show gw; }
leaktest tapvm tapvm
[ "$(rc tapvm)" = 2 ] && grep -q '^kubsd-net: leaktest: vm "tapvm" has no compartment$' "$T/tapvm.err" &&
    ok "a qemu vm: no compartment, exit 2" || { fail "leaktest tapvm"; show tapvm; }
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

if grep -qi 'sanitizer\|runtime error' "$T"/*.err "$T/netd.log"; then
	fail "sanitizer report"; grep -i -A5 'sanitizer\|runtime error' "$T"/*.err | head -20
fi
[ $FAILED -eq 0 ] || { echo "--- netd.log"; tail -30 "$T/netd.log"; }
exit $((FAILED != 0))
