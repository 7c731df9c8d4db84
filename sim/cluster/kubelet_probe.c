/*
 * kubelet_probe.c - readiness and startup probe workers
 * (pkg/kubelet/prober/worker.go), without an event per probe.
 *
 * A worker probes on a grid of periodSeconds that starts when the pod was
 * first synced (the prober's AddPod in the first SyncPod; status.startTime
 * here), skipping probes before startedAt + initialDelaySeconds. When a
 * container starts and has no startup probe, its readiness is also probed
 * once by hand at once (UpdatePodStatus triggers a manual run when there is
 * no result yet; with an initial delay that run is a no-op). A readiness
 * probe is held until the startup probe has succeeded.
 *
 * The result follows upstream's thresholds: it flips to Success after
 * successThreshold consecutive successes and to Failure after
 * failureThreshold consecutive failures; readiness starts at Failure.
 * Liveness probes are not modelled: the modelled applications never hang,
 * so a liveness probe would always pass.
 *
 * What a probe observes is piecewise constant (the app is up from its
 * start-up time; kubelets_set_app_ready() toggles it; the container starts
 * and exits). Callers bring a worker up to date before such a change
 * (kl__probe_catch_up) and re-plan after it (kl__probe_plan), which sets a
 * timer only for the probe at which the result flips or the first failure
 * of a streak is reported. Probes in between are accounted by counting
 * grid points, so an idle hour of probing costs nothing.
 *
 * Unhealthy events: upstream sends one per failed probe (aggregated by the
 * recorder into "xN"); here one is sent for the first failure of each
 * streak of failures, a simplification that keeps idle failing probes
 * free. The message assumes an HTTP probe ("HTTP probe failed with
 * statuscode: 503"); the probe handler is not modelled.
 */
#include <string.h>

#include "kubelet_int.h"

enum { PW_READINESS = 1, PW_STARTUP = 2 };

/* What a probe of this worker observes at t. */
static bool observes(const struct kl_pod *kp, const struct kl_ctr *c,
                     const struct kl_probe *w, simtime t)
{
  if (w == &c->startup)
    return c->state == KC_RUNNING && t >= c->app_ready_at;
  return kl__app_ready(kp, c, t);
}

/* Whether t lies on the worker's grid (origin g0, period p). */
static bool on_grid(simtime g0, simtime p, simtime t)
{
  return t >= g0 && (t - g0) % p == 0;
}

/* Number of grid points g0 + k p (k >= 0) in [lo, hi]. */
static int64_t grid_count(simtime g0, simtime p, simtime lo, simtime hi)
{
  simtime first;

  if (hi < lo)
    return 0;
  first = kl__align(g0, p, lo);
  if (first > hi)
    return 0;
  return (hi - first) / p + 1;
}

static simtime period_of(const struct kl_probe *w)
{
  return SIM_SEC(w->spec->period_seconds > 0 ? w->spec->period_seconds : 10);
}

/* The manual probe counts when it is not also a grid tick. */
static bool manual_counts(const struct kl_pod *kp, const struct kl_probe *w,
                          simtime lo, simtime hi)
{
  return w->manual != SIMTIME_NEVER && w->manual >= lo && w->manual <= hi &&
         w->manual >= w->eligible &&
         !on_grid(kp->first_sync, period_of(w), w->manual);
}

/* Probes in (from, to]. */
static int64_t probe_count(const struct kl_pod *kp, const struct kl_probe *w,
                           simtime from, simtime to)
{
  simtime lo = from + 1;

  if (lo < w->eligible)
    lo = w->eligible;
  return grid_count(kp->first_sync, period_of(w), lo, to) +
         (manual_counts(kp, w, lo, to) ? 1 : 0);
}

/* The n-th probe (n >= 1) after `from`. */
static simtime probe_nth(const struct kl_pod *kp, const struct kl_probe *w,
                         simtime from, int64_t n)
{
  simtime p = period_of(w), lo = from + 1, g, m;

  if (lo < w->eligible)
    lo = w->eligible;
  g = kl__align(kp->first_sync, p, lo);
  m = manual_counts(kp, w, lo, SIMTIME_NEVER - 1) ? w->manual : SIMTIME_NEVER;
  for (;;) {
    simtime t = m < g ? m : g;
    if (--n <= 0)
      return t;
    if (t == m)
      m = SIMTIME_NEVER;
    else
      g += p;
  }
}

static int32_t threshold(const struct kl_probe *w, bool v)
{
  int32_t t = v ? w->spec->success_threshold : w->spec->failure_threshold;
  return t > 0 ? t : 1;
}

static const char *probe_name(const struct kl_ctr *c, const struct kl_probe *w)
{
  return w == &c->startup ? "Startup" : "Readiness";
}

/*
 * Accounts for the probes in (w->done, to], all of which observed the same
 * value. Returns true when the result flipped.
 */
static bool advance(struct kl_pod *kp, struct kl_ctr *c, struct kl_probe *w,
                    simtime to)
{
  int64_t n;
  bool v;

  if (to <= w->done)
    return false;
  if (!w->spec || w->eligible == SIMTIME_NEVER) {
    w->done = to;
    return false;
  }
  n = probe_count(kp, w, w->done, to);
  w->done = to;
  if (n == 0)
    return false;
  v = observes(kp, c, w, to);
  if (w->run > 0 && w->last == v)
    w->run = w->run + n > INT32_MAX / 2 ? INT32_MAX / 2 : w->run + (int32_t)n;
  else {
    w->last = v;
    w->run = n > INT32_MAX / 2 ? INT32_MAX / 2 : (int32_t)n;
  }
  if (v) {
    w->reported = false;
  } else if (!w->reported) {
    w->reported = true;
    kl__api_event(kp->node, kp->obj, EVENT_WARNING, "Unhealthy",
                  "%s probe failed: HTTP probe failed with statuscode: 503",
                  probe_name(c, w));
  }
  if ((!w->known || w->result != v) && w->run >= threshold(w, v)) {
    w->result = v;
    w->known = true;
    return true;
  }
  return false;
}

static void probe_timer_fn(struct engine *e, uint64_t subject, uint64_t arg,
                           void *ctx);

static void plan_one(struct kl_pod *kp, struct kl_ctr *c, struct kl_probe *w,
                     uint32_t what)
{
  struct kubelets *ks = kp->node->ks;
  simtime now = engine_now(ks->engine), at = SIMTIME_NEVER;
  bool v;

  kl__cancel(ks, &w->timer);
  if (!w->spec || w->eligible == SIMTIME_NEVER || c->state != KC_RUNNING)
    return;
  advance(kp, c, w, now - 1);
  v = observes(kp, c, w, now);
  if (!w->known || w->result != v) {
    int64_t need = threshold(w, v) - (w->run > 0 && w->last == v ? w->run : 0);
    at = probe_nth(kp, w, w->done, need < 1 ? 1 : need);
  }
  if (!v && !w->reported) {
    simtime first = probe_nth(kp, w, w->done, 1);
    if (first < at)
      at = first;
  }
  if (at == SIMTIME_NEVER)
    return;
  w->timer = kl__schedule(ks, at, "kubelet-probe", probe_timer_fn, kp,
                          (uint32_t)(c - kp->ctrs.v), what);
}

void kl__probe_plan(struct kl_pod *kp, struct kl_ctr *c)
{
  plan_one(kp, c, &c->startup, PW_STARTUP);
  plan_one(kp, c, &c->readiness, PW_READINESS);
}

void kl__probe_catch_up(struct kl_pod *kp, struct kl_ctr *c, simtime until)
{
  /* Probes before `until` cannot flip a result: a timer would have been
   * set for the one that does, and it has not fired later than now. */
  advance(kp, c, &c->startup, until - 1);
  advance(kp, c, &c->readiness, until - 1);
}

static void reset(struct kl_probe *w, const struct probe *spec, simtime now,
                  bool known)
{
  w->spec = spec && spec->set ? spec : NULL;
  w->result = false;
  w->known = known;
  w->last = false;
  w->run = 0;
  w->done = now - 1;
  w->eligible = SIMTIME_NEVER;
  w->manual = SIMTIME_NEVER;
  w->reported = false;
}

void kl__probe_start(struct kl_pod *kp, struct kl_ctr *c)
{
  struct kubelets *ks = kp->node->ks;
  simtime now = engine_now(ks->engine);

  kl__cancel(ks, &c->startup.timer);
  kl__cancel(ks, &c->readiness.timer);
  reset(&c->startup, &c->spec->startup, now, false);
  reset(&c->readiness, &c->spec->readiness, now, true);
  if (c->startup.spec) {
    c->started = false;
    c->startup.eligible = now + SIM_SEC(c->startup.spec->initial_delay_seconds);
  } else {
    c->started = true;
    if (c->readiness.spec) {
      c->readiness.eligible =
          now + SIM_SEC(c->readiness.spec->initial_delay_seconds);
      if (c->readiness.spec->initial_delay_seconds == 0)
        c->readiness.manual = now;
    }
  }
  /* Without a readiness probe a container is ready once started. */
  c->ready = !c->readiness.spec && c->started;
  /* The manual probe at the start runs now, in the same sync (no extra
   * status write for it). */
  if (c->readiness.manual == now && advance(kp, c, &c->readiness, now))
    c->ready = c->readiness.result && c->started;
  kl__probe_plan(kp, c);
}

void kl__probe_stop(struct kl_pod *kp, struct kl_ctr *c)
{
  struct kubelets *ks = kp->node->ks;

  kl__cancel(ks, &c->startup.timer);
  kl__cancel(ks, &c->readiness.timer);
  c->startup.eligible = SIMTIME_NEVER;
  c->readiness.eligible = SIMTIME_NEVER;
  c->readiness.result = false;
  c->startup.result = false;
  c->ready = false;
}

static void probe_timer_fn(struct engine *e, uint64_t subject, uint64_t arg,
                           void *ctx)
{
  struct kubelets *ks = ctx;
  struct kl_node *n = kl__node_by_index(ks, kl_arg_node(arg));
  struct kl_pod *kp = n ? kl__pod_find(n, subject) : NULL;
  uint32_t ci = kl_arg_item(arg);
  struct kl_ctr *c;
  simtime now = engine_now(e);

  if (!kp || ci >= kp->ctrs.nr)
    return;
  c = &kp->ctrs.v[ci];
  if (kl_arg_what(arg) == PW_STARTUP) {
    c->startup.timer = 0;
    if (!advance(kp, c, &c->startup, now)) {
      plan_one(kp, c, &c->startup, PW_STARTUP);
      return;
    }
    if (!c->startup.result) {
      kl__ctr_startup_failed(kp, c);
      return;
    }
    /* Started: the startup probe stops; readiness probes from the next
     * tick on (they see Started in the status after this sync). */
    c->started = true;
    c->startup.eligible = SIMTIME_NEVER;
    if (c->readiness.spec) {
      simtime e0 =
          c->started_at + SIM_SEC(c->readiness.spec->initial_delay_seconds);
      c->readiness.done = now;
      c->readiness.eligible = e0 > now + 1 ? e0 : now + 1;
      kl__probe_plan(kp, c);
    } else {
      c->ready = true;
    }
    kl__ctr_probe_changed(kp, c);
    return;
  }
  c->readiness.timer = 0;
  if (advance(kp, c, &c->readiness, now)) {
    c->ready = c->readiness.result && c->started;
    kl__ctr_probe_changed(kp, c);
  }
  plan_one(kp, c, &c->readiness, PW_READINESS);
}
