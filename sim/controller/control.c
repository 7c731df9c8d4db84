/*
 * control.c - one pass of the control loop (reference §4; UpdateStatefulSet,
 * performUpdate, updateStatefulSet, processReplica, processCondemned and
 * runForAll of stateful_set_control.go), Steps A to N in order.
 *
 * Parallel's slow-start batches (1, 2, 4, ... capped at 500) run their
 * calls one after another in index order inside the batch: upstream runs
 * them concurrently, but every call of a batch is independent of the
 * others, and within one engine event they all happen at the same virtual
 * instant anyway.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "controller_int.h"

/*
 * runForAll: returns true when the pass must stop (an exit in monotonic
 * mode, or an error in either mode; p->err then holds it).
 */
static bool run_for_all(struct ctl__pass *p, size_t n, ctl__step_fn *fn)
{
  size_t j = 0, remaining = n, batch;

  if (p->monotonic) {
    for (size_t i = 0; i < n; i++)
      if (fn(p, i) != STEP_CONTINUE)
        return true;
    return false;
  }
  /* slowStartBatch(1, n, fn): the exit result is ignored */
  for (batch = remaining < 1 ? remaining : 1; batch > 0;) {
    int errors = 0;
    for (size_t k = 0; k < batch; k++)
      if (fn(p, j++) == STEP_ERROR)
        errors++;
    if (errors)
      return true;
    remaining -= batch;
    batch = 2 * batch < remaining ? 2 * batch : remaining;
    if (batch > CTL_MAX_BATCH)
      batch = CTL_MAX_BATCH;
  }
  return false;
}

/* "not creating web-3: " when a later replica is missing, else "". */
static void blocked_prefix(struct ctl__pass *p, size_t i, char *buf, size_t n)
{
  char name[256];

  buf[0] = '\0';
  for (size_t k = i + 1; k < (size_t)p->replicas; k++)
    if (!p->slots[k].pod) {
      ctl__pod_name(name, sizeof(name), p->set, p->slots[k].ordinal);
      snprintf(buf, n, "not creating %s", name);
      return;
    }
  if (p->condemned_nr)
    snprintf(buf, n, "not scaling down");
  else
    snprintf(buf, n, "waiting");
}

/* --- processReplica (§4.1)
 * ------------------------------------------------------ */

static int process_failed_legacy(struct ctl__pass *p, size_t i,
                                 const struct object **pod)
{
  /* [<=1.30]: event, delete (even if terminating), recreate at once */
  struct ctl__slot *s = &p->slots[i];
  enum api_status st;
  bool failed = ctl__is_failed(*pod);

  api_record_event(
      p->c->api, CTL_COMPONENT, p->set, failed ? EVENT_WARNING : EVENT_NORMAL,
      failed ? "RecreatingFailedPod" : "RecreatingTerminatedPod",
      "StatefulSet %s/%s is recreating %s Pod %s", p->set->meta.namespace_,
      p->set->meta.name, failed ? "failed" : "terminated", (*pod)->meta.name);
  if (ctl__delete_stateful_pod(p, *pod, &st)) {
    ctl__err_add(&p->err, st, "%s", api_last_error(p->c->api));
    return STEP_ERROR;
  }
  s->at_update = ctl__placeholder_at_update(p, s->ordinal);
  s->pod = NULL; /* replicas[i] = newVersionedStatefulSetPod(...) */
  *pod = NULL;
  return STEP_CONTINUE;
}

/*
 * Mutants that take a pod for gone (mutant.c): B16 force-deletes the pod
 * of a node that is not Ready; no-wait-terminating forgets a terminating
 * pod. Either way the slot becomes a placeholder and the replacement is
 * created in this very pass. Returns STEP_ERROR if the force delete
 * failed, else STEP_CONTINUE with *pod NULL when it is gone.
 */
static int mutant_forget(struct ctl__pass *p, size_t i,
                         const struct object **pod)
{
  struct ctl *c = p->c;
  struct ctl__slot *s = &p->slots[i];

  if (c->mut == CTL_MUT_NO_WAIT_TERMINATING && ctl__is_terminating(*pod)) {
    ctl__note(p, "Creating",
              "%s is terminating: treated as gone, replaced now (mutant %s)",
              (*pod)->meta.name, c->env.mutant);
  } else if (c->mut == CTL_MUT_B16 && ctl__is_created(*pod) &&
             ctl__mut_node_lost(c, *pod)) {
    struct delete_opts o = DELETE_OPTS_DEFAULT;
    enum api_status st;

    o.grace_seconds = 0; /* --grace-period=0 --force */
    ctl__note(p, "Deleting",
              "force-deleting %s: its node %s is not Ready (mutant %s)",
              (*pod)->meta.name, (*pod)->u.pod.spec.node_name, c->env.mutant);
    st = api_delete(c->api, CTL_COMPONENT, KIND_POD, p->set->meta.namespace_,
                    (*pod)->meta.name, &o);
    if (st != API_OK && st != API_NOT_FOUND) {
      ctl__err_add(&p->err, st, "%s", api_last_error(c->api));
      return STEP_ERROR;
    }
  } else {
    return STEP_CONTINUE;
  }
  s->at_update = ctl__placeholder_at_update(p, s->ordinal);
  s->pod = NULL;
  *pod = NULL;
  return STEP_CONTINUE;
}

static int process_replica(struct ctl__pass *p, size_t i)
{
  struct ctl *c = p->c;
  struct ctl__slot *s = &p->slots[i];
  const struct object *pod = s->pod;
  int32_t mrs = p->set->u.sts.spec.min_ready_seconds;
  char pre[300];

  if (c->mut && pod && mutant_forget(p, i, &pod) == STEP_ERROR)
    return STEP_ERROR;

  /* 1. Failed or Succeeded: delete; the replacement comes on a later sync
   * (B6: Succeeded was not terminal) */
  if (ctl__is_failed(pod) || (ctl__is_succeeded(pod) && c->mut != CTL_MUT_B6)) {
    if (c->minor <= 30 || c->mut == CTL_MUT_B7) {
      if (process_failed_legacy(p, i, &pod) != STEP_CONTINUE)
        return STEP_ERROR;
    } else {
      enum api_status st;
      const char *ph = ctl__is_failed(pod) ? "Failed" : "Succeeded";

      if (!ctl__is_terminating(pod)) {
        ctl__note(p, "Deleting",
                  "deleting %s: it is %s (recreated once it is gone)",
                  pod->meta.name, ph);
        if (ctl__delete_stateful_pod(p, pod, &st)) {
          ctl__err_add(&p->err, st, "%s", api_last_error(c->api));
          return STEP_ERROR;
        }
      } else {
        ctl__note(p, "Waiting", "waiting: %s is %s and terminating",
                  pod->meta.name, ph);
      }
      return STEP_EXIT;
    }
  }

  /* 2. Not created: create it (PVCs first) */
  if (!ctl__is_created(pod)) {
    char name[256];
    struct ctl__podref ref = {name, 0, s->ordinal};

    /* the stale-claim check first: a waiting pass builds nothing */
    if (pod)
      ref = ctl__podref_of(c, pod);
    else
      ctl__pod_name(name, sizeof(name), p->set, s->ordinal);
    if (c->gate_auto_delete_pvc) {
      bool stale;
      if (ctl__pod_claim_is_stale(p, &ref, &stale)) {
        return STEP_ERROR;
      }
      if (stale)
        return STEP_EXIT; /* wait for the GC, without an error */
    }
    if (!pod)
      pod = ctl__build_pod(p, s);
    ctl__note(p, "Creating", "creating %s at revision %s", pod->meta.name,
              ctl__pod_revision(pod));
    if (ctl__create_stateful_pod(p, pod))
      return STEP_ERROR;
    if (p->monotonic)
      return STEP_EXIT; /* at most one creation per pass */
  }

  /* 3. Pending: recreate missing claims, fix retention refs (B8: not) */
  if (ctl__is_pending(pod) && c->mut != CTL_MUT_B8 &&
      ctl__create_missing_claims(p, pod))
    return STEP_ERROR;

  /* 4.-6. OrderedReady waits for this replica */
  if (p->monotonic) {
    if (ctl__is_terminating(pod)) {
      blocked_prefix(p, i, pre, sizeof(pre));
      ctl__note(p, "Waiting", "%s: %s is terminating (OrderedReady)", pre,
                pod->meta.name);
      return STEP_EXIT;
    }
    if (!ctl__is_running_and_ready(pod)) {
      blocked_prefix(p, i, pre, sizeof(pre));
      ctl__note(p, "Waiting", "%s: %s is not Running and Ready (OrderedReady)",
                pre, pod->meta.name);
      return STEP_EXIT;
    }
    if (!ctl__is_running_and_available(pod, mrs, p->now)) {
      blocked_prefix(p, i, pre, sizeof(pre));
      ctl__note(p, "Waiting",
                "%s: %s is Ready but not yet available (minReadySeconds %d, "
                "OrderedReady)",
                pre, pod->meta.name, (int)mrs);
      return STEP_EXIT;
    }
  }

  /* 7. Enforce identity, storage and the retention refs */
  {
    bool retention = true;
    struct ctl__podref ref = ctl__podref_of(c, pod);

    if (c->gate_auto_delete_pvc)
      ctl__claims_match_retention(p, &ref, &retention);
    /* random-names: a ReplicaSet-style name is never repaired */
    if ((c->mut == CTL_MUT_RANDOM_NAMES ||
         ctl__identity_matches(p->set, pod)) &&
        ctl__pass_storage_matches(p, pod) && retention)
      return STEP_CONTINUE;
    if (ctl__update_stateful_pod(p, pod))
      return STEP_ERROR;
  }
  return STEP_CONTINUE;
}

/* --- Step I: retention refs of condemned pods
 * ------------------------------------ */

static int fix_pod_claim(struct ctl__pass *p, size_t i)
{
  struct ctl__podref ref = ctl__podref_of(p->c, p->condemned[i]);
  bool match;

  ctl__claims_match_retention(p, &ref, &match);
  if (!match && ctl__update_claims_for_retention(p, &ref))
    return STEP_ERROR;
  return STEP_CONTINUE;
}

/* --- processCondemned (§4.2)
 * ---------------------------------------------------- */

static int process_condemned(struct ctl__pass *p, size_t i)
{
  const struct object *pod = p->condemned[i];
  int32_t mrs = p->set->u.sts.spec.min_ready_seconds;
  enum ctl_mutant mut = p->c->mut;
  enum api_status st;

  if (ctl__is_terminating(pod)) {
    if (p->monotonic) {
      ctl__note(p, "Waiting", "waiting: %s is terminating (scale down)",
                pod->meta.name);
      return STEP_EXIT;
    }
    return STEP_CONTINUE;
  }
  /* B19: the PetSet rule, the first unavailable pod waits too */
  if (p->monotonic && (pod != p->first_unavail || mut == CTL_MUT_B19)) {
    if (!ctl__is_running_and_ready(pod)) {
      ctl__note(p, "Waiting",
                "not deleting %s: it is not Running and Ready and not the "
                "first unavailable pod (OrderedReady)",
                pod->meta.name);
      return STEP_EXIT;
    }
    /* B3: Ready is enough, minReadySeconds ignored */
    if (mut != CTL_MUT_B3 && !ctl__is_running_and_available(pod, mrs, p->now)) {
      ctl__note(p, "Waiting",
                "not deleting %s: it is not available and not the first "
                "unavailable pod (OrderedReady)",
                pod->meta.name);
      return STEP_EXIT;
    }
  }
  ctl__note(p, "Deleting", "deleting %s: condemned (scale down to %d)",
            pod->meta.name, (int)p->replicas);
  if (ctl__delete_stateful_pod(p, pod, &st)) {
    ctl__err_add(&p->err, st, "%s", api_last_error(p->c->api));
    return STEP_ERROR;
  }
  return STEP_EXIT;
}

/* --- Steps D to L
 * ------------------------------------------------------------------ */

/* random-names: the ordinal is in the pod-index label */
static int cmp_descending_index(const void *a, const void *b)
{
  const struct object *x = *(const struct object *const *)a;
  const struct object *y = *(const struct object *const *)b;
  int32_t ox = ctl__index_label(x), oy = ctl__index_label(y);

  if (ox != oy)
    return ox > oy ? -1 : 1;
  return strcmp(x->meta.name, y->meta.name); /* total (D5) */
}

static int cmp_descending_ordinal(const void *a, const void *b)
{
  const struct object *x = *(const struct object *const *)a;
  const struct object *y = *(const struct object *const *)b;
  int32_t ox = ctl__ordinal(x->meta.name), oy = ctl__ordinal(y->meta.name);

  if (ox != oy)
    return ox > oy ? -1 : 1;
  return strcmp(x->meta.name, y->meta.name); /* total (D5) */
}

#ifdef SIM_PARANOID
/* The index's D-F are the walk's, for the same cached pods. */
static void check_index_slots(struct ctl__pass *p)
{
  struct ctl *c = p->c;
  struct cand_walk {
    const struct object *set;
    size_t nr;
  };
  VEC(struct ctl__slot) want = {0};
  size_t condemned = 0;
  bool first = false;
  const struct object *first_pod = NULL;

  VEC_GROW(&want, (size_t)p->replicas + 1);
  for (int32_t i = 0; i < p->replicas; i++)
    want.v[i] = (struct ctl__slot){NULL, p->start + i, false};
  for (size_t k = 0; k < p->idx->ent.nr; k++) {
    const struct object *pod = p->idx->ent.v[k].pod;
    int32_t ord = ctl__pod_ordinal(c, pod);
    if (ctl__in_range(p->set, ord)) {
      SIM_ASSERT(!want.v[ord - p->start].pod);
      want.v[ord - p->start].pod = pod;
    } else if (ord >= 0) {
      bool found = false;
      for (size_t j = 0; j < p->condemned_nr; j++)
        found |= p->condemned[j] == pod;
      SIM_ASSERT(found);
      condemned++;
    }
  }
  SIM_ASSERT(condemned == p->condemned_nr);
  for (int32_t i = 0; i < p->replicas; i++) {
    SIM_ASSERT(want.v[i].pod == p->slots[i].pod);
    SIM_ASSERT(want.v[i].ordinal == p->slots[i].ordinal);
    if (!want.v[i].pod)
      SIM_ASSERT(p->slots[i].at_update ==
                 ctl__placeholder_at_update(p, p->slots[i].ordinal));
    if (!first && ctl__slot_unavailable(p, &p->slots[i])) {
      first = true;
      first_pod = p->slots[i].pod;
    }
  }
  SIM_ASSERT(first == p->has_first_unavail && first_pod == p->first_unavail);
  free(want.v);
}
#endif

static int pass_body(struct ctl__pass *p)
{
  struct ctl *c = p->c;
  const struct object *set = p->set;
  int32_t mrs = set->u.sts.spec.min_ready_seconds;
  size_t unavailable = 0;

  if (p->idx) {
    /* D-F from the pod index: the same slots, condemned pods and first
     * unavailable slot, without visiting every pod (index.c) */
    ctl__index_slots(p);
  } else {
    /* D: replicas vs condemned */
    c->slots.nr = 0;
    VEC_GROW(&c->slots, (size_t)p->replicas + 1);
    p->slots = c->slots.v;
    for (int32_t i = 0; i < p->replicas; i++)
      p->slots[i] = (struct ctl__slot){NULL, p->start + i, false};
    c->condemned.nr = 0;
    for (size_t i = 0; i < p->pods_nr; i++) {
      const struct object *pod = p->pods[i];
      int32_t ord = ctl__pod_ordinal(c, pod);

      if (ctl__in_range(set, ord))
        p->slots[ord - p->start].pod = pod; /* web-1 vs web-01: last wins */
      else if (ord >= 0)
        VEC_PUSH(&c->condemned, pod);
      /* an unparseable ordinal: ignored */
    }
    /* E: placeholders at the revision their ordinal gets (§5.2) */
    for (int32_t i = 0; i < p->replicas; i++)
      if (!p->slots[i].pod)
        p->slots[i].at_update =
            ctl__placeholder_at_update(p, p->slots[i].ordinal);
  }
  /* F: condemned by descending ordinal; the first unavailable pod */
  if (c->condemned.nr > 1)
    qsort(c->condemned.v, c->condemned.nr, sizeof(*c->condemned.v),
          c->mut == CTL_MUT_RANDOM_NAMES ? cmp_descending_index
                                         : cmp_descending_ordinal);
  p->condemned = c->condemned.v;
  p->condemned_nr = c->condemned.nr;
  if (!p->idx) {
    p->has_first_unavail = false;
    p->first_unavail = NULL;
    for (int32_t i = 0; i < p->replicas; i++)
      if (ctl__slot_unavailable(p, &p->slots[i])) {
        unavailable++;
        if (!p->has_first_unavail) {
          p->has_first_unavail = true;
          p->first_unavail = p->slots[i].pod;
        }
      }
  }
#ifdef SIM_PARANOID
  if (p->idx)
    check_index_slots(p);
#endif
  for (size_t i = p->condemned_nr; i-- > 0;)
    if (ctl__is_unavailable(c->unavail_minor, p->condemned[i], mrs, p->now)) {
      unavailable++;
      if (!p->has_first_unavail) {
        p->has_first_unavail = true;
        p->first_unavail = p->condemned[i];
      }
    }

  /* lowest-first: scale-down walks the condemned pods upwards */
  if (c->mut == CTL_MUT_LOWEST_FIRST)
    for (size_t i = 0, j = p->condemned_nr; i + 1 < j--; i++) {
      const struct object *t = c->condemned.v[i];
      c->condemned.v[i] = c->condemned.v[j];
      c->condemned.v[j] = t;
    }

  /* G: a set being deleted only gets its status written */
  if (meta_is_deleting(&set->meta)) {
    ctl__note(p, "Waiting",
              "the StatefulSet is being deleted: no pod or claim actions");
    return 0;
  }

  /* H: in-range replicas (with the index: those not known to be quiet) */
  if (p->idx ? ctl__index_run(p, process_replica)
             : run_for_all(p, (size_t)p->replicas, process_replica)) {
    ctl__status_from_slots(p);
    return p->err.nr ? -1 : 0;
  }
  /* I: ownerRefs of condemned pods' claims before any is deleted */
  if (c->gate_auto_delete_pvc &&
      run_for_all(p, p->condemned_nr, fix_pod_claim)) {
    ctl__status_from_slots(p);
    return p->err.nr ? -1 : 0;
  }
  /* J: scale down */
  if (run_for_all(p, p->condemned_nr, process_condemned)) {
    ctl__status_from_slots(p);
    return p->err.nr ? -1 : 0;
  }
  /* K */
  ctl__status_from_slots(p);
  /* L: the update strategy */
  if (set->u.sts.spec.update_strategy == UPDATE_ON_DELETE)
    return 0;
  return ctl__rolling_update(p);
}

int ctl__update_statefulset(struct ctl__pass *p)
{
  struct ctl *c = p->c;
  const struct object *set = p->set;
  struct ctl__err serr = {0};
  int rc;

  /* A: revisions */
  ctl__list_revisions(c, set);
  p->revs = c->revlist.v;
  p->revs_nr = c->revlist.nr;
  if (ctl__get_revisions(p)) {
    /* no status write; truncation still runs with no live revisions */
    ctl__truncate_history(p, NULL, NULL);
    return -1;
  }
  /* B: the current and update templates are the revisions' (no-op here) */
  /* C: status seeded over every claimed pod */
  p->has_status = true;
  memset(&p->status, 0, sizeof(p->status));
  p->status.observed_generation = set->meta.generation;
  p->status.current_revision = p->cur_rev->meta.name;
  p->status.update_revision = p->upd_rev->meta.name;
  p->status.has_collision_count = true;
  p->status.collision_count = p->collision_count;
  ctl__status_from_pods(p);

  rc = pass_body(p);

  /* M: the status write happens even after an error; the pass error wins */
  if (ctl__status_write(p, &serr) && !rc) {
    p->err = serr;
    rc = -1;
  }
  /* N: history */
  if (ctl__truncate_history(p, p->cur_rev, p->upd_rev))
    rc = -1;
  return rc;
}
