#!/bin/sh
# golden.sh - the byte-identity check for speed work: writes every output
# an optimisation must not change into OUT, for one stsim binary.
#
#   usage: tests/bench/golden.sh OUT STSIM FUZZ_DIGESTS [RUNS]
#   then:  diff -r OUT_before OUT_after
#
# FUZZ_DIGESTS is tests/bench/fuzz_digests.c built against the same
# library as STSIM:
#   cc -std=c17 -D_POSIX_C_SOURCE=200809L -O2 -Iinclude -o DIG \
#     tests/bench/fuzz_digests.c build/libsim.a \
#     $(pkg-config --libs yaml-0.1 gsl jansson) -lm
#
# Per scenario: run -v (text), --output json, --trace, --report; the
# default fuzz campaign (-j2, JSON, text and result files, wall time and
# runs/s removed) plain and with mutants the campaign catches (failure
# files and their shrunk versions); and fuzz_digests: each fuzz run's
# trace digest, event count and end time (tests/bench/fuzz_digests.c).
set -u
out=$1 stsim=$2 dig=$3 runs=${4:-2000}
rm -rf "$out"
mkdir -p "$out/run" "$out/fuzz"
for f in scenarios/*.yaml; do
  b=$(basename "$f" .yaml)
  "$stsim" run "$f" -v >"$out/run/$b.txt" 2>&1
  echo "exit $?" >>"$out/run/$b.txt"
  "$stsim" run "$f" --output json --trace "$out/run/$b.trace" \
    --report "$out/run/$b.html" >"$out/run/$b.json" 2>&1
  echo "exit $?" >>"$out/run/$b.json"
done
strip() { sed -e '/"wallSeconds"/d' -e '/"runsPerSecond"/d' \
  -e '/^fuzz: [0-9]*% /d' -e "s|$out/|OUT/|g" \
  -e 's/\[[0-9.]* s, [0-9.]* runs\/s\]//' "$1" >"$1.s" && mv "$1.s" "$1"; }
for m in none ctl-no-wait-terminating ctl-scale-down-lowest-first \
  ctl-b17-acts-on-stale-readiness attachdetach-ignores-multi-attach \
  apiserver-drops-statefulset-status all; do
  d="$out/fuzz/$m"
  mkdir -p "$d"
  case $m in
  none) mo= ;;
  all) mo="--mutant ctl-scale-down-lowest-first --max-failures 0 --no-shrink" ;;
  *) mo="--mutant $m" ;;
  esac
  # shellcheck disable=SC2086
  "$stsim" fuzz scenarios/10-fuzz-default.yaml --runs "$runs" -j2 $mo \
    --out "$d/out" --json "$d/summary.json" >"$d/stdout" 2>&1
  echo "exit $?" >>"$d/stdout"
  strip "$d/stdout"
  strip "$d/summary.json"
  for f in "$d"/out/*; do [ -f "$f" ] && strip "$f"; done
done
"$dig" "$runs" >"$out/fuzz/digests"
"$dig" 500 ctl-no-wait-terminating >"$out/fuzz/digests-mutant"
