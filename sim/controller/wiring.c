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
#include <stdlib.h>
#include <string.h>

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

static void on_pvc(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct ctl *c = ctx;

  (void)inf;
  (void)t;
  (void)old;
  if (c->stopped)
    return;
  if (now->meta.resource_version > c->pvc_rv_seen)
    c->pvc_rv_seen = now->meta.resource_version;
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
      informer_synced(c->pvcs) && informer_synced(c->revs)) {
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
  c->pods = informer_new(c->api, KIND_POD, CTL_COMPONENT, delay);
  c->sets = informer_new(c->api, KIND_STATEFULSET, CTL_COMPONENT, delay);
  c->pvcs = informer_new(c->api, KIND_PVC, CTL_COMPONENT, delay);
  c->revs = informer_new(c->api, KIND_CONTROLLERREVISION, CTL_COMPONENT, delay);
  informer_add_handler(c->pods, on_pod, c);
  informer_add_handler(c->sets, on_set, c);
  informer_add_handler(c->pvcs, on_pvc, c);
  ctl__queue_reset(c);
  schedule_poll(c);
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
  c->stopped = true;
  free(c->keys.v);
  free(c->cand.v);
  free(c->claimed.v);
  free(c->revlist.v);
  free(c->condemned.v);
  free(c->slots.v);
  free(c->names.v);
  memset(&c->keys, 0, sizeof(c->keys));
}

void ctl_restart(void *state)
{
  struct ctl *c = state;

  if (c->stopped)
    return;
  ctl__queue_reset(c);
  c->pod_rv_seen = c->pvc_rv_seen = 0;
  informer_relist(c->pods);
  informer_relist(c->sets);
  informer_relist(c->pvcs);
  informer_relist(c->revs);
  schedule_poll(c);
}

void ctl_set_watch_delay(void *state, simtime delay)
{
  struct ctl *c = state;

  informer_set_delay(c->pods, delay);
  informer_set_delay(c->sets, delay);
  informer_set_delay(c->pvcs, delay);
  informer_set_delay(c->revs, delay);
}

uint64_t ctl_syncs(const void *state)
{
  const struct ctl *c = state;

  return c->syncs;
}
