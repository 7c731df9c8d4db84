/*
 * storage.c - the storage side of the control plane, reference
 * cluster-behaviour.md section 4:
 *
 * - two admission plugins of the API server: DefaultStorageClass (a claim
 *   created without storageClassName gets the default class) and
 *   StorageObjectInUseProtection (claims get kubernetes.io/pvc-protection,
 *   volumes kubernetes.io/pv-protection);
 * - three controllers of kube-controller-manager sharing its informers:
 *   the PV controller (storage_pvctl.c: static matching and binding,
 *   handing claims to external provisioners, release and reclaim), the
 *   PVC-protection and the PV-protection controllers (storage_protect.c);
 * - the external CSI provisioner, a separate process with its own
 *   informers (storage_prov.c).
 *
 * This file has the entry points, the informer handlers, the work queues
 * and the periodic resync.
 *
 * Workers: each controller's queue has one worker, as the PV controller's
 * claim and volume workers upstream. A sync costs one API round trip
 * (apiLatency) per request it made, during which its worker takes no next
 * item; the writes themselves are applied when the sync runs. Syncs that
 * only read the cache cost nothing.
 *
 * Resync: upstream re-queues every claim and volume each
 * pvControllerResync (15 s); a pending claim binds to a PV created after
 * it, gets a default class that appeared after it, or retries after a
 * failed write only then. Here a claim whose sync ended waiting records
 * what could change the outcome (enum stor_wait); a change of that kind
 * (a PV, a StorageClass, a pod of the claim) schedules one resync at the
 * next point of the 15 s grid, which re-syncs the waiting claims. So the
 * timing of those bindings is upstream's, and an idle cluster costs no
 * events. SIMPLIFIED: a resync that nothing triggered is skipped, so the
 * repeated events it would emit (FailedBinding, WaitForFirstConsumer
 * every 15 s; upstream the recorder bumps their count) are not repeated.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "storage_int.h"

enum worker_id {
  W_CLAIM,
  W_VOLUME,
  W_PVC_PROT,
  W_PV_PROT,
  W_PROV,
  W_PROV_DEL,
};

static struct stor__worker *worker_of(struct storage *s, uint64_t id)
{
  switch ((enum worker_id)id) {
  case W_CLAIM:
    return &s->claim_w;
  case W_VOLUME:
    return &s->volume_w;
  case W_PVC_PROT:
    return &s->pvc_prot_w;
  case W_PV_PROT:
    return &s->pv_prot_w;
  case W_PROV:
    return &s->prov_w;
  case W_PROV_DEL:
    return &s->prov_del_w;
  }
  SIM_BUG("storage worker %" PRIu64 " out of range", id);
}

static uint64_t id_of(struct storage *s, const struct stor__worker *w)
{
  for (uint64_t id = W_CLAIM; id <= W_PROV_DEL; id++)
    if (worker_of(s, id) == w)
      return id;
  SIM_BUG("not a storage worker");
}

static bool kcm_synced(const struct storage *s)
{
  return informer_synced(s->pvcs) && informer_synced(s->pvs) &&
         informer_synced(s->classes) && informer_synced(s->pods) &&
         informer_synced(s->nodes);
}

static bool prov_synced(const struct storage *s)
{
  return informer_synced(s->p_pvcs) && informer_synced(s->p_pvs) &&
         informer_synced(s->p_classes) && informer_synced(s->p_nodes);
}

static void worker_run(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx);

static void worker_schedule(struct storage *s, struct stor__worker *w,
                            simtime at)
{
  if (w->handle && w->handle_at <= at)
    return;
  if (w->handle)
    engine_cancel(s->engine, w->handle);
  w->handle_at = at;
  w->handle = engine_schedule(s->engine, at, PHASE_CONTROLLER, w->kind,
                              worker_run, id_of(s, w), 0, s);
}

static void worker_run(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct storage *s = ctx;
  struct stor__worker *w = worker_of(s, subject);
  simtime now = engine_now(e);
  bool prov = w == &s->prov_w || w == &s->prov_del_w;
  struct stor__key k;

  (void)arg;
  w->handle = 0;
  if (!(prov ? prov_synced(s) : kcm_synced(s))) {
    /* WaitForCacheSync: workers start once every informer has listed. */
    worker_schedule(s, w, now + s->t->v[TIMING_WATCH_DELAY] + 1);
    return;
  }
  if (w == &s->claim_w && s->volume_w.handle && s->volume_w.handle_at <= now) {
    /*
     * Upstream's claim and volume workers run in parallel; here volumes
     * due at the same instant go first, so that a PV and a claim applied
     * together bind at once rather than at the next resync.
     */
    worker_schedule(s, w, now);
    return;
  }
  while (w->busy_until <= now && stor__queue_pop(&w->q, &k)) {
    s->requests = 0;
    w->sync(s, k.ns, k.name);
    w->busy_until = now + s->requests * s->t->v[TIMING_API_LATENCY];
  }
  if (!stor__queue_empty(&w->q))
    worker_schedule(s, w, w->busy_until > now ? w->busy_until : now);
}

void storage__enqueue(struct storage *s, struct stor__worker *w, const char *ns,
                      const char *name)
{
  simtime now = engine_now(s->engine);

  stor__queue_push(&w->q, ns, name);
  worker_schedule(s, w, w->busy_until > now ? w->busy_until : now);
}

/* A retry after back-off (rare: only after failed writes). */
struct storage__retry_ctx {
  struct storage *s;
  struct stor__worker *w;
  const char *ns, *name;
  uint64_t handle;
};

static void retry_fire(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct storage__retry_ctx *r = ctx;
  struct storage *s = r->s;

  (void)e;
  (void)subject;
  (void)arg;
  for (size_t i = 0; i < s->retries.nr; i++)
    if (s->retries.v[i] == r) {
      s->retries.v[i] = s->retries.v[--s->retries.nr];
      break;
    }
  storage__enqueue(s, r->w, r->ns, r->name);
  free(r);
}

void storage__retry(struct storage *s, struct stor__worker *w, const char *ns,
                    const char *name)
{
  uintptr_t n = (uintptr_t)stor__map_get(&w->fails, ns, name);
  simtime d = w->backoff_base;
  struct storage__retry_ctx *r = xmalloc(sizeof(*r));

  for (uintptr_t i = 0; i < n && d < w->backoff_max; i++)
    d *= 2;
  if (d > w->backoff_max)
    d = w->backoff_max;
  stor__map_put(&w->fails, ns, name, (void *)(n + 1));
  *r = (struct storage__retry_ctx){s, w, ns, name, 0};
  r->handle =
      engine_schedule(s->engine, engine_now(s->engine) + d, PHASE_CONTROLLER,
                      "storage-retry", retry_fire, 0, 0, r);
  VEC_PUSH(&s->retries, r);
}

void storage__forget(struct stor__worker *w, const char *ns, const char *name)
{
  stor__map_del(&w->fails, ns, name);
}

/* --- the PV controller's view: informer plus its own writes --------------- */

static const struct object *overlaid(struct stor__map *ov,
                                     const struct object *inf, const char *ns,
                                     const char *name)
{
  const struct object *mine = stor__map_get(ov, ns, name);

  if (!mine)
    return inf;
  if (!inf || inf->meta.uid != mine->meta.uid ||
      inf->meta.resource_version >= mine->meta.resource_version) {
    stor__map_del(ov, ns, name);
    return inf;
  }
  return mine;
}

const struct object *storage__claim(struct storage *s, const char *ns,
                                    const char *name)
{
  return overlaid(&s->claim_ov, informer_get(s->pvcs, ns, name), ns, name);
}

const struct object *storage__volume(struct storage *s, const char *name)
{
  return overlaid(&s->volume_ov, informer_get(s->pvs, "", name), "", name);
}

enum api_status storage__update(struct storage *s, const char *who,
                                const struct object *in, bool status,
                                const struct object **out)
{
  const struct object *v = NULL;
  enum api_status st = status ? api_update_status(s->api, who, in, &v)
                              : api_update(s->api, who, in, &v);

  s->requests++;
  if (st != API_OK)
    return st;
  if (v && v->kind == KIND_PVC)
    stor__map_put(&s->claim_ov, v->meta.namespace_, v->meta.name, (void *)v);
  else if (v && v->kind == KIND_PV)
    stor__map_put(&s->volume_ov, "", v->meta.name, (void *)v);
  if (out)
    *out = v;
  return API_OK;
}

/* --- waiting claims and the resync ---------------------------------------- */

void storage__unwait(struct storage *s, const char *ns, const char *name)
{
  uintptr_t bits = (uintptr_t)stor__map_del(&s->waiting, ns, name);

  for (int i = 0; i < STOR_WAIT_KINDS; i++)
    if (bits & (1u << i))
      s->wait_nr[i]--;
  stor__set_del(&s->waiting_keys, ns, name);
}

void storage__wait(struct storage *s, const struct object *claim, unsigned why)
{
  const char *ns = claim->meta.namespace_, *name = claim->meta.name;
  uintptr_t bits = (uintptr_t)stor__map_get(&s->waiting, ns, name);

  for (int i = 0; i < STOR_WAIT_KINDS; i++)
    if ((why & (1u << i)) && !(bits & (1u << i)))
      s->wait_nr[i]++;
  bits |= why;
  /* Bit 8 keeps the value non-NULL for the map. */
  stor__map_put(&s->waiting, ns, name, (void *)(bits | 0x100));
  stor__set_add(&s->waiting_keys, ns, name);
  if (why & WAIT_RETRY)
    storage__trigger(s, WAIT_RETRY);
}

void storage__retry_volume(struct storage *s, const char *name)
{
  stor__set_add(&s->retry_volumes, "", name);
  storage__trigger(s, WAIT_RETRY);
}

static void resync(struct engine *e, uint64_t subject, uint64_t arg, void *ctx)
{
  struct storage *s = ctx;
  size_t nr = s->waiting_keys.v.nr;
  struct stor__key *keys;

  (void)e;
  (void)subject;
  (void)arg;
  s->resync_handle = 0;
  for (size_t i = 0; i < s->retry_volumes.v.nr; i++)
    storage__enqueue(s, &s->volume_w, "", s->retry_volumes.v.v[i].name);
  stor__set_release(&s->retry_volumes);
  if (!nr)
    return;
  keys = xmalloc(nr * sizeof(*keys));
  memcpy(keys, s->waiting_keys.v.v, nr * sizeof(*keys));
  for (size_t i = 0; i < nr; i++) {
    storage__unwait(s, keys[i].ns, keys[i].name);
    storage__enqueue(s, &s->claim_w, keys[i].ns, keys[i].name);
  }
  free(keys);
}

void storage__trigger(struct storage *s, unsigned why)
{
  simtime period = s->t->v[TIMING_PV_RESYNC];
  bool any = false;

  for (int i = 0; i < STOR_WAIT_KINDS; i++)
    if ((why & (1u << i)) && s->wait_nr[i])
      any = true;
  if ((why & WAIT_RETRY) && s->retry_volumes.v.nr)
    any = true;
  if (!any || s->resync_handle || period <= 0)
    return;
  s->resync_at = stor__grid_at(engine_now(s->engine) + 1, period);
  s->resync_handle = engine_schedule(s->engine, s->resync_at, PHASE_CONTROLLER,
                                     "pv-resync", resync, 0, 0, s);
}

/* --- informer handlers (kube-controller-manager) -------------------------- */

static bool needs_protection_work(const struct object *o, const char *fin)
{
  bool has = stor__str_has(&o->meta.finalizers, fin);

  return meta_is_deleting(&o->meta) ? has : !has;
}

static void on_pvc(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct storage *s = ctx;
  const char *ns = now->meta.namespace_, *name = now->meta.name;

  (void)inf;
  (void)old;
  if (t == WATCH_DELETED) {
    stor__map_del(&s->claim_ov, ns, name);
    storage__unwait(s, ns, name);
    /* deleteClaim: the volume it was bound to may now be released. */
    if (now->u.pvc.spec.volume_name)
      storage__enqueue(s, &s->volume_w, "", now->u.pvc.spec.volume_name);
    return;
  }
  storage__enqueue(s, &s->claim_w, ns, name);
  if (needs_protection_work(now, FIN_PVC_PROTECTION))
    storage__enqueue(s, &s->pvc_prot_w, ns, name);
}

static void on_pv(struct informer *inf, enum watch_type t,
                  const struct object *old, const struct object *now, void *ctx)
{
  struct storage *s = ctx;
  const char *name = now->meta.name;
  const struct claim_ref *ref = &now->u.pv.spec.claim_ref;

  (void)inf;
  if (t == WATCH_DELETED) {
    storage__pv_indexed(s, old, NULL);
    stor__map_del(&s->volume_ov, "", name);
    /* deleteVolume: a claim bound to it is now lost. */
    if (ref->name)
      storage__enqueue(s, &s->claim_w, stor__ref_ns(ref), ref->name);
    return;
  }
  storage__pv_indexed(s, old, now);
  storage__enqueue(s, &s->volume_w, "", name);
  storage__trigger(s, WAIT_VOLUME);
  if (needs_protection_work(now, FIN_PV_PROTECTION))
    storage__enqueue(s, &s->pv_prot_w, "", name);
}

static void on_class(struct informer *inf, enum watch_type t,
                     const struct object *old, const struct object *now,
                     void *ctx)
{
  (void)inf;
  (void)old;
  (void)now;
  if (t != WATCH_DELETED)
    storage__trigger(ctx, WAIT_CLASS);
}

static void index_pod(struct storage *s, const struct object *pod, bool add)
{
  const struct pod_spec *sp = &pod->u.pod.spec;

  for (size_t i = 0; i < sp->volumes_nr; i++) {
    const struct pod_volume *v = &sp->volumes[i];
    if (v->source != VOLSRC_PVC || !v->claim_name)
      continue;
    if (add)
      stor__index_add(&s->pods_by_claim, pod->meta.namespace_, v->claim_name,
                      pod->meta.name);
    else
      stor__index_del(&s->pods_by_claim, pod->meta.namespace_, v->claim_name,
                      pod->meta.name);
  }
}

static void on_pod(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct storage *s = ctx;
  const struct pod_spec *sp = &now->u.pod.spec;

  (void)inf;
  if (t == WATCH_DELETED) {
    index_pod(s, now, false);
    storage__protect_pod_event(s, now, true);
    return;
  }
  if (old && old->meta.uid != now->meta.uid) {
    /* A MODIFIED that hides a delete and a re-create (#80475). */
    index_pod(s, old, false);
    storage__protect_pod_event(s, old, true);
  }
  index_pod(s, now, true);
  storage__protect_pod_event(s, now, false);
  if (sp->node_name || stor__pod_terminated(now))
    return;
  for (size_t i = 0; i < sp->volumes_nr; i++) {
    const struct pod_volume *v = &sp->volumes[i];
    uintptr_t bits;
    if (v->source != VOLSRC_PVC || !v->claim_name)
      continue;
    bits = (uintptr_t)stor__map_get(&s->waiting, now->meta.namespace_,
                                    v->claim_name);
    if (bits & WAIT_POD)
      storage__trigger(s, WAIT_POD);
  }
}

/* --- admission plugins ---------------------------------------------------- */

struct default_pick {
  const struct object *best;
  int count;
};

/* GetDefaultClass: the newest default class; ties by name. */
static bool pick_default(const struct object *o, void *ctx)
{
  struct default_pick *p = ctx;

  if (!stor__class_is_default(o))
    return true;
  p->count++;
  if (!p->best ||
      o->meta.creation_timestamp > p->best->meta.creation_timestamp ||
      (o->meta.creation_timestamp == p->best->meta.creation_timestamp &&
       strcmp(o->meta.name, p->best->meta.name) < 0))
    p->best = o;
  return true;
}

/*
 * DefaultStorageClass (plugin/pkg/admission/storage/storageclass/
 * setdefault): on create only, a claim with neither storageClassName nor
 * the beta annotation gets the default class; with none it stays nil.
 * Several defaults: since 1.26 the newest wins; before, creation was
 * forbidden. The plugin reads classes from the API server's own cache.
 */
static enum api_status admit_default_class(struct api *api, struct object *o,
                                           const struct object *old, void *ctx,
                                           char *msg, size_t n)
{
  int minor = (int)(intptr_t)ctx;
  struct default_pick p = {NULL, 0};

  (void)old;
  if (stor__claim_has_class(o))
    return API_OK;
  api_list(api, KIND_STORAGECLASS, NULL, NULL, pick_default, &p);
  if (!p.best)
    return API_OK;
  if (p.count > 1 && minor < 26) {
    snprintf(msg, n,
             "persistentvolumeclaims \"%s\" is forbidden: %d default "
             "StorageClasses were found",
             o->meta.name ? o->meta.name : "", p.count);
    return API_FORBIDDEN;
  }
  o->u.pvc.spec.storage_class_name = p.best->meta.name;
  return API_OK;
}

/* StorageObjectInUseProtection: the finalizers, on create. */
static enum api_status admit_protection(struct api *api, struct object *o,
                                        const struct object *old, void *ctx,
                                        char *msg, size_t n)
{
  const char *fin =
      o->kind == KIND_PVC ? FIN_PVC_PROTECTION : FIN_PV_PROTECTION;

  (void)old;
  (void)ctx;
  (void)msg;
  (void)n;
  o->meta.finalizers = stor__str_add(api_arena(api), o->meta.finalizers, fin);
  return API_OK;
}

/* --- entry points --------------------------------------------------------- */

void storage__worker_init(struct stor__worker *w, const char *kind,
                          void (*sync)(struct storage *, const char *,
                                       const char *),
                          simtime backoff_base, simtime backoff_max)
{
  w->kind = kind;
  w->sync = sync;
  w->backoff_base = backoff_base;
  w->backoff_max = backoff_max;
}

static struct informer *kcm_informer(struct storage *s, enum obj_kind k,
                                     informer_handler_fn *fn)
{
  struct informer *inf =
      informer_new(s->api, k, PV_CONTROLLER, s->t->v[TIMING_WATCH_DELAY]);

  if (fn)
    informer_add_handler(inf, fn, s);
  return inf;
}

void *storage_start(const struct cluster_env *env)
{
  struct storage *s = xcalloc(1, sizeof(*s));
  void *minor;

  s->env = *env;
  s->api = env->api;
  s->engine = api_engine(env->api);
  s->arena = api_arena(env->api);
  s->t = &env->s->timings;
  s->minor = env->s->kubernetes_minor;
  s->rng = rng_stream_new(env->seed, RNG_STORAGE, 0);

  minor = (void *)(intptr_t)s->minor;
  api_add_admission(s->api, KIND_PVC, false, admit_default_class, minor);
  api_add_admission(s->api, KIND_PVC, false, admit_protection, NULL);
  api_add_admission(s->api, KIND_PV, false, admit_protection, NULL);

  /* workqueue.DefaultControllerRateLimiter: 5 ms doubling to 1000 s */
  storage__worker_init(&s->claim_w, "pv-claim-sync", storage__sync_claim,
                       SIM_MS(5), SIM_SEC(1000));
  storage__worker_init(&s->volume_w, "pv-volume-sync", storage__sync_volume,
                       SIM_MS(5), SIM_SEC(1000));
  storage__worker_init(&s->pvc_prot_w, "pvc-protection-sync",
                       storage__sync_pvc_protection, SIM_MS(5), SIM_SEC(1000));
  storage__worker_init(&s->pv_prot_w, "pv-protection-sync",
                       storage__sync_pv_protection, SIM_MS(5), SIM_SEC(1000));

  s->pvcs = kcm_informer(s, KIND_PVC, on_pvc);
  s->pvs = kcm_informer(s, KIND_PV, on_pv);
  s->classes = kcm_informer(s, KIND_STORAGECLASS, on_class);
  s->pods = kcm_informer(s, KIND_POD, on_pod);
  s->nodes = kcm_informer(s, KIND_NODE, NULL);
  storage__prov_start(s);
  return s;
}

void storage__worker_release(struct storage *s, struct stor__worker *w)
{
  if (w->handle)
    engine_cancel(s->engine, w->handle);
  stor__queue_release(&w->q);
  stor__map_release(&w->fails);
}

void storage_stop(void *state)
{
  struct storage *s = state;

  if (!s)
    return;
  storage__prov_stop(s);
  for (size_t i = 0; i < s->retries.nr; i++) {
    engine_cancel(s->engine, s->retries.v[i]->handle);
    free(s->retries.v[i]);
  }
  free(s->retries.v);
  if (s->resync_handle)
    engine_cancel(s->engine, s->resync_handle);
  storage__worker_release(s, &s->claim_w);
  storage__worker_release(s, &s->volume_w);
  storage__worker_release(s, &s->pvc_prot_w);
  storage__worker_release(s, &s->pv_prot_w);
  storage__worker_release(s, &s->prov_w);
  storage__worker_release(s, &s->prov_del_w);
  stor__map_release(&s->claim_ov);
  stor__map_release(&s->volume_ov);
  stor__set_release(&s->unclaimed);
  stor__index_release(&s->by_claim);
  stor__index_release(&s->pods_by_claim);
  stor__map_release(&s->waiting);
  stor__set_release(&s->waiting_keys);
  stor__set_release(&s->retry_volumes);
  free(s->scratch.v);
  rng_free(s->rng);
  free(s);
}
