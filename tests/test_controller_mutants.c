/*
 * test_controller_mutants.c - each StatefulSet controller mutant of
 * include/mutants.h (sim/controller/mutant.c) against the correct
 * controller: the same steps run twice, once without and once with the
 * mutant, and the two differ exactly where the bug lives. Where no
 * scenario of the modelled cluster can produce the bug's trigger (B6: a
 * Succeeded pod that nobody is deleting), the property the registry names
 * is shown to catch it here, with the property set on the fixture's API
 * server. The catch scenarios of the others are tests/mutants/<name>.yaml
 * (tests/run-cli-tests.sh runs them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "controller/controller_int.h"
#include "ctl_fixture.h"
#include "mutants.h"
#include "props.h"

/* A fixture for 1.<minor> whose controller will run mutant (NULL: none). */
static struct ctl_fx *fx(int minor, const char *mutant)
{
  struct ctl_fx *x = calloc(1, sizeof(*x));

  ctlfx_init(x, minor);
  x->f.env.mutant = mutant;
  return x;
}

static void fx_free(struct ctl_fx *x)
{
  ctlfx_release(x);
  free(x);
}

static void up(struct ctl_fx *x, const struct ctlfx_set_opts *o)
{
  ctlfx_start(x);
  ctlfx_create_set(x, o);
  ctlfx_converge(x, SIM_SEC(60), NULL);
}

static bool terminating(struct ctl_fx *x, const char *pod)
{
  const struct object *p = ctlfx_pod(x, pod);

  return p && p->meta.deletion_timestamp != SIMTIME_NEVER;
}

static uint64_t uid_of(struct ctl_fx *x, const char *pod)
{
  const struct object *p = ctlfx_pod(x, pod);

  return p ? p->meta.uid : 0;
}

/* Controller create requests for a pod refused with AlreadyExists. */
struct refused {
  const char *pod;
  int n;
};

static void count_refused(const char *who, const char *verb, enum obj_kind kind,
                          const char *ns, const char *name,
                          enum api_status status, bool changed, void *ctx)
{
  struct refused *r = ctx;

  (void)ns;
  (void)changed;
  if (kind == KIND_POD && !strcmp(who, CTL_COMPONENT) &&
      !strcmp(verb, "create") && status == API_ALREADY_EXISTS &&
      !strcmp(name, r->pod))
    r->n++;
}

/* --- the registry ------------------------------------------------------------
 */

static void every_controller_mutant_resolves_to_its_own_variant(void **state)
{
  size_t nr;
  const struct mutant_info *m = mutants_registry(&nr);
  bool seen[CTL_MUT_SHARED_CLAIM + 1] = {false};
  size_t ctl = 0;

  (void)state;
  assert_int_equal(ctl__mutant(NULL), CTL_MUT_NONE);
  assert_int_equal(ctl__mutant(MUTANT_KUBELET_EARLY_DELETE), CTL_MUT_NONE);
  assert_int_equal(ctl__mutant("ctl-no-such"), CTL_MUT_NONE);
  for (size_t i = 0; i < nr; i++) {
    enum ctl_mutant v = ctl__mutant(m[i].name);
    if (strcmp(m[i].component, CTL_COMPONENT)) {
      assert_int_equal(v, CTL_MUT_NONE);
      continue;
    }
    ctl++;
    assert_int_not_equal(v, CTL_MUT_NONE);
    assert_false(seen[v]);
    seen[v] = true;
  }
  assert_int_equal(ctl, CTL_MUT_SHARED_CLAIM);
}

/* --- B2 ----------------------------------------------------------------------
 */

/* 1.37, Parallel, maxUnavailable 1: web-0 broken (never Ready) at the old
 * revision, then a new image. Whether web-0 is deleted for the update. */
static bool b2_broken_old_pod_is_replaced(const char *mutant)
{
  struct ctl_fx *x = fx(37, mutant);
  const char *hold[] = {"web-0", NULL};
  bool deleted;

  ctlfx_gate(x, "MaxUnavailableStatefulSet", true);
  ctlfx_start(x);
  ctlfx_create_set(
      x, &(struct ctlfx_set_opts){.replicas = 1,
                                  .pmp = PMP_PARALLEL,
                                  .max_unavailable = {true, false, 1}});
  ctlfx_converge(x, SIM_SEC(10), hold);
  ctlfx_bind(x, "web-0");
  ctlfx_phase(x, "web-0", POD_RUNNING, false); /* crash-looping */
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_run(x, SIM_SEC(1));
  deleted = terminating(x, "web-0") || !ctlfx_pod(x, "web-0");
  fx_free(x);
  return deleted;
}

static void b2_broken_old_revision_pods_use_up_the_budget(void **state)
{
  (void)state;
  assert_true(b2_broken_old_pod_is_replaced(NULL));
  assert_false(b2_broken_old_pod_is_replaced(MUTANT_CTL_B2));
}

/* --- B3 ----------------------------------------------------------------------
 */

/* Parallel, maxUnavailable 1, minReadySeconds 30: after the update
 * replaced web-2 and the new web-2 is Ready (not yet available), whether
 * web-1 is deleted already. */
static bool b3_deletes_before_available(const char *mutant)
{
  struct ctl_fx *x = fx(34, mutant);
  bool early;

  ctlfx_gate(x, "MaxUnavailableStatefulSet", true);
  up(x, &(struct ctlfx_set_opts){.replicas = 3,
                                 .pmp = PMP_PARALLEL,
                                 .min_ready_seconds = 30,
                                 .max_unavailable = {true, false, 1}});
  ctlfx_run(x, SIM_SEC(40)); /* all available */
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_run(x, SIM_MS(100));
  assert_true(terminating(x, "web-2"));
  assert_false(terminating(x, "web-1"));
  ctlfx_finish(x, "web-2");
  ctlfx_run(x, SIM_MS(100));
  ctlfx_kubelet_round(x, NULL); /* the new web-2: Running and Ready */
  ctlfx_run(x, SIM_MS(100));
  early = terminating(x, "web-1");
  fx_free(x);
  return early;
}

static void b3_ready_is_taken_for_available(void **state)
{
  (void)state;
  assert_false(b3_deletes_before_available(NULL));
  assert_true(b3_deletes_before_available(MUTANT_CTL_B3));
}

/* --- B5 ----------------------------------------------------------------------
 */

/* 1.36 OnDelete: every pod replaced by hand at the new revision. Whether
 * status.currentRevision reached the update revision. */
static bool b5_ondelete_completes(const char *mutant)
{
  struct ctl_fx *x = fx(36, mutant);
  const struct statefulset_status *st;
  bool done;

  up(x, &(struct ctlfx_set_opts){.replicas = 2, .strategy = UPDATE_ON_DELETE});
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_run(x, SIM_MS(100));
  for (int i = 1; i >= 0; i--) {
    char name[16];
    snprintf(name, sizeof(name), "web-%d", i);
    ctlfx_delete(x, name);
    ctlfx_converge(x, SIM_SEC(30), NULL);
  }
  st = &ctlfx_set(x)->u.sts.status;
  assert_int_equal(st->updated_replicas, 2);
  assert_int_equal(st->ready_replicas, 2);
  done = !strcmp(st->current_revision, st->update_revision);
  fx_free(x);
  return done;
}

static void b5_ondelete_never_completes_the_update(void **state)
{
  (void)state;
  assert_true(b5_ondelete_completes(NULL));
  assert_false(b5_ondelete_completes(MUTANT_CTL_B5));
}

/* --- B6 ----------------------------------------------------------------------
 */

/*
 * web-1 ends Succeeded (nothing deletes it). Returns whether the
 * controller replaced it within a minute; *caught gets whether
 * update.terminal-pods was violated meanwhile.
 */
static bool b6_succeeded_pod_is_replaced(const char *mutant, bool *caught)
{
  struct ctl_fx *x = fx(34, mutant);
  struct props *pr = props_new(x->f.api, x->f.truth, NULL);
  int i = props_index(pr, "update.terminal-pods");
  uint64_t uid;
  bool replaced;

  up(x, &(struct ctlfx_set_opts){.replicas = 2});
  uid = uid_of(x, "web-1");
  ctlfx_phase(x, "web-1", POD_SUCCEEDED, false);
  for (int s = 0; s < 60; s++) {
    ctlfx_run(x, SIM_SEC(1));
    ctlfx_kubelet_round(x, NULL);
    props_touch(pr); /* the check looks at time passing too */
    props_after_event(pr);
  }
  props_at_end(pr);
  replaced = uid_of(x, "web-1") && uid_of(x, "web-1") != uid;
  *caught = props_violations(pr, (size_t)i, NULL) > 0;
  props_free(pr);
  fx_free(x);
  return replaced;
}

static void b6_succeeded_pods_are_never_recreated(void **state)
{
  bool caught;

  (void)state;
  assert_true(b6_succeeded_pod_is_replaced(NULL, &caught));
  assert_false(caught);
  assert_false(b6_succeeded_pod_is_replaced(MUTANT_CTL_B6, &caught));
  assert_true(caught); /* update.terminal-pods */
}

/* --- B7 ----------------------------------------------------------------------
 */

/* web-0 ends Failed while a finalizer holds it. The controller's deletes of
 * web-0 (SuccessfulDelete events) and its RecreatingFailedPod events. */
static void b7_terminal_pod(const char *mutant, int *deletes, int *recreating,
                            int *refused)
{
  struct ctl_fx *x = fx(34, mutant);
  static const char *const fin[] = {"example.com/hold"};
  struct refused r = {"web-0", 0};
  struct object o;

  up(x, &(struct ctlfx_set_opts){.replicas = 1});
  api_add_request_hook(x->f.api, count_refused, &r);
  o = *ctlfx_pod(x, "web-0");
  o.meta.finalizers = (struct str_list){fin, 1};
  assert_int_equal(api_update(x->f.api, "kubectl", &o, NULL), API_OK);
  ctlfx_phase(x, "web-0", POD_FAILED, false);
  ctlfx_run(x, SIM_SEC(2));
  *deletes = ctlfx_events(x, "SuccessfulDelete");
  *recreating = ctlfx_events(x, "RecreatingFailedPod");
  *refused = r.n;
  fx_free(x);
}

static void b7_terminal_pods_are_deleted_again_and_recreated_at_once(void **st)
{
  int deletes, recreating, refused;

  (void)st;
  b7_terminal_pod(NULL, &deletes, &recreating, &refused);
  assert_int_equal(deletes, 1);
  assert_int_equal(recreating, 0);
  assert_int_equal(refused, 0);
  b7_terminal_pod(MUTANT_CTL_B7, &deletes, &recreating, &refused);
  assert_true(deletes > 1);    /* deleted again while terminating */
  assert_true(recreating > 1); /* on every pass */
  assert_true(refused > 0);    /* recreated in the same pass */
}

/* --- B8 ----------------------------------------------------------------------
 */

/* web-0 Pending and its claim deleted: whether the claim comes back. */
static bool b8_claim_recreated(const char *mutant)
{
  struct ctl_fx *x = fx(34, mutant);
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  bool back;

  up(x, &(struct ctlfx_set_opts){.replicas = 1, .claims = true});
  assert_non_null(ctlfx_pvc(x, "data-web-0"));
  assert_int_equal(
      api_delete(x->f.api, "kubectl", KIND_PVC, "default", "data-web-0", &o),
      API_OK);
  ctlfx_phase(x, "web-0", POD_PENDING, false); /* wakes the controller */
  ctlfx_run(x, SIM_SEC(1));
  back = ctlfx_pvc(x, "data-web-0") != NULL;
  fx_free(x);
  return back;
}

static void b8_missing_claims_of_pending_pods_stay_missing(void **state)
{
  (void)state;
  assert_true(b8_claim_recreated(NULL));
  assert_false(b8_claim_recreated(MUTANT_CTL_B8));
}

/* --- B9 ----------------------------------------------------------------------
 */

/* whenDeleted Delete; data-web-0 handed to a ConfigMap controller; a pass.
 * The kind of the claim's controller ref afterwards. */
static const char *b9_claim_controller(const char *mutant)
{
  struct ctl_fx *x = fx(34, mutant);
  struct owner_ref *cm = calloc(1, sizeof(*cm));
  const struct owner_ref *r;
  struct object o;
  static char kind[32];

  ctlfx_gate(x, "StatefulSetAutoDeletePVC", true);
  up(x, &(struct ctlfx_set_opts){
            .replicas = 2, .claims = true, .when_deleted = DELETE});
  r = meta_controller_ref(&ctlfx_pvc(x, "data-web-0")->meta);
  assert_non_null(r);
  assert_string_equal(r->kind, "StatefulSet");
  *cm = (struct owner_ref){.api_version = "v1",
                           .kind = "ConfigMap",
                           .name = "external",
                           .uid = 999999,
                           .controller = true};
  o = *ctlfx_pvc(x, "data-web-0");
  o.meta.owner_refs = cm;
  o.meta.owner_refs_nr = 1;
  assert_int_equal(api_update(x->f.api, "kubectl", &o, NULL), API_OK);
  ctlfx_unready(x, "web-1"); /* any pod event: a pass */
  ctlfx_run(x, SIM_MS(100));
  r = meta_controller_ref(&ctlfx_pvc(x, "data-web-0")->meta);
  snprintf(kind, sizeof(kind), "%s", r ? r->kind : "");
  fx_free(x);
  free(cm);
  return kind;
}

static void b9_foreign_controller_refs_are_replaced(void **state)
{
  (void)state;
  assert_string_equal(b9_claim_controller(NULL), "ConfigMap");
  assert_string_equal(b9_claim_controller(MUTANT_CTL_B9), "StatefulSet");
}

/* --- B16 ---------------------------------------------------------------------
 */

/* node-1 (where the test's kubelet binds every pod) stops being Ready.
 * Whether web-0 was force-deleted and a new web-0 created. */
static bool b16_pod_replaced(const char *mutant)
{
  struct ctl_fx *x = fx(34, mutant);
  uint64_t uid;
  struct object n;
  bool replaced;

  up(x, &(struct ctlfx_set_opts){.replicas = 2});
  uid = uid_of(x, "web-0");
  n = *fixture_get(&x->f, KIND_NODE, "node-1");
  n.u.node.ready.status = COND_UNKNOWN;
  n.u.node.ready.last_transition_time = ctlfx_now(x);
  assert_int_equal(api_update_status(x->f.api, "node-controller", &n, NULL),
                   API_OK);
  ctlfx_unready(x, "web-0"); /* MarkPodsNotReady */
  ctlfx_run(x, SIM_SEC(1));
  replaced = uid_of(x, "web-0") && uid_of(x, "web-0") != uid &&
             !ctlfx_pod(x, "web-0")->u.pod.spec.node_name;
  if (!replaced)
    assert_int_equal(uid_of(x, "web-0"), uid); /* left alone */
  fx_free(x);
  return replaced;
}

static void b16_the_pod_of_a_lost_node_is_force_deleted_and_replaced(void **s)
{
  (void)s;
  assert_false(b16_pod_replaced(NULL));
  assert_true(b16_pod_replaced(MUTANT_CTL_B16));
}

/* --- B17 ---------------------------------------------------------------------
 */

/* Rounds of the test's kubelet until replicas pods are Ready. */
static void ready_all(struct ctl_fx *x, int replicas)
{
  for (int i = 0; i < 1000; i++) {
    ctlfx_run(x, SIM_MS(100));
    ctlfx_kubelet_round(x, NULL);
    if (ctlfx_set(x)->u.sts.status.ready_replicas == replicas)
      return;
  }
  fail_msg("not all %d replicas Ready", replicas);
}

/* web-0 deleted (terminating), then a scale-up 2 -> 3 one second later:
 * whether web-2 is created while web-0 is terminating. */
static bool b17_scales_up_past_a_terminating_pod(const char *mutant)
{
  struct ctl_fx *x = fx(34, mutant);
  bool created;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 2});
  ready_all(x, 2);
  ctlfx_run(x, SIM_SEC(10)); /* every cache current */
  ctlfx_delete(x, "web-0");
  ctlfx_run(x, SIM_SEC(1));
  ctlfx_scale(x, 3);
  ctlfx_run(x, SIM_MS(500));
  assert_true(terminating(x, "web-0"));
  created = ctlfx_pod(x, "web-2") != NULL;
  fx_free(x);
  return created;
}

static void b17_a_lagging_pod_cache_scales_up_on_stale_readiness(void **state)
{
  (void)state;
  assert_false(b17_scales_up_past_a_terminating_pod(NULL));
  assert_true(b17_scales_up_past_a_terminating_pod(MUTANT_CTL_B17));
}

/* --- B19 ---------------------------------------------------------------------
 */

/* 3 -> 2 with the condemned web-2 unready: whether it is deleted. */
static bool b19_unhealthy_condemned_deleted(const char *mutant)
{
  struct ctl_fx *x = fx(34, mutant);
  const char *hold[] = {"web-2", NULL};
  bool deleted;

  up(x, &(struct ctlfx_set_opts){.replicas = 3});
  ctlfx_unready(x, "web-2");
  ctlfx_run(x, SIM_MS(100));
  ctlfx_scale(x, 2);
  ctlfx_converge(x, SIM_SEC(5), hold);
  deleted = terminating(x, "web-2");
  fx_free(x);
  return deleted;
}

static void b19_an_unhealthy_pod_blocks_its_own_scale_down(void **state)
{
  (void)state;
  assert_true(b19_unhealthy_condemned_deleted(NULL));
  assert_false(b19_unhealthy_condemned_deleted(MUTANT_CTL_B19));
}

/* --- B20 ---------------------------------------------------------------------
 */

/* Parallel, web-0 unready, new image: whether the update starts (web-2
 * deleted). */
static bool b20_update_starts(const char *mutant)
{
  struct ctl_fx *x = fx(34, mutant);
  bool started;

  up(x, &(struct ctlfx_set_opts){.replicas = 3, .pmp = PMP_PARALLEL});
  ctlfx_unready(x, "web-0");
  ctlfx_run(x, SIM_MS(100));
  ctlfx_set_image(x, "registry.example/app:2");
  ctlfx_run(x, SIM_MS(100));
  started = terminating(x, "web-2");
  fx_free(x);
  return started;
}

static void b20_parallel_waits_for_an_unready_pod_like_ordered_ready(void **s)
{
  (void)s;
  assert_true(b20_update_starts(NULL));
  assert_false(b20_update_starts(MUTANT_CTL_B20));
}

/* --- tempting mistakes -------------------------------------------------------
 */

/* web-1 deleted (graceful): the creates of web-1 the API refused while it
 * terminated, and whether a new web-1 came once it was gone. */
static int no_wait_refused(const char *mutant)
{
  struct ctl_fx *x = fx(34, mutant);
  struct refused r = {"web-1", 0};
  uint64_t uid;

  up(x, &(struct ctlfx_set_opts){.replicas = 2});
  uid = uid_of(x, "web-1");
  api_add_request_hook(x->f.api, count_refused, &r);
  ctlfx_delete(x, "web-1");
  ctlfx_run(x, SIM_SEC(2));
  assert_true(terminating(x, "web-1"));
  ctlfx_finish(x, "web-1");
  ctlfx_run(x, SIM_SEC(1));
  assert_true(uid_of(x, "web-1") && uid_of(x, "web-1") != uid);
  fx_free(x);
  return r.n;
}

static void no_wait_terminating_tries_to_run_two_of_an_identity(void **state)
{
  (void)state;
  assert_int_equal(no_wait_refused(NULL), 0);
  /* the controller would have run two web-1 had the API let it: it tried
   * again and again (rate-limited) while the old one terminated */
  assert_true(no_wait_refused(MUTANT_CTL_NO_WAIT_TERMINATING) > 3);
}

/* 3 -> 1: which condemned pod goes first. */
static const char *first_condemned(const char *mutant)
{
  struct ctl_fx *x = fx(34, mutant);
  const char *first;

  up(x, &(struct ctlfx_set_opts){.replicas = 3});
  ctlfx_scale(x, 1);
  ctlfx_run(x, SIM_MS(100));
  assert_true(terminating(x, "web-1") != terminating(x, "web-2"));
  first = terminating(x, "web-2") ? "web-2" : "web-1";
  fx_free(x);
  return first;
}

static void lowest_first_scales_down_from_the_lowest_ordinal(void **state)
{
  (void)state;
  assert_string_equal(first_condemned(NULL), "web-2");
  assert_string_equal(first_condemned(MUTANT_CTL_LOWEST_FIRST), "web-1");
}

struct names {
  char v[8][64];
  int ord[8];
  size_t nr;
};

static bool collect_name(const struct object *o, void *ctx)
{
  struct names *n = ctx;

  if (n->nr < 8) {
    snprintf(n->v[n->nr], sizeof(n->v[0]), "%s", o->meta.name);
    n->ord[n->nr++] = ctl__index_label(o);
  }
  return true;
}

static void random_names_name_pods_as_generate_name_does(void **state)
{
  struct ctl_fx *x = fx(34, MUTANT_CTL_RANDOM_NAMES);
  struct names n = {.nr = 0};

  (void)state;
  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 2});
  ready_all(x, 2);
  ctlfx_run(x, SIM_SEC(30));
  api_list(x->f.api, KIND_POD, "default", NULL, collect_name, &n);
  /* two pods, no more (identity kept in the pod-index label), neither
   * named <set>-<ordinal> */
  assert_int_equal(n.nr, 2);
  assert_null(ctlfx_pod(x, "web-0"));
  assert_null(ctlfx_pod(x, "web-1"));
  for (size_t i = 0; i < n.nr; i++) {
    assert_int_equal(strlen(n.v[i]), strlen("web-") + 5);
    assert_memory_equal(n.v[i], "web-", 4);
  }
  assert_int_equal(n.ord[0] + n.ord[1], 1); /* ordinals 0 and 1 */
  fx_free(x);

  /* the correct controller, for contrast */
  x = fx(34, NULL);
  up(x, &(struct ctlfx_set_opts){.replicas = 2});
  assert_non_null(ctlfx_pod(x, "web-0"));
  assert_non_null(ctlfx_pod(x, "web-1"));
  fx_free(x);
}

static const char *claim_of(struct ctl_fx *x, const char *pod)
{
  const struct pod_spec *ps = &ctlfx_pod(x, pod)->u.pod.spec;

  for (size_t i = 0; i < ps->volumes_nr; i++)
    if (!strcmp(ps->volumes[i].name, "data"))
      return ps->volumes[i].claim_name;
  return "";
}

static void shared_claim_mounts_one_claim_in_every_replica(void **state)
{
  struct ctl_fx *x = fx(34, NULL);

  (void)state;
  up(x, &(struct ctlfx_set_opts){.replicas = 2, .claims = true});
  assert_string_equal(claim_of(x, "web-0"), "data-web-0");
  assert_string_equal(claim_of(x, "web-1"), "data-web-1");
  assert_int_equal(ctlfx_count(x, KIND_PVC), 2);
  fx_free(x);

  x = fx(34, MUTANT_CTL_SHARED_CLAIM);
  up(x, &(struct ctlfx_set_opts){.replicas = 2, .claims = true});
  assert_string_equal(claim_of(x, "web-0"), "data-web");
  assert_string_equal(claim_of(x, "web-1"), "data-web");
  assert_int_equal(ctlfx_count(x, KIND_PVC), 1);
  assert_non_null(ctlfx_pvc(x, "data-web"));
  /* no repair fight: the mutant takes its own claim names for right */
  assert_int_equal(ctlfx_events(x, "SuccessfulUpdate"), 0);
  fx_free(x);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_controller_mutant_resolves_to_its_own_variant),
      cmocka_unit_test(b2_broken_old_revision_pods_use_up_the_budget),
      cmocka_unit_test(b3_ready_is_taken_for_available),
      cmocka_unit_test(b5_ondelete_never_completes_the_update),
      cmocka_unit_test(b6_succeeded_pods_are_never_recreated),
      cmocka_unit_test(
          b7_terminal_pods_are_deleted_again_and_recreated_at_once),
      cmocka_unit_test(b8_missing_claims_of_pending_pods_stay_missing),
      cmocka_unit_test(b9_foreign_controller_refs_are_replaced),
      cmocka_unit_test(
          b16_the_pod_of_a_lost_node_is_force_deleted_and_replaced),
      cmocka_unit_test(b17_a_lagging_pod_cache_scales_up_on_stale_readiness),
      cmocka_unit_test(b19_an_unhealthy_pod_blocks_its_own_scale_down),
      cmocka_unit_test(
          b20_parallel_waits_for_an_unready_pod_like_ordered_ready),
      cmocka_unit_test(no_wait_terminating_tries_to_run_two_of_an_identity),
      cmocka_unit_test(lowest_first_scales_down_from_the_lowest_ordinal),
      cmocka_unit_test(random_names_name_pods_as_generate_name_does),
      cmocka_unit_test(shared_claim_mounts_one_claim_in_every_replica),
  };

  return cmocka_run_group_tests_name("controller mutants", tests, NULL, NULL);
}
