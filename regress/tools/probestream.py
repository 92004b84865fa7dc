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

# probestream CAP RUN RESULTS ROUNDS OLD NEW SHARED UPLINK VIA: a stream
# of tagged probes across an attach, judged from kcap's capture CAP.
# The VM sent ROUNDS rounds of a udp probe (tag RUN-I-u) and a tcp one
# (RUN-I-t); RESULTS holds kubsd-guest probe's result lines.  OLD, NEW,
# SHARED, UPLINK and VIA are comma-separated interfaces: the old path's,
# the new path's, those of both (the VM's port first), the uplink's, and
# the gateway ports a probe must cross before the uplink.  Every probe
# must be seen on the VM's port, on the old path or on the new one and
# nowhere else, never on the uplink without crossing VIA, and no probe
# on the old path after one on the new.  Prints a summary and what is
# wrong, "# " first; exit 1 when anything is.
import re, sys

def ifs(s):
    return set(x for x in s.split(",") if x)

cap, run, results, rounds = sys.argv[1:5]
old, new, shared, uplink, via = (ifs(a) for a in sys.argv[5:10])
port = sys.argv[7].split(",")[0]
seen = {}
for line in open(cap):
    m = re.search(r" tag=(?:KTAG-)?" + run + r"-(\d+)-([ut])", line)
    if m:
        seen.setdefault((int(m.group(1)), m.group(2)), set()).add(
            line.split()[0])
bad, before, after = [], [], []
for (i, k), where in sorted(seen.items()):
    if port not in where:
        bad.append("%d%s not from %s: %s" % (i, k, port, sorted(where)))
    if not (where <= old | shared or where <= new | shared):
        bad.append("%d%s off the old and new paths: %s" % (i, k,
                   sorted(where)))
    if where & uplink and not where & via:
        bad.append("%d%s out without a gateway: %s" % (i, k, sorted(where)))
    if where & old:
        before.append(i)
    if where & new:
        after.append(i)
# what the VM says it sent: two result lines a round, udp then tcp
said = [l.split()[2] for l in open(results) if l.startswith("probe ")]
for n, r in enumerate(said):
    k = "ut"[n % 2]
    if r == ("sent" if k == "u" else "connected") and (n // 2, k) not in seen:
        bad.append("%d%s %s but never captured" % (n // 2, k, r))
if len(said) != 2 * int(rounds):
    bad.append("%d results from the vm, not %d" % (len(said),
               2 * int(rounds)))
print("# %d probes captured; old path %s, new path %s" % (len(seen),
      "%d-%d" % (min(before), max(before)) if before else "none",
      "%d-%d" % (min(after), max(after)) if after else "none"))
if not before or not after:
    bad.append("the stream did not span the attach")
elif max(before) >= min(after):
    bad.append("a probe on the old path after one on the new")
for b in bad:
    print("#   " + b)
sys.exit(1 if bad else 0)
