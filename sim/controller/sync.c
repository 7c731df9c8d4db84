/*
 * sync.c - sync(key) of stateful_set.go (reference §3.3): the set from the
 * cache, adoption of orphan ControllerRevisions, claiming pods (adopt
 * matching orphans, release owned pods that no longer match) with the one
 * live GET upstream does before adopting, the control loop, and the
 * requeue decision. Also the read-your-own-writes wait of §16.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "controller_int.h"

/* --- notes
 * ---------------------------------------------------------------------- */

void ctl__note(struct ctl__pass *p, const char *reason, const char *fmt, ...)
{
  struct ctl_key *k = &p->c->keys.v[p->key];
  char buf[512];
  va_list ap;

  p->c->notes++;
  if (!p->c->env.note)
    return; /* nobody reads them (fuzz runs): not even formatted */
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  /*
   * A pass that is blocked says so once: a "Waiting" line equal to the
   * previous one of this set is dropped until something else happens.
   */
  if (!strcmp(reason, "Waiting")) {
    uint64_t h = sim_fnv1a(SIM_FNV_INIT, buf, strlen(buf));
    if (h == k->last_note)
      return;
    k->last_note = h;
  } else {
    k->last_note = 0;
  }
  cluster_note(&p->c->env, p->obj, reason, "%s", buf);
}

/* --- canAdopt: RecheckDeletionTimestamp, once per claim operation
 * ------------------- */

struct can_adopt {
  bool done;
  int rc;
  enum api_status st;
  char msg[256];
};

static int can_adopt(struct ctl__pass *p, struct can_adopt *ca)
{
  const struct object *set = p->set;
  const struct object *fresh;

  if (ca->done)
    goto out;
  ca->done = true;
  /* the uncached GET of the set */
  fresh = api_get(p->c->api, KIND_STATEFULSET, set->meta.namespace_,
                  set->meta.name);
  if (!fresh) {
    ca->st = API_NOT_FOUND;
    snprintf(ca->msg, sizeof(ca->msg), "statefulsets.apps \"%s\" not found",
             set->meta.name);
    ca->rc = -1;
  } else if (fresh->meta.uid != set->meta.uid) {
    ca->st = API_CONFLICT;
    snprintf(ca->msg, sizeof(ca->msg),
             "original %s/%s is gone: got uid %" PRIu64 ", wanted %" PRIu64,
             set->meta.namespace_, set->meta.name, fresh->meta.uid,
             set->meta.uid);
    ca->rc = -1;
  } else if (meta_is_deleting(&fresh->meta)) {
    ca->st = API_CONFLICT;
    snprintf(ca->msg, sizeof(ca->msg), "%s/%s has just been deleted",
             set->meta.namespace_, set->meta.name);
    ca->rc = -1;
  }
out:
  return ca->rc;
}

/* --- patches
 * -------------------------------------------------------------------------- */

struct ref_patch {
  struct arena *arena;
  struct owner_ref ref; /* to add (controller) or, for release, its uid */
  bool conflict;        /* another controller owns it: 422 upstream */
};

static bool add_controller_ref(struct object *o, void *ctx)
{
  struct ref_patch *rp = ctx;
  const struct owner_ref *cur = meta_controller_ref(&o->meta);
  struct owner_ref *refs;
  size_t n = 0;

  if (cur && cur->uid != rp->ref.uid) {
    rp->conflict = true; /* only one ref may have controller=true */
    return false;
  }
  /* strategic merge on ownerReferences (key uid): replace or append */
  refs = arena_calloc(rp->arena, o->meta.owner_refs_nr + 1, sizeof(*refs));
  for (size_t i = 0; i < o->meta.owner_refs_nr; i++)
    if (o->meta.owner_refs[i].uid != rp->ref.uid)
      refs[n++] = o->meta.owner_refs[i];
  refs[n++] = rp->ref;
  o->meta.owner_refs = refs;
  o->meta.owner_refs_nr = n;
  return true;
}

static bool remove_ref(struct object *o, void *ctx)
{
  struct ref_patch *rp = ctx;
  struct owner_ref *refs;
  size_t n = 0;

  refs = arena_calloc(rp->arena, o->meta.owner_refs_nr + 1, sizeof(*refs));
  for (size_t i = 0; i < o->meta.owner_refs_nr; i++)
    if (o->meta.owner_refs[i].uid != rp->ref.uid)
      refs[n++] = o->meta.owner_refs[i];
  if (n == o->meta.owner_refs_nr)
    return false; /* no such ref: upstream answers Invalid, ignored */
  o->meta.owner_refs = refs;
  o->meta.owner_refs_nr = n;
  return true;
}

static struct ref_patch set_ref(struct ctl__pass *p)
{
  return (struct ref_patch){.arena = p->c->arena,
                            .ref = {.api_version = "apps/v1",
                                    .kind = "StatefulSet",
                                    .name = p->set->meta.name,
                                    .uid = p->set->meta.uid,
                                    .controller = true,
                                    .block_owner_deletion = true}};
}

/* --- adoptOrphanRevisions
 * ---------------------------------------------------------------- */

static int adopt_orphan_revisions(struct ctl__pass *p)
{
  struct ctl *c = p->c;
  struct can_adopt ca = {0};
  size_t orphans = 0;

  ctl__list_revisions(c, p->set);
  for (size_t i = 0; i < c->revlist.nr; i++)
    if (!meta_controller_ref(&c->revlist.v[i]->meta))
      orphans++;
  if (!orphans)
    return 0;
  if (can_adopt(p, &ca)) {
    ctl__err_add(&p->err, ca.st, "can't adopt ControllerRevisions: %s", ca.msg);
    return -1;
  }
  for (size_t i = 0; i < c->revlist.nr; i++) {
    const struct object *r = c->revlist.v[i];
    struct ref_patch rp = set_ref(p);
    enum api_status st;

    if (meta_controller_ref(&r->meta))
      continue;
    st = api_patch(c->api, CTL_COMPONENT, KIND_CONTROLLERREVISION,
                   r->meta.namespace_, r->meta.name, r->meta.uid,
                   add_controller_ref, &rp, NULL);
    if (st == API_OK && rp.conflict)
      st = API_INVALID;
    if (st != API_OK) {
      ctl__err_add(&p->err, st, "%s",
                   rp.conflict ? "Only one reference can have Controller set "
                                 "to true"
                               : api_last_error(c->api));
      return -1;
    }
    ctl__note(p, "Adopted", "adopted orphan revision %s", r->meta.name);
  }
  return 0;
}

/* --- getPodsForStatefulSet / ClaimPods
 * ------------------------------------------------------ */

struct cand_ctx {
  struct ctl *c;
  uint64_t uid;
};

/* FilterPodsByOwner(..., includeOrphaned=true) */
static bool collect_candidates(const struct object *o, void *ctx)
{
  struct cand_ctx *cc = ctx;
  const struct owner_ref *r = meta_controller_ref(&o->meta);

  if (!r || r->uid == cc->uid)
    VEC_PUSH(&cc->c->cand, o);
  return true;
}

static bool pod_matches(const struct ctl *c, const struct object *set,
                        const struct object *pod)
{
  return selector_matches(&set->u.sts.spec.selector, &pod->meta.labels) &&
         ctl__pod_is_member(c, set, pod);
}

#ifdef SIM_PARANOID
/* The index's claimed pods are those of the walk below (no adoption or
 * release pending). */
static void check_index_claim(struct ctl__pass *p)
{
  struct ctl *c = p->c;
  struct cand_ctx cc = {c, p->set->meta.uid};
  size_t claimed = 0;

  c->cand.nr = 0;
  informer_list(c->pods, p->set->meta.namespace_, NULL, collect_candidates,
                &cc);
  for (size_t i = 0; i < c->cand.nr; i++) {
    const struct object *pod = c->cand.v[i];
    const struct owner_ref *r = meta_controller_ref(&pod->meta);
    uint64_t at;
    SIM_ASSERT(r && pod_matches(c, p->set, pod));
    SIM_ASSERT(u64map_get(&p->idx->by_pod, pod->meta.uid, &at));
    SIM_ASSERT(p->idx->ent.v[at].pod == pod);
    claimed++;
  }
  SIM_ASSERT(claimed == p->pods_nr);
}
#endif

static int claim_pods(struct ctl__pass *p)
{
  struct ctl *c = p->c;
  const struct object *set = p->set;
  struct cand_ctx cc = {c, set->meta.uid};
  struct can_adopt ca = {0};
  bool set_deleting = meta_is_deleting(&set->meta);

  /* With no orphan to adopt and no pod to release, the claimed pods are
   * the index's (index.c). */
  if (ctl__index_begin(p)) {
#ifdef SIM_PARANOID
    check_index_claim(p);
#endif
    return 0;
  }
  c->cand.nr = 0;
  c->claimed.nr = 0;
  informer_list(c->pods, set->meta.namespace_, NULL, collect_candidates, &cc);
  for (size_t i = 0; i < c->cand.nr; i++) {
    const struct object *pod = c->cand.v[i];
    const struct owner_ref *r = meta_controller_ref(&pod->meta);
    struct ref_patch rp = set_ref(p);
    enum api_status st;

    if (r) { /* ours */
      if (pod_matches(c, set, pod)) {
        VEC_PUSH(&c->claimed, pod);
        continue;
      }
      if (set_deleting)
        continue;
      /* release: the selector or the name no longer matches */
      st = api_patch(c->api, CTL_COMPONENT, KIND_POD, pod->meta.namespace_,
                     pod->meta.name, pod->meta.uid, remove_ref, &rp, NULL);
      if (st == API_OK)
        ctl__note(p, "Released",
                  "released %s: it no longer matches the selector or name",
                  pod->meta.name);
      else if (st != API_NOT_FOUND && st != API_INVALID)
        ctl__err_add(&p->err, st, "%s", api_last_error(c->api));
      continue;
    }
    /* an orphan */
    if (set_deleting || !pod_matches(c, set, pod) || ctl__is_terminating(pod))
      continue;
    if (can_adopt(p, &ca)) {
      ctl__err_add(&p->err, ca.st, "%s", ca.msg);
      continue;
    }
    st =
        api_patch(c->api, CTL_COMPONENT, KIND_POD, pod->meta.namespace_,
                  pod->meta.name, pod->meta.uid, add_controller_ref, &rp, NULL);
    if (st == API_OK && rp.conflict) {
      ctl__err_add(&p->err, API_INVALID,
                   "Pod \"%s\" is invalid: metadata.ownerReferences: Invalid "
                   "value: Only one reference can have Controller set to "
                   "true",
                   pod->meta.name);
      continue;
    }
    if (st == API_NOT_FOUND)
      continue;
    if (st != API_OK) {
      ctl__err_add(&p->err, st, "%s", api_last_error(c->api));
      continue;
    }
    ctl__note(p, "Adopted", "adopted orphan pod %s", pod->meta.name);
    VEC_PUSH(&c->claimed, pod);
  }
  p->pods = c->claimed.v;
  p->pods_nr = c->claimed.nr;
  return p->err.nr ? -1 : 0;
}

/* --- sync
 * -------------------------------------------------------------------------------------
 */

void ctl__process(struct ctl *c, size_t key)
{
  struct ctl_key *k = &c->keys.v[key];
  const struct object *set;
  struct ctl__pass p = {0};
  int rc;

  c->syncs++;
  k->busy_until = engine_now(c->engine);
  set = informer_get(c->sets, k->ns, k->name);
  if (!set) {
    ctl__queue_forget(c, key); /* deleted: nothing to do */
    return;
  }
  p.c = c;
  p.memo_ord = -1;
  p.key = key;
  p.set = set;
  p.obj = k->obj;
  p.now = engine_now(c->engine);
  p.monotonic = set->u.sts.spec.pod_management_policy != PMP_PARALLEL;
  p.start = ctl__start_ordinal(set);
  p.replicas = ctl__replicas(set);

  /* §16: do not act on a cache older than our own last write */
  if (c->gate_read_own_writes &&
      (c->pod_rv_seen < k->want_pod_rv || c->pvc_rv_seen < k->want_pvc_rv)) {
    ctl__note(&p, "Waiting",
              "waiting: the cache has not caught up with our own writes "
              "(read-your-own-writes)");
    if (!k->rywo_waiting) {
      k->rywo_waiting = true;
      c->rywo_waiting_nr++;
    }
    ctl__queue_forget(c, key);
    return;
  }
  /* The selector is already parsed: the conversion cannot fail here. */
  rc = adopt_orphan_revisions(&p);
  if (!rc)
    rc = claim_pods(&p);
  c->keys.v[key].busy_until = p.now + (simtime)p.pods_nr * CTL_SYNC_PER_POD;
  if (!rc)
    rc = ctl__update_statefulset(&p);
  if (rc) {
    ctl__note(&p, "SyncError", "sync failed, requeued with back-off: %s",
              p.err.msg);
    ctl__queue_add_rate_limited(c, key);
    return;
  }
  ctl__queue_forget(c, key);
  if (set->u.sts.spec.min_ready_seconds > 0 && p.has_status &&
      p.status.available_replicas != p.replicas)
    ctl__queue_add_after(c, key, SIM_SEC(set->u.sts.spec.min_ready_seconds));
}
