/*
 * test_objects.c - the plain-data objects: kinds, label and node
 * selectors, init sentinels, create-time defaults and canonical digests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "objects.h"

#define NR(a) (sizeof(a) / sizeof((a)[0]))
#define KV(arr) ((struct kv_list){(arr), NR(arr)})
#define STRS(arr) ((struct str_list){(arr), NR(arr)})

static const struct kv web_labels[] = {{"app", "web"}, {"tier", "db"}};

/* --- kinds ------------------------------------------------------------- */

static void kind_names_round_trip_through_parse(void **state)
{
  (void)state;
  for (int k = KIND_NONE + 1; k < KIND_COUNT; k++) {
    enum obj_kind kind = (enum obj_kind)k;
    assert_int_equal(
        obj_kind_parse(obj_kind_api_version(kind), obj_kind_name(kind)), kind);
  }
  assert_string_equal(obj_kind_name(KIND_STATEFULSET), "StatefulSet");
  assert_string_equal(obj_kind_api_version(KIND_STATEFULSET), "apps/v1");
  assert_string_equal(obj_kind_name(KIND_PVC), "PersistentVolumeClaim");
}

static void parse_refuses_a_wrong_api_version_or_unknown_kind(void **state)
{
  (void)state;
  assert_int_equal(obj_kind_parse("apps/v1beta1", "StatefulSet"), KIND_NONE);
  assert_int_equal(obj_kind_parse("v1", "Deployment"), KIND_NONE);
  assert_int_equal(obj_kind_parse(NULL, "Pod"), KIND_POD);
  assert_int_equal(obj_kind_parse("events.k8s.io/v1", "Event"), KIND_EVENT);
}

static void namespaced_kinds_are_told_apart_from_cluster_ones(void **state)
{
  (void)state;
  assert_true(obj_kind_namespaced(KIND_POD));
  assert_true(obj_kind_namespaced(KIND_PVC));
  assert_true(obj_kind_namespaced(KIND_STATEFULSET));
  assert_false(obj_kind_namespaced(KIND_NODE));
  assert_false(obj_kind_namespaced(KIND_PV));
  assert_false(obj_kind_namespaced(KIND_STORAGECLASS));
}

static void kv_get_finds_a_key_or_returns_null(void **state)
{
  struct kv_list l = KV(web_labels);

  (void)state;
  assert_string_equal(kv_get(&l, "tier"), "db");
  assert_null(kv_get(&l, "zone"));
  assert_null(kv_get(NULL, "app"));
}

static void meta_helpers_find_the_controller_and_deletion(void **state)
{
  static const struct owner_ref refs[] = {
      {"v1", "ConfigMap", "c", 3, false, false},
      {"apps/v1", "StatefulSet", "web", 7, true, true},
  };
  struct object o;

  (void)state;
  object_init(&o, KIND_POD);
  assert_null(meta_controller_ref(&o.meta));
  o.meta.owner_refs = refs;
  o.meta.owner_refs_nr = NR(refs);
  assert_int_equal(meta_controller_ref(&o.meta)->uid, 7);
  assert_false(meta_is_deleting(&o.meta));
  o.meta.deletion_timestamp = SIM_SEC(5);
  assert_true(meta_is_deleting(&o.meta));
}

/* --- label selectors --------------------------------------------------- */

static void match_labels_needs_every_pair(void **state)
{
  static const struct kv want[] = {{"app", "web"}};
  static const struct kv other[] = {{"app", "db"}};
  static const struct kv both[] = {{"app", "web"}, {"tier", "db"}};
  struct kv_list labels = KV(web_labels);
  struct label_selector s = {.match_labels = KV(want)};

  (void)state;
  assert_true(selector_matches(&s, &labels));
  s.match_labels = KV(other);
  assert_false(selector_matches(&s, &labels));
  s.match_labels = KV(both);
  assert_true(selector_matches(&s, &labels));
  struct kv_list none = {0};
  assert_false(selector_matches(&s, &none));
}

struct op_case {
  enum selector_op op;
  const char *key;
  bool with_values;
  bool want;
};

static void each_selector_operator_follows_kubernetes(void **state)
{
  static const char *const vals[] = {"web", "api"};
  /* labels: app=web, tier=db */
  static const struct op_case cases[] = {
      {SEL_IN, "app", true, true},
      {SEL_IN, "tier", true, false},
      {SEL_IN, "zone", true, false},
      {SEL_NOT_IN, "app", true, false},
      {SEL_NOT_IN, "tier", true, true},
      {SEL_NOT_IN, "zone", true, true}, /* absent key satisfies NotIn */
      {SEL_EXISTS, "app", false, true},
      {SEL_EXISTS, "zone", false, false},
      {SEL_DOES_NOT_EXIST, "app", false, false},
      {SEL_DOES_NOT_EXIST, "zone", false, true},
  };
  struct kv_list labels = KV(web_labels);

  (void)state;
  for (size_t i = 0; i < NR(cases); i++) {
    struct selector_req r = {cases[i].key, cases[i].op, {0}};
    struct label_selector s = {.exprs = &r, .exprs_nr = 1};
    if (cases[i].with_values)
      r.values = STRS(vals);
    if (selector_matches(&s, &labels) != cases[i].want)
      fail_msg("case %zu: op %d key %s: want %d", i, (int)cases[i].op,
               cases[i].key, cases[i].want);
  }
}

static void match_labels_and_expressions_are_anded(void **state)
{
  static const struct kv want[] = {{"app", "web"}};
  struct selector_req r = {"tier", SEL_DOES_NOT_EXIST, {0}};
  struct label_selector s = {
      .match_labels = KV(want), .exprs = &r, .exprs_nr = 1};
  struct kv_list labels = KV(web_labels);

  (void)state;
  assert_false(selector_matches(&s, &labels));
  r.op = SEL_EXISTS;
  assert_true(selector_matches(&s, &labels));
}

static void empty_selector_matches_everything(void **state)
{
  struct label_selector empty = {0};
  struct kv_list labels = KV(web_labels), none = {0};

  (void)state;
  assert_true(selector_is_empty(&empty));
  assert_true(selector_matches(&empty, &labels));
  assert_true(selector_matches(&empty, &none));
  assert_true(selector_matches(NULL, &labels));
  struct selector_req r = {"app", SEL_EXISTS, {0}};
  struct label_selector one = {.exprs = &r, .exprs_nr = 1};
  assert_false(selector_is_empty(&one));
}

static void gt_in_a_label_selector_matches_nothing(void **state)
{
  static const char *const one[] = {"1"};
  static const struct kv num[] = {{"n", "5"}};
  struct selector_req r = {"n", SEL_GT, STRS(one)};
  struct label_selector s = {.exprs = &r, .exprs_nr = 1};
  struct kv_list labels = KV(num);

  (void)state;
  assert_false(selector_matches(&s, &labels));
}

/* --- node selectors ---------------------------------------------------- */

static const struct kv node_labels[] = {
    {"topology.kubernetes.io/zone", "a"},
    {"cpus", "16"},
};

static bool one_expr(enum selector_op op, const char *key, const char *value,
                     const char *node)
{
  const char *vals[1] = {value};
  struct selector_req r = {key, op, {vals, value ? 1 : 0}};
  struct node_selector_term t = {.exprs = &r, .exprs_nr = 1};
  struct node_selector ns = {&t, 1};
  struct kv_list labels = KV(node_labels);

  return node_selector_matches(&ns, node, &labels);
}

static void node_selector_gt_and_lt_compare_integers(void **state)
{
  (void)state;
  assert_true(one_expr(SEL_GT, "cpus", "8", "n1"));
  assert_false(one_expr(SEL_GT, "cpus", "16", "n1"));
  assert_true(one_expr(SEL_LT, "cpus", "17", "n1"));
  assert_false(one_expr(SEL_LT, "cpus", "3", "n1"));
  /* a label or value that is not an integer never matches */
  assert_false(one_expr(SEL_GT, "topology.kubernetes.io/zone", "1", "n1"));
  assert_false(one_expr(SEL_GT, "cpus", "eight", "n1"));
  assert_false(one_expr(SEL_LT, "missing", "100", "n1"));
  assert_true(one_expr(SEL_IN, "topology.kubernetes.io/zone", "a", "n1"));
  assert_false(one_expr(SEL_IN, "topology.kubernetes.io/zone", "b", "n1"));
}

static void node_selector_terms_are_ored_and_fields_match_the_name(void **s)
{
  static const char *const n2[] = {"n2"};
  static const char *const zb[] = {"b"};
  struct selector_req by_name = {"metadata.name", SEL_IN, STRS(n2)};
  struct selector_req by_zone = {"topology.kubernetes.io/zone", SEL_IN,
                                 STRS(zb)};
  struct node_selector_term terms[2] = {
      {.fields = &by_name, .fields_nr = 1},
      {.exprs = &by_zone, .exprs_nr = 1},
  };
  struct node_selector ns = {terms, 2};
  struct kv_list labels = KV(node_labels);

  (void)s;
  assert_true(node_selector_matches(&ns, "n2", &labels));
  assert_false(node_selector_matches(&ns, "n1", &labels));
  by_zone.values = (struct str_list){(const char *const[]){"a"}, 1};
  assert_true(node_selector_matches(&ns, "n1", &labels));
  by_name.op = SEL_NOT_IN;
  terms[1].exprs_nr = 0; /* an empty term matches nothing */
  assert_true(node_selector_matches(&ns, "n1", &labels));
  assert_false(node_selector_matches(&ns, "n2", &labels));
  by_name.key = "metadata.uid"; /* only metadata.name is supported */
  assert_false(node_selector_matches(&ns, "n1", &labels));
}

static void node_selector_without_terms_matches_every_node(void **state)
{
  struct node_selector none = {0};
  struct kv_list labels = KV(node_labels);

  (void)state;
  assert_true(node_selector_matches(&none, "n1", &labels));
  assert_true(node_selector_matches(NULL, "n1", &labels));
}

/* --- names ------------------------------------------------------------- */

static void phase_and_status_names_are_the_kubernetes_strings(void **state)
{
  (void)state;
  assert_string_equal(pod_phase_name(POD_RUNNING), "Running");
  assert_string_equal(pod_phase_name(POD_SUCCEEDED), "Succeeded");
  assert_string_equal(cond_status_name(COND_UNKNOWN), "Unknown");
  assert_string_equal(cond_status_name(COND_UNSET), "");
  assert_string_equal(pvc_phase_name(PVC_BOUND), "Bound");
  assert_string_equal(pv_phase_name(PV_RELEASED), "Released");
}

/* --- init and defaults ------------------------------------------------- */

static void object_init_sets_the_unset_sentinels(void **state)
{
  struct object o;

  (void)state;
  memset(&o, 0x5a, sizeof(o));
  object_init(&o, KIND_POD);
  assert_int_equal(o.kind, KIND_POD);
  assert_int_equal(o.meta.uid, 0);
  assert_null(o.meta.name);
  assert_true(o.meta.deletion_timestamp == SIMTIME_NEVER);
  assert_true(o.meta.deletion_grace_period_seconds == -1);
  assert_true(o.u.pod.status.start_time == SIMTIME_NEVER);
  assert_true(o.u.pod.spec.termination_grace_period_seconds == -1);
  assert_null(o.u.pod.spec.node_name);
  object_init(&o, KIND_STATEFULSET);
  assert_true(o.u.sts.spec.replicas == -1);
  object_init(&o, KIND_STORAGECLASS);
  assert_int_equal(o.u.sc.reclaim_policy, RECLAIM_DELETE);
  assert_int_equal(o.u.sc.volume_binding_mode, BINDING_IMMEDIATE);
}

static void statefulset_defaults_fill_only_unset_fields(void **state)
{
  struct object o;

  (void)state;
  object_init(&o, KIND_STATEFULSET);
  object_set_defaults(&o);
  assert_int_equal(o.u.sts.spec.replicas, 1);
  assert_int_equal(o.u.sts.spec.revision_history_limit, 10);
  assert_int_equal(o.u.sts.spec.pod_management_policy, PMP_ORDERED_READY);
  assert_int_equal(o.u.sts.spec.update_strategy, UPDATE_ROLLING);
  assert_int_equal(o.u.sts.spec.partition, 0);
  assert_int_equal(o.u.sts.spec.template_.spec.termination_grace_period_seconds,
                   30);

  object_init(&o, KIND_STATEFULSET);
  o.u.sts.spec.replicas = 0; /* scaled to zero on purpose */
  o.u.sts.spec.revision_history_limit = 0;
  o.u.sts.spec.template_.spec.termination_grace_period_seconds = 0;
  o.u.sts.spec.pod_management_policy = PMP_PARALLEL;
  object_set_defaults(&o);
  assert_int_equal(o.u.sts.spec.replicas, 0);
  assert_int_equal(o.u.sts.spec.revision_history_limit, 0);
  assert_int_equal(o.u.sts.spec.template_.spec.termination_grace_period_seconds,
                   0);
  assert_int_equal(o.u.sts.spec.pod_management_policy, PMP_PARALLEL);
}

static void pod_defaults_fill_grace_scheduler_and_probes(void **state)
{
  struct container c[2] = {
      {.name = "app", .readiness = {.set = true, .period_seconds = 5}},
      {.name = "side", .liveness = {.set = true, .failure_threshold = 7}},
  };
  struct object o;

  (void)state;
  object_init(&o, KIND_POD);
  o.u.pod.spec.containers = c;
  o.u.pod.spec.containers_nr = 2;
  object_set_defaults(&o);
  assert_int_equal(o.u.pod.spec.termination_grace_period_seconds, 30);
  assert_string_equal(o.u.pod.spec.scheduler_name, "default-scheduler");
  assert_int_equal(o.u.pod.spec.restart_policy, RESTART_ALWAYS);
  assert_int_equal(c[0].readiness.period_seconds, 5);
  assert_int_equal(c[0].readiness.timeout_seconds, 1);
  assert_int_equal(c[0].readiness.success_threshold, 1);
  assert_int_equal(c[0].readiness.failure_threshold, 3);
  assert_int_equal(c[0].readiness.initial_delay_seconds, 0);
  assert_false(c[0].liveness.set);
  assert_int_equal(c[0].liveness.period_seconds, 0); /* unset stays unset */
  assert_int_equal(c[1].liveness.period_seconds, 10);
  assert_int_equal(c[1].liveness.failure_threshold, 7);
}

static void defaults_are_idempotent(void **state)
{
  struct container c = {.name = "app", .startup = {.set = true}};
  struct object o;
  uint64_t d1;

  (void)state;
  object_init(&o, KIND_STATEFULSET);
  o.u.sts.spec.template_.spec.containers = &c;
  o.u.sts.spec.template_.spec.containers_nr = 1;
  object_set_defaults(&o);
  d1 = object_spec_digest(&o);
  object_set_defaults(&o);
  assert_true(object_spec_digest(&o) == d1);
  assert_int_equal(c.startup.period_seconds, 10);
  assert_int_equal(o.u.sts.spec.replicas, 1);
}

static void explicit_pod_grace_zero_is_kept(void **state)
{
  struct object o;

  (void)state;
  object_init(&o, KIND_POD);
  o.u.pod.spec.termination_grace_period_seconds = 0;
  o.u.pod.spec.scheduler_name = "my-scheduler";
  object_set_defaults(&o);
  assert_int_equal(o.u.pod.spec.termination_grace_period_seconds, 0);
  assert_string_equal(o.u.pod.spec.scheduler_name, "my-scheduler");
}

static void storage_defaults_keep_what_the_user_chose(void **state)
{
  struct object o;

  (void)state;
  object_init(&o, KIND_STORAGECLASS);
  object_set_defaults(&o);
  assert_int_equal(o.u.sc.reclaim_policy, RECLAIM_DELETE);
  object_init(&o, KIND_STORAGECLASS);
  o.u.sc.reclaim_policy = RECLAIM_RETAIN;
  object_set_defaults(&o);
  assert_int_equal(o.u.sc.reclaim_policy, RECLAIM_RETAIN);
  object_init(&o, KIND_PV);
  object_set_defaults(&o);
  assert_int_equal(o.u.pv.spec.reclaim_policy, RECLAIM_RETAIN);
  object_init(&o, KIND_PVC);
  object_set_defaults(&o);
  assert_int_equal(o.u.pvc.spec.volume_mode, VOLMODE_FILESYSTEM);
  assert_null(o.u.pvc.spec.storage_class_name);
}

/* --- digests ----------------------------------------------------------- */

/* Builds a StatefulSet whose arrays are fresh heap copies. */
static struct object sts_with(const char *image, bool swap_labels, void **owned,
                              size_t *owned_nr)
{
  struct kv *labels = malloc(2 * sizeof(*labels));
  struct container *c = malloc(sizeof(*c));
  char *img = malloc(strlen(image) + 1);
  struct object o;

  strcpy(img, image);
  labels[swap_labels ? 1 : 0] = (struct kv){"app", "web"};
  labels[swap_labels ? 0 : 1] = (struct kv){"tier", "db"};
  *c = (struct container){.name = "app", .image = img};
  owned[(*owned_nr)++] = labels;
  owned[(*owned_nr)++] = c;
  owned[(*owned_nr)++] = img;
  object_init(&o, KIND_STATEFULSET);
  o.meta.name = "web";
  o.u.sts.spec.service_name = "web";
  o.u.sts.spec.selector.match_labels = (struct kv_list){labels, 2};
  o.u.sts.spec.template_.labels = (struct kv_list){labels, 2};
  o.u.sts.spec.template_.spec.containers = c;
  o.u.sts.spec.template_.spec.containers_nr = 1;
  object_set_defaults(&o);
  return o;
}

static void equal_specs_give_equal_digests(void **state)
{
  void *owned[16];
  size_t nr = 0;
  struct object a = sts_with("nginx:1.25", false, owned, &nr);
  struct object b = sts_with("nginx:1.25", true, owned, &nr);

  (void)state;
  /* different arrays, same content, map order differs: same digest */
  assert_true(object_spec_digest(&a) == object_spec_digest(&b));
  assert_true(pod_template_digest(&a.u.sts.spec.template_) ==
              pod_template_digest(&b.u.sts.spec.template_));
  /* metadata and status are not part of the spec */
  b.meta.name = "other";
  b.meta.resource_version = 99;
  b.u.sts.status.ready_replicas = 3;
  assert_true(object_spec_digest(&a) == object_spec_digest(&b));
  for (size_t i = 0; i < nr; i++)
    free(owned[i]);
}

static void different_specs_give_different_digests(void **state)
{
  void *owned[16];
  size_t nr = 0;
  struct object a = sts_with("nginx:1.25", false, owned, &nr);
  struct object b = sts_with("nginx:1.26", false, owned, &nr);
  struct object c = sts_with("nginx:1.25", false, owned, &nr);

  (void)state;
  assert_true(object_spec_digest(&a) != object_spec_digest(&b));
  assert_true(pod_template_digest(&a.u.sts.spec.template_) !=
              pod_template_digest(&b.u.sts.spec.template_));
  c.u.sts.spec.replicas = 3;
  assert_true(object_spec_digest(&a) != object_spec_digest(&c));
  /* replicas is not part of the template */
  assert_true(pod_template_digest(&a.u.sts.spec.template_) ==
              pod_template_digest(&c.u.sts.spec.template_));
  for (size_t i = 0; i < nr; i++)
    free(owned[i]);
}

static void nil_and_empty_strings_digest_differently(void **state)
{
  struct object a, b;

  (void)state;
  object_init(&a, KIND_PVC);
  object_init(&b, KIND_PVC);
  b.u.pvc.spec.storage_class_name = "";
  assert_true(object_spec_digest(&a) != object_spec_digest(&b));
  /* same bytes in other fields still differ: "ab"+"" vs "a"+"b" */
  object_init(&a, KIND_PV);
  object_init(&b, KIND_PV);
  a.u.pv.spec.csi_driver = "ab";
  a.u.pv.spec.volume_handle = "";
  b.u.pv.spec.csi_driver = "a";
  b.u.pv.spec.volume_handle = "b";
  assert_true(object_spec_digest(&a) != object_spec_digest(&b));
}

static void status_and_meta_digests_see_their_own_part(void **state)
{
  struct object a, b;

  (void)state;
  object_init(&a, KIND_POD);
  object_set_defaults(&a);
  b = a;
  b.u.pod.status.phase = POD_RUNNING;
  assert_true(object_status_digest(&a) != object_status_digest(&b));
  assert_true(object_spec_digest(&a) == object_spec_digest(&b));
  assert_true(object_meta_digest(&a.meta) == object_meta_digest(&b.meta));
  b = a;
  b.meta.resource_version = 12;
  b.meta.generation = 4;
  assert_true(object_meta_digest(&a.meta) == object_meta_digest(&b.meta));
  b.meta.labels = KV(web_labels);
  assert_true(object_meta_digest(&a.meta) != object_meta_digest(&b.meta));
  /* kinds without status have one status digest per kind */
  object_init(&a, KIND_SERVICE);
  b = a;
  b.u.svc.headless = true;
  assert_true(object_status_digest(&a) == object_status_digest(&b));
  assert_true(object_spec_digest(&a) != object_spec_digest(&b));
}

/* ControllerRevision names are made from the template digest: it must
 * not change from one build to the next (FNV-1a, see objects.c). */
static void the_template_digest_that_names_revisions_is_stable(void **state)
{
  static const struct kv labels[] = {{"app", "web"}};
  static const struct container c = {.name = "app",
                                     .image = "registry.example/app:1"};
  struct object o;

  (void)state;
  object_init(&o, KIND_STATEFULSET);
  o.u.sts.spec.template_.labels = (struct kv_list){labels, 1};
  o.u.sts.spec.template_.spec.containers = &c;
  o.u.sts.spec.template_.spec.containers_nr = 1;
  assert_true(pod_template_digest(&o.u.sts.spec.template_) ==
              UINT64_C(0x391ddbf869cf815e));
}

/* The word-at-a-time digests see every byte of a string, whatever its
 * length, and only its content. */
static void status_digests_tell_strings_apart_at_every_length(void **state)
{
  char x[32], y[32], z[32];
  struct object a, b;

  (void)state;
  object_init(&a, KIND_POD);
  for (size_t n = 1; n < sizeof(x); n++) {
    memset(x, 'm', n);
    x[n] = '\0';
    memcpy(y, x, n + 1);
    memcpy(z, x, n + 1);
    y[n - 1] = 'n';
    b = a;
    a.u.pod.status.message = x;
    b.u.pod.status.message = y;
    assert_true(object_status_digest(&a) != object_status_digest(&b));
    b.u.pod.status.message = z;
    assert_true(object_status_digest(&a) == object_status_digest(&b));
    a.meta.name = x;
    b.meta.name = y;
    assert_true(object_meta_digest(&a.meta) != object_meta_digest(&b.meta));
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kind_names_round_trip_through_parse),
      cmocka_unit_test(parse_refuses_a_wrong_api_version_or_unknown_kind),
      cmocka_unit_test(namespaced_kinds_are_told_apart_from_cluster_ones),
      cmocka_unit_test(kv_get_finds_a_key_or_returns_null),
      cmocka_unit_test(meta_helpers_find_the_controller_and_deletion),
      cmocka_unit_test(match_labels_needs_every_pair),
      cmocka_unit_test(each_selector_operator_follows_kubernetes),
      cmocka_unit_test(match_labels_and_expressions_are_anded),
      cmocka_unit_test(empty_selector_matches_everything),
      cmocka_unit_test(gt_in_a_label_selector_matches_nothing),
      cmocka_unit_test(node_selector_gt_and_lt_compare_integers),
      cmocka_unit_test(node_selector_terms_are_ored_and_fields_match_the_name),
      cmocka_unit_test(node_selector_without_terms_matches_every_node),
      cmocka_unit_test(phase_and_status_names_are_the_kubernetes_strings),
      cmocka_unit_test(object_init_sets_the_unset_sentinels),
      cmocka_unit_test(statefulset_defaults_fill_only_unset_fields),
      cmocka_unit_test(pod_defaults_fill_grace_scheduler_and_probes),
      cmocka_unit_test(defaults_are_idempotent),
      cmocka_unit_test(explicit_pod_grace_zero_is_kept),
      cmocka_unit_test(storage_defaults_keep_what_the_user_chose),
      cmocka_unit_test(equal_specs_give_equal_digests),
      cmocka_unit_test(different_specs_give_different_digests),
      cmocka_unit_test(nil_and_empty_strings_digest_differently),
      cmocka_unit_test(status_and_meta_digests_see_their_own_part),
      cmocka_unit_test(the_template_digest_that_names_revisions_is_stable),
      cmocka_unit_test(status_digests_tell_strings_apart_at_every_length),
  };

  return cmocka_run_group_tests_name("objects", tests, NULL, NULL);
}
