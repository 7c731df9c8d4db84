/*
 * actions.c - carrying out the scenario's actions (interface.md section
 * 2) on the virtual clock, as the person or tool behind each would: kubectl
 * for scale, set-image, apply and deletes; the cloud or the machine for
 * node actions; a chaos tool for control-plane faults. Each kind has one
 * executor in a table; a kind with no executor is refused by world_check()
 * with "not supported yet", so nothing a user wrote is silently ignored.
 *
 * An action that fails the way kubectl would fail (the object does not
 * exist, the API server refuses an immutable change) is reported on the
 * timeline as a Warning with kubectl's message, and the run goes on.
 */
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "controller.h"
#include "world_int.h"

typedef void action_exec_fn(struct world *w, const struct action *a);

#define WHO_KUBECTL "kubectl"

static void refused(struct world *w, const struct action *a, const char *obj)
{
  world_note(w, false, EVENT_WARNING, obj, "ActionFailed",
             "%s: Error from server: %s", action_name(a->kind),
             api_last_error(w->api));
}

static void done(struct world *w, const struct action *a, const char *obj,
                 const char *what)
{
  world_note(w, false, EVENT_NORMAL, obj, "Action", "%s: %s",
             action_name(a->kind), what);
}

/* --- StatefulSet spec changes (kubectl scale / set image / apply) ----------
 */

struct scale_arg {
  int32_t replicas;
};

static bool patch_replicas(struct object *o, void *ctx)
{
  o->u.sts.spec.replicas = ((struct scale_arg *)ctx)->replicas;
  return true;
}

static void do_scale(struct world *w, const struct action *a)
{
  struct scale_arg arg = {a->replicas};
  char obj[300];

  snprintf(obj, sizeof(obj), "StatefulSet/%s", a->statefulset);
  if (api_patch(w->api, WHO_KUBECTL, KIND_STATEFULSET, "default",
                a->statefulset, 0, patch_replicas, &arg, NULL) != API_OK) {
    refused(w, a, obj);
    return;
  }
  char what[64];
  snprintf(what, sizeof(what), "scaled to %d replicas", a->replicas);
  done(w, a, obj, what);
}

struct image_arg {
  struct world *w;
  const char *container, *image;
  bool found;
};

static bool patch_image(struct object *o, void *ctx)
{
  struct image_arg *arg = ctx;
  struct pod_spec *ps = &o->u.sts.spec.template_.spec;
  struct container *c =
      arena_memdup(&arg->w->arena, ps->containers,
                   ps->containers_nr * sizeof(*ps->containers));

  for (size_t i = 0; i < ps->containers_nr; i++) {
    if (arg->container && strcmp(arg->container, c[i].name))
      continue;
    c[i].image = arg->image;
    arg->found = true;
  }
  ps->containers = c;
  return arg->found;
}

static void do_set_image(struct world *w, const struct action *a)
{
  struct image_arg arg = {w, a->container, a->image, false};
  char obj[300];

  snprintf(obj, sizeof(obj), "StatefulSet/%s", a->statefulset);
  if (api_patch(w->api, WHO_KUBECTL, KIND_STATEFULSET, "default",
                a->statefulset, 0, patch_image, &arg, NULL) != API_OK) {
    if (!arg.found &&
        api_get(w->api, KIND_STATEFULSET, "default", a->statefulset))
      world_note(w, false, EVENT_WARNING, obj, "ActionFailed",
                 "set-image: error: unable to find container named \"%s\"",
                 a->container ? a->container : "");
    else
      refused(w, a, obj);
    return;
  }
  char what[300];
  snprintf(what, sizeof(what), "image set to %s", a->image);
  done(w, a, obj, what);
}

/* kubectl apply: create, or replace spec and metadata of what is there. */
static void do_apply(struct world *w, const struct action *a)
{
  const struct object *in = a->object;
  const char *ns = obj_kind_namespaced(in->kind)
                       ? (in->meta.namespace_ ? in->meta.namespace_ : "default")
                       : "";
  const struct object *cur = api_get(w->api, in->kind, ns, in->meta.name);
  char obj[300];

  snprintf(obj, sizeof(obj), "%s/%s", obj_kind_name(in->kind), in->meta.name);
  if (!cur) {
    if (api_create(w->api, WHO_KUBECTL, in, NULL) != API_OK)
      refused(w, a, obj);
    else
      done(w, a, obj, "created");
    return;
  }
  struct object next = *in;
  next.meta.uid = cur->meta.uid;
  next.meta.resource_version = cur->meta.resource_version;
  next.meta.creation_timestamp = cur->meta.creation_timestamp;
  next.meta.namespace_ = cur->meta.namespace_;
  next.meta.finalizers = cur->meta.finalizers;
  next.meta.owner_refs = cur->meta.owner_refs;
  next.meta.owner_refs_nr = cur->meta.owner_refs_nr;
  next.meta.deletion_timestamp = cur->meta.deletion_timestamp;
  next.meta.deletion_grace_period_seconds =
      cur->meta.deletion_grace_period_seconds;
  next.meta.generation = cur->meta.generation;
  if (api_update(w->api, WHO_KUBECTL, &next, NULL) != API_OK)
    refused(w, a, obj);
  else
    done(w, a, obj, "configured");
}

/* --- deletes ---------------------------------------------------------------
 */

static void do_delete_pod(struct world *w, const struct action *a)
{
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  char obj[300];

  snprintf(obj, sizeof(obj), "Pod/%s", a->pod);
  /* kubectl delete --force --grace-period=0: removal without waiting for
   * the kubelet; --grace-period=N alone is a graceful delete with N. */
  if (a->force)
    o.grace_seconds = 0;
  else if (a->grace_period >= 0)
    o.grace_seconds = a->grace_period;
  if (api_delete(w->api, WHO_KUBECTL, KIND_POD, "default", a->pod, &o) !=
      API_OK) {
    refused(w, a, obj);
    return;
  }
  done(w, a, obj,
       a->force ? "force deleted (the kubelet is not asked to confirm)"
                : "deleted");
}

static void do_delete_statefulset(struct world *w, const struct action *a)
{
  static const enum propagation prop[] = {
      [CASCADE_BACKGROUND] = PROPAGATE_BACKGROUND,
      [CASCADE_FOREGROUND] = PROPAGATE_FOREGROUND,
      [CASCADE_ORPHAN] = PROPAGATE_ORPHAN,
  };
  static const char *const names[] = {"background", "foreground", "orphan"};
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  char obj[300], what[64];

  snprintf(obj, sizeof(obj), "StatefulSet/%s", a->statefulset);
  o.propagation = prop[a->cascade];
  if (api_delete(w->api, WHO_KUBECTL, KIND_STATEFULSET, "default",
                 a->statefulset, &o) != API_OK) {
    refused(w, a, obj);
    return;
  }
  snprintf(what, sizeof(what), "deleted (cascade=%s)", names[a->cascade]);
  done(w, a, obj, what);
}

static void do_delete_pvc(struct world *w, const struct action *a)
{
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  char obj[300];

  snprintf(obj, sizeof(obj), "PersistentVolumeClaim/%s", a->pvc);
  if (api_delete(w->api, WHO_KUBECTL, KIND_PVC, "default", a->pvc, &o) !=
      API_OK) {
    refused(w, a, obj);
    return;
  }
  done(w, a, obj, "deleted");
}

/* --- the application --------------------------------------------------------
 */

static void set_readiness(struct world *w, const struct action *a, bool ready)
{
  void *kubelets = world_component(w, "kubelet");
  char obj[300];

  snprintf(obj, sizeof(obj), "Pod/%s", a->pod);
  if (!kubelets ||
      !kubelets_set_app_ready(kubelets, "default", a->pod, ready)) {
    world_note(w, false, EVENT_WARNING, obj, "ActionFailed",
               "%s: no container of pod %s is running", action_name(a->kind),
               a->pod);
    return;
  }
  done(w, a, obj,
       ready ? "the app passes its readiness probe again"
             : "the app stops passing its readiness probe");
}

static void do_fail_readiness(struct world *w, const struct action *a)
{
  set_readiness(w, a, false);
}

static void do_restore_readiness(struct world *w, const struct action *a)
{
  set_readiness(w, a, true);
}

/* --- control-plane faults
 * ----------------------------------------------------- */

static void do_api_errors(struct world *w, const struct action *a)
{
  static const struct {
    const char *name;
    enum api_fault_kind kind;
  } kinds[] = {
      {"conflict", API_FAULT_CONFLICT},
      {"unavailable", API_FAULT_UNAVAILABLE},
      {"timeout", API_FAULT_TIMEOUT},
      {"timeout-applied", API_FAULT_TIMEOUT_APPLIED},
  };
  enum api_fault_kind k = API_FAULT_UNAVAILABLE;
  simtime now = engine_now(w->engine);
  char what[256], dur[32];

  for (size_t i = 0; a->error && i < sizeof(kinds) / sizeof(kinds[0]); i++)
    if (!strcmp(a->error, kinds[i].name))
      k = kinds[i].kind;
  api_add_write_fault(w->api, k, a->fraction, now, now + a->duration,
                      a->component);
  sim_format_duration(a->duration, dur, sizeof(dur));
  snprintf(what, sizeof(what), "%.0f%% of writes%s%s fail (%s) for %s",
           a->fraction * 100, a->component ? " by " : "",
           a->component ? a->component : "",
           a->error ? a->error : "unavailable", dur);
  done(w, a, "APIServer/kube-apiserver", what);
}

/*
 * restart-controller: a new kube-controller-manager process for the
 * StatefulSet controller - caches dropped and relisted, queue and rate
 * limiter empty, no sync until the caches have synced again.
 */
static void do_restart_controller(struct world *w, const struct action *a)
{
  void *ctl = world_component(w, CTL_COMPONENT);
  char obj[300];

  snprintf(obj, sizeof(obj), "Component/%s", CTL_COMPONENT);
  (void)a;
  SIM_ASSERT(ctl);
  ctl_restart(ctl);
  done(w, a, obj, "restarted: caches dropped, relisting");
}

static void restore_delay(struct engine *e, uint64_t subject, uint64_t arg,
                          void *ctx)
{
  struct world *w = ctx;
  const struct action *a = &w->s->actions[subject];

  (void)e;
  (void)arg;
  api_set_component_delay(w->api, a->component,
                          w->s->timings.v[TIMING_WATCH_DELAY]);
  world_note(w, false, EVENT_NORMAL,
             arena_printf(&w->arena, "Component/%s", a->component), "Action",
             "watch-delay: caches are current again");
}

/* watch-delay: for a while, a component's caches see changes late. */
static void do_watch_delay(struct world *w, const struct action *a)
{
  char obj[300], what[128], d1[32], d2[32];

  snprintf(obj, sizeof(obj), "Component/%s", a->component);
  if (!api_set_component_delay(w->api, a->component, a->delay)) {
    world_note(w, false, EVENT_WARNING, obj, "ActionFailed",
               "watch-delay: no component named '%s' watches anything",
               a->component);
    return;
  }
  engine_schedule(w->engine, engine_now(w->engine) + a->duration, PHASE_FAULT,
                  "watch-delay-end", restore_delay,
                  (uint64_t)(a - w->s->actions), 0, w);
  sim_format_duration(a->delay, d1, sizeof(d1));
  sim_format_duration(a->duration, d2, sizeof(d2));
  snprintf(what, sizeof(what), "caches lag by %s for %s", d1, d2);
  done(w, a, obj, what);
}

/* Executors by kind; a NULL entry is an action not built yet. */
static action_exec_fn *const executors[ACTION_COUNT] = {
    [ACTION_SCALE] = do_scale,
    [ACTION_SET_IMAGE] = do_set_image,
    [ACTION_APPLY] = do_apply,
    [ACTION_DELETE_POD] = do_delete_pod,
    [ACTION_DELETE_STATEFULSET] = do_delete_statefulset,
    [ACTION_DELETE_PVC] = do_delete_pvc,
    [ACTION_FAIL_READINESS] = do_fail_readiness,
    [ACTION_RESTORE_READINESS] = do_restore_readiness,
    [ACTION_API_ERRORS] = do_api_errors,
    [ACTION_RESTART_CONTROLLER] = do_restart_controller,
    [ACTION_WATCH_DELAY] = do_watch_delay,
    [ACTION_DRAIN_NODE] = world__do_drain,
    [ACTION_PATCH] = world__do_patch,
    [ACTION_CRASH_NODE] = world__do_crash_node,
    [ACTION_RESTART_NODE] = world__do_restart_node,
    [ACTION_PARTITION_NODE] = world__do_partition_node,
    [ACTION_HEAL_NODE] = world__do_heal_node,
    [ACTION_SHUTDOWN_NODE] = world__do_shutdown_node,
    [ACTION_DELETE_NODE] = world__do_delete_node,
    [ACTION_ADD_NODE] = world__do_add_node,
    [ACTION_CORDON_NODE] = world__do_cordon_node,
    [ACTION_UNCORDON_NODE] = world__do_uncordon_node,
    [ACTION_TAINT_NODE] = world__do_taint_node,
    [ACTION_UNTAINT_NODE] = world__do_untaint_node,
};

bool world_action_supported(enum action_kind k)
{
  return (unsigned)k < ACTION_COUNT && executors[k] != NULL;
}

static void run_action(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct world *w = ctx;
  const struct action *a = &w->s->actions[subject];

  (void)e;
  (void)arg;
  executors[a->kind](w, a);
  /* liveness.converges needs to know when each fault's effect ends: the
   * end of its window, or when a crash or partition with `for` heals. */
  simtime until = engine_now(w->engine);
  if (a->duration > 0 &&
      (a->kind == ACTION_API_ERRORS || a->kind == ACTION_WATCH_DELAY ||
       a->kind == ACTION_CRASH_NODE || a->kind == ACTION_PARTITION_NODE))
    until += a->duration;
  props_note_action(w->props, a, until);
}

void world__actions_schedule(struct world *w)
{
  w->when_fired =
      xcalloc(w->s->actions_nr ? w->s->actions_nr : 1, sizeof(bool));
  for (size_t i = 0; i < w->s->actions_nr; i++) {
    const struct action *a = &w->s->actions[i];
    if (!executors[a->kind])
      SIM_BUG("action '%s' reached the scheduler unsupported",
              action_name(a->kind));
    if (a->at == SIMTIME_NEVER)
      continue; /* `when` actions fire from the write hook */
    engine_schedule(w->engine, a->at, PHASE_FAULT, action_name(a->kind),
                    run_action, i, 0, w);
    if (a->at > w->horizon)
      w->horizon = a->at;
  }
}

static bool pod_state_holds(const struct object *pod, enum watch_type t,
                            enum when_state s)
{
  if (s == WHEN_DELETED)
    return t == WATCH_DELETED;
  if (t == WATCH_DELETED)
    return false;
  switch (s) {
  case WHEN_READY:
    return pod->u.pod.status.ready.status == COND_TRUE;
  case WHEN_RUNNING:
    return pod->u.pod.status.phase == POD_RUNNING;
  case WHEN_TERMINATING:
    return meta_is_deleting(&pod->meta);
  case WHEN_PENDING:
    return pod->u.pod.status.phase == POD_PENDING;
  case WHEN_SCHEDULED:
    return pod->u.pod.spec.node_name && *pod->u.pod.spec.node_name;
  default:
    return false;
  }
}

void world__actions_write(struct world *w, enum watch_type t,
                          const struct object *old, const struct object *now)
{
  const struct object *o = now ? now : old;

  if (o->kind != KIND_POD)
    return;
  for (size_t i = 0; i < w->s->actions_nr; i++) {
    const struct action *a = &w->s->actions[i];
    if (a->at != SIMTIME_NEVER || w->when_fired[i] || !a->when_pod ||
        strcmp(a->when_pod, o->meta.name) ||
        !pod_state_holds(o, t, a->when_becomes))
      continue;
    /* A `when` action fires once, the first time its condition holds;
     * it runs as its own event so it never acts inside another write. */
    w->when_fired[i] = true;
    engine_schedule(w->engine, engine_now(w->engine) + a->after, PHASE_FAULT,
                    action_name(a->kind), run_action, i, 0, w);
  }
}
