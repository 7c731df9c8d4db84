/*
 * test_attachdetach.c - the attach/detach controller and the CSI attacher
 * against the fake API server, with the storage component binding the
 * claims. No kubelet runs: the tests play its part by writing
 * node.status.volumesInUse themselves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"

#define GI (INT64_C(1) << 30)
#define DRIVER "disk.csi.stsim.io"

struct t {
  struct fixture f;
  void *st, *ad;
};

/* Starts the components for Kubernetes 1.<minor> with the given gates. */
static void start_version(struct t *t, uint64_t seed, int minor,
                          const struct feature_gate *gates, size_t gates_nr)
{
  fixture_init(&t->f, 3, seed);
  t->f.s.kubernetes_minor = minor;
  t->f.s.feature_gates = gates;
  t->f.s.feature_gates_nr = gates_nr;
  t->st = storage_start(&t->f.env);
  t->ad = attachdetach_start(&t->f.env);
}

static void start(struct t *t, uint64_t seed)
{
  start_version(t, seed, 34, NULL, 0);
}

static void stop(struct t *t)
{
  attachdetach_stop(t->ad);
  storage_stop(t->st);
  fixture_release(&t->f);
}

static int setup(void **state)
{
  struct t *t = test_malloc(sizeof(*t));

  start(t, 1);
  *state = t;
  return 0;
}

static int teardown(void **state)
{
  struct t *t = *state;

  stop(t);
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

/* A static CSI volume and a claim bound to it. */
static void volume_and_claim(struct t *t, const char *pv, const char *claim,
                             unsigned modes)
{
  struct object v = fixture_pv(&t->f, pv, GI, "");
  struct object c = fixture_pvc(&t->f, claim, "", GI);

  v.u.pv.spec.source = PVSRC_CSI;
  v.u.pv.spec.csi_driver = DRIVER;
  v.u.pv.spec.volume_handle = arena_printf(&t->f.s.arena, "disk-%s", pv);
  v.u.pv.spec.path = NULL;
  v.u.pv.spec.access_modes = modes;
  c.u.pvc.spec.access_modes = modes;
  fixture_create(&t->f, &v);
  run_for(t, SIM_SEC(1));
  fixture_create(&t->f, &c);
  run_for(t, SIM_SEC(1));
  assert_int_equal(fixture_get(&t->f, KIND_PVC, claim)->u.pvc.status.phase,
                   PVC_BOUND);
}

static const struct object *pod_on(struct t *t, const char *name,
                                   const char *claim, const char *node)
{
  struct object o = fixture_pod(&t->f, name, claim);

  o.u.pod.spec.node_name = node;
  return fixture_create(&t->f, &o);
}

static const char *unique(struct t *t, const char *pv)
{
  char buf[256];

  attachdetach_unique_name(&fixture_get(&t->f, KIND_PV, pv)->u.pv, buf,
                           sizeof(buf));
  return arena_strdup(&t->f.s.arena, buf);
}

static bool listed(const struct str_list *l, const char *s)
{
  for (size_t i = 0; i < l->nr; i++)
    if (!strcmp(l->v[i], s))
      return true;
  return false;
}

static bool reported_attached(struct t *t, const char *node, const char *pv)
{
  return listed(&fixture_get(&t->f, KIND_NODE, node)->u.node.volumes_attached,
                unique(t, pv));
}

struct in_use {
  const char *const *v;
  size_t nr;
};

static bool set_in_use(struct object *o, void *ctx)
{
  const struct in_use *u = ctx;

  o->u.node.volumes_in_use = (struct str_list){u->v, u->nr};
  return true;
}

/* The kubelet's report of what it has mounted. */
static void kubelet_reports_in_use(struct t *t, const char *node,
                                   const char *pv)
{
  const char **v = arena_alloc(&t->f.s.arena, sizeof(*v));
  struct in_use u = {v, pv ? 1 : 0};

  if (pv)
    v[0] = unique(t, pv);
  assert_int_equal(api_patch(t->f.api, "kubelet", KIND_NODE, "", node, 0,
                             set_in_use, &u, NULL),
                   API_OK);
}

static void force_delete(struct t *t, const char *pod)
{
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  o.grace_seconds = 0;
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", pod, &o), API_OK);
}

struct va_find {
  const char *pv, *node;
  const struct object *found;
  int nr;
};

static bool find_va(const struct object *o, void *ctx)
{
  struct va_find *f = ctx;

  if (!strcmp(o->u.va.pv_name, f->pv) &&
      (!f->node || !strcmp(o->u.va.node_name, f->node))) {
    f->found = o;
    f->nr++;
  }
  return true;
}

static const struct object *attachment(struct t *t, const char *pv,
                                       const char *node)
{
  struct va_find f = {pv, node, NULL, 0};

  api_list(t->f.api, KIND_VOLUMEATTACHMENT, NULL, NULL, find_va, &f);
  return f.found;
}

static int attachments(struct t *t, const char *pv)
{
  struct va_find f = {pv, NULL, NULL, 0};

  api_list(t->f.api, KIND_VOLUMEATTACHMENT, NULL, NULL, find_va, &f);
  return f.nr;
}

static int events(struct t *t, const char *name, const char *reason,
                  const char *message)
{
  size_t nr;
  const struct event *const *ev = api_events(t->f.api, &nr);
  int n = 0;

  for (size_t i = 0; i < nr; i++)
    if (!strcmp(ev[i]->involved_name, name) && !strcmp(ev[i]->reason, reason) &&
        (!message || !strcmp(ev[i]->message, message)))
      n++;
  return n;
}

static const char exclusive_msg[] =
    "Multi-Attach error for volume \"pv-1\" Volume is already exclusively "
    "attached to one node and can't be attached to another";

/* --- attach --------------------------------------------------------------- */

static void a_scheduled_pod_gets_its_volume_attached_and_reported(void **state)
{
  struct t *t = *state;
  const struct object *va;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_MS(100));
  va = attachment(t, "pv-1", "node-1");
  assert_non_null(va);
  assert_int_equal(strncmp(va->meta.name, "csi-", 4), 0);
  assert_int_equal(strlen(va->meta.name), 4 + 64);
  assert_string_equal(va->u.va.attacher, DRIVER);
  assert_false(va->u.va.attached);
  assert_false(truth_is_attached(t->f.truth, "pv-1", "node-1"));
  assert_false(reported_attached(t, "node-1", "pv-1"));

  run_for(t, SIM_SEC(30));
  va = attachment(t, "pv-1", "node-1");
  assert_true(va->u.va.attached);
  assert_int_equal(va->meta.finalizers.nr, 1);
  assert_string_equal(va->meta.finalizers.v[0],
                      "external-attacher/disk-csi-stsim-io");
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-1"));
  assert_true(reported_attached(t, "node-1", "pv-1"));
  assert_string_equal(unique(t, "pv-1"),
                      "kubernetes.io/csi/disk.csi.stsim.io^disk-pv-1");
  assert_int_equal(events(t, "web-0", "SuccessfulAttachVolume",
                          "AttachVolume.Attach succeeded for volume "
                          "\"pv-1\""),
                   1);
}

static void an_unscheduled_pod_attaches_nothing(void **state)
{
  struct t *t = *state;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  pod_on(t, "web-0", "data", NULL);
  run_for(t, SIM_MIN(1));
  assert_int_equal(attachments(t, "pv-1"), 0);
}

static void a_volume_that_needs_no_attach_gets_no_attachment(void **state)
{
  struct t *t = *state;
  struct object v = fixture_pv(&t->f, "nfs-1", GI, "");
  struct object c = fixture_pvc(&t->f, "data", "", GI);

  v.u.pv.spec.source = PVSRC_CSI;
  v.u.pv.spec.csi_driver = "file.csi.stsim.io";
  v.u.pv.spec.volume_handle = "share";
  fixture_create(&t->f, &v);
  run_for(t, SIM_SEC(1));
  fixture_create(&t->f, &c);
  run_for(t, SIM_SEC(1));
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_MIN(1));
  assert_int_equal(attachments(t, "nfs-1"), 0);
}

static void the_attach_starts_on_the_reconciler_period(void **state)
{
  struct t *t = *state;
  const struct object *p;
  simtime created;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  run_for(t, SIM_MS(30)); /* off the 100 ms grid */
  p = pod_on(t, "web-0", "data", "node-1");
  created = p->meta.creation_timestamp;
  assert_true(created % SIM_MS(100) != 0);
  run_for(t, SIM_MS(100));
  assert_non_null(attachment(t, "pv-1", "node-1"));
  assert_int_equal(attachment(t, "pv-1", "node-1")->meta.creation_timestamp %
                       SIM_MS(100),
                   0);
}

static void a_pod_waits_for_its_claim_to_bind_before_attaching(void **state)
{
  struct t *t = *state;
  struct object v = fixture_pv(&t->f, "pv-1", GI, "");
  struct object c = fixture_pvc(&t->f, "data", "", GI);

  fixture_create(&t->f, &c);
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_SEC(5));
  assert_int_equal(attachments(t, "pv-1"), 0);
  v.u.pv.spec.source = PVSRC_CSI;
  v.u.pv.spec.csi_driver = DRIVER;
  v.u.pv.spec.volume_handle = "disk-pv-1";
  fixture_create(&t->f, &v);
  run_for(t, SIM_SEC(45)); /* bound at the claim's next resync */
  assert_int_equal(fixture_get(&t->f, KIND_PVC, "data")->u.pvc.status.phase,
                   PVC_BOUND);
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-1"));
}

static void a_failed_attach_is_retried_with_back_off(void **state)
{
  struct t *t = *state;
  simtime now;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  now = engine_now(t->f.engine);
  api_add_write_fault(t->f.api, API_FAULT_UNAVAILABLE, 1.0, now,
                      now + SIM_SEC(2), "attachdetach-controller");
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_SEC(1));
  assert_null(attachment(t, "pv-1", "node-1"));
  assert_int_equal(
      events(t, "web-0", "FailedAttachVolume",
             "AttachVolume.Attach failed for volume \"pv-1\" : the server is "
             "currently unable to handle the request"),
      2); /* at once and 500 ms later */
  run_for(t, SIM_SEC(30));
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-1"));
  assert_int_equal(events(t, "web-0", "FailedAttachVolume", NULL), 3);
}

/* --- detach --------------------------------------------------------------- */

static void a_volume_is_detached_only_after_the_kubelet_unmounts(void **state)
{
  struct t *t = *state;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_SEC(30));
  kubelet_reports_in_use(t, "node-1", "pv-1");
  run_for(t, SIM_SEC(1));

  force_delete(t, "web-0");
  run_for(t, SIM_MIN(10));
  assert_non_null(attachment(t, "pv-1", "node-1"));
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-1"));
  assert_true(reported_attached(t, "node-1", "pv-1"));
  assert_true(fixture_noted(&t->f, "still lists it in volumesInUse"));

  kubelet_reports_in_use(t, "node-1", NULL);
  run_for(t, SIM_MS(200));
  assert_false(reported_attached(t, "node-1", "pv-1"));
  assert_true(meta_is_deleting(&attachment(t, "pv-1", "node-1")->meta));
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-1"));
  run_for(t, SIM_SEC(30));
  assert_null(attachment(t, "pv-1", "node-1"));
  assert_false(truth_is_attached(t->f.truth, "pv-1", "node-1"));
}

static bool set_not_ready(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.node.ready.status = COND_UNKNOWN;
  return true;
}

static void a_running_pod_on_a_dead_node_keeps_its_volume(void **state)
{
  struct t *t = *state;
  struct container_status *cs;
  struct object p;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  p = *pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_SEC(30));
  p = *fixture_get(&t->f, KIND_POD, "web-0");
  p.u.pod.status.phase = POD_RUNNING;
  cs = arena_calloc(&t->f.s.arena, 1, sizeof(*cs));
  cs->name = "app";
  cs->state = CSTATE_RUNNING;
  p.u.pod.status.containers = cs;
  p.u.pod.status.containers_nr = 1;
  assert_int_equal(api_update_status(t->f.api, "kubelet", &p, NULL), API_OK);
  assert_int_equal(api_patch(t->f.api, "node-controller", KIND_NODE, "",
                             "node-1", 0, set_not_ready, NULL, NULL),
                   API_OK);
  /* Gracefully deleted: the status still says running. */
  assert_int_equal(api_delete(t->f.api, "taint-eviction-controller", KIND_POD,
                              "default", "web-0", NULL),
                   API_OK);
  run_for(t, SIM_MIN(20));
  assert_non_null(fixture_get(&t->f, KIND_POD, "web-0"));
  assert_non_null(attachment(t, "pv-1", "node-1"));
  assert_false(meta_is_deleting(&attachment(t, "pv-1", "node-1")->meta));
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-1"));

  /* Once its containers are reported stopped, it no longer wants it. */
  p = *fixture_get(&t->f, KIND_POD, "web-0");
  cs = arena_calloc(&t->f.s.arena, 1, sizeof(*cs));
  cs->name = "app";
  cs->state = CSTATE_TERMINATED;
  p.u.pod.status.containers = cs;
  assert_int_equal(api_update_status(t->f.api, "kubelet", &p, NULL), API_OK);
  run_for(t, SIM_SEC(30));
  assert_null(attachment(t, "pv-1", "node-1"));
}

/* --- detach under failure ------------------------------------------------- */

static bool set_ready(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.node.ready.status = COND_TRUE;
  return true;
}

static void node_ready(struct t *t, const char *node, bool ready)
{
  assert_int_equal(api_patch(t->f.api, "node-controller", KIND_NODE, "", node,
                             0, ready ? set_ready : set_not_ready, NULL, NULL),
                   API_OK);
}

static bool add_out_of_service(struct object *o, void *ctx)
{
  struct arena *a = ctx;
  struct taint *v =
      arena_calloc(a, o->u.node.taints_nr + 1, sizeof(*o->u.node.taints));

  if (o->u.node.taints_nr)
    memcpy(v, o->u.node.taints, o->u.node.taints_nr * sizeof(*v));
  v[o->u.node.taints_nr] =
      (struct taint){"node.kubernetes.io/out-of-service", "nodeshutdown",
                     TAINT_NO_EXECUTE, SIMTIME_NEVER};
  o->u.node.taints = v;
  o->u.node.taints_nr++;
  return true;
}

static void taint_out_of_service(struct t *t, const char *node)
{
  assert_int_equal(api_patch(t->f.api, "kubectl", KIND_NODE, "", node, 0,
                             add_out_of_service, &t->f.s.arena, NULL),
                   API_OK);
}

/* Whether the attachment of pv to node is gone or being deleted. */
static bool detaching(struct t *t, const char *pv, const char *node)
{
  const struct object *va = attachment(t, pv, node);

  return !va || meta_is_deleting(&va->meta);
}

/*
 * web-0 runs on node-1 with pv-1 attached and mounted (the kubelet's
 * volumesInUse and the machine's own mount); then the kubelet goes away
 * (node-1 not Ready, if `dead`) and web-0 is force-deleted. Returns the
 * time of the force delete.
 */
static simtime mounted_then_force_deleted(struct t *t, bool dead)
{
  const struct object *p;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  p = pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_SEC(30));
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-1"));
  truth_mount(t->f.truth, "pv-1", "node-1", p->meta.uid);
  kubelet_reports_in_use(t, "node-1", "pv-1");
  run_for(t, SIM_SEC(1));
  if (dead) {
    node_ready(t, "node-1", false);
    run_for(t, SIM_SEC(1));
  }
  force_delete(t, "web-0");
  return engine_now(t->f.engine);
}

/* Steps in 10 ms until the attachment starts to go; returns when. */
static simtime detach_started(struct t *t, const char *pv, const char *node,
                              simtime limit)
{
  simtime end = engine_now(t->f.engine) + limit;

  while (engine_now(t->f.engine) < end) {
    if (detaching(t, pv, node))
      return engine_now(t->f.engine);
    run_for(t, SIM_MS(10));
  }
  return SIMTIME_NEVER;
}

static void
an_unhealthy_node_is_force_detached_six_minutes_after_the_request(void **state)
{
  struct t *t = *state;
  simtime tf = mounted_then_force_deleted(t, true), at;

  run_for(t, SIM_MIN(6) - SIM_SEC(1));
  assert_false(detaching(t, "pv-1", "node-1"));
  at = detach_started(t, "pv-1", "node-1", SIM_SEC(5));
  /* Requested at the first 100 ms pass after the delete; forced at the
   * first pass after 6 minutes more. */
  assert_true(at > tf + SIM_MIN(6));
  assert_true(at <= tf + SIM_MIN(6) + SIM_MS(300));
  assert_false(reported_attached(t, "node-1", "pv-1"));
  assert_true(fixture_noted(&t->f, "maxWaitForUnmount (6m0s) expired"));

  /* The disk leaves the machine while it is still mounted there: the
   * hazard the ground truth shows. */
  run_for(t, SIM_SEC(30));
  assert_null(attachment(t, "pv-1", "node-1"));
  assert_false(truth_is_attached(t->f.truth, "pv-1", "node-1"));
  assert_int_equal(truth_mounts(t->f.truth, "pv-1", "node-1"), 1);
}

static void the_force_detach_lets_the_replacement_attach(void **state)
{
  struct t *t = *state;
  simtime tf = mounted_then_force_deleted(t, true), attached = SIMTIME_NEVER;

  pod_on(t, "web-0", "data", "node-2");
  run_for(t, SIM_MIN(1));
  assert_int_equal(events(t, "web-0", "FailedAttachVolume", exclusive_msg), 1);
  while (engine_now(t->f.engine) < tf + SIM_MIN(8) &&
         attached == SIMTIME_NEVER) {
    run_for(t, SIM_MS(100));
    if (truth_is_attached(t->f.truth, "pv-1", "node-2"))
      attached = engine_now(t->f.engine);
  }
  /* Reference 4.11: detach at Tf + 6 min, attach on the new node seconds
   * later. */
  assert_true(attached > tf + SIM_MIN(6));
  assert_true(attached < tf + SIM_MIN(6) + SIM_SEC(30));
  assert_int_equal(events(t, "web-0", "FailedAttachVolume", NULL), 1);
  assert_true(reported_attached(t, "node-2", "pv-1"));
}

static void a_healthy_node_is_never_force_detached(void **state)
{
  struct t *t = *state;

  mounted_then_force_deleted(t, false);
  run_for(t, SIM_MIN(30));
  assert_false(detaching(t, "pv-1", "node-1"));
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-1"));
  assert_true(reported_attached(t, "node-1", "pv-1"));
  assert_false(fixture_noted(&t->f, "ForceDetach"));
}

static void
a_node_that_fails_after_six_minutes_is_force_detached_at_once(void **state)
{
  struct t *t = *state;
  simtime at, failed;

  mounted_then_force_deleted(t, false);
  run_for(t, SIM_MIN(10));
  assert_false(detaching(t, "pv-1", "node-1"));
  node_ready(t, "node-1", false);
  failed = engine_now(t->f.engine);
  at = detach_started(t, "pv-1", "node-1", SIM_SEC(1));
  assert_true(at != SIMTIME_NEVER);
  assert_true(at - failed <= SIM_MS(200));
}

static void the_timer_restarts_when_the_volume_is_wanted_again(void **state)
{
  struct t *t = *state;
  simtime t0 = mounted_then_force_deleted(t, true), t1;

  /* Another pod on the same node wants it for a while. */
  run_for(t, SIM_MIN(3));
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_MIN(2));
  force_delete(t, "web-0");
  t1 = engine_now(t->f.engine);
  fixture_run(&t->f, t0 + SIM_MIN(7));
  assert_false(detaching(t, "pv-1", "node-1"));
  fixture_run(&t->f, t1 + SIM_MIN(6) - SIM_SEC(1));
  assert_false(detaching(t, "pv-1", "node-1"));
  assert_true(detach_started(t, "pv-1", "node-1", SIM_SEC(2)) != SIMTIME_NEVER);
}

static void
a_deleted_node_is_force_detached_six_minutes_after_its_pod_goes(void **state)
{
  struct t *t = *state;
  simtime gone;

  mounted_then_force_deleted(t, false);
  /* Reference 2.8: the Node object is deleted; its last volumesInUse
   * still counts, and a missing node is unhealthy. The pod went first
   * here, so the detach was requested while the node was healthy. */
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_NODE, "", "node-1", NULL), API_OK);
  gone = engine_now(t->f.engine);
  run_for(t, SIM_MIN(6) - SIM_SEC(2));
  assert_false(detaching(t, "pv-1", "node-1"));
  assert_true(detach_started(t, "pv-1", "node-1", SIM_SEC(5)) <=
              gone + SIM_MIN(6) + SIM_MS(300));
  assert_true(fixture_noted(&t->f, "node-1 is gone"));
}

static void the_out_of_service_taint_detaches_at_once(void **state)
{
  struct t *t = *state;
  simtime tainted, at;

  mounted_then_force_deleted(t, true);
  run_for(t, SIM_MIN(1));
  assert_false(detaching(t, "pv-1", "node-1"));
  taint_out_of_service(t, "node-1");
  tainted = engine_now(t->f.engine);
  /* Still in volumesInUse: the safe-to-detach check is skipped too. */
  at = detach_started(t, "pv-1", "node-1", SIM_SEC(1));
  assert_true(at != SIMTIME_NEVER);
  assert_true(at - tainted <= SIM_MS(200));
  assert_true(fixture_noted(&t->f, "out-of-service taint"));
  run_for(t, SIM_SEC(30));
  assert_false(truth_is_attached(t->f.truth, "pv-1", "node-1"));
}

static void
disabling_force_detach_on_timeout_needs_the_out_of_service_taint(void **state)
{
  static const struct feature_gate off[] = {
      {.name = "DisableForceDetachOnTimeout", .enabled = true}};
  struct t *t = *state;
  simtime tainted;

  stop(t);
  start_version(t, 1, 34, off, 1);
  mounted_then_force_deleted(t, true);
  run_for(t, SIM_MIN(30));
  assert_false(detaching(t, "pv-1", "node-1"));
  assert_true(fixture_noted(&t->f, "no force detach on timeout"));
  taint_out_of_service(t, "node-1");
  tainted = engine_now(t->f.engine);
  assert_true(detach_started(t, "pv-1", "node-1", SIM_SEC(1)) - tainted <=
              SIM_MS(200));
}

static void before_1_25_the_timer_forces_healthy_nodes_too(void **state)
{
  struct t *t = *state;
  simtime tf;

  stop(t);
  start_version(t, 1, 24, NULL, 0);
  tf = mounted_then_force_deleted(t, false);
  run_for(t, SIM_MIN(6) - SIM_SEC(1));
  assert_false(detaching(t, "pv-1", "node-1"));
  assert_true(detach_started(t, "pv-1", "node-1", SIM_SEC(5)) <=
              tf + SIM_MIN(6) + SIM_MS(300));
}

static void before_1_26_the_out_of_service_taint_is_ignored(void **state)
{
  struct t *t = *state;
  simtime tf;

  stop(t);
  start_version(t, 1, 25, NULL, 0);
  tf = mounted_then_force_deleted(t, true);
  run_for(t, SIM_MIN(1));
  taint_out_of_service(t, "node-1");
  run_for(t, SIM_MIN(4));
  assert_false(detaching(t, "pv-1", "node-1"));
  /* ... the 6-minute timer still applies. */
  assert_true(detach_started(t, "pv-1", "node-1", SIM_SEC(65)) <=
              tf + SIM_MIN(6) + SIM_MS(300));
}

static void a_failed_pod_releases_its_volume(void **state)
{
  struct t *t = *state;
  struct object p;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_SEC(30));
  p = *fixture_get(&t->f, KIND_POD, "web-0");
  p.u.pod.status.phase = POD_FAILED;
  assert_int_equal(api_update_status(t->f.api, "kubelet", &p, NULL), API_OK);
  run_for(t, SIM_SEC(30));
  assert_null(attachment(t, "pv-1", "node-1"));
  assert_false(truth_is_attached(t->f.truth, "pv-1", "node-1"));
}

/* --- failed and timed-out writes ------------------------------------------ */

/*
 * web-0 runs on node-1 with pv-1 attached, reported and in the kubelet's
 * volumesInUse; then it is force-deleted (the detach waits for the
 * unmount).
 */
static void in_use_then_deleted(struct t *t)
{
  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_SEC(30));
  assert_true(reported_attached(t, "node-1", "pv-1"));
  kubelet_reports_in_use(t, "node-1", "pv-1");
  run_for(t, SIM_SEC(1));
  force_delete(t, "web-0");
  run_for(t, SIM_SEC(1));
  assert_false(detaching(t, "pv-1", "node-1"));
}

/*
 * The fuzz failure of seed 11122670368301278383: the status write that
 * takes the volume out of volumesAttached before the detach times out
 * but is applied; the replacement pod comes back to the same node. The
 * controller must put the volume back in the node's status, or the
 * kubelet waits for an attach that never comes.
 */
static void
a_volume_whose_detach_status_write_timed_out_is_listed_again(void **state)
{
  struct t *t = *state;
  simtime now;
  const struct object *va;

  in_use_then_deleted(t);
  now = engine_now(t->f.engine);
  api_add_write_fault(t->f.api, API_FAULT_TIMEOUT_APPLIED, 1.0, now,
                      now + SIM_SEC(3), "attachdetach-controller");
  kubelet_reports_in_use(t, "node-1", NULL);
  run_for(t, SIM_MS(150));
  assert_true(fixture_noted(&t->f, "NodeStatusFailed"));
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_SEC(1));
  /* Every write is answered 504 but applied: the last says attached. */
  assert_true(reported_attached(t, "node-1", "pv-1"));
  run_for(t, SIM_SEC(10));
  assert_true(reported_attached(t, "node-1", "pv-1"));
  va = attachment(t, "pv-1", "node-1");
  assert_non_null(va);
  assert_false(meta_is_deleting(&va->meta)); /* the detach never went on */
  assert_true(va->u.va.attached);
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-1"));
  assert_false(fixture_noted(&t->f, "Detach: detaching from node-1"));
}

/*
 * A failed status write before a detach is not an operation of the
 * executor: upstream skips the detach and tries again at the next 100 ms
 * pass, with no exponential back-off, and the volume stays listed.
 */
static void
a_detach_whose_status_write_failed_goes_on_at_the_next_pass(void **state)
{
  struct t *t = *state;
  simtime now, end, at;

  in_use_then_deleted(t);
  now = engine_now(t->f.engine);
  end = now + SIM_SEC(1);
  api_add_write_fault(t->f.api, API_FAULT_UNAVAILABLE, 1.0, now, end,
                      "attachdetach-controller");
  kubelet_reports_in_use(t, "node-1", NULL);
  run_for(t, SIM_MS(500));
  assert_true(fixture_noted(&t->f, "NodeStatusFailed"));
  assert_true(reported_attached(t, "node-1", "pv-1"));
  assert_false(detaching(t, "pv-1", "node-1"));
  at = detach_started(t, "pv-1", "node-1", SIM_SEC(5));
  assert_true(at != SIMTIME_NEVER);
  assert_true(at >= end);
  assert_true(at <= end + SIM_MS(100));
  assert_false(reported_attached(t, "node-1", "pv-1"));
  run_for(t, SIM_SEC(30));
  assert_null(attachment(t, "pv-1", "node-1"));
  assert_false(truth_is_attached(t->f.truth, "pv-1", "node-1"));
}

/*
 * Half of the controller's writes fail for two seconds around a detach,
 * with each kind of fault and many seeds (so that some runs have the
 * VolumeAttachment delete itself answered with the error): the volume
 * always ends detached and out of volumesAttached, and while its
 * attachment is being deleted the node never lists it (once the
 * controller had a pass to write that).
 */
static void
a_detach_ends_detached_and_unlisted_whatever_writes_fail(void **state)
{
  static const enum api_fault_kind kinds[] = {API_FAULT_TIMEOUT_APPLIED,
                                              API_FAULT_UNAVAILABLE};
  int failed_deletes[2] = {0, 0};

  (void)state;
  for (size_t k = 0; k < 2; k++)
    for (uint64_t seed = 1; seed <= 24; seed++) {
      struct t t;
      simtime now, end, seen_deleting = SIMTIME_NEVER;
      const struct object *va;
      bool noted = false;

      start(&t, seed);
      in_use_then_deleted(&t);
      now = engine_now(t.f.engine);
      end = now + SIM_SEC(2);
      api_add_write_fault(t.f.api, kinds[k], 0.5, now, end,
                          "attachdetach-controller");
      kubelet_reports_in_use(&t, "node-1", NULL);
      while (engine_now(t.f.engine) < end + SIM_MIN(1)) {
        run_for(&t, SIM_MS(10));
        noted |= fixture_noted(&t.f, "DetachFailed");
        va = attachment(&t, "pv-1", "node-1");
        if (!va)
          break;
        if (!meta_is_deleting(&va->meta))
          continue;
        if (seen_deleting == SIMTIME_NEVER)
          seen_deleting = engine_now(t.f.engine);
        if (engine_now(t.f.engine) >= end + SIM_MS(200) &&
            engine_now(t.f.engine) >= seen_deleting + SIM_MS(200))
          assert_false(reported_attached(&t, "node-1", "pv-1"));
      }
      failed_deletes[k] += noted;
      assert_null(attachment(&t, "pv-1", "node-1"));
      assert_false(truth_is_attached(t.f.truth, "pv-1", "node-1"));
      assert_false(reported_attached(&t, "node-1", "pv-1"));
      stop(&t);
    }
  assert_true(failed_deletes[0] > 0);
  assert_true(failed_deletes[1] > 0);
}

/* A VolumeAttachment created by a write that timed out is the one the
 * controller waits for: one attachment, one failure event. */
static void an_attachment_created_by_a_timed_out_write_is_used(void **state)
{
  struct t *t = *state;
  simtime now;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  now = engine_now(t->f.engine);
  api_add_write_fault(t->f.api, API_FAULT_TIMEOUT_APPLIED, 1.0, now,
                      now + SIM_SEC(1), "attachdetach-controller");
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_MS(200));
  assert_non_null(attachment(t, "pv-1", "node-1"));
  run_for(t, SIM_SEC(30));
  assert_int_equal(attachments(t, "pv-1"), 1);
  assert_true(attachment(t, "pv-1", "node-1")->u.va.attached);
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-1"));
  assert_true(reported_attached(t, "node-1", "pv-1"));
  assert_int_equal(
      events(t, "web-0", "FailedAttachVolume",
             "AttachVolume.Attach failed for volume \"pv-1\" : the server was "
             "unable to return a response in the time allotted, but may still "
             "be processing the request"),
      1);
  assert_int_equal(events(t, "web-0", "SuccessfulAttachVolume", NULL), 1);
}

/* The volume is reported once a failed node status write goes through. */
static void
an_attached_volume_is_listed_after_failed_status_writes(void **state)
{
  struct t *t = *state;
  simtime now;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  pod_on(t, "web-0", "data", "node-1");
  while (!attachment(t, "pv-1", "node-1") ||
         !attachment(t, "pv-1", "node-1")->u.va.attached)
    run_for(t, SIM_MS(1));
  now = engine_now(t->f.engine);
  api_add_write_fault(t->f.api, API_FAULT_UNAVAILABLE, 1.0, now,
                      now + SIM_SEC(2), "attachdetach-controller");
  run_for(t, SIM_SEC(1));
  assert_false(reported_attached(t, "node-1", "pv-1"));
  run_for(t, SIM_SEC(1) + SIM_MS(100));
  assert_true(reported_attached(t, "node-1", "pv-1"));
}

/* When pv-1 was attached to node-1, with the CSI attacher's writes
 * failing with `kind` for the first `fail` of the attach (0: none). */
static simtime attach_time(uint64_t seed, enum api_fault_kind kind,
                           simtime fail)
{
  struct t t;
  simtime now, at;

  start(&t, seed);
  volume_and_claim(&t, "pv-1", "data", ACCESS_RWO);
  pod_on(&t, "web-0", "data", "node-1");
  while (!attachment(&t, "pv-1", "node-1"))
    run_for(&t, SIM_MS(1));
  now = engine_now(t.f.engine);
  if (fail)
    api_add_write_fault(t.f.api, kind, 1.0, now, now + fail, "csi-attacher");
  while (!truth_is_attached(t.f.truth, "pv-1", "node-1") &&
         engine_now(t.f.engine) < now + SIM_MIN(2))
    run_for(&t, SIM_MS(5));
  at = engine_now(t.f.engine);
  run_for(&t, SIM_SEC(30));
  assert_true(attachment(&t, "pv-1", "node-1")->u.va.attached);
  assert_int_equal(attachment(&t, "pv-1", "node-1")->meta.finalizers.nr, 1);
  assert_true(reported_attached(&t, "node-1", "pv-1"));
  stop(&t);
  return at - now;
}

/*
 * The external attacher's finalizer write times out but is applied: the
 * update event it causes is handled at once (the work queue's Add), not
 * after the retry's back-off; a write that failed waits for the retry.
 */
static void
the_attacher_goes_on_when_its_timed_out_write_was_applied(void **state)
{
  simtime clean = attach_time(7, API_FAULT_UNAVAILABLE, 0);
  simtime applied = attach_time(7, API_FAULT_TIMEOUT_APPLIED, SIM_MS(8));
  simtime failed = attach_time(7, API_FAULT_UNAVAILABLE, SIM_MS(8));

  (void)state;
  assert_true(applied >= clean);
  assert_true(applied <= clean + SIM_MS(50));
  assert_true(failed >= clean + SIM_SEC(1)); /* --retry-interval-start */
  /* Long windows: the attach completes once the writes go through. */
  assert_true(attach_time(7, API_FAULT_TIMEOUT_APPLIED, SIM_SEC(5)) <
              SIM_SEC(30));
  assert_true(attach_time(7, API_FAULT_UNAVAILABLE, SIM_SEC(5)) < SIM_SEC(30));
}

/* The attacher's finalizer removal fails (or times out applied) for a
 * while: the attachment still goes once the disk is detached. */
static void the_attacher_finishes_a_detach_whose_writes_fail(void **state)
{
  static const enum api_fault_kind kinds[] = {API_FAULT_TIMEOUT_APPLIED,
                                              API_FAULT_UNAVAILABLE};

  (void)state;
  for (size_t k = 0; k < 2; k++) {
    struct t t;
    simtime now;

    start(&t, 3);
    in_use_then_deleted(&t);
    kubelet_reports_in_use(&t, "node-1", NULL);
    while (!detaching(&t, "pv-1", "node-1"))
      run_for(&t, SIM_MS(1));
    now = engine_now(t.f.engine);
    api_add_write_fault(t.f.api, kinds[k], 1.0, now, now + SIM_MIN(1),
                        "csi-attacher");
    run_for(&t, SIM_SEC(50));
    assert_false(truth_is_attached(t.f.truth, "pv-1", "node-1"));
    if (kinds[k] == API_FAULT_UNAVAILABLE)
      assert_non_null(attachment(&t, "pv-1", "node-1"));
    run_for(&t, SIM_MIN(5) + SIM_SEC(30));
    assert_null(attachment(&t, "pv-1", "node-1"));
    assert_false(reported_attached(&t, "node-1", "pv-1"));
    stop(&t);
  }
}

/* A Node object deleted and created again starts with an empty
 * volumesAttached: the controller writes what is attached there
 * (nodeAdd's SetNodeStatusUpdateNeeded, issue #37586). */
static void a_node_created_again_gets_its_attached_volumes_listed(void **state)
{
  struct t *t = *state;
  const struct object *old;
  struct object o;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_SEC(30));
  assert_true(reported_attached(t, "node-1", "pv-1"));
  old = fixture_get(&t->f, KIND_NODE, "node-1");
  object_init(&o, KIND_NODE);
  o.meta.name = old->meta.name;
  o.meta.labels = old->meta.labels;
  o.u.node.cpu_allocatable_milli = old->u.node.cpu_allocatable_milli;
  o.u.node.memory_allocatable = old->u.node.memory_allocatable;
  o.u.node.pods_allocatable = old->u.node.pods_allocatable;
  o.u.node.ready = old->u.node.ready;
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_NODE, "", "node-1", NULL), API_OK);
  run_for(t, SIM_SEC(1));
  fixture_create(&t->f, &o);
  assert_false(reported_attached(t, "node-1", "pv-1"));
  run_for(t, SIM_MS(200));
  assert_true(reported_attached(t, "node-1", "pv-1"));
}

/* --- access modes --------------------------------------------------------- */

static void
a_second_node_gets_one_multi_attach_error_until_the_volume_moves(void **state)
{
  struct t *t = *state;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_SEC(30));
  kubelet_reports_in_use(t, "node-1", "pv-1");
  run_for(t, SIM_SEC(1));
  force_delete(t, "web-0");
  run_for(t, SIM_SEC(1));

  pod_on(t, "web-0", "data", "node-2"); /* the replacement */
  run_for(t, SIM_MIN(1));
  assert_int_equal(events(t, "web-0", "FailedAttachVolume", exclusive_msg), 1);
  assert_null(attachment(t, "pv-1", "node-2"));
  assert_true(fixture_noted(&t->f, "not attaching to node-2"));

  /* Another pass over the volume (node-1 goes NotReady) does not repeat
   * the event. */
  assert_int_equal(api_patch(t->f.api, "node-controller", KIND_NODE, "",
                             "node-1", 0, set_not_ready, NULL, NULL),
                   API_OK);
  run_for(t, SIM_MIN(1));
  assert_true(fixture_noted(&t->f, "(node not Ready)"));
  assert_int_equal(events(t, "web-0", "FailedAttachVolume", NULL), 1);

  /* The old node unmounts: detach there, then attach here. */
  kubelet_reports_in_use(t, "node-1", NULL);
  run_for(t, SIM_SEC(30));
  assert_null(attachment(t, "pv-1", "node-1"));
  assert_non_null(attachment(t, "pv-1", "node-2"));
  assert_true(attachment(t, "pv-1", "node-2")->u.va.attached);
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-2"));
  assert_false(truth_is_attached(t->f.truth, "pv-1", "node-1"));
  assert_true(reported_attached(t, "node-2", "pv-1"));
  assert_int_equal(events(t, "web-0", "SuccessfulAttachVolume", NULL), 2);
  assert_int_equal(events(t, "web-0", "FailedAttachVolume", NULL), 1);
}

static void
the_multi_attach_error_names_pods_still_using_the_volume(void **state)
{
  struct t *t = *state;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_SEC(30));
  pod_on(t, "worker", "data", "node-2");
  run_for(t, SIM_MIN(1));
  assert_int_equal(events(t, "worker", "FailedAttachVolume",
                          "Multi-Attach error for volume \"pv-1\" Volume is "
                          "already used by pod(s) web-0"),
                   1);
  assert_int_equal(events(t, "web-0", "FailedAttachVolume", NULL), 0);
}

static void each_waiting_node_gets_its_multi_attach_error_once(void **state)
{
  struct t *t = *state;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  pod_on(t, "a", "data", "node-1");
  run_for(t, SIM_SEC(30));
  pod_on(t, "b", "data", "node-2");
  pod_on(t, "c", "data", "node-3");
  run_for(t, SIM_MIN(1));
  /* More passes over the volume: another pod joins node-2. */
  pod_on(t, "d", "data", "node-2");
  run_for(t, SIM_MIN(1));
  assert_int_equal(events(t, "b", "FailedAttachVolume", NULL), 1);
  assert_int_equal(events(t, "c", "FailedAttachVolume", NULL), 1);
  assert_int_equal(events(t, "d", "FailedAttachVolume", NULL), 0);

  /* node-2's entry leaves the desired state and comes back: reported
   * again. */
  force_delete(t, "b");
  force_delete(t, "d");
  run_for(t, SIM_SEC(1));
  pod_on(t, "e", "data", "node-2");
  run_for(t, SIM_MIN(1));
  assert_int_equal(events(t, "e", "FailedAttachVolume",
                          "Multi-Attach error for volume \"pv-1\" Volume is "
                          "already used by pod(s) a"),
                   1);
  assert_int_equal(events(t, "c", "FailedAttachVolume", NULL), 1);
}

static void a_read_write_many_volume_attaches_to_several_nodes(void **state)
{
  struct t *t = *state;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWX);
  pod_on(t, "a", "data", "node-1");
  pod_on(t, "b", "data", "node-2");
  pod_on(t, "c", "data", "node-3");
  run_for(t, SIM_SEC(30));
  assert_int_equal(attachments(t, "pv-1"), 3);
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-1"));
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-2"));
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-3"));
  assert_int_equal(events(t, "b", "FailedAttachVolume", NULL), 0);
  assert_int_equal(events(t, "c", "SuccessfulAttachVolume", NULL), 1);
}

static void two_pods_on_one_node_share_one_attachment(void **state)
{
  struct t *t = *state;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  pod_on(t, "a", "data", "node-1");
  pod_on(t, "b", "data", "node-1");
  run_for(t, SIM_SEC(30));
  assert_int_equal(attachments(t, "pv-1"), 1);
  force_delete(t, "a");
  run_for(t, SIM_SEC(30));
  assert_non_null(attachment(t, "pv-1", "node-1"));
  assert_false(meta_is_deleting(&attachment(t, "pv-1", "node-1")->meta));
}

/* --- dynamic volumes, cost, determinism ----------------------------------- */

static void a_provisioned_volume_is_attached_in_its_zone(void **state)
{
  struct t *t = *state;
  struct object sc;
  struct object c = fixture_pvc(&t->f, "data", "standard", GI);
  const char *pv;

  object_init(&sc, KIND_STORAGECLASS);
  sc.meta.name = "standard";
  sc.u.sc.provisioner = DRIVER;
  object_set_defaults(&sc);
  fixture_create(&t->f, &sc);
  fixture_create(&t->f, &c);
  run_for(t, SIM_MIN(1));
  pv = fixture_get(&t->f, KIND_PVC, "data")->u.pvc.spec.volume_name;
  assert_non_null(pv);
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_SEC(30));
  assert_true(truth_is_attached(t->f.truth, pv, "node-1"));
}

static void an_idle_controller_schedules_nothing(void **state)
{
  struct t *t = *state;

  volume_and_claim(t, "pv-1", "data", ACCESS_RWO);
  pod_on(t, "web-0", "data", "node-1");
  run_for(t, SIM_SEC(30));
  assert_int_equal(engine_pending(t->f.engine), 0);
}

struct outcome {
  char va[80];
  simtime attached_at;
};

static void attach_once(uint64_t seed, struct outcome *out)
{
  struct t t;
  const struct object *va;

  start(&t, seed);
  volume_and_claim(&t, "pv-1", "data", ACCESS_RWO);
  pod_on(&t, "web-0", "data", "node-1");
  out->attached_at = SIMTIME_NEVER;
  for (int i = 0; i < 30000 && out->attached_at == SIMTIME_NEVER; i++) {
    run_for(&t, SIM_MS(1));
    if (truth_is_attached(t.f.truth, "pv-1", "node-1"))
      out->attached_at = engine_now(t.f.engine);
  }
  va = attachment(&t, "pv-1", "node-1");
  snprintf(out->va, sizeof(out->va), "%s", va ? va->meta.name : "");
  stop(&t);
}

static void the_same_seed_gives_the_same_attachment(void **state)
{
  struct outcome a, b, c;

  (void)state;
  attach_once(3, &a);
  attach_once(3, &b);
  attach_once(4, &c);
  assert_true(a.attached_at != SIMTIME_NEVER);
  assert_int_equal(a.attached_at, b.attached_at);
  assert_string_equal(a.va, b.va);
  assert_string_equal(a.va, c.va); /* the name depends on no randomness */
  assert_true(a.attached_at != c.attached_at);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(a_scheduled_pod_gets_its_volume_attached_and_reported),
      T(an_unscheduled_pod_attaches_nothing),
      T(a_volume_that_needs_no_attach_gets_no_attachment),
      T(the_attach_starts_on_the_reconciler_period),
      T(a_pod_waits_for_its_claim_to_bind_before_attaching),
      T(a_failed_attach_is_retried_with_back_off),
      T(a_volume_is_detached_only_after_the_kubelet_unmounts),
      T(a_running_pod_on_a_dead_node_keeps_its_volume),
      T(an_unhealthy_node_is_force_detached_six_minutes_after_the_request),
      T(the_force_detach_lets_the_replacement_attach),
      T(a_healthy_node_is_never_force_detached),
      T(a_node_that_fails_after_six_minutes_is_force_detached_at_once),
      T(the_timer_restarts_when_the_volume_is_wanted_again),
      T(a_deleted_node_is_force_detached_six_minutes_after_its_pod_goes),
      T(the_out_of_service_taint_detaches_at_once),
      T(disabling_force_detach_on_timeout_needs_the_out_of_service_taint),
      T(before_1_25_the_timer_forces_healthy_nodes_too),
      T(before_1_26_the_out_of_service_taint_is_ignored),
      T(a_failed_pod_releases_its_volume),
      T(a_volume_whose_detach_status_write_timed_out_is_listed_again),
      T(a_detach_whose_status_write_failed_goes_on_at_the_next_pass),
      cmocka_unit_test(
          a_detach_ends_detached_and_unlisted_whatever_writes_fail),
      T(an_attachment_created_by_a_timed_out_write_is_used),
      T(an_attached_volume_is_listed_after_failed_status_writes),
      cmocka_unit_test(
          the_attacher_goes_on_when_its_timed_out_write_was_applied),
      cmocka_unit_test(the_attacher_finishes_a_detach_whose_writes_fail),
      T(a_node_created_again_gets_its_attached_volumes_listed),
      T(a_second_node_gets_one_multi_attach_error_until_the_volume_moves),
      T(the_multi_attach_error_names_pods_still_using_the_volume),
      T(each_waiting_node_gets_its_multi_attach_error_once),
      T(a_read_write_many_volume_attaches_to_several_nodes),
      T(two_pods_on_one_node_share_one_attachment),
      T(a_provisioned_volume_is_attached_in_its_zone),
      T(an_idle_controller_schedules_nothing),
      T(the_same_seed_gives_the_same_attachment),
#undef T
  };

  return cmocka_run_group_tests_name("attachdetach", tests, NULL, NULL);
}
