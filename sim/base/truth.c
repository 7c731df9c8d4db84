/*
 * truth.c - the ground truth of machines, containers, attachments, mounts
 * and writes. Small linear tables: a cluster has tens of nodes and a few
 * thousand pods at most in a run; lookups by uid and name use a sorted
 * index where they are hot.
 */
#include <stdlib.h>
#include <string.h>

#include "truth.h"

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
  VEC(struct tpod) pods;
  VEC(struct vol *) vols;
  truth_hook_fn *hook;
  void *hook_ctx;
};

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
  free(t);
}

void truth_set_hook(struct truth *t, truth_hook_fn *fn, void *ctx)
{
  t->hook = fn;
  t->hook_ctx = ctx;
}

void truth_set_machine(struct truth *t, const char *node, enum node_machine m)
{
  for (size_t i = 0; i < t->machines.nr; i++) {
    if (!strcmp(t->machines.v[i].node, node)) {
      t->machines.v[i].m = m;
      changed(t);
      return;
    }
  }
  struct machine mc = {xstrdup(node), m};
  VEC_PUSH(&t->machines, mc);
  changed(t);
}

enum node_machine truth_machine(const struct truth *t, const char *node)
{
  for (size_t i = 0; i < t->machines.nr; i++)
    if (!strcmp(t->machines.v[i].node, node))
      return t->machines.v[i].m;
  return MACHINE_UP;
}

static struct tpod *find_pod(const struct truth *t, uint64_t uid)
{
  /* Newest first: the incarnation asked about is usually recent. */
  for (size_t i = t->pods.nr; i-- > 0;)
    if (t->pods.v[i].live && t->pods.v[i].pub.uid == uid)
      return &t->pods.v[i];
  return NULL;
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
  size_t i = (size_t)(p - t->pods.v);
  memmove(&t->pods.v[i], &t->pods.v[i + 1],
          (t->pods.nr - i - 1) * sizeof(*p));
  t->pods.nr--;
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
  for (size_t i = 0; i < t->vols.nr; i++)
    if (!strcmp(t->vols.v[i]->name, pv))
      return t->vols.v[i];
  return NULL;
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
