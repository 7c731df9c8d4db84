/*
 * test_scenario.c - the scenario loader: a full scenario decodes to the
 * expected plain data, defaults fill in what is absent, includes merge in
 * the documented order, every malformed file of tests/bad/ gives exactly
 * the message on its first line, and more bad inputs (in memory) give
 * theirs, always with a position.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base.h"
#include "scenario.h"
#include "timings.h"

/* ---- helpers ------------------------------------------------------------ */

static const char *srcdir(void)
{
  const char *d = getenv("STSIM_SRCDIR");

  return d && *d ? d : ".";
}

static int load(struct scenario *s, const char *name, const char *yaml,
                struct diag *d)
{
  memset(d, 0, sizeof(*d));
  return scenario_load_string(s, name, yaml, strlen(yaml), d);
}

/* Loads yaml that must fail with code and exactly "name:L:C: msg". */
static void expect_fail(const char *yaml, int code, const char *want)
{
  struct scenario s;
  struct diag d;
  char got[1024];
  int rc = load(&s, "x.yaml", yaml, &d);

  diag_format(&d, got, sizeof(got));
  if (rc != code || strcmp(got, want) || d.line <= 0 || d.col <= 0)
    fail_msg("input:\n%s\ngot  %d \"%s\"\nwant %d \"%s\"", yaml, rc, got, code,
             want);
  /* a failed load leaves nothing behind */
  assert_null(s.arena.head);
  assert_int_equal(s.objects_nr, 0);
}

static char tmpdir[256];

static int make_tmpdir(void **state)
{
  (void)state;
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/stsim-test-scenario-XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
  DIR *dir = opendir(tmpdir);
  struct dirent *e;
  char p[512];

  (void)state;
  if (!dir)
    return 0;
  while ((e = readdir(dir))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
    unlink(p);
  }
  closedir(dir);
  rmdir(tmpdir);
  return 0;
}

static const char *tmp_path(char *buf, size_t n, const char *name)
{
  snprintf(buf, n, "%s/%s", tmpdir, name);
  return buf;
}

static void write_file(const char *name, const char *text)
{
  char p[512];
  FILE *f = fopen(tmp_path(p, sizeof(p), name), "wb");

  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
  fclose(f);
}

/* ---- a full scenario ---------------------------------------------------- */

static const char full[] =
    "apiVersion: v1\n"                                /*  1 */
    "kind: Service\n"                                 /*  2 */
    "metadata: {name: web}\n"                         /*  3 */
    "spec: {clusterIP: None, selector: {app: web}}\n" /*  4 */
    "---\n"                                           /*  5 */
    "apiVersion: v1\n"                                /*  6 */
    "kind: ConfigMap\n"                               /*  7 */
    "metadata: {name: cfg}\n"                         /*  8 */
    "---\n"                                           /*  9 */
    "apiVersion: v1\n"                                /* 10 */
    "kind: ConfigMap\n"                               /* 11 */
    "metadata: {name: cfg2}\n"                        /* 12 */
    "---\n"                                           /* 13 */
    "apiVersion: v1\n"                                /* 14 */
    "kind: Secret\n"                                  /* 15 */
    "metadata: {name: s}\n"                           /* 16 */
    "---\n"                                           /* 17 */
    "apiVersion: apps/v1\n"                           /* 18 */
    "kind: StatefulSet\n"                             /* 19 */
    "metadata: {name: web}\n"                         /* 20 */
    "spec:\n"                                         /* 21 */
    "  serviceName: web\n"                            /* 22 */
    "  replicas: 3\n"                                 /* 23 */
    "  selector: {matchLabels: {app: web}}\n"         /* 24 */
    "  template:\n"                                   /* 25 */
    "    metadata: {labels: {app: web}}\n"            /* 26 */
    "    spec:\n"                                     /* 27 */
    "      containers:\n"                             /* 28 */
    "        - name: app\n"                           /* 29 */
    "          image: registry.example/db:1\n"        /* 30 */
    "---\n"                                           /* 31 */
    "apiVersion: stsim/v1alpha1\n"                    /* 32 */
    "kind: Scenario\n"                                /* 33 */
    "metadata:\n"                                     /* 34 */
    "  name: full\n"                                  /* 35 */
    "  description: every section\n"                  /* 36 */
    "spec:\n"                                         /* 37 */
    "  seed: 18446744073709551615\n"                  /* 38 */
    "  until: 30m\n"                                  /* 39 */
    "  cluster:\n"                                    /* 40 */
    "    kubernetesVersion: 1.31\n"                   /* 41 */
    "    nodes:\n"                                    /* 42 */
    "      - name: a1\n"                              /* 43 */
    "        zone: a\n"                               /* 44 */
    "        labels: {disk: ssd, kubernetes.io/os: windows}\n"
    "        taints: [{key: dedicated, value: db, effect: NoSchedule}]\n"
    "        cpu: 8\n"
    "        memory: 32Gi\n"
    "        pods: 50\n"
    "      - name: b1\n"
    "    defaultStorageClass: none\n"
    "    featureGates: {MaxUnavailableStatefulSet: true}\n"
    "    timings: {podStartup: 5s, nodeMonitorGracePeriod: 1m}\n"
    "    images:\n"
    "      \"registry.example/db:broken\": {crashes: true}\n"
    "      \"registry.example/db:unready\": {ready: false}\n"
    "      \"registry.example/db:slow\": {startup: 45s}\n"
    "  actions:\n"
    "    - when: {pod: web-1, becomes: Ready}\n"
    "      after: 30s\n"
    "      action: crash-node\n"
    "      node: \"@pod:web-1\"\n"
    "      for: 5m\n"
    "    - at: 12m\n"
    "      action: scale\n"
    "      statefulSet: web\n"
    "      replicas: 5\n"
    "    - at: 2m\n"
    "      action: partition-node\n"
    "      node: a1\n"
    "      for: 10m\n"
    "    - at: 12m\n"
    "      action: set-image\n"
    "      statefulSet: web\n"
    "      image: registry.example/db:2\n"
    "    - at: 3m\n"
    "      action: delete-pod\n"
    "      pod: web-0\n"
    "      gracePeriod: 0\n"
    "      force: true\n"
    "    - at: 4m\n"
    "      action: taint-node\n"
    "      node: b1\n"
    "      taint: {key: node.kubernetes.io/out-of-service, value: "
    "nodeshutdown, effect: NoExecute}\n"
    "    - at: 5m\n"
    "      action: api-errors\n"
    "      duration: 1m\n"
    "      fraction: 0.25\n"
    "      error: conflict\n"
    "    - at: 6m\n"
    "      action: watch-delay\n"
    "      component: kube-scheduler\n"
    "      delay: 2s\n"
    "      duration: 30s\n"
    "    - at: 7m\n"
    "      action: restart-controller\n"
    "    - at: 8m\n"
    "      action: delete-statefulset\n"
    "      statefulSet: web\n"
    "      cascade: orphan\n"
    "    - at: 9m\n"
    "      action: apply\n"
    "      object:\n"
    "        apiVersion: v1\n"
    "        kind: Service\n"
    "        metadata: {name: web2}\n"
    "        spec: {clusterIP: None}\n"
    "    - at: 10m\n"
    "      action: add-node\n"
    "      node: c1\n"
    "      zone: c\n"
    "  expect:\n"
    "    - at: 20m\n"
    "      statefulSet: web\n"
    "      readyReplicas: 5\n"
    "      currentRevision: web-abc\n"
    "    - atEnd: true\n"
    "      pod: web-1\n"
    "      phase: Running\n"
    "      ready: true\n"
    "    - pod: web-2\n"
    "      becomes: Ready\n"
    "      at: 3m\n"
    "      tolerance: 30s\n"
    "    - pod: web-3\n"
    "      becomes: Deleted\n"
    "      never: true\n"
    "    - property: identity.at-most-one\n"
    "      violated: true\n"
    "    - event: {reason: FailedAttachVolume, object: Pod/web-1, message: "
    "Multi-Attach}\n"
    "      at: 7m\n"
    "      tolerance: 1m\n"
    "    - event: {reason: NodeNotReady}\n"
    "      never: true\n"
    "    - atEnd: true\n"
    "      node: a1\n"
    "      ready: Unknown\n"
    "  fuzz:\n"
    "    runs: 500\n"
    "    until: 2h\n"
    "    faults:\n"
    "      crash-node: {every: 20m, downFor: 1m..30m}\n"
    "      scale: {every: 30m, replicas: 0..6}\n"
    "      set-image: {every: 45m}\n"
    "      delete-pod: {every: 15m, gracePeriod: 0..30s}\n";

static void a_full_scenario_decodes_to_plain_data(void **state)
{
  struct scenario s;
  struct diag d;
  const struct action *a;
  const struct expectation *e;

  (void)state;
  assert_int_equal(load(&s, "full.yaml", full, &d), 0);
  assert_string_equal(s.name, "full");
  assert_string_equal(s.description, "every section");
  assert_true(s.has_scenario_doc);
  assert_true(s.seed == UINT64_MAX);
  assert_true(s.until == SIM_MIN(30));
  assert_true(s.input_digest == sim_fnv1a(SIM_FNV_INIT, full, strlen(full)));

  /* objects: modelled kinds in file order; others skipped, warned once */
  assert_int_equal(s.objects_nr, 2);
  assert_int_equal(s.objects[0].obj.kind, KIND_SERVICE);
  assert_string_equal(s.objects[0].obj.meta.name, "web");
  assert_int_equal(s.objects[0].pos.line, 1);
  assert_int_equal(s.objects[1].obj.kind, KIND_STATEFULSET);
  assert_int_equal(s.objects[1].obj.u.sts.spec.replicas, 3);
  assert_int_equal(s.objects[1].pos.line, 18);
  assert_string_equal(s.objects[1].pos.file, "full.yaml");
  assert_int_equal(s.warnings.nr, 2);
  assert_string_equal(s.warnings.v[0],
                      "full.yaml:7:7: skipping kind 'ConfigMap' (not "
                      "modelled)");
  assert_string_equal(s.warnings.v[1],
                      "full.yaml:15:7: skipping kind 'Secret' (not modelled)");

  /* cluster */
  assert_int_equal(s.kubernetes_minor, 31);
  assert_null(s.default_storage_class);
  assert_int_equal(s.nodes_nr, 2);
  assert_string_equal(s.nodes[0].name, "a1");
  assert_string_equal(s.nodes[0].zone, "a");
  assert_true(s.nodes[0].cpu_milli == 8000);
  assert_true(s.nodes[0].memory == INT64_C(32) << 30);
  assert_true(s.nodes[0].pods == 50);
  assert_string_equal(kv_get(&s.nodes[0].labels, "disk"), "ssd");
  assert_string_equal(kv_get(&s.nodes[0].labels, "kubernetes.io/os"),
                      "windows");
  assert_string_equal(kv_get(&s.nodes[0].labels, "kubernetes.io/hostname"),
                      "a1");
  assert_string_equal(kv_get(&s.nodes[0].labels, "topology.kubernetes.io/zone"),
                      "a");
  assert_int_equal(s.nodes[0].taints_nr, 1);
  assert_string_equal(s.nodes[0].taints[0].key, "dedicated");
  assert_string_equal(s.nodes[0].taints[0].value, "db");
  assert_int_equal(s.nodes[0].taints[0].effect, TAINT_NO_SCHEDULE);
  assert_int_equal(s.nodes[0].pos.line, 43);
  assert_string_equal(s.nodes[1].name, "b1");
  assert_null(s.nodes[1].zone);
  assert_null(kv_get(&s.nodes[1].labels, "topology.kubernetes.io/zone"));
  assert_true(s.nodes[1].cpu_milli == 4000);
  assert_true(s.nodes[1].memory == INT64_C(16) << 30);
  assert_true(s.nodes[1].pods == 110);

  struct timings t;
  timings_defaults(&t, 31);
  assert_true(s.timings.v[TIMING_POD_STARTUP] == SIM_SEC(5));
  assert_true(s.timings.v[TIMING_NODE_MONITOR_GRACE_PERIOD] == SIM_MIN(1));
  assert_true(s.timings.v[TIMING_KUBELET_SYNC] == t.v[TIMING_KUBELET_SYNC]);

  assert_int_equal(s.feature_gates_nr, 1);
  assert_true(scenario_feature_enabled(&s, "MaxUnavailableStatefulSet"));
  assert_false(
      scenario_feature_enabled(&s, "StatefulSetSemanticRevisionComparison"));

  assert_int_equal(s.images_nr, 3);
  assert_string_equal(s.images[0].image, "registry.example/db:broken");
  assert_true(s.images[0].crashes);
  assert_false(s.images[0].never_ready);
  assert_true(s.images[0].startup == SIMTIME_NEVER);
  assert_true(s.images[1].never_ready);
  assert_true(s.images[2].startup == SIM_SEC(45));

  /*
   * actions: sorted by at, stable; partition-node `for` became a
   * heal-node at 12m (after scale, before set-image: creation order);
   * the `when` crash keeps its `for` as duration and comes last.
   */
  static const struct {
    enum action_kind kind;
    simtime at;
  } order[] = {
      {ACTION_PARTITION_NODE, SIM_MIN(2)},
      {ACTION_DELETE_POD, SIM_MIN(3)},
      {ACTION_TAINT_NODE, SIM_MIN(4)},
      {ACTION_API_ERRORS, SIM_MIN(5)},
      {ACTION_WATCH_DELAY, SIM_MIN(6)},
      {ACTION_RESTART_CONTROLLER, SIM_MIN(7)},
      {ACTION_DELETE_STATEFULSET, SIM_MIN(8)},
      {ACTION_APPLY, SIM_MIN(9)},
      {ACTION_ADD_NODE, SIM_MIN(10)},
      {ACTION_SCALE, SIM_MIN(12)},
      {ACTION_HEAL_NODE, SIM_MIN(12)},
      {ACTION_SET_IMAGE, SIM_MIN(12)},
      {ACTION_CRASH_NODE, SIMTIME_NEVER},
  };
  assert_int_equal(s.actions_nr, sizeof(order) / sizeof(order[0]));
  for (size_t i = 0; i < s.actions_nr; i++) {
    assert_int_equal(s.actions[i].kind, order[i].kind);
    assert_true(s.actions[i].at == order[i].at);
  }
  a = &s.actions[0];
  assert_string_equal(a->node, "a1");
  assert_true(a->duration == 0);
  assert_string_equal(s.actions[10].node, "a1");
  a = &s.actions[1];
  assert_string_equal(a->pod, "web-0");
  assert_true(a->grace_period == 0);
  assert_true(a->force);
  a = &s.actions[2];
  assert_string_equal(a->taint.key, "node.kubernetes.io/out-of-service");
  assert_string_equal(a->taint.value, "nodeshutdown");
  assert_int_equal(a->taint.effect, TAINT_NO_EXECUTE);
  a = &s.actions[3];
  assert_true(a->duration == SIM_MIN(1));
  assert_true(a->fraction == 0.25);
  assert_string_equal(a->error, "conflict");
  assert_null(a->component);
  a = &s.actions[4];
  assert_string_equal(a->component, "kube-scheduler");
  assert_true(a->delay == SIM_SEC(2));
  assert_true(a->duration == SIM_SEC(30));
  assert_string_equal(s.actions[5].component, "statefulset-controller");
  assert_int_equal(s.actions[6].cascade, CASCADE_ORPHAN);
  assert_non_null(s.actions[7].object);
  assert_int_equal(s.actions[7].object->kind, KIND_SERVICE);
  assert_string_equal(s.actions[7].object->meta.name, "web2");
  assert_string_equal(s.actions[8].node, "c1");
  assert_string_equal(s.actions[8].zone, "c");
  assert_int_equal(s.actions[9].replicas, 5);
  assert_string_equal(s.actions[9].statefulset, "web");
  assert_true(s.actions[9].grace_period == -1);
  assert_string_equal(s.actions[11].image, "registry.example/db:2");
  assert_null(s.actions[11].container);
  a = &s.actions[12];
  assert_string_equal(a->when_pod, "web-1");
  assert_int_equal(a->when_becomes, WHEN_READY);
  assert_true(a->after == SIM_SEC(30));
  assert_string_equal(a->node, "@pod:web-1");
  assert_true(a->duration == SIM_MIN(5));
  assert_int_equal(a->pos.line, 59);

  /* expectations */
  assert_int_equal(s.expects_nr, 8);
  e = &s.expects[0];
  assert_int_equal(e->target, EXPECT_STATEFULSET);
  assert_string_equal(e->name, "web");
  assert_true(e->at == SIM_MIN(20));
  assert_false(e->at_end);
  assert_int_equal(e->checks_nr, 2);
  assert_string_equal(e->checks[0].field, "readyReplicas");
  assert_string_equal(e->checks[0].value, "5");
  assert_string_equal(e->checks[1].field, "currentRevision");
  assert_string_equal(e->checks[1].value, "web-abc");
  e = &s.expects[1];
  assert_int_equal(e->target, EXPECT_POD);
  assert_true(e->at_end);
  assert_true(e->at == SIMTIME_NEVER);
  assert_int_equal(e->checks_nr, 2);
  assert_string_equal(e->checks[1].value, "true");
  e = &s.expects[2];
  assert_int_equal(e->becomes, WHEN_READY);
  assert_true(e->at == SIM_MIN(3));
  assert_true(e->tolerance == SIM_SEC(30));
  assert_int_equal(e->checks_nr, 0);
  e = &s.expects[3];
  assert_int_equal(e->becomes, WHEN_DELETED);
  assert_true(e->never);
  assert_true(e->at == SIMTIME_NEVER);
  e = &s.expects[4];
  assert_int_equal(e->target, EXPECT_PROPERTY);
  assert_string_equal(e->name, "identity.at-most-one");
  assert_true(e->violated);
  e = &s.expects[5];
  assert_int_equal(e->target, EXPECT_EVENT);
  assert_string_equal(e->event_reason, "FailedAttachVolume");
  assert_string_equal(e->event_object, "Pod/web-1");
  assert_string_equal(e->event_message, "Multi-Attach");
  assert_true(e->at == SIM_MIN(7));
  assert_true(e->tolerance == SIM_MIN(1));
  e = &s.expects[6];
  assert_true(e->never);
  assert_null(e->event_object);
  e = &s.expects[7];
  assert_int_equal(e->target, EXPECT_NODE);
  assert_string_equal(e->checks[0].value, "Unknown");

  /* fuzz */
  assert_true(s.fuzz.present);
  assert_true(s.fuzz.runs == 500);
  assert_true(s.fuzz.until == SIM_MIN(120));
  assert_int_equal(s.fuzz.faults_nr, 4);
  assert_int_equal(s.fuzz.faults[0].kind, ACTION_CRASH_NODE);
  assert_true(s.fuzz.faults[0].every == SIM_MIN(20));
  assert_int_equal(s.fuzz.faults[0].params_nr, 1);
  assert_string_equal(s.fuzz.faults[0].params[0].name, "downFor");
  assert_true(s.fuzz.faults[0].params[0].is_duration);
  assert_true(s.fuzz.faults[0].params[0].lo == SIM_MIN(1));
  assert_true(s.fuzz.faults[0].params[0].hi == SIM_MIN(30));
  assert_false(s.fuzz.faults[1].params[0].is_duration);
  assert_true(s.fuzz.faults[1].params[0].lo == 0);
  assert_true(s.fuzz.faults[1].params[0].hi == 6);
  assert_int_equal(s.fuzz.faults[2].params_nr, 0);
  /* "0..30s": a bare 0 next to a duration is a duration */
  assert_true(s.fuzz.faults[3].params[0].is_duration);
  assert_true(s.fuzz.faults[3].params[0].hi == SIM_SEC(30));

  scenario_release(&s);
  /* release twice is harmless */
  scenario_release(&s);
}

static void action_parameters_have_defaults_and_for_follows_up(void **state)
{
  struct scenario s;
  struct diag d;

  (void)state;
  assert_int_equal(
      load(&s, "p.yaml",
           "apiVersion: stsim/v1alpha1\nkind: Scenario\nspec:\n"
           "  actions:\n"
           "    - {at: 1m, action: api-errors, duration: 1m, fraction: 1}\n"
           "    - {at: 2m, action: crash-node, node: \"@pod:web-0\", "
           "for: 1m}\n"
           "    - {at: 3m, action: crash-node, node: n1, for: 1m}\n"
           "    - {when: {pod: web-2, becomes: Running}, action: "
           "partition-node, node: n2, for: 30s}\n"
           "    - {at: 0s, action: delete-pod, pod: web-1}\n",
           &d),
      0);
  assert_int_equal(s.actions_nr, 6);
  /* at 0s: delete-pod, grace period left to the pod */
  assert_int_equal(s.actions[0].kind, ACTION_DELETE_POD);
  assert_true(s.actions[0].grace_period == -1);
  assert_false(s.actions[0].force);
  assert_int_equal(s.actions[1].kind, ACTION_API_ERRORS);
  assert_string_equal(s.actions[1].error, "unavailable");
  assert_true(s.actions[1].fraction == 1.0);
  /* "@pod:" is resolved once, by the runner: no added action */
  assert_int_equal(s.actions[2].kind, ACTION_CRASH_NODE);
  assert_true(s.actions[2].duration == SIM_MIN(1));
  /* a named node gets its restart-node at 3m + 1m */
  assert_int_equal(s.actions[3].kind, ACTION_CRASH_NODE);
  assert_true(s.actions[3].duration == 0);
  assert_int_equal(s.actions[4].kind, ACTION_RESTART_NODE);
  assert_true(s.actions[4].at == SIM_MIN(4));
  assert_string_equal(s.actions[4].node, "n1");
  assert_true(s.actions[4].pos.line == s.actions[3].pos.line);
  /* `when`: the runner schedules the heal-node */
  assert_int_equal(s.actions[5].kind, ACTION_PARTITION_NODE);
  assert_true(s.actions[5].at == SIMTIME_NEVER);
  assert_true(s.actions[5].duration == SIM_SEC(30));
  assert_int_equal(s.actions[5].when_becomes, WHEN_RUNNING);
  assert_true(s.actions[5].after == 0);
  scenario_release(&s);
}

/* ---- defaults ----------------------------------------------------------- */

static const char sts_only[] = "apiVersion: apps/v1\n"
                               "kind: StatefulSet\n"
                               "metadata: {name: web}\n"
                               "spec:\n"
                               "  replicas: 2\n"
                               "  selector: {matchLabels: {app: web}}\n"
                               "  template:\n"
                               "    metadata: {labels: {app: web}}\n"
                               "    spec:\n"
                               "      containers: [{name: a, image: b}]\n";

static void plain_manifests_get_the_default_cluster(void **state)
{
  struct scenario s;
  struct diag d;
  struct timings t;

  (void)state;
  assert_int_equal(load(&s, "dir/my-sts.yaml", sts_only, &d), 0);
  assert_false(s.has_scenario_doc);
  assert_string_equal(s.name, "my-sts");
  assert_null(s.description);
  assert_true(s.seed == 1);
  assert_true(s.until == SIMTIME_NEVER);
  assert_int_equal(s.kubernetes_minor, 34);
  assert_string_equal(s.default_storage_class, "standard");
  timings_defaults(&t, 34);
  assert_memory_equal(&s.timings, &t, sizeof(t));
  assert_int_equal(s.objects_nr, 1);
  assert_int_equal(s.actions_nr, 0);
  assert_int_equal(s.expects_nr, 0);
  assert_false(s.fuzz.present);
  assert_int_equal(s.warnings.nr, 0);
  assert_int_equal(s.nodes_nr, 3);
  for (size_t i = 0; i < 3; i++) {
    static const char *const names[] = {"node-1", "node-2", "node-3"};
    static const char *const zones[] = {"a", "b", "c"};
    const struct node_decl *n = &s.nodes[i];

    assert_string_equal(n->name, names[i]);
    assert_string_equal(n->zone, zones[i]);
    assert_string_equal(kv_get(&n->labels, "kubernetes.io/hostname"), names[i]);
    assert_string_equal(kv_get(&n->labels, "topology.kubernetes.io/zone"),
                        zones[i]);
    assert_string_equal(kv_get(&n->labels, "topology.kubernetes.io/region"),
                        "region-1");
    assert_string_equal(kv_get(&n->labels, "kubernetes.io/os"), "linux");
    assert_true(n->cpu_milli == 4000);
    assert_true(n->memory == INT64_C(16) << 30);
    assert_true(n->pods == 110);
    assert_int_equal(n->taints_nr, 0);
  }
  scenario_release(&s);

  /* an empty stream is a scenario with nothing in it */
  assert_int_equal(load(&s, "empty.yaml", "", &d), 0);
  assert_int_equal(s.objects_nr, 0);
  assert_int_equal(s.nodes_nr, 3);
  scenario_release(&s);
}

static void node_manifests_replace_the_default_nodes(void **state)
{
  struct scenario s;
  struct diag d;

  (void)state;
  assert_int_equal(load(&s, "n.yaml",
                        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n",
                        &d),
                   0);
  assert_int_equal(s.objects_nr, 1);
  assert_int_equal(s.objects[0].obj.kind, KIND_NODE);
  assert_int_equal(s.nodes_nr, 0);
  scenario_release(&s);
}

static void a_node_count_spreads_over_zones(void **state)
{
  struct scenario s;
  struct diag d;

  (void)state;
  assert_int_equal(load(&s, "z.yaml",
                        "apiVersion: stsim/v1alpha1\n"
                        "kind: Scenario\n"
                        "spec:\n"
                        "  cluster: {nodes: 5, zones: [x, y]}\n",
                        &d),
                   0);
  assert_int_equal(s.nodes_nr, 5);
  assert_string_equal(s.nodes[4].name, "node-5");
  assert_string_equal(s.nodes[0].zone, "x");
  assert_string_equal(s.nodes[1].zone, "y");
  assert_string_equal(s.nodes[4].zone, "x");
  assert_string_equal(kv_get(&s.nodes[3].labels, "topology.kubernetes.io/zone"),
                      "y");
  assert_string_equal(s.name, "z");
  scenario_release(&s);

  assert_int_equal(load(&s, "z.yaml",
                        "apiVersion: stsim/v1alpha1\n"
                        "kind: Scenario\n"
                        "spec: {cluster: {nodes: 10000}}\n",
                        &d),
                   0);
  assert_int_equal(s.nodes_nr, 10000);
  assert_string_equal(s.nodes[9999].name, "node-10000");
  assert_string_equal(s.nodes[9999].zone, "a");
  scenario_release(&s);
}

static bool gate(int minor, const char *name)
{
  struct scenario s;
  struct diag d;
  char yaml[256];
  bool on;

  snprintf(yaml, sizeof(yaml),
           "apiVersion: stsim/v1alpha1\nkind: Scenario\n"
           "spec: {cluster: {kubernetesVersion: \"1.%d\"}}\n",
           minor);
  assert_int_equal(load(&s, "g.yaml", yaml, &d), 0);
  assert_int_equal(s.kubernetes_minor, minor);
  on = scenario_feature_enabled(&s, name);
  scenario_release(&s);
  return on;
}

static void feature_gates_default_by_version(void **state)
{
  (void)state;
  for (int minor = 31; minor <= 37; minor++) {
    bool mu = minor == 35 || minor == 37;

    assert_int_equal(gate(minor, "MaxUnavailableStatefulSet"), mu);
    assert_true(gate(minor, "StatefulSetAutoDeletePVC"));
    assert_true(gate(minor, "StatefulSetStartOrdinal"));
    assert_true(gate(minor, "PodIndexLabel"));
    assert_int_equal(gate(minor, "StatefulSetSemanticRevisionComparison"),
                     minor >= 34);
    assert_false(gate(minor, "NoSuchGate"));
  }
}

static void feature_gates_can_be_set_where_they_exist(void **state)
{
  struct scenario s;
  struct diag d;

  (void)state;
  assert_int_equal(load(&s, "g.yaml",
                        "apiVersion: stsim/v1alpha1\nkind: Scenario\n"
                        "spec:\n  cluster:\n    kubernetesVersion: v1.36\n"
                        "    featureGates:\n"
                        "      MaxUnavailableStatefulSet: true\n"
                        "      StatefulSetSemanticRevisionComparison: false\n"
                        "      PodIndexLabel: true\n",
                        &d),
                   0);
  assert_int_equal(s.kubernetes_minor, 36);
  assert_true(scenario_feature_enabled(&s, "MaxUnavailableStatefulSet"));
  assert_false(
      scenario_feature_enabled(&s, "StatefulSetSemanticRevisionComparison"));
  scenario_release(&s);
  expect_fail("apiVersion: stsim/v1alpha1\nkind: Scenario\n"
              "spec:\n  cluster:\n    kubernetesVersion: \"1.33\"\n"
              "    featureGates:\n"
              "      StatefulSetSemanticRevisionComparison: true\n",
              SIM_ESCHEMA,
              "x.yaml:7:7: spec.cluster.featureGates: unrecognized feature "
              "gate 'StatefulSetSemanticRevisionComparison' (Kubernetes "
              "1.33)");
  /* not yet GA in 1.31: may be turned off */
  assert_int_equal(load(&s, "g.yaml",
                        "apiVersion: stsim/v1alpha1\nkind: Scenario\n"
                        "spec:\n  cluster:\n    kubernetesVersion: \"1.31\"\n"
                        "    featureGates: {StatefulSetAutoDeletePVC: false}\n",
                        &d),
                   0);
  assert_false(scenario_feature_enabled(&s, "StatefulSetAutoDeletePVC"));
  scenario_release(&s);
}

/* ---- files and includes ------------------------------------------------- */

static const char svc_yaml[] = "apiVersion: v1\nkind: Service\n"
                               "metadata: {name: web}\n"
                               "spec: {clusterIP: None}\n";
static const char pvc_yaml[] = "apiVersion: v1\n"
                               "kind: PersistentVolumeClaim\n"
                               "metadata: {name: data}\n"
                               "spec:\n"
                               "  accessModes: [ReadWriteOnce]\n"
                               "  resources: {requests: {storage: 1Gi}}\n"
                               "---\n"
                               "apiVersion: v1\nkind: ConfigMap\n"
                               "metadata: {name: c}\n";
static const char main_yaml[] = "apiVersion: apps/v1\n"
                                "kind: StatefulSet\n"
                                "metadata: {name: web}\n"
                                "spec:\n"
                                "  selector: {matchLabels: {app: web}}\n"
                                "  template:\n"
                                "    metadata: {labels: {app: web}}\n"
                                "    spec:\n"
                                "      containers: [{name: a, image: b}]\n"
                                "---\n"
                                "apiVersion: stsim/v1alpha1\n"
                                "kind: Scenario\n"
                                "spec:\n"
                                "  include: [svc.yaml, sub/../pvc.yaml, "
                                "svc.yaml]\n";

static void includes_come_first_and_load_once(void **state)
{
  struct scenario s;
  struct diag d;
  char p[512], q[512];
  uint64_t h;

  (void)state;
  write_file("svc.yaml", svc_yaml);
  write_file("pvc.yaml", pvc_yaml);
  write_file("main.yaml", main_yaml);
  tmp_path(p, sizeof(p), "sub");
  assert_int_equal(mkdir(p, 0700), 0);
  tmp_path(p, sizeof(p), "main.yaml");
  tmp_path(q, sizeof(q), "svc.yaml");
  const char *paths[] = {p, q}; /* svc.yaml again: already loaded */

  assert_int_equal(scenario_load_files(&s, paths, 2, &d), 0);
  rmdir(tmp_path(q, sizeof(q), "sub"));
  assert_int_equal(s.objects_nr, 3);
  assert_int_equal(s.objects[0].obj.kind, KIND_SERVICE);
  assert_int_equal(s.objects[1].obj.kind, KIND_PVC);
  assert_int_equal(s.objects[2].obj.kind, KIND_STATEFULSET);
  assert_string_equal(s.name, "main");
  assert_non_null(strstr(s.objects[1].pos.file, "pvc.yaml"));
  assert_string_equal(s.objects[2].pos.file, p);
  /* the warning names the included file */
  assert_int_equal(s.warnings.nr, 1);
  assert_non_null(strstr(s.warnings.v[0], "pvc.yaml:9:7: skipping kind "
                                          "'ConfigMap' (not modelled)"));
  /* bytes in reading order: main, then its includes */
  h = sim_fnv1a(SIM_FNV_INIT, main_yaml, strlen(main_yaml));
  h = sim_fnv1a(h, svc_yaml, strlen(svc_yaml));
  h = sim_fnv1a(h, pvc_yaml, strlen(pvc_yaml));
  assert_true(s.input_digest == h);
  scenario_release(&s);
}

static void several_files_merge_in_order_and_warn_per_file(void **state)
{
  struct scenario s;
  struct diag d;
  char p[512], q[512];
  const char *cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
                   "---\n"
                   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n";

  (void)state;
  write_file("one.yaml", cm);
  write_file("two.yaml", sts_only);
  write_file("three.yaml", cm);
  tmp_path(p, sizeof(p), "one.yaml");
  tmp_path(q, sizeof(q), "three.yaml");
  char r[512];
  tmp_path(r, sizeof(r), "two.yaml");
  const char *paths[] = {r, p, q};
  assert_int_equal(scenario_load_files(&s, paths, 3, &d), 0);
  assert_int_equal(s.objects_nr, 1);
  assert_int_equal(s.warnings.nr, 2); /* once per kind and file */
  assert_string_equal(s.name, "two");
  scenario_release(&s);
}

static void a_second_scenario_in_an_include_is_refused(void **state)
{
  struct scenario s;
  struct diag d;
  char a[512], b[512], want[1200], got[1200];

  (void)state;
  write_file("cycle-a.yaml", "apiVersion: stsim/v1alpha1\nkind: Scenario\n"
                             "spec: {include: [cycle-b.yaml]}\n");
  write_file("cycle-b.yaml", "apiVersion: stsim/v1alpha1\nkind: Scenario\n"
                             "spec: {include: [cycle-a.yaml]}\n");
  tmp_path(a, sizeof(a), "cycle-a.yaml");
  tmp_path(b, sizeof(b), "cycle-b.yaml");
  const char *paths[] = {a};
  assert_int_equal(scenario_load_files(&s, paths, 1, &d), SIM_ESCHEMA);
  diag_format(&d, got, sizeof(got));
  snprintf(want, sizeof(want),
           "%s:1:1: a second Scenario document (the first is in %s)", b, a);
  assert_string_equal(got, want);
}

static void files_that_cannot_be_read_are_named(void **state)
{
  struct scenario s;
  struct diag d;
  char p[512], want[1200], got[1200];
  const char *paths[1] = {p};

  (void)state;
  tmp_path(p, sizeof(p), "absent.yaml");
  assert_int_equal(scenario_load_files(&s, paths, 1, &d), SIM_EIO);
  diag_format(&d, got, sizeof(got));
  snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", p);
  assert_string_equal(got, want);

  snprintf(p, sizeof(p), "%s", tmpdir);
  assert_int_equal(scenario_load_files(&s, paths, 1, &d), SIM_EIO);
  assert_string_equal(d.msg, "cannot read: is a directory");

  tmp_path(p, sizeof(p), "fifo.yaml");
  assert_int_equal(mkfifo(p, 0600), 0);
  assert_int_equal(scenario_load_files(&s, paths, 1, &d), SIM_EIO);
  assert_string_equal(d.msg, "cannot read: not a regular file");
  unlink(p);

  assert_int_equal(scenario_load_files(&s, paths, 0, &d), SIM_EINVAL);
}

static void files_over_16_mib_are_refused(void **state)
{
  size_t len = SCENARIO_MAX_FILE_BYTES + 1;
  char *big = malloc(len + 1);
  struct scenario s;
  struct diag d;
  char p[512], got[1024], want[1024];
  const char *paths[1] = {p};
  FILE *f;

  (void)state;
  memset(big, '#', len);
  big[len - 1] = '\n';
  big[len] = '\0';
  /* in memory */
  assert_int_equal(scenario_load_string(&s, "big.yaml", big, len, &d),
                   SIM_ELIMIT);
  diag_format(&d, got, sizeof(got));
  assert_string_equal(got, "big.yaml:1:1: file is larger than 16 MiB");
  /* and as a file, refused before it is read */
  tmp_path(p, sizeof(p), "big.yaml");
  f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(big, 1, len, f), len);
  fclose(f);
  assert_int_equal(scenario_load_files(&s, paths, 1, &d), SIM_ELIMIT);
  diag_format(&d, got, sizeof(got));
  snprintf(want, sizeof(want), "%s:1:1: file is larger than 16 MiB", p);
  assert_string_equal(got, want);
  unlink(p);
  free(big);
}

static void too_many_files_are_refused(void **state)
{
  struct scenario s;
  struct diag d;
  char name[64], text[256];

  (void)state;
  /* 71 distinct files, one Service each, named on the command line */
  for (int i = 0; i <= 70; i++) {
    snprintf(name, sizeof(name), "chain%d.yaml", i);
    snprintf(text, sizeof(text),
             "apiVersion: v1\nkind: Service\nmetadata: {name: s%d}\n", i);
    write_file(name, text);
  }
  char *paths[71];
  for (int i = 0; i <= 70; i++) {
    paths[i] = malloc(512);
    snprintf(name, sizeof(name), "chain%d.yaml", i);
    tmp_path(paths[i], 512, name);
  }
  int rc = scenario_load_files(&s, (const char *const *)paths, 71, &d);
  assert_int_equal(rc, SIM_ELIMIT);
  assert_string_equal(d.msg, "more than 64 files in one scenario");
  rc = scenario_load_files(&s, (const char *const *)paths, 64, &d);
  assert_int_equal(rc, 0);
  assert_int_equal(s.objects_nr, 64);
  scenario_release(&s);
  for (int i = 0; i <= 70; i++)
    free(paths[i]);
}

static void a_kubectl_list_is_read_item_by_item(void **state)
{
  struct scenario s;
  struct diag d;

  (void)state;
  assert_int_equal(load(&s, "list.yaml",
                        "apiVersion: v1\nkind: List\nitems:\n"
                        "  - apiVersion: v1\n    kind: Service\n"
                        "    metadata: {name: a}\n"
                        "  - apiVersion: v1\n    kind: ConfigMap\n"
                        "    metadata: {name: b}\n"
                        "  - apiVersion: v1\n    kind: Service\n"
                        "    metadata: {name: c}\n",
                        &d),
                   0);
  assert_int_equal(s.objects_nr, 2);
  assert_string_equal(s.objects[1].obj.meta.name, "c");
  assert_int_equal(s.warnings.nr, 1);
  scenario_release(&s);
}

/* ---- names -------------------------------------------------------------- */

static void action_and_state_names_round_trip(void **state)
{
  (void)state;
  for (int i = 0; i < ACTION_COUNT; i++) {
    assert_int_equal(action_lookup(action_name((enum action_kind)i)), i);
    assert_true(strlen(action_summary((enum action_kind)i)) > 0);
  }
  assert_int_equal(action_lookup("explode"), -1);
  assert_int_equal(action_lookup("crash-node"), ACTION_CRASH_NODE);
  assert_string_equal(action_name(ACTION_WATCH_DELAY), "watch-delay");
  assert_string_equal(when_state_name(WHEN_READY), "Ready");
  assert_string_equal(when_state_name(WHEN_SCHEDULED), "Scheduled");
  assert_string_equal(when_state_name(WHEN_DELETED), "Deleted");
}

static bool has_field(enum expect_target t, const char *f)
{
  for (const char *const *p = scenario_expect_fields(t); *p; p++)
    if (!strcmp(*p, f))
      return true;
  return false;
}

static void expectation_fields_are_listed_per_target(void **state)
{
  (void)state;
  assert_true(has_field(EXPECT_STATEFULSET, "readyReplicas"));
  assert_true(has_field(EXPECT_STATEFULSET, "observedGeneration"));
  assert_true(has_field(EXPECT_POD, "restarts"));
  assert_true(has_field(EXPECT_PVC, "volumeName"));
  assert_true(has_field(EXPECT_PV, "attachedTo"));
  assert_true(has_field(EXPECT_NODE, "unschedulable"));
  assert_false(has_field(EXPECT_POD, "readyReplicas"));
  assert_null(scenario_expect_fields(EXPECT_PROPERTY)[0]);
  assert_null(scenario_expect_fields(EXPECT_EVENT)[0]);
}

/* ---- bad input ---------------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every YAML file in tests/bad/ fails with exactly the message on its first
 * line
 * ("# expect: MESSAGE"), after "PATH:LINE:COL: ".
 */
static void bad_files_give_their_expected_message(void **state)
{
  char dirpath[512], path[1024];
  VEC(char *) names = {0};
  DIR *dir;
  struct dirent *e;
  int failures = 0;

  (void)state;
  snprintf(dirpath, sizeof(dirpath), "%s/tests/bad", srcdir());
  dir = opendir(dirpath);
  assert_non_null(dir);
  while ((e = readdir(dir))) {
    size_t n = strlen(e->d_name);

    if (n > 5 && !strcmp(e->d_name + n - 5, ".yaml"))
      VEC_PUSH(&names, xstrdup(e->d_name));
  }
  closedir(dir);
  qsort(names.v, names.nr, sizeof(*names.v), name_cmp);
  assert_true(names.nr >= 20);

  for (size_t i = 0; i < names.nr; i++) {
    char want[1024] = "", got[1200], prefix[1100];
    struct scenario s;
    struct diag d = {0};
    const char *paths[1] = {path};
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dirpath, names.v[i]);
    f = fopen(path, "rb");
    assert_non_null(f);
    if (!fgets(want, sizeof(want), f))
      want[0] = '\0';
    fclose(f);
    want[strcspn(want, "\n")] = '\0';
    if (strncmp(want, "# expect: ", 10) || !want[10]) {
      print_error("%s: first line is not '# expect: MESSAGE'\n", path);
      failures++;
      continue;
    }
    int rc = scenario_load_files(&s, paths, 1, &d);
    diag_format(&d, got, sizeof(got));
    snprintf(prefix, sizeof(prefix), "%s:%d:%d: ", path, d.line, d.col);
    size_t gl = strlen(got), wl = strlen(want + 10);
    if (rc >= 0 || rc == SIM_ENOMEM || d.line <= 0 || d.col <= 0 ||
        strncmp(got, prefix, strlen(prefix)) || gl < wl ||
        strcmp(got + strlen(prefix), want + 10)) {
      print_error("%s:\n  got  %d %s\n  want %s%s\n", names.v[i], rc, got,
                  prefix, want + 10);
      failures++;
    }
  }
  for (size_t i = 0; i < names.nr; i++)
    free(names.v[i]);
  free(names.v);
  assert_int_equal(failures, 0);
}

static const struct {
  const char *yaml;
  int code;
  const char *want;
} bad[] = {
#define SC "apiVersion: stsim/v1alpha1\nkind: Scenario\n"
    {SC "spec: {actions: [{at: 1m, action: api-errors, duration: 1m, "
        "fraction: 2, error: conflict}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:71: spec.actions[0].fraction: expected a number from 0 to 1, "
     "got \"2\""},
    {SC "spec: {actions: [{at: 1m, action: api-errors, duration: 1m, "
        "fraction: 0.5, error: boom}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:83: spec.actions[0].error: \"boom\" is not an API error (one "
     "of: conflict, unavailable, timeout, timeout-applied)"},
    {SC "spec: {actions: [{at: 1m, action: delete-statefulset, statefulSet: "
        "web, cascade: Cascading}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:82: spec.actions[0].cascade: \"Cascading\" is not a cascade "
     "(one of: background, foreground, orphan)"},
    {SC "spec: {actions: [{at: 1m, action: taint-node, node: n, taint: {key: "
        "k, effect: Never}}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:80: spec.actions[0].taint.effect: \"Never\" is not a taint "
     "effect (NoSchedule, PreferNoSchedule or NoExecute)"},
    {SC "spec: {actions: [{at: 1m, action: taint-node, node: n, taint: "
        "{effect: NoSchedule}}]}\n",
     SIM_ESCHEMA, "x.yaml:3:63: spec.actions[0].taint: missing 'key'"},
    {SC "spec: {actions: [{at: 1m, action: crash-node, node: \"@pod:\"}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:53: spec.actions[0].node: \"@pod:\" needs a pod name (e.g. "
     "@pod:web-1)"},
    {SC "spec: {actions: [{at: 1m, action: crash-node, node: n, for: 0s}]}\n",
     SIM_ESCHEMA, "x.yaml:3:61: spec.actions[0].for: must be longer than 0s"},
    {SC "spec: {actions: [{action: crash-node, node: n}]}\n", SIM_ESCHEMA,
     "x.yaml:3:18: spec.actions[0]: missing 'at' (or 'when')"},
    {SC "spec: {actions: [{at: 1m, node: n}]}\n", SIM_ESCHEMA,
     "x.yaml:3:18: spec.actions[0]: missing 'action'"},
    {SC "spec: {actions: [{at: 1m, after: 1m, action: crash-node, node: "
        "n}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:34: spec.actions[0]: 'after' goes with 'when' (with 'at', add "
     "it to the time)"},
    {SC "spec: {actions: [{when: {pod: a}, action: crash-node, node: n}]}\n",
     SIM_ESCHEMA, "x.yaml:3:25: spec.actions[0].when: missing 'becomes'"},
    {SC "spec: {actions: [{at: 1m, action: apply, object: {apiVersion: v1, "
        "kind: ConfigMap}}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:73: spec.actions[0].object: v1 'ConfigMap' is not a modelled "
     "kind"},
    {SC "spec: {actions: [{at: 1m, action: scale, statefulSet: web, "
        "replicas: 3.0}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:70: spec.actions[0].replicas: expected an integer, got "
     "\"3.0\""},
    {SC "spec: {expect: [{pod: a, at: 1m, tolerance: 1s, phase: Running}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:45: spec.expect[0]: 'tolerance' goes with 'becomes' or "
     "'event'"},
    {SC "spec: {expect: [{pvc: a, becomes: Ready, at: 1m}]}\n", SIM_ESCHEMA,
     "x.yaml:3:35: spec.expect[0]: 'becomes' applies to pods only"},
    {SC "spec: {expect: [{pod: a, becomes: Ready, atEnd: true}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:49: spec.expect[0]: 'atEnd' goes with state checks, not with "
     "'becomes'"},
    {SC "spec: {expect: [{pod: a, becomes: Ready, phase: Running}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:42: spec.expect[0]: a 'becomes' expectation has no field "
     "checks ('phase')"},
    {SC "spec: {expect: [{pod: a, becomes: Ready, tolerance: 1s}]}\n",
     SIM_ESCHEMA, "x.yaml:3:53: spec.expect[0]: 'tolerance' needs 'at'"},
    {SC "spec: {expect: [{pod: a, phase: Running}]}\n", SIM_ESCHEMA,
     "x.yaml:3:17: spec.expect[0]: missing 'at' (or 'atEnd: true')"},
    {SC "spec: {expect: [{pod: a, at: 1m}]}\n", SIM_ESCHEMA,
     "x.yaml:3:17: spec.expect[0]: nothing to check for pod 'a' (add one "
     "of: phase, ready, node, exists, deleting, revision, restarts, status, "
     "ip, owners, hostname, subdomain, podIndex)"},
    {SC "spec: {expect: [{at: 1m, phase: Running}]}\n", SIM_ESCHEMA,
     "x.yaml:3:17: spec.expect[0]: missing the target (one of: statefulSet, "
     "pod, pvc, pv, node, property, event)"},
    {SC "spec: {expect: [{property: p, at: 1m}]}\n", SIM_ESCHEMA,
     "x.yaml:3:35: spec.expect[0]: a property expectation covers the whole "
     "run (no 'at', 'atEnd', 'tolerance' or 'never')"},
    {SC "spec: {expect: [{property: p, phase: x}]}\n", SIM_ESCHEMA,
     "x.yaml:3:31: spec.expect[0]: unknown key 'phase'"},
    {SC "spec: {expect: [{event: {object: web-1}}]}\n", SIM_ESCHEMA,
     "x.yaml:3:34: spec.expect[0].event.object: \"web-1\" is not Kind/name "
     "(e.g. Pod/web-0)"},
    {SC "spec: {expect: [{event: {}, never: true}]}\n", SIM_ESCHEMA,
     "x.yaml:3:25: spec.expect[0].event: give at least one of reason, "
     "object, message"},
    {SC "spec: {expect: [{statefulSet: web, at: 1m, readyReplicas: many}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:59: spec.expect[0].readyReplicas: expected an integer, got "
     "\"many\""},
    {SC "spec: {expect: [{node: n, atEnd: true, unschedulable: maybe}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:55: spec.expect[0].unschedulable: expected true or false, "
     "got \"maybe\""},
    {SC "spec: {expect: [{statefulSet: web, atEnd: true, deleting: maybe}]}\n",
     SIM_ESCHEMA,
     "x.yaml:3:59: spec.expect[0].deleting: expected true or false, got "
     "\"maybe\""},
    {SC "spec: {expect: [{pv: v, atEnd: true, phase: {x: 1}}]}\n", SIM_ESCHEMA,
     "x.yaml:3:45: spec.expect[0].phase: expected a value to compare with, "
     "got a mapping"},
    {SC "spec: {fuzz: {faults: {explode: {every: 1m}}}}\n", SIM_ESCHEMA,
     "x.yaml:3:24: spec.fuzz.faults: unknown action 'explode' (see stsim "
     "list actions)"},
    {SC "spec: {fuzz: {faults: {crash-node: {downFor: 1m..2m}}}}\n",
     SIM_ESCHEMA,
     "x.yaml:3:36: spec.fuzz.faults.crash-node: missing 'every' (the mean "
     "interval, e.g. 20m)"},
    {SC "spec: {fuzz: {faults: {scale: {every: 1m, replicas: 1..5m}}}}\n",
     SIM_ESCHEMA,
     "x.yaml:3:53: spec.fuzz.faults.scale.replicas: \"1..5m\" mixes a count "
     "and a duration"},
    {SC "spec: {fuzz: {faults: {scale: {every: 1m, replicas: lots}}}}\n",
     SIM_ESCHEMA,
     "x.yaml:3:53: spec.fuzz.faults.scale.replicas: \"lots\" is not a range "
     "(e.g. 1m..30m or 0..6)"},
    {SC "spec: {fuzz: {runs: 0}}\n", SIM_ESCHEMA,
     "x.yaml:3:21: spec.fuzz.runs: 0 is out of range (1 to 2147483647)"},
    {SC "spec: {seed: -3}\n", SIM_ESCHEMA,
     "x.yaml:3:14: spec.seed: must not be negative"},
    {SC "spec: {seed: 18446744073709551616}\n", SIM_ESCHEMA,
     "x.yaml:3:14: spec.seed: 18446744073709551616 is larger than "
     "18446744073709551615"},
    {SC "spec: {until: 0s}\n", SIM_ESCHEMA,
     "x.yaml:3:15: spec.until: must be longer than 0s"},
    {SC "spec: {cluster: {kubernetesVersion: 1.38}}\n", SIM_ESCHEMA,
     "x.yaml:3:37: spec.cluster.kubernetesVersion: \"1.38\" is not supported "
     "(1.31 to 1.37)"},
    {SC "spec: {cluster: {nodes: 0}}\n", SIM_ESCHEMA,
     "x.yaml:3:25: spec.cluster.nodes: 0 is out of range (1 to 10000)"},
    {SC "spec: {cluster: {nodes: 10001}}\n", SIM_ESCHEMA,
     "x.yaml:3:25: spec.cluster.nodes: 10001 is out of range (1 to 10000)"},
    {SC "spec: {cluster: {nodes: [{name: a}, {name: a}]}}\n", SIM_ESCHEMA,
     "x.yaml:3:44: spec.cluster.nodes[1].name: duplicate node name 'a'"},
    {SC "spec: {cluster: {nodes: [{name: a, gpu: 1}]}}\n", SIM_ESCHEMA,
     "x.yaml:3:36: spec.cluster.nodes[0]: unknown key 'gpu'"},
    {SC "spec: {cluster: {nodes: [{name: a, memory: lots}]}}\n", SIM_ESCHEMA,
     "x.yaml:3:44: spec.cluster.nodes[0].memory: \"lots\" is not a quantity "
     "(e.g. 16Gi)"},
    {SC "spec: {cluster: {nodes: [{zone: a}]}}\n", SIM_ESCHEMA,
     "x.yaml:3:26: spec.cluster.nodes[0]: missing 'name'"},
    {SC "spec: {cluster: {nodes: [{name: a}], zones: [a]}}\n", SIM_ESCHEMA,
     "x.yaml:3:45: spec.cluster.zones: only used when nodes is a count (give "
     "each node its zone)"},
    {SC "spec: {cluster: {zones: [a]}}\n", SIM_ESCHEMA,
     "x.yaml:3:25: spec.cluster.zones: only used when nodes is a count"},
    {SC "spec: {cluster: {images: {\"a:1\": {crash: true}}}}\n", SIM_ESCHEMA,
     "x.yaml:3:35: spec.cluster.images[\"a:1\"]: unknown key 'crash'"},
    {SC "spec: {cluster: {images: {\"a:1\": [x], \"b:1\": {}}}}\n", SIM_ESCHEMA,
     "x.yaml:3:34: spec.cluster.images[\"a:1\"]: expected a mapping, got a "
     "sequence"},
    {SC "spec: {cluster: {timings: {podStartup: fast}}}\n", SIM_ESCHEMA,
     "x.yaml:3:40: spec.cluster.timings.podStartup: \"fast\" is not a "
     "duration (e.g. 5m)"},
    {SC "spec: {cluster: {defaultStorageClass: \"\"}}\n", SIM_ESCHEMA,
     "x.yaml:3:39: spec.cluster.defaultStorageClass: must not be empty"},
    {SC "metadata: {name: x, labels: [a]}\n", SIM_ESCHEMA,
     "x.yaml:3:29: metadata.labels: expected a mapping, got a sequence"},
    {SC "metadata: {nme: x}\n", SIM_ESCHEMA,
     "x.yaml:3:12: metadata: unknown key 'nme'"},
    {SC "status: {}\n", SIM_ESCHEMA, "x.yaml:3:1: unknown key 'status'"},
    {SC "spec: {include: [\"\"]}\n", SIM_ESCHEMA,
     "x.yaml:3:18: spec.include[0]: empty file name"},
    {"kind: Scenario\n", SIM_ESCHEMA,
     "x.yaml:1:1: missing 'apiVersion' (Scenario is stsim/v1alpha1)"},
    {"kind: StatefulSet\nmetadata: {name: a}\n", SIM_ESCHEMA,
     "x.yaml:1:1: missing 'apiVersion' (StatefulSet is apps/v1)"},
    {"kind: [a]\n", SIM_ESCHEMA,
     "x.yaml:1:7: kind: expected a string, got a sequence"},
    {"apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: Service, "
     "metadata: {name: a}}, 3]\n",
     SIM_ESCHEMA, "x.yaml:3:63: items[1]: expected a mapping, got \"3\""},
    {"? [a]\n: b\n", SIM_ESCHEMA,
     "x.yaml:1:1: missing 'kind' (a document is a Kubernetes object or a "
     "Scenario)"},
#undef SC
};

static void bad_input_in_memory_gives_positioned_messages(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_fail(bad[i].yaml, bad[i].code, bad[i].want);
}

static void unknown_kinds_warn_once_and_do_not_fail(void **state)
{
  struct scenario s;
  struct diag d;

  (void)state;
  assert_int_equal(load(&s, "w.yaml",
                        "apiVersion: v1\nkind: ConfigMap\n"
                        "metadata: {name: a}\n---\n"
                        "apiVersion: apps/v1\nkind: Deployment\n"
                        "metadata: {name: b}\n---\n"
                        "apiVersion: v1\nkind: ConfigMap\n"
                        "metadata: {name: c}\n",
                        &d),
                   0);
  assert_int_equal(s.objects_nr, 0);
  assert_int_equal(s.warnings.nr, 2);
  assert_string_equal(s.warnings.v[0],
                      "w.yaml:2:7: skipping kind 'ConfigMap' (not modelled)");
  assert_string_equal(s.warnings.v[1],
                      "w.yaml:6:7: skipping kind 'Deployment' (not "
                      "modelled)");
  scenario_release(&s);
}

static void the_digest_follows_the_bytes(void **state)
{
  struct scenario s;
  struct diag d;
  uint64_t a, b;

  (void)state;
  assert_int_equal(load(&s, "a.yaml", sts_only, &d), 0);
  a = s.input_digest;
  scenario_release(&s);
  assert_int_equal(load(&s, "b.yaml", sts_only, &d), 0);
  assert_true(s.input_digest == a); /* the name is not input */
  scenario_release(&s);
  assert_int_equal(load(&s, "a.yaml", svc_yaml, &d), 0);
  b = s.input_digest;
  scenario_release(&s);
  assert_true(a != b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_full_scenario_decodes_to_plain_data),
      cmocka_unit_test(action_parameters_have_defaults_and_for_follows_up),
      cmocka_unit_test(plain_manifests_get_the_default_cluster),
      cmocka_unit_test(node_manifests_replace_the_default_nodes),
      cmocka_unit_test(a_node_count_spreads_over_zones),
      cmocka_unit_test(feature_gates_default_by_version),
      cmocka_unit_test(feature_gates_can_be_set_where_they_exist),
      cmocka_unit_test_setup_teardown(includes_come_first_and_load_once,
                                      make_tmpdir, remove_tmpdir),
      cmocka_unit_test_setup_teardown(
          several_files_merge_in_order_and_warn_per_file, make_tmpdir,
          remove_tmpdir),
      cmocka_unit_test_setup_teardown(
          a_second_scenario_in_an_include_is_refused, make_tmpdir,
          remove_tmpdir),
      cmocka_unit_test_setup_teardown(files_that_cannot_be_read_are_named,
                                      make_tmpdir, remove_tmpdir),
      cmocka_unit_test_setup_teardown(files_over_16_mib_are_refused,
                                      make_tmpdir, remove_tmpdir),
      cmocka_unit_test_setup_teardown(too_many_files_are_refused, make_tmpdir,
                                      remove_tmpdir),
      cmocka_unit_test(a_kubectl_list_is_read_item_by_item),
      cmocka_unit_test(action_and_state_names_round_trip),
      cmocka_unit_test(expectation_fields_are_listed_per_target),
      cmocka_unit_test(bad_files_give_their_expected_message),
      cmocka_unit_test(bad_input_in_memory_gives_positioned_messages),
      cmocka_unit_test(unknown_kinds_warn_once_and_do_not_fail),
      cmocka_unit_test(the_digest_follows_the_bytes),
  };

  return cmocka_run_group_tests_name("scenario", tests, NULL, NULL);
}
