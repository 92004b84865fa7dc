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


# Templates for tests, built once and kept between runs (sourced by
# regress/run.sh and by any test that boots a VM).
#
#	tmpl_cached RECIPE [PACKAGES]
#				prints the directory of a built template of
#				RECIPE (every other option at its default)
#				with the extra PACKAGES (one word, space
#				separated), building it first unless a build
#				of the same recipe, packages, kubsd-guest and
#				mirror state is cached.
#
# The cache is $KUBSD_TEST_TEMPLATES (default /var/tmp/kubsd-test-templates),
# one statedir per key: the sha256 of the recipe's files, the packages, the
# kubsd-guest put in, and the suite's Release date on the mirror (which
# changes with any package of the suite).  Builds not used for two days are
# removed.

: "${KUBSD_TEST_TEMPLATES:=/var/tmp/kubsd-test-templates}"
# The debian test template's X programs (run -X and menu tests): xterm
# (with its .desktop entries), xwd, xdpyinfo, xprop, xdotool.
TMPL_X11_PACKAGES="xterm x11-utils x11-apps xauth xdotool"
: "${KUBSD_TEST_MIRROR:=http://deb.debian.org/debian}"

# The kubsd-vm to build with: beside run.sh's kubsd-netd.
tmpl_vm() {
	if [ -x "$ROOT/kubsd-vm-asan" ]; then
		echo "$ROOT/kubsd-vm-asan"
	else
		echo "$ROOT/kubsd-vm"
	fi
}

tmpl_key() {	# RECIPE [PACKAGES]
	local rel
	rel=$(curl -fsS --max-time 20 \
	    "$KUBSD_TEST_MIRROR/dists/bookworm/InRelease" |
	    sed -n 's/^Date: //p') || return 1
	[ -n "$rel" ] || return 1
	{ cat "$ROOT/templates/lib.sh" "$ROOT/templates/$1"/*
	  cat "$(tmpl_guest)"; echo "$rel"
	  [ -z "${2:-}" ] || echo "packages $2"; } | sha256sum | cut -c 1-16
}

# The kubsd-guest put into test templates: never the ASan one (its
# runtime is not in the template).
tmpl_guest() {
	echo "$ROOT/kubsd-guest"
}

# tmpl_build STATEDIR NAME [CONF-LINES]: run kubsd-vm template build with
# a configuration of its own; output in $TMP/tmpl.out, status returned.
tmpl_build() {
	local sd=$1 name=$2
	mkdir -p "$sd"
	{ echo "statedir \"$sd\""; echo "${3:-}"; } >"$sd/netd.conf"
	KUBSD_RECIPES=$ROOT/templates KUBSD_GUEST=$(tmpl_guest) \
	    "$(tmpl_vm)" -f "$sd/netd.conf" template build "$name" \
	    >"$TMP/tmpl.out" 2>&1
}

# The configuration lines of RECIPE's template with PACKAGES, if any.
tmpl_conf() {	# RECIPE [PACKAGES]
	local p
	[ -n "${2:-}" ] || return 0
	printf 'template "%s" { recipe %s; packages {' "$1" "$1"
	for p in $2; do printf ' "%s"' "$p"; done
	echo ' } }'
}

tmpl_cached() {	# RECIPE [PACKAGES]
	local key dir
	key=$(tmpl_key "$1" "${2:-}") ||
	    { echo "cannot read the mirror" >&2; return 1; }
	dir=$KUBSD_TEST_TEMPLATES/$1-$key
	mkdir -p "$KUBSD_TEST_TEMPLATES"
	# Runs in other checkouts build their own keys at the same time:
	# one build per key, and only builds unused for two days go.
	(
		flock 9
		find "$KUBSD_TEST_TEMPLATES" -mindepth 1 -maxdepth 1 \
		    -name "$1-*" -mtime +1 -exec rm -rf {} +
		[ -f "$dir/templates/$1/manifest" ] ||
		    tmpl_build "$dir" "$1" "$(tmpl_conf "$1" "${2:-}")" ||
		    { cat "$TMP/tmpl.out" >&2; exit 1; }
		touch "$dir"
	) 9>"$KUBSD_TEST_TEMPLATES/.$1.lock" || return 1
	echo "$dir/templates/$1"
}

# tmpl_need RECIPE: a test's template, before it takes any sandbox lock
# (a build takes about a minute): TMPL is tmpl_cached's directory, or
# the test exits 77 saying why.
tmpl_need() {
	TMP=$(mktemp -d) || exit 77
	TMPL=$(tmpl_cached "$1")
	rm -rf "$TMP"
	[ -n "$TMPL" ] || { echo "cannot build the $1 template" >&2; exit 77; }
}
