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
# regress/lib/vmimage.sh: a small VM image for the VM tests, in the
# layout of a built template (STATEDIR/templates/NAME: vmlinuz,
# initrd.img, manifest): the Debian cloud kernel and an initramfs of
# busybox, the virtio modules and kubsd-guest, whose /init starts
# "kubsd-guest agent", and dropbear as the guest's sshd (on 127.0.0.1
# only: kubsd-vm ssh reaches it through the agent).  Sourced; POSIX sh.
# The kernel and dropbear packages are fetched once into VMIMAGE_CACHE
# (default obj/vmtest).  VMIMAGE_KERNEL (default linux-image-cloud-amd64)
# and VM_MODULES (in load order) choose another kernel and its modules.
#
# vm_image DIR GUEST: writes DIR/vmlinuz, DIR/initrd.img, DIR/manifest.

: "${VM_MODULES:=virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
virtio_pci failover net_failover virtio_net virtio_blk virtio_console
virtio_balloon qemu_fw_cfg}"

vm_kernel() {	# the extracted kernel package, in $VMIMAGE_CACHE/k
	_c=${VMIMAGE_CACHE:-$PWD/obj/vmtest}
	[ -d "$_c/k/boot" ] && return 0
	mkdir -p "$_c" && rm -rf "$_c/k" "$_c"/*.deb || return 1
	_kp=${VMIMAGE_KERNEL:-linux-image-cloud-amd64}
	_pkg=$(apt-cache depends "$_kp" 2>/dev/null |
	    sed -n 's/.*Depends: \(linux-image-[0-9].*\)/\1/p' | head -n 1)
	[ -n "$_pkg" ] || { echo "vm_image: no $_kp" >&2; return 1; }
	(cd "$_c" && apt-get download "$_pkg" >/dev/null 2>&1) ||
	    { echo "vm_image: cannot download $_pkg" >&2; return 1; }
	dpkg-deb -x "$_c"/"$_pkg"_*.deb "$_c/k"
}

vm_dropbear() {	# dropbear and its own libraries, in $VMIMAGE_CACHE/db
	_c=${VMIMAGE_CACHE:-$PWD/obj/vmtest}
	[ -x "$_c/db/usr/sbin/dropbear" ] && return 0
	rm -rf "$_c/db" "$_c/dbdeb" && mkdir -p "$_c/dbdeb" || return 1
	(cd "$_c/dbdeb" && apt-get download dropbear-bin libtomcrypt1 \
	    libtommath1 >/dev/null 2>&1) ||
	    { echo "vm_image: cannot download dropbear" >&2; return 1; }
	for _f in "$_c"/dbdeb/*.deb; do dpkg-deb -x "$_f" "$_c/db"; done
}

vm_image() {
	_d=$1 _g=$2
	_c=${VMIMAGE_CACHE:-$PWD/obj/vmtest}
	vm_kernel && vm_dropbear || return 1
	_r=$(mktemp -d) && chmod 755 "$_r" || return 1	# the root: mktemp made it 0700
	mkdir -p "$_r/bin" "$_r/sbin" "$_r/usr/sbin" "$_r/lib/modules" \
	    "$_r/proc" "$_r/sys" "$_r/dev" "$_r/run" "$_r/tmp" "$_r/etc" \
	    "$_r/root"
	cp /bin/busybox "$_r/bin/busybox"
	for _m in $VM_MODULES; do
		_f=$(find "$_c/k/lib/modules" -name "$_m.ko*" | head -n 1)
		[ -n "$_f" ] || { echo "vm_image: no module $_m" >&2; return 1; }
		cp "$_f" "$_r/lib/modules/$_m.ko"
	done
	cp "$_g" "$_r/usr/sbin/kubsd-guest"
	cp "$_c/db/usr/sbin/dropbear" "$_r/usr/sbin/dropbear"
	mkdir -p "$_r/usr/lib/x86_64-linux-gnu" "$_r/etc/dropbear"
	cp -a "$_c"/db/usr/lib/x86_64-linux-gnu/* "$_r/usr/lib/x86_64-linux-gnu/"
	# root, and kubsd-vm run's and cp's user, as in the templates
	printf 'root:x:0:0:root:/root:/bin/sh\n%s\n' \
	    'user:x:1000:1000:kubsd VM user:/home/user:/bin/sh' >"$_r/etc/passwd"
	printf 'root:x:0:\nuser:x:1000:\n' >"$_r/etc/group"
	mkdir -p "$_r/home/user"
	chown 1000:1000 "$_r/home/user"
	# the shared libraries, at the paths ldd names
	for _l in $( (ldd "$_g"; LD_LIBRARY_PATH=$_c/db/usr/lib/x86_64-linux-gnu \
	    ldd "$_c/db/usr/sbin/dropbear") |
	    awk '/=>/ && $3 !~ /vmtest/ { print $3 } /^\t\// { print $1 }' | sort -u); do
		mkdir -p "$_r$(dirname "$_l")" && cp -L "$_l" "$_r$_l"
	done
	cat >"$_r/init" <<'EOI'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs run /run
for m in MODULES; do insmod /lib/modules/$m.ko 2>/dev/null; done
ip link set lo up
chmod 700 /root
/usr/sbin/dropbear -R -s -p 127.0.0.1:22
/usr/sbin/kubsd-guest agent >/dev/console 2>&1 &
while :; do setsid cttyhack sh; done
EOI
	sed -i "s/MODULES/$(echo $VM_MODULES)/" "$_r/init"
	chmod 755 "$_r/init"
	mkdir -p "$_d"
	(cd "$_r" && find . | cpio -o -H newc --quiet | gzip -1) \
	    >"$_d/initrd.img" || return 1
	cp "$_c"/k/boot/vmlinuz-* "$_d/vmlinuz"
	echo "recipe test-minimal" >"$_d/manifest"
	chmod -R a+rX "$_d"
	rm -rf "$_r"
}
