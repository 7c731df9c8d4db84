/*
 * endpoints.c - the EndpointSlice controller of kube-controller-manager
 * (pkg/controller/endpointslice) for Services with a selector, and the
 * answer CoreDNS's kubernetes plugin gives from those slices
 * (cluster-behaviour.md 7).
 *
 * The controller: informers on Services, Pods and its own EndpointSlices.
 * For each Service with a selector it keeps the member pods (those the
 * selector matches that have an IP and are not in a terminal phase,
 * terminating ones included) and spreads them over slices of at most 100
 * endpoints (--max-endpoints-per-slice). Each endpoint carries
 *   serving     = the pod's Ready condition is True,
 *   terminating = the pod has a deletionTimestamp,
 *   ready       = publishNotReadyAddresses || (serving && !terminating),
 *   hostname    = spec.hostname when spec.subdomain names the Service,
 * the node name and the pod as targetRef. A slice is named
 * "<service>-<5 chars>", labelled kubernetes.io/service-name and
 * endpointslice.kubernetes.io/managed-by (plus the Service's labels and
 * service.kubernetes.io/headless), and owned by the Service (controller,
 * blockOwnerDeletion), so the garbage collector removes the slices of a
 * deleted Service, as upstream. A Service with no member keeps one empty
 * placeholder slice. A slice is written only when its content changes.
 *
 * Index: members by (service, pod name) in a hash table (lookup only,
 * D4); a pod event visits the Services of its namespace in the cache
 * (upstream's GetPodServiceMemberships) and touches only the slice the
 * pod's endpoint is in; a sync builds and compares only slices marked
 * dirty. So one pod change costs O(services in the namespace + 100).
 *
 * Timing: a change is seen after the watch delay; Services are synced by
 * upstream's 5 workers (--concurrent-service-endpoint-syncs), each sync
 * taking one API round trip (apiLatency); batch period 0 (the default).
 * Failed syncs are retried with the workqueue's per-item back-off (5 ms
 * doubling up to 1000 s).
 *
 * Simplifications (marked SIMPLIFIED below):
 * - Slice names take a deterministic suffix (a hash of the Service and a
 *   counter) instead of the API server's random generateName, so that
 *   slices do not consume the API server's random stream.
 * - New endpoints go to the first slice with room, in creation order;
 *   upstream's packing (prefer slices being updated anyway, fullest
 *   first) is not modelled. Endpoints within a slice are sorted by pod
 *   name (upstream keeps lister order).
 * - One address family (IPv4) and no ports: a slice has no addressType
 *   or ports; topology hints and zones are not set.
 * - The informer-staleness tracking (endpointSliceTracker) is replaced by
 *   comparing with the newest version this controller wrote or saw.
 * - A Service whose selector map is empty is treated as having none
 *   (objects.h cannot tell `selector: {}` from no selector).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster.h"

#define EPS_CLIENT "endpointslice-controller"
#define LABEL_SERVICE_NAME "kubernetes.io/service-name"
#define LABEL_MANAGED_BY "endpointslice.kubernetes.io/managed-by"
#define MANAGED_BY "endpointslice-controller.k8s.io"
#define LABEL_HEADLESS "service.kubernetes.io/headless"

#define MAX_ENDPOINTS_PER_SLICE 100 /* --max-endpoints-per-slice */
#define EPS_WORKERS 5               /* --concurrent-service-endpoint-syncs */
#define EPS_BACKOFF_BASE SIM_MS(5)
#define EPS_BACKOFF_MAX SIM_SEC(1000)

/* names.SimpleNameGenerator's alphabet and lengths. */
#define NAME_ALPHABET "bcdfghjklmnpqrstvwxz2456789"
#define NAME_SUFFIX 5
#define NAME_MAX_PREFIX 58

#define MEMBERS_PER_CHUNK 256

struct ep_service;
struct ep_slice;

struct ep_member {
  struct ep_service *svc;
  const char *pod;          /* the key within the Service */
  const struct object *obj; /* the pod version last seen */
  struct ep_slice *slice;
  size_t pos; /* index in slice->members */
  struct ep_member *next_free;
};

struct ep_slice {
  const char *name;
  VEC(struct ep_member *) members;
  const struct object *known; /* newest version written or seen; NULL:
                                 not (known to be) in the API */
  bool dirty;
};

struct ep_service {
  uint64_t id; /* per-run counter: part of member keys */
  const char *ns, *name;
  const struct object *obj; /* the Service in the cache; NULL: none */
  VEC(struct ep_slice *) slices;
  bool queued;
  unsigned failures;
  uint32_t name_seq; /* slice names tried so far */
};

struct ep_chunk {
  struct ep_chunk *next;
  struct ep_member m[MEMBERS_PER_CHUNK];
};

struct ep_retry {
  simtime at;
  struct ep_service *svc;
};

struct eps {
  struct cluster_env env;
  struct api *api;
  struct engine *engine;
  struct arena *arena;
  struct informer *svc_inf, *pod_inf, *slice_inf;

  /* (ns, name) -> service; services are never removed (tombstones) */
  struct ep_service **svc_slots;
  size_t svc_cap, svc_nr;
  VEC(struct ep_service *) services; /* every one, for stop() */

  /* (service id, pod name) -> member */
  struct ep_member **mem_slots;
  size_t mem_cap, mem_nr;
  struct ep_chunk *chunks;
  struct ep_member *free_members;

  VEC(struct ep_service *) queue;
  size_t head;
  VEC(struct ep_retry) retries;
  uint64_t work_handle, retry_handle;
  simtime work_at, retry_at;

  /* scratch for building a slice */
  VEC(struct endpoint) eps;
  VEC(struct kv) labels;
};

static bool str_eq(const char *a, const char *b)
{
  return !strcmp(a ? a : "", b ? b : "");
}

static bool is_empty(const char *s)
{
  return !s || !*s;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
  s = s ? s : "";
  return sim_fnv1a(h, s, strlen(s) + 1);
}

/* --- services by (namespace, name) ---------------------------------------- */

static size_t svc_hash(const char *ns, const char *name)
{
  return (size_t)hash_str(hash_str(SIM_FNV_INIT, ns), name);
}

static struct ep_service *svc_find(const struct eps *c, const char *ns,
                                   const char *name)
{
  if (!c->svc_cap)
    return NULL;
  for (size_t i = svc_hash(ns, name) & (c->svc_cap - 1);;
       i = (i + 1) & (c->svc_cap - 1)) {
    struct ep_service *s = c->svc_slots[i];
    if (!s)
      return NULL;
    if (!strcmp(s->ns, ns) && !strcmp(s->name, name))
      return s;
  }
}

static void svc_put_raw(struct eps *c, struct ep_service *s)
{
  size_t i = svc_hash(s->ns, s->name) & (c->svc_cap - 1);

  while (c->svc_slots[i])
    i = (i + 1) & (c->svc_cap - 1);
  c->svc_slots[i] = s;
}

static struct ep_service *svc_get(struct eps *c, const char *ns,
                                  const char *name)
{
  struct ep_service *s = svc_find(c, ns, name);

  if (s)
    return s;
  if ((c->svc_nr + 1) * 4 > c->svc_cap * 3) {
    size_t cap = c->svc_cap ? c->svc_cap * 2 : 64;
    free(c->svc_slots);
    c->svc_slots = xcalloc(cap, sizeof(*c->svc_slots));
    c->svc_cap = cap;
    for (size_t i = 0; i < c->services.nr; i++)
      svc_put_raw(c, c->services.v[i]);
  }
  s = xcalloc(1, sizeof(*s));
  s->id = c->services.nr + 1;
  s->ns = ns;
  s->name = name;
  VEC_PUSH(&c->services, s);
  svc_put_raw(c, s);
  c->svc_nr++;
  return s;
}

static bool svc_has_selector(const struct ep_service *s)
{
  return s->obj && s->obj->u.svc.selector.nr > 0;
}

/* --- members by (service, pod) -------------------------------------------- */

static size_t mem_hash(uint64_t svc_id, const char *pod)
{
  return (size_t)hash_str(sim_splitmix64(svc_id), pod);
}

static size_t mem_slot(const struct eps *c, const struct ep_member *m)
{
  return mem_hash(m->svc->id, m->pod) & (c->mem_cap - 1);
}

static struct ep_member *mem_find(const struct eps *c,
                                  const struct ep_service *s, const char *pod)
{
  if (!c->mem_cap)
    return NULL;
  for (size_t i = mem_hash(s->id, pod) & (c->mem_cap - 1);;
       i = (i + 1) & (c->mem_cap - 1)) {
    struct ep_member *m = c->mem_slots[i];
    if (!m)
      return NULL;
    if (m->svc == s && !strcmp(m->pod, pod))
      return m;
  }
}

static void mem_put_raw(struct eps *c, struct ep_member *m)
{
  size_t i = mem_slot(c, m);

  while (c->mem_slots[i])
    i = (i + 1) & (c->mem_cap - 1);
  c->mem_slots[i] = m;
}

static void mem_put(struct eps *c, struct ep_member *m)
{
  if ((c->mem_nr + 1) * 4 > c->mem_cap * 3) {
    struct ep_member **old = c->mem_slots;
    size_t old_cap = c->mem_cap;
    c->mem_cap = old_cap ? old_cap * 2 : 256;
    c->mem_slots = xcalloc(c->mem_cap, sizeof(*c->mem_slots));
    for (size_t i = 0; i < old_cap; i++)
      if (old[i])
        mem_put_raw(c, old[i]);
    free(old);
  }
  mem_put_raw(c, m);
  c->mem_nr++;
}

static void mem_del(struct eps *c, struct ep_member *m)
{
  size_t mask = c->mem_cap - 1;
  size_t i = mem_slot(c, m);

  while (c->mem_slots[i] != m)
    i = (i + 1) & mask;
  for (size_t j = (i + 1) & mask; c->mem_slots[j]; j = (j + 1) & mask) {
    size_t home = mem_slot(c, c->mem_slots[j]);
    if (((j - home) & mask) >= ((j - i) & mask)) {
      c->mem_slots[i] = c->mem_slots[j];
      i = j;
    }
  }
  c->mem_slots[i] = NULL;
  c->mem_nr--;
}

static struct ep_member *member_alloc(struct eps *c)
{
  struct ep_member *m = c->free_members;

  if (!m) {
    struct ep_chunk *ch = xcalloc(1, sizeof(*ch));
    ch->next = c->chunks;
    c->chunks = ch;
    for (size_t i = MEMBERS_PER_CHUNK; i-- > 0;) {
      ch->m[i].next_free = c->free_members;
      c->free_members = &ch->m[i];
    }
    m = c->free_members;
  }
  c->free_members = m->next_free;
  memset(m, 0, sizeof(*m));
  return m;
}

/* --- slices --------------------------------------------------------------- */

/* The uid of the Service that owns a slice version, 0 if none. */
static uint64_t slice_owner(const struct object *o)
{
  const struct owner_ref *r = meta_controller_ref(&o->meta);

  return r && str_eq(r->kind, "Service") ? r->uid : 0;
}

/* Whether a slice record may hold endpoints of the Service as it is. */
static bool slice_usable(const struct ep_service *s, const struct ep_slice *sl)
{
  return s->obj && (!sl->known || slice_owner(sl->known) == s->obj->meta.uid);
}

/* SIMPLIFIED: a deterministic generateName suffix. */
static const char *slice_name(struct eps *c, struct ep_service *s)
{
  static const char alphabet[] = NAME_ALPHABET;
  char buf[NAME_MAX_PREFIX + NAME_SUFFIX + 1];
  size_t len = strlen(s->name);
  uint64_t h;

  if (len > NAME_MAX_PREFIX - 1)
    len = NAME_MAX_PREFIX - 1;
  memcpy(buf, s->name, len);
  buf[len++] = '-';
  h = hash_str(hash_str(SIM_FNV_INIT, s->ns), s->name);
  h = sim_splitmix64(h ^ (s->obj ? s->obj->meta.uid : 0) ^
                     ((uint64_t)++s->name_seq << 40));
  for (int i = 0; i < NAME_SUFFIX; i++) {
    buf[len++] = alphabet[h % (sizeof(alphabet) - 1)];
    h /= sizeof(alphabet) - 1;
  }
  buf[len] = '\0';
  return arena_strdup(c->arena, buf);
}

static struct ep_slice *slice_add(struct ep_service *s, const char *name)
{
  struct ep_slice *sl = xcalloc(1, sizeof(*sl));

  sl->name = name;
  sl->dirty = true;
  VEC_PUSH(&s->slices, sl);
  return sl;
}

static void slice_remove(struct ep_service *s, size_t i)
{
  struct ep_slice *sl = s->slices.v[i];

  SIM_ASSERT(sl->members.nr == 0);
  memmove(&s->slices.v[i], &s->slices.v[i + 1],
          (s->slices.nr - i - 1) * sizeof(*s->slices.v));
  s->slices.nr--;
  free(sl->members.v);
  free(sl);
}

static struct ep_slice *slice_find(const struct ep_service *s, const char *name,
                                   size_t *idx)
{
  for (size_t i = 0; i < s->slices.nr; i++)
    if (!strcmp(s->slices.v[i]->name, name)) {
      if (idx)
        *idx = i;
      return s->slices.v[i];
    }
  return NULL;
}

/* The first usable slice with room; a new one if none. */
static struct ep_slice *slice_with_room(struct eps *c, struct ep_service *s)
{
  for (size_t i = 0; i < s->slices.nr; i++) {
    struct ep_slice *sl = s->slices.v[i];
    if (sl->members.nr < MAX_ENDPOINTS_PER_SLICE && slice_usable(s, sl))
      return sl;
  }
  return slice_add(s, slice_name(c, s));
}

/* --- endpoints ------------------------------------------------------------ */

/* ShouldPodBeInEndpoints(pod, includeTerminating=true). */
static bool pod_eligible(const struct object *pod)
{
  enum pod_phase ph = pod->u.pod.status.phase;

  return !is_empty(pod->u.pod.status.pod_ip) && ph != POD_SUCCEEDED &&
         ph != POD_FAILED;
}

/* podToEndpoint. */
static struct endpoint endpoint_of(const struct ep_service *s,
                                   const struct object *pod)
{
  const struct pod *p = &pod->u.pod;
  bool serving = p->status.ready.status == COND_TRUE;
  bool terminating = meta_is_deleting(&pod->meta);
  struct endpoint ep = {
      .address = p->status.pod_ip,
      .serving = serving,
      .terminating = terminating,
      .ready = s->obj->u.svc.publish_not_ready_addresses ||
               (serving && !terminating),
      .node_name = p->spec.node_name,
      .target_pod = pod->meta.name,
      .target_uid = pod->meta.uid,
  };

  /* ShouldSetHostname: same namespace is implied by the lookup. */
  if (!is_empty(p->spec.hostname) && str_eq(p->spec.subdomain, s->name))
    ep.hostname = p->spec.hostname;
  return ep;
}

static bool endpoint_same(const struct endpoint *a, const struct endpoint *b)
{
  return str_eq(a->address, b->address) && a->ready == b->ready &&
         a->serving == b->serving && a->terminating == b->terminating &&
         str_eq(a->hostname, b->hostname) &&
         str_eq(a->node_name, b->node_name) &&
         str_eq(a->target_pod, b->target_pod) && a->target_uid == b->target_uid;
}

static int endpoint_cmp(const void *pa, const void *pb)
{
  const struct endpoint *a = pa, *b = pb;
  int r = strcmp(a->target_pod, b->target_pod);

  if (r)
    return r;
  return (a->target_uid > b->target_uid) - (a->target_uid < b->target_uid);
}

/* --- membership ----------------------------------------------------------- */

static void member_remove(struct eps *c, struct ep_member *m)
{
  struct ep_slice *sl = m->slice;
  size_t last = sl->members.nr - 1;

  if (m->pos != last) {
    sl->members.v[m->pos] = sl->members.v[last];
    sl->members.v[m->pos]->pos = m->pos;
  }
  sl->members.nr--;
  sl->dirty = true;
  mem_del(c, m);
  m->next_free = c->free_members;
  c->free_members = m;
}

static void clear_members(struct eps *c, struct ep_service *s)
{
  for (size_t i = 0; i < s->slices.nr; i++) {
    struct ep_slice *sl = s->slices.v[i];
    while (sl->members.nr)
      member_remove(c, sl->members.v[sl->members.nr - 1]);
  }
}

/*
 * Brings the membership of pod in Service s up to date. Returns whether a
 * slice changed (the Service then needs a sync).
 */
static bool member_update(struct eps *c, struct ep_service *s,
                          const struct object *pod)
{
  struct ep_member *m = mem_find(c, s, pod->meta.name);
  struct label_selector sel = {.match_labels = s->obj->u.svc.selector};
  bool want = pod_eligible(pod) && selector_matches(&sel, &pod->meta.labels);
  struct ep_slice *sl;

  if (!want) {
    if (!m)
      return false;
    member_remove(c, m);
    return true;
  }
  if (m) {
    struct endpoint a = endpoint_of(s, m->obj), b = endpoint_of(s, pod);
    m->obj = pod;
    if (endpoint_same(&a, &b))
      return false;
    m->slice->dirty = true;
    return true;
  }
  m = member_alloc(c);
  m->svc = s;
  m->pod = pod->meta.name;
  m->obj = pod;
  sl = slice_with_room(c, s);
  m->slice = sl;
  m->pos = sl->members.nr;
  VEC_PUSH(&sl->members, m);
  sl->dirty = true;
  mem_put(c, m);
  return true;
}

static void member_delete(struct eps *c, struct ep_service *s, const char *pod,
                          bool *changed)
{
  struct ep_member *m = mem_find(c, s, pod);

  if (m) {
    member_remove(c, m);
    *changed = true;
  }
}

/* --- the work queue ------------------------------------------------------- */

static void work(struct engine *e, uint64_t subject, uint64_t arg, void *ctx);
static void retry_fire(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx);

static void schedule_work(struct eps *c, simtime at)
{
  if (c->work_handle && c->work_at <= at)
    return;
  if (c->work_handle)
    engine_cancel(c->engine, c->work_handle);
  c->work_at = at;
  c->work_handle = engine_schedule(c->engine, at, PHASE_CONTROLLER,
                                   "endpointslice-sync", work, 0, 0, c);
}

static void enqueue(struct eps *c, struct ep_service *s)
{
  if (s->queued)
    return;
  s->queued = true;
  if (c->head == c->queue.nr)
    c->head = c->queue.nr = 0;
  VEC_PUSH(&c->queue, s);
  schedule_work(c, engine_now(c->engine) +
                       c->env.s->timings.v[TIMING_API_LATENCY]);
}

static void schedule_retry_timer(struct eps *c)
{
  simtime at = SIMTIME_NEVER;

  for (size_t i = 0; i < c->retries.nr; i++)
    if (c->retries.v[i].at < at)
      at = c->retries.v[i].at;
  if (c->retry_handle && c->retry_at == at)
    return;
  if (c->retry_handle)
    engine_cancel(c->engine, c->retry_handle);
  c->retry_handle = 0;
  if (at == SIMTIME_NEVER)
    return;
  c->retry_at = at;
  c->retry_handle = engine_schedule(c->engine, at, PHASE_CONTROLLER,
                                    "endpointslice-retry", retry_fire, 0, 0, c);
}

static void requeue_later(struct eps *c, struct ep_service *s)
{
  simtime d = EPS_BACKOFF_BASE;
  struct ep_retry r;

  for (unsigned i = 0; i < s->failures && d < EPS_BACKOFF_MAX; i++)
    d *= 2;
  if (d > EPS_BACKOFF_MAX)
    d = EPS_BACKOFF_MAX;
  s->failures++;
  r = (struct ep_retry){engine_now(c->engine) + d, s};
  VEC_PUSH(&c->retries, r);
  schedule_retry_timer(c);
}

static void retry_fire(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct eps *c = ctx;
  simtime now = engine_now(e);
  size_t keep = 0;

  (void)subject;
  (void)arg;
  c->retry_handle = 0;
  for (size_t i = 0; i < c->retries.nr; i++) {
    if (c->retries.v[i].at > now)
      c->retries.v[keep++] = c->retries.v[i];
    else
      enqueue(c, c->retries.v[i].svc);
  }
  c->retries.nr = keep;
  schedule_retry_timer(c);
}

/* --- syncing a Service ---------------------------------------------------- */

/* setEndpointSliceLabels: the Service's labels, then the controller's. */
static struct kv_list build_labels(struct eps *c, const struct ep_service *s)
{
  const struct kv_list *sl = &s->obj->meta.labels;

  c->labels.nr = 0;
  for (size_t i = 0; i < sl->nr; i++) {
    const char *k = sl->v[i].key;
    if (str_eq(k, LABEL_SERVICE_NAME) || str_eq(k, LABEL_MANAGED_BY) ||
        str_eq(k, LABEL_HEADLESS))
      continue;
    VEC_PUSH(&c->labels, sl->v[i]);
  }
  VEC_PUSH(&c->labels, ((struct kv){LABEL_SERVICE_NAME, s->name}));
  VEC_PUSH(&c->labels, ((struct kv){LABEL_MANAGED_BY, MANAGED_BY}));
  if (s->obj->u.svc.headless)
    VEC_PUSH(&c->labels, ((struct kv){LABEL_HEADLESS, ""}));
  return (struct kv_list){c->labels.v, c->labels.nr};
}

static bool labels_same(const struct kv_list *a, const struct kv_list *b)
{
  if (a->nr != b->nr)
    return false;
  for (size_t i = 0; i < a->nr; i++)
    if (!str_eq(a->v[i].key, b->v[i].key) ||
        !str_eq(a->v[i].value, b->v[i].value))
      return false;
  return true;
}

/* Builds the desired endpoints of sl into c->eps, sorted. */
static void build_endpoints(struct eps *c, const struct ep_service *s,
                            const struct ep_slice *sl)
{
  c->eps.nr = 0;
  VEC_GROW(&c->eps, sl->members.nr);
  for (size_t i = 0; i < sl->members.nr; i++)
    c->eps.v[c->eps.nr++] = endpoint_of(s, sl->members.v[i]->obj);
  if (c->eps.nr > 1)
    qsort(c->eps.v, c->eps.nr, sizeof(*c->eps.v), endpoint_cmp);
}

static bool content_same(const struct eps *c, const struct ep_service *s,
                         const struct object *known,
                         const struct kv_list *labels)
{
  const struct endpoint_slice *k = &known->u.eps;

  if (slice_owner(known) != s->obj->meta.uid ||
      !str_eq(k->service_name, s->name) ||
      !labels_same(&known->meta.labels, labels) || k->endpoints_nr != c->eps.nr)
    return false;
  for (size_t i = 0; i < c->eps.nr; i++)
    if (!endpoint_same(&k->endpoints[i], &c->eps.v[i]))
      return false;
  return true;
}

/* Writes the desired content of sl (in c->eps); false on failure. */
static bool write_slice(struct eps *c, struct ep_service *s,
                        struct ep_slice *sl, const struct kv_list *labels)
{
  struct object o;
  struct owner_ref *r = arena_calloc(c->arena, 1, sizeof(*r));
  const struct object *out = NULL, *cached;
  enum api_status st;

  if (sl->known) {
    o = *sl->known;
  } else {
    object_init(&o, KIND_ENDPOINTSLICE);
    o.meta.name = sl->name;
    o.meta.namespace_ = s->ns;
  }
  *r = (struct owner_ref){.api_version = "v1",
                          .kind = "Service",
                          .name = s->name,
                          .uid = s->obj->meta.uid,
                          .controller = true,
                          .block_owner_deletion = true};
  o.meta.owner_refs = r;
  o.meta.owner_refs_nr = 1;
  o.meta.labels = (struct kv_list){
      arena_memdup(c->arena, labels->v, labels->nr * sizeof(*labels->v)),
      labels->nr};
  o.u.eps.service_name = s->name;
  o.u.eps.endpoints = c->eps.nr ? arena_memdup(c->arena, c->eps.v,
                                               c->eps.nr * sizeof(*c->eps.v))
                                : NULL;
  o.u.eps.endpoints_nr = c->eps.nr;

  if (!sl->known) {
    st = api_create(c->api, EPS_CLIENT, &o, &out);
    if (st == API_OK) {
      sl->known = out;
      return true;
    }
    if (st != API_ALREADY_EXISTS)
      return false;
    /* A create of ours that timed out but was applied, or a name taken
     * by someone else (then try another one). */
    cached = informer_get(c->slice_inf, s->ns, sl->name);
    if (cached && slice_owner(cached) == s->obj->meta.uid)
      sl->known = cached;
    else if (cached)
      sl->name = slice_name(c, s);
    return false;
  }
  st = api_update(c->api, EPS_CLIENT, &o, &out);
  if (st == API_OK) {
    sl->known = out;
    return true;
  }
  if (st == API_NOT_FOUND) {
    sl->known = NULL; /* deleted behind our back: create it again */
  } else if (st == API_CONFLICT) {
    cached = informer_get(c->slice_inf, s->ns, sl->name);
    if (cached &&
        cached->meta.resource_version > sl->known->meta.resource_version)
      sl->known = cached;
  }
  return false;
}

static bool delete_slice(struct eps *c, struct ep_service *s, size_t i)
{
  struct ep_slice *sl = s->slices.v[i];

  if (sl->known) {
    struct delete_opts o = DELETE_OPTS_DEFAULT;
    enum api_status st;
    o.precondition_uid = sl->known->meta.uid;
    st =
        api_delete(c->api, EPS_CLIENT, KIND_ENDPOINTSLICE, s->ns, sl->name, &o);
    if (st != API_OK && st != API_NOT_FOUND && st != API_CONFLICT)
      return false;
  }
  slice_remove(s, i);
  return true;
}

/* syncService + the reconciler. Returns false if something must be retried. */
static bool sync_service(struct eps *c, struct ep_service *s)
{
  bool ok = true;

  if (!s->obj) {
    /* Deleted: its slices go with the garbage collector (ownerRefs). */
    for (size_t i = s->slices.nr; i-- > 0;)
      if (!s->slices.v[i]->known && !s->slices.v[i]->members.nr)
        slice_remove(s, i);
    return true;
  }
  if (!svc_has_selector(s))
    return true; /* slices of selector-less Services are not ours */

  /* Slices of an older incarnation of the Service are deleted. */
  for (size_t i = s->slices.nr; i-- > 0;)
    if (!slice_usable(s, s->slices.v[i]) && !delete_slice(c, s, i))
      ok = false;
  if (!s->slices.nr)
    slice_add(s, slice_name(c, s)); /* the placeholder */

  for (size_t i = 0; i < s->slices.nr;) {
    struct ep_slice *sl = s->slices.v[i];
    struct kv_list labels;

    if (!sl->dirty || !slice_usable(s, sl)) {
      i++;
      continue;
    }
    if (!sl->members.nr && s->slices.nr > 1) {
      if (delete_slice(c, s, i))
        continue;
      ok = false;
      i++;
      continue;
    }
    build_endpoints(c, s, sl);
    labels = build_labels(c, s);
    if (sl->known && content_same(c, s, sl->known, &labels)) {
      sl->dirty = false;
    } else if (write_slice(c, s, sl, &labels)) {
      sl->dirty = false;
    } else {
      ok = false;
    }
    i++;
  }
  return ok;
}

static bool all_synced(const struct eps *c)
{
  return informer_synced(c->svc_inf) && informer_synced(c->pod_inf) &&
         informer_synced(c->slice_inf);
}

static void work(struct engine *e, uint64_t subject, uint64_t arg, void *ctx)
{
  struct eps *c = ctx;
  simtime now = engine_now(e);

  (void)subject;
  (void)arg;
  c->work_handle = 0;
  if (!all_synced(c)) {
    simtime d = c->env.s->timings.v[TIMING_WATCH_DELAY];
    schedule_work(c, now + (d > 0 ? d : SIM_MS(1)));
    return;
  }
  for (int w = 0; w < EPS_WORKERS && c->head < c->queue.nr; w++) {
    struct ep_service *s = c->queue.v[c->head++];
    s->queued = false;
    if (sync_service(c, s))
      s->failures = 0;
    else
      requeue_later(c, s);
  }
  if (c->head < c->queue.nr)
    schedule_work(c, now + c->env.s->timings.v[TIMING_API_LATENCY]);
}

/* --- informer handlers ---------------------------------------------------- */

struct pod_visit {
  struct eps *c;
  const struct object *pod; /* NULL: the pod was deleted */
  const char *name;
};

static bool visit_service_for_pod(const struct object *svc, void *ctx)
{
  struct pod_visit *v = ctx;
  struct ep_service *s = svc_find(v->c, svc->meta.namespace_, svc->meta.name);
  bool changed = false;

  if (!s || !svc_has_selector(s))
    return true;
  if (v->pod)
    changed = member_update(v->c, s, v->pod);
  else
    member_delete(v->c, s, v->name, &changed);
  if (changed)
    enqueue(v->c, s);
  return true;
}

static void on_pod(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct pod_visit v = {ctx, t == WATCH_DELETED ? NULL : now, now->meta.name};

  (void)inf;
  (void)old;
  informer_list(v.c->svc_inf, now->meta.namespace_, NULL, visit_service_for_pod,
                &v);
}

struct svc_visit {
  struct eps *c;
  struct ep_service *s;
};

static bool visit_pod_for_service(const struct object *pod, void *ctx)
{
  struct svc_visit *v = ctx;

  member_update(v->c, v->s, pod);
  return true;
}

/* Recomputes every member of s from the pod cache. */
static void rebuild_members(struct eps *c, struct ep_service *s)
{
  struct label_selector sel;
  struct svc_visit v = {c, s};

  clear_members(c, s);
  if (!svc_has_selector(s))
    return;
  sel = (struct label_selector){.match_labels = s->obj->u.svc.selector};
  informer_list(c->pod_inf, s->ns, &sel, visit_pod_for_service, &v);
}

static bool kv_same_set(const struct kv_list *a, const struct kv_list *b)
{
  if (a->nr != b->nr)
    return false;
  for (size_t i = 0; i < a->nr; i++)
    if (!str_eq(kv_get(b, a->v[i].key), a->v[i].value))
      return false;
  return true;
}

static void on_service(struct informer *inf, enum watch_type t,
                       const struct object *old, const struct object *now,
                       void *ctx)
{
  struct eps *c = ctx;
  struct ep_service *s = svc_get(c, now->meta.namespace_, now->meta.name);
  const struct object *prev = s->obj;

  (void)inf;
  (void)old;
  if (t == WATCH_DELETED) {
    if (!prev || prev->meta.uid != now->meta.uid)
      return;
    s->obj = NULL;
    clear_members(c, s);
    enqueue(c, s);
    return;
  }
  s->obj = now;
  if (!prev || prev->meta.uid != now->meta.uid ||
      !kv_same_set(&prev->u.svc.selector, &now->u.svc.selector)) {
    rebuild_members(c, s);
  } else if (prev->u.svc.headless == now->u.svc.headless &&
             prev->u.svc.publish_not_ready_addresses ==
                 now->u.svc.publish_not_ready_addresses &&
             kv_same_set(&prev->meta.labels, &now->meta.labels)) {
    return; /* nothing the slices show changed */
  } else {
    for (size_t i = 0; i < s->slices.nr; i++)
      s->slices.v[i]->dirty = true;
  }
  enqueue(c, s);
}

static void on_slice(struct informer *inf, enum watch_type t,
                     const struct object *old, const struct object *now,
                     void *ctx)
{
  struct eps *c = ctx;
  const char *svc_name = kv_get(&now->meta.labels, LABEL_SERVICE_NAME);
  struct ep_service *s;
  struct ep_slice *sl;
  size_t idx;

  (void)inf;
  (void)old;
  if (!svc_name ||
      !str_eq(kv_get(&now->meta.labels, LABEL_MANAGED_BY), MANAGED_BY))
    return;
  s = svc_get(c, now->meta.namespace_, svc_name);
  sl = slice_find(s, now->meta.name, &idx);
  if (t == WATCH_DELETED) {
    if (!sl || (sl->known && sl->known->meta.uid != now->meta.uid))
      return;
    sl->known = NULL;
    if (!s->obj && !sl->members.nr) {
      slice_remove(s, idx);
      return;
    }
    sl->dirty = true; /* created again if it is still wanted */
    enqueue(c, s);
    return;
  }
  if (!sl) {
    /* A slice of ours from before (a restart): adopted, reused or
     * deleted by the next sync. */
    sl = slice_add(s, now->meta.name);
    sl->known = now;
    enqueue(c, s);
    return;
  }
  if (sl->known &&
      now->meta.resource_version <= sl->known->meta.resource_version)
    return;        /* our own write coming back, or older */
  sl->known = now; /* changed by someone else: checked by the next sync */
  sl->dirty = true;
  enqueue(c, s);
}

/* --- the component -------------------------------------------------------- */

void *endpoints_start(const struct cluster_env *env)
{
  struct eps *c = xcalloc(1, sizeof(*c));
  simtime d = env->s->timings.v[TIMING_WATCH_DELAY];

  c->env = *env;
  c->api = env->api;
  c->engine = api_engine(env->api);
  c->arena = api_arena(env->api);
  c->svc_inf = informer_new(env->api, KIND_SERVICE, EPS_CLIENT, d);
  c->pod_inf = informer_new(env->api, KIND_POD, EPS_CLIENT, d);
  c->slice_inf = informer_new(env->api, KIND_ENDPOINTSLICE, EPS_CLIENT, d);
  informer_add_handler(c->svc_inf, on_service, c);
  informer_add_handler(c->pod_inf, on_pod, c);
  informer_add_handler(c->slice_inf, on_slice, c);
  return c;
}

void endpoints_stop(void *state)
{
  struct eps *c = state;

  if (!c)
    return;
  if (c->work_handle)
    engine_cancel(c->engine, c->work_handle);
  if (c->retry_handle)
    engine_cancel(c->engine, c->retry_handle);
  for (size_t i = 0; i < c->services.nr; i++) {
    struct ep_service *s = c->services.v[i];
    for (size_t j = 0; j < s->slices.nr; j++) {
      free(s->slices.v[j]->members.v);
      free(s->slices.v[j]);
    }
    free(s->slices.v);
    free(s);
  }
  free(c->services.v);
  free(c->svc_slots);
  free(c->mem_slots);
  while (c->chunks) {
    struct ep_chunk *ch = c->chunks;
    c->chunks = ch->next;
    free(ch);
  }
  free(c->queue.v);
  free(c->retries.v);
  free(c->eps.v);
  free(c->labels.v);
  free(c);
}

/* --- DNS ------------------------------------------------------------------ */

#define DNS_ZONE "svc.cluster.local"
#define DNS_NDOTS 5 /* the pod resolv.conf's options ndots:5 */
#define DNS_MAX_NAME 253

struct dns_answer {
  const char *host; /* NULL: the Service name itself */
  const char **ips;
  size_t max, nr;
};

static void dns_add(struct dns_answer *a, const char *ip)
{
  if (a->nr < a->max)
    a->ips[a->nr] = ip;
  a->nr++;
}

/* The endpoint's name under the Service: hostname, else its dashed IP. */
static bool dns_host_matches(const struct endpoint *ep, const char *host)
{
  const char *p = ep->address, *q = host;

  if (!is_empty(ep->hostname))
    return !strcasecmp(ep->hostname, host);
  for (; *p && *q; p++, q++)
    if (*q != (*p == '.' ? '-' : *p))
      return false;
  return !*p && !*q;
}

static bool dns_visit_slice(const struct object *o, void *ctx)
{
  struct dns_answer *a = ctx;

  for (size_t i = 0; i < o->u.eps.endpoints_nr; i++) {
    const struct endpoint *ep = &o->u.eps.endpoints[i];
    /* CoreDNS serves only endpoints with ready=true. */
    if (!ep->ready || is_empty(ep->address))
      continue;
    if (a->host && !dns_host_matches(ep, a->host))
      continue;
    dns_add(a, ep->address);
  }
  return true;
}

/* The authoritative answer for fqdn (lower case, no trailing dot). */
static size_t dns_answer(struct api *api, char *fqdn, const char **ips,
                         size_t max)
{
  size_t len = strlen(fqdn), zl = strlen(DNS_ZONE);
  char *labels[3], *p;
  size_t nr = 0;
  const struct object *svc;
  struct dns_answer a = {NULL, ips, max, 0};
  struct kv sel_kv;
  struct label_selector sel = {0};

  if (len <= zl + 1 || fqdn[len - zl - 1] != '.' ||
      strcmp(fqdn + len - zl, DNS_ZONE))
    return 0;
  fqdn[len - zl - 1] = '\0';
  for (p = fqdn;; p++) {
    if (nr == 3)
      return 0;
    labels[nr++] = p;
    p = strchr(p, '.');
    if (!p)
      break;
    *p = '\0';
  }
  if (nr < 2)
    return 0;
  /* <svc>.<ns> or <host>.<svc>.<ns> */
  svc = api_get(api, KIND_SERVICE, labels[nr - 1], labels[nr - 2]);
  if (!svc)
    return 0;
  if (!svc->u.svc.headless) {
    if (nr == 3 || is_empty(svc->u.svc.cluster_ip))
      return 0;
    dns_add(&a, svc->u.svc.cluster_ip);
    return a.nr;
  }
  a.host = nr == 3 ? labels[0] : NULL;
  sel_kv = (struct kv){LABEL_SERVICE_NAME, svc->meta.name};
  sel.match_labels = (struct kv_list){&sel_kv, 1};
  api_list(api, KIND_ENDPOINTSLICE, svc->meta.namespace_, &sel, dns_visit_slice,
           &a);
  return a.nr;
}

static size_t dns_try(struct api *api, const char *name, const char *suffix,
                      const char **ips, size_t max)
{
  char buf[DNS_MAX_NAME + 2];
  int n = snprintf(buf, sizeof(buf), "%s%s%s", name, suffix ? "." : "",
                   suffix ? suffix : "");

  if (n < 0 || (size_t)n > DNS_MAX_NAME)
    return 0;
  for (char *p = buf; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
  return dns_answer(api, buf, ips, max);
}

size_t dns_resolve_from(struct api *api, const char *client_ns,
                        const char *name, const char **ips, size_t max)
{
  char base[DNS_MAX_NAME + 2], search[3][DNS_MAX_NAME + 2];
  size_t len, dots = 0, r;

  if (!name)
    return 0;
  len = strlen(name);
  if (!len || len > DNS_MAX_NAME + 1)
    return 0;
  memcpy(base, name, len + 1);
  if (base[len - 1] == '.') {
    base[len - 1] = '\0'; /* absolute: no search list */
    return dns_try(api, base, NULL, ips, max);
  }
  for (const char *p = base; *p; p++)
    dots += *p == '.';
  if (dots >= DNS_NDOTS && (r = dns_try(api, base, NULL, ips, max)))
    return r;
  /* The search list of a pod's resolv.conf (dnsPolicy ClusterFirst). */
  snprintf(search[0], sizeof(search[0]), "%s.%s",
           client_ns ? client_ns : "default", DNS_ZONE);
  snprintf(search[1], sizeof(search[1]), "%s", DNS_ZONE);
  snprintf(search[2], sizeof(search[2]), "cluster.local");
  for (int i = 0; i < 3; i++)
    if ((r = dns_try(api, base, search[i], ips, max)))
      return r;
  return dots < DNS_NDOTS ? dns_try(api, base, NULL, ips, max) : 0;
}

size_t dns_resolve(struct api *api, const char *fqdn, const char **ips,
                   size_t max)
{
  return dns_resolve_from(api, "default", fqdn, ips, max);
}
