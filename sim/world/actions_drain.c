/*
 * actions_drain.c - the drain-node action: what `kubectl drain NODE
 * --ignore-daemonsets --delete-emptydir-data` does (k8s.io/kubectl/pkg/
 * drain, reference cluster-behaviour.md 6.3), one timeline line per step
 * in kubectl's own words:
 *
 * 1. Cordon: spec.unschedulable = true ("node/X cordoned", or "already
 *    cordoned"). A node that does not exist fails the action.
 * 2. List the node's pods (a live LIST, as kubectl's) and filter them as
 *    kubectl does, in its order: DaemonSet-managed pods are skipped with a
 *    warning (--ignore-daemonsets), mirror (static) pods are skipped,
 *    pods with emptyDir volumes are evicted with a warning
 *    (--delete-emptydir-data), and a running pod without a controller
 *    stops the drain before anything is evicted ("cannot delete Pods
 *    declare no controller (use --force to override)": --force is not
 *    assumed). The node stays cordoned then.
 * 3. Evict every remaining pod at once through the eviction subresource
 *    (api_evict, grace: the pod's own, as --grace-period -1). A 429 (a
 *    PodDisruptionBudget refuses) is retried every drainRetry (5 s) for
 *    ever ("error when evicting pods/... (will retry after 5s): ...");
 *    404 counts as done; any other error fails that pod (and so the
 *    drain, once the others are done).
 * 4. Wait for each evicted pod to be gone, or replaced by a pod of the
 *    same name with another uid, polling every second ("pod/X evicted"),
 *    then "node/X drained".
 *
 * Cost: the retries and polls are not an event per period. The answer of
 * an eviction depends only on the stored pod and the PDBs of its
 * namespace, so a blocked pod is retried at the first 5-second point
 * after one of those is written (earlier retries would have been refused
 * the same way, and a refusal writes nothing); an evicted pod is looked
 * at again at the first 1-second poll after its deletion. A write hook
 * (one per drain) notices those writes. The timeline counts the
 * retries that were skipped ("(xN)") as kubectl would have printed them.
 *
 * SIMPLIFIED: kubectl's --timeout and --skip-wait-for-delete-timeout are
 * not modelled (the loader takes no parameter for them: both are 0, i.e.
 * wait for ever); DaemonSets are not a modelled kind, so a pod whose
 * controller is a DaemonSet is skipped without checking that the
 * DaemonSet exists. kubectl prints "evicting pod" before every retry; the
 * timeline says it once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "world_int.h"

#define WHO_KUBECTL "kubectl"
#define DRAIN_POLL SIM_SEC(1) /* waitForDelete's interval */
#define ANN_MIRROR "kubernetes.io/config.mirror"

enum dp_state {
  DP_EVICTING = 0,
  DP_BLOCKED, /* refused with 429: retried after a relevant write */
  DP_WAITING, /* evicted: waiting for the pod to go */
  DP_DONE,
  DP_FAILED,
};

struct drain;

struct drain_pod {
  struct drain *d;
  const char *ns, *name;
  uint64_t uid; /* the pod as listed: waitForDelete compares uids */
  enum dp_state state;
  simtime origin; /* first 429 (retry grid) or the eviction (poll grid) */
  uint64_t handle;
  simtime handle_at;
  const char *last_msg; /* the last 429 message put on the timeline */
};

struct drain {
  struct world__drain_env env;
  struct engine *engine;
  struct arena *arena;
  const char *node;
  struct drain_pod *pods;
  size_t nr, left;
  const char *errors; /* "; "-joined fatal errors, or NULL */
  bool finished;
};

static void line(struct drain *d, bool verbose, enum event_type type,
                 const char *object, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void line(struct drain *d, bool verbose, enum event_type type,
                 const char *object, const char *fmt, ...)
{
  va_list ap;
  char buf[768];

  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  d->env.line(d->env.ctx, verbose, type, object, "Drain", buf);
}

static const char *pod_obj(struct drain_pod *p)
{
  return arena_printf(p->d->arena, "Pod/%s", p->name);
}

static const char *node_obj(struct drain *d)
{
  return arena_printf(d->arena, "Node/%s", d->node);
}

static void add_error(struct drain *d, const char *msg)
{
  d->errors = d->errors ? arena_printf(d->arena, "%s; %s", d->errors, msg)
                        : arena_strdup(d->arena, msg);
}

/* --- the end -------------------------------------------------------------- */

static void finish_drain(struct drain *d)
{
  d->finished = true;
  if (d->errors)
    line(d, false, EVENT_WARNING, node_obj(d),
         "There are pending nodes to be drained: %s; error: %s", d->node,
         d->errors);
  else
    line(d, false, EVENT_NORMAL, node_obj(d), "node/%s drained", d->node);
}

static void finish_pod(struct drain_pod *p, enum dp_state st, bool evicted)
{
  struct drain *d = p->d;

  p->state = st;
  if (p->handle)
    engine_cancel(d->engine, p->handle);
  p->handle = 0;
  if (evicted)
    line(d, false, EVENT_NORMAL, pod_obj(p), "pod/%s evicted", p->name);
  SIM_ASSERT(d->left > 0);
  if (!--d->left)
    finish_drain(d);
}

/* --- evicting and waiting ------------------------------------------------- */

static void pod_timer(struct engine *e, uint64_t subject, uint64_t arg,
                      void *ctx);

/* The first point of p's grid (origin + k * step) after now. */
static void schedule_next(struct drain_pod *p, simtime step)
{
  struct drain *d = p->d;
  simtime now = engine_now(d->engine);
  simtime at = p->origin + step * ((now - p->origin) / step + 1);

  if (p->handle && p->handle_at <= at)
    return;
  if (p->handle)
    engine_cancel(d->engine, p->handle);
  p->handle_at = at;
  p->handle =
      engine_schedule(d->engine, at, PHASE_FAULT,
                      p->state == DP_BLOCKED ? "drain-retry" : "drain-poll",
                      pod_timer, 0, 0, p);
}

/* waitForDelete's check: gone, or a new pod under the same name. */
static bool pod_gone(struct drain_pod *p)
{
  const struct object *o = api_get(p->d->env.api, KIND_POD, p->ns, p->name);

  return !o || o->meta.uid != p->uid;
}

static void refused(struct drain_pod *p, const char *msg)
{
  struct drain *d = p->d;
  simtime now = engine_now(d->engine), step = d->env.retry;
  char dur[32];

  sim_format_duration(step, dur, sizeof(dur));
  if (p->state != DP_BLOCKED) {
    p->state = DP_BLOCKED;
    p->origin = now;
  }
  if (!p->last_msg || strcmp(p->last_msg, msg)) {
    p->last_msg = arena_strdup(d->arena, msg);
    line(d, false, EVENT_WARNING, pod_obj(p),
         "error when evicting pods/\"%s\" -n \"%s\" (will retry after %s): "
         "%s",
         p->name, p->ns, dur, msg);
  } else {
    /* The same refusal again: kubectl printed it at every retry since. */
    line(d, true, EVENT_WARNING, pod_obj(p),
         "error when evicting pods/\"%s\" -n \"%s\" (will retry after %s): "
         "%s (x%lld)",
         p->name, p->ns, dur, msg, (long long)((now - p->origin) / step + 1));
  }
}

static void attempt(struct drain_pod *p)
{
  struct drain *d = p->d;
  struct api_eviction_result res;
  enum api_status st;

  if (p->state == DP_EVICTING)
    line(d, false, EVENT_NORMAL, pod_obj(p), "evicting pod %s/%s", p->ns,
         p->name);
  st = api_evict_ex(d->env.api, WHO_KUBECTL, p->ns, p->name, -1, &res);
  switch (st) {
  case API_OK:
    p->state = DP_WAITING;
    p->origin = engine_now(d->engine);
    if (pod_gone(p)) /* PollImmediate */
      finish_pod(p, DP_DONE, true);
    return;
  case API_NOT_FOUND:
    finish_pod(p, DP_DONE, false);
    return;
  case API_TOO_MANY:
    refused(p, api_last_error(d->env.api));
    return;
  default: {
    const char *msg =
        arena_printf(d->arena, "error when evicting pods/\"%s\" -n \"%s\": %s",
                     p->name, p->ns, api_last_error(d->env.api));
    line(d, false, EVENT_WARNING, pod_obj(p), "%s", msg);
    add_error(d, msg);
    finish_pod(p, DP_FAILED, false);
    return;
  }
  }
}

static void pod_timer(struct engine *e, uint64_t subject, uint64_t arg,
                      void *ctx)
{
  struct drain_pod *p = ctx;

  (void)e;
  (void)subject;
  (void)arg;
  p->handle = 0;
  if (p->state == DP_BLOCKED)
    attempt(p);
  else if (p->state == DP_WAITING && pod_gone(p))
    finish_pod(p, DP_DONE, true);
}

/*
 * A write to the store: a blocked pod may now be evictable (its pod or a
 * PDB of its namespace changed); a pod waited for may be gone. Only
 * engine events are scheduled here (no writes inside a write hook).
 */
static void on_write(enum watch_type t, const struct object *old,
                     const struct object *now, void *ctx)
{
  struct drain *d = ctx;
  const struct object *o = now ? now : old;

  if (d->finished || (o->kind != KIND_POD && o->kind != KIND_PDB))
    return;
  for (size_t i = 0; i < d->nr; i++) {
    struct drain_pod *p = &d->pods[i];
    if (strcmp(p->ns, o->meta.namespace_))
      continue;
    if (p->state == DP_BLOCKED &&
        (o->kind == KIND_PDB || !strcmp(p->name, o->meta.name)))
      schedule_next(p, d->env.retry);
    else if (p->state == DP_WAITING && o->kind == KIND_POD &&
             t == WATCH_DELETED && o->meta.uid == p->uid)
      schedule_next(p, DRAIN_POLL);
  }
}

/* --- cordon and the pod filters ------------------------------------------- */

static bool set_unschedulable(struct object *o, void *ctx)
{
  (void)ctx;
  if (o->u.node.unschedulable)
    return false;
  o->u.node.unschedulable = true;
  return true;
}

struct listing {
  struct drain *d;
  VEC(const struct object *) evict;
  const char *daemonsets, *local, *unmanaged; /* "ns/a, ns/b" or NULL */
};

static void list_add(struct arena *a, const char **l, const struct object *o)
{
  *l = *l ? arena_printf(a, "%s, %s/%s", *l, o->meta.namespace_, o->meta.name)
          : arena_printf(a, "%s/%s", o->meta.namespace_, o->meta.name);
}

static bool has_empty_dir(const struct object *pod)
{
  for (size_t i = 0; i < pod->u.pod.spec.volumes_nr; i++)
    if (pod->u.pod.spec.volumes[i].source == VOLSRC_EMPTYDIR)
      return true;
  return false;
}

/* makeFilters, in order: deleted (off), DaemonSet, mirror, local storage,
 * unreplicated. */
static bool filter_pod(const struct object *o, void *ctx)
{
  struct listing *l = ctx;
  struct arena *a = l->d->arena;
  const struct owner_ref *ref = meta_controller_ref(&o->meta);
  enum pod_phase ph = o->u.pod.status.phase;
  bool terminal = ph == POD_SUCCEEDED || ph == POD_FAILED;

  if (!o->u.pod.spec.node_name || strcmp(o->u.pod.spec.node_name, l->d->node))
    return true;
  if (ref && ref->kind && !strcmp(ref->kind, "DaemonSet")) {
    list_add(a, &l->daemonsets, o);
    return true;
  }
  if (kv_get(&o->meta.annotations, ANN_MIRROR))
    return true;
  if (!terminal && has_empty_dir(o))
    list_add(a, &l->local, o);
  if (!terminal && !ref) {
    list_add(a, &l->unmanaged, o);
    return true;
  }
  VEC_PUSH(&l->evict, o);
  return true;
}

void world__drain(const struct world__drain_env *env, const char *node)
{
  struct drain *d = arena_calloc(api_arena(env->api), 1, sizeof(*d));
  struct listing l = {.d = d};
  const struct object *n;

  d->env = *env;
  d->engine = api_engine(env->api);
  d->arena = api_arena(env->api);
  d->node = arena_strdup(d->arena, node);
  n = api_get(env->api, KIND_NODE, "", node);
  if (!n) {
    line(d, false, EVENT_WARNING, node_obj(d),
         "drain-node: Error from server (NotFound): nodes \"%s\" not found",
         node);
    return;
  }
  if (n->u.node.unschedulable) {
    line(d, false, EVENT_NORMAL, node_obj(d), "node/%s already cordoned", node);
  } else if (api_patch(env->api, WHO_KUBECTL, KIND_NODE, "", node, 0,
                       set_unschedulable, NULL, NULL) != API_OK) {
    line(d, false, EVENT_WARNING, node_obj(d),
         "drain-node: Error from server: %s", api_last_error(env->api));
    return;
  } else {
    line(d, false, EVENT_NORMAL, node_obj(d), "node/%s cordoned", node);
  }
  api_list(env->api, KIND_POD, NULL, NULL, filter_pod, &l);
  if (l.unmanaged) {
    /* GetPodsForDeletion's errors: nothing is evicted. */
    add_error(d, arena_printf(d->arena,
                              "cannot delete Pods declare no controller (use "
                              "--force to override): %s",
                              l.unmanaged));
    free(l.evict.v);
    finish_drain(d);
    return;
  }
  if (l.daemonsets || l.local)
    line(d, false, EVENT_WARNING, node_obj(d), "Warning: %s%s%s%s%s",
         l.daemonsets ? "ignoring DaemonSet-managed Pods: " : "",
         l.daemonsets ? l.daemonsets : "", l.daemonsets && l.local ? "; " : "",
         l.local ? "deleting Pods with local storage: " : "",
         l.local ? l.local : "");
  d->nr = d->left = l.evict.nr;
  d->pods = arena_calloc(d->arena, d->nr ? d->nr : 1, sizeof(*d->pods));
  for (size_t i = 0; i < d->nr; i++) {
    const struct object *o = l.evict.v[i];
    d->pods[i] = (struct drain_pod){.d = d,
                                    .ns = o->meta.namespace_,
                                    .name = o->meta.name,
                                    .uid = o->meta.uid};
  }
  free(l.evict.v);
  if (!d->nr) {
    finish_drain(d);
    return;
  }
  api_add_write_hook(env->api, on_write, d);
  /* kubectl evicts the pods in parallel: here one after the other in
   * the same instant, in LIST order. */
  for (size_t i = 0; i < d->nr; i++)
    attempt(&d->pods[i]);
}

/* --- the action ----------------------------------------------------------- */

static void timeline_line(void *ctx, bool verbose, enum event_type type,
                          const char *object, const char *reason,
                          const char *msg)
{
  world_note(ctx, verbose, type, object, reason, "%s", msg);
}

void world__do_drain(struct world *w, const struct action *a)
{
  struct world__drain_env env = {w->api, w->s->timings.v[TIMING_DRAIN_RETRY],
                                 timeline_line, w};
  const char *node = a->node;

  if (!strncmp(node, "@pod:", 5)) {
    const struct object *p = api_get(w->api, KIND_POD, "default", node + 5);
    if (!p || !p->u.pod.spec.node_name) {
      world_note(w, false, EVENT_WARNING,
                 arena_printf(&w->arena, "Pod/%s", node + 5), "ActionFailed",
                 "drain-node: pod %s is not on a node", node + 5);
      return;
    }
    node = p->u.pod.spec.node_name;
  }
  world__drain(&env, node);
}
