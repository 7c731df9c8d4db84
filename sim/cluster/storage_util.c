/*
 * storage_util.c - the small structures and helpers of storage_int.h: a
 * map keyed by (namespace, name), an ordered set, a deduplicating FIFO,
 * an index of names, copy-on-write list edits, the Kubernetes helper
 * predicates the storage controllers share, and the CSI driver table.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage_int.h"

/* --- the map -------------------------------------------------------------- */

static uint64_t key_hash(const char *ns, const char *name)
{
  uint64_t h = sim_fnv1a(SIM_FNV_INIT, ns, strlen(ns) + 1);

  h = sim_fnv1a(h, name, strlen(name));
  return sim_splitmix64(h);
}

static bool slot_is(const struct stor__slot *sl, uint64_t h, const char *ns,
                    const char *name)
{
  return sl->ns && sl->hash == h && !strcmp(sl->ns, ns) &&
         !strcmp(sl->name, name);
}

static struct stor__slot *find(const struct stor__map *m, uint64_t h,
                               const char *ns, const char *name)
{
  if (!m->cap)
    return NULL;
  for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
    struct stor__slot *sl = &m->slots[i];
    if (!sl->ns)
      return NULL;
    if (slot_is(sl, h, ns, name))
      return sl;
  }
}

void *stor__map_get(const struct stor__map *m, const char *ns, const char *name)
{
  struct stor__slot *sl = find(m, key_hash(ns, name), ns, name);

  return sl ? sl->val : NULL;
}

static void place(struct stor__map *m, const struct stor__slot *in)
{
  size_t i = in->hash & (m->cap - 1);

  while (m->slots[i].ns)
    i = (i + 1) & (m->cap - 1);
  m->slots[i] = *in;
}

static void grow(struct stor__map *m)
{
  struct stor__slot *old = m->slots;
  size_t old_cap = m->cap;

  m->cap = m->cap ? m->cap * 2 : 16;
  m->slots = xcalloc(m->cap, sizeof(*m->slots));
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].ns)
      place(m, &old[i]);
  free(old);
}

void stor__map_put(struct stor__map *m, const char *ns, const char *name,
                   void *val)
{
  uint64_t h = key_hash(ns, name);
  struct stor__slot *sl = find(m, h, ns, name);
  struct stor__slot in = {h, ns, name, val};

  SIM_ASSERT(val);
  if (sl) {
    sl->val = val;
    return;
  }
  if ((m->nr + 1) * 4 > m->cap * 3)
    grow(m);
  place(m, &in);
  m->nr++;
}

void *stor__map_del(struct stor__map *m, const char *ns, const char *name)
{
  struct stor__slot *sl = find(m, key_hash(ns, name), ns, name);
  size_t i, j, mask;
  void *val;

  if (!sl)
    return NULL;
  val = sl->val;
  mask = m->cap - 1;
  i = (size_t)(sl - m->slots);
  /* Backward shift: pull later members of the run into the hole. */
  for (j = (i + 1) & mask; m->slots[j].ns; j = (j + 1) & mask) {
    size_t home = m->slots[j].hash & mask;
    bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
    if (movable) {
      m->slots[i] = m->slots[j];
      i = j;
    }
  }
  m->slots[i].ns = NULL;
  m->nr--;
  return val;
}

void stor__map_release(struct stor__map *m)
{
  free(m->slots);
  memset(m, 0, sizeof(*m));
}

/* --- the ordered set ------------------------------------------------------ */

bool stor__set_has(const struct stor__set *s, const char *ns, const char *name)
{
  return stor__map_get(&s->pos, ns, name) != NULL;
}

bool stor__set_add(struct stor__set *s, const char *ns, const char *name)
{
  struct stor__key k = {ns, name};

  if (stor__set_has(s, ns, name))
    return false;
  VEC_PUSH(&s->v, k);
  stor__map_put(&s->pos, ns, name, (void *)(uintptr_t)s->v.nr);
  return true;
}

bool stor__set_del(struct stor__set *s, const char *ns, const char *name)
{
  uintptr_t at = (uintptr_t)stor__map_del(&s->pos, ns, name);

  if (!at)
    return false;
  /* Swap-remove: O(1); the order stays a function of the history (D4). */
  if (at != s->v.nr) {
    s->v.v[at - 1] = s->v.v[s->v.nr - 1];
    stor__map_put(&s->pos, s->v.v[at - 1].ns, s->v.v[at - 1].name, (void *)at);
  }
  s->v.nr--;
  return true;
}

void stor__set_release(struct stor__set *s)
{
  free(s->v.v);
  stor__map_release(&s->pos);
  memset(s, 0, sizeof(*s));
}

/* --- the queue ------------------------------------------------------------ */

bool stor__queue_empty(const struct stor__queue *q)
{
  return q->head == q->v.nr;
}

bool stor__queue_push(struct stor__queue *q, const char *ns, const char *name)
{
  struct stor__key k = {ns, name};

  if (stor__map_get(&q->in, ns, name))
    return false;
  if (stor__queue_empty(q)) {
    q->head = 0;
    q->v.nr = 0;
  } else if (q->head >= 64 && q->head * 2 >= q->v.nr) {
    memmove(q->v.v, q->v.v + q->head, (q->v.nr - q->head) * sizeof(*q->v.v));
    q->v.nr -= q->head;
    q->head = 0;
  }
  VEC_PUSH(&q->v, k);
  stor__map_put(&q->in, ns, name, (void *)1);
  return true;
}

bool stor__queue_pop(struct stor__queue *q, struct stor__key *out)
{
  if (stor__queue_empty(q))
    return false;
  *out = q->v.v[q->head++];
  stor__map_del(&q->in, out->ns, out->name);
  return true;
}

void stor__queue_release(struct stor__queue *q)
{
  free(q->v.v);
  stor__map_release(&q->in);
  memset(q, 0, sizeof(*q));
}

/* --- the index ------------------------------------------------------------ */

void stor__index_add(struct stor__index *ix, const char *ns, const char *key,
                     const char *name)
{
  struct stor__names *n = stor__map_get(&ix->map, ns, key);

  if (!n) {
    n = xcalloc(1, sizeof(*n));
    stor__map_put(&ix->map, ns, key, n);
  }
  for (size_t i = 0; i < n->v.nr; i++)
    if (!strcmp(n->v.v[i], name))
      return;
  VEC_PUSH(&n->v, name);
}

void stor__index_del(struct stor__index *ix, const char *ns, const char *key,
                     const char *name)
{
  struct stor__names *n = stor__map_get(&ix->map, ns, key);

  if (!n)
    return;
  for (size_t i = 0; i < n->v.nr; i++) {
    if (strcmp(n->v.v[i], name))
      continue;
    memmove(&n->v.v[i], &n->v.v[i + 1], (n->v.nr - i - 1) * sizeof(*n->v.v));
    n->v.nr--;
    break;
  }
  if (!n->v.nr) {
    stor__map_del(&ix->map, ns, key);
    free(n->v.v);
    free(n);
  }
}

const struct stor__names *stor__index_get(const struct stor__index *ix,
                                          const char *ns, const char *key)
{
  return stor__map_get(&ix->map, ns, key);
}

void stor__index_release(struct stor__index *ix)
{
  for (size_t i = 0; i < ix->map.cap; i++) {
    struct stor__names *n = ix->map.slots[i].val;
    if (!ix->map.slots[i].ns)
      continue;
    free(n->v.v);
    free(n);
  }
  stor__map_release(&ix->map);
}

/* --- copy-on-write list edits --------------------------------------------- */

bool stor__str_has(const struct str_list *l, const char *s)
{
  for (size_t i = 0; i < l->nr; i++)
    if (l->v[i] && !strcmp(l->v[i], s))
      return true;
  return false;
}

struct str_list stor__str_add(struct arena *a, struct str_list l, const char *s)
{
  const char **v;

  if (stor__str_has(&l, s))
    return l;
  v = arena_alloc(a, (l.nr + 1) * sizeof(*v));
  if (l.nr)
    memcpy(v, l.v, l.nr * sizeof(*v));
  v[l.nr] = s;
  return (struct str_list){v, l.nr + 1};
}

struct str_list stor__str_del(struct arena *a, struct str_list l, const char *s)
{
  const char **v;
  size_t nr = 0;

  if (!stor__str_has(&l, s))
    return l;
  v = arena_alloc(a, (l.nr ? l.nr : 1) * sizeof(*v));
  for (size_t i = 0; i < l.nr; i++)
    if (!l.v[i] || strcmp(l.v[i], s))
      v[nr++] = l.v[i];
  return (struct str_list){nr ? v : NULL, nr};
}

struct kv_list stor__kv_set(struct arena *a, struct kv_list l, const char *k,
                            const char *v)
{
  struct kv *nv;
  const char *cur = kv_get(&l, k);

  if (cur && !strcmp(cur, v))
    return l;
  nv = arena_alloc(a, (l.nr + 1) * sizeof(*nv));
  for (size_t i = 0; i < l.nr; i++) {
    nv[i] = l.v[i];
    if (l.v[i].key && !strcmp(l.v[i].key, k))
      nv[i].value = v;
  }
  if (cur)
    return (struct kv_list){nv, l.nr};
  nv[l.nr] = (struct kv){k, v};
  return (struct kv_list){nv, l.nr + 1};
}

struct kv_list stor__kv_del(struct arena *a, struct kv_list l, const char *k)
{
  struct kv *nv;
  size_t nr = 0;

  if (!kv_get(&l, k))
    return l;
  nv = arena_alloc(a, l.nr * sizeof(*nv));
  for (size_t i = 0; i < l.nr; i++)
    if (!l.v[i].key || strcmp(l.v[i].key, k))
      nv[nr++] = l.v[i];
  return (struct kv_list){nr ? nv : NULL, nr};
}

/* --- Kubernetes helpers --------------------------------------------------- */

const char *stor__claim_class(const struct object *pvc)
{
  const char *ann = kv_get(&pvc->meta.annotations, ANN_BETA_STORAGE_CLASS);

  if (ann)
    return ann;
  return pvc->u.pvc.spec.storage_class_name ? pvc->u.pvc.spec.storage_class_name
                                            : "";
}

bool stor__claim_has_class(const struct object *pvc)
{
  return kv_get(&pvc->meta.annotations, ANN_BETA_STORAGE_CLASS) ||
         pvc->u.pvc.spec.storage_class_name;
}

const char *stor__ref_ns(const struct claim_ref *r)
{
  return r->namespace_ && *r->namespace_ ? r->namespace_ : "default";
}

const char *stor__pv_class(const struct object *pv)
{
  const char *ann = kv_get(&pv->meta.annotations, ANN_BETA_STORAGE_CLASS);

  if (ann)
    return ann;
  return pv->u.pv.spec.storage_class_name ? pv->u.pv.spec.storage_class_name
                                          : "";
}

bool stor__class_is_default(const struct object *sc)
{
  const char *v = kv_get(&sc->meta.annotations, ANN_DEFAULT_STORAGE_CLASS);

  if (!v)
    v = kv_get(&sc->meta.annotations, ANN_BETA_DEFAULT_STORAGE_CLASS);
  return v && !strcmp(v, "true");
}

bool stor__pod_terminated(const struct object *pod)
{
  const struct pod_status *st = &pod->u.pod.status;

  if (st->phase == POD_FAILED || st->phase == POD_SUCCEEDED)
    return true;
  if (!meta_is_deleting(&pod->meta))
    return false;
  for (size_t i = 0; i < st->containers_nr; i++)
    if (st->containers[i].state == CSTATE_RUNNING)
      return false;
  return true;
}

bool stor__pod_uses_claim(const struct object *pod, const char *name)
{
  const struct pod_spec *sp = &pod->u.pod.spec;

  for (size_t i = 0; i < sp->volumes_nr; i++)
    if (sp->volumes[i].source == VOLSRC_PVC && sp->volumes[i].claim_name &&
        !strcmp(sp->volumes[i].claim_name, name))
      return true;
  return false;
}

void stor__uuid(uint64_t uid, char out[37])
{
  uint64_t a = sim_splitmix64(uid ^ UINT64_C(0x7374736d2d707663));
  uint64_t b = sim_splitmix64(a ^ uid);

  /* Version 4, variant 1 bits, as a random UUID would have. */
  snprintf(out, 37,
           "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-%04" PRIx64
           "-%012" PRIx64,
           a >> 32, (a >> 16) & 0xffff, a & 0xfff,
           ((b >> 48) & 0x3fff) | 0x8000, b & UINT64_C(0xffffffffffff));
}

const char *stor__provisioned_name(struct arena *a, uint64_t claim_uid)
{
  char u[37];

  stor__uuid(claim_uid, u);
  return arena_printf(a, "pvc-%s", u);
}

struct driver_fact {
  const char *name;
  bool attachable, zonal;
};

static const struct driver_fact drivers[] = {
    {"disk.csi.stsim.io", true, true},
    {"pd.csi.storage.gke.io", true, true},
    {"ebs.csi.aws.com", true, true},
    {"disk.csi.azure.com", true, true},
    {"csi.vsphere.vmware.com", true, true},
    {"file.csi.stsim.io", false, false},
    {"nfs.csi.k8s.io", false, false},
    {"efs.csi.aws.com", false, false},
    {"file.csi.azure.com", false, false},
    {"filestore.csi.storage.gke.io", false, false},
};

static const struct driver_fact *driver(const char *name)
{
  for (size_t i = 0; name && i < sizeof(drivers) / sizeof(drivers[0]); i++)
    if (!strcmp(drivers[i].name, name))
      return &drivers[i];
  return NULL;
}

bool stor__driver_attachable(const char *name)
{
  const struct driver_fact *d = driver(name);

  return d ? d->attachable : true;
}

bool stor__driver_zonal(const char *name)
{
  const struct driver_fact *d = driver(name);

  return d && d->zonal;
}

const char *stor__csi_name(const char *p)
{
  static const char *const migrated[][2] = {
      {"kubernetes.io/gce-pd", "pd.csi.storage.gke.io"},
      {"kubernetes.io/aws-ebs", "ebs.csi.aws.com"},
      {"kubernetes.io/azure-disk", "disk.csi.azure.com"},
      {"kubernetes.io/azure-file", "file.csi.azure.com"},
      {"kubernetes.io/vsphere-volume", "csi.vsphere.vmware.com"},
  };

  for (size_t i = 0; p && i < sizeof(migrated) / sizeof(migrated[0]); i++)
    if (!strcmp(migrated[i][0], p))
      return migrated[i][1];
  return p;
}

simtime stor__grid_at(simtime t, simtime period)
{
  if (period <= 0)
    return t;
  return (t + period - 1) / period * period;
}

/* --- shared with the kubelet (cluster.h) ---------------------------------- */

bool attachdetach_volume_attachable(const struct pv *pv)
{
  return pv->spec.source == PVSRC_CSI &&
         stor__driver_attachable(pv->spec.csi_driver);
}

size_t attachdetach_unique_name(const struct pv *pv, char *buf, size_t n)
{
  int len = snprintf(buf, n, "kubernetes.io/csi/%s^%s",
                     pv->spec.csi_driver ? pv->spec.csi_driver : "",
                     pv->spec.volume_handle ? pv->spec.volume_handle : "");

  return len < 0 ? 0 : (size_t)len;
}
