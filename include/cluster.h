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
  struct api *api;           /* engine: api_engine(api); arena: api_arena() */
  struct truth *truth;       /* the physical world */
  const struct scenario *s;  /* timings, images, version, feature gates */
  uint64_t seed;             /* the run seed, for rng_stream_new() */
  const char *mutant;        /* --mutant NAME or NULL */
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

/* storage.c: default-StorageClass and PVC-protection admission, the PV
 * controller (static binding, dynamic provisioning, reclaim). */
void *storage_start(const struct cluster_env *env);
void storage_stop(void *state);

/* attachdetach.c: the attach/detach controller and VolumeAttachments. */
void *attachdetach_start(const struct cluster_env *env);
void attachdetach_stop(void *state);

/* gc.c: the garbage collector (ownerReferences, cascading deletion). */
void *gc_start(const struct cluster_env *env);
void gc_stop(void *state);

/* endpoints.c: EndpointSlices for Services, and what DNS answers. */
void *endpoints_start(const struct cluster_env *env);
void endpoints_stop(void *state);

#endif
