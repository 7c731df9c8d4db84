/*
 * apiserver.h - the fake Kubernetes API server: an object store with uids,
 * one global resourceVersion counter, generations, ownerReferences,
 * finalizers, deletionTimestamps, optimistic concurrency, admission hooks,
 * an event recorder, injectable write failures, and watches that feed one
 * informer cache per component after a delay.
 *
 * Request model: a request is served at the virtual time of the call and
 * its answer is returned at once (an enum api_status); the request latency
 * of a real cluster is modelled by the callers' own timers and the watch
 * delay. Simulated failures are data (enum api_status), never SIM_E*.
 *
 * Ownership: the store keeps immutable object versions (objects.h); every
 * pointer it hands out stays valid for the whole run but stops being the
 * current version after the next write to that object. Callers that want
 * to change an object copy it, change the copy and write it back.
 *
 * Ordering: LIST returns objects in (namespace, name) order, as etcd range
 * reads do (D4). Watch events reach an informer in write order.
 *
 * Who may call what: components read only their informer (informer_*);
 * api_get/api_list are the live reads a real client does sparingly (the
 * StatefulSet controller's live GET before adoption) and the ground truth
 * the world and the property checker read.
 */
#ifndef SIM_APISERVER_H
#define SIM_APISERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "arena.h"
#include "base.h"
#include "engine.h"
#include "objects.h"

struct api;
struct informer;

enum api_status {
  API_OK = 0,
  API_NOT_FOUND,      /* 404 */
  API_ALREADY_EXISTS, /* 409 AlreadyExists */
  API_CONFLICT,       /* 409 Conflict: stale resourceVersion or precondition */
  API_INVALID,        /* 422: validation or an immutable field changed */
  API_FORBIDDEN,      /* 403 */
  API_TOO_MANY,       /* 429, e.g. an eviction blocked by a PDB */
  API_TIMEOUT,        /* 504: the write may or may not have been applied */
  API_UNAVAILABLE,    /* 503 */
  API_INTERNAL_ERROR, /* 500, e.g. an eviction matching several PDBs */
};

const char *api_status_name(enum api_status s);

/*
 * seed is the run's master seed; the server draws generateName suffixes
 * and injected failures from its own stream (RNG_APISERVER). Object
 * versions, tree nodes and strings go to arena a. api_free() cancels the
 * server's pending watch deliveries, so call it before engine_free().
 */
struct api *api_new(struct engine *e, struct arena *a, uint64_t seed);
void api_free(struct api *api);

struct engine *api_engine(struct api *api);
struct arena *api_arena(struct api *api);

/*
 * Selects the run's mutant (mutants.h); the API server's own variants are
 * the apiserver-* ones, others leave it unchanged. NULL = none. Call it
 * before the run starts.
 */
void api_set_mutant(struct api *api, const char *mutant);

/* --- admission ----------------------------------------------------------- */

/*
 * A mutating/validating admission plugin, called on create (and on update
 * when on_update is set) with a private copy the plugin may change. It
 * returns API_OK or a refusal (with msg filled) that fails the request.
 */
typedef enum api_status api_admit_fn(struct api *api, struct object *o,
                                     const struct object *old, void *ctx,
                                     char *msg, size_t msg_len);

void api_add_admission(struct api *api, enum obj_kind kind, bool on_update,
                       api_admit_fn *fn, void *ctx);

/* --- writes -------------------------------------------------------------- */

/*
 * Every write names its client (`who`, e.g. "statefulset-controller") for
 * the trace and for injected failures, and may return the stored version
 * through *out (NULL to ignore; written only on API_OK). The message of
 * the last failure is available from api_last_error().
 *
 * The server keeps pointers to the strings and arrays of what it is given:
 * they must live as long as the run (api_arena(), or static storage).
 * Namespaced kinds with an empty namespace mean "default"; cluster-scoped
 * kinds always get "". Defaults (object_set_defaults) are applied on
 * create, update and patch. A write that changes nothing (same metadata,
 * spec and status) is a no-op as upstream: API_OK with the current
 * version, no new resourceVersion, no watch event.
 */

/*
 * Creates in. meta.name may be empty when meta.generate_name is set (the
 * prefix, cut to 58 characters, plus 5 random characters; up to 8 tries).
 * The server sets uid, resourceVersion, generation 1, creationTimestamp,
 * clears deletionTimestamp, resets the status of kinds whose status it
 * owns (Pod: phase Pending; StatefulSet, PVC, PV, PDB, VolumeAttachment:
 * empty; Nodes keep theirs), applies defaults, then runs the admission
 * plugins of the kind in registration order. API_ALREADY_EXISTS if the
 * name is taken (even by an object that is terminating). Creating a
 * KIND_EVENT is a bug: use api_record_event().
 */
enum api_status api_create(struct api *api, const char *who,
                           const struct object *in, const struct object **out);

/*
 * Replaces metadata and spec (status is kept from the stored version).
 * in->meta.resource_version must equal the stored one (else API_CONFLICT);
 * 0 means unconditional. Generation is bumped when the spec changed.
 * uid, creationTimestamp, deletionTimestamp and generation are the
 * server's: uid 0 means "the stored one", another uid is API_INVALID, the
 * others are ignored. Immutable fields give API_INVALID with the upstream
 * message:
 *   StatefulSet: everything but replicas, ordinals, template,
 *     updateStrategy (with partition, maxUnavailable), the PVC retention
 *     policy and minReadySeconds;
 *   Pod: everything but container images, added tolerations and a
 *     negative grace turned into 1; spec.nodeName may be set once (the
 *     binding): binding an assigned or a deleting pod is API_CONFLICT;
 *   PVC: everything but the request of a bound claim (never smaller), an
 *     unset volumeName and an unset (nil) storageClassName;
 *   StorageClass: everything but allowVolumeExpansion.
 * Adding a finalizer to a deleting object is API_INVALID ("Forbidden: no
 * new finalizers can be added if the object is being deleted", a 422 as
 * upstream). Removing the last finalizer of a deleting object whose grace
 * period is 0 removes it (DELETED); a pod still in its grace period stays
 * until its final delete.
 */
enum api_status api_update(struct api *api, const char *who,
                           const struct object *in, const struct object **out);

/*
 * Replaces status only (the /status subresource); same concurrency rule;
 * never bumps generation. Kinds with a status: StatefulSet, Pod, PVC, PV,
 * Node (conditions, capacity, heartbeat, volumes), PDB, VolumeAttachment;
 * for others API_NOT_FOUND ("the server could not find the requested
 * resource").
 */
enum api_status api_update_status(struct api *api, const char *who,
                                  const struct object *in,
                                  const struct object **out);

/*
 * A patch: fn changes a private copy of the current version (no
 * resourceVersion check, as a merge patch); fn returns false to abort
 * without writing (API_OK, *out = the current version). If
 * precondition_uid is not 0 and differs: API_CONFLICT. Status and metadata
 * may both change; generation follows the spec; the rules of api_update
 * (immutable fields, finalizers, admission with on_update) apply.
 */
typedef bool api_patch_fn(struct object *o, void *ctx);
enum api_status api_patch(struct api *api, const char *who, enum obj_kind kind,
                          const char *ns, const char *name,
                          uint64_t precondition_uid, api_patch_fn *fn,
                          void *ctx, const struct object **out);

enum propagation {
  PROPAGATE_DEFAULT = 0, /* background for most kinds */
  PROPAGATE_BACKGROUND,
  PROPAGATE_FOREGROUND, /* adds the foregroundDeletion finalizer */
  PROPAGATE_ORPHAN,     /* adds the orphan finalizer */
};

struct delete_opts {
  int64_t grace_seconds;     /* -1 = default (pod: its spec) */
  uint64_t precondition_uid; /* 0 = none */
  uint64_t precondition_rv;  /* 0 = none */
  enum propagation propagation;
};

#define DELETE_OPTS_DEFAULT                                                    \
  ((struct delete_opts){.grace_seconds = -1, .propagation = PROPAGATE_DEFAULT})

/*
 * Deletes with the semantics of cluster-behaviour.md 2.1. A pod gets a
 * grace of: the request's, else spec.terminationGracePeriodSeconds; forced
 * to 0 when never scheduled or already Failed/Succeeded; negative becomes
 * 1. With grace > 0 only deletionTimestamp (now + grace) and
 * deletionGracePeriodSeconds are set (a later delete may shorten, never
 * lengthen it). With grace 0 and no finalizers the object is removed at
 * once. Other kinds: removed at once unless they carry finalizers, in
 * which case deletionTimestamp is set and the object stays until the last
 * finalizer is removed.
 *
 * Details as upstream (rest.BeforeDelete, Store.Delete): a shorter grace
 * moves the timestamp to old timestamp - old grace + new grace, but never
 * before now (a graceful request then keeps 1s); a pod deleting with grace
 * 0 but held by finalizers stays; the first marking bumps generation.
 * FOREGROUND adds "foregroundDeletion" and ORPHAN adds "orphan" (removing
 * the other), BACKGROUND removes both, DEFAULT keeps what is there; not
 * while a pod's graceful deletion is pending. Removal publishes DELETED
 * with a final version of its own (new resourceVersion; for a pod removed
 * at once, marked with deletionTimestamp now and grace 0 - upstream writes
 * that mark as a separate MODIFIED first, which is not modelled).
 * Deleting with no change (a pending pod without a shorter grace) is
 * API_OK. opts NULL = DELETE_OPTS_DEFAULT. Preconditions: API_CONFLICT.
 */
enum api_status api_delete(struct api *api, const char *who, enum obj_kind kind,
                           const char *ns, const char *name,
                           const struct delete_opts *opts);

/* --- reads of the ground truth -------------------------------------------- */

/* O(log n). ns NULL or "" = "default" for namespaced kinds. */
const struct object *api_get(struct api *api, enum obj_kind kind,
                             const char *ns, const char *name);
/* O(1). NULL once the object is gone. */
const struct object *api_get_uid(struct api *api, uint64_t uid);

/*
 * Calls fn for each object of kind in (namespace, name) order; ns NULL or
 * "" = all namespaces; sel NULL = all labels. fn returns false to stop. fn
 * must not write to the API server (a bug). Events are not listed here
 * (api_events); api_count(KIND_EVENT) counts distinct Events.
 */
typedef bool api_visit_fn(const struct object *o, void *ctx);
void api_list(struct api *api, enum obj_kind kind, const char *ns,
              const struct label_selector *sel, api_visit_fn *fn, void *ctx);
size_t api_count(struct api *api, enum obj_kind kind);

/* The message of the last failed request ("" after a success). */
const char *api_last_error(const struct api *api);

/* The current global resourceVersion. */
uint64_t api_resource_version(const struct api *api);

/* --- events (core/v1 Event through the recorder) ----------------------------
 */

/*
 * Records an Event about o from component source. Identical events
 * (object, type, reason, message, source) bump count and lastTimestamp as
 * client-go's correlator does: a new version of the same Event. The
 * window is the whole run (client-go: an LRU of 4096); the aggregation of
 * similar events with different messages is not modelled.
 */
void api_record_event(struct api *api, const char *source,
                      const struct object *involved, enum event_type type,
                      const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/*
 * Every event version recorded so far, in recording order: one entry per
 * api_record_event() call, a repeat appearing again as the new version
 * with its higher count (as `kubectl get events -w` shows them).
 */
const struct event *const *api_events(const struct api *api, size_t *nr);

/* Called for each newly recorded (or re-counted) event. */
typedef void api_event_hook_fn(const struct event *ev, bool repeat, void *ctx);
void api_set_event_hook(struct api *api, api_event_hook_fn *fn, void *ctx);

/* --- watches ----------------------------------------------------------------
 */

enum watch_type {
  WATCH_ADDED,
  WATCH_MODIFIED,
  WATCH_DELETED,
};

/*
 * Called on every write to the store, synchronously, after the store
 * changed (the observer's hook): ADDED (old NULL), MODIFIED (old = the
 * previous version), DELETED (old = the last stored version, now = the
 * final version, no longer stored). Not called for no-op writes or events.
 */
typedef void api_write_hook_fn(enum watch_type t, const struct object *old,
                               const struct object *now, void *ctx);
void api_add_write_hook(struct api *api, api_write_hook_fn *fn, void *ctx);

/*
 * Called on every request, after it was served, whether it succeeded or
 * not (the property checker sees who did what: "statefulset-controller"
 * deleting a pod, a create that failed with AlreadyExists). verb is
 * "create", "update", "update-status", "patch" or "delete"; changed says
 * whether the store changed.
 */
typedef void api_request_hook_fn(const char *who, const char *verb,
                                 enum obj_kind kind, const char *ns,
                                 const char *name, enum api_status status,
                                 bool changed, void *ctx);
void api_add_request_hook(struct api *api, api_request_hook_fn *fn, void *ctx);

/* The client of the request being served (valid inside write hooks). */
const char *api_current_client(const struct api *api);

/*
 * An informer: a component's cache of one kind, fed by the watch after a
 * delay. It starts with a LIST delivered after the delay (informer_synced
 * turns true then). Handlers run in PHASE_APISERVER after the cache is
 * updated; old is NULL for ADDED and is the cached version otherwise; now
 * is the last version for DELETED. The cache holds the store's immutable
 * versions (no copies). The LIST is the store as it was when requested;
 * writes after that arrive behind it. Informers live until api_free();
 * one of KIND_EVENT receives nothing (events are not stored).
 */
typedef void informer_handler_fn(struct informer *inf, enum watch_type t,
                                 const struct object *old,
                                 const struct object *now, void *ctx);

struct informer *informer_new(struct api *api, enum obj_kind kind,
                              const char *component, simtime delay);
void informer_add_handler(struct informer *inf, informer_handler_fn *fn,
                          void *ctx);
bool informer_synced(const struct informer *inf);
enum obj_kind informer_kind(const struct informer *inf);
const char *informer_component(const struct informer *inf);

/*
 * Changes the delay for events written from now on. Delivery order is
 * kept: an event is never delivered before one written earlier.
 */
void informer_set_delay(struct informer *inf, simtime delay);

/*
 * Sets the delay of every informer of the named component (the
 * watch-delay fault: a component's caches lag). Returns how many.
 */
size_t api_set_component_delay(struct api *api, const char *component,
                               simtime delay);

/*
 * Drops the cache and relists (a restarted component): not synced until
 * the relist is delivered after the delay; handlers then see ADDED for
 * every object (and nothing for objects that vanished meanwhile).
 */
void informer_relist(struct informer *inf);

/* informer_relist on every informer of the named component (a restart of
 * that component). Returns how many. */
size_t api_relist_component(struct api *api, const char *component);

const struct object *informer_get(const struct informer *inf, const char *ns,
                                  const char *name);
void informer_list(const struct informer *inf, const char *ns,
                   const struct label_selector *sel, api_visit_fn *fn,
                   void *ctx);
size_t informer_count(const struct informer *inf);

/* --- injected failures ---------------------------------------------------- */

enum api_fault_kind {
  API_FAULT_CONFLICT,        /* 409 */
  API_FAULT_UNAVAILABLE,     /* 503, nothing applied */
  API_FAULT_TIMEOUT,         /* 504, nothing applied */
  API_FAULT_TIMEOUT_APPLIED, /* 504, but the write was applied */
};

/*
 * From `from` until `until` (from <= now < until), each write (create,
 * update, status, patch, delete) by a client whose name equals `who`
 * (NULL = any) fails with probability `rate` (drawn from the API server's
 * own random stream, only while a window is active). Several windows may
 * overlap; the first added that fires wins. TIMEOUT_APPLIED carries the
 * write out and answers API_TIMEOUT whatever its outcome.
 */
void api_add_write_fault(struct api *api, enum api_fault_kind kind, double rate,
                         simtime from, simtime until, const char *who);

/* Writes failed on purpose so far. */
uint64_t api_faults_injected(const struct api *api);

/* --- the eviction subresource (eviction.c) ------------------------------- */

/*
 * POST pods/<pod>/eviction (policy/v1) by client `who`, with
 * DeleteOptions.gracePeriodSeconds = grace_seconds (-1: the pod's own), as
 * the API server's eviction REST storage (cluster-behaviour.md 6.1):
 *
 * 1. A pod that is Succeeded, Failed or Pending, or already deleting, is
 *    deleted without looking at budgets.
 * 2. The PodDisruptionBudgets of the pod's namespace whose selector
 *    matches its labels (policy/v1: an empty selector matches every pod):
 *    more than one is API_INTERNAL_ERROR (500, "This pod has more than one
 *    PodDisruptionBudget, which the eviction subresource does not
 *    support."); none: delete.
 * 3. A pod that is not Ready is deleted without using the budget when the
 *    PDB's unhealthyPodEvictionPolicy is AlwaysAllow, or (IfHealthyBudget,
 *    the default) when status.currentHealthy >= desiredHealthy > 0.
 * 4. Otherwise the budget is checked and decremented: observedGeneration
 *    behind generation is API_TOO_MANY (429, Retry-After 10, cause "The
 *    disruption budget X is still being processed by the server.");
 *    disruptionsAllowed negative, or more than 2000 disruptedPods, is
 *    API_FORBIDDEN; disruptionsAllowed 0 is API_TOO_MANY (429, no
 *    Retry-After, "Cannot evict pod as it would violate the pod's
 *    disruption budget.", cause "The disruption budget X needs D healthy
 *    pods and has C currently"); else the PDB's status gets
 *    disruptionsAllowed - 1 and disruptedPods[pod] = now.
 * 5. The pod gets DisruptionTarget=True (EvictionByEvictionAPI, "Eviction
 *    API: evicting"), then a graceful delete.
 *
 * The PDB status, pod status and delete are writes of their own by `who`
 * (subject to injected faults, seen by request hooks as "patch" and
 * "delete"); the whole request is seen by request hooks as verb "evict"
 * on the pod. API_OK: the pod is being deleted (or was removed at once).
 * API_NOT_FOUND: no such pod. The message is api_last_error().
 */
enum api_status api_evict(struct api *api, const char *who, const char *ns,
                          const char *pod, int64_t grace_seconds);

/* The rest of an eviction's answer. */
struct api_eviction_result {
  int64_t retry_after_seconds; /* Retry-After of a 429; 0 = none */
  char cause[256];             /* the status cause (DisruptionBudget), or "" */
};

/* api_evict, and the Retry-After and cause of its answer in *res. */
enum api_status api_evict_ex(struct api *api, const char *who, const char *ns,
                             const char *pod, int64_t grace_seconds,
                             struct api_eviction_result *res);

/* --- renewing Leases (lease.c) ---------------------------------------------
 */

/*
 * A Lease its holder renews on a schedule only it knows (the kubelet: every
 * renewInterval plus jitter from its own stream), registered instead of
 * written at every renewal. The store and the informers materialise it
 * when read: renewTime is the last renewal at or before the reader's
 * instant (an informer: the last renewal whose watch delivery, at its
 * write time + the informer's delay and behind every earlier write, is
 * due). Nothing is written, no resourceVersion is used, no watch event is
 * queued; a reader sees the object it would have seen with a write per
 * renewal, except for resourceVersion, which stays the written version's.
 *
 * The holder registers right after a real write of the Lease (`written`,
 * from its *out): advance(ctx, upto) must then record, in order, through
 * api_lease_renewed(), every renewal at or before upto that it has not
 * recorded yet (the server calls it before every read that needs them).
 * The registration ends - the server materialises the Lease in the store
 * (no new resourceVersion) and the holder writes for real again from its
 * next renewal on - when the holder calls api_lease_stop(), when any client
 * writes that Lease (end(ctx, frozen) is called first, frozen being the
 * stored version then), or when a write-fault window that may hit the
 * holder's writes (api_add_write_fault with who NULL or the holder's name)
 * is active (registration refused: NULL) or starts (end() at its start).
 *
 * A renewal at the reader's own instant counts as done for readers in
 * PHASE_NODE and later, not for PHASE_FAULT and PHASE_APISERVER (the
 * renewal event of a write per renewal runs in PHASE_NODE).
 */
struct api_lease_renewal;
typedef void api_lease_advance_fn(void *ctx, simtime upto);
typedef void api_lease_end_fn(void *ctx, const struct object *frozen);

struct api_lease_renewal *api_lease_renewing(struct api *api, const char *who,
                                             const struct object *written,
                                             api_lease_advance_fn *advance,
                                             api_lease_end_fn *end, void *ctx);
/* Records a renewal at `at` (strictly after the previous one). */
void api_lease_renewed(struct api_lease_renewal *r, simtime at);
/* The holder stops: renewals up to now are materialised; returns the
 * stored version (the holder's base for its next real write). */
const struct object *api_lease_stop(struct api *api,
                                    struct api_lease_renewal *r);
/* The holder is going away at the end of a run: no further callbacks, no
 * engine use (the engine may be freed). */
void api_lease_detach(struct api_lease_renewal *r);
/* The last renewal recorded (0 = none). */
simtime api_lease_upto(const struct api_lease_renewal *r);

/*
 * For an informer of Leases: the last renewal of a registered Lease that
 * the informer has received by now beyond the version in its cache, and
 * the instant it was delivered. False when there is none.
 */
bool informer_lease_renewal(const struct informer *inf, const char *ns,
                            const char *name, simtime *renew_time,
                            simtime *delivered);

/*
 * Called when a cached renewing Lease is about to be replaced or removed
 * by a delivered write while some of its renewals were delivered: the
 * last of them and its delivery instant. It may repeat a renewal the
 * handler's owner already saw through informer_lease_renewal(); handlers
 * must treat a renewal they have seen as a no-op.
 */
typedef void informer_renewal_fn(struct informer *inf, const char *ns,
                                 const char *name, simtime renew_time,
                                 simtime delivered, void *ctx);
void informer_add_renewal_handler(struct informer *inf, informer_renewal_fn *fn,
                                  void *ctx);

#endif
