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

# dnsq SERVER NAME [TIMEOUT]: one A query over UDP; prints each answer's
# address, one per line; exit 1 when there is none (or no reply).
import random, socket, struct, sys

def query(server, name, timeout):
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(q, (server, 53))
    r, _ = s.recvfrom(4096)
    rid, flags, qd, an = struct.unpack(">HHHH", r[:8])
    if rid != qid:
        return []
    off = 12
    for _ in range(qd):			# skip the question
        while r[off]:
            off += r[off] + 1
        off += 5
    out = []
    for _ in range(an):
        if r[off] & 0xc0 == 0xc0:
            off += 2
        else:
            while r[off]:
                off += r[off] + 1
            off += 1
        rtype, _, _, rdlen = struct.unpack(">HHIH", r[off:off + 10])
        off += 10
        if rtype == 1 and rdlen == 4:
            out.append(socket.inet_ntoa(r[off:off + 4]))
        off += rdlen
    return out

try:
    addrs = query(sys.argv[1], sys.argv[2],
        float(sys.argv[3]) if len(sys.argv) > 3 else 3)
except (OSError, IndexError, struct.error) as e:
    print("dnsq: %s" % e, file=sys.stderr)
    sys.exit(1)
for a in addrs:
    print(a)
sys.exit(0 if addrs else 1)
