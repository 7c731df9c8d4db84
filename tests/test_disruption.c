/*
 * test_disruption.c - PodDisruptionBudgets end to end: the disruption
 * controller's status math, the eviction subresource of the API server,
 * and `kubectl drain` (world__drain) on top of both. No kubelet,
 * scheduler or StatefulSet controller runs: the tests play their parts
 * (pod statuses, final deletes, replacements) by writing to the API.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"
#include "world/world_int.h"

#define LINES 128

struct t {
  struct fixture f;
  void *dc;
  const struct object *sts;
  char lines[LINES][640]; /* drain output: "[v] Object: message" */
  simtime line_at[LINES];
  int lines_nr;
};

static int setup(void **state)
{
  struct t *t = test_calloc(1, sizeof(*t));

  fixture_init(&t->f, 3, 1);
  t->dc = disruption_start(&t->f.env);
  *state = t;
  return 0;
}

static int teardown(void **state)
{
  struct t *t = *state;

  disruption_stop(t->dc);
  fixture_release(&t->f);
  test_free(t);
  return 0;
}

static void run_for(struct t *t, simtime d)
{
  simtime until = engine_now(t->f.engine) + d;

  fixture_run(&t->f, until);
  if (engine_now(t->f.engine) < until)
    engine_advance(t->f.engine, until);
}

static simtime now(struct t *t)
{
  return engine_now(t->f.engine);
}

/* --- objects -------------------------------------------------------------- */

static struct kv_list app_web(struct t *t)
{
  struct kv *l = arena_calloc(&t->f.s.arena, 1, sizeof(*l));

  l[0] = (struct kv){"app", "web"};
  return (struct kv_list){l, 1};
}

static void statefulset(struct t *t, int32_t replicas)
{
  struct object o;

  object_init(&o, KIND_STATEFULSET);
  o.meta.name = "web";
  o.meta.namespace_ = "default";
  o.u.sts.spec.replicas = replicas;
  o.u.sts.spec.selector.match_labels = app_web(t);
  o.u.sts.spec.service_name = "web";
  o.u.sts.spec.template_.labels = app_web(t);
  o.u.sts.spec.template_.spec = fixture_pod(&t->f, "x", NULL).u.pod.spec;
  object_set_defaults(&o);
  t->sts = fixture_create(&t->f, &o);
}

static bool set_running(struct object *o, void *ctx)
{
  bool ready = *(const bool *)ctx;

  o->u.pod.status.phase = POD_RUNNING;
  o->u.pod.status.ready.status = ready ? COND_TRUE : COND_FALSE;
  return true;
}

static void pod_ready(struct t *t, const char *name, bool ready)
{
  assert_int_equal(api_patch(t->f.api, "kubelet", KIND_POD, "default", name, 0,
                             set_running, &ready, NULL),
                   API_OK);
}

/* A pod with labels app=web on node; owner: "sts" (the StatefulSet),
 * "none", or another kind's name ("ReplicaSet", "DaemonSet"). */
static const struct object *pod_owned(struct t *t, const char *name,
                                      const char *node, const char *owner,
                                      bool ready)
{
  struct object o = fixture_pod(&t->f, name, NULL);
  struct owner_ref *r = arena_calloc(&t->f.s.arena, 1, sizeof(*r));

  o.meta.labels = app_web(t);
  o.u.pod.spec.node_name = node;
  if (!strcmp(owner, "sts")) {
    *r = (struct owner_ref){"apps/v1",        "StatefulSet", "web",
                            t->sts->meta.uid, true,          true};
    o.meta.owner_refs = r;
    o.meta.owner_refs_nr = 1;
  } else if (strcmp(owner, "none")) {
    *r = (struct owner_ref){"apps/v1", owner, "other", 999999, true, true};
    o.meta.owner_refs = r;
    o.meta.owner_refs_nr = 1;
  }
  fixture_create(&t->f, &o);
  pod_ready(t, name, ready);
  return fixture_get(&t->f, KIND_POD, name);
}

static const struct object *pod_on(struct t *t, const char *name,
                                   const char *node, bool ready)
{
  return pod_owned(t, name, node, "sts", ready);
}

static void budget(struct t *t, const char *name, bool max, int32_t value,
                   bool percent)
{
  struct object o;

  object_init(&o, KIND_PDB);
  o.meta.name = name;
  o.meta.namespace_ = "default";
  o.u.pdb.selector.match_labels = app_web(t);
  if (max)
    o.u.pdb.max_unavailable = (struct int_or_percent){true, percent, value};
  else
    o.u.pdb.min_available = (struct int_or_percent){true, percent, value};
  fixture_create(&t->f, &o);
}

static const struct pdb *pdb(struct t *t, const char *name)
{
  const struct object *o = fixture_get(&t->f, KIND_PDB, name);

  assert_non_null(o);
  return &o->u.pdb;
}

/* Three Ready pods of web (replicas 3) on node-1..3. */
static void three_pods(struct t *t)
{
  statefulset(t, 3);
  pod_on(t, "web-0", "node-1", true);
  pod_on(t, "web-1", "node-2", true);
  pod_on(t, "web-2", "node-3", true);
}

static int events(struct t *t, const char *name, const char *reason,
                  const char *message)
{
  size_t nr;
  const struct event *const *ev = api_events(t->f.api, &nr);
  int n = 0;

  for (size_t i = 0; i < nr; i++)
    if (!strcmp(ev[i]->involved_name, name) && !strcmp(ev[i]->reason, reason) &&
        (!message || strstr(ev[i]->message, message)))
      n++;
  return n;
}

static void assert_status(struct t *t, const char *name, int32_t expected,
                          int32_t desired, int32_t current, int32_t allowed)
{
  const struct object *o = fixture_get(&t->f, KIND_PDB, name);

  assert_int_equal(o->u.pdb.expected_pods, expected);
  assert_int_equal(o->u.pdb.desired_healthy, desired);
  assert_int_equal(o->u.pdb.current_healthy, current);
  assert_int_equal(o->u.pdb.disruptions_allowed, allowed);
  assert_int_equal(o->u.pdb.observed_generation, o->meta.generation);
}

/* --- the controller's status ---------------------------------------------- */

static void min_available_counts_ready_pods_it_selects(void **state)
{
  struct t *t = *state;

  three_pods(t);
  budget(t, "web-pdb", false, 2, false);
  run_for(t, SIM_SEC(1));
  assert_status(t, "web-pdb", 3, 2, 3, 1);
  pod_ready(t, "web-1", false);
  run_for(t, SIM_SEC(1));
  assert_status(t, "web-pdb", 3, 2, 2, 0);
}

static void max_unavailable_is_taken_from_the_statefulset_scale(void **state)
{
  struct t *t = *state;

  /* replicas 5, three pods so far: the missing two count as unavailable. */
  statefulset(t, 5);
  pod_on(t, "web-0", "node-1", true);
  pod_on(t, "web-1", "node-2", true);
  pod_on(t, "web-2", "node-3", true);
  budget(t, "web-pdb", true, 40, true); /* ceil(40% of 5) = 2 */
  run_for(t, SIM_SEC(1));
  assert_status(t, "web-pdb", 5, 3, 3, 0);
  budget(t, "web-pdb-int", true, 1, false);
  run_for(t, SIM_SEC(1));
  assert_status(t, "web-pdb-int", 5, 4, 3, 0);
}

static void a_percentage_min_available_rounds_up(void **state)
{
  struct t *t = *state;

  three_pods(t);
  budget(t, "web-pdb", false, 50, true); /* ceil(1.5) */
  run_for(t, SIM_SEC(1));
  assert_status(t, "web-pdb", 3, 2, 3, 1);
}

static void deleting_and_unready_pods_are_not_healthy(void **state)
{
  struct t *t = *state;

  three_pods(t);
  budget(t, "web-pdb", false, 1, false);
  pod_ready(t, "web-1", false);
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-2", NULL),
      API_OK);
  run_for(t, SIM_SEC(1));
  /* minAvailable N: expectedPods is every selected pod, terminating too. */
  assert_status(t, "web-pdb", 3, 1, 1, 0);
}

static void a_budget_without_pods_allows_nothing(void **state)
{
  struct t *t = *state;

  budget(t, "web-pdb", true, 1, false);
  run_for(t, SIM_SEC(1));
  assert_status(t, "web-pdb", 0, 0, 0, 0);
  assert_true(events(t, "web-pdb", "NoPods", "No matching pods found") >= 1);
}

static void unmanaged_pods_are_left_out_of_the_scale(void **state)
{
  struct t *t = *state;

  three_pods(t);
  pod_owned(t, "bare", "node-1", "none", true);
  budget(t, "web-pdb", true, 1, false);
  run_for(t, SIM_SEC(1));
  /* scale 3, but four Ready pods. */
  assert_status(t, "web-pdb", 3, 2, 4, 2);
  assert_true(events(t, "web-pdb", "UnmanagedPods",
                     "Pods selected by this PodDisruptionBudget (selector: "
                     "&LabelSelector{MatchLabels:map[string]string{app: "
                     "web,},MatchExpressions:[]LabelSelectorRequirement{},}) "
                     "were found to be unmanaged.") >= 1);
}

static void an_unknown_controller_fails_safe(void **state)
{
  struct t *t = *state;

  three_pods(t);
  budget(t, "web-pdb", true, 1, false);
  run_for(t, SIM_SEC(1));
  assert_int_equal(pdb(t, "web-pdb")->disruptions_allowed, 1);
  pod_owned(t, "rs-pod", "node-1", "ReplicaSet", true);
  run_for(t, SIM_SEC(1));
  assert_int_equal(pdb(t, "web-pdb")->disruptions_allowed, 0);
  assert_true(events(t, "web-pdb", "CalculateExpectedPodCountFailed",
                     "found no controllers for pod \"rs-pod\"") >= 1);
}

struct disrupted_arg {
  struct arena *a;
  const char *pod;
  simtime at;
};

static bool add_disrupted(struct object *o, void *ctx)
{
  struct disrupted_arg *d = ctx;
  struct pdb_disrupted_pod *v = arena_calloc(d->a, 1, sizeof(*v));

  v->pod = d->pod;
  v->at = d->at;
  o->u.pdb.disrupted_pods = v;
  o->u.pdb.disrupted_pods_nr = 1;
  o->u.pdb.disruptions_allowed--;
  return true;
}

static void
an_evicted_pod_stops_counting_until_it_goes_or_two_minutes_pass(void **state)
{
  struct t *t = *state;
  struct disrupted_arg d = {&t->f.s.arena, "web-0", 0};
  simtime at;

  three_pods(t);
  budget(t, "web-pdb", false, 2, false);
  run_for(t, SIM_SEC(1));
  /* What an eviction writes, with the pod's delete never happening. */
  at = d.at = now(t);
  assert_int_equal(api_patch(t->f.api, "kube-apiserver", KIND_PDB, "default",
                             "web-pdb", 0, add_disrupted, &d, NULL),
                   API_OK);
  run_for(t, SIM_SEC(1));
  assert_status(t, "web-pdb", 3, 2, 2, 0);
  assert_int_equal(pdb(t, "web-pdb")->disrupted_pods_nr, 1);
  fixture_run(&t->f, at + SIM_MIN(2) - SIM_MS(1));
  assert_int_equal(pdb(t, "web-pdb")->disruptions_allowed, 0);
  /* The controller looks again when the entry expires, unprompted. */
  run_for(t, SIM_SEC(1));
  assert_status(t, "web-pdb", 3, 2, 3, 1);
  assert_int_equal(pdb(t, "web-pdb")->disrupted_pods_nr, 0);
  assert_int_equal(events(t, "web-0", "NotDeleted",
                          "Pod was expected by PDB default/default to be "
                          "deleted but it wasn't"),
                   1);
  assert_int_equal(engine_pending(t->f.engine), 0);
}

static bool add_target(struct object *o, void *ctx)
{
  simtime *at = ctx;

  o->u.pod.status.disruption_target = (struct condition){
      COND_TRUE, *at, "EvictionByEvictionAPI", "Eviction API: evicting"};
  return true;
}

static void a_stale_disruption_target_is_reset_after_two_minutes(void **state)
{
  struct t *t = *state;
  simtime at;

  three_pods(t);
  run_for(t, SIM_SEC(1));
  at = now(t);
  assert_int_equal(api_patch(t->f.api, "kube-apiserver", KIND_POD, "default",
                             "web-1", 0, add_target, &at, NULL),
                   API_OK);
  fixture_run(&t->f, at + SIM_MIN(2) - SIM_MS(1));
  assert_int_equal(fixture_get(&t->f, KIND_POD, "web-1")
                       ->u.pod.status.disruption_target.status,
                   COND_TRUE);
  run_for(t, SIM_SEC(1));
  assert_int_equal(fixture_get(&t->f, KIND_POD, "web-1")
                       ->u.pod.status.disruption_target.status,
                   COND_FALSE);
}

/* --- the eviction subresource --------------------------------------------- */

static void an_eviction_within_the_budget_deletes_gracefully(void **state)
{
  struct t *t = *state;
  struct api_eviction_result res;
  const struct object *p;
  simtime at;

  three_pods(t);
  budget(t, "web-pdb", false, 2, false);
  run_for(t, SIM_SEC(1));
  at = now(t);
  assert_int_equal(
      api_evict_ex(t->f.api, "kubectl", "default", "web-0", -1, &res), API_OK);
  p = fixture_get(&t->f, KIND_POD, "web-0");
  assert_true(meta_is_deleting(&p->meta));
  assert_int_equal(p->meta.deletion_timestamp, at + SIM_SEC(30));
  assert_int_equal(p->u.pod.status.disruption_target.status, COND_TRUE);
  assert_string_equal(p->u.pod.status.disruption_target.reason,
                      "EvictionByEvictionAPI");
  assert_string_equal(p->u.pod.status.disruption_target.message,
                      "Eviction API: evicting");
  assert_int_equal(pdb(t, "web-pdb")->disruptions_allowed, 0);
  assert_int_equal(pdb(t, "web-pdb")->disrupted_pods_nr, 1);
  assert_string_equal(pdb(t, "web-pdb")->disrupted_pods[0].pod, "web-0");
  assert_int_equal(pdb(t, "web-pdb")->disrupted_pods[0].at, at);
  /* Once the controller sees the pod deleting, the entry has done its
   * job. */
  run_for(t, SIM_SEC(1));
  assert_status(t, "web-pdb", 3, 2, 2, 0);
  assert_int_equal(pdb(t, "web-pdb")->disrupted_pods_nr, 0);
}

static void an_eviction_beyond_the_budget_is_refused_with_429(void **state)
{
  struct t *t = *state;
  struct api_eviction_result res;

  three_pods(t);
  budget(t, "web-pdb", false, 2, false);
  run_for(t, SIM_SEC(1));
  assert_int_equal(api_evict(t->f.api, "kubectl", "default", "web-0", -1),
                   API_OK);
  run_for(t, SIM_SEC(1));
  assert_int_equal(
      api_evict_ex(t->f.api, "kubectl", "default", "web-1", -1, &res),
      API_TOO_MANY);
  assert_string_equal(
      api_last_error(t->f.api),
      "Cannot evict pod as it would violate the pod's disruption budget.");
  assert_string_equal(res.cause, "The disruption budget web-pdb needs 2 "
                                 "healthy pods and has 2 currently");
  assert_int_equal(res.retry_after_seconds, 0);
  assert_false(meta_is_deleting(&fixture_get(&t->f, KIND_POD, "web-1")->meta));
  assert_int_equal(fixture_get(&t->f, KIND_POD, "web-1")
                       ->u.pod.status.disruption_target.status,
                   COND_UNSET);
}

static void
a_budget_the_controller_has_not_seen_answers_retry_after_10(void **state)
{
  struct t *t = *state;
  struct api_eviction_result res;
  struct object o;

  three_pods(t);
  budget(t, "web-pdb", false, 1, false);
  run_for(t, SIM_SEC(1));
  o = *fixture_get(&t->f, KIND_PDB, "web-pdb");
  o.u.pdb.min_available.value = 2; /* a new generation */
  assert_int_equal(api_update(t->f.api, "kubectl", &o, NULL), API_OK);
  assert_int_equal(
      api_evict_ex(t->f.api, "kubectl", "default", "web-0", -1, &res),
      API_TOO_MANY);
  assert_int_equal(res.retry_after_seconds, 10);
  assert_string_equal(res.cause, "The disruption budget web-pdb is still "
                                 "being processed by the server.");
  run_for(t, SIM_SEC(1));
  assert_int_equal(api_evict(t->f.api, "kubectl", "default", "web-0", -1),
                   API_OK);
}

static void
an_unready_pod_goes_free_when_enough_others_are_healthy(void **state)
{
  struct t *t = *state;

  three_pods(t);
  pod_ready(t, "web-2", false);
  budget(t, "web-pdb", false, 2, false);
  run_for(t, SIM_SEC(1));
  assert_status(t, "web-pdb", 3, 2, 2, 0);
  assert_int_equal(api_evict(t->f.api, "kubectl", "default", "web-2", -1),
                   API_OK);
  assert_true(meta_is_deleting(&fixture_get(&t->f, KIND_POD, "web-2")->meta));
  /* Nothing was taken from the budget. */
  assert_int_equal(pdb(t, "web-pdb")->disruptions_allowed, 0);
  assert_int_equal(pdb(t, "web-pdb")->disrupted_pods_nr, 0);
}

static bool always_allow(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.pdb.unhealthy_pod_eviction_policy = UNHEALTHY_ALWAYS_ALLOW;
  return true;
}

static void
an_unready_pod_needs_always_allow_when_the_budget_is_short(void **state)
{
  struct t *t = *state;

  three_pods(t);
  pod_ready(t, "web-2", false);
  budget(t, "web-pdb", false, 3, false);
  run_for(t, SIM_SEC(1));
  assert_int_equal(api_evict(t->f.api, "kubectl", "default", "web-2", -1),
                   API_TOO_MANY);
  assert_int_equal(api_patch(t->f.api, "kubectl", KIND_PDB, "default",
                             "web-pdb", 0, always_allow, NULL, NULL),
                   API_OK);
  run_for(t, SIM_SEC(1));
  assert_int_equal(api_evict(t->f.api, "kubectl", "default", "web-2", -1),
                   API_OK);
  assert_int_equal(api_evict(t->f.api, "kubectl", "default", "web-1", -1),
                   API_TOO_MANY);
}

static void a_pod_with_two_budgets_cannot_be_evicted(void **state)
{
  struct t *t = *state;

  three_pods(t);
  budget(t, "a", false, 1, false);
  budget(t, "b", true, 1, false);
  run_for(t, SIM_SEC(1));
  assert_int_equal(api_evict(t->f.api, "kubectl", "default", "web-0", -1),
                   API_INTERNAL_ERROR);
  assert_string_equal(api_last_error(t->f.api),
                      "This pod has more than one PodDisruptionBudget, which "
                      "the eviction subresource does not support.");
  assert_true(events(t, "web-0", "MultiplePodDisruptionBudgets",
                     "Chose \"a\" arbitrarily.") >= 1);
}

static bool set_pending(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.pod.status.phase = POD_PENDING;
  o->u.pod.status.ready.status = COND_FALSE;
  return true;
}

static void pending_and_missing_pods_skip_the_budget(void **state)
{
  struct t *t = *state;

  three_pods(t);
  budget(t, "web-pdb", false, 3, false);
  run_for(t, SIM_SEC(1));
  assert_int_equal(api_patch(t->f.api, "kubelet", KIND_POD, "default", "web-0",
                             0, set_pending, NULL, NULL),
                   API_OK);
  assert_int_equal(api_evict(t->f.api, "kubectl", "default", "web-0", -1),
                   API_OK);
  assert_int_equal(api_evict(t->f.api, "kubectl", "default", "nope", -1),
                   API_NOT_FOUND);
  assert_string_equal(api_last_error(t->f.api), "pods \"nope\" not found");
}

struct req_log {
  char v[8][64];
  int nr;
};

static void on_request(const char *who, const char *verb, enum obj_kind kind,
                       const char *ns, const char *name, enum api_status st,
                       bool changed, void *ctx)
{
  struct req_log *l = ctx;

  (void)ns;
  (void)st;
  (void)changed;
  if (l->nr < 8 && !strcmp(who, "kubectl"))
    snprintf(l->v[l->nr++], sizeof(l->v[0]), "%s %s %s", verb,
             obj_kind_name(kind), name);
}

static void an_eviction_is_one_request_made_of_three_writes(void **state)
{
  struct t *t = *state;
  struct req_log log = {.nr = 0};

  three_pods(t);
  budget(t, "web-pdb", false, 2, false);
  run_for(t, SIM_SEC(1));
  api_add_request_hook(t->f.api, on_request, &log);
  assert_int_equal(api_evict(t->f.api, "kubectl", "default", "web-0", 5),
                   API_OK);
  assert_int_equal(log.nr, 4);
  assert_string_equal(log.v[0], "patch PodDisruptionBudget web-pdb");
  assert_string_equal(log.v[1], "patch Pod web-0");
  assert_string_equal(log.v[2], "delete Pod web-0");
  assert_string_equal(log.v[3], "evict Pod web-0");
  assert_int_equal(
      fixture_get(&t->f, KIND_POD, "web-0")->meta.deletion_grace_period_seconds,
      5);
}

/* --- kubectl drain -------------------------------------------------------- */

static void keep_line(void *ctx, bool verbose, enum event_type type,
                      const char *object, const char *reason, const char *msg)
{
  struct t *t = ctx;

  assert_string_equal(reason, "Drain");
  assert_true(t->lines_nr < LINES);
  t->line_at[t->lines_nr] = engine_now(t->f.engine);
  snprintf(t->lines[t->lines_nr++], sizeof(t->lines[0]), "%s%s%s: %s",
           verbose ? "[v] " : "", type == EVENT_WARNING ? "W " : "", object,
           msg);
}

static void drain(struct t *t, const char *node)
{
  struct world__drain_env env = {t->f.api, t->f.s.timings.v[TIMING_DRAIN_RETRY],
                                 keep_line, t};

  world__drain(&env, node);
}

/* The time of the first line containing text, or SIMTIME_NEVER. */
static simtime line_time(struct t *t, const char *text)
{
  for (int i = 0; i < t->lines_nr; i++)
    if (strstr(t->lines[i], text))
      return t->line_at[i];
  return SIMTIME_NEVER;
}

static int lines_with(struct t *t, const char *text)
{
  int n = 0;

  for (int i = 0; i < t->lines_nr; i++)
    n += strstr(t->lines[i], text) != NULL;
  return n;
}

/* The kubelet's final delete once the containers stopped. */
static void final_delete(struct t *t, const char *pod)
{
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  o.grace_seconds = 0;
  assert_int_equal(
      api_delete(t->f.api, "kubelet", KIND_POD, "default", pod, &o), API_OK);
}

static void a_drain_cordons_evicts_and_waits_for_the_pods(void **state)
{
  struct t *t = *state;
  struct object mirror;
  simtime t0, gone;

  three_pods(t);
  pod_owned(t, "ds-1", "node-1", "DaemonSet", true);
  mirror = fixture_pod(&t->f, "etcd-node-1", NULL);
  mirror.u.pod.spec.node_name = "node-1";
  {
    struct kv *a = arena_calloc(&t->f.s.arena, 1, sizeof(*a));
    *a = (struct kv){"kubernetes.io/config.mirror", "abc"};
    mirror.meta.annotations = (struct kv_list){a, 1};
  }
  fixture_create(&t->f, &mirror);
  run_for(t, SIM_SEC(1));
  t0 = now(t);
  drain(t, "node-1");
  assert_true(fixture_get(&t->f, KIND_NODE, "node-1")->u.node.unschedulable);
  assert_string_equal(t->lines[0], "Node/node-1: node/node-1 cordoned");
  assert_string_equal(t->lines[1], "W Node/node-1: Warning: ignoring "
                                   "DaemonSet-managed Pods: default/ds-1");
  assert_string_equal(t->lines[2], "Pod/web-0: evicting pod default/web-0");
  assert_int_equal(t->lines_nr, 3);
  assert_true(meta_is_deleting(&fixture_get(&t->f, KIND_POD, "web-0")->meta));
  assert_false(meta_is_deleting(&fixture_get(&t->f, KIND_POD, "ds-1")->meta));
  assert_false(
      meta_is_deleting(&fixture_get(&t->f, KIND_POD, "etcd-node-1")->meta));

  run_for(t, SIM_MS(10500));
  final_delete(t, "web-0");
  gone = now(t);
  run_for(t, SIM_SEC(5));
  /* Seen at the first 1-second poll after the pod went. */
  assert_int_equal(line_time(t, "pod/web-0 evicted"), t0 + SIM_SEC(11));
  assert_true(line_time(t, "pod/web-0 evicted") > gone);
  assert_int_equal(line_time(t, "node/node-1 drained"), t0 + SIM_SEC(11));
  assert_int_equal(engine_pending(t->f.engine), 0);
}

static bool touch_pdb(struct object *o, void *ctx)
{
  struct kv *a = arena_calloc(ctx, 1, sizeof(*a));

  *a = (struct kv){"touched", "yes"};
  o->meta.annotations = (struct kv_list){a, 1};
  return true;
}

static bool relax(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.pdb.min_available.value = 2;
  return true;
}

static void a_refused_eviction_is_retried_every_five_seconds(void **state)
{
  struct t *t = *state;
  simtime t0;

  three_pods(t);
  budget(t, "web-pdb", false, 3, false);
  run_for(t, SIM_SEC(1));
  t0 = now(t);
  drain(t, "node-1");
  assert_int_equal(lines_with(t, "W Pod/web-0: error when evicting "
                                 "pods/\"web-0\" -n \"default\" (will retry "
                                 "after 5s): Cannot evict pod as it would "
                                 "violate the pod's disruption budget."),
                   1);
  /* A change to the budget that still refuses: the retry at 10 s fails
   * again and is counted. */
  run_for(t, SIM_SEC(7));
  assert_int_equal(api_patch(t->f.api, "kubectl", KIND_PDB, "default",
                             "web-pdb", 0, touch_pdb, &t->f.s.arena, NULL),
                   API_OK);
  run_for(t, SIM_MS(5300)); /* t0 + 12.3 s */
  assert_int_equal(line_time(t, "(x3)"), t0 + SIM_SEC(10));
  assert_false(meta_is_deleting(&fixture_get(&t->f, KIND_POD, "web-0")->meta));
  /* The budget relaxes: the eviction goes through at the next retry. */
  assert_int_equal(api_patch(t->f.api, "kubectl", KIND_PDB, "default",
                             "web-pdb", 0, relax, NULL, NULL),
                   API_OK);
  run_for(t, SIM_SEC(5));
  assert_int_equal(
      fixture_get(&t->f, KIND_POD, "web-0")->meta.deletion_timestamp,
      t0 + SIM_SEC(15) + SIM_SEC(30));
  assert_int_equal(lines_with(t, "evicting pod default/web-0"), 1);
}

static void a_drain_waits_for_a_ready_replacement(void **state)
{
  struct t *t = *state;
  simtime t0, ready_at, evicted;

  statefulset(t, 3);
  pod_on(t, "web-0", "node-1", true);
  pod_on(t, "web-1", "node-1", true);
  pod_on(t, "web-2", "node-2", true);
  budget(t, "web-pdb", true, 1, false);
  run_for(t, SIM_SEC(1));
  t0 = now(t);
  drain(t, "node-1");
  assert_true(meta_is_deleting(&fixture_get(&t->f, KIND_POD, "web-0")->meta));
  assert_false(meta_is_deleting(&fixture_get(&t->f, KIND_POD, "web-1")->meta));
  assert_int_equal(lines_with(t, "W Pod/web-1: error when evicting"), 1);

  /* The kubelet finishes web-0; the controller creates it again elsewhere;
   * it takes a while to become Ready. */
  run_for(t, SIM_SEC(30));
  final_delete(t, "web-0");
  run_for(t, SIM_SEC(1));
  pod_on(t, "web-0", "node-3", false);
  run_for(t, SIM_SEC(40));
  assert_false(meta_is_deleting(&fixture_get(&t->f, KIND_POD, "web-1")->meta));
  pod_ready(t, "web-0", true);
  ready_at = now(t);
  run_for(t, SIM_SEC(6));
  evicted = fixture_get(&t->f, KIND_POD, "web-1")->meta.deletion_timestamp -
            SIM_SEC(30);
  assert_true(meta_is_deleting(&fixture_get(&t->f, KIND_POD, "web-1")->meta));
  assert_true(evicted > ready_at);
  assert_true(evicted <= ready_at + SIM_SEC(5));
  assert_int_equal((evicted - t0) % SIM_SEC(5), 0);
  /* web-0's wait ended when the old pod went (the new one has another
   * uid). */
  assert_int_equal(line_time(t, "pod/web-0 evicted"), t0 + SIM_SEC(31));
  run_for(t, SIM_SEC(30));
  final_delete(t, "web-1");
  run_for(t, SIM_SEC(2));
  assert_true(line_time(t, "node/node-1 drained") != SIMTIME_NEVER);
}

static void a_pod_without_a_controller_stops_the_drain(void **state)
{
  struct t *t = *state;

  three_pods(t);
  pod_owned(t, "bare", "node-1", "none", true);
  run_for(t, SIM_SEC(1));
  drain(t, "node-1");
  assert_true(fixture_get(&t->f, KIND_NODE, "node-1")->u.node.unschedulable);
  assert_int_equal(
      lines_with(t, "W Node/node-1: There are pending nodes to be drained: "
                    "node-1; error: cannot delete Pods declare no controller "
                    "(use --force to override): default/bare"),
      1);
  assert_false(meta_is_deleting(&fixture_get(&t->f, KIND_POD, "web-0")->meta));
  assert_false(meta_is_deleting(&fixture_get(&t->f, KIND_POD, "bare")->meta));
}

static void draining_a_missing_node_fails(void **state)
{
  struct t *t = *state;

  drain(t, "node-9");
  assert_int_equal(lines_with(t, "W Node/node-9: drain-node: Error from "
                                 "server (NotFound): nodes \"node-9\" not "
                                 "found"),
                   1);
}

static void a_blocked_drain_costs_no_events_while_nothing_changes(void **state)
{
  struct t *t = *state;
  uint64_t before;

  three_pods(t);
  budget(t, "web-pdb", false, 3, false);
  run_for(t, SIM_SEC(1));
  drain(t, "node-1");
  run_for(t, SIM_SEC(1));
  before = engine_executed(t->f.engine);
  run_for(t, SIM_MIN(60));
  assert_int_equal(engine_executed(t->f.engine), before);
  assert_int_equal(engine_pending(t->f.engine), 0);
  assert_false(meta_is_deleting(&fixture_get(&t->f, KIND_POD, "web-0")->meta));
}

static void drain_node_is_an_action_the_world_carries_out(void **state)
{
  (void)state;
  assert_true(world_action_supported(ACTION_DRAIN_NODE));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(min_available_counts_ready_pods_it_selects),
      T(max_unavailable_is_taken_from_the_statefulset_scale),
      T(a_percentage_min_available_rounds_up),
      T(deleting_and_unready_pods_are_not_healthy),
      T(a_budget_without_pods_allows_nothing),
      T(unmanaged_pods_are_left_out_of_the_scale),
      T(an_unknown_controller_fails_safe),
      T(an_evicted_pod_stops_counting_until_it_goes_or_two_minutes_pass),
      T(a_stale_disruption_target_is_reset_after_two_minutes),
      T(an_eviction_within_the_budget_deletes_gracefully),
      T(an_eviction_beyond_the_budget_is_refused_with_429),
      T(a_budget_the_controller_has_not_seen_answers_retry_after_10),
      T(an_unready_pod_goes_free_when_enough_others_are_healthy),
      T(an_unready_pod_needs_always_allow_when_the_budget_is_short),
      T(a_pod_with_two_budgets_cannot_be_evicted),
      T(pending_and_missing_pods_skip_the_budget),
      T(an_eviction_is_one_request_made_of_three_writes),
      T(a_drain_cordons_evicts_and_waits_for_the_pods),
      T(a_refused_eviction_is_retried_every_five_seconds),
      T(a_drain_waits_for_a_ready_replacement),
      T(a_pod_without_a_controller_stops_the_drain),
      T(draining_a_missing_node_fails),
      T(a_blocked_drain_costs_no_events_while_nothing_changes),
      T(drain_node_is_an_action_the_world_carries_out),
#undef T
  };

  return cmocka_run_group_tests_name("disruption", tests, NULL, NULL);
}
