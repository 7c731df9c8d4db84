/*
 * test_vary.c - spec.variant and spec.fuzz.vary: the loader applies a
 * variant to every StatefulSet (OnDelete clearing the rollingUpdate
 * fields) and refuses a contradictory one with its position; vary lists
 * parse as lists or single values and bad keys and values are refused
 * with their position; the fuzz profile refuses draws the cluster cannot
 * take; each run draws its variant deterministically from a stream of its
 * own (the fault schedule does not change), re-zones the nodes and
 * re-times the version while keeping the scenario's overrides; and a
 * failure file of a varied run reloads to the same StatefulSets, version
 * and zones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fuzz.h"
#include "scenario.h"
#include "timings.h"

/* --- fixtures ------------------------------------------------------------ */

/* StatefulSet "web": RollingUpdate with partition 1 and maxUnavailable 2,
 * everything else defaulted. Lines 1-19. */
#define WEB                                                                    \
  "apiVersion: apps/v1\n"                                                      \
  "kind: StatefulSet\n"                                                        \
  "metadata: {name: web}\n"                                                    \
  "spec:\n"                                                                    \
  "  serviceName: web\n"                                                       \
  "  replicas: 3\n"                                                            \
  "  updateStrategy:\n"                                                        \
  "    type: RollingUpdate\n"                                                  \
  "    rollingUpdate: {partition: 1, maxUnavailable: 2}\n"                     \
  "  selector: {matchLabels: {app: web}}\n"                                    \
  "  template:\n"                                                              \
  "    metadata: {labels: {app: web}}\n"                                       \
  "    spec:\n"                                                                \
  "      containers: [{name: app, image: registry.example/app:1}]\n"           \
  "  volumeClaimTemplates:\n"                                                  \
  "    - metadata: {name: data}\n"                                             \
  "      spec: {accessModes: [ReadWriteOnce],\n"                               \
  "             resources: {requests: {storage: 1Gi}}}\n"                      \
  "---\n"

/* StatefulSet "db": OnDelete, Parallel. Lines 1-12 of its part. */
#define DB                                                                     \
  "apiVersion: apps/v1\n"                                                      \
  "kind: StatefulSet\n"                                                        \
  "metadata: {name: db}\n"                                                     \
  "spec:\n"                                                                    \
  "  serviceName: db\n"                                                        \
  "  replicas: 2\n"                                                            \
  "  podManagementPolicy: Parallel\n"                                          \
  "  updateStrategy: {type: OnDelete}\n"                                       \
  "  selector: {matchLabels: {app: db}}\n"                                     \
  "  template:\n"                                                              \
  "    metadata: {labels: {app: db}}\n"                                        \
  "    spec: {containers: [{name: app, image: registry.example/db:1}]}\n"

#define SCENARIO                                                               \
  "apiVersion: stsim/v1alpha1\n"                                               \
  "kind: Scenario\n"                                                           \
  "metadata: {name: v}\n"                                                      \
  "spec:\n"

/* Lines of WEB plus the Scenario header: spec's keys start on line 24. */
#define SPEC_LINE 24

static int load_rc(struct scenario *s, const char *yaml, char *msg, size_t n)
{
  struct diag d = {0};
  int rc = scenario_load_string(s, "test.yaml", yaml, strlen(yaml), &d);

  if (rc)
    diag_format(&d, msg, n);
  return rc;
}

static void load(struct scenario *s, const char *yaml)
{
  char msg[1024];

  if (load_rc(s, yaml, msg, sizeof(msg)))
    fail_msg("load: %s\n%s", msg, yaml);
}

/* yaml must be refused with exactly "test.yaml:L:C: <want>". */
static void expect_refused(const char *yaml, const char *want)
{
  struct scenario s;
  char got[1024] = "";

  if (!load_rc(&s, yaml, got, sizeof(got))) {
    scenario_release(&s);
    fail_msg("accepted:\n%s\nwant %s", yaml, want);
  }
  if (strcmp(got, want))
    fail_msg("input:\n%s\ngot  %s\nwant %s", yaml, got, want);
}

static const struct statefulset_spec *sts(const struct scenario *s,
                                          const char *name)
{
  for (size_t i = 0; i < s->objects_nr; i++) {
    const struct object *o = &s->objects[i].obj;
    if (o->kind == KIND_STATEFULSET && !strcmp(o->meta.name, name))
      return &o->u.sts.spec;
  }
  fail_msg("no StatefulSet %s", name);
  return NULL;
}

static void profile(struct fuzz_profile *p, struct scenario *s,
                    const char *yaml)
{
  struct diag d = {0};

  load(s, yaml);
  if (fuzz_profile_init(p, s, &d))
    fail_msg("profile: %s", d.msg);
}

/* The schedule as the text a failure file would carry. */
static char *schedule_text(const struct fuzz_schedule *sc)
{
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);

  for (size_t i = 0; i < sc->actions.nr; i++) {
    fuzz_write_action(f, &sc->actions.v[i]);
    fputc('\n', f);
  }
  fclose(f);
  return buf;
}

/* The failure file of run sc, as fuzz_write_scenario writes it. */
static char *failure_file(const struct fuzz_schedule *sc, uint64_t seed)
{
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);

  assert_int_equal(fuzz_write_scenario(f, &sc->run, sc->actions.v,
                                       sc->actions.nr, seed, SIM_MIN(30), NULL),
                   0);
  fclose(f);
  return buf;
}

/* The fields a variant may set, for comparing two StatefulSets. */
static void assert_same_fields(const struct statefulset_spec *a,
                               const struct statefulset_spec *b)
{
  assert_int_equal(a->pod_management_policy, b->pod_management_policy);
  assert_int_equal(a->update_strategy, b->update_strategy);
  assert_int_equal(a->partition, b->partition);
  assert_int_equal(a->max_unavailable.set, b->max_unavailable.set);
  if (a->max_unavailable.set) {
    assert_int_equal(a->max_unavailable.is_percent,
                     b->max_unavailable.is_percent);
    assert_int_equal(a->max_unavailable.value, b->max_unavailable.value);
  }
  assert_int_equal(a->min_ready_seconds, b->min_ready_seconds);
  assert_int_equal(a->when_deleted, b->when_deleted);
  assert_int_equal(a->when_scaled, b->when_scaled);
}

/* --- spec.variant --------------------------------------------------------- */

static void a_variant_sets_its_fields_on_every_statefulset(void **st)
{
  /* "db" comes after the Scenario document: the variant still reaches it */
  static const char yaml[] =
      WEB SCENARIO "  variant: {podManagementPolicy: Parallel,\n"
                   "            updateStrategy: RollingUpdate,\n"
                   "            maxUnavailable: 3, minReadySeconds: 10,\n"
                   "            whenDeleted: Delete, whenScaled: Delete}\n"
                   "---\n" DB;
  struct scenario s;

  (void)st;
  load(&s, yaml);
  assert_int_equal(s.objects_nr, 2);
  for (int i = 0; i < 2; i++) {
    const struct statefulset_spec *ss = sts(&s, i ? "db" : "web");
    assert_int_equal(ss->pod_management_policy, PMP_PARALLEL);
    assert_int_equal(ss->update_strategy, UPDATE_ROLLING);
    assert_true(ss->max_unavailable.set);
    assert_false(ss->max_unavailable.is_percent);
    assert_int_equal(ss->max_unavailable.value, 3);
    assert_int_equal(ss->min_ready_seconds, 10);
    assert_int_equal(ss->when_deleted, DELETE);
    assert_int_equal(ss->when_scaled, DELETE);
  }
  /* what the manifest said and the variant did not touch stays */
  assert_int_equal(sts(&s, "web")->partition, 1);
  assert_int_equal(sts(&s, "web")->replicas, 3);
  assert_int_equal(sts(&s, "db")->replicas, 2);
  /* the variant itself, for a failure file to write again */
  for (int f = 0; f < SV_COUNT; f++)
    assert_true(s.variant.set[f]);
  assert_int_equal(s.variant.v[SV_MAX_UNAVAIL], 3);
  assert_int_equal(s.variant.pos.line, SPEC_LINE);
  scenario_release(&s);
}

static void a_variant_leaves_the_fields_it_does_not_name(void **st)
{
  static const char yaml[] = WEB SCENARIO "  variant: {minReadySeconds: 5}\n"
                                          "---\n" DB;
  struct scenario s;

  (void)st;
  load(&s, yaml);
  const struct statefulset_spec *web = sts(&s, "web"), *db = sts(&s, "db");
  assert_int_equal(web->min_ready_seconds, 5);
  assert_int_equal(db->min_ready_seconds, 5);
  assert_int_equal(web->pod_management_policy, PMP_ORDERED_READY);
  assert_int_equal(db->pod_management_policy, PMP_PARALLEL);
  assert_int_equal(web->update_strategy, UPDATE_ROLLING);
  assert_int_equal(db->update_strategy, UPDATE_ON_DELETE);
  assert_true(web->max_unavailable.set);
  assert_int_equal(web->max_unavailable.value, 2);
  assert_int_equal(web->when_scaled, RETAIN);
  assert_false(s.variant.set[SV_POLICY]);
  assert_true(s.variant.set[SV_MIN_READY]);
  scenario_release(&s);
}

static void an_on_delete_variant_clears_partition_and_max_unavailable(void **st)
{
  static const char yaml[] = WEB SCENARIO "  variant: {updateStrategy: "
                                          "OnDelete}\n";
  struct scenario s;

  (void)st;
  load(&s, yaml);
  const struct statefulset_spec *web = sts(&s, "web");
  assert_int_equal(web->update_strategy, UPDATE_ON_DELETE);
  assert_int_equal(web->partition, 0);
  assert_false(web->max_unavailable.set);
  assert_int_equal(web->max_unavailable.value, 0);
  scenario_release(&s);
}

static void a_rolling_update_variant_turns_an_on_delete_set_around(void **st)
{
  static const char yaml[] =
      DB "---\n" SCENARIO "  variant: {updateStrategy: RollingUpdate, "
         "maxUnavailable: 2}\n";
  struct scenario s;

  (void)st;
  load(&s, yaml);
  const struct statefulset_spec *db = sts(&s, "db");
  assert_int_equal(db->update_strategy, UPDATE_ROLLING);
  assert_true(db->max_unavailable.set);
  assert_int_equal(db->max_unavailable.value, 2);
  scenario_release(&s);
}

static void
max_unavailable_with_on_delete_is_refused_with_its_position(void **st)
{
  char yaml[4096], want[512];

  (void)st;
  /* in the variant itself */
  snprintf(yaml, sizeof(yaml), "%s",
           WEB SCENARIO "  variant: {updateStrategy: OnDelete, "
                        "maxUnavailable: 2}\n");
  snprintf(want, sizeof(want),
           "test.yaml:%d:12: spec.variant: maxUnavailable is only allowed "
           "with updateStrategy RollingUpdate",
           SPEC_LINE);
  expect_refused(yaml, want);
  /* against a manifest's OnDelete: the error names the set and points at
   * the variant (here with db after it) */
  snprintf(yaml, sizeof(yaml), "%s",
           WEB SCENARIO "  variant: {maxUnavailable: 2}\n---\n" DB);
  snprintf(want, sizeof(want),
           "test.yaml:%d:12: spec.variant: maxUnavailable: only allowed with "
           "updateStrategy RollingUpdate (StatefulSet db is OnDelete)",
           SPEC_LINE);
  expect_refused(yaml, want);
}

static void bad_variants_are_refused_with_their_position(void **st)
{
  static const struct {
    const char *variant, *want;
  } cases[] = {
      {"  variant: {replicas: 2}\n",
       "test.yaml:24:13: spec.variant: unknown field 'replicas' "
       "(podManagementPolicy, updateStrategy, maxUnavailable, "
       "minReadySeconds, whenDeleted, whenScaled)"},
      {"  variant: {podManagementPolicy: Sometimes}\n",
       "test.yaml:24:34: spec.variant.podManagementPolicy: \"Sometimes\" is "
       "not one of OrderedReady, Parallel"},
      {"  variant: {whenScaled: delete}\n",
       "test.yaml:24:25: spec.variant.whenScaled: \"delete\" is not one of "
       "Retain, Delete"},
      {"  variant: {minReadySeconds: -1}\n", NULL},
      {"  variant: {maxUnavailable: 0}\n", NULL},
      {"  variant: {updateStrategy: [OnDelete]}\n",
       "test.yaml:24:29: spec.variant.updateStrategy: expected a value, not "
       "a list"},
      {"  variant: [Parallel]\n", NULL},
  };

  (void)st;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char yaml[4096], got[1024] = "";
    struct scenario s;

    snprintf(yaml, sizeof(yaml), "%s%s", WEB SCENARIO, cases[i].variant);
    if (cases[i].want) {
      expect_refused(yaml, cases[i].want);
      continue;
    }
    /* the wording is ytree's: a position on the variant's line and the
     * path are what this test asks for */
    if (!load_rc(&s, yaml, got, sizeof(got)))
      fail_msg("accepted: %s", cases[i].variant);
    if (strncmp(got, "test.yaml:24:", 13) || !strstr(got, "spec.variant"))
      fail_msg("%s: got %s", cases[i].variant, got);
  }
}

/* --- spec.fuzz.vary: the loader ------------------------------------------- */

static void vary_takes_lists_and_single_values(void **st)
{
  static const char yaml[] =
      WEB SCENARIO "  fuzz:\n"                                    /* 24 */
                   "    vary:\n"                                  /* 25 */
                   "      kubernetesVersion: [\"1.31\", v1.37]\n" /* 26 */
                   "      zones: 2\n"                             /* 27 */
                   "      podManagementPolicy: [OrderedReady, Parallel]\n"
                   "      updateStrategy: OnDelete\n"
                   "      maxUnavailable: [1, 3]\n"
                   "      minReadySeconds: [0, 10, 30]\n"
                   "      whenDeleted: [Delete]\n"
                   "      whenScaled: [Retain, Delete]\n";
  struct scenario s;

  (void)st;
  load(&s, yaml);
  const struct fuzz_vary *v = &s.fuzz.vary;
  static const struct {
    int key;
    size_t nr;
    int32_t alts[3];
    int line;
  } want[] = {
      {FV_VERSION, 2, {31, 37}, 26},
      {FV_ZONES, 1, {2}, 27},
      {SV_POLICY, 2, {PMP_ORDERED_READY, PMP_PARALLEL}, 28},
      {SV_STRATEGY, 1, {UPDATE_ON_DELETE}, 29},
      {SV_MAX_UNAVAIL, 2, {1, 3}, 30},
      {SV_MIN_READY, 3, {0, 10, 30}, 31},
      {SV_WHEN_DELETED, 1, {DELETE}, 32},
      {SV_WHEN_SCALED, 2, {RETAIN, DELETE}, 33},
  };
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    int k = want[i].key;
    assert_int_equal(v->alts_nr[k], want[i].nr);
    for (size_t j = 0; j < want[i].nr; j++)
      assert_int_equal(v->alts[k][j], want[i].alts[j]);
    assert_int_equal(v->pos[k].line, want[i].line);
    assert_int_equal(v->pos[k].col, 7);
  }
  /* varying is not a variant: the manifests are as written */
  assert_int_equal(sts(&s, "web")->update_strategy, UPDATE_ROLLING);
  assert_false(s.variant.set[SV_STRATEGY]);
  scenario_release(&s);
}

static void vary_lists_only_what_it_names(void **st)
{
  static const char yaml[] = WEB SCENARIO "  fuzz:\n"
                                          "    vary: {minReadySeconds: 10}\n";
  struct scenario s;

  (void)st;
  load(&s, yaml);
  for (int k = 0; k < FV_COUNT; k++)
    assert_int_equal(s.fuzz.vary.alts_nr[k], k == SV_MIN_READY ? 1 : 0);
  assert_true(s.fuzz.present);
  scenario_release(&s);
}

static void bad_vary_keys_and_values_are_refused_with_their_position(void **st)
{
  static const struct {
    const char *vary, *want;
  } cases[] = {
      {"      replicas: [1, 2]\n",
       "test.yaml:26:7: spec.fuzz.vary: unknown key 'replicas' "
       "(podManagementPolicy, updateStrategy, maxUnavailable, "
       "minReadySeconds, whenDeleted, whenScaled, kubernetesVersion, "
       "zones)"},
      {"      podManagementPolicy: [Parallel, Sometimes]\n",
       "test.yaml:26:39: spec.fuzz.vary.podManagementPolicy[1]: "
       "\"Sometimes\" is not one of OrderedReady, Parallel"},
      {"      updateStrategy: Recreate\n",
       "test.yaml:26:23: spec.fuzz.vary.updateStrategy: \"Recreate\" is not "
       "one of RollingUpdate, OnDelete"},
      {"      kubernetesVersion: [\"1.34\", \"1.30\"]\n",
       "test.yaml:26:35: spec.fuzz.vary.kubernetesVersion[1]: \"1.30\" is "
       "not supported (1.31 to 1.37)"},
      {"      kubernetesVersion: \"1.38\"\n",
       "test.yaml:26:26: spec.fuzz.vary.kubernetesVersion: \"1.38\" is not "
       "supported (1.31 to 1.37)"},
      {"      whenScaled: []\n",
       "test.yaml:26:19: spec.fuzz.vary.whenScaled: expected at least one "
       "alternative"},
      {"      podManagementPolicy: [[Parallel]]\n",
       "test.yaml:26:29: spec.fuzz.vary.podManagementPolicy[0]: expected a "
       "value, not a list"},
      {"      zones: 0\n", NULL},
      {"      zones: 27\n", NULL},
      {"      maxUnavailable: [2, 0]\n", NULL},
      {"      minReadySeconds: -5\n", NULL},
  };

  (void)st;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char yaml[4096], got[1024] = "";
    struct scenario s;

    snprintf(yaml, sizeof(yaml), "%s  fuzz:\n    vary:\n%s", WEB SCENARIO,
             cases[i].vary);
    if (cases[i].want) {
      expect_refused(yaml, cases[i].want);
      continue;
    }
    if (!load_rc(&s, yaml, got, sizeof(got)))
      fail_msg("accepted: %s", cases[i].vary);
    if (strncmp(got, "test.yaml:26:", 13) || !strstr(got, "spec.fuzz.vary."))
      fail_msg("%s: got %s", cases[i].vary, got);
  }
}

/* --- the profile ---------------------------------------------------------- */

static void the_profile_refuses_more_zones_than_the_nodes_are_in(void **st)
{
  static const char yaml[] = WEB SCENARIO "  cluster: {nodes: 4, zones: [x, "
                                          "y]}\n"
                                          "  fuzz:\n"
                                          "    vary:\n"
                                          "      zones: [1, 3]\n";
  struct scenario s;
  struct fuzz_profile p;
  struct diag d = {0};
  char msg[512];

  (void)st;
  load(&s, yaml);
  assert_int_equal(fuzz_profile_init(&p, &s, &d), SIM_ESCHEMA);
  diag_format(&d, msg, sizeof(msg));
  assert_string_equal(msg, "test.yaml:27:7: spec.fuzz.vary.zones: 3 zones, "
                           "but the nodes are in 2");
  scenario_release(&s);

  /* two zones are fine, and the profile knows them in node order */
  static const char ok[] = WEB SCENARIO "  cluster: {nodes: 4, zones: [y, "
                                        "x]}\n"
                                        "  fuzz:\n"
                                        "    vary: {zones: [1, 2]}\n";
  profile(&p, &s, ok);
  assert_int_equal(p.zones_nr, 2);
  assert_string_equal(p.zones[0], "y");
  assert_string_equal(p.zones[1], "x");
  fuzz_profile_release(&p);
  scenario_release(&s);
}

/* fuzz_profile_init on yaml fails with exactly want. */
static void assert_profile_refuses(const char *yaml, const char *want)
{
  struct scenario s;
  struct fuzz_profile p;
  struct diag d = {0};
  char msg[512];

  load(&s, yaml);
  assert_int_equal(fuzz_profile_init(&p, &s, &d), SIM_ESCHEMA);
  diag_format(&d, msg, sizeof(msg));
  assert_string_equal(msg, want);
  scenario_release(&s);
}

static void
the_profile_refuses_a_version_where_a_gate_set_false_is_ga(void **st)
{
  /* StatefulSetAutoDeletePVC may be off in 1.31 and is GA from 1.32 */
  static const char yaml[] =
      WEB SCENARIO "  cluster:\n"
                   "    kubernetesVersion: \"1.31\"\n"
                   "    featureGates: {StatefulSetAutoDeletePVC: false}\n"
                   "  fuzz:\n"
                   "    vary:\n"
                   "      kubernetesVersion: [\"1.31\", \"1.34\"]\n";

  (void)st;
  assert_profile_refuses(yaml,
                         "test.yaml:29:7: spec.fuzz.vary.kubernetesVersion: "
                         "feature gate 'StatefulSetAutoDeletePVC' is locked "
                         "to true in 1.34 (GA); it cannot be set to false "
                         "there");
}

static void
the_profile_refuses_a_version_without_a_gate_the_scenario_sets(void **st)
{
  /* StaleControllerConsistencyStatefulSet exists from 1.36 on */
  static const char yaml[] =
      WEB SCENARIO "  cluster:\n"
                   "    kubernetesVersion: \"1.36\"\n"
                   "    featureGates: {StaleControllerConsistencyStatefulSet: "
                   "true}\n"
                   "  fuzz:\n"
                   "    vary:\n"
                   "      kubernetesVersion: [\"1.37\", \"1.35\", \"1.36\"]\n";
  struct scenario s;
  struct fuzz_profile p;

  (void)st;
  assert_profile_refuses(yaml,
                         "test.yaml:29:7: spec.fuzz.vary.kubernetesVersion: "
                         "feature gate "
                         "'StaleControllerConsistencyStatefulSet' does not "
                         "exist in 1.35");

  /* versions that all have it are fine */
  char ok[4096];
  snprintf(ok, sizeof(ok), "%.*s[\"1.37\", \"1.36\"]\n",
           (int)(strstr(yaml, "[\"1.37\"") - yaml), yaml);
  profile(&p, &s, ok);
  assert_int_equal(s.fuzz.vary.alts_nr[FV_VERSION], 2);
  fuzz_profile_release(&p);
  scenario_release(&s);
}

/* --- drawing a run's variant ---------------------------------------------- */

static const char every_key_yaml[] =
    WEB SCENARIO "  cluster: {nodes: 6}\n"
                 "  fuzz:\n"
                 "    until: 30m\n"
                 "    vary:\n"
                 "      kubernetesVersion: [\"1.31\", \"1.33\", \"1.37\"]\n"
                 "      zones: [1, 2, 3]\n"
                 "      podManagementPolicy: [OrderedReady, Parallel]\n"
                 "      updateStrategy: [RollingUpdate, OnDelete]\n"
                 "      maxUnavailable: [1, 2]\n"
                 "      minReadySeconds: [0, 10]\n"
                 "      whenDeleted: [Retain, Delete]\n"
                 "      whenScaled: [Retain, Delete]\n"
                 "    faults:\n"
                 "      crash-node: {every: 5m, downFor: 1m..10m}\n"
                 "      delete-pod: {every: 5m}\n"
                 "      scale: {every: 10m, replicas: 1..5}\n"
                 "      set-image: {every: 10m}\n"
                 "      restart-controller: {every: 10m}\n";

/* Everything of the run that the variant decides. */
static void assert_same_run(const struct fuzz_schedule *a,
                            const struct fuzz_schedule *b)
{
  const struct scenario *x = &a->run, *y = &b->run;

  assert_memory_equal(a->varied, b->varied, sizeof(a->varied));
  assert_memory_equal(a->vary, b->vary, sizeof(a->vary));
  assert_int_equal(x->kubernetes_minor, y->kubernetes_minor);
  assert_memory_equal(&x->timings, &y->timings, sizeof(x->timings));
  assert_memory_equal(x->variant.set, y->variant.set, sizeof(x->variant.set));
  for (int f = 0; f < SV_COUNT; f++)
    if (x->variant.set[f])
      assert_int_equal(x->variant.v[f], y->variant.v[f]);
  assert_int_equal(x->nodes_nr, y->nodes_nr);
  for (size_t i = 0; i < x->nodes_nr; i++)
    assert_string_equal(x->nodes[i].zone, y->nodes[i].zone);
  assert_same_fields(sts(x, "web"), sts(y, "web"));
}

static void the_same_seed_draws_the_same_variant(void **st)
{
  struct scenario s;
  struct fuzz_profile p;
  struct fuzz_schedule a, b;
  bool differs = false;

  (void)st;
  profile(&p, &s, every_key_yaml);
  fuzz_schedule_init(&a);
  fuzz_schedule_init(&b);
  for (uint64_t seed = 1; seed <= 20; seed++) {
    fuzz_generate(&p, seed, &a);
    fuzz_generate(&p, seed * 7919, &b); /* b held another run first */
    fuzz_generate(&p, seed, &b);
    assert_same_run(&a, &b);
    for (int k = 0; k < FV_COUNT; k++)
      assert_true(a.varied[k]);
    fuzz_generate(&p, seed + 1000, &b);
    differs |= memcmp(a.vary, b.vary, sizeof(a.vary)) != 0;
  }
  assert_true(differs);
  fuzz_schedule_release(&a);
  fuzz_schedule_release(&b);
  fuzz_profile_release(&p);
  scenario_release(&s);
}

static void over_many_seeds_every_alternative_is_drawn(void **st)
{
  struct scenario s;
  struct fuzz_profile p;
  struct fuzz_schedule sc;
  /* seen[key][alternative index] */
  int seen[FV_COUNT][3] = {{0}};
  int max_dropped = 0;

  (void)st;
  profile(&p, &s, every_key_yaml);
  const struct fuzz_vary *fv = &s.fuzz.vary;
  fuzz_schedule_init(&sc);
  for (uint64_t i = 0; i < 200; i++) {
    fuzz_generate(&p, fuzz_run_seed(5, i), &sc);
    for (int k = 0; k < FV_COUNT; k++) {
      size_t j = 0;
      while (j < fv->alts_nr[k] && fv->alts[k][j] != sc.vary[k])
        j++;
      assert_true(j < fv->alts_nr[k]); /* only listed alternatives */
      seen[k][j]++;
    }
    /* the run is what was drawn */
    const struct statefulset_spec *web = sts(&sc.run, "web");
    assert_int_equal(sc.run.kubernetes_minor, sc.vary[FV_VERSION]);
    assert_int_equal(web->pod_management_policy, sc.vary[SV_POLICY]);
    assert_int_equal(web->update_strategy, sc.vary[SV_STRATEGY]);
    assert_int_equal(web->min_ready_seconds, sc.vary[SV_MIN_READY]);
    assert_int_equal(web->when_deleted, sc.vary[SV_WHEN_DELETED]);
    assert_int_equal(web->when_scaled, sc.vary[SV_WHEN_SCALED]);
    if (sc.vary[SV_STRATEGY] == UPDATE_ON_DELETE) {
      /* maxUnavailable means nothing there: dropped, not a refusal */
      assert_false(web->max_unavailable.set);
      assert_false(sc.run.variant.set[SV_MAX_UNAVAIL]);
      max_dropped++;
    } else {
      assert_true(web->max_unavailable.set);
      assert_int_equal(web->max_unavailable.value, sc.vary[SV_MAX_UNAVAIL]);
      assert_true(sc.run.variant.set[SV_MAX_UNAVAIL]);
    }
  }
  for (int k = 0; k < FV_COUNT; k++)
    for (size_t j = 0; j < fv->alts_nr[k]; j++)
      if (!seen[k][j])
        fail_msg("key %d: alternative %zu never drawn in 200 runs", k, j);
  assert_true(max_dropped > 0 && max_dropped < 200);
  /* the profile's scenario is untouched */
  assert_int_equal(s.kubernetes_minor, 34);
  assert_int_equal(sts(&s, "web")->update_strategy, UPDATE_ROLLING);
  assert_int_equal(sts(&s, "web")->max_unavailable.value, 2);
  assert_string_equal(s.nodes[1].zone, "b");
  fuzz_schedule_release(&sc);
  fuzz_profile_release(&p);
  scenario_release(&s);
}

static void a_vary_section_leaves_the_fault_schedule_as_it_was(void **st)
{
  /* every_key_yaml without its vary lines */
  char plain[4096];
  const char *v = strstr(every_key_yaml, "    vary:\n");
  const char *f = strstr(every_key_yaml, "    faults:\n");
  struct scenario s, t;
  struct fuzz_profile p, q;
  struct fuzz_schedule a, b;

  (void)st;
  snprintf(plain, sizeof(plain), "%.*s%s", (int)(v - every_key_yaml),
           every_key_yaml, f);
  profile(&p, &s, every_key_yaml);
  profile(&q, &t, plain);
  fuzz_schedule_init(&a);
  fuzz_schedule_init(&b);
  for (uint64_t i = 0; i < 30; i++) {
    uint64_t seed = fuzz_run_seed(11, i);
    fuzz_generate(&p, seed, &a);
    fuzz_generate(&q, seed, &b);
    assert_true(a.generated > 0);
    assert_int_equal(a.generated, b.generated);
    char *ta = schedule_text(&a), *tb = schedule_text(&b);
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
    assert_int_equal(a.faults.nr, b.faults.nr);
  }
  /* without vary the run is the profile's scenario */
  assert_int_equal(b.run.kubernetes_minor, t.kubernetes_minor);
  assert_ptr_equal(b.run.objects, t.objects);
  assert_ptr_equal(b.run.nodes, t.nodes);
  fuzz_schedule_release(&a);
  fuzz_schedule_release(&b);
  fuzz_profile_release(&p);
  fuzz_profile_release(&q);
  scenario_release(&s);
  scenario_release(&t);
}

static const char *label_of(const struct node_decl *n, const char *key)
{
  for (size_t i = 0; i < n->labels.nr; i++)
    if (!strcmp(n->labels.v[i].key, key))
      return n->labels.v[i].value;
  return NULL;
}

static void zones_put_the_nodes_round_robin_into_the_first_zones(void **st)
{
  static const char yaml[] = WEB SCENARIO "  cluster: {nodes: 5}\n"
                                          "  fuzz:\n"
                                          "    vary: {zones: 1}\n";
  static const char two[] = WEB SCENARIO "  cluster: {nodes: 5}\n"
                                         "  fuzz:\n"
                                         "    vary: {zones: 2}\n";
  struct scenario s;
  struct fuzz_profile p;
  struct fuzz_schedule sc;

  (void)st;
  profile(&p, &s, yaml);
  fuzz_schedule_init(&sc);
  fuzz_generate(&p, 3, &sc);
  assert_int_equal(sc.run.nodes_nr, 5);
  for (size_t i = 0; i < 5; i++) {
    assert_string_equal(sc.run.nodes[i].zone, "a");
    assert_string_equal(
        label_of(&sc.run.nodes[i], "topology.kubernetes.io/zone"), "a");
    assert_string_equal(sc.run.nodes[i].name, s.nodes[i].name);
  }
  /* the profile's scenario keeps a, b, c */
  assert_string_equal(s.nodes[1].zone, "b");
  assert_string_equal(label_of(&s.nodes[1], "topology.kubernetes.io/zone"),
                      "b");
  fuzz_schedule_release(&sc);
  fuzz_profile_release(&p);
  scenario_release(&s);

  static const char *const want[] = {"a", "b", "a", "b", "a"};
  profile(&p, &s, two);
  fuzz_schedule_init(&sc);
  fuzz_generate(&p, 3, &sc);
  for (size_t i = 0; i < 5; i++) {
    assert_string_equal(sc.run.nodes[i].zone, want[i]);
    assert_string_equal(
        label_of(&sc.run.nodes[i], "topology.kubernetes.io/zone"), want[i]);
  }
  fuzz_schedule_release(&sc);
  fuzz_profile_release(&p);
  scenario_release(&s);
}

/* A deleted node comes back (add-node) in its zone of this run, and nodes
 * the generator adds go round-robin over the run's zones too. */
static void nodes_added_by_the_schedule_join_the_runs_zones(void **st)
{
  static const char yaml[] = WEB SCENARIO "  cluster: {nodes: 3}\n"
                                          "  fuzz:\n"
                                          "    until: 2h\n"
                                          "    vary: {zones: 1}\n"
                                          "    faults:\n"
                                          "      delete-node: {every: 10m, "
                                          "downFor: 1m..5m}\n"
                                          "      add-node: {every: 10m}\n";
  struct scenario s;
  struct fuzz_profile p;
  struct fuzz_schedule sc;
  size_t added = 0;

  (void)st;
  profile(&p, &s, yaml);
  fuzz_schedule_init(&sc);
  for (uint64_t seed = 1; seed <= 5; seed++) {
    fuzz_generate(&p, seed, &sc);
    for (size_t i = 0; i < sc.actions.nr; i++) {
      const struct action *a = &sc.actions.v[i];
      if (a->kind != ACTION_ADD_NODE)
        continue;
      added++;
      assert_non_null(a->zone);
      assert_string_equal(a->zone, "a");
    }
  }
  assert_true(added > 10);
  fuzz_schedule_release(&sc);
  fuzz_profile_release(&p);
  scenario_release(&s);
}

static void a_version_draw_retimes_but_keeps_the_scenarios_overrides(void **st)
{
  static const char yaml[] =
      WEB SCENARIO "  cluster:\n"
                   "    kubernetesVersion: \"1.34\"\n"
                   "    timings: {dnsTTL: 7s, crashLoopBackOffMax: 1m}\n"
                   "  fuzz:\n"
                   "    vary: {kubernetesVersion: \"1.31\"}\n";
  static const char kept[] =
      WEB SCENARIO "  cluster:\n"
                   "    kubernetesVersion: \"1.34\"\n"
                   "    timings: {nodeMonitorGracePeriod: 45s}\n"
                   "  fuzz:\n"
                   "    vary: {kubernetesVersion: \"1.31\"}\n";
  struct scenario s;
  struct fuzz_profile p;
  struct fuzz_schedule sc;
  struct timings d31;

  (void)st;
  timings_defaults(&d31, 31);
  /* the test needs a timing whose default the version changes */
  assert_int_equal(d31.v[TIMING_NODE_MONITOR_GRACE_PERIOD], SIM_SEC(40));

  profile(&p, &s, yaml);
  fuzz_schedule_init(&sc);
  fuzz_generate(&p, 1, &sc);
  assert_int_equal(sc.run.kubernetes_minor, 31);
  assert_int_equal(s.timings.v[TIMING_NODE_MONITOR_GRACE_PERIOD], SIM_SEC(50));
  for (int i = 0; i < TIMING_COUNT; i++) {
    simtime want = i == TIMING_DNS_TTL         ? SIM_SEC(7)
                   : i == TIMING_CRASHLOOP_MAX ? SIM_MIN(1)
                                               : d31.v[i];
    if (sc.run.timings.v[i] != want)
      fail_msg("%s: %lld, want %lld", timings_name((enum timing_id)i),
               (long long)sc.run.timings.v[i], (long long)want);
  }
  fuzz_schedule_release(&sc);
  fuzz_profile_release(&p);
  scenario_release(&s);

  /* an override of the very timing the version changes stays */
  profile(&p, &s, kept);
  fuzz_schedule_init(&sc);
  fuzz_generate(&p, 1, &sc);
  assert_int_equal(sc.run.timings.v[TIMING_NODE_MONITOR_GRACE_PERIOD],
                   SIM_SEC(45));
  fuzz_schedule_release(&sc);
  fuzz_profile_release(&p);
  scenario_release(&s);

  /* ... even when it names the base version's own default (50s in 1.34):
   * the user said 50s, the 1.31 run keeps 50s, not 1.31's 40s */
  char same[4096];
  snprintf(same, sizeof(same), "%s", kept);
  memcpy(strstr(same, "45s"), "50s", 3);
  profile(&p, &s, same);
  fuzz_schedule_init(&sc);
  fuzz_generate(&p, 1, &sc);
  assert_int_equal(sc.run.kubernetes_minor, 31);
  assert_int_equal(sc.run.timings.v[TIMING_NODE_MONITOR_GRACE_PERIOD],
                   SIM_SEC(50));
  fuzz_schedule_release(&sc);
  fuzz_profile_release(&p);
  scenario_release(&s);
}

static void the_variant_label_says_what_the_run_varies(void **st)
{
  static const char yaml[] =
      WEB SCENARIO "  fuzz:\n"
                   "    vary: {kubernetesVersion: \"1.37\", zones: 1,\n"
                   "           podManagementPolicy: Parallel,\n"
                   "           minReadySeconds: 10, whenScaled: Delete}\n";
  struct scenario s;
  struct fuzz_profile p;
  struct fuzz_schedule sc;
  char buf[256];

  (void)st;
  profile(&p, &s, yaml);
  fuzz_schedule_init(&sc);
  fuzz_generate(&p, 1, &sc);
  fuzz_variant_label(&sc, buf, sizeof(buf));
  /* each drawn value once (the order is the label's business) */
  static const char *const parts[] = {
      "1.37", "1 zone", "Parallel", "minReadySeconds 10", "whenScaled Delete"};
  size_t len = 0;
  for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
    if (!strstr(buf, parts[i]))
      fail_msg("label '%s' lacks '%s'", buf, parts[i]);
    len += strlen(parts[i]) + (i ? 2 : 0);
  }
  assert_int_equal(strlen(buf), len); /* and nothing else */
  /* a profile that varies nothing has no label */
  struct scenario t;
  struct fuzz_profile q;
  char none[64] = "x";
  profile(&q, &t, WEB SCENARIO);
  fuzz_generate(&q, 1, &sc);
  fuzz_variant_label(&sc, none, sizeof(none));
  assert_string_equal(none, "");
  fuzz_profile_release(&q);
  scenario_release(&t);
  fuzz_schedule_release(&sc);
  fuzz_profile_release(&p);
  scenario_release(&s);
}

/* --- failure files -------------------------------------------------------- */

static void a_varied_runs_failure_file_replays_its_variant(void **st)
{
  struct scenario s;
  struct fuzz_profile p;
  struct fuzz_schedule sc;

  (void)st;
  profile(&p, &s, every_key_yaml);
  fuzz_schedule_init(&sc);
  for (uint64_t i = 0; i < 40; i++) {
    uint64_t seed = fuzz_run_seed(3, i);
    struct scenario t;
    char msg[1024];

    fuzz_generate(&p, seed, &sc);
    char *text = failure_file(&sc, seed);
    if (load_rc(&t, text, msg, sizeof(msg)))
      fail_msg("run %llu: %s\n%s", (unsigned long long)i, msg, text);
    assert_int_equal(t.kubernetes_minor, sc.run.kubernetes_minor);
    assert_memory_equal(&t.timings, &sc.run.timings, sizeof(t.timings));
    assert_same_fields(sts(&t, "web"), sts(&sc.run, "web"));
    assert_int_equal(t.nodes_nr, sc.run.nodes_nr);
    for (size_t n = 0; n < t.nodes_nr; n++) {
      assert_string_equal(t.nodes[n].name, sc.run.nodes[n].name);
      assert_string_equal(t.nodes[n].zone, sc.run.nodes[n].zone);
      assert_string_equal(label_of(&t.nodes[n], "topology.kubernetes.io/zone"),
                          sc.run.nodes[n].zone);
    }
    /* the variant travels as spec.variant, the manifest as written */
    assert_non_null(strstr(text, "\n  variant: {"));
    assert_memory_equal(t.variant.set, sc.run.variant.set,
                        sizeof(t.variant.set));
    assert_int_equal(t.actions_nr, sc.actions.nr);
    assert_int_equal(t.seed, seed);
    free(text);
    scenario_release(&t);
  }
  fuzz_schedule_release(&sc);
  fuzz_profile_release(&p);
  scenario_release(&s);
}

/* The scenario's own spec.variant and the run's draw combine: the file
 * carries both, and a drawn OnDelete drops the scenario's maxUnavailable. */
static void a_failure_file_keeps_the_scenarios_own_variant(void **st)
{
  static const char yaml[] =
      WEB SCENARIO "  variant: {maxUnavailable: 3, whenDeleted: Delete}\n"
                   "  fuzz:\n"
                   "    vary: {updateStrategy: [RollingUpdate, OnDelete]}\n";
  struct scenario s;
  struct fuzz_profile p;
  struct fuzz_schedule sc;
  bool seen[2] = {false, false};

  (void)st;
  profile(&p, &s, yaml);
  fuzz_schedule_init(&sc);
  for (uint64_t seed = 1; seed <= 40; seed++) {
    struct scenario t;
    char msg[1024];

    fuzz_generate(&p, seed, &sc);
    seen[sc.vary[SV_STRATEGY]] = true;
    char *text = failure_file(&sc, seed);
    if (load_rc(&t, text, msg, sizeof(msg)))
      fail_msg("seed %llu: %s\n%s", (unsigned long long)seed, msg, text);
    const struct statefulset_spec *web = sts(&t, "web");
    assert_same_fields(web, sts(&sc.run, "web"));
    assert_int_equal(web->when_deleted, DELETE);
    assert_int_equal(web->update_strategy, sc.vary[SV_STRATEGY]);
    assert_int_equal(web->max_unavailable.set,
                     sc.vary[SV_STRATEGY] == UPDATE_ROLLING);
    free(text);
    scenario_release(&t);
  }
  assert_true(seen[0] && seen[1]);
  fuzz_schedule_release(&sc);
  fuzz_profile_release(&p);
  scenario_release(&s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_variant_sets_its_fields_on_every_statefulset),
      cmocka_unit_test(a_variant_leaves_the_fields_it_does_not_name),
      cmocka_unit_test(
          an_on_delete_variant_clears_partition_and_max_unavailable),
      cmocka_unit_test(a_rolling_update_variant_turns_an_on_delete_set_around),
      cmocka_unit_test(
          max_unavailable_with_on_delete_is_refused_with_its_position),
      cmocka_unit_test(bad_variants_are_refused_with_their_position),
      cmocka_unit_test(vary_takes_lists_and_single_values),
      cmocka_unit_test(vary_lists_only_what_it_names),
      cmocka_unit_test(
          bad_vary_keys_and_values_are_refused_with_their_position),
      cmocka_unit_test(the_profile_refuses_more_zones_than_the_nodes_are_in),
      cmocka_unit_test(
          the_profile_refuses_a_version_without_a_gate_the_scenario_sets),
      cmocka_unit_test(
          the_profile_refuses_a_version_where_a_gate_set_false_is_ga),
      cmocka_unit_test(the_same_seed_draws_the_same_variant),
      cmocka_unit_test(over_many_seeds_every_alternative_is_drawn),
      cmocka_unit_test(a_vary_section_leaves_the_fault_schedule_as_it_was),
      cmocka_unit_test(zones_put_the_nodes_round_robin_into_the_first_zones),
      cmocka_unit_test(nodes_added_by_the_schedule_join_the_runs_zones),
      cmocka_unit_test(
          a_version_draw_retimes_but_keeps_the_scenarios_overrides),
      cmocka_unit_test(the_variant_label_says_what_the_run_varies),
      cmocka_unit_test(a_varied_runs_failure_file_replays_its_variant),
      cmocka_unit_test(a_failure_file_keeps_the_scenarios_own_variant),
  };

  return cmocka_run_group_tests_name("vary", tests, NULL, NULL);
}
