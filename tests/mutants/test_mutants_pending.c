/*
 * test_mutants_pending.c - `make mutants-pending`, not part of `make test`:
 * every mutant of the registry (mutants.h) must be injected and caught by
 * the default fuzz campaign (scenarios/10-fuzz-default.yaml) through the
 * property it names, within MUTANT_RUNS runs. It fails - listing them -
 * while any mutant is not injected yet (the StatefulSet controller's are
 * injected by the controller's owner, the node lifecycle controller's by
 * its own); once they all are, it belongs in `make test`, next to
 * test_fuzz.c's every_injected_mutant_is_caught_by_the_default_campaign.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fuzz.h"
#include "mutants.h"
#include "props.h"

#define MUTANT_RUNS 500

static void
every_registered_mutant_is_injected_and_caught_by_the_default_campaign(
    void **st)
{
  const char *src = getenv("STSIM_SRCDIR");
  char path[1024], dir[] = "/tmp/stsim-mutants-XXXXXX", report[8192] = "";
  const char *files[1] = {path};
  struct scenario s;
  struct fuzz_profile p;
  struct diag d = {0};
  size_t nr, bad = 0;
  const struct mutant_info *m = mutants_registry(&nr);

  (void)st;
  snprintf(path, sizeof(path), "%s/scenarios/10-fuzz-default.yaml",
           src ? src : ".");
  assert_non_null(mkdtemp(dir));
  if (scenario_load_files(&s, files, 1, &d) || fuzz_profile_init(&p, &s, &d))
    fail_msg("%s", d.msg);
  for (size_t i = 0; i < nr; i++) {
    size_t pnr, used = strlen(report);
    const struct property_info *reg = props_registry(&pnr);
    const struct property_info *pi = props_find(m[i].property);
    bool sel[FUZZ_MAX_PROPS] = {0};
    struct fuzz_summary sum;
    struct fuzz_campaign_opts o = {
        .scenario_label = path,
        .runs = MUTANT_RUNS,
        .master_seed = 1,
        .jobs = 2,
        .shard_n = 1,
        .max_failures = 1,
        .out_dir = dir,
        .verbosity = -1,
        .run = {.mutant = m[i].name, .until = p.until},
    };

    if (!m[i].injected) {
      snprintf(report + used, sizeof(report) - used,
               "\n  %-42s not injected yet (%s)", m[i].name, m[i].component);
      bad++;
      continue;
    }
    sel[pi - reg] = true;
    o.run.properties = sel;
    assert_int_equal(fuzz_campaign(&p, &o, &sum, &d), 0);
    if (!sum.failures || sum.kept.v[0].status != FUZZ_FAIL) {
      snprintf(report + used, sizeof(report) - used,
               "\n  %-42s injected, not caught by %s in %d runs", m[i].name,
               m[i].property, MUTANT_RUNS);
      bad++;
    } else {
      print_message("%-42s caught by %s in run %llu\n", m[i].name,
                    m[i].property, (unsigned long long)sum.kept.v[0].index);
    }
    fuzz_summary_release(&sum);
  }
  fuzz_profile_release(&p);
  scenario_release(&s);
  snprintf(path, sizeof(path), "rm -rf '%s'", dir);
  if (system(path))
    print_message("could not remove %s\n", dir);
  if (bad) {
    print_message("mutants not injected or not caught:%s\n", report);
    fail_msg("%zu of %zu mutants are not injected or not caught (above)", bad,
             nr);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          every_registered_mutant_is_injected_and_caught_by_the_default_campaign),
  };

  return cmocka_run_group_tests_name("mutants-pending", tests, NULL, NULL);
}
