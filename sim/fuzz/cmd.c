/*
 * cmd.c - `stsim fuzz`, `stsim shrink` and `stsim merge` (interface.md
 * section 1): options, files and exit codes. main.c calls these with what
 * only the CLI may touch - the wall clock, the SIGINT flag, whether stderr
 * is a terminal, the number of cores (house style D1).
 *
 * Exit codes (section 6): 0 every run passed, 1 some run failed, 2 bad
 * input or usage, 3 internal error; an interrupted campaign with no
 * failure exits 130, as a shell reports a command stopped by SIGINT.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_int.h"
#include "mutants.h"
#include "props.h"
#include "world.h"

enum { X_PASS = 0, X_FAIL = 1, X_USAGE = 2, X_INTERNAL = 3, X_INTR = 130 };

static int usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage(const char *cmd, const char *fmt, ...)
{
  va_list ap;

  fprintf(stderr, "stsim %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n(see: stsim help %s)\n", cmd);
  return X_USAGE;
}

static int diag_exit(const struct diag *d, int code)
{
  char buf[1024];

  diag_format(d, buf, sizeof(buf));
  fprintf(stderr, "%s\n", buf);
  return code;
}

static int parse_u64(const char *s, uint64_t *out)
{
  char *end;

  if (!s || !*s || *s == '-')
    return -1;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

/* Options every command that runs scenarios shares. */
struct common {
  const char *files[SCENARIO_MAX_INCLUDES];
  size_t files_nr;
  const char *mutant;
  bool props_sel[FUZZ_MAX_PROPS];
  bool props_chosen;
  bool props_dropped[FUZZ_MAX_PROPS];
  int verbosity;
};

/* Handles --mutant, --property, --no-property, -q, -v and file names.
 * Returns 1 if it took argv[*i] (and maybe its value), 0 if not, or an
 * exit code (> 1) for bad usage. */
static int common_opt(const char *cmd, int argc, char **argv, int *i,
                      struct common *c)
{
  const char *a = argv[*i];
  const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;

  if (!strcmp(a, "--mutant") || !strcmp(a, "--property") ||
      !strcmp(a, "--no-property")) {
    if (!val)
      return usage(cmd, "option '%s' needs a value", a);
    (*i)++;
    if (!strcmp(a, "--mutant")) {
      if (!mutant_find(val))
        return usage(cmd,
                     "--mutant: unknown mutant '%s' (see stsim list "
                     "mutants)",
                     val);
      c->mutant = val;
      return 1;
    }
    size_t nr;
    const struct property_info *reg = props_registry(&nr);
    const struct property_info *pi = props_find(val);
    if (!pi)
      return usage(cmd,
                   "%s: unknown property '%s' (see stsim list "
                   "properties)",
                   a, val);
    if (!pi->impl)
      return usage(cmd, "%s: property '%s' is not checked yet", a, val);
    if (!strcmp(a, "--property")) {
      c->props_sel[pi - reg] = true;
      c->props_chosen = true;
    } else {
      c->props_dropped[pi - reg] = true;
    }
    return 1;
  }
  if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
    c->verbosity = -1;
    return 1;
  }
  if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
    c->verbosity = 1;
    return 1;
  }
  if (a[0] == '-' && a[1])
    return 0;
  if (c->files_nr == SCENARIO_MAX_INCLUDES)
    return usage(cmd, "too many files (at most %d)", SCENARIO_MAX_INCLUDES);
  c->files[c->files_nr++] = a;
  return 1;
}

static const bool *selection(struct common *c)
{
  size_t nr;

  props_registry(&nr);
  for (size_t i = 0; i < nr && i < FUZZ_MAX_PROPS; i++) {
    bool on = c->props_chosen ? c->props_sel[i] : true;
    c->props_sel[i] = on && !c->props_dropped[i];
  }
  return c->props_sel;
}

static void warn_uninjected(const char *cmd, const char *mutant)
{
  const struct mutant_info *m = mutant_find(mutant);

  if (m && !m->injected)
    fprintf(stderr,
            "stsim %s: warning: mutant '%s' is not injected in this build "
            "yet (%s): the runs are not mutated\n",
            cmd, m->name, m->component);
}

static int load(const char *cmd, struct common *c, struct scenario *s)
{
  struct diag d = {0};

  if (!c->files_nr)
    return usage(cmd, "no scenario file given");
  if (scenario_load_files(s, c->files, c->files_nr, &d))
    return diag_exit(&d, X_USAGE);
  for (size_t i = 0; i < s->warnings.nr; i++)
    fprintf(stderr, "warning: %s\n", s->warnings.v[i]);
  return 0;
}

/* "a.yaml b.yaml" for comments. */
static void label(const struct common *c, char *buf, size_t n)
{
  size_t used = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < c->files_nr && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? " " : "",
                             c->files[i]);
}

/* --- fuzz ----------------------------------------------------------------- */

struct json_out {
  const struct fuzz_summary *sum;
  bool junit;
};

static int write_summary(FILE *f, void *ctx)
{
  const struct json_out *jo = ctx;

  return jo->junit ? fuzz_summary_write_junit(f, jo->sum)
                   : fuzz_summary_write_json(f, jo->sum);
}

static int write_outputs(const char *cmd, const struct fuzz_summary *sum,
                         const char *json, const char *junit)
{
  struct diag d = {0};
  struct json_out jo = {sum, false};
  int rc = 0;

  if (json && fuzz_write_atomic(json, write_summary, &jo, &d)) {
    fprintf(stderr, "stsim %s: ", cmd);
    diag_exit(&d, 0);
    rc = X_USAGE;
  }
  jo.junit = true;
  if (junit && fuzz_write_atomic(junit, write_summary, &jo, &d)) {
    fprintf(stderr, "stsim %s: ", cmd);
    diag_exit(&d, 0);
    rc = X_USAGE;
  }
  return rc;
}

static int parse_shard(const char *s, uint32_t *k, uint32_t *n)
{
  uint64_t a, b;
  const char *slash = s ? strchr(s, '/') : NULL;
  char left[32];

  if (!slash || (size_t)(slash - s) >= sizeof(left))
    return -1;
  snprintf(left, sizeof(left), "%.*s", (int)(slash - s), s);
  if (parse_u64(left, &a) || parse_u64(slash + 1, &b) || !b || a >= b ||
      b > 1000000)
    return -1;
  *k = (uint32_t)a;
  *n = (uint32_t)b;
  return 0;
}

int fuzz_cli_fuzz(int argc, char **argv, const struct fuzz_cli *cli)
{
  struct common c = {0};
  struct fuzz_campaign_opts o = {0};
  const char *json = NULL, *junit = NULL, *out_dir = "results";
  uint64_t runs = 0, seed = 1, jobs = cli->ncpu ? cli->ncpu : 1, maxf = 1;
  uint64_t budget = 2000;
  bool has_runs = false, has_seed = false, shrink = true, has_until = false;
  simtime until = 0;
  uint32_t shard_k = 0, shard_n = 1;
  struct scenario s;
  struct fuzz_profile p;
  struct fuzz_summary sum;
  struct diag d = {0};
  char lbl[512];
  int rc;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

    rc = common_opt("fuzz", argc, argv, &i, &c);
    if (rc == 1)
      continue;
    if (rc)
      return rc;
    if (!strcmp(a, "--no-shrink")) {
      shrink = false;
      continue;
    }
    if (!strcmp(a, "-j") && !val)
      return usage("fuzz", "option '-j' needs a value");
    if (!strncmp(a, "-j", 2) && a[2]) {
      val = a + 2; /* -j4 */
      i--;
      a = "-j";
    } else if (!val) {
      return usage("fuzz", "unknown option '%s'", a);
    }
    i++;
    if (!strcmp(a, "--runs")) {
      if (parse_u64(val, &runs) || !runs)
        return usage("fuzz", "--runs: '%s' is not a positive integer", val);
      has_runs = true;
    } else if (!strcmp(a, "--seed")) {
      if (parse_u64(val, &seed))
        return usage("fuzz", "--seed: '%s' is not an unsigned integer", val);
      has_seed = true;
    } else if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
      if (parse_u64(val, &jobs) || !jobs || jobs > 1024)
        return usage("fuzz", "-j: '%s' is not a number of workers (1-1024)",
                     val);
    } else if (!strcmp(a, "--shard")) {
      if (parse_shard(val, &shard_k, &shard_n))
        return usage("fuzz", "--shard: '%s' is not K/N with 0 <= K < N", val);
    } else if (!strcmp(a, "--out")) {
      out_dir = val;
    } else if (!strcmp(a, "--json")) {
      json = val;
    } else if (!strcmp(a, "--junit")) {
      junit = val;
    } else if (!strcmp(a, "--max-failures")) {
      if (parse_u64(val, &maxf))
        return usage("fuzz", "--max-failures: '%s' is not a count", val);
    } else if (!strcmp(a, "--until")) {
      if (sim_parse_duration(val, &until) || until <= 0)
        return usage("fuzz", "--until: \"%s\" is not a duration (e.g. 2h)",
                     val);
      has_until = true;
    } else if (!strcmp(a, "--shrink-budget")) {
      if (parse_u64(val, &budget) || !budget)
        return usage("fuzz", "--shrink-budget: '%s' is not a positive count",
                     val);
    } else {
      return usage("fuzz", "unknown option '%s'", a);
    }
  }
  if ((rc = load("fuzz", &c, &s)))
    return rc;
  if (fuzz_profile_init(&p, &s, &d)) {
    scenario_release(&s);
    return diag_exit(&d, X_USAGE);
  }
  if (c.mutant)
    warn_uninjected("fuzz", c.mutant);
  if (c.verbosity > 0)
    fuzz_profile_describe(&p, stderr);
  if (!p.kinds_nr)
    fprintf(stderr, "stsim fuzz: warning: this build can carry out none of "
                    "the profile's fault kinds: the runs only vary by seed\n");
  label(&c, lbl, sizeof(lbl));
  o.scenario_label = lbl;
  o.runs = has_runs ? runs : (uint64_t)p.runs;
  o.master_seed = has_seed ? seed : s.seed;
  o.jobs = (unsigned)jobs;
  o.shard_k = shard_k;
  o.shard_n = shard_n;
  o.max_failures = maxf;
  o.out_dir = out_dir;
  o.shrink = shrink;
  o.shrink_budget = budget;
  o.verbosity = c.verbosity;
  o.progress_tty = cli->stderr_tty;
  o.progress = stderr;
  o.wall_clock = cli->wall_clock;
  o.interrupted = cli->interrupted;
  o.run.mutant = c.mutant;
  o.run.properties = selection(&c);
  o.run.until = has_until ? until : p.until;
  rc = fuzz_campaign(&p, &o, &sum, &d);
  if (rc && !sum.runs) {
    fuzz_profile_release(&p);
    scenario_release(&s);
    fuzz_summary_release(&sum);
    return diag_exit(&d, X_USAGE);
  }
  char path[4096];
  snprintf(path, sizeof(path), "%s/summary.json", out_dir);
  int wrc = write_outputs("fuzz", &sum, path, NULL);
  if (!wrc)
    wrc = write_outputs("fuzz", &sum, json, junit);
  fuzz_summary_write_text(stdout, &sum);
  rc = !fuzz_summary_passed(&sum) ? X_FAIL
       : sum.interrupted          ? X_INTR
       : wrc || rc                ? X_USAGE
                                  : X_PASS;
  fuzz_summary_release(&sum);
  fuzz_profile_release(&p);
  scenario_release(&s);
  if (fflush(stdout))
    return X_INTERNAL;
  return rc;
}

/* --- shrink --------------------------------------------------------------- */

int fuzz_cli_shrink(int argc, char **argv, const struct fuzz_cli *cli)
{
  struct common c = {0};
  const char *prop_name = NULL, *out = NULL;
  uint64_t budget = 2000;
  struct scenario s;
  struct diag d = {0};
  struct fuzz_failure_tag tag;
  struct fuzz_target target = {-1, 0};
  int rc;

  (void)cli;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

    if (!strcmp(a, "--property")) {
      if (!val)
        return usage("shrink", "option '--property' needs a value");
      prop_name = val;
      i++;
      continue;
    }
    rc = common_opt("shrink", argc, argv, &i, &c);
    if (rc == 1)
      continue;
    if (rc)
      return rc;
    if (!val)
      return usage("shrink", "unknown option '%s'", a);
    i++;
    if (!strcmp(a, "--budget")) {
      if (parse_u64(val, &budget) || !budget)
        return usage("shrink", "--budget: '%s' is not a positive count", val);
    } else if (!strcmp(a, "-o") || !strcmp(a, "--output-file")) {
      out = val;
    } else {
      return usage("shrink", "unknown option '%s'", a);
    }
  }
  if (c.files_nr != 1)
    return usage("shrink", "give exactly one failure file");
  if ((rc = load("shrink", &c, &s)))
    return rc;
  for (size_t i = 0; i < s.actions_nr; i++)
    if (!fuzz__action_writable(s.actions[i].kind)) {
      const struct action *a = &s.actions[i];
      diagf(&d, a->pos.file, a->pos.line, a->pos.col, SIM_EUNSUPPORTED,
            "spec.actions[%zu]: shrink cannot write a '%s' action yet", i,
            action_name(a->kind));
      scenario_release(&s);
      return diag_exit(&d, X_USAGE);
    }
  if (world_check(&s, NULL, &d)) {
    scenario_release(&s);
    return diag_exit(&d, X_USAGE);
  }
  bool tagged = !fuzz_read_failure_tag(c.files[0], &tag);
  if (!c.mutant && tagged && tag.mutant[0]) {
    const struct mutant_info *m = mutant_find(tag.mutant);
    c.mutant = m ? m->name : NULL;
  }
  if (c.mutant)
    warn_uninjected("shrink", c.mutant);
  const bool *sel = selection(&c);
  size_t nr;
  const struct property_info *reg = props_registry(&nr);
  if (!prop_name && tagged && tag.property[0])
    prop_name = tag.property;
  if (prop_name && !strcmp(prop_name, "internal-error")) {
    target.prop = -1;
    target.code = tag.code;
  } else if (prop_name) {
    const struct property_info *pi = props_find(prop_name);
    if (!pi) {
      scenario_release(&s);
      return usage("shrink", "--property: unknown property '%s'", prop_name);
    }
    target.prop = (int)(pi - reg);
  } else {
    /* No tag, no --property: what the file does now. */
    struct fuzz_candidate probe;
    fuzz_candidate_run(&s, c.mutant, sel, s.seed, s.actions, s.actions_nr,
                       s.until, -1, &probe);
    if (probe.code) {
      target.prop = -1;
      target.code = probe.code;
    } else if (probe.violated) {
      target.prop = probe.first.prop;
    } else {
      fprintf(stderr,
              "stsim shrink: %s violates no property: nothing to "
              "shrink\n",
              c.files[0]);
      scenario_release(&s);
      return X_USAGE;
    }
  }
  struct fuzz_violation v = {
      .prop = target.prop, .at = SIMTIME_NEVER, .code = target.code};
  if (!fuzz_candidate_fails(&s, c.mutant, sel, s.seed, s.actions, s.actions_nr,
                            s.until, &target, &v)) {
    fprintf(stderr,
            "stsim shrink: %s does not fail %s (any more): nothing "
            "to shrink\n",
            c.files[0],
            target.prop >= 0 ? reg[target.prop].name
                             : "with the same internal error");
    scenario_release(&s);
    return X_FAIL;
  }
  if (target.prop < 0) {
    snprintf(v.message, sizeof(v.message), "crash code %d", target.code);
  }
  char *min = out ? xstrdup(out) : fuzz_min_path(c.files[0]);
  struct fuzz_shrink_job job = {
      .s = &s,
      .mutant = c.mutant,
      .properties = sel,
      .seed = s.seed,
      .actions = s.actions,
      .nr = s.actions_nr,
      .until = s.until,
      .target = target,
      .fail_at = v.at,
      .budget = budget,
      .out_path = min,
      .info = {.scenario = c.files[0],
               .index = UINT64_MAX,
               .seed = s.seed,
               .mutant = c.mutant,
               .v = &v},
  };
  struct fuzz_shrink_stats st = {0};
  rc = fuzz_shrink_to_file(&job, &st, &d) ? diag_exit(&d, X_USAGE) : X_PASS;
  if (rc == X_PASS) {
    char u0[32] = "until stable", u1[32] = "until stable";
    if (st.until_before != SIMTIME_NEVER)
      sim_format_duration(st.until_before, u0, sizeof(u0));
    if (st.until_after != SIMTIME_NEVER)
      sim_format_duration(st.until_after, u1, sizeof(u1));
    printf("shrunk %s: %zu -> %zu actions, %s -> %s (%" PRIu64
           " runs); wrote %s\n",
           c.files[0], st.before, st.after, u0, u1, st.candidates, min);
  }
  free(min);
  scenario_release(&s);
  return rc;
}

/* --- merge ---------------------------------------------------------------- */

int fuzz_cli_merge(int argc, char **argv, const struct fuzz_cli *cli)
{
  const char *json = NULL, *junit = NULL;
  const char *files[1024];
  size_t nr = 0;
  bool as_json = false;
  struct fuzz_summary sum, one;
  struct diag d = {0};
  int rc;

  (void)cli;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--json") || !strcmp(a, "--junit") ||
        !strcmp(a, "--output")) {
      if (!val)
        return usage("merge", "option '%s' needs a value", a);
      i++;
      if (!strcmp(a, "--json"))
        json = val;
      else if (!strcmp(a, "--junit"))
        junit = val;
      else if (!strcmp(val, "json") || !strcmp(val, "text"))
        as_json = !strcmp(val, "json");
      else
        return usage("merge", "--output: '%s' is not text or json", val);
    } else if (a[0] == '-' && a[1]) {
      return usage("merge", "unknown option '%s'", a);
    } else if (nr == sizeof(files) / sizeof(files[0])) {
      return usage("merge", "too many files");
    } else {
      files[nr++] = a;
    }
  }
  if (!nr)
    return usage("merge", "no result files given");
  if (fuzz_summary_read_json(files[0], &sum, &d))
    return diag_exit(&d, X_USAGE);
  for (size_t i = 1; i < nr; i++) {
    if (fuzz_summary_read_json(files[i], &one, &d)) {
      fuzz_summary_release(&sum);
      return diag_exit(&d, X_USAGE);
    }
    rc = fuzz_summary_merge(&sum, &one, &d);
    fuzz_summary_release(&one);
    if (rc) {
      fprintf(stderr, "stsim merge: %s: ", files[i]);
      fuzz_summary_release(&sum);
      return diag_exit(&d, X_USAGE);
    }
  }
  if (sum.shard_n > 1 && sum.shards_nr < sum.shard_n)
    fprintf(stderr,
            "stsim merge: warning: %u of %u shards: the campaign is not "
            "complete\n",
            sum.shards_nr, sum.shard_n);
  rc = write_outputs("merge", &sum, json, junit);
  if (as_json)
    fuzz_summary_write_json(stdout, &sum);
  else
    fuzz_summary_write_text(stdout, &sum);
  if (!rc)
    rc = fuzz_summary_passed(&sum) ? X_PASS : X_FAIL;
  fuzz_summary_release(&sum);
  if (fflush(stdout))
    return X_INTERNAL;
  return rc;
}
