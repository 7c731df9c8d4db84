/*
 * profile.c - the fault kinds fuzz can generate and how a scenario's
 * `fuzz` section (interface.md section 2) becomes a profile: mean
 * intervals, parameter ranges with defaults, the targets (StatefulSets,
 * nodes, images) taken from the scenario, and the kinds this build cannot
 * carry out yet, which are skipped rather than refused so a profile can be
 * written once and grow as the world learns new actions.
 *
 * Kinds that break Kubernetes' own guarantees (a force delete, the
 * out-of-service taint on a node that may still run, deleting a claim or
 * the whole set) are never in the built-in profile; a profile must list
 * them (and for delete-pod ask for force: 0..1 or 1).
 */
#include <string.h>

#include "fuzz_int.h"
#include "world.h"

#define B(id) (1u << (id))

/* One row per kind fuzz generates; the built-in profile is the rows with
 * a rate, a fault about every 8 minutes when every action is supported. */
static const struct fuzz__kind_info kinds[] = {
    {ACTION_CRASH_NODE, SIM_MIN(60), B(FP_DOWN_FOR), ACTION_RESTART_NODE, true},
    {ACTION_PARTITION_NODE, SIM_MIN(60), B(FP_DOWN_FOR), ACTION_HEAL_NODE,
     true},
    {ACTION_SHUTDOWN_NODE, SIM_MIN(240), B(FP_DOWN_FOR), ACTION_RESTART_NODE,
     true},
    {ACTION_DELETE_NODE, SIM_MIN(480), B(FP_DOWN_FOR), ACTION_ADD_NODE, true},
    {ACTION_ADD_NODE, 0, 0, -1, false},
    {ACTION_CORDON_NODE, 0, B(FP_DOWN_FOR), ACTION_UNCORDON_NODE, false},
    {ACTION_DRAIN_NODE, SIM_MIN(240), B(FP_DOWN_FOR), ACTION_UNCORDON_NODE,
     true},
    {ACTION_TAINT_NODE, 0, 0, ACTION_UNTAINT_NODE, true},
    {ACTION_DELETE_POD, SIM_MIN(40), B(FP_FORCE) | B(FP_GRACE), -1, true},
    {ACTION_FAIL_READINESS, SIM_MIN(60), B(FP_DOWN_FOR),
     ACTION_RESTORE_READINESS, true},
    {ACTION_SCALE, SIM_MIN(120), B(FP_REPLICAS), -1, true},
    {ACTION_SET_IMAGE, SIM_MIN(120), B(FP_BROKEN), -1, true},
    {ACTION_API_ERRORS, SIM_MIN(120), B(FP_DURATION) | B(FP_PERCENT), -1, true},
    {ACTION_WATCH_DELAY, SIM_MIN(120),
     B(FP_DURATION) | B(FP_DELAY) | B(FP_CONTROLLER), -1, true},
    {ACTION_RESTART_CONTROLLER, SIM_MIN(240), 0, -1, true},
    {ACTION_DELETE_PVC, 0, 0, -1, true},
    {ACTION_DELETE_STATEFULSET, 0, 0, -1, false},
    /* a claim handed to another controller for downFor (gen.c) */
    {ACTION_PATCH, 0, B(FP_DOWN_FOR), -1, false},
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *const param_names[FP_COUNT] = {
    [FP_DOWN_FOR] = "downFor",      [FP_DURATION] = "duration",
    [FP_DELAY] = "delay",           [FP_REPLICAS] = "replicas",
    [FP_FORCE] = "force",           [FP_GRACE] = "gracePeriod",
    [FP_PERCENT] = "percent",       [FP_BROKEN] = "broken",
    [FP_CONTROLLER] = "controller",
};

const struct fuzz__kind_info *fuzz__kind_info(enum action_kind k)
{
  for (size_t i = 0; i < NKINDS; i++)
    if (kinds[i].kind == k)
      return &kinds[i];
  return NULL;
}

const char *fuzz_param_name(enum fuzz_param_id id)
{
  return (unsigned)id < FP_COUNT ? param_names[id] : NULL;
}

bool fuzz__param_is_duration(enum fuzz_param_id id)
{
  return id == FP_DOWN_FOR || id == FP_DURATION || id == FP_DELAY;
}

static struct fuzz_range range(int64_t lo, int64_t hi)
{
  return (struct fuzz_range){.set = true, .lo = lo, .hi = hi};
}

struct fuzz_range fuzz__param(const struct fuzz_kind *k, enum fuzz_param_id id)
{
  if (k->p[id].set)
    return k->p[id];
  switch (id) {
  case FP_DOWN_FOR:
    switch (k->kind) {
    case ACTION_PARTITION_NODE:
      return range(SIM_SEC(30), SIM_MIN(10));
    case ACTION_DELETE_NODE:
      return range(SIM_MIN(1), SIM_MIN(10)); /* a replacement joins */
    case ACTION_CORDON_NODE:
    case ACTION_DRAIN_NODE:
      return range(SIM_MIN(5), SIM_MIN(30));
    case ACTION_FAIL_READINESS:
      return range(SIM_SEC(10), SIM_MIN(5));
    default:
      return range(SIM_MIN(1), SIM_MIN(30));
    }
  case FP_DURATION:
    return k->kind == ACTION_WATCH_DELAY ? range(SIM_MIN(1), SIM_MIN(10))
                                         : range(SIM_SEC(10), SIM_MIN(2));
  case FP_DELAY:
    return range(SIM_SEC(1), SIM_SEC(30));
  case FP_FORCE:
    return range(0, 0); /* a force delete only when the profile asks */
  case FP_PERCENT:
    return range(20, 100);
  case FP_BROKEN:
    return range(0, 1);
  case FP_CONTROLLER:
    /* The properties judge ordering on the ground truth, and a controller
     * acting on a stale cache breaks that as upstream does (B17): lag it
     * only when the profile asks. */
    return range(0, 0);
  case FP_REPLICAS: /* per set: 1 .. its replicas + 2 (gen.c) */
  case FP_GRACE:    /* the pod's own grace period */
  default:
    return (struct fuzz_range){0};
  }
}

/* --- the scenario's targets ----------------------------------------------- */

static void collect_sets(struct fuzz_profile *p)
{
  const struct scenario *s = p->s;
  struct fuzz_set *v;
  size_t nr = 0;

  for (size_t i = 0; i < s->objects_nr; i++)
    nr += s->objects[i].obj.kind == KIND_STATEFULSET;
  v = arena_calloc(&p->arena, nr ? nr : 1, sizeof(*v));
  nr = 0;
  for (size_t i = 0; i < s->objects_nr; i++) {
    const struct object *o = &s->objects[i].obj;
    const struct statefulset_spec *sp = &o->u.sts.spec;
    struct fuzz_set *fs;
    const char **claims;

    if (o->kind != KIND_STATEFULSET)
      continue;
    fs = &v[nr++];
    fs->ns = o->meta.namespace_ && *o->meta.namespace_ ? o->meta.namespace_
                                                       : "default";
    fs->name = o->meta.name;
    fs->replicas = sp->replicas < 0 ? 1 : sp->replicas;
    fs->start = sp->has_ordinals ? sp->ordinals_start : 0;
    fs->image = sp->template_.spec.containers_nr
                    ? sp->template_.spec.containers[0].image
                    : NULL;
    claims = arena_calloc(&p->arena, sp->volume_claim_templates_nr + 1,
                          sizeof(*claims));
    for (size_t k = 0; k < sp->volume_claim_templates_nr; k++)
      claims[k] = sp->volume_claim_templates[k].name;
    fs->claims = claims;
    fs->claims_nr = sp->volume_claim_templates_nr;
  }
  p->sets = v;
  p->sets_nr = nr;
}

static void collect_nodes(struct fuzz_profile *p)
{
  const struct scenario *s = p->s;
  struct fuzz_node *v;
  size_t nr = s->nodes_nr;

  if (!nr)
    for (size_t i = 0; i < s->objects_nr; i++)
      nr += s->objects[i].obj.kind == KIND_NODE;
  v = arena_calloc(&p->arena, nr ? nr : 1, sizeof(*v));
  if (s->nodes_nr) {
    for (size_t i = 0; i < s->nodes_nr; i++)
      v[i] = (struct fuzz_node){s->nodes[i].name, s->nodes[i].zone};
  } else {
    nr = 0;
    for (size_t i = 0; i < s->objects_nr; i++) {
      const struct object *o = &s->objects[i].obj;
      if (o->kind == KIND_NODE)
        v[nr++] = (struct fuzz_node){
            o->meta.name,
            kv_get(&o->meta.labels, "topology.kubernetes.io/zone")};
    }
  }
  p->nodes = v;
  p->nodes_nr = nr;
}

static void collect_images(struct fuzz_profile *p)
{
  const struct scenario *s = p->s;
  const char **good = arena_calloc(&p->arena, s->images_nr + 1, sizeof(*good));
  const char **bad = arena_calloc(&p->arena, s->images_nr + 1, sizeof(*bad));

  for (size_t i = 0; i < s->images_nr; i++) {
    const struct image_decl *im = &s->images[i];
    if (im->crashes || im->never_ready)
      bad[p->broken_images_nr++] = im->image;
    else
      good[p->good_images_nr++] = im->image;
  }
  p->good_images = good;
  p->broken_images = bad;
}

/* --- the fuzz section ----------------------------------------------------- */

static void add_kind(struct fuzz_profile *p, const struct fuzz_kind *k)
{
  if (world_action_supported(k->kind) &&
      (fuzz__kind_info(k->kind)->undo < 0 ||
       world_action_supported(
           (enum action_kind)fuzz__kind_info(k->kind)->undo)))
    p->kinds[p->kinds_nr++] = *k;
  else
    p->skipped[p->skipped_nr++] = k->kind;
}

static int param_error(const struct fuzz_fault *f, const struct fuzz_param *fp,
                       const char *why, struct diag *d)
{
  const struct fuzz__kind_info *ki = fuzz__kind_info(f->kind);
  char takes[160] = "";
  size_t used = 0;

  for (int i = 0; ki && i < FP_COUNT; i++)
    if (ki->params & B(i))
      used += (size_t)snprintf(takes + used, sizeof(takes) - used, "%s%s",
                               used ? ", " : "", param_names[i]);
  return diagf(d, fp->pos.file, fp->pos.line, fp->pos.col, SIM_ESCHEMA,
               "spec.fuzz.faults.%s.%s: %s (%s takes %s)", action_name(f->kind),
               fp->name, why, action_name(f->kind),
               used ? takes : "no parameters but 'every'");
}

static int decode_fault(struct fuzz_profile *p, const struct fuzz_fault *f,
                        struct diag *d)
{
  const struct fuzz__kind_info *ki = fuzz__kind_info(f->kind);
  struct fuzz_kind k = {.kind = f->kind, .every = f->every};

  if (!ki)
    return diagf(d, f->pos.file, f->pos.line, f->pos.col, SIM_ESCHEMA,
                 "spec.fuzz.faults.%s: not a fault fuzz generates (undo "
                 "actions follow their fault's downFor; apply and patch "
                 "need an object)",
                 action_name(f->kind));
  for (size_t i = 0; i < f->params_nr; i++) {
    const struct fuzz_param *fp = &f->params[i];
    int id = -1;

    for (int j = 0; j < FP_COUNT; j++)
      if (!strcmp(param_names[j], fp->name))
        id = j;
    if (id < 0 || !(ki->params & B(id)))
      return param_error(f, fp, "unknown parameter", d);
    if (fp->is_duration != fuzz__param_is_duration((enum fuzz_param_id)id))
      return param_error(f, fp,
                         fp->is_duration
                             ? "expected a count range such as 0..6"
                             : "expected a duration range such as 1m..30m",
                         d);
    int64_t max = id == FP_PERCENT ? 100
                  : id == FP_FORCE || id == FP_BROKEN || id == FP_CONTROLLER ? 1
                  : id == FP_REPLICAS || id == FP_GRACE ? INT32_MAX
                                                        : INT64_MAX;
    if (fp->hi > max) {
      char why[64];
      snprintf(why, sizeof(why), "must be at most %lld", (long long)max);
      return param_error(f, fp, why, d);
    }
    k.p[id] = range(fp->lo, fp->hi);
  }
  add_kind(p, &k);
  return 0;
}

static int check_actions(const struct scenario *s, struct diag *d)
{
  for (size_t i = 0; i < s->actions_nr; i++) {
    const struct action *a = &s->actions[i];
    if (!fuzz__action_writable(a->kind))
      return diagf(d, a->pos.file, a->pos.line, a->pos.col, SIM_EUNSUPPORTED,
                   "spec.actions[%zu]: fuzz cannot write a '%s' action to a "
                   "failure file yet (put the object in a manifest)",
                   i, action_name(a->kind));
    if (!world_action_supported(a->kind))
      return diagf(d, a->pos.file, a->pos.line, a->pos.col, SIM_EUNSUPPORTED,
                   "spec.actions[%zu]: action '%s' is not supported yet", i,
                   action_name(a->kind));
  }
  return 0;
}

int fuzz_profile_init(struct fuzz_profile *p, const struct scenario *s,
                      struct diag *d)
{
  int rc;

  memset(p, 0, sizeof(*p));
  p->s = s;
  arena_init(&p->arena, 16 * 1024);
  p->until = s->fuzz.until != SIMTIME_NEVER ? s->fuzz.until
             : s->until != SIMTIME_NEVER    ? s->until
                                            : SIM_MIN(120);
  p->runs = s->fuzz.runs ? s->fuzz.runs : 1000;
  rc = check_actions(s, d);
  if (rc)
    goto fail;
  collect_sets(p);
  collect_nodes(p);
  collect_images(p);
  rc = fuzz__vary_check(p, d);
  if (rc)
    goto fail;
  if (!s->fuzz.faults_nr) {
    p->builtin = true;
    for (size_t i = 0; i < NKINDS; i++)
      if (kinds[i].builtin_every)
        add_kind(p, &(struct fuzz_kind){.kind = kinds[i].kind,
                                        .every = kinds[i].builtin_every});
    return 0;
  }
  for (size_t i = 0; i < s->fuzz.faults_nr; i++) {
    rc = decode_fault(p, &s->fuzz.faults[i], d);
    if (rc)
      goto fail;
  }
  return 0;
fail:
  fuzz_profile_release(p);
  return rc;
}

void fuzz_profile_release(struct fuzz_profile *p)
{
  arena_release(&p->arena);
  memset(p, 0, sizeof(*p));
}

static void print_range(FILE *f, enum fuzz_param_id id, struct fuzz_range r)
{
  if (fuzz__param_is_duration(id)) {
    char lo[32], hi[32];
    sim_format_duration(r.lo, lo, sizeof(lo));
    sim_format_duration(r.hi, hi, sizeof(hi));
    fprintf(f, " %s %s..%s", param_names[id], lo, hi);
  } else {
    fprintf(f, " %s %lld..%lld", param_names[id], (long long)r.lo,
            (long long)r.hi);
  }
}

void fuzz_profile_describe(const struct fuzz_profile *p, FILE *f)
{
  char every[32];

  fprintf(f, "fault profile (%s):\n",
          p->builtin ? "built-in: the scenario lists no faults"
                     : "spec.fuzz.faults");
  for (size_t i = 0; i < p->kinds_nr; i++) {
    const struct fuzz_kind *k = &p->kinds[i];
    const struct fuzz__kind_info *ki = fuzz__kind_info(k->kind);

    sim_format_duration(k->every, every, sizeof(every));
    fprintf(f, "  %-20s every %s", action_name(k->kind), every);
    for (int id = 0; id < FP_COUNT; id++) {
      struct fuzz_range r = fuzz__param(k, (enum fuzz_param_id)id);
      if ((ki->params & B(id)) && r.set)
        print_range(f, (enum fuzz_param_id)id, r);
    }
    if (k->kind == ACTION_SCALE && !k->p[FP_REPLICAS].set)
      fprintf(f, " replicas 1..(initial + 2)");
    fputc('\n', f);
  }
  for (size_t i = 0; i < p->skipped_nr; i++)
    fprintf(f, "  %-20s skipped: not supported by this build yet\n",
            action_name(p->skipped[i]));
  fuzz__vary_describe(p, f);
}
