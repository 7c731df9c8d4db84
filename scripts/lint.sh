#!/bin/sh
# lint.sh - module boundaries (house style 6.2), banned functions under
# sim/ (D1, D7), and formatting. Comment lines are skipped by the
# banned-function check.
set -u
fail=0
banned='\<(time|clock|gettimeofday|clock_gettime|rand|srand|random|getpid|getenv|gsl_rng_env_setup)\('
for f in $(ls sim/*/*.c sim/*/*.h | grep -v '^sim/cli/'); do
  if grep -nE "$banned" "$f" | grep -vE '^[0-9]+:\s*(/\*|\*)' ; then
    echo "lint: $f uses a banned function (D1: no wall clock, no hidden inputs)"
    fail=1
  fi
  if grep -n '%p' "$f" >/dev/null; then
    echo "lint: $f prints a pointer (D7)"
    fail=1
  fi
done
# The StatefulSet controller sees the cluster only through the API.
if grep -n '#include "cluster.h"\|#include "world_int.h"' sim/controller/*.c 2>/dev/null; then
  echo "lint: sim/controller must not include cluster or world internals"
  fail=1
fi
# Private headers stay in their own directory.
for h in $(ls sim/*/*_int.h 2>/dev/null); do
  dir=$(dirname "$h")
  base=$(basename "$h")
  if grep -ln "#include \"$base\"" sim/*/*.c | grep -v "^$dir/"; then
    echo "lint: $base included outside $dir"
    fail=1
  fi
done
# The engine knows nothing about Kubernetes.
if grep -n '#include "objects.h"\|#include "apiserver.h"' sim/engine/*.c; then
  echo "lint: sim/engine must not know Kubernetes objects"
  fail=1
fi
if command -v clang-format >/dev/null 2>&1; then
  clang-format --dry-run --Werror include/*.h sim/*/*.c sim/*/*.h 2>&1 |
    head -20 | grep . && { echo "lint: run make format"; fail=1; }
fi
[ $fail -eq 0 ] && echo "lint: ok"
exit $fail
