/*
 * test_nodelifecycle_mutant.c - the node lifecycle controller's mutant
 * MUTANT_NLC_FORCE_DELETE (include/mutants.h; B16, #35145) against the
 * correct controller. web-1 runs on node-2, whose kubelet loses the API
 * server at 100 s (its container keeps running). Both controllers mark
 * the node Unknown and taint it NoExecute, and the taint-eviction
 * controller deletes web-1 gracefully (30 s) 300 s later. The correct
 * node controller leaves it Terminating for as long as the partition
 * lasts; the mutant (the pre-1.5 terminationEvictor) force-deletes it when
 * its grace period is over, while its container still runs. The catch
 * scenario is tests/mutants/nodelifecycle-force-deletes-unreachable.yaml.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"
#include "mutants.h"

#define PARTITIONED_AT SIM_SEC(100)
#define UNTIL SIM_SEC(1200)

struct t {
  struct fixture f;
  void *ks, *nlc, *te, *gc;
  uint64_t uid;    /* web-1 */
  simtime evicted; /* its graceful delete (deletionTimestamp - 30 s) */
  simtime gone;    /* it left the API; NEVER: still there */
  int nc_deletes;  /* pod deletes by node-controller */
  int64_t nc_grace;
};

static void on_write(enum watch_type wt, const struct object *old,
                     const struct object *now, void *ctx)
{
  struct t *t = ctx;

  if (old && old->kind == KIND_POD && old->meta.uid == t->uid) {
    if (wt == WATCH_DELETED && t->gone == SIMTIME_NEVER)
      t->gone = engine_now(t->f.engine);
    if (wt == WATCH_MODIFIED && !meta_is_deleting(&old->meta) &&
        meta_is_deleting(&now->meta))
      t->evicted = engine_now(t->f.engine);
  }
}

static void on_request(const char *who, const char *verb, enum obj_kind kind,
                       const char *ns, const char *name, enum api_status status,
                       bool changed, void *ctx)
{
  struct t *t = ctx;

  (void)ns;
  (void)status;
  if (kind == KIND_POD && changed && !strcmp(verb, "delete") &&
      !strcmp(who, "node-controller") && !strcmp(name, "web-1"))
    t->nc_deletes++;
}

/* Partitions web-1's node at 100 s and runs to UNTIL. */
static struct t *partition_run(const char *mutant)
{
  struct t *t = calloc(1, sizeof(*t));
  struct object o;

  fixture_init(&t->f, 3, 1);
  t->f.env.mutant = mutant;
  t->gone = t->evicted = SIMTIME_NEVER;
  api_add_write_hook(t->f.api, on_write, t);
  api_add_request_hook(t->f.api, on_request, t);
  t->te = tainteviction_start(&t->f.env);
  t->nlc = nodelifecycle_start(&t->f.env);
  t->gc = podgc_start(&t->f.env);
  t->ks = kubelets_start(&t->f.env);
  o = fixture_pod(&t->f, "web-1", NULL);
  o.u.pod.spec.node_name = "node-2";
  t->uid = fixture_create(&t->f, &o)->meta.uid;
  fixture_run(&t->f, PARTITIONED_AT);
  assert_true(truth_pod(t->f.truth, t->uid)->running);
  assert_true(kubelets_partition(t->ks, "node-2"));
  fixture_run(&t->f, UNTIL);
  /* both: evicted gracefully, 300 s after the taint, after ~50 s of grace */
  assert_true(t->evicted > PARTITIONED_AT + SIM_SEC(340));
  assert_true(t->evicted < PARTITIONED_AT + SIM_SEC(370));
  /* and the container runs on, partitioned, all along */
  assert_non_null(truth_pod(t->f.truth, t->uid));
  assert_true(truth_pod(t->f.truth, t->uid)->running);
  return t;
}

static void free_t(struct t *t)
{
  podgc_stop(t->gc);
  tainteviction_stop(t->te);
  nodelifecycle_stop(t->nlc);
  kubelets_stop(t->ks);
  fixture_release(&t->f);
  free(t);
}

static int node_events(struct t *t, const char *reason)
{
  size_t nr;
  const struct event *const *v = api_events(t->f.api, &nr);
  int n = 0;

  for (size_t i = 0; i < nr; i++)
    n +=
        !strcmp(v[i]->reason, reason) && !strcmp(v[i]->involved_name, "node-2");
  return n;
}

static void
the_node_controller_leaves_the_pod_of_a_partitioned_node_terminating(
    void **state)
{
  struct t *t = partition_run(NULL);

  (void)state;
  assert_int_equal(t->gone, SIMTIME_NEVER);
  assert_non_null(fixture_get(&t->f, KIND_POD, "web-1"));
  assert_int_equal(t->nc_deletes, 0);
  assert_int_equal(node_events(t, "TerminatingEvictedPod"), 0);
  free_t(t);
}

static void
the_mutant_force_deletes_it_when_its_grace_is_over_though_it_still_runs(
    void **state)
{
  struct t *t = partition_run(MUTANT_NLC_FORCE_DELETE);
  simtime expires = t->evicted + SIM_SEC(30);
  size_t nr;
  const struct event *const *v = api_events(t->f.api, &nr);
  const struct event *ev = NULL;

  (void)state;
  /* at the deletionTimestamp, on the 100 ms eviction grid */
  assert_true(t->gone >= expires);
  assert_true(t->gone < expires + SIM_MS(100) + SIM_MS(5));
  assert_null(fixture_get(&t->f, KIND_POD, "web-1"));
  assert_int_equal(t->nc_deletes, 1);
  for (size_t i = 0; i < nr; i++)
    if (!strcmp(v[i]->reason, "TerminatingEvictedPod"))
      ev = v[i];
  assert_non_null(ev);
  assert_string_equal(ev->involved_name, "node-2");
  assert_string_equal(ev->source, "node-controller");
  assert_string_equal(ev->message,
                      "Pod web-1 has exceeded the grace period for deletion "
                      "after being evicted from Node \"node-2\" and is being "
                      "force killed");
  free_t(t);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          the_node_controller_leaves_the_pod_of_a_partitioned_node_terminating),
      cmocka_unit_test(
          the_mutant_force_deletes_it_when_its_grace_is_over_though_it_still_runs),
  };

  return cmocka_run_group_tests_name("nodelifecycle-mutant", tests, NULL, NULL);
}
