/*
 * nodefail_int.h - what the control plane's reaction to node failures
 * shares between its three controllers (cluster-behaviour.md 1, 2.7-2.9):
 *
 *   nodelifecycle.c  the node lifecycle controller ("node-controller");
 *   tainteviction.c  the taint-eviction controller and the
 *                    DefaultTolerationSeconds admission plugin;
 *   podgc.c          the pod garbage collector.
 *
 * Here: the well-known taint keys, toleration matching, grid alignment and
 * an index of pods by node name that each controller keeps from its own
 * pod informer (upstream's spec.nodeName indexer).
 */
#ifndef SIM_NODEFAIL_INT_H
#define SIM_NODEFAIL_INT_H

#include "cluster.h"

#define NF_TAINT_NOT_READY "node.kubernetes.io/not-ready"
#define NF_TAINT_UNREACHABLE "node.kubernetes.io/unreachable"
#define NF_TAINT_UNSCHEDULABLE "node.kubernetes.io/unschedulable"
#define NF_TAINT_MEMORY_PRESSURE "node.kubernetes.io/memory-pressure"
#define NF_TAINT_DISK_PRESSURE "node.kubernetes.io/disk-pressure"
#define NF_TAINT_PID_PRESSURE "node.kubernetes.io/pid-pressure"
#define NF_TAINT_NETWORK_UNAVAILABLE "node.kubernetes.io/network-unavailable"
#define NF_TAINT_OUT_OF_SERVICE "node.kubernetes.io/out-of-service"
#define NF_LEASE_NS "kube-node-lease"

/* The first origin + k * period (k >= 0) that is >= t. */
simtime nf__align(simtime origin, simtime period, simtime t);

/* Toleration.ToleratesTaint: effect, key, then operator/value. */
bool nf__tolerates(const struct toleration *t, const struct taint *x);

/* Whether the node carries a taint with this key and effect
 * (taintutils.TaintExists matches key and effect). */
bool nf__has_taint(const struct node *n, const char *key,
                   enum taint_effect effect);

/* Whether the node carries a taint with this key, any effect. */
bool nf__has_taint_key(const struct node *n, const char *key);

/* Whether two taint lists are equal, timeAdded included (DeepEqual). */
bool nf__taints_equal(const struct taint *a, size_t an, const struct taint *b,
                      size_t bn);

/* nodeutil.IsNodeReady: the Ready condition is True. */
bool nf__node_ready(const struct object *node);

/* --- pods by node -------------------------------------------------------- */

struct nf_pod_ref {
  const char *ns, *name; /* strings of the run arena */
  uint64_t uid;
};

struct nf_node_pods {
  const char *node;
  VEC(struct nf_pod_ref) pods; /* sorted by (namespace, name, uid) */
};

struct nf_pod_index {
  VEC(struct nf_node_pods) v; /* sorted by node name */
};

/* Feeds one informer event of a pod informer into the index. */
void nf__index_update(struct nf_pod_index *ix, enum watch_type t,
                      const struct object *old, const struct object *now);

/* The pods bound to node, or NULL. Entries may be stale after a relist:
 * look each up in the informer and compare uids. */
const struct nf_node_pods *nf__index_find(const struct nf_pod_index *ix,
                                          const char *node);

void nf__index_release(struct nf_pod_index *ix);

#endif
