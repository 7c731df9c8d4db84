/*
 * status.c - StatefulSet status (reference §7): the counts of updateStatus
 * / computeReplicaStatus, completeRollingUpdate (completeUpdate from 1.36,
 * when OnDelete completes too), and the write of updateStatefulSetStatus:
 * only when inconsistent, with the conflict retries of retry.DefaultRetry.
 *
 * Simplification: completion compares against spec.replicas (the newer
 * form of §6.3) in every version; older releases compared against
 * status.replicas.
 */
#include <string.h>

#include "controller_int.h"

static void count_pod(struct ctl__pass *p, const struct object *pod)
{
  struct statefulset_status *s = &p->status;
  int32_t mrs = p->set->u.sts.spec.min_ready_seconds;

  if (!pod || !ctl__is_created(pod))
    return; /* placeholders count nowhere */
  s->replicas++;
  if (ctl__is_running_and_ready(pod)) {
    s->ready_replicas++;
    if (ctl__is_running_and_available(pod, mrs, p->now))
      s->available_replicas++;
  }
  if (!ctl__is_terminating(pod)) {
    const char *r = ctl__pod_revision(pod);
    if (!strcmp(r, p->cur_rev->meta.name))
      s->current_replicas++;
    if (!strcmp(r, p->upd_rev->meta.name))
      s->updated_replicas++;
  }
}

static void reset_counts(struct ctl__pass *p)
{
  p->status.replicas = 0;
  p->status.ready_replicas = 0;
  p->status.available_replicas = 0;
  p->status.current_replicas = 0;
  p->status.updated_replicas = 0;
}

void ctl__status_from_pods(struct ctl__pass *p)
{
  if (p->idx) {
    ctl__index_status(p);
    return;
  }
  reset_counts(p);
  for (size_t i = 0; i < p->pods_nr; i++)
    count_pod(p, p->pods[i]);
}

void ctl__status_from_slots(struct ctl__pass *p)
{
  if (p->idx) {
    /* every claimed pod is in a slot or condemned (index.c) */
    ctl__index_status(p);
#ifdef SIM_PARANOID
    struct statefulset_status want = p->status;
    reset_counts(p);
    for (int32_t i = 0; i < p->replicas; i++)
      count_pod(p, p->slots[i].pod);
    for (size_t i = 0; i < p->condemned_nr; i++)
      count_pod(p, p->condemned[i]);
    SIM_ASSERT(!memcmp(&want, &p->status, sizeof(want)));
#endif
    return;
  }
  reset_counts(p);
  for (int32_t i = 0; i < p->replicas; i++)
    count_pod(p, p->slots[i].pod);
  for (size_t i = 0; i < p->condemned_nr; i++)
    count_pod(p, p->condemned[i]);
}

static bool str_eq(const char *a, const char *b)
{
  return !strcmp(a ? a : "", b ? b : "");
}

/* completeRollingUpdate / completeUpdate */
static void complete_update(struct ctl__pass *p)
{
  const struct statefulset_spec *sp = &p->set->u.sts.spec;
  struct statefulset_status *s = &p->status;
  int32_t want = ctl__replicas(p->set);
  /* OnDelete completes too from ≈1.36 (#136833); B5 before (and in the
   * B5 mutant). */
  bool strategy_ok = sp->update_strategy == UPDATE_ROLLING ||
                     (p->c->minor >= 36 && p->c->mut != CTL_MUT_B5);

  if (strategy_ok && s->updated_replicas == want && s->ready_replicas == want &&
      s->replicas == want) {
    if (!str_eq(s->current_revision, s->update_revision))
      ctl__note(p, "RolloutComplete",
                "update complete: currentRevision %s -> %s",
                s->current_revision, s->update_revision);
    s->current_replicas = s->updated_replicas;
    s->current_revision = s->update_revision;
  }
}

static bool inconsistent(const struct statefulset_status *have,
                         const struct statefulset_status *want)
{
  return want->observed_generation > have->observed_generation ||
         want->replicas != have->replicas ||
         want->current_replicas != have->current_replicas ||
         want->ready_replicas != have->ready_replicas ||
         want->updated_replicas != have->updated_replicas ||
         !str_eq(want->current_revision, have->current_revision) ||
         want->available_replicas != have->available_replicas ||
         !str_eq(want->update_revision, have->update_revision);
}

int ctl__status_write(struct ctl__pass *p, struct ctl__err *err)
{
  struct ctl *c = p->c;
  const struct object *set = p->set;
  enum api_status st = API_OK;

  complete_update(p);
  if (!inconsistent(&set->u.sts.status, &p->status))
    return 0;
  for (int attempt = 0; attempt < CTL_STATUS_RETRIES; attempt++) {
    struct object o = *set;

    o.u.sts.status = p->status;
    st = api_update_status(c->api, CTL_COMPONENT, &o, NULL);
    if (st == API_OK)
      return 0;
    if (st != API_CONFLICT)
      break;
    /* re-read the set from the cache and re-apply the status */
    {
      const struct object *cached =
          informer_get(c->sets, set->meta.namespace_, set->meta.name);
      if (cached)
        set = cached;
    }
  }
  ctl__err_add(err, st, "%s", api_last_error(c->api));
  return -1;
}
