/*
 * scheduler.c - the default scheduler: kube-scheduler with its default
 * profile, "default-scheduler" (cluster-behaviour.md section 5).
 *
 * It reads five informers of its own (pods, nodes, claims, volumes,
 * classes) and keeps what upstream calls the scheduler cache: the nodes
 * and, per node, the pods assigned or assumed there with their requests.
 * Pending pods (no spec.nodeName, not deleting, schedulerName
 * default-scheduler or unset) go through upstream's scheduling queue:
 *
 *   activeQ      ordered by priority, then queue time (PrioritySort);
 *   backoffQ     pods waiting out podInitialBackoff * 2^(attempts-1),
 *                capped at podMaxBackoff; flushed every second; from 1.33
 *                (SchedulerPopFromBackoffQ, unless the scenario turns the
 *                gate off) an idle scheduler takes a pod from it early,
 *                except pods that failed with an error;
 *   unschedulable pods parked after a failed attempt until a cluster
 *                event that may help one of the plugins that rejected
 *                them (a simplified QueueingHint per plugin), or until
 *                podMaxInUnschedulablePodsDuration (checked every 30 s).
 *
 * One pod is scheduled per cycle; a cycle costs schedulingLatency. The
 * cycle runs the filters of the default plugins in upstream order
 * (NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit,
 * VolumeBinding, InterPodAffinity; the first that rejects a node gives
 * that node's reasons), scores the feasible nodes with the default score
 * plugins and weights (TaintToleration 3, NodeAffinity 2, NodeResourcesFit
 * LeastAllocated 1, PodTopologySpread system defaults 2, InterPodAffinity
 * 2, NodeResourcesBalancedAllocation 1) and breaks ties with its own
 * random stream. Binding is asynchronous as upstream's binding cycle: the
 * pod is assumed on the node at once; with WaitForFirstConsumer claims
 * PreBind writes the selected-node annotation (or a static PV's claimRef)
 * and waits, polling every second, until the claims are bound (at most
 * volumeBindTimeout); then the pod is bound the way pods/binding does it
 * (spec.nodeName and PodScheduled=True in one write).
 *
 * A failed attempt records Warning FailedScheduling with upstream's
 * message, e.g. "0/3 nodes are available: 3 node(s) didn't match pod
 * anti-affinity rules. preemption: 0/3 nodes are available: 3 No
 * preemption victims found for incoming pod.." (the doubled full stop is
 * upstream's: the preemption part is appended with " %v."), and sets
 * PodScheduled=False with reason Unschedulable (SchedulerError for
 * errors).
 *
 * Version-dependent texts: the taint reason is "node(s) had untolerated
 * taint {key: value}" up to 1.34 and "node(s) had untolerated taint(s)"
 * from 1.35 (PR #134740; later 1.32-1.34 patch releases got it too, which
 * a minor version cannot express); a bound volume's node affinity
 * conflict reads "node(s) didn't match PersistentVolume's node affinity"
 * from 1.33, "node(s) had volume node affinity conflict" before
 * (cluster-behaviour.md 4.6 and 12).
 *
 * Simplifications, each repeated where it is made:
 *  - No preemption. The "preemption:" part of the message is computed as
 *    upstream does when no node has lower-priority victims, which is
 *    exact whenever all pods share one priority (StatefulSets' default).
 *  - The node lifecycle controller's NoSchedule taints (section 1.4) are
 *    also derived here from the node's conditions when the node does not
 *    carry them yet, so a NotReady node is filtered even in a run (or a
 *    window) without that controller. Upstream the scheduler looks only
 *    at the taints; the difference is the short delay before tainting.
 *  - QueueingHints are simplified per plugin (see wants()).
 *  - PodTopologySpread system defaults select "pods with the same
 *    controller owner" instead of the owner's label selector.
 *  - Static volume matching checks access modes as a superset (upstream
 *    tries the smallest access-mode group first); a claim the PV
 *    controller has started to bind (volumeName set, not yet complete) is
 *    waited for without a FindMatchingVolume pass.
 *  - An affinity term with an empty label selector matches no pod (a nil
 *    one does upstream; objects.h cannot tell nil from {}).
 *  - Not modelled: ImageLocality, NodePorts, VolumeRestrictions,
 *    NodeVolumeLimits, VolumeZone, CSIStorageCapacity, explicit
 *    topologySpreadConstraints, namespaceSelector in affinity terms,
 *    nominated nodes, scheduling gates, extenders, other profiles.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver.h"
#include "cluster.h"
#include "rng.h"
#include "u64map.h"

/* The profile name: event source, API client and informer component. */
#define SCHED_NAME "default-scheduler"

/*
 * Periods upstream hard-codes (so they are not in timings.h): the backoffQ
 * flush (flushBackoffQCompleted, every 1 s), the unschedulable leftover
 * flush (every 30 s), the VolumeBinding PreBind poll (1 s) and
 * WaitForCacheSync's poll (100 ms).
 */
#define BACKOFF_FLUSH_PERIOD SIM_SEC(1)
#define LEFTOVER_FLUSH_PERIOD SIM_SEC(30)
#define PREBIND_POLL_PERIOD SIM_SEC(1)
#define CACHE_SYNC_POLL SIM_MS(100)

/* Scoring defaults for containers without requests (non-zero requests). */
#define DEFAULT_MILLI_CPU 100
#define DEFAULT_MEMORY (INT64_C(200) * 1024 * 1024)
#define MAX_NODE_SCORE 100
/* The event recorder's note limit (truncateMessage). */
#define EVENT_NOTE_LIMIT 1024

#define ANN_SELECTED_NODE "volume.kubernetes.io/selected-node"
#define ANN_BIND_COMPLETED "pv.kubernetes.io/bind-completed"
#define ANN_BOUND_BY_CONTROLLER "pv.kubernetes.io/bound-by-controller"
#define NOT_SUPPORTED_PROVISIONER "kubernetes.io/no-provisioner"
#define LABEL_HOSTNAME "kubernetes.io/hostname"
#define LABEL_ZONE "topology.kubernetes.io/zone"
#define TAINT_UNSCHEDULABLE "node.kubernetes.io/unschedulable"

/* Filter plugins, as bits (a pod's rejectors). */
enum plugin_bit {
  PL_NODE_UNSCHEDULABLE = 1u << 0,
  PL_TAINT_TOLERATION = 1u << 1,
  PL_NODE_AFFINITY = 1u << 2,
  PL_NODE_RESOURCES_FIT = 1u << 3,
  PL_VOLUME_BINDING = 1u << 4,
  PL_INTER_POD_AFFINITY = 1u << 5,
};

/* Filter status codes (framework.Code). */
enum fcode {
  FC_SUCCESS = 0,
  FC_UNSCHEDULABLE,              /* preemption might help */
  FC_UNSCHEDULABLE_UNRESOLVABLE, /* preemption is not helpful */
};

enum qstate {
  Q_NONE = 0, /* not queued: assigned, assumed, or not ours */
  Q_ACTIVE,
  Q_BACKOFF,
  Q_UNSCHED,
  Q_INFLIGHT, /* popped; its scheduling cycle is pending */
  Q_BINDING,  /* assumed; the binding cycle (PreBind wait) runs */
};

struct spod;
struct sowner;

/* A node of the scheduler cache; obj NULL = a ghost (pods, no node). */
struct snode {
  const char *name;
  const struct object *obj;
  uint32_t slot; /* stable index for per-owner counts */
  int64_t cpu, mem, cpu_nz, mem_nz, npods;
  struct spod *pods_head, *pods_tail;
  /* the spread plugin's labels of obj, looked up once per version */
  const struct object *labels_of; /* the version below are for */
  int zone;          /* index into sched.zone_names; -1 = no zone */
  bool has_hostname; /* kubernetes.io/hostname is set */
  /*
   * What the filters and scores read of obj, copied once per version
   * (node_summary): a cycle visits every node, and these few fields,
   * here, stay in cache where the node objects do not.
   */
  const struct object *sum_of; /* the version below are for */
  bool unschedulable;
  const struct taint *taints;
  size_t taints_nr;
  const char *dk[8]; /* derived_taints() */
  size_t dnr;
  int64_t cpu_alloc, mem_alloc, pods_alloc;
};

/* One PreBind action and what the wait checks. */
struct wait_item {
  const char *pvc; /* claim name (the pod's namespace) */
  const char *pv;  /* static binding: the PV given a claimRef; else NULL */
  uint64_t rv;     /* resourceVersion our write produced (0: none) */
};

/* A pod the scheduler knows: queued, in flight, assumed or assigned. */
struct spod {
  uint64_t uid;
  const struct object *obj;
  enum qstate state;
  /* queue */
  size_t heap_idx;
  uint64_t seq;          /* FIFO tie-break (D5) */
  simtime ts;            /* queued at, or last failure */
  simtime backoff_until; /* ts + backoff(attempts) */
  int attempts;
  unsigned rejectors;         /* plugins that rejected it last time */
  bool err_backoff;           /* failed with an error, not as unschedulable */
  struct spod *lprev, *lnext; /* unschedulable list; free list */
  /* cache */
  struct snode *node; /* counted on this node */
  bool assumed;       /* counted, but not yet seen bound */
  bool terminating;
  bool in_spread; /* counted in owner->count */
  bool in_aff;    /* on the with-affinity list */
  struct sowner *owner;
  uint64_t owner_uid;
  struct spod *nprev, *nnext; /* node's pods */
  struct spod *aprev, *anext; /* assigned pods with pod (anti-)affinity */
  int64_t cpu, mem, cpu_nz, mem_nz;
  /* binding cycle */
  uint64_t wait_gen;
  simtime wait_start;
  uint64_t poll_handle, timeout_handle;
  simtime poll_at;
  bool waiting; /* on the waiting list */
  struct spod *wprev, *wnext;
  uint64_t wseq; /* position on the waiting list (joined in this order) */
  bool idle;     /* waiting, no poll armed: on the idle list */
  struct spod *iprev, *inext;
  VEC(struct wait_item) wait;
};

/* Pods of one controller, counted per node (PodTopologySpread). */
struct sowner {
  uint64_t uid;
  VEC(int32_t) count; /* by node slot; terminating pods excluded */
};

/* A cluster event for the queue (moves parked pods). */
enum cev_kind {
  CEV_NODE_ADD,
  CEV_NODE_UPDATE,
  CEV_POD_ADD,    /* an assigned pod appeared */
  CEV_POD_DELETE, /* an assigned pod went away (or an assumed one) */
  CEV_POD_LABEL,  /* an assigned pod's labels changed */
  CEV_SELF,       /* the pending pod itself changed */
  CEV_STORAGE,    /* a claim, volume or class was added or changed */
};

enum node_change {
  CH_LABEL = 1u << 0,
  CH_TAINT = 1u << 1, /* taints, cordon, or a condition behind a taint */
  CH_ALLOC = 1u << 2,
};

struct cevent {
  enum cev_kind kind;
  const struct object *old, *now;
  unsigned changes; /* CEV_NODE_UPDATE */
  uint64_t uid;     /* CEV_SELF */
};

/* A (topologyKey, value) pair with a count (InterPodAffinity). */
struct tpair {
  const char *key, *value;
  int64_t n;
};

struct tpairs {
  struct tpair *v;
  size_t nr, alloc;
};

/* A binary heap of pods (activeQ, backoffQ); p->heap_idx is the index. */
struct pheap {
  struct spod **v;
  size_t nr, alloc;
};

/* One distinct reason of a FitError and how many nodes gave it. */
struct hent {
  char text[320];
  int n;
};

/* One claim of the pod being scheduled (VolumeBinding). */
struct vclaim {
  const struct object *pvc;
  const struct object *pv; /* bound: its PV, NULL if missing */
  const struct object *sc; /* not bound: its WaitForFirstConsumer class */
  bool bound;
  const char *selected_node;     /* delayed claim's annotation, or NULL */
  size_t cand_from, cand_to;     /* delayed: candidate PVs in s->cands */
  const struct object *prebound; /* delayed: a PV pre-bound to it */
};

/* Per-node result of the VolumeBinding filter for the chosen node. */
struct vbresult {
  bool bound_ok, pvs_found, unbound_ok;
};

struct feasible {
  struct snode *n;
  int64_t taint, naff, fit, spread, ipa, bal;
  int64_t total;
};

struct sched {
  struct cluster_env env;
  struct api *api;
  struct engine *e;
  struct arena *arena;
  gsl_rng *rng;
  int minor;
  bool pop_from_backoff; /* SchedulerPopFromBackoffQ */
  simtime t0;            /* start: the flush loops tick from here */
  simtime latency, initial_backoff, max_backoff, max_unsched, bind_timeout;

  struct informer *pods, *nodes, *pvcs, *pvs, *classes;
  bool synced;
  uint64_t sync_handle;

  /* the cache */
  VEC(struct snode *) nodes_v; /* sorted by name, ghosts included */
  uint32_t slots;
  size_t live_nr;
  struct spod **map; /* uid -> pod, open addressing; lookups only (D4) */
  size_t map_cap, map_nr;
  VEC(struct sowner *) owners; /* sorted by uid */
  struct spod *aff_head, *aff_tail;
  VEC(struct spod *) chunks;
  struct spod *free_pods;

  /* the queue */
  struct pheap active;
  struct pheap backoff;     /* unschedulable attempts */
  struct pheap err_backoff; /* errors: never popped early */
  struct spod *unsched_head, *unsched_tail;
  uint64_t seq;
  uint64_t cycle_handle;
  bool in_cycle;
  uint64_t inflight_uid;
  VEC(struct cevent) inflight_events;
  uint64_t backoff_handle;
  simtime backoff_at;
  uint64_t leftover_handle;
  simtime leftover_at;
  size_t next_start; /* nextStartNodeIndex: where the next filter walk
                        starts in nodes_v */

  /* the binding cycle */
  struct spod *wait_head, *wait_tail;
  /* the waiting pods without a poll armed, in waiting-list order: only
   * they can be woken (an armed poll is never later than a new one) */
  struct spod *idle_head, *idle_tail;
  uint64_t wseq;
  struct assumed_pv {
    const char *pv;
    uint64_t pod_uid;
  } * assumed_pvs;
  size_t assumed_nr, assumed_alloc;

  /* scratch, reused by every cycle */
  VEC(struct hent) hist;
  VEC(char *) hist_lines;
  struct tpairs aff_in, anti_in, anti_exist, ipa_score;
  VEC(struct vclaim) claims;
  VEC(const struct object *) cands;
  VEC(const char *) eligible;
  VEC(const char *) mine;
  VEC(struct feasible) feas;
  VEC(int64_t) zone_counts;
  VEC(const char *) zone_names; /* every zone label seen (snode.zone) */
  VEC(bool) zone_seen;
  VEC(const struct object *) picked; /* PVs chosen for this pod */
  VEC(struct wait_item) plan;

  /*
   * The PV cache by what FindMatchingVolume asks of it (lookups only, D4):
   * the volumes with no claimRef (candidates for a static match) and, by
   * a hash of the claimRef's namespace/name, those that name a claim (a
   * prebound volume). A cycle looks at these instead of every PV: with
   * dynamic provisioning nearly every volume is bound to another claim.
   */
  struct u64map pvx_by_uid; /* PV uid -> index into pvx */
  VEC(struct pvx {
    const struct object *pv; /* the cached version */
    uint64_t claim_h;        /* hash of its claimRef; 0 = none */
    uint64_t next_same_h;    /* uid of the next PV with claim_h, or 0 */
    size_t unbound_at;       /* index into unbound_pvs, or SIZE_MAX */
  })
  pvx;
  struct u64map pvx_by_claim; /* claim_h -> uid of the first PV */
  VEC(uint64_t) unbound_pvs;  /* uids of PVs without a claimRef */
};

/* --- small helpers --- */

static bool empty(const char *s)
{
  return !s || !*s;
}

/* String equality with NULL equal to "" (unset equals empty). */
static bool str_eq0(const char *a, const char *b)
{
  return !strcmp(a ? a : "", b ? b : "");
}

static simtime now_of(const struct sched *s)
{
  return engine_now(s->e);
}

static const char *node_label(const struct object *n, const char *key)
{
  return kv_get(&n->meta.labels, key);
}

static bool kv_list_equal(const struct kv_list *a, const struct kv_list *b)
{
  if (a->nr != b->nr)
    return false;
  for (size_t i = 0; i < a->nr; i++) {
    const char *v = kv_get(b, a->v[i].key);
    if (!v || !str_eq0(v, a->v[i].value))
      return false;
  }
  return true;
}

/* Appends to a bounded buffer; keeps it NUL-terminated when full. */
static void bprintf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void bprintf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
  va_list ap;
  int n;

  if (*len >= cap - 1)
    return;
  va_start(ap, fmt);
  n = vsnprintf(buf + *len, cap - *len, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  *len += (size_t)n;
  if (*len > cap - 1)
    *len = cap - 1;
}

static const char *pod_ns(const struct object *o)
{
  return empty(o->meta.namespace_) ? "default" : o->meta.namespace_;
}

/* "Pod/web-0" (default namespace) or "Pod/ns/web-0". */
static void pod_ref(const struct object *o, char *buf, size_t n)
{
  if (!strcmp(pod_ns(o), "default"))
    snprintf(buf, n, "Pod/%s", o->meta.name);
  else
    snprintf(buf, n, "Pod/%s/%s", pod_ns(o), o->meta.name);
}

static bool pod_terminal(const struct object *o)
{
  return o->u.pod.status.phase == POD_SUCCEEDED ||
         o->u.pod.status.phase == POD_FAILED;
}

static bool pod_responsible(const struct object *o)
{
  const char *sn = o->u.pod.spec.scheduler_name;
  return empty(sn) || !strcmp(sn, SCHED_NAME);
}

/*
 * Requests as NodeResourcesFit computes them: the larger of the sum over
 * containers and the largest init container. The non-zero variant
 * (scoring only) counts 100m CPU and 200Mi memory for a container that
 * requests none.
 */
static void pod_requests(const struct pod_spec *sp, int64_t *cpu, int64_t *mem,
                         int64_t *cpu_nz, int64_t *mem_nz)
{
  int64_t c = 0, m = 0, cn = 0, mn = 0;

  for (size_t i = 0; i < sp->containers_nr; i++) {
    const struct container *k = &sp->containers[i];
    c += k->cpu_request_milli;
    m += k->memory_request;
    cn += k->cpu_request_milli ? k->cpu_request_milli : DEFAULT_MILLI_CPU;
    mn += k->memory_request ? k->memory_request : DEFAULT_MEMORY;
  }
  for (size_t i = 0; i < sp->init_containers_nr; i++) {
    const struct container *k = &sp->init_containers[i];
    int64_t ic = k->cpu_request_milli, im = k->memory_request;
    int64_t icn = ic ? ic : DEFAULT_MILLI_CPU, imn = im ? im : DEFAULT_MEMORY;
    c = ic > c ? ic : c;
    m = im > m ? im : m;
    cn = icn > cn ? icn : cn;
    mn = imn > mn ? imn : mn;
  }
  *cpu = c;
  *mem = m;
  *cpu_nz = cn;
  *mem_nz = mn;
}

/* A controller owner whose pods get the system-default spreading. */
static uint64_t spread_owner(const struct object *o)
{
  const struct owner_ref *r = meta_controller_ref(&o->meta);

  if (!r || !r->kind)
    return 0;
  if (strcmp(r->kind, "StatefulSet") && strcmp(r->kind, "ReplicaSet") &&
      strcmp(r->kind, "ReplicationController"))
    return 0;
  return r->uid;
}

static bool pod_has_pod_affinity(const struct object *o)
{
  const struct affinity *a = &o->u.pod.spec.affinity;
  return a->pod_affinity_required_nr || a->pod_anti_affinity_required_nr ||
         a->pod_anti_affinity_preferred_nr;
}

/* --- taints and tolerations --- */

static bool toleration_tolerates(const struct toleration *t, const char *key,
                                 const char *value, enum taint_effect eff)
{
  if (!t->any_effect && t->effect != eff)
    return false;
  if (!empty(t->key) && strcmp(t->key, key))
    return false;
  if (t->op == TOLERATE_EXISTS)
    return true;
  return str_eq0(t->value, value);
}

static bool pod_tolerates(const struct object *pod, const char *key,
                          const char *value, enum taint_effect eff)
{
  const struct pod_spec *sp = &pod->u.pod.spec;

  for (size_t i = 0; i < sp->tolerations_nr; i++)
    if (toleration_tolerates(&sp->tolerations[i], key, value, eff))
      return true;
  return false;
}

static bool node_has_taint(const struct object *n, const char *key,
                           enum taint_effect eff)
{
  for (size_t i = 0; i < n->u.node.taints_nr; i++)
    if (!strcmp(n->u.node.taints[i].key, key) &&
        n->u.node.taints[i].effect == eff)
      return true;
  return false;
}

/*
 * The NoSchedule taints of cluster-behaviour.md 1.4 that the node
 * lifecycle controller derives from conditions (doNoScheduleTaintingPass),
 * for the ones the node does not carry yet. See the file comment.
 */
static size_t derived_taints(const struct object *n, const char **keys)
{
  const struct node *nd = &n->u.node;
  size_t nr = 0;

  if (nd->ready.status == COND_FALSE)
    keys[nr++] = "node.kubernetes.io/not-ready";
  else if (nd->ready.status == COND_UNKNOWN)
    keys[nr++] = "node.kubernetes.io/unreachable";
  if (nd->memory_pressure.status == COND_TRUE)
    keys[nr++] = "node.kubernetes.io/memory-pressure";
  if (nd->disk_pressure.status == COND_TRUE)
    keys[nr++] = "node.kubernetes.io/disk-pressure";
  if (nd->pid_pressure.status == COND_TRUE)
    keys[nr++] = "node.kubernetes.io/pid-pressure";
  if (nd->network_unavailable.status == COND_TRUE)
    keys[nr++] = "node.kubernetes.io/network-unavailable";
  for (size_t i = 0; i < nr;) {
    if (node_has_taint(n, keys[i], TAINT_NO_SCHEDULE))
      keys[i] = keys[--nr];
    else
      i++;
  }
  return nr;
}

/*
 * FindMatchingUntoleratedTaint for NoSchedule and NoExecute: the first
 * taint (node's own first, then derived ones) the pod does not tolerate.
 */
static bool untolerated(const struct object *pod, const struct object *n,
                        const char **key, const char **value)
{
  const char *dk[8];
  size_t dnr;

  for (size_t i = 0; i < n->u.node.taints_nr; i++) {
    const struct taint *t = &n->u.node.taints[i];
    if (t->effect == TAINT_PREFER_NO_SCHEDULE)
      continue;
    if (!pod_tolerates(pod, t->key, t->value, t->effect)) {
      if (key)
        *key = t->key;
      if (value)
        *value = t->value;
      return true;
    }
  }
  dnr = derived_taints(n, dk);
  for (size_t i = 0; i < dnr; i++) {
    if (!pod_tolerates(pod, dk[i], NULL, TAINT_NO_SCHEDULE)) {
      if (key)
        *key = dk[i];
      if (value)
        *value = NULL;
      return true;
    }
  }
  return false;
}

/* The fields of sn->obj the filters and scores read (see struct snode). */
static void node_summary(struct snode *sn)
{
  const struct object *n = sn->obj;

  if (sn->sum_of == n)
    return;
  sn->sum_of = n;
  sn->unschedulable = n->u.node.unschedulable;
  sn->taints = n->u.node.taints;
  sn->taints_nr = n->u.node.taints_nr;
  sn->dnr = derived_taints(n, sn->dk);
  sn->cpu_alloc = n->u.node.cpu_allocatable_milli;
  sn->mem_alloc = n->u.node.memory_allocatable;
  sn->pods_alloc = n->u.node.pods_allocatable;
}

/* untolerated() from the summary. */
static bool untolerated_sum(const struct object *pod, const struct snode *sn,
                            const char **key, const char **value)
{
  for (size_t i = 0; i < sn->taints_nr; i++) {
    const struct taint *t = &sn->taints[i];
    if (t->effect == TAINT_PREFER_NO_SCHEDULE)
      continue;
    if (!pod_tolerates(pod, t->key, t->value, t->effect)) {
      *key = t->key;
      *value = t->value;
      return true;
    }
  }
  for (size_t i = 0; i < sn->dnr; i++) {
    if (!pod_tolerates(pod, sn->dk[i], NULL, TAINT_NO_SCHEDULE)) {
      *key = sn->dk[i];
      *value = NULL;
      return true;
    }
  }
  return false;
}

/* NodeUnschedulable: cordoned, unless the pod tolerates the taint. */
static bool node_schedulable_for(const struct object *pod,
                                 const struct object *n)
{
  return !n->u.node.unschedulable ||
         pod_tolerates(pod, TAINT_UNSCHEDULABLE, NULL, TAINT_NO_SCHEDULE);
}

/* NodeAffinity: nodeSelector and required node affinity. */
static bool node_affinity_ok(const struct object *pod, const struct object *n)
{
  const struct pod_spec *sp = &pod->u.pod.spec;

  if (!sp->node_selector.nr && !sp->affinity.node_required.terms_nr)
    return true; /* nothing to match */
  for (size_t i = 0; i < sp->node_selector.nr; i++) {
    const char *v = node_label(n, sp->node_selector.v[i].key);
    if (!v || !str_eq0(v, sp->node_selector.v[i].value))
      return false;
  }
  return node_selector_matches(&sp->affinity.node_required, n->meta.name,
                               &n->meta.labels);
}

/* Whether the taints differ, or a condition a derived taint follows. */
static bool taints_changed(const struct object *a, const struct object *b)
{
  const struct node *x = &a->u.node, *y = &b->u.node;

  if (x->unschedulable != y->unschedulable || x->taints_nr != y->taints_nr)
    return true;
  for (size_t i = 0; i < x->taints_nr; i++)
    if (strcmp(x->taints[i].key, y->taints[i].key) ||
        !str_eq0(x->taints[i].value, y->taints[i].value) ||
        x->taints[i].effect != y->taints[i].effect)
      return true;
  return x->ready.status != y->ready.status ||
         x->memory_pressure.status != y->memory_pressure.status ||
         x->disk_pressure.status != y->disk_pressure.status ||
         x->pid_pressure.status != y->pid_pressure.status ||
         x->network_unavailable.status != y->network_unavailable.status;
}

/* --- pod records, the uid map, the pool --- */

static size_t map_slot(uint64_t uid, size_t cap)
{
  return (size_t)sim_splitmix64(uid) & (cap - 1);
}

static struct spod *pods_find(const struct sched *s, uint64_t uid)
{
  if (!s->map_cap)
    return NULL;
  for (size_t i = map_slot(uid, s->map_cap);; i = (i + 1) & (s->map_cap - 1)) {
    if (!s->map[i])
      return NULL;
    if (s->map[i]->uid == uid)
      return s->map[i];
  }
}

static void map_put(struct sched *s, struct spod *p)
{
  if ((s->map_nr + 1) * 2 > s->map_cap) {
    size_t cap = s->map_cap ? s->map_cap * 2 : 64;
    struct spod **m = xcalloc(cap, sizeof(*m));
    for (size_t i = 0; i < s->map_cap; i++) {
      if (!s->map[i])
        continue;
      size_t j = map_slot(s->map[i]->uid, cap);
      while (m[j])
        j = (j + 1) & (cap - 1);
      m[j] = s->map[i];
    }
    free(s->map);
    s->map = m;
    s->map_cap = cap;
  }
  size_t i = map_slot(p->uid, s->map_cap);
  while (s->map[i])
    i = (i + 1) & (s->map_cap - 1);
  s->map[i] = p;
  s->map_nr++;
}

/* Removal with backward shift (no tombstones). */
static void map_del(struct sched *s, struct spod *p)
{
  size_t mask = s->map_cap - 1, i = map_slot(p->uid, s->map_cap);

  while (s->map[i] != p)
    i = (i + 1) & mask;
  s->map[i] = NULL;
  s->map_nr--;
  for (size_t j = (i + 1) & mask; s->map[j]; j = (j + 1) & mask) {
    size_t home = map_slot(s->map[j]->uid, s->map_cap);
    /* Move j into the hole i if its home is not in (i, j]. */
    if ((j > i && (home <= i || home > j)) ||
        (j < i && (home <= i && home > j))) {
      s->map[i] = s->map[j];
      s->map[j] = NULL;
      i = j;
    }
  }
}

static struct spod *pod_alloc(struct sched *s)
{
  if (!s->free_pods) {
    enum { CHUNK = 64 };
    struct spod *c = xcalloc(CHUNK, sizeof(*c));
    VEC_PUSH(&s->chunks, c);
    for (int i = CHUNK - 1; i >= 0; i--) {
      c[i].lnext = s->free_pods;
      s->free_pods = &c[i];
    }
  }
  struct spod *p = s->free_pods;
  s->free_pods = p->lnext;
  /* Keep the wait vector's storage across reuse. */
  struct wait_item *wv = p->wait.v;
  size_t wa = p->wait.alloc;
  memset(p, 0, sizeof(*p));
  p->wait.v = wv;
  p->wait.alloc = wa;
  return p;
}

static struct spod *pod_new(struct sched *s, const struct object *o)
{
  struct spod *p = pod_alloc(s);

  p->uid = o->meta.uid;
  p->obj = o;
  p->heap_idx = SIZE_MAX;
  p->owner_uid = spread_owner(o);
  pod_requests(&o->u.pod.spec, &p->cpu, &p->mem, &p->cpu_nz, &p->mem_nz);
  map_put(s, p);
  return p;
}

/* --- nodes and owners --- */

static struct snode *node_find(const struct sched *s, const char *name)
{
  size_t lo = 0, hi = s->nodes_v.nr;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(s->nodes_v.v[mid]->name, name);
    if (!c)
      return s->nodes_v.v[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

static struct snode *node_get(struct sched *s, const char *name)
{
  struct snode *n = node_find(s, name);
  size_t at = 0;

  if (n)
    return n;
  n = xcalloc(1, sizeof(*n));
  n->name = name;
  n->slot = s->slots++;
  while (at < s->nodes_v.nr && strcmp(s->nodes_v.v[at]->name, name) < 0)
    at++;
  VEC_GROW(&s->nodes_v, s->nodes_v.nr + 1);
  memmove(&s->nodes_v.v[at + 1], &s->nodes_v.v[at],
          (s->nodes_v.nr - at) * sizeof(*s->nodes_v.v));
  s->nodes_v.v[at] = n;
  s->nodes_v.nr++;
  return n;
}

static struct sowner *owner_get(struct sched *s, uint64_t uid)
{
  size_t lo = 0, hi = s->owners.nr;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->owners.v[mid]->uid == uid)
      return s->owners.v[mid];
    if (s->owners.v[mid]->uid < uid)
      lo = mid + 1;
    else
      hi = mid;
  }
  struct sowner *o = xcalloc(1, sizeof(*o));
  o->uid = uid;
  VEC_GROW(&s->owners, s->owners.nr + 1);
  memmove(&s->owners.v[lo + 1], &s->owners.v[lo],
          (s->owners.nr - lo) * sizeof(*s->owners.v));
  s->owners.v[lo] = o;
  s->owners.nr++;
  return o;
}

static int32_t owner_count(const struct sowner *o, const struct snode *n)
{
  return n->slot < o->count.nr ? o->count.v[n->slot] : 0;
}

static void spread_update(struct sched *s, struct spod *p)
{
  bool want = p->node && p->owner_uid && !p->terminating;

  if (want == p->in_spread)
    return;
  if (!p->owner)
    p->owner = owner_get(s, p->owner_uid);
  if (want) {
    while (p->owner->count.nr <= p->node->slot)
      VEC_PUSH(&p->owner->count, 0);
    p->owner->count.v[p->node->slot]++;
  } else {
    p->owner->count.v[p->node->slot]--;
  }
  p->in_spread = want;
}

static void aff_update(struct sched *s, struct spod *p)
{
  bool want = p->node && pod_has_pod_affinity(p->obj);

  if (want == p->in_aff)
    return;
  if (want) {
    p->aprev = s->aff_tail;
    p->anext = NULL;
    if (s->aff_tail)
      s->aff_tail->anext = p;
    else
      s->aff_head = p;
    s->aff_tail = p;
  } else {
    if (p->aprev)
      p->aprev->anext = p->anext;
    else
      s->aff_head = p->anext;
    if (p->anext)
      p->anext->aprev = p->aprev;
    else
      s->aff_tail = p->aprev;
    p->aprev = p->anext = NULL;
  }
  p->in_aff = want;
}

/* Counts p on n (assigned or assumed). */
static void account(struct sched *s, struct spod *p, struct snode *n)
{
  SIM_ASSERT(!p->node);
  p->node = n;
  n->cpu += p->cpu;
  n->mem += p->mem;
  n->cpu_nz += p->cpu_nz;
  n->mem_nz += p->mem_nz;
  n->npods++;
  p->nprev = n->pods_tail;
  p->nnext = NULL;
  if (n->pods_tail)
    n->pods_tail->nnext = p;
  else
    n->pods_head = p;
  n->pods_tail = p;
  p->terminating = meta_is_deleting(&p->obj->meta);
  spread_update(s, p);
  aff_update(s, p);
}

static void unaccount(struct sched *s, struct spod *p)
{
  struct snode *n = p->node;

  if (!n)
    return;
  if (p->in_spread) {
    p->owner->count.v[n->slot]--;
    p->in_spread = false;
  }
  p->node = NULL;
  aff_update(s, p);
  n->cpu -= p->cpu;
  n->mem -= p->mem;
  n->cpu_nz -= p->cpu_nz;
  n->mem_nz -= p->mem_nz;
  n->npods--;
  if (p->nprev)
    p->nprev->nnext = p->nnext;
  else
    n->pods_head = p->nnext;
  if (p->nnext)
    p->nnext->nprev = p->nprev;
  else
    n->pods_tail = p->nprev;
  p->nprev = p->nnext = NULL;
  p->assumed = false;
}

/* --- heaps (activeQ, backoffQ) --- */

typedef bool heap_less_fn(const struct spod *a, const struct spod *b);

/* PrioritySort: higher priority first, then earlier, then FIFO. */
static bool active_less(const struct spod *a, const struct spod *b)
{
  int32_t pa = a->obj->u.pod.spec.priority, pb = b->obj->u.pod.spec.priority;

  if (pa != pb)
    return pa > pb;
  if (a->ts != b->ts)
    return a->ts < b->ts;
  return a->seq < b->seq;
}

static bool backoff_less(const struct spod *a, const struct spod *b)
{
  if (a->backoff_until != b->backoff_until)
    return a->backoff_until < b->backoff_until;
  return a->seq < b->seq;
}

#define HEAP_SWAP(h, i, j)                                                     \
  do {                                                                         \
    struct spod *t_ = (h)->v[i];                                               \
    (h)->v[i] = (h)->v[j];                                                     \
    (h)->v[j] = t_;                                                            \
    (h)->v[i]->heap_idx = (i);                                                 \
    (h)->v[j]->heap_idx = (j);                                                 \
  } while (0)

static void heap_up(struct pheap *h, size_t i, heap_less_fn *less)
{
  while (i > 0) {
    size_t par = (i - 1) / 2;
    if (!less(h->v[i], h->v[par]))
      break;
    HEAP_SWAP(h, i, par);
    i = par;
  }
}

static void heap_down(struct pheap *h, size_t i, heap_less_fn *less)
{
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->nr && less(h->v[l], h->v[m]))
      m = l;
    if (r < h->nr && less(h->v[r], h->v[m]))
      m = r;
    if (m == i)
      break;
    HEAP_SWAP(h, i, m);
    i = m;
  }
}

static void heap_push(struct pheap *h, struct spod *p, heap_less_fn *less)
{
  VEC_PUSH(h, p);
  p->heap_idx = h->nr - 1;
  heap_up(h, h->nr - 1, less);
}

static void heap_remove(struct pheap *h, struct spod *p, heap_less_fn *less)
{
  size_t i = p->heap_idx;

  SIM_ASSERT(i < h->nr && h->v[i] == p);
  h->nr--;
  if (i != h->nr) {
    h->v[i] = h->v[h->nr];
    h->v[i]->heap_idx = i;
    heap_down(h, i, less);
    heap_up(h, i, less);
  }
  p->heap_idx = SIZE_MAX;
}

/* --- the scheduling queue --- */

static void kick(struct sched *s);
static void arm_backoff_flush(struct sched *s);
static void arm_leftover_flush(struct sched *s);

static simtime backoff_duration(const struct sched *s, int attempts)
{
  simtime d = s->initial_backoff;

  for (int i = 1; i < attempts; i++) {
    if (d >= s->max_backoff)
      return s->max_backoff;
    d *= 2;
  }
  return d > s->max_backoff ? s->max_backoff : d;
}

static void unsched_unlink(struct sched *s, struct spod *p)
{
  if (p->lprev)
    p->lprev->lnext = p->lnext;
  else
    s->unsched_head = p->lnext;
  if (p->lnext)
    p->lnext->lprev = p->lprev;
  else
    s->unsched_tail = p->lprev;
  p->lprev = p->lnext = NULL;
}

/* Takes p out of whatever queue holds it (state becomes Q_NONE). */
static void dequeue(struct sched *s, struct spod *p)
{
  switch (p->state) {
  case Q_ACTIVE:
    heap_remove(&s->active, p, active_less);
    break;
  case Q_BACKOFF:
    heap_remove(p->err_backoff ? &s->err_backoff : &s->backoff, p,
                backoff_less);
    break;
  case Q_UNSCHED:
    unsched_unlink(s, p);
    break;
  case Q_NONE:
  case Q_INFLIGHT:
  case Q_BINDING:
    break;
  }
  p->state = Q_NONE;
}

static void to_active(struct sched *s, struct spod *p)
{
  p->state = Q_ACTIVE;
  p->seq = ++s->seq;
  heap_push(&s->active, p, active_less);
  kick(s);
}

static void to_backoff(struct sched *s, struct spod *p)
{
  p->state = Q_BACKOFF;
  p->seq = ++s->seq;
  heap_push(p->err_backoff ? &s->err_backoff : &s->backoff, p, backoff_less);
  arm_backoff_flush(s);
  kick(s); /* SchedulerPopFromBackoffQ may take it at once */
}

static void park(struct sched *s, struct spod *p)
{
  p->state = Q_UNSCHED;
  p->lnext = NULL;
  p->lprev = s->unsched_tail;
  if (s->unsched_tail)
    s->unsched_tail->lnext = p;
  else
    s->unsched_head = p;
  s->unsched_tail = p;
  arm_leftover_flush(s);
}

/* movePodsToActiveOrBackoffQueue for one pod. */
static void requeue(struct sched *s, struct spod *p)
{
  if (p->state == Q_UNSCHED)
    unsched_unlink(s, p);
  p->state = Q_NONE;
  if (now_of(s) < p->backoff_until)
    to_backoff(s, p);
  else
    to_active(s, p);
}

/* The first 1 s (or 30 s) tick of the flush loop at or after t. */
static simtime tick_at_or_after(const struct sched *s, simtime t,
                                simtime period)
{
  simtime k;

  if (t <= s->t0)
    return s->t0;
  k = (t - s->t0 + period - 1) / period;
  return s->t0 + k * period;
}

static void backoff_flush(struct engine *e, uint64_t subject, uint64_t arg,
                          void *ctx);

static void arm_backoff_flush(struct sched *s)
{
  simtime next = SIMTIME_NEVER, at;

  if (s->backoff.nr)
    next = s->backoff.v[0]->backoff_until;
  if (s->err_backoff.nr && s->err_backoff.v[0]->backoff_until < next)
    next = s->err_backoff.v[0]->backoff_until;
  if (next == SIMTIME_NEVER) {
    if (s->backoff_handle)
      engine_cancel(s->e, s->backoff_handle);
    s->backoff_handle = 0;
    return;
  }
  at = tick_at_or_after(s, next, BACKOFF_FLUSH_PERIOD);
  if (at < now_of(s))
    at = now_of(s);
  if (s->backoff_handle && s->backoff_at <= at)
    return;
  if (s->backoff_handle)
    engine_cancel(s->e, s->backoff_handle);
  s->backoff_at = at;
  s->backoff_handle =
      engine_schedule(s->e, at, PHASE_CONTROLLER, "scheduler.backoff-flush",
                      backoff_flush, 0, 0, s);
}

/* flushBackoffQCompleted: pods whose backoff is over go to activeQ. */
static void backoff_flush(struct engine *e, uint64_t subject, uint64_t arg,
                          void *ctx)
{
  struct sched *s = ctx;
  struct pheap *hs[2] = {&s->backoff, &s->err_backoff};

  (void)e;
  (void)subject;
  (void)arg;
  s->backoff_handle = 0;
  for (int k = 0; k < 2; k++) {
    while (hs[k]->nr && hs[k]->v[0]->backoff_until <= now_of(s)) {
      struct spod *p = hs[k]->v[0];
      heap_remove(hs[k], p, backoff_less);
      p->state = Q_NONE;
      to_active(s, p);
    }
  }
  arm_backoff_flush(s);
}

static void leftover_flush(struct engine *e, uint64_t subject, uint64_t arg,
                           void *ctx);

/* The first 30 s tick at which the oldest parked pod is overdue. */
static void arm_leftover_flush(struct sched *s)
{
  simtime at;

  if (!s->unsched_head) {
    if (s->leftover_handle)
      engine_cancel(s->e, s->leftover_handle);
    s->leftover_handle = 0;
    return;
  }
  /* Overdue means now - ts > max, strictly: the tick after ts + max. */
  at = tick_at_or_after(s, s->unsched_head->ts + s->max_unsched + 1,
                        LEFTOVER_FLUSH_PERIOD);
  if (at < now_of(s))
    at = now_of(s);
  if (s->leftover_handle && s->leftover_at == at)
    return;
  if (s->leftover_handle)
    engine_cancel(s->e, s->leftover_handle);
  s->leftover_at = at;
  s->leftover_handle =
      engine_schedule(s->e, at, PHASE_CONTROLLER,
                      "scheduler.unschedulable-flush", leftover_flush, 0, 0, s);
}

/*
 * flushUnschedulablePodsLeftover: pods parked longer than
 * podMaxInUnschedulablePodsDuration go back (to backoffQ if still backing
 * off). The list is in park order, so the overdue ones are its head.
 */
static void leftover_flush(struct engine *e, uint64_t subject, uint64_t arg,
                           void *ctx)
{
  struct sched *s = ctx;

  (void)e;
  (void)subject;
  (void)arg;
  s->leftover_handle = 0;
  while (s->unsched_head && now_of(s) - s->unsched_head->ts > s->max_unsched)
    requeue(s, s->unsched_head);
  arm_leftover_flush(s);
}

/* --- queueing hints --- */

static bool fits_allocatable(const struct spod *p, const struct object *n)
{
  return p->cpu <= n->u.node.cpu_allocatable_milli &&
         p->mem <= n->u.node.memory_allocatable;
}

/*
 * Whether a cluster event may make p schedulable: upstream's
 * EventsToRegister of the plugins that rejected p, with a simplified
 * QueueingHint each (a node event counts for a node-local plugin only if
 * that node now passes it and did not before).
 */
static bool wants(const struct spod *p, const struct cevent *ev)
{
  unsigned r = p->rejectors;
  const struct object *pod = p->obj, *o = ev->old, *n = ev->now;

  switch (ev->kind) {
  case CEV_NODE_ADD:
    if (r & (PL_VOLUME_BINDING | PL_INTER_POD_AFFINITY))
      return true;
    if ((r & PL_NODE_UNSCHEDULABLE) && node_schedulable_for(pod, n))
      return true;
    if ((r & PL_TAINT_TOLERATION) && !untolerated(pod, n, NULL, NULL))
      return true;
    if ((r & PL_NODE_AFFINITY) && node_affinity_ok(pod, n))
      return true;
    return (r & PL_NODE_RESOURCES_FIT) && fits_allocatable(p, n);
  case CEV_NODE_UPDATE:
    if ((r & PL_VOLUME_BINDING) && (ev->changes & (CH_LABEL | CH_TAINT)))
      return true;
    if ((r & PL_INTER_POD_AFFINITY) && (ev->changes & CH_LABEL))
      return true;
    if ((r & PL_NODE_UNSCHEDULABLE) && (ev->changes & CH_TAINT) &&
        node_schedulable_for(pod, n) && !node_schedulable_for(pod, o))
      return true;
    if ((r & PL_TAINT_TOLERATION) && (ev->changes & CH_TAINT) &&
        !untolerated(pod, n, NULL, NULL) && untolerated(pod, o, NULL, NULL))
      return true;
    if ((r & PL_NODE_AFFINITY) && (ev->changes & CH_LABEL) &&
        node_affinity_ok(pod, n) && !node_affinity_ok(pod, o))
      return true;
    return (r & PL_NODE_RESOURCES_FIT) && (ev->changes & CH_ALLOC) &&
           fits_allocatable(p, n);
  case CEV_POD_ADD:
    /* Only a required pod affinity can be helped by a new pod. */
    return (r & PL_INTER_POD_AFFINITY) &&
           pod->u.pod.spec.affinity.pod_affinity_required_nr;
  case CEV_POD_DELETE:
    return r & (PL_NODE_RESOURCES_FIT | PL_INTER_POD_AFFINITY);
  case CEV_POD_LABEL:
    return r & PL_INTER_POD_AFFINITY;
  case CEV_SELF:
    return ev->uid == p->uid;
  case CEV_STORAGE:
    return r & PL_VOLUME_BINDING;
  }
  return false;
}

/*
 * A cluster event: moves the parked pods it may help, and is remembered
 * for the pod in flight (an event during its cycle sends it to backoffQ
 * instead of parking it, as upstream's in-flight events do).
 */
static void cluster_event(struct sched *s, const struct cevent *ev)
{
  struct spod *p = s->unsched_head;

  if (s->inflight_uid)
    VEC_PUSH(&s->inflight_events, *ev);
  while (p) {
    struct spod *next = p->lnext;
    if (wants(p, ev))
      requeue(s, p);
    p = next;
  }
  arm_leftover_flush(s);
}

/* --- the binding-cycle wait list --- */

static void idle_remove(struct sched *s, struct spod *p)
{
  if (!p->idle)
    return;
  if (p->iprev)
    p->iprev->inext = p->inext;
  else
    s->idle_head = p->inext;
  if (p->inext)
    p->inext->iprev = p->iprev;
  else
    s->idle_tail = p->iprev;
  p->iprev = p->inext = NULL;
  p->idle = false;
}

/* A waiting pod whose poll ran without an answer: idle, in list order. */
static void idle_add(struct sched *s, struct spod *p)
{
  struct spod *after = s->idle_tail;

  SIM_ASSERT(p->waiting && !p->poll_handle && !p->idle);
  while (after && after->wseq > p->wseq)
    after = after->iprev;
  p->iprev = after;
  p->inext = after ? after->inext : s->idle_head;
  if (p->inext)
    p->inext->iprev = p;
  else
    s->idle_tail = p;
  if (after)
    after->inext = p;
  else
    s->idle_head = p;
  p->idle = true;
}

static void wait_unlink(struct sched *s, struct spod *p)
{
  if (!p->waiting)
    return;
  idle_remove(s, p);
  if (p->wprev)
    p->wprev->wnext = p->wnext;
  else
    s->wait_head = p->wnext;
  if (p->wnext)
    p->wnext->wprev = p->wprev;
  else
    s->wait_tail = p->wprev;
  p->wprev = p->wnext = NULL;
  p->waiting = false;
  if (p->poll_handle)
    engine_cancel(s->e, p->poll_handle);
  if (p->timeout_handle)
    engine_cancel(s->e, p->timeout_handle);
  p->poll_handle = p->timeout_handle = 0;
}

static void assumed_release(struct sched *s, uint64_t pod_uid)
{
  size_t j = 0;

  for (size_t i = 0; i < s->assumed_nr; i++)
    if (s->assumed_pvs[i].pod_uid != pod_uid)
      s->assumed_pvs[j++] = s->assumed_pvs[i];
  s->assumed_nr = j;
}

static bool assumed_by_other(const struct sched *s, const char *pv,
                             uint64_t pod_uid)
{
  for (size_t i = 0; i < s->assumed_nr; i++)
    if (s->assumed_pvs[i].pod_uid != pod_uid &&
        !strcmp(s->assumed_pvs[i].pv, pv))
      return true;
  return false;
}

/* Forgets p entirely: queues, binding cycle, cache, the map. */
static void pod_forget(struct sched *s, struct spod *p)
{
  bool counted = p->node != NULL;
  const struct object *last = p->obj;

  dequeue(s, p);
  wait_unlink(s, p);
  assumed_release(s, p->uid);
  unaccount(s, p);
  map_del(s, p);
  p->lnext = s->free_pods;
  s->free_pods = p;
  if (counted) {
    struct cevent ev = {.kind = CEV_POD_DELETE, .now = last};
    cluster_event(s, &ev);
  }
}

/* --- informer handlers --- */

static void wait_poke_all(struct sched *s);

static bool spec_or_meta_changed(const struct object *a, const struct object *b)
{
  return object_spec_digest(a) != object_spec_digest(b) ||
         object_meta_digest(&a->meta) != object_meta_digest(&b->meta);
}

/* An assigned pod version: count it on its node (the cache's AddPod). */
static void pod_assigned(struct sched *s, struct spod *p,
                         const struct object *o)
{
  struct snode *n = node_get(s, o->u.pod.spec.node_name);
  bool labels_changed = false;
  bool added = false;

  if (!p) {
    p = pod_new(s, o);
  } else {
    if (p->state == Q_BINDING)
      assumed_release(s, p->uid);
    wait_unlink(s, p);
    dequeue(s, p);
    labels_changed = !kv_list_equal(&p->obj->meta.labels, &o->meta.labels);
  }
  if (p->node && p->node != n)
    unaccount(s, p);
  p->obj = o;
  p->assumed = false;
  if (!p->node) {
    account(s, p, n);
    added = true;
  } else {
    p->terminating = meta_is_deleting(&o->meta);
    spread_update(s, p);
    aff_update(s, p);
  }
  if (added) {
    struct cevent ev = {.kind = CEV_POD_ADD, .now = o};
    cluster_event(s, &ev);
  } else if (labels_changed) {
    struct cevent ev = {.kind = CEV_POD_LABEL, .now = o};
    cluster_event(s, &ev);
  }
}

static void on_pod(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct sched *s = ctx;
  struct spod *p = pods_find(s, now->meta.uid);

  (void)inf;
  if (t == WATCH_DELETED || pod_terminal(now)) {
    if (p)
      pod_forget(s, p);
    return;
  }
  if (!empty(now->u.pod.spec.node_name)) {
    pod_assigned(s, p, now);
    return;
  }
  if (p && (p->assumed || p->state == Q_BINDING)) {
    /* Our own bind is in flight; this is an older version. */
    p->obj = now;
    return;
  }
  if (!pod_responsible(now) || meta_is_deleting(&now->meta)) {
    /* skipPodSchedule: another scheduler's, or being deleted. */
    if (p)
      pod_forget(s, p);
    return;
  }
  if (!p) {
    p = pod_new(s, now);
    p->ts = now_of(s);
    to_active(s, p);
    return;
  }
  if (!old)
    old = p->obj;
  p->obj = now;
  if (spec_or_meta_changed(old, now)) {
    struct cevent ev = {.kind = CEV_SELF, .now = now, .uid = p->uid};
    if (p->state == Q_UNSCHED && wants(p, &ev))
      requeue(s, p);
    else if (s->inflight_uid == p->uid)
      VEC_PUSH(&s->inflight_events, ev);
  }
}

static void on_node(struct informer *inf, enum watch_type t,
                    const struct object *old, const struct object *now,
                    void *ctx)
{
  struct sched *s = ctx;
  struct snode *n;

  (void)inf;
  if (t == WATCH_DELETED) {
    n = node_find(s, now->meta.name);
    if (n && n->obj) {
      n->obj = NULL;
      s->live_nr--;
    }
    wait_poke_all(s);
    return;
  }
  n = node_get(s, now->meta.name);
  if (!n->obj) {
    n->obj = now;
    s->live_nr++;
    struct cevent ev = {.kind = CEV_NODE_ADD, .now = now};
    cluster_event(s, &ev);
    wait_poke_all(s);
    return;
  }
  if (!old)
    old = n->obj;
  n->obj = now;
  unsigned ch = 0;
  if (!kv_list_equal(&old->meta.labels, &now->meta.labels))
    ch |= CH_LABEL;
  if (taints_changed(old, now))
    ch |= CH_TAINT;
  if (old->u.node.cpu_allocatable_milli != now->u.node.cpu_allocatable_milli ||
      old->u.node.memory_allocatable != now->u.node.memory_allocatable ||
      old->u.node.pods_allocatable != now->u.node.pods_allocatable)
    ch |= CH_ALLOC;
  if (ch) {
    struct cevent ev = {
        .kind = CEV_NODE_UPDATE, .old = old, .now = now, .changes = ch};
    cluster_event(s, &ev);
    wait_poke_all(s);
  }
}

/* --- the PV index --- */

static uint64_t claim_hash(const char *ns, const char *name)
{
  uint64_t h = sim_fnv1a(SIM_FNV_INIT, ns ? ns : "", ns ? strlen(ns) : 0);

  h = sim_fnv1a(h, "/", 1);
  h = sim_fnv1a(h, name, strlen(name));
  return h ? h : 1;
}

static struct pvx *pvx_get(struct sched *s, uint64_t uid)
{
  uint64_t i;

  return u64map_get(&s->pvx_by_uid, uid, &i) ? &s->pvx.v[i] : NULL;
}

/* Takes e out of the unbound list and its claim's chain. */
static void pvx_unlink(struct sched *s, struct pvx *e)
{
  uint64_t uid = e->pv->meta.uid;

  if (e->unbound_at != SIZE_MAX) {
    size_t at = e->unbound_at;
    uint64_t last = s->unbound_pvs.v[--s->unbound_pvs.nr];
    if (at < s->unbound_pvs.nr) {
      s->unbound_pvs.v[at] = last;
      pvx_get(s, last)->unbound_at = at;
    }
    e->unbound_at = SIZE_MAX;
  }
  if (e->claim_h) {
    uint64_t head, *link = NULL;
    SIM_ASSERT(u64map_get(&s->pvx_by_claim, e->claim_h, &head));
    if (head == uid) {
      if (e->next_same_h)
        u64map_put(&s->pvx_by_claim, e->claim_h, e->next_same_h);
      else
        u64map_del(&s->pvx_by_claim, e->claim_h);
    } else {
      while (head != uid) {
        link = &pvx_get(s, head)->next_same_h;
        head = *link;
      }
      *link = e->next_same_h;
    }
    e->claim_h = e->next_same_h = 0;
  }
}

static void pvx_link(struct sched *s, struct pvx *e)
{
  const struct claim_ref *cr = &e->pv->u.pv.spec.claim_ref;
  uint64_t uid = e->pv->meta.uid, head;

  if (empty(cr->name)) {
    e->unbound_at = s->unbound_pvs.nr;
    VEC_PUSH(&s->unbound_pvs, uid);
    return;
  }
  e->claim_h = claim_hash(cr->namespace_, cr->name);
  e->next_same_h = u64map_get(&s->pvx_by_claim, e->claim_h, &head) ? head : 0;
  u64map_put(&s->pvx_by_claim, e->claim_h, uid);
}

static void pvx_update(struct sched *s, enum watch_type t,
                       const struct object *now)
{
  uint64_t uid = now->meta.uid, i;
  struct pvx *e = pvx_get(s, uid);

  if (e)
    pvx_unlink(s, e);
  if (t == WATCH_DELETED) {
    if (!e)
      return;
    SIM_ASSERT(u64map_get(&s->pvx_by_uid, uid, &i));
    u64map_del(&s->pvx_by_uid, uid);
    s->pvx.v[i] = s->pvx.v[--s->pvx.nr];
    if (i < s->pvx.nr) {
      struct pvx *m = &s->pvx.v[i];
      u64map_put(&s->pvx_by_uid, m->pv->meta.uid, i);
      if (m->unbound_at != SIZE_MAX)
        s->unbound_pvs.v[m->unbound_at] = m->pv->meta.uid;
    }
    return;
  }
  if (!e) {
    VEC_PUSH(&s->pvx, ((struct pvx){.unbound_at = SIZE_MAX}));
    u64map_put(&s->pvx_by_uid, uid, s->pvx.nr - 1);
    e = &s->pvx.v[s->pvx.nr - 1];
  }
  e->pv = now;
  pvx_link(s, e);
}

static void on_storage(struct informer *inf, enum watch_type t,
                       const struct object *old, const struct object *now,
                       void *ctx)
{
  struct sched *s = ctx;

  (void)inf;
  (void)old;
  if (now->kind == KIND_PV)
    pvx_update(s, t, now);
  /* The assume cache gives way once the informer shows the claimRef. */
  if (now->kind == KIND_PV && t != WATCH_DELETED &&
      !empty(now->u.pv.spec.claim_ref.name)) {
    size_t j = 0;
    for (size_t i = 0; i < s->assumed_nr; i++)
      if (strcmp(s->assumed_pvs[i].pv, now->meta.name))
        s->assumed_pvs[j++] = s->assumed_pvs[i];
    s->assumed_nr = j;
  }
  /* VolumeBinding registers Add|Update of claims, volumes and classes. */
  if (t != WATCH_DELETED) {
    struct cevent ev = {.kind = CEV_STORAGE, .now = now};
    cluster_event(s, &ev);
  }
  wait_poke_all(s);
}

/* --- the FitError message --- */

static void hist_add(struct sched *s, const char *text, int n)
{
  for (size_t i = 0; i < s->hist.nr; i++)
    if (!strcmp(s->hist.v[i].text, text)) {
      s->hist.v[i].n += n;
      return;
    }
  VEC_GROW(&s->hist, s->hist.nr + 1);
  struct hent *h = &s->hist.v[s->hist.nr++];
  snprintf(h->text, sizeof(h->text), "%s", text);
  h->n = n;
}

static int str_cmp_fn(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Appends "<count> <reason>, ..." sorted as strings (sortReasonsHistogram:
 * sort.Strings over "%v %v"), then clears the histogram.
 */
static void hist_append(struct sched *s, char *buf, size_t cap, size_t *len)
{
  enum { LINE = 340 };
  size_t nr = s->hist.nr;

  while (s->hist_lines.nr < nr)
    VEC_PUSH(&s->hist_lines, xmalloc(LINE));
  for (size_t i = 0; i < nr; i++)
    snprintf(s->hist_lines.v[i], LINE, "%d %s", s->hist.v[i].n,
             s->hist.v[i].text);
  if (nr)
    qsort(s->hist_lines.v, nr, sizeof(*s->hist_lines.v), str_cmp_fn);
  for (size_t i = 0; i < nr; i++)
    bprintf(buf, cap, len, "%s%s", i ? ", " : "", s->hist_lines.v[i]);
  s->hist.nr = 0;
}

/* --- VolumeBinding --- */

static bool pvc_fully_bound(const struct object *c)
{
  return !empty(c->u.pvc.spec.volume_name) &&
         (kv_get(&c->meta.annotations, ANN_BIND_COMPLETED) ||
          c->u.pvc.status.phase == PVC_BOUND);
}

static const char *pvc_class(const struct object *c)
{
  return c->u.pvc.spec.storage_class_name ? c->u.pvc.spec.storage_class_name
                                          : "";
}

/* IsDelayBindingMode: a class that exists and says WaitForFirstConsumer. */
static const struct object *delay_class(const struct sched *s,
                                        const struct object *c)
{
  const struct object *sc;

  if (empty(pvc_class(c)))
    return NULL;
  sc = informer_get(s->classes, "", pvc_class(c));
  if (!sc || sc->u.sc.volume_binding_mode != BINDING_WAIT_FOR_FIRST_CONSUMER)
    return NULL;
  return sc;
}

struct cand_ctx {
  struct sched *s;
  const struct object *pvc;
  uint64_t pod_uid;
  const struct object *prebound;
};

/*
 * FindMatchingVolume's node-independent checks (the scheduler path adds
 * node affinity per node). Simplified: access modes must be a superset
 * (upstream tries the smallest access-mode group first).
 */
static bool cand_visit(const struct object *pv, void *arg)
{
  struct cand_ctx *c = arg;
  const struct pvc_spec *cs = &c->pvc->u.pvc.spec;
  const struct pv_spec *ps = &pv->u.pv.spec;

  if (meta_is_deleting(&pv->meta) || ps->volume_mode != cs->volume_mode)
    return true;
  if ((ps->access_modes & cs->access_modes) != cs->access_modes)
    return true;
  if (!empty(ps->claim_ref.name)) {
    if (!strcmp(ps->claim_ref.name, c->pvc->meta.name) &&
        str_eq0(ps->claim_ref.namespace_, pod_ns(c->pvc)) &&
        (!ps->claim_ref.uid || ps->claim_ref.uid == c->pvc->meta.uid) &&
        !c->prebound)
      c->prebound = pv;
    return true;
  }
  if (pv->u.pv.status.phase != PV_AVAILABLE ||
      assumed_by_other(c->s, pv->meta.name, c->pod_uid))
    return true;
  if (cs->has_selector && !selector_matches(&cs->selector, &pv->meta.labels))
    return true;
  if (!str_eq0(ps->storage_class_name, pvc_class(c->pvc)))
    return true;
  if (ps->capacity_bytes < cs->request_bytes)
    return true;
  VEC_PUSH(&c->s->cands, pv);
  return true;
}

/*
 * cand_visit over every cached PV in name order, from the PV index: the
 * candidates come from the volumes without a claimRef (their order does
 * not matter: they are sorted by cand_cmp), the prebound volume is the
 * first by name of those naming the claim.
 */
static void pv_candidates(struct cand_ctx *c)
{
  struct sched *s = c->s;
  uint64_t uid;

  for (size_t i = 0; i < s->unbound_pvs.nr; i++)
    cand_visit(pvx_get(s, s->unbound_pvs.v[i])->pv, c);
  if (!u64map_get(&s->pvx_by_claim,
                  claim_hash(pod_ns(c->pvc), c->pvc->meta.name), &uid))
    return;
  for (; uid; uid = pvx_get(s, uid)->next_same_h) {
    const struct object *pv = pvx_get(s, uid)->pv;
    const struct object *was = c->prebound;
    c->prebound = NULL;
    cand_visit(pv, c);
    if (!c->prebound ||
        (was && strcmp(was->meta.name, c->prebound->meta.name) < 0))
      c->prebound = was;
  }
}

/* Smallest capacity first, then name (total: names are unique). */
static int cand_cmp(const void *a, const void *b)
{
  const struct object *x = *(const struct object *const *)a;
  const struct object *y = *(const struct object *const *)b;

  if (x->u.pv.spec.capacity_bytes != y->u.pv.spec.capacity_bytes)
    return x->u.pv.spec.capacity_bytes < y->u.pv.spec.capacity_bytes ? -1 : 1;
  return strcmp(x->meta.name, y->meta.name);
}

/*
 * GetLocalPersistentVolumeNodeNames: the hostname-In values of a PV's
 * node affinity, intersected into s->eligible (*have: set already).
 */
static void pv_node_names(struct sched *s, const struct object *pv, bool *have)
{
  const struct node_selector *na = &pv->u.pv.spec.node_affinity;

  s->mine.nr = 0;
  for (size_t t = 0; t < na->terms_nr; t++)
    for (size_t i = 0; i < na->terms[t].exprs_nr; i++) {
      const struct selector_req *r = &na->terms[t].exprs[i];
      if (r->op != SEL_IN || strcmp(r->key, LABEL_HOSTNAME))
        continue;
      for (size_t k = 0; k < r->values.nr; k++)
        VEC_PUSH(&s->mine, r->values.v[k]);
    }
  if (!s->mine.nr)
    return;
  if (!*have) {
    s->eligible.nr = 0;
    for (size_t i = 0; i < s->mine.nr; i++)
      VEC_PUSH(&s->eligible, s->mine.v[i]);
    *have = true;
    return;
  }
  size_t j = 0;
  for (size_t i = 0; i < s->eligible.nr; i++) {
    bool keep = false;
    for (size_t k = 0; k < s->mine.nr && !keep; k++)
      keep = !strcmp(s->eligible.v[i], s->mine.v[k]);
    if (keep)
      s->eligible.v[j++] = s->eligible.v[i];
  }
  s->eligible.nr = j;
}

enum vb_pre {
  VB_SKIP,   /* no claims */
  VB_OK,     /* claims; s->claims filled */
  VB_REJECT, /* msg filled */
};

/*
 * VolumeBinding PreFilter: missing, lost or deleting claims and unbound
 * Immediate claims reject the pod on every node; bound local volumes
 * narrow the nodes (PreFilterResult; *narrowed, names in s->eligible).
 */
static enum vb_pre vb_prefilter(struct sched *s, const struct spod *p,
                                char *msg, size_t cap, bool *narrowed)
{
  const struct object *pod = p->obj;
  const struct pod_spec *sp = &pod->u.pod.spec;
  const char *ns = pod_ns(pod);
  bool any = false, immediate = false, pv_missing = false;

  s->claims.nr = 0;
  s->cands.nr = 0;
  s->eligible.nr = 0;
  *narrowed = false;
  for (size_t i = 0; i < sp->volumes_nr; i++) {
    const struct pod_volume *v = &sp->volumes[i];
    const struct object *c;
    if (v->source != VOLSRC_PVC)
      continue;
    any = true;
    c = informer_get(s->pvcs, ns, v->claim_name);
    if (!c) {
      snprintf(msg, cap, "persistentvolumeclaim \"%s\" not found",
               v->claim_name);
      return VB_REJECT;
    }
    if (c->u.pvc.status.phase == PVC_LOST) {
      snprintf(msg, cap,
               "persistentvolumeclaim \"%s\" bound to non-existent "
               "persistentvolume \"%s\"",
               c->meta.name,
               c->u.pvc.spec.volume_name ? c->u.pvc.spec.volume_name : "");
      return VB_REJECT;
    }
    if (meta_is_deleting(&c->meta)) {
      snprintf(msg, cap, "persistentvolumeclaim \"%s\" is being deleted",
               c->meta.name);
      return VB_REJECT;
    }
    VEC_GROW(&s->claims, s->claims.nr + 1);
    struct vclaim *vc = &s->claims.v[s->claims.nr++];
    memset(vc, 0, sizeof(*vc));
    vc->pvc = c;
  }
  if (!any)
    return VB_SKIP;
  for (size_t i = 0; i < s->claims.nr; i++) {
    struct vclaim *vc = &s->claims.v[i];
    const struct object *c = vc->pvc;
    if (pvc_fully_bound(c)) {
      vc->bound = true;
      vc->pv = informer_get(s->pvs, "", c->u.pvc.spec.volume_name);
      if (!vc->pv)
        pv_missing = true;
      continue;
    }
    vc->sc = delay_class(s, c); /* the cache holds still for a cycle */
    if (!vc->sc) {
      immediate = true;
      continue;
    }
    vc->selected_node = kv_get(&c->meta.annotations, ANN_SELECTED_NODE);
    if (!empty(c->u.pvc.spec.volume_name)) {
      /*
       * Simplified: a claim the PV controller has started to bind (named
       * volume, not fully bound) waits for that volume, whose node
       * affinity must admit the node.
       */
      vc->prebound = informer_get(s->pvs, "", c->u.pvc.spec.volume_name);
      continue;
    }
    if (vc->selected_node)
      continue;
    struct cand_ctx cc = {.s = s, .pvc = c, .pod_uid = p->uid};
    vc->cand_from = s->cands.nr;
    pv_candidates(&cc);
    vc->cand_to = s->cands.nr;
    vc->prebound = cc.prebound;
    if (vc->cand_to > vc->cand_from)
      qsort(s->cands.v + vc->cand_from, vc->cand_to - vc->cand_from,
            sizeof(*s->cands.v), cand_cmp);
  }
  if (immediate) {
    snprintf(msg, cap, "pod has unbound immediate PersistentVolumeClaims");
    return VB_REJECT;
  }
  /* GetEligibleNodes: only when every bound claim's PV is known. */
  if (!pv_missing)
    for (size_t i = 0; i < s->claims.nr; i++)
      if (s->claims.v[i].bound)
        pv_node_names(s, s->claims.v[i].pv, narrowed);
  return VB_OK;
}

static bool pv_admits(const struct object *pv, const struct object *n)
{
  return !pv->u.pv.spec.node_affinity.terms_nr ||
         node_selector_matches(&pv->u.pv.spec.node_affinity, n->meta.name,
                               &n->meta.labels);
}

/*
 * FindPodVolumes on one node. With plan non-NULL (the chosen node), also
 * fills s->plan with the PreBind actions: a claimRef for each static
 * match, the selected-node annotation for each claim to provision.
 */
static struct vbresult vb_filter(struct sched *s, const struct object *n,
                                 bool plan)
{
  struct vbresult r = {true, true, true};

  s->picked.nr = 0;
  if (plan)
    s->plan.nr = 0;
  for (size_t i = 0; i < s->claims.nr; i++) {
    const struct vclaim *vc = &s->claims.v[i];
    if (!vc->bound)
      continue;
    if (!vc->pv) {
      r.pvs_found = false;
      break;
    }
    if (!pv_admits(vc->pv, n)) {
      r.bound_ok = false;
      break;
    }
  }
  for (size_t i = 0; i < s->claims.nr && r.unbound_ok; i++) {
    const struct vclaim *vc = &s->claims.v[i];
    const struct object *match = NULL, *sc;
    if (vc->bound)
      continue;
    if (vc->selected_node) {
      /* Provisioning was asked for on one node: only that node fits. */
      if (strcmp(vc->selected_node, n->meta.name)) {
        r.unbound_ok = false;
        break;
      }
    } else if (!empty(vc->pvc->u.pvc.spec.volume_name)) {
      if (vc->prebound && !pv_admits(vc->prebound, n)) {
        r.unbound_ok = false;
        break;
      }
      if (plan) {
        struct wait_item w = {vc->pvc->meta.name, NULL, 0};
        VEC_PUSH(&s->plan, w);
      }
      continue;
    } else {
      if (vc->prebound) {
        if (!pv_admits(vc->prebound, n)) {
          r.unbound_ok = false;
          break;
        }
        match = vc->prebound;
      }
      for (size_t k = vc->cand_from; !match && k < vc->cand_to; k++) {
        const struct object *pv = s->cands.v[k];
        bool taken = false;
        for (size_t j = 0; j < s->picked.nr && !taken; j++)
          taken = s->picked.v[j] == pv;
        if (!taken && pv_admits(pv, n))
          match = pv;
      }
      if (match) {
        VEC_PUSH(&s->picked, match);
        if (plan) {
          struct wait_item w = {vc->pvc->meta.name, match->meta.name, 0};
          VEC_PUSH(&s->plan, w);
        }
        continue;
      }
    }
    /* checkVolumeProvisions */
    sc = vc->sc;
    if (!sc || empty(sc->u.sc.provisioner) ||
        !strcmp(sc->u.sc.provisioner, NOT_SUPPORTED_PROVISIONER) ||
        (sc->u.sc.allowed_topologies.terms_nr &&
         !node_selector_matches(&sc->u.sc.allowed_topologies, n->meta.name,
                                &n->meta.labels))) {
      r.unbound_ok = false;
      break;
    }
    if (plan) {
      struct wait_item w = {vc->pvc->meta.name, NULL, 0};
      VEC_PUSH(&s->plan, w);
    }
  }
  return r;
}

/* --- InterPodAffinity --- */

static void pair_add(struct tpairs *v, const char *key, const char *value,
                     int64_t d)
{
  for (size_t i = 0; i < v->nr; i++)
    if (!strcmp(v->v[i].key, key) && !strcmp(v->v[i].value, value)) {
      v->v[i].n += d;
      return;
    }
  struct tpair t = {key, value, d};
  VEC_PUSH(v, t);
}

static int64_t pair_get(const struct tpairs *v, const char *key,
                        const char *value)
{
  for (size_t i = 0; i < v->nr; i++)
    if (!strcmp(v->v[i].key, key) && !strcmp(v->v[i].value, value))
      return v->v[i].n;
  return 0;
}

/*
 * PodMatchesTermsNamespaceAndSelector. The term's namespaces default to
 * its own pod's. An empty selector matches nothing here (a nil one does
 * upstream; objects.h cannot tell nil from {}).
 */
static bool term_matches(const struct pod_affinity_term *t,
                         const char *owner_ns, const struct object *pod)
{
  bool ns_ok = false;

  if (empty(t->topology_key) || selector_is_empty(&t->selector))
    return false;
  if (!t->namespaces.nr)
    ns_ok = !strcmp(owner_ns, pod_ns(pod));
  for (size_t i = 0; i < t->namespaces.nr && !ns_ok; i++)
    ns_ok = !strcmp(t->namespaces.v[i], pod_ns(pod));
  return ns_ok && selector_matches(&t->selector, &pod->meta.labels);
}

/* The InterPodAffinity PreFilter counts over the pods on live nodes. */
static void ipa_prefilter(struct sched *s, const struct spod *p)
{
  const struct object *pod = p->obj;
  const struct affinity *a = &pod->u.pod.spec.affinity;
  const char *ns = pod_ns(pod);
  bool incoming =
      a->pod_affinity_required_nr || a->pod_anti_affinity_required_nr;

  s->aff_in.nr = s->anti_in.nr = s->anti_exist.nr = 0;
  if (incoming) {
    for (size_t k = 0; k < s->nodes_v.nr; k++) {
      const struct snode *n = s->nodes_v.v[k];
      if (!n->obj)
        continue;
      for (const struct spod *q = n->pods_head; q; q = q->nnext) {
        bool all = a->pod_affinity_required_nr > 0;
        for (size_t i = 0; i < a->pod_affinity_required_nr && all; i++)
          all = term_matches(&a->pod_affinity_required[i], ns, q->obj);
        for (size_t i = 0; all && i < a->pod_affinity_required_nr; i++) {
          const char *key = a->pod_affinity_required[i].topology_key;
          const char *v = node_label(n->obj, key);
          if (v)
            pair_add(&s->aff_in, key, v, 1);
        }
        for (size_t i = 0; i < a->pod_anti_affinity_required_nr; i++) {
          const struct pod_affinity_term *t = &a->pod_anti_affinity_required[i];
          const char *v =
              node_label(n->obj, t->topology_key ? t->topology_key : "");
          if (v && term_matches(t, ns, q->obj))
            pair_add(&s->anti_in, t->topology_key, v, 1);
        }
      }
    }
  }
  for (const struct spod *q = s->aff_head; q; q = q->anext) {
    const struct affinity *qa = &q->obj->u.pod.spec.affinity;
    if (!q->node->obj || q == p)
      continue;
    for (size_t i = 0; i < qa->pod_anti_affinity_required_nr; i++) {
      const struct pod_affinity_term *t = &qa->pod_anti_affinity_required[i];
      const char *v =
          node_label(q->node->obj, t->topology_key ? t->topology_key : "");
      if (v && term_matches(t, pod_ns(q->obj), pod))
        pair_add(&s->anti_exist, t->topology_key, v, 1);
    }
  }
}

/* The InterPodAffinity filter on one node; returns the reason or NULL. */
static const char *ipa_filter(struct sched *s, const struct spod *p,
                              const struct object *n, enum fcode *code)
{
  const struct object *pod = p->obj;
  const struct affinity *a = &pod->u.pod.spec.affinity;
  const char *ns = pod_ns(pod);

  /* satisfyPodAffinity, with the first-pod-of-a-group exception. */
  if (a->pod_affinity_required_nr) {
    bool exist = true, keys = true;
    for (size_t i = 0; i < a->pod_affinity_required_nr; i++) {
      const char *key = a->pod_affinity_required[i].topology_key;
      const char *v = key ? node_label(n, key) : NULL;
      if (!v) {
        keys = false;
        break;
      }
      if (pair_get(&s->aff_in, key, v) <= 0)
        exist = false;
    }
    if (keys && !exist) {
      bool self = true;
      for (size_t i = 0; i < a->pod_affinity_required_nr && self; i++)
        self = term_matches(&a->pod_affinity_required[i], ns, pod);
      exist = s->aff_in.nr == 0 && self;
    }
    if (!keys || !exist) {
      *code = FC_UNSCHEDULABLE_UNRESOLVABLE;
      return "node(s) didn't match pod affinity rules";
    }
  }
  for (size_t i = 0; i < a->pod_anti_affinity_required_nr; i++) {
    const char *key = a->pod_anti_affinity_required[i].topology_key;
    const char *v = key ? node_label(n, key) : NULL;
    if (v && pair_get(&s->anti_in, key, v) > 0) {
      *code = FC_UNSCHEDULABLE;
      return "node(s) didn't match pod anti-affinity rules";
    }
  }
  for (size_t i = 0; i < s->anti_exist.nr; i++) {
    const char *v = node_label(n, s->anti_exist.v[i].key);
    if (v && !strcmp(v, s->anti_exist.v[i].value) && s->anti_exist.v[i].n > 0) {
      *code = FC_UNSCHEDULABLE;
      return "node(s) didn't satisfy existing pods anti-affinity rules";
    }
  }
  return NULL;
}

/* --- filtering one node --- */

struct nstatus {
  enum fcode code;
  unsigned plugin;
};

/*
 * RunFilterPlugins on one node: the first plugin that rejects decides
 * the node's status; its reasons go into the histogram.
 */
static struct nstatus filter_node(struct sched *s, const struct spod *p,
                                  const struct snode *sn, bool vb)
{
  const struct object *pod = p->obj, *n = sn->obj;
  struct nstatus st = {FC_SUCCESS, 0};
  const char *key, *value;
  char buf[320];

  node_summary((struct snode *)sn);
  if (sn->unschedulable &&
      !pod_tolerates(pod, TAINT_UNSCHEDULABLE, NULL, TAINT_NO_SCHEDULE)) {
    hist_add(s, "node(s) were unschedulable", 1);
    return (struct nstatus){FC_UNSCHEDULABLE_UNRESOLVABLE,
                            PL_NODE_UNSCHEDULABLE};
  }
  if (untolerated_sum(pod, sn, &key, &value)) {
    /* 1.35 (and late 1.32-1.34 patches, PR #134740) hide the taint. */
    if (s->minor >= 35)
      hist_add(s, "node(s) had untolerated taint(s)", 1);
    else {
      snprintf(buf, sizeof(buf), "node(s) had untolerated taint {%s: %s}", key,
               value ? value : "");
      hist_add(s, buf, 1);
    }
    return (struct nstatus){FC_UNSCHEDULABLE_UNRESOLVABLE, PL_TAINT_TOLERATION};
  }
  if (!node_affinity_ok(pod, n)) {
    hist_add(s, "node(s) didn't match Pod's node affinity/selector", 1);
    return (struct nstatus){FC_UNSCHEDULABLE_UNRESOLVABLE, PL_NODE_AFFINITY};
  }
  {
    /* NodeResourcesFit (fitsRequest); an unresolvable request is one
     * larger than the node's whole allocatable. */
    bool any = false, unresolvable = false;
    if (sn->npods + 1 > sn->pods_alloc) {
      hist_add(s, "Too many pods", 1);
      any = true;
    }
    if (p->cpu > 0 && p->cpu > sn->cpu_alloc - sn->cpu) {
      hist_add(s, "Insufficient cpu", 1);
      any = true;
      unresolvable |= p->cpu > sn->cpu_alloc;
    }
    if (p->mem > 0 && p->mem > sn->mem_alloc - sn->mem) {
      hist_add(s, "Insufficient memory", 1);
      any = true;
      unresolvable |= p->mem > sn->mem_alloc;
    }
    if (any)
      return (struct nstatus){unresolvable ? FC_UNSCHEDULABLE_UNRESOLVABLE
                                           : FC_UNSCHEDULABLE,
                              PL_NODE_RESOURCES_FIT};
  }
  if (vb) {
    struct vbresult r = vb_filter(s, n, false);
    bool pv_newer = s->minor >= 33;
    if (!r.bound_ok)
      hist_add(s,
               pv_newer ? "node(s) didn't match PersistentVolume's node "
                          "affinity"
                        : "node(s) had volume node affinity conflict",
               1);
    if (!r.unbound_ok)
      hist_add(s, "node(s) didn't find available persistent volumes to bind",
               1);
    if (!r.pvs_found)
      hist_add(s,
               "node(s) unavailable due to one or more pvc(s) bound to "
               "non-existent pv(s)",
               1);
    if (!r.bound_ok || !r.unbound_ok || !r.pvs_found)
      return (struct nstatus){FC_UNSCHEDULABLE_UNRESOLVABLE, PL_VOLUME_BINDING};
  }
  {
    enum fcode code;
    const char *why = ipa_filter(s, p, n, &code);
    if (why) {
      hist_add(s, why, 1);
      return (struct nstatus){code, PL_INTER_POD_AFFINITY};
    }
  }
  return st;
}

/* --- scoring --- */

/*
 * n / d, the same quotient, in 32 bits when both fit: the scores divide
 * per node per cycle, and a 64-bit division costs several times more.
 */
static int64_t quot(int64_t n, int64_t d)
{
  if (n >= 0 && n <= (int64_t)UINT32_MAX && d > 0 && d <= (int64_t)UINT32_MAX)
    return (int64_t)((uint32_t)n / (uint32_t)d);
  return n / d;
}

/* DefaultNormalizeScore. */
static void normalize(struct sched *s, size_t off, bool reverse)
{
  int64_t max = 0;

  for (size_t i = 0; i < s->feas.nr; i++) {
    int64_t v = *(int64_t *)((char *)&s->feas.v[i] + off);
    if (v > max)
      max = v;
  }
  for (size_t i = 0; i < s->feas.nr; i++) {
    int64_t *v = (int64_t *)((char *)&s->feas.v[i] + off);
    if (!max)
      *v = reverse ? MAX_NODE_SCORE : 0;
    else
      *v = reverse ? MAX_NODE_SCORE - quot(MAX_NODE_SCORE * *v, max)
                   : quot(MAX_NODE_SCORE * *v, max);
  }
}

static void score_taints_affinity(struct sched *s, const struct object *pod)
{
  const struct pod_spec *sp = &pod->u.pod.spec;

  for (size_t i = 0; i < s->feas.nr; i++) {
    struct feasible *f = &s->feas.v[i];
    const struct object *n = f->n->obj;
    /* TaintToleration: intolerable PreferNoSchedule taints, counted
     * against tolerations with effect PreferNoSchedule or empty (the
     * node's summary is fresh: the filters made it this cycle). */
    for (size_t k = 0; k < f->n->taints_nr; k++) {
      const struct taint *t = &f->n->taints[k];
      bool ok = false;
      if (t->effect != TAINT_PREFER_NO_SCHEDULE)
        continue;
      for (size_t j = 0; j < sp->tolerations_nr && !ok; j++) {
        const struct toleration *tl = &sp->tolerations[j];
        if (tl->any_effect || tl->effect == TAINT_PREFER_NO_SCHEDULE)
          ok = toleration_tolerates(tl, t->key, t->value,
                                    TAINT_PREFER_NO_SCHEDULE);
      }
      if (!ok)
        f->taint++;
    }
    /* NodeAffinity: the weights of matching preferred terms. */
    for (size_t k = 0; k < sp->affinity.node_preferred_nr; k++) {
      const struct weighted_node_term *w = &sp->affinity.node_preferred[k];
      struct node_selector one = {&w->term, 1};
      if (node_selector_matches(&one, n->meta.name, &n->meta.labels))
        f->naff += w->weight;
    }
  }
  normalize(s, offsetof(struct feasible, taint), true);
  normalize(s, offsetof(struct feasible, naff), false);
}

/* NodeResourcesFit LeastAllocated and NodeResourcesBalancedAllocation. */
static void score_resources(struct sched *s, const struct spod *p)
{
  for (size_t i = 0; i < s->feas.nr; i++) {
    struct feasible *f = &s->feas.v[i];
    int64_t alloc[2] = {f->n->cpu_alloc, f->n->mem_alloc};
    int64_t nz[2] = {f->n->cpu_nz + p->cpu_nz, f->n->mem_nz + p->mem_nz};
    int64_t rq[2] = {f->n->cpu + p->cpu, f->n->mem + p->mem};
    int64_t sum = 0, weights = 0;
    double frac[2];
    int nf = 0;

    for (int k = 0; k < 2; k++) {
      if (!alloc[k])
        continue;
      sum += nz[k] > alloc[k]
                 ? 0
                 : quot((alloc[k] - nz[k]) * MAX_NODE_SCORE, alloc[k]);
      weights++;
      frac[nf] = (double)rq[k] / (double)alloc[k];
      if (frac[nf] > 1)
        frac[nf] = 1;
      nf++;
    }
    f->fit = weights ? quot(sum, weights) : 0;
    /* Best-effort pods skip BalancedAllocation (1.33+ does; harmless
     * before, where every node would score the same for them). */
    if (!p->cpu && !p->mem)
      f->bal = 0;
    else if (nf == 2)
      f->bal = (int64_t)((1 - fabs(frac[0] - frac[1]) / 2) * MAX_NODE_SCORE);
    else
      f->bal = MAX_NODE_SCORE;
  }
}

/*
 * PodTopologySpread with the system-default constraints (hostname maxSkew
 * 3, zone maxSkew 5, ScheduleAnyway) for pods with a controller owner:
 * fewer pods of the same owner in a node's host and zone score higher.
 */
/* The zone and hostname labels of n's current version (cached). */
static void node_spread_labels(struct sched *s, struct snode *n)
{
  const char *z;

  if (n->labels_of == n->obj)
    return;
  n->labels_of = n->obj;
  n->has_hostname = node_label(n->obj, LABEL_HOSTNAME) != NULL;
  z = node_label(n->obj, LABEL_ZONE);
  n->zone = -1;
  if (!z)
    return;
  for (size_t k = 0; k < s->zone_names.nr; k++)
    if (!strcmp(s->zone_names.v[k], z)) {
      n->zone = (int)k;
      return;
    }
  VEC_PUSH(&s->zone_names, z);
  VEC_PUSH(&s->zone_seen, false);
  n->zone = (int)s->zone_names.nr - 1;
}

static void score_spread(struct sched *s, const struct spod *p)
{
  const struct sowner *o = NULL;
  double wh, wz;
  int64_t min = INT64_MAX, max = 0;
  size_t zones = 0;

  for (size_t i = 0; i < s->owners.nr && !o; i++)
    if (s->owners.v[i]->uid == p->owner_uid)
      o = s->owners.v[i];
  if (!p->owner_uid)
    return;
  /* the zones of the feasible nodes (labels cached per node version;
   * zones as indexes into zone_names: the same sums as by name) */
  for (size_t i = 0; i < s->feas.nr; i++)
    node_spread_labels(s, s->feas.v[i].n);
  for (size_t k = 0; k < s->zone_seen.nr; k++)
    s->zone_seen.v[k] = false;
  for (size_t i = 0; i < s->feas.nr; i++) {
    int z = s->feas.v[i].n->zone;
    if (z >= 0 && !s->zone_seen.v[z]) {
      s->zone_seen.v[z] = true;
      zones++;
    }
  }
  s->zone_counts.nr = 0;
  for (size_t k = 0; k < s->zone_names.nr; k++)
    VEC_PUSH(&s->zone_counts, 0);
  /* Counted over every live node the pod's node affinity admits. */
  for (size_t i = 0; o && i < s->nodes_v.nr; i++) {
    struct snode *n = s->nodes_v.v[i];
    if (!n->obj || !node_affinity_ok(p->obj, n->obj))
      continue;
    node_spread_labels(s, n);
    if (n->zone >= 0 && s->zone_seen.v[n->zone])
      s->zone_counts.v[n->zone] += owner_count(o, n);
  }
  wh = log((double)s->feas.nr + 2);
  wz = log((double)zones + 2);
  for (size_t i = 0; i < s->feas.nr; i++) {
    struct feasible *f = &s->feas.v[i];
    double sc = 0;
    if (f->n->has_hostname)
      sc += (o ? owner_count(o, f->n) : 0) * wh + (3 - 1);
    if (f->n->zone >= 0)
      sc += (double)s->zone_counts.v[f->n->zone] * wz + (5 - 1);
    f->spread = (int64_t)llround(sc);
    if (f->spread < min)
      min = f->spread;
    if (f->spread > max)
      max = f->spread;
  }
  for (size_t i = 0; i < s->feas.nr; i++) {
    struct feasible *f = &s->feas.v[i];
    f->spread = max ? quot(MAX_NODE_SCORE * (max + min - f->spread), max)
                    : MAX_NODE_SCORE;
  }
}

static void ipa_score_pod(struct sched *s, const struct object *pod,
                          const struct spod *q)
{
  const struct affinity *a = &pod->u.pod.spec.affinity;
  const struct affinity *qa = &q->obj->u.pod.spec.affinity;
  const struct object *n = q->node->obj;

  for (size_t i = 0; i < a->pod_anti_affinity_preferred_nr; i++) {
    const struct weighted_pod_affinity_term *w =
        &a->pod_anti_affinity_preferred[i];
    const char *v =
        w->term.topology_key ? node_label(n, w->term.topology_key) : NULL;
    if (v && term_matches(&w->term, pod_ns(pod), q->obj))
      pair_add(&s->ipa_score, w->term.topology_key, v, -w->weight);
  }
  /* hardPodAffinityWeight 1 for the existing pod's required affinity. */
  for (size_t i = 0; i < qa->pod_affinity_required_nr; i++) {
    const struct pod_affinity_term *t = &qa->pod_affinity_required[i];
    const char *v = t->topology_key ? node_label(n, t->topology_key) : NULL;
    if (v && term_matches(t, pod_ns(q->obj), pod))
      pair_add(&s->ipa_score, t->topology_key, v, 1);
  }
  for (size_t i = 0; i < qa->pod_anti_affinity_preferred_nr; i++) {
    const struct weighted_pod_affinity_term *w =
        &qa->pod_anti_affinity_preferred[i];
    const char *v =
        w->term.topology_key ? node_label(n, w->term.topology_key) : NULL;
    if (v && term_matches(&w->term, pod_ns(q->obj), pod))
      pair_add(&s->ipa_score, w->term.topology_key, v, -w->weight);
  }
}

/* InterPodAffinity scoring (preferred terms, both directions). */
static void score_ipa(struct sched *s, const struct spod *p)
{
  const struct object *pod = p->obj;
  int64_t min = INT64_MAX, max = INT64_MIN;

  s->ipa_score.nr = 0;
  if (pod->u.pod.spec.affinity.pod_anti_affinity_preferred_nr) {
    for (size_t k = 0; k < s->nodes_v.nr; k++)
      if (s->nodes_v.v[k]->obj)
        for (const struct spod *q = s->nodes_v.v[k]->pods_head; q; q = q->nnext)
          ipa_score_pod(s, pod, q);
  } else {
    for (const struct spod *q = s->aff_head; q; q = q->anext)
      if (q->node->obj)
        ipa_score_pod(s, pod, q);
  }
  for (size_t i = 0; i < s->feas.nr; i++) {
    struct feasible *f = &s->feas.v[i];
    f->ipa = 0;
    for (size_t k = 0; k < s->ipa_score.nr; k++) {
      const char *v = node_label(f->n->obj, s->ipa_score.v[k].key);
      if (v && !strcmp(v, s->ipa_score.v[k].value))
        f->ipa += s->ipa_score.v[k].n;
    }
    if (f->ipa < min)
      min = f->ipa;
    if (f->ipa > max)
      max = f->ipa;
  }
  for (size_t i = 0; i < s->feas.nr; i++) {
    struct feasible *f = &s->feas.v[i];
    f->ipa = max > min
                 ? (int64_t)((double)MAX_NODE_SCORE *
                             ((double)(f->ipa - min) / (double)(max - min)))
                 : 0;
  }
}

/*
 * Scores the feasible nodes and picks the best; ties are broken with the
 * scheduler's stream (selectHost picks uniformly among the best).
 */
static struct snode *pick_node(struct sched *s, const struct spod *p,
                               int64_t *best_out, size_t *ties_out)
{
  int64_t best = INT64_MIN;
  size_t ties = 0, k;

  score_taints_affinity(s, p->obj);
  score_resources(s, p);
  score_spread(s, p);
  score_ipa(s, p);
  for (size_t i = 0; i < s->feas.nr; i++) {
    struct feasible *f = &s->feas.v[i];
    f->total = 3 * f->taint + 2 * f->naff + f->fit + 2 * f->spread +
               2 * f->ipa + f->bal;
    if (f->total > best) {
      best = f->total;
      ties = 0;
    }
    if (f->total == best)
      ties++;
  }
  k = ties > 1 ? (size_t)rng_range(s->rng, 0, (int64_t)ties - 1) : 0;
  *best_out = best;
  *ties_out = ties;
  for (size_t i = 0; i < s->feas.nr; i++)
    if (s->feas.v[i].total == best && k-- == 0)
      return s->feas.v[i].n;
  SIM_BUG("no best node among %zu", s->feas.nr);
}

/* --- failures --- */

struct cond_patch {
  const char *reason, *message; /* message: caller storage */
  simtime now;
  struct arena *arena; /* the message is copied only when written */
};

static bool patch_unscheduled(struct object *o, void *arg)
{
  const struct cond_patch *c = arg;
  struct condition *cd = &o->u.pod.status.scheduled;

  if (!empty(o->u.pod.spec.node_name))
    return false;
  if (cd->status == COND_FALSE && str_eq0(cd->reason, c->reason) &&
      str_eq0(cd->message, c->message))
    return false;
  if (cd->status != COND_FALSE)
    cd->last_transition_time = c->now;
  cd->status = COND_FALSE;
  cd->reason = c->reason;
  cd->message = arena_strdup(c->arena, c->message);
  return true;
}

/*
 * handleSchedulingFailure: the FailedScheduling event, PodScheduled=False
 * and the way back into the queue. rejectors 0 = an error (backoffQ for
 * the whole backoff); otherwise parked unless an event during the attempt
 * may already have helped.
 */
static void fail_attempt(struct sched *s, struct spod *p, const char *msg,
                         bool unschedulable, unsigned rejectors)
{
  const struct object *pod = p->obj;
  char ev[EVENT_NOTE_LIMIT + 1], ref[300];
  struct cond_patch cp = {unschedulable ? "Unschedulable" : "SchedulerError",
                          msg, now_of(s), s->arena};
  const struct condition *cur = &pod->u.pod.status.scheduled;
  simtime now = now_of(s);
  bool helped = false;

  if (strlen(msg) <= EVENT_NOTE_LIMIT)
    snprintf(ev, sizeof(ev), "%s", msg);
  else
    snprintf(ev, sizeof(ev), "%.*s ...", EVENT_NOTE_LIMIT - 4, msg);
  api_record_event(s->api, SCHED_NAME, pod, EVENT_WARNING, "FailedScheduling",
                   "%s", ev);
  /* updatePod writes only a changed condition; the informer's copy
   * spares the request when it already says the same. */
  if (cur->status != COND_FALSE || !str_eq0(cur->reason, cp.reason) ||
      !str_eq0(cur->message, msg))
    api_patch(s->api, SCHED_NAME, KIND_POD, pod_ns(pod), pod->meta.name,
              pod->meta.uid, patch_unscheduled, &cp, NULL);
  pod_ref(pod, ref, sizeof(ref));
  cluster_note(&s->env, ref, "FailedScheduling", "pod %s unschedulable: %s",
               pod->meta.name, msg);

  p->state = Q_NONE;
  p->ts = now;
  p->backoff_until = now + backoff_duration(s, p->attempts);
  p->rejectors = rejectors;
  p->err_backoff = rejectors == 0;
  if (s->inflight_uid == p->uid)
    for (size_t i = 0; i < s->inflight_events.nr && !helped; i++)
      helped = wants(p, &s->inflight_events.v[i]);
  if (!rejectors)
    to_backoff(s, p);
  else if (helped)
    requeue(s, p);
  else
    park(s, p);
}

/*
 * A FitError: "0/N nodes are available: <prefilter msg or histogram>.
 * preemption: 0/N nodes are available: <histogram>.." (see the file
 * comment about preemption).
 */
static void fail_fit(struct sched *s, struct spod *p, const char *pre,
                     int resolvable, unsigned rejectors)
{
  char msg[4096];
  size_t len = 0, total = s->live_nr;

  bprintf(msg, sizeof(msg), &len, "0/%zu nodes are available:", total);
  if (pre) {
    s->hist.nr = 0;
    bprintf(msg, sizeof(msg), &len, " %s.", pre);
    resolvable = 0;
  } else {
    bprintf(msg, sizeof(msg), &len, " ");
    hist_append(s, msg, sizeof(msg), &len);
    bprintf(msg, sizeof(msg), &len, ".");
  }
  bprintf(msg, sizeof(msg), &len,
          " preemption: 0/%zu nodes are available: ", total);
  if ((size_t)resolvable < total)
    hist_add(s, "Preemption is not helpful for scheduling",
             (int)(total - (size_t)resolvable));
  if (resolvable)
    hist_add(s, "No preemption victims found for incoming pod", resolvable);
  hist_append(s, msg, sizeof(msg), &len);
  bprintf(msg, sizeof(msg), &len, "..");
  fail_attempt(s, p, msg, true, rejectors);
}

/* --- binding --- */

struct bind_patch {
  const char *node;
  simtime now;
};

/* pods/binding: spec.nodeName and PodScheduled=True in one write. */
static bool patch_bind(struct object *o, void *arg)
{
  const struct bind_patch *b = arg;
  struct condition *cd = &o->u.pod.status.scheduled;

  o->u.pod.spec.node_name = b->node;
  if (cd->status != COND_TRUE)
    *cd = (struct condition){COND_TRUE, b->now, NULL, NULL};
  else
    cd->reason = cd->message = NULL;
  return true;
}

/* ForgetPod after a failed binding cycle; the others may now fit. */
static void binding_failed(struct sched *s, struct spod *p, const char *msg)
{
  const struct object *last = p->obj;
  bool counted = p->node != NULL;

  wait_unlink(s, p);
  assumed_release(s, p->uid);
  unaccount(s, p);
  if (counted) {
    struct cevent ev = {.kind = CEV_POD_DELETE, .now = last};
    cluster_event(s, &ev);
  }
  fail_attempt(s, p, msg, false, 0);
}

static void do_bind(struct sched *s, struct spod *p)
{
  const struct object *pod = p->obj;
  struct bind_patch b = {p->node->name, now_of(s)};
  const struct object *out = NULL;
  enum api_status st;
  char ref[300];

  wait_unlink(s, p);
  st = api_patch(s->api, SCHED_NAME, KIND_POD, pod_ns(pod), pod->meta.name,
                 pod->meta.uid, patch_bind, &b, &out);
  if (st != API_OK) {
    char msg[1024];
    snprintf(msg, sizeof(msg), "running Bind plugin \"DefaultBinder\": %s",
             api_last_error(s->api));
    binding_failed(s, p, msg);
    return;
  }
  api_record_event(s->api, SCHED_NAME, out ? out : pod, EVENT_NORMAL,
                   "Scheduled", "Successfully assigned %s/%s to %s",
                   pod_ns(pod), pod->meta.name, p->node->name);
  p->state = Q_NONE;
  p->assumed = true;
  assumed_release(s, p->uid);
  pod_ref(pod, ref, sizeof(ref));
  cluster_note(&s->env, ref, "Scheduled", "pod %s bound to %s", pod->meta.name,
               p->node->name);
}

struct claim_patch {
  const char *node;
  struct arena *arena;
};

static bool patch_selected_node(struct object *o, void *arg)
{
  const struct claim_patch *c = arg;
  const struct kv_list *a = &o->meta.annotations;
  const char *cur = kv_get(a, ANN_SELECTED_NODE);
  struct kv *v;
  size_t nr = 0;

  if (cur && !strcmp(cur, c->node))
    return false;
  v = arena_calloc(c->arena, a->nr + 1, sizeof(*v));
  for (size_t i = 0; i < a->nr; i++)
    if (strcmp(a->v[i].key, ANN_SELECTED_NODE))
      v[nr++] = a->v[i];
  v[nr++] = (struct kv){ANN_SELECTED_NODE, c->node};
  o->meta.annotations = (struct kv_list){v, nr};
  return true;
}

struct pv_patch {
  const struct object *pvc;
  struct arena *arena;
};

/* GetBindVolumeToClaim: claimRef plus bound-by-controller. */
static bool patch_claim_ref(struct object *o, void *arg)
{
  const struct pv_patch *c = arg;
  const struct kv_list *a = &o->meta.annotations;
  struct kv *v;

  if (!empty(o->u.pv.spec.claim_ref.name))
    return false;
  o->u.pv.spec.claim_ref =
      (struct claim_ref){pod_ns(c->pvc), c->pvc->meta.name, c->pvc->meta.uid};
  if (!kv_get(a, ANN_BOUND_BY_CONTROLLER)) {
    v = arena_calloc(c->arena, a->nr + 1, sizeof(*v));
    if (a->nr)
      memcpy(v, a->v, a->nr * sizeof(*v));
    v[a->nr] = (struct kv){ANN_BOUND_BY_CONTROLLER, "yes"};
    o->meta.annotations = (struct kv_list){v, a->nr + 1};
  }
  return true;
}

static void prebind_poll(struct engine *e, uint64_t uid, uint64_t gen,
                         void *ctx);

/* Arms the next poll tick (wait_start + k s, k >= 1) at or after now. */
static void wait_poke(struct sched *s, struct spod *p)
{
  simtime at, since = now_of(s) - p->wait_start;
  simtime k = (since + PREBIND_POLL_PERIOD - 1) / PREBIND_POLL_PERIOD;

  if (k < 1)
    k = 1;
  at = p->wait_start + k * PREBIND_POLL_PERIOD;
  if (p->poll_handle && p->poll_at <= at)
    return;
  if (p->poll_handle)
    engine_cancel(s->e, p->poll_handle);
  idle_remove(s, p);
  p->poll_at = at;
  p->poll_handle =
      engine_schedule(s->e, at, PHASE_CONTROLLER, "scheduler.prebind-poll",
                      prebind_poll, p->uid, p->wait_gen, s);
}

/*
 * Every waiting pod, in list order, gets its next poll armed. A pod with
 * a poll armed keeps it (it is due no later than the next tick), so only
 * the idle ones are walked.
 */
static void wait_poke_all(struct sched *s)
{
  struct spod *p = s->idle_head, *next;

#ifdef SIM_PARANOID
  for (struct spod *q = s->wait_head; q; q = q->wnext) {
    simtime k = (now_of(s) - q->wait_start + PREBIND_POLL_PERIOD - 1) /
                PREBIND_POLL_PERIOD;
    SIM_ASSERT(q->idle == !q->poll_handle);
    SIM_ASSERT(!q->poll_handle ||
               q->poll_at <=
                   q->wait_start + (k < 1 ? 1 : k) * PREBIND_POLL_PERIOD);
  }
#endif
  for (; p; p = next) {
    next = p->inext;
    wait_poke(s, p);
  }
}

/*
 * checkBindings: 1 = every claim bound, 0 = not yet, -1 = failed (msg).
 * An informer version older than our own write stands for the assumed
 * version upstream keeps in its assume cache: not bound yet.
 */
static int check_bindings(struct sched *s, struct spod *p, char *msg,
                          size_t cap)
{
  const char *ns = pod_ns(p->obj);
  const char *node = p->node->name;

  if (!p->node->obj) {
    snprintf(msg, cap, "failed to get node \"%s\": node \"%s\" not found", node,
             node);
    return -1;
  }
  for (size_t i = 0; i < p->wait.nr; i++) {
    const struct wait_item *w = &p->wait.v[i];
    const struct object *c = informer_get(s->pvcs, ns, w->pvc);
    const struct object *pv;
    if (!c) {
      snprintf(msg, cap,
               "failed to check provisioning pvc: could not find pvc "
               "\"%s/%s\"",
               ns, w->pvc);
      return -1;
    }
    if (w->pv) {
      /* A static binding: our claimRef, then the PV controller. */
      pv = informer_get(s->pvs, "", w->pv);
      if (!pv) {
        snprintf(msg, cap, "failed to check binding: could not find pv \"%s\"",
                 w->pv);
        return -1;
      }
      if (pv->meta.resource_version < w->rv)
        return 0;
      if (empty(pv->u.pv.spec.claim_ref.name)) {
        snprintf(msg, cap, "ClaimRef got reset for pv \"%s\"", w->pv);
        return -1;
      }
      if (!pvc_fully_bound(c))
        return 0;
      continue;
    }
    if (c->meta.resource_version < w->rv)
      return 0;
    if (!pvc_fully_bound(c) && empty(c->u.pvc.spec.volume_name)) {
      /* The provisioner drops selected-node to ask for a new node. */
      const char *sel = kv_get(&c->meta.annotations, ANN_SELECTED_NODE);
      if (!c->meta.annotations.nr) {
        snprintf(msg, cap, "selectedNode annotation reset for PVC \"%s\"",
                 w->pvc);
        return -1;
      }
      if (!sel || strcmp(sel, node)) {
        snprintf(msg, cap, "provisioning failed for PVC \"%s\"", w->pvc);
        return -1;
      }
      return 0;
    }
    if (!empty(c->u.pvc.spec.volume_name)) {
      pv = informer_get(s->pvs, "", c->u.pvc.spec.volume_name);
      if (!pv)
        return 0;
      if (!pv_admits(pv, p->node->obj)) {
        snprintf(msg, cap,
                 "pv \"%s\" node affinity doesn't match node \"%s\": no "
                 "matching NodeSelectorTerms",
                 pv->meta.name, node);
        return -1;
      }
    }
    if (!pvc_fully_bound(c))
      return 0;
  }
  return 1;
}

static void prebind_fail(struct sched *s, struct spod *p, const char *why)
{
  char msg[1200];

  snprintf(msg, sizeof(msg),
           "running PreBind plugin \"VolumeBinding\": binding volumes: %s",
           why);
  binding_failed(s, p, msg);
}

static void prebind_poll(struct engine *e, uint64_t uid, uint64_t gen,
                         void *ctx)
{
  struct sched *s = ctx;
  struct spod *p = pods_find(s, uid);
  char msg[1024];
  int r;

  (void)e;
  if (!p || p->state != Q_BINDING || p->wait_gen != gen)
    return;
  p->poll_handle = 0;
  r = check_bindings(s, p, msg, sizeof(msg));
  if (r > 0)
    do_bind(s, p);
  else if (r < 0)
    prebind_fail(s, p, msg);
  else if (p->waiting && !p->poll_handle)
    idle_add(s, p); /* until the next cluster event */
}

static void prebind_timeout(struct engine *e, uint64_t uid, uint64_t gen,
                            void *ctx)
{
  struct sched *s = ctx;
  struct spod *p = pods_find(s, uid);

  (void)e;
  if (!p || p->state != Q_BINDING || p->wait_gen != gen)
    return;
  p->timeout_handle = 0;
  prebind_fail(s, p, "context deadline exceeded");
}

/*
 * Reserve, PreBind and Bind on the chosen node: the pod is assumed there
 * at once; claims needing binding get their API writes and the pod waits
 * for the PV controller (or provisioner) to finish.
 */
static void bind_to(struct sched *s, struct spod *p, struct snode *n,
                    bool has_claims)
{
  const struct object *pod = p->obj;
  char ref[300];

  account(s, p, n);
  p->assumed = true;
  p->state = Q_BINDING;
  p->wait.nr = 0;
  if (has_claims) {
    vb_filter(s, n->obj, true);
    for (size_t i = 0; i < s->plan.nr; i++)
      VEC_PUSH(&p->wait, s->plan.v[i]);
  }
  if (!p->wait.nr) {
    do_bind(s, p);
    return;
  }
  for (size_t i = 0; i < p->wait.nr; i++) {
    struct wait_item *w = &p->wait.v[i];
    const struct object *c = informer_get(s->pvcs, pod_ns(pod), w->pvc);
    const struct object *out = NULL;
    enum api_status st = API_OK;
    if (!c) {
      prebind_fail(s, p, "could not find the claim");
      return;
    }
    if (w->pv) {
      struct pv_patch pp = {c, s->arena};
      if (s->assumed_nr == s->assumed_alloc) {
        s->assumed_alloc = s->assumed_alloc ? 2 * s->assumed_alloc : 8;
        s->assumed_pvs = xrealloc(s->assumed_pvs,
                                  s->assumed_alloc * sizeof(*s->assumed_pvs));
      }
      s->assumed_pvs[s->assumed_nr++] = (struct assumed_pv){w->pv, p->uid};
      st = api_patch(s->api, SCHED_NAME, KIND_PV, "", w->pv, 0, patch_claim_ref,
                     &pp, &out);
    } else if (!pvc_fully_bound(c) && empty(c->u.pvc.spec.volume_name)) {
      struct claim_patch cp = {n->name, s->arena};
      st = api_patch(s->api, SCHED_NAME, KIND_PVC, pod_ns(pod), w->pvc,
                     c->meta.uid, patch_selected_node, &cp, &out);
    }
    if (st != API_OK) {
      char msg[1024];
      snprintf(msg, sizeof(msg), "%s", api_last_error(s->api));
      prebind_fail(s, p, msg);
      return;
    }
    w->rv = out ? out->meta.resource_version : 0;
  }
  p->wait_gen++;
  p->wait_start = now_of(s);
  p->waiting = true;
  p->wseq = ++s->wseq;
  p->wnext = NULL;
  p->wprev = s->wait_tail;
  if (s->wait_tail)
    s->wait_tail->wnext = p;
  else
    s->wait_head = p;
  s->wait_tail = p;
  p->timeout_handle = engine_schedule(
      s->e, p->wait_start + s->bind_timeout, PHASE_CONTROLLER,
      "scheduler.prebind-timeout", prebind_timeout, p->uid, p->wait_gen, s);
  wait_poke(s, p);
  pod_ref(pod, ref, sizeof(ref));
  cluster_note(&s->env, ref, "WaitingForVolumes",
               "pod %s assumed on %s; waiting for %zu claim(s) to be bound "
               "(first: %s)",
               pod->meta.name, n->name, p->wait.nr, p->wait.v[0].pvc);
}

/* --- the scheduling cycle --- */

/*
 * numFeasibleNodesToFind with the default, adaptive
 * percentageOfNodesToScore (cluster-behaviour 5.3): a cycle stops
 * filtering once it has this many feasible nodes - all of them below 100
 * nodes, else n * max(5, 50 - n/125) / 100 but at least 100 (420 of
 * 1,000 nodes).
 */
static size_t feasible_to_find(size_t n)
{
  long pct;
  size_t k;

  if (n < 100)
    return n;
  pct = 50 - (long)(n / 125);
  if (pct < 5)
    pct = 5;
  k = n * (size_t)pct / 100;
  return k < 100 ? 100 : k;
}

static int name_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts and dedupes s->eligible; returns how many of them are live. */
static size_t eligible_live(struct sched *s)
{
  size_t j = 0, live = 0;

  qsort(s->eligible.v, s->eligible.nr, sizeof(*s->eligible.v), name_cmp);
  for (size_t i = 0; i < s->eligible.nr; i++) {
    if (j && !strcmp(s->eligible.v[j - 1], s->eligible.v[i]))
      continue;
    s->eligible.v[j++] = s->eligible.v[i];
    const struct snode *n = node_find(s, s->eligible.v[i]);
    live += n && n->obj;
  }
  s->eligible.nr = j;
  return live;
}

static void schedule_one(struct sched *s, struct spod *p)
{
  char pre[512];
  bool narrowed = false, vb = false;
  enum vb_pre vp;
  unsigned rejectors = 0;
  int resolvable = 0;
  size_t evaluated = 0;
  int64_t best;
  size_t ties;
  struct snode *chosen;

  if (!s->live_nr) {
    /* ErrNoNodesAvailable: no plugin to wait for, so backoff. */
    fail_attempt(s, p, "no nodes available to schedule pods", true, 0);
    return;
  }
  vp = vb_prefilter(s, p, pre, sizeof(pre), &narrowed);
  if (vp == VB_REJECT) {
    fail_fit(s, p, pre, 0, PL_VOLUME_BINDING);
    return;
  }
  vb = vp == VB_OK;
  ipa_prefilter(s, p);
  s->hist.nr = 0;
  s->feas.nr = 0;
  /*
   * findNodesThatPassFilters: from nextStartNodeIndex round the node list,
   * until enough feasible nodes are found. Upstream walks the snapshot's
   * zone-interleaved list with 16 goroutines; here the cache's list in
   * name order, one node at a time (docs/fidelity.md). Below 100 nodes
   * every node is looked at and the start never moves.
   */
  size_t all = narrowed ? eligible_live(s) : s->live_nr;
  size_t to_find = feasible_to_find(all);
  size_t nv = s->nodes_v.nr, start = nv ? s->next_start % nv : 0, walked = 0;
  for (; walked < nv; walked++) {
    struct snode *n = s->nodes_v.v[(start + walked) % nv];
    struct nstatus st;
    if (to_find < all && s->feas.nr == to_find)
      break;
    if (!n->obj)
      continue;
    if (narrowed && !bsearch(&n->name, s->eligible.v, s->eligible.nr,
                             sizeof(*s->eligible.v), name_cmp))
      continue;
    evaluated++;
    st = filter_node(s, p, n, vb);
    if (st.code == FC_SUCCESS) {
      struct feasible f = {.n = n};
      VEC_PUSH(&s->feas, f);
      continue;
    }
    rejectors |= st.plugin;
    if (st.code == FC_UNSCHEDULABLE)
      resolvable++;
  }
  if (walked < nv)
    s->next_start = (start + walked) % nv;
  if (narrowed && evaluated < s->live_nr) {
    /* Nodes left out by the PreFilterResult. */
    hist_add(s, "node(s) didn't satisfy plugin(s) [VolumeBinding]",
             (int)(s->live_nr - evaluated));
    rejectors |= PL_VOLUME_BINDING;
  }
  if (!s->feas.nr) {
    fail_fit(s, p, NULL, resolvable, rejectors);
    return;
  }
  s->hist.nr = 0;
  if (s->feas.nr == 1) {
    chosen = s->feas.v[0].n;
    best = 0;
    ties = 1;
  } else {
    chosen = pick_node(s, p, &best, &ties);
  }
  {
    char ref[300];
    pod_ref(p->obj, ref, sizeof(ref));
    if (walked < nv)
      cluster_note(&s->env, ref, "Scheduling",
                   "pod %s: stopped at %zu feasible nodes after looking at "
                   "%zu of %zu (percentageOfNodesToScore), chose %s (score "
                   "%lld, %zu tied)",
                   p->obj->meta.name, s->feas.nr, evaluated, s->live_nr,
                   chosen->name, (long long)best, ties);
    else
      cluster_note(&s->env, ref, "Scheduling",
                   "pod %s: %zu of %zu nodes feasible, chose %s (score %lld, "
                   "%zu tied)",
                   p->obj->meta.name, s->feas.nr, s->live_nr, chosen->name,
                   (long long)best, ties);
  }
  bind_to(s, p, chosen, vb);
}

static void cycle_fn(struct engine *e, uint64_t uid, uint64_t arg, void *ctx)
{
  struct sched *s = ctx;
  struct spod *p = pods_find(s, uid);

  (void)e;
  (void)arg;
  s->cycle_handle = 0;
  s->in_cycle = true;
  if (p && p->state == Q_INFLIGHT)
    schedule_one(s, p);
  s->in_cycle = false;
  s->inflight_uid = 0;
  s->inflight_events.nr = 0;
  kick(s);
}

/*
 * Pops the next pod (activeQ; with SchedulerPopFromBackoffQ, the head of
 * the unschedulable-attempt backoffQ when activeQ is empty) and runs its
 * cycle schedulingLatency later. One cycle at a time.
 */
static void kick(struct sched *s)
{
  struct spod *p = NULL;

  if (s->cycle_handle || s->in_cycle || !s->synced)
    return;
  if (s->active.nr) {
    p = s->active.v[0];
    heap_remove(&s->active, p, active_less);
  } else if (s->pop_from_backoff && s->backoff.nr) {
    p = s->backoff.v[0];
    heap_remove(&s->backoff, p, backoff_less);
    arm_backoff_flush(s);
  }
  if (!p)
    return;
  p->state = Q_INFLIGHT;
  p->attempts++;
  s->inflight_uid = p->uid;
  s->inflight_events.nr = 0;
  s->cycle_handle =
      engine_schedule(s->e, now_of(s) + s->latency, PHASE_CONTROLLER,
                      "scheduler.cycle", cycle_fn, p->uid, 0, s);
}

/* WaitForCacheSync: no cycle before every informer has listed. */
static void cache_sync(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct sched *s = ctx;

  (void)e;
  (void)subject;
  (void)arg;
  s->sync_handle = 0;
  if (informer_synced(s->pods) && informer_synced(s->nodes) &&
      informer_synced(s->pvcs) && informer_synced(s->pvs) &&
      informer_synced(s->classes)) {
    s->synced = true;
    kick(s);
    return;
  }
  s->sync_handle =
      engine_schedule(s->e, now_of(s) + CACHE_SYNC_POLL, PHASE_CONTROLLER,
                      "scheduler.cache-sync", cache_sync, 0, 0, s);
}

/* SchedulerPopFromBackoffQ: beta and on from 1.33 unless set. */
static bool pop_from_backoff_enabled(const struct scenario *sc)
{
  for (size_t i = 0; i < sc->feature_gates_nr; i++)
    if (!strcmp(sc->feature_gates[i].name, "SchedulerPopFromBackoffQ"))
      return sc->feature_gates[i].enabled;
  return sc->kubernetes_minor >= 33;
}

void *scheduler_start(const struct cluster_env *env)
{
  struct sched *s = xcalloc(1, sizeof(*s));
  const struct timings *t = &env->s->timings;
  simtime delay = t->v[TIMING_WATCH_DELAY];

  s->env = *env;
  s->api = env->api;
  s->e = api_engine(env->api);
  s->arena = api_arena(env->api);
  s->rng = rng_stream_new(env->seed, RNG_SCHEDULER, 0);
  s->minor = env->s->kubernetes_minor;
  s->pop_from_backoff = pop_from_backoff_enabled(env->s);
  s->t0 = engine_now(s->e);
  s->latency = t->v[TIMING_SCHED_LATENCY];
  s->initial_backoff = t->v[TIMING_SCHED_INITIAL_BACKOFF];
  s->max_backoff = t->v[TIMING_SCHED_MAX_BACKOFF];
  s->max_unsched = t->v[TIMING_SCHED_MAX_UNSCHEDULABLE];
  s->bind_timeout = t->v[TIMING_BIND_TIMEOUT];

  s->nodes = informer_new(s->api, KIND_NODE, SCHED_NAME, delay);
  s->pvcs = informer_new(s->api, KIND_PVC, SCHED_NAME, delay);
  s->pvs = informer_new(s->api, KIND_PV, SCHED_NAME, delay);
  s->classes = informer_new(s->api, KIND_STORAGECLASS, SCHED_NAME, delay);
  s->pods = informer_new(s->api, KIND_POD, SCHED_NAME, delay);
  informer_add_handler(s->nodes, on_node, s);
  informer_add_handler(s->pvcs, on_storage, s);
  informer_add_handler(s->pvs, on_storage, s);
  informer_add_handler(s->classes, on_storage, s);
  informer_add_handler(s->pods, on_pod, s);
  s->sync_handle = engine_schedule(s->e, s->t0 + delay, PHASE_CONTROLLER,
                                   "scheduler.cache-sync", cache_sync, 0, 0, s);
  return s;
}

void scheduler_stop(void *state)
{
  struct sched *s = state;
  uint64_t *handles[] = {&s->sync_handle, &s->cycle_handle, &s->backoff_handle,
                         &s->leftover_handle};

  if (!s)
    return;
  for (size_t i = 0; i < sizeof(handles) / sizeof(handles[0]); i++)
    if (*handles[i])
      engine_cancel(s->e, *handles[i]);
  while (s->wait_head)
    wait_unlink(s, s->wait_head);
  for (size_t i = 0; i < s->nodes_v.nr; i++)
    free(s->nodes_v.v[i]);
  for (size_t i = 0; i < s->owners.nr; i++) {
    free(s->owners.v[i]->count.v);
    free(s->owners.v[i]);
  }
  for (size_t i = 0; i < s->chunks.nr; i++) {
    for (size_t k = 0; k < 64; k++)
      free(s->chunks.v[i][k].wait.v);
    free(s->chunks.v[i]);
  }
  free(s->chunks.v);
  free(s->nodes_v.v);
  free(s->owners.v);
  free(s->map);
  free(s->active.v);
  free(s->backoff.v);
  free(s->err_backoff.v);
  free(s->inflight_events.v);
  free(s->assumed_pvs);
  free(s->hist.v);
  for (size_t i = 0; i < s->hist_lines.nr; i++)
    free(s->hist_lines.v[i]);
  free(s->hist_lines.v);
  free(s->mine.v);
  free(s->aff_in.v);
  free(s->anti_in.v);
  free(s->anti_exist.v);
  free(s->ipa_score.v);
  free(s->claims.v);
  free(s->cands.v);
  free(s->zone_names.v);
  free(s->zone_seen.v);
  free(s->pvx.v);
  free(s->unbound_pvs.v);
  u64map_release(&s->pvx_by_uid);
  u64map_release(&s->pvx_by_claim);
  free(s->eligible.v);
  free(s->feas.v);
  free(s->zone_counts.v);
  free(s->picked.v);
  free(s->plan.v);
  rng_free(s->rng);
  free(s);
}
