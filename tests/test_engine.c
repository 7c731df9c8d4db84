/*
 * test_engine.c - the event queue: total order (time, phase, insertion),
 * cancellation, the clock, and the trace digest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gsl/gsl_rng.h>

#include "engine.h"
#include "rng.h"

struct log {
  uint64_t order[64];
  simtime at[64];
  int nr;
};

static void record(struct engine *e, uint64_t subject, uint64_t arg, void *ctx)
{
  struct log *l = ctx;

  (void)arg;
  l->at[l->nr] = engine_now(e);
  l->order[l->nr++] = subject;
}

static int setup(void **state)
{
  *state = engine_new(NULL);
  return 0;
}

static int teardown(void **state)
{
  engine_free(*state);
  return 0;
}

static void same_instant_and_phase_runs_fifo(void **state)
{
  struct engine *e = *state;
  struct log log = {0};

  for (uint64_t i = 1; i <= 20; i++)
    engine_schedule(e, 10, PHASE_CONTROLLER, "t", record, i, 0, &log);
  assert_int_equal(engine_run_until(e, 10), 20);
  for (int i = 0; i < 20; i++)
    assert_int_equal(log.order[i], (uint64_t)i + 1);
}

static void earlier_phase_runs_first_at_the_same_instant(void **state)
{
  struct engine *e = *state;
  struct log log = {0};

  engine_schedule(e, 5, PHASE_CHECK, "t", record, 4, 0, &log);
  engine_schedule(e, 5, PHASE_CONTROLLER, "t", record, 3, 0, &log);
  engine_schedule(e, 5, PHASE_NODE, "t", record, 2, 0, &log);
  engine_schedule(e, 5, PHASE_FAULT, "t", record, 1, 0, &log);
  engine_schedule(e, 4, PHASE_CHECK, "t", record, 0, 0, &log);
  engine_run_until(e, 100);
  assert_int_equal(log.nr, 5);
  for (int i = 0; i < 5; i++)
    assert_int_equal(log.order[i], (uint64_t)i);
}

static void scrambled_times_run_in_time_order(void **state)
{
  struct engine *e = *state;
  struct log log = {0};
  static const simtime times[] = {50, 10, 40, 10, 30, 20, 0, 40};

  for (uint64_t i = 0; i < 8; i++)
    engine_schedule(e, times[i], PHASE_NODE, "t", record, i, 0, &log);
  engine_run_until(e, 1000);
  /* time order; ties by insertion: 6(0) 1(10) 3(10) 5(20) 4(30) 2(40)
   * 7(40) 0(50) */
  static const uint64_t want[] = {6, 1, 3, 5, 4, 2, 7, 0};
  for (int i = 0; i < 8; i++) {
    assert_int_equal(log.order[i], want[i]);
    if (i)
      assert_true(log.at[i] >= log.at[i - 1]);
  }
}

static void cancelled_event_never_runs(void **state)
{
  struct engine *e = *state;
  struct log log = {0};

  uint64_t a = engine_schedule(e, 1, PHASE_NODE, "t", record, 1, 0, &log);
  uint64_t b = engine_schedule(e, 2, PHASE_NODE, "t", record, 2, 0, &log);
  engine_schedule(e, 3, PHASE_NODE, "t", record, 3, 0, &log);
  assert_true(engine_cancel(e, b));
  assert_false(engine_cancel(e, b)); /* twice: no-op */
  assert_int_equal(engine_pending(e), 2);
  engine_run_until(e, 10);
  assert_int_equal(log.nr, 2);
  assert_int_equal(log.order[0], 1);
  assert_int_equal(log.order[1], 3);
  assert_false(engine_cancel(e, a)); /* already ran */
}

static void stale_handle_does_not_cancel_a_reused_slot(void **state)
{
  struct engine *e = *state;
  struct log log = {0};

  uint64_t a = engine_schedule(e, 1, PHASE_NODE, "t", record, 1, 0, &log);
  engine_run_until(e, 1);
  /* The slot of a is free now and reused by the next event. */
  engine_schedule(e, 2, PHASE_NODE, "t", record, 2, 0, &log);
  assert_false(engine_cancel(e, a));
  engine_run_until(e, 2);
  assert_int_equal(log.nr, 2);
}

struct chain {
  struct log log;
  uint64_t handle;
};

static void reschedule(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct chain *c = ctx;

  record(e, subject, arg, &c->log);
  if (subject < 5)
    engine_schedule(e, engine_now(e) + 10, PHASE_NODE, "t", reschedule,
                    subject + 1, 0, c);
}

static void handlers_can_schedule_and_the_clock_follows(void **state)
{
  struct engine *e = *state;
  struct chain c = {0};

  engine_schedule(e, 0, PHASE_NODE, "t", reschedule, 1, 0, &c);
  assert_int_equal(engine_run_until(e, 25), 3);
  assert_int_equal(engine_now(e), 25); /* more events pending after 25 */
  engine_run_until(e, SIMTIME_NEVER);
  assert_int_equal(c.log.nr, 5);
  assert_int_equal(c.log.at[4], 40);
  assert_int_equal(engine_next_time(e), SIMTIME_NEVER);
}

static void cancel_in_the_middle_keeps_heap_order(void **state)
{
  struct engine *e = *state;
  struct log log = {0};
  uint64_t h[40];

  /* Pseudo-random times; cancel every third; the rest must come out
   * sorted. */
  for (uint64_t i = 0; i < 40; i++)
    h[i] = engine_schedule(e, (simtime)((i * 37) % 41), PHASE_NODE, "t", record,
                           i, 0, &log);
  for (int i = 0; i < 40; i += 3)
    assert_true(engine_cancel(e, h[i]));
  engine_run_until(e, 1000);
  assert_int_equal(log.nr, 40 - 14);
  for (int i = 1; i < log.nr; i++)
    assert_true(log.at[i] >= log.at[i - 1]);
  for (int i = 0; i < log.nr; i++)
    assert_true(log.order[i] % 3 != 0);
}

static void noop(struct engine *e, uint64_t s, uint64_t a, void *c)
{
  (void)e;
  (void)s;
  (void)a;
  (void)c;
}

static uint64_t digest_of(simtime t2)
{
  struct trace tr;
  trace_init(&tr, NULL);
  struct engine *e = engine_new(&tr);
  engine_schedule(e, 1, PHASE_NODE, "a", noop, 1, 0, NULL);
  engine_schedule(e, t2, PHASE_NODE, "b", noop, 2, 0, NULL);
  engine_run_until(e, 100);
  engine_free(e);
  return tr.digest;
}

static void trace_digest_is_repeatable_and_sensitive(void **state)
{
  (void)state;
  assert_int_equal(digest_of(5), digest_of(5));
  assert_true(digest_of(5) != digest_of(6));
}

static void rng_streams_are_distinct_and_repeatable(void **state)
{
  (void)state;
  unsigned long seen[RNG_STREAM_COUNT];
  for (int id = 1; id < RNG_STREAM_COUNT; id++) {
    seen[id] = rng_stream_seed(42, (enum rng_stream)id, 0);
    assert_true(seen[id] != 0);
    for (int j = 1; j < id; j++)
      assert_true(seen[j] != seen[id]);
  }
  gsl_rng *a = rng_stream_new(7, RNG_NODES, 3);
  gsl_rng *b = rng_stream_new(7, RNG_NODES, 3);
  gsl_rng *c = rng_stream_new(7, RNG_NODES, 4);
  unsigned long va = gsl_rng_get(a);
  assert_int_equal(va, gsl_rng_get(b));
  assert_true(va != gsl_rng_get(c));
  for (int i = 0; i < 1000; i++) {
    int64_t v = rng_range(a, -3, 3);
    assert_true(v >= -3 && v <= 3);
  }
  rng_free(a);
  rng_free(b);
  rng_free(c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(same_instant_and_phase_runs_fifo, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          earlier_phase_runs_first_at_the_same_instant, setup, teardown),
      cmocka_unit_test_setup_teardown(scrambled_times_run_in_time_order, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(cancelled_event_never_runs, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          stale_handle_does_not_cancel_a_reused_slot, setup, teardown),
      cmocka_unit_test_setup_teardown(
          handlers_can_schedule_and_the_clock_follows, setup, teardown),
      cmocka_unit_test_setup_teardown(cancel_in_the_middle_keeps_heap_order,
                                      setup, teardown),
      cmocka_unit_test(trace_digest_is_repeatable_and_sensitive),
      cmocka_unit_test(rng_streams_are_distinct_and_repeatable),
  };

  return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
