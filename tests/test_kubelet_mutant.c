/*
 * test_kubelet_mutant.c - the kubelet's mutant MUTANT_KUBELET_EARLY_DELETE
 * (include/mutants.h) against the correct kubelet: web-0 runs on node-1
 * and is deleted with the default grace (30 s). The correct kubelet stops
 * the container (the app exits within 1 s of SIGTERM) and only then makes
 * its final delete; the mutant final-deletes at once, while the container
 * runs on to the end of the grace period in the ground truth. The kubelets
 * run alone (tests/helpers/kl_fixture.h). The catch scenario is
 * tests/mutants/kubelet-confirms-delete-before-stop.yaml.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kl_fixture.h"
#include "mutants.h"

#define DELETED_AT SIM_SEC(60)

/* What the ground truth held when the pod left the API. */
struct removal {
  struct kl_fixture *t;
  uint64_t uid;
  simtime at;         /* when the pod object went; NEVER: still there */
  bool running_then;  /* its containers still ran at that moment */
  simtime stopped_at; /* when its sandbox was gone; NEVER: still there */
};

static void on_write(enum watch_type wt, const struct object *old,
                     const struct object *now, void *ctx)
{
  struct removal *r = ctx;
  const struct truth_pod *tp;

  (void)now;
  if (wt != WATCH_DELETED || old->kind != KIND_POD || old->meta.uid != r->uid)
    return;
  r->at = engine_now(r->t->f.engine);
  tp = truth_pod(r->t->f.truth, r->uid);
  r->running_then = tp && tp->running;
}

static int kubelet_deletes(struct kl_fixture *t)
{
  int n = 0;

  for (size_t i = 0; i < t->reqs_nr; i++)
    n += !strcmp(t->reqs[i].who, "kubelet") &&
         !strcmp(t->reqs[i].verb, "delete") && t->reqs[i].kind == KIND_POD;
  return n;
}

/* Runs web-0 for a minute, deletes it, and follows it to the end. */
static struct removal delete_running_pod(struct kl_fixture *t,
                                         const char *mutant)
{
  struct removal r = {.t = t, .at = SIMTIME_NEVER, .stopped_at = SIMTIME_NEVER};
  struct object o = fixture_pod(&t->f, "web-0", NULL);

  t->f.env.mutant = mutant;
  kl_start(t);
  api_add_write_hook(t->f.api, on_write, &r);
  o.u.pod.spec.node_name = "node-1";
  r.uid = fixture_create(&t->f, &o)->meta.uid;
  kl_run(t, DELETED_AT);
  assert_true(truth_pod(t->f.truth, r.uid)->running);
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-0", NULL),
      API_OK);
  /* Step through the grace period to see when the sandbox goes. */
  while (engine_step(t->f.engine, DELETED_AT + SIM_SEC(90)))
    if (r.stopped_at == SIMTIME_NEVER && !truth_pod(t->f.truth, r.uid))
      r.stopped_at = engine_now(t->f.engine);
  return r;
}

static void
the_kubelet_final_deletes_a_pod_only_after_its_containers_stopped(void **state)
{
  struct kl_fixture *t = *state;
  struct removal r = delete_running_pod(t, NULL);

  assert_true(r.at != SIMTIME_NEVER);
  assert_false(r.running_then);
  /* the app exits within a second of SIGTERM; the delete follows */
  assert_true(r.stopped_at <= DELETED_AT + SIM_SEC(2));
  assert_true(r.at >= r.stopped_at);
  assert_int_equal(kubelet_deletes(t), 1);
}

static void
the_mutant_kubelet_final_deletes_at_once_while_the_containers_run_on(
    void **state)
{
  struct kl_fixture *t = *state;
  struct removal r = delete_running_pod(t, MUTANT_KUBELET_EARLY_DELETE);

  /* gone from the API as soon as the kubelet saw the deletion */
  assert_int_equal(r.at, DELETED_AT + SIM_MS(5));
  assert_true(r.running_then);
  /* its container ran the whole 30 s grace, then was killed */
  assert_int_equal(r.stopped_at, r.at + SIM_SEC(30));
  assert_null(kl_pod(t, "web-0"));
  assert_int_equal(kubelet_deletes(t), 1);
  assert_true(fixture_noted(&t->f, "before its containers have stopped"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          the_kubelet_final_deletes_a_pod_only_after_its_containers_stopped,
          kl_setup, kl_teardown),
      cmocka_unit_test_setup_teardown(
          the_mutant_kubelet_final_deletes_at_once_while_the_containers_run_on,
          kl_setup, kl_teardown),
  };

  return cmocka_run_group_tests_name("kubelet-mutant", tests, NULL, NULL);
}
