/*
 * recovery.c - how long the cluster takes to heal: for each generated
 * fault, the virtual time until every replica of every StatefulSet is
 * Ready again (interface.md section 4). It watches the store through a
 * write hook (api_add_write_hook) - the ground truth, not a cache - and
 * keeps, per set, which ordinals of [start, start + spec.replicas) have a
 * pod that exists, is not being deleted and has Ready=True.
 *
 * Attribution (a documented simplification: the cluster cannot say which
 * fault caused what):
 *  - a fault that finds the set not all Ready is disrupting from its start;
 *  - a fault that finds it all Ready disrupts if it stops being all Ready
 *    within the fault's window (its own duration plus two minutes, the
 *    time a node takes to be marked NotReady and its pods unready);
 *    otherwise it counts as "undisrupted";
 *  - a disrupting fault has recovered at the first moment after that when
 *    every replica is Ready again; still not Ready at the end of the run
 *    is "not recovered".
 * So overlapping faults share one recovery, each measured from its own
 * start.
 */
#include <string.h>

#include "engine.h"
#include "fuzz_int.h"

struct rset {
  const char *ns, *name;
  size_t name_len;
  int32_t start, replicas;
  bool exists;
  VEC(uint8_t) ready; /* by ordinal - start */
  int32_t ready_in_range;
};

enum fstate { F_WAITING, F_PENDING, F_DISRUPTED, F_DONE };

struct fuzz__recovery {
  struct api *api;
  struct rset *sets;
  size_t sets_nr;
  bool all_ready;
  const struct fuzz_fault_ref *faults;
  size_t faults_nr, next; /* faults before next have started */
  uint8_t *state;         /* enum fstate per fault */
  size_t open_from;       /* faults before it are all F_DONE */
  VEC(struct fuzz_sample) samples;
};

static bool compute_all_ready(const struct fuzz__recovery *r)
{
  for (size_t i = 0; i < r->sets_nr; i++)
    if (r->sets[i].exists && r->sets[i].ready_in_range < r->sets[i].replicas)
      return false;
  return true;
}

static void sample(struct fuzz__recovery *r, size_t i, enum fuzz_recovery o,
                   simtime dur)
{
  struct fuzz_sample smp;

  memset(&smp, 0, sizeof(smp)); /* padding too: it goes down a pipe (D6) */
  smp.kind = (uint8_t)r->faults[i].kind;
  smp.outcome = (uint8_t)o;
  smp.ms = dur / 1000;
  VEC_PUSH(&r->samples, smp);
  r->state[i] = F_DONE;
}

/* Faults that started by now see the state as it was before this write. */
static void start_faults(struct fuzz__recovery *r, simtime now)
{
  while (r->next < r->faults_nr && r->faults[r->next].at <= now) {
    size_t i = r->next++;
    r->state[i] = r->all_ready ? F_PENDING : F_DISRUPTED;
  }
}

static void on_edge(struct fuzz__recovery *r, simtime now, bool ready)
{
  for (size_t i = r->open_from; i < r->next; i++) {
    const struct fuzz_fault_ref *f = &r->faults[i];

    if (r->state[i] == F_PENDING && !ready)
      r->state[i] = now <= f->at + f->window ? F_DISRUPTED : F_PENDING;
    if (r->state[i] == F_PENDING && now > f->at + f->window)
      sample(r, i, FUZZ_UNDISRUPTED, 0);
    else if (r->state[i] == F_DISRUPTED && ready)
      sample(r, i, FUZZ_RECOVERED, now - f->at);
  }
  while (r->open_from < r->next && r->state[r->open_from] == F_DONE)
    r->open_from++;
}

static struct rset *set_of(struct fuzz__recovery *r, const struct object *o,
                           int32_t *ord)
{
  const char *name = o->meta.name;

  for (size_t i = 0; i < r->sets_nr; i++) {
    struct rset *s = &r->sets[i];
    const char *p = name + s->name_len;
    if (strncmp(name, s->name, s->name_len) || *p != '-' ||
        strcmp(o->meta.namespace_, s->ns))
      continue;
    if (!p[1] || (p[1] == '0' && p[2]))
      continue;
    int64_t v = 0;
    for (p++; *p >= '0' && *p <= '9' && v <= INT32_MAX / 10; p++)
      v = v * 10 + (*p - '0');
    if (*p || v > INT32_MAX)
      continue; /* "web-1-0" may belong to a set named "web-1" */
    *ord = (int32_t)v;
    return s;
  }
  return NULL;
}

static void recount(struct rset *s)
{
  s->ready_in_range = 0;
  for (int32_t i = 0; i < s->replicas && (size_t)i < s->ready.nr; i++)
    s->ready_in_range += s->ready.v[i];
}

static void on_write(enum watch_type t, const struct object *old,
                     const struct object *now, void *ctx)
{
  struct fuzz__recovery *r = ctx;
  const struct object *o = now ? now : old;
  simtime at = engine_now(api_engine(r->api));

  if (o->kind == KIND_STATEFULSET) {
    for (size_t i = 0; i < r->sets_nr; i++) {
      struct rset *s = &r->sets[i];
      if (strcmp(s->name, o->meta.name) || strcmp(s->ns, o->meta.namespace_))
        continue;
      start_faults(r, at);
      s->exists = t != WATCH_DELETED;
      s->replicas = o->u.sts.spec.replicas;
      s->start = o->u.sts.spec.has_ordinals ? o->u.sts.spec.ordinals_start : 0;
      recount(s);
    }
  } else if (o->kind == KIND_POD) {
    int32_t ord;
    struct rset *s = set_of(r, o, &ord);
    if (!s || ord < s->start)
      return;
    start_faults(r, at);
    size_t k = (size_t)(ord - s->start);
    bool ready = t != WATCH_DELETED && !meta_is_deleting(&now->meta) &&
                 now->u.pod.status.ready.status == COND_TRUE;
    VEC_GROW(&s->ready, k + 1);
    while (s->ready.nr <= k)
      s->ready.v[s->ready.nr++] = 0;
    if (s->ready.v[k] != ready) {
      s->ready.v[k] = ready;
      if ((int32_t)k < s->replicas)
        s->ready_in_range += ready ? 1 : -1;
    }
  } else {
    return;
  }
  bool all = compute_all_ready(r);
  if (all != r->all_ready) {
    r->all_ready = all;
    on_edge(r, at, all);
  }
}

struct fuzz__recovery *fuzz__recovery_new(const struct fuzz_profile *p,
                                          const struct fuzz_schedule *sc,
                                          struct api *api)
{
  struct fuzz__recovery *r = xcalloc(1, sizeof(*r));

  r->api = api;
  r->sets = xcalloc(p->sets_nr ? p->sets_nr : 1, sizeof(*r->sets));
  r->sets_nr = p->sets_nr;
  for (size_t i = 0; i < p->sets_nr; i++) {
    r->sets[i].ns = p->sets[i].ns;
    r->sets[i].name = p->sets[i].name;
    r->sets[i].name_len = strlen(p->sets[i].name);
  }
  r->all_ready = true;
  r->faults = sc->faults.v;
  r->faults_nr = sc->faults.nr;
  r->state = xcalloc(r->faults_nr ? r->faults_nr : 1, sizeof(*r->state));
  api_add_write_hook(api, on_write, r);
  return r;
}

void fuzz__recovery_finish(struct fuzz__recovery *r, simtime end,
                           struct fuzz_outcome *out)
{
  start_faults(r, end);
  for (size_t i = r->open_from; i < r->next; i++) {
    if (r->state[i] == F_PENDING)
      sample(r, i, FUZZ_UNDISRUPTED, 0);
    else if (r->state[i] == F_DISRUPTED)
      sample(r, i, FUZZ_NOT_RECOVERED, 0);
  }
  r->open_from = r->next;
  for (size_t i = 0; i < r->samples.nr; i++)
    VEC_PUSH(&out->samples, r->samples.v[i]);
}

void fuzz__recovery_free(struct fuzz__recovery *r)
{
  if (!r)
    return;
  for (size_t i = 0; i < r->sets_nr; i++)
    free(r->sets[i].ready.v);
  free(r->sets);
  free(r->state);
  free(r->samples.v);
  free(r);
}
