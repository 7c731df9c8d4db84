/*
 * history.h - the life of every pod and node over virtual time, for the
 * timeline picture of the HTML report (report_html). The recorder hangs
 * on the API server's write hook and keeps, per object identity, one
 * "life" per uid (a pod incarnation, a node from creation to deletion)
 * cut into spans of constant state: a new span starts only when something
 * the picture shows changes (state, node, kubectl STATUS, taints, cordon),
 * so heartbeats and status refreshes cost a comparison and nothing else.
 *
 * The world creates one when world_opts.record_history is set (stsim run
 * --report); otherwise nothing is recorded and runs pay nothing.
 *
 * Ownership: the history owns its arrays; the strings it points to (names,
 * node names, STATUS texts) belong to the run's arena and stay valid as
 * long as the world that recorded them.
 *
 * Order (D4, D5): history_rows() sorts pod rows by namespace, owning
 * StatefulSet (else the pod name), ordinal, then name; node rows by name.
 * Names compare as people read them (node-2 before node-10). Lives
 * appear in creation order, spans in time order.
 */
#ifndef SIM_HISTORY_H
#define SIM_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apiserver.h"
#include "base.h"

struct history;

/* What the bar of a pod shows, in the order a pod normally goes through. */
enum hist_pod_state {
  HIST_POD_PENDING,     /* not scheduled yet (no spec.nodeName) */
  HIST_POD_CREATING,    /* bound, phase Pending: volumes, image pull */
  HIST_POD_RUNNING,     /* phase Running (or Unknown), Ready not True */
  HIST_POD_READY,       /* condition Ready=True */
  HIST_POD_TERMINATING, /* deletionTimestamp set */
  HIST_POD_ENDED,       /* phase Succeeded or Failed, not deleting */
  HIST_POD_STATE_COUNT
};

/* The Ready condition of a node, as `kubectl get nodes` shows it. */
enum hist_node_state {
  HIST_NODE_READY,     /* Ready=True */
  HIST_NODE_NOT_READY, /* Ready=False */
  HIST_NODE_UNKNOWN,   /* Ready=Unknown (or absent): the node went silent */
  HIST_NODE_STATE_COUNT
};

const char *history_pod_state_name(enum hist_pod_state s);
const char *history_node_state_name(enum hist_node_state s);

/* A stretch of constant state; it lasts until the next span of the same
 * life starts, or until the life ends (or the run does). */
struct hist_span {
  simtime from;
  int state;          /* enum hist_pod_state or enum hist_node_state */
  const char *node;   /* pods: spec.nodeName, NULL while unscheduled */
  const char *detail; /* pods: kubectl's STATUS column; nodes: the taints
                         as "key=value:Effect, ..." ("" for none) */
  bool cordoned;      /* nodes: spec.unschedulable */
};

/* One uid: a pod incarnation, or a node between creation and deletion. */
struct hist_life {
  uint64_t uid;
  simtime created;
  simtime deleted; /* SIMTIME_NEVER: still stored when the run ended */
  VEC(struct hist_span) spans;
};

/* One identity: a pod name (one row per ordinal) or a node name. */
struct hist_row {
  enum obj_kind kind; /* KIND_POD or KIND_NODE */
  const char *namespace_;
  const char *name;
  const char *owner; /* pods: the controlling StatefulSet's name, or NULL */
  int ordinal;       /* pods of a StatefulSet: the ordinal; else -1 */
  VEC(struct hist_life) lives;
};

/* Starts recording every pod and node write of api from now on. */
struct history *history_new(struct api *api);
void history_free(struct history *h); /* NULL-safe */

/*
 * The rows of kind (KIND_POD or KIND_NODE) in the order above; *nr gets
 * their number. The array stays valid until the next write to the API
 * server or the next call.
 */
const struct hist_row *const *history_rows(struct history *h,
                                           enum obj_kind kind, size_t *nr);

#endif
