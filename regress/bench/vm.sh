#!/bin/sh
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

# make bench, part 3: the VM layer (QEMU under TCG here), in the sandbox
# of regress/lib/sandbox.sh on the "minimal" template (the test cache of
# regress/template/lib.sh).
# Prints only: no timing here is a pass or a fail.
#
#  - host-side start cost: from kubsd-vm start's request to QEMU
#    started with its disks, tap, rules and credentials ready (netd's
#    own measure, status "start_ms"), median of N, with 1 and with 10
#    other VMs running;
#  - boot to ready through kubsd against a bare qemu-system-x86_64 of
#    the same kernel and initramfs in the same run (ready: the agent's
#    line on the console), alternating, median of 5 each;
#  - PSS of an idle VM with 128M, 20 s after ready;
#  - PSS of an idle debian AppVM with 512M once free page reporting
#    has settled (two samples 5 s apart within 2 MB), on the test
#    template of regress/template/lib.sh (built unless cached).
cd "$(dirname "$0")/../.." || exit 1
NETD=$PWD/kubsd-netd
VM=$PWD/kubsd-vm
NET=$PWD/kubsd-net
skip() { echo; echo "== vm benchmarks skipped: $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root"
for t in ip nsenter python3 nft qemu-system-x86_64 cpio busybox; do
	command -v $t >/dev/null || skip "no $t"
done
getent passwd _kubsd-qemu >/dev/null || skip "no user _kubsd-qemu"
N=${VM_BENCH_N:-5}
OTHERS=${VM_BENCH_OTHERS:-10}

SB_PREFIX=m
SB_COMPARTMENTS="gw-a gw-b"
. regress/lib/sandbox.sh
ROOT=$PWD
. regress/template/lib.sh
TMP=$(mktemp -d) || skip "mktemp failed"
TPLDIR=$(tmpl_cached minimal)
rm -rf "$TMP"
[ -n "$TPLDIR" ] || skip "no minimal template"
sb_init || skip "mktemp failed"
sb_busy && skip "another kubsd runs here"
vm_cleanup() {
	for _p in "$T"/state/vms/*.pid; do
		[ -f "$_p" ] && kill -9 "$(cat "$_p")" 2>/dev/null
	done
	[ -n "${BARE:-}" ] && kill -9 "$BARE" 2>/dev/null
	sb_cleanup
}
trap vm_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
sb_make_ns || skip "ip netns add failed"
chmod 755 "$T"
mkdir -p "$T/state/templates"
ln -s "$TPLDIR" "$T/state/templates/tiny"
TMP=$T
if command -v mmdebstrap >/dev/null && DEB=$(tmpl_cached debian 2>"$T/deb.err")
then
	ln -s "$DEB" "$T/state/templates/debian"
else
	DEB=; DEBWHY=$(tail -n 1 "$T/deb.err" 2>/dev/null)
fi
{
	sb_conf_head "$T/state" gw-a gw-b
	echo 'template "tiny" { recipe minimal }'
	echo 'vm "bench" { template "tiny"; chain "a"; memory 128M }'
	echo 'vm "deb" { template "debian"; chain "a"; memory 512M }'
	i=0
	while [ $i -lt "$OTHERS" ]; do
		echo "vm \"o$i\" { template \"tiny\"; chain \"b\"; memory 128M }"
		i=$((i + 1))
	done
} >"$T/netd.conf"
sb_start_netd && sb_wait_ready 30 || { tail -3 "$T/netd.log"; skip "netd does not start"; }
vm() { "$VM" -s "$SOCK" "$@"; }
field() {
	vm status -j "$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)[0].get(sys.argv[1]) or "")' "$2"
}
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.1f\n", v[int((NR + 1) / 2)] }'; }
now_ms() { date +%s%3N; }

# One start: start_ms to stdout, the wall time to ready to $T/wall.
start_once() {
	_t0=$(now_ms)
	vm start bench >/dev/null || return 1
	echo $(( $(now_ms) - _t0 )) >>"$T/wall"
	field bench start_ms
	vm kill bench >/dev/null
}

: >"$T/wall"
i=0; while [ $i -lt "$N" ]; do start_once; i=$((i + 1)); done >"$T/host1"
i=0
while [ $i -lt "$OTHERS" ]; do vm start "o$i" >/dev/null; i=$((i + 1)); done
i=0; while [ $i -lt "$N" ]; do start_once; i=$((i + 1)); done >"$T/hostn"
i=0
while [ $i -lt "$OTHERS" ]; do vm kill "o$i" >/dev/null; i=$((i + 1)); done
h1=$(median <"$T/host1"); hn=$(median <"$T/hostn")

# The bare QEMU: same kernel, initramfs and agent credentials; ready is
# the agent's console line, as for kubsd (whose wall time includes it).
TPL=$T/state/templates/tiny
bare_once() {
	rm -f "$T/bare.log"
	_t0=$(now_ms)
	qemu-system-x86_64 -M q35 -accel tcg -m 128M -nodefaults \
	    -display none -kernel "$TPL/vmlinuz" -initrd "$TPL/initrd.img" \
	    -append 'console=ttyS0 panic=-1 quiet' \
	    -serial "file:$T/bare.log" \
	    -device virtio-serial-pci,id=vser0 \
	    -chardev socket,id=ag,path="$T/bare.sock",server=on,wait=off \
	    -device virtserialport,bus=vser0.0,chardev=ag,name=org.kubsd.agent.0 \
	    -chardev socket,id=ex,path="$T/bare-ex.sock",server=on,wait=off \
	    -device virtserialport,bus=vser0.0,chardev=ex,name=org.kubsd.exec.0 \
	    -chardev socket,id=sh,path="$T/bare-sh.sock",server=on,wait=off \
	    -device virtserialport,bus=vser0.0,chardev=sh,name=org.kubsd.ssh.0 \
	    -netdev user,id=n0,restrict=on \
	    -device virtio-net-pci,netdev=n0,mac=02:00:00:00:00:01 \
	    -smbios type=11,value=io.systemd.credential:kubsd.mac=02:00:00:00:00:01 \
	    -smbios type=11,value=io.systemd.credential:kubsd.address=10.0.2.15/24 \
	    -smbios type=11,value=io.systemd.credential:kubsd.gateway=10.0.2.2 \
	    -device virtio-balloon-pci,free-page-reporting=on 9>&- &
	BARE=$!
	while ! grep -q 'agent: ready' "$T/bare.log" 2>/dev/null; do
		kill -0 $BARE 2>/dev/null || return 1
		sleep 0.02
	done
	echo $(( $(now_ms) - _t0 ))
	kill -9 $BARE; wait $BARE 2>/dev/null; BARE=
}
: >"$T/kwall"; : >"$T/bare"
i=0
while [ $i -lt 5 ]; do
	bare_once >>"$T/bare"
	_t0=$(now_ms); vm start bench >/dev/null
	echo $(( $(now_ms) - _t0 )) >>"$T/kwall"
	[ $i -lt 4 ] && vm kill bench >/dev/null
	i=$((i + 1))
done
kb=$(median <"$T/kwall"); bb=$(median <"$T/bare")

# bench is running: its PSS once idle
sleep 20
PID=$(field bench pid)
pss=$(awk '/^Pss:/ { print int($2 / 1024) }' /proc/$PID/smaps_rollup)
vm kill bench >/dev/null

# The debian AppVM, idle: PSS until free page reporting has given back
# what the boot touched (two samples 5 s apart within 2 MB, 3 min at most).
deb_pss() {
	[ -n "$DEB" ] || { echo "n/a (${DEBWHY:-no mmdebstrap})"; return; }
	vm start deb >/dev/null || { echo "n/a (start failed)"; return; }
	_pid=$(field deb pid); _t0=$(now_ms); _prev=0; _i=0
	while [ $_i -lt 36 ]; do
		sleep 5
		_p=$(awk '/^Pss:/ { print int($2 / 1024) }' /proc/$_pid/smaps_rollup)
		[ $((_p - _prev)) -le 2 ] && [ $((_prev - _p)) -le 2 ] && break
		_prev=$_p; _i=$((_i + 1))
	done
	echo "$_p $(( ($(now_ms) - _t0) / 1000 ))"
	vm kill deb >/dev/null
}
dpss=$(deb_pss)

echo
echo "== VM layer (QEMU $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p'))"
printf '%-44s %10s %8s\n' "measure" "median" "ratio"
printf '%-44s %8s ms %8s\n' "host-side start, alone" "$h1" "1.00"
printf '%-44s %8s ms %8s\n' "host-side start, $OTHERS other VMs running" "$hn" \
    "$(awk -v a="$hn" -v b="$h1" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
printf '%-44s %8s ms %8s\n' "boot to ready, bare qemu" "$bb" "1.00"
printf '%-44s %8s ms %8s\n' "boot to ready, kubsd-vm start" "$kb" \
    "$(awk -v a="$kb" -v b="$bb" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
printf '%-44s %8s MB\n' "PSS of an idle 128M VM (20 s after ready)" "$pss"
case $dpss in
n/a*)	printf '%-44s %s\n' "PSS of an idle debian AppVM, 512M" "$dpss" ;;
*)	printf '%-44s %8s MB\n' \
	    "PSS of an idle debian 512M (settled ${dpss#* } s)" "${dpss% *}" ;;
esac
