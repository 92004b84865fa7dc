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


# The menu group (t_menu): kubsd-vm template apps on a fake template
# root (regress/menu/fakeroot.sh: applications to list and not, field
# codes, localized names, icons in hicolor and pixmaps, a missing one,
# symlinks out of the root, bad files) against goldens; kubsd-vm menu
# install, remove, the entries of a VM gone from the configuration, a
# template rebuild's refresh, and a user's entries written as that user
# (sudo); every entry through desktop-file-validate.  Then a real debian
# template with xterm (shared with the run tests).  Sourced by
# regress/run.sh.

# menu_vm ARGS...: kubsd-vm on the group's configuration, as HOME's user.
menu_vm() {
	HOME=$MT/home KUBSD_RECIPES=$MT/recipes KUBSD_GUEST=$ROOT/kubsd-guest \
	    "$(tmpl_vm)" -f "$MT/netd.conf" "$@" >"$TMP/out" 2>"$TMP/err"
}

menu_conf() {	# VM...
	local v
	{
		echo "pool 10.66.0.0/16"
		echo "statedir \"$MT/sd\""
		echo 'uplink "wan" { interface "eth0"; network 192.0.2.0/24 }'
		echo 'gateway "g" { role sys-net; driver netns }'
		echo 'chain "a" { "g" "wan" }'
		for v in "$@"; do
			echo "vm \"$v\" { template \"debian\"; chain \"a\" }"
		done
	} >"$MT/netd.conf"
}

# menu_golden NAME FILE: $TMP/out against FILE, the group's paths as
# @MT@ and kubsd-vm's as @VM@.
menu_golden() {
	sed -e "s|$MT|@MT@|g" -e "s|$(tmpl_vm)|@VM@|g" "$TMP/out" \
	    >"$TMP/out.sed"
	mv "$TMP/out.sed" "$TMP/out"
	golden "$1" "$2"
}

# menu_validate NAME DIR: desktop-file-validate on every entry in DIR.
menu_validate() {
	local f bad=
	for f in "$2"/*.desktop; do
		desktop-file-validate "$f" >>"$TMP/validate" 2>&1 || bad=1
	done
	if [ -n "$bad" ] || [ -s "$TMP/validate" ]; then
		fail_out "$1" "desktop-file-validate" "$TMP/validate"
	else
		ok "$1"
	fi
	rm -f "$TMP/validate"
}

t_menu_apps() {
	local t=$MT/sd/templates/debian
	sh regress/menu/fakeroot.sh "$MT/root" "$MT/outside"
	mkdir -p "$t"
	"$(tmpl_vm)" template apps "$MT/root" "$t" >"$TMP/out" 2>"$TMP/err"
	cp "$TMP/out" "$t/manifest"
	menu_golden menu/apps regress/menu/apps.ok
	cp "$TMP/err" "$TMP/out"
	menu_golden menu/apps-warnings regress/menu/apps.err
	# each icon is the file the lookup order picks; none from outside
	if cmp -s "$t/icons/a-app.png" \
	    "$MT/root/usr/share/icons/hicolor/48x48/apps/aicon.png" &&
	    cmp -s "$t/icons/b-pix.xpm" "$MT/root/usr/share/pixmaps/bicon.xpm" &&
	    cmp -s "$t/icons/d-quote.svg" \
	    "$MT/root/usr/share/icons/hicolor/scalable/apps/dicon.svg" &&
	    cmp -s "$t/icons/h-abs.png" "$MT/root/opt/h/h.png" &&
	    cmp -s "$t/icons/i-large.png" \
	    "$MT/root/usr/share/icons/hicolor/128x128/apps/iicon.png" &&
	    cmp -s "$t/icons/j-link.png" "$t/icons/a-app.png" &&
	    ! grep -rq OUTSIDE "$t"; then
		ok menu/icons
	else
		ls -l "$t/icons" >"$TMP/out"
		fail_out menu/icons "icons not the expected files" "$TMP/out"
	fi
}

t_menu_install() {
	local a=$MT/home/.local/share/applications n
	menu_conf work my-vm.2
	mkdir -p "$a"
	echo "[Desktop Entry]" >"$a/kubsd-mine.desktop"	# not ours: stays
	if ! menu_vm menu install; then
		fail_out menu/install "exit $?" "$TMP/err"
		return 1
	fi
	n=$(grep -c '^app' "$MT/sd/templates/debian/manifest")
	if [ "$(ls "$a" | grep -c '^kubsd-work-')" -eq "$n" ] &&
	    [ "$(ls "$a" | grep -c '^kubsd-my-vm\.2-')" -eq "$n" ] &&
	    grep -qx 'vm \*' "$MT/sd/menu/root"; then
		ok menu/install
	else
		ls -l "$a" >"$TMP/out"
		fail_out menu/install "not $n entries for each vm" "$TMP/out"
	fi
	cp "$a/kubsd-work-d-quote.desktop" "$TMP/out"
	menu_golden menu/entry regress/menu/entry.ok
	rm "$a/kubsd-mine.desktop"
	menu_validate menu/validate "$a"
	echo "[Desktop Entry]" >"$a/kubsd-mine.desktop"

	menu_vm menu remove work
	if [ -z "$(ls "$a" | grep '^kubsd-work-')" ] &&
	    [ -z "$(ls "$MT/home/.local/share/icons/kubsd" | grep '^kubsd-work-')" ] &&
	    [ "$(ls "$a" | grep -c '^kubsd-my-vm\.2-')" -eq "$n" ] &&
	    [ -f "$a/kubsd-mine.desktop" ] &&
	    [ "$(cat "$MT/sd/menu/root")" = "datadir $MT/home/.local/share
vm my-vm.2" ]; then
		ok menu/remove
	else
		ls -l "$a" "$MT/sd/menu/root" >"$TMP/out"
		fail_out menu/remove "work's entries or others wrong" "$TMP/out"
	fi

	# my-vm.2 leaves the configuration: its entries go at the next install
	menu_conf work
	menu_vm menu install work
	if [ -z "$(ls "$a" | grep '^kubsd-my-vm')" ] &&
	    [ -z "$(ls "$MT/home/.local/share/icons/kubsd" | grep '^kubsd-my-vm')" ] &&
	    [ "$(ls "$a" | grep -c '^kubsd-work-')" -eq "$n" ] &&
	    [ -f "$a/kubsd-mine.desktop" ]; then
		ok menu/vm-gone
	else
		ls -l "$a" >"$TMP/out"
		fail_out menu/vm-gone "the gone vm's entries stay" "$TMP/out"
	fi

	menu_vm menu install nosuch
	if [ $? -eq 1 ] && [ "$(cat "$TMP/err")" = \
	    "kubsd-vm: menu: no vm \"nosuch\" in $MT/netd.conf" ] &&
	    [ "$(ls "$a" | grep -c '^kubsd-work-')" -eq "$n" ]; then
		ok menu/bad-vm
	else
		fail_out menu/bad-vm "not one line naming nosuch" "$TMP/err"
	fi
}

# A rebuild (a recipe that adds an application and takes an icon's PNG
# away) refreshes the entries of the users recorded.
t_menu_refresh() {
	local a=$MT/home/.local/share/applications
	mkdir -p "$MT/recipes/debian"
	cat >"$MT/recipes/debian/build" <<EOF
set -e
for f in vmlinuz initrd.img root.qcow2; do echo x >"\$1/\$f"; done
echo "recipe debian" >"\$1/manifest"
cp -a "$MT/root" "$MT/root2"
printf '[Desktop Entry]\nType=Application\nName=New\nExec=new\n' \\
    >"$MT/root2/usr/share/applications/k-new.desktop"
rm "$MT/root2/usr/share/icons/hicolor/48x48/apps/aicon.png"
"\$KUBSD_VM" template apps "$MT/root2" "\$1" >>"\$1/manifest"
rm -rf "$MT/root2"
echo "manifest-sha256 0"
EOF
	menu_vm template build debian
	if grep -q "^menu: refreshing the entries of root" "$TMP/out" &&
	    grep -qx 'Name=work: New' "$a/kubsd-work-k-new.desktop" &&
	    grep -qx 'Exec=.* run -X work new' "$a/kubsd-work-k-new.desktop" &&
	    grep -q '^Icon=.*/kubsd-work-a-app\.svg$' \
	    "$a/kubsd-work-a-app.desktop" &&
	    ! [ -e "$MT/home/.local/share/icons/kubsd/kubsd-work-a-app.png" ]
	then
		ok menu/refresh
	else
		fail_out menu/refresh "no new entry after the rebuild" \
		    "$TMP/out" "$TMP/err"
	fi
}

# Under sudo: the entries are SUDO_USER's, written as that user (the
# state directory closed to it); a link to a directory it cannot write
# gets nothing.
t_menu_sudo() {
	local u=nobody d=$MT/nobody
	id $u >/dev/null 2>&1 || { skip menu/sudo "no user $u"; return; }
	mkdir -p "$d" "$MT/rootonly"
	chown $u "$d"
	chmod 700 "$MT/sd"
	SUDO_USER=$u XDG_DATA_HOME=$d menu_vm menu install
	if [ $? -eq 0 ] &&
	    [ "$(stat -c %U "$d/applications/kubsd-work-a-app.desktop")" = $u ] &&
	    [ "$(stat -c %U "$(sed -n 's/^Icon=//p' \
	    "$d/applications/kubsd-work-a-app.desktop")")" = $u ] &&
	    grep -qx "datadir $d" "$MT/sd/menu/$u"; then
		ok menu/sudo
	else
		fail_out menu/sudo "not written as $u" "$TMP/out" "$TMP/err"
	fi
	rm -rf "${d:?}"/*
	ln -s "$MT/rootonly" "$d/applications"
	SUDO_USER=$u XDG_DATA_HOME=$d menu_vm menu install
	if [ $? -ne 0 ] && [ -z "$(ls "$MT/rootonly")" ]; then
		ok menu/sudo-not-root
	else
		fail_out menu/sudo-not-root "written through a link as root" \
		    "$TMP/err"
	fi
	rm -f "$MT/sd/menu/$u"
	chmod 755 "$MT/sd"
}

# A desktop user in group kubsd, not root: its install is recorded under
# its own name (STATEDIR/menu is the group's, sticky), and a rebuild
# refreshes it; a record it forged for another user is skipped.
t_menu_member() {
	local u=nobody d=$MT/member kg
	kg=$(getent group kubsd | cut -d: -f3)
	[ -n "$kg" ] || { fail menu/member "no group kubsd (make deps)"; return; }
	mkdir -p "$d"
	chown $u "$d"
	cp "$(tmpl_vm)" "$MT/kubsd-vm"
	chmod 755 "$MT/kubsd-vm"
	setpriv --reuid=$u --regid="$kg" --clear-groups env -i PATH="$PATH" \
	    HOME="$d" "$MT/kubsd-vm" -f "$MT/netd.conf" menu install \
	    >"$TMP/out" 2>"$TMP/err"
	printf 'datadir %s\nvm *\n' "$d" | setpriv --reuid=$u --regid="$kg" \
	    --clear-groups sh -c "cat >'$MT/sd/menu/daemon'" 2>>"$TMP/err"
	rm -f "$d"/.local/share/applications/*
	menu_vm template build debian
	if [ "$(stat -c '%U %a' "$MT/sd/menu/$u" 2>&1)" = "$u 600" ] &&
	    [ "$(stat -c '%G %a' "$MT/sd/menu")" = "kubsd 1770" ] &&
	    grep -q "^menu: refreshing the entries of $u" "$TMP/out" &&
	    [ -f "$d/.local/share/applications/kubsd-work-k-new.desktop" ] &&
	    ! grep -q "^menu: refreshing the entries of daemon" "$TMP/out" &&
	    grep -q "menu/daemon: not daemon's record: skipped" "$TMP/err"; then
		ok menu/member
	else
		ls -la "$MT/sd/menu" >>"$TMP/out" 2>&1
		fail_out menu/member "not recorded as $u, or a forged record taken" \
		    "$TMP/out" "$TMP/err"
	fi
	rm -f "$MT/sd/menu/$u" "$MT/sd/menu/daemon"
}

# A real debian template with xterm (the one the run tests launch under
# Xvfb): its manifest lists XTerm with an icon, and menu install makes a
# valid "work: XTerm" entry running it in the VM.
t_menu_debian() {
	local d e a=$MT/real/home/.local/share/applications
	if ! command -v mmdebstrap >/dev/null; then
		skip menu/debian "no mmdebstrap (make deps)"
		return
	fi
	if ! d=$(tmpl_cached debian "$TMPL_X11_PACKAGES" \
	    2>"$TMP/err"); then
		fail_out menu/debian-manifest "build failed" "$TMP/err"
		return
	fi
	if grep -q "$(printf '^app\tdebian-xterm\tfalse\tdebian-xterm\.svg\t')" \
	    "$d/manifest" && [ -s "$d/icons/debian-xterm.svg" ]; then
		ok menu/debian-manifest
	else
		grep '^app' "$d/manifest" >"$TMP/out"
		ls -l "$d/icons" >>"$TMP/out" 2>&1
		fail_out menu/debian-manifest "no XTerm with its icon" "$TMP/out"
		return
	fi
	mkdir -p "$MT/real/sd/templates"
	ln -s "$d" "$MT/real/sd/templates/debian"
	sed "s|$MT/sd|$MT/real/sd|" "$MT/netd.conf" >"$MT/real/netd.conf"
	HOME=$MT/real/home "$(tmpl_vm)" -f "$MT/real/netd.conf" menu install \
	    work >"$TMP/out" 2>&1
	e=$a/kubsd-work-debian-xterm.desktop
	if [ -f "$e" ] && grep -qx 'Name=work: XTerm' "$e" &&
	    grep -qx "Exec=$(tmpl_vm) -f $MT/real/netd.conf run -X work xterm" \
	    "$e" && grep -q '^Icon=/.*/kubsd-work-debian-xterm\.svg$' "$e" &&
	    [ -s "$(sed -n 's/^Icon=//p' "$e")" ] &&
	    desktop-file-validate "$e" >>"$TMP/out" 2>&1; then
		ok menu/debian-entry
	else
		cat "$e" >>"$TMP/out" 2>&1
		fail_out menu/debian-entry "no valid work: XTerm entry" \
		    "$TMP/out"
	fi
}

t_menu() {
	if ! command -v desktop-file-validate >/dev/null; then
		skip menu "no desktop-file-validate (make deps)"
		return
	fi
	[ -x "$(tmpl_vm)" ] || { skip menu "kubsd-vm not built"; return; }
	MT=$(mktemp -d /tmp/kubsd-menu.XXXXXX) || return
	chmod 755 "$MT"
	t_menu_apps
	t_menu_install && t_menu_refresh
	t_menu_sudo
	t_menu_member
	t_menu_debian
	rm -rf "$MT"
}
