/*
 * test_gc.c - the garbage collector against the fake API server: cascading
 * deletion (background, foreground, orphan), re-created owners, several
 * owners, PVC retention through ownerReferences, retries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"

struct t {
  struct fixture f;
  void *gc;
};

static int setup(void **state)
{
  struct t *t = test_malloc(sizeof(*t));

  fixture_init(&t->f, 2, 1);
  t->gc = gc_start(&t->f.env);
  *state = t;
  return 0;
}

static int teardown(void **state)
{
  struct t *t = *state;

  gc_stop(t->gc);
  fixture_release(&t->f);
  test_free(t);
  return 0;
}

/* Runs the simulation for d more microseconds. */
static void run_for(struct t *t, simtime d)
{
  fixture_run(&t->f, engine_now(t->f.engine) + d);
}

static struct owner_ref ref_to(const struct object *owner, bool controller,
                               bool block)
{
  return (struct owner_ref){.api_version = obj_kind_api_version(owner->kind),
                            .kind = obj_kind_name(owner->kind),
                            .name = owner->meta.name,
                            .uid = owner->meta.uid,
                            .controller = controller,
                            .block_owner_deletion = block};
}

static void set_refs(struct t *t, struct object *o, const struct owner_ref *r,
                     size_t nr)
{
  o->meta.owner_refs = arena_memdup(&t->f.s.arena, r, nr * sizeof(*r));
  o->meta.owner_refs_nr = nr;
}

static const struct object *sts(struct t *t, const char *name)
{
  struct object o;
  struct kv *l = arena_calloc(&t->f.s.arena, 1, sizeof(*l));
  struct container *c = arena_calloc(&t->f.s.arena, 1, sizeof(*c));

  object_init(&o, KIND_STATEFULSET);
  o.meta.name = name;
  o.meta.namespace_ = "default";
  l[0] = (struct kv){"app", name};
  o.u.sts.spec.selector.match_labels = (struct kv_list){l, 1};
  o.u.sts.spec.template_.labels = (struct kv_list){l, 1};
  c->name = "app";
  c->image = "registry.example/app:1";
  o.u.sts.spec.template_.spec.containers = c;
  o.u.sts.spec.template_.spec.containers_nr = 1;
  o.u.sts.spec.service_name = name;
  object_set_defaults(&o);
  return fixture_create(&t->f, &o);
}

/* A pod owned by owner (controller, blocking) unless owner is NULL; a
 * scheduled pod terminates gracefully, an unscheduled one goes at once. */
static const struct object *pod(struct t *t, const char *name,
                                const struct object *owner, bool scheduled)
{
  struct object o = fixture_pod(&t->f, name, NULL);

  if (owner) {
    struct owner_ref r = ref_to(owner, true, true);
    set_refs(t, &o, &r, 1);
  }
  if (scheduled)
    o.u.pod.spec.node_name = "node-1";
  return fixture_create(&t->f, &o);
}

static const struct object *claim(struct t *t, const char *name,
                                  const struct object *owner)
{
  struct object o = fixture_pvc(&t->f, name, "standard", INT64_C(1) << 30);

  if (owner) {
    struct owner_ref r = ref_to(owner, true, true);
    set_refs(t, &o, &r, 1);
  }
  return fixture_create(&t->f, &o);
}

static const struct object *revision(struct t *t, const char *name,
                                     const struct object *owner)
{
  struct object o;
  struct owner_ref r = ref_to(owner, true, true);

  object_init(&o, KIND_CONTROLLERREVISION);
  o.meta.name = name;
  o.meta.namespace_ = "default";
  o.u.rev.revision = 1;
  set_refs(t, &o, &r, 1);
  return fixture_create(&t->f, &o);
}

static void delete (struct t *t, enum obj_kind k, const char *name,
                    enum propagation p, int64_t grace)
{
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  o.propagation = p;
  o.grace_seconds = grace;
  assert_int_equal(api_delete(t->f.api, "kubectl", k, "default", name, &o),
                   API_OK);
}

static const struct object *get(struct t *t, enum obj_kind k, const char *n)
{
  return fixture_get(&t->f, k, n);
}

/* --- background ----------------------------------------------------------- */

static void
background_delete_of_a_set_removes_its_pods_revisions_and_claims(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");

  pod(t, "web-0", s, false);
  pod(t, "web-1", s, false);
  revision(t, "web-6b8f", s);
  claim(t, "data-web-0", s);    /* whenDeleted: Delete */
  claim(t, "data-web-1", NULL); /* whenDeleted: Retain */
  run_for(t, SIM_SEC(1));
  assert_non_null(get(t, KIND_POD, "web-0"));

  delete (t, KIND_STATEFULSET, "web", PROPAGATE_BACKGROUND, -1);
  run_for(t, SIM_SEC(1));
  assert_null(get(t, KIND_STATEFULSET, "web"));
  assert_null(get(t, KIND_POD, "web-0"));
  assert_null(get(t, KIND_POD, "web-1"));
  assert_null(get(t, KIND_CONTROLLERREVISION, "web-6b8f"));
  assert_null(get(t, KIND_PVC, "data-web-0"));
  assert_non_null(get(t, KIND_PVC, "data-web-1"));
  assert_true(fixture_noted(&t->f, "Pod/web-0 GarbageCollected"));
}

static void
the_collector_reacts_after_the_watch_delay_and_a_round_trip(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");
  simtime lag = t->f.s.timings.v[TIMING_WATCH_DELAY] +
                t->f.s.timings.v[TIMING_API_LATENCY];

  pod(t, "web-0", s, false);
  run_for(t, SIM_SEC(1));
  delete (t, KIND_STATEFULSET, "web", PROPAGATE_BACKGROUND, -1);
  run_for(t, lag - 1);
  assert_non_null(get(t, KIND_POD, "web-0"));
  run_for(t, 1);
  assert_null(get(t, KIND_POD, "web-0"));
}

static void pods_deleted_by_the_collector_terminate_gracefully(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");
  const struct object *p;

  pod(t, "web-0", s, true);
  run_for(t, SIM_SEC(1));
  delete (t, KIND_STATEFULSET, "web", PROPAGATE_DEFAULT, -1);
  run_for(t, SIM_SEC(1));
  p = get(t, KIND_POD, "web-0");
  assert_non_null(p);
  assert_true(meta_is_deleting(&p->meta));
  assert_int_equal(p->meta.deletion_grace_period_seconds, 30);
}

/* --- foreground ----------------------------------------------------------- */

static void foreground_owner_waits_for_blocking_dependents(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");
  const struct object *cur;

  pod(t, "web-0", s, true); /* stays Terminating until the kubelet ends */
  revision(t, "web-6b8f", s);
  run_for(t, SIM_SEC(1));

  delete (t, KIND_STATEFULSET, "web", PROPAGATE_FOREGROUND, -1);
  run_for(t, SIM_SEC(10));
  cur = get(t, KIND_STATEFULSET, "web");
  assert_non_null(cur);
  assert_true(meta_is_deleting(&cur->meta));
  assert_null(get(t, KIND_CONTROLLERREVISION, "web-6b8f"));
  assert_true(meta_is_deleting(&get(t, KIND_POD, "web-0")->meta));

  /* The kubelet's final delete: then the set goes too. */
  delete (t, KIND_POD, "web-0", PROPAGATE_DEFAULT, 0);
  assert_null(get(t, KIND_POD, "web-0"));
  run_for(t, SIM_SEC(1));
  assert_null(get(t, KIND_STATEFULSET, "web"));
}

static void
a_dependent_added_during_foreground_deletion_is_deleted_too(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");

  pod(t, "web-0", s, true);
  run_for(t, SIM_SEC(1));
  delete (t, KIND_STATEFULSET, "web", PROPAGATE_FOREGROUND, -1);
  run_for(t, SIM_SEC(1));
  /* A racing controller adds a blocking dependent meanwhile. */
  pod(t, "web-1", get(t, KIND_STATEFULSET, "web"), true);
  run_for(t, SIM_SEC(1));
  assert_true(meta_is_deleting(&get(t, KIND_POD, "web-1")->meta));
  delete (t, KIND_POD, "web-0", PROPAGATE_DEFAULT, 0);
  run_for(t, SIM_SEC(1));
  assert_non_null(get(t, KIND_STATEFULSET, "web"));
  delete (t, KIND_POD, "web-1", PROPAGATE_DEFAULT, 0);
  run_for(t, SIM_SEC(1));
  assert_null(get(t, KIND_STATEFULSET, "web"));
}

static void
foreground_owner_does_not_wait_for_non_blocking_dependents(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");
  struct object o = fixture_pod(&t->f, "web-0", NULL);
  struct owner_ref r = ref_to(s, true, false);

  set_refs(t, &o, &r, 1);
  o.u.pod.spec.node_name = "node-1";
  fixture_create(&t->f, &o);
  run_for(t, SIM_SEC(1));

  delete (t, KIND_STATEFULSET, "web", PROPAGATE_FOREGROUND, -1);
  run_for(t, SIM_SEC(1));
  assert_null(get(t, KIND_STATEFULSET, "web"));
  assert_true(meta_is_deleting(&get(t, KIND_POD, "web-0")->meta));
}

static void foreground_deletion_goes_through_a_pod_to_its_claims(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");
  const struct object *p = pod(t, "web-0", s, true);
  const struct object *cur;

  claim(t, "data-web-0", p);
  run_for(t, SIM_SEC(1));
  delete (t, KIND_STATEFULSET, "web", PROPAGATE_FOREGROUND, -1);
  run_for(t, SIM_SEC(1));
  /* The pod waited for by its owner and having dependents itself is
   * deleted with Foreground: its claim goes, then its finalizer. */
  assert_null(get(t, KIND_PVC, "data-web-0"));
  cur = get(t, KIND_POD, "web-0");
  assert_non_null(cur);
  assert_true(meta_is_deleting(&cur->meta));
  assert_int_equal(cur->meta.finalizers.nr, 0);
  assert_non_null(get(t, KIND_STATEFULSET, "web"));

  delete (t, KIND_POD, "web-0", PROPAGATE_DEFAULT, 0);
  run_for(t, SIM_SEC(1));
  assert_null(get(t, KIND_STATEFULSET, "web"));
}

/* --- orphan --------------------------------------------------------------- */

static void orphan_delete_keeps_dependents_without_the_reference(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");
  const struct object *p;

  pod(t, "web-0", s, false);
  claim(t, "data-web-0", s);
  run_for(t, SIM_SEC(1));
  delete (t, KIND_STATEFULSET, "web", PROPAGATE_ORPHAN, -1);
  assert_non_null(get(t, KIND_STATEFULSET, "web")); /* the finalizer */
  run_for(t, SIM_SEC(1));
  assert_null(get(t, KIND_STATEFULSET, "web"));
  p = get(t, KIND_POD, "web-0");
  assert_non_null(p);
  assert_int_equal(p->meta.owner_refs_nr, 0);
  assert_non_null(get(t, KIND_PVC, "data-web-0"));
  assert_int_equal(get(t, KIND_PVC, "data-web-0")->meta.owner_refs_nr, 0);
  /* Nothing left to collect later either. */
  run_for(t, SIM_MIN(10));
  assert_non_null(get(t, KIND_POD, "web-0"));
}

/* --- identity by uid ------------------------------------------------------ */

static void dependents_of_a_recreated_owner_are_garbage(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");

  pod(t, "web-0", s, false);
  run_for(t, SIM_SEC(1));
  /* Deleted and re-created before the collector sees either. */
  delete (t, KIND_STATEFULSET, "web", PROPAGATE_BACKGROUND, -1);
  s = sts(t, "web");
  run_for(t, SIM_SEC(1));
  assert_null(get(t, KIND_POD, "web-0"));
  assert_non_null(get(t, KIND_STATEFULSET, "web"));
  assert_int_equal(get(t, KIND_STATEFULSET, "web")->meta.uid, s->meta.uid);
}

static void
a_reference_to_another_uid_of_the_same_name_is_dangling(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");
  struct object stale = *s;
  const struct object *p;

  stale.meta.uid = 999999; /* an incarnation of "web" that is gone */
  pod(t, "web-0", &stale, false);
  p = pod(t, "web-1", s, false);
  run_for(t, SIM_SEC(1));
  assert_null(get(t, KIND_POD, "web-0"));
  assert_non_null(get(t, KIND_POD, "web-1"));
  assert_int_equal(get(t, KIND_POD, "web-1")->meta.resource_version,
                   p->meta.resource_version);
}

static void a_dependent_survives_while_one_of_its_owners_remains(void **state)
{
  struct t *t = *state;
  const struct object *a = sts(t, "a");
  const struct object *b = sts(t, "b");
  struct object o = fixture_pod(&t->f, "shared", NULL);
  struct owner_ref r[2] = {ref_to(a, true, true), ref_to(b, false, false)};
  const struct object *p;

  set_refs(t, &o, r, 2);
  fixture_create(&t->f, &o);
  run_for(t, SIM_SEC(1));

  delete (t, KIND_STATEFULSET, "a", PROPAGATE_BACKGROUND, -1);
  run_for(t, SIM_SEC(1));
  p = get(t, KIND_POD, "shared");
  assert_non_null(p);
  /* The dangling reference is removed; the live one stays. */
  assert_int_equal(p->meta.owner_refs_nr, 1);
  assert_int_equal(p->meta.owner_refs[0].uid, b->meta.uid);

  delete (t, KIND_STATEFULSET, "b", PROPAGATE_BACKGROUND, -1);
  run_for(t, SIM_SEC(1));
  assert_null(get(t, KIND_POD, "shared"));
}

/* --- PVC retention through pod references --------------------------------- */

static void a_claim_owned_by_a_pod_goes_when_the_pod_is_gone(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");
  const struct object *p = pod(t, "web-1", s, true);

  claim(t, "data-web-1", p); /* whenScaled: Delete, condemned */
  run_for(t, SIM_SEC(1));
  delete (t, KIND_POD, "web-1", PROPAGATE_DEFAULT, -1);
  run_for(t, SIM_SEC(5));
  /* Terminating is not gone: the claim stays. */
  assert_non_null(get(t, KIND_POD, "web-1"));
  assert_non_null(get(t, KIND_PVC, "data-web-1"));
  delete (t, KIND_POD, "web-1", PROPAGATE_DEFAULT, 0);
  run_for(t, SIM_SEC(1));
  assert_null(get(t, KIND_PVC, "data-web-1"));
  assert_non_null(get(t, KIND_STATEFULSET, "web"));
}

static void
a_claim_pointing_at_an_old_pod_incarnation_is_collected(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");
  const struct object *p = pod(t, "web-1", s, false);

  claim(t, "data-web-1", p);
  /* The pod is replaced before the collector saw anything. */
  delete (t, KIND_POD, "web-1", PROPAGATE_DEFAULT, -1);
  pod(t, "web-1", s, false);
  run_for(t, SIM_SEC(1));
  assert_null(get(t, KIND_PVC, "data-web-1"));
  assert_non_null(get(t, KIND_POD, "web-1"));
}

/* --- no double deletes, retries ------------------------------------------- */

static void a_dependent_already_terminating_is_not_deleted_again(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");

  pod(t, "web-0", s, true);
  pod(t, "web-1", s, false);
  run_for(t, SIM_SEC(1));
  delete (t, KIND_POD, "web-0", PROPAGATE_DEFAULT, -1); /* Terminating */
  run_for(t, SIM_SEC(1));
  /* Every write of the collector from now on fails and is counted. */
  api_add_write_fault(t->f.api, API_FAULT_UNAVAILABLE, 1.0,
                      engine_now(t->f.engine), SIMTIME_NEVER,
                      "generic-garbage-collector");
  delete (t, KIND_STATEFULSET, "web", PROPAGATE_BACKGROUND, -1);
  run_for(t, t->f.s.timings.v[TIMING_WATCH_DELAY] +
                 t->f.s.timings.v[TIMING_API_LATENCY]);
  /* One attempt: web-1's delete; none for the terminating web-0. */
  assert_int_equal(api_faults_injected(t->f.api), 1);
}

static void a_failed_delete_is_retried_with_back_off(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");
  simtime now;

  pod(t, "web-0", s, false);
  run_for(t, SIM_SEC(1));
  now = engine_now(t->f.engine);
  api_add_write_fault(t->f.api, API_FAULT_UNAVAILABLE, 1.0, now,
                      now + SIM_MS(100), "generic-garbage-collector");
  delete (t, KIND_STATEFULSET, "web", PROPAGATE_BACKGROUND, -1);
  run_for(t, SIM_MS(99));
  assert_non_null(get(t, KIND_POD, "web-0"));
  /* 5, 10, 20, 40 ms back-offs: about 6 attempts, not one per tick. */
  assert_in_range(api_faults_injected(t->f.api), 4, 8);
  run_for(t, SIM_MS(500));
  assert_null(get(t, KIND_POD, "web-0"));
}

static void an_idle_collector_schedules_nothing(void **state)
{
  struct t *t = *state;
  const struct object *s = sts(t, "web");

  pod(t, "web-0", s, false);
  claim(t, "data-web-0", s);
  run_for(t, SIM_SEC(1));
  assert_int_equal(engine_pending(t->f.engine), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(background_delete_of_a_set_removes_its_pods_revisions_and_claims),
      T(the_collector_reacts_after_the_watch_delay_and_a_round_trip),
      T(pods_deleted_by_the_collector_terminate_gracefully),
      T(foreground_owner_waits_for_blocking_dependents),
      T(a_dependent_added_during_foreground_deletion_is_deleted_too),
      T(foreground_owner_does_not_wait_for_non_blocking_dependents),
      T(foreground_deletion_goes_through_a_pod_to_its_claims),
      T(orphan_delete_keeps_dependents_without_the_reference),
      T(dependents_of_a_recreated_owner_are_garbage),
      T(a_reference_to_another_uid_of_the_same_name_is_dangling),
      T(a_dependent_survives_while_one_of_its_owners_remains),
      T(a_claim_owned_by_a_pod_goes_when_the_pod_is_gone),
      T(a_claim_pointing_at_an_old_pod_incarnation_is_collected),
      T(a_dependent_already_terminating_is_not_deleted_again),
      T(a_failed_delete_is_retried_with_back_off),
      T(an_idle_collector_schedules_nothing),
#undef T
  };

  return cmocka_run_group_tests_name("gc", tests, NULL, NULL);
}
