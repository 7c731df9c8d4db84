/*
 * truth.c - the ground truth of machines, containers, attachments, mounts
 * and writes. Tables in insertion order (what iteration sees, D4) with
 * hash indexes for the lookups by node name, pod uid and PV name: the
 * kubelets, the attach/detach machinery and the property checks look up a
 * volume on every mount, write and attachment, and a scale run has tens
 * of thousands of volumes. A stopped pod incarnation is marked dead and
 * the table compacted once the dead outnumber the live.
 */
#include <stdlib.h>
#include <string.h>

#include "truth.h"
#include "u64map.h"

struct machine {
  char *node;
  enum node_machine m;
};

struct mount {
  char *node;
  uint64_t uid;
};

struct vol {
  struct truth_volume pub;
  VEC(struct truth_writer) writers;
  VEC(char *) attached;
  VEC(struct mount) mounts;
  char *name;
  char *last_writer;
};

struct tpod {
  struct truth_pod pub;
  char *pod, *ns, *node, *ip;
  bool live;
};

struct truth {
  VEC(struct machine) machines;
  VEC(struct tpod) pods; /* start order; dead ones until compacted */
  VEC(struct vol *) vols;
  /* indexes (lookups only): name hash -> index, uid -> index */
  struct u64map machine_idx, vol_idx, pod_idx;
  size_t pods_dead;
  truth_hook_fn *hook;
  void *hook_ctx;
};

static uint64_t name_hash(const char *s)
{
  return sim_fnv1a(SIM_FNV_INIT, s, strlen(s)) >> 2; /* < U64MAP_TOMB */
}

/*
 * The index of the entry named name in a table, through idx (hash of the
 * name -> index); two names with one hash (never seen, but possible) fall
 * back to a walk. name_of gives the name of entry i.
 */
static size_t lookup(const struct u64map *idx, size_t nr, const char *name,
                     const char *(*name_of)(const struct truth *, size_t),
                     const struct truth *t)
{
  uint64_t i;

  if (!u64map_get(idx, name_hash(name), &i))
    return SIZE_MAX;
  if (!strcmp(name_of(t, (size_t)i), name))
    return (size_t)i;
  for (size_t k = 0; k < nr; k++)
    if (!strcmp(name_of(t, k), name))
      return k;
  return SIZE_MAX;
}

static void index_add(struct u64map *idx, const char *name, size_t i)
{
  uint64_t h = name_hash(name);

  if (!u64map_get(idx, h, NULL)) /* a collision keeps the first */
    u64map_put(idx, h, i);
}

static const char *machine_name(const struct truth *t, size_t i)
{
  return t->machines.v[i].node;
}

static const char *vol_name(const struct truth *t, size_t i)
{
  return t->vols.v[i]->name;
}

const char *node_machine_name(enum node_machine m)
{
  static const char *const names[] = {"up", "partitioned", "crashed",
                                      "shutting-down", "gone"};
  return (unsigned)m < 5 ? names[m] : "?";
}

static void changed(struct truth *t)
{
  if (t->hook)
    t->hook(t->hook_ctx);
}

struct truth *truth_new(void)
{
  return xcalloc(1, sizeof(struct truth));
}

void truth_free(struct truth *t)
{
  if (!t)
    return;
  for (size_t i = 0; i < t->machines.nr; i++)
    free(t->machines.v[i].node);
  free(t->machines.v);
  for (size_t i = 0; i < t->pods.nr; i++) {
    if (!t->pods.v[i].live)
      continue; /* freed when it stopped */
    free(t->pods.v[i].pod);
    free(t->pods.v[i].ns);
    free(t->pods.v[i].node);
    free(t->pods.v[i].ip);
  }
  free(t->pods.v);
  for (size_t i = 0; i < t->vols.nr; i++) {
    struct vol *v = t->vols.v[i];
    for (size_t j = 0; j < v->attached.nr; j++)
      free(v->attached.v[j]);
    free(v->attached.v);
    for (size_t j = 0; j < v->mounts.nr; j++)
      free(v->mounts.v[j].node);
    free(v->mounts.v);
    for (size_t j = 0; j < v->writers.nr; j++)
      free((char *)v->writers.v[j].pod);
    free(v->writers.v);
    free(v->name);
    free(v->last_writer);
    free(v);
  }
  free(t->vols.v);
  u64map_release(&t->machine_idx);
  u64map_release(&t->vol_idx);
  u64map_release(&t->pod_idx);
  free(t);
}

void truth_set_hook(struct truth *t, truth_hook_fn *fn, void *ctx)
{
  t->hook = fn;
  t->hook_ctx = ctx;
}

void truth_set_machine(struct truth *t, const char *node, enum node_machine m)
{
  size_t i = lookup(&t->machine_idx, t->machines.nr, node, machine_name, t);

  if (i != SIZE_MAX) {
    t->machines.v[i].m = m;
    changed(t);
    return;
  }
  struct machine mc = {xstrdup(node), m};
  VEC_PUSH(&t->machines, mc);
  index_add(&t->machine_idx, mc.node, t->machines.nr - 1);
  changed(t);
}

enum node_machine truth_machine(const struct truth *t, const char *node)
{
  size_t i = lookup(&t->machine_idx, t->machines.nr, node, machine_name, t);

  return i != SIZE_MAX ? t->machines.v[i].m : MACHINE_UP;
}

/* The live incarnation uid (at most one: a uid starts once at a time). */
static struct tpod *find_pod(const struct truth *t, uint64_t uid)
{
  uint64_t i;

  if (!u64map_get(&t->pod_idx, uid, &i))
    return NULL;
  SIM_ASSERT(t->pods.v[i].live && t->pods.v[i].pub.uid == uid);
  return &t->pods.v[i];
}

/* Drops the dead incarnations, keeping start order, and re-indexes. */
static void compact_pods(struct truth *t)
{
  size_t j = 0;

  for (size_t i = 0; i < t->pods.nr; i++) {
    if (!t->pods.v[i].live)
      continue;
    t->pods.v[j] = t->pods.v[i];
    u64map_put(&t->pod_idx, t->pods.v[j].pub.uid, j);
    j++;
  }
  t->pods.nr = j;
  t->pods_dead = 0;
}

void truth_pod_start(struct truth *t, const char *ns, const char *pod,
                     uint64_t uid, const char *node, const char *ip,
                     simtime now)
{
  SIM_ASSERT(!find_pod(t, uid));
  struct tpod p = {.live = true};

  p.pod = xstrdup(pod);
  p.ns = xstrdup(ns ? ns : "default");
  p.node = xstrdup(node);
  p.ip = xstrdup(ip ? ip : "");
  p.pub = (struct truth_pod){.pod = p.pod,
                             .namespace_ = p.ns,
                             .uid = uid,
                             .node = p.node,
                             .ip = p.ip,
                             .started = now};
  VEC_PUSH(&t->pods, p);
  u64map_put(&t->pod_idx, uid, t->pods.nr - 1);
  changed(t);
}

void truth_pod_set(struct truth *t, uint64_t uid, bool running, bool ready)
{
  struct tpod *p = find_pod(t, uid);

  SIM_ASSERT(p);
  p->pub.running = running;
  p->pub.ready = ready;
  changed(t);
}

void truth_pod_stop(struct truth *t, uint64_t uid)
{
  struct tpod *p = find_pod(t, uid);

  if (!p)
    return;
  free(p->pod);
  free(p->ns);
  free(p->node);
  free(p->ip);
  /* Stopped incarnations are forgotten; the rest keep start order (D4). */
  p->live = false;
  u64map_del(&t->pod_idx, uid);
  if (++t->pods_dead > 64 && t->pods_dead * 2 > t->pods.nr)
    compact_pods(t);
  changed(t);
}

const struct truth_pod *truth_pod(const struct truth *t, uint64_t uid)
{
  struct tpod *p = find_pod(t, uid);
  return p ? &p->pub : NULL;
}

void truth_pods(const struct truth *t, truth_pod_fn *fn, void *ctx)
{
  for (size_t i = 0; i < t->pods.nr; i++)
    if (t->pods.v[i].live && !fn(&t->pods.v[i].pub, ctx))
      return;
}

static struct vol *find_vol(const struct truth *t, const char *pv)
{
  size_t i = lookup(&t->vol_idx, t->vols.nr, pv, vol_name, t);

  return i != SIZE_MAX ? t->vols.v[i] : NULL;
}

static struct vol *get_vol(struct truth *t, const char *pv)
{
  struct vol *v = find_vol(t, pv);

  if (v)
    return v;
  v = xcalloc(1, sizeof(*v));
  v->name = xstrdup(pv);
  v->pub.pv = v->name;
  v->pub.last_write = SIMTIME_NEVER;
  VEC_PUSH(&t->vols, v);
  index_add(&t->vol_idx, v->name, t->vols.nr - 1);
  return v;
}

void truth_attach(struct truth *t, const char *pv, const char *node)
{
  struct vol *v = get_vol(t, pv);

  for (size_t i = 0; i < v->attached.nr; i++)
    if (!strcmp(v->attached.v[i], node))
      return;
  VEC_PUSH(&v->attached, xstrdup(node));
  v->pub.attached = (const char *const *)v->attached.v;
  v->pub.attached_nr = v->attached.nr;
  changed(t);
}

void truth_detach(struct truth *t, const char *pv, const char *node)
{
  struct vol *v = find_vol(t, pv);

  if (!v)
    return;
  for (size_t i = 0; i < v->attached.nr; i++) {
    if (!strcmp(v->attached.v[i], node)) {
      free(v->attached.v[i]);
      memmove(&v->attached.v[i], &v->attached.v[i + 1],
              (v->attached.nr - i - 1) * sizeof(char *));
      v->attached.nr--;
      v->pub.attached = (const char *const *)v->attached.v;
      v->pub.attached_nr = v->attached.nr;
      changed(t);
      return;
    }
  }
}

bool truth_is_attached(const struct truth *t, const char *pv, const char *node)
{
  struct vol *v = find_vol(t, pv);

  if (!v)
    return false;
  for (size_t i = 0; i < v->attached.nr; i++)
    if (!strcmp(v->attached.v[i], node))
      return true;
  return false;
}

void truth_mount(struct truth *t, const char *pv, const char *node,
                 uint64_t uid)
{
  struct vol *v = get_vol(t, pv);
  struct mount m = {xstrdup(node), uid};

  VEC_PUSH(&v->mounts, m);
  changed(t);
}

void truth_unmount(struct truth *t, const char *pv, const char *node,
                   uint64_t uid)
{
  struct vol *v = find_vol(t, pv);

  if (!v)
    return;
  for (size_t i = 0; i < v->mounts.nr; i++) {
    if (v->mounts.v[i].uid == uid && !strcmp(v->mounts.v[i].node, node)) {
      free(v->mounts.v[i].node);
      memmove(&v->mounts.v[i], &v->mounts.v[i + 1],
              (v->mounts.nr - i - 1) * sizeof(struct mount));
      v->mounts.nr--;
      changed(t);
      return;
    }
  }
}

int truth_mounts(const struct truth *t, const char *pv, const char *node)
{
  struct vol *v = find_vol(t, pv);
  int n = 0;

  if (!v)
    return 0;
  for (size_t i = 0; i < v->mounts.nr; i++)
    if (!node || !strcmp(v->mounts.v[i].node, node))
      n++;
  return n;
}

void truth_writer_start(struct truth *t, const char *pv, const char *pod,
                        uint64_t uid, simtime now)
{
  struct vol *v = get_vol(t, pv);
  struct truth_writer w = {xstrdup(pod), uid, now};

  for (size_t i = 0; i < v->writers.nr; i++)
    SIM_ASSERT(v->writers.v[i].uid != uid);
  VEC_PUSH(&v->writers, w);
  v->pub.writers = v->writers.v;
  v->pub.writers_nr = v->writers.nr;
  v->pub.incarnations++;
  free(v->last_writer);
  v->last_writer = xstrdup(pod);
  v->pub.last_writer = v->last_writer;
  v->pub.last_writer_uid = uid;
  changed(t);
}

void truth_writer_stop(struct truth *t, const char *pv, uint64_t uid,
                       simtime now)
{
  struct vol *v = find_vol(t, pv);

  if (!v)
    return;
  for (size_t i = 0; i < v->writers.nr; i++) {
    if (v->writers.v[i].uid != uid)
      continue;
    free((char *)v->writers.v[i].pod);
    memmove(&v->writers.v[i], &v->writers.v[i + 1],
            (v->writers.nr - i - 1) * sizeof(struct truth_writer));
    v->writers.nr--;
    v->pub.writers = v->writers.v;
    v->pub.writers_nr = v->writers.nr;
    v->pub.last_write = now;
    changed(t);
    return;
  }
}

const struct truth_volume *truth_volume(const struct truth *t, const char *pv)
{
  struct vol *v = find_vol(t, pv);
  return v ? &v->pub : NULL;
}
