#!/bin/sh
# run-scenarios.sh - every scenario in scenarios/ is a regression test: it
# must run with exit code 0 (every property held or failed as expected,
# every expectation met), and run twice with the same seed it must print
# byte-identical JSON (determinism, D7/D8).
#   usage: tests/run-scenarios.sh build/stsim
set -u
bin=$1
fail=0
n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in scenarios/*.yaml; do
  n=$((n + 1))
  "$bin" run "$f" --output json >"$tmp/a.json" 2>"$tmp/a.err"
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "FAIL $f: exit $rc"
    "$bin" run "$f" -q 2>&1 | sed 's/^/    /' | tail -30
    fail=$((fail + 1))
    continue
  fi
  "$bin" run "$f" --output json >"$tmp/b.json" 2>/dev/null
  if ! cmp -s "$tmp/a.json" "$tmp/b.json"; then
    echo "FAIL $f: two runs with the same seed differ"
    fail=$((fail + 1))
    continue
  fi
  echo "ok   $f"
done
echo "scenarios: $((n - fail)) of $n passed"
[ $fail -eq 0 ]
