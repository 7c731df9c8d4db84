/*
 * gen.c - one run's fault schedule from its seed. Every kind of the
 * profile is a Poisson process (exponential gaps with the kind's mean),
 * drawn from the run's own stream (RNG_FUZZ); arrivals are then carried
 * out in time order against a small model of the cluster, so targets make
 * sense when the action runs: a node that is already down is not crashed
 * again, a restart follows its crash after downFor, a deleted node's
 * replacement joins under a new name, pods are chosen among the ordinals
 * the set has after the generated scale changes. An arrival with no
 * sensible target is dropped (the draws stay the same).
 *
 * Times are whole milliseconds, so a failure file's durations read well
 * and load back to the same microseconds.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz_int.h"
#include "rng.h"
#include "world.h"

/* Within this long after it (plus its own duration) a fault may still
 * show: a node is marked NotReady 40-50 s after its last heartbeat. */
#define SHOW_WINDOW SIM_MIN(2)

uint64_t fuzz_run_seed(uint64_t master, uint64_t index)
{
  return sim_splitmix64(sim_splitmix64(master) ^
                        sim_splitmix64(index ^ UINT64_C(0x66757a7a)));
}

void fuzz_schedule_init(struct fuzz_schedule *sc)
{
  memset(sc, 0, sizeof(*sc));
  sc->rng = rng_stream_new(0, RNG_FUZZ, 0);
  arena_init(&sc->arena, 4096);
}

void fuzz_schedule_release(struct fuzz_schedule *sc)
{
  rng_free(sc->rng);
  arena_release(&sc->arena);
  free(sc->actions.v);
  free(sc->faults.v);
  memset(sc, 0, sizeof(*sc));
}

/* --- the model ------------------------------------------------------------ */

/* Node i's zone in this run (spec.fuzz.vary.zones may move it). */
static const char *run_zone(const struct fuzz_schedule *sc,
                            const struct fuzz_profile *p, size_t i)
{
  if (sc->run.nodes_nr == p->nodes_nr && sc->run.nodes)
    return sc->run.nodes[i].zone;
  return p->nodes[i].zone;
}

struct gnode {
  const char *name, *zone;
  simtime from;          /* joined the cluster (0 for the first nodes) */
  simtime down_until;    /* crashed, shut down or partitioned until then */
  simtime cordon_until;  /* cordoned or drained until then */
  simtime tainted_until; /* out-of-service taint until then */
  bool gone;             /* deleted */
};

struct gen {
  const struct fuzz_profile *p;
  struct fuzz_schedule *sc;
  gsl_rng *r;
  VEC(struct gnode) nodes;
  VEC(struct action) out; /* generated, unsorted */
  int32_t *replicas;      /* per set, after the scale changes so far */
  unsigned next_node;     /* suffix of the next node-N */
  unsigned next_tag;      /* suffix of the next good image tag */
};

struct arrival {
  simtime at;
  size_t kind; /* index into p->kinds */
};

static simtime ms_round(simtime t)
{
  return t / 1000 * 1000;
}

/* A value of range r, in whole milliseconds for durations. */
static int64_t draw(struct gen *g, enum fuzz_param_id id, struct fuzz_range r)
{
  if (!fuzz__param_is_duration(id))
    return rng_range(g->r, r.lo, r.hi);
  int64_t v = rng_range(g->r, r.lo / 1000, r.hi / 1000) * 1000;
  return v < r.lo ? r.lo : v > r.hi ? r.hi : v;
}

static struct action base_action(enum action_kind k, simtime at)
{
  return (struct action){
      .pos = {"(fuzz)", 0, 0},
      .kind = k,
      .at = at,
      .grace_period = -1,
  };
}

static void emit(struct gen *g, struct action a)
{
  VEC_PUSH(&g->out, a);
}

static void fault(struct gen *g, simtime at, simtime own, enum action_kind k)
{
  VEC_PUSH(&g->sc->faults, ((struct fuzz_fault_ref){
                               .at = at,
                               .window = own + SHOW_WINDOW,
                               .kind = k,
                           }));
}

/* An eligible node at time t, uniformly, or -1. */
static long pick_node(struct gen *g, simtime t, bool for_taint)
{
  size_t n = 0;
  long pick;

  for (size_t i = 0; i < g->nodes.nr; i++) {
    const struct gnode *x = &g->nodes.v[i];
    bool ok = !x->gone && x->from <= t &&
              (for_taint ? x->down_until > t && x->tainted_until <= t
                         : x->down_until <= t);
    n += ok;
  }
  if (!n)
    return -1;
  pick = (long)rng_range(g->r, 0, (int64_t)n - 1);
  for (size_t i = 0; i < g->nodes.nr; i++) {
    const struct gnode *x = &g->nodes.v[i];
    bool ok = !x->gone && x->from <= t &&
              (for_taint ? x->down_until > t && x->tainted_until <= t
                         : x->down_until <= t);
    if (ok && !pick--)
      return (long)i;
  }
  return -1;
}

static const char *new_node_name(struct gen *g)
{
  for (;;) {
    const char *name = arena_printf(&g->sc->arena, "node-%u", ++g->next_node);
    bool taken = false;
    for (size_t i = 0; i < g->nodes.nr && !taken; i++)
      taken = !strcmp(g->nodes.v[i].name, name);
    if (!taken)
      return name;
  }
}

static void add_node(struct gen *g, simtime at, const char *zone)
{
  struct action a = base_action(ACTION_ADD_NODE, at);
  struct gnode n = {.name = new_node_name(g), .zone = zone, .from = at};

  a.node = n.name;
  a.zone = zone;
  VEC_PUSH(&g->nodes, n);
  emit(g, a);
}

/* A pod name of a set, uniformly among its current ordinals, or NULL. */
static const char *pick_pod(struct gen *g, size_t *set_out)
{
  const struct fuzz_profile *p = g->p;

  if (!p->sets_nr)
    return NULL;
  size_t si = (size_t)rng_range(g->r, 0, (int64_t)p->sets_nr - 1);
  int32_t n = g->replicas[si];
  int64_t ord = n > 0 ? rng_range(g->r, 0, n - 1) : -1;
  if (set_out)
    *set_out = si;
  if (ord < 0)
    return NULL;
  return arena_printf(&g->sc->arena, "%s-%lld", p->sets[si].name,
                      (long long)(p->sets[si].start + ord));
}

/* "registry.example/db:1" -> "registry.example/db". */
static const char *image_repo(struct arena *a, const char *image)
{
  const char *slash = strrchr(image, '/');
  const char *colon = strrchr(slash ? slash : image, ':');
  const char *at = strchr(image, '@');

  if (at)
    return arena_strndup(a, image, (size_t)(at - image));
  return colon ? arena_strndup(a, image, (size_t)(colon - image))
               : arena_strdup(a, image);
}

static const char *pick_image(struct gen *g, const struct fuzz_kind *k,
                              const struct fuzz_set *set)
{
  const struct fuzz_profile *p = g->p;
  bool broken = draw(g, FP_BROKEN, fuzz__param(k, FP_BROKEN)) == 1;

  if (broken && p->broken_images_nr)
    return p
        ->broken_images[rng_range(g->r, 0, (int64_t)p->broken_images_nr - 1)];
  /* good: the set's first image, a declared good one, or a fresh tag */
  int64_t c = rng_range(g->r, 0, (int64_t)p->good_images_nr + 1);
  if (c == 0 && set->image)
    return set->image;
  if (c >= 1 && (size_t)c <= p->good_images_nr)
    return p->good_images[c - 1];
  return arena_printf(&g->sc->arena, "%s:fuzz-%u",
                      image_repo(&g->sc->arena, set->image ? set->image
                                                           : "registry.example/"
                                                             "app"),
                      ++g->next_tag);
}

/*
 * Components whose caches a watch-delay lags. Not the EndpointSlice
 * controller: while its cache lags, DNS keeps serving a pod's old address
 * - real Kubernetes promises nothing else, so identity.stable-network
 * (which allows dnsTTL after the endpoints catch up) would fail for a
 * reason that is no bug.
 */
static const char *const delayed_components[] = {
    "kubelet",
    "default-scheduler",
    "persistentvolume-controller",
    "garbage-collector",
};

static const char *const api_errors[] = {"conflict", "unavailable", "timeout",
                                         "timeout-applied"};

/* Carries out one arrival of kind k at time t against the model. */
static void arrive(struct gen *g, const struct fuzz_kind *k, simtime t)
{
  const struct fuzz_profile *p = g->p;
  const struct fuzz__kind_info *ki = fuzz__kind_info(k->kind);
  simtime until = p->until;
  struct action a = base_action(k->kind, t);
  long ni;

  switch (k->kind) {
  case ACTION_CRASH_NODE:
  case ACTION_PARTITION_NODE:
  case ACTION_SHUTDOWN_NODE:
  case ACTION_DELETE_NODE:
  case ACTION_DRAIN_NODE:
  case ACTION_CORDON_NODE: {
    bool cordon = k->kind == ACTION_DRAIN_NODE || k->kind == ACTION_CORDON_NODE;
    simtime down = draw(g, FP_DOWN_FOR, fuzz__param(k, FP_DOWN_FOR));

    ni = pick_node(g, t, false);
    if (ni >= 0 && cordon && g->nodes.v[ni].cordon_until > t)
      ni = -1; /* already cordoned: nothing to do */
    if (ni < 0)
      return;
    struct gnode *n = &g->nodes.v[ni];
    a.node = n->name;
    emit(g, a);
    fault(g, t, down, k->kind);
    if (k->kind == ACTION_DELETE_NODE) {
      n->gone = true;
      if (t + down < until)
        add_node(g, t + down, n->zone);
      return;
    }
    if (cordon)
      n->cordon_until = t + down;
    else
      n->down_until = t + down;
    if (t + down < until) {
      struct action u = base_action((enum action_kind)ki->undo, t + down);
      u.node = n->name;
      emit(g, u);
    }
    return;
  }
  case ACTION_TAINT_NODE: {
    ni = pick_node(g, t, true);
    if (ni < 0)
      return;
    struct gnode *n = &g->nodes.v[ni];
    a.node = n->name;
    a.taint = (struct taint){.key = "node.kubernetes.io/out-of-service",
                             .value = "nodeshutdown",
                             .effect = TAINT_NO_EXECUTE,
                             .time_added = SIMTIME_NEVER};
    emit(g, a);
    n->tainted_until = n->down_until;
    fault(g, t, n->down_until - t, k->kind);
    if (n->down_until < until) {
      struct action u = a;
      u.kind = ACTION_UNTAINT_NODE;
      u.at = n->down_until;
      emit(g, u);
    }
    return;
  }
  case ACTION_ADD_NODE: {
    const char *zone =
        p->nodes_nr ? run_zone(g->sc, p, g->nodes.nr % p->nodes_nr) : NULL;
    add_node(g, t, zone);
    return;
  }
  case ACTION_DELETE_POD:
    a.pod = pick_pod(g, NULL);
    if (!a.pod)
      return;
    a.force = draw(g, FP_FORCE, fuzz__param(k, FP_FORCE)) == 1;
    if (k->p[FP_GRACE].set)
      a.grace_period = draw(g, FP_GRACE, k->p[FP_GRACE]);
    emit(g, a);
    fault(g, t, 0, k->kind);
    return;
  case ACTION_FAIL_READINESS: {
    simtime down = draw(g, FP_DOWN_FOR, fuzz__param(k, FP_DOWN_FOR));

    a.pod = pick_pod(g, NULL);
    if (!a.pod)
      return;
    emit(g, a);
    fault(g, t, down, k->kind);
    if (t + down < until) {
      struct action u = a;
      u.kind = ACTION_RESTORE_READINESS;
      u.at = t + down;
      emit(g, u);
    }
    return;
  }
  case ACTION_SCALE: {
    if (!p->sets_nr)
      return;
    size_t si = (size_t)rng_range(g->r, 0, (int64_t)p->sets_nr - 1);
    struct fuzz_range r =
        k->p[FP_REPLICAS].set
            ? k->p[FP_REPLICAS]
            : (struct fuzz_range){
                  .set = true, .lo = 1, .hi = p->sets[si].replicas + 2};
    a.statefulset = p->sets[si].name;
    a.replicas = (int32_t)draw(g, FP_REPLICAS, r);
    g->replicas[si] = a.replicas;
    emit(g, a);
    fault(g, t, 0, k->kind);
    return;
  }
  case ACTION_SET_IMAGE: {
    if (!p->sets_nr)
      return;
    size_t si = (size_t)rng_range(g->r, 0, (int64_t)p->sets_nr - 1);
    a.statefulset = p->sets[si].name;
    a.image = pick_image(g, k, &p->sets[si]);
    emit(g, a);
    fault(g, t, 0, k->kind);
    return;
  }
  case ACTION_API_ERRORS:
    a.duration = draw(g, FP_DURATION, fuzz__param(k, FP_DURATION));
    a.fraction = (double)draw(g, FP_PERCENT, fuzz__param(k, FP_PERCENT)) / 100;
    a.error = api_errors[rng_range(g->r, 0, 3)];
    emit(g, a);
    fault(g, t, a.duration, k->kind);
    return;
  case ACTION_WATCH_DELAY: {
    size_t n = sizeof(delayed_components) / sizeof(delayed_components[0]);
    a.duration = draw(g, FP_DURATION, fuzz__param(k, FP_DURATION));
    a.delay = draw(g, FP_DELAY, fuzz__param(k, FP_DELAY));
    /* The StatefulSet controller when the profile asks (controller: 1,
     * or 0..1 for half the time): its stale caches are where the
     * interesting bugs live (reference section 9, B17). */
    int64_t which = rng_range(g->r, 0, (int64_t)n - 1);
    a.component = draw(g, FP_CONTROLLER, fuzz__param(k, FP_CONTROLLER))
                      ? "statefulset-controller"
                      : delayed_components[which];
    emit(g, a);
    fault(g, t, a.duration, k->kind);
    return;
  }
  case ACTION_RESTART_CONTROLLER:
    a.component = "statefulset-controller";
    emit(g, a);
    fault(g, t, 0, k->kind);
    return;
  case ACTION_DELETE_PVC: {
    size_t si;
    if (!pick_pod(g, &si) || !p->sets[si].claims_nr)
      return;
    int64_t ord = rng_range(g->r, 0, g->replicas[si] - 1);
    int64_t c = rng_range(g->r, 0, (int64_t)p->sets[si].claims_nr - 1);
    a.pvc =
        arena_printf(&g->sc->arena, "%s-%s-%lld", p->sets[si].claims[c],
                     p->sets[si].name, (long long)(p->sets[si].start + ord));
    emit(g, a);
    fault(g, t, 0, k->kind);
    return;
  }
  case ACTION_PATCH: {
    /*
     * Another controller takes a claim over, as e2e row 24 of the
     * reference's section 11 does by hand: a ConfigMap controller
     * ownerReference replaces the claim's owners. After downFor it lets
     * go (ownerReferences: []), and the set puts its retention refs back
     * at its next pass over the pod. The retention policy must leave the
     * claim alone meanwhile (5.5, B9).
     */
    size_t si;
    simtime down = draw(g, FP_DOWN_FOR, fuzz__param(k, FP_DOWN_FOR));
    if (!pick_pod(g, &si) || !p->sets[si].claims_nr)
      return;
    int64_t ord = rng_range(g->r, 0, g->replicas[si] - 1);
    int64_t c = rng_range(g->r, 0, (int64_t)p->sets[si].claims_nr - 1);
    const char *claim =
        arena_printf(&g->sc->arena, "%s-%s-%lld", p->sets[si].claims[c],
                     p->sets[si].name, (long long)(p->sets[si].start + ord));
    struct patch_owner_ref *r = arena_calloc(&g->sc->arena, 1, sizeof(*r));
    *r = (struct patch_owner_ref){
        .api_version = "v1",
        .kind = "ConfigMap",
        .name = arena_printf(&g->sc->arena, "%s-keeper", claim),
        .controller = true};
    a.patch_kind = KIND_PVC;
    a.patch_name = claim;
    a.patch_owner_refs_set = true;
    a.patch_owner_refs = r;
    a.patch_owner_refs_nr = 1;
    emit(g, a);
    fault(g, t, down, k->kind);
    if (t + down < until) {
      struct action u = base_action(ACTION_PATCH, t + down);
      u.patch_kind = KIND_PVC;
      u.patch_name = claim;
      u.patch_owner_refs_set = true;
      emit(g, u);
    }
    return;
  }
  case ACTION_DELETE_STATEFULSET: {
    if (!p->sets_nr)
      return;
    size_t si = (size_t)rng_range(g->r, 0, (int64_t)p->sets_nr - 1);
    a.statefulset = p->sets[si].name;
    emit(g, a);
    return;
  }
  default:
    SIM_BUG("fuzz cannot generate '%s'", action_name(k->kind));
  }
}

/* --- sorting -------------------------------------------------------------- */

static void merge_sort(void *base, size_t nr, size_t size,
                       int (*cmp)(const void *, const void *))
{
  /* Bottom-up merge sort: stable, unlike qsort (house style 8.6). */
  char *v = base, *tmp = xmalloc((nr ? nr : 1) * size);

  for (size_t width = 1; width < nr; width *= 2) {
    for (size_t lo = 0; lo < nr; lo += 2 * width) {
      size_t mid = lo + width < nr ? lo + width : nr;
      size_t hi = lo + 2 * width < nr ? lo + 2 * width : nr;
      size_t i = lo, j = mid, o = lo;

      while (i < mid && j < hi) {
        if (cmp(v + j * size, v + i * size) < 0)
          memcpy(tmp + o++ * size, v + j++ * size, size);
        else
          memcpy(tmp + o++ * size, v + i++ * size, size);
      }
      memcpy(tmp + o * size, v + i * size, (mid - i) * size);
      o += mid - i;
      memcpy(tmp + o * size, v + j * size, (hi - j) * size);
    }
    memcpy(v, tmp, nr * size);
  }
  free(tmp);
}

static int arrival_cmp(const void *pa, const void *pb)
{
  const struct arrival *a = pa, *b = pb;

  if (a->at != b->at)
    return a->at < b->at ? -1 : 1;
  return 0; /* stable: kinds in profile order */
}

static int action_cmp(const void *pa, const void *pb)
{
  const struct action *a = pa, *b = pb;

  if (a->at != b->at)
    return a->at < b->at ? -1 : 1;
  return 0;
}

static int fault_cmp(const void *pa, const void *pb)
{
  const struct fuzz_fault_ref *a = pa, *b = pb;

  if (a->at != b->at)
    return a->at < b->at ? -1 : 1;
  return 0;
}

void fuzz_generate(const struct fuzz_profile *p, uint64_t seed,
                   struct fuzz_schedule *sc)
{
  struct gen g = {.p = p, .sc = sc, .r = sc->rng};
  VEC(struct arrival) arr = {0};
  const struct scenario *s = p->s;

  arena_release(&sc->arena);
  arena_init(&sc->arena, 4096);
  fuzz__vary_draw(p, seed, sc);
  gsl_rng_set(sc->rng, rng_stream_seed(seed, RNG_FUZZ, 0));
  sc->actions.nr = 0;
  sc->faults.nr = 0;

  for (size_t i = 0; i < p->nodes_nr; i++)
    VEC_PUSH(&g.nodes, ((struct gnode){.name = p->nodes[i].name,
                                       .zone = run_zone(sc, p, i)}));
  g.next_node = (unsigned)p->nodes_nr;
  g.replicas = xcalloc(p->sets_nr ? p->sets_nr : 1, sizeof(*g.replicas));
  for (size_t i = 0; i < p->sets_nr; i++)
    g.replicas[i] = p->sets[i].replicas;

  /* Arrivals, kind by kind, so adding a kind does not move the others'. */
  for (size_t k = 0; k < p->kinds_nr; k++) {
    simtime t = 0;
    for (;;) {
      t += rng_exponential(sc->rng, p->kinds[k].every);
      if (ms_round(t) >= p->until)
        break;
      VEC_PUSH(&arr, ((struct arrival){ms_round(t), k}));
    }
  }
  merge_sort(arr.v, arr.nr, sizeof(*arr.v), arrival_cmp);
  for (size_t i = 0; i < arr.nr; i++)
    arrive(&g, &p->kinds[arr.v[i].kind], arr.v[i].at);
  merge_sort(g.out.v, g.out.nr, sizeof(*g.out.v), action_cmp);
  merge_sort(sc->faults.v, sc->faults.nr, sizeof(*sc->faults.v), fault_cmp);

  /* The scenario's own actions first on ties, `when` actions last - as
   * the loader orders a file that lists them in this order. */
  size_t i = 0, j = 0;
  while (i < s->actions_nr || j < g.out.nr) {
    if (j == g.out.nr ||
        (i < s->actions_nr && s->actions[i].at <= g.out.v[j].at))
      VEC_PUSH(&sc->actions, s->actions[i++]);
    else
      VEC_PUSH(&sc->actions, g.out.v[j++]);
  }
  sc->generated = g.out.nr;
  free(arr.v);
  free(g.out.v);
  free(g.nodes.v);
  free(g.replicas);
}
