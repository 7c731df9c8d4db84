/*
 * check_order.c - order.create, order.scale-down and order.one-step: the
 * OrderedReady guarantees of reference section 13 (S2, S3, S4), judged on
 * the ground truth with the staleness allowance of props_int.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "props_int.h"

/* --- order.create ----------------------------------------------------------
 */

struct create_state {
  struct prop_health h;
};

static void create_write(struct prop_ctx *c, void *st, enum watch_type t,
                         const struct object *old, const struct object *now)
{
  struct create_state *s = st;

  prop_health_write(c, &s->h, t, old, now);
  if (t != WATCH_ADDED || now->kind != KIND_POD ||
      strcmp(prop_client(c), CTL_CLIENT))
    return;
  const struct object *set = prop_controller_set(prop_api(c), now);
  int k = prop_parse_ordinal(now->meta.name, NULL);
  if (!set || k < 0 ||
      set->u.sts.spec.pod_management_policy != PMP_ORDERED_READY)
    return;
  for (int j = prop_start_ordinal(set); j < k; j++) {
    const char *why;
    if (!prop_known_unhealthy(c, &s->h, set, j, &why))
      continue;
    char objs[700];
    prop_fmt(objs, sizeof(objs), "Pod/%s, Pod/%s-%d, StatefulSet/%s",
             now->meta.name, set->meta.name, j, set->meta.name);
    prop_violate(c, objs, "OrderedReady: created %s while %s-%d %s",
                 now->meta.name, set->meta.name, j, why);
    return;
  }
}

static void create_release(void *st)
{
  prop_health_release(&((struct create_state *)st)->h);
}

const struct property prop_order_create = {
    .name = "order.create",
    .state_size = sizeof(struct create_state),
    .on_write = create_write,
    .release = create_release,
};

/* --- order.scale-down
 * ---------------------------------------------------------- */

struct down_state {
  struct prop_health h;
};

static void down_write(struct prop_ctx *c, void *st, enum watch_type t,
                       const struct object *old, const struct object *now)
{
  struct down_state *s = st;
  struct api *api = prop_api(c);

  prop_health_write(c, &s->h, t, old, now);
  if ((now ? now : old)->kind != KIND_POD ||
      !prop_is_controller_delete(c, t, old, now))
    return;
  const struct object *pod = now ? now : old;
  const struct object *set = prop_controller_set(api, pod);
  int k = prop_parse_ordinal(pod->meta.name, NULL);
  if (!set || k < 0 || prop_in_range(set, k) ||
      set->u.sts.spec.pod_management_policy != PMP_ORDERED_READY ||
      meta_is_deleting(&set->meta) || prop_spec_recently_changed(c, &s->h, set))
    return;
  char objs[700], skey[320];
  int64_t max = k;
  const char *why;

  prop_fmt(objs, sizeof(objs), "Pod/%s, StatefulSet/%s", pod->meta.name,
           set->meta.name);
  prop_key(skey, sizeof(skey), set->meta.namespace_, set->meta.name);
  strmap_get(s->h.max_ordinal, skey, &max);
  for (int j = k + 1; j <= max; j++) {
    const struct object *higher = prop_set_pod(api, set, j);
    if (higher && !prop_in_range(set, j)) {
      prop_violate(c, objs,
                   "OrderedReady scale-down deleted %s while %s (higher) "
                   "still exists",
                   pod->meta.name, higher->meta.name);
      return;
    }
  }
  int32_t start = prop_start_ordinal(set);
  for (int j = start; j < start + set->u.sts.spec.replicas; j++) {
    if (prop_known_unavailable_at_version(c, &s->h, set, j, &why)) {
      prop_violate(c, objs,
                   "OrderedReady scale-down deleted %s while replica "
                   "%s-%d %s",
                   pod->meta.name, set->meta.name, j, why);
      return;
    }
  }
  if (!prop_known_unavailable_at_version(c, &s->h, set, k, &why))
    return;
  /* An unhealthy condemned pod may go only if it is the lowest unhealthy
   * condemned one (firstUnavailablePod). */
  for (int j = 0; j < k; j++) {
    const char *why2;
    if (prop_in_range(set, j) || !prop_set_pod(api, set, j))
      continue;
    if (prop_known_unavailable_at_version(c, &s->h, set, j, &why2)) {
      prop_violate(c, objs,
                   "OrderedReady scale-down deleted unhealthy %s although "
                   "%s-%d is a lower unhealthy condemned pod",
                   pod->meta.name, set->meta.name, j);
      return;
    }
  }
}

static void down_release(void *st)
{
  prop_health_release(&((struct down_state *)st)->h);
}

const struct property prop_order_scale_down = {
    .name = "order.scale-down",
    .state_size = sizeof(struct down_state),
    .on_write = down_write,
    .release = down_release,
};

/* --- order.one-step
 * ---------------------------------------------------------------- */

struct step_state {
  struct strmap *seq;   /* "ns/set" -> engine seq of the last action */
  struct strmap *count; /* "ns/set" -> actions in that seq */
};

/*
 * OrderedReady: at most one pod creation or deletion per sync. A sync
 * runs inside one simulation event, so two pod actions of the controller
 * on one set within the same event are two steps in one pass.
 */
static void step_write(struct prop_ctx *c, void *st, enum watch_type t,
                       const struct object *old, const struct object *now)
{
  struct step_state *s = st;
  const struct object *pod = now ? now : old;

  if (pod->kind != KIND_POD || strcmp(prop_client(c), CTL_CLIENT))
    return;
  if (t != WATCH_ADDED && !prop_is_controller_delete(c, t, old, now))
    return;
  const struct object *set = prop_controller_set(prop_api(c), pod);
  if (!set || set->u.sts.spec.pod_management_policy != PMP_ORDERED_READY)
    return;
  /* With the MaxUnavailableStatefulSet gate on, one pass may delete up to
   * maxUnavailable pods for a rolling update (reference 4.3); those
   * deletions (in range, not terminal) are update.max-unavailable's. */
  int ord = prop_parse_ordinal(pod->meta.name, NULL);
  if (t != WATCH_ADDED && prop_max_unavailable_gate(c) && ord >= 0 &&
      prop_in_range(set, ord) && !prop_is_terminal(old))
    return;
  if (!s->seq) {
    s->seq = strmap_new();
    s->count = strmap_new();
  }
  char key[320];
  int64_t last, n = 0;
  uint64_t seq = engine_current_seq(api_engine(prop_api(c)));
  prop_key(key, sizeof(key), set->meta.namespace_, set->meta.name);
  if (strmap_get(s->seq, key, &last) && (uint64_t)last == seq)
    strmap_get(s->count, key, &n);
  strmap_set(s->seq, key, (int64_t)seq);
  strmap_set(s->count, key, n + 1);
  if (n + 1 == 2) {
    char objs[700];
    prop_fmt(objs, sizeof(objs), "StatefulSet/%s, Pod/%s", set->meta.name,
             pod->meta.name);
    prop_violate(c, objs,
                 "OrderedReady: two pod creations/deletions in one sync of "
                 "%s (the second: %s %s)",
                 set->meta.name, t == WATCH_ADDED ? "create" : "delete",
                 pod->meta.name);
  }
}

static void step_release(void *st)
{
  struct step_state *s = st;
  strmap_free(s->seq);
  strmap_free(s->count);
}

const struct property prop_order_one_step = {
    .name = "order.one-step",
    .state_size = sizeof(struct step_state),
    .on_write = step_write,
    .release = step_release,
};
