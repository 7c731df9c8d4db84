/*
 * test_props_failure.c - the failure properties (check_failure.c) hold in
 * a correct situation and fail, with a precise message, for a wrong one.
 * The API store and the ground truth are written by hand, playing the
 * kubelet, the attacher and the EndpointSlice controller: no component
 * runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "props_fixture.h"

/* --- objects ------------------------------------------------------------- */

/* StatefulSet "web", one claim template "data", and its revision
 * "web-rev1" for the current template. */
static void make_set(struct fx *x, int replicas)
{
  struct object o =
      props_fx_set(x, replicas, PMP_ORDERED_READY, "registry.example/app:1");

  x->set = fixture_create(&x->f, &o);
  props_fx_revision(x, "web-rev1", 1);
}

/* A pod of web mounting claim `claim`, at revision rev. */
static struct object set_pod(struct fx *x, const char *name, const char *claim,
                             const char *rev)
{
  struct object o = fixture_pod(&x->f, name, claim);
  struct owner_ref *r = arena_calloc(A(x), 1, sizeof(*r));
  struct kv *l = arena_calloc(A(x), 3, sizeof(*l));

  *r = (struct owner_ref){"apps/v1",        "StatefulSet", "web",
                          x->set->meta.uid, true,          true};
  o.meta.owner_refs = r;
  o.meta.owner_refs_nr = 1;
  l[0] = (struct kv){"app", "web"};
  l[1] = (struct kv){"statefulset.kubernetes.io/pod-name", name};
  l[2] = (struct kv){"controller-revision-hash", rev};
  o.meta.labels = (struct kv_list){l, 3};
  o.u.pod.spec.hostname = name;
  o.u.pod.spec.subdomain = "web";
  return o;
}

static const struct object *create_pod(struct fx *x, const char *name,
                                       const char *claim, const char *rev)
{
  struct object p = set_pod(x, name, claim, rev);
  const struct object *out = NULL;

  assert_int_equal(api_create(x->f.api, CTL, &p, &out), API_OK);
  step(x);
  return out;
}

struct run_arg {
  const char *node, *ip;
  bool ready;
  simtime now;
};

static bool mark_running(struct object *o, void *ctx)
{
  struct run_arg *a = ctx;

  o->u.pod.spec.node_name = a->node;
  o->u.pod.status.phase = POD_RUNNING;
  o->u.pod.status.pod_ip = a->ip;
  o->u.pod.status.ready =
      (struct condition){.status = a->ready ? COND_TRUE : COND_FALSE,
                         .last_transition_time = a->now};
  return true;
}

/* Plays the kubelet: the pod runs on node (with ip), Ready or not. */
static const struct object *run_pod(struct fx *x, const char *name,
                                    const char *node, const char *ip,
                                    bool ready)
{
  struct run_arg a = {node, ip, ready, now_of(x)};
  const struct object *out = NULL;

  assert_int_equal(api_patch(x->f.api, "kubelet", KIND_POD, "default", name, 0,
                             mark_running, &a, &out),
                   API_OK);
  step(x);
  return out;
}

static void force_delete(struct fx *x, const char *pod)
{
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  o.grace_seconds = 0;
  assert_int_equal(
      api_delete(x->f.api, "kubectl", KIND_POD, "default", pod, &o), API_OK);
  step(x);
}

/* A claim bound to pv (created bound, as the PV controller leaves it). */
static const struct object *bound_claim(struct fx *x, const char *name,
                                        const char *pv)
{
  struct object c = fixture_pvc(&x->f, name, "standard", 1 << 30);
  c.u.pvc.spec.volume_name = pv;
  return fixture_create(&x->f, &c);
}

static const struct object *make_pv(struct fx *x, const char *name,
                                    unsigned modes)
{
  struct object v = fixture_pv(&x->f, name, 1 << 30, "standard");
  v.u.pv.spec.access_modes = modes;
  v.u.pv.spec.source = PVSRC_CSI;
  v.u.pv.spec.csi_driver = "disk.csi.stsim.io";
  v.u.pv.spec.volume_handle = name;
  return fixture_create(&x->f, &v);
}

/* --- identity.at-most-one ------------------------------------------------ */

static void at_most_one_holds_when_the_kubelet_stopped_the_old_one(void **st)
{
  struct fx *x = *st;

  make_set(x, 3);
  const struct object *p = create_pod(x, "web-1", NULL, "web-rev1");
  uint64_t old = p->meta.uid;
  truth_pod_start(x->f.truth, "default", "web-1", old, "node-1", "10.0.0.5",
                  now_of(x));
  truth_pod_set(x->f.truth, old, true, true);
  run_pod(x, "web-1", "node-1", "10.0.0.5", true);
  /* Graceful: the kubelet stops the containers, then deletes. */
  truth_pod_stop(x->f.truth, old);
  force_delete(x, "web-1");
  p = create_pod(x, "web-1", NULL, "web-rev1");
  truth_pod_start(x->f.truth, "default", "web-1", p->meta.uid, "node-2",
                  "10.0.0.9", now_of(x));
  truth_pod_set(x->f.truth, p->meta.uid, true, true);
  step(x);
  props_at_end(x->p);
  assert_held(x, "identity.at-most-one");
}

static void at_most_one_flags_a_force_delete_on_a_partitioned_node(void **st)
{
  struct fx *x = *st;
  char want[200];

  make_set(x, 3);
  const struct object *p = create_pod(x, "web-1", NULL, "web-rev1");
  uint64_t old = p->meta.uid;
  truth_pod_start(x->f.truth, "default", "web-1", old, "node-2", "10.0.0.5",
                  now_of(x));
  truth_pod_set(x->f.truth, old, true, true);
  run_pod(x, "web-1", "node-2", "10.0.0.5", true);
  truth_set_machine(x->f.truth, "node-2", MACHINE_PARTITIONED);
  advance(x, SIM_MIN(5));
  force_delete(x, "web-1");
  p = create_pod(x, "web-1", NULL, "web-rev1");
  truth_pod_start(x->f.truth, "default", "web-1", p->meta.uid, "node-3",
                  "10.0.0.9", now_of(x));
  step(x);
  assert_held(x, "identity.at-most-one"); /* a sandbox, no container yet */
  truth_pod_set(x->f.truth, p->meta.uid, true, false);
  step(x);
  snprintf(want, sizeof(want),
           "two incarnations of web-1 run at once: uid %llu on node-2 "
           "(partitioned; its pod object was deleted) and uid %llu on node-3 "
           "(the current pod)",
           (unsigned long long)old, (unsigned long long)p->meta.uid);
  assert_violation(x, "identity.at-most-one", want);
}

static void at_most_one_holds_after_a_force_delete_on_a_crashed_node(void **st)
{
  struct fx *x = *st;

  make_set(x, 3);
  const struct object *p = create_pod(x, "web-1", NULL, "web-rev1");
  truth_pod_start(x->f.truth, "default", "web-1", p->meta.uid, "node-2",
                  "10.0.0.5", now_of(x));
  truth_pod_set(x->f.truth, p->meta.uid, true, true);
  run_pod(x, "web-1", "node-2", "10.0.0.5", true);
  /* The crash: the machine and its containers are gone. */
  truth_set_machine(x->f.truth, "node-2", MACHINE_CRASHED);
  truth_pod_stop(x->f.truth, p->meta.uid);
  force_delete(x, "web-1");
  p = create_pod(x, "web-1", NULL, "web-rev1");
  truth_pod_start(x->f.truth, "default", "web-1", p->meta.uid, "node-3",
                  "10.0.0.9", now_of(x));
  truth_pod_set(x->f.truth, p->meta.uid, true, true);
  step(x);
  props_at_end(x->p);
  assert_held(x, "identity.at-most-one");
}

/* --- storage.single-attach -------------------------------------------------
 */

static void attachment(struct fx *x, const char *pv, const char *node)
{
  struct object va;

  object_init(&va, KIND_VOLUMEATTACHMENT);
  va.meta.name = arena_printf(A(x), "csi-%s-%s", pv, node);
  va.u.va.attacher = "disk.csi.stsim.io";
  va.u.va.pv_name = pv;
  va.u.va.node_name = node;
  assert_int_equal(api_create(x->f.api, "attachdetach-controller", &va, NULL),
                   API_OK);
}

static bool set_attached(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.va.attached = true;
  return true;
}

/* Plays the A/D controller (the VolumeAttachment), then the CSI attacher:
 * really attach, and record status.attached in the same step. */
static void attach(struct fx *x, const char *pv, const char *node)
{
  attachment(x, pv, node);
  step(x);
  truth_attach(x->f.truth, pv, node);
  assert_int_equal(api_patch(x->f.api, "csi-attacher", KIND_VOLUMEATTACHMENT,
                             "", arena_printf(A(x), "csi-%s-%s", pv, node), 0,
                             set_attached, NULL, NULL),
                   API_OK);
  step(x);
}

static void detach(struct fx *x, const char *pv, const char *node)
{
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  truth_detach(x->f.truth, pv, node);
  assert_int_equal(api_delete(x->f.api, "csi-attacher", KIND_VOLUMEATTACHMENT,
                              "", arena_printf(A(x), "csi-%s-%s", pv, node),
                              &o),
                   API_OK);
  step(x);
}

static void single_attach_flags_an_rwo_volume_on_two_nodes(void **st)
{
  struct fx *x = *st;

  make_pv(x, "pv-1", ACCESS_RWO);
  attach(x, "pv-1", "node-1");
  assert_held(x, "storage.single-attach");
  attach(x, "pv-1", "node-2");
  assert_violation(x, "storage.single-attach",
                   "volume pv-1 (ReadWriteOnce) is attached to node-1 and "
                   "node-2 at once");
}

static void single_attach_allows_an_rwx_volume_on_two_nodes(void **st)
{
  struct fx *x = *st;

  make_pv(x, "pv-1", ACCESS_RWX);
  attach(x, "pv-1", "node-1");
  attach(x, "pv-1", "node-2");
  props_at_end(x->p);
  assert_held(x, "storage.single-attach");
}

static void single_attach_flags_an_rwop_volume_at_the_end(void **st)
{
  struct fx *x = *st;

  make_pv(x, "pv-1", ACCESS_RWOP);
  step(x);
  /* Attached behind the A/D controller's back: only the final pass sees
   * it. */
  truth_attach(x->f.truth, "pv-1", "node-1");
  truth_attach(x->f.truth, "pv-1", "node-3");
  step(x);
  assert_held(x, "storage.single-attach");
  props_at_end(x->p);
  assert_violation(x, "storage.single-attach",
                   "volume pv-1 (ReadWriteOncePod) is attached to node-1 and "
                   "node-3 at once");
}

/* The hazard alone (Kubernetes' own 6-minute force detach) is recorded,
 * not a violation; it becomes one when another node gets the disk while
 * the partitioned node still has it mounted. */
static void
single_attach_records_a_detach_under_a_live_mount_as_a_hazard(void **st)
{
  struct fx *x = *st;
  const struct prop_violation *h;

  make_pv(x, "pv-1", ACCESS_RWO);
  attach(x, "pv-1", "node-2");
  truth_mount(x->f.truth, "pv-1", "node-2", 41);
  truth_set_machine(x->f.truth, "node-2", MACHINE_PARTITIONED);
  detach(x, "pv-1", "node-2");
  props_at_end(x->p);
  assert_held(x, "storage.single-attach");
  int i = props_index(x->p, "storage.single-attach");
  assert_int_equal(props_hazards(x->p, (size_t)i, &h), 1);
  assert_non_null(strstr(h->message,
                         "volume pv-1 was detached from node-2 while still "
                         "mounted there (1 mount; the machine is "
                         "partitioned, its containers keep running)"));
}

static void single_attach_flags_the_hazard_when_another_node_attaches(void **st)
{
  struct fx *x = *st;

  make_pv(x, "pv-1", ACCESS_RWO);
  attach(x, "pv-1", "node-2");
  truth_mount(x->f.truth, "pv-1", "node-2", 41);
  truth_set_machine(x->f.truth, "node-2", MACHINE_PARTITIONED);
  detach(x, "pv-1", "node-2");
  attach(x, "pv-1", "node-3");
  assert_violation(x, "storage.single-attach",
                   "volume pv-1 was attached to node-3 while node-2 "
                   "(partitioned) still has it mounted after a detach from "
                   "under that mount: two nodes can write the disk");
}

static void single_attach_allows_a_force_detach_from_a_dead_node(void **st)
{
  struct fx *x = *st;

  make_pv(x, "pv-1", ACCESS_RWO);
  attach(x, "pv-1", "node-2");
  truth_mount(x->f.truth, "pv-1", "node-2", 41);
  truth_set_machine(x->f.truth, "node-2", MACHINE_CRASHED);
  detach(x, "pv-1", "node-2");
  attach(x, "pv-1", "node-3");
  props_at_end(x->p);
  assert_held(x, "storage.single-attach");
}

static void single_attach_allows_a_detach_after_the_unmount(void **st)
{
  struct fx *x = *st;

  make_pv(x, "pv-1", ACCESS_RWO);
  attach(x, "pv-1", "node-2");
  truth_mount(x->f.truth, "pv-1", "node-2", 41);
  truth_unmount(x->f.truth, "pv-1", "node-2", 41);
  detach(x, "pv-1", "node-2");
  attach(x, "pv-1", "node-1");
  props_at_end(x->p);
  assert_held(x, "storage.single-attach");
}

/* --- storage.no-data-loss --------------------------------------------------
 */

/* web-1 runs on node with claim `claim` and writes to pv. */
static uint64_t writing_pod(struct fx *x, const char *claim, const char *pv,
                            const char *node)
{
  const struct object *p = create_pod(x, "web-1", claim, "web-rev1");
  uint64_t uid = p->meta.uid;

  truth_pod_start(x->f.truth, "default", "web-1", uid, node, "10.0.0.5",
                  now_of(x));
  truth_pod_set(x->f.truth, uid, true, true);
  truth_writer_start(x->f.truth, pv, "web-1", uid, now_of(x));
  run_pod(x, "web-1", node, "10.0.0.5", true);
  return uid;
}

static void no_data_loss_holds_for_a_restart_on_the_same_volume(void **st)
{
  struct fx *x = *st;

  make_set(x, 3);
  make_pv(x, "pv-a", ACCESS_RWO);
  bound_claim(x, "data-web-1", "pv-a");
  uint64_t u1 = writing_pod(x, "data-web-1", "pv-a", "node-1");
  truth_writer_stop(x->f.truth, "pv-a", u1, now_of(x));
  truth_pod_stop(x->f.truth, u1);
  force_delete(x, "web-1");
  advance(x, SIM_SEC(30));
  writing_pod(x, "data-web-1", "pv-a", "node-2");
  props_at_end(x->p);
  assert_held(x, "storage.no-data-loss");
}

static void no_data_loss_flags_a_new_incarnation_on_a_fresh_volume(void **st)
{
  struct fx *x = *st;
  char want[300];

  make_set(x, 3);
  make_pv(x, "pv-a", ACCESS_RWO);
  make_pv(x, "pv-b", ACCESS_RWO);
  bound_claim(x, "data-web-1", "pv-a");
  bound_claim(x, "data-web-1-new", "pv-b");
  uint64_t u1 = writing_pod(x, "data-web-1", "pv-a", "node-1");
  truth_writer_stop(x->f.truth, "pv-a", u1, now_of(x));
  truth_pod_stop(x->f.truth, u1);
  force_delete(x, "web-1");
  uint64_t u2 = writing_pod(x, "data-web-1-new", "pv-b", "node-2");
  snprintf(want, sizeof(want),
           "web-1 (uid %llu) writes to volume pv-b, but its previous "
           "incarnation (uid %llu) wrote to pv-a, which still exists with "
           "its claim: the new incarnation started without its data",
           (unsigned long long)u2, (unsigned long long)u1);
  assert_violation(x, "storage.no-data-loss", want);
}

static void no_data_loss_allows_a_fresh_volume_after_the_claim_went(void **st)
{
  struct fx *x = *st;
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  make_set(x, 3);
  make_pv(x, "pv-a", ACCESS_RWO);
  make_pv(x, "pv-b", ACCESS_RWO);
  bound_claim(x, "data-web-1", "pv-a");
  uint64_t u1 = writing_pod(x, "data-web-1", "pv-a", "node-1");
  truth_writer_stop(x->f.truth, "pv-a", u1, now_of(x));
  truth_pod_stop(x->f.truth, u1);
  force_delete(x, "web-1");
  /* The documented local-volume recovery: delete the claim on purpose. */
  assert_int_equal(
      api_delete(x->f.api, "kubectl", KIND_PVC, "default", "data-web-1", &o),
      API_OK);
  step(x);
  bound_claim(x, "data-web-1", "pv-b");
  writing_pod(x, "data-web-1", "pv-b", "node-2");
  props_at_end(x->p);
  assert_held(x, "storage.no-data-loss");
}

static void no_data_loss_flags_two_incarnations_writing_at_once(void **st)
{
  struct fx *x = *st;
  char want[300];

  make_set(x, 3);
  make_pv(x, "pv-a", ACCESS_RWO);
  bound_claim(x, "data-web-1", "pv-a");
  uint64_t u1 = writing_pod(x, "data-web-1", "pv-a", "node-2");
  truth_set_machine(x->f.truth, "node-2", MACHINE_PARTITIONED);
  advance(x, SIM_MIN(1));
  force_delete(x, "web-1");
  advance(x, SIM_MIN(6));
  /* The new incarnation starts writing; its status is not written yet. */
  const struct object *p = create_pod(x, "web-1", "data-web-1", "web-rev1");
  truth_pod_start(x->f.truth, "default", "web-1", p->meta.uid, "node-3",
                  "10.0.0.9", now_of(x));
  truth_writer_start(x->f.truth, "pv-a", "web-1", p->meta.uid, now_of(x));
  step(x);
  snprintf(want, sizeof(want),
           "split brain: two incarnations of web-1 write volume pv-a at once "
           "(uid %llu since 0s, uid %llu since 7m0s)",
           (unsigned long long)u1, (unsigned long long)p->meta.uid);
  assert_violation(x, "storage.no-data-loss", want);
}

/* --- identity.stable-network -----------------------------------------------
 */

static void make_service(struct fx *x)
{
  struct object s;
  struct kv *sel = arena_calloc(A(x), 1, sizeof(*sel));

  object_init(&s, KIND_SERVICE);
  s.meta.name = "web";
  s.meta.namespace_ = "default";
  sel[0] = (struct kv){"app", "web"};
  s.u.svc.selector = (struct kv_list){sel, 1};
  s.u.svc.headless = true;
  fixture_create(&x->f, &s);
}

struct ep_spec {
  const char *ip, *host;
};

/* Plays the EndpointSlice controller: the slice of web lists eps. */
static void write_slice(struct fx *x, const struct ep_spec *eps, size_t nr)
{
  struct object o;
  const struct object *cur = fixture_get(&x->f, KIND_ENDPOINTSLICE, "web-abc");
  struct endpoint *e = arena_calloc(A(x), nr ? nr : 1, sizeof(*e));
  struct kv *l = arena_calloc(A(x), 1, sizeof(*l));

  for (size_t i = 0; i < nr; i++)
    e[i] = (struct endpoint){.address = eps[i].ip,
                             .ready = true,
                             .serving = true,
                             .hostname = eps[i].host,
                             .node_name = "node-1",
                             .target_pod = eps[i].host};
  if (cur)
    o = *cur;
  else
    object_init(&o, KIND_ENDPOINTSLICE);
  o.meta.name = "web-abc";
  o.meta.namespace_ = "default";
  l[0] = (struct kv){"kubernetes.io/service-name", "web"};
  o.meta.labels = (struct kv_list){l, 1};
  o.u.eps.service_name = "web";
  o.u.eps.endpoints = e;
  o.u.eps.endpoints_nr = nr;
  if (cur)
    assert_int_equal(api_update(x->f.api, "endpointslice-controller", &o, NULL),
                     API_OK);
  else
    assert_int_equal(api_create(x->f.api, "endpointslice-controller", &o, NULL),
                     API_OK);
  step(x);
}

/* web-1 at 10.0.0.5, Ready and published. */
static void published_web1(struct fx *x)
{
  static const struct ep_spec ep[] = {{"10.0.0.5", "web-1"}};

  make_set(x, 3);
  make_service(x);
  create_pod(x, "web-1", NULL, "web-rev1");
  run_pod(x, "web-1", "node-1", "10.0.0.5", true);
  write_slice(x, ep, 1);
  const char *ips[2];
  assert_int_equal(
      dns_resolve(x->f.api, "web-1.web.default.svc.cluster.local", ips, 2), 1);
  assert_string_equal(ips[0], "10.0.0.5");
}

/* web-1 is force deleted and comes back at 10.0.0.9. */
static void recreated_web1(struct fx *x)
{
  force_delete(x, "web-1");
  create_pod(x, "web-1", NULL, "web-rev1");
  run_pod(x, "web-1", "node-2", "10.0.0.9", true);
}

static void stable_network_tolerates_a_stale_answer_within_the_ttl(void **st)
{
  struct fx *x = *st;
  static const struct ep_spec now[] = {{"10.0.0.9", "web-1"}};

  published_web1(x);
  recreated_web1(x);
  advance(x, SIM_SEC(4));
  write_slice(x, now, 1);
  advance(x, SIM_MIN(1));
  props_at_end(x->p);
  assert_held(x, "identity.stable-network");
}

static void stable_network_flags_a_stale_answer_past_the_ttl(void **st)
{
  struct fx *x = *st;
  static const struct ep_spec now[] = {{"10.0.0.9", "web-1"}};

  published_web1(x);
  recreated_web1(x);
  advance(x, SIM_SEC(6));
  write_slice(x, now, 1); /* fixed, but 6 s late */
  assert_violation(x, "identity.stable-network",
                   "web-1.web.default.svc.cluster.local resolves to "
                   "10.0.0.5, not to the current web-1 (10.0.0.9) for longer "
                   "than dnsTTL 5s");
}

static void stable_network_waits_while_the_control_plane_fails(void **st)
{
  struct fx *x = *st;
  static const struct ep_spec now[] = {{"10.0.0.9", "web-1"}};
  static struct action a = {.kind = ACTION_API_ERRORS};

  /* The EndpointSlice controller's writes fail for a minute: the stale
   * answer is Kubernetes' behaviour then, and for 2 minutes after. */
  props_note_action(x->p, &a, now_of(x) + SIM_MIN(1));
  published_web1(x);
  recreated_web1(x);
  advance(x, SIM_SEC(90));
  write_slice(x, now, 1); /* fixed within the allowance */
  assert_held(x, "identity.stable-network");
}

static void stable_network_judges_again_after_the_recovery_allowance(void **st)
{
  struct fx *x = *st;
  static const struct ep_spec now[] = {{"10.0.0.9", "web-1"}};
  static struct action a = {.kind = ACTION_API_ERRORS};

  props_note_action(x->p, &a, now_of(x) + SIM_MIN(1));
  published_web1(x);
  recreated_web1(x);
  advance(x, SIM_MIN(3) + SIM_SEC(10));
  write_slice(x, now, 1); /* fixed, but long after the faults ended */
  assert_violation(x, "identity.stable-network",
                   "resolves to 10.0.0.5, not to the current web-1");
}

static void stable_network_flags_two_addresses_at_the_end(void **st)
{
  struct fx *x = *st;
  static const struct ep_spec both[] = {{"10.0.0.5", "web-1"},
                                        {"10.0.0.9", "web-1"}};

  published_web1(x);
  recreated_web1(x);
  write_slice(x, both, 2);
  advance(x, SIM_SEC(30));
  assert_held(x, "identity.stable-network"); /* nothing happened since */
  props_at_end(x->p);
  assert_violation(x, "identity.stable-network",
                   "web-1.web.default.svc.cluster.local resolves to 2 "
                   "addresses (10.0.0.5, 10.0.0.9) for longer than dnsTTL "
                   "5s");
}

static void stable_network_forgets_a_deleted_slice(void **st)
{
  struct fx *x = *st;
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  published_web1(x);
  assert_int_equal(api_delete(x->f.api, "endpointslice-controller",
                              KIND_ENDPOINTSLICE, "default", "web-abc", &o),
                   API_OK);
  step(x);
  force_delete(x, "web-1");
  advance(x, SIM_MIN(1));
  props_at_end(x->p);
  assert_held(x, "identity.stable-network");
}

static void stable_network_flags_a_name_of_a_pod_that_is_gone(void **st)
{
  struct fx *x = *st;

  published_web1(x);
  force_delete(x, "web-1");
  advance(x, SIM_SEC(10));
  props_at_end(x->p);
  assert_violation(x, "identity.stable-network",
                   "resolves to 10.0.0.5, but no pod web-1 exists");
}

/* --- liveness.converges ------------------------------------------------------
 */

/* Something unrelated is written: an event for the checks to run on. */
static void tick(struct fx *x)
{
  struct object o =
      fixture_pvc(&x->f, arena_printf(A(x), "tick-%lld", (long long)now_of(x)),
                  "standard", 1);
  fixture_create(&x->f, &o);
  step(x);
}

static bool node_unknown(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.node.ready =
      (struct condition){.status = COND_UNKNOWN, .reason = "NodeStatusUnknown"};
  return true;
}

static void converges_holds_for_a_ready_set(void **st)
{
  struct fx *x = *st;

  make_set(x, 2);
  create_pod(x, "web-0", NULL, "web-rev1");
  run_pod(x, "web-0", "node-1", "10.0.0.4", true);
  create_pod(x, "web-1", NULL, "web-rev1");
  run_pod(x, "web-1", "node-2", "10.0.0.5", true);
  advance(x, SIM_MIN(20));
  tick(x);
  props_at_end(x->p);
  assert_held(x, "liveness.converges");
}

static void converges_holds_after_a_pod_is_replaced(void **st)
{
  struct fx *x = *st;
  struct action a = {.kind = ACTION_DELETE_POD, .pod = "web-1", .force = true};

  make_set(x, 2);
  create_pod(x, "web-0", NULL, "web-rev1");
  run_pod(x, "web-0", "node-1", "10.0.0.4", true);
  create_pod(x, "web-1", NULL, "web-rev1");
  run_pod(x, "web-1", "node-2", "10.0.0.5", true);
  advance(x, SIM_MIN(1));
  props_note_action(x->p, &a, now_of(x));
  force_delete(x, "web-1");
  create_pod(x, "web-1", NULL, "web-rev1");
  run_pod(x, "web-1", "node-3", "10.0.0.6", true);
  advance(x, SIM_MIN(20));
  tick(x);
  props_at_end(x->p);
  assert_held(x, "liveness.converges");
}

static void converges_flags_a_pod_never_ready_on_a_healthy_node(void **st)
{
  struct fx *x = *st;

  make_set(x, 2);
  create_pod(x, "web-0", NULL, "web-rev1");
  run_pod(x, "web-0", "node-1", "10.0.0.4", true);
  create_pod(x, "web-1", NULL, "web-rev1");
  run_pod(x, "web-1", "node-2", "10.0.0.5", false);
  advance(x, SIM_MIN(14));
  tick(x);
  assert_held(x, "liveness.converges");
  advance(x, SIM_MIN(2));
  tick(x);
  assert_violation(x, "liveness.converges",
                   "web has not converged 15m0s after the last action ended "
                   "(at 0s; not converged since 0s): web-1 is Running and "
                   "not Ready");
}

static void converges_counts_from_the_last_action(void **st)
{
  struct fx *x = *st;
  struct action a = {.kind = ACTION_SCALE};

  make_set(x, 1);
  create_pod(x, "web-0", NULL, "web-rev1");
  run_pod(x, "web-0", "node-1", "10.0.0.4", false);
  advance(x, SIM_MIN(10));
  props_note_action(x->p, &a, now_of(x));
  advance(x, SIM_MIN(10));
  tick(x);
  assert_held(x, "liveness.converges");
  advance(x, SIM_MIN(6));
  props_at_end(x->p);
  assert_violation(x, "liveness.converges",
                   "web has not converged 15m0s after the last action ended "
                   "(at 10m0s");
}

static void converges_judges_the_state_that_held_at_the_deadline(void **st)
{
  struct fx *x = *st;

  make_set(x, 1);
  create_pod(x, "web-0", NULL, "web-rev1");
  run_pod(x, "web-0", "node-1", "10.0.0.4", false);
  advance(x, SIM_MIN(20));
  /* Ready at last, but 5 minutes late: the event that fixes it must not
   * hide that. */
  run_pod(x, "web-0", "node-1", "10.0.0.4", true);
  assert_violation(x, "liveness.converges",
                   "web has not converged 15m0s after the last action ended "
                   "(at 0s; not converged since 0s): web-0 is Running and "
                   "not Ready");
}

static void converges_judges_exemptions_before_the_event(void **st)
{
  struct fx *x = *st;
  struct action del = {.kind = ACTION_DELETE_POD, .pod = "web-0"};
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  make_set(x, 1);
  create_pod(x, "web-0", NULL, "web-rev1");
  run_pod(x, "web-0", "node-1", "10.0.0.4", false);
  advance(x, SIM_MIN(20));
  /* A person deletes the pod stuck unready on a healthy node: the set was
   * not converged, and nothing exempted it, for 5 minutes already. */
  o.grace_seconds = 0;
  assert_int_equal(
      api_delete(x->f.api, "kubectl", KIND_POD, "default", "web-0", &o),
      API_OK);
  props_note_action(x->p, &del, now_of(x));
  step(x);
  assert_violation(x, "liveness.converges", "web-0 is Running and not Ready");
}

static void converges_flags_pods_left_at_the_old_revision(void **st)
{
  struct fx *x = *st;

  make_set(x, 1);
  create_pod(x, "web-0", NULL, "web-rev0");
  run_pod(x, "web-0", "node-1", "10.0.0.4", true);
  advance(x, SIM_MIN(16));
  props_at_end(x->p);
  assert_violation(x, "liveness.converges",
                   "web-0 is at revision web-rev0, not the update revision "
                   "web-rev1");
}

static void converges_exempts_a_pod_stuck_on_a_lost_node(void **st)
{
  struct fx *x = *st;
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  make_set(x, 1);
  create_pod(x, "web-0", NULL, "web-rev1");
  run_pod(x, "web-0", "node-2", "10.0.0.4", true);
  assert_int_equal(api_patch(x->f.api, "node-controller", KIND_NODE, "",
                             "node-2", 0, node_unknown, NULL, NULL),
                   API_OK);
  assert_int_equal(api_delete(x->f.api, "taint-eviction-controller", KIND_POD,
                              "default", "web-0", &o),
                   API_OK);
  step(x);
  advance(x, SIM_MIN(60));
  tick(x);
  props_at_end(x->p);
  assert_held(x, "liveness.converges");
}

static void converges_exempts_a_pod_pinned_to_a_lost_local_volume(void **st)
{
  struct fx *x = *st;
  struct object pv = fixture_pv(&x->f, "local-1", 1 << 30, "local");
  struct node_selector_term *term = arena_calloc(A(x), 1, sizeof(*term));
  struct selector_req *req = arena_calloc(A(x), 1, sizeof(*req));
  const char **vals = arena_calloc(A(x), 1, sizeof(*vals));

  vals[0] = "node-9";
  *req = (struct selector_req){"kubernetes.io/hostname", SEL_IN, {vals, 1}};
  term->exprs = req;
  term->exprs_nr = 1;
  pv.u.pv.spec.source = PVSRC_LOCAL;
  pv.u.pv.spec.node_affinity = (struct node_selector){term, 1};
  fixture_create(&x->f, &pv);
  make_set(x, 1);
  bound_claim(x, "data-web-0", "local-1");
  create_pod(x, "web-0", "data-web-0", "web-rev1");
  advance(x, SIM_MIN(30));
  tick(x);
  props_at_end(x->p);
  assert_held(x, "liveness.converges");
}

static bool cordon(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.node.unschedulable = true;
  return true;
}

static void converges_exempts_a_pod_pinned_to_a_cordoned_zone(void **st)
{
  struct fx *x = *st;
  struct object pv = fixture_pv(&x->f, "zonal-1", 1 << 30, "standard");
  struct node_selector_term *term = arena_calloc(A(x), 1, sizeof(*term));
  struct selector_req *req = arena_calloc(A(x), 1, sizeof(*req));
  const char **vals = arena_calloc(A(x), 1, sizeof(*vals));

  /* A zonal disk in zone b, whose only node (node-2) is drained. */
  vals[0] = "b";
  *req =
      (struct selector_req){"topology.kubernetes.io/zone", SEL_IN, {vals, 1}};
  term->exprs = req;
  term->exprs_nr = 1;
  pv.u.pv.spec.node_affinity = (struct node_selector){term, 1};
  fixture_create(&x->f, &pv);
  assert_int_equal(api_patch(x->f.api, "kubectl", KIND_NODE, "", "node-2", 0,
                             cordon, NULL, NULL),
                   API_OK);
  make_set(x, 1);
  bound_claim(x, "data-web-0", "zonal-1");
  create_pod(x, "web-0", "data-web-0", "web-rev1");
  advance(x, SIM_MIN(30));
  tick(x);
  props_at_end(x->p);
  assert_held(x, "liveness.converges");
}

static void converges_keeps_an_exemption_the_event_ends(void **st)
{
  struct fx *x = *st;
  struct action del = {.kind = ACTION_DELETE_POD, .pod = "web-0", .force = 1};

  make_set(x, 1);
  create_pod(x, "web-0", NULL, "web-rev1");
  run_pod(x, "web-0", "node-2", "10.0.0.4", true);
  assert_int_equal(api_patch(x->f.api, "node-controller", KIND_NODE, "",
                             "node-2", 0, node_unknown, NULL, NULL),
                   API_OK);
  step(x);
  advance(x, SIM_MIN(20));
  /* Stuck on a lost node - the documented state - until a person force
   * deletes it: the event that ends the stuck state must not make it look
   * like a failure. */
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  o.grace_seconds = 0;
  assert_int_equal(
      api_delete(x->f.api, "kubectl", KIND_POD, "default", "web-0", &o),
      API_OK);
  props_note_action(x->p, &del, now_of(x)); /* as the world: same event */
  step(x);
  create_pod(x, "web-0", NULL, "web-rev1");
  run_pod(x, "web-0", "node-1", "10.0.0.7", true);
  advance(x, SIM_MIN(20));
  tick(x);
  props_at_end(x->p);
  assert_held(x, "liveness.converges");
}

static void converges_exempts_an_image_declared_never_ready(void **st)
{
  struct fx *x = *st;
  struct image_decl *img = arena_calloc(A(x), 1, sizeof(*img));

  img->image = "registry.example/app:1";
  img->never_ready = true;
  x->f.s.images = img;
  x->f.s.images_nr = 1;
  make_set(x, 1);
  create_pod(x, "web-0", NULL, "web-rev1");
  run_pod(x, "web-0", "node-1", "10.0.0.4", false);
  advance(x, SIM_MIN(30));
  tick(x);
  props_at_end(x->p);
  assert_held(x, "liveness.converges");
}

static void converges_exempts_an_app_failing_readiness_on_purpose(void **st)
{
  struct fx *x = *st;
  struct action fail = {.kind = ACTION_FAIL_READINESS, .pod = "web-0"};

  make_set(x, 1);
  create_pod(x, "web-0", NULL, "web-rev1");
  run_pod(x, "web-0", "node-1", "10.0.0.4", true);
  advance(x, SIM_MIN(1));
  props_note_action(x->p, &fail, now_of(x));
  run_pod(x, "web-0", "node-1", "10.0.0.4", false);
  advance(x, SIM_MIN(30));
  tick(x);
  props_at_end(x->p);
  assert_held(x, "liveness.converges");
}

static void converges_flags_an_extra_condemned_pod(void **st)
{
  struct fx *x = *st;

  make_set(x, 1);
  create_pod(x, "web-0", NULL, "web-rev1");
  run_pod(x, "web-0", "node-1", "10.0.0.4", true);
  create_pod(x, "web-1", NULL, "web-rev1");
  run_pod(x, "web-1", "node-2", "10.0.0.5", true);
  advance(x, SIM_MIN(16));
  props_at_end(x->p);
  assert_violation(x, "liveness.converges",
                   "web-1 should not exist (2 pods for 1 replicas)");
}

static void converges_checks_nothing_without_a_scenario(void **st)
{
  struct fx *x = *st;

  props_set_scenario(x->p, NULL);
  make_set(x, 1);
  create_pod(x, "web-0", NULL, "web-rev1");
  advance(x, SIM_MIN(120));
  tick(x);
  props_at_end(x->p);
  assert_held(x, "liveness.converges");
}

int main(void)
{
#define T(fn)                                                                  \
  cmocka_unit_test_setup_teardown(fn, props_fx_setup, props_fx_teardown)
  const struct CMUnitTest tests[] = {
      T(at_most_one_holds_when_the_kubelet_stopped_the_old_one),
      T(at_most_one_flags_a_force_delete_on_a_partitioned_node),
      T(at_most_one_holds_after_a_force_delete_on_a_crashed_node),
      T(single_attach_flags_an_rwo_volume_on_two_nodes),
      T(single_attach_allows_an_rwx_volume_on_two_nodes),
      T(single_attach_flags_an_rwop_volume_at_the_end),
      T(single_attach_records_a_detach_under_a_live_mount_as_a_hazard),
      T(single_attach_flags_the_hazard_when_another_node_attaches),
      T(single_attach_allows_a_force_detach_from_a_dead_node),
      T(single_attach_allows_a_detach_after_the_unmount),
      T(no_data_loss_holds_for_a_restart_on_the_same_volume),
      T(no_data_loss_flags_a_new_incarnation_on_a_fresh_volume),
      T(no_data_loss_allows_a_fresh_volume_after_the_claim_went),
      T(no_data_loss_flags_two_incarnations_writing_at_once),
      T(stable_network_tolerates_a_stale_answer_within_the_ttl),
      T(stable_network_flags_a_stale_answer_past_the_ttl),
      T(stable_network_waits_while_the_control_plane_fails),
      T(stable_network_judges_again_after_the_recovery_allowance),
      T(stable_network_flags_two_addresses_at_the_end),
      T(stable_network_forgets_a_deleted_slice),
      T(stable_network_flags_a_name_of_a_pod_that_is_gone),
      T(converges_holds_for_a_ready_set),
      T(converges_holds_after_a_pod_is_replaced),
      T(converges_flags_a_pod_never_ready_on_a_healthy_node),
      T(converges_counts_from_the_last_action),
      T(converges_judges_the_state_that_held_at_the_deadline),
      T(converges_judges_exemptions_before_the_event),
      T(converges_flags_pods_left_at_the_old_revision),
      T(converges_exempts_a_pod_stuck_on_a_lost_node),
      T(converges_exempts_a_pod_pinned_to_a_lost_local_volume),
      T(converges_exempts_a_pod_pinned_to_a_cordoned_zone),
      T(converges_keeps_an_exemption_the_event_ends),
      T(converges_exempts_an_image_declared_never_ready),
      T(converges_exempts_an_app_failing_readiness_on_purpose),
      T(converges_flags_an_extra_condemned_pod),
      T(converges_checks_nothing_without_a_scenario),
  };

  return cmocka_run_group_tests_name("props_failure", tests, NULL, NULL);
}
