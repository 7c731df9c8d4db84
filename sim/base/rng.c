/*
 * rng.c - per-component GSL streams (D3) and the few distributions the
 * simulator draws from. GSL's mt19937 keeps only 32 seed bits and maps 0
 * to 4357, so derived seeds are 32-bit and never 0.
 */
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "rng.h"

unsigned long rng_stream_seed(uint64_t master_seed, enum rng_stream id,
                              uint32_t index)
{
  uint64_t s = sim_splitmix64(master_seed ^
                              sim_splitmix64(((uint64_t)id << 32) | index));
  unsigned long seed = (unsigned long)(s & 0xffffffffUL);

  return seed ? seed : 1UL;
}

gsl_rng *rng_stream_new(uint64_t master_seed, enum rng_stream id,
                        uint32_t index)
{
  /* No GSL environment setup here: GSL_RNG_TYPE/GSL_RNG_SEED would
   * become hidden inputs to the run. */
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

  if (!r)
    SIM_BUG("gsl_rng_alloc failed");
  gsl_rng_set(r, rng_stream_seed(master_seed, id, index));
  return r;
}

void rng_free(gsl_rng *r)
{
  if (r)
    gsl_rng_free(r);
}

static void gsl_error_to_bug(const char *reason, const char *file, int line,
                             int gsl_errno)
{
  sim__bug(file, line, "GSL error %d: %s", gsl_errno, reason);
}

void rng_install_error_handler(void)
{
  gsl_set_error_handler(gsl_error_to_bug);
}

int64_t rng_range(gsl_rng *r, int64_t lo, int64_t hi)
{
  SIM_ASSERT(lo <= hi);
  uint64_t span = (uint64_t)hi - (uint64_t)lo;

  if (span == 0)
    return lo;
  if (span < 0xffffffffu)
    return lo + (int64_t)gsl_rng_uniform_int(r, (unsigned long)span + 1);
  /* Wide ranges: combine two 32-bit draws; rejection keeps it uniform. */
  for (;;) {
    uint64_t v = ((uint64_t)gsl_rng_get(r) << 32) | gsl_rng_get(r);
    if (span == UINT64_MAX)
      return (int64_t)((uint64_t)lo + v);
    uint64_t limit = UINT64_MAX - (UINT64_MAX % (span + 1));
    if (v < limit)
      return (int64_t)((uint64_t)lo + v % (span + 1));
  }
}

simtime rng_exponential(gsl_rng *r, simtime mean)
{
  if (mean <= 0)
    return 0;
  return (simtime)llround(gsl_ran_exponential(r, (double)mean));
}

simtime rng_lognormal(gsl_rng *r, simtime median, double spread)
{
  if (median <= 0)
    return 0;
  if (spread <= 1.0)
    return median;
  double v = gsl_ran_lognormal(r, log((double)median), log(spread));
  return (simtime)llround(v);
}
