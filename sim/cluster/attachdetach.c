/*
 * attachdetach.c - the attach/detach controller of kube-controller-manager
 * (pkg/controller/volume/attachdetach) and, as a separate actor with its
 * own informer, the external CSI attacher (kubernetes-csi/
 * external-attacher). Reference cluster-behaviour.md 4.8-4.11.
 *
 * Desired state (DSW): (volume, node) for every pod that has a nodeName,
 * is not terminated (pod_wants_volumes) and uses a claim that is Bound to
 * an attachable PV (CSI, driver needs attach), on a node the controller
 * knows. A pod on a dead node whose API status still says running keeps
 * its volumes desired until the pod object goes: the control plane cannot
 * tell a dead node from a slow one.
 *
 * Actual state (ASW): per (volume, node) the controller's record built
 * from VolumeAttachment objects (state: attaching, attached, detaching),
 * whether it reports the volume in node.status.volumesAttached, and
 * whether the kubelet reports it mounted (node.status.volumesInUse).
 *
 * Reconciler: upstream loops every 100 ms (attachDetachReconcilePeriod),
 * detaches first, then attaches. Here a change marks its volume dirty and
 * the pass runs at the next point of the 100 ms grid, so operations start
 * when upstream's loop would start them and an idle cluster costs no
 * events; deadlines (back-off after failures, and the force-detach timer
 * of the next stage) wake a volume at their time.
 *
 * Attach: a VolumeAttachment named "csi-" + a hash of (driver, PV, node)
 * is created; the external attacher adds its finalizer, attaches after
 * attachLatency (truth_attach) and sets status.attached; the controller
 * then reports the volume in node.status.volumesAttached and records
 * SuccessfulAttachVolume on the pods. RWO and RWOP volumes (not ROX/RWX)
 * attach to one node at a time: while another node has the volume
 * attached the controller records the Multi-Attach FailedAttachVolume
 * warning once per (volume, node) and waits; while an operation on the
 * volume runs on any node it waits silently, as upstream.
 *
 * Detach: once no pod on the node wants the volume, detach_decision()
 * says whether to wait (the kubelet still lists it in volumesInUse) or
 * detach: remove it from volumesAttached (a synchronous status patch), a
 * live GET of the node to verify it is safe (not in volumesInUse) unless
 * the detach is forced, then delete the VolumeAttachment; the attacher
 * detaches after detachLatency (truth_detach) and removes its finalizer.
 * A volume still mounted is force-detached once maxWaitForUnmount (6 min)
 * has passed since the detach was first requested and the node is not
 * Ready (since 1.25; any node before), unless the scenario sets
 * --disable-force-detach-on-timeout (1.30+); at once when the node has
 * the node.kubernetes.io/out-of-service taint (1.26+ by default). The
 * ground truth then shows a disk detached from a machine that may still
 * have it mounted (truth_detach while truth_mounts > 0) - the hazard a
 * partitioned node's writer runs into.
 *
 * Failed writes (a write answered with an error may also have been
 * applied: a 504 timeout) never leave a stuck state. The node status
 * updater rewrites volumesAttached from the ASW at the end of each pass
 * until a write succeeds. A failed status write before a detach puts the
 * volume back in the report and skips the detach until the next pass (no
 * back-off, as upstream). A failed VolumeAttachment create or delete is
 * retried with the operation executor's back-off; the ASW follows the
 * VolumeAttachment objects, so one that was created or deleted after all
 * is picked up by on_va (a deleting one is no longer reported). A Node
 * object created again gets its volumesAttached written (nodeAdd). The
 * external attacher retries with its back-off and handles the update
 * event of a write that was applied at once.
 *
 * SIMPLIFIED: the DSW populator (a 1-minute check that pods still exist,
 * a 3-minute relist) is replaced by reacting to every pod, claim and PV
 * event, which is what the populator eventually achieves; the ASW is not
 * rebuilt from node.status.volumesAttached at start (VolumeAttachments are
 * adopted instead); the 2-minute timeout of a CSI attach and the periodic
 * "verify attached" sync (60 s) are not modelled.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mutants.h"
#include "rng.h"
#include "storage_int.h"

#define AD_LATENCY_SPREAD 1.5
/* The operation executor's exponential back-off for failed operations. */
#define AD_BACKOFF_BASE SIM_MS(500)
#define AD_BACKOFF_MAX (SIM_MIN(2) + SIM_SEC(2))
/* The external attacher's --retry-interval-start / -max. */
#define ATT_BACKOFF_BASE SIM_SEC(1)
#define ATT_BACKOFF_MAX SIM_MIN(5)

enum ad_state {
  AS_NONE = 0,  /* nothing attached, no operation */
  AS_ATTACHING, /* VolumeAttachment created, not attached yet */
  AS_ATTACHED,  /* status.attached seen */
  AS_DETACHING, /* VolumeAttachment being deleted */
};

struct ad_podref {
  const char *ns, *name;
  uint64_t uid;
};

/* One (volume, node): its desired and actual state. */
struct ad_att {
  const char *node;
  VEC(struct ad_podref) pods; /* DSW: pods on this node wanting it */
  bool multi_reported;        /* the Multi-Attach event was recorded */
  enum ad_state state;
  bool reported;            /* in node.status.volumesAttached */
  bool mounted;             /* in node.status.volumesInUse */
  simtime detach_requested; /* SIMTIME_NEVER = not requested */
  unsigned failures;        /* consecutive failed operations */
  simtime retry_at;         /* back-off: no operation before */
  const char *va;           /* VolumeAttachment name */
};

struct ad_vol {
  const char *pv, *driver, *unique;
  bool multi; /* access modes allow several nodes (ROX, RWX) */
  VEC(struct ad_att) at;
  bool dirty;
  uint64_t wake;
  simtime wake_at;
};

struct ad_pod {
  const char *ns, *name;
  uint64_t uid;
  const char *node;
  VEC(const char *) vols; /* PV names this pod is in the DSW for */
  bool parked;            /* waits in its node's parked list */
};

struct ad_node {
  const char *name;
  bool known;          /* in the controller's node informer */
  bool ready;          /* Ready=True */
  bool out_of_service; /* has the node.kubernetes.io/out-of-service taint */
  bool status_dirty;   /* volumesAttached must be written */
  struct str_list in_use;
  VEC(const char *) vols;       /* PV names with a record on this node */
  VEC(struct stor__key) parked; /* pods waiting for the node to appear */
};

struct ad {
  struct cluster_env env;
  /* mutant MUTANT_AD_MULTI_ATTACH (mutants.h): every volume is treated as
   * multi-attachable, so an RWO volume is attached to a second node
   * without waiting for its detach from the first */
  bool mut_multi_attach;
  struct api *api;
  struct engine *engine;
  struct arena *arena;
  const struct timings *t;
  struct informer *pods, *nodes, *pvcs, *pvs, *vas;
  struct stor__map vols, podrecs, noderecs;
  struct stor__index pods_by_claim;
  VEC(struct ad_vol *) dirty;
  VEC(struct ad_node *) dirty_nodes;
  VEC(struct ad_node *) all_nodes;
  VEC(const char *) scratch;
  uint64_t loop;
  simtime loop_at;
  bool in_loop;
  struct attacher *attacher;
  /* detach rules of the scenario's version and settings (reference 4.8) */
  bool force_healthy_too; /* before 1.25: the timer forces any node */
  bool force_disabled;    /* --disable-force-detach-on-timeout (1.30+) */
  bool out_of_service_on; /* NodeOutOfServiceVolumeDetach (1.26+) */
};

/* The taint of a non-graceful node shutdown (reference 2.7). */
#define TAINT_OUT_OF_SERVICE "node.kubernetes.io/out-of-service"
/* The scenario's name for the kube-controller-manager flag
 * --disable-force-detach-on-timeout: a featureGates entry. */
#define GATE_DISABLE_FORCE_DETACH "DisableForceDetachOnTimeout"

static struct ad_node *node_rec(struct ad *ad, const char *name)
{
  struct ad_node *n = stor__map_get(&ad->noderecs, "", name);

  if (!n) {
    n = xcalloc(1, sizeof(*n));
    n->name = name;
    stor__map_put(&ad->noderecs, "", name, n);
    VEC_PUSH(&ad->all_nodes, n);
  }
  return n;
}

/* --- the loop ------------------------------------------------------------- */

static void loop_run(struct engine *e, uint64_t subject, uint64_t arg,
                     void *ctx);

static void loop_at(struct ad *ad, simtime at)
{
  if (ad->loop && ad->loop_at <= at)
    return;
  if (ad->loop)
    engine_cancel(ad->engine, ad->loop);
  ad->loop_at = at;
  ad->loop = engine_schedule(ad->engine, at, PHASE_CONTROLLER,
                             "attachdetach-reconcile", loop_run, 0, 0, ad);
}

/* A change to act on: the next pass of the 100 ms loop (not this one). */
static void kick(struct ad *ad)
{
  simtime now = engine_now(ad->engine);

  loop_at(ad, stor__grid_at(ad->in_loop ? now + 1 : now,
                            ad->t->v[TIMING_AD_RECONCILE]));
}

static void mark_dirty(struct ad *ad, struct ad_vol *v)
{
  if (!v->dirty) {
    v->dirty = true;
    VEC_PUSH(&ad->dirty, v);
  }
  kick(ad);
}

static void node_dirty(struct ad *ad, struct ad_node *n)
{
  if (!n->status_dirty) {
    n->status_dirty = true;
    VEC_PUSH(&ad->dirty_nodes, n);
  }
  kick(ad);
}

static void wake_fire(struct engine *e, uint64_t subject, uint64_t arg,
                      void *ctx)
{
  struct ad_vol *v = ctx;
  struct ad *ad = (struct ad *)(uintptr_t)arg;

  (void)e;
  (void)subject;
  v->wake = 0;
  mark_dirty(ad, v);
}

/* Reconciles v again at `at` (a deadline: back-off, force detach). */
static void wake_at(struct ad *ad, struct ad_vol *v, simtime at)
{
  if (v->wake && v->wake_at <= at)
    return;
  if (v->wake)
    engine_cancel(ad->engine, v->wake);
  v->wake_at = at;
  v->wake =
      engine_schedule(ad->engine, at, PHASE_CONTROLLER, "attachdetach-wake",
                      wake_fire, 0, (uint64_t)(uintptr_t)ad, v);
}

/* --- records -------------------------------------------------------------- */

static struct ad_vol *vol_get(struct ad *ad, const char *pv)
{
  return stor__map_get(&ad->vols, "", pv);
}

/* IsMultiAttachAllowed: no modes, or ROX or RWX among them. */
static bool multi_allowed(unsigned modes)
{
  return !modes || (modes & (ACCESS_ROX | ACCESS_RWX));
}

static struct ad_vol *vol_make(struct ad *ad, const struct object *pv)
{
  struct ad_vol *v = vol_get(ad, pv->meta.name);
  char buf[512];

  if (v)
    return v;
  v = xcalloc(1, sizeof(*v));
  v->pv = pv->meta.name;
  v->driver = pv->u.pv.spec.csi_driver;
  attachdetach_unique_name(&pv->u.pv, buf, sizeof(buf));
  v->unique = arena_strdup(ad->arena, buf);
  v->multi = multi_allowed(pv->u.pv.spec.access_modes);
  stor__map_put(&ad->vols, "", v->pv, v);
  return v;
}

static struct ad_att *att_get(struct ad_vol *v, const char *node)
{
  for (size_t i = 0; i < v->at.nr; i++)
    if (!strcmp(v->at.v[i].node, node))
      return &v->at.v[i];
  return NULL;
}

static struct ad_att *att_make(struct ad *ad, struct ad_vol *v,
                               const char *node)
{
  struct ad_att *a = att_get(v, node);
  struct ad_att blank = {.node = node, .detach_requested = SIMTIME_NEVER};
  struct ad_node *n;

  if (a)
    return a;
  n = node_rec(ad, node);
  VEC_PUSH(&n->vols, v->pv);
  blank.mounted = stor__str_has(&n->in_use, v->unique);
  VEC_PUSH(&v->at, blank);
  return &v->at.v[v->at.nr - 1];
}

static void att_drop(struct ad *ad, struct ad_vol *v, size_t i)
{
  struct ad_node *n = node_rec(ad, v->at.v[i].node);

  for (size_t j = 0; j < n->vols.nr; j++)
    if (!strcmp(n->vols.v[j], v->pv)) {
      memmove(&n->vols.v[j], &n->vols.v[j + 1],
              (n->vols.nr - j - 1) * sizeof(*n->vols.v));
      n->vols.nr--;
      break;
    }
  free(v->at.v[i].pods.v);
  memmove(&v->at.v[i], &v->at.v[i + 1], (v->at.nr - i - 1) * sizeof(*v->at.v));
  v->at.nr--;
}

static void vol_free(struct ad *ad, struct ad_vol *v)
{
  while (v->at.nr)
    att_drop(ad, v, v->at.nr - 1);
  if (v->wake)
    engine_cancel(ad->engine, v->wake);
  stor__map_del(&ad->vols, "", v->pv);
  free(v->at.v);
  free(v);
}

/* --- the desired state ---------------------------------------------------- */

/*
 * Whether a pod's volumes belong in the DSW (util.DetermineVolumeAction):
 * it has a nodeName and is not terminated, where terminated means phase
 * Failed or Succeeded, or deleting with no container running (all
 * waiting or terminated, or no statuses at all). Node health plays no
 * part: a pod on a NotReady or dead node whose status still says
 * "running" keeps its volumes desired until the pod object is removed
 * (force delete, pod GC); that is what makes a crashed node's volume stay
 * attached (reference 2.4).
 */
static bool pod_wants_volumes(const struct object *pod)
{
  return pod->u.pod.spec.node_name && pod->u.pod.spec.volumes_nr &&
         !stor__pod_terminated(pod);
}

/* The attachable PV behind a pod's claim, or NULL (CreateVolumeSpec). */
static const struct object *claim_volume(struct ad *ad, const char *ns,
                                         const char *claim)
{
  const struct object *c = informer_get(ad->pvcs, ns, claim);
  const struct object *pv;

  if (!c || c->u.pvc.status.phase != PVC_BOUND || !c->u.pvc.spec.volume_name)
    return NULL;
  pv = informer_get(ad->pvs, "", c->u.pvc.spec.volume_name);
  if (!pv || pv->u.pv.spec.claim_ref.uid != c->meta.uid)
    return NULL;
  return attachdetach_volume_attachable(&pv->u.pv) ? pv : NULL;
}

static void att_add_pod(struct ad *ad, const struct object *pv,
                        const struct ad_pod *p)
{
  struct ad_vol *v = vol_make(ad, pv);
  struct ad_att *a = att_make(ad, v, p->node);
  struct ad_podref r = {p->ns, p->name, p->uid};

  VEC_PUSH(&a->pods, r);
  mark_dirty(ad, v);
}

static void att_del_pod(struct ad *ad, const char *pvname,
                        const struct ad_pod *p)
{
  struct ad_vol *v = vol_get(ad, pvname);
  struct ad_att *a = v ? att_get(v, p->node) : NULL;

  if (!a)
    return;
  for (size_t i = 0; i < a->pods.nr; i++)
    if (a->pods.v[i].uid == p->uid) {
      memmove(&a->pods.v[i], &a->pods.v[i + 1],
              (a->pods.nr - i - 1) * sizeof(*a->pods.v));
      a->pods.nr--;
      break;
    }
  /* The DSW entry is gone: its Multi-Attach report resets with it. */
  if (!a->pods.nr)
    a->multi_reported = false;
  mark_dirty(ad, v);
}

static bool has_name(const char *const *v, size_t nr, const char *s)
{
  for (size_t i = 0; i < nr; i++)
    if (!strcmp(v[i], s))
      return true;
  return false;
}

static void unpark(struct ad *ad, const struct ad_pod *p);

static void rec_free(struct ad *ad, struct ad_pod *rec)
{
  unpark(ad, rec);
  stor__map_del(&ad->podrecs, rec->ns, rec->name);
  free(rec->vols.v);
  free(rec);
}

static void unpark(struct ad *ad, const struct ad_pod *p)
{
  struct ad_node *n = stor__map_get(&ad->noderecs, "", p->node);

  if (!p->parked)
    return;
  for (size_t i = 0; n && i < n->parked.nr; i++)
    if (!strcmp(n->parked.v[i].ns, p->ns) &&
        !strcmp(n->parked.v[i].name, p->name)) {
      n->parked.v[i] = n->parked.v[--n->parked.nr];
      return;
    }
}

static void rec_drop(struct ad *ad, struct ad_pod *rec)
{
  for (size_t i = 0; i < rec->vols.nr; i++)
    att_del_pod(ad, rec->vols.v[i], rec);
  rec_free(ad, rec);
}

/*
 * Brings the DSW in line with pod ns/name as the informer has it, as the
 * pod handlers' ProcessPodVolumes: a pod that wants its volumes gets those
 * that resolve to an attachable volume added (a claim not bound yet is
 * retried when its claim or volume changes); one that no longer wants
 * them, or is gone, has all of its entries removed. A volume that stops
 * resolving while the pod still wants it stays desired, as upstream.
 */
static void process_pod(struct ad *ad, const char *ns, const char *name)
{
  const struct object *pod = informer_get(ad->pods, ns, name);
  struct ad_pod *rec = stor__map_get(&ad->podrecs, ns, name);
  const struct pod_spec *sp;
  struct ad_node *n;

  if (rec && (!pod || pod->meta.uid != rec->uid || !pod_wants_volumes(pod))) {
    rec_drop(ad, rec);
    rec = NULL;
  }
  if (!pod || !pod_wants_volumes(pod))
    return;
  sp = &pod->u.pod.spec;
  n = node_rec(ad, sp->node_name);
  if (!rec) {
    rec = xcalloc(1, sizeof(*rec));
    rec->ns = pod->meta.namespace_;
    rec->name = pod->meta.name;
    rec->uid = pod->meta.uid;
    rec->node = sp->node_name;
    stor__map_put(&ad->podrecs, ns, name, rec);
  }
  if (!n->known) {
    /* Not a node this controller manages (yet): wait for it. */
    if (!rec->parked) {
      struct stor__key k = {rec->ns, rec->name};
      VEC_PUSH(&n->parked, k);
      rec->parked = true;
    }
    return;
  }
  for (size_t i = 0; i < sp->volumes_nr; i++) {
    const struct object *pv;
    if (sp->volumes[i].source != VOLSRC_PVC || !sp->volumes[i].claim_name)
      continue;
    pv = claim_volume(ad, ns, sp->volumes[i].claim_name);
    if (!pv || has_name(rec->vols.v, rec->vols.nr, pv->meta.name))
      continue;
    att_add_pod(ad, pv, rec);
    VEC_PUSH(&rec->vols, pv->meta.name);
  }
  if (!rec->vols.nr)
    rec_free(ad, rec);
}

static void process_claim_pods(struct ad *ad, const char *ns, const char *claim)
{
  const struct stor__names *pods =
      stor__index_get(&ad->pods_by_claim, ns, claim);
  size_t nr = pods ? pods->v.nr : 0;
  const char **names;

  if (!nr)
    return;
  /* process_pod does not change the index, but copy to be safe. */
  names = xmalloc(nr * sizeof(*names));
  memcpy(names, pods->v.v, nr * sizeof(*names));
  for (size_t i = 0; i < nr; i++)
    process_pod(ad, ns, names[i]);
  free(names);
}

/* --- events --------------------------------------------------------------- */

static void pod_event(struct ad *ad, const struct ad_podref *r,
                      enum event_type type, const char *reason, const char *msg)
{
  const struct object *pod = informer_get(ad->pods, r->ns, r->name);

  if (pod && pod->meta.uid == r->uid)
    api_record_event(ad->api, AD_CONTROLLER, pod, type, reason, "%s", msg);
}

/* reportMultiAttachError: one message per pod waiting on this node. */
static void report_multi_attach(struct ad *ad, struct ad_vol *v,
                                struct ad_att *a)
{
  VEC(const struct ad_podref *) others = {0};
  char msg[1024];

  for (size_t i = 0; i < v->at.nr; i++) {
    const struct ad_att *o = &v->at.v[i];
    if (o == a || o->state != AS_ATTACHED)
      continue;
    for (size_t j = 0; j < o->pods.nr; j++)
      VEC_PUSH(&others, &o->pods.v[j]);
  }
  for (size_t i = 0; i < a->pods.nr; i++) {
    const struct ad_podref *me = &a->pods.v[i];
    size_t len = 0, local = 0, foreign = 0;
    if (!others.nr) {
      snprintf(msg, sizeof(msg),
               "Multi-Attach error for volume \"%s\" Volume is already "
               "exclusively attached to one node and can't be attached to "
               "another",
               v->pv);
      pod_event(ad, me, EVENT_WARNING, "FailedAttachVolume", msg);
      continue;
    }
    len = (size_t)snprintf(msg, sizeof(msg),
                           "Multi-Attach error for volume \"%s\" Volume is "
                           "already used by ",
                           v->pv);
    for (size_t j = 0; j < others.nr; j++) {
      if (strcmp(others.v[j]->ns, me->ns)) {
        foreign++;
        continue;
      }
      if (len < sizeof(msg))
        len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s",
                                local ? ", " : "pod(s) ", others.v[j]->name);
      local++;
    }
    if (local && foreign && len < sizeof(msg))
      snprintf(msg + len, sizeof(msg) - len,
               " and %zu pod(s) in different namespaces", foreign);
    else if (!local && len < sizeof(msg))
      snprintf(msg + len, sizeof(msg) - len,
               "%zu pod(s) in different namespaces", foreign);
    pod_event(ad, me, EVENT_WARNING, "FailedAttachVolume", msg);
  }
  free(others.v);
  cluster_note(&ad->env, arena_printf(ad->arena, "PersistentVolume/%s", v->pv),
               "MultiAttach", "not attaching to %s: attached to another node",
               a->node);
}

/* --- node status ---------------------------------------------------------- */

struct status_patch {
  struct arena *a;
  const char *const *v; /* scratch: the list wanted */
  size_t nr;
};

static bool same_list(const struct str_list *l, const struct status_patch *p)
{
  if (l->nr != p->nr)
    return false;
  for (size_t i = 0; i < p->nr; i++)
    if (strcmp(l->v[i], p->v[i]))
      return false;
  return true;
}

static bool set_attached(struct object *o, void *ctx)
{
  struct status_patch *p = ctx;

  if (same_list(&o->u.node.volumes_attached, p))
    return false;
  o->u.node.volumes_attached = (struct str_list){
      p->nr ? arena_memdup(p->a, p->v, p->nr * sizeof(*p->v)) : NULL, p->nr};
  return true;
}

/*
 * The node status updater: node.status.volumesAttached becomes the volumes
 * this controller reports attached to the node. A node that is gone is
 * skipped (its status cannot be updated). Returns false on a failed write.
 */
static bool node_status_sync(struct ad *ad, struct ad_node *n)
{
  struct status_patch p = {ad->arena, NULL, 0};
  enum api_status st;

  if (!n->known)
    return true;
  ad->scratch.nr = 0;
  for (size_t i = 0; i < n->vols.nr; i++) {
    struct ad_vol *vol = vol_get(ad, n->vols.v[i]);
    struct ad_att *a = vol ? att_get(vol, n->name) : NULL;
    if (a && a->reported)
      VEC_PUSH(&ad->scratch, vol->unique);
  }
  p.v = ad->scratch.v;
  p.nr = ad->scratch.nr;
  st = api_patch(ad->api, AD_CONTROLLER, KIND_NODE, "", n->name, 0,
                 set_attached, &p, NULL);
  return st == API_OK || st == API_NOT_FOUND;
}

/* --- operations ----------------------------------------------------------- */

static void backoff(struct ad *ad, struct ad_vol *v, struct ad_att *a)
{
  simtime d = AD_BACKOFF_BASE;

  for (unsigned i = 0; i < a->failures && d < AD_BACKOFF_MAX; i++)
    d *= 2;
  if (d > AD_BACKOFF_MAX)
    d = AD_BACKOFF_MAX;
  a->failures++;
  a->retry_at = engine_now(ad->engine) + d;
  wake_at(ad, v, a->retry_at);
}

/* "csi-" + 64 hex digits from (driver, PV, node), as getAttachmentName. */
static const char *va_name(struct ad *ad, const struct ad_vol *v,
                           const char *node)
{
  uint64_t h = sim_fnv1a(SIM_FNV_INIT, v->driver, strlen(v->driver) + 1);
  uint64_t w[4];

  h = sim_fnv1a(h, v->pv, strlen(v->pv) + 1);
  h = sim_fnv1a(h, node, strlen(node));
  for (int i = 0; i < 4; i++)
    w[i] = h = sim_splitmix64(h + (uint64_t)i);
  return arena_printf(
      ad->arena, "csi-%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64,
      w[0], w[1], w[2], w[3]);
}

static void start_attach(struct ad *ad, struct ad_vol *v, struct ad_att *a)
{
  const char *name = va_name(ad, v, a->node);
  const struct object *cur = informer_get(ad->vas, "", name);
  struct object o;
  enum api_status st;
  char msg[512];

  if (cur && meta_is_deleting(&cur->meta)) {
    /* The CSI attacher refuses to reuse an attachment being deleted. */
    snprintf(msg, sizeof(msg),
             "AttachVolume.Attach failed for volume \"%s\" : volume "
             "attachment is being deleted",
             v->pv);
    for (size_t i = 0; i < a->pods.nr; i++)
      pod_event(ad, &a->pods.v[i], EVENT_WARNING, "FailedAttachVolume", msg);
    backoff(ad, v, a);
    return;
  }
  object_init(&o, KIND_VOLUMEATTACHMENT);
  o.meta.name = name;
  o.u.va.attacher = v->driver;
  o.u.va.node_name = a->node;
  o.u.va.pv_name = v->pv;
  st = api_create(ad->api, AD_CONTROLLER, &o, NULL);
  if (st == API_OK || st == API_ALREADY_EXISTS) {
    a->state = AS_ATTACHING;
    a->va = name;
    return;
  }
  snprintf(msg, sizeof(msg),
           "AttachVolume.Attach failed for volume \"%s\" : %s", v->pv,
           api_last_error(ad->api));
  for (size_t i = 0; i < a->pods.nr; i++)
    pod_event(ad, &a->pods.v[i], EVENT_WARNING, "FailedAttachVolume", msg);
  backoff(ad, v, a);
}

static void start_detach(struct ad *ad, struct ad_vol *v, struct ad_att *a,
                         bool forced)
{
  struct ad_node *n = node_rec(ad, a->node);
  const struct object *live;
  enum api_status st;

  /* Not safe to mount any more: out of volumesAttached first
   * (RemoveVolumeFromReportAsAttached, UpdateNodeStatusForNode). */
  a->reported = false;
  if (!node_status_sync(ad, n)) {
    /*
     * The write failed - or timed out after it was applied, so the node
     * may no longer list the volume. As upstream, the volume goes back to
     * the report (AddVolumeToReportAsAttached) and the node status
     * updater at the end of this pass writes it again until a write
     * succeeds; the detach is skipped and tried again at the next pass,
     * with no back-off (this is not an operation of the executor).
     */
    a->reported = true;
    node_dirty(ad, n);
    wake_at(ad, v,
            stor__grid_at(engine_now(ad->engine) + 1,
                          ad->t->v[TIMING_AD_RECONCILE]));
    cluster_note(&ad->env,
                 arena_printf(ad->arena, "PersistentVolume/%s", v->pv),
                 "NodeStatusFailed",
                 "removing it from %s's volumesAttached failed (%s): reported "
                 "again, detach tried at the next pass",
                 a->node, api_last_error(ad->api));
    return;
  }
  if (!forced) {
    /* verifyVolumeIsSafeToDetach: a live GET of the node. */
    live = api_get(ad->api, KIND_NODE, "", a->node);
    if (live && stor__str_has(&live->u.node.volumes_in_use, v->unique)) {
      a->reported = true;
      node_dirty(ad, n);
      backoff(ad, v, a);
      return;
    }
  }
  if (!a->va)
    a->va = va_name(ad, v, a->node);
  st = api_delete(ad->api, AD_CONTROLLER, KIND_VOLUMEATTACHMENT, "", a->va,
                  NULL);
  if (st == API_OK) {
    a->state = AS_DETACHING;
  } else if (st == API_NOT_FOUND) {
    a->state = AS_NONE;
  } else {
    /* DetachVolume failed: back in the report, retried with back-off. A
     * delete that timed out may have been applied: on_va then sees the
     * attachment go. */
    a->reported = true;
    node_dirty(ad, n);
    backoff(ad, v, a);
    cluster_note(
        &ad->env, arena_printf(ad->arena, "PersistentVolume/%s", v->pv),
        "DetachFailed", "deleting VolumeAttachment %s (node %s) failed: %s",
        a->va, a->node, api_last_error(ad->api));
    return;
  }
  a->failures = 0;
  cluster_note(&ad->env, arena_printf(ad->arena, "PersistentVolume/%s", v->pv),
               "Detach", "detaching from %s%s", a->node,
               forced ? " (forced)" : "");
}

enum detach_verdict {
  DETACH_WAIT,  /* still mounted: wait for the kubelet */
  DETACH_NOW,   /* detach, after the safe-to-detach check */
  DETACH_FORCE, /* detach without the safe-to-detach check */
};

/*
 * The reconciler's detach decision for an attached volume that no pod on
 * the node wants any more (reference 4.8, steps 2-6, and 11.4), as
 * upstream's reconcile() takes it:
 *
 *   timeout = now - detach_requested > maxWaitForUnmount (6 min; not
 *             configurable upstream, the timing maxWaitForUnmount here)
 *   expired = timeout, unless --disable-force-detach-on-timeout (1.30+)
 *   force   = expired and the node is unhealthy: Ready is not True, or
 *             the Node object is gone (nodeIsHealthy fails). Before 1.25
 *             any node (PR #110721; its backport to late 1.22-1.24 patch
 *             releases is not modelled: versions before 1.25 behave as
 *             their .0 releases)
 *   oos     = the node has the out-of-service taint, any effect (1.26+)
 *   mounted (in volumesInUse) and neither force nor oos -> wait;
 *   otherwise detach, verifying it is safe only when neither expired
 *   nor oos.
 *
 * The caller recorded the detach request time the first time. *recheck
 * gets the time at which the decision could change without any event
 * (SIMTIME_NEVER if none): just past the 6 minutes while the timer could
 * still force the detach. A node turning Ready or not, or gaining or
 * losing the taint, marks its volumes dirty (on_node), so the decision
 * is taken again; a node that turns unhealthy after the 6 minutes is
 * force-detached at once, as upstream measures from the first request.
 */
static enum detach_verdict detach_decision(struct ad *ad,
                                           const struct ad_vol *v,
                                           const struct ad_att *a,
                                           simtime *recheck)
{
  const struct ad_node *n = stor__map_get(&ad->noderecs, "", a->node);
  simtime max_wait = ad->t->v[TIMING_AD_MAX_WAIT_UNMOUNT];
  simtime elapsed = engine_now(ad->engine) - a->detach_requested;
  bool healthy = n && n->known && n->ready;
  bool oos = ad->out_of_service_on && n && n->known && n->out_of_service;
  bool can_force = !ad->force_disabled && (!healthy || ad->force_healthy_too);
  bool expired = elapsed > max_wait && !ad->force_disabled;
  bool force = expired && can_force;
  const char *obj = arena_printf(ad->arena, "PersistentVolume/%s", v->pv);
  char wait[32];

  *recheck = SIMTIME_NEVER;
  sim_format_duration(max_wait, wait, sizeof(wait));
  if (a->mounted && !force && !oos) {
    if (can_force && elapsed <= max_wait)
      *recheck = a->detach_requested + max_wait + 1;
    cluster_note(&ad->env, obj, "WaitForUnmount",
                 "%s still lists it in volumesInUse (node %s%s)", a->node,
                 healthy ? "Ready" : "not Ready",
                 can_force ? "" : "; no force detach on timeout");
    return DETACH_WAIT;
  }
  if (oos)
    cluster_note(&ad->env, obj, "OutOfServiceDetach",
                 "node %s has the %s taint: detaching without waiting for "
                 "the unmount%s",
                 a->node, TAINT_OUT_OF_SERVICE,
                 a->mounted ? " (still in volumesInUse)" : "");
  else if (force && a->mounted)
    cluster_note(&ad->env, obj, "ForceDetach",
                 "node %s is %s and maxWaitForUnmount (%s) expired: force "
                 "detaching although it still lists it in volumesInUse",
                 a->node, n && n->known ? "not Ready" : "gone", wait);
  return expired || oos ? DETACH_FORCE : DETACH_NOW;
}

/* One reconciler pass over a volume: detaches first, then attaches. */
static void reconcile(struct ad *ad, struct ad_vol *v)
{
  simtime now = engine_now(ad->engine), recheck;

  for (size_t i = 0; i < v->at.nr; i++) {
    struct ad_att *a = &v->at.v[i];
    enum detach_verdict d;
    if (a->pods.nr || a->state != AS_ATTACHED)
      continue;
    if (a->retry_at > now) {
      wake_at(ad, v, a->retry_at);
      continue;
    }
    if (a->detach_requested == SIMTIME_NEVER)
      a->detach_requested = now;
    d = detach_decision(ad, v, a, &recheck);
    if (d == DETACH_WAIT) {
      if (recheck != SIMTIME_NEVER)
        wake_at(ad, v, recheck);
      continue;
    }
    start_detach(ad, v, a, d == DETACH_FORCE);
  }
  for (size_t i = 0; i < v->at.nr; i++) {
    struct ad_att *a = &v->at.v[i];
    bool busy = false, taken = false;
    if (a->pods.nr && a->state == AS_ATTACHED)
      a->detach_requested = SIMTIME_NEVER; /* ResetDetachRequestTime */
    if (!a->pods.nr || a->state != AS_NONE)
      continue;
    if (a->retry_at > now) {
      wake_at(ad, v, a->retry_at);
      continue;
    }
    if (!v->multi && !ad->mut_multi_attach) {
      for (size_t j = 0; j < v->at.nr; j++) {
        if (j == i)
          continue;
        busy |= v->at.v[j].state == AS_ATTACHING ||
                v->at.v[j].state == AS_DETACHING;
        taken |= v->at.v[j].state == AS_ATTACHED;
      }
      if (busy)
        continue; /* an operation on the volume is pending */
      if (taken) {
        if (!a->multi_reported) {
          report_multi_attach(ad, v, a);
          a->multi_reported = true;
        }
        continue;
      }
    }
    start_attach(ad, v, a);
  }
  for (size_t i = v->at.nr; i-- > 0;) {
    const struct ad_att *a = &v->at.v[i];
    if (!a->pods.nr && a->state == AS_NONE && !a->reported)
      att_drop(ad, v, i);
  }
  if (!v->at.nr)
    vol_free(ad, v);
}

static bool synced(const struct ad *ad)
{
  return informer_synced(ad->pods) && informer_synced(ad->nodes) &&
         informer_synced(ad->pvcs) && informer_synced(ad->pvs) &&
         informer_synced(ad->vas);
}

static void loop_run(struct engine *e, uint64_t subject, uint64_t arg,
                     void *ctx)
{
  struct ad *ad = ctx;
  size_t failed = 0;

  (void)subject;
  (void)arg;
  ad->loop = 0;
  if (!synced(ad)) {
    /* WaitForCacheSync before the first pass. */
    loop_at(ad, engine_now(e) + ad->t->v[TIMING_WATCH_DELAY] + 1);
    return;
  }
  ad->in_loop = true;
  for (size_t i = 0; i < ad->dirty.nr; i++) {
    struct ad_vol *v = ad->dirty.v[i];
    v->dirty = false;
    reconcile(ad, v);
  }
  ad->dirty.nr = 0;
  for (size_t i = 0; i < ad->dirty_nodes.nr; i++) {
    struct ad_node *n = ad->dirty_nodes.v[i];
    if (node_status_sync(ad, n))
      n->status_dirty = false;
    else
      ad->dirty_nodes.v[failed++] = n; /* the next pass retries */
  }
  ad->dirty_nodes.nr = failed;
  if (failed)
    kick(ad);
  ad->in_loop = false;
}

/* --- informer handlers ---------------------------------------------------- */

static void on_pod(struct informer *inf, enum watch_type t,
                   const struct object *old, const struct object *now,
                   void *ctx)
{
  struct ad *ad = ctx;
  const struct pod_spec *sp = &now->u.pod.spec;

  (void)inf;
  (void)old;
  for (size_t i = 0; i < sp->volumes_nr; i++) {
    if (sp->volumes[i].source != VOLSRC_PVC || !sp->volumes[i].claim_name)
      continue;
    if (t == WATCH_DELETED)
      stor__index_del(&ad->pods_by_claim, now->meta.namespace_,
                      sp->volumes[i].claim_name, now->meta.name);
    else
      stor__index_add(&ad->pods_by_claim, now->meta.namespace_,
                      sp->volumes[i].claim_name, now->meta.name);
  }
  process_pod(ad, now->meta.namespace_, now->meta.name);
}

static void on_claim(struct informer *inf, enum watch_type t,
                     const struct object *old, const struct object *now,
                     void *ctx)
{
  (void)inf;
  (void)old;
  if (t != WATCH_DELETED)
    process_claim_pods(ctx, now->meta.namespace_, now->meta.name);
}

static void on_volume(struct informer *inf, enum watch_type t,
                      const struct object *old, const struct object *now,
                      void *ctx)
{
  const struct claim_ref *r = &now->u.pv.spec.claim_ref;

  (void)inf;
  (void)old;
  if (t != WATCH_DELETED && r->name)
    process_claim_pods(ctx, stor__ref_ns(r), r->name);
}

static void on_node(struct informer *inf, enum watch_type t,
                    const struct object *old, const struct object *now,
                    void *ctx)
{
  struct ad *ad = ctx;
  struct ad_node *n = node_rec(ad, now->meta.name);
  bool was_known = n->known, was_ready = n->ready;
  bool was_oos = n->out_of_service;

  (void)inf;
  (void)old;
  n->known = t != WATCH_DELETED;
  n->ready = n->known && now->u.node.ready.status == COND_TRUE;
  n->out_of_service = false;
  for (size_t i = 0; n->known && i < now->u.node.taints_nr; i++)
    if (!strcmp(now->u.node.taints[i].key, TAINT_OUT_OF_SERVICE))
      n->out_of_service = true;
  /* processVolumesInUse: a deleted node's last list stays (reference 2.8). */
  n->in_use = now->u.node.volumes_in_use;
  for (size_t i = 0; i < n->vols.nr; i++) {
    struct ad_vol *v = vol_get(ad, n->vols.v[i]);
    struct ad_att *a = v ? att_get(v, n->name) : NULL;
    bool m;
    if (!a)
      continue;
    m = stor__str_has(&n->in_use, v->unique);
    if (m != a->mounted || was_ready != n->ready || was_known != n->known ||
        was_oos != n->out_of_service) {
      a->mounted = m;
      mark_dirty(ad, v);
    }
  }
  if (n->known && !was_known) {
    /* A Node object created again starts with no volumesAttached: write
     * what is attached (SetNodeStatusUpdateNeeded in nodeAdd, issue
     * #37586). Nothing to write for a node with no volumes. */
    if (n->vols.nr)
      node_dirty(ad, n);
    /* Pods that were waiting for this node to be managed. */
    size_t nr = n->parked.nr;
    struct stor__key *keys = xmalloc((nr ? nr : 1) * sizeof(*keys));
    if (nr)
      memcpy(keys, n->parked.v, nr * sizeof(*keys));
    n->parked.nr = 0;
    for (size_t i = 0; i < nr; i++) {
      struct ad_pod *rec =
          stor__map_get(&ad->podrecs, keys[i].ns, keys[i].name);
      if (rec)
        rec->parked = false;
      process_pod(ad, keys[i].ns, keys[i].name);
    }
    free(keys);
  }
}

static void on_va(struct informer *inf, enum watch_type t,
                  const struct object *old, const struct object *now, void *ctx)
{
  struct ad *ad = ctx;
  const struct volume_attachment *va = &now->u.va;
  struct ad_vol *v = va->pv_name ? vol_get(ad, va->pv_name) : NULL;
  struct ad_att *a;
  char msg[512];

  (void)inf;
  (void)old;
  if (!va->pv_name || !va->node_name)
    return;
  if (!v) {
    const struct object *pv;
    if (t == WATCH_DELETED)
      return;
    /* An attachment this controller did not create: adopt it. */
    pv = informer_get(ad->pvs, "", va->pv_name);
    if (!pv || !attachdetach_volume_attachable(&pv->u.pv))
      return;
    v = vol_make(ad, pv);
  }
  a = att_make(ad, v, va->node_name);
  if (t == WATCH_DELETED) {
    if (a->va && strcmp(a->va, now->meta.name))
      return; /* an older attachment of the same pair */
    if (a->reported)
      node_dirty(ad, node_rec(ad, a->node));
    a->state = AS_NONE;
    a->reported = false;
    a->detach_requested = SIMTIME_NEVER;
    a->va = NULL;
  } else if (meta_is_deleting(&now->meta)) {
    /*
     * Detaching. The delete may have answered an error and still been
     * applied (a timeout): start_detach then put the volume back in
     * volumesAttached. Upstream's next pass takes it out again before it
     * repeats the delete (a detach in flight is never reported); here the
     * deleting attachment itself says the detach runs.
     */
    if (a->reported) {
      a->reported = false;
      node_dirty(ad, node_rec(ad, a->node));
    }
    a->state = AS_DETACHING;
    a->va = now->meta.name;
  } else if (va->attached) {
    if (a->state == AS_ATTACHING) {
      snprintf(msg, sizeof(msg),
               "AttachVolume.Attach succeeded for volume \"%s\"", v->pv);
      for (size_t i = 0; i < a->pods.nr; i++)
        pod_event(ad, &a->pods.v[i], EVENT_NORMAL, "SuccessfulAttachVolume",
                  msg);
      cluster_note(&ad->env,
                   arena_printf(ad->arena, "PersistentVolume/%s", v->pv),
                   "Attached", "attached to %s", a->node);
    }
    if (a->state != AS_ATTACHED) {
      a->state = AS_ATTACHED;
      a->failures = 0;
      a->reported = true;
      a->va = now->meta.name;
      node_dirty(ad, node_rec(ad, a->node));
    }
  } else if (a->state == AS_NONE) {
    a->state = AS_ATTACHING;
    a->va = now->meta.name;
  }
  mark_dirty(ad, v);
}

/* --- the external CSI attacher -------------------------------------------- */

/*
 * external-attacher: for each VolumeAttachment of a CSI driver it adds its
 * finalizer, calls ControllerPublish (attachLatency, lognormal, spread
 * 1.5) - the disk is then attached to the machine (truth_attach) - and
 * sets status.attached. For a deleting attachment it calls
 * ControllerUnpublish (detachLatency; truth_detach) and removes its
 * finalizer, which lets the object go. The cloud attaches and detaches
 * whatever the node's health: a crashed or partitioned machine still
 * gets or loses the disk. Failed writes are retried with its back-off
 * (1 s doubling to 5 min).
 */

enum att_phase {
  ATT_IDLE = 0,
  ATT_PUBLISHING,
  ATT_UNPUBLISHING,
};

struct att_op {
  const char *va, *pv, *node;
  enum att_phase phase;
  bool published; /* the disk is attached by us */
  uint64_t handle;
  unsigned failures;
};

struct attacher {
  struct ad *ad;
  struct informer *vas;
  gsl_rng *rng;
  struct stor__map ops; /* VA name -> struct att_op */
};

static void att_process(struct attacher *at, const char *name);

static const char *att_finalizer(struct ad *ad, const char *driver)
{
  char *f = arena_printf(ad->arena, "external-attacher/%s", driver);

  for (char *p = f + strlen("external-attacher/"); *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '-'))
      *p = '-';
  return f;
}

struct fin_edit {
  struct arena *a;
  const char *fin;
  bool add;
};

static bool edit_finalizer(struct object *o, void *ctx)
{
  struct fin_edit *f = ctx;
  bool has = stor__str_has(&o->meta.finalizers, f->fin);

  if (has == f->add)
    return false;
  o->meta.finalizers = f->add ? stor__str_add(f->a, o->meta.finalizers, f->fin)
                              : stor__str_del(f->a, o->meta.finalizers, f->fin);
  return true;
}

static bool set_va_attached(struct object *o, void *ctx)
{
  (void)ctx;
  if (o->u.va.attached || meta_is_deleting(&o->meta))
    return false;
  o->u.va.attached = true;
  return true;
}

static void att_timer(struct engine *e, uint64_t subject, uint64_t arg,
                      void *ctx);

static void att_later(struct attacher *at, struct att_op *op, simtime d)
{
  op->handle = engine_schedule(at->ad->engine, engine_now(at->ad->engine) + d,
                               PHASE_CONTROLLER, "csi-attacher", att_timer, 0,
                               (uint64_t)(uintptr_t)at, op);
}

static void att_retry(struct attacher *at, struct att_op *op)
{
  simtime d = ATT_BACKOFF_BASE;

  for (unsigned i = 0; i < op->failures && d < ATT_BACKOFF_MAX; i++)
    d *= 2;
  if (d > ATT_BACKOFF_MAX)
    d = ATT_BACKOFF_MAX;
  op->failures++;
  att_later(at, op, d);
}

static void att_timer(struct engine *e, uint64_t subject, uint64_t arg,
                      void *ctx)
{
  struct att_op *op = ctx;
  struct attacher *at = (struct attacher *)(uintptr_t)arg;
  struct ad *ad = at->ad;

  (void)e;
  (void)subject;
  op->handle = 0;
  if (op->phase == ATT_PUBLISHING) {
    truth_attach(ad->env.truth, op->pv, op->node);
    op->published = true;
  } else if (op->phase == ATT_UNPUBLISHING) {
    truth_detach(ad->env.truth, op->pv, op->node);
    op->published = false;
  }
  op->phase = ATT_IDLE;
  att_process(at, op->va);
}

static void att_process(struct attacher *at, const char *name)
{
  struct ad *ad = at->ad;
  const struct object *va = informer_get(at->vas, "", name);
  struct att_op *op = stor__map_get(&at->ops, "", name);
  struct fin_edit fe;
  enum api_status st;

  if (op && (op->phase != ATT_IDLE || op->handle))
    return; /* a call to the driver or a retry is pending */
  if (!va) {
    if (op) {
      stor__map_del(&at->ops, "", name);
      free(op);
    }
    return;
  }
  if (!op) {
    if (meta_is_deleting(&va->meta) || va->u.va.attached)
      if (!stor__str_has(&va->meta.finalizers,
                         att_finalizer(ad, va->u.va.attacher)))
        return; /* not ours to handle */
    op = xcalloc(1, sizeof(*op));
    op->va = va->meta.name;
    op->pv = va->u.va.pv_name;
    op->node = va->u.va.node_name;
    op->published = va->u.va.attached;
    stor__map_put(&at->ops, "", op->va, op);
  }
  fe =
      (struct fin_edit){ad->arena, att_finalizer(ad, va->u.va.attacher), false};
  if (meta_is_deleting(&va->meta)) {
    if (op->published) {
      op->phase = ATT_UNPUBLISHING;
      att_later(at, op,
                rng_lognormal(at->rng, ad->t->v[TIMING_DETACH_LATENCY],
                              AD_LATENCY_SPREAD));
      return;
    }
    st = api_patch(ad->api, CSI_ATTACHER, KIND_VOLUMEATTACHMENT, "", name,
                   va->meta.uid, edit_finalizer, &fe, NULL);
    if (st != API_OK && st != API_NOT_FOUND)
      att_retry(at, op);
    return;
  }
  if (va->u.va.attached)
    return;
  if (op->published) {
    /* Attached, but the status write failed: write it again. */
    st = api_patch(ad->api, CSI_ATTACHER, KIND_VOLUMEATTACHMENT, "", name,
                   va->meta.uid, set_va_attached, NULL, NULL);
    if (st != API_OK && st != API_NOT_FOUND)
      att_retry(at, op);
    else
      op->failures = 0;
    return;
  }
  fe.add = true;
  st = api_patch(ad->api, CSI_ATTACHER, KIND_VOLUMEATTACHMENT, "", name,
                 va->meta.uid, edit_finalizer, &fe, NULL);
  if (st != API_OK) {
    /* A finalizer patch that timed out may have been applied: the retry
     * finds the finalizer there (a no-op patch) and goes on. */
    if (st != API_NOT_FOUND && st != API_INVALID)
      att_retry(at, op);
    return;
  }
  op->failures = 0; /* the work queue's Forget */
  op->phase = ATT_PUBLISHING;
  att_later(at, op,
            rng_lognormal(at->rng, ad->t->v[TIMING_ATTACH_LATENCY],
                          AD_LATENCY_SPREAD));
}

static void att_on_va(struct informer *inf, enum watch_type t,
                      const struct object *old, const struct object *now,
                      void *ctx)
{
  struct attacher *at = ctx;
  struct att_op *op = stor__map_get(&at->ops, "", now->meta.name);

  (void)inf;
  (void)t;
  (void)old;
  /* An event is handled at once, also while a retry waits: the work
   * queue's Add does not wait for the rate limiter's delay (the failure
   * count stays until a sync succeeds). A write that timed out after it
   * was applied is seen here and the work goes on. */
  if (op && op->phase == ATT_IDLE && op->handle) {
    engine_cancel(at->ad->engine, op->handle);
    op->handle = 0;
  }
  att_process(at, now->meta.name);
}

static struct attacher *attacher_start(struct ad *ad)
{
  struct attacher *at = xcalloc(1, sizeof(*at));

  at->ad = ad;
  at->rng = rng_stream_new(ad->env.seed, RNG_STORAGE, 1);
  at->vas = informer_new(ad->api, KIND_VOLUMEATTACHMENT, CSI_ATTACHER,
                         ad->t->v[TIMING_WATCH_DELAY]);
  informer_add_handler(at->vas, att_on_va, at);
  return at;
}

static void attacher_stop(struct attacher *at)
{
  for (size_t i = 0; i < at->ops.cap; i++) {
    struct att_op *op = at->ops.slots[i].val;
    if (!at->ops.slots[i].ns)
      continue;
    if (op->handle)
      engine_cancel(at->ad->engine, op->handle);
    free(op);
  }
  stor__map_release(&at->ops);
  rng_free(at->rng);
  free(at);
}

/* --- entry points --------------------------------------------------------- */

static struct informer *ad_informer(struct ad *ad, enum obj_kind k,
                                    informer_handler_fn *fn)
{
  struct informer *inf =
      informer_new(ad->api, k, AD_CONTROLLER, ad->t->v[TIMING_WATCH_DELAY]);

  informer_add_handler(inf, fn, ad);
  return inf;
}

void *attachdetach_start(const struct cluster_env *env)
{
  struct ad *ad = xcalloc(1, sizeof(*ad));

  ad->env = *env;
  ad->api = env->api;
  ad->engine = api_engine(env->api);
  ad->arena = api_arena(env->api);
  ad->t = &env->s->timings;
  ad->mut_multi_attach = mutant_on(env->mutant, MUTANT_AD_MULTI_ATTACH);
  ad->force_healthy_too = env->s->kubernetes_minor < 25;
  ad->force_disabled =
      env->s->kubernetes_minor >= 30 &&
      scenario_feature_enabled(env->s, GATE_DISABLE_FORCE_DETACH);
  ad->out_of_service_on =
      env->s->kubernetes_minor >= 26 ||
      scenario_feature_enabled(env->s, "NodeOutOfServiceVolumeDetach");
  ad->nodes = ad_informer(ad, KIND_NODE, on_node);
  ad->pvs = ad_informer(ad, KIND_PV, on_volume);
  ad->pvcs = ad_informer(ad, KIND_PVC, on_claim);
  ad->vas = ad_informer(ad, KIND_VOLUMEATTACHMENT, on_va);
  ad->pods = ad_informer(ad, KIND_POD, on_pod);
  ad->attacher = attacher_start(ad);
  return ad;
}

void attachdetach_stop(void *state)
{
  struct ad *ad = state;

  if (!ad)
    return;
  attacher_stop(ad->attacher);
  if (ad->loop)
    engine_cancel(ad->engine, ad->loop);
  for (size_t i = 0; i < ad->vols.cap; i++)
    if (ad->vols.slots[i].ns) {
      struct ad_vol *v = ad->vols.slots[i].val;
      if (v->wake)
        engine_cancel(ad->engine, v->wake);
      for (size_t j = 0; j < v->at.nr; j++)
        free(v->at.v[j].pods.v);
      free(v->at.v);
      free(v);
    }
  for (size_t i = 0; i < ad->podrecs.cap; i++)
    if (ad->podrecs.slots[i].ns) {
      struct ad_pod *p = ad->podrecs.slots[i].val;
      free(p->vols.v);
      free(p);
    }
  for (size_t i = 0; i < ad->all_nodes.nr; i++) {
    free(ad->all_nodes.v[i]->vols.v);
    free(ad->all_nodes.v[i]->parked.v);
    free(ad->all_nodes.v[i]);
  }
  free(ad->all_nodes.v);
  stor__map_release(&ad->vols);
  stor__map_release(&ad->podrecs);
  stor__map_release(&ad->noderecs);
  stor__index_release(&ad->pods_by_claim);
  free(ad->dirty.v);
  free(ad->dirty_nodes.v);
  free(ad->scratch.v);
  free(ad);
}
