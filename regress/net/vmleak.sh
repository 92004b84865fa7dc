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
# kubsd-net leaktest of a QEMU VM, live: one boot of the AppVM "work" on
# the real "minimal" template (regress/template/lib.sh caches it) in the
# sandbox of regress/lib/sandbox.sh, on chain a (compartment gateways
# gw-qa and gw-qb, chains a and b, as regress/net/leaktest.sh has them),
# beside a compartment "qother" on the same segment.
#  - leaktest work passes, every probe sent from inside the VM by
#    kubsd-guest probe through its agent, and captured where it belongs;
#  - a hole in both layers (the host's bridge table for work's tap, and
#    gw-qa's own firewall): leaktest exits 1 naming the probe, which the
#    capture shows out on the uplink;
#  - kubsd-net attach of the running VM to chain b under a stream of
#    tagged probes from inside: the same tap and QEMU, and every probe
#    seen only on the old path's interfaces or only on the new path's.
#
# Exit: 0 all checks passed, 1 a check failed, 77 cannot run here.
#
cd "$(dirname "$0")/../.." || exit 1
NETD=${KUBSD_NETD_LIVE:-$PWD/kubsd-netd-asan}
NET=${KUBSD_NET:-$PWD/kubsd-net-asan}
VM=${KUBSD_VM:-$PWD/kubsd-vm-asan}
KCAP=${KCAP:-$PWD/obj/tools/kcap}

. regress/lib/need.sh
need_root
need_tools ip nsenter curl python3 nft qemu-system-x86_64 qemu-img cpio zstd \
    dpkg-deb
need_qemu_user
need_files "$NETD" "$NET" "$VM" "$KCAP" "$PWD/kubsd-guest"

SB_PREFIX=q
# names of its own: it waits for the sandbox lock rather than skip
SB_COMPARTMENTS="gw-qa gw-qb qother"
. regress/lib/sandbox.sh
FAILED=0

# The template first: a build (a minute) must not hold the sandbox lock.
ROOT=$PWD
. regress/template/lib.sh
tmpl_need minimal

sb_busy && exit 77
SB_LOCKWAIT=${SB_LOCKWAIT:-600}
sb_init || exit 77	# why: on stderr
# QEMUs outlive netd on purpose: the test ends its own.
kcap_stop() {
	[ -f "$T/kcap.pid" ] && kill "$(cat "$T/kcap.pid")" 2>/dev/null
}
VM_CLEANUP_MORE=kcap_stop
. regress/lib/vmtest.sh
sb_busy && exit 77

sb_make_ns || { echo "ip netns add failed" >&2; exit 77; }
sb_http "hello from the test internet"
chmod 755 "$T"		# QEMU's user must reach the state directory
mkdir -p "$T/state/templates"
ln -s "$TMPL" "$T/state/templates/minimal"
{ sb_conf_head "$T/state" gw-qa gw-qb; cat <<EOF; } >"$T/netd.conf"
template "minimal" { recipe minimal }
vm "work" { template "minimal"; chain "a"; memory 192M }
vm "qother" { driver netns; chain "a" }
EOF
sb_start_netd && sb_wait_ready 30 ||
    { fail "netd starts"; cat "$T/netd.log"; exit 1; }

vm() { "$VM" -s "$SOCK" "$@"; }
inside() { "$VM" -s "$SOCK" exec work "$*"; }
field() {	# FIELD of work, from kubsd-vm status -j
	vm status -j work | python3 -c '
import json, sys
print(json.load(sys.stdin)[0].get(sys.argv[1]) or "")' "$1"
}
# leaktest NAME ARGS...: in H; $T/NAME.out, .err, .rc
leaktest() {
	_n=$1; shift
	inh "$NET" -s "$SOCK" leaktest "$@" >"$T/$_n.out" 2>"$T/$_n.err"
	echo $? >"$T/$_n.rc"
}
rc() { cat "$T/$1.rc"; }
show() { sed 's/^/#   /' "$T/$1.out" "$T/$1.err"; }
row() { awk -v p="$2" '$1 == p' "$T/$1.out"; }

leaktest stopped -p 8080 work
[ "$(rc stopped)" = 2 ] &&
    grep -q '^kubsd-net: leaktest: vm "work" is not running$' \
    "$T/stopped.err" && ok "work not started: not running, exit 2" ||
    { fail "leaktest of a stopped vm: exit $(rc stopped)"; show stopped; }

check "work boots on the minimal template" timeout 300 "$VM" -s "$SOCK" \
    start work
[ "$(field state)" = ready ] ||
    { fail "work is not ready"; tail -20 "$T/netd.log"; exit 1; }

# --- leaktest from inside the VM: no leak, each probe where it belongs
_t0=$(date +%s.%N)
leaktest work -p 8080 work
echo "$(date +%s.%N) $_t0" | awk '{ printf "# leaktest work took %.1f s\n", $1 - $2 }'
[ "$(rc work)" = 0 ] && ! grep -q LEAK "$T/work.out" &&
    ok "leaktest work: no leak" || fail "leaktest work: exit $(rc work)"
show work
grep -q '^probes sent from inside vm work, by its agent$' "$T/work.out" &&
    ok "the probes were sent from inside the vm" ||
    fail "not sent from the vm"
for p in tcp udp icmp; do
	case $(row work $p) in
	*kp-work,kd-gw-qa,kp-gw-qa,kb-wan,eth0*kp-work*kd-gw-qa*kp-gw-qa*eth0*ok)
		ok "$p probe from the vm crossed chain a to eth0" ;;
	*) fail "$p probe not seen along the chain: $(row work $p)" ;;
	esac
done
row work tcp | grep -q ' connected ' &&
    ok "the vm's tcp probe connected to the test internet" ||
    fail "tcp probe: $(row work tcp)"
# blocked, and proven sent: seen on the tap only (frames by a raw socket)
for p in dns ipv6 spoof vm-qother host-bridge host-uplink; do
	[ "$(row work $p | awk '{print $(NF-1), $NF}')" = "kp-work ok" ] &&
	    ok "$p probe from the vm: seen on kp-work only" ||
	    fail "$p probe: $(row work $p)"
done

# --- a hole in both layers: work's tap is let through on the host, and
# gw-qa forwards whatever comes
inh nft insert rule bridge kubsd vmport_in iifname kp-work accept
inns kubsd-gw-qa nft insert rule inet kubsd_guest forward accept
leaktest hole -j -p 8080 work
if [ "$(rc hole)" = 1 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = {x["probe"]: x for x in d["probes"]}
assert p["spoof"]["verdict"] == "leak", p["spoof"]
assert "eth0" in p["spoof"]["seen"], p["spoof"]
assert d["leaks"] == sum(x["verdict"] == "leak" for x in d["probes"])
' "$T/hole.out" && [ "$(wc -l <"$T/hole.err")" = 1 ] &&
    grep -q '^kubsd-net: leaktest work: leak: .*probe spoof seen on .*eth0' \
    "$T/hole.err"; then
	ok "both layers open: exit 1, the spoof probe named, out on eth0"
else fail "both layers open: exit $(rc hole)"; show hole; fi
h=$(inh nft -a list chain bridge kubsd vmport_in | sed -n \
    's/^[[:space:]]*iifname "kp-work" accept # handle \([0-9]*\)$/\1/p')
inh nft delete rule bridge kubsd vmport_in handle "$h"
h=$(inns kubsd-gw-qa nft -a list chain inet kubsd_guest forward | sed -n \
    's/^[[:space:]]*accept # handle \([0-9]*\)$/\1/p')
inns kubsd-gw-qa nft delete rule inet kubsd_guest forward handle "$h"

# --- attach under a probe stream: old path or new, nothing between
IFS0=$(inh ip -o link show dev kp-work | cut -d: -f1)
PID=$(field pid)
rm -f "$T/kcap.pid"
inh "$KCAP" -i kp-work -i kd-gw-qa -i kb-gw-qa -i kp-gw-qa -i kd-gw-qb \
    -i kb-gw-qb -i kp-gw-qb -i kp-qother -i kb-wan -i eth0 \
    -f "udp or tcp or icmp" -p "$T/kcap.pid" -o "$T/stream.cap" \
    2>"$T/kcap.err" 9>&- &
_i=0; while [ ! -s "$T/kcap.pid" ] && [ $_i -lt 100 ]; do
	sleep 0.1; _i=$((_i + 1)); done
RUN=s$$
inside "(i=0; while [ \$i -lt 60 ]; do kubsd-guest probe -w 300" \
    "udp,$RUN-\$i-u,192.0.2.2,9,-,- tcp,$RUN-\$i-t,192.0.2.2,8080,-,-;" \
    "i=\$((i + 1)); done; echo end) >/tmp/stream.out 2>&1 &"
sent() { inside "cat /tmp/stream.out 2>/dev/null | grep -c '^probe'"; }
_i=0; while [ "$(sent)" -lt 20 ] && [ $_i -lt 300 ]; do
	sleep 0.1; _i=$((_i + 1)); done
check "attach work b, the stream running" "$NET" -s "$SOCK" attach work b
ended() { inside "grep -qx end /tmp/stream.out"; }
_i=0; while ! ended && [ $_i -lt 1200 ]; do sleep 0.1; _i=$((_i + 1)); done
check "the stream ended" ended
sleep 1
kill "$(cat "$T/kcap.pid")"; wait $! 2>/dev/null
inside cat /tmp/stream.out >"$T/stream.out"
check "the tap is the same (ifindex)" \
    test "$(inh ip -o link show dev kp-work | cut -d: -f1)" = "$IFS0"
check "qemu was not restarted" test "$(field pid)" = "$PID"
if python3 regress/tools/probestream.py "$T/stream.cap" "$RUN" \
    "$T/stream.out" 60 kd-gw-qa,kb-gw-qa,kp-gw-qa kd-gw-qb,kb-gw-qb,kp-gw-qb \
    kp-work,kb-wan,eth0 kb-wan,eth0 kp-gw-qa,kp-gw-qb; then
	ok "every probe seen only on the old path or the new one"
else fail "probes across the attach"; grep -c . "$T/stream.out"; fi
grep -q "tag=.*$RUN-[0-9]*-t" "$T/stream.cap" &&
    awk -v r="$RUN" '$1 == "eth0" && $0 ~ "tag=.*" r "-[0-9]+-t"' \
    "$T/stream.cap" | grep -q . &&
    ok "the vm's tcp probes reached the test internet" ||
    fail "no tcp probe on eth0"

# after the attach: leaktest on chain b passes
leaktest after -p 8080 work
[ "$(rc after)" = 0 ] && row after udp | grep -q 'kd-gw-qb.*kp-gw-qb.*ok$' &&
    ok "leaktest work on chain b: no leak" ||
    { fail "leaktest after the attach: exit $(rc after)"; show after; }

check "teardown -f stops the vm" inh "$NET" -s "$SOCK" teardown -f
_i=0; while kill -0 "$PID" 2>/dev/null && [ $_i -lt 100 ]; do
	sleep 0.1; _i=$((_i + 1)); done
check "its qemu ended" sh -c "! kill -0 $PID 2>/dev/null"
wait "$NETD_PID" 2>/dev/null; NETD_PID=
if grep -qi 'sanitizer\|runtime error' "$T"/*.err "$T/netd.log"; then
	fail "sanitizer report"
	grep -i -A5 'sanitizer\|runtime error' "$T"/*.err "$T/netd.log" | head -20
fi
[ $FAILED -eq 0 ] || { echo "--- netd.log"; tail -30 "$T/netd.log"; }
vm_cleanup
_left=$(sb_leftovers)
[ -z "$_left" ] || { echo "FAIL leftovers: $_left"; FAILED=$((FAILED + 1)); }
exit $((FAILED > 0))
