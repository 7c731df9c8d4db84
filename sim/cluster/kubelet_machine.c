/*
 * kubelet_machine.c - the machine under a kubelet (cluster-behaviour.md
 * 2.4-2.8, 3.4, 11.1): it crashes, boots again, loses the API server
 * (partition) and gets it back, shuts down gracefully, is deleted by the
 * cloud, or joins the cluster as a new node.
 *
 * The control plane sees none of this directly: it only sees the kubelet's
 * writes stop (crash, partition, power-off) and start again. A crash and a
 * partition are therefore identical to it and differ only on the node: a
 * crashed machine's containers are gone, a partitioned one's keep running
 * and writing (the kubelet has no self-fencing).
 *
 *   crash      every container dies at once: the truth loses the pods'
 *              sandboxes, writers and mounts (attachments stay: the disk
 *              is still attached to the dead VM); the kubelet's state is
 *              dropped, its timers cancelled; nothing is written.
 *   boot       (restart-node) the kubelet starts again: Lease and node
 *              status loops at once (Ready, NodeReady, and Rebooted with a
 *              new boot id), then the relist of its pods after the watch
 *              delay: pods still bound and not deleting restart in place
 *              with a new sandbox (new IP, restartCount + 1, see
 *              seed_from_status in kubelet_pod.c); deleting ones are
 *              terminated and final-deleted; pods removed meanwhile have
 *              nothing left to clean up (their containers died with the
 *              machine) and drop out of volumesInUse at the first status
 *              post. The image cache on disk survives; the CNI IPAM goes on
 *              from its last reserved address, so IPs change.
 *   partition  the kubelet's API writes fail (kubelet_api.c) and its watch
 *              is cut: informer input is ignored (kl__node_watching). Its
 *              loops go on and retry as upstream: the Lease with its
 *              200 ms..7 s back-off, the node status every 10 s, pod
 *              statuses at the status manager's 10 s sync.
 *   heal       the watch reconnects: after the watch delay the kubelet
 *              relists (kl__node_relist): pods removed from the API are
 *              killed, deleting ones terminated with their deletion grace
 *              counted from now, statuses re-posted; the Lease renews at
 *              its next retry (at most 7 s), the node status at its next
 *              tick.
 *   shutdown   graceful node shutdown (shutdownGracePeriod > 0): Ready
 *              False "node is shutting down" posted at once, new pods
 *              rejected (NodeShutdown), regular pods killed with
 *              min(terminationGracePeriodSeconds, shutdownGracePeriod -
 *              shutdownGracePeriodCriticalPods), then critical pods
 *              (priority >= 2000000000) with min(their grace,
 *              shutdownGracePeriodCriticalPods); each ends Failed, reason
 *              Terminated, and is not deleted. A group's pods are waited
 *              for until they stopped or the group's time is up, then the
 *              inhibitor lock is released and the machine powers off: the
 *              volume teardown and the volumesInUse update that would
 *              follow are cut short, as upstream (issues #106227,
 *              #115148). With shutdownGracePeriod 0 (the default) a
 *              shutdown is a crash.
 *   remove     (delete-node) the VM is gone: like a crash, for good.
 *   add        (add-node) a new machine whose kubelet registers its Node,
 *              Ready, and starts.
 *
 * Power and network are separate flags, so faults combine: a partitioned
 * node may crash; it boots still cut off, with no pods (a kubelet without
 * the API server has no pod source), and relists when healed.
 *
 * Open point (cluster-behaviour.md 12): the grace a kubelet uses for a
 * pod it finds removed from the API on heal. Chosen: the version it last
 * saw decides (config.go's merge removes pods with the kubelet's own
 * copy): its deletionGracePeriodSeconds if it saw the deletion start,
 * else spec.terminationGracePeriodSeconds (calculateEffectiveGracePeriod's
 * fallback), never below minimumGracePeriod (2 s). So a pod force-deleted
 * during a partition keeps running and writing up to 30 s after the heal.
 *
 * Simplifications: the machine's boot time is folded into the action's
 * time (the kubelet starts at restart-node); after a power-off by graceful
 * shutdown the truth shows MACHINE_CRASHED (nothing runs); the shutdown
 * manager's DisruptionTarget condition and the priority-bucket variant
 * (GracefulNodeShutdownBasedOnPodPriority) are not modelled.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet_int.h"

/* scheduling.SystemCriticalPriority: kubelettypes.IsCriticalPod. */
#define KL_CRITICAL_PRIORITY 2000000000

/* --- state --------------------------------------------------------------- */

void kl__machine_sync(struct kl_node *n)
{
  enum node_machine m = MACHINE_UP;

  if (n->gone)
    m = MACHINE_GONE;
  else if (n->off)
    m = MACHINE_CRASHED;
  else if (n->shutting_down)
    m = MACHINE_SHUTTING_DOWN;
  else if (n->cut)
    m = MACHINE_PARTITIONED;
  if (m == n->machine)
    return;
  n->machine = m;
  truth_set_machine(n->ks->env.truth, n->name, m);
}

static void node_note(struct kl_node *n, const char *reason, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

static void node_note(struct kl_node *n, const char *reason, const char *fmt,
                      ...)
{
  const struct cluster_env *env = &n->ks->env;
  char obj[300], msg[512];
  va_list ap;

  if (!env->note)
    return;
  snprintf(obj, sizeof(obj), "Node/%s", n->name);
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  cluster_note(env, obj, reason, "%s", msg);
}

/* Everything the running machine held is lost: containers (in the truth),
 * the kubelet's memory and timers. The disk (image cache, IPAM's last
 * reserved address) survives. */
static void machine_down(struct kl_node *n)
{
  struct kubelets *ks = n->ks;

  kl__lease_real(n);
  kl__cancel(ks, &n->lease_timer);
  kl__cancel(ks, &n->status_timer);
  kl__cancel(ks, &n->vol_timer);
  kl__cancel(ks, &n->relist_timer);
  kl__cancel(ks, &n->shutdown_timer);
  kl__pods_machine_died(n);
  n->off = true;
  n->shutting_down = false;
  n->shutdown_phase = 0;
  n->relisting = false;
  n->rebooted = false;
  n->lease = NULL;
  n->status_at = SIMTIME_NEVER;
  n->reported.nr = 0;
  n->in_use.nr = 0;
  n->pulls.nr = 0;
  n->pull_free = 0;
  memset(n->ip_used, 0, sizeof(n->ip_used));
  kl__machine_sync(n);
}

static void relist_fn(struct engine *e, uint64_t subject, uint64_t arg,
                      void *ctx)
{
  struct kubelets *ks = ctx;
  struct kl_node *n = kl__node_by_index(ks, (uint32_t)subject);

  (void)e;
  (void)arg;
  if (!n)
    return;
  n->relist_timer = 0;
  if (n->off || n->gone || n->cut || !n->relisting)
    return;
  kl__node_relist(n);
}

/* The kubelet's watch (re)connects: the LIST arrives after the delay. */
static void watch_connect(struct kl_node *n)
{
  struct kubelets *ks = n->ks;
  simtime at = engine_now(ks->engine) + ks->tm->v[TIMING_WATCH_DELAY];

  n->relisting = true;
  kl__cancel(ks, &n->relist_timer);
  n->relist_timer = engine_schedule(
      ks->engine, at, PHASE_NODE, "kubelet-relist", relist_fn, n->index, 0, ks);
}

/* A random boot id (/proc/sys/kernel/random/boot_id), from the node's
 * stream. */
static const char *new_boot_id(struct kl_node *n)
{
  uint32_t w[4];

  for (int i = 0; i < 4; i++)
    w[i] = (uint32_t)gsl_rng_get(kl__rng(n));
  return arena_printf(n->ks->arena,
                      "%08" PRIx32 "-%04" PRIx32 "-4%03" PRIx32 "-%04" PRIx32
                      "-%04" PRIx32 "%08" PRIx32,
                      w[0], w[1] >> 16, w[1] & 0xfff,
                      (w[2] >> 16 & 0x3fff) | 0x8000, w[2] & 0xffff, w[3]);
}

/*
 * A kubelet process starts on a machine that was off (or is new): it gets
 * its Node, says so ("Starting kubelet."; the kubelets running when the
 * simulation starts are already-running processes and do not), starts its
 * loops and lists its pods after the watch delay. Until then it does not
 * post volumesInUse (the volume manager's states are not synced).
 */
static void machine_boot(struct kl_node *n, bool reboot)
{
  struct kubelets *ks = n->ks;
  const struct object *node = informer_get(ks->nodes, "", n->name);

  n->off = false;
  n->rebooted = reboot;
  n->boot_id = new_boot_id(n);
  n->vols_synced = false;
  if (node)
    n->node = node;
  kl__machine_sync(n);
  if (n->node)
    kl__api_event(n, n->node, EVENT_NORMAL, "Starting", "Starting kubelet.");
  kl__node_loops_start(n);
  if (!n->cut)
    watch_connect(n);
}

/* --- graceful node shutdown ---------------------------------------------- */

static bool critical(const struct kl_pod *kp)
{
  return kp->obj->u.pod.spec.priority >= KL_CRITICAL_PRIORITY;
}

static bool in_group(const struct kl_pod *kp, int phase)
{
  return critical(kp) == (phase == 2);
}

static bool group_stopped(const struct kl_node *n, int phase)
{
  for (size_t i = 0; i < n->pods.nr; i++)
    if (in_group(n->pods.v[i], phase) && !kl__pod_stopped(n->pods.v[i]))
      return false;
  return true;
}

static void shutdown_fn(struct engine *e, uint64_t subject, uint64_t arg,
                        void *ctx);

static void shutdown_at(struct kl_node *n, simtime at)
{
  struct kubelets *ks = n->ks;

  kl__cancel(ks, &n->shutdown_timer);
  n->shutdown_timer =
      engine_schedule(ks->engine, at, PHASE_NODE, "kubelet-shutdown",
                      shutdown_fn, n->index, 0, ks);
}

void kl__machine_pod_stopped(struct kl_node *n)
{
  if (n->shutting_down && n->shutdown_phase)
    shutdown_at(n, engine_now(n->ks->engine));
}

/*
 * Starts group `phase` (processShutdownEvent): kills its pods with the
 * group's time (or their own grace if shorter); a group without pods is
 * skipped. After the last group, the machine powers off.
 */
static void shutdown_group(struct kl_node *n, int phase)
{
  struct kubelets *ks = n->ks;
  simtime sgp = ks->tm->v[TIMING_SHUTDOWN_GRACE_PERIOD];
  simtime crit = ks->tm->v[TIMING_SHUTDOWN_GRACE_PERIOD_CRITICAL];
  simtime now = engine_now(ks->engine);

  if (crit > sgp)
    crit = sgp;
  for (; phase <= 2; phase++) {
    simtime len = phase == 1 ? sgp - crit : crit;
    int64_t group = len / SIM_SEC(1);
    VEC(uint64_t) uids = {0};

    for (size_t i = 0; i < n->pods.nr; i++)
      if (in_group(n->pods.v[i], phase) && !kl__pod_stopped(n->pods.v[i]))
        VEC_PUSH(&uids, n->pods.v[i]->uid);
    if (!uids.nr)
      continue;
    n->shutdown_phase = phase;
    n->shutdown_end = now + len;
    node_note(n, "Shutdown",
              "graceful node shutdown: %zu %s pod(s) get %llds to stop",
              uids.nr, phase == 1 ? "regular" : "critical", (long long)group);
    for (size_t i = 0; i < uids.nr; i++) {
      struct kl_pod *kp = kl__pod_find(n, uids.v[i]);
      int64_t g = group;
      if (!kp)
        continue;
      int64_t tg = kp->obj->u.pod.spec.termination_grace_period_seconds;
      if (tg >= 0 && tg <= g)
        g = tg;
      kl__pod_shutdown_kill(kp, g); /* may free kp */
    }
    free(uids.v);
    shutdown_at(n, group_stopped(n, phase) ? now : n->shutdown_end);
    return;
  }
  /* Every group done: the inhibitor lock is released, the OS powers off
   * before the volumes are torn down. */
  node_note(n, "Shutdown",
            "graceful node shutdown done: the machine powers off (volumes "
            "not torn down, volumesInUse left as last posted)");
  machine_down(n);
}

static void shutdown_fn(struct engine *e, uint64_t subject, uint64_t arg,
                        void *ctx)
{
  struct kubelets *ks = ctx;
  struct kl_node *n = kl__node_by_index(ks, (uint32_t)subject);

  (void)arg;
  if (!n)
    return;
  n->shutdown_timer = 0;
  if (!n->shutting_down || n->off)
    return;
  if (engine_now(e) < n->shutdown_end && !group_stopped(n, n->shutdown_phase)) {
    shutdown_at(n, n->shutdown_end);
    return;
  }
  shutdown_group(n, n->shutdown_phase + 1);
}

/* --- entry points --------------------------------------------------------- */

static struct kl_node *find(void *state, const char *node)
{
  return node ? kl__node_by_name(state, node) : NULL;
}

bool kubelets_machine(void *state, const char *node, enum node_machine *m,
                      bool *cut)
{
  struct kl_node *n = find(state, node);

  if (!n)
    return false;
  if (m)
    *m = n->machine;
  if (cut)
    *cut = n->cut && !n->gone;
  return true;
}

bool kubelets_crash(void *state, const char *node)
{
  struct kl_node *n = find(state, node);

  if (!n)
    return false;
  if (n->off || n->gone)
    return true;
  node_note(n, "Crashed",
            "machine %s died: %zu pod(s) lost their containers; the kubelet "
            "writes nothing more",
            n->name, n->pods.nr);
  machine_down(n);
  return true;
}

bool kubelets_restart(void *state, const char *node)
{
  struct kl_node *n = find(state, node);

  if (!n)
    return false;
  if (!n->off || n->gone)
    return true;
  machine_boot(n, true);
  node_note(n, "Starting", "machine %s booted: the kubelet starts%s", n->name,
            n->cut ? ", but cannot reach the API server" : "");
  return true;
}

bool kubelets_partition(void *state, const char *node)
{
  struct kl_node *n = find(state, node);

  if (!n)
    return false;
  if (n->cut || n->gone)
    return true;
  kl__lease_real(n);
  n->cut = true;
  n->relisting = false;
  kl__cancel(n->ks, &n->relist_timer);
  kl__machine_sync(n);
  node_note(n, "Partitioned",
            "the kubelet on %s cannot reach the API server: writes fail, its "
            "watch is cut; %zu pod(s) keep running",
            n->name, n->pods.nr);
  return true;
}

bool kubelets_heal(void *state, const char *node)
{
  struct kl_node *n = find(state, node);

  if (!n)
    return false;
  if (!n->cut || n->gone)
    return true;
  n->cut = false;
  kl__machine_sync(n);
  if (n->off)
    return true;
  watch_connect(n);
  node_note(n, "Healed",
            "the kubelet on %s reaches the API server again: it relists its "
            "pods",
            n->name);
  return true;
}

bool kubelets_shutdown(void *state, const char *node)
{
  struct kl_node *n = find(state, node);
  struct kubelets *ks = state;

  if (!n)
    return false;
  if (n->off || n->gone || n->shutting_down)
    return true;
  if (ks->tm->v[TIMING_SHUTDOWN_GRACE_PERIOD] <= 0) {
    /* The shutdown manager is disabled: nothing holds the OS back. */
    node_note(n, "Shutdown",
              "graceful node shutdown is off (shutdownGracePeriod 0): %s "
              "powers off like a crash",
              n->name);
    machine_down(n);
    return true;
  }
  n->shutting_down = true;
  kl__machine_sync(n);
  /* syncNodeStatus at once: Ready False, "node is shutting down". */
  kl__node_status_now(n);
  shutdown_group(n, 1);
  return true;
}

bool kubelets_remove(void *state, const char *node)
{
  struct kl_node *n = find(state, node);

  if (!n)
    return false;
  if (n->gone)
    return true;
  node_note(n, "Deleted", "the VM of %s is gone with its %zu pod(s)", n->name,
            n->pods.nr);
  machine_down(n);
  n->gone = true;
  n->cut = false;
  n->node = NULL;
  kl__machine_sync(n);
  return true;
}

/* The zone of the k-th node: the zones of spec.cluster.nodes in order of
 * first appearance, round-robin. NULL when no node has a zone. */
static const char *round_robin_zone(const struct scenario *s, size_t k)
{
  const char *zones[64];
  size_t nz = 0;

  for (size_t i = 0; i < s->nodes_nr && nz < 64; i++) {
    const char *z = s->nodes[i].zone;
    bool seen = false;
    if (!z)
      continue;
    for (size_t j = 0; j < nz && !seen; j++)
      seen = !strcmp(zones[j], z);
    if (!seen)
      zones[nz++] = z;
  }
  return nz ? zones[k % nz] : NULL;
}

bool kubelets_add_node(void *state, const char *node, const char *zone,
                       const char **zone_out)
{
  struct kubelets *ks = state;
  struct kl_node *n = kl__node_by_name(ks, node);
  simtime now = engine_now(ks->engine);
  const struct object *out = NULL;
  struct object o;
  struct kv *l;
  size_t nl = 0;

  if (n && !n->gone)
    return false; /* that machine exists */
  if (!zone)
    zone = round_robin_zone(ks->env.s, ks->by_index.nr);
  if (zone_out)
    *zone_out = zone;
  /* The labels and capacity of a declared node (the loader's defaults). */
  l = arena_calloc(ks->arena, 4, sizeof(*l));
  node = arena_strdup(ks->arena, node);
  l[nl++] = (struct kv){"kubernetes.io/hostname", node};
  l[nl++] = (struct kv){"kubernetes.io/os", "linux"};
  if (zone) {
    l[nl++] = (struct kv){"topology.kubernetes.io/region", "region-1"};
    l[nl++] = (struct kv){"topology.kubernetes.io/zone",
                          arena_strdup(ks->arena, zone)};
  }
  object_init(&o, KIND_NODE);
  o.meta.name = node;
  o.meta.labels = (struct kv_list){l, nl};
  o.u.node.cpu_allocatable_milli = 4000;
  o.u.node.memory_allocatable = INT64_C(16) << 30;
  o.u.node.pods_allocatable = 110;
  /* initialNode runs the status setters before registering: Ready. */
  o.u.node.ready =
      (struct condition){.status = COND_TRUE,
                         .last_transition_time = now,
                         .reason = "KubeletReady",
                         .message = "kubelet is posting ready status"};
  o.u.node.last_heartbeat = now;
  object_set_defaults(&o);
  if (kl__api_node_create(ks, &o, &out) != API_OK)
    return false;
  if (!n) {
    n = kl__node_start(ks, out);
    kl__api_event(n, out, EVENT_NORMAL, "Starting", "Starting kubelet.");
    return true;
  }
  /* A new VM under the name of a deleted one: a fresh machine. */
  n->gone = false;
  n->off = true;
  n->cut = false;
  n->images.nr = 0;
  n->node = out;
  n->ip_next = 2;
  machine_boot(n, false);
  return true;
}

bool kubelets_node_id(void *state, const char *node, uint32_t *id)
{
  struct kl_node *n = find(state, node);

  if (!n)
    return false;
  *id = n->index;
  return true;
}

const char *kubelets_node_name(void *state, uint32_t id)
{
  struct kl_node *n = kl__node_by_index(state, id);

  return n ? n->name : NULL;
}
