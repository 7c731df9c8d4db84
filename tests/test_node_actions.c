/*
 * test_node_actions.c - the node actions as a run carries them out
 * (sim/world/actions_node.c): nodes named directly or as "@pod:NAME",
 * `for: DUR` follow-ups the executor schedules itself, failures worded as
 * kubectl would word them, the writes kubectl and the cloud make (cordon,
 * taints with timeAdded, the Node deletion with its DeletingNode event, a
 * new Node registered by its kubelet), and the machine state left in the
 * ground truth.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apiserver.h"
#include "base.h"
#include "scenario.h"
#include "truth.h"
#include "world.h"

/* A bare pod the default scheduler places, and one it never can. */
static const char pods_yaml[] = "apiVersion: v1\n"
                                "kind: Pod\n"
                                "metadata: {name: p}\n"
                                "spec:\n"
                                "  containers:\n"
                                "    - {name: c, image: img:1}\n"
                                "---\n"
                                "apiVersion: v1\n"
                                "kind: Pod\n"
                                "metadata: {name: nowhere}\n"
                                "spec:\n"
                                "  nodeSelector: {disk: none}\n"
                                "  containers:\n"
                                "    - {name: c, image: img:1}\n"
                                "---\n";

struct run {
  struct scenario s;
  struct world *w;
};

static void run_spec(struct run *r, const char *body)
{
  static const char head[] = "apiVersion: stsim/v1alpha1\n"
                             "kind: Scenario\n"
                             "metadata: {name: t}\n"
                             "spec:\n";
  size_t n = strlen(pods_yaml) + strlen(head) + strlen(body) + 1;
  char *yaml = malloc(n);
  struct diag d;

  snprintf(yaml, n, "%s%s%s", pods_yaml, head, body);
  memset(&d, 0, sizeof(d));
  if (scenario_load_string(&r->s, "x.yaml", yaml, strlen(yaml), &d))
    fail_msg("%s:%d:%d: %s", d.file, d.line, d.col, d.msg);
  free(yaml);
  r->w = world_new(&r->s, NULL, &d);
  if (!r->w)
    fail_msg("%s", d.msg);
  world_run(r->w);
}

static void run_free(struct run *r)
{
  world_free(r->w);
  scenario_release(&r->s);
}

/* The i-th timeline line about object with this reason, or NULL. */
static const struct timeline_entry *line(struct run *r, const char *object,
                                         const char *reason, int i)
{
  size_t nr;
  const struct timeline_entry *t = world_timeline(r->w, &nr);

  for (size_t k = 0; k < nr; k++)
    if (!strcmp(t[k].object, object) && !strcmp(t[k].reason, reason) &&
        !t[k].verbose && i-- == 0)
      return &t[k];
  return NULL;
}

static const char *msg(struct run *r, const char *object, const char *reason,
                       int i)
{
  const struct timeline_entry *t = line(r, object, reason, i);

  if (!t)
    fail_msg("no line %d for %s %s", i, object, reason);
  return t->message;
}

static const struct object *get(struct run *r, enum obj_kind k,
                                const char *name)
{
  return api_get(world_api(r->w), k, obj_kind_namespaced(k) ? "default" : "",
                 name);
}

/* --- the machine ------------------------------------------------------------
 */

static void
crash_for_a_while_hits_the_pods_node_and_boots_it_again(void **state)
{
  struct run r;
  const struct object *p;
  char obj[64];

  (void)state;
  run_spec(&r, "  until: 6m\n"
               "  actions:\n"
               "    - {at: 1m, action: crash-node, node: '@pod:p', for: 2m}\n");
  p = get(&r, KIND_POD, "p");
  snprintf(obj, sizeof(obj), "Node/%s", p->u.pod.spec.node_name);
  const struct timeline_entry *c = line(&r, obj, "Action", 0);
  assert_non_null(c);
  assert_int_equal(c->at, SIM_MIN(1));
  assert_non_null(strstr(c->message, "crash-node: node-"));
  assert_non_null(strstr(c->message,
                         " crashed: its containers died; the control plane "
                         "will only notice missing heartbeats (it boots "
                         "again in 2m"));
  const struct timeline_entry *b = line(&r, obj, "Action", 1);
  assert_non_null(b);
  assert_int_equal(b->at, SIM_MIN(3));
  assert_non_null(strstr(b->message, "restart-node: node-"));
  assert_non_null(strstr(b->message, " booted: its kubelet renews its Lease"));
  assert_int_equal(truth_machine(world_truth(r.w), p->u.pod.spec.node_name),
                   MACHINE_UP);
  /* Restarted in place after the boot. */
  assert_int_equal(p->u.pod.status.phase, POD_RUNNING);
  assert_int_equal(p->u.pod.status.containers[0].restart_count, 1);
  assert_non_null(line(&r, obj, "Rebooted", 0));
  run_free(&r);
}

static void a_long_for_keeps_the_run_going_until_the_follow_up(void **state)
{
  struct run r;

  (void)state;
  /* No `until`: a quiet cluster would end the run after 5 quiet minutes;
   * the follow-up at 41m extends the horizon. */
  run_spec(&r, "  actions:\n"
               "    - when: {pod: p, becomes: Ready}\n"
               "      after: 1m\n"
               "      action: partition-node\n"
               "      node: '@pod:p'\n"
               "      for: 40m\n");
  const struct object *p = get(&r, KIND_POD, "p");
  char obj[64];
  snprintf(obj, sizeof(obj), "Node/%s", p->u.pod.spec.node_name);
  const struct timeline_entry *h = line(&r, obj, "Action", 1);
  assert_non_null(h);
  assert_non_null(strstr(h->message, "heal-node: node-"));
  assert_true(h->at > SIM_MIN(41));
  assert_true(world_end_time(r.w) >= h->at);
  assert_int_equal(truth_machine(world_truth(r.w), p->u.pod.spec.node_name),
                   MACHINE_UP);
  run_free(&r);
}

static void faults_that_do_not_apply_say_why(void **state)
{
  struct run r;

  (void)state;
  run_spec(&r, "  until: 3m\n"
               "  actions:\n"
               "    - {at: 1m, action: restart-node, node: node-1}\n"
               "    - {at: 1m, action: heal-node, node: node-2}\n"
               "    - {at: 2m, action: partition-node, node: node-3}\n"
               "    - {at: 2m, action: partition-node, node: node-3}\n");
  assert_string_equal(msg(&r, "Node/node-1", "ActionFailed", 0),
                      "restart-node: node-1 is running: nothing to boot");
  assert_string_equal(msg(&r, "Node/node-2", "ActionFailed", 0),
                      "heal-node: node-2 is not cut off: nothing to heal");
  assert_string_equal(msg(&r, "Node/node-3", "ActionFailed", 0),
                      "partition-node: node-3 is already cut off from the API "
                      "server");
  assert_int_equal(truth_machine(world_truth(r.w), "node-3"),
                   MACHINE_PARTITIONED);
  run_free(&r);
}

static void unknown_nodes_and_pods_fail_as_kubectl_would(void **state)
{
  struct run r;

  (void)state;
  run_spec(&r,
           "  until: 2m\n"
           "  actions:\n"
           "    - {at: 1m, action: crash-node, node: node-9}\n"
           "    - {at: 1m, action: cordon-node, node: node-9}\n"
           "    - {at: 1m, action: delete-node, node: node-9}\n"
           "    - {at: 1m, action: shutdown-node, node: '@pod:gone'}\n"
           "    - {at: 1m, action: partition-node, node: '@pod:nowhere'}\n");
  assert_string_equal(msg(&r, "Node/node-9", "ActionFailed", 0),
                      "crash-node: Error from server (NotFound): nodes "
                      "\"node-9\" not found");
  assert_string_equal(msg(&r, "Node/node-9", "ActionFailed", 1),
                      "cordon-node: Error from server (NotFound): nodes "
                      "\"node-9\" not found");
  assert_string_equal(msg(&r, "Node/node-9", "ActionFailed", 2),
                      "delete-node: Error from server (NotFound): nodes "
                      "\"node-9\" not found");
  assert_string_equal(msg(&r, "Pod/gone", "ActionFailed", 0),
                      "shutdown-node: Error from server (NotFound): pods "
                      "\"gone\" not found");
  assert_string_equal(msg(&r, "Pod/nowhere", "ActionFailed", 0),
                      "partition-node: pod nowhere is not bound to a node yet "
                      "(Pending): there is no node to act on");
  for (int i = 1; i <= 3; i++) {
    char n[32];
    snprintf(n, sizeof(n), "node-%d", i);
    assert_int_equal(truth_machine(world_truth(r.w), n), MACHINE_UP);
  }
  run_free(&r);
}

static void shutdown_without_grace_period_is_worded_as_a_crash(void **state)
{
  struct run r;

  (void)state;
  run_spec(&r, "  until: 2m\n"
               "  actions:\n"
               "    - {at: 1m, action: shutdown-node, node: node-2}\n");
  assert_string_equal(msg(&r, "Node/node-2", "Action", 0),
                      "shutdown-node: node-2 shut down without graceful node "
                      "shutdown (shutdownGracePeriod is 0): as in a crash, "
                      "its containers died at once");
  assert_int_equal(truth_machine(world_truth(r.w), "node-2"), MACHINE_CRASHED);
  run_free(&r);
}

static void graceful_shutdown_fails_the_pod_and_powers_off(void **state)
{
  struct run r;
  const struct object *p;

  (void)state;
  run_spec(&r, "  until: 3m\n"
               "  cluster:\n"
               "    timings: {shutdownGracePeriod: 30s,\n"
               "              shutdownGracePeriodCriticalPods: 10s}\n"
               "  actions:\n"
               "    - {at: 1m, action: shutdown-node, node: '@pod:p'}\n");
  p = get(&r, KIND_POD, "p");
  assert_int_equal(p->u.pod.status.phase, POD_FAILED);
  assert_string_equal(p->u.pod.status.reason, "Terminated");
  char obj[64];
  snprintf(obj, sizeof(obj), "Node/%s", p->u.pod.spec.node_name);
  assert_non_null(strstr(msg(&r, obj, "Action", 0),
                         "is shutting down gracefully: it posts NotReady, its "
                         "pods get up to 20s (critical pods then 10s)"));
  assert_int_equal(truth_machine(world_truth(r.w), p->u.pod.spec.node_name),
                   MACHINE_CRASHED);
  /* NotReady was posted at the shutdown; once the machine is off, its
   * heartbeats stop and the node controller marks it Unknown. */
  assert_int_equal(
      get(&r, KIND_NODE, p->u.pod.spec.node_name)->u.node.ready.status,
      COND_UNKNOWN);
  run_free(&r);
}

/* --- the cloud -------------------------------------------------------------
 */

static void delete_node_removes_the_vm_and_the_node_object(void **state)
{
  struct run r;
  size_t nr;
  const struct event *const *ev;
  bool deleting = false;

  (void)state;
  run_spec(&r, "  until: 2m\n"
               "  actions:\n"
               "    - {at: 1m, action: delete-node, node: node-3}\n");
  assert_null(get(&r, KIND_NODE, "node-3"));
  assert_int_equal(truth_machine(world_truth(r.w), "node-3"), MACHINE_GONE);
  ev = api_events(world_api(r.w), &nr);
  for (size_t i = 0; i < nr; i++)
    if (!strcmp(ev[i]->reason, "DeletingNode")) {
      assert_string_equal(ev[i]->source, "cloud-node-lifecycle-controller");
      assert_string_equal(ev[i]->message, "Deleting node node-3 because it "
                                          "does not exist in the cloud "
                                          "provider");
      deleting = true;
    }
  assert_true(deleting);
  assert_string_equal(msg(&r, "Node/node-3", "Action", 0),
                      "delete-node: the VM of node-3 was deleted and the cloud "
                      "controller deleted its Node; pod GC deletes the pods "
                      "still bound to it");
  run_free(&r);
}

static void add_node_registers_a_ready_node_in_the_next_zone(void **state)
{
  struct run r;
  const struct object *n;

  (void)state;
  run_spec(&r, "  until: 2m\n"
               "  actions:\n"
               "    - {at: 1m, action: add-node, node: node-4}\n"
               "    - {at: 1m, action: add-node, node: node-5, zone: c}\n"
               "    - {at: 1m, action: add-node, node: node-1}\n");
  n = get(&r, KIND_NODE, "node-4");
  assert_non_null(n);
  assert_int_equal(n->u.node.ready.status, COND_TRUE);
  assert_string_equal(kv_get(&n->meta.labels, "topology.kubernetes.io/zone"),
                      "a");
  assert_string_equal(kv_get(&get(&r, KIND_NODE, "node-5")->meta.labels,
                             "topology.kubernetes.io/zone"),
                      "c");
  assert_non_null(
      api_get(world_api(r.w), KIND_LEASE, "kube-node-lease", "node-4"));
  assert_string_equal(msg(&r, "Node/node-4", "Action", 0),
                      "add-node: node-4 joined the cluster in zone a: its "
                      "kubelet registered the Node, Ready");
  assert_string_equal(msg(&r, "Node/node-1", "ActionFailed", 0),
                      "add-node: Error from server (AlreadyExists): nodes "
                      "\"node-1\" already exists");
  run_free(&r);
}

/* --- kubectl -----------------------------------------------------------------
 */

static void cordon_and_uncordon_patch_the_node(void **state)
{
  struct run r;

  (void)state;
  run_spec(&r, "  until: 3m\n"
               "  actions:\n"
               "    - {at: 1m, action: cordon-node, node: node-2}\n"
               "    - {at: 1m, action: cordon-node, node: node-2}\n"
               "    - {at: 2m, action: uncordon-node, node: node-1}\n");
  assert_true(get(&r, KIND_NODE, "node-2")->u.node.unschedulable);
  assert_false(get(&r, KIND_NODE, "node-1")->u.node.unschedulable);
  assert_string_equal(msg(&r, "Node/node-2", "Action", 0),
                      "cordon-node: node/node-2 cordoned");
  assert_string_equal(msg(&r, "Node/node-2", "Action", 1),
                      "cordon-node: node/node-2 already cordoned");
  assert_string_equal(msg(&r, "Node/node-1", "Action", 0),
                      "uncordon-node: node/node-1 already uncordoned");
  /* The kubelet noticed at its next status computation. */
  assert_non_null(line(&r, "Node/node-2", "NodeNotSchedulable", 0));
  run_free(&r);
}

static void taints_are_added_first_with_time_added_and_removed(void **state)
{
  struct run r;
  const struct node *n;

  (void)state;
  run_spec(&r, "  until: 4m\n"
               "  actions:\n"
               "    - at: 1m\n"
               "      action: taint-node\n"
               "      node: node-1\n"
               "      taint: {key: dedicated, value: db, effect: NoSchedule}\n"
               "    - at: 2m\n"
               "      action: taint-node\n"
               "      node: node-1\n"
               "      taint: {key: node.kubernetes.io/out-of-service,\n"
               "              value: nodeshutdown, effect: NoExecute}\n"
               "    - at: 2m\n"
               "      action: taint-node\n"
               "      node: node-1\n"
               "      taint: {key: dedicated, effect: NoSchedule}\n"
               "    - at: 3m\n"
               "      action: untaint-node\n"
               "      node: node-1\n"
               "      taint: {key: dedicated, effect: NoSchedule}\n"
               "    - at: 3m\n"
               "      action: untaint-node\n"
               "      node: node-1\n"
               "      taint: {key: dedicated, effect: NoExecute}\n");
  n = &get(&r, KIND_NODE, "node-1")->u.node;
  assert_int_equal(n->taints_nr, 1);
  assert_string_equal(n->taints[0].key, "node.kubernetes.io/out-of-service");
  assert_string_equal(n->taints[0].value, "nodeshutdown");
  assert_int_equal(n->taints[0].effect, TAINT_NO_EXECUTE);
  assert_int_equal(n->taints[0].time_added, SIM_MIN(2));
  assert_string_equal(msg(&r, "Node/node-1", "Action", 0),
                      "taint-node: node/node-1 tainted (dedicated=db:"
                      "NoSchedule)");
  assert_string_equal(msg(&r, "Node/node-1", "Action", 1),
                      "taint-node: node/node-1 tainted "
                      "(node.kubernetes.io/out-of-service=nodeshutdown:"
                      "NoExecute)");
  assert_string_equal(msg(&r, "Node/node-1", "ActionFailed", 0),
                      "taint-node: error: node node-1 already has dedicated "
                      "taint(s) with same effect(s) and --overwrite is false");
  assert_string_equal(msg(&r, "Node/node-1", "Action", 2),
                      "untaint-node: node/node-1 untainted "
                      "(dedicated:NoSchedule)");
  assert_string_equal(msg(&r, "Node/node-1", "ActionFailed", 1),
                      "untaint-node: error: taint \"dedicated:NoExecute\" not "
                      "found");
  run_free(&r);
}

static void taint_order_puts_the_new_taint_first(void **state)
{
  struct run r;
  const struct node *n;

  (void)state;
  run_spec(&r, "  until: 2m\n"
               "  actions:\n"
               "    - {at: 1m, action: taint-node, node: node-2,\n"
               "       taint: {key: a, effect: NoSchedule}}\n"
               "    - {at: 1m, action: taint-node, node: node-2,\n"
               "       taint: {key: b, effect: PreferNoSchedule}}\n");
  n = &get(&r, KIND_NODE, "node-2")->u.node;
  assert_int_equal(n->taints_nr, 2);
  assert_string_equal(n->taints[0].key, "b");
  assert_string_equal(n->taints[1].key, "a");
  assert_int_equal(n->taints[0].time_added, SIMTIME_NEVER);
  run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(crash_for_a_while_hits_the_pods_node_and_boots_it_again),
      cmocka_unit_test(a_long_for_keeps_the_run_going_until_the_follow_up),
      cmocka_unit_test(faults_that_do_not_apply_say_why),
      cmocka_unit_test(unknown_nodes_and_pods_fail_as_kubectl_would),
      cmocka_unit_test(shutdown_without_grace_period_is_worded_as_a_crash),
      cmocka_unit_test(graceful_shutdown_fails_the_pod_and_powers_off),
      cmocka_unit_test(delete_node_removes_the_vm_and_the_node_object),
      cmocka_unit_test(add_node_registers_a_ready_node_in_the_next_zone),
      cmocka_unit_test(cordon_and_uncordon_patch_the_node),
      cmocka_unit_test(taints_are_added_first_with_time_added_and_removed),
      cmocka_unit_test(taint_order_puts_the_new_taint_first),
  };

  return cmocka_run_group_tests_name("node_actions", tests, NULL, NULL);
}
