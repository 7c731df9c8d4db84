/*
 * kubelet.c - the kubelets: one per Node object, present at the start or
 * added later (the component watches Nodes). This file holds the
 * component (informers, the per-node state), the node's heartbeats - the
 * Lease and the node status loop (cluster-behaviour.md 1.1) - and the
 * application hook of kubelets_set_app_ready(). The pod worker, volume
 * manager and probes are in kubelet_pod.c, kubelet_volume.c and
 * kubelet_probe.c; every API write goes through kubelet_api.c.
 *
 * Informers: one informer per kind for all kubelets (a real kubelet
 * watches its own pods with a field selector on spec.nodeName; sharing one
 * cache with the same delay and dispatching by node name is equivalent).
 * PVCs and PVs are read from informers too, where a real kubelet's volume
 * manager does live GETs: it then reacts to a claim binding after the
 * watch delay instead of at its next poll, which is within a few ms.
 *
 * Machine faults (kubelet_machine.c) hook in here: informer input for a
 * node passes kl__node_watching() (a crashed node hears nothing, a
 * partitioned one's watch is cut); kl__node_relist() is the relist after
 * a boot or a heal; the Ready condition the status loop posts is
 * NotReady "node is shutting down" during a graceful node shutdown.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet_int.h"
#include "mutants.h"

/* --- helpers shared by the kubelet files --------------------------------- */

simtime kl__align(simtime origin, simtime period, simtime t)
{
  if (t <= origin || period <= 0)
    return t <= origin ? origin : t;
  simtime k = (t - origin + period - 1) / period;
  return origin + k * period;
}

void kl__cancel(struct kubelets *ks, uint64_t *h)
{
  if (*h) {
    engine_cancel(ks->engine, *h);
    *h = 0;
  }
}

struct kl_node *kl__node_by_index(struct kubelets *ks, uint32_t idx)
{
  return idx < ks->slots.nr ? ks->slots.v[idx] : NULL;
}

static int name_cmp(const char *name, const struct kl_node *n)
{
  return strcmp(name, n->name);
}

static size_t node_pos(struct kubelets *ks, const char *name, bool *found)
{
  size_t lo = 0, hi = ks->by_name.nr;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = name_cmp(name, ks->by_name.v[mid]);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  *found = false;
  return lo;
}

struct kl_node *kl__node_by_name(struct kubelets *ks, const char *name)
{
  bool found;
  size_t i = node_pos(ks, name, &found);

  return found ? ks->by_name.v[i] : NULL;
}

struct kl_pod *kl__pod_find(struct kl_node *n, uint64_t uid)
{
  for (size_t i = 0; i < n->pods.nr; i++)
    if (n->pods.v[i]->uid == uid)
      return n->pods.v[i];
  return NULL;
}

uint64_t kl__schedule(struct kubelets *ks, simtime at, const char *kind,
                      engine_handler_fn *fn, struct kl_pod *kp, uint32_t item,
                      uint32_t what)
{
  return engine_schedule(ks->engine, at, PHASE_NODE, kind, fn, kp->uid,
                         kl_arg(kp->node->index, item, what), ks);
}

void kl__note(struct kl_pod *kp, const char *reason, const char *fmt, ...)
{
  const struct cluster_env *env = &kp->node->ks->env;
  char obj[300], msg[512];
  va_list ap;

  if (!env->note)
    return;
  snprintf(obj, sizeof(obj), "Pod/%s", kp->obj->meta.name);
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  cluster_note(env, obj, reason, "%s", msg);
}

simtime kl__latency(struct kl_node *n, enum timing_id id)
{
  return rng_lognormal(kl__rng(n), n->ks->tm->v[id], KL_SPREAD);
}

static bool str_list_has(const struct str_list *l, const char *s)
{
  for (size_t i = 0; i < l->nr; i++)
    if (l->v[i] && !strcmp(l->v[i], s))
      return true;
  return false;
}

bool kl__node_reported(const struct kl_node *n, const char *name)
{
  for (size_t i = 0; i < n->reported.nr; i++)
    if (!strcmp(n->reported.v[i], name))
      return true;
  return false;
}

bool kl__node_attached(const struct kl_node *n, const char *name)
{
  return n->node && str_list_has(&n->node->u.node.volumes_attached, name);
}

/* --- the Lease ----------------------------------------------------------- */

/*
 * The node lease controller (component-helpers/apimachinery/lease): every
 * renewInterval (with 4% jitter, wait.JitterUntil) it updates the Lease
 * from the version it wrote last, up to 5 tries; on a conflict, or when it
 * has none, it falls back to "ensure": a live GET, a create if absent,
 * retried with a back-off from 200 ms doubling to 7 s until it succeeds.
 */
#define LEASE_UPDATE_TRIES 5
#define LEASE_BACKOFF_MIN SIM_MS(200)
#define LEASE_BACKOFF_MAX SIM_SEC(7)
#define LEASE_JITTER 0.04

static void lease_tick(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx);

static void lease_schedule(struct kl_node *n, simtime at)
{
  struct kubelets *ks = n->ks;

  kl__cancel(ks, &n->lease_timer);
  n->lease_timer = engine_schedule(ks->engine, at, PHASE_NODE, "kubelet-lease",
                                   lease_tick, n->index, 0, ks);
}

/*
 * Renewals without a write each (apiserver.h, "renewing Leases"): after a
 * successful write the kubelet registers the Lease with the API server
 * instead of arming its timer, and records its renewals when the server
 * asks (a read) or before its own stream is drawn for anything else
 * (kl__rng), so the jitters come from the same draws in the same order as
 * with an event per renewal. A renewal at the instant of a draw counts as
 * done before it when the draw runs in PHASE_NODE or later (the renewal
 * event's phase; among PHASE_NODE events of one instant the renewal is
 * taken to come first). It goes back to writing for real, from the very
 * renewal it would have written next, whenever a renewal might not be a
 * plain successful update: the machine goes down or loses the API
 * (kl__lease_real), someone else writes the Lease, or a write-fault window
 * may hit the kubelet (the server ends the registration).
 */
static simtime lease_interval(struct kl_node *n)
{
  simtime iv = n->ks->tm->v[TIMING_LEASE_RENEW_INTERVAL];

  return iv +
         (simtime)llround(gsl_rng_uniform(n->rng) * LEASE_JITTER * (double)iv);
}

static void lease_advance(void *ctx, simtime upto)
{
  struct kl_node *n = ctx;

  while (n->lease_reg && n->lease_next <= upto) {
    simtime r = n->lease_next;
    api_lease_renewed(n->lease_reg, r);
    n->lease_next = r + lease_interval(n);
  }
}

static simtime lease_limit(const struct kl_node *n)
{
  const struct engine *e = n->ks->engine;
  simtime now = engine_now(e);

  return engine_current_phase(e) < PHASE_NODE ? now - 1 : now;
}

gsl_rng *kl__rng(struct kl_node *n)
{
  if (n->lease_reg)
    lease_advance(n, lease_limit(n));
  return n->rng;
}

static void lease_ended(void *ctx, const struct object *frozen)
{
  struct kl_node *n = ctx;

  n->lease_reg = NULL;
  n->lease = frozen;
  lease_schedule(n, n->lease_next);
}

void kl__lease_real(struct kl_node *n)
{
  if (!n->lease_reg)
    return;
  lease_advance(n, lease_limit(n));
  n->lease = api_lease_stop(n->ks->api, n->lease_reg);
  n->lease_reg = NULL;
  lease_schedule(n, n->lease_next);
}

static void lease_renew_later(struct kl_node *n)
{
  simtime now = engine_now(n->ks->engine);

  n->lease_next = now + lease_interval(n);
  SIM_ASSERT(!n->lease_reg);
  if (n->lease && n->lease->u.lease.renew_time == now && kl__api_reachable(n)) {
    kl__cancel(n->ks, &n->lease_timer);
    n->lease_reg = api_lease_renewing(n->ks->api, KL_WHO, n->lease,
                                      lease_advance, lease_ended, n);
    if (n->lease_reg)
      return;
  }
  lease_schedule(n, n->lease_next);
}

/* Tries to renew from the last written version; true on success. */
static bool lease_update(struct kl_node *n, const struct object *from)
{
  simtime now = engine_now(n->ks->engine);

  for (int i = 0; i < LEASE_UPDATE_TRIES; i++) {
    struct object l = *from;
    const struct object *out = NULL;
    enum api_status st;

    l.u.lease.holder_identity = n->name;
    l.u.lease.renew_time = now;
    st = kl__api_lease_update(n, &l, &out);
    if (st == API_OK) {
      n->lease = out;
      return true;
    }
    if (st == API_CONFLICT)
      break;
  }
  n->lease = NULL;
  return false;
}

static void lease_ensure_failed(struct kl_node *n)
{
  simtime now = engine_now(n->ks->engine);

  if (n->lease_backoff < LEASE_BACKOFF_MIN)
    n->lease_backoff = LEASE_BACKOFF_MIN;
  lease_schedule(n, now + n->lease_backoff);
  n->lease_backoff *= 2;
  if (n->lease_backoff > LEASE_BACKOFF_MAX)
    n->lease_backoff = LEASE_BACKOFF_MAX;
}

static void lease_sync(struct kl_node *n)
{
  struct kubelets *ks = n->ks;
  const struct object *cur, *out = NULL;
  struct object l;

  if (n->lease && lease_update(n, n->lease)) {
    lease_renew_later(n);
    return;
  }
  cur = kl__api_lease_get(n);
  if (!cur) {
    if (!kl__api_reachable(n)) {
      lease_ensure_failed(n);
      return;
    }
    object_init(&l, KIND_LEASE);
    l.meta.name = n->name;
    l.meta.namespace_ = KL_LEASE_NS;
    if (n->node) {
      /* setNodeOwnerFunc: the Lease is owned by its Node. */
      struct owner_ref *ref = arena_calloc(ks->arena, 1, sizeof(*ref));
      ref->api_version = "v1";
      ref->kind = "Node";
      ref->name = n->name;
      ref->uid = n->node->meta.uid;
      l.meta.owner_refs = ref;
      l.meta.owner_refs_nr = 1;
    }
    l.u.lease.holder_identity = n->name;
    l.u.lease.lease_duration_seconds =
        (int32_t)(ks->tm->v[TIMING_LEASE_DURATION] / SIM_SEC(1));
    l.u.lease.renew_time = engine_now(ks->engine);
    if (kl__api_lease_create(n, &l, &out) != API_OK) {
      lease_ensure_failed(n);
      return;
    }
    n->lease = out;
    n->lease_backoff = 0;
    lease_renew_later(n); /* just created: no update needed */
    return;
  }
  n->lease_backoff = 0;
  lease_update(n, cur); /* on failure: "will retry" at the next interval */
  lease_renew_later(n);
}

static void lease_tick(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct kubelets *ks = ctx;
  struct kl_node *n = kl__node_by_index(ks, (uint32_t)subject);

  (void)e;
  (void)arg;
  if (!n)
    return;
  n->lease_timer = 0;
  if (!n->off && !n->gone)
    lease_sync(n);
}

/* --- the node status loop ------------------------------------------------ */

/*
 * tryUpdateNodeStatus runs every nodeStatusUpdateFrequency on a grid from
 * the kubelet's start; it patches the Node only when the status changed
 * (conditions other than heartbeat times, volumesInUse) or when
 * nodeStatusReportFrequency has passed since the last report. Instead of
 * an event per tick, the loop is scheduled only at the tick where it
 * would see a change (kl__node_status_dirty) or the report fall due. After
 * a successful tick the volumes it posted are "reported in use", which the
 * volume manager waits for before it verifies an attach (4.10).
 */
static void status_tick(struct engine *e, uint64_t subject, uint64_t arg,
                        void *ctx);

static void status_schedule(struct kl_node *n, simtime at)
{
  struct kubelets *ks = n->ks;

  if (n->status_timer && n->status_at <= at)
    return;
  kl__cancel(ks, &n->status_timer);
  n->status_at = at;
  n->status_timer =
      engine_schedule(ks->engine, at, PHASE_NODE, "kubelet-node-status",
                      status_tick, n->index, 0, ks);
}

void kl__node_status_dirty(struct kl_node *n)
{
  simtime upd = n->ks->tm->v[TIMING_NODE_STATUS_UPDATE];
  simtime at = kl__align(n->t0, upd, engine_now(n->ks->engine));

  if (n->off || n->gone)
    return;
  /* One tick per period: a change right after a tick waits for the next. */
  if (at <= n->last_tick)
    at = n->last_tick + upd;
  status_schedule(n, at);
}

struct status_patch {
  struct kl_node *n;
  bool report_due;
  bool wrote;
  bool became_ready, became_not_ready;
  bool unschedulable; /* spec.unschedulable as the kubelet read it */
};

static bool in_use_equal(const struct kl_node *n, const struct str_list *l)
{
  if (l->nr != n->in_use.nr)
    return false;
  for (size_t i = 0; i < l->nr; i++)
    if (strcmp(l->v[i], n->in_use.v[i]))
      return false;
  return true;
}

#define READY_REASON "KubeletReady"
#define READY_MESSAGE "kubelet is posting ready status"
/* nodestatus.ReadyCondition with the shutdown manager's error. */
#define NOT_READY_REASON "KubeletNotReady"
#define SHUTDOWN_MESSAGE "node is shutting down"

/* The Ready condition the kubelet of n posts now. */
static struct condition wanted_ready(const struct kl_node *n)
{
  if (n->shutting_down)
    return (struct condition){.status = COND_FALSE,
                              .reason = NOT_READY_REASON,
                              .message = SHUTDOWN_MESSAGE};
  return (struct condition){
      .status = COND_TRUE, .reason = READY_REASON, .message = READY_MESSAGE};
}

static bool ready_is(const struct condition *c, const struct condition *want)
{
  return c->status == want->status && c->reason &&
         !strcmp(c->reason, want->reason) && c->message &&
         !strcmp(c->message, want->message);
}

static bool patch_node_status(struct object *o, void *ctx)
{
  struct status_patch *p = ctx;
  struct kl_node *n = p->n;
  struct kubelets *ks = n->ks;
  struct node *nd = &o->u.node;
  simtime now = engine_now(ks->engine);
  bool changed = false;
  struct condition ready = wanted_ready(n);

  p->unschedulable = nd->unschedulable;
  ready.last_transition_time = nd->ready.last_transition_time;
  if (nd->ready.status != ready.status) {
    ready.last_transition_time = now;
    p->became_ready = ready.status == COND_TRUE;
    p->became_not_ready = ready.status != COND_TRUE;
    changed = true;
  } else if (!ready_is(&nd->ready, &ready)) {
    changed = true;
  }
  /* nodestatus.VolumesInUse: left as it is until the volume manager's
   * states are synced (after a boot, until the pods are listed). */
  bool vols_changed = n->vols_synced && !in_use_equal(n, &nd->volumes_in_use);
  if (!changed && !vols_changed && !p->report_due)
    return false;
  nd->ready = ready;
  nd->last_heartbeat = now;
  if (vols_changed) {
    const char **v =
        arena_alloc(ks->arena, (n->in_use.nr ? n->in_use.nr : 1) * sizeof(*v));
    for (size_t i = 0; i < n->in_use.nr; i++)
      v[i] = n->in_use.v[i];
    nd->volumes_in_use = (struct str_list){v, n->in_use.nr};
  }
  p->wrote = true;
  return true;
}

/* recordNodeStatusEvent: "Node X status is now: EVENT". */
static void node_event(struct kl_node *n, const struct object *node,
                       enum event_type type, const char *reason)
{
  kl__api_event(n, node, type, reason, "Node %s status is now: %s", n->name,
                reason);
}

/* One run of tryUpdateNodeStatus. */
static void status_run(struct kl_node *n)
{
  struct kubelets *ks = n->ks;
  simtime upd = ks->tm->v[TIMING_NODE_STATUS_UPDATE];
  simtime rep = ks->tm->v[TIMING_NODE_STATUS_REPORT];
  const struct object *out = NULL;
  struct status_patch p = {0};
  enum api_status st;
  simtime now = engine_now(ks->engine);

  kl__cancel(ks, &n->status_timer);
  n->status_at = SIMTIME_NEVER;
  n->last_tick = now;
  kl__vol_in_use(n);
  p.n = n;
  p.report_due = n->last_report == SIMTIME_NEVER || now >= n->last_report + rep;
  st = kl__api_node_status(n, patch_node_status, &p, &out);
  if (st != API_OK) {
    /* Node gone or API unreachable: try again at the next tick. */
    status_schedule(n, now + upd);
    return;
  }
  if (p.wrote)
    n->last_report = now;
  if (n->rebooted && out) {
    /* The node's bootID changed (the status setter's check). */
    n->rebooted = false;
    kl__api_event(n, out, EVENT_WARNING, "Rebooted",
                  "Node %s has been rebooted, boot id: %s", n->name,
                  n->boot_id);
  }
  if (p.became_ready && out)
    node_event(n, out, EVENT_NORMAL, "NodeReady");
  if (p.became_not_ready && out)
    node_event(n, out, EVENT_NORMAL, "NodeNotReady");
  if (p.unschedulable != n->last_unschedulable && out) {
    /* recordNodeSchedulableEvent, on every status computation. */
    n->last_unschedulable = p.unschedulable;
    node_event(n, out, EVENT_NORMAL,
               p.unschedulable ? "NodeNotSchedulable" : "NodeSchedulable");
  }
  /* MarkVolumesAsReportedInUse(node.Status.VolumesInUse). */
  if (n->vols_synced) {
    n->reported.nr = 0;
    for (size_t i = 0; i < n->in_use.nr; i++)
      VEC_PUSH(&n->reported, n->in_use.v[i]);
  }
  kl__vol_kick(n);
  status_schedule(n, kl__align(n->t0, upd, n->last_report + rep));
}

static void status_tick(struct engine *e, uint64_t subject, uint64_t arg,
                        void *ctx)
{
  struct kubelets *ks = ctx;
  struct kl_node *n = kl__node_by_index(ks, (uint32_t)subject);

  (void)e;
  (void)arg;
  if (!n)
    return;
  n->status_timer = 0;
  if (!n->off && !n->gone)
    status_run(n);
}

void kl__node_status_now(struct kl_node *n)
{
  if (!n->off && !n->gone)
    status_run(n);
}

/* --- nodes --------------------------------------------------------------- */

/* The stream and IP index: the node's place in spec.cluster.nodes, else
 * after them in the order the nodes appeared. */
static uint32_t node_index(struct kubelets *ks, const char *name)
{
  const struct scenario *s = ks->env.s;
  uint32_t extra = 0;

  for (size_t i = 0; i < s->nodes_nr; i++)
    if (s->nodes[i].name && !strcmp(s->nodes[i].name, name))
      return (uint32_t)i;
  for (size_t i = 0; i < ks->by_index.nr; i++)
    if (ks->by_index.v[i]->index >= s->nodes_nr)
      extra++;
  return (uint32_t)s->nodes_nr + extra;
}

struct pod_list {
  VEC(const struct object *) v;
  const char *node;
};

static bool collect_pod(const struct object *o, void *ctx)
{
  struct pod_list *l = ctx;

  if (o->u.pod.spec.node_name && !strcmp(o->u.pod.spec.node_name, l->node))
    VEC_PUSH(&l->v, o);
  return true;
}

void kl__node_loops_start(struct kl_node *n)
{
  simtime now = engine_now(n->ks->engine);

  kl__lease_real(n);
  n->t0 = now;
  n->last_report = SIMTIME_NEVER;
  n->status_at = SIMTIME_NEVER;
  n->last_tick = -1;
  n->last_unschedulable = false;
  n->lease = NULL;
  n->lease_backoff = 0;
  /* Both loops run at once when the kubelet starts (wait.Until). */
  lease_schedule(n, now);
  status_schedule(n, now);
}

bool kl__node_watching(const struct kl_node *n)
{
  return !n->off && !n->gone && !n->cut && !n->relisting;
}

/* A kubelet starts on a node the component sees for the first time. */
struct kl_node *kl__node_start(struct kubelets *ks, const struct object *o)
{
  struct kl_node *n = xcalloc(1, sizeof(*n));
  bool found;
  size_t pos;

  n->ks = ks;
  n->name = o->meta.name;
  n->index = node_index(ks, n->name);
  n->rng = rng_stream_new(ks->env.seed, RNG_NODES, n->index);
  n->node = o;
  n->host_ip = arena_printf(ks->arena, "10.240.%u.%u", (n->index + 1) / 256,
                            (n->index + 1) % 256);
  n->machine = MACHINE_UP;
  n->ip_next = 2;
  n->vols_synced = true; /* its pods are listed right below */
  VEC_PUSH(&ks->by_index, n);
  VEC_GROW(&ks->slots, (size_t)n->index + 1);
  while (ks->slots.nr <= n->index)
    ks->slots.v[ks->slots.nr++] = NULL;
  SIM_ASSERT(!ks->slots.v[n->index]);
  ks->slots.v[n->index] = n;
  pos = node_pos(ks, n->name, &found);
  SIM_ASSERT(!found);
  VEC_GROW(&ks->by_name, ks->by_name.nr + 1);
  memmove(&ks->by_name.v[pos + 1], &ks->by_name.v[pos],
          (ks->by_name.nr - pos) * sizeof(ks->by_name.v[0]));
  ks->by_name.v[pos] = n;
  ks->by_name.nr++;

  kl__node_loops_start(n);

  /* Pods bound to the node before its kubelet saw it. Collected first:
   * informer_list callbacks must not write. */
  struct pod_list l = {.node = n->name};
  informer_list(ks->pods, NULL, NULL, collect_pod, &l);
  for (size_t i = 0; i < l.v.nr; i++)
    kl__pod_seen(n, l.v.v[i]);
  free(l.v.v);
  return n;
}

/*
 * The relist of a kubelet whose watch was cut (partition) or that starts
 * again (boot): its pod source delivers the full list of its pods, and
 * config.go's merge turns the difference into updates, additions and
 * removals. A pod the kubelet runs that is missing from the list (force
 * deleted, or removed by pod GC meanwhile) is removed with the version the
 * kubelet last saw (kl__pod_removed picks its kill grace). The caches are
 * the shared informers' (see the file comment): read when the relist is
 * delivered, they hold every write up to the relist request.
 */
void kl__node_relist(struct kl_node *n)
{
  struct kubelets *ks = n->ks;
  VEC(uint64_t) uids = {0};
  struct pod_list l = {.node = n->name};

  n->relisting = false;
  n->vols_synced = true;
  n->node = informer_get(ks->nodes, "", n->name);
  /* Uids first: syncing or removing a pod may free it. */
  for (size_t i = 0; i < n->pods.nr; i++)
    VEC_PUSH(&uids, n->pods.v[i]->uid);
  for (size_t i = 0; i < uids.nr; i++) {
    struct kl_pod *kp = kl__pod_find(n, uids.v[i]);
    const struct object *o;

    if (!kp || kp->gone)
      continue;
    o = informer_get(ks->pods, kp->obj->meta.namespace_, kp->obj->meta.name);
    if (!o || o->meta.uid != kp->uid)
      kl__pod_removed(n, kp->obj);
    else
      kl__pod_seen(n, o);
  }
  free(uids.v);
  informer_list(ks->pods, NULL, NULL, collect_pod, &l);
  for (size_t i = 0; i < l.v.nr; i++)
    if (!kl__pod_find(n, l.v.v[i]->meta.uid))
      kl__pod_seen(n, l.v.v[i]);
  free(l.v.v);
  kl__vol_kick(n);
  kl__node_status_dirty(n);
}

static bool str_lists_equal(const struct str_list *a, const struct str_list *b)
{
  if (a->nr != b->nr)
    return false;
  for (size_t i = 0; i < a->nr; i++)
    if (strcmp(a->v[i], b->v[i]))
      return false;
  return true;
}

static void on_node(struct informer *inf, enum watch_type t,
                    const struct object *old, const struct object *now,
                    void *ctx)
{
  struct kubelets *ks = ctx;
  struct kl_node *n = kl__node_by_name(ks, now->meta.name);

  (void)inf;
  if (n && !kl__node_watching(n))
    return; /* the relist reads the Node when the watch is back */
  if (t == WATCH_DELETED) {
    /* The kubelet keeps running on a machine whose Node object is gone:
     * its status writes fail (registration runs only at kubelet start:
     * registrationCompleted stays true). */
    if (n)
      n->node = NULL;
    return;
  }
  if (!n) {
    kl__node_start(ks, now);
    return;
  }
  n->node = now;
  if (now->u.node.unschedulable != n->last_unschedulable)
    kl__node_status_dirty(n); /* NodeNotSchedulable at the next tick */
  if (!old || !str_lists_equal(&old->u.node.volumes_attached,
                               &now->u.node.volumes_attached))
    kl__vol_kick(n);
  /* Someone else changed what the kubelet posts (the node lifecycle
   * controller marking it Unknown): the next tick sees and fixes it. */
  struct condition want = wanted_ready(n);
  if (!ready_is(&now->u.node.ready, &want)) {
    kl__node_status_dirty(n);
  } else {
    const struct str_list *l = &now->u.node.volumes_in_use;
    bool same = l->nr == n->reported.nr;
    for (size_t i = 0; same && i < l->nr; i++)
      same = !strcmp(l->v[i], n->reported.v[i]);
    if (!same)
      kl__node_status_dirty(n);
  }
}

static void on_pod(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct kubelets *ks = ctx;
  const char *node = now->u.pod.spec.node_name;
  struct kl_node *n;

  (void)inf;
  (void)old;
  if (!node || !*node)
    return; /* not bound yet: not a kubelet's business */
  n = kl__node_by_name(ks, node);
  if (!n)
    return; /* its node appears later: kl__node_start() lists it then */
  if (!kl__node_watching(n))
    return; /* down or cut off: the relist catches up */
  if (t == WATCH_DELETED)
    kl__pod_removed(n, now);
  else
    kl__pod_seen(n, now);
}

static void on_claim(struct informer *inf, enum watch_type t,
                     const struct object *old, const struct object *now,
                     void *ctx)
{
  (void)inf;
  (void)t;
  (void)old;
  (void)now;
  kl__vol_claims_changed(ctx);
}

/* --- the component ------------------------------------------------------- */

void *kubelets_start(const struct cluster_env *env)
{
  struct kubelets *ks = xcalloc(1, sizeof(*ks));
  const struct scenario *s = env->s;
  simtime delay;

  ks->env = *env;
  ks->api = env->api;
  ks->engine = api_engine(env->api);
  ks->arena = api_arena(env->api);
  ks->tm = &s->timings;
  delay = ks->tm->v[TIMING_WATCH_DELAY];

  /*
   * CrashLoopBackOff (cluster-behaviour.md 3.3): crashLoopBackOffBase
   * doubling to crashLoopBackOffMax; a maximum below the base is also the
   * initial delay (KubeletCrashLoopBackOffMax); the 1.33 alpha gate
   * ReduceDefaultCrashLoopBackOffDecay makes it 1 s doubling to 60 s.
   */
  ks->crash_base = ks->tm->v[TIMING_CRASHLOOP_BASE];
  ks->crash_max = ks->tm->v[TIMING_CRASHLOOP_MAX];
  if (scenario_feature_enabled(s, "ReduceDefaultCrashLoopBackOffDecay")) {
    ks->crash_base = SIM_SEC(1);
    if (ks->crash_max > SIM_SEC(60))
      ks->crash_max = SIM_SEC(60);
  }
  if (ks->crash_base > ks->crash_max)
    ks->crash_base = ks->crash_max;
  /*
   * The FailedMount event of a WaitForAttachAndMount timeout is not sent
   * since ~1.28: the kubelet drops "interrupted" errors (issue #127004,
   * cluster-behaviour.md 4.10). The wait is still traced as a decision.
   */
  ks->failed_mount_event = s->kubernetes_minor <= 27;
  /* "Created container: c" replaced "Created container c"; the exact
   * release is not pinned in the reference (1.32 assumed). */
  ks->created_colon = s->kubernetes_minor >= 32;
  ks->mut_early_delete = mutant_on(env->mutant, MUTANT_KUBELET_EARLY_DELETE);

  ks->nodes = informer_new(ks->api, KIND_NODE, KL_WHO, delay);
  ks->pods = informer_new(ks->api, KIND_POD, KL_WHO, delay);
  ks->pvcs = informer_new(ks->api, KIND_PVC, KL_WHO, delay);
  ks->pvs = informer_new(ks->api, KIND_PV, KL_WHO, delay);
  informer_add_handler(ks->nodes, on_node, ks);
  informer_add_handler(ks->pods, on_pod, ks);
  informer_add_handler(ks->pvcs, on_claim, ks);
  informer_add_handler(ks->pvs, on_claim, ks);
  return ks;
}

void kubelets_stop(void *state)
{
  struct kubelets *ks = state;

  if (!ks)
    return;
  /* No engine calls here: the engine may be freed already. */
  for (size_t i = 0; i < ks->by_index.nr; i++) {
    struct kl_node *n = ks->by_index.v[i];
    if (n->lease_reg)
      api_lease_detach(n->lease_reg);
    kl__pods_free(ks, n);
    free(n->pods.v);
    free(n->reported.v);
    free(n->in_use.v);
    free(n->images.v);
    free(n->pulls.v);
    rng_free(n->rng);
    free(n);
  }
  kl__pod_pool_free(ks);
  free(ks->by_index.v);
  free(ks->slots.v);
  free(ks->by_name.v);
  free(ks->waiters.v);
  free(ks->scratch.v);
  free(ks);
}

/* --- the application ----------------------------------------------------- */

bool kubelets_set_app_ready(void *state, const char *ns, const char *pod,
                            bool ready)
{
  struct kubelets *ks = state;
  simtime now = engine_now(ks->engine);
  bool found = false;

  if (!ns || !*ns)
    ns = "default";
  for (size_t i = 0; i < ks->by_index.nr; i++) {
    struct kl_node *n = ks->by_index.v[i];
    for (size_t j = 0; j < n->pods.nr; j++) {
      struct kl_pod *kp = n->pods.v[j];
      bool running = false;

      if (strcmp(kp->obj->meta.name, pod) ||
          strcmp(kp->obj->meta.namespace_, ns))
        continue;
      for (size_t k = 0; k < kp->ctrs.nr; k++)
        running |= kp->ctrs.v[k].state == KC_RUNNING;
      if (!running)
        continue;
      found = true;
      if (kp->app_unready == !ready)
        continue;
      /* Probes before now saw the old answer; from now on the new one. */
      for (size_t k = 0; k < kp->ctrs.nr; k++)
        if (kp->ctrs.v[k].state == KC_RUNNING)
          kl__probe_catch_up(kp, &kp->ctrs.v[k], now);
      kp->app_unready = !ready;
      for (size_t k = 0; k < kp->ctrs.nr; k++)
        if (kp->ctrs.v[k].state == KC_RUNNING)
          kl__probe_plan(kp, &kp->ctrs.v[k]);
      kl__pod_sync_truth(kp);
    }
  }
  return found;
}
