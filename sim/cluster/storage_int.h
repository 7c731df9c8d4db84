/*
 * storage_int.h - internals shared by the storage files (storage.c,
 * storage_pvctl.c, storage_protect.c, storage_prov.c) and the
 * attach/detach controller (attachdetach.c): the component state, small
 * lookup structures keyed by (namespace, name), copy-on-write helpers for
 * annotations and finalizers, and the facts about CSI drivers.
 *
 * Ownership: keys and names stored in these structures are pointers into
 * object versions, whose strings live in the run's arena for the whole
 * run; nothing here copies them. Maps are for lookup only: nothing
 * iterates a map in hash order (D4); ordered iteration goes through the
 * vectors of stor__set and stor__queue.
 */
#ifndef SIM_STORAGE_INT_H
#define SIM_STORAGE_INT_H

#include <gsl/gsl_rng.h>

#include "cluster.h"

/* --- names Kubernetes uses ------------------------------------------------ */

#define ANN_BIND_COMPLETED "pv.kubernetes.io/bind-completed"
#define ANN_BOUND_BY_CONTROLLER "pv.kubernetes.io/bound-by-controller"
#define ANN_PROVISIONED_BY "pv.kubernetes.io/provisioned-by"
#define ANN_STORAGE_PROVISIONER "volume.kubernetes.io/storage-provisioner"
#define ANN_BETA_STORAGE_PROVISIONER                                           \
  "volume.beta.kubernetes.io/storage-provisioner"
#define ANN_SELECTED_NODE "volume.kubernetes.io/selected-node"
#define ANN_BETA_STORAGE_CLASS "volume.beta.kubernetes.io/storage-class"
#define ANN_BETA_DEFAULT_STORAGE_CLASS                                         \
  "storageclass.beta.kubernetes.io/is-default-class"

#define FIN_PVC_PROTECTION "kubernetes.io/pvc-protection"
#define FIN_PV_PROTECTION "kubernetes.io/pv-protection"
#define FIN_PROVISIONER "external-provisioner.volume.kubernetes.io/finalizer"

#define LABEL_ZONE "topology.kubernetes.io/zone"
#define NO_PROVISIONER "kubernetes.io/no-provisioner"

/* Reporting components and API clients. */
#define PV_CONTROLLER "persistentvolume-controller"
#define PVC_PROTECTION "pvc-protection-controller"
#define PV_PROTECTION "pv-protection-controller"
#define CSI_PROVISIONER "csi-provisioner"
#define AD_CONTROLLER "attachdetach-controller"
#define CSI_ATTACHER "csi-attacher"

/* --- a map keyed by (namespace, name) ------------------------------------- */

struct stor__slot {
  uint64_t hash;
  const char *ns, *name; /* ns NULL = empty slot */
  void *val;
};

/* Open addressing with linear probing and backward-shift deletion. */
struct stor__map {
  struct stor__slot *slots;
  size_t cap, nr;
};

void *stor__map_get(const struct stor__map *m, const char *ns,
                    const char *name);
/* Inserts or replaces; val must not be NULL. */
void stor__map_put(struct stor__map *m, const char *ns, const char *name,
                   void *val);
/* Removes the key; returns its value or NULL. */
void *stor__map_del(struct stor__map *m, const char *ns, const char *name);
void stor__map_release(struct stor__map *m);

struct stor__key {
  const char *ns, *name;
};

/* A set of keys; iteration order is a function of the history of adds
 * and removes (never of hashes). */
struct stor__set {
  VEC(struct stor__key) v;
  struct stor__map pos; /* key -> index + 1 */
};

bool stor__set_has(const struct stor__set *s, const char *ns, const char *name);
bool stor__set_add(struct stor__set *s, const char *ns, const char *name);
bool stor__set_del(struct stor__set *s, const char *ns, const char *name);
void stor__set_release(struct stor__set *s);

/* A FIFO work queue that holds a key at most once (client-go workqueue). */
struct stor__queue {
  VEC(struct stor__key) v;
  size_t head;
  struct stor__map in;
};

bool stor__queue_push(struct stor__queue *q, const char *ns, const char *name);
bool stor__queue_pop(struct stor__queue *q, struct stor__key *out);
bool stor__queue_empty(const struct stor__queue *q);
void stor__queue_release(struct stor__queue *q);

/* key -> a small list of names (an informer index such as pods by claim). */
struct stor__names {
  VEC(const char *) v;
};

struct stor__index {
  struct stor__map map; /* key -> struct stor__names * */
};

void stor__index_add(struct stor__index *ix, const char *ns, const char *key,
                     const char *name);
void stor__index_del(struct stor__index *ix, const char *ns, const char *key,
                     const char *name);
/* The names under key, or NULL. */
const struct stor__names *stor__index_get(const struct stor__index *ix,
                                          const char *ns, const char *key);
void stor__index_release(struct stor__index *ix);

/* --- copy-on-write edits of object fields --------------------------------- */

bool stor__str_has(const struct str_list *l, const char *s);
/* New arrays (arena) with s added / removed; l itself is never written. */
struct str_list stor__str_add(struct arena *a, struct str_list l,
                              const char *s);
struct str_list stor__str_del(struct arena *a, struct str_list l,
                              const char *s);
struct kv_list stor__kv_set(struct arena *a, struct kv_list l, const char *k,
                            const char *v);
struct kv_list stor__kv_del(struct arena *a, struct kv_list l, const char *k);

/* --- Kubernetes helpers --------------------------------------------------- */

/* GetPersistentVolumeClaimClass: the beta annotation, else the field; "" for
 * none (nil and "" alike). */
const char *stor__claim_class(const struct object *pvc);
/* PersistentVolumeClaimHasClass: annotation or a non-nil field. */
bool stor__claim_has_class(const struct object *pvc);
/* A claimRef's namespace ("default" when unset). */
const char *stor__ref_ns(const struct claim_ref *r);
/* GetPersistentVolumeClass: "" for none. */
const char *stor__pv_class(const struct object *pv);
/* Whether the class is a default one (GA or beta annotation "true"). */
bool stor__class_is_default(const struct object *sc);

/*
 * volumeutil.IsPodTerminated: phase Failed or Succeeded, or deleting with
 * no container running (all waiting or terminated, or no statuses).
 */
bool stor__pod_terminated(const struct object *pod);
/* Whether pod spec.volumes references claim `name`. */
bool stor__pod_uses_claim(const struct object *pod, const char *name);

/* A UUID-shaped string derived from uid (deterministic), into out[37]. */
void stor__uuid(uint64_t uid, char out[37]);

/* "pvc-<uuid>": the name of the volume provisioned for a claim (arena). */
const char *stor__provisioned_name(struct arena *a, uint64_t claim_uid);

/*
 * Facts about CSI drivers that Kubernetes learns from CSIDriver objects
 * and the drivers' topology, which stsim does not model as objects. Block
 * disk drivers (GCE PD, EBS, Azure Disk, vSphere, stsim's own
 * disk.csi.stsim.io) are attachable and zonal; file drivers (NFS, EFS,
 * Azure File, Filestore, file.csi.stsim.io) need no attach and are
 * reachable from every zone. An unknown driver is attachable (no CSIDriver
 * object means attachRequired) and not zonal.
 */
bool stor__driver_attachable(const char *driver);
bool stor__driver_zonal(const char *driver);
/* CSI migration: the CSI name of an in-tree provisioner, else p itself. */
const char *stor__csi_name(const char *provisioner);

/* The next point of a period grid (multiples of period from 0) >= t. */
simtime stor__grid_at(simtime t, simtime period);

/* --- the storage component (storage*.c) ----------------------------------- */

struct storage;
struct storage__retry_ctx;

/* One work queue and its worker (one goroutine upstream). */
struct stor__worker {
  struct stor__queue q;
  simtime busy_until; /* the next item may start then */
  uint64_t handle;    /* scheduled run, or 0 */
  simtime handle_at;
  const char *kind;                  /* trace name of the run event */
  simtime backoff_base, backoff_max; /* per-item retry back-off */
  struct stor__map fails;            /* key -> consecutive failures */
  /* Handles one key; counts its API requests in storage.requests. */
  void (*sync)(struct storage *s, const char *ns, const char *name);
};

/* Why an unbound claim waits for the controller's periodic resync. */
enum stor_wait {
  WAIT_VOLUME = 1 << 0, /* a new or changed PV may match it */
  WAIT_CLASS = 1 << 1,  /* a (default) class may appear */
  WAIT_POD = 1 << 2,    /* the WaitForPodScheduled text may change */
  WAIT_RETRY = 1 << 3,  /* a write failed: retry at the next resync */
};
#define STOR_WAIT_KINDS 4

/* One provisioning operation of the external provisioner. */
struct stor__prov_op {
  const char *ns, *name; /* the claim */
  uint64_t claim_uid;
  const struct object *claim; /* the version it started from */
  const struct object *pv;    /* the volume to create */
  uint64_t handle;            /* completion or retry timer */
  int tries;
};

struct storage {
  struct cluster_env env;
  struct api *api;
  struct engine *engine;
  struct arena *arena;
  const struct timings *t;
  gsl_rng *rng; /* RNG_STORAGE, index 0 */
  int minor;    /* Kubernetes 1.<minor> */
  int requests; /* API requests of the sync running now */

  /* kube-controller-manager's shared informers (PV controller and the
   * two protection controllers) */
  struct informer *pvcs, *pvs, *classes, *pods, *nodes;

  /* PV controller */
  struct stor__map claim_ov, volume_ov; /* own writes not yet seen back */
  struct stor__set unclaimed;           /* PVs without claimRef */
  struct stor__index by_claim;          /* (ns, claim) -> PV names */
  struct stor__index pods_by_claim;     /* (ns, claim) -> pod names */
  struct stor__worker claim_w, volume_w;
  struct stor__map waiting; /* (ns, claim) -> enum stor_wait bits */
  struct stor__set waiting_keys;
  size_t wait_nr[STOR_WAIT_KINDS]; /* claims per reason (bit index) */
  struct stor__set retry_volumes;  /* volumes to re-sync at the resync */
  uint64_t resync_handle;
  simtime resync_at;
  VEC(const struct object *) scratch;       /* candidate volumes */
  VEC(struct storage__retry_ctx *) retries; /* pending back-off retries */

  /* protection controllers */
  struct stor__worker pvc_prot_w, pv_prot_w;

  /* the external CSI provisioner (its own informers) */
  struct informer *p_pvcs, *p_pvs, *p_classes, *p_nodes;
  struct stor__worker prov_w, prov_del_w;
  struct stor__map prov_ops;  /* claim (ns, name) -> running op */
  struct stor__map prov_done; /* claim (ns, name) -> uid provisioned */
};

/* Queues key on w and makes sure its run is scheduled. */
void storage__enqueue(struct storage *s, struct stor__worker *w, const char *ns,
                      const char *name);

void storage__worker_init(struct stor__worker *w, const char *kind,
                          void (*sync)(struct storage *, const char *,
                                       const char *),
                          simtime backoff_base, simtime backoff_max);
void storage__worker_release(struct storage *s, struct stor__worker *w);

/* Retries key on w after its per-item back-off (base doubling to max). */
void storage__retry(struct storage *s, struct stor__worker *w, const char *ns,
                    const char *name);
/* Clears key's failure count on w. */
void storage__forget(struct stor__worker *w, const char *ns, const char *name);

/* Latest known claim / volume: the informer or a newer own write. */
const struct object *storage__claim(struct storage *s, const char *ns,
                                    const char *name);
const struct object *storage__volume(struct storage *s, const char *name);

/* Writes that count toward the sync's API time and feed the overlay. */
enum api_status storage__update(struct storage *s, const char *who,
                                const struct object *in, bool status,
                                const struct object **out);

/* Marks a claim as waiting for a resync (bits of enum stor_wait). */
void storage__wait(struct storage *s, const struct object *claim, unsigned why);
/* A volume sync failed to write: sync it again at the next resync. */
void storage__retry_volume(struct storage *s, const char *name);
/* The claim is being synced: it no longer waits. */
void storage__unwait(struct storage *s, const char *ns, const char *name);
/* Records an event through the API server (source: the component). */
#define storage__event(s, src, o, type, reason, ...)                           \
  api_record_event((s)->api, (src), (o), (type), (reason), __VA_ARGS__)
/* A change of kind `why` happened: resync the claims waiting for it. */
void storage__trigger(struct storage *s, unsigned why);

/* storage_pvctl.c */
void storage__sync_claim(struct storage *s, const char *ns, const char *name);
void storage__sync_volume(struct storage *s, const char *ns, const char *name);
void storage__pv_indexed(struct storage *s, const struct object *old,
                         const struct object *now);

/* storage_protect.c */
void storage__sync_pvc_protection(struct storage *s, const char *ns,
                                  const char *name);
void storage__sync_pv_protection(struct storage *s, const char *ns,
                                 const char *name);
/* The pvc-protection controller's reaction to a pod event. */
void storage__protect_pod_event(struct storage *s, const struct object *pod,
                                bool deleted);

/* storage_prov.c */
void storage__prov_start(struct storage *s);
void storage__prov_stop(struct storage *s);

#endif
