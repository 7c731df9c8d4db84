/*
 * kubelet_api.c - every write a kubelet makes to the API server, one
 * function per kind of write: pod status, the final pod delete, node
 * status, the Lease, and Events.
 *
 * They exist so that a network partition is one check in one place: a
 * kubelet that cannot reach the API server keeps running its containers
 * (cluster-behaviour.md 2.5) but every write here fails with
 * API_UNAVAILABLE (a timeout, really) without reaching the server, and the
 * callers treat a failed write as "retry later". A crashed machine makes
 * no request at all: its timers are gone.
 */
#include <stdio.h>

#include "kubelet_int.h"

bool kl__api_reachable(const struct kl_node *n)
{
  /* A shutting-down machine still reaches the API: it posts NotReady and
   * the pods' final statuses (cluster-behaviour.md 2.6). */
  return !n->off && !n->cut && !n->gone;
}

enum api_status kl__api_pod_status(struct kl_node *n, const struct object *pod,
                                   api_patch_fn *fn, void *ctx)
{
  if (!kl__api_reachable(n))
    return API_UNAVAILABLE;
  /* The status manager patches with the pod's uid as a precondition, so a
   * status never lands on a newer pod of the same name. */
  return api_patch(n->ks->api, KL_WHO, KIND_POD, pod->meta.namespace_,
                   pod->meta.name, pod->meta.uid, fn, ctx, NULL);
}

enum api_status kl__api_pod_final_delete(struct kl_node *n,
                                         const struct object *pod)
{
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  if (!kl__api_reachable(n))
    return API_UNAVAILABLE;
  /* cluster-behaviour.md 2.1: grace 0 and a UID precondition. */
  o.grace_seconds = 0;
  o.precondition_uid = pod->meta.uid;
  return api_delete(n->ks->api, KL_WHO, KIND_POD, pod->meta.namespace_,
                    pod->meta.name, &o);
}

enum api_status kl__api_node_status(struct kl_node *n, api_patch_fn *fn,
                                    void *ctx, const struct object **out)
{
  if (!kl__api_reachable(n))
    return API_UNAVAILABLE;
  return api_patch(n->ks->api, KL_WHO, KIND_NODE, "", n->name, 0, fn, ctx, out);
}

enum api_status kl__api_node_create(struct kubelets *ks, const struct object *o,
                                    const struct object **out)
{
  return api_create(ks->api, KL_WHO, o, out);
}

enum api_status kl__api_lease_create(struct kl_node *n,
                                     const struct object *lease,
                                     const struct object **out)
{
  if (!kl__api_reachable(n))
    return API_UNAVAILABLE;
  return api_create(n->ks->api, KL_WHO, lease, out);
}

enum api_status kl__api_lease_update(struct kl_node *n,
                                     const struct object *lease,
                                     const struct object **out)
{
  if (!kl__api_reachable(n))
    return API_UNAVAILABLE;
  return api_update(n->ks->api, KL_WHO, lease, out);
}

const struct object *kl__api_lease_get(struct kl_node *n)
{
  if (!kl__api_reachable(n))
    return NULL;
  return api_get(n->ks->api, KIND_LEASE, KL_LEASE_NS, n->name);
}

void kl__api_event(struct kl_node *n, const struct object *o,
                   enum event_type type, const char *reason, const char *fmt,
                   ...)
{
  char msg[512];
  va_list ap;

  if (!kl__api_reachable(n))
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  api_record_event(n->ks->api, KL_WHO, o, type, reason, "%s", msg);
}
