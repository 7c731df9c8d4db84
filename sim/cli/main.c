/*
 * main.c - the stsim command line (interface.md section 1): a table of
 * commands, their options, and the exit codes of section 6 (0 pass,
 * 1 property or expectation failed, 2 bad input or usage, 3 internal
 * error). The only place that may read the wall clock or the environment.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "mutants.h"
#include "props.h"
#include "report.h"
#include "scenario.h"
#include "timings.h"
#include "world.h"

#define STSIM_VERSION "0.1.0"

enum exit_code {
  EXIT_PASS = 0,
  EXIT_FAIL = 1,
  EXIT_BAD_INPUT = 2,
  EXIT_INTERNAL = 3,
};

struct cmd {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *usage;
  const char *help;
};

static const struct cmd *find_cmd(const char *name);

static int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
  va_list ap;

  fprintf(stderr, "stsim %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n(see: stsim help %s)\n", cmd);
  return EXIT_BAD_INPUT;
}

static int print_diag(const struct diag *d)
{
  char buf[1024];

  diag_format(d, buf, sizeof(buf));
  fprintf(stderr, "%s\n", buf);
  return EXIT_BAD_INPUT;
}

static bool wants_help(int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
      return true;
  return false;
}

static int print_cmd_help(const struct cmd *c)
{
  printf("usage: stsim %s\n\n%s", c->usage, c->help);
  return EXIT_PASS;
}

static int parse_u64(const char *s, uint64_t *out)
{
  char *end;

  if (!*s || *s == '-')
    return -1;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

/* --- run
 * ---------------------------------------------------------------------- */

struct run_opts {
  const char *files[SCENARIO_MAX_INCLUDES];
  size_t files_nr;
  struct world_opts w;
  bool json;
  int detail;
  const char *trace_path;
  const char *report_path;
  bool props_sel[64];
  bool props_chosen; /* some --property given */
  bool props_dropped[64];
};

static int parse_run_opts(const char *cmd, int argc, char **argv,
                          struct run_opts *o)
{
  size_t reg_nr;
  props_registry(&reg_nr);
  SIM_ASSERT(reg_nr <= 64);

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    bool takes = !strcmp(a, "--seed") || !strcmp(a, "--until") ||
                 !strcmp(a, "--output") || !strcmp(a, "--trace") ||
                 !strcmp(a, "--report") || !strcmp(a, "--mutant") ||
                 !strcmp(a, "--property") || !strcmp(a, "--no-property");
    if (takes && !val)
      return usage_error(cmd, "option '%s' needs a value", a);
    if (!strcmp(a, "--seed")) {
      if (parse_u64(val, &o->w.seed))
        return usage_error(cmd, "--seed: '%s' is not an unsigned integer", val);
      o->w.has_seed = true;
    } else if (!strcmp(a, "--until")) {
      if (sim_parse_duration(val, &o->w.until) || o->w.until < 0)
        return usage_error(cmd, "--until: \"%s\" is not a duration (e.g. 5m)",
                           val);
      o->w.has_until = true;
    } else if (!strcmp(a, "--output")) {
      if (!strcmp(val, "json"))
        o->json = true;
      else if (!strcmp(val, "text"))
        o->json = false;
      else
        return usage_error(cmd, "--output: '%s' is not text or json", val);
    } else if (!strcmp(a, "--trace")) {
      o->trace_path = val;
    } else if (!strcmp(a, "--report")) {
      o->report_path = val;
      o->w.record_history = true;
    } else if (!strcmp(a, "--mutant")) {
      const struct mutant_info *m = mutant_find(val);
      if (!m)
        return usage_error(cmd,
                           "--mutant: unknown mutant '%s' (see stsim list "
                           "mutants)",
                           val);
      if (!m->injected)
        fprintf(stderr,
                "stsim %s: warning: mutant '%s' is not injected in this "
                "build yet (%s): the run is not mutated\n",
                cmd, m->name, m->component);
      o->w.mutant = m->name;
    } else if (!strcmp(a, "--property") || !strcmp(a, "--no-property")) {
      const struct property_info *pi = props_find(val);
      size_t nr;
      const struct property_info *reg = props_registry(&nr);
      if (!pi)
        return usage_error(cmd,
                           "%s: unknown property '%s' (see stsim list "
                           "properties)",
                           a, val);
      if (!pi->impl)
        return usage_error(cmd, "%s: property '%s' is not checked yet", a, val);
      if (!strcmp(a, "--property")) {
        o->props_sel[pi - reg] = true;
        o->props_chosen = true;
      } else {
        o->props_dropped[pi - reg] = true;
      }
    } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
      o->detail = REPORT_QUIET;
    } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
      o->detail = REPORT_VERBOSE;
    } else if (a[0] == '-' && a[1]) {
      return usage_error(cmd, "unknown option '%s'", a);
    } else {
      if (o->files_nr == SCENARIO_MAX_INCLUDES)
        return usage_error(cmd, "too many files (at most %d)",
                           SCENARIO_MAX_INCLUDES);
      o->files[o->files_nr++] = a;
    }
    if (takes)
      i++;
  }
  if (!o->files_nr)
    return usage_error(cmd, "no scenario file given");
  for (size_t i = 0; i < reg_nr; i++) {
    bool on = o->props_chosen ? o->props_sel[i] : true;
    o->props_sel[i] = on && !o->props_dropped[i];
  }
  o->w.properties = o->props_sel;
  return 0;
}

static void on_abort(int sig)
{
  (void)sig;
  /* An internal error: SIM_BUG has printed where; exit code 3. */
  _exit(EXIT_INTERNAL);
}

/* What `stsim fuzz` would refuse in the fuzz section (vary against the
 * cluster, kinds and their parameters): run and validate refuse it too,
 * so a file is either good input or bad, whichever command reads it. */
static int check_fuzz_section(const struct scenario *s, struct diag *d)
{
  struct fuzz_profile fp;
  int rc;

  if (!s->fuzz.present)
    return 0;
  rc = fuzz_profile_init(&fp, s, d);
  if (!rc) {
    fuzz_profile_release(&fp);
    return 0;
  }
  if (rc == SIM_EUNSUPPORTED) {
    /* an action fuzz cannot write (apply): only `stsim fuzz` minds */
    memset(d, 0, sizeof(*d));
    return 0;
  }
  return rc;
}

static int cmd_run(int argc, char **argv)
{
  static struct run_opts o;
  struct scenario s;
  struct diag d = {0};
  FILE *trace = NULL;
  struct report_file report = {0};
  int rc;

  if (wants_help(argc, argv))
    return print_cmd_help(find_cmd("run"));
  if ((rc = parse_run_opts("run", argc, argv, &o)))
    return rc;
  if (scenario_load_files(&s, o.files, o.files_nr, &d))
    return print_diag(&d);
  for (size_t i = 0; i < s.warnings.nr; i++)
    fprintf(stderr, "warning: %s\n", s.warnings.v[i]);
  if (world_check(&s, &o.w, &d) || check_fuzz_section(&s, &d)) {
    scenario_release(&s);
    return print_diag(&d);
  }
  if (o.trace_path) {
    trace = fopen(o.trace_path, "w");
    if (!trace) {
      fprintf(stderr, "stsim run: cannot write '%s': %s\n", o.trace_path,
              strerror(errno));
      scenario_release(&s);
      return EXIT_BAD_INPUT;
    }
    o.w.trace = trace;
  }
  /* The report's temporary file is created now, so that an unwritable
   * path is refused before anything is simulated. */
  if (o.report_path && report_file_open(&report, o.report_path, &d)) {
    fprintf(stderr, "stsim run: %s\n", d.msg);
    if (trace)
      fclose(trace);
    scenario_release(&s);
    return EXIT_BAD_INPUT;
  }
  struct world *w = world_new(&s, &o.w, &d);
  if (!w) {
    if (trace)
      fclose(trace);
    if (report.f)
      report_file_abort(&report);
    scenario_release(&s);
    return print_diag(&d);
  }
  world_run(w);
  if (o.json)
    report_json(stdout, w);
  else
    report_text(stdout, w, (enum report_detail)o.detail);
  rc = world_passed(w) ? EXIT_PASS : EXIT_FAIL;
  if (report.f) {
    report_html(report.f, w, (enum report_detail)o.detail);
    if (report_file_commit(&report, &d)) {
      fprintf(stderr, "stsim run: %s\n", d.msg);
      rc = EXIT_BAD_INPUT;
    }
  }
  world_free(w);
  if (trace && fclose(trace)) {
    fprintf(stderr, "stsim run: error writing '%s'\n", o.trace_path);
    rc = EXIT_BAD_INPUT;
  }
  scenario_release(&s);
  if (fflush(stdout))
    return EXIT_INTERNAL;
  return rc;
}

/* --- validate ----------------------------------------------------------------
 */

static int cmd_validate(int argc, char **argv)
{
  const char *files[SCENARIO_MAX_INCLUDES];
  size_t nr = 0;
  bool strict = false;
  struct scenario s;
  struct diag d = {0};

  if (wants_help(argc, argv))
    return print_cmd_help(find_cmd("validate"));
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--strict"))
      strict = true;
    else if (argv[i][0] == '-' && argv[i][1])
      return usage_error("validate", "unknown option '%s'", argv[i]);
    else if (nr == SCENARIO_MAX_INCLUDES)
      return usage_error("validate", "too many files");
    else
      files[nr++] = argv[i];
  }
  if (!nr)
    return usage_error("validate", "no scenario file given");
  if (scenario_load_files(&s, files, nr, &d))
    return print_diag(&d);
  for (size_t i = 0; i < s.warnings.nr; i++)
    fprintf(stderr, "warning: %s\n", s.warnings.v[i]);
  if (world_check(&s, NULL, &d)) {
    scenario_release(&s);
    return print_diag(&d);
  }
  if (check_fuzz_section(&s, &d)) {
    scenario_release(&s);
    return print_diag(&d);
  }
  size_t per_kind[KIND_COUNT] = {0};
  for (size_t i = 0; i < s.objects_nr; i++)
    per_kind[s.objects[i].obj.kind]++;
  char until[32] = "until stable";
  if (s.until != SIMTIME_NEVER)
    sim_format_duration(s.until, until, sizeof(until));
  printf("%s: valid\n", s.name);
  printf("  seed %" PRIu64 ", kubernetes 1.%d, %s, %zu node%s, default "
         "StorageClass %s\n",
         s.seed, s.kubernetes_minor, until, s.nodes_nr,
         s.nodes_nr == 1 ? "" : "s",
         s.default_storage_class ? s.default_storage_class : "none");
  for (int k = 1; k < KIND_COUNT; k++)
    if (per_kind[k])
      printf("  %zu %s\n", per_kind[k], obj_kind_name((enum obj_kind)k));
  for (size_t i = 0; i < s.objects_nr; i++)
    printf("    %s/%s\n", obj_kind_name(s.objects[i].obj.kind),
           s.objects[i].obj.meta.name ? s.objects[i].obj.meta.name : "");
  const char *sep = "  on every StatefulSet (spec.variant): ";
  for (int f = 0; f < SV_COUNT; f++) {
    enum sts_variant_field field = (enum sts_variant_field)f;
    const char *word = sts_variant_value_name(field, s.variant.v[f]);
    if (!s.variant.set[f])
      continue;
    printf("%s%s ", sep, sts_variant_field_name(field));
    if (word)
      fputs(word, stdout);
    else
      printf("%d", (int)s.variant.v[f]);
    sep = ", ";
  }
  if (sep[0] == ',')
    putchar('\n');
  size_t varied = 0;
  for (int k = 0; k < FV_COUNT; k++)
    varied += s.fuzz.vary.alts_nr[k] > 0;
  printf("  %zu action%s, %zu expectation%s", s.actions_nr,
         s.actions_nr == 1 ? "" : "s", s.expects_nr,
         s.expects_nr == 1 ? "" : "s");
  if (s.fuzz.present && varied)
    printf(", a fuzz profile (varies %zu key%s per run)", varied,
           varied == 1 ? "" : "s");
  else if (s.fuzz.present)
    fputs(", a fuzz profile", stdout);
  putchar('\n');
  if (strict) {
    printf("  %zu field%s not modelled (ignored):\n", s.ignored_nr,
           s.ignored_nr == 1 ? "" : "s");
    for (size_t i = 0; i < s.ignored_nr; i++)
      printf("    %s:%d:%d: %s\n", s.ignored[i].pos.file, s.ignored[i].pos.line,
             s.ignored[i].pos.col, s.ignored[i].path);
  }
  scenario_release(&s);
  return EXIT_PASS;
}

/* --- list, version, help -----------------------------------------------------
 */

static int cmd_list(int argc, char **argv)
{
  if (wants_help(argc, argv))
    return print_cmd_help(find_cmd("list"));
  if (argc != 2)
    return usage_error("list", "expected one of: properties, actions, "
                               "mutants, timings");
  const char *what = argv[1];
  if (!strcmp(what, "properties")) {
    size_t nr;
    const struct property_info *p = props_registry(&nr);
    for (size_t i = 0; i < nr; i++)
      printf("%-24s %s%s\n", p[i].name, p[i].meaning,
             p[i].impl ? "" : " (not checked yet)");
  } else if (!strcmp(what, "actions")) {
    for (int i = 0; i < ACTION_COUNT; i++)
      printf("%-20s %s%s\n", action_name((enum action_kind)i),
             action_summary((enum action_kind)i),
             world_action_supported((enum action_kind)i)
                 ? ""
                 : " (not supported yet)");
  } else if (!strcmp(what, "mutants")) {
    size_t nr;
    const struct mutant_info *m = mutants_registry(&nr);
    for (size_t i = 0; i < nr; i++)
      printf("%-42s %s; caught by %s [%s%s%s]%s\n", m[i].name, m[i].description,
             m[i].property, m[i].component, m[i].reference[0] ? ", " : "",
             m[i].reference,
             !m[i].injected  ? " (not injected yet)"
             : m[i].campaign ? ""
                             : " (caught by its own test - tests/mutants/ or "
                               "cmocka - not by the default campaign)");
  } else if (!strcmp(what, "timings")) {
    struct timings t;
    timings_defaults(&t, 34);
    for (int i = 0; i < TIMING_COUNT; i++) {
      char v[32];
      sim_format_duration(t.v[i], v, sizeof(v));
      printf("%-36s %-8s %s\n", timings_name((enum timing_id)i), v,
             timings_description((enum timing_id)i));
    }
  } else {
    return usage_error("list",
                       "unknown list '%s' (properties, actions, "
                       "mutants, timings)",
                       what);
  }
  return EXIT_PASS;
}

static int cmd_version(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  printf("stsim %s\n", STSIM_VERSION);
  return EXIT_PASS;
}

/* --- fuzz, shrink, merge (sim/fuzz/cmd.c) ------------------------------- */

static volatile int interrupted;

static void on_sigint(int sig)
{
  (void)sig;
  interrupted = 1;
}

/* The wall clock, for runs/s and the progress bar only (D1). */
static double wall_seconds(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fuzz_command(const char *name, int argc, char **argv,
                        int (*fn)(int, char **, const struct fuzz_cli *))
{
  struct sigaction sa = {0};
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  struct fuzz_cli cli = {
      .wall_clock = wall_seconds,
      .interrupted = &interrupted,
      .stderr_tty = isatty(2),
      .ncpu = ncpu > 0 ? (unsigned)ncpu : 1,
  };

  if (wants_help(argc, argv))
    return print_cmd_help(find_cmd(name));
  /* No SA_RESTART: the campaign's poll() returns on Ctrl-C. */
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  return fn(argc, argv, &cli);
}

static int cmd_fuzz(int argc, char **argv)
{
  return fuzz_command("fuzz", argc, argv, fuzz_cli_fuzz);
}

static int cmd_shrink(int argc, char **argv)
{
  return fuzz_command("shrink", argc, argv, fuzz_cli_shrink);
}

static int cmd_merge(int argc, char **argv)
{
  return fuzz_command("merge", argc, argv, fuzz_cli_merge);
}

static int cmd_help(int argc, char **argv);

static const struct cmd cmds[] = {
    {"run", cmd_run,
     "run FILE... [--seed N] [--until DUR] [--output text|json] "
     "[--trace FILE]\n"
     "           [--report FILE.html] [--property NAME]... "
     "[--no-property NAME]... [-q|-v]",
     "Simulates one scenario (several files are merged in order) and prints\n"
     "a timeline, the final state, a verdict per property and the\n"
     "expectations. A plain Kubernetes manifest runs on the default cluster\n"
     "(3 nodes in 3 zones, a default StorageClass) until it is stable.\n\n"
     "  --seed N           run seed (overrides spec.seed)\n"
     "  --until DUR        stop at this virtual time (90s, 30m, 2h)\n"
     "  --output FMT       text (default) or json\n"
     "  --trace FILE       write every simulation event as JSON lines\n"
     "  --report FILE.html write a self-contained HTML report with a\n"
     "                     timeline picture (per pod ordinal and node)\n"
     "  --property NAME    check only these properties (repeatable)\n"
     "  --no-property NAME do not check this property\n"
     "  -q, -v             quieter / also the controllers' decisions\n\n"
     "Exit: 0 all held, 1 a property or expectation failed, 2 bad input,\n"
     "3 internal error.\n"},
    {"validate", cmd_validate, "validate FILE... [--strict]",
     "Parses and checks the files without simulating; prints what would be\n"
     "simulated. --strict also lists the fields stsim does not model.\n"},
    {"list", cmd_list, "list properties|actions|mutants|timings",
     "Prints the properties, actions, mutants or named timings this build\n"
     "knows, one per line with its meaning.\n"},
    {"fuzz", cmd_fuzz,
     "fuzz FILE... [--runs N] [--seed N] [-j N] [--shard K/N] [--out DIR]\n"
     "           [--json FILE] [--junit FILE] [--max-failures N] "
     "[--no-shrink]\n"
     "           [--until DUR] [--mutant NAME] [--property NAME]... [-q|-v]",
     "Many randomized runs of one scenario: each run draws a fault schedule\n"
     "from the scenario's fuzz section (or the built-in profile) with its "
     "own\nseed - and, with spec.fuzz.vary, its own configuration (version,\n"
     "zones, StatefulSet policies) - and checks every property. Failing "
     "runs\nare written as DIR/failure-<seed>.yaml (replay with stsim run) "
     "and\nshrunk to DIR/failure-<seed>.min.yaml. Results do not depend on "
     "-j\nor sharding.\n\n"
     "  --runs N           runs (default spec.fuzz.runs, else 1000)\n"
     "  --seed N           master seed: run i uses a seed from (N, i) only\n"
     "  -j N               worker processes (default: the number of cores)\n"
     "  --shard K/N        only the runs whose index is K modulo N\n"
     "  --out DIR          failures and summary.json (default results/)\n"
     "  --json FILE        the summary as JSON (stsim merge combines "
     "these)\n"
     "  --junit FILE       JUnit XML, one test case per property\n"
     "  --max-failures N   stop after N failing runs (default 1; 0 = "
     "never)\n"
     "  --no-shrink        keep failing scenarios as found\n"
     "  --until DUR        virtual length of each run (default "
     "spec.fuzz.until)\n"
     "  --mutant NAME      run a known-bug variant (stsim list mutants)\n"
     "  --property NAME    check only these properties; --no-property "
     "NAME\n"
     "  -q, -v             no progress / also print the fault profile and\n"
     "                     what varies per run\n\n"
     "Exit: 0 every run passed, 1 a run failed, 2 bad input, 3 internal\n"
     "error, 130 interrupted (a summary of the finished runs is "
     "printed).\n"},
    {"shrink", cmd_shrink,
     "shrink FAILURE.yaml [--property NAME] [--mutant NAME] [--budget N] "
     "[-o FILE]",
     "Minimises a failing scenario by delta debugging over its actions and\n"
     "their durations, keeping only candidates that fail the same property\n"
     "(from the file's stsim-fuzz comment, --property, or its first\n"
     "violation), and writes FAILURE.min.yaml. Expectations are not "
     "checked.\n\n"
     "  --budget N         at most N candidate runs (default 2000)\n"
     "  -o FILE            write the result here\n"},
    {"merge", cmd_merge,
     "merge RESULT.json... [--json FILE] [--junit FILE] [--output "
     "text|json]",
     "Combines the JSON summaries of a campaign's shards (stsim fuzz\n"
     "--shard K/N --json FILE) into the summary one campaign would give.\n"
     "Exit: 0 no run failed, 1 some run failed, 2 bad input.\n"},
    {"version", cmd_version, "version", "Prints the version.\n"},
    {"help", cmd_help, "help [COMMAND]", "Prints help.\n"},
};

static const struct cmd *find_cmd(const char *name)
{
  for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
    if (!strcmp(cmds[i].name, name))
      return &cmds[i];
  return NULL;
}

static void print_usage(FILE *f)
{
  fprintf(f, "usage: stsim COMMAND [options]\n\n"
             "stsim simulates Kubernetes StatefulSet semantics on a virtual "
             "clock.\n\ncommands:\n");
  for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
    fprintf(f, "  %s\n", cmds[i].usage);
  fprintf(f, "\nstsim help COMMAND for details.\n");
}

static int cmd_help(int argc, char **argv)
{
  if (argc < 2) {
    print_usage(stdout);
    return EXIT_PASS;
  }
  const struct cmd *c = find_cmd(argv[1]);
  if (!c)
    return usage_error("help", "unknown command '%s'", argv[1]);
  return print_cmd_help(c);
}

int main(int argc, char **argv)
{
  signal(SIGABRT, on_abort);
  if (argc < 2) {
    print_usage(stderr);
    return EXIT_BAD_INPUT;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
    return cmd_help(1, argv);
  if (!strcmp(argv[1], "--version"))
    return cmd_version(1, argv);
  const struct cmd *c = find_cmd(argv[1]);
  if (!c) {
    fprintf(stderr, "stsim: unknown command '%s'\n", argv[1]);
    print_usage(stderr);
    return EXIT_BAD_INPUT;
  }
  return c->fn(argc - 1, argv + 1);
}
