/*
 * mutant.c - the StatefulSet controller's mutants (include/mutants.h):
 * run-time selected variants that reproduce a bug of reference §12 or a
 * tempting mistake, so that the property checker can be shown to catch
 * it. ctl_start resolves --mutant once into c->mut; every variant is one
 * `c->mut == CTL_MUT_...` compare at the place its bug lives, and a run
 * without a mutant takes the upstream path everywhere:
 *
 *   B2   rollout.c with_max_unavailable: 1.37 Parallel keeps the pre-1.37
 *        budget, so broken old-revision pods exhaust it (#137409)
 *   B3   Steps F, J and L judge health by Ready, not Available: the
 *        [<=1.33] isHealthy (#112307, #123918)
 *   B5   status.c: OnDelete never completes (#73492, #106055)
 *   B6   processReplica: only Failed is terminal (#118310)
 *   B7   processReplica: the [<=1.30] terminal-pod path in every version:
 *        delete (even if terminating) and recreate in the same pass
 *        (#122709)
 *   B8   processReplica: no missing-claim repair for Pending pods (#74374)
 *   B9   retention refs replace other controllers' refs (#122400)
 *   B16  processReplica: a pod on a node that is not Ready is force-deleted
 *        and replaced (the pre-1.5 node controller, #35145); the mutant
 *        gets a Node cache of its own for that
 *   B17  wiring.c: the pod cache lags CTL_MUT_STALE_LAG behind (#41889)
 *   B19  processCondemned: any unhealthy condemned pod blocks, the first
 *        unavailable one too (the PetSet rule, #57865)
 *   B20  Step L: Parallel waits for every replica to be available, as
 *        OrderedReady's Step H does (#96218)
 *   no-wait-terminating  processReplica: a terminating pod counts as gone,
 *        its replacement is created at once (the API refuses the name: the
 *        controller would run two if it could)
 *   lowest-first  Step F sorts the condemned pods ascending
 *   random-names  pods are named <set>-xxxxx as generateName does (the
 *        ReplicaSet way); identity is kept in the pod-index label
 *   shared-claim  every replica's claim is <template>-<set> (a Deployment
 *        with one PVC)
 */
#include <stdio.h>
#include <string.h>

#include "mutants.h"

#include "controller_int.h"

static const struct {
  const char *name;
  enum ctl_mutant mut;
} table[] = {
    {MUTANT_CTL_B2, CTL_MUT_B2},
    {MUTANT_CTL_B3, CTL_MUT_B3},
    {MUTANT_CTL_B5, CTL_MUT_B5},
    {MUTANT_CTL_B6, CTL_MUT_B6},
    {MUTANT_CTL_B7, CTL_MUT_B7},
    {MUTANT_CTL_B8, CTL_MUT_B8},
    {MUTANT_CTL_B9, CTL_MUT_B9},
    {MUTANT_CTL_B16, CTL_MUT_B16},
    {MUTANT_CTL_B17, CTL_MUT_B17},
    {MUTANT_CTL_B19, CTL_MUT_B19},
    {MUTANT_CTL_B20, CTL_MUT_B20},
    {MUTANT_CTL_NO_WAIT_TERMINATING, CTL_MUT_NO_WAIT_TERMINATING},
    {MUTANT_CTL_LOWEST_FIRST, CTL_MUT_LOWEST_FIRST},
    {MUTANT_CTL_RANDOM_NAMES, CTL_MUT_RANDOM_NAMES},
    {MUTANT_CTL_SHARED_CLAIM, CTL_MUT_SHARED_CLAIM},
};

enum ctl_mutant ctl__mutant(const char *name)
{
  for (size_t i = 0; name && i < sizeof(table) / sizeof(table[0]); i++)
    if (mutant_on(name, table[i].name))
      return table[i].mut;
  return CTL_MUT_NONE;
}

/* --- random-names ------------------------------------------------------------
 */

int32_t ctl__pod_ordinal(const struct ctl *c, const struct object *pod)
{
  if (c->mut != CTL_MUT_RANDOM_NAMES)
    return ctl__ordinal(pod->meta.name);
  return ctl__index_label(pod);
}

int32_t ctl__index_label(const struct object *pod)
{
  const char *v = kv_get(&pod->meta.labels, CTL_LABEL_POD_INDEX);
  int64_t n = 0;

  if (!v || !*v)
    return -1;
  for (; *v; v++) {
    if (*v < '0' || *v > '9')
      return -1;
    n = n * 10 + (*v - '0');
    if (n > INT32_MAX)
      return -1;
  }
  return (int32_t)n;
}

bool ctl__pod_is_member(const struct ctl *c, const struct object *set,
                        const struct object *pod)
{
  size_t len = strlen(set->meta.name);

  if (c->mut != CTL_MUT_RANDOM_NAMES)
    return ctl__is_member(set, pod);
  return !strncmp(pod->meta.name, set->meta.name, len) &&
         pod->meta.name[len] == '-';
}

const char *ctl__new_pod_name(struct ctl__pass *p, int32_t ordinal)
{
  /* utilrand.String's alphabet: no vowels, no confusable characters */
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  struct ctl *c = p->c;
  char name[512];
  size_t len;

  ctl__pod_name(name, sizeof(name), p->set, ordinal);
  if (c->mut != CTL_MUT_RANDOM_NAMES)
    return arena_strdup(c->arena, name);
  /* generateName "<set>-" plus five random characters, as the API server
   * completes it for a ReplicaSet's pods */
  len = strlen(p->set->meta.name);
  if (len + 7 > sizeof(name))
    len = sizeof(name) - 7;
  memcpy(name, p->set->meta.name, len);
  name[len++] = '-';
  for (int i = 0; i < 5; i++)
    name[len++] = alphabet[gsl_rng_uniform_int(c->rng, sizeof(alphabet) - 1)];
  name[len] = '\0';
  return arena_strdup(c->arena, name);
}

/* --- shared-claim ------------------------------------------------------------
 */

void ctl__pass_claim_name(const struct ctl__pass *p, char *buf, size_t n,
                          const char *tmpl, int32_t ordinal)
{
  if (p->c->mut != CTL_MUT_SHARED_CLAIM) {
    ctl__claim_name(buf, n, tmpl, p->set, ordinal);
    return;
  }
  snprintf(buf, n, "%s-%s", tmpl, p->set->meta.name);
}

bool ctl__pass_storage_matches(const struct ctl__pass *p,
                               const struct object *pod)
{
  const struct statefulset_spec *sp = &p->set->u.sts.spec;
  const struct pod_spec *ps = &pod->u.pod.spec;
  int32_t ord;
  char claim[512];

  if (p->c->mut != CTL_MUT_SHARED_CLAIM && p->c->mut != CTL_MUT_RANDOM_NAMES)
    return ctl__storage_matches(p->set, pod);
  ord = ctl__pod_ordinal(p->c, pod);
  if (ord < 0)
    return false;
  for (size_t t = 0; t < sp->volume_claim_templates_nr; t++) {
    const struct pvc_template *tm = &sp->volume_claim_templates[t];
    const struct pod_volume *v = NULL;

    for (size_t i = 0; i < ps->volumes_nr; i++)
      if (ps->volumes[i].name && !strcmp(ps->volumes[i].name, tm->name))
        v = &ps->volumes[i];
    ctl__pass_claim_name(p, claim, sizeof(claim), tm->name, ord);
    if (!v || v->source != VOLSRC_PVC || !v->claim_name ||
        strcmp(v->claim_name, claim))
      return false;
  }
  return true;
}

/* --- B16 ---------------------------------------------------------------------
 */

bool ctl__mut_node_lost(const struct ctl *c, const struct object *pod)
{
  const char *node = pod->u.pod.spec.node_name;
  const struct object *n;

  if (!c->nodes || !node || !*node)
    return false;
  n = informer_get(c->nodes, "", node);
  return n && n->u.node.ready.status != COND_TRUE;
}

/* --- B9 ----------------------------------------------------------------------
 */

static bool ours(const struct owner_ref *r, const struct object *set,
                 const struct ctl__podref *pod)
{
  if (!r->kind || !r->name)
    return false;
  if (!strcmp(r->kind, "StatefulSet"))
    return !strcmp(r->name, set->meta.name);
  return !strcmp(r->kind, "Pod") && !strcmp(r->name, pod->name);
}

bool ctl__mut_foreign_controller(const struct object *set,
                                 const struct ctl__podref *pod,
                                 const struct object *claim)
{
  for (size_t i = 0; i < claim->meta.owner_refs_nr; i++) {
    const struct owner_ref *r = &claim->meta.owner_refs[i];
    if (r->controller && !ours(r, set, pod))
      return true;
  }
  return false;
}

struct object ctl__mut_drop_foreign(struct arena *a, const struct object *set,
                                    const struct ctl__podref *pod,
                                    const struct object *claim)
{
  struct object o = *claim;
  struct owner_ref *refs =
      arena_calloc(a, claim->meta.owner_refs_nr + 1, sizeof(*refs));
  size_t n = 0;

  for (size_t i = 0; i < claim->meta.owner_refs_nr; i++) {
    const struct owner_ref *r = &claim->meta.owner_refs[i];
    if (!r->controller || ours(r, set, pod))
      refs[n++] = *r;
  }
  o.meta.owner_refs = refs;
  o.meta.owner_refs_nr = n;
  return o;
}
