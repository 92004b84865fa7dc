#!/usr/bin/env python3
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
