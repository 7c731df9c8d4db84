/*
 * index.c - the pod index: what a sync pass needs from the pod cache, kept
 * up to date by the pod and PVC handlers, so that a pass over a large set
 * whose pods are mostly settled costs O(what changed) instead of O(pods).
 *
 * Upstream's pass (§4) looks at every pod of the set, and so does the
 * reference implementation in sync.c and control.c. With the worker's
 * busy time modelled (CTL_SYNC_PER_POD per pod) a set of n replicas that
 * is scaling up is synced about once per n microseconds of virtual time,
 * so the whole scale-up costs O(n^2) pod visits: 10^8 at 10,000 replicas.
 * The index makes the same decisions without the visits:
 *
 *   - The pods whose controllerRef names a set uid are kept per uid, with
 *     what they contribute to the pass: a slot (ordinal - start) or the
 *     condemned list, the status counts (ready, and the revision label of
 *     every pod and of every pod not terminating), and per slot whether
 *     it is unavailable.
 *   - processReplica (control.c) is a function of the slot's pod, the
 *     claims of its ordinal in the PVC cache and the set's spec; a slot
 *     whose last processReplica had no effect at all (no request, Event,
 *     note or error, and it continued) is quiet, and a pass skips it
 *     until one of those inputs changes. Everything else runs as before,
 *     in the same order, so the requests, Events and notes are the same.
 *
 * A pass uses the index only when it describes the pass exactly: no
 * mutant, Kubernetes 1.31+ (the legacy failed-pod path rewrites slots),
 * minReadySeconds 0 (availability would depend on time), no orphan pod in
 * the cache (adoption), every indexed pod in the set's namespace,
 * matching its selector and name, with a parseable ordinal and no two on
 * one ordinal. Otherwise the pass walks the cache as before (sync.c).
 * The aggregates are brought up to date at the start of a pass: entries
 * changed since the last one are re-applied, and a change of what they
 * depend on in the set (name, selector, replicas, ordinals, templates,
 * retention policy, pod management policy) rebuilds them.
 */
#include <stdlib.h>
#include <string.h>

#include "controller_int.h"

/* --- bitmaps ---------------------------------------------------------------
 */

static size_t words(size_t n)
{
  return (n + 63) / 64;
}

static void bit_set(uint64_t *b, size_t i)
{
  b[i / 64] |= UINT64_C(1) << (i % 64);
}

static void bit_clear(uint64_t *b, size_t i)
{
  b[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

static bool bit_get(const uint64_t *b, size_t i)
{
  return (b[i / 64] >> (i % 64)) & 1;
}

size_t ctl__bits_next(const uint64_t *b, size_t n, size_t from)
{
  size_t w = from / 64;
  uint64_t x;

  if (from >= n)
    return n;
  x = b[w] & (~UINT64_C(0) << (from % 64));
  for (;;) {
    if (x) {
      size_t i = w * 64 + (size_t)__builtin_ctzll(x);
      return i < n ? i : n;
    }
    if (++w >= words(n))
      return n;
    x = b[w];
  }
}

/* The highest set bit in [lo, hi], or SIZE_MAX. */
static size_t bits_prev(const uint64_t *b, size_t lo, size_t hi)
{
  size_t w;
  uint64_t x;

  if (lo > hi)
    return SIZE_MAX;
  w = hi / 64;
  x = b[w] &
      (hi % 64 == 63 ? ~UINT64_C(0) : (UINT64_C(1) << (hi % 64 + 1)) - 1);
  for (;;) {
    if (x) {
      size_t i = w * 64 + 63 - (size_t)__builtin_clzll(x);
      return i >= lo ? i : SIZE_MAX;
    }
    if (w == 0 || w * 64 <= lo)
      return SIZE_MAX;
    x = b[--w];
  }
}

static size_t bits_count(const uint64_t *b, size_t n)
{
  size_t c = 0;

  for (size_t w = 0; w < words(n); w++)
    c += (size_t)__builtin_popcountll(b[w]);
  return c;
}

/* --- revision labels -------------------------------------------------------
 */

/* The count of label in t (0 if absent). */
static struct ctl__ilabel *label_slot(struct ctl__sidx *x, const char *label,
                                      bool add)
{
  for (size_t i = 0; i < x->labels.nr; i++) {
    struct ctl__ilabel *l = &x->labels.v[i];
    if (l->label == label || !strcmp(l->label, label))
      return l;
  }
  if (!add)
    return NULL;
  VEC_PUSH(&x->labels, ((struct ctl__ilabel){label, 0, 0}));
  return &x->labels.v[x->labels.nr - 1];
}

static void label_add(struct ctl__sidx *x, const char *label, bool nonterm,
                      int d)
{
  struct ctl__ilabel *l = label_slot(x, label, true);

  l->all += d;
  if (nonterm)
    l->nonterm += d;
  SIM_ASSERT(l->all >= 0 && l->nonterm >= 0);
}

/* --- entries ---------------------------------------------------------------
 */

static struct ctl__sidx *sidx_get(struct ctl *c, uint64_t uid, bool add)
{
  uint64_t i;
  struct ctl__sidx *x;

  if (u64map_get(&c->sidx_by_uid, uid, &i))
    return c->sidx.v[i];
  if (!add)
    return NULL;
  x = xcalloc(1, sizeof(*x));
  x->uid = uid;
  VEC_PUSH(&c->sidx, x);
  u64map_put(&c->sidx_by_uid, uid, c->sidx.nr - 1);
  return x;
}

static bool slot_unavailable(const struct ctl *c, const struct object *pod)
{
  /* minReadySeconds is 0 whenever the index is used */
  return ctl__is_unavailable(c->unavail_minor, pod, 0, 0);
}

static void need(struct ctl__sidx *x, int32_t slot)
{
  if (slot >= 0)
    bit_set(x->need, (size_t)slot);
}

/* Takes back what entry e contributed to the aggregates. */
static void unapply(struct ctl *c, struct ctl__sidx *x, struct ctl__ient *e)
{
  if (!e->applied)
    return;
  e->applied = false;
  if (e->bad)
    x->bad_nr--;
  x->ready_nr -= e->ready;
  label_add(x, e->label, !e->terminating, -1);
  if (e->slot >= 0) {
    struct ctl__slot *s = &x->slots[e->slot];
    if (e->dup) {
      x->dup_nr--;
    } else {
      if (x->dup_nr)
        x->stale = true; /* a loser should take the slot: rebuild */
      s->pod = NULL;
      bit_set(x->unavail, (size_t)e->slot);
      need(x, e->slot);
    }
  }
  if (e->condemned)
    x->condemned_nr--;
  e->slot = -1;
  e->dup = e->condemned = false;
  (void)c;
}

/* Adds what entry e contributes, for the set snapshot of x. */
static void apply(struct ctl *c, struct ctl__sidx *x, struct ctl__ient *e)
{
  const struct object *pod = e->pod;

  SIM_ASSERT(!e->applied);
  e->applied = true;
  e->slot = -1;
  e->dup = e->condemned = false;
  e->ord = ctl__ordinal(pod->meta.name);
  e->bad = strcmp(pod->meta.namespace_, x->ns) ||
           !selector_matches(&x->selector, &pod->meta.labels) ||
           !ctl__is_member(x->set, pod) || e->ord < 0;
  if (e->bad)
    x->bad_nr++;
  e->ready = ctl__is_running_and_ready(pod);
  x->ready_nr += e->ready;
  e->terminating = ctl__is_terminating(pod);
  e->label = ctl__pod_revision(pod);
  label_add(x, e->label, !e->terminating, 1);
  if (e->ord < 0)
    return;
  if (e->ord >= x->start && (int64_t)e->ord < (int64_t)x->start + x->replicas) {
    struct ctl__slot *s = &x->slots[e->ord - x->start];
    e->slot = e->ord - x->start;
    if (s->pod) {
      e->dup = true; /* web-1 and web-01: the full pass decides */
      x->dup_nr++;
      return;
    }
    s->pod = pod;
    if (slot_unavailable(c, pod))
      bit_set(x->unavail, (size_t)e->slot);
    else
      bit_clear(x->unavail, (size_t)e->slot);
    need(x, e->slot);
    return;
  }
  e->condemned = true;
  x->condemned_nr++;
  if (!e->in_cvec) {
    e->in_cvec = true;
    VEC_PUSH(&x->condemned, pod->meta.uid);
  }
}

static void mark_changed(struct ctl__sidx *x, struct ctl__ient *e)
{
  if (e->changed)
    return;
  e->changed = true;
  VEC_PUSH(&x->changed, e->pod->meta.uid);
}

static void entry_put(struct ctl *c, const struct object *pod, uint64_t ref)
{
  struct ctl__sidx *x = sidx_get(c, ref, true);
  uint64_t i;
  struct ctl__ient *e;

  if (u64map_get(&x->by_pod, pod->meta.uid, &i)) {
    e = &x->ent.v[i];
  } else {
    VEC_PUSH(&x->ent, ((struct ctl__ient){.slot = -1, .ord = -1}));
    u64map_put(&x->by_pod, pod->meta.uid, x->ent.nr - 1);
    e = &x->ent.v[x->ent.nr - 1];
  }
  e->pod = pod;
  mark_changed(x, e);
}

static void entry_del(struct ctl *c, uint64_t pod_uid, uint64_t ref)
{
  struct ctl__sidx *x = sidx_get(c, ref, false);
  uint64_t i;

  if (!x || !u64map_get(&x->by_pod, pod_uid, &i))
    return;
  unapply(c, x, &x->ent.v[i]);
  u64map_del(&x->by_pod, pod_uid);
  x->ent.v[i] = x->ent.v[--x->ent.nr];
  if (i < x->ent.nr)
    u64map_put(&x->by_pod, x->ent.v[i].pod->meta.uid, i);
}

/* The uid the pod's controllerRef names, or 0 for an orphan. */
static uint64_t ref_of(const struct object *pod)
{
  const struct owner_ref *r = meta_controller_ref(&pod->meta);

  return r ? r->uid : 0;
}

void ctl__index_pod(struct ctl *c, enum watch_type t, const struct object *old,
                    const struct object *now)
{
  uint64_t was, is;

  if (c->mut != CTL_MUT_NONE)
    return; /* mutant runs always take the full pass */
  was = old ? ref_of(old) : UINT64_MAX;
  is = t == WATCH_DELETED ? UINT64_MAX : ref_of(now);
  if (was == 0)
    c->idx_orphans--;
  if (is == 0)
    c->idx_orphans++;
  if (was != UINT64_MAX && was != 0 && was != is)
    entry_del(c, old->meta.uid, was);
  if (is != UINT64_MAX && is != 0)
    entry_put(c, now, is);
}

/* A claim named <template>-<set>-<ordinal> came, went or changed: the
 * slots of that ordinal are looked at again. */
void ctl__index_pvc(struct ctl *c, const struct object *pvc)
{
  int32_t ord = ctl__ordinal(pvc->meta.name);

  if (c->mut != CTL_MUT_NONE || ord < 0)
    return;
  for (size_t i = 0; i < c->sidx.nr; i++) {
    struct ctl__sidx *x = c->sidx.v[i];
    if (x->built && ord >= x->start &&
        (int64_t)ord < (int64_t)x->start + x->replicas)
      need(x, ord - x->start);
  }
}

static void sidx_free(struct ctl__sidx *x)
{
  u64map_release(&x->by_pod);
  free(x->ent.v);
  free(x->changed.v);
  free(x->labels.v);
  free(x->condemned.v);
  free(x->slots);
  free(x->unavail);
  free(x->need);
  free(x);
}

void ctl__index_clear(struct ctl *c)
{
  for (size_t i = 0; i < c->sidx.nr; i++)
    sidx_free(c->sidx.v[i]);
  free(c->sidx.v);
  memset(&c->sidx, 0, sizeof(c->sidx));
  u64map_release(&c->sidx_by_uid);
  c->idx_orphans = 0;
}

/* --- a pass ----------------------------------------------------------------
 */

/* Whether the aggregates of x were computed for this set. */
static bool same_snapshot(const struct ctl__sidx *x, const struct ctl *c,
                          const struct object *set)
{
  const struct statefulset_spec *sp = &set->u.sts.spec;

  (void)c;
  return x->built && !x->stale && x->set_name == set->meta.name &&
         x->ns == set->meta.namespace_ &&
         x->selector.match_labels.v == sp->selector.match_labels.v &&
         x->selector.match_labels.nr == sp->selector.match_labels.nr &&
         x->selector.exprs == sp->selector.exprs &&
         x->selector.exprs_nr == sp->selector.exprs_nr &&
         x->replicas == ctl__replicas(set) &&
         x->start == ctl__start_ordinal(set) &&
         x->vct == sp->volume_claim_templates &&
         x->vct_nr == sp->volume_claim_templates_nr &&
         x->when_scaled == sp->when_scaled &&
         x->when_deleted == sp->when_deleted &&
         x->pmp == sp->pod_management_policy;
}

/* Recomputes every aggregate of x for set. */
static void rebuild(struct ctl *c, struct ctl__sidx *x,
                    const struct object *set)
{
  const struct statefulset_spec *sp = &set->u.sts.spec;
  int32_t n = ctl__replicas(set);

  x->built = true;
  x->stale = false;
  x->set = set;
  x->set_name = set->meta.name;
  x->ns = set->meta.namespace_;
  x->selector = sp->selector;
  x->replicas = n;
  x->start = ctl__start_ordinal(set);
  x->vct = sp->volume_claim_templates;
  x->vct_nr = sp->volume_claim_templates_nr;
  x->when_scaled = sp->when_scaled;
  x->when_deleted = sp->when_deleted;
  x->pmp = sp->pod_management_policy;
  free(x->slots);
  free(x->unavail);
  free(x->need);
  x->slots = xcalloc((size_t)n + 1, sizeof(*x->slots));
  x->unavail = xcalloc(words((size_t)n) + 1, sizeof(*x->unavail));
  x->need = xcalloc(words((size_t)n) + 1, sizeof(*x->need));
  for (int32_t i = 0; i < n; i++) {
    x->slots[i] = (struct ctl__slot){NULL, x->start + i, false};
    bit_set(x->unavail, (size_t)i);
    bit_set(x->need, (size_t)i);
  }
  x->bad_nr = x->dup_nr = x->condemned_nr = 0;
  x->ready_nr = 0;
  x->labels.nr = 0;
  x->condemned.nr = 0;
  x->changed.nr = 0;
  for (size_t i = 0; i < x->ent.nr; i++) {
    struct ctl__ient *e = &x->ent.v[i];
    e->applied = e->changed = e->in_cvec = false;
    apply(c, x, e);
  }
}

/* Brings x up to date for set (a pass is about to read it). */
static void refresh(struct ctl *c, struct ctl__sidx *x,
                    const struct object *set)
{
  if (!same_snapshot(x, c, set)) {
    rebuild(c, x, set);
    return;
  }
  x->set = set;
  for (size_t k = 0; k < x->changed.nr; k++) {
    uint64_t i;
    struct ctl__ient *e;
    if (!u64map_get(&x->by_pod, x->changed.v[k], &i))
      continue; /* gone meanwhile */
    e = &x->ent.v[i];
    if (!e->changed)
      continue;
    e->changed = false;
    unapply(c, x, e);
    apply(c, x, e);
  }
  x->changed.nr = 0;
  if (x->stale)
    rebuild(c, x, set);
}

bool ctl__index_begin(struct ctl__pass *p)
{
  struct ctl *c = p->c;
  const struct object *set = p->set;
  struct ctl__sidx *x;

  p->idx = NULL;
  if (c->idx_off || c->mut != CTL_MUT_NONE || c->minor <= 30 ||
      set->u.sts.spec.min_ready_seconds != 0 || c->idx_orphans)
    return false;
  x = sidx_get(c, set->meta.uid, true);
  refresh(c, x, set);
  if (x->bad_nr || x->dup_nr)
    return false;
  p->idx = x;
  p->pods = NULL;
  p->pods_nr = x->ent.nr;
  return true;
}

/* D, E and F of pass_body from the index (see control.c). */
void ctl__index_slots(struct ctl__pass *p)
{
  struct ctl__sidx *x = p->idx;
  struct ctl *c = p->c;
  size_t n = (size_t)x->replicas, first;

  p->slots = x->slots;
  /* E: placeholders (always to be processed) at their revision */
  for (size_t i = ctl__bits_next(x->need, n, 0); i < n;
       i = ctl__bits_next(x->need, n, i + 1))
    if (!x->slots[i].pod)
      x->slots[i].at_update =
          ctl__placeholder_at_update(p, x->slots[i].ordinal);
  /* F: the condemned pods, by descending ordinal */
  c->condemned.nr = 0;
  {
    size_t keep = 0;
    for (size_t k = 0; k < x->condemned.nr; k++) {
      uint64_t i;
      struct ctl__ient *e;
      if (!u64map_get(&x->by_pod, x->condemned.v[k], &i))
        continue;
      e = &x->ent.v[i];
      if (!e->condemned) {
        e->in_cvec = false;
        continue;
      }
      x->condemned.v[keep++] = x->condemned.v[k];
      VEC_PUSH(&c->condemned, e->pod);
    }
    x->condemned.nr = keep;
    SIM_ASSERT(keep == x->condemned_nr);
  }
  p->condemned = c->condemned.v;
  p->condemned_nr = c->condemned.nr;
  first = ctl__bits_next(x->unavail, n, 0);
  p->has_first_unavail = first < n;
  p->first_unavail = first < n ? x->slots[first].pod : NULL;
}

/* Step C and K: the status counts of the claimed pods. */
void ctl__index_status(struct ctl__pass *p)
{
  struct ctl__sidx *x = p->idx;
  struct statefulset_status *s = &p->status;
  const struct ctl__ilabel *l;

  s->replicas = (int32_t)x->ent.nr;
  s->ready_replicas = (int32_t)x->ready_nr;
  s->available_replicas = (int32_t)x->ready_nr; /* minReadySeconds 0 */
  l = label_slot(x, p->cur_rev->meta.name, false);
  s->current_replicas = l ? l->nonterm : 0;
  l = label_slot(x, p->upd_rev->meta.name, false);
  s->updated_replicas = l ? l->nonterm : 0;
}

/* The live revision names of step N: every claimed pod's label. */
void ctl__index_labels(struct ctl__pass *p)
{
  struct ctl__sidx *x = p->idx;
  struct ctl *c = p->c;

  for (size_t i = 0; i < x->labels.nr; i++)
    if (x->labels.v[i].all > 0)
      VEC_PUSH(&c->names, x->labels.v[i].label);
}

/* Effects a processReplica call may have (none: quiet). */
static void effects(const struct ctl__pass *p, uint64_t out[4])
{
  size_t ev;

  api_events(p->c->api, &ev);
  out[0] = api_resource_version(p->c->api);
  out[1] = ev;
  out[2] = p->c->notes;
  out[3] = (uint64_t)p->err.nr;
}

bool ctl__index_run(struct ctl__pass *p, ctl__step_fn *fn)
{
  struct ctl__sidx *x = p->idx;
  size_t n = (size_t)x->replicas;
  size_t batch_end = 1, batch = 1, remaining = n;
  int errors = 0;

#ifdef SIM_PARANOID
  /* every slot, the quiet ones checked to be quiet indeed */
  for (size_t i = 0; i < n; i++) {
#else
  for (size_t i = ctl__bits_next(x->need, n, 0); i < n;
       i = ctl__bits_next(x->need, n, i + 1)) {
#endif
    uint64_t before[4], after[4];
    int rc;

#ifdef SIM_PARANOID
    if (!bit_get(x->need, i)) {
      effects(p, before);
      rc = fn(p, i);
      effects(p, after);
      SIM_ASSERT(rc == STEP_CONTINUE && !memcmp(before, after, sizeof(before)));
      continue;
    }
#endif
    if (!p->monotonic) {
      /* slowStartBatch: a batch with an error ends the walk */
      while (i >= batch_end) {
        if (errors)
          return true;
        remaining -= batch;
        batch = 2 * batch < remaining ? 2 * batch : remaining;
        if (batch > CTL_MAX_BATCH)
          batch = CTL_MAX_BATCH;
        batch_end += batch;
      }
    }
    effects(p, before);
    rc = fn(p, i);
    effects(p, after);
    if (rc == STEP_CONTINUE && !memcmp(before, after, sizeof(before)) &&
        x->slots[i].pod)
      bit_clear(x->need, i); /* quiet until an input changes */
    if (p->monotonic) {
      if (rc != STEP_CONTINUE)
        return true;
    } else if (rc == STEP_ERROR) {
      errors++;
    }
  }
  return errors > 0;
}

/* Step L when no replica is at an old revision (see rollout.c). */
int ctl__index_rolling_update(struct ctl__pass *p, bool *done)
{
  struct ctl__sidx *x = p->idx;
  const struct ctl__ilabel *l;
  size_t n = (size_t)x->replicas;
  int32_t update_min = p->set->u.sts.spec.partition;
  int64_t nonterm = 0;

  *done = false;
  if (p->cur_rev != p->upd_rev)
    return 0;
  for (size_t i = 0; i < x->labels.nr; i++)
    nonterm += x->labels.v[i].nonterm;
  l = label_slot(x, p->upd_rev->meta.name, false);
  if ((l ? l->nonterm : 0) != nonterm)
    return 0;
  *done = true;
  return ctl__rolling_update_settled(p, x->unavail, n, update_min);
}

/* The highest unavailable slot in [lo, n), or -1. */
int32_t ctl__index_last_unavailable(const uint64_t *unavail, size_t n,
                                    int32_t lo)
{
  size_t i;

  if (n == 0 || lo >= (int32_t)n)
    return -1;
  i = bits_prev(unavail, lo < 0 ? 0 : (size_t)lo, n - 1);
  return i == SIZE_MAX ? -1 : (int32_t)i;
}

size_t ctl__index_unavailable_count(const uint64_t *unavail, size_t n)
{
  return n ? bits_count(unavail, n) : 0;
}

/* An entry slot bit, for checks. */
bool ctl__index_need(const struct ctl__pass *p, size_t i)
{
  return bit_get(p->idx->need, i);
}
