#!/usr/bin/env python3
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

# torctl SOCKET KEYWORD...: GETINFO over tor's control socket (no
# authentication: the socket lives in a root-only directory); prints
# the values, one line each.
import socket, sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
f = s.makefile("rwb")
def cmd(line):
    f.write((line + "\r\n").encode()); f.flush()
    out = []
    while True:
        l = f.readline().decode().rstrip("\r\n")
        if not l:
            raise SystemExit("torctl: connection closed")
        out.append(l)
        if l[:4] in ("250 ", "251 ") or l[:1] in ("4", "5"):
            return out
cmd("AUTHENTICATE")
for k in sys.argv[2:]:
    for l in cmd("GETINFO " + k):
        if l.startswith("250 OK") or l in ("250+" + k + "=", "."):
            continue
        print(l.split("=", 1)[1] if l.startswith("250-" + k + "=") else l)
