/*
 * test_controller_claims.c - the StatefulSet controller: PVC retention
 * ownerRefs (§5.5), missing and stale claims (§4.1), identity and storage
 * repair (§5.4), adoption and release (§3.3), the work queue's back-off,
 * minReadySeconds requeues and coalescing (§3, §9), restart-controller and
 * read-your-own-writes (§16).
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

static int setup(void **state)
{
  struct ctl_fx *x = calloc(1, sizeof(*x));

  ctlfx_init(x, 34);
  *state = x;
  return 0;
}

static int teardown(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_release(x);
  free(x);
  return 0;
}

static const struct owner_ref *ref_to(const struct object *o, const char *kind,
                                      const char *name)
{
  for (size_t i = 0; i < o->meta.owner_refs_nr; i++)
    if (!strcmp(o->meta.owner_refs[i].kind, kind) &&
        !strcmp(o->meta.owner_refs[i].name, name))
      return &o->meta.owner_refs[i];
  return NULL;
}

static void up(struct ctl_fx *x, const struct ctlfx_set_opts *o)
{
  ctlfx_start(x);
  ctlfx_create_set(x, o);
  ctlfx_converge(x, SIM_SEC(60), NULL);
}

/* --- write log: the order of the controller's writes
 * -------------------------- */

struct wlog {
  char line[256][64];
  int nr;
};

static void log_write(enum watch_type t, const struct object *old,
                      const struct object *now, void *ctx)
{
  struct wlog *l = ctx;
  const char *what = t == WATCH_ADDED     ? "add"
                     : t == WATCH_DELETED ? "gone"
                                          : "mod";

  if (t == WATCH_MODIFIED && old && now->kind == KIND_POD &&
      old->meta.deletion_timestamp == SIMTIME_NEVER &&
      now->meta.deletion_timestamp != SIMTIME_NEVER)
    what = "delete";
  if (l->nr < 256)
    snprintf(l->line[l->nr++], 64, "%s %s %s", what, obj_kind_name(now->kind),
             now->meta.name);
}

static int log_find(const struct wlog *l, const char *s)
{
  for (int i = 0; i < l->nr; i++)
    if (!strcmp(l->line[i], s))
      return i;
  return -1;
}

/* --- retention (§5.5)
 * ----------------------------------------------------------- */

static void when_scaled_delete_puts_pod_refs_before_deleting(void **state)
{
  struct ctl_fx *x = *state;
  static struct wlog l;
  const struct object *pvc;
  uint64_t uid2;

  up(x, &(struct ctlfx_set_opts){.replicas = 3,
                                 .pmp = PMP_PARALLEL,
                                 .claims = true,
                                 .when_scaled = DELETE});
  /* in range: no refs under Delete/Retain */
  assert_int_equal(ctlfx_pvc(x, "data-web-2")->meta.owner_refs_nr, 0);
  uid2 = ctlfx_pod(x, "web-2")->meta.uid;
  l.nr = 0;
  api_add_write_hook(x->f.api, log_write, &l);
  ctlfx_scale(x, 1);
  ctlfx_run(x, SIM_MS(50));
  pvc = ctlfx_pvc(x, "data-web-2");
  assert_non_null(ref_to(pvc, "Pod", "web-2"));
  assert_int_equal(ref_to(pvc, "Pod", "web-2")->uid, uid2);
  assert_true(ref_to(pvc, "Pod", "web-2")->controller);
  assert_non_null(ref_to(ctlfx_pvc(x, "data-web-1"), "Pod", "web-1"));
  assert_null(ref_to(ctlfx_pvc(x, "data-web-0"), "Pod", "web-0"));
  /* Step I before Step J */
  assert_true(log_find(&l, "mod PersistentVolumeClaim data-web-2") >= 0);
  assert_true(log_find(&l, "mod PersistentVolumeClaim data-web-2") <
              log_find(&l, "delete Pod web-2"));
  assert_true(log_find(&l, "mod PersistentVolumeClaim data-web-1") <
              log_find(&l, "delete Pod web-1"));
}

static void when_deleted_delete_puts_the_set_ref_on_claims(void **state)
{
  struct ctl_fx *x = *state;
  const struct object *pvc, *set;

  up(x, &(struct ctlfx_set_opts){
            .replicas = 2, .claims = true, .when_deleted = DELETE});
  set = ctlfx_set(x);
  for (int i = 0; i < 2; i++) {
    char n[32];
    snprintf(n, sizeof(n), "data-web-%d", i);
    pvc = ctlfx_pvc(x, n);
    assert_non_null(ref_to(pvc, "StatefulSet", "web"));
    assert_int_equal(ref_to(pvc, "StatefulSet", "web")->uid, set->meta.uid);
    assert_true(ref_to(pvc, "StatefulSet", "web")->controller);
    assert_true(ref_to(pvc, "StatefulSet", "web")->block_owner_deletion);
    assert_int_equal(pvc->meta.owner_refs_nr, 1);
  }
}

static void
delete_delete_moves_the_ref_from_set_to_pod_on_scale_down(void **state)
{
  struct ctl_fx *x = *state;
  const struct object *pvc;

  up(x, &(struct ctlfx_set_opts){.replicas = 2,
                                 .pmp = PMP_PARALLEL,
                                 .claims = true,
                                 .when_scaled = DELETE,
                                 .when_deleted = DELETE});
  assert_non_null(ref_to(ctlfx_pvc(x, "data-web-1"), "StatefulSet", "web"));
  ctlfx_scale(x, 1);
  ctlfx_run(x, SIM_MS(50));
  pvc = ctlfx_pvc(x, "data-web-1");
  assert_null(ref_to(pvc, "StatefulSet", "web"));
  assert_non_null(ref_to(pvc, "Pod", "web-1"));
  assert_non_null(ref_to(ctlfx_pvc(x, "data-web-0"), "StatefulSet", "web"));
}

static void a_stale_claim_blocks_scale_up_until_it_is_gone(void **state)
{
  struct ctl_fx *x = *state;
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  uint64_t old_pvc;

  up(x, &(struct ctlfx_set_opts){
            .replicas = 2, .claims = true, .when_scaled = DELETE});
  ctlfx_scale(x, 1);
  ctlfx_converge(x, SIM_SEC(30), NULL);
  assert_null(ctlfx_pod(x, "web-1"));
  old_pvc = ctlfx_pvc(x, "data-web-1")->meta.uid;
  /* no garbage collector here: the claim keeps its ref to the old web-1 */
  ctlfx_scale(x, 2);
  ctlfx_converge(x, SIM_SEC(10), NULL);
  assert_null(ctlfx_pod(x, "web-1"));
  assert_true(fixture_noted(&x->f, "not creating web-1: claim data-web-1 "
                                   "still belongs to a previous web-1"));
  /* the "GC" deletes the claim; a later pass creates claim and pod */
  assert_int_equal(api_delete(x->f.api, "generic-garbage-collector", KIND_PVC,
                              "default", "data-web-1", &o),
                   API_OK);
  ctlfx_scale(x, 2); /* no-op write: nothing enqueues on PVC events */
  ctlfx_ready(x, "web-0");
  ctlfx_unready(x, "web-0");
  ctlfx_ready(x, "web-0");
  ctlfx_converge(x, SIM_SEC(10), NULL);
  assert_non_null(ctlfx_pod(x, "web-1"));
  assert_true(ctlfx_pvc(x, "data-web-1")->meta.uid != old_pvc);
}

static void a_foreign_controller_on_a_claim_is_respected(void **state)
{
  struct ctl_fx *x = *state;
  struct object pvc = fixture_pvc(&x->f, "data-web-0", "standard", 1 << 30);
  struct owner_ref *r = arena_calloc(&x->f.s.arena, 1, sizeof(*r));

  *r = (struct owner_ref){.api_version = "v1",
                          .kind = "ConfigMap",
                          .name = "keeper",
                          .uid = 4242,
                          .controller = true};
  pvc.meta.owner_refs = r;
  pvc.meta.owner_refs_nr = 1;
  fixture_create(&x->f, &pvc);
  up(x, &(struct ctlfx_set_opts){
            .replicas = 1, .claims = true, .when_deleted = DELETE});
  assert_int_equal(ctlfx_pvc(x, "data-web-0")->meta.owner_refs_nr, 1);
  assert_null(ref_to(ctlfx_pvc(x, "data-web-0"), "StatefulSet", "web"));
  assert_true(ctlfx_event_msg(
      x, "ConflictingController",
      "PersistentVolumeClaim data-web-0 has a conflicting OwnerReference "
      "that acts as a manging controller, the retention policy is ignored "
      "for this claim"));
}

static void a_pending_pods_missing_claim_is_recreated(void **state)
{
  struct ctl_fx *x = *state;
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  uint64_t old;

  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 1, .claims = true});
  ctlfx_run(x, SIM_SEC(1));
  assert_int_equal(ctlfx_pod(x, "web-0")->u.pod.status.phase, POD_PENDING);
  old = ctlfx_pvc(x, "data-web-0")->meta.uid;
  assert_int_equal(
      api_delete(x->f.api, "kubectl", KIND_PVC, "default", "data-web-0", &o),
      API_OK);
  assert_null(ctlfx_pvc(x, "data-web-0"));
  /* any pod event syncs the set: the claim comes back */
  ctlfx_phase(x, "web-0", POD_PENDING, false);
  ctlfx_run(x, SIM_MS(50));
  assert_non_null(ctlfx_pvc(x, "data-web-0"));
  assert_true(ctlfx_pvc(x, "data-web-0")->meta.uid != old);
}

/* --- identity and storage repair (§5.4)
 * -------------------------------------------- */

static void a_removed_pod_name_label_is_restored(void **state)
{
  struct ctl_fx *x = *state;
  struct object o;
  struct kv *l;

  up(x, &(struct ctlfx_set_opts){.replicas = 1});
  o = *ctlfx_pod(x, "web-0");
  l = arena_calloc(&x->f.s.arena, o.meta.labels.nr, sizeof(*l));
  size_t n = 0;
  for (size_t i = 0; i < o.meta.labels.nr; i++)
    if (strcmp(o.meta.labels.v[i].key, CTL_LABEL_POD_NAME))
      l[n++] = o.meta.labels.v[i];
  o.meta.labels = (struct kv_list){l, n};
  assert_int_equal(api_update(x->f.api, "kubectl", &o, NULL), API_OK);
  ctlfx_run(x, SIM_MS(50));
  assert_string_equal(
      kv_get(&ctlfx_pod(x, "web-0")->meta.labels, CTL_LABEL_POD_NAME), "web-0");
  assert_true(ctlfx_event_msg(
      x, "SuccessfulUpdate", "update Pod web-0 in StatefulSet web successful"));
}

static void a_removed_pod_index_label_is_not_repaired(void **state)
{
  struct ctl_fx *x = *state;
  struct object o;
  struct kv *l;
  size_t n = 0;

  up(x, &(struct ctlfx_set_opts){.replicas = 1});
  o = *ctlfx_pod(x, "web-0");
  l = arena_calloc(&x->f.s.arena, o.meta.labels.nr, sizeof(*l));
  for (size_t i = 0; i < o.meta.labels.nr; i++)
    if (strcmp(o.meta.labels.v[i].key, CTL_LABEL_POD_INDEX))
      l[n++] = o.meta.labels.v[i];
  o.meta.labels = (struct kv_list){l, n};
  assert_int_equal(api_update(x->f.api, "kubectl", &o, NULL), API_OK);
  ctlfx_run(x, SIM_SEC(1));
  assert_null(kv_get(&ctlfx_pod(x, "web-0")->meta.labels, CTL_LABEL_POD_INDEX));
  assert_int_equal(ctlfx_events(x, "SuccessfulUpdate"), 0);
}

static void
a_storage_repair_creates_claims_and_fails_on_the_pod_spec(void **state)
{
  struct ctl_fx *x = *state;
  struct object p = fixture_pod(&x->f, "web-0", NULL);
  struct kv *l = arena_calloc(&x->f.s.arena, 2, sizeof(*l));
  size_t nr;
  const struct event *const *ev;
  bool failed = false;

  /* an orphan web-0 without the claim volume is adopted, then repaired */
  l[0] = (struct kv){"app", "web"};
  l[1] = (struct kv){CTL_LABEL_POD_NAME, "web-0"};
  p.meta.labels = (struct kv_list){l, 2};
  fixture_create(&x->f, &p);
  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 1, .claims = true});
  ctlfx_run(x, SIM_MS(150));
  ctlfx_ready(x, "web-0");
  ctlfx_run(x, SIM_MS(50));
  /* updateStorage creates the missing claim, but a pod's volumes are
   * immutable: the API server refuses the update */
  assert_non_null(ctlfx_pvc(x, "data-web-0"));
  ev = api_events(x->f.api, &nr);
  for (size_t i = 0; i < nr; i++)
    if (!strcmp(ev[i]->reason, "FailedUpdate") &&
        !strncmp(ev[i]->message,
                 "update Pod web-0 in StatefulSet web failed error: ", 50))
      failed = true;
  assert_true(failed);
  assert_true(fixture_noted(&x->f, "sync failed"));
}

/* --- adoption and release (§3.3)
 * ---------------------------------------------------- */

static struct object orphan(struct ctl_fx *x, const char *name, const char *app)
{
  struct object p = fixture_pod(&x->f, name, NULL);
  struct kv *l = arena_calloc(&x->f.s.arena, 2, sizeof(*l));

  l[0] = (struct kv){"app", app};
  l[1] = (struct kv){CTL_LABEL_POD_NAME, name};
  p.meta.labels = (struct kv_list){l, 2};
  return p;
}

static void a_matching_orphan_is_adopted(void **state)
{
  struct ctl_fx *x = *state;
  struct object p = orphan(x, "web-0", "web");
  const struct owner_ref *r;
  uint64_t uid;

  uid = fixture_create(&x->f, &p)->meta.uid;
  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 1});
  ctlfx_run(x, SIM_SEC(1));
  r = meta_controller_ref(&ctlfx_pod(x, "web-0")->meta);
  assert_non_null(r);
  assert_int_equal(r->uid, ctlfx_set(x)->meta.uid);
  assert_true(r->block_owner_deletion);
  assert_int_equal(ctlfx_pod(x, "web-0")->meta.uid, uid); /* not replaced */
  assert_true(fixture_noted(&x->f, "adopted orphan pod web-0"));
}

static void orphans_with_other_names_or_labels_are_ignored(void **state)
{
  struct ctl_fx *x = *state;
  struct object a = orphan(x, "foo-0", "web");
  struct object b = orphan(x, "web-3", "other");

  fixture_create(&x->f, &a);
  fixture_create(&x->f, &b);
  ctlfx_start(x);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 1});
  ctlfx_run(x, SIM_SEC(1));
  assert_int_equal(ctlfx_pod(x, "foo-0")->meta.owner_refs_nr, 0);
  assert_int_equal(ctlfx_pod(x, "web-3")->meta.owner_refs_nr, 0);
}

static void an_owned_pod_that_stops_matching_is_released(void **state)
{
  struct ctl_fx *x = *state;
  struct object o;
  struct kv *l;

  up(x, &(struct ctlfx_set_opts){.replicas = 1});
  o = *ctlfx_pod(x, "web-0");
  l = arena_calloc(&x->f.s.arena, 1, sizeof(*l));
  l[0] = (struct kv){"app", "elsewhere"};
  o.meta.labels = (struct kv_list){l, 1};
  assert_int_equal(api_update(x->f.api, "kubectl", &o, NULL), API_OK);
  ctlfx_run(x, SIM_MS(20));
  /* released; the freed ordinal gets a new web-0? AlreadyExists: the name
   * is taken by the released pod, the controller keeps failing */
  assert_null(meta_controller_ref(&ctlfx_pod(x, "web-0")->meta));
  assert_true(fixture_noted(&x->f, "released web-0"));
}

static void no_adoption_when_the_live_set_is_being_deleted(void **state)
{
  struct ctl_fx *x = *state;
  struct object p = orphan(x, "web-1", "web");
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  simtime t;

  up(x, &(struct ctlfx_set_opts){.replicas = 1});
  /* the orphan's event reaches the cache at t+5 ms, the sync runs at
   * t+6 ms; the set's deletion (t+2 ms) reaches the cache only at t+7 ms */
  t = ctlfx_now(x);
  fixture_create(&x->f, &p);
  ctlfx_run(x, SIM_MS(2));
  o.propagation = PROPAGATE_FOREGROUND;
  assert_int_equal(
      api_delete(x->f.api, "kubectl", KIND_STATEFULSET, "default", "web", &o),
      API_OK);
  fixture_run(&x->f, t + SIM_MS(6));
  assert_int_equal(ctlfx_pod(x, "web-1")->meta.owner_refs_nr, 0);
  assert_true(fixture_noted(&x->f, "has just been deleted"));
}

static void a_deleted_set_gets_no_pod_actions(void **state)
{
  struct ctl_fx *x = *state;
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  up(x, &(struct ctlfx_set_opts){.replicas = 2});
  o.propagation = PROPAGATE_ORPHAN; /* a finalizer keeps the set */
  assert_int_equal(
      api_delete(x->f.api, "kubectl", KIND_STATEFULSET, "default", "web", &o),
      API_OK);
  ctlfx_run(x, SIM_MS(50));
  ctlfx_delete(x, "web-1");
  ctlfx_converge(x, SIM_SEC(5), NULL);
  assert_null(ctlfx_pod(x, "web-1"));
  assert_true(fixture_noted(&x->f, "no pod or claim actions"));
}

/* --- queue (§3.1, §9)
 * ----------------------------------------------------------------- */

static void errors_requeue_with_exponential_back_off(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_start(x);
  api_add_write_fault(x->f.api, API_FAULT_UNAVAILABLE, 1.0, 0, SIM_MS(150),
                      CTL_COMPONENT);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 1});
  /* syncs at 101 (fail), +5+1 = 107, +10+1 = 118, +20+1 = 139 (fail),
   * +40+1 = 180 (success) */
  ctlfx_run(x, SIM_SEC(1));
  assert_int_equal(ctlfx_pod(x, "web-0")->meta.creation_timestamp, SIM_MS(180));
}

static void success_forgets_the_back_off(void **state)
{
  struct ctl_fx *x = *state;
  simtime t;

  ctlfx_start(x);
  api_add_write_fault(x->f.api, API_FAULT_UNAVAILABLE, 1.0, 0, SIM_MS(150),
                      CTL_COMPONENT);
  ctlfx_create_set(x, &(struct ctlfx_set_opts){.replicas = 2});
  ctlfx_run(x, SIM_SEC(1));
  /* a new failure starts again at 5 ms */
  t = ctlfx_now(x);
  api_add_write_fault(x->f.api, API_FAULT_UNAVAILABLE, 1.0, t, t + SIM_MS(7),
                      CTL_COMPONENT);
  ctlfx_ready(x, "web-0");
  /* sync at t+6 fails, retried at t+6+5+1 = t+12 */
  ctlfx_run(x, SIM_MS(11));
  assert_null(ctlfx_pod(x, "web-1"));
  ctlfx_run(x, SIM_MS(1));
  assert_non_null(ctlfx_pod(x, "web-1"));
  assert_int_equal(ctlfx_pod(x, "web-1")->meta.creation_timestamp,
                   t + SIM_MS(12));
}

static void conflicts_are_retried_then_requeued(void **state)
{
  struct ctl_fx *x = *state;
  simtime t;

  up(x, &(struct ctlfx_set_opts){.replicas = 1});
  /* every write conflicts for 3 ms: the status write's five attempts all
   * fail, the sync returns the error and is requeued with back-off */
  t = ctlfx_now(x);
  api_add_write_fault(x->f.api, API_FAULT_CONFLICT, 1.0, t, t + SIM_MS(8),
                      CTL_COMPONENT);
  ctlfx_scale(x, 2); /* a status change to write: observedGeneration */
  ctlfx_run(x, SIM_MS(7));
  assert_true(fixture_noted(&x->f, "sync failed, requeued with back-off: "
                                   "Operation cannot be fulfilled"));
  assert_true(ctlfx_set(x)->u.sts.status.observed_generation <
              ctlfx_set(x)->meta.generation);
  ctlfx_run(x, SIM_SEC(1));
  assert_int_equal(ctlfx_set(x)->u.sts.status.observed_generation,
                   ctlfx_set(x)->meta.generation);
}

static void many_events_in_one_instant_make_one_sync(void **state)
{
  struct ctl_fx *x = *state;
  uint64_t syncs;

  up(x, &(struct ctlfx_set_opts){.replicas = 3, .pmp = PMP_PARALLEL});
  syncs = ctl_syncs(x->ctl);
  ctlfx_unready(x, "web-0");
  ctlfx_unready(x, "web-1");
  ctlfx_unready(x, "web-2");
  ctlfx_run(x, SIM_MS(6)); /* delivered at +5, one sync at +6 */
  assert_int_equal(ctl_syncs(x->ctl), syncs + 1);
}

static void sets_are_resynced_every_12_to_24_hours(void **state)
{
  struct ctl_fx *x = *state;
  struct ctl *c;
  uint64_t syncs;

  up(x, &(struct ctlfx_set_opts){.replicas = 1});
  c = x->ctl;
  assert_true(c->resync >= SIM_MIN(12 * 60) && c->resync < SIM_MIN(24 * 60));
  syncs = ctl_syncs(x->ctl);
  fixture_run(&x->f, c->resync - SIM_MS(1));
  assert_int_equal(ctl_syncs(x->ctl), syncs);
  fixture_run(&x->f, c->resync + SIM_MS(10));
  assert_int_equal(ctl_syncs(x->ctl), syncs + 1);
}

static void a_key_added_while_its_worker_is_busy_waits_for_it(void **state)
{
  struct ctl_fx *x = *state;
  uint64_t syncs;
  simtime t;

  ctlfx_start(x);
  ctlfx_create_set(
      x, &(struct ctlfx_set_opts){.replicas = 5000, .pmp = PMP_PARALLEL});
  ctlfx_run(x, SIM_SEC(1));
  /* a sync over 5000 claimed pods keeps the worker busy for 5 ms */
  syncs = ctl_syncs(x->ctl);
  t = ctlfx_now(x);
  ctlfx_unready(x, "web-0"); /* delivered at t+5, synced at t+6 */
  fixture_run(&x->f, t + SIM_MS(2));
  ctlfx_unready(x, "web-1"); /* delivered at t+7: the worker is busy */
  fixture_run(&x->f, t + SIM_MS(6));
  assert_int_equal(ctl_syncs(x->ctl), syncs + 1);
  /* without the busy time this sync would run at t+8 */
  fixture_run(&x->f, t + SIM_MS(11) - 1);
  assert_int_equal(ctl_syncs(x->ctl), syncs + 1);
  fixture_run(&x->f, t + SIM_MS(11));
  assert_int_equal(ctl_syncs(x->ctl), syncs + 2);
}

static void
a_pod_turning_ready_requeues_after_min_ready_seconds_plus_one(void **state)
{
  struct ctl_fx *x = *state;
  struct ctl *c;
  struct ctl_key *k;
  simtime t;

  ctlfx_start(x);
  ctlfx_create_set(
      x, &(struct ctlfx_set_opts){.replicas = 1, .min_ready_seconds = 10});
  ctlfx_run(x, SIM_SEC(1));
  /* drop the pending AddAfter(minReadySeconds) of the last sync */
  c = x->ctl;
  k = &c->keys.v[0];
  assert_true(k->after_ev != 0);
  engine_cancel(x->f.engine, k->after_ev);
  k->after_ev = 0;
  /* web-0 turns Ready: the handler adds AddAfter(10 s + 1 s) at delivery;
   * the sync it also triggers adds AddAfter(10 s) one ms later, and the
   * earlier of the two stays */
  t = ctlfx_now(x);
  ctlfx_ready(x, "web-0");
  fixture_run(&x->f, t + SIM_MS(5));
  assert_true(k->after_ev != 0);
  assert_int_equal(k->after_at, t + SIM_MS(5) + SIM_SEC(11));
  fixture_run(&x->f, t + SIM_MS(6));
  assert_int_equal(k->after_at, t + SIM_MS(6) + SIM_SEC(10));
}

static void ordered_ready_waits_min_ready_seconds(void **state)
{
  struct ctl_fx *x = *state;
  simtime ready_at, created;

  ctlfx_start(x);
  ctlfx_create_set(
      x, &(struct ctlfx_set_opts){.replicas = 2, .min_ready_seconds = 10});
  ctlfx_run(x, SIM_SEC(1));
  ready_at = ctlfx_now(x);
  ctlfx_ready(x, "web-0");
  ctlfx_run(x, SIM_SEC(10));
  assert_null(ctlfx_pod(x, "web-1"));
  assert_true(fixture_noted(&x->f, "web-0 is Ready but not yet available"));
  /*
   * The requeues: every sync AddAfter(10 s) while availableReplicas !=
   * replicas, and AddAfter(10 s + 1 s) when web-0 turned Ready. The
   * delaying queue keeps only the earliest per key: the first sync's
   * (0.101 s + 10 s) drops web-0's (1 s + 11 s); at 10.101 s web-0 is not
   * yet available, so web-1 comes with the next tick, at 20.1 s.
   */
  ctlfx_run(x, SIM_SEC(8));
  assert_null(ctlfx_pod(x, "web-1"));
  ctlfx_run(x, SIM_SEC(2));
  assert_non_null(ctlfx_pod(x, "web-1"));
  created = ctlfx_pod(x, "web-1")->meta.creation_timestamp;
  assert_true(created > ready_at + SIM_SEC(10));
  assert_true(created > SIM_SEC(20) && created < SIM_SEC(20) + SIM_MS(200));
}

static void restart_drops_the_cache_and_waits_for_the_relist(void **state)
{
  struct ctl_fx *x = *state;
  uint64_t syncs;

  up(x, &(struct ctlfx_set_opts){.replicas = 2});
  ctl_restart(x->ctl);
  syncs = ctl_syncs(x->ctl);
  ctlfx_delete(x, "web-1");
  ctlfx_finish(x, "web-1");
  ctlfx_run(x, SIM_MS(99));
  assert_int_equal(ctl_syncs(x->ctl), syncs);
  assert_null(ctlfx_pod(x, "web-1"));
  ctlfx_run(x, SIM_MS(50));
  /* the relist added every set: one sync recreates web-1 */
  assert_non_null(ctlfx_pod(x, "web-1"));
}

/* §16: a stale pod cache with an error requeue re-creates names it made */
static int stale_create_errors(struct ctl_fx *x)
{
  struct object squat = fixture_pod(&x->f, "web-3", NULL);
  struct owner_ref *r = arena_calloc(&x->f.s.arena, 1, sizeof(*r));
  int n = 0;

  *r = (struct owner_ref){.api_version = "apps/v1",
                          .kind = "ReplicaSet",
                          .name = "other",
                          .uid = 999,
                          .controller = true};
  squat.meta.owner_refs = r;
  squat.meta.owner_refs_nr = 1;
  fixture_create(&x->f, &squat);
  x->f.s.timings.v[TIMING_WATCH_DELAY] = SIM_MS(300);
  ctlfx_start(x);
  ctlfx_create_set(
      x, &(struct ctlfx_set_opts){.replicas = 4, .pmp = PMP_PARALLEL});
  ctlfx_run(x, SIM_SEC(1));
  for (int i = 0; i < x->f.notes_nr; i++)
    if (strstr(x->f.notes[i], "pods \"web-0\" already exists"))
      n++;
  return n;
}

static void
a_stale_cache_recreates_own_pods_without_read_own_writes(void **state)
{
  assert_true(stale_create_errors(*state) > 0);
}

static void read_own_writes_waits_for_the_cache_instead(void **state)
{
  struct ctl_fx *x = *state;

  ctlfx_gate(x, CTL_GATE_READ_OWN_WRITES, true);
  assert_int_equal(stale_create_errors(x), 0);
  assert_true(fixture_noted(&x->f, "read-your-own-writes"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(when_scaled_delete_puts_pod_refs_before_deleting),
      T(when_deleted_delete_puts_the_set_ref_on_claims),
      T(delete_delete_moves_the_ref_from_set_to_pod_on_scale_down),
      T(a_stale_claim_blocks_scale_up_until_it_is_gone),
      T(a_foreign_controller_on_a_claim_is_respected),
      T(a_pending_pods_missing_claim_is_recreated),
      T(a_removed_pod_name_label_is_restored),
      T(a_removed_pod_index_label_is_not_repaired),
      T(a_storage_repair_creates_claims_and_fails_on_the_pod_spec),
      T(a_matching_orphan_is_adopted),
      T(orphans_with_other_names_or_labels_are_ignored),
      T(an_owned_pod_that_stops_matching_is_released),
      T(no_adoption_when_the_live_set_is_being_deleted),
      T(a_deleted_set_gets_no_pod_actions),
      T(errors_requeue_with_exponential_back_off),
      T(success_forgets_the_back_off),
      T(conflicts_are_retried_then_requeued),
      T(many_events_in_one_instant_make_one_sync),
      T(sets_are_resynced_every_12_to_24_hours),
      T(a_key_added_while_its_worker_is_busy_waits_for_it),
      T(a_pod_turning_ready_requeues_after_min_ready_seconds_plus_one),
      T(ordered_ready_waits_min_ready_seconds),
      T(restart_drops_the_cache_and_waits_for_the_relist),
      T(a_stale_cache_recreates_own_pods_without_read_own_writes),
      T(read_own_writes_waits_for_the_cache_instead),
  };
#undef T

  return cmocka_run_group_tests_name("controller_claims", tests, NULL, NULL);
}
