/*
 * test_kubelet_failures.c - the machine under the kubelets
 * (kubelet_machine.c): crash, boot, partition and heal, graceful node
 * shutdown, the VM deleted, a node added. The kubelets run alone in a
 * tiny cluster (tests/helpers/fixtures.h); the test plays the scheduler
 * (spec.nodeName set at creation), the PV controller and the attach/detach
 * controller (volumesAttached and the truth's attachment written by hand),
 * and checks the API requests the kubelets make, the objects they leave
 * and the ground truth (containers, writers, mounts, the machine).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kl_fixture.h"

#define GiB (INT64_C(1) << 30)
#define CSI_NAME "kubernetes.io/csi/disk.csi.stsim.io^pv-1"
#define CRITICAL 2000000000

static const struct object *node(struct kl_fixture *t, const char *name)
{
  return fixture_get(&t->f, KIND_NODE, name);
}

/* A pod bound to node (NULL: unbound), one container "app". */
static const struct object *create_pod(struct kl_fixture *t, const char *name,
                                       const char *node_name, const char *claim,
                                       int32_t priority)
{
  struct object o = fixture_pod(&t->f, name, claim);

  o.u.pod.spec.node_name = node_name;
  o.u.pod.spec.priority = priority;
  return fixture_create(&t->f, &o);
}

/* A claim bound to a PV, as the PV controller would leave them. */
static void bound_claim(struct kl_fixture *t, const char *claim, const char *pv,
                        enum pv_source src)
{
  struct object c = fixture_pvc(&t->f, claim, "", GiB);
  const struct object *pc = fixture_create(&t->f, &c), *out = NULL;
  struct object v = fixture_pv(&t->f, pv, GiB, "");

  v.u.pv.spec.source = src;
  if (src == PVSRC_CSI) {
    v.u.pv.spec.csi_driver = "disk.csi.stsim.io";
    v.u.pv.spec.volume_handle = pv;
    v.u.pv.spec.path = NULL;
  }
  v.u.pv.spec.claim_ref = (struct claim_ref){"default", claim, pc->meta.uid};
  fixture_create(&t->f, &v);
  struct object c2 = *pc;
  c2.u.pvc.spec.volume_name = pv;
  assert_int_equal(
      api_update(t->f.api, "persistentvolume-controller", &c2, &out), API_OK);
  struct object c3 = *out;
  c3.u.pvc.status.phase = PVC_BOUND;
  assert_int_equal(
      api_update_status(t->f.api, "persistentvolume-controller", &c3, NULL),
      API_OK);
}

static bool set_attached(struct object *o, void *ctx)
{
  const char **names = ctx;
  size_t n = 0;

  while (names[n])
    n++;
  o->u.node.volumes_attached = (struct str_list){names, n};
  return true;
}

/* The test plays the attach/detach controller: pv-1 attached to node. */
static void attach_pv1(struct kl_fixture *t, const char *node_name)
{
  static const char *names[] = {CSI_NAME, NULL};

  assert_int_equal(api_patch(t->f.api, "attachdetach-controller", KIND_NODE, "",
                             node_name, 0, set_attached, names, NULL),
                   API_OK);
  truth_attach(t->f.truth, "pv-1", node_name);
}

static bool str_list_has(const struct str_list *l, const char *s)
{
  for (size_t i = 0; i < l->nr; i++)
    if (!strcmp(l->v[i], s))
      return true;
  return false;
}

/* The i-th event with this reason about object name, or NULL. */
static const struct event *event(struct kl_fixture *t, const char *name,
                                 const char *reason, int i)
{
  size_t nr;
  const struct event *const *ev = api_events(t->f.api, &nr);

  for (size_t k = 0; k < nr; k++) {
    if (strcmp(ev[k]->involved_name, name) || strcmp(ev[k]->reason, reason))
      continue;
    if (i-- == 0)
      return ev[k];
  }
  return NULL;
}

static simtime event_at(struct kl_fixture *t, const char *name,
                        const char *reason, int i)
{
  const struct event *e = event(t, name, reason, i);
  return e ? e->last_timestamp : SIMTIME_NEVER;
}

/* Requests by the kubelets about any of names (NULL-terminated) in
 * [from, to], answered or not. */
static int kubelet_requests(struct kl_fixture *t, const char *const *names,
                            simtime from, simtime to)
{
  int n = 0;

  for (size_t i = 0; i < t->reqs_nr; i++) {
    const struct kl_req *r = &t->reqs[i];
    if (r->at < from || r->at > to || strcmp(r->who, "kubelet"))
      continue;
    for (size_t k = 0; names[k]; k++)
      if (!strcmp(r->name, names[k]))
        n++;
  }
  return n;
}

/* Changes by who on kind/name in [from, to] (verb NULL = any). */
static int changes(struct kl_fixture *t, const char *who, enum obj_kind kind,
                   const char *name, const char *verb, simtime from, simtime to)
{
  int n = 0;

  for (size_t i = 0; i < t->reqs_nr; i++) {
    const struct kl_req *r = &t->reqs[i];
    if (r->at < from || r->at > to || r->kind != kind || !r->changed ||
        strcmp(r->who, who) || (name && strcmp(r->name, name)) ||
        (verb && strcmp(r->verb, verb)))
      continue;
    n++;
  }
  return n;
}

static simtime first_change(struct kl_fixture *t, const char *who,
                            enum obj_kind kind, const char *name, simtime from)
{
  for (size_t i = 0; i < t->reqs_nr; i++) {
    const struct kl_req *r = &t->reqs[i];
    if (r->at >= from && r->kind == kind && r->changed &&
        !strcmp(r->who, who) && !strcmp(r->name, name))
      return r->at;
  }
  return SIMTIME_NEVER;
}

static simtime lease_renewed(struct kl_fixture *t, const char *name)
{
  const struct object *l =
      api_get(t->f.api, KIND_LEASE, "kube-node-lease", name);
  return l ? l->u.lease.renew_time : SIMTIME_NEVER;
}

static enum node_machine machine(struct kl_fixture *t, const char *name)
{
  return truth_machine(t->f.truth, name);
}

static void force_delete(struct kl_fixture *t, const char *name)
{
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  o.grace_seconds = 0;
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", name, &o), API_OK);
}

static void graceful_delete(struct kl_fixture *t, const char *name)
{
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", name, NULL), API_OK);
}

/* web-0 on node-1 writing to pv-1 (CSI, attached), web-1 on node-2. */
static uint64_t two_running_pods(struct kl_fixture *t)
{
  uint64_t uid;

  kl_start(t);
  bound_claim(t, "data-web-0", "pv-1", PVSRC_CSI);
  attach_pv1(t, "node-1");
  uid = create_pod(t, "web-0", "node-1", "data-web-0", 0)->meta.uid;
  create_pod(t, "web-1", "node-2", NULL, 0);
  kl_run(t, SIM_SEC(60));
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_RUNNING);
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.ready.status, COND_TRUE);
  assert_int_equal(truth_volume(t->f.truth, "pv-1")->writers_nr, 1);
  assert_int_equal(truth_mounts(t->f.truth, "pv-1", "node-1"), 1);
  return uid;
}

/* --- crash --------------------------------------------------------------- */

static void
crash_stops_containers_writers_and_heartbeats_and_writes_nothing(void **state)
{
  struct kl_fixture *t = *state;
  static const char *const node1[] = {"node-1", "web-0", NULL};
  const struct truth_volume *tv;
  uint64_t uid = two_running_pods(t);
  simtime renewed = lease_renewed(t, "node-1");

  assert_true(kubelets_crash(t->ks, "node-1"));
  /* At once: containers, writers and mounts gone; the disk attached. */
  assert_null(truth_pod(t->f.truth, uid));
  tv = truth_volume(t->f.truth, "pv-1");
  assert_int_equal(tv->writers_nr, 0);
  assert_int_equal(tv->last_write, SIM_SEC(60));
  assert_int_equal(truth_mounts(t->f.truth, "pv-1", "node-1"), 0);
  assert_true(truth_is_attached(t->f.truth, "pv-1", "node-1"));
  assert_int_equal(machine(t, "node-1"), MACHINE_CRASHED);
  assert_int_equal(machine(t, "node-2"), MACHINE_UP);

  kl_run(t, SIM_MIN(15));
  /* Not one request about the node or its pod, no Lease renewal... */
  assert_int_equal(kubelet_requests(t, node1, SIM_SEC(60), SIM_MIN(15)), 0);
  assert_int_equal(lease_renewed(t, "node-1"), renewed);
  /* ... while node-2 goes on renewing. */
  assert_true(lease_renewed(t, "node-2") > SIM_MIN(14));
  /* The API still shows what it last heard: nobody told it otherwise. */
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_RUNNING);
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.ready.status, COND_TRUE);
  assert_true(
      str_list_has(&node(t, "node-1")->u.node.volumes_in_use, CSI_NAME));
}

static void
crash_of_a_crashed_node_and_unknown_nodes_change_nothing(void **state)
{
  struct kl_fixture *t = *state;
  enum node_machine m = MACHINE_UP;
  bool cut = true;

  two_running_pods(t);
  assert_false(kubelets_crash(t->ks, "node-9"));
  assert_false(kubelets_restart(t->ks, "node-9"));
  assert_false(kubelets_partition(t->ks, "node-9"));
  assert_false(kubelets_heal(t->ks, "node-9"));
  assert_false(kubelets_shutdown(t->ks, "node-9"));
  assert_false(kubelets_remove(t->ks, "node-9"));
  assert_false(kubelets_machine(t->ks, "node-9", &m, &cut));
  /* Faults that do not apply do nothing. */
  assert_true(kubelets_restart(t->ks, "node-1"));
  assert_true(kubelets_heal(t->ks, "node-1"));
  assert_true(kubelets_machine(t->ks, "node-1", &m, &cut));
  assert_int_equal(m, MACHINE_UP);
  assert_false(cut);
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.containers[0].restart_count,
                   0);
  assert_true(kubelets_crash(t->ks, "node-1"));
  assert_true(kubelets_crash(t->ks, "node-1"));
  assert_true(kubelets_machine(t->ks, "node-1", &m, &cut));
  assert_int_equal(m, MACHINE_CRASHED);
}

/* --- restart ------------------------------------------------------------- */

static void restart_brings_pods_back_in_place_with_new_ips(void **state)
{
  struct kl_fixture *t = *state;
  uint64_t uid = two_running_pods(t);
  const struct object *p = kl_pod(t, "web-0");
  char ip1[32];
  simtime start_time = p->u.pod.status.start_time;

  snprintf(ip1, sizeof(ip1), "%s", p->u.pod.status.pod_ip);
  assert_true(kubelets_crash(t->ks, "node-1"));
  kl_run(t, SIM_MIN(3));
  assert_true(kubelets_restart(t->ks, "node-1"));
  assert_int_equal(machine(t, "node-1"), MACHINE_UP);
  kl_run(t, SIM_MIN(3) + SIM_SEC(1));
  /* The kubelet is back at once: Lease, Ready, Rebooted; the volume of
   * the pod it is about to restart never left volumesInUse. */
  assert_true(
      str_list_has(&node(t, "node-1")->u.node.volumes_in_use, CSI_NAME));
  assert_int_equal(event_at(t, "node-1", "Starting", 0), SIM_MIN(3));
  assert_int_equal(lease_renewed(t, "node-1"), SIM_MIN(3));
  assert_int_equal(event_at(t, "node-1", "Rebooted", 0), SIM_MIN(3));
  assert_non_null(strstr(event(t, "node-1", "Rebooted", 0)->message,
                         "Node node-1 has been rebooted, boot id: "));
  assert_string_equal(node(t, "node-1")->u.node.ready.reason, "KubeletReady");
  /* web-0 is the same pod, restarted: Running, not ready, one restart. */
  p = kl_pod(t, "web-0");
  assert_int_equal(p->meta.uid, uid);
  assert_int_equal(p->u.pod.status.phase, POD_RUNNING);
  assert_int_equal(p->u.pod.status.ready.status, COND_FALSE);
  assert_int_equal(p->u.pod.status.containers[0].state, CSTATE_WAITING);
  assert_int_equal(p->u.pod.status.containers[0].restart_count, 1);
  assert_int_equal(p->u.pod.status.start_time, start_time);

  kl_run(t, SIM_MIN(5));
  p = kl_pod(t, "web-0");
  assert_int_equal(p->u.pod.status.ready.status, COND_TRUE);
  assert_int_equal(p->u.pod.status.containers[0].restart_count, 1);
  assert_non_null(p->u.pod.status.pod_ip);
  assert_string_not_equal(p->u.pod.status.pod_ip, ip1);
  /* A new sandbox of the same incarnation, writing again after the
   * volume was reported in use and mounted anew. */
  const struct truth_pod *tp = truth_pod(t->f.truth, uid);
  assert_non_null(tp);
  assert_true(tp->started > SIM_MIN(3));
  assert_string_equal(tp->ip, p->u.pod.status.pod_ip);
  assert_int_equal(truth_volume(t->f.truth, "pv-1")->writers_nr, 1);
  assert_int_equal(truth_mounts(t->f.truth, "pv-1", "node-1"), 1);
  /* The image was still on disk: no pull. */
  assert_string_equal(event(t, "web-0", "Pulled", 1)->message,
                      "Container image \"registry.example/app:1\" already "
                      "present on machine");
  /* Its status was re-posted as soon as the relist delivered it. */
  assert_int_equal(first_change(t, "kubelet", KIND_POD, "web-0", SIM_MIN(3)),
                   SIM_MIN(3) + SIM_MS(5));
}

static void restart_cleans_up_pods_deleted_while_the_node_was_down(void **state)
{
  struct kl_fixture *t = *state;
  uint64_t uid0 = two_running_pods(t), uid2;

  create_pod(t, "web-2", "node-1", NULL, 0);
  kl_run(t, SIM_SEC(90));
  uid2 = kl_pod(t, "web-2")->meta.uid;
  assert_non_null(truth_pod(t->f.truth, uid2));
  assert_true(kubelets_crash(t->ks, "node-1"));
  kl_run(t, SIM_MIN(2));
  /* While it is down: web-0 deleted gracefully (taint eviction would), web-2
   * force-deleted. */
  graceful_delete(t, "web-0");
  force_delete(t, "web-2");
  kl_run(t, SIM_MIN(8));
  assert_non_null(kl_pod(t, "web-0")); /* Terminating: nobody finishes it */
  assert_true(kubelets_restart(t->ks, "node-1"));
  assert_int_equal(event_at(t, "node-1", "Starting", 0), SIM_MIN(8));
  kl_run(t, SIM_MIN(8) + SIM_MS(1));
  /* The first status post (Ready) leaves volumesInUse alone: the volume
   * manager is not synced before the pods are listed. */
  assert_int_equal(first_change(t, "kubelet", KIND_NODE, "node-1", SIM_MIN(8)),
                   SIM_MIN(8));
  assert_true(
      str_list_has(&node(t, "node-1")->u.node.volumes_in_use, CSI_NAME));
  kl_run(t, SIM_MIN(9));

  /* web-0: terminated by the kubelet, terminal, final-deleted by it. */
  assert_null(kl_pod(t, "web-0"));
  assert_int_equal(changes(t, "kubelet", KIND_POD, "web-0", "delete",
                           SIM_MIN(8), SIM_MIN(9)),
                   1);
  assert_null(truth_pod(t->f.truth, uid0));
  assert_null(truth_pod(t->f.truth, uid2));
  assert_int_equal(truth_mounts(t->f.truth, "pv-1", "node-1"), 0);
  /* Nothing runs there now, so nothing is in use: the stale volumesInUse
   * is cleared by the first status post. */
  assert_false(
      str_list_has(&node(t, "node-1")->u.node.volumes_in_use, CSI_NAME));
  assert_null(event(t, "web-2", "Killing", 0));
}

static void pod_bound_while_down_starts_after_restart(void **state)
{
  struct kl_fixture *t = *state;

  two_running_pods(t);
  assert_true(kubelets_crash(t->ks, "node-1"));
  create_pod(t, "web-3", "node-1", NULL, 0);
  kl_run(t, SIM_MIN(4));
  assert_int_equal(kl_pod(t, "web-3")->u.pod.status.phase, POD_PENDING);
  assert_int_equal(kl_pod(t, "web-3")->u.pod.status.start_time, SIMTIME_NEVER);
  assert_true(kubelets_restart(t->ks, "node-1"));
  kl_run(t, SIM_MIN(6));
  assert_int_equal(kl_pod(t, "web-3")->u.pod.status.phase, POD_RUNNING);
  assert_int_equal(kl_pod(t, "web-3")->u.pod.status.containers[0].restart_count,
                   0);
}

/* --- partition ----------------------------------------------------------- */

static void
partition_keeps_containers_running_and_writing_without_api_writes(void **state)
{
  struct kl_fixture *t = *state;
  static const char *const node1[] = {"node-1", "web-0", NULL};
  uint64_t uid = two_running_pods(t);
  int tries = 0;

  assert_true(kubelets_partition(t->ks, "node-1"));
  assert_int_equal(machine(t, "node-1"), MACHINE_PARTITIONED);
  /* A graceful delete the kubelet never hears of. */
  graceful_delete(t, "web-0");
  kl_run(t, SIM_MIN(10));
  const struct truth_pod *tp = truth_pod(t->f.truth, uid);
  assert_non_null(tp);
  assert_true(tp->running);
  assert_int_equal(truth_volume(t->f.truth, "pv-1")->writers_nr, 1);
  assert_int_equal(truth_mounts(t->f.truth, "pv-1", "node-1"), 1);
  assert_null(event(t, "web-0", "Killing", 0));
  /* The kubelet tried (Lease back-off, status ticks) but nothing reached
   * the API server. */
  for (size_t i = 0; i < t->reqs_nr; i++)
    if (t->reqs[i].at > SIM_SEC(60) && !strcmp(t->reqs[i].who, "kubelet") &&
        (!strcmp(t->reqs[i].name, "node-1") ||
         !strcmp(t->reqs[i].name, "web-0")))
      tries++;
  assert_int_equal(tries, 0);
  assert_int_equal(kubelet_requests(t, node1, SIM_SEC(60), SIM_MIN(10)), 0);
  assert_true(lease_renewed(t, "node-1") <= SIM_SEC(60));
}

static void
heal_kills_force_deleted_pods_and_finishes_terminating_ones(void **state)
{
  struct kl_fixture *t = *state;
  uint64_t uid0 = two_running_pods(t), uid2;
  simtime heal = SIM_MIN(5);
  const struct truth_volume *tv;

  create_pod(t, "web-2", "node-1", NULL, 0);
  kl_run(t, SIM_SEC(90));
  uid2 = kl_pod(t, "web-2")->meta.uid;
  assert_true(kubelets_partition(t->ks, "node-1"));
  kl_run(t, SIM_MIN(2));
  /* Split brain in the making: web-0 force-deleted while it writes. */
  force_delete(t, "web-0");
  graceful_delete(t, "web-2");
  kl_run(t, heal);
  assert_non_null(truth_pod(t->f.truth, uid0));
  tv = truth_volume(t->f.truth, "pv-1");
  assert_int_equal(tv->writers_nr, 1);

  assert_true(kubelets_heal(t->ks, "node-1"));
  assert_int_equal(machine(t, "node-1"), MACHINE_UP);
  kl_run(t, heal + SIM_MS(4));
  assert_non_null(truth_pod(t->f.truth, uid0)); /* relist not there yet */
  kl_run(t, heal + SIM_SEC(30));
  /* The relist came after the watch delay: both killed then. */
  assert_int_equal(event_at(t, "web-0", "Killing", 0), heal + SIM_MS(5));
  assert_int_equal(event_at(t, "web-2", "Killing", 0), heal + SIM_MS(5));
  assert_null(truth_pod(t->f.truth, uid0));
  assert_null(truth_pod(t->f.truth, uid2));
  /* web-0 kept writing until the kill. */
  tv = truth_volume(t->f.truth, "pv-1");
  assert_int_equal(tv->writers_nr, 0);
  assert_true(tv->last_write >= heal + SIM_MS(5));
  assert_true(tv->last_write <= heal + SIM_SEC(2));
  /* web-2 finished its termination: terminal, final-deleted. */
  assert_null(kl_pod(t, "web-2"));
  assert_int_equal(changes(t, "kubelet", KIND_POD, "web-2", "delete", heal,
                           heal + SIM_SEC(30)),
                   1);
  /* No write for the force-deleted pod. */
  assert_int_equal(
      changes(t, "kubelet", KIND_POD, "web-0", NULL, heal, heal + SIM_SEC(30)),
      0);
  /* Heartbeats again: the Lease within the 7 s back-off cap, the node
   * status at its next tick. */
  simtime lease = first_change(t, "kubelet", KIND_LEASE, "node-1", heal);
  assert_true(lease >= heal && lease <= heal + SIM_SEC(7));
  assert_true(lease_renewed(t, "node-1") > heal + SIM_SEC(20));
  simtime st = first_change(t, "kubelet", KIND_NODE, "node-1", heal);
  assert_true(st <= heal + SIM_SEC(11));
  assert_false(
      str_list_has(&node(t, "node-1")->u.node.volumes_in_use, CSI_NAME));
}

static bool set_unknown(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.node.ready = (struct condition){.status = COND_UNKNOWN,
                                       .last_transition_time = SIM_SEC(120),
                                       .reason = "NodeStatusUnknown",
                                       .message = "Kubelet stopped posting "
                                                  "node status."};
  return true;
}

static bool set_pod_unready(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.pod.status.ready.status = COND_FALSE;
  return true;
}

static void heal_reposts_statuses_the_control_plane_changed(void **state)
{
  struct kl_fixture *t = *state;

  two_running_pods(t);
  assert_true(kubelets_partition(t->ks, "node-1"));
  kl_run(t, SIM_MIN(2));
  /* The node lifecycle controller marks the node Unknown and its pods not
   * ready; the partitioned kubelet cannot see it. */
  assert_int_equal(api_patch(t->f.api, "node-controller", KIND_NODE, "",
                             "node-1", 0, set_unknown, NULL, NULL),
                   API_OK);
  assert_int_equal(api_patch(t->f.api, "node-controller", KIND_POD, "default",
                             "web-0", 0, set_pod_unready, NULL, NULL),
                   API_OK);
  kl_run(t, SIM_MIN(5));
  assert_int_equal(node(t, "node-1")->u.node.ready.status, COND_UNKNOWN);
  assert_true(kubelets_heal(t->ks, "node-1"));
  kl_run(t, SIM_MIN(5) + SIM_SEC(21));
  assert_int_equal(node(t, "node-1")->u.node.ready.status, COND_TRUE);
  assert_true(event_at(t, "node-1", "NodeReady", 0) > SIM_MIN(5));
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.ready.status, COND_TRUE);
}

static void
crashed_while_partitioned_boots_without_pods_until_healed(void **state)
{
  struct kl_fixture *t = *state;
  uint64_t uid = two_running_pods(t);
  enum node_machine m;
  bool cut;

  assert_true(kubelets_partition(t->ks, "node-1"));
  assert_true(kubelets_crash(t->ks, "node-1"));
  assert_true(kubelets_machine(t->ks, "node-1", &m, &cut));
  assert_int_equal(m, MACHINE_CRASHED);
  assert_true(cut);
  kl_run(t, SIM_MIN(2));
  assert_true(kubelets_restart(t->ks, "node-1"));
  assert_int_equal(machine(t, "node-1"), MACHINE_PARTITIONED);
  kl_run(t, SIM_MIN(4));
  /* No pod source without the API server: nothing runs. */
  assert_null(truth_pod(t->f.truth, uid));
  assert_true(lease_renewed(t, "node-1") <= SIM_SEC(60));
  assert_true(kubelets_heal(t->ks, "node-1"));
  kl_run(t, SIM_MIN(6));
  assert_non_null(truth_pod(t->f.truth, uid));
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.ready.status, COND_TRUE);
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.containers[0].restart_count,
                   1);
}

/* --- graceful node shutdown ---------------------------------------------- */

static void shutdown_terminates_pods_in_order_then_powers_off(void **state)
{
  struct kl_fixture *t = *state;
  const struct object *p;
  simtime sd = SIM_SEC(120);
  uint64_t uid0, uidc;

  t->f.s.timings.v[TIMING_SHUTDOWN_GRACE_PERIOD] = SIM_SEC(30);
  t->f.s.timings.v[TIMING_SHUTDOWN_GRACE_PERIOD_CRITICAL] = SIM_SEC(10);
  uid0 = two_running_pods(t);
  uidc = create_pod(t, "agent", "node-1", NULL, CRITICAL)->meta.uid;
  kl_run(t, sd);
  assert_non_null(truth_pod(t->f.truth, uidc));

  assert_true(kubelets_shutdown(t->ks, "node-1"));
  assert_int_equal(machine(t, "node-1"), MACHINE_SHUTTING_DOWN);
  /* NotReady posted at once, with the shutdown manager's message. */
  const struct object *n = node(t, "node-1");
  assert_int_equal(n->u.node.ready.status, COND_FALSE);
  assert_string_equal(n->u.node.ready.reason, "KubeletNotReady");
  assert_string_equal(n->u.node.ready.message, "node is shutting down");
  assert_int_equal(event_at(t, "node-1", "NodeNotReady", 0), sd);
  /* Regular pods first: Failed, Terminated, at once; critical pods wait. */
  p = kl_pod(t, "web-0");
  assert_int_equal(p->u.pod.status.phase, POD_FAILED);
  assert_string_equal(p->u.pod.status.reason, "Terminated");
  assert_string_equal(
      p->u.pod.status.message,
      "Pod was terminated in response to imminent node shutdown.");
  assert_int_equal(kl_pod(t, "agent")->u.pod.status.phase, POD_RUNNING);
  assert_int_equal(event_at(t, "web-0", "Killing", 0), sd);
  assert_null(event(t, "agent", "Killing", 0));

  /* A pod bound now is rejected at admission. */
  create_pod(t, "late", "node-1", NULL, 0);
  kl_run(t, sd + SIM_MS(5));
  assert_int_equal(kl_pod(t, "late")->u.pod.status.phase, POD_FAILED);
  assert_string_equal(kl_pod(t, "late")->u.pod.status.reason, "NodeShutdown");
  assert_string_equal(
      kl_pod(t, "late")->u.pod.status.message,
      "Pod was rejected: Pod was rejected as the node is shutting down.");

  kl_run(t, sd + SIM_MIN(1));
  /* The critical pod went after web-0 stopped, within 1 s each. */
  simtime k = event_at(t, "agent", "Killing", 0);
  assert_true(k > sd && k <= sd + SIM_SEC(1));
  assert_int_equal(kl_pod(t, "agent")->u.pod.status.phase, POD_FAILED);
  assert_string_equal(kl_pod(t, "agent")->u.pod.status.reason, "Terminated");
  /* Then the machine is off: nothing runs; the pods stay (not deleted). */
  assert_int_equal(machine(t, "node-1"), MACHINE_CRASHED);
  assert_null(truth_pod(t->f.truth, uid0));
  assert_null(truth_pod(t->f.truth, uidc));
  assert_non_null(kl_pod(t, "web-0"));
  assert_non_null(kl_pod(t, "agent"));
  assert_int_equal(
      changes(t, "kubelet", KIND_POD, "web-0", "delete", 0, SIM_MIN(10)), 0);
  /* Powered off before the volume teardown was reported: volumesInUse
   * still lists it (issues #106227, #115148). */
  assert_true(
      str_list_has(&node(t, "node-1")->u.node.volumes_in_use, CSI_NAME));
  assert_true(lease_renewed(t, "node-1") <= sd + SIM_SEC(3));
  /* node-2 is untouched. */
  assert_int_equal(kl_pod(t, "web-1")->u.pod.status.phase, POD_RUNNING);
}

static void shutdown_grace_is_the_pods_own_when_shorter(void **state)
{
  struct kl_fixture *t = *state;
  struct object o;
  simtime sd = SIM_SEC(60);

  /* 20 s for regular pods; web-0's own grace is 1 s (the 2 s minimum kill
   * grace applies). */
  t->f.s.timings.v[TIMING_SHUTDOWN_GRACE_PERIOD] = SIM_SEC(20);
  kl_start(t);
  o = fixture_pod(&t->f, "web-0", NULL);
  o.u.pod.spec.node_name = "node-1";
  o.u.pod.spec.termination_grace_period_seconds = 1;
  fixture_create(&t->f, &o);
  kl_run(t, sd);
  assert_true(kubelets_shutdown(t->ks, "node-1"));
  assert_true(fixture_noted(&t->f, "grace 1s"));
  assert_true(fixture_noted(&t->f, "1 regular pod(s) get 20s to stop"));
  kl_run(t, sd + SIM_SEC(5));
  assert_int_equal(machine(t, "node-1"), MACHINE_CRASHED);
}

static void shutdown_without_grace_period_is_a_crash(void **state)
{
  struct kl_fixture *t = *state;
  static const char *const node1[] = {"node-1", "web-0", NULL};
  uint64_t uid = two_running_pods(t);

  assert_int_equal(t->f.s.timings.v[TIMING_SHUTDOWN_GRACE_PERIOD], 0);
  assert_true(kubelets_shutdown(t->ks, "node-1"));
  assert_int_equal(machine(t, "node-1"), MACHINE_CRASHED);
  assert_null(truth_pod(t->f.truth, uid));
  kl_run(t, SIM_MIN(5));
  assert_int_equal(kubelet_requests(t, node1, SIM_SEC(60), SIM_MIN(5)), 0);
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_RUNNING);
  assert_int_equal(node(t, "node-1")->u.node.ready.status, COND_TRUE);
}

static void node_shut_down_gracefully_boots_and_posts_ready(void **state)
{
  struct kl_fixture *t = *state;

  t->f.s.timings.v[TIMING_SHUTDOWN_GRACE_PERIOD] = SIM_SEC(30);
  two_running_pods(t);
  assert_true(kubelets_shutdown(t->ks, "node-1"));
  kl_run(t, SIM_MIN(2));
  assert_int_equal(machine(t, "node-1"), MACHINE_CRASHED);
  assert_true(kubelets_restart(t->ks, "node-1"));
  kl_run(t, SIM_MIN(3));
  assert_int_equal(node(t, "node-1")->u.node.ready.status, COND_TRUE);
  assert_true(event_at(t, "node-1", "NodeReady", 0) >= SIM_MIN(2));
  /* The Failed pod is terminal: not started again. */
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_FAILED);
  assert_int_equal(truth_volume(t->f.truth, "pv-1")->writers_nr, 0);
}

/* --- the VM deleted, a node added ---------------------------------------- */

static void removed_vm_is_gone_with_its_pods(void **state)
{
  struct kl_fixture *t = *state;
  static const char *const node1[] = {"node-1", "web-0", NULL};
  uint64_t uid = two_running_pods(t);

  assert_true(kubelets_remove(t->ks, "node-1"));
  assert_int_equal(machine(t, "node-1"), MACHINE_GONE);
  assert_null(truth_pod(t->f.truth, uid));
  assert_true(kubelets_restart(t->ks, "node-1")); /* nothing to boot */
  kl_run(t, SIM_MIN(5));
  assert_int_equal(machine(t, "node-1"), MACHINE_GONE);
  assert_int_equal(kubelet_requests(t, node1, SIM_SEC(60), SIM_MIN(5)), 0);
}

static void added_node_gets_a_kubelet_and_runs_pods(void **state)
{
  struct kl_fixture *t = *state;
  const char *zone = NULL;
  const struct object *n;

  kl_start(t);
  kl_run(t, SIM_SEC(30));
  assert_true(kubelets_add_node(t->ks, "node-9", NULL, &zone));
  /* Round-robin over the fixture's zones a, b: the third node is in a. */
  assert_string_equal(zone, "a");
  n = node(t, "node-9");
  assert_non_null(n);
  assert_int_equal(n->u.node.ready.status, COND_TRUE);
  assert_string_equal(kv_get(&n->meta.labels, "topology.kubernetes.io/zone"),
                      "a");
  assert_string_equal(kv_get(&n->meta.labels, "kubernetes.io/hostname"),
                      "node-9");
  assert_int_equal(changes(t, "kubelet", KIND_NODE, "node-9", "create",
                           SIM_SEC(30), SIM_SEC(30)),
                   1);
  assert_int_equal(event_at(t, "node-9", "Starting", 0), SIM_SEC(30));
  assert_false(kubelets_add_node(t->ks, "node-9", NULL, &zone));
  assert_true(kubelets_add_node(t->ks, "node-10", "c", &zone));
  assert_string_equal(zone, "c");
  create_pod(t, "web-0", "node-9", NULL, 0);
  kl_run(t, SIM_SEC(120));
  assert_non_null(api_get(t->f.api, KIND_LEASE, "kube-node-lease", "node-9"));
  assert_true(lease_renewed(t, "node-9") > SIM_SEC(100));
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_RUNNING);
  assert_non_null(strstr(kl_pod(t, "web-0")->u.pod.status.pod_ip, "10.244.2."));
  assert_int_equal(machine(t, "node-9"), MACHINE_UP);
}

static void node_deleted_and_added_again_is_a_fresh_machine(void **state)
{
  struct kl_fixture *t = *state;

  two_running_pods(t);
  assert_true(kubelets_remove(t->ks, "node-1"));
  assert_int_equal(api_delete(t->f.api, "cloud-node-lifecycle-controller",
                              KIND_NODE, "", "node-1", NULL),
                   API_OK);
  kl_run(t, SIM_MIN(2));
  assert_true(kubelets_add_node(t->ks, "node-1", "a", NULL));
  assert_int_equal(machine(t, "node-1"), MACHINE_UP);
  create_pod(t, "web-5", "node-1", NULL, 0);
  kl_run(t, SIM_MIN(3));
  assert_int_equal(kl_pod(t, "web-5")->u.pod.status.phase, POD_RUNNING);
  /* A new VM has an empty image cache, and is not "rebooted". */
  assert_non_null(event(t, "web-5", "Pulling", 0));
  assert_null(event(t, "node-1", "Rebooted", 0));
}

static bool cordon(struct object *o, void *ctx)
{
  o->u.node.unschedulable = *(bool *)ctx;
  return true;
}

static void kubelet_reports_cordon_and_uncordon(void **state)
{
  struct kl_fixture *t = *state;
  bool on = true, off = false;

  kl_start(t);
  kl_run(t, SIM_SEC(30));
  assert_int_equal(api_patch(t->f.api, "kubectl", KIND_NODE, "", "node-1", 0,
                             cordon, &on, NULL),
                   API_OK);
  kl_run(t, SIM_SEC(60));
  assert_int_equal(event_at(t, "node-1", "NodeNotSchedulable", 0),
                   SIM_SEC(30) + SIM_MS(5));
  assert_string_equal(event(t, "node-1", "NodeNotSchedulable", 0)->message,
                      "Node node-1 status is now: NodeNotSchedulable");
  assert_int_equal(api_patch(t->f.api, "kubectl", KIND_NODE, "", "node-1", 0,
                             cordon, &off, NULL),
                   API_OK);
  kl_run(t, SIM_SEC(90));
  assert_int_equal(event_at(t, "node-1", "NodeSchedulable", 0),
                   SIM_SEC(60) + SIM_MS(5));
  assert_null(event(t, "node-2", "NodeNotSchedulable", 0));
}

/* --- determinism --------------------------------------------------------- */

static uint64_t run_world(uint64_t seed)
{
  struct kl_fixture *t = calloc(1, sizeof(*t));
  uint64_t d = SIM_FNV_INIT;
  size_t nr;

  fixture_init(&t->f, 2, seed);
  t->f.s.timings.v[TIMING_SHUTDOWN_GRACE_PERIOD] = SIM_SEC(20);
  kl_start(t);
  bound_claim(t, "data-web-0", "pv-1", PVSRC_CSI);
  attach_pv1(t, "node-1");
  create_pod(t, "web-0", "node-1", "data-web-0", 0);
  create_pod(t, "web-1", "node-2", NULL, 0);
  kl_run(t, SIM_MIN(1));
  kubelets_crash(t->ks, "node-1");
  kl_run(t, SIM_MIN(3));
  kubelets_restart(t->ks, "node-1");
  kl_run(t, SIM_MIN(6));
  kubelets_partition(t->ks, "node-2");
  kl_run(t, SIM_MIN(8));
  force_delete(t, "web-1");
  kl_run(t, SIM_MIN(9));
  kubelets_heal(t->ks, "node-2");
  kl_run(t, SIM_MIN(12));
  kubelets_shutdown(t->ks, "node-1");
  kl_run(t, SIM_MIN(14));
  kubelets_restart(t->ks, "node-1");
  kl_run(t, SIM_MIN(20));
  const struct event *const *ev = api_events(t->f.api, &nr);
  for (size_t i = 0; i < nr; i++) {
    d = sim_fnv1a(d, ev[i]->reason, strlen(ev[i]->reason));
    d = sim_fnv1a(d, ev[i]->message, strlen(ev[i]->message));
    d = sim_fnv1a(d, &ev[i]->last_timestamp, sizeof(ev[i]->last_timestamp));
  }
  d = sim_fnv1a(d, &t->f.trace.digest, sizeof(t->f.trace.digest));
  kubelets_stop(t->ks);
  fixture_release(&t->f);
  free(t);
  return d;
}

static void
same_seed_gives_the_same_faulty_run_and_another_seed_another(void **state)
{
  (void)state;
  assert_int_equal(run_world(5), run_world(5));
  assert_true(run_world(5) != run_world(6));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, kl_setup, kl_teardown)
      T(crash_stops_containers_writers_and_heartbeats_and_writes_nothing),
      T(crash_of_a_crashed_node_and_unknown_nodes_change_nothing),
      T(restart_brings_pods_back_in_place_with_new_ips),
      T(restart_cleans_up_pods_deleted_while_the_node_was_down),
      T(pod_bound_while_down_starts_after_restart),
      T(partition_keeps_containers_running_and_writing_without_api_writes),
      T(heal_kills_force_deleted_pods_and_finishes_terminating_ones),
      T(heal_reposts_statuses_the_control_plane_changed),
      T(crashed_while_partitioned_boots_without_pods_until_healed),
      T(shutdown_terminates_pods_in_order_then_powers_off),
      T(shutdown_grace_is_the_pods_own_when_shorter),
      T(shutdown_without_grace_period_is_a_crash),
      T(node_shut_down_gracefully_boots_and_posts_ready),
      T(removed_vm_is_gone_with_its_pods),
      T(added_node_gets_a_kubelet_and_runs_pods),
      T(node_deleted_and_added_again_is_a_fresh_machine),
      T(kubelet_reports_cordon_and_uncordon),
      T(same_seed_gives_the_same_faulty_run_and_another_seed_another),
#undef T
  };

  return cmocka_run_group_tests_name("kubelet_failures", tests, NULL, NULL);
}
