/*
 * store.c - the ordered index behind the API server's store and every
 * informer cache: an AVL tree keyed by (namespace, name), so that GET is
 * O(log n) and LIST walks keys in etcd's range order (D4) without a sort.
 * Also the per-kind resource names used in Kubernetes-style messages.
 */
#include <string.h>

#include "apiserver_int.h"

/* --- kinds ---------------------------------------------------------------- */

static const struct {
  const char *resource;  /* plural.group, as in "pods \"x\" not found" */
  const char *qualified; /* Kind.group, as in "Pod \"x\" is invalid" */
} kind_names[KIND_COUNT] = {
    [KIND_NONE] = {"", ""},
    [KIND_STATEFULSET] = {"statefulsets.apps", "StatefulSet.apps"},
    [KIND_POD] = {"pods", "Pod"},
    [KIND_PVC] = {"persistentvolumeclaims", "PersistentVolumeClaim"},
    [KIND_PV] = {"persistentvolumes", "PersistentVolume"},
    [KIND_STORAGECLASS] = {"storageclasses.storage.k8s.io",
                           "StorageClass.storage.k8s.io"},
    [KIND_NODE] = {"nodes", "Node"},
    [KIND_SERVICE] = {"services", "Service"},
    [KIND_ENDPOINTSLICE] = {"endpointslices.discovery.k8s.io",
                            "EndpointSlice.discovery.k8s.io"},
    [KIND_CONTROLLERREVISION] = {"controllerrevisions.apps",
                                 "ControllerRevision.apps"},
    [KIND_PDB] = {"poddisruptionbudgets.policy", "PodDisruptionBudget.policy"},
    [KIND_EVENT] = {"events", "Event"},
    [KIND_LEASE] = {"leases.coordination.k8s.io", "Lease.coordination.k8s.io"},
    [KIND_VOLUMEATTACHMENT] = {"volumeattachments.storage.k8s.io",
                               "VolumeAttachment.storage.k8s.io"},
};

const char *api__resource(enum obj_kind k)
{
  SIM_ASSERT((unsigned)k < KIND_COUNT);
  return kind_names[k].resource;
}

const char *api__qualified_kind(enum obj_kind k)
{
  SIM_ASSERT((unsigned)k < KIND_COUNT);
  return kind_names[k].qualified;
}

const char *api__namespace(enum obj_kind k, const char *ns)
{
  if (!obj_kind_namespaced(k))
    return "";
  return ns && *ns ? ns : "default";
}

/* --- the tree ------------------------------------------------------------- */

/*
 * The first 8 bytes of s as a big-endian number, zero-padded: two names
 * whose prefixes differ compare as strcmp would without reading either
 * string (a descent then touches only its nodes).
 */
static uint64_t prefix8(const char *s)
{
  uint64_t v = 0;
  int i = 0;

  for (; i < 8 && s[i]; i++)
    v = v << 8 | (unsigned char)s[i];
  return v << (8 * (8 - i));
}

static int key_cmp(const char *ns, const char *name, uint64_t name8,
                   const struct api__tnode *n)
{
  int c = ns == n->ns ? 0 : strcmp(ns, n->ns);

  if (c)
    return c;
  if (name8 != n->name8)
    return name8 < n->name8 ? -1 : 1;
  return name == n->name ? 0 : strcmp(name, n->name);
}

/* The by_name map's key: a string mixed a word at a time (a lookup key
 * only, never output; collisions fall back to the tree). */
static uint64_t mix(uint64_t x)
{
  x *= UINT64_C(0x9e3779b97f4a7c15);
  return x ^ (x >> 29);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
  size_t n = strlen(s);
  uint64_t w;

  h = mix(h ^ n);
  for (; n >= 8; n -= 8, s += 8) {
    memcpy(&w, s, 8);
    h = mix(h ^ w);
  }
  if (n) {
    w = 0;
    memcpy(&w, s, n);
    h = mix(h ^ w);
  }
  return h;
}

static uint64_t key_hash(const char *ns, const char *name)
{
  return hash_str(hash_str(SIM_FNV_INIT, ns), name) >> 2; /* below marks */
}

static int height(const struct api__tnode *n)
{
  return n ? n->height : 0;
}

static void fix_height(struct api__tnode *n)
{
  int l = height(n->left), r = height(n->right);

  n->height = (l > r ? l : r) + 1;
}

static struct api__tnode *rotate_right(struct api__tnode *n)
{
  struct api__tnode *l = n->left;

  n->left = l->right;
  l->right = n;
  fix_height(n);
  fix_height(l);
  return l;
}

static struct api__tnode *rotate_left(struct api__tnode *n)
{
  struct api__tnode *r = n->right;

  n->right = r->left;
  r->left = n;
  fix_height(n);
  fix_height(r);
  return r;
}

static struct api__tnode *balance(struct api__tnode *n)
{
  int bf;

  fix_height(n);
  bf = height(n->left) - height(n->right);
  if (bf > 1) {
    if (height(n->left->left) < height(n->left->right))
      n->left = rotate_left(n->left);
    return rotate_right(n);
  }
  if (bf < -1) {
    if (height(n->right->right) < height(n->right->left))
      n->right = rotate_right(n->right);
    return rotate_left(n);
  }
  return n;
}

static struct api__tnode *node_new(struct api__tree *t, struct api__pool *p,
                                   const struct object *o)
{
  struct api__tnode *n = p->free_list;

  if (n)
    p->free_list = n->left;
  else
    n = arena_alloc(p->arena, sizeof(*n));
  *n = (struct api__tnode){.ns = o->meta.namespace_,
                           .name = o->meta.name,
                           .name8 = prefix8(o->meta.name),
                           .obj = o,
                           .height = 1};
  u64map_put(&t->by_uid, o->meta.uid, (uint64_t)(uintptr_t)n);
  {
    uint64_t h = key_hash(n->ns, n->name);
    if (u64map_get(&t->by_name, h, NULL))
      t->name_collisions++; /* the key is new: another key has h */
    else
      u64map_put(&t->by_name, h, (uint64_t)(uintptr_t)n);
  }
  return n;
}

static void node_free(struct api__pool *p, struct api__tnode *n)
{
  n->obj = NULL;
  n->ns = n->name = NULL;
  n->right = NULL;
  n->left = p->free_list;
  p->free_list = n;
}

static struct api__tnode *find(const struct api__tree *t, const char *ns,
                               const char *name)
{
  struct api__tnode *n;
  uint64_t at;

  if (u64map_get(&t->by_name, key_hash(ns, name), &at)) {
    n = (struct api__tnode *)(uintptr_t)at;
    if ((n->ns == ns || !strcmp(n->ns, ns)) &&
        (n->name == name || !strcmp(n->name, name)))
      return n;
  } else if (!t->name_collisions) {
    return NULL;
  }
  n = t->root;

  uint64_t name8 = prefix8(name);
  while (n) {
    int c = key_cmp(ns, name, name8, n);
    if (!c)
      return n;
    n = c < 0 ? n->left : n->right;
  }
  return NULL;
}

const struct object *api__tree_get(const struct api__tree *t, const char *ns,
                                   const char *name)
{
  const struct api__tnode *n = find(t, ns, name);

  return n ? n->obj : NULL;
}

const struct object *api__tree_get_hint(const struct api__tree *t, uint64_t uid,
                                        const char *ns, const char *name)
{
  uint64_t at;

  if (uid && u64map_get(&t->by_uid, uid, &at)) {
    const struct api__tnode *n = (const struct api__tnode *)(uintptr_t)at;
    if ((n->ns == ns || !strcmp(n->ns, ns)) &&
        (n->name == name || !strcmp(n->name, name)))
      return n->obj;
  }
  return api__tree_get(t, ns, name);
}

/* Inserts a key known to be absent (name8: its prefix8). */
static struct api__tnode *insert(struct api__tree *t, struct api__tnode *n,
                                 struct api__pool *p, const struct object *o,
                                 uint64_t name8)
{
  if (!n)
    return node_new(t, p, o);
  if (key_cmp(o->meta.namespace_, o->meta.name, name8, n) < 0)
    n->left = insert(t, n->left, p, o, name8);
  else
    n->right = insert(t, n->right, p, o, name8);
  return balance(n);
}

static bool same_key(const struct api__tnode *n, const struct object *o)
{
  return (n->ns == o->meta.namespace_ || !strcmp(n->ns, o->meta.namespace_)) &&
         (n->name == o->meta.name || !strcmp(n->name, o->meta.name));
}

/*
 * A new version of a present key only swaps the pointer (the key strings
 * of all versions of an object are the same): no rebalancing. The node is
 * found by uid first; a new object under the key (another uid) by descent.
 */
const struct object *api__tree_put(struct api__tree *t, struct api__pool *p,
                                   const struct object *o)
{
  struct api__tnode *n = NULL;
  const struct object *old;
  uint64_t at;

  if (u64map_get(&t->by_uid, o->meta.uid, &at) &&
      same_key((struct api__tnode *)(uintptr_t)at, o))
    n = (struct api__tnode *)(uintptr_t)at;
  else
    n = find(t, o->meta.namespace_, o->meta.name);
  if (n) {
    old = n->obj;
    n->obj = o;
    if (old->meta.uid != o->meta.uid) {
      u64map_del(&t->by_uid, old->meta.uid);
      u64map_put(&t->by_uid, o->meta.uid, (uint64_t)(uintptr_t)n);
    }
    return old;
  }
  t->root = insert(t, t->root, p, o, prefix8(o->meta.name));
  t->nr++;
  return NULL;
}

/* Detaches the leftmost node of n into *min; returns the rebalanced rest. */
static struct api__tnode *take_min(struct api__tnode *n,
                                   struct api__tnode **min)
{
  if (!n->left) {
    *min = n;
    return n->right;
  }
  n->left = take_min(n->left, min);
  return balance(n);
}

static struct api__tnode *del(struct api__tree *t, struct api__tnode *n,
                              struct api__pool *p, const char *ns,
                              const char *name, uint64_t name8,
                              const struct object **gone)
{
  int c;

  if (!n)
    return NULL;
  c = key_cmp(ns, name, name8, n);
  if (c < 0) {
    n->left = del(t, n->left, p, ns, name, name8, gone);
  } else if (c > 0) {
    n->right = del(t, n->right, p, ns, name, name8, gone);
  } else {
    struct api__tnode *l = n->left, *r = n->right, *min;
    uint64_t h = key_hash(n->ns, n->name), at;

    *gone = n->obj;
    if (u64map_get(&t->by_name, h, &at) && at == (uint64_t)(uintptr_t)n)
      u64map_del(&t->by_name, h);
    node_free(p, n);
    if (!r)
      return l;
    r = take_min(r, &min);
    min->left = l;
    min->right = r;
    return balance(min);
  }
  return balance(n);
}

const struct object *api__tree_del(struct api__tree *t, struct api__pool *p,
                                   const char *ns, const char *name)
{
  const struct object *gone = NULL;

  t->root = del(t, t->root, p, ns, name, prefix8(name), &gone);
  if (gone) {
    t->nr--;
    u64map_del(&t->by_uid, gone->meta.uid);
  }
  return gone;
}

static void clear(struct api__tnode *n, struct api__pool *p)
{
  if (!n)
    return;
  clear(n->left, p);
  clear(n->right, p);
  node_free(p, n);
}

void api__tree_clear(struct api__tree *t, struct api__pool *p)
{
  clear(t->root, p);
  t->root = NULL;
  t->nr = 0;
  u64map_release(&t->by_uid);
  u64map_release(&t->by_name);
  t->name_collisions = 0;
}

/*
 * In-order walk restricted to one namespace when ns is set: subtrees that
 * lie wholly before or after it are skipped, so a namespaced LIST costs
 * O(log n + k). Returns false once fn asked to stop.
 */
static bool visit(const struct api__tnode *n, const char *ns,
                  const struct label_selector *sel, api_visit_fn *fn, void *ctx)
{
  int c = 0;

  if (!n)
    return true;
  if (ns)
    c = strcmp(ns, n->ns);
  if (c <= 0 && !visit(n->left, ns, sel, fn, ctx))
    return false;
  if (c == 0 && (!sel || selector_matches(sel, &n->obj->meta.labels)) &&
      !fn(n->obj, ctx))
    return false;
  if (c >= 0)
    return visit(n->right, ns, sel, fn, ctx);
  return true;
}

void api__tree_visit(const struct api__tree *t, const char *ns,
                     const struct label_selector *sel, api_visit_fn *fn,
                     void *ctx)
{
  visit(t->root, ns && *ns ? ns : NULL, sel, fn, ctx);
}
