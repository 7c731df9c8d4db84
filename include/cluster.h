/*
 * cluster.h - the components around the StatefulSet controller: each is an
 * actor that reads its own informer caches and writes through the API
 * server, never reaching into another component's state. The physical
 * world they act on (containers, attachments, mounts, writes) is the
 * shared ground truth of truth.h, which they update and never consult to
 * decide what another component did.
 *
 * The component table (house style 7.7) is the one place a component is
 * wired into a run; a component gets a struct cluster_env at start.
 */
#ifndef SIM_CLUSTER_H
#define SIM_CLUSTER_H

#include <stdarg.h>

#include "apiserver.h"
#include "scenario.h"
#include "truth.h"

/* What a component gets to work with. */
struct cluster_env {
  struct api *api;          /* engine: api_engine(api); arena: api_arena() */
  struct truth *truth;      /* the physical world */
  const struct scenario *s; /* timings, images, version, feature gates */
  uint64_t seed;            /* the run seed, for rng_stream_new() */
  const char *mutant;       /* --mutant NAME or NULL */
  /*
   * A decision trace line for the timeline (shown by `run -v`), e.g.
   * object "StatefulSet/web", reason "Waiting", "not creating web-2: ...".
   */
  void (*note)(void *ctx, const char *object, const char *reason,
               const char *msg);
  void *note_ctx;
};

/* Formats and sends a decision trace line through env->note. */
void cluster_note(const struct cluster_env *env, const char *object,
                  const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

struct component {
  const char *name; /* the reporting component, e.g. "kubelet" */
  /* Called once before virtual time 0; returns private state. */
  void *(*start)(const struct cluster_env *env);
  void (*stop)(void *state);
};

/* The components of a cluster, in start order; *nr gets the count. */
const struct component *cluster_components(size_t *nr);

/* --- the components (one file each under sim/cluster/) ------------------ */

/* scheduler.c: binds pending pods to nodes (filters, scores, back-off). */
void *scheduler_start(const struct cluster_env *env);
void scheduler_stop(void *state);

/* kubelet.c: one kubelet per Node: leases, pod start, probes, termination,
 * mounts, the application's writes. */
void *kubelets_start(const struct cluster_env *env);
void kubelets_stop(void *state);
/* fail-readiness / restore-readiness: the app of pod ns/name stops (or
 * starts again) passing its readiness probe. Returns false if no such pod
 * runs. */
bool kubelets_set_app_ready(void *state, const char *ns, const char *pod,
                            bool ready);

/*
 * kubelet_machine.c: the machine under a node's kubelet (cluster-behaviour
 * 2.4-2.8, 3.4). Each returns false if no kubelet ever ran for node, and
 * does nothing (returning true) where the fault does not apply: crash of
 * a machine that is off, restart of one that is on, heal of one that is
 * not cut off, shutdown of one that is off or already shutting down.
 *   crash      the machine dies: containers, writers and mounts are gone
 *              (attachments stay), no more writes of any kind.
 *   restart    a machine that is off boots: the kubelet starts, renews its
 *              Lease, posts Ready and relists its pods (restart in place,
 *              new sandboxes; deleted ones cleaned up).
 *   partition  the kubelet cannot reach the API server (writes fail, its
 *              watch is cut); containers keep running.
 *   heal       the partition ends: the kubelet relists and reconciles.
 *   shutdown   graceful node shutdown (shutdownGracePeriod > 0), then the
 *              machine powers off; with shutdownGracePeriod 0 a crash.
 *   remove     the VM is deleted (the caller deletes the Node object).
 */
bool kubelets_crash(void *state, const char *node);
bool kubelets_restart(void *state, const char *node);
bool kubelets_partition(void *state, const char *node);
bool kubelets_heal(void *state, const char *node);
bool kubelets_shutdown(void *state, const char *node);
bool kubelets_remove(void *state, const char *node);
/* The machine state of node (as the truth shows it) and whether its
 * network is cut (a crashed machine may be cut off too). */
bool kubelets_machine(void *state, const char *node, enum node_machine *m,
                      bool *cut);
/*
 * A new machine joins: its kubelet registers a Ready Node named node
 * (labels and capacity as a declared node's) in zone, or, for zone NULL,
 * in the next zone of spec.cluster.nodes round-robin (*zone_out gets the
 * zone, NULL for none). False if that Node cannot be created (it exists).
 */
bool kubelets_add_node(void *state, const char *node, const char *zone,
                       const char **zone_out);
/* A stable id of node's kubelet for event arguments, and back (NULL if
 * unknown). */
bool kubelets_node_id(void *state, const char *node, uint32_t *id);
const char *kubelets_node_name(void *state, uint32_t id);

/* storage.c: default-StorageClass and PVC-protection admission, the PV
 * controller (static binding, dynamic provisioning, reclaim). */
void *storage_start(const struct cluster_env *env);
void storage_stop(void *state);

/* attachdetach.c: the attach/detach controller and VolumeAttachments. */
void *attachdetach_start(const struct cluster_env *env);
void attachdetach_stop(void *state);
/* Whether the A/D controller attaches pv (a CSI volume whose driver needs
 * attach); the kubelet waits for volumesAttached only for these. */
bool attachdetach_volume_attachable(const struct pv *pv);
/* The volume's name in node.status.volumesAttached and volumesInUse, as
 * upstream: "kubernetes.io/csi/<driver>^<volumeHandle>". snprintf-like:
 * returns the length it needs. */
size_t attachdetach_unique_name(const struct pv *pv, char *buf, size_t n);

/* gc.c: the garbage collector (ownerReferences, cascading deletion). */
void *gc_start(const struct cluster_env *env);
void gc_stop(void *state);

/*
 * The control plane's reaction to node failures (cluster-behaviour.md 1,
 * 2.7-2.9), three kube-controller-manager controllers:
 *   nodelifecycle.c  "node-controller": node health (Ready=Unknown after
 *                    the grace period), NotReady pods, the NoSchedule and
 *                    the rate-limited NoExecute taints, zone disruption;
 *   tainteviction.c  "taint-eviction-controller": graceful deletion of
 *                    pods whose NoExecute toleration ran out; its start
 *                    also registers the DefaultTolerationSeconds admission
 *                    plugin (pods get 300 s not-ready/unreachable
 *                    tolerations), so start it before pods are created;
 *   podgc.c          "pod-garbage-collector": force-deletes pods of
 *                    deleted nodes (after a 40 s quarantine), terminating
 *                    pods on NotReady out-of-service nodes, terminated
 *                    pods over the threshold, unscheduled terminating pods.
 */
void *nodelifecycle_start(const struct cluster_env *env);
void nodelifecycle_stop(void *state);
void *tainteviction_start(const struct cluster_env *env);
void tainteviction_stop(void *state);
void *podgc_start(const struct cluster_env *env);
void podgc_stop(void *state);

/* endpoints.c: EndpointSlices for Services, and what DNS answers. */
void *endpoints_start(const struct cluster_env *env);
void endpoints_stop(void *state);

/*
 * DNS (endpoints.c): the addresses CoreDNS's kubernetes plugin answers for
 * an A query of `name` (cluster domain cluster.local), looked up as a pod
 * in namespace client_ns does (resolv.conf search list
 * "<ns>.svc.cluster.local svc.cluster.local cluster.local", ndots:5; a
 * trailing dot makes the name absolute). Answers:
 *   <svc>.<ns>.svc.cluster.local         headless: every ready endpoint
 *                                        address; else the clusterIP
 *   <host>.<svc>.<ns>.svc.cluster.local  headless only: ready endpoints
 *                                        whose hostname is <host> (or,
 *                                        without a hostname, whose
 *                                        dashed IP is <host>)
 * so "web-1.web", "web-1.web.default.svc" and the full name all work.
 * "Ready" is the EndpointSlice condition, which publishNotReadyAddresses
 * forces to true. Stores up to max addresses in ips (strings of the run's
 * arena) and returns how many there are (0: NXDOMAIN or no data).
 * dns_resolve() is dns_resolve_from() with client_ns "default".
 *
 * Ground truth, for the property checker: the answer is computed from the
 * Services and EndpointSlices in the API store as they are at the call
 * (a live read: no component state, no informer). The checker does not
 * model caches: CoreDNS's own watch delay (milliseconds) is ignored, and
 * so is the record TTL (timings dnsTTL, 5 s; kubeadm's Corefile uses 30 s
 * with `cache 30`), during which a client may go on using an answer it
 * got earlier. A property about what clients may still see must allow
 * that lag itself (up to dnsTTL after an answer changes).
 */
size_t dns_resolve(struct api *api, const char *name, const char **ips,
                   size_t max);
size_t dns_resolve_from(struct api *api, const char *client_ns,
                        const char *name, const char **ips, size_t max);

/*
 * disruption.c: the disruption controller (component name
 * "disruption-controller"): PodDisruptionBudget status - expectedPods,
 * desiredHealthy, currentHealthy, disruptionsAllowed and disruptedPods
 * (the 2-minute pdbDeletionTimeout) - from the pods each selects and the
 * scale of their StatefulSets; resets stale DisruptionTarget conditions.
 */
void *disruption_start(const struct cluster_env *env);
void disruption_stop(void *state);

#endif
