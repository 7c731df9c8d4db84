/*
 * shrink.c - minimising a failing schedule (design.md: "delta debugging
 * over that action list (and its durations), keeping a candidate only if
 * it fails the same property").
 *
 * 1. ddmin (Zeller and Hildebrandt, "Simplifying and Isolating
 *    Failure-Inducing Input", 2002) over the actions: try the empty list,
 *    then each of n chunks alone, then each complement, refining n until
 *    no single action can go. An undo left without its fault (a restart
 *    of a node nobody crashed) is harmless: the world reports it and goes
 *    on, so no pairing is enforced and ddmin stays simple.
 * 2. Durations: the gap between a fault and the action that ends it
 *    (crash/restart, partition/heal, fail/restore-readiness, drain/
 *    uncordon, taint/untaint, a `for`), and the duration of api-errors and
 *    watch-delay, halved (to whole milliseconds) while the failure stays.
 * 3. Length: the run cut to a minute after the (shrunk) failure, with the
 *    actions after that dropped, if it still fails.
 * Every candidate is a full run; the oracle decides. Deterministic: the
 * same failure shrinks to the same file.
 */
#include <string.h>

#include "fuzz_int.h"

struct shrinker {
  fuzz_oracle_fn *oracle;
  void *ctx;
  uint64_t budget, used;
  simtime until, fail_at;
  VEC(struct action) cur;
};

static bool budget_left(const struct shrinker *sh)
{
  return sh->used < sh->budget;
}

static int action_cmp(const struct action *a, const struct action *b)
{
  return a->at < b->at ? -1 : a->at > b->at ? 1 : 0;
}

/* Insertion sort: stable, and candidate lists are short and nearly
 * sorted. */
static void sort_actions(struct action *v, size_t nr)
{
  for (size_t i = 1; i < nr; i++) {
    struct action x = v[i];
    size_t j = i;
    while (j > 0 && action_cmp(&v[j - 1], &x) > 0) {
      v[j] = v[j - 1];
      j--;
    }
    v[j] = x;
  }
}

/* Tries a candidate; on success it becomes the current list. */
static bool try(struct shrinker *sh, const struct action *v, size_t nr,
                simtime until)
{
  simtime at = SIMTIME_NEVER;

  if (!budget_left(sh))
    return false;
  sh->used++;
  if (!sh->oracle(v, nr, until, sh->ctx, &at))
    return false;
  if (v != sh->cur.v) {
    sh->cur.nr = 0;
    VEC_GROW(&sh->cur, nr);
    memcpy(sh->cur.v, v, nr * sizeof(*v));
    sh->cur.nr = nr;
  }
  sh->until = until;
  if (at != SIMTIME_NEVER)
    sh->fail_at = at;
  return true;
}

static void ddmin(struct shrinker *sh)
{
  struct action *cand = NULL;
  size_t n = 2;

  if (sh->cur.nr && try(sh, NULL, 0, sh->until))
    return;
  while (sh->cur.nr >= 2 && budget_left(sh)) {
    size_t len = sh->cur.nr, chunk = (len + n - 1) / n;
    bool reduced = false;

    cand = xrealloc(cand, len * sizeof(*cand));
    /* each chunk alone */
    for (size_t lo = 0; lo < len && !reduced; lo += chunk) {
      size_t hi = lo + chunk < len ? lo + chunk : len;
      memcpy(cand, sh->cur.v + lo, (hi - lo) * sizeof(*cand));
      if (try(sh, cand, hi - lo, sh->until)) {
        reduced = true;
        n = 2;
      }
    }
    /* each complement */
    for (size_t lo = 0; lo < len && !reduced && n > 2; lo += chunk) {
      size_t hi = lo + chunk < len ? lo + chunk : len, k = 0;
      for (size_t i = 0; i < len; i++)
        if (i < lo || i >= hi)
          cand[k++] = sh->cur.v[i];
      if (try(sh, cand, k, sh->until)) {
        reduced = true;
        n = n - 1 > 2 ? n - 1 : 2;
      }
    }
    if (reduced)
      continue;
    if (n >= len)
      break;
    n = 2 * n < len ? 2 * n : len;
  }
  /* With two left, the complements are the chunks: one more round of
   * single removals makes the result 1-minimal. */
  for (size_t i = 0; sh->cur.nr > 1 && i < sh->cur.nr && budget_left(sh);) {
    size_t len = sh->cur.nr, k = 0;
    cand = xrealloc(cand, len * sizeof(*cand));
    for (size_t j = 0; j < len; j++)
      if (j != i)
        cand[k++] = sh->cur.v[j];
    if (!try(sh, cand, k, sh->until))
      i++;
  }
  free(cand);
}

/* The action that ends fault a (same node or pod, later), or -1. */
static long undo_of(const struct action *v, size_t nr, size_t i)
{
  const struct action *a = &v[i];
  enum action_kind undo;
  bool by_pod = false;

  switch (a->kind) {
  case ACTION_CRASH_NODE:
  case ACTION_SHUTDOWN_NODE:
    undo = ACTION_RESTART_NODE;
    break;
  case ACTION_PARTITION_NODE:
    undo = ACTION_HEAL_NODE;
    break;
  case ACTION_DRAIN_NODE:
  case ACTION_CORDON_NODE:
    undo = ACTION_UNCORDON_NODE;
    break;
  case ACTION_TAINT_NODE:
    undo = ACTION_UNTAINT_NODE;
    break;
  case ACTION_FAIL_READINESS:
    undo = ACTION_RESTORE_READINESS;
    by_pod = true;
    break;
  default:
    return -1;
  }
  if (a->at == SIMTIME_NEVER)
    return -1;
  for (size_t j = i + 1; j < nr; j++) {
    const char *x = by_pod ? v[j].pod : v[j].node;
    const char *y = by_pod ? a->pod : a->node;
    if (v[j].kind == undo && v[j].at != SIMTIME_NEVER && x && y &&
        !strcmp(x, y))
      return (long)j;
  }
  return -1;
}

static simtime half_ms(simtime d)
{
  return d / 2 / 1000 * 1000;
}

static void shrink_durations(struct shrinker *sh)
{
  struct action *cand = NULL;

  for (size_t i = 0; i < sh->cur.nr && budget_left(sh); i++) {
    for (;;) {
      size_t len = sh->cur.nr;
      const struct action *a = &sh->cur.v[i];
      long u = undo_of(sh->cur.v, len, i);
      simtime gap;

      cand = xrealloc(cand, len * sizeof(*cand));
      memcpy(cand, sh->cur.v, len * sizeof(*cand));
      if (u >= 0) {
        gap = sh->cur.v[u].at - a->at;
        if (half_ms(gap) < SIM_SEC(1))
          break;
        cand[u].at = a->at + half_ms(gap);
        sort_actions(cand, len);
      } else if (a->duration >= SIM_SEC(2) &&
                 (a->kind == ACTION_API_ERRORS ||
                  a->kind == ACTION_WATCH_DELAY ||
                  a->kind == ACTION_CRASH_NODE ||
                  a->kind == ACTION_PARTITION_NODE)) {
        cand[i].duration = half_ms(a->duration);
      } else {
        break;
      }
      if (!try(sh, cand, len, sh->until))
        break;
      /* the fault stays at i: sorting moved only later actions */
    }
  }
  free(cand);
}

static void shrink_length(struct shrinker *sh)
{
  simtime cut;
  size_t k = 0;

  if (sh->fail_at == SIMTIME_NEVER || !budget_left(sh))
    return;
  cut = (sh->fail_at / SIM_SEC(1) + 1) * SIM_SEC(1) + SIM_MIN(1);
  if (cut >= sh->until)
    return;
  struct action *cand = xmalloc((sh->cur.nr + 1) * sizeof(*cand));
  for (size_t i = 0; i < sh->cur.nr; i++)
    if (sh->cur.v[i].at < cut || sh->cur.v[i].at == SIMTIME_NEVER)
      cand[k++] = sh->cur.v[i];
  try(sh, cand, k, cut);
  free(cand);
}

void fuzz_shrink(struct arena *a, const struct action **actions, size_t *nr,
                 simtime *until, simtime fail_at, uint64_t max_candidates,
                 fuzz_oracle_fn *oracle, void *ctx,
                 struct fuzz_shrink_stats *st)
{
  struct shrinker sh = {
      .oracle = oracle,
      .ctx = ctx,
      .budget = max_candidates,
      .until = *until,
      .fail_at = fail_at,
  };

  st->before = *nr;
  st->until_before = *until;
  VEC_GROW(&sh.cur, *nr + 1);
  memcpy(sh.cur.v, *actions, *nr * sizeof(**actions));
  sh.cur.nr = *nr;
  ddmin(&sh);
  shrink_durations(&sh);
  shrink_length(&sh);
  *actions = arena_memdup(a, sh.cur.v,
                          (sh.cur.nr ? sh.cur.nr : 1) * sizeof(*sh.cur.v));
  *nr = sh.cur.nr;
  *until = sh.until;
  st->after = sh.cur.nr;
  st->until_after = sh.until;
  st->candidates = sh.used;
  free(sh.cur.v);
}

/* --- shrinking a failure into a file -------------------------------------- */

struct oracle_ctx {
  const struct fuzz_shrink_job *job;
};

static bool job_oracle(const struct action *actions, size_t nr, simtime until,
                       void *ctx, simtime *at)
{
  const struct fuzz_shrink_job *job = ((struct oracle_ctx *)ctx)->job;
  struct fuzz_violation v = {.at = SIMTIME_NEVER};
  bool fails =
      fuzz_candidate_fails(job->s, job->mutant, job->properties, job->seed,
                           actions, nr, until, &job->target, &v);

  *at = v.at;
  return fails;
}

struct min_writer {
  const struct fuzz_shrink_job *job;
  const struct action *actions;
  size_t nr;
  simtime until;
  const struct fuzz_failure_info *info;
};

static int write_min(FILE *f, void *ctx)
{
  const struct min_writer *mw = ctx;

  return fuzz_write_scenario(f, mw->job->s, mw->actions, mw->nr, mw->job->seed,
                             mw->until, mw->info);
}

int fuzz_shrink_to_file(const struct fuzz_shrink_job *job,
                        struct fuzz_shrink_stats *st, struct diag *d)
{
  struct arena a;
  struct oracle_ctx oc = {job};
  const struct action *actions = job->actions;
  size_t nr = job->nr;
  simtime until = job->until;
  struct fuzz_violation v = *job->info.v;
  struct fuzz_failure_info info = job->info;
  char note[160];
  int rc;

  arena_init(&a, 16 * 1024);
  fuzz_shrink(&a, &actions, &nr, &until, job->fail_at, job->budget, job_oracle,
              &oc, st);
  /* The shrunk run fails the same property, maybe at another time and
   * with other objects: say what it does. */
  if (job->target.prop >= 0) {
    struct fuzz_violation w = {.at = SIMTIME_NEVER};
    if (fuzz_candidate_fails(job->s, job->mutant, job->properties, job->seed,
                             actions, nr, until, &job->target, &w) &&
        w.at != SIMTIME_NEVER)
      v = w;
  }
  snprintf(note, sizeof(note),
           "shrunk from %zu to %zu actions in %llu runs (delta debugging)",
           st->before, st->after, (unsigned long long)st->candidates);
  info.v = &v;
  info.note = note;
  info.replay = job->out_path;
  struct min_writer mw = {job, actions, nr, until, &info};
  rc = fuzz_write_atomic(job->out_path, write_min, &mw, d);
  arena_release(&a);
  return rc;
}

char *fuzz_min_path(const char *path)
{
  size_t n = strlen(path);
  char *out = xmalloc(n + 16);

  if (n > 5 && !strcmp(path + n - 5, ".yaml"))
    snprintf(out, n + 16, "%.*s.min.yaml", (int)(n - 5), path);
  else if (n > 4 && !strcmp(path + n - 4, ".yml"))
    snprintf(out, n + 16, "%.*s.min.yml", (int)(n - 4), path);
  else
    snprintf(out, n + 16, "%s.min.yaml", path);
  return out;
}
