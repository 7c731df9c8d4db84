/*
 * podctl.c - pod and PVC control (reference §5, §8; stateful_pod_control.go
 * and the pod builders of stateful_set_utils.go): building a replica's
 * pod from a revision, creating its claims and then the pod, repairing
 * identity, storage and claim ownerRefs, deleting pods, and the Events
 * each of these records on the StatefulSet.
 *
 * Deviation for determinism (D4): upstream walks the claim templates in
 * Go map order (random); here they are walked in template order.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "controller_int.h"

/* --- errors -----------------------------------------------------------------
 */

void ctl__err_add(struct ctl__err *e, enum api_status st, const char *fmt, ...)
{
  va_list ap;

  if (e->nr++)
    return; /* keep the first message; callers only need one */
  e->st = st;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
  va_end(ap);
}

/* utilerrors.NewAggregate(...).Error(): one message, or "[a, b]". */
struct agg {
  int nr;
  enum api_status st;
  char buf[512];
};

static void agg_add(struct agg *g, enum api_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void agg_add(struct agg *g, enum api_status st, const char *fmt, ...)
{
  char msg[384];
  va_list ap;
  size_t len = strlen(g->buf);

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (!g->nr)
    g->st = st;
  g->nr++;
  snprintf(g->buf + len, sizeof(g->buf) - len, "%s%s", g->nr > 1 ? ", " : "",
           msg);
}

static const char *agg_text(struct agg *g, char *out, size_t n)
{
  if (g->nr > 1)
    snprintf(out, n, "[%s]", g->buf);
  else
    snprintf(out, n, "%s", g->buf);
  return out;
}

/* --- events
 * ------------------------------------------------------------------- */

static const char *title(const char *verb)
{
  if (!strcmp(verb, "create"))
    return "Create";
  if (!strcmp(verb, "update"))
    return "Update";
  return "Delete";
}

/* recordPodEvent */
static void pod_event(struct ctl__pass *p, const char *verb, const char *pod,
                      const char *err)
{
  char reason[32];

  if (!err) {
    snprintf(reason, sizeof(reason), "Successful%s", title(verb));
    api_record_event(p->c->api, CTL_COMPONENT, p->set, EVENT_NORMAL, reason,
                     "%s Pod %s in StatefulSet %s successful", verb, pod,
                     p->set->meta.name);
  } else {
    snprintf(reason, sizeof(reason), "Failed%s", title(verb));
    api_record_event(p->c->api, CTL_COMPONENT, p->set, EVENT_WARNING, reason,
                     "%s Pod %s in StatefulSet %s failed error: %s", verb, pod,
                     p->set->meta.name, err);
  }
}

/* recordClaimEvent */
static void claim_event(struct ctl__pass *p, const char *pod, const char *claim,
                        const char *err)
{
  if (!err)
    api_record_event(p->c->api, CTL_COMPONENT, p->set, EVENT_NORMAL,
                     "SuccessfulCreate",
                     "create Claim %s Pod %s in StatefulSet %s success", claim,
                     pod, p->set->meta.name);
  else
    api_record_event(p->c->api, CTL_COMPONENT, p->set, EVENT_WARNING,
                     "FailedCreate",
                     "create Claim %s for Pod %s in StatefulSet %s failed "
                     "error: %s",
                     claim, pod, p->set->meta.name, err);
}

/* §16: remember the resourceVersion our write produced. */
static void wrote_pod(struct ctl__pass *p, uint64_t rv)
{
  struct ctl_key *k = &p->c->keys.v[p->key];

  if (rv > k->want_pod_rv)
    k->want_pod_rv = rv;
}

static void wrote_pvc(struct ctl__pass *p, uint64_t rv)
{
  struct ctl_key *k = &p->c->keys.v[p->key];

  if (rv > k->want_pvc_rv)
    k->want_pvc_rv = rv;
}

/* --- building pods (§5.1, §5.2)
 * --------------------------------------------------- */

bool ctl__placeholder_at_update(const struct ctl__pass *p, int32_t ordinal)
{
  const struct statefulset_spec *sp = &p->set->u.sts.spec;

  /*
   * newVersionedStatefulSetPod. Here "rollingUpdate is nil" cannot happen
   * with type RollingUpdate (defaulting always sets it) and is always the
   * case with OnDelete (validation), so the currentReplicas branch of
   * upstream's condition is unreachable and OnDelete always builds from
   * the update revision.
   */
  if (sp->update_strategy == UPDATE_ROLLING &&
      (int64_t)ordinal < (int64_t)p->start + sp->partition)
    return false;
  return true;
}

/* labels with key set to value (replaced in place or appended) */
static void set_label(struct kv *v, size_t *nr, const char *key,
                      const char *value)
{
  for (size_t i = 0; i < *nr; i++)
    if (!strcmp(v[i].key, key)) {
      v[i].value = value;
      return;
    }
  v[*nr] = (struct kv){key, value};
  (*nr)++;
}

/* updateIdentity's labels on top of existing ones (arena copy). */
static struct kv_list identity_labels(struct ctl__pass *p,
                                      const struct kv_list *base,
                                      const char *pod_name, int32_t ordinal,
                                      const char *revision)
{
  struct arena *a = p->c->arena;
  struct kv *v = arena_calloc(a, base->nr + 3, sizeof(*v));
  size_t nr = base->nr;

  if (base->nr)
    memcpy(v, base->v, base->nr * sizeof(*v));
  set_label(v, &nr, CTL_LABEL_POD_NAME, pod_name);
  /* random-names keeps the identity in the pod-index label */
  if (p->c->gate_pod_index || p->c->mut == CTL_MUT_RANDOM_NAMES)
    set_label(v, &nr, CTL_LABEL_POD_INDEX, arena_printf(a, "%d", (int)ordinal));
  if (revision)
    set_label(v, &nr, CTL_LABEL_REVISION, revision);
  return (struct kv_list){v, nr};
}

/* updateStorage: claim volumes first (template order), then the others. */
static void storage_volumes(struct ctl__pass *p, const struct object *set,
                            struct pod_spec *ps, int32_t ordinal)
{
  const struct statefulset_spec *sp = &set->u.sts.spec;
  struct arena *a = p->c->arena;
  struct pod_volume *v = arena_calloc(
      a, sp->volume_claim_templates_nr + ps->volumes_nr + 1, sizeof(*v));
  size_t nr = 0;
  char claim[512];

  for (size_t t = 0; t < sp->volume_claim_templates_nr; t++) {
    const struct pvc_template *tm = &sp->volume_claim_templates[t];
    ctl__pass_claim_name(p, claim, sizeof(claim), tm->name, ordinal);
    v[nr++] = (struct pod_volume){.name = tm->name,
                                  .source = VOLSRC_PVC,
                                  .claim_name = arena_strdup(a, claim),
                                  .read_only = false};
  }
  for (size_t i = 0; i < ps->volumes_nr; i++) {
    bool is_claim = false;
    for (size_t t = 0; t < sp->volume_claim_templates_nr && !is_claim; t++)
      is_claim =
          ps->volumes[i].name &&
          !strcmp(ps->volumes[i].name, sp->volume_claim_templates[t].name);
    if (!is_claim)
      v[nr++] = ps->volumes[i];
  }
  ps->volumes = v;
  ps->volumes_nr = nr;
}

const struct object *ctl__build_pod(struct ctl__pass *p,
                                    const struct ctl__slot *s)
{
  struct arena *a = p->c->arena;
  const struct object *set = p->set;
  const struct object *rev = s->at_update ? p->upd_rev : p->cur_rev;
  const struct pod_template *t = rev->u.rev.template_;
  struct object *o = arena_calloc(a, 1, sizeof(*o));
  struct owner_ref *ref = arena_calloc(a, 1, sizeof(*ref));

  if (!t)
    t = &set->u.sts.spec.template_;
  object_init(o, KIND_POD);
  /* GetPodFromTemplate */
  o->meta.name = ctl__new_pod_name(p, s->ordinal);
  o->meta.namespace_ = set->meta.namespace_;
  o->meta.generate_name = arena_printf(a, "%s-", set->meta.name);
  o->meta.annotations = t->annotations;
  *ref = (struct owner_ref){.api_version = "apps/v1",
                            .kind = "StatefulSet",
                            .name = set->meta.name,
                            .uid = set->meta.uid,
                            .controller = true,
                            .block_owner_deletion = true};
  o->meta.owner_refs = ref;
  o->meta.owner_refs_nr = 1;
  o->u.pod.spec = t->spec;
  /* initIdentity, setPodRevision */
  o->meta.labels =
      identity_labels(p, &t->labels, o->meta.name, s->ordinal, rev->meta.name);
  o->u.pod.spec.hostname = o->meta.name;
  o->u.pod.spec.subdomain = set->u.sts.spec.service_name;
  /* GetPodFromTemplate copies the whole template spec, nodeName included
   * (e2e "Should recreate evicted statefulset" pins pods that way). */
  storage_volumes(p, set, &o->u.pod.spec, s->ordinal);
  o->u.pod.status.phase = POD_PHASE_NONE; /* a placeholder */
  return o;
}

struct ctl__podref ctl__podref_of(const struct ctl *c, const struct object *pod)
{
  return (struct ctl__podref){pod->meta.name, pod->meta.uid,
                              ctl__pod_ordinal(c, pod)};
}

const struct object *ctl__claim_get(struct ctl__pass *p, size_t t,
                                    int32_t ordinal, char *buf, size_t n)
{
  const struct statefulset_spec *sp = &p->set->u.sts.spec;
  const struct object *pvc;

  ctl__pass_claim_name(p, buf, n, sp->volume_claim_templates[t].name, ordinal);
  if (t < 8 && p->memo_ord == ordinal && (p->memo_known & (1u << t)))
    return p->memo[t];
  pvc = ctl__pvc_lookup(p->c, p->set->meta.namespace_, buf);
  if (t < 8) {
    if (p->memo_ord != ordinal) {
      p->memo_ord = ordinal;
      p->memo_known = 0;
    }
    p->memo[t] = pvc;
    p->memo_known |= 1u << t;
  }
  return pvc;
}

/* --- claims (§5.3)
 * ------------------------------------------------------------------- */

static const struct object *
build_claim(struct ctl__pass *p, const struct pvc_template *tm, int32_t ordinal)
{
  struct arena *a = p->c->arena;
  const struct object *set = p->set;
  const struct kv_list *ml = &set->u.sts.spec.selector.match_labels;
  struct object *o = arena_calloc(a, 1, sizeof(*o));
  char name[512];

  ctl__pass_claim_name(p, name, sizeof(name), tm->name, ordinal);
  object_init(o, KIND_PVC);
  o->meta.name = arena_strdup(a, name);
  o->meta.namespace_ = set->meta.namespace_;
  o->meta.annotations = tm->annotations;
  /* the template's labels overlaid with matchLabels (not expressions) */
  if (!tm->labels.nr) {
    o->meta.labels = *ml;
  } else {
    struct kv *v = arena_calloc(a, tm->labels.nr + ml->nr, sizeof(*v));
    size_t nr = tm->labels.nr;
    memcpy(v, tm->labels.v, nr * sizeof(*v));
    for (size_t i = 0; i < ml->nr; i++)
      set_label(v, &nr, ml->v[i].key, ml->v[i].value);
    o->meta.labels = (struct kv_list){v, nr};
  }
  o->u.pvc.spec = tm->spec;
  return o;
}

/* createPersistentVolumeClaims, errors aggregated into g */
static void create_claims(struct ctl__pass *p, const struct object *pod,
                          struct agg *g)
{
  struct ctl *c = p->c;
  const struct statefulset_spec *sp = &p->set->u.sts.spec;
  int32_t ordinal = ctl__pod_ordinal(c, pod);
  char name[512];

  for (size_t t = 0; t < sp->volume_claim_templates_nr; t++) {
    const struct pvc_template *tm = &sp->volume_claim_templates[t];
    const struct object *pvc;

    pvc = ctl__claim_get(p, t, ordinal, name, sizeof(name));
    if (!pvc) {
      const struct object *got = NULL;
      enum api_status st =
          api_create(c->api, CTL_COMPONENT, build_claim(p, tm, ordinal), &got);
      if (st == API_OK) {
        wrote_pvc(p, got ? got->meta.resource_version
                         : api_resource_version(c->api));
        claim_event(p, pod->meta.name, name, NULL);
        continue;
      }
      agg_add(g, st, "failed to create PVC %s: %s", name,
              api_last_error(c->api));
      /* AlreadyExists means a stale cache: no event */
      if (st != API_ALREADY_EXISTS)
        claim_event(p, pod->meta.name, name, api_last_error(c->api));
    } else if (ctl__is_terminating(pvc)) {
      agg_add(g, API_CONFLICT, "pvc %s is being deleted", name);
    }
    /* present: reused as it is (size, modes, binding are not checked) */
  }
}

int ctl__claims_match_retention(struct ctl__pass *p,
                                const struct ctl__podref *pod, bool *match)
{
  const struct statefulset_spec *sp = &p->set->u.sts.spec;
  char name[512];

  *match = true;
  for (size_t t = 0; t < sp->volume_claim_templates_nr; t++) {
    const struct object *pvc;

    pvc = ctl__claim_get(p, t, pod->ordinal, name, sizeof(name));
    if (!pvc)
      continue; /* picked up in a later iteration */
    /* B9: another controller's ref is not respected: it must go */
    if (p->c->mut == CTL_MUT_B9 &&
        ctl__mut_foreign_controller(p->set, pod, pvc)) {
      *match = false;
      return 0;
    }
    if (!ctl__claim_owner_up_to_date(p->set, pod, pvc)) {
      *match = false;
      return 0;
    }
  }
  return 0;
}

int ctl__update_claims_for_retention(struct ctl__pass *p,
                                     const struct ctl__podref *pod)
{
  struct ctl *c = p->c;
  const struct statefulset_spec *sp = &p->set->u.sts.spec;
  char name[512];

  for (size_t t = 0; t < sp->volume_claim_templates_nr; t++) {
    const struct object *pvc, *got = NULL;
    struct object o, scrubbed;
    bool force = false;
    enum api_status st;

    pvc = ctl__claim_get(p, t, pod->ordinal, name, sizeof(name));
    if (!pvc)
      continue; /* not in the cache yet: the next pass picks it up */
    if (c->mut == CTL_MUT_B9 && ctl__mut_foreign_controller(p->set, pod, pvc)) {
      /* B9: other controllers' refs are not respected but replaced */
      scrubbed = ctl__mut_drop_foreign(c->arena, p->set, pod, pvc);
      pvc = &scrubbed;
      force = true;
    }
    if (ctl__has_unexpected_controller(p->set, pod, pvc))
      api_record_event(c->api, CTL_COMPONENT, p->set, EVENT_WARNING,
                       "ConflictingController",
                       "PersistentVolumeClaim %s has a conflicting "
                       "OwnerReference that acts as a manging controller, the "
                       "retention policy is ignored for this claim",
                       name);
    if (!force && ctl__claim_owner_up_to_date(p->set, pod, pvc))
      continue;
    o = *pvc;
    o.meta.owner_refs =
        ctl__claim_refs(c->arena, p->set, pod, pvc, &o.meta.owner_refs_nr);
    /* an Update (not a patch), not retried on conflict */
    st = api_update(c->api, CTL_COMPONENT, &o, &got);
    if (st != API_OK) {
      ctl__err_add(&p->err, st,
                   "could not update claim %s for delete policy ownerRefs: "
                   "%s",
                   name, api_last_error(c->api));
      return -1;
    }
    wrote_pvc(p,
              got ? got->meta.resource_version : api_resource_version(c->api));
    ctl__note(p, "ClaimOwnerRefs", "claim %s: ownerRefs set for %s/%s (%s)",
              name, sp->when_scaled == DELETE ? "Delete" : "Retain",
              sp->when_deleted == DELETE ? "Delete" : "Retain",
              ctl__in_range(p->set, pod->ordinal) ? "in range" : "condemned");
  }
  return 0;
}

int ctl__pod_claim_is_stale(struct ctl__pass *p, const struct ctl__podref *pod,
                            bool *stale)
{
  const struct statefulset_spec *sp = &p->set->u.sts.spec;
  char name[512];

  *stale = false;
  if (sp->when_scaled == RETAIN)
    return 0; /* claims are meant to be reused */
  for (size_t t = 0; t < sp->volume_claim_templates_nr; t++) {
    const struct object *pvc;

    pvc = ctl__claim_get(p, t, pod->ordinal, name, sizeof(name));
    if (pvc && ctl__has_stale_owner_ref_to_pod(pvc, pod)) {
      *stale = true;
      ctl__note(p, "Waiting",
                "not creating %s: claim %s still belongs to a previous %s "
                "(waiting for the garbage collector)",
                pod->name, name, pod->name);
      return 0;
    }
  }
  return 0;
}

/* --- pods
 * ------------------------------------------------------------------------------
 */

int ctl__create_stateful_pod(struct ctl__pass *p, const struct object *pod)
{
  struct ctl *c = p->c;
  struct agg g = {0};
  char text[600];
  const struct object *got = NULL;
  enum api_status st;
  struct ctl__podref ref = ctl__podref_of(c, pod);

  create_claims(p, pod, &g);
  if (g.nr) {
    agg_text(&g, text, sizeof(text));
    pod_event(p, "create", pod->meta.name, text);
    ctl__err_add(&p->err, g.st, "%s", text);
    return -1;
  }
  st = api_create(c->api, CTL_COMPONENT, pod, &got);
  if (st == API_ALREADY_EXISTS) {
    /* a stale cache: no event, the error requeues */
    ctl__err_add(&p->err, st, "%s", api_last_error(c->api));
    return -1;
  }
  if (st == API_OK)
    wrote_pod(p,
              got ? got->meta.resource_version : api_resource_version(c->api));
  else
    snprintf(text, sizeof(text), "%s", api_last_error(c->api));
  /*
   * Retention refs as far as possible now, with the local pod (no uid
   * yet: upstream keeps its placeholder, not the created object).
   */
  if (c->gate_auto_delete_pvc && ctl__update_claims_for_retention(p, &ref)) {
    pod_event(p, "update", pod->meta.name, p->err.msg);
    return -1;
  }
  pod_event(p, "create", pod->meta.name, st == API_OK ? NULL : text);
  if (st != API_OK) {
    ctl__err_add(&p->err, st, "%s", text);
    return -1;
  }
  return 0;
}

int ctl__create_missing_claims(struct ctl__pass *p, const struct object *pod)
{
  struct agg g = {0};
  char text[600];
  struct ctl__podref ref = ctl__podref_of(p->c, pod);

  create_claims(p, pod, &g);
  if (g.nr) {
    ctl__err_add(&p->err, g.st, "%s", agg_text(&g, text, sizeof(text)));
    return -1;
  }
  if (p->c->gate_auto_delete_pvc && ctl__update_claims_for_retention(p, &ref)) {
    pod_event(p, "update", pod->meta.name, p->err.msg);
    return -1;
  }
  return 0;
}

int ctl__update_stateful_pod(struct ctl__pass *p, const struct object *pod)
{
  struct ctl *c = p->c;
  const struct object *cur = pod;
  bool attempted = false;
  enum api_status st = API_OK;
  char text[600] = "";
  int rc = 0;

  for (int attempt = 0; attempt < CTL_UPDATE_RETRIES; attempt++) {
    struct object o = *cur;
    bool consistent = true;
    int32_t ordinal = ctl__pod_ordinal(c, &o);
    const struct object *got = NULL;

    if (c->mut != CTL_MUT_RANDOM_NAMES && !ctl__identity_matches(p->set, &o)) {
      /* updateIdentity */
      char name[512];
      ctl__pod_name(name, sizeof(name), p->set, ordinal);
      o.meta.name = arena_strdup(c->arena, name);
      o.meta.namespace_ = p->set->meta.namespace_;
      o.meta.labels =
          identity_labels(p, &o.meta.labels, o.meta.name, ordinal, NULL);
      consistent = false;
    }
    if (!ctl__pass_storage_matches(p, &o)) {
      struct agg g = {0};
      storage_volumes(p, p->set, &o.u.pod.spec, ordinal);
      consistent = false;
      create_claims(p, &o, &g);
      if (g.nr) {
        agg_text(&g, text, sizeof(text));
        pod_event(p, "update", o.meta.name, text);
        ctl__err_add(&p->err, g.st, "%s", text);
        return -1;
      }
    }
    if (c->gate_auto_delete_pvc) {
      struct ctl__podref ref = ctl__podref_of(c, &o);
      bool match;
      ctl__claims_match_retention(p, &ref, &match);
      if (!match) {
        if (ctl__update_claims_for_retention(p, &ref)) {
          pod_event(p, "update", o.meta.name, p->err.msg);
          return -1;
        }
        consistent = false;
      }
    }
    if (consistent)
      return 0;
    attempted = true;
    st = api_update(c->api, CTL_COMPONENT, &o, &got);
    if (st == API_OK) {
      wrote_pod(p, got ? got->meta.resource_version
                       : api_resource_version(c->api));
      rc = 0;
      break;
    }
    snprintf(text, sizeof(text), "%s", api_last_error(c->api));
    rc = -1;
    {
      /* re-read from the cache (a copy) and retry on conflict */
      const struct object *cached =
          informer_get(c->pods, cur->meta.namespace_, cur->meta.name);
      if (cached)
        cur = cached;
    }
    if (st != API_CONFLICT)
      break;
  }
  if (attempted) {
    pod_event(p, "update", cur->meta.name, rc ? text : NULL);
    if (!rc)
      ctl__note(p, "Repair", "updated %s: identity, storage or claim refs",
                cur->meta.name);
  }
  if (rc)
    ctl__err_add(&p->err, st, "%s", text);
  return rc;
}

int ctl__delete_stateful_pod(struct ctl__pass *p, const struct object *pod,
                             enum api_status *st)
{
  struct ctl *c = p->c;
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  uint64_t before = api_resource_version(c->api);

  *st = api_delete(c->api, CTL_COMPONENT, KIND_POD, p->set->meta.namespace_,
                   pod->meta.name, &o);
  pod_event(p, "delete", pod->meta.name,
            *st == API_OK ? NULL : api_last_error(c->api));
  if (*st != API_OK)
    return -1;
  if (api_resource_version(c->api) > before)
    wrote_pod(p, api_resource_version(c->api));
  return 0;
}
