/*
 * lease.c - renewing Leases (apiserver.h): a Lease whose holder renews it
 * on its own schedule is registered once instead of written at every
 * renewal, and materialised when read.
 *
 * Why: the kubelets' Lease renewals (every ~10 s per node) and their
 * watch deliveries were ~78% of the engine events of a quiet fuzz run,
 * while their only consumer is the node lifecycle controller's probe
 * timestamp. What is computed instead of simulated write by write:
 *
 * - the store: renewTime of a registered Lease is the last renewal at or
 *   before the reader's instant (a renewal at the instant counts for
 *   readers in PHASE_NODE and later: the renewal event ran in PHASE_NODE).
 *   The holder records renewals lazily (advance), so its random stream is
 *   drawn in the same order as with an event per renewal (kubelet.c).
 *   Materialising swaps the stored version for a copy with the new
 *   renewTime and the same resourceVersion: no write hook, no watch event.
 * - informers: a renewal written at r reaches an informer at
 *   max(r + delay, every earlier delivery) - the FIFO rule of watch.c.
 *   With the delay piecewise constant, that is max(r + d, floor) per
 *   segment of constant delay, floor being the last delivery of anything
 *   written before the segment began (api__seg). A cached registered Lease
 *   reads as its last renewal delivered by now; the informer's owner asks
 *   for that renewal and its delivery instant (informer_lease_renewal) to
 *   do at its own pace what its handler did per delivery, and a renewal
 *   handler hears the last due one before a real write replaces it.
 * - writes: any write request to a registered Lease first materialises it
 *   and ends the registration (the holder writes for real from then on),
 *   so conflicts, deletes and patches by others behave as before. Write
 *   faults that may hit the holder end registrations while active: every
 *   renewal in a window is a real write that draws from the server's
 *   stream exactly as before.
 *
 * Equivalence: a reader at time t, through the store or an informer, sees
 * the renewTime it would have seen with a write per renewal; only
 * resourceVersion differs (a renewal no longer consumes one).
 */
#include <string.h>

#include "apiserver_int.h"

struct api_lease_renewal {
  struct api *api;
  const char *who;
  const char *ns, *name;
  uint64_t uid, rv;          /* of the written version */
  const struct object *base; /* the written version */
  VEC(simtime) times;        /* renewals since, increasing */
  bool active;
  api_lease_advance_fn *advance;
  api_lease_end_fn *end;
  void *ctx;
  /* the last materialised version and how many renewals it includes */
  const struct object *memo;
  size_t memo_k;
};

/* The last renewal visible at now: renewals at now count from PHASE_NODE. */
static simtime read_limit(const struct api *api)
{
  simtime now = engine_now(api->engine);

  return engine_current_phase(api->engine) < PHASE_NODE ? now - 1 : now;
}

static bool fault_hits(const struct api__fault *f, const char *who, simtime t)
{
  if (f->who && (!who || strcmp(f->who, who)))
    return false;
  return f->from <= t && t < f->until;
}

static void advance(struct api_lease_renewal *r, simtime upto)
{
  if (r->active && r->advance &&
      (!r->times.nr || r->times.v[r->times.nr - 1] < upto))
    r->advance(r->ctx, upto);
}

static const struct object *version(struct api_lease_renewal *r, size_t k)
{
  struct object *o;

  if (!k)
    return r->base;
  if (r->memo && r->memo_k == k)
    return r->memo;
  o = arena_memdup(r->api->arena, r->base, sizeof(*o));
  o->u.lease.renew_time = r->times.v[k - 1];
  r->memo = o;
  r->memo_k = k;
  return o;
}

/* The registration o (a Lease version) belongs to, or NULL. */
static struct api_lease_renewal *reg_of(const struct api *api,
                                        const struct object *o)
{
  uint64_t i;

  if (!o || !api->lease_regs.nr ||
      !u64map_get(&api->lease_by_rv, o->meta.resource_version, &i))
    return NULL;
  struct api_lease_renewal *r = api->lease_regs.v[i - 1];
  return r->uid == o->meta.uid ? r : NULL;
}

/* Materialises the stored version of an active registration. */
static const struct object *fresh(struct api_lease_renewal *r,
                                  const struct object *cur)
{
  struct api *api = r->api;
  const struct object *v;

  advance(r, read_limit(api));
  if (!r->times.nr || cur->u.lease.renew_time == r->times.v[r->times.nr - 1])
    return cur;
  v = version(r, r->times.nr);
  api__tree_put(&api->store[KIND_LEASE], &api->pool, v);
  api->by_uid.v[v->meta.uid] = v;
  return v;
}

/* --- delivery ------------------------------------------------------------ */

static simtime delivery(const struct informer *inf, simtime r)
{
  const struct api__seg *s = NULL;

  for (size_t i = inf->segs.nr; i-- > 0;)
    if (inf->segs.v[i].from <= r) {
      s = &inf->segs.v[i];
      break;
    }
  if (!s)
    s = &inf->segs.v[0];
  return r + s->delay > s->floor ? r + s->delay : s->floor;
}

/* Index + 1 of the last renewal of r after `after` delivered by now. */
static size_t due(const struct informer *inf, struct api_lease_renewal *r,
                  simtime after, simtime *at)
{
  simtime now = engine_now(inf->api->engine);
  size_t lo = 0, hi;

  advance(r, read_limit(inf->api));
  hi = r->times.nr;
  /* delivery() is non-decreasing in r: the last one due. */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (delivery(inf, r->times.v[mid]) <= now)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (!lo || r->times.v[lo - 1] <= after)
    return 0;
  *at = delivery(inf, r->times.v[lo - 1]);
  return lo;
}

static void end(struct api_lease_renewal *r)
{
  struct api *api = r->api;

  r->active = false;
  for (size_t i = 0; i < api->lease_active.nr; i++)
    if (api->lease_active.v[i] == r) {
      memmove(&api->lease_active.v[i], &api->lease_active.v[i + 1],
              (api->lease_active.nr - i - 1) * sizeof(r));
      api->lease_active.nr--;
      break;
    }
  if (!r->times.nr)
    return;
  for (size_t i = 0; i < api->informers[KIND_LEASE].nr; i++) {
    struct informer *inf = api->informers[KIND_LEASE].v[i];
    simtime d = delivery(inf, r->times.v[r->times.nr - 1]);
    if (d > inf->vfloor)
      inf->vfloor = d;
  }
}

/* Materialises r in the store and ends it; returns the stored version. */
static const struct object *freeze(struct api_lease_renewal *r)
{
  struct api *api = r->api;
  const struct object *cur =
      api__tree_get(&api->store[KIND_LEASE], r->ns, r->name);

  SIM_ASSERT(cur && reg_of(api, cur) == r);
  cur = fresh(r, cur);
  end(r);
  return cur;
}

/* --- the holder's side --------------------------------------------------- */

struct api_lease_renewal *api_lease_renewing(struct api *api, const char *who,
                                             const struct object *written,
                                             api_lease_advance_fn *adv,
                                             api_lease_end_fn *endfn, void *ctx)
{
  simtime now = engine_now(api->engine);
  struct api_lease_renewal *r;

  SIM_ASSERT(written && written->kind == KIND_LEASE);
  if (api__tree_get(&api->store[KIND_LEASE], written->meta.namespace_,
                    written->meta.name) != written)
    return NULL;
  for (size_t i = 0; i < api->faults.nr; i++)
    if (fault_hits(&api->faults.v[i], who, now))
      return NULL;
  r = arena_alloc(api->arena, sizeof(*r));
  memset(r, 0, sizeof(*r));
  r->api = api;
  r->who = who;
  r->ns = written->meta.namespace_;
  r->name = written->meta.name;
  r->uid = written->meta.uid;
  r->rv = written->meta.resource_version;
  r->base = written;
  r->active = true;
  r->advance = adv;
  r->end = endfn;
  r->ctx = ctx;
  VEC_PUSH(&api->lease_regs, r);
  VEC_PUSH(&api->lease_active, r);
  u64map_put(&api->lease_by_rv, r->rv, api->lease_regs.nr);
  return r;
}

void api_lease_renewed(struct api_lease_renewal *r, simtime at)
{
  SIM_ASSERT(r->active);
  SIM_ASSERT(!r->times.nr || r->times.v[r->times.nr - 1] < at);
  VEC_PUSH(&r->times, at);
}

simtime api_lease_upto(const struct api_lease_renewal *r)
{
  return r->times.nr ? r->times.v[r->times.nr - 1] : 0;
}

const struct object *api_lease_stop(struct api *api,
                                    struct api_lease_renewal *r)
{
  SIM_ASSERT(r->api == api && r->active);
  return freeze(r);
}

void api_lease_detach(struct api_lease_renewal *r)
{
  r->advance = NULL;
  r->end = NULL;
}

/* --- the server's side --------------------------------------------------- */

void api__lease_write(struct api *api, const char *ns, const char *name)
{
  const struct object *cur, *frozen;
  struct api_lease_renewal *r;

  if (!api->lease_active.nr || !name)
    return;
  cur = api__tree_get(&api->store[KIND_LEASE], ns, name);
  r = reg_of(api, cur);
  if (!r || !r->active)
    return;
  frozen = freeze(r);
  if (r->end)
    r->end(r->ctx, frozen);
}

void api__lease_fresh_all(struct api *api)
{
  for (size_t i = 0; i < api->lease_active.nr; i++) {
    struct api_lease_renewal *r = api->lease_active.v[i];
    const struct object *cur =
        api__tree_get(&api->store[KIND_LEASE], r->ns, r->name);
    if (reg_of(api, cur) == r)
      fresh(r, cur);
  }
}

const struct object *api__lease_fresh(struct api *api, const struct object *o)
{
  struct api_lease_renewal *r;

  if (!api->lease_active.nr)
    return o;
  r = reg_of(api, o);
  return r && r->active ? fresh(r, o) : o;
}

const struct object *api__lease_cached(const struct informer *inf,
                                       const struct object *o)
{
  struct api_lease_renewal *r = reg_of(inf->api, o);
  simtime at;
  size_t k;

  if (!r)
    return o;
  k = due(inf, r, o->u.lease.renew_time, &at);
  return k ? version(r, k) : o;
}

bool informer_lease_renewal(const struct informer *inf, const char *ns,
                            const char *name, simtime *renew_time,
                            simtime *delivered)
{
  const struct object *o;
  struct api_lease_renewal *r;
  size_t k;

  if (inf->kind != KIND_LEASE || !inf->api->lease_regs.nr || !name)
    return false;
  o = api__tree_get(&inf->cache, api__namespace(KIND_LEASE, ns), name);
  r = reg_of(inf->api, o);
  if (!r)
    return false;
  k = due(inf, r, o->u.lease.renew_time, delivered);
  if (!k)
    return false;
  *renew_time = r->times.v[k - 1];
  return true;
}

void informer_add_renewal_handler(struct informer *inf, informer_renewal_fn *fn,
                                  void *ctx)
{
  struct api__renewal_handler h = {fn, ctx};

  VEC_PUSH(&inf->rhandlers, h);
}

void api__lease_before_deliver(struct informer *inf, const char *ns,
                               const char *name)
{
  const struct object *o;
  struct api_lease_renewal *r;
  simtime at;
  size_t k;

  if (!inf->api->lease_regs.nr || !inf->rhandlers.nr)
    return;
  o = api__tree_get(&inf->cache, ns, name);
  r = reg_of(inf->api, o);
  if (!r)
    return;
  k = due(inf, r, o->u.lease.renew_time, &at);
  if (!k)
    return;
  for (size_t i = 0; i < inf->rhandlers.nr; i++)
    inf->rhandlers.v[i].fn(inf, ns, name, r->times.v[k - 1], at,
                           inf->rhandlers.v[i].ctx);
}

simtime api__lease_floor(struct informer *inf)
{
  struct api *api = inf->api;
  simtime f = inf->vfloor, lim;

  if (!api->lease_regs.nr)
    return f;
  lim = read_limit(api);
  for (size_t i = 0; i < api->lease_active.nr; i++) {
    struct api_lease_renewal *r = api->lease_active.v[i];
    advance(r, lim);
    if (r->times.nr) {
      simtime d = delivery(inf, r->times.v[r->times.nr - 1]);
      if (d > f)
        f = d;
    }
  }
  return f;
}

void api__lease_informer_init(struct informer *inf)
{
  struct api__seg s = {-1, inf->delay, 0};

  VEC_PUSH(&inf->segs, s);
}

void api__lease_set_delay(struct informer *inf, simtime delay)
{
  struct api__seg s = {engine_now(inf->api->engine), delay, inf->last_at};
  simtime f = api__lease_floor(inf);

  if (f > s.floor)
    s.floor = f;
  VEC_PUSH(&inf->segs, s);
}

void api__lease_relist(struct informer *inf)
{
  simtime now = engine_now(inf->api->engine);
  struct api__seg s = {now, inf->delay, now + inf->delay};

  VEC_PUSH(&inf->segs, s);
}

static void fault_start(struct engine *e, uint64_t subject, uint64_t arg,
                        void *ctx)
{
  struct api *api = ctx;
  const struct api__fault *f = &api->faults.v[subject];

  (void)e;
  (void)arg;
  /* Backwards: end() removes from the active list. */
  for (size_t i = api->lease_active.nr; i-- > 0;) {
    struct api_lease_renewal *r = api->lease_active.v[i];
    if (!fault_hits(f, r->who, engine_now(api->engine)))
      continue;
    api__lease_write(api, r->ns, r->name);
  }
}

void api__lease_fault_added(struct api *api, const struct api__fault *f)
{
  simtime now = engine_now(api->engine);

  if (f->until <= now || f->until <= f->from)
    return;
  if (f->from <= now) {
    fault_start(api->engine, (uint64_t)(f - api->faults.v), 0, api);
    return;
  }
  engine_schedule(api->engine, f->from, PHASE_FAULT, "lease-fault-window",
                  fault_start, (uint64_t)(f - api->faults.v), 0, api);
}

void api__lease_free(struct api *api)
{
  for (size_t i = 0; i < api->lease_regs.nr; i++)
    free(api->lease_regs.v[i]->times.v);
  free(api->lease_regs.v);
  free(api->lease_active.v);
  u64map_release(&api->lease_by_rv);
}
