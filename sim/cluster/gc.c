/*
 * gc.c - the garbage collector of kube-controller-manager
 * (pkg/controller/garbagecollector): deletes dependents whose owners are
 * gone, runs foreground and orphan deletion, and so executes a
 * StatefulSet's PVC retention policy (statefulset-controller.md 5.5).
 *
 * As upstream, it has two halves:
 *
 * - The graph builder (graph_*): informers on every kind that can be an
 *   owner or a dependent here feed an ownership graph keyed by uid. A node
 *   keeps its ownerReferences (edges to its owners) and its dependents;
 *   each event costs O(owners + log) work, never a scan. An owner that is
 *   referenced but not yet seen becomes a "virtual" node that the worker
 *   verifies with a live GET (upstream's addDependentToOwners).
 *
 * - The workers (attempt_delete, attempt_orphan): an attemptToDelete and
 *   an attemptToOrphan work queue. For an item the worker does upstream's
 *   live reads (getObject, isDangling: GETs by name from the API server,
 *   not the cache) and classifies each ownerReference as solid, dangling
 *   (owner absent, or present with another uid: re-created) or waiting
 *   (owner deleting with foregroundDeletion). Then: some solid owner ->
 *   remove the dangling/waiting references and keep the item; waiting and
 *   the item has dependents -> delete it with Foreground; otherwise ->
 *   delete it (Background unless it already carries orphan/foreground).
 *   An owner with foregroundDeletion loses the finalizer once no dependent
 *   with blockOwnerDeletion=true is left; an owner with orphan has its
 *   uid removed from every dependent's ownerReferences, then loses orphan.
 *
 * Timing: graph changes happen when the informers deliver (the watch
 * delay). The worker pool is upstream's 20 workers (--concurrent-gc-syncs)
 * each needing one API round trip (apiLatency, for the live GET and the
 * write) per item: up to 20 items are processed per apiLatency. Failed
 * items are retried after upstream's per-item exponential back-off
 * (workqueue default: 5 ms doubling up to 1000 s).
 *
 * Simplifications (each marked SIMPLIFIED below):
 * - The absentOwnerCache is not kept: a live GET is free here and gives
 *   the same answer (uids are never reused).
 * - A virtual owner whose dependents name it by different coordinates is
 *   not split into several identities; every dependent re-checks its own
 *   references when the virtual node is found absent.
 * - References to kinds stsim does not model (ReplicaSet, ...) count as
 *   solid (upstream: the GET fails and the item is retried forever), and
 *   references with uid 0 are ignored (upstream validation refuses them).
 * - The namespaced-owner / cluster-scoped-dependent checks and their
 *   events (OwnerRefInvalidNamespace) are not modelled.
 * - A relisted informer is not detected: the graph is kept across it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"

#define GC_CLIENT "generic-garbage-collector"
#define GC_COMPONENT "garbage-collector"
#define FINALIZER_ORPHAN "orphan"
#define FINALIZER_FOREGROUND "foregroundDeletion"

/* --concurrent-gc-syncs default: items handled per API round trip. */
#define GC_WORKERS 20
/* workqueue.DefaultControllerRateLimiter's per-item back-off. */
#define GC_BACKOFF_BASE SIM_MS(5)
#define GC_BACKOFF_MAX SIM_SEC(1000)

#define NODES_PER_CHUNK 256

/* The kinds whose objects can be owners or dependents in stsim. */
static const enum obj_kind gc_kinds[] = {
    KIND_STATEFULSET, KIND_CONTROLLERREVISION, KIND_POD, KIND_PVC,
    KIND_SERVICE,     KIND_ENDPOINTSLICE,
};
#define GC_NKINDS (sizeof(gc_kinds) / sizeof(gc_kinds[0]))

struct gc_node;

/* One ownerReference of a node: the edge to its owner. */
struct gc_edge {
  struct owner_ref ref;  /* strings are the run arena's */
  struct gc_node *owner; /* NULL when the owner is not in the graph */
  size_t pos;            /* index of this edge in owner->deps */
};

/* One dependent of a node: which edge of which node points here. */
struct gc_dep {
  struct gc_node *node;
  size_t edge; /* index in node->owners */
};

struct gc_node {
  uint64_t uid;
  enum obj_kind kind; /* KIND_NONE: a kind stsim does not model */
  const char *kind_name, *ns, *name;
  bool virtual_;            /* known only from ownerReferences */
  bool being_deleted;       /* deletionTimestamp seen */
  bool deleting_dependents; /* deleting with foregroundDeletion */
  bool in_delete_q, in_orphan_q;
  bool rescan;       /* blocking dependents must be (re)queued */
  size_t blocking;   /* dependents' references with blockOwnerDeletion */
  unsigned failures; /* consecutive failed attempts (back-off) */
  VEC(struct gc_edge) owners;
  VEC(struct gc_dep) deps;
  struct gc_node *next_free;
};

struct gc_chunk {
  struct gc_chunk *next;
  struct gc_node nodes[NODES_PER_CHUNK];
};

/* A FIFO of uids (a work queue; dedup through the node flags). */
struct gc_queue {
  VEC(uint64_t) v;
  size_t head;
};

struct gc_retry {
  simtime at;
  uint64_t uid;
  bool orphan;
};

struct gc {
  struct cluster_env env;
  struct api *api;
  struct engine *engine;
  struct informer *inf[GC_NKINDS];

  /* uid -> node: open addressing, linear probing; lookup only (D4) */
  struct gc_node **slots;
  size_t slots_cap, slots_nr;

  struct gc_chunk *chunks;
  struct gc_node *free_nodes;

  struct gc_queue del_q, orphan_q;
  VEC(struct gc_retry) retries;
  uint64_t work_handle, retry_handle;
  simtime work_at, retry_at;

  /* scratch for one item's classification */
  VEC(uint64_t) scratch_uids;
};

/* --- the uid index -------------------------------------------------------- */

static size_t uid_slot(const struct gc *gc, uint64_t uid)
{
  return (size_t)sim_splitmix64(uid) & (gc->slots_cap - 1);
}

static struct gc_node *graph_get(const struct gc *gc, uint64_t uid)
{
  if (!gc->slots_cap)
    return NULL;
  for (size_t i = uid_slot(gc, uid);; i = (i + 1) & (gc->slots_cap - 1)) {
    if (!gc->slots[i])
      return NULL;
    if (gc->slots[i]->uid == uid)
      return gc->slots[i];
  }
}

static void index_put_raw(struct gc *gc, struct gc_node *n)
{
  size_t i = uid_slot(gc, n->uid);

  while (gc->slots[i])
    i = (i + 1) & (gc->slots_cap - 1);
  gc->slots[i] = n;
}

static void index_put(struct gc *gc, struct gc_node *n)
{
  if ((gc->slots_nr + 1) * 4 > gc->slots_cap * 3) {
    struct gc_node **old = gc->slots;
    size_t old_cap = gc->slots_cap;

    gc->slots_cap = old_cap ? old_cap * 2 : 256;
    gc->slots = xcalloc(gc->slots_cap, sizeof(*gc->slots));
    for (size_t i = 0; i < old_cap; i++)
      if (old[i])
        index_put_raw(gc, old[i]);
    free(old);
  }
  index_put_raw(gc, n);
  gc->slots_nr++;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void index_del(struct gc *gc, uint64_t uid)
{
  size_t mask = gc->slots_cap - 1;
  size_t i = uid_slot(gc, uid);

  while (gc->slots[i]->uid != uid)
    i = (i + 1) & mask;
  for (size_t j = (i + 1) & mask; gc->slots[j]; j = (j + 1) & mask) {
    size_t home = uid_slot(gc, gc->slots[j]->uid);
    /* Move j back to i unless its home lies cyclically in (i, j]. */
    if (((j - home) & mask) >= ((j - i) & mask)) {
      gc->slots[i] = gc->slots[j];
      i = j;
    }
  }
  gc->slots[i] = NULL;
  gc->slots_nr--;
}

/* --- nodes ---------------------------------------------------------------- */

static struct gc_node *node_alloc(struct gc *gc, uint64_t uid)
{
  struct gc_node *n = gc->free_nodes;

  if (!n) {
    struct gc_chunk *c = xcalloc(1, sizeof(*c));
    c->next = gc->chunks;
    gc->chunks = c;
    for (size_t i = NODES_PER_CHUNK; i-- > 0;) {
      c->nodes[i].next_free = gc->free_nodes;
      gc->free_nodes = &c->nodes[i];
    }
    n = gc->free_nodes;
  }
  gc->free_nodes = n->next_free;
  /* Keep the edge buffers of a recycled node: no malloc per event. */
  n->uid = uid;
  n->kind = KIND_NONE;
  n->kind_name = n->ns = n->name = "";
  n->virtual_ = n->being_deleted = n->deleting_dependents = false;
  n->in_delete_q = n->in_orphan_q = false;
  n->rescan = false;
  n->blocking = 0;
  n->failures = 0;
  n->owners.nr = 0;
  n->deps.nr = 0;
  n->next_free = NULL;
  return n;
}

static const char *node_label(const struct gc_node *n, char *buf, size_t len)
{
  snprintf(buf, len, "%s/%s", n->kind_name, n->name);
  return buf;
}

static bool str_eq(const char *a, const char *b)
{
  return !strcmp(a ? a : "", b ? b : "");
}

static bool has_finalizer(const struct meta *m, const char *f)
{
  for (size_t i = 0; i < m->finalizers.nr; i++)
    if (m->finalizers.v[i] && !strcmp(m->finalizers.v[i], f))
      return true;
  return false;
}

static bool deleting_with(const struct object *o, const char *finalizer)
{
  return o && meta_is_deleting(&o->meta) && has_finalizer(&o->meta, finalizer);
}

/* The kind an ownerReference names, KIND_NONE if not modelled. */
static enum obj_kind ref_kind(const struct owner_ref *r)
{
  return obj_kind_parse(r->api_version, r->kind);
}

/* Where an owner named by r from a dependent in namespace ns lives. */
static const char *ref_namespace(enum obj_kind k, const char *dep_ns)
{
  return k != KIND_NONE && !obj_kind_namespaced(k) ? "" : dep_ns;
}

/* --- work queues ---------------------------------------------------------- */

static void work(struct engine *e, uint64_t subject, uint64_t arg, void *ctx);
static void retry_fire(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx);

static void schedule_work(struct gc *gc, simtime at)
{
  if (gc->work_handle && gc->work_at <= at)
    return;
  if (gc->work_handle)
    engine_cancel(gc->engine, gc->work_handle);
  gc->work_at = at;
  gc->work_handle = engine_schedule(gc->engine, at, PHASE_CONTROLLER, "gc-work",
                                    work, 0, 0, gc);
}

static void queue_push(struct gc *gc, struct gc_queue *q, uint64_t uid)
{
  if (q->head == q->v.nr) {
    q->head = q->v.nr = 0;
  } else if (q->head >= 64 && q->head * 2 >= q->v.nr) {
    memmove(q->v.v, q->v.v + q->head, (q->v.nr - q->head) * sizeof(*q->v.v));
    q->v.nr -= q->head;
    q->head = 0;
  }
  VEC_PUSH(&q->v, uid);
  schedule_work(gc, engine_now(gc->engine) +
                        gc->env.s->timings.v[TIMING_API_LATENCY]);
}

static void enqueue_delete(struct gc *gc, struct gc_node *n)
{
  if (n->in_delete_q)
    return;
  n->in_delete_q = true;
  queue_push(gc, &gc->del_q, n->uid);
}

static void enqueue_orphan(struct gc *gc, struct gc_node *n)
{
  if (n->in_orphan_q)
    return;
  n->in_orphan_q = true;
  queue_push(gc, &gc->orphan_q, n->uid);
}

static void schedule_retry_timer(struct gc *gc)
{
  simtime at = SIMTIME_NEVER;

  for (size_t i = 0; i < gc->retries.nr; i++)
    if (gc->retries.v[i].at < at)
      at = gc->retries.v[i].at;
  if (gc->retry_handle && gc->retry_at == at)
    return;
  if (gc->retry_handle)
    engine_cancel(gc->engine, gc->retry_handle);
  gc->retry_handle = 0;
  if (at == SIMTIME_NEVER)
    return;
  gc->retry_at = at;
  gc->retry_handle = engine_schedule(gc->engine, at, PHASE_CONTROLLER,
                                     "gc-retry", retry_fire, 0, 0, gc);
}

/* AddRateLimited: back to the queue after the item's back-off. */
static void requeue_later(struct gc *gc, struct gc_node *n, bool orphan)
{
  simtime d = GC_BACKOFF_BASE;

  for (unsigned i = 0; i < n->failures && d < GC_BACKOFF_MAX; i++)
    d *= 2;
  if (d > GC_BACKOFF_MAX)
    d = GC_BACKOFF_MAX;
  n->failures++;
  struct gc_retry r = {engine_now(gc->engine) + d, n->uid, orphan};
  VEC_PUSH(&gc->retries, r);
  schedule_retry_timer(gc);
}

static void retry_fire(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct gc *gc = ctx;
  simtime now = engine_now(e);
  size_t keep = 0;

  (void)subject;
  (void)arg;
  gc->retry_handle = 0;
  for (size_t i = 0; i < gc->retries.nr; i++) {
    struct gc_retry r = gc->retries.v[i];
    struct gc_node *n;
    if (r.at > now) {
      gc->retries.v[keep++] = r;
      continue;
    }
    n = graph_get(gc, r.uid);
    if (!n)
      continue;
    if (r.orphan)
      enqueue_orphan(gc, n);
    else
      enqueue_delete(gc, n);
  }
  gc->retries.nr = keep;
  schedule_retry_timer(gc);
}

/* --- the graph builder ---------------------------------------------------- */

static void unlink_edge(struct gc_node *n, size_t e)
{
  struct gc_edge *edge = &n->owners.v[e];
  struct gc_node *o = edge->owner;
  size_t last;

  if (!o)
    return;
  last = o->deps.nr - 1;
  SIM_ASSERT(edge->pos <= last && o->deps.v[edge->pos].node == n);
  if (edge->pos != last) {
    struct gc_dep moved = o->deps.v[last];
    o->deps.v[edge->pos] = moved;
    moved.node->owners.v[moved.edge].pos = edge->pos;
  }
  o->deps.nr--;
  if (edge->ref.block_owner_deletion)
    o->blocking--;
  edge->owner = NULL;
}

static void link_edge(struct gc *gc, struct gc_node *n, size_t e,
                      struct gc_node *o)
{
  struct gc_dep d = {n, e};

  n->owners.v[e].owner = o;
  n->owners.v[e].pos = o->deps.nr;
  VEC_PUSH(&o->deps, d);
  if (n->owners.v[e].ref.block_owner_deletion) {
    o->blocking++;
    /* A new blocking dependent of an owner already waiting for its
     * dependents must be deleted too. */
    if (o->deleting_dependents) {
      o->rescan = true;
      enqueue_delete(gc, o);
    }
  }
}

/* A virtual node for an owner first named by dependent n's reference. */
static struct gc_node *virtual_owner(struct gc *gc, const struct gc_node *n,
                                     const struct owner_ref *r)
{
  struct gc_node *o = node_alloc(gc, r->uid);
  enum obj_kind k = ref_kind(r);

  o->virtual_ = true;
  o->kind = k;
  o->kind_name = r->kind ? r->kind : "";
  o->ns = ref_namespace(k, n->ns);
  o->name = r->name ? r->name : "";
  index_put(gc, o);
  return o;
}

static const struct owner_ref *find_ref(const struct owner_ref *v, size_t nr,
                                        uint64_t uid)
{
  for (size_t i = 0; i < nr; i++)
    if (v[i].uid == uid)
      return &v[i];
  return NULL;
}

static bool ref_same(const struct owner_ref *a, const struct owner_ref *b)
{
  return a->uid == b->uid && a->controller == b->controller &&
         a->block_owner_deletion == b->block_owner_deletion &&
         str_eq(a->api_version, b->api_version) && str_eq(a->kind, b->kind) &&
         str_eq(a->name, b->name);
}

/*
 * Sets n's owners to the object's ownerReferences (upstream's
 * referencesDiffs + addUnblockedOwnersToDeleteQueue + addDependentToOwners
 * + removeDependentFromOwners). Owners newly referenced and not in the
 * graph become virtual nodes queued for verification.
 */
static void set_owners(struct gc *gc, struct gc_node *n, const struct meta *m,
                       bool first)
{
  size_t nr = m->owner_refs_nr;

  if (!first) {
    bool same = n->owners.nr == nr;
    for (size_t i = 0; same && i < nr; i++)
      same = ref_same(&n->owners.v[i].ref, &m->owner_refs[i]);
    if (same)
      return;
    /* Removed blocking references, or ones that stopped blocking, may
     * unblock an owner waiting for its dependents. */
    for (size_t i = 0; i < n->owners.nr; i++) {
      const struct gc_edge *e = &n->owners.v[i];
      const struct owner_ref *now = find_ref(m->owner_refs, nr, e->ref.uid);
      if (!e->ref.block_owner_deletion || (now && now->block_owner_deletion))
        continue;
      if (e->owner && e->owner->deleting_dependents)
        enqueue_delete(gc, e->owner);
    }
  }
  for (size_t i = 0; i < n->owners.nr; i++)
    unlink_edge(n, i);
  /* Which references are new (an owner the node did not name before). */
  VEC_GROW(&gc->scratch_uids, n->owners.nr + 1);
  gc->scratch_uids.nr = 0;
  for (size_t i = 0; i < n->owners.nr; i++)
    gc->scratch_uids.v[gc->scratch_uids.nr++] = n->owners.v[i].ref.uid;

  size_t old_nr = gc->scratch_uids.nr;
  n->owners.nr = 0;
  VEC_GROW(&n->owners, nr);
  for (size_t i = 0; i < nr; i++) {
    const struct owner_ref *r = &m->owner_refs[i];
    struct gc_node *o;
    bool added = true;

    n->owners.v[n->owners.nr++] = (struct gc_edge){*r, NULL, 0};
    if (!r->uid)
      continue; /* SIMPLIFIED: invalid reference, ignored */
    for (size_t j = 0; j < old_nr && added; j++)
      added = gc->scratch_uids.v[j] != r->uid;
    o = graph_get(gc, r->uid);
    if (!o && !added)
      continue; /* its owner already left the graph */
    if (o && o == n)
      continue; /* a self-reference: no edge */
    if (!o) {
      o = virtual_owner(gc, n, r);
      link_edge(gc, n, n->owners.nr - 1, o);
      enqueue_delete(gc, o);
      continue;
    }
    link_edge(gc, n, n->owners.nr - 1, o);
  }
}

/* Removes n from the graph; its dependents and waiting owners are queued. */
static void remove_node(struct gc *gc, struct gc_node *n)
{
  for (size_t i = 0; i < n->owners.nr; i++) {
    struct gc_node *o = n->owners.v[i].owner;
    unlink_edge(n, i);
    if (o && o->deleting_dependents)
      enqueue_delete(gc, o);
  }
  while (n->deps.nr > 0) {
    struct gc_dep d = n->deps.v[n->deps.nr - 1];
    unlink_edge(d.node, d.edge);
    enqueue_delete(gc, d.node);
  }
  index_del(gc, n->uid);
  n->next_free = gc->free_nodes;
  gc->free_nodes = n;
}

/* processTransitions: the object starts waiting for the GC. */
static void transitions(struct gc *gc, const struct object *old,
                        const struct object *now, struct gc_node *n)
{
  if (deleting_with(now, FINALIZER_ORPHAN) &&
      !deleting_with(old, FINALIZER_ORPHAN)) {
    enqueue_orphan(gc, n);
    return;
  }
  if (deleting_with(now, FINALIZER_FOREGROUND) &&
      !deleting_with(old, FINALIZER_FOREGROUND)) {
    n->deleting_dependents = true;
    n->rescan = false;
    for (size_t i = 0; i < n->deps.nr; i++)
      enqueue_delete(gc, n->deps.v[i].node);
    enqueue_delete(gc, n);
  }
}

static void observe(struct gc *gc, const struct object *old,
                    const struct object *now)
{
  struct gc_node *n = graph_get(gc, now->meta.uid);
  bool deleting = meta_is_deleting(&now->meta);

  if (!n) {
    n = node_alloc(gc, now->meta.uid);
    n->kind = now->kind;
    n->kind_name = obj_kind_name(now->kind);
    n->ns = now->meta.namespace_ ? now->meta.namespace_ : "";
    n->name = now->meta.name;
    n->being_deleted = deleting;
    n->deleting_dependents = deleting_with(now, FINALIZER_FOREGROUND);
    index_put(gc, n);
    set_owners(gc, n, &now->meta, true);
    transitions(gc, old, now, n);
    return;
  }
  if (n->virtual_) {
    /* The owner is observed: dependents that named it by other
     * coordinates must re-check their references. */
    n->virtual_ = false;
    for (size_t i = 0; i < n->deps.nr; i++) {
      const struct owner_ref *r =
          &n->deps.v[i].node->owners.v[n->deps.v[i].edge].ref;
      if (ref_kind(r) != now->kind || !str_eq(r->name, now->meta.name))
        enqueue_delete(gc, n->deps.v[i].node);
    }
    n->kind = now->kind;
    n->kind_name = obj_kind_name(now->kind);
    n->ns = now->meta.namespace_ ? now->meta.namespace_ : "";
    n->name = now->meta.name;
  }
  set_owners(gc, n, &now->meta, false);
  if (deleting)
    n->being_deleted = true;
  transitions(gc, old, now, n);
}

static void on_event(struct informer *inf, enum watch_type t,
                     const struct object *old, const struct object *now,
                     void *ctx)
{
  struct gc *gc = ctx;
  struct gc_node *n;

  (void)inf;
  if (t != WATCH_DELETED) {
    observe(gc, old, now);
    return;
  }
  n = graph_get(gc, now->meta.uid);
  if (n)
    remove_node(gc, n);
}

/* --- the workers ---------------------------------------------------------- */

/* A live GET of the node's object; NULL if absent or re-created. */
static const struct object *live_get(struct gc *gc, const struct gc_node *n)
{
  const struct object *o;

  if (n->kind == KIND_NONE)
    return NULL;
  o = api_get(gc->api, n->kind, n->ns, n->name);
  return o && o->meta.uid == n->uid ? o : NULL;
}

/* What became of an item found absent by a live read (a virtual delete). */
static void virtual_delete(struct gc *gc, struct gc_node *n)
{
  char lb[256];

  if (!n->virtual_ && n->deps.nr > 0)
    cluster_note(&gc->env, node_label(n, lb, sizeof(lb)), "OwnerGone",
                 "uid %llu is gone: its %zu dependents are checked",
                 (unsigned long long)n->uid, n->deps.nr);
  remove_node(gc, n);
}

struct refs_patch {
  const uint64_t *uids;
  size_t nr;
  bool unblock; /* set blockOwnerDeletion=false instead of removing */
  struct arena *arena;
};

static bool in_uids(const struct refs_patch *p, uint64_t uid)
{
  for (size_t i = 0; i < p->nr; i++)
    if (p->uids[i] == uid)
      return true;
  return false;
}

static bool patch_refs(struct object *o, void *ctx)
{
  const struct refs_patch *p = ctx;
  struct owner_ref *v;
  size_t nr = 0;
  bool changed = false;

  if (!o->meta.owner_refs_nr)
    return false;
  v = arena_alloc(p->arena, o->meta.owner_refs_nr * sizeof(*v));
  for (size_t i = 0; i < o->meta.owner_refs_nr; i++) {
    struct owner_ref r = o->meta.owner_refs[i];
    if (p->unblock) {
      if (r.block_owner_deletion) {
        r.block_owner_deletion = false;
        changed = true;
      }
    } else if (in_uids(p, r.uid)) {
      changed = true;
      continue;
    }
    v[nr++] = r;
  }
  if (!changed)
    return false;
  o->meta.owner_refs = nr ? v : NULL;
  o->meta.owner_refs_nr = nr;
  return true;
}

static bool ok_or_gone(enum api_status st)
{
  return st == API_OK || st == API_NOT_FOUND;
}

/* Patches the ownerReferences of the item, uid as precondition. */
static enum api_status update_refs(struct gc *gc, const struct gc_node *n,
                                   const uint64_t *uids, size_t nr,
                                   bool unblock)
{
  struct refs_patch p = {uids, nr, unblock, api_arena(gc->api)};
  enum api_status st = api_patch(gc->api, GC_CLIENT, n->kind, n->ns, n->name,
                                 n->uid, patch_refs, &p, NULL);

  /* A uid mismatch: the item was re-created, nothing to fix. */
  return st == API_CONFLICT ? API_OK : st;
}

struct finalizer_patch {
  const char *finalizer;
  struct arena *arena;
};

static bool patch_drop_finalizer(struct object *o, void *ctx)
{
  const struct finalizer_patch *p = ctx;
  const char **v;
  size_t nr = 0;

  if (!has_finalizer(&o->meta, p->finalizer))
    return false;
  v = arena_alloc(p->arena, o->meta.finalizers.nr * sizeof(*v));
  for (size_t i = 0; i < o->meta.finalizers.nr; i++)
    if (!o->meta.finalizers.v[i] ||
        strcmp(o->meta.finalizers.v[i], p->finalizer))
      v[nr++] = o->meta.finalizers.v[i];
  o->meta.finalizers = (struct str_list){nr ? v : NULL, nr};
  return true;
}

/* removeFinalizer: a patch of the live object, its uid as precondition. */
static enum api_status remove_finalizer(struct gc *gc, const struct gc_node *n,
                                        const char *finalizer)
{
  struct finalizer_patch p = {finalizer, api_arena(gc->api)};
  enum api_status st = api_patch(gc->api, GC_CLIENT, n->kind, n->ns, n->name,
                                 n->uid, patch_drop_finalizer, &p, NULL);
  char lb[256];

  if (st == API_OK)
    cluster_note(&gc->env, node_label(n, lb, sizeof(lb)), "Finalized",
                 "removed finalizer %s", finalizer);
  if (st == API_NOT_FOUND || (st == API_CONFLICT && !live_get(gc, n)))
    return API_OK; /* gone or re-created meanwhile */
  return st;
}

static bool refs_equal(const struct meta *a, const struct meta *b)
{
  if (a->owner_refs_nr != b->owner_refs_nr)
    return false;
  for (size_t i = 0; i < a->owner_refs_nr; i++)
    if (!ref_same(&a->owner_refs[i], &b->owner_refs[i]))
      return false;
  return true;
}

static const char *propagation_name(enum propagation p)
{
  switch (p) {
  case PROPAGATE_FOREGROUND:
    return "Foreground";
  case PROPAGATE_ORPHAN:
    return "Orphan";
  default:
    return "Background";
  }
}

/*
 * deleteObject: with uid and resourceVersion preconditions; on a conflict
 * the delete is retried without the resourceVersion if the live object's
 * ownerReferences are still those the decision was made on.
 */
static enum api_status delete_object(struct gc *gc, const struct gc_node *n,
                                     const struct object *latest,
                                     enum propagation policy, const char *why)
{
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  enum api_status st;
  char lb[256];

  o.precondition_uid = n->uid;
  o.precondition_rv = latest->meta.resource_version;
  o.propagation = policy;
  st = api_delete(gc->api, GC_CLIENT, n->kind, n->ns, n->name, &o);
  if (st == API_CONFLICT) {
    const struct object *live = live_get(gc, n);
    if (!live)
      return API_OK; /* gone or replaced: the deletion was not needed */
    if (!refs_equal(&live->meta, &latest->meta))
      return API_CONFLICT; /* decide again */
    o.precondition_rv = 0;
    st = api_delete(gc->api, GC_CLIENT, n->kind, n->ns, n->name, &o);
  }
  if (st == API_OK)
    cluster_note(&gc->env, node_label(n, lb, sizeof(lb)), "GarbageCollected",
                 "deleting with propagation %s: %s", propagation_name(policy),
                 why);
  return st == API_NOT_FOUND ? API_OK : st;
}

enum attempt {
  ATTEMPT_DONE,  /* forget the item */
  ATTEMPT_RETRY, /* requeue it after its back-off */
  ATTEMPT_GONE,  /* the node left the graph (it was freed) */
};

static enum attempt result(enum api_status st)
{
  return ok_or_gone(st) ? ATTEMPT_DONE : ATTEMPT_RETRY;
}

/*
 * processDeletingDependentsItem: the owner waits (foregroundDeletion) until
 * no dependent with blockOwnerDeletion is left in the graph, then loses
 * the finalizer. SIMPLIFIED: upstream queues every blocking dependent not
 * deleting its own dependents on each pass; they are then all being
 * deleted (a no-op for them) unless a new one appeared or a delete failed
 * (which retries itself), so only a new blocking dependent (rescan) is
 * queued here: the same outcome in O(1) per pass instead of O(n).
 */
static enum attempt deleting_dependents(struct gc *gc, struct gc_node *n)
{
  if (n->rescan) {
    n->rescan = false;
    for (size_t i = 0; i < n->deps.nr; i++) {
      const struct gc_dep *d = &n->deps.v[i];
      if (d->node->owners.v[d->edge].ref.block_owner_deletion &&
          !d->node->deleting_dependents)
        enqueue_delete(gc, d->node);
    }
  }
  if (n->blocking)
    return ATTEMPT_DONE;
  return result(remove_finalizer(gc, n, FINALIZER_FOREGROUND));
}

/* attemptToDeleteItem. */
static enum attempt attempt_delete(struct gc *gc, struct gc_node *n)
{
  const struct object *latest;
  const struct owner_ref *refs;
  size_t nr, solid = 0, dangling = 0, waiting = 0;
  const char *why = "";
  char why_buf[320];

  /* "Being deleted" is a one-way trip: wait for the final deletion. */
  if (n->being_deleted && !n->deleting_dependents)
    return ATTEMPT_DONE;
  if (n->kind == KIND_NONE)
    return ATTEMPT_DONE; /* SIMPLIFIED: a kind stsim cannot GET */
  latest = api_get(gc->api, n->kind, n->ns, n->name);
  if (!latest || latest->meta.uid != n->uid) {
    virtual_delete(gc, n);
    return ATTEMPT_GONE;
  }
  if (n->deleting_dependents)
    return deleting_dependents(gc, n);
  /* Dependents in the process of deletion are not deleted twice (the
   * graph has not seen the deletion yet; the live object has). */
  if (meta_is_deleting(&latest->meta))
    return ATTEMPT_DONE;

  refs = latest->meta.owner_refs;
  nr = latest->meta.owner_refs_nr;
  gc->scratch_uids.nr = 0;
  for (size_t i = 0; i < nr; i++) {
    const struct owner_ref *r = &refs[i];
    enum obj_kind k = ref_kind(r);
    const struct object *owner;

    if (!r->uid)
      continue; /* SIMPLIFIED: invalid reference, ignored */
    if (k == KIND_NONE) {
      solid++; /* SIMPLIFIED: cannot be verified, never collected */
      continue;
    }
    owner = api_get(gc->api, k, ref_namespace(k, n->ns), r->name);
    if (!owner || owner->meta.uid != r->uid) {
      dangling++;
      snprintf(why_buf, sizeof(why_buf), "owner %s/%s (uid %llu) is %s",
               r->kind, r->name, (unsigned long long)r->uid,
               owner ? "re-created with another uid" : "gone");
      why = why_buf;
    } else if (deleting_with(owner, FINALIZER_FOREGROUND)) {
      waiting++;
      snprintf(why_buf, sizeof(why_buf),
               "owner %s/%s is deleting its dependents (foreground)", r->kind,
               r->name);
      why = why_buf;
    } else {
      solid++;
      continue;
    }
    VEC_PUSH(&gc->scratch_uids, r->uid);
  }

  if (solid) {
    char lb[256];
    enum api_status st;
    if (!gc->scratch_uids.nr)
      return ATTEMPT_DONE;
    st = update_refs(gc, n, gc->scratch_uids.v, gc->scratch_uids.nr, false);
    if (st == API_OK)
      cluster_note(&gc->env, node_label(n, lb, sizeof(lb)), "OwnerRefRemoved",
                   "kept for its other owners; removed %zu reference(s): %s",
                   gc->scratch_uids.nr, why);
    return result(st);
  }
  if (!dangling && !waiting)
    return ATTEMPT_DONE; /* only invalid references */
  if (waiting && n->deps.nr) {
    /* Its own dependents must go first. A dependent that is itself
     * deleting its dependents could wait on this item: to break a
     * possible cycle the item's references stop blocking. */
    for (size_t i = 0; i < n->deps.nr; i++) {
      if (!n->deps.v[i].node->deleting_dependents)
        continue;
      enum api_status st = update_refs(gc, n, NULL, 0, true);
      if (!ok_or_gone(st))
        return ATTEMPT_RETRY;
      break;
    }
    return result(delete_object(gc, n, latest, PROPAGATE_FOREGROUND, why));
  }
  if (has_finalizer(&latest->meta, FINALIZER_ORPHAN))
    return result(delete_object(gc, n, latest, PROPAGATE_ORPHAN, why));
  if (has_finalizer(&latest->meta, FINALIZER_FOREGROUND))
    return result(delete_object(gc, n, latest, PROPAGATE_FOREGROUND, why));
  return result(delete_object(gc, n, latest, PROPAGATE_BACKGROUND, why));
}

/* attemptToOrphan: free the dependents, then drop the orphan finalizer. */
static enum attempt attempt_orphan(struct gc *gc, struct gc_node *n)
{
  char lb[256];

  /* The patches do not change the graph before the watch delivers them. */
  for (size_t i = 0; i < n->deps.nr; i++) {
    const struct gc_node *d = n->deps.v[i].node;
    enum api_status st = update_refs(gc, d, &n->uid, 1, false);
    if (!ok_or_gone(st))
      return ATTEMPT_RETRY;
    if (st == API_OK)
      cluster_note(&gc->env, node_label(d, lb, sizeof(lb)), "Orphaned",
                   "owner %s/%s is deleted with propagation Orphan",
                   n->kind_name, n->name);
  }
  return result(remove_finalizer(gc, n, FINALIZER_ORPHAN));
}

static bool kind_watched(enum obj_kind k)
{
  for (size_t i = 0; i < GC_NKINDS; i++)
    if (gc_kinds[i] == k)
      return true;
  return false;
}

static bool all_synced(const struct gc *gc)
{
  for (size_t i = 0; i < GC_NKINDS; i++)
    if (!informer_synced(gc->inf[i]))
      return false;
  return true;
}

static struct gc_node *queue_pop(struct gc *gc, struct gc_queue *q, bool orphan)
{
  while (q->head < q->v.nr) {
    struct gc_node *n = graph_get(gc, q->v.v[q->head++]);
    if (!n)
      continue;
    if (orphan && n->in_orphan_q) {
      n->in_orphan_q = false;
      return n;
    }
    if (!orphan && n->in_delete_q) {
      n->in_delete_q = false;
      return n;
    }
  }
  return NULL;
}

static void work(struct engine *e, uint64_t subject, uint64_t arg, void *ctx)
{
  struct gc *gc = ctx;
  simtime now = engine_now(e);
  struct gc_node *n;

  (void)subject;
  (void)arg;
  gc->work_handle = 0;
  if (!all_synced(gc)) {
    /* WaitForCacheSync: only at start-up or after a relist. */
    simtime d = gc->env.s->timings.v[TIMING_WATCH_DELAY];
    schedule_work(gc, now + (d > 0 ? d : SIM_MS(1)));
    return;
  }
  for (int w = 0; w < GC_WORKERS && (n = queue_pop(gc, &gc->orphan_q, true));
       w++) {
    if (attempt_orphan(gc, n) == ATTEMPT_RETRY)
      requeue_later(gc, n, true);
    else
      n->failures = 0;
  }
  for (int w = 0; w < GC_WORKERS && (n = queue_pop(gc, &gc->del_q, false));
       w++) {
    switch (attempt_delete(gc, n)) {
    case ATTEMPT_GONE:
      break;
    case ATTEMPT_RETRY:
      requeue_later(gc, n, false);
      break;
    case ATTEMPT_DONE:
      /* A virtual node not observed yet is checked again (#56121). */
      if (n->virtual_ && kind_watched(n->kind))
        requeue_later(gc, n, false);
      else
        n->failures = 0;
      break;
    }
  }
  if (gc->orphan_q.head < gc->orphan_q.v.nr || gc->del_q.head < gc->del_q.v.nr)
    schedule_work(gc, now + gc->env.s->timings.v[TIMING_API_LATENCY]);
}

/* --- the component -------------------------------------------------------- */

void *gc_start(const struct cluster_env *env)
{
  struct gc *gc = xcalloc(1, sizeof(*gc));

  gc->env = *env;
  gc->api = env->api;
  gc->engine = api_engine(env->api);
  for (size_t i = 0; i < GC_NKINDS; i++) {
    gc->inf[i] = informer_new(env->api, gc_kinds[i], GC_COMPONENT,
                              env->s->timings.v[TIMING_WATCH_DELAY]);
    informer_add_handler(gc->inf[i], on_event, gc);
  }
  return gc;
}

void gc_stop(void *state)
{
  struct gc *gc = state;

  if (!gc)
    return;
  if (gc->work_handle)
    engine_cancel(gc->engine, gc->work_handle);
  if (gc->retry_handle)
    engine_cancel(gc->engine, gc->retry_handle);
  while (gc->chunks) {
    struct gc_chunk *c = gc->chunks;
    gc->chunks = c->next;
    for (size_t i = 0; i < NODES_PER_CHUNK; i++) {
      free(c->nodes[i].owners.v);
      free(c->nodes[i].deps.v);
    }
    free(c);
  }
  free(gc->slots);
  free(gc->del_q.v.v);
  free(gc->orphan_q.v.v);
  free(gc->retries.v);
  free(gc->scratch_uids.v);
  free(gc);
}
