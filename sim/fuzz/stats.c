/*
 * stats.c - recovery statistics and the campaign summary they live in.
 *
 * Percentiles must come out the same whether a campaign ran in one piece
 * or in shards merged afterwards, and memory must not grow with the number
 * of runs; so samples go into fine log-linear buckets (exact below 64 ms,
 * then 64 buckets per power of two: a percentile is the upper bound of its
 * bucket, within 1.6% of the true value, never above the exact maximum),
 * which add up exactly across shards. The mean comes from the exact sum.
 * The display histogram is GSL's (gsl_histogram with uneven ranges,
 * seconds), kept as bin counts, which add up too.
 */
#include <gsl/gsl_histogram.h>
#include <math.h>
#include <string.h>

#include "fuzz_int.h"
#include "props.h"

const int64_t fuzz__hist_bounds_s[FUZZ_HIST_BINS] = {
    10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, INT64_MAX,
};

int64_t fuzz_hist_bound_ms(size_t i)
{
  int64_t s = fuzz__hist_bounds_s[i];

  return s == INT64_MAX ? INT64_MAX : s * 1000;
}

static size_t bucket_of(uint64_t ms)
{
  if (ms < 64)
    return (size_t)ms;
  int e = 63 - __builtin_clzll(ms); /* >= 6 */
  size_t sub = (size_t)(ms >> (e - 6)) & 63;
  size_t b = 64 + (size_t)(e - 6) * 64 + sub;
  return b < FUZZ_BUCKETS ? b : FUZZ_BUCKETS - 1;
}

static uint64_t bucket_upper(size_t b)
{
  if (b < 64)
    return b;
  size_t e = (b - 64) / 64 + 6, sub = (b - 64) % 64;
  return ((uint64_t)(64 + sub + 1) << (e - 6)) - 1;
}

static gsl_histogram *hist_new(void)
{
  double ranges[FUZZ_HIST_BINS + 1];
  gsl_histogram *h = gsl_histogram_alloc(FUZZ_HIST_BINS);

  if (!h)
    SIM_BUG("gsl_histogram_alloc failed");
  ranges[0] = 0;
  for (size_t i = 0; i < FUZZ_HIST_BINS; i++)
    ranges[i + 1] = fuzz__hist_bounds_s[i] == INT64_MAX
                        ? HUGE_VAL
                        : (double)fuzz__hist_bounds_s[i];
  gsl_histogram_set_ranges(h, ranges, FUZZ_HIST_BINS + 1);
  return h;
}

uint64_t fuzz_stats_hist(const struct fuzz_kind_stats *st, size_t i)
{
  return st->hist ? (uint64_t)gsl_histogram_get(st->hist, i) : 0;
}

void fuzz_stats_hist_add(struct fuzz_kind_stats *st, size_t i, uint64_t n)
{
  if (!n)
    return;
  if (!st->hist)
    st->hist = hist_new();
  /* The bin's lower bound falls in the bin. */
  gsl_histogram_accumulate(st->hist, i ? (double)fuzz__hist_bounds_s[i - 1] : 0,
                           (double)n);
}

void fuzz_stats_add(struct fuzz_kind_stats *st, int64_t ms)
{
  uint64_t v = ms < 0 ? 0 : (uint64_t)ms;

  if (!st->buckets)
    st->buckets = xcalloc(FUZZ_BUCKETS, sizeof(*st->buckets));
  st->buckets[bucket_of(v)]++;
  if (!st->hist)
    st->hist = hist_new();
  gsl_histogram_increment(st->hist, (double)v / 1000.0);
  st->recovered++;
  st->sum_ms += v;
  if (v > st->max_ms)
    st->max_ms = v;
}

int64_t fuzz_stats_percentile(const struct fuzz_kind_stats *st, double p)
{
  if (!st->recovered || !st->buckets)
    return 0;
  uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)st->recovered);
  uint64_t seen = 0;

  if (rank < 1)
    rank = 1;
  for (size_t b = 0; b < FUZZ_BUCKETS; b++) {
    seen += st->buckets[b];
    if (seen >= rank) {
      uint64_t v = bucket_upper(b);
      return (int64_t)(v < st->max_ms ? v : st->max_ms);
    }
  }
  return (int64_t)st->max_ms;
}

void fuzz_stats_merge(struct fuzz_kind_stats *into,
                      const struct fuzz_kind_stats *from)
{
  into->faults += from->faults;
  into->recovered += from->recovered;
  into->undisrupted += from->undisrupted;
  into->not_recovered += from->not_recovered;
  into->sum_ms += from->sum_ms;
  if (from->max_ms > into->max_ms)
    into->max_ms = from->max_ms;
  if (from->hist) {
    if (!into->hist)
      into->hist = hist_new();
    gsl_histogram_add(into->hist, from->hist);
  }
  if (from->buckets) {
    if (!into->buckets)
      into->buckets = xcalloc(FUZZ_BUCKETS, sizeof(*into->buckets));
    for (size_t i = 0; i < FUZZ_BUCKETS; i++)
      into->buckets[i] += from->buckets[i];
  }
}

void fuzz_stats_release(struct fuzz_kind_stats *st)
{
  free(st->buckets);
  if (st->hist)
    gsl_histogram_free(st->hist);
  memset(st, 0, sizeof(*st));
}

/* --- the summary ---------------------------------------------------------- */

void fuzz_summary_init(struct fuzz_summary *sum)
{
  size_t nr;
  const struct property_info *reg = props_registry(&nr);

  memset(sum, 0, sizeof(*sum));
  sum->shard_n = 1;
  sum->until = SIMTIME_NEVER;
  /* Every implemented property, in registry order: the same list in
   * every shard, so summaries line up for merge. */
  for (size_t i = 0; i < nr && i < FUZZ_MAX_PROPS; i++) {
    if (!reg[i].impl)
      continue;
    snprintf(sum->prop_name[sum->props_nr++], sizeof(sum->prop_name[0]), "%s",
             reg[i].name);
  }
}

void fuzz_summary_release(struct fuzz_summary *sum)
{
  for (size_t i = 0; i < ACTION_COUNT; i++)
    fuzz_stats_release(&sum->kinds[i]);
  free(sum->kept.v);
  memset(sum, 0, sizeof(*sum));
}

static int summary_prop(const struct fuzz_summary *sum, const char *name)
{
  for (size_t i = 0; i < sum->props_nr; i++)
    if (!strcmp(sum->prop_name[i], name))
      return (int)i;
  return -1;
}

void fuzz_summary_add(struct fuzz_summary *sum, const struct fuzz_outcome *o)
{
  size_t nr;
  const struct property_info *reg = props_registry(&nr);

  sum->runs++;
  sum->events += o->events;
  for (size_t i = 0; i < nr && i < FUZZ_MAX_PROPS; i++) {
    int k;
    if (!(o->checked >> i & 1) || (k = summary_prop(sum, reg[i].name)) < 0)
      continue;
    sum->checked[k]++;
    sum->violated[k] += o->violated >> i & 1;
    sum->hazards[k] += o->hazards >> i & 1;
  }
  for (size_t k = 0; k < ACTION_COUNT; k++)
    sum->kinds[k].faults += o->faults[k];
  for (size_t i = 0; i < o->samples.nr; i++) {
    const struct fuzz_sample *smp = &o->samples.v[i];
    struct fuzz_kind_stats *st = &sum->kinds[smp->kind];
    if (smp->outcome == FUZZ_RECOVERED)
      fuzz_stats_add(st, smp->ms);
    else if (smp->outcome == FUZZ_UNDISRUPTED)
      st->undisrupted++;
    else
      st->not_recovered++;
  }
  if (o->status == FUZZ_PASS)
    return;
  sum->failures++;
  sum->crashes += o->status == FUZZ_CRASH;
  if (sum->kept.nr < FUZZ_KEEP_FAILURES) {
    struct fuzz_failure f = {
        .index = o->index,
        .seed = o->seed,
        .status = o->status,
        .v = o->first,
    };
    VEC_PUSH(&sum->kept, f);
  }
}

bool fuzz_summary_passed(const struct fuzz_summary *sum)
{
  return sum->failures == 0;
}
