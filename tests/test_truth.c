/*
 * test_truth.c - the ground truth's tables: lookups by pod uid, node name
 * and PV name (hash-indexed) agree with what was written, iteration keeps
 * start order across stops, and a restarted incarnation is found again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "truth.h"

struct seen {
  uint64_t uid[512];
  size_t nr;
};

static bool collect(const struct truth_pod *p, void *ctx)
{
  struct seen *s = ctx;

  s->uid[s->nr++] = p->uid;
  return true;
}

static void pods_keep_start_order_across_many_stops(void **state)
{
  struct truth *t = truth_new();
  struct seen s = {.nr = 0};
  char name[32];

  (void)state;
  for (uint64_t u = 1; u <= 400; u++) {
    snprintf(name, sizeof(name), "web-%llu", (unsigned long long)u);
    truth_pod_start(t, "default", name, u, "node-1", "10.0.0.1", (simtime)u);
  }
  for (uint64_t u = 2; u <= 400; u += 2)
    truth_pod_stop(t, u); /* enough to compact the table */
  truth_pods(t, collect, &s);
  assert_int_equal(s.nr, 200);
  for (size_t i = 0; i < s.nr; i++)
    assert_int_equal(s.uid[i], 2 * i + 1);
  for (uint64_t u = 1; u <= 400; u++) {
    const struct truth_pod *p = truth_pod(t, u);
    if (u % 2) {
      assert_non_null(p);
      assert_int_equal(p->uid, u);
      snprintf(name, sizeof(name), "web-%llu", (unsigned long long)u);
      assert_string_equal(p->pod, name);
    } else {
      assert_null(p);
    }
  }
  truth_free(t);
}

static void a_restarted_incarnation_is_found_where_it_runs_now(void **state)
{
  struct truth *t = truth_new();

  (void)state;
  truth_pod_start(t, "default", "web-0", 7, "node-1", "10.0.0.1", 0);
  truth_pod_set(t, 7, true, true);
  truth_pod_stop(t, 7);
  assert_null(truth_pod(t, 7));
  truth_pod_start(t, "default", "web-0", 7, "node-2", "10.0.0.9", 5);
  assert_string_equal(truth_pod(t, 7)->node, "node-2");
  assert_false(truth_pod(t, 7)->running);
  truth_free(t);
}

static void volumes_and_machines_are_found_among_thousands(void **state)
{
  struct truth *t = truth_new();
  char pv[32], node[32];

  (void)state;
  for (int i = 0; i < 3000; i++) {
    snprintf(pv, sizeof(pv), "pvc-%d", i);
    snprintf(node, sizeof(node), "node-%d", i % 1000);
    truth_attach(t, pv, node);
    truth_mount(t, pv, node, (uint64_t)i + 1);
    if (i < 1000)
      truth_set_machine(t, node, i % 3 ? MACHINE_UP : MACHINE_CRASHED);
  }
  for (int i = 0; i < 3000; i++) {
    snprintf(pv, sizeof(pv), "pvc-%d", i);
    snprintf(node, sizeof(node), "node-%d", i % 1000);
    assert_true(truth_is_attached(t, pv, node));
    assert_int_equal(truth_mounts(t, pv, node), 1);
    assert_string_equal(truth_volume(t, pv)->pv, pv);
    assert_int_equal(truth_machine(t, node),
                     (i % 1000) % 3 ? MACHINE_UP : MACHINE_CRASHED);
  }
  assert_null(truth_volume(t, "pvc-x"));
  assert_int_equal(truth_machine(t, "node-x"), MACHINE_UP);
  truth_detach(t, "pvc-5", "node-5");
  assert_false(truth_is_attached(t, "pvc-5", "node-5"));
  truth_free(t);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pods_keep_start_order_across_many_stops),
      cmocka_unit_test(a_restarted_incarnation_is_found_where_it_runs_now),
      cmocka_unit_test(volumes_and_machines_are_found_among_thousands),
  };

  return cmocka_run_group_tests_name("truth", tests, NULL, NULL);
}
