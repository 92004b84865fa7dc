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
# The VM layer live: real QEMU VMs (TCG here) started by kubsd-netd in
# the sandbox of regress/lib/sandbox.sh, on the "minimal" template built
# from the Debian mirror (cached by regress/template/lib.sh).  Boots are
# few and shared between checks (eight boots: work three times, cloud
# twice, three instances of the disposable browse, two of them at once).
#
# Exit: 0 all checks passed, 77 cannot run here (reason on stderr).
#
cd "$(dirname "$0")/../.." || exit 1
NETD=${KUBSD_NETD_LIVE:-$PWD/kubsd-netd-asan}
NET=${KUBSD_NET:-$PWD/kubsd-net-asan}
VM=${KUBSD_VM:-$PWD/kubsd-vm-asan}
GUEST=${KUBSD_GUEST_VM:-$PWD/kubsd-guest}

. regress/lib/need.sh
need_root
need_tools ip nsenter curl python3 nft qemu-system-x86_64 qemu-img mkfs.ext4 \
    cpio zstd dpkg-deb ssh ssh-keygen
need_qemu_user
need_files "$NETD" "$NET" "$VM" "$GUEST"

SB_PREFIX=v
SB_COMPARTMENTS="gw-a gw-b"
. regress/lib/sandbox.sh
FAILED=0

# The template first: a build (minutes) must not hold the sandbox lock.
ROOT=$PWD
. regress/template/lib.sh
TMP=$(mktemp -d) || exit 77
TMPL=$(tmpl_cached minimal)
rm -rf "$TMP"
[ -n "$TMPL" ] || { echo "FAIL no minimal template"; exit 1; }

sb_init || { echo "mktemp failed" >&2; exit 77; }
sb_busy && exit 77

. regress/lib/vmtest.sh

sb_make_ns || { echo "ip netns add failed" >&2; exit 77; }
sb_http "hello from the test internet"
# QEMU's user must reach the state directory.
chmod 755 "$T"
mkdir -p "$T/state/templates"
ln -s "$TMPL" "$T/state/templates/minimal"
echo "s3cret-$$" >"$T/secret"
chmod 600 "$T/secret"

{ sb_conf_head "$T/state" gw-a gw-b; cat <<EOF; } >"$T/netd.conf"
template "minimal" { recipe minimal }
template "missing" { recipe minimal }
vm "work" { template "minimal"; chain "a"; memory 192M; private 32M mount "/data"; restart on-failure }
vm "cloud" { template "minimal"; chain "b"; memory 192M; sealed; private 32M mount "/var/data"; restart always; credential "db-password" file "$T/secret" }
disposable "browse" { template "minimal"; chain "a"; memory 192M; private 16M }
vm "nobuilt" { template "missing"; chain "a" }
vm "badpriv" { template "minimal"; chain "a"; private 16M }
EOF

sb_start_netd && sb_wait_ready 30 || { cat "$T/netd.log"; exit 1; }
vm() { "$VM" -s "$SOCK" "$@"; }
field() {	# VM FIELD: from kubsd-vm status -j
	vm status -j "$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)[0].get(sys.argv[1]) or "")' "$2"
}
# inside VM COMMAND: COMMAND's output in the VM, through its agent
inside() { _v=$1; shift; "$VM" -s "$SOCK" exec "$_v" "$*"; }
waitfor() {	# TENTHS COMMAND...: until COMMAND succeeds
	_t=$1; shift; _i=0
	while ! "$@" && [ $_i -lt "$_t" ]; do sleep 0.1; _i=$((_i + 1)); done
}
is() { test "$(field "$1" "$2")" = "$3"; }
isnt() { test "$(field "$1" "$2")" != "$3"; }

# --- an AppVM boots, gets its address, reaches the internet
check "start returns when ready" vm start work
check "status says ready under tcg" test \
    "$(field work state) $(field work accel)" = "ready tcg"
ADDR=$(field work address)
check "the agent applied the address" sh -c \
    "'$VM' -s '$SOCK' exec work ip -o addr show eth0 | grep -q ' $ADDR/'"
check "work reaches the test internet" sh -c "'$VM' -s '$SOCK' exec work \
    timeout 10 wget -q -O - http://192.0.2.2:8080/ | grep -q 'test internet'"
check "the server sees the chain's exit (the host's uplink)" sh -c \
    "tail -n 1 '$T/http.log' | grep -q '^192\.0\.2\.1 '"
PID=$(field work pid)
check "qemu runs as a user of its own" sh -c \
    "grep -q '^Uid:[[:space:]]*[1-9]' /proc/$PID/status"
check "qemu runs in seccomp filter mode" sh -c \
    "grep -q '^Seccomp:[[:space:]]*2' /proc/$PID/status"
check "kubsd-vm log shows the guest's console" sh -c \
    "'$VM' -s '$SOCK' log work | grep -q 'agent: ready'"

# --- the private disk persists, / does not
check "kubsd-vm ssh reaches the guest's sshd over the channel" sh -c \
    "'$VM' -s '$SOCK' ssh work hostname | grep -qx work"
cp "$T/state/vmkeys/work/admin" "$T/oldkey"
inside work 'echo kept >/data/keep; echo gone >/rootfile; sync' >/dev/null
check "stop" vm stop work
check "a stopped vm leaves no qemu" sh -c "! kill -0 $PID 2>/dev/null"
check "start again" vm start work
check "the private mount survives stop and start" sh -c \
    "'$VM' -s '$SOCK' exec work cat /data/keep | grep -q kept"
check "a file written to / does not" sh -c \
    "! '$VM' -s '$SOCK' exec work test -e /rootfile"
check "ssh with this boot's key" vm ssh work true
check "ssh with the previous boot's key fails" sh -c "! ssh -i '$T/oldkey' \
    -o ProxyCommand='$VM -s $SOCK proxy work' -o BatchMode=yes \
    -o IdentitiesOnly=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@work true"

# --- attach of a running VM keeps its tap
# sysfs shows this namespace's links, not H's: ask ip.
ifindex() { inh ip -o link show dev kp-work | cut -d: -f1; }
IFX=$(ifindex)
PID=$(field work pid)
check "attach work b" "$NET" -s "$SOCK" attach work b
check "the tap is the same (ifindex)" \
    test "$(ifindex)" = "$IFX"
check "qemu was not restarted" is work pid "$PID"
NADDR=$(field work address)
hasaddr() { inside work ip -o addr show eth0 | grep -q " $NADDR/"; }
waitfor 50 hasaddr
check "the agent applied the new address ($NADDR)" hasaddr
check "work reaches the internet through b" sh -c "'$VM' -s '$SOCK' exec work \
    timeout 10 wget -q -O - http://192.0.2.2:8080/ | grep -q 'test internet'"

# --- a crash: seen at once, its port blocked, restarted (on-failure)
# vmport_ip4 holds "port . first hop . MAC . address" of every VM whose
# port carries traffic: the bridge forwards nothing else from a VM port.
elements() { inh nft list set bridge kubsd vmport_ip4 | grep -c "\"$1\"" ; }
check "before the crash work's port has its set element" \
    test "$(elements kp-work)" = 1
kill -9 "$PID"
waitfor 10 isnt work pid "$PID"
check "kill -9: the vm is seen ended within a second" isnt work pid "$PID"
check "after the crash its port is blocked (no set element)" \
    test "$(elements kp-work)" = 0
check "and stays blocked while it starts again" sh -c \
    "'$VM' -s '$SOCK' status -j work | grep -q '\"state\": \"starting\"' &&
    test \"\$(nsenter --net=/var/run/netns/$H nft list set bridge kubsd \
    vmport_ip4 | grep -c '\"kp-work\"')\" = 0"
waitfor 300 is work state ready
check "restart on-failure brings it back" is work state ready
check "and its port carries again (its set element is back)" \
    test "$(elements kp-work)" = 1

# --- sealed, with a credential
check "start cloud (sealed)" vm start cloud
CPID=$(field cloud pid)
check "the credential is readable inside" sh -c "'$VM' -s '$SOCK' exec cloud \
    cat /sys/firmware/qemu_fw_cfg/by_name/opt/io.systemd.credentials/db-password/raw |
    grep -q s3cret-$$"
check "the credential is not in qemu's cmdline or environ" sh -c \
    "! grep -qa s3cret-$$ /proc/$CPID/cmdline /proc/$CPID/environ"
check "the sealed vm's qemu has -snapshot -no-reboot, its data disk \
snapshot=off" sh -c "tr '\\0' ' ' </proc/$CPID/cmdline | grep -q \
    'id=private,file=[^ ]*,format=raw,snapshot=off .*-snapshot -no-reboot'"
inside cloud 'echo kept >/var/data/keep; echo changed >/etc/sealed-change; echo gone >/rootfile; sync' >/dev/null
check "a change to / is there before the reboot" sh -c \
    "'$VM' -s '$SOCK' exec cloud cat /rootfile | grep -q gone"
(inside cloud 'reboot -f' >/dev/null 2>&1 &)
waitfor 100 isnt cloud pid "$CPID"
check "a reboot inside a sealed vm ends its qemu" isnt cloud pid "$CPID"
waitfor 300 is cloud state ready
check "restart always starts it again" is cloud state ready
check "the sealed vm's data disk persists" sh -c \
    "'$VM' -s '$SOCK' exec cloud cat /var/data/keep | grep -q kept"
check "the change to / and /etc is gone after the reboot" sh -c \
    "'$VM' -s '$SOCK' exec cloud 'test -e /rootfile || test -e /etc/sealed-change; echo \$?' |
    grep -qx 1"
check "the data disk file persists on the host" \
    test -s "$T/state/private/cloud.img"

# --- a disposable: two instances at once, each with its own everything
start_instance() {	# the instance's name, from kubsd-vm start's "NAME ready"
	"$VM" -s "$SOCK" start browse | awk '$2 == "ready," { print $1 }'
}
B1=$(start_instance)
B2=$(start_instance)
check "start browse makes instances browse-1 and browse-2" \
    test "$B1 $B2" = "browse-1 browse-2"
B1A=$(field browse-1 address); B2A=$(field browse-2 address)
check "each has its own address ($B1A, $B2A), none another node's" sh -c \
    "test -n '$B1A' && test -n '$B2A' && test '$B1A' != '$B2A' &&
    test \"\$('$NET' -s '$SOCK' status -j | grep -c '\"address\": \"$B1A\"')\" = 1 &&
    test \"\$('$NET' -s '$SOCK' status -j | grep -c '\"address\": \"$B2A\"')\" = 1"
check "each has its own tap" sh -c "nsenter --net=/var/run/netns/$H \
    ip link show kp-browse-1 >/dev/null && nsenter --net=/var/run/netns/$H \
    ip link show kp-browse-2 >/dev/null"
check "each has its own set element" test \
    "$(elements kp-browse-1)/$(elements kp-browse-2)/$(elements kp-browse)" = "1/1/0"
check "the agents applied their own addresses" sh -c \
    "'$VM' -s '$SOCK' exec browse-1 ip -o addr show eth0 | grep -q ' $B1A/' &&
    '$VM' -s '$SOCK' exec browse-2 ip -o addr show eth0 | grep -q ' $B2A/'"
check "ssh and exec take the instance's name" sh -c \
    "'$VM' -s '$SOCK' ssh browse-2 hostname | grep -qx browse-2"
check "status lists the instances as instances of browse" sh -c \
    "'$VM' -s '$SOCK' status -j browse-1 | grep -q '\"instance_of\": \"browse\"'"
check "each instance's private disk is in its own run dir" test -f \
    "$T/state/vms/browse-1/private.img" -a -f "$T/state/vms/browse-2/private.img"

# --- netd restarts: running VMs are adopted
WPID=$(field work pid); CPID=$(field cloud pid)
B1P=$(field browse-1 pid); B2P=$(field browse-2 pid)
kill -9 "$NETD_PID"; wait "$NETD_PID" 2>/dev/null; NETD_PID=
rm -f "$SOCK"
sb_start_netd && sb_wait_ready 30 || { cat "$T/netd.log"; exit 1; }
allready() { is work state ready && is cloud state ready &&
    is browse-1 state ready && is browse-2 state ready; }
waitfor 100 allready
check "a new netd adopts both (same pids, ready)" test \
    "$(field work pid)/$(field cloud pid)/$(field work state)" = \
    "$WPID/$CPID/ready"
check "and the instances (same pids, names and addresses, ready)" test \
    "$(field browse-1 pid)/$(field browse-2 pid)/$(field browse-1 address)/$(field browse-2 address)/$(field browse-2 state)" = \
    "$B1P/$B2P/$B1A/$B2A/ready"
check "no duplicate taps" test "$(inh ip -o link show | grep -c 'kp-work')" = 1
check "still reachable over the channel" inside work true
check "instances too" inside browse-1 true

# --- bad input: one line naming the object, nothing half-made
check "a template not built" sh -c "'$VM' -s '$SOCK' start nobuilt 2>&1 |
    grep -q '^kubsd-vm: vm nobuilt: template missing is not built'"
check "nothing of nobuilt is left" test ! -e "$T/state/vms/nobuilt.pid"
ln -s /nonexistent/x "$T/state/private/badpriv.img"
check "a private disk that cannot be made" sh -c "'$VM' -s '$SOCK' \
    start badpriv 2>&1 | grep -q '^kubsd-vm: vm badpriv: private disk'"
check "badpriv stays stopped" is badpriv state stopped
check "a second start" sh -c "'$VM' -s '$SOCK' start work 2>&1 |
    grep -q '^kubsd-vm: vm work: already ready'"
check "console on a stopped vm" sh -c "'$VM' -s '$SOCK' console nobuilt \
    </dev/null 2>&1 | grep -q '^kubsd-vm: vm nobuilt: not running'"
check "teardown refuses while vms run" sh -c "'$NET' -s '$SOCK' teardown \
    2>&1 | grep -q 'vms running'"

# --- an instance that ends leaves nothing: stopped, or its qemu killed
# leftovers NAME PID: what is left of instance NAME (empty: nothing)
leftovers() {
	ls -d "$T/state/vms/$1" "$T/state/vms/$1.pid" "$T/state/vmkeys/$1" \
	    2>/dev/null
	inh ip -o link show "kp-$1" 2>/dev/null | cut -d: -f2
	[ "$(elements "kp-$1")" = 0 ] || echo "set element kp-$1"
	inh nft list table bridge kubsd | grep -q "kp-$1\"" &&
	    echo "kp-$1 in table bridge kubsd"
	kill -0 "$2" 2>/dev/null && echo "process $2"
	"$VM" -s "$SOCK" status -j | grep -q "\"$1\"" && echo "status entry"
	grep -qs "$1" "$T/state/attachments" && echo "attachments entry"
}
gone_all() { [ -z "$(leftovers "$1" "$2")" ]; }
check "stop browse-1" vm stop browse-1
waitfor 50 gone_all browse-1 "$B1P"
check "a stopped instance leaves nothing ($(leftovers browse-1 "$B1P" | tr '\n' ' '))" \
    gone_all browse-1 "$B1P"
check "browse-2 runs on" is browse-2 state ready
B3=$(start_instance)
check "the next instance takes the lowest free number" test "$B3" = browse-1
B3P=$(field browse-1 pid)
(inside browse-1 'poweroff -f' >/dev/null 2>&1 &)
waitfor 100 gone_all browse-1 "$B3P"
check "an instance powered off inside leaves nothing ($(leftovers browse-1 "$B3P" | tr '\n' ' '))" \
    gone_all browse-1 "$B3P"
kill -9 "$B2P"
waitfor 50 gone_all browse-2 "$B2P"
check "an instance whose qemu is killed leaves nothing ($(leftovers browse-2 "$B2P" | tr '\n' ' '))" \
    gone_all browse-2 "$B2P"
check "the definition browse is still there, stopped" is browse state stopped

# an instance still booting when teardown -f comes (no boot of its own)
timeout 2 "$VM" -s "$SOCK" start browse >/dev/null 2>&1
B4P=$(field browse-1 pid)
WPID=$(field work pid); CPID=$(field cloud pid)
check "teardown -f with vms running" "$NET" -s "$SOCK" teardown -f
gone() { ! kill -0 "$WPID" 2>/dev/null && ! kill -0 "$CPID" 2>/dev/null &&
    ! kill -0 "${B4P:-0}" 2>/dev/null; }
waitfor 50 gone
check "teardown -f ended their qemus (an instance's too)" gone
check "and left nothing of the instance" sh -c "test -n '$B4P' && ! ls -d \
    '$T/state/vms/browse-1' '$T/state/vms/browse-1.pid' \
    '$T/state/vmkeys/browse-1' 2>/dev/null | grep -q ."
check "and left no pid file" sh -c "! ls '$T'/state/vms/*.pid 2>/dev/null | grep -q ."
[ $FAILED -eq 0 ] || { echo "--- netd.log"; cat "$T/netd.log"; }
vm_cleanup
_left=$(sb_leftovers)
[ -z "$_left" ] || { echo "FAIL leftovers: $_left"; FAILED=$((FAILED + 1)); }
exit $((FAILED > 0))
