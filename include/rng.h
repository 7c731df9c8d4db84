/*
 * rng.h - one GSL random stream per component, derived from the run seed
 * (house style D3). Streams are numbered once and never renumbered; a new
 * component appends a number. Per-object streams (one per node) derive from
 * (master, stream, index). Nothing here reads the environment.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "base.h"

enum rng_stream { /* fixed numbers: append, never renumber */
                  RNG_SCHEDULER = 1,
                  RNG_NODES = 2,
                  RNG_STORAGE = 3,
                  RNG_FAULTS = 4,
                  RNG_CONTROLLER = 5,
                  RNG_WORKLOAD = 6,
                  RNG_APISERVER = 7,
                  RNG_FUZZ = 8,
                  RNG_STREAM_COUNT
};

/* The 32-bit, never-zero seed for (master, stream, index). */
unsigned long rng_stream_seed(uint64_t master_seed, enum rng_stream id,
                              uint32_t index);
gsl_rng *rng_stream_new(uint64_t master_seed, enum rng_stream id,
                        uint32_t index);
void rng_free(gsl_rng *r);

/* Installs the GSL error handler that turns GSL errors into SIM_BUG. */
void rng_install_error_handler(void);

/* Uniform integer in [lo, hi] (inclusive). */
int64_t rng_range(gsl_rng *r, int64_t lo, int64_t hi);

/* A duration drawn from an exponential with the given mean (D10). */
simtime rng_exponential(gsl_rng *r, simtime mean);

/*
 * A duration drawn from a lognormal with the given median and a spread
 * factor (the ratio p84/p50); spread <= 1 means exactly the median.
 */
simtime rng_lognormal(gsl_rng *r, simtime median, double spread);

#endif
