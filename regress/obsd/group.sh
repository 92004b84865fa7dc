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
# The "obsd" group of regress/run.sh (sourced by it): kubsd's OpenBSD
# output against pfcheck.py, a checker written from OpenBSD's manuals.
# First the checker itself: every line of its bad corpora must be refused,
# its good lines accepted.  Then kubsd's output, when it exists: each
# -t openbsd plan golden and every gateway's rules.pf.

PFCHECK="python3 regress/obsd/pfcheck.py"

t_obsd() {
	local kind f
	command -v python3 >/dev/null || { skip obsd "no python3"; return; }
	for kind in pf hostname vmconf plan; do
		f=regress/obsd/bad.$kind
		if $PFCHECK corpus $kind "$f" -u _tor >"$TMP/out" 2>&1; then
			ok "obsd/bad.$kind"
		else
			fail_out "obsd/bad.$kind" "a known-bad case passes" "$TMP/out"
		fi
	done
	if $PFCHECK pf -u _tor -g kubsd regress/obsd/good.pf >"$TMP/out" 2>&1
	then
		ok obsd/good.pf
	else
		fail_out obsd/good.pf "the checker refuses good pf" "$TMP/out"
	fi
	t_obsd_plans
	t_obsd_guest
	t_obsd_bad
	t_obsd_recipe
	t_obsd_apply
}

APPLY=obj-asan/obsd/apply

# A plan's commands as kubsd-netd runs them: not the ones by hand, not
# the comments; a guarded step's command (its guard file is never there).
plan_cmds() {
	awk '/^==> commands <==$/ { c = 1; next } /^==> / { c = 0 }
	    c && /\t# once, by hand$/ { next }
	    c && /^#/ { next }
	    c && NF { sub(/^test -f [^ ]* \|\| /, ""); sub(/\t#.*$/, ""); print }' "$1"
}

# The files a plan's sections write, checked under root $2: each
# hostname.if, vm.conf and anchor (in STATEDIR/pf) as printed; the
# sections the user adds by hand never written.
plan_files() {
	local plan=$1 root=$2 sd
	sd=$(sed -n 's|^pfctl -a kubsd/\([^ ]*\) -f \(.*\)/pf/\1\.pf$|\2|p' \
	    "$plan" | head -n 1)
	awk -v root="$root" -v sd="$sd" '
	function flush() {
		if (dest == "") return
		if (n > 0 && body[n] == "") n--
		want = ""
		for (i = 1; i <= n; i++) want = want body[i] "\n"
		got = ""
		while ((getline l < dest) > 0) got = got l "\n"
		close(dest)
		if (got != want) { print "differs: " dest; bad = 1 }
	}
	/^==> .* <==$/ {
		flush(); dest = ""; n = 0
		h = substr($0, 5, length($0) - 8)
		if (h ~ /^\/etc\/(hostname\.|vm\.conf$)/) dest = root h
		else if (h ~ /^pf anchor kubsd\//)
			dest = root sd "/pf/" substr(h, 17) ".pf"
		else if (h != "commands" && system("test -e \"" root "/" h "\"") == 0) {
			print "written: " h; bad = 1
		}
		next
	}
	dest != "" { body[++n] = $0 }
	END { flush(); exit bad }' "$plan"
}

# Stub ifconfig, pfctl, vmctl (and the plan's other programs) in $1: each
# appends its argv to $1/log as one line, and fails if that line matches
# the pattern STUB_FAIL.
stubs() {
	local p
	mkdir -p "$1"
	for p in ifconfig pfctl vmctl rcctl makefs mkdir rm; do
		cat >"$1/$p" <<-STUB
		#!/bin/sh
		line=\${0##*/}
		for a in "\$@"; do line="\$line \$a"; done
		echo "\$line" >>"$1/log"
		case "\$line" in \${STUB_FAIL:-/}) exit 1;; esac
		exit 0
		STUB
		chmod +x "$1/$p"
	done
}

# The OpenBSD backend's executor (pf/openbsd_exec.c) against stubs: a
# full apply runs exactly the golden plan's commands, in order, and
# writes its files; an attach runs its VM's anchor and veb port only;
# a failing step stops it with one line, and the teardown undoes
# exactly what ran.
t_obsd_apply() {
	local name d=regress/conf/good
	[ -x "$APPLY" ] || { skip obsd/apply "no $APPLY: make regress-units"; return; }
	for name in design vmlayer; do
		t_obsd_apply_full "$d" "$name"
	done
	t_obsd_apply_attach "$d" design work:tor attach-work
	t_obsd_apply_attach "$d" design vault:clear attach-vault
	t_obsd_apply_fail "$d" design
	t_obsd_apply_daemon "$d" design work:tor attach-work
	t_obsd_apply_reload "$d" vmlayer
}

# A reload through the backend: the anchors (the loader's call), then
# the plan again without its boot steps: only ifconfig and pfctl -a run,
# no disk is made again, vmd and the VMs are left alone.
t_obsd_apply_reload() {
	local d=$1 name=$2 t=$TMP/apply-reload sd
	rm -rf "$t"; stubs "$t/bin"
	sd=$(sed -n 's|^pfctl -a kubsd/\([^ ]*\) -f \(.*\)/pf/\1\.pf$|\2|p' \
	    "$d/$name.openbsd.ok" | head -n 1)
	mkdir -p "$t/root$sd"
	if ! (cd "$d" && "$ROOT/$APPLY" -H -L -b "$t/bin" -r "$t/root" \
	    -f "$name.conf") >"$TMP/out" 2>&1; then
		fail_out obsd/apply-reload "the backend failed" "$TMP/out"
		return
	fi
	plan_cmds "$d/$name.openbsd.ok" >"$t/start"
	{ cat "$t/start"; grep '^pfctl -a ' "$t/start"
	  grep -E '^(ifconfig|pfctl -a) ' "$t/start"; } >"$t/want"
	if grep -q '^vmctl start' "$t/start" && cmp -s "$t/want" "$t/bin/log"
	then
		ok obsd/apply-reload
	else
		fail obsd/apply-reload "a reload ran other commands" "$t/want" \
		    "$t/bin/log"
	fi
}

# Through kubsd-netd's backend (pf/openbsd_host.c, behind load.h and
# topology.h): a start runs the full plan, an attach then its VM's
# anchor and port, all recorded in STATEDIR/openbsd-ran; the units are
# saved in STATEDIR/openbsd-units.
t_obsd_apply_daemon() {
	local d=$1 name=$2 mv=$3 ok=regress/obsd/$4.ok t=$TMP/apply-daemon sd
	rm -rf "$t"; stubs "$t/bin"
	sd=$(sed -n 's|^pfctl -a kubsd/\([^ ]*\) -f \(.*\)/pf/\1\.pf$|\2|p' "$ok" |
	    head -n 1)
	mkdir -p "$t/root$sd"	# as kubsd-netd makes STATEDIR
	if ! (cd "$d" && "$ROOT/$APPLY" -H -a "$mv" -b "$t/bin" -r "$t/root" \
	    -f "$name.conf") >"$TMP/out" 2>&1; then
		fail_out obsd/apply-daemon "the backend failed" "$TMP/out"
		return
	fi
	{ plan_cmds "$d/$name.openbsd.ok"; plan_cmds "$ok"; } >"$t/want"
	grep -v '^write ' "$t/root$sd/openbsd-ran" >"$t/recorded" 2>/dev/null
	if ! cmp -s "$t/want" "$t/bin/log"; then
		fail obsd/apply-daemon "ran other commands than the plans'" \
		    "$t/want" "$t/bin/log"
	elif ! cmp -s "$t/want" "$t/recorded"; then
		fail obsd/apply-daemon "the record is not what ran" "$t/want" \
		    "$t/recorded"
	elif ! plan_files "$ok" "$t/root" >"$TMP/out" ||
	    ! [ -s "$t/root$sd/openbsd-units" ]; then
		fail_out obsd/apply-daemon "files differ from the plan's" "$TMP/out"
	else
		ok obsd/apply-daemon
	fi
}

t_obsd_apply_full() {
	local d=$1 name=$2 t=$TMP/apply-$2
	rm -rf "$t"; stubs "$t/bin"; mkdir -p "$t/root"
	if ! (cd "$d" && "$ROOT/$APPLY" -b "$t/bin" -r "$t/root" \
	    -f "$name.conf") >"$TMP/out" 2>&1; then
		fail_out "obsd/apply/$name" "the executor failed" "$TMP/out"
		return
	fi
	plan_cmds "$d/$name.openbsd.ok" >"$t/want"
	if ! [ -s "$t/want" ] || ! cmp -s "$t/want" "$t/bin/log"; then
		fail "obsd/apply/$name" "ran other commands than the plan's" \
		    "$t/want" "$t/bin/log"
	elif ! plan_files "$d/$name.openbsd.ok" "$t/root" >"$TMP/out"; then
		fail_out "obsd/apply/$name" "files differ from the plan's" \
		    "$TMP/out"
	else
		ok "obsd/apply/$name"
	fi
}

# Attach vm:chain: the plan is golden; it runs as printed; its commands
# name one anchor, kubsd/VM, and one port, on vebs only.
t_obsd_apply_attach() {
	local d=$1 name=$2 mv=$3 ok=regress/obsd/$4.ok t=$TMP/apply-$4 tap
	(cd "$d" && "$ROOT/$APPLY" -n -a "$mv" -f "$name.conf") >"$TMP/out"
	golden "obsd/$4/plan" "$ok"
	rm -rf "$t"; stubs "$t/bin"; mkdir -p "$t/root"
	(cd "$d" && "$ROOT/$APPLY" -a "$mv" -b "$t/bin" -r "$t/root" \
	    -f "$name.conf") >"$TMP/out" 2>&1 ||
	    { fail_out "obsd/$4" "the executor failed" "$TMP/out"; return; }
	plan_cmds "$ok" >"$t/want"
	tap=$(awk '/^ifconfig veb[0-9]+ (add|del) tap[0-9]+$/ { print $4; exit }' \
	    "$t/want")
	if ! cmp -s "$t/want" "$t/bin/log"; then
		fail "obsd/$4" "ran other commands than the plan's" "$t/want" \
		    "$t/bin/log"
	elif [ -z "$tap" ] || grep -v -e "^pfctl -a kubsd/${mv%%:*} -f " \
	    -e "^ifconfig veb[0-9]* .* $tap\( \|$\)" "$t/want" >"$TMP/out" ||
	    [ "$(grep -o 'tap[0-9]*' "$t/want" | sort -u)" != "$tap" ]
	then
		fail_out "obsd/$4" "a command beyond the VM's port and anchor" \
		    "$TMP/out"
	elif [ "$(grep -c '^pfctl' "$t/want")" != 1 ]; then
		fail "obsd/$4" "not exactly one anchor loaded" "$ok" "$t/want"
	elif ! plan_files "$ok" "$t/root" >"$TMP/out"; then
		fail_out "obsd/$4" "files differ from the plan's" "$TMP/out"
	else
		ok "obsd/$4"
	fi
}

# What the teardown of the ran commands (file, in order) must be:
# newest first, VMs stopped, anchors flushed, each interface destroyed.
undo_of() {
	awk '{ l[NR] = $0 } END {
		for (i = NR; i > 0; i--) {
			split(l[i], w, " ")
			if (w[1] == "ifconfig" && !(w[2] in seen)) {
				seen[w[2]] = 1; print "ifconfig " w[2] " destroy"
			} else if (w[1] == "pfctl" && w[2] == "-a")
				print "pfctl -a " w[3] " -F rules"
			else if (w[1] == "vmctl" && w[2] == "start")
				print "vmctl stop -w " w[3]
		}
	}' "$1"
}

# pfctl fails on work's anchor: one log line naming that step, exit 1,
# the steps before it recorded (then the teardown's), nothing after it
# run but the teardown, which undoes exactly what ran.
t_obsd_apply_fail() {
	local d=$1 name=$2 t=$TMP/apply-fail n rc
	rm -rf "$t"; stubs "$t/bin"; mkdir -p "$t/root"
	(cd "$d" && STUB_FAIL="pfctl -a kubsd/work *" "$ROOT/$APPLY" -u \
	    -b "$t/bin" -r "$t/root" -R "$t/record" -f "$name.conf") \
	    >"$TMP/out" 2>"$TMP/err"
	rc=$?
	n=$(grep -n '^pfctl -a kubsd/work ' "$t/bin/log" | cut -d: -f1)
	head -n $((${n:-1} - 1)) "$t/bin/log" >"$t/ran"
	grep -v '^write ' "$t/record" >"$t/recorded" 2>/dev/null
	undo_of "$t/ran" >"$t/undo"
	tail -n +$((${n:-0} + 1)) "$t/bin/log" >"$t/after"
	cat "$t/ran" "$t/undo" >"$t/want"
	if [ $rc -ne 1 ] || [ "$(wc -l <"$TMP/err")" != 1 ] ||
	    ! grep -q '"pfctl -a kubsd/work -f .*/pf/work.pf": exit 1; stopped$' \
	    "$TMP/err"; then
		fail_out obsd/apply-fail "exit $rc, want 1 and one line naming the step" \
		    "$TMP/err"
	elif [ -z "$n" ] || ! cmp -s "$t/want" "$t/recorded"; then
		fail obsd/apply-fail "the record is not what ran" "$t/want" \
		    "$t/recorded"
	elif ! grep -q ' destroy$' "$t/undo" || ! cmp -s "$t/undo" "$t/after"; then
		fail obsd/apply-fail "the teardown is not the undo of what ran" \
		    "$t/undo" "$t/after"
	else
		ok obsd/apply-fail
	fi
}

# The openbsd template recipe (not run here: it needs an OpenBSD host):
# its output for a Tor template is golden, every shell script in it
# parses, and a name vmd would refuse is refused.
t_obsd_recipe() {
	local out=$TMP/recipe f bad=
	rm -rf "$out"
	if ! NAME=tor PACKAGES=tor sh templates/openbsd/build "$out" \
	    >"$TMP/err" 2>&1; then
		fail_out obsd/recipe "build failed" "$TMP/err"
		return
	fi
	(cd "$out" && find . -type f | sort | while read -r f; do
		echo "==> ${f#./} <=="
		cat "$f"
	done) >"$TMP/out"
	golden obsd/recipe regress/obsd/recipe-openbsd.ok
	for f in templates/openbsd/build "$out/commands" \
	    "$out/site/install.site" "$out/site/etc/rc.d/kubsd_guest" \
	    "$out/site/usr/local/libexec/kubsd-guest-apply"; do
		sh -n "$f" 2>>"$TMP/err" || bad="$bad $f"
	done
	if [ -z "$bad" ]; then
		ok obsd/recipe-sh
	else
		fail_out obsd/recipe-sh "sh -n fails:$bad" "$TMP/err"
	fi
	if NAME=1tor sh templates/openbsd/build "$TMP/recipe1" \
	    >"$TMP/out" 2>&1 || [ -e "$TMP/recipe1" ]; then
		fail_out obsd/recipe-name "a name vmd refuses was built" "$TMP/out"
	else
		ok obsd/recipe-name
	fi
}

# Configs that -n accepts and vmd would not: -t openbsd exits 1 with
# exactly NAME.err on stderr, and prints nothing.
t_obsd_bad() {
	local dir=regress/obsd/bad f name rc
	have_netd obsd/bad || return
	for f in $dir/*.conf; do
		name=$(basename "$f" .conf)
		(cd $dir && netd -n -t openbsd -f "$name.conf")
		rc=$?
		if [ $rc -ne 1 ] || [ -s "$TMP/out" ]; then
			fail_out "obsd/bad/$name" "exit $rc, want 1 and no plan" \
			    "$TMP/err" "$TMP/out"
		elif cmp -s "$dir/$name.err" "$TMP/err"; then
			ok "obsd/bad/$name"
		else
			fail "obsd/bad/$name" "stderr differs" "$dir/$name.err" \
			    "$TMP/err"
		fi
	done
}

# Each NAME.openbsd.ok (kubsd-netd -t openbsd, compared by t_good) passes
# the checker: pf.conf lines, anchors, hostname.if files, vm.conf.
t_obsd_plans() {
	local f
	for f in $(find regress/conf/good etc -name '*.openbsd.ok' | sort); do
		if $PFCHECK plan -u _tor "$f" >"$TMP/out" 2>&1; then
			ok "obsd/plan/$(basename "$f")"
		else
			fail_out "obsd/plan/$(basename "$f")" "the checker refuses it" \
			    "$TMP/out"
		fi
	done
}

# Every gateway's rules.pf in the bundle goldens, loaded whole as pfctl -f
# would in the guest (where tor runs as _tor).
t_obsd_guest() {
	local f gw name
	for f in $(find regress -name '*.bundle.ok' | sort); do
		bundle_split "$f" pf "$TMP/gpf"
		for gw in "$TMP"/gpf/*.pf; do
			[ -f "$gw" ] || continue
			name=obsd/${f#regress/}/$(basename "$gw" .pf)
			if $PFCHECK pf -u _tor "$gw" >"$TMP/out" 2>&1; then
				ok "$name"
			else
				fail_out "$name" "the checker refuses rules.pf" "$TMP/out"
			fi
		done
	done
}
