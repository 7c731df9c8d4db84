#!/bin/sh
# ab.sh - runs/s of two stsim binaries on the default fuzz profile,
# alternately (the machine is noisy), and the median of each.
#   usage: tests/bench/ab.sh OLD NEW [ROUNDS] [RUNS] [JOBS]
set -u
old=$1 new=$2 rounds=${3:-5} runs=${4:-4000} jobs=${5:-2}
tmp=$(mktemp -d)
one() {
  "$1" fuzz scenarios/10-fuzz-default.yaml --runs "$runs" -j"$jobs" -q \
    --max-failures 0 --no-shrink --out "$tmp/out" --json "$tmp/s.json" \
    >/dev/null 2>&1
  sed -n 's/.*"runsPerSecond": \([0-9.]*\).*/\1/p' "$tmp/s.json"
}
: >"$tmp/a"
: >"$tmp/b"
i=0
while [ $i -lt "$rounds" ]; do
  one "$old" >>"$tmp/a"
  one "$new" >>"$tmp/b"
  i=$((i + 1))
done
med() { sort -n "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "old $(med "$tmp/a") runs/s  [$(tr '\n' ' ' <"$tmp/a")]"
echo "new $(med "$tmp/b") runs/s  [$(tr '\n' ' ' <"$tmp/b")]"
echo "(stsim fuzz scenarios/10-fuzz-default.yaml --runs $runs -j$jobs, medians of $rounds alternating rounds)"
rm -rf "$tmp"
