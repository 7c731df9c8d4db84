/*
 * summary.c - a campaign's summary out and in: the JSON of interface.md
 * section 4 (written and read with jansson), merging shard summaries into
 * what one campaign would have written, the text report and JUnit XML.
 *
 * The JSON depends only on the campaign (scenario bytes, master seed,
 * runs, shard, mutant, binary) except for wallSeconds and runsPerSecond:
 * the same campaign run with any -j, or as shards merged, gives the same
 * bytes apart from those two. A sharded summary says which shards it
 * covers; once merge has every shard the field goes, as in one campaign.
 * Seeds are decimal strings (JSON numbers stop being exact at 2^53).
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_int.h"
#include "props.h"

#define FORMAT "stsim-fuzz-summary/1"

static json_t *u64_str(uint64_t v)
{
  char buf[24];

  snprintf(buf, sizeof(buf), "%" PRIu64, v);
  return json_string(buf);
}

static json_t *num(uint64_t v)
{
  return json_integer((json_int_t)v);
}

static const char *status_name(enum fuzz_status s)
{
  return s == FUZZ_CRASH ? "crash" : s == FUZZ_FAIL ? "fail" : "pass";
}

static const char *prop_name(int prop)
{
  size_t nr;
  const struct property_info *reg = props_registry(&nr);

  return prop >= 0 && (size_t)prop < nr ? reg[prop].name : "internal-error";
}

static json_t *kind_json(const struct fuzz_kind_stats *st)
{
  json_t *o = json_object(), *hist = json_array();

  json_object_set_new(o, "faults", num(st->faults));
  json_object_set_new(o, "recovered", num(st->recovered));
  json_object_set_new(o, "undisrupted", num(st->undisrupted));
  json_object_set_new(o, "notRecovered", num(st->not_recovered));
  json_object_set_new(o, "meanMs",
                      num(st->recovered
                              ? (st->sum_ms + st->recovered / 2) / st->recovered
                              : 0));
  json_object_set_new(o, "p50Ms", num((uint64_t)fuzz_stats_percentile(st, 50)));
  json_object_set_new(o, "p90Ms", num((uint64_t)fuzz_stats_percentile(st, 90)));
  json_object_set_new(o, "p99Ms", num((uint64_t)fuzz_stats_percentile(st, 99)));
  json_object_set_new(o, "maxMs", num(st->max_ms));
  for (size_t i = 0; i < FUZZ_HIST_BINS; i++) {
    json_t *bin = json_object();
    int64_t ub = fuzz_hist_bound_ms(i);
    json_object_set_new(bin, "upToMs",
                        ub == INT64_MAX ? json_null() : num((uint64_t)ub));
    json_object_set_new(bin, "count", num(fuzz_stats_hist(st, i)));
    json_array_append_new(hist, bin);
  }
  json_object_set_new(o, "histogram", hist);
  /* What merge needs to recompute the percentiles exactly: the fine
   * buckets as "bucket:count" pairs (a string keeps the file short). */
  json_object_set_new(o, "sumMs", num(st->sum_ms));
  size_t used = 0, cap = 64;
  char *b = xmalloc(cap);
  b[0] = '\0';
  for (size_t i = 0; st->buckets && i < FUZZ_BUCKETS; i++) {
    if (!st->buckets[i])
      continue;
    if (cap - used < 48)
      b = xrealloc(b, cap *= 2);
    used += (size_t)snprintf(b + used, cap - used, "%s%zu:%" PRIu64,
                             used ? " " : "", i, st->buckets[i]);
  }
  json_object_set_new(o, "buckets", json_string(b));
  free(b);
  return o;
}

static json_t *failure_json(const struct fuzz_failure *f)
{
  json_t *o = json_object();

  json_object_set_new(o, "run", num(f->index));
  json_object_set_new(o, "seed", u64_str(f->seed));
  json_object_set_new(o, "status", json_string(status_name(f->status)));
  json_object_set_new(o, "property", json_string(prop_name(f->v.prop)));
  json_object_set_new(
      o, "timeMs",
      f->v.at == SIMTIME_NEVER ? json_null() : num((uint64_t)(f->v.at / 1000)));
  json_object_set_new(o, "timeUs",
                      f->v.at == SIMTIME_NEVER ? json_null()
                                               : num((uint64_t)f->v.at));
  json_object_set_new(o, "code", json_integer(f->v.code));
  json_object_set_new(o, "message", json_string(f->v.message));
  json_object_set_new(o, "objects", json_string(f->v.objects));
  json_object_set_new(o, "file",
                      f->file[0] ? json_string(f->file) : json_null());
  json_object_set_new(o, "actions", num(f->actions));
  json_object_set_new(o, "minFile",
                      f->min_file[0] ? json_string(f->min_file) : json_null());
  json_object_set_new(o, "minActions", num(f->min_actions));
  json_object_set_new(o, "variant",
                      f->variant[0] ? json_string(f->variant) : json_null());
  return o;
}

int fuzz_summary_write_json(FILE *f, const struct fuzz_summary *sum)
{
  json_t *o = json_object(), *props = json_object(), *seeds = json_array();
  json_t *kept = json_array(), *rec = json_object();
  char digest[24];
  int rc;

  json_object_set_new(o, "format", json_string(FORMAT));
  json_object_set_new(o, "scenario", json_string(sum->scenario));
  snprintf(digest, sizeof(digest), "%016" PRIx64, sum->input_digest);
  json_object_set_new(o, "inputDigest", json_string(digest));
  json_object_set_new(o, "masterSeed", u64_str(sum->master_seed));
  json_object_set_new(o, "runsPlanned", num(sum->runs_planned));
  json_object_set_new(o, "untilMs", num((uint64_t)(sum->until / 1000)));
  json_object_set_new(o, "mutant",
                      sum->mutant[0] ? json_string(sum->mutant) : json_null());
  if (sum->shard_n > 1 && sum->shards_nr < sum->shard_n) {
    json_t *sh = json_object(), *cov = json_array();
    json_object_set_new(sh, "count", json_integer(sum->shard_n));
    for (size_t i = 0; i < sum->shards_nr; i++)
      json_array_append_new(cov, json_integer(sum->shard_k[i]));
    json_object_set_new(sh, "covered", cov);
    json_object_set_new(o, "shard", sh);
  }
  json_object_set_new(o, "verdict",
                      json_string(fuzz_summary_passed(sum) ? "pass" : "fail"));
  json_object_set_new(o, "runs", num(sum->runs));
  json_object_set_new(o, "failures", num(sum->failures));
  json_object_set_new(o, "crashes", num(sum->crashes));
  json_object_set_new(o, "stopped", json_boolean(sum->stopped));
  json_object_set_new(o, "interrupted", json_boolean(sum->interrupted));
  for (size_t i = 0; i < sum->props_nr; i++)
    json_object_set_new(props, sum->prop_name[i],
                        json_pack("{s:I,s:I,s:I}", "checked",
                                  (json_int_t)sum->checked[i], "violated",
                                  (json_int_t)sum->violated[i], "hazards",
                                  (json_int_t)sum->hazards[i]));
  json_object_set_new(o, "properties", props);
  for (size_t i = 0; i < sum->kept.nr; i++) {
    json_array_append_new(seeds, u64_str(sum->kept.v[i].seed));
    json_array_append_new(kept, failure_json(&sum->kept.v[i]));
  }
  json_object_set_new(o, "seeds", seeds);
  json_object_set_new(o, "failuresKept", kept);
  json_object_set_new(o, "events", num(sum->events));
  for (size_t k = 0; k < ACTION_COUNT; k++)
    if (sum->kinds[k].faults)
      json_object_set_new(rec, action_name((enum action_kind)k),
                          kind_json(&sum->kinds[k]));
  json_object_set_new(o, "recovery", rec);
  json_object_set_new(o, "wallSeconds",
                      json_real(round(sum->wall_seconds * 1000) / 1000));
  json_object_set_new(
      o, "runsPerSecond",
      json_real(sum->wall_seconds > 0
                    ? round((double)sum->runs / sum->wall_seconds * 10) / 10
                    : 0));
  rc = json_dumpf(o, f, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
  fputc('\n', f);
  json_decref(o);
  return rc || ferror(f) ? SIM_EIO : 0;
}

/* --- reading -------------------------------------------------------------- */

struct reader {
  const char *path;
  struct diag *d;
  int rc;
};

/* Records the first problem: "what" is a complete message. */
static int bad(struct reader *r, const char *what, const char *key)
{
  if (!r->rc)
    r->rc = diagf(r->d, r->path, 0, 0, SIM_ESCHEMA, "%s: %s", key, what);
  return r->rc;
}

static uint64_t get_u64(struct reader *r, json_t *o, const char *key)
{
  json_t *v = json_object_get(o, key);
  char *end;

  if (json_is_integer(v) && json_integer_value(v) >= 0)
    return (uint64_t)json_integer_value(v);
  if (json_is_string(v)) {
    uint64_t x = strtoull(json_string_value(v), &end, 10);
    if (!*end && *json_string_value(v))
      return x;
  }
  bad(r, "expected a non-negative integer", key);
  return 0;
}

static const char *get_str(struct reader *r, json_t *o, const char *key)
{
  json_t *v = json_object_get(o, key);

  if (json_is_string(v))
    return json_string_value(v);
  if (!json_is_null(v))
    bad(r, "expected a string", key);
  return "";
}

static void read_kind(struct reader *r, json_t *o, struct fuzz_kind_stats *st)
{
  json_t *hist = json_object_get(o, "histogram");
  json_t *b = json_object_get(o, "buckets");
  size_t i;
  json_t *v;

  st->faults = get_u64(r, o, "faults");
  st->recovered = get_u64(r, o, "recovered");
  st->undisrupted = get_u64(r, o, "undisrupted");
  st->not_recovered = get_u64(r, o, "notRecovered");
  st->sum_ms = get_u64(r, o, "sumMs");
  st->max_ms = get_u64(r, o, "maxMs");
  if (!json_is_array(hist) || json_array_size(hist) != FUZZ_HIST_BINS ||
      !json_is_string(b)) {
    bad(r, "histogram or buckets missing", "recovery");
    return;
  }
  json_array_foreach(hist, i, v)
      fuzz_stats_hist_add(st, i, get_u64(r, v, "count"));
  for (const char *p = json_string_value(b); *p;) {
    char *end;
    unsigned long long bi = strtoull(p, &end, 10), n;
    if (end == p || *end != ':' || bi >= FUZZ_BUCKETS) {
      bad(r, "a bad bucket", "recovery");
      return;
    }
    p = end + 1;
    n = strtoull(p, &end, 10);
    if (end == p || (*end && *end != ' ')) {
      bad(r, "a bad bucket", "recovery");
      return;
    }
    p = *end ? end + 1 : end;
    if (!st->buckets)
      st->buckets = xcalloc(FUZZ_BUCKETS, sizeof(*st->buckets));
    st->buckets[bi] += n;
  }
}

static int prop_index(const char *name)
{
  size_t nr;
  const struct property_info *reg = props_registry(&nr);

  for (size_t i = 0; i < nr; i++)
    if (!strcmp(reg[i].name, name))
      return (int)i;
  return -1;
}

static void read_failure(struct reader *r, json_t *o, struct fuzz_failure *f)
{
  const char *st = get_str(r, o, "status");
  json_t *t = json_object_get(o, "timeUs");

  f->index = get_u64(r, o, "run");
  f->seed = get_u64(r, o, "seed");
  f->status = !strcmp(st, "crash") ? FUZZ_CRASH : FUZZ_FAIL;
  f->v.prop = prop_index(get_str(r, o, "property"));
  f->v.at = json_is_integer(t) ? (simtime)json_integer_value(t) : SIMTIME_NEVER;
  f->v.code = (int)json_integer_value(json_object_get(o, "code"));
  snprintf(f->v.message, sizeof(f->v.message), "%s", get_str(r, o, "message"));
  snprintf(f->v.objects, sizeof(f->v.objects), "%s", get_str(r, o, "objects"));
  snprintf(f->file, sizeof(f->file), "%s", get_str(r, o, "file"));
  snprintf(f->min_file, sizeof(f->min_file), "%s", get_str(r, o, "minFile"));
  f->actions = get_u64(r, o, "actions");
  f->min_actions = get_u64(r, o, "minActions");
  /* absent in summaries written before spec.fuzz.vary */
  if (json_object_get(o, "variant"))
    snprintf(f->variant, sizeof(f->variant), "%s", get_str(r, o, "variant"));
}

int fuzz_summary_read_json(const char *path, struct fuzz_summary *sum,
                           struct diag *d)
{
  struct reader r = {path, d, 0};
  json_error_t err;
  json_t *o = json_load_file(path, 0, &err), *v, *x;
  const char *key;
  size_t i;

  fuzz_summary_init(sum);
  if (!o)
    return diagf(d, path, err.line, err.column, SIM_EPARSE, "%s", err.text);
  if (!json_is_object(o) || strcmp(get_str(&r, o, "format"), FORMAT)) {
    json_decref(o);
    return diagf(d, path, 0, 0, SIM_ESCHEMA,
                 "not a stsim fuzz summary (format " FORMAT ")");
  }
  snprintf(sum->scenario, sizeof(sum->scenario), "%s",
           get_str(&r, o, "scenario"));
  sum->input_digest = strtoull(get_str(&r, o, "inputDigest"), NULL, 16);
  sum->master_seed = get_u64(&r, o, "masterSeed");
  sum->runs_planned = get_u64(&r, o, "runsPlanned");
  sum->until = (simtime)get_u64(&r, o, "untilMs") * 1000;
  snprintf(sum->mutant, sizeof(sum->mutant), "%s", get_str(&r, o, "mutant"));
  if ((v = json_object_get(o, "shard"))) {
    sum->shard_n = (uint32_t)get_u64(&r, v, "count");
    x = json_object_get(v, "covered");
    json_array_foreach(x, i, v) if (sum->shards_nr < 64)
        sum->shard_k[sum->shards_nr++] = (uint32_t)json_integer_value(v);
  }
  sum->runs = get_u64(&r, o, "runs");
  sum->failures = get_u64(&r, o, "failures");
  sum->crashes = get_u64(&r, o, "crashes");
  sum->stopped = json_is_true(json_object_get(o, "stopped"));
  sum->interrupted = json_is_true(json_object_get(o, "interrupted"));
  sum->events = get_u64(&r, o, "events");
  x = json_object_get(o, "properties");
  json_object_foreach(x, key, v)
  {
    int k = -1;
    for (size_t j = 0; j < sum->props_nr; j++)
      if (!strcmp(sum->prop_name[j], key))
        k = (int)j;
    if (k < 0 && sum->props_nr < FUZZ_MAX_PROPS) {
      k = (int)sum->props_nr++;
      snprintf(sum->prop_name[k], sizeof(sum->prop_name[k]), "%s", key);
    }
    if (k >= 0) {
      sum->checked[k] = get_u64(&r, v, "checked");
      sum->violated[k] = get_u64(&r, v, "violated");
      /* absent in summaries written before hazards were counted */
      if (json_object_get(v, "hazards"))
        sum->hazards[k] = get_u64(&r, v, "hazards");
    }
  }
  x = json_object_get(o, "failuresKept");
  json_array_foreach(x, i, v)
  {
    struct fuzz_failure f = {0};
    read_failure(&r, v, &f);
    VEC_PUSH(&sum->kept, f);
  }
  x = json_object_get(o, "recovery");
  json_object_foreach(x, key, v)
  {
    int k = action_lookup(key);
    if (k < 0) {
      bad(&r, "unknown fault kind", key);
      break;
    }
    read_kind(&r, v, &sum->kinds[k]);
  }
  sum->wall_seconds = json_number_value(json_object_get(o, "wallSeconds"));
  json_decref(o);
  if (r.rc)
    fuzz_summary_release(sum);
  return r.rc;
}

/* --- merging -------------------------------------------------------------- */

int fuzz_summary_merge(struct fuzz_summary *into,
                       const struct fuzz_summary *from, struct diag *d)
{
  if (strcmp(into->scenario, from->scenario) ||
      into->input_digest != from->input_digest ||
      into->master_seed != from->master_seed ||
      into->runs_planned != from->runs_planned || into->until != from->until ||
      strcmp(into->mutant, from->mutant) || into->shard_n != from->shard_n)
    return diagf(d, "", 0, 0, SIM_ESCHEMA,
                 "not shards of one campaign (scenario, its bytes, master "
                 "seed, runs, until, mutant and shard count must agree)");
  if (into->shard_n == 1)
    return diagf(d, "", 0, 0, SIM_ESCHEMA,
                 "a campaign that was not sharded cannot be merged");
  for (size_t i = 0; i < from->shards_nr; i++)
    for (size_t j = 0; j < into->shards_nr; j++)
      if (from->shard_k[i] == into->shard_k[j])
        return diagf(d, "", 0, 0, SIM_ESCHEMA, "shard %u/%u given twice",
                     from->shard_k[i], from->shard_n);
  for (size_t i = 0; i < from->shards_nr && into->shards_nr < 64; i++)
    into->shard_k[into->shards_nr++] = from->shard_k[i];
  for (size_t i = 1; i < into->shards_nr; i++) /* insertion sort */
    for (size_t j = i; j > 0 && into->shard_k[j - 1] > into->shard_k[j]; j--) {
      uint32_t t = into->shard_k[j];
      into->shard_k[j] = into->shard_k[j - 1];
      into->shard_k[j - 1] = t;
    }
  into->runs += from->runs;
  into->failures += from->failures;
  into->crashes += from->crashes;
  into->stopped |= from->stopped;
  into->interrupted |= from->interrupted;
  into->events += from->events;
  for (size_t i = 0; i < from->props_nr; i++) {
    size_t k;
    for (k = 0; k < into->props_nr; k++)
      if (!strcmp(into->prop_name[k], from->prop_name[i]))
        break;
    if (k == into->props_nr) {
      if (k == FUZZ_MAX_PROPS)
        continue;
      memcpy(into->prop_name[k], from->prop_name[i],
             sizeof(into->prop_name[k]));
      into->props_nr++;
    }
    into->checked[k] += from->checked[i];
    into->violated[k] += from->violated[i];
    into->hazards[k] += from->hazards[i];
  }
  for (size_t k = 0; k < ACTION_COUNT; k++)
    fuzz_stats_merge(&into->kinds[k], &from->kinds[k]);
  /* The first FUZZ_KEEP_FAILURES by run index of the union: each shard
   * kept its own first ones, so the union holds the campaign's. */
  struct fuzz_failure *v =
      xmalloc((into->kept.nr + from->kept.nr + 1) * sizeof(*v));
  size_t a = 0, b = 0, n = 0;
  while (a < into->kept.nr || b < from->kept.nr) {
    if (b == from->kept.nr ||
        (a < into->kept.nr && into->kept.v[a].index < from->kept.v[b].index))
      v[n++] = into->kept.v[a++];
    else
      v[n++] = from->kept.v[b++];
  }
  free(into->kept.v);
  into->kept.v = v;
  into->kept.nr = n < FUZZ_KEEP_FAILURES ? n : FUZZ_KEEP_FAILURES;
  into->kept.alloc = into->kept.nr + from->kept.nr + 1;
  if (from->wall_seconds > into->wall_seconds)
    into->wall_seconds = from->wall_seconds;
  return 0;
}

/* --- text ----------------------------------------------------------------- */

static void fmt_ms(uint64_t ms, char *buf, size_t n)
{
  sim_format_duration((simtime)ms * 1000, buf, n);
}

static void replay_line(FILE *f, const char *file, const char *mutant)
{
  fprintf(f, "stsim run %s%s%s", file, mutant[0] ? " --mutant " : "", mutant);
}

void fuzz_summary_write_text(FILE *f, const struct fuzz_summary *sum)
{
  char until[32], buf[6][32];

  sim_format_duration(sum->until, until, sizeof(until));
  fprintf(f, "stsim fuzz %s: %" PRIu64 " run%s of %s, master seed %" PRIu64,
          sum->scenario, sum->runs, sum->runs == 1 ? "" : "s", until,
          sum->master_seed);
  if (sum->shard_n > 1 && sum->shards_nr < sum->shard_n) {
    fprintf(f, ", shard%s", sum->shards_nr == 1 ? "" : "s");
    for (size_t i = 0; i < sum->shards_nr; i++)
      fprintf(f, "%s%u", i ? "," : " ", sum->shard_k[i]);
    fprintf(f, " of %u", sum->shard_n);
  }
  if (sum->mutant[0])
    fprintf(f, ", mutant %s", sum->mutant);
  fprintf(f, ": %" PRIu64 " failed", sum->failures);
  if (sum->crashes)
    fprintf(f, " (%" PRIu64 " crashed stsim)", sum->crashes);
  if (sum->wall_seconds > 0)
    fprintf(f, "  [%.1f s, %.0f runs/s]", sum->wall_seconds,
            (double)sum->runs / sum->wall_seconds);
  fputs("\n\nPROPERTIES\n", f);
  for (size_t i = 0; i < sum->props_nr; i++) {
    if (!sum->checked[i])
      continue;
    fprintf(f, "  %s  %-24s %" PRIu64 " run%s",
            sum->violated[i] ? "FAIL" : "PASS", sum->prop_name[i],
            sum->checked[i], sum->checked[i] == 1 ? "" : "s");
    if (sum->violated[i])
      fprintf(f, ", violated in %" PRIu64, sum->violated[i]);
    if (sum->hazards[i])
      fprintf(f, ", a hazard in %" PRIu64, sum->hazards[i]);
    fputc('\n', f);
  }
  bool any = false;
  for (size_t k = 0; k < ACTION_COUNT; k++)
    any |= sum->kinds[k].faults > 0;
  if (any) {
    fputs("\nRECOVERY (virtual time from a fault until every replica is Ready "
          "again)\n",
          f);
    fprintf(f, "  %-19s %7s %9s %11s %7s %8s %8s %8s %8s %8s\n", "fault",
            "faults", "recovered", "undisrupted", "stuck", "mean", "p50", "p90",
            "p99", "max");
  }
  for (size_t k = 0; k < ACTION_COUNT; k++) {
    const struct fuzz_kind_stats *st = &sum->kinds[k];
    if (!st->faults)
      continue;
    fmt_ms(st->recovered ? (st->sum_ms + st->recovered / 2) / st->recovered : 0,
           buf[0], sizeof(buf[0]));
    fmt_ms((uint64_t)fuzz_stats_percentile(st, 50), buf[1], sizeof(buf[1]));
    fmt_ms((uint64_t)fuzz_stats_percentile(st, 90), buf[2], sizeof(buf[2]));
    fmt_ms((uint64_t)fuzz_stats_percentile(st, 99), buf[3], sizeof(buf[3]));
    fmt_ms(st->max_ms, buf[4], sizeof(buf[4]));
    fprintf(f,
            "  %-19s %7" PRIu64 " %9" PRIu64 " %11" PRIu64 " %7" PRIu64
            " %8s %8s %8s %8s %8s\n",
            action_name((enum action_kind)k), st->faults, st->recovered,
            st->undisrupted, st->not_recovered, buf[0], buf[1], buf[2], buf[3],
            buf[4]);
    if (!st->recovered)
      continue;
    fputs("      histogram:", f);
    for (size_t i = 0; i < FUZZ_HIST_BINS; i++) {
      uint64_t n = fuzz_stats_hist(st, i);
      int64_t ub = fuzz_hist_bound_ms(i);
      if (!n)
        continue;
      if (ub == INT64_MAX) {
        fmt_ms((uint64_t)fuzz_hist_bound_ms(i - 1), buf[5], sizeof(buf[5]));
        fprintf(f, " >=%s:%" PRIu64, buf[5], n);
      } else {
        fmt_ms((uint64_t)ub, buf[5], sizeof(buf[5]));
        fprintf(f, " <%s:%" PRIu64, buf[5], n);
      }
    }
    fputc('\n', f);
  }
  if (sum->kept.nr)
    fputs("\nFAILURES\n", f);
  for (size_t i = 0; i < sum->kept.nr; i++) {
    const struct fuzz_failure *x = &sum->kept.v[i];
    char at[32] = "?";
    if (x->v.at != SIMTIME_NEVER)
      sim_format_duration(x->v.at, at, sizeof(at));
    if (x->status == FUZZ_CRASH)
      fprintf(f, "  run %" PRIu64 ", seed %" PRIu64 ": stsim crashed: %s\n",
              x->index, x->seed, x->v.message);
    else
      fprintf(f, "  run %" PRIu64 ", seed %" PRIu64 ": %s at %s: %s\n",
              x->index, x->seed, prop_name(x->v.prop), at, x->v.message);
    if (x->variant[0])
      fprintf(f, "    configuration: %s\n", x->variant);
    if (x->file[0]) {
      fputs("    replay: ", f);
      replay_line(f, x->file, sum->mutant);
      fputc('\n', f);
    }
    if (x->min_file[0])
      fprintf(f, "    shrunk: %s (%zu of %zu actions)\n", x->min_file,
              x->min_actions, x->actions);
  }
  if (sum->failures > sum->kept.nr)
    fprintf(f, "  ... and %" PRIu64 " more\n", sum->failures - sum->kept.nr);
  fprintf(f, "\nRESULT: %s", fuzz_summary_passed(sum) ? "pass" : "fail");
  if (sum->stopped)
    fputs(" (stopped at --max-failures)", f);
  if (sum->interrupted)
    fprintf(f, " (interrupted after %" PRIu64 " runs)", sum->runs);
  fputc('\n', f);
}

/* --- JUnit ---------------------------------------------------------------- */

static void xml(FILE *f, const char *s)
{
  for (; s && *s; s++) {
    switch (*s) {
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '&':
      fputs("&amp;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    default:
      if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
        fputc(*s, f);
    }
  }
}

static void junit_details(FILE *f, const struct fuzz_summary *sum, int prop)
{
  for (size_t i = 0; i < sum->kept.nr; i++) {
    const struct fuzz_failure *x = &sum->kept.v[i];
    char at[32] = "?", line[900];
    if (x->v.prop != prop)
      continue;
    if (x->v.at != SIMTIME_NEVER)
      sim_format_duration(x->v.at, at, sizeof(at));
    snprintf(line, sizeof(line),
             "run %" PRIu64 ", seed %" PRIu64 ", at %s: %s\n", x->index,
             x->seed, at, x->v.message);
    xml(f, line);
    if (x->file[0]) {
      snprintf(line, sizeof(line), "  replay: stsim run %s%s%s\n", x->file,
               sum->mutant[0] ? " --mutant " : "", sum->mutant);
      xml(f, line);
    }
  }
}

int fuzz_summary_write_junit(FILE *f, const struct fuzz_summary *sum)
{
  uint64_t failed = 0;

  for (size_t i = 0; i < sum->props_nr; i++)
    failed += sum->violated[i] > 0;
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
  fprintf(f, "<testsuites>\n<testsuite name=\"stsim.fuzz.");
  xml(f, sum->scenario);
  fprintf(f, "\" tests=\"%zu\" failures=\"%" PRIu64 "\" errors=\"%d\">\n",
          sum->props_nr + 1, failed, sum->crashes ? 1 : 0);
  for (size_t i = 0; i < sum->props_nr; i++) {
    fputs("  <testcase classname=\"stsim.fuzz.", f);
    xml(f, sum->scenario);
    fputs("\" name=\"", f);
    xml(f, sum->prop_name[i]);
    if (!sum->violated[i]) {
      fputs("\"/>\n", f);
      continue;
    }
    fprintf(f,
            "\">\n    <failure message=\"violated in %" PRIu64 " of %" PRIu64
            " runs\">",
            sum->violated[i], sum->checked[i]);
    junit_details(f, sum, prop_index(sum->prop_name[i]));
    fputs("</failure>\n  </testcase>\n", f);
  }
  fputs("  <testcase classname=\"stsim.fuzz.", f);
  xml(f, sum->scenario);
  fputs("\" name=\"stsim.no-internal-error\"", f);
  if (!sum->crashes) {
    fputs("/>\n", f);
  } else {
    fprintf(f, ">\n    <error message=\"stsim crashed in %" PRIu64 " runs\">",
            sum->crashes);
    junit_details(f, sum, -1);
    fputs("</error>\n  </testcase>\n", f);
  }
  fputs("</testsuite>\n</testsuites>\n", f);
  return ferror(f) ? SIM_EIO : 0;
}
