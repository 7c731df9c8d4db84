/*
 * podgc.c - the pod garbage collector of kube-controller-manager
 * (pkg/controller/podgc), client "pod-garbage-collector"
 * (cluster-behaviour.md 2.7-2.9, 10).
 *
 * Informers on Pods and Nodes. Every podGCPeriod (20 s, a grid from when
 * the caches sync) a pass over the cached pods, in upstream's order:
 *
 * - gcTerminated: when more than --terminated-pod-gc-threshold (12500)
 *   pods are Succeeded or Failed, the oldest go, evicted ones first.
 * - gcTerminating: every pod with a deletionTimestamp on a node that is
 *   not Ready and has the node.kubernetes.io/out-of-service taint (any
 *   effect) - the non-graceful shutdown of 2.7.
 * - gcOrphaned: pods bound to a node the node informer does not know put
 *   that node in a 40 s quarantine (podGCQuarantine; a delaying queue that
 *   keeps the earliest time); at the first pass after it a live GET
 *   confirms the node is gone, and its pods go with the condition
 *   DisruptionTarget (True, DeletionByPodGC, "PodGC: node no longer
 *   exists"). Node deleted to pod gone: 40-60 s (2.8).
 * - gcUnscheduledTerminating: pods with a deletionTimestamp never bound.
 *
 * Each goes the same way (markFailedAndDeletePod): a pod not yet
 * Succeeded or Failed is first patched to phase Failed (with the condition,
 * if any; the pod's uid as precondition), then force-deleted (grace 0).
 * Pod GC records no events (only logs); its decisions are traced.
 *
 * Cost: a pass runs only at a grid tick where it has something to do:
 * handlers schedule the next tick when a pod or node change can give it
 * work (too many terminated pods, a terminating pod on an out-of-service
 * NotReady node or on no node, a pod on an unknown node, a node deleted or
 * tainted out-of-service while not Ready), a pending quarantine schedules
 * the tick at which it ends, and a failed delete the next tick.
 *
 * Simplifications (marked SIMPLIFIED below):
 * - The grid is exact; upstream's wait.Until slides by each pass's
 *   duration, so the quarantine (queued during a pass, 40 s = two periods)
 *   is over at the pass two periods later. Here: over when now >= the
 *   time it was queued + 40 s.
 * - Deletes run one after another at the pass instant (upstream: in
 *   parallel goroutines).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodefail_int.h"

#define PG_WHO "pod-garbage-collector"
/* --terminated-pod-gc-threshold (a count, not in the timings table). */
#define PG_TERMINATED_THRESHOLD 12500

struct pg_quarantine {
  const char *node;
  simtime ready_at;
};

struct podgc {
  struct cluster_env env;
  struct api *api;
  struct engine *engine;
  struct arena *arena;
  struct informer *pods, *nodes;
  simtime origin, period, quarantine;
  simtime last_pass; /* -1: none yet */
  simtime pass_at;
  uint64_t timer;
  bool want;                      /* the next tick has work */
  size_t terminated;              /* cached pods Succeeded or Failed (a hint) */
  VEC(struct pg_quarantine) quar; /* sorted by node name */
  VEC(const struct object *) list;
  VEC(const struct object *) sel;
  VEC(const char *) gone;
};

static simtime now_of(const struct podgc *g)
{
  return engine_now(g->engine);
}

static bool terminated(const struct object *pod)
{
  enum pod_phase p = pod->u.pod.status.phase;

  return p == POD_SUCCEEDED || p == POD_FAILED;
}

static bool bound(const struct object *pod)
{
  return pod->u.pod.spec.node_name && *pod->u.pod.spec.node_name;
}

static bool deleting(const struct object *pod)
{
  return pod->meta.deletion_timestamp != SIMTIME_NEVER;
}

/* A node where terminating pods are force-deleted (gcTerminating). */
static bool out_of_service(const struct object *node)
{
  return node && !nf__node_ready(node) &&
         nf__has_taint_key(&node->u.node, NF_TAINT_OUT_OF_SERVICE);
}

/* --- scheduling ---------------------------------------------------------- */

static void gc_pass(struct engine *e, uint64_t subject, uint64_t arg,
                    void *ctx);

static simtime tick(const struct podgc *g, simtime t)
{
  simtime now = now_of(g);
  simtime at = nf__align(g->origin, g->period, t < now ? now : t);

  if (at <= g->last_pass)
    at = g->last_pass + g->period;
  return at;
}

static void plan(struct podgc *g)
{
  simtime at = SIMTIME_NEVER;

  if (g->want)
    at = tick(g, now_of(g));
  for (size_t i = 0; i < g->quar.nr; i++) {
    simtime t = tick(g, g->quar.v[i].ready_at);
    if (t < at)
      at = t;
  }
  if (at == g->pass_at && g->timer)
    return;
  if (g->timer)
    engine_cancel(g->engine, g->timer);
  g->timer = 0;
  g->pass_at = at;
  if (at != SIMTIME_NEVER)
    g->timer = engine_schedule(g->engine, at, PHASE_CONTROLLER, "podgc",
                               gc_pass, 0, 0, g);
}

static void want_pass(struct podgc *g)
{
  if (g->want)
    return;
  g->want = true;
  plan(g);
}

/* --- the quarantine (a delaying queue of node names) --------------------- */

static size_t quar_pos(const struct podgc *g, const char *node, bool *found)
{
  size_t lo = 0, hi = g->quar.nr;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = strcmp(node, g->quar.v[mid].node);
    if (!r) {
      *found = true;
      return mid;
    }
    if (r < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  *found = false;
  return lo;
}

/* AddAfter: a node already waiting keeps the earlier time. */
static void quar_add(struct podgc *g, const char *node, simtime at)
{
  bool found;
  size_t i = quar_pos(g, node, &found);

  if (found) {
    if (at < g->quar.v[i].ready_at)
      g->quar.v[i].ready_at = at;
    return;
  }
  VEC_GROW(&g->quar, g->quar.nr + 1);
  memmove(&g->quar.v[i + 1], &g->quar.v[i],
          (g->quar.nr - i) * sizeof(g->quar.v[0]));
  g->quar.v[i] = (struct pg_quarantine){node, at};
  g->quar.nr++;
}

/* --- markFailedAndDeletePod ---------------------------------------------- */

struct pg_patch {
  simtime now;
  bool condition; /* DisruptionTarget DeletionByPodGC */
};

static bool patch_failed(struct object *o, void *ctx)
{
  const struct pg_patch *p = ctx;
  struct pod_status *st = &o->u.pod.status;

  st->phase = POD_FAILED;
  if (p->condition) {
    struct condition *cd = &st->disruption_target;
    simtime tt = cd->status == COND_TRUE ? cd->last_transition_time : p->now;
    *cd = (struct condition){.status = COND_TRUE,
                             .last_transition_time = tt,
                             .reason = "DeletionByPodGC",
                             .message = "PodGC: node no longer exists"};
  }
  return true;
}

static bool mark_failed_and_delete(struct podgc *g, const struct object *pod,
                                   bool condition, const char *why)
{
  const char *ns = pod->meta.namespace_, *name = pod->meta.name;
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  enum api_status st;
  char obj[300];

  snprintf(obj, sizeof(obj), "Pod/%s", name);
  if (!terminated(pod)) {
    struct pg_patch p = {now_of(g), condition};
    st = api_patch(g->api, PG_WHO, KIND_POD, ns, name, pod->meta.uid,
                   patch_failed, &p, NULL);
    if (st != API_OK)
      goto failed;
  }
  o.grace_seconds = 0;
  st = api_delete(g->api, PG_WHO, KIND_POD, ns, name, &o);
  if (st != API_OK)
    goto failed;
  cluster_note(&g->env, obj, "PodGC", "%s: force-deleted", why);
  return true;
failed:
  if (st == API_NOT_FOUND)
    return true; /* gone already ("ignore not founds") */
  cluster_note(&g->env, obj, "PodGCFailed", "%s: force delete failed: %s", why,
               api_status_name(st));
  return false;
}

/* --- the pass ------------------------------------------------------------ */

static bool collect(const struct object *o, void *ctx)
{
  struct podgc *g = ctx;

  VEC_PUSH(&g->list, o);
  return true;
}

static bool evicted(const struct object *pod)
{
  const char *r = pod->u.pod.status.reason;

  return pod->u.pod.status.phase == POD_FAILED && r && !strcmp(r, "Evicted");
}

/* byEvictionAndCreationTimestamp, then namespace for a total order. */
static int by_eviction_and_creation(const void *pa, const void *pb)
{
  const struct object *a = *(const struct object *const *)pa;
  const struct object *b = *(const struct object *const *)pb;
  int r;

  if (evicted(a) != evicted(b))
    return evicted(a) ? -1 : 1;
  if (a->meta.creation_timestamp != b->meta.creation_timestamp)
    return a->meta.creation_timestamp < b->meta.creation_timestamp ? -1 : 1;
  r = strcmp(a->meta.name, b->meta.name);
  return r ? r : strcmp(a->meta.namespace_, b->meta.namespace_);
}

static bool in_gone(const struct podgc *g, const char *node)
{
  for (size_t i = 0; i < g->gone.nr; i++)
    if (!strcmp(g->gone.v[i], node))
      return true;
  return false;
}

static void gc_pass(struct engine *e, uint64_t subject, uint64_t arg, void *ctx)
{
  struct podgc *g = ctx;
  simtime now = engine_now(e);
  bool failed = false;
  char why[300];

  (void)subject;
  (void)arg;
  g->timer = 0;
  g->pass_at = SIMTIME_NEVER;
  g->want = false;
  g->last_pass = now;
  g->list.nr = 0;
  informer_list(g->pods, NULL, NULL, collect, g);

  /* gcTerminated */
  g->sel.nr = 0;
  for (size_t i = 0; i < g->list.nr; i++)
    if (terminated(g->list.v[i]))
      VEC_PUSH(&g->sel, g->list.v[i]);
  g->terminated = g->sel.nr;
  if (g->sel.nr > PG_TERMINATED_THRESHOLD) {
    size_t n = g->sel.nr - PG_TERMINATED_THRESHOLD;
    qsort(g->sel.v, g->sel.nr, sizeof(g->sel.v[0]), by_eviction_and_creation);
    for (size_t i = 0; i < n; i++)
      if (!mark_failed_and_delete(g, g->sel.v[i], false,
                                  "more terminated pods than the threshold"))
        failed = true;
  }

  /* gcTerminating */
  g->sel.nr = 0;
  for (size_t i = 0; i < g->list.nr; i++) {
    const struct object *pod = g->list.v[i];
    if (!deleting(pod) || !bound(pod))
      continue;
    if (out_of_service(informer_get(g->nodes, "", pod->u.pod.spec.node_name)))
      VEC_PUSH(&g->sel, pod);
  }
  if (g->sel.nr)
    qsort(g->sel.v, g->sel.nr, sizeof(g->sel.v[0]), by_eviction_and_creation);
  /* SIMPLIFIED: one after another (upstream: a goroutine each). */
  for (size_t i = 0; i < g->sel.nr; i++) {
    snprintf(why, sizeof(why),
             "terminating on node %s, which is not Ready and has the %s "
             "taint",
             g->sel.v[i]->u.pod.spec.node_name, NF_TAINT_OUT_OF_SERVICE);
    if (!mark_failed_and_delete(g, g->sel.v[i], false, why))
      failed = true;
  }

  /* gcOrphaned: quarantine unknown nodes, then confirm the due ones. */
  for (size_t i = 0; i < g->list.nr; i++) {
    const struct object *pod = g->list.v[i];
    const char *node = pod->u.pod.spec.node_name;
    if (bound(pod) && !informer_get(g->nodes, "", node))
      quar_add(g, node, now + g->quarantine);
  }
  g->gone.nr = 0;
  size_t keep = 0;
  for (size_t i = 0; i < g->quar.nr; i++) {
    struct pg_quarantine q = g->quar.v[i];
    /* SIMPLIFIED: >= rather than after, see the file comment. */
    if (q.ready_at > now) {
      g->quar.v[keep++] = q;
      continue;
    }
    /* A live GET makes sure the node is really gone. */
    if (!informer_get(g->nodes, "", q.node) &&
        !api_get(g->api, KIND_NODE, "", q.node))
      VEC_PUSH(&g->gone, q.node);
  }
  g->quar.nr = keep;
  for (size_t i = 0; g->gone.nr && i < g->list.nr; i++) {
    const struct object *pod = g->list.v[i];
    if (!bound(pod) || !in_gone(g, pod->u.pod.spec.node_name))
      continue;
    snprintf(why, sizeof(why), "node %s no longer exists",
             pod->u.pod.spec.node_name);
    if (!mark_failed_and_delete(g, pod, true, why))
      failed = true;
  }

  /* gcUnscheduledTerminating */
  for (size_t i = 0; i < g->list.nr; i++) {
    const struct object *pod = g->list.v[i];
    if (deleting(pod) && !bound(pod) &&
        !mark_failed_and_delete(g, pod, false,
                                "terminating and never scheduled"))
      failed = true;
  }

  /* A failed delete is found again by the next pass. */
  g->want = failed;
  plan(g);
}

/* --- informer handlers --------------------------------------------------- */

/* Whether a pass would have work for this pod as it is now. */
static bool pod_work(const struct podgc *g, const struct object *pod)
{
  const struct object *node;

  if (!bound(pod))
    return deleting(pod);
  node = informer_get(g->nodes, "", pod->u.pod.spec.node_name);
  if (!node)
    return true; /* orphaned: quarantine */
  return deleting(pod) && out_of_service(node);
}

static void on_pod(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct podgc *g = ctx;

  (void)inf;
  if (old && terminated(old) && g->terminated)
    g->terminated--;
  if (t != WATCH_DELETED && terminated(now))
    g->terminated++;
  if (g->terminated > PG_TERMINATED_THRESHOLD)
    want_pass(g);
  if (t != WATCH_DELETED && pod_work(g, now))
    want_pass(g);
}

static void on_node(struct informer *inf, enum watch_type t,
                    const struct object *old, const struct object *now,
                    void *ctx)
{
  struct podgc *g = ctx;

  (void)inf;
  if (t == WATCH_DELETED) {
    want_pass(g); /* its pods, if any, are orphaned now */
    return;
  }
  if (out_of_service(now) && (!old || !out_of_service(old)))
    want_pass(g);
}

/* --- the component ------------------------------------------------------- */

void *podgc_start(const struct cluster_env *env)
{
  struct podgc *g = xcalloc(1, sizeof(*g));
  const struct timings *tm = &env->s->timings;
  simtime delay = tm->v[TIMING_WATCH_DELAY];

  g->env = *env;
  g->api = env->api;
  g->engine = api_engine(env->api);
  g->arena = api_arena(env->api);
  g->period = tm->v[TIMING_PODGC_PERIOD];
  g->quarantine = tm->v[TIMING_PODGC_QUARANTINE];
  SIM_ASSERT(g->period > 0);
  /* The loop starts once the caches have synced (the first LIST). */
  g->origin = engine_now(g->engine) + delay;
  g->last_pass = -1;
  g->pass_at = SIMTIME_NEVER;
  g->nodes = informer_new(g->api, KIND_NODE, PG_WHO, delay);
  g->pods = informer_new(g->api, KIND_POD, PG_WHO, delay);
  informer_add_handler(g->nodes, on_node, g);
  informer_add_handler(g->pods, on_pod, g);
  return g;
}

void podgc_stop(void *state)
{
  struct podgc *g = state;

  if (!g)
    return;
  /* No engine calls: the engine may be freed already. */
  free(g->quar.v);
  free(g->list.v);
  free(g->sel.v);
  free(g->gone.v);
  free(g);
}
