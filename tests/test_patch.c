/*
 * test_patch.c - the `patch` action (kubectl patch --type=merge on
 * metadata): the loader decodes and validates it, and a run carries it
 * out with merge-patch semantics (labels and annotations merged key by
 * key, null removing; finalizers and ownerReferences replaced), finds the
 * uid of each owner, reports refusals on the timeline, and the `owners`,
 * `hostname`, `subdomain` and `podIndex` expectation fields read what the
 * patch and the controller wrote.
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
#include "world.h"

/* ---- helpers ------------------------------------------------------------ */

static const char pod_yaml[] = "apiVersion: v1\n"
                               "kind: Pod\n"
                               "metadata:\n"
                               "  name: p\n"
                               "  labels: {a: '1', b: '2'}\n"
                               "  annotations: {note: x}\n"
                               "spec:\n"
                               "  containers:\n"
                               "    - {name: c, image: img:1}\n"
                               "---\n"
                               "apiVersion: v1\n"
                               "kind: PersistentVolumeClaim\n"
                               "metadata: {name: claim}\n"
                               "spec:\n"
                               "  accessModes: [ReadWriteOnce]\n"
                               "  resources: {requests: {storage: 1Gi}}\n"
                               "---\n";

static int load(struct scenario *s, const char *yaml, struct diag *d)
{
  memset(d, 0, sizeof(*d));
  return scenario_load_string(s, "x.yaml", yaml, strlen(yaml), d);
}

/* A scenario of pod_yaml plus a Scenario document whose spec is body. */
static char *with_spec(const char *body)
{
  static const char head[] = "apiVersion: stsim/v1alpha1\n"
                             "kind: Scenario\n"
                             "metadata: {name: t}\n"
                             "spec:\n";
  size_t n = strlen(pod_yaml) + strlen(head) + strlen(body) + 1;
  char *buf = malloc(n);

  snprintf(buf, n, "%s%s%s", pod_yaml, head, body);
  return buf;
}

/* Loading must fail with exactly "x.yaml:L:C: want" (L:C not compared). */
static void expect_fail(const char *body, const char *want)
{
  struct scenario s;
  struct diag d;
  char got[1024];
  char *yaml = with_spec(body);
  int rc = load(&s, yaml, &d);

  diag_format(&d, got, sizeof(got));
  const char *msg = strchr(got, ' ');
  if (rc != SIM_ESCHEMA || !msg || strcmp(msg + 1, want) || d.line <= 0)
    fail_msg("got %d \"%s\"\nwant \"%s\"", rc, got, want);
  free(yaml);
}

struct run {
  struct scenario s;
  struct world *w;
};

static void run_body(struct run *r, const char *body)
{
  struct diag d;
  char *yaml = with_spec(body);

  if (load(&r->s, yaml, &d))
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

static const struct object *get(struct run *r, enum obj_kind k,
                                const char *name)
{
  return api_get(world_api(r->w), k, "default", name);
}

/* The first timeline line with this reason for object, or NULL. */
static const struct timeline_entry *line_of(struct run *r, const char *object,
                                            const char *reason)
{
  size_t nr;
  const struct timeline_entry *t = world_timeline(r->w, &nr);

  for (size_t i = 0; i < nr; i++)
    if (!strcmp(t[i].object, object) && !strcmp(t[i].reason, reason))
      return &t[i];
  return NULL;
}

/* ---- the loader --------------------------------------------------------- */

static void a_patch_action_decodes_every_part(void **state)
{
  struct scenario s;
  struct diag d;
  char *yaml = with_spec(
      "  actions:\n"
      "    - at: 1s\n"
      "      action: patch\n"
      "      object: PersistentVolumeClaim/claim\n"
      "      labels: {a: null, c: '3'}\n"
      "      annotations: {note: ~}\n"
      "      finalizers: [example.com/hold]\n"
      "      ownerReferences:\n"
      "        - {apiVersion: v1, kind: ConfigMap, name: cm}\n"
      "        - {apiVersion: apps/v1, kind: StatefulSet, name: web,\n"
      "           uid: stale, controller: true, blockOwnerDeletion: true}\n");

  (void)state;
  assert_int_equal(load(&s, yaml, &d), 0);
  free(yaml);
  assert_int_equal(s.actions_nr, 1);
  const struct action *a = &s.actions[0];
  assert_int_equal(a->kind, ACTION_PATCH);
  assert_int_equal(a->patch_kind, KIND_PVC);
  assert_string_equal(a->patch_name, "claim");
  assert_int_equal(a->patch_labels.nr, 2);
  assert_string_equal(a->patch_labels.v[0].key, "a");
  assert_null(a->patch_labels.v[0].value);
  assert_string_equal(a->patch_labels.v[1].value, "3");
  assert_int_equal(a->patch_annotations.nr, 1);
  assert_null(a->patch_annotations.v[0].value);
  assert_true(a->patch_finalizers_set);
  assert_int_equal(a->patch_finalizers.nr, 1);
  assert_string_equal(a->patch_finalizers.v[0], "example.com/hold");
  assert_true(a->patch_owner_refs_set);
  assert_int_equal(a->patch_owner_refs_nr, 2);
  assert_string_equal(a->patch_owner_refs[0].kind, "ConfigMap");
  assert_false(a->patch_owner_refs[0].controller);
  assert_false(a->patch_owner_refs[0].stale_uid);
  assert_string_equal(a->patch_owner_refs[1].api_version, "apps/v1");
  assert_true(a->patch_owner_refs[1].stale_uid);
  assert_true(a->patch_owner_refs[1].controller);
  assert_true(a->patch_owner_refs[1].block_owner_deletion);
  assert_string_equal(action_name(ACTION_PATCH), "patch");
  scenario_release(&s);
}

static void an_empty_list_is_kept_apart_from_an_absent_one(void **state)
{
  struct scenario s;
  struct diag d;
  char *yaml = with_spec("  actions:\n"
                         "    - {at: 1s, action: patch, object: Pod/p,\n"
                         "       ownerReferences: []}\n");

  (void)state;
  assert_int_equal(load(&s, yaml, &d), 0);
  free(yaml);
  assert_true(s.actions[0].patch_owner_refs_set);
  assert_int_equal(s.actions[0].patch_owner_refs_nr, 0);
  assert_false(s.actions[0].patch_finalizers_set);
  scenario_release(&s);
}

static void malformed_patches_are_refused_with_a_position(void **state)
{
  (void)state;
  expect_fail("  actions:\n    - {at: 1s, action: patch, object: Pod/p}\n",
              "spec.actions[0]: patch needs at least one of 'labels', "
              "'annotations', 'finalizers' and 'ownerReferences'");
  expect_fail("  actions:\n    - {at: 1s, action: patch, labels: {a: b}}\n",
              "spec.actions[0]: missing 'object' (patch needs 'object')");
  expect_fail(
      "  actions:\n"
      "    - {at: 1s, action: patch, object: p, labels: {a: b}}\n",
      "spec.actions[0].object: \"p\" is not Kind/name (e.g. Pod/web-0)");
  expect_fail("  actions:\n"
              "    - {at: 1s, action: patch, object: ConfigMap/x,\n"
              "       labels: {a: b}}\n",
              "spec.actions[0].object: \"ConfigMap\" is not a kind stsim "
              "models (e.g. Pod, PersistentVolumeClaim, StatefulSet)");
  expect_fail("  actions:\n"
              "    - {at: 1s, action: patch, object: Pod/p, labels: [a]}\n",
              "spec.actions[0].labels: expected a mapping, got a sequence");
  expect_fail("  actions:\n"
              "    - {at: 1s, action: patch, object: Pod/p,\n"
              "       labels: {a: "
              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
              "}}\n",
              "spec.actions[0].labels.a: a label value must be at most 63 "
              "characters");
  expect_fail("  actions:\n"
              "    - {at: 1s, action: patch, object: Pod/p,\n"
              "       finalizers: [\"\"]}\n",
              "spec.actions[0].finalizers[0]: must not be empty");
  expect_fail("  actions:\n"
              "    - {at: 1s, action: patch, object: Pod/p,\n"
              "       ownerReferences: [{kind: X, name: y}]}\n",
              "spec.actions[0].ownerReferences[0]: missing 'apiVersion'");
  expect_fail("  actions:\n"
              "    - {at: 1s, action: patch, object: Pod/p,\n"
              "       ownerReferences: [{apiVersion: v1, kind: X, name: y,\n"
              "                          uid: 1234}]}\n",
              "spec.actions[0].ownerReferences[0].uid: \"1234\": give "
              "'stale' (a uid no object has), or leave it out for the live "
              "owner's");
  expect_fail("  actions:\n"
              "    - {at: 1s, action: patch, object: Pod/p,\n"
              "       ownerReferences: [{apiVersion: v1, kind: X, name: y,\n"
              "                          owner: true}]}\n",
              "spec.actions[0].ownerReferences[0]: unknown key 'owner'");
  expect_fail(
      "  actions:\n"
      "    - {at: 1s, action: patch, object: Pod/p,\n"
      "       ownerReferences:\n"
      "         [{apiVersion: v1, kind: X, name: y, controller: true},\n"
      "          {apiVersion: v1, kind: Z, name: y, controller: true}]}\n",
      "spec.actions[0].ownerReferences[1]: Only one reference can "
      "have Controller set to true");
  expect_fail("  actions:\n"
              "    - {at: 1s, action: scale, statefulSet: web, replicas: 1,\n"
              "       labels: {a: b}}\n",
              "spec.actions[0]: 'labels' does not apply to scale");
}

/* ---- running it --------------------------------------------------------- */

static void labels_and_annotations_merge_and_null_removes(void **state)
{
  struct run r;

  (void)state;
  run_body(&r, "  until: 5s\n"
               "  actions:\n"
               "    - {at: 1s, action: patch, object: Pod/p,\n"
               "       labels: {a: null, b: two, c: three},\n"
               "       annotations: {note: null}}\n");
  const struct object *p = get(&r, KIND_POD, "p");
  assert_non_null(p);
  assert_int_equal(p->meta.labels.nr, 2);
  assert_string_equal(p->meta.labels.v[0].key, "b");
  assert_string_equal(p->meta.labels.v[0].value, "two");
  assert_string_equal(p->meta.labels.v[1].key, "c");
  assert_string_equal(p->meta.labels.v[1].value, "three");
  assert_int_equal(p->meta.annotations.nr, 0);
  const struct timeline_entry *t = line_of(&r, "Pod/p", "Action");
  assert_non_null(t);
  assert_true(t->at == SIM_SEC(1));
  assert_string_equal(t->message, "patch: labels {a: null, b: two, c: "
                                  "three}, annotations {note: null}");
  run_free(&r);
}

static void owner_references_get_the_uid_of_the_live_owner(void **state)
{
  struct run r;

  (void)state;
  run_body(
      &r, "  until: 5s\n"
          "  actions:\n"
          "    - {at: 1s, action: patch, object: PersistentVolumeClaim/claim,\n"
          "       ownerReferences: [{apiVersion: v1, kind: Pod, name: p,\n"
          "                          controller: true,\n"
          "                          blockOwnerDeletion: true},\n"
          "                         {apiVersion: v1, kind: ConfigMap,\n"
          "                          name: cm},\n"
          "                         {apiVersion: v1, kind: Pod, name: old,\n"
          "                          uid: stale}]}\n");
  const struct object *pod = get(&r, KIND_POD, "p");
  const struct object *c = get(&r, KIND_PVC, "claim");
  assert_non_null(c);
  /* The garbage collector removed the stale (dangling) reference and kept
   * the claim, which still has live owners. */
  assert_int_equal(c->meta.owner_refs_nr, 2);
  assert_false(meta_is_deleting(&c->meta));
  const struct owner_ref *o = c->meta.owner_refs;
  assert_string_equal(o[0].kind, "Pod");
  assert_true(o[0].uid == pod->meta.uid);
  assert_true(o[0].controller && o[0].block_owner_deletion);
  /* a made-up uid is non-zero and belongs to no object */
  assert_string_equal(o[1].kind, "ConfigMap");
  assert_true(o[1].uid != 0 && !api_get_uid(world_api(r.w), o[1].uid));
  assert_false(o[1].controller);
  run_free(&r);
}

static void finalizers_replace_and_an_empty_list_clears(void **state)
{
  struct run r;

  (void)state;
  run_body(&r, "  until: 10s\n"
               "  actions:\n"
               "    - {at: 1s, action: patch, object: PersistentVolumeClaim/"
               "claim,\n"
               "       finalizers: [example.com/a, example.com/b]}\n"
               "    - {at: 2s, action: patch, object: Pod/p,\n"
               "       ownerReferences: [{apiVersion: v1, kind: ConfigMap,\n"
               "                          name: cm}]}\n"
               "    - {at: 3s, action: patch, object: Pod/p,\n"
               "       ownerReferences: []}\n");
  const struct object *c = get(&r, KIND_PVC, "claim");
  /* the list was replaced: the PVC protection controller then put its
   * finalizer back (it was dropped by the patch) */
  assert_int_equal(c->meta.finalizers.nr, 3);
  assert_string_equal(c->meta.finalizers.v[0], "example.com/a");
  assert_string_equal(c->meta.finalizers.v[1], "example.com/b");
  assert_string_equal(c->meta.finalizers.v[2], "kubernetes.io/pvc-protection");
  assert_int_equal(get(&r, KIND_POD, "p")->meta.owner_refs_nr, 0);
  run_free(&r);
}

static void removing_the_last_finalizer_releases_a_deleting_claim(void **state)
{
  struct run r;

  (void)state;
  run_body(&r, "  until: 10s\n"
               "  actions:\n"
               "    - {at: 1s, action: patch, object: PersistentVolumeClaim/"
               "claim,\n"
               "       finalizers: [example.com/hold]}\n"
               "    - {at: 2s, action: delete-pvc, pvc: claim}\n"
               "    - {at: 3s, action: patch, object: PersistentVolumeClaim/"
               "claim,\n"
               "       finalizers: [example.com/hold, example.com/more]}\n"
               "    - {at: 4s, action: patch, object: PersistentVolumeClaim/"
               "claim,\n"
               "       finalizers: []}\n"
               "  expect:\n"
               "    - {at: 2500ms, pvc: claim, deleting: true}\n"
               "    - {atEnd: true, pvc: claim, exists: false}\n");
  size_t nr;
  const struct expect_result *res = world_expect_results(r.w, &nr);
  assert_int_equal(nr, 2);
  assert_true(res[0].met);
  assert_true(res[1].met);
  /* a new finalizer on a deleting object is refused by the API server */
  size_t tn;
  const struct timeline_entry *t = world_timeline(r.w, &tn);
  bool refused = false;
  for (size_t i = 0; i < tn; i++)
    if (t[i].at == SIM_SEC(3) && !strcmp(t[i].reason, "ActionFailed") &&
        strstr(t[i].message, "patch: Error from server: ") &&
        strstr(t[i].message, "no new finalizers can be added"))
      refused = true;
  assert_true(refused);
  run_free(&r);
}

static void a_patch_of_a_missing_object_or_owner_is_a_warning(void **state)
{
  struct run r;

  (void)state;
  run_body(&r, "  until: 5s\n"
               "  actions:\n"
               "    - {at: 1s, action: patch, object: Pod/nope,\n"
               "       labels: {a: b}}\n"
               "    - {at: 2s, action: patch, object: Pod/p,\n"
               "       ownerReferences: [{apiVersion: apps/v1,\n"
               "                          kind: StatefulSet, name: web}]}\n");
  const struct timeline_entry *t = line_of(&r, "Pod/nope", "ActionFailed");
  assert_non_null(t);
  assert_string_equal(t->message,
                      "patch: Error from server: pods \"nope\" not found");
  t = line_of(&r, "Pod/p", "ActionFailed");
  assert_non_null(t);
  assert_string_equal(t->message,
                      "patch: no StatefulSet named web to take a uid from "
                      "(uid: stale makes a reference to an owner that is "
                      "gone)");
  assert_int_equal(get(&r, KIND_POD, "p")->meta.owner_refs_nr, 0);
  run_free(&r);
}

static void the_owners_field_shows_controller_and_stale_references(void **state)
{
  struct run r;

  (void)state;
  run_body(
      &r, "  until: 5s\n"
          "  actions:\n"
          "    - {at: 1s, action: patch, object: PersistentVolumeClaim/claim,\n"
          "       ownerReferences: [{apiVersion: v1, kind: ConfigMap,\n"
          "                          name: cm},\n"
          "                         {apiVersion: v1, kind: Pod, name: p,\n"
          "                          uid: stale, controller: true}]}\n"
          "  expect:\n"
          "    - {at: 500ms, pvc: claim, owners: \"\"}\n"
          "    - {at: 1s, pvc: claim,\n"
          "       owners: \"ConfigMap/cm, Pod/p (controller) (stale)\"}\n"
          "    - {at: 1s, pvc: claim, owners: \"ConfigMap/cm\"}\n");
  size_t nr;
  const struct expect_result *res = world_expect_results(r.w, &nr);
  assert_int_equal(nr, 3);
  assert_true(res[0].met);
  assert_true(res[1].met);
  assert_false(res[2].met); /* a wrong expectation fails */
  assert_string_equal(res[2].detail,
                      "owners=ConfigMap/cm, Pod/p (controller) (stale)");
  run_free(&r);
}

static void identity_fields_read_what_the_controller_wrote(void **state)
{
  struct run r;
  struct diag d;
  static const char yaml[] =
      "apiVersion: apps/v1\n"
      "kind: StatefulSet\n"
      "metadata: {name: web}\n"
      "spec:\n"
      "  serviceName: svc\n"
      "  replicas: 2\n"
      "  selector: {matchLabels: {app: web}}\n"
      "  template:\n"
      "    metadata: {labels: {app: web}}\n"
      "    spec: {containers: [{name: c, image: img:1}]}\n"
      "---\n"
      "apiVersion: stsim/v1alpha1\n"
      "kind: Scenario\n"
      "metadata: {name: t}\n"
      "spec:\n"
      "  until: 2m\n"
      "  expect:\n"
      "    - {atEnd: true, pod: web-1, hostname: web-1, subdomain: svc,\n"
      "       podIndex: '1', owners: StatefulSet/web (controller)}\n"
      "    - {atEnd: true, pod: web-1, podIndex: '0'}\n";

  (void)state;
  assert_int_equal(load(&r.s, yaml, &d), 0);
  r.w = world_new(&r.s, NULL, &d);
  assert_non_null(r.w);
  world_run(r.w);
  size_t nr;
  const struct expect_result *res = world_expect_results(r.w, &nr);
  assert_int_equal(nr, 2);
  if (!res[0].met)
    fail_msg("%s", res[0].detail);
  assert_false(res[1].met);
  run_free(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_patch_action_decodes_every_part),
      cmocka_unit_test(an_empty_list_is_kept_apart_from_an_absent_one),
      cmocka_unit_test(malformed_patches_are_refused_with_a_position),
      cmocka_unit_test(labels_and_annotations_merge_and_null_removes),
      cmocka_unit_test(owner_references_get_the_uid_of_the_live_owner),
      cmocka_unit_test(finalizers_replace_and_an_empty_list_clears),
      cmocka_unit_test(removing_the_last_finalizer_releases_a_deleting_claim),
      cmocka_unit_test(a_patch_of_a_missing_object_or_owner_is_a_warning),
      cmocka_unit_test(the_owners_field_shows_controller_and_stale_references),
      cmocka_unit_test(identity_fields_read_what_the_controller_wrote),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
