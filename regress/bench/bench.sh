#!/bin/sh
# make bench: the compile-time table (issue: parse, validate, compile).
set -e
cd "$(dirname "$0")/../.."
dir=$(mktemp -d /tmp/kubsd-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM
for n in 10 100 1000; do
	regress/genconf.sh "$n" > "$dir/vm$n.conf"
done
echo "== parse + validate + compile (median of 25 runs; baseline: the 10-VM run)"
obj/bench_compile "$dir"
