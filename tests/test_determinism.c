/*
 * test_determinism.c - D8: the same scenario and seed give the same trace
 * digest and byte-identical reports, run after run in one process; another
 * seed gives another digest (the seed really drives the randomness).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "props.h"
#include "report.h"
#include "scenario.h"
#include "world.h"

struct outcome {
  uint64_t digest;
  uint64_t events;
  char *json;
  size_t json_len;
};

static struct outcome run_once(const char *path, uint64_t seed)
{
  struct scenario s;
  struct diag d = {0};
  struct world_opts o = {.has_seed = true, .seed = seed};
  struct outcome out = {0};
  const char *files[] = {path};

  if (scenario_load_files(&s, files, 1, &d))
    fail_msg("%s:%d:%d: %s", d.file, d.line, d.col, d.msg);
  struct world *w = world_new(&s, &o, &d);
  if (!w)
    fail_msg("%s", d.msg);
  out.events = world_run(w);
  out.digest = world_digest(w);
  FILE *f = open_memstream(&out.json, &out.json_len);
  report_json(f, w);
  fclose(f);
  world_free(w);
  scenario_release(&s);
  return out;
}

static void check_scenario(const char *path)
{
  struct outcome a = run_once(path, 1), b = run_once(path, 1);
  struct outcome c = run_once(path, 2);

  assert_true(a.events > 100); /* a real run, not an empty one */
  assert_int_equal(a.digest, b.digest);
  assert_int_equal(a.events, b.events);
  assert_int_equal(a.json_len, b.json_len);
  assert_memory_equal(a.json, b.json, a.json_len);
  assert_true(a.digest != c.digest);
  free(a.json);
  free(b.json);
  free(c.json);
}

static void same_seed_same_digest_other_seed_other_digest(void **state)
{
  (void)state;
  check_scenario("scenarios/01-web-basic.yaml");
}

static void a_longer_scenario_with_actions_is_deterministic(void **state)
{
  (void)state;
  check_scenario("scenarios/04-scale-and-update.yaml");
}

/*
 * A run without a timeline (what fuzz runs ask for: nobody reads it, and
 * its lines and the components' notes are not even formatted) simulates
 * exactly the same run: same events, same digest, same verdicts.
 */
static void a_run_without_a_timeline_is_the_same_run(void **state)
{
  const char *files[] = {"scenarios/36-partition-force-delete.yaml"};
  struct scenario s;
  struct diag d = {0};
  uint64_t events[2], digest[2];
  size_t lines[2];
  int violated[2];

  (void)state;
  if (scenario_load_files(&s, files, 1, &d))
    fail_msg("%s:%d:%d: %s", d.file, d.line, d.col, d.msg);
  for (int k = 0; k < 2; k++) {
    struct world_opts o = {.no_timeline = k == 1};
    struct world *w = world_new(&s, &o, &d);
    const struct props *pr;
    if (!w)
      fail_msg("%s", d.msg);
    events[k] = world_run(w);
    digest[k] = world_digest(w);
    world_timeline(w, &lines[k]);
    pr = world_props(w);
    violated[k] = 0;
    for (size_t i = 0; i < props_count(pr); i++)
      violated[k] += props_violations(pr, i, NULL) > 0;
    world_free(w);
  }
  assert_true(lines[0] > 50);
  assert_int_equal(lines[1], 0);
  assert_int_equal(events[0], events[1]);
  assert_int_equal(digest[0], digest[1]);
  assert_int_equal(violated[0], violated[1]);
  assert_true(violated[0] > 0); /* the scenario's split brain */
  scenario_release(&s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(same_seed_same_digest_other_seed_other_digest),
      cmocka_unit_test(a_longer_scenario_with_actions_is_deterministic),
      cmocka_unit_test(a_run_without_a_timeline_is_the_same_run),
  };

  return cmocka_run_group_tests_name("determinism", tests, NULL, NULL);
}
