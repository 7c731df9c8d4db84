/*
 * objects.h - plain-data Kubernetes objects: the kinds stsim models, with
 * the fields real behaviour depends on, named as in the Kubernetes API.
 *
 * Ownership and immutability: an object version, once created or returned
 * by the API server, is never modified in place. Its strings and arrays
 * live in the run's arena and may be shared between versions. To change an
 * object, copy the struct (a shallow copy is enough) and give the copy new
 * arrays for whatever you change; never write through a shared array.
 * That is how a real client treats its informer cache.
 *
 * Optional scalars use explicit has_* flags or sentinels documented per
 * field, because Kubernetes often distinguishes "unset" from zero (a nil
 * storageClassName differs from "").
 */
#ifndef SIM_OBJECTS_H
#define SIM_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

enum obj_kind {
  KIND_NONE = 0,
  KIND_STATEFULSET,
  KIND_POD,
  KIND_PVC,
  KIND_PV,
  KIND_STORAGECLASS,
  KIND_NODE,
  KIND_SERVICE,
  KIND_ENDPOINTSLICE,
  KIND_CONTROLLERREVISION,
  KIND_PDB,
  KIND_EVENT,
  KIND_LEASE,
  KIND_VOLUMEATTACHMENT,
  KIND_COUNT
};

/* "StatefulSet", "Pod", ... (the Kubernetes kind name). */
const char *obj_kind_name(enum obj_kind k);
/* "apps/v1", "v1", ... */
const char *obj_kind_api_version(enum obj_kind k);
/* Whether objects of this kind live in a namespace. */
bool obj_kind_namespaced(enum obj_kind k);
/* Parses a kind name; KIND_NONE if it is not modelled. */
enum obj_kind obj_kind_parse(const char *api_version, const char *kind);

struct kv {
  const char *key, *value;
};

struct kv_list {
  const struct kv *v;
  size_t nr;
};

struct str_list {
  const char *const *v;
  size_t nr;
};

/* Returns the value for key, or NULL. */
const char *kv_get(const struct kv_list *l, const char *key);

/* --- metadata ----------------------------------------------------------- */

struct owner_ref {
  const char *api_version, *kind, *name;
  uint64_t uid;
  bool controller;
  bool block_owner_deletion;
};

struct meta {
  const char *name;
  const char *namespace_;    /* "" for cluster-scoped kinds */
  const char *generate_name; /* may be NULL */
  uint64_t uid;              /* 0 until created; then unique per run */
  uint64_t resource_version; /* from the one global counter */
  int64_t generation;        /* bumped on spec changes, and once when
                                deletion starts (as upstream does) */
  simtime creation_timestamp;
  simtime deletion_timestamp;            /* SIMTIME_NEVER = not deleting */
  int64_t deletion_grace_period_seconds; /* -1 = unset */
  struct kv_list labels;
  struct kv_list annotations;
  struct str_list finalizers;
  const struct owner_ref *owner_refs;
  size_t owner_refs_nr;
};

/* The ownerReference with controller=true, or NULL. */
const struct owner_ref *meta_controller_ref(const struct meta *m);
bool meta_is_deleting(const struct meta *m);

/* --- selectors ---------------------------------------------------------- */

enum selector_op {
  SEL_IN,
  SEL_NOT_IN,
  SEL_EXISTS,
  SEL_DOES_NOT_EXIST,
  SEL_GT, /* node selectors only */
  SEL_LT, /* node selectors only */
};

struct selector_req {
  const char *key;
  enum selector_op op;
  struct str_list values;
};

/* metav1.LabelSelector. An empty selector matches everything. */
struct label_selector {
  struct kv_list match_labels;
  const struct selector_req *exprs;
  size_t exprs_nr;
};

/* Whether labels satisfy sel (matchLabels AND every expression). */
bool selector_matches(const struct label_selector *sel,
                      const struct kv_list *labels);
bool selector_is_empty(const struct label_selector *sel);

/* A NodeSelectorTerm: its expressions are ANDed. */
struct node_selector_term {
  const struct selector_req *exprs; /* matchExpressions on labels */
  size_t exprs_nr;
  const struct selector_req *fields; /* matchFields (metadata.name) */
  size_t fields_nr;
};

/* A NodeSelector: its terms are ORed; zero terms = no constraint here. */
struct node_selector {
  const struct node_selector_term *terms;
  size_t terms_nr;
};

bool node_selector_matches(const struct node_selector *ns,
                           const char *node_name, const struct kv_list *labels);

/* --- quantities and int-or-percent -------------------------------------- */

/* An IntOrString such as maxUnavailable: 2 or "25%". */
struct int_or_percent {
  bool set;
  bool is_percent;
  int32_t value; /* the integer, or the percentage */
};

/* --- pods --------------------------------------------------------------- */

enum access_mode {
  ACCESS_RWO = 1 << 0,  /* ReadWriteOnce */
  ACCESS_ROX = 1 << 1,  /* ReadOnlyMany */
  ACCESS_RWX = 1 << 2,  /* ReadWriteMany */
  ACCESS_RWOP = 1 << 3, /* ReadWriteOncePod */
};

/* For a set probe, 0 in the last four fields means unset (Kubernetes
 * requires them >= 1); object_set_defaults() fills them in. */
struct probe {
  bool set;
  int32_t initial_delay_seconds; /* default 0 */
  int32_t period_seconds;        /* default 10 */
  int32_t timeout_seconds;       /* default 1 */
  int32_t success_threshold;     /* default 1 */
  int32_t failure_threshold;     /* default 3 */
};

struct container {
  const char *name;
  const char *image;
  int64_t cpu_request_milli; /* resources.requests.cpu in millicores */
  int64_t memory_request;    /* resources.requests.memory in bytes */
  struct probe readiness;
  struct probe liveness;
  struct probe startup;
  /* volumeMounts: names of pod volumes this container mounts */
  struct str_list volume_mounts;
};

enum volume_source {
  VOLSRC_OTHER = 0, /* configMap, secret, downwardAPI, projected, ... */
  VOLSRC_PVC,
  VOLSRC_EMPTYDIR,
  VOLSRC_HOSTPATH,
};

struct pod_volume {
  const char *name;
  enum volume_source source;
  const char *claim_name; /* VOLSRC_PVC */
  bool read_only;
};

enum taint_effect {
  TAINT_NO_SCHEDULE,
  TAINT_PREFER_NO_SCHEDULE,
  TAINT_NO_EXECUTE,
};

enum toleration_op {
  TOLERATE_EQUAL,
  TOLERATE_EXISTS,
};

struct toleration {
  const char *key; /* NULL or "" with Exists = every key */
  enum toleration_op op;
  const char *value;
  bool any_effect; /* effect "" */
  enum taint_effect effect;
  int64_t toleration_seconds; /* -1 = forever */
};

struct pod_affinity_term {
  struct label_selector selector;
  const char *topology_key;
  struct str_list namespaces;
};

struct weighted_pod_affinity_term {
  int32_t weight;
  struct pod_affinity_term term;
};

struct weighted_node_term {
  int32_t weight;
  struct node_selector_term term;
};

struct affinity {
  struct node_selector node_required;
  const struct weighted_node_term *node_preferred;
  size_t node_preferred_nr;
  const struct pod_affinity_term *pod_affinity_required;
  size_t pod_affinity_required_nr;
  const struct pod_affinity_term *pod_anti_affinity_required;
  size_t pod_anti_affinity_required_nr;
  const struct weighted_pod_affinity_term *pod_anti_affinity_preferred;
  size_t pod_anti_affinity_preferred_nr;
};

enum restart_policy {
  RESTART_ALWAYS,
  RESTART_ON_FAILURE,
  RESTART_NEVER,
};

struct pod_spec {
  const struct container *containers;
  size_t containers_nr;
  const struct container *init_containers;
  size_t init_containers_nr;
  const struct pod_volume *volumes;
  size_t volumes_nr;
  const char *node_name; /* NULL until bound */
  struct kv_list node_selector;
  struct affinity affinity;
  const struct toleration *tolerations;
  size_t tolerations_nr;
  const char *hostname;
  const char *subdomain;
  const char *scheduler_name; /* NULL defaults to "default-scheduler" */
  enum restart_policy restart_policy;
  /* -1 = unset (object_init), defaulted to 30; other values as written */
  int64_t termination_grace_period_seconds;
  int32_t priority;
};

enum pod_phase {
  POD_PHASE_NONE = 0, /* a placeholder the controller built; never stored */
  POD_PENDING,
  POD_RUNNING,
  POD_SUCCEEDED,
  POD_FAILED,
  POD_UNKNOWN,
};

const char *pod_phase_name(enum pod_phase p);

enum cond_status {
  COND_UNSET = 0, /* the condition is absent */
  COND_TRUE,
  COND_FALSE,
  COND_UNKNOWN,
};

const char *cond_status_name(enum cond_status s);

struct condition {
  enum cond_status status;
  simtime last_transition_time;
  const char *reason;
  const char *message;
};

enum container_state {
  CSTATE_WAITING,
  CSTATE_RUNNING,
  CSTATE_TERMINATED,
};

struct container_status {
  const char *name;
  enum container_state state;
  const char *reason; /* ContainerCreating, CrashLoopBackOff, Error, ... */
  bool ready;
  int32_t restart_count;
  simtime started_at;
};

struct pod_status {
  enum pod_phase phase;
  struct condition scheduled;        /* PodScheduled */
  struct condition initialized;      /* Initialized */
  struct condition containers_ready; /* ContainersReady */
  struct condition ready;            /* Ready */
  const char *reason;                /* e.g. "Terminated", "NodeLost" */
  const char *message;
  const char *pod_ip;
  const char *host_ip;
  simtime start_time; /* SIMTIME_NEVER = unset */
  const struct container_status *containers;
  size_t containers_nr;
  /*
   * DisruptionTarget (PodDisruptionConditions, GA 1.31): True, with the
   * reason of whoever is about to delete the pod (EvictionByEvictionAPI,
   * DeletionByTaintManager, DeletionByPodGC, ...); COND_UNSET = absent.
   */
  struct condition disruption_target;
};

struct pod {
  struct pod_spec spec;
  struct pod_status status;
};

struct pod_template {
  struct kv_list labels;
  struct kv_list annotations;
  struct pod_spec spec;
};

/* --- storage ------------------------------------------------------------ */

enum volume_mode {
  VOLMODE_FILESYSTEM = 0,
  VOLMODE_BLOCK,
};

enum pvc_phase {
  PVC_PENDING = 0,
  PVC_BOUND,
  PVC_LOST,
};

const char *pvc_phase_name(enum pvc_phase p);

struct pvc_spec {
  unsigned access_modes; /* enum access_mode bits */
  bool has_selector;
  struct label_selector selector;
  int64_t request_bytes;          /* resources.requests.storage */
  const char *storage_class_name; /* NULL = unset (nil), "" = no class */
  enum volume_mode volume_mode;
  const char *volume_name; /* NULL until bound */
};

struct pvc_status {
  enum pvc_phase phase;
  unsigned access_modes;
  int64_t capacity_bytes;
};

struct pvc {
  struct pvc_spec spec;
  struct pvc_status status;
};

/* A claim template of a StatefulSet: metadata plus a claim spec. */
struct pvc_template {
  const char *name;
  struct kv_list labels;
  struct kv_list annotations;
  struct pvc_spec spec;
};

enum reclaim_policy {
  RECLAIM_RETAIN = 0,
  RECLAIM_DELETE,
  RECLAIM_RECYCLE,
};

enum pv_phase {
  PV_PENDING = 0,
  PV_AVAILABLE,
  PV_BOUND,
  PV_RELEASED,
  PV_FAILED,
};

const char *pv_phase_name(enum pv_phase p);

enum pv_source {
  PVSRC_OTHER = 0,
  PVSRC_HOSTPATH, /* single-node, never attached */
  PVSRC_LOCAL,    /* requires node affinity, never attached */
  PVSRC_CSI,      /* attachable (per driver) */
  PVSRC_NFS,      /* network, not attached */
};

struct claim_ref {
  const char *namespace_, *name; /* name NULL = unbound */
  uint64_t uid;
};

struct pv_spec {
  int64_t capacity_bytes;
  unsigned access_modes;
  enum reclaim_policy reclaim_policy;
  const char *storage_class_name; /* NULL or "" = no class */
  enum volume_mode volume_mode;
  struct claim_ref claim_ref;
  struct node_selector node_affinity; /* required terms */
  enum pv_source source;
  const char *csi_driver;    /* PVSRC_CSI */
  const char *volume_handle; /* PVSRC_CSI */
  const char *path;          /* PVSRC_HOSTPATH, PVSRC_LOCAL */
};

struct pv_status {
  enum pv_phase phase;
  const char *message;
};

struct pv {
  struct pv_spec spec;
  struct pv_status status;
};

enum binding_mode {
  BINDING_IMMEDIATE = 0,
  BINDING_WAIT_FOR_FIRST_CONSUMER,
};

struct storage_class {
  const char *provisioner;
  /* default Delete: preset by object_init, since Retain is the zero */
  enum reclaim_policy reclaim_policy;
  enum binding_mode volume_binding_mode;
  struct node_selector allowed_topologies;
  struct kv_list parameters;
  bool allow_volume_expansion;
};

/* The annotation that marks the default class. */
#define ANN_DEFAULT_STORAGE_CLASS "storageclass.kubernetes.io/is-default-class"

struct volume_attachment {
  const char *attacher;
  const char *node_name;
  const char *pv_name;
  bool attached; /* status.attached */
  const char *attach_error;
  const char *detach_error;
};

/* --- nodes -------------------------------------------------------------- */

struct taint {
  const char *key, *value;
  enum taint_effect effect;
  simtime time_added; /* SIMTIME_NEVER = unset */
};

struct node {
  /* spec */
  bool unschedulable;
  const struct taint *taints;
  size_t taints_nr;
  /* status */
  int64_t cpu_allocatable_milli;
  int64_t memory_allocatable;
  int64_t pods_allocatable;
  struct condition ready; /* Ready: True / False / Unknown */
  simtime last_heartbeat; /* Ready.lastHeartbeatTime */
  struct condition memory_pressure, disk_pressure, pid_pressure;
  struct condition network_unavailable;
  struct str_list volumes_in_use;   /* unique volume names */
  struct str_list volumes_attached; /* as the A/D controller reports */
};

struct lease {
  const char *holder_identity;
  int32_t lease_duration_seconds;
  simtime renew_time;
};

/* --- services ----------------------------------------------------------- */

struct service_port {
  const char *name;
  int32_t port;
  const char *protocol;
};

struct service {
  bool headless; /* clusterIP: None */
  const char *cluster_ip;
  struct kv_list selector;
  const struct service_port *ports;
  size_t ports_nr;
  bool publish_not_ready_addresses;
};

struct endpoint {
  const char *address;
  bool ready, serving, terminating;
  const char *hostname;
  const char *node_name;
  const char *target_pod; /* targetRef name */
  uint64_t target_uid;
};

struct endpoint_slice {
  const char *service_name;
  const struct endpoint *endpoints;
  size_t endpoints_nr;
};

/* --- workloads ---------------------------------------------------------- */

enum pod_management_policy {
  PMP_ORDERED_READY = 0,
  PMP_PARALLEL,
};

enum update_strategy_type {
  UPDATE_ROLLING = 0,
  UPDATE_ON_DELETE,
};

enum pvc_retention {
  RETAIN = 0,
  DELETE,
};

struct statefulset_spec {
  int32_t replicas; /* -1 = unset (object_init), defaulted to 1 */
  struct label_selector selector;
  struct pod_template template_;
  const struct pvc_template *volume_claim_templates;
  size_t volume_claim_templates_nr;
  const char *service_name;
  enum pod_management_policy pod_management_policy;
  enum update_strategy_type update_strategy;
  int32_t partition;                     /* RollingUpdate; default 0 */
  struct int_or_percent max_unavailable; /* RollingUpdate; gate-dependent */
  int32_t revision_history_limit;        /* -1 = unset, defaulted to 10 */
  int32_t min_ready_seconds;             /* default 0 */
  enum pvc_retention when_deleted;       /* default Retain */
  enum pvc_retention when_scaled;        /* default Retain */
  bool has_ordinals;
  int32_t ordinals_start; /* default 0 */
};

struct statefulset_status {
  int64_t observed_generation;
  int32_t replicas;
  int32_t ready_replicas;
  int32_t current_replicas;
  int32_t updated_replicas;
  int32_t available_replicas;
  const char *current_revision;
  const char *update_revision;
  bool has_collision_count;
  int32_t collision_count;
};

struct statefulset {
  struct statefulset_spec spec;
  struct statefulset_status status;
};

struct controller_revision {
  /* data.raw: the pod template this revision stands for */
  const struct pod_template *template_;
  const char *data_hash; /* a canonical hash of the template */
  int64_t revision;
};

enum unhealthy_pod_eviction_policy {
  UNHEALTHY_IF_HEALTHY_BUDGET = 0, /* the default (unset) */
  UNHEALTHY_ALWAYS_ALLOW,
};

/* One status.disruptedPods entry: a pod the eviction API let go. */
struct pdb_disrupted_pod {
  const char *pod; /* pod name, in the PDB's namespace */
  simtime at;      /* when the eviction was admitted */
};

struct pdb {
  struct int_or_percent min_available;
  struct int_or_percent max_unavailable;
  struct label_selector selector;
  /* status */
  int64_t observed_generation;
  int32_t current_healthy;
  int32_t desired_healthy;
  int32_t disruptions_allowed;
  int32_t expected_pods;
  /* spec.unhealthyPodEvictionPolicy */
  enum unhealthy_pod_eviction_policy unhealthy_pod_eviction_policy;
  /* status.disruptedPods, sorted by pod name */
  const struct pdb_disrupted_pod *disrupted_pods;
  size_t disrupted_pods_nr;
};

/* --- events ------------------------------------------------------------- */

enum event_type {
  EVENT_NORMAL = 0,
  EVENT_WARNING,
};

struct event {
  enum obj_kind involved_kind;
  const char *involved_name;
  const char *involved_namespace;
  uint64_t involved_uid;
  enum event_type type;
  const char *reason;
  const char *message;
  const char *source; /* reporting component, e.g. "statefulset-controller" */
  int32_t count;
  simtime first_timestamp, last_timestamp;
};

/* --- the tagged object --------------------------------------------------- */

struct object {
  enum obj_kind kind;
  struct meta meta;
  union {
    struct statefulset sts;
    struct pod pod;
    struct pvc pvc;
    struct pv pv;
    struct storage_class sc;
    struct node node;
    struct service svc;
    struct endpoint_slice eps;
    struct controller_revision rev;
    struct pdb pdb;
    struct event ev;
    struct lease lease;
    struct volume_attachment va;
  } u;
};

/*
 * Zeroes o and sets the kind and the "unset" sentinels: in the metadata
 * deletionTimestamp SIMTIME_NEVER and deletionGracePeriodSeconds -1; for a
 * Pod terminationGracePeriodSeconds -1 and status.startTime SIMTIME_NEVER;
 * for a StatefulSet replicas -1, revisionHistoryLimit -1 and the template's
 * terminationGracePeriodSeconds -1; for a StorageClass reclaimPolicy
 * Delete (its default, because the zero value Retain is a legal choice).
 * Sentinels inside arrays (taint.time_added, toleration_seconds) are the
 * job of whoever builds the array.
 */
void object_init(struct object *o, enum obj_kind kind);

/*
 * A canonical 64-bit digest of the object's spec (for StatefulSets also
 * its template), independent of metadata and status: equal specs give
 * equal digests. The API server bumps generation when it changes; the
 * StatefulSet controller hashes templates for ControllerRevisions with it.
 */
uint64_t object_spec_digest(const struct object *o);
uint64_t pod_template_digest(const struct pod_template *t);

/*
 * The same for the status part (the /status subresource: pod status,
 * StatefulSet status, a Node's conditions and capacity, ...); a constant
 * per kind for kinds without status.
 */
uint64_t object_status_digest(const struct object *o);

/*
 * The same for the metadata, except resourceVersion and generation (what
 * the server bumps): name, namespace, generateName, uid, timestamps,
 * labels, annotations, finalizers and ownerReferences. Labels and
 * annotations are hashed in key order, as the maps they are.
 */
uint64_t object_meta_digest(const struct meta *m);

/*
 * Sets the defaults Kubernetes applies on create for fields left unset.
 * Idempotent, and never overwrites a value that was set. "Unset" follows
 * object_init(): the -1 sentinels above, NULL strings, 0 for probe fields
 * that must be >= 1. So a decoder calls object_init(), fills in what the
 * manifest says, then calls this.
 *   StatefulSet: replicas 1, revisionHistoryLimit 10; podManagementPolicy
 *     OrderedReady, updateStrategy RollingUpdate with partition 0 and the
 *     Retain/Retain claim retention policy are the zero values; the
 *     template's pod spec as for a Pod.
 *   Pod: terminationGracePeriodSeconds 30, schedulerName
 *     "default-scheduler", restartPolicy Always (zero), probes period 10,
 *     timeout 1, success 1, failure 3.
 *   PVC: volumeMode Filesystem (zero). PV: reclaimPolicy Retain (zero; the
 *     provisioner copies its class's policy into dynamic PVs).
 *   StorageClass: reclaimPolicy Delete (preset by object_init),
 *     volumeBindingMode Immediate (zero).
 * Probe defaults are written into o's container arrays in place, so the
 * caller must own them (never pass a stored version's arrays when a probe
 * still needs defaults); the API server copies them before defaulting.
 */
void object_set_defaults(struct object *o);

#endif
