#!/bin/sh
# run-fuzz-tests.sh - the short fuzz campaign of `make test` (the CI job's
# quick half; `make fuzz-campaign` is the long one): the default profile
# must pass, and its JSON results must be the same with -j1, -j2 and as
# two shards merged (apart from the wall clock). Then the command line: a
# failure found, written, replayed and shrunk; bad usage is exit 2.
#   usage: tests/run-fuzz-tests.sh build/stsim [RUNS]
set -u
bin=$1
runs=${2:-300}
tmp=$(mktemp -d /tmp/stsim-fuzz-tests-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
scn=scenarios/10-fuzz-default.yaml

bad() {
  echo "FAIL: $*"
  fail=1
}

# JSON without the two wall-clock fields
strip() {
  grep -v '"wallSeconds"\|"runsPerSecond"' "$1"
}

echo "== fuzz: $runs runs of $scn with -j1, -j2 and two shards"
# Every run of each campaign (--max-failures 0), so the comparison holds
# whether or not a run fails.
all="--runs $runs --max-failures 0 --no-shrink --out $tmp/r"
# shellcheck disable=SC2086
"$bin" fuzz "$scn" $all -j1 --json "$tmp/j1.json" >"$tmp/j1.out" \
  2>"$tmp/j1.err"
rc=$?
# shellcheck disable=SC2086
"$bin" fuzz "$scn" $all -j2 --json "$tmp/j2.json" >/dev/null 2>&1
# shellcheck disable=SC2086
"$bin" fuzz "$scn" $all -j2 --shard 0/2 --json "$tmp/s0.json" >/dev/null 2>&1
# shellcheck disable=SC2086
"$bin" fuzz "$scn" $all -j1 --shard 1/2 --json "$tmp/s1.json" >/dev/null 2>&1
"$bin" merge "$tmp/s1.json" "$tmp/s0.json" --json "$tmp/m.json" >/dev/null
strip "$tmp/j1.json" >"$tmp/a"
for f in j2 m; do
  strip "$tmp/$f.json" >"$tmp/b"
  cmp -s "$tmp/a" "$tmp/b" || { bad "$f.json differs from -j1's"; diff "$tmp/a" "$tmp/b" | head; }
done
grep -q "\"runs\": $runs," "$tmp/j1.json" || bad "j1.json does not count $runs runs"
# off a terminal: one progress line per 10%, nothing else on stderr
n=$(grep -c '^fuzz: [0-9]*0% (' "$tmp/j1.err")
[ "$n" -eq 10 ] || bad "expected 10 progress lines off a terminal, got $n"
[ "$(wc -l <"$tmp/j1.err")" -eq 10 ] || bad "stderr has more than progress lines"
grep -q '^RECOVERY' "$tmp/j1.out" || bad "no recovery statistics"
[ -f "$tmp/r/summary.json" ] || bad "no summary.json in --out"
# The unmutated simulator must pass: a failure here is a bug in a
# component or a property, found by the campaign (replay it, shrink it).
if [ $rc -ne 0 ] || ! grep -q '^RESULT: pass' "$tmp/j1.out"; then
  bad "the default campaign found failures (exit $rc): a simulator bug"
  sed -n '/^FAILURES/,$p' "$tmp/j1.out" | head -20
  echo "  (re-run: $bin fuzz $scn --runs $runs --out results)"
fi

echo "== fuzz: a failure is written, replayed and shrunk"
cat >"$tmp/force.yaml" <<'EOF'
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 10
      containers: [{name: app, image: registry.example/app:1}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: stsim/v1alpha1
kind: Scenario
metadata: {name: force}
spec:
  until: 20m
  cluster: {nodes: 3, zones: [a]}
  actions:
    - {at: 2m, action: partition-node, node: "@pod:web-1", for: 15m}
    - {at: 3m, action: delete-pod, pod: web-1, force: true}
  fuzz:
    faults:
      restart-controller: {every: 5m}
EOF
"$bin" fuzz "$tmp/force.yaml" --runs 4 -j2 --out "$tmp/f" --json "$tmp/f.json" \
  --junit "$tmp/f.xml" --no-shrink >"$tmp/f.out" 2>/dev/null
[ $? -eq 1 ] || bad "a failing campaign must exit 1"
file=$(ls "$tmp"/f/failure-*.yaml 2>/dev/null | head -1)
[ -n "$file" ] || bad "no failure file written"
if [ -n "$file" ]; then
  want=$(sed -n 's/^# property \(.*\) failed at \(.*\) (virtual time):$/\1 at \2/p' "$file")
  "$bin" run "$file" -q >"$tmp/replay.out"
  [ $? -eq 1 ] || bad "the replay of $file must exit 1"
  grep -q "FAIL  $want:" "$tmp/replay.out" || bad "the replay does not fail $want"
  "$bin" shrink "$file" --budget 200 >"$tmp/shrink.out" || bad "stsim shrink failed"
  min=${file%.yaml}.min.yaml
  [ -f "$min" ] || bad "no $min"
  "$bin" run "$min" -q >/dev/null
  [ $? -eq 1 ] || bad "the shrunk file must still fail"
fi
grep -q '<failure message=' "$tmp/f.xml" || bad "JUnit has no failure"
grep -q 'replay: stsim run' "$tmp/f.xml" || bad "JUnit failure lacks the replay command"

echo "== fuzz: bad usage is exit 2"
for args in "--shard 2/2" "--runs 0" "-j 0" "--bogus" "--mutant no-such" \
  "--property no.such" "--until 5minutes"; do
  # shellcheck disable=SC2086
  "$bin" fuzz "$scn" $args >/dev/null 2>&1
  [ $? -eq 2 ] || bad "fuzz $args: expected exit 2"
done
"$bin" merge "$tmp/j1.json" "$tmp/s0.json" >/dev/null 2>&1
[ $? -eq 2 ] || bad "merging a campaign with another's shard must exit 2"
"$bin" merge "$tmp/s0.json" "$tmp/s0.json" >/dev/null 2>&1
[ $? -eq 2 ] || bad "merging a shard twice must exit 2"
"$bin" shrink "$scn" >/dev/null 2>&1
[ $? -eq 2 ] || bad "shrinking a scenario that does not fail must exit 2"

[ $fail -eq 0 ] && echo "fuzz tests: ok"
exit $fail
