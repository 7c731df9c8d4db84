/*
 * test_kubelet.c - the kubelets against the real engine and API server,
 * alone in a tiny cluster (tests/helpers/fixtures.h): the test plays the
 * scheduler (spec.nodeName set at creation), the PV controller (claims
 * bound by hand) and the attach/detach controller (volumesAttached
 * written by hand), and checks pod status, events, the Lease, the node
 * status and the ground truth (containers, mounts, writers).
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

static struct container *container(struct kl_fixture *t, const char *name,
                                   const char *image)
{
  struct container *c = arena_calloc(&t->f.s.arena, 1, sizeof(*c));

  c->name = name;
  c->image = image;
  return c;
}

static struct probe probe(int delay, int period, int success, int failure)
{
  return (struct probe){.set = true,
                        .initial_delay_seconds = delay,
                        .period_seconds = period,
                        .timeout_seconds = 1,
                        .success_threshold = success,
                        .failure_threshold = failure};
}

/* A pod bound to node (NULL: unbound) with one container "app". */
static struct object pod_spec(struct kl_fixture *t, const char *name,
                              const char *node, const char *claim,
                              const char *image, const struct probe *readiness)
{
  struct object o = fixture_pod(&t->f, name, claim);
  struct container *c = container(t, "app", image);

  if (claim)
    c->volume_mounts = o.u.pod.spec.containers[0].volume_mounts;
  if (readiness)
    c->readiness = *readiness;
  o.u.pod.spec.containers = c;
  o.u.pod.spec.node_name = node;
  object_set_defaults(&o);
  return o;
}

static const struct object *create_pod(struct kl_fixture *t, const char *name,
                                       const char *node, const char *claim,
                                       const char *image,
                                       const struct probe *readiness)
{
  struct object o = pod_spec(t, name, node, claim, image, readiness);
  return fixture_create(&t->f, &o);
}

static void add_image(struct kl_fixture *t, const char *image, bool crashes,
                      bool never_ready, simtime startup)
{
  size_t nr = t->f.s.images_nr;
  struct image_decl *v = arena_calloc(&t->f.s.arena, nr + 1, sizeof(*v));

  if (nr)
    memcpy(v, t->f.s.images, nr * sizeof(*v));
  v[nr] = (struct image_decl){.image = image,
                              .crashes = crashes,
                              .never_ready = never_ready,
                              .startup = startup};
  t->f.s.images = v;
  t->f.s.images_nr = nr + 1;
}

/* A claim bound to a PV of the given source, as the PV controller would
 * leave them. Returns the PV name. */
static const char *bound_claim(struct kl_fixture *t, const char *claim,
                               const char *pv, enum pv_source src)
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
  return pv;
}

/* The i-th (0-based) kubelet event with this reason about pod name, or
 * NULL. */
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

static int events(struct kl_fixture *t, const char *name, const char *reason)
{
  int n = 0;

  while (event(t, name, reason, n))
    n++;
  return n;
}

static simtime event_at(struct kl_fixture *t, const char *name,
                        const char *reason, int i)
{
  const struct event *e = event(t, name, reason, i);
  return e ? e->last_timestamp : SIMTIME_NEVER;
}

static const char *event_msg(struct kl_fixture *t, const char *name,
                             const char *reason, int i)
{
  const struct event *e = event(t, name, reason, i);
  return e ? e->message : "";
}

/* Requests by who on kind that changed the store (verb NULL = any). */
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

static bool set_attached(struct object *o, void *ctx)
{
  const char **names = ctx;
  size_t n = 0;

  while (names[n])
    n++;
  o->u.node.volumes_attached = (struct str_list){names, n};
  return true;
}

/* The test plays the attach/detach controller. */
static void attach(struct kl_fixture *t, const char *node, const char **names)
{
  assert_int_equal(api_patch(t->f.api, "attachdetach-controller", KIND_NODE, "",
                             node, 0, set_attached, names, NULL),
                   API_OK);
}

static bool str_list_has(const struct str_list *l, const char *s)
{
  for (size_t i = 0; i < l->nr; i++)
    if (!strcmp(l->v[i], s))
      return true;
  return false;
}

/* --- pod start ----------------------------------------------------------- */

static void bound_pod_without_volumes_becomes_running_and_ready(void **state)
{
  struct kl_fixture *t = *state;
  const struct object *p;
  const struct truth_pod *tp;
  uint64_t uid;

  kl_start(t);
  uid = create_pod(t, "web-0", "node-1", NULL, "registry.example/app:1", NULL)
            ->meta.uid;
  kl_run(t, SIM_SEC(60));

  p = kl_pod(t, "web-0");
  assert_int_equal(p->u.pod.status.phase, POD_RUNNING);
  assert_int_equal(p->u.pod.status.ready.status, COND_TRUE);
  assert_int_equal(p->u.pod.status.containers_ready.status, COND_TRUE);
  assert_int_equal(p->u.pod.status.initialized.status, COND_TRUE);
  assert_non_null(p->u.pod.status.pod_ip);
  assert_non_null(strstr(p->u.pod.status.pod_ip, "10.244.0."));
  assert_non_null(p->u.pod.status.host_ip);
  /* startTime is when the kubelet first synced it: after the watch delay */
  assert_int_equal(p->u.pod.status.start_time, SIM_MS(5));
  assert_int_equal(p->u.pod.status.containers_nr, 1);
  assert_int_equal(p->u.pod.status.containers[0].state, CSTATE_RUNNING);
  assert_true(p->u.pod.status.containers[0].ready);

  /* Events from the kubelet, in order, at plausible times. */
  simtime pulling = event_at(t, "web-0", "Pulling", 0);
  simtime pulled = event_at(t, "web-0", "Pulled", 0);
  simtime created = event_at(t, "web-0", "Created", 0);
  simtime started = event_at(t, "web-0", "Started", 0);
  assert_int_equal(pulling, SIM_MS(5));
  assert_true(pulled > pulling && pulled < SIM_SEC(30));
  assert_true(created > pulled && created < SIM_SEC(50));
  assert_int_equal(started, created);
  assert_string_equal(event(t, "web-0", "Started", 0)->source, "kubelet");
  assert_string_equal(event_msg(t, "web-0", "Pulling", 0),
                      "Pulling image \"registry.example/app:1\"");
  assert_non_null(strstr(event_msg(t, "web-0", "Pulled", 0),
                         "Successfully pulled image "
                         "\"registry.example/app:1\" in "));
  assert_non_null(
      strstr(event_msg(t, "web-0", "Pulled", 0), "including waiting)"));
  assert_string_equal(event_msg(t, "web-0", "Created", 0),
                      "Created container: app");
  assert_string_equal(event_msg(t, "web-0", "Started", 0),
                      "Started container app");
  assert_int_equal(p->u.pod.status.ready.last_transition_time, started);
  assert_int_equal(p->u.pod.status.containers[0].started_at, started);

  /* The truth: the incarnation runs on node-1 with that IP, app ready. */
  tp = truth_pod(t->f.truth, uid);
  assert_non_null(tp);
  assert_string_equal(tp->node, "node-1");
  assert_string_equal(tp->ip, p->u.pod.status.pod_ip);
  assert_true(tp->running);
  assert_true(tp->ready);
}

static void
pod_is_pending_container_creating_until_its_container_starts(void **state)
{
  struct kl_fixture *t = *state;
  const struct object *p;

  kl_start(t);
  create_pod(t, "web-0", "node-1", NULL, "registry.example/app:1", NULL);
  kl_run(t, SIM_MS(6));
  p = kl_pod(t, "web-0");
  assert_int_equal(p->u.pod.status.phase, POD_PENDING);
  assert_int_equal(p->u.pod.status.ready.status, COND_FALSE);
  assert_string_equal(p->u.pod.status.ready.reason, "ContainersNotReady");
  assert_string_equal(p->u.pod.status.ready.message,
                      "containers with unready status: [app]");
  assert_int_equal(p->u.pod.status.containers[0].state, CSTATE_WAITING);
  assert_string_equal(p->u.pod.status.containers[0].reason,
                      "ContainerCreating");
  assert_null(p->u.pod.status.pod_ip);
}

static void second_pod_on_the_node_finds_its_image_already_present(void **state)
{
  struct kl_fixture *t = *state;

  kl_start(t);
  create_pod(t, "web-0", "node-1", NULL, "registry.example/app:1", NULL);
  kl_run(t, SIM_SEC(60));
  create_pod(t, "web-1", "node-1", NULL, "registry.example/app:1", NULL);
  create_pod(t, "web-2", "node-2", NULL, "registry.example/app:1", NULL);
  kl_run(t, SIM_SEC(120));

  assert_int_equal(events(t, "web-1", "Pulling"), 0);
  assert_string_equal(
      event_msg(t, "web-1", "Pulled", 0),
      "Container image \"registry.example/app:1\" already present on machine");
  /* Images are per node: node-2 pulls its own. */
  assert_int_equal(events(t, "web-2", "Pulling"), 1);
  assert_int_equal(kl_pod(t, "web-1")->u.pod.status.phase, POD_RUNNING);
}

static void latest_tag_is_pulled_every_time(void **state)
{
  struct kl_fixture *t = *state;

  kl_start(t);
  create_pod(t, "a", "node-1", NULL, "registry.example/app:latest", NULL);
  kl_run(t, SIM_SEC(60));
  create_pod(t, "b", "node-1", NULL, "registry.example/app:latest", NULL);
  create_pod(t, "c", "node-1", NULL, "registry.example/app", NULL);
  kl_run(t, SIM_SEC(120));
  assert_int_equal(events(t, "b", "Pulling"), 1);
  assert_int_equal(events(t, "c", "Pulling"), 1);
}

static void image_pulls_on_a_node_are_serialized(void **state)
{
  struct kl_fixture *t = *state;
  simtime a, b;

  kl_start(t);
  create_pod(t, "a", "node-1", NULL, "registry.example/a:1", NULL);
  create_pod(t, "b", "node-1", NULL, "registry.example/b:1", NULL);
  kl_run(t, SIM_SEC(120));
  a = event_at(t, "a", "Pulled", 0);
  b = event_at(t, "b", "Pulled", 0);
  assert_true(a != SIMTIME_NEVER && b != SIMTIME_NEVER);
  /* b asked at the same time but waited for a's pull */
  assert_true(b > a);
  assert_non_null(strstr(event_msg(t, "b", "Pulled", 0), "including waiting"));
}

static void init_containers_run_first_and_initialize_the_pod(void **state)
{
  struct kl_fixture *t = *state;
  struct object o =
      pod_spec(t, "web-0", "node-1", NULL, "registry.example/app:1", NULL);
  const struct object *p;

  o.u.pod.spec.init_containers = container(t, "init", "registry.example/i:1");
  o.u.pod.spec.init_containers_nr = 1;
  kl_start(t);
  fixture_create(&t->f, &o);
  kl_run(t, SIM_MS(6));
  p = kl_pod(t, "web-0");
  assert_int_equal(p->u.pod.status.initialized.status, COND_FALSE);
  assert_string_equal(p->u.pod.status.initialized.reason,
                      "ContainersNotInitialized");
  assert_string_equal(p->u.pod.status.initialized.message,
                      "containers with incomplete status: [init]");
  assert_string_equal(p->u.pod.status.containers[0].reason, "PodInitializing");
  kl_run(t, SIM_SEC(90));
  p = kl_pod(t, "web-0");
  assert_int_equal(p->u.pod.status.initialized.status, COND_TRUE);
  assert_int_equal(p->u.pod.status.phase, POD_RUNNING);
  assert_string_equal(event_msg(t, "web-0", "Started", 0),
                      "Started container init");
  assert_string_equal(event_msg(t, "web-0", "Started", 1),
                      "Started container app");
  assert_true(event_at(t, "web-0", "Pulling", 1) >=
              event_at(t, "web-0", "Started", 0));
}

/* --- admission ----------------------------------------------------------- */

static void pod_that_does_not_fit_is_rejected_at_admission(void **state)
{
  struct kl_fixture *t = *state;
  struct object o =
      pod_spec(t, "big", "node-1", NULL, "registry.example/app:1", NULL);
  const struct object *p;

  ((struct container *)o.u.pod.spec.containers)->cpu_request_milli = 5000;
  kl_start(t);
  fixture_create(&t->f, &o);
  kl_run(t, SIM_SEC(30));
  p = kl_pod(t, "big");
  assert_int_equal(p->u.pod.status.phase, POD_FAILED);
  assert_string_equal(p->u.pod.status.reason, "OutOfcpu");
  assert_string_equal(p->u.pod.status.message,
                      "Pod was rejected: Node didn't have enough resource: "
                      "cpu, requested: 5000, used: 0, capacity: 4000");
  assert_string_equal(event_msg(t, "big", "OutOfcpu", 0),
                      "Node didn't have enough resource: cpu, requested: "
                      "5000, used: 0, capacity: 4000");
  assert_int_equal(event(t, "big", "OutOfcpu", 0)->type, EVENT_WARNING);
  assert_int_equal(events(t, "big", "Pulling"), 0);
}

static void pod_not_tolerating_a_no_execute_taint_is_rejected(void **state)
{
  struct kl_fixture *t = *state;
  struct object n = *fixture_get(&t->f, KIND_NODE, "node-1");
  struct taint *x = arena_calloc(&t->f.s.arena, 1, sizeof(*x));

  *x = (struct taint){.key = "example.com/broken",
                      .value = "yes",
                      .effect = TAINT_NO_EXECUTE,
                      .time_added = SIMTIME_NEVER};
  n.u.node.taints = x;
  n.u.node.taints_nr = 1;
  assert_int_equal(api_update(t->f.api, "kubectl", &n, NULL), API_OK);
  kl_start(t);
  kl_run(t, SIM_SEC(1));
  create_pod(t, "web-0", "node-1", NULL, "registry.example/app:1", NULL);
  kl_run(t, SIM_SEC(30));
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_FAILED);
  assert_string_equal(event_msg(t, "web-0", "TaintToleration", 0),
                      "Predicate TaintToleration failed: node(s) had taints "
                      "that the pod didn't tolerate");
}

/* --- volumes ------------------------------------------------------------- */

static void claim_on_a_hostpath_volume_is_mounted_and_written(void **state)
{
  struct kl_fixture *t = *state;
  const struct truth_volume *tv;
  uint64_t uid;

  kl_start(t);
  bound_claim(t, "data-web-0", "pv-1", PVSRC_HOSTPATH);
  uid = create_pod(t, "web-0", "node-1", "data-web-0", "registry.example/app:1",
                   NULL)
            ->meta.uid;
  kl_run(t, SIM_SEC(60));

  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_RUNNING);
  assert_int_equal(truth_mounts(t->f.truth, "pv-1", "node-1"), 1);
  tv = truth_volume(t->f.truth, "pv-1");
  assert_non_null(tv);
  assert_int_equal(tv->writers_nr, 1);
  assert_string_equal(tv->writers[0].pod, "web-0");
  assert_int_equal(tv->writers[0].uid, uid);
  assert_int_equal(tv->writers[0].since,
                   kl_pod(t, "web-0")->u.pod.status.containers[0].started_at);
  /* hostPath is not attachable: never reported in use */
  assert_int_equal(
      fixture_get(&t->f, KIND_NODE, "node-1")->u.node.volumes_in_use.nr, 0);
}

static void pod_waits_for_its_claim_to_be_bound(void **state)
{
  struct kl_fixture *t = *state;
  struct object c = fixture_pvc(&t->f, "data", "", GiB);
  const struct object *pc, *out = NULL;

  kl_start(t);
  pc = fixture_create(&t->f, &c);
  create_pod(t, "web-0", "node-1", "data", "registry.example/app:1", NULL);
  kl_run(t, SIM_SEC(60));
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_PENDING);
  assert_int_equal(events(t, "web-0", "Pulling"), 0);

  /* The PV controller binds it at 60 s. */
  struct object v = fixture_pv(&t->f, "pv-1", GiB, "");
  v.u.pv.spec.claim_ref = (struct claim_ref){"default", "data", pc->meta.uid};
  fixture_create(&t->f, &v);
  struct object c2 = *pc;
  c2.u.pvc.spec.volume_name = "pv-1";
  assert_int_equal(api_update(t->f.api, "pv", &c2, &out), API_OK);
  struct object c3 = *out;
  c3.u.pvc.status.phase = PVC_BOUND;
  assert_int_equal(api_update_status(t->f.api, "pv", &c3, NULL), API_OK);
  kl_run(t, SIM_SEC(120));
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_RUNNING);
  assert_true(event_at(t, "web-0", "Pulling", 0) > SIM_SEC(60));
  assert_int_equal(truth_mounts(t->f.truth, "pv-1", "node-1"), 1);
}

#define CSI_NAME "kubernetes.io/csi/disk.csi.stsim.io^pv-1"

static void
attachable_volume_waits_for_volumes_attached_and_in_use(void **state)
{
  struct kl_fixture *t = *state;
  const struct object *node;
  const char *attached[] = {CSI_NAME, NULL};
  simtime in_use_at = SIMTIME_NEVER;

  kl_start(t);
  bound_claim(t, "data-web-0", "pv-1", PVSRC_CSI);
  create_pod(t, "web-0", "node-1", "data-web-0", "registry.example/app:1",
             NULL);
  kl_run(t, SIM_SEC(40));

  /* Reported in use at a node status tick, not mounted: not attached. */
  node = fixture_get(&t->f, KIND_NODE, "node-1");
  assert_true(str_list_has(&node->u.node.volumes_in_use, CSI_NAME));
  assert_int_equal(truth_mounts(t->f.truth, "pv-1", "node-1"), 0);
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_PENDING);
  for (size_t i = 0; i < t->reqs_nr; i++)
    if (t->reqs[i].kind == KIND_NODE && !strcmp(t->reqs[i].who, "kubelet") &&
        t->reqs[i].changed && !strcmp(t->reqs[i].name, "node-1") &&
        t->reqs[i].at > SIM_MS(5) && in_use_at == SIMTIME_NEVER)
      in_use_at = t->reqs[i].at;
  /* On the node status grid (kubelet start + k * 10 s). */
  assert_true(in_use_at != SIMTIME_NEVER);
  assert_int_equal((in_use_at - SIM_MS(5)) % SIM_SEC(10), 0);

  /* The attach/detach controller attaches it at 40 s. */
  attach(t, "node-1", attached);
  kl_run(t, SIM_SEC(90));
  assert_int_equal(truth_mounts(t->f.truth, "pv-1", "node-1"), 1);
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_RUNNING);
  assert_true(event_at(t, "web-0", "Pulling", 0) > SIM_SEC(40));
  assert_int_equal(truth_volume(t->f.truth, "pv-1")->writers_nr, 1);
}

static void
attached_volume_is_not_mounted_before_it_is_reported_in_use(void **state)
{
  struct kl_fixture *t = *state;
  const char *attached[] = {CSI_NAME, NULL};
  simtime tick = SIMTIME_NEVER;

  kl_start(t);
  /* Attached from the start: still, no mount before the node status tick
   * that reports it in use (VerifyControllerAttachedVolume). */
  attach(t, "node-1", attached);
  kl_run(t, SIM_SEC(1));
  bound_claim(t, "data-web-0", "pv-1", PVSRC_CSI);
  create_pod(t, "web-0", "node-1", "data-web-0", "registry.example/app:1",
             NULL);
  kl_run(t, SIM_SEC(60));
  for (size_t i = 0; i < t->reqs_nr && tick == SIMTIME_NEVER; i++)
    if (t->reqs[i].kind == KIND_NODE && !strcmp(t->reqs[i].who, "kubelet") &&
        t->reqs[i].changed && t->reqs[i].at > SIM_SEC(1) &&
        !strcmp(t->reqs[i].name, "node-1"))
      tick = t->reqs[i].at;
  assert_int_equal(tick, SIM_SEC(10) + SIM_MS(5));
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_RUNNING);
  /* The sandbox (and so the mount) came after the tick. */
  assert_true(event_at(t, "web-0", "Pulling", 0) > tick);
}

static void wait_for_mount_times_out_with_failed_mount_before_1_28(void **state)
{
  struct kl_fixture *t = *state;
  const struct event *e;

  t->f.s.kubernetes_minor = 27;
  kl_start(t);
  bound_claim(t, "data-web-0", "pv-1", PVSRC_CSI);
  create_pod(t, "web-0", "node-1", "data-web-0", "registry.example/app:1",
             NULL);
  kl_run(t, SIM_SEC(123));
  assert_int_equal(events(t, "web-0", "FailedMount"), 0);
  kl_run(t, SIM_SEC(124));
  e = event(t, "web-0", "FailedMount", 0);
  assert_non_null(e);
  assert_int_equal(e->type, EVENT_WARNING);
  assert_int_equal(e->last_timestamp, SIM_MS(5) + SIM_SEC(123));
  assert_string_equal(e->message,
                      "Unable to attach or mount volumes: unmounted "
                      "volumes=[data], unattached volumes=[data]: timed out "
                      "waiting for the condition");
  /* It keeps trying: a sync back-off of 10-15 s, then another wait. */
  kl_run(t, SIM_SEC(380));
  assert_int_equal(events(t, "web-0", "FailedMount"), 2);
  simtime second = event_at(t, "web-0", "FailedMount", 1);
  assert_true(second >= e->last_timestamp + SIM_SEC(133));
  assert_true(second <= e->last_timestamp + SIM_SEC(138));
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_PENDING);
}

static void wait_for_mount_timeout_is_traced_but_silent_since_1_28(void **state)
{
  struct kl_fixture *t = *state;

  kl_start(t);
  bound_claim(t, "data-web-0", "pv-1", PVSRC_CSI);
  create_pod(t, "web-0", "node-1", "data-web-0", "registry.example/app:1",
             NULL);
  kl_run(t, SIM_SEC(130));
  assert_int_equal(events(t, "web-0", "FailedMount"), 0);
  assert_true(fixture_noted(&t->f, "unattached volumes=[data]"));
}

/* --- probes -------------------------------------------------------------- */

static void readiness_probe_follows_initial_delay_and_period(void **state)
{
  struct kl_fixture *t = *state;
  struct probe delayed = probe(5, 10, 1, 3), at_once = probe(0, 10, 1, 3);
  const struct object *p;
  simtime start_time, started, ready;

  kl_start(t);
  create_pod(t, "delayed", "node-1", NULL, "registry.example/app:1", &delayed);
  create_pod(t, "at-once", "node-2", NULL, "registry.example/app:1", &at_once);
  kl_run(t, SIM_SEC(90));

  p = kl_pod(t, "delayed");
  start_time = p->u.pod.status.start_time;
  started = p->u.pod.status.containers[0].started_at;
  ready = p->u.pod.status.ready.last_transition_time;
  assert_int_equal(p->u.pod.status.ready.status, COND_TRUE);
  /* The first probe tick (on the pod's grid) after the initial delay. */
  assert_true(ready >= started + SIM_SEC(5));
  assert_true(ready < started + SIM_SEC(15));
  assert_int_equal((ready - start_time) % SIM_SEC(10), 0);

  /* Without an initial delay the probe runs by hand at the start. */
  p = kl_pod(t, "at-once");
  assert_int_equal(p->u.pod.status.ready.status, COND_TRUE);
  assert_int_equal(p->u.pod.status.ready.last_transition_time,
                   p->u.pod.status.containers[0].started_at);
}

static void slow_image_becomes_ready_after_its_startup(void **state)
{
  struct kl_fixture *t = *state;
  struct probe rp = probe(0, 10, 1, 3);
  const struct object *p;
  simtime started, ready;
  uint64_t uid;

  add_image(t, "registry.example/db:slow", false, false, SIM_SEC(45));
  kl_start(t);
  uid = create_pod(t, "db-0", "node-1", NULL, "registry.example/db:slow", &rp)
            ->meta.uid;
  kl_run(t, SIM_SEC(30));
  assert_true(truth_pod(t->f.truth, uid)->running);
  assert_false(truth_pod(t->f.truth, uid)->ready);
  kl_run(t, SIM_SEC(120));
  p = kl_pod(t, "db-0");
  started = p->u.pod.status.containers[0].started_at;
  ready = p->u.pod.status.ready.last_transition_time;
  assert_int_equal(p->u.pod.status.ready.status, COND_TRUE);
  assert_true(ready >= started + SIM_SEC(45));
  assert_true(ready < started + SIM_SEC(55));
  assert_int_equal((ready - p->u.pod.status.start_time) % SIM_SEC(10), 0);
  assert_true(truth_pod(t->f.truth, uid)->ready);
  /* Failed probes before that: one Unhealthy for the streak. */
  assert_int_equal(events(t, "db-0", "Unhealthy"), 1);
  assert_string_equal(event_msg(t, "db-0", "Unhealthy", 0),
                      "Readiness probe failed: HTTP probe failed with "
                      "statuscode: 503");
}

static void never_ready_image_runs_but_is_never_ready(void **state)
{
  struct kl_fixture *t = *state;
  struct probe rp = probe(0, 10, 1, 3);
  const struct object *p;
  uint64_t uid;

  add_image(t, "registry.example/db:unready", false, true, SIMTIME_NEVER);
  kl_start(t);
  uid =
      create_pod(t, "db-0", "node-1", NULL, "registry.example/db:unready", &rp)
          ->meta.uid;
  create_pod(t, "db-1", "node-2", NULL, "registry.example/db:unready", NULL);
  kl_run(t, SIM_MIN(30));
  p = kl_pod(t, "db-0");
  assert_int_equal(p->u.pod.status.phase, POD_RUNNING);
  assert_int_equal(p->u.pod.status.ready.status, COND_FALSE);
  assert_false(p->u.pod.status.containers[0].ready);
  assert_true(truth_pod(t->f.truth, uid)->running);
  assert_false(truth_pod(t->f.truth, uid)->ready);
  assert_int_equal(events(t, "db-0", "Unhealthy"), 1);
  /* Without a readiness probe Kubernetes cannot tell: Ready. */
  assert_int_equal(kl_pod(t, "db-1")->u.pod.status.ready.status, COND_TRUE);
}

static void
failing_readiness_flips_ready_after_failure_threshold_periods(void **state)
{
  struct kl_fixture *t = *state;
  struct probe rp = probe(0, 10, 1, 3);
  const struct object *p;
  simtime st, p1, p2;
  uint64_t uid;

  kl_start(t);
  uid = create_pod(t, "web-0", "node-1", NULL, "registry.example/app:1", &rp)
            ->meta.uid;
  kl_run(t, SIM_SEC(100));
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.ready.status, COND_TRUE);
  st = kl_pod(t, "web-0")->u.pod.status.start_time;

  assert_false(kubelets_set_app_ready(t->ks, "default", "nope", false));
  assert_true(kubelets_set_app_ready(t->ks, "default", "web-0", false));
  assert_false(truth_pod(t->f.truth, uid)->ready);
  /* First failing probe: the next tick of the grid. */
  p1 = st + ((SIM_SEC(100) - st + SIM_SEC(10) - 1) / SIM_SEC(10)) * SIM_SEC(10);
  kl_run(t, p1 + SIM_SEC(19));
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.ready.status, COND_TRUE);
  assert_int_equal(event_at(t, "web-0", "Unhealthy", 0), p1);
  kl_run(t, SIM_SEC(200));
  p = kl_pod(t, "web-0");
  assert_int_equal(p->u.pod.status.ready.status, COND_FALSE);
  assert_int_equal(p->u.pod.status.ready.last_transition_time,
                   p1 + SIM_SEC(20));
  assert_string_equal(p->u.pod.status.ready.reason, "ContainersNotReady");
  assert_int_equal(p->u.pod.status.phase, POD_RUNNING);
  assert_true(truth_pod(t->f.truth, uid)->running);

  assert_true(kubelets_set_app_ready(t->ks, "default", "web-0", true));
  assert_true(truth_pod(t->f.truth, uid)->ready);
  p2 = st + ((SIM_SEC(200) - st + SIM_SEC(10) - 1) / SIM_SEC(10)) * SIM_SEC(10);
  kl_run(t, SIM_SEC(300));
  p = kl_pod(t, "web-0");
  assert_int_equal(p->u.pod.status.ready.status, COND_TRUE);
  assert_int_equal(p->u.pod.status.ready.last_transition_time, p2);
}

static void startup_probe_holds_readiness_until_the_app_started(void **state)
{
  struct kl_fixture *t = *state;
  struct object o =
      pod_spec(t, "db-0", "node-1", NULL, "registry.example/db:slow", NULL);
  struct container *c = (struct container *)o.u.pod.spec.containers;
  const struct object *p;
  simtime started, ready;

  c->startup = probe(0, 10, 1, 30);
  add_image(t, "registry.example/db:slow", false, false, SIM_SEC(45));
  kl_start(t);
  fixture_create(&t->f, &o);
  kl_run(t, SIM_SEC(150));
  p = kl_pod(t, "db-0");
  started = p->u.pod.status.containers[0].started_at;
  ready = p->u.pod.status.ready.last_transition_time;
  assert_int_equal(p->u.pod.status.ready.status, COND_TRUE);
  assert_true(ready >= started + SIM_SEC(45));
  assert_true(ready < started + SIM_SEC(55));
  assert_int_equal(p->u.pod.status.containers[0].restart_count, 0);
}

static void failed_startup_probe_kills_and_restarts_the_container(void **state)
{
  struct kl_fixture *t = *state;
  struct object o =
      pod_spec(t, "db-0", "node-1", NULL, "registry.example/db:slow", NULL);
  struct container *c = (struct container *)o.u.pod.spec.containers;

  c->startup = probe(0, 10, 1, 2);
  add_image(t, "registry.example/db:slow", false, false, SIM_SEC(45));
  kl_start(t);
  fixture_create(&t->f, &o);
  kl_run(t, SIM_SEC(100));
  assert_string_equal(event_msg(t, "db-0", "Killing", 0),
                      "Container app failed startup probe, will be restarted");
  assert_string_equal(event_msg(t, "db-0", "Unhealthy", 0),
                      "Startup probe failed: HTTP probe failed with "
                      "statuscode: 503");
  assert_true(kl_pod(t, "db-0")->u.pod.status.containers[0].restart_count >= 1);
  assert_int_equal(kl_pod(t, "db-0")->u.pod.status.ready.status, COND_FALSE);
}

static bool mark_not_ready(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.pod.status.ready.status = COND_FALSE;
  o->u.pod.status.ready.reason = "NodeNotReady";
  return true;
}

static void kubelet_reposts_a_pod_status_others_changed(void **state)
{
  struct kl_fixture *t = *state;
  const struct object *p;

  kl_start(t);
  create_pod(t, "web-0", "node-1", NULL, "registry.example/app:1", NULL);
  kl_run(t, SIM_SEC(60));
  /* The node lifecycle controller marks it not ready at 60 s. */
  assert_int_equal(api_patch(t->f.api, "node-controller", KIND_POD, "default",
                             "web-0", 0, mark_not_ready, NULL, NULL),
                   API_OK);
  kl_run(t, SIM_SEC(65));
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.ready.status, COND_FALSE);
  kl_run(t, SIM_SEC(75));
  p = kl_pod(t, "web-0");
  assert_int_equal(p->u.pod.status.ready.status, COND_TRUE);
  /* At the status manager's tick: kubelet start + k * 10 s. */
  assert_int_equal(p->u.pod.status.ready.last_transition_time,
                   SIM_SEC(70) + SIM_MS(5));
}

/* --- crashes and restart policies ---------------------------------------- */

static void crashing_image_restarts_with_crashloop_backoff(void **state)
{
  struct kl_fixture *t = *state;
  static const int gaps[] = {10, 20, 40, 80, 160, 300, 300};
  const struct object *p;
  uint64_t uid;
  simtime s0;

  add_image(t, "registry.example/db:broken", true, false, SIMTIME_NEVER);
  kl_start(t);
  uid = create_pod(t, "db-0", "node-1", "data", "registry.example/db:broken",
                   NULL)
            ->meta.uid;
  (void)uid;
  kl_run(t, SIM_MIN(20));
  s0 = event_at(t, "db-0", "Started", 0);
  assert_true(s0 == SIMTIME_NEVER); /* claim "data" missing: never starts */

  /* Same without a claim. */
  create_pod(t, "db-1", "node-1", NULL, "registry.example/db:broken", NULL);
  kl_run(t, SIM_MIN(40));
  s0 = event_at(t, "db-1", "Started", 0);
  assert_true(s0 != SIMTIME_NEVER);
  simtime at = s0;
  for (int i = 0; i < 7; i++) {
    at += SIM_SEC(gaps[i]);
    assert_int_equal(event_at(t, "db-1", "Started", i + 1), at);
    assert_int_equal(event_at(t, "db-1", "BackOff", i), at - SIM_SEC(gaps[i]));
  }
  char want[128];
  snprintf(want, sizeof(want),
           "Back-off restarting failed container app in pod "
           "db-1_default(%llu)",
           (unsigned long long)kl_pod(t, "db-1")->meta.uid);
  assert_string_equal(event_msg(t, "db-1", "BackOff", 0), want);
  assert_int_equal(event(t, "db-1", "BackOff", 0)->type, EVENT_WARNING);

  p = kl_pod(t, "db-1");
  assert_int_equal(p->u.pod.status.phase, POD_RUNNING);
  assert_int_equal(p->u.pod.status.ready.status, COND_FALSE);
  assert_int_equal(p->u.pod.status.containers[0].state, CSTATE_WAITING);
  assert_string_equal(p->u.pod.status.containers[0].reason, "CrashLoopBackOff");
  assert_true(p->u.pod.status.containers[0].restart_count >= 7);
  assert_false(truth_pod(t->f.truth, p->meta.uid)->running);
}

static void
crashing_container_with_restart_policy_never_fails_the_pod(void **state)
{
  struct kl_fixture *t = *state;
  struct object o =
      pod_spec(t, "job", "node-1", NULL, "registry.example/db:broken", NULL);
  const struct object *p;

  o.u.pod.spec.restart_policy = RESTART_NEVER;
  add_image(t, "registry.example/db:broken", true, false, SIMTIME_NEVER);
  kl_start(t);
  uint64_t uid = fixture_create(&t->f, &o)->meta.uid;
  kl_run(t, SIM_SEC(120));
  p = kl_pod(t, "job");
  assert_int_equal(p->u.pod.status.phase, POD_FAILED);
  assert_int_equal(p->u.pod.status.containers[0].state, CSTATE_TERMINATED);
  assert_string_equal(p->u.pod.status.containers[0].reason, "Error");
  assert_int_equal(events(t, "job", "BackOff"), 0);
  assert_null(truth_pod(t->f.truth, uid)); /* sandbox gone */
  assert_non_null(kl_pod(t, "job"));       /* not deleted: nobody asked */
}

static void
crashing_container_with_restart_policy_on_failure_restarts(void **state)
{
  struct kl_fixture *t = *state;
  struct object o =
      pod_spec(t, "job", "node-1", NULL, "registry.example/db:broken", NULL);

  o.u.pod.spec.restart_policy = RESTART_ON_FAILURE;
  add_image(t, "registry.example/db:broken", true, false, SIMTIME_NEVER);
  kl_start(t);
  fixture_create(&t->f, &o);
  kl_run(t, SIM_SEC(120));
  assert_true(events(t, "job", "BackOff") >= 2);
  assert_int_equal(kl_pod(t, "job")->u.pod.status.phase, POD_RUNNING);
}

/* --- termination --------------------------------------------------------- */

struct delete_watch {
  struct kl_fixture *t;
  const char *pod;
  const struct object *last; /* the last stored version before removal */
  int mounts_at_delete;      /* truth mounts of pv-1 when removed */
  const struct truth_volume *tv;
  bool deleted;
};

static void watch_delete(enum watch_type wt, const struct object *old,
                         const struct object *now, void *ctx)
{
  struct delete_watch *w = ctx;

  (void)now;
  if (wt != WATCH_DELETED || old->kind != KIND_POD ||
      strcmp(old->meta.name, w->pod) || w->deleted)
    return;
  w->deleted = true;
  w->last = old;
  w->mounts_at_delete = truth_mounts(w->t->f.truth, "pv-1", "node-1");
}

static void graceful_delete_stops_unmounts_and_final_deletes(void **state)
{
  struct kl_fixture *t = *state;
  struct delete_watch w = {.t = t, .pod = "web-0"};
  const struct truth_volume *tv;
  uint64_t uid;
  simtime killing;

  kl_start(t);
  api_add_write_hook(t->f.api, watch_delete, &w);
  bound_claim(t, "data-web-0", "pv-1", PVSRC_HOSTPATH);
  uid = create_pod(t, "web-0", "node-1", "data-web-0", "registry.example/app:1",
                   NULL)
            ->meta.uid;
  kl_run(t, SIM_SEC(60));
  assert_int_equal(truth_volume(t->f.truth, "pv-1")->writers_nr, 1);

  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-0", NULL),
      API_OK);
  assert_non_null(kl_pod(t, "web-0")); /* only marked: grace 30 s */
  kl_run(t, SIM_SEC(90));

  killing = event_at(t, "web-0", "Killing", 0);
  assert_int_equal(killing, SIM_SEC(60) + SIM_MS(5));
  assert_string_equal(event_msg(t, "web-0", "Killing", 0),
                      "Stopping container app");
  assert_null(kl_pod(t, "web-0"));
  assert_true(w.deleted);
  /* 1.27+: a terminal phase before the delete; the app exited 0. */
  assert_int_equal(w.last->u.pod.status.phase, POD_SUCCEEDED);
  assert_int_equal(w.last->u.pod.status.ready.status, COND_FALSE);
  assert_string_equal(w.last->u.pod.status.ready.reason, "PodCompleted");
  assert_int_equal(w.last->u.pod.status.containers[0].state, CSTATE_TERMINATED);
  assert_string_equal(w.last->u.pod.status.containers[0].reason, "Completed");
  /* Unmounted before the final delete, which the kubelet made. */
  assert_int_equal(w.mounts_at_delete, 0);
  assert_int_equal(
      changes(t, "kubelet", KIND_POD, "web-0", "delete", 0, SIM_SEC(90)), 1);
  /* The app stopped writing within 1 s of SIGTERM. */
  tv = truth_volume(t->f.truth, "pv-1");
  assert_int_equal(tv->writers_nr, 0);
  assert_true(tv->last_write >= killing);
  assert_true(tv->last_write <= killing + SIM_SEC(1));
  assert_null(truth_pod(t->f.truth, uid));
}

static void final_delete_spares_a_newer_pod_with_the_same_name(void **state)
{
  struct kl_fixture *t = *state;
  const struct object *p;
  uint64_t old_uid;

  /* Slow watches: the kubelet learns of the swap only after its final
   * delete, which must then fail on the uid precondition. */
  t->f.s.timings.v[TIMING_WATCH_DELAY] = SIM_SEC(5);
  kl_start(t);
  old_uid =
      create_pod(t, "web-0", "node-1", NULL, "registry.example/app:1", NULL)
          ->meta.uid;
  kl_run(t, SIM_SEC(60));
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-0", NULL),
      API_OK);
  /* Step until the kubelet reacted (Killing), then swap the pod. */
  while (events(t, "web-0", "Killing") == 0)
    assert_true(engine_step(t->f.engine, SIM_SEC(70)));
  struct delete_opts force = DELETE_OPTS_DEFAULT;
  force.grace_seconds = 0;
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-0", &force),
      API_OK);
  create_pod(t, "web-0", NULL, NULL, "registry.example/app:1", NULL);
  kl_run(t, SIM_SEC(120));

  p = kl_pod(t, "web-0");
  assert_non_null(p);
  assert_true(p->meta.uid != old_uid);
  assert_int_equal(p->u.pod.status.phase, POD_PENDING);
  assert_null(truth_pod(t->f.truth, old_uid));
  /* The kubelet tried its final delete and was refused. */
  bool refused = false;
  for (size_t i = 0; i < t->reqs_nr; i++)
    if (!strcmp(t->reqs[i].who, "kubelet") &&
        !strcmp(t->reqs[i].verb, "delete") && t->reqs[i].st == API_CONFLICT)
      refused = true;
  assert_true(refused);
}

static void force_delete_kills_the_running_container(void **state)
{
  struct kl_fixture *t = *state;
  struct delete_opts force = DELETE_OPTS_DEFAULT;
  uint64_t uid;

  kl_start(t);
  bound_claim(t, "data-web-0", "pv-1", PVSRC_HOSTPATH);
  uid = create_pod(t, "web-0", "node-1", "data-web-0", "registry.example/app:1",
                   NULL)
            ->meta.uid;
  kl_run(t, SIM_SEC(60));
  assert_non_null(truth_pod(t->f.truth, uid));

  force.grace_seconds = 0;
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-0", &force),
      API_OK);
  assert_null(kl_pod(t, "web-0")); /* gone from the API at once */
  kl_run(t, SIM_SEC(60) + SIM_MS(4));
  assert_non_null(truth_pod(t->f.truth, uid)); /* kubelet not told yet */
  kl_run(t, SIM_SEC(62));
  assert_int_equal(event_at(t, "web-0", "Killing", 0), SIM_SEC(60) + SIM_MS(5));
  assert_null(truth_pod(t->f.truth, uid));
  assert_int_equal(truth_volume(t->f.truth, "pv-1")->writers_nr, 0);
  kl_run(t, SIM_SEC(90));
  assert_int_equal(truth_mounts(t->f.truth, "pv-1", "node-1"), 0);
  /* Nothing left to write about a pod that no longer exists. */
  assert_int_equal(
      changes(t, "kubelet", KIND_POD, "web-0", NULL, SIM_SEC(60), SIM_SEC(90)),
      0);
}

static void pod_deleted_before_it_started_is_final_deleted(void **state)
{
  struct kl_fixture *t = *state;
  struct delete_watch w = {.t = t, .pod = "web-0"};
  struct object c = fixture_pvc(&t->f, "data", "", GiB);

  kl_start(t);
  api_add_write_hook(t->f.api, watch_delete, &w);
  fixture_create(&t->f, &c); /* never bound */
  create_pod(t, "web-0", "node-1", "data", "registry.example/app:1", NULL);
  kl_run(t, SIM_SEC(30));
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-0", NULL),
      API_OK);
  kl_run(t, SIM_SEC(31));
  assert_null(kl_pod(t, "web-0"));
  assert_int_equal(w.last->u.pod.status.phase, POD_FAILED);
  assert_int_equal(events(t, "web-0", "Killing"), 0);
}

static void new_incarnation_gets_a_new_ip(void **state)
{
  struct kl_fixture *t = *state;
  struct delete_opts force = DELETE_OPTS_DEFAULT;
  char ip1[32];
  const char *ip2;

  kl_start(t);
  create_pod(t, "web-0", "node-1", NULL, "registry.example/app:1", NULL);
  kl_run(t, SIM_SEC(60));
  snprintf(ip1, sizeof(ip1), "%s", kl_pod(t, "web-0")->u.pod.status.pod_ip);
  force.grace_seconds = 0;
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-0", &force),
      API_OK);
  kl_run(t, SIM_SEC(65));
  create_pod(t, "web-0", "node-1", NULL, "registry.example/app:1", NULL);
  kl_run(t, SIM_SEC(120));
  ip2 = kl_pod(t, "web-0")->u.pod.status.pod_ip;
  assert_non_null(ip2);
  assert_string_not_equal(ip1, ip2);
  assert_non_null(strstr(ip1, "10.244.0."));
  assert_non_null(strstr(ip2, "10.244.0."));
}

/* --- heartbeats ---------------------------------------------------------- */

static void leases_are_created_and_renewed(void **state)
{
  struct kl_fixture *t = *state;
  const struct object *l;
  simtime last = SIMTIME_NEVER, seen = SIMTIME_NEVER;
  int renewals = 0, creates = 0;

  kl_start(t);
  /* Renewals are not a write each (apiserver.h, renewing Leases): a
   * reader that looks sees renewTime move on the kubelet's schedule. */
  for (simtime at = SIM_MS(100); at <= SIM_SEC(100); at += SIM_MS(100)) {
    kl_run(t, at);
    l = api_get(t->f.api, KIND_LEASE, "kube-node-lease", "node-1");
    if (!l || l->u.lease.renew_time == seen)
      continue;
    seen = l->u.lease.renew_time;
    assert_true(seen <= at && seen > at - SIM_MS(100));
    if (last != SIMTIME_NEVER) {
      /* renewInterval with up to 4% jitter */
      assert_true(seen - last >= SIM_SEC(10));
      assert_true(seen - last <= SIM_SEC(10) + SIM_MS(400));
      renewals++;
    }
    last = seen;
  }
  l = api_get(t->f.api, KIND_LEASE, "kube-node-lease", "node-1");
  assert_non_null(l);
  assert_string_equal(l->u.lease.holder_identity, "node-1");
  assert_int_equal(l->u.lease.lease_duration_seconds, 40);
  assert_int_equal(l->meta.owner_refs_nr, 1);
  assert_string_equal(l->meta.owner_refs[0].kind, "Node");
  assert_true(l->u.lease.renew_time > SIM_SEC(89));
  for (size_t i = 0; i < t->reqs_nr; i++) {
    const struct kl_req *r = &t->reqs[i];
    if (r->kind != KIND_LEASE || strcmp(r->name, "node-1") || !r->changed)
      continue;
    assert_string_equal(r->verb, "create");
    assert_int_equal(r->at, SIM_MS(5));
    creates++;
  }
  assert_int_equal(creates, 1);
  assert_true(renewals >= 9);
  assert_non_null(api_get(t->f.api, KIND_LEASE, "kube-node-lease", "node-2"));
}

static void lease_is_recreated_when_deleted(void **state)
{
  struct kl_fixture *t = *state;

  kl_start(t);
  kl_run(t, SIM_SEC(15));
  assert_int_equal(api_delete(t->f.api, "kubectl", KIND_LEASE,
                              "kube-node-lease", "node-1", NULL),
                   API_OK);
  kl_run(t, SIM_SEC(30));
  assert_non_null(api_get(t->f.api, KIND_LEASE, "kube-node-lease", "node-1"));
}

static void node_status_is_posted_on_change_or_every_report_period(void **state)
{
  struct kl_fixture *t = *state;
  const struct object *n;

  kl_start(t);
  kl_run(t, SIM_MIN(12));
  assert_int_equal(
      changes(t, "kubelet", KIND_NODE, "node-1", NULL, 0, SIM_MIN(12)), 3);
  n = fixture_get(&t->f, KIND_NODE, "node-1");
  assert_int_equal(n->u.node.last_heartbeat, SIM_MIN(10) + SIM_MS(5));
  assert_int_equal(n->u.node.ready.status, COND_TRUE);
  assert_string_equal(n->u.node.ready.reason, "KubeletReady");
}

static bool set_unknown(struct object *o, void *ctx)
{
  (void)ctx;
  o->u.node.ready = (struct condition){.status = COND_UNKNOWN,
                                       .last_transition_time = SIM_SEC(20),
                                       .reason = "NodeStatusUnknown",
                                       .message = "Kubelet stopped posting"};
  return true;
}

static void kubelet_restores_a_ready_condition_others_changed(void **state)
{
  struct kl_fixture *t = *state;
  const struct object *n;

  kl_start(t);
  kl_run(t, SIM_SEC(20));
  assert_int_equal(api_patch(t->f.api, "node-controller", KIND_NODE, "",
                             "node-1", 0, set_unknown, NULL, NULL),
                   API_OK);
  kl_run(t, SIM_SEC(40));
  n = fixture_get(&t->f, KIND_NODE, "node-1");
  assert_int_equal(n->u.node.ready.status, COND_TRUE);
  /* At the first tick of the 10 s grid after the change was seen. */
  assert_int_equal(n->u.node.ready.last_transition_time,
                   SIM_SEC(20) + SIM_MS(5));
  assert_string_equal(event_msg(t, "node-1", "NodeReady", 0),
                      "Node node-1 status is now: NodeReady");
}

static void node_added_later_gets_a_kubelet(void **state)
{
  struct kl_fixture *t = *state;
  struct object o;

  kl_start(t);
  kl_run(t, SIM_SEC(30));
  object_init(&o, KIND_NODE);
  o.meta.name = "node-9";
  o.u.node.cpu_allocatable_milli = 4000;
  o.u.node.memory_allocatable = 16 * GiB;
  o.u.node.pods_allocatable = 110;
  o.u.node.ready = (struct condition){.status = COND_TRUE};
  fixture_create(&t->f, &o);
  create_pod(t, "web-0", "node-9", NULL, "registry.example/app:1", NULL);
  kl_run(t, SIM_SEC(90));
  assert_non_null(api_get(t->f.api, KIND_LEASE, "kube-node-lease", "node-9"));
  assert_int_equal(kl_pod(t, "web-0")->u.pod.status.phase, POD_RUNNING);
  /* The third node: index 2 after the two declared ones. */
  assert_non_null(strstr(kl_pod(t, "web-0")->u.pod.status.pod_ip, "10.244.2."));
  /* Its kubelet posts its own Ready condition (the heartbeat). */
  assert_string_equal(
      fixture_get(&t->f, KIND_NODE, "node-9")->u.node.ready.reason,
      "KubeletReady");
  assert_int_equal(
      fixture_get(&t->f, KIND_NODE, "node-9")->u.node.last_heartbeat,
      SIM_SEC(30) + SIM_MS(5));
}

/* --- determinism --------------------------------------------------------- */

struct digest {
  uint64_t events, trace;
};

static struct digest run_world(uint64_t seed)
{
  struct kl_fixture *t = calloc(1, sizeof(*t));
  struct digest d = {SIM_FNV_INIT, 0};
  struct probe rp = probe(3, 10, 1, 3);
  size_t nr;

  fixture_init(&t->f, 2, seed);
  add_image(t, "registry.example/db:broken", true, false, SIMTIME_NEVER);
  kl_start(t);
  bound_claim(t, "data-web-0", "pv-1", PVSRC_HOSTPATH);
  create_pod(t, "web-0", "node-1", "data-web-0", "registry.example/app:1", &rp);
  create_pod(t, "web-1", "node-2", NULL, "registry.example/app:1", &rp);
  create_pod(t, "db-0", "node-1", NULL, "registry.example/db:broken", NULL);
  kl_run(t, SIM_MIN(5));
  api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-1", NULL);
  kl_run(t, SIM_MIN(10));
  const struct event *const *ev = api_events(t->f.api, &nr);
  for (size_t i = 0; i < nr; i++) {
    d.events = sim_fnv1a(d.events, ev[i]->reason, strlen(ev[i]->reason));
    d.events = sim_fnv1a(d.events, ev[i]->message, strlen(ev[i]->message));
    d.events = sim_fnv1a(d.events, &ev[i]->last_timestamp,
                         sizeof(ev[i]->last_timestamp));
  }
  d.trace = t->f.trace.digest;
  kubelets_stop(t->ks);
  fixture_release(&t->f);
  free(t);
  return d;
}

static void same_seed_gives_the_same_run_and_another_seed_another(void **state)
{
  struct digest a = run_world(7), b = run_world(7), c = run_world(8);

  (void)state;
  assert_int_equal(a.events, b.events);
  assert_int_equal(a.trace, b.trace);
  assert_true(a.events != c.events);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, kl_setup, kl_teardown)
      T(bound_pod_without_volumes_becomes_running_and_ready),
      T(pod_is_pending_container_creating_until_its_container_starts),
      T(second_pod_on_the_node_finds_its_image_already_present),
      T(latest_tag_is_pulled_every_time),
      T(image_pulls_on_a_node_are_serialized),
      T(init_containers_run_first_and_initialize_the_pod),
      T(pod_that_does_not_fit_is_rejected_at_admission),
      T(pod_not_tolerating_a_no_execute_taint_is_rejected),
      T(claim_on_a_hostpath_volume_is_mounted_and_written),
      T(pod_waits_for_its_claim_to_be_bound),
      T(attachable_volume_waits_for_volumes_attached_and_in_use),
      T(attached_volume_is_not_mounted_before_it_is_reported_in_use),
      T(wait_for_mount_times_out_with_failed_mount_before_1_28),
      T(wait_for_mount_timeout_is_traced_but_silent_since_1_28),
      T(readiness_probe_follows_initial_delay_and_period),
      T(slow_image_becomes_ready_after_its_startup),
      T(never_ready_image_runs_but_is_never_ready),
      T(failing_readiness_flips_ready_after_failure_threshold_periods),
      T(startup_probe_holds_readiness_until_the_app_started),
      T(kubelet_reposts_a_pod_status_others_changed),
      T(failed_startup_probe_kills_and_restarts_the_container),
      T(crashing_image_restarts_with_crashloop_backoff),
      T(crashing_container_with_restart_policy_never_fails_the_pod),
      T(crashing_container_with_restart_policy_on_failure_restarts),
      T(graceful_delete_stops_unmounts_and_final_deletes),
      T(final_delete_spares_a_newer_pod_with_the_same_name),
      T(force_delete_kills_the_running_container),
      T(pod_deleted_before_it_started_is_final_deleted),
      T(new_incarnation_gets_a_new_ip),
      T(leases_are_created_and_renewed),
      T(lease_is_recreated_when_deleted),
      T(node_status_is_posted_on_change_or_every_report_period),
      T(kubelet_restores_a_ready_condition_others_changed),
      T(node_added_later_gets_a_kubelet),
      cmocka_unit_test(same_seed_gives_the_same_run_and_another_seed_another),
#undef T
  };

  if (getenv("TEST_FILTER"))
    cmocka_set_test_filter(getenv("TEST_FILTER"));
  return cmocka_run_group_tests_name("kubelet", tests, NULL, NULL);
}
