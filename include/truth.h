/*
 * truth.h - the ground truth no controller can see: which containers
 * really run on which node (partitioned nodes included), which node really
 * has a volume attached and mounted, and who really writes to each volume.
 *
 * The kubelets, the attach/detach machinery and the application write it
 * (they are the physical world); the property checker and the report read
 * it. Components never read another component's truth to decide anything:
 * a controller decides from its informer cache only.
 *
 * Ids: containers are named by pod uid (one sandbox per pod incarnation);
 * volumes by PV name. Iteration is in insertion order (D4).
 */
#ifndef SIM_TRUTH_H
#define SIM_TRUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "base.h"

struct truth;

enum node_machine {
  MACHINE_UP = 0,      /* running, reaching the API */
  MACHINE_PARTITIONED, /* running, cannot reach the API */
  MACHINE_CRASHED,     /* dead: nothing runs */
  MACHINE_SHUTTING_DOWN,
  MACHINE_GONE, /* deleted from the cloud */
};

const char *node_machine_name(enum node_machine m);

/* A pod incarnation really running (its sandbox exists on a node). */
struct truth_pod {
  const char *pod; /* pod name */
  const char *namespace_;
  uint64_t uid; /* pod uid: the incarnation */
  const char *node;
  const char *ip;
  simtime started; /* sandbox start */
  bool running;    /* containers running (not just a sandbox) */
  bool ready;      /* the app passes readiness */
};

/*
 * The application writes to a mounted volume continuously, every
 * appWritePeriod, from when its container starts until it stops. Rather
 * than an event per write, a volume records writers as intervals: who is
 * writing now, and the last write of those who stopped.
 */
struct truth_writer {
  const char *pod; /* pod name (the identity) */
  uint64_t uid;    /* the incarnation */
  simtime since;   /* writing since */
};

struct truth_volume {
  const char *pv;
  const char *const *attached; /* nodes that really have it attached */
  size_t attached_nr;
  const struct truth_writer *writers; /* writing now, in start order */
  size_t writers_nr;
  simtime last_write;      /* last write by anyone who stopped, or
                              SIMTIME_NEVER; "now" while writers_nr > 0 */
  const char *last_writer; /* pod name of the latest writer */
  uint64_t last_writer_uid;
  uint64_t incarnations; /* distinct writer incarnations ever */
};

struct truth *truth_new(void);
void truth_free(struct truth *t);

void truth_set_machine(struct truth *t, const char *node, enum node_machine m);
enum node_machine truth_machine(const struct truth *t, const char *node);

/* Sandbox start/stop of a pod incarnation on a node. */
void truth_pod_start(struct truth *t, const char *ns, const char *pod,
                     uint64_t uid, const char *node, const char *ip,
                     simtime now);
void truth_pod_set(struct truth *t, uint64_t uid, bool running, bool ready);
void truth_pod_stop(struct truth *t, uint64_t uid);
const struct truth_pod *truth_pod(const struct truth *t, uint64_t uid);

/* Calls fn for each live incarnation, in start order. */
typedef bool truth_pod_fn(const struct truth_pod *p, void *ctx);
void truth_pods(const struct truth *t, truth_pod_fn *fn, void *ctx);

void truth_attach(struct truth *t, const char *pv, const char *node);
void truth_detach(struct truth *t, const char *pv, const char *node);
bool truth_is_attached(const struct truth *t, const char *pv, const char *node);

/* A mount of pv on node by the pod incarnation uid. */
void truth_mount(struct truth *t, const char *pv, const char *node,
                 uint64_t uid);
void truth_unmount(struct truth *t, const char *pv, const char *node,
                   uint64_t uid);
/* Number of mounts of pv on node (any pod). */
int truth_mounts(const struct truth *t, const char *pv, const char *node);

/* The application of incarnation uid (pod name) starts / stops writing
 * to pv (its container started / stopped with the volume mounted). */
void truth_writer_start(struct truth *t, const char *pv, const char *pod,
                        uint64_t uid, simtime now);
void truth_writer_stop(struct truth *t, const char *pv, uint64_t uid,
                       simtime now);

/* The volume record, or NULL if pv was never attached, mounted or written. */
const struct truth_volume *truth_volume(const struct truth *t, const char *pv);

/* Observer of every change (the property checker marks itself dirty). */
typedef void truth_hook_fn(void *ctx);
void truth_set_hook(struct truth *t, truth_hook_fn *fn, void *ctx);

#endif
