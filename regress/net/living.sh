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
# Living with VMs: host folders (share), sound (audio) and files between
# VMs (kubsd-vm cp, mv), on real QEMU VMs (TCG here).  The image is
# regress/lib/vmimage.sh's with Debian's generic kernel: its cloud kernel
# has neither 9p nor sound.  Two boots, shared by every check.
#
# Exit: 0 all checks passed, 77 cannot run here (reason on stderr).
#
cd "$(dirname "$0")/../.." || exit 1
NETD=${KUBSD_NETD_LIVE:-$PWD/kubsd-netd-asan}
NET=${KUBSD_NET:-$PWD/kubsd-net-asan}
VM=${KUBSD_VM:-$PWD/kubsd-vm-asan}
GUEST=${KUBSD_GUEST_VM:-$PWD/kubsd-guest}

[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
for t in ip nsenter python3 nft qemu-system-x86_64 cpio busybox ssh \
    ssh-keygen setfacl getfacl; do
	command -v $t >/dev/null || { echo "no $t" >&2; exit 77; }
done
getent passwd _kubsd-qemu >/dev/null ||
    { echo "no user _kubsd-qemu (make deps)" >&2; exit 77; }
for b in "$NETD" "$NET" "$VM" "$GUEST"; do
	[ -x "$b" ] || { echo "FAIL missing $b"; exit 1; }
done

SB_PREFIX=l
SB_COMPARTMENTS="gw-a gw-b"
. regress/lib/sandbox.sh
VMIMAGE_KERNEL=linux-image-amd64
VMIMAGE_CACHE=$PWD/obj/vmtest-generic
VM_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
virtio_pci failover net_failover virtio_net virtio_blk virtio_console
virtio_balloon qemu_fw_cfg 9pnet 9pnet_virtio netfs fscache 9p soundcore
snd snd-timer snd-pcm snd-hda-core snd-hwdep snd-hda-codec
snd-intel-sdw-acpi snd-intel-dspcfg ledtrig-audio snd-hda-codec-generic
snd-hda-intel snd-mixer-oss snd-pcm-oss"
. regress/lib/vmimage.sh
FAILED=0

sb_init || { echo "mktemp failed" >&2; exit 77; }
sb_busy && exit 77

. regress/lib/vmtest.sh

# --- bad shares are refused at -n, naming file:line
mkdir -p "$T/state"
sbad() {	# SHARE-LINE EXPECTED
	{ echo "statedir \"$T/state\""
	  echo 'uplink "wan" { interface "lo" }'
	  echo 'gateway "g" { role sys-net; driver netns }'
	  echo 'chain "a" { "g" "wan" }'
	  echo "vm \"v\" { chain \"a\"; $1 }"; } >"$T/bad.conf"
	"$NETD" -n -f "$T/bad.conf" 2>&1 | grep -q "^$T/bad.conf:5: $2"
}
check "-n: a relative share" sbad 'share "photos" at "/mnt/p"' \
    'share "photos" at "/mnt/p": the path must be an absolute path'
check "-n: a share with .." sbad 'share "/srv/../etc" at "/mnt/p"' \
    'share "/srv/../etc" at "/mnt/p": the path has an empty'
check "-n: a share under the statedir" sbad \
    "share \"$T/state/vmkeys\" at \"/mnt/p\"" \
    "vm \"v\": share \"$T/state/vmkeys\" overlaps the statedir"
check "-n: a share holding the statedir" sbad "share \"$T\" at \"/mnt/p\"" \
    "vm \"v\": share \"$T\" overlaps the statedir"
check "-n: bad audio" sbad 'audio loud' 'invalid audio "loud"'

sb_make_ns || { echo "ip netns add failed" >&2; exit 77; }
chmod 755 "$T"
mkdir -p "$T/state/templates"
vm_image "$T/state/templates/tiny" "$GUEST" ||
    { echo "cannot build the test image" >&2; exit 77; }
# The shares sit below a directory QEMU's user cannot enter.
mkdir -m 700 "$T/closed"
mkdir -m 700 "$T/closed/photos" "$T/closed/drop"
echo "a photo $$" >"$T/closed/photos/hello.txt"
chmod 644 "$T/closed/photos/hello.txt"

{ sb_conf_head "$T/state" gw-a gw-b; cat <<EOF2; } >"$T/netd.conf"
template "tiny" { recipe minimal }
vm "home" { template "tiny"; chain "a"; memory 192M; audio yes
	share "$T/closed/photos" at "/mnt/photos"
	share "$T/closed/drop" at "/mnt/drop" read-write }
vm "bare" { template "tiny"; chain "a"; memory 192M }
vm "lost" { template "tiny"; chain "a"; share "$T/closed/nothere" at "/m" }
EOF2

export KUBSD_TEST_AUDIO_WAV=1
sb_start_netd && sb_wait_ready 30 || { cat "$T/netd.log"; exit 1; }
vm() { "$VM" -s "$SOCK" "$@"; }
field() {	# VM FIELD: from kubsd-vm status -j
	vm status -j "$1" | python3 -c '
import json, sys
v = json.load(sys.stdin)[0].get(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$2"
}
inside() { _v=$1; shift; "$VM" -s "$SOCK" exec "$_v" "$*"; }
has_acl() { getfacl -p "$1" 2>/dev/null | grep -q '^user:_kubsd-qemu:'; }

# --- a share that does not exist when the VM starts
check "a missing share stops the start, naming it" sh -c "'$VM' -s '$SOCK' \
    start lost 2>&1 | grep -q '^kubsd-vm: vm lost: share $T/closed/nothere: No such file'"
check "lost stays stopped" test "$(field lost state)" = stopped

# --- host folders
check "start home (two shares, audio yes)" vm start home
check "start bare (nothing)" vm start bare
check "status shows home's sound" sh -c "'$VM' -s '$SOCK' status |
    grep -q '^home .* yes\$'"
check "status -j: audio and shares" test "$(field home audio) $(field bare audio) $(field home shares | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "yes no 2"
check "qemu's user got the shared directory itself (ACL)" has_acl "$T/closed/photos"
check "and nothing above it" sh -c "! getfacl -p '$T/closed' | grep -q _kubsd-qemu"
check "home reads a host file through a read-only share" sh -c \
    "'$VM' -s '$SOCK' exec home cat /mnt/photos/hello.txt | grep -qx 'a photo $$'"
check "root in home cannot write the read-only share" sh -c \
    "! '$VM' -s '$SOCK' exec home 'echo x >/mnt/photos/new' 2>/dev/null"
check "nor after remounting it read-write" sh -c \
    "! '$VM' -s '$SOCK' exec home 'mount -o remount,rw /mnt/photos && echo x >/mnt/photos/new' 2>/dev/null"
check "nor delete in it" sh -c \
    "! '$VM' -s '$SOCK' exec home 'rm -f /mnt/photos/hello.txt' 2>/dev/null"
check "the host's folder is untouched" test \
    "$(ls "$T/closed/photos")" = hello.txt
inside home 'echo written-inside >/mnt/drop/out.txt; mkdir /mnt/drop/sub' >/dev/null
check "a read-write share's write reaches the host" grep -qx written-inside \
    "$T/closed/drop/out.txt"
check "owned by qemu's user on the host" test \
    "$(stat -c %U "$T/closed/drop/out.txt" "$T/closed/drop/sub" | sort -u)" = _kubsd-qemu
check "bare sees no share" sh -c "! '$VM' -s '$SOCK' exec bare \
    'ls /mnt/photos /mnt/drop 2>/dev/null; cat /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag 2>/dev/null' | grep -q ."
check "bare cannot mount home's tag" sh -c "! '$VM' -s '$SOCK' exec bare \
    'mkdir -p /x && mount -t 9p -o trans=virtio kubsd0 /x' 2>/dev/null"

# --- sound
check "home has a sound card" sh -c "'$VM' -s '$SOCK' exec home \
    cat /proc/asound/cards | grep -q ']:'"
check "with a microphone (audio yes: a capture device)" sh -c \
    "'$VM' -s '$SOCK' exec home 'ls /proc/asound/card0/' | grep -q pcm0c"
check "bare has none" sh -c "! '$VM' -s '$SOCK' exec bare \
    cat /proc/asound/cards | grep -q ']:'"
# A 1 kHz square wave, 2 s of 8-bit 8 kHz (OSS /dev/dsp's defaults):
# busybox has no ALSA player.
inside home "printf '\\340\\340\\340\\340\\040\\040\\040\\040' >/tmp/t;" \
    "for i in 1 2 3 4 5 6 7 8 9 10 11; do cat /tmp/t /tmp/t >/tmp/u;" \
    "mv /tmp/u /tmp/t; done; cat /tmp/t >/dev/dsp" >/dev/null

# --- files between VMs: kubsd-vm cp and mv over the ssh channels, as
# the VMs' user (its files, its ~/Incoming)
MB20=20971520
inside bare "cd /home/user; head -c $MB20 /dev/urandom >big; chmod 640 big;" \
    "echo small >small; mkfifo fifo; ln -s /etc/passwd link; ln -s /etc dl;" \
    "mkdir -p dir; chown -h user big small fifo link dl dir" >/dev/null
SUM=$(inside bare sha256sum /home/user/big | cut -d' ' -f1)
check "a 20 MB file in bare" test "$(inside bare stat -c %s /home/user/big)" = $MB20
t0=$(date +%s)
OUT=$(vm cp bare:/home/user/big home 2>&1)
t1=$(date +%s)
echo "# cp of 20 MB between two vms: $((t1 - t0)) s"
check "cp lands in ~/Incoming/bare/ (it says where)" test \
    "$OUT" = "home:/home/user/Incoming/bare/big"
check "the sha256 matches" test \
    "$(inside home sha256sum /home/user/Incoming/bare/big | cut -d' ' -f1)" = "$SUM"
check "size and mode kept" test \
    "$(inside home "stat -c '%s %a' /home/user/Incoming/bare/big")" = "$MB20 640"
check "a second copy gets a new name" test \
    "$(vm cp bare:big home 2>&1)" = "home:/home/user/Incoming/bare/big.1"
refused() {	# SRC MESSAGE: refused with MESSAGE, nothing lands
	_o=$("$VM" -s "$SOCK" cp "$1" home 2>&1) && return 1
	echo "$_o" | grep -q "$2" || { echo "# $1: $_o"; return 1; }
	test "$(inside home ls -A /home/user/Incoming/bare | tr '\n' ' ')" = \
	    "big big.1 "
}
check "cp refuses .." refused 'bare:/home/user/../etc/passwd' \
    '^kubsd-vm: cp: /home/user/../etc/passwd: the path has a ".." component$'
check "cp refuses a symlink" refused bare:/home/user/link \
    '^kubsd-vm: cp: vm bare: /home/user/link: a symbolic link$'
check "cp refuses a path through a symlink to /etc" refused \
    bare:/home/user/dl/passwd 'reached through a symbolic link (/etc/passwd)$'
check "cp refuses a fifo" refused bare:/home/user/fifo \
    'vm bare: /home/user/fifo: not a regular file (fifo)$'
check "cp refuses a device" refused bare:/dev/null \
    'vm bare: /dev/null: not a regular file (character special file)$'
check "cp refuses a directory" refused bare:/home/user/dir \
    'vm bare: /home/user/dir: not a regular file (directory)$'
check "cp refuses a control character" refused "bare:/home/user/a$(printf '\033')b" \
    'the path has a control character$'
# An interrupted copy: stopped while the part file grows.
"$VM" -s "$SOCK" cp bare:/home/user/big home >/dev/null 2>&1 &
CPID=$!
parting() { inside home 'ls -A /home/user/Incoming/bare' | grep -q '^\.big\.kubsd-part'; }
_i=0; while ! parting && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
kill -INT $CPID
wait $CPID; CRC=$?
check "the copy was interrupted (exit 130)" test $CRC = 130
check "and ended its source's ssh: bare's channel is free again" \
    timeout 60 "$VM" -s "$SOCK" ssh bare true
sleep 2
check "an interrupted copy leaves nothing under a final name" test \
    "$(inside home ls -A /home/user/Incoming/bare | grep -v '^\.big\.kubsd-part' | tr '\n' ' ')" = "big big.1 "
check "nor its part file, once the receiver saw the end" sh -c \
    "! '$VM' -s '$SOCK' exec home 'ls -A /home/user/Incoming/bare' | grep -q kubsd-part"
# the host on either side
echo "from the host" >"$T/hostfile"; chmod 604 "$T/hostfile"
check "host to vm: ~/Incoming/host/" test \
    "$(vm cp "$T/hostfile" home 2>&1)" = "home:/home/user/Incoming/host/hostfile"
check "with its content and mode" test "$(inside home \
    'cat /home/user/Incoming/host/hostfile; stat -c %a /home/user/Incoming/host/hostfile' | tr '\n' ' ')" = "from the host 604 "
ln -s /etc/passwd "$T/hostlink"
check "host symlinks are refused" sh -c "'$VM' -s '$SOCK' cp '$T/hostlink' \
    home 2>&1 | grep -q '^kubsd-vm: cp: $T/hostlink: a symbolic link\$'"
mkdir -p "$T/in"
check "vm to a host directory" test \
    "$(vm cp bare:/home/user/big "$T/in" 2>&1)" = "$T/in/big"
check "whole, mode kept" test "$(sha256sum <"$T/in/big" | cut -d' ' -f1) \
$(stat -c %a "$T/in/big")" = "$SUM 640"
check "again: a new name on the host too" test \
    "$(vm cp bare:/home/user/big "$T/in" 2>&1)" = "$T/in/big.1"
check "no part file left on the host" sh -c "! ls -A '$T/in' | grep -q part"
check "mv moves" test "$(vm mv bare:/home/user/small home 2>&1)" = \
    "home:/home/user/Incoming/bare/small"
check "mv removed the source only after" sh -c "! '$VM' -s '$SOCK' exec bare \
    test -e /home/user/small && '$VM' -s '$SOCK' exec home cat /home/user/Incoming/bare/small | grep -qx small"

HPID=$(field home pid)
check "stop home" vm stop home
check "the stopped vm's shares lose their ACL" sh -c \
    "! getfacl -p '$T/closed/photos' '$T/closed/drop' | grep -q _kubsd-qemu"
loud() {	# the recording is not silence: peak and RMS of s16 samples
	python3 - "$1" <<'EOP'
import struct, sys, math
d = open(sys.argv[1], "rb").read()[44:]
n = len(d) // 2
s = struct.unpack("<%dh" % n, d[:n * 2]) if n else ()
peak = max((abs(x) for x in s), default=0)
rms = math.sqrt(sum(x * x for x in s) / n) if n else 0
print("samples %d peak %d rms %.0f" % (n, peak, rms), file=sys.stderr)
sys.exit(0 if peak > 1000 and rms > 100 else 1)
EOP
}
check "home's tone is in the recording (not silence)" \
    loud "$T/state/vms/home/audio.wav"
check "bare recorded nothing" test ! -e "$T/state/vms/bare/audio.wav"

[ $FAILED -eq 0 ] || { echo "--- netd.log"; cat "$T/netd.log"; }
vm_cleanup
_left=$(sb_leftovers)
[ -z "$_left" ] || { echo "FAIL leftovers: $_left"; FAILED=$((FAILED + 1)); }
exit $((FAILED > 0))
