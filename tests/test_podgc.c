/*
 * test_podgc.c - the pod garbage collector (podgc.c) with the node
 * lifecycle and taint-eviction controllers and real kubelets: the
 * out-of-service taint (cluster-behaviour.md 2.7), a deleted Node's pods
 * after the 40 s quarantine (2.8), terminated pods over the threshold and
 * never-scheduled terminating pods (2.9), and what pod GC leaves alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

#define DELAY SIM_MS(5)
#define MAX_DELS 64
#define OOS "node.kubernetes.io/out-of-service"

/* A pod's removal from the store: when, by whom, its final version. */
struct del {
  simtime at;
  char who[40];
  const struct object *last; /* the last stored version */
};

struct t {
  struct fixture f;
  void *ks, *nlc, *te, *gc;
  struct del dels[MAX_DELS];
  size_t dels_nr;
  int gc_requests; /* requests by pod-garbage-collector */
};

static void on_write(enum watch_type type, const struct object *old,
                     const struct object *now, void *ctx)
{
  struct t *t = ctx;

  (void)now;
  if (type != WATCH_DELETED || old->kind != KIND_POD || t->dels_nr == MAX_DELS)
    return;
  struct del *d = &t->dels[t->dels_nr++];
  d->at = engine_now(t->f.engine);
  snprintf(d->who, sizeof(d->who), "%s", api_current_client(t->f.api));
  d->last = old;
}

static void on_request(const char *who, const char *verb, enum obj_kind kind,
                       const char *ns, const char *name, enum api_status status,
                       bool changed, void *ctx)
{
  struct t *t = ctx;

  (void)verb;
  (void)kind;
  (void)ns;
  (void)name;
  (void)status;
  (void)changed;
  if (who && !strcmp(who, "pod-garbage-collector"))
    t->gc_requests++;
}

static int setup(void **state)
{
  struct t *t = calloc(1, sizeof(*t));

  fixture_init(&t->f, 3, 1);
  api_add_write_hook(t->f.api, on_write, t);
  api_add_request_hook(t->f.api, on_request, t);
  *state = t;
  return 0;
}

static int teardown(void **state)
{
  struct t *t = *state;

  podgc_stop(t->gc);
  tainteviction_stop(t->te);
  nodelifecycle_stop(t->nlc);
  kubelets_stop(t->ks);
  fixture_release(&t->f);
  free(t);
  return 0;
}

static void start(struct t *t, bool kubelets)
{
  t->te = tainteviction_start(&t->f.env);
  t->nlc = nodelifecycle_start(&t->f.env);
  t->gc = podgc_start(&t->f.env);
  if (kubelets)
    t->ks = kubelets_start(&t->f.env);
}

static void run(struct t *t, simtime until)
{
  fixture_run(&t->f, until);
}

static const struct object *pod(struct t *t, const char *name)
{
  return fixture_get(&t->f, KIND_POD, name);
}

static const struct object *run_pod(struct t *t, const char *name,
                                    const char *node)
{
  struct object o = fixture_pod(&t->f, name, NULL);

  o.u.pod.spec.node_name = node;
  return fixture_create(&t->f, &o);
}

static const struct del *deleted(struct t *t, const char *name)
{
  for (size_t i = 0; i < t->dels_nr; i++)
    if (!strcmp(t->dels[i].last->meta.name, name))
      return &t->dels[i];
  return NULL;
}

struct taint_arg {
  struct arena *a;
  struct taint taint;
};

static bool add_taint(struct object *o, void *ctx)
{
  const struct taint_arg *p = ctx;
  size_t nr = o->u.node.taints_nr;
  struct taint *v = arena_alloc(p->a, (nr + 1) * sizeof(*v));

  if (nr)
    memcpy(v, o->u.node.taints, nr * sizeof(*v));
  v[nr] = p->taint;
  o->u.node.taints = v;
  o->u.node.taints_nr = nr + 1;
  return true;
}

/* kubectl taint node NAME node.kubernetes.io/out-of-service=nodeshutdown */
static void taint_oos(struct t *t, const char *node, enum taint_effect eff)
{
  struct taint_arg p = {&t->f.s.arena,
                        {OOS, "nodeshutdown", eff, engine_now(t->f.engine)}};

  assert_int_equal(api_patch(t->f.api, "kubectl", KIND_NODE, "", node, 0,
                             add_taint, &p, NULL),
                   API_OK);
}

/* --- out-of-service ------------------------------------------------------ */

static void
out_of_service_makes_pod_gc_force_delete_terminating_pods(void **state)
{
  struct t *t = *state;
  const struct del *d;

  start(t, true);
  run_pod(t, "web-1", "node-2");
  run_pod(t, "web-2", "node-1");
  run(t, SIM_SEC(100));
  kubelets_crash(t->ks, "node-2");
  run(t, SIM_SEC(200));
  assert_int_equal(fixture_get(&t->f, KIND_NODE, "node-2")->u.node.ready.status,
                   COND_UNKNOWN);
  assert_int_equal(t->gc_requests, 0);

  /* The admin confirms the machine is off. */
  taint_oos(t, "node-2", TAINT_NO_EXECUTE);
  /* taint eviction: no toleration for it, deleted at once (gracefully) */
  run(t, SIM_SEC(200) + SIM_MS(10));
  assert_true(pod(t, "web-1")->meta.deletion_timestamp != SIMTIME_NEVER);
  /* pod GC's next 20 s pass: Failed, then force-deleted */
  run(t, SIM_SEC(230));
  assert_null(pod(t, "web-1"));
  d = deleted(t, "web-1");
  assert_non_null(d);
  assert_string_equal(d->who, "pod-garbage-collector");
  assert_true(d->at > SIM_SEC(200) && d->at <= SIM_SEC(220) + DELAY);
  assert_int_equal(d->last->u.pod.status.phase, POD_FAILED);
  assert_int_equal(d->last->u.pod.status.disruption_target.status, COND_TRUE);
  assert_string_equal(d->last->u.pod.status.disruption_target.reason,
                      "DeletionByTaintManager");
  assert_true(
      fixture_noted(&t->f, "has the node.kubernetes.io/out-of-service"));
  /* the pod on the healthy node is untouched */
  assert_non_null(pod(t, "web-2"));
  assert_int_equal(pod(t, "web-2")->meta.deletion_timestamp, SIMTIME_NEVER);
  /* and nothing else for pod GC to do afterwards */
  int reqs = t->gc_requests;
  run(t, SIM_SEC(2000));
  assert_int_equal(t->gc_requests, reqs);
}

static void out_of_service_with_noschedule_also_counts(void **state)
{
  struct t *t = *state;
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  start(t, true);
  run_pod(t, "web-1", "node-2");
  run(t, SIM_SEC(100));
  kubelets_crash(t->ks, "node-2");
  run(t, SIM_SEC(200));
  /* a graceful delete by hand: the dead kubelet never finishes it */
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-1", &o),
      API_OK);
  run(t, SIM_SEC(400));
  assert_non_null(pod(t, "web-1"));
  taint_oos(t, "node-2", TAINT_NO_SCHEDULE);
  run(t, SIM_SEC(421));
  assert_null(pod(t, "web-1"));
  assert_string_equal(deleted(t, "web-1")->who, "pod-garbage-collector");
}

static void out_of_service_on_a_ready_node_changes_nothing(void **state)
{
  struct t *t = *state;
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  start(t, true);
  run_pod(t, "web-1", "node-2");
  run(t, SIM_SEC(60));
  taint_oos(t, "node-2", TAINT_NO_SCHEDULE);
  o.grace_seconds = 600; /* still terminating when pod GC could look */
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-1", &o),
      API_OK);
  run(t, SIM_SEC(120));
  assert_int_equal(t->gc_requests, 0);
  /* the live kubelet finishes the deletion itself */
  run(t, SIM_SEC(1000));
  assert_null(pod(t, "web-1"));
  assert_string_equal(deleted(t, "web-1")->who, "kubelet");
  assert_int_equal(t->gc_requests, 0);
}

/* --- deleted nodes ------------------------------------------------------- */

static void a_deleted_nodes_pods_go_after_the_40s_quarantine(void **state)
{
  struct t *t = *state;
  const struct del *d;
  const simtime at = SIM_SEC(100);

  start(t, true);
  run_pod(t, "web-1", "node-2");
  run_pod(t, "web-2", "node-2");
  run(t, at);
  assert_true(kubelets_remove(t->ks, "node-2"));
  assert_int_equal(api_delete(t->f.api, "cloud-node-lifecycle-controller",
                              KIND_NODE, "", "node-2", NULL),
                   API_OK);
  run(t, at + SIM_SEC(39));
  assert_non_null(pod(t, "web-1"));
  run(t, at + SIM_SEC(65));
  assert_null(pod(t, "web-1"));
  assert_null(pod(t, "web-2"));
  d = deleted(t, "web-1");
  assert_string_equal(d->who, "pod-garbage-collector");
  /* 40-60 s: the quarantine starts at the first pass that sees it */
  assert_true(d->at >= at + SIM_SEC(40));
  assert_true(d->at <= at + SIM_SEC(60) + DELAY);
  const struct pod_status *st = &d->last->u.pod.status;
  assert_int_equal(st->phase, POD_FAILED);
  assert_int_equal(st->disruption_target.status, COND_TRUE);
  assert_string_equal(st->disruption_target.reason, "DeletionByPodGC");
  assert_string_equal(st->disruption_target.message,
                      "PodGC: node no longer exists");
  assert_int_equal(deleted(t, "web-2")->at, d->at);
  assert_true(fixture_noted(&t->f, "node node-2 no longer exists"));

  /* the node lifecycle controller forgot the node */
  size_t nr;
  const struct event *const *v = api_events(t->f.api, &nr);
  bool removing = false;
  for (size_t i = 0; i < nr; i++)
    removing |=
        !strcmp(v[i]->reason, "RemovingNode") &&
        !strcmp(v[i]->message, "Node node-2 event: Removing Node node-2 from "
                               "Controller");
  assert_true(removing);
}

static void
a_node_that_comes_back_within_the_quarantine_keeps_its_pods(void **state)
{
  struct t *t = *state;

  start(t, false);
  /* bound to a node that does not exist yet (a lagging registration) */
  run_pod(t, "web-1", "node-9");
  run(t, SIM_SEC(10));
  struct object n;
  object_init(&n, KIND_NODE);
  n.meta.name = "node-9";
  n.u.node.ready = (struct condition){.status = COND_TRUE};
  fixture_create(&t->f, &n);
  run(t, SIM_SEC(200));
  assert_non_null(pod(t, "web-1"));
  assert_int_equal(t->gc_requests, 0);
}

/* --- other duties -------------------------------------------------------- */

static bool set_failed(struct object *o, void *ctx)
{
  const char *reason = ctx;

  o->u.pod.status.phase = POD_FAILED;
  o->u.pod.status.reason = reason;
  return true;
}

static void
terminated_pods_over_the_threshold_go_oldest_and_evicted_first(void **state)
{
  struct t *t = *state;
  const int n = 12500 + 2;
  char name[32];

  start(t, false);
  run(t, SIM_SEC(1));
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof(name), "job-%05d", i);
    struct object o =
        fixture_pod(&t->f, arena_strdup(&t->f.s.arena, name), NULL);
    fixture_create(&t->f, &o);
    assert_int_equal(api_patch(t->f.api, "kubelet", KIND_POD, "default",
                               o.meta.name, 0, set_failed,
                               i == n - 1 ? (void *)"Evicted" : NULL, NULL),
                     API_OK);
  }
  run(t, SIM_SEC(40));
  assert_int_equal(t->dels_nr, 2);
  /* the evicted one (the newest) and the oldest */
  assert_null(pod(t, "job-12501"));
  assert_null(pod(t, "job-00000"));
  assert_non_null(pod(t, "job-00001"));
  assert_string_equal(t->dels[0].who, "pod-garbage-collector");
  assert_string_equal(t->dels[0].last->meta.name, "job-12501");
  assert_int_equal(api_count(t->f.api, KIND_POD), 12500);
}

static void
a_never_scheduled_terminating_pod_is_marked_failed_and_deleted(void **state)
{
  struct t *t = *state;
  struct object o = fixture_pod(&t->f, "stuck", NULL);
  const char **fin = arena_calloc(&t->f.s.arena, 1, sizeof(*fin));
  struct delete_opts d = DELETE_OPTS_DEFAULT;

  start(t, false);
  fin[0] = "example.com/hold";
  o.meta.finalizers = (struct str_list){fin, 1};
  fixture_create(&t->f, &o);
  run(t, SIM_SEC(5));
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "stuck", &d),
      API_OK);
  assert_non_null(pod(t, "stuck")); /* held by its finalizer */
  run(t, SIM_SEC(30));
  assert_int_equal(pod(t, "stuck")->u.pod.status.phase, POD_FAILED);
  assert_true(t->gc_requests >= 2); /* the patch and the delete */
  assert_true(fixture_noted(&t->f, "terminating and never scheduled"));
}

static void pod_gc_does_nothing_while_nothing_is_to_collect(void **state)
{
  struct t *t = *state;

  start(t, true);
  run_pod(t, "web-1", "node-1");
  run_pod(t, "web-2", "node-2");
  run(t, SIM_MIN(60));
  assert_int_equal(t->gc_requests, 0);
  assert_int_equal(t->dels_nr, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          out_of_service_makes_pod_gc_force_delete_terminating_pods, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          out_of_service_with_noschedule_also_counts, setup, teardown),
      cmocka_unit_test_setup_teardown(
          out_of_service_on_a_ready_node_changes_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(
          a_deleted_nodes_pods_go_after_the_40s_quarantine, setup, teardown),
      cmocka_unit_test_setup_teardown(
          a_node_that_comes_back_within_the_quarantine_keeps_its_pods, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          terminated_pods_over_the_threshold_go_oldest_and_evicted_first, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          a_never_scheduled_terminating_pod_is_marked_failed_and_deleted, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          pod_gc_does_nothing_while_nothing_is_to_collect, setup, teardown),
  };

  return cmocka_run_group_tests_name("podgc", tests, NULL, NULL);
}
