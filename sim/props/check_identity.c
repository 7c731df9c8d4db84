/*
 * check_identity.c - identity.unique, identity.stable-names and
 * storage.stable-claim: the promises that a StatefulSet's pod for ordinal
 * i is one pod named <set>-<i>, with its own claims, bound to the same
 * volumes across incarnations (reference section 13, S1; section 5.1 and
 * 5.3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "props_int.h"

/* --- identity.unique ----------------------------------------------------- */

struct unique_state {
  struct strmap *deleting_since; /* "ns/pod" -> deletionTimestamp seen */
};

/*
 * Two live pods of one set with the same ordinal (web-1 and web-01), or
 * the controller creating a pod whose name is still taken by a pod it
 * has known to be terminating for longer than the staleness allowance
 * (it did not wait for the old incarnation to go: the create can only
 * fail, and a controller that does this would run two if it could).
 */
static void unique_write(struct prop_ctx *c, void *st, enum watch_type t,
                         const struct object *old, const struct object *now)
{
  struct unique_state *s = st;
  const struct object *o = now ? now : old;
  char key[320];

  (void)old;
  if (o->kind != KIND_POD)
    return;
  if (!s->deleting_since)
    s->deleting_since = strmap_new();
  prop_key(key, sizeof(key), o->meta.namespace_, o->meta.name);
  if (t == WATCH_DELETED) {
    strmap_del(s->deleting_since, key);
    return;
  }
  if (meta_is_deleting(&now->meta)) {
    if (!strmap_get(s->deleting_since, key, NULL))
      strmap_set(s->deleting_since, key, prop_now(c));
    return;
  }
  if (t != WATCH_ADDED)
    return;
  const struct object *set = prop_controller_set(prop_api(c), now);
  size_t plen;
  int ord = prop_parse_ordinal(now->meta.name, &plen);
  if (!set || ord < 0)
    return;
  const struct object *twin = prop_set_pod(prop_api(c), set, ord);
  if (twin && twin != now && twin->meta.uid != now->meta.uid &&
      !meta_is_deleting(&twin->meta)) {
    char objs[700];
    prop_fmt(objs, sizeof(objs), "Pod/%s, Pod/%s", twin->meta.name,
             now->meta.name);
    prop_violate(c, objs, "two live pods of StatefulSet %s hold ordinal %d",
                 set->meta.name, ord);
  }
}

static void unique_request(struct prop_ctx *c, void *st, const char *who,
                           const char *verb, enum obj_kind kind, const char *ns,
                           const char *name, enum api_status status,
                           bool changed)
{
  struct unique_state *s = st;
  char key[320];
  int64_t since;

  (void)changed;
  if (kind != KIND_POD || status != API_ALREADY_EXISTS ||
      strcmp(verb, "create") || strcmp(who, CTL_CLIENT) || !s->deleting_since)
    return;
  prop_key(key, sizeof(key), ns, name);
  if (strmap_get(s->deleting_since, key, &since) &&
      prop_now(c) - since > PROP_STALENESS) {
    char objs[700];
    prop_fmt(objs, sizeof(objs), "Pod/%s", name);
    prop_violate(c, objs,
                 "statefulset-controller tried to create %s while the "
                 "previous %s was still terminating (did not wait for it)",
                 name, name);
  }
}

static void unique_release(void *st)
{
  strmap_free(((struct unique_state *)st)->deleting_since);
}

const struct property prop_identity_unique = {
    .name = "identity.unique",
    .state_size = sizeof(struct unique_state),
    .on_write = unique_write,
    .on_request = unique_request,
    .release = unique_release,
};

/* --- identity.stable-names
 * ---------------------------------------------------- */

/*
 * Every pod a StatefulSet creates is named <set>-<ordinal> (canonical
 * decimal), carries statefulset.kubernetes.io/pod-name, and gets
 * hostname = its name and subdomain = serviceName (section 5.1).
 */
static void names_write(struct prop_ctx *c, void *st, enum watch_type t,
                        const struct object *old, const struct object *now)
{
  (void)st;
  (void)old;
  if (t != WATCH_ADDED || now->kind != KIND_POD)
    return;
  const struct object *set = prop_controller_set(prop_api(c), now);
  if (!set)
    return;
  const char *name = now->meta.name;
  size_t plen;
  int ord = prop_parse_ordinal(name, &plen);
  char want[320], objs[192];

  prop_fmt(objs, sizeof(objs), "Pod/%s, StatefulSet/%s", name, set->meta.name);
  prop_fmt(want, sizeof(want), "%s-%d", set->meta.name, ord);
  if (ord < 0 || strcmp(name, want)) {
    prop_violate(c, objs,
                 "StatefulSet %s created pod '%s', not named "
                 "<set>-<ordinal>",
                 set->meta.name, name);
    return;
  }
  const char *label =
      kv_get(&now->meta.labels, "statefulset.kubernetes.io/pod-name");
  if (!label || strcmp(label, name)) {
    prop_violate(c, objs,
                 "pod %s lacks label statefulset.kubernetes.io/pod-name=%s",
                 name, name);
    return;
  }
  const struct pod_spec *ps = &now->u.pod.spec;
  if (!ps->hostname || strcmp(ps->hostname, name)) {
    prop_violate(c, objs, "pod %s has hostname '%s', want '%s'", name,
                 ps->hostname ? ps->hostname : "", name);
    return;
  }
  const char *svc = set->u.sts.spec.service_name;
  if (svc && *svc && (!ps->subdomain || strcmp(ps->subdomain, svc)))
    prop_violate(c, objs, "pod %s has subdomain '%s', want '%s'", name,
                 ps->subdomain ? ps->subdomain : "", svc);
}

const struct property prop_identity_stable_names = {
    .name = "identity.stable-names",
    .on_write = names_write,
};

/* --- storage.stable-claim
 * ----------------------------------------------------- */

struct claim_state {
  struct strmap *bound; /* "ns/claim" -> index into pvs (claim uid+PV) */
  VEC(struct claim_rec) recs;
};

struct claim_rec {
  uint64_t claim_uid;
  char pv[256];
};

/* A pod's volume for template tmpl, or NULL. */
static const struct pod_volume *volume_named(const struct pod_spec *ps,
                                             const char *tmpl)
{
  for (size_t i = 0; i < ps->volumes_nr; i++)
    if (!strcmp(ps->volumes[i].name, tmpl))
      return &ps->volumes[i];
  return NULL;
}

/*
 * On creation: for every claim template T the pod mounts claim
 * T-<set>-<ordinal> (storageMatches). When an incarnation starts running:
 * each of its claims is bound to the volume earlier incarnations used,
 * unless the claim itself was deleted and re-created meanwhile (the
 * retention policy or a person deleted it: the data went with it, by
 * request).
 */
static void claim_write(struct prop_ctx *c, void *st, enum watch_type t,
                        const struct object *old, const struct object *now)
{
  struct claim_state *s = st;

  if (!now || now->kind != KIND_POD || t == WATCH_DELETED)
    return;
  const struct object *set = prop_controller_set(prop_api(c), now);
  if (!set)
    return;
  int ord = prop_parse_ordinal(now->meta.name, NULL);
  if (ord < 0)
    return;
  const struct statefulset_spec *sp = &set->u.sts.spec;
  bool started = now->u.pod.status.phase == POD_RUNNING &&
                 (!old || old->u.pod.status.phase != POD_RUNNING);
  if (!s->bound)
    s->bound = strmap_new();
  for (size_t i = 0; i < sp->volume_claim_templates_nr; i++) {
    const char *tmpl = sp->volume_claim_templates[i].name;
    char claim[320], objs[700], key[400];
    prop_fmt(claim, sizeof(claim), "%s-%s-%d", tmpl, set->meta.name, ord);
    prop_fmt(objs, sizeof(objs), "Pod/%s, PersistentVolumeClaim/%s",
             now->meta.name, claim);
    if (t == WATCH_ADDED) {
      const struct pod_volume *v = volume_named(&now->u.pod.spec, tmpl);
      if (!v || v->source != VOLSRC_PVC || strcmp(v->claim_name, claim))
        prop_violate(c, objs, "pod %s does not mount its own claim %s (%s)",
                     now->meta.name, claim,
                     v && v->claim_name ? v->claim_name : "none");
      continue;
    }
    if (!started)
      continue;
    const struct object *pvc =
        api_get(prop_api(c), KIND_PVC, now->meta.namespace_, claim);
    if (!pvc || !pvc->u.pvc.spec.volume_name)
      continue;
    prop_key(key, sizeof(key), now->meta.namespace_, claim);
    int64_t idx;
    if (!strmap_get(s->bound, key, &idx)) {
      struct claim_rec r = {.claim_uid = pvc->meta.uid};
      prop_fmt(r.pv, sizeof(r.pv), "%s", pvc->u.pvc.spec.volume_name);
      VEC_PUSH(&s->recs, r);
      strmap_set(s->bound, key, (int64_t)s->recs.nr - 1);
      continue;
    }
    struct claim_rec *r = &s->recs.v[idx];
    if (r->claim_uid != pvc->meta.uid) {
      /* The claim was deleted and re-created: a new history starts. */
      r->claim_uid = pvc->meta.uid;
      prop_fmt(r->pv, sizeof(r->pv), "%s", pvc->u.pvc.spec.volume_name);
    } else if (strcmp(r->pv, pvc->u.pvc.spec.volume_name)) {
      prop_violate(c, objs,
                   "%s started on volume %s but its claim %s was bound to "
                   "%s for the previous incarnation",
                   now->meta.name, pvc->u.pvc.spec.volume_name, claim, r->pv);
    }
  }
}

static void claim_release(void *st)
{
  struct claim_state *s = st;

  strmap_free(s->bound);
  free(s->recs.v);
}

const struct property prop_storage_stable_claim = {
    .name = "storage.stable-claim",
    .state_size = sizeof(struct claim_state),
    .on_write = claim_write,
    .release = claim_release,
};
