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
# kubsd-netd live, in namespaces this script makes and always removes:
#   H  the "host" where kubsd-netd runs (its eth0 is the uplink)
#   I  the "internet" behind it: an HTTP server on 192.0.2.2:8080
#   kubsd-*  the compartments netd creates (gateways gw-a, gw-b; VMs)
# Captures (kcap) on I's side prove what crossed the uplink.
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

SB_PREFIX=t
SB_COMPARTMENTS="gw-a gw-b work other vault"
. regress/lib/sandbox.sh
FAILED=0

# Compartment names are global: refuse to run over a live kubsd (once
# the sandbox lock is ours: another test's compartments may still be
# going away).
sb_init || exit 77	# why: on stderr
sb_busy && exit 77
trap sb_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; FAILED=$((FAILED + 1)); }

sb_make_ns || { echo "ip netns add failed" >&2; exit 77; }
sb_http "hello from the test internet"

write_conf() {	# $1: file, $2: work's chain, $3: extra line
	{ sb_conf_head "$T/state" gw-a gw-b; cat <<EOF; } >"$1"
vm "work" { driver netns; chain "$2"; firewall { pass out proto tcp to any port 8080; pass out proto udp to any port 9; block out proto tcp to any port 8081 } }
vm "other" { driver netns; chain "a" }
vm "vault" { driver netns; chain none }
$3
EOF
}
write_conf "$T/netd.conf" a

start_netd() { sb_start_netd && sb_wait_ready 30; }

# An uplink interface that does not exist: netd refuses to start, with
# one line naming it (and has changed nothing).
sed 's/interface "eth0"/interface "eth9"/' "$T/netd.conf" >"$T/eth9.conf"
out=$(inh timeout 10 "$NETD" -d -f "$T/eth9.conf" -s "$T/eth9.sock" 2>&1); rc=$?
if [ $rc != 0 ] && [ "$(echo "$out" | wc -l)" = 1 ] &&
    echo "$out" | grep -q 'eth9.conf:[0-9]*: uplink wan: no interface "eth9"' &&
    ! inh nft list tables | grep -q kubsd; then
	ok "a missing uplink interface: netd refuses to start ($out)"
else fail "missing uplink interface: exit $rc: $out"
	inh nft delete table inet kubsd 2>/dev/null; inh nft delete table bridge kubsd 2>/dev/null; fi

if start_netd; then ok "netd starts"; else
	fail "netd starts"; cat "$T/netd.log"; exit 1; fi

addr_of() {	# the address netd gave a node
	"$NET" -s "$SOCK" status -j | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if n["name"] == sys.argv[1]: print(n.get("address") or "")' "$1"
}
WORK=$(addr_of work); OTHER=$(addr_of other); GWA=$(addr_of gw-a)
[ -n "$WORK" ] && [ -n "$OTHER" ] && ok "status -j names addresses" ||
    fail "status -j names addresses"

fetch() {	# $1: compartment; prints the page or nothing
	inns "kubsd-$1" curl -s -m 3 http://192.0.2.2:8080/ 2>/dev/null
}
if fetch work | grep -q "test internet"; then ok "work reaches the internet via a"
else fail "work reaches the internet via a"; fi
if tail -n 1 "$T/http.log" | grep -q '^192\.0\.2\.1 '; then
	ok "the server sees only the host's uplink address"
else fail "the server sees only the host's uplink address"; fi

# Probes that must not leave: captured on the internet side.
capture_start() {	# [ns [iface]]: default the internet side of the uplink
	rm -f "$T/kcap.pid"
	inns "${1:-$I}" "$KCAP" -i "${2:-eth0}" -p "$T/kcap.pid" -o "$T/cap.txt" 2>>"$T/kcap.err" &
	CAP=$!
	i=0; while [ ! -s "$T/kcap.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
}
capture_stop() {	# the pid file names kcap itself, not the shell around it
	sleep 0.5
	kill "$(cat "$T/kcap.pid")" 2>/dev/null
	wait $CAP 2>/dev/null
}

capture_start
inns kubsd-work "$KPROBE" udp 192.0.2.2 9 -t allowed >/dev/null
inns kubsd-work "$KPROBE" tcp 192.0.2.2 8081 -t fwblocked -w 500 >/dev/null
inns kubsd-work "$KPROBE" dns 192.0.2.2 -t foreigndns -w 500 >/dev/null
inns kubsd-work "$KPROBE" udp 192.0.2.2 9 -t spoofip -s 10.66.0.99 >/dev/null
inns kubsd-vault "$KPROBE" udp 192.0.2.2 9 -t offline >/dev/null 2>&1
inns kubsd-work "$KPROBE" raw6 2001:db8::2 9 -t ipv6 -I eth0 >/dev/null 2>&1
inns kubsd-work "$KPROBE" tcp "$OTHER" 22 -t c2c -w 500 >/dev/null
capture_stop
grep -q 'tag=KTAG-allowed' "$T/cap.txt" && ok "allowed probe seen on the uplink" ||
    fail "allowed probe seen on the uplink"
for tag in fwblocked foreigndns spoofip offline ipv6 c2c; do
	if grep -q "KTAG-$tag" "$T/cap.txt"; then
		fail "probe $tag leaked to the uplink"
	else ok "probe $tag blocked"; fi
done
if inns kubsd-work curl -s -m 2 "http://$OTHER:8080/" >/dev/null 2>&1; then
	fail "client to client"; else ok "client to client blocked"; fi
if inns kubsd-work "$KPROBE" tcp 192.0.2.1 22 -t host -w 500 | grep -q connected; then
	fail "client to host"; else ok "client to host blocked"; fi

# The loaded ruleset is what the compiler prints (normalized by nft).
inh nft list table inet kubsd >"$T/live.nft" 2>&1
inh nft list table bridge kubsd >>"$T/live.nft" 2>&1
ip netns add kubsd-tc-$$
"$NETD" -n -t nft -f "$T/netd.conf" | ip netns exec kubsd-tc-$$ nft -f - &&
{ ip netns exec kubsd-tc-$$ nft list table inet kubsd
  ip netns exec kubsd-tc-$$ nft list table bridge kubsd; } >"$T/compiled.nft" 2>&1
ip netns del kubsd-tc-$$
if diff -u "$T/compiled.nft" "$T/live.nft" >"$T/drift.diff"; then
	ok "no drift between the compiler and the loaded rules"
else fail "drift between compiler and loaded rules"; head -20 "$T/drift.diff"; fi

# attach: switch work to chain b while it sends a steady stream; every
# probe must be seen only on the old path or the new one, in the host.
capture_start $H any
( n=0; while [ $n -lt 40 ]; do
	inns kubsd-work "$KPROBE" udp 192.0.2.2 9 -t "s$n" >/dev/null 2>&1
	n=$((n + 1)); sleep 0.05; done ) &
STREAM=$!
sleep 0.5
if "$NET" -s "$SOCK" attach work b >"$T/attach.out" 2>&1; then ok "attach work b"
else fail "attach work b: $(cat "$T/attach.out")"; fi
wait $STREAM
capture_stop
bad=$(grep 'tag=KTAG-s' "$T/cap.txt" | awk '
	$1 !~ /^(kp-work|kb-gw-a|kd-gw-a|kp-gw-a|kb-gw-b|kd-gw-b|kp-gw-b|kb-wan|eth0)$/')
seen_a=$(grep 'tag=KTAG-s' "$T/cap.txt" | grep -c '^kd-gw-a ')
seen_b=$(grep 'tag=KTAG-s' "$T/cap.txt" | grep -c '^kd-gw-b ')
if [ -z "$bad" ] && [ "$seen_a" -gt 0 ] && [ "$seen_b" -gt 0 ]; then
	ok "during attach: probes on the old path ($seen_a) or the new ($seen_b), nowhere else"
else fail "during attach: old $seen_a new $seen_b elsewhere: $bad"; fi
if fetch work | grep -q "test internet"; then ok "work reaches the internet via b"
else fail "work reaches the internet via b"; fi
# After the attach (rules replaced for one port only) the kernel holds
# what loading netd's whole ruleset afresh would give.
inh nft list table inet kubsd >"$T/live2.nft" 2>&1
inh nft list table bridge kubsd >>"$T/live2.nft" 2>&1
ip netns add kubsd-tc-$$
"$NET" -s "$SOCK" show rules -t nft | ip netns exec kubsd-tc-$$ nft -f - &&
{ ip netns exec kubsd-tc-$$ nft list table inet kubsd
  ip netns exec kubsd-tc-$$ nft list table bridge kubsd; } >"$T/compiled2.nft" 2>&1
ip netns del kubsd-tc-$$
if diff -u "$T/compiled2.nft" "$T/live2.nft" >"$T/drift2.diff"; then
	ok "no drift after attach"
else fail "drift after attach"; head -20 "$T/drift2.diff"; fi
# Someone removes one of work's elements by hand: the next attach finds
# the kernel out of line, loads the whole ruleset instead, and works.
inh nft delete element bridge kubsd vmport_path '{ "kp-work" . "kd-gw-b" }'
if "$NET" -s "$SOCK" attach work a >/dev/null 2>&1 &&
    grep -q 'attach work: deleting vmport_path element of kp-work.*loading the whole ruleset' "$T/netd.log" &&
    fetch work | grep -q "test internet"; then
	ok "an element removed by hand: the attach loads the whole ruleset, work gets out via a"
else fail "attach after an element was removed by hand"; tail -3 "$T/netd.log"; fi
"$NET" -s "$SOCK" attach work b >/dev/null 2>&1 ||
    fail "attach work b again"
# A spoofed source MAC: the same allowed probe, from another MAC.
# (ip, not /sys: nsenter --net keeps the host's sysfs)
MAC=$(inns kubsd-work ip -o link show eth0 | sed 's/.*link\/ether \([0-9a-f:]*\).*/\1/')
inns kubsd-work ip link set eth0 address 02:00:00:00:be:ef
capture_start
inns kubsd-work "$KPROBE" udp 192.0.2.2 9 -t spoofmac >/dev/null
capture_stop
inns kubsd-work ip link set eth0 address "$MAC"
if grep -q 'KTAG-spoofmac' "$T/cap.txt"; then fail "probe spoofmac leaked"
else ok "probe spoofmac blocked"; fi
i=0; while [ $i -lt 10 ] && ! fetch work | grep -q "test internet"; do
	i=$((i + 1)); inns kubsd-work ip neigh show >>"$T/neigh.txt"; done
if [ $i -lt 10 ]; then ok "work works again with its own MAC (after $i retries)"
else fail "work after its MAC ($MAC) was restored"; tail -2 "$T/neigh.txt"; fi
# An offline VM attached, then detached again.
if "$NET" -s "$SOCK" attach vault a >/dev/null 2>&1 && fetch vault | grep -q "test internet"; then
	ok "attach vault a: the offline VM gets out"
else fail "attach vault a"; fi
if "$NET" -s "$SOCK" detach vault >/dev/null 2>&1 && ! fetch vault | grep -q "test internet"; then
	ok "detach vault: offline again"
else fail "detach vault"; fi
if "$NET" -s "$SOCK" attach work nosuch 2>&1 | grep -q 'no chain "nosuch"'; then
	ok "attach to a missing chain is refused, naming it"
else fail "attach to a missing chain"; fi

# A reload with a broken config changes nothing.
inh nft list ruleset >"$T/before.nft"
cp "$T/netd.conf" "$T/good.conf"
write_conf "$T/netd.conf" b 'vm "broken" { chain "nosuch" }'
"$NET" -s "$SOCK" reload >"$T/reload.out" 2>&1
inh nft list ruleset >"$T/after.nft"
if cmp -s "$T/before.nft" "$T/after.nft" && grep -q 'nothing changed' "$T/reload.out" &&
    grep -q "netd.conf:[0-9]*: .*nosuch" "$T/reload.out" &&
    grep -q "kubsd-netd[^:]*: .*netd.conf:[0-9]*: .*nosuch" "$T/netd.log"; then
	ok "broken reload changes nothing, logs and replies file:line"
else fail "broken reload: $(cat "$T/reload.out")"; fi
cp "$T/good.conf" "$T/netd.conf"

# A reload without "other" would detach it: refused, naming it; forced,
# it removes its port, compartment and /etc/netns directory; putting it
# back brings them back.
grep -v '^vm "other"' "$T/good.conf" >"$T/netd.conf"
"$NET" -s "$SOCK" reload >"$T/reload.out" 2>&1
if grep -q 'would detach 1 running vm (other); nothing changed (use -f)' "$T/reload.out" &&
    inh ip link show kp-other >/dev/null 2>&1; then
	ok "a reload that would detach other is refused, naming it"
else fail "reload detaching other: $(cat "$T/reload.out")"; fi
"$NET" -s "$SOCK" reload -f >/dev/null 2>&1
if ! inh ip link show kp-other >/dev/null 2>&1 &&
    ! ip netns list | grep -q '^kubsd-other\b' && [ ! -e /etc/netns/kubsd-other ]; then
	ok "reload -f removes a vm's port, compartment and /etc/netns/kubsd-other"
else fail "reload left vm other behind"; fi
cp "$T/good.conf" "$T/netd.conf"
"$NET" -s "$SOCK" reload >/dev/null 2>&1
if fetch other | grep -q "test internet"; then ok "reload brings vm other back"
else fail "vm other after reload"; fi

# An empty configuration: refused; forced, nothing is left, the gateway
# compartments and their guests included; the good one again carries
# traffic through every chain, its guests set up anew (no SIGHUP by hand).
count_ifs() { inh ip -o link show group 0x6b75 | wc -l; }
: >"$T/netd.conf"
"$NET" -s "$SOCK" reload >"$T/reload.out" 2>&1
if grep -q 'would detach 2 running vms (.*) and remove every node; nothing changed' "$T/reload.out" &&
    [ "$(count_ifs)" -gt 0 ]; then ok "an empty reload is refused"
else fail "empty reload: $(cat "$T/reload.out")"; fi
"$NET" -s "$SOCK" reload -f >"$T/reload.out" 2>&1 || fail "reload -f: $(cat "$T/reload.out")"
left="$(count_ifs) interfaces"
for c in $SB_COMPARTMENTS; do
	ip netns list | grep -q "^kubsd-$c\b" && left="$left, compartment $c"
	[ -e "/etc/netns/kubsd-$c" ] && left="$left, /etc/netns/kubsd-$c"
done
for g in gw-a gw-b; do
	[ -e "$T/state/gateways/$g" ] && left="$left, bundle $g"
done
pgrep -f "kubsd-guest.* -d $T/state" >/dev/null && left="$left, a guest"
if [ "$left" = "0 interfaces" ]; then ok "reload -f of an empty configuration leaves nothing"
else fail "empty reload -f left $left"; fi
cp "$T/good.conf" "$T/netd.conf"
if "$NET" -s "$SOCK" reload >"$T/reload.out" 2>&1 && sb_wait_ready 30 &&
    fetch work | grep -q "test internet" && fetch other | grep -q "test internet"; then
	ok "the good configuration again: work (b) and other (a) get out"
else fail "after the empty reload: $(cat "$T/reload.out")"; fi

# The socket refuses an unprivileged user.
if command -v setpriv >/dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$NET" -s "$SOCK" status 2>&1)
	case $out in *"permission denied"*) ok "unprivileged user refused" ;;
	*) fail "unprivileged user: $out" ;; esac
fi

# kill -9: everything stays blocked; restart reconciles, no duplicates.
before=$(count_ifs)
kill -9 $NETD_PID; wait $NETD_PID 2>/dev/null; NETD_PID=
capture_start
inns kubsd-vault "$KPROBE" udp 192.0.2.2 9 -t deadoffline >/dev/null 2>&1
inns kubsd-work "$KPROBE" udp 192.0.2.2 9 -t deadspoof -s 10.66.0.99 >/dev/null
capture_stop
grep -q 'KTAG-dead' "$T/cap.txt" && fail "leak while netd is dead" ||
    ok "netd dead: still blocked"
rm -f "$SOCK"
if start_netd; then ok "netd restarts"; else fail "netd restarts"; tail "$T/netd.log"; fi
after=$(count_ifs)
[ "$before" = "$after" ] && ok "restart adopts: $after interfaces, no duplicates" ||
    fail "interfaces before $before, after restart $after"
if fetch other | grep -q "test internet"; then ok "other still works after restart"
else fail "other after restart"; fi
if "$NET" -s "$SOCK" status -j | grep -A12 '"name": "work"' | grep -q '"chain": "b"' &&
    fetch work | grep -q "test internet"; then
	ok "restart keeps work where attach put it (chain b)"
else fail "work's attachment lost on restart"; fi

# The uplink's interface goes down: netd follows it (status says
# "down", the chains through it carry nothing, its gateways are not
# ready, the VMs are blocked); up again, everything carries again.
js() {	# a python expression on the status JSON d
	"$NET" -s "$SOCK" status -j | python3 -c '
import json, sys
d = json.load(sys.stdin)
node = {n["name"]: n for n in d["nodes"]}
chain = {c["name"]: c for c in d["chains"]}
print(eval(sys.argv[1]))' "$1"
}
inh ip link set eth0 down
i=0; while [ $i -lt 30 ] && [ "$(js 'node["wan"]["state"]')" != down ]; do
	sleep 0.1; i=$((i + 1)); done
sleep 0.5
"$NET" -s "$SOCK" status >"$T/status-down.txt" 2>&1
"$NET" -s "$SOCK" show rules work >"$T/rules-down.txt" 2>&1
if [ "$(js 'node["wan"]["state"], chain["a"]["carrying"], chain["b"]["carrying"], node["gw-a"]["ready"], node["gw-b"]["ready"]')" = "('down', False, False, False, False)" ] &&
    grep -q '^chain a: not carrying' "$T/status-down.txt" &&
    grep -q '^wan: last error: interface eth0 is down' "$T/status-down.txt" &&
    grep -q '# blocked: ' "$T/rules-down.txt"; then
	ok "uplink down: status says so, chains a and b not carrying, gateways not ready, work blocked"
else fail "uplink down"; cat "$T/status-down.txt"; head -3 "$T/rules-down.txt"; fi
inh ip link set eth0 up
inh ip route replace default via 192.0.2.2
if sb_wait_ready 30 && [ "$(js 'node["wan"]["state"], chain["b"]["carrying"]')" = "('up', True)" ] &&
    fetch work | grep -q "test internet"; then
	ok "uplink up again: work gets out"
else fail "uplink up again"; "$NET" -s "$SOCK" status; fi

# A dead guest's "ready" is no one's: netd restarts while gw-b's guest
# is dead and its status file still says ready; the new guest (a stub
# that never reports) is not ready, and work's chain b stays blocked.
status_of() { "$NET" -s "$SOCK" status -j | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if n["name"] == sys.argv[1]: print(n.get("guest", ""))' "$1"; }
GWB=$T/state/gateways/gw-b
kill -9 $NETD_PID; wait $NETD_PID 2>/dev/null; NETD_PID=
kill -9 "$(cat "$GWB/guest.pid")" 2>/dev/null
mkdir -p "$T/bin" && cp "$NETD" "$T/bin/" && cat >"$T/bin/kubsd-guest" <<'EOF2'
#!/bin/bash
echo $$ >"$2/guest.pid"
exec -a kubsd-guest-stub sleep 3600
EOF2
chmod +x "$T/bin/kubsd-guest"
was=$(head -n 1 "$GWB/status")
rm -f "$SOCK"
REAL_NETD=$NETD; NETD=$T/bin/$(basename "$NETD")
sb_start_netd || fail "netd with the stub guest starts"
NETD=$REAL_NETD
i=0; while [ $i -lt 30 ] && ! grep -q . "$GWB/guest.pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
sleep 1
st=$(status_of gw-b)
"$NET" -s "$SOCK" show rules work >"$T/stale-rules.txt" 2>&1
case $st in starting*) live=1 ;; *) live= ;; esac
if [ "$was" = ready ] && [ -n "$live" ] &&
    grep -q 'chain not ready' "$T/stale-rules.txt" && ! fetch work | grep -q "test internet"; then
	ok "a dead guest's old ready is not believed: gw-b $st, chain b blocked"
else fail "stale readiness: status file '$was', gw-b '$st'"; cat "$T/stale-rules.txt"
	tail -3 "$GWB/guest.log"; ps -o pid,args -p "$(cat "$GWB/guest.pid")"
	ls -la "$T/bin"; sleep 2; status_of gw-b; fi
# A guest that fails at start-up (its status an error, then it exits):
# netd starts it again after five seconds, and status shows its error
# whole, however long, not just "down".
long="error bundle.conf:3: private key file /nonexistent/$(printf '%0100d' 0)/wg.key: no such file or directory"
cat >"$T/bin/kubsd-guest" <<EOF2
#!/bin/bash
printf '%s\npid %s 0\n' '$long' \$\$ >"\$2/status"
exit 1
EOF2
kill -9 "$(cat "$GWB/guest.pid")" 2>/dev/null
i=0; while [ $i -lt 150 ] && ! status_of gw-b | grep -qF "$long"; do sleep 0.1; i=$((i + 1)); done
"$NET" -s "$SOCK" status >"$T/status-err.txt" 2>&1
if status_of gw-b | grep -qF "$long" && grep -qF "gw-b: last error: ${long#error }" "$T/status-err.txt"; then
	ok "a guest's start-up error shows in status whole (${#long} characters)"
else fail "start-up error: gw-b '$(status_of gw-b)'"; cat "$T/status-err.txt"; fi
kill -9 $NETD_PID; wait $NETD_PID 2>/dev/null; NETD_PID=
kill -9 "$(cat "$GWB/guest.pid")" 2>/dev/null
rm -f "$SOCK"
if start_netd && fetch work | grep -q "test internet"; then ok "the real guest back: work via b"
else fail "after the stub guest: $(status_of gw-b)"; fi

# teardown: refused while attached, then forced; nothing left behind.
# (The guests the kill -9s above orphaned are init's, and init here may
# reap them late: only zombies from now on, and not of those, count.)
SB_ZOMBIES0=$(sb_guest_zombies; ps -eo pid=,ppid=,comm= |
    awk '$2 == 1 && $3 ~ /^kubsd-guest/ { print $1 }')
"$NET" -s "$SOCK" teardown >"$T/td.out" 2>&1 && fail "teardown while attached" ||
    ok "teardown refused while attached"
"$NET" -s "$SOCK" teardown -f >"$T/td.out" 2>&1 || fail "teardown -f: $(cat "$T/td.out")"
wait $NETD_PID 2>/dev/null; NETD_PID=
if sb_kubsd_leftovers >"$T/left.txt"; then
	ok "teardown leaves nothing (forwarding back to $SB_FWD0, no /etc/netns, no guest)"
else fail "teardown left: $(cat "$T/left.txt")"; fi
if grep -qi 'sanitizer\|runtime error' "$T/netd.log"; then
	fail "sanitizer report"; grep -i -A5 'sanitizer\|runtime error' "$T/netd.log" | head -20
fi

[ $FAILED -eq 0 ] || { echo "--- netd.log"; tail -30 "$T/netd.log"; }
exit $((FAILED != 0))
