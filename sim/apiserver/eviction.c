/*
 * eviction.c - the pods/eviction subresource (policy/v1) of the API
 * server: pkg/registry/core/pod/storage/eviction.go, reference
 * cluster-behaviour.md 6.1. A client asks for a pod to be evicted; the
 * server checks the PodDisruptionBudget covering the pod, takes one
 * disruption from its status (recording the pod in status.disruptedPods
 * so that the disruption controller does not hand the disruption out
 * again before it sees the pod go), marks the pod with the
 * DisruptionTarget condition and deletes it gracefully.
 *
 * Upstream's retry loops run inside one request: the server re-reads the
 * pod and the PDB on conflicts (EvictionsRetry: 20 tries about 500 ms
 * apart). Here a request is served at one virtual instant, so nothing can
 * change in between except by an injected conflict; those are retried at
 * once, up to 20 tries, without the 500 ms pauses (SIMPLIFIED).
 *
 * Versions: the PodDisruptionConditions gate (the DisruptionTarget
 * condition) and PDBUnhealthyPodEvictionPolicy are GA in 1.31, the oldest
 * version a scenario can name, so both always apply; the PDB's
 * DisruptionAllowed condition is not modelled (struct pdb has no
 * conditions). Dry runs are not modelled.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apiserver_int.h"

/* EvictionsRetry.Steps: the conflict retries of one request. */
#define EVICTION_TRIES 20
/* MaxDisruptedPodSize: evictions not yet confirmed by the controller. */
#define MAX_DISRUPTED_PODS 2000
/* The Retry-After of a 429 while the PDB's status is stale. */
#define STALE_RETRY_AFTER 10

#define MSG_VIOLATE                                                            \
  "Cannot evict pod as it would violate the pod's disruption budget."

struct ev_req {
  const char *who, *ns, *name;
  const char *prev_client;
  uint64_t writes;
};

/* Like apiserver.c's req_begin/req_end: the verb is "evict". */
static void ev_begin(struct api *api, struct ev_req *r, const char *who,
                     const char *ns, const char *name)
{
  *r = (struct ev_req){who, ns, name, api->client, api->writes};
  api->client = who;
}

static enum api_status ev_end(struct api *api, const struct ev_req *r,
                              enum api_status st)
{
  bool changed = api->writes != r->writes;

  for (size_t i = 0; i < api->request_hooks.nr; i++)
    api->request_hooks.v[i].fn(r->who, "evict", KIND_POD, r->ns, r->name, st,
                               changed, api->request_hooks.v[i].ctx);
  api->client = r->prev_client;
  return st;
}

static enum api_status ev_fail(struct api *api, enum api_status st,
                               const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum api_status ev_fail(struct api *api, enum api_status st,
                               const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(api->last_error, sizeof(api->last_error), fmt, ap);
  va_end(ap);
  return st;
}

/* A 429 for a PDB whose status the controller has not caught up with
 * (createTooManyRequestsError). */
static enum api_status too_many_stale(struct api *api, const char *pdb,
                                      struct api_eviction_result *res)
{
  res->retry_after_seconds = STALE_RETRY_AFTER;
  snprintf(res->cause, sizeof(res->cause),
           "The disruption budget %s is still being processed by the server.",
           pdb);
  return ev_fail(api, API_TOO_MANY, MSG_VIOLATE);
}

/* --- the pod -------------------------------------------------------------- */

static bool pod_ready(const struct object *pod)
{
  return pod->u.pod.status.ready.status == COND_TRUE;
}

/* canIgnorePDB: the pod already caused its disruption, or never ran. */
static bool can_ignore_pdb(const struct object *pod)
{
  enum pod_phase p = pod->u.pod.status.phase;

  return p == POD_SUCCEEDED || p == POD_FAILED || p == POD_PENDING ||
         meta_is_deleting(&pod->meta);
}

/* shouldEnforceResourceVersion: a running pod must not have turned
 * healthy since the decision (terminal and deleting pods need not). */
static bool enforce_rv(const struct object *pod)
{
  enum pod_phase p = pod->u.pod.status.phase;

  return p != POD_SUCCEEDED && p != POD_FAILED && !meta_is_deleting(&pod->meta);
}

struct cond_patch {
  simtime now;
  uint64_t rv; /* the version decided on; 0 = any */
  bool stale;
};

/* UpdatePodCondition: DisruptionTarget=True; the transition time moves
 * only when the status changes. */
static bool set_disruption_target(struct object *o, void *ctx)
{
  struct cond_patch *c = ctx;
  struct condition *d = &o->u.pod.status.disruption_target;
  struct condition want = {COND_TRUE, c->now, "EvictionByEvictionAPI",
                           "Eviction API: evicting"};

  if (c->rv && o->meta.resource_version != c->rv) {
    c->stale = true;
    return false;
  }
  if (d->status == COND_TRUE)
    want.last_transition_time = d->last_transition_time;
  if (d->status == want.status &&
      d->last_transition_time == want.last_transition_time && d->reason &&
      !strcmp(d->reason, want.reason) && d->message &&
      !strcmp(d->message, want.message))
    return false;
  *d = want;
  return true;
}

/*
 * addConditionAndDeletePod: the condition, then the delete. With
 * check_rv the pod must still be the version the decision was taken on
 * (the resourceVersion precondition); a conflict then is a 429 for
 * budget `pdb` when there is one, as the client should simply retry.
 */
static enum api_status condition_and_delete(struct api *api,
                                            const struct object *pod,
                                            int64_t grace, bool check_rv,
                                            const char *pdb,
                                            struct api_eviction_result *res)
{
  struct cond_patch c = {engine_now(api->engine),
                         check_rv ? pod->meta.resource_version : 0, false};
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  const struct object *cur = NULL;
  enum api_status st;

  st =
      api_patch(api, api->client, KIND_POD, pod->meta.namespace_,
                pod->meta.name, pod->meta.uid, set_disruption_target, &c, &cur);
  if (st == API_OK && c.stale)
    st = ev_fail(api, API_CONFLICT,
                 "Operation cannot be fulfilled on pods \"%s\": the object "
                 "has been modified; please apply your changes to the latest "
                 "version and try again",
                 pod->meta.name);
  if (st == API_OK) {
    o.grace_seconds = grace;
    o.precondition_uid = pod->meta.uid;
    /* The condition write bumped the version the precondition names. */
    if (check_rv && cur)
      o.precondition_rv = cur->meta.resource_version;
    st = api_delete(api, api->client, KIND_POD, pod->meta.namespace_,
                    pod->meta.name, &o);
  }
  if (st == API_CONFLICT && check_rv && pdb)
    return too_many_stale(api, pdb, res);
  return st;
}

/* --- the budget ----------------------------------------------------------- */

struct pdb_match {
  const struct object *pod;
  const struct object *first;
  size_t nr;
};

/*
 * getPodDisruptionBudgets: the PDBs of the pod's namespace that select
 * it. policy/v1 lets an empty selector match every pod ("unlike the
 * v1beta1 version"); the manifest decoder does not tell a missing selector
 * from an empty one, so a PDB without one matches everything too.
 */
static bool match_pdb(const struct object *pdb, void *ctx)
{
  struct pdb_match *m = ctx;

  if (!selector_matches(&pdb->u.pdb.selector, &m->pod->meta.labels))
    return true;
  if (!m->nr++)
    m->first = pdb;
  return m->nr < 2; /* two are enough to refuse */
}

struct decrement {
  struct arena *arena;
  const char *pod;
  simtime now;
};

/* status.disruptionsAllowed - 1 and disruptedPods[pod] = now, keeping the
 * list sorted by pod name (a map upstream). */
static bool take_disruption(struct object *o, void *ctx)
{
  const struct decrement *d = ctx;
  struct pdb *p = &o->u.pdb;
  size_t nr = p->disrupted_pods_nr, at = 0;
  struct pdb_disrupted_pod *v;
  bool found = false;

  while (at < nr) {
    int c = strcmp(p->disrupted_pods[at].pod, d->pod);
    if (c >= 0) {
      found = c == 0;
      break;
    }
    at++;
  }
  v = arena_alloc(d->arena, (nr + 1) * sizeof(*v));
  if (nr)
    memcpy(v, p->disrupted_pods, nr * sizeof(*v));
  if (!found) {
    memmove(&v[at + 1], &v[at], (nr - at) * sizeof(*v));
    nr++;
  }
  v[at] = (struct pdb_disrupted_pod){d->pod, d->now};
  p->disrupted_pods = v;
  p->disrupted_pods_nr = nr;
  p->disruptions_allowed--;
  return true;
}

/*
 * checkAndDecrement, on the PDB as stored now. API_OK: one disruption was
 * taken for the pod.
 */
static enum api_status check_and_decrement(struct api *api,
                                           const struct object *pdb,
                                           const char *pod,
                                           struct api_eviction_result *res)
{
  const struct pdb *p = &pdb->u.pdb;
  struct decrement d = {api->arena, pod, engine_now(api->engine)};

  if (p->observed_generation < pdb->meta.generation)
    return too_many_stale(api, pdb->meta.name, res);
  if (p->disruptions_allowed < 0)
    return ev_fail(api, API_FORBIDDEN,
                   "poddisruptionbudgets.policy \"%s\" is forbidden: pdb "
                   "disruptions allowed is negative",
                   pdb->meta.name);
  if (p->disrupted_pods_nr > MAX_DISRUPTED_PODS)
    return ev_fail(api, API_FORBIDDEN,
                   "poddisruptionbudgets.policy \"%s\" is forbidden: "
                   "DisruptedPods map too big - too many evictions not "
                   "confirmed by PDB controller",
                   pdb->meta.name);
  if (p->disruptions_allowed == 0) {
    snprintf(res->cause, sizeof(res->cause),
             "The disruption budget %s needs %" PRId32
             " healthy pods and has %" PRId32 " currently",
             pdb->meta.name, p->desired_healthy, p->current_healthy);
    return ev_fail(api, API_TOO_MANY, MSG_VIOLATE);
  }
  return api_patch(api, api->client, KIND_PDB, pdb->meta.namespace_,
                   pdb->meta.name, pdb->meta.uid, take_disruption, &d, NULL);
}

/* --- the request ---------------------------------------------------------- */

static enum api_status evict(struct api *api, const char *ns, const char *name,
                             int64_t grace, struct api_eviction_result *res)
{
  const struct object *pod = api_get(api, KIND_POD, ns, name);
  struct pdb_match m = {pod, NULL, 0};
  enum api_status st = API_CONFLICT;

  if (!pod)
    return ev_fail(api, API_NOT_FOUND, "pods \"%s\" not found", name);
  if (can_ignore_pdb(pod))
    return condition_and_delete(api, pod, grace, enforce_rv(pod), NULL, res);
  api->listing++;
  api__tree_visit(&api->store[KIND_PDB], pod->meta.namespace_, NULL, match_pdb,
                  &m);
  api->listing--;
  if (m.nr > 1)
    return ev_fail(api, API_INTERNAL_ERROR,
                   "This pod has more than one PodDisruptionBudget, which the "
                   "eviction subresource does not support.");
  if (!m.nr)
    return condition_and_delete(api, pod, grace, false, NULL, res);
  if (!pod_ready(pod)) {
    const struct pdb *p = &m.first->u.pdb;
    /* An unhealthy pod does not count towards currentHealthy: deleting it
     * takes nothing from the budget, if the policy allows it. */
    if (p->unhealthy_pod_eviction_policy == UNHEALTHY_ALWAYS_ALLOW ||
        (p->current_healthy >= p->desired_healthy && p->desired_healthy > 0))
      return condition_and_delete(api, pod, grace, true, m.first->meta.name,
                                  res);
  }
  for (int i = 0; i < EVICTION_TRIES && st == API_CONFLICT; i++) {
    /* RetryOnConflict: refresh the PDB and check again. */
    const struct object *pdb =
        api_get(api, KIND_PDB, pod->meta.namespace_, m.first->meta.name);
    if (!pdb)
      return ev_fail(api, API_NOT_FOUND,
                     "poddisruptionbudgets.policy \"%s\" not found",
                     m.first->meta.name);
    st = check_and_decrement(api, pdb, pod->meta.name, res);
  }
  if (st == API_CONFLICT) {
    res->retry_after_seconds = STALE_RETRY_AFTER;
    return ev_fail(api, API_TIMEOUT,
                   "couldn't update PodDisruptionBudget \"%s\" due to "
                   "conflicts",
                   m.first->meta.name);
  }
  if (st != API_OK)
    return st;
  return condition_and_delete(api, pod, grace, false, m.first->meta.name, res);
}

enum api_status api_evict_ex(struct api *api, const char *who, const char *ns,
                             const char *pod, int64_t grace_seconds,
                             struct api_eviction_result *res)
{
  struct api_eviction_result scratch;
  struct ev_req r;
  enum api_status st;

  if (!res)
    res = &scratch;
  memset(res, 0, sizeof(*res));
  SIM_ASSERT(!api->listing);
  ns = api__namespace(KIND_POD, ns);
  ev_begin(api, &r, who, ns, pod ? pod : "");
  st = evict(api, ns, pod ? pod : "", grace_seconds, res);
  if (st == API_OK)
    api->last_error[0] = '\0';
  return ev_end(api, &r, st);
}

enum api_status api_evict(struct api *api, const char *who, const char *ns,
                          const char *pod, int64_t grace_seconds)
{
  return api_evict_ex(api, who, ns, pod, grace_seconds, NULL);
}
