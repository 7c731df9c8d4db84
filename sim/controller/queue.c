/*
 * queue.c - the controller's work queue (client-go workqueue semantics,
 * reference §3.1 and §9) on the virtual clock.
 *
 * A key that is added while it waits is not added twice. Because a sync
 * runs to completion inside one engine event, a key is never processed by
 * two workers at once and never re-added while being processed; the five
 * workers of kube-controller-manager (--concurrent-statefulset-syncs) are
 * therefore not modelled one by one: every key's sync runs CTL_SYNC_DELAY
 * after its Add (a simplification: no key waits for a busy worker).
 *
 * AddAfter keeps the earliest pending time per key (the delaying queue's
 * waitingForQueue). AddRateLimited = AddAfter(max(per-item exponential
 * 5 ms * 2^n capped at 1000 s, overall token bucket 10 qps burst 100)),
 * as workqueue.DefaultControllerRateLimiter; Forget resets the per-item
 * count.
 */
#include <string.h>

#include "controller_int.h"

static void process_cb(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct ctl *c = ctx;
  struct ctl_key *k = &c->keys.v[subject];

  (void)e;
  (void)arg;
  k->process_ev = 0;
  if (c->stopped || !k->dirty)
    return;
  k->dirty = false;
  ctl__process(c, (size_t)subject);
  /* the worker stays on this key for a while (ctl__process sets it) */
}

static void schedule_process(struct ctl *c, size_t key)
{
  struct ctl_key *k = &c->keys.v[key];

  simtime at = engine_now(c->engine) + CTL_SYNC_DELAY;

  if (k->process_ev)
    return;
  if (at < k->busy_until)
    at = k->busy_until; /* re-run once the worker is done with it */
  k->process_ev = engine_schedule(c->engine, at, PHASE_CONTROLLER, "sts-sync",
                                  process_cb, key, 0, c);
}

size_t ctl__key(struct ctl *c, const char *ns, const char *name)
{
  struct ctl_key k = {0};

  for (size_t i = 0; i < c->keys.nr; i++)
    if (!strcmp(c->keys.v[i].name, name) && !strcmp(c->keys.v[i].ns, ns))
      return i;
  k.ns = arena_strdup(c->arena, ns);
  k.name = arena_strdup(c->arena, name);
  k.obj = arena_printf(c->arena, "StatefulSet/%s", name);
  VEC_PUSH(&c->keys, k);
  return c->keys.nr - 1;
}

void ctl__queue_add(struct ctl *c, size_t key)
{
  struct ctl_key *k = &c->keys.v[key];

  if (c->stopped || k->dirty)
    return;
  k->dirty = true;
  if (c->started)
    schedule_process(c, key);
}

static void after_cb(struct engine *e, uint64_t subject, uint64_t arg,
                     void *ctx)
{
  struct ctl *c = ctx;

  (void)e;
  (void)arg;
  c->keys.v[subject].after_ev = 0;
  ctl__queue_add(c, (size_t)subject);
}

void ctl__queue_add_after(struct ctl *c, size_t key, simtime d)
{
  struct ctl_key *k = &c->keys.v[key];
  simtime at = engine_now(c->engine) + d;

  if (c->stopped)
    return;
  if (d <= 0) {
    ctl__queue_add(c, key);
    return;
  }
  if (k->after_ev) {
    if (k->after_at <= at)
      return;
    engine_cancel(c->engine, k->after_ev);
  }
  k->after_at = at;
  k->after_ev = engine_schedule(c->engine, at, PHASE_CONTROLLER, "sts-requeue",
                                after_cb, key, 0, c);
}

/* The token bucket's wait for one more token (rate.Limiter.Reserve). */
static simtime bucket_wait(struct ctl *c)
{
  const simtime per = SIM_SEC(1) / CTL_BUCKET_QPS;
  simtime now = engine_now(c->engine);

  c->bucket_credit += now - c->bucket_last;
  if (c->bucket_credit > per * CTL_BUCKET_BURST)
    c->bucket_credit = per * CTL_BUCKET_BURST;
  c->bucket_last = now;
  c->bucket_credit -= per;
  return c->bucket_credit < 0 ? -c->bucket_credit : 0;
}

void ctl__queue_add_rate_limited(struct ctl *c, size_t key)
{
  struct ctl_key *k = &c->keys.v[key];
  simtime backoff = CTL_BACKOFF_MAX;
  simtime bucket;

  if (k->failures < 40) {
    backoff = CTL_BACKOFF_BASE << k->failures;
    if (backoff > CTL_BACKOFF_MAX)
      backoff = CTL_BACKOFF_MAX;
  }
  k->failures++;
  bucket = bucket_wait(c);
  ctl__queue_add_after(c, key, backoff > bucket ? backoff : bucket);
}

void ctl__queue_forget(struct ctl *c, size_t key)
{
  c->keys.v[key].failures = 0;
}

void ctl__queue_start(struct ctl *c)
{
  c->started = true;
  for (size_t i = 0; i < c->keys.nr; i++)
    if (c->keys.v[i].dirty)
      schedule_process(c, i);
}

void ctl__queue_reset(struct ctl *c)
{
  for (size_t i = 0; i < c->keys.nr; i++) {
    struct ctl_key *k = &c->keys.v[i];
    if (k->process_ev)
      engine_cancel(c->engine, k->process_ev);
    if (k->after_ev)
      engine_cancel(c->engine, k->after_ev);
    k->process_ev = k->after_ev = 0;
    k->busy_until = 0;
    k->dirty = false;
    k->failures = 0;
    k->last_note = 0;
    k->want_pod_rv = k->want_pvc_rv = 0;
    k->rywo_waiting = false;
  }
  c->rywo_waiting_nr = 0;
  c->started = false;
  c->bucket_credit = (SIM_SEC(1) / CTL_BUCKET_QPS) * CTL_BUCKET_BURST;
  c->bucket_last = engine_now(c->engine);
}

void ctl__queue_rywo_check(struct ctl *c)
{
  if (!c->rywo_waiting_nr)
    return;
  for (size_t i = 0; i < c->keys.nr; i++) {
    struct ctl_key *k = &c->keys.v[i];
    if (!k->rywo_waiting || c->pod_rv_seen < k->want_pod_rv ||
        c->pvc_rv_seen < k->want_pvc_rv)
      continue;
    k->rywo_waiting = false;
    c->rywo_waiting_nr--;
    ctl__queue_add(c, i);
  }
}
