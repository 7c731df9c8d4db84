/*
 * test_controller.c - the StatefulSet controller: predicates (§2), wiring
 * and queue (§3), the control loop for scaling (§4, §5). Updates,
 * revisions, status and events are in test_controller_update.c; the §10
 * invariants under randomized loops and the §14 traces in
 * test_controller_random.c and test_controller_traces.c.
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

#define STEP SIM_MS(50)

static int setup(void **state)
{
  struct ctl_fx *x = calloc(1, sizeof(*x));

  ctlfx_init(x, 34);
  *state = x;
  return 0;
}

static int teardown(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_release(x);
  free(x);
  return 0;
}

/* --- §2 predicates ----------------------------------------------------------
 */

static void parse_follows_the_regex_semantics(void **state)
{
  size_t len;
  int32_t ord;

  (void)state;
  assert_true(ctl__parse("web-0", &len, &ord));
  assert_int_equal(len, 3);
  assert_int_equal(ord, 0);
  /* group 1 is greedy: the parent keeps the earlier dashes */
  assert_true(ctl__parse("my-web-12", &len, &ord));
  assert_int_equal(len, 6);
  assert_int_equal(ord, 12);
  /* leading zeros parse */
  assert_true(ctl__parse("web-01", &len, &ord));
  assert_int_equal(ord, 1);
  /* no match: parent "" and ordinal -1 */
  assert_false(ctl__parse("web", &len, &ord));
  assert_int_equal(ord, -1);
  assert_int_equal(len, 0);
  assert_false(ctl__parse("web-", &len, &ord));
  assert_false(ctl__parse("web-1a", &len, &ord));
  assert_false(ctl__parse("web-1-x", &len, &ord));
  /* overflow of int32: ordinal -1 but the parent is still set */
  assert_true(ctl__parse("web-2147483648", &len, &ord));
  assert_int_equal(ord, -1);
  assert_int_equal(len, 3);
  assert_true(ctl__parse("web-2147483647", &len, &ord));
  assert_int_equal(ord, 2147483647);
  /* Go's '.' does not match a newline */
  assert_false(ctl__parse("we\nb-1", &len, &ord));
  /* the empty parent is a match */
  assert_true(ctl__parse("-3", &len, &ord));
  assert_int_equal(len, 0);
  assert_int_equal(ord, 3);
}

static struct object set_with(int32_t replicas, bool ordinals, int32_t start)
{
  struct object s;

  object_init(&s, KIND_STATEFULSET);
  s.meta.name = "web";
  s.meta.namespace_ = "default";
  s.u.sts.spec.replicas = replicas;
  s.u.sts.spec.has_ordinals = ordinals;
  s.u.sts.spec.ordinals_start = start;
  return s;
}

static void in_range_uses_ordinals_start(void **state)
{
  struct object s = set_with(3, true, 2);

  (void)state;
  assert_int_equal(ctl__start_ordinal(&s), 2);
  assert_false(ctl__in_range(&s, 1)); /* below start: condemned */
  assert_true(ctl__in_range(&s, 2));
  assert_true(ctl__in_range(&s, 4));
  assert_false(ctl__in_range(&s, 5));
  s = set_with(3, false, 2); /* ordinals nil: start 0 */
  assert_int_equal(ctl__start_ordinal(&s), 0);
  assert_true(ctl__in_range(&s, 0));
  assert_false(ctl__in_range(&s, 3));
  assert_false(ctl__in_range(&s, -1));
}

static struct object pod_named(const char *name, enum pod_phase ph)
{
  struct object p;

  object_init(&p, KIND_POD);
  p.meta.name = name;
  p.meta.namespace_ = "default";
  p.u.pod.status.phase = ph;
  return p;
}

static void phase_predicates_are_literal(void **state)
{
  struct object p = pod_named("web-0", POD_PHASE_NONE);

  (void)state;
  assert_false(ctl__is_created(&p)); /* a placeholder */
  assert_false(ctl__is_created(NULL));
  p.u.pod.status.phase = POD_PENDING;
  assert_true(ctl__is_created(&p));
  assert_true(ctl__is_pending(&p));
  assert_false(ctl__is_failed(&p));
  p.u.pod.status.phase = POD_FAILED;
  assert_true(ctl__is_failed(&p));
  p.u.pod.status.phase = POD_SUCCEEDED;
  assert_true(ctl__is_succeeded(&p));
  assert_false(ctl__is_terminating(&p));
  p.meta.deletion_timestamp = SIM_SEC(3);
  assert_true(ctl__is_terminating(&p));
}

static void running_and_available_ignores_the_phase(void **state)
{
  struct object p = pod_named("web-0", POD_PENDING);

  (void)state;
  p.u.pod.status.ready = (struct condition){COND_TRUE, SIM_SEC(10), 0, 0};
  /* isRunningAndAvailable does not check the phase */
  assert_true(ctl__is_running_and_available(&p, 0, SIM_SEC(10)));
  assert_false(ctl__is_running_and_ready(&p));
  /* minReadySeconds: lastTransitionTime + mrs strictly before now */
  assert_false(ctl__is_running_and_available(&p, 5, SIM_SEC(15)));
  assert_true(ctl__is_running_and_available(&p, 5, SIM_SEC(15) + 1));
  /* a zero lastTransitionTime is never available when mrs > 0 */
  p.u.pod.status.ready.last_transition_time = SIMTIME_NEVER;
  assert_false(ctl__is_running_and_available(&p, 5, SIM_SEC(100)));
  assert_true(ctl__is_running_and_available(&p, 0, SIM_SEC(100)));
  p.u.pod.status.ready.status = COND_FALSE;
  assert_false(ctl__is_running_and_available(&p, 0, SIM_SEC(100)));
}

static void unavailable_is_availability_aware_from_1_34(void **state)
{
  struct object p = pod_named("web-0", POD_RUNNING);

  (void)state;
  p.u.pod.status.ready = (struct condition){COND_TRUE, SIM_SEC(10), 0, 0};
  /* Ready but inside minReadySeconds: unavailable in 1.34 ... */
  assert_true(ctl__is_unavailable(34, &p, 30, SIM_SEC(20)));
  /* ... healthy (ready-only) in 1.33 (B3) */
  assert_false(ctl__is_unavailable(33, &p, 30, SIM_SEC(20)));
  assert_false(ctl__is_unavailable(34, &p, 30, SIM_SEC(41)));
  /* terminating is unavailable in both */
  p.meta.deletion_timestamp = SIM_SEC(50);
  assert_true(ctl__is_unavailable(34, &p, 0, SIM_SEC(41)));
  assert_true(ctl__is_unavailable(33, &p, 0, SIM_SEC(41)));
  /* placeholders are unavailable */
  assert_true(ctl__is_unavailable(34, NULL, 0, 0));
}

static void identity_matches_checks_name_namespace_and_label(void **state)
{
  struct object s = set_with(3, false, 0);
  struct object p = pod_named("web-1", POD_RUNNING);
  struct kv l[] = {{CTL_LABEL_POD_NAME, "web-1"}};

  (void)state;
  assert_false(ctl__identity_matches(&s, &p)); /* no pod-name label */
  p.meta.labels = (struct kv_list){l, 1};
  assert_true(ctl__identity_matches(&s, &p));
  p.meta.name = "web-01"; /* not canonical */
  assert_false(ctl__identity_matches(&s, &p));
  p.meta.name = "web-1";
  p.meta.namespace_ = "other";
  assert_false(ctl__identity_matches(&s, &p));
  p.meta.namespace_ = "default";
  p.meta.name = "app-1";
  l[0].value = "app-1";
  assert_false(ctl__identity_matches(&s, &p)); /* not a member */
}

static void storage_matches_needs_every_claim_volume(void **state)
{
  struct object s = set_with(3, false, 0);
  struct object p = pod_named("web-2", POD_RUNNING);
  struct pvc_template t[] = {{.name = "data"}, {.name = "logs"}};
  struct pod_volume v[] = {
      {.name = "data", .source = VOLSRC_PVC, .claim_name = "data-web-2"},
      {.name = "logs", .source = VOLSRC_PVC, .claim_name = "logs-web-2"},
      {.name = "tmp", .source = VOLSRC_EMPTYDIR},
  };

  (void)state;
  assert_true(ctl__storage_matches(&s, &p)); /* no templates */
  s.u.sts.spec.volume_claim_templates = t;
  s.u.sts.spec.volume_claim_templates_nr = 2;
  assert_false(ctl__storage_matches(&s, &p));
  p.u.pod.spec.volumes = v;
  p.u.pod.spec.volumes_nr = 3;
  assert_true(ctl__storage_matches(&s, &p));
  v[1].claim_name = "logs-web-1";
  assert_false(ctl__storage_matches(&s, &p));
  v[1].claim_name = "logs-web-2";
  v[1].source = VOLSRC_EMPTYDIR;
  assert_false(ctl__storage_matches(&s, &p));
  p.meta.name = "web";
  v[1].source = VOLSRC_PVC;
  assert_false(ctl__storage_matches(&s, &p)); /* ordinal -1 */
}

static void
revision_hash_uses_the_safe_alphabet_and_collision_count(void **state)
{
  char a[32], b[32], c[32];

  (void)state;
  ctl__revision_hash(a, sizeof(a), 0x1234, 0);
  ctl__revision_hash(b, sizeof(b), 0x1234, 0);
  ctl__revision_hash(c, sizeof(c), 0x1234, 1);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
  for (const char *q = a; *q; q++)
    assert_non_null(strchr("bcdfghjklmnpqrstvwxz2456789", *q));
}

/* --- retention helpers (§5.5)
 * ------------------------------------------------- */

static void claim_refs_follow_the_retention_table(void **state)
{
  struct ctl_fx *x = *state;
  struct object s = set_with(2, false, 0);
  struct object claim;
  struct ctl__podref in = {"web-1", 77, 1}, out = {"web-5", 78, 5};
  const struct owner_ref *r;
  size_t nr;

  s.meta.uid = 42;
  object_init(&claim, KIND_PVC);
  claim.meta.name = "data-web-1";
  /* Retain/Retain: nothing to do */
  assert_true(ctl__claim_owner_up_to_date(&s, &in, &claim));
  /* Retain/Delete: set ref only */
  s.u.sts.spec.when_deleted = DELETE;
  assert_false(ctl__claim_owner_up_to_date(&s, &in, &claim));
  r = ctl__claim_refs(&x->f.s.arena, &s, &in, &claim, &nr);
  assert_int_equal(nr, 1);
  assert_int_equal(r[0].uid, 42);
  assert_true(r[0].controller);
  assert_true(r[0].block_owner_deletion);
  /* Delete/Delete: in range set ref, condemned pod ref */
  s.u.sts.spec.when_scaled = DELETE;
  r = ctl__claim_refs(&x->f.s.arena, &s, &out, &claim, &nr);
  assert_int_equal(nr, 1);
  assert_int_equal(r[0].uid, 78);
  assert_string_equal(r[0].kind, "Pod");
  claim.meta.owner_refs = r;
  claim.meta.owner_refs_nr = nr;
  assert_true(ctl__claim_owner_up_to_date(&s, &out, &claim));
  /* a non-controller ref to us needs an update */
  {
    struct owner_ref plain = r[0];
    plain.controller = false;
    claim.meta.owner_refs = &plain;
    assert_false(ctl__claim_owner_up_to_date(&s, &out, &claim));
  }
  /* a foreign controller: our refs go, none added, no repeat */
  {
    struct owner_ref foreign = {.api_version = "v1",
                                .kind = "ConfigMap",
                                .name = "cm",
                                .uid = 99,
                                .controller = true};
    claim.meta.owner_refs = &foreign;
    claim.meta.owner_refs_nr = 1;
    assert_true(ctl__has_unexpected_controller(&s, &in, &claim));
    assert_true(ctl__claim_owner_up_to_date(&s, &in, &claim));
    r = ctl__claim_refs(&x->f.s.arena, &s, &in, &claim, &nr);
    assert_int_equal(nr, 1);
    assert_int_equal(r[0].uid, 99);
  }
  /* a stale ref (same name, other uid) is never touched */
  {
    struct owner_ref stale = {.api_version = "v1",
                              .kind = "Pod",
                              .name = "web-5",
                              .uid = 5,
                              .controller = true};
    claim.meta.owner_refs = &stale;
    claim.meta.owner_refs_nr = 1;
    assert_true(ctl__claim_owner_up_to_date(&s, &out, &claim));
  }
}

/* --- §3 wiring
 * ------------------------------------------------------------------------ */

static const struct ctlfx_set_opts ordered3 = {.replicas = 3, .claims = true};

static void syncs_start_only_after_all_caches_synced(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_start(x);
  ctlfx_create_set(x, &ordered3);
  /* the caches sync after the watch delay, the poll sees it at 100 ms */
  ctlfx_run(x, SIM_MS(99));
  assert_int_equal(ctl_syncs(x->ctl), 0);
  assert_null(ctlfx_pod(x, "web-0"));
  ctlfx_run(x, SIM_MS(2) + CTL_SYNC_DELAY);
  assert_true(ctl_syncs(x->ctl) >= 1);
  assert_non_null(ctlfx_pod(x, "web-0"));
  assert_int_equal(ctlfx_pod(x, "web-0")->meta.creation_timestamp,
                   SIM_MS(100) + CTL_SYNC_DELAY);
}

static void a_watch_delay_postpones_the_start(void **state)
{
  struct ctl_fx *x = *state;

  x->f.s.timings.v[TIMING_WATCH_DELAY] = SIM_MS(150);
  ctlfx_start(x);
  ctlfx_create_set(x, &ordered3);
  ctlfx_run(x, SIM_MS(199));
  assert_int_equal(ctl_syncs(x->ctl), 0);
  ctlfx_run(x, SIM_MS(5));
  assert_non_null(ctlfx_pod(x, "web-0"));
}

/* --- OrderedReady scaling (§4.1, §4.3)
 * --------------------------------------------------- */

static void ordered_ready_creates_web_0_then_waits(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_start(x);
  ctlfx_create_set(x, &ordered3);
  ctlfx_run(x, SIM_SEC(1));
  assert_non_null(ctlfx_pod(x, "web-0"));
  assert_null(ctlfx_pod(x, "web-1"));
  assert_true(fixture_noted(
      &x->f, "not creating web-1: web-0 is not Running and Ready"));
  /* Running but not Ready still blocks */
  ctlfx_phase(x, "web-0", POD_RUNNING, false);
  ctlfx_run(x, SIM_SEC(1));
  assert_null(ctlfx_pod(x, "web-1"));
  ctlfx_ready(x, "web-0");
  ctlfx_run(x, STEP);
  assert_non_null(ctlfx_pod(x, "web-1"));
  assert_null(ctlfx_pod(x, "web-2"));
  ctlfx_ready(x, "web-1");
  ctlfx_run(x, STEP);
  assert_non_null(ctlfx_pod(x, "web-2"));
  ctlfx_ready(x, "web-2");
  ctlfx_run(x, SIM_SEC(1));
  assert_int_equal(ctlfx_count(x, KIND_POD), 3);
  assert_int_equal(ctlfx_set(x)->u.sts.status.ready_replicas, 3);
}

static void a_created_pod_has_its_identity_and_ownership(void **state)
{
  struct ctl_fx *x = *state;
  const struct object *set, *pod, *rev;
  const struct owner_ref *r;

  ctlfx_start(x);
  set = ctlfx_create_set(x, &ordered3);
  ctlfx_run(x, SIM_SEC(1));
  pod = ctlfx_pod(x, "web-0");
  assert_non_null(pod);
  assert_string_equal(pod->u.pod.spec.hostname, "web-0");
  assert_string_equal(pod->u.pod.spec.subdomain, "web");
  assert_string_equal(kv_get(&pod->meta.labels, CTL_LABEL_POD_NAME), "web-0");
  assert_string_equal(kv_get(&pod->meta.labels, CTL_LABEL_POD_INDEX), "0");
  assert_string_equal(kv_get(&pod->meta.labels, "app"), "web");
  r = meta_controller_ref(&pod->meta);
  assert_non_null(r);
  assert_string_equal(r->kind, "StatefulSet");
  assert_string_equal(r->name, "web");
  assert_int_equal(r->uid, set->meta.uid);
  assert_true(r->block_owner_deletion);
  assert_int_equal(pod->meta.owner_refs_nr, 1);
  /* the revision label is the full ControllerRevision name */
  rev = fixture_get(&x->f, KIND_CONTROLLERREVISION,
                    kv_get(&pod->meta.labels, CTL_LABEL_REVISION));
  assert_non_null(rev);
  assert_int_equal(strncmp(rev->meta.name, "web-", 4), 0);
  /* the claim volume */
  assert_int_equal(pod->u.pod.spec.volumes_nr, 1);
  assert_string_equal(pod->u.pod.spec.volumes[0].name, "data");
  assert_int_equal(pod->u.pod.spec.volumes[0].source, VOLSRC_PVC);
  assert_string_equal(pod->u.pod.spec.volumes[0].claim_name, "data-web-0");
}

static void pod_index_label_follows_its_gate(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_gate(x, "PodIndexLabel", false);
  ctlfx_start(x);
  ctlfx_create_set(x, &ordered3);
  ctlfx_run(x, SIM_SEC(1));
  assert_non_null(ctlfx_pod(x, "web-0"));
  assert_null(kv_get(&ctlfx_pod(x, "web-0")->meta.labels, CTL_LABEL_POD_INDEX));
}

static void claims_are_created_before_the_pod(void **state)
{
  struct ctl_fx *x = *state;
  const struct object *pvc, *pod;

  ctlfx_start(x);
  ctlfx_create_set(x, &ordered3);
  ctlfx_run(x, SIM_SEC(1));
  pvc = ctlfx_pvc(x, "data-web-0");
  pod = ctlfx_pod(x, "web-0");
  assert_non_null(pvc);
  assert_non_null(pod);
  assert_true(pvc->meta.uid < pod->meta.uid); /* created first */
  assert_string_equal(kv_get(&pvc->meta.labels, "app"), "web");
  assert_int_equal(pvc->u.pvc.spec.request_bytes, INT64_C(1) << 30);
  /* Retain/Retain: no owner refs */
  assert_int_equal(pvc->meta.owner_refs_nr, 0);
  assert_true(ctlfx_event_msg(
      x, "SuccessfulCreate",
      "create Claim data-web-0 Pod web-0 in StatefulSet web success"));
  assert_true(ctlfx_event_msg(
      x, "SuccessfulCreate", "create Pod web-0 in StatefulSet web successful"));
}

static void
a_low_missing_pod_is_created_even_if_higher_are_unhealthy(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 2});
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_bind(x, "web-0");
  ctlfx_ready(x, "web-0");
  ctlfx_run(x, SIM_SEC(1));
  assert_non_null(ctlfx_pod(x, "web-1"));
  ctlfx_unready(x, "web-1");
  /* e2e "should not deadlock when a pod's predecessor fails" */
  ctlfx_delete(x, "web-0");
  ctlfx_finish(x, "web-0");
  ctlfx_run(x, SIM_SEC(1));
  assert_non_null(ctlfx_pod(x, "web-0"));
}

static void
scale_down_deletes_the_highest_ordinal_first_one_at_a_time(void **state)
{
  struct ctl_fx *x = *state;
  char name[16];

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 4});
  for (int i = 0; i < 4; i++) {
    ctlfx_run(x, SIM_SEC(1));
    snprintf(name, sizeof(name), "web-%d", i);
    ctlfx_bind(x, name);
    ctlfx_ready(x, name);
  }
  ctlfx_run(x, SIM_SEC(1));
  assert_int_equal(ctlfx_count(x, KIND_POD), 4);
  ctlfx_scale(x, 1);
  ctlfx_run(x, SIM_SEC(1));
  /* only web-3 is terminating; web-2 waits for it to be gone */
  assert_true(ctl__is_terminating(ctlfx_pod(x, "web-3")));
  assert_false(ctl__is_terminating(ctlfx_pod(x, "web-2")));
  assert_true(fixture_noted(&x->f, "waiting: web-3 is terminating"));
  assert_true(
      fixture_noted(&x->f, "deleting web-3: condemned (scale down to 1)"));
  ctlfx_run(x, SIM_SEC(5));
  assert_false(ctl__is_terminating(ctlfx_pod(x, "web-2")));
  ctlfx_finish(x, "web-3");
  ctlfx_run(x, SIM_SEC(1));
  assert_true(ctl__is_terminating(ctlfx_pod(x, "web-2")));
  assert_false(ctl__is_terminating(ctlfx_pod(x, "web-1")));
  ctlfx_finish(x, "web-2");
  ctlfx_run(x, SIM_SEC(1));
  assert_true(ctl__is_terminating(ctlfx_pod(x, "web-1")));
  ctlfx_finish(x, "web-1");
  ctlfx_run(x, SIM_SEC(1));
  assert_int_equal(ctlfx_count(x, KIND_POD), 1);
  assert_false(ctl__is_terminating(ctlfx_pod(x, "web-0")));
  assert_int_equal(ctlfx_events(x, "SuccessfulDelete"), 3);
}

static void scale_down_waits_for_an_unready_in_range_pod(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 3});
  for (int i = 0; i < 3; i++) {
    char name[16];
    ctlfx_run(x, SIM_SEC(1));
    snprintf(name, sizeof(name), "web-%d", i);
    ctlfx_bind(x, name);
    ctlfx_ready(x, name);
  }
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_unready(x, "web-0");
  ctlfx_scale(x, 1);
  ctlfx_run(x, SIM_SEC(5));
  assert_false(ctl__is_terminating(ctlfx_pod(x, "web-2")));
  ctlfx_ready(x, "web-0");
  ctlfx_run(x, SIM_SEC(1));
  assert_true(ctl__is_terminating(ctlfx_pod(x, "web-2")));
}

static void
an_unhealthy_condemned_pod_is_deleted_if_it_is_the_first(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 3});
  for (int i = 0; i < 3; i++) {
    char name[16];
    ctlfx_run(x, SIM_SEC(1));
    snprintf(name, sizeof(name), "web-%d", i);
    ctlfx_bind(x, name);
    ctlfx_ready(x, name);
  }
  ctlfx_run(x, SIM_SEC(1));
  /* web-2 and web-1 unhealthy: the highest (web-2) is not the first
   * unavailable pod, so scale-down blocks */
  ctlfx_unready(x, "web-2");
  ctlfx_unready(x, "web-1");
  ctlfx_scale(x, 1);
  ctlfx_run(x, SIM_SEC(3));
  assert_false(ctl__is_terminating(ctlfx_pod(x, "web-2")));
  assert_true(fixture_noted(&x->f, "not deleting web-2"));
  /* web-1 recovers: web-2 is now the first unavailable pod */
  ctlfx_ready(x, "web-1");
  ctlfx_run(x, SIM_SEC(1));
  assert_true(ctl__is_terminating(ctlfx_pod(x, "web-2")));
}

static void scale_to_zero_with_a_crashing_pod_0_works(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 1});
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_bind(x, "web-0");
  ctlfx_unready(x, "web-0");
  ctlfx_scale(x, 0);
  ctlfx_run(x, SIM_SEC(1));
  assert_true(ctl__is_terminating(ctlfx_pod(x, "web-0")));
}

/* --- Parallel (§4 Step H burst, §4.3)
 * ----------------------------------------------------- */

static void parallel_creates_all_in_slow_start_batches(void **state)
{
  struct ctl_fx *x = *state;
  size_t nr;
  const struct event *const *ev;
  int creates = 0;

  ctlfx_start(x);
  ctlfx_create_set(
      x, &(struct ctlfx_set_opts){.replicas = 1000, .pmp = PMP_PARALLEL});
  ctlfx_run(x, SIM_MS(102));
  /* one pass: waves 1,2,4,...,256,489 = all 1000 */
  assert_int_equal(ctlfx_count(x, KIND_POD), 1000);
  ev = api_events(x->f.api, &nr);
  for (size_t i = 0; i < nr; i++)
    if (!strcmp(ev[i]->reason, "SuccessfulCreate"))
      creates++;
  assert_int_equal(creates, 1000);
  /* the status counted only what the cache showed: nothing yet */
  ctlfx_run(x, SIM_MS(1));
  assert_int_equal(ctlfx_set(x)->u.sts.status.replicas, 0);
  ctlfx_run(x, SIM_SEC(1));
  assert_int_equal(ctlfx_set(x)->u.sts.status.replicas, 1000);
}

static void parallel_stops_after_a_wave_with_an_error(void **state)
{
  struct ctl_fx *x = *state;
  struct object squat = fixture_pod(&x->f, "web-3", NULL);

  /* web-3 exists already but is not ours (another controller): its
   * create fails with AlreadyExists in wave 3 (indices 3..6) */
  {
    struct owner_ref *r = arena_calloc(&x->f.s.arena, 1, sizeof(*r));
    *r = (struct owner_ref){.api_version = "apps/v1",
                            .kind = "ReplicaSet",
                            .name = "other",
                            .uid = 999,
                            .controller = true};
    squat.meta.owner_refs = r;
    squat.meta.owner_refs_nr = 1;
  }
  fixture_create(&x->f, &squat);
  ctlfx_start(x);
  ctlfx_create_set(
      x, &(struct ctlfx_set_opts){.replicas = 10, .pmp = PMP_PARALLEL});
  ctlfx_run(x, SIM_MS(102));
  /* waves 1 (0), 2 (1,2), 4 (3..6: 3 fails): 7 created, later waves not */
  assert_non_null(ctlfx_pod(x, "web-6"));
  assert_null(ctlfx_pod(x, "web-7"));
  assert_int_equal(ctlfx_events(x, "SuccessfulCreate"), 6);
}

static void parallel_scale_down_deletes_all_condemned_in_one_pass(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_start(x);
  ctlfx_create_set(
      x, &(struct ctlfx_set_opts){.replicas = 5, .pmp = PMP_PARALLEL});
  ctlfx_run(x, SIM_SEC(1));
  for (int i = 0; i < 5; i++) {
    char name[16];
    snprintf(name, sizeof(name), "web-%d", i);
    ctlfx_bind(x, name);
  }
  ctlfx_unready(x, "web-4"); /* health does not matter in burst mode */
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_scale(x, 1);
  ctlfx_run(x, SIM_MS(50));
  for (int i = 1; i < 5; i++) {
    char name[16];
    snprintf(name, sizeof(name), "web-%d", i);
    assert_true(ctl__is_terminating(ctlfx_pod(x, name)));
  }
  assert_false(ctl__is_terminating(ctlfx_pod(x, "web-0")));
}

/* --- Failed / Succeeded / terminating (§4.1 step 1, 4)
 * --------------------------------------- */

static void a_failed_pod_is_deleted_and_recreated_on_a_later_sync(void **state)
{
  struct ctl_fx *x = *state;
  uint64_t uid;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 1});
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_bind(x, "web-0");
  ctlfx_ready(x, "web-0");
  ctlfx_run(x, SIM_SEC(1));
  uid = ctlfx_pod(x, "web-0")->meta.uid;
  ctlfx_phase(x, "web-0", POD_FAILED, false);
  ctlfx_run(x, SIM_SEC(1));
  /* deleted (a Failed pod's grace is 0: removed at once), then recreated */
  assert_non_null(ctlfx_pod(x, "web-0"));
  assert_true(ctlfx_pod(x, "web-0")->meta.uid != uid);
  assert_int_equal(ctlfx_events(x, "SuccessfulDelete"), 1);
  assert_int_equal(ctlfx_events(x, "SuccessfulCreate"), 2);
  /* #123809: no RecreatingFailedPod event any more */
  assert_int_equal(ctlfx_events(x, "RecreatingFailedPod"), 0);
  assert_true(fixture_noted(&x->f, "deleting web-0: it is Failed"));
}

static void a_terminating_failed_pod_is_deleted_only_once(void **state)
{
  struct ctl_fx *x = *state;
  struct object o;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 1});
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_bind(x, "web-0");
  ctlfx_ready(x, "web-0");
  ctlfx_run(x, SIM_SEC(1));
  /* a finalizer keeps the pod around after the delete */
  o = *ctlfx_pod(x, "web-0");
  {
    const char **fin = arena_calloc(&x->f.s.arena, 1, sizeof(*fin));
    fin[0] = "example.com/hold";
    o.meta.finalizers = (struct str_list){fin, 1};
  }
  assert_int_equal(api_update(x->f.api, "kubectl", &o, NULL), API_OK);
  ctlfx_phase(x, "web-0", POD_SUCCEEDED, false);
  ctlfx_run(x, SIM_SEC(5));
  assert_true(ctl__is_terminating(ctlfx_pod(x, "web-0")));
  /* S7: exactly one delete while it exists, no replacement yet */
  assert_int_equal(ctlfx_events(x, "SuccessfulDelete"), 1);
  assert_int_equal(ctlfx_events(x, "SuccessfulCreate"), 1);
  assert_true(
      fixture_noted(&x->f, "waiting: web-0 is Succeeded and terminating"));
}

static void pre_1_31_recreates_failed_pods_in_the_same_pass(void **state)
{
  struct ctl_fx *x = *state;

  teardown(state);
  x = calloc(1, sizeof(*x));
  *state = x;
  ctlfx_init(x, 30);
  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 1});
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_ready(x, "web-0");
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_phase(x, "web-0", POD_FAILED, false);
  ctlfx_run(x, SIM_SEC(1));
  assert_true(ctlfx_event_msg(
      x, "RecreatingFailedPod",
      "StatefulSet default/web is recreating failed Pod web-0"));
  assert_non_null(ctlfx_pod(x, "web-0"));
  assert_int_equal(ctlfx_pod(x, "web-0")->u.pod.status.phase, POD_PENDING);
  ctlfx_ready(x, "web-0");
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_phase(x, "web-0", POD_SUCCEEDED, false);
  ctlfx_run(x, SIM_SEC(1));
  assert_true(ctlfx_event_msg(
      x, "RecreatingTerminatedPod",
      "StatefulSet default/web is recreating terminated Pod web-0"));
}

static void a_terminating_pod_is_not_replaced_until_gone(void **state)
{
  struct ctl_fx *x = *state;
  uint64_t uid;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 2});
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_bind(x, "web-0");
  ctlfx_ready(x, "web-0");
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_bind(x, "web-1");
  ctlfx_ready(x, "web-1");
  ctlfx_run(x, SIM_SEC(1));
  uid = ctlfx_pod(x, "web-0")->meta.uid;
  ctlfx_delete(x, "web-0");
  ctlfx_run(x, SIM_SEC(10));
  assert_int_equal(ctlfx_pod(x, "web-0")->meta.uid, uid);
  assert_true(fixture_noted(&x->f, "web-0 is terminating (OrderedReady)"));
  ctlfx_finish(x, "web-0");
  ctlfx_run(x, SIM_SEC(1));
  assert_non_null(ctlfx_pod(x, "web-0"));
  assert_true(ctlfx_pod(x, "web-0")->meta.uid != uid);
}

static void scaling_up_is_blocked_while_pod_0_terminates(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 3});
  for (int i = 0; i < 3; i++) {
    char name[16];
    ctlfx_run(x, SIM_SEC(1));
    snprintf(name, sizeof(name), "web-%d", i);
    ctlfx_bind(x, name);
    ctlfx_ready(x, name);
  }
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_delete(x, "web-0");
  ctlfx_scale(x, 5);
  ctlfx_run(x, SIM_SEC(3));
  assert_int_equal(ctlfx_count(x, KIND_POD), 3);
  ctlfx_finish(x, "web-0");
  ctlfx_run(x, SIM_SEC(1));
  /* a missing web-0 is re-created first */
  assert_int_equal(ctlfx_count(x, KIND_POD), 3);
  assert_non_null(ctlfx_pod(x, "web-0"));
  assert_null(ctlfx_pod(x, "web-3"));
}

static void start_ordinal_shifts_the_window(void **state)
{
  struct ctl_fx *x = *state;
  struct object s;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 3,
                                               .pmp = PMP_PARALLEL,
                                               .has_ordinals = true,
                                               .start = 2});
  ctlfx_run(x, SIM_SEC(1));
  assert_non_null(ctlfx_pod(x, "web-2"));
  assert_non_null(ctlfx_pod(x, "web-3"));
  assert_non_null(ctlfx_pod(x, "web-4"));
  assert_null(ctlfx_pod(x, "web-0"));
  assert_string_equal(
      kv_get(&ctlfx_pod(x, "web-3")->meta.labels, CTL_LABEL_POD_INDEX), "3");
  /* start 2 -> 4 with 2 replicas: web-2, web-3 condemned; web-4, web-5 */
  s = *ctlfx_set(x);
  s.u.sts.spec.ordinals_start = 4;
  s.u.sts.spec.replicas = 2;
  ctlfx_update_set(x, &s);
  ctlfx_run(x, SIM_SEC(1));
  assert_null(ctlfx_pod(x, "web-2"));
  assert_null(ctlfx_pod(x, "web-3"));
  assert_non_null(ctlfx_pod(x, "web-4"));
  assert_non_null(ctlfx_pod(x, "web-5"));
  /* removing ordinals: back to web-0, web-1 */
  s = *ctlfx_set(x);
  s.u.sts.spec.has_ordinals = false;
  ctlfx_update_set(x, &s);
  ctlfx_run(x, SIM_SEC(1));
  assert_non_null(ctlfx_pod(x, "web-0"));
  assert_non_null(ctlfx_pod(x, "web-1"));
  assert_null(ctlfx_pod(x, "web-4"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parse_follows_the_regex_semantics),
      cmocka_unit_test(in_range_uses_ordinals_start),
      cmocka_unit_test(phase_predicates_are_literal),
      cmocka_unit_test(running_and_available_ignores_the_phase),
      cmocka_unit_test(unavailable_is_availability_aware_from_1_34),
      cmocka_unit_test(identity_matches_checks_name_namespace_and_label),
      cmocka_unit_test(storage_matches_needs_every_claim_volume),
      cmocka_unit_test(
          revision_hash_uses_the_safe_alphabet_and_collision_count),
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
      T(claim_refs_follow_the_retention_table),
      T(syncs_start_only_after_all_caches_synced),
      T(a_watch_delay_postpones_the_start),
      T(ordered_ready_creates_web_0_then_waits),
      T(a_created_pod_has_its_identity_and_ownership),
      T(pod_index_label_follows_its_gate),
      T(claims_are_created_before_the_pod),
      T(a_low_missing_pod_is_created_even_if_higher_are_unhealthy),
      T(scale_down_deletes_the_highest_ordinal_first_one_at_a_time),
      T(scale_down_waits_for_an_unready_in_range_pod),
      T(an_unhealthy_condemned_pod_is_deleted_if_it_is_the_first),
      T(scale_to_zero_with_a_crashing_pod_0_works),
      T(parallel_creates_all_in_slow_start_batches),
      T(parallel_stops_after_a_wave_with_an_error),
      T(parallel_scale_down_deletes_all_condemned_in_one_pass),
      T(a_failed_pod_is_deleted_and_recreated_on_a_later_sync),
      T(a_terminating_failed_pod_is_deleted_only_once),
      T(pre_1_31_recreates_failed_pods_in_the_same_pass),
      T(a_terminating_pod_is_not_replaced_until_gone),
      T(scaling_up_is_blocked_while_pod_0_terminates),
      T(start_ordinal_shifts_the_window),
#undef T
  };

  return cmocka_run_group_tests_name("controller", tests, NULL, NULL);
}
