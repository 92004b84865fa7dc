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
# regress/lib/vmtest.sh: what the tests that boot VMs share, sourced
# after sandbox.sh's sb_init: ok, fail and check, and vm_cleanup as the
# EXIT trap.  QEMUs outlive netd on purpose, so a test ends its own
# (from their pid files) before the sandbox goes; VM_CLEANUP_MORE, if
# set, names a function run first.  POSIX sh.

vm_cleanup() {
	[ -n "${VM_CLEANUP_MORE:-}" ] && "$VM_CLEANUP_MORE"
	for _p in "$T"/state/vms/*.pid; do
		[ -f "$_p" ] && kill -9 "$(cat "$_p")" 2>/dev/null
	done
	sb_cleanup
}
trap vm_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; FAILED=$((FAILED + 1)); }
check() {	# NAME COMMAND...: ok when COMMAND succeeds
	_n=$1; shift
	if "$@"; then ok "$_n"; else fail "$_n"; fi
}
