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
#include "u64map.h"

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
  prop_fmt(pod_name, sizeof(pod_name), "%s-%d", set->meta.name, ord);
  prop_fmt(objs, sizeof(objs), "PersistentVolumeClaim/%s, StatefulSet/%s",
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
    prop_fmt(claim, sizeof(claim), "%s-%s-%d",
             sp->volume_claim_templates[i].name, set->meta.name, ord);
    const struct object *pvc =
        api_get(api, KIND_PVC, o->meta.namespace_, claim);
    if (!pvc)
      continue;
    prop_fmt(objs, sizeof(objs), "Pod/%s, PersistentVolumeClaim/%s",
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

/*
 * How long a Pending pod may miss a claim once the controller can act:
 * from the first event after the claim went missing that enqueues the
 * set (a write to the set or to one of its pods). Claim events enqueue
 * nothing (statefulset-controller.md 3.2), so until such an event the
 * controller has no reason to look: not a failure.
 */
#define PVC_BOUND SIM_SEC(60)

/*
 * Pending pods are watched in a list whose order decides the order of
 * reports within one instant (new pods at the end, a pod that leaves
 * replaced by the last). Looking at every pod after every event cost
 * O(pending pods) per event - quadratic in a 10,000-replica scale-up - so
 * a pod is looked at again only when something its verdict depends on
 * was written (the pod, a claim with its ordinal, a set's spec or
 * deletion), or on every event while the verdict depends on time (a claim
 * missing, or an OrderedReady set: the health of the pods below it).
 * Skipped pods are exactly those whose verdict could not change, and the
 * others are looked at in list order, so reports are the same.
 */
struct pending_pod {
  uint64_t uid;
  int ord;    /* from the pod's name; -1 = none */
  bool dirty; /* to be looked at after this event */
  bool reported;
  simtime missing_since;  /* SIMTIME_NEVER = nothing missing (or blocked) */
  simtime woken_since;    /* the set's first wake-up since; or NEVER */
  uint64_t next_same_ord; /* uid of the next pod with this ordinal, or 0 */
};

struct recreate_state {
  struct prop_health h;
  VEC(struct pending_pod) pods;
  struct u64map by_uid; /* uid -> index in pods */
  struct u64map by_ord; /* ordinal -> uid of the first pod with it */
  VEC(size_t) dirty;    /* indexes of dirty pods, in no order */
  struct u64map woken;  /* set uid -> last write that enqueues the set */
};

static struct pending_pod *pending_by_uid(struct recreate_state *s,
                                          uint64_t uid)
{
  uint64_t i;

  return u64map_get(&s->by_uid, uid, &i) ? &s->pods.v[i] : NULL;
}

static void mark_dirty(struct recreate_state *s, struct pending_pod *p)
{
  if (p->dirty)
    return;
  p->dirty = true;
  VEC_PUSH(&s->dirty, (size_t)(p - s->pods.v));
}

/* Every pod whose ordinal is ord (a claim ending in -ord came or went). */
static void mark_ordinal(struct recreate_state *s, int ord)
{
  uint64_t uid;

  if (ord < 0 || !u64map_get(&s->by_ord, (uint64_t)ord, &uid))
    return;
  while (uid) {
    struct pending_pod *p = pending_by_uid(s, uid);
    SIM_ASSERT(p);
    mark_dirty(s, p);
    uid = p->next_same_ord;
  }
}

static void mark_all(struct recreate_state *s)
{
  for (size_t i = 0; i < s->pods.nr; i++)
    mark_dirty(s, &s->pods.v[i]);
}

/* Whether a write to a set can change a pending pod's verdict: what
 * missing_claim() reads of the set. */
static bool set_change_matters(enum watch_type t, const struct object *old,
                               const struct object *now)
{
  if (t != WATCH_MODIFIED)
    return true;
  const struct statefulset_spec *a = &old->u.sts.spec, *b = &now->u.sts.spec;
  return old->meta.uid != now->meta.uid ||
         old->meta.deletion_timestamp != now->meta.deletion_timestamp ||
         a->replicas != b->replicas || a->has_ordinals != b->has_ordinals ||
         a->ordinals_start != b->ordinals_start ||
         a->pod_management_policy != b->pod_management_policy ||
         a->min_ready_seconds != b->min_ready_seconds ||
         a->volume_claim_templates != b->volume_claim_templates ||
         a->volume_claim_templates_nr != b->volume_claim_templates_nr;
}

static void recreate_write(struct prop_ctx *c, void *st, enum watch_type t,
                           const struct object *old, const struct object *now)
{
  struct recreate_state *s = st;
  const struct object *o = now ? now : old;
  struct pending_pod *p;

  prop_health_write(c, &s->h, t, old, now);
  if (o->kind == KIND_STATEFULSET || o->kind == KIND_POD) {
    const struct owner_ref *r = meta_controller_ref(&o->meta);
    uint64_t set = o->kind == KIND_STATEFULSET ? o->meta.uid : r ? r->uid : 0;
    if (set)
      u64map_put(&s->woken, set, (uint64_t)prop_now(c));
  }
  if (o->kind == KIND_STATEFULSET) {
    if (s->pods.nr && set_change_matters(t, old, now))
      mark_all(s);
    return;
  }
  if (o->kind == KIND_PVC) {
    if (t != WATCH_MODIFIED)
      mark_ordinal(s, prop_parse_ordinal(o->meta.name, NULL));
    return;
  }
  if (o->kind != KIND_POD)
    return;
  p = pending_by_uid(s, o->meta.uid);
  if (p) {
    mark_dirty(s, p);
    return;
  }
  if (t == WATCH_DELETED || o->u.pod.status.phase != POD_PENDING ||
      meta_is_deleting(&o->meta) || !meta_controller_ref(&o->meta))
    return;
  struct pending_pod n = {.uid = o->meta.uid,
                          .ord = prop_parse_ordinal(o->meta.name, NULL),
                          .missing_since = SIMTIME_NEVER,
                          .woken_since = SIMTIME_NEVER};
  uint64_t head;
  if (n.ord >= 0) {
    if (u64map_get(&s->by_ord, (uint64_t)n.ord, &head))
      n.next_same_ord = head;
    u64map_put(&s->by_ord, (uint64_t)n.ord, n.uid);
  }
  VEC_PUSH(&s->pods, n);
  u64map_put(&s->by_uid, n.uid, s->pods.nr - 1);
  s->pods.v[s->pods.nr - 1].dirty = false;
  mark_dirty(s, &s->pods.v[s->pods.nr - 1]);
}

/* The first template claim of pod that is missing, or NULL; NULL too when
 * the controller cannot act (set gone or deleting, OrderedReady blocked
 * below the pod). *timed: the answer may change with time alone. */
static const char *missing_claim(struct prop_ctx *c, struct recreate_state *s,
                                 const struct object *pod, char *buf, size_t n,
                                 bool *timed)
{
  struct api *api = prop_api(c);
  const struct object *set = prop_controller_set(api, pod);
  int ord = prop_parse_ordinal(pod->meta.name, NULL);
  const char *why;

  *timed = false;
  if (!set || ord < 0 || meta_is_deleting(&set->meta) ||
      !prop_in_range(set, ord))
    return NULL;
  if (set->u.sts.spec.pod_management_policy == PMP_ORDERED_READY) {
    *timed = true;
    for (int j = prop_start_ordinal(set); j < ord; j++)
      if (prop_known_unhealthy(c, &s->h, set, j, &why))
        return NULL;
  }
  const struct statefulset_spec *sp = &set->u.sts.spec;
  for (size_t i = 0; i < sp->volume_claim_templates_nr; i++) {
    prop_fmt(buf, n, "%s-%s-%d", sp->volume_claim_templates[i].name,
             set->meta.name, ord);
    if (!api_get(api, KIND_PVC, pod->meta.namespace_, buf))
      return buf;
  }
  return NULL;
}

/* Drops pods.v[i]: the last pod takes its place (as the reports' order
 * has always had it). */
static void forget_pending(struct recreate_state *s, size_t i)
{
  struct pending_pod *p = &s->pods.v[i];

  if (p->ord >= 0) {
    uint64_t uid, *link = NULL;
    SIM_ASSERT(u64map_get(&s->by_ord, (uint64_t)p->ord, &uid));
    if (uid == p->uid) {
      if (p->next_same_ord)
        u64map_put(&s->by_ord, (uint64_t)p->ord, p->next_same_ord);
      else
        u64map_del(&s->by_ord, (uint64_t)p->ord);
    } else {
      while (uid != p->uid) {
        struct pending_pod *q = pending_by_uid(s, uid);
        link = &q->next_same_ord;
        uid = *link;
      }
      *link = p->next_same_ord;
    }
  }
  u64map_del(&s->by_uid, p->uid);
  s->pods.v[i] = s->pods.v[--s->pods.nr];
  if (i < s->pods.nr)
    u64map_put(&s->by_uid, s->pods.v[i].uid, i);
}

static int cmp_index(const void *a, const void *b)
{
  size_t x = *(const size_t *)a, y = *(const size_t *)b;

  return x < y ? -1 : x > y;
}

/*
 * Looks at the dirty pods in list order. When a pod leaves, the last pod
 * moves into its place and is looked at next, as a walk over the whole
 * list would (a clean last pod needs no look: nothing of it changed).
 */
static void recreate_after(struct prop_ctx *c, void *st)
{
  struct recreate_state *s = st;
  simtime now = prop_now(c);
  VEC(size_t) keep = {0};

  if (!s->dirty.nr)
    return;
  qsort(s->dirty.v, s->dirty.nr, sizeof(*s->dirty.v), cmp_index);
  for (size_t k = 0; k < s->dirty.nr;) {
    size_t i = s->dirty.v[k];
    struct pending_pod *p = &s->pods.v[i];
    const struct object *pod = api_get_uid(prop_api(c), p->uid);
    SIM_ASSERT(p->dirty);
    if (!pod || pod->kind != KIND_POD ||
        pod->u.pod.status.phase != POD_PENDING ||
        meta_is_deleting(&pod->meta)) {
      size_t last = s->pods.nr - 1;
      bool last_dirty = last != i && s->pods.v[last].dirty;
      forget_pending(s, i);
      if (last_dirty) {
        /* the moved pod was dirty: its index, the largest, ends the
         * sorted list; it is looked at now, at its new place */
        SIM_ASSERT(s->dirty.v[s->dirty.nr - 1] == last);
        s->dirty.nr--;
      } else
        k++;
      continue;
    }
    char claim[400];
    bool timed;
    if (!missing_claim(c, s, pod, claim, sizeof(claim), &timed)) {
      p->missing_since = SIMTIME_NEVER;
      p->woken_since = SIMTIME_NEVER;
    } else {
      timed = true;
      const struct owner_ref *r = meta_controller_ref(&pod->meta);
      uint64_t woken = 0;
      if (p->missing_since == SIMTIME_NEVER)
        p->missing_since = now;
      /* the first wake-up at or after the loss counts (pods of the set
       * are written all the time; the last one is at least as late) */
      if (r && u64map_get(&s->woken, r->uid, &woken) &&
          (simtime)woken >= p->missing_since && p->woken_since == SIMTIME_NEVER)
        p->woken_since = (simtime)woken;
      if (!p->reported && p->woken_since != SIMTIME_NEVER &&
          now - p->woken_since > PVC_BOUND) {
        char objs[700];
        prop_fmt(objs, sizeof(objs), "Pod/%s, PersistentVolumeClaim/%s",
                 pod->meta.name, claim);
        prop_violate(c, objs,
                     "%s has been Pending without its claim %s for more "
                     "than 60s and the controller did not recreate it",
                     pod->meta.name, claim);
        p->reported = true;
      }
    }
    if (timed)
      VEC_PUSH(&keep, i);
    else
      p->dirty = false;
    k++;
  }
  /* Pods whose verdict depends on time stay dirty. */
  free(s->dirty.v);
  s->dirty.v = keep.v;
  s->dirty.nr = keep.nr;
  s->dirty.alloc = keep.alloc;
}

static void recreate_release(void *st)
{
  struct recreate_state *s = st;
  prop_health_release(&s->h);
  free(s->pods.v);
  free(s->dirty.v);
  u64map_release(&s->by_uid);
  u64map_release(&s->by_ord);
  u64map_release(&s->woken);
}

const struct property prop_liveness_pvc_recreated = {
    .name = "liveness.pvc-recreated",
    .state_size = sizeof(struct recreate_state),
    .on_write = recreate_write,
    .after_event = recreate_after,
    .at_end = recreate_after,
    .release = recreate_release,
};
