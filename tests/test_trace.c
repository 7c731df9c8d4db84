/*
 * test_trace.c - the trace digest's fast paths (trace.h): trace_fold and
 * trace_fold_memo give, bit for bit, FNV-1a 64 byte by byte over (at,
 * phase as int32, seq, kind, subject), the definition of D8.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "trace.h"

/* The definition, byte by byte. */
static uint64_t reference(uint64_t h, simtime at, int phase, uint64_t seq,
                          const char *kind, uint64_t subject)
{
  int32_t ph = phase;

  h = sim_fnv1a(h, &at, sizeof(at));
  h = sim_fnv1a(h, &ph, sizeof(ph));
  h = sim_fnv1a(h, &seq, sizeof(seq));
  if (kind)
    h = sim_fnv1a(h, kind, strlen(kind));
  return sim_fnv1a(h, &subject, sizeof(subject));
}

static const char *const kinds[] = {
    "watch-deliver",
    "kubelet-lease",
    "",
    "x",
    "sts-sync",
    "a kind longer than sixty-four characters, to be folded byte by byte "
    "like any other",
};

static uint64_t next(uint64_t *s)
{
  *s = sim_splitmix64(*s);
  return *s;
}

/* Values of every byte width: 0, small, large, all ones, negative. */
static uint64_t value(uint64_t *s)
{
  uint64_t r = next(s);

  switch (r % 5) {
  case 0:
    return 0;
  case 1:
    return r >> (8 * (next(s) % 8) + 3);
  case 2:
    return UINT64_MAX;
  default:
    return next(s);
  }
}

static void fast_folds_equal_the_bytewise_definition(void **state)
{
  struct trace plain, memo, ref;
  struct trace_memo *m = trace_memo_new();
  uint64_t s = 42;

  (void)state;
  trace_init(&plain, NULL);
  trace_init(&memo, NULL);
  trace_init(&ref, NULL);
  for (int i = 0; i < 200000; i++) {
    simtime at = (simtime)value(&s);
    int phase = (int)(next(&s) % 11) - 1;
    uint64_t seq = value(&s), subject = value(&s);
    const char *kind = next(&s) % 17 ? kinds[next(&s) % 6] : NULL;

    if (next(&s) % 3 == 0) /* also from digests of any low byte */
      plain.digest = memo.digest = ref.digest = next(&s);
    ref.digest = reference(ref.digest, at, phase, seq, kind, subject);
    trace_fold(&plain, at, phase, seq, kind, subject);
    trace_fold_memo(&memo, m, at, phase, seq, kind, subject);
    assert_int_equal(plain.digest, ref.digest);
    assert_int_equal(memo.digest, ref.digest);
  }
  assert_int_equal(memo.events, 200000);
  trace_memo_free(m);
}

static void
a_memo_without_room_for_a_new_kind_folds_it_byte_by_byte(void **state)
{
  static char names[400][16];
  struct trace t, ref;
  struct trace_memo *m = trace_memo_new();

  (void)state;
  trace_init(&t, NULL);
  trace_init(&ref, NULL);
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < 400; i++) {
      snprintf(names[i], sizeof(names[i]), "k%d", i);
      ref.digest = reference(ref.digest, i, 3, (uint64_t)i, names[i], 7);
      trace_fold_memo(&t, m, i, 3, (uint64_t)i, names[i], 7);
      assert_int_equal(t.digest, ref.digest);
    }
  trace_memo_free(m);
  trace_memo_free(NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fast_folds_equal_the_bytewise_definition),
      cmocka_unit_test(
          a_memo_without_room_for_a_new_kind_folds_it_byte_by_byte),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
