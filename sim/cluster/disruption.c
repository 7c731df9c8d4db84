/*
 * disruption.c - the disruption controller of kube-controller-manager
 * (pkg/controller/disruption): keeps each PodDisruptionBudget's status -
 * expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed,
 * disruptedPods, observedGeneration - in line with the pods it selects,
 * which is what the eviction subresource (sim/apiserver/eviction.c)
 * decides from. Reference cluster-behaviour.md 6.2.
 *
 * A sync of one PDB (trySync):
 *   pods           = the pods of its namespace its selector matches (an
 *                    empty selector matches all, as policy/v1), terminating
 *                    and terminal ones included
 *   expectedPods,  minAvailable N:  N, and the number of pods;
 *   desiredHealthy minAvailable P%: ceil(P% of the scale), the scale;
 *                  maxUnavailable:  scale - ceil-scaled maxUnavailable
 *                                   (at least 0), the scale;
 *                  neither set:     0 and 0
 *     where the scale is the sum of spec.replicas over the controllers of
 *     the pods (StatefulSets; pods without a controller are "unmanaged":
 *     left out, with an UnmanagedPods warning; a controller of a kind
 *     stsim does not model, or one that is gone, fails the sync)
 *   disruptedPods  = the entries of the status whose pod still exists and
 *                    is not deleting, and whose 2 minutes (timing
 *                    pdbDeletionTimeout, upstream's DeletionTimeout) have
 *                    not passed; an expired one gets a NotDeleted warning
 *                    on the pod; the PDB is synced again when the next
 *                    entry expires
 *   currentHealthy = pods that are Ready, not deleting and not in
 *                    disruptedPods
 *   disruptionsAllowed = currentHealthy - desiredHealthy, 0 if negative
 *                    or when expectedPods is 0
 * The status is written (an update with the cached resourceVersion) only
 * when it differs or observedGeneration is behind. A conflict is retried
 * with the work queue's back-off; any other failure runs failSafe
 * (disruptionsAllowed 0) and is retried the same way.
 *
 * Triggers: a PDB added or changed; a pod added, changed or deleted
 * enqueues the first PDB (by name) that selects it, with a
 * MultiplePodDisruptionBudgets warning when there are several (upstream
 * picks one "arbitrarily"). Scale changes of a StatefulSet alone do not
 * trigger a sync (upstream has no handler on controllers either); the pods
 * that follow do.
 *
 * Stale DisruptionTarget conditions: a pod that is not deleting and not
 * terminal but carries DisruptionTarget=True (other than the kubelet's
 * TerminationByKubelet) for 2 minutes gets it set to False
 * (stalePodDisruptionTimeout) - an eviction whose delete never happened.
 *
 * SIMPLIFIED: the work queue runs its items at once in the instant they
 * are queued (upstream's workers take them in well under a millisecond);
 * the PDB's DisruptionAllowed condition is not modelled (struct pdb has no
 * conditions); ReplicaSet, Deployment, ReplicationController and
 * scale-subresource finders are not modelled because those kinds are not;
 * the informers' periodic resync (12-24 h) is not modelled.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"

#define DC_COMPONENT "disruption-controller"
/* The controller's event recorder reports as this component upstream. */
#define DC_EVENT_SOURCE "controllermanager"
/* workqueue.DefaultControllerRateLimiter's per-item back-off. */
#define DC_BACKOFF_BASE SIM_MS(5)
#define DC_BACKOFF_MAX SIM_SEC(1000)
/* DefaultStalePodDisruptionTimeout (not a scenario timing). */
#define DC_STALE_CONDITION SIM_MIN(2)

/* One PDB the controller has queued or scheduled work for. */
struct dc_pdb {
  const char *ns, *name;
  bool queued;
  unsigned failures; /* consecutive failed syncs: the back-off */
  uint64_t retry;    /* engine handle: re-queue after back-off or recheck */
  simtime retry_at;
};

/* A pod whose DisruptionTarget condition may turn stale. */
struct dc_stale {
  const char *ns, *name;
  uint64_t handle;
  simtime at;
};

struct dc {
  struct cluster_env env;
  struct api *api;
  struct engine *engine;
  struct arena *arena;
  const struct timings *t;
  struct informer *pods, *pdbs, *sets;
  VEC(struct dc_pdb *) recs;  /* every record, in creation order */
  VEC(struct dc_pdb *) queue; /* FIFO of records with queued set */
  size_t head;
  uint64_t run;                 /* engine handle of the pending queue run */
  VEC(struct dc_stale *) stale; /* pods with a timer */
  /* scratch, reused by every sync */
  VEC(const struct object *) pods_scratch;
  VEC(uint64_t) uids;
  VEC(struct pdb_disrupted_pod) kept;
};

/* --- the work queue ------------------------------------------------------- */

static struct dc_pdb *rec_get(struct dc *dc, const char *ns, const char *name)
{
  struct dc_pdb *r;

  for (size_t i = 0; i < dc->recs.nr; i++)
    if (!strcmp(dc->recs.v[i]->name, name) && !strcmp(dc->recs.v[i]->ns, ns))
      return dc->recs.v[i];
  r = xcalloc(1, sizeof(*r));
  r->ns = ns;
  r->name = name;
  VEC_PUSH(&dc->recs, r);
  return r;
}

static void run_queue(struct engine *e, uint64_t subject, uint64_t arg,
                      void *ctx);

static void enqueue(struct dc *dc, struct dc_pdb *r)
{
  if (r->queued)
    return;
  r->queued = true;
  VEC_PUSH(&dc->queue, r);
  if (!dc->run)
    dc->run =
        engine_schedule(dc->engine, engine_now(dc->engine), PHASE_CONTROLLER,
                        "disruption-sync", run_queue, 0, 0, dc);
}

static void retry_fire(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct dc_pdb *r = ctx;
  struct dc *dc = (struct dc *)(uintptr_t)arg;

  (void)e;
  (void)subject;
  r->retry = 0;
  enqueue(dc, r);
}

/* AddAfter: queue r at `at`, keeping the earliest pending time. */
static void enqueue_at(struct dc *dc, struct dc_pdb *r, simtime at)
{
  if (r->retry && r->retry_at <= at)
    return;
  if (r->retry)
    engine_cancel(dc->engine, r->retry);
  r->retry_at = at;
  r->retry =
      engine_schedule(dc->engine, at, PHASE_CONTROLLER, "disruption-requeue",
                      retry_fire, 0, (uint64_t)(uintptr_t)dc, r);
}

/* AddRateLimited: 5 ms doubling per consecutive failure, up to 1000 s. */
static void requeue_failed(struct dc *dc, struct dc_pdb *r)
{
  simtime d = DC_BACKOFF_BASE;

  for (unsigned i = 0; i < r->failures && d < DC_BACKOFF_MAX; i++)
    d *= 2;
  if (d > DC_BACKOFF_MAX)
    d = DC_BACKOFF_MAX;
  r->failures++;
  enqueue_at(dc, r, engine_now(dc->engine) + d);
}

/* --- the sync ------------------------------------------------------------- */

static const char *pdb_obj(struct dc *dc, const struct object *pdb)
{
  return arena_printf(dc->arena, "PodDisruptionBudget/%s", pdb->meta.name);
}

static bool collect_pod(const struct object *o, void *ctx)
{
  struct dc *dc = ctx;

  VEC_PUSH(&dc->pods_scratch, o);
  return true;
}

static int32_t scaled_up(const struct int_or_percent *v, int32_t total)
{
  /* GetScaledValueFromIntOrPercent(..., roundUp=true) */
  if (!v->is_percent)
    return v->value;
  return (int32_t)(((int64_t)v->value * total + 99) / 100);
}

/*
 * getExpectedScale: the sum of the scale of the pods' controllers, each
 * counted once. Returns false with msg filled when a controller cannot be
 * found; *unmanaged counts pods without one.
 */
static bool expected_scale(struct dc *dc, const char *ns, int32_t *out,
                           size_t *unmanaged, char *msg, size_t n)
{
  int64_t sum = 0;

  dc->uids.nr = 0;
  *unmanaged = 0;
  for (size_t i = 0; i < dc->pods_scratch.nr; i++) {
    const struct object *pod = dc->pods_scratch.v[i];
    const struct owner_ref *ref = meta_controller_ref(&pod->meta);
    const struct object *set;
    bool seen = false;

    if (!ref) {
      (*unmanaged)++;
      continue;
    }
    for (size_t j = 0; j < dc->uids.nr && !seen; j++)
      seen = dc->uids.v[j] == ref->uid;
    if (seen)
      continue;
    set = ref->kind && !strcmp(ref->kind, "StatefulSet")
              ? informer_get(dc->sets, ns, ref->name)
              : NULL;
    if (!set || set->meta.uid != ref->uid) {
      snprintf(msg, n, "found no controllers for pod \"%s\"", pod->meta.name);
      return false;
    }
    VEC_PUSH(&dc->uids, ref->uid);
    sum += set->u.sts.spec.replicas < 0 ? 1 : set->u.sts.spec.replicas;
  }
  *out = sum > INT32_MAX ? INT32_MAX : (int32_t)sum;
  return true;
}

/* getExpectedPodCount. Returns false with msg filled on failure. */
static bool expected_counts(struct dc *dc, const struct object *pdb,
                            int32_t *expected, int32_t *desired,
                            size_t *unmanaged, char *msg, size_t n)
{
  const struct pdb *p = &pdb->u.pdb;
  int32_t scale;

  *expected = *desired = 0;
  *unmanaged = 0;
  if (p->max_unavailable.set) {
    if (!expected_scale(dc, pdb->meta.namespace_, &scale, unmanaged, msg, n))
      return false;
    *expected = scale;
    *desired = scale - scaled_up(&p->max_unavailable, scale);
    if (*desired < 0)
      *desired = 0;
  } else if (p->min_available.set && !p->min_available.is_percent) {
    *desired = p->min_available.value;
    *expected = (int32_t)dc->pods_scratch.nr;
  } else if (p->min_available.set) {
    if (!expected_scale(dc, pdb->meta.namespace_, &scale, unmanaged, msg, n))
      return false;
    *expected = scale;
    *desired = scaled_up(&p->min_available, scale);
  }
  return true;
}

static const struct pdb_disrupted_pod *disrupted_at(const struct pdb *p,
                                                    const char *pod)
{
  for (size_t i = 0; i < p->disrupted_pods_nr; i++)
    if (!strcmp(p->disrupted_pods[i].pod, pod))
      return &p->disrupted_pods[i];
  return NULL;
}

static int cmp_disrupted(const void *a, const void *b)
{
  return strcmp(((const struct pdb_disrupted_pod *)a)->pod,
                ((const struct pdb_disrupted_pod *)b)->pod);
}

/*
 * buildDisruptedPodMap into dc->kept (sorted by pod name, names unique:
 * a total order); returns the earliest expiry of what was kept, or
 * SIMTIME_NEVER.
 */
static simtime build_disrupted(struct dc *dc, const struct object *pdb,
                               simtime now)
{
  const struct pdb *p = &pdb->u.pdb;
  simtime timeout = dc->t->v[TIMING_PDB_DELETION_TIMEOUT];
  simtime recheck = SIMTIME_NEVER;

  dc->kept.nr = 0;
  if (!p->disrupted_pods_nr)
    return recheck;
  for (size_t i = 0; i < dc->pods_scratch.nr; i++) {
    const struct object *pod = dc->pods_scratch.v[i];
    const struct pdb_disrupted_pod *d;
    simtime expected;

    if (meta_is_deleting(&pod->meta))
      continue;
    d = disrupted_at(p, pod->meta.name);
    if (!d)
      continue;
    expected = d->at + timeout;
    if (expected < now) {
      /* Upstream prints the PDB's namespace twice (sic). */
      api_record_event(dc->api, DC_EVENT_SOURCE, pod, EVENT_WARNING,
                       "NotDeleted",
                       "Pod was expected by PDB %s/%s to be deleted but it "
                       "wasn't",
                       pdb->meta.namespace_, pdb->meta.namespace_);
      continue;
    }
    if (expected < recheck)
      recheck = expected;
    VEC_PUSH(&dc->kept, *d);
  }
  if (dc->kept.nr > 1)
    qsort(dc->kept.v, dc->kept.nr, sizeof(*dc->kept.v), cmp_disrupted);
  return recheck;
}

/* countHealthyPods */
static int32_t count_healthy(struct dc *dc, simtime now)
{
  simtime timeout = dc->t->v[TIMING_PDB_DELETION_TIMEOUT];
  int32_t healthy = 0;

  for (size_t i = 0; i < dc->pods_scratch.nr; i++) {
    const struct object *pod = dc->pods_scratch.v[i];
    bool disrupted = false;

    if (meta_is_deleting(&pod->meta))
      continue;
    for (size_t j = 0; j < dc->kept.nr && !disrupted; j++)
      disrupted = !strcmp(dc->kept.v[j].pod, pod->meta.name) &&
                  dc->kept.v[j].at + timeout > now;
    if (!disrupted && pod->u.pod.status.ready.status == COND_TRUE)
      healthy++;
  }
  return healthy;
}

static bool same_disrupted(const struct pdb *p, const struct dc *dc)
{
  if (p->disrupted_pods_nr != dc->kept.nr)
    return false;
  for (size_t i = 0; i < dc->kept.nr; i++)
    if (strcmp(p->disrupted_pods[i].pod, dc->kept.v[i].pod) ||
        p->disrupted_pods[i].at != dc->kept.v[i].at)
      return false;
  return true;
}

/* The status write of updatePdbStatus and failSafe: an update of the
 * cached version (resourceVersion precondition). */
static enum api_status write_status(struct dc *dc, const struct object *pdb,
                                    const struct object *next)
{
  enum api_status st = api_update_status(dc->api, DC_COMPONENT, next, NULL);

  if (st == API_OK)
    cluster_note(&dc->env, pdb_obj(dc, pdb), "Status",
                 "expectedPods=%" PRId32 " desiredHealthy=%" PRId32
                 " currentHealthy=%" PRId32 " disruptionsAllowed=%" PRId32
                 " disruptedPods=%zu",
                 next->u.pdb.expected_pods, next->u.pdb.desired_healthy,
                 next->u.pdb.current_healthy, next->u.pdb.disruptions_allowed,
                 next->u.pdb.disrupted_pods_nr);
  return st;
}

/* failSafe: no disruptions allowed while the status cannot be computed. */
static enum api_status fail_safe(struct dc *dc, const struct object *pdb,
                                 const char *why)
{
  struct object next = *pdb;

  cluster_note(&dc->env, pdb_obj(dc, pdb), "SyncFailed", "%s", why);
  next.u.pdb.disruptions_allowed = 0;
  if (pdb->u.pdb.disruptions_allowed == 0)
    return API_OK;
  return write_status(dc, pdb, &next);
}

static int cmp_kv(const void *a, const void *b)
{
  return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

/* metav1.LabelSelector's String(), as the event prints it with %v. */
static const char *selector_string(struct dc *dc,
                                   const struct label_selector *sel)
{
  static const char *const ops[] = {"In",           "NotIn", "Exists",
                                    "DoesNotExist", "Gt",    "Lt"};
  size_t nr = sel->match_labels.nr;
  struct kv *kv = xmalloc((nr ? nr : 1) * sizeof(*kv));
  const char *out = "&LabelSelector{MatchLabels:map[string]string{";

  if (nr)
    memcpy(kv, sel->match_labels.v, nr * sizeof(*kv));
  qsort(kv, nr, sizeof(*kv), cmp_kv); /* map keys are unique */
  for (size_t i = 0; i < nr; i++)
    out = arena_printf(dc->arena, "%s%s: %s,", out, kv[i].key, kv[i].value);
  free(kv);
  out = arena_printf(dc->arena,
                     "%s},MatchExpressions:[]LabelSelectorRequirement{", out);
  for (size_t i = 0; i < sel->exprs_nr; i++) {
    const struct selector_req *r = &sel->exprs[i];
    const char *vals = "";
    for (size_t j = 0; j < r->values.nr; j++)
      vals =
          arena_printf(dc->arena, "%s%s%s", vals, j ? " " : "", r->values.v[j]);
    out = arena_printf(dc->arena,
                       "%sLabelSelectorRequirement{Key:%s,Operator:%s,"
                       "Values:[%s],},",
                       out, r->key, ops[r->op], vals);
  }
  return arena_printf(dc->arena, "%s},}", out);
}

/* trySync plus sync's error handling. Returns whether it succeeded. */
static bool sync_pdb(struct dc *dc, const struct object *pdb)
{
  const struct pdb *p = &pdb->u.pdb;
  simtime now = engine_now(dc->engine), recheck;
  int32_t expected, desired, healthy, allowed;
  size_t unmanaged;
  char msg[256];
  struct object next;
  enum api_status st;

  dc->pods_scratch.nr = 0;
  informer_list(dc->pods, pdb->meta.namespace_, &p->selector, collect_pod, dc);
  if (!dc->pods_scratch.nr)
    api_record_event(dc->api, DC_EVENT_SOURCE, pdb, EVENT_NORMAL, "NoPods",
                     "No matching pods found");
  if (!expected_counts(dc, pdb, &expected, &desired, &unmanaged, msg,
                       sizeof(msg))) {
    api_record_event(dc->api, DC_EVENT_SOURCE, pdb, EVENT_WARNING,
                     "CalculateExpectedPodCountFailed",
                     "Failed to calculate the number of expected pods: %s",
                     msg);
    fail_safe(dc, pdb, msg);
    return false;
  }
  if (unmanaged)
    api_record_event(
        dc->api, DC_EVENT_SOURCE, pdb, EVENT_WARNING, "UnmanagedPods",
        "Pods selected by this PodDisruptionBudget (selector: %s) were found "
        "to be unmanaged. As a result, the status of the PDB cannot be "
        "calculated correctly, which may result in undefined behavior. To "
        "account for these pods please set \".spec.minAvailable\" field of "
        "the PDB to an integer value.",
        selector_string(dc, &p->selector));
  recheck = build_disrupted(dc, pdb, now);
  healthy = count_healthy(dc, now);
  allowed = healthy - desired;
  if (expected <= 0 || allowed <= 0)
    allowed = 0;
  if (p->current_healthy == healthy && p->desired_healthy == desired &&
      p->expected_pods == expected && p->disruptions_allowed == allowed &&
      same_disrupted(p, dc) && p->observed_generation == pdb->meta.generation) {
    st = API_OK;
  } else {
    next = *pdb;
    next.u.pdb.current_healthy = healthy;
    next.u.pdb.desired_healthy = desired;
    next.u.pdb.expected_pods = expected;
    next.u.pdb.disruptions_allowed = allowed;
    next.u.pdb.observed_generation = pdb->meta.generation;
    next.u.pdb.disrupted_pods_nr = dc->kept.nr;
    next.u.pdb.disrupted_pods =
        dc->kept.nr ? arena_memdup(dc->arena, dc->kept.v,
                                   dc->kept.nr * sizeof(*dc->kept.v))
                    : NULL;
    st = write_status(dc, pdb, &next);
  }
  if (st == API_CONFLICT)
    return false; /* requeued without failSafe */
  if (st != API_OK) {
    fail_safe(dc, pdb, api_last_error(dc->api));
    return false;
  }
  if (recheck != SIMTIME_NEVER)
    enqueue_at(dc, rec_get(dc, pdb->meta.namespace_, pdb->meta.name), recheck);
  return true;
}

static void run_queue(struct engine *e, uint64_t subject, uint64_t arg,
                      void *ctx)
{
  struct dc *dc = ctx;

  (void)e;
  (void)subject;
  (void)arg;
  dc->run = 0;
  if (!informer_synced(dc->pods) || !informer_synced(dc->pdbs) ||
      !informer_synced(dc->sets)) {
    /* WaitForCacheSync: try again once the LISTs are in. */
    dc->run = engine_schedule(
        dc->engine, engine_now(dc->engine) + dc->t->v[TIMING_WATCH_DELAY] + 1,
        PHASE_CONTROLLER, "disruption-sync", run_queue, 0, 0, dc);
    return;
  }
  /* Items queued while this runs (a recheck at now) wait for the next
   * run, as a worker takes one item at a time. */
  for (size_t end = dc->queue.nr; dc->head < end; dc->head++) {
    struct dc_pdb *r = dc->queue.v[dc->head];
    const struct object *pdb = informer_get(dc->pdbs, r->ns, r->name);

    r->queued = false;
    if (!pdb || sync_pdb(dc, pdb))
      r->failures = 0; /* Forget */
    else
      requeue_failed(dc, r);
  }
  if (dc->head == dc->queue.nr) {
    dc->queue.nr = 0;
    dc->head = 0;
  } else if (!dc->run) {
    dc->run =
        engine_schedule(dc->engine, engine_now(dc->engine), PHASE_CONTROLLER,
                        "disruption-sync", run_queue, 0, 0, dc);
  }
}

/* --- stale DisruptionTarget conditions ------------------------------------ */

/* nonTerminatingPodHasStaleDisruptionCondition: when it turns stale, or
 * SIMTIME_NEVER. */
static simtime stale_at(const struct object *pod)
{
  const struct condition *c = &pod->u.pod.status.disruption_target;
  enum pod_phase ph = pod->u.pod.status.phase;

  if (meta_is_deleting(&pod->meta) || c->status != COND_TRUE ||
      (c->reason && !strcmp(c->reason, "TerminationByKubelet")) ||
      ph == POD_SUCCEEDED || ph == POD_FAILED)
    return SIMTIME_NEVER;
  return c->last_transition_time + DC_STALE_CONDITION;
}

struct reset {
  uint64_t rv; /* the cached version the decision was taken on */
  simtime now;
};

static bool reset_condition(struct object *o, void *ctx)
{
  const struct reset *r = ctx;
  struct condition *c = &o->u.pod.status.disruption_target;

  /* Applied with the cached resourceVersion: a newer pod is looked at
   * again when the informer delivers it. */
  if (o->meta.resource_version != r->rv || c->status != COND_TRUE)
    return false;
  c->status = COND_FALSE;
  c->last_transition_time = r->now;
  return true;
}

static void stale_fire(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx);

static struct dc_stale *stale_find(struct dc *dc, const char *ns,
                                   const char *name, size_t *idx)
{
  for (size_t i = 0; i < dc->stale.nr; i++)
    if (!strcmp(dc->stale.v[i]->name, name) &&
        !strcmp(dc->stale.v[i]->ns, ns)) {
      *idx = i;
      return dc->stale.v[i];
    }
  return NULL;
}

static void stale_drop(struct dc *dc, size_t idx)
{
  struct dc_stale *s = dc->stale.v[idx];

  if (s->handle)
    engine_cancel(dc->engine, s->handle);
  dc->stale.v[idx] = dc->stale.v[--dc->stale.nr];
  free(s);
}

/* Arms (or disarms) the stale-condition timer of pod (NULL: gone). */
static void stale_schedule(struct dc *dc, const struct object *pod,
                           const char *ns, const char *name)
{
  simtime at = pod ? stale_at(pod) : SIMTIME_NEVER;
  simtime now = engine_now(dc->engine);
  size_t idx;
  struct dc_stale *s;

  if (at == SIMTIME_NEVER) {
    if (dc->stale.nr && stale_find(dc, ns, name, &idx))
      stale_drop(dc, idx);
    return;
  }
  if (at < now)
    at = now;
  s = stale_find(dc, pod->meta.namespace_, pod->meta.name, &idx);
  if (s && s->at <= at)
    return;
  if (s) {
    engine_cancel(dc->engine, s->handle);
  } else {
    s = xcalloc(1, sizeof(*s));
    s->ns = pod->meta.namespace_;
    s->name = pod->meta.name;
    VEC_PUSH(&dc->stale, s);
  }
  s->at = at;
  s->handle = engine_schedule(dc->engine, at, PHASE_CONTROLLER,
                              "disruption-stale-condition", stale_fire, 0,
                              (uint64_t)(uintptr_t)dc, s);
}

/* syncStalePodDisruption */
static void stale_fire(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct dc *dc = (struct dc *)(uintptr_t)arg;
  struct dc_stale *s = ctx;
  const struct object *pod = informer_get(dc->pods, s->ns, s->name);
  size_t idx = 0;
  struct reset r;

  (void)subject;
  SIM_ASSERT(stale_find(dc, s->ns, s->name, &idx) == s);
  s->handle = 0;
  stale_drop(dc, idx);
  if (!pod || stale_at(pod) == SIMTIME_NEVER)
    return;
  if (stale_at(pod) > engine_now(e)) {
    stale_schedule(dc, pod, pod->meta.namespace_, pod->meta.name);
    return;
  }
  r = (struct reset){pod->meta.resource_version, engine_now(e)};
  if (api_patch(dc->api, DC_COMPONENT, KIND_POD, pod->meta.namespace_,
                pod->meta.name, pod->meta.uid, reset_condition, &r,
                NULL) == API_OK)
    cluster_note(&dc->env, arena_printf(dc->arena, "Pod/%s", pod->meta.name),
                 "StaleDisruptionTarget",
                 "reset the DisruptionTarget condition to False: the pod was "
                 "not deleted within 2m0s");
  else /* failed: the informer copy is still stale */
    stale_schedule(dc, pod, pod->meta.namespace_, pod->meta.name);
}

/* --- informer handlers ---------------------------------------------------- */

struct pdb_find {
  const struct object *pod;
  const struct object *first;
  size_t nr;
};

static bool find_pdb(const struct object *pdb, void *ctx)
{
  struct pdb_find *f = ctx;

  if (selector_matches(&pdb->u.pdb.selector, &f->pod->meta.labels) && !f->nr++)
    f->first = pdb;
  return true;
}

/* getPdbForPod: the first PDB (by name) selecting the pod. */
static void enqueue_for_pod(struct dc *dc, const struct object *pod)
{
  struct pdb_find f = {pod, NULL, 0};

  informer_list(dc->pdbs, pod->meta.namespace_, NULL, find_pdb, &f);
  if (!f.nr)
    return;
  if (f.nr > 1)
    api_record_event(dc->api, DC_EVENT_SOURCE, pod, EVENT_WARNING,
                     "MultiplePodDisruptionBudgets",
                     "Pod \"%s\"/\"%s\" matches multiple "
                     "PodDisruptionBudgets.  Chose \"%s\" arbitrarily.",
                     pod->meta.namespace_, pod->meta.name, f.first->meta.name);
  enqueue(dc, rec_get(dc, f.first->meta.namespace_, f.first->meta.name));
}

static void on_pod(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct dc *dc = ctx;

  (void)inf;
  (void)old;
  enqueue_for_pod(dc, now);
  stale_schedule(dc, t == WATCH_DELETED ? NULL : now, now->meta.namespace_,
                 now->meta.name);
}

static void on_pdb(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct dc *dc = ctx;

  (void)inf;
  (void)old;
  if (t != WATCH_DELETED)
    enqueue(dc, rec_get(dc, now->meta.namespace_, now->meta.name));
}

/* --- entry points --------------------------------------------------------- */

void *disruption_start(const struct cluster_env *env)
{
  struct dc *dc = xcalloc(1, sizeof(*dc));
  simtime delay = env->s->timings.v[TIMING_WATCH_DELAY];

  dc->env = *env;
  dc->api = env->api;
  dc->engine = api_engine(env->api);
  dc->arena = api_arena(env->api);
  dc->t = &env->s->timings;
  dc->sets = informer_new(dc->api, KIND_STATEFULSET, DC_COMPONENT, delay);
  dc->pdbs = informer_new(dc->api, KIND_PDB, DC_COMPONENT, delay);
  informer_add_handler(dc->pdbs, on_pdb, dc);
  dc->pods = informer_new(dc->api, KIND_POD, DC_COMPONENT, delay);
  informer_add_handler(dc->pods, on_pod, dc);
  return dc;
}

void disruption_stop(void *state)
{
  struct dc *dc = state;

  if (!dc)
    return;
  if (dc->run)
    engine_cancel(dc->engine, dc->run);
  for (size_t i = 0; i < dc->recs.nr; i++) {
    if (dc->recs.v[i]->retry)
      engine_cancel(dc->engine, dc->recs.v[i]->retry);
    free(dc->recs.v[i]);
  }
  for (size_t i = 0; i < dc->stale.nr; i++) {
    engine_cancel(dc->engine, dc->stale.v[i]->handle);
    free(dc->stale.v[i]);
  }
  free(dc->recs.v);
  free(dc->queue.v);
  free(dc->stale.v);
  free(dc->pods_scratch.v);
  free(dc->uids.v);
  free(dc->kept.v);
  free(dc);
}
