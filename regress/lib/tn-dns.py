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

"""regress/lib/tn-dns.py: the test internet's DNS server, and a client.

    tn-dns.py serve ADDRS PORT ZONE LOG  answer from ZONE over UDP and TCP
                                         on each of ADDRS (a,b,...)
    tn-dns.py query SERVER NAME [PORT]   ask SERVER for NAME's A record

ZONE holds "name address" lines (# starts a comment); a name there is
answered with its IPv4 address (A), any other type of it with no data,
every other name with NXDOMAIN; ZONE is read again when it changes.
Each question is one line in LOG:

    SOURCE-ADDRESS SOURCE-PORT PROTO NAME TYPE RCODE [ANSWER]

e.g. "198.19.0.2 41234 udp www.test A NOERROR 192.0.2.2", NAME in
lower case (resolvers such as tor's randomize its case).  query
prints the addresses, one a line, and exits 0; 1 on NXDOMAIN or no
answer, 2 on a timeout.  Only the standard library: it runs in CI.
"""

import os
import random
import socket
import socketserver
import struct
import sys
import threading

TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX",
         16: "TXT", 28: "AAAA", 33: "SRV", 65: "HTTPS", 255: "ANY"}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
          4: "NOTIMP", 5: "REFUSED"}


def read_zone(path):
    zone = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if len(line) == 2:
                zone[line[0].lower().rstrip(".")] = line[1]
    return zone


def parse_name(msg, off):
    labels = []
    while True:
        n = msg[off]
        if n & 0xc0:
            raise ValueError("compressed name in a question")
        off += 1
        if n == 0:
            return ".".join(labels), off
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def answer(zone, msg):
    """The reply to msg and what to log: (reply, name, type, rcode, addr)."""
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1 or flags & 0x8000:
        raise ValueError("not one question")
    name, off = parse_name(msg, 12)
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    key = name.lower().rstrip(".")
    addr = zone.get(key)
    rcode, an = 0, b""
    if addr is None:
        rcode = 3
    elif qtype in (1, 255) and qclass == 1:
        an = (b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) +
              socket.inet_aton(addr))
    else:
        addr = None
    rflags = 0x8000 | 0x0400 | (flags & 0x0100) | rcode  # QR AA RD
    reply = (struct.pack("!HHHHHH", qid, rflags, 1, 1 if an else 0, 0, 0) +
             question + an)
    return reply, name, TYPES.get(qtype, str(qtype)), RCODES[rcode], addr


class Server:
    def __init__(self, zonefile, log):
        self.zonefile = zonefile
        self.zonetime = None
        self.zone = {}
        self.log = log
        self.lock = threading.Lock()

    def handle(self, msg, src, proto):
        with self.lock:
            try:
                t = os.stat(self.zonefile).st_mtime_ns
                if t != self.zonetime:
                    self.zone, self.zonetime = read_zone(self.zonefile), t
            except OSError:
                pass
            zone = self.zone
        try:
            reply, name, qtype, rcode, addr = answer(zone, msg)
        except (ValueError, IndexError, struct.error):
            with self.lock:
                self.log.write("%s %d %s - - FORMERR\n" % (src[0], src[1], proto))
                self.log.flush()
            return None
        with self.lock:
            self.log.write("%s %d %s %s %s %s%s\n" % (
                src[0], src[1], proto, name.lower() or ".", qtype, rcode,
                " " + addr if addr else ""))
            self.log.flush()
        return reply


def serve(addrs, port, zonefile, logfile):
    server = Server(zonefile, open(logfile, "a"))

    class TCPHandler(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.settimeout(5)
            try:
                hdr = self.request.recv(2)
                if len(hdr) < 2:
                    return
                (n,) = struct.unpack("!H", hdr)
                msg = b""
                while len(msg) < n:
                    chunk = self.request.recv(n - len(msg))
                    if not chunk:
                        return
                    msg += chunk
                reply = server.handle(msg, self.client_address, "tcp")
                if reply:
                    self.request.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                pass

    def udp_loop(sock):
        while True:
            msg, src = sock.recvfrom(4096)
            reply = server.handle(msg, src, "udp")
            if reply:
                sock.sendto(reply, src)

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    threads = []
    for addr in addrs.split(","):
        tcp = socketserver.ThreadingTCPServer((addr, port), TCPHandler)
        threads.append(threading.Thread(target=tcp.serve_forever, daemon=True))
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((addr, port))
        threads.append(threading.Thread(target=udp_loop, args=(udp,),
                                        daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def query(serveraddr, name, port=53):
    qid = random.randrange(65536)
    msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + \
        encode_name(name) + struct.pack("!HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    for _ in range(3):
        s.sendto(msg, (serveraddr, port))
        try:
            reply = s.recv(4096)
        except socket.timeout:
            continue
        except OSError as e:  # e.g. refused: no server (yet)
            print(e, file=sys.stderr)
            return 2
        rid, flags, qd, an = struct.unpack("!HHHH", reply[:8])
        if rid != qid:
            continue
        if flags & 0xf:
            print(RCODES.get(flags & 0xf, str(flags & 0xf)), file=sys.stderr)
            return 1
        off = 12
        for _ in range(qd):
            _, off = parse_name(reply, off)
            off += 4
        found = 0
        for _ in range(an):
            off += 2  # a pointer to the question's name
            rtype, _, _, rdlen = struct.unpack("!HHIH", reply[off:off + 10])
            off += 10
            if rtype == 1 and rdlen == 4:
                print(socket.inet_ntoa(reply[off:off + 4]))
                found += 1
            off += rdlen
        return 0 if found else 1
    print("timeout", file=sys.stderr)
    return 2


def main(argv):
    if len(argv) == 5 and argv[0] == "serve":
        serve(argv[1], int(argv[2]), argv[3], argv[4])
    elif len(argv) in (3, 4) and argv[0] == "query":
        return query(argv[1], argv[2], int(argv[3]) if len(argv) == 4 else 53)
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
