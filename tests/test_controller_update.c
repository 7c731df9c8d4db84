/*
 * test_controller_update.c - the StatefulSet controller: revisions (§6.1,
 * §6.2), rolling updates, partition, maxUnavailable by version, OnDelete
 * (§6.3-§6.5), status (§7) and events (§8).
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

static struct ctl_fx *fx_new(int minor)
{
  struct ctl_fx *x = calloc(1, sizeof(*x));

  ctlfx_init(x, minor);
  return x;
}

static int setup(void **state)
{
  *state = fx_new(34);
  return 0;
}

static int teardown(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_release(x);
  free(x);
  return 0;
}

/* Replaces the fixture with one for another version (before start). */
static struct ctl_fx *reinit(void **state, int minor)
{
  teardown(state);
  *state = fx_new(minor);
  return *state;
}

static const char *rev_of(struct ctl_fx *x, const char *pod)
{
  const struct object *p = ctlfx_pod(x, pod);

  return p ? ctl__pod_revision(p) : "";
}

static size_t count_revisions(struct ctl_fx *x)
{
  return ctlfx_count(x, KIND_CONTROLLERREVISION);
}

/* Brings a set up to all Running and Ready. */
static void up(struct ctl_fx *x, const struct ctlfx_set_opts *o)
{
  ctlfx_start(x);
  ctlfx_create_set(x, o);
  ctlfx_converge(x, SIM_SEC(60), NULL);
}

/* The order in which pods got SuccessfulDelete events, "web-2,web-1". */
static void delete_order(struct ctl_fx *x, char *buf, size_t n)
{
  size_t nr;
  const struct event *const *ev = api_events(x->f.api, &nr);

  buf[0] = '\0';
  for (size_t i = 0; i < nr; i++) {
    char pod[32];
    if (strcmp(ev[i]->reason, "SuccessfulDelete"))
      continue;
    if (sscanf(ev[i]->message, "delete Pod %31s", pod) != 1)
      continue;
    if (buf[0])
      strncat(buf, ",", n - strlen(buf) - 1);
    strncat(buf, pod, n - strlen(buf) - 1);
  }
}

/* --- revisions
 * ------------------------------------------------------------------ */

static void the_first_revision_is_named_after_the_set_and_its_hash(void **state)
{
  struct ctl_fx *x = *state;
  const struct object *set, *rev;
  char hash[32], name[64];

  up(x, &(struct ctlfx_set_opts){.replicas = 2});
  set = ctlfx_set(x);
  ctl__revision_hash(hash, sizeof(hash),
                     pod_template_digest(&set->u.sts.spec.template_), 0);
  snprintf(name, sizeof(name), "web-%s", hash);
  rev = fixture_get(&x->f, KIND_CONTROLLERREVISION, name);
  assert_non_null(rev);
  assert_int_equal(rev->u.rev.revision, 1);
  assert_string_equal(kv_get(&rev->meta.labels, CTL_LABEL_REV_HASH), hash);
  assert_string_equal(kv_get(&rev->meta.labels, "app"), "web");
  assert_int_equal(meta_controller_ref(&rev->meta)->uid, set->meta.uid);
  assert_string_equal(set->u.sts.status.current_revision, name);
  assert_string_equal(set->u.sts.status.update_revision, name);
  assert_true(set->u.sts.status.has_collision_count);
  assert_int_equal(set->u.sts.status.collision_count, 0);
  assert_string_equal(rev_of(x, "web-0"), name);
}

static void scaling_does_not_create_a_revision(void **state)
{
  struct ctl_fx *x = *state;

  up(x, &(struct ctlfx_set_opts){.replicas = 2});
  assert_int_equal(count_revisions(x), 1);
  ctlfx_scale(x, 3);
  ctlfx_converge(x, SIM_SEC(30), NULL);
  assert_int_equal(ctlfx_count(x, KIND_POD), 3);
  assert_int_equal(count_revisions(x), 1);
}

static void
a_rollback_reuses_the_old_revision_with_a_bumped_number(void **state)
{
  struct ctl_fx *x = *state;
  char first[64];
  const struct object *rev;

  up(x, &(struct ctlfx_set_opts){.replicas = 1});
  snprintf(first, sizeof(first), "%s",
           ctlfx_set(x)->u.sts.status.update_revision);
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_converge(x, SIM_SEC(30), NULL);
  ctlfx_set_image(x, "registry.example/app:3");
  ctlfx_converge(x, SIM_SEC(30), NULL);
  assert_int_equal(count_revisions(x), 3);
  ctlfx_set_image(x, "registry.example/app:1");
  ctlfx_converge(x, SIM_SEC(30), NULL);
  /* no new revision: revision 1 became revision 4 */
  assert_int_equal(count_revisions(x), 3);
  rev = fixture_get(&x->f, KIND_CONTROLLERREVISION, first);
  assert_non_null(rev);
  assert_int_equal(rev->u.rev.revision, 4);
  assert_string_equal(ctlfx_set(x)->u.sts.status.update_revision, first);
  assert_string_equal(ctlfx_set(x)->u.sts.status.current_revision, first);
  assert_string_equal(rev_of(x, "web-0"), first);
  assert_true(fixture_noted(&x->f, "its number goes to 4"));
}

static void history_is_trimmed_to_the_limit(void **state)
{
  struct ctl_fx *x = *state;
  char img[64];

  up(x, &(struct ctlfx_set_opts){
            .replicas = 1, .set_history_limit = true, .history_limit = 2});
  for (int i = 2; i <= 7; i++) {
    snprintf(img, sizeof(img), "registry.example/app:%d", i);
    ctlfx_set_image(x, img);
    ctlfx_converge(x, SIM_SEC(30), NULL);
    /* limit + the live ones (current, update) */
    assert_true(count_revisions(x) <= 2 + 2);
  }
  /* quiet: current == update, so history = 2 old + 1 live */
  assert_int_equal(count_revisions(x), 3);
}

static void a_negative_history_limit_truncates_nothing(void **state)
{
  struct ctl_fx *x = *state;
  char img[64];

  up(x, &(struct ctlfx_set_opts){
            .replicas = 1, .set_history_limit = true, .history_limit = -5});
  for (int i = 2; i <= 5; i++) {
    snprintf(img, sizeof(img), "registry.example/app:%d", i);
    ctlfx_set_image(x, img);
    ctlfx_converge(x, SIM_SEC(30), NULL);
  }
  assert_int_equal(count_revisions(x), 5);
}

static void a_hash_collision_bumps_the_collision_count(void **state)
{
  struct ctl_fx *x = *state;
  const struct object *set;
  struct object r;
  struct kv *l = arena_calloc(&x->f.s.arena, 1, sizeof(*l));
  char hash[32], taken[64], want[64];

  /* the name revision 1 would get is taken by unrelated data */
  set = ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 1});
  ctl__revision_hash(hash, sizeof(hash),
                     pod_template_digest(&set->u.sts.spec.template_), 0);
  snprintf(taken, sizeof(taken), "web-%s", hash);
  *l = (struct kv){"app", "someone-else"};
  object_init(&r, KIND_CONTROLLERREVISION);
  r.meta.name = taken;
  r.meta.namespace_ = "default";
  r.meta.labels = (struct kv_list){l, 1};
  r.u.rev.data_hash = "not-this-template";
  r.u.rev.revision = 1;
  fixture_create(&x->f, &r);
  ctlfx_start(x);
  ctlfx_converge(x, SIM_SEC(30), NULL);
  set = ctlfx_set(x);
  ctl__revision_hash(hash, sizeof(hash),
                     pod_template_digest(&set->u.sts.spec.template_), 1);
  snprintf(want, sizeof(want), "web-%s", hash);
  assert_string_equal(set->u.sts.status.update_revision, want);
  assert_int_equal(set->u.sts.status.collision_count, 1);
  assert_true(fixture_noted(&x->f, "collisionCount 1"));
  /* stable afterwards: the next passes find the equal revision */
  ctlfx_scale(x, 2);
  ctlfx_converge(x, SIM_SEC(30), NULL);
  assert_int_equal(count_revisions(x), 2);
  assert_string_equal(ctlfx_set(x)->u.sts.status.update_revision, want);
}

static void an_orphan_revision_is_adopted(void **state)
{
  struct ctl_fx *x = *state;
  struct object r;
  struct kv *l = arena_calloc(&x->f.s.arena, 1, sizeof(*l));
  const struct object *set;

  *l = (struct kv){"app", "web"};
  object_init(&r, KIND_CONTROLLERREVISION);
  r.meta.name = "web-orphan";
  r.meta.namespace_ = "default";
  r.meta.labels = (struct kv_list){l, 1};
  r.u.rev.data_hash = "x";
  r.u.rev.revision = 1;
  fixture_create(&x->f, &r);
  up(x, &(struct ctlfx_set_opts){.replicas = 1});
  set = ctlfx_set(x);
  assert_int_equal(
      meta_controller_ref(
          &fixture_get(&x->f, KIND_CONTROLLERREVISION, "web-orphan")->meta)
          ->uid,
      set->meta.uid);
  /* it became revision history (revision 1), ours is revision 2 */
  assert_true(fixture_noted(&x->f, "adopted orphan revision web-orphan"));
}

/* --- RollingUpdate, legacy path (§6.4.1)
 * ---------------------------------------------- */

static void rolling_update_goes_from_the_highest_ordinal_down(void **state)
{
  struct ctl_fx *x = *state;
  char order[128], old[64];
  const struct object *set;

  up(x, &(struct ctlfx_set_opts){.replicas = 3});
  snprintf(old, sizeof(old), "%s", rev_of(x, "web-0"));
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_run(x, SIM_MS(50));
  /* one deletion per pass: only web-2 so far */
  set = ctlfx_set(x);
  assert_string_not_equal(set->u.sts.status.update_revision, old);
  assert_string_equal(set->u.sts.status.current_revision, old);
  delete_order(x, order, sizeof(order));
  assert_string_equal(order, "web-2");
  ctlfx_converge(x, SIM_SEC(60), NULL);
  delete_order(x, order, sizeof(order));
  assert_string_equal(order, "web-2,web-1,web-0");
  set = ctlfx_set(x);
  for (int i = 0; i < 3; i++) {
    char n[16];
    snprintf(n, sizeof(n), "web-%d", i);
    assert_string_equal(rev_of(x, n), set->u.sts.status.update_revision);
    assert_string_equal(ctlfx_pod(x, n)->u.pod.spec.containers[0].image,
                        "registry.example/app:2");
  }
  /* completion: currentRevision := updateRevision */
  assert_string_equal(set->u.sts.status.current_revision,
                      set->u.sts.status.update_revision);
  assert_int_equal(set->u.sts.status.current_replicas, 3);
  assert_int_equal(set->u.sts.status.updated_replicas, 3);
  assert_true(ctlfx_event_msg(
      x, "SuccessfulDelete", "delete Pod web-2 in StatefulSet web successful"));
}

static void rolling_update_waits_for_the_replaced_pod(void **state)
{
  struct ctl_fx *x = *state;
  const char *hold[] = {"web-2", NULL};
  char order[128];

  up(x, &(struct ctlfx_set_opts){.replicas = 3});
  ctlfx_set_image(x, "registry.example/app:2");
  /* web-2 is replaced but never becomes Ready */
  ctlfx_run(x, SIM_MS(50));
  ctlfx_finish(x, "web-2");
  ctlfx_converge(x, SIM_SEC(30), hold);
  ctlfx_unready(x, "web-2");
  ctlfx_run(x, SIM_SEC(30));
  delete_order(x, order, sizeof(order));
  assert_string_equal(order, "web-2");
  /* OrderedReady: Step H exits at web-2 */
  assert_true(fixture_noted(&x->f, "web-2 is not Running and Ready"));
}

static void parallel_rolling_update_replaces_a_broken_pod(void **state)
{
  struct ctl_fx *x = *state;
  char order[128];

  up(x, &(struct ctlfx_set_opts){.replicas = 3, .pmp = PMP_PARALLEL});
  ctlfx_unready(x, "web-0"); /* below the target: does not block */
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_converge(x, SIM_SEC(60), (const char *[]){"web-0", NULL});
  delete_order(x, order, sizeof(order));
  /* web-2 and web-1 replaced one at a time; web-0 is old and unready:
   * it is deleted for the update too (#96218) */
  assert_string_equal(order, "web-2,web-1,web-0");
}

static void partition_keeps_lower_ordinals_at_the_current_revision(void **state)
{
  struct ctl_fx *x = *state;
  char old[64], order[128];
  const struct object *set;

  up(x, &(struct ctlfx_set_opts){.replicas = 3, .partition = 2});
  snprintf(old, sizeof(old), "%s", rev_of(x, "web-0"));
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_converge(x, SIM_SEC(60), NULL);
  set = ctlfx_set(x);
  assert_string_equal(rev_of(x, "web-0"), old);
  assert_string_equal(rev_of(x, "web-1"), old);
  assert_string_equal(rev_of(x, "web-2"), set->u.sts.status.update_revision);
  /* never completes while partition > 0 */
  assert_string_equal(set->u.sts.status.current_revision, old);
  assert_int_equal(set->u.sts.status.updated_replicas, 1);
  assert_int_equal(set->u.sts.status.current_replicas, 2);
  /* a deleted pod below the partition comes back at the current revision */
  ctlfx_delete(x, "web-0");
  ctlfx_converge(x, SIM_SEC(30), NULL);
  assert_string_equal(rev_of(x, "web-0"), old);
  /* phased rollout: partition 0 */
  ctlfx_set_partition(x, 0);
  ctlfx_converge(x, SIM_SEC(60), NULL);
  delete_order(x, order, sizeof(order));
  assert_string_equal(order, "web-2,web-1,web-0"); /* kubectl's: no event */
  set = ctlfx_set(x);
  assert_string_equal(set->u.sts.status.current_revision,
                      set->u.sts.status.update_revision);
}

static void partition_compares_with_the_index_not_the_ordinal(void **state)
{
  struct ctl_fx *x = *state;
  char old[64];

  up(x, &(struct ctlfx_set_opts){
            .replicas = 3, .partition = 2, .has_ordinals = true, .start = 5});
  snprintf(old, sizeof(old), "%s", rev_of(x, "web-5"));
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_converge(x, SIM_SEC(60), NULL);
  assert_string_equal(rev_of(x, "web-5"), old);
  assert_string_equal(rev_of(x, "web-6"), old);
  assert_string_not_equal(rev_of(x, "web-7"), old);
}

/* --- maxUnavailable (§6.4.2)
 * ----------------------------------------------------------- */

static void six_pods_partition_3(struct ctl_fx *x,
                                 enum pod_management_policy pmp)
{
  up(x, &(struct ctlfx_set_opts){.replicas = 6,
                                 .pmp = pmp,
                                 .partition = 3,
                                 .max_unavailable = {true, false, 2}});
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_run(x, SIM_MS(50));
}

static void
max_unavailable_deletes_two_at_once_when_the_gate_is_on(void **state)
{
  struct ctl_fx *x = reinit(state, 35); /* beta on in 1.35.0 */
  char order[128];

  six_pods_partition_3(x, PMP_ORDERED_READY);
  delete_order(x, order, sizeof(order));
  assert_string_equal(order, "web-5,web-4");
  ctlfx_converge(x, SIM_SEC(60), NULL);
  delete_order(x, order, sizeof(order));
  assert_string_equal(order, "web-5,web-4,web-3");
  assert_string_equal(rev_of(x, "web-2"), rev_of(x, "web-0"));
}

static void max_unavailable_is_ignored_with_the_gate_off_in_1_34(void **state)
{
  struct ctl_fx *x = *state;
  char order[128];

  six_pods_partition_3(x, PMP_ORDERED_READY);
  delete_order(x, order, sizeof(order));
  assert_string_equal(order, "web-5");
}

static void max_unavailable_gate_is_off_again_in_1_36(void **state)
{
  struct ctl_fx *x = reinit(state, 36);
  char order[128];

  six_pods_partition_3(x, PMP_PARALLEL);
  delete_order(x, order, sizeof(order));
  assert_string_equal(order, "web-5");
}

static void max_unavailable_gate_can_be_turned_on_explicitly(void **state)
{
  struct ctl_fx *x = *state;
  char order[128];

  ctlfx_gate(x, "MaxUnavailableStatefulSet", true);
  six_pods_partition_3(x, PMP_PARALLEL);
  delete_order(x, order, sizeof(order));
  assert_string_equal(order, "web-5,web-4");
}

static void
max_unavailable_counts_terminating_pods_against_the_budget(void **state)
{
  struct ctl_fx *x = reinit(state, 37);
  char order[128];
  struct object o;
  const char **fin;

  up(x, &(struct ctlfx_set_opts){.replicas = 6,
                                 .partition = 3,
                                 .max_unavailable = {true, false, 2}});
  /* web-0 (below the partition) is terminating, held by a finalizer */
  fin = arena_calloc(&x->f.s.arena, 1, sizeof(*fin));
  fin[0] = "example.com/hold";
  o = *ctlfx_pod(x, "web-0");
  o.meta.finalizers = (struct str_list){fin, 1};
  assert_int_equal(api_update(x->f.api, "kubectl", &o, NULL), API_OK);
  ctlfx_delete(x, "web-0");
  ctlfx_run(x, SIM_MS(50));
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_run(x, SIM_MS(50));
  /* OrderedReady blocks in Step H anyway; so does the budget */
  delete_order(x, order, sizeof(order));
  assert_string_equal(order, "");
}

static void max_unavailable_percentage_rounds_down(void **state)
{
  struct ctl_fx *x = reinit(state, 35);
  char order[128];

  /* 25% of 8 = 2 */
  up(x, &(struct ctlfx_set_opts){.replicas = 8,
                                 .pmp = PMP_PARALLEL,
                                 .max_unavailable = {true, true, 25}});
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_run(x, SIM_MS(50));
  delete_order(x, order, sizeof(order));
  assert_string_equal(order, "web-7,web-6");
}

static void max_unavailable_percentage_is_at_least_one(void **state)
{
  struct ctl_fx *x = reinit(state, 35);
  char order[128];

  /* 10% of 3 = 0 -> 1 */
  up(x, &(struct ctlfx_set_opts){.replicas = 3,
                                 .pmp = PMP_PARALLEL,
                                 .max_unavailable = {true, true, 10}});
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_run(x, SIM_MS(50));
  delete_order(x, order, sizeof(order));
  assert_string_equal(order, "web-2");
}

/* B2 (#137409): Parallel, 1 replica, broken at the old revision. */
static void broken_single_parallel_pod(struct ctl_fx *x)
{
  up(x, &(struct ctlfx_set_opts){.replicas = 1, .pmp = PMP_PARALLEL});
  ctlfx_unready(x, "web-0");
  ctlfx_run(x, SIM_MS(50));
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_run(x, SIM_SEC(5));
}

static void a_broken_old_parallel_pod_is_stuck_before_1_37(void **state)
{
  struct ctl_fx *x = reinit(state, 35);

  broken_single_parallel_pod(x);
  assert_int_equal(ctlfx_events(x, "SuccessfulDelete"), 0);
  assert_true(fixture_noted(&x->f, "1 unavailable, maxUnavailable 1"));
}

static void a_broken_old_parallel_pod_is_replaced_in_1_37(void **state)
{
  struct ctl_fx *x = reinit(state, 37);

  broken_single_parallel_pod(x);
  assert_int_equal(ctlfx_events(x, "SuccessfulDelete"), 1);
}

static void a_broken_old_ordered_pod_stays_stuck_in_1_37(void **state)
{
  struct ctl_fx *x = reinit(state, 37);

  up(x, &(struct ctlfx_set_opts){.replicas = 1});
  ctlfx_unready(x, "web-0");
  ctlfx_run(x, SIM_MS(50));
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_run(x, SIM_SEC(5));
  assert_int_equal(ctlfx_events(x, "SuccessfulDelete"), 0);
}

static void a_pod_inside_min_ready_seconds_counts_as_unavailable(void **state)
{
  struct ctl_fx *x = reinit(state, 35);
  char order[128];

  up(x, &(struct ctlfx_set_opts){.replicas = 3,
                                 .pmp = PMP_PARALLEL,
                                 .min_ready_seconds = 30,
                                 .max_unavailable = {true, false, 2}});
  ctlfx_run(x, SIM_SEC(40));
  /* web-0 just became Ready again: inside minReadySeconds */
  ctlfx_unready(x, "web-0");
  ctlfx_run(x, SIM_MS(50));
  ctlfx_ready(x, "web-0");
  ctlfx_run(x, SIM_MS(50));
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_run(x, SIM_MS(50));
  delete_order(x, order, sizeof(order));
  assert_string_equal(order, "web-2"); /* budget 2 - 1 unavailable */
}

/* --- OnDelete (§6.4.3) and completion (§6.3)
 * --------------------------------------------- */

static void on_delete_never_deletes_for_an_update(void **state)
{
  struct ctl_fx *x = *state;
  char old[64];
  const struct object *set;

  up(x, &(struct ctlfx_set_opts){.replicas = 2, .strategy = UPDATE_ON_DELETE});
  snprintf(old, sizeof(old), "%s", rev_of(x, "web-0"));
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_converge(x, SIM_SEC(30), NULL);
  assert_int_equal(ctlfx_events(x, "SuccessfulDelete"), 0);
  assert_string_equal(rev_of(x, "web-1"), old);
  assert_int_equal(count_revisions(x), 2);
  /* a deleted pod comes back at the update revision, any ordinal */
  ctlfx_delete(x, "web-0");
  ctlfx_converge(x, SIM_SEC(30), NULL);
  set = ctlfx_set(x);
  assert_string_equal(rev_of(x, "web-0"), set->u.sts.status.update_revision);
  assert_string_equal(rev_of(x, "web-1"), old);
  assert_int_equal(set->u.sts.status.updated_replicas, 1);
  assert_int_equal(set->u.sts.status.current_replicas, 1);
}

static void replace_all_on_delete(struct ctl_fx *x)
{
  up(x, &(struct ctlfx_set_opts){.replicas = 2, .strategy = UPDATE_ON_DELETE});
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_converge(x, SIM_SEC(30), NULL);
  ctlfx_delete(x, "web-1");
  ctlfx_converge(x, SIM_SEC(30), NULL);
  ctlfx_delete(x, "web-0");
  ctlfx_converge(x, SIM_SEC(30), NULL);
}

static void on_delete_never_completes_before_1_36(void **state)
{
  struct ctl_fx *x = reinit(state, 35);
  const struct object *set;

  replace_all_on_delete(x);
  set = ctlfx_set(x);
  assert_int_equal(set->u.sts.status.updated_replicas, 2);
  assert_string_not_equal(set->u.sts.status.current_revision,
                          set->u.sts.status.update_revision);
}

static void on_delete_completes_from_1_36(void **state)
{
  struct ctl_fx *x = reinit(state, 36);
  const struct object *set;

  replace_all_on_delete(x);
  set = ctlfx_set(x);
  assert_string_equal(set->u.sts.status.current_revision,
                      set->u.sts.status.update_revision);
  assert_int_equal(set->u.sts.status.current_replicas, 2);
}

static void completion_needs_every_updated_pod_ready(void **state)
{
  struct ctl_fx *x = *state;
  const char *hold[] = {"web-0", NULL};
  const struct object *set;

  up(x, &(struct ctlfx_set_opts){.replicas = 2, .pmp = PMP_PARALLEL});
  ctlfx_set_image(x, "registry.example/app:2");
  /* web-0, the last one replaced, stays Pending at the new revision */
  ctlfx_converge(x, SIM_SEC(30), hold);
  assert_true(ctl__is_terminating(ctlfx_pod(x, "web-0")));
  ctlfx_finish(x, "web-0");
  ctlfx_converge(x, SIM_SEC(30), hold);
  assert_int_equal(ctlfx_pod(x, "web-0")->u.pod.status.phase, POD_PENDING);
  set = ctlfx_set(x);
  assert_int_equal(set->u.sts.status.updated_replicas, 2);
  assert_int_equal(set->u.sts.status.ready_replicas, 1);
  assert_string_not_equal(set->u.sts.status.current_revision,
                          set->u.sts.status.update_revision);
  ctlfx_converge(x, SIM_SEC(30), NULL);
  set = ctlfx_set(x);
  assert_string_equal(set->u.sts.status.current_revision,
                      set->u.sts.status.update_revision);
}

/* --- status (§7)
 * ---------------------------------------------------------------------------
 */

static void status_counts_ready_available_and_generation(void **state)
{
  struct ctl_fx *x = *state;
  const struct object *set;

  up(x, &(struct ctlfx_set_opts){
            .replicas = 3, .pmp = PMP_PARALLEL, .min_ready_seconds = 10});
  set = ctlfx_set(x);
  assert_int_equal(set->u.sts.status.replicas, 3);
  assert_int_equal(set->u.sts.status.ready_replicas, 3);
  assert_int_equal(set->u.sts.status.available_replicas, 0);
  assert_int_equal(set->u.sts.status.observed_generation, set->meta.generation);
  /*
   * The minReadySeconds requeues bring availability without any event.
   * The delaying queue keeps only the earliest AddAfter per key: the
   * first sync's AddAfter(10 s) (at 0.1 s) wins over the pods' turning
   * Ready (at 0.2 s, + 11 s); at 10.1 s they are not yet available, and
   * that sync's AddAfter(10 s) shows them available at 20.1 s.
   */
  ctlfx_run(x, SIM_SEC(12));
  assert_int_equal(ctlfx_set(x)->u.sts.status.available_replicas, 0);
  ctlfx_run(x, SIM_SEC(10));
  set = ctlfx_set(x);
  assert_int_equal(set->u.sts.status.available_replicas, 3);
  /* a terminating pod counts as ready (#86209) but not as current */
  ctlfx_delete(x, "web-2");
  ctlfx_run(x, SIM_MS(50));
  set = ctlfx_set(x);
  assert_int_equal(set->u.sts.status.replicas, 3);
  assert_int_equal(set->u.sts.status.ready_replicas, 3);
  assert_int_equal(set->u.sts.status.current_replicas, 2);
}

static void status_is_written_only_when_it_changes(void **state)
{
  struct ctl_fx *x = *state;
  uint64_t rv, syncs;

  up(x, &(struct ctlfx_set_opts){.replicas = 2});
  rv = ctlfx_set(x)->meta.resource_version;
  syncs = ctl_syncs(x->ctl);
  /* a pod update that changes nothing the status counts: a sync, no write */
  {
    struct object o = *ctlfx_pod(x, "web-0");
    struct kv *l =
        arena_calloc(&x->f.s.arena, o.meta.annotations.nr + 1, sizeof(*l));
    l[0] = (struct kv){"note", "x"};
    o.meta.annotations = (struct kv_list){l, 1};
    assert_int_equal(api_update(x->f.api, "kubectl", &o, NULL), API_OK);
  }
  ctlfx_run(x, SIM_SEC(1));
  assert_true(ctl_syncs(x->ctl) > syncs);
  assert_int_equal(ctlfx_set(x)->meta.resource_version, rv);
}

static void observed_generation_follows_spec_changes(void **state)
{
  struct ctl_fx *x = *state;

  up(x, &(struct ctlfx_set_opts){.replicas = 1});
  ctlfx_scale(x, 2);
  ctlfx_run(x, SIM_MS(20));
  assert_int_equal(ctlfx_set(x)->u.sts.status.observed_generation,
                   ctlfx_set(x)->meta.generation);
}

/* --- events (§8) and errors (§4.4, §9)
 * -------------------------------------------------------- */

static void failed_creates_record_warning_events(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_start(x);
  /* the claim create fails with 503 for a while */
  api_add_write_fault(x->f.api, API_FAULT_UNAVAILABLE, 1.0, SIM_MS(100),
                      SIM_MS(103), CTL_COMPONENT);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 1, .claims = true});
  ctlfx_run(x, SIM_MS(102));
  /* the revision create failed first: nothing else happened */
  assert_null(ctlfx_pod(x, "web-0"));
  assert_true(fixture_noted(&x->f, "sync failed, requeued with back-off"));
  ctlfx_run(x, SIM_SEC(1));
  assert_non_null(ctlfx_pod(x, "web-0"));
}

static void a_terminating_claim_blocks_pod_creation(void **state)
{
  struct ctl_fx *x = *state;
  struct object pvc = fixture_pvc(&x->f, "data-web-0", "standard", 1 << 30);
  const char **fin = arena_calloc(&x->f.s.arena, 1, sizeof(*fin));
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  fin[0] = "kubernetes.io/pvc-protection";
  pvc.meta.finalizers = (struct str_list){fin, 1};
  fixture_create(&x->f, &pvc);
  assert_int_equal(
      api_delete(x->f.api, "kubectl", KIND_PVC, "default", "data-web-0", &o),
      API_OK);
  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 1, .claims = true});
  ctlfx_run(x, SIM_MS(150));
  assert_null(ctlfx_pod(x, "web-0"));
  assert_true(ctlfx_event_msg(x, "FailedCreate",
                              "create Pod web-0 in StatefulSet web failed "
                              "error: pvc data-web-0 is being deleted"));
}

static void a_claim_create_that_fails_records_failed_create(void **state)
{
  struct ctl_fx *x = *state;
  simtime t;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 2, .claims = true});
  ctlfx_run(x, SIM_SEC(1));
  /* the next pass (web-0 turned Ready) has no revision write: its first
   * write is the claim of web-1, which fails with a 503 */
  t = ctlfx_now(x);
  api_add_write_fault(x->f.api, API_FAULT_UNAVAILABLE, 1.0, t, t + SIM_MS(10),
                      CTL_COMPONENT);
  ctlfx_ready(x, "web-0");
  ctlfx_run(x, SIM_MS(8));
  assert_null(ctlfx_pod(x, "web-1"));
  assert_true(ctlfx_event_msg(
      x, "FailedCreate",
      "create Claim data-web-1 for Pod web-1 in StatefulSet web failed "
      "error: the server is currently unable to handle the request"));
  assert_true(ctlfx_event_msg(
      x, "FailedCreate",
      "create Pod web-1 in StatefulSet web failed error: failed to create "
      "PVC data-web-1: the server is currently unable to handle the "
      "request"));
  /* requeued with back-off: succeeds after the window */
  ctlfx_run(x, SIM_SEC(1));
  assert_non_null(ctlfx_pod(x, "web-1"));
}

static void a_pod_create_that_fails_records_failed_create(void **state)
{
  struct ctl_fx *x = *state;
  simtime t;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 2});
  ctlfx_run(x, SIM_SEC(1));
  t = ctlfx_now(x);
  api_add_write_fault(x->f.api, API_FAULT_UNAVAILABLE, 1.0, t, t + SIM_MS(10),
                      CTL_COMPONENT);
  ctlfx_ready(x, "web-0");
  ctlfx_run(x, SIM_MS(8));
  assert_true(ctlfx_event_msg(
      x, "FailedCreate",
      "create Pod web-1 in StatefulSet web failed error: the server is "
      "currently unable to handle the request"));
}

static void a_delete_that_fails_records_failed_delete(void **state)
{
  struct ctl_fx *x = *state;
  simtime t;

  up(x, &(struct ctlfx_set_opts){.replicas = 2});
  t = ctlfx_now(x);
  api_add_write_fault(x->f.api, API_FAULT_UNAVAILABLE, 1.0, t, t + SIM_MS(8),
                      CTL_COMPONENT);
  ctlfx_scale(x, 1);
  ctlfx_run(x, SIM_MS(7));
  assert_true(ctlfx_event_msg(
      x, "FailedDelete",
      "delete Pod web-1 in StatefulSet web failed error: the server is "
      "currently unable to handle the request"));
  ctlfx_converge(x, SIM_SEC(10), NULL);
  assert_null(ctlfx_pod(x, "web-1"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(the_first_revision_is_named_after_the_set_and_its_hash),
      T(scaling_does_not_create_a_revision),
      T(a_rollback_reuses_the_old_revision_with_a_bumped_number),
      T(history_is_trimmed_to_the_limit),
      T(a_negative_history_limit_truncates_nothing),
      T(a_hash_collision_bumps_the_collision_count),
      T(an_orphan_revision_is_adopted),
      T(rolling_update_goes_from_the_highest_ordinal_down),
      T(rolling_update_waits_for_the_replaced_pod),
      T(parallel_rolling_update_replaces_a_broken_pod),
      T(partition_keeps_lower_ordinals_at_the_current_revision),
      T(partition_compares_with_the_index_not_the_ordinal),
      T(max_unavailable_deletes_two_at_once_when_the_gate_is_on),
      T(max_unavailable_is_ignored_with_the_gate_off_in_1_34),
      T(max_unavailable_gate_is_off_again_in_1_36),
      T(max_unavailable_gate_can_be_turned_on_explicitly),
      T(max_unavailable_counts_terminating_pods_against_the_budget),
      T(max_unavailable_percentage_rounds_down),
      T(max_unavailable_percentage_is_at_least_one),
      T(a_broken_old_parallel_pod_is_stuck_before_1_37),
      T(a_broken_old_parallel_pod_is_replaced_in_1_37),
      T(a_broken_old_ordered_pod_stays_stuck_in_1_37),
      T(a_pod_inside_min_ready_seconds_counts_as_unavailable),
      T(on_delete_never_deletes_for_an_update),
      T(on_delete_never_completes_before_1_36),
      T(on_delete_completes_from_1_36),
      T(completion_needs_every_updated_pod_ready),
      T(status_counts_ready_available_and_generation),
      T(status_is_written_only_when_it_changes),
      T(observed_generation_follows_spec_changes),
      T(failed_creates_record_warning_events),
      T(a_terminating_claim_blocks_pod_creation),
      T(a_claim_create_that_fails_records_failed_create),
      T(a_pod_create_that_fails_records_failed_create),
      T(a_delete_that_fails_records_failed_delete),
  };
#undef T

  return cmocka_run_group_tests_name("controller_update", tests, NULL, NULL);
}
