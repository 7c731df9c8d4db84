/*
 * test_controller_random.c - the invariants of reference §10.2
 * (assertMonotonicInvariants, assertBurstInvariants,
 * assertUpdateInvariants, checkClaimInvariants) asserted after every sync
 * of randomized scale-up, scale-down and update loops in the manner of
 * §10.1: a seeded GSL stream picks a pod and moves it one lifecycle step
 * (Pending -> Running -> Ready), or finishes a terminating pod, or (for
 * OnDelete) deletes an old pod, and the engine runs until the controller
 * is idle; every sync is followed by the checks. Every loop runs under
 * every retention policy and under OrderedReady and Parallel.
 *
 * The invariants are checked against the API (the ground truth), right
 * after each sync, so they include that sync's own writes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "controller/controller_int.h"
#include "ctl_fixture.h"
#include "rng.h"

#define MAX_PODS 64

/* --- the ground truth
 * ------------------------------------------------------------- */

struct view {
  const struct object *set;
  const struct object *pods[MAX_PODS]; /* sorted by ordinal */
  size_t nr;
};

static bool collect(const struct object *o, void *ctx)
{
  struct view *v = ctx;

  if (v->nr < MAX_PODS)
    v->pods[v->nr++] = o;
  return true;
}

static int by_ordinal(const void *a, const void *b)
{
  int32_t x = ctl__ordinal((*(const struct object *const *)a)->meta.name);
  int32_t y = ctl__ordinal((*(const struct object *const *)b)->meta.name);

  return x < y ? -1 : x > y;
}

static void load(struct ctl_fx *x, struct view *v)
{
  v->nr = 0;
  v->set = ctlfx_set(x);
  api_list(x->f.api, KIND_POD, "default", NULL, collect, v);
  qsort(v->pods, v->nr, sizeof(v->pods[0]), by_ordinal);
}

/* --- §10.2 invariants
 * ----------------------------------------------------------------- */

static bool has_ref(const struct object *claim, uint64_t uid)
{
  for (size_t i = 0; i < claim->meta.owner_refs_nr; i++)
    if (claim->meta.owner_refs[i].uid == uid)
      return true;
  return false;
}

/* checkClaimInvariants */
static void check_claims(struct ctl_fx *x, const struct object *set,
                         const struct object *pod)
{
  const struct statefulset_spec *sp = &set->u.sts.spec;
  int32_t ord = ctl__ordinal(pod->meta.name);
  char name[128];

  for (size_t t = 0; t < sp->volume_claim_templates_nr; t++) {
    const struct object *claim;
    bool set_ref, pod_ref, condemned;

    ctl__claim_name(name, sizeof(name), sp->volume_claim_templates[t].name, set,
                    ord);
    claim = ctlfx_pvc(x, name);
    if (!claim) {
      if (sp->when_scaled == RETAIN)
        fail_msg("claim %s of pod %s was not created", name, pod->meta.name);
      continue;
    }
    if (!ctl__is_running_and_ready(pod))
      continue; /* refs are not expected before the pod runs */
    set_ref = has_ref(claim, set->meta.uid);
    pod_ref = has_ref(claim, pod->meta.uid);
    condemned = !ctl__in_range(set, ord);
    if (sp->when_scaled == RETAIN && sp->when_deleted == RETAIN) {
      if (set_ref || pod_ref)
        fail_msg("Retain/Retain: claim %s has our refs", name);
    } else if (sp->when_scaled == RETAIN) {
      if (!set_ref || pod_ref)
        fail_msg("Retain/Delete: claim %s set ref %d pod ref %d", name, set_ref,
                 pod_ref);
    } else if (sp->when_deleted == RETAIN) {
      if (set_ref || pod_ref != condemned)
        fail_msg("Delete/Retain: claim %s set ref %d pod ref %d condemned %d",
                 name, set_ref, pod_ref, condemned);
    } else {
      if (condemned && (!pod_ref || set_ref))
        fail_msg("Delete/Delete: condemned claim %s set %d pod %d", name,
                 set_ref, pod_ref);
      if (!condemned && (pod_ref || !set_ref))
        fail_msg("Delete/Delete: claim %s set %d pod %d", name, set_ref,
                 pod_ref);
    }
  }
}

static void check_identity_storage(const struct object *set,
                                   const struct object *pod)
{
  if (!ctl__identity_matches(set, pod))
    fail_msg("identity of %s does not match", pod->meta.name);
  if (!ctl__storage_matches(set, pod))
    fail_msg("storage of %s does not match", pod->meta.name);
}

/* assertMonotonicInvariants */
static void check_monotonic(struct ctl_fx *x)
{
  struct view v;

  load(x, &v);
  for (size_t k = 0; k < v.nr; k++) {
    const struct object *pod = v.pods[k];
    if (k > 0 && ctl__is_running_and_ready(pod) &&
        !ctl__is_running_and_ready(v.pods[k - 1]))
      fail_msg("%s is Running and Ready before %s", pod->meta.name,
               v.pods[k - 1]->meta.name);
    if (ctl__ordinal(pod->meta.name) != ctl__start_ordinal(v.set) + (int32_t)k)
      fail_msg("pod %zu is %s: not a prefix", k, pod->meta.name);
    check_identity_storage(v.set, pod);
    check_claims(x, v.set, pod);
  }
}

/* assertBurstInvariants */
static void check_burst(struct ctl_fx *x)
{
  struct view v;

  load(x, &v);
  for (size_t k = 0; k < v.nr; k++) {
    check_identity_storage(v.set, v.pods[k]);
    check_claims(x, v.set, v.pods[k]);
  }
}

/* assertUpdateInvariants (after the mode's own invariants) */
static void check_update(struct ctl_fx *x)
{
  struct view v;
  const struct statefulset_status *st;

  load(x, &v);
  st = &v.set->u.sts.status;
  for (size_t k = 0; k < v.nr; k++) {
    check_identity_storage(v.set, v.pods[k]);
    check_claims(x, v.set, v.pods[k]);
  }
  if (v.set->u.sts.spec.update_strategy == UPDATE_ON_DELETE)
    return;
  for (size_t k = 0; k < v.nr && k < (size_t)st->current_replicas; k++)
    if (strcmp(ctl__pod_revision(v.pods[k]), st->current_revision))
      fail_msg("%s is not at currentRevision %s (currentReplicas %d)",
               v.pods[k]->meta.name, st->current_revision,
               (int)st->current_replicas);
  for (size_t k = 0; k < (size_t)st->updated_replicas && k < v.nr; k++) {
    const struct object *pod = v.pods[v.nr - 1 - k];
    if (strcmp(ctl__pod_revision(pod), st->update_revision))
      fail_msg("%s is not at updateRevision %s (updatedReplicas %d)",
               pod->meta.name, st->update_revision, (int)st->updated_replicas);
  }
}

/* --- the loops
 * ----------------------------------------------------------------------- */

struct loop {
  struct ctl_fx *x;
  gsl_rng *r;
  void (*check)(struct ctl_fx *x);
  bool mono;
  uint64_t checks;
};

/* Runs the engine until idle (or 60 s), checking after every sync. */
static void run_checked(struct loop *l)
{
  struct engine *e = l->x->f.engine;
  simtime until = engine_now(e) + SIM_SEC(60);
  uint64_t syncs = ctl_syncs(l->x->ctl);

  while (engine_step(e, until)) {
    if (ctl_syncs(l->x->ctl) != syncs) {
      syncs = ctl_syncs(l->x->ctl);
      l->check(l->x);
      l->checks++;
    }
  }
}

/* The "GC": claims owned by a pod that no longer exists go away. */
struct names {
  const char *v[MAX_PODS * 2];
  size_t nr;
};

static bool collect_name(const struct object *o, void *ctx)
{
  struct names *n = ctx;

  if (n->nr < sizeof(n->v) / sizeof(n->v[0]))
    n->v[n->nr++] = o->meta.name;
  return true;
}

static void collect_garbage(struct ctl_fx *x)
{
  struct names n = {0};

  api_list(x->f.api, KIND_PVC, "default", NULL, collect_name, &n);
  for (size_t i = 0; i < n.nr; i++) {
    const struct object *pvc = ctlfx_pvc(x, n.v[i]);
    bool orphaned = false;

    for (size_t j = 0; pvc && j < pvc->meta.owner_refs_nr; j++)
      if (!strcmp(pvc->meta.owner_refs[j].kind, "Pod") &&
          !api_get_uid(x->f.api, pvc->meta.owner_refs[j].uid))
        orphaned = true;
    if (orphaned) {
      struct delete_opts o = DELETE_OPTS_DEFAULT;
      api_delete(x->f.api, "generic-garbage-collector", KIND_PVC, "default",
                 n.v[i], &o);
    }
  }
}

/* One random lifecycle step of one pod; returns false if none possible. */
static bool random_step(struct loop *l, bool finish_terminating)
{
  struct view v;
  const struct object *cand[MAX_PODS];
  size_t n = 0;
  const struct object *p;

  load(l->x, &v);
  for (size_t i = 0; i < v.nr; i++) {
    const struct object *q = v.pods[i];
    bool term = ctl__is_terminating(q);
    if ((term && finish_terminating) ||
        (!term && !ctl__is_running_and_ready(q)))
      cand[n++] = q;
  }
  if (!n)
    return false;
  p = cand[gsl_rng_uniform_int(l->r, n)];
  if (ctl__is_terminating(p))
    ctlfx_finish(l->x, p->meta.name);
  else if (ctl__is_pending(p)) {
    if (!p->u.pod.spec.node_name)
      ctlfx_bind(l->x, p->meta.name);
    ctlfx_phase(l->x, p->meta.name, POD_RUNNING, false);
  } else
    ctlfx_ready(l->x, p->meta.name);
  return true;
}

static bool all_ready(struct ctl_fx *x, int32_t n)
{
  struct view v;

  load(x, &v);
  if ((int32_t)v.nr != n)
    return false;
  for (size_t i = 0; i < v.nr; i++)
    if (!ctl__is_running_and_ready(v.pods[i]) || ctl__is_terminating(v.pods[i]))
      return false;
  return true;
}

static const enum pvc_retention policies[4][2] = {
    {RETAIN, RETAIN}, {RETAIN, DELETE}, {DELETE, RETAIN}, {DELETE, DELETE}};

static void loop_init(struct loop *l, struct ctl_fx *x, uint64_t seed,
                      enum pod_management_policy pmp)
{
  memset(l, 0, sizeof(*l));
  l->x = x;
  l->r = rng_stream_new(seed, RNG_WORKLOAD, 0);
  l->mono = pmp == PMP_ORDERED_READY;
  l->check = l->mono ? check_monotonic : check_burst;
}

/* scaleUpStatefulSetControl */
static void scale_up(struct loop *l, int32_t target)
{
  int guard = 0;

  ctlfx_scale(l->x, target);
  run_checked(l);
  while (!all_ready(l->x, target)) {
    assert_true(++guard < 20000);
    random_step(l, true);
    run_checked(l);
  }
}

/* scaleDownStatefulSetControl */
static void scale_down(struct loop *l, int32_t target)
{
  int guard = 0;

  ctlfx_scale(l->x, target);
  run_checked(l);
  while (!all_ready(l->x, target)) {
    assert_true(++guard < 20000);
    if (!random_step(l, true))
      ctlfx_run(l->x, SIM_SEC(1));
    collect_garbage(l->x);
    run_checked(l);
  }
}

static void scale_loops(void **state, enum pod_management_policy pmp)
{
  (void)state;
  for (int pol = 0; pol < 4; pol++)
    for (uint64_t seed = 1; seed <= 8; seed++) {
      struct ctl_fx *x = calloc(1, sizeof(*x));
      struct loop l;

      ctlfx_init(x, 34);
      ctlfx_start(x);
      ctlfx_create_set(
          x, &(struct ctlfx_set_opts){.replicas = 0,
                                      .pmp = pmp,
                                      .claims = true,
                                      .when_scaled = policies[pol][0],
                                      .when_deleted = policies[pol][1]});
      loop_init(&l, x, seed * 7 + (uint64_t)pol, pmp);
      scale_up(&l, 3);
      scale_up(&l, 7);
      scale_down(&l, 2);
      scale_up(&l, 5);
      scale_down(&l, 0);
      assert_true(l.checks > 20);
      rng_free(l.r);
      ctlfx_release(x);
      free(x);
    }
}

static void ordered_scale_loops_keep_the_monotonic_invariants(void **state)
{
  scale_loops(state, PMP_ORDERED_READY);
}

static void parallel_scale_loops_keep_the_burst_invariants(void **state)
{
  scale_loops(state, PMP_PARALLEL);
}

/* updateComplete */
static bool update_complete(struct ctl_fx *x)
{
  struct view v;
  const struct statefulset_status *st;
  const struct statefulset_spec *sp;

  load(x, &v);
  st = &v.set->u.sts.status;
  sp = &v.set->u.sts.spec;
  if ((int32_t)v.nr != sp->replicas || st->ready_replicas != sp->replicas)
    return false;
  if (!all_ready(x, sp->replicas))
    return false;
  if (sp->update_strategy == UPDATE_ON_DELETE) {
    for (size_t i = 0; i < v.nr; i++)
      if (strcmp(ctl__pod_revision(v.pods[i]), st->update_revision))
        return false;
    return true;
  }
  if (sp->partition <= 0) {
    if (st->current_replicas < sp->replicas)
      return false;
    for (size_t i = 0; i < v.nr; i++)
      if (strcmp(ctl__pod_revision(v.pods[i]), st->current_revision))
        return false;
    return true;
  }
  for (size_t i = (size_t)sp->partition; i < v.nr; i++)
    if (strcmp(ctl__pod_revision(v.pods[i]), st->update_revision))
      return false;
  return true;
}

/* OnDelete: the user deletes one random old-revision pod. */
static void delete_an_old_pod(struct loop *l)
{
  struct view v;
  const struct object *cand[MAX_PODS];
  size_t n = 0;

  load(l->x, &v);
  for (size_t i = 0; i < v.nr; i++)
    if (!ctl__is_terminating(v.pods[i]) &&
        strcmp(ctl__pod_revision(v.pods[i]),
               v.set->u.sts.status.update_revision))
      cand[n++] = v.pods[i];
  if (n)
    ctlfx_delete(l->x, cand[gsl_rng_uniform_int(l->r, n)]->meta.name);
}

static void update_loops(void **state, enum pod_management_policy pmp,
                         enum update_strategy_type strategy)
{
  (void)state;
  for (int pol = 0; pol < 4; pol++)
    for (uint64_t seed = 1; seed <= 8; seed++) {
      struct ctl_fx *x = calloc(1, sizeof(*x));
      struct loop l;
      int guard = 0;
      int32_t partition = strategy == UPDATE_ROLLING ? (int32_t)(seed % 3) : 0;

      ctlfx_init(x, 34);
      ctlfx_start(x);
      ctlfx_create_set(
          x, &(struct ctlfx_set_opts){.replicas = 0,
                                      .pmp = pmp,
                                      .claims = true,
                                      .strategy = strategy,
                                      .partition = partition,
                                      .when_scaled = policies[pol][0],
                                      .when_deleted = policies[pol][1]});
      loop_init(&l, x, seed * 11 + (uint64_t)pol, pmp);
      scale_up(&l, 5);
      l.check = check_update;
      ctlfx_set_image(x, "registry.example/app:2");
      run_checked(&l);
      while (!update_complete(x)) {
        assert_true(++guard < 20000);
        if (strategy == UPDATE_ON_DELETE && gsl_rng_uniform_int(l.r, 4) == 0)
          delete_an_old_pod(&l);
        else if (!random_step(&l, true))
          delete_an_old_pod(&l);
        run_checked(&l);
      }
      assert_true(l.checks > 10);
      rng_free(l.r);
      ctlfx_release(x);
      free(x);
    }
}

static void
ordered_rolling_update_loops_keep_the_update_invariants(void **state)
{
  update_loops(state, PMP_ORDERED_READY, UPDATE_ROLLING);
}

static void
parallel_rolling_update_loops_keep_the_update_invariants(void **state)
{
  update_loops(state, PMP_PARALLEL, UPDATE_ROLLING);
}

static void on_delete_update_loops_keep_the_update_invariants(void **state)
{
  update_loops(state, PMP_ORDERED_READY, UPDATE_ON_DELETE);
  update_loops(state, PMP_PARALLEL, UPDATE_ON_DELETE);
}

/* --- chaos: failures and flips; only the invariants that always hold
 * ------------------- */

/* S4: under OrderedReady at most one pod create or delete per pass. */
static size_t events_seen;

static void check_one_step(struct ctl_fx *x)
{
  size_t nr;
  const struct event *const *ev = api_events(x->f.api, &nr);
  int creates = 0, deletes = 0;
  /* with MaxUnavailableStatefulSet, update deletions come maxUnavailable
   * (2 here) at a time, in OrderedReady too (§4.3) */
  int max_deletes =
      scenario_feature_enabled(&x->f.s, "MaxUnavailableStatefulSet") ? 2 : 1;

  for (size_t i = events_seen; i < nr; i++) {
    if (strcmp(ev[i]->source, CTL_COMPONENT))
      continue;
    if (!strncmp(ev[i]->message, "create Pod ", 11))
      creates++;
    if (!strncmp(ev[i]->message, "delete Pod ", 11))
      deletes++;
  }
  events_seen = nr;
  if (ctlfx_set(x)->u.sts.spec.pod_management_policy != PMP_ORDERED_READY)
    return;
  if (creates + deletes > 1 && !(creates == 0 && deletes <= max_deletes))
    fail_msg("%d creates and %d deletes in one OrderedReady pass", creates,
             deletes);
}

static void check_safety(struct ctl_fx *x)
{
  struct view v;

  check_one_step(x);
  load(x, &v);
  for (size_t k = 0; k < v.nr; k++) {
    check_identity_storage(v.set, v.pods[k]);
    if (k && ctl__ordinal(v.pods[k]->meta.name) ==
                 ctl__ordinal(v.pods[k - 1]->meta.name))
      fail_msg("two pods with ordinal %d",
               (int)ctl__ordinal(v.pods[k]->meta.name));
  }
}

static void chaos_loops_keep_identity_storage_and_one_step(void **state)
{
  (void)state;
  for (uint64_t seed = 1; seed <= 600; seed++) {
    struct ctl_fx *x = calloc(1, sizeof(*x));
    struct loop l;
    static const int minors[] = {31, 34, 35, 37};
    enum pod_management_policy pmp =
        seed % 2 ? PMP_ORDERED_READY : PMP_PARALLEL;
    int pol = (int)(seed / 2 % 4);

    ctlfx_init(x, minors[seed / 8 % 4]);
    ctlfx_start(x);
    ctlfx_create_set(
        x, &(struct ctlfx_set_opts){.replicas = 3,
                                    .pmp = pmp,
                                    .claims = true,
                                    .max_unavailable = {true, false, 2},
                                    .when_scaled = policies[pol][0],
                                    .when_deleted = policies[pol][1]});
    loop_init(&l, x, seed, pmp);
    l.check = check_safety;
    events_seen = 0;
    for (int i = 0; i < 400; i++) {
      struct view v;
      unsigned long dice = gsl_rng_uniform_int(l.r, 12);

      load(x, &v);
      if (dice < 5 || !v.nr) {
        random_step(&l, true);
      } else if (dice == 5) {
        ctlfx_scale(x, (int32_t)gsl_rng_uniform_int(l.r, 7));
      } else if (dice == 6) {
        const struct object *p = v.pods[gsl_rng_uniform_int(l.r, v.nr)];
        if (!ctl__is_terminating(p))
          ctlfx_phase(x, p->meta.name, POD_FAILED, false);
      } else if (dice == 7) {
        const struct object *p = v.pods[gsl_rng_uniform_int(l.r, v.nr)];
        if (!ctl__is_terminating(p) && ctl__is_running_and_ready(p))
          ctlfx_unready(x, p->meta.name);
      } else if (dice == 8) {
        ctlfx_delete(x, v.pods[gsl_rng_uniform_int(l.r, v.nr)]->meta.name);
      } else if (dice == 10) {
        ctl_restart(x->ctl);
      } else if (dice == 11) {
        simtime t = ctlfx_now(x);
        api_add_write_fault(x->f.api,
                            gsl_rng_uniform_int(l.r, 2) ? API_FAULT_CONFLICT
                                                        : API_FAULT_UNAVAILABLE,
                            0.3, t, t + SIM_MS(200), CTL_COMPONENT);
      } else {
        char img[64];
        snprintf(img, sizeof(img), "registry.example/app:%d",
                 (int)gsl_rng_uniform_int(l.r, 3));
        ctlfx_set_image(x, img);
      }
      collect_garbage(x);
      run_checked(&l);
    }
    /*
     * Afterwards, with a healthy kubelet, it converges. A claim the "GC"
     * removes only after the set was scaled up again leaves a replica
     * waiting (stale claim, §4.1 2a) with nothing to enqueue the set: PVC
     * events enqueue nothing, so only the next informer resync (12-24 h)
     * or some pod event brings the missing replica.
     */
    ctlfx_converge(x, SIM_MIN(5), NULL);
    collect_garbage(x);
    ctlfx_converge(x, SIM_MIN(5), NULL);
    ctlfx_run(x, SIM_MIN(24 * 60));
    ctlfx_converge(x, SIM_MIN(5), NULL);
    assert_true(all_ready(x, ctlfx_set(x)->u.sts.spec.replicas));
    rng_free(l.r);
    ctlfx_release(x);
    free(x);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ordered_scale_loops_keep_the_monotonic_invariants),
      cmocka_unit_test(parallel_scale_loops_keep_the_burst_invariants),
      cmocka_unit_test(ordered_rolling_update_loops_keep_the_update_invariants),
      cmocka_unit_test(
          parallel_rolling_update_loops_keep_the_update_invariants),
      cmocka_unit_test(on_delete_update_loops_keep_the_update_invariants),
      cmocka_unit_test(chaos_loops_keep_identity_storage_and_one_step),
  };

  return cmocka_run_group_tests_name("controller_random", tests, NULL, NULL);
}
