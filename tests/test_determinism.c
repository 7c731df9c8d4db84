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

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(same_seed_same_digest_other_seed_other_digest),
      cmocka_unit_test(a_longer_scenario_with_actions_is_deterministic),
  };

  return cmocka_run_group_tests_name("determinism", tests, NULL, NULL);
}
