/*
 * check_update.c - update.partition, update.order, update.max-unavailable
 * and update.terminal-pods: the rollout rules of reference sections 5.2,
 * 6.3-6.4 and 13 (S5, S6, S7), judged on the ground truth.
 *
 * An "update deletion" is the controller deleting an in-range pod that is
 * not Failed or Succeeded: nothing else in the controller deletes such a
 * pod (scale-down deletes condemned pods, processReplica deletes terminal
 * ones, identity repair updates in place).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "props_int.h"

static const char *pod_revision(const struct object *pod)
{
  const char *r = kv_get(&pod->meta.labels, "controller-revision-hash");
  return r ? r : "";
}

/* The set and ordinal of an update deletion in this write, or NULL. */
static const struct object *
update_deletion(struct prop_ctx *c, struct prop_health *h, enum watch_type t,
                const struct object *old, const struct object *now, int *ord)
{
  const struct object *pod = now ? now : old;

  if (pod->kind != KIND_POD || !prop_is_controller_delete(c, t, old, now) ||
      prop_is_terminal(old))
    return NULL;
  const struct object *set = prop_controller_set(prop_api(c), pod);
  *ord = prop_parse_ordinal(pod->meta.name, NULL);
  if (!set || *ord < 0 || !prop_in_range(set, *ord) ||
      meta_is_deleting(&set->meta) || prop_spec_recently_changed(c, h, set))
    return NULL;
  return set;
}

/* maxUnavailable as the controller computes it (section 6.4.2). */
static int32_t max_unavailable(const struct object *set)
{
  const struct int_or_percent *m = &set->u.sts.spec.max_unavailable;
  int32_t v;

  if (!m->set)
    return 1;
  v = m->is_percent
          ? (int32_t)((int64_t)set->u.sts.spec.replicas * m->value / 100)
          : m->value;
  return v < 1 ? 1 : v;
}

/* --- update.partition
 * --------------------------------------------------------- */

struct partition_state {
  struct prop_health h;
  struct strmap
      *current_changed; /* "ns/set" -> status.currentRevision change */
};

static void partition_write(struct prop_ctx *c, void *st, enum watch_type t,
                            const struct object *old, const struct object *now)
{
  struct partition_state *s = st;
  struct api *api = prop_api(c);
  char objs[700], key[320];
  int ord;

  prop_health_write(c, &s->h, t, old, now);
  if (!s->current_changed)
    s->current_changed = strmap_new();
  const struct object *o = now ? now : old;
  if (o->kind == KIND_STATEFULSET && t == WATCH_MODIFIED) {
    const char *a = old->u.sts.status.current_revision;
    const char *b = now->u.sts.status.current_revision;
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
      strmap_set(s->current_changed,
                 prop_key(key, sizeof(key), o->meta.namespace_, o->meta.name),
                 prop_now(c));
    return;
  }
  const struct object *set = update_deletion(c, &s->h, t, old, now, &ord);
  if (set) {
    const struct statefulset_spec *sp = &set->u.sts.spec;
    int index = ord - prop_start_ordinal(set);
    prop_fmt(objs, sizeof(objs), "Pod/%s, StatefulSet/%s", o->meta.name,
             set->meta.name);
    if (sp->update_strategy == UPDATE_ON_DELETE)
      prop_violate(c, objs,
                   "OnDelete: the controller deleted %s (only people delete "
                   "pods for an OnDelete update)",
                   o->meta.name);
    else if (index < sp->partition)
      prop_violate(c, objs,
                   "partition %d: the controller deleted %s (index %d) for "
                   "an update",
                   sp->partition, o->meta.name, index);
    return;
  }
  /* Which revision a (re)created pod gets (section 5.2). */
  if (t != WATCH_ADDED || o->kind != KIND_POD ||
      strcmp(prop_client(c), CTL_CLIENT))
    return;
  set = prop_controller_set(api, o);
  ord = prop_parse_ordinal(o->meta.name, NULL);
  if (!set || ord < 0 || prop_spec_recently_changed(c, &s->h, set))
    return;
  int64_t at;
  prop_key(key, sizeof(key), set->meta.namespace_, set->meta.name);
  if (strmap_get(s->current_changed, key, &at) &&
      prop_now(c) - at <= PROP_STALENESS)
    return;
  const struct statefulset_spec *sp = &set->u.sts.spec;
  const char *update = prop_update_revision(api, set);
  const char *current = set->u.sts.status.current_revision;
  if (!current || !*current)
    current = update;
  bool below = sp->update_strategy == UPDATE_ROLLING &&
               ord < prop_start_ordinal(set) + sp->partition;
  const char *want = below ? current : update;
  if (*want && strcmp(pod_revision(o), want)) {
    prop_fmt(objs, sizeof(objs), "Pod/%s, StatefulSet/%s", o->meta.name,
             set->meta.name);
    prop_violate(c, objs,
                 "%s was created at revision %s, want %s (%s revision: "
                 "%s)",
                 o->meta.name, pod_revision(o), want,
                 below ? "below the partition: current" : "update",
                 below ? "pods below the partition keep the current one"
                       : "pods are created at the update revision");
  }
}

static void partition_release(void *st)
{
  struct partition_state *s = st;
  prop_health_release(&s->h);
  strmap_free(s->current_changed);
}

const struct property prop_update_partition = {
    .name = "update.partition",
    .state_size = sizeof(struct partition_state),
    .on_write = partition_write,
    .release = partition_release,
};

/* --- update.order
 * ------------------------------------------------------------------ */

struct order_state {
  struct prop_health h;
};

/*
 * Update deletions go from the highest index down. Legacy path (gate off):
 * the next only after every higher index is at the update revision and
 * available. maxUnavailable path: every higher old-revision pod is already
 * terminating (deleted earlier in the walk); in 1.37 Parallel, broken
 * (unavailable) old pods may go first (phase 1).
 */
static void order_write(struct prop_ctx *c, void *st, enum watch_type t,
                        const struct object *old, const struct object *now)
{
  struct order_state *s = st;
  struct api *api = prop_api(c);
  int ord;

  prop_health_write(c, &s->h, t, old, now);
  const struct object *set = update_deletion(c, &s->h, t, old, now, &ord);
  if (!set || set->u.sts.spec.update_strategy != UPDATE_ROLLING)
    return;
  const struct object *pod = now ? now : old;
  const char *update = prop_update_revision(api, set);
  int32_t start = prop_start_ordinal(set);
  int32_t end = start + set->u.sts.spec.replicas;
  bool gate = prop_max_unavailable_gate(c);
  bool two_phase = gate && prop_minor(c) >= 37 &&
                   set->u.sts.spec.pod_management_policy == PMP_PARALLEL;
  const char *why;
  bool deleting_unavailable =
      !prop_available(old, set->u.sts.spec.min_ready_seconds, prop_now(c));
  char objs[700];

  prop_fmt(objs, sizeof(objs), "Pod/%s, StatefulSet/%s", pod->meta.name,
           set->meta.name);
  for (int j = ord + 1; j < end; j++) {
    const struct object *h = prop_set_pod(api, set, j);
    bool old_rev = h && strcmp(pod_revision(h), update);
    if (!gate) {
      if (old_rev && !meta_is_deleting(&h->meta)) {
        prop_violate(c, objs,
                     "rolling update deleted %s before %s (higher, still at "
                     "an old revision)",
                     pod->meta.name, h->meta.name);
        return;
      }
      if (prop_known_unavailable_at_version(c, &s->h, set, j, &why)) {
        prop_violate(c, objs,
                     "rolling update deleted %s while %s-%d (higher) %s",
                     pod->meta.name, set->meta.name, j, why);
        return;
      }
      continue;
    }
    if (!old_rev || meta_is_deleting(&h->meta))
      continue;
    if (two_phase && deleting_unavailable &&
        prop_available(h, set->u.sts.spec.min_ready_seconds, prop_now(c)))
      continue; /* 1.37 phase 1: broken old pods first */
    prop_violate(c, objs,
                 "rolling update deleted %s before %s (higher, old "
                 "revision, not terminating)",
                 pod->meta.name, h->meta.name);
    return;
  }
}

static void order_release(void *st)
{
  prop_health_release(&((struct order_state *)st)->h);
}

const struct property prop_update_order = {
    .name = "update.order",
    .state_size = sizeof(struct order_state),
    .on_write = order_write,
    .release = order_release,
};

/* --- update.max-unavailable
 * --------------------------------------------------------- */

struct budget_state {
  struct prop_health h;
  uint64_t seq;    /* engine event of the current pass */
  int64_t deleted; /* update deletions in it */
  int64_t broken;  /* 1.37 Parallel phase-1 deletions in it */
};

/*
 * With the MaxUnavailableStatefulSet gate on: the unavailable in-range
 * pods the controller knew of before the pass, plus its update deletions
 * in the pass, never exceed maxUnavailable (section 6.4.2). 1.37 Parallel
 * does not count broken old-revision pods at or above the partition.
 * With the gate off the legacy path applies (update.order checks it).
 */
static void budget_write(struct prop_ctx *c, void *st, enum watch_type t,
                         const struct object *old, const struct object *now)
{
  struct budget_state *s = st;
  struct api *api = prop_api(c);
  int ord;

  prop_health_write(c, &s->h, t, old, now);
  if (!prop_max_unavailable_gate(c))
    return;
  const struct object *set = update_deletion(c, &s->h, t, old, now, &ord);
  if (!set || set->u.sts.spec.update_strategy != UPDATE_ROLLING)
    return;
  uint64_t seq = engine_current_seq(api_engine(api));
  if (seq != s->seq) {
    s->seq = seq;
    s->deleted = 0;
    s->broken = 0;
  }
  const char *update = prop_update_revision(api, set);
  int32_t start = prop_start_ordinal(set);
  int32_t end = start + set->u.sts.spec.replicas;
  bool exempt = prop_minor(c) >= 37 &&
                set->u.sts.spec.pod_management_policy == PMP_PARALLEL;
  int64_t known = 0;
  const char *why;
  int32_t max = max_unavailable(set);

  /*
   * 1.37 Parallel, phase 1 (section 6.4.2): an old-revision pod at or
   * above the partition that is unavailable is deleted outside the
   * budget - deleting it makes nothing less available - at most
   * maxUnavailable of them per pass.
   */
  if (exempt && strcmp(pod_revision(old), update) &&
      ord - start >= set->u.sts.spec.partition &&
      !prop_available(old, set->u.sts.spec.min_ready_seconds, prop_now(c))) {
    if (++s->broken > max) {
      char objs[700];
      prop_fmt(objs, sizeof(objs), "StatefulSet/%s, Pod/%s", set->meta.name,
               old->meta.name);
      prop_violate(c, objs,
                   "rolling update: %lld unavailable old-revision pods "
                   "deleted in one pass > maxUnavailable %d",
                   (long long)s->broken, max);
    }
    return;
  }
  s->deleted++;

  for (int j = start; j < end; j++) {
    if (!prop_known_unavailable_at_version(c, &s->h, set, j, &why))
      continue;
    const struct object *h = prop_set_pod(api, set, j);
    if (exempt && h && !meta_is_deleting(&h->meta) &&
        strcmp(pod_revision(h), update) &&
        j - start >= set->u.sts.spec.partition)
      continue;
    known++;
  }
  if (known + s->deleted > max) {
    char objs[700];
    prop_fmt(objs, sizeof(objs), "StatefulSet/%s, Pod/%s", set->meta.name,
             (now ? now : old)->meta.name);
    prop_violate(c, objs,
                 "rolling update: %lld unavailable + %lld deleted in this "
                 "pass > maxUnavailable %d",
                 (long long)known, (long long)s->deleted, max);
  }
}

static void budget_release(void *st)
{
  prop_health_release(&((struct budget_state *)st)->h);
}

const struct property prop_update_max_unavailable = {
    .name = "update.max-unavailable",
    .state_size = sizeof(struct budget_state),
    .on_write = budget_write,
    .release = budget_release,
};

/* --- update.terminal-pods
 * ----------------------------------------------------------- */

/* How long a Failed/Succeeded pod may stay once nothing stops the
 * controller from deleting it (it reacts within one sync). */
#define TERMINAL_BOUND SIM_SEC(30)

struct terminal_pod {
  char ns[64], name[256];
  uint64_t uid;
  simtime eligible_since; /* SIMTIME_NEVER = not eligible now */
};

struct terminal_state {
  struct prop_health h;
  VEC(struct terminal_pod) pods;
};

static void terminal_write(struct prop_ctx *c, void *st, enum watch_type t,
                           const struct object *old, const struct object *now)
{
  struct terminal_state *s = st;
  const struct object *o = now ? now : old;

  prop_health_write(c, &s->h, t, old, now);
  if (o->kind != KIND_POD)
    return;
  for (size_t i = 0; i < s->pods.nr; i++) {
    if (s->pods.v[i].uid != o->meta.uid)
      continue;
    if (t == WATCH_DELETED || meta_is_deleting(&o->meta)) {
      s->pods.v[i] = s->pods.v[--s->pods.nr];
    }
    return;
  }
  if (t == WATCH_DELETED || meta_is_deleting(&o->meta) ||
      !prop_is_terminal(o) || !meta_controller_ref(&o->meta))
    return;
  struct terminal_pod tp = {.uid = o->meta.uid,
                            .eligible_since = SIMTIME_NEVER};
  prop_fmt(tp.ns, sizeof(tp.ns), "%s", o->meta.namespace_);
  prop_fmt(tp.name, sizeof(tp.name), "%s", o->meta.name);
  VEC_PUSH(&s->pods, tp);
}

/* Whether the controller should have deleted the pod by now: Parallel, or
 * OrderedReady with every lower replica healthy (section 4.1). */
static bool eligible(struct prop_ctx *c, struct terminal_state *s,
                     const struct terminal_pod *tp)
{
  struct api *api = prop_api(c);
  const struct object *pod = api_get(api, KIND_POD, tp->ns, tp->name);
  const char *why;

  if (!pod || pod->meta.uid != tp->uid)
    return false;
  const struct object *set = prop_controller_set(api, pod);
  int ord = prop_parse_ordinal(pod->meta.name, NULL);
  if (!set || ord < 0 || meta_is_deleting(&set->meta) ||
      !prop_in_range(set, ord))
    return false;
  if (set->u.sts.spec.pod_management_policy == PMP_PARALLEL)
    return true;
  for (int j = prop_start_ordinal(set); j < ord; j++)
    if (prop_known_unhealthy(c, &s->h, set, j, &why))
      return false;
  return true;
}

static void terminal_after(struct prop_ctx *c, void *st)
{
  struct terminal_state *s = st;
  simtime now = prop_now(c);

  for (size_t i = 0; i < s->pods.nr; i++) {
    struct terminal_pod *tp = &s->pods.v[i];
    if (!eligible(c, s, tp)) {
      tp->eligible_since = SIMTIME_NEVER;
      continue;
    }
    if (tp->eligible_since == SIMTIME_NEVER)
      tp->eligible_since = now;
    else if (now - tp->eligible_since > TERMINAL_BOUND) {
      char objs[700];
      prop_fmt(objs, sizeof(objs), "Pod/%s", tp->name);
      prop_violate(c, objs,
                   "%s is Failed/Succeeded and was not deleted for "
                   "recreation within 30s",
                   tp->name);
      tp->eligible_since = SIMTIME_NEVER - 1; /* report once */
    }
  }
}

static void terminal_request(struct prop_ctx *c, void *st, const char *who,
                             const char *verb, enum obj_kind kind,
                             const char *ns, const char *name,
                             enum api_status status, bool changed)
{
  (void)st;
  if (kind != KIND_POD || strcmp(verb, "delete") || strcmp(who, CTL_CLIENT) ||
      status != API_OK || changed)
    return;
  const struct object *pod = api_get(prop_api(c), KIND_POD, ns, name);
  if (pod && prop_is_terminal(pod)) {
    char objs[700];
    prop_fmt(objs, sizeof(objs), "Pod/%s", name);
    prop_violate(c, objs,
                 "the controller deleted the terminal pod %s again while "
                 "it was already terminating",
                 name);
  }
}

static void terminal_release(void *st)
{
  struct terminal_state *s = st;
  prop_health_release(&s->h);
  free(s->pods.v);
}

const struct property prop_update_terminal_pods = {
    .name = "update.terminal-pods",
    .state_size = sizeof(struct terminal_state),
    .on_write = terminal_write,
    .on_request = terminal_request,
    .after_event = terminal_after,
    .at_end = terminal_after,
    .release = terminal_release,
};
