/*
 * test_props_fmt.c - prop_fmt, the checks' snprintf for keys and names,
 * writes what snprintf writes, truncation included.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "props/props_int.h"

#define SAME(n, ...)                                                           \
  do {                                                                         \
    char want[64], got[64];                                                    \
    memset(want, 'x', sizeof(want));                                           \
    memset(got, 'x', sizeof(got));                                             \
    snprintf(want, (n), __VA_ARGS__);                                          \
    prop_fmt(got, (n), __VA_ARGS__);                                           \
    assert_memory_equal(want, got, sizeof(want));                              \
  } while (0)

static void prop_fmt_writes_the_bytes_snprintf_writes(void **state)
{
  (void)state;
  for (size_t n = 0; n <= 40; n++) {
    SAME(n, "%s/%s", "default", "web-0");
    SAME(n, "%s-%s-%d", "data", "web", 12);
    SAME(n, "%s-%d", "web", -7);
    SAME(n, "%s-%d", "web", INT_MIN);
    SAME(n, "%s-%d", "web", INT_MAX);
    SAME(n, "%d", 0);
    SAME(n, "Pod/%s, Node/%s, 100%% %s", "web-1", "node-2", "sure");
    SAME(n, "%s@%s", "", "");
    SAME(n, "no conversion at all");
    SAME(n, "other formats: %5.2f %zu %s", 3.14159, (size_t)42, "x");
    SAME(n, "%s then %lld", "ll", 1234567890123LL);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(prop_fmt_writes_the_bytes_snprintf_writes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
