/*
 * props.h - the property registry and the record of violations.
 *
 * A property is a named promise (interface.md section 5) checked against
 * the ground truth - the API store and, once the cluster is modelled, what
 * really runs on each node - never against a controller's cache. Each
 * property is one row in a table (house style 7.7): hooks that see every
 * write to the store, a check after every simulation event in which
 * something changed, and a check at the end of the run. A property keeps
 * its own state; the registry records the first violation (virtual time,
 * message, objects) and counts the rest.
 *
 * Properties never schedule events or write to the API server.
 */
#ifndef SIM_PROPS_H
#define SIM_PROPS_H

#include <stdbool.h>
#include <stdint.h>

#include "apiserver.h"
#include "base.h"
#include "timings.h"
#include "truth.h"

struct props;
struct prop_ctx;

struct prop_violation {
  simtime at;
  char message[384];
  char objects[192]; /* "Pod/web-1, Node/node-2" */
};

struct property {
  const char *name;    /* stable dotted name */
  const char *meaning; /* one line for `stsim list properties` */
  /* NULL hooks are skipped. state is the property's own zeroed storage. */
  size_t state_size;
  void (*on_write)(struct prop_ctx *c, void *state, enum watch_type t,
                   const struct object *old, const struct object *now);
  /* Every API request, served or refused (apiserver.h's request hook). */
  void (*on_request)(struct prop_ctx *c, void *state, const char *who,
                     const char *verb, enum obj_kind kind, const char *ns,
                     const char *name, enum api_status status, bool changed);
  void (*after_event)(struct prop_ctx *c, void *state);
  void (*at_end)(struct prop_ctx *c, void *state);
  void (*release)(void *state);
};

/* The registry: every property stsim knows, implemented or not. */
struct property_info {
  const char *name;
  const char *meaning;
  const struct property *impl; /* NULL: named by the interface, not built */
};

const struct property_info *props_registry(size_t *nr);
/* The registry row for name, or NULL. */
const struct property_info *props_find(const char *name);

/*
 * A property set for one run, checking the properties `enabled` says
 * (indexes into the registry; NULL = every implemented one). It hooks
 * itself onto the API server's writes.
 */
struct props *props_new(struct api *api, struct truth *truth,
                        const bool *enabled);

/*
 * What the checks must know of the cluster's version: the Kubernetes minor
 * version and whether the MaxUnavailableStatefulSet gate is on (the
 * rolling-update rules differ, reference section 6.4).
 */
void props_configure(struct props *p, int kubernetes_minor,
                     bool max_unavailable_gate);
int prop_minor(struct prop_ctx *c);
bool prop_max_unavailable_gate(struct prop_ctx *c);

/*
 * The run's scenario and the actions it carries out, for the checks that
 * need them (identity.stable-network reads the dnsTTL timing;
 * liveness.converges reads convergeBound, the images the scenario declares
 * broken, and when the last action's effect ended). The world calls
 * props_set_scenario() once before time 0, and props_note_action() each
 * time it carries out an action - including the follow-ups it schedules
 * itself (restart-node or heal-node after `for`) - with `until` the end of
 * the action's effect: now + duration for api-errors and watch-delay, now
 * for the others. Without a scenario, timings are the defaults of the
 * configured version and liveness.converges checks nothing (it cannot know
 * when the faults end).
 */
struct scenario;
struct action;

struct prop_action {
  const struct action *a;
  simtime at;    /* when it was carried out */
  simtime until; /* when its effect ends (>= at) */
};

void props_set_scenario(struct props *p, const struct scenario *s);
void props_note_action(struct props *p, const struct action *a, simtime until);
const struct scenario *prop_scenario(struct prop_ctx *c);
simtime prop_timing(struct prop_ctx *c, enum timing_id id);
/* The actions carried out so far, in the order they ran. */
const struct prop_action *prop_actions(struct prop_ctx *c, size_t *nr);

/* Marks the set dirty: the ground truth changed (truth.h's hook). */
void props_touch(struct props *p);
void props_free(struct props *p);

/* Adds an extra property (tests; later modules' own checks). */
void props_add(struct props *p, const struct property *prop);

/* Runs after_event hooks if anything was written since the last call. */
void props_after_event(struct props *p);
/* Runs the at_end hooks once. */
void props_at_end(struct props *p);

/* For the hooks: the API store and the physical world (ground truth),
 * and the time. */
struct api *prop_api(struct prop_ctx *c);
struct truth *prop_truth(struct prop_ctx *c);
simtime prop_now(struct prop_ctx *c);

/* The client whose write is being served (inside on_write), e.g.
 * "statefulset-controller", "kubelet", "kubectl". */
const char *prop_client(struct prop_ctx *c);

/*
 * Records a hazard of the property running now: something Kubernetes
 * itself does that can break the promise but has not (yet) - e.g. the
 * 6-minute force detach from under a partitioned node's live mount. A
 * hazard is reported beside the verdict; it does not fail the property.
 */
void prop_hazard(struct prop_ctx *c, const char *objects, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records a violation of the property running now. */
void prop_violate(struct prop_ctx *c, const char *objects, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Results, in the order properties were added. */
size_t props_count(const struct props *p);
const char *props_name(const struct props *p, size_t i);
/* Number of violations of property i; *first gets the first (if any). */
uint64_t props_violations(const struct props *p, size_t i,
                          const struct prop_violation **first);
/* Number of hazards recorded for property i; *first gets the first. */
uint64_t props_hazards(const struct props *p, size_t i,
                       const struct prop_violation **first);
/* Index of name in this set, or -1. */
int props_index(const struct props *p, const char *name);

#endif
