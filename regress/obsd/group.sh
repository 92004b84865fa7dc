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
