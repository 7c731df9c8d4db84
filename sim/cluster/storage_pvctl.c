/*
 * storage_pvctl.c - the PV controller of kube-controller-manager
 * (pkg/controller/volume/persistentvolume/pv_controller.go), reference
 * cluster-behaviour.md 4.1-4.5: syncClaim (unbound: static matching,
 * retroactive default class, delayed binding, handing the claim to an
 * external provisioner; bound: Lost and Misbound), syncVolume (Available,
 * Bound, Released, reclaim) and bind, each step as upstream orders it.
 *
 * Matching (FindMatchingVolume / findByClaim): candidates are the volumes
 * pre-bound to the claim (an index by claimRef) and the volumes without a
 * claimRef (an index), never a scan of every PV. They are grouped by
 * access-mode set; only sets that contain every mode the claim asks for
 * are tried, smallest set first, and the first set with a match wins.
 * Within a set a volume pre-bound to the claim wins at once; otherwise
 * the smallest sufficient Available volume of the claim's class (empty
 * equals empty) whose labels match the claim's selector and whose
 * volumeMode matches. Upstream's order among equal sets and equal sizes
 * is map order; here it is (number of modes, modes, capacity, name).
 *
 * Delayed binding (WaitForFirstConsumer): upstream the PV controller binds
 * only pre-bound volumes of such claims; the scheduler's VolumeBinding
 * plugin picks a static volume for the chosen node and writes its
 * claimRef, or writes the selected-node annotation for provisioning.
 * SIMPLIFIED: once the claim carries volume.kubernetes.io/selected-node,
 * this controller also matches unbound volumes against that node's labels
 * (the scheduler path of FindMatchingVolume) before provisioning, so
 * static WaitForFirstConsumer volumes (local disks) bind even if the
 * scheduler only writes the annotation; if the scheduler writes claimRef
 * itself, the pre-bound path below completes the binding as upstream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage_int.h"

/* --- indexes -------------------------------------------------------------- */

void storage__pv_indexed(struct storage *s, const struct object *old,
                         const struct object *now)
{
  if (old) {
    const struct claim_ref *r = &old->u.pv.spec.claim_ref;
    if (r->name)
      stor__index_del(&s->by_claim, stor__ref_ns(r), r->name, old->meta.name);
    else
      stor__set_del(&s->unclaimed, "", old->meta.name);
  }
  if (now) {
    const struct claim_ref *r = &now->u.pv.spec.claim_ref;
    if (r->name)
      stor__index_add(&s->by_claim, stor__ref_ns(r), r->name, now->meta.name);
    else
      stor__set_add(&s->unclaimed, "", now->meta.name);
  }
}

/* --- predicates ----------------------------------------------------------- */

static bool has_ann(const struct object *o, const char *k)
{
  return kv_get(&o->meta.annotations, k) != NULL;
}

/* IsVolumeBoundToClaim: claimRef names the claim, uid empty or equal. */
static bool bound_to_claim(const struct object *pv, const struct object *c)
{
  const struct claim_ref *r = &pv->u.pv.spec.claim_ref;

  return r->name && !strcmp(r->name, c->meta.name) &&
         !strcmp(stor__ref_ns(r), c->meta.namespace_) &&
         (r->uid == 0 || r->uid == c->meta.uid);
}

static bool modes_cover(unsigned have, unsigned want)
{
  return (have & want) == want;
}

/* IsDelayBindingMode: the claim's class exists and is WaitForFirstConsumer. */
static bool delay_binding(struct storage *s, const struct object *c)
{
  const char *cls = stor__claim_class(c);
  const struct object *sc;

  if (!*cls)
    return false;
  sc = informer_get(s->classes, "", cls);
  return sc && sc->u.sc.volume_binding_mode == BINDING_WAIT_FOR_FIRST_CONSUMER;
}

/* checkVolumeSatisfyClaim: NULL, or why the volume does not fit. */
static const char *volume_unfit(const struct object *pv, const struct object *c)
{
  if (meta_is_deleting(&pv->meta))
    return "the volume is marked for deletion";
  if (pv->u.pv.spec.capacity_bytes < c->u.pvc.spec.request_bytes)
    return "requested PV is too small";
  if (strcmp(stor__pv_class(pv), stor__claim_class(c)))
    return "storageClassName does not match";
  if (pv->u.pv.spec.volume_mode != c->u.pvc.spec.volume_mode)
    return "incompatible volumeMode";
  if (!modes_cover(pv->u.pv.spec.access_modes, c->u.pvc.spec.access_modes))
    return "incompatible accessMode";
  return NULL;
}

/* --- matching ------------------------------------------------------------- */

static int popcount(unsigned x)
{
  int n = 0;

  for (; x; x &= x - 1)
    n++;
  return n;
}

static int cand_cmp(const void *pa, const void *pb)
{
  const struct object *a = *(const struct object *const *)pa;
  const struct object *b = *(const struct object *const *)pb;
  unsigned ma = a->u.pv.spec.access_modes, mb = b->u.pv.spec.access_modes;

  if (popcount(ma) != popcount(mb))
    return popcount(ma) - popcount(mb);
  if (ma != mb)
    return ma < mb ? -1 : 1;
  return strcmp(a->meta.name, b->meta.name);
}

static void add_cand(struct storage *s, const struct object *pv)
{
  for (size_t i = 0; i < s->scratch.nr; i++)
    if (s->scratch.v[i] == pv)
      return;
  VEC_PUSH(&s->scratch, pv);
}

/*
 * FindMatchingVolume over one access-mode group (sorted by name). node is
 * the node to check node affinity against (the scheduler path), or NULL.
 * *stop is set when a pre-bound volume fails node affinity: upstream then
 * answers "no match" for the whole group.
 */
static const struct object *match_group(const struct object *const *v,
                                        size_t nr, const struct object *c,
                                        bool delayed, const struct object *node)
{
  const struct pvc_spec *cs = &c->u.pvc.spec;
  const char *cls = stor__claim_class(c);
  const struct object *best = NULL;

  for (size_t i = 0; i < nr; i++) {
    const struct object *pv = v[i];
    const struct pv_spec *ps = &pv->u.pv.spec;
    bool fits_node = true;

    if (ps->capacity_bytes < cs->request_bytes)
      continue;
    if (ps->volume_mode != cs->volume_mode)
      continue;
    if (meta_is_deleting(&pv->meta))
      continue;
    if (node)
      fits_node = node_selector_matches(&ps->node_affinity, node->meta.name,
                                        &node->meta.labels);
    if (bound_to_claim(pv, c))
      return fits_node ? pv : NULL;
    if (!node && delayed)
      continue; /* the scheduler binds unbound volumes of such claims */
    if (pv->u.pv.status.phase != PV_AVAILABLE || ps->claim_ref.name)
      continue;
    if (cs->has_selector && !selector_matches(&cs->selector, &pv->meta.labels))
      continue;
    if (strcmp(stor__pv_class(pv), cls) || !fits_node)
      continue;
    if (!best || ps->capacity_bytes < best->u.pv.spec.capacity_bytes)
      best = pv;
  }
  return best;
}

static const struct object *find_best_match(struct storage *s,
                                            const struct object *c,
                                            bool delayed,
                                            const struct object *node)
{
  const struct stor__names *pre =
      stor__index_get(&s->by_claim, c->meta.namespace_, c->meta.name);
  unsigned want = c->u.pvc.spec.access_modes;
  const struct object *found = NULL;

  s->scratch.nr = 0;
  for (size_t i = 0; pre && i < pre->v.nr; i++) {
    const struct object *pv = storage__volume(s, pre->v.v[i]);
    if (pv && bound_to_claim(pv, c))
      add_cand(s, pv);
  }
  for (size_t i = 0; i < s->unclaimed.v.nr; i++) {
    const struct object *pv = storage__volume(s, s->unclaimed.v.v[i].name);
    if (pv && !pv->u.pv.spec.claim_ref.name)
      add_cand(s, pv);
  }
  if (!s->scratch.nr)
    return NULL;
  qsort(s->scratch.v, s->scratch.nr, sizeof(*s->scratch.v), cand_cmp);
  for (size_t i = 0, j; i < s->scratch.nr && !found; i = j) {
    unsigned modes = s->scratch.v[i]->u.pv.spec.access_modes;
    for (j = i;
         j < s->scratch.nr && s->scratch.v[j]->u.pv.spec.access_modes == modes;
         j++)
      ;
    if (modes_cover(modes, want))
      found = match_group(&s->scratch.v[i], j - i, c, delayed, node);
  }
  return found;
}

/* --- writes --------------------------------------------------------------- */

static bool set_claim_phase(struct storage *s, const struct object *c,
                            enum pvc_phase phase, const struct object *pv,
                            const struct object **out)
{
  struct object o = *c;
  struct pvc_status *st = &o.u.pvc.status;

  st->phase = phase;
  if (!pv) {
    st->access_modes = 0;
    st->capacity_bytes = 0;
  } else {
    st->access_modes = pv->u.pv.spec.access_modes;
    /* The capacity is set when the claim becomes Bound, not after. */
    if (c->u.pvc.status.phase != phase)
      st->capacity_bytes = pv->u.pv.spec.capacity_bytes;
  }
  if (st->phase == c->u.pvc.status.phase &&
      st->access_modes == c->u.pvc.status.access_modes &&
      st->capacity_bytes == c->u.pvc.status.capacity_bytes) {
    if (out)
      *out = c;
    return true;
  }
  return storage__update(s, PV_CONTROLLER, &o, true, out) == API_OK;
}

static bool set_volume_phase(struct storage *s, const struct object *pv,
                             enum pv_phase phase, const char *message,
                             const struct object **out)
{
  struct object o = *pv;

  if (pv->u.pv.status.phase == phase) {
    if (out)
      *out = pv;
    return true;
  }
  o.u.pv.status.phase = phase;
  o.u.pv.status.message = message;
  return storage__update(s, PV_CONTROLLER, &o, true, out) == API_OK;
}

/* updateVolumePhaseWithEvent: the event only when the phase changes. */
static bool fail_volume(struct storage *s, const struct object *pv,
                        const char *reason, const char *msg)
{
  if (pv->u.pv.status.phase == PV_FAILED)
    return true;
  if (!set_volume_phase(s, pv, PV_FAILED, msg, &pv))
    return false;
  storage__event(s, PV_CONTROLLER, pv, EVENT_WARNING, reason, "%s", msg);
  return true;
}

/*
 * bind: the volume first (claimRef, bound-by-controller when this
 * controller chose it), its phase, then the claim (volumeName, the
 * bind-completed and bound-by-controller annotations) and its status.
 * Stops at the first failed write; a later sync finishes the job.
 */
static bool bind(struct storage *s, const struct object *pv,
                 const struct object *c)
{
  const struct claim_ref *r = &pv->u.pv.spec.claim_ref;
  int requests = s->requests;
  struct object o;

  if (!r->name || strcmp(r->name, c->meta.name) ||
      strcmp(stor__ref_ns(r), c->meta.namespace_) || r->uid != c->meta.uid) {
    o = *pv;
    o.u.pv.spec.claim_ref =
        (struct claim_ref){c->meta.namespace_, c->meta.name, c->meta.uid};
    if (!bound_to_claim(pv, c))
      o.meta.annotations = stor__kv_set(s->arena, o.meta.annotations,
                                        ANN_BOUND_BY_CONTROLLER, "yes");
    if (storage__update(s, PV_CONTROLLER, &o, false, &pv) != API_OK)
      return false;
  }
  if (!set_volume_phase(s, pv, PV_BOUND, NULL, &pv))
    return false;
  o = *c;
  if (!c->u.pvc.spec.volume_name ||
      strcmp(c->u.pvc.spec.volume_name, pv->meta.name)) {
    o.u.pvc.spec.volume_name = pv->meta.name;
    o.meta.annotations = stor__kv_set(s->arena, o.meta.annotations,
                                      ANN_BOUND_BY_CONTROLLER, "yes");
  }
  o.meta.annotations =
      stor__kv_set(s->arena, o.meta.annotations, ANN_BIND_COMPLETED, "yes");
  if (o.meta.annotations.v != c->meta.annotations.v ||
      o.u.pvc.spec.volume_name != c->u.pvc.spec.volume_name) {
    if (storage__update(s, PV_CONTROLLER, &o, false, &c) != API_OK)
      return false;
  }
  if (!set_claim_phase(s, c, PVC_BOUND, pv, &c))
    return false;
  if (s->requests != requests)
    cluster_note(
        &s->env,
        arena_printf(s->arena, "PersistentVolumeClaim/%s", c->meta.name),
        "Bound", "bound to volume %s", pv->meta.name);
  return true;
}

/*
 * unbindVolume: a volume this controller bound loses its claimRef (and the
 * annotation); a volume the user pre-bound keeps the claim's name but not
 * its uid. Then Available.
 */
static bool unbind_volume(struct storage *s, const struct object *pv)
{
  struct object o = *pv;

  if (has_ann(pv, ANN_BOUND_BY_CONTROLLER)) {
    o.u.pv.spec.claim_ref = (struct claim_ref){NULL, NULL, 0};
    o.meta.annotations =
        stor__kv_del(s->arena, o.meta.annotations, ANN_BOUND_BY_CONTROLLER);
  } else {
    o.u.pv.spec.claim_ref.uid = 0;
  }
  if (storage__update(s, PV_CONTROLLER, &o, false, &pv) != API_OK)
    return false;
  return set_volume_phase(s, pv, PV_AVAILABLE, NULL, NULL);
}

/* --- unbound claims ------------------------------------------------------- */

static bool pick_default(const struct object *o, void *ctx)
{
  const struct object **best = ctx;

  if (stor__class_is_default(o) &&
      (!*best ||
       o->meta.creation_timestamp > (*best)->meta.creation_timestamp ||
       (o->meta.creation_timestamp == (*best)->meta.creation_timestamp &&
        strcmp(o->meta.name, (*best)->meta.name) < 0)))
    *best = o;
  return true;
}

/*
 * assignDefaultStorageClass (RetroactiveDefaultStorageClass: beta and on
 * from 1.26, GA 1.28): a claim with no class at all (nil, not "") that
 * found no volume gets the default class. Returns true when the claim
 * was written (its update event restarts the sync) or the write failed.
 */
static bool assign_default_class(struct storage *s, const struct object *c)
{
  const struct object *best = NULL;
  struct object o;

  if (s->minor < 26 || stor__claim_has_class(c))
    return false;
  informer_list(s->classes, NULL, NULL, pick_default, &best);
  if (!best)
    return false;
  o = *c;
  o.u.pvc.spec.storage_class_name = best->meta.name;
  if (storage__update(s, PV_CONTROLLER, &o, false, NULL) != API_OK)
    storage__wait(s, c, WAIT_RETRY);
  else
    cluster_note(
        &s->env,
        arena_printf(s->arena, "PersistentVolumeClaim/%s", c->meta.name),
        "DefaultClass", "assigned the default StorageClass %s",
        best->meta.name);
  return true;
}

/* emitEventForUnboundDelayBindingClaim */
static void delay_binding_event(struct storage *s, const struct object *c)
{
  const struct stor__names *pods =
      stor__index_get(&s->pods_by_claim, c->meta.namespace_, c->meta.name);
  char names[512];
  size_t len = 0;
  int nr = 0;

  names[0] = '\0';
  for (size_t i = 0; pods && i < pods->v.nr; i++) {
    const struct object *p =
        informer_get(s->pods, c->meta.namespace_, pods->v.v[i]);
    if (!p || !stor__pod_uses_claim(p, c->meta.name) ||
        stor__pod_terminated(p) || p->u.pod.spec.node_name)
      continue;
    if (len < sizeof(names))
      len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
                              nr ? "," : "", p->meta.name);
    nr++;
  }
  if (!nr)
    storage__event(s, PV_CONTROLLER, c, EVENT_NORMAL, "WaitForFirstConsumer",
                   "waiting for first consumer to be created before binding");
  else
    storage__event(s, PV_CONTROLLER, c, EVENT_NORMAL, "WaitForPodScheduled",
                   "waiting for %s %s to be scheduled", nr > 1 ? "pods" : "pod",
                   names);
}

/*
 * provisionClaim for an external (CSI) provisioner: annotate the claim
 * with the provisioner's name, which is what the provisioner watches
 * for, and say so. In-tree provisioner names are translated to their CSI
 * driver (CSI migration); kubernetes.io/no-provisioner has no plugin.
 */
static void provision_claim(struct storage *s, const struct object *c)
{
  const char *cls = stor__claim_class(c);
  const struct object *sc = informer_get(s->classes, "", cls);
  const char *prov;
  struct object o;

  if (!sc) {
    storage__event(s, PV_CONTROLLER, c, EVENT_WARNING, "ProvisioningFailed",
                   "storageclass.storage.k8s.io \"%s\" not found", cls);
    storage__wait(s, c, WAIT_CLASS | WAIT_VOLUME);
    return;
  }
  prov = sc->u.sc.provisioner ? sc->u.sc.provisioner : "";
  if (!*prov || !strcmp(prov, NO_PROVISIONER)) {
    storage__event(s, PV_CONTROLLER, c, EVENT_WARNING, "ProvisioningFailed",
                   "no volume plugin matched name: %s", prov);
    storage__wait(s, c, WAIT_VOLUME);
    return;
  }
  prov = stor__csi_name(prov);
  o = *c;
  o.meta.annotations =
      stor__kv_set(s->arena, o.meta.annotations, ANN_STORAGE_PROVISIONER, prov);
  o.meta.annotations = stor__kv_set(s->arena, o.meta.annotations,
                                    ANN_BETA_STORAGE_PROVISIONER, prov);
  if (o.meta.annotations.v != c->meta.annotations.v &&
      storage__update(s, PV_CONTROLLER, &o, false, &c) != API_OK) {
    storage__event(s, PV_CONTROLLER, c, EVENT_WARNING, "ProvisioningFailed",
                   "Error saving claim: %s", api_last_error(s->api));
    storage__wait(s, c, WAIT_RETRY);
    return;
  }
  /* The newer wording (kubernetes#116821, 2023); its first release is
   * not pinned down in the reference: taken as 1.28. */
  if (s->minor >= 28)
    storage__event(s, PV_CONTROLLER, c, EVENT_NORMAL, "ExternalProvisioning",
                   "Waiting for a volume to be created either by the "
                   "external provisioner '%s' or manually by the system "
                   "administrator. If volume creation is delayed, please "
                   "verify that the provisioner is running and correctly "
                   "registered.",
                   prov);
  else
    storage__event(s, PV_CONTROLLER, c, EVENT_NORMAL, "ExternalProvisioning",
                   "waiting for a volume to be created, either by external "
                   "provisioner \"%s\" or manually created by system "
                   "administrator",
                   prov);
}

static void keep_pending(struct storage *s, const struct object *c,
                         unsigned why)
{
  if (!set_claim_phase(s, c, PVC_PENDING, NULL, NULL))
    why |= WAIT_RETRY;
  storage__wait(s, c, why);
}

static void sync_unbound_any(struct storage *s, const struct object *c)
{
  bool delayed = delay_binding(s, c);
  const char *sel = kv_get(&c->meta.annotations, ANN_SELECTED_NODE);
  const struct object *node = NULL, *pv;

  if (delayed && sel)
    node = informer_get(s->nodes, "", sel);
  pv = find_best_match(s, c, delayed, node);
  if (pv) {
    if (!bind(s, pv, c))
      storage__wait(s, c, WAIT_RETRY);
    return;
  }
  if (assign_default_class(s, c))
    return;
  if (delayed && !sel) {
    delay_binding_event(s, c);
    keep_pending(s, c, WAIT_POD);
  } else if (*stor__claim_class(c)) {
    provision_claim(s, c);
  } else {
    storage__event(s, PV_CONTROLLER, c, EVENT_NORMAL, "FailedBinding",
                   "no persistent volumes available for this claim and no "
                   "storage class is set");
    keep_pending(s, c,
                 WAIT_VOLUME | (stor__claim_has_class(c) ? 0 : WAIT_CLASS));
  }
}

/* The user asked for a specific volume (spec.volumeName). */
static void sync_unbound_named(struct storage *s, const struct object *c)
{
  const char *want = c->u.pvc.spec.volume_name;
  const struct object *pv = storage__volume(s, want);
  const char *why;

  if (!pv) {
    keep_pending(s, c, WAIT_VOLUME);
    return;
  }
  if (!pv->u.pv.spec.claim_ref.name) {
    why = volume_unfit(pv, c);
    if (why) {
      storage__event(s, PV_CONTROLLER, c, EVENT_WARNING, "VolumeMismatch",
                     "Cannot bind to requested volume \"%s\": %s", want, why);
      keep_pending(s, c, WAIT_VOLUME);
    } else if (!bind(s, pv, c)) {
      storage__wait(s, c, WAIT_RETRY);
    }
    return;
  }
  if (bound_to_claim(pv, c)) {
    if (!bind(s, pv, c))
      storage__wait(s, c, WAIT_RETRY);
    return;
  }
  storage__event(s, PV_CONTROLLER, c, EVENT_WARNING, "FailedBinding",
                 "volume \"%s\" already bound to a different claim.", want);
  if (!has_ann(c, ANN_BOUND_BY_CONTROLLER))
    keep_pending(s, c, WAIT_VOLUME);
  else
    storage__wait(s, c, WAIT_RETRY | WAIT_VOLUME);
}

/* --- bound claims --------------------------------------------------------- */

static void claim_lost(struct storage *s, const struct object *c,
                       const char *reason, const char *msg)
{
  /* updateClaimStatusWithEvent: write and tell only on a phase change. */
  if (c->u.pvc.status.phase == PVC_LOST)
    return;
  if (!set_claim_phase(s, c, PVC_LOST, NULL, &c)) {
    storage__wait(s, c, WAIT_RETRY);
    return;
  }
  storage__event(s, PV_CONTROLLER, c, EVENT_WARNING, reason, "%s", msg);
}

static void sync_bound(struct storage *s, const struct object *c)
{
  const char *vn = c->u.pvc.spec.volume_name;
  const struct object *pv;

  if (!vn) {
    claim_lost(s, c, "ClaimLost",
               "Bound claim has lost reference to PersistentVolume. Data on "
               "the volume is lost!");
    return;
  }
  pv = storage__volume(s, vn);
  if (!pv) {
    claim_lost(s, c, "ClaimLost",
               "Bound claim has lost its PersistentVolume. Data on the "
               "volume is lost!");
    return;
  }
  if (!pv->u.pv.spec.claim_ref.name ||
      pv->u.pv.spec.claim_ref.uid == c->meta.uid) {
    /* Unbound volume: bind again; all well: bind() changes nothing. */
    if (!bind(s, pv, c))
      storage__wait(s, c, WAIT_RETRY);
    return;
  }
  claim_lost(s, c, "ClaimMisbound",
             "Two claims are bound to the same volume, this one is bound "
             "incorrectly");
}

void storage__sync_claim(struct storage *s, const char *ns, const char *name)
{
  const struct object *c = storage__claim(s, ns, name);

  storage__unwait(s, ns, name);
  if (!c)
    return;
  if (has_ann(c, ANN_BIND_COMPLETED))
    sync_bound(s, c);
  else if (c->u.pvc.spec.volume_name)
    sync_unbound_named(s, c);
  else
    sync_unbound_any(s, c);
}

/* --- volumes -------------------------------------------------------------- */

/*
 * reclaimVolume. Retain: nothing. Delete: a volume of an external
 * provisioner (and, with HonorPVReclaimPolicy, any CSI volume) is left to
 * the provisioner; an in-tree hostPath volume under /tmp is deleted here;
 * any other has no deleter and fails. Recycle (deprecated): hostPath and
 * NFS volumes are scrubbed and made Available again, SIMPLIFIED without
 * the recycler pod (instantly, without the check for pods still using
 * it); other volumes have no recycler and fail.
 */
static void reclaim(struct storage *s, const struct object *pv)
{
  const struct pv_spec *ps = &pv->u.pv.spec;
  const char *by = kv_get(&pv->meta.annotations, ANN_PROVISIONED_BY);
  bool ok = true;

  switch (ps->reclaim_policy) {
  case RECLAIM_RETAIN:
    return;
  case RECLAIM_RECYCLE:
    if (ps->source == PVSRC_HOSTPATH || ps->source == PVSRC_NFS) {
      ok = unbind_volume(s, pv);
      if (ok)
        storage__event(s, PV_CONTROLLER, pv, EVENT_NORMAL, "VolumeRecycled",
                       "Volume recycled");
    } else {
      ok = fail_volume(s, pv, "VolumeFailedRecycle",
                       "No recycler plugin found for the volume!");
    }
    break;
  case RECLAIM_DELETE:
    if (by || ps->source == PVSRC_CSI) {
      return; /* an external deleter: the CSI provisioner */
    } else if (ps->source == PVSRC_HOSTPATH && ps->path &&
               !strncmp(ps->path, "/tmp/", 5) && ps->path[5]) {
      if (meta_is_deleting(&pv->meta))
        return;
      s->requests++;
      ok = api_delete(s->api, PV_CONTROLLER, KIND_PV, "", pv->meta.name,
                      NULL) == API_OK;
    } else if (ps->source == PVSRC_HOSTPATH) {
      ok = fail_volume(
          s, pv, "VolumeFailedDelete",
          arena_printf(s->arena,
                       "host_path deleter only supports /tmp/.+ but received "
                       "provided %s",
                       ps->path ? ps->path : ""));
    } else {
      ok = fail_volume(s, pv, "VolumeFailedDelete",
                       arena_printf(s->arena,
                                    "error getting deleter volume plugin for "
                                    "volume \"%s\": no deletable volume "
                                    "plugin matched",
                                    pv->meta.name));
    }
    break;
  }
  if (!ok)
    storage__retry_volume(s, pv->meta.name);
}

static void release(struct storage *s, const struct object *pv)
{
  if (pv->u.pv.status.phase != PV_RELEASED &&
      pv->u.pv.status.phase != PV_FAILED) {
    if (!set_volume_phase(s, pv, PV_RELEASED, NULL, &pv)) {
      storage__retry_volume(s, pv->meta.name);
      return;
    }
    cluster_note(
        &s->env, arena_printf(s->arena, "PersistentVolume/%s", pv->meta.name),
        "Released", "claim %s/%s is gone; reclaim policy %s",
        stor__ref_ns(&pv->u.pv.spec.claim_ref), pv->u.pv.spec.claim_ref.name,
        pv->u.pv.spec.reclaim_policy == RECLAIM_DELETE   ? "Delete"
        : pv->u.pv.spec.reclaim_policy == RECLAIM_RETAIN ? "Retain"
                                                         : "Recycle");
  }
  reclaim(s, pv);
}

/*
 * The claim a volume's claimRef names, as syncVolume finds it: the cache,
 * else (for a volume not yet Released or Failed) a live GET, since the
 * claim of a just-provisioned volume may not be in the cache yet; a claim
 * with another uid is checked live too before the volume is released.
 */
static const struct object *ref_claim(struct storage *s,
                                      const struct object *pv)
{
  const struct claim_ref *r = &pv->u.pv.spec.claim_ref;
  const char *ns = stor__ref_ns(r);
  const struct object *c = storage__claim(s, ns, r->name);
  enum pv_phase ph = pv->u.pv.status.phase;

  if (!c && ph != PV_RELEASED && ph != PV_FAILED) {
    s->requests++;
    c = api_get(s->api, KIND_PVC, ns, r->name);
  }
  if (c && c->meta.uid != r->uid) {
    s->requests++;
    c = api_get(s->api, KIND_PVC, ns, r->name);
    if (c && c->meta.uid != r->uid)
      c = NULL;
  }
  return c;
}

void storage__sync_volume(struct storage *s, const char *ns, const char *name)
{
  const struct object *pv = storage__volume(s, name);
  const struct claim_ref *r;
  const struct object *c;

  (void)ns;
  if (!pv)
    return;
  r = &pv->u.pv.spec.claim_ref;
  if (!r->name || !r->uid) {
    /* Unused, or pre-bound to a claim that has not bound yet. */
    if (!set_volume_phase(s, pv, PV_AVAILABLE, NULL, NULL))
      storage__retry_volume(s, name);
    return;
  }
  c = ref_claim(s, pv);
  if (!c) {
    release(s, pv);
  } else if (!c->u.pvc.spec.volume_name) {
    if (pv->u.pv.spec.volume_mode != c->u.pvc.spec.volume_mode) {
      storage__event(s, PV_CONTROLLER, pv, EVENT_WARNING, "VolumeMismatch",
                     "Cannot bind PersistentVolume to requested "
                     "PersistentVolumeClaim \"%s\" due to incompatible "
                     "volumeMode.",
                     c->meta.name);
      storage__event(s, PV_CONTROLLER, c, EVENT_WARNING, "VolumeMismatch",
                     "Cannot bind PersistentVolume \"%s\" to requested "
                     "PersistentVolumeClaim due to incompatible volumeMode.",
                     pv->meta.name);
      return;
    }
    /* Bound volume, pending claim: let the claim sync finish it. */
    storage__enqueue(s, &s->claim_w, c->meta.namespace_, c->meta.name);
  } else if (!strcmp(c->u.pvc.spec.volume_name, pv->meta.name)) {
    if (!set_volume_phase(s, pv, PV_BOUND, NULL, NULL))
      storage__retry_volume(s, name);
  } else if (kv_get(&pv->meta.annotations, ANN_PROVISIONED_BY) &&
             pv->u.pv.spec.reclaim_policy == RECLAIM_DELETE) {
    /* Provisioned for a claim that got bound elsewhere: not needed. */
    release(s, pv);
  } else if (!unbind_volume(s, pv)) {
    storage__retry_volume(s, name);
  }
}
