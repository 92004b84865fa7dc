#!/bin/sh
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

A=$TMP/a.conf B=$TMP/b.conf
cp regress/conf/good/design.conf "$A"
# the same, but VM work on chain tor instead of vpn
sed 's/^vm "work"  { template "debian"; chain "vpn";/vm "work"  { template "debian"; chain "tor";/' \
    "$A" >"$B"
cmp -s "$A" "$B" && fail "sed made no second config"

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

step "port load of work" port "$A" work
same "loaded = compiled, after a port load" "$A"
step "port load of gateway sys-tor" port "$A" sys-tor
step "port load of uplink wan" port "$A" wan
same "loaded = compiled, after gateway/uplink loads" "$A"

# attach work to chain tor: one transaction replaces its chains + elements
step "chain switch of work" port "$B" work
expect "switch: work reaches kd-sys-tor" 'oifname != "kd-sys-tor" drop' \
    inns nft list chain bridge kubsd vm_work
noexpect "switch: no trace of kd-sys-wg in vm_work" 'kd-sys-wg' \
    inns nft list chain bridge kubsd vm_work
expect "switch: port_in still jumps to vm_work" '"kp-work" : jump vm_work' \
    inns nft list map bridge kubsd port_in
same "loaded = compiled B, after the switch" "$B"
step "switch back" port "$A" work
same "loaded = compiled A, after switching back" "$A"

if tl port "$A" no-such-vm; then fail "port load of an unknown name"
else expect "unknown name: error text" "no-such-vm" cat "$TMP/err"; fi
if tl remove "$A" sys-net; then fail "remove of a gateway with uplink rules"
else ok "remove of a gateway with uplink rules refused"; fi

step "remove port work" remove "$A" work
noexpect "removed: no kp-work element" 'kp-work' \
    inns nft list table bridge kubsd
noexpect "removed: no vm_work/to_work chain" 'chain (vm|to)_work' \
    inns nft list table bridge kubsd
expect "removed: vault still there" '"kp-vault" : jump vm_vault' \
    inns nft list map bridge kubsd port_in
step "re-attach work" port "$A" work
same "loaded = compiled, after re-attach" "$A"

step "remove all" clear
t=$(tables)
if [ "$t" = "table inet other " ]; then ok "tables: only other left"
else fail "tables after remove all: $t"; fi
expect "other table's rule survives" 'tcp dport 22 accept' \
    inns nft list table inet other
step "remove all, nothing loaded" clear
if tl port "$A" work; then fail "port load with nothing loaded"
else expect "port load with nothing loaded: nft's error" 'Error' \
    cat "$TMP/err"; fi

# scale: a full load and port loads with 1000 VMs
if sh regress/genconf.sh 1000 >"$TMP/big.conf"; then
	start=$(date +%s)
	if tl time "$TMP/big.conf" vm500 20 >"$TMP/out"; then
		sed 's/^/# /' "$TMP/out"
		ok "1000 VMs: full load and 20 port loads ($(($(date +%s) - start)) s)"
	else
		fail "1000 VMs: $(head -n 3 "$TMP/err")"
	fi
	step "1000 VMs: remove all" clear
fi
t=$(tables)
[ "$t" = "table inet other " ] || fail "tables at the end: $t"

[ "$nfail" -eq 0 ]
