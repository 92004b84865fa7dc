#!/bin/sh
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
# regress/template/run-vm.sh TEMPLATE MINIMAL: kubsd-vm run as a user
# sees it.  TEMPLATE is the debian recipe with the X programs of
# TMPL_X11_PACKAGES (lib.sh), booted once as the AppVM "work": run
# starts it, runs as its user (uid 1000) or -u root, passes stdin and
# the exit status, fails rather than hangs without sshd or agent; under
# Xvfb, run -X shows an xterm on the host display titled with the vm's
# name, and so does the Exec line of kubsd-vm menu install's entry for
# it (a screenshot is kept in $KUBSD_TEST_LOGS); the vm cannot
# read a host window's pixels nor use XInput with untrusted forwarding,
# and can with "x11 trusted" (a reload, no second boot).  MINIMAL is a
# minimal template, booted twice as instances of a disposable: run
# leaves nothing of them when the command ends or is interrupted.
#
# Exit: 0 all checks passed, 77 cannot run here (reason on stderr).
#
TPL=$1
MIN=$2
cd "$(dirname "$0")/../.." || exit 1
NETD=${KUBSD_NETD_LIVE:-$PWD/kubsd-netd-asan}
NET=${KUBSD_NET:-$PWD/kubsd-net-asan}
VM=${KUBSD_VM:-$PWD/kubsd-vm-asan}
LOGS=${KUBSD_TEST_LOGS:-$PWD/obj/test-logs}/run-vm

. regress/lib/need.sh
need_root
need_tools ip nsenter python3 nft qemu-system-x86_64 qemu-img mkfs.ext4 \
    ssh ssh-keygen Xvfb xauth xdotool xwininfo xprop xdpyinfo xmessage xwd \
    xwdtopnm pnmtopng
need_qemu_user
need_files "$NETD" "$NET" "$VM" "$TPL/root.qcow2" "$MIN/initrd.img"

SB_PREFIX=r
SB_COMPARTMENTS="gw-a gw-b"
. regress/lib/sandbox.sh
FAILED=0

sb_init || { echo "mktemp failed" >&2; exit 77; }
sb_busy && exit 77

XPID=
run_cleanup() {
	[ -n "$XPID" ] && kill "$XPID" 2>/dev/null
	[ -n "${RUNPIDS:-}" ] && kill $RUNPIDS 2>/dev/null
}
VM_CLEANUP_MORE=run_cleanup
. regress/lib/vmtest.sh

sb_make_ns || { echo "ip netns add failed" >&2; exit 77; }
chmod 755 "$T"
mkdir -p "$T/state/templates" "$LOGS"
ln -s "$(cd "$TPL" && pwd)" "$T/state/templates/debian"
ln -s "$(cd "$MIN" && pwd)" "$T/state/templates/minimal"

conf() {	# X11-LINE: the configuration, "work" with X11-LINE
	{ sb_conf_head "$T/state" gw-a gw-b; cat <<EOF2; } >"$T/netd.conf"
vm "work" { template "debian"; chain "a"; memory 512M; private 64M; $1 }
disposable "tmp" { template "minimal"; chain "a"; memory 192M }
EOF2
}
conf ""
sb_start_netd && sb_wait_ready 30 || { cat "$T/netd.log"; exit 1; }
vm() { "$VM" -s "$SOCK" "$@"; }
field() {	# VM FIELD: from kubsd-vm status -j
	vm status -j "$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)[0].get(sys.argv[1]) or "")' "$2"
}
waitfor() {	# TENTHS COMMAND...: until COMMAND succeeds
	_t=$1; shift; _i=0
	while ! "$@" && [ $_i -lt "$_t" ]; do sleep 0.1; _i=$((_i + 1)); done
}
out() {	# EXPECTED COMMAND...: COMMAND's stdout is EXPECTED
	_e=$1; shift
	[ "$("$@" 2>"$T/err")" = "$_e" ] || { cat "$T/err"; return 1; }
}
now() { date +%s.%N; }
took() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }

# --- run starts the vm, as its user; stdin, stdout, exit status
t0=$(now)
check "run starts a stopped vm, runs as uid 1000" out 1000 vm run work id -u
echo "# run on a stopped vm: $(took "$t0") s to the command's output"
t0=$(now)
check "run -u root: uid 0" out 0 vm run -u root work id -u
echo "# run on a running vm: $(took "$t0") s"
check "the user's home is /home/user (the private disk)" out \
    "/home/user user" vm run work 'echo $HOME $(id -un)'
check "ssh takes the words as one command line" out "a b" \
    vm run work echo a   b
stdin_status() {
	printf 'line one\nline two\n' | vm run work 'cat; exit 7' >"$T/o"
	[ $? = 7 ] && printf 'line one\nline two\n' | cmp -s - "$T/o"
}
check "stdin in, stdout out, exit status 7 back" stdin_status
check "stderr is stderr" sh -c "'$VM' -s '$SOCK' run work 'echo e >&2' \
    2>&1 >/dev/null | grep -qx e"
baduser() {
	! vm run -u -oX work true 2>"$T/e" && grep -q 'invalid user' "$T/e"
}
check "a bad user is refused" baduser

# --- no sshd, no agent: an error naming the vm, no hang
waitfor 100 test ! -S "$T/state/vmkeys/work/mux"	# no master: it would carry on
vm exec work systemctl stop ssh.socket ssh.service >/dev/null 2>&1
nosshd() {
	timeout 60 "$VM" -s "$SOCK" run work true >/dev/null 2>"$T/e"
	_rc=$?
	[ $_rc != 0 ] && [ $_rc != 124 ] &&
	    grep -q '^kubsd-vm: vm work: ' "$T/e" ||
	    { echo "exit $_rc"; cat "$T/e"; return 1; }
}
check "without sshd: run fails at once, naming the vm" nosshd
vm exec work systemctl start ssh.service >/dev/null
noagent() {
	"$VM" -s "$SOCK" run work 'sleep 300' >/dev/null 2>"$T/e" &
	_p=$!
	sleep 8
	# (the exec's own agent dies with it: the next one says so)
	timeout 60 "$VM" -s "$SOCK" exec work 'pkill -9 -x kubsd-guest' \
	    >/dev/null 2>"$T/xe"
	XRC=$?
	_t=$(now)
	_i=0
	while kill -0 $_p 2>/dev/null && [ $_i -lt 120 ]; do
		sleep 1; _i=$((_i + 1))
	done
	kill -9 $_p 2>/dev/null && { echo "# still running"; return 1; }
	echo "# run ended $(took "$_t") s after its vm's agent was killed"
	! wait $_p && grep -q '^kubsd-vm: vm work: ' "$T/e"
}
check "the agent killed mid-command: run ends, naming the vm" noagent
exec_told() {
	[ "$XRC" = 1 ] && grep -q '^kubsd-vm: vm work: its agent restarted' \
	    "$T/xe" || { echo "exec: exit $XRC"; cat "$T/xe"; return 1; }
}
check "an exec whose command killed the agent ends, saying so" exec_told
waitfor 300 sh -c "'$VM' -s '$SOCK' run work true 2>/dev/null"
check "the restarted agent serves run again" vm run work true

# --- a desktop user: not root, in group kubsd (its primary group here,
# so that no /etc/group entry is needed), with its own runtime dir; a
# copy of kubsd-vm it can run (the tree may sit under a 0700 home)
KG=$(getent group kubsd | cut -d: -f3)
check "group kubsd exists (make deps makes it)" test -n "$KG"
NOBODY=$(id -u nobody)
mkdir -p "$T/bin" "$T/uhome" "$T/urun"
cp "$VM" "$T/bin/kubsd-vm"
chmod 755 "$T/bin" "$T/bin/kubsd-vm"
chown "$NOBODY:$KG" "$T/uhome" "$T/urun"
chmod 700 "$T/uhome" "$T/urun"
UMUX=$T/urun/kubsd/work.mux
as_user() {	# GID COMMAND...: as nobody, group GID, in its environment
	_g=$1; shift
	setpriv --reuid="$NOBODY" --regid="$_g" --clear-groups env -i \
	    PATH="$PATH" HOME="$T/uhome" XDG_RUNTIME_DIR="$T/urun" \
	    DISPLAY="${DISPLAY:-}" XAUTHORITY="$T/uhome/.Xauthority" "$@"
}
uvm() { as_user "$KG" "$T/bin/kubsd-vm" -s "$SOCK" "$@"; }
# root's master ends first: a vm's channel carries one host user's
waitfor 300 test ! -S "$T/state/vmkeys/work/mux"
check "the desktop user: run as the vm's user (uid 1000)" out 1000 \
    uvm run work id -u
nouser_root() {
	! uvm run -u root work id -u >/dev/null 2>"$T/e" &&
	    grep -q 'only root on the host' "$T/e"
}
check "the desktop user: -u root is refused" nouser_root
ucp() {	# a file of the desktop user's into work, whole, as the vm's user
	head -c 300000 /dev/urandom >"$T/uhome/note.bin"
	chown "$NOBODY" "$T/uhome/note.bin"
	uvm cp "$T/uhome/note.bin" work >"$T/o" 2>&1 || { cat "$T/o"; return 1; }
	[ "$(uvm run work 'sha256sum Incoming/host/note.bin; stat -c %U \
	    Incoming/host/note.bin' | cut -d' ' -f1 | tr '\n' ' ')" = \
	    "$(sha256sum <"$T/uhome/note.bin" | cut -d' ' -f1) user " ]
}
check "the desktop user: cp a file into work's ~/Incoming/host/" ucp
userkey_as() {	# USER: does this boot's user key log in as USER?
	# (root's copy: ssh takes no key of its own that its group may read)
	install -m 600 "$T/state/vmssh/work/user" "$T/userkey"
	ssh -i "$T/userkey" -o IdentitiesOnly=yes \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o LogLevel=ERROR -o BatchMode=yes -o ControlPath=none \
	    -o "ProxyCommand=$VM -s $SOCK proxy work" "$1@kubsd-work" true \
	    </dev/null >/dev/null 2>&1
}
waitfor 100 test ! -S "$UMUX"
check "the user key logs in as user" userkey_as user
no_login_as() { ! userkey_as "$1"; }
check "but not as root" no_login_as root
notmember() {	# nobody without the group: no socket, no key
	! as_user "$(id -g nobody)" "$T/bin/kubsd-vm" -s "$SOCK" run work \
	    true >/dev/null 2>"$T/e" && grep -q 'ermission denied' "$T/e" &&
	! as_user "$(id -g nobody)" cat "$T/state/vmssh/work/user" \
	    >/dev/null 2>&1
}
check "without the group: refused, and the key unreadable" notmember

# --- X11: an xterm of the vm on the host's display, as the desktop user
# (the master connection without a display ends first)
waitfor 300 test ! -S "$UMUX"
for n in $(seq 70 99); do
	[ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || break
done
export DISPLAY=":$n" XAUTHORITY="$T/xauth"
: >"$XAUTHORITY"
xauth add "$DISPLAY" . "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
cp "$XAUTHORITY" "$T/uhome/.Xauthority"
chown "$NOBODY" "$T/uhome/.Xauthority"
# -noreset: as a desktop's server, never reset when its last client
# goes (a reset drops the cookies ssh -X made with the SECURITY
# extension, and refuses connections while it runs)
Xvfb "$DISPLAY" -auth "$XAUTHORITY" -nolisten tcp -noreset \
    -screen 0 800x600x24 >"$T/xvfb.log" 2>&1 &
XPID=$!
waitfor 100 xdpyinfo >/dev/null 2>&1
xmessage -title HOSTWIN -geometry +400+300 "a host window" &
RUNPIDS=$!
waitfor 50 xdotool search --name '^HOSTWIN$' >/dev/null
HOSTWIN=$(xdotool search --name '^HOSTWIN$' | head -n 1)
check "Xvfb $DISPLAY with a host window" test -n "$HOSTWIN"

vmwin() { xdotool search --name "$1" 2>/dev/null | head -n 1; }
xterm_up() {	# TITLE: an xterm of work titled TITLE, its window in $WIN
	uvm run -X work xterm -geometry 60x10+10+10 -T "$1" >"$T/xterm.out" 2>&1 &
	RUNPIDS="$RUNPIDS $!"
	XTPID=$!
	waitfor 1200 sh -c "xdotool search --name '^work: $1\$' >/dev/null 2>&1"
	WIN=$(vmwin "^work: $1\$")
	[ -n "$WIN" ] || { cat "$T/xterm.out"; xwininfo -root -tree; return 1; }
}
t0=$(now)
check "run -X work xterm: a window on the host display, titled 'work: ...'" \
    xterm_up untrusted-xterm
echo "# the xterm's window titled $(took "$t0") s after run -X"
check "its WM_CLIENT_MACHINE is the vm" sh -c "xprop -id '$WIN' \
    WM_CLIENT_MACHINE | grep -q '\"work\"'"
# the menu's entry for xterm (kubsd-vm menu install): its Exec line
menu_xterm() {	# installed and started by the desktop user
	as_user "$KG" "$T/bin/kubsd-vm" -s "$SOCK" -f "$T/netd.conf" menu \
	    install work >"$T/menu.out" 2>&1 || { cat "$T/menu.out"; return 1; }
	_x=$(sed -n 's/^Exec=//p' \
	    "$T/uhome/.local/share/applications/kubsd-work-debian-xterm.desktop")
	[ -n "$_x" ] || { cat "$T/menu.out"; return 1; }
	echo "# Exec=$_x"
	as_user "$KG" sh -c "exec $_x" >"$T/menu-xterm.out" 2>&1 &
	MXPID=$!
	RUNPIDS="$RUNPIDS $!"
	waitfor 1200 sh -c "xdotool search --name '^work: xterm\$' >/dev/null 2>&1"
	MWIN=$(vmwin '^work: xterm$')
	[ -n "$MWIN" ] || { cat "$T/menu-xterm.out"; return 1; }
}
t0=$(now)
check "the menu entry's Exec: a second xterm, titled 'work: xterm'" menu_xterm
echo "# its window titled $(took "$t0") s after the Exec line ran"
xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng >"$LOGS/run-x11.png" 2>/dev/null
check "a screenshot: $LOGS/run-x11.png" sh -c \
    "head -c 8 '$LOGS/run-x11.png' | od -An -c | grep -q 'P   N   G'"
pixels() {	# WINDOW: the bytes xwd reads of WINDOW from inside work
	uvm run -X work "xwd -silent -id $1 2>/dev/null | wc -c" 2>/dev/null
}
xinput_ext() {	# does work's X client see XInputExtension?
	uvm run -X work 'xdpyinfo -queryExtensions | grep -c XInputExtension'
}
check "untrusted: the vm reads its own window's pixels" test \
    "$(pixels "$WIN")" -gt 1000
check "untrusted: not the host window's" test "$(pixels "$HOSTWIN")" = 0
check "untrusted: no XInput (no keystrokes of other windows)" test \
    "$(xinput_ext)" = 0
closes() {	# WINDOW PID: killed on the host, its run ends
	xdotool windowkill "$1"
	_i=0
	while kill -0 "$2" 2>/dev/null && [ $_i -lt 300 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	! kill -0 "$2" 2>/dev/null
}
check "the window killed on the host: its run ends" closes "$WIN" "$XTPID"
check "the menu's xterm too" closes "$MWIN" "$MXPID"
# the master connection (untrusted) ends 3 s after its last session
waitfor 100 test ! -S "$UMUX"

# "x11 trusted": a reload, no second boot
WPID=$(field work pid)
conf "x11 trusted"
check "reload with x11 trusted" "$NET" -s "$SOCK" reload
check "status says x11 trusted" test "$(field work x11)" = trusted
check "trusted: the vm reads the host window's pixels" test \
    "$(pixels "$HOSTWIN")" -gt 1000
check "trusted: XInput" test "$(xinput_ext)" = 1
check "work was not restarted" test "$(field work pid)" = "$WPID"

# --- a disposable: a fresh instance per run, nothing left after it
elements() { inh nft list set bridge kubsd vmport_ip4 | grep -c "\"$1\"" ; }
leftovers() {	# INSTANCE: what is left of it
	ls -d "$T/state/vms/$1" "$T/state/vms/$1.pid" "$T/state/vmkeys/$1" \
	    "$T/state/vmssh/$1" 2>/dev/null
	inh ip -o link show "kp-$1" 2>/dev/null | cut -d: -f2
	[ "$(elements "kp-$1")" = 0 ] || echo "set element kp-$1"
	pgrep -f "qemu-system.*$T/state/vms/$1/" >/dev/null && echo "qemu"
	"$VM" -s "$SOCK" status -j | grep -q "\"$1\"" && echo "status entry"
}
t0=$(now)
printf 'in\n' | vm run tmp 'cat; id -u; hostname; exit 3' >"$T/o"
check "run tmp: exit status 3 from a fresh instance" test $? = 3
echo "# a disposable run: $(took "$t0") s"
check "its stdin and the user's id (1000), on instance tmp-1" test \
    "$(tr '\n' ' ' <"$T/o")" = "in 1000 tmp-1 "
check "nothing is left of tmp-1 ($(leftovers tmp-1 | tr '\n' ' '))" \
    test -z "$(leftovers tmp-1)"
"$VM" -s "$SOCK" run tmp 'sleep 300' >/dev/null 2>"$T/int.err" &
RP=$!
waitfor 1200 sh -c "'$VM' -s '$SOCK' exec tmp-1 pidof sleep >/dev/null 2>&1"
kill -INT $RP
waitfor 600 sh -c "! kill -0 $RP 2>/dev/null"
check "an interrupted run ends" sh -c "! kill -0 $RP 2>/dev/null ||
    { ps -o pid,args --ppid $RP; cat '$T/int.err'; exit 1; }"
check "and leaves nothing of tmp-1 ($(leftovers tmp-1 | tr '\n' ' '))" \
    test -z "$(leftovers tmp-1)"

[ $FAILED -eq 0 ]
