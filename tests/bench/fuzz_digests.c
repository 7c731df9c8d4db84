/*
 * fuzz_digests.c - the optimisation check of tests/bench/golden.sh: runs
 * [0, N) of the default fuzz campaign (master seed 1) in-process and prints
 * one line per run: index, seed, trace digest, events, end time, violated
 * properties. Two binaries that print the same lines ran the same
 * simulations event for event.
 *
 *   usage: fuzz_digests N [MUTANT]
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "world.h"

#define SCN "scenarios/10-fuzz-default.yaml"

int main(int argc, char **argv)
{
  const char *files[] = {SCN};
  struct scenario s;
  struct fuzz_profile p;
  struct fuzz_schedule sc;
  struct diag d = {0};
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000;
  const char *mutant = argc > 2 ? argv[2] : NULL;

  if (scenario_load_files(&s, files, 1, &d) || fuzz_profile_init(&p, &s, &d)) {
    fprintf(stderr, "fuzz_digests: %s: %s\n", SCN, d.msg);
    return 1;
  }
  /* as a campaign worker: freed memory is kept for the next run */
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  fuzz_schedule_init(&sc);
  for (uint64_t i = 0; i < n; i++) {
    uint64_t seed = fuzz_run_seed(1, i);
    struct scenario rs = *p.s;
    struct world_opts wo = {.has_seed = true,
                            .seed = seed,
                            .has_until = true,
                            .until = p.until,
                            .mutant = mutant};
    struct world *w;
    uint64_t ev;

    fuzz_generate(&p, seed, &sc);
    rs.actions = sc.actions.v;
    rs.actions_nr = sc.actions.nr;
    rs.expects = NULL;
    rs.expects_nr = 0;
    rs.until = p.until;
    w = world_new(&rs, &wo, &d);
    if (!w) {
      fprintf(stderr, "fuzz_digests: run %llu: %s\n", (unsigned long long)i,
              d.msg);
      return 1;
    }
    ev = world_run(w);
    printf("%llu %016llx %016llx %llu %lld %d\n", (unsigned long long)i,
           (unsigned long long)seed, (unsigned long long)world_digest(w),
           (unsigned long long)ev, (long long)world_end_time(w),
           world_passed(w));
    world_free(w);
  }
  fuzz_schedule_release(&sc);
  fuzz_profile_release(&p);
  scenario_release(&s);
  return 0;
}
