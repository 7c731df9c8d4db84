/*
 * apiserver.c - the fake API server's request handling: create, update,
 * status update, patch and delete with Kubernetes' rules (uids, one global
 * resourceVersion, generation, optimistic concurrency, immutable fields,
 * finalizers, graceful pod deletion), admission plugins, write hooks and
 * injected write failures.
 *
 * Every write that changes the store allocates one new immutable version
 * in the arena, bumps the global resourceVersion, then queues the change
 * for the informers of its kind (watch.c) and calls the write hooks. A
 * write that changes nothing is answered like upstream's no-op update:
 * API_OK with the current version, no new resourceVersion, no watch event.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver_int.h"
#include "mutants.h"
#include "rng.h"

#define FINALIZER_ORPHAN "orphan"
#define FINALIZER_FOREGROUND "foregroundDeletion"

/* generateName: as k8s.io/apiserver's names.SimpleNameGenerator. */
#define GENERATE_ALPHABET "bcdfghjklmnpqrstvwxz2456789"
#define GENERATE_SUFFIX 5
#define GENERATE_MAX_PREFIX 58 /* 63 - 5 */
#define GENERATE_ATTEMPTS 8    /* RetryGenerateName: the first try + 7 */

const char *api_status_name(enum api_status s)
{
  switch (s) {
  case API_OK:
    return "OK";
  case API_NOT_FOUND:
    return "NotFound";
  case API_ALREADY_EXISTS:
    return "AlreadyExists";
  case API_CONFLICT:
    return "Conflict";
  case API_INVALID:
    return "Invalid";
  case API_FORBIDDEN:
    return "Forbidden";
  case API_TOO_MANY:
    return "TooManyRequests";
  case API_TIMEOUT:
    return "Timeout";
  case API_UNAVAILABLE:
    return "ServiceUnavailable";
  case API_INTERNAL_ERROR:
    return "InternalError";
  }
  SIM_BUG("api status %d out of range", (int)s);
}

struct api *api_new(struct engine *e, struct arena *a, uint64_t seed)
{
  struct api *api = xcalloc(1, sizeof(*api));

  api->engine = e;
  api->arena = a;
  api->rng = rng_stream_new(seed, RNG_APISERVER, 0);
  api->next_uid = 1;
  api->pool.arena = a;
  VEC_PUSH(&api->by_uid, NULL); /* uid 0 is "none" */
  return api;
}

void api_free(struct api *api)
{
  if (!api)
    return;
  api__watch_free(api);
  api__events_free(api);
  api__lease_free(api);
  for (int k = 0; k < KIND_COUNT; k++)
    api__tree_clear(&api->store[k], &api->pool);
  free(api->by_uid.v);
  free(api->digests.v);
  free(api->admissions.v);
  free(api->hooks.v);
  free(api->request_hooks.v);
  free(api->faults.v);
  rng_free(api->rng);
  free(api);
}

struct engine *api_engine(struct api *api)
{
  return api->engine;
}

struct arena *api_arena(struct api *api)
{
  return api->arena;
}

const char *api_last_error(const struct api *api)
{
  return api->last_error;
}

void api_set_mutant(struct api *api, const char *mutant)
{
  api->mutant = mutant;
}

uint64_t api_resource_version(const struct api *api)
{
  return api->rv;
}

uint64_t api_faults_injected(const struct api *api)
{
  return api->faults_injected;
}

void api_add_admission(struct api *api, enum obj_kind kind, bool on_update,
                       api_admit_fn *fn, void *ctx)
{
  struct api__admission a = {kind, on_update, fn, ctx};

  VEC_PUSH(&api->admissions, a);
}

void api_add_write_hook(struct api *api, api_write_hook_fn *fn, void *ctx)
{
  struct api__hook h = {fn, ctx};

  VEC_PUSH(&api->hooks, h);
}

void api_add_write_fault(struct api *api, enum api_fault_kind kind, double rate,
                         simtime from, simtime until, const char *who)
{
  struct api__fault f = {kind, rate, from, until,
                         arena_strdup(api->arena, who)};

  VEC_PUSH(&api->faults, f);
  api__lease_fault_added(api, &api->faults.v[api->faults.nr - 1]);
}

void api_add_request_hook(struct api *api, api_request_hook_fn *fn, void *ctx)
{
  struct api__request_hook h = {fn, ctx};

  VEC_PUSH(&api->request_hooks, h);
}

const char *api_current_client(const struct api *api)
{
  return api->client;
}

/* --- requests ------------------------------------------------------------ */

/*
 * Every write request runs between req_begin and req_end: the client is
 * known to hooks meanwhile (requests may nest: a hook may write), and the
 * request hooks hear the outcome afterwards.
 */
struct req {
  const char *who, *verb;
  enum obj_kind kind;
  const char *ns, *name;
  const char *prev_client;
  uint64_t writes;
};

static void req_begin(struct api *api, struct req *r, const char *who,
                      const char *verb, enum obj_kind kind, const char *ns,
                      const char *name)
{
  *r = (struct req){who,  verb,        kind,       api__namespace(kind, ns),
                    name, api->client, api->writes};
  if (kind == KIND_LEASE)
    api__lease_write(api, r->ns, name);
  api->client = who;
}

static enum api_status req_end(struct api *api, const struct req *r,
                               enum api_status st)
{
  bool changed = api->writes != r->writes;

  for (size_t i = 0; i < api->request_hooks.nr; i++)
    api->request_hooks.v[i].fn(r->who, r->verb, r->kind, r->ns,
                               r->name ? r->name : "", st, changed,
                               api->request_hooks.v[i].ctx);
  api->client = r->prev_client;
  return st;
}

/* --- answers -------------------------------------------------------------- */

static enum api_status ok(struct api *api)
{
  api->last_error[0] = '\0';
  return API_OK;
}

static enum api_status fail(struct api *api, enum api_status st,
                            const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum api_status fail(struct api *api, enum api_status st,
                            const char *fmt, ...)
{
  va_list ap;

  SIM_ASSERT(st != API_OK);
  va_start(ap, fmt);
  vsnprintf(api->last_error, sizeof(api->last_error), fmt, ap);
  va_end(ap);
  return st;
}

static enum api_status not_found(struct api *api, enum obj_kind k,
                                 const char *name)
{
  return fail(api, API_NOT_FOUND, "%s \"%s\" not found", api__resource(k),
              name);
}

static enum api_status conflict(struct api *api, enum obj_kind k,
                                const char *name)
{
  return fail(api, API_CONFLICT,
              "Operation cannot be fulfilled on %s \"%s\": the object has "
              "been modified; please apply your changes to the latest "
              "version and try again",
              api__resource(k), name);
}

static enum api_status invalid(struct api *api, enum obj_kind k,
                               const char *name, const char *detail)
{
  return fail(api, API_INVALID, "%s \"%s\" is invalid: %s",
              api__qualified_kind(k), name, detail);
}

/* --- injected failures ---------------------------------------------------- */

/*
 * Draws for each active window in the order they were added; the first
 * that fires wins. Nothing is drawn when no window is active, so a run
 * without faults consumes no randomness here.
 */
static bool fault_fires(struct api *api, const char *who,
                        enum api_fault_kind *kind)
{
  simtime now = engine_now(api->engine);

  for (size_t i = 0; i < api->faults.nr; i++) {
    const struct api__fault *f = &api->faults.v[i];
    if (now < f->from || now >= f->until)
      continue;
    if (f->who && (!who || strcmp(f->who, who)))
      continue;
    if (gsl_rng_uniform(api->rng) < f->rate) {
      api->faults_injected++;
      *kind = f->kind;
      return true;
    }
  }
  return false;
}

static enum api_status fault_answer(struct api *api, enum api_fault_kind kind,
                                    enum obj_kind k, const char *name)
{
  switch (kind) {
  case API_FAULT_CONFLICT:
    return conflict(api, k, name ? name : "");
  case API_FAULT_UNAVAILABLE:
    return fail(api, API_UNAVAILABLE,
                "the server is currently unable to handle the request");
  case API_FAULT_TIMEOUT:
  case API_FAULT_TIMEOUT_APPLIED:
    return fail(api, API_TIMEOUT,
                "the server was unable to return a response in the time "
                "allotted, but may still be processing the request");
  }
  SIM_BUG("fault kind %d out of range", (int)kind);
}

/* --- helpers -------------------------------------------------------------- */

static void check_kind(enum obj_kind k)
{
  if (k <= KIND_NONE || k >= KIND_COUNT)
    SIM_BUG("object kind %d is not a stored kind", (int)k);
  if (k == KIND_EVENT)
    SIM_BUG("events are written through api_record_event");
}

static simtime add_seconds(simtime t, int64_t s)
{
  if (s >= (SIMTIME_NEVER - t) / SIM_SEC(1))
    return SIMTIME_NEVER - 1;
  return t + SIM_SEC(s);
}

static bool str_list_has(const struct str_list *l, const char *s)
{
  for (size_t i = 0; i < l->nr; i++)
    if (l->v[i] && !strcmp(l->v[i], s))
      return true;
  return false;
}

static bool str_eq(const char *a, const char *b)
{
  if (a == b || !a || !b)
    return a == b;
  return !strcmp(a, b);
}

static bool is_empty(const char *s)
{
  return !s || !*s;
}

static bool has_status(enum obj_kind k)
{
  switch (k) {
  case KIND_STATEFULSET:
  case KIND_POD:
  case KIND_PVC:
  case KIND_PV:
  case KIND_NODE:
  case KIND_PDB:
  case KIND_VOLUMEATTACHMENT:
    return true;
  default:
    return false;
  }
}

/* Copies the status part (what /status writes) of src into dst. */
static void copy_status(struct object *dst, const struct object *src)
{
  switch (src->kind) {
  case KIND_STATEFULSET:
    dst->u.sts.status = src->u.sts.status;
    break;
  case KIND_POD:
    dst->u.pod.status = src->u.pod.status;
    break;
  case KIND_PVC:
    dst->u.pvc.status = src->u.pvc.status;
    break;
  case KIND_PV:
    dst->u.pv.status = src->u.pv.status;
    break;
  case KIND_NODE: {
    struct node *d = &dst->u.node;
    const struct node *s = &src->u.node;
    d->cpu_allocatable_milli = s->cpu_allocatable_milli;
    d->memory_allocatable = s->memory_allocatable;
    d->pods_allocatable = s->pods_allocatable;
    d->ready = s->ready;
    d->last_heartbeat = s->last_heartbeat;
    d->memory_pressure = s->memory_pressure;
    d->disk_pressure = s->disk_pressure;
    d->pid_pressure = s->pid_pressure;
    d->network_unavailable = s->network_unavailable;
    d->volumes_in_use = s->volumes_in_use;
    d->volumes_attached = s->volumes_attached;
    break;
  }
  case KIND_PDB:
    dst->u.pdb.observed_generation = src->u.pdb.observed_generation;
    dst->u.pdb.current_healthy = src->u.pdb.current_healthy;
    dst->u.pdb.desired_healthy = src->u.pdb.desired_healthy;
    dst->u.pdb.disruptions_allowed = src->u.pdb.disruptions_allowed;
    dst->u.pdb.expected_pods = src->u.pdb.expected_pods;
    dst->u.pdb.disrupted_pods = src->u.pdb.disrupted_pods;
    dst->u.pdb.disrupted_pods_nr = src->u.pdb.disrupted_pods_nr;
    break;
  case KIND_VOLUMEATTACHMENT:
    dst->u.va.attached = src->u.va.attached;
    dst->u.va.attach_error = src->u.va.attach_error;
    dst->u.va.detach_error = src->u.va.detach_error;
    break;
  default:
    break;
  }
}

/*
 * On create the server owns the status, as each kind's PrepareForCreate
 * does upstream: a new Pod is Pending, a new claim or volume Pending, a
 * new StatefulSet, PDB or VolumeAttachment has an empty status. Nodes keep
 * theirs (the kubelet registers a Node with its status).
 */
static void reset_status(struct object *o)
{
  struct object blank;

  switch (o->kind) {
  case KIND_STATEFULSET:
  case KIND_POD:
  case KIND_PVC:
  case KIND_PV:
  case KIND_PDB:
  case KIND_VOLUMEATTACHMENT:
    object_init(&blank, o->kind);
    if (o->kind == KIND_POD)
      blank.u.pod.status.phase = POD_PENDING;
    copy_status(o, &blank);
    break;
  default:
    break;
  }
}

static bool probe_unset(const struct probe *p)
{
  return p->set && (p->period_seconds == 0 || p->timeout_seconds == 0 ||
                    p->success_threshold == 0 || p->failure_threshold == 0);
}

/*
 * object_set_defaults() writes probe defaults into the container array;
 * the array may be shared with the caller's objects or a stored version,
 * so give the candidate a private copy first when a probe needs it.
 */
static void own_containers(struct api *api, const struct container **cs,
                           size_t nr)
{
  for (size_t i = 0; i < nr; i++) {
    const struct container *c = &(*cs)[i];
    if (probe_unset(&c->readiness) || probe_unset(&c->liveness) ||
        probe_unset(&c->startup)) {
      *cs = arena_memdup(api->arena, *cs, nr * sizeof(**cs));
      return;
    }
  }
}

static void apply_defaults(struct api *api, struct object *o)
{
  struct pod_spec *s = NULL;

  if (o->kind == KIND_POD)
    s = &o->u.pod.spec;
  else if (o->kind == KIND_STATEFULSET)
    s = &o->u.sts.spec.template_.spec;
  if (s) {
    own_containers(api, &s->containers, s->containers_nr);
    own_containers(api, &s->init_containers, s->init_containers_nr);
  }
  object_set_defaults(o);
}

/* Runs the plugins of o's kind (on update only those asking for it). */
static enum api_status admit(struct api *api, struct object *o,
                             const struct object *old)
{
  for (size_t i = 0; i < api->admissions.nr; i++) {
    const struct api__admission *a = &api->admissions.v[i];
    char msg[sizeof(api->last_error)];
    enum api_status st;

    if (a->kind != o->kind || (old && !a->on_update))
      continue;
    msg[0] = '\0'; /* not the whole buffer: this runs on every write */
    st = a->fn(api, o, old, a->ctx, msg, sizeof(msg));
    if (st != API_OK)
      return fail(api, st, "%s", msg[0] ? msg : "admission denied the request");
  }
  return API_OK;
}

/* Publishes a change: informers first (they only queue), then the hooks. */
static void notify(struct api *api, enum watch_type t, const struct object *old,
                   const struct object *now)
{
  api->writes++;
  api__watch_notify(api, t, now);
  for (size_t i = 0; i < api->hooks.nr; i++)
    api->hooks.v[i].fn(t, old, now, api->hooks.v[i].ctx);
}

/* Stores o as the new version of cur's key (cur NULL: a new object). */
static const struct object *store(struct api *api, const struct object *cur,
                                  struct object *o)
{
  const struct object *v;

  o->meta.resource_version = ++api->rv;
  v = arena_memdup(api->arena, o, sizeof(*o));
  api__tree_put(&api->store[o->kind], &api->pool, v);
  if (cur) {
    api->by_uid.v[v->meta.uid] = v;
    notify(api, WATCH_MODIFIED, cur, v);
  } else {
    SIM_ASSERT(v->meta.uid == api->by_uid.nr);
    VEC_PUSH(&api->by_uid, v);
    notify(api, WATCH_ADDED, NULL, v);
  }
  return v;
}

/*
 * Removes cur from the store. Watchers get `last` (cur with whatever the
 * deleting request changed) as a version of its own, with the removal's
 * resourceVersion, as a DELETED watch event carries it upstream.
 */
static void remove_object(struct api *api, const struct object *cur,
                          const struct object *last)
{
  struct object fin = *last;
  const struct object *v;

  fin.meta.resource_version = ++api->rv;
  v = arena_memdup(api->arena, &fin, sizeof(fin));
  api__tree_del(&api->store[cur->kind], &api->pool, cur->meta.namespace_,
                cur->meta.name);
  api->by_uid.v[cur->meta.uid] = NULL;
  notify(api, WATCH_DELETED, cur, v);
}

/* --- digests: the no-op check ------------------------------------------- */

/* Digests of an object being written, each computed at most once. */
struct dig {
  uint64_t meta, spec, status;
  unsigned have;
};

static uint64_t dig_get(struct dig *d, const struct object *o, unsigned which)
{
  if (!(d->have & which)) {
    uint64_t h = which == API__DIG_META   ? object_meta_digest(&o->meta)
                 : which == API__DIG_SPEC ? object_spec_digest(o)
                                          : object_status_digest(o);
    if (which == API__DIG_META)
      d->meta = h;
    else if (which == API__DIG_SPEC)
      d->spec = h;
    else
      d->status = h;
    d->have |= which;
  }
  return which == API__DIG_META   ? d->meta
         : which == API__DIG_SPEC ? d->spec
                                  : d->status;
}

/* The cache entry of a stored version (keyed by uid, checked by pointer:
 * versions live in the arena until the run ends, so a pointer is never
 * reused for another version). */
static struct api__digests *stored_entry(struct api *api,
                                         const struct object *v)
{
  uint64_t uid = v->meta.uid;
  struct api__digests *e;

  if (uid >= api->digests.nr) {
    VEC_GROW(&api->digests, uid + 1);
    memset(api->digests.v + api->digests.nr, 0,
           (uid + 1 - api->digests.nr) * sizeof(*api->digests.v));
    api->digests.nr = uid + 1;
  }
  e = &api->digests.v[uid];
  if (e->v != v)
    *e = (struct api__digests){.v = v};
  return e;
}

static uint64_t stored_digest(struct api *api, const struct object *v,
                              unsigned which)
{
  struct api__digests *e = stored_entry(api, v);
  struct dig d = {e->meta, e->spec, e->status, e->have};
  uint64_t h = dig_get(&d, v, which);

  e->meta = d.meta;
  e->spec = d.spec;
  e->status = d.status;
  e->have = d.have;
  return h;
}

static uint64_t stored_spec(struct api *api, const struct object *v)
{
  return stored_digest(api, v, API__DIG_SPEC);
}

/* What was computed for a write becomes the stored version's (the
 * digests leave out resourceVersion, the one field store() sets). */
static void remember(struct api *api, const struct object *v,
                     const struct dig *d)
{
  struct api__digests *e = stored_entry(api, v);

  if (d->have & API__DIG_META)
    e->meta = d->meta;
  if (d->have & API__DIG_SPEC)
    e->spec = d->spec;
  if (d->have & API__DIG_STATUS)
    e->status = d->status;
  e->have |= d->have;
}

/* Whether a is b again: same metadata, spec, status and generation. */
static bool same_version(struct api *api, const struct object *a,
                         struct dig *da, const struct object *b)
{
  return a->meta.generation == b->meta.generation &&
         dig_get(da, a, API__DIG_SPEC) == stored_spec(api, b) &&
         dig_get(da, a, API__DIG_META) ==
             stored_digest(api, b, API__DIG_META) &&
         dig_get(da, a, API__DIG_STATUS) ==
             stored_digest(api, b, API__DIG_STATUS);
}

/* --- create --------------------------------------------------------------- */

static const char *generate_name(struct api *api, enum obj_kind k,
                                 const char *ns, const char *prefix)
{
  static const char alphabet[] = GENERATE_ALPHABET;
  size_t plen = strlen(prefix);
  char buf[GENERATE_MAX_PREFIX + GENERATE_SUFFIX + 1];

  if (plen > GENERATE_MAX_PREFIX)
    plen = GENERATE_MAX_PREFIX;
  memcpy(buf, prefix, plen);
  for (int attempt = 0; attempt < GENERATE_ATTEMPTS; attempt++) {
    for (int i = 0; i < GENERATE_SUFFIX; i++)
      buf[plen + i] =
          alphabet[gsl_rng_uniform_int(api->rng, sizeof(alphabet) - 1)];
    buf[plen + GENERATE_SUFFIX] = '\0';
    if (!api__tree_get(&api->store[k], ns, buf))
      return arena_strdup(api->arena, buf);
  }
  return NULL;
}

/* *name is set to the name the request settled on, once known. */
static enum api_status do_create(struct api *api, const struct object *in,
                                 const struct object **out, const char **name)
{
  enum obj_kind k = in->kind;
  struct object o = *in;
  const char *ns = api__namespace(k, in->meta.namespace_);
  const struct object *v;
  enum api_status st;

  o.meta.namespace_ = ns;
  if (is_empty(o.meta.name)) {
    if (is_empty(o.meta.generate_name))
      return invalid(api, k, "",
                     "metadata.name: Required value: name or generateName "
                     "is required");
    o.meta.name = generate_name(api, k, ns, o.meta.generate_name);
    if (!o.meta.name)
      return fail(api, API_ALREADY_EXISTS,
                  "%s \"%s\" already exists: no unused name after %d "
                  "attempts",
                  api__resource(k), in->meta.generate_name, GENERATE_ATTEMPTS);
  }
  *name = o.meta.name;
  if (api__tree_get(&api->store[k], ns, o.meta.name))
    return fail(api, API_ALREADY_EXISTS, "%s \"%s\" already exists",
                api__resource(k), o.meta.name);

  o.meta.uid = 0;
  o.meta.resource_version = 0;
  o.meta.generation = 1;
  o.meta.creation_timestamp = engine_now(api->engine);
  o.meta.deletion_timestamp = SIMTIME_NEVER;
  o.meta.deletion_grace_period_seconds = -1;
  reset_status(&o);
  apply_defaults(api, &o);

  st = admit(api, &o, NULL);
  if (st != API_OK)
    return st;
  if (o.kind != k || strcmp(o.meta.namespace_, ns))
    SIM_BUG("an admission plugin changed the kind or namespace");
  if (api__tree_get(&api->store[k], ns, o.meta.name))
    return fail(api, API_ALREADY_EXISTS, "%s \"%s\" already exists",
                api__resource(k), o.meta.name);

  o.meta.uid = api->next_uid++;
  v = store(api, NULL, &o);
  if (out)
    *out = v;
  return ok(api);
}

enum api_status api_create(struct api *api, const char *who,
                           const struct object *in, const struct object **out)
{
  enum api_fault_kind fk;
  enum api_status st;
  struct req r;
  bool faulted;

  check_kind(in->kind);
  SIM_ASSERT(!api->listing);
  req_begin(api, &r, who, "create", in->kind, in->meta.namespace_,
            in->meta.name);
  faulted = fault_fires(api, who, &fk);
  if (faulted && fk != API_FAULT_TIMEOUT_APPLIED)
    return req_end(api, &r, fault_answer(api, fk, in->kind, in->meta.name));
  st = do_create(api, in, faulted ? NULL : out, &r.name);
  if (faulted)
    st = fault_answer(api, fk, in->kind, r.name);
  return req_end(api, &r, st);
}

/* --- updates -------------------------------------------------------------- */

enum upd_mode {
  UPD_UPDATE, /* metadata and spec from the request, status kept */
  UPD_STATUS, /* status from the request, the rest kept */
  UPD_PATCH,  /* everything from the patched copy */
};

static const char sts_forbidden[] =
    "spec: Forbidden: updates to statefulset spec for fields other than "
    "'replicas', 'ordinals', 'template', 'updateStrategy', "
    "'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
    "'minReadySeconds' are forbidden";

static const char pod_forbidden[] =
    "spec: Forbidden: pod updates may not change fields other than "
    "`spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
    "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it "
    "to be set to 1 if it was previously negative)";

static const char pvc_forbidden[] =
    "spec: Forbidden: spec is immutable after creation except "
    "resources.requests and volumeAttributesClassName for bound claims";

/*
 * StatefulSet (ValidateStatefulSetUpdate): the spec with the mutable
 * fields copied from the old one must equal the old spec. The message
 * lists the mutable fields (reference statefulset-controller.md 1.1:
 * replicas, ordinals, template, updateStrategy, revisionHistoryLimit,
 * persistentVolumeClaimRetentionPolicy, minReadySeconds).
 */
static enum api_status check_sts(struct api *api, const struct object *cur,
                                 const struct object *nw)
{
  struct object a = *nw;
  struct statefulset_spec *s = &a.u.sts.spec;
  const struct statefulset_spec *o = &cur->u.sts.spec;

  s->replicas = o->replicas;
  s->has_ordinals = o->has_ordinals;
  s->ordinals_start = o->ordinals_start;
  s->template_ = o->template_;
  s->update_strategy = o->update_strategy;
  s->partition = o->partition;
  s->max_unavailable = o->max_unavailable;
  s->when_deleted = o->when_deleted;
  s->when_scaled = o->when_scaled;
  s->min_ready_seconds = o->min_ready_seconds;
  s->revision_history_limit = o->revision_history_limit;
  if (object_spec_digest(&a) != stored_spec(api, cur))
    return invalid(api, KIND_STATEFULSET, cur->meta.name, sts_forbidden);
  return API_OK;
}

static bool toleration_eq(const struct toleration *a,
                          const struct toleration *b)
{
  return str_eq(a->key, b->key) && a->op == b->op &&
         str_eq(a->value, b->value) && a->any_effect == b->any_effect &&
         (a->any_effect || a->effect == b->effect) &&
         a->toleration_seconds == b->toleration_seconds;
}

/* Whether every toleration of o is still in n ("only additions"). */
static bool tolerations_kept(const struct pod_spec *o, const struct pod_spec *n)
{
  for (size_t i = 0; i < o->tolerations_nr; i++) {
    bool found = false;
    for (size_t j = 0; j < n->tolerations_nr && !found; j++)
      found = toleration_eq(&o->tolerations[i], &n->tolerations[j]);
    if (!found)
      return false;
  }
  return true;
}

/* A copy of n's containers carrying o's images (caller frees). */
static struct container *with_old_images(const struct container *n,
                                         const struct container *o, size_t nr)
{
  struct container *c = xmalloc(nr * sizeof(*c));

  for (size_t i = 0; i < nr; i++) {
    c[i] = n[i];
    c[i].image = o[i].image;
  }
  return c;
}

/*
 * Pod (ValidatePodUpdate): only images, tolerations (additions) and a
 * negative grace period turned into 1 may change. nodeName may be set once,
 * which is what the binding subresource does; binding an assigned or a
 * deleting pod is a Conflict, as pods/binding answers.
 */
static enum api_status check_pod(struct api *api, const struct object *cur,
                                 const struct object *nw)
{
  const struct pod_spec *o = &cur->u.pod.spec, *n = &nw->u.pod.spec;
  struct container *cs = NULL, *ics = NULL;
  struct object a = *nw;
  struct pod_spec *s = &a.u.pod.spec;
  bool same;

  if (!is_empty(n->node_name) && !str_eq(n->node_name, o->node_name)) {
    if (!is_empty(o->node_name))
      return fail(api, API_CONFLICT,
                  "Operation cannot be fulfilled on pods/binding \"%s\": pod "
                  "%s is already assigned to node \"%s\"",
                  cur->meta.name, cur->meta.name, o->node_name);
    if (meta_is_deleting(&cur->meta))
      return fail(api, API_CONFLICT,
                  "Operation cannot be fulfilled on pods/binding \"%s\": pod "
                  "%s is being deleted, cannot be assigned to a host",
                  cur->meta.name, cur->meta.name);
  }
  if (is_empty(o->node_name))
    s->node_name = o->node_name;
  if (s->containers_nr == o->containers_nr && o->containers_nr) {
    cs = with_old_images(s->containers, o->containers, o->containers_nr);
    s->containers = cs;
  }
  if (s->init_containers_nr == o->init_containers_nr && o->init_containers_nr) {
    ics = with_old_images(s->init_containers, o->init_containers,
                          o->init_containers_nr);
    s->init_containers = ics;
  }
  if (tolerations_kept(o, n)) {
    s->tolerations = o->tolerations;
    s->tolerations_nr = o->tolerations_nr;
  }
  if (o->termination_grace_period_seconds < 0 &&
      s->termination_grace_period_seconds == 1)
    s->termination_grace_period_seconds = o->termination_grace_period_seconds;
  same = object_spec_digest(&a) == stored_spec(api, cur);
  free(cs);
  free(ics);
  if (!same)
    return invalid(api, KIND_POD, cur->meta.name, pod_forbidden);
  return API_OK;
}

/*
 * PersistentVolumeClaim (ValidatePersistentVolumeClaimUpdate): the request
 * may change on a bound claim (never shrink), volumeName may be set once,
 * and a nil storageClassName may be set once (retroactive default class).
 */
static enum api_status check_pvc(struct api *api, const struct object *cur,
                                 const struct object *nw)
{
  const struct pvc_spec *o = &cur->u.pvc.spec, *n = &nw->u.pvc.spec;
  struct object a = *nw;
  struct pvc_spec *s = &a.u.pvc.spec;

  if (cur->u.pvc.status.phase == PVC_BOUND)
    s->request_bytes = o->request_bytes;
  if (is_empty(o->volume_name))
    s->volume_name = o->volume_name;
  if (!o->storage_class_name)
    s->storage_class_name = NULL;
  if (object_spec_digest(&a) != stored_spec(api, cur))
    return invalid(api, KIND_PVC, cur->meta.name, pvc_forbidden);
  if (n->request_bytes < o->request_bytes)
    return invalid(api, KIND_PVC, cur->meta.name,
                   "spec.resources.requests.storage: Forbidden: field can "
                   "not be less than previous value");
  return API_OK;
}

/* StorageClass (ValidateStorageClassUpdate): only allowVolumeExpansion. */
static enum api_status check_sc(struct api *api, const struct object *cur,
                                const struct object *nw)
{
  const struct storage_class *o = &cur->u.sc, *n = &nw->u.sc;
  struct object a = *nw;
  const char *what;

  a.u.sc.allow_volume_expansion = o->allow_volume_expansion;
  if (object_spec_digest(&a) == stored_spec(api, cur))
    return API_OK;
  if (!str_eq(n->provisioner, o->provisioner))
    what = "provisioner: Forbidden: updates to provisioner are forbidden.";
  else if (n->reclaim_policy != o->reclaim_policy)
    what = "reclaimPolicy: Forbidden: updates to reclaimPolicy are "
           "forbidden.";
  else if (n->volume_binding_mode != o->volume_binding_mode)
    what = "volumeBindingMode: Invalid value: field is immutable";
  else {
    a.u.sc.parameters = o->parameters;
    if (object_spec_digest(&a) == stored_spec(api, cur))
      what = "parameters: Forbidden: updates to parameters are forbidden.";
    else
      what = "allowedTopologies: Invalid value: field is immutable";
  }
  return invalid(api, KIND_STORAGECLASS, cur->meta.name, what);
}

/*
 * ValidateStatefulSetStatus (status and patch writes): counts, the
 * observed generation and the collision count may not be negative, and
 * the collision count may not go down (ValidateStatefulSetStatusUpdate).
 * This is what refuses the controller's "currentReplicas: -1" when a
 * rolling update deletes a pod of a third revision (reference section
 * 7.1: the decrement is per deletion; B12). SIMPLIFIED: the relations
 * upstream also checks (readyReplicas <= replicas, ...) are left to the
 * property checker (status.consistent), and only the first error is
 * reported where upstream lists them all.
 */
static enum api_status check_sts_status(struct api *api,
                                        const struct object *cur,
                                        const struct object *nw)
{
  const struct statefulset_status *st = &nw->u.sts.status;
  const struct {
    const char *field;
    int64_t v;
  } counts[] = {
      {"replicas", st->replicas},
      {"readyReplicas", st->ready_replicas},
      {"currentReplicas", st->current_replicas},
      {"updatedReplicas", st->updated_replicas},
      {"availableReplicas", st->available_replicas},
      {"observedGeneration", st->observed_generation},
      {"collisionCount", st->has_collision_count ? st->collision_count : 0},
  };
  char detail[160];

  for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
    if (counts[i].v >= 0)
      continue;
    snprintf(detail, sizeof(detail),
             "status.%s: Invalid value: %lld: must be greater than or equal "
             "to 0",
             counts[i].field, (long long)counts[i].v);
    return invalid(api, KIND_STATEFULSET, cur->meta.name, detail);
  }
  if (cur->u.sts.status.has_collision_count &&
      (st->has_collision_count ? st->collision_count : 0) <
          cur->u.sts.status.collision_count) {
    snprintf(detail, sizeof(detail),
             "status.collisionCount: Invalid value: %d: cannot be "
             "decremented",
             st->has_collision_count ? st->collision_count : 0);
    return invalid(api, KIND_STATEFULSET, cur->meta.name, detail);
  }
  return API_OK;
}

static enum api_status check_immutable(struct api *api,
                                       const struct object *cur,
                                       const struct object *nw)
{
  switch (cur->kind) {
  case KIND_STATEFULSET:
    return check_sts(api, cur, nw);
  case KIND_POD:
    return check_pod(api, cur, nw);
  case KIND_PVC:
    return check_pvc(api, cur, nw);
  case KIND_STORAGECLASS:
    return check_sc(api, cur, nw);
  default:
    return API_OK;
  }
}

/*
 * ValidateObjectMetaUpdate: a deleting object may lose finalizers but not
 * gain any. Upstream answers 422 Invalid with a Forbidden field error.
 */
static enum api_status check_finalizers(struct api *api,
                                        const struct object *cur,
                                        const struct object *nw)
{
  char list[256];
  size_t len = 0;
  bool any = false;

  if (!meta_is_deleting(&cur->meta))
    return API_OK;
  list[0] = '\0';
  for (size_t i = 0; i < nw->meta.finalizers.nr; i++) {
    const char *f = nw->meta.finalizers.v[i];
    if (!f || str_list_has(&cur->meta.finalizers, f))
      continue;
    if (len < sizeof(list))
      len += (size_t)snprintf(list + len, sizeof(list) - len, "%s\"%s\"",
                              any ? ", " : "", f);
    any = true;
  }
  if (!any)
    return API_OK;
  return fail(api, API_INVALID,
              "%s \"%s\" is invalid: metadata.finalizers: Forbidden: no new "
              "finalizers can be added if the object is being deleted, found "
              "new finalizers []string{%s}",
              api__qualified_kind(cur->kind), cur->meta.name, list);
}

/* Server-owned metadata always comes from the stored version. */
static void keep_identity(struct object *nw, const struct object *cur)
{
  nw->kind = cur->kind;
  nw->meta.name = cur->meta.name;
  nw->meta.namespace_ = cur->meta.namespace_;
  nw->meta.uid = cur->meta.uid;
  nw->meta.resource_version = cur->meta.resource_version;
  nw->meta.generation = cur->meta.generation;
  nw->meta.creation_timestamp = cur->meta.creation_timestamp;
  nw->meta.deletion_timestamp = cur->meta.deletion_timestamp;
  nw->meta.deletion_grace_period_seconds =
      cur->meta.deletion_grace_period_seconds;
}

/*
 * The common path of update, status update and patch: nw is the candidate
 * version, cur the stored one.
 */
static enum api_status write_update(struct api *api, const struct object *cur,
                                    struct object *nw, enum upd_mode mode,
                                    const struct object **out)
{
  struct dig d = {0};
  enum api_status st;
  bool same;

  if (mode != UPD_STATUS) {
    if (nw->meta.uid && nw->meta.uid != cur->meta.uid) {
      char detail[160];
      snprintf(detail, sizeof(detail),
               "metadata.uid: Invalid value: \"%" PRIu64
               "\": field is immutable",
               nw->meta.uid);
      return invalid(api, cur->kind, cur->meta.name, detail);
    }
    if (nw->kind != cur->kind || !str_eq(nw->meta.name, cur->meta.name) ||
        !str_eq(api__namespace(cur->kind, nw->meta.namespace_),
                cur->meta.namespace_))
      return invalid(api, cur->kind, cur->meta.name,
                     "metadata.name: Invalid value: field is immutable");
    keep_identity(nw, cur);
    apply_defaults(api, nw);
    st = check_finalizers(api, cur, nw);
    if (st == API_OK)
      st = check_immutable(api, cur, nw);
    if (st == API_OK)
      st = admit(api, nw, cur);
    if (st != API_OK)
      return st;
    if (nw->kind != cur->kind || !str_eq(nw->meta.name, cur->meta.name))
      SIM_BUG("an admission plugin changed the kind or name");
  }
  if (mode != UPD_UPDATE && cur->kind == KIND_STATEFULSET &&
      (st = check_sts_status(api, cur, nw)) != API_OK)
    return st;
  keep_identity(nw, cur);
  if (mode == UPD_STATUS) {
    /* metadata and spec are the stored ones by construction */
    same = dig_get(&d, nw, API__DIG_STATUS) ==
           stored_digest(api, cur, API__DIG_STATUS);
  } else {
    if (dig_get(&d, nw, API__DIG_SPEC) != stored_spec(api, cur))
      nw->meta.generation = cur->meta.generation + 1;
    same = same_version(api, nw, &d, cur);
  }
  if (same) {
    if (out)
      *out = cur;
    return ok(api);
  }
  /* Store.Update's shouldDeleteDuringUpdate: the last finalizer went and
   * the grace period is over (0). */
  if (meta_is_deleting(&cur->meta) && cur->meta.finalizers.nr > 0 &&
      nw->meta.finalizers.nr == 0 &&
      cur->meta.deletion_grace_period_seconds == 0) {
    remove_object(api, cur, nw);
    if (out)
      *out = NULL;
    return ok(api);
  }
  {
    struct api__digests kept = *stored_entry(api, cur);
    const struct object *v = store(api, cur, nw);
    if (mode == UPD_STATUS) { /* metadata and spec are cur's */
      d.meta = kept.meta;
      d.spec = kept.spec;
      d.have |= kept.have & (API__DIG_META | API__DIG_SPEC);
    }
    remember(api, v, &d);
    if (out)
      *out = v;
  }
  return ok(api);
}

static const struct object *lookup(struct api *api, enum obj_kind k,
                                   const char *ns, const char *name)
{
  const struct object *o;

  if (!name)
    return NULL;
  o = api__tree_get(&api->store[k], api__namespace(k, ns), name);
  return k == KIND_LEASE && o ? api__lease_fresh(api, o) : o;
}

static enum api_status do_update(struct api *api, const struct object *in,
                                 bool status, const struct object **out)
{
  enum obj_kind k = in->kind;
  const struct object *cur =
      in->meta.name ? api__tree_get_hint(&api->store[k], in->meta.uid,
                                         api__namespace(k, in->meta.namespace_),
                                         in->meta.name)
                    : NULL;
  struct object nw;

  if (status && !has_status(k))
    return fail(api, API_NOT_FOUND,
                "the server could not find the requested resource");
  if (!cur)
    return not_found(api, k, in->meta.name ? in->meta.name : "");
  if (in->meta.resource_version &&
      in->meta.resource_version != cur->meta.resource_version)
    return conflict(api, k, cur->meta.name);
  if (status) {
    nw = *cur;
    /* MUTANT apiserver-drops-statefulset-status: the /status strategy
     * keeps the stored status (as the main resource's does), so the
     * write is a silent no-op. */
    if (k != KIND_STATEFULSET ||
        !mutant_on(api->mutant, MUTANT_API_STATUS_RESET))
      copy_status(&nw, in);
    return write_update(api, cur, &nw, UPD_STATUS, out);
  }
  nw = *in;
  copy_status(&nw, cur);
  return write_update(api, cur, &nw, UPD_UPDATE, out);
}

static enum api_status update_common(struct api *api, const char *who,
                                     const struct object *in, bool status,
                                     const struct object **out)
{
  enum api_fault_kind fk;
  enum api_status st;
  struct req r;
  bool faulted;

  check_kind(in->kind);
  SIM_ASSERT(!api->listing);
  req_begin(api, &r, who, status ? "update-status" : "update", in->kind,
            in->meta.namespace_, in->meta.name);
  faulted = fault_fires(api, who, &fk);
  if (faulted && fk != API_FAULT_TIMEOUT_APPLIED)
    return req_end(api, &r, fault_answer(api, fk, in->kind, in->meta.name));
  st = do_update(api, in, status, faulted ? NULL : out);
  if (faulted)
    st = fault_answer(api, fk, in->kind, in->meta.name);
  return req_end(api, &r, st);
}

enum api_status api_update(struct api *api, const char *who,
                           const struct object *in, const struct object **out)
{
  return update_common(api, who, in, false, out);
}

enum api_status api_update_status(struct api *api, const char *who,
                                  const struct object *in,
                                  const struct object **out)
{
  return update_common(api, who, in, true, out);
}

static enum api_status do_patch(struct api *api, enum obj_kind kind,
                                const char *ns, const char *name,
                                uint64_t precondition_uid, api_patch_fn *fn,
                                void *ctx, const struct object **out)
{
  const struct object *cur = lookup(api, kind, ns, name);
  struct object nw;

  if (!cur)
    return not_found(api, kind, name ? name : "");
  if (precondition_uid && precondition_uid != cur->meta.uid)
    return fail(api, API_CONFLICT,
                "Operation cannot be fulfilled on %s \"%s\": Precondition "
                "failed: UID in precondition: %" PRIu64
                ", UID in object meta: %" PRIu64,
                api__resource(kind), name, precondition_uid, cur->meta.uid);
  nw = *cur;
  if (!fn(&nw, ctx)) {
    if (out)
      *out = cur;
    return ok(api);
  }
  return write_update(api, cur, &nw, UPD_PATCH, out);
}

enum api_status api_patch(struct api *api, const char *who, enum obj_kind kind,
                          const char *ns, const char *name,
                          uint64_t precondition_uid, api_patch_fn *fn,
                          void *ctx, const struct object **out)
{
  enum api_fault_kind fk;
  enum api_status st;
  struct req r;
  bool faulted;

  check_kind(kind);
  SIM_ASSERT(!api->listing);
  req_begin(api, &r, who, "patch", kind, ns, name);
  faulted = fault_fires(api, who, &fk);
  if (faulted && fk != API_FAULT_TIMEOUT_APPLIED)
    return req_end(api, &r, fault_answer(api, fk, kind, name));
  st = do_patch(api, kind, ns, name, precondition_uid, fn, ctx,
                faulted ? NULL : out);
  if (faulted)
    st = fault_answer(api, fk, kind, name);
  return req_end(api, &r, st);
}

/* --- delete --------------------------------------------------------------- */

/*
 * deletionFinalizersForGarbageCollection: the propagation policy decides
 * whether "orphan" and "foregroundDeletion" are present; without a policy
 * the ones already there stay. Returns cur's list when nothing changes.
 */
static struct str_list
gc_finalizers(struct api *api, const struct str_list *cur, enum propagation p)
{
  bool has_orphan = str_list_has(cur, FINALIZER_ORPHAN);
  bool has_fg = str_list_has(cur, FINALIZER_FOREGROUND);
  bool want_orphan = has_orphan, want_fg = has_fg;
  const char **v;
  size_t nr = 0;

  switch (p) {
  case PROPAGATE_DEFAULT:
    break;
  case PROPAGATE_BACKGROUND:
    want_orphan = want_fg = false;
    break;
  case PROPAGATE_FOREGROUND:
    want_orphan = false;
    want_fg = true;
    break;
  case PROPAGATE_ORPHAN:
    want_orphan = true;
    want_fg = false;
    break;
  }
  if (want_orphan == has_orphan && want_fg == has_fg)
    return *cur;
  v = arena_alloc(api->arena, (cur->nr + 2) * sizeof(*v));
  for (size_t i = 0; i < cur->nr; i++)
    if (cur->v[i] && strcmp(cur->v[i], FINALIZER_ORPHAN) &&
        strcmp(cur->v[i], FINALIZER_FOREGROUND))
      v[nr++] = cur->v[i];
  if (want_orphan)
    v[nr++] = FINALIZER_ORPHAN;
  if (want_fg)
    v[nr++] = FINALIZER_FOREGROUND;
  return (struct str_list){v, nr};
}

/*
 * The pod's part of rest.BeforeDelete and the pod strategy's
 * CheckGracefulDelete. Sets the deletion metadata on nw. Returns false when
 * a graceful deletion is already pending and this request changes nothing
 * (not even finalizers may change then, as upstream).
 */
static bool pod_before_delete(const struct object *cur, struct object *nw,
                              const struct delete_opts *opts, simtime now)
{
  const struct pod *p = &cur->u.pod;
  int64_t req = opts->grace_seconds;
  bool has_req = req != -1;
  int64_t g;

  if (has_req && req < 0)
    req = 1; /* negative values are treated as 1s on the delete path */
  if (meta_is_deleting(&cur->meta)) {
    int64_t dg = cur->meta.deletion_grace_period_seconds;
    simtime ts;

    if (dg <= 0)
      return true; /* grace exhausted: delete now (or keep marked) */
    if (!has_req || req >= dg)
      return false; /* only a shorter grace period may be given */
    /* Move back by the old grace, forward by the new; never into the past
     * (then a graceful request keeps 1s for the kubelet). */
    ts = add_seconds(cur->meta.deletion_timestamp - SIM_SEC(dg), req);
    if (ts < now) {
      ts = now;
      if (req != 0)
        req = 1;
    }
    nw->meta.deletion_timestamp = ts;
    nw->meta.deletion_grace_period_seconds = req;
    return true;
  }
  if (has_req)
    g = req;
  else if (p->spec.termination_grace_period_seconds == -1)
    g = 0; /* unset: delete at once */
  else
    g = p->spec.termination_grace_period_seconds;
  if (is_empty(p->spec.node_name))
    g = 0; /* never scheduled */
  if (p->status.phase == POD_FAILED || p->status.phase == POD_SUCCEEDED)
    g = 0; /* already terminated */
  if (g < 0)
    g = 1;
  nw->meta.deletion_timestamp = add_seconds(now, g);
  nw->meta.deletion_grace_period_seconds = g;
  nw->meta.generation = cur->meta.generation + 1;
  return true;
}

static enum api_status do_delete(struct api *api, enum obj_kind kind,
                                 const char *ns, const char *name,
                                 const struct delete_opts *opts)
{
  const struct object *cur = lookup(api, kind, ns, name);
  simtime now = engine_now(api->engine);
  struct object nw;

  if (!cur)
    return not_found(api, kind, name ? name : "");
  if (opts->precondition_uid && opts->precondition_uid != cur->meta.uid)
    return fail(api, API_CONFLICT,
                "Operation cannot be fulfilled on %s \"%s\": Precondition "
                "failed: UID in precondition: %" PRIu64
                ", UID in object meta: %" PRIu64,
                api__resource(kind), name, opts->precondition_uid,
                cur->meta.uid);
  if (opts->precondition_rv &&
      opts->precondition_rv != cur->meta.resource_version)
    return fail(api, API_CONFLICT,
                "Operation cannot be fulfilled on %s \"%s\": Precondition "
                "failed: ResourceVersion in precondition: %" PRIu64
                ", ResourceVersion in object meta: %" PRIu64,
                api__resource(kind), name, opts->precondition_rv,
                cur->meta.resource_version);

  nw = *cur;
  if (kind == KIND_POD && !pod_before_delete(cur, &nw, opts, now))
    return ok(api); /* graceful deletion pending, nothing to change */
  nw.meta.finalizers =
      gc_finalizers(api, &cur->meta.finalizers, opts->propagation);

  if (nw.meta.finalizers.nr == 0 &&
      (nw.meta.deletion_grace_period_seconds <= 0 ||
       !meta_is_deleting(&nw.meta))) {
    /* No finalizer and no grace left: gone now. */
    remove_object(api, cur, &nw);
    return ok(api);
  }
  if (nw.meta.finalizers.nr > 0 &&
      (kind != KIND_POD || nw.meta.deletion_grace_period_seconds <= 0)) {
    /* markAsDeleting: finalizers keep it; grace 0, timestamp now at the
     * latest; the first marking bumps generation. */
    if (!meta_is_deleting(&cur->meta) && kind != KIND_POD)
      nw.meta.generation = cur->meta.generation + 1;
    if (!meta_is_deleting(&nw.meta) || nw.meta.deletion_timestamp > now)
      nw.meta.deletion_timestamp = now;
    nw.meta.deletion_grace_period_seconds = 0;
  }
  struct dig d = {0};
  if (same_version(api, &nw, &d, cur))
    return ok(api);
  remember(api, store(api, cur, &nw), &d);
  return ok(api);
}

enum api_status api_delete(struct api *api, const char *who, enum obj_kind kind,
                           const char *ns, const char *name,
                           const struct delete_opts *opts)
{
  const struct delete_opts dflt = DELETE_OPTS_DEFAULT;
  enum api_fault_kind fk;
  enum api_status st;
  struct req r;
  bool faulted;

  check_kind(kind);
  SIM_ASSERT(!api->listing);
  if (!opts)
    opts = &dflt;
  req_begin(api, &r, who, "delete", kind, ns, name);
  faulted = fault_fires(api, who, &fk);
  if (faulted && fk != API_FAULT_TIMEOUT_APPLIED)
    return req_end(api, &r, fault_answer(api, fk, kind, name));
  st = do_delete(api, kind, ns, name, opts);
  if (faulted)
    st = fault_answer(api, fk, kind, name);
  return req_end(api, &r, st);
}

/* --- reads ---------------------------------------------------------------- */

const struct object *api_get(struct api *api, enum obj_kind kind,
                             const char *ns, const char *name)
{
  check_kind(kind);
  return lookup(api, kind, ns, name);
}

const struct object *api_get_uid(struct api *api, uint64_t uid)
{
  return uid < api->by_uid.nr ? api->by_uid.v[uid] : NULL;
}

void api_list(struct api *api, enum obj_kind kind, const char *ns,
              const struct label_selector *sel, api_visit_fn *fn, void *ctx)
{
  if (kind == KIND_EVENT)
    return; /* events are read through api_events() */
  check_kind(kind);
  if (!obj_kind_namespaced(kind))
    ns = NULL;
  if (kind == KIND_LEASE)
    api__lease_fresh_all(api);
  api->listing++;
  api__tree_visit(&api->store[kind], ns, sel, fn, ctx);
  api->listing--;
}

size_t api_count(struct api *api, enum obj_kind kind)
{
  if (kind == KIND_EVENT)
    return api->ev_distinct;
  check_kind(kind);
  return api->store[kind].nr;
}
