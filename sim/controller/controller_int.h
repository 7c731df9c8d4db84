/*
 * controller_int.h - internals of the StatefulSet controller shared by its
 * files. Section numbers (§) are those of
 * docs/reference/statefulset-controller.md.
 *
 * Files:
 *   wiring.c    ctl_start/stop/restart, the four informers and their
 *               event handlers (§3.1, §3.2), the cache-sync wait
 *   queue.c     the work queue and its rate limiter (§3.1, §9)
 *   sync.c      sync(key): lookup, revision adoption, pod claiming with
 *               the live GET, requeue decisions (§3.3)
 *   control.c   one pass of the control loop, Steps A-N (§4, §4.1, §4.2)
 *   rollout.c   the RollingUpdate paths of Step L (§6.4)
 *   revisions.c ControllerRevisions: list, hash, create, roll back,
 *               truncate (§6.1, §6.2)
 *   podctl.c    pod and PVC control: build, create, update, delete,
 *               retention ownerRefs, Events (§5, §8)
 *   status.c    status computation and write (§7)
 *   utils.c     the predicates of §2 and the retention helpers of §5.5
 *   index.c     the pod index: slots, counts and quiet replicas kept up to
 *               date by the handlers, so a pass costs O(changes)
 *
 * Placeholders (§4 Step E) are not materialised as objects unless they
 * are created or updated: a slot with pod == NULL stands for one, which
 * keeps an OrderedReady scale-up from building (and keeping in the run's
 * arena) every missing pod on every pass.
 */
#ifndef SIM_CONTROLLER_INT_H
#define SIM_CONTROLLER_INT_H

#include <stdarg.h>

#include <gsl/gsl_rng.h>

#include "controller.h"
#include "u64map.h"

/* Label keys (apps/v1). */
#define CTL_LABEL_POD_NAME "statefulset.kubernetes.io/pod-name"
#define CTL_LABEL_POD_INDEX "apps.kubernetes.io/pod-index"
#define CTL_LABEL_REVISION "controller-revision-hash"
#define CTL_LABEL_REV_HASH "controller.kubernetes.io/hash"

/* slowStartBatch's cap (controller.SlowStartInitialBatchSize grows to). */
#define CTL_MAX_BATCH 500

/* client-go retry.DefaultRetry / retry.DefaultBackoff step counts. */
#define CTL_STATUS_RETRIES 5
#define CTL_UPDATE_RETRIES 4

/* Rate limiter (workqueue.DefaultControllerRateLimiter). */
#define CTL_BACKOFF_BASE SIM_MS(5)
#define CTL_BACKOFF_MAX SIM_SEC(1000)
#define CTL_BUCKET_QPS 10
#define CTL_BUCKET_BURST 100

/* One in-range replica: a pod from the cache, or a placeholder. */
struct ctl__slot {
  const struct object *pod; /* NULL: placeholder (§4 Step E) */
  int32_t ordinal;
  bool at_update; /* placeholder: built from the update revision (§5.2) */
};

/* A revision label and how many indexed pods carry it (index.c). */
struct ctl__ilabel {
  const char *label;
  int32_t all;     /* every pod */
  int32_t nonterm; /* pods not terminating */
};

/* One pod of the index and what it contributes to the aggregates. */
struct ctl__ient {
  const struct object *pod; /* the cached version */
  int32_t ord;              /* parse(name); -1 = none */
  int32_t slot;             /* ordinal - start when in range, else -1 */
  const char *label;        /* its revision label, as counted */
  bool applied;             /* the fields below are in the aggregates */
  bool bad;                 /* other namespace, not matching, no ordinal */
  bool dup;                 /* in range, but another pod holds the slot */
  bool condemned;           /* out of range */
  bool in_cvec;             /* its uid is in condemned */
  bool ready;               /* Running and Ready */
  bool terminating;
  bool changed; /* its uid is in changed */
};

/*
 * The pods whose controllerRef names one set uid (index.c), and the
 * aggregates a pass reads, computed for a snapshot of the set's spec.
 */
struct ctl__sidx {
  uint64_t uid;
  struct u64map by_pod; /* pod uid -> index into ent */
  VEC(struct ctl__ient) ent;
  VEC(uint64_t) changed; /* pod uids changed since the last refresh */
  /* the snapshot */
  bool built, stale;
  const struct object *set; /* the version of the last refresh */
  const char *set_name, *ns;
  struct label_selector selector;
  int32_t replicas, start;
  const struct pvc_template *vct;
  size_t vct_nr;
  enum pvc_retention when_scaled, when_deleted;
  enum pod_management_policy pmp;
  /* the aggregates */
  size_t bad_nr, dup_nr, condemned_nr, ready_nr;
  VEC(struct ctl__ilabel) labels;
  VEC(uint64_t) condemned; /* pod uids, possibly stale (filtered) */
  struct ctl__slot *slots; /* replicas slots; pod NULL = placeholder */
  uint64_t *unavail;       /* slot bits: placeholder or unavailable */
  uint64_t *need;          /* slot bits: processReplica must run */
};

/* One work-queue key: a StatefulSet namespace/name. */
struct ctl_key {
  const char *ns, *name; /* arena */
  const char *obj;       /* "StatefulSet/<name>" for notes */
  bool dirty;            /* added and not yet processed */
  uint64_t process_ev;   /* engine handle of the pending sync, 0 = none */
  simtime busy_until;    /* the worker is on this key until then */
  uint64_t after_ev;     /* engine handle of a pending AddAfter, 0 = none */
  simtime after_at;      /* when after_ev fires */
  uint32_t failures;     /* per-item exponential back-off exponent */
  uint64_t last_note;    /* hash of the last decision note (dedupe) */
  /* §16: resourceVersions of our own writes the caches must reach */
  uint64_t want_pod_rv, want_pvc_rv;
  bool rywo_waiting;
  /* the template digest of the set (uid) at this generation: the
   * template is spec, and every spec change bumps the generation */
  uint64_t digest_uid;
  int64_t digest_gen;
  uint64_t digest;
};

/*
 * The run's mutant (mutants.h), resolved once at ctl_start so that a
 * decision costs one integer compare: CTL_MUT_NONE in a normal run. Each
 * value names the one place its bug lives (mutant.c lists them).
 */
enum ctl_mutant {
  CTL_MUT_NONE = 0,
  CTL_MUT_B2,                  /* rollout.c: pre-1.37 budget in 1.37 */
  CTL_MUT_B3,                  /* Steps F, J, L: Ready, not Available */
  CTL_MUT_B5,                  /* status.c: OnDelete never completes */
  CTL_MUT_B6,                  /* processReplica: Succeeded not terminal */
  CTL_MUT_B7,                  /* processReplica: the [<=1.30] path */
  CTL_MUT_B8,                  /* processReplica: no missing-claim repair */
  CTL_MUT_B9,                  /* retention: foreign controllers replaced */
  CTL_MUT_B16,                 /* processReplica: pods of lost nodes */
  CTL_MUT_B17,                 /* wiring.c: the pod cache lags */
  CTL_MUT_B19,                 /* processCondemned: the PetSet rule */
  CTL_MUT_B20,                 /* Step L: Parallel waits like OrderedReady */
  CTL_MUT_NO_WAIT_TERMINATING, /* processReplica: terminating = gone */
  CTL_MUT_LOWEST_FIRST,        /* Step F: condemned ascending */
  CTL_MUT_RANDOM_NAMES,        /* podctl.c: generateName names */
  CTL_MUT_SHARED_CLAIM,        /* podctl.c: one claim for all replicas */
};

/* B17: how far the mutant's pod cache lags behind the other caches. */
#define CTL_MUT_STALE_LAG SIM_SEC(5)

struct ctl {
  struct cluster_env env; /* a copy */
  struct api *api;
  struct engine *engine;
  struct arena *arena;
  struct informer *pods, *sets, *pvcs, *revs;
  int minor;                 /* Kubernetes 1.<minor> */
  bool gate_max_unavailable; /* MaxUnavailableStatefulSet */
  bool gate_pod_index;       /* PodIndexLabel */
  bool gate_auto_delete_pvc; /* StatefulSetAutoDeletePVC */
  bool gate_read_own_writes; /* CTL_GATE_READ_OWN_WRITES (§16) */
  enum ctl_mutant mut;       /* env.mutant, resolved */
  int unavail_minor;         /* the minor isUnavailable follows (B3: 33) */
  struct informer *nodes;    /* CTL_MUT_B16 only: a Node cache */
  bool started;              /* workers running: all caches synced */
  bool stopped;
  uint64_t poll_ev;         /* the cache-sync poll, 0 = none */
  gsl_rng *rng;             /* RNG_CONTROLLER: the resync period */
  simtime resync;           /* the informers' resync period */
  uint64_t resync_ev;       /* the next set resync, 0 = none */
  VEC(struct ctl_key) keys; /* insertion order; never shrinks */
  /* the overall token bucket: credit in microseconds of 1/qps each */
  simtime bucket_credit;
  simtime bucket_last;
  /*
   * The PVC cache indexed by (namespace, name) with a hash (lookup only,
   * D4): upstream's indexer is a map; the informer's ordered tree costs a
   * string compare per level, and claims are looked up for every pod of
   * every pass. Fed by the PVC informer's handler, cleared on restart.
   */
  struct ctl_pvc_slot {
    uint64_t h; /* 0 = empty, 1 = deleted */
    const struct object *o;
  } * pvc_idx;
  size_t pvc_idx_alloc, pvc_idx_used;
  /* §16: highest resourceVersion each cache has delivered */
  uint64_t pod_rv_seen, pvc_rv_seen;
  size_t rywo_waiting_nr;
  uint64_t syncs;
  uint64_t notes; /* ctl__note calls (a processReplica effect) */
  /* the pod index (index.c): per controllerRef uid */
  VEC(struct ctl__sidx *) sidx;
  struct u64map sidx_by_uid; /* uid -> index into sidx */
  size_t idx_orphans;        /* cached pods without a controllerRef */
  bool idx_off;              /* every pass walks the cache (tests) */
  /* scratch buffers reused by every pass (no per-sync malloc) */
  VEC(const struct object *) cand;
  VEC(const struct object *) claimed;
  VEC(const struct object *) revlist;
  VEC(const struct object *) condemned;
  VEC(struct ctl__slot) slots;
  VEC(const char *) names;
};

/* An aggregated error of one pass (utilerrors.NewAggregate). */
struct ctl__err {
  int nr;
  enum api_status st; /* of the first error */
  char msg[384];      /* the first message */
};

void ctl__err_add(struct ctl__err *e, enum api_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The identity of a pod as the retention rules need it. */
struct ctl__podref {
  const char *name;
  uint64_t uid; /* 0 for a placeholder */
  int32_t ordinal;
};

/* One sync pass (§4). */
struct ctl__pass {
  struct ctl *c;
  size_t key;               /* index into c->keys */
  const struct object *set; /* the cached set (never written) */
  const char *obj;          /* "StatefulSet/<name>" */
  simtime now;              /* captured once per sync */
  bool monotonic;           /* podManagementPolicy != Parallel */
  int32_t start, replicas;
  /* claimed pods (pods NULL when the pass reads the index) */
  const struct object *const *pods;
  size_t pods_nr;
  struct ctl__sidx *idx; /* the pod index, when it describes the pass */
  /* revisions (sorted), the chosen two and the collision count */
  const struct object *const *revs;
  size_t revs_nr;
  const struct object *cur_rev, *upd_rev;
  int32_t collision_count;
  /* replicas and condemned (descending ordinal) */
  struct ctl__slot *slots;
  const struct object *const *condemned;
  size_t condemned_nr;
  bool has_first_unavail;
  const struct object *first_unavail; /* NULL if it is a placeholder */
  /*
   * The claims of one ordinal as the PVC cache has them: looked up once
   * per pass, since the cache does not change while a sync runs.
   */
  int64_t memo_ord; /* -1: none */
  unsigned memo_known;
  const struct object *memo[8];
  /* results */
  bool has_status;
  struct statefulset_status status;
  struct ctl__err err;
};

/* Results of a step of runForAll (control.c). */
enum { STEP_CONTINUE = 0, STEP_EXIT = 1, STEP_ERROR = -1 };

typedef int ctl__step_fn(struct ctl__pass *p, size_t i);

/* --- utils.c: predicates (§2) ------------------------------------------ */

/*
 * parse(podName): ^(.*)-([0-9]+)$ with a greedy group 1. Returns false
 * when there is no match (parent "", ordinal -1). On a match *parent_len
 * is the length of group 1 and *ordinal its int32 value, or -1 when the
 * digits overflow (the parent is still set).
 */
bool ctl__parse(const char *name, size_t *parent_len, int32_t *ordinal);
int32_t ctl__ordinal(const char *name);
bool ctl__is_member(const struct object *set, const struct object *pod);
int32_t ctl__start_ordinal(const struct object *set);
int32_t ctl__replicas(const struct object *set);
bool ctl__in_range(const struct object *set, int32_t ordinal);

bool ctl__is_created(const struct object *pod);
bool ctl__is_pending(const struct object *pod);
bool ctl__is_failed(const struct object *pod);
bool ctl__is_succeeded(const struct object *pod);
bool ctl__is_terminating(const struct object *pod);
bool ctl__is_ready(const struct object *pod);
bool ctl__is_running_and_ready(const struct object *pod);
bool ctl__is_running_and_available(const struct object *pod, int32_t mrs,
                                   simtime now);
/* isHealthy [<=1.33]: Running and Ready and not terminating. */
bool ctl__is_healthy(const struct object *pod);
/*
 * isUnavailable [1.34+]: not available or terminating; [<=1.33] not
 * healthy (ready-only, minReadySeconds ignored: B3). NULL = placeholder.
 */
bool ctl__is_unavailable(int minor, const struct object *pod, int32_t mrs,
                         simtime now);
const char *ctl__pod_revision(const struct object *pod);
bool ctl__identity_matches(const struct object *set, const struct object *pod);
bool ctl__storage_matches(const struct object *set, const struct object *pod);

/* "<set>-<ordinal>" and "<template>-<set>-<ordinal>" into buf. */
void ctl__pod_name(char *buf, size_t n, const struct object *set,
                   int32_t ordinal);
void ctl__claim_name(char *buf, size_t n, const char *tmpl,
                     const struct object *set, int32_t ordinal);

/* Slots: placeholders count as not created, not ready, unavailable. */
const char *ctl__slot_revision(const struct ctl__pass *p,
                               const struct ctl__slot *s);
bool ctl__slot_unavailable(const struct ctl__pass *p,
                           const struct ctl__slot *s);

/* --- utils.c: retention (§5.5) ------------------------------------------ */

bool ctl__claim_owner_up_to_date(const struct object *set,
                                 const struct ctl__podref *pod,
                                 const struct object *claim);
bool ctl__has_unexpected_controller(const struct object *set,
                                    const struct ctl__podref *pod,
                                    const struct object *claim);
bool ctl__has_stale_owner_ref_to_pod(const struct object *claim,
                                     const struct ctl__podref *pod);
/*
 * updateClaimOwnerRefForSetAndPod: the owner refs claim should carry,
 * allocated from arena; *nr gets their count.
 */
const struct owner_ref *ctl__claim_refs(struct arena *a,
                                        const struct object *set,
                                        const struct ctl__podref *pod,
                                        const struct object *claim, size_t *nr);

/* --- mutant.c: the variants of mutants.h -----------------------------------
 */

/* The controller mutant named by --mutant (NULL or another component's:
 * CTL_MUT_NONE). */
enum ctl_mutant ctl__mutant(const char *name);
/*
 * The ordinal of a pod: parse(name) (§2), or for CTL_MUT_RANDOM_NAMES the
 * apps.kubernetes.io/pod-index label the mutant keeps identity in.
 */
int32_t ctl__pod_ordinal(const struct ctl *c, const struct object *pod);
/* The pod-index label as an ordinal, or -1. */
int32_t ctl__index_label(const struct object *pod);
/* isMemberOf, or for CTL_MUT_RANDOM_NAMES the generateName prefix. */
bool ctl__pod_is_member(const struct ctl *c, const struct object *set,
                        const struct object *pod);
/* The name a new pod of ordinal gets: <set>-<ordinal>, or a generateName
 * name <set>-xxxxx (CTL_MUT_RANDOM_NAMES). */
const char *ctl__new_pod_name(struct ctl__pass *p, int32_t ordinal);
/* The claim name of template tmpl for ordinal: <tmpl>-<set>-<ordinal>, or
 * <tmpl>-<set> for every ordinal (CTL_MUT_SHARED_CLAIM). */
void ctl__pass_claim_name(const struct ctl__pass *p, char *buf, size_t n,
                          const char *tmpl, int32_t ordinal);
/* storageMatches with the pass's claim names. */
bool ctl__pass_storage_matches(const struct ctl__pass *p,
                               const struct object *pod);
/* B16: pod is bound to a node the mutant's Node cache shows not Ready. */
bool ctl__mut_node_lost(const struct ctl *c, const struct object *pod);
/* B9: claim carries a controller ref that is neither our set's nor our
 * pod's; ctl__mut_drop_foreign returns a copy (arena) without them. */
bool ctl__mut_foreign_controller(const struct object *set,
                                 const struct ctl__podref *pod,
                                 const struct object *claim);
struct object ctl__mut_drop_foreign(struct arena *a, const struct object *set,
                                    const struct ctl__podref *pod,
                                    const struct object *claim);

/* --- notes -----------------------------------------------------------------
 */

/* A decision trace line on the pass's set; repeated lines are dropped. */
void ctl__note(struct ctl__pass *p, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- wiring.c: the PVC index ------------------------------------------------
 */

const struct object *ctl__pvc_lookup(const struct ctl *c, const char *ns,
                                     const char *name);

/* --- index.c: the pod index --------------------------------------------------
 */

/* Feed from the pod and PVC handlers (wiring.c). */
void ctl__index_pod(struct ctl *c, enum watch_type t, const struct object *old,
                    const struct object *now);
void ctl__index_pvc(struct ctl *c, const struct object *pvc);
/* Drops the whole index (a restart: the relist refills it). */
void ctl__index_clear(struct ctl *c);
/*
 * At the start of a pass: brings the set's index up to date and, when it
 * describes the pass exactly (see index.c), sets p->idx, p->pods = NULL
 * and p->pods_nr and returns true.
 */
bool ctl__index_begin(struct ctl__pass *p);
/* Steps D-F from the index: p->slots, placeholders' revisions, the
 * condemned pods (unsorted) and the first unavailable slot. */
void ctl__index_slots(struct ctl__pass *p);
/* The status counts of the claimed pods into p->status. */
void ctl__index_status(struct ctl__pass *p);
/* Appends the revision label of every claimed pod to c->names. */
void ctl__index_labels(struct ctl__pass *p);
/* runForAll over the slots that are not quiet; as run_for_all. */
bool ctl__index_run(struct ctl__pass *p, ctl__step_fn *fn);
/* Step L when no slot is at an old revision (*done); see rollout.c. */
int ctl__index_rolling_update(struct ctl__pass *p, bool *done);
/* Bitmap helpers for rollout.c: the highest unavailable slot >= lo (or
 * -1), the number of unavailable slots, the next set bit from i. */
int32_t ctl__index_last_unavailable(const uint64_t *unavail, size_t n,
                                    int32_t lo);
size_t ctl__index_unavailable_count(const uint64_t *unavail, size_t n);
size_t ctl__bits_next(const uint64_t *b, size_t n, size_t from);
bool ctl__index_need(const struct ctl__pass *p, size_t i);

/* --- queue.c ----------------------------------------------------------------
 */

size_t ctl__key(struct ctl *c, const char *ns, const char *name);
void ctl__queue_add(struct ctl *c, size_t key);
void ctl__queue_add_after(struct ctl *c, size_t key, simtime d);
void ctl__queue_add_rate_limited(struct ctl *c, size_t key);
void ctl__queue_forget(struct ctl *c, size_t key);
/* Workers start: every dirty key gets its sync scheduled. */
void ctl__queue_start(struct ctl *c);
/* A new process: cancels everything pending, forgets every key. */
void ctl__queue_reset(struct ctl *c);
/* §16: the caches moved on; re-adds keys whose own writes are visible. */
void ctl__queue_rywo_check(struct ctl *c);

/* --- sync.c -----------------------------------------------------------------
 */

/* sync(key) (§3.3) and the requeue decision (step 6). */
void ctl__process(struct ctl *c, size_t key);

/* --- revisions.c ------------------------------------------------------------
 */

/* ListRevisions: owned-or-orphan revisions matching the selector, sorted
 * by (revision, creationTimestamp, name), into c->revlist. */
void ctl__list_revisions(struct ctl *c, const struct object *set);
/* getStatefulSetRevisions: sets p->cur_rev, p->upd_rev, collision. */
int ctl__get_revisions(struct ctl__pass *p);
/* truncateHistory with the given live revisions (either may be NULL). */
int ctl__truncate_history(struct ctl__pass *p, const struct object *cur,
                          const struct object *upd);
/* The revision hash label value for a template digest and a count. */
void ctl__revision_hash(char *buf, size_t n, uint64_t digest,
                        int32_t collision_count);

/* The claim of template t for ordinal (name into buf), from the cache. */
const struct object *ctl__claim_get(struct ctl__pass *p, size_t t,
                                    int32_t ordinal, char *buf, size_t n);

/* --- podctl.c ---------------------------------------------------------------
 */

/* newVersionedStatefulSetPod for a slot, in the run's arena. */
const struct object *ctl__build_pod(struct ctl__pass *p,
                                    const struct ctl__slot *s);
/* The template a placeholder at this ordinal is built from (§5.2). */
bool ctl__placeholder_at_update(const struct ctl__pass *p, int32_t ordinal);

/* Each returns 0 or -1 with p->err filled. */
int ctl__create_stateful_pod(struct ctl__pass *p, const struct object *pod);
int ctl__create_missing_claims(struct ctl__pass *p, const struct object *pod);
int ctl__update_stateful_pod(struct ctl__pass *p, const struct object *pod);
/* DeleteStatefulPod; *st gets the API answer. */
int ctl__delete_stateful_pod(struct ctl__pass *p, const struct object *pod,
                             enum api_status *st);
int ctl__claims_match_retention(struct ctl__pass *p,
                                const struct ctl__podref *pod, bool *match);
int ctl__update_claims_for_retention(struct ctl__pass *p,
                                     const struct ctl__podref *pod);
int ctl__pod_claim_is_stale(struct ctl__pass *p, const struct ctl__podref *pod,
                            bool *stale);
struct ctl__podref ctl__podref_of(const struct ctl *c,
                                  const struct object *pod);

/* --- status.c ----------------------------------------------------------------
 */

/* updateStatus over the claimed pods (Step C). */
void ctl__status_from_pods(struct ctl__pass *p);
/* updateStatus over replicas and condemned (Steps H-K). */
void ctl__status_from_slots(struct ctl__pass *p);
/* updateStatefulSetStatus (§7.2): 0, or -1 with *err filled. */
int ctl__status_write(struct ctl__pass *p, struct ctl__err *err);

/* --- control.c / rollout.c
 * ------------------------------------------------------ */

/* UpdateStatefulSet: the pass; 0 or -1 (p->err). */
int ctl__update_statefulset(struct ctl__pass *p);
/* Step L for RollingUpdate. */
int ctl__rolling_update(struct ctl__pass *p);
/* Step L when no slot is at an old revision: only unavailable slots
 * (bits of unavail, n slots) matter. */
int ctl__rolling_update_settled(struct ctl__pass *p, const uint64_t *unavail,
                                size_t n, int32_t update_min);

#endif
