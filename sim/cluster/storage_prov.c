/*
 * storage_prov.c - the external CSI provisioner (kubernetes-csi/
 * external-provisioner on sig-storage-lib-external-provisioner), a
 * separate process with its own informers, reference cluster-behaviour.md
 * 4.4-4.6. One actor serves every CSI driver: it provisions for claims the
 * PV controller annotated with volume.kubernetes.io/storage-provisioner
 * and deletes the volumes it provisioned once they are Released with
 * reclaim policy Delete.
 *
 * Provisioning: a claim qualifies while it is unbound, not deleting, its
 * class names the same provisioner and, for WaitForFirstConsumer, it
 * carries volume.kubernetes.io/selected-node. The provisioner says
 * "Provisioning", the backend creates the disk (provisionLatency,
 * lognormal, median from the timings table, spread 2 so that p99 is about
 * 5x the median, as the 3-15 s seen in the field), then the PV is created:
 * named pvc-<claim uid>, pre-bound to the claim (claimRef with uid, so the
 * PV controller completes the binding), the claim's class, access modes,
 * volumeMode and request as capacity, the class's reclaim policy, a CSI
 * source, annotation pv.kubernetes.io/provisioned-by and, with
 * HonorPVReclaimPolicy (on from 1.31), the provisioner's finalizer.
 *
 * Topology (zonal drivers only, stor__driver_zonal): WaitForFirstConsumer
 * volumes are created in the selected node's zone and get node affinity
 * topology.kubernetes.io/zone In [zone] (real drivers use their own key;
 * stsim uses the well-known label for all); the zone must be allowed by
 * the class's allowedTopologies. Immediate volumes are created without a
 * node in mind: among the allowed zones, or else the zones of all nodes,
 * sorted, the provisioner prefers the one at (hash of the name without a
 * trailing "-<ordinal>" + ordinal) modulo their number, as its
 * sortAndShift does, so a StatefulSet's claims spread over the zones.
 * A selected node that no longer exists makes it remove the annotation
 * so the scheduler picks again (ProvisioningReschedule).
 *
 * Failures: a provisioning error is retried with the provisioner's
 * back-off (1 s doubling to 5 min); creating the PV object is tried 5
 * times, 10 s apart (createProvisionedPVRetryCount/Interval).
 *
 * Events name the driver as their source (upstream: the provisioner's
 * identity, "<driver>_<pod name>").
 *
 * SIMPLIFIED: deleting the backing disk takes no virtual time and never
 * fails (a real cloud refuses to delete a disk that is still attached and
 * the provisioner retries); capacity is not rounded to the driver's
 * granularity; CSIStorageCapacity and per-driver topology keys are not
 * modelled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "storage_int.h"

#define PROVISION_SPREAD 2.0
#define CREATE_PV_TRIES 5
#define CREATE_PV_INTERVAL SIM_SEC(10)

static const char *claim_provisioner(const struct object *c)
{
  const char *p = kv_get(&c->meta.annotations, ANN_STORAGE_PROVISIONER);

  return p ? p : kv_get(&c->meta.annotations, ANN_BETA_STORAGE_PROVISIONER);
}

/* --- topology ------------------------------------------------------------- */

/* The zone values an allowedTopologies lists (In on the zone label). */
static bool zone_allowed(const struct storage_class *sc, const char *zone)
{
  const struct node_selector *at = &sc->allowed_topologies;

  if (!at->terms_nr)
    return true;
  for (size_t i = 0; i < at->terms_nr; i++) {
    struct kv l = {LABEL_ZONE, zone};
    struct kv_list labels = {&l, zone ? 1 : 0};
    struct node_selector_term t = at->terms[i];
    struct node_selector one = {&t, 1};
    t.fields_nr = 0; /* allowedTopologies has no field selectors */
    if (node_selector_matches(&one, "", &labels))
      return true;
  }
  return false;
}

struct zones {
  VEC(const char *) v;
};

static void add_zone(struct zones *z, const char *zone)
{
  if (!zone)
    return;
  for (size_t i = 0; i < z->v.nr; i++)
    if (!strcmp(z->v.v[i], zone))
      return;
  VEC_PUSH(&z->v, zone);
}

static bool collect_zone(const struct object *n, void *ctx)
{
  add_zone(ctx, kv_get(&n->meta.labels, LABEL_ZONE));
  return true;
}

static int str_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* sortAndShift: the preferred zone of an Immediate volume for claim name. */
static const char *immediate_zone(struct storage *s,
                                  const struct storage_class *sc,
                                  const char *name)
{
  struct zones all = {{0}}, ok = {{0}};
  const char *dash = strrchr(name, '-'), *zone = NULL;
  uint64_t h;
  size_t plen = strlen(name), ordinal = 0;

  informer_list(s->p_nodes, NULL, NULL, collect_zone, &all);
  for (size_t i = 0; i < all.v.nr; i++)
    if (zone_allowed(sc, all.v.v[i]))
      VEC_PUSH(&ok.v, all.v.v[i]);
  if (ok.v.nr) {
    qsort(ok.v.v, ok.v.nr, sizeof(*ok.v.v), str_cmp);
    if (dash && dash[1] && strspn(dash + 1, "0123456789") == strlen(dash + 1)) {
      plen = (size_t)(dash - name);
      ordinal = (size_t)strtoull(dash + 1, NULL, 10);
    }
    h = sim_fnv1a(SIM_FNV_INIT, name, plen);
    zone = ok.v.v[(h + ordinal) % ok.v.nr];
  }
  free(all.v.v);
  free(ok.v.v);
  return zone;
}

static struct node_selector zone_affinity(struct arena *a, const char *zone)
{
  struct node_selector_term *t = arena_calloc(a, 1, sizeof(*t));
  struct selector_req *r = arena_calloc(a, 1, sizeof(*r));
  const char **vals = arena_alloc(a, sizeof(*vals));

  vals[0] = zone;
  *r = (struct selector_req){LABEL_ZONE, SEL_IN, {vals, 1}};
  t->exprs = r;
  t->exprs_nr = 1;
  return (struct node_selector){t, 1};
}

/* --- provisioning --------------------------------------------------------- */

static void failed(struct storage *s, const char *prov, const struct object *c,
                   const char *cls, const char *why)
{
  storage__event(s, prov, c, EVENT_WARNING, "ProvisioningFailed",
                 "failed to provision volume with StorageClass \"%s\": %s", cls,
                 why);
}

static bool drop_selected_node(struct object *o, void *ctx)
{
  struct storage *s = ctx;

  if (!kv_get(&o->meta.annotations, ANN_SELECTED_NODE))
    return false;
  o->meta.annotations =
      stor__kv_del(s->arena, o->meta.annotations, ANN_SELECTED_NODE);
  return true;
}

static void op_free(struct storage *s, struct stor__prov_op *op)
{
  const struct object *c = informer_get(s->p_pvcs, op->ns, op->name);

  stor__map_del(&s->prov_ops, op->ns, op->name);
  /* A claim re-created under the same name while this one ran. */
  if (c && c->meta.uid != op->claim_uid)
    storage__enqueue(s, &s->prov_w, op->ns, op->name);
  free(op);
}

static void create_volume(struct engine *e, uint64_t subject, uint64_t arg,
                          void *ctx)
{
  struct stor__prov_op *op = ctx;
  struct storage *s = (struct storage *)(uintptr_t)arg;
  const char *prov = op->pv->u.pv.spec.csi_driver;
  enum api_status st;

  (void)subject;
  op->handle = 0;
  if (op->tries == 0)
    cluster_note(
        &s->env,
        arena_printf(s->arena, "PersistentVolume/%s", op->pv->meta.name),
        "Provisioned", "disk created for claim %s/%s", op->ns, op->name);
  op->tries++;
  st = api_create(s->api, CSI_PROVISIONER, op->pv, NULL);
  if (st == API_OK || st == API_ALREADY_EXISTS) {
    stor__map_put(&s->prov_done, op->ns, op->name,
                  (void *)(uintptr_t)op->claim_uid);
    if (st == API_OK)
      storage__event(s, prov, op->claim, EVENT_NORMAL, "ProvisioningSucceeded",
                     "Successfully provisioned volume %s", op->pv->meta.name);
  } else {
    if (op->tries < CREATE_PV_TRIES) {
      op->handle = engine_schedule(e, engine_now(e) + CREATE_PV_INTERVAL,
                                   PHASE_CONTROLLER, "csi-create-pv",
                                   create_volume, 0, arg, op);
      return;
    }
    storage__event(s, prov, op->claim, EVENT_WARNING, "ProvisioningFailed",
                   "Error creating provisioned PV object for claim %s/%s: "
                   "%s. Deleting the volume.",
                   op->ns, op->name, api_last_error(s->api));
    storage__retry(s, &s->prov_w, op->ns, op->name);
  }
  op_free(s, op);
}

static void sync_claim(struct storage *s, const char *ns, const char *name)
{
  const struct object *c = informer_get(s->p_pvcs, ns, name);
  const struct object *sc, *node;
  const char *prov, *cls, *sel, *zone = NULL, *pvname;
  struct stor__prov_op *op;
  struct object pv;
  struct pv_spec *ps;

  if (!c || c->u.pvc.spec.volume_name || meta_is_deleting(&c->meta))
    return;
  prov = claim_provisioner(c);
  if (!prov)
    return;
  op = stor__map_get(&s->prov_ops, ns, name);
  if (op)
    return; /* an operation for this claim is running */
  if ((uintptr_t)stor__map_get(&s->prov_done, ns, name) == c->meta.uid)
    return; /* provisioned; the PV controller has not bound it yet */
  cls = stor__claim_class(c);
  sc = informer_get(s->p_classes, "", cls);
  if (!sc || !sc->u.sc.provisioner ||
      strcmp(stor__csi_name(sc->u.sc.provisioner), prov))
    return;
  sel = kv_get(&c->meta.annotations, ANN_SELECTED_NODE);
  if (sc->u.sc.volume_binding_mode == BINDING_WAIT_FOR_FIRST_CONSUMER && !sel)
    return;
  pvname = stor__provisioned_name(s->arena, c->meta.uid);
  if (informer_get(s->p_pvs, "", pvname))
    return; /* provisioned already */

  storage__event(s, prov, c, EVENT_NORMAL, "Provisioning",
                 "External provisioner is provisioning volume for claim "
                 "\"%s/%s\"",
                 ns, name);
  if (c->u.pvc.spec.has_selector) {
    failed(s, prov, c, cls, "claim Selector is not supported");
    storage__retry(s, &s->prov_w, ns, name);
    return;
  }
  if (stor__driver_zonal(prov)) {
    if (sel) {
      node = informer_get(s->p_nodes, "", sel);
      if (!node) {
        storage__event(s, prov, c, EVENT_WARNING, "ProvisioningFailed",
                       "failed to get target node: node \"%s\" not found", sel);
        s->requests++;
        api_patch(s->api, CSI_PROVISIONER, KIND_PVC, ns, name, c->meta.uid,
                  drop_selected_node, s, NULL);
        return;
      }
      zone = kv_get(&node->meta.labels, LABEL_ZONE);
      if (!zone_allowed(&sc->u.sc, zone)) {
        failed(s, prov, c, cls,
               arena_printf(s->arena,
                            "error generating accessibility requirements: "
                            "selected node '%s' topology is not in allowed "
                            "topologies",
                            sel));
        storage__retry(s, &s->prov_w, ns, name);
        return;
      }
    } else {
      zone = immediate_zone(s, &sc->u.sc, name);
    }
  }
  storage__forget(&s->prov_w, ns, name);

  object_init(&pv, KIND_PV);
  pv.meta.name = pvname;
  pv.meta.annotations =
      stor__kv_set(s->arena, pv.meta.annotations, ANN_PROVISIONED_BY, prov);
  if (s->minor >= 31)
    pv.meta.finalizers =
        stor__str_add(s->arena, pv.meta.finalizers, FIN_PROVISIONER);
  ps = &pv.u.pv.spec;
  ps->capacity_bytes = c->u.pvc.spec.request_bytes;
  ps->access_modes = c->u.pvc.spec.access_modes;
  ps->reclaim_policy = sc->u.sc.reclaim_policy;
  ps->storage_class_name = sc->meta.name;
  ps->volume_mode = c->u.pvc.spec.volume_mode;
  ps->claim_ref =
      (struct claim_ref){c->meta.namespace_, c->meta.name, c->meta.uid};
  ps->source = PVSRC_CSI;
  ps->csi_driver = prov;
  ps->volume_handle =
      zone ? arena_printf(s->arena, "%s/%s", zone, pvname) : pvname;
  if (zone)
    ps->node_affinity = zone_affinity(s->arena, zone);

  op = xcalloc(1, sizeof(*op));
  op->ns = c->meta.namespace_;
  op->name = c->meta.name;
  op->claim_uid = c->meta.uid;
  op->claim = c;
  op->pv = arena_memdup(s->arena, &pv, sizeof(pv));
  stor__map_put(&s->prov_ops, op->ns, op->name, op);
  op->handle = engine_schedule(
      s->engine,
      engine_now(s->engine) + rng_lognormal(s->rng,
                                            s->t->v[TIMING_PROVISION_LATENCY],
                                            PROVISION_SPREAD),
      PHASE_CONTROLLER, "csi-provision", create_volume, 0,
      (uint64_t)(uintptr_t)s, op);
}

/* --- deletion ------------------------------------------------------------- */

static bool drop_finalizer(struct object *o, void *ctx)
{
  struct storage *s = ctx;

  if (!stor__str_has(&o->meta.finalizers, FIN_PROVISIONER))
    return false;
  o->meta.finalizers =
      stor__str_del(s->arena, o->meta.finalizers, FIN_PROVISIONER);
  return true;
}

static void sync_volume(struct storage *s, const char *ns, const char *name)
{
  const struct object *pv = informer_get(s->p_pvs, "", name);
  const char *by;
  bool fin, ok = true;

  (void)ns;
  if (!pv)
    return;
  by = kv_get(&pv->meta.annotations, ANN_PROVISIONED_BY);
  fin = stor__str_has(&pv->meta.finalizers, FIN_PROVISIONER);
  if (!by || !strncmp(by, "kubernetes.io/", 14))
    return; /* not provisioned by a CSI driver */
  if (pv->u.pv.spec.reclaim_policy != RECLAIM_DELETE) {
    /* A retained volume being deleted: nothing to clean up. */
    if (meta_is_deleting(&pv->meta) && fin) {
      s->requests++;
      ok = api_patch(s->api, CSI_PROVISIONER, KIND_PV, "", name, pv->meta.uid,
                     drop_finalizer, s, NULL) == API_OK;
    }
  } else if (pv->u.pv.status.phase == PV_RELEASED) {
    /* DeleteVolume on the backend, then the PV object. */
    cluster_note(&s->env, arena_printf(s->arena, "PersistentVolume/%s", name),
                 "Deleted", "reclaim policy Delete: disk deleted");
    if (!meta_is_deleting(&pv->meta)) {
      s->requests++;
      ok = api_delete(s->api, CSI_PROVISIONER, KIND_PV, "", name, NULL) ==
           API_OK;
    }
    if (ok && fin) {
      s->requests++;
      enum api_status st = api_patch(s->api, CSI_PROVISIONER, KIND_PV, "", name,
                                     pv->meta.uid, drop_finalizer, s, NULL);
      ok = st == API_OK || st == API_NOT_FOUND;
    }
  }
  if (ok)
    storage__forget(&s->prov_del_w, "", name);
  else
    storage__retry(s, &s->prov_del_w, "", name);
}

/* --- informer handlers ---------------------------------------------------- */

static void on_claim(struct informer *inf, enum watch_type t,
                     const struct object *old, const struct object *now,
                     void *ctx)
{
  struct storage *s = ctx;

  (void)inf;
  (void)old;
  if (t == WATCH_DELETED) {
    stor__map_del(&s->prov_done, now->meta.namespace_, now->meta.name);
    return;
  }
  if (claim_provisioner(now) && !now->u.pvc.spec.volume_name)
    storage__enqueue(s, &s->prov_w, now->meta.namespace_, now->meta.name);
}

static void on_volume(struct informer *inf, enum watch_type t,
                      const struct object *old, const struct object *now,
                      void *ctx)
{
  struct storage *s = ctx;
  const struct pv *p = &now->u.pv;

  (void)inf;
  (void)old;
  if (t == WATCH_DELETED || !kv_get(&now->meta.annotations, ANN_PROVISIONED_BY))
    return;
  if (p->status.phase == PV_RELEASED ||
      (meta_is_deleting(&now->meta) &&
       stor__str_has(&now->meta.finalizers, FIN_PROVISIONER)))
    storage__enqueue(s, &s->prov_del_w, "", now->meta.name);
}

void storage__prov_start(struct storage *s)
{
  simtime d = s->t->v[TIMING_WATCH_DELAY];

  /* --retry-interval-start 1 s, --retry-interval-max 5 min */
  storage__worker_init(&s->prov_w, "csi-provisioner-sync", sync_claim,
                       SIM_SEC(1), SIM_MIN(5));
  storage__worker_init(&s->prov_del_w, "csi-provisioner-delete", sync_volume,
                       SIM_SEC(1), SIM_MIN(5));
  s->p_pvcs = informer_new(s->api, KIND_PVC, CSI_PROVISIONER, d);
  informer_add_handler(s->p_pvcs, on_claim, s);
  s->p_pvs = informer_new(s->api, KIND_PV, CSI_PROVISIONER, d);
  informer_add_handler(s->p_pvs, on_volume, s);
  s->p_classes = informer_new(s->api, KIND_STORAGECLASS, CSI_PROVISIONER, d);
  s->p_nodes = informer_new(s->api, KIND_NODE, CSI_PROVISIONER, d);
}

void storage__prov_stop(struct storage *s)
{
  for (size_t i = 0; i < s->prov_ops.cap; i++) {
    struct stor__prov_op *op = s->prov_ops.slots[i].val;
    if (!s->prov_ops.slots[i].ns)
      continue;
    if (op->handle)
      engine_cancel(s->engine, op->handle);
    free(op);
  }
  stor__map_release(&s->prov_ops);
  stor__map_release(&s->prov_done);
}
