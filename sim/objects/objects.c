/*
 * objects.c - the plain-data Kubernetes objects: kind names, metadata
 * helpers, label and node selectors, create-time defaults and the canonical
 * spec/status/metadata digests.
 *
 * Digests are FNV-1a 64 over a fixed field order: integers as 8 bytes,
 * little-endian whatever the host; strings as their length then their
 * bytes (NULL is a distinct marker, so nil differs from ""); arrays as
 * their length then their elements in order; label-like maps in key
 * order. Pointer values are never hashed (D5).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "objects.h"

/* --- kinds --------------------------------------------------------------- */

static const struct kind_info {
  const char *name;
  const char *api_version;
  bool namespaced;
} kinds[KIND_COUNT] = {
    [KIND_NONE] = {"", "", false},
    [KIND_STATEFULSET] = {"StatefulSet", "apps/v1", true},
    [KIND_POD] = {"Pod", "v1", true},
    [KIND_PVC] = {"PersistentVolumeClaim", "v1", true},
    [KIND_PV] = {"PersistentVolume", "v1", false},
    [KIND_STORAGECLASS] = {"StorageClass", "storage.k8s.io/v1", false},
    [KIND_NODE] = {"Node", "v1", false},
    [KIND_SERVICE] = {"Service", "v1", true},
    [KIND_ENDPOINTSLICE] = {"EndpointSlice", "discovery.k8s.io/v1", true},
    [KIND_CONTROLLERREVISION] = {"ControllerRevision", "apps/v1", true},
    [KIND_PDB] = {"PodDisruptionBudget", "policy/v1", true},
    [KIND_EVENT] = {"Event", "v1", true},
    [KIND_LEASE] = {"Lease", "coordination.k8s.io/v1", true},
    [KIND_VOLUMEATTACHMENT] = {"VolumeAttachment", "storage.k8s.io/v1", false},
};

static const struct kind_info *kind_info(enum obj_kind k)
{
  if ((unsigned)k >= KIND_COUNT)
    SIM_BUG("object kind %d out of range", (int)k);
  return &kinds[k];
}

const char *obj_kind_name(enum obj_kind k)
{
  return kind_info(k)->name;
}

const char *obj_kind_api_version(enum obj_kind k)
{
  return kind_info(k)->api_version;
}

bool obj_kind_namespaced(enum obj_kind k)
{
  return kind_info(k)->namespaced;
}

/*
 * api_version NULL matches any version. Events are also accepted as
 * events.k8s.io/v1, the newer group serving the same objects.
 */
enum obj_kind obj_kind_parse(const char *api_version, const char *kind)
{
  if (!kind)
    return KIND_NONE;
  for (int k = KIND_NONE + 1; k < KIND_COUNT; k++) {
    if (strcmp(kinds[k].name, kind))
      continue;
    if (!api_version || !strcmp(api_version, kinds[k].api_version))
      return (enum obj_kind)k;
    if (k == KIND_EVENT && !strcmp(api_version, "events.k8s.io/v1"))
      return KIND_EVENT;
    return KIND_NONE;
  }
  return KIND_NONE;
}

/* --- small helpers ------------------------------------------------------- */

const char *kv_get(const struct kv_list *l, const char *key)
{
  if (!l || !key)
    return NULL;
  for (size_t i = 0; i < l->nr; i++)
    if (l->v[i].key && !strcmp(l->v[i].key, key))
      return l->v[i].value;
  return NULL;
}

const struct owner_ref *meta_controller_ref(const struct meta *m)
{
  for (size_t i = 0; i < m->owner_refs_nr; i++)
    if (m->owner_refs[i].controller)
      return &m->owner_refs[i];
  return NULL;
}

bool meta_is_deleting(const struct meta *m)
{
  return m->deletion_timestamp != SIMTIME_NEVER;
}

static bool str_list_has(const struct str_list *l, const char *s)
{
  for (size_t i = 0; i < l->nr; i++)
    if (l->v[i] && !strcmp(l->v[i], s))
      return true;
  return false;
}

/* strcmp with NULL ordered before every string. */
static int str_cmp(const char *a, const char *b)
{
  if (!a || !b)
    return (a != NULL) - (b != NULL);
  return strcmp(a, b);
}

/* --- selectors ----------------------------------------------------------- */

/* Parses a whole string as a decimal int64, as Kubernetes' Gt/Lt do. */
static bool parse_i64(const char *s, int64_t *out)
{
  char *end;
  long long v;

  if (!s || !*s)
    return false;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno || *end)
    return false;
  *out = v;
  return true;
}

/*
 * One requirement against one value (NULL = the key is absent), with the
 * semantics of k8s.io/apimachinery/pkg/labels: NotIn and DoesNotExist
 * match an absent key; Gt and Lt need exactly one integer value and an
 * integer label. allow_cmp is false for label selectors, where Gt and Lt
 * are not valid operators: such a requirement matches nothing.
 */
static bool req_matches(const struct selector_req *r, const char *value,
                        bool allow_cmp)
{
  int64_t have, want;

  switch (r->op) {
  case SEL_IN:
    return value && str_list_has(&r->values, value);
  case SEL_NOT_IN:
    return !value || !str_list_has(&r->values, value);
  case SEL_EXISTS:
    return value != NULL;
  case SEL_DOES_NOT_EXIST:
    return value == NULL;
  case SEL_GT:
  case SEL_LT:
    if (!allow_cmp || !value || r->values.nr != 1)
      return false;
    if (!parse_i64(value, &have) || !parse_i64(r->values.v[0], &want))
      return false;
    return r->op == SEL_GT ? have > want : have < want;
  }
  SIM_BUG("selector operator %d out of range", (int)r->op);
}

/*
 * A NULL selector is treated as the empty one (matches everything).
 * Callers that need Kubernetes' "nil selector matches nothing" (a PDB
 * without selector) must check for it themselves.
 */
bool selector_matches(const struct label_selector *sel,
                      const struct kv_list *labels)
{
  if (!sel)
    return true;
  for (size_t i = 0; i < sel->match_labels.nr; i++) {
    const struct kv *want = &sel->match_labels.v[i];
    const char *have = kv_get(labels, want->key);
    if (!have || str_cmp(have, want->value))
      return false;
  }
  for (size_t i = 0; i < sel->exprs_nr; i++) {
    const struct selector_req *r = &sel->exprs[i];
    if (!req_matches(r, kv_get(labels, r->key), false))
      return false;
  }
  return true;
}

bool selector_is_empty(const struct label_selector *sel)
{
  return !sel || (sel->match_labels.nr == 0 && sel->exprs_nr == 0);
}

/*
 * A NodeSelectorTerm: every expression and every field requirement must
 * hold; a term with neither matches no node (as upstream). The only field
 * Kubernetes supports is metadata.name; requirements on any other field
 * match nothing.
 */
static bool term_matches(const struct node_selector_term *t,
                         const char *node_name, const struct kv_list *labels)
{
  if (t->exprs_nr == 0 && t->fields_nr == 0)
    return false;
  for (size_t i = 0; i < t->exprs_nr; i++) {
    const struct selector_req *r = &t->exprs[i];
    if (!req_matches(r, kv_get(labels, r->key), true))
      return false;
  }
  for (size_t i = 0; i < t->fields_nr; i++) {
    const struct selector_req *r = &t->fields[i];
    if (!r->key || strcmp(r->key, "metadata.name"))
      return false;
    if (!req_matches(r, node_name, false))
      return false;
  }
  return true;
}

bool node_selector_matches(const struct node_selector *ns,
                           const char *node_name, const struct kv_list *labels)
{
  if (!ns || ns->terms_nr == 0)
    return true;
  for (size_t i = 0; i < ns->terms_nr; i++)
    if (term_matches(&ns->terms[i], node_name, labels))
      return true;
  return false;
}

/* --- names of enums ------------------------------------------------------ */

const char *pod_phase_name(enum pod_phase p)
{
  switch (p) {
  case POD_PHASE_NONE:
    return "None";
  case POD_PENDING:
    return "Pending";
  case POD_RUNNING:
    return "Running";
  case POD_SUCCEEDED:
    return "Succeeded";
  case POD_FAILED:
    return "Failed";
  case POD_UNKNOWN:
    return "Unknown";
  }
  SIM_BUG("pod phase %d out of range", (int)p);
}

/* An absent condition has no status string: "". */
const char *cond_status_name(enum cond_status s)
{
  switch (s) {
  case COND_UNSET:
    return "";
  case COND_TRUE:
    return "True";
  case COND_FALSE:
    return "False";
  case COND_UNKNOWN:
    return "Unknown";
  }
  SIM_BUG("condition status %d out of range", (int)s);
}

const char *pvc_phase_name(enum pvc_phase p)
{
  switch (p) {
  case PVC_PENDING:
    return "Pending";
  case PVC_BOUND:
    return "Bound";
  case PVC_LOST:
    return "Lost";
  }
  SIM_BUG("claim phase %d out of range", (int)p);
}

const char *pv_phase_name(enum pv_phase p)
{
  switch (p) {
  case PV_PENDING:
    return "Pending";
  case PV_AVAILABLE:
    return "Available";
  case PV_BOUND:
    return "Bound";
  case PV_RELEASED:
    return "Released";
  case PV_FAILED:
    return "Failed";
  }
  SIM_BUG("volume phase %d out of range", (int)p);
}

/* --- init and defaults --------------------------------------------------- */

void object_init(struct object *o, enum obj_kind kind)
{
  (void)kind_info(kind); /* range check */
  memset(o, 0, sizeof(*o));
  o->kind = kind;
  o->meta.deletion_timestamp = SIMTIME_NEVER;
  o->meta.deletion_grace_period_seconds = -1;
  switch (kind) {
  case KIND_STATEFULSET:
    o->u.sts.spec.replicas = -1;
    o->u.sts.spec.revision_history_limit = -1;
    o->u.sts.spec.template_.spec.termination_grace_period_seconds = -1;
    break;
  case KIND_POD:
    o->u.pod.spec.termination_grace_period_seconds = -1;
    o->u.pod.status.start_time = SIMTIME_NEVER;
    break;
  case KIND_STORAGECLASS:
    o->u.sc.reclaim_policy = RECLAIM_DELETE;
    break;
  default:
    break;
  }
}

static bool probe_needs_defaults(const struct probe *p)
{
  return p->set && (p->period_seconds == 0 || p->timeout_seconds == 0 ||
                    p->success_threshold == 0 || p->failure_threshold == 0);
}

static void probe_defaults(struct probe *p)
{
  if (!probe_needs_defaults(p))
    return;
  if (p->period_seconds == 0)
    p->period_seconds = 10;
  if (p->timeout_seconds == 0)
    p->timeout_seconds = 1;
  if (p->success_threshold == 0)
    p->success_threshold = 1;
  if (p->failure_threshold == 0)
    p->failure_threshold = 3;
}

/*
 * Writes only when a probe needs it, so defaulting an already defaulted
 * spec never writes through its (possibly shared) arrays.
 */
static void containers_defaults(const struct container *cs, size_t nr)
{
  for (size_t i = 0; i < nr; i++) {
    const struct container *c = &cs[i];
    if (!probe_needs_defaults(&c->readiness) &&
        !probe_needs_defaults(&c->liveness) &&
        !probe_needs_defaults(&c->startup))
      continue;
    /* The caller owns the array (object_set_defaults contract). */
    struct container *w = (struct container *)c;
    probe_defaults(&w->readiness);
    probe_defaults(&w->liveness);
    probe_defaults(&w->startup);
  }
}

static void pod_spec_defaults(struct pod_spec *s)
{
  if (s->termination_grace_period_seconds == -1)
    s->termination_grace_period_seconds = 30;
  if (!s->scheduler_name)
    s->scheduler_name = "default-scheduler";
  containers_defaults(s->containers, s->containers_nr);
  containers_defaults(s->init_containers, s->init_containers_nr);
}

void object_set_defaults(struct object *o)
{
  switch (o->kind) {
  case KIND_STATEFULSET:
    if (o->u.sts.spec.replicas == -1)
      o->u.sts.spec.replicas = 1;
    if (o->u.sts.spec.revision_history_limit == -1)
      o->u.sts.spec.revision_history_limit = 10;
    pod_spec_defaults(&o->u.sts.spec.template_.spec);
    break;
  case KIND_POD:
    pod_spec_defaults(&o->u.pod.spec);
    break;
  default:
    /* PVC, PV, StorageClass: their defaults are zero values or preset. */
    break;
  }
}

/* --- digests ------------------------------------------------------------- */

/*
 * The digests are FNV-1a over the fields (each integer as 8 little-endian
 * bytes, each string as its length and bytes) for pod_template_digest,
 * whose value names ControllerRevisions. The others only ever compare two
 * digests of one run (no-op writes, generation bumps, caches), so they
 * use a word-at-a-time mix instead: the API server digests every write.
 */
struct hs {
  uint64_t v;
  bool fast; /* the word mix; else FNV-1a */
};

static uint64_t mix(uint64_t x)
{
  x *= UINT64_C(0x9e3779b97f4a7c15);
  return x ^ (x >> 29);
}

static void h_u64(struct hs *h, uint64_t v)
{
  unsigned char b[8];

  if (h->fast) {
    h->v = mix(h->v ^ v);
    return;
  }
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char)(v >> (8 * i));
  h->v = sim_fnv1a(h->v, b, sizeof(b));
}

static void h_i64(struct hs *h, int64_t v)
{
  h_u64(h, (uint64_t)v);
}

static void h_bool(struct hs *h, bool v)
{
  h_u64(h, v ? 1 : 0);
}

static void h_str(struct hs *h, const char *s)
{
  size_t n;

  if (!s) {
    h_u64(h, UINT64_MAX);
    return;
  }
  n = strlen(s);
  h_u64(h, n);
  if (!h->fast) {
    h->v = sim_fnv1a(h->v, s, n);
    return;
  }
  for (; n >= 8; n -= 8, s += 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h->v = mix(h->v ^ w);
  }
  if (n) {
    uint64_t w = 0;
    memcpy(&w, s, n);
    h->v = mix(h->v ^ w);
  }
}

struct kv_ref {
  const struct kv *kv;
  size_t index;
};

static int kv_ref_cmp(const void *pa, const void *pb)
{
  const struct kv_ref *a = pa, *b = pb;
  int c = str_cmp(a->kv->key, b->kv->key);

  if (c)
    return c;
  c = str_cmp(a->kv->value, b->kv->value);
  if (c)
    return c;
  return (a->index > b->index) - (a->index < b->index);
}

/* A map: its pairs in key order, so the order written does not matter. */
static void h_kv(struct hs *h, const struct kv_list *l)
{
  struct kv_ref small[16];
  struct kv_ref *refs = small;

  h_u64(h, l->nr);
  if (l->nr == 0)
    return;
  if (l->nr > sizeof(small) / sizeof(small[0]))
    refs = xmalloc(l->nr * sizeof(*refs));
  for (size_t i = 0; i < l->nr; i++)
    refs[i] = (struct kv_ref){&l->v[i], i};
  qsort(refs, l->nr, sizeof(*refs), kv_ref_cmp);
  for (size_t i = 0; i < l->nr; i++) {
    h_str(h, refs[i].kv->key);
    h_str(h, refs[i].kv->value);
  }
  if (refs != small)
    free(refs);
}

static void h_strs(struct hs *h, const struct str_list *l)
{
  h_u64(h, l->nr);
  for (size_t i = 0; i < l->nr; i++)
    h_str(h, l->v[i]);
}

static void h_reqs(struct hs *h, const struct selector_req *r, size_t nr)
{
  h_u64(h, nr);
  for (size_t i = 0; i < nr; i++) {
    h_str(h, r[i].key);
    h_u64(h, (uint64_t)r[i].op);
    h_strs(h, &r[i].values);
  }
}

static void h_selector(struct hs *h, const struct label_selector *s)
{
  h_kv(h, &s->match_labels);
  h_reqs(h, s->exprs, s->exprs_nr);
}

static void h_node_term(struct hs *h, const struct node_selector_term *t)
{
  h_reqs(h, t->exprs, t->exprs_nr);
  h_reqs(h, t->fields, t->fields_nr);
}

static void h_node_selector(struct hs *h, const struct node_selector *ns)
{
  h_u64(h, ns->terms_nr);
  for (size_t i = 0; i < ns->terms_nr; i++)
    h_node_term(h, &ns->terms[i]);
}

static void h_pod_term(struct hs *h, const struct pod_affinity_term *t)
{
  h_selector(h, &t->selector);
  h_str(h, t->topology_key);
  h_strs(h, &t->namespaces);
}

static void h_pod_terms(struct hs *h, const struct pod_affinity_term *t,
                        size_t nr)
{
  h_u64(h, nr);
  for (size_t i = 0; i < nr; i++)
    h_pod_term(h, &t[i]);
}

static void h_affinity(struct hs *h, const struct affinity *a)
{
  h_node_selector(h, &a->node_required);
  h_u64(h, a->node_preferred_nr);
  for (size_t i = 0; i < a->node_preferred_nr; i++) {
    h_i64(h, a->node_preferred[i].weight);
    h_node_term(h, &a->node_preferred[i].term);
  }
  h_pod_terms(h, a->pod_affinity_required, a->pod_affinity_required_nr);
  h_pod_terms(h, a->pod_anti_affinity_required,
              a->pod_anti_affinity_required_nr);
  h_u64(h, a->pod_anti_affinity_preferred_nr);
  for (size_t i = 0; i < a->pod_anti_affinity_preferred_nr; i++) {
    h_i64(h, a->pod_anti_affinity_preferred[i].weight);
    h_pod_term(h, &a->pod_anti_affinity_preferred[i].term);
  }
}

/* An unset probe hashes as just "unset", whatever its other fields say. */
static void h_probe(struct hs *h, const struct probe *p)
{
  h_bool(h, p->set);
  if (!p->set)
    return;
  h_i64(h, p->initial_delay_seconds);
  h_i64(h, p->period_seconds);
  h_i64(h, p->timeout_seconds);
  h_i64(h, p->success_threshold);
  h_i64(h, p->failure_threshold);
}

static void h_containers(struct hs *h, const struct container *c, size_t nr)
{
  h_u64(h, nr);
  for (size_t i = 0; i < nr; i++) {
    h_str(h, c[i].name);
    h_str(h, c[i].image);
    h_i64(h, c[i].cpu_request_milli);
    h_i64(h, c[i].memory_request);
    h_probe(h, &c[i].readiness);
    h_probe(h, &c[i].liveness);
    h_probe(h, &c[i].startup);
    h_strs(h, &c[i].volume_mounts);
  }
}

static void h_tolerations(struct hs *h, const struct toleration *t, size_t nr)
{
  h_u64(h, nr);
  for (size_t i = 0; i < nr; i++) {
    h_str(h, t[i].key);
    h_u64(h, (uint64_t)t[i].op);
    h_str(h, t[i].value);
    h_bool(h, t[i].any_effect);
    h_u64(h, (uint64_t)t[i].effect);
    h_i64(h, t[i].toleration_seconds);
  }
}

static void h_pod_spec(struct hs *h, const struct pod_spec *s)
{
  h_containers(h, s->containers, s->containers_nr);
  h_containers(h, s->init_containers, s->init_containers_nr);
  h_u64(h, s->volumes_nr);
  for (size_t i = 0; i < s->volumes_nr; i++) {
    const struct pod_volume *v = &s->volumes[i];
    h_str(h, v->name);
    h_u64(h, (uint64_t)v->source);
    h_str(h, v->claim_name);
    h_bool(h, v->read_only);
  }
  h_str(h, s->node_name);
  h_kv(h, &s->node_selector);
  h_affinity(h, &s->affinity);
  h_tolerations(h, s->tolerations, s->tolerations_nr);
  h_str(h, s->hostname);
  h_str(h, s->subdomain);
  h_str(h, s->scheduler_name);
  h_u64(h, (uint64_t)s->restart_policy);
  h_i64(h, s->termination_grace_period_seconds);
  h_i64(h, s->priority);
}

static void h_template(struct hs *h, const struct pod_template *t)
{
  h_kv(h, &t->labels);
  h_kv(h, &t->annotations);
  h_pod_spec(h, &t->spec);
}

static void h_pvc_spec(struct hs *h, const struct pvc_spec *s)
{
  h_u64(h, s->access_modes);
  h_bool(h, s->has_selector);
  if (s->has_selector)
    h_selector(h, &s->selector);
  h_i64(h, s->request_bytes);
  h_str(h, s->storage_class_name);
  h_u64(h, (uint64_t)s->volume_mode);
  h_str(h, s->volume_name);
}

static void h_int_or_percent(struct hs *h, const struct int_or_percent *v)
{
  h_bool(h, v->set);
  if (!v->set)
    return;
  h_bool(h, v->is_percent);
  h_i64(h, v->value);
}

static void h_sts_spec(struct hs *h, const struct statefulset_spec *s)
{
  h_i64(h, s->replicas);
  h_selector(h, &s->selector);
  h_template(h, &s->template_);
  h_u64(h, s->volume_claim_templates_nr);
  for (size_t i = 0; i < s->volume_claim_templates_nr; i++) {
    const struct pvc_template *t = &s->volume_claim_templates[i];
    h_str(h, t->name);
    h_kv(h, &t->labels);
    h_kv(h, &t->annotations);
    h_pvc_spec(h, &t->spec);
  }
  h_str(h, s->service_name);
  h_u64(h, (uint64_t)s->pod_management_policy);
  h_u64(h, (uint64_t)s->update_strategy);
  h_i64(h, s->partition);
  h_int_or_percent(h, &s->max_unavailable);
  h_i64(h, s->revision_history_limit);
  h_i64(h, s->min_ready_seconds);
  h_u64(h, (uint64_t)s->when_deleted);
  h_u64(h, (uint64_t)s->when_scaled);
  h_bool(h, s->has_ordinals);
  h_i64(h, s->ordinals_start);
}

static void h_pv_spec(struct hs *h, const struct pv_spec *s)
{
  h_i64(h, s->capacity_bytes);
  h_u64(h, s->access_modes);
  h_u64(h, (uint64_t)s->reclaim_policy);
  h_str(h, s->storage_class_name);
  h_u64(h, (uint64_t)s->volume_mode);
  h_str(h, s->claim_ref.namespace_);
  h_str(h, s->claim_ref.name);
  h_u64(h, s->claim_ref.uid);
  h_node_selector(h, &s->node_affinity);
  h_u64(h, (uint64_t)s->source);
  h_str(h, s->csi_driver);
  h_str(h, s->volume_handle);
  h_str(h, s->path);
}

static void h_condition(struct hs *h, const struct condition *c)
{
  h_u64(h, (uint64_t)c->status);
  h_i64(h, c->last_transition_time);
  h_str(h, c->reason);
  h_str(h, c->message);
}

static void h_event(struct hs *h, const struct event *e)
{
  h_u64(h, (uint64_t)e->involved_kind);
  h_str(h, e->involved_name);
  h_str(h, e->involved_namespace);
  h_u64(h, e->involved_uid);
  h_u64(h, (uint64_t)e->type);
  h_str(h, e->reason);
  h_str(h, e->message);
  h_str(h, e->source);
  h_i64(h, e->count);
  h_i64(h, e->first_timestamp);
  h_i64(h, e->last_timestamp);
}

uint64_t pod_template_digest(const struct pod_template *t)
{
  struct hs h = {SIM_FNV_INIT, false};

  h_template(&h, t);
  return h.v;
}

uint64_t object_spec_digest(const struct object *o)
{
  struct hs h = {SIM_FNV_INIT, true};

  h_u64(&h, (uint64_t)o->kind);
  switch (o->kind) {
  case KIND_NONE:
    break;
  case KIND_STATEFULSET:
    h_sts_spec(&h, &o->u.sts.spec);
    break;
  case KIND_POD:
    h_pod_spec(&h, &o->u.pod.spec);
    break;
  case KIND_PVC:
    h_pvc_spec(&h, &o->u.pvc.spec);
    break;
  case KIND_PV:
    h_pv_spec(&h, &o->u.pv.spec);
    break;
  case KIND_STORAGECLASS: {
    const struct storage_class *sc = &o->u.sc;
    h_str(&h, sc->provisioner);
    h_u64(&h, (uint64_t)sc->reclaim_policy);
    h_u64(&h, (uint64_t)sc->volume_binding_mode);
    h_node_selector(&h, &sc->allowed_topologies);
    h_kv(&h, &sc->parameters);
    h_bool(&h, sc->allow_volume_expansion);
    break;
  }
  case KIND_NODE: {
    const struct node *n = &o->u.node;
    h_bool(&h, n->unschedulable);
    h_u64(&h, n->taints_nr);
    for (size_t i = 0; i < n->taints_nr; i++) {
      h_str(&h, n->taints[i].key);
      h_str(&h, n->taints[i].value);
      h_u64(&h, (uint64_t)n->taints[i].effect);
      h_i64(&h, n->taints[i].time_added);
    }
    break;
  }
  case KIND_SERVICE: {
    const struct service *s = &o->u.svc;
    h_bool(&h, s->headless);
    h_str(&h, s->cluster_ip);
    h_kv(&h, &s->selector);
    h_u64(&h, s->ports_nr);
    for (size_t i = 0; i < s->ports_nr; i++) {
      h_str(&h, s->ports[i].name);
      h_i64(&h, s->ports[i].port);
      h_str(&h, s->ports[i].protocol);
    }
    h_bool(&h, s->publish_not_ready_addresses);
    break;
  }
  case KIND_ENDPOINTSLICE: {
    const struct endpoint_slice *s = &o->u.eps;
    h_str(&h, s->service_name);
    h_u64(&h, s->endpoints_nr);
    for (size_t i = 0; i < s->endpoints_nr; i++) {
      const struct endpoint *ep = &s->endpoints[i];
      h_str(&h, ep->address);
      h_bool(&h, ep->ready);
      h_bool(&h, ep->serving);
      h_bool(&h, ep->terminating);
      h_str(&h, ep->hostname);
      h_str(&h, ep->node_name);
      h_str(&h, ep->target_pod);
      h_u64(&h, ep->target_uid);
    }
    break;
  }
  case KIND_CONTROLLERREVISION:
    h_bool(&h, o->u.rev.template_ != NULL);
    if (o->u.rev.template_)
      h_template(&h, o->u.rev.template_);
    h_str(&h, o->u.rev.data_hash);
    h_i64(&h, o->u.rev.revision);
    break;
  case KIND_PDB:
    h_int_or_percent(&h, &o->u.pdb.min_available);
    h_int_or_percent(&h, &o->u.pdb.max_unavailable);
    h_selector(&h, &o->u.pdb.selector);
    if (o->u.pdb.unhealthy_pod_eviction_policy)
      h_u64(&h, (uint64_t)o->u.pdb.unhealthy_pod_eviction_policy);
    break;
  case KIND_EVENT:
    h_event(&h, &o->u.ev);
    break;
  case KIND_LEASE:
    h_str(&h, o->u.lease.holder_identity);
    h_i64(&h, o->u.lease.lease_duration_seconds);
    h_i64(&h, o->u.lease.renew_time);
    break;
  case KIND_VOLUMEATTACHMENT:
    h_str(&h, o->u.va.attacher);
    h_str(&h, o->u.va.node_name);
    h_str(&h, o->u.va.pv_name);
    break;
  case KIND_COUNT:
    SIM_BUG("object kind %d out of range", (int)o->kind);
  }
  return h.v;
}

uint64_t object_status_digest(const struct object *o)
{
  struct hs h = {SIM_FNV_INIT, true};

  h_u64(&h, (uint64_t)o->kind);
  switch (o->kind) {
  case KIND_STATEFULSET: {
    const struct statefulset_status *s = &o->u.sts.status;
    h_i64(&h, s->observed_generation);
    h_i64(&h, s->replicas);
    h_i64(&h, s->ready_replicas);
    h_i64(&h, s->current_replicas);
    h_i64(&h, s->updated_replicas);
    h_i64(&h, s->available_replicas);
    h_str(&h, s->current_revision);
    h_str(&h, s->update_revision);
    h_bool(&h, s->has_collision_count);
    h_i64(&h, s->collision_count);
    break;
  }
  case KIND_POD: {
    const struct pod_status *s = &o->u.pod.status;
    h_u64(&h, (uint64_t)s->phase);
    h_condition(&h, &s->scheduled);
    h_condition(&h, &s->initialized);
    h_condition(&h, &s->containers_ready);
    h_condition(&h, &s->ready);
    if (s->disruption_target.status != COND_UNSET)
      h_condition(&h, &s->disruption_target);
    h_str(&h, s->reason);
    h_str(&h, s->message);
    h_str(&h, s->pod_ip);
    h_str(&h, s->host_ip);
    h_i64(&h, s->start_time);
    h_u64(&h, s->containers_nr);
    for (size_t i = 0; i < s->containers_nr; i++) {
      const struct container_status *c = &s->containers[i];
      h_str(&h, c->name);
      h_u64(&h, (uint64_t)c->state);
      h_str(&h, c->reason);
      h_bool(&h, c->ready);
      h_i64(&h, c->restart_count);
      h_i64(&h, c->started_at);
    }
    break;
  }
  case KIND_PVC:
    h_u64(&h, (uint64_t)o->u.pvc.status.phase);
    h_u64(&h, o->u.pvc.status.access_modes);
    h_i64(&h, o->u.pvc.status.capacity_bytes);
    break;
  case KIND_PV:
    h_u64(&h, (uint64_t)o->u.pv.status.phase);
    h_str(&h, o->u.pv.status.message);
    break;
  case KIND_NODE: {
    const struct node *n = &o->u.node;
    h_i64(&h, n->cpu_allocatable_milli);
    h_i64(&h, n->memory_allocatable);
    h_i64(&h, n->pods_allocatable);
    h_condition(&h, &n->ready);
    h_i64(&h, n->last_heartbeat);
    h_condition(&h, &n->memory_pressure);
    h_condition(&h, &n->disk_pressure);
    h_condition(&h, &n->pid_pressure);
    h_condition(&h, &n->network_unavailable);
    h_strs(&h, &n->volumes_in_use);
    h_strs(&h, &n->volumes_attached);
    break;
  }
  case KIND_PDB:
    h_i64(&h, o->u.pdb.observed_generation);
    h_i64(&h, o->u.pdb.current_healthy);
    h_i64(&h, o->u.pdb.desired_healthy);
    h_i64(&h, o->u.pdb.disruptions_allowed);
    h_i64(&h, o->u.pdb.expected_pods);
    for (size_t i = 0; i < o->u.pdb.disrupted_pods_nr; i++) {
      h_str(&h, o->u.pdb.disrupted_pods[i].pod);
      h_i64(&h, o->u.pdb.disrupted_pods[i].at);
    }
    break;
  case KIND_VOLUMEATTACHMENT:
    h_bool(&h, o->u.va.attached);
    h_str(&h, o->u.va.attach_error);
    h_str(&h, o->u.va.detach_error);
    break;
  case KIND_COUNT:
    SIM_BUG("object kind %d out of range", (int)o->kind);
  default:
    break; /* no status subresource */
  }
  return h.v;
}

uint64_t object_meta_digest(const struct meta *m)
{
  struct hs h = {SIM_FNV_INIT, true};

  h_str(&h, m->name);
  h_str(&h, m->namespace_);
  h_str(&h, m->generate_name);
  h_u64(&h, m->uid);
  h_i64(&h, m->creation_timestamp);
  h_i64(&h, m->deletion_timestamp);
  h_i64(&h, m->deletion_grace_period_seconds);
  h_kv(&h, &m->labels);
  h_kv(&h, &m->annotations);
  h_strs(&h, &m->finalizers);
  h_u64(&h, m->owner_refs_nr);
  for (size_t i = 0; i < m->owner_refs_nr; i++) {
    const struct owner_ref *r = &m->owner_refs[i];
    h_str(&h, r->api_version);
    h_str(&h, r->kind);
    h_str(&h, r->name);
    h_u64(&h, r->uid);
    h_bool(&h, r->controller);
    h_bool(&h, r->block_owner_deletion);
  }
  return h.v;
}
