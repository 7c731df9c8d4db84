/*
 * test_props.c - every property of the controller fails, with a precise
 * message, when a deliberately wrong action is written to the store as
 * the statefulset-controller would write it, and holds for the right one.
 * The store is driven by hand: no controller, no kubelet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "props_fixture.h"

/* A StatefulSet "web": OrderedReady, RollingUpdate, one claim template. */
static const struct object *make_set(struct fx *x, int replicas,
                                     enum pod_management_policy pmp)
{
  struct object o = props_fx_set(x, replicas, pmp, "app:1");

  x->set = fixture_create(&x->f, &o);
  return x->set;
}

/* The pod the controller would build for ordinal i (claim of ordinal
 * claim_ord), at revision rev. */
static struct object set_pod(struct fx *x, const char *name, int claim_ord,
                             const char *rev)
{
  struct object o = fixture_pod(&x->f, name, NULL);
  struct owner_ref *r = arena_calloc(A(x), 1, sizeof(*r));
  struct kv *l = arena_calloc(A(x), 3, sizeof(*l));
  struct pod_volume *v = arena_calloc(A(x), 1, sizeof(*v));

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
  v->name = "data";
  v->source = VOLSRC_PVC;
  v->claim_name = arena_printf(A(x), "data-web-%d", claim_ord);
  o.u.pod.spec.volumes = v;
  o.u.pod.spec.volumes_nr = 1;
  return o;
}

static const struct object *ctl_create(struct fx *x, const struct object *o)
{
  const struct object *out = NULL;

  assert_int_equal(api_create(x->f.api, CTL, o, &out), API_OK);
  props_after_event(x->p);
  return out;
}

static bool mark_ready(struct object *o, void *ctx)
{
  simtime *now = ctx;

  o->u.pod.spec.node_name = "node-1";
  o->u.pod.status.phase = POD_RUNNING;
  o->u.pod.status.ready =
      (struct condition){.status = COND_TRUE, .last_transition_time = *now};
  return true;
}

/* Plays the kubelet: the pod is Running and Ready now. */
static void make_ready(struct fx *x, const char *name)
{
  simtime now = engine_now(x->f.engine);

  assert_int_equal(api_patch(x->f.api, "kubelet", KIND_POD, "default", name, 0,
                             mark_ready, &now, NULL),
                   API_OK);
  props_after_event(x->p);
}

static void ctl_delete(struct fx *x, const char *pod)
{
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  assert_int_equal(api_delete(x->f.api, CTL, KIND_POD, "default", pod, &o),
                   API_OK);
  props_after_event(x->p);
}

/* --- identity --------------------------------------------------------------
 */

static void stable_names_flags_a_random_pod_name(void **state)
{
  struct fx *x = *state;

  make_set(x, 3, PMP_ORDERED_READY);
  struct object p = set_pod(x, "web-0", 0, "web-1");
  ctl_create(x, &p);
  assert_held(x, "identity.stable-names");
  p = set_pod(x, "web-x7k2p", 1, "web-1");
  ctl_create(x, &p);
  assert_violation(x, "identity.stable-names",
                   "StatefulSet web created pod 'web-x7k2p', not named "
                   "<set>-<ordinal>");
}

static bool set_deleting(struct object *o, void *ctx)
{
  (void)ctx;
  o->meta.deletion_timestamp = 0;
  return true;
}

static void unique_flags_a_create_over_a_terminating_pod(void **state)
{
  struct fx *x = *state;

  make_set(x, 3, PMP_ORDERED_READY);
  struct object p = set_pod(x, "web-0", 0, "web-1");
  ctl_create(x, &p);
  make_ready(x, "web-0");
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  assert_int_equal(
      api_delete(x->f.api, "kubectl", KIND_POD, "default", "web-0", &o),
      API_OK);
  props_after_event(x->p);
  advance(x, SIM_SEC(5));
  assert_int_equal(api_create(x->f.api, CTL, &p, NULL), API_ALREADY_EXISTS);
  assert_violation(x, "identity.unique",
                   "tried to create web-0 while the previous web-0 was "
                   "still terminating");
  (void)set_deleting;
}

static void
stable_claim_flags_a_pod_mounting_another_ordinals_claim(void **state)
{
  struct fx *x = *state;

  make_set(x, 3, PMP_PARALLEL);
  struct object p = set_pod(x, "web-1", 0, "web-1");
  ctl_create(x, &p);
  assert_violation(x, "storage.stable-claim",
                   "pod web-1 does not mount its own claim data-web-1 "
                   "(data-web-0)");
}

/* --- order -------------------------------------------------------------------
 */

static void order_create_holds_when_the_predecessor_is_ready(void **state)
{
  struct fx *x = *state;

  make_set(x, 3, PMP_ORDERED_READY);
  struct object p0 = set_pod(x, "web-0", 0, "web-1");
  ctl_create(x, &p0);
  make_ready(x, "web-0");
  advance(x, SIM_SEC(1));
  struct object p1 = set_pod(x, "web-1", 1, "web-1");
  ctl_create(x, &p1);
  assert_held(x, "order.create");
}

static void
order_create_flags_a_pod_created_over_an_unready_predecessor(void **state)
{
  struct fx *x = *state;

  make_set(x, 3, PMP_ORDERED_READY);
  struct object p0 = set_pod(x, "web-0", 0, "web-1");
  ctl_create(x, &p0);
  advance(x, SIM_SEC(2));
  struct object p1 = set_pod(x, "web-1", 1, "web-1");
  ctl_create(x, &p1);
  assert_violation(x, "order.create",
                   "OrderedReady: created web-1 while web-0 is not Running "
                   "and Ready");
}

static void order_create_allows_a_decision_on_a_just_stale_cache(void **state)
{
  struct fx *x = *state;

  make_set(x, 3, PMP_ORDERED_READY);
  struct object p0 = set_pod(x, "web-0", 0, "web-1");
  ctl_create(x, &p0);
  make_ready(x, "web-0");
  advance(x, SIM_SEC(10));
  /* web-0 is deleted by someone else a moment before the controller,
   * acting on its cache, creates web-1: the real controller does that. */
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  api_delete(x->f.api, "kubectl", KIND_POD, "default", "web-0", &o);
  props_after_event(x->p);
  advance(x, SIM_MS(10));
  struct object p1 = set_pod(x, "web-1", 1, "web-1");
  ctl_create(x, &p1);
  assert_held(x, "order.create");
}

static bool set_replicas(struct object *o, void *ctx)
{
  o->u.sts.spec.replicas = *(int *)ctx;
  return true;
}

static void three_ready_pods(struct fx *x)
{
  for (int i = 0; i < 3; i++) {
    char *name = arena_printf(A(x), "web-%d", i);
    struct object p = set_pod(x, name, i, "web-1");
    ctl_create(x, &p);
    make_ready(x, name);
    advance(x, SIM_SEC(1));
  }
}

static void scale_down_flags_deleting_the_lowest_condemned_first(void **state)
{
  struct fx *x = *state;
  int one = 1;

  make_set(x, 3, PMP_ORDERED_READY);
  three_ready_pods(x);
  api_patch(x->f.api, "kubectl", KIND_STATEFULSET, "default", "web", 0,
            set_replicas, &one, NULL);
  advance(x, SIM_SEC(1));
  ctl_delete(x, "web-1");
  assert_violation(x, "order.scale-down",
                   "OrderedReady scale-down deleted web-1 while web-2 "
                   "(higher) still exists");
}

static void scale_down_holds_for_the_highest_first(void **state)
{
  struct fx *x = *state;
  int one = 1;

  make_set(x, 3, PMP_ORDERED_READY);
  three_ready_pods(x);
  api_patch(x->f.api, "kubectl", KIND_STATEFULSET, "default", "web", 0,
            set_replicas, &one, NULL);
  advance(x, SIM_SEC(1));
  ctl_delete(x, "web-2");
  assert_held(x, "order.scale-down");
}

struct two_creates {
  struct fx *x;
  struct object a, b;
};

static void create_two(struct engine *e, uint64_t s, uint64_t a, void *ctx)
{
  struct two_creates *t = ctx;

  (void)e;
  (void)s;
  (void)a;
  assert_int_equal(api_create(t->x->f.api, CTL, &t->a, NULL), API_OK);
  assert_int_equal(api_create(t->x->f.api, CTL, &t->b, NULL), API_OK);
}

static void one_step_flags_two_creations_in_one_sync(void **state)
{
  struct fx *x = *state;
  struct two_creates t = {.x = x};

  make_set(x, 3, PMP_ORDERED_READY);
  t.a = set_pod(x, "web-0", 0, "web-1");
  t.b = set_pod(x, "web-1", 1, "web-1");
  engine_schedule(x->f.engine, engine_now(x->f.engine) + 1, PHASE_CONTROLLER,
                  "sync", create_two, 0, 0, &t);
  fixture_run(&x->f, SIM_SEC(1));
  assert_violation(x, "order.one-step",
                   "two pod creations/deletions in one sync of web (the "
                   "second: create web-1)");
}

/* --- updates
 * ------------------------------------------------------------------- */

static bool set_partition(struct object *o, void *ctx)
{
  o->u.sts.spec.partition = *(int *)ctx;
  return true;
}

static void partition_flags_an_update_deletion_below_it(void **state)
{
  struct fx *x = *state;
  int two = 2;

  make_set(x, 3, PMP_ORDERED_READY);
  three_ready_pods(x);
  api_patch(x->f.api, "kubectl", KIND_STATEFULSET, "default", "web", 0,
            set_partition, &two, NULL);
  advance(x, SIM_SEC(1));
  ctl_delete(x, "web-1");
  assert_violation(x, "update.partition",
                   "partition 2: the controller deleted web-1 (index 1) for "
                   "an update");
}

static void update_order_flags_a_lower_pod_updated_first(void **state)
{
  struct fx *x = *state;

  make_set(x, 3, PMP_ORDERED_READY);
  three_ready_pods(x); /* all at revision "web-1"; the template's is none */
  ctl_delete(x, "web-0");
  assert_violation(x, "update.order",
                   "rolling update deleted web-0 before web-1 (higher, "
                   "still at an old revision)");
}

static bool set_failed(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.pod.status.phase = POD_FAILED;
  o->u.pod.status.ready.status = COND_FALSE;
  return true;
}

static void terminal_pods_flags_a_failed_pod_left_in_place(void **state)
{
  struct fx *x = *state;

  make_set(x, 3, PMP_ORDERED_READY);
  three_ready_pods(x);
  api_patch(x->f.api, "kubelet", KIND_POD, "default", "web-0", 0, set_failed,
            NULL, NULL);
  props_after_event(x->p);
  advance(x, SIM_SEC(31));
  props_at_end(x->p);
  assert_violation(x, "update.terminal-pods",
                   "web-0 is Failed/Succeeded and was not deleted for "
                   "recreation within 30s");
}

static void terminal_pods_flags_a_second_delete(void **state)
{
  struct fx *x = *state;

  make_set(x, 3, PMP_ORDERED_READY);
  three_ready_pods(x);
  api_patch(x->f.api, "kubelet", KIND_POD, "default", "web-0", 0, set_failed,
            NULL, NULL);
  /* Failed pods are deleted with grace 0; a finalizer keeps it here so the
   * second delete finds it terminating. */
  struct object p = *api_get(x->f.api, KIND_POD, "default", "web-0");
  const char **fin = arena_calloc(A(x), 1, sizeof(*fin));
  fin[0] = "example.com/hold";
  p.meta.finalizers = (struct str_list){fin, 1};
  assert_int_equal(api_update(x->f.api, "kubectl", &p, NULL), API_OK);
  ctl_delete(x, "web-0");
  ctl_delete(x, "web-0");
  assert_violation(x, "update.terminal-pods",
                   "deleted the terminal pod web-0 again");
}

/* --- status, revisions, deletion
 * ---------------------------------------------------- */

static bool bad_status(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.sts.status.replicas = 2;
  o->u.sts.status.ready_replicas = 3;
  o->u.sts.status.observed_generation = o->meta.generation;
  return true;
}

static void status_flags_more_ready_than_replicas(void **state)
{
  struct fx *x = *state;

  make_set(x, 3, PMP_ORDERED_READY);
  api_patch(x->f.api, CTL, KIND_STATEFULSET, "default", "web", 0, bad_status,
            NULL, NULL);
  props_after_event(x->p);
  assert_violation(x, "status.consistent",
                   "status of web: readyReplicas 3 > replicas 2");
}

static void revisions_flags_a_duplicate_revision(void **state)
{
  struct fx *x = *state;

  make_set(x, 3, PMP_ORDERED_READY);
  for (int i = 0; i < 2; i++) {
    struct object r;
    struct owner_ref *ref = arena_calloc(A(x), 1, sizeof(*ref));
    object_init(&r, KIND_CONTROLLERREVISION);
    r.meta.name = arena_printf(A(x), "web-rev%d", i);
    r.meta.namespace_ = "default";
    *ref = (struct owner_ref){"apps/v1",        "StatefulSet", "web",
                              x->set->meta.uid, true,          true};
    r.meta.owner_refs = ref;
    r.meta.owner_refs_nr = 1;
    r.u.rev.template_ = &x->set->u.sts.spec.template_;
    r.u.rev.revision = i + 1;
    ctl_create(x, &r);
  }
  assert_violation(x, "revisions.history",
                   "revision web-rev1 duplicates web-rev0 (same template)");
}

static void no_actions_flags_a_create_for_a_deleting_set(void **state)
{
  struct fx *x = *state;

  make_set(x, 3, PMP_ORDERED_READY);
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  o.propagation = PROPAGATE_FOREGROUND; /* keeps it with a finalizer */
  assert_int_equal(
      api_delete(x->f.api, "kubectl", KIND_STATEFULSET, "default", "web", &o),
      API_OK);
  advance(x, SIM_SEC(1));
  struct object p = set_pod(x, "web-0", 0, "web-1");
  ctl_create(x, &p);
  assert_violation(x, "deletion.no-actions",
                   "the controller changed pod web-0 while StatefulSet web "
                   "was being deleted");
}

/* --- retention, liveness
 * ------------------------------------------------------------- */

static bool when_scaled_delete(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.sts.spec.when_scaled = DELETE;
  o->u.sts.spec.replicas = 2;
  return true;
}

static void
retention_flags_a_condemned_pod_deleted_before_its_claim_ref(void **state)
{
  struct fx *x = *state;

  make_set(x, 3, PMP_PARALLEL);
  three_ready_pods(x);
  struct object c = fixture_pvc(&x->f, "data-web-2", "standard", 1 << 30);
  fixture_create(&x->f, &c);
  api_patch(x->f.api, "kubectl", KIND_STATEFULSET, "default", "web", 0,
            when_scaled_delete, NULL, NULL);
  advance(x, SIM_SEC(1));
  ctl_delete(x, "web-2");
  assert_violation(x, "retention.policy",
                   "scale-down deleted web-2 before its claim data-web-2 "
                   "carried an ownerReference to it");
}

static void
pvc_recreated_flags_a_pending_pod_left_without_its_claim(void **state)
{
  struct fx *x = *state;

  make_set(x, 1, PMP_ORDERED_READY);
  struct object p = set_pod(x, "web-0", 0, "web-1");
  ctl_create(x, &p); /* Pending, and data-web-0 does not exist */
  advance(x, SIM_SEC(1));
  props_touch(x->p);
  props_after_event(x->p);
  advance(x, SIM_SEC(61));
  props_at_end(x->p);
  assert_violation(x, "liveness.pvc-recreated",
                   "web-0 has been Pending without its claim data-web-0 for "
                   "more than 60s");
}

/* The check looks at a pod again only when something it depends on was
 * written: here the claim goes after the pod was found complete. */
static bool history_limit_5(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.sts.spec.revision_history_limit = 5;
  return true;
}

static void
pvc_recreated_flags_a_claim_deleted_under_a_checked_pod(void **state)
{
  struct fx *x = *state;

  make_set(x, 1, PMP_PARALLEL);
  struct object c = fixture_pvc(&x->f, "data-web-0", "standard", 1 << 30);
  fixture_create(&x->f, &c);
  struct object p = set_pod(x, "web-0", 0, "web-1");
  ctl_create(x, &p); /* Pending, with its claim */
  advance(x, SIM_SEC(1));
  props_touch(x->p);
  props_after_event(x->p);
  assert_int_equal(
      api_delete(x->f.api, "kubectl", KIND_PVC, "default", "data-web-0", NULL),
      API_OK);
  props_after_event(x->p);
  /* Claim events enqueue nothing: until something wakes the controller
   * for the set, its not looking is no failure (upstream's stall). */
  advance(x, SIM_SEC(61));
  props_touch(x->p);
  props_after_event(x->p);
  assert_held(x, "liveness.pvc-recreated");
  /* A write to the set enqueues it: from then on 60 s are allowed. */
  assert_int_equal(api_patch(x->f.api, "kubectl", KIND_STATEFULSET, "default",
                             "web", 0, history_limit_5, NULL, NULL),
                   API_OK);
  props_after_event(x->p);
  advance(x, SIM_SEC(59));
  props_touch(x->p);
  props_after_event(x->p);
  assert_held(x, "liveness.pvc-recreated");
  advance(x, SIM_SEC(2));
  props_at_end(x->p);
  assert_violation(x, "liveness.pvc-recreated",
                   "web-0 has been Pending without its claim data-web-0 for "
                   "more than 60s");
}

static bool two_replicas(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.sts.spec.replicas = 2;
  return true;
}

/* ... or the set's spec: a scale-up takes a claimless pod into range. */
static void pvc_recreated_flags_a_pod_a_scale_up_takes_in_range(void **state)
{
  struct fx *x = *state;

  make_set(x, 1, PMP_PARALLEL);
  struct object p = set_pod(x, "web-1", 1, "web-1");
  ctl_create(x, &p); /* condemned: its missing claim is no one's job */
  advance(x, SIM_SEC(61));
  props_touch(x->p);
  props_after_event(x->p);
  assert_held(x, "liveness.pvc-recreated");
  assert_int_equal(api_patch(x->f.api, "kubectl", KIND_STATEFULSET, "default",
                             "web", 0, two_replicas, NULL, NULL),
                   API_OK);
  props_after_event(x->p);
  advance(x, SIM_SEC(61));
  props_at_end(x->p);
  assert_violation(x, "liveness.pvc-recreated",
                   "web-1 has been Pending without its claim data-web-1 for "
                   "more than 60s");
}

int main(void)
{
#define T(fn)                                                                  \
  cmocka_unit_test_setup_teardown(fn, props_fx_setup_bare, props_fx_teardown)
  const struct CMUnitTest tests[] = {
      T(stable_names_flags_a_random_pod_name),
      T(unique_flags_a_create_over_a_terminating_pod),
      T(stable_claim_flags_a_pod_mounting_another_ordinals_claim),
      T(order_create_holds_when_the_predecessor_is_ready),
      T(order_create_flags_a_pod_created_over_an_unready_predecessor),
      T(order_create_allows_a_decision_on_a_just_stale_cache),
      T(scale_down_flags_deleting_the_lowest_condemned_first),
      T(scale_down_holds_for_the_highest_first),
      T(one_step_flags_two_creations_in_one_sync),
      T(partition_flags_an_update_deletion_below_it),
      T(update_order_flags_a_lower_pod_updated_first),
      T(terminal_pods_flags_a_failed_pod_left_in_place),
      T(terminal_pods_flags_a_second_delete),
      T(status_flags_more_ready_than_replicas),
      T(revisions_flags_a_duplicate_revision),
      T(no_actions_flags_a_create_for_a_deleting_set),
      T(retention_flags_a_condemned_pod_deleted_before_its_claim_ref),
      T(pvc_recreated_flags_a_pending_pod_left_without_its_claim),
      T(pvc_recreated_flags_a_claim_deleted_under_a_checked_pod),
      T(pvc_recreated_flags_a_pod_a_scale_up_takes_in_range),
  };
#undef T
  return cmocka_run_group_tests_name("props", tests, NULL, NULL);
}
