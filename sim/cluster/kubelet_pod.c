/*
 * kubelet_pod.c - the pod worker of a kubelet (cluster-behaviour.md 3):
 * admission, WaitForAttachAndMount, the sandbox and its IP, image pulls,
 * container starts, the application's writes, restarts with
 * CrashLoopBackOff, termination, the terminal phase, the pod status and
 * the final delete.
 *
 * Life of a pod incarnation (one struct kl_pod per uid):
 *   admission -> first sync (status: Pending, ContainerCreating,
 *   startTime, hostIP) -> KP_WAIT_VOLUMES (volume manager mounts; the
 *   worker polls every 300 ms, gives up after podAttachAndMountTimeout and
 *   syncs again after a back-off) -> sandbox (truth_pod_start, a new IP)
 *   -> containers one by one, init containers first: image pull (or
 *   "already present"), then Created/Started after a podStartup latency ->
 *   KP_RUNNING -> on deletion KP_TERMINATING (SIGTERM; the app exits within
 *   0-1 s, or is killed when the grace period ends) -> sandbox stopped,
 *   terminal phase written (1.27+) -> KP_TEARDOWN (volumes unmounted) ->
 *   final delete with grace 0 and the uid precondition -> KP_FINISHED.
 *
 * Simplifications (each also noted where it is made):
 *   - the sandbox's own start-up time is folded into the container start
 *     latency; status.podIP is shown once a container has started, which
 *     is when a real status update would first carry it;
 *   - init containers complete at once when started (unless their image
 *     crashes); restartable init containers (sidecars) and preStop hooks
 *     are not modelled; only app containers appear in containerStatuses;
 *   - a restart after a back-off starts the container at the end of the
 *     back-off (create and start time folded into it);
 *   - the kill grace starts when the kubelet sees the deletion, with the
 *     2 s minimum of the runtime; the app exits 0 on SIGTERM, or with 137
 *     if killed at the end of the grace period;
 *   - API writes are served at once; the status manager retries a failed
 *     write, and re-posts a status someone else changed, at its next 10 s
 *     sync tick.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet_int.h"
#include "mutants.h"

/* Graceful node shutdown (cluster-behaviour.md 2.6, 8). */
#define KL_SHUTDOWN_REASON "Terminated"
#define KL_SHUTDOWN_MESSAGE                                                    \
  "Pod was terminated in response to imminent node shutdown."
#define KL_SHUTDOWN_REJECT "Pod was rejected as the node is shutting down."

/* The application exits this long after SIGTERM at most (uniform 0-1 s):
 * a database that flushes and stops promptly. */
#define KL_APP_EXIT_MAX SIM_SEC(1)
/* pod_workers.go: a failed sync is retried after 10 s with 0.5 jitter. */
#define KL_SYNC_BACKOFF SIM_SEC(10)
#define KL_SYNC_JITTER 0.5
/* status_manager.go: syncPeriod of the status manager. */
#define KL_STATUS_SYNC SIM_SEC(10)

static void pod_timer_fn(struct engine *e, uint64_t subject, uint64_t arg,
                         void *ctx);
static void ctr_timer_fn(struct engine *e, uint64_t subject, uint64_t arg,
                         void *ctx);
static void api_timer_fn(struct engine *e, uint64_t subject, uint64_t arg,
                         void *ctx);
static void pod_check_stopped(struct kl_pod *kp);
static void pod_start_next(struct kl_pod *kp);
static void pod_terminate(struct kl_pod *kp);

/* --- allocation ---------------------------------------------------------- */

static struct kl_pod *pod_new(struct kl_node *n, const struct object *o)
{
  struct kubelets *ks = n->ks;
  struct kl_pod *kp;

  if (ks->free_pods.nr) {
    kp = ks->free_pods.v[--ks->free_pods.nr];
    /* Keep the arrays' storage: pods come and go all run long. */
    struct kl_ctr *cv = kp->ctrs.v;
    size_t ca = kp->ctrs.alloc;
    struct kl_vol *vv = kp->vols.v;
    size_t va = kp->vols.alloc;
    memset(kp, 0, sizeof(*kp));
    kp->ctrs.v = cv;
    kp->ctrs.alloc = ca;
    kp->vols.v = vv;
    kp->vols.alloc = va;
  } else {
    kp = xcalloc(1, sizeof(*kp));
  }
  kp->node = n;
  kp->uid = o->meta.uid;
  kp->obj = o;
  kp->first_sync = SIMTIME_NEVER;
  kp->wait_start = SIMTIME_NEVER;
  VEC_PUSH(&n->pods, kp);
  return kp;
}

static void ip_free(struct kl_pod *kp)
{
  struct kl_node *n = kp->node;

  if (kp->ip_host > 0)
    n->ip_used[kp->ip_host / 8] &= (uint8_t) ~(1u << (kp->ip_host % 8));
  kp->ip_host = 0;
}

/* Cancels kp's timers and returns it to the pool; the caller removes it
 * from its node's list. */
static void pod_release(struct kl_pod *kp)
{
  struct kubelets *ks = kp->node->ks;

  kl__vol_unwait(kp);
  kl__cancel(ks, &kp->timer);
  kl__cancel(ks, &kp->api_timer);
  for (size_t i = 0; i < kp->ctrs.nr; i++) {
    kl__cancel(ks, &kp->ctrs.v[i].timer);
    kl__cancel(ks, &kp->ctrs.v[i].readiness.timer);
    kl__cancel(ks, &kp->ctrs.v[i].startup.timer);
  }
  for (size_t i = 0; i < kp->vols.nr; i++)
    kl__cancel(ks, &kp->vols.v[i].timer);
  ip_free(kp);
  VEC_PUSH(&ks->free_pods, kp);
}

static void pod_free(struct kl_pod *kp)
{
  struct kl_node *n = kp->node;

  pod_release(kp);
  for (size_t i = 0; i < n->pods.nr; i++) {
    if (n->pods.v[i] == kp) {
      memmove(&n->pods.v[i], &n->pods.v[i + 1],
              (n->pods.nr - i - 1) * sizeof(n->pods.v[0]));
      n->pods.nr--;
      break;
    }
  }
}

void kl__pods_free(struct kubelets *ks, struct kl_node *n)
{
  (void)ks;
  for (size_t i = 0; i < n->pods.nr; i++) {
    free(n->pods.v[i]->ctrs.v);
    free(n->pods.v[i]->vols.v);
    free(n->pods.v[i]);
  }
  n->pods.nr = 0;
}

void kl__pod_pool_free(struct kubelets *ks)
{
  for (size_t i = 0; i < ks->free_pods.nr; i++) {
    free(ks->free_pods.v[i]->ctrs.v);
    free(ks->free_pods.v[i]->vols.v);
    free(ks->free_pods.v[i]);
  }
  free(ks->free_pods.v);
}

/* --- small helpers ------------------------------------------------------- */

static bool streq(const char *a, const char *b)
{
  if (!a || !b)
    return a == b;
  return !strcmp(a, b);
}

static simtime now_of(const struct kl_pod *kp)
{
  return engine_now(kp->node->ks->engine);
}

static const struct image_decl *image_of(struct kubelets *ks, const char *img)
{
  const struct scenario *s = ks->env.s;

  for (size_t i = 0; img && i < s->images_nr; i++)
    if (s->images[i].image && !strcmp(s->images[i].image, img))
      return &s->images[i];
  return NULL;
}

static bool crashes(const struct kl_ctr *c)
{
  return c->image && c->image->crashes;
}

static simtime startup_of(const struct kl_ctr *c)
{
  if (c->image && c->image->startup != SIMTIME_NEVER && c->image->startup > 0)
    return c->image->startup;
  return 0;
}

bool kl__app_ready(const struct kl_pod *kp, const struct kl_ctr *c, simtime t)
{
  return c->state == KC_RUNNING && !(c->image && c->image->never_ready) &&
         t >= c->app_ready_at && !kp->app_unready;
}

/* The default imagePullPolicy: Always for ":latest" or no tag (a digest
 * reference is IfNotPresent), else IfNotPresent. */
static bool pull_always(const char *image)
{
  const char *slash, *colon;

  if (!image || strchr(image, '@'))
    return false;
  slash = strrchr(image, '/');
  colon = strrchr(slash ? slash : image, ':');
  return !colon || !strcmp(colon + 1, "latest");
}

static bool image_present(const struct kl_node *n, const char *image)
{
  for (size_t i = 0; i < n->images.nr; i++)
    if (!strcmp(n->images.v[i], image))
      return true;
  return false;
}

static void image_add(struct kl_node *n, const char *image)
{
  if (!image_present(n, image))
    VEC_PUSH(&n->images, image);
}

/*
 * The serialized image puller (serializeImagePulls, the default): a pull
 * starts when the previous one ended. A container asking for an image
 * whose pull is already in flight waits for that pull instead.
 */
static simtime pull_done_at(struct kl_node *n, const char *image, simtime now,
                            simtime *began)
{
  size_t w = 0;
  struct kl_pull p;

  for (size_t i = 0; i < n->pulls.nr; i++)
    if (n->pulls.v[i].done > now)
      n->pulls.v[w++] = n->pulls.v[i];
  n->pulls.nr = w;
  for (size_t i = 0; i < n->pulls.nr; i++) {
    if (!strcmp(n->pulls.v[i].image, image)) {
      *began = now;
      return n->pulls.v[i].done;
    }
  }
  *began = n->pull_free > now ? n->pull_free : now;
  p.image = image;
  p.done = *began + kl__latency(n, TIMING_IMAGE_PULL);
  n->pull_free = p.done;
  VEC_PUSH(&n->pulls, p);
  return p.done;
}

/* The next free pod IP of the node: 10.<244 + index / 256>.<index % 256>.h
 * with h in 2..254, never one a live sandbox holds. */
static void ip_alloc(struct kl_pod *kp)
{
  struct kl_node *n = kp->node;

  for (int k = 0; k < 253; k++) {
    int h = n->ip_next;
    n->ip_next = h >= 254 ? 2 : h + 1;
    if (n->ip_used[h / 8] & (1u << (h % 8)))
      continue;
    n->ip_used[h / 8] |= (uint8_t)(1u << (h % 8));
    kp->ip_host = h;
    kp->ip = arena_printf(n->ks->arena, "10.%u.%u.%d", 244 + n->index / 256,
                          n->index % 256, h);
    return;
  }
  SIM_BUG("node %s has no free pod IP", n->name);
}

static void format_ms(simtime t, char *buf, size_t len)
{
  sim_format_duration(t - t % SIM_MS(1), buf, len); /* Truncate(ms) */
}

/* --- the truth: the sandbox, the application and its writes -------------- */

void kl__pod_sync_truth(struct kl_pod *kp)
{
  simtime now = now_of(kp);
  bool running = false, ready = true;

  if (!kp->sandbox)
    return;
  for (size_t i = kp->n_init; i < kp->ctrs.nr; i++) {
    const struct kl_ctr *c = &kp->ctrs.v[i];
    running |= c->state == KC_RUNNING;
    ready &= kl__app_ready(kp, c, now);
  }
  ready &= running;
  if (running == kp->truth_running && ready == kp->truth_ready)
    return;
  kp->truth_running = running;
  kp->truth_ready = ready;
  truth_pod_set(kp->node->ks->env.truth, kp->uid, running, ready);
}

/* The app of c writes to every claim it mounts read-write while it runs. */
static void writers(struct kl_pod *kp, struct kl_ctr *c, bool start)
{
  struct truth *t = kp->node->ks->env.truth;
  simtime now = now_of(kp);

  for (size_t i = 0; i < c->spec->volume_mounts.nr; i++) {
    struct kl_vol *v = kl__vol_by_name(kp, c->spec->volume_mounts.v[i]);
    if (!v || v->state != KV_MOUNTED || v->spec->read_only)
      continue;
    if (start && v->writers++ == 0)
      truth_writer_start(t, v->pv, kp->obj->meta.name, kp->uid, now);
    else if (!start && v->writers > 0 && --v->writers == 0)
      truth_writer_stop(t, v->pv, kp->uid, now);
  }
}

/* --- the pod status ------------------------------------------------------ */

/* getPhase (kubelet_pods.go) for a pod that is not terminal. */
static enum pod_phase live_phase(const struct kl_pod *kp)
{
  int running = 0, waiting = 0, stopped = 0, succeeded = 0;

  if (kp->next < kp->n_init && kp->state < KP_RUNNING)
    return POD_PENDING; /* init containers still to complete */
  for (size_t i = kp->n_init; i < kp->ctrs.nr; i++) {
    const struct kl_ctr *c = &kp->ctrs.v[i];
    if (c->state == KC_RUNNING) {
      running++;
    } else if (c->state == KC_EXITED || c->ever_exited) {
      stopped++; /* a waiting container with a last termination counts */
      succeeded += c->exit_code == 0;
    } else {
      waiting++;
    }
  }
  if (waiting > 0)
    return POD_PENDING;
  if (running > 0)
    return POD_RUNNING;
  if (stopped > 0) {
    switch (kp->obj->u.pod.spec.restart_policy) {
    case RESTART_ALWAYS:
      return POD_RUNNING;
    case RESTART_NEVER:
      return stopped == succeeded ? POD_SUCCEEDED : POD_FAILED;
    case RESTART_ON_FAILURE:
      return stopped == succeeded ? POD_SUCCEEDED : POD_RUNNING;
    }
  }
  return POD_PENDING;
}

/* The phase of a pod whose containers will not run again (1.27+):
 * Succeeded if every container ended with 0, else Failed. */
static enum pod_phase terminal_phase(const struct kl_pod *kp)
{
  int stopped = 0, succeeded = 0;

  if (kp->rejected)
    return POD_FAILED;
  for (size_t i = 0; i < kp->n_init; i++)
    if (kp->next <= i)
      return POD_FAILED; /* initialization never finished */
  for (size_t i = kp->n_init; i < kp->ctrs.nr; i++) {
    const struct kl_ctr *c = &kp->ctrs.v[i];
    if (!c->ever_exited)
      return POD_FAILED; /* never ran */
    stopped++;
    succeeded += c->exit_code == 0;
  }
  return stopped > 0 && stopped == succeeded ? POD_SUCCEEDED : POD_FAILED;
}

static void names_of(const struct kl_pod *kp, size_t from, size_t to,
                     bool (*pick)(const struct kl_ctr *), char *buf, size_t len)
{
  size_t at = 1;

  snprintf(buf, len, "[");
  for (size_t i = from; i < to; i++) {
    if (!pick(&kp->ctrs.v[i]))
      continue;
    int k = snprintf(buf + at, len - at, "%s%s", at > 1 ? " " : "",
                     kp->ctrs.v[i].spec->name);
    if (k > 0 && (size_t)k < len - at)
      at += (size_t)k;
  }
  snprintf(buf + at, len - at, "]");
}

static bool ctr_unready(const struct kl_ctr *c)
{
  return !(c->state == KC_RUNNING && c->ready);
}

static bool ctr_uninitialized(const struct kl_ctr *c)
{
  return !(c->state == KC_EXITED && c->exit_code == 0);
}

/* Sets *dst from the wanted values, keeping cur's transition time when the
 * status did not change (status_manager's updateLastTransitionTime). */
static void cond_set(struct condition *dst, const struct condition *cur,
                     enum cond_status st, const char *reason, const char *msg,
                     simtime now)
{
  if (cur->status == st && streq(cur->reason, reason) &&
      streq(cur->message, msg)) {
    *dst = *cur;
    return;
  }
  dst->status = st;
  dst->last_transition_time =
      cur->status == st ? cur->last_transition_time : now;
  dst->reason = reason;
  dst->message = msg;
}

static const char *keep(struct arena *a, const char *s, const char *buf)
{
  return s == buf ? arena_strdup(a, buf) : s;
}

/* Fills s's conditions and container statuses from the kubelet's state. */
static void build_status(struct kl_pod *kp, const struct pod_status *cur,
                         struct pod_status *s, char *init_msg, size_t ilen,
                         char *ready_msg, size_t rlen)
{
  struct kubelets *ks = kp->node->ks;
  simtime now = now_of(kp);
  bool all_ready = true;
  const char *reason = NULL, *msg = NULL;
  char names[200];

  s->phase = kp->terminal ? kp->final_phase : live_phase(kp);
  s->reason = NULL;
  s->message = NULL;
  if (kp->shutdown) {
    /* The shutdown manager's podStatusFn (nodeshutdown). The
     * DisruptionTarget condition (TerminationByKubelet) it also adds is
     * not modelled: pod_status has no such condition. */
    s->reason = KL_SHUTDOWN_REASON;
    s->message = KL_SHUTDOWN_MESSAGE;
  }
  s->host_ip = kp->node->host_ip;
  s->pod_ip = kp->ip_shown ? kp->ip : NULL;
  s->start_time = kp->first_sync;

  if (kp->next >= kp->n_init || kp->state >= KP_RUNNING) {
    cond_set(&s->initialized, &cur->initialized, COND_TRUE, NULL, NULL, now);
  } else {
    names_of(kp, 0, kp->n_init, ctr_uninitialized, names, sizeof(names));
    snprintf(init_msg, ilen, "containers with incomplete status: %s", names);
    cond_set(&s->initialized, &cur->initialized, COND_FALSE,
             "ContainersNotInitialized", init_msg, now);
  }

  ks->scratch.nr = 0;
  for (size_t i = kp->n_init; i < kp->ctrs.nr; i++) {
    const struct kl_ctr *c = &kp->ctrs.v[i];
    struct container_status cs = {.name = c->spec->name,
                                  .restart_count = c->restarts};
    switch (c->state) {
    case KC_WAITING:
      cs.state = CSTATE_WAITING;
      cs.reason = c->reason ? c->reason : "ContainerCreating";
      break;
    case KC_RUNNING:
      cs.state = CSTATE_RUNNING;
      cs.ready = c->ready && !kp->terminal;
      cs.started_at = c->started_at;
      break;
    case KC_EXITED:
      cs.state = CSTATE_TERMINATED;
      cs.reason = c->reason;
      cs.started_at = c->started_at;
      break;
    }
    all_ready &= cs.ready;
    VEC_PUSH(&ks->scratch, cs);
  }
  s->containers = ks->scratch.v;
  s->containers_nr = ks->scratch.nr;

  if (kp->terminal) {
    reason = "PodCompleted";
  } else if (!all_ready) {
    names_of(kp, kp->n_init, kp->ctrs.nr, ctr_unready, names, sizeof(names));
    snprintf(ready_msg, rlen, "containers with unready status: %s", names);
    reason = "ContainersNotReady";
    msg = ready_msg;
  }
  enum cond_status rs = all_ready && !kp->terminal ? COND_TRUE : COND_FALSE;
  cond_set(&s->containers_ready, &cur->containers_ready, rs, reason, msg, now);
  cond_set(&s->ready, &cur->ready, rs, reason, msg, now);
}

static bool patch_pod_status(struct object *o, void *ctx)
{
  struct kl_pod *kp = ctx;
  struct kubelets *ks = kp->node->ks;
  const struct pod_status *cur = &o->u.pod.status;
  struct pod_status s = *cur; /* PodScheduled and the rest are kept */
  char init_msg[256] = "", ready_msg[256] = "", rej_msg[600] = "";
  struct object tmp;

  if (kp->rejected) {
    /* rejectPod: phase, reason and message only. */
    s.phase = POD_FAILED;
    s.reason = kp->reject_reason;
    snprintf(rej_msg, sizeof(rej_msg), "Pod was rejected: %s",
             kp->reject_message);
    s.message = streq(cur->message, rej_msg) ? cur->message : rej_msg;
  } else {
    build_status(kp, cur, &s, init_msg, sizeof(init_msg), ready_msg,
                 sizeof(ready_msg));
  }
  tmp = *o;
  tmp.u.pod.status = s;
  if (object_status_digest(&tmp) == object_status_digest(o))
    return false;
  s.message = keep(ks->arena, s.message, rej_msg);
  s.initialized.message = keep(ks->arena, s.initialized.message, init_msg);
  s.containers_ready.message =
      keep(ks->arena, s.containers_ready.message, ready_msg);
  s.ready.message = keep(ks->arena, s.ready.message, ready_msg);
  if (!kp->rejected)
    s.containers = arena_memdup(ks->arena, ks->scratch.v,
                                (ks->scratch.nr ? ks->scratch.nr : 1) *
                                    sizeof(ks->scratch.v[0]));
  o->u.pod.status = s;
  return true;
}

/*
 * After a 409 on a write with a uid precondition: was the pod really
 * replaced (another uid, or gone), or was it a conflict for another reason
 * (an injected one, a racing writer)? The status manager does a live GET
 * before each sync, as upstream's syncPod does; only a replaced pod ends
 * the kubelet's business with it - anything else is retried.
 */
static bool pod_replaced(struct kl_pod *kp)
{
  const struct object *cur =
      api_get(kp->node->ks->api, KIND_POD, kp->obj->meta.namespace_,
              kp->obj->meta.name);

  return !cur || cur->meta.uid != kp->obj->meta.uid;
}

static bool write_status(struct kl_pod *kp)
{
  enum api_status st;

  if (kp->gone)
    return true;
  st = kl__api_pod_status(kp->node, kp->obj, patch_pod_status, kp);
  /* Gone or replaced by a pod with another uid: nothing to report. */
  return st == API_OK || st == API_NOT_FOUND ||
         (st == API_CONFLICT && pod_replaced(kp));
}

/* The status manager's syncBatch runs every 10 s from the kubelet's start:
 * failed writes are retried, and statuses others changed reconciled, then. */
static void api_retry_later(struct kl_pod *kp)
{
  struct kubelets *ks = kp->node->ks;
  simtime at = kl__align(kp->node->t0, KL_STATUS_SYNC, now_of(kp) + 1);

  if (kp->api_timer)
    return;
  kp->api_timer =
      kl__schedule(ks, at, "kubelet-status-sync", api_timer_fn, kp, 0, 0);
}

/*
 * needsReconcile: whether the API's pod status disagrees with what this
 * kubelet reports, in the fields others overwrite (the node lifecycle
 * controller marks the pods of an unreachable node not ready).
 */
static bool status_differs(const struct kl_pod *kp, const struct object *o)
{
  const struct pod_status *s = &o->u.pod.status;
  bool ready = !kp->terminal;

  if (kp->first_sync == SIMTIME_NEVER)
    return false;
  if (kp->rejected)
    return s->phase != POD_FAILED;
  for (size_t i = kp->n_init; i < kp->ctrs.nr; i++)
    ready &= kp->ctrs.v[i].state == KC_RUNNING && kp->ctrs.v[i].ready;
  return s->phase != (kp->terminal ? kp->final_phase : live_phase(kp)) ||
         (s->ready.status == COND_TRUE) != ready;
}

/*
 * The status manager: write the status; once the pod is finished and
 * deleting, the final delete (status_manager canBeDeleted: terminal,
 * containers and volumes cleaned up).
 */
static void pod_api_sync(struct kl_pod *kp)
{
  enum api_status st;

  if (kp->gone)
    return;
  if (!write_status(kp)) {
    api_retry_later(kp);
    return;
  }
  if (kp->state != KP_FINISHED || !kp->deleting || kp->final_deleted)
    return;
  st = kl__api_pod_final_delete(kp->node, kp->obj);
  if (st == API_OK || st == API_NOT_FOUND ||
      (st == API_CONFLICT && pod_replaced(kp))) {
    kp->final_deleted = true;
    kl__note(kp, "Deleted",
             "kubelet on %s: containers stopped and volumes unmounted; final "
             "delete (grace 0, uid precondition): %s",
             kp->node->name, api_status_name(st));
  } else {
    api_retry_later(kp);
  }
}

void kl__pod_sync_status(struct kl_pod *kp)
{
  if (kp->gone)
    return;
  if (!write_status(kp))
    api_retry_later(kp);
}

static void api_timer_fn(struct engine *e, uint64_t subject, uint64_t arg,
                         void *ctx)
{
  struct kubelets *ks = ctx;
  struct kl_node *n = kl__node_by_index(ks, kl_arg_node(arg));
  struct kl_pod *kp = n ? kl__pod_find(n, subject) : NULL;

  (void)e;
  if (!kp)
    return;
  kp->api_timer = 0;
  pod_api_sync(kp);
}

/* --- admission ----------------------------------------------------------- */

static int64_t pod_cpu(const struct pod_spec *s)
{
  int64_t sum = 0, init = 0;

  for (size_t i = 0; i < s->containers_nr; i++)
    sum += s->containers[i].cpu_request_milli;
  for (size_t i = 0; i < s->init_containers_nr; i++)
    if (s->init_containers[i].cpu_request_milli > init)
      init = s->init_containers[i].cpu_request_milli;
  return sum > init ? sum : init;
}

static int64_t pod_memory(const struct pod_spec *s)
{
  int64_t sum = 0, init = 0;

  for (size_t i = 0; i < s->containers_nr; i++)
    sum += s->containers[i].memory_request;
  for (size_t i = 0; i < s->init_containers_nr; i++)
    if (s->init_containers[i].memory_request > init)
      init = s->init_containers[i].memory_request;
  return sum > init ? sum : init;
}

static bool tolerates(const struct toleration *t, const struct taint *x)
{
  if (!t->any_effect && t->effect != x->effect)
    return false;
  if (t->op == TOLERATE_EXISTS)
    return !t->key || !*t->key || streq(t->key, x->key);
  if (!streq(t->key, x->key))
    return false;
  return streq(t->value ? t->value : "", x->value ? x->value : "");
}

static bool node_matches(const struct pod_spec *s, const struct object *node)
{
  const struct kv_list *labels = &node->meta.labels;

  for (size_t i = 0; i < s->node_selector.nr; i++) {
    const char *v = kv_get(labels, s->node_selector.v[i].key);
    if (!v || !streq(v, s->node_selector.v[i].value))
      return false;
  }
  if (s->affinity.node_required.terms_nr &&
      !node_selector_matches(&s->affinity.node_required, node->meta.name,
                             labels))
    return false;
  return true;
}

static bool active(const struct kl_pod *kp)
{
  return !kp->rejected && !kp->terminal && kp->state < KP_FINISHED;
}

static void reject(struct kl_pod *kp, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reject(struct kl_pod *kp, const char *reason, const char *fmt, ...)
{
  struct kubelets *ks = kp->node->ks;
  char msg[400];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  kp->rejected = true;
  kp->terminal = true;
  kp->final_phase = POD_FAILED;
  kp->reject_reason = reason;
  kp->reject_message = arena_strdup(ks->arena, msg);
  kp->state = KP_FINISHED;
  kl__api_event(kp->node, kp->obj, EVENT_WARNING, reason, "%s", msg);
  kl__note(kp, reason, "kubelet on %s rejected the pod: %s", kp->node->name,
           msg);
  kl__pod_sync_status(kp);
}

/*
 * predicateAdmitHandler (pkg/kubelet/lifecycle/predicate.go): resources
 * (pods, cpu, memory, as noderesources.Fits, against the pods the kubelet
 * already admitted), node selector and required node affinity, then
 * NoExecute taints only. The first failure is the reason.
 */
static bool admit(struct kl_pod *kp)
{
  struct kl_node *n = kp->node;
  const struct object *node = n->node;
  const struct pod_spec *s = &kp->obj->u.pod.spec;
  int64_t pods = 0, cpu = 0, mem = 0;

  if (n->shutting_down) {
    /* The shutdown manager's admit handler. */
    reject(kp, "NodeShutdown", "%s", KL_SHUTDOWN_REJECT);
    return false;
  }
  if (!node) {
    reject(kp, "InvalidNodeInfo", "Kubelet cannot get node info.");
    return false;
  }
  for (size_t i = 0; i < n->pods.nr; i++) {
    const struct kl_pod *o = n->pods.v[i];
    if (o == kp || !active(o))
      continue;
    pods++;
    cpu += pod_cpu(&o->obj->u.pod.spec);
    mem += pod_memory(&o->obj->u.pod.spec);
  }
  const struct node *nd = &node->u.node;
  int64_t rc = pod_cpu(s), rm = pod_memory(s);
  if (pods + 1 > nd->pods_allocatable) {
    reject(kp, "OutOfpods",
           "Node didn't have enough resource: pods, requested: 1, used: "
           "%" PRId64 ", capacity: %" PRId64,
           pods, nd->pods_allocatable);
    return false;
  }
  if (rc > 0 && rc > nd->cpu_allocatable_milli - cpu) {
    reject(kp, "OutOfcpu",
           "Node didn't have enough resource: cpu, requested: %" PRId64
           ", used: %" PRId64 ", capacity: %" PRId64,
           rc, cpu, nd->cpu_allocatable_milli);
    return false;
  }
  if (rm > 0 && rm > nd->memory_allocatable - mem) {
    reject(kp, "OutOfmemory",
           "Node didn't have enough resource: memory, requested: %" PRId64
           ", used: %" PRId64 ", capacity: %" PRId64,
           rm, mem, nd->memory_allocatable);
    return false;
  }
  if (!node_matches(s, node)) {
    reject(kp, "NodeAffinity",
           "Predicate NodeAffinity failed: node(s) didn't match Pod's node "
           "affinity/selector");
    return false;
  }
  for (size_t i = 0; i < nd->taints_nr; i++) {
    const struct taint *x = &nd->taints[i];
    bool ok = x->effect != TAINT_NO_EXECUTE;
    for (size_t j = 0; !ok && j < s->tolerations_nr; j++)
      ok = tolerates(&s->tolerations[j], x);
    if (!ok) {
      reject(kp, "TaintToleration",
             "Predicate TaintToleration failed: node(s) had taints that the "
             "pod didn't tolerate");
      return false;
    }
  }
  return true;
}

/* --- the pod worker ------------------------------------------------------ */

static void pod_schedule(struct kl_pod *kp, simtime at, enum kl_pod_step step)
{
  struct kubelets *ks = kp->node->ks;

  kl__cancel(ks, &kp->timer);
  kp->step = step;
  kp->timer = kl__schedule(ks, at, "kubelet-pod", pod_timer_fn, kp, 0, step);
}

/* The containers of the spec, init containers first, all waiting. */
static void build_containers(struct kl_pod *kp)
{
  struct kubelets *ks = kp->node->ks;
  const struct pod_spec *s = &kp->obj->u.pod.spec;

  kp->ctrs.nr = 0;
  kp->n_init = s->init_containers_nr;
  for (size_t i = 0; i < s->init_containers_nr + s->containers_nr; i++) {
    bool init = i < s->init_containers_nr;
    const struct container *spec =
        init ? &s->init_containers[i] : &s->containers[i - kp->n_init];
    struct kl_ctr c = {
        .spec = spec,
        .image = image_of(ks, spec->image),
        .init = init,
        .state = KC_WAITING,
        .reason = kp->n_init && !init ? "PodInitializing" : "ContainerCreating",
        .app_ready_at = SIMTIME_NEVER,
    };
    VEC_PUSH(&kp->ctrs, c);
  }
}

/* WaitForAttachAndMount: poll every 300 ms until every volume is mounted,
 * for at most podAttachAndMountTimeout. */
static void wait_volumes(struct kl_pod *kp)
{
  struct kubelets *ks = kp->node->ks;
  simtime now = now_of(kp);

  kp->state = KP_WAIT_VOLUMES;
  kp->wait_start = now;
  if (kl__vol_all_mounted(kp))
    pod_schedule(kp, now, KPS_MOUNTED);
  else
    pod_schedule(kp, now + ks->tm->v[TIMING_ATTACH_MOUNT_TIMEOUT],
                 KPS_MOUNT_TIMEOUT);
}

void kl__pod_volumes_mounted(struct kl_pod *kp)
{
  struct kubelets *ks = kp->node->ks;

  if (kp->state != KP_WAIT_VOLUMES || kp->step == KPS_MOUNTED)
    return;
  pod_schedule(
      kp, kl__align(kp->wait_start, ks->tm->v[TIMING_MOUNT_POLL], now_of(kp)),
      KPS_MOUNTED);
}

static void mount_timeout(struct kl_pod *kp)
{
  struct kl_node *n = kp->node;
  struct kubelets *ks = n->ks;
  char um[256], ua[256];
  simtime jitter = (simtime)(gsl_rng_uniform(kl__rng(n)) * KL_SYNC_JITTER *
                             (double)KL_SYNC_BACKOFF);

  kl__vol_describe(kp, um, sizeof(um), ua, sizeof(ua));
  if (ks->failed_mount_event)
    kl__api_event(n, kp->obj, EVENT_WARNING, "FailedMount",
                  "Unable to attach or mount volumes: unmounted volumes=%s, "
                  "unattached volumes=%s: timed out waiting for the condition",
                  um, ua);
  kl__note(kp, "FailedMount",
           "kubelet on %s: volumes not mounted after %llds: unmounted "
           "volumes=%s, unattached volumes=%s%s; retrying",
           n->name,
           (long long)(ks->tm->v[TIMING_ATTACH_MOUNT_TIMEOUT] / SIM_SEC(1)), um,
           ua,
           ks->failed_mount_event ? "" : " (no FailedMount event since 1.28)");
  kp->state = KP_SYNC_BACKOFF;
  pod_schedule(kp, now_of(kp) + KL_SYNC_BACKOFF + jitter, KPS_RESYNC);
}

/* Every volume is mounted: create the sandbox and start the containers. */
static void start_sandbox(struct kl_pod *kp)
{
  struct kl_node *n = kp->node;

  ip_alloc(kp);
  kp->sandbox = true;
  truth_pod_start(n->ks->env.truth, kp->obj->meta.namespace_,
                  kp->obj->meta.name, kp->uid, n->name, kp->ip, now_of(kp));
  kp->state = KP_STARTING;
  kp->next = 0;
  pod_start_next(kp);
}

static void pod_timer_fn(struct engine *e, uint64_t subject, uint64_t arg,
                         void *ctx)
{
  struct kubelets *ks = ctx;
  struct kl_node *n = kl__node_by_index(ks, kl_arg_node(arg));
  struct kl_pod *kp = n ? kl__pod_find(n, subject) : NULL;
  enum kl_pod_step step;

  (void)e;
  if (!kp)
    return;
  kp->timer = 0;
  step = kp->step;
  kp->step = KPS_NONE;
  switch (step) {
  case KPS_MOUNT_TIMEOUT:
    if (kp->state == KP_WAIT_VOLUMES)
      mount_timeout(kp);
    break;
  case KPS_MOUNTED:
    if (kp->state == KP_WAIT_VOLUMES)
      start_sandbox(kp);
    break;
  case KPS_RESYNC:
    if (kp->state == KP_SYNC_BACKOFF)
      wait_volumes(kp);
    break;
  case KPS_NONE:
    break;
  }
}

/* --- containers ---------------------------------------------------------- */

static void ctr_schedule(struct kl_pod *kp, struct kl_ctr *c, simtime at,
                         enum kl_ctr_step step)
{
  struct kubelets *ks = kp->node->ks;

  kl__cancel(ks, &c->timer);
  c->step = step;
  c->timer = kl__schedule(ks, at, "kubelet-container", ctr_timer_fn, kp,
                          (uint32_t)(c - kp->ctrs.v), step);
}

/* Created and started after podStartup; a restart after a back-off at
 * once (see the file comment). */
static simtime start_latency(struct kl_pod *kp, const struct kl_ctr *c)
{
  /* After a reboot a container that ran before has no back-off: it is
   * created and started like a new one. */
  return c->ever_exited && c->backoff
             ? 0
             : kl__latency(kp->node, TIMING_POD_STARTUP);
}

/* The image step of a container start: pull, or "already present". */
static void ctr_begin(struct kl_pod *kp, struct kl_ctr *c)
{
  struct kl_node *n = kp->node;
  const char *image = c->spec->image ? c->spec->image : "";
  simtime now = now_of(kp);

  if (pull_always(image) || !image_present(n, image)) {
    kl__api_event(n, kp->obj, EVENT_NORMAL, "Pulling", "Pulling image \"%s\"",
                  image);
    c->pull_asked = now;
    ctr_schedule(kp, c, pull_done_at(n, image, now, &c->pull_began),
                 KCS_PULLED);
    return;
  }
  kl__api_event(n, kp->obj, EVENT_NORMAL, "Pulled",
                "Container image \"%s\" already present on machine", image);
  ctr_schedule(kp, c, now + start_latency(kp, c), KCS_STARTED);
}

static void pod_start_next(struct kl_pod *kp)
{
  if (kp->state != KP_STARTING)
    return;
  if (kp->next >= kp->ctrs.nr) {
    kp->state = KP_RUNNING;
    return;
  }
  ctr_begin(kp, &kp->ctrs.v[kp->next]);
}

/* Moves the start sequence on when c was the container being started. */
static void advance_start(struct kl_pod *kp, struct kl_ctr *c)
{
  if (kp->state != KP_STARTING || (size_t)(c - kp->ctrs.v) != kp->next)
    return;
  kp->next++;
  if (kp->next == kp->n_init)
    for (size_t i = kp->n_init; i < kp->ctrs.nr; i++)
      if (kp->ctrs.v[i].state == KC_WAITING && !kp->ctrs.v[i].ever_exited)
        kp->ctrs.v[i].reason = "ContainerCreating";
  pod_start_next(kp);
}

/*
 * The process of c ended with code. Restart per restartPolicy with the
 * CrashLoopBackOff back-off (10 s doubling to 300 s, reset after 10 min of
 * running), or let the pod end.
 */
static void ctr_exited(struct kl_pod *kp, struct kl_ctr *c, int code,
                       const char *reason)
{
  struct kl_node *n = kp->node;
  struct kubelets *ks = n->ks;
  simtime now = now_of(kp);
  enum restart_policy policy = kp->obj->u.pod.spec.restart_policy;

  kl__cancel(ks, &c->timer);
  c->step = KCS_NONE;
  if (c->state == KC_RUNNING) {
    kl__probe_stop(kp, c);
    if (!c->init)
      writers(kp, c, false);
  }
  c->state = KC_EXITED;
  c->exit_code = code;
  c->reason = reason;
  c->ever_exited = true;
  kl__pod_sync_truth(kp);
  if (kp->state >= KP_TERMINATING) {
    pod_check_stopped(kp); /* may free kp */
    return;
  }
  if (c->init && code == 0) {
    advance_start(kp, c);
    kl__pod_sync_status(kp);
    return;
  }
  if (policy == RESTART_ALWAYS || (policy == RESTART_ON_FAILURE && code)) {
    simtime ran = now - c->started_at;
    if (c->backoff == 0 || ran >= ks->tm->v[TIMING_CRASHLOOP_RESET])
      c->backoff = ks->crash_base;
    else
      c->backoff =
          c->backoff * 2 > ks->crash_max ? ks->crash_max : c->backoff * 2;
    c->state = KC_WAITING;
    c->reason = "CrashLoopBackOff";
    kl__api_event(n, kp->obj, EVENT_WARNING, "BackOff",
                  "Back-off restarting failed container %s in pod "
                  "%s_%s(%" PRIu64 ")",
                  c->spec->name, kp->obj->meta.name, kp->obj->meta.namespace_,
                  kp->uid);
    ctr_schedule(kp, c, now + c->backoff, KCS_RESTART);
    if (!c->init)
      advance_start(kp, c);
    kl__pod_sync_status(kp);
    return;
  }
  if (c->init) {
    pod_terminate(kp); /* an init container failed with restartPolicy Never */
    return;
  }
  advance_start(kp, c);
  for (size_t i = kp->n_init; i < kp->ctrs.nr; i++) {
    if (kp->ctrs.v[i].state != KC_EXITED) {
      kl__pod_sync_status(kp);
      return;
    }
  }
  pod_terminate(kp); /* every container ended and none restarts */
}

/* The container is created and started. */
static void ctr_run(struct kl_pod *kp, struct kl_ctr *c)
{
  struct kl_node *n = kp->node;
  struct kubelets *ks = n->ks;
  simtime now = now_of(kp);

  c->state = KC_RUNNING;
  c->reason = NULL;
  c->started_at = now;
  kp->ip_shown = true;
  kl__api_event(n, kp->obj, EVENT_NORMAL, "Created",
                ks->created_colon ? "Created container: %s"
                                  : "Created container %s",
                c->spec->name);
  kl__api_event(n, kp->obj, EVENT_NORMAL, "Started", "Started container %s",
                c->spec->name);
  if (c->init) {
    /* Init containers complete at once (see the file comment). */
    if (crashes(c))
      ctr_exited(kp, c, 1, "Error");
    else
      ctr_exited(kp, c, 0, "Completed");
    return;
  }
  if (crashes(c)) {
    /* The image exits at once: it never writes, never gets ready. */
    ctr_exited(kp, c, 1, "Error");
    return;
  }
  c->app_ready_at = now + startup_of(c);
  writers(kp, c, true);
  if (c->app_ready_at > now)
    ctr_schedule(kp, c, c->app_ready_at, KCS_APP_READY);
  kl__probe_start(kp, c);
  kl__pod_sync_truth(kp);
  advance_start(kp, c);
  kl__pod_sync_status(kp);
}

static void ctr_timer_fn(struct engine *e, uint64_t subject, uint64_t arg,
                         void *ctx)
{
  struct kubelets *ks = ctx;
  struct kl_node *n = kl__node_by_index(ks, kl_arg_node(arg));
  struct kl_pod *kp = n ? kl__pod_find(n, subject) : NULL;
  uint32_t ci = kl_arg_item(arg);
  enum kl_ctr_step step;
  struct kl_ctr *c;
  char d1[32], d2[32];
  simtime now = engine_now(e);

  if (!kp || ci >= kp->ctrs.nr)
    return;
  c = &kp->ctrs.v[ci];
  c->timer = 0;
  step = c->step;
  c->step = KCS_NONE;
  switch (step) {
  case KCS_PULLED:
    image_add(n, c->spec->image);
    format_ms(now - c->pull_began, d1, sizeof(d1));
    format_ms(now - c->pull_asked, d2, sizeof(d2));
    /* Upstream adds ". Image size: N bytes."; sizes are not modelled. */
    kl__api_event(n, kp->obj, EVENT_NORMAL, "Pulled",
                  "Successfully pulled image \"%s\" in %s (%s including "
                  "waiting)",
                  c->spec->image, d1, d2);
    ctr_schedule(kp, c, now + start_latency(kp, c), KCS_STARTED);
    break;
  case KCS_STARTED:
    ctr_run(kp, c);
    break;
  case KCS_APP_READY:
    /* The app now answers: probes before now saw it down. */
    kl__probe_catch_up(kp, c, now);
    kl__probe_plan(kp, c);
    kl__pod_sync_truth(kp);
    break;
  case KCS_EXIT:
    ctr_exited(kp, c, c->exit_pending, c->exit_pending ? "Error" : "Completed");
    break;
  case KCS_RESTART:
    c->restarts++;
    ctr_begin(kp, c);
    break;
  case KCS_NONE:
    break;
  }
}

void kl__ctr_probe_changed(struct kl_pod *kp, struct kl_ctr *c)
{
  (void)c;
  if (kp->state < KP_TERMINATING)
    kl__pod_sync_status(kp);
}

void kl__ctr_startup_failed(struct kl_pod *kp, struct kl_ctr *c)
{
  bool restart = kp->obj->u.pod.spec.restart_policy != RESTART_NEVER;

  kl__api_event(kp->node, kp->obj, EVENT_NORMAL, "Killing",
                "Container %s failed startup probe%s", c->spec->name,
                restart ? ", will be restarted" : "");
  /* Killed at once (exit 137); the restart goes through the back-off. */
  ctr_exited(kp, c, 137, "Error");
}

/* --- termination --------------------------------------------------------- */

static void pod_finish(struct kl_pod *kp)
{
  kp->state = KP_FINISHED;
  if (kp->gone) {
    pod_free(kp);
    return;
  }
  pod_api_sync(kp);
}

void kl__pod_volumes_unmounted(struct kl_pod *kp)
{
  if (kp->state == KP_TEARDOWN)
    pod_finish(kp); /* may free kp */
}

/* When no container runs any more: stop the sandbox, write the terminal
 * phase, unmount the volumes. */
static void pod_check_stopped(struct kl_pod *kp)
{
  struct kl_node *n = kp->node;

  if (kp->state != KP_TERMINATING)
    return;
  for (size_t i = 0; i < kp->ctrs.nr; i++)
    if (kp->ctrs.v[i].state == KC_RUNNING)
      return;
  if (kp->sandbox) {
    truth_pod_stop(n->ks->env.truth, kp->uid);
    kp->sandbox = false;
    kp->truth_running = kp->truth_ready = false;
    ip_free(kp);
  }
  kp->terminal = true;
  kp->final_phase = kp->shutdown ? POD_FAILED : terminal_phase(kp);
  kp->state = KP_TEARDOWN;
  kl__pod_sync_status(kp);
  if (n->shutting_down)
    kl__machine_pod_stopped(n); /* deferred: never frees kp here */
  kl__vol_teardown(kp);         /* may finish and free kp: nothing after this */
}

/* Stops whatever is still starting or waiting to restart. */
static void stop_pending(struct kl_pod *kp)
{
  struct kubelets *ks = kp->node->ks;

  kl__cancel(ks, &kp->timer);
  kp->step = KPS_NONE;
  for (size_t i = 0; i < kp->ctrs.nr; i++) {
    struct kl_ctr *c = &kp->ctrs.v[i];
    if (c->state == KC_WAITING) {
      kl__cancel(ks, &c->timer);
      c->step = KCS_NONE;
    }
  }
}

/* The pod's containers ended by themselves and none restarts. */
static void pod_terminate(struct kl_pod *kp)
{
  stop_pending(kp);
  kp->state = KP_TERMINATING;
  pod_check_stopped(kp); /* may free kp */
}

/*
 * Mutant MUTANT_KUBELET_EARLY_DELETE (mutants.h): the final delete (grace
 * 0, uid precondition) as soon as the kubelet sees the deletion, before
 * its containers have stopped. They run on through the grace period
 * (killed when it ends, exit 137): the modelled app stops within 1 s of
 * SIGTERM, which would hide the early confirmation; the mutant stands for
 * a pod whose containers take their grace. The StatefulSet controller,
 * seeing the name free, creates the next incarnation meanwhile. A delete
 * that fails (the API unreachable) leaves the faithful final delete after
 * the stop.
 */
static void early_delete(struct kl_pod *kp)
{
  enum api_status st = kl__api_pod_final_delete(kp->node, kp->obj);

  if (st != API_OK)
    return;
  kp->final_deleted = true;
  kp->early_deleted = true;
  kl__note(kp, "Deleted",
           "mutant %s: kubelet on %s final-deletes the pod (grace 0, uid "
           "precondition) before its containers have stopped",
           MUTANT_KUBELET_EARLY_DELETE, kp->node->name);
}

/*
 * Graceful termination: SIGTERM to every running container ("Killing"),
 * which exits within KL_APP_EXIT_MAX, or SIGKILL when the grace period
 * (at least minimumGracePeriod) ends first. A shorter grace later moves
 * the kill forward.
 */
static void pod_kill(struct kl_pod *kp, int64_t grace_seconds)
{
  struct kl_node *n = kp->node;
  struct kubelets *ks = n->ks;
  simtime now = now_of(kp);
  simtime grace = SIM_SEC(grace_seconds > 0 ? grace_seconds : 0);

  if (grace < ks->tm->v[TIMING_MIN_KILL_GRACE])
    grace = ks->tm->v[TIMING_MIN_KILL_GRACE];
  if (kp->state == KP_FINISHED) {
    pod_api_sync(kp); /* terminal already: only the final delete is left */
    return;
  }
  if (kp->state == KP_TEARDOWN)
    return;
  if (kp->state == KP_TERMINATING) {
    /* A shorter grace period (a second delete): kill sooner. */
    for (size_t i = 0; i < kp->ctrs.nr; i++) {
      struct kl_ctr *c = &kp->ctrs.v[i];
      if (c->state == KC_RUNNING && c->step == KCS_EXIT &&
          c->exit_at > now + grace) {
        c->exit_pending = 137;
        c->exit_at = now + grace;
        ctr_schedule(kp, c, c->exit_at, KCS_EXIT);
      }
    }
    return;
  }
  stop_pending(kp);
  kp->state = KP_TERMINATING;
  bool early = ks->mut_early_delete && kp->deleting && !kp->gone;
  if (early)
    early_delete(kp);
  for (size_t i = 0; i < kp->ctrs.nr; i++) {
    struct kl_ctr *c = &kp->ctrs.v[i];
    simtime exit_in;

    if (c->state != KC_RUNNING)
      continue;
    kl__api_event(n, kp->obj, EVENT_NORMAL, "Killing", "Stopping container %s",
                  c->spec->name);
    kl__probe_stop(kp, c);
    /* The mutant's containers run their whole grace: killed at its end. */
    exit_in = early ? grace + 1 : rng_range(kl__rng(n), 0, KL_APP_EXIT_MAX);
    if (exit_in <= grace) {
      c->exit_pending = 0;
      c->exit_at = now + exit_in;
    } else {
      c->exit_pending = 137; /* SIGKILL */
      c->exit_at = now + grace;
    }
    ctr_schedule(kp, c, c->exit_at, KCS_EXIT);
  }
  pod_check_stopped(kp); /* may free kp */
}

/* --- informer input ------------------------------------------------------ */

/*
 * A pod the kubelet of this node ran before it started again (a reboot):
 * its status keeps startTime (status manager: the start time never
 * changes), and a container that ran gets a restart count one higher
 * (convertToAPIContainerStatuses on a running container the runtime no
 * longer has; calcRestartCountByLogDir when it starts again). Its last
 * run is counted as a termination (exit 137, ContainerStatusUnknown), so
 * the pod stays Running (getPhase) while the container is created again.
 * Simplification: upstream shows the old count while a crash-looping
 * container waits and the new one once it started; here the new one at
 * once. A pod seen for the first time has no container statuses.
 */
static void seed_from_status(struct kl_pod *kp, const struct object *o)
{
  const struct pod_status *st = &o->u.pod.status;

  if (st->start_time != SIMTIME_NEVER)
    kp->first_sync = st->start_time;
  for (size_t i = 0; i < st->containers_nr; i++) {
    const struct container_status *cs = &st->containers[i];
    struct kl_ctr *c = NULL;
    bool ran;

    for (size_t j = kp->n_init; j < kp->ctrs.nr && !c; j++)
      if (streq(kp->ctrs.v[j].spec->name, cs->name))
        c = &kp->ctrs.v[j];
    if (!c)
      continue;
    ran = cs->state != CSTATE_WAITING || cs->restart_count > 0 ||
          (cs->reason && strcmp(cs->reason, "ContainerCreating") &&
           strcmp(cs->reason, "PodInitializing"));
    c->restarts = cs->restart_count;
    if (!ran)
      continue;
    c->ever_exited = true;
    c->exit_code = 137;
    if (!meta_is_deleting(&o->meta))
      c->restarts++;
  }
}

void kl__pods_machine_died(struct kl_node *n)
{
  struct truth *t = n->ks->env.truth;

  for (size_t i = 0; i < n->pods.nr; i++) {
    struct kl_pod *kp = n->pods.v[i];

    for (size_t j = kp->n_init; j < kp->ctrs.nr; j++)
      if (kp->ctrs.v[j].state == KC_RUNNING)
        writers(kp, &kp->ctrs.v[j], false);
    for (size_t j = 0; j < kp->vols.nr; j++) {
      struct kl_vol *v = &kp->vols.v[j];
      if (v->state == KV_MOUNTED || v->state == KV_UNMOUNTING)
        truth_unmount(t, v->pv, n->name, kp->uid);
    }
    if (kp->sandbox)
      truth_pod_stop(t, kp->uid);
  }
  for (size_t i = 0; i < n->pods.nr; i++)
    pod_release(n->pods.v[i]);
  n->pods.nr = 0;
}

bool kl__pod_stopped(const struct kl_pod *kp)
{
  return kp->state >= KP_TEARDOWN;
}

void kl__pod_shutdown_kill(struct kl_pod *kp, int64_t grace_seconds)
{
  if (kp->state >= KP_TEARDOWN)
    return;
  /* podStatusFn first: Failed, Terminated, written before the kill. */
  kp->shutdown = true;
  kp->terminal = true;
  kp->final_phase = POD_FAILED;
  kl__note(kp, KL_SHUTDOWN_REASON,
           "kubelet on %s: node shutdown stops the pod (grace %llds); it "
           "ends Failed and is not deleted",
           kp->node->name, (long long)grace_seconds);
  kl__pod_sync_status(kp);
  pod_kill(kp, grace_seconds); /* may free kp */
}

void kl__pod_seen(struct kl_node *n, const struct object *o)
{
  struct kl_pod *kp = kl__pod_find(n, o->meta.uid);
  enum pod_phase ph = o->u.pod.status.phase;

  if (!kp) {
    /* Terminal before this kubelet saw it (e.g. it finished, then the
     * machine rebooted): nothing to run - unless it is being deleted, in
     * which case the kubelet still owes the final delete (its containers
     * and mounts are gone with the old boot). */
    if ((ph == POD_SUCCEEDED || ph == POD_FAILED) &&
        !meta_is_deleting(&o->meta))
      return;
    kp = pod_new(n, o);
    kp->first_sync = now_of(kp);
    build_containers(kp);
    seed_from_status(kp, o);
    if (meta_is_deleting(&o->meta)) {
      /* Deleted before it was ever started here: terminate at once. */
      kp->deleting = true;
      kp->state = KP_WAIT_VOLUMES;
      pod_kill(kp, o->meta.deletion_grace_period_seconds);
      return;
    }
    if (!admit(kp))
      return;
    kl__vol_pod_added(kp);
    wait_volumes(kp);
    kl__pod_sync_status(kp);
    return;
  }
  if (kp->gone)
    return;
  kp->obj = o;
  if (status_differs(kp, o))
    api_retry_later(kp);
  if (!meta_is_deleting(&o->meta))
    return;
  if (!kp->deleting) {
    kp->deleting = true;
    kl__note(kp, "Killing",
             "kubelet on %s saw the deletion: stopping containers (grace "
             "%llds)",
             n->name, (long long)o->meta.deletion_grace_period_seconds);
  }
  pod_kill(kp, o->meta.deletion_grace_period_seconds); /* may free kp */
}

void kl__pod_removed(struct kl_node *n, const struct object *o)
{
  struct kl_pod *kp = kl__pod_find(n, o->meta.uid);

  if (!kp)
    return;
  kp->gone = true;
  kp->obj = o;
  kl__cancel(n->ks, &kp->api_timer);
  if (kp->state == KP_FINISHED) {
    pod_free(kp);
    return;
  }
  if (kp->early_deleted)
    return; /* mutant: its own delete; the containers run out the grace */
  if (kp->state < KP_TERMINATING)
    kl__note(kp, "Killing",
             "pod %s was removed from the API while its containers run on "
             "%s: killing them",
             o->meta.name, n->name);
  kp->deleting = true;
  /* The grace of the version given: the final one from the watch carries
   * the deletion's grace; after a relist (heal, section 2.5) it is the
   * version the kubelet last saw, which has no deletion grace if it never
   * saw the deletion start: calculateEffectiveGracePeriod then falls back
   * to spec.terminationGracePeriodSeconds (the minimum kill grace still
   * applies). cluster-behaviour.md 12 leaves this open; see
   * kubelet_machine.c. */
  int64_t grace = o->meta.deletion_grace_period_seconds;
  if (grace < 0)
    grace = o->u.pod.spec.termination_grace_period_seconds;
  pod_kill(kp, grace); /* may free kp */
}
