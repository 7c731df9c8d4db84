/*
 * test_controller_traces.c - the worked traces of reference §14, step by
 * step: each pass of the controller checked against what the trace says
 * it does.
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

/* One pass: runs until the next sync has happened (and its writes). */
static void pass(struct ctl_fx *x)
{
  uint64_t syncs = ctl_syncs(x->ctl);
  simtime until = ctlfx_now(x) + SIM_MIN(10);

  while (ctl_syncs(x->ctl) == syncs && engine_step(x->f.engine, until))
    ;
  assert_true(ctl_syncs(x->ctl) > syncs);
}

/* Runs until the controller has nothing more to do right now. */
static void idle(struct ctl_fx *x)
{
  ctlfx_run(x, SIM_MS(100));
}

static const char *rev(struct ctl_fx *x, const char *pod)
{
  return ctl__pod_revision(ctlfx_pod(x, pod));
}

static void name(char *buf, int i)
{
  snprintf(buf, 16, "web-%d", i);
}

/* Trace 1: create, replicas=3 (OrderedReady). */
static void trace_1_create_three(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 3, .claims = true});
  /* pass 1 creates the PVC and pod web-0, then exits */
  pass(x);
  assert_non_null(ctlfx_pvc(x, "data-web-0"));
  assert_non_null(ctlfx_pod(x, "web-0"));
  assert_null(ctlfx_pod(x, "web-1"));
  /* web-0 Pending: pass 2 exits at index 0 */
  pass(x);
  assert_int_equal(ctlfx_pod(x, "web-0")->u.pod.status.phase, POD_PENDING);
  assert_null(ctlfx_pod(x, "web-1"));
  idle(x);
  assert_null(ctlfx_pod(x, "web-1"));
  /* web-0 Running and Ready: the pass creates web-1, and so on */
  ctlfx_ready(x, "web-0");
  pass(x);
  assert_non_null(ctlfx_pod(x, "web-1"));
  assert_non_null(ctlfx_pvc(x, "data-web-1"));
  assert_null(ctlfx_pod(x, "web-2"));
  idle(x);
  ctlfx_ready(x, "web-1");
  pass(x);
  assert_non_null(ctlfx_pod(x, "web-2"));
  idle(x);
  ctlfx_ready(x, "web-2");
  idle(x);
  assert_int_equal(ctlfx_count(x, KIND_POD), 3);
  assert_int_equal(ctlfx_set(x)->u.sts.status.ready_replicas, 3);
}

/* Trace 2: Parallel, 0 -> 1000: waves 1,2,4,...,256,489 in one pass. */
static void squat(struct ctl_fx *x, const char *pod)
{
  struct object p = fixture_pod(&x->f, pod, NULL);
  struct owner_ref *r = arena_calloc(&x->f.s.arena, 1, sizeof(*r));

  *r = (struct owner_ref){.api_version = "apps/v1",
                          .kind = "ReplicaSet",
                          .name = "other",
                          .uid = 999,
                          .controller = true};
  p.meta.owner_refs = r;
  p.meta.owner_refs_nr = 1;
  fixture_create(&x->f, &p);
}

static void trace_2_parallel_thousand_in_waves(void **state)
{
  struct ctl_fx *x = *state;

  /* A squatter at index 300 fails in the wave of 256 (indices 255-510):
   * that wave completes, the wave of 489 is not started. */
  squat(x, "web-300");
  ctlfx_start(x);
  ctlfx_create_set(
      x, &(struct ctlfx_set_opts){.replicas = 1000, .pmp = PMP_PARALLEL});
  pass(x);
  assert_int_equal(ctlfx_events(x, "SuccessfulCreate"), 510);
  assert_non_null(ctlfx_pod(x, "web-510"));
  assert_null(ctlfx_pod(x, "web-511"));
  /* status.replicas counts only what the cache shows: 0 at first */
  assert_int_equal(ctlfx_set(x)->u.sts.status.replicas, 0);
}

static void trace_2_the_last_wave_is_489(void **state)
{
  struct ctl_fx *x = *state;

  /* A squatter at index 600 fails in the last wave (511-999): every
   * other create of that wave still happens. */
  squat(x, "web-600");
  ctlfx_start(x);
  ctlfx_create_set(
      x, &(struct ctlfx_set_opts){.replicas = 1000, .pmp = PMP_PARALLEL});
  pass(x);
  assert_int_equal(ctlfx_events(x, "SuccessfulCreate"), 999);
  assert_non_null(ctlfx_pod(x, "web-999"));
}

/* Trace 3: scale 5 -> 2 with pod-1 unready. */
static void trace_3_scale_down_with_an_unready_pod(void **state)
{
  struct ctl_fx *x = *state;
  char n[16];

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 5});
  ctlfx_converge(x, SIM_SEC(30), NULL);
  assert_int_equal(ctlfx_count(x, KIND_POD), 5);
  ctlfx_unready(x, "web-1");
  idle(x);
  ctlfx_scale(x, 2);
  /* Step H exits at web-1: no deletion */
  pass(x);
  idle(x);
  assert_int_equal(ctlfx_events(x, "SuccessfulDelete"), 0);
  ctlfx_ready(x, "web-1");
  pass(x);
  assert_true(ctl__is_terminating(ctlfx_pod(x, "web-4")));
  /* the following passes wait while web-4 is terminating */
  ctlfx_unready(x, "web-4");
  pass(x);
  assert_false(ctl__is_terminating(ctlfx_pod(x, "web-3")));
  assert_true(fixture_noted(&x->f, "waiting: web-4 is terminating"));
  for (int i = 4; i >= 2; i--) {
    name(n, i);
    assert_true(ctl__is_terminating(ctlfx_pod(x, n)));
    ctlfx_finish(x, n);
    pass(x);
    if (i > 2) {
      name(n, i - 1);
      assert_true(ctl__is_terminating(ctlfx_pod(x, n)));
    }
  }
  idle(x);
  assert_int_equal(ctlfx_count(x, KIND_POD), 2);
  assert_int_equal(ctlfx_events(x, "SuccessfulDelete"), 3);
}

/* Trace 4: RollingUpdate, 3 replicas, partition 0, legacy path. */
static void trace_4_rolling_update(void **state)
{
  struct ctl_fx *x = *state;
  char old[64], upd[64], n[16];
  const struct object *set;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 3});
  ctlfx_converge(x, SIM_SEC(30), NULL);
  snprintf(old, sizeof(old), "%s", rev(x, "web-0"));
  ctlfx_set_image(x, "registry.example/app:2");
  /* the pass deletes web-2 and writes currentReplicas - 1 */
  pass(x);
  set = ctlfx_set(x);
  snprintf(upd, sizeof(upd), "%s", set->u.sts.status.update_revision);
  assert_string_not_equal(upd, old);
  assert_true(ctl__is_terminating(ctlfx_pod(x, "web-2")));
  assert_int_equal(set->u.sts.status.current_replicas, 2);
  assert_false(ctl__is_terminating(ctlfx_pod(x, "web-1")));
  for (int i = 2; i >= 0; i--) {
    name(n, i);
    ctlfx_finish(x, n);
    /* a later pass recreates it at the update revision */
    idle(x);
    assert_string_equal(rev(x, n), upd);
    if (i > 0) {
      char lower[16];
      name(lower, i - 1);
      /* not before it is Available */
      assert_false(ctl__is_terminating(ctlfx_pod(x, lower)));
      ctlfx_ready(x, n);
      pass(x);
      assert_true(ctl__is_terminating(ctlfx_pod(x, lower)));
    }
  }
  /* web-0 is Ready at the new revision: updated == ready == 3 */
  assert_string_equal(ctlfx_set(x)->u.sts.status.current_revision, old);
  ctlfx_ready(x, "web-0");
  idle(x);
  set = ctlfx_set(x);
  assert_string_equal(set->u.sts.status.current_revision, upd);
  assert_int_equal(set->u.sts.status.current_replicas, 3);
}

/* Trace 5: a bad template under OrderedReady (B1, §6.5). */
static void trace_5_bad_template_is_stuck_until_the_pod_is_deleted(void **state)
{
  struct ctl_fx *x = *state;
  const char *hold[] = {"web-2", NULL};
  char good[64];
  const struct object *r;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 3});
  ctlfx_converge(x, SIM_SEC(30), NULL);
  snprintf(good, sizeof(good), "%s", rev(x, "web-0"));
  ctlfx_set_image(x, "registry.example/app:broken");
  idle(x);
  ctlfx_finish(x, "web-2");
  idle(x);
  /* web-2 comes back with the bad template and never becomes Ready */
  ctlfx_phase(x, "web-2", POD_RUNNING, false);
  ctlfx_converge(x, SIM_SEC(30), hold);
  assert_string_not_equal(rev(x, "web-2"), good);
  assert_true(fixture_noted(&x->f, "web-2 is not Running and Ready"));
  /* revert: the update revision is the good one again, number bumped */
  ctlfx_set_image(x, "registry.example/app:1");
  ctlfx_converge(x, SIM_SEC(30), hold);
  assert_string_equal(ctlfx_set(x)->u.sts.status.update_revision, good);
  r = fixture_get(&x->f, KIND_CONTROLLERREVISION, good);
  assert_int_equal(r->u.rev.revision, 3);
  /* still stuck: Step H waits for the broken web-2 */
  assert_string_not_equal(rev(x, "web-2"), good);
  assert_false(ctl__is_terminating(ctlfx_pod(x, "web-2")));
  /* forced rollback: delete the broken pod */
  ctlfx_delete(x, "web-2");
  ctlfx_converge(x, SIM_SEC(30), NULL);
  assert_string_equal(rev(x, "web-2"), good);
  assert_string_equal(ctlfx_set(x)->u.sts.status.current_revision, good);
}

/* Trace 6: partition 2 of 5, web-0 deleted by hand. */
static void trace_6_partition_and_a_manual_delete(void **state)
{
  struct ctl_fx *x = *state;
  char old[64], order[128] = "";
  size_t nr;
  const struct event *const *ev;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 5, .partition = 2});
  ctlfx_converge(x, SIM_SEC(30), NULL);
  snprintf(old, sizeof(old), "%s", rev(x, "web-0"));
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_delete(x, "web-0");
  ctlfx_converge(x, SIM_SEC(60), NULL);
  /* web-0 comes back at the current revision */
  assert_string_equal(rev(x, "web-0"), old);
  assert_string_equal(rev(x, "web-1"), old);
  /* deletions for the update: index 4 down to 2 */
  ev = api_events(x->f.api, &nr);
  for (size_t i = 0; i < nr; i++)
    if (!strcmp(ev[i]->reason, "SuccessfulDelete")) {
      char p[16];
      sscanf(ev[i]->message, "delete Pod %15s", p);
      strcat(order, p);
      strcat(order, " ");
    }
  assert_string_equal(order, "web-4 web-3 web-2 ");
}

/* Trace 7: whenScaled=Delete, 3 -> 1 (Parallel), then back to 3. */
static void trace_7_scale_down_and_up_with_when_scaled_delete(void **state)
{
  struct ctl_fx *x = *state;
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  uint64_t u1, u2, c1;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 3,
                                               .pmp = PMP_PARALLEL,
                                               .claims = true,
                                               .when_scaled = DELETE});
  ctlfx_converge(x, SIM_SEC(30), NULL);
  u1 = ctlfx_pod(x, "web-1")->meta.uid;
  u2 = ctlfx_pod(x, "web-2")->meta.uid;
  c1 = ctlfx_pvc(x, "data-web-1")->meta.uid;
  ctlfx_scale(x, 1);
  /* one pass: Step I stamps pod refs, Step J deletes both pods */
  pass(x);
  assert_int_equal(meta_controller_ref(&ctlfx_pvc(x, "data-web-1")->meta)->uid,
                   u1);
  assert_int_equal(meta_controller_ref(&ctlfx_pvc(x, "data-web-2")->meta)->uid,
                   u2);
  assert_true(ctl__is_terminating(ctlfx_pod(x, "web-1")));
  assert_true(ctl__is_terminating(ctlfx_pod(x, "web-2")));
  /* the pods go; the GC (played here) has not removed data-web-1 yet */
  ctlfx_finish(x, "web-1");
  ctlfx_finish(x, "web-2");
  assert_int_equal(api_delete(x->f.api, "generic-garbage-collector", KIND_PVC,
                              "default", "data-web-2", &o),
                   API_OK);
  idle(x);
  /* scale back to 3 before the GC finished: web-1 waits silently */
  ctlfx_scale(x, 3);
  pass(x);
  idle(x);
  assert_null(ctlfx_pod(x, "web-1"));
  assert_non_null(ctlfx_pod(x, "web-2"));
  assert_true(fixture_noted(&x->f, "claim data-web-1 still belongs to a "
                                   "previous web-1"));
  assert_false(fixture_noted(&x->f, "sync failed"));
  /* the GC removes it: a fresh claim and pod */
  assert_int_equal(api_delete(x->f.api, "generic-garbage-collector", KIND_PVC,
                              "default", "data-web-1", &o),
                   API_OK);
  ctlfx_unready(x, "web-0"); /* any pod event: PVC events enqueue nothing */
  pass(x);
  assert_non_null(ctlfx_pod(x, "web-1"));
  assert_true(ctlfx_pvc(x, "data-web-1")->meta.uid != c1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(trace_1_create_three),
      T(trace_2_parallel_thousand_in_waves),
      T(trace_2_the_last_wave_is_489),
      T(trace_3_scale_down_with_an_unready_pod),
      T(trace_4_rolling_update),
      T(trace_5_bad_template_is_stuck_until_the_pod_is_deleted),
      T(trace_6_partition_and_a_manual_delete),
      T(trace_7_scale_down_and_up_with_when_scaled_delete),
  };
#undef T

  return cmocka_run_group_tests_name("controller_traces", tests, NULL, NULL);
}
