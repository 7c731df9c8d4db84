/*
 * world.h - one run: the composition root. A world takes a loaded
 * scenario and a seed, builds the engine, the API server, the cluster's
 * components and the property checker, applies the scenario's objects at
 * virtual time 0, schedules its actions and expectations, and runs until
 * the scenario's end (or until the cluster is stable).
 *
 * Ownership: the world borrows the scenario (which must outlive it) and
 * owns everything else; world_free() releases it all, so a process can run
 * many worlds one after another with flat memory (fuzz campaigns).
 */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "apiserver.h"
#include "base.h"
#include "engine.h"
#include "props.h"
#include "scenario.h"
#include "truth.h"

struct world;
struct history;

struct world_opts {
  bool has_seed;
  uint64_t seed; /* overrides spec.seed */
  bool has_until;
  simtime until;          /* overrides spec.until */
  FILE *trace;            /* --trace: JSON lines, or NULL */
  const bool *properties; /* registry-indexed selection, NULL = all */
  const char *mutant;     /* --mutant NAME or NULL */
  bool record_history;    /* --report: keep pod and node states over time
                             for the timeline picture (history.h) */
  bool no_timeline;       /* fuzz runs: nobody reads the timeline, so its
                             lines (and the components' decision notes)
                             are not even formatted; verdicts, expectations
                             and everything simulated stay the same */
};

/* Without an `until`, a run ends once nothing has changed for this long. */
#define WORLD_QUIET_PERIOD SIM_MIN(5)
/* ... and never later than this. */
#define WORLD_MAX_UNTIL (24 * SIM_MIN(60))

/*
 * Checks that the scenario can be simulated by this build (every action
 * supported, every expected property known and checked). Returns 0 or a
 * negative SIM_E* with d filled.
 */
/*
 * Builds a run. Returns NULL with d filled (SIM_EUNSUPPORTED for an
 * action that is not built yet, SIM_ESCHEMA for an expectation naming an
 * unknown property, ...) when the scenario cannot be simulated.
 */
/* Whether `run` can carry out actions of kind k in this build. */
bool world_action_supported(enum action_kind k);

int world_check(const struct scenario *s, const struct world_opts *o,
                struct diag *d);

/* kubectl's STATUS column for a pod (cluster-behaviour.md 2.3). */
const char *world_pod_status_column(const struct object *pod);

struct world *world_new(const struct scenario *s, const struct world_opts *o,
                        struct diag *d);
void world_free(struct world *w);

/* Runs to the end. Returns the number of events executed. */
uint64_t world_run(struct world *w);

struct api *world_api(struct world *w);
struct engine *world_engine(struct world *w);
struct props *world_props(struct world *w);
struct truth *world_truth(struct world *w);
/* The recorded pod and node history (history.h), or NULL when
 * world_opts.record_history was not set. */
struct history *world_history(struct world *w);
/* The private state of the component named name (cluster.h), or NULL. */
void *world_component(struct world *w, const char *name);
const struct scenario *world_scenario(const struct world *w);
uint64_t world_seed(const struct world *w);
simtime world_end_time(const struct world *w);
uint64_t world_digest(const struct world *w);

/* One timeline line (interface.md section 3), in order of occurrence. */
struct timeline_entry {
  simtime at;
  enum event_type type;
  const char *object; /* "Pod/web-0" */
  const char *reason;
  const char *message;
  const char *source;
  bool verbose; /* a decision trace line, shown with -v only */
};

const struct timeline_entry *world_timeline(const struct world *w, size_t *nr);

/* Adds a line to the timeline (components' decision traces, actions). */
void world_note(struct world *w, bool verbose, enum event_type type,
                const char *object, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* The outcome of one expectation. */
struct expect_result {
  const struct expectation *e;
  bool met;
  char detail[256]; /* what was seen, for the report */
};

const struct expect_result *world_expect_results(const struct world *w,
                                                 size_t *nr);

/*
 * Whether property i of world_props() counts as a failure: violated and
 * not expected to be (an expectation `violated: true` turns a violation
 * into the expected outcome).
 */
bool world_property_failed(const struct world *w, size_t i);

/* Overall: every property held (or was expected to fail) and every
 * expectation was met. */
bool world_passed(const struct world *w);

#endif
