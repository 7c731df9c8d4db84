/*
 * test_nodelifecycle.c - the control plane's reaction to a node that stops
 * heartbeating (nodelifecycle.c, tainteviction.c): the timeline of
 * cluster-behaviour.md 1.8 for both grace periods, recovery, tolerations,
 * zone disruption and the eviction rate limit, DefaultTolerationSeconds,
 * the cost of an idle cluster, determinism.
 *
 * The real kubelets run on the fixture's nodes; a node "fails" through
 * kubelets_crash (no more Lease renewals or status posts - all the control
 * plane ever sees). Pods are created bound to their node (the test plays
 * the scheduler).
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

#define MAX_REQS 4096
#define DELAY SIM_MS(5) /* the watch delay of the fixture */

struct req {
  simtime at;
  char who[40];
  char verb[16];
  enum obj_kind kind;
  char name[64];
  enum api_status st;
};

struct t {
  struct fixture f;
  void *ks, *nlc, *te, *gc;
  struct req reqs[MAX_REQS];
  size_t reqs_nr;
};

static void on_request(const char *who, const char *verb, enum obj_kind kind,
                       const char *ns, const char *name, enum api_status status,
                       bool changed, void *ctx)
{
  struct t *t = ctx;
  struct req *r;

  (void)ns;
  (void)changed;
  if (t->reqs_nr == MAX_REQS)
    return;
  r = &t->reqs[t->reqs_nr++];
  r->at = engine_now(t->f.engine);
  snprintf(r->who, sizeof(r->who), "%s", who ? who : "");
  snprintf(r->verb, sizeof(r->verb), "%s", verb);
  r->kind = kind;
  snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
  r->st = status;
}

static struct t *new_t(int nodes, uint64_t seed)
{
  struct t *t = calloc(1, sizeof(*t));

  fixture_init(&t->f, nodes, seed);
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

static int setup(void **state)
{
  *state = new_t(3, 1);
  return 0;
}

static int teardown(void **state)
{
  free_t(*state);
  return 0;
}

/* Kubernetes 1.minor and its timings, before anything starts. */
static void set_version(struct t *t, int minor)
{
  t->f.s.kubernetes_minor = minor;
  timings_defaults(&t->f.s.timings, minor);
}

/* Every node in zone z (before the components start). */
static void one_zone(struct t *t, const char *z)
{
  for (size_t i = 0; i < t->f.s.nodes_nr; i++) {
    const struct object *n =
        fixture_get(&t->f, KIND_NODE, t->f.s.nodes[i].name);
    struct object o = *n;
    struct kv *l = arena_calloc(&t->f.s.arena, 2, sizeof(*l));
    l[0] = (struct kv){"kubernetes.io/hostname", n->meta.name};
    l[1] = (struct kv){"topology.kubernetes.io/zone", z};
    o.meta.labels = (struct kv_list){l, 2};
    assert_int_equal(api_update(t->f.api, "kubectl", &o, NULL), API_OK);
  }
}

/* The admission plugin comes with the taint-eviction controller. */
static void start(struct t *t, bool kubelets)
{
  api_add_request_hook(t->f.api, on_request, t);
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

static const struct object *node(struct t *t, const char *name)
{
  return fixture_get(&t->f, KIND_NODE, name);
}

static const struct object *pod(struct t *t, const char *name)
{
  return fixture_get(&t->f, KIND_POD, name);
}

static simtime renewed(struct t *t, const char *name)
{
  const struct object *l =
      api_get(t->f.api, KIND_LEASE, "kube-node-lease", name);
  assert_non_null(l);
  return l->u.lease.renew_time;
}

static struct object pod_on(struct t *t, const char *name, const char *node_)
{
  struct object o = fixture_pod(&t->f, name, NULL);

  o.u.pod.spec.node_name = node_;
  return o;
}

static const struct object *run_pod(struct t *t, const char *name,
                                    const char *node_)
{
  struct object o = pod_on(t, name, node_);
  return fixture_create(&t->f, &o);
}

static const struct taint *taint_of(const struct object *n, const char *key,
                                    enum taint_effect eff)
{
  for (size_t i = 0; i < n->u.node.taints_nr; i++)
    if (n->u.node.taints[i].effect == eff &&
        !strcmp(n->u.node.taints[i].key, key))
      return &n->u.node.taints[i];
  return NULL;
}

/* The nth (0-based) event version with this reason about object name whose
 * message contains msg (NULL: any), or NULL. */
static const struct event *event(struct t *t, const char *reason,
                                 const char *name, const char *msg, int nth)
{
  size_t nr;
  const struct event *const *v = api_events(t->f.api, &nr);

  for (size_t i = 0; i < nr; i++) {
    if (strcmp(v[i]->reason, reason) || strcmp(v[i]->involved_name, name))
      continue;
    if (msg && !strstr(v[i]->message, msg))
      continue;
    if (nth-- == 0)
      return v[i];
  }
  return NULL;
}

static int events_nr(struct t *t, const char *reason, const char *name,
                     const char *msg)
{
  int n = 0;

  while (event(t, reason, name, msg, n))
    n++;
  return n;
}

static int requests(struct t *t, const char *who, const char *verb,
                    enum obj_kind kind, const char *name)
{
  int n = 0;

  for (size_t i = 0; i < t->reqs_nr; i++)
    if ((!who || !strcmp(t->reqs[i].who, who)) &&
        !strcmp(t->reqs[i].verb, verb) && t->reqs[i].kind == kind &&
        (!name || !strcmp(t->reqs[i].name, name)))
      n++;
  return n;
}

/* --- the timeline --------------------------------------------------------- */

/*
 * Crashes node-2 at 100 s, running web-1, and checks the 1.8 timeline from
 * the last heartbeat L: Ready=Unknown at L + grace (+ one monitor period),
 * the taints, the events, the pod NotReady, the eviction 300 s after the
 * NoExecute taint, then nothing more for an hour.
 */
static void check_timeline(struct t *t, simtime grace)
{
  const simtime period = t->f.s.timings.v[TIMING_NODE_MONITOR_PERIOD];
  const struct object *n, *p;
  const struct taint *ns, *ne;
  const struct event *ev;

  start(t, true);
  run_pod(t, "web-1", "node-2");
  run(t, SIM_SEC(100));
  assert_int_equal(pod(t, "web-1")->u.pod.status.ready.status, COND_TRUE);
  simtime last = renewed(t, "node-2");
  assert_true(kubelets_crash(t->ks, "node-2"));
  run(t, SIM_SEC(600));

  /* Ready=Unknown, reason and message as upstream, on every condition */
  n = node(t, "node-2");
  assert_int_equal(n->u.node.ready.status, COND_UNKNOWN);
  assert_string_equal(n->u.node.ready.reason, "NodeStatusUnknown");
  assert_string_equal(n->u.node.ready.message,
                      "Kubelet stopped posting node status.");
  assert_int_equal(n->u.node.memory_pressure.status, COND_UNKNOWN);
  assert_string_equal(n->u.node.memory_pressure.reason,
                      "NodeStatusNeverUpdated");
  assert_string_equal(n->u.node.disk_pressure.message,
                      "Kubelet never posted node status.");
  assert_int_equal(n->u.node.pid_pressure.status, COND_UNKNOWN);
  assert_int_equal(n->u.node.network_unavailable.status, COND_UNSET);
  simtime unknown = n->u.node.ready.last_transition_time;
  assert_true(unknown >= last + grace);
  assert_true(unknown <= last + grace + period + DELAY);
  /* the other nodes are fine */
  assert_int_equal(node(t, "node-1")->u.node.ready.status, COND_TRUE);
  assert_int_equal(node(t, "node-3")->u.node.taints_nr, 0);

  /* NodeNotReady on the node, once */
  assert_int_equal(events_nr(t, "NodeNotReady", "node-2", NULL), 1);
  ev = event(t, "NodeNotReady", "node-2", NULL, 0);
  assert_string_equal(ev->message, "Node node-2 status is now: NodeNotReady");
  assert_string_equal(ev->source, "node-controller");
  assert_int_equal(ev->type, EVENT_NORMAL);
  assert_int_equal(ev->first_timestamp, unknown);

  /* unreachable:NoSchedule at once, unreachable:NoExecute one pass later
   * (queued from the observed condition), through the zone limiter */
  ns = taint_of(n, "node.kubernetes.io/unreachable", TAINT_NO_SCHEDULE);
  ne = taint_of(n, "node.kubernetes.io/unreachable", TAINT_NO_EXECUTE);
  assert_non_null(ns);
  assert_non_null(ne);
  assert_true(ns->time_added >= unknown && ns->time_added <= unknown + DELAY);
  assert_true(ne->time_added > unknown);
  assert_true(ne->time_added <= unknown + period + SIM_MS(100) + DELAY);
  assert_null(taint_of(n, "node.kubernetes.io/not-ready", TAINT_NO_EXECUTE));

  /* the pod: Ready=False at the transition, a Warning, phase unchanged */
  p = pod(t, "web-1");
  assert_int_equal(p->u.pod.status.ready.status, COND_FALSE);
  assert_int_equal(p->u.pod.status.ready.last_transition_time, unknown);
  assert_int_equal(p->u.pod.status.phase, POD_RUNNING);
  ev = event(t, "NodeNotReady", "web-1", NULL, 0);
  assert_non_null(ev);
  assert_string_equal(ev->message, "Node is not ready");
  assert_int_equal(ev->type, EVENT_WARNING);

  /* the tolerations the admission plugin gave it */
  const struct pod_spec *sp = &p->u.pod.spec;
  assert_int_equal(sp->tolerations_nr, 2);
  assert_int_equal(sp->tolerations[1].toleration_seconds, 300);

  /* the eviction: 300 s after the taint was seen, a graceful delete */
  ev = event(t, "TaintManagerEviction", "web-1",
             "Marking for deletion Pod default/web-1", 0);
  assert_non_null(ev);
  assert_string_equal(ev->source, "taint-eviction-controller");
  simtime evicted = ev->first_timestamp;
  assert_true(evicted >= ne->time_added + SIM_SEC(300));
  assert_true(evicted <= ne->time_added + SIM_SEC(300) + DELAY);
  assert_true(evicted >= last + grace + SIM_SEC(300));
  assert_true(evicted <= last + grace + SIM_SEC(300) + 2 * period + SIM_SEC(1));
  assert_int_equal(p->meta.deletion_timestamp, evicted + SIM_SEC(30));
  assert_int_equal(p->u.pod.status.disruption_target.status, COND_TRUE);
  assert_string_equal(p->u.pod.status.disruption_target.reason,
                      "DeletionByTaintManager");
  assert_null(event(t, "TaintManagerEviction", "web-1", "Cancelling", 0));

  /* and nothing more: Terminating for an hour, one delete, no force */
  run(t, SIM_SEC(600) + SIM_MIN(60));
  p = pod(t, "web-1");
  assert_non_null(p);
  assert_int_equal(p->meta.deletion_timestamp, evicted + SIM_SEC(30));
  assert_int_equal(requests(t, NULL, "delete", KIND_POD, "web-1"), 1);
  assert_int_equal(
      requests(t, "taint-eviction-controller", "delete", KIND_POD, "web-1"), 1);
  assert_int_equal(events_nr(t, "TaintManagerEviction", "web-1", NULL), 1);
  assert_int_equal(events_nr(t, "NodeNotReady", "node-2", NULL), 1);
}

static void a_crashed_node_is_unknown_after_50s_and_its_pods_evicted_300s_later(
    void **state)
{
  check_timeline(*state, SIM_SEC(50));
}

static void with_kubernetes_1_31_the_grace_period_is_40s(void **state)
{
  struct t *t = *state;

  set_version(t, 31);
  check_timeline(t, SIM_SEC(40));
}

static void every_node_is_registered_once_by_the_first_pass(void **state)
{
  struct t *t = *state;
  const struct event *ev;

  start(t, true);
  run(t, SIM_SEC(30));
  for (int i = 1; i <= 3; i++) {
    char name[32];
    snprintf(name, sizeof(name), "node-%d", i);
    assert_int_equal(events_nr(t, "RegisteredNode", name, NULL), 1);
  }
  ev = event(t, "RegisteredNode", "node-1", NULL, 0);
  assert_string_equal(
      ev->message, "Node node-1 event: Registered Node node-1 in Controller");
  assert_int_equal(ev->first_timestamp, DELAY);
}

/* --- recovery ------------------------------------------------------------- */

static void
a_node_back_before_the_toleration_ends_loses_its_taints_and_keeps_its_pods(
    void **state)
{
  struct t *t = *state;
  const struct object *n;

  start(t, true);
  run_pod(t, "web-1", "node-2");
  run(t, SIM_SEC(100));
  kubelets_crash(t->ks, "node-2");
  run(t, SIM_SEC(250));
  n = node(t, "node-2");
  assert_non_null(
      taint_of(n, "node.kubernetes.io/unreachable", TAINT_NO_EXECUTE));
  assert_non_null(
      taint_of(n, "node.kubernetes.io/unreachable", TAINT_NO_SCHEDULE));

  assert_true(kubelets_restart(t->ks, "node-2"));
  run(t, SIM_SEC(300));
  n = node(t, "node-2");
  assert_int_equal(n->u.node.ready.status, COND_TRUE);
  assert_int_equal(n->u.node.taints_nr, 0);
  /* the pending eviction was cancelled, with the upstream event */
  const struct event *ev =
      event(t, "TaintManagerEviction", "web-1", "Cancelling", 0);
  assert_non_null(ev);
  assert_string_equal(ev->message, "Cancelling deletion of Pod default/web-1");
  assert_true(ev->first_timestamp > SIM_SEC(250));

  run(t, SIM_SEC(1200));
  assert_non_null(pod(t, "web-1"));
  assert_int_equal(pod(t, "web-1")->meta.deletion_timestamp, SIMTIME_NEVER);
  assert_null(event(t, "TaintManagerEviction", "web-1", "Marking", 0));
  /* one NotReady transition, one taint per kind: no flapping */
  assert_int_equal(events_nr(t, "NodeNotReady", "node-2", NULL), 1);
}

static void a_partitioned_node_looks_like_a_crashed_one(void **state)
{
  struct t *t = *state;

  start(t, true);
  run_pod(t, "web-1", "node-2");
  run(t, SIM_SEC(100));
  assert_true(kubelets_partition(t->ks, "node-2"));
  run(t, SIM_SEC(500));
  assert_int_equal(node(t, "node-2")->u.node.ready.status, COND_UNKNOWN);
  assert_non_null(pod(t, "web-1"));
  assert_true(pod(t, "web-1")->meta.deletion_timestamp != SIMTIME_NEVER);
  /* the containers still run: nobody in the control plane can tell */
  assert_non_null(truth_pod(t->f.truth, pod(t, "web-1")->meta.uid));
}

/* Events with this reason about name from source. */
static int events_from(struct t *t, const char *reason, const char *name,
                       const char *source)
{
  int n = 0;
  const struct event *ev;

  for (int i = 0; (ev = event(t, reason, name, NULL, i)); i++)
    n += !strcmp(ev->source, source);
  return n;
}

static void
a_node_posting_not_ready_gets_not_ready_then_unreachable(void **state)
{
  struct t *t = *state;
  const simtime period = t->f.s.timings.v[TIMING_NODE_MONITOR_PERIOD];
  const struct object *n;

  t->f.s.timings.v[TIMING_SHUTDOWN_GRACE_PERIOD] = SIM_SEC(30);
  t->f.s.timings.v[TIMING_SHUTDOWN_GRACE_PERIOD_CRITICAL] = SIM_SEC(10);
  start(t, true);
  run_pod(t, "web-1", "node-2");
  run(t, SIM_SEC(100));
  assert_true(kubelets_shutdown(t->ks, "node-2"));
  run(t, SIM_SEC(112));
  /* the kubelet itself posts Ready=False: not-ready taints, through the
   * same queue; the node controller sends no NodeNotReady for that */
  n = node(t, "node-2");
  assert_int_equal(n->u.node.ready.status, COND_FALSE);
  assert_non_null(
      taint_of(n, "node.kubernetes.io/not-ready", TAINT_NO_SCHEDULE));
  assert_non_null(
      taint_of(n, "node.kubernetes.io/not-ready", TAINT_NO_EXECUTE));
  assert_int_equal(events_from(t, "NodeNotReady", "node-2", "kubelet"), 1);

  /* powered off: no more heartbeats, Unknown, and the NoExecute taint is
   * swapped at the next pass without waiting for the queue */
  run(t, SIM_SEC(400));
  n = node(t, "node-2");
  assert_int_equal(n->u.node.ready.status, COND_UNKNOWN);
  const struct taint *u =
      taint_of(n, "node.kubernetes.io/unreachable", TAINT_NO_EXECUTE);
  assert_non_null(u);
  assert_int_equal(u->time_added,
                   n->u.node.ready.last_transition_time + period);
  assert_null(taint_of(n, "node.kubernetes.io/not-ready", TAINT_NO_EXECUTE));
  assert_null(taint_of(n, "node.kubernetes.io/not-ready", TAINT_NO_SCHEDULE));
  assert_non_null(
      taint_of(n, "node.kubernetes.io/unreachable", TAINT_NO_SCHEDULE));
  /* a False -> Unknown change is no Ready -> NotReady transition */
  assert_int_equal(events_from(t, "NodeNotReady", "node-2", "node-controller"),
                   0);
}

/* --- tolerations ---------------------------------------------------------- */

static struct toleration tolerate_unreachable(int64_t seconds)
{
  return (struct toleration){.key = "node.kubernetes.io/unreachable",
                             .op = TOLERATE_EXISTS,
                             .effect = TAINT_NO_EXECUTE,
                             .toleration_seconds = seconds};
}

static void
pods_with_their_own_toleration_seconds_keep_their_own_timer(void **state)
{
  struct t *t = *state;
  struct object a = pod_on(t, "short", "node-2");
  struct object b = pod_on(t, "forever", "node-2");
  struct toleration ta = tolerate_unreachable(60),
                    tb = tolerate_unreachable(-1);

  start(t, true);
  a.u.pod.spec.tolerations = &ta;
  a.u.pod.spec.tolerations_nr = 1;
  b.u.pod.spec.tolerations = &tb;
  b.u.pod.spec.tolerations_nr = 1;
  fixture_create(&t->f, &a);
  fixture_create(&t->f, &b);
  run_pod(t, "default", "node-2");
  /* their own unreachable tolerations were kept; not-ready was added */
  assert_int_equal(pod(t, "short")->u.pod.spec.tolerations_nr, 2);
  assert_int_equal(
      pod(t, "short")->u.pod.spec.tolerations[0].toleration_seconds, 60);
  run(t, SIM_SEC(100));
  kubelets_crash(t->ks, "node-2");
  run(t, SIM_SEC(900));

  simtime tainted = taint_of(node(t, "node-2"),
                             "node.kubernetes.io/unreachable", TAINT_NO_EXECUTE)
                        ->time_added;
  const struct event *es =
      event(t, "TaintManagerEviction", "short", "Marking", 0);
  const struct event *ed =
      event(t, "TaintManagerEviction", "default", "Marking", 0);
  assert_non_null(es);
  assert_non_null(ed);
  assert_int_equal(es->first_timestamp, tainted + DELAY + SIM_SEC(60));
  assert_int_equal(ed->first_timestamp, tainted + DELAY + SIM_SEC(300));
  assert_null(event(t, "TaintManagerEviction", "forever", NULL, 0));
  assert_int_equal(pod(t, "forever")->meta.deletion_timestamp, SIMTIME_NEVER);
}

static void a_noexecute_taint_nobody_tolerates_deletes_at_once(void **state)
{
  struct t *t = *state;
  const struct object *n;
  struct object o;
  struct taint *tn;

  start(t, true);
  run_pod(t, "web-1", "node-1");
  run(t, SIM_SEC(60));
  n = node(t, "node-1");
  o = *n;
  tn = arena_calloc(&t->f.s.arena, 1, sizeof(*tn));
  *tn = (struct taint){"example.com/maintenance", "now", TAINT_NO_EXECUTE,
                       SIM_SEC(60)};
  o.u.node.taints = tn;
  o.u.node.taints_nr = 1;
  assert_int_equal(api_update(t->f.api, "kubectl", &o, NULL), API_OK);
  run(t, SIM_SEC(61));
  const struct event *ev =
      event(t, "TaintManagerEviction", "web-1", "Marking", 0);
  assert_non_null(ev);
  assert_int_equal(ev->first_timestamp, SIM_SEC(60) + DELAY);
  /* graceful: the live kubelet then finishes it */
  run(t, SIM_SEC(120));
  assert_null(pod(t, "web-1"));
  assert_int_equal(requests(t, "kubelet", "delete", KIND_POD, "web-1"), 1);
}

/* --- zones and rate limits ------------------------------------------------ */

static void when_every_zone_is_fully_disrupted_evictions_stop(void **state)
{
  struct t *t = *state; /* three nodes, zones a, b, c */

  start(t, true);
  run_pod(t, "a", "node-1");
  run_pod(t, "b", "node-2");
  run_pod(t, "c", "node-3");
  run(t, SIM_SEC(100));
  kubelets_crash(t->ks, "node-1");
  kubelets_crash(t->ks, "node-2");
  kubelets_crash(t->ks, "node-3");
  run(t, SIM_SEC(1000));
  assert_true(fixture_noted(&t->f, "every zone is fully disrupted"));
  for (int i = 1; i <= 3; i++) {
    char name[32];
    snprintf(name, sizeof(name), "node-%d", i);
    const struct object *n = node(t, name);
    assert_int_equal(n->u.node.ready.status, COND_UNKNOWN);
    assert_null(
        taint_of(n, "node.kubernetes.io/unreachable", TAINT_NO_EXECUTE));
    assert_non_null(
        taint_of(n, "node.kubernetes.io/unreachable", TAINT_NO_SCHEDULE));
  }
  assert_int_equal(pod(t, "a")->meta.deletion_timestamp, SIMTIME_NEVER);
  assert_int_equal(pod(t, "b")->meta.deletion_timestamp, SIMTIME_NEVER);
  assert_int_equal(pod(t, "c")->meta.deletion_timestamp, SIMTIME_NEVER);

  /* one node back: out of master disruption, the others are tainted */
  kubelets_restart(t->ks, "node-1");
  run(t, SIM_SEC(1060));
  assert_true(fixture_noted(&t->f, "some nodes are Ready again"));
  assert_non_null(taint_of(node(t, "node-2"), "node.kubernetes.io/unreachable",
                           TAINT_NO_EXECUTE));
  assert_non_null(taint_of(node(t, "node-3"), "node.kubernetes.io/unreachable",
                           TAINT_NO_EXECUTE));
  run(t, SIM_SEC(1400));
  assert_true(pod(t, "b")->meta.deletion_timestamp != SIMTIME_NEVER);
  assert_int_equal(pod(t, "a")->meta.deletion_timestamp, SIMTIME_NEVER);
}

static void a_small_zone_in_partial_disruption_gets_no_new_taints(void **state)
{
  struct t *t = new_t(4, 1);
  int tainted = 0;

  free_t(*state);
  *state = t;
  one_zone(t, "a");
  start(t, true);
  run(t, SIM_SEC(100));
  kubelets_crash(t->ks, "node-2");
  kubelets_crash(t->ks, "node-3");
  kubelets_crash(t->ks, "node-4");
  run(t, SIM_SEC(1000));
  assert_true(fixture_noted(&t->f, "zone is now PartialDisruption: no new "
                                   "NoExecute taints"));
  simtime last_unknown = 0;
  for (int i = 2; i <= 4; i++) {
    char name[32];
    snprintf(name, sizeof(name), "node-%d", i);
    const struct object *n = node(t, name);
    assert_int_equal(n->u.node.ready.status, COND_UNKNOWN);
    if (n->u.node.ready.last_transition_time > last_unknown)
      last_unknown = n->u.node.ready.last_transition_time;
  }
  for (int i = 2; i <= 4; i++) {
    char name[32];
    snprintf(name, sizeof(name), "node-%d", i);
    const struct object *n = node(t, name);
    const struct taint *x =
        taint_of(n, "node.kubernetes.io/unreachable", TAINT_NO_EXECUTE);
    if (!x)
      continue;
    tainted++;
    /* no taint once the third node made the zone PartialDisruption */
    assert_true(x->time_added <= last_unknown);
  }
  assert_true(tainted <= 2);
  /* the node that tipped the zone over is never tainted */
  for (int i = 2; i <= 4; i++) {
    char name[32];
    snprintf(name, sizeof(name), "node-%d", i);
    const struct object *n = node(t, name);
    if (n->u.node.ready.last_transition_time == last_unknown)
      assert_null(
          taint_of(n, "node.kubernetes.io/unreachable", TAINT_NO_EXECUTE));
  }
}

static void a_zone_taints_one_node_per_10s(void **state)
{
  struct t *t = new_t(5, 3);

  free_t(*state);
  *state = t;
  one_zone(t, "a");
  start(t, true);
  run(t, SIM_SEC(100));
  kubelets_crash(t->ks, "node-2");
  kubelets_crash(t->ks, "node-3");
  run(t, SIM_SEC(300));
  const struct object *n2 = node(t, "node-2"), *n3 = node(t, "node-3");
  const struct taint *x2 =
      taint_of(n2, "node.kubernetes.io/unreachable", TAINT_NO_EXECUTE);
  const struct taint *x3 =
      taint_of(n3, "node.kubernetes.io/unreachable", TAINT_NO_EXECUTE);
  assert_non_null(x2);
  assert_non_null(x3);
  simtime d = x3->time_added - x2->time_added;
  simtime du = n3->u.node.ready.last_transition_time -
               n2->u.node.ready.last_transition_time;
  if (d < 0) {
    d = -d;
    du = -du;
  }
  assert_true(d >= SIM_SEC(10));
  /* the second waited for the token only */
  assert_true(d <= (du > SIM_SEC(5) ? du : SIM_SEC(5)) + SIM_SEC(10));
}

static int cmp_time(const void *a, const void *b)
{
  simtime x = *(const simtime *)a, y = *(const simtime *)b;

  return x < y ? -1 : x > y;
}

static void
a_large_zone_in_partial_disruption_taints_one_node_per_100s(void **state)
{
  struct t *t = new_t(60, 1);
  simtime times[60];
  int nr = 0;

  free_t(*state);
  *state = t;
  one_zone(t, "a");
  start(t, true);
  run(t, SIM_SEC(100));
  for (int i = 1; i <= 40; i++) {
    char name[32];
    snprintf(name, sizeof(name), "node-%d", i);
    kubelets_crash(t->ks, name);
  }
  run(t, SIM_SEC(1300));
  assert_true(fixture_noted(&t->f, "zone is now PartialDisruption"));
  assert_false(fixture_noted(&t->f, "no new NoExecute taints"));
  for (int i = 1; i <= 40; i++) {
    char name[32];
    snprintf(name, sizeof(name), "node-%d", i);
    const struct taint *x = taint_of(
        node(t, name), "node.kubernetes.io/unreachable", TAINT_NO_EXECUTE);
    if (x)
      times[nr++] = x->time_added;
  }
  qsort(times, (size_t)nr, sizeof(times[0]), cmp_time);
  /* at 0.1/s all 40 would be tainted within 400 s; at 0.01/s far fewer */
  assert_true(nr >= 3 && nr < 30);
  /* one node per 100 s once the zone is PartialDisruption (here from the
   * first pass that saw most of the 40 nodes Unknown) */
  for (int i = 1; i < nr; i++)
    assert_int_equal(times[i] - times[i - 1], SIM_SEC(100));
}

static void zones_are_rate_limited_independently(void **state)
{
  struct t *t = *state; /* node-1 in zone a, node-2 in zone b */

  start(t, true);
  run(t, SIM_SEC(100));
  kubelets_crash(t->ks, "node-1");
  kubelets_crash(t->ks, "node-2");
  run(t, SIM_SEC(300));
  const struct object *n1 = node(t, "node-1"), *n2 = node(t, "node-2");
  const struct taint *x1 =
      taint_of(n1, "node.kubernetes.io/unreachable", TAINT_NO_EXECUTE);
  const struct taint *x2 =
      taint_of(n2, "node.kubernetes.io/unreachable", TAINT_NO_EXECUTE);
  assert_non_null(x1);
  assert_non_null(x2);
  /* each one pass after its own Unknown: no waiting for the other */
  assert_int_equal(x1->time_added - n1->u.node.ready.last_transition_time,
                   x2->time_added - n2->u.node.ready.last_transition_time);
}

/* --- DefaultTolerationSeconds --------------------------------------------- */

static void
pods_get_the_default_tolerations_unless_they_have_their_own(void **state)
{
  struct t *t = *state;
  struct object a = pod_on(t, "plain", NULL);
  struct object b = pod_on(t, "own", NULL);
  struct object c = pod_on(t, "all", NULL);
  struct toleration tb = tolerate_unreachable(7);
  struct toleration tc = {
      .op = TOLERATE_EXISTS, .any_effect = true, .toleration_seconds = -1};
  const struct pod_spec *sp;

  t->f.s.timings.v[TIMING_NOT_READY_TOLERATION] = SIM_SEC(120);
  start(t, false);
  b.u.pod.spec.tolerations = &tb;
  b.u.pod.spec.tolerations_nr = 1;
  c.u.pod.spec.tolerations = &tc;
  c.u.pod.spec.tolerations_nr = 1;
  sp = &fixture_create(&t->f, &a)->u.pod.spec;
  assert_int_equal(sp->tolerations_nr, 2);
  assert_string_equal(sp->tolerations[0].key, "node.kubernetes.io/not-ready");
  assert_int_equal(sp->tolerations[0].op, TOLERATE_EXISTS);
  assert_int_equal(sp->tolerations[0].effect, TAINT_NO_EXECUTE);
  assert_int_equal(sp->tolerations[0].toleration_seconds, 120);
  assert_string_equal(sp->tolerations[1].key, "node.kubernetes.io/unreachable");
  assert_int_equal(sp->tolerations[1].toleration_seconds, 300);

  sp = &fixture_create(&t->f, &b)->u.pod.spec;
  assert_int_equal(sp->tolerations_nr, 2);
  assert_int_equal(sp->tolerations[0].toleration_seconds, 7);
  assert_string_equal(sp->tolerations[1].key, "node.kubernetes.io/not-ready");

  sp = &fixture_create(&t->f, &c)->u.pod.spec;
  assert_int_equal(sp->tolerations_nr, 1);

  /* an update keeps them (nothing to add) */
  struct object up = *pod(t, "plain");
  assert_int_equal(api_update(t->f.api, "kubectl", &up, NULL), API_OK);
  assert_int_equal(pod(t, "plain")->u.pod.spec.tolerations_nr, 2);
}

/* --- cost and determinism ------------------------------------------------- */

/* Executed events in an hour of a healthy 3-node cluster with 3 pods. */
static uint64_t idle_hour(bool mine)
{
  struct t *t = new_t(3, 5);
  uint64_t n;

  if (mine) {
    start(t, true);
  } else {
    /* The same watches as the three controllers, without them. */
    simtime d = t->f.s.timings.v[TIMING_WATCH_DELAY];
    static const enum obj_kind kinds[] = {KIND_NODE, KIND_LEASE, KIND_POD,
                                          KIND_NODE, KIND_POD,   KIND_NODE,
                                          KIND_POD};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
      informer_new(t->f.api, kinds[i], "watch-only", d);
    t->ks = kubelets_start(&t->f.env);
  }
  run_pod(t, "a", "node-1");
  run_pod(t, "b", "node-2");
  run_pod(t, "c", "node-3");
  run(t, SIM_MIN(60));
  n = engine_executed(t->f.engine);
  free_t(t);
  return n;
}

static void
an_idle_healthy_cluster_costs_no_event_per_lease_renewal(void **state)
{
  uint64_t base = idle_hour(false), with = idle_hour(true);

  (void)state;
  /* 3 kubelets renew every ~10 s: an event (and a watch delivery) per
   * renewal would be > 2000 in an hour. Renewals are materialised on read
   * (apiserver.h); the monitor wakes at most at each stale deadline
   * (probe + grace: one per node per ~40 s), catches up and goes back to
   * sleep. */
  assert_true(base < 400);
  assert_true(with >= base);
  assert_true(with - base <= 3 * 3600 / 40);
}

static uint64_t crash_run(uint64_t seed, size_t *events)
{
  struct t *t = new_t(3, seed);
  uint64_t d;

  start(t, true);
  run_pod(t, "a", "node-1");
  run_pod(t, "b", "node-2");
  run(t, SIM_SEC(100));
  kubelets_crash(t->ks, "node-2");
  run(t, SIM_SEC(800));
  kubelets_restart(t->ks, "node-2");
  run(t, SIM_SEC(1000));
  api_events(t->f.api, events);
  d = t->f.trace.digest;
  free_t(t);
  return d;
}

static void the_same_seed_gives_the_same_run(void **state)
{
  size_t e1, e2, e3;

  (void)state;
  uint64_t d1 = crash_run(7, &e1), d2 = crash_run(7, &e2);
  uint64_t d3 = crash_run(8, &e3);
  assert_true(d1 == d2);
  assert_int_equal(e1, e2);
  assert_true(d1 != d3);
  (void)e3;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          a_crashed_node_is_unknown_after_50s_and_its_pods_evicted_300s_later,
          setup, teardown),
      cmocka_unit_test_setup_teardown(
          with_kubernetes_1_31_the_grace_period_is_40s, setup, teardown),
      cmocka_unit_test_setup_teardown(
          every_node_is_registered_once_by_the_first_pass, setup, teardown),
      cmocka_unit_test_setup_teardown(
          a_node_back_before_the_toleration_ends_loses_its_taints_and_keeps_its_pods,
          setup, teardown),
      cmocka_unit_test_setup_teardown(
          a_partitioned_node_looks_like_a_crashed_one, setup, teardown),
      cmocka_unit_test_setup_teardown(
          a_node_posting_not_ready_gets_not_ready_then_unreachable, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          pods_with_their_own_toleration_seconds_keep_their_own_timer, setup,
          teardown),
      cmocka_unit_test_setup_teardown(
          a_noexecute_taint_nobody_tolerates_deletes_at_once, setup, teardown),
      cmocka_unit_test_setup_teardown(
          when_every_zone_is_fully_disrupted_evictions_stop, setup, teardown),
      cmocka_unit_test_setup_teardown(
          a_small_zone_in_partial_disruption_gets_no_new_taints, setup,
          teardown),
      cmocka_unit_test_setup_teardown(a_zone_taints_one_node_per_10s, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          a_large_zone_in_partial_disruption_taints_one_node_per_100s, setup,
          teardown),
      cmocka_unit_test_setup_teardown(zones_are_rate_limited_independently,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          pods_get_the_default_tolerations_unless_they_have_their_own, setup,
          teardown),
      cmocka_unit_test(
          an_idle_healthy_cluster_costs_no_event_per_lease_renewal),
      cmocka_unit_test(the_same_seed_gives_the_same_run),
  };

  return cmocka_run_group_tests_name("nodelifecycle", tests, NULL, NULL);
}
