/*
 * test_base.c - durations (Go syntax both ways), diagnostics, the arena.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "arena.h"
#include "base.h"

static void go_durations_parse(void **state)
{
  static const struct {
    const char *in;
    simtime want;
  } ok[] = {
      {"0", 0},
      {"0s", 0},
      {"500ms", SIM_MS(500)},
      {"90s", SIM_SEC(90)},
      {"1h30m", SIM_MIN(90)},
      {"1.5s", SIM_MS(1500)},
      {"2h", SIM_MIN(120)},
      {"1m30s", SIM_SEC(90)},
      {"250us", 250},
      {"-5s", -SIM_SEC(5)},
  };
  static const char *const bad[] = {"",   "5",    "5 minutes", "m",
                                    "1x", "1.s5", "--1s",      "1e3s"};

  (void)state;

  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    simtime t = -1;
    assert_int_equal(sim_parse_duration(ok[i].in, &t), 0);
    assert_true(t == ok[i].want);
  }
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    simtime t;
    assert_true(sim_parse_duration(bad[i], &t) < 0);
  }
}

static void durations_format_as_go_does(void **state)
{
  static const struct {
    simtime in;
    const char *want;
  } t[] = {
      {0, "0s"},
      {SIM_MS(250), "250ms"},
      {SIM_MS(1500), "1.5s"},
      {SIM_SEC(90), "1m30s"},
      {SIM_MIN(120) + SIM_SEC(5), "2h0m5s"},
      {SIM_SEC(45), "45s"},
  };
  char buf[32];

  (void)state;
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    sim_format_duration(t[i].in, buf, sizeof(buf));
    assert_string_equal(buf, t[i].want);
  }
}

static void diag_formats_file_line_col(void **state)
{
  struct diag d;
  char buf[256];

  (void)state;
  assert_int_equal(diagf(&d, "x.yaml", 14, 7, SIM_ESCHEMA, "bad '%s'", "k"),
                   SIM_ESCHEMA);
  diag_format(&d, buf, sizeof(buf));
  assert_string_equal(buf, "x.yaml:14:7: bad 'k'");
  diagf(&d, "x.yaml", 0, 0, SIM_EIO, "cannot open");
  diag_format(&d, buf, sizeof(buf));
  assert_string_equal(buf, "x.yaml: cannot open");
}

static void arena_serves_aligned_memory_of_any_size(void **state)
{
  struct arena a;

  (void)state;
  arena_init(&a, 1024);
  for (int i = 1; i < 3000; i += 7) {
    unsigned char *p = arena_alloc(&a, (size_t)i);
    assert_int_equal((uintptr_t)p % 16, 0);
    memset(p, 0xab, (size_t)i);
  }
  char *s = arena_printf(&a, "%s-%d", "web", 12);
  assert_string_equal(s, "web-12");
  char *big = arena_alloc(&a, 100000);
  memset(big, 1, 100000);
  assert_string_equal(arena_strdup(&a, "x"), "x");
  assert_null(arena_strdup(&a, NULL));
  arena_release(&a);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(go_durations_parse),
      cmocka_unit_test(durations_format_as_go_does),
      cmocka_unit_test(diag_formats_file_line_col),
      cmocka_unit_test(arena_serves_aligned_memory_of_any_size),
  };

  return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
