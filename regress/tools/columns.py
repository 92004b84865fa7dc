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

# columns FILE [WORD]: a status table (kubsd-net or kubsd-vm status) in
# FILE has every value starting in its header's column, and a row that
# holds WORD (a value that once was wider than its column).  Exit 1 with
# the first bad row otherwise.

import re
import sys

lines = open(sys.argv[1]).read().splitlines()
head = next(i for i, l in enumerate(lines) if l.startswith("NAME "))
cols = [m.start() for m in re.finditer(r"\S+", lines[head])]
rows = lines[head + 1:]
if len(sys.argv) > 2 and not any(sys.argv[2] in r for r in rows):
    sys.exit("no row with " + sys.argv[2])
for r in rows:
    for c in cols[1:]:
        if len(r) <= c or r[c - 1] != " " or r[c] == " ":
            sys.exit("not in its column: " + r)
