/*
 * storage_protect.c - the PVC-protection and PV-protection controllers of
 * kube-controller-manager (pkg/controller/volume/pvcprotection and
 * pvprotection), reference cluster-behaviour.md 4.1.
 *
 * PVC protection: a deleting claim keeps kubernetes.io/pvc-protection
 * while a pod uses it. As upstream's podUsesPVC, "uses" means a pod that
 * references the claim AND is scheduled (spec.nodeName set), whatever its
 * phase: the kubelet will not start a pod whose claim is being deleted,
 * and an unscheduled pod does not hold the claim (this is why a Pending
 * StatefulSet pod can lose its claim, statefulset-controller.md B8).
 * Pod events requeue the claims of a pod that was deleted, terminated or
 * is not scheduled, as upstream's enqueuePVCs.
 * SIMPLIFIED: upstream confirms "unused" with a live LIST of the
 * namespace's pods; here the informer is trusted.
 *
 * PV protection: a deleting volume keeps kubernetes.io/pv-protection
 * while its phase is Bound.
 *
 * Both add their finalizer to objects that lack it (objects created
 * before the admission plugin), and retry failed writes with the
 * workqueue's per-item back-off (5 ms doubling, at most 1000 s).
 */
#include <string.h>

#include "storage_int.h"

static bool claim_in_use(struct storage *s, const struct object *pvc)
{
  const struct stor__names *pods =
      stor__index_get(&s->pods_by_claim, pvc->meta.namespace_, pvc->meta.name);

  for (size_t i = 0; pods && i < pods->v.nr; i++) {
    const struct object *p =
        informer_get(s->pods, pvc->meta.namespace_, pods->v.v[i]);
    if (p && p->u.pod.spec.node_name && stor__pod_uses_claim(p, pvc->meta.name))
      return true;
  }
  return false;
}

/* Adds or removes finalizer fin; false if the write failed. */
static bool set_finalizer(struct storage *s, const char *who,
                          const struct object *o, const char *fin, bool on)
{
  struct object n = *o;

  n.meta.finalizers = on ? stor__str_add(s->arena, o->meta.finalizers, fin)
                         : stor__str_del(s->arena, o->meta.finalizers, fin);
  s->requests++;
  return api_update(s->api, who, &n, NULL) == API_OK;
}

void storage__sync_pvc_protection(struct storage *s, const char *ns,
                                  const char *name)
{
  const struct object *pvc = informer_get(s->pvcs, ns, name);
  bool has, ok = true;

  if (!pvc)
    return;
  has = stor__str_has(&pvc->meta.finalizers, FIN_PVC_PROTECTION);
  if (meta_is_deleting(&pvc->meta) && has) {
    if (claim_in_use(s, pvc))
      return;
    ok = set_finalizer(s, PVC_PROTECTION, pvc, FIN_PVC_PROTECTION, false);
    if (ok)
      cluster_note(&s->env,
                   arena_printf(s->arena, "PersistentVolumeClaim/%s", name),
                   "Unprotected", "no scheduled pod uses it: removed %s",
                   FIN_PVC_PROTECTION);
  } else if (!meta_is_deleting(&pvc->meta) && !has) {
    ok = set_finalizer(s, PVC_PROTECTION, pvc, FIN_PVC_PROTECTION, true);
  }
  if (ok)
    storage__forget(&s->pvc_prot_w, ns, name);
  else
    storage__retry(s, &s->pvc_prot_w, ns, name);
}

void storage__sync_pv_protection(struct storage *s, const char *ns,
                                 const char *name)
{
  const struct object *pv = informer_get(s->pvs, "", name);
  bool has, ok = true;

  (void)ns;
  if (!pv)
    return;
  has = stor__str_has(&pv->meta.finalizers, FIN_PV_PROTECTION);
  if (meta_is_deleting(&pv->meta) && has) {
    if (pv->u.pv.status.phase == PV_BOUND)
      return;
    ok = set_finalizer(s, PV_PROTECTION, pv, FIN_PV_PROTECTION, false);
  } else if (!meta_is_deleting(&pv->meta) && !has) {
    ok = set_finalizer(s, PV_PROTECTION, pv, FIN_PV_PROTECTION, true);
  }
  if (ok)
    storage__forget(&s->pv_prot_w, "", name);
  else
    storage__retry(s, &s->pv_prot_w, "", name);
}

void storage__protect_pod_event(struct storage *s, const struct object *pod,
                                bool deleted)
{
  const struct pod_spec *sp = &pod->u.pod.spec;

  if (!deleted && !stor__pod_terminated(pod) && sp->node_name)
    return;
  for (size_t i = 0; i < sp->volumes_nr; i++) {
    const struct pod_volume *v = &sp->volumes[i];
    const struct object *pvc;
    if (v->source != VOLSRC_PVC || !v->claim_name)
      continue;
    pvc = informer_get(s->pvcs, pod->meta.namespace_, v->claim_name);
    if (pvc && meta_is_deleting(&pvc->meta))
      storage__enqueue(s, &s->pvc_prot_w, pvc->meta.namespace_, pvc->meta.name);
  }
}
