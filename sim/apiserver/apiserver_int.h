/*
 * apiserver_int.h - internals of the fake API server shared by its files:
 * the ordered index (an AVL tree keyed by (namespace, name)) used both by
 * the store and by informer caches, the server and informer structs, and
 * the cross-file functions (api__*).
 *
 * Files: apiserver.c (requests, admission, faults, hooks), store.c (the
 * tree and the per-kind resource names), watch.c (informers and watch
 * delivery), events.c (the event recorder).
 */
#ifndef SIM_APISERVER_INT_H
#define SIM_APISERVER_INT_H

#include <gsl/gsl_rng.h>

#include "apiserver.h"
#include "u64map.h"

/* --- the ordered index ---------------------------------------------------- */

/*
 * A tree node points at an immutable object version; replacing the version
 * of a key swaps the pointer. Nodes come from the server's arena and are
 * recycled through a free list shared by every tree of one server.
 */
struct api__tnode {
  const char *ns, *name; /* the key, cached: no object load per level */
  uint64_t name8;        /* name's first 8 bytes, big-endian, 0-padded */
  const struct object *obj;
  struct api__tnode *left, *right;
  int height;
};

struct api__pool {
  struct arena *arena;
  struct api__tnode *free_list;
};

struct api__tree {
  struct api__tnode *root;
  size_t nr;
  /* uid of each stored version -> its node: a new version of a key
   * (the common write) is found without a descent of string compares */
  struct u64map by_uid;
  /* hash of (namespace, name) -> its node, for GETs; two keys with one
   * hash (never seen) keep the first and make misses descend */
  struct u64map by_name;
  size_t name_collisions;
};

/* The version stored under (ns, name), or NULL. O(log n). */
const struct object *api__tree_get(const struct api__tree *t, const char *ns,
                                   const char *name);
/* api__tree_get, found by uid first when the key's object has that uid
 * (a write of a version the client read: the common update); a key whose
 * object has another uid, or none, by name. */
const struct object *api__tree_get_hint(const struct api__tree *t, uint64_t uid,
                                        const char *ns, const char *name);
/* Inserts o, or replaces the version with o's key; returns the old one. */
const struct object *api__tree_put(struct api__tree *t, struct api__pool *p,
                                   const struct object *o);
/* Removes the key; returns the removed version or NULL. */
const struct object *api__tree_del(struct api__tree *t, struct api__pool *p,
                                   const char *ns, const char *name);
/* Empties t, giving its nodes back to p (and freeing its uid index). */
void api__tree_clear(struct api__tree *t, struct api__pool *p);
/*
 * Visits versions in (namespace, name) order; ns NULL or "" = all
 * namespaces; sel NULL = every object. Stops when fn returns false.
 */
void api__tree_visit(const struct api__tree *t, const char *ns,
                     const struct label_selector *sel, api_visit_fn *fn,
                     void *ctx);

/* --- kinds ---------------------------------------------------------------- */

/* "pods", "statefulsets.apps", ...: the resource in error messages. */
const char *api__resource(enum obj_kind k);
/* "Pod", "StatefulSet.apps", ...: the qualified kind in Invalid errors. */
const char *api__qualified_kind(enum obj_kind k);
/* The namespace a request means: "default" for namespaced kinds when
 * empty, "" for cluster-scoped kinds. */
const char *api__namespace(enum obj_kind k, const char *ns);

/* --- the server ----------------------------------------------------------- */

struct api__admission {
  enum obj_kind kind;
  bool on_update;
  api_admit_fn *fn;
  void *ctx;
};

struct api__hook {
  api_write_hook_fn *fn;
  void *ctx;
};

struct api__request_hook {
  api_request_hook_fn *fn;
  void *ctx;
};

struct api__fault {
  enum api_fault_kind kind;
  double rate;
  simtime from, until; /* active for from <= now < until */
  const char *who;     /* NULL = every client */
};

/* One distinct event of the recorder and its current version. */
struct api__event_slot {
  uint64_t key;            /* hash of (uid, type, reason, message, source) */
  const struct event *cur; /* NULL = empty slot */
};

/*
 * The digests of a stored version, computed when first needed: the no-op
 * check compares every write with the stored version (Lease renewals
 * alone are thousands per run), and a stored version never changes.
 */
struct api__digests {
  const struct object *v; /* the version they are of (NULL: none yet) */
  uint64_t meta, spec, status;
  unsigned have; /* API__DIG_* */
};

enum { API__DIG_META = 1, API__DIG_SPEC = 2, API__DIG_STATUS = 4 };

struct api {
  struct engine *engine;
  struct arena *arena;
  gsl_rng *rng; /* RNG_APISERVER: generateName and write faults */
  uint64_t rv;  /* the global resourceVersion */
  uint64_t next_uid;
  uint64_t writes;
  uint64_t faults_injected;
  unsigned listing; /* api_list callbacks running: writes are bugs */
  char last_error[512];
  const char *client; /* who of the request being served, or NULL */
  const char *mutant; /* api_set_mutant (mutants.h), or NULL */

  struct api__pool pool;
  struct api__tree store[KIND_COUNT];
  VEC(const struct object *) by_uid; /* current version by uid; NULL gone */
  VEC(struct api__digests) digests;  /* by uid: of the version last seen */

  VEC(struct api__admission) admissions;
  VEC(struct api__hook) hooks;
  VEC(struct api__request_hook) request_hooks;
  VEC(struct api__fault) faults;

  /* renewing Leases (lease.c) */
  VEC(struct api_lease_renewal *) lease_regs;   /* every one, in order */
  VEC(struct api_lease_renewal *) lease_active; /* still renewing */
  struct u64map lease_by_rv; /* written version's rv -> index + 1 */

  /* informers of each kind, in creation order */
  VEC(struct informer *) informers[KIND_COUNT];
  uint64_t next_informer_id;

  /* the event recorder (events.c) */
  VEC(const struct event *) events; /* every recorded version, in order */
  struct api__event_slot *ev_slots; /* open addressing, power of two */
  size_t ev_slots_alloc, ev_distinct;
  api_event_hook_fn *event_hook;
  void *event_ctx;
};

/* --- informers (watch.c) -------------------------------------------------- */

enum api__note_type {
  NOTE_ADDED = WATCH_ADDED,
  NOTE_MODIFIED = WATCH_MODIFIED,
  NOTE_DELETED = WATCH_DELETED,
  NOTE_LIST, /* a relist: the snapshot below replaces the cache */
};

/* One pending watch delivery. */
struct api__note {
  simtime at;
  enum api__note_type type;
  const struct object *now;   /* ADDED/MODIFIED/DELETED */
  const struct object **list; /* NOTE_LIST: xmalloc'd snapshot */
  size_t list_nr;
};

/* From `from` on, a write at r is delivered at max(r + delay, floor). */
struct api__seg {
  simtime from, delay, floor;
};

struct api__renewal_handler {
  informer_renewal_fn *fn;
  void *ctx;
};

struct api__handler {
  informer_handler_fn *fn;
  void *ctx;
};

struct informer {
  struct api *api;
  uint64_t id;
  enum obj_kind kind;
  const char *component;
  simtime delay;
  bool synced;
  struct api__tree cache;
  VEC(struct api__handler) handlers;
  /* FIFO of pending deliveries, at non-decreasing: v[head..nr) */
  VEC(struct api__note) queue;
  size_t head;
  simtime last_at; /* delivery time of the last note queued */
  uint64_t drain;  /* engine handle of the scheduled drain, or 0 */
  bool draining;
  uint64_t epoch; /* bumped by informer_relist() */
  /* Lease informers (lease.c): how a renewal written at r is delivered */
  VEC(struct api__seg) segs; /* by from */
  simtime vfloor; /* last delivery of renewals of ended registrations */
  VEC(struct api__renewal_handler) rhandlers;
};

/* Queues a write for every informer of the object's kind. */
void api__watch_notify(struct api *api, enum watch_type t,
                       const struct object *now);
/* Frees every informer of the server. */
void api__watch_free(struct api *api);

/* lease.c: renewing Leases. */
/* Before a write request to the Lease ns/name: its registration ends. */
void api__lease_write(struct api *api, const char *ns, const char *name);
/* Before a LIST of Leases: every registered one is materialised. */
void api__lease_fresh_all(struct api *api);
/* The stored version o (a Lease), materialised if registered. */
const struct object *api__lease_fresh(struct api *api, const struct object *o);
/* The cached version o of a Lease informer, materialised. */
const struct object *api__lease_cached(const struct informer *inf,
                                       const struct object *o);
/* The earliest delivery a Lease written now may have (FIFO behind
 * renewals). */
simtime api__lease_floor(struct informer *inf);
void api__lease_informer_init(struct informer *inf);
void api__lease_set_delay(struct informer *inf, simtime delay);
void api__lease_relist(struct informer *inf);
/* Before a delivered write replaces or removes the cached ns/name. */
void api__lease_before_deliver(struct informer *inf, const char *ns,
                               const char *name);
/* A write-fault window was added. */
void api__lease_fault_added(struct api *api, const struct api__fault *f);
void api__lease_free(struct api *api);

/* Frees the event recorder's memory. */
void api__events_free(struct api *api);

#endif
