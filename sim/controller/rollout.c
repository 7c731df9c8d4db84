/*
 * rollout.c - Step L for RollingUpdate (reference §6.4): the legacy
 * one-at-a-time path (MaxUnavailableStatefulSet off) and the maxUnavailable
 * path (gate on) with its pre-1.37 form and the 1.37 two-phase form for
 * Parallel (#137666, the reviewed variant of §6.4.2).
 *
 * Both run only when Steps H-K finished without an exit, so under
 * OrderedReady every replica is Running, Ready and Available here.
 */
#include <string.h>

#include "controller_int.h"

static const char *slot_name(struct ctl__pass *p, const struct ctl__slot *s,
                             char *buf, size_t n)
{
  if (s->pod)
    return s->pod->meta.name;
  ctl__pod_name(buf, n, p->set, s->ordinal);
  return buf;
}

static bool old_revision(struct ctl__pass *p, const struct ctl__slot *s)
{
  return strcmp(ctl__slot_revision(p, s), p->upd_rev->meta.name) != 0;
}

/*
 * Deletes slot s for the update (NotFound ignored); counts it out of
 * currentReplicas. Returns 0, or -1 with p->err.
 */
static int delete_for_update(struct ctl__pass *p, const struct ctl__slot *s,
                             const char *why)
{
  char buf[256];
  const char *name = slot_name(p, s, buf, sizeof(buf));
  enum api_status st = API_OK;
  struct object tmp;

  ctl__note(p, "Deleting",
            "deleting %s for the update: revision %s is not %s%s", name,
            ctl__slot_revision(p, s), p->upd_rev->meta.name, why);
  if (!s->pod) {
    /* never reached: a placeholder at index >= partition is built from the
     * update revision; upstream would delete by name all the same */
    object_init(&tmp, KIND_POD);
    tmp.meta.name = name;
    tmp.meta.namespace_ = p->set->meta.namespace_;
  }
  if (ctl__delete_stateful_pod(p, s->pod ? s->pod : &tmp, &st) &&
      st != API_NOT_FOUND) {
    ctl__err_add(&p->err, st, "%s", api_last_error(p->c->api));
    return -1;
  }
  p->status.current_replicas--;
  return 0;
}

/* §6.4.1: one deletion per pass, highest index first, waiting for each. */
static int legacy(struct ctl__pass *p, int32_t update_min)
{
  char buf[256], why[64];

  snprintf(why, sizeof(why), " (rolling update, partition %d)",
           (int)update_min);
  for (int32_t t = p->replicas - 1; t >= update_min; t--) {
    const struct ctl__slot *s = &p->slots[t];

    if (old_revision(p, s) && !ctl__is_terminating(s->pod))
      return delete_for_update(p, s, why);
    if (ctl__slot_unavailable(p, s)) {
      ctl__note(p, "Waiting", "rolling update waits: %s is not available",
                slot_name(p, s, buf, sizeof(buf)));
      return 0;
    }
  }
  return 0;
}

/* getStatefulSetMaxUnavailable: percentages round down, then >= 1. */
static int32_t max_unavailable(const struct ctl__pass *p)
{
  const struct int_or_percent *m = &p->set->u.sts.spec.max_unavailable;
  int64_t v = 1;

  if (m->set)
    v = m->is_percent ? (int64_t)m->value * p->replicas / 100 : m->value;
  return v < 1 ? 1 : (int32_t)v;
}

static int with_max_unavailable(struct ctl__pass *p, int32_t update_min)
{
  int32_t maxu = max_unavailable(p);
  int32_t unavailable = 0, old_unavailable = 0, deleted = 0, budget;
  /* B2: 1.37 Parallel without the #137666 fix */
  bool two_phase =
      p->c->minor >= 37 && !p->monotonic && p->c->mut != CTL_MUT_B2;
  char why[96];

  for (int32_t t = p->replicas - 1; t >= 0; t--) {
    const struct ctl__slot *s = &p->slots[t];
    if (ctl__slot_unavailable(p, s)) {
      unavailable++;
      if (t >= update_min && old_revision(p, s) && !ctl__is_terminating(s->pod))
        old_unavailable++;
    }
  }
  snprintf(why, sizeof(why), " (maxUnavailable %d, %d unavailable)", (int)maxu,
           (int)unavailable);
  if (!two_phase || !old_unavailable) {
    if (unavailable >= maxu) {
      ctl__note(p, "Waiting",
                "rolling update waits: %d unavailable, maxUnavailable %d",
                (int)unavailable, (int)maxu);
      return 0;
    }
  }
  if (two_phase) {
    /* phase 1: replace broken old-revision pods (B2 fix), <= maxu */
    for (int32_t t = p->replicas - 1; t >= update_min && deleted < maxu; t--) {
      const struct ctl__slot *s = &p->slots[t];
      if (old_revision(p, s) && !ctl__is_terminating(s->pod) &&
          ctl__slot_unavailable(p, s)) {
        if (delete_for_update(p, s, why))
          return -1;
        deleted++;
      }
    }
    deleted = 0;
  }
  /* (phase 2:) the budget left, available old-revision pods only in 1.37
   * Parallel, any old-revision pod otherwise */
  budget = maxu - unavailable;
  for (int32_t t = p->replicas - 1; t >= update_min && deleted < budget; t--) {
    const struct ctl__slot *s = &p->slots[t];
    if (!old_revision(p, s) || ctl__is_terminating(s->pod))
      continue;
    if (two_phase && ctl__slot_unavailable(p, s))
      continue;
    if (delete_for_update(p, s, why))
      return -1;
    deleted++;
  }
  return 0;
}

/* B20: Parallel waits, as OrderedReady's Step H does, for every replica
 * to be Running, Ready and available before it updates anything. */
static bool mutant_parallel_waits(struct ctl__pass *p)
{
  int32_t mrs = p->set->u.sts.spec.min_ready_seconds;
  char buf[256];

  for (int32_t i = 0; i < p->replicas; i++) {
    const struct ctl__slot *s = &p->slots[i];
    if (!s->pod || ctl__is_terminating(s->pod) ||
        !ctl__is_running_and_ready(s->pod) ||
        !ctl__is_running_and_available(s->pod, mrs, p->now)) {
      ctl__note(p, "Waiting",
                "rolling update waits: %s is not Running and Ready "
                "(mutant %s)",
                slot_name(p, s, buf, sizeof(buf)), p->c->env.mutant);
      return true;
    }
  }
  return false;
}

/*
 * legacy() and with_max_unavailable() when no slot is at an old revision
 * (cur == upd and every pod not terminating carries it): nothing is
 * deleted, and the only decision is whether to say that the update waits
 * for an unavailable slot - found in the index's bitmap instead of a walk.
 */
int ctl__rolling_update_settled(struct ctl__pass *p, const uint64_t *unavail,
                                size_t n, int32_t update_min)
{
  char buf[256];

  if (p->c->gate_max_unavailable) {
    int32_t maxu = max_unavailable(p);
    int32_t unavailable = (int32_t)ctl__index_unavailable_count(unavail, n);

    if (unavailable >= maxu)
      ctl__note(p, "Waiting",
                "rolling update waits: %d unavailable, maxUnavailable %d",
                (int)unavailable, (int)maxu);
    return 0;
  }
  {
    int32_t t = ctl__index_last_unavailable(unavail, n, update_min);
    if (t >= 0)
      ctl__note(p, "Waiting", "rolling update waits: %s is not available",
                slot_name(p, &p->slots[t], buf, sizeof(buf)));
  }
  return 0;
}

int ctl__rolling_update(struct ctl__pass *p)
{
  int32_t update_min = p->set->u.sts.spec.partition;

  if (p->c->mut == CTL_MUT_B20 && !p->monotonic && mutant_parallel_waits(p))
    return 0;
  if (p->idx) {
    bool done;
    int rc = ctl__index_rolling_update(p, &done);
    if (done)
      return rc;
  }

  if (p->c->gate_max_unavailable)
    return with_max_unavailable(p, update_min);
  return legacy(p, update_min);
}
