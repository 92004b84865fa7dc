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
# loader.sh: the libnftables rule loader (pf/load-nft-linux.c), for real,
# in a scratch network namespace kubsd-ld-PID; a second one, kubsd-ld-PID-n,
# normalizes compiled text through nft(8) for comparison.  Both are
# removed on exit; the root namespace's ruleset is never touched.
#
# Exit 0: all passed; 1: a check failed; 77: skipped (not root, no
# namespaces, no ip(8) or nft(8)).

nfail=0
ok()   { echo "ok $*"; }
fail() { echo "FAIL $*"; nfail=$((nfail + 1)); }

if [ "$(id -u)" -ne 0 ]; then
	echo "loader.sh: skipped: needs root" >&2
	exit 77
fi
for c in ip nft; do
	if ! command -v $c >/dev/null 2>&1; then
		echo "loader.sh: skipped: no $c(8)" >&2
		exit 77
	fi
done

T=${TEST_LOADER:-obj-asan/net/test_loader}
NETD=${KUBSD_NETD:-./kubsd-netd}
NS=kubsd-ld-$$
NSN=$NS-n
TMP=$(mktemp -d /tmp/kubsd-loader.XXXXXX) || exit 1

cleanup() {
	ip netns delete "$NS" 2>/dev/null
	ip netns delete "$NSN" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

if ! ip netns add "$NS" 2>/dev/null || ! ip netns add "$NSN" 2>/dev/null
then
	echo "loader.sh: skipped: cannot make a network namespace" >&2
	exit 77
fi
for p in "$T" "$NETD"; do
	[ -x "$p" ] || { echo "loader.sh: $p: no such program"; exit 1; }
done

inns() { ip netns exec "$NS" "$@"; }
tl() { inns "$T" "$@" 2>"$TMP/err"; }

# step DESCRIPTION ARGS...: one test_loader step that must succeed
step() {
	_d=$1
	shift
	if tl "$@" >"$TMP/out"; then ok "$_d"
	else fail "$_d: $(head -n 3 "$TMP/err")"; fi
}

# same DESCRIPTION CONF: what is loaded is CONF's compiled ruleset, as
# nft lists it once loaded into the empty second namespace
same() {
	ip netns exec "$NSN" nft flush ruleset
	"$NETD" -n -t nft -f "$2" >"$TMP/c.nft" &&
	    ip netns exec "$NSN" nft -f "$TMP/c.nft" &&
	    { ip netns exec "$NSN" nft list table inet kubsd
	      ip netns exec "$NSN" nft list table bridge kubsd; } >"$TMP/want"
	tl dump >"$TMP/got"
	# map elements are listed in hash order: compare sorted lines too
	if cmp -s "$TMP/want" "$TMP/got"; then
		ok "$1"
	elif sort "$TMP/want" | tr -d ' \t,' | sort >"$TMP/w2" &&
	    sort "$TMP/got" | tr -d ' \t,' | sort >"$TMP/g2" &&
	    cmp -s "$TMP/w2" "$TMP/g2"; then
		ok "$1 (same lines, other order)"
	else
		fail "$1:"
		diff -u "$TMP/want" "$TMP/got" | head -n 40 | sed 's/^/#   /'
	fi
}

# expect DESCRIPTION PATTERN COMMAND...: COMMAND's output matches PATTERN
expect() {
	_d=$1 _p=$2
	shift 2
	if "$@" 2>&1 | grep -Eq -- "$_p"; then ok "$_d"
	else fail "$_d: /$_p/ not found"; fi
}
noexpect() {
	_d=$1 _p=$2
	shift 2
	if "$@" 2>&1 | grep -Eq -- "$_p"; then fail "$_d: /$_p/ found"
	else ok "$_d"; fi
}

tables() { inns nft list tables | sort | tr '\n' ' '; }

A=$TMP/a.conf B=$TMP/b.conf C=$TMP/c.conf
cp regress/conf/good/design.conf "$A"
# the same, but VM work on chain tor instead of vpn; and offline
sed 's/^vm "work"  { template "debian"; chain "vpn";/vm "work"  { template "debian"; chain "tor";/' \
    "$A" >"$B"
sed 's/^vm "work"  { template "debian"; chain "vpn";/vm "work"  { template "debian"; chain none;/' \
    "$A" >"$C"
cmp -s "$A" "$B" && fail "sed made no second config"
cmp -s "$A" "$C" && fail "sed made no third config"

inns nft -f - <<'EOF'
table inet other {
	chain c {
		type filter hook input priority 0; policy accept;
		tcp dport 22 accept
	}
}
EOF

step "full load" full "$A"
t=$(tables)
if [ "$t" = "table bridge kubsd table inet kubsd table inet other " ]
then ok "tables: kubsd's and other"
else fail "tables: $t"; fi
same "loaded = compiled" "$A"
step "full load again (replaces)" full "$A"
same "loaded = compiled, after a reload" "$A"

step "move of work onto itself" move "$A" "$A" work
same "loaded = compiled, after a move onto itself" "$A"

# attach work to chain tor: one transaction swaps its set elements.
# nft prints several elements to a line, in no fixed order: one per line,
# sorted, so that a line names one element or one rule.
listed() {
	inns nft list ruleset | sed -e 's/elements = { /&\n/' \
	    -e 's/, /\n/g' -e 's/^[[:space:]]*//' -e 's/[[:space:],}]*$//' | sort
}
listed >"$TMP/before"
step "chain switch of work" move "$A" "$B" work
expect "switch: work's source is tied to kd-sys-tor" \
    '"kp-work" \. "kd-sys-tor" \. ' inns nft list set bridge kubsd vmport_ip4
noexpect "switch: no trace of kd-sys-wg for work" '"kp-work" \. "kd-sys-wg"' \
    inns nft list table bridge kubsd
listed >"$TMP/after"
# only set elements changed: every chain's rules are as they were
if diff "$TMP/before" "$TMP/after" | grep '^[<>]' |
    grep -v '"kp-work" \. ' | grep -q .; then
	fail "switch: more than work's elements changed:"
	diff "$TMP/before" "$TMP/after" | head -n 20 | sed 's/^/#   /'
else ok "switch: only work's elements changed"; fi
same "loaded = compiled B, after the switch" "$B"
step "switch back" move "$B" "$A" work
same "loaded = compiled A, after switching back" "$A"

if tl move "$A" "$A" no-such-vm; then fail "move of an unknown name"
else expect "unknown name: error text" "no-such-vm" cat "$TMP/err"; fi
if tl move "$B" "$A" work; then fail "move from what is not loaded"
else expect "a move from what is not loaded names the element" \
    'deleting vmport_.* element of kp-work' cat "$TMP/err"; fi
same "loaded = compiled A, after the refused move" "$A"

step "detach work" move "$A" "$C" work
noexpect "detached: work in no vmport set" '"kp-work" \. ' \
    inns nft list table bridge kubsd
expect "detached: its firewall chain stays" 'chain vm_work' \
    inns nft list table bridge kubsd
expect "detached: vault's dispatch still there" '"kp-vault" : jump vmport_in' \
    inns nft list map bridge kubsd port_in
same "loaded = compiled C, after the detach" "$C"
step "re-attach work" move "$C" "$A" work
same "loaded = compiled, after re-attach" "$A"

# IPv6: VM new moves from the dual chain to the IPv4-only one and back
D=$TMP/d.conf E=$TMP/e.conf
cp regress/conf/good/ipv6.conf "$D"
sed 's/^	chain "dual"$/	chain "v4only"/' "$D" >"$E"
cmp -s "$D" "$E" && fail "sed made no ipv4-only config"
step "ipv6: full load" full "$D"
step "ipv6: move new to v4only" move "$D" "$E" new
noexpect "ipv6: new has no ipv6 elements" '"kp-new"' \
    inns nft list set bridge kubsd vmport_ip6
same "ipv6: loaded = compiled, after the move" "$E"
step "ipv6: move new back" move "$E" "$D" new
expect "ipv6: new's ipv6 source again" '"kp-new" \. "kd-sys-net6" \. .* \. fd00:' \
    inns nft list set bridge kubsd vmport_ip6
same "ipv6: loaded = compiled, after moving back" "$D"

step "remove all" clear
t=$(tables)
if [ "$t" = "table inet other " ]; then ok "tables: only other left"
else fail "tables after remove all: $t"; fi
expect "other table's rule survives" 'tcp dport 22 accept' \
    inns nft list table inet other
step "remove all, nothing loaded" clear
if tl move "$A" "$A" work; then fail "move with nothing loaded"
else expect "move with nothing loaded: the kernel's error" \
    'No such file or directory' cat "$TMP/err"; fi

# scale: a full load and moves with 1000 VMs
if sh regress/genconf.sh 1000 >"$TMP/big.conf"; then
	start=$(date +%s)
	if tl time "$TMP/big.conf" vm500 20 >"$TMP/out"; then
		sed 's/^/# /' "$TMP/out"
		ok "1000 VMs: full load and 20 moves ($(($(date +%s) - start)) s)"
	else
		fail "1000 VMs: $(head -n 3 "$TMP/err")"
	fi
	# every VM blocked and let through again in one transaction each,
	# as a gateway's readiness does (a batch far over a socket buffer)
	sed 's/{ chain "[a-z]*"/{ chain none/' "$TMP/big.conf" >"$TMP/bigoff.conf"
	step "1000 VMs: all blocked at once" moveall "$TMP/big.conf" "$TMP/bigoff.conf"
	n=$(inns nft list set bridge kubsd vmport_ip4 | grep -c '"kp-vm')
	[ "$n" = 0 ] && ok "1000 VMs: no vmport_ip4 element left" ||
	    fail "1000 VMs: $n vmport_ip4 elements left"
	step "1000 VMs: all let through at once" moveall "$TMP/bigoff.conf" "$TMP/big.conf"
	n=$(inns nft list set bridge kubsd vmport_ip4 | grep -c '"kp-vm')
	[ "$n" = 1000 ] && ok "1000 VMs: 1000 vmport_ip4 elements again" ||
	    fail "1000 VMs: $n vmport_ip4 elements"
	same "1000 VMs: loaded = compiled, after both" "$TMP/big.conf"
	step "1000 VMs: remove all" clear
fi
t=$(tables)
[ "$t" = "table inet other " ] || fail "tables at the end: $t"

[ "$nfail" -eq 0 ]
