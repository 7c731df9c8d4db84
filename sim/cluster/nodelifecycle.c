/*
 * nodelifecycle.c - the node lifecycle controller of kube-controller-manager
 * (pkg/controller/nodelifecycle), reporting as "node-controller"
 * (cluster-behaviour.md 1.2-1.5, 1.8, 8, 10, 11).
 *
 * Informers on Nodes, Leases (kube-node-lease) and Pods. Four loops, as
 * upstream:
 *
 * - monitorNodeHealth, every nodeMonitorPeriod on a grid that starts when
 *   the caches sync. Per node it keeps a probe timestamp: the pass at
 *   which a fresh heartbeat was last seen (the Ready condition's
 *   lastHeartbeatTime changed, the Ready condition appeared, or the
 *   Lease's renewTime moved forward). When now >= probe + grace
 *   (nodeMonitorGracePeriod, or nodeStartupGracePeriod for a node that
 *   never posted Ready) it sets Ready, MemoryPressure, DiskPressure and
 *   PIDPressure to Unknown (reason NodeStatusUnknown, "Kubelet stopped
 *   posting node status."; NodeStatusNeverUpdated, "Kubelet never posted
 *   node status." for a condition never posted), retrying a failed
 *   UpdateStatus with a live GET up to 5 times. On Ready True -> not True
 *   done by this pass: a Node event NodeNotReady and MarkPodsNotReady
 *   (each pod's Ready condition False, a Warning NodeNotReady "Node is not
 *   ready" per pod; on failure the node is retried at the next pass).
 *   Then processTaintBaseEviction with the Ready condition as OBSERVED
 *   before this pass's own update: Unknown/False queue the node for its
 *   NoExecute taint (or swap not-ready <-> unreachable at once), True
 *   removes both NoExecute taints. So the NoExecute taint is queued one
 *   monitor period after Ready=Unknown is written, when the next pass
 *   observes it (the reference's "<= 100 ms later" in 1.8 is an inference;
 *   the code queues from the observed condition). Last, the zone states
 *   (Normal, PartialDisruption, FullDisruption; all zones fully disrupted
 *   = master disruption mode: NoExecute taints removed everywhere, all
 *   limiters 0; leaving it resets every probe timestamp) and the
 *   limiters (node eviction rate 0.1/s; in PartialDisruption 0.01/s above
 *   50 nodes in the zone, else 0).
 *
 * - doNoExecuteTaintingPass, every nodeEvictionPeriod (100 ms): per zone a
 *   rate-limited timed queue (a unique queue: a processed node stays in
 *   its set until removed) behind a token bucket of burst 1. Each try
 *   takes a token first, then re-reads Ready: Unknown -> unreachable,
 *   False -> not-ready NoExecute taint (with timeAdded), swapping out the
 *   other; True -> dropped.
 *
 * - doNoScheduleTaintingPass on every Node add/update (8 workers, no rate
 *   limit): the NoSchedule taints derived from conditions (not-ready,
 *   unreachable, memory-, disk-, pid-pressure, network-unavailable) and
 *   spec.unschedulable (unschedulable), stale ones removed. Added taints
 *   get timeAdded (SwapNodeControllerTaint stamps every taint it adds).
 *
 * - the pod worker: a pod bound to a node whose last observed Ready is not
 *   True is marked NotReady too (retried with the workqueue back-off).
 *
 * Events: RegisteredNode / RemovingNode ("Node X event: Registered Node X
 * in Controller") when a pass first sees or no longer sees a node,
 * NodeNotReady on the Node ("Node X status is now: NodeNotReady") and on
 * each pod ("Node is not ready").
 *
 * Cost (design.md "no event per tick"): a pass runs only at a grid tick
 * where it can change something. Heartbeats and Lease renewals do not run
 * a pass: their handler records the probe timestamp the next pass would
 * have taken (the first grid tick at or after the delivery) and moves the
 * node's deadline (probe + grace) in a min-heap; the pass timer sits at
 * the grid tick of the earliest deadline. Ready changes, added or deleted
 * nodes, label and NoExecute taint changes that give a pass work, and
 * retries schedule the next tick. The 100 ms tainting loop is scheduled
 * only while a queue holds a node, at the tick where its zone's bucket has
 * a token. An idle healthy cluster costs no event of this controller.
 *
 * Simplifications (marked SIMPLIFIED below):
 * - The grids are exact; upstream's wait.Until slides by each pass's
 *   duration, so the pass grace later is strictly after probe + grace. The
 *   expiry test is therefore now >= probe + grace (upstream: now after).
 * - API writes are served at the instant of the pass (no apiLatency), and
 *   the node health retries (a live GET and another try, 20 ms apart
 *   upstream) run at that instant too. A failed taint write is retried
 *   after the queue's wait + 1 us (upstream: + 1 ns).
 * - A node waiting in a zone queue is re-added (Remove + Add, as upstream's
 *   markNodeForTainting) only at passes that run, so waiting nodes are
 *   tainted in queue order rather than in the order of the last pass.
 * - A zone that disappears is dropped from the zone states at once
 *   (upstream's loop may keep it one more pass depending on map order).
 * - reconcileNodeLabels (beta OS/arch labels) is not modelled: kubelets
 *   register both, and nothing here reads the beta labels.
 * - Upstream's informers are shared by all of kube-controller-manager;
 *   here each controller has its own (same delay).
 *
 * Mutant MUTANT_NLC_FORCE_DELETE (mutants.h; B16, #35145): the node
 * controller before 1.5 (PR #35235) handed an evicted node to its
 * terminationEvictor, whose terminatePods force-deleted (grace 0, no
 * kubelet confirmation) every terminating pod of the node once
 * min(deletionGracePeriodSeconds, maximumGracePeriod = 5 min) had passed
 * since the node was added, with a Node event TerminatingEvictedPod ("Pod
 * X has exceeded the grace period for deletion after being evicted from
 * Node "N" and is being force killed"); markNodeAsReachable dropped the
 * node. The eviction itself keeps today's timing: a node counts as
 * evicted from the moment this controller puts its NoExecute taint on
 * (the taint-eviction controller then deletes the pods gracefully when
 * their tolerations run out, as in a faithful run), and each terminating
 * pod of an evicted node is force-deleted at max(its deletion, the
 * eviction) + its capped grace, on the 100 ms eviction grid. SIMPLIFIED:
 * the termination queue's own zone rate limiter is not modelled (each pod
 * goes at its own deadline), and the delete carries the pod's uid as a
 * precondition (1.4's had none) so a replacement is never hit. A run
 * without the mutant pays one compare per pod event and per taint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mutants.h"
#include "nodefail_int.h"

#define NLC_WHO "node-controller"

/*
 * KCM flags that are rates or counts, not durations, so not in the
 * timings table (cluster-behaviour.md 10): --node-eviction-rate 0.1,
 * --secondary-node-eviction-rate 0.01 (as one token per interval),
 * --large-cluster-size-threshold 50, --unhealthy-zone-threshold 0.55.
 */
#define NLC_EVICTION_INTERVAL SIM_SEC(10)
#define NLC_SECONDARY_INTERVAL SIM_SEC(100)
#define NLC_LARGE_CLUSTER 50
#define NLC_UNHEALTHY_ZONE 0.55
/* scheduler.NodeHealthUpdateRetry */
#define NLC_HEALTH_TRIES 5
/* The tainting queue's retry when a node has no Ready condition. */
#define NLC_TAINT_RETRY SIM_MS(50)
/* The mutant's maximumGracePeriod (pre-1.5 NodeController). */
#define NLC_MUT_MAX_GRACE SIM_MIN(5)
/* workqueue.DefaultControllerRateLimiter: 5 ms doubling to 1000 s. */
#define NLC_BACKOFF_BASE SIM_MS(5)
#define NLC_BACKOFF_MAX SIM_SEC(1000)

#define LABEL_EXCLUDE "node.kubernetes.io/exclude-disruption"
#define LABEL_ZONE "topology.kubernetes.io/zone"
#define LABEL_REGION "topology.kubernetes.io/region"
#define LABEL_ZONE_BETA "failure-domain.beta.kubernetes.io/zone"
#define LABEL_REGION_BETA "failure-domain.beta.kubernetes.io/region"

#define REASON_UNKNOWN "NodeStatusUnknown"
#define MESSAGE_UNKNOWN "Kubelet stopped posting node status."
#define REASON_NEVER "NodeStatusNeverUpdated"
#define MESSAGE_NEVER "Kubelet never posted node status."

enum zone_state {
  ZONE_INITIAL,
  ZONE_NORMAL,
  ZONE_FULL,
  ZONE_PARTIAL,
};

static const char *const zone_state_names[] = {
    "Initial", "Normal", "FullDisruption", "PartialDisruption"};

/* A token bucket of burst 1 (flowcontrol.NewTokenBucketRateLimiter). */
struct nl_limiter {
  simtime interval; /* one token per interval; 0 = QPS 0, never */
  simtime full_at;  /* the bucket holds its token from then on */
};

struct nl_node;

struct nl_item {
  struct nl_node *node;
  simtime process_at;
  uint64_t seq;
};

struct nl_zone {
  const char *region, *zone; /* "" when unset */
  enum zone_state state;
  bool present; /* in upstream's zoneStates */
  struct nl_limiter lim;
  VEC(struct nl_item) queue; /* by (process_at, seq) */
  /* one pass's scratch */
  int ready, not_ready;
  bool counted;
  enum zone_state next;
};

struct nl_node {
  const char *name;
  const struct object *obj; /* the cache's version; the final one if gone */
  bool present;             /* in the node informer */
  bool known;               /* in upstream's knownNodeSet */
  /* nodeHealthData */
  bool health;
  simtime probe;
  simtime saved_lease;  /* renewTime of the Lease last seen; NEVER: none */
  simtime lease_caught; /* renewals delivered until then are accounted */
  bool hb_has_ready;    /* the last version seen had a Ready condition */
  simtime hb_seen;      /* and this lastHeartbeatTime */
  struct condition saved_ready; /* Ready as of the last pass */
  bool retry;                   /* nodesToRetry */
  /* the zone tainting queue: membership of the unique set and queue */
  bool in_set, in_queue;
  struct nl_zone *qzone;
  /* the deadline heap */
  simtime deadline; /* probe + grace; NEVER: nothing to expire */
  size_t hpos;      /* SIZE_MAX when not in the heap */
  bool ns_queued;   /* NoSchedule worker */
  /* mutant: in the pre-1.5 terminationEvictor since evicted_at */
  bool evicted;
  simtime evicted_at;
};

/* mutant: a terminating pod the pre-1.5 terminationEvictor would kill. */
struct nl_force {
  const char *ns, *name, *node; /* strings of the run arena */
  uint64_t uid;
  simtime since; /* deletion began (deletionTimestamp - grace) */
  simtime grace; /* capped at NLC_MUT_MAX_GRACE */
};

struct nl_pod_item {
  const char *ns, *name;
  simtime not_before;
  unsigned failures;
};

struct nlc {
  struct cluster_env env;
  struct api *api;
  struct engine *engine;
  struct arena *arena;
  const struct timings *tm;
  struct informer *nodes, *leases, *pods;
  struct nf_pod_index ix;

  VEC(struct nl_node *) by_name; /* sorted by name */
  VEC(struct nl_zone *) zones;   /* sorted by (region, zone) */
  VEC(struct nl_node *) heap;    /* min-heap by deadline */
  uint64_t qseq;

  /* monitorNodeHealth */
  simtime origin, period;
  simtime last_pass; /* -1: none yet */
  simtime pass_want; /* earliest pass asked for; NEVER: none */
  simtime pass_at;
  uint64_t pass_timer;

  /* doNoExecuteTaintingPass */
  simtime evict_period, last_evict;
  simtime evict_at;
  uint64_t evict_timer;

  /* doNoScheduleTaintingPass */
  VEC(struct nl_node *) ns_queue;
  uint64_t ns_timer;

  /* the pod worker */
  VEC(struct nl_pod_item) pod_queue;
  uint64_t pod_timer;
  simtime pod_at;

  /* mutant MUTANT_NLC_FORCE_DELETE (see the file comment) */
  bool mut_force;
  VEC(struct nl_force) force; /* in arrival order */
  uint64_t force_timer;
  simtime force_at;

  /* scratch */
  VEC(const struct object *) list;
};

/* --- small helpers ------------------------------------------------------- */

static simtime now_of(const struct nlc *c)
{
  return engine_now(c->engine);
}

static const char *label(const struct object *o, const char *key)
{
  return kv_get(&o->meta.labels, key);
}

static const char *or_empty(const char *s)
{
  return s ? s : "";
}

/* nodetopology.GetZoneKey: the beta labels first, then the GA ones. */
static void zone_of(const struct object *o, const char **region,
                    const char **zone)
{
  const char *z = label(o, LABEL_ZONE_BETA), *r = label(o, LABEL_REGION_BETA);

  if (!z)
    z = label(o, LABEL_ZONE);
  if (!r)
    r = label(o, LABEL_REGION);
  *region = or_empty(r);
  *zone = or_empty(z);
}

static bool excluded(const struct object *o)
{
  return label(o, LABEL_EXCLUDE) != NULL;
}

static bool cond_equal(const struct condition *a, const struct condition *b)
{
  return a->status == b->status &&
         a->last_transition_time == b->last_transition_time &&
         !strcmp(or_empty(a->reason), or_empty(b->reason)) &&
         !strcmp(or_empty(a->message), or_empty(b->message));
}

/* The grace a node is entitled to: it has posted Ready or it has not. */
static simtime grace_of(const struct nlc *c, const struct object *o)
{
  return o->u.node.ready.status == COND_UNSET
             ? c->tm->v[TIMING_NODE_STARTUP_GRACE_PERIOD]
             : c->tm->v[TIMING_NODE_MONITOR_GRACE_PERIOD];
}

/* The next monitor pass at or after t (never twice in one instant). */
static simtime pass_tick(const struct nlc *c, simtime t)
{
  simtime now = now_of(c);
  simtime at = nf__align(c->origin, c->period, t < now ? now : t);

  if (at <= c->last_pass)
    at = c->last_pass + c->period;
  return at;
}

static simtime evict_tick(const struct nlc *c, simtime t)
{
  simtime now = now_of(c);
  simtime at = nf__align(c->origin, c->evict_period, t < now ? now : t);

  if (at <= c->last_evict)
    at = c->last_evict + c->evict_period;
  return at;
}

/* --- nodes and zones ------------------------------------------------------ */

static size_t node_pos(const struct nlc *c, const char *name, bool *found)
{
  size_t lo = 0, hi = c->by_name.nr;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = strcmp(name, c->by_name.v[mid]->name);
    if (!r) {
      *found = true;
      return mid;
    }
    if (r < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  *found = false;
  return lo;
}

static struct nl_node *node_find(const struct nlc *c, const char *name)
{
  bool found;
  size_t i = node_pos(c, name, &found);

  return found ? c->by_name.v[i] : NULL;
}

static struct nl_node *node_get(struct nlc *c, const char *name)
{
  bool found;
  size_t i = node_pos(c, name, &found);
  struct nl_node *n;

  if (found)
    return c->by_name.v[i];
  n = xcalloc(1, sizeof(*n));
  n->name = arena_strdup(c->arena, name);
  n->saved_lease = SIMTIME_NEVER;
  n->lease_caught = -1;
  n->deadline = SIMTIME_NEVER;
  n->hpos = SIZE_MAX;
  VEC_GROW(&c->by_name, c->by_name.nr + 1);
  memmove(&c->by_name.v[i + 1], &c->by_name.v[i],
          (c->by_name.nr - i) * sizeof(c->by_name.v[0]));
  c->by_name.v[i] = n;
  c->by_name.nr++;
  return n;
}

static int zone_cmp(const struct nl_zone *z, const char *region,
                    const char *zone)
{
  int r = strcmp(region, z->region);

  return r ? r : strcmp(zone, z->zone);
}

/* The zone's tainting queue and state, created Initial if new. */
static struct nl_zone *zone_get(struct nlc *c, const struct object *o)
{
  const char *region, *zone;
  size_t lo = 0, hi;
  struct nl_zone *z;

  zone_of(o, &region, &zone);
  hi = c->zones.nr;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = zone_cmp(c->zones.v[mid], region, zone);
    if (!r)
      return c->zones.v[mid];
    if (r < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  z = xcalloc(1, sizeof(*z));
  z->region = arena_strdup(c->arena, region);
  z->zone = arena_strdup(c->arena, zone);
  z->lim = (struct nl_limiter){NLC_EVICTION_INTERVAL, now_of(c)};
  VEC_GROW(&c->zones, c->zones.nr + 1);
  memmove(&c->zones.v[lo + 1], &c->zones.v[lo],
          (c->zones.nr - lo) * sizeof(c->zones.v[0]));
  c->zones.v[lo] = z;
  c->zones.nr++;
  return z;
}

static void zone_note(const struct nlc *c, const struct nl_zone *z,
                      const char *msg)
{
  char obj[256];

  snprintf(obj, sizeof(obj), "Zone/%s%s%s", z->region, *z->region ? "/" : "",
           *z->zone ? z->zone : "(none)");
  cluster_note(&c->env, obj, "ZoneState", "%s", msg);
}

/* --- the deadline heap --------------------------------------------------- */

static bool heap_less(const struct nl_node *a, const struct nl_node *b)
{
  if (a->deadline != b->deadline)
    return a->deadline < b->deadline;
  return strcmp(a->name, b->name) < 0;
}

static void heap_set(struct nlc *c, size_t i, struct nl_node *n)
{
  c->heap.v[i] = n;
  n->hpos = i;
}

static void heap_sift(struct nlc *c, size_t i)
{
  struct nl_node *n = c->heap.v[i];

  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!heap_less(n, c->heap.v[p]))
      break;
    heap_set(c, i, c->heap.v[p]);
    i = p;
  }
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    struct nl_node *best = n;
    if (l < c->heap.nr && heap_less(c->heap.v[l], best)) {
      m = l;
      best = c->heap.v[l];
    }
    if (l + 1 < c->heap.nr && heap_less(c->heap.v[l + 1], best))
      m = l + 1;
    if (m == i)
      break;
    heap_set(c, i, c->heap.v[m]);
    i = m;
  }
  heap_set(c, i, n);
}

static void heap_remove(struct nlc *c, struct nl_node *n)
{
  size_t i = n->hpos;

  if (i == SIZE_MAX)
    return;
  n->hpos = SIZE_MAX;
  c->heap.nr--;
  if (i == c->heap.nr)
    return;
  heap_set(c, i, c->heap.v[c->heap.nr]);
  heap_sift(c, i);
}

static void set_deadline(struct nlc *c, struct nl_node *n, simtime d)
{
  n->deadline = d;
  if (d == SIMTIME_NEVER) {
    heap_remove(c, n);
    return;
  }
  if (n->hpos == SIZE_MAX) {
    VEC_PUSH(&c->heap, n);
    n->hpos = c->heap.nr - 1;
  }
  heap_sift(c, n->hpos);
}

/*
 * A node whose Ready is already Unknown (in the cache, or written by the
 * last pass and not delivered yet) has nothing left to expire.
 */
static void update_deadline(struct nlc *c, struct nl_node *n)
{
  const struct object *o = n->obj;

  if (!n->present || !n->health || o->u.node.ready.status == COND_UNKNOWN ||
      n->saved_ready.status == COND_UNKNOWN)
    set_deadline(c, n, SIMTIME_NEVER);
  else
    set_deadline(c, n, n->probe + grace_of(c, o));
}

/* --- scheduling the loops ------------------------------------------------ */

static void monitor_pass(struct engine *e, uint64_t subject, uint64_t arg,
                         void *ctx);
static void evict_loop(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx);

static void pass_plan(struct nlc *c)
{
  simtime want = c->pass_want;
  simtime at = SIMTIME_NEVER;

  if (c->heap.nr && c->heap.v[0]->deadline < want)
    want = c->heap.v[0]->deadline;
  if (want != SIMTIME_NEVER)
    at = pass_tick(c, want);
  if (at == c->pass_at && c->pass_timer)
    return;
  if (c->pass_timer)
    engine_cancel(c->engine, c->pass_timer);
  c->pass_timer = 0;
  c->pass_at = at;
  if (at != SIMTIME_NEVER)
    c->pass_timer = engine_schedule(c->engine, at, PHASE_CONTROLLER,
                                    "nlc-monitor", monitor_pass, 0, 0, c);
}

/* The next pass should run (something it acts on changed). */
static void want_pass(struct nlc *c)
{
  simtime at = pass_tick(c, now_of(c));

  if (at < c->pass_want)
    c->pass_want = at;
  pass_plan(c);
}

static bool limiter_try(struct nl_limiter *l, simtime now)
{
  if (l->interval <= 0 || now < l->full_at)
    return false;
  l->full_at = now + l->interval;
  return true;
}

static void evict_plan(struct nlc *c)
{
  simtime at = SIMTIME_NEVER;

  for (size_t i = 0; i < c->zones.nr; i++) {
    const struct nl_zone *z = c->zones.v[i];
    if (!z->queue.nr || z->lim.interval <= 0)
      continue;
    simtime t = evict_tick(c, z->lim.full_at);
    if (t < at)
      at = t;
  }
  if (at == c->evict_at && c->evict_timer)
    return;
  if (c->evict_timer)
    engine_cancel(c->engine, c->evict_timer);
  c->evict_timer = 0;
  c->evict_at = at;
  if (at != SIMTIME_NEVER)
    c->evict_timer = engine_schedule(c->engine, at, PHASE_CONTROLLER,
                                     "nlc-noexecute", evict_loop, 0, 0, c);
}

/* --- the zone queues (RateLimitedTimedQueue) ----------------------------- */

static bool item_before(const struct nl_item *a, const struct nl_item *b)
{
  if (a->process_at != b->process_at)
    return a->process_at < b->process_at;
  return a->seq < b->seq;
}

static void queue_insert(struct nlc *c, struct nl_zone *z, struct nl_node *n,
                         simtime at)
{
  struct nl_item it = {n, at, ++c->qseq};
  size_t i = z->queue.nr;

  VEC_GROW(&z->queue, z->queue.nr + 1);
  while (i > 0 && item_before(&it, &z->queue.v[i - 1])) {
    z->queue.v[i] = z->queue.v[i - 1];
    i--;
  }
  z->queue.v[i] = it;
  z->queue.nr++;
  n->in_queue = true;
  n->qzone = z;
}

static void queue_unlink(struct nl_zone *z, struct nl_node *n)
{
  for (size_t i = 0; i < z->queue.nr; i++) {
    if (z->queue.v[i].node != n)
      continue;
    memmove(&z->queue.v[i], &z->queue.v[i + 1],
            (z->queue.nr - i - 1) * sizeof(z->queue.v[0]));
    z->queue.nr--;
    break;
  }
  n->in_queue = false;
}

/* UniqueQueue.Add: only if not in the set. */
static bool queue_add(struct nlc *c, struct nl_zone *z, struct nl_node *n)
{
  if (n->in_set && n->qzone == z)
    return false;
  if (n->in_set && n->in_queue)
    queue_unlink(n->qzone, n); /* it moved zones: upstream keeps both */
  n->in_set = true;
  queue_insert(c, z, n, now_of(c));
  evict_plan(c);
  return true;
}

/* UniqueQueue.Remove: out of the set and the queue. */
static bool queue_remove(struct nlc *c, struct nl_zone *z, struct nl_node *n)
{
  if (!n->in_set || n->qzone != z)
    return false;
  /* SIMPLIFIED: called by passes that run only, see the file comment. */
  n->in_set = false;
  if (n->in_queue)
    queue_unlink(z, n);
  evict_plan(c);
  return true;
}

/* RateLimitedTimedQueue.SwapLimiter. */
static void swap_limiter(struct nlc *c, struct nl_zone *z, simtime interval)
{
  simtime now = now_of(c);

  if (z->lim.interval == interval)
    return;
  if (interval <= 0) {
    z->lim = (struct nl_limiter){0, SIMTIME_NEVER};
    return;
  }
  /* A new bucket starts full; if the old one had no token left, the new
   * one is drained at once (good enough with burst 1, says upstream). */
  bool had = limiter_try(&z->lim, now);
  z->lim = (struct nl_limiter){interval, now};
  if (!had)
    limiter_try(&z->lim, now);
}

/* --- taint writes (SwapNodeControllerTaint) ------------------------------ */

struct taint_patch {
  const struct taint *v;
  size_t nr;
  struct arena *arena;
};

/* taintutils.AddOrUpdateTaint for each: same key and effect is replaced
 * unless identical, else appended. */
static bool patch_add_taints(struct object *o, void *ctx)
{
  const struct taint_patch *p = ctx;
  struct node *nd = &o->u.node;
  struct taint *v = arena_alloc(p->arena, (nd->taints_nr + p->nr) * sizeof(*v));
  size_t nr = nd->taints_nr;
  bool changed = false;

  if (nd->taints_nr)
    memcpy(v, nd->taints, nd->taints_nr * sizeof(*v));
  for (size_t i = 0; i < p->nr; i++) {
    const struct taint *t = &p->v[i];
    size_t j;
    for (j = 0; j < nr; j++)
      if (v[j].effect == t->effect && !strcmp(v[j].key, t->key))
        break;
    if (j < nr && nf__taints_equal(&v[j], 1, t, 1))
      continue;
    v[j] = *t;
    if (j == nr)
      nr++;
    changed = true;
  }
  if (!changed)
    return false;
  nd->taints = v;
  nd->taints_nr = nr;
  return true;
}

/* taintutils.RemoveTaint for each (key and effect). */
static bool patch_del_taints(struct object *o, void *ctx)
{
  const struct taint_patch *p = ctx;
  struct node *nd = &o->u.node;
  struct taint *v = arena_alloc(p->arena, (nd->taints_nr + 1) * sizeof(*v));
  size_t nr = 0;

  for (size_t i = 0; i < nd->taints_nr; i++) {
    bool drop = false;
    for (size_t j = 0; j < p->nr && !drop; j++)
      drop = nd->taints[i].effect == p->v[j].effect &&
             !strcmp(nd->taints[i].key, p->v[j].key);
    if (!drop)
      v[nr++] = nd->taints[i];
  }
  if (nr == nd->taints_nr)
    return false;
  nd->taints = nr ? v : NULL;
  nd->taints_nr = nr;
  return true;
}

/*
 * controller.RemoveTaintOffNode: short-circuits when the given (cached)
 * node carries none of the taints; otherwise a read and a patch of the
 * live object.
 */
static bool remove_taints(struct nlc *c, const struct object *node,
                          const struct taint *del, size_t nr)
{
  bool any = false;
  struct taint_patch p = {del, nr, c->arena};

  for (size_t i = 0; i < nr && !any; i++)
    any = nf__has_taint(&node->u.node, del[i].key, del[i].effect);
  if (!any)
    return true;
  return api_patch(c->api, NLC_WHO, KIND_NODE, "", node->meta.name, 0,
                   patch_del_taints, &p, NULL) == API_OK;
}

/* controllerutil.SwapNodeControllerTaint: add (stamped now), then remove. */
static bool swap_taints(struct nlc *c, struct taint *add, size_t an,
                        const struct taint *del, size_t dn,
                        const struct object *node)
{
  struct taint_patch p = {add, an, c->arena};

  for (size_t i = 0; i < an; i++)
    add[i].time_added = now_of(c);
  if (an && api_patch(c->api, NLC_WHO, KIND_NODE, "", node->meta.name, 0,
                      patch_add_taints, &p, NULL) != API_OK)
    return false;
  return remove_taints(c, node, del, dn);
}

/* --- mutant: the pre-1.5 terminationEvictor ----------------------------- */

static void force_fire(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx);

/* When f is due (on the eviction grid), or NEVER while its node is not
 * evicted. */
static simtime force_due(const struct nlc *c, const struct nl_force *f)
{
  const struct nl_node *n = node_find(c, f->node);

  if (!n || !n->evicted)
    return SIMTIME_NEVER;
  simtime from = f->since > n->evicted_at ? f->since : n->evicted_at;
  return nf__align(c->origin, c->evict_period, from + f->grace);
}

static void force_plan(struct nlc *c)
{
  simtime at = SIMTIME_NEVER;

  for (size_t i = 0; i < c->force.nr; i++) {
    simtime d = force_due(c, &c->force.v[i]);
    if (d < at)
      at = d;
  }
  if (at != SIMTIME_NEVER && at < now_of(c))
    at = now_of(c);
  if (at == c->force_at && c->force_timer)
    return;
  if (c->force_timer)
    engine_cancel(c->engine, c->force_timer);
  c->force_timer = 0;
  c->force_at = at;
  if (at != SIMTIME_NEVER)
    c->force_timer = engine_schedule(c->engine, at, PHASE_CONTROLLER,
                                     "nlc-force-delete", force_fire, 0, 0, c);
}

/* The node enters (terminationEvictor.Add) or leaves (markNodeAsReachable)
 * the termination queue. */
static void force_mark(struct nlc *c, struct nl_node *n, bool evicted)
{
  if (n->evicted == evicted)
    return;
  n->evicted = evicted;
  n->evicted_at = now_of(c);
  force_plan(c);
}

/* A pod informer event: keep the terminating pods bound to a node. */
static void force_track(struct nlc *c, enum watch_type t,
                        const struct object *now)
{
  const char *node = now->u.pod.spec.node_name;
  size_t i;

  for (i = 0; i < c->force.nr; i++)
    if (c->force.v[i].uid == now->meta.uid)
      break;
  if (t == WATCH_DELETED || !meta_is_deleting(&now->meta) || !node || !*node) {
    if (i == c->force.nr)
      return;
    memmove(&c->force.v[i], &c->force.v[i + 1],
            (c->force.nr - i - 1) * sizeof(c->force.v[0]));
    c->force.nr--;
    force_plan(c);
    return;
  }
  int64_t secs = now->meta.deletion_grace_period_seconds;
  simtime grace = SIM_SEC(secs > 0 ? secs : 0);
  struct nl_force f = {
      .ns = now->meta.namespace_,
      .name = now->meta.name,
      .node = node,
      .uid = now->meta.uid,
      .since = now->meta.deletion_timestamp - grace,
      .grace = grace < NLC_MUT_MAX_GRACE ? grace : NLC_MUT_MAX_GRACE,
  };
  if (i == c->force.nr)
    VEC_PUSH(&c->force, f);
  else
    c->force.v[i] = f; /* a second delete may have shortened it */
  force_plan(c);
}

/* terminatePods: force-delete the pods whose capped grace has passed. */
static void force_fire(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct nlc *c = ctx;
  simtime now = engine_now(e);
  size_t keep = 0;

  (void)subject;
  (void)arg;
  c->force_timer = 0;
  c->force_at = SIMTIME_NEVER;
  for (size_t i = 0; i < c->force.nr; i++) {
    struct nl_force f = c->force.v[i];
    if (force_due(c, &f) > now) {
      c->force.v[keep++] = f;
      continue;
    }
    const struct object *pod = informer_get(c->pods, f.ns, f.name);
    if (!pod || pod->meta.uid != f.uid)
      continue; /* gone already */
    const struct nl_node *n = node_find(c, f.node);
    api_record_event(c->api, NLC_WHO, n->obj, EVENT_NORMAL,
                     "TerminatingEvictedPod",
                     "Pod %s has exceeded the grace period for deletion "
                     "after being evicted from Node \"%s\" and is being "
                     "force killed",
                     f.name, f.node);
    struct delete_opts o = DELETE_OPTS_DEFAULT;
    o.grace_seconds = 0;
    o.precondition_uid = f.uid;
    enum api_status st =
        api_delete(c->api, NLC_WHO, KIND_POD, f.ns, f.name, &o);
    char obj[300];
    snprintf(obj, sizeof(obj), "Pod/%s", f.name);
    cluster_note(&c->env, obj, "ForceDeleted",
                 "mutant %s: node %s is unreachable and the pod's grace "
                 "period is over: force-deleted (grace 0) without the "
                 "kubelet's confirmation: %s",
                 MUTANT_NLC_FORCE_DELETE, f.node, api_status_name(st));
    if (st == API_OK || st == API_NOT_FOUND || st == API_CONFLICT)
      continue;
    /* upstream retries at the next 100 ms tick */
    f.since = now + c->evict_period - f.grace;
    c->force.v[keep++] = f;
  }
  c->force.nr = keep;
  force_plan(c);
}

static struct taint noexec(const char *key)
{
  return (struct taint){
      .key = key, .effect = TAINT_NO_EXECUTE, .time_added = SIMTIME_NEVER};
}

/* markNodeAsReachable: both NoExecute taints off, out of the queue. */
static bool mark_reachable(struct nlc *c, struct nl_node *n,
                           const struct object *node)
{
  struct taint del[2] = {noexec(NF_TAINT_UNREACHABLE),
                         noexec(NF_TAINT_NOT_READY)};

  if (!remove_taints(c, node, &del[0], 1) ||
      !remove_taints(c, node, &del[1], 1))
    return false;
  if (c->mut_force)
    force_mark(c, n, false);
  if (queue_remove(c, zone_get(c, node), n)) {
    char obj[300];
    snprintf(obj, sizeof(obj), "Node/%s", n->name);
    cluster_note(&c->env, obj, "Reachable", "out of the NoExecute taint queue");
  }
  return true;
}

/* markNodeForTainting. */
static void mark_for_tainting(struct nlc *c, struct nl_node *n,
                              const struct object *node, enum cond_status st)
{
  struct nl_zone *z = zone_get(c, node);
  const struct node *nd = &node->u.node;

  if (st == COND_FALSE &&
      !nf__has_taint(nd, NF_TAINT_NOT_READY, TAINT_NO_EXECUTE))
    queue_remove(c, z, n);
  if (st == COND_UNKNOWN &&
      !nf__has_taint(nd, NF_TAINT_UNREACHABLE, TAINT_NO_EXECUTE))
    queue_remove(c, z, n);
  if (queue_add(c, z, n)) {
    char obj[300];
    snprintf(obj, sizeof(obj), "Node/%s", n->name);
    cluster_note(&c->env, obj, "TaintQueued",
                 "Ready is %s: queued for the %s:NoExecute taint (zone "
                 "limiter)",
                 cond_status_name(st),
                 st == COND_FALSE ? NF_TAINT_NOT_READY : NF_TAINT_UNREACHABLE);
  }
}

/* processTaintBaseEviction, from the Ready condition observed before this
 * pass's own update. */
static void taint_based_eviction(struct nlc *c, struct nl_node *n,
                                 const struct object *node,
                                 enum cond_status observed)
{
  const struct node *nd = &node->u.node;

  switch (observed) {
  case COND_FALSE:
    if (nf__has_taint(nd, NF_TAINT_UNREACHABLE, TAINT_NO_EXECUTE)) {
      struct taint add = noexec(NF_TAINT_NOT_READY);
      struct taint del = noexec(NF_TAINT_UNREACHABLE);
      if (swap_taints(c, &add, 1, &del, 1, node) && c->mut_force)
        force_mark(c, n, true);
    } else {
      mark_for_tainting(c, n, node, COND_FALSE);
    }
    break;
  case COND_UNKNOWN:
  case COND_UNSET:
    if (nf__has_taint(nd, NF_TAINT_NOT_READY, TAINT_NO_EXECUTE)) {
      struct taint add = noexec(NF_TAINT_UNREACHABLE);
      struct taint del = noexec(NF_TAINT_NOT_READY);
      if (swap_taints(c, &add, 1, &del, 1, node) && c->mut_force)
        force_mark(c, n, true);
    } else {
      mark_for_tainting(c, n, node, COND_UNKNOWN);
    }
    break;
  case COND_TRUE:
    mark_reachable(c, n, node);
    break;
  }
}

/* --- MarkPodsNotReady ---------------------------------------------------- */

/* Marks the pod's Ready condition False; false on a failed write. */
static bool mark_pod_not_ready(struct nlc *c, const struct object *pod,
                               const char *node)
{
  const struct condition *old = &pod->u.pod.status.ready;
  struct condition cond = *old;
  struct object p;
  enum api_status st;

  if (!pod->u.pod.spec.node_name || strcmp(pod->u.pod.spec.node_name, node))
    return true;
  if (old->status == COND_UNSET)
    return true; /* no Ready condition: nothing to mark */
  /* utilpod.UpdatePodCondition: a new status transitions now. */
  cond.status = COND_FALSE;
  if (old->status != COND_FALSE)
    cond.last_transition_time = now_of(c);
  if (cond_equal(&cond, old))
    return true;
  p = *pod;
  p.u.pod.status.ready = cond;
  st = api_update_status(c->api, NLC_WHO, &p, NULL);
  if (st == API_NOT_FOUND)
    return true; /* already gone */
  /* Recorded after the write, even a failed one, as upstream. */
  api_record_event(c->api, NLC_WHO, pod, EVENT_WARNING, "NodeNotReady",
                   "Node is not ready");
  return st == API_OK;
}

static bool mark_pods_not_ready(struct nlc *c, const char *node)
{
  const struct nf_node_pods *np = nf__index_find(&c->ix, node);
  bool ok = true;

  for (size_t i = 0; np && i < np->pods.nr; i++) {
    const struct nf_pod_ref *r = &np->pods.v[i];
    const struct object *pod = informer_get(c->pods, r->ns, r->name);
    if (!pod || pod->meta.uid != r->uid)
      continue;
    if (!mark_pod_not_ready(c, pod, node))
      ok = false;
  }
  return ok;
}

/* --- monitorNodeHealth --------------------------------------------------- */

/*
 * The probe timestamp as tryUpdateNodeHealth keeps it, from one version of
 * the Node seen at time `at` (a pass, or the pass that would have seen a
 * delivery): a new heartbeat, or a Ready condition appearing or vanishing,
 * makes it `at`.
 */
static void observe_heartbeat(struct nl_node *n, const struct object *o,
                              simtime at)
{
  bool has = o->u.node.ready.status != COND_UNSET;
  simtime hb = o->u.node.last_heartbeat;

  if (!n->health)
    return; /* the node's first pass sets everything */
  if (has != n->hb_has_ready || (has && hb != n->hb_seen))
    n->probe = at;
  n->hb_has_ready = has;
  n->hb_seen = hb;
}

/* The same for the Lease: a renewTime newer than the one last seen. */
static void observe_lease(struct nl_node *n, const struct object *lease,
                          simtime at)
{
  if (!lease || !n->health)
    return;
  if (n->saved_lease == SIMTIME_NEVER ||
      n->saved_lease < lease->u.lease.renew_time) {
    n->saved_lease = lease->u.lease.renew_time;
    n->probe = at;
  }
}

/*
 * Renewals of a renewing Lease (apiserver.h) reach the informer without a
 * handler call each. What on_lease did at each delivery (a renewTime newer
 * than the saved one: probe = the pass at or after the delivery) is done
 * here for the last renewal delivered since the previous catch-up, at its
 * delivery instant: the last one wins, as the probe is overwritten by
 * each. Catch-ups run before anything that reads or changes what on_lease
 * depends on (the node's presence and health, the probe, the pass grid):
 * at the start of every pass and of every Node delivery, and when a real
 * write is about to replace the renewing version in the cache.
 */
static void observe_renewal(struct nlc *c, struct nl_node *n, simtime renew,
                            simtime delivered)
{
  simtime at;

  if (!n->present || !n->health || delivered <= n->lease_caught)
    return;
  if (n->saved_lease != SIMTIME_NEVER && n->saved_lease >= renew)
    return;
  at = nf__align(c->origin, c->period, delivered);
  if (at <= c->last_pass)
    at = c->last_pass + c->period;
  n->saved_lease = renew;
  n->probe = at;
}

static void lease_catch_up(struct nlc *c, struct nl_node *n)
{
  simtime renew, delivered;

  if (informer_lease_renewal(c->leases, NF_LEASE_NS, n->name, &renew,
                             &delivered))
    observe_renewal(c, n, renew, delivered);
  n->lease_caught = now_of(c);
}

static void on_renewal(struct informer *inf, const char *ns, const char *name,
                       simtime renew, simtime delivered, void *ctx)
{
  struct nlc *c = ctx;
  struct nl_node *n;

  (void)inf;
  if (strcmp(ns, NF_LEASE_NS))
    return;
  n = node_find(c, name);
  if (n)
    observe_renewal(c, n, renew, delivered);
}

/* Ready, MemoryPressure, DiskPressure, PIDPressure set to Unknown. */
static void set_unknown(struct condition *cd, simtime now)
{
  if (cd->status == COND_UNSET) {
    *cd = (struct condition){.status = COND_UNKNOWN,
                             .last_transition_time = now,
                             .reason = REASON_NEVER,
                             .message = MESSAGE_NEVER};
  } else if (cd->status != COND_UNKNOWN) {
    cd->status = COND_UNKNOWN;
    cd->reason = REASON_UNKNOWN;
    cd->message = MESSAGE_UNKNOWN;
    cd->last_transition_time = now;
  }
}

struct health {
  struct condition observed; /* Ready before this pass (or a fake) */
  struct condition current;  /* Ready after it */
  const struct object *node; /* the version the pass goes on with */
};

/*
 * tryUpdateNodeHealth for one version of the Node. Returns false if the
 * status write failed.
 */
static bool try_update_health(struct nlc *c, struct nl_node *n,
                              const struct object *o, struct health *h)
{
  simtime now = now_of(c);
  const struct node *nd = &o->u.node;
  bool has = nd->ready.status != COND_UNSET;

  if (has) {
    h->observed = nd->ready;
  } else {
    /* A fake Unknown condition from the creation timestamp. */
    h->observed =
        (struct condition){.status = COND_UNKNOWN,
                           .last_transition_time = o->meta.creation_timestamp};
  }
  h->current = nd->ready;
  h->node = o;
  if (!n->health) {
    n->health = true;
    n->probe = has ? now : o->meta.creation_timestamp;
    n->hb_has_ready = has;
    n->hb_seen = nd->last_heartbeat;
  } else {
    observe_heartbeat(n, o, now);
  }
  observe_lease(n, informer_get(c->leases, NF_LEASE_NS, n->name), now);

  /* SIMPLIFIED: >= rather than After, see the file comment. */
  if (now < n->probe + grace_of(c, o))
    return true;
  struct object upd = *o;
  struct node *u = &upd.u.node;
  set_unknown(&u->ready, now);
  set_unknown(&u->memory_pressure, now);
  set_unknown(&u->disk_pressure, now);
  set_unknown(&u->pid_pressure, now);
  h->current = u->ready;
  if (has && cond_equal(&u->ready, &nd->ready))
    return true; /* Ready already Unknown: nothing is written */
  const struct object *out = NULL;
  if (api_update_status(c->api, NLC_WHO, &upd, &out) != API_OK)
    return false;
  h->node = out;
  char obj[300];
  char grace[32];
  snprintf(obj, sizeof(obj), "Node/%s", n->name);
  sim_format_duration(now - n->probe, grace, sizeof(grace));
  cluster_note(&c->env, obj, "NodeStatusUnknown",
               "no heartbeat (Lease or status) seen for %s: Ready=Unknown",
               grace);
  return true;
}

/* One node of a pass; counts it into its zone. */
static void pass_node(struct nlc *c, struct nl_node *n, const struct object *o)
{
  struct health h;
  bool ok = false;

  for (int i = 0; i < NLC_HEALTH_TRIES && o; i++) {
    if (try_update_health(c, n, o, &h)) {
      ok = true;
      break;
    }
    /* SIMPLIFIED: a live GET and another try at once (upstream: 20 ms). */
    o = api_get(c->api, KIND_NODE, "", n->name);
  }
  if (!ok) {
    char obj[300];
    snprintf(obj, sizeof(obj), "Node/%s", n->name);
    cluster_note(&c->env, obj, "UpdateFailed",
                 "node health update failed: skipped this pass, no pods "
                 "will be evicted");
    c->pass_want = pass_tick(c, now_of(c) + 1);
    return;
  }
  const struct object *node = h.node;
  if (!excluded(node)) {
    struct nl_zone *z = zone_get(c, node);
    z->counted = true;
    if (h.current.status == COND_TRUE)
      z->ready++;
    else
      z->not_ready++;
  }
  n->saved_ready = h.current;
  if (h.current.status == COND_UNSET) {
    n->retry = false; /* no Ready condition: nothing more */
    return;
  }
  taint_based_eviction(c, n, node, h.observed.status);
  bool transition =
      h.current.status != COND_TRUE && h.observed.status == COND_TRUE;
  if (transition) {
    api_record_event(c->api, NLC_WHO, node, EVENT_NORMAL, "NodeNotReady",
                     "Node %s status is now: NodeNotReady", n->name);
  }
  if (transition || (n->retry && h.observed.status != COND_TRUE)) {
    if (!mark_pods_not_ready(c, n->name)) {
      n->retry = true;
      c->pass_want = pass_tick(c, now_of(c) + 1);
      return;
    }
  }
  n->retry = false;
}

static enum zone_state compute_zone_state(const struct nl_zone *z)
{
  int total = z->ready + z->not_ready;

  if (z->ready == 0 && z->not_ready > 0)
    return ZONE_FULL;
  if (z->not_ready > 2 &&
      (double)z->not_ready / (double)total >= NLC_UNHEALTHY_ZONE)
    return ZONE_PARTIAL;
  return ZONE_NORMAL;
}

static void set_limiter_in_zone(struct nlc *c, struct nl_zone *z,
                                enum zone_state st)
{
  int size = z->ready + z->not_ready;

  switch (st) {
  case ZONE_NORMAL:
  case ZONE_FULL: /* HealthyQPSFunc */
    swap_limiter(c, z, NLC_EVICTION_INTERVAL);
    break;
  case ZONE_PARTIAL: /* ReducedQPSFunc */
    swap_limiter(c, z, size > NLC_LARGE_CLUSTER ? NLC_SECONDARY_INTERVAL : 0);
    break;
  case ZONE_INITIAL:
    break;
  }
}

/* handleDisruption. */
static void handle_disruption(struct nlc *c)
{
  bool all_are = true, all_was = true;
  simtime now = now_of(c);

  for (size_t i = 0; i < c->zones.nr; i++) {
    struct nl_zone *z = c->zones.v[i];
    if (!z->counted)
      continue;
    z->next = compute_zone_state(z);
    if (z->next != ZONE_FULL)
      all_are = false;
    if (!z->present) {
      z->present = true;
      z->state = ZONE_INITIAL;
    }
  }
  for (size_t i = 0; i < c->zones.nr; i++) {
    struct nl_zone *z = c->zones.v[i];
    if (!z->present)
      continue;
    if (!z->counted) {
      z->present = false; /* SIMPLIFIED: dropped at once */
      continue;
    }
    if (z->state != ZONE_FULL)
      all_was = false;
  }
  if (all_are && all_was)
    return;
  if (all_are) {
    cluster_note(&c->env, "Cluster", "MasterDisruption",
                 "every zone is fully disrupted: the control plane assumes "
                 "it lost the nodes, removes NoExecute taints and stops "
                 "evictions");
    for (size_t i = 0; i < c->list.nr; i++) {
      struct nl_node *n = node_find(c, c->list.v[i]->meta.name);
      if (n)
        mark_reachable(c, n, c->list.v[i]);
    }
    for (size_t i = 0; i < c->zones.nr; i++) {
      struct nl_zone *z = c->zones.v[i];
      if (!z->present)
        continue;
      swap_limiter(c, z, 0);
      z->state = ZONE_FULL;
    }
    return;
  }
  if (all_was) {
    cluster_note(&c->env, "Cluster", "MasterDisruptionOver",
                 "some nodes are Ready again: every node gets a fresh grace "
                 "period");
    for (size_t i = 0; i < c->list.nr; i++) {
      struct nl_node *n = node_find(c, c->list.v[i]->meta.name);
      if (n && n->health) {
        n->probe = now;
        update_deadline(c, n);
      }
    }
    for (size_t i = 0; i < c->zones.nr; i++) {
      struct nl_zone *z = c->zones.v[i];
      if (!z->present)
        continue;
      set_limiter_in_zone(c, z, z->next);
      z->state = z->next;
    }
    return;
  }
  for (size_t i = 0; i < c->zones.nr; i++) {
    struct nl_zone *z = c->zones.v[i];
    if (!z->present || z->state == z->next)
      continue;
    if (z->state != ZONE_INITIAL || z->next != ZONE_NORMAL) {
      char msg[128];
      snprintf(msg, sizeof(msg), "zone is now %s%s", zone_state_names[z->next],
               z->next == ZONE_PARTIAL &&
                       z->ready + z->not_ready <= NLC_LARGE_CLUSTER
                   ? ": no new NoExecute taints in this zone"
                   : "");
      zone_note(c, z, msg);
    }
    set_limiter_in_zone(c, z, z->next);
    z->state = z->next;
  }
}

static bool collect(const struct object *o, void *ctx)
{
  struct nlc *c = ctx;

  VEC_PUSH(&c->list, o);
  return true;
}

static void monitor_pass(struct engine *e, uint64_t subject, uint64_t arg,
                         void *ctx)
{
  struct nlc *c = ctx;
  simtime now = engine_now(e);

  (void)subject;
  (void)arg;
  c->pass_timer = 0;
  c->pass_at = SIMTIME_NEVER;

  /* Renewals delivered meanwhile move deadlines: a pass planned at a
   * deadline they pushed back would not have been planned. */
  simtime want = c->pass_want;
  for (size_t i = 0; i < c->by_name.nr; i++) {
    struct nl_node *n = c->by_name.v[i];
    lease_catch_up(c, n);
    update_deadline(c, n);
  }
  if (c->heap.nr && c->heap.v[0]->deadline < want)
    want = c->heap.v[0]->deadline;
  if (want > now) {
    pass_plan(c);
    return;
  }
  c->pass_want = SIMTIME_NEVER;
  c->last_pass = now;

  c->list.nr = 0;
  informer_list(c->nodes, NULL, NULL, collect, c);

  /* classifyNodes: new zones, added and deleted nodes. */
  for (size_t i = 0; i < c->list.nr; i++) {
    const struct object *o = c->list.v[i];
    struct nl_node *n = node_get(c, o->meta.name);
    struct nl_zone *z = zone_get(c, o);
    if (!z->present) { /* addPodEvictorForNewZone: a fresh queue */
      z->present = true;
      z->state = ZONE_INITIAL;
      z->lim = (struct nl_limiter){NLC_EVICTION_INTERVAL, now};
      z->queue.nr = 0;
      for (size_t j = 0; j < c->by_name.nr; j++) {
        struct nl_node *m = c->by_name.v[j];
        if (m->qzone == z)
          m->in_queue = m->in_set = false;
      }
    }
    if (n->known)
      continue;
    n->known = true;
    api_record_event(c->api, NLC_WHO, o, EVENT_NORMAL, "RegisteredNode",
                     "Node %s event: Registered Node %s in Controller", n->name,
                     n->name);
    mark_reachable(c, n, o);
  }
  for (size_t i = 0; i < c->by_name.nr; i++) {
    struct nl_node *n = c->by_name.v[i];
    if (!n->known || informer_get(c->nodes, "", n->name))
      continue;
    n->known = false;
    api_record_event(c->api, NLC_WHO, n->obj, EVENT_NORMAL, "RemovingNode",
                     "Node %s event: Removing Node %s from Controller", n->name,
                     n->name);
  }

  for (size_t i = 0; i < c->zones.nr; i++) {
    struct nl_zone *z = c->zones.v[i];
    z->ready = z->not_ready = 0;
    z->counted = false;
  }
  for (size_t i = 0; i < c->list.nr; i++) {
    struct nl_node *n = node_get(c, c->list.v[i]->meta.name);
    pass_node(c, n, c->list.v[i]);
  }
  handle_disruption(c);
  for (size_t i = 0; i < c->list.nr; i++)
    update_deadline(c, node_get(c, c->list.v[i]->meta.name));
  pass_plan(c);
  evict_plan(c);
}

/* --- doNoExecuteTaintingPass --------------------------------------------- */

/* The queue's action for one node: true = done, false = retry after
 * *wait. */
static bool taint_from_queue(struct nlc *c, struct nl_node *n, simtime *wait)
{
  const struct object *node = informer_get(c->nodes, "", n->name);
  struct taint add, del;

  *wait = 0;
  if (!node)
    return true; /* no longer present */
  switch (node->u.node.ready.status) {
  case COND_UNSET:
    *wait = NLC_TAINT_RETRY;
    return false;
  case COND_FALSE:
    add = noexec(NF_TAINT_NOT_READY);
    del = noexec(NF_TAINT_UNREACHABLE);
    break;
  case COND_UNKNOWN:
    add = noexec(NF_TAINT_UNREACHABLE);
    del = noexec(NF_TAINT_NOT_READY);
    break;
  default:
    return true; /* Ready again: nothing to taint */
  }
  if (!swap_taints(c, &add, 1, &del, 1, node))
    return false;
  char obj[300];
  snprintf(obj, sizeof(obj), "Node/%s", n->name);
  cluster_note(&c->env, obj, "NoExecuteTaint", "tainted %s:NoExecute", add.key);
  if (c->mut_force)
    force_mark(c, n, true);
  return true;
}

/* RateLimitedTimedQueue.Try. */
static void try_zone(struct nlc *c, struct nl_zone *z)
{
  simtime now = now_of(c);

  while (z->queue.nr) {
    if (!limiter_try(&z->lim, now))
      break;
    struct nl_item head = z->queue.v[0];
    if (now < head.process_at)
      break;
    simtime wait;
    if (taint_from_queue(c, head.node, &wait)) {
      queue_unlink(z, head.node); /* RemoveFromQueue: stays in the set */
    } else {
      queue_unlink(z, head.node);
      /* SIMPLIFIED: now + wait + 1 us (upstream: 1 ns) */
      queue_insert(c, z, head.node, now + wait + 1);
    }
  }
}

static void evict_loop(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct nlc *c = ctx;

  (void)subject;
  (void)arg;
  c->evict_timer = 0;
  c->evict_at = SIMTIME_NEVER;
  c->last_evict = engine_now(e);
  for (size_t i = 0; i < c->zones.nr; i++)
    try_zone(c, c->zones.v[i]);
  evict_plan(c);
}

/* --- doNoScheduleTaintingPass -------------------------------------------- */

static const char *const ns_keys[] = {
    NF_TAINT_NOT_READY,           NF_TAINT_UNREACHABLE,
    NF_TAINT_MEMORY_PRESSURE,     NF_TAINT_DISK_PRESSURE,
    NF_TAINT_NETWORK_UNAVAILABLE, NF_TAINT_PID_PRESSURE,
    NF_TAINT_UNSCHEDULABLE,
};
#define NS_KEYS (sizeof(ns_keys) / sizeof(ns_keys[0]))

/* The NoSchedule taints the node's conditions call for. */
static size_t ns_wanted(const struct node *nd, const char **keys)
{
  size_t nr = 0;

  if (nd->ready.status == COND_FALSE)
    keys[nr++] = NF_TAINT_NOT_READY;
  else if (nd->ready.status == COND_UNKNOWN)
    keys[nr++] = NF_TAINT_UNREACHABLE;
  if (nd->memory_pressure.status == COND_TRUE)
    keys[nr++] = NF_TAINT_MEMORY_PRESSURE;
  if (nd->disk_pressure.status == COND_TRUE)
    keys[nr++] = NF_TAINT_DISK_PRESSURE;
  if (nd->network_unavailable.status == COND_TRUE)
    keys[nr++] = NF_TAINT_NETWORK_UNAVAILABLE;
  if (nd->pid_pressure.status == COND_TRUE)
    keys[nr++] = NF_TAINT_PID_PRESSURE;
  if (nd->unschedulable)
    keys[nr++] = NF_TAINT_UNSCHEDULABLE;
  return nr;
}

static bool key_in(const char *key, const char *const *keys, size_t nr)
{
  for (size_t i = 0; i < nr; i++)
    if (!strcmp(key, keys[i]))
      return true;
  return false;
}

/* TaintSetDiff of wanted vs the node's condition NoSchedule taints. */
static bool ns_diff(const struct node *nd, struct taint *add, size_t *an,
                    struct taint *del, size_t *dn)
{
  const char *want[NS_KEYS];
  size_t wn = ns_wanted(nd, want);

  *an = *dn = 0;
  for (size_t i = 0; i < wn; i++)
    if (!nf__has_taint(nd, want[i], TAINT_NO_SCHEDULE))
      add[(*an)++] = (struct taint){.key = want[i],
                                    .effect = TAINT_NO_SCHEDULE,
                                    .time_added = SIMTIME_NEVER};
  for (size_t i = 0; i < nd->taints_nr && *dn < NS_KEYS; i++) {
    const struct taint *t = &nd->taints[i];
    if (t->effect != TAINT_NO_SCHEDULE || !key_in(t->key, ns_keys, NS_KEYS))
      continue;
    if (!key_in(t->key, want, wn))
      del[(*dn)++] = *t;
  }
  return *an || *dn;
}

static void ns_drain(struct engine *e, uint64_t subject, uint64_t arg,
                     void *ctx)
{
  struct nlc *c = ctx;

  (void)e;
  (void)subject;
  (void)arg;
  c->ns_timer = 0;
  for (size_t i = 0; i < c->ns_queue.nr; i++) {
    struct nl_node *n = c->ns_queue.v[i];
    const struct object *node = informer_get(c->nodes, "", n->name);
    struct taint add[NS_KEYS], del[NS_KEYS];
    size_t an, dn;

    n->ns_queued = false;
    if (!node || !ns_diff(&node->u.node, add, &an, del, &dn))
      continue;
    if (!swap_taints(c, add, an, del, dn, node)) {
      /* upstream logs and waits for the next update of the node */
      char obj[300];
      snprintf(obj, sizeof(obj), "Node/%s", n->name);
      cluster_note(&c->env, obj, "TaintFailed",
                   "NoSchedule taints not updated: %s", api_last_error(c->api));
    }
  }
  c->ns_queue.nr = 0;
}

static void ns_enqueue(struct nlc *c, struct nl_node *n)
{
  if (n->ns_queued)
    return;
  n->ns_queued = true;
  VEC_PUSH(&c->ns_queue, n);
  if (!c->ns_timer)
    c->ns_timer = engine_schedule(c->engine, now_of(c), PHASE_CONTROLLER,
                                  "nlc-noschedule", ns_drain, 0, 0, c);
}

/* --- the pod worker ------------------------------------------------------ */

static void pod_drain(struct engine *e, uint64_t subject, uint64_t arg,
                      void *ctx);

static void pod_plan(struct nlc *c)
{
  simtime at = SIMTIME_NEVER;

  for (size_t i = 0; i < c->pod_queue.nr; i++)
    if (c->pod_queue.v[i].not_before < at)
      at = c->pod_queue.v[i].not_before;
  if (at != SIMTIME_NEVER && at < now_of(c))
    at = now_of(c);
  if (at == c->pod_at && c->pod_timer)
    return;
  if (c->pod_timer)
    engine_cancel(c->engine, c->pod_timer);
  c->pod_timer = 0;
  c->pod_at = at;
  if (at != SIMTIME_NEVER)
    c->pod_timer = engine_schedule(c->engine, at, PHASE_CONTROLLER, "nlc-pod",
                                   pod_drain, 0, 0, c);
}

static void pod_enqueue(struct nlc *c, const char *ns, const char *name,
                        simtime at, unsigned failures)
{
  for (size_t i = 0; i < c->pod_queue.nr; i++) {
    struct nl_pod_item *it = &c->pod_queue.v[i];
    if (!strcmp(it->ns, ns) && !strcmp(it->name, name)) {
      if (at < it->not_before)
        it->not_before = at;
      return;
    }
  }
  struct nl_pod_item it = {ns, name, at, failures};
  VEC_PUSH(&c->pod_queue, it);
  pod_plan(c);
}

/* processPod: a pod assigned to a node last seen not Ready. */
static bool process_pod(struct nlc *c, const char *ns, const char *name)
{
  const struct object *pod = informer_get(c->pods, ns, name);
  const char *node;
  struct nl_node *n;

  if (!pod || !(node = pod->u.pod.spec.node_name))
    return true;
  n = node_find(c, node);
  if (!n || !n->health)
    return true; /* not gathered yet, or removed */
  if (!informer_get(c->nodes, "", node))
    return false;
  if (n->saved_ready.status == COND_UNSET || n->saved_ready.status == COND_TRUE)
    return true;
  return mark_pod_not_ready(c, pod, node);
}

static void pod_drain(struct engine *e, uint64_t subject, uint64_t arg,
                      void *ctx)
{
  struct nlc *c = ctx;
  simtime now = engine_now(e);
  size_t keep = 0;

  (void)subject;
  (void)arg;
  c->pod_timer = 0;
  c->pod_at = SIMTIME_NEVER;
  /* Items are taken out before processing: a write may enqueue more. */
  for (size_t i = 0; i < c->pod_queue.nr; i++) {
    struct nl_pod_item it = c->pod_queue.v[i];
    if (it.not_before > now) {
      c->pod_queue.v[keep++] = it;
      continue;
    }
    if (process_pod(c, it.ns, it.name))
      continue;
    simtime d = NLC_BACKOFF_BASE;
    for (unsigned k = 0; k < it.failures && d < NLC_BACKOFF_MAX; k++)
      d *= 2;
    if (d > NLC_BACKOFF_MAX)
      d = NLC_BACKOFF_MAX;
    it.not_before = now + d;
    it.failures++;
    c->pod_queue.v[keep++] = it;
  }
  c->pod_queue.nr = keep;
  pod_plan(c);
}

/* --- informer handlers --------------------------------------------------- */

/*
 * Whether the next pass has NoExecute work for this node in its present
 * state (processTaintBaseEviction would write or queue something).
 */
static bool taint_work(const struct nl_node *n, const struct object *o)
{
  const struct node *nd = &o->u.node;
  bool unreach = nf__has_taint(nd, NF_TAINT_UNREACHABLE, TAINT_NO_EXECUTE);
  bool notready = nf__has_taint(nd, NF_TAINT_NOT_READY, TAINT_NO_EXECUTE);

  switch (nd->ready.status) {
  case COND_TRUE:
    return unreach || notready || n->in_set;
  case COND_FALSE:
    return unreach || (!notready && !(n->in_set && n->in_queue));
  default:
    return notready || (!unreach && !(n->in_set && n->in_queue));
  }
}

static bool labels_moved(const struct object *a, const struct object *b)
{
  const char *ra, *za, *rb, *zb;

  zone_of(a, &ra, &za);
  zone_of(b, &rb, &zb);
  return strcmp(ra, rb) || strcmp(za, zb) || excluded(a) != excluded(b);
}

static void on_node(struct informer *inf, enum watch_type t,
                    const struct object *old, const struct object *now,
                    void *ctx)
{
  struct nlc *c = ctx;
  struct nl_node *n = node_get(c, now->meta.name);
  bool pass = false;

  (void)inf;
  lease_catch_up(c, n);
  if (t == WATCH_DELETED) {
    n->present = false;
    n->obj = now;
    set_deadline(c, n, SIMTIME_NEVER);
    want_pass(c);
    return;
  }
  n->present = true;
  n->obj = now;
  observe_heartbeat(n, now, pass_tick(c, now_of(c)));
  if (!old || old->u.node.ready.status != now->u.node.ready.status ||
      labels_moved(old, now) || (n->known && taint_work(n, now)) || n->retry ||
      !n->known)
    pass = true;
  update_deadline(c, n);
  if (pass)
    want_pass(c);
  else
    pass_plan(c);

  struct taint add[NS_KEYS], del[NS_KEYS];
  size_t an, dn;
  if (ns_diff(&now->u.node, add, &an, del, &dn))
    ns_enqueue(c, n);
}

static void on_lease(struct informer *inf, enum watch_type t,
                     const struct object *old, const struct object *now,
                     void *ctx)
{
  struct nlc *c = ctx;
  struct nl_node *n;

  (void)inf;
  (void)old;
  if (t == WATCH_DELETED || strcmp(now->meta.namespace_, NF_LEASE_NS))
    return;
  n = node_find(c, now->meta.name);
  if (!n || !n->present)
    return;
  observe_lease(n, now, pass_tick(c, now_of(c)));
  update_deadline(c, n);
  pass_plan(c);
}

static void on_pod(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct nlc *c = ctx;
  const char *node = now->u.pod.spec.node_name;

  (void)inf;
  nf__index_update(&c->ix, t, old, now);
  if (c->mut_force)
    force_track(c, t, now);
  if (t == WATCH_DELETED || !node || !*node)
    return;
  /* podUpdated: added, or bound to another node. */
  if (old && old->u.pod.spec.node_name &&
      !strcmp(old->u.pod.spec.node_name, node))
    return;
  /* processPod acts only on a node last seen not Ready: checked here so
   * that pods on healthy nodes cost no work item. */
  struct nl_node *n = node_find(c, node);
  if (!n || !n->health || n->saved_ready.status == COND_TRUE ||
      n->saved_ready.status == COND_UNSET)
    return;
  pod_enqueue(c, now->meta.namespace_, now->meta.name, now_of(c), 0);
}

/* --- the component ------------------------------------------------------- */

void *nodelifecycle_start(const struct cluster_env *env)
{
  struct nlc *c = xcalloc(1, sizeof(*c));
  simtime delay;

  c->env = *env;
  c->api = env->api;
  c->engine = api_engine(env->api);
  c->arena = api_arena(env->api);
  c->tm = &env->s->timings;
  delay = c->tm->v[TIMING_WATCH_DELAY];
  c->period = c->tm->v[TIMING_NODE_MONITOR_PERIOD];
  c->evict_period = c->tm->v[TIMING_NODE_EVICTION_PERIOD];
  SIM_ASSERT(c->period > 0 && c->evict_period > 0);
  /* Both loops start once the caches have synced (the first LIST). */
  c->origin = engine_now(c->engine) + delay;
  c->last_pass = c->last_evict = -1;
  c->pass_at = c->evict_at = c->pod_at = SIMTIME_NEVER;
  c->pass_want = c->origin;
  c->mut_force = mutant_on(env->mutant, MUTANT_NLC_FORCE_DELETE);
  c->force_at = SIMTIME_NEVER;

  c->nodes = informer_new(c->api, KIND_NODE, NLC_WHO, delay);
  c->leases = informer_new(c->api, KIND_LEASE, NLC_WHO, delay);
  c->pods = informer_new(c->api, KIND_POD, NLC_WHO, delay);
  informer_add_handler(c->nodes, on_node, c);
  informer_add_handler(c->leases, on_lease, c);
  informer_add_renewal_handler(c->leases, on_renewal, c);
  informer_add_handler(c->pods, on_pod, c);
  pass_plan(c);
  return c;
}

void nodelifecycle_stop(void *state)
{
  struct nlc *c = state;

  if (!c)
    return;
  /* No engine calls: the engine may be freed already. */
  for (size_t i = 0; i < c->by_name.nr; i++)
    free(c->by_name.v[i]);
  for (size_t i = 0; i < c->zones.nr; i++) {
    free(c->zones.v[i]->queue.v);
    free(c->zones.v[i]);
  }
  free(c->by_name.v);
  free(c->zones.v);
  free(c->heap.v);
  free(c->ns_queue.v);
  free(c->pod_queue.v);
  free(c->force.v);
  free(c->list.v);
  nf__index_release(&c->ix);
  free(c);
}
