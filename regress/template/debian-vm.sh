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
# regress/template/debian-vm.sh TEMPLATE: a built debian template (its
# directory) booted as an AppVM by kubsd-netd in the sandbox of
# regress/lib/sandbox.sh, as a user would: systemd reaches multi-user,
# the agent (a systemd unit) applied the credentials, kubsd-vm ssh
# works with this boot's key and not with the last one's, /home
# persists across stop and start and / does not.  One boot pair: TCG
# is slow.  Run by regress/template/group.sh.
#
# Exit: 0 all checks passed, 77 cannot run here (reason on stderr).
#
TPL=$1
cd "$(dirname "$0")/../.." || exit 1
NETD=${KUBSD_NETD_LIVE:-$PWD/kubsd-netd-asan}
NET=${KUBSD_NET:-$PWD/kubsd-net-asan}
VM=${KUBSD_VM:-$PWD/kubsd-vm-asan}

. regress/lib/need.sh
need_root
need_tools ip nsenter python3 nft qemu-system-x86_64 qemu-img mkfs.ext4 ssh \
    ssh-keygen
need_qemu_user
need_files "$NETD" "$NET" "$VM" "$TPL/root.qcow2"

SB_PREFIX=d
SB_COMPARTMENTS="gw-a gw-b"
. regress/lib/sandbox.sh
FAILED=0

sb_init || { echo "mktemp failed" >&2; exit 77; }
sb_busy && exit 77

. regress/lib/vmtest.sh

sb_make_ns || { echo "ip netns add failed" >&2; exit 77; }
# QEMU's user must reach the state directory and the template.
chmod 755 "$T"
mkdir -p "$T/state/templates"
ln -s "$(cd "$TPL" && pwd)" "$T/state/templates/debian"

# What a user writes (netd.conf(5)): the template by its recipe's name.
{ sb_conf_head "$T/state" gw-a gw-b; cat <<EOF; } >"$T/netd.conf"
vm "deb" { template "debian"; chain "a"; memory 512M; private 64M }
EOF

sb_start_netd && sb_wait_ready 30 || { cat "$T/netd.log"; exit 1; }
vm() { "$VM" -s "$SOCK" "$@"; }
field() {	# VM FIELD: from kubsd-vm status -j
	vm status -j "$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)[0].get(sys.argv[1]) or "")' "$2"
}
inside() { vm exec deb "$*"; }
has() {	# PATTERN COMMAND...: COMMAND's output (in the VM) has PATTERN
	_p=$1; shift
	inside "$@" | grep -q -- "$_p"
}
now() { date +%s.%N; }
took() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }

# --- first boot: ready means systemd's multi-user and sshd are up
t0=$(now)
check "start returns when the agent is ready" vm start deb
echo "# debian AppVM ready $(took "$t0") s after kubsd-vm start ($(field deb accel))"
PID=$(field deb pid)
check "systemd is up, no unit failed" has '^running$' \
    'timeout 120 systemctl is-system-running --wait'
inside 'systemctl --failed --no-legend' | sed 's/^/# failed: /'
check "systemd reached multi-user" has '^active$' \
    systemctl is-active multi-user.target
check "the agent runs as a systemd unit" has '^active$' \
    systemctl is-active kubsd-agent.service
check "sshd is already running when the agent is ready" has '^active$' \
    systemctl is-active ssh.service

# --- credentials: from SMBIOS type 11 through systemd to the agent
ADDR=$(field deb address)
GW=$(echo "$ADDR" | sed 's/\.[0-9]*$/.1/')
check "systemd imported kubsd's credentials" has "^$ADDR/" \
    cat /run/credentials/@system/kubsd.address
check "the hostname is the vm's" has '^deb$' hostname
check "the address ($ADDR) is on the interface" has " $ADDR/" \
    ip -o -4 addr show
check "the default route goes to the gateway" has "^default via $GW " \
    ip route show default
check "DNS is the gateway" has "^nameserver $GW\$" cat /etc/resolv.conf
check "the private disk is /home" has ' /home ' cat /proc/mounts
check "sshd listens on loopback only" sh -c "'$VM' -s '$SOCK' exec deb \
    ss -Hltn | awk '\$4 ~ /:22\$/ { print \$4 }' | sort -u | \
    tr '\n' ' ' | grep -qx '127.0.0.1:22 '"

# --- ssh with this boot's key; /home and / across stop and start
check "kubsd-vm ssh deb true" vm ssh deb true
check "ssh reaches the vm's own sshd" sh -c \
    "'$VM' -s '$SOCK' ssh deb hostname | grep -qx deb"
check "kubsd-vm log shows the agent's lines" sh -c \
    "'$VM' -s '$SOCK' log deb | grep -q 'agent: ready'"
check "the serial console logs root in" \
    grep -q 'automatic login' "$T/state/vms/deb/console.log"
inside systemctl stop ssh.service >/dev/null
nosshd() {	# fails at once, saying why, rather than hang
	timeout 60 "$VM" -s "$SOCK" ssh deb true >"$T/nosshd" 2>&1 && return 1
	grep -q 'vm deb: no sshd answers' "$T/nosshd"
}
check "without sshd, kubsd-vm ssh says so and fails" nosshd
cp "$T/state/vmkeys/deb/admin" "$T/oldkey"
inside 'echo kept >/home/keep && echo gone >/rootfile && sync' >/dev/null
check "stop" vm stop deb
check "a stopped vm leaves no qemu" sh -c "! kill -0 $PID 2>/dev/null"
t0=$(now)
check "start again" vm start deb
echo "# second boot ready $(took "$t0") s after kubsd-vm start"
check "a file in /home survives the restart" has '^kept$' cat /home/keep
check "a file in / does not" sh -c "! '$VM' -s '$SOCK' exec deb \
    test -e /rootfile"
check "ssh with this boot's key" vm ssh deb true
check "ssh with the previous boot's key fails" sh -c "! ssh -i '$T/oldkey' \
    -o ProxyCommand='$VM -s $SOCK proxy deb' -o BatchMode=yes \
    -o IdentitiesOnly=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@deb true"

PID=$(field deb pid)
check "stop at the end" vm stop deb
check "and its qemu is gone" sh -c "! kill -0 $PID 2>/dev/null"
check "teardown -f (deb is stopped, but attached)" "$NET" -s "$SOCK" teardown -f
_left=$(sb_kubsd_leftovers)
[ -z "$_left" ] || fail "kubsd left: $_left"
[ $FAILED -eq 0 ] || { echo "--- netd.log"; tail -n 40 "$T/netd.log"
	echo "--- console"; tail -n 40 "$T/state/vms/deb/console.log" | cat -v; }
vm_cleanup
_left=$(sb_leftovers)
[ -z "$_left" ] || { echo "FAIL leftovers: $_left"; FAILED=$((FAILED + 1)); }
exit $((FAILED > 0))
