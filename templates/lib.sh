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

# Shared by the template recipes (sourced, not run).  The builder
# (kubsd-vm template build) runs a recipe as
#	sh templates/RECIPE/build OUT
# with NAME, SUITE, MIRROR, PACKAGES (space separated), GUEST (the
# kubsd-guest binary to install) and SOURCE_DATE_EPOCH in the
# environment.  The recipe writes vmlinuz, initrd.img, maybe root.qcow2,
# and manifest into OUT; the builder owns OUT's atomic rename.

set -eu
umask 022
export LC_ALL=C
: "${SUITE:=bookworm}" "${MIRROR:=http://deb.debian.org/debian}"
: "${PACKAGES:=}"

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# step WHAT: one progress line, read by the builder.
step() {
	echo "step: $*"
}

die() {
	echo "$*" >&2
	exit 1
}

# apt_init DIR: a private apt (own sources, state and cache) that never
# touches the host's package database.
apt_init() {
	APTDIR=$1
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/archives/partial" \
	    "$APTDIR/parts" "$APTDIR/prefs"
	: >"$APTDIR/status"
	echo "deb [signed-by=$KEYRING] $MIRROR $SUITE main" \
	    >"$APTDIR/sources.list"
	APTOPT="-q -o Dir::Etc::SourceList=$APTDIR/sources.list
	    -o Dir::Etc::SourceParts=$APTDIR/parts
	    -o Dir::Etc::Preferences=$APTDIR/prefs/none
	    -o Dir::Etc::PreferencesParts=$APTDIR/prefs
	    -o Dir::State=$APTDIR -o Dir::State::Lists=$APTDIR/lists
	    -o Dir::State::status=$APTDIR/status
	    -o Dir::Cache=$APTDIR -o Dir::Cache::Archives=$APTDIR/archives
	    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
	    -o APT::Architecture=amd64 -o APT::Architectures::=amd64
	    -o Debug::NoLocking=1 -o APT::Install-Recommends=0
	    -o Acquire::Retries=2 -o Acquire::http::Timeout=20"
	# shellcheck disable=SC2086
	apt-get $APTOPT --error-on=any update >"$APTDIR/update.log" 2>&1 ||
	    die "$(apt_error "$APTDIR/update.log" "cannot read $MIRROR $SUITE")"
	# Unless given, the time of the suite's Release file: a rebuild
	# from the same mirror state gets the same timestamps.
	if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
		SOURCE_DATE_EPOCH=$(date -d "$(sed -n 's/^Date: //p' \
		    "$APTDIR"/lists/*Release | head -n 1)" +%s) ||
		    die "no Date in the Release file of $MIRROR $SUITE"
	fi
	export SOURCE_DATE_EPOCH
}

# apt_error LOG FALLBACK: the first E: line of an apt log, one line.
apt_error() {
	e=$(sed -n 's/^E: //p' "$1" | head -n 1)
	echo "${e:-$2}"
}

# apt_fetch PKG...: download PKG and its dependency closure (as if on an
# empty system) into $APTDIR/archives.
apt_fetch() {
	# shellcheck disable=SC2086
	apt-get $APTOPT -y --download-only install "$@" \
	    >"$APTDIR/fetch.log" 2>&1 ||
	    die "$(apt_error "$APTDIR/fetch.log" "cannot fetch $*")"
}

# apt_get PKG...: download PKG alone, no dependencies.
apt_get() {
	(cd "$APTDIR/archives" &&
	    # shellcheck disable=SC2086
	    apt-get $APTOPT download "$@" >"$APTDIR/get.log" 2>&1) ||
	    die "$(apt_error "$APTDIR/get.log" "cannot fetch $*")"
}

# apt_depends PKG: the package names PKG depends on (first alternative).
apt_depends() {
	# shellcheck disable=SC2086
	apt-cache $APTOPT depends --no-recommends --no-suggests \
	    --no-conflicts --no-breaks --no-replaces --no-enhances "$1" |
	    sed -n 's/^  Depends: \([^<][^ ]*\).*/\1/p'
}

# debs_list DIR: "package version" of every .deb in DIR, sorted.
debs_list() {
	for d in "$1"/*.deb; do
		dpkg-deb --show --showformat='${Package} ${Version}\n' "$d"
	done | sort
}

# content_list DIR: every path's type, mode, owner, size, path and symlink
# target, sorted by path, then the sha256 of every regular file.
# Timestamps, inode numbers and the order of directory entries are left
# out: two trees with the same list hold the same files.
content_list() {
	(cd "$1" && find . -printf '%y %M %U:%G %s %p %l\n' | sort -k 5 &&
	    find . -type f -print0 | sort -z | xargs -0r sha256sum)
}

# content_digest DIR LIST: the sha256 of DIR's content list, which is
# kept in LIST (to compare two builds that differ).
content_digest() {
	content_list "$1" >"$2"
	sha256sum <"$2" | cut -d ' ' -f 1
}

# file_sha256 FILE
file_sha256() {
	sha256sum <"$1" | cut -d ' ' -f 1
}

# finish OUT: the manifest's digest, for the builder to print.
finish() {
	echo "manifest-sha256 $(file_sha256 "$1/manifest")"
}
