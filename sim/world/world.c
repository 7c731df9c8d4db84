/*
 * world.c - the composition root of one run: scenario + seed -> engine,
 * API server, cluster components, properties; then the run loop, the
 * timeline, stability detection and the expectations.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "history.h"
#include "rng.h"
#include "world.h"
#include "world_int.h"

static void note_event(const struct event *ev, bool repeat, void *ctx);
static void on_write(enum watch_type t, const struct object *old,
                     const struct object *now, void *ctx);

/* --- set-up --------------------------------------------------------------- */

int world_check(const struct scenario *s, const struct world_opts *o,
                struct diag *d)
{
  static const struct world_opts none;

  if (!o)
    o = &none;
  for (size_t i = 0; i < s->actions_nr; i++) {
    const struct action *a = &s->actions[i];
    if (!world_action_supported(a->kind))
      return diagf(d, a->pos.file, a->pos.line, a->pos.col, SIM_EUNSUPPORTED,
                   "spec.actions[%zu]: action '%s' is not supported yet", i,
                   action_name(a->kind));
    if (a->kind == ACTION_RESTART_CONTROLLER && a->component &&
        strcmp(a->component, "statefulset-controller"))
      return diagf(d, a->pos.file, a->pos.line, a->pos.col, SIM_EUNSUPPORTED,
                   "spec.actions[%zu]: restarting '%s' is not supported yet "
                   "(only statefulset-controller)",
                   i, a->component);
  }
  for (size_t i = 0; i < s->expects_nr; i++) {
    const struct expectation *e = &s->expects[i];
    if (e->target != EXPECT_PROPERTY)
      continue;
    const struct property_info *pi = props_find(e->name);
    if (!pi)
      return diagf(d, e->pos.file, e->pos.line, e->pos.col, SIM_ESCHEMA,
                   "spec.expect[%zu].property: unknown property '%s' (see "
                   "stsim list properties)",
                   i, e->name);
    if (!pi->impl)
      return diagf(d, e->pos.file, e->pos.line, e->pos.col, SIM_EUNSUPPORTED,
                   "spec.expect[%zu].property: property '%s' is not checked "
                   "yet",
                   i, e->name);
    if (o->properties) {
      size_t nr;
      const struct property_info *reg = props_registry(&nr);
      if (!o->properties[pi - reg])
        return diagf(d, e->pos.file, e->pos.line, e->pos.col, SIM_EUSAGE,
                     "spec.expect[%zu].property: property '%s' is expected "
                     "but not checked (--no-property)",
                     i, e->name);
    }
  }
  return 0;
}

static struct node_decl default_node(int i, const char *zone)
{
  (void)i;
  return (struct node_decl){.zone = zone};
}

/* The Node objects of spec.cluster.nodes, Ready from the start. */
static void create_nodes(struct world *w)
{
  const struct scenario *s = w->s;

  for (size_t i = 0; i < s->nodes_nr; i++) {
    const struct node_decl *nd = &s->nodes[i];
    struct object o;

    object_init(&o, KIND_NODE);
    o.meta.name = nd->name;
    o.meta.labels = nd->labels;
    o.u.node.taints = nd->taints;
    o.u.node.taints_nr = nd->taints_nr;
    o.u.node.cpu_allocatable_milli = nd->cpu_milli;
    o.u.node.memory_allocatable = nd->memory;
    o.u.node.pods_allocatable = nd->pods;
    o.u.node.ready = (struct condition){.status = COND_TRUE,
                                        .last_transition_time = 0,
                                        .reason = "KubeletReady",
                                        .message = "kubelet is posting ready "
                                                   "status"};
    o.u.node.last_heartbeat = 0;
    object_set_defaults(&o);
    if (api_create(w->api, "cluster", &o, NULL) != API_OK)
      world_note(w, false, EVENT_WARNING,
                 arena_printf(&w->arena, "Node/%s", nd->name), "FailedCreate",
                 "%s", api_last_error(w->api));
  }
  (void)default_node;
}

static bool scenario_defines(const struct scenario *s, enum obj_kind k,
                             const char *name)
{
  for (size_t i = 0; i < s->objects_nr; i++)
    if (s->objects[i].obj.kind == k &&
        !strcmp(s->objects[i].obj.meta.name, name))
      return true;
  return false;
}

/*
 * The default StorageClass of spec.cluster.defaultStorageClass: dynamic,
 * WaitForFirstConsumer, attachable RWO disks, reclaim Delete - what a
 * managed cluster ships (GKE's standard-rwo, EKS's gp3). A user's own class
 * of that name wins.
 */
static void create_default_class(struct world *w)
{
  const char *name = w->s->default_storage_class;
  struct object o;

  if (!name || scenario_defines(w->s, KIND_STORAGECLASS, name))
    return;
  object_init(&o, KIND_STORAGECLASS);
  o.meta.name = name;
  struct kv *ann = arena_alloc(&w->arena, sizeof(*ann));
  ann->key = ANN_DEFAULT_STORAGE_CLASS;
  ann->value = "true";
  o.meta.annotations = (struct kv_list){ann, 1};
  o.u.sc.provisioner = "disk.csi.stsim.io";
  o.u.sc.reclaim_policy = RECLAIM_DELETE;
  o.u.sc.volume_binding_mode = BINDING_WAIT_FOR_FIRST_CONSUMER;
  o.u.sc.allow_volume_expansion = true;
  object_set_defaults(&o);
  if (api_create(w->api, "cluster", &o, NULL) != API_OK)
    world_note(w, false, EVENT_WARNING,
               arena_printf(&w->arena, "StorageClass/%s", name), "FailedCreate",
               "%s", api_last_error(w->api));
}

/* What kubectl apply does with the scenario's documents at time 0. */
static void apply_manifests(struct engine *e, uint64_t subject, uint64_t arg,
                            void *ctx)
{
  struct world *w = ctx;

  (void)e;
  (void)subject;
  (void)arg;
  create_nodes(w);
  create_default_class(w);
  for (size_t i = 0; i < w->s->objects_nr; i++) {
    const struct object *o = &w->s->objects[i].obj;
    if (api_create(w->api, "kubectl", o, NULL) != API_OK)
      world_note(w, false, EVENT_WARNING,
                 arena_printf(&w->arena, "%s/%s", obj_kind_name(o->kind),
                              o->meta.name),
                 "FailedCreate", "kubectl apply: %s", api_last_error(w->api));
  }
}

static void env_note(void *ctx, const char *object, const char *reason,
                     const char *msg)
{
  world_note(ctx, true, EVENT_NORMAL, object, reason, "%s", msg);
}

static void truth_changed(void *ctx)
{
  props_touch(ctx);
}

static void start_components(struct world *w)
{
  size_t nr;
  const struct component *c = cluster_components(&nr);

  w->env = (struct cluster_env){.api = w->api,
                                .truth = w->truth,
                                .s = w->s,
                                .seed = w->seed,
                                .mutant = w->mutant,
                                .note = w->no_timeline ? NULL : env_note,
                                .note_ctx = w};
  w->comp_state = xcalloc(nr ? nr : 1, sizeof(void *));
  w->comp_nr = nr;
  for (size_t i = 0; i < nr; i++)
    w->comp_state[i] = c[i].start(&w->env);
}

struct world *world_new(const struct scenario *s, const struct world_opts *o,
                        struct diag *d)
{
  static const struct world_opts none;

  if (!o)
    o = &none;
  if (world_check(s, o, d))
    return NULL;
  rng_install_error_handler();

  struct world *w = xcalloc(1, sizeof(*w));
  w->s = s;
  w->seed = o->has_seed ? o->seed : s->seed;
  w->until = o->has_until ? o->until : s->until;
  arena_init(&w->arena, 64 * 1024);
  trace_init(&w->trace, o->trace);
  w->engine = engine_new(&w->trace);
  w->api = api_new(w->engine, &w->arena, w->seed);
  api_set_mutant(w->api, o->mutant); /* the API server's own mutants */
  api_set_event_hook(w->api, note_event, w);
  api_add_write_hook(w->api, on_write, w);
  if (o->record_history)
    w->history = history_new(w->api);
  w->truth = truth_new();
  w->props = props_new(w->api, w->truth, o->properties);
  truth_set_hook(w->truth, truth_changed, w->props);
  props_configure(w->props, s->kubernetes_minor,
                  scenario_feature_enabled(s, "MaxUnavailableStatefulSet"));
  props_set_scenario(w->props, s);
  w->mutant = o->mutant;
  w->no_timeline = o->no_timeline;
  world__expect_init(w);
  engine_schedule(w->engine, 0, PHASE_FAULT, "apply-manifests", apply_manifests,
                  0, 0, w);
  world__actions_schedule(w);
  start_components(w);
  return w;
}

void world_free(struct world *w)
{
  size_t nr;
  const struct component *c;

  if (!w)
    return;
  c = cluster_components(&nr);
  for (size_t i = 0; i < w->comp_nr; i++)
    if (c[i].stop)
      c[i].stop(w->comp_state[i]);
  free(w->comp_state);
  props_free(w->props);
  history_free(w->history);
  api_free(w->api);
  truth_free(w->truth);
  engine_free(w->engine);
  world__expect_release(w);
  free(w->timeline.v);
  free(w->when_fired);
  arena_release(&w->arena);
  free(w);
}

/* --- the timeline ------------------------------------------------------------
 */

static void add_line(struct world *w, struct timeline_entry t)
{
  VEC_PUSH(&w->timeline, t);
  if (w->trace.out && !t.verbose) {
    char detail[640];
    snprintf(detail, sizeof(detail), "%s %s: %s",
             t.type == EVENT_WARNING ? "Warning" : "Normal", t.reason,
             t.message);
    trace_line(&w->trace, engine_now(w->engine), engine_current_seq(w->engine),
               "event", t.object, detail);
  }
}

static void note_event(const struct event *ev, bool repeat, void *ctx)
{
  struct world *w = ctx;

  if (w->no_timeline) {
    world__expect_event(w, ev);
    return;
  }
  struct timeline_entry t = {
      .at = ev->last_timestamp,
      .type = ev->type,
      .object =
          arena_printf(&w->arena, "%s/%s", obj_kind_name(ev->involved_kind),
                       ev->involved_name),
      .reason = ev->reason,
      .message =
          repeat ? arena_printf(&w->arena, "%s (x%d)", ev->message, ev->count)
                 : ev->message,
      .source = ev->source,
      /* Every occurrence is a line: a repeated event (client-go's
       * correlator bumps its count) says how many times so far. */
      .verbose = false,
  };

  add_line(w, t);
  world__expect_event(w, ev);
}

void world_note(struct world *w, bool verbose, enum event_type type,
                const char *object, const char *reason, const char *fmt, ...)
{
  va_list ap;
  char buf[512];

  if (w->no_timeline)
    return;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  add_line(w, (struct timeline_entry){
                  .at = engine_now(w->engine),
                  .type = type,
                  .object = arena_strdup(&w->arena, object),
                  .reason = arena_strdup(&w->arena, reason),
                  .message = arena_strdup(&w->arena, buf),
                  .source = "stsim",
                  .verbose = verbose,
              });
}

const struct timeline_entry *world_timeline(const struct world *w, size_t *nr)
{
  *nr = w->timeline.nr;
  return w->timeline.v;
}

/* --- stability and the run loop --------------------------------------------
 */

/*
 * Whether a write changes anything a person would call "the cluster is
 * still moving". Events and Lease renewals do not; nor does a Node status
 * write that only refreshes its heartbeat.
 */
static bool is_significant(enum watch_type t, const struct object *old,
                           const struct object *now)
{
  enum obj_kind k = now ? now->kind : old->kind;

  if (k == KIND_EVENT || k == KIND_LEASE)
    return false;
  if (k == KIND_NODE && t == WATCH_MODIFIED && old && now) {
    const struct node *a = &old->u.node, *b = &now->u.node;
    return a->ready.status != b->ready.status ||
           a->unschedulable != b->unschedulable ||
           a->taints_nr != b->taints_nr || a->taints != b->taints ||
           a->volumes_attached.nr != b->volumes_attached.nr ||
           a->volumes_in_use.nr != b->volumes_in_use.nr;
  }
  return true;
}

static void on_write(enum watch_type t, const struct object *old,
                     const struct object *now, void *ctx)
{
  struct world *w = ctx;
  const struct object *o = now ? now : old;

  if (is_significant(t, old, now))
    w->last_change = engine_now(w->engine);
  if (w->trace.out && o->kind != KIND_EVENT) {
    static const char *const names[] = {"api.added", "api.modified",
                                        "api.deleted"};
    char obj[320];
    snprintf(obj, sizeof(obj), "%s/%s", obj_kind_name(o->kind), o->meta.name);
    char detail[64];
    snprintf(detail, sizeof(detail), "rv=%" PRIu64, o->meta.resource_version);
    trace_line(&w->trace, engine_now(w->engine), engine_current_seq(w->engine),
               names[t], obj, detail);
  }
  world__expect_write(w, t, old, now);
  world__actions_write(w, t, old, now);
}

static void quiet_check(struct engine *e, uint64_t subject, uint64_t arg,
                        void *ctx);

static void arm_quiet_check(struct world *w, simtime at)
{
  engine_schedule(w->engine, at, PHASE_CHECK, "quiet-check", quiet_check, 0, 0,
                  w);
}

static void quiet_check(struct engine *e, uint64_t subject, uint64_t arg,
                        void *ctx)
{
  struct world *w = ctx;
  simtime due = w->last_change + WORLD_QUIET_PERIOD;

  (void)subject;
  (void)arg;
  if (due < w->horizon)
    due = w->horizon;
  if (engine_now(e) >= due) {
    w->stopped = true;
    return;
  }
  arm_quiet_check(w, due);
}

uint64_t world_run(struct world *w)
{
  simtime until = w->until;

  if (until == SIMTIME_NEVER) {
    /* Until stable: not before the last scheduled action or timed
     * expectation, then after a quiet period, at most 24 h. */
    until = WORLD_MAX_UNTIL;
    arm_quiet_check(w, w->horizon > WORLD_QUIET_PERIOD ? w->horizon
                                                       : WORLD_QUIET_PERIOD);
  }
  while (!w->stopped && engine_step(w->engine, until))
    props_after_event(w->props);
  if (!w->stopped && engine_now(w->engine) < until &&
      (w->until != SIMTIME_NEVER ||
       engine_next_time(w->engine) != SIMTIME_NEVER))
    engine_advance(w->engine, until);
  w->end = engine_now(w->engine);
  props_at_end(w->props);
  world__expect_finish(w);
  return engine_executed(w->engine);
}

/* --- accessors
 * ----------------------------------------------------------------- */

struct api *world_api(struct world *w)
{
  return w->api;
}

struct engine *world_engine(struct world *w)
{
  return w->engine;
}

struct truth *world_truth(struct world *w)
{
  return w->truth;
}

struct history *world_history(struct world *w)
{
  return w->history;
}

void *world_component(struct world *w, const char *name)
{
  size_t nr;
  const struct component *c = cluster_components(&nr);

  for (size_t i = 0; i < w->comp_nr; i++)
    if (!strcmp(c[i].name, name))
      return w->comp_state[i];
  return NULL;
}

struct props *world_props(struct world *w)
{
  return w->props;
}

const struct scenario *world_scenario(const struct world *w)
{
  return w->s;
}

uint64_t world_seed(const struct world *w)
{
  return w->seed;
}

simtime world_end_time(const struct world *w)
{
  return w->end;
}

uint64_t world_digest(const struct world *w)
{
  return w->trace.digest;
}

bool world_property_failed(const struct world *w, size_t i)
{
  if (!props_violations(w->props, i, NULL))
    return false;
  return !world__property_expected_violated(w, props_name(w->props, i));
}

bool world_passed(const struct world *w)
{
  for (size_t i = 0; i < props_count(w->props); i++)
    if (world_property_failed(w, i))
      return false;
  for (size_t i = 0; i < w->results.nr; i++)
    if (!w->results.v[i].met)
      return false;
  return true;
}
