/*
 * test_props_vary.c - the three property rules that varied fuzz runs
 * sharpened (commit "fuzz: spec.fuzz.vary ..."), each where its Kubernetes
 * version, policy or field makes it matter:
 *   - update.max-unavailable: in 1.37 Parallel, deleting unavailable
 *     old-revision pods (phase 1) is outside the budget, at most
 *     maxUnavailable of them per pass;
 *   - order.scale-down: up to 1.33 the controller judges health by Ready
 *     alone (minReadySeconds ignored, B3);
 *   - liveness.converges: the minReadySeconds requeue that
 *     status.availableReplicas suppresses, and the stale claim the GC
 *     removes after the controller's last write, are hazards, not
 *     violations.
 * As in test_props.c the store is written by hand, as the
 * statefulset-controller, the kubelet and the garbage collector would
 * write it: no component runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "props_fixture.h"

/* --- objects ------------------------------------------------------------- */

/*
 * StatefulSet "web" (one claim template "data", minReadySeconds mrs) and
 * its revision "web-new" for the current template: pods labelled
 * "web-old" are at an old revision.
 */
static void make_set(struct fx *x, int replicas, enum pod_management_policy pmp,
                     int32_t mrs)
{
  struct object o = props_fx_set(x, replicas, pmp, "registry.example/app:1");

  o.u.sts.spec.min_ready_seconds = mrs;
  x->set = fixture_create(&x->f, &o);
  step(x);
  props_fx_revision(x, "web-new", 2);
}

/* The controller creates pod web-<ord> (mounting data-web-<ord>) at rev. */
static void create_pod(struct fx *x, int ord, const char *rev)
{
  char *name = arena_printf(A(x), "web-%d", ord);
  struct object o =
      fixture_pod(&x->f, name, arena_printf(A(x), "data-web-%d", ord));
  struct owner_ref *r = arena_calloc(A(x), 1, sizeof(*r));
  struct kv *l = arena_calloc(A(x), 3, sizeof(*l));

  *r = (struct owner_ref){"apps/v1",        "StatefulSet", "web",
                          x->set->meta.uid, true,          true};
  o.meta.owner_refs = r;
  o.meta.owner_refs_nr = 1;
  l[0] = (struct kv){"app", "web"};
  l[1] = (struct kv){"statefulset.kubernetes.io/pod-name", name};
  l[2] = (struct kv){"controller-revision-hash", rev};
  o.meta.labels = (struct kv_list){l, 3};
  o.u.pod.spec.hostname = name;
  o.u.pod.spec.subdomain = "web";
  assert_int_equal(api_create(x->f.api, CTL, &o, NULL), API_OK);
  step(x);
}

struct run_arg {
  bool ready;
  simtime now;
};

static bool mark_running(struct object *o, void *ctx)
{
  struct run_arg *a = ctx;

  o->u.pod.spec.node_name = "node-1";
  o->u.pod.status.phase = POD_RUNNING;
  o->u.pod.status.ready =
      (struct condition){.status = a->ready ? COND_TRUE : COND_FALSE,
                         .last_transition_time = a->now};
  return true;
}

/* Plays the kubelet: web-<ord> is Running, Ready (as of now) or not. */
static void run_pod(struct fx *x, int ord, bool ready)
{
  struct run_arg a = {ready, now_of(x)};
  char name[32];

  snprintf(name, sizeof(name), "web-%d", ord);
  assert_int_equal(api_patch(x->f.api, "kubelet", KIND_POD, "default", name, 0,
                             mark_running, &a, NULL),
                   API_OK);
  step(x);
}

/* Pods web-0 .. web-(n-1) at rev, each Running; Ready unless in unready. */
static void pods(struct fx *x, int n, const char *rev, unsigned unready)
{
  for (int i = 0; i < n; i++) {
    create_pod(x, i, rev);
    run_pod(x, i, !(unready & (1u << i)));
    advance(x, SIM_SEC(1));
  }
}

static bool set_replicas(struct object *o, void *ctx)
{
  o->u.sts.spec.replicas = *(int *)ctx;
  return true;
}

static void scale(struct fx *x, int replicas)
{
  assert_int_equal(api_patch(x->f.api, "kubectl", KIND_STATEFULSET, "default",
                             "web", 0, set_replicas, &replicas, NULL),
                   API_OK);
  step(x);
}

/* One controller sync: deletes the pods of ords (-1 ends the list) in a
 * single engine event, as one pass of the real controller would. */
struct pass {
  struct fx *x;
  int ords[4];
};

static void delete_in_pass(struct engine *e, uint64_t s, uint64_t a, void *ctx)
{
  struct pass *p = ctx;
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  (void)e;
  (void)s;
  (void)a;
  for (int i = 0; i < 4 && p->ords[i] >= 0; i++) {
    char name[32];
    snprintf(name, sizeof(name), "web-%d", p->ords[i]);
    assert_int_equal(
        api_delete(p->x->f.api, CTL, KIND_POD, "default", name, &o), API_OK);
  }
}

static void sync_deleting(struct fx *x, struct pass *p)
{
  p->x = x;
  engine_schedule(x->f.engine, now_of(x) + 1, PHASE_CONTROLLER, "sync",
                  delete_in_pass, 0, 0, p);
  fixture_run(&x->f, now_of(x) + 1);
  step(x);
}

/* --- update.max-unavailable: 1.37 Parallel phase 1 ------------------------ */

/* Three old-revision pods, maxUnavailable 1 (the default), the gate on;
 * the pods in `broken` never became Ready. */
static void old_parallel_set(struct fx *x, int minor, unsigned broken)
{
  props_configure(x->p, minor, true);
  make_set(x, 3, PMP_PARALLEL, 0);
  pods(x, 3, "web-old", broken);
  advance(x, SIM_SEC(5));
}

static void
a_137_parallel_update_deletes_a_broken_old_pod_outside_the_budget(void **state)
{
  struct fx *x = *state;
  struct pass p = {.ords = {2, -1}};

  old_parallel_set(x, 37, 1u << 2);
  sync_deleting(x, &p);
  assert_held(x, "update.max-unavailable");
}

static void
a_137_parallel_update_deletes_broken_pods_one_budget_per_pass(void **state)
{
  struct fx *x = *state;
  struct pass p1 = {.ords = {2, -1}}, p2 = {.ords = {1, -1}};

  /* web-1 and web-2 broken: one per pass is within maxUnavailable 1 */
  old_parallel_set(x, 37, 1u << 1 | 1u << 2);
  sync_deleting(x, &p1);
  advance(x, SIM_SEC(1));
  sync_deleting(x, &p2);
  assert_held(x, "update.max-unavailable");
}

static void
more_broken_old_pods_than_max_unavailable_in_one_pass_are_flagged(void **state)
{
  struct fx *x = *state;
  struct pass p = {.ords = {2, 1, -1}};

  old_parallel_set(x, 37, 1u << 1 | 1u << 2);
  sync_deleting(x, &p);
  assert_violation(x, "update.max-unavailable",
                   "rolling update: 2 unavailable old-revision pods deleted "
                   "in one pass > maxUnavailable 1");
}

/* The exemption is 1.37's, for Parallel: before, or OrderedReady, the
 * broken pod counts as unavailable and its deletion as a second one. */
static void
before_137_a_broken_old_pods_deletion_counts_against_the_budget(void **state)
{
  struct fx *x = *state;
  struct pass p = {.ords = {2, -1}};

  old_parallel_set(x, 36, 1u << 2);
  sync_deleting(x, &p);
  assert_violation(x, "update.max-unavailable",
                   "rolling update: 1 unavailable + 1 deleted in this pass > "
                   "maxUnavailable 1");
}

static void a_healthy_old_pod_deleted_with_a_broken_one_still_counts_against_it(
    void **state)
{
  struct fx *x = *state;
  struct pass p = {.ords = {2, 1, -1}};

  /* phase 1 takes broken web-2; web-1 is Ready, so it is phase 2's, and
   * web-2, terminating, already uses the budget */
  old_parallel_set(x, 37, 1u << 2);
  sync_deleting(x, &p);
  assert_violation(x, "update.max-unavailable",
                   "rolling update: 1 unavailable + 1 deleted in this pass > "
                   "maxUnavailable 1");
}

/* --- order.scale-down: Ready alone up to 1.33 ----------------------------- */

/*
 * OrderedReady, minReadySeconds 60, three pods just Ready (none available
 * yet, for longer than the staleness allowance), scaled down to `to`.
 */
static void fresh_ordered_set(struct fx *x, int minor, int to)
{
  props_configure(x->p, minor, false);
  make_set(x, 3, PMP_ORDERED_READY, 60);
  pods(x, 3, "web-new", 0);
  advance(x, SIM_SEC(5));
  scale(x, to);
  advance(x, SIM_SEC(2));
}

static void up_to_133_scale_down_judges_replicas_by_ready_alone(void **state)
{
  struct fx *x = *state;
  struct pass p = {.ords = {2, -1}};

  fresh_ordered_set(x, 33, 2);
  sync_deleting(x, &p);
  assert_held(x, "order.scale-down");
}

static void from_134_scale_down_waits_for_replicas_to_be_available(void **state)
{
  struct fx *x = *state;
  struct pass p = {.ords = {2, -1}};

  fresh_ordered_set(x, 34, 2);
  sync_deleting(x, &p);
  assert_violation(x, "order.scale-down",
                   "OrderedReady scale-down deleted web-2 while replica web-0 "
                   "is not yet available (minReadySeconds)");
}

/*
 * Scaled from 3 to 1: condemned web-2 never became Ready; condemned web-1
 * is Ready but not yet available (minReadySeconds 60); web-0 is available.
 * (A Ready condemned pod itself cannot be caught going out of turn: the
 * deletion makes it terminating, which the check sees as just now.)
 */
static void two_condemned(struct fx *x, int minor)
{
  props_configure(x->p, minor, false);
  make_set(x, 3, PMP_ORDERED_READY, 60);
  pods(x, 1, "web-new", 0);
  advance(x, SIM_SEC(90)); /* web-0 available */
  create_pod(x, 1, "web-new");
  run_pod(x, 1, true);
  create_pod(x, 2, "web-new");
  run_pod(x, 2, false);
  advance(x, SIM_SEC(5));
  scale(x, 1);
  advance(x, SIM_SEC(2));
}

static void
up_to_133_a_ready_condemned_pod_is_not_the_first_unhealthy(void **state)
{
  struct fx *x = *state;
  struct pass p = {.ords = {2, -1}};

  two_condemned(x, 33);
  sync_deleting(x, &p);
  assert_held(x, "order.scale-down");
}

static void
from_134_an_unhealthy_condemned_pod_waits_for_a_lower_one(void **state)
{
  struct fx *x = *state;
  struct pass p = {.ords = {2, -1}};

  two_condemned(x, 34);
  sync_deleting(x, &p);
  assert_violation(x, "order.scale-down",
                   "OrderedReady scale-down deleted unhealthy web-2 although "
                   "web-1 is a lower unhealthy condemned pod");
}

/* --- liveness.converges: two upstream stalls ------------------------------ */

/* Something unrelated is written: an event for the checks to run on. */
static void tick(struct fx *x)
{
  struct object o =
      fixture_pvc(&x->f, arena_printf(A(x), "tick-%lld", (long long)now_of(x)),
                  "standard", 1);
  fixture_create(&x->f, &o);
  step(x);
}

static bool set_available(struct object *o, void *ctx)
{
  o->u.sts.status.observed_generation = o->meta.generation;
  o->u.sts.status.replicas = 3;
  o->u.sts.status.ready_replicas = 3;
  o->u.sts.status.available_replicas = *(int *)ctx;
  return true;
}

/*
 * Scaled from 3 to 2 with minReadySeconds 10: condemned web-2 is still
 * there (the controller waited for web-1 to become available), and the
 * controller's last status says `available` pods are available.
 */
static void stalled_scale_down(struct fx *x, int32_t mrs, int available)
{
  make_set(x, 3, PMP_ORDERED_READY, mrs);
  pods(x, 3, "web-new", 0);
  scale(x, 2);
  assert_int_equal(api_patch(x->f.api, CTL, KIND_STATEFULSET, "default", "web",
                             0, set_available, &available, NULL),
                   API_OK);
  step(x);
  advance(x, SIM_MIN(16));
  tick(x);
  props_at_end(x->p);
}

static void
converges_records_the_min_ready_requeue_stall_as_a_hazard(void **state)
{
  struct fx *x = *state;

  stalled_scale_down(x, 10, 2); /* web-0 and condemned web-2 */
  assert_held(x, "liveness.converges");
  assert_hazard(x, "liveness.converges",
                "web has not converged 15m0s after the last action ended "
                "(web-2 should not exist (3 pods for 2 replicas)), but "
                "status.availableReplicas equals replicas");
}

static void
converges_flags_the_stall_when_available_replicas_differ(void **state)
{
  struct fx *x = *state;

  /* availableReplicas 3 != 2: the controller did requeue the set */
  stalled_scale_down(x, 10, 3);
  assert_violation(x, "liveness.converges",
                   "web-2 should not exist (3 pods for 2 replicas)");
  assert_no_hazard(x, "liveness.converges");
}

/*
 * The stall needs a pod that became available after the controller last
 * acted. A controller that is stuck although every pod was available
 * long before its last write is a bug (a rollout that never starts
 * while minReadySeconds is set, say), not the upstream stall.
 */
static void
converges_flags_a_stuck_set_whose_pods_were_long_available(void **state)
{
  struct fx *x = *state;
  int two = 2;

  make_set(x, 3, PMP_ORDERED_READY, 10);
  pods(x, 3, "web-new", 0);
  advance(x, SIM_MIN(2)); /* every pod available for a long while */
  scale(x, 2);
  assert_int_equal(api_patch(x->f.api, CTL, KIND_STATEFULSET, "default", "web",
                             0, set_available, &two, NULL),
                   API_OK);
  step(x);
  advance(x, SIM_MIN(16));
  tick(x);
  props_at_end(x->p);
  assert_violation(x, "liveness.converges",
                   "web-2 should not exist (3 pods for 2 replicas)");
  assert_no_hazard(x, "liveness.converges");
}

static void converges_flags_the_stall_without_min_ready_seconds(void **state)
{
  struct fx *x = *state;

  stalled_scale_down(x, 0, 2);
  assert_violation(x, "liveness.converges",
                   "web-2 should not exist (3 pods for 2 replicas)");
  assert_no_hazard(x, "liveness.converges");
}

/*
 * Two replicas, web-1 missing; at 1m something removes the claim `claim`
 * (the garbage collector: the stale claim of a previous web-1); if
 * ctl_after, the controller writes for the set once more at 2m.
 */
static void lost_claim(struct fx *x, const char *claim, bool ctl_after)
{
  struct object c = fixture_pvc(&x->f, claim, "standard", 1 << 30);
  int two = 2;

  fixture_create(&x->f, &c);
  step(x);
  make_set(x, 2, PMP_ORDERED_READY, 0);
  create_pod(x, 0, "web-new");
  run_pod(x, 0, true);
  advance(x, SIM_MIN(1));
  assert_int_equal(api_delete(x->f.api, "generic-garbage-collector", KIND_PVC,
                              "default", claim, NULL),
                   API_OK);
  step(x);
  assert_null(api_get(x->f.api, KIND_PVC, "default", claim));
  if (ctl_after) {
    advance(x, SIM_MIN(1));
    assert_int_equal(api_patch(x->f.api, CTL, KIND_STATEFULSET, "default",
                               "web", 0, set_available, &two, NULL),
                     API_OK);
    step(x);
  }
  advance(x, SIM_MIN(20));
  tick(x);
  props_at_end(x->p);
}

static void converges_records_the_stale_claim_stall_as_a_hazard(void **state)
{
  struct fx *x = *state;

  lost_claim(x, "data-web-1", false);
  assert_held(x, "liveness.converges");
  assert_hazard(x, "liveness.converges",
                "web has not converged 15m0s after the last action ended "
                "(web-1 does not exist), but a claim of a previous pod was "
                "removed after the controller's last write for the set");
}

static void
converges_flags_a_missing_pod_the_controller_saw_after_the_claim(void **state)
{
  struct fx *x = *state;

  lost_claim(x, "data-web-1", true);
  assert_violation(x, "liveness.converges", "web-1 does not exist");
  assert_no_hazard(x, "liveness.converges");
}

static void
converges_flags_a_missing_pod_when_another_sets_claim_went(void **state)
{
  struct fx *x = *state;

  /* "myweb", not "web": not a claim of this set */
  lost_claim(x, "data-myweb-1", false);
  assert_violation(x, "liveness.converges", "web-1 does not exist");
  assert_no_hazard(x, "liveness.converges");
}

static void
converges_flags_a_missing_pod_when_a_dashed_sets_claim_went(void **state)
{
  struct fx *x = *state;

  /* data-b-web-1 is set b-web's claim (template data), not web's */
  lost_claim(x, "data-b-web-1", false);
  assert_violation(x, "liveness.converges", "web-1 does not exist");
  assert_no_hazard(x, "liveness.converges");
}

static void
converges_flags_a_missing_pod_when_another_ordinals_claim_went(void **state)
{
  struct fx *x = *state;

  /* web-0's claim went, but web-1 is the missing pod */
  lost_claim(x, "data-web-0", false);
  assert_violation(x, "liveness.converges", "web-1 does not exist");
  assert_no_hazard(x, "liveness.converges");
}

int main(void)
{
#define T(fn)                                                                  \
  cmocka_unit_test_setup_teardown(fn, props_fx_setup, props_fx_teardown)
  const struct CMUnitTest tests[] = {
      T(a_137_parallel_update_deletes_a_broken_old_pod_outside_the_budget),
      T(a_137_parallel_update_deletes_broken_pods_one_budget_per_pass),
      T(more_broken_old_pods_than_max_unavailable_in_one_pass_are_flagged),
      T(before_137_a_broken_old_pods_deletion_counts_against_the_budget),
      T(a_healthy_old_pod_deleted_with_a_broken_one_still_counts_against_it),
      T(up_to_133_scale_down_judges_replicas_by_ready_alone),
      T(from_134_scale_down_waits_for_replicas_to_be_available),
      T(up_to_133_a_ready_condemned_pod_is_not_the_first_unhealthy),
      T(from_134_an_unhealthy_condemned_pod_waits_for_a_lower_one),
      T(converges_records_the_min_ready_requeue_stall_as_a_hazard),
      T(converges_flags_the_stall_when_available_replicas_differ),
      T(converges_flags_the_stall_without_min_ready_seconds),
      T(converges_records_the_stale_claim_stall_as_a_hazard),
      T(converges_flags_a_stuck_set_whose_pods_were_long_available),
      T(converges_flags_a_missing_pod_when_a_dashed_sets_claim_went),
      T(converges_flags_a_missing_pod_when_another_ordinals_claim_went),
      T(converges_flags_a_missing_pod_the_controller_saw_after_the_claim),
      T(converges_flags_a_missing_pod_when_another_sets_claim_went),
  };
#undef T
  return cmocka_run_group_tests_name("props_vary", tests, NULL, NULL);
}
