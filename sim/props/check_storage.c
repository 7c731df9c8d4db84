/*
 * check_storage.c - retention.policy and liveness.pvc-recreated: claims
 * carry the ownerReferences persistentVolumeClaimRetentionPolicy asks for
 * before anything is deleted, no pod starts on a claim that is going or
 * still points at a previous incarnation, foreign controllers are left
 * alone (reference 5.5, S8), and a Pending pod whose claim vanished gets
 * it back (L4, B8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "props_int.h"

struct refs {
  bool set_ref, pod_ref, foreign;
  uint64_t pod_uid;
};

static struct refs claim_refs(const struct object *pvc,
                              const struct object *set, const char *pod_name)
{
  struct refs r = {0};

  for (size_t i = 0; i < pvc->meta.owner_refs_nr; i++) {
    const struct owner_ref *o = &pvc->meta.owner_refs[i];
    if (!strcmp(o->kind, "StatefulSet") && !strcmp(o->name, set->meta.name))
      r.set_ref = true;
    else if (!strcmp(o->kind, "Pod") && !strcmp(o->name, pod_name)) {
      r.pod_ref = true;
      r.pod_uid = o->uid;
    } else if (o->controller)
      r.foreign = true;
  }
  return r;
}

struct retention_state {
  struct prop_health h;
};

static void check_claim_refs(struct prop_ctx *c, const struct object *pvc,
                             const struct object *old)
{
  struct api *api = prop_api(c);
  int ord;
  const struct object *set = prop_claim_set(api, pvc, &ord);
  char pod_name[300], objs[700];

  if (!set)
    return;
  snprintf(pod_name, sizeof(pod_name), "%s-%d", set->meta.name, ord);
  snprintf(objs, sizeof(objs), "PersistentVolumeClaim/%s, StatefulSet/%s",
           pvc->meta.name, set->meta.name);
  struct refs now = claim_refs(pvc, set, pod_name);
  if (old) {
    struct refs was = claim_refs(old, set, pod_name);
    if (was.foreign && !now.foreign) {
      prop_violate(c, objs,
                   "the controller replaced another controller's "
                   "ownerReference on %s",
                   pvc->meta.name);
      return;
    }
  }
  if (now.foreign)
    return; /* our refs are only removed then; nothing more to expect */
  const struct statefulset_spec *sp = &set->u.sts.spec;
  bool condemned = !prop_in_range(set, ord);
  bool want_set =
      sp->when_deleted == DELETE && (!condemned || sp->when_scaled == RETAIN);
  bool want_pod = sp->when_scaled == DELETE && condemned;
  if (now.set_ref != want_set || now.pod_ref != want_pod)
    prop_violate(c, objs,
                 "claim %s has %s set ref and %s pod ref; "
                 "whenDeleted=%s whenScaled=%s for a%s ordinal wants %s and "
                 "%s",
                 pvc->meta.name, now.set_ref ? "a" : "no",
                 now.pod_ref ? "a" : "no",
                 sp->when_deleted == DELETE ? "Delete" : "Retain",
                 sp->when_scaled == DELETE ? "Delete" : "Retain",
                 condemned ? " condemned" : "n in-range",
                 want_set ? "a set ref" : "no set ref",
                 want_pod ? "a pod ref" : "no pod ref");
}

static void retention_write(struct prop_ctx *c, void *st, enum watch_type t,
                            const struct object *old, const struct object *now)
{
  struct retention_state *s = st;
  struct api *api = prop_api(c);
  const struct object *o = now ? now : old;
  char objs[700];

  prop_health_write(c, &s->h, t, old, now);
  bool by_ctl = !strcmp(prop_client(c), CTL_CLIENT);
  if (o->kind == KIND_PVC && by_ctl && t == WATCH_MODIFIED) {
    int ord;
    const struct object *set = prop_claim_set(api, o, &ord);
    if (set && !prop_spec_recently_changed(c, &s->h, set) &&
        !meta_is_deleting(&set->meta))
      check_claim_refs(c, now, old);
    return;
  }
  if (o->kind != KIND_POD || !by_ctl)
    return;
  const struct object *set = prop_controller_set(api, o);
  int ord = prop_parse_ordinal(o->meta.name, NULL);
  if (!set || ord < 0 || prop_spec_recently_changed(c, &s->h, set))
    return;
  const struct statefulset_spec *sp = &set->u.sts.spec;
  for (size_t i = 0; i < sp->volume_claim_templates_nr; i++) {
    char claim[400];
    snprintf(claim, sizeof(claim), "%s-%s-%d",
             sp->volume_claim_templates[i].name, set->meta.name, ord);
    const struct object *pvc =
        api_get(api, KIND_PVC, o->meta.namespace_, claim);
    if (!pvc)
      continue;
    snprintf(objs, sizeof(objs), "Pod/%s, PersistentVolumeClaim/%s",
             o->meta.name, claim);
    struct refs r = claim_refs(pvc, set, o->meta.name);
    if (t == WATCH_ADDED) {
      /* No pod starts on a claim that is going, or that still points at
       * the previous incarnation (the stale-PVC guard). */
      if (meta_is_deleting(&pvc->meta))
        prop_violate(c, objs,
                     "%s was created while its claim %s is being "
                     "deleted",
                     o->meta.name, claim);
      else if (r.pod_ref && r.pod_uid != o->meta.uid)
        prop_violate(c, objs,
                     "%s was created while its claim %s still belongs to "
                     "the previous incarnation",
                     o->meta.name, claim);
    } else if (prop_is_controller_delete(c, t, old, now) &&
               !prop_in_range(set, ord) && sp->when_scaled == DELETE &&
               !r.foreign && (!r.pod_ref || r.pod_uid != o->meta.uid)) {
      /* whenScaled: Delete - the pod ref is on the claim before the
       * condemned pod is deleted (Step I before Step J). */
      prop_violate(c, objs,
                   "scale-down deleted %s before its claim %s carried an "
                   "ownerReference to it",
                   o->meta.name, claim);
    }
  }
}

static void retention_release(void *st)
{
  prop_health_release(&((struct retention_state *)st)->h);
}

const struct property prop_retention_policy = {
    .name = "retention.policy",
    .state_size = sizeof(struct retention_state),
    .on_write = retention_write,
    .release = retention_release,
};

/* --- liveness.pvc-recreated
 * ------------------------------------------------------------ */

/* How long a Pending pod may miss a claim once the controller can act. */
#define PVC_BOUND SIM_SEC(60)

struct pending_pod {
  char ns[64], name[256];
  uint64_t uid;
  simtime missing_since; /* SIMTIME_NEVER = nothing missing (or blocked) */
  bool reported;
};

struct recreate_state {
  struct prop_health h;
  VEC(struct pending_pod) pods;
};

static void recreate_write(struct prop_ctx *c, void *st, enum watch_type t,
                           const struct object *old, const struct object *now)
{
  struct recreate_state *s = st;
  const struct object *o = now ? now : old;

  prop_health_write(c, &s->h, t, old, now);
  if (o->kind != KIND_POD || t == WATCH_DELETED ||
      o->u.pod.status.phase != POD_PENDING || meta_is_deleting(&o->meta) ||
      !meta_controller_ref(&o->meta))
    return;
  for (size_t i = 0; i < s->pods.nr; i++)
    if (s->pods.v[i].uid == o->meta.uid)
      return;
  struct pending_pod p = {.uid = o->meta.uid, .missing_since = SIMTIME_NEVER};
  snprintf(p.ns, sizeof(p.ns), "%s", o->meta.namespace_);
  snprintf(p.name, sizeof(p.name), "%s", o->meta.name);
  VEC_PUSH(&s->pods, p);
}

/* The first template claim of pod that is missing, or NULL; NULL too when
 * the controller cannot act (set gone or deleting, OrderedReady blocked
 * below the pod). */
static const char *missing_claim(struct prop_ctx *c, struct recreate_state *s,
                                 const struct object *pod, char *buf, size_t n)
{
  struct api *api = prop_api(c);
  const struct object *set = prop_controller_set(api, pod);
  int ord = prop_parse_ordinal(pod->meta.name, NULL);
  const char *why;

  if (!set || ord < 0 || meta_is_deleting(&set->meta) ||
      !prop_in_range(set, ord))
    return NULL;
  if (set->u.sts.spec.pod_management_policy == PMP_ORDERED_READY)
    for (int j = prop_start_ordinal(set); j < ord; j++)
      if (prop_known_unhealthy(c, &s->h, set, j, &why))
        return NULL;
  const struct statefulset_spec *sp = &set->u.sts.spec;
  for (size_t i = 0; i < sp->volume_claim_templates_nr; i++) {
    snprintf(buf, n, "%s-%s-%d", sp->volume_claim_templates[i].name,
             set->meta.name, ord);
    if (!api_get(api, KIND_PVC, pod->meta.namespace_, buf))
      return buf;
  }
  return NULL;
}

static void recreate_after(struct prop_ctx *c, void *st)
{
  struct recreate_state *s = st;
  simtime now = prop_now(c);

  for (size_t i = 0; i < s->pods.nr;) {
    struct pending_pod *p = &s->pods.v[i];
    const struct object *pod = api_get(prop_api(c), KIND_POD, p->ns, p->name);
    if (!pod || pod->meta.uid != p->uid ||
        pod->u.pod.status.phase != POD_PENDING ||
        meta_is_deleting(&pod->meta)) {
      s->pods.v[i] = s->pods.v[--s->pods.nr];
      continue;
    }
    char claim[400];
    if (!missing_claim(c, s, pod, claim, sizeof(claim))) {
      p->missing_since = SIMTIME_NEVER;
    } else if (p->missing_since == SIMTIME_NEVER) {
      p->missing_since = now;
    } else if (!p->reported && now - p->missing_since > PVC_BOUND) {
      char objs[700];
      snprintf(objs, sizeof(objs), "Pod/%s, PersistentVolumeClaim/%s", p->name,
               claim);
      prop_violate(c, objs,
                   "%s has been Pending without its claim %s for more than "
                   "60s and the controller did not recreate it",
                   p->name, claim);
      p->reported = true;
    }
    i++;
  }
}

static void recreate_release(void *st)
{
  struct recreate_state *s = st;
  prop_health_release(&s->h);
  free(s->pods.v);
}

const struct property prop_liveness_pvc_recreated = {
    .name = "liveness.pvc-recreated",
    .state_size = sizeof(struct recreate_state),
    .on_write = recreate_write,
    .after_event = recreate_after,
    .at_end = recreate_after,
    .release = recreate_release,
};
