/*
 * wiring.c - the controller's start, stop and restart, its four informers
 * and their event handlers (reference §3.1, §3.2 of stateful_set.go).
 *
 * Enqueue rules: every StatefulSet add/update/delete enqueues the set. A
 * pod event enqueues the set named by its controllerRef (kind StatefulSet,
 * found in the set cache with the same uid); an orphan pod that is added,
 * or whose labels or controllerRef changed, enqueues every set in its
 * namespace whose (non-empty) selector matches it; a deleted orphan
 * enqueues nothing. A pod turning Ready also enqueues its set again after
 * minReadySeconds + 1 s when minReadySeconds > 0. PVC and revision events
 * enqueue nothing (those informers are caches only), except that with the
 * read-your-own-writes gate (§16) a key waiting for its own write to show
 * up in a cache is added once it has.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#include "controller_int.h"

/* --- helpers
 * ------------------------------------------------------------------ */

static const struct object *
resolve_controller_ref(struct ctl *c, const char *ns, const struct owner_ref *r)
{
  const struct object *set;

  if (!r->kind || strcmp(r->kind, "StatefulSet"))
    return NULL;
  set = informer_get(c->sets, ns, r->name);
  if (!set || set->meta.uid != r->uid)
    return NULL; /* the set we found is not the one the ref names */
  return set;
}

static void enqueue_set(struct ctl *c, const struct object *set)
{
  ctl__queue_add(c, ctl__key(c, set->meta.namespace_, set->meta.name));
}

struct match_ctx {
  struct ctl *c;
  const struct object *pod;
};

static bool enqueue_if_selects(const struct object *set, void *ctx)
{
  struct match_ctx *m = ctx;
  const struct label_selector *sel = &set->u.sts.spec.selector;

  /* A nil or empty selector matches nothing here (GetPodStatefulSets). */
  if (!selector_is_empty(sel) && selector_matches(sel, &m->pod->meta.labels))
    enqueue_set(m->c, set);
  return true;
}

/* getStatefulSetsForPod, each enqueued. */
static void enqueue_matching_sets(struct ctl *c, const struct object *pod)
{
  struct match_ctx m = {c, pod};

  informer_list(c->sets, pod->meta.namespace_, NULL, enqueue_if_selects, &m);
}

static bool kv_equal(const struct kv_list *a, const struct kv_list *b)
{
  if (a->nr != b->nr)
    return false;
  for (size_t i = 0; i < a->nr; i++) {
    const char *v = kv_get(b, a->v[i].key);
    if (!v || strcmp(v, a->v[i].value ? a->v[i].value : ""))
      return false;
  }
  return true;
}

static bool str_eq(const char *a, const char *b)
{
  return !strcmp(a ? a : "", b ? b : "");
}

static bool ref_equal(const struct owner_ref *a, const struct owner_ref *b)
{
  if (!a || !b)
    return a == b;
  return str_eq(a->api_version, b->api_version) && str_eq(a->kind, b->kind) &&
         str_eq(a->name, b->name) && a->uid == b->uid &&
         a->controller == b->controller &&
         a->block_owner_deletion == b->block_owner_deletion;
}

/* --- pod events
 * ---------------------------------------------------------------- */

static void pod_deleted(struct ctl *c, const struct object *pod)
{
  const struct owner_ref *r = meta_controller_ref(&pod->meta);
  const struct object *set;

  if (!r)
    return; /* no controller cares about orphans being deleted */
  set = resolve_controller_ref(c, pod->meta.namespace_, r);
  if (set)
    enqueue_set(c, set);
}

static void pod_added(struct ctl *c, const struct object *pod)
{
  const struct owner_ref *r;
  const struct object *set;

  if (ctl__is_terminating(pod)) {
    /* seen first while already being deleted: not a creation */
    pod_deleted(c, pod);
    return;
  }
  r = meta_controller_ref(&pod->meta);
  if (r) {
    set = resolve_controller_ref(c, pod->meta.namespace_, r);
    if (set)
      enqueue_set(c, set);
    return;
  }
  enqueue_matching_sets(c, pod);
}

static void pod_updated(struct ctl *c, const struct object *old,
                        const struct object *cur)
{
  const struct owner_ref *cr, * or ;
  bool label_changed, ref_changed;
  const struct object *set;

  if (cur->meta.resource_version == old->meta.resource_version)
    return;
  label_changed = !kv_equal(&cur->meta.labels, &old->meta.labels);
  cr = meta_controller_ref(&cur->meta);
  or = meta_controller_ref(&old->meta);
  ref_changed = !ref_equal(cr, or);
  if (ref_changed && or) {
    set = resolve_controller_ref(c, old->meta.namespace_, or);
    if (set)
      enqueue_set(c, set);
  }
  if (cr) {
    set = resolve_controller_ref(c, cur->meta.namespace_, cr);
    if (!set)
      return;
    enqueue_set(c, set);
    /* Availability check once minReadySeconds have passed (+1 s skew). */
    if (!ctl__is_ready(old) && ctl__is_ready(cur) &&
        set->u.sts.spec.min_ready_seconds > 0)
      ctl__queue_add_after(c, ctl__key(c, set->meta.namespace_, set->meta.name),
                           SIM_SEC(set->u.sts.spec.min_ready_seconds) +
                               SIM_SEC(1));
    return;
  }
  if (label_changed || ref_changed)
    enqueue_matching_sets(c, cur);
}

static void on_pod(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct ctl *c = ctx;

  (void)inf;
  if (c->stopped)
    return;
  if (now->meta.resource_version > c->pod_rv_seen)
    c->pod_rv_seen = now->meta.resource_version;
  ctl__index_pod(c, t, old, now);
  switch (t) {
  case WATCH_ADDED:
    pod_added(c, now);
    break;
  case WATCH_MODIFIED:
    if (old)
      pod_updated(c, old, now);
    else
      pod_added(c, now);
    break;
  case WATCH_DELETED:
    pod_deleted(c, now);
    break;
  }
  ctl__queue_rywo_check(c);
}

/* --- other kinds
 * ----------------------------------------------------------------- */

/* B16's Node cache: a node whose Ready condition changes wakes every set
 * (the mutant looks at the nodes of its pods). */
static bool enqueue_one(const struct object *o, void *ctx)
{
  enqueue_set(ctx, o);
  return true;
}

static void on_node(struct informer *inf, enum watch_type t,
                    const struct object *old, const struct object *now,
                    void *ctx)
{
  struct ctl *c = ctx;

  (void)inf;
  if (c->stopped || (t == WATCH_MODIFIED && old &&
                     old->u.node.ready.status == now->u.node.ready.status))
    return;
  informer_list(c->sets, NULL, NULL, enqueue_one, c);
}

static void on_set(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct ctl *c = ctx;

  (void)inf;
  (void)t;
  (void)old;
  if (!c->stopped)
    enqueue_set(c, now);
}

/* --- the PVC index
 * ------------------------------------------------------------ */

static uint64_t pvc_hash(const char *ns, const char *name)
{
  uint64_t h = sim_fnv1a(SIM_FNV_INIT, ns, strlen(ns) + 1);

  h = sim_fnv1a(h, name, strlen(name));
  return h < 2 ? h + 2 : h; /* 0 and 1 mark empty and deleted slots */
}

static bool pvc_same(const struct object *o, const char *ns, const char *name)
{
  return !strcmp(o->meta.name, name) && !strcmp(o->meta.namespace_, ns);
}

static void pvc_idx_put(struct ctl *c, const struct object *o);

static void pvc_idx_grow(struct ctl *c)
{
  struct ctl_pvc_slot *old = c->pvc_idx;
  size_t n = c->pvc_idx_alloc;

  c->pvc_idx_alloc = n ? n * 2 : 64;
  c->pvc_idx = xcalloc(c->pvc_idx_alloc, sizeof(*c->pvc_idx));
  c->pvc_idx_used = 0;
  for (size_t i = 0; i < n; i++)
    if (old[i].h > 1)
      pvc_idx_put(c, old[i].o);
  free(old);
}

static void pvc_idx_put(struct ctl *c, const struct object *o)
{
  uint64_t h = pvc_hash(o->meta.namespace_, o->meta.name);
  size_t mask, i, grave = SIZE_MAX;

  if ((c->pvc_idx_used + 1) * 4 >= c->pvc_idx_alloc * 3)
    pvc_idx_grow(c);
  mask = c->pvc_idx_alloc - 1;
  for (i = (size_t)h & mask;; i = (i + 1) & mask) {
    struct ctl_pvc_slot *s = &c->pvc_idx[i];
    if (s->h == 0)
      break;
    if (s->h == 1) {
      if (grave == SIZE_MAX)
        grave = i;
      continue;
    }
    if (s->h == h && pvc_same(s->o, o->meta.namespace_, o->meta.name)) {
      s->o = o;
      return;
    }
  }
  if (grave != SIZE_MAX)
    i = grave;
  else
    c->pvc_idx_used++;
  c->pvc_idx[i] = (struct ctl_pvc_slot){h, o};
}

static void pvc_idx_del(struct ctl *c, const char *ns, const char *name)
{
  uint64_t h = pvc_hash(ns, name);
  size_t mask = c->pvc_idx_alloc - 1;

  if (!c->pvc_idx_alloc)
    return;
  for (size_t i = (size_t)h & mask; c->pvc_idx[i].h; i = (i + 1) & mask)
    if (c->pvc_idx[i].h == h && pvc_same(c->pvc_idx[i].o, ns, name)) {
      c->pvc_idx[i] = (struct ctl_pvc_slot){1, NULL};
      return;
    }
}

const struct object *ctl__pvc_lookup(const struct ctl *c, const char *ns,
                                     const char *name)
{
  uint64_t h;
  size_t mask;

  if (!c->pvc_idx_alloc)
    return NULL;
  h = pvc_hash(ns, name);
  mask = c->pvc_idx_alloc - 1;
  for (size_t i = (size_t)h & mask; c->pvc_idx[i].h; i = (i + 1) & mask)
    if (c->pvc_idx[i].h == h && pvc_same(c->pvc_idx[i].o, ns, name))
      return c->pvc_idx[i].o;
  return NULL;
}

static void pvc_idx_clear(struct ctl *c)
{
  free(c->pvc_idx);
  c->pvc_idx = NULL;
  c->pvc_idx_alloc = c->pvc_idx_used = 0;
}

static void on_pvc(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct ctl *c = ctx;

  (void)inf;
  (void)old;
  if (c->stopped)
    return;
  if (now->meta.resource_version > c->pvc_rv_seen)
    c->pvc_rv_seen = now->meta.resource_version;
  if (t == WATCH_DELETED)
    pvc_idx_del(c, now->meta.namespace_, now->meta.name);
  else
    pvc_idx_put(c, now);
  ctl__index_pvc(c, now);
  ctl__queue_rywo_check(c);
}

/* --- start-up: WaitForCacheSync
 * ---------------------------------------------------- */

static void poll_cb(struct engine *e, uint64_t subject, uint64_t arg, void *ctx)
{
  struct ctl *c = ctx;

  (void)subject;
  (void)arg;
  c->poll_ev = 0;
  if (c->stopped)
    return;
  if (informer_synced(c->pods) && informer_synced(c->sets) &&
      informer_synced(c->pvcs) && informer_synced(c->revs) &&
      (!c->nodes || informer_synced(c->nodes))) {
    ctl__queue_start(c);
    return;
  }
  c->poll_ev =
      engine_schedule(e, engine_now(e) + CTL_CACHE_SYNC_POLL, PHASE_CONTROLLER,
                      "sts-cache-sync", poll_cb, 0, 0, c);
}

static void schedule_poll(struct ctl *c)
{
  if (c->poll_ev)
    engine_cancel(c->engine, c->poll_ev);
  c->poll_ev =
      engine_schedule(c->engine, engine_now(c->engine), PHASE_CONTROLLER,
                      "sts-cache-sync", poll_cb, 0, 0, c);
}

/* --- resync
 * ------------------------------------------------------------------- */

static bool resync_one(const struct object *o, void *ctx)
{
  enqueue_set(ctx, o);
  return true;
}

static void resync_cb(struct engine *e, uint64_t subject, uint64_t arg,
                      void *ctx)
{
  struct ctl *c = ctx;

  (void)subject;
  (void)arg;
  c->resync_ev = 0;
  if (c->stopped)
    return;
  /* an update event for every cached set, old == new */
  informer_list(c->sets, NULL, NULL, resync_one, c);
  c->resync_ev = engine_schedule(e, engine_now(e) + c->resync, PHASE_CONTROLLER,
                                 "sts-resync", resync_cb, 0, 0, c);
}

/* A new process draws its resync period (ResyncPeriod: 12 h * [1, 2)). */
static void start_resync(struct ctl *c)
{
  const simtime min = SIM_MIN(12 * 60);

  if (c->resync_ev)
    engine_cancel(c->engine, c->resync_ev);
  c->resync = min + (simtime)llround(gsl_rng_uniform(c->rng) * (double)min);
  c->resync_ev =
      engine_schedule(c->engine, engine_now(c->engine) + c->resync,
                      PHASE_CONTROLLER, "sts-resync", resync_cb, 0, 0, c);
}

/* --- the component
 * ------------------------------------------------------------------ */

void *ctl_start(const struct cluster_env *env)
{
  struct arena *a = api_arena(env->api);
  /* Run-lifetime storage: an informer never forgets its handler's ctx. */
  struct ctl *c = arena_calloc(a, 1, sizeof(*c));
  simtime delay = env->s->timings.v[TIMING_WATCH_DELAY];

  c->env = *env;
  c->api = env->api;
  c->engine = api_engine(env->api);
  c->arena = a;
  c->minor = env->s->kubernetes_minor ? env->s->kubernetes_minor : 34;
  c->gate_max_unavailable =
      scenario_feature_enabled(env->s, "MaxUnavailableStatefulSet");
  c->gate_pod_index = scenario_feature_enabled(env->s, "PodIndexLabel");
  c->gate_auto_delete_pvc =
      scenario_feature_enabled(env->s, "StatefulSetAutoDeletePVC");
  c->gate_read_own_writes =
      scenario_feature_enabled(env->s, CTL_GATE_READ_OWN_WRITES);
  c->mut = ctl__mutant(env->mutant);
  c->unavail_minor = c->mut == CTL_MUT_B3 ? 33 : c->minor;
  if (c->mut == CTL_MUT_B17)
    /* a cache of its own (the watch-delay fault of the component does not
     * reach it), always CTL_MUT_STALE_LAG behind the others */
    c->pods = informer_new(c->api, KIND_POD, CTL_COMPONENT "/stale-pods",
                           delay + CTL_MUT_STALE_LAG);
  else
    c->pods = informer_new(c->api, KIND_POD, CTL_COMPONENT, delay);
  c->sets = informer_new(c->api, KIND_STATEFULSET, CTL_COMPONENT, delay);
  c->pvcs = informer_new(c->api, KIND_PVC, CTL_COMPONENT, delay);
  c->revs = informer_new(c->api, KIND_CONTROLLERREVISION, CTL_COMPONENT, delay);
  informer_add_handler(c->pods, on_pod, c);
  informer_add_handler(c->sets, on_set, c);
  informer_add_handler(c->pvcs, on_pvc, c);
  if (c->mut == CTL_MUT_B16) {
    c->nodes = informer_new(c->api, KIND_NODE, CTL_COMPONENT, delay);
    informer_add_handler(c->nodes, on_node, c);
  }
  c->rng = rng_stream_new(env->seed, RNG_CONTROLLER, 0);
  ctl__queue_reset(c);
  schedule_poll(c);
  start_resync(c);
  return c;
}

void ctl_stop(void *state)
{
  struct ctl *c = state;

  if (!c)
    return;
  ctl__queue_reset(c);
  if (c->poll_ev)
    engine_cancel(c->engine, c->poll_ev);
  c->poll_ev = 0;
  if (c->resync_ev)
    engine_cancel(c->engine, c->resync_ev);
  c->resync_ev = 0;
  rng_free(c->rng);
  c->rng = NULL;
  c->stopped = true;
  free(c->keys.v);
  free(c->cand.v);
  free(c->claimed.v);
  free(c->revlist.v);
  free(c->condemned.v);
  free(c->slots.v);
  free(c->names.v);
  pvc_idx_clear(c);
  ctl__index_clear(c);
  memset(&c->keys, 0, sizeof(c->keys));
}

void ctl_restart(void *state)
{
  struct ctl *c = state;

  if (c->stopped)
    return;
  ctl__queue_reset(c);
  c->pod_rv_seen = c->pvc_rv_seen = 0;
  pvc_idx_clear(c); /* the relist re-adds what still exists */
  ctl__index_clear(c);
  informer_relist(c->pods);
  informer_relist(c->sets);
  informer_relist(c->pvcs);
  informer_relist(c->revs);
  if (c->nodes)
    informer_relist(c->nodes);
  schedule_poll(c);
  start_resync(c);
}

void ctl_set_watch_delay(void *state, simtime delay)
{
  struct ctl *c = state;

  informer_set_delay(c->pods,
                     c->mut == CTL_MUT_B17 ? delay + CTL_MUT_STALE_LAG : delay);
  informer_set_delay(c->sets, delay);
  informer_set_delay(c->pvcs, delay);
  informer_set_delay(c->revs, delay);
  if (c->nodes)
    informer_set_delay(c->nodes, delay);
}

uint64_t ctl_syncs(const void *state)
{
  const struct ctl *c = state;

  return c->syncs;
}
