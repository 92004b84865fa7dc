#!/usr/bin/env bash
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
# regress/run.sh [group ...]: the kubsd test runner.
#
# One line per test: "ok NAME", "FAIL NAME (reason)" followed by a diff or
# the output, or "skip NAME (why)"; then one summary line.  Exits 1 if any
# test failed.  Without arguments every group runs, in the order of TEST_GROUPS.
#
# Environment:
#	KUBSD_NETD	the kubsd-netd to test (default ./kubsd-netd-asan if
#			built, else ./kubsd-netd)
#	KUBSD_GUEST	the kubsd-guest to test (likewise)
#	REGRESS_UPDATE=1  rewrite the existing .ok/.err files instead of
#			comparing (create an empty NAME.pf.ok first to start one)
#	FUZZ_SECONDS	how long each fuzzer runs (default 20; 0 skips)
#	NET_TIMEOUT	time limit of each regress/net/*.sh (default 900 s: the gateway test boots a Tor network)
#
# Adding a group: write a function t_NAME that calls ok/fail/skip once per
# test (or skip once for the whole group when its inputs do not exist yet),
# and add NAME to TEST_GROUPS.

TEST_GROUPS="bad good roundtrip nft guest obsd unit template menu net fuzz man install"

set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
MAKE=${MAKE:-make}

if [ -n "${KUBSD_NETD:-}" ]; then
	NETD=$(cd "$(dirname "$KUBSD_NETD")" && pwd)/$(basename "$KUBSD_NETD")
elif [ -x "$ROOT/kubsd-netd-asan" ]; then
	NETD=$ROOT/kubsd-netd-asan
else
	NETD=$ROOT/kubsd-netd
fi
export KUBSD_NETD=$NETD
if [ -n "${KUBSD_GUEST:-}" ]; then
	GUEST=$(cd "$(dirname "$KUBSD_GUEST")" && pwd)/$(basename "$KUBSD_GUEST")
elif [ -x "$ROOT/kubsd-guest-asan" ]; then
	GUEST=$ROOT/kubsd-guest-asan
else
	GUEST=$ROOT/kubsd-guest
fi
export KUBSD_GUEST=$GUEST
# A sanitizer report must never look like an expected "exit 1".
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=99:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-exitcode=99:print_stacktrace=1}

TMP=$(mktemp -d /tmp/kubsd-regress.XXXXXX) || exit 1
export TMPDIR=$TMP
NS=kubsd-chk-$$
NS_MADE=
cleanup() {
	[ -n "$NS_MADE" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

npass=0 nfail=0 nskip=0

ok() {
	echo "ok $1"
	npass=$((npass + 1))
}

# fail NAME REASON [EXPECTED GOT]: with two files, show their diff.
fail() {
	echo "FAIL $1 ($2)"
	nfail=$((nfail + 1))
	if [ $# -ge 4 ]; then
		diff -u "$3" "$4" | head -n 80 | sed 's/^/    /'
	fi
}

# fail_out NAME REASON FILE...: show the end of some output.
fail_out() {
	local name=$1 reason=$2
	shift 2
	echo "FAIL $name ($reason)"
	nfail=$((nfail + 1))
	# the failed checks first (and what a test says why, "  why: ..."),
	# then the end of the output
	cat "$@" 2>/dev/null | grep -E '^(FAIL|  why: )' | head -n 40 |
	    sed 's/^/    /'
	cat "$@" 2>/dev/null | tail -n 40 | sed 's/^/    /'
}

skip() {
	echo "skip $1 ($2)"
	nskip=$((nskip + 1))
}

updating() {
	[ "${REGRESS_UPDATE:-0}" = 1 ]
}

# netd ARGS...: run kubsd-netd with a time limit; out/err in $TMP.
netd() {
	timeout 60 "$NETD" "$@" >"$TMP/out" 2>"$TMP/err"
}

have_netd() {
	[ -x "$NETD" ] || { skip "$1" "no $NETD: run make all asan"; return 1; }
}

# Compare $TMP/out with FILE, or rewrite FILE under REGRESS_UPDATE=1.
golden() {
	local name=$1 file=$2
	if updating; then
		cp "$TMP/out" "$file"
		echo "updated $name"
	elif cmp -s "$file" "$TMP/out"; then
		ok "$name"
	else
		fail "$name" "output differs from $(basename "$file")" \
		    "$file" "$TMP/out"
	fi
}

# a. Each bad config exits 1 with exactly NAME.err on stderr.
t_bad() {
	local dir=regress/conf/bad f name rc
	have_netd bad || return
	ls $dir/*.conf >/dev/null 2>&1 || { skip bad "no $dir/*.conf"; return; }
	for f in $dir/*.conf; do
		name=$(basename "$f" .conf)
		(cd $dir && netd -n -f "$name.conf")
		rc=$?
		if [ $rc -ne 1 ]; then
			fail_out "bad/$name" "exit $rc, want 1" "$TMP/err" "$TMP/out"
		elif updating; then
			cp "$TMP/err" "$dir/$name.err"
			echo "updated bad/$name"
		elif [ ! -f "$dir/$name.err" ]; then
			fail_out "bad/$name" "no $name.err; stderr was" "$TMP/err"
		elif cmp -s "$dir/$name.err" "$TMP/err"; then
			ok "bad/$name"
		else
			fail "bad/$name" "stderr differs" "$dir/$name.err" "$TMP/err"
		fi
	done
}

# The good configs: regress/conf/good/*.conf and the shipped example.
good_confs() {
	ls regress/conf/good/*.conf 2>/dev/null
	[ -f etc/netd.conf ] && echo etc/netd.conf
}

# b. Each good config checks OK; its goldens match -nv/-t pf/-t nft/-t dot/
# -t bundle/-t openbsd.
t_good() {
	local f dir base name t args
	have_netd good || return
	[ -n "$(good_confs)" ] || { skip good "no regress/conf/good/*.conf"; return; }
	for f in $(good_confs); do
		dir=$(dirname "$f")
		base=$(basename "$f" .conf)
		name=good/$base
		[ "$f" = etc/netd.conf ] && name=example
		(cd "$dir" && netd -n -f "$base.conf")
		if [ $? -ne 0 ] || [ "$(cat "$TMP/out")" != "configuration OK" ]
		then
			fail_out "$name" "not OK" "$TMP/out" "$TMP/err"
			continue
		fi
		ok "$name"
		for t in nv pf nft dot bundle openbsd; do
			[ -f "$dir/$base.$t.ok" ] || continue
			case $t in
			nv)	args="-nv" ;;
			*)	args="-t $t" ;;
			esac
			if ! (cd "$dir" && netd $args -f "$base.conf"); then
				fail_out "$name.$t" "$args failed" "$TMP/err"
				continue
			fi
			golden "$name.$t" "$dir/$base.$t.ok"
		done
	done
}

# c. The normalized form parses back to itself.
t_roundtrip() {
	local f base name
	have_netd roundtrip || return
	[ -n "$(good_confs)" ] || { skip roundtrip "no good configs"; return; }
	for f in $(good_confs); do
		base=$(basename "$f" .conf)
		name=roundtrip/$base
		if ! (cd "$(dirname "$f")" && netd -nv -f "$base.conf"); then
			fail_out "$name" "-nv failed" "$TMP/err"
			continue
		fi
		mv "$TMP/out" "$TMP/nv1.conf"
		if ! netd -nv -f "$TMP/nv1.conf"; then
			fail_out "$name" "-nv output does not parse" "$TMP/err"
			continue
		fi
		if cmp -s "$TMP/nv1.conf" "$TMP/out"; then
			ok "$name"
		else
			fail "$name" "second -nv differs" "$TMP/nv1.conf" "$TMP/out"
		fi
	done
}

# Make the scratch network namespace (once per run); 1 if impossible.
scratch_netns() {
	[ -n "$NS_MADE" ] && return 0
	ip netns add "$NS" 2>"$TMP/err" || return 1
	NS_MADE=1
}

# d. Every nft golden is accepted by nft -c in a scratch namespace.
t_nft() {
	local f files
	files=$(find regress -name '*.nft.ok' | sort)
	[ -n "$files" ] || { skip nft "no *.nft.ok files yet"; return; }
	[ "$(id -u)" = 0 ] || { skip nft "not root"; return; }
	command -v nft >/dev/null || { skip nft "no nft"; return; }
	command -v ip >/dev/null || { skip nft "no ip"; return; }
	scratch_netns || { fail_out nft "ip netns add $NS failed" "$TMP/err"; return; }
	for f in $files; do
		if ip netns exec "$NS" nft -c -f "$f" >"$TMP/out" 2>&1; then
			ok "nft/${f#regress/}"
		else
			fail_out "nft/${f#regress/}" "nft -c rejects it" "$TMP/out"
		fi
	done
	t_nft_guest
}

# bundle_split BUNDLE.ok EXT DIR: each gateway's rules.EXT of a bundle
# golden into DIR/GATEWAY.EXT (split at its "==> GATEWAY/FILE <==" lines).
bundle_split() {
	rm -rf "$3"
	mkdir -p "$3"
	awk -v dir="$3" -v ext="$2" '
		$1 == "==>" && $2 ~ ("/rules\\." ext "$") {
			out = $2; sub("/rules\\." ext "$", "", out)
			out = dir "/" out "." ext; next
		}
		/^==> / { out = ""; next }
		out != "" { print > out }
	' "$1"
}

# Every gateway's in-guest rules.nft in the bundle goldens is accepted by
# nft -c too (tor's rules name tor's user: it must exist, as "make deps"
# makes it by installing tor).
t_nft_guest() {
	local f gw name files
	files=$(find regress -name '*.bundle.ok' | sort)
	[ -n "$files" ] || { skip nft/guest "no *.bundle.ok files yet"; return; }
	if ! getent passwd debian-tor >/dev/null; then
		skip nft/guest "no user debian-tor: install tor (make deps)"
		return
	fi
	for f in $files; do
		bundle_split "$f" nft "$TMP/guest"
		for gw in "$TMP"/guest/*.nft; do
			[ -f "$gw" ] || continue
			name=nft/${f#regress/}/$(basename "$gw" .nft)
			if ip netns exec "$NS" nft -c -f "$gw" >"$TMP/out" 2>&1
			then
				ok "$name"
			else
				fail_out "$name" "nft -c rejects it" "$TMP/out"
			fi
		done
	done
}

# kubsd-guest -n on the role bundles of regress/guest: each bad one
# (bad/NAME.conf as a bundle's bundle.conf, or a bundle directory
# bad/NAME/) exits 1 with exactly bad/NAME.err on stderr; each good one
# (regress/guest/ROLE/) prints its plan, regress/guest/ROLE.n.ok.
# The firewall check is nft's dry run: root only.
t_guest() {
	local dir=regress/guest f name b rc
	[ -x "$GUEST" ] || { skip guest "no $GUEST: run make all asan"; return; }
	[ -d $dir ] || { skip guest "no $dir"; return; }
	for f in $dir/bad/*; do
		case $f in *.err) continue ;; esac
		name=$(basename "$f" .conf)
		if [ -d "$f" ]; then
			b=$f
		else
			b=$TMP/bundle
			rm -rf "$b" && mkdir "$b" && cp "$f" "$b/bundle.conf"
			cp "$dir/sys-net/rules.nft" "$b/"
		fi
		timeout 60 "$GUEST" -n "$b" >"$TMP/out" 2>"$TMP/err"
		rc=$?
		if [ $rc -ne 1 ]; then
			fail_out "guest/bad/$name" "exit $rc, want 1" "$TMP/err" "$TMP/out"
		elif updating; then
			cp "$TMP/err" "$dir/bad/$name.err"
			echo "updated guest/bad/$name"
		elif [ ! -f "$dir/bad/$name.err" ]; then
			fail_out "guest/bad/$name" "no $name.err; stderr was" "$TMP/err"
		elif cmp -s "$dir/bad/$name.err" "$TMP/err"; then
			ok "guest/bad/$name"
		else
			fail "guest/bad/$name" "stderr differs" "$dir/bad/$name.err" "$TMP/err"
		fi
	done
	[ "$(id -u)" = 0 ] || { skip guest/good "not root (nft's dry run)"; return; }
	for f in $dir/*/bundle.conf; do
		b=$(dirname "$f")
		name=$(basename "$b")
		[ "$name" = bad ] && continue
		if ! (cd $dir && timeout 60 "$GUEST" -n "$name" >"$TMP/out" 2>"$TMP/err")
		then
			fail_out "guest/$name" "-n failed" "$TMP/err"
			continue
		fi
		golden "guest/$name" "$dir/$name.n.ok"
	done
}

# e. Unit tests: regress/unit/NAME.c, built with sanitizers; exit 0 = pass.
t_unit() {
	local f name bin rc
	ls regress/unit/*.c >/dev/null 2>&1 || { skip unit "no regress/unit/*.c"; return; }
	if ! $MAKE -s regress-units >"$TMP/out" 2>&1; then
		fail_out unit "make regress-units failed" "$TMP/out"
		return
	fi
	for f in regress/unit/*.c; do
		name=$(basename "$f" .c)
		bin=obj-asan/unit/$name
		timeout 300 "$bin" >"$TMP/out" 2>&1
		rc=$?
		if [ $rc -eq 0 ]; then
			ok "unit/$name"
		else
			fail_out "unit/$name" "exit $rc" "$TMP/out"
		fi
	done
}

# Namespace tests: each regress/net/NAME.sh, whose programs are built by
# make regress-units; exit 0 = pass, 77 = skip, anything else = fail.
t_net() {
	local f name rc
	ls regress/net/*.sh >/dev/null 2>&1 || { skip net "no regress/net/*.sh"; return; }
	if ! $MAKE -s regress-units tools >"$TMP/out" 2>&1; then
		fail_out net "make regress-units failed" "$TMP/out"
		return
	fi
	for f in regress/net/*.sh; do
		name=$(basename "$f" .sh)
		timeout -k 10 "${NET_TIMEOUT:-900}" sh "$f" >"$TMP/out" 2>&1
		rc=$?
		case $rc in
		0)	ok "net/$name" ;;
		77)	skip "net/$name" "$(tail -n 1 "$TMP/out")" ;;
		*)	fail_out "net/$name" "exit $rc" "$TMP/out" ;;
		esac
	done
}

# f. libFuzzer harnesses, FUZZ_SECONDS each, on a copy of their corpus
# (fuzz_parse's seeded from regress/conf at run time, not from copies).
t_fuzz() {
	local f name secs=${FUZZ_SECONDS:-20} corpus rc
	ls regress/fuzz/fuzz_*.c >/dev/null 2>&1 || { skip fuzz "no regress/fuzz/fuzz_*.c"; return; }
	[ "$secs" -gt 0 ] 2>/dev/null || { skip fuzz "FUZZ_SECONDS=$secs"; return; }
	if ! $MAKE -s fuzz >"$TMP/out" 2>&1; then
		fail_out fuzz "make fuzz failed" "$TMP/out"
		return
	fi
	for f in regress/fuzz/fuzz_*.c; do
		name=$(basename "$f" .c)
		corpus=$TMP/corpus_${name#fuzz_}
		mkdir -p "$corpus" "$TMP/artifacts"
		cp -R "regress/fuzz/corpus_${name#fuzz_}/." "$corpus" 2>/dev/null
		# The parser's seeds are the configuration tests themselves.
		[ "$name" = fuzz_parse ] &&
		    cp regress/conf/good/*.conf regress/conf/bad/*.conf "$corpus"
		timeout $((secs + 120)) "obj-fuzz/$name" -max_total_time="$secs" \
		    -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 \
		    -artifact_prefix="$TMP/artifacts/" "$corpus" \
		    >"$TMP/fuzz.log" 2>&1
		rc=$?
		if [ $rc -eq 0 ]; then
			ok "fuzz/$name"
		else
			fail_out "fuzz/$name" "exit $rc" "$TMP/fuzz.log"
		fi
	done
}

# g. The manual pages are mandoc -Tlint clean.
t_man() {
	local f
	ls man/* >/dev/null 2>&1 || { skip man "no man/*"; return; }
	command -v mandoc >/dev/null || { skip man "no mandoc"; return; }
	for f in man/*; do
		if mandoc -Tlint -Wwarning "$f" >"$TMP/out" 2>&1; then
			ok "man/$(basename "$f")"
		else
			fail_out "man/$(basename "$f")" "mandoc -Tlint" "$TMP/out"
		fi
	done
}

# h. make install into a scratch DESTDIR; the installed example checks OK.
t_install() {
	local d=$TMP/destdir p=/usr/local out
	[ -f etc/netd.conf ] || { skip install "no etc/netd.conf"; return; }
	if ! $MAKE -s install DESTDIR="$d" PREFIX=$p >"$TMP/out" 2>&1; then
		fail_out install "make install failed" "$TMP/out"
		return
	fi
	out=$("$d$p/sbin/kubsd-netd" -n \
	    -f "$d$p/share/examples/kubsd/netd.conf" 2>&1)
	if [ "$out" != "configuration OK" ]; then
		echo "$out" >"$TMP/out"
		fail_out install "installed example does not check" "$TMP/out"
	elif ! [ -x "$d$p/sbin/kubsd-net" ] ||
	    ! ls "$d$p"/share/man/man5/*.5 "$d$p"/share/man/man8/*.8 \
	    >/dev/null 2>&1; then
		fail install "kubsd-net or manual pages not installed"
	else
		ok install
	fi
	t_installed_example "$d$p/sbin/kubsd-netd" \
	    "$d$p/share/examples/kubsd/netd.conf"
	t_installed_unit "$d" "$p"
	t_installed_conf "$d" "$p"
}

# /etc/kubsd/netd.conf: written when absent (and it checks, so that
# "systemctl enable --now kubsd-netd" starts), never overwritten.
t_installed_conf() {
	local d=$1 p=$2 conf=$1/etc/kubsd/netd.conf
	if ! [ -f "$conf" ]; then
		fail install/conf "$conf not installed"
		return
	fi
	if ! "$d$p/sbin/kubsd-netd" -n -f "$conf" >"$TMP/out" 2>&1; then
		fail_out install/conf "the installed netd.conf does not check" \
		    "$TMP/out"
		return
	fi
	echo "# the user's own line" >>"$conf"
	$MAKE -s install DESTDIR="$d" PREFIX="$p" >"$TMP/out" 2>&1
	if tail -n 1 "$conf" | grep -qx "# the user's own line"; then
		ok install/conf
	else
		fail install/conf "a second make install overwrote $conf"
	fi
}

# The systemd unit: installed, ExecStart naming PREFIX's kubsd-netd, and
# accepted by systemd-analyze verify (on a copy naming the DESTDIR one,
# which is the one that exists).
t_installed_unit() {
	local d=$1 p=$2 unit=$1$2/lib/systemd/system/kubsd-netd.service
	if ! [ -f "$unit" ]; then
		fail install/unit "$unit not installed"
		return
	fi
	if ! grep -qx "ExecStart=$p/sbin/kubsd-netd -d" "$unit"; then
		grep -n '^ExecStart' "$unit" >"$TMP/out"
		fail_out install/unit "ExecStart does not name $p/sbin/kubsd-netd" \
		    "$TMP/out"
		return
	fi
	ok install/unit
	if ! command -v systemd-analyze >/dev/null; then
		skip install/unit-verify "no systemd-analyze"
		return
	fi
	mkdir -p "$TMP/unit"
	sed "s|^ExecStart=$p/|ExecStart=$d$p/|" "$unit" \
	    >"$TMP/unit/kubsd-netd.service"
	if systemd-analyze verify --man=no "$TMP/unit/kubsd-netd.service" \
	    >"$TMP/out" 2>&1; then
		ok install/unit-verify
	else
		fail_out install/unit-verify "systemd-analyze verify" "$TMP/out"
	fi
}

# The installed example, as issue "netd.conf, the graph and the rule
# compiler" asks: nft accepts it, pf holds the anchors, -nv round-trips.
t_installed_example() {
	local netd=$1 conf=$2
	"$netd" -n -t pf -f "$conf" >"$TMP/pf" 2>&1
	if grep -q '^# anchor kubsd/work$' "$TMP/pf" &&
	    grep -q '^# anchor "kubsd/\*"' "$TMP/pf" &&
	    grep -q ' on tap[0-9]* ' "$TMP/pf" &&
	    ! grep -q '_base\| on k[pdb]-' "$TMP/pf"; then
		ok install/pf-anchors
	else
		fail_out install/pf-anchors "no kubsd/ anchors" "$TMP/pf"
	fi
	"$netd" -nv -f "$conf" >"$TMP/nv1" 2>&1
	"$netd" -nv -f "$TMP/nv1" >"$TMP/nv2" 2>&1
	if [ -s "$TMP/nv1" ] && cmp -s "$TMP/nv1" "$TMP/nv2"; then
		ok install/nv-roundtrip
	else
		diff -u "$TMP/nv1" "$TMP/nv2" >"$TMP/out"
		fail_out install/nv-roundtrip "-nv does not re-parse to itself" "$TMP/out"
	fi
	if [ "$(id -u)" != 0 ] || ! command -v nft >/dev/null; then
		skip install/nft "needs root and nft"
		return
	fi
	scratch_netns || { fail_out install/nft "ip netns add failed" "$TMP/err"; return; }
	if "$netd" -n -t nft -f "$conf" | ip netns exec "$NS" nft -c -f - >"$TMP/out" 2>&1; then
		ok install/nft
	else
		fail_out install/nft "nft -c rejects the installed example" "$TMP/out"
	fi
}

# i. regress/determinism.sh, when someone has written it: 0 = pass.
t_determinism() {
	[ -f regress/determinism.sh ] || { skip determinism "no regress/determinism.sh"; return; }
	if bash regress/determinism.sh >"$TMP/out" 2>&1; then
		ok determinism
	else
		fail_out determinism "exit $?" "$TMP/out"
	fi
}

# The OpenBSD checker's group, t_obsd.
. regress/obsd/group.sh
# Template builds and boots, t_template.
. regress/template/group.sh
# Menu entries of the VMs' applications, t_menu.
. regress/menu/group.sh

for g in ${*:-$TEST_GROUPS}; do
	if ! declare -F "t_$g" >/dev/null; then
		echo "regress/run.sh: unknown group \"$g\" (groups: $TEST_GROUPS)" >&2
		exit 2
	fi
	"t_$g"
done

if [ $nskip -gt 0 ]; then
	echo "$npass passed, $nfail failed, $nskip skipped"
else
	echo "$npass passed, $nfail failed"
fi
[ $nfail -eq 0 ]
