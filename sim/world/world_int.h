/*
 * world_int.h - the world's private state, shared by world.c (set-up,
 * timeline, run loop), expect.c (expectations) and actions.c (the
 * scenario's actions).
 */
#ifndef SIM_WORLD_INT_H
#define SIM_WORLD_INT_H

#include "arena.h"
#include "cluster.h"
#include "truth.h"
#include "trace.h"
#include "world.h"

struct becomes_track; /* expect.c */

struct world {
  const struct scenario *s;
  uint64_t seed;
  simtime until;   /* SIMTIME_NEVER = until stable */
  simtime horizon; /* last scheduled action / timed expectation */
  simtime last_change;
  simtime end;
  bool stopped;
  const char *mutant;
  bool no_timeline; /* world_opts.no_timeline */
  struct arena arena;
  struct trace trace;
  struct engine *engine;
  struct api *api;
  struct props *props;
  struct truth *truth;
  struct history *history; /* world_opts.record_history, else NULL */
  struct cluster_env env;
  void **comp_state;
  size_t comp_nr;
  VEC(struct timeline_entry) timeline;
  VEC(struct expect_result) results;
  struct becomes_track *becomes; /* one per expectation */
  bool *when_fired;              /* one per action */
};

void world__expect_init(struct world *w);
void world__expect_release(struct world *w);
void world__expect_write(struct world *w, enum watch_type t,
                         const struct object *old, const struct object *now);
void world__expect_event(struct world *w, const struct event *ev);
void world__expect_finish(struct world *w);
bool world__property_expected_violated(const struct world *w, const char *name);

void world__actions_schedule(struct world *w);
void world__actions_write(struct world *w, enum watch_type t,
                          const struct object *old, const struct object *now);

/* actions_patch.c: the `patch` action, and the `owners` expectation text. */
void world__do_patch(struct world *w, const struct action *a);
void world__owners_text(struct world *w, const struct object *o, char *buf,
                        size_t n);

/* actions_node.c: the node actions (the machine, the cloud, kubectl). */
void world__do_crash_node(struct world *w, const struct action *a);
void world__do_restart_node(struct world *w, const struct action *a);
void world__do_partition_node(struct world *w, const struct action *a);
void world__do_heal_node(struct world *w, const struct action *a);
void world__do_shutdown_node(struct world *w, const struct action *a);
void world__do_delete_node(struct world *w, const struct action *a);
void world__do_add_node(struct world *w, const struct action *a);
void world__do_cordon_node(struct world *w, const struct action *a);
void world__do_uncordon_node(struct world *w, const struct action *a);
void world__do_taint_node(struct world *w, const struct action *a);
void world__do_untaint_node(struct world *w, const struct action *a);

/*
 * actions_drain.c: drain-node, as `kubectl drain NODE --ignore-daemonsets
 * --delete-emptydir-data`. world__drain() is the part that needs no
 * world: it starts draining node now, through api (as client "kubectl"),
 * retrying refused evictions every `retry` (timing drainRetry) and
 * putting each step on the timeline through line(ctx, ...).
 */
struct world__drain_env {
  struct api *api;
  simtime retry;
  void (*line)(void *ctx, bool verbose, enum event_type type,
               const char *object, const char *reason, const char *msg);
  void *ctx;
};
void world__drain(const struct world__drain_env *env, const char *node);
void world__do_drain(struct world *w, const struct action *a);

#endif
