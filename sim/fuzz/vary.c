/*
 * vary.c - spec.fuzz.vary: each run draws one alternative of every listed
 * key (the Kubernetes version, how many zones the nodes are spread over,
 * and StatefulSet fields such as podManagementPolicy or minReadySeconds)
 * and simulates the scenario so changed. A campaign then covers the
 * configurations where bugs live (reference section 12: B2 needs 1.37
 * and Parallel, B3 minReadySeconds, B5 OnDelete, B8 whenScaled: Delete,
 * B16 a zone with a second node) without one scenario file per
 * combination.
 *
 * The StatefulSet fields go into the run scenario's `variant`, which a
 * failure file writes as spec.variant and the loader applies to every
 * StatefulSet - so the user's manifests are copied unchanged. The
 * version and the zones are written as the cluster they produced.
 */
#include <string.h>

#include "fuzz_int.h"
#include "rng.h"

/* --- checking the profile ------------------------------------------------- */

int fuzz__vary_check(struct fuzz_profile *p, struct diag *d)
{
  const struct scenario *s = p->s;
  const struct fuzz_vary *fv = &s->fuzz.vary;

  /* The distinct zones of the nodes, in node order. */
  const char **zones =
      arena_calloc(&p->arena, s->nodes_nr ? s->nodes_nr : 1, sizeof(*zones));
  for (size_t i = 0; i < s->nodes_nr; i++) {
    const char *z = s->nodes[i].zone;
    bool seen = !z;
    for (size_t k = 0; k < p->zones_nr && !seen; k++)
      seen = !strcmp(zones[k], z);
    if (!seen)
      zones[p->zones_nr++] = z;
  }
  p->zones = zones;

  for (size_t i = 0; i < fv->alts_nr[FV_ZONES]; i++) {
    const struct src_pos *at = &fv->pos[FV_ZONES];
    int32_t n = fv->alts[FV_ZONES][i];

    if (!s->nodes_nr)
      return diagf(d, at->file, at->line, at->col, SIM_ESCHEMA,
                   "spec.fuzz.vary.zones: needs spec.cluster.nodes (the "
                   "cluster here is Node manifests)");
    if ((size_t)n > p->zones_nr)
      return diagf(d, at->file, at->line, at->col, SIM_ESCHEMA,
                   "spec.fuzz.vary.zones: %d zones, but the nodes are in %zu",
                   (int)n, p->zones_nr);
  }
  for (size_t i = 0; i < fv->alts_nr[FV_VERSION]; i++)
    for (size_t g = 0; g < s->feature_gates_nr; g++)
      if (!scenario_gate_known(s->feature_gates[g].name,
                               fv->alts[FV_VERSION][i])) {
        const struct src_pos *at = &fv->pos[FV_VERSION];
        return diagf(d, at->file, at->line, at->col, SIM_ESCHEMA,
                     "spec.fuzz.vary.kubernetesVersion: feature gate '%s' "
                     "does not exist in 1.%d",
                     s->feature_gates[g].name, (int)fv->alts[FV_VERSION][i]);
      } else if (!s->feature_gates[g].enabled &&
                 scenario_gate_locked(s->feature_gates[g].name,
                                      fv->alts[FV_VERSION][i])) {
        const struct src_pos *at = &fv->pos[FV_VERSION];
        return diagf(d, at->file, at->line, at->col, SIM_ESCHEMA,
                     "spec.fuzz.vary.kubernetesVersion: feature gate '%s' "
                     "is locked to true in 1.%d (GA); it cannot be set to "
                     "false there",
                     s->feature_gates[g].name, (int)fv->alts[FV_VERSION][i]);
      }
  return 0;
}

/* --- one run's variant ---------------------------------------------------- */

/* Timings: the new version's defaults, with what the scenario set (even
 * to the value its own version has by default). */
static void retime(const struct scenario *s, int minor, struct timings *out)
{
  timings_defaults(out, minor);
  for (int i = 0; i < TIMING_COUNT; i++)
    if (s->timing_set[i])
      out->v[i] = s->timings.v[i];
}

/* The nodes round-robin over the first n zones (labels follow). */
static const struct node_decl *rezone(const struct fuzz_profile *p,
                                      struct arena *a, size_t n)
{
  const struct scenario *s = p->s;
  struct node_decl *v = arena_memdup(a, s->nodes, s->nodes_nr * sizeof(*v));

  for (size_t i = 0; i < s->nodes_nr; i++) {
    const char *zone = p->zones[i % n];
    struct kv *labels;

    if (!v[i].zone || !strcmp(v[i].zone, zone))
      continue;
    v[i].zone = zone;
    labels = arena_memdup(a, v[i].labels.v, v[i].labels.nr * sizeof(*labels));
    for (size_t k = 0; k < v[i].labels.nr; k++)
      if (!strcmp(labels[k].key, "topology.kubernetes.io/zone"))
        labels[k].value = zone;
    v[i].labels.v = labels;
  }
  return v;
}

/* The StatefulSets with the drawn fields; returns the variant applied. */
static struct sts_variant restate(const struct scenario *s, struct arena *a,
                                  const bool *varied, const int32_t *vary,
                                  struct scenario *rs)
{
  struct sts_variant drawn = {0}, all = s->variant;
  bool any = false, on_delete = false;
  struct scenario_object *objs;

  for (int f = 0; f < SV_COUNT; f++)
    if (varied[FV_STS_FIRST + f]) {
      drawn.set[f] = true;
      drawn.v[f] = vary[FV_STS_FIRST + f];
      any = true;
    }
  if (!any)
    return all;
  /* maxUnavailable means nothing to an OnDelete set: drop it there. */
  for (size_t i = 0; i < s->objects_nr; i++) {
    const struct object *o = &s->objects[i].obj;
    if (o->kind == KIND_STATEFULSET)
      on_delete |= drawn.set[SV_STRATEGY]
                       ? drawn.v[SV_STRATEGY] == UPDATE_ON_DELETE
                       : o->u.sts.spec.update_strategy == UPDATE_ON_DELETE;
  }
  if (on_delete)
    drawn.set[SV_MAX_UNAVAIL] = false;
  objs = arena_memdup(a, s->objects, s->objects_nr * sizeof(*objs));
  for (size_t i = 0; i < s->objects_nr; i++)
    if (objs[i].obj.kind == KIND_STATEFULSET &&
        !sts_variant_apply(&drawn, &objs[i].obj.u.sts.spec))
      SIM_BUG("variant refused for %s", objs[i].obj.meta.name);
  rs->objects = objs;
  for (int f = 0; f < SV_COUNT; f++)
    if (drawn.set[f]) {
      all.set[f] = true;
      all.v[f] = drawn.v[f];
    }
  if (all.set[SV_STRATEGY] && all.v[SV_STRATEGY] == UPDATE_ON_DELETE)
    all.set[SV_MAX_UNAVAIL] = false;
  return all;
}

void fuzz__vary_draw(const struct fuzz_profile *p, uint64_t seed,
                     struct fuzz_schedule *sc)
{
  const struct scenario *s = p->s;
  const struct fuzz_vary *fv = &s->fuzz.vary;
  struct scenario *rs = &sc->run;

  *rs = *s;
  sc->has_run = true;
  memset(sc->varied, 0, sizeof(sc->varied));
  memset(sc->vary, 0, sizeof(sc->vary));
  gsl_rng_set(sc->rng, rng_stream_seed(seed, RNG_FUZZ, 1));
  for (int k = 0; k < FV_COUNT; k++)
    if (fv->alts_nr[k]) {
      sc->varied[k] = true;
      sc->vary[k] =
          fv->alts[k][rng_range(sc->rng, 0, (int64_t)fv->alts_nr[k] - 1)];
    }
  if (sc->varied[FV_VERSION] && sc->vary[FV_VERSION] != s->kubernetes_minor) {
    rs->kubernetes_minor = sc->vary[FV_VERSION];
    retime(s, rs->kubernetes_minor, &rs->timings);
  }
  if (sc->varied[FV_ZONES])
    rs->nodes = rezone(p, &sc->arena, (size_t)sc->vary[FV_ZONES]);
  rs->variant = restate(s, &sc->arena, sc->varied, sc->vary, rs);
}

void fuzz_variant_label(const struct fuzz_schedule *sc, char *buf, size_t len)
{
  size_t n = 0;

  buf[0] = '\0';
  for (int k = 0; k < FV_COUNT && n < len; k++) {
    const char *sep = n ? ", " : "";
    int32_t v = sc->vary[k];
    int w;

    if (!sc->varied[k])
      continue;
    if (k == SV_MAX_UNAVAIL && !sc->run.variant.set[SV_MAX_UNAVAIL])
      continue; /* dropped: the set is OnDelete */
    switch (k) {
    case FV_VERSION:
      w = snprintf(buf + n, len - n, "%s1.%d", sep, (int)v);
      break;
    case FV_ZONES:
      w = snprintf(buf + n, len - n, "%s%d zone%s", sep, (int)v,
                   v == 1 ? "" : "s");
      break;
    case SV_POLICY:
    case SV_STRATEGY:
      w = snprintf(buf + n, len - n, "%s%s", sep,
                   sts_variant_value_name((enum sts_variant_field)k, v));
      break;
    default: {
      const char *word = sts_variant_value_name((enum sts_variant_field)k, v);
      const char *name = sts_variant_field_name((enum sts_variant_field)k);
      w = word ? snprintf(buf + n, len - n, "%s%s %s", sep, name, word)
               : snprintf(buf + n, len - n, "%s%s %d", sep, name, (int)v);
      break;
    }
    }
    if (w < 0)
      break;
    n += (size_t)w;
  }
  if (n >= len)
    buf[len - 1] = '\0';
}

void fuzz__vary_describe(const struct fuzz_profile *p, FILE *f)
{
  const struct fuzz_vary *fv = &p->s->fuzz.vary;
  bool any = false;

  for (int k = 0; k < FV_COUNT; k++) {
    if (!fv->alts_nr[k])
      continue;
    if (!any)
      fputs("varied per run (spec.fuzz.vary):\n", f);
    any = true;
    fprintf(f, "  %-20s",
            k == FV_VERSION ? "kubernetesVersion"
            : k == FV_ZONES
                ? "zones"
                : sts_variant_field_name((enum sts_variant_field)k));
    for (size_t i = 0; i < fv->alts_nr[k]; i++) {
      int32_t v = fv->alts[k][i];
      const char *word =
          k < SV_COUNT ? sts_variant_value_name((enum sts_variant_field)k, v)
                       : NULL;
      if (k == FV_VERSION)
        fprintf(f, " 1.%d", (int)v);
      else if (word)
        fprintf(f, " %s", word);
      else
        fprintf(f, " %d", (int)v);
    }
    fputc('\n', f);
  }
}
