/*
 * watch.c - informers: one component's cache of one kind, fed by the watch
 * after a delay.
 *
 * Each informer keeps a FIFO of pending deliveries. A write at time t is
 * queued for delivery at max(t + delay, the previous delivery time), so
 * the delivery times are non-decreasing and order is kept even when the
 * delay shrinks. One engine event (PHASE_APISERVER) drains everything due
 * at its instant; many writes in one instant cost one heap event per
 * informer, not one per write.
 *
 * A LIST is a snapshot of the store taken when it is requested (at
 * creation or relist), delivered after the delay; writes made after the
 * request are queued behind it, as a watch resumes from the list's
 * resourceVersion. A relist drops everything still queued: those events
 * predate the new snapshot and must not be applied on top of it.
 */
#include <string.h>

#include "apiserver_int.h"

static void drain(struct engine *e, uint64_t subject, uint64_t arg, void *ctx);

static bool queue_empty(const struct informer *inf)
{
  return inf->head == inf->queue.nr;
}

static void schedule_drain(struct informer *inf)
{
  if (inf->draining || inf->drain || queue_empty(inf))
    return;
  inf->drain =
      engine_schedule(inf->api->engine, inf->queue.v[inf->head].at,
                      PHASE_APISERVER, "watch-deliver", drain, inf->id, 0, inf);
}

static void push(struct informer *inf, const struct api__note *n)
{
  if (queue_empty(inf)) {
    inf->head = 0;
    inf->queue.nr = 0;
  } else if (inf->head >= 64 && inf->head * 2 >= inf->queue.nr) {
    memmove(inf->queue.v, inf->queue.v + inf->head,
            (inf->queue.nr - inf->head) * sizeof(*inf->queue.v));
    inf->queue.nr -= inf->head;
    inf->head = 0;
  }
  SIM_ASSERT(n->at >= inf->last_at);
  inf->last_at = n->at;
  VEC_PUSH(&inf->queue, *n);
  schedule_drain(inf);
}

static void drop_queue(struct informer *inf)
{
  for (size_t i = inf->head; i < inf->queue.nr; i++)
    if (inf->queue.v[i].type == NOTE_LIST)
      free(inf->queue.v[i].list);
  inf->head = inf->queue.nr = 0;
}

static bool snapshot_one(const struct object *o, void *ctx)
{
  struct api__note *n = ctx;

  n->list[n->list_nr++] = o;
  return true;
}

/* Queues a LIST of the store as it is now, due after the delay. */
static void push_list(struct informer *inf)
{
  struct api *api = inf->api;
  const struct api__tree *t = &api->store[inf->kind];
  struct api__note n = {
      .at = engine_now(api->engine) + inf->delay,
      .type = NOTE_LIST,
      .list = NULL,
  };

  if (inf->kind == KIND_LEASE)
    api__lease_fresh_all(api); /* the snapshot holds renewed Leases */
  n.list = xmalloc((t->nr ? t->nr : 1) * sizeof(*n.list));

  api__tree_visit(t, NULL, NULL, snapshot_one, &n);
  SIM_ASSERT(n.list_nr == t->nr);
  push(inf, &n);
}

void api__watch_notify(struct api *api, enum watch_type t,
                       const struct object *now)
{
  simtime tnow = engine_now(api->engine);

  for (size_t i = 0; i < api->informers[now->kind].nr; i++) {
    struct informer *inf = api->informers[now->kind].v[i];
    struct api__note n = {
        .at = tnow + inf->delay,
        .type = (enum api__note_type)t,
        .now = now,
    };
    if (n.at < inf->last_at)
      n.at = inf->last_at;
    if (inf->kind == KIND_LEASE) {
      simtime f = api__lease_floor(inf); /* behind every renewal */
      if (n.at < f)
        n.at = f;
    }
    push(inf, &n);
  }
}

/* Calls every handler unless a relist (epoch change) intervenes. */
static void call_handlers(struct informer *inf, uint64_t epoch,
                          enum watch_type t, const struct object *old,
                          const struct object *now)
{
  for (size_t i = 0; i < inf->handlers.nr && inf->epoch == epoch; i++)
    inf->handlers.v[i].fn(inf, t, old, now, inf->handlers.v[i].ctx);
}

static void deliver(struct informer *inf, const struct api__note *n)
{
  struct api__pool *pool = &inf->api->pool;
  uint64_t epoch = inf->epoch;
  const struct object *old;

  switch (n->type) {
  case NOTE_LIST:
    api__tree_clear(&inf->cache, pool);
    for (size_t i = 0; i < n->list_nr; i++)
      api__tree_put(&inf->cache, pool, n->list[i]);
    inf->synced = true;
    for (size_t i = 0; i < n->list_nr && inf->epoch == epoch; i++)
      call_handlers(inf, epoch, WATCH_ADDED, NULL, n->list[i]);
    break;
  case NOTE_ADDED:
  case NOTE_MODIFIED:
    if (inf->kind == KIND_LEASE)
      api__lease_before_deliver(inf, n->now->meta.namespace_,
                                n->now->meta.name);
    old = api__tree_put(&inf->cache, pool, n->now);
    call_handlers(inf, epoch, old ? WATCH_MODIFIED : WATCH_ADDED, old, n->now);
    break;
  case NOTE_DELETED:
    if (inf->kind == KIND_LEASE)
      api__lease_before_deliver(inf, n->now->meta.namespace_,
                                n->now->meta.name);
    old = api__tree_del(&inf->cache, pool, n->now->meta.namespace_,
                        n->now->meta.name);
    if (old)
      call_handlers(inf, epoch, WATCH_DELETED, old, n->now);
    break;
  }
}

static void drain(struct engine *e, uint64_t subject, uint64_t arg, void *ctx)
{
  struct informer *inf = ctx;
  simtime now = engine_now(e);

  (void)subject;
  (void)arg;
  inf->drain = 0;
  inf->draining = true;
  while (!queue_empty(inf) && inf->queue.v[inf->head].at <= now) {
    /* Copied out: handlers may write, which may grow the queue. */
    struct api__note n = inf->queue.v[inf->head++];
    deliver(inf, &n);
    if (n.type == NOTE_LIST)
      free(n.list);
  }
  inf->draining = false;
  schedule_drain(inf);
}

/* --- the informer API ---------------------------------------------------- */

struct informer *informer_new(struct api *api, enum obj_kind kind,
                              const char *component, simtime delay)
{
  struct informer *inf = xcalloc(1, sizeof(*inf));

  SIM_ASSERT(kind > KIND_NONE && kind < KIND_COUNT);
  SIM_ASSERT(delay >= 0);
  inf->api = api;
  inf->id = ++api->next_informer_id;
  inf->kind = kind;
  inf->component = arena_strdup(api->arena, component ? component : "");
  inf->delay = delay;
  VEC_PUSH(&api->informers[kind], inf);
  if (kind == KIND_LEASE)
    api__lease_informer_init(inf);
  push_list(inf);
  return inf;
}

void informer_add_handler(struct informer *inf, informer_handler_fn *fn,
                          void *ctx)
{
  struct api__handler h = {fn, ctx};

  VEC_PUSH(&inf->handlers, h);
}

bool informer_synced(const struct informer *inf)
{
  return inf->synced;
}

enum obj_kind informer_kind(const struct informer *inf)
{
  return inf->kind;
}

const char *informer_component(const struct informer *inf)
{
  return inf->component;
}

void informer_set_delay(struct informer *inf, simtime delay)
{
  SIM_ASSERT(delay >= 0);
  if (inf->kind == KIND_LEASE)
    api__lease_set_delay(inf, delay);
  inf->delay = delay;
}

void informer_relist(struct informer *inf)
{
  if (inf->drain) {
    engine_cancel(inf->api->engine, inf->drain);
    inf->drain = 0;
  }
  drop_queue(inf);
  api__tree_clear(&inf->cache, &inf->api->pool);
  inf->synced = false;
  inf->epoch++;
  inf->last_at = engine_now(inf->api->engine);
  if (inf->kind == KIND_LEASE)
    api__lease_relist(inf);
  push_list(inf);
}

size_t api_set_component_delay(struct api *api, const char *component,
                               simtime delay)
{
  size_t n = 0;

  for (int k = 0; k < KIND_COUNT; k++)
    for (size_t i = 0; i < api->informers[k].nr; i++)
      if (!strcmp(api->informers[k].v[i]->component, component)) {
        informer_set_delay(api->informers[k].v[i], delay);
        n++;
      }
  return n;
}

size_t api_relist_component(struct api *api, const char *component)
{
  size_t n = 0;

  for (int k = 0; k < KIND_COUNT; k++)
    for (size_t i = 0; i < api->informers[k].nr; i++)
      if (!strcmp(api->informers[k].v[i]->component, component)) {
        informer_relist(api->informers[k].v[i]);
        n++;
      }
  return n;
}

const struct object *informer_get(const struct informer *inf, const char *ns,
                                  const char *name)
{
  const struct object *o;

  if (!name)
    return NULL;
  o = api__tree_get(&inf->cache, api__namespace(inf->kind, ns), name);
  return inf->kind == KIND_LEASE && o ? api__lease_cached(inf, o) : o;
}

struct lease_visit {
  const struct informer *inf;
  api_visit_fn *fn;
  void *ctx;
};

static bool visit_lease(const struct object *o, void *ctx)
{
  struct lease_visit *v = ctx;

  return v->fn(api__lease_cached(v->inf, o), v->ctx);
}

void informer_list(const struct informer *inf, const char *ns,
                   const struct label_selector *sel, api_visit_fn *fn,
                   void *ctx)
{
  if (!obj_kind_namespaced(inf->kind))
    ns = NULL;
  if (inf->kind == KIND_LEASE) {
    struct lease_visit v = {inf, fn, ctx};
    api__tree_visit(&inf->cache, ns, sel, visit_lease, &v);
    return;
  }
  api__tree_visit(&inf->cache, ns, sel, fn, ctx);
}

size_t informer_count(const struct informer *inf)
{
  return inf->cache.nr;
}

void api__watch_free(struct api *api)
{
  for (int k = 0; k < KIND_COUNT; k++) {
    for (size_t i = 0; i < api->informers[k].nr; i++) {
      struct informer *inf = api->informers[k].v[i];
      if (inf->drain)
        engine_cancel(api->engine, inf->drain);
      drop_queue(inf);
      api__tree_clear(&inf->cache, &api->pool);
      free(inf->queue.v);
      free(inf->handlers.v);
      free(inf->segs.v);
      free(inf->rhandlers.v);
      free(inf);
    }
    free(api->informers[k].v);
  }
}
