/*
 * fuzz.h - randomized campaigns over one scenario (interface.md sections
 * 1 and 4, design.md "fuzz"): a fault schedule per run drawn from the
 * scenario's `fuzz` section, runs spread over forked worker processes and
 * shards, failures written out as standalone scenarios that `stsim run`
 * replays, delta-debugging shrinking, recovery statistics, and the JSON
 * summary that `stsim merge` combines.
 *
 * Determinism: run i of a campaign uses fuzz_run_seed(master, i) and
 * nothing else - not the worker, the shard or the order runs finish in.
 * Its schedule comes from its own GSL stream (RNG_FUZZ), so a campaign's
 * verdicts, failure files and statistics are the same for any -j and any
 * sharding; the parent aggregates results in run-index order.
 *
 * Ownership: a profile borrows its scenario (which must outlive it) and
 * owns everything else (its arena); a schedule owns its actions and
 * strings. The wall clock never enters this module: the CLI hands the
 * campaign a clock for runs/s and the progress bar (house style D1).
 */
#ifndef SIM_FUZZ_H
#define SIM_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_histogram.h>
#include <gsl/gsl_rng.h>

#include "arena.h"
#include "base.h"
#include "scenario.h"

/* --- the profile ---------------------------------------------------------- */

/* The parameters a fault kind may take in spec.fuzz.faults. */
enum fuzz_param_id {
  FP_DOWN_FOR = 0, /* downFor: until the matching undo action */
  FP_DURATION,     /* duration: api-errors, watch-delay */
  FP_DELAY,        /* delay: watch-delay's cache lag */
  FP_REPLICAS,     /* replicas: scale */
  FP_FORCE,        /* force: delete-pod, 0..1 (1 = --force) */
  FP_GRACE,        /* gracePeriod: delete-pod, seconds */
  FP_PERCENT,      /* percent: api-errors, share of writes that fail */
  FP_BROKEN,       /* broken: set-image, 0..1 (1 = a declared-broken image) */
  FP_CONTROLLER,   /* controller: watch-delay, 0..1 (1 = the StatefulSet
                      controller's caches lag) */
  FP_COUNT
};

/* An inclusive range a value is drawn from, uniformly. */
struct fuzz_range {
  bool set;
  int64_t lo, hi; /* simtime for durations, else a count */
};

/* One kind of generated fault. */
struct fuzz_kind {
  enum action_kind kind;
  simtime every; /* mean interval: arrivals are a Poisson process */
  struct fuzz_range p[FP_COUNT];
};

/* A StatefulSet of the scenario, as the generator targets it. */
struct fuzz_set {
  const char *ns, *name;
  int32_t replicas;          /* at time 0 */
  int32_t start;             /* spec.ordinals.start */
  const char *image;         /* the first container's image at time 0 */
  const char *const *claims; /* volumeClaimTemplates names */
  size_t claims_nr;
};

struct fuzz_node {
  const char *name, *zone;
};

struct fuzz_profile {
  const struct scenario *s;
  struct arena arena;
  simtime until; /* spec.fuzz.until, else spec.until, else 2h */
  int64_t runs;  /* spec.fuzz.runs, else 1000 */
  bool builtin;  /* spec.fuzz.faults absent: the built-in profile */
  struct fuzz_kind kinds[ACTION_COUNT]; /* the kinds this build can run */
  size_t kinds_nr;
  enum action_kind skipped[ACTION_COUNT]; /* listed, not supported yet */
  size_t skipped_nr;
  const struct fuzz_set *sets;
  size_t sets_nr;
  const struct fuzz_node *nodes; /* the cluster's nodes at time 0 */
  size_t nodes_nr;
  const char *const *good_images; /* declared images that run fine */
  size_t good_images_nr;
  const char *const *broken_images; /* declared crashes / never ready */
  size_t broken_images_nr;
  const char *const *zones; /* the nodes' distinct zones, in node order */
  size_t zones_nr;
};

/*
 * Resolves the scenario's fuzz section (or the built-in profile when it
 * has no faults) against this build: kinds that world_action_supported()
 * refuses are skipped (listed in skipped[]), so the generator grows as
 * actions land. Returns 0, or SIM_ESCHEMA with d pointing at a parameter
 * a kind does not take or of the wrong type, or SIM_EUNSUPPORTED for a
 * scenario action that a failure file cannot carry (apply).
 */
int fuzz_profile_init(struct fuzz_profile *p, const struct scenario *s,
                      struct diag *d);
void fuzz_profile_release(struct fuzz_profile *p);

/* The parameter names of a kind, "downFor" ...; NULL if none. */
const char *fuzz_param_name(enum fuzz_param_id id);

/* The built-in profile's kinds and defaults, for docs and `list`. */
void fuzz_profile_describe(const struct fuzz_profile *p, FILE *f);

/* --- schedules ------------------------------------------------------------ */

/* Run i's seed: a function of (master, i) only. */
uint64_t fuzz_run_seed(uint64_t master, uint64_t index);

/* A generated fault, for the recovery statistics. */
struct fuzz_fault_ref {
  simtime at;
  simtime window; /* it may take this long to show (its own duration + 2m) */
  enum action_kind kind;
};

/*
 * A run's schedule: the scenario's own actions and the generated ones,
 * sorted as the loader sorts them (by `at`, stably; `when` actions last),
 * so a failure file written from it reloads to the same array.
 */
struct fuzz_schedule {
  gsl_rng *rng;       /* RNG_FUZZ of the run seed, reseeded per run */
  struct arena arena; /* names and variant arrays made up for this run */
  /*
   * The scenario this run simulates: the profile's, with the run's draw
   * from spec.fuzz.vary applied (version and its timings, the nodes'
   * zones, the StatefulSets' fields, recorded in run.variant so a failure
   * file replays it). Shares the profile scenario's arrays where nothing
   * varies; its own live in arena.
   */
  struct scenario run;
  bool has_run; /* run is drawn (fuzz_generate); a schedule built by hand
                   runs the profile's scenario */
  bool varied[FV_COUNT];
  int32_t vary[FV_COUNT]; /* the alternative drawn for each varied key */
  VEC(struct action) actions;
  VEC(struct fuzz_fault_ref) faults; /* generated, in time order */
  size_t generated;                  /* how many actions were drawn */
};

/* "Parallel, OnDelete, minReadySeconds 10, ..., 1.37, 1 zone" - what run
 * sc varies (the StatefulSet fields, then version and zones), for
 * messages; "" when the profile varies nothing. */
void fuzz_variant_label(const struct fuzz_schedule *sc, char *buf, size_t len);

void fuzz_schedule_init(struct fuzz_schedule *sc);
void fuzz_schedule_release(struct fuzz_schedule *sc);

/* Draws run `seed`'s variant and schedule (replacing what sc held). The
 * variant comes from its own stream (RNG_FUZZ substream 1), so a profile
 * that adds spec.fuzz.vary keeps the fault schedules it had. */
void fuzz_generate(const struct fuzz_profile *p, uint64_t seed,
                   struct fuzz_schedule *sc);

/* --- one run -------------------------------------------------------------- */

enum fuzz_status {
  FUZZ_PASS = 0,
  FUZZ_FAIL,  /* a property was violated */
  FUZZ_CRASH, /* stsim itself died: a signal, an internal error, a hang */
};

/* What a run's first failure was. */
struct fuzz_violation {
  int prop;   /* registry index (props_registry), -1 for a crash */
  simtime at; /* virtual time; SIMTIME_NEVER unknown (crash) */
  int code;   /* crash: the signal number, or 256 + exit code */
  char message[384];
  char objects[192];
};

/* Recovery from one fault (design: "time from a fault to all replicas
 * Ready again"). */
enum fuzz_recovery {
  FUZZ_RECOVERED = 0, /* ms says how long it took */
  FUZZ_UNDISRUPTED,   /* every replica stayed Ready through its window */
  FUZZ_NOT_RECOVERED, /* still not all Ready when the run ended */
};

struct fuzz_sample {
  uint8_t kind;    /* enum action_kind */
  uint8_t outcome; /* enum fuzz_recovery */
  int64_t ms;
};

struct fuzz_outcome {
  uint64_t index, seed;
  enum fuzz_status status;
  uint64_t checked;  /* registry bitmask: properties checked */
  uint64_t violated; /* registry bitmask: properties violated */
  uint64_t hazards;  /* registry bitmask: properties that recorded a hazard
                        (beside the verdict: an upstream gap, not a bug) */
  struct fuzz_violation first;
  uint64_t events;
  uint32_t faults[ACTION_COUNT]; /* generated actions by kind */
  VEC(struct fuzz_sample) samples;
};

void fuzz_outcome_release(struct fuzz_outcome *o);

/* What every run of a campaign shares besides the profile. */
struct fuzz_run_opts {
  const char *mutant;     /* --mutant or NULL */
  const bool *properties; /* registry-indexed selection, NULL = all */
  simtime until;          /* the runs' virtual length */
};

/*
 * Runs one schedule in this process and fills out (status, properties,
 * first violation, recovery samples). sc is the schedule of seed (from
 * fuzz_generate, or shrunk). Returns 0, or SIM_E* with d filled if the
 * run cannot be built (a bug in the profile: the CLI reports exit 3).
 */
int fuzz_run(const struct fuzz_profile *p, const struct fuzz_run_opts *o,
             const struct fuzz_schedule *sc, uint64_t seed,
             struct fuzz_outcome *out, struct diag *d);

/* --- failure files -------------------------------------------------------- */

/* What the header comment of a failure file says. */
struct fuzz_failure_info {
  const char *scenario; /* the campaign's scenario file(s), for people */
  uint64_t master_seed;
  uint64_t index; /* run index; UINT64_MAX if not from a campaign */
  uint64_t seed;
  const char *mutant; /* NULL = none */
  const struct fuzz_violation *v;
  const char *replay;  /* the path the replay command names */
  const char *note;    /* an extra comment line or NULL */
  const char *variant; /* the drawn configuration, or NULL / "" */
};

/*
 * Writes a standalone scenario: the header comment, the scenario's
 * Kubernetes documents as written, and a Scenario document with the
 * cluster, seed, until and the schedule as plain `actions` (no expect, no
 * fuzz). `stsim run` of the file reproduces the run exactly. Returns 0 or
 * SIM_EIO.
 */
int fuzz_write_scenario(FILE *f, const struct scenario *s,
                        const struct action *actions, size_t actions_nr,
                        uint64_t seed, simtime until,
                        const struct fuzz_failure_info *info);

/* Writes one action as a YAML flow mapping, "{at: 1m0s, action: scale,
 * statefulSet: "web", replicas: 3}" (fuzz__action_writable kinds). */
void fuzz_write_action(FILE *f, const struct action *a);

/*
 * Writes path atomically: a temporary file in the same directory, then
 * rename(2); a killed campaign leaves the old file or the new one, never
 * half of one. fn writes the content and returns 0 or an error.
 */
typedef int fuzz_writer_fn(FILE *f, void *ctx);
int fuzz_write_atomic(const char *path, fuzz_writer_fn *fn, void *ctx,
                      struct diag *d);

/*
 * Reads the machine-readable line of a failure file's header
 * ("# stsim-fuzz: seed=... property=NAME at-us=... mutant=NAME"). Fills
 * what it finds; property and mutant point into buf storage of the
 * caller's info. Returns 0, or -1 if the file has no such line.
 */
struct fuzz_failure_tag {
  char property[64]; /* "" = unknown; "internal-error" for a crash */
  char mutant[64];   /* "" = none */
  int code;          /* crash code, 0 if none */
  simtime at;        /* SIMTIME_NEVER if unknown */
};
int fuzz_read_failure_tag(const char *path, struct fuzz_failure_tag *tag);

/* --- shrinking ------------------------------------------------------------ */

/*
 * What a shrink candidate must reproduce: a violation of prop (a registry
 * index), or a crash with the same code when prop is -1.
 */
struct fuzz_target {
  int prop;
  int code;
};

/* Runs a candidate; true if it fails the target's way (*at: when the
 * target property was first violated, SIMTIME_NEVER if unknown). */
typedef bool fuzz_oracle_fn(const struct action *actions, size_t nr,
                            simtime until, void *ctx, simtime *at);

struct fuzz_shrink_stats {
  size_t before, after; /* actions */
  simtime until_before, until_after;
  uint64_t candidates; /* runs tried */
};

/*
 * Delta debugging (ddmin) over the actions, then over their durations
 * (the time between a fault and its undo, and api-errors / watch-delay
 * durations, halved while the failure stays), then the run's length
 * (cut to a minute after the failure when that still fails). Only
 * candidates the oracle accepts are kept. The arrays *actions and *nr are
 * replaced by the
 * result (allocated in a, which the caller owns). At most max_candidates
 * runs.
 */
void fuzz_shrink(struct arena *a, const struct action **actions, size_t *nr,
                 simtime *until, simtime fail_at, uint64_t max_candidates,
                 fuzz_oracle_fn *oracle, void *ctx,
                 struct fuzz_shrink_stats *st);

/* What a run in a child process came to. */
struct fuzz_candidate {
  int code;   /* 0, or how the child died: a signal, or 256 + exit code */
  bool built; /* the run could be built (world_new) */
  uint64_t violated;            /* registry bitmask */
  struct fuzz_violation first;  /* the earliest violation */
  struct fuzz_violation target; /* property prop's first, if any */
};

/* Runs a schedule in a forked child (crash-proof) and reports. until
 * SIMTIME_NEVER runs until stable. */
void fuzz_candidate_run(const struct scenario *s, const char *mutant,
                        const bool *properties, uint64_t seed,
                        const struct action *actions, size_t nr, simtime until,
                        int prop, struct fuzz_candidate *out);

/*
 * Runs a candidate in a forked child, so a candidate that crashes stsim
 * cannot take the caller with it, and says whether it fails like target.
 * *v (may be NULL) gets the target property's first violation when the
 * run did not crash.
 */
bool fuzz_candidate_fails(const struct scenario *s, const char *mutant,
                          const bool *properties, uint64_t seed,
                          const struct action *actions, size_t nr,
                          simtime until, const struct fuzz_target *target,
                          struct fuzz_violation *v);

/* A failure to shrink, and where the result goes. */
struct fuzz_shrink_job {
  const struct scenario *s; /* documents, cluster; its actions unused */
  const char *mutant;
  const bool *properties;
  uint64_t seed;
  const struct action *actions;
  size_t nr;
  simtime until;
  struct fuzz_target target;
  simtime fail_at;
  uint64_t budget;
  const char *out_path;          /* the .min.yaml */
  struct fuzz_failure_info info; /* v is replaced by the shrunk failure */
};

/* Shrinks job and writes the result atomically to job->out_path. */
int fuzz_shrink_to_file(const struct fuzz_shrink_job *job,
                        struct fuzz_shrink_stats *st, struct diag *d);

/* "dir/failure-7.yaml" -> "dir/failure-7.min.yaml" (malloc'd). */
char *fuzz_min_path(const char *path);

/* --- recovery statistics -------------------------------------------------- */

/* Fine buckets: exact below 64 ms, then 64 per power of two (<= 1.6%). */
#define FUZZ_BUCKETS (64 + 58 * 64)
/* The display histogram's bins (upper bounds, seconds; the last is open). */
#define FUZZ_HIST_BINS 12

struct fuzz_kind_stats {
  uint64_t faults; /* generated */
  uint64_t recovered, undisrupted, not_recovered;
  uint64_t sum_ms, max_ms;
  uint64_t *buckets;   /* FUZZ_BUCKETS, NULL until the first sample */
  gsl_histogram *hist; /* display bins (seconds), NULL until then */
};

/* Upper bound (ms) of display bin i; INT64_MAX for the last. */
int64_t fuzz_hist_bound_ms(size_t i);
/* Count of display bin i, and adding n to it (reading JSON). */
uint64_t fuzz_stats_hist(const struct fuzz_kind_stats *st, size_t i);
void fuzz_stats_hist_add(struct fuzz_kind_stats *st, size_t i, uint64_t n);
/* Adds one sample (a recovered fault) to st. */
void fuzz_stats_add(struct fuzz_kind_stats *st, int64_t ms);
/* p-th percentile (0 < p <= 100) of the recovered samples, in ms: the
 * upper bound of the fine bucket it falls in, never above max. */
int64_t fuzz_stats_percentile(const struct fuzz_kind_stats *st, double p);
void fuzz_stats_merge(struct fuzz_kind_stats *into,
                      const struct fuzz_kind_stats *from);
void fuzz_stats_release(struct fuzz_kind_stats *st);

/* --- the summary ---------------------------------------------------------- */

/* The first failures kept in detail (seeds, files); the rest are counted. */
#define FUZZ_KEEP_FAILURES 100

struct fuzz_failure {
  uint64_t index, seed;
  enum fuzz_status status;
  struct fuzz_violation v;
  char file[512];     /* failure-<seed>.yaml as written ("" if not) */
  char min_file[512]; /* failure-<seed>.min.yaml ("" if not shrunk) */
  size_t actions, min_actions;
  char variant[192]; /* the run's drawn configuration (fuzz_variant_label) */
};

#define FUZZ_MAX_PROPS 64

struct fuzz_summary {
  /* identity of the campaign: must agree for `merge` */
  char scenario[256];
  uint64_t input_digest;
  uint64_t master_seed;
  uint64_t runs_planned; /* the whole campaign, all shards */
  simtime until;
  char mutant[64];
  uint32_t shard_n;     /* 1 = not sharded */
  uint32_t shards_nr;   /* shards covered: shard_n when complete */
  uint32_t shard_k[64]; /* which shards (sorted); up to 64 listed */
  /* results */
  uint64_t runs; /* finished and aggregated */
  uint64_t failures, crashes;
  bool stopped;     /* --max-failures reached */
  bool interrupted; /* SIGINT */
  size_t props_nr;
  char prop_name[FUZZ_MAX_PROPS][48];
  uint64_t checked[FUZZ_MAX_PROPS], violated[FUZZ_MAX_PROPS];
  uint64_t hazards[FUZZ_MAX_PROPS]; /* runs with a hazard of the property */
  uint64_t events;
  struct fuzz_kind_stats kinds[ACTION_COUNT];
  VEC(struct fuzz_failure) kept; /* first FUZZ_KEEP_FAILURES, by index */
  /* wall clock: differs between otherwise identical campaigns */
  double wall_seconds;
};

void fuzz_summary_init(struct fuzz_summary *sum);
void fuzz_summary_release(struct fuzz_summary *sum);

/* Folds one run's outcome in (runs must come in index order). */
void fuzz_summary_add(struct fuzz_summary *sum, const struct fuzz_outcome *o);

/* Whether a campaign passed: no failures. */
bool fuzz_summary_passed(const struct fuzz_summary *sum);

/* interface.md section 4: the mergeable JSON (jansson). */
int fuzz_summary_write_json(FILE *f, const struct fuzz_summary *sum);
int fuzz_summary_read_json(const char *path, struct fuzz_summary *sum,
                           struct diag *d);
/* Combines shard summaries (into starts with the first file). Returns 0
 * or SIM_ESCHEMA if from is another campaign or repeats a shard. */
int fuzz_summary_merge(struct fuzz_summary *into,
                       const struct fuzz_summary *from, struct diag *d);
void fuzz_summary_write_text(FILE *f, const struct fuzz_summary *sum);
/* JUnit XML: a test case per property, failures with seed and replay. */
int fuzz_summary_write_junit(FILE *f, const struct fuzz_summary *sum);

/* --- campaigns ------------------------------------------------------------ */

typedef double fuzz_clock_fn(void); /* wall seconds, from the CLI */

/* How a worker runs one schedule: fuzz_run, or a test's seam. */
typedef int fuzz_run_fn(const struct fuzz_profile *p,
                        const struct fuzz_run_opts *o,
                        const struct fuzz_schedule *sc, uint64_t seed,
                        struct fuzz_outcome *out, struct diag *d);

struct fuzz_campaign_opts {
  const char *scenario_label; /* the file names, for replay comments */
  uint64_t runs, master_seed;
  unsigned jobs;             /* worker processes, >= 1 */
  uint32_t shard_k, shard_n; /* run i belongs to shard i % n */
  uint64_t max_failures;     /* 0 = never stop */
  const char *out_dir;
  bool shrink;
  int verbosity;     /* -1 quiet, 0 progress, 1 more */
  bool progress_tty; /* stderr is a terminal: a bar */
  FILE *progress;    /* stderr */
  fuzz_clock_fn *wall_clock;
  struct fuzz_run_opts run;
  /* set by a SIGINT handler: stop, aggregate what finished */
  volatile int *interrupted;
  uint64_t shrink_budget; /* candidate runs per failure */
  fuzz_run_fn *run_fn;    /* NULL = fuzz_run */
};

/*
 * Runs the campaign: forks opts->jobs workers, each running its share of
 * this shard's run indices in-process and sending compact results over a
 * pipe; aggregates in run-index order; writes DIR/failure-<seed>.yaml for
 * the kept failures and shrinks them (DIR/failure-<seed>.min.yaml).
 * A worker that dies is a crashed run (replay file included) and is
 * replaced. Returns 0, or SIM_EIO (the out dir cannot be written).
 */
int fuzz_campaign(const struct fuzz_profile *p,
                  const struct fuzz_campaign_opts *o, struct fuzz_summary *sum,
                  struct diag *d);

/* --- the commands (cmd.c) ------------------------------------------------- */

/* What only the CLI may provide (house style D1). */
struct fuzz_cli {
  fuzz_clock_fn *wall_clock; /* wall seconds (monotonic) */
  volatile int *interrupted; /* set by the CLI's SIGINT handler */
  bool stderr_tty;           /* progress bar rather than 10% lines */
  unsigned ncpu;             /* -j default */
};

/* stsim fuzz / shrink / merge: argv[0] is the command name; returns the
 * exit code of interface.md section 6 (130 for an interrupted campaign
 * that found no failure). */
int fuzz_cli_fuzz(int argc, char **argv, const struct fuzz_cli *cli);
int fuzz_cli_shrink(int argc, char **argv, const struct fuzz_cli *cli);
int fuzz_cli_merge(int argc, char **argv, const struct fuzz_cli *cli);

#endif
