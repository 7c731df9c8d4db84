/*
 * tainteviction.c - the taint-eviction controller of kube-controller-manager
 * (pkg/controller/tainteviction), reporting as "taint-eviction-controller",
 * and the DefaultTolerationSeconds admission plugin of kube-apiserver
 * (cluster-behaviour.md 1.6, 1.7, 2.3, 2.7, 8).
 *
 * Where it runs: a separate controller since 1.29 (SeparateTaintEviction-
 * Controller, beta and on; GA in 1.34). With the gate off it runs inside
 * the node lifecycle controller under the same name, and its events come
 * from "taint-eviction-controller" either way in every version stsim
 * models (1.31+), so behaviour does not depend on the gate. (Before 1.29
 * it was the node lifecycle controller's "taint manager", outside the
 * modelled range.)
 *
 * Informers on Pods and Nodes. For a pod on a node with NoExecute taints:
 * - a taint no toleration matches: delete now;
 * - all tolerated: a timer of the smallest tolerationSeconds among the
 *   first matching toleration of each taint, started when the controller
 *   processes the update (not from timeAdded); a toleration without
 *   seconds lasts forever (no eviction), 0 or less means now.
 * A pending timer is kept when the pod or node is processed again; it is
 * cancelled, with the Normal event TaintManagerEviction "Cancelling
 * deletion of Pod ns/name", when the node's NoExecute taints go, the
 * pod's tolerations become "forever", or the pod is deleted. Node updates
 * are processed only when the node's NoExecute taints changed (timeAdded
 * included), pod updates only when tolerations or nodeName changed, as
 * upstream's NodeUpdated / PodUpdated.
 *
 * When a timer fires: TaintManagerEviction "Marking for deletion Pod
 * ns/name", then (up to 5 tries) a live GET, the DisruptionTarget
 * condition (True, DeletionByTaintManager, "Taint manager: deleting due to
 * NoExecute taint") patched with the pod's uid as precondition, and a
 * plain DELETE with default options: the pod's own grace period
 * (terminationGracePeriodSeconds, default 30 s) only sets its
 * deletionTimestamp. No Eviction API, no PodDisruptionBudget. Nothing here
 * force-deletes: on a dead node the pod stays Terminating.
 *
 * DefaultTolerationSeconds (registered by tainteviction_start, as the
 * apiserver plugin it is, on pod create and update): a pod without a
 * toleration covering node.kubernetes.io/not-ready:NoExecute gets one
 * (Exists, NoExecute, defaultNotReadyTolerationSeconds), and the same for
 * node.kubernetes.io/unreachable (defaultUnreachableTolerationSeconds). A
 * toleration with an empty key or an empty effect covers.
 *
 * Simplifications (marked SIMPLIFIED below):
 * - Node and pod updates are handled in the informer handler, at the
 *   delivery; upstream hands them to 8 workers (node updates first).
 *   The tainted-node map is the informer's current node.
 * - An existing timer is always kept. Upstream replaces it only when it
 *   was created at the very same instant (CreatedAt + min not before now
 *   + min), which in real time happens only for a second handling within
 *   the same nanosecond; here two handlings often share a virtual instant.
 * - The 5 delete tries run at the same instant (upstream: 10 ms apart).
 * - A toleration with tolerationSeconds -1 reads as "no seconds" (objects.h
 *   has no other way to say nil); other negative values mean now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodefail_int.h"

#define TE_WHO "taint-eviction-controller"
#define TE_TRIES 5

/* One TimedWorker: the eviction of the pod ns/name. */
struct te_work {
  const char *ns, *name;
  simtime created, fire;
  uint64_t timer;
  uint32_t gen;
  bool used;
  bool immediate; /* upstream's nil worker: runs at once, not cancellable */
  bool indexed;   /* in by_key (upstream's workers map) */
};

struct te {
  struct cluster_env env;
  struct api *api;
  struct engine *engine;
  struct arena *arena;
  struct informer *pods, *nodes;
  struct nf_pod_index ix;
  VEC(struct te_work) slots;
  VEC(uint32_t) free_slots;
  VEC(uint32_t) by_key; /* slots sorted by (ns, name) */
};

static simtime now_of(const struct te *c)
{
  return engine_now(c->engine);
}

/* --- the TimedWorkerQueue ------------------------------------------------ */

static int key_cmp(const struct te_work *w, const char *ns, const char *name)
{
  int r = strcmp(ns, w->ns);

  return r ? r : strcmp(name, w->name);
}

static size_t key_pos(const struct te *c, const char *ns, const char *name,
                      bool *found)
{
  size_t lo = 0, hi = c->by_key.nr;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = key_cmp(&c->slots.v[c->by_key.v[mid]], ns, name);
    if (!r) {
      *found = true;
      return mid;
    }
    if (r < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  *found = false;
  return lo;
}

static struct te_work *work_find(struct te *c, const char *ns, const char *name)
{
  bool found;
  size_t i = key_pos(c, ns, name, &found);

  return found ? &c->slots.v[c->by_key.v[i]] : NULL;
}

static void unindex(struct te *c, struct te_work *w)
{
  bool found;
  size_t i = key_pos(c, w->ns, w->name, &found);

  SIM_ASSERT(found && &c->slots.v[c->by_key.v[i]] == w);
  memmove(&c->by_key.v[i], &c->by_key.v[i + 1],
          (c->by_key.nr - i - 1) * sizeof(c->by_key.v[0]));
  c->by_key.nr--;
  w->indexed = false;
}

static void slot_free(struct te *c, struct te_work *w)
{
  w->used = false;
  w->gen++;
  w->timer = 0;
  VEC_PUSH(&c->free_slots, (uint32_t)(w - c->slots.v));
}

static void fire(struct engine *e, uint64_t subject, uint64_t arg, void *ctx);

/* AddWork: nothing if work for the key exists. */
static void add_work(struct te *c, const char *ns, const char *name,
                     simtime created, simtime at)
{
  bool found;
  size_t pos = key_pos(c, ns, name, &found);
  uint32_t s;

  if (found)
    return;
  if (c->free_slots.nr) {
    s = c->free_slots.v[--c->free_slots.nr];
  } else {
    struct te_work blank = {0};
    VEC_PUSH(&c->slots, blank);
    s = (uint32_t)(c->slots.nr - 1);
  }
  struct te_work *w = &c->slots.v[s];
  w->ns = ns;
  w->name = name;
  w->created = created;
  w->fire = at;
  w->used = true;
  w->immediate = at <= created;
  w->indexed = true;
  w->timer = engine_schedule(c->engine, at, PHASE_CONTROLLER, "taint-eviction",
                             fire, s, w->gen, c);
  VEC_GROW(&c->by_key, c->by_key.nr + 1);
  memmove(&c->by_key.v[pos + 1], &c->by_key.v[pos],
          (c->by_key.nr - pos) * sizeof(c->by_key.v[0]));
  c->by_key.v[pos] = s;
  c->by_key.nr++;
}

/* The pod as the event recorder names it (an ObjectReference, no uid). */
static struct object pod_ref(const char *ns, const char *name)
{
  struct object o;

  object_init(&o, KIND_POD);
  o.meta.namespace_ = ns;
  o.meta.name = name;
  return o;
}

/* cancelWorkWithEvent. */
static void cancel_work(struct te *c, const char *ns, const char *name)
{
  struct te_work *w = work_find(c, ns, name);

  if (!w)
    return;
  unindex(c, w);
  if (w->immediate)
    return; /* already running: it goes on, and no event is sent */
  engine_cancel(c->engine, w->timer);
  slot_free(c, w);
  struct object ref = pod_ref(ns, name);
  api_record_event(c->api, TE_WHO, &ref, EVENT_NORMAL, "TaintManagerEviction",
                   "Cancelling deletion of Pod %s/%s", ns, name);
  char obj[300];
  snprintf(obj, sizeof(obj), "Pod/%s", name);
  cluster_note(&c->env, obj, "EvictionCancelled",
               "NoExecute taint gone or tolerated forever: eviction "
               "cancelled");
}

/* --- the eviction -------------------------------------------------------- */

struct te_cond {
  simtime now;
};

static bool patch_disruption(struct object *o, void *ctx)
{
  const struct te_cond *p = ctx;
  struct condition *cd = &o->u.pod.status.disruption_target;
  struct condition want = {
      .status = COND_TRUE,
      .last_transition_time = p->now,
      .reason = "DeletionByTaintManager",
      .message = "Taint manager: deleting due to NoExecute taint"};

  /* apipod.UpdatePodCondition: unchanged status keeps its transition. */
  if (cd->status == COND_TRUE)
    want.last_transition_time = cd->last_transition_time;
  if (cd->status == want.status &&
      cd->last_transition_time == want.last_transition_time && cd->reason &&
      !strcmp(cd->reason, want.reason) && cd->message &&
      !strcmp(cd->message, want.message))
    return false;
  *cd = want;
  return true;
}

/* addConditionAndDeletePod. */
static enum api_status condition_and_delete(struct te *c, const char *ns,
                                            const char *name)
{
  const struct object *pod = api_get(c->api, KIND_POD, ns, name);
  struct te_cond p = {now_of(c)};
  enum api_status st;

  if (!pod)
    return API_NOT_FOUND;
  st = api_patch(c->api, TE_WHO, KIND_POD, ns, name, pod->meta.uid,
                 patch_disruption, &p, NULL);
  if (st != API_OK)
    return st;
  return api_delete(c->api, TE_WHO, KIND_POD, ns, name, NULL);
}

static void fire(struct engine *e, uint64_t subject, uint64_t arg, void *ctx)
{
  struct te *c = ctx;
  struct te_work *w;
  enum api_status st = API_OK;

  (void)e;
  if (subject >= c->slots.nr)
    return;
  w = &c->slots.v[subject];
  if (!w->used || w->gen != (uint32_t)arg)
    return;
  struct object ref = pod_ref(w->ns, w->name);
  api_record_event(c->api, TE_WHO, &ref, EVENT_NORMAL, "TaintManagerEviction",
                   "Marking for deletion Pod %s/%s", w->ns, w->name);
  /* SIMPLIFIED: the tries run at once (upstream: 10 ms apart). */
  for (int i = 0; i < TE_TRIES; i++) {
    st = condition_and_delete(c, w->ns, w->name);
    if (st == API_OK)
      break;
  }
  char obj[300];
  snprintf(obj, sizeof(obj), "Pod/%s", w->name);
  if (st == API_OK)
    cluster_note(&c->env, obj, "TaintEviction",
                 "deleted for a NoExecute taint (graceful: only a "
                 "deletionTimestamp; the node's kubelet must finish it)");
  else
    cluster_note(&c->env, obj, "TaintEvictionFailed", "delete failed: %s",
                 api_status_name(st));
  if (w->indexed)
    unindex(c, w);
  slot_free(c, w);
}

/* --- processing ---------------------------------------------------------- */

/*
 * GetMatchingTolerations and getMinTolerationTime: -1 = not every taint
 * is tolerated, -2 = tolerated forever, else the delay in simtime.
 */
#define TE_NOT_TOLERATED (-1)
#define TE_FOREVER (-2)

static simtime toleration_delay(const struct toleration *tol, size_t tn,
                                const struct taint *const *taints, size_t nr)
{
  simtime min = SIMTIME_NEVER;

  for (size_t i = 0; i < nr; i++) {
    const struct toleration *used = NULL;
    for (size_t j = 0; j < tn && !used; j++)
      if (nf__tolerates(&tol[j], taints[i]))
        used = &tol[j];
    if (!used)
      return TE_NOT_TOLERATED;
    if (used->toleration_seconds == -1)
      continue; /* SIMPLIFIED: -1 is "no seconds" */
    if (used->toleration_seconds <= 0)
      min = 0;
    else if (SIM_SEC(used->toleration_seconds) < min)
      min = SIM_SEC(used->toleration_seconds);
  }
  return min == SIMTIME_NEVER ? TE_FOREVER : min;
}

/* The node's NoExecute taints into v (at most max); returns how many. */
static size_t noexec_taints(const struct object *node, const struct taint **v,
                            size_t max)
{
  size_t nr = 0;

  for (size_t i = 0; node && i < node->u.node.taints_nr && nr < max; i++)
    if (node->u.node.taints[i].effect == TAINT_NO_EXECUTE)
      v[nr++] = &node->u.node.taints[i];
  return nr;
}

#define TE_MAX_TAINTS 64

/* processPodOnNode. */
static void process_pod_on_node(struct te *c, const struct object *pod,
                                const struct taint *const *taints, size_t nr)
{
  const char *ns = pod->meta.namespace_, *name = pod->meta.name;
  const struct pod_spec *sp = &pod->u.pod.spec;
  simtime now = now_of(c);
  simtime d;
  char obj[300];

  snprintf(obj, sizeof(obj), "Pod/%s", name);
  d = toleration_delay(sp->tolerations, sp->tolerations_nr, taints, nr);
  if (d == TE_NOT_TOLERATED) {
    cancel_work(c, ns, name);
    cluster_note(&c->env, obj, "TaintNotTolerated",
                 "a NoExecute taint of node %s is not tolerated: deleting now",
                 sp->node_name);
    add_work(c, ns, name, now, now);
    return;
  }
  if (d == TE_FOREVER) {
    cancel_work(c, ns, name);
    return;
  }
  /* SIMPLIFIED: an existing timer is kept (see the file comment). */
  if (work_find(c, ns, name))
    return;
  char when[32];
  sim_format_duration(d, when, sizeof(when));
  cluster_note(&c->env, obj, "EvictionScheduled",
               "node %s has NoExecute taint %s: tolerated for %s, then "
               "deleted",
               sp->node_name, taints[0]->key, when);
  add_work(c, ns, name, now, now + d);
}

/* handleNodeUpdate. */
static void handle_node(struct te *c, const char *name)
{
  const struct object *node = informer_get(c->nodes, "", name);
  const struct nf_node_pods *np;
  const struct taint *taints[TE_MAX_TAINTS];
  size_t nr;

  if (!node)
    return; /* deleted: its pods' timers run on */
  nr = noexec_taints(node, taints, TE_MAX_TAINTS);
  np = nf__index_find(&c->ix, name);
  if (!np || !np->pods.nr)
    return;
  for (size_t i = 0; i < np->pods.nr; i++) {
    const struct nf_pod_ref *r = &np->pods.v[i];
    const struct object *pod = informer_get(c->pods, r->ns, r->name);
    if (!pod || pod->meta.uid != r->uid)
      continue;
    if (!nr)
      cancel_work(c, r->ns, r->name);
    else
      process_pod_on_node(c, pod, taints, nr);
  }
}

/* handlePodUpdate. */
static void handle_pod(struct te *c, const char *ns, const char *name,
                       const char *node_name)
{
  const struct object *pod = informer_get(c->pods, ns, name);
  const struct taint *taints[TE_MAX_TAINTS];
  size_t nr;

  if (!pod) {
    cancel_work(c, ns, name);
    return;
  }
  if (!node_name || !pod->u.pod.spec.node_name ||
      strcmp(pod->u.pod.spec.node_name, node_name))
    return;
  nr = noexec_taints(informer_get(c->nodes, "", node_name), taints,
                     TE_MAX_TAINTS);
  if (!nr)
    return;
  process_pod_on_node(c, pod, taints, nr);
}

/* --- informer handlers --------------------------------------------------- */

static bool noexec_equal(const struct object *a, const struct object *b)
{
  const struct taint *x[TE_MAX_TAINTS], *y[TE_MAX_TAINTS];
  size_t xn = noexec_taints(a, x, TE_MAX_TAINTS);
  size_t yn = noexec_taints(b, y, TE_MAX_TAINTS);

  if (xn != yn)
    return false;
  for (size_t i = 0; i < xn; i++)
    if (!nf__taints_equal(x[i], 1, y[i], 1))
      return false;
  return true;
}

static void on_node(struct informer *inf, enum watch_type t,
                    const struct object *old, const struct object *now,
                    void *ctx)
{
  struct te *c = ctx;

  (void)inf;
  if (t == WATCH_MODIFIED && old && noexec_equal(old, now))
    return;
  /* SIMPLIFIED: handled at the delivery, not by a worker. */
  handle_node(c, now->meta.name);
}

static bool tolerations_equal(const struct pod_spec *a,
                              const struct pod_spec *b)
{
  if (a->tolerations_nr != b->tolerations_nr)
    return false;
  for (size_t i = 0; i < a->tolerations_nr; i++) {
    const struct toleration *x = &a->tolerations[i], *y = &b->tolerations[i];
    if (x->op != y->op || x->any_effect != y->any_effect ||
        x->effect != y->effect ||
        x->toleration_seconds != y->toleration_seconds ||
        strcmp(x->key ? x->key : "", y->key ? y->key : "") ||
        strcmp(x->value ? x->value : "", y->value ? y->value : ""))
      return false;
  }
  return true;
}

static bool same_node(const char *a, const char *b)
{
  return !strcmp(a ? a : "", b ? b : "");
}

static void on_pod(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct te *c = ctx;
  const struct object *o = now;

  (void)inf;
  nf__index_update(&c->ix, t, old, now);
  if (t == WATCH_MODIFIED && old &&
      tolerations_equal(&old->u.pod.spec, &now->u.pod.spec) &&
      same_node(old->u.pod.spec.node_name, now->u.pod.spec.node_name))
    return;
  handle_pod(c, o->meta.namespace_, o->meta.name, o->u.pod.spec.node_name);
}

/* --- DefaultTolerationSeconds ------------------------------------------- */

struct te_admission {
  int64_t not_ready, unreachable; /* seconds */
};

static bool covers(const struct toleration *t, const char *key)
{
  return (!t->key || !*t->key || !strcmp(t->key, key)) &&
         (t->any_effect || t->effect == TAINT_NO_EXECUTE);
}

static enum api_status admit_tolerations(struct api *api, struct object *o,
                                         const struct object *old, void *ctx,
                                         char *msg, size_t msg_len)
{
  const struct te_admission *a = ctx;
  struct pod_spec *sp = &o->u.pod.spec;
  bool not_ready = false, unreachable = false;

  (void)old;
  (void)msg;
  (void)msg_len;
  for (size_t i = 0; i < sp->tolerations_nr; i++) {
    not_ready |= covers(&sp->tolerations[i], NF_TAINT_NOT_READY);
    unreachable |= covers(&sp->tolerations[i], NF_TAINT_UNREACHABLE);
  }
  if (not_ready && unreachable)
    return API_OK;
  struct toleration *v =
      arena_alloc(api_arena(api), (sp->tolerations_nr + 2) * sizeof(*v));
  size_t nr = sp->tolerations_nr;
  if (nr)
    memcpy(v, sp->tolerations, nr * sizeof(*v));
  if (!not_ready)
    v[nr++] = (struct toleration){.key = NF_TAINT_NOT_READY,
                                  .op = TOLERATE_EXISTS,
                                  .effect = TAINT_NO_EXECUTE,
                                  .toleration_seconds = a->not_ready};
  if (!unreachable)
    v[nr++] = (struct toleration){.key = NF_TAINT_UNREACHABLE,
                                  .op = TOLERATE_EXISTS,
                                  .effect = TAINT_NO_EXECUTE,
                                  .toleration_seconds = a->unreachable};
  sp->tolerations = v;
  sp->tolerations_nr = nr;
  return API_OK;
}

/* --- the component ------------------------------------------------------- */

void *tainteviction_start(const struct cluster_env *env)
{
  struct te *c = xcalloc(1, sizeof(*c));
  const struct timings *tm = &env->s->timings;
  simtime delay = tm->v[TIMING_WATCH_DELAY];
  struct te_admission *a;

  c->env = *env;
  c->api = env->api;
  c->engine = api_engine(env->api);
  c->arena = api_arena(env->api);

  /* The admission plugin lives as long as the API server: its settings go
   * to the run's arena. */
  a = arena_calloc(c->arena, 1, sizeof(*a));
  a->not_ready = tm->v[TIMING_NOT_READY_TOLERATION] / SIM_SEC(1);
  a->unreachable = tm->v[TIMING_UNREACHABLE_TOLERATION] / SIM_SEC(1);
  api_add_admission(c->api, KIND_POD, true, admit_tolerations, a);

  c->nodes = informer_new(c->api, KIND_NODE, TE_WHO, delay);
  c->pods = informer_new(c->api, KIND_POD, TE_WHO, delay);
  informer_add_handler(c->pods, on_pod, c);
  informer_add_handler(c->nodes, on_node, c);
  return c;
}

void tainteviction_stop(void *state)
{
  struct te *c = state;

  if (!c)
    return;
  /* No engine calls: the engine may be freed already. */
  free(c->slots.v);
  free(c->free_slots.v);
  free(c->by_key.v);
  nf__index_release(&c->ix);
  free(c);
}
