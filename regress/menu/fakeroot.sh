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

#
# regress/menu/fakeroot.sh ROOT OUTSIDE: a template root's applications
# and icons, made up for the menu tests (regress/menu/group.sh), and a
# file OUTSIDE it that a symlink inside points to.

set -eu
R=$1
O=$2
A=$R/usr/share/applications
H=$R/usr/share/icons/hicolor
P=$R/usr/share/pixmaps
mkdir -p "$A" "$H/48x48/apps" "$H/scalable/apps" "$H/16x16/apps" \
    "$H/128x128/apps" "$H/64x64@2/apps" "$P" "$R/opt/h" "$O"

desktop() {	# NAME: the rest from stdin
	printf '[Desktop Entry]\n' >"$A/$1.desktop"
	cat >>"$A/$1.desktop"
}

# an icon in hicolor's 48x48, a localized name, field codes
desktop a-app <<'EOF'
Type=Application
Name[de]=Eine App
Name=A App
GenericName=Thing
Exec=aapp --open %F
Icon=aicon
Categories=Utility;NotRegistered;X-Kubsd-Test;
Terminal=false
EOF
echo "PNG a 48" >"$H/48x48/apps/aicon.png"
echo "SVG a" >"$H/scalable/apps/aicon.svg"
# an icon in pixmaps, and a terminal program
desktop b-pix <<'EOF'
Type=Application
Name=B Pix
Exec=bpix
Icon=bicon
Terminal=true
EOF
echo "XPM b" >"$P/bicon.xpm"
# not to be listed
desktop c-hidden <<'EOF'
Type=Application
Name=C
Exec=c
NoDisplay=true
EOF
desktop c-link <<'EOF'
Type=Link
Name=C Link
URL=https://example.org/
EOF
# quotes, $, a backslash and %u: quoted for the launcher and the VM
desktop d-quote <<'EOF'
Type=Application
Name=D "Quote" \\ Ünïcode
Exec=sh -c "echo \\"hello  world\\" \\$HOME; sleep 1" %u
Icon=dicon
Categories=Development;
Keywords=a;b;
EOF
echo "SVG d" >"$H/scalable/apps/dicon.svg"
echo "PNG d 128" >"$H/128x128/apps/dicon.png"
# an icon no theme has
desktop e-noicon <<'EOF'
Type=Application
Name=E
Exec=e
Icon=no-such-icon
EOF
# icons whose links lead out of the root: no icon
echo "OUTSIDE the template" >"$O/secret.png"
ln -sf "$O/secret.png" "$P/evil.png"
ln -sf "../../../../../../../../../$O/secret.png" "$P/evil2.png"
desktop f-evil <<'EOF'
Type=Application
Name=F
Exec=f
Icon=evil
EOF
desktop f-evil2 <<'EOF'
Type=Application
Name=F2
Exec=f2
Icon=evil2
EOF
desktop f-evil3 <<EOF
Type=Application
Name=F3
Exec=f3
Icon=/../../../$O/secret.png
EOF
# bad files: warned about, not listed
printf 'Name=G\n[Desktop Entry]\nType=Application\n' >"$A/g-bad.desktop"
desktop g-bad2 <<'EOF'
Type=Application
Name=G2
Exec=g2 %z
EOF
printf '[Desktop Entry]\nType=Application\nName=G3\nName=G3\n' \
    >"$A/g-bad3.desktop"
desktop 'g bad name' <<'EOF'
Type=Application
Name=G4
Exec=g4
EOF
# an absolute icon path inside the root
desktop h-abs <<'EOF'
Type=Application
Name=H
Exec=h
Icon=/opt/h/h.png
EOF
echo "PNG h" >"$R/opt/h/h.png"
# only PNGs of other sizes: the largest
desktop i-large <<'EOF'
Type=Application
Name=I
Exec=i
Icon=iicon
EOF
echo "PNG i 16" >"$H/16x16/apps/iicon.png"
echo "PNG i 128" >"$H/128x128/apps/iicon.png"
echo "PNG i 64@2" >"$H/64x64@2/apps/iicon.png"
# a link that stays inside the root (absolute, as in the template)
desktop j-link <<'EOF'
Type=Application
Name=J
Exec=j
Icon=jicon
EOF
ln -sf /usr/share/icons/hicolor/48x48/apps/aicon.png "$P/jicon.png"
