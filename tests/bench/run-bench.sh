#!/bin/sh
# run-bench.sh - prints each speed figure on one line with the command
# that produced it (design.md: quote medians and ratios from one run).
#   usage: tests/bench/run-bench.sh build
set -u
out=$1
echo "== $out/bench/bench_engine"
"$out/bench/bench_engine"
for b in "$out"/bench/bench_*; do
  case "$b" in */bench_engine | *.d | *.o) continue ;; esac
  [ -x "$b" ] || continue
  echo "== $b"
  "$b"
done
