/*
 * test_u64map.c - the uint64 -> uint64 hash map behind the props' and
 * components' indexes: lookups after inserts, replacements, deletions and
 * growth, and reuse of deleted slots.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "u64map.h"

static void an_empty_map_finds_nothing(void **state)
{
  struct u64map m = {0};

  (void)state;
  assert_false(u64map_get(&m, 0, NULL));
  assert_false(u64map_del(&m, 7));
  u64map_release(&m);
}

static void a_put_key_is_found_with_its_latest_value(void **state)
{
  struct u64map m = {0};
  uint64_t v = 0;

  (void)state;
  u64map_put(&m, 0, 10);
  u64map_put(&m, 42, 1);
  u64map_put(&m, 42, 2);
  assert_true(u64map_get(&m, 0, &v));
  assert_int_equal(v, 10);
  assert_true(u64map_get(&m, 42, &v));
  assert_int_equal(v, 2);
  assert_int_equal(m.nr, 2);
  u64map_release(&m);
}

static void deleted_keys_are_gone_and_others_survive_growth(void **state)
{
  struct u64map m = {0};
  uint64_t v;

  (void)state;
  for (uint64_t k = 0; k < 10000; k++)
    u64map_put(&m, k * 7919, k);
  for (uint64_t k = 0; k < 10000; k += 2)
    assert_true(u64map_del(&m, k * 7919));
  assert_int_equal(m.nr, 5000);
  for (uint64_t k = 0; k < 10000; k++) {
    bool found = u64map_get(&m, k * 7919, &v);
    assert_int_equal(found, k % 2 == 1);
    if (found)
      assert_int_equal(v, k);
  }
  u64map_release(&m);
}

static void churn_reuses_deleted_slots_without_growing(void **state)
{
  struct u64map m = {0};

  (void)state;
  for (uint64_t k = 0; k < 100; k++)
    u64map_put(&m, k, k);
  size_t cap = m.cap;
  for (uint64_t k = 100; k < 100000; k++) {
    u64map_put(&m, k, k);
    assert_true(u64map_del(&m, k - 100));
  }
  assert_int_equal(m.nr, 100);
  assert_true(m.cap <= 2 * cap);
  assert_true(u64map_get(&m, 99999, NULL));
  assert_false(u64map_get(&m, 99899, NULL));
  u64map_release(&m);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(an_empty_map_finds_nothing),
      cmocka_unit_test(a_put_key_is_found_with_its_latest_value),
      cmocka_unit_test(deleted_keys_are_gone_and_others_survive_growth),
      cmocka_unit_test(churn_reuses_deleted_slots_without_growing),
  };

  return cmocka_run_group_tests_name("u64map", tests, NULL, NULL);
}
