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

# kcap-test.sh: kcap and kprobe between two scratch network namespaces.
#
# Namespaces kubsd-kc-$$-a and kubsd-kc-$$-b, joined by a veth pair
# (kca 192.0.2.1/24 <-> kcb 192.0.2.2/24), are removed on any exit.
# kprobe sends tagged probes from a; kcap captures on b's side; every
# probe must be seen with the right protocol, and nothing else.
# Binaries: $KCAP and $KPROBE (default obj/tools/kcap and obj/tools/kprobe).
# Exit 0 if all checks pass, 1 if one fails, 77 if it cannot run here.

KCAP=${KCAP:-obj/tools/kcap}
KPROBE=${KPROBE:-obj/tools/kprobe}
A=kubsd-kc-$$-a
B=kubsd-kc-$$-b

if [ "$(id -u)" != 0 ]; then
	echo "skip: kcap-test.sh needs root (network namespaces, raw sockets)"
	exit 77
fi
for f in "$KCAP" "$KPROBE"; do
	if [ ! -x "$f" ]; then
		echo "FAIL $f is not built"
		exit 1
	fi
done
case $KCAP in /*) ;; *) KCAP=$PWD/$KCAP ;; esac
case $KPROBE in /*) ;; *) KPROBE=$PWD/$KPROBE ;; esac

tmp=$(mktemp -d /tmp/kcap-test.XXXXXX) || exit 1
bgpids=
cleanup() {
	for p in $bgpids; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

if ! ip netns add "$A" 2>"$tmp/err"; then
	echo "skip: cannot create a network namespace: $(cat "$tmp/err")"
	exit 77
fi
ip netns add "$B" &&
ip -n "$A" link add kca type veth peer name kcb netns "$B" &&
ip -n "$A" addr add 192.0.2.1/24 dev kca &&
ip -n "$B" addr add 192.0.2.2/24 dev kcb &&
ip -n "$A" link set lo up && ip -n "$A" link set kca up &&
ip -n "$B" link set lo up && ip -n "$B" link set kcb up || {
	echo "FAIL cannot set up the namespaces"
	exit 1
}

npass=0
nfail=0
ok() { echo "ok $*"; npass=$((npass + 1)); }
nok() { echo "FAIL $*"; nfail=$((nfail + 1)); }
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
# has FILE ERE / hasnt FILE ERE
has() { grep -Eq -- "$2" "$1"; }
hasnt() { ! grep -Eq -- "$2" "$1"; }

# start_cap NAME NS ARGS...: run kcap in NS, wait until it is ready.
start_cap() {
	n=$1
	ns=$2
	shift 2
	ip netns exec "$ns" "$KCAP" -p "$tmp/$n.pid" -o "$tmp/$n.out" "$@" \
	    2>"$tmp/$n.err" &
	eval "pid_$n=$!"
	bgpids="$bgpids $!"
	i=0
	while [ ! -s "$tmp/$n.pid" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$(eval echo \$pid_$n)" 2>/dev/null
		then
			nok "kcap $n did not get ready: $(cat "$tmp/$n.err")"
			return 1
		fi
		sleep 0.1
	done
	[ "$(cat "$tmp/$n.pid")" = "$(eval echo \$pid_$n)" ] ||
	    nok "kcap $n: pid file does not hold its pid"
}

# stop_cap NAME: SIGTERM, then kcap must exit 0.
stop_cap() {
	p=$(eval echo \$pid_$1)
	kill -TERM "$p"
	wait "$p"
	check "kcap $1 exits 0 on SIGTERM" [ $? -eq 0 ]
}

# probe EXPECTED ARGS...: kprobe from namespace a, check its word.
probe() {
	want=$1
	shift
	got=$(ip netns exec "$A" "$KPROBE" "$@" 2>"$tmp/probe.msg")
	rc=$?
	[ -s "$tmp/probe.msg" ] && cat "$tmp/probe.msg" >>"$tmp/stderr.kprobe"
	check "kprobe $* says $want (got '$got', rc $rc)" \
	    eval '[ $rc -eq 0 ] && [ "$got" = "$want" ]'
}

# A listener that never accepts: the kernel completes the handshake and
# queues the data, which is all a tcp probe needs.
ip netns exec "$B" perl -MSocket -e '
	socket(S, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
	setsockopt(S, SOL_SOCKET, SO_REUSEADDR, 1);
	bind(S, sockaddr_in(8080, inet_aton("192.0.2.2"))) or die "bind: $!";
	listen(S, 5) or die "listen: $!";
	sleep 60;' &
bgpids="$bgpids $!"
i=0
until ip netns exec "$B" ss -Hltn 'sport = :8080' | grep -q 8080; do
	i=$((i + 1))
	[ $i -gt 50 ] && { nok "no tcp listener in $B"; break; }
	sleep 0.1
done

echo "# captures on kcb in $B, probes from $A"
start_cap main "$B" -i kcb -W "$tmp/main.pcap"
start_cap any "$B" -i any -j
start_cap filt "$B" -i kcb -f 'udp'
start_cap local "$A" -i lo -i kca
check "kcap prints '# ready' on stderr" has "$tmp/main.err" '^# ready$'

probe connected tcp 192.0.2.2 8080 -t kc-tcp
probe refused tcp 192.0.2.2 8081 -t kc-tcpref
probe sent udp 192.0.2.2 9999 -t kc-udp
probe refused udp 192.0.2.2 9998 -t kc-udpref -w 1000
probe reply icmp 192.0.2.2 -t kc-icmp
probe refused dns 192.0.2.2 -t kc-dns
probe sent udp 192.0.2.2 9 -t kc-spoof -s 198.51.100.7
probe sent raw6 2001:db8::2 -t kc-raw6 -I kca -s 2001:db8::1
# sent, but to a's own address: it goes over a's lo, never over the veth
probe sent udp 192.0.2.1 9 -t kc-local
sleep 0.3
for n in main any filt local; do
	stop_cap $n
done

m=$tmp/main.out
echo "# kcb, text:"
sed 's/^/#   /' "$m"
check "tcp probe seen as tcp with its tag" has "$m" \
    '^kcb - tcp 192\.0\.2\.1:[0-9]+ > 192\.0\.2\.2:8080 len=[0-9]+ flags=[A-Z]+ tag=KTAG-kc-tcp mac=[0-9a-f:]{17}>[0-9a-f:]{17}$'
check "refused tcp probe: SYN seen, RST back, no data" has "$m" \
    '^kcb - tcp 192\.0\.2\.2:8081 > 192\.0\.2\.1:[0-9]+ .*flags=RA'
check "refused tcp probe: its tag never crossed" hasnt "$m" 'KTAG-kc-tcpref'
check "udp probe seen as udp with its tag" has "$m" \
    '^kcb - udp 192\.0\.2\.1:[0-9]+ > 192\.0\.2\.2:9999 len=[0-9]+ tag=KTAG-kc-udp mac='
check "port unreachable seen as icmp 3/3, untagged" has "$m" \
    '^kcb - icmp 192\.0\.2\.2 > 192\.0\.2\.1 len=[0-9]+ icmp=3/3 mac='
check "icmp echo request seen as icmp with its tag" has "$m" \
    '^kcb - icmp 192\.0\.2\.1 > 192\.0\.2\.2 len=[0-9]+ icmp=8/0 tag=KTAG-kc-icmp '
check "icmp echo reply seen as icmp with its tag" has "$m" \
    '^kcb - icmp 192\.0\.2\.2 > 192\.0\.2\.1 len=[0-9]+ icmp=0/0 tag=KTAG-kc-icmp '
check "dns probe seen as udp/53 with name and tag" has "$m" \
    '^kcb - udp 192\.0\.2\.1:[0-9]+ > 192\.0\.2\.2:53 len=[0-9]+ dns=KTAG-kc-dns\.example\. tag=KTAG-kc-dns '
check "spoofed udp probe seen from its forged source" has "$m" \
    '^kcb - udp 198\.51\.100\.7:[0-9]+ > 192\.0\.2\.2:9 len=[0-9]+ tag=KTAG-kc-spoof '
check "raw6 probe seen as IPv6 udp" has "$m" \
    '^kcb - udp \[2001:db8::1\]:[0-9]+ > \[2001:db8::2\]:9 len=[0-9]+ tag=KTAG-kc-raw6 '
check "arp seen as arp" has "$m" '^kcb - arp 192\.0\.2\.[12] > 192\.0\.2\.[12] '
tags() { grep -o 'tag=[^ ]*' "$1" | sort | uniq -c | awk '{print $1, $2}' | sort; }
want=$(printf '%s\n' "2 tag=KTAG-kc-icmp" "1 tag=KTAG-kc-dns" \
    "1 tag=KTAG-kc-raw6" "1 tag=KTAG-kc-spoof" "1 tag=KTAG-kc-tcp" \
    "1 tag=KTAG-kc-udp" "1 tag=KTAG-kc-udpref" | sort)
check "each tag seen once per crossing, and no other tag" \
    [ "$(tags "$m")" = "$want" ]

# negative: a probe sent elsewhere, and one never sent, are not seen
check "probe to a's own address seen on a's lo" has "$tmp/local.out" \
    '^lo - udp 192\.0\.2\.1:[0-9]+ > 192\.0\.2\.1:9 .*tag=KTAG-kc-local'
check "one kcap on two interfaces: udp probe seen leaving kca" has \
    "$tmp/local.out" '^kca - udp 192\.0\.2\.1:[0-9]+ > 192\.0\.2\.2:9999 .*tag=KTAG-kc-udp '
check "probe to a's own address not seen on kca" hasnt "$tmp/local.out" '^kca .*kc-local'
check "probe to a's own address not seen on kcb" hasnt "$m" 'kc-local'
check "probe to a's own address not seen on b's any" hasnt "$tmp/any.out" 'kc-local'
check "a probe never sent is not seen" hasnt "$m" 'kc-never'

# -i any: SLL2 names the interface and gives the direction
a=$tmp/any.out
check "any: udp probe came in on kcb" has "$a" \
    '"if":"kcb","dir":"in","proto":"udp","src":"192\.0\.2\.1","sport":[0-9]+,"dst":"192\.0\.2\.2","dport":9999,.*"tag":"KTAG-kc-udp"'
check "any: echo reply went out on kcb" has "$a" \
    '"if":"kcb","dir":"out","proto":"icmp","src":"192\.0\.2\.2",.*"icmp":"0/0",.*"tag":"KTAG-kc-icmp"'
check "any: dns name in json" has "$a" '"dns":"KTAG-kc-dns\.example\."'
if command -v python3 >/dev/null 2>&1; then
	check "any: every line is a JSON object" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    assert isinstance(json.loads(l), dict)' "$a"
fi

# BPF filter: only udp crossed the filter
f=$tmp/filt.out
check "filter 'udp': udp and dns probes seen" \
    eval 'has "$f" "tag=KTAG-kc-udp " && has "$f" "tag=KTAG-kc-dns "'
check "filter 'udp': tcp, icmp and arp not seen" \
    eval 'hasnt "$f" "KTAG-kc-tcp|KTAG-kc-icmp" && hasnt "$f" " (tcp|icmp|arp) "'

# the saved capture reads back to the same lines
"$KCAP" -r "$tmp/main.pcap" >"$tmp/r.out" 2>"$tmp/r.err"
check "-r exits 0" [ $? -eq 0 ]
sed 's/^kcb /- /' "$m" >"$tmp/main.dash"
check "-r prints what the live capture printed" cmp -s "$tmp/r.out" "$tmp/main.dash"
"$KCAP" -r "$tmp/main.pcap" -f 'icmp and icmp[icmptype] = icmp-echo' \
    >"$tmp/r2.out" 2>/dev/null
check "-r with a filter: just the echo request" \
    eval '[ "$(wc -l <"$tmp/r2.out")" -eq 1 ] &&
    has "$tmp/r2.out" "^- - icmp 192\.0\.2\.1 > .* icmp=8/0 tag=KTAG-kc-icmp "'

# -c and -w end the capture by themselves
start_cap count "$B" -i kcb -c 2 -w 20 -f icmp
probe reply icmp 192.0.2.2 -t kc-c1
probe reply icmp 192.0.2.2 -t kc-c2
wait "$pid_count"
rc=$?
check "-c 2 exits 0 after two packets" \
    eval '[ $rc -eq 0 ] && [ "$(wc -l <"$tmp/count.out")" -eq 2 ]'
start=$(date +%s)
start_cap timed "$B" -i kcb -w 1
wait "$pid_timed"
rc=$?
check "-w 1 exits 0 within about a second" \
    eval '[ $rc -eq 0 ] && [ $(($(date +%s) - start)) -le 3 ]'

# errors name the interface and leave no pid file
ip netns exec "$B" "$KCAP" -i nosuch0 -p "$tmp/e.pid" >/dev/null 2>"$tmp/e.msg"
rc=$?
check "no such interface: exit $rc, '$(cat "$tmp/e.msg")'" \
    eval '[ $rc -ne 0 ] && has "$tmp/e.msg" "nosuch0: no such interface" && [ ! -e "$tmp/e.pid" ]'
ip netns exec "$B" "$KCAP" -i kcb -f 'udp and (' -p "$tmp/e.pid" >/dev/null 2>"$tmp/e.msg"
rc=$?
check "bad filter: exit $rc, '$(cat "$tmp/e.msg")'" \
    eval '[ $rc -ne 0 ] && has "$tmp/e.msg" "kcb: bad filter" && [ ! -e "$tmp/e.pid" ]'
ip netns exec "$A" "$KPROBE" udp 192.0.2.2 -t 'bad tag' >/dev/null 2>&1
check "kprobe refuses a tag kcap could not read" [ $? -eq 2 ]

# nothing but "# ..." lines on stderr (sanitizer reports would land here)
cat "$tmp"/*.err | grep -v '^# ' >"$tmp/stderr.kcap"
grep -h 'Sanitizer\|runtime error' "$tmp"/*.msg >>"$tmp/stderr.kcap"
for f in kcap kprobe; do
	touch "$tmp/stderr.$f"
	check "$f wrote no warnings or sanitizer reports" [ ! -s "$tmp/stderr.$f" ]
	sed 's/^/#   /' "$tmp/stderr.$f"
done

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
