/*
 * nodefail_util.c - helpers of nodefail_int.h: taints, tolerations, grid
 * alignment and the pods-by-node index.
 */
#include <stdlib.h>
#include <string.h>

#include "nodefail_int.h"

simtime nf__align(simtime origin, simtime period, simtime t)
{
  if (t <= origin || period <= 0)
    return t <= origin ? origin : t;
  simtime k = (t - origin + period - 1) / period;
  return origin + k * period;
}

static const char *str_or_empty(const char *s)
{
  return s ? s : "";
}

bool nf__tolerates(const struct toleration *t, const struct taint *x)
{
  if (!t->any_effect && t->effect != x->effect)
    return false;
  if (t->key && *t->key && strcmp(t->key, x->key))
    return false;
  if (t->op == TOLERATE_EXISTS)
    return true;
  return !strcmp(str_or_empty(t->value), str_or_empty(x->value));
}

bool nf__has_taint(const struct node *n, const char *key,
                   enum taint_effect effect)
{
  for (size_t i = 0; i < n->taints_nr; i++)
    if (n->taints[i].effect == effect && !strcmp(n->taints[i].key, key))
      return true;
  return false;
}

bool nf__has_taint_key(const struct node *n, const char *key)
{
  for (size_t i = 0; i < n->taints_nr; i++)
    if (!strcmp(n->taints[i].key, key))
      return true;
  return false;
}

bool nf__taints_equal(const struct taint *a, size_t an, const struct taint *b,
                      size_t bn)
{
  if (an != bn)
    return false;
  for (size_t i = 0; i < an; i++)
    if (a[i].effect != b[i].effect || a[i].time_added != b[i].time_added ||
        strcmp(a[i].key, b[i].key) ||
        strcmp(str_or_empty(a[i].value), str_or_empty(b[i].value)))
      return false;
  return true;
}

bool nf__node_ready(const struct object *node)
{
  return node->u.node.ready.status == COND_TRUE;
}

/* --- pods by node -------------------------------------------------------- */

static size_t node_pos(const struct nf_pod_index *ix, const char *node,
                       bool *found)
{
  size_t lo = 0, hi = ix->v.nr;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(node, ix->v.v[mid].node);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  *found = false;
  return lo;
}

static int ref_cmp(const struct nf_pod_ref *a, const struct nf_pod_ref *b)
{
  int c = strcmp(a->ns, b->ns);

  if (!c)
    c = strcmp(a->name, b->name);
  if (!c)
    c = a->uid < b->uid ? -1 : a->uid > b->uid;
  return c;
}

static void index_add(struct nf_pod_index *ix, const struct object *o)
{
  struct nf_pod_ref r = {o->meta.namespace_, o->meta.name, o->meta.uid};
  struct nf_node_pods *np;
  bool found;
  size_t pos = node_pos(ix, o->u.pod.spec.node_name, &found);

  if (!found) {
    VEC_GROW(&ix->v, ix->v.nr + 1);
    memmove(&ix->v.v[pos + 1], &ix->v.v[pos],
            (ix->v.nr - pos) * sizeof(ix->v.v[0]));
    memset(&ix->v.v[pos], 0, sizeof(ix->v.v[pos]));
    ix->v.v[pos].node = o->u.pod.spec.node_name;
    ix->v.nr++;
  }
  np = &ix->v.v[pos];
  size_t i = np->pods.nr;
  while (i > 0 && ref_cmp(&np->pods.v[i - 1], &r) >= 0) {
    if (!ref_cmp(&np->pods.v[i - 1], &r))
      return; /* already there */
    i--;
  }
  VEC_GROW(&np->pods, np->pods.nr + 1);
  memmove(&np->pods.v[i + 1], &np->pods.v[i],
          (np->pods.nr - i) * sizeof(np->pods.v[0]));
  np->pods.v[i] = r;
  np->pods.nr++;
}

static void index_del(struct nf_pod_index *ix, const struct object *o)
{
  struct nf_pod_ref r = {o->meta.namespace_, o->meta.name, o->meta.uid};
  bool found;
  size_t pos = node_pos(ix, o->u.pod.spec.node_name, &found);

  if (!found)
    return;
  struct nf_node_pods *np = &ix->v.v[pos];
  for (size_t i = 0; i < np->pods.nr; i++) {
    if (ref_cmp(&np->pods.v[i], &r))
      continue;
    memmove(&np->pods.v[i], &np->pods.v[i + 1],
            (np->pods.nr - i - 1) * sizeof(np->pods.v[0]));
    np->pods.nr--;
    return;
  }
}

static bool bound(const struct object *o)
{
  return o && o->u.pod.spec.node_name && *o->u.pod.spec.node_name;
}

void nf__index_update(struct nf_pod_index *ix, enum watch_type t,
                      const struct object *old, const struct object *now)
{
  if (t == WATCH_DELETED) {
    if (bound(old))
      index_del(ix, old);
    else if (bound(now))
      index_del(ix, now);
    return;
  }
  if (bound(old) &&
      (old->meta.uid != now->meta.uid || !bound(now) ||
       strcmp(old->u.pod.spec.node_name, now->u.pod.spec.node_name)))
    index_del(ix, old);
  if (bound(now))
    index_add(ix, now);
}

const struct nf_node_pods *nf__index_find(const struct nf_pod_index *ix,
                                          const char *node)
{
  bool found;
  size_t pos;

  if (!node)
    return NULL;
  pos = node_pos(ix, node, &found);
  return found ? &ix->v.v[pos] : NULL;
}

void nf__index_release(struct nf_pod_index *ix)
{
  for (size_t i = 0; i < ix->v.nr; i++)
    free(ix->v.v[i].pods.v);
  free(ix->v.v);
  ix->v.v = NULL;
  ix->v.nr = ix->v.alloc = 0;
}
