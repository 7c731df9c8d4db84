/*
 * bench_fuzz.c - fuzz speed figures for `make bench` (design.md,
 * performance targets), each printed with the command that produced it:
 *
 *   - runs/s of the default profile (scenarios/10-fuzz-default.yaml: 3
 *     replicas, 3 nodes, 2 h virtual, a fault about every 10 min) on one
 *     core, in-process: the median of 3 batches;
 *   - runs/s of `stsim fuzz ... -j2` (target >= 1,000 on 2 cores, later
 *     5,000), from the campaign's own JSON;
 *   - memory over a long campaign: a worker's RSS after 2,500, 7,500 and
 *     17,500 runs (flat after the first high-water mark = no leak);
 *   - per mutant, the runs the default campaign needed to catch it.
 *
 * Run from the repository root (make bench does); the stsim binary is the
 * one next to this program's directory (build/bench/.. = build/).
 */
#include <errno.h>
#include <libgen.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fuzz.h"
#include "mutants.h"
#include "props.h"

#define SCN "scenarios/10-fuzz-default.yaml"

static double now(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;

  if (!f)
    return -1;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
    resident = -1;
  fclose(f);
  return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Runs [from, from + n) of the campaign with master seed 1 in-process. */
static void batch(const struct fuzz_profile *p, struct fuzz_schedule *sc,
                  uint64_t from, uint64_t n)
{
  struct fuzz_run_opts o = {.until = p->until};

  for (uint64_t i = from; i < from + n; i++) {
    struct fuzz_outcome out = {0};
    struct diag d = {0};
    uint64_t seed = fuzz_run_seed(1, i);

    fuzz_generate(p, seed, sc);
    if (fuzz_run(p, &o, sc, seed, &out, &d)) {
      fprintf(stderr, "bench_fuzz: run %llu: %s\n", (unsigned long long)i,
              d.msg);
      exit(1);
    }
    fuzz_outcome_release(&out);
  }
}

static void in_process(const struct fuzz_profile *p)
{
  struct fuzz_schedule sc;
  double rate[3];

  /* as a worker: freed memory is kept for the next run */
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  fuzz_schedule_init(&sc);
  batch(p, &sc, 0, 50); /* warm up */
  for (int r = 0; r < 3; r++) {
    double t0 = now();
    batch(p, &sc, 1000 + (uint64_t)r * 300, 300);
    rate[r] = 300 / (now() - t0);
  }
  qsort(rate, 3, sizeof(rate[0]), cmp_double);
  printf("fuzz default profile, one core in-process: %.0f runs/s (median of "
         "3 x 300 runs; min %.0f, max %.0f)  [build/bench/bench_fuzz]\n",
         rate[1], rate[0], rate[2]);

  /* memory over a long campaign: RSS after 2,500, 7,500 and 17,500 runs
   * (the heap settles at the largest run's high-water mark: a rare large
   * run - a varied configuration scaled to 5 - may raise it once; a leak
   * would raise it in proportion to the runs) */
  long r1, r2, r3;
  batch(p, &sc, 2000, 2500);
  r1 = rss_kib();
  batch(p, &sc, 4500, 5000);
  r2 = rss_kib();
  batch(p, &sc, 9500, 10000);
  r3 = rss_kib();
  printf("fuzz memory per worker: RSS %ld KiB after 2,500 runs, %ld KiB "
         "after 7,500 (%+ld KiB), %ld KiB after 17,500 (%+ld KiB)  "
         "[build/bench/bench_fuzz]\n",
         r1, r2, r2 - r1, r3, r3 - r2);
  fuzz_schedule_release(&sc);
}

static void campaign(const char *stsim, const char *tmp)
{
  char cmd[2048], json[600];
  json_error_t err;

  snprintf(json, sizeof(json), "%s/campaign.json", tmp);
  snprintf(cmd, sizeof(cmd),
           "%s fuzz " SCN " --runs 4000 -j2 --max-failures 0 --no-shrink -q "
           "--out %s/out --json %s >/dev/null",
           stsim, tmp, json);
  int rc = system(cmd);
  json_t *o = json_load_file(json, 0, &err);
  if (!o) {
    printf("fuzz campaign -j2: no result (exit %d)  [%s]\n", rc, cmd);
    return;
  }
  printf("fuzz default profile, stsim fuzz -j2: %.0f runs/s (target >= "
         "1,000; milestone 5,000), %lld failed  [%s]\n",
         json_number_value(json_object_get(o, "runsPerSecond")),
         (long long)json_integer_value(json_object_get(o, "failures")), cmd);
  json_decref(o);
}

static void mutants(const struct fuzz_profile *p, const char *tmp)
{
  size_t nr;
  const struct mutant_info *m = mutants_registry(&nr);

  for (size_t i = 0; i < nr; i++) {
    struct fuzz_summary sum;
    struct diag d = {0};
    struct fuzz_campaign_opts o = {
        .scenario_label = SCN,
        .runs = 2000,
        .master_seed = 1,
        .jobs = 2,
        .shard_n = 1,
        .max_failures = 1,
        .out_dir = tmp,
        .verbosity = -1,
        .run = {.mutant = m[i].name, .until = p->until},
    };

    if (!m[i].injected) {
      printf("mutant %-42s not injected yet (%s)\n", m[i].name, m[i].component);
      continue;
    }
    if (fuzz_campaign(p, &o, &sum, &d)) {
      printf("mutant %-42s campaign error: %s\n", m[i].name, d.msg);
      continue;
    }
    if (sum.failures)
      printf("mutant %-42s caught in %llu run%s by %s (expected %s)  "
             "[stsim fuzz " SCN " --mutant %s -j2]\n",
             m[i].name, (unsigned long long)sum.kept.v[0].index + 1,
             sum.kept.v[0].index ? "s" : "",
             sum.kept.v[0].v.prop >= 0
                 ? props_registry(&(size_t){0})[sum.kept.v[0].v.prop].name
                 : "internal-error",
             m[i].property, m[i].name);
    else
      printf("mutant %-42s NOT caught in 2,000 runs  [stsim fuzz " SCN
             " --mutant %s --runs 2000 -j2]\n",
             m[i].name, m[i].name);
    fuzz_summary_release(&sum);
  }
}

int main(int argc, char **argv)
{
  const char *files[] = {SCN};
  struct scenario s;
  struct fuzz_profile p;
  struct diag d = {0};
  char self[1024], stsim[1100], tmp[] = "/tmp/stsim-bench-fuzz-XXXXXX";

  (void)argc;
  snprintf(self, sizeof(self), "%s", argv[0]);
  snprintf(stsim, sizeof(stsim), "%s/../stsim", dirname(self));
  if (!mkdtemp(tmp)) {
    perror("mkdtemp");
    return 1;
  }
  if (scenario_load_files(&s, files, 1, &d) || fuzz_profile_init(&p, &s, &d)) {
    fprintf(stderr, "bench_fuzz: %s: %s\n", SCN, d.msg);
    return 1;
  }
  in_process(&p);
  campaign(stsim, tmp);
  mutants(&p, tmp);
  fuzz_profile_release(&p);
  scenario_release(&s);
  snprintf(self, sizeof(self), "rm -rf '%s'", tmp);
  return system(self) ? 1 : 0;
}
