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
# What a net or template test needs before it starts (sourced): a test
# that cannot run here exits 77 with the reason on stderr; a binary of
# the build that is missing is a failure.
#
#	need_root		run as root
#	need_tools TOOL...	each on $PATH
#	need_qemu_user		the unprivileged user QEMU runs as
#	need_files FILE...	each exists (the build's binaries, images)

need_root() {
	[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
}

need_tools() {
	local t
	for t; do
		command -v "$t" >/dev/null || { echo "no $t" >&2; exit 77; }
	done
}

need_qemu_user() {
	getent passwd _kubsd-qemu >/dev/null ||
	    { echo "no user _kubsd-qemu (make deps)" >&2; exit 77; }
}

need_files() {
	local f
	for f; do
		[ -e "$f" ] || { echo "FAIL missing $f"; exit 1; }
	done
}
