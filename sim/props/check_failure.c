/*
 * check_failure.c - the promises that make failures meaningful, checked
 * against the ground truth (truth.h) and the API store:
 *
 *   identity.at-most-one     never two running containers of one identity
 *   identity.stable-network  <pod>.<svc>.<ns>.svc.cluster.local names the
 *                            current incarnation only
 *   storage.single-attach    an RWO/RWOP volume is really attached to one
 *                            node; no detach from under a live mount
 *   storage.no-data-loss     a new incarnation writes where its
 *                            predecessors wrote; one writer per identity
 *   liveness.converges       after the last action, the set is back to
 *                            all replicas Ready at the update revision
 *                            within convergeBound, unless a documented
 *                            stuck state holds it
 *
 * (reference cluster-behaviour.md 1.8, 2, 4.8, 4.11, 7.3, 9;
 * statefulset-controller.md B16, S12.) Each check looks only at what an
 * event can have changed: the objects written in it, and the few
 * incarnations whose pod object is gone while their containers may still
 * run (the only way two incarnations of one identity can coexist). No
 * check walks every pod or volume per event.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "props_int.h"
#include "scenario.h"

#define OUT_OF_SERVICE "node.kubernetes.io/out-of-service"

static bool is_set_pod(const struct object *o)
{
  const struct owner_ref *r = meta_controller_ref(&o->meta);

  return o->kind == KIND_POD && r && !strcmp(r->kind, "StatefulSet");
}

/* A machine whose containers can still run. */
static bool machine_alive(enum node_machine m)
{
  return m == MACHINE_UP || m == MACHINE_PARTITIONED ||
         m == MACHINE_SHUTTING_DOWN;
}

static const char *dur(simtime t, char *buf, size_t n)
{
  sim_format_duration(t, buf, n);
  return buf;
}

/* --- incarnations whose pod object is gone -------------------------------- */

/*
 * An incarnation of a StatefulSet pod whose object left the store (the
 * kubelet's final delete, a force delete, pod GC). Normally its containers
 * stopped first; after a force delete or pod GC of a pod on a partitioned
 * node they run on (reference 2.5, 2.10). Two incarnations of one identity
 * can only coexist this way, because the store holds one object per name.
 * An entry goes once truth has no sandbox for it and its node can no longer
 * start one (the machine reaches the API, or is dead: a kubelet that
 * relists does not start pods whose objects are gone).
 */
struct gone_inc {
  char *ns, *name, *node;
  uint64_t uid;
  char **pvs; /* volumes of its claims when it went (no-data-loss) */
  size_t pvs_nr;
  bool reported;
};

struct gone_list {
  VEC(struct gone_inc) v;
};

static void gone_free_one(struct gone_inc *g)
{
  free(g->ns);
  free(g->name);
  free(g->node);
  for (size_t i = 0; i < g->pvs_nr; i++)
    free(g->pvs[i]);
  free(g->pvs);
}

static void gone_release(struct gone_list *l)
{
  for (size_t i = 0; i < l->v.nr; i++)
    gone_free_one(&l->v.v[i]);
  free(l->v.v);
}

/* The PV the claim of pod volume v is bound to, or NULL. */
static const char *claim_pv(struct api *api, const struct object *pod,
                            const struct pod_volume *v)
{
  if (v->source != VOLSRC_PVC || !v->claim_name)
    return NULL;
  const struct object *pvc =
      api_get(api, KIND_PVC, pod->meta.namespace_, v->claim_name);
  return pvc ? pvc->u.pvc.spec.volume_name : NULL;
}

static void gone_add(struct prop_ctx *c, struct gone_list *l,
                     const struct object *pod, bool with_pvs)
{
  const char *node = pod->u.pod.spec.node_name;

  if (!node || !*node)
    return; /* never bound: nothing can run */
  struct gone_inc g = {.uid = pod->meta.uid};
  g.ns = xstrdup(pod->meta.namespace_);
  g.name = xstrdup(pod->meta.name);
  g.node = xstrdup(node);
  if (with_pvs && pod->u.pod.spec.volumes_nr) {
    g.pvs = xcalloc(pod->u.pod.spec.volumes_nr, sizeof(char *));
    for (size_t i = 0; i < pod->u.pod.spec.volumes_nr; i++) {
      const char *pv = claim_pv(prop_api(c), pod, &pod->u.pod.spec.volumes[i]);
      if (pv)
        g.pvs[g.pvs_nr++] = xstrdup(pv);
    }
  }
  VEC_PUSH(&l->v, g);
}

static void gone_prune(struct prop_ctx *c, struct gone_list *l)
{
  struct truth *t = prop_truth(c);

  for (size_t i = 0; i < l->v.nr;) {
    struct gone_inc *g = &l->v.v[i];
    enum node_machine m = truth_machine(t, g->node);
    if (truth_pod(t, g->uid) || m == MACHINE_PARTITIONED ||
        m == MACHINE_SHUTTING_DOWN) {
      i++;
      continue;
    }
    gone_free_one(g);
    memmove(g, g + 1, (l->v.nr - i - 1) * sizeof(*g));
    l->v.nr--;
  }
}

/* --- identity.at-most-one ------------------------------------------------- */

struct amo_state {
  struct gone_list gone;
};

static void amo_write(struct prop_ctx *c, void *st, enum watch_type t,
                      const struct object *old, const struct object *now)
{
  struct amo_state *s = st;

  (void)now;
  if (t == WATCH_DELETED && is_set_pod(old))
    gone_add(c, &s->gone, old, false);
}

static void amo_report(struct prop_ctx *c, struct gone_inc *g,
                       const struct truth_pod *other, const char *which)
{
  struct truth *t = prop_truth(c);
  char objs[700];

  prop_fmt(objs, sizeof(objs), "Pod/%s, Node/%s, Node/%s", g->name, g->node,
           other->node);
  prop_violate(
      c, objs,
      "two incarnations of %s run at once: uid %" PRIu64
      " on %s (%s; its pod object was deleted) and uid %" PRIu64 " on %s (%s)",
      g->name, g->uid, g->node, node_machine_name(truth_machine(t, g->node)),
      other->uid, other->node, which);
  g->reported = true;
}

/*
 * A gone incarnation still running, and another incarnation of the same
 * identity running: the current pod's, or another gone one's.
 */
static void amo_after(struct prop_ctx *c, void *st)
{
  struct amo_state *s = st;
  struct truth *t = prop_truth(c);

  gone_prune(c, &s->gone);
  for (size_t i = 0; i < s->gone.v.nr; i++) {
    struct gone_inc *g = &s->gone.v.v[i];
    const struct truth_pod *tp = truth_pod(t, g->uid);
    if (g->reported || !tp || !tp->running)
      continue;
    const struct object *cur = api_get(prop_api(c), KIND_POD, g->ns, g->name);
    if (cur && cur->meta.uid != g->uid) {
      const struct truth_pod *tc = truth_pod(t, cur->meta.uid);
      if (tc && tc->running) {
        amo_report(c, g, tc, "the current pod");
        continue;
      }
    }
    for (size_t j = 0; j < s->gone.v.nr; j++) {
      struct gone_inc *h = &s->gone.v.v[j];
      if (j == i || h->uid == g->uid || strcmp(h->name, g->name) ||
          strcmp(h->ns, g->ns))
        continue;
      const struct truth_pod *th = truth_pod(t, h->uid);
      if (th && th->running) {
        amo_report(c, g, th, "also deleted");
        break;
      }
    }
  }
}

static void amo_release(void *st)
{
  gone_release(&((struct amo_state *)st)->gone);
}

const struct property prop_identity_at_most_one = {
    .name = "identity.at-most-one",
    .state_size = sizeof(struct amo_state),
    .on_write = amo_write,
    .after_event = amo_after,
    .at_end = amo_after,
    .release = amo_release,
};

/* --- storage.single-attach ------------------------------------------------ */

/*
 * Candidates are the volumes whose VolumeAttachment was written in the
 * event: the CSI attacher changes truth (attach, detach) and writes the
 * VolumeAttachment in one step, so a real attach or detach always comes
 * with such a write. At the end every volume seen is checked once more.
 *
 * The force-detach hazard is read from truth: after a detach of volume V
 * from node N, V is no longer attached to N while truth still has mounts
 * of V on N and N's machine still runs (up, partitioned or shutting down):
 * the disk went from under a live mount - the 6-minute force detach of a
 * partitioned node (reference 2.5, 4.8) or the pre-1.25 detach of a
 * healthy node's slow unmount (#106710). Kubernetes does that on its own
 * (a crash-looping pod deleted on a partitioned node is "terminated" for
 * the attach/detach controller), so it is recorded as a hazard, not a
 * violation. It becomes one when the hazard materialises: V is attached
 * to another node while N's machine still runs with V mounted - two
 * nodes can write the disk. A dead machine's leftover mounts are neither.
 */
struct sa_touch {
  char *pv, *node;
};

struct sa_state {
  VEC(struct sa_touch) touched;
  VEC(struct sa_touch) lingering; /* (pv, node) detached under a mount */
  VEC(char *) pvs;                /* every PV name seen, in order */
  struct strmap *seen;            /* pv -> 1 */
  struct strmap *reported;        /* pv (two nodes), or pv@node (hazard) */
};

static void sa_write(struct prop_ctx *c, void *st, enum watch_type t,
                     const struct object *old, const struct object *now)
{
  struct sa_state *s = st;
  const struct object *o = now ? now : old;

  (void)c;
  if (!s->seen) {
    s->seen = strmap_new();
    s->reported = strmap_new();
  }
  if (o->kind == KIND_PV && !strmap_get(s->seen, o->meta.name, NULL)) {
    strmap_set(s->seen, o->meta.name, 1);
    VEC_PUSH(&s->pvs, xstrdup(o->meta.name));
    return;
  }
  if (o->kind != KIND_VOLUMEATTACHMENT || !o->u.va.pv_name ||
      !o->u.va.node_name)
    return;
  /* Only a change of attachment matters: attached, or going away. */
  bool was = old && old->u.va.attached, is = now && now->u.va.attached;
  if (was == is && t != WATCH_DELETED)
    return;
  struct sa_touch tc = {xstrdup(o->u.va.pv_name), xstrdup(o->u.va.node_name)};
  VEC_PUSH(&s->touched, tc);
}

/* Whether the PV allows one node only (RWO, RWOP): no ROX or RWX. */
static bool single_node(struct api *api, const char *pv, unsigned *modes)
{
  const struct object *o = api_get(api, KIND_PV, "", pv);

  if (!o)
    return false;
  *modes = o->u.pv.spec.access_modes;
  return !(*modes & (ACCESS_ROX | ACCESS_RWX));
}

static void sa_check_two(struct prop_ctx *c, struct sa_state *s, const char *pv)
{
  const struct truth_volume *v = truth_volume(prop_truth(c), pv);
  unsigned modes = 0;

  if (!v || v->attached_nr < 2 || strmap_get(s->reported, pv, NULL) ||
      !single_node(prop_api(c), pv, &modes))
    return;
  char objs[700];
  prop_fmt(objs, sizeof(objs), "PersistentVolume/%s, Node/%s, Node/%s", pv,
           v->attached[0], v->attached[1]);
  prop_violate(c, objs, "volume %s (%s) is attached to %s and %s at once", pv,
               modes & ACCESS_RWOP ? "ReadWriteOncePod" : "ReadWriteOnce",
               v->attached[0], v->attached[1]);
  strmap_set(s->reported, pv, 1);
}

static void sa_check_detach(struct prop_ctx *c, struct sa_state *s,
                            const char *pv, const char *node)
{
  struct truth *t = prop_truth(c);
  char key[600];

  prop_fmt(key, sizeof(key), "%s@%s", pv, node);
  if (truth_is_attached(t, pv, node)) {
    strmap_del(s->reported, key); /* attached again: a new episode */
    return;
  }
  enum node_machine m = truth_machine(t, node);
  int mounts = truth_mounts(t, pv, node);
  if (!mounts || !machine_alive(m) || strmap_get(s->reported, key, NULL))
    return;
  char objs[700];
  prop_fmt(objs, sizeof(objs), "PersistentVolume/%s, Node/%s", pv, node);
  prop_hazard(c, objs,
              "volume %s was detached from %s while still mounted there "
              "(%d mount%s; the machine is %s, its containers keep "
              "running): a detach from under a live mount",
              pv, node, mounts, mounts == 1 ? "" : "s", node_machine_name(m));
  strmap_set(s->reported, key, 1);
  struct sa_touch l = {xstrdup(pv), xstrdup(node)};
  VEC_PUSH(&s->lingering, l);
}

/* An attach of pv to node while another node, whose machine still runs,
 * keeps it mounted after a detach from under that mount. */
static void sa_check_materialised(struct prop_ctx *c, struct sa_state *s,
                                  const char *pv, const char *node)
{
  struct truth *t = prop_truth(c);

  if (!truth_is_attached(t, pv, node))
    return;
  for (size_t i = 0; i < s->lingering.nr; i++) {
    const struct sa_touch *l = &s->lingering.v[i];
    if (strcmp(l->pv, pv) || !strcmp(l->node, node))
      continue;
    enum node_machine m = truth_machine(t, l->node);
    int mounts = truth_mounts(t, pv, l->node);
    if (!mounts || !machine_alive(m))
      continue;
    char objs[700], key[600];
    prop_fmt(key, sizeof(key), "%s>%s", pv, node);
    if (strmap_get(s->reported, key, NULL))
      return;
    strmap_set(s->reported, key, 1);
    prop_fmt(objs, sizeof(objs), "PersistentVolume/%s, Node/%s, Node/%s", pv,
             l->node, node);
    prop_violate(c, objs,
                 "volume %s was attached to %s while %s (%s) still has it "
                 "mounted after a detach from under that mount: two nodes "
                 "can write the disk",
                 pv, node, l->node, node_machine_name(m));
    return;
  }
}

static void sa_after(struct prop_ctx *c, void *st)
{
  struct sa_state *s = st;

  for (size_t i = 0; i < s->touched.nr; i++) {
    sa_check_two(c, s, s->touched.v[i].pv);
    sa_check_detach(c, s, s->touched.v[i].pv, s->touched.v[i].node);
    sa_check_materialised(c, s, s->touched.v[i].pv, s->touched.v[i].node);
    free(s->touched.v[i].pv);
    free(s->touched.v[i].node);
  }
  s->touched.nr = 0;
}

static void sa_end(struct prop_ctx *c, void *st)
{
  struct sa_state *s = st;

  sa_after(c, st);
  if (!s->seen)
    return;
  for (size_t i = 0; i < s->pvs.nr; i++)
    sa_check_two(c, s, s->pvs.v[i]);
}

static void sa_release(void *st)
{
  struct sa_state *s = st;

  for (size_t i = 0; i < s->touched.nr; i++) {
    free(s->touched.v[i].pv);
    free(s->touched.v[i].node);
  }
  free(s->touched.v);
  for (size_t i = 0; i < s->lingering.nr; i++) {
    free(s->lingering.v[i].pv);
    free(s->lingering.v[i].node);
  }
  free(s->lingering.v);
  for (size_t i = 0; i < s->pvs.nr; i++)
    free(s->pvs.v[i]);
  free(s->pvs.v);
  strmap_free(s->seen);
  strmap_free(s->reported);
}

const struct property prop_storage_single_attach = {
    .name = "storage.single-attach",
    .state_size = sizeof(struct sa_state),
    .on_write = sa_write,
    .after_event = sa_after,
    .at_end = sa_end,
    .release = sa_release,
};

/* --- storage.no-data-loss ------------------------------------------------- */

/*
 * Two checks.
 *
 * Continuity: for each identity and pod volume (ns/pod/volume) the PV its
 * latest incarnation wrote to, with the claim that held it. When a new
 * incarnation is first seen writing (truth writers, looked at whenever its
 * pod object is written) to a different PV while the previous PV and the
 * claim that held it both still exist, the new incarnation started on a
 * fresh volume next to its data: data loss. If the old claim was deleted
 * (by a person, or by the retention policy), the data went on purpose and
 * a new history starts.
 *
 * Single writer: no two incarnations of one identity write one volume at
 * once (split brain, reference 2.5, 2.10, #61832). Candidates: the volumes
 * of pods written in the event, and those of gone incarnations whose
 * containers may still run (the only way two incarnations coexist).
 * Writers of different identities sharing a volume are storage.stable-
 * claim's business (each ordinal mounts its own claim).
 */
struct dl_rec {
  char pv[256];
  uint64_t uid;       /* the incarnation that wrote */
  uint64_t claim_uid; /* the claim that held pv then */
};

struct dl_state {
  struct strmap *idx; /* "ns/pod/volume" -> index into recs */
  VEC(struct dl_rec) recs;
  VEC(char *) touched;     /* volumes with two writers or more */
  struct strmap *reported; /* pv -> 1 */
  struct gone_list gone;
};

static bool writes_to(const struct truth_volume *v, uint64_t uid)
{
  for (size_t i = 0; i < v->writers_nr; i++)
    if (v->writers[i].uid == uid)
      return true;
  return false;
}

static void dl_continuity(struct prop_ctx *c, struct dl_state *s,
                          const struct object *pod, const struct pod_volume *pv,
                          const struct object *pvc)
{
  struct api *api = prop_api(c);
  const char *vol = pvc->u.pvc.spec.volume_name;
  char key[600];
  int64_t i;

  prop_fmt(key, sizeof(key), "%s/%s/%s", pod->meta.namespace_, pod->meta.name,
           pv->name);
  if (!strmap_get(s->idx, key, &i)) {
    struct dl_rec r = {.uid = pod->meta.uid, .claim_uid = pvc->meta.uid};
    prop_fmt(r.pv, sizeof(r.pv), "%s", vol);
    VEC_PUSH(&s->recs, r);
    strmap_set(s->idx, key, (int64_t)s->recs.nr - 1);
    return;
  }
  struct dl_rec *r = &s->recs.v[i];
  if (r->uid == pod->meta.uid)
    return;
  if (strcmp(r->pv, vol) && api_get(api, KIND_PV, "", r->pv) &&
      api_get_uid(api, r->claim_uid)) {
    char objs[700];
    prop_fmt(objs, sizeof(objs),
             "Pod/%s, PersistentVolume/%s, "
             "PersistentVolume/%s",
             pod->meta.name, vol, r->pv);
    prop_violate(c, objs,
                 "%s (uid %" PRIu64 ") writes to volume %s, but its previous "
                 "incarnation (uid %" PRIu64 ") wrote to %s, which still "
                 "exists with its claim: the new incarnation started "
                 "without its data",
                 pod->meta.name, pod->meta.uid, vol, r->uid, r->pv);
  }
  r->uid = pod->meta.uid;
  r->claim_uid = pvc->meta.uid;
  prop_fmt(r->pv, sizeof(r->pv), "%s", vol);
}

static void dl_write(struct prop_ctx *c, void *st, enum watch_type t,
                     const struct object *old, const struct object *now)
{
  struct dl_state *s = st;
  struct api *api = prop_api(c);

  if (!s->idx) {
    s->idx = strmap_new();
    s->reported = strmap_new();
  }
  if (t == WATCH_DELETED) {
    if (is_set_pod(old))
      gone_add(c, &s->gone, old, true);
    return;
  }
  /* Only a running container writes; once an incarnation's writes are
   * recorded, its later status writes need no look at truth. */
  if (!is_set_pod(now) || now->u.pod.status.phase != POD_RUNNING)
    return;
  for (size_t i = 0; i < now->u.pod.spec.volumes_nr; i++) {
    const struct pod_volume *v = &now->u.pod.spec.volumes[i];
    char key[600];
    int64_t ri;
    if (v->source != VOLSRC_PVC || !v->claim_name)
      continue;
    prop_fmt(key, sizeof(key), "%s/%s/%s", now->meta.namespace_, now->meta.name,
             v->name);
    if (strmap_get(s->idx, key, &ri) && s->recs.v[ri].uid == now->meta.uid)
      continue;
    const struct object *pvc =
        api_get(api, KIND_PVC, now->meta.namespace_, v->claim_name);
    if (!pvc || !pvc->u.pvc.spec.volume_name)
      continue;
    const struct truth_volume *tv =
        truth_volume(prop_truth(c), pvc->u.pvc.spec.volume_name);
    if (!tv || !writes_to(tv, now->meta.uid))
      continue;
    dl_continuity(c, s, now, v, pvc);
    if (tv->writers_nr >= 2)
      VEC_PUSH(&s->touched, xstrdup(tv->pv));
  }
}

static void dl_check_writers(struct prop_ctx *c, struct dl_state *s,
                             const char *pv)
{
  const struct truth_volume *v = truth_volume(prop_truth(c), pv);
  char a[32], b[32];

  if (!v || v->writers_nr < 2 || strmap_get(s->reported, pv, NULL))
    return;
  for (size_t i = 0; i < v->writers_nr; i++) {
    for (size_t j = i + 1; j < v->writers_nr; j++) {
      const struct truth_writer *x = &v->writers[i], *y = &v->writers[j];
      if (x->uid == y->uid || strcmp(x->pod, y->pod))
        continue;
      char objs[700];
      prop_fmt(objs, sizeof(objs), "Pod/%s, PersistentVolume/%s", x->pod, pv);
      prop_violate(c, objs,
                   "split brain: two incarnations of %s write volume %s at "
                   "once (uid %" PRIu64 " since %s, uid %" PRIu64 " since %s)",
                   x->pod, pv, x->uid, dur(x->since, a, sizeof(a)), y->uid,
                   dur(y->since, b, sizeof(b)));
      strmap_set(s->reported, pv, 1);
      return;
    }
  }
}

static void dl_after(struct prop_ctx *c, void *st)
{
  struct dl_state *s = st;
  struct truth *t = prop_truth(c);

  if (!s->idx)
    return;
  for (size_t i = 0; i < s->touched.nr; i++) {
    dl_check_writers(c, s, s->touched.v[i]);
    free(s->touched.v[i]);
  }
  s->touched.nr = 0;
  gone_prune(c, &s->gone);
  for (size_t i = 0; i < s->gone.v.nr; i++) {
    struct gone_inc *g = &s->gone.v.v[i];
    if (!truth_pod(t, g->uid))
      continue;
    for (size_t j = 0; j < g->pvs_nr; j++)
      dl_check_writers(c, s, g->pvs[j]);
  }
}

static void dl_release(void *st)
{
  struct dl_state *s = st;

  strmap_free(s->idx);
  strmap_free(s->reported);
  free(s->recs.v);
  for (size_t i = 0; i < s->touched.nr; i++)
    free(s->touched.v[i]);
  free(s->touched.v);
  gone_release(&s->gone);
}

const struct property prop_storage_no_data_loss = {
    .name = "storage.no-data-loss",
    .state_size = sizeof(struct dl_state),
    .on_write = dl_write,
    .after_event = dl_after,
    .at_end = dl_after,
    .release = dl_release,
};

/* --- identity.stable-network ---------------------------------------------- */

/*
 * The name <host>.<svc>.<ns>.svc.cluster.local must resolve to nothing, or
 * to exactly one address: the IP of the pod object named <host> in the
 * store (the current incarnation). Judged for StatefulSet pods (hostname
 * = pod name), and for endpoints still naming a pod of that name after it
 * is gone.
 *
 * DNS lag: dns_resolve() answers from the EndpointSlices in the store
 * (CoreDNS's view). Between a pod change and the EndpointSlice controller
 * catching up, and for as long as a resolver caches an answer (the record
 * TTL, reference 7.3), clients may see the old answer. A wrong answer is
 * therefore tolerated while it is younger than the dnsTTL timing (5 s; 30 s
 * for kubeadm's Corefile) and reported once it has lasted longer - which
 * also keeps a published stale IP of a dead pod (publishNotReadyAddresses)
 * legitimate while its object exists: it is then the current incarnation.
 *
 * To stay cheap, an index of the ready endpoints per name (kept from
 * EndpointSlice writes) finds suspicious names; dns_resolve() confirms
 * them.
 */
#define DNS_IPS 4

struct dns_ip {
  char ip[48];
  int n;            /* ready endpoints with this address */
  bool target_host; /* some of them target a pod named host */
};

struct dns_rec {
  char ns[64], svc[64], host[64];
  struct dns_ip ips[DNS_IPS];
  int ips_nr;
  int extra;           /* endpoints beyond DNS_IPS distinct addresses */
  simtime wrong_since; /* SIMTIME_NEVER: right */
  bool reported;
  bool touched; /* in dns_state.touched (this event) */
  char why[200];
};

struct dns_state {
  struct strmap *idx; /* "ns/svc/host" -> index into recs */
  VEC(struct dns_rec) recs;
  VEC(size_t) touched;
  VEC(size_t) wrong; /* recs with wrong_since set */
};

static struct dns_rec *dns_rec_get(struct dns_state *s, const char *ns,
                                   const char *svc, const char *host,
                                   size_t *out)
{
  char key[200];
  int64_t i;

  if (strlen(ns) >= 64 || strlen(svc) >= 64 || strlen(host) >= 64)
    return NULL; /* not a DNS label anyway */
  prop_fmt(key, sizeof(key), "%s/%s/%s", ns, svc, host);
  if (!strmap_get(s->idx, key, &i)) {
    struct dns_rec r = {.wrong_since = SIMTIME_NEVER};
    prop_fmt(r.ns, sizeof(r.ns), "%s", ns);
    prop_fmt(r.svc, sizeof(r.svc), "%s", svc);
    prop_fmt(r.host, sizeof(r.host), "%s", host);
    VEC_PUSH(&s->recs, r);
    i = (int64_t)s->recs.nr - 1;
    strmap_set(s->idx, key, i);
  }
  *out = (size_t)i;
  return &s->recs.v[i];
}

/* Marks record i for dns_after, once per event (a flag, not a scan: a
 * Parallel scale-up touches thousands in one event). */
static void dns_touch(struct dns_state *s, size_t i)
{
  if (s->recs.v[i].touched)
    return;
  s->recs.v[i].touched = true;
  VEC_PUSH(&s->touched, i);
}

static void dns_count(struct dns_state *s, const struct object *eps, int d)
{
  const char *ns = eps->meta.namespace_, *svc = eps->u.eps.service_name;

  if (!svc)
    return;
  for (size_t i = 0; i < eps->u.eps.endpoints_nr; i++) {
    const struct endpoint *ep = &eps->u.eps.endpoints[i];
    size_t ri;
    if (!ep->ready || !ep->address || !*ep->address || !ep->hostname ||
        !*ep->hostname)
      continue;
    struct dns_rec *r = dns_rec_get(s, ns, svc, ep->hostname, &ri);
    if (!r)
      continue;
    dns_touch(s, ri);
    bool th = ep->target_pod && !strcmp(ep->target_pod, ep->hostname);
    int k;
    for (k = 0; k < r->ips_nr; k++)
      if (!strcmp(r->ips[k].ip, ep->address))
        break;
    if (k == r->ips_nr) {
      if (d < 0 || r->ips_nr == DNS_IPS) {
        r->extra += d; /* unknown address: only counted */
        continue;
      }
      prop_fmt(r->ips[k].ip, sizeof(r->ips[k].ip), "%s", ep->address);
      r->ips[k].n = 0;
      r->ips[k].target_host = false;
      r->ips_nr++;
    }
    r->ips[k].n += d;
    r->ips[k].target_host |= th && d > 0;
    if (r->ips[k].n <= 0)
      r->ips[k] = r->ips[--r->ips_nr];
  }
}

static void dns_write(struct prop_ctx *c, void *st, enum watch_type t,
                      const struct object *old, const struct object *now)
{
  struct dns_state *s = st;
  const struct object *o = now ? now : old;
  size_t ri;

  (void)c;
  if (!s->idx)
    s->idx = strmap_new();
  if (o->kind == KIND_ENDPOINTSLICE) {
    /* DELETED: now is the final version, no longer stored. */
    if (old)
      dns_count(s, old, -1);
    if (now && t != WATCH_DELETED)
      dns_count(s, now, +1);
    return;
  }
  if (!is_set_pod(o) || !o->u.pod.spec.subdomain || !*o->u.pod.spec.subdomain)
    return;
  if (dns_rec_get(s, o->meta.namespace_, o->u.pod.spec.subdomain, o->meta.name,
                  &ri))
    dns_touch(s, ri);
}

/*
 * Whether the name of r resolves wrongly now; *why says how. The index
 * decides the common case; dns_resolve() confirms a suspicion.
 */
static bool dns_wrong(struct prop_ctx *c, const struct dns_rec *r, char *why,
                      size_t n)
{
  struct api *api = prop_api(c);
  int total = r->extra;
  bool targets = false;

  for (int k = 0; k < r->ips_nr; k++) {
    total += r->ips[k].n;
    targets |= r->ips[k].target_host;
  }
  if (total <= 0)
    return false;
  const struct object *pod = api_get(api, KIND_POD, r->ns, r->host);
  if (pod ? !is_set_pod(pod) : !targets)
    return false; /* not a StatefulSet identity */
  const char *ip = pod ? pod->u.pod.status.pod_ip : NULL;
  if (total == 1 && r->ips_nr == 1 && ip && !strcmp(ip, r->ips[0].ip))
    return false;
  char fqdn[300];
  const char *ips[DNS_IPS];
  prop_fmt(fqdn, sizeof(fqdn), "%s.%s.%s.svc.cluster.local.", r->host, r->svc,
           r->ns);
  size_t got = dns_resolve(api, fqdn, ips, DNS_IPS);
  if (got == 0)
    return false;
  if (got >= 2) {
    prop_fmt(why, n, "resolves to %zu addresses (%s, %s%s)", got, ips[0],
             ips[1], got > 2 ? ", ..." : "");
    return true;
  }
  if (!pod) {
    prop_fmt(why, n, "resolves to %s, but no pod %s exists", ips[0], r->host);
    return true;
  }
  if (!ip || strcmp(ip, ips[0])) {
    prop_fmt(why, n, "resolves to %s, not to the current %s (%s)", ips[0],
             r->host, ip ? ip : "no IP");
    return true;
  }
  return false;
}

/*
 * While the control plane itself fails (api-errors, watch-delay), the
 * EndpointSlice controller cannot keep DNS current: its writes fail and it
 * retries with back-off, as upstream's does. A stale answer is then
 * Kubernetes' behaviour, not a broken promise; it is judged again
 * DNS_RECOVERY after the last such window ends.
 */
#define DNS_RECOVERY SIM_MIN(2)

static simtime control_plane_degraded_until(struct prop_ctx *c, simtime now)
{
  size_t nr;
  const struct prop_action *pa = prop_actions(c, &nr);
  simtime until = SIMTIME_NEVER;

  for (size_t i = 0; i < nr; i++) {
    if (pa[i].at > now || (pa[i].a->kind != ACTION_API_ERRORS &&
                           pa[i].a->kind != ACTION_WATCH_DELAY))
      continue;
    if (until == SIMTIME_NEVER || pa[i].until > until)
      until = pa[i].until;
  }
  return until;
}

static void dns_judge(struct prop_ctx *c, struct dns_state *s, simtime now)
{
  simtime ttl = prop_timing(c, TIMING_DNS_TTL);
  simtime degraded = control_plane_degraded_until(c, now);
  char a[32];

  if (degraded != SIMTIME_NEVER && now <= degraded + DNS_RECOVERY)
    return;
  for (size_t k = 0; k < s->wrong.nr; k++) {
    struct dns_rec *r = &s->recs.v[s->wrong.v[k]];
    if (r->reported || now - r->wrong_since <= ttl)
      continue;
    /* A wrong answer that began while the control plane failed is
     * counted from the end of the recovery allowance. */
    if (degraded != SIMTIME_NEVER &&
        r->wrong_since <= degraded + DNS_RECOVERY &&
        now - (degraded + DNS_RECOVERY) <= ttl)
      continue;
    char objs[700];
    prop_fmt(objs, sizeof(objs), "Pod/%s, Service/%s", r->host, r->svc);
    prop_violate(c, objs,
                 "%s.%s.%s.svc.cluster.local %s for longer than "
                 "dnsTTL %s",
                 r->host, r->svc, r->ns, r->why, dur(ttl, a, sizeof(a)));
    r->reported = true;
  }
}

static void dns_after(struct prop_ctx *c, void *st)
{
  struct dns_state *s = st;
  simtime now = prop_now(c);

  if (!s->idx)
    return;
  /* The state before this event held until now: judge it first. */
  dns_judge(c, s, now);
  for (size_t k = 0; k < s->touched.nr; k++) {
    struct dns_rec *r = &s->recs.v[s->touched.v[k]];
    char why[200];
    r->touched = false;
    if (dns_wrong(c, r, why, sizeof(why))) {
      prop_fmt(r->why, sizeof(r->why), "%s", why);
      if (r->wrong_since == SIMTIME_NEVER) {
        r->wrong_since = now;
        VEC_PUSH(&s->wrong, s->touched.v[k]);
      }
    } else if (r->wrong_since != SIMTIME_NEVER) {
      r->wrong_since = SIMTIME_NEVER;
      r->reported = false;
      for (size_t w = 0; w < s->wrong.nr; w++) {
        if (s->wrong.v[w] == s->touched.v[k]) {
          s->wrong.v[w] = s->wrong.v[--s->wrong.nr];
          break;
        }
      }
    }
  }
  s->touched.nr = 0;
}

static void dns_end(struct prop_ctx *c, void *st)
{
  struct dns_state *s = st;

  if (s->idx)
    dns_judge(c, s, prop_now(c));
}

static void dns_release(void *st)
{
  struct dns_state *s = st;

  strmap_free(s->idx);
  free(s->recs.v);
  free(s->touched.v);
  free(s->wrong.v);
}

const struct property prop_identity_stable_network = {
    .name = "identity.stable-network",
    .state_size = sizeof(struct dns_state),
    .on_write = dns_write,
    .after_event = dns_after,
    .at_end = dns_end,
    .release = dns_release,
};

/* --- liveness.converges --------------------------------------------------- */

/*
 * The bound runs from the end of the last action the scenario carried out
 * (props_note_action; any action, fault or not, and the follow-ups of
 * `for`; for api-errors and watch-delay the end of their window), or from
 * time 0. From then + convergeBound on, every StatefulSet must be
 * converged: exactly spec.replicas pods, each in range, named
 * <set>-<ordinal>, not terminating, Running and Ready, at the update
 * revision (any revision below the partition, and with OnDelete - the
 * updateComplete predicate of the controller reference, 10.2). A set being
 * deleted is not judged. The state between two events is constant, so a
 * set that was not converged when the deadline passed is reported at the
 * first event after it, or at the end; a run that ends before the
 * deadline is not judged.
 *
 * Documented stuck states exempt the set (one blocked pod can hold the
 * whole set: OrderedReady waits for it, a rolling update stops at it):
 *   - a pod of the set bound to a node that exists, is not Ready and has
 *     no out-of-service taint: only its kubelet, a force delete, deleting
 *     the Node or the out-of-service taint can remove it (reference 1.8,
 *     2.2, 2.4; at-most-one, B16); this also covers pods never evicted in
 *     a disrupted zone (1.5);
 *   - a Pending, unscheduled pod of the set whose claim is bound to a PV
 *     whose node affinity no Ready node satisfies (a local or zonal
 *     volume of a lost node: Pending forever, 4.6);
 *   - a pod whose container image the scenario declares broken
 *     (`crashes` or `ready: false`), or whose app was made to fail its
 *     readiness (fail-readiness without restore-readiness): no controller
 *     can make it Ready (the broken rollout of statefulset-controller 6.5,
 *     B1);
 *   - a pod bound to a node whose claim is unbound, WaitForFirstConsumer
 *     and without the selected-node annotation (recreated after the pod
 *     was scheduled): nothing will provision it (4.4, 4.7).
 * Two upstream stalls are hazards rather than failures (min_ready_stall,
 * and the stale claim of trace 7: see lv_judge).
 * Any other stuck state must be declared in the scenario with
 * `property: liveness.converges` and `violated: true`.
 */
struct lv_set {
  uint64_t uid;
  char ns[64], name[256];
  int32_t replicas, start, partition;
  bool on_delete, deleting, gone;
  char target[256];    /* update revision name */
  int64_t total, good; /* pods of the set; converged-looking ones */
  bool recount;        /* parameters changed: recount before use */
  bool converged;      /* as of the last after_event */
  simtime unconverged_since;
  bool reported;      /* for the current deadline */
  simtime ctl_wrote;  /* the controller's last write for this set */
  simtime claim_gone; /* one of its claims vanished ... */
  int claim_gone_ord; /* ... the claim of this ordinal */
};

struct lv_state {
  VEC(struct lv_set) sets;
  simtime fault_end; /* end of the last action's effect seen */
  size_t actions_seen;
  bool wrote; /* the event running now wrote (it was judged then) */
};

static void lv_settle(struct prop_ctx *c, struct lv_state *s,
                      const struct object *old, const struct object *now);

static struct lv_set *lv_find(struct lv_state *s, uint64_t uid)
{
  for (size_t i = 0; i < s->sets.nr; i++)
    if (s->sets.v[i].uid == uid && !s->sets.v[i].gone)
      return &s->sets.v[i];
  return NULL;
}

static void lv_params(struct lv_set *e, const struct object *set)
{
  const struct statefulset_spec *sp = &set->u.sts.spec;

  e->replicas = sp->replicas;
  e->start = prop_start_ordinal(set);
  e->partition = sp->update_strategy == UPDATE_ROLLING ? sp->partition : 0;
  e->on_delete = sp->update_strategy == UPDATE_ON_DELETE;
  e->deleting = meta_is_deleting(&set->meta);
}

/* Whether pod counts as converged for set entry e. */
static bool lv_good(const struct lv_set *e, const struct object *pod)
{
  char want[300];
  int ord = prop_parse_ordinal(pod->meta.name, NULL);

  if (ord < 0 || meta_is_deleting(&pod->meta) || !prop_running_ready(pod))
    return false;
  if (ord < e->start || (int64_t)ord >= (int64_t)e->start + e->replicas)
    return false;
  prop_fmt(want, sizeof(want), "%s-%d", e->name, ord);
  if (strcmp(want, pod->meta.name))
    return false;
  if (e->on_delete || ord < e->start + e->partition)
    return true;
  const char *rev = kv_get(&pod->meta.labels, "controller-revision-hash");
  return rev && !strcmp(rev, e->target);
}

static struct lv_set *lv_of(struct lv_state *s, const struct object *pod)
{
  const struct owner_ref *r;

  if (!pod || !is_set_pod(pod))
    return NULL;
  r = meta_controller_ref(&pod->meta);
  return lv_find(s, r->uid);
}

static bool lv_params_changed(const struct object *a, const struct object *b)
{
  const struct statefulset_spec *x = &a->u.sts.spec, *y = &b->u.sts.spec;
  const char *ra = a->u.sts.status.update_revision;
  const char *rb = b->u.sts.status.update_revision;

  return a->meta.generation != b->meta.generation ||
         x->replicas != y->replicas || x->partition != y->partition ||
         x->update_strategy != y->update_strategy ||
         prop_start_ordinal(a) != prop_start_ordinal(b) ||
         meta_is_deleting(&a->meta) != meta_is_deleting(&b->meta) ||
         (ra && rb ? strcmp(ra, rb) != 0 : ra != rb);
}

/*
 * The ordinal whose claim `claim` is for set (named <template>-<set>-<n>
 * for one of the set's volumeClaimTemplates), or -1. The templates
 * decide: a name alone is ambiguous when names contain '-' (the claim
 * data-b-web-0 of set b-web is not one of set web's).
 */
static int lv_claim_ordinal(const struct object *set, const char *claim)
{
  const struct statefulset_spec *sp = &set->u.sts.spec;
  size_t sn = strlen(set->meta.name);

  for (size_t i = 0; i < sp->volume_claim_templates_nr; i++) {
    const char *t = sp->volume_claim_templates[i].name;
    size_t tn = strlen(t);
    if (strncmp(claim, t, tn) || claim[tn] != '-' ||
        strncmp(claim + tn + 1, set->meta.name, sn) ||
        claim[tn + 1 + sn] != '-')
      continue;
    const char *d = claim + tn + 1 + sn + 1;
    if (!*d || strspn(d, "0123456789") != strlen(d) || strlen(d) > 9)
      continue;
    return atoi(d);
  }
  return -1;
}

/*
 * What min-stall detection needs: when the controller last wrote for a
 * set (its status, its pods and claims), and when a claim named like one
 * of the set's vanished (the garbage collector removing a stale one).
 */
static void lv_note_stale_claim(struct prop_ctx *c, struct lv_state *s,
                                enum watch_type t, const struct object *o)
{
  struct lv_set *e;

  if (!strcmp(prop_client(c), CTL_CLIENT)) {
    const struct owner_ref *r = meta_controller_ref(&o->meta);
    uint64_t uid = o->kind == KIND_STATEFULSET ? o->meta.uid : r ? r->uid : 0;
    if (uid && (e = lv_find(s, uid)))
      e->ctl_wrote = prop_now(c);
  }
  if (o->kind != KIND_PVC || t != WATCH_DELETED)
    return;
  for (size_t i = 0; i < s->sets.nr; i++) {
    e = &s->sets.v[i];
    if (e->gone || strcmp(e->ns, o->meta.namespace_))
      continue;
    const struct object *set =
        api_get(prop_api(c), KIND_STATEFULSET, e->ns, e->name);
    int ord = set && set->meta.uid == e->uid
                  ? lv_claim_ordinal(set, o->meta.name)
                  : -1;
    if (ord >= 0) {
      e->claim_gone = prop_now(c);
      e->claim_gone_ord = ord;
    }
  }
}

static void lv_write(struct prop_ctx *c, void *st, enum watch_type t,
                     const struct object *old, const struct object *now)
{
  struct lv_state *s = st;
  const struct object *o = now ? now : old;
  struct lv_set *e;

  if (!s->wrote) {
    s->wrote = true;
    lv_settle(c, s, old, now); /* the state before this event's writes */
  }
  lv_note_stale_claim(c, s, t, o);
  switch (o->kind) {
  case KIND_STATEFULSET:
    if (t == WATCH_ADDED) {
      struct lv_set n = {.uid = o->meta.uid,
                         .recount = true,
                         .unconverged_since = prop_now(c)};
      prop_fmt(n.ns, sizeof(n.ns), "%s", o->meta.namespace_);
      prop_fmt(n.name, sizeof(n.name), "%s", o->meta.name);
      VEC_PUSH(&s->sets, n);
    } else if ((e = lv_find(s, o->meta.uid))) {
      if (t == WATCH_DELETED)
        e->gone = true;
      else if (lv_params_changed(old, now))
        e->recount = true;
    }
    return;
  case KIND_CONTROLLERREVISION: {
    const struct owner_ref *r = meta_controller_ref(&o->meta);
    if (r && (e = lv_find(s, r->uid)))
      e->recount = true;
    return;
  }
  case KIND_POD:
    if ((e = lv_of(s, old)) && !e->recount) {
      e->total--;
      e->good -= lv_good(e, old);
    }
    /* DELETED passes the final version as now: it is gone, not counted */
    if (t != WATCH_DELETED && (e = lv_of(s, now)) && !e->recount) {
      e->total++;
      e->good += lv_good(e, now);
    }
    return;
  default:
    return;
  }
}

struct lv_scan {
  struct lv_set *e;
  const struct object *blocked; /* exemption: the pod */
  const char *reason;           /* exemption: why */
  const struct object *bad;     /* the first pod not converged */
  struct prop_ctx *c;
  const struct lv_view *v;
  char *buf;
  size_t n;
};

static bool lv_count_pod(const struct object *o, void *ctx)
{
  struct lv_scan *sc = ctx;
  const struct owner_ref *r = meta_controller_ref(&o->meta);

  if (!r || r->uid != sc->e->uid)
    return true;
  sc->e->total++;
  sc->e->good += lv_good(sc->e, o);
  return true;
}

static void lv_recount(struct prop_ctx *c, struct lv_set *e)
{
  struct api *api = prop_api(c);
  const struct object *set = api_get(api, KIND_STATEFULSET, e->ns, e->name);

  if (!set || set->meta.uid != e->uid) {
    e->gone = true;
    return;
  }
  lv_params(e, set);
  prop_fmt(e->target, sizeof(e->target), "%s", prop_update_revision(api, set));
  e->total = e->good = 0;
  e->recount = false;
  struct lv_scan sc = {.e = e};
  api_list(api, KIND_POD, e->ns, NULL, lv_count_pod, &sc);
}

/* An image the scenario declares broken, used by pod; or NULL. */
static const char *broken_image(const struct scenario *sc,
                                const struct object *pod)
{
  const struct pod_spec *ps = &pod->u.pod.spec;

  for (size_t i = 0; i < ps->containers_nr; i++)
    for (size_t j = 0; j < sc->images_nr; j++)
      if ((sc->images[j].crashes || sc->images[j].never_ready) &&
          ps->containers[i].image &&
          !strcmp(sc->images[j].image, ps->containers[i].image))
        return sc->images[j].image;
  return NULL;
}

static bool readiness_failed(struct prop_ctx *c, const struct object *pod)
{
  size_t nr;
  const struct prop_action *pa = prop_actions(c, &nr);
  bool failed = false;

  for (size_t i = 0; i < nr; i++) {
    const struct action *a = pa[i].a;
    if (!a || !a->pod || strcmp(a->pod, pod->meta.name))
      continue;
    if (a->kind == ACTION_FAIL_READINESS)
      failed = true;
    else if (a->kind == ACTION_RESTORE_READINESS)
      failed = false;
  }
  return failed;
}

static bool has_taint(const struct object *node, const char *key)
{
  for (size_t i = 0; i < node->u.node.taints_nr; i++)
    if (!strcmp(node->u.node.taints[i].key, key))
      return true;
  return false;
}

/*
 * The store as the judgement must see it. lv_settle() runs at the first
 * write of an event, when the store already holds that write: the view
 * shows the written object at its previous version (absent if it was
 * just created), so the state judged is the one that held until then.
 */
struct lv_view {
  struct api *api;
  const struct object *old, *now; /* the event's first write, or NULL */
};

static bool view_is(const struct lv_view *v, enum obj_kind k, const char *ns,
                    const char *name)
{
  const struct object *o = v->now ? v->now : v->old;

  return o && o->kind == k &&
         !strcmp(o->meta.namespace_ ? o->meta.namespace_ : "", ns ? ns : "") &&
         !strcmp(o->meta.name, name);
}

static const struct object *view_get(const struct lv_view *v, enum obj_kind k,
                                     const char *ns, const char *name)
{
  if (view_is(v, k, ns, name))
    return v->old;
  return api_get(v->api, k, ns, name);
}

struct view_list {
  const struct lv_view *v;
  api_visit_fn *fn;
  void *ctx;
  bool seen;
};

static bool view_visit(const struct object *o, void *ctx)
{
  struct view_list *vl = ctx;

  if (vl->v->now && o == vl->v->now) {
    vl->seen = true;
    return vl->v->old ? vl->fn(vl->v->old, vl->ctx) : true;
  }
  return vl->fn(o, vl->ctx);
}

/* api_list through the view; a deleted object's old version comes last. */
static void view_list(const struct lv_view *v, enum obj_kind k, const char *ns,
                      api_visit_fn *fn, void *ctx)
{
  struct view_list vl = {v, fn, ctx, false};
  const struct object *o = v->now ? v->now : v->old;

  api_list(v->api, k, ns, NULL, view_visit, &vl);
  if (!vl.seen && v->old && o->kind == k &&
      (!ns || !*ns || !strcmp(ns, o->meta.namespace_)) &&
      !api_get(v->api, k, o->meta.namespace_, o->meta.name))
    fn(v->old, ctx);
}

/* Whether one of pod's tolerations covers taint (effect and key/value). */
static bool tolerates(const struct object *pod, const struct taint *t)
{
  const struct pod_spec *ps = &pod->u.pod.spec;

  for (size_t i = 0; i < ps->tolerations_nr; i++) {
    const struct toleration *tl = &ps->tolerations[i];
    if (!tl->any_effect && tl->effect != t->effect)
      continue;
    if (!tl->key || !*tl->key) {
      if (tl->op == TOLERATE_EXISTS)
        return true;
      continue;
    }
    if (strcmp(tl->key, t->key))
      continue;
    if (tl->op == TOLERATE_EXISTS ||
        !strcmp(tl->value ? tl->value : "", t->value ? t->value : ""))
      return true;
  }
  return false;
}

struct node_scan {
  const struct object *pod;
  const struct node_selector *aff;
  bool any;
};

/*
 * A node the pod could be placed on as far as node state goes: Ready, not
 * cordoned, and no NoSchedule or NoExecute taint it does not tolerate.
 */
static bool visit_usable_node(const struct object *n, void *ctx)
{
  struct node_scan *ns = ctx;

  if (n->u.node.ready.status != COND_TRUE || n->u.node.unschedulable ||
      !node_selector_matches(ns->aff, n->meta.name, &n->meta.labels))
    return true;
  for (size_t i = 0; i < n->u.node.taints_nr; i++) {
    const struct taint *t = &n->u.node.taints[i];
    if (t->effect != TAINT_PREFER_NO_SCHEDULE && !tolerates(ns->pod, t))
      return true;
  }
  ns->any = true;
  return false;
}

/* A claim of the Pending pod whose PV no usable node may take, or NULL. */
static const char *pinned_to_lost_node(const struct lv_view *v,
                                       const struct object *pod)
{
  const struct pod_spec *ps = &pod->u.pod.spec;

  for (size_t i = 0; i < ps->volumes_nr; i++) {
    const struct pod_volume *pvol = &ps->volumes[i];
    if (pvol->source != VOLSRC_PVC || !pvol->claim_name)
      continue;
    const struct object *pvc =
        view_get(v, KIND_PVC, pod->meta.namespace_, pvol->claim_name);
    const char *pvn = pvc ? pvc->u.pvc.spec.volume_name : NULL;
    const struct object *pv = pvn ? view_get(v, KIND_PV, "", pvn) : NULL;
    if (!pv || !pv->u.pv.spec.node_affinity.terms_nr)
      continue;
    struct node_scan ns = {pod, &pv->u.pv.spec.node_affinity, false};
    view_list(v, KIND_NODE, "", visit_usable_node, &ns);
    if (!ns.any)
      return pvn;
  }
  return NULL;
}

struct lower_scan {
  const struct object *set;
  int below;  /* look at condemned ordinals below this */
  bool found; /* one of them is neither healthy nor terminating */
};

static bool visit_lower_condemned(const struct object *o, void *ctx)
{
  struct lower_scan *ls = ctx;
  const struct owner_ref *r = meta_controller_ref(&o->meta);
  int ord = prop_parse_ordinal(o->meta.name, NULL);

  if (!r || r->uid != ls->set->meta.uid || ord < 0 || ord >= ls->below ||
      prop_in_range(ls->set, ord) || meta_is_deleting(&o->meta) ||
      prop_running_ready(o))
    return true;
  ls->found = true;
  return false;
}

/*
 * Whether a pod that cannot become Ready (a broken image, a failed
 * readiness probe) holds its set, i.e. the controller is not expected to
 * replace or remove it:
 *   - condemned (out of range): Parallel deletes it; OrderedReady deletes
 *     it once it is the first unavailable pod, so it holds only while a
 *     lower condemned pod is unhealthy and not on its way out (4.2);
 *   - in range: OrderedReady waits for it in Step H (B1, 6.5); so does a
 *     rolling update at the update revision, below the partition and with
 *     OnDelete. Parallel replaces an old-revision pod at or above the
 *     partition (the legacy path 6.4.1, and the 1.37 maxUnavailable path,
 *     #137666), except with the MaxUnavailableStatefulSet gate before 1.37,
 *     where broken old pods exhaust the budget (#137409, B2).
 */
static bool unready_pod_holds(struct prop_ctx *c, const struct lv_view *v,
                              const struct object *pod)
{
  struct api *api = prop_api(c);
  const struct owner_ref *r = meta_controller_ref(&pod->meta);
  const struct object *set =
      r ? view_get(v, KIND_STATEFULSET, pod->meta.namespace_, r->name) : NULL;
  int ord = prop_parse_ordinal(pod->meta.name, NULL);

  if (!set || set->meta.uid != r->uid || ord < 0)
    return true;
  const struct statefulset_spec *sp = &set->u.sts.spec;
  bool parallel = sp->pod_management_policy == PMP_PARALLEL;
  if (!prop_in_range(set, ord)) {
    struct lower_scan ls = {set, ord, false};
    if (parallel)
      return false;
    view_list(v, KIND_POD, pod->meta.namespace_, visit_lower_condemned, &ls);
    return ls.found;
  }
  if (!parallel || sp->update_strategy != UPDATE_ROLLING ||
      ord - prop_start_ordinal(set) < sp->partition)
    return true;
  const char *rev = kv_get(&pod->meta.labels, "controller-revision-hash");
  if (!rev || !strcmp(rev, prop_update_revision(api, set)))
    return true;
  return prop_max_unavailable_gate(c) && prop_minor(c) < 37;
}

/*
 * A claim of a scheduled pod that no scheduler will provision: unbound,
 * of a WaitForFirstConsumer class, without the selected-node annotation.
 * The scheduler writes that annotation while it schedules a pod (PreBind,
 * cluster-behaviour 4.4 and 4.7), and the PV controller
 * waits for it; a pod bound to its node before the claim existed (the
 * claim was deleted and recreated while the scheduler's cache still
 * showed the old one bound) is never scheduled again, so its claim waits
 * forever and the pod never starts.
 */
static const char *unprovisionable_claim(const struct lv_view *v,
                                         const struct object *pod)
{
  const struct pod_spec *ps = &pod->u.pod.spec;

  if (!ps->node_name || !*ps->node_name)
    return NULL;
  for (size_t i = 0; i < ps->volumes_nr; i++) {
    const char *cn = ps->volumes[i].claim_name;
    if (ps->volumes[i].source != VOLSRC_PVC || !cn)
      continue;
    const struct object *pvc = view_get(v, KIND_PVC, pod->meta.namespace_, cn);
    if (!pvc || pvc->u.pvc.spec.volume_name ||
        kv_get(&pvc->meta.annotations, "volume.kubernetes.io/selected-node"))
      continue;
    const char *cls = pvc->u.pvc.spec.storage_class_name;
    const struct object *sc =
        cls && *cls ? view_get(v, KIND_STORAGECLASS, "", cls) : NULL;
    if (sc && sc->u.sc.volume_binding_mode == BINDING_WAIT_FOR_FIRST_CONSUMER)
      return cn;
  }
  return NULL;
}

/* Why pod is in a documented stuck state, into buf; or NULL. */
static const char *stuck_reason(struct prop_ctx *c, const struct lv_view *v,
                                const struct object *pod, char *buf, size_t n)
{
  const char *node = pod->u.pod.spec.node_name, *what;
  const struct scenario *sc = prop_scenario(c);

  if ((what = unprovisionable_claim(v, pod))) {
    prop_fmt(buf, n,
             "%s is bound to %s, but its claim %s waits for a first "
             "consumer (WaitForFirstConsumer, no selected-node): the "
             "scheduler will not schedule the pod again, so nothing "
             "provisions it",
             pod->meta.name, node, what);
    return buf;
  }
  if (node && *node) {
    const struct object *no = view_get(v, KIND_NODE, "", node);
    if (no && no->u.node.ready.status != COND_TRUE &&
        !has_taint(no, OUT_OF_SERVICE)) {
      prop_fmt(buf, n,
               "%s is on %s, which is not Ready: only its kubelet, a force "
               "delete, deleting the Node or the out-of-service taint can "
               "move it (reference 2.2)",
               pod->meta.name, node);
      return buf;
    }
  } else if (pod->u.pod.status.phase == POD_PENDING &&
             (what = pinned_to_lost_node(v, pod))) {
    prop_fmt(buf, n,
             "%s is Pending: its volume %s is pinned to nodes none of which "
             "is Ready and schedulable (reference 4.6)",
             pod->meta.name, what);
    return buf;
  }
  if (sc && (what = broken_image(sc, pod)) && unready_pod_holds(c, v, pod)) {
    prop_fmt(buf, n,
             "%s runs image %s, which the scenario declares never "
             "Ready (statefulset-controller 6.5)",
             pod->meta.name, what);
    return buf;
  }
  if (readiness_failed(c, pod) && unready_pod_holds(c, v, pod)) {
    prop_fmt(buf, n, "the app of %s was made to fail its readiness probe",
             pod->meta.name);
    return buf;
  }
  return NULL;
}

static bool lv_scan_pod(const struct object *o, void *ctx)
{
  struct lv_scan *sc = ctx;
  const struct owner_ref *r = meta_controller_ref(&o->meta);

  if (!r || r->uid != sc->e->uid)
    return true;
  if (!sc->bad && !lv_good(sc->e, o))
    sc->bad = o;
  if ((sc->reason = stuck_reason(sc->c, sc->v, o, sc->buf, sc->n))) {
    sc->blocked = o;
    return false;
  }
  return true;
}

/* Whether the in-range pod of ordinal ord of set e is missing. */
static bool lv_missing(const struct lv_view *v, const struct lv_set *e, int ord)
{
  char name[300];

  if (ord < e->start || (int64_t)ord >= (int64_t)e->start + e->replicas)
    return false;
  prop_fmt(name, sizeof(name), "%s-%d", e->name, ord);
  return !view_get(v, KIND_POD, e->ns, name);
}

/* What keeps e from being converged, for the message. */
static void lv_describe(const struct lv_view *v, const struct lv_set *e,
                        const struct object *bad, char *buf, size_t n)
{
  for (int32_t k = e->start; k < e->start + e->replicas; k++) {
    char name[300];
    prop_fmt(name, sizeof(name), "%s-%d", e->name, k);
    const struct object *p = view_get(v, KIND_POD, e->ns, name);
    if (!p) {
      prop_fmt(buf, n, "%s does not exist", name);
      return;
    }
    if (lv_good(e, p))
      continue;
    const char *rev = kv_get(&p->meta.labels, "controller-revision-hash");
    if (meta_is_deleting(&p->meta))
      prop_fmt(buf, n, "%s is terminating", name);
    else if (!prop_running_ready(p))
      prop_fmt(buf, n, "%s is %s and not Ready", name,
               pod_phase_name(p->u.pod.status.phase));
    else
      prop_fmt(buf, n, "%s is at revision %s, not the update revision %s", name,
               rev ? rev : "(none)", e->target);
    return;
  }
  if (bad)
    prop_fmt(buf, n, "%s should not exist (%lld pods for %d replicas)",
             bad->meta.name, (long long)e->total, e->replicas);
  else
    prop_fmt(buf, n, "%lld pods for %d replicas", (long long)e->total,
             e->replicas);
}

/*
 * An upstream stall (statefulset-controller.md: the sync's step 6 and the
 * pod-update handler): after a sync the controller
 * requeues a set with minReadySeconds only while status.availableReplicas
 * differs from spec.replicas - and availableReplicas counts condemned
 * pods too - while the "Ready + minReadySeconds + 1 s" requeue of the pod
 * handler is dropped when an earlier AddAfter of the key is pending
 * (client-go's delaying queue keeps the earliest). A pod that becomes
 * available after the last sync then wakes nothing until the informer
 * resync (12-24 h). Recorded as a hazard, not a liveness failure.
 */
struct avail_scan {
  const struct lv_set *e;
  simtime mrs; /* minReadySeconds */
  bool late;   /* a pod of the set became available after ctl_wrote */
};

static bool visit_late_available(const struct object *o, void *ctx)
{
  struct avail_scan *as = ctx;
  const struct owner_ref *r = meta_controller_ref(&o->meta);

  if (!r || r->uid != as->e->uid || meta_is_deleting(&o->meta) ||
      !prop_running_ready(o))
    return true;
  if (o->u.pod.status.ready.last_transition_time + as->mrs > as->e->ctl_wrote)
    as->late = true;
  return !as->late;
}

static bool min_ready_stall(const struct lv_view *v, const struct lv_set *e)
{
  const struct object *set = view_get(v, KIND_STATEFULSET, e->ns, e->name);

  if (!set || set->u.sts.spec.min_ready_seconds <= 0)
    return false;
  const struct statefulset_status *st = &set->u.sts.status;
  if (st->observed_generation != set->meta.generation ||
      st->available_replicas != set->u.sts.spec.replicas)
    return false;
  /*
   * The stall needs a pod that became available after the controller
   * last acted: a sync that saw every pod available would have gone on
   * (and written). A set stuck with every pod long available is a bug.
   */
  struct avail_scan as = {e, SIM_SEC(set->u.sts.spec.min_ready_seconds), false};
  view_list(v, KIND_POD, e->ns, visit_late_available, &as);
  return as.late;
}

/*
 * Judges the state that held from the last after_event until `until`:
 * a set not converged past the deadline, and not exempt, fails.
 */
static void lv_judge(struct prop_ctx *c, const struct lv_view *v,
                     struct lv_state *s, simtime until)
{
  simtime bound = prop_timing(c, TIMING_CONVERGE_BOUND);
  simtime deadline = s->fault_end + bound;
  char a[32], b[32], u[32], why[1024], stuck[400];

  if (deadline >= until)
    return;
  for (size_t i = 0; i < s->sets.nr; i++) {
    struct lv_set *e = &s->sets.v[i];
    if (e->gone || e->deleting || e->converged || e->reported)
      continue;
    if (e->recount)
      lv_recount(c, e);
    if (e->gone)
      continue;
    struct lv_scan sc = {
        .e = e, .c = c, .v = v, .buf = stuck, .n = sizeof(stuck)};
    view_list(v, KIND_POD, e->ns, lv_scan_pod, &sc);
    if (sc.blocked)
      continue; /* a documented stuck state: not a liveness failure */
    lv_describe(v, e, sc.bad, why, sizeof(why));
    char objs[700];
    prop_fmt(objs, sizeof(objs), "StatefulSet/%s", e->name);
    if (e->claim_gone > e->ctl_wrote && e->total < e->replicas &&
        lv_missing(v, e, e->claim_gone_ord)) {
      prop_hazard(c, objs,
                  "%s has not converged %s after the last action ended (%s), "
                  "but a claim of a previous pod was removed after the "
                  "controller's last write for the set, and claim events "
                  "enqueue nothing: the upstream stall until the informer "
                  "resync (statefulset-controller.md trace 7, "
                  "docs/fidelity.md)",
                  e->name, dur(bound, a, sizeof(a)), why);
      e->reported = true;
      continue;
    }
    if (min_ready_stall(v, e)) {
      prop_hazard(c, objs,
                  "%s has not converged %s after the last action ended (%s), "
                  "but status.availableReplicas equals replicas, so the "
                  "controller set no minReadySeconds requeue: the upstream "
                  "stall until the informer resync (docs/fidelity.md)",
                  e->name, dur(bound, a, sizeof(a)), why);
      e->reported = true;
      continue;
    }
    prop_violate(c, objs,
                 "%s has not converged %s after the last action ended (at "
                 "%s; not converged since %s): %s",
                 e->name, dur(bound, a, sizeof(a)),
                 dur(s->fault_end, b, sizeof(b)),
                 dur(e->unconverged_since, u, sizeof(u)), why);
    e->reported = true;
  }
}

/* Moves the deadline to the end of the actions carried out since. */
static void lv_take_actions(struct prop_ctx *c, struct lv_state *s)
{
  size_t nr;
  const struct prop_action *pa = prop_actions(c, &nr);

  if (nr == s->actions_seen)
    return;
  for (size_t i = s->actions_seen; i < nr; i++)
    if (pa[i].until > s->fault_end)
      s->fault_end = pa[i].until;
  s->actions_seen = nr;
  for (size_t i = 0; i < s->sets.nr; i++)
    s->sets.v[i].reported = false;
}

/*
 * Judges the state that held until now (or until the first action carried
 * out since, which moves the deadline), then takes in the new actions.
 */
static void lv_judge_until_now(struct prop_ctx *c, const struct lv_view *v,
                               struct lv_state *s)
{
  size_t nr;
  const struct prop_action *pa = prop_actions(c, &nr);
  simtime until = prop_now(c);

  if (nr > s->actions_seen && pa[s->actions_seen].at < until)
    until = pa[s->actions_seen].at;
  lv_judge(c, v, s, until);
  lv_take_actions(c, s);
}

/*
 * Once per event, before anything the event writes: the state judged is
 * the one that held since the last event (and the exemptions are those of
 * that state - an action that removes a stuck pod must not hide that the
 * set was stuck). The first write of an event calls it, with the written
 * object's versions for the view; an event that wrote nothing is judged
 * in after_event, where the store is still as it was.
 */
static void lv_settle(struct prop_ctx *c, struct lv_state *s,
                      const struct object *old, const struct object *now)
{
  struct lv_view v = {prop_api(c), old, now};

  if (prop_scenario(c))
    lv_judge_until_now(c, &v, s);
}

static void lv_after(struct prop_ctx *c, void *st)
{
  struct lv_state *s = st;
  simtime now = prop_now(c);

  if (!prop_scenario(c))
    return; /* fault times unknown: nothing to judge against */
  if (!s->wrote)
    lv_settle(c, s, NULL, NULL); /* an event without writes (an action) */
  s->wrote = false;
  /* An action of this event (told after its writes) moves the deadline
   * now: the state before it was judged when the event began. */
  lv_take_actions(c, s);
  for (size_t i = 0; i < s->sets.nr; i++) {
    struct lv_set *e = &s->sets.v[i];
    if (e->gone)
      continue;
    if (e->recount)
      lv_recount(c, e);
    bool conv = !e->gone && e->good == e->replicas && e->total == e->replicas;
    if (e->converged && !conv)
      e->unconverged_since = now;
    e->converged = conv;
  }
}

static void lv_end(struct prop_ctx *c, void *st)
{
  struct lv_view v = {prop_api(c), NULL, NULL};

  if (!prop_scenario(c))
    return;
  lv_judge_until_now(c, &v, st);
}

static void lv_release(void *st)
{
  free(((struct lv_state *)st)->sets.v);
}

const struct property prop_liveness_converges = {
    .name = "liveness.converges",
    .state_size = sizeof(struct lv_state),
    .on_write = lv_write,
    .after_event = lv_after,
    .at_end = lv_end,
    .release = lv_release,
};
