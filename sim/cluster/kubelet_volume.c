/*
 * kubelet_volume.c - the kubelet's volume manager for claim (PVC) volumes
 * (cluster-behaviour.md 4.10): the desired state is every claim volume of
 * the node's pods that have not terminated; the reconciler mounts what is
 * ready and unmounts what is no longer wanted.
 *
 * A claim volume is mountable when the claim exists and is Bound and its
 * PV is known and bound to it (desired_state_of_world_populator). For an
 * attachable volume (a CSI PV; hostPath, local and NFS are not attached)
 * VerifyControllerAttachedVolume then needs two things: the volume has
 * been reported in the node's status.volumesInUse (so the attach/detach
 * controller will not detach it under the mount), and the attach/detach
 * controller lists it in status.volumesAttached. MountDevice + SetUp take
 * mountLatency. On teardown the volume is unmounted (mountLatency again,
 * a simplification: there is no separate unmount timing) and leaves
 * volumesInUse at the node status tick after that.
 *
 * Other volume sources (configMap, secret, emptyDir, hostPath in the pod)
 * are treated as set up at once; the application writes only to claims.
 * volumesInUse and volumesAttached name a volume as upstream does, by its
 * unique name "kubernetes.io/csi/<driver>^<volumeHandle>" (the attach/detach
 * controller must use the same); a bare PV name in volumesAttached is
 * accepted too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet_int.h"

/* reconcilerLoopSleepPeriod: hard-coded upstream, not in the timing table. */
#define KL_VOLUME_RECONCILE SIM_MS(100)

enum { VT_MOUNT = 1, VT_UNMOUNT = 2 };

struct kl_vol *kl__vol_by_name(struct kl_pod *kp, const char *name)
{
  for (size_t i = 0; i < kp->vols.nr; i++)
    if (!strcmp(kp->vols.v[i].spec->name, name))
      return &kp->vols.v[i];
  return NULL;
}

void kl__vol_unwait(struct kl_pod *kp)
{
  struct kubelets *ks = kp->node->ks;

  if (!kp->in_waiters)
    return;
  for (size_t i = 0; i < ks->waiters.nr; i++) {
    if (ks->waiters.v[i] == kp) {
      memmove(&ks->waiters.v[i], &ks->waiters.v[i + 1],
              (ks->waiters.nr - i - 1) * sizeof(ks->waiters.v[0]));
      ks->waiters.nr--;
      break;
    }
  }
  kp->in_waiters = false;
}

static void vol_reconcile(struct engine *e, uint64_t subject, uint64_t arg,
                          void *ctx);

void kl__vol_kick(struct kl_node *n)
{
  struct kubelets *ks = n->ks;
  simtime at;

  if (n->vol_timer || n->off || n->gone)
    return;
  at = kl__align(n->t0, KL_VOLUME_RECONCILE, engine_now(ks->engine));
  n->vol_timer = engine_schedule(ks->engine, at, PHASE_NODE, "kubelet-volumes",
                                 vol_reconcile, n->index, 0, ks);
}

void kl__vol_claims_changed(struct kubelets *ks)
{
  for (size_t i = 0; i < ks->waiters.nr; i++)
    kl__vol_kick(ks->waiters.v[i]->node);
}

void kl__vol_pod_added(struct kl_pod *kp)
{
  const struct pod_spec *spec = &kp->obj->u.pod.spec;
  struct kubelets *ks = kp->node->ks;

  kp->vols.nr = 0;
  for (size_t i = 0; i < spec->volumes_nr; i++) {
    const struct pod_volume *pv = &spec->volumes[i];
    if (pv->source != VOLSRC_PVC || !pv->claim_name)
      continue;
    struct kl_vol v = {.spec = pv, .state = KV_WAIT_CLAIM};
    VEC_PUSH(&kp->vols, v);
  }
  if (kp->vols.nr && !kp->in_waiters) {
    VEC_PUSH(&ks->waiters, kp);
    kp->in_waiters = true;
  }
  if (kp->vols.nr)
    kl__vol_kick(kp->node);
}

bool kl__vol_all_mounted(const struct kl_pod *kp)
{
  for (size_t i = 0; i < kp->vols.nr; i++)
    if (kp->vols.v[i].state != KV_MOUNTED)
      return false;
  return true;
}

/* The claim is Bound and its PV known and bound to it. */
static bool resolve(struct kl_pod *kp, struct kl_vol *v)
{
  struct kubelets *ks = kp->node->ks;
  const struct object *pvc, *pv;

  if (!kl__node_watching(kp->node))
    return false; /* its watch is cut: the relist kicks this again */
  pvc = informer_get(ks->pvcs, kp->obj->meta.namespace_, v->spec->claim_name);
  if (!pvc || pvc->u.pvc.status.phase != PVC_BOUND ||
      !pvc->u.pvc.spec.volume_name || !*pvc->u.pvc.spec.volume_name)
    return false;
  pv = informer_get(ks->pvs, "", pvc->u.pvc.spec.volume_name);
  if (!pv || pv->u.pv.spec.claim_ref.uid != pvc->meta.uid)
    return false;
  v->pv = pv->meta.name;
  v->attachable = pv->u.pv.spec.source == PVSRC_CSI;
  if (v->attachable) {
    /* csiPlugin.GetVolumeName, prefixed with the plugin name. */
    const struct pv_spec *ps = &pv->u.pv.spec;
    v->unique =
        arena_printf(ks->arena, "kubernetes.io/csi/%s^%s",
                     ps->csi_driver ? ps->csi_driver : "",
                     ps->volume_handle ? ps->volume_handle : pv->meta.name);
  }
  return true;
}

static bool attached(const struct kl_node *n, const struct kl_vol *v)
{
  return kl__node_attached(n, v->unique) || kl__node_attached(n, v->pv);
}

static void vol_timer_fn(struct engine *e, uint64_t subject, uint64_t arg,
                         void *ctx);

static void mount_start(struct kl_pod *kp, size_t i)
{
  struct kl_node *n = kp->node;
  struct kl_vol *v = &kp->vols.v[i];
  simtime at = engine_now(n->ks->engine) + kl__latency(n, TIMING_MOUNT_LATENCY);

  v->state = KV_MOUNTING;
  v->timer = kl__schedule(n->ks, at, "kubelet-mount", vol_timer_fn, kp,
                          (uint32_t)i, VT_MOUNT);
}

static void reconcile_pod(struct kl_pod *kp)
{
  struct kl_node *n = kp->node;
  bool claims_pending = false, dirty = false;

  for (size_t i = 0; i < kp->vols.nr; i++) {
    struct kl_vol *v = &kp->vols.v[i];

    if (v->state == KV_WAIT_CLAIM) {
      if (!resolve(kp, v)) {
        claims_pending = true;
        continue;
      }
      v->state = KV_WAIT_ATTACH;
      dirty |= v->attachable; /* desired: to be reported in use */
    }
    if (v->state == KV_WAIT_ATTACH &&
        (!v->attachable || (kl__node_reported(n, v->unique) && attached(n, v))))
      mount_start(kp, i);
  }
  if (!claims_pending)
    kl__vol_unwait(kp);
  if (dirty)
    kl__node_status_dirty(n);
}

static void vol_reconcile(struct engine *e, uint64_t subject, uint64_t arg,
                          void *ctx)
{
  struct kubelets *ks = ctx;
  struct kl_node *n = kl__node_by_index(ks, (uint32_t)subject);

  (void)e;
  (void)arg;
  if (!n)
    return;
  n->vol_timer = 0;
  if (n->off || n->gone)
    return;
  for (size_t i = 0; i < n->pods.nr; i++) {
    struct kl_pod *kp = n->pods.v[i];
    if (kp->state < KP_TERMINATING)
      reconcile_pod(kp);
  }
}

static bool all_unmounted(const struct kl_pod *kp)
{
  for (size_t i = 0; i < kp->vols.nr; i++)
    if (kp->vols.v[i].state != KV_UNMOUNTED)
      return false;
  return true;
}

static void vol_timer_fn(struct engine *e, uint64_t subject, uint64_t arg,
                         void *ctx)
{
  struct kubelets *ks = ctx;
  struct kl_node *n = kl__node_by_index(ks, kl_arg_node(arg));
  struct kl_pod *kp = n ? kl__pod_find(n, subject) : NULL;
  uint32_t i = kl_arg_item(arg);
  struct kl_vol *v;

  (void)e;
  if (!kp || i >= kp->vols.nr)
    return;
  v = &kp->vols.v[i];
  v->timer = 0;
  if (kl_arg_what(arg) == VT_MOUNT && v->state == KV_MOUNTING) {
    v->state = KV_MOUNTED;
    truth_mount(ks->env.truth, v->pv, n->name, kp->uid);
    if (kl__vol_all_mounted(kp))
      kl__pod_volumes_mounted(kp);
  } else if (kl_arg_what(arg) == VT_UNMOUNT && v->state == KV_UNMOUNTING) {
    v->state = KV_UNMOUNTED;
    truth_unmount(ks->env.truth, v->pv, n->name, kp->uid);
    if (v->attachable)
      kl__node_status_dirty(n); /* leaves volumesInUse at the next tick */
    if (all_unmounted(kp))
      kl__pod_volumes_unmounted(kp); /* may free kp */
  }
}

void kl__vol_teardown(struct kl_pod *kp)
{
  struct kl_node *n = kp->node;
  struct kubelets *ks = n->ks;
  bool dirty = false;

  kl__vol_unwait(kp);
  for (size_t i = 0; i < kp->vols.nr; i++) {
    struct kl_vol *v = &kp->vols.v[i];

    switch (v->state) {
    case KV_MOUNTED: {
      simtime at =
          engine_now(ks->engine) + kl__latency(n, TIMING_MOUNT_LATENCY);
      v->state = KV_UNMOUNTING;
      v->timer = kl__schedule(ks, at, "kubelet-unmount", vol_timer_fn, kp,
                              (uint32_t)i, VT_UNMOUNT);
      break;
    }
    case KV_MOUNTING:
      /* The mount in flight is abandoned: nothing was mounted yet. */
      kl__cancel(ks, &v->timer);
      v->state = KV_UNMOUNTED;
      dirty |= v->attachable;
      break;
    case KV_WAIT_ATTACH:
      dirty |= v->attachable;
      v->state = KV_UNMOUNTED;
      break;
    case KV_WAIT_CLAIM:
      v->state = KV_UNMOUNTED;
      break;
    case KV_UNMOUNTING:
    case KV_UNMOUNTED:
      break;
    }
  }
  if (dirty)
    kl__node_status_dirty(n);
  if (all_unmounted(kp))
    kl__pod_volumes_unmounted(kp); /* may free kp */
}

static int str_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void kl__vol_in_use(struct kl_node *n)
{
  size_t w = 0;

  /* GetVolumesInUse: attachable volumes desired or still mounted. */
  n->in_use.nr = 0;
  for (size_t i = 0; i < n->pods.nr; i++) {
    const struct kl_pod *kp = n->pods.v[i];
    for (size_t j = 0; j < kp->vols.nr; j++) {
      const struct kl_vol *v = &kp->vols.v[j];
      if (v->pv && v->attachable &&
          (v->state == KV_WAIT_ATTACH || v->state == KV_MOUNTING ||
           v->state == KV_MOUNTED || v->state == KV_UNMOUNTING))
        VEC_PUSH(&n->in_use, v->unique);
    }
  }
  if (n->in_use.nr > 1)
    qsort(n->in_use.v, n->in_use.nr, sizeof(n->in_use.v[0]), str_cmp);
  for (size_t i = 0; i < n->in_use.nr; i++)
    if (w == 0 || strcmp(n->in_use.v[w - 1], n->in_use.v[i]))
      n->in_use.v[w++] = n->in_use.v[i];
  n->in_use.nr = w;
}

static void append_name(char *buf, size_t len, size_t *at, const char *name)
{
  int k = snprintf(buf + *at, len - *at, "%s%s", *at > 1 ? " " : "", name);

  if (k > 0 && (size_t)k < len - *at)
    *at += (size_t)k;
}

void kl__vol_describe(const struct kl_pod *kp, char *unmounted, size_t ulen,
                      char *unattached, size_t alen)
{
  size_t u = 1, a = 1;

  snprintf(unmounted, ulen, "[");
  snprintf(unattached, alen, "[");
  for (size_t i = 0; i < kp->vols.nr; i++) {
    const struct kl_vol *v = &kp->vols.v[i];
    if (v->state != KV_MOUNTED)
      append_name(unmounted, ulen, &u, v->spec->name);
    if (v->state == KV_WAIT_CLAIM || v->state == KV_WAIT_ATTACH)
      append_name(unattached, alen, &a, v->spec->name);
  }
  snprintf(unmounted + u, ulen - u, "]");
  snprintf(unattached + a, alen - a, "]");
}
