#!/bin/sh
# run-cli-tests.sh - the command line's contract (interface.md sections 1
# and 6): every malformed file in tests/bad/ exits 2 with a
# "file:line:col: message" on stderr (the expected text is the file's
# first line, "# expect: ..."), never a crash; usage errors exit 2; help,
# version and list work; a manifest-only file runs.
#   usage: tests/run-cli-tests.sh build/stsim
set -u
bin=$1
fail=0
n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # check NAME WANT_RC CMD...
  name=$1
  want_rc=$2
  shift 2
  n=$((n + 1))
  "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" -ne "$want_rc" ]; then
    echo "FAIL $name: exit $rc, want $want_rc"
    sed 's/^/    /' "$tmp/err" | head -5
    fail=$((fail + 1))
    return 1
  fi
  return 0
}

# tests/bad: the loader refuses them; tests/bad-fuzz: the fuzz section
# is refused against the loaded scenario (fuzz_profile_init)
for f in tests/bad/*.yaml tests/bad-fuzz/*.yaml; do
  [ -e "$f" ] || continue
  expect_msg=$(sed -n '1s/^# expect: //p' "$f")
  if check "$f" 2 "$bin" validate "$f"; then
    got=$(head -1 "$tmp/err")
    case "$got" in
      "$f:"[0-9]*:[0-9]*": $expect_msg")
        ;;
      *)
        echo "FAIL $f: message"
        echo "    got:  $got"
        echo "    want: $f:LINE:COL: $expect_msg"
        fail=$((fail + 1))
        ;;
    esac
    # run must refuse it the same way, without simulating
    check "$f (run)" 2 "$bin" run "$f"
  fi
done

check "no arguments" 2 "$bin"
check "unknown command" 2 "$bin" frobnicate
check "run without file" 2 "$bin" run
check "run unknown option" 2 "$bin" run scenarios/01-web-basic.yaml --bogus
check "bad --seed" 2 "$bin" run scenarios/01-web-basic.yaml --seed -3
check "bad --until" 2 "$bin" run scenarios/01-web-basic.yaml --until 5min
check "unknown property" 2 "$bin" run scenarios/01-web-basic.yaml \
  --property no.such
check "missing file" 2 "$bin" run tests/no-such-file.yaml
check "version" 0 "$bin" version
check "help" 0 "$bin" help
check "help run" 0 "$bin" help run
check "run --help" 0 "$bin" run --help
for l in properties actions mutants timings; do
  check "list $l" 0 "$bin" list $l
done
check "list bogus" 2 "$bin" list bogus
if check "manifest only" 0 "$bin" run scenarios/02-classic-manifest.yaml; then
  grep -q "statefulset.apps/web" "$tmp/out" || {
    echo "FAIL manifest only: no StatefulSet in the final state"
    fail=$((fail + 1))
  }
fi
check "validate --strict" 0 "$bin" validate --strict \
  scenarios/02-classic-manifest.yaml
# validate says what spec.variant sets and how many keys a profile varies
if check "validate variant" 0 "$bin" validate scenarios/08-variant-parallel.yaml
then
  grep -q "on every StatefulSet (spec.variant): podManagementPolicy Parallel" \
    "$tmp/out" || {
    echo "FAIL validate variant: no spec.variant line"
    fail=$((fail + 1))
  }
fi
if check "validate vary" 0 "$bin" validate scenarios/10-fuzz-default.yaml; then
  grep -q "a fuzz profile (varies 8 keys per run)" "$tmp/out" || {
    echo "FAIL validate vary: the profile's varied keys are not counted"
    fail=$((fail + 1))
  }
fi
if check "json output" 0 "$bin" run scenarios/01-web-basic.yaml --output json
then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
assert d["verdict"] == "pass"; assert "final" in d and "events" in d' \
    "$tmp/out" 2>/dev/null || {
    echo "FAIL json output: not the JSON of interface.md section 4"
    fail=$((fail + 1))
  }
fi
if check "trace" 0 "$bin" run scenarios/01-web-basic.yaml --trace "$tmp/t.jsonl"
then
  [ -s "$tmp/t.jsonl" ] || { echo "FAIL trace: empty"; fail=$((fail + 1)); }
fi
if check "html report" 0 "$bin" run scenarios/01-web-basic.yaml \
  --report "$tmp/r.html"; then
  # self-contained, complete, no temporary left, the same twice, and an
  # unwritable path refused (exit 2) before anything is simulated
  "$bin" run scenarios/01-web-basic.yaml --report "$tmp/r2.html" >/dev/null
  "$bin" run scenarios/01-web-basic.yaml --report "$tmp/no/r.html" \
    >"$tmp/out2" 2>/dev/null
  rc=$?
  { grep -q '<svg' "$tmp/r.html" && tail -1 "$tmp/r.html" | grep -q '</html>' &&
    ! grep -q '<script' "$tmp/r.html" && ! ls "$tmp"/r.html.tmp* 2>/dev/null &&
    cmp -s "$tmp/r.html" "$tmp/r2.html" && [ "$rc" -eq 2 ] &&
    [ ! -s "$tmp/out2" ]; } || {
    echo "FAIL html report: missing picture, not deterministic or not atomic"
    fail=$((fail + 1))
  }
fi
# Mutants (include/mutants.h): each catch scenario tests/mutants/NAME.yaml
# passes as it is, and with --mutant NAME exits 1 with the property the
# registry names for NAME failing. liveness.converges judges nothing in
# `stsim run` until the world hands the property set its scenario and
# actions (props_set_scenario, props_note_action: not called by sim/world
# yet); meanwhile its mutants are caught by their scenario's expectations
# only (exit 1), and the property is not required to fail.
for f in tests/mutants/*.yaml; do
  [ -e "$f" ] || continue
  m=$(basename "$f" .yaml)
  prop=$("$bin" list mutants | awk -v m="$m" '$1 == m {
    for (i = 1; i < NF; i++) if ($i == "by") { print $(i + 1); exit } }')
  if [ -z "$prop" ]; then
    echo "FAIL $f: no mutant $m in stsim list mutants"
    fail=$((fail + 1))
    continue
  fi
  check "$f" 0 "$bin" run "$f" -q
  if check "$f --mutant $m" 1 "$bin" run "$f" -q --mutant "$m"; then
    grep -q "^  FAIL  $prop " "$tmp/out" ||
      { [ "$prop" = liveness.converges ] &&
        grep -q "^  PASS  liveness.converges" "$tmp/out" &&
        grep -q "^  UNMET " "$tmp/out" &&
        ! grep -q "props_set_scenario" sim/world/*.c 2>/dev/null; } || {
      echo "FAIL $f --mutant $m: $prop did not fail"
      fail=$((fail + 1))
    }
  fi
done
echo "cli: $((n - fail)) of $n checks passed"
[ $fail -eq 0 ]
