/*
 * scenario.h - a scenario as plain data: what the loader makes of one or
 * more YAML files (interface.md section 2), before anything is simulated.
 *
 * Ownership: everything hangs off the scenario's own arena and goes with
 * scenario_release(). Objects are in file order, as they will be applied
 * at virtual time 0. Every element remembers where it was written
 * (struct src_pos) so later checks can still point at the user's text.
 *
 * The loader never runs the simulation; it only parses and validates.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "base.h"
#include "objects.h"
#include "timings.h"

struct src_pos {
  const char *file;
  int line, col; /* 1-based */
};

/* Size and shape limits for untrusted input (libyaml 0.2.5 has none). */
#define SCENARIO_MAX_FILE_BYTES (16u << 20) /* per file */
#define SCENARIO_MAX_DEPTH 64               /* nesting of collections */
#define SCENARIO_MAX_NODES 2000000          /* nodes after alias expansion */
#define SCENARIO_MAX_INCLUDES 64            /* files per scenario */

/*
 * XX(id, name, supported, summary): every action of interface.md section 2.
 * The loader parses and validates them all; whether `run` can carry one out
 * is world_action_supported() (world.h) - the `supported` column is kept
 * for the loader's own tables only.
 */
#define SIM_ACTIONS_MAP(XX)                                                    \
  XX(CRASH_NODE, "crash-node", 0,                                              \
     "the machine dies: containers stop, no heartbeats")                       \
  XX(RESTART_NODE, "restart-node", 0,                                          \
     "a crashed node boots and its kubelet comes back")                        \
  XX(PARTITION_NODE, "partition-node", 0,                                      \
     "the node loses the API; containers keep running")                        \
  XX(HEAL_NODE, "heal-node", 0, "a partitioned node reaches the API again")    \
  XX(SHUTDOWN_NODE, "shutdown-node", 0,                                        \
     "graceful node shutdown (shutdownGracePeriod)")                           \
  XX(DELETE_NODE, "delete-node", 0, "the Node object is deleted")              \
  XX(ADD_NODE, "add-node", 0, "a new node joins the cluster")                  \
  XX(CORDON_NODE, "cordon-node", 0, "mark the node unschedulable")             \
  XX(UNCORDON_NODE, "uncordon-node", 0, "mark the node schedulable")           \
  XX(DRAIN_NODE, "drain-node", 0,                                              \
     "kubectl drain: cordon, then evict every pod")                            \
  XX(TAINT_NODE, "taint-node", 0,                                              \
     "add a taint (e.g. node.kubernetes.io/out-of-service)")                   \
  XX(UNTAINT_NODE, "untaint-node", 0, "remove a taint")                        \
  XX(SCALE, "scale", 0, "set a StatefulSet's replicas")                        \
  XX(SET_IMAGE, "set-image", 0,                                                \
     "change a container image in a StatefulSet's template")                   \
  XX(APPLY, "apply", 0, "replace an object with an inline manifest")           \
  XX(DELETE_POD, "delete-pod", 0, "delete a pod (gracePeriod, force)")         \
  XX(DELETE_STATEFULSET, "delete-statefulset", 0,                              \
     "delete a StatefulSet (cascade: background, foreground, orphan)")         \
  XX(DELETE_PVC, "delete-pvc", 0, "delete a PersistentVolumeClaim")            \
  XX(FAIL_READINESS, "fail-readiness", 0,                                      \
     "a pod's app stops passing its readiness probe")                          \
  XX(RESTORE_READINESS, "restore-readiness", 0,                                \
     "a pod's app passes its readiness probe again")                           \
  XX(RESTART_CONTROLLER, "restart-controller", 0,                              \
     "a controller loses its cache and relists")                               \
  XX(API_ERRORS, "api-errors", 0,                                              \
     "for a duration, a fraction of API writes fail")                          \
  XX(WATCH_DELAY, "watch-delay", 0,                                            \
     "for a duration, a component sees changes late")                          \
  XX(PATCH, "patch", 0,                                                        \
     "change an object's labels, annotations, finalizers or ownerReferences "  \
     "(kubectl patch)")

enum action_kind {
#define XX(id, name, sup, summary) ACTION_##id,
  SIM_ACTIONS_MAP(XX)
#undef XX
      ACTION_COUNT
};

const char *action_name(enum action_kind k);
const char *action_summary(enum action_kind k);
/* Whether `run` can carry the action out in this build. */
bool action_supported(enum action_kind k);
/* Looks an action up by name; -1 if unknown. */
int action_lookup(const char *name);

/* The condition of a `when` action or a `becomes` expectation. */
enum when_state {
  WHEN_NONE = 0,
  WHEN_READY,
  WHEN_RUNNING,
  WHEN_TERMINATING,
  WHEN_DELETED,
  WHEN_PENDING,
  WHEN_SCHEDULED,
};

const char *when_state_name(enum when_state s);

enum cascade {
  CASCADE_BACKGROUND = 0,
  CASCADE_FOREGROUND,
  CASCADE_ORPHAN,
};

/*
 * One ownerReference of a `patch` action. The uid is found when the action
 * runs: the live owner's, a made-up one for a kind stsim does not model, or
 * (stale_uid) one that no object has.
 */
struct patch_owner_ref {
  const char *api_version, *kind, *name;
  bool stale_uid;
  bool controller;
  bool block_owner_deletion;
};

struct action {
  struct src_pos pos;
  enum action_kind kind;
  simtime at;           /* SIMTIME_NEVER when triggered by `when` */
  const char *when_pod; /* `when: {pod: ..., becomes: ...}` */
  enum when_state when_becomes;
  simtime after; /* delay after the condition; 0 default */
  /* parameters; which ones apply depends on the kind */
  const char *node; /* a name, or "@pod:NAME" */
  const char *statefulset;
  const char *pod;
  const char *pvc;
  const char *container; /* set-image: NULL = every container */
  const char *image;
  int32_t replicas;            /* scale */
  int64_t grace_period;        /* delete-pod: seconds; -1 = the pod's own */
  bool force;                  /* delete-pod */
  enum cascade cascade;        /* delete-statefulset */
  struct taint taint;          /* taint-node / untaint-node */
  simtime duration;            /* api-errors, watch-delay; crash-node and
                                  partition-node: `for`, see below */
  double fraction;             /* api-errors: share of writes that fail */
  const char *error;           /* api-errors: conflict|unavailable|timeout... */
  const char *component;       /* watch-delay, restart-controller */
  simtime delay;               /* watch-delay */
  const struct object *object; /* apply */
  const char *zone;            /* add-node */
  /* patch: kubectl patch --type=merge on the metadata of Kind/name */
  enum obj_kind patch_kind;
  const char *patch_name;
  struct kv_list patch_labels;      /* merged; a NULL value removes the key */
  struct kv_list patch_annotations; /* likewise */
  bool patch_finalizers_set;        /* finalizers: replaced as a whole */
  struct str_list patch_finalizers;
  bool patch_owner_refs_set; /* ownerReferences: replaced as a whole */
  const struct patch_owner_ref *patch_owner_refs;
  size_t patch_owner_refs_nr;
};
/*
 * `for: DUR` on crash-node / partition-node schedules the matching
 * restart-node / heal-node. With `at` and a node named directly the loader
 * adds that action itself (at + DUR) and duration is 0. With `when`, or a
 * node given as "@pod:NAME" (which must be resolved once), duration keeps
 * DUR and the runner schedules the follow-up on the node the action hit,
 * DUR after it fired. duration 0 = no follow-up.
 *
 * s->actions is sorted by `at`, stably (file order for ties); `when`
 * actions (at = SIMTIME_NEVER) come last, in file order.
 */

/* What an expectation looks at. */
enum expect_target {
  EXPECT_STATEFULSET,
  EXPECT_POD,
  EXPECT_PVC,
  EXPECT_PV,
  EXPECT_NODE,
  EXPECT_PROPERTY, /* `property: NAME` with `violated: bool` */
  EXPECT_EVENT,    /* `event: {reason, object, message}` */
};

/* One `field: value` check of an object's state. */
struct expect_check {
  struct src_pos pos;
  const char *field; /* validated against scenario_expect_fields() */
  const char *value; /* as written */
};

struct expectation {
  struct src_pos pos;
  enum expect_target target;
  const char *name;        /* object or property name */
  bool at_end;             /* checked at the end of the run */
  simtime at;              /* state checks: checked at this time
                              (SIMTIME_NEVER if at_end); `becomes` and
                              events: the expected time of the first
                              occurrence (SIMTIME_NEVER = any time) */
  simtime tolerance;       /* `becomes` and events: |actual - at| allowed */
  enum when_state becomes; /* pod first becomes this state ... */
  bool never;              /* ... never does so, or the event never happens */
  bool violated;           /* EXPECT_PROPERTY */
  bool has_hazard, hazard; /* EXPECT_PROPERTY `hazard: bool`: whether it
                              records a hazard beside its verdict */
  const char *event_reason, *event_object, *event_message; /* EXPECT_EVENT */
  const struct expect_check *checks;
  size_t checks_nr;
};

/*
 * Valid `field` names per target, NULL-terminated, for validation and
 * documentation (statefulSet: replicas, readyReplicas, ...).
 */
const char *const *scenario_expect_fields(enum expect_target t);

struct node_decl {
  struct src_pos pos;
  const char *name;
  const char *zone;
  struct kv_list labels;
  const struct taint *taints;
  size_t taints_nr;
  int64_t cpu_milli; /* allocatable; default 4000 */
  int64_t memory;    /* allocatable bytes; default 16Gi */
  int64_t pods;      /* default 110 */
};

struct image_decl {
  struct src_pos pos;
  const char *image;
  bool crashes;     /* exits at once: CrashLoopBackOff */
  bool never_ready; /* runs, never passes readiness */
  simtime startup;  /* time to become ready; SIMTIME_NEVER = default */
};

struct feature_gate {
  struct src_pos pos;
  const char *name;
  bool enabled;
};

/* A `low..high` range of a fuzz fault parameter (durations or counts). */
struct fuzz_param {
  struct src_pos pos;
  const char *name; /* downFor, replicas, ... */
  int64_t lo, hi;   /* durations in simtime, counts as integers */
  bool is_duration;
};

struct fuzz_fault {
  struct src_pos pos;
  enum action_kind kind;
  simtime every; /* mean interval */
  const struct fuzz_param *params;
  size_t params_nr;
};

/*
 * spec.variant: StatefulSet fields set on every StatefulSet of the
 * scenario after loading, as if its manifest said so. A fuzz run writes
 * its draw from spec.fuzz.vary here in its failure file, so the file
 * replays the run without rewriting the user's manifests.
 */
enum sts_variant_field {
  SV_POLICY = 0,   /* podManagementPolicy: enum pod_management_policy */
  SV_STRATEGY,     /* updateStrategy (type): enum update_strategy_type */
  SV_MAX_UNAVAIL,  /* maxUnavailable (RollingUpdate): a count >= 1 */
  SV_MIN_READY,    /* minReadySeconds: >= 0 */
  SV_WHEN_DELETED, /* whenDeleted: enum pvc_retention */
  SV_WHEN_SCALED,  /* whenScaled: enum pvc_retention */
  SV_COUNT
};

struct sts_variant {
  struct src_pos pos; /* spec.variant, for messages */
  bool set[SV_COUNT];
  int32_t v[SV_COUNT];
};

/* The YAML name of a variant field ("podManagementPolicy", ...). */
const char *sts_variant_field_name(enum sts_variant_field f);
/* The YAML value of an enum field's v ("Parallel", "Delete"); NULL for
 * the count fields. */
const char *sts_variant_value_name(enum sts_variant_field f, int32_t v);

/*
 * Sets the variant's fields on ss. A strategy of OnDelete clears the
 * rollingUpdate fields (the API refuses them with OnDelete). Returns
 * false if the result is not valid (maxUnavailable with OnDelete).
 */
bool sts_variant_apply(const struct sts_variant *v,
                       struct statefulset_spec *ss);

/*
 * spec.fuzz.vary: per run, one alternative of each listed key, drawn
 * uniformly from the run's own stream: the StatefulSet fields of struct
 * sts_variant, and of the cluster the Kubernetes version and the number
 * of zones the nodes are spread over.
 */
enum fuzz_vary_key {
  FV_STS_FIRST = 0,      /* FV_STS_FIRST + enum sts_variant_field */
  FV_VERSION = SV_COUNT, /* kubernetesVersion: a minor, 31..37 */
  FV_ZONES,              /* zones: a count, nodes round-robin over them */
  FV_COUNT
};

struct fuzz_vary {
  struct src_pos pos[FV_COUNT];
  const int32_t *alts[FV_COUNT]; /* the alternatives of each key */
  size_t alts_nr[FV_COUNT];      /* 0 = not varied */
};

struct fuzz_spec {
  bool present;
  int64_t runs;  /* 0 = unset */
  simtime until; /* SIMTIME_NEVER = unset */
  const struct fuzz_fault *faults;
  size_t faults_nr;
  struct fuzz_vary vary;
};

struct scenario_object {
  struct src_pos pos;
  struct object obj;
};

/*
 * The source text of one Kubernetes document (every document but the
 * Scenario document), kept so a scenario can be written out again
 * unchanged (fuzz failure files). text runs from the document's root node
 * to the document's end (the next "---" or "...", or the end of the
 * file); its first line is padded with spaces to the root's column, so
 * the text parses on its own as it did in place.
 */
struct scenario_doc {
  struct src_pos pos; /* the root node */
  const char *text;   /* NUL-terminated, in the scenario's arena */
  size_t len;
};

/* A field the simulator ignores, listed by `validate --strict`. */
struct ignored_field {
  struct src_pos pos;
  const char *path; /* e.g. "spec.template.spec.containers[0].ports" */
};

struct scenario {
  struct arena arena;
  const char *name; /* metadata.name, else the first file's name */
  const char *description;
  bool has_scenario_doc; /* a Scenario document was present */
  uint64_t seed;         /* default 1 */
  simtime until;         /* SIMTIME_NEVER = until stable (max 24h) */
  uint64_t input_digest; /* FNV-1a over every input file's bytes */

  /* cluster */
  const struct node_decl *nodes;
  size_t nodes_nr;
  const char *default_storage_class; /* NULL = "none" */
  int kubernetes_minor;              /* 31..37, default 34 */
  const struct feature_gate *feature_gates;
  size_t feature_gates_nr;
  struct timings timings;        /* defaults + overrides */
  bool timing_set[TIMING_COUNT]; /* named in spec.cluster.timings */
  const struct image_decl *images;
  size_t images_nr;

  const struct scenario_object *objects;
  size_t objects_nr;
  const struct action *actions;
  size_t actions_nr;
  const struct expectation *expects;
  size_t expects_nr;
  struct fuzz_spec fuzz;
  struct sts_variant variant; /* spec.variant, already applied to objects */

  /* warnings that did not stop the load: "file:line:col: ..." strings */
  struct str_list warnings;
  struct ignored_field *ignored;
  size_t ignored_nr;

  /* every Kubernetes document, in the order its objects are applied
   * (included files first, as objects) */
  const struct scenario_doc *docs;
  size_t docs_nr;
};

/*
 * Loads and merges files (in order) into s; s need not be initialised.
 * Included files are resolved relative to the including file, and their
 * objects come BEFORE the including file's own (depth first, in the order
 * of spec.include), so a scenario can reference the manifests it includes
 * by name. A file already loaded is not loaded again; an include cycle is
 * an error. input_digest folds the files' bytes in the order they are
 * read (an including file before its includes).
 *
 * Defaults: seed 1, until SIMTIME_NEVER, Kubernetes 1.34 and its timings,
 * defaultStorageClass "standard". Without spec.cluster.nodes and without
 * `kind: Node` manifests the cluster is node-1..node-3 in zones a, b, c
 * (labels kubernetes.io/hostname, kubernetes.io/os=linux,
 * topology.kubernetes.io/region=region-1, topology.kubernetes.io/zone;
 * 4 CPUs, 16Gi, 110 pods each).
 *
 * Returns 0, or SIM_EPARSE (not YAML), SIM_ESCHEMA (YAML, but not a valid
 * scenario), SIM_ELIMIT (size, depth, alias expansion, file count) or
 * SIM_EIO (a file cannot be read), and fills d with the first problem as
 * "file:line:col: path: message"; s is then released. Warnings that did
 * not stop the load (kinds not modelled) are in s->warnings.
 */
int scenario_load_files(struct scenario *s, const char *const *paths, size_t nr,
                        struct diag *d);

/* As above, from a buffer named `name` (tests and the fuzzer). */
int scenario_load_string(struct scenario *s, const char *name, const char *buf,
                         size_t len, struct diag *d);

void scenario_release(struct scenario *s);

/*
 * Whether a feature gate is on, from spec.cluster.featureGates or the
 * default of the scenario's Kubernetes version (statefulset-controller
 * reference 0.2): MaxUnavailableStatefulSet on in 1.35 (as 1.35.0-1.35.3)
 * and 1.37, off in 1.31-1.34 and 1.36; StatefulSetSemanticRevisionComparison
 * on from 1.34 (absent before); StatefulSetAutoDeletePVC,
 * StatefulSetStartOrdinal and PodIndexLabel on. Unknown gates are off.
 */
bool scenario_feature_enabled(const struct scenario *s, const char *gate);

/* Whether Kubernetes 1.<minor> has the feature gate (or flag) at all. */
bool scenario_gate_known(const char *name, int minor);
/* Whether 1.<minor> locks the gate to true (GA): it cannot be set false. */
bool scenario_gate_locked(const char *name, int minor);

#endif
