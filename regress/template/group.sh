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


# The template group (t_template): kubsd-vm template build of the minimal
# and debian recipes from the Debian mirror; minimal booted once under
# bare QEMU (TCG when there is no /dev/kvm), debian (with the X programs
# of TMPL_X11_PACKAGES) twice as an AppVM of kubsd-netd (debian-vm.sh)
# and once for kubsd-vm run (run-vm.sh, with two disposable instances of
# minimal); the debian build repeated for its content digest, and builds
# that fail or are interrupted.  Sourced by regress/run.sh.

. regress/template/lib.sh

# tmpl_boot NAME DIR MEM PATTERN SECS [QEMU-ARGS...]: boot DIR's kernel
# and initramfs until PATTERN shows on the serial console; the seconds it
# took in $TMP/boot.secs, the console in $TMP/NAME.console.
tmpl_boot() {
	local name=$1 dir=$2 mem=$3 pat=$4 secs=$5 pid t0 i rc=1
	shift 5
	local con=$TMP/$name.console
	: >"$con"
	t0=$(date +%s.%N)
	qemu-system-x86_64 -M q35 -m "$mem" -nodefaults -display none \
	    -no-reboot -kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" \
	    -serial "file:$con" -qmp "unix:$TMP/$name.qmp,server=on,wait=off" \
	    -device virtio-serial-pci,id=vser0 \
	    -chardev null,id=ch0 -device \
	    virtserialport,bus=vser0.0,chardev=ch0,name=org.kubsd.agent.0 \
	    "$@" >"$TMP/$name.qemu" 2>&1 &
	pid=$!
	for i in $(seq $((secs * 10))); do
		if grep -aq "$pat" "$con"; then
			rc=0
			break
		fi
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	echo "$(date +%s.%N) $t0" | awk '{ printf "%.1f\n", $1 - $2 }' \
	    >"$TMP/boot.secs"
	[ $rc -eq 0 ] && [ -n "${TMPL_POWERDOWN:-}" ] &&
	    ! tmpl_powerdown "$TMP/$name.qmp" $pid && rc=2
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	return $rc
}

# tmpl_powerdown QMP PID: ACPI power-down through QMP; QEMU exits
# within 20 s.
tmpl_powerdown() {
	local i
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for c in ("qmp_capabilities", "system_powerdown"):
    f.write("{\"execute\": \"%s\"}\n" % c)
    f.flush()
    f.readline()
' "$1" || return 1
	for i in $(seq 200); do
		kill -0 "$2" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# tmpl_oneline NAME OBJECT: the failed build said one line naming OBJECT.
tmpl_oneline() {
	if [ "$(wc -l <"$TMP/tmpl.out")" -ne 1 ] ||
	    ! grep -q "\"$2\"" "$TMP/tmpl.out"; then
		fail_out "$1" "not one line naming \"$2\"" "$TMP/tmpl.out"
		return 1
	fi
}

# tmpl_kept NAME SD: the previous template is whole and nothing is left.
tmpl_kept() {
	if ! cmp -s "$TMP/prev.manifest" "$2/templates/minimal/manifest"; then
		fail "$1" "the previous template changed"
		return 1
	fi
	if ls -d "$2/templates/.minimal.tmp-"* >/dev/null 2>&1; then
		fail "$1" "a build directory was left" 
		return 1
	fi
}

# A statedir holding a copy of the built minimal template.
tmpl_scratch() {
	local sd=$TMP/tsd-$1
	mkdir -p "$sd/templates"
	cp -R "$MINIMAL" "$sd/templates/minimal"
	cp "$MINIMAL/manifest" "$TMP/prev.manifest"
	echo "$sd"
}

# tmpl_manifest DIR RECIPE PACKAGE...: the manifest names the recipe, a
# content digest and each package.
tmpl_manifest() {
	local m=$1/manifest p
	grep -q "^recipe $2\$" "$m" &&
	    grep -q '^content-digest [0-9a-f]\{64\}$' "$m" || return 1
	shift 2
	for p in "$@"; do
		grep -q "^package $p" "$m" || return 1
	done
}

# tmpl_get RECIPE [PACKAGES]: the test template of RECIPE (with
# PACKAGES) into $TDIR, built unless cached, with the time it took.
tmpl_get() {
	local t0
	t0=$(date +%s)
	if ! TDIR=$(tmpl_cached "$1" "${2:-}" 2>"$TMP/err"); then
		fail_out "template/$1-build" "build failed" "$TMP/err"
		return 1
	fi
	echo "# template $1: $(($(date +%s) - t0)) s (0-2 s: cached)"
}

t_template_minimal() {
	tmpl_get minimal || return 1
	MINIMAL=$TDIR
	if tmpl_manifest "$MINIMAL" minimal busybox-static tor nftables \
	    wireguard-tools linux-image-6; then
		ok template/minimal-build
	else
		fail_out template/minimal-build "manifest incomplete" \
		    "$MINIMAL/manifest"
	fi
	if TMPL_POWERDOWN=1 tmpl_boot minimal "$MINIMAL" 128 \
	    'kubsd-minimal: starting kubsd-guest agent' 120 \
	    -append "console=ttyS0 quiet panic=-1" &&
	    grep -aq 'kubsd-minimal: init' "$TMP/minimal.console" &&
	    ! grep -aq 'did not load' "$TMP/minimal.console"; then
		echo "# template minimal: agent started $(cat "$TMP/boot.secs") s after QEMU's start"
		ok template/minimal-boot
	else
		fail_out template/minimal-boot "no agent start on the console, or no ACPI power-down" \
		    "$TMP/minimal.console" "$TMP/minimal.qemu"
	fi
}

t_template_bad() {
	local sd pid
	tmpl_build "$TMP/tsd-none" nosuch
	[ $? -eq 1 ] && tmpl_oneline template/bad-unknown nosuch &&
	    ok template/bad-unknown

	sd=$(tmpl_scratch mirror)
	mkdir "$sd/templates/.minimal.tmp-1"	# left by a killed build
	tmpl_build "$sd" minimal 'template "minimal" { recipe minimal;
	    mirror "http://127.0.0.1:9/debian" }'
	[ $? -eq 1 ] && tmpl_oneline template/bad-mirror minimal &&
	    tmpl_kept template/bad-mirror "$sd" && ok template/bad-mirror

	sd=$(tmpl_scratch package)
	tmpl_build "$sd" minimal \
	    'template "minimal" { packages { "kubsd-no-such-package" } }'
	[ $? -eq 1 ] && tmpl_oneline template/bad-package minimal &&
	    grep -q kubsd-no-such-package "$TMP/tmpl.out" &&
	    tmpl_kept template/bad-package "$sd" && ok template/bad-package

	sd=$(tmpl_scratch interrupt)
	tmpl_build "$sd" minimal &
	pid=$!
	sleep 4
	pkill -TERM -P $pid
	wait $pid
	[ $? -eq 1 ] && tmpl_oneline template/interrupted minimal &&
	    grep -q interrupted "$TMP/tmpl.out" &&
	    tmpl_kept template/interrupted "$sd" && ok template/interrupted
}

# The debian template: no per-VM secrets or identity inside, kubsd's
# agent enabled; an AppVM on it works (debian-vm.sh); a rebuild has the
# same content.
t_template_debian() {
	local d t0 l
	tmpl_get debian "$TMPL_X11_PACKAGES" || return 1
	d=$TDIR
	l=$d/content.list
	if ! tmpl_manifest "$d" debian systemd-sysv openssh-server \
	    linux-image-6; then
		fail_out template/debian-build "manifest incomplete" \
		    "$d/manifest"
	elif grep -q ' \./etc/ssh/ssh_host_' "$l" ||
	    grep -q ' \./root/\.ssh/authorized_keys' "$l" ||
	    ! grep -q '^f [-rw]* 0:0 0 \./etc/machine-id $' "$l" ||
	    ! grep -q ' \./usr/sbin/kubsd-guest $' "$l" ||
	    ! grep -q 'multi-user.target.wants/kubsd-agent.service' "$l"; then
		fail template/debian-build "host keys, machine-id, " \
		    "authorized_keys or the agent's unit wrong"
	else
		ok template/debian-build
	fi

	# booted as an AppVM by kubsd-netd, as a user would
	timeout -k 10 "${NET_TIMEOUT:-900}" sh regress/template/debian-vm.sh \
	    "$d" >"$TMP/debian-vm.out" 2>&1
	case $? in
	0)	grep '^# ' "$TMP/debian-vm.out"
		ok template/debian-boot ;;
	77)	skip template/debian-boot "$(tail -n 1 "$TMP/debian-vm.out")" ;;
	*)	fail_out template/debian-boot "booted through kubsd-netd" \
		    "$TMP/debian-vm.out" ;;
	esac

	# kubsd-vm run, -X under Xvfb, a disposable's run
	timeout -k 10 "${NET_TIMEOUT:-900}" sh regress/template/run-vm.sh \
	    "$d" "$MINIMAL" >"$TMP/run-vm.out" 2>&1
	case $? in
	0)	grep '^# ' "$TMP/run-vm.out"
		ok template/run-vm ;;
	77)	skip template/run-vm "$(tail -n 1 "$TMP/run-vm.out")" ;;
	*)	fail_out template/run-vm "kubsd-vm run" "$TMP/run-vm.out" ;;
	esac

	t0=$(date +%s)
	if ! tmpl_build "$TMP/tsd-debian" debian \
	    "$(tmpl_conf debian "$TMPL_X11_PACKAGES")"; then
		fail_out template/debian-reproducible "rebuild failed" \
		    "$TMP/tmpl.out"
		return 1
	fi
	echo "# template debian rebuild: $(($(date +%s) - t0)) s"
	if [ "$(grep '^content-digest' "$d/manifest")" = \
	    "$(grep '^content-digest' "$TMP/tsd-debian/templates/debian/manifest")" ]
	then
		ok template/debian-reproducible
	else
		fail template/debian-reproducible "content digests differ" \
		    "$l" "$TMP/tsd-debian/templates/debian/content.list"
	fi
	rm -rf "$TMP/tsd-debian"
}

t_template() {
	if ! command -v qemu-system-x86_64 mmdebstrap >/dev/null; then
		skip template "no qemu-system-x86_64 or mmdebstrap (make deps)"
		return
	fi
	if [ ! -x "$ROOT/kubsd-vm" ] || [ ! -x "$ROOT/kubsd-guest" ]; then
		skip template "kubsd-vm or kubsd-guest not built"
		return
	fi
	t_template_minimal || return
	t_template_bad
	t_template_debian
}
